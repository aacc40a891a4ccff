import type { Provider } from '@duroxide/core';
import { encodeId } from './ids.js';
import { RedisProvider } from './redis-provider.js';

function asRedis(provider: Provider): RedisProvider {
  if (!(provider instanceof RedisProvider))
    throw new Error(`expected a RedisProvider, got '${provider.name}'`);
  return provider;
}

/**
 * Conformance-kit hook: overwrites every event of the instance's current execution with valid JSON that
 * is not an event, so the next fetch reports `historyError`.
 */
export async function corruptInstanceHistory(provider: Provider, instance: string): Promise<void> {
  const redis = asRedis(provider);
  await redis.runScript('corruptInstanceHistory', 'corruptHistory', [
    encodeId(instance, 'corruptInstanceHistory'),
    JSON.stringify({ corrupted: true, kind: 'NotAnEvent' }),
  ]);
}

/** Conformance-kit hook: the highest attempt count among the instance's queued orchestrator messages. */
export async function getMaxAttemptCount(provider: Provider, instance: string): Promise<number> {
  const redis = asRedis(provider);
  return Number(
    await redis.runScript('getMaxAttemptCount', 'maxAttempt', [encodeId(instance, 'getMaxAttemptCount')]),
  );
}
