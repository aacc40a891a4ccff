import type { ActivityHandler } from '../definitions.js';
import { activityFailure, type ErrorDetails } from '../history/error-details.js';
import { decodePayload, encodePayload } from '../history/payload.js';
import type {
  ActivityCompletedItem,
  ActivityExecuteItem,
  ActivityFailedItem,
} from '../history/work-items.js';
import { METRIC_NAMES } from '../observability/metrics.js';
import { endSpan, SPAN_ATTRIBUTES } from '../observability/tracing.js';
import type { FetchedWorkItem, SessionFetchConfig } from '../provider/provider-contract.js';
import { RuntimeActivityContext } from './activity-context.js';
import type { OrchestrationIdentityCache } from './identity-cache.js';
import { runSlot } from './lifecycle.js';
import { startLockRenewal } from './lock-renewal.js';
import type { RuntimeServices } from './services.js';
import { errorMessage, lockRenewalIntervalMs, sleep, unregisteredBackoffMs } from './timing.js';

const TARGET = 'duroxide::runtime::dispatchers::worker';
/** Delay of the abandon after an ack failed or a session race was lost (duroxide: 100 ms). */
const RETRY_SOON_MS = 100;
/** How long a fetch made while every session slot is taken may wait before asking again with session config. */
export const SESSION_CAPACITY_RECHECK_MS = 50;

type Completion = ActivityCompletedItem | ActivityFailedItem;
type HandlerResult = { ok: true; value: unknown } | { ok: false; error: unknown };

/** Runs one worker dispatcher slot until shutdown. */
export function runWorkerSlot(
  services: RuntimeServices,
  index: number,
  identities: OrchestrationIdentityCache,
): Promise<void> {
  const o = services.options;
  const workerId = `work-${index}-${o.workerNodeId ?? services.runtimeId}`;
  const ownerId = o.workerNodeId ?? workerId;
  return runSlot<FetchedWorkItem>(services, {
    kind: 'worker',
    workerId,
    fetch: (signal) => {
      const hasCapacity = services.sessions.hasCapacity();
      const session: SessionFetchConfig | null = hasCapacity
        ? { ownerId, lockTimeoutMs: o.sessionLockTimeoutMs }
        : null;
      // A fetch without session config cannot see session work that becomes takeable when a slot frees,
      // and no provider signal fires for that; so while at capacity, poll briefly and ask again.
      const pollMs = hasCapacity
        ? o.dispatcherLongPollTimeoutMs
        : Math.min(o.dispatcherLongPollTimeoutMs, SESSION_CAPACITY_RECHECK_MS);
      return services.provider.fetchWorkItem(o.workerLockTimeoutMs, pollMs, session, o.workerTagFilter, {
        signal,
      });
    },
    process: (fetched) => {
      services.metrics.bump('workerDispatcherItemsFetched');
      return processWorkItem(services, fetched, workerId, identities).catch((err: unknown) => {
        services.logger.log('error', TARGET, 'activity processing crashed', {
          workerId,
          error: errorMessage(err),
        });
      });
    },
    release: (fetched) => services.provider.abandonWorkItem(fetched.lockToken, { ignoreAttempt: true }),
  });
}

/** The ids of the owners a runtime's worker slots use for sessions. */
export function sessionOwnerIds(services: Pick<RuntimeServices, 'options' | 'runtimeId'>): string[] {
  const o = services.options;
  if (o.workerNodeId !== null) return [o.workerNodeId];
  return Array.from({ length: o.workerConcurrency }, (_, i) => `work-${i}-${services.runtimeId}`);
}

async function processWorkItem(
  services: RuntimeServices,
  fetched: FetchedWorkItem,
  workerId: string,
  identities: OrchestrationIdentityCache,
): Promise<void> {
  const { item, lockToken, attemptCount } = fetched;
  const o = services.options;
  const sessionId = item.sessionId;
  if (sessionId !== undefined && !services.sessions.acquire(sessionId)) {
    await abandon(services, lockToken, { delayMs: RETRY_SOON_MS, ignoreAttempt: true });
    return;
  }
  try {
    if (attemptCount > o.maxAttempts) {
      await poisonActivity(services, fetched);
      return;
    }
    const handler = services.activities.get(item.name);
    if (handler === undefined) {
      const delayMs = unregisteredBackoffMs(
        attemptCount,
        o.unregisteredBackoff.baseDelayMs,
        o.unregisteredBackoff.maxDelayMs,
      );
      services.metrics.bump('activityConfigErrors');
      services.metrics.counter(METRIC_NAMES.activityConfigurationErrors, { activity_name: item.name });
      services.logger.log('warn', TARGET, 'activity not registered here; abandoning with backoff', {
        instanceId: item.instance,
        activityName: item.name,
        activityId: item.id,
        workerId,
        delayMs,
        remainingAttempts: Math.max(0, o.maxAttempts - attemptCount),
      });
      await abandon(services, lockToken, { delayMs });
      return;
    }
    await executeActivity(services, fetched, handler, workerId, identities);
  } finally {
    if (sessionId !== undefined) services.sessions.release(sessionId);
  }
}

