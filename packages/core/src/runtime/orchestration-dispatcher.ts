import { semverRangeContains, tryParseSemver } from '../history/semver.js';
import { endSpan, SPAN_ATTRIBUTES } from '../observability/tracing.js';
import type { FetchedOrchestrationItem, OrchestrationAck } from '../provider/provider-contract.js';
import type { PreparedTurn, TurnOutcome } from '../replay/turn-types.js';
import {
  buildInfrastructureFailureAck,
  buildPoisonAck,
  buildUnreadableHistoryPoisonAck,
  type FailureTarget,
} from './failure-acks.js';
import type { OrchestrationIdentityCache } from './identity-cache.js';
import { instanceCacheOf, runTurn } from './instance-cache.js';
import { runSlot } from './lifecycle.js';
import { startLockRenewal } from './lock-renewal.js';
import { recordTurnOutcome } from './orchestration-metrics.js';
import type { RuntimeServices } from './services.js';
import {
  ACK_RETRIES,
  ackRetryDelayMs,
  errorMessage,
  isRetryableProviderError,
  lockRenewalIntervalMs,
  sleep,
  unregisteredBackoffMs,
} from './timing.js';

const TARGET = 'duroxide::runtime::dispatchers::orchestration';
/** Delay of abandons after an incompatible version or an unreadable history (duroxide: 1 s). */
const RETRY_LATER_MS = 1_000;
/** Delay of the abandon after a turn could not be committed at all (duroxide: 50 ms). */
const ACK_GIVE_UP_DELAY_MS = 50;

type RunTurn = Extract<PreparedTurn, { type: 'run' }>;

/**
 * Runs one orchestration dispatcher slot until shutdown. Committed turns that schedule activities record
 * their orchestration's identity in `identities`, so the worker does not read the history to learn it.
 */
export function runOrchestrationSlot(
  services: RuntimeServices,
  index: number,
  identities: OrchestrationIdentityCache | null = null,
): Promise<void> {
  const workerId = `orch-${index}-${services.runtimeId}`;
  const o = services.options;
  const filter = { supportedDuroxideVersions: o.supportedReplayVersions };
  return runSlot<FetchedOrchestrationItem>(services, {
    kind: 'orchestration',
    workerId,
    fetch: (signal) =>
      services.provider.fetchOrchestrationItem(
        o.orchestratorLockTimeoutMs,
        o.dispatcherLongPollTimeoutMs,
        filter,
        { signal },
      ),
    process: (fetched) => {
      services.metrics.bump('orchDispatcherItemsFetched');
      return processWithRenewal(services, fetched, workerId, identities);
    },
    release: (fetched) =>
      services.provider.abandonOrchestrationItem(fetched.lockToken, { ignoreAttempt: true }),
  }).finally(() => instanceCacheOf(services).clear()); // a stopped runtime keeps no suspended code alive
}

async function processWithRenewal(
  services: RuntimeServices,
  fetched: FetchedOrchestrationItem,
  workerId: string,
  identities: OrchestrationIdentityCache | null,
): Promise<void> {
  const o = services.options;
  const renewal = startLockRenewal(
    lockRenewalIntervalMs(o.orchestratorLockTimeoutMs, o.orchestratorLockRenewalBufferMs),
    () => services.provider.renewOrchestrationItemLock(fetched.lockToken, o.orchestratorLockTimeoutMs),
    (err) =>
      services.logger.log('warn', TARGET, 'instance lock renewal failed', {
        instanceId: fetched.item.instance,
        workerId,
        error: errorMessage(err),
      }),
  );
  try {
    await processItem(services, fetched, workerId, identities);
  } catch (err) {
    // Engine or bookkeeping bug: give the batch back; the attempt counts, so it cannot loop forever.
    services.logger.log('error', TARGET, 'orchestration turn crashed', {
      instanceId: fetched.item.instance,
      workerId,
      error: errorMessage(err),
    });
    await abandon(services, fetched, RETRY_LATER_MS);
  } finally {
    renewal.stop();
  }
}

/** The supported-version double-check (§5.3 step 2); executions without a readable pin always pass. */
function isReplayable(services: RuntimeServices, fetched: FetchedOrchestrationItem): boolean {
  const first = fetched.item.history[0];
  if (first?.kind !== 'OrchestrationStarted') return true;
  const pinned = tryParseSemver(first.duroxideVersion);
  if (!pinned) return true;
  return services.options.supportedReplayVersions.some((range) => semverRangeContains(range, pinned));
}

