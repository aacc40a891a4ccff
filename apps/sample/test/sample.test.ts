import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runSample } from '../src/cli.js';
import type { OrderResult } from '../src/workflow.js';

const dir = mkdtempSync(join(tmpdir(), 'duroxide-sample-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let dbs = 0;
const freshDb = () => join(dir, `sample-${++dbs}.db`);

/** Runs the CLI in-process and captures what it prints. */
async function run(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runSample(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  const results = out
    .filter((l) => l.includes('] result: '))
    .map((l) => JSON.parse(l.slice(l.indexOf('] result: ') + 10)) as OrderResult);
  return { code, out, err, results };
}

describe('order-fulfilment sample', () => {
  it('happy path: every order is sourced, reserved after a retry, approved, charged and shipped', async () => {
    const { code, out, err, results } = await run(['--db', freshDb(), '--orders', '2', '--approve']);
    expect(err).toEqual([]);
    expect(code).toBe(0);
    expect(results).toHaveLength(2);
    for (const r of results) {
      expect(r).toMatchObject({ outcome: 'fulfilled', warehouse: 'central', approvedBy: 'cli' });
    }
    for (const stage of ['sourcing', 'awaiting-approval', 'approval sent', 'fulfilled']) {
      expect(
        out.some((l) => l.includes(stage)),
        `a progress line with ${stage}`,
      ).toBe(true);
    }
    expect(out.at(-1)).toBe(
      'done: 2 fulfilled, 0 rejected, 0 failed and compensated, 0 orchestration failures',
    );
  });

  it('compensation path: a declined card is retried, then the reservation is released', async () => {
    const { code, out, results } = await run(['--db', freshDb(), '--fail-payment']);
    expect(code).toBe(0);
    expect(results).toHaveLength(1);
    const [r] = results;
    expect(r).toMatchObject({ outcome: 'failed', reason: 'payment failed: card declined by issuer' });
    expect(r?.outcome === 'failed' && r.compensations).toEqual([expect.stringMatching(/^released rsv-/)]);
    expect(out.some((l) => l.includes('compensating'))).toBe(true);
  });

  it('a refused shipment refunds the payment, then releases the reservation', async () => {
    const { code, results } = await run(['--db', freshDb(), '--fail-shipping']);
    expect(code).toBe(0);
    const [r] = results;
    expect(r).toMatchObject({ outcome: 'failed', reason: 'shipment failed: carrier rejected the shipment' });
    expect(r?.outcome === 'failed' && r.compensations).toEqual([
      expect.stringMatching(/^refunded pay-/),
      expect.stringMatching(/^released rsv-/),
    ]);
  });

  it('no approval: the timeout rejects (or approves with --approve-on-timeout)', async () => {
    const rejected = await run(['--db', freshDb(), '--no-approval', '--approval-timeout', '50']);
    expect(rejected.results[0]).toMatchObject({ outcome: 'rejected', reason: 'not approved (timeout)' });
    const approved = await run([
      '--db',
      freshDb(),
      '--no-approval',
      '--approval-timeout',
      '50',
      '--approve-on-timeout',
    ]);
    expect(approved.results[0]).toMatchObject({ outcome: 'fulfilled', approvedBy: 'timeout' });
  });

  it('--reject rejects and releases the reservation', async () => {
    const { results } = await run(['--db', freshDb(), '--reject']);
    expect(results[0]).toMatchObject({ outcome: 'rejected', reason: 'not approved (cli)' });
  });

  it('postgres:// and redis:// stores are refused with exit code 2; bad options name the problem', async () => {
    const pg = await run(['--db', 'postgres://localhost/db']);
    expect(pg.code).toBe(2);
    expect(pg.err.join('\n')).toContain('postgres provider is not available yet');
    const redis = await run(['--db', 'redis://localhost']);
    expect(redis.code).toBe(2);
    expect(redis.err.join('\n')).toContain('redis provider is not available yet');
    const bad = await run(['--orders', 'zero']);
    expect(bad.code).toBe(2);
    expect(bad.err.join('\n')).toContain('--orders expects a positive integer');
  });

  it('the built CLI runs end to end (node dist/main.js)', () => {
    const main = join(dirname(fileURLToPath(import.meta.url)), '../dist/main.js');
    if (!existsSync(main)) throw new Error(`${main} is missing: run \`pnpm build\` first`);
    const child = spawnSync(process.execPath, [main, '--db', freshDb()], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(child.stderr).toBe('');
    expect(child.status).toBe(0);
    expect(child.stdout).toMatch(/result: \{"orderId":"order-[^"]+","outcome":"fulfilled"/);
  });
});
