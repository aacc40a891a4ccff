import type { Event, EventKind } from '../history/events.js';

/** Builds events of one execution with the turn's envelope (instance, execution, clock, version). */
export class EventFactory {
  constructor(
    readonly instanceId: string,
    readonly executionId: number,
    readonly nowMs: number,
    readonly duroxideVersion: string,
  ) {}

  /** One event with its id and optional correlation. */
  make(eventId: number, kind: EventKind, sourceEventId: number | null = null): Event {
    return {
      eventId,
      sourceEventId,
      instanceId: this.instanceId,
      executionId: this.executionId,
      timestampMs: this.nowMs,
      duroxideVersion: this.duroxideVersion,
      ...kind,
    } as Event;
  }
}

/** The id the next event gets: last id + 1 (gaps in history are tolerated). */
export function nextEventIdAfter(events: readonly Event[]): number {
  const last = events[events.length - 1];
  return last === undefined ? 1 : last.eventId + 1;
}
