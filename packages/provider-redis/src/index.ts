export { decodeId, encodeId } from './ids.js';
export type { RedisProviderOptions } from './options.js';
export { RedisAdmin } from './redis-admin.js';
export { RedisProvider } from './redis-provider.js';
export { corruptInstanceHistory, getMaxAttemptCount } from './test-hooks.js';
