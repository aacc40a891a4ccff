import type { SchemaNames } from './naming.js';

/** Server-side management functions: deletes and prunes, each one transaction. */
export function adminFunctionsSql({ q, advisoryNamespace }: SchemaNames): string {
  const ns = String(advisoryNamespace);
  return `
    -- Deletes these instances and everything they own. Fails without p_force when one is running, and
    -- fails when a child not in the list would be orphaned (checked under row locks on the parents).
    CREATE FUNCTION ${q}.delete_instances(p_ids TEXT[], p_force BOOLEAN)
    RETURNS TABLE (o_instances BIGINT, o_executions BIGINT, o_events BIGINT, o_messages BIGINT)
    LANGUAGE plpgsql AS $fn$
    DECLARE
      v_id TEXT;
      v_instances BIGINT;
      v_executions BIGINT;
      v_events BIGINT;
      v_orch BIGINT;
      v_work BIGINT;
    BEGIN
      IF COALESCE(array_length(p_ids, 1), 0) = 0 THEN
        RETURN QUERY SELECT 0::BIGINT, 0::BIGINT, 0::BIGINT, 0::BIGINT;
        RETURN;
      END IF;
      -- Serialize with fetches and acks of these instances: an in-flight ack then finds no lock and fails.
      PERFORM pg_advisory_xact_lock(${ns}, hashtext(t)) FROM (SELECT DISTINCT t FROM unnest(p_ids) t ORDER BY t) s;
      PERFORM 1 FROM ${q}.instances WHERE instance_id = ANY (p_ids) ORDER BY instance_id FOR UPDATE;

      IF NOT p_force THEN
        SELECT e.instance_id INTO v_id FROM ${q}.executions e
         WHERE e.instance_id = ANY (p_ids) AND e.status = 'Running'
           AND e.execution_id = (SELECT MAX(x.execution_id) FROM ${q}.executions x WHERE x.instance_id = e.instance_id)
         LIMIT 1;
        IF v_id IS NOT NULL THEN
          RAISE EXCEPTION 'Instance ''%'' is still running; cancel it first or delete with force = true', v_id;
        END IF;
      END IF;
      SELECT c.instance_id INTO v_id FROM ${q}.instances c
       WHERE c.parent_instance_id = ANY (p_ids) AND NOT (c.instance_id = ANY (p_ids)) LIMIT 1;
      IF v_id IS NOT NULL THEN
        RAISE EXCEPTION 'Deleting these instances would orphan child instance ''%'' (not in the list); delete the whole tree from its root', v_id;
      END IF;

      DELETE FROM ${q}.history WHERE instance_id = ANY (p_ids);
      GET DIAGNOSTICS v_events = ROW_COUNT;
      DELETE FROM ${q}.executions WHERE instance_id = ANY (p_ids);
      GET DIAGNOSTICS v_executions = ROW_COUNT;
      DELETE FROM ${q}.orchestrator_queue WHERE instance_id = ANY (p_ids);
      GET DIAGNOSTICS v_orch = ROW_COUNT;
      DELETE FROM ${q}.worker_queue WHERE instance_id = ANY (p_ids);
      GET DIAGNOSTICS v_work = ROW_COUNT;
      DELETE FROM ${q}.instance_locks WHERE instance_id = ANY (p_ids);
      DELETE FROM ${q}.kv_store WHERE instance_id = ANY (p_ids);
      DELETE FROM ${q}.kv_delta WHERE instance_id = ANY (p_ids);
      DELETE FROM ${q}.instances WHERE instance_id = ANY (p_ids);
      GET DIAGNOSTICS v_instances = ROW_COUNT;
      RETURN QUERY SELECT v_instances, v_executions, v_events, v_orch + v_work;
    END
    $fn$;

    -- The instance and all its descendants, root first.
    CREATE FUNCTION ${q}.instance_tree(p_root TEXT)
    RETURNS TEXT[]
    LANGUAGE sql STABLE AS $fn$
      WITH RECURSIVE tree (id, depth) AS (
        SELECT p_root, 0
        UNION ALL
        SELECT i.instance_id, t.depth + 1 FROM ${q}.instances i JOIN tree t ON i.parent_instance_id = t.id
      )
      SELECT array_agg(id ORDER BY depth, id) FROM tree;
    $fn$;

    -- Deletes a root instance with its whole tree; a sub-orchestration id fails (delete its root).
    CREATE FUNCTION ${q}.delete_tree(p_root TEXT, p_force BOOLEAN)
    RETURNS TABLE (o_instances BIGINT, o_executions BIGINT, o_events BIGINT, o_messages BIGINT)
    LANGUAGE plpgsql AS $fn$
    DECLARE
      v_parent TEXT;
    BEGIN
      SELECT parent_instance_id INTO v_parent FROM ${q}.instances WHERE instance_id = p_root;
      IF NOT FOUND THEN
        RAISE EXCEPTION 'Instance ''%'' not found', p_root;
      END IF;
      IF v_parent IS NOT NULL THEN
        RAISE EXCEPTION 'Cannot delete sub-orchestration ''%'' directly: delete its root instance (parent ''%'')', p_root, v_parent;
      END IF;
      RETURN QUERY SELECT * FROM ${q}.delete_instances(${q}.instance_tree(p_root), p_force);
    END
    $fn$;

    -- Deletes terminal root instances (with their trees) matching the filter; running ones are skipped.
    CREATE FUNCTION ${q}.delete_instance_bulk(p_ids TEXT[], p_before BIGINT, p_limit INT)
    RETURNS TABLE (o_instances BIGINT, o_executions BIGINT, o_events BIGINT, o_messages BIGINT)
    LANGUAGE plpgsql AS $fn$
    DECLARE
      v_root TEXT;
      v_r RECORD;
      v_instances BIGINT := 0;
      v_executions BIGINT := 0;
      v_events BIGINT := 0;
      v_messages BIGINT := 0;
    BEGIN
      FOR v_root IN
        SELECT i.instance_id FROM ${q}.instances i
          JOIN ${q}.executions e ON e.instance_id = i.instance_id AND e.execution_id = i.current_execution_id
         WHERE i.parent_instance_id IS NULL
           AND e.status IN ('Completed', 'Failed', 'ContinuedAsNew')
           AND (p_ids IS NULL OR i.instance_id = ANY (p_ids))
           AND (p_before IS NULL OR e.completed_at < p_before)
         ORDER BY i.created_at, i.instance_id
         LIMIT p_limit
      LOOP
        SELECT * INTO v_r FROM ${q}.delete_instances(${q}.instance_tree(v_root), TRUE);
        v_instances := v_instances + v_r.o_instances;
        v_executions := v_executions + v_r.o_executions;
        v_events := v_events + v_r.o_events;
        v_messages := v_messages + v_r.o_messages;
      END LOOP;
      RETURN QUERY SELECT v_instances, v_executions, v_events, v_messages;
    END
    $fn$;

    -- Deletes old executions of one instance: never the current one nor a running one; KV is untouched.
    CREATE FUNCTION ${q}.prune_executions(p_instance TEXT, p_keep INT, p_before BIGINT)
    RETURNS TABLE (o_executions BIGINT, o_events BIGINT)
    LANGUAGE plpgsql AS $fn$
    DECLARE
      v_current BIGINT;
      v_victims BIGINT[];
      v_executions BIGINT;
      v_events BIGINT;
    BEGIN
      SELECT current_execution_id INTO v_current FROM ${q}.instances WHERE instance_id = p_instance FOR UPDATE;
      IF NOT FOUND THEN
        RAISE EXCEPTION 'Instance ''%'' not found', p_instance;
      END IF;
      SELECT array_agg(e.execution_id) INTO v_victims FROM ${q}.executions e
       WHERE e.instance_id = p_instance AND e.execution_id <> v_current AND e.status <> 'Running'
         AND (p_keep IS NULL OR e.execution_id NOT IN (
               SELECT k.execution_id FROM ${q}.executions k WHERE k.instance_id = p_instance
                ORDER BY k.execution_id DESC LIMIT p_keep))
         AND (p_before IS NULL OR e.completed_at < p_before);
      IF v_victims IS NULL THEN
        RETURN QUERY SELECT 0::BIGINT, 0::BIGINT;
        RETURN;
      END IF;
      DELETE FROM ${q}.history WHERE instance_id = p_instance AND execution_id = ANY (v_victims);
      GET DIAGNOSTICS v_events = ROW_COUNT;
      DELETE FROM ${q}.executions WHERE instance_id = p_instance AND execution_id = ANY (v_victims);
      GET DIAGNOSTICS v_executions = ROW_COUNT;
      RETURN QUERY SELECT v_executions, v_events;
    END
    $fn$;

    -- Prunes every matching instance, running ones included.
    CREATE FUNCTION ${q}.prune_executions_bulk(p_ids TEXT[], p_before BIGINT, p_limit INT, p_keep INT,
                                               p_prune_before BIGINT)
    RETURNS TABLE (o_instances BIGINT, o_executions BIGINT, o_events BIGINT)
    LANGUAGE plpgsql AS $fn$
    DECLARE
      v_id TEXT;
      v_r RECORD;
      v_instances BIGINT := 0;
      v_executions BIGINT := 0;
      v_events BIGINT := 0;
    BEGIN
      FOR v_id IN
        SELECT i.instance_id FROM ${q}.instances i
         WHERE (p_ids IS NULL OR i.instance_id = ANY (p_ids))
           AND (p_before IS NULL OR EXISTS (SELECT 1 FROM ${q}.executions e
                                             WHERE e.instance_id = i.instance_id AND e.completed_at < p_before))
         ORDER BY i.created_at, i.instance_id
         LIMIT p_limit
      LOOP
        SELECT * INTO v_r FROM ${q}.prune_executions(v_id, p_keep, p_prune_before);
        v_instances := v_instances + 1;
        v_executions := v_executions + v_r.o_executions;
        v_events := v_events + v_r.o_events;
      END LOOP;
      RETURN QUERY SELECT v_instances, v_executions, v_events;
    END
    $fn$;
  `;
}
