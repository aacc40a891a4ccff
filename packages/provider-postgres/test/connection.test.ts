import './support/pg-cjs-shim.js';
import { ConfigurationError, ProviderError } from '@duroxide/core';
import { emptyAck, startedEvent, startItem } from '@duroxide/provider-tests';
import { describe, expect, it } from 'vitest';
import { toProviderError } from '../src/errors.js';
import { MIGRATIONS, PostgresProvider } from '../src/index.js';
import { advisoryNamespace } from '../src/sql/naming.js';
import { usePostgres } from './support/test-db.js';

const db = usePostgres();

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

describe('schema creation and migration', () => {
  it('four providers connecting to a new schema at once migrate it exactly once, then share it', async () => {
    const schema = db.schema('concurrent');
    const providers = await Promise.all(
      [1, 2, 3, 4].map(() => PostgresProvider.connectWithSchema(db.url, schema, { poolSize: 2 })),
    );
    try {
      const { rows } = await db.raw.query<{ version: number }>(
        `SELECT version FROM "${schema}"._duroxide_migrations ORDER BY version`,
      );
      expect(rows.map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version));
      await providers[0]?.enqueueForOrchestrator(startItem('shared-1'));
      const fetched = await providers[3]?.fetchOrchestrationItem(30_000, 0);
      expect(fetched?.item.instance).toBe('shared-1');
    } finally {
      await Promise.all(providers.map((p) => p.close()));
    }
  });

  it('reconnecting to a migrated schema applies nothing and keeps the data', async () => {
    const schema = db.schema('reconnect');
    const first = await PostgresProvider.connectWithSchema(db.url, schema);
    await first.enqueueForOrchestrator(startItem('kept'));
    await first.close();
    const second = await PostgresProvider.connectWithSchema(db.url, schema);
    try {
      expect((await second.fetchOrchestrationItem(30_000, 0))?.item.instance).toBe('kept');
    } finally {
      await second.close();
    }
  });

  it('two schemas on one database are isolated', async () => {
    const a = await PostgresProvider.connectWithSchema(db.url, db.schema('iso_a'));
    const b = await PostgresProvider.connectWithSchema(db.url, db.schema('iso_b'));
    try {
      await a.enqueueForOrchestrator(startItem('only-in-a'));
      expect(await b.fetchOrchestrationItem(30_000, 0)).toBeNull();
      expect((await a.fetchOrchestrationItem(30_000, 0))?.item.instance).toBe('only-in-a');
    } finally {
      await a.close();
      await b.close();
    }
  });
});

describe('configuration errors name the option', () => {
  it.each([
    [{ poolSize: 0 }, 'poolSize'],
    [{ poolSize: 1.5 }, 'poolSize'],
    [{ maxPayloadBytes: -1 }, 'maxPayloadBytes'],
    [{ connectionTimeoutMs: Number.NaN }, 'connectionTimeoutMs'],
    [{ clock: {} as never }, 'clock'],
    [{ applicationName: '' }, 'applicationName'],
  ])('%j', async (options, name) => {
    const err = await rejection(PostgresProvider.connectWithSchema(db.url, 'never_created', options));
    expect(err).toBeInstanceOf(ConfigurationError);
    expect(err.message).toContain(name);
  });

  it.each([
    '',
    'has-dash',
    '1starts_with_digit',
    'x"; DROP SCHEMA public; --',
    'pg_reserved',
    'a'.repeat(64),
  ])('schema %j is rejected', async (schema) => {
    const err = await rejection(PostgresProvider.connectWithSchema(db.url, schema));
    expect(err).toBeInstanceOf(ConfigurationError);
    expect(err.message).toContain('schema');
  });

  it('a URL without the postgres scheme is rejected', async () => {
    const err = await rejection(PostgresProvider.connect('mysql://localhost/db'));
    expect(err).toBeInstanceOf(ConfigurationError);
    expect(err.message).toContain('url');
  });
});

