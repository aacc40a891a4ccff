import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Event, EventKind, StartOrchestrationItem } from '@duroxide/core';

/** A temp directory for database files; `cleanup` removes it. */
export function tempDir(prefix: string): { path: (name: string) => string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `duroxide-sqlite-${prefix}-`));
  return { path: (name) => join(dir, name), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A StartOrchestration for `TestOrch` v1.0.0. */
export function start(instance: string): StartOrchestrationItem {
  return {
    kind: 'StartOrchestration',
    instance,
    orchestration: 'TestOrch',
    input: '{}',
    version: '1.0.0',
    executionId: 1,
  };
}

/** An event with a filled envelope. */
export function ev(instance: string, executionId: number, eventId: number, kind: EventKind): Event {
  return {
    eventId,
    sourceEventId: null,
    instanceId: instance,
    executionId,
    timestampMs: 0,
    duroxideVersion: '0.1.0',
    ...kind,
  } as Event;
}

/** Milliseconds since `t0` (performance clock). */
export function since(t0: number): number {
  return performance.now() - t0;
}
