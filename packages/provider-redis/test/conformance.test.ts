import { describeProviderConformance } from '@duroxide/provider-tests';
import { corruptInstanceHistory, getMaxAttemptCount, RedisProvider } from '../src/index.js';
import { uniquePrefix, useRedisServer } from './support/redis-server.js';

const url = useRedisServer();

describeProviderConformance('redis', {
  createProvider: ({ clock }) => RedisProvider.connect(url(), { keyPrefix: uniquePrefix('kit'), clock }),
  lockTimeoutMs: 1000,
  corruptInstanceHistory,
  getMaxAttemptCount,
});
