import {
  type ActivityExecuteItem,
  ManualClock,
  type OrchestrationAck,
  type OrchestratorItem,
  ProviderError,
} from '@duroxide/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteProvider, sqliteTestHooks } from '../src/index.js';
import { ev, start } from './helpers.js';

const LIMIT = 4096;
let clock: ManualClock;
let p: SqliteProvider;

beforeEach(async () => {
  clock = new ManualClock(1_000_000);
  p = await SqliteProvider.inMemory({ clock, maxPayloadBytes: LIMIT });
});
afterEach(() => p.close());

const db = () => sqliteTestHooks.database(p);
const count = (table: string) =>
  (db().prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
const snapshot = () =>
  [
    'instances',
    'executions',
    'history',
    'orchestrator_queue',
    'worker_queue',
    'instance_locks',
    'kv_delta',
  ].map(count);

const ack = (overrides: Partial<OrchestrationAck> = {}): OrchestrationAck => ({
  executionId: 1,
  historyDelta: [],
  workerItems: [],
  orchestratorItems: [],
  metadata: {},
  cancelledActivities: [],
  ...overrides,
});
const activity = (instance: string, input = '{}'): ActivityExecuteItem => ({
  kind: 'ActivityExecute',
  instance,
  executionId: 1,
  id: 2,
  name: 'A',
  input,
});

async function expectPermanent(promise: Promise<unknown>, pattern: RegExp): Promise<ProviderError> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProviderError);
  expect((err as ProviderError).retryable).toBe(false);
  expect((err as ProviderError).message).toMatch(pattern);
  return err as ProviderError;
}

async function lockedStart(instance: string) {
  await p.enqueueForOrchestrator(start(instance));
  const fetched = await p.fetchOrchestrationItem(30_000, 0);
  expect(fetched?.item.instance).toBe(instance);
  return fetched!;
}

describe('oversized payloads are refused before anything is written', () => {
  it('enqueue names the size and the limit', async () => {
    const big: OrchestratorItem = {
      kind: 'ExternalRaised',
      instance: 'big',
      name: 'e',
      data: 'x'.repeat(LIMIT),
    };
    const err = await expectPermanent(p.enqueueForOrchestrator(big), /payload too large/);
    expect(err.message).toMatch(new RegExp(`exceeding the limit of ${LIMIT} bytes`));
    expect(err.message).toMatch(/is \d{4,} bytes/);
    await expectPermanent(p.enqueueForWorker(activity('big', 'y'.repeat(LIMIT))), /payload too large/);
    expect(count('orchestrator_queue') + count('worker_queue')).toBe(0);
  });

  it('an ack with one oversized event changes nothing and keeps the lock', async () => {
    const fetched = await lockedStart('big-ack');
    const before = snapshot();
    const huge = ev('big-ack', 1, 2, { kind: 'ExternalEvent', name: 'e', data: 'z'.repeat(LIMIT) });
    await expectPermanent(
      p.ackOrchestrationItem(
        fetched.lockToken,
        ack({
          historyDelta: [
            ev('big-ack', 1, 1, { kind: 'OrchestrationStarted', name: 'T', version: '1.0.0', input: '' }),
            huge,
          ],
          workerItems: [activity('big-ack')],
          metadata: { orchestrationName: 'T', orchestrationVersion: '1.0.0' },
        }),
      ),
      /payload too large: history event #1 \(event 2\)/,
    );
    expect(snapshot()).toEqual(before);
    await p.ackOrchestrationItem(fetched.lockToken, ack());
  });

  it('a multi-byte payload is measured in UTF-8 bytes, not characters', async () => {
    const data = 'é'.repeat(LIMIT / 2); // LIMIT/2 characters, LIMIT bytes, plus the envelope
    await expectPermanent(
      p.enqueueForOrchestrator({ kind: 'ExternalRaised', instance: 'utf8', name: 'e', data }),
      /payload too large/,
    );
  });
});

describe('wrong and expired lock tokens', () => {
  it('ack, abandon and renew with an unknown token fail with "Invalid lock token"', async () => {
    await expectPermanent(p.ackOrchestrationItem('nope', ack()), /Invalid lock token/);
    await expectPermanent(p.abandonOrchestrationItem('nope'), /Invalid lock token/);
    await expectPermanent(p.renewOrchestrationItemLock('nope', 1000), /Invalid lock token/);
    await expectPermanent(p.ackWorkItem('nope', null), /Invalid lock token/);
    await expectPermanent(p.abandonWorkItem('nope'), /Invalid lock token/);
    await expectPermanent(p.renewWorkItemLock('nope', 1000), /Invalid lock token/);
  });

  it('an expired orchestration lock fails ack and renew with "lock expired" and commits nothing', async () => {
    const fetched = await lockedStart('expired');
    clock.advance(30_000);
    const before = snapshot();
    await expectPermanent(
      p.ackOrchestrationItem(fetched.lockToken, ack({ workerItems: [activity('expired')] })),
      /lock expired/,
    );
    await expectPermanent(p.renewOrchestrationItemLock(fetched.lockToken, 1000), /lock expired/);
    expect(snapshot()).toEqual(before);
  });

  it('an expired activity lock fails ack with "lock expired" and the row stays fetchable', async () => {
    await p.enqueueForWorker(activity('w-expired'));
    const work = await p.fetchWorkItem(1000, 0, null, 'defaultOnly');
    clock.advance(1000);
    await expectPermanent(p.ackWorkItem(work!.lockToken, null), /lock expired/);
    expect((await p.fetchWorkItem(1000, 0, null, 'defaultOnly'))?.attemptCount).toBe(2);
  });
});

