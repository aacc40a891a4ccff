import type { Event, ExecutionMetadata, Provider } from '@duroxide/core';
import { expect, it } from 'vitest';
import { emptyAck, event, startedEvent, startItem } from '../builders.js';
import type { ConformanceGroup } from '../describe-conformance.js';
import { withProvider } from '../harness.js';
import { continueAsNewItem, mustFetchOrch, pokeItem, TestScope } from '../helpers-b.js';

/** An `ActivityScheduled` event (a cheap, recognisable history entry). */
function scheduled(instance: string, executionId: number, eventId: number, name: string, input = ''): Event {
  return event(instance, executionId, eventId, { kind: 'ActivityScheduled', name, input });
}

/** Enqueues a start for `executionId`, fetches it and acks `delta` into `executionId`. */
async function runExecution(
  provider: Provider,
  instance: string,
  executionId: number,
  delta: Event[],
  metadata: ExecutionMetadata = {},
): Promise<number> {
  await provider.enqueueForOrchestrator(startItem(instance, { executionId }));
  const fetched = await mustFetchOrch(provider, (i) => i === instance, 30_000);
  await provider.ackOrchestrationItem(
    fetched.lockToken,
    emptyAck(executionId, { historyDelta: delta, metadata }),
  );
  return fetched.item.executionId;
}

const names: ExecutionMetadata = { orchestrationName: 'TestOrch', orchestrationVersion: '1.0.0' };

/** The kinds of a history, for compact assertions. */
function kinds(history: Event[]): string[] {
  return history.map((e) => e.kind);
}

/** duroxide validation group `multi_execution` (reference provider-contract §3.2). */
export const multiExecutionGroup: ConformanceGroup = (options) => {
  it('test_execution_isolation', () =>
    withProvider(options, async ({ provider }) => {
      const a = new TestScope('exec-isolation').id('instance-A');
      await runExecution(provider, a, 1, [
        startedEvent(a, 1),
        scheduled(a, 1, 2, 'Activity1', 'input1'),
        event(a, 1, 3, { kind: 'OrchestrationCompleted', output: 'result1' }),
      ]);
      await runExecution(provider, a, 2, [
        startedEvent(a, 2),
        event(a, 2, 2, { kind: 'OrchestrationCompleted', output: 'result2' }),
      ]);
      expect(kinds(await provider.readWithExecution(a, 1))).toEqual([
        'OrchestrationStarted',
        'ActivityScheduled',
        'OrchestrationCompleted',
      ]);
      const second = await provider.readWithExecution(a, 2);
      expect(kinds(second)).toEqual(['OrchestrationStarted', 'OrchestrationCompleted']);
      expect(second[1]).toMatchObject({ kind: 'OrchestrationCompleted', output: 'result2', executionId: 2 });
      expect(kinds(await provider.read(a)), 'read() returns the latest execution').toEqual([
        'OrchestrationStarted',
        'OrchestrationCompleted',
      ]);
    }));

  it('test_latest_execution_detection', () =>
    withProvider(options, async ({ provider }) => {
      const a = new TestScope('exec-latest').id('instance-A');
      await runExecution(provider, a, 1, [scheduled(a, 1, 1, 'A')]);
      await runExecution(provider, a, 2, [scheduled(a, 2, 1, 'B')]);
      const latest = await provider.read(a);
      expect(latest).toHaveLength(1);
      expect(latest[0], 'read() returns execution 2').toMatchObject({ kind: 'ActivityScheduled', name: 'B' });
      const first = await provider.readWithExecution(a, 1);
      expect(first).toHaveLength(1);
      expect(first[0]).toMatchObject({ kind: 'ActivityScheduled', name: 'A' });
    }));

  it('test_execution_id_sequencing', () =>
    withProvider(options, async ({ provider }) => {
      const a = new TestScope('exec-sequencing').id('instance-A');
      expect(await runExecution(provider, a, 1, [startedEvent(a, 1)], names), 'first execution').toBe(1);
      // The fetch still reports execution 1; acking with execution_id 2 creates the next execution.
      expect(await runExecution(provider, a, 2, [startedEvent(a, 2)], names)).toBe(1);
      await provider.enqueueForOrchestrator(startItem(a, { executionId: 3 }));
      const third = await mustFetchOrch(provider, (i) => i === a, 30_000);
      expect(third.item.executionId, 'current execution is 2').toBe(2);
    }));

  it('test_continue_as_new_creates_new_execution', () =>
    withProvider(options, async ({ provider }) => {
      const a = new TestScope('exec-can').id('instance-A');
      await runExecution(provider, a, 1, [startedEvent(a, 1)]);
      await provider.enqueueForOrchestrator(continueAsNewItem(a, 'TestOrch', 'new-input'));
      const can = await mustFetchOrch(provider, (i) => i === a, 30_000);
      expect(can.item.messages.map((m) => m.kind)).toEqual(['ContinueAsNew']);
      const started = event(a, 2, 1, {
        kind: 'OrchestrationStarted',
        name: 'TestOrch',
        version: '1.0.0',
        input: 'new-input',
      });
      await provider.ackOrchestrationItem(can.lockToken, emptyAck(2, { historyDelta: [started] }));
      await provider.enqueueForOrchestrator(pokeItem(a));
      const next = await mustFetchOrch(provider, (i) => i === a, 30_000);
      expect(next.item.executionId, 'continue-as-new created execution 2').toBe(2);
      expect(next.item.history).toHaveLength(1);
      expect(next.item.history[0]).toMatchObject({ kind: 'OrchestrationStarted', input: 'new-input' });
    }));

  it('test_execution_history_persistence', () =>
    withProvider(options, async ({ provider }) => {
      const a = new TestScope('exec-persistence').id('instance-A');
      for (let exec = 1; exec <= 3; exec++) {
        await runExecution(provider, a, exec, [scheduled(a, exec, 1, `Activity-${exec}`, `input-${exec}`)]);
      }
      for (let exec = 1; exec <= 3; exec++) {
        const history = await provider.readWithExecution(a, exec);
        expect(history).toHaveLength(1);
        expect(history[0]).toMatchObject({ kind: 'ActivityScheduled', name: `Activity-${exec}` });
      }
      const latest = await provider.read(a);
      expect(latest).toHaveLength(1);
      expect(latest[0], 'latest is execution 3').toMatchObject({ name: 'Activity-3' });
    }));
};
