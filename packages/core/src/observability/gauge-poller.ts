import type { Provider } from '../provider/provider-contract.js';
import type { FilteredLogger } from './logger.js';
import type { RuntimeMetrics } from './metrics.js';

const TARGET = 'duroxide::runtime::observability';

/** A running gauge poller. */
export interface GaugePoller {
  /** Reads the provider now and stores the readings (errors are logged, never thrown). */
  poll(): Promise<void>;
  /** Stops the periodic polling. */
  stop(): void;
}

/**
 * Refreshes the active-orchestration and queue-depth gauges from the provider's management capability
 * every `intervalMs` (duroxide's gauge poller, §5.1 step 5). Without management there is nothing to poll.
 */
export function startGaugePoller(
  provider: Provider,
  metrics: RuntimeMetrics,
  logger: FilteredLogger,
  intervalMs: number,
): GaugePoller {
  const admin = provider.asManagementCapability();
  let running: Promise<void> | null = null;
  const poll = (): Promise<void> => {
    if (admin === null) return Promise.resolve();
    // One poll at a time: a slow store must not pile up overlapping reads.
    running ??= (async () => {
      try {
        const [system, queues] = await Promise.all([admin.getSystemMetrics(), admin.getQueueDepths()]);
        metrics.setGauges({
          activeOrchestrations: system.runningInstances,
          orchestratorQueueDepth: queues.orchestratorQueue,
          workerQueueDepth: queues.workerQueue,
        });
      } catch (err) {
        logger.log('debug', TARGET, 'gauge poll failed', {
          error: err instanceof Error ? err.message : String(err),
        });
      } finally {
        running = null;
      }
    })();
    return running;
  };
  const timer = setInterval(() => void poll(), intervalMs);
  // Background housekeeping must not keep the process alive on its own.
  timer.unref();
  return { poll, stop: () => clearInterval(timer) };
}
