import { ConfigurationError, ManualClock } from '@duroxide/core';
import { startItem } from '@duroxide/provider-tests';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisProvider } from '../src/index.js';
import { SCRIPT_SOURCES } from '../src/lua/index.js';
import { spawnRedisServer, uniquePrefix, useRedisServer } from './support/redis-server.js';

const url = useRedisServer();

/** `INFO commandstats` as a map of command -> calls. */
async function commandCalls(admin: Redis): Promise<Map<string, number>> {
  const info = await admin.info('commandstats');
  const calls = new Map<string, number>();
  for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) calls.set(m[1] as string, Number(m[2]));
  return calls;
}

/** The client id of the connection named `name`. */
async function clientId(admin: Redis, name: string): Promise<string> {
  const list = String(await admin.client('LIST'));
  const line = list.split('\n').find((l) => l.includes(` name=${name} `));
  const id = line?.match(/^id=(\d+)/)?.[1];
  if (!id) throw new Error(`no client named ${name} in CLIENT LIST:\n${list}`);
  return id;
}

describe('RedisProvider.connect', () => {
  it('rejects bad options with a ConfigurationError naming the option', async () => {
    await expect(RedisProvider.connect(url(), { keyPrefix: 'has space' })).rejects.toThrow(/keyPrefix/);
    await expect(RedisProvider.connect(url(), { keyPrefix: '' })).rejects.toBeInstanceOf(ConfigurationError);
    await expect(RedisProvider.connect(url(), { keyPrefix: 'ok', maxPayloadBytes: -1 })).rejects.toThrow(
      /maxPayloadBytes/,
    );
    await expect(RedisProvider.connect(url(), { keyPrefix: 'ok', clock: {} as never })).rejects.toThrow(
      /options\.clock/,
    );
    await expect(
      RedisProvider.connect(url(), { keyPrefix: 'ok', redisOptions: { keyPrefix: 'x' } }),
    ).rejects.toThrow(/redisOptions\.keyPrefix/);
    await expect(RedisProvider.connect('http://localhost', { keyPrefix: 'ok' })).rejects.toThrow(
      /redis:\/\//,
    );
    await expect(RedisProvider.connect(url(), undefined as never)).rejects.toThrow(/keyPrefix/);
  });

  it('fails with a retryable ProviderError when the server is unreachable', async () => {
    const error = await RedisProvider.connect('redis://127.0.0.1:1', { keyPrefix: 'unreachable' }).catch(
      (e) => e,
    );
    expect(error).toMatchObject({ code: 'PROVIDER', retryable: true });
    expect(String(error.message)).toMatch(/cannot connect to Redis at redis:\/\/127\.0\.0\.1:1/);
  });

  it('rejects payloads over maxPayloadBytes before writing anything', async () => {
    const provider = await RedisProvider.connect(url(), {
      keyPrefix: uniquePrefix('payload'),
      maxPayloadBytes: 1000,
    });
    try {
      const error = await provider
        .enqueueForOrchestrator(startItem('big', { input: 'x'.repeat(2000) }))
        .catch((e) => e);
      expect(error).toMatchObject({ code: 'PROVIDER', retryable: false });
      expect(error.message).toMatch(/maxPayloadBytes/);
      expect(await provider.fetchOrchestrationItem(1000, 0)).toBeNull();
    } finally {
      await provider.close();
    }
  });
});

describe('scripts', () => {
  let admin: Redis;
  beforeAll(() => {
    admin = new Redis(url());
  });
  afterAll(() => admin.quit());

  it('are loaded once with SCRIPT LOAD and then always called by SHA (EVALSHA, never EVAL)', async () => {
    await admin.config('RESETSTAT');
    const provider = await RedisProvider.connect(url(), {
      keyPrefix: uniquePrefix('evalsha'),
      clock: new ManualClock(),
    });
    try {
      await provider.enqueueForOrchestrator(startItem('sha-1'));
      const fetched = await provider.fetchOrchestrationItem(1000, 0);
      expect(fetched?.item.instance).toBe('sha-1');
      if (fetched) await provider.abandonOrchestrationItem(fetched.lockToken);
      await provider.read('sha-1');
      const calls = await commandCalls(admin);
      expect(calls.get('script|load') ?? calls.get('script')).toBe(Object.keys(SCRIPT_SOURCES).length);
      expect(calls.get('evalsha')).toBe(4);
      expect(calls.has('eval')).toBe(false);
    } finally {
      await provider.close();
    }
  });

  it('are reloaded after SCRIPT FLUSH (NOSCRIPT) and the call succeeds', async () => {
    const provider = await RedisProvider.connect(url(), { keyPrefix: uniquePrefix('flush') });
    try {
      await admin.script('FLUSH');
      await provider.enqueueForOrchestrator(startItem('after-flush'));
      expect((await provider.fetchOrchestrationItem(1000, 0))?.item.instance).toBe('after-flush');
    } finally {
      await provider.close();
    }
  });
});

