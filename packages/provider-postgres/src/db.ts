import type { Clock } from '@duroxide/core';
import pg from 'pg';
import { closedError, toProviderError } from './errors.js';
import type { SchemaNames } from './sql/naming.js';

const INT8 = 20;
const INT8_ARRAY = 1016;

/**
 * Reads BIGINT (epoch ms, ids, counts) as JS numbers rather than strings: every value we store fits in a
 * double. Scoped to our pools so other users of `pg` in the process keep the default parsers.
 */
export const pgTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary'): (value: string) => unknown {
    if (oid === INT8) return (value: string) => Number(value);
    if (oid === INT8_ARRAY) {
      const parseArray = defaultParser(INT8_ARRAY) as (value: string) => (string | null)[];
      return (value: string) => parseArray(value).map((v) => (v === null ? null : Number(v)));
    }
    return defaultParser(oid, format);
  },
} as unknown as pg.CustomTypesConfig;

/** pg's own parser for a type oid. */
function defaultParser(oid: number, format?: 'text' | 'binary'): (value: string) => unknown {
  const lookup = pg.types.getTypeParser as unknown as (
    oid: number,
    format: string,
  ) => (value: string) => unknown;
  return lookup(oid, format ?? 'text');
}

/** The pool, schema names and clock one provider works with; every query goes through `query`. */
export class Db {
  private closedFlag = false;

  constructor(
    /** The connection pool. */
    readonly pool: pg.Pool,
    /** The schema's identifiers. */
    readonly names: SchemaNames,
    /** The injected clock. */
    readonly clock: Clock,
  ) {}

  /** Whether `close` has been called. */
  get closed(): boolean {
    return this.closedFlag;
  }

  /** Marks the provider closed (later calls fail permanently) and ends the pool. */
  async close(): Promise<void> {
    if (this.closedFlag) return;
    this.closedFlag = true;
    await this.pool.end().catch(() => undefined);
  }

  /** Throws the "provider is closed" error for `operation` when closed. */
  ensureOpen(operation: string): void {
    if (this.closedFlag) throw closedError(operation);
  }

  /**
   * Runs one parameterised statement (prepared per connection under `name`), mapping failures to a
   * `ProviderError`. User data only ever travels in `values`.
   */
  async query<R extends pg.QueryResultRow>(
    operation: string,
    name: string,
    text: string,
    values: unknown[],
  ): Promise<R[]> {
    this.ensureOpen(operation);
    try {
      const result = await this.pool.query<R>({ name: `dx_${name}`, text, values });
      return result.rows;
    } catch (err) {
      if (this.closedFlag) throw closedError(operation);
      throw toProviderError(operation, err);
    }
  }
}
