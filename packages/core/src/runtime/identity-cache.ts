import type { Event } from '../history/events.js';
import type { Provider } from '../provider/provider-contract.js';
import type { OrchestrationIdentity } from './activity-context.js';

const UNKNOWN: OrchestrationIdentity = { name: 'unknown', version: 'unknown' };

/**
 * Which orchestration (name, version) owns an execution, read from its `OrchestrationStarted` and kept in a
 * small bounded cache so activities of the same execution do not re-read history.
 */
export class OrchestrationIdentityCache {
  private readonly entries = new Map<string, OrchestrationIdentity>();

  constructor(
    private readonly provider: Provider,
    private readonly capacity = 1_000,
  ) {}

  /** The identity, or `unknown` when the history has no start event or cannot be read. */
  async lookup(instance: string, executionId: number): Promise<OrchestrationIdentity> {
    const key = `${executionId}\u0000${instance}`;
    const cached = this.entries.get(key);
    if (cached) return cached;
    let identity = UNKNOWN;
    try {
      const history = await this.provider.readWithExecution(instance, executionId);
      const started = history.find((e) => e.kind === 'OrchestrationStarted');
      if (started?.kind === 'OrchestrationStarted')
        identity = { name: started.name, version: started.version };
    } catch {
      return UNKNOWN;
    }
    if (identity !== UNKNOWN) this.store(key, identity);
    return identity;
  }

  /**
   * Records the identity from a history this process just committed (its activities then skip the history
   * read); the same first `OrchestrationStarted` the lookup would find.
   */
  remember(instance: string, history: readonly Event[]): void {
    const started = history.find((e) => e.kind === 'OrchestrationStarted');
    if (started?.kind !== 'OrchestrationStarted') return;
    const key = `${started.executionId}\u0000${instance}`;
    if (!this.entries.has(key)) this.store(key, { name: started.name, version: started.version });
  }

  private store(key: string, identity: OrchestrationIdentity): void {
    if (this.entries.size >= this.capacity) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(key, identity);
  }
}
