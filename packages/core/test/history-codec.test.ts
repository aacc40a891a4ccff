import { describe, expect, it } from 'vitest';
import {
  DurableError,
  decodeEvent,
  decodeWorkItem,
  displayMessage,
  type ErrorDetails,
  type Event,
  encodeEvent,
  encodeWorkItem,
  semverRangeContains,
  tagFilterMatches,
  validateTagFilter,
  type WorkItem,
} from '../src/index.js';

const envelope = {
  sourceEventId: null,
  instanceId: 'i1',
  executionId: 1,
  timestampMs: 1,
  duroxideVersion: '0.1.0',
};

describe('event codec', () => {
  it('round-trips every kind with optional fields omitted', () => {
    const events: Event[] = [
      { ...envelope, eventId: 1, kind: 'OrchestrationStarted', name: 'O', version: '1.0.0', input: '"x"' },
      { ...envelope, eventId: 2, kind: 'ActivityScheduled', name: 'A', input: '1', tag: 'gpu' },
      { ...envelope, eventId: 3, sourceEventId: 2, kind: 'ActivityCompleted', result: '2' },
      { ...envelope, eventId: 4, kind: 'CustomStatusUpdated', status: null },
      { ...envelope, eventId: 5, kind: 'KeyValuesCleared' },
    ];
    for (const e of events) expect(decodeEvent(encodeEvent(e))).toEqual(e);
  });

  it('names the record and the problem for malformed rows', () => {
    expect(() => decodeEvent('{not json', 'history i1/1/3')).toThrowError(
      /corrupt history i1\/1\/3: invalid JSON/,
    );
    expect(() => decodeEvent('{"kind":"Nope"}')).toThrowError(/unknown event kind "Nope"/);
    const missing = JSON.stringify({ ...envelope, eventId: 2, kind: 'ActivityScheduled', name: 'A' });
    expect(() => decodeEvent(missing)).toThrowError(/missing field 'input'/);
    const wrongType = JSON.stringify({ ...envelope, eventId: '2', kind: 'TimerCreated', fireAtMs: 5 });
    try {
      decodeEvent(wrongType);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(DurableError);
      expect((err as DurableError).code).toBe('CORRUPT_RECORD');
      expect((err as Error).message).toMatch(/field 'eventId' should be a number/);
    }
  });
});

describe('work item codec', () => {
  it('round-trips and rejects unknown kinds', () => {
    const item: WorkItem = { kind: 'ExternalRaised', instance: 'i', name: 'go', data: '{}' };
    expect(decodeWorkItem(encodeWorkItem(item))).toEqual(item);
    expect(() => decodeWorkItem('{"kind":"Bogus"}', 'orchestrator queue row 7')).toThrowError(
      /corrupt orchestrator queue row 7: unknown work item kind "Bogus"/,
    );
  });
});

describe('error details', () => {
  it('keeps duroxide display prefixes', () => {
    const cancelled: ErrorDetails = {
      category: 'application',
      kind: { type: 'Cancelled', reason: 'user' },
      message: '',
      retryable: false,
    };
    expect(displayMessage(cancelled)).toBe('canceled: user');
    expect(
      displayMessage({ category: 'configuration', kind: 'Nondeterminism', resource: '', message: 'x' }),
    ).toBe('nondeterministic: x');
    expect(
      displayMessage({
        category: 'poison',
        attemptCount: 11,
        maxAttempts: 10,
        messageType: { type: 'Activity', instance: 'i', executionId: 1, activityName: 'A', activityId: 2 },
        message: '{}',
      }),
    ).toBe('poison: activity A#2 exceeded 11 attempts (max 10)');
  });
});

describe('tag filters and semver', () => {
  it('matches tags like duroxide', () => {
    expect(tagFilterMatches('defaultOnly', null)).toBe(true);
    expect(tagFilterMatches('defaultOnly', 'gpu')).toBe(false);
    expect(tagFilterMatches({ tags: ['gpu'] }, 'gpu')).toBe(true);
    expect(tagFilterMatches({ tags: ['gpu'] }, null)).toBe(false);
    expect(tagFilterMatches({ defaultAnd: ['gpu'] }, null)).toBe(true);
    expect(tagFilterMatches('none', null)).toBe(false);
    expect(() => validateTagFilter({ tags: ['a', 'b', 'c', 'd', 'e', 'f'] })).toThrowError(/at most 5 tags/);
    expect(() => validateTagFilter({ tags: [] })).toThrowError(/must not be empty/);
    expect(() => validateTagFilter({ tags: ['x'.repeat(257)] })).toThrowError(/257 bytes/);
  });

  it('checks inclusive ranges', () => {
    expect(semverRangeContains({ min: '1.0.0', max: '1.9.99' }, '1.9.99')).toBe(true);
    expect(semverRangeContains({ min: '1.0.0', max: '1.9.99' }, '2.0.0')).toBe(false);
  });
});