async function processItem(
  services: RuntimeServices,
  fetched: FetchedOrchestrationItem,
  workerId: string,
  identities: OrchestrationIdentityCache | null,
): Promise<void> {
  const { item, attemptCount } = fetched;
  const o = services.options;
  // Taken out now: only a committed `run` turn below puts an entry back; every other path drops it.
  const cached = instanceCacheOf(services).take(item.instance);
  const fields = { instanceId: item.instance, executionId: item.executionId, workerId };
  if (!isReplayable(services, fetched)) {
    services.logger.log(
      'warn',
      TARGET,
      'execution pinned to an unsupported runtime version; abandoning',
      fields,
    );
    await abandon(services, fetched, RETRY_LATER_MS);
    return;
  }
  if (item.historyError !== null) {
    if (attemptCount > o.maxAttempts) {
      services.logger.log('warn', TARGET, 'unreadable history poisoned the instance', {
        ...fields,
        attemptCount,
      });
      services.metrics.bump('orchPoison');
      services.metrics.bump('orchFailures');
      await ackTurn(
        services,
        fetched,
        buildUnreadableHistoryPoisonAck(item, attemptCount, o.maxAttempts, o.clock.now()),
        null,
      );
    } else {
      services.logger.log('warn', TARGET, 'history could not be read; retrying later', {
        ...fields,
        error: item.historyError,
      });
      await abandon(services, fetched, RETRY_LATER_MS);
    }
    return;
  }
  const prepared = services.engine.prepareTurn(item);
  if (prepared.type === 'ackOnly') {
    services.logger.log('debug', TARGET, `batch needs no orchestration code: ${prepared.reason}`, fields);
    await ackTurn(services, fetched, prepared.ack, null);
    return;
  }
  const target: FailureTarget = {
    executionId: prepared.executionId,
    isNewExecution: prepared.isNewExecution,
  };
  if (attemptCount > o.maxAttempts) {
    await poison(services, fetched, prepared, target);
    return;
  }
  const resolved = services.orchestrations.resolve(prepared.orchestrationName, prepared.requestedVersion);
  if (resolved === null) {
    const delayMs = unregisteredBackoffMs(
      attemptCount,
      o.unregisteredBackoff.baseDelayMs,
      o.unregisteredBackoff.maxDelayMs,
    );
    services.logger.log('warn', TARGET, 'orchestration not registered here; abandoning with backoff', {
      ...fields,
      orchestrationName: prepared.orchestrationName,
      orchestrationVersion: prepared.requestedVersion ?? 'latest',
      delayMs,
      remainingAttempts: Math.max(0, o.maxAttempts - attemptCount),
    });
    await abandon(services, fetched, delayMs);
    return;
  }
  const turnFields = {
    instanceId: prepared.instance,
    executionId: prepared.executionId,
    orchestrationName: prepared.orchestrationName,
    orchestrationVersion: resolved.version,
  };
  const started = performance.now();
  const nowMs = services.options.clock.now();
  const span = services.tracing.startTurn({
    [SPAN_ATTRIBUTES.instanceId]: prepared.instance,
    [SPAN_ATTRIBUTES.executionId]: prepared.executionId,
    [SPAN_ATTRIBUTES.orchestrationName]: prepared.orchestrationName,
    [SPAN_ATTRIBUTES.orchestrationVersion]: resolved.version,
    [SPAN_ATTRIBUTES.workerId]: workerId,
  });
  let spanOutcome = 'crashed';
  try {
    const outcome = await runTurn(services, cached, prepared, {
      handler: resolved.handler,
      version: resolved.version,
      nowMs,
      duroxideVersion: o.duroxideVersion,
      trace: (level, message) => services.logger.trace(level, 'duroxide::orchestration', message, turnFields),
    });
    span.setAttribute(SPAN_ATTRIBUTES.historySize, outcome.history.length);
    // Counted before the ack, while the lock is held: after it, another slot may run the next turn first.
    const persisted = outcome.history.slice(0, outcome.history.length - outcome.ack.historyDelta.length);
    const turns = services.turnCounts.record(prepared.instance, prepared.executionId, persisted);
    const committed = await ackTurn(services, fetched, outcome.ack, { prepared, target, outcome });
    if (!committed) services.turnCounts.unrecord(prepared.instance, prepared.executionId);
    spanOutcome = committed ? outcome.result.type : 'notCommitted';
    if (committed && outcome.suspended) instanceCacheOf(services).put(outcome.suspended);
    if (committed && outcome.ack.workerItems.length > 0) identities?.remember(item.instance, outcome.history);
    if (committed) {
      const turnSeconds = (performance.now() - started) / 1_000;
      recordTurnOutcome(services, prepared, resolved.version, outcome, { nowMs, turnSeconds, turns });
    }
  } finally {
    const isError = spanOutcome === 'crashed' || spanOutcome === 'notCommitted' || spanOutcome === 'failed';
    endSpan(span, spanOutcome, isError ? spanOutcome : undefined);
  }
}

