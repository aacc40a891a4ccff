import type { Redis } from 'ioredis';

interface Corkable {
  cork(): void;
  uncork(): void;
}

/**
 * Sends the commands a connection issues in one event-loop turn in one write: the first command of a turn
 * corks the socket and a `setImmediate` uncorks it. Each command keeps its own reply and error (this is
 * not MULTI and not an ioredis pipeline), but both sides pay one syscall per batch instead of per command.
 */
export class WriteBatcher {
  private held: Corkable | null = null;
  private flushes = 0;

  constructor(private readonly redis: Redis) {}

  /** Holds this turn's writes on the current socket until the turn ends (no-op while not connected). */
  hold(): void {
    if (this.held !== null || this.redis.status !== 'ready') return;
    const stream = (this.redis as unknown as { stream?: Partial<Corkable> }).stream;
    if (typeof stream?.cork !== 'function' || typeof stream.uncork !== 'function') return;
    stream.cork();
    this.held = stream as Corkable;
    setImmediate(() => this.release());
  }

  /** How many batches were sent (lets tests prove commands of one turn share a write). */
  get batches(): number {
    return this.flushes;
  }

  private release(): void {
    const held = this.held;
    this.held = null;
    if (held === null) return;
    this.flushes += 1;
    held.uncork();
  }
}
