// The SIGKILL crash test again, with the instance cache off in every worker process: the spawned workers
// inherit this environment variable (crash/worker.mjs reads it), so every turn replays from the start.
process.env.DUROXIDE_INSTANCE_CACHE_SIZE = '0';
await import('./crash/crash.test.js');
