import { ConfigurationError, defineActivity, defineOrchestration, Runtime } from '@duroxide/core';
import { describe, expect, it } from 'vitest';
import { fakeEngine, fakeProvider, orchestrationItem, silentLogger, until } from './fakes.js';

const quiet = () => ({ observability: { logger: silentLogger().logger } });
const noop = async () => null;

describe('Runtime registries', () => {
  it('rejects a duplicate orchestration name@version but accepts new versions', () => {
    const rt = new Runtime(fakeProvider().provider, quiet());
    rt.registerOrchestration('Flow', noop);
    expect(() => rt.registerOrchestration('Flow', noop)).toThrow(
      "orchestration 'Flow@1.0.0' is already registered",
    );
    expect(() => rt.registerOrchestrationVersioned('Flow', '1.0.0', noop)).toThrow(ConfigurationError);
    rt.registerOrchestrationVersioned('Flow', '2.0.0', noop);
  });

  it('rejects duplicate activities, empty and reserved names, bad versions and non-functions', () => {
    const rt = new Runtime(fakeProvider().provider, quiet());
    rt.registerActivity('Greet', noop);
    expect(() => rt.registerActivity('Greet', noop)).toThrow("activity 'Greet' is already registered");
    expect(() => rt.registerActivity('', noop)).toThrow(/activity name: must be a non-empty string/);
    expect(() => rt.registerActivity('__duroxide_syscall:utc_now_ms', noop)).toThrow(
      /prefix '__duroxide_syscall:' is reserved/,
    );
    expect(() => rt.registerOrchestration('__duroxide_syscall:x', noop)).toThrow(/is reserved/);
    expect(() => rt.registerOrchestrationVersioned('Flow', 'v2', noop)).toThrow(
      /'v2' is not a semantic version/,
    );
    expect(() => rt.registerOrchestration('Flow', 'nope' as never)).toThrow(/handler must be a function/);
  });

  it('registers typed handles, with their own version', () => {
    const rt = new Runtime(fakeProvider().provider, quiet());
    rt.register(
      defineActivity('A', async (_ctx, n: number) => n + 1),
      defineOrchestration('O', noop, { version: '3.1.0' }),
    );
    expect(() => rt.registerOrchestrationVersioned('O', '3.1.0', noop)).toThrow(
      /'O@3.1.0' is already registered/,
    );
    expect(() => rt.registerActivity('A', noop)).toThrow(/'A' is already registered/);
    expect(() => rt.register({ type: 'other' } as never)).toThrow(/expected definitions/);
  });

  it('refuses registrations after start, a second start, and a start after shutdown', async () => {
    const { provider } = fakeProvider();
    const rt = new Runtime(
      provider,
      { ...quiet(), orchestrationConcurrency: 0, workerConcurrency: 0 },
      fakeEngine().engine,
    );
    await rt.start();
    expect(() => rt.registerActivity('Late', noop)).toThrow(
      'registerActivity: registrations must happen before start()',
    );
    expect(() => rt.registerOrchestration('Late', noop)).toThrow(/registrations must happen before start/);
    await expect(rt.start()).rejects.toThrow('start(): the runtime was already started');
    await rt.shutdown();
    await expect(rt.start()).rejects.toThrow(/was shut down/);
  });

  it('rejects something that is not a provider', () => {
    expect(() => new Runtime({} as never)).toThrow(/provider: expected a Provider/);
  });
});

describe('typed handle decoders', () => {
  it('rejects a decoder that is not a function, naming the handle and the payload', () => {
    expect(() => defineActivity('A', noop, { output: 'number' as never })).toThrow(
      "activity 'A': the output decoder must be a function, got string",
    );
    expect(() => defineOrchestration('O', noop, { input: 1 as never })).toThrow(ConfigurationError);
  });

  it('keeps handles without decoders unchanged and records declared ones', () => {
    expect(defineActivity('A', noop)).not.toHaveProperty('decoders');
    const parse = (v: unknown) => Number(v);
    expect(defineOrchestration('O', noop, { version: '2.0.0', output: parse })).toMatchObject({
      version: '2.0.0',
      decoders: { output: parse },
    });
  });
});

describe('version policy', () => {
  it('runs the latest registered version (by semver, not registration order) for new starts', async () => {
    const fake = fakeProvider();
    const { engine, executions } = fakeEngine();
    const rt = new Runtime(
      fake.provider,
      { ...quiet(), workerConcurrency: 0, orchestrationConcurrency: 1 },
      engine,
    );
    rt.registerOrchestration('Flow', noop);
    rt.registerOrchestrationVersioned('Flow', '2.0.0', noop);
    rt.registerOrchestrationVersioned('Flow', '1.5.0', noop);
    await rt.start();
    fake.pushOrchestration({ item: orchestrationItem('i1'), lockToken: 't1', attemptCount: 1 });
    await until(() => fake.provider.ackOrchestrationItem.mock.calls.length === 1);
    expect(executions[0]?.version).toBe('2.0.0');
    await rt.shutdown();
  });

  it('replays the exact version the engine asks for', async () => {
    const fake = fakeProvider();
    const { engine, executions } = fakeEngine((item) => ({
      type: 'run',
      instance: item.instance,
      executionId: 1,
      orchestrationName: 'Flow',
      requestedVersion: '1.5.0',
      isNewExecution: false,
      state: null,
    }));
    const rt = new Runtime(
      fake.provider,
      { ...quiet(), workerConcurrency: 0, orchestrationConcurrency: 1 },
      engine,
    );
    const v15 = async () => 'v1.5';
    rt.registerOrchestrationVersioned('Flow', '1.5.0', v15);
    rt.registerOrchestrationVersioned('Flow', '2.0.0', noop);
    await rt.start();
    fake.pushOrchestration({ item: orchestrationItem('i1'), lockToken: 't1', attemptCount: 1 });
    await until(() => executions.length === 1);
    expect(executions[0]?.version).toBe('1.5.0');
    expect(executions[0]?.handler).toBe(v15);
    await rt.shutdown();
  });

  it('an exact policy picks its version for new starts, and rejects what is not a policy', async () => {
    const fake = fakeProvider();
    const { engine, executions } = fakeEngine();
    const rt = new Runtime(
      fake.provider,
      { ...quiet(), workerConcurrency: 0, orchestrationConcurrency: 1 },
      engine,
    );
    rt.registerOrchestrationVersioned('Flow', '1.0.0', noop);
    rt.registerOrchestrationVersioned('Flow', '2.0.0', noop);
    rt.setVersionPolicy('Flow', { exact: '1.0.0' });
    expect(() => rt.setVersionPolicy('Flow', { exact: 'v1' })).toThrow(
      /version policy for 'Flow': expected 'latest' or \{ exact: 'major.minor.patch' \}/,
    );
    expect(() => rt.setVersionPolicy('Flow', 'newest' as never)).toThrow(ConfigurationError);
    await rt.start();
    fake.pushOrchestration({ item: orchestrationItem('i1'), lockToken: 't1', attemptCount: 1 });
    await until(() => executions.length === 1);
    expect(executions[0]?.version).toBe('1.0.0');
    rt.setVersionPolicy('Flow', 'latest');
    fake.pushOrchestration({ item: orchestrationItem('i2'), lockToken: 't2', attemptCount: 1 });
    await until(() => executions.length === 2);
    expect(executions[1]?.version).toBe('2.0.0');
    await rt.shutdown();
  });
});