describe('malformed calls', () => {
  it('ActivityExecute is refused by enqueueForOrchestrator', async () => {
    await expectPermanent(
      p.enqueueForOrchestrator(activity('x') as unknown as OrchestratorItem),
      /ActivityExecute belongs in the worker queue/,
    );
    expect(count('orchestrator_queue')).toBe(0);
  });

  it('a malformed work item or event names the problem', async () => {
    const bad = { kind: 'ExternalRaised', instance: 'x', name: 'e' } as unknown as OrchestratorItem;
    await expectPermanent(p.enqueueForOrchestrator(bad), /missing field 'data'/);
    await expectPermanent(
      p.enqueueForWorker({ kind: 'Nope' } as unknown as ActivityExecuteItem),
      /ActivityExecute/,
    );
    await expectPermanent(
      p.appendWithExecution('x', 1, [ev('x', 1, 0, { kind: 'TimerFired', fireAtMs: 1 })]),
      /eventId must be a positive integer/,
    );
    await expectPermanent(p.fetchOrchestrationItem(-1, 0), /lockTimeoutMs must be a positive/);
    await expectPermanent(p.fetchWorkItem(1000, 0, null, { tags: [] }), /tag list must not be empty/);
    await expectPermanent(
      p.ackWorkItem('t', { kind: 'TimerFired' } as never),
      /completion must be ActivityCompleted or ActivityFailed/,
    );
  });

  it('a duplicate event id fails the whole ack', async () => {
    const fetched = await lockedStart('dup');
    const e1 = ev('dup', 1, 1, { kind: 'OrchestrationStarted', name: 'T', version: '1.0.0', input: '' });
    await expectPermanent(
      p.ackOrchestrationItem(
        fetched.lockToken,
        ack({ historyDelta: [e1, e1], workerItems: [activity('dup')] }),
      ),
      /duplicate event id 1 for instance 'dup'/,
    );
    expect(count('history') + count('worker_queue')).toBe(0);
  });

  it('unknown instances read as empty, never as errors', async () => {
    expect(await p.read('ghost')).toEqual([]);
    expect(await p.readWithExecution('ghost', 3)).toEqual([]);
    expect(await p.getKvValue('ghost', 'k')).toBeNull();
    expect(await p.getKvAllValues('ghost')).toEqual({});
    expect(await p.getCustomStatus('ghost', 0)).toBeNull();
    expect(await p.getInstanceStats('ghost')).toBeNull();
    const admin = p.asManagementCapability();
    expect(await admin.listExecutions('ghost')).toEqual([]);
    expect(await admin.listChildren('ghost')).toEqual([]);
    await expectPermanent(admin.getInstanceInfo('ghost'), /instance 'ghost' not found/);
    await expectPermanent(admin.getExecutionInfo('ghost', 1), /execution 1 of instance 'ghost' not found/);
    await expectPermanent(admin.deleteInstance('ghost', true), /not found/);
    await expectPermanent(admin.pruneExecutions('ghost', {}), /not found/);
  });
});

describe('corrupt rows', () => {
  it('a corrupt history row fails read() naming the table and row', async () => {
    const fetched = await lockedStart('c-hist');
    await p.ackOrchestrationItem(
      fetched.lockToken,
      ack({
        historyDelta: [
          ev('c-hist', 1, 1, { kind: 'OrchestrationStarted', name: 'T', version: '1.0.0', input: '' }),
        ],
        metadata: { orchestrationName: 'T', orchestrationVersion: '1.0.0' },
      }),
    );
    await sqliteTestHooks.corruptInstanceHistory(p, 'c-hist');
    await expectPermanent(
      p.read('c-hist'),
      /corrupt history row \(instance 'c-hist', execution 1, event 1\)/,
    );
  });

  it('a corrupt orchestrator message surfaces as historyError naming the row; the ack removes it', async () => {
    await p.enqueueForOrchestrator(start('c-msg'));
    db()
      .prepare(`UPDATE orchestrator_queue SET work_item = '{"kind":"Bogus"}' WHERE instance_id = 'c-msg'`)
      .run();
    await p.enqueueForOrchestrator({ kind: 'ExternalRaised', instance: 'c-msg', name: 'e', data: '1' });
    const instanceRowFirst = db().prepare('SELECT id FROM orchestrator_queue ORDER BY id').pluck().all();
    expect(instanceRowFirst).toHaveLength(2);
    // Without a start message or instance row the batch cannot be attributed, so it stays queued.
    expect(await p.fetchOrchestrationItem(1000, 0)).toBeNull();
    await p.enqueueForOrchestrator(start('c-msg'));
    const fetched = await p.fetchOrchestrationItem(1000, 0);
    expect(fetched?.item.historyError).toMatch(/orchestrator_queue row \d+ \(instance 'c-msg'\)/);
    expect(fetched?.item.messages.map((m) => m.kind)).toEqual(['ExternalRaised', 'StartOrchestration']);
    await p.ackOrchestrationItem(fetched!.lockToken, ack());
    expect(count('orchestrator_queue')).toBe(0);
  });

  it('a corrupt worker row fails the fetch naming the row and changes nothing', async () => {
    await p.enqueueForWorker(activity('c-work'));
    db().prepare(`UPDATE worker_queue SET work_item = '[1,2]'`).run();
    await expectPermanent(p.fetchWorkItem(1000, 0, null, 'defaultOnly'), /corrupt worker_queue row 1/);
    const row = db().prepare('SELECT lock_token, attempt_count FROM worker_queue').get();
    expect(row).toEqual({ lock_token: null, attempt_count: 0 });
  });
});
