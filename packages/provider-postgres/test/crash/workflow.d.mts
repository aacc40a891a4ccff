/** Registers the crash workflow on a runtime. */
export function registerCrashWorkflow(runtime: unknown, recordRun: () => Promise<unknown>): void;
/** The output instance `n` must end with. */
export function expectedOutput(n: number): unknown;
/** The activity steps each parent records exactly once. */
export function parentSteps(): string[];
