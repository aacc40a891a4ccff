import { literal, type SchemaNames } from './naming.js';

/** Server-side functions of the worker queue and sessions; `p_now` is always the caller's clock. */
export function workerFunctionsSql({ q, channel }: SchemaNames): string {
  const ch = literal(channel);
  return `
    -- Locks the oldest visible, unlocked activity matching the tag filter (p_tag_mode: 0 untagged only,
    -- 1 any, 2 listed tags, 3 untagged or listed) and the session rules, claiming its session for
    -- p_owner. A session claimed concurrently by another owner moves the search on to the next row.
    CREATE FUNCTION ${q}.fetch_work_item(
      p_now BIGINT, p_lock_ms BIGINT, p_token TEXT, p_use_session BOOLEAN, p_owner TEXT,
      p_session_lock_ms BIGINT, p_tag_mode INT, p_tags TEXT[], p_want_wake BOOLEAN)
    RETURNS TABLE (o_item TEXT, o_attempt INT, o_next_wake BIGINT)
    LANGUAGE plpgsql AS $fn$
    DECLARE
      v_id BIGINT;
      v_session TEXT;
      v_skip TEXT[] := '{}';
      v_rows INT;
    BEGIN
      LOOP
        v_id := NULL;
        SELECT w.id, w.session_id INTO v_id, v_session
          FROM ${q}.worker_queue w
         WHERE w.visible_at <= p_now
           AND (w.lock_token IS NULL OR w.locked_until <= p_now)
           AND CASE p_tag_mode
                 WHEN 0 THEN w.tag IS NULL
                 WHEN 1 THEN TRUE
                 WHEN 2 THEN w.tag = ANY (p_tags)
                 ELSE w.tag IS NULL OR w.tag = ANY (p_tags) END
           AND CASE WHEN p_use_session THEN
                 w.session_id IS NULL OR (w.session_id <> ALL (v_skip) AND NOT EXISTS (
                   SELECT 1 FROM ${q}.sessions s
                    WHERE s.session_id = w.session_id AND s.locked_until > p_now AND s.worker_id <> p_owner))
               ELSE w.session_id IS NULL END
         ORDER BY w.id
         LIMIT 1
         FOR UPDATE OF w SKIP LOCKED;
        EXIT WHEN v_id IS NULL;

        IF v_session IS NOT NULL THEN
          INSERT INTO ${q}.sessions AS s (session_id, worker_id, locked_until, last_activity_at)
          VALUES (v_session, p_owner, p_now + p_session_lock_ms, p_now)
          ON CONFLICT (session_id) DO UPDATE
            SET worker_id = EXCLUDED.worker_id, locked_until = EXCLUDED.locked_until,
                last_activity_at = EXCLUDED.last_activity_at
            WHERE s.locked_until <= p_now OR s.worker_id = p_owner;
          GET DIAGNOSTICS v_rows = ROW_COUNT;
          IF v_rows = 0 THEN
            v_skip := v_skip || v_session;
            CONTINUE;
          END IF;
        END IF;

        RETURN QUERY
          UPDATE ${q}.worker_queue
             SET lock_token = p_token, locked_until = p_now + p_lock_ms, attempt_count = attempt_count + 1
           WHERE id = v_id
          RETURNING work_item, attempt_count, NULL::BIGINT;
        RETURN;
      END LOOP;

      RETURN QUERY SELECT NULL::TEXT, NULL::INT,
        CASE WHEN p_want_wake THEN LEAST(
          (SELECT MIN(visible_at) FROM ${q}.worker_queue WHERE visible_at > p_now),
          (SELECT MIN(locked_until) FROM ${q}.worker_queue WHERE lock_token IS NOT NULL AND locked_until > p_now),
          CASE WHEN p_use_session THEN
            (SELECT MIN(locked_until) FROM ${q}.sessions WHERE locked_until > p_now) END) END;
    END
    $fn$;

    -- Deletes the locked row (only while its lock is live) and queues the completion, atomically.
    CREATE FUNCTION ${q}.ack_work_item(p_token TEXT, p_now BIGINT, p_instance TEXT, p_kind TEXT, p_item TEXT)
    RETURNS VOID
    LANGUAGE plpgsql AS $fn$
    DECLARE
      v_session TEXT;
      v_until BIGINT;
    BEGIN
      DELETE FROM ${q}.worker_queue WHERE lock_token = p_token AND locked_until > p_now
      RETURNING session_id INTO v_session;
      IF NOT FOUND THEN
        SELECT locked_until INTO v_until FROM ${q}.worker_queue WHERE lock_token = p_token;
        IF FOUND THEN
          RAISE EXCEPTION 'Work item lock expired: lock for token ''%'' expired at % (now %)', p_token, v_until, p_now;
        END IF;
        RAISE EXCEPTION 'Invalid lock token ''%'': no work item is locked with it (acked, abandoned, cancelled or never issued)', p_token;
      END IF;
      IF p_item IS NOT NULL THEN
        INSERT INTO ${q}.orchestrator_queue (instance_id, item_kind, work_item, visible_at, created_at)
        VALUES (p_instance, p_kind, p_item, p_now, p_now);
        PERFORM pg_notify(${ch}, 'o:' || md5(p_instance));
      END IF;
      IF v_session IS NOT NULL THEN
        UPDATE ${q}.sessions SET last_activity_at = p_now WHERE session_id = v_session AND locked_until > p_now;
      END IF;
    END
    $fn$;

    -- Extends a live activity lock; a missing row is the cancellation signal.
    CREATE FUNCTION ${q}.renew_work_item_lock(p_token TEXT, p_now BIGINT, p_extend BIGINT)
    RETURNS VOID
    LANGUAGE plpgsql AS $fn$
    DECLARE
      v_session TEXT;
    BEGIN
      UPDATE ${q}.worker_queue SET locked_until = p_now + p_extend
       WHERE lock_token = p_token AND locked_until > p_now
      RETURNING session_id INTO v_session;
      IF NOT FOUND THEN
        RAISE EXCEPTION 'Invalid lock token ''%'': the work item is gone or its lock expired', p_token;
      END IF;
      IF v_session IS NOT NULL THEN
        UPDATE ${q}.sessions SET last_activity_at = p_now WHERE session_id = v_session AND locked_until > p_now;
      END IF;
    END
    $fn$;

    -- Releases an activity lock, optionally delaying and un-counting it.
    CREATE FUNCTION ${q}.abandon_work_item(p_token TEXT, p_now BIGINT, p_delay BIGINT, p_ignore BOOLEAN)
    RETURNS VOID
    LANGUAGE plpgsql AS $fn$
    BEGIN
      UPDATE ${q}.worker_queue
         SET lock_token = NULL, locked_until = NULL, visible_at = p_now + COALESCE(p_delay, 0),
             attempt_count = CASE WHEN p_ignore THEN GREATEST(0, attempt_count - 1) ELSE attempt_count END
       WHERE lock_token = p_token;
      IF NOT FOUND THEN
        RAISE EXCEPTION 'Invalid lock token ''%'': no work item is locked with it', p_token;
      END IF;
      PERFORM pg_notify(${ch}, 'w:');
    END
    $fn$;

    -- Queues one activity, visible now.
    CREATE FUNCTION ${q}.enqueue_worker(p_now BIGINT, p_item TEXT, p_instance TEXT, p_exec BIGINT, p_id BIGINT,
                                        p_session TEXT, p_tag TEXT)
    RETURNS VOID
    LANGUAGE plpgsql AS $fn$
    BEGIN
      INSERT INTO ${q}.worker_queue (work_item, visible_at, instance_id, execution_id, activity_id, session_id,
                                     tag, created_at)
      VALUES (p_item, p_now, p_instance, p_exec, p_id, p_session, p_tag, p_now);
      PERFORM pg_notify(${ch}, 'w:');
    END
    $fn$;
  `;
}
