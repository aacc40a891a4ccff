import { describeRuntimeScenarios } from '@duroxide/provider-tests';
import { RedisProvider } from '../src/index.js';
import { uniquePrefix, useRedisServer } from './support/redis-server.js';

const url = useRedisServer();

// A fresh key prefix per test: every scenario runs on an empty store on the shared server.
describeRuntimeScenarios('redis', {
  createProvider: () => RedisProvider.connect(url(), { keyPrefix: uniquePrefix('scenario') }),
});
