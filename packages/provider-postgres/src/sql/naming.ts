import { createHash } from 'node:crypto';

/** The identifiers and constants baked into one schema's DDL and functions. */
export interface SchemaNames {
  /** The schema name as given (already validated). */
  schema: string;
  /** The schema as a quoted SQL identifier. */
  q: string;
  /** The LISTEN/NOTIFY channel of this schema (at most 63 bytes). */
  channel: string;
  /** The first key of every advisory lock this schema takes (the second is the instance's hash). */
  advisoryNamespace: number;
}

/** Derives the quoted identifier, channel and advisory namespace for a validated schema name. */
export function schemaNames(schema: string): SchemaNames {
  const channel =
    `duroxide_${schema}`.length <= 63 ? `duroxide_${schema}` : `duroxide_${md5(schema).slice(0, 32)}`;
  return { schema, q: `"${schema}"`, channel, advisoryNamespace: advisoryNamespace(schema) };
}

/** A stable signed 32-bit integer for the schema, so two schemas' instance locks never collide. */
export function advisoryNamespace(schema: string): number {
  return createHash('sha256').update(`duroxide:${schema}`).digest().readInt32BE(0);
}

/** The md5 hex of an instance id, as Postgres' `md5(text)` computes it: notification payloads carry it. */
export function instanceHash(instance: string): string {
  return md5(instance);
}

function md5(text: string): string {
  return createHash('md5').update(text, 'utf8').digest('hex');
}

/** A SQL string literal for a value that is known to contain only safe characters (validated names). */
export function literal(text: string): string {
  if (!/^[A-Za-z0-9_]*$/.test(text)) throw new Error(`unsafe literal ${JSON.stringify(text)}`);
  return `'${text}'`;
}