async function poisonActivity(services: RuntimeServices, fetched: FetchedWorkItem): Promise<void> {
  const { item, attemptCount } = fetched;
  const max = services.options.maxAttempts;
  const details: ErrorDetails = {
    category: 'poison',
    attemptCount,
    maxAttempts: max,
    messageType: {
      type: 'Activity',
      instance: item.instance,
      executionId: item.executionId,
      activityName: item.name,
      activityId: item.id,
    },
    message: JSON.stringify(item),
  };
  services.logger.log('warn', TARGET, 'activity exceeded max attempts; failing it as poison', {
    instanceId: item.instance,
    activityName: item.name,
    activityId: item.id,
    attemptCount,
  });
  if (await ack(services, fetched, failed(item, details))) {
    services.metrics.bump('activityPoison');
    services.metrics.counter(METRIC_NAMES.activityPoison);
  }
}

function failed(item: ActivityExecuteItem, details: ErrorDetails): ActivityFailedItem {
  return {
    kind: 'ActivityFailed',
    instance: item.instance,
    executionId: item.executionId,
    id: item.id,
    details,
  };
}

function runHandler(
  handler: ActivityHandler,
  ctx: RuntimeActivityContext,
  input: string,
): Promise<HandlerResult> {
  try {
    return Promise.resolve(handler(ctx, decodePayload(input))).then(
      (value): HandlerResult => ({ ok: true, value }),
      (error: unknown): HandlerResult => ({ ok: false, error }),
    );
  } catch (error) {
    return Promise.resolve({ ok: false, error });
  }
}

function aborted(signal: AbortSignal): Promise<'aborted'> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve('aborted');
    else signal.addEventListener('abort', () => resolve('aborted'), { once: true });
  });
}

async function executeActivity(
  services: RuntimeServices,
  fetched: FetchedWorkItem,
  handler: ActivityHandler,
  workerId: string,
  identities: OrchestrationIdentityCache,
): Promise<void> {
  const { item, lockToken } = fetched;
  const o = services.options;
  const controller = new AbortController();
  let cancelled = false;
  const renewal = startLockRenewal(
    lockRenewalIntervalMs(o.workerLockTimeoutMs, o.workerLockRenewalBufferMs),
    () => services.provider.renewWorkItemLock(lockToken, o.workerLockTimeoutMs),
    () => {
      // The row is gone (the orchestration cancelled it) or the lock was lost: the result is unwanted.
      cancelled = true;
      controller.abort(new DOMException(`activity ${item.name}#${item.id} was cancelled`, 'AbortError'));
    },
  );
  const untrack = services.running.add(item.instance, item.executionId, item.id, renewal);
  const onForce = () => controller.abort(new DOMException('runtime shutdown deadline passed', 'AbortError'));
  services.lifecycle.forceSignal.addEventListener('abort', onForce, { once: true });
  const identity = await identities.lookup(item.instance, item.executionId);
  const ctx = new RuntimeActivityContext(
    item,
    identity,
    workerId,
    controller.signal,
    services.client,
    services.logger,
  );
  const tag = item.tag ?? 'default';
  const fields = activityFields(item, workerId);
  const span = services.tracing.startActivity({
    [SPAN_ATTRIBUTES.instanceId]: item.instance,
    [SPAN_ATTRIBUTES.executionId]: item.executionId,
    [SPAN_ATTRIBUTES.orchestrationName]: identity.name,
    [SPAN_ATTRIBUTES.orchestrationVersion]: identity.version,
    [SPAN_ATTRIBUTES.activityName]: item.name,
    [SPAN_ATTRIBUTES.activityId]: item.id,
    [SPAN_ATTRIBUTES.activityTag]: tag,
    [SPAN_ATTRIBUTES.sessionId]: item.sessionId ?? '',
    [SPAN_ATTRIBUTES.workerId]: workerId,
    [SPAN_ATTRIBUTES.attempt]: fetched.attemptCount,
  });
  let spanOutcome = 'crashed';
  services.logger.log('debug', TARGET, 'Activity started', fields);
  const started = performance.now();
  try {
    const pending = services.tracing.withSpan(span, () => runHandler(handler, ctx, item.input));
    const first = await Promise.race([pending, aborted(controller.signal)]);
    if (first === 'aborted') {
      renewal.stop();
      spanOutcome = cancelled ? 'cancelled' : 'shutdown';
      if (cancelled) await finishCancelled(services, fetched, pending, workerId);
      else await abandon(services, lockToken, { ignoreAttempt: true });
      return;
    }
    renewal.stop();
    const completion = toCompletion(item, first);
    const outcome = completion.kind === 'ActivityCompleted' ? 'success' : 'app_error';
    const committed = await ack(services, fetched, completion);
    spanOutcome = committed ? outcome : 'infra_error';
    if (committed) {
      services.metrics.bump(outcome === 'success' ? 'activitySuccess' : 'activityAppErrors');
      services.metrics.counter(METRIC_NAMES.activityExecutions, {
        activity_name: item.name,
        outcome,
        retry_attempt: '0',
        tag,
      });
      services.metrics.histogram(METRIC_NAMES.activityDuration, (performance.now() - started) / 1_000, {
        activity_name: item.name,
        outcome,
        tag,
      });
      if (completion.kind === 'ActivityFailed') {
        services.logger.log('warn', TARGET, 'Activity failed (application error)', {
          ...fields,
          error: completion.details.category === 'application' ? completion.details.message : '',
        });
      } else {
        services.logger.log('debug', TARGET, 'Activity completed', fields);
      }
    }
  } finally {
    endSpan(
      span,
      spanOutcome,
      spanOutcome === 'success' || spanOutcome === 'cancelled' ? undefined : spanOutcome,
    );
    renewal.stop();
    untrack();
    services.lifecycle.forceSignal.removeEventListener('abort', onForce);
  }
}

