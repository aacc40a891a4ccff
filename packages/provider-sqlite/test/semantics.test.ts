import { ManualClock, type OrchestrationAck } from '@duroxide/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteProvider } from '../src/index.js';
import { ev, start } from './helpers.js';

let clock: ManualClock;
let p: SqliteProvider;
const T0 = 5_000_000;

beforeEach(async () => {
  clock = new ManualClock(T0);
  p = await SqliteProvider.inMemory({ clock });
});
afterEach(() => p.close());

const ack = (overrides: Partial<OrchestrationAck> = {}): OrchestrationAck => ({
  executionId: 1,
  historyDelta: [],
  workerItems: [],
  orchestratorItems: [],
  metadata: {},
  cancelledActivities: [],
  ...overrides,
});
const started = (instance: string, executionId = 1) =>
  ev(instance, executionId, 1, { kind: 'OrchestrationStarted', name: 'T', version: '1.0.0', input: '' });

async function fetchFor(instance: string) {
  const fetched = await p.fetchOrchestrationItem(30_000, 0);
  expect(fetched?.item.instance).toBe(instance);
  return fetched!;
}

async function create(instance: string) {
  await p.enqueueForOrchestrator(start(instance));
  const f = await fetchFor(instance);
  await p.ackOrchestrationItem(
    f.lockToken,
    ack({
      historyDelta: [started(instance)],
      metadata: { orchestrationName: 'T', orchestrationVersion: '1.0.0' },
    }),
  );
}

describe('completed_at', () => {
  it('is stamped for ContinuedAsNew too, so completedBefore filters can prune continued executions', async () => {
    await create('can');
    await p.enqueueForOrchestrator({ kind: 'ExternalRaised', instance: 'can', name: 'go', data: '' });
    const f = await fetchFor('can');
    clock.advance(1_000);
    await p.ackOrchestrationItem(
      f.lockToken,
      ack({
        historyDelta: [ev('can', 1, 2, { kind: 'OrchestrationContinuedAsNew', input: '' })],
        orchestratorItems: [
          { kind: 'ContinueAsNew', instance: 'can', orchestration: 'T', input: '', carryForwardEvents: [] },
        ],
        metadata: { status: 'ContinuedAsNew', orchestrationName: 'T', orchestrationVersion: '1.0.0' },
      }),
    );
    const admin = p.asManagementCapability();
    expect((await admin.getExecutionInfo('can', 1)).completedAt).toBe(T0 + 1_000);
    const f2 = await fetchFor('can');
    await p.ackOrchestrationItem(f2.lockToken, ack({ executionId: 2, historyDelta: [started('can', 2)] }));
    expect((await admin.getExecutionInfo('can', 2)).completedAt).toBeNull();
    clock.advance(1_000);
    const pruned = await admin.pruneExecutions('can', { completedBefore: T0 + 1_001 });
    expect(pruned).toEqual({ instancesProcessed: 1, executionsDeleted: 1, eventsDeleted: 2 });
    expect(await admin.listExecutions('can')).toEqual([2]);
  });
});

describe('fetch', () => {
  it('an unattributable batch at the head of the queue does not starve instances behind it', async () => {
    await p.enqueueForOrchestrator({
      kind: 'ActivityCompleted',
      instance: 'not-started',
      executionId: 1,
      id: 2,
      result: '1',
    });
    await p.enqueueForOrchestrator(start('behind'));
    const f = await fetchFor('behind');
    await p.ackOrchestrationItem(f.lockToken, ack());
    expect(await p.fetchOrchestrationItem(1000, 0), 'the completion stays queued for its start').toBeNull();
    await p.enqueueForOrchestrator(start('not-started'));
    expect((await fetchFor('not-started')).item.messages.map((m) => m.kind)).toEqual([
      'ActivityCompleted',
      'StartOrchestration',
    ]);
  });

  it('a TimerFired enqueued directly never becomes visible before its fire time', async () => {
    await create('timer');
    await p.enqueueForOrchestrator(
      { kind: 'TimerFired', instance: 'timer', executionId: 1, id: 2, fireAtMs: T0 + 10_000 },
      1_000,
    );
    clock.advance(9_999);
    expect(await p.fetchOrchestrationItem(1000, 0)).toBeNull();
    clock.advance(1);
    expect((await fetchFor('timer')).item.messages[0]?.kind).toBe('TimerFired');
  });

  it('a TimerFired from an ack becomes visible exactly at fireAtMs', async () => {
    await create('ack-timer');
    await p.enqueueForOrchestrator({ kind: 'ExternalRaised', instance: 'ack-timer', name: 'e', data: '' });
    const f = await fetchFor('ack-timer');
    await p.ackOrchestrationItem(
      f.lockToken,
      ack({
        orchestratorItems: [
          { kind: 'TimerFired', instance: 'ack-timer', executionId: 1, id: 2, fireAtMs: T0 + 500 },
        ],
      }),
    );
    clock.advance(499);
    expect(await p.fetchOrchestrationItem(1000, 0)).toBeNull();
    clock.advance(1);
    expect((await fetchFor('ack-timer')).item.messages[0]?.kind).toBe('TimerFired');
  });

  it('abandon with a delay also hides messages that arrived during the turn, and ignoreAttempt un-counts', async () => {
    await p.enqueueForOrchestrator(start('backoff'));
    const f = await fetchFor('backoff');
    await p.enqueueForOrchestrator({ kind: 'ExternalRaised', instance: 'backoff', name: 'e', data: '' });
    await p.abandonOrchestrationItem(f.lockToken, { delayMs: 1_000, ignoreAttempt: true });
    expect(await p.fetchOrchestrationItem(1000, 0)).toBeNull();
    clock.advance(1_000);
    const again = await fetchFor('backoff');
    expect(again.item.messages).toHaveLength(2);
    expect(again.attemptCount).toBe(1);
  });
});

describe('management figures', () => {
  it('queue depths count rows not held by a live lock', async () => {
    const admin = p.asManagementCapability();
    await p.enqueueForOrchestrator(start('d1'));
    await p.enqueueForOrchestrator(start('d2'));
    expect((await admin.getQueueDepths()).orchestratorQueue).toBe(2);
    const f = await p.fetchOrchestrationItem(1000, 0);
    expect((await admin.getQueueDepths()).orchestratorQueue).toBe(1);
    clock.advance(1000);
    expect((await admin.getQueueDepths()).orchestratorQueue, 'an expired lock no longer holds its rows').toBe(
      2,
    );
    expect(f).not.toBeNull();
  });

  it('instance stats report the current execution and merged KV', async () => {
    await create('stats');
    await p.enqueueForOrchestrator({ kind: 'ExternalRaised', instance: 'stats', name: 'e', data: '' });
    const f = await fetchFor('stats');
    await p.ackOrchestrationItem(
      f.lockToken,
      ack({
        historyDelta: [
          ev('stats', 1, 2, { kind: 'KeyValueSet', key: 'a', value: 'xyz', lastUpdatedAtMs: T0 }),
          ev('stats', 1, 3, { kind: 'KeyValueSet', key: 'b', value: 'é', lastUpdatedAtMs: T0 }),
        ],
      }),
    );
    const stats = await p.getInstanceStats('stats');
    expect(stats).toMatchObject({
      historyEventCount: 3,
      queuePendingCount: 0,
      kvUserKeyCount: 2,
      kvTotalValueBytes: 5,
    });
    expect(stats!.historySizeBytes).toBeGreaterThan(100);
  });
});
