import {
  type Event,
  type OrchestrationAck,
  type ScheduledActivityIdentifier,
  type Semver,
  tryParseSemver,
} from '@duroxide/core';
import type Database from 'better-sqlite3';
import { invalidInput, invalidLockToken, lockExpired } from './errors.js';
import { inGroupOr } from './group-commit.js';
import type { EncodedEvent, HistoryStore, StoreContext } from './history-store.js';
import type { InstanceRows } from './instance-rows.js';
import type { KvStore } from './kv-store.js';
import { type CommitEffects, workHint } from './notifier.js';
import { type EncodedMessage, encodeMessage, type OrchestratorQueue } from './orchestrator-queue.js';
import { type EncodedActivity, encodeActivity, type WorkerQueue } from './worker-queue.js';

const OP = 'ackOrchestrationItem';
const STATUSES = new Set(['Completed', 'Failed', 'ContinuedAsNew']);

/** What a committed ack changed in the orchestrator queue. */
interface Committed {
  /** The acked instance. */
  instance: string;
  /** Instances with messages visible now (each needs one fetch). */
  readyInstances: number;
  /** Whether a message was inserted invisible (a timer). */
  delayed: boolean;
}

/** An ack whose payloads were validated and serialized before the transaction starts. */
interface PreparedAck {
  ack: OrchestrationAck;
  events: EncodedEvent[];
  workers: EncodedActivity[];
  messages: EncodedMessage[];
  pinned: Semver | null;
}

/** `ackOrchestrationItem`: the single atomic commit of a turn. */
export class OrchestrationAcker {
  private readonly tx: Database.Transaction<(token: string, prepared: PreparedAck) => Committed>;

  constructor(
    private readonly ctx: StoreContext,
    private readonly queue: OrchestratorQueue,
    private readonly workers: WorkerQueue,
    private readonly history: HistoryStore,
    private readonly instances: InstanceRows,
    private readonly kv: KvStore,
  ) {
    this.tx = ctx.db.transaction((token, prepared) => this.commit(token, prepared));
  }

  /** Validates everything, then commits in one immediate transaction; returns what changed. */
  ack(token: string, ack: OrchestrationAck): CommitEffects {
    const prepared = this.prepare(ack);
    const { instance, readyInstances, delayed } = inGroupOr(
      this.ctx.db,
      this.tx,
      (t, p) => this.commit(t, p),
      token,
      prepared,
    );
    return {
      // A delayed message (a timer) changes every waiter's next wake-up time, so all of them recompute it.
      orchestrator: delayed ? 'all' : readyInstances,
      worker: prepared.workers.map((w) => workHint(w.item)),
      // Only the acked instance changed what clients read; the targets of its messages did not (yet).
      instances: [instance],
    };
  }

  private prepare(ack: OrchestrationAck): PreparedAck {
    if (typeof ack !== 'object' || ack === null) throw invalidInput(OP, 'the ack must be an object');
    if (!Number.isSafeInteger(ack.executionId) || ack.executionId < 1) {
      throw invalidInput(OP, `executionId must be a positive integer, got ${String(ack.executionId)}`);
    }
    for (const field of [
      'historyDelta',
      'workerItems',
      'orchestratorItems',
      'cancelledActivities',
    ] as const) {
      if (!Array.isArray(ack[field])) throw invalidInput(OP, `${field} must be an array`);
    }
    const metadata = ack.metadata ?? {};
    if (metadata.status !== undefined && !STATUSES.has(metadata.status)) {
      throw invalidInput(
        OP,
        `metadata.status must be Completed, Failed or ContinuedAsNew, got ${metadata.status}`,
      );
    }
    let pinned: Semver | null = null;
    if (metadata.pinnedDuroxideVersion !== undefined) {
      pinned = tryParseSemver(metadata.pinnedDuroxideVersion);
      if (!pinned) {
        throw invalidInput(
          OP,
          `metadata.pinnedDuroxideVersion '${metadata.pinnedDuroxideVersion}' is not a version`,
        );
      }
    }
    ack.cancelledActivities.forEach(checkIdentity);
    const limit = this.ctx.maxPayloadBytes;
    return {
      ack: { ...ack, metadata },
      events: this.history.encodeEvents(OP, ack.historyDelta),
      workers: ack.workerItems.map((item) => encodeActivity(OP, item, limit)),
      messages: ack.orchestratorItems.map((item) => encodeMessage(OP, item, limit)),
      pinned,
    };
  }

  private commit(token: string, prepared: PreparedAck): Committed {
    const now = this.ctx.clock.now();
    const lock = this.queue.lockByToken(token);
    if (!lock) throw invalidLockToken(OP, token);
    if (lock.locked_until <= now) throw lockExpired(OP, 'Instance', token, lock.locked_until, now);
    const instance = lock.instance_id;
    const { executionId, metadata, historyDelta } = prepared.ack;

    if (metadata.orchestrationName !== undefined && metadata.orchestrationVersion !== undefined) {
      const parent = metadata.parentInstanceId ?? null;
      const { orchestrationName: name, orchestrationVersion: version } = metadata;
      this.instances.upsertInstance(instance, name, version, executionId, parent, now);
    } else {
      this.instances.bumpCurrentExecution(instance, executionId, now);
    }
    this.instances.ensureExecution(instance, executionId, now);
    if (prepared.pinned) this.instances.setPinnedVersion(instance, executionId, prepared.pinned);
    this.history.insertEvents(OP, instance, executionId, prepared.events);
    if (metadata.status !== undefined) {
      this.instances.setStatus(instance, executionId, metadata.status, metadata.output ?? null, now);
    }
    const status = lastCustomStatus(historyDelta);
    if (status !== undefined) this.instances.setCustomStatus(instance, status);
    this.kv.applyEvents(instance, historyDelta, now);
    if (metadata.status !== undefined) this.kv.mergeDelta(instance);

    // Insert before deleting: an activity scheduled and cancelled in the same turn must end up absent.
    for (const activity of prepared.workers) this.workers.insert(activity, now);
    for (const id of prepared.ack.cancelledActivities) this.workers.cancel(id);
    let delayed = false;
    const ready = new Set<string>();
    for (const message of prepared.messages) {
      if (this.queue.insert(message, now, null) > now) delayed = true;
      else ready.add(message.instance);
    }
    this.queue.completeHeld(lock);
    // Messages that arrived during the turn become fetchable with the released lock.
    if (this.queue.hasVisible(instance, now)) ready.add(instance);
    else ready.delete(instance);
    return { instance, readyInstances: ready.size, delayed };
  }
}

/** The status of the last `CustomStatusUpdated` in the delta; undefined when there is none. */
function lastCustomStatus(events: readonly Event[]): string | null | undefined {
  for (let i = events.length - 1; i >= 0; i--) {
    const event = events[i]!;
    if (event.kind === 'CustomStatusUpdated') return event.status;
  }
  return undefined;
}

function checkIdentity(id: ScheduledActivityIdentifier, index: number): void {
  if (
    typeof id !== 'object' ||
    id === null ||
    typeof id.instance !== 'string' ||
    !Number.isSafeInteger(id.executionId) ||
    !Number.isSafeInteger(id.activityId)
  ) {
    throw invalidInput(OP, `cancelledActivities[${index}] must be { instance, executionId, activityId }`);
  }
}
