import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Event } from '@duroxide/core';
import { describe, expect, it } from 'vitest';
import { GOLDEN } from './golden-orchestrations.js';
import { replayProblems } from './replay-check.js';
import { Sim } from './sim.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures');

interface GoldenFixture {
  scenario: string;
  instances: Record<string, { orchestration: string; executions: Event[][] }>;
}

async function record(name: string): Promise<GoldenFixture> {
  const s = GOLDEN[name]!;
  const sim = new Sim(s.orchestrations, s.activities);
  sim.start(...s.start);
  await sim.runToIdle();
  for (const m of s.afterIdle ?? []) {
    if (m.kind === 'raise') sim.raise(s.start[0], m.name, m.data);
    else
      sim.enqueue({ kind: 'QueueMessage', instance: s.start[0], name: m.name, data: JSON.stringify(m.data) });
  }
  await sim.runToIdle();
  const instances: GoldenFixture['instances'] = {};
  for (const [id, st] of sim.instances) {
    const first = st.executions[0]?.[0];
    instances[id] = {
      orchestration: first?.kind === 'OrchestrationStarted' ? first.name : '',
      executions: st.executions,
    };
  }
  return { scenario: name, instances };
}

// Regenerate with UPDATE_GOLDEN=1 only when a scenario is added on purpose; existing files must keep replaying.
if (process.env.UPDATE_GOLDEN === '1') {
  for (const name of Object.keys(GOLDEN)) {
    writeFileSync(join(FIXTURES, `golden-${name}.json`), `${JSON.stringify(await record(name), null, 1)}\n`);
  }
}

describe('golden histories keep replaying', () => {
  const files = readdirSync(FIXTURES).filter((f) => f.startsWith('golden-') && f.endsWith('.json'));

  it('has a fixture for every golden scenario', () => {
    expect(files.sort()).toEqual(
      Object.keys(GOLDEN)
        .map((n) => `golden-${n}.json`)
        .sort(),
    );
  });

  for (const file of files) {
    it(`${file}: every execution replays with no new actions, the same result and no nondeterminism`, async () => {
      const fixture = JSON.parse(readFileSync(join(FIXTURES, file), 'utf8')) as GoldenFixture;
      const scenario = GOLDEN[fixture.scenario]!;
      let checked = 0;
      for (const [instance, rec] of Object.entries(fixture.instances)) {
        const handler = scenario.orchestrations[rec.orchestration]!;
        for (const [i, events] of rec.executions.entries()) {
          expect(
            await replayProblems(instance, i + 1, events, handler),
            `${instance} execution ${i + 1}`,
          ).toEqual([]);
          checked++;
        }
      }
      expect(checked).toBeGreaterThan(0);
    });

    it(`${file}: re-recording today produces the identical history`, async () => {
      const fixture = JSON.parse(readFileSync(join(FIXTURES, file), 'utf8')) as GoldenFixture;
      expect(await record(fixture.scenario)).toEqual(fixture);
    });
  }
});