describe('failures', () => {
  it('a connection lost while a command is in flight gives a retryable ProviderError; the command is not resent', async () => {
    const keyPrefix = uniquePrefix('lost');
    const admin = new Redis(url());
    const provider = await RedisProvider.connect(url(), { keyPrefix, clock: new ManualClock() });
    try {
      const id = await clientId(admin, `duroxide-${keyPrefix}:cmd`);
      // Hold writes so the enqueue is sent but not executed, then cut its connection.
      await admin.client('PAUSE', 5000, 'WRITE');
      const pending = provider.enqueueForOrchestrator(startItem('lost-1')).then(
        () => null,
        (e: unknown) => e,
      );
      await new Promise((r) => setTimeout(r, 100));
      await admin.client('KILL', 'ID', id);
      const error = await pending;
      await admin.client('UNPAUSE');
      expect(error).toMatchObject({ code: 'PROVIDER', retryable: true });
      expect((error as Error).message).toMatch(/connection to Redis lost while the command was in flight/);
      // The provider reconnects by itself; the killed enqueue was never executed nor resent.
      await provider.enqueueForOrchestrator(startItem('lost-2'));
      const fetched = await provider.fetchOrchestrationItem(1000, 0);
      expect(fetched?.item.instance).toBe('lost-2');
      expect(await provider.fetchOrchestrationItem(1000, 0)).toBeNull();
    } finally {
      await admin.client('UNPAUSE').catch(() => {});
      await provider.close();
      await admin.quit();
    }
  });

  it('script errors for bad tokens are permanent with a clear message', async () => {
    const provider = await RedisProvider.connect(url(), { keyPrefix: uniquePrefix('tokens') });
    try {
      for (const call of [
        provider.abandonOrchestrationItem('nope'),
        provider.renewOrchestrationItemLock('nope', 1000),
        provider.ackWorkItem('nope', null),
        provider.renewWorkItemLock('nope', 1000),
      ]) {
        const error = await call.catch((e) => e);
        expect(error).toMatchObject({ code: 'PROVIDER', retryable: false });
        expect(error.message).toMatch(/Invalid lock token/);
        expect(error.message).not.toMatch(/user_script/);
      }
    } finally {
      await provider.close();
    }
  });
});

describe('durability', () => {
  it('with appendfsync always, a committed enqueue survives a SIGKILL of the server', async () => {
    const server = await spawnRedisServer({ appendfsync: 'always' });
    let restarted: Awaited<ReturnType<typeof spawnRedisServer>> | null = null;
    const keyPrefix = uniquePrefix('durable');
    const provider = await RedisProvider.connect(server.url, { keyPrefix, clock: new ManualClock() });
    try {
      await provider.enqueueForOrchestrator(startItem('durable-1'));
      await server.kill();
      restarted = await spawnRedisServer({
        appendfsync: 'always',
        reuse: { dir: server.dir, port: server.port },
      });
      // The restarted server has no scripts: the provider reloads them (NOSCRIPT) after reconnecting.
      let fetched = null;
      for (let i = 0; i < 50 && fetched === null; i++) {
        fetched = await provider.fetchOrchestrationItem(1000, 0).catch((e) => {
          if (e?.retryable !== true) throw e;
          return null;
        });
        if (fetched === null) await new Promise((r) => setTimeout(r, 50));
      }
      expect(fetched?.item.instance).toBe('durable-1');
    } finally {
      await provider.close();
      await (restarted ?? server).stop();
    }
  });
});