describe('failures map to retryable or permanent ProviderErrors', () => {
  it('an unreachable server is a retryable error', async () => {
    const err = await rejection(
      PostgresProvider.connect('postgres://postgres:x@127.0.0.1:1/postgres', { connectionTimeoutMs: 2_000 }),
    );
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).retryable).toBe(true);
  });

  it('a connection terminated in the middle of an ack gives a retryable error; the retry succeeds', async () => {
    const schema = db.schema('terminate');
    const provider = await PostgresProvider.connectWithSchema(db.url, schema, {
      applicationName: 'duroxide_terminate_test',
    });
    const blocker = await db.raw.connect();
    try {
      await provider.enqueueForOrchestrator(startItem('victim'));
      const fetched = await provider.fetchOrchestrationItem(30_000, 0);
      if (!fetched) throw new Error('expected a batch');
      // Hold the instance's advisory lock so the ack blocks inside the server, mid-operation.
      await blocker.query('BEGIN');
      await blocker.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [
        advisoryNamespace(schema),
        'victim',
      ]);
      const ack = emptyAck(1, {
        historyDelta: [startedEvent('victim')],
        metadata: { orchestrationName: 'TestOrch', orchestrationVersion: '1.0.0' },
      });
      const pending = rejection(provider.ackOrchestrationItem(fetched.lockToken, ack));
      const pid = await waitForBlockedBackend('duroxide_terminate_test');
      await db.raw.query('SELECT pg_terminate_backend($1)', [pid]);
      const err = await pending;
      expect(err).toBeInstanceOf(ProviderError);
      expect((err as ProviderError).retryable, err.message).toBe(true);
      await blocker.query('ROLLBACK');
      // Nothing was committed, the lock is still held, and the runtime's retry succeeds.
      expect(await provider.read('victim')).toEqual([]);
      await provider.ackOrchestrationItem(fetched.lockToken, ack);
      expect((await provider.read('victim')).map((e) => e.kind)).toEqual(['OrchestrationStarted']);
    } finally {
      await blocker.query('ROLLBACK').catch(() => undefined);
      blocker.release();
      await provider.close();
    }
  });

  it('a lost LISTEN connection is re-established and waiting fetches are woken again by notifications', async () => {
    const schema = db.schema('relisten');
    const waiter = await PostgresProvider.connectWithSchema(db.url, schema, {
      applicationName: 'duroxide_relisten',
    });
    const writer = await PostgresProvider.connectWithSchema(db.url, schema);
    try {
      const [old] = await listenerPids('duroxide_relisten');
      expect(old, 'the provider has a LISTEN connection').toBeDefined();
      await db.raw.query('SELECT pg_terminate_backend($1)', [old]);
      await waitUntil(async () => {
        const pids = await listenerPids('duroxide_relisten');
        return pids.length === 1 && pids[0] !== old;
      }, 'a new LISTEN connection');
      const pending = waiter.fetchOrchestrationItem(30_000, 10_000);
      await new Promise((resolve) => setTimeout(resolve, 50));
      const start = performance.now();
      await writer.enqueueForOrchestrator(startItem('after-relisten'));
      expect((await pending)?.item.instance).toBe('after-relisten');
      expect(performance.now() - start).toBeLessThan(500);
    } finally {
      await waiter.close();
      await writer.close();
    }
  });

  it('calls after close fail permanently and say the provider is closed', async () => {
    const provider = await PostgresProvider.connectWithSchema(db.url, db.schema('closed'));
    await provider.close();
    const err = await rejection(provider.read('x'));
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).retryable).toBe(false);
    expect(err.message).toMatch(/closed/);
  });

  it.each([
    ['40P01', true],
    ['40001', true],
    ['08006', true],
    ['57P01', true],
    ['53300', true],
    ['23505', false],
    ['23503', false],
    ['22021', false],
    ['P0001', false],
  ])('SQLSTATE %s → retryable %s', (code, retryable) => {
    const err = Object.assign(new Error(`sqlstate ${code}`), { code });
    expect(toProviderError('op', err).retryable).toBe(retryable);
  });

  it('socket-level failures are retryable', () => {
    expect(toProviderError('op', Object.assign(new Error('reset'), { code: 'ECONNRESET' })).retryable).toBe(
      true,
    );
    expect(toProviderError('op', new Error('Connection terminated unexpectedly')).retryable).toBe(true);
  });
});

describe('user data never becomes SQL', () => {
  const nasty = [
    "quote'd",
    'x"); DROP TABLE history; --',
    "'; DELETE FROM instances; --",
    'semi;colon',
    'back\\slash',
    '$1 $$dollar$$',
    'unicode-ü-😀',
    ' leading and trailing ',
  ];

  it('instance ids, KV keys and values, custom status and tags with quotes and semicolons round-trip', async () => {
    const provider = await PostgresProvider.connectWithSchema(db.url, db.schema('inject'));
    try {
      for (const id of nasty) {
        await provider.enqueueForOrchestrator(startItem(id));
        const fetched = await provider.fetchOrchestrationItem(30_000, 0);
        expect(fetched?.item.instance).toBe(id);
        if (!fetched) continue;
        await provider.ackOrchestrationItem(
          fetched.lockToken,
          emptyAck(1, {
            historyDelta: [
              startedEvent(id),
              { ...startedEvent(id, 1, 2), kind: 'KeyValueSet', key: id, value: id, lastUpdatedAtMs: 1 },
              { ...startedEvent(id, 1, 3), kind: 'CustomStatusUpdated', status: id },
              { ...startedEvent(id, 1, 4), kind: 'ActivityScheduled', name: id, input: id, tag: id },
            ] as never,
            workerItems: [
              { kind: 'ActivityExecute', instance: id, executionId: 1, id: 4, name: id, input: id, tag: id },
            ],
            metadata: { orchestrationName: id, orchestrationVersion: '1.0.0' },
          }),
        );
        expect(await provider.getKvValue(id, id)).toBe(id);
        expect((await provider.getCustomStatus(id, 0))?.customStatus).toBe(id);
        expect((await provider.asManagementCapability().getInstanceInfo(id)).orchestrationName).toBe(id);
        const work = await provider.fetchWorkItem(30_000, 0, null, { tags: [id] });
        expect(work?.item.input).toBe(id);
        if (work) await provider.ackWorkItem(work.lockToken, null);
      }
      const ids = await provider.asManagementCapability().listInstances();
      expect([...ids].sort()).toEqual([...nasty].sort());
      const { rows } = await db.raw.query<{ n: number }>(
        `SELECT count(*)::INT AS n FROM information_schema.tables WHERE table_schema = $1`,
        [provider.schema],
      );
      expect(rows[0]?.n, 'every table still exists').toBe(10);
    } finally {
      await provider.close();
    }
  });
});

async function listenerPids(applicationName: string): Promise<number[]> {
  const { rows } = await db.raw.query<{ pid: number }>(
    `SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND query LIKE 'LISTEN%'`,
    [applicationName],
  );
  return rows.map((r) => r.pid);
}

async function waitForBlockedBackend(applicationName: string): Promise<number> {
  let pid = 0;
  await waitUntil(async () => {
    const { rows } = await db.raw.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity
        WHERE application_name = $1 AND wait_event_type = 'Lock' AND query LIKE '%ack_orchestration_item%'`,
      [applicationName],
    );
    pid = rows[0]?.pid ?? 0;
    return pid !== 0;
  }, 'the ack to block on the advisory lock');
  return pid;
}

async function waitUntil(check: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
