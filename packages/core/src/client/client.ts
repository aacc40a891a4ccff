import { decodeWith, type OrchestrationDefinition, type OutputOf } from '../definitions.js';
import { DurableError, InstanceNotFoundError, TimeoutError } from '../errors.js';
import { encodePayload } from '../history/payload.js';
import type { OrchestratorItem } from '../history/work-items.js';
import type { Provider } from '../provider/provider-contract.js';
import { ManagementClient } from './management.js';
import {
  isTerminalStatus,
  type OrchestrationStatus,
  statusFromHistory,
  type TerminalStatus,
} from './status.js';
import { requireName, requireNumber, requireVersion, translateManagementError } from './validation.js';

/** Default timeout of the waits, as in duroxide-node. */
export const DEFAULT_WAIT_TIMEOUT_MS = 30_000;
/** Default poll interval of `waitForStatusChange`, as in duroxide-node. */
export const DEFAULT_STATUS_POLL_MS = 500;
/** Longest single provider wait inside a client wait (a safety net should a wake-up be missed). */
const WAIT_SLICE_MS = 500;
/** Reason recorded when `cancelInstance` is called without one. */
const DEFAULT_CANCEL_REASON = 'cancelled by client';

/** The input argument(s) of a typed start: optional when the orchestration accepts `undefined`. */
type InputArgs<I> = undefined extends I ? [input?: I] : [input: I];

/**
 * Controls instances over a provider, without a runtime: start (idempotent per instance id), raise and
 * enqueue events, cancel, read status and KV, wait for completion, and manage instances.
 */
export class Client extends ManagementClient {
  constructor(provider: Provider) {
    if (
      typeof provider !== 'object' ||
      provider === null ||
      typeof provider.enqueueForOrchestrator !== 'function'
    ) {
      throw new DurableError(
        'INVALID_INPUT',
        'Client: expected a Provider (e.g. await SqliteProvider.inMemory())',
      );
    }
    super(provider);
  }

  /**
   * Starts an instance at the latest registered version (a typed handle with a version pins it). Starting an
   * id that already exists is a no-op. Throws `INVALID_INPUT` for empty ids or names and non-JSON input.
   */
  startOrchestration<I, O>(
    instanceId: string,
    orchestration: OrchestrationDefinition<I, O>,
    ...input: InputArgs<I>
  ): Promise<void>;
  startOrchestration(instanceId: string, orchestration: string, input?: unknown): Promise<void>;
  async startOrchestration(
    instanceId: string,
    orchestration: string | OrchestrationDefinition,
    input?: unknown,
  ): Promise<void> {
    const version =
      typeof orchestration === 'object' && orchestration !== null ? orchestration.version : undefined;
    await this.start(instanceId, orchestration, input, version);
  }

  /** Starts an instance pinned to an exact orchestration version (note: input before version). */
  startOrchestrationVersioned<I, O>(
    instanceId: string,
    orchestration: OrchestrationDefinition<I, O>,
    input: I,
    version: string,
  ): Promise<void>;
  startOrchestrationVersioned(
    instanceId: string,
    orchestration: string,
    input: unknown,
    version: string,
  ): Promise<void>;
  async startOrchestrationVersioned(
    instanceId: string,
    orchestration: string | OrchestrationDefinition,
    input: unknown,
    version: string,
  ): Promise<void> {
    await this.start(instanceId, orchestration, input, requireVersion(version, 'version'));
  }

  /** Raises an external event (positional and ephemeral: delivered only to a waiting subscription). */
  async raiseEvent(instanceId: string, eventName: string, data?: unknown): Promise<void> {
    requireName(instanceId, 'instanceId');
    requireName(eventName, 'eventName');
    const payload = encodePayload(data, `event '${eventName}' data`);
    await this.enqueue({ kind: 'ExternalRaised', instance: instanceId, name: eventName, data: payload });
  }

  /** Sends a message to a persistent FIFO queue of the instance (buffered until dequeued). */
  async enqueueEvent(instanceId: string, queueName: string, data?: unknown): Promise<void> {
    requireName(instanceId, 'instanceId');
    requireName(queueName, 'queueName');
    const payload = encodePayload(data, `queue '${queueName}' message`);
    await this.enqueue({ kind: 'QueueMessage', instance: instanceId, name: queueName, data: payload });
  }

  /** Requests cancellation; the instance ends `Failed` with `canceled: <reason>` (a no-op once finished). */
  async cancelInstance(instanceId: string, reason: string = DEFAULT_CANCEL_REASON): Promise<void> {
    requireName(instanceId, 'instanceId');
    if (typeof reason !== 'string') {
      throw new DurableError('INVALID_INPUT', `reason must be a string, got ${typeof reason}`);
    }
    await this.enqueue({ kind: 'CancelInstance', instance: instanceId, reason });
  }

