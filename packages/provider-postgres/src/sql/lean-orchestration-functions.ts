import { literal, type SchemaNames } from './naming.js';

/** The OUT columns of `fetch_orchestration_item` set to NULL, as `o_x := NULL;` statements. */
const CLEAR_ROW = [
  'o_text',
  'o_instance',
  'o_has_row',
  'o_name',
  'o_version',
  'o_exec',
  'o_epoch',
  'o_delta',
  'o_attempt',
  'o_kv_keys',
  'o_kv_values',
  'o_kv_ts',
  'o_next_wake',
]
  .map((c) => `${c} := NULL;`)
  .join(' ');

/**
 * Migration 5, orchestrator queue: the fetch and the turn ack with the same signatures and results, in
 * fewer SQL statements. Each statement a PL/pgSQL function runs costs a plan-cache check, an executor
 * start and a snapshot whether it touches one row or none; the profile of a hello orchestration showed
 * that overhead, not the rows, as most of the server's CPU. So: statements that have nothing to do
 * (empty arrays, no KV in the execution) are skipped by cheap `IF`s, the lease upsert doubles as the
 * live-lock re-check, tagging the batch returns its kinds, attempts and items, the instance row comes
 * with its epoch and KV, rows are returned with `RETURN NEXT` instead of queries, and the ack deletes
 * its lock row as its token check and sends every notification in one statement.
 */
