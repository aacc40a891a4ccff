import type Database from 'better-sqlite3';
import { invalidInput } from './errors.js';
import type { StoreContext } from './history-store.js';

interface ClaimParams {
  session: string;
  owner: string;
  until: number;
  now: number;
}

/** Session affinity leases: which owner may run a session's activities, and until when. */
export class SessionStore {
  private readonly claimStmt: Database.Statement<[ClaimParams]>;
  private readonly touchStmt: Database.Statement<[number, string, number]>;
  private readonly renewStmt: Database.Statement<
    [{ owners: string; until: number; now: number; idleCutoff: number }]
  >;
  private readonly cleanupStmt: Database.Statement<[number]>;

  constructor(ctx: StoreContext) {
    const { db } = ctx;
    this.claimStmt = db.prepare(
      `INSERT INTO sessions (session_id, worker_id, locked_until, last_activity_at)
       VALUES (@session, @owner, @until, @now)
       ON CONFLICT (session_id) DO UPDATE SET worker_id = excluded.worker_id,
         locked_until = excluded.locked_until, last_activity_at = excluded.last_activity_at
       WHERE sessions.locked_until <= @now OR sessions.worker_id = excluded.worker_id`,
    );
    this.touchStmt = db.prepare(
      'UPDATE sessions SET last_activity_at = ? WHERE session_id = ? AND locked_until > ?',
    );
    this.renewStmt = db.prepare(
      `UPDATE sessions SET locked_until = @until
       WHERE worker_id IN (SELECT value FROM json_each(@owners))
         AND locked_until > @now AND last_activity_at > @idleCutoff`,
    );
    this.cleanupStmt = db.prepare(
      `DELETE FROM sessions WHERE locked_until < ?
         AND NOT EXISTS (SELECT 1 FROM worker_queue w WHERE w.session_id = sessions.session_id)`,
    );
  }

  /** Claims (or re-claims) a session for `owner` unless another owner holds a live lease. */
  claim(session: string, owner: string, until: number, now: number): boolean {
    return this.claimStmt.run({ session, owner, until, now }).changes === 1;
  }

  /** Records activity on a live session (ack and renew heartbeats); best effort. */
  touch(session: string, now: number): void {
    this.touchStmt.run(now, session, now);
  }

  /** Extends the live, non-idle sessions of these owners; returns how many. */
  renew(owners: string[], until: number, now: number, idleTimeoutMs: number): number {
    if (!Array.isArray(owners) || owners.some((o) => typeof o !== 'string')) {
      throw invalidInput('renewSessionLock', 'ownerIds must be an array of strings');
    }
    if (owners.length === 0) return 0;
    const idleCutoff = now - idleTimeoutMs;
    return this.renewStmt.run({ owners: JSON.stringify(owners), until, now, idleCutoff }).changes;
  }

  /** Deletes expired sessions no queued activity refers to; returns how many. */
  cleanup(now: number): number {
    return this.cleanupStmt.run(now).changes;
  }
}
