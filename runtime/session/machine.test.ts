import { describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import { ManualClock } from '../clock';
import type { Plan } from '../compile';
import { sessionMachine, stateName, type SessionServices } from './machine';

const plan = {
  nodes: [],
  streamEdges: [],
  controlEdges: [],
  workers: [],
  inputTracks: [],
  outputTracks: [],
  sinks: [],
  warnings: [],
} as Plan;

/** Services whose outcomes the test controls, recording what the machine asked for. */
function fakeServices() {
  const log: string[] = [];
  let compileError: string | null = null;
  let engine: { ready(): void; failed(m: string): void } | null = null;
  let finishReconfigure: (() => void) | null = null;
  const services: SessionServices = {
    compile: async () => {
      log.push('compile');
      if (compileError) throw new Error(compileError);
      return plan;
    },
    startEngine: (_p, events) => {
      log.push('engine.start');
      engine = events;
      return () => log.push('engine.cleanup');
    },
    reconfigure: () => {
      log.push('reconfigure');
      return new Promise<void>((resolve) => (finishReconfigure = resolve));
    },
    stopEngine: async () => {
      log.push('engine.stopped');
    },
  };
  return {
    services,
    log,
    failCompile: (m: string | null) => (compileError = m),
    engine: () => engine!,
    finishReconfigure: () => finishReconfigure!(),
  };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

function start(loadTimeoutMs = 5000) {
  const fake = fakeServices();
  const clock = new ManualClock();
  const cancels = new Map<number, () => void>();
  let id = 0;
  const actor = createActor(sessionMachine, {
    input: { services: fake.services, loadTimeoutMs },
    clock: {
      setTimeout: (fn: () => void, ms: number) => {
        cancels.set(++id, clock.setTimeout(fn, ms));
        return id;
      },
      clearTimeout: (i: number) => cancels.get(i)?.(),
    },
  });
  const states: string[] = [];
  actor.subscribe((s) => {
    const name = stateName(s);
    if (states[states.length - 1] !== name) states.push(name);
  });
  actor.start();
  return { actor, fake, clock, states };
}

describe('session machine', () => {
  it('runs idle → compiling → loading → running ⇄ reconfiguring → stopping → idle', async () => {
    const { actor, fake, states } = start();
    actor.send({ type: 'SESSION.START' });
    await tick();
    expect(stateName(actor.getSnapshot())).toBe('loading');
    fake.engine().ready();
    expect(stateName(actor.getSnapshot())).toBe('running');
    actor.send({ type: 'PATCH.CHANGE' });
    expect(stateName(actor.getSnapshot())).toBe('reconfiguring');
    actor.send({ type: 'PATCH.LOAD' }); // joins the running reconfigure
    fake.finishReconfigure();
    await tick();
    expect(stateName(actor.getSnapshot())).toBe('running');
    actor.send({ type: 'SESSION.STOP' });
    await tick();
    expect(states).toEqual([
      'idle',
      'compiling',
      'loading',
      'running',
      'reconfiguring',
      'running',
      'stopping',
      'idle',
    ]);
    expect(fake.log).toEqual(['compile', 'engine.start', 'reconfigure', 'engine.cleanup', 'engine.stopped']);
  });

  it('stops waiting for models after the load timeout, on the injected clock', async () => {
    const { actor, clock } = start(10_000);
    actor.send({ type: 'SESSION.START' });
    await tick();
    clock.advance(9_999);
    expect(stateName(actor.getSnapshot())).toBe('loading');
    clock.advance(1);
    expect(stateName(actor.getSnapshot())).toBe('running');
  });

  it('says why it failed to compile, and a new PATCH.LOAD leaves the error', async () => {
    const { actor, fake } = start();
    fake.failCompile('the patch does not compile: cycle');
    actor.send({ type: 'SESSION.START' });
    await tick();
    expect(actor.getSnapshot().context.error).toBe('the patch does not compile: cycle');
    expect(stateName(actor.getSnapshot())).toBe('error');
    fake.failCompile(null);
    actor.send({ type: 'PATCH.LOAD' });
    await tick();
    expect(stateName(actor.getSnapshot())).toBe('loading');
    expect(actor.getSnapshot().context.error).toBeNull();
  });

  it('cleans the engine up when it fails, then reports the error', async () => {
    const { actor, fake } = start();
    actor.send({ type: 'SESSION.START' });
    await tick();
    fake.engine().failed('worker pool exhausted');
    await tick();
    expect(stateName(actor.getSnapshot())).toBe('error');
    expect(actor.getSnapshot().context.error).toBe('worker pool exhausted');
    expect(fake.log).toEqual(['compile', 'engine.start', 'engine.cleanup', 'engine.stopped']);
    actor.send({ type: 'SESSION.STOP' });
    expect(stateName(actor.getSnapshot())).toBe('idle');
  });
});
