import type { SchemaNames } from './naming.js';

/** The tables and indexes; every timestamp is epoch milliseconds from the calling runtime's clock. */
export function tablesSql({ q }: SchemaNames): string {
  return `
    CREATE TABLE ${q}.instances (
      instance_id TEXT PRIMARY KEY,
      orchestration_name TEXT NOT NULL,
      orchestration_version TEXT,
      current_execution_id BIGINT NOT NULL DEFAULT 1,
      custom_status TEXT,
      custom_status_version BIGINT NOT NULL DEFAULT 0,
      parent_instance_id TEXT,
      created_at BIGINT NOT NULL,
      updated_at BIGINT NOT NULL
    );
    CREATE INDEX idx_instances_parent ON ${q}.instances (parent_instance_id) WHERE parent_instance_id IS NOT NULL;
    CREATE INDEX idx_instances_created ON ${q}.instances (created_at);

    CREATE TABLE ${q}.executions (
      instance_id TEXT NOT NULL,
      execution_id BIGINT NOT NULL,
      status TEXT NOT NULL DEFAULT 'Running',
      output TEXT,
      pinned_major INT,
      pinned_minor INT,
      pinned_patch INT,
      started_at BIGINT NOT NULL,
      completed_at BIGINT,
      PRIMARY KEY (instance_id, execution_id)
    );

    CREATE TABLE ${q}.history (
      instance_id TEXT NOT NULL,
      execution_id BIGINT NOT NULL,
      event_id BIGINT NOT NULL,
      event_kind TEXT NOT NULL,
      event_data TEXT NOT NULL,
      created_at BIGINT NOT NULL,
      PRIMARY KEY (instance_id, execution_id, event_id)
    );

    CREATE TABLE ${q}.orchestrator_queue (
      id BIGSERIAL PRIMARY KEY,
      instance_id TEXT NOT NULL,
      item_kind TEXT NOT NULL,
      work_item TEXT NOT NULL,
      visible_at BIGINT NOT NULL,
      lock_token TEXT,
      attempt_count INT NOT NULL DEFAULT 0,
      created_at BIGINT NOT NULL
    );
    CREATE INDEX idx_orch_visible ON ${q}.orchestrator_queue (visible_at, id);
    CREATE INDEX idx_orch_instance ON ${q}.orchestrator_queue (instance_id, visible_at);
    CREATE INDEX idx_orch_lock ON ${q}.orchestrator_queue (lock_token) WHERE lock_token IS NOT NULL;

    CREATE TABLE ${q}.worker_queue (
      id BIGSERIAL PRIMARY KEY,
      work_item TEXT NOT NULL,
      visible_at BIGINT NOT NULL,
      lock_token TEXT,
      locked_until BIGINT,
      attempt_count INT NOT NULL DEFAULT 0,
      instance_id TEXT NOT NULL,
      execution_id BIGINT NOT NULL,
      activity_id BIGINT NOT NULL,
      session_id TEXT,
      tag TEXT,
      created_at BIGINT NOT NULL
    );
    CREATE INDEX idx_worker_visible ON ${q}.worker_queue (visible_at);
    CREATE INDEX idx_worker_identity ON ${q}.worker_queue (instance_id, execution_id, activity_id);
    CREATE INDEX idx_worker_session ON ${q}.worker_queue (session_id) WHERE session_id IS NOT NULL;
    CREATE UNIQUE INDEX idx_worker_lock ON ${q}.worker_queue (lock_token) WHERE lock_token IS NOT NULL;
    CREATE INDEX idx_worker_locked_until ON ${q}.worker_queue (locked_until) WHERE lock_token IS NOT NULL;

    CREATE TABLE ${q}.instance_locks (
      instance_id TEXT PRIMARY KEY,
      lock_token TEXT NOT NULL UNIQUE,
      locked_until BIGINT NOT NULL,
      locked_at BIGINT NOT NULL
    );
    CREATE INDEX idx_instance_locks_until ON ${q}.instance_locks (locked_until);

    CREATE TABLE ${q}.sessions (
      session_id TEXT PRIMARY KEY,
      worker_id TEXT NOT NULL,
      locked_until BIGINT NOT NULL,
      last_activity_at BIGINT NOT NULL
    );
    CREATE INDEX idx_sessions_worker ON ${q}.sessions (worker_id);
    CREATE INDEX idx_sessions_until ON ${q}.sessions (locked_until);

    CREATE TABLE ${q}.kv_store (
      instance_id TEXT NOT NULL,
      key TEXT NOT NULL,
      value TEXT NOT NULL,
      last_updated_at_ms BIGINT NOT NULL,
      PRIMARY KEY (instance_id, key)
    );

    CREATE TABLE ${q}.kv_delta (
      instance_id TEXT NOT NULL,
      key TEXT NOT NULL,
      value TEXT,
      last_updated_at_ms BIGINT NOT NULL,
      PRIMARY KEY (instance_id, key)
    );
  `;
}