/** Correlation fields of an activity's log lines. */
function activityFields(item: ActivityExecuteItem, workerId: string): Record<string, unknown> {
  return {
    instanceId: item.instance,
    executionId: item.executionId,
    activityName: item.name,
    activityId: item.id,
    activityTag: item.tag ?? null,
    sessionId: item.sessionId ?? null,
    workerId,
  };
}

/** Builds the completion: the JSON output, or an application failure with the error's message. */
function toCompletion(item: ActivityExecuteItem, result: HandlerResult): Completion {
  if (!result.ok) return failed(item, activityFailure(errorMessage(result.error)));
  try {
    const text = encodePayload(result.value, `activity '${item.name}' output`);
    return {
      kind: 'ActivityCompleted',
      instance: item.instance,
      executionId: item.executionId,
      id: item.id,
      result: text,
    };
  } catch (err) {
    return failed(item, activityFailure(errorMessage(err)));
  }
}

/**
 * A cancelled activity (§5.8): give the handler the grace period to stop, then ack without a completion
 * (the result is dropped); a handler that never returns is left behind and its slot freed.
 */
async function finishCancelled(
  services: RuntimeServices,
  fetched: FetchedWorkItem,
  pending: Promise<HandlerResult>,
  workerId: string,
): Promise<void> {
  const { item } = fetched;
  const grace = new AbortController();
  const stopped = await Promise.race([
    pending.then(() => true),
    sleep(services.options.activityCancellationGracePeriodMs, grace.signal).then(() => false),
  ]);
  grace.abort();
  services.metrics.bump('activityCancelled');
  services.metrics.counter(METRIC_NAMES.activityExecutions, {
    activity_name: item.name,
    outcome: 'cancelled',
    retry_attempt: '0',
    tag: item.tag ?? 'default',
  });
  services.logger.log(
    stopped ? 'debug' : 'warn',
    TARGET,
    stopped ? 'Activity cancelled' : 'Activity ignored cancellation past the grace period; abandoned',
    activityFields(item, workerId),
  );
  try {
    await services.provider.ackWorkItem(fetched.lockToken, null);
  } catch {
    // Expected: the orchestration usually deleted the row already.
  }
}

/** Acks a work item; on failure abandons it (100 ms) and counts an infrastructure error. */
async function ack(
  services: RuntimeServices,
  fetched: FetchedWorkItem,
  completion: Completion,
): Promise<boolean> {
  try {
    await services.provider.ackWorkItem(fetched.lockToken, completion);
    return true;
  } catch (err) {
    const { item } = fetched;
    services.metrics.providerError('ackWorkItem', err);
    services.metrics.bump('activityInfraErrors');
    services.metrics.counter(METRIC_NAMES.activityInfrastructureErrors, { activity_name: item.name });
    services.logger.log('debug', TARGET, 'activity ack failed (cancelled or lock lost); abandoning', {
      instanceId: item.instance,
      activityName: item.name,
      activityId: item.id,
      error: errorMessage(err),
    });
    await abandon(services, fetched.lockToken, { delayMs: RETRY_SOON_MS });
    return false;
  }
}

async function abandon(
  services: RuntimeServices,
  lockToken: string,
  options: { delayMs?: number; ignoreAttempt?: boolean },
): Promise<void> {
  try {
    await services.provider.abandonWorkItem(lockToken, options);
  } catch (err) {
    services.logger.log('debug', TARGET, 'abandon failed', { error: errorMessage(err) });
  }
}
