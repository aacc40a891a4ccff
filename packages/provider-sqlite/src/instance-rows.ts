import type { CustomStatusReading, ExecutionStatus, Semver } from '@duroxide/core';
import type Database from 'better-sqlite3';
import type { StoreContext } from './history-store.js';

/** An `instances` row as the store modules read it. */
export interface InstanceRow {
  instance_id: string;
  orchestration_name: string;
  orchestration_version: string | null;
  current_execution_id: number;
  custom_status: string | null;
  custom_status_version: number;
  parent_instance_id: string | null;
  created_at: number;
  updated_at: number;
}

/** Writes and reads of the `instances` and `executions` rows an ack maintains. */
export class InstanceRows {
  private readonly upsertInstanceStmt: Database.Statement<
    [
      {
        instance: string;
        name: string;
        version: string;
        executionId: number;
        parent: string | null;
        now: number;
      },
    ]
  >;
  private readonly ensureExecutionStmt: Database.Statement<[string, number, number]>;
  private readonly setPinnedStmt: Database.Statement<[number, number, number, string, number]>;
  private readonly bumpCurrentStmt: Database.Statement<[number, number, string]>;
  private readonly setStatusStmt: Database.Statement<
    [ExecutionStatus, string | null, number, string, number]
  >;
  private readonly setCustomStatusStmt: Database.Statement<[string | null, string]>;
  private readonly getCustomStatusStmt: Database.Statement<
    [string, number],
    { custom_status: string | null; custom_status_version: number }
  >;
  private readonly getInstanceStmt: Database.Statement<[string], InstanceRow>;

  constructor(ctx: StoreContext) {
    const { db } = ctx;
    this.upsertInstanceStmt = db.prepare(
      `INSERT INTO instances (instance_id, orchestration_name, orchestration_version, current_execution_id,
         parent_instance_id, created_at, updated_at)
       VALUES (@instance, @name, @version, @executionId, @parent, @now, @now)
       ON CONFLICT (instance_id) DO UPDATE SET
         orchestration_name = excluded.orchestration_name,
         orchestration_version = excluded.orchestration_version,
         parent_instance_id = COALESCE(instances.parent_instance_id, excluded.parent_instance_id),
         current_execution_id = MAX(instances.current_execution_id, excluded.current_execution_id),
         updated_at = excluded.updated_at`,
    );
    this.ensureExecutionStmt = db.prepare(
      `INSERT INTO executions (instance_id, execution_id, status, started_at) VALUES (?, ?, 'Running', ?)
       ON CONFLICT (instance_id, execution_id) DO NOTHING`,
    );
    this.setPinnedStmt = db.prepare(
      `UPDATE executions SET pinned_major = ?, pinned_minor = ?, pinned_patch = ?
       WHERE instance_id = ? AND execution_id = ?`,
    );
    this.bumpCurrentStmt = db.prepare(
      `UPDATE instances SET current_execution_id = MAX(current_execution_id, ?), updated_at = ?
       WHERE instance_id = ?`,
    );
    this.setStatusStmt = db.prepare(
      `UPDATE executions SET status = ?, output = ?, completed_at = ?
       WHERE instance_id = ? AND execution_id = ?`,
    );
    this.setCustomStatusStmt = db.prepare(
      `UPDATE instances SET custom_status = ?, custom_status_version = custom_status_version + 1
       WHERE instance_id = ?`,
    );
    this.getCustomStatusStmt = db.prepare(
      `SELECT custom_status, custom_status_version FROM instances
       WHERE instance_id = ? AND custom_status_version > ?`,
    );
    this.getInstanceStmt = db.prepare('SELECT * FROM instances WHERE instance_id = ?');
  }

  /**
   * Creates the instance row if absent and records name/version; the parent id is write-once. It also moves
   * the current-execution pointer forward, so an ack that upserts needs no `bumpCurrentExecution`.
   */
  upsertInstance(
    instance: string,
    name: string,
    version: string,
    executionId: number,
    parent: string | null,
    now: number,
  ): void {
    this.upsertInstanceStmt.run({ instance, name, version, executionId, parent, now });
  }

  /** Creates the execution row (status Running) if absent. */
  ensureExecution(instance: string, executionId: number, now: number): void {
    this.ensureExecutionStmt.run(instance, executionId, now);
  }

  /** Overwrites the execution's pinned runtime version. */
  setPinnedVersion(instance: string, executionId: number, v: Semver): void {
    this.setPinnedStmt.run(v.major, v.minor, v.patch, instance, executionId);
  }

  /** Moves the current-execution pointer forward (never back) and touches `updated_at`. */
  bumpCurrentExecution(instance: string, executionId: number, now: number): void {
    this.bumpCurrentStmt.run(executionId, now, instance);
  }

  /** Records a terminal status; `completed_at` is stamped for every terminal status, ContinuedAsNew included. */
  setStatus(
    instance: string,
    executionId: number,
    status: ExecutionStatus,
    output: string | null,
    now: number,
  ): void {
    this.setStatusStmt.run(status, output, now, instance, executionId);
  }

  /** Sets (or clears, with null) the custom status and bumps its version. */
  setCustomStatus(instance: string, status: string | null): void {
    this.setCustomStatusStmt.run(status, instance);
  }

  /** The custom status when its version is above `lastSeenVersion`. */
  getCustomStatus(instance: string, lastSeenVersion: number): CustomStatusReading | null {
    const row = this.getCustomStatusStmt.get(instance, lastSeenVersion);
    return row ? { customStatus: row.custom_status, version: row.custom_status_version } : null;
  }

  /** The instance row, or undefined. */
  getInstance(instance: string): InstanceRow | undefined {
    return this.getInstanceStmt.get(instance);
  }
}
