import type { OrchestrationAck } from '@duroxide/core';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteProvider, sqliteTestHooks } from '../src/index.js';
import { ev, start, tempDir } from './helpers.js';

// The fetch reads history through a per-connection cache of decoded events (HistoryCache). These tests
// prove the fetched history always equals a plain read, whatever changed the rows in between.

const ack = (overrides: Partial<OrchestrationAck> = {}): OrchestrationAck => ({
  executionId: 1,
  historyDelta: [],
  workerItems: [],
  orchestratorItems: [],
  metadata: {},
  cancelledActivities: [],
  ...overrides,
});
const started = (instance: string, input = '') =>
  ev(instance, 1, 1, { kind: 'OrchestrationStarted', name: 'T', version: '1.0.0', input });
const raised = (instance: string, data: string) =>
  ({ kind: 'ExternalRaised', instance, name: 'go', data }) as const;

const open: SqliteProvider[] = [];
const dirs: { cleanup(): void }[] = [];
afterEach(async () => {
  for (const p of open.splice(0)) await p.close();
  for (const d of dirs.splice(0)) d.cleanup();
});

async function memory(): Promise<SqliteProvider> {
  const p = await SqliteProvider.inMemory();
  open.push(p);
  return p;
}

/** Fetches the instance's next batch and commits `events` with it; returns the fetched history. */
async function turn(
  p: SqliteProvider,
  instance: string,
  events: OrchestrationAck['historyDelta'],
  first = false,
) {
  const fetched = await p.fetchOrchestrationItem(30_000, 0);
  expect(fetched?.item.instance).toBe(instance);
  await p.ackOrchestrationItem(
    fetched!.lockToken,
    ack({
      historyDelta: events,
      ...(first ? { metadata: { orchestrationName: 'T', orchestrationVersion: '1.0.0' } } : {}),
    }),
  );
  return fetched!.item.history;
}

/** Runs a start turn and `n` event turns, each appending one ExternalEvent; checks every fetch. */
async function grow(p: SqliteProvider, instance: string, n: number, input = ''): Promise<void> {
  await p.enqueueForOrchestrator(start(instance));
  await turn(p, instance, [started(instance, input)], true);
  for (let i = 0; i < n; i++) {
    await p.enqueueForOrchestrator(raised(instance, `${input}${i}`));
    const before = await p.readWithExecution(instance, 1);
    const fetched = await turn(p, instance, [
      ev(instance, 1, i + 2, { kind: 'ExternalEvent', name: 'go', data: `${input}${i}` }),
    ]);
    expect(fetched).toEqual(before);
  }
}

describe('history cache of the orchestration fetch', () => {
  it('returns exactly what a plain read returns as the history grows turn by turn', async () => {
    const p = await memory();
    await grow(p, 'a', 6);
    expect(await p.readWithExecution('a', 1)).toHaveLength(7);
  });

  it('sees a deleted and recreated instance, not the cached one', async () => {
    const p = await memory();
    await grow(p, 'b', 3, 'old');
    await p.asManagementCapability().deleteInstance('b', true);
    await grow(p, 'b', 3, 'new');
    await p.enqueueForOrchestrator(raised('b', 'x'));
    const fetched = await p.fetchOrchestrationItem(30_000, 0);
    expect(fetched!.item.history.map((e) => (e.kind === 'ExternalEvent' ? e.data : e.kind))).toEqual([
      'OrchestrationStarted',
      'new0',
      'new1',
      'new2',
    ]);
  });

  it('sees rows rewritten by raw SQL on the same connection (a corrupted history is reported)', async () => {
    const p = await memory();
    await grow(p, 'c', 2);
    // One more turn without new events: the cache now holds every row, so only invalidation can help.
    await p.enqueueForOrchestrator(raised('c', 'y'));
    await turn(p, 'c', []);
    await sqliteTestHooks.corruptInstanceHistory(p, 'c');
    await p.enqueueForOrchestrator(raised('c', 'x'));
    const fetched = await p.fetchOrchestrationItem(30_000, 0);
    expect(fetched!.item.historyError).toMatch(/history row/);
    expect(fetched!.item.history).toEqual([]);
  });

  it('sees a history another connection deleted and rewrote in the same file', async () => {
    const dir = tempDir('duroxide-history-cache-');
    dirs.push(dir);
    const a = await SqliteProvider.open(dir.path('h.db'));
    const b = await SqliteProvider.open(dir.path('h.db'));
    open.push(a, b);
    await grow(a, 'd', 2, 'old');
    await a.enqueueForOrchestrator(raised('d', 'y'));
    await turn(a, 'd', []);
    // Another connection replaces the instance with a history of the same length and ids.
    await b.asManagementCapability().deleteInstance('d', true);
    await grow(b, 'd', 2, 'new');
    await a.enqueueForOrchestrator(raised('d', 'again'));
    const fetched = await a.fetchOrchestrationItem(30_000, 0);
    expect(fetched!.item.history).toEqual(await b.readWithExecution('d', 1));
    expect(fetched!.item.history.map((e) => (e.kind === 'ExternalEvent' ? e.data : e.kind))).toEqual([
      'OrchestrationStarted',
      'new0',
      'new1',
    ]);
  });

  it('hands out frozen events, so no caller can change what the next fetch returns', async () => {
    const p = await memory();
    await grow(p, 'e', 1);
    await p.enqueueForOrchestrator(raised('e', 'x'));
    const fetched = await p.fetchOrchestrationItem(30_000, 0);
    const first = fetched!.item.history[0]!;
    expect(Object.isFrozen(first)).toBe(true);
    expect(() => {
      (first as { eventId: number }).eventId = 99;
    }).toThrow(TypeError);
  });
});
