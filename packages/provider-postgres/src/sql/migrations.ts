import { adminFunctionsSql } from './admin-functions.js';
import { commitNotifyFunctionsSql } from './commit-notify-functions.js';
import { countedWakeFunctionsSql } from './counted-wake-functions.js';
import { durabilityFunctionsSql } from './durability-functions.js';
import { historyCacheFunctionsSql } from './history-cache-functions.js';
import { leanOrchestrationFunctionsSql } from './lean-orchestration-functions.js';
import { leanWorkerFunctionsSql } from './lean-worker-functions.js';
import type { SchemaNames } from './naming.js';
import { orchestrationFunctionsSql } from './orchestration-functions.js';
import { poolEmptyFunctionsSql } from './pool-empty-functions.js';
import { tablesSql } from './tables.js';
import { workerFunctionsSql } from './worker-functions.js';

/** One schema step, recorded in `_duroxide_migrations` once applied. */
export interface Migration {
  /** The version this migration produces. */
  version: number;
  /** What the migration does. */
  description: string;
  /** The DDL for a schema, run in one transaction. */
  sql(names: SchemaNames): string;
}

/** Every migration, in order. Append new ones; never edit an applied one. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'tables, indexes and the server-side functions of every provider operation',
    sql: (names) =>
      [
        tablesSql(names),
        orchestrationFunctionsSql(names),
        workerFunctionsSql(names),
        adminFunctionsSql(names),
      ].join('\n'),
  },
  {
    version: 2,
    description: 'execution epochs and fetches that send only history after a cached prefix',
    sql: historyCacheFunctionsSql,
  },
  {
    version: 3,
    description: 'turn acks announce how many activities they queued, so only that many worker fetches wake',
    sql: countedWakeFunctionsSql,
  },
  {
    version: 4,
    description: 'fetches (leases only) commit asynchronously; the turn ack writes its instance row once',
    sql: durabilityFunctionsSql,
  },
  {
    version: 5,
    description:
      'fewer statements per fetch and ack; worker notifications say whether their activities belong to sessions',
    sql: (names) => [leanOrchestrationFunctionsSql(names), leanWorkerFunctionsSql(names)].join('\n'),
  },
  {
    version: 6,
    description: 'an empty worker fetch says whether no fetch with its tag filter could have found work',
    sql: poolEmptyFunctionsSql,
  },
  {
    version: 7,
    description: 'every turn ack announces c:<instance>; instance waiters wake on turn acks only',
    sql: commitNotifyFunctionsSql,
  },
];

/** The schema version this build writes. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;
