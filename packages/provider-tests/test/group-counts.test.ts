import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ALL_GROUPS } from '../src/conformance/groups/index.js';

/** duroxide 0.1.26's validation suite: tests per group (reference provider-contract §3.2). */
const REFERENCE_COUNTS: Record<string, number> = {
  atomicity: 4,
  bulk_deletion: 4,
  cancellation: 16,
  capability_filtering: 20,
  custom_status: 7,
  deletion: 13,
  error_handling: 5,
  instance_creation: 4,
  instance_locking: 11,
  kv_store: 35,
  lock_expiration: 13,
  long_polling: 5,
  management: 7,
  multi_execution: 5,
  poison_message: 9,
  prune: 4,
  queue_semantics: 8,
  sessions: 33,
  tag_filtering: 10,
};
const REFERENCE_TOTAL = 213;

const groupsDir = fileURLToPath(new URL('../src/conformance/groups/', import.meta.url));

/** The test names a group file registers: every `it('name'` call, in source order. */
function registeredTests(group: string): string[] {
  const source = readFileSync(`${groupsDir}${group.replaceAll('_', '-')}.ts`, 'utf8');
  return [...source.matchAll(/\bit\(\s*(['"`])([^'"`]+)\1/g)].map((m) => m[2]!);
}

const rows = Object.keys(REFERENCE_COUNTS).map((group) => {
  const names = registeredTests(group);
  return { group, expected: REFERENCE_COUNTS[group]!, actual: names.length, names };
});

describe('conformance kit test counts match duroxide', () => {
  it('prints the per-group table', () => {
    const table = rows.map((r) => ({
      group: r.group,
      reference: r.expected,
      kit: r.actual,
      status: r.actual === r.expected ? 'ok' : 'MISMATCH',
    }));
    console.table(table);
    console.log(`total: kit ${rows.reduce((n, r) => n + r.actual, 0)} / reference ${REFERENCE_TOTAL}`);
    expect(
      rows.reduce((n, r) => n + r.expected, 0),
      'reference table sums to 213',
    ).toBe(REFERENCE_TOTAL);
  });

  it('registers exactly the reference groups, in order', () => {
    expect(ALL_GROUPS.map(([name]) => name)).toEqual(Object.keys(REFERENCE_COUNTS));
  });

  for (const row of rows) {
    it(`${row.group} registers ${row.expected} tests`, () => {
      expect(row.actual, `${row.group}: ${row.names.join(', ')}`).toBe(row.expected);
      expect(new Set(row.names).size, `${row.group} has duplicate test names`).toBe(row.names.length);
    });
  }

  it(`the kit registers ${REFERENCE_TOTAL} tests in total`, () => {
    expect(rows.reduce((n, r) => n + r.actual, 0)).toBe(REFERENCE_TOTAL);
  });
});
