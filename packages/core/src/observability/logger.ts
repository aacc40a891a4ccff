/** Log severities, lowest first. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** A threshold: messages below it are dropped; `off` drops everything. */
export type LogThreshold = LogLevel | 'off';

/**
 * A logger with the four level methods. `console` and winston take `(message, fields)`; pino and bunyan
 * take `(fields, message)` (see `LoggerStyle`); the runtime calls whichever the style says.
 */
export interface Logger {
  /** Fine-grained diagnostics. */
  debug(...args: never[]): void;
  /** Normal progress. */
  info(...args: never[]): void;
  /** Something unusual that the runtime handled. */
  warn(...args: never[]): void;
  /** Something failed. */
  error(...args: never[]): void;
}

/** Argument order of a logger: `console` = `(message, fields)`, `pino` = `(fields, message)`. */
export type LoggerStyle = 'console' | 'pino';

/** pino instances carry `levels.values` and `child()`; winston's `levels` is a flat map, so it stays console style. */
export function detectLoggerStyle(logger: Logger): LoggerStyle {
  const candidate = logger as unknown as { levels?: { values?: unknown }; child?: unknown };
  const values = candidate.levels?.values;
  return typeof values === 'object' && values !== null && typeof candidate.child === 'function'
    ? 'pino'
    : 'console';
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
    /** Argument order the sink expects. */
    private readonly style: LoggerStyle = 'console',
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
      const method = this.sink[level] as (a: unknown, b: unknown) => void;
      if (this.style === 'pino') method.call(this.sink, fields, message);
      else method.call(this.sink, message, fields);
    } catch {
      // A broken logger must never break a dispatcher.
    }
  }
}

/** The default sink: `console`, one line per message with its fields. */
export const consoleLogger = {
  debug: (message: string, fields?: LogFields) => console.debug(`[duroxide] ${message}`, fields ?? ''),
  info: (message: string, fields?: LogFields) => console.info(`[duroxide] ${message}`, fields ?? ''),
  warn: (message: string, fields?: LogFields) => console.warn(`[duroxide] ${message}`, fields ?? ''),
  error: (message: string, fields?: LogFields) => console.error(`[duroxide] ${message}`, fields ?? ''),
} satisfies Logger;
