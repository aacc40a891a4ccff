import { literal, type SchemaNames } from './naming.js';

/**
 * Migration 5, worker queue: notifications say whether the activities they announce belong to a session
 * (`w:<n>` none does, `w:s<n>` some do), so a process can wake one fetch per tag filter for plain work
 * instead of one per session owner (every worker slot is its own owner, so that was every idle slot). The
 * fetch sets asynchronous commit only once it writes, and the ack deletes and queues in one statement.
 */
export function leanWorkerFunctionsSql({ q, channel }: SchemaNames): string {
  const ch = literal(channel);
  const payload = (session: string) => `'w:' || CASE WHEN ${session} IS NULL THEN '1' ELSE 's1' END`;
  return `
    CREATE OR REPLACE FUNCTION ${q}.fetch_work_item(
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

        -- Only a lease: commit without waiting for the WAL flush (migration 4). Set only here, so empty
        -- polls skip it.
        PERFORM set_config('synchronous_commit', 'off', true);
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

    CREATE OR REPLACE FUNCTION ${q}.ack_work_item(p_token TEXT, p_now BIGINT, p_instance TEXT, p_kind TEXT, p_item TEXT)
    RETURNS VOID
    LANGUAGE plpgsql AS $fn$
    DECLARE
      v_found BOOLEAN;
      v_session TEXT;
      v_until BIGINT;
    BEGIN
      WITH d AS (
        DELETE FROM ${q}.worker_queue WHERE lock_token = p_token AND locked_until > p_now RETURNING session_id),
      i AS (
        INSERT INTO ${q}.orchestrator_queue (instance_id, item_kind, work_item, visible_at, created_at)
        SELECT p_instance, p_kind, p_item, p_now, p_now FROM d WHERE p_item IS NOT NULL)
      SELECT TRUE, d.session_id INTO v_found, v_session FROM d;
      IF v_found IS NULL THEN
        SELECT locked_until INTO v_until FROM ${q}.worker_queue WHERE lock_token = p_token;
        IF FOUND THEN
          RAISE EXCEPTION 'Work item lock expired: lock for token ''%'' expired at % (now %)', p_token, v_until, p_now;
        END IF;
        RAISE EXCEPTION 'Invalid lock token ''%'': no work item is locked with it (acked, abandoned, cancelled or never issued)', p_token;
      END IF;
      IF p_item IS NOT NULL THEN
        PERFORM pg_notify(${ch}, 'o:' || md5(p_instance));
      END IF;
      IF v_session IS NOT NULL THEN
        UPDATE ${q}.sessions SET last_activity_at = p_now WHERE session_id = v_session AND locked_until > p_now;
      END IF;
    END
    $fn$;

    CREATE OR REPLACE FUNCTION ${q}.abandon_work_item(p_token TEXT, p_now BIGINT, p_delay BIGINT, p_ignore BOOLEAN)
    RETURNS VOID
    LANGUAGE plpgsql AS $fn$
    DECLARE
      v_session TEXT;
    BEGIN
      UPDATE ${q}.worker_queue
         SET lock_token = NULL, locked_until = NULL, visible_at = p_now + COALESCE(p_delay, 0),
             attempt_count = CASE WHEN p_ignore THEN GREATEST(0, attempt_count - 1) ELSE attempt_count END
       WHERE lock_token = p_token
      RETURNING session_id INTO v_session;
      IF NOT FOUND THEN
        RAISE EXCEPTION 'Invalid lock token ''%'': no work item is locked with it', p_token;
      END IF;
      PERFORM pg_notify(${ch}, ${payload('v_session')});
    END
    $fn$;

    CREATE OR REPLACE FUNCTION ${q}.enqueue_worker(p_now BIGINT, p_item TEXT, p_instance TEXT, p_exec BIGINT,
                                                   p_id BIGINT, p_session TEXT, p_tag TEXT)
    RETURNS VOID
    LANGUAGE plpgsql AS $fn$
    BEGIN
      INSERT INTO ${q}.worker_queue (work_item, visible_at, instance_id, execution_id, activity_id, session_id,
                                     tag, created_at)
      VALUES (p_item, p_now, p_instance, p_exec, p_id, p_session, p_tag, p_now);
      PERFORM pg_notify(${ch}, ${payload('p_session')});
    END
    $fn$;
  `;
}
