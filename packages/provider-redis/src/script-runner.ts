import type { Redis } from 'ioredis';
import { SCRIPT_SOURCES, type ScriptName } from './lua/index.js';

/** One argument of a script call. */
export type ScriptArg = string | number;

/**
 * Loads every script once with SCRIPT LOAD and calls them by SHA (EVALSHA). If the server lost its
 * script cache (restart, SCRIPT FLUSH, failover) the NOSCRIPT reply triggers one reload and one retry;
 * that is safe because a NOSCRIPT call never ran.
 */
export class ScriptRunner {
  private readonly shas = new Map<ScriptName, string>();

  constructor(private readonly redis: Redis) {}

  /** Loads (or re-loads) every script. */
  async loadAll(): Promise<void> {
    const names = Object.keys(SCRIPT_SOURCES) as ScriptName[];
    const shas = await Promise.all(names.map((name) => this.redis.script('LOAD', SCRIPT_SOURCES[name])));
    for (const [i, name] of names.entries()) this.shas.set(name, String(shas[i]));
  }

  /** Runs a script by SHA with ARGV = `args` (no KEYS: the scripts build keys from the prefix). */
  async run(name: ScriptName, args: ScriptArg[]): Promise<unknown> {
    const sha = this.shas.get(name);
    if (sha === undefined) throw new Error(`script ${name} is not loaded`);
    try {
      return await this.redis.evalsha(sha, 0, ...args);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      await this.loadAll();
      return await this.redis.evalsha(this.shas.get(name) ?? sha, 0, ...args);
    }
  }
}
