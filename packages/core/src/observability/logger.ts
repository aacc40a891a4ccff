/** Log severities, lowest first. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** A threshold: messages below it are dropped; `off` drops everything. */
export type LogThreshold = LogLevel | 'off';

/** A console-like sink; pino, winston and `console` all fit. */
export interface Logger {
  /** Fine-grained diagnostics. */
  debug(message: string, fields?: LogFields): void;
  /** Normal progress. */
  info(message: string, fields?: LogFields): void;
  /** Something unusual that the runtime handled. */
  warn(message: string, fields?: LogFields): void;
  /** Something failed. */
  error(message: string, fields?: LogFields): void;
}

/** Correlation fields attached to a log line (instance, execution, orchestration, activity, worker ids). */
export type LogFields = Record<string, unknown>;

const RANK: Record<LogThreshold, number> = { debug: 0, info: 1, warn: 2, error: 3, off: 4 };

/** Whether a message at `level` passes `threshold`. */
export function levelEnabled(level: LogLevel, threshold: LogThreshold): boolean {
  return RANK[level] >= RANK[threshold];
}

/** Whether a value is a valid threshold name. */
export function isLogThreshold(value: unknown): value is LogThreshold {
  return typeof value === 'string' && Object.hasOwn(RANK, value);
}

/** A logger that filters by threshold, tags every line with a target, and never throws. */
export class FilteredLogger {
  constructor(
    private readonly sink: Logger,
    /** Threshold for runtime diagnostics. */
    private readonly runtimeThreshold: LogThreshold,
    /** Threshold for user traces (`ctx.trace*` in orchestrations and activities). */
    private readonly traceThreshold: LogThreshold,
  ) {}

  /** Logs a runtime diagnostic under `target` (e.g. `duroxide::runtime::worker`). */
  log(level: LogLevel, target: string, message: string, fields?: LogFields): void {
    if (!levelEnabled(level, this.runtimeThreshold)) return;
    this.emit(level, message, { target, ...fields });
  }

  /** Logs a user trace under `target` (`duroxide::orchestration` or `duroxide::activity`). */
  trace(level: LogLevel, target: string, message: string, fields?: LogFields): void {
    if (!levelEnabled(level, this.traceThreshold)) return;
    this.emit(level, message, { target, ...fields });
  }

  /** Whether runtime diagnostics at this level are emitted (to skip building expensive fields). */
  enabled(level: LogLevel): boolean {
    return levelEnabled(level, this.runtimeThreshold);
  }

  private emit(level: LogLevel, message: string, fields: LogFields): void {
    try {
      this.sink[level](message, fields);
    } catch {
      // A broken logger must never break a dispatcher.
    }
  }
}

/** The default sink: `console`, one line per message with its fields. */
export const consoleLogger: Logger = {
  debug: (message, fields) => console.debug(`[duroxide] ${message}`, fields ?? ''),
  info: (message, fields) => console.info(`[duroxide] ${message}`, fields ?? ''),
  warn: (message, fields) => console.warn(`[duroxide] ${message}`, fields ?? ''),
  error: (message, fields) => console.error(`[duroxide] ${message}`, fields ?? ''),
};
