import type { Runtime } from '@duroxide/core';

/** Registers the crash workflow's activities and orchestrations on a runtime. */
export declare function registerCrashWorkflow(runtime: Runtime): void;
/** The output instance `n` must end with. */
export declare function expectedOutput(n: number): {
  n: number;
  s1: string;
  fan: string[];
  child: string;
  s4: string;
};
/** The activity steps each parent records exactly once. */
export declare const PARENT_STEPS: readonly string[];
