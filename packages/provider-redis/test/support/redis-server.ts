/**
 * A throwaway Redis server for one test file: when `DUROXIDE_REDIS_URL` is set that server is used;
 * otherwise `redis-server` from PATH starts on a free loopback port in a temporary directory with AOF on
 * (`appendfsync everysec`, no RDB snapshots) and is stopped (and its directory removed) afterwards.
 * A server that cannot start fails the suite loudly.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';

/** A running test server. */
export interface TestRedisServer {
  /** `redis://127.0.0.1:<port>`. */
  url: string;
  /** Stops the server and removes its directory (a no-op for an external server). */
  stop(): Promise<void>;
}

let counter = 0;
/** A key prefix no other test file, process or run shares. */
export function uniquePrefix(name: string): string {
  counter += 1;
  return `dxtest:${name}:${process.pid}:${Date.now().toString(36)}:${counter}`;
}

/** Registers beforeAll/afterAll hooks and returns a getter for the server URL. */
export function useRedisServer(): () => string {
  let server: TestRedisServer | null = null;
  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => {
    await server?.stop();
  });
  return () => {
    if (!server) throw new Error('the test Redis server is not running (useRedisServer hooks did not run)');
    return server.url;
  };
}

/** Starts (or attaches to, when `DUROXIDE_REDIS_URL` is set) a Redis server. */
export async function startRedisServer(): Promise<TestRedisServer> {
  const external = process.env.DUROXIDE_REDIS_URL;
  if (external) return { url: external, stop: async () => {} };
  return spawnRedisServer();
}

/** Options for a server this process owns. */
export interface SpawnOptions {
  /** AOF fsync policy (default everysec). */
  appendfsync?: 'everysec' | 'always';
  /** Reuse this data directory and port (a restart after `kill`). */
  reuse?: { dir: string; port: number };
}

/** A server this process owns: it can be killed with SIGKILL and restarted on the same data. */
export interface OwnedRedisServer extends TestRedisServer {
  /** The data directory (the AOF lives here). */
  dir: string;
  /** The port. */
  port: number;
  /** SIGKILLs the server, keeping its data directory. */
  kill(): Promise<void>;
}

/** Starts `redis-server` from PATH on a free loopback port in a temporary directory, with AOF on. */
export async function spawnRedisServer(options: SpawnOptions = {}): Promise<OwnedRedisServer> {
  const dir = options.reuse?.dir ?? mkdtempSync(join(tmpdir(), 'duroxide-redis-'));
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = options.reuse?.port ?? (await freePort());
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes'];
    args.push('--appendfsync', options.appendfsync ?? 'everysec', '--save', '', '--daemonize', 'no');
    const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    const url = `redis://127.0.0.1:${port}`;
    const failure = await waitReady(child, url);
    if (failure === null) {
      return {
        url,
        dir,
        port,
        stop: () => stopServer(child, dir),
        kill: async () => {
          const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
          child.kill('SIGKILL');
          await exited;
        },
      };
    }
    child.kill('SIGKILL');
    if (options.reuse || !/Address already in use/i.test(output)) {
      throw new Error(
        `cannot start redis-server for the Redis provider tests (${failure}); install it (apt-get install redis-server) ` +
          `or set DUROXIDE_REDIS_URL. Server output:\n${output}`,
      );
    }
  }
  rmSync(dir, { recursive: true, force: true });
  throw new Error('cannot start redis-server: no free port after 3 attempts');
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Resolves null once the server answers PING, or a reason when it exits or never answers. */
async function waitReady(child: ChildProcess, url: string): Promise<string | null> {
  let exited: string | null = null;
  child.once('error', (err) => (exited = `spawn failed: ${err.message}`));
  child.once('exit', (code, signal) => (exited = `exited with ${code ?? signal}`));
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (exited) return exited;
    const probe = new Redis(url, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    probe.on('error', () => {});
    try {
      await probe.connect();
      if ((await probe.ping()) === 'PONG') return null;
    } catch {
      // not up yet
    } finally {
      probe.disconnect();
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  return exited ?? 'did not answer PING within 10 s';
}

async function stopServer(child: ChildProcess, dir: string): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
  rmSync(dir, { recursive: true, force: true });
}