  /** The instance's status from its latest execution's history, with its custom status. */
  async getStatus<O = unknown>(instanceId: string): Promise<OrchestrationStatus<O>> {
    requireName(instanceId, 'instanceId');
    return (await this.readStatus<O>(instanceId)).status;
  }

  /**
   * Waits until the instance completes or fails (woken by the provider's change notifications, so it
   * resolves right after the commit); rejects with `TimeoutError` after `timeoutMs` (default 30 s).
   * Passing the typed handle the instance was started with types `output` as the orchestration's result
   * (and checks the instance runs that orchestration: `INVALID_INPUT` names both when it does not).
   */
  waitForOrchestration<D extends OrchestrationDefinition>(
    instanceId: string,
    orchestration: D,
    timeoutMs?: number,
  ): Promise<TerminalStatus<OutputOf<D>>>;
  waitForOrchestration<O = unknown>(instanceId: string, timeoutMs?: number): Promise<TerminalStatus<O>>;
  async waitForOrchestration(
    instanceId: string,
    handleOrTimeout?: OrchestrationDefinition | number,
    maybeTimeoutMs?: number,
  ): Promise<TerminalStatus> {
    const handle = typeof handleOrTimeout === 'object' && handleOrTimeout !== null ? handleOrTimeout : null;
    requireName(instanceId, 'instanceId');
    const expectedName =
      handle === null ? null : requireName(handle.name, 'waitForOrchestration: orchestration handle name');
    const timeoutMs = requireNumber(
      (handle === null ? handleOrTimeout : maybeTimeoutMs) ?? DEFAULT_WAIT_TIMEOUT_MS,
      'timeoutMs',
      0,
    );
    const terminal = await this.waitUntil(
      instanceId,
      timeoutMs,
      WAIT_SLICE_MS,
      async () => {
        // A wait wakes on every commit touching the instance (activity completions too): a one-row read
        // answers "not finished yet", and the history (whole, so it grows with the instance) is read
        // once the instance is terminal. The custom status is read only then too.
        const peek = await this.peekInstance(instanceId);
        if (peek !== null && expectedName !== null && peek.name !== null && peek.name !== expectedName) {
          throw wrongOrchestration(instanceId, peek.name, expectedName);
        }
        if (peek !== null && !peek.terminal) return undefined;
        const { status, name } = await this.readStatus(instanceId, true);
        if (expectedName !== null && name !== null && name !== expectedName) {
          throw wrongOrchestration(instanceId, name, expectedName);
        }
        return isTerminalStatus(status) ? status : undefined;
      },
      () => `waitForOrchestration: instance '${instanceId}' did not finish within ${timeoutMs} ms`,
    );
    const decode = handle?.decoders?.output;
    if (decode === undefined || terminal.status !== 'Completed') return terminal;
    // A result that fails the handle's check rejects the wait (DECODE_FAILED); the stored output is untouched.
    return { ...terminal, output: decodeWith(decode, terminal.output, `output of instance '${instanceId}'`) };
  }

  /**
   * Waits until the custom status version exceeds `lastSeenVersion` or the instance finishes, then returns
   * the full status; rejects with `TimeoutError`.
   */
  async waitForStatusChange<O = unknown>(
    instanceId: string,
    lastSeenVersion: number,
    pollMs: number = DEFAULT_STATUS_POLL_MS,
    timeoutMs: number = DEFAULT_WAIT_TIMEOUT_MS,
  ): Promise<OrchestrationStatus<O>> {
    requireName(instanceId, 'instanceId');
    requireNumber(lastSeenVersion, 'lastSeenVersion', 0);
    requireNumber(pollMs, 'pollMs', 1);
    requireNumber(timeoutMs, 'timeoutMs', 0);
    return this.waitUntil(
      instanceId,
      timeoutMs,
      pollMs,
      async () => {
        const changed = await this.provider.getCustomStatus(instanceId, lastSeenVersion);
        if (changed === null && (await this.peekInstance(instanceId))?.terminal === false) return undefined;
        const status = await this.getStatus<O>(instanceId);
        return changed !== null || isTerminalStatus(status) ? status : undefined;
      },
      () =>
        `waitForStatusChange: instance '${instanceId}' custom status did not pass version ${lastSeenVersion} within ${timeoutMs} ms`,
    );
  }

  /** One KV value of the instance, or null (unknown instance or key). */
  async getValue(instanceId: string, key: string): Promise<string | null> {
    requireName(instanceId, 'instanceId');
    requireName(key, 'key');
    return this.provider.getKvValue(instanceId, key);
  }

  /** Every KV value of the instance (empty for an unknown instance). */
  async getKvAllValues(instanceId: string): Promise<Record<string, string>> {
    requireName(instanceId, 'instanceId');
    return this.provider.getKvAllValues(instanceId);
  }