export function leanOrchestrationFunctionsSql({ q, channel, advisoryNamespace }: SchemaNames): string {
  const ch = literal(channel);
  const ns = String(advisoryNamespace);
  return `
    CREATE OR REPLACE FUNCTION ${q}.fetch_orchestration_item(
      p_now BIGINT, p_lock_ms BIGINT, p_token TEXT, p_filter BOOLEAN, p_min BIGINT, p_max BIGINT,
      p_want_wake BOOLEAN, p_c_instances TEXT[], p_c_execs BIGINT[], p_c_epochs BIGINT[], p_c_counts BIGINT[],
      p_c_lasts BIGINT[])
    RETURNS TABLE (o_tag TEXT, o_text TEXT, o_instance TEXT, o_has_row BOOLEAN, o_name TEXT, o_version TEXT,
      o_exec BIGINT, o_epoch BIGINT, o_delta BOOLEAN, o_attempt INT, o_kv_keys TEXT[], o_kv_values TEXT[],
      o_kv_ts BIGINT[], o_next_wake BIGINT)
    LANGUAGE plpgsql AS $fn$
    DECLARE
      v_instance TEXT;
      v_skip TEXT[] := '{}';
      v_kinds TEXT[];
      v_items TEXT[];
      v_item TEXT;
      v_attempt INT;
      v_has_row BOOLEAN;
      v_name TEXT;
      v_version TEXT;
      v_exec BIGINT;
      v_epoch BIGINT;
      v_kv_keys TEXT[];
      v_kv_values TEXT[];
      v_kv_ts BIGINT[];
      v_delta BOOLEAN;
      v_last BIGINT;
      v_c INT;
      v_rows INT;
      v_sync TEXT;
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

        -- Another fetch is taking this instance right now: it wins, we move on. Acks take the same lock,
        -- so nothing below races a commit of this instance.
        CONTINUE WHEN NOT pg_try_advisory_xact_lock(${ns}, hashtext(v_instance));
        IF p_filter THEN
          -- The pinned version may have been written since the candidate query: filter again.
          CONTINUE WHEN EXISTS (
            SELECT 1 FROM ${q}.instances i
              JOIN ${q}.executions e ON e.instance_id = i.instance_id AND e.execution_id = i.current_execution_id
             WHERE i.instance_id = v_instance AND e.pinned_major IS NOT NULL
               AND (e.pinned_major::BIGINT * 1000000 + e.pinned_minor * 1000 + e.pinned_patch) NOT BETWEEN p_min AND p_max);
        END IF;

        -- Takes the lease only over no lock or an expired one: this is also the re-check under the lock.
        INSERT INTO ${q}.instance_locks AS l (instance_id, lock_token, locked_until, locked_at)
        VALUES (v_instance, p_token, p_now + p_lock_ms, p_now)
        ON CONFLICT (instance_id) DO UPDATE
          SET lock_token = EXCLUDED.lock_token, locked_until = EXCLUDED.locked_until, locked_at = EXCLUDED.locked_at
          WHERE l.locked_until <= p_now;
        GET DIAGNOSTICS v_rows = ROW_COUNT;
        CONTINUE WHEN v_rows = 0;

        -- Tag every visible message, including ones tagged by an expired or abandoned fetch. A fetch only
        -- takes a lease, so it commits without waiting for its WAL flush (see migration 4); set_config
        -- rides along here to save a statement and lasts to the end of the transaction.
        WITH u AS (
          UPDATE ${q}.orchestrator_queue SET lock_token = p_token, attempt_count = attempt_count + 1
           WHERE instance_id = v_instance AND visible_at <= p_now
          RETURNING id, item_kind, work_item, attempt_count)
        SELECT array_agg(u.item_kind), array_agg(u.work_item ORDER BY u.id), max(u.attempt_count),
               set_config('synchronous_commit', 'off', true)
          INTO v_kinds, v_items, v_attempt, v_sync
          FROM u;
        IF v_kinds IS NULL THEN
          DELETE FROM ${q}.instance_locks WHERE lock_token = p_token;
          CONTINUE;
        END IF;

        v_has_row := FALSE;
        v_name := NULL;
        v_version := NULL;
        v_epoch := NULL;
        v_kv_keys := NULL;
        v_kv_values := NULL;
        v_kv_ts := NULL;
        SELECT TRUE, i.orchestration_name, i.orchestration_version, i.current_execution_id, e.epoch,
               kv.keys, kv.vals, kv.ts
          INTO v_has_row, v_name, v_version, v_exec, v_epoch, v_kv_keys, v_kv_values, v_kv_ts
          FROM ${q}.instances i
          LEFT JOIN ${q}.executions e ON e.instance_id = i.instance_id AND e.execution_id = i.current_execution_id
          CROSS JOIN LATERAL (
            SELECT array_agg(s.key ORDER BY s.key) AS keys, array_agg(s.value ORDER BY s.key) AS vals,
                   array_agg(s.last_updated_at_ms ORDER BY s.key) AS ts
              FROM ${q}.kv_store s WHERE s.instance_id = i.instance_id) kv
         WHERE i.instance_id = v_instance;
        IF NOT FOUND THEN
          v_has_row := FALSE;
          SELECT COALESCE(MAX(execution_id), 1) INTO v_exec FROM ${q}.executions WHERE instance_id = v_instance;
          IF NOT EXISTS (SELECT 1 FROM ${q}.history WHERE instance_id = v_instance AND execution_id = v_exec
                           AND event_kind = 'OrchestrationStarted')
             AND NOT ('StartOrchestration' = ANY (v_kinds) OR 'ContinueAsNew' = ANY (v_kinds)) THEN
            -- No instance and nothing that would start one. Queue messages for it are dropped (they
            -- would never be consumed); anything else may be racing a start: release it untouched.
            IF 'QueueMessage' = ALL (v_kinds) THEN
              DELETE FROM ${q}.orchestrator_queue WHERE lock_token = p_token;
            ELSE
              UPDATE ${q}.orchestrator_queue SET lock_token = NULL, attempt_count = attempt_count - 1
               WHERE lock_token = p_token;
            END IF;
            DELETE FROM ${q}.instance_locks WHERE lock_token = p_token;
            CONTINUE;
          END IF;
          SELECT e.epoch INTO v_epoch FROM ${q}.executions e
           WHERE e.instance_id = v_instance AND e.execution_id = v_exec;
          SELECT array_agg(key ORDER BY key), array_agg(value ORDER BY key), array_agg(last_updated_at_ms ORDER BY key)
            INTO v_kv_keys, v_kv_values, v_kv_ts
            FROM ${q}.kv_store WHERE instance_id = v_instance;
        END IF;

        v_c := array_position(p_c_instances, v_instance);
        v_delta := FALSE;
        IF v_c IS NOT NULL AND v_epoch IS NOT NULL AND v_exec = p_c_execs[v_c] AND v_epoch = p_c_epochs[v_c] THEN
          v_last := p_c_lasts[v_c];
          v_delta := (SELECT count(*) FROM ${q}.history h WHERE h.instance_id = v_instance AND h.execution_id = v_exec
                        AND h.event_id <= v_last) = p_c_counts[v_c];
        END IF;

        o_tag := 'h'; o_text := NULL; o_instance := v_instance; o_has_row := v_has_row; o_name := v_name;
        o_version := v_version; o_exec := v_exec; o_epoch := v_epoch; o_delta := v_delta; o_attempt := v_attempt;
        o_kv_keys := v_kv_keys; o_kv_values := v_kv_values; o_kv_ts := v_kv_ts; o_next_wake := NULL;
        RETURN NEXT;
        ${CLEAR_ROW}
        o_tag := 'm';
        FOREACH v_item IN ARRAY v_items LOOP
          o_text := v_item;
          RETURN NEXT;
        END LOOP;
        RETURN QUERY SELECT 'e'::TEXT, h.event_data, NULL::TEXT, NULL::BOOLEAN, NULL::TEXT, NULL::TEXT,
          NULL::BIGINT, NULL::BIGINT, NULL::BOOLEAN, NULL::INT, NULL::TEXT[], NULL::TEXT[], NULL::BIGINT[],
          NULL::BIGINT
          FROM ${q}.history h
         WHERE h.instance_id = v_instance AND h.execution_id = v_exec AND (NOT v_delta OR h.event_id > v_last)
         ORDER BY h.event_id;
        RETURN;
      END LOOP;

      ${CLEAR_ROW}
      o_tag := 'h';
      IF p_want_wake THEN
        o_next_wake := LEAST(
          (SELECT MIN(visible_at) FROM ${q}.orchestrator_queue WHERE visible_at > p_now),
          (SELECT MIN(locked_until) FROM ${q}.instance_locks WHERE locked_until > p_now));
      END IF;
      RETURN NEXT;
    END
    $fn$;

    CREATE OR REPLACE FUNCTION ${q}.ack_orchestration_item(
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
      v_more BOOLEAN;
    BEGIN
      SELECT instance_id INTO v_instance FROM ${q}.instance_locks WHERE lock_token = p_token;
      IF NOT FOUND THEN
        RAISE EXCEPTION 'Invalid lock token ''%'': no lock held with this token (already acked, abandoned, expired and taken over, or the instance was deleted)', p_token;
      END IF;
      PERFORM pg_advisory_xact_lock(${ns}, hashtext(v_instance));
      -- Releasing the lease is the token check: any failure below rolls the delete back with the rest.
      DELETE FROM ${q}.instance_locks WHERE instance_id = v_instance AND lock_token = p_token
      RETURNING locked_until INTO v_until;
      IF NOT FOUND THEN
        RAISE EXCEPTION 'Invalid lock token ''%'': the lock was released or taken over concurrently', p_token;
      END IF;
      IF v_until <= p_now THEN
        RAISE EXCEPTION 'Instance lock expired: lock for token ''%'' expired at % (now %)', p_token, v_until, p_now;
      END IF;

      IF p_name IS NOT NULL AND p_version IS NOT NULL THEN
        INSERT INTO ${q}.instances AS i (instance_id, orchestration_name, orchestration_version,
                                         current_execution_id, parent_instance_id, created_at, updated_at,
                                         custom_status, custom_status_version)
        VALUES (v_instance, p_name, p_version, p_exec, p_parent, p_now, p_now,
                CASE p_cs_action WHEN 1 THEN p_cs_value END,
                CASE WHEN p_cs_action IN (1, 2) THEN 1 ELSE 0 END)
        ON CONFLICT (instance_id) DO UPDATE
          SET orchestration_name = EXCLUDED.orchestration_name,
              orchestration_version = EXCLUDED.orchestration_version,
              parent_instance_id = COALESCE(i.parent_instance_id, EXCLUDED.parent_instance_id),
              current_execution_id = GREATEST(i.current_execution_id, EXCLUDED.current_execution_id),
              updated_at = EXCLUDED.updated_at,
              custom_status = CASE p_cs_action WHEN 1 THEN p_cs_value WHEN 2 THEN NULL ELSE i.custom_status END,
              custom_status_version = i.custom_status_version
                + CASE WHEN p_cs_action IN (1, 2) THEN 1 ELSE 0 END;
      ELSE
        UPDATE ${q}.instances
           SET current_execution_id = GREATEST(current_execution_id, p_exec), updated_at = p_now,
               custom_status = CASE p_cs_action WHEN 1 THEN p_cs_value WHEN 2 THEN NULL ELSE custom_status END,
               custom_status_version = custom_status_version + CASE WHEN p_cs_action IN (1, 2) THEN 1 ELSE 0 END
         WHERE instance_id = v_instance;
      END IF;

      -- The execution row, its pin and its terminal status in one write.
      INSERT INTO ${q}.executions AS e (instance_id, execution_id, status, output, pinned_major, pinned_minor,
                                        pinned_patch, started_at, completed_at)
      VALUES (v_instance, p_exec, COALESCE(p_status, 'Running'), CASE WHEN p_status IS NOT NULL THEN p_output END,
              p_pin_major, CASE WHEN p_pin_major IS NOT NULL THEN p_pin_minor END,
              CASE WHEN p_pin_major IS NOT NULL THEN p_pin_patch END, p_now,
              CASE WHEN p_status IS NOT NULL THEN p_now END)
      ON CONFLICT (instance_id, execution_id) DO UPDATE
        SET pinned_major = CASE WHEN p_pin_major IS NOT NULL THEN p_pin_major ELSE e.pinned_major END,
            pinned_minor = CASE WHEN p_pin_major IS NOT NULL THEN p_pin_minor ELSE e.pinned_minor END,
            pinned_patch = CASE WHEN p_pin_major IS NOT NULL THEN p_pin_patch ELSE e.pinned_patch END,
            status = CASE WHEN p_status IS NOT NULL THEN p_status ELSE e.status END,
            output = CASE WHEN p_status IS NOT NULL THEN p_output ELSE e.output END,
            completed_at = CASE WHEN p_status IS NOT NULL THEN p_now ELSE e.completed_at END
        WHERE p_pin_major IS NOT NULL OR p_status IS NOT NULL;

      IF cardinality(p_ev_ids) > 0 THEN
        INSERT INTO ${q}.history (instance_id, execution_id, event_id, event_kind, event_data, created_at)
        SELECT v_instance, p_exec, u.id, u.kind, u.data, p_now
          FROM unnest(p_ev_ids, p_ev_kinds, p_ev_data) AS u (id, kind, data);
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
      -- kv_delta holds only what this execution's turns wrote: without it there is nothing to merge.
      IF p_status IS NOT NULL AND EXISTS (SELECT 1 FROM ${q}.kv_delta WHERE instance_id = v_instance) THEN
        INSERT INTO ${q}.kv_store AS s (instance_id, key, value, last_updated_at_ms)
        SELECT instance_id, key, value, last_updated_at_ms FROM ${q}.kv_delta
         WHERE instance_id = v_instance AND value IS NOT NULL
        ON CONFLICT (instance_id, key) DO UPDATE
          SET value = EXCLUDED.value, last_updated_at_ms = EXCLUDED.last_updated_at_ms;
        DELETE FROM ${q}.kv_store s USING ${q}.kv_delta d
         WHERE d.instance_id = v_instance AND d.value IS NULL AND s.instance_id = v_instance AND s.key = d.key;
        DELETE FROM ${q}.kv_delta WHERE instance_id = v_instance;
      END IF;

      IF cardinality(p_w_items) > 0 THEN
        INSERT INTO ${q}.worker_queue (work_item, visible_at, instance_id, execution_id, activity_id,
                                       session_id, tag, created_at)
        SELECT u.item, p_now, u.inst, u.exec, u.aid, u.sess, u.tag, p_now
          FROM unnest(p_w_items, p_w_instances, p_w_execs, p_w_ids, p_w_sessions, p_w_tags)
               WITH ORDINALITY AS u (item, inst, exec, aid, sess, tag, ord)
         ORDER BY u.ord;
      END IF;
      -- After the inserts: an activity scheduled and cancelled in the same turn must end up absent.
      IF cardinality(p_c_ids) > 0 THEN
        DELETE FROM ${q}.worker_queue w
         USING unnest(p_c_instances, p_c_execs, p_c_ids) AS c (inst, exec, aid)
         WHERE w.instance_id = c.inst AND w.execution_id = c.exec AND w.activity_id = c.aid;
      END IF;
      IF cardinality(p_o_items) > 0 THEN
        INSERT INTO ${q}.orchestrator_queue (instance_id, item_kind, work_item, visible_at, created_at)
        SELECT u.inst, u.kind, u.item, u.vis, p_now
          FROM unnest(p_o_instances, p_o_kinds, p_o_items, p_o_visible) WITH ORDINALITY AS u (inst, kind, item, vis, ord)
         ORDER BY u.ord;
      END IF;

      -- The statement sees the queue as it was before its own delete: skip the rows it deletes.
      WITH d AS (DELETE FROM ${q}.orchestrator_queue WHERE lock_token = p_token)
      SELECT EXISTS (SELECT 1 FROM ${q}.orchestrator_queue
                      WHERE instance_id = v_instance AND lock_token IS DISTINCT FROM p_token)
        INTO v_more;

      -- Delivered on commit: 'w:<n>' n activities none of which belongs to a session (any worker fetch of
      -- a tag filter can take them), 'w:s<n>' when some do; 'o:' a message for an instance, 'c:' a commit.
      PERFORM pg_notify(${ch}, n.payload) FROM (
        SELECT 'w:' || CASE WHEN cardinality(array_remove(p_w_sessions, NULL)) > 0 THEN 's' ELSE '' END
               || cardinality(p_w_items) AS payload
         WHERE cardinality(p_w_items) > 0
        UNION ALL
        SELECT DISTINCT 'o:' || md5(t) FROM unnest(p_o_instances) AS t WHERE t <> v_instance
        UNION ALL
        SELECT CASE WHEN v_more THEN 'o:' ELSE 'c:' END || md5(v_instance)) n;
    END
    $fn$;
  `;
}
