import type { SchemaNames } from './naming.js';

/**
 * Migration 2: reads that send only the history a caller has not cached yet.
 *
 * Every execution row gets an `epoch` from a sequence: a new row (first turn, continue-as-new, an instance
 * deleted and started again) never reuses one, and a statement trigger moves it on whenever history rows
 * are updated or deleted, which the provider itself never does outside deletes and prunes. History is
 * otherwise append-only, so a cached prefix `(execution, epoch, count, last event id)` is still exact when
 * the epoch matches and exactly `count` rows have ids up to the last one; the reader then gets only the
 * rows after it. Anything else returns the whole history.
 */
export function historyCacheFunctionsSql(names: SchemaNames): string {
  const { q } = names;
  return `
    CREATE SEQUENCE ${q}.execution_epoch_seq;
    ALTER TABLE ${q}.executions
      ADD COLUMN epoch BIGINT NOT NULL DEFAULT nextval('${q}.execution_epoch_seq');

    CREATE FUNCTION ${q}.bump_history_epoch() RETURNS TRIGGER
    LANGUAGE plpgsql AS $fn$
    BEGIN
      UPDATE ${q}.executions e SET epoch = nextval('${q}.execution_epoch_seq')
        FROM (SELECT DISTINCT instance_id, execution_id FROM changed_rows) c
       WHERE e.instance_id = c.instance_id AND e.execution_id = c.execution_id;
      RETURN NULL;
    END
    $fn$;
    CREATE TRIGGER history_updated AFTER UPDATE ON ${q}.history
      REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION ${q}.bump_history_epoch();
    CREATE TRIGGER history_deleted AFTER DELETE ON ${q}.history
      REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION ${q}.bump_history_epoch();

    DROP FUNCTION ${q}.fetch_orchestration_item(BIGINT, BIGINT, TEXT, BOOLEAN, BIGINT, BIGINT, BOOLEAN);
    ${fetchFunctionSql(names)}
  `;
}

/**
 * The orchestration fetch of migration 2: as in migration 1, but the result is rows, not arrays (one
 * header row 'h', then the locked messages 'm', then the history rows 'e'). The caller does not know which
 * instance it will get, so it sends the prefixes of the instances it has cached (p_c_*, parallel arrays);
 * for the locked instance, when its prefix is still exact, only the history after it is returned.
 */
export function fetchFunctionSql({ q, advisoryNamespace }: SchemaNames): string {
  const ns = String(advisoryNamespace);
  return `
    CREATE FUNCTION ${q}.fetch_orchestration_item(
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
      v_has_row BOOLEAN;
      v_name TEXT;
      v_version TEXT;
      v_exec BIGINT;
      v_epoch BIGINT;
      v_delta BOOLEAN;
      v_last BIGINT;
      v_c INT;
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

        -- Acks of this instance wait for our advisory lock, so the prefix checked here is the one read below.
        SELECT e.epoch INTO v_epoch FROM ${q}.executions e
         WHERE e.instance_id = v_instance AND e.execution_id = v_exec;
        v_c := array_position(p_c_instances, v_instance);
        v_last := p_c_lasts[v_c];
        v_delta := v_c IS NOT NULL AND v_epoch IS NOT NULL AND v_exec = p_c_execs[v_c] AND v_epoch = p_c_epochs[v_c]
          AND (SELECT count(*) FROM ${q}.history h WHERE h.instance_id = v_instance AND h.execution_id = v_exec
                  AND h.event_id <= v_last) = p_c_counts[v_c];
        v_delta := COALESCE(v_delta, FALSE);

        RETURN QUERY SELECT 'h'::TEXT, NULL::TEXT, v_instance, v_has_row, v_name, v_version, v_exec, v_epoch,
          v_delta, (SELECT MAX(attempt_count) FROM ${q}.orchestrator_queue WHERE lock_token = p_token),
          kv.keys, kv.vals, kv.ts, NULL::BIGINT
          FROM (SELECT array_agg(key ORDER BY key) AS keys, array_agg(value ORDER BY key) AS vals,
                       array_agg(last_updated_at_ms ORDER BY key) AS ts
                  FROM ${q}.kv_store WHERE instance_id = v_instance) kv;
        RETURN QUERY SELECT 'm'::TEXT, m.work_item, NULL::TEXT, NULL::BOOLEAN, NULL::TEXT, NULL::TEXT,
          NULL::BIGINT, NULL::BIGINT, NULL::BOOLEAN, NULL::INT, NULL::TEXT[], NULL::TEXT[], NULL::BIGINT[],
          NULL::BIGINT
          FROM ${q}.orchestrator_queue m WHERE m.lock_token = p_token ORDER BY m.id;
        RETURN QUERY SELECT 'e'::TEXT, h.event_data, NULL::TEXT, NULL::BOOLEAN, NULL::TEXT, NULL::TEXT,
          NULL::BIGINT, NULL::BIGINT, NULL::BOOLEAN, NULL::INT, NULL::TEXT[], NULL::TEXT[], NULL::BIGINT[],
          NULL::BIGINT
          FROM ${q}.history h
         WHERE h.instance_id = v_instance AND h.execution_id = v_exec AND (NOT v_delta OR h.event_id > v_last)
         ORDER BY h.event_id;
        RETURN;
      END LOOP;

      RETURN QUERY SELECT 'h'::TEXT, NULL::TEXT, NULL::TEXT, NULL::BOOLEAN, NULL::TEXT, NULL::TEXT,
        NULL::BIGINT, NULL::BIGINT, NULL::BOOLEAN, NULL::INT, NULL::TEXT[], NULL::TEXT[], NULL::BIGINT[],
        CASE WHEN p_want_wake THEN LEAST(
          (SELECT MIN(visible_at) FROM ${q}.orchestrator_queue WHERE visible_at > p_now),
          (SELECT MIN(locked_until) FROM ${q}.instance_locks WHERE locked_until > p_now)) END;
    END
    $fn$;
  `;
}
