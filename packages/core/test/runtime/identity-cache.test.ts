import { describe, expect, it } from 'vitest';
import { OrchestrationIdentityCache } from '../../src/runtime/identity-cache.js';
import { fakeProvider, startedEvent } from './fakes.js';

describe('OrchestrationIdentityCache', () => {
  it('an identity remembered from a committed turn is served without reading history', async () => {
    const { provider } = fakeProvider();
    const cache = new OrchestrationIdentityCache(provider);
    cache.remember('i', [startedEvent('i', { executionId: 2, name: 'Order', version: '2.1.0' })]);
    expect(await cache.lookup('i', 2)).toEqual({ name: 'Order', version: '2.1.0' });
    expect(provider.readWithExecution).not.toHaveBeenCalled();
    // Another execution is not covered by what was remembered.
    provider.readWithExecution.mockResolvedValueOnce([startedEvent('i')]);
    expect(await cache.lookup('i', 1)).toEqual({ name: 'Flow', version: '1.0.0' });
    expect(provider.readWithExecution).toHaveBeenCalledTimes(1);
  });

  it('a history without a start event records nothing', async () => {
    const { provider } = fakeProvider();
    const cache = new OrchestrationIdentityCache(provider);
    cache.remember('i', []);
    expect(await cache.lookup('i', 1)).toEqual({ name: 'unknown', version: 'unknown' });
    expect(provider.readWithExecution).toHaveBeenCalledTimes(1);
  });
});
