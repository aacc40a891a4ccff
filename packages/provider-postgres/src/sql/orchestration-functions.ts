import { literal, type SchemaNames } from './naming.js';

/**
 * Server-side functions of the orchestrator queue: each contract call is one `SELECT fn(...)`, so one
 * round trip and one transaction. `p_now` is always the caller's clock; the database clock is never read.
 */
export function orchestrationFunctionsSql({ q, channel, advisoryNamespace }: SchemaNames): string {
  const ch = literal(channel);
  const ns = String(advisoryNamespace);
  return `
    -- Locks one instance with visible messages and returns its batch, history and KV snapshot. Candidates
    -- are picked without locks; a try-lock on the instance's advisory key, a re-check under it and a
    -- conditional lock upsert make sure only one fetch wins. A lost race moves on to the next candidate,
    -- so an empty result means "no eligible work"; it then carries the next time work may appear.
    CREATE FUNCTION ${q}.fetch_orchestration_item(
      p_now BIGINT, p_lock_ms BIGINT, p_token TEXT, p_filter BOOLEAN, p_min BIGINT, p_max BIGINT,
      p_want_wake BOOLEAN)
    RETURNS TABLE (o_instance TEXT, o_has_row BOOLEAN, o_name TEXT, o_version TEXT, o_exec BIGINT,
      o_attempt INT, o_items TEXT[], o_history TEXT[], o_kv_keys TEXT[], o_kv_values TEXT[],
      o_kv_ts BIGINT[], o_next_wake BIGINT)
    LANGUAGE plpgsql AS $fn$
    DECLARE
      v_instance TEXT;
      v_skip TEXT[] := '{}';
      v_kinds TEXT[];
      v_has_row BOOLEAN;
      v_name TEXT;
      v_version TEXT;
      v_exec BIGINT;
      v_rows INT;
    BEGIN
      LOOP
        v_instance := NULL;
        SELECT qu.instance_id INTO v_instance
          FROM ${q}.orchestrator_queue qu
          LEFT JOIN ${q}.instance_locks il ON il.instance_id = qu.instance_id
          LEFT JOIN ${q}.instances i ON p_filter AND i.instance_id = qu.instance_id
          LEFT JOIN ${q}.executions e
            ON p_filter AND e.instance_id = i.instance_id AND e.execution_id = i.current_execution_id
         WHERE qu.visible_at <= p_now
           AND (il.instance_id IS NULL OR il.locked_until <= p_now)
           AND qu.instance_id <> ALL (v_skip)
           AND (NOT p_filter OR e.pinned_major IS NULL
                OR (e.pinned_major::BIGINT * 1000000 + e.pinned_minor * 1000 + e.pinned_patch) BETWEEN p_min AND p_max)
         ORDER BY qu.visible_at, qu.id
         LIMIT 1;
        EXIT WHEN v_instance IS NULL;
        v_skip := v_skip || v_instance;

        -- Another fetch is taking this instance right now: it wins, we move on.
        CONTINUE WHEN NOT pg_try_advisory_xact_lock(${ns}, hashtext(v_instance));
        CONTINUE WHEN EXISTS (SELECT 1 FROM ${q}.instance_locks
                               WHERE instance_id = v_instance AND locked_until > p_now);
        -- The pinned version may have been written since the candidate query: filter again under the lock.
        CONTINUE WHEN p_filter AND EXISTS (
          SELECT 1 FROM ${q}.instances i
            JOIN ${q}.executions e ON e.instance_id = i.instance_id AND e.execution_id = i.current_execution_id
           WHERE i.instance_id = v_instance AND e.pinned_major IS NOT NULL
             AND (e.pinned_major::BIGINT * 1000000 + e.pinned_minor * 1000 + e.pinned_patch) NOT BETWEEN p_min AND p_max);

        SELECT array_agg(m.item_kind) INTO v_kinds FROM (
          SELECT item_kind FROM ${q}.orchestrator_queue
           WHERE instance_id = v_instance AND visible_at <= p_now
           FOR UPDATE SKIP LOCKED) m;
        CONTINUE WHEN v_kinds IS NULL;

        v_has_row := FALSE;
        v_name := NULL;
        v_version := NULL;
        SELECT TRUE, i.orchestration_name, i.orchestration_version, i.current_execution_id
          INTO v_has_row, v_name, v_version, v_exec
          FROM ${q}.instances i WHERE i.instance_id = v_instance;
        IF NOT FOUND THEN
          v_has_row := FALSE;
          SELECT COALESCE(MAX(execution_id), 1) INTO v_exec FROM ${q}.executions WHERE instance_id = v_instance;
          IF NOT EXISTS (SELECT 1 FROM ${q}.history WHERE instance_id = v_instance AND execution_id = v_exec
                           AND event_kind = 'OrchestrationStarted')
             AND NOT ('StartOrchestration' = ANY (v_kinds) OR 'ContinueAsNew' = ANY (v_kinds)) THEN
            -- No instance and nothing that would start one. Queue messages for it are dropped (they
            -- would never be consumed); anything else may be racing a start and is left alone.
            IF 'QueueMessage' = ALL (v_kinds) THEN
              DELETE FROM ${q}.orchestrator_queue WHERE instance_id = v_instance AND visible_at <= p_now;
            END IF;
            CONTINUE;
          END IF;
        END IF;

        INSERT INTO ${q}.instance_locks AS l (instance_id, lock_token, locked_until, locked_at)
        VALUES (v_instance, p_token, p_now + p_lock_ms, p_now)
        ON CONFLICT (instance_id) DO UPDATE
          SET lock_token = EXCLUDED.lock_token, locked_until = EXCLUDED.locked_until, locked_at = EXCLUDED.locked_at
          WHERE l.locked_until <= p_now;
        GET DIAGNOSTICS v_rows = ROW_COUNT;
        CONTINUE WHEN v_rows = 0;

        -- Tag every visible message, including ones tagged by an expired or abandoned fetch.
        UPDATE ${q}.orchestrator_queue SET lock_token = p_token, attempt_count = attempt_count + 1
         WHERE instance_id = v_instance AND visible_at <= p_now;
        GET DIAGNOSTICS v_rows = ROW_COUNT;
        IF v_rows = 0 THEN
          DELETE FROM ${q}.instance_locks WHERE lock_token = p_token;
          CONTINUE;
        END IF;

        RETURN QUERY SELECT v_instance, v_has_row, v_name, v_version, v_exec,
          (SELECT MAX(attempt_count) FROM ${q}.orchestrator_queue WHERE lock_token = p_token),
          (SELECT array_agg(work_item ORDER BY id) FROM ${q}.orchestrator_queue WHERE lock_token = p_token),
          (SELECT array_agg(event_data ORDER BY event_id) FROM ${q}.history
            WHERE instance_id = v_instance AND execution_id = v_exec),
          kv.keys, kv.vals, kv.ts, NULL::BIGINT
          FROM (SELECT array_agg(key ORDER BY key) AS keys, array_agg(value ORDER BY key) AS vals,
                       array_agg(last_updated_at_ms ORDER BY key) AS ts
                  FROM ${q}.kv_store WHERE instance_id = v_instance) kv;
        RETURN;
      END LOOP;

      RETURN QUERY SELECT NULL::TEXT, NULL::BOOLEAN, NULL::TEXT, NULL::TEXT, NULL::BIGINT, NULL::INT,
        NULL::TEXT[], NULL::TEXT[], NULL::TEXT[], NULL::TEXT[], NULL::BIGINT[],
        CASE WHEN p_want_wake THEN LEAST(
          (SELECT MIN(visible_at) FROM ${q}.orchestrator_queue WHERE visible_at > p_now),
          (SELECT MIN(locked_until) FROM ${q}.instance_locks WHERE locked_until > p_now)) END;
    END
    $fn$;

    -- The atomic commit of a turn. Validates the token and its expiry first; any failure rolls back
    -- everything (the function is one statement), leaving the lock held.
    CREATE FUNCTION ${q}.ack_orchestration_item(
      p_token TEXT, p_now BIGINT, p_exec BIGINT,
      p_ev_ids BIGINT[], p_ev_kinds TEXT[], p_ev_data TEXT[],
      p_w_instances TEXT[], p_w_execs BIGINT[], p_w_ids BIGINT[], p_w_sessions TEXT[], p_w_tags TEXT[],
      p_w_items TEXT[],
      p_o_instances TEXT[], p_o_kinds TEXT[], p_o_items TEXT[], p_o_visible BIGINT[],
      p_status TEXT, p_output TEXT, p_name TEXT, p_version TEXT, p_parent TEXT,
      p_pin_major INT, p_pin_minor INT, p_pin_patch INT,
      p_cs_action INT, p_cs_value TEXT,
      p_kv_ops TEXT[], p_kv_keys TEXT[], p_kv_values TEXT[], p_kv_ts BIGINT[],
      p_c_instances TEXT[], p_c_execs BIGINT[], p_c_ids BIGINT[])
    RETURNS VOID
    LANGUAGE plpgsql AS $fn$
    DECLARE
      v_instance TEXT;
      v_until BIGINT;
      v_target TEXT;
    BEGIN
      SELECT instance_id INTO v_instance FROM ${q}.instance_locks WHERE lock_token = p_token;
      IF NOT FOUND THEN
        RAISE EXCEPTION 'Invalid lock token ''%'': no lock held with this token (already acked, abandoned, expired and taken over, or the instance was deleted)', p_token;
      END IF;
      PERFORM pg_advisory_xact_lock(${ns}, hashtext(v_instance));
      SELECT locked_until INTO v_until FROM ${q}.instance_locks
       WHERE instance_id = v_instance AND lock_token = p_token FOR UPDATE;
      IF NOT FOUND THEN
        RAISE EXCEPTION 'Invalid lock token ''%'': the lock was released or taken over concurrently', p_token;
      END IF;
      IF v_until <= p_now THEN
        RAISE EXCEPTION 'Instance lock expired: lock for token ''%'' expired at % (now %)', p_token, v_until, p_now;
      END IF;

      IF p_name IS NOT NULL AND p_version IS NOT NULL THEN
        INSERT INTO ${q}.instances AS i (instance_id, orchestration_name, orchestration_version,
                                         current_execution_id, parent_instance_id, created_at, updated_at)
        VALUES (v_instance, p_name, p_version, p_exec, p_parent, p_now, p_now)
        ON CONFLICT (instance_id) DO UPDATE
          SET orchestration_name = EXCLUDED.orchestration_name,
              orchestration_version = EXCLUDED.orchestration_version,
              parent_instance_id = COALESCE(i.parent_instance_id, EXCLUDED.parent_instance_id);
      END IF;
      INSERT INTO ${q}.executions (instance_id, execution_id, status, started_at)
      VALUES (v_instance, p_exec, 'Running', p_now) ON CONFLICT DO NOTHING;
      IF p_pin_major IS NOT NULL THEN
        UPDATE ${q}.executions SET pinned_major = p_pin_major, pinned_minor = p_pin_minor, pinned_patch = p_pin_patch
         WHERE instance_id = v_instance AND execution_id = p_exec;
      END IF;
      UPDATE ${q}.instances
         SET current_execution_id = GREATEST(current_execution_id, p_exec), updated_at = p_now,
             custom_status = CASE p_cs_action WHEN 1 THEN p_cs_value WHEN 2 THEN NULL ELSE custom_status END,
             custom_status_version = custom_status_version + CASE WHEN p_cs_action IN (1, 2) THEN 1 ELSE 0 END
       WHERE instance_id = v_instance;

      INSERT INTO ${q}.history (instance_id, execution_id, event_id, event_kind, event_data, created_at)
      SELECT v_instance, p_exec, u.id, u.kind, u.data, p_now
        FROM unnest(p_ev_ids, p_ev_kinds, p_ev_data) AS u (id, kind, data);

      IF p_status IS NOT NULL THEN
        UPDATE ${q}.executions SET status = p_status, output = p_output, completed_at = p_now
         WHERE instance_id = v_instance AND execution_id = p_exec;
      END IF;

      FOR i IN 1 .. COALESCE(array_length(p_kv_ops, 1), 0) LOOP
        IF p_kv_ops[i] = 'set' THEN
          INSERT INTO ${q}.kv_delta AS d (instance_id, key, value, last_updated_at_ms)
          VALUES (v_instance, p_kv_keys[i], p_kv_values[i], p_kv_ts[i])
          ON CONFLICT (instance_id, key) DO UPDATE
            SET value = EXCLUDED.value, last_updated_at_ms = EXCLUDED.last_updated_at_ms;
        ELSIF p_kv_ops[i] = 'clear' THEN
          INSERT INTO ${q}.kv_delta AS d (instance_id, key, value, last_updated_at_ms)
          VALUES (v_instance, p_kv_keys[i], NULL, p_now)
          ON CONFLICT (instance_id, key) DO UPDATE SET value = NULL, last_updated_at_ms = p_now;
        ELSE
          UPDATE ${q}.kv_delta SET value = NULL, last_updated_at_ms = p_now WHERE instance_id = v_instance;
          INSERT INTO ${q}.kv_delta (instance_id, key, value, last_updated_at_ms)
          SELECT instance_id, key, NULL, p_now FROM ${q}.kv_store WHERE instance_id = v_instance
          ON CONFLICT (instance_id, key) DO NOTHING;
        END IF;
      END LOOP;
      IF p_status IS NOT NULL THEN
        INSERT INTO ${q}.kv_store AS s (instance_id, key, value, last_updated_at_ms)
        SELECT instance_id, key, value, last_updated_at_ms FROM ${q}.kv_delta
         WHERE instance_id = v_instance AND value IS NOT NULL
        ON CONFLICT (instance_id, key) DO UPDATE
          SET value = EXCLUDED.value, last_updated_at_ms = EXCLUDED.last_updated_at_ms;
        DELETE FROM ${q}.kv_store s USING ${q}.kv_delta d
         WHERE d.instance_id = v_instance AND d.value IS NULL AND s.instance_id = v_instance AND s.key = d.key;
        DELETE FROM ${q}.kv_delta WHERE instance_id = v_instance;
      END IF;

      INSERT INTO ${q}.worker_queue (work_item, visible_at, instance_id, execution_id, activity_id,
                                     session_id, tag, created_at)
      SELECT u.item, p_now, u.inst, u.exec, u.aid, u.sess, u.tag, p_now
        FROM unnest(p_w_items, p_w_instances, p_w_execs, p_w_ids, p_w_sessions, p_w_tags)
             WITH ORDINALITY AS u (item, inst, exec, aid, sess, tag, ord)
       ORDER BY u.ord;
      -- After the inserts: an activity scheduled and cancelled in the same turn must end up absent.
      DELETE FROM ${q}.worker_queue w
       USING unnest(p_c_instances, p_c_execs, p_c_ids) AS c (inst, exec, aid)
       WHERE w.instance_id = c.inst AND w.execution_id = c.exec AND w.activity_id = c.aid;

      INSERT INTO ${q}.orchestrator_queue (instance_id, item_kind, work_item, visible_at, created_at)
      SELECT u.inst, u.kind, u.item, u.vis, p_now
        FROM unnest(p_o_instances, p_o_kinds, p_o_items, p_o_visible) WITH ORDINALITY AS u (inst, kind, item, vis, ord)
       ORDER BY u.ord;

      DELETE FROM ${q}.orchestrator_queue WHERE lock_token = p_token;
      DELETE FROM ${q}.instance_locks WHERE lock_token = p_token;

      -- Notifications are delivered on commit: wake fetchers and instance waiters.
      IF COALESCE(array_length(p_w_items, 1), 0) > 0 THEN
        PERFORM pg_notify(${ch}, 'w:');
      END IF;
      FOR v_target IN SELECT DISTINCT t FROM unnest(p_o_instances) AS t WHERE t <> v_instance LOOP
        PERFORM pg_notify(${ch}, 'o:' || md5(v_target));
      END LOOP;
      IF EXISTS (SELECT 1 FROM ${q}.orchestrator_queue WHERE instance_id = v_instance) THEN
        PERFORM pg_notify(${ch}, 'o:' || md5(v_instance));
      ELSE
        PERFORM pg_notify(${ch}, 'c:' || md5(v_instance));
      END IF;
    END
    $fn$;

    -- Releases a lock without committing; optionally delays and un-counts the released messages.
    CREATE FUNCTION ${q}.abandon_orchestration_item(p_token TEXT, p_now BIGINT, p_delay BIGINT, p_ignore BOOLEAN)
    RETURNS VOID
    LANGUAGE plpgsql AS $fn$
    DECLARE
      v_instance TEXT;
    BEGIN
      DELETE FROM ${q}.instance_locks WHERE lock_token = p_token RETURNING instance_id INTO v_instance;
      IF NOT FOUND THEN
        RAISE EXCEPTION 'Invalid lock token ''%'': no lock held with this token', p_token;
      END IF;
      UPDATE ${q}.orchestrator_queue
         SET lock_token = NULL,
             visible_at = CASE WHEN p_delay IS NULL THEN visible_at ELSE GREATEST(visible_at, p_now + p_delay) END,
             attempt_count = CASE WHEN p_ignore THEN GREATEST(0, attempt_count - 1) ELSE attempt_count END
       WHERE lock_token = p_token;
      PERFORM pg_notify(${ch}, 'o:' || md5(v_instance));
    END
    $fn$;

    -- Queues one orchestrator message (never creates an instance).
    CREATE FUNCTION ${q}.enqueue_orchestrator(p_now BIGINT, p_instance TEXT, p_kind TEXT, p_item TEXT, p_visible BIGINT)
    RETURNS VOID
    LANGUAGE plpgsql AS $fn$
    BEGIN
      INSERT INTO ${q}.orchestrator_queue (instance_id, item_kind, work_item, visible_at, created_at)
      VALUES (p_instance, p_kind, p_item, p_visible, p_now);
      PERFORM pg_notify(${ch}, 'o:' || md5(p_instance));
    END
    $fn$;
  `;
}
