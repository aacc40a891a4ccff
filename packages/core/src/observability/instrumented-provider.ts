import type { Provider } from '../provider/provider-contract.js';
import { METRIC_NAMES, type RuntimeMetrics } from './metrics.js';

/** The provider calls whose duration is measured (everything that touches storage). */
const MEASURED = new Set<string>([
  'fetchOrchestrationItem',
  'ackOrchestrationItem',
  'abandonOrchestrationItem',
  'renewOrchestrationItemLock',
  'read',
  'readWithExecution',
  'appendWithExecution',
  'enqueueForOrchestrator',
  'enqueueForWorker',
  'fetchWorkItem',
  'ackWorkItem',
  'abandonWorkItem',
  'renewWorkItemLock',
  'renewSessionLock',
  'cleanupOrphanedSessions',
  'getCustomStatus',
  'getKvValue',
  'getKvAllValues',
  'getInstanceStats',
]);

/**
 * Wraps a provider so every storage call records `duroxide_provider_operation_duration_seconds` with
 * `operation` and `status` labels (duroxide's instrumented provider). Errors are rethrown unchanged; the
 * dispatchers count them in `duroxide_provider_errors_total` where they handle them.
 */
export function instrumentProvider(provider: Provider, metrics: RuntimeMetrics): Provider {
  const wrappers = new Map<string | symbol, unknown>();
  return new Proxy(provider, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop);
      if (typeof prop !== 'string' || !MEASURED.has(prop) || typeof value !== 'function') {
        return typeof value === 'function' ? value.bind(target) : value;
      }
      let wrapper = wrappers.get(prop);
      if (wrapper === undefined) {
        const method = value as (...args: unknown[]) => Promise<unknown>;
        wrapper = async (...args: unknown[]) => {
          const started = performance.now();
          let status = 'success';
          try {
            return await method.apply(target, args);
          } catch (err) {
            status = 'error';
            throw err;
          } finally {
            metrics.histogram(METRIC_NAMES.providerOperationDuration, (performance.now() - started) / 1_000, {
              operation: prop,
              status,
            });
          }
        };
        wrappers.set(prop, wrapper);
      }
      return wrapper;
    },
  });
}