async function poison(
  services: RuntimeServices,
  fetched: FetchedOrchestrationItem,
  prepared: RunTurn,
  target: FailureTarget,
): Promise<void> {
  const { item, attemptCount } = fetched;
  const o = services.options;
  services.logger.log('warn', TARGET, 'orchestration exceeded max attempts; failing it as poison', {
    instanceId: item.instance,
    executionId: target.executionId,
    attemptCount,
    maxAttempts: o.maxAttempts,
  });
  const fallbackVersion =
    prepared.requestedVersion ?? services.orchestrations.defaultVersion(prepared.orchestrationName);
  const ack = buildPoisonAck(item, target, attemptCount, o.maxAttempts, o.clock.now(), fallbackVersion);
  if (await ackTurn(services, fetched, ack, null)) {
    services.metrics.bump('orchPoison');
    services.metrics.bump('orchFailures');
    services.metrics.counter('duroxide_orchestration_poison_total');
  }
}

/** What the fallback needs when a `run` turn's ack cannot be committed. */
interface FallbackContext {
  prepared: RunTurn;
  target: FailureTarget;
  outcome: TurnOutcome;
}

/**
 * Commits a turn (§5.3 step 11): retryable errors are retried with 10·2^k ms backoff; when that fails, a
 * `run` turn tries once to commit an Infrastructure failure instead; otherwise the batch is abandoned.
 * Returns whether the original ack was committed.
 */
async function ackTurn(
  services: RuntimeServices,
  fetched: FetchedOrchestrationItem,
  ack: OrchestrationAck,
  fallback: FallbackContext | null,
): Promise<boolean> {
  let lastError: unknown;
  for (let attempt = 0; attempt <= ACK_RETRIES; attempt += 1) {
    try {
      await services.provider.ackOrchestrationItem(fetched.lockToken, ack);
      if (ack.cancelledActivities.length > 0) services.running.poke(ack.cancelledActivities);
      return true;
    } catch (err) {
      lastError = err;
      services.metrics.providerError('ackOrchestrationItem', err);
      if (!isRetryableProviderError(err) || attempt === ACK_RETRIES) break;
      await sleep(ackRetryDelayMs(attempt));
    }
  }
  const fields = { instanceId: fetched.item.instance, error: errorMessage(lastError) };
  if (fallback !== null) {
    const failure = buildInfrastructureFailureAck(
      fetched.item,
      fallback.target,
      ack,
      { message: errorMessage(lastError), retryable: isRetryableProviderError(lastError) },
      services.options.clock.now(),
    );
    try {
      await services.provider.ackOrchestrationItem(fetched.lockToken, failure);
      services.logger.log(
        'error',
        TARGET,
        'turn could not be committed; the execution failed with an infrastructure error',
        fields,
      );
      services.metrics.bump('orchFailures');
      services.metrics.bump('orchInfrastructureErrors');
      return false;
    } catch (err) {
      services.metrics.providerError('ackOrchestrationItem', err);
    }
  }
  services.logger.log('error', TARGET, 'turn could not be committed; abandoning the batch', fields);
  await abandon(services, fetched, ACK_GIVE_UP_DELAY_MS);
  return false;
}

async function abandon(
  services: RuntimeServices,
  fetched: FetchedOrchestrationItem,
  delayMs: number,
): Promise<void> {
  try {
    await services.provider.abandonOrchestrationItem(fetched.lockToken, { delayMs });
  } catch (err) {
    // The lock may already be gone (expired or taken over); the batch comes back by lock expiry anyway.
    services.metrics.providerError('abandonOrchestrationItem', err);
    services.logger.log('debug', TARGET, 'abandon failed', {
      instanceId: fetched.item.instance,
      error: errorMessage(err),
    });
  }
}
