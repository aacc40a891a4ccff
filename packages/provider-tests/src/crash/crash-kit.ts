/**
 * Helpers for SIGKILL crash tests of a provider: spawn runtime processes that print `READY` once started,
 * pace random kills, and check that every recovered history is well formed (each step exactly once).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { expect } from 'vitest';

/** A spawned runtime process and its lifecycle promises. */
export interface RuntimeProcess {
  child: ChildProcess;
  /** Resolves when the process printed `READY`; rejects if it exits first. */
  ready: Promise<void>;
  /** Resolves with the exit code or signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Everything the process wrote to stderr so far (for assertion messages). */
  stderr: () => string;
}

/** The fields of a history event the checks read. */
export interface CrashHistoryEvent {
  eventId: number;
  kind: string;
  sourceEventId?: number | null;
  input?: unknown;
}

/** Spawns `node <script> ...args`; the script must print `READY` once its runtime has started. */
export function spawnRuntimeProcess(script: string, args: string[]): RuntimeProcess {
  const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('READY')) resolve();
    });
    void exited.then(({ code, signal }) =>
      reject(new Error(`worker exited (${code ?? signal}) before READY: ${err}`)),
    );
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  return { child, ready, exited, stderr: () => err };
}

/** Resolves after `ms` of real time (crash tests pace their kills in real time on purpose). */
export const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A random integer in [lo, hi). */
export const randomBetween = (lo: number, hi: number): number => lo + Math.floor(Math.random() * (hi - lo));

/** Asserts one execution's history: ids 1..n, one start first, one completion last, one answer per activity. */
export function expectWellFormedHistory(id: string, events: readonly CrashHistoryEvent[]): void {
  expect(
    events.map((e) => e.eventId),
    `${id} event ids`,
  ).toEqual(events.map((_, i) => i + 1));
  expect(events[0]?.kind, `${id} first event`).toBe('OrchestrationStarted');
  expect(
    events.filter((e) => e.kind === 'OrchestrationStarted'),
    `${id} starts`,
  ).toHaveLength(1);
  const terminal = events.filter((e) =>
    ['OrchestrationCompleted', 'OrchestrationFailed', 'OrchestrationContinuedAsNew'].includes(e.kind),
  );
  expect(
    terminal.map((e) => e.kind),
    `${id} terminal events`,
  ).toEqual(['OrchestrationCompleted']);
  expect(events.at(-1)?.kind, `${id} last event`).toBe('OrchestrationCompleted');
  for (const scheduled of events.filter((e) => e.kind === 'ActivityScheduled')) {
    const answers = events.filter(
      (e) => e.sourceEventId === scheduled.eventId && e.kind.startsWith('Activity'),
    );
    expect(
      answers.map((e) => e.kind),
      `${id} completions of activity ${scheduled.eventId}`,
    ).toEqual(['ActivityCompleted']);
  }
}

/** The `step` fields of the activity inputs scheduled in a history, sorted. */
export function scheduledSteps(events: readonly CrashHistoryEvent[]): string[] {
  return events
    .filter((e) => e.kind === 'ActivityScheduled')
    .map((e) => (JSON.parse(String(e.input)) as { step: string }).step)
    .sort();
}