  /** Waits until the key exists and returns its value; rejects with `TimeoutError`. */
  async waitForValue(
    instanceId: string,
    key: string,
    timeoutMs: number = DEFAULT_WAIT_TIMEOUT_MS,
  ): Promise<string> {
    requireName(instanceId, 'instanceId');
    requireName(key, 'key');
    requireNumber(timeoutMs, 'timeoutMs', 0);
    return this.waitUntil(
      instanceId,
      timeoutMs,
      WAIT_SLICE_MS,
      async () => {
        const value = await this.provider.getKvValue(instanceId, key);
        return value ?? undefined;
      },
      () =>
        `waitForValue: timed out waiting for value '${key}' on instance '${instanceId}' after ${timeoutMs} ms`,
    );
  }

  /**
   * The status and orchestration name (null when not found) of the instance's latest execution. With
   * `terminalOnly`, a non-terminal status comes without its custom status (callers only look at the status).
   */
  /**
   * Whether the instance's current execution has ended, from one metadata row (the management
   * capability); null when the provider has none. An unknown instance is not terminal yet.
   */
  private async peekInstance(instanceId: string): Promise<{ terminal: boolean; name: string | null } | null> {
    const admin = this.provider.asManagementCapability();
    if (admin === null) return null;
    try {
      const info = await admin.getInstanceInfo(instanceId);
      return {
        terminal: info.status === 'Completed' || info.status === 'Failed',
        name: info.orchestrationName,
      };
    } catch (err) {
      // Unknown yet (not started) or deleted: not terminal; anything else is a real read failure.
      if (translateManagementError(err, instanceId) instanceof InstanceNotFoundError) {
        return { terminal: false, name: null };
      }
      throw err;
    }
  }

  private async readStatus<O = unknown>(
    instanceId: string,
    terminalOnly = false,
  ): Promise<{ status: OrchestrationStatus<O>; name: string | null }> {
    const history = await this.provider.read(instanceId);
    if (history.length === 0) {
      return { status: { status: 'NotFound', customStatus: null, customStatusVersion: 0 }, name: null };
    }
    const first = history[0];
    const name = first?.kind === 'OrchestrationStarted' ? first.name : null;
    let custom = { customStatus: null as string | null, customStatusVersion: 0 };
    if (terminalOnly) {
      const bare = statusFromHistory<O>(history, custom);
      if (!isTerminalStatus(bare)) return { status: bare, name };
    }
    try {
      const reading = await this.provider.getCustomStatus(instanceId, 0);
      if (reading !== null)
        custom = { customStatus: reading.customStatus, customStatusVersion: reading.version };
    } catch {
      // Best effort, as in duroxide: the status itself is what callers need.
    }
    return { status: statusFromHistory<O>(history, custom), name };
  }

  private async start(
    instanceId: string,
    orchestration: string | OrchestrationDefinition,
    input: unknown,
    version: string | undefined,
  ): Promise<void> {
    requireName(instanceId, 'instanceId');
    const name = requireName(
      typeof orchestration === 'object' && orchestration !== null ? orchestration.name : orchestration,
      'orchestration name',
    );
    const payload = encodePayload(input, `orchestration '${name}' input`);
    const item: OrchestratorItem = {
      kind: 'StartOrchestration',
      instance: instanceId,
      orchestration: name,
      input: payload,
      executionId: 1,
    };
    if (version !== undefined) item.version = version;
    await this.enqueue(item);
  }

  private async enqueue(item: OrchestratorItem): Promise<void> {
    await this.provider.enqueueForOrchestrator(item, 0);
  }

  /**
   * Re-checks `probe` after every change the provider reports for the instance (or every `sliceMs`), until
   * it yields a value or the deadline passes. The wait is armed before the probe so no commit is missed.
   */
  private async waitUntil<T>(
    instanceId: string,
    timeoutMs: number,
    sliceMs: number,
    probe: () => Promise<T | undefined>,
    timeoutMessage: () => string,
  ): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const remaining = deadline - Date.now();
      const change =
        remaining > 0 ? this.provider.waitForInstanceChange(instanceId, Math.min(remaining, sliceMs)) : null;
      let result: T | undefined;
      try {
        result = await probe();
      } catch (err) {
        void change?.catch(() => undefined);
        throw err;
      }
      if (result !== undefined) {
        // Left to expire on its own: the provider resolves it at the next change or after the slice.
        void change?.catch(() => undefined);
        return result;
      }
      if (change === null) throw new TimeoutError(timeoutMessage());
      await change;
    }
  }
}

function wrongOrchestration(instanceId: string, name: string, expected: string): DurableError {
  return new DurableError(
    'INVALID_INPUT',
    `waitForOrchestration: instance '${instanceId}' runs orchestration '${name}', not '${expected}'`,
  );
}
