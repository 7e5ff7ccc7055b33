import { describe, it, expect } from 'vitest';
import {
  RuntimeStartError,
  RuntimeSupervisor,
  type ChildHandle,
  type SupervisorClock,
  type SupervisorDeps,
  type SupervisorState,
} from './runtime-supervisor';

/** A clock whose time moves only when the test says so; timers fire in due order. */
class SimClock implements SupervisorClock {
  private t = 0;
  private seq = 0;
  private timers = new Map<number, { at: number; fn: () => void }>();
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.timers.set(id, { at: this.t + ms, fn });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }
  /** Advances time by `ms`, firing due timers one by one and letting promises settle between. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    await settle();
    while (true) {
      let next: [number, { at: number; fn: () => void }] | undefined;
      for (const entry of this.timers)
        if (entry[1].at <= end && (!next || entry[1].at < next[1].at)) next = entry;
      if (!next) break;
      this.timers.delete(next[0]);
      this.t = Math.max(this.t, next[1].at);
      next[1].fn();
      await settle();
    }
    this.t = end;
  }
}

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** A fake child: the test decides when it is healthy, when it dies, whether it obeys SIGTERM. */
class FakeChild implements ChildHandle {
  static nextPid = 1000;
  readonly pid = FakeChild.nextPid++;
  healthy = false;
  obeysSigterm = true;
  exited = false;
  signals: string[] = [];
  private exitListeners: Array<(code: number | null, signal: string | null) => void> = [];
  private outputListeners: Array<(line: string, stream: 'stdout' | 'stderr') => void> = [];
  constructor(readonly port: number) {}
  onOutput(listener: (line: string, stream: 'stdout' | 'stderr') => void): void {
    this.outputListeners.push(listener);
  }
  onExit(listener: (code: number | null, signal: string | null) => void): void {
    this.exitListeners.push(listener);
  }
  print(line: string): void {
    for (const l of this.outputListeners) l(line, 'stderr');
  }
  kill(signal: 'SIGTERM' | 'SIGKILL'): void {
    this.signals.push(signal);
    if (signal === 'SIGKILL' || this.obeysSigterm) this.exit(null, signal);
  }
  exit(code: number | null, signal: string | null = null): void {
    if (this.exited) return;
    this.exited = true;
    this.healthy = false;
    for (const l of this.exitListeners) l(code, signal);
  }
}

interface Harness {
  clock: SimClock;
  children: FakeChild[];
  deps: SupervisorDeps;
  states: SupervisorState[];
  /** Applied to each child as it is launched. */
  onLaunch: (child: FakeChild) => void;
  ports: number[];
}

function harness(): Harness {
  const clock = new SimClock();
  let nextPort = 41000;
  const h: Harness = {
    clock,
    children: [],
    states: [],
    ports: [],
    onLaunch: (child) => (child.healthy = true),
    deps: {
      launch: (port) => {
        const child = new FakeChild(port);
        h.children.push(child);
        h.ports.push(port);
        h.onLaunch(child);
        return child;
      },
      findFreePort: async () => nextPort++,
      probeHealth: async (url) => {
        const child = h.children.at(-1);
        return !!child && !child.exited && child.healthy && url === `http://127.0.0.1:${child.port}`;
      },
      clock,
      random: () => 0.5, // no jitter: delays are the schedule's exact values
    },
  };
  return h;
}

function supervise(h: Harness, options = {}): RuntimeSupervisor {
  const sup = new RuntimeSupervisor(h.deps, { livenessIntervalMs: 5_000, ...options });
  sup.onChange((s) => h.states.push(s.state));
  return sup;
}

describe('RuntimeSupervisor', () => {
  it('starts the runtime on a free port and resolves with its URL once /health answers', async () => {
    const h = harness();
    h.onLaunch = () => {}; // not healthy at first
    const sup = supervise(h, { healthIntervalMs: 100 });
    let url: string | null = null;
    void sup.start().then((u) => (url = u));
    await h.clock.advance(350);
    expect(url).toBeNull();
    expect(sup.snapshot().state).toBe('starting');
    h.children[0]!.healthy = true;
    await h.clock.advance(100);
    expect(url).toBe('http://127.0.0.1:41000');
    expect(sup.snapshot()).toMatchObject({ state: 'running', pid: h.children[0]!.pid, restarts: 0 });
    expect(h.children).toHaveLength(1);
  });

  it('restarts a crashed runtime with the backoff schedule, on the same port', async () => {
    const h = harness();
    const sup = supervise(h, { backoffMs: [300, 1_000, 2_000], stableResetMs: 60_000 });
    const ready: string[] = [];
    sup.onReady((u) => ready.push(u));
    await sup.start().then(
      () => undefined,
      () => undefined,
    );
    await h.clock.advance(0);
    const delays: number[] = [];
    for (let crash = 0; crash < 4; crash++) {
      h.children.at(-1)!.exit(1);
      await h.clock.advance(0);
      const snap = sup.snapshot();
      expect(snap.state).toBe('backoff');
      expect(snap.lastError).toBe('the runtime exited with code 1');
      delays.push(snap.nextAttemptAt! - h.clock.now());
      await h.clock.advance(snap.nextAttemptAt! - h.clock.now());
      expect(sup.snapshot().state).toBe('running');
    }
    expect(delays).toEqual([300, 1_000, 2_000, 2_000]); // the last step repeats
    expect(h.children).toHaveLength(5);
    expect(new Set(h.ports)).toEqual(new Set([41000])); // the editor's URL stays valid
    expect(ready).toHaveLength(5);
    expect(sup.snapshot().restarts).toBe(4);
    await sup.stop();
  });

  it('resets the backoff after a stable minute', async () => {
    const h = harness();
    const sup = supervise(h, { backoffMs: [300, 1_000, 2_000] });
    void sup.start();
    await h.clock.advance(0);
    h.children.at(-1)!.exit(1);
    await h.clock.advance(300);
    h.children.at(-1)!.exit(1);
    await h.clock.advance(0);
    expect(sup.snapshot().nextAttemptAt! - h.clock.now()).toBe(1_000);
    await h.clock.advance(1_000);
    await h.clock.advance(60_000); // a stable minute
    h.children.at(-1)!.exit(1);
    await h.clock.advance(0);
    expect(sup.snapshot().nextAttemptAt! - h.clock.now()).toBe(300);
    await sup.stop();
  });

  it('jitters each delay within ±jitter of the schedule', async () => {
    for (const [random, expected] of [
      [0, 240],
      [0.999999, 360],
    ] as const) {
      const h = harness();
      h.deps.random = () => random;
      const sup = supervise(h, { backoffMs: [300], jitter: 0.2 });
      void sup.start();
      await h.clock.advance(0);
      h.children[0]!.exit(1);
      await h.clock.advance(0);
      expect(sup.snapshot().nextAttemptAt! - h.clock.now()).toBe(expected);
      await sup.stop();
    }
  });

  it('gives up after repeated failed starts and rejects with the log; retry starts afresh', async () => {
    const h = harness();
    h.onLaunch = (child) => {
      queueMicrotask(() => {
        child.print(`boom from ${child.pid}`);
        child.exit(2);
      });
    };
    const sup = supervise(h, { maxStartFailures: 3, backoffMs: [300, 1_000] });
    const outcome = sup.start().then(
      () => 'resolved',
      (error: unknown) => error,
    );
    await h.clock.advance(5_000);
    const error = await outcome;
    expect(error).toBeInstanceOf(RuntimeStartError);
    expect((error as RuntimeStartError).message).toMatch(
      /exited with code 2 before it became healthy \(3 attempts/,
    );
    expect((error as RuntimeStartError).log.some((l) => l.startsWith('boom from'))).toBe(true);
    expect(sup.snapshot().state).toBe('failed');
    expect(h.children).toHaveLength(3);
    // A child that died before answering may have lost its port: each attempt asked for a new one.
    expect(h.ports).toEqual([41000, 41001, 41002]);

    h.onLaunch = (child) => (child.healthy = true);
    const url = sup.start();
    await h.clock.advance(0);
    await expect(url).resolves.toBe('http://127.0.0.1:41003');
    await sup.stop();
  });

  it('counts a start that never answers /health within the timeout as failed and kills that child', async () => {
    const h = harness();
    h.onLaunch = () => {};
    const sup = supervise(h, { healthTimeoutMs: 2_000, healthIntervalMs: 250, maxStartFailures: 1 });
    const outcome = sup.start().catch((e: Error) => e.message);
    await h.clock.advance(3_000);
    expect(await outcome).toMatch(/did not answer \/health within 2 s/);
    expect(h.children[0]!.signals).toEqual(['SIGTERM']);
  });

  it('restarts a runtime that hangs (stops answering /health) while running', async () => {
    const h = harness();
    const sup = supervise(h, { livenessIntervalMs: 1_000, livenessFailures: 3, backoffMs: [300] });
    void sup.start();
    await h.clock.advance(0);
    h.children[0]!.healthy = false; // alive, but hung
    await h.clock.advance(2_000);
    expect(sup.snapshot().state).toBe('running'); // two misses are tolerated
    await h.clock.advance(1_000);
    expect(h.children[0]!.signals).toEqual(['SIGTERM']);
    expect(sup.snapshot()).toMatchObject({
      state: 'backoff',
      lastError: 'the runtime stopped answering /health',
    });
    await h.clock.advance(300);
    expect(sup.snapshot().state).toBe('running');
    expect(h.children).toHaveLength(2);
    await sup.stop();
  });

  it('stops cleanly with SIGTERM and does not restart afterwards', async () => {
    const h = harness();
    const sup = supervise(h);
    void sup.start();
    await h.clock.advance(0);
    const result = await sup.stop();
    expect(result).toEqual({ graceful: true });
    expect(h.children[0]!.signals).toEqual(['SIGTERM']);
    expect(sup.snapshot().state).toBe('stopped');
    await h.clock.advance(120_000);
    expect(h.children).toHaveLength(1);
    await expect(sup.start()).rejects.toThrow(/was stopped/);
  });

  it('escalates to SIGKILL when the runtime ignores SIGTERM', async () => {
    const h = harness();
    h.onLaunch = (child) => {
      child.healthy = true;
      child.obeysSigterm = false;
    };
    const sup = supervise(h, { stopTimeoutMs: 4_000 });
    void sup.start();
    await h.clock.advance(0);
    const stopped = sup.stop();
    await h.clock.advance(3_999);
    expect(h.children[0]!.signals).toEqual(['SIGTERM']);
    await h.clock.advance(1);
    expect(await stopped).toEqual({ graceful: false });
    expect(h.children[0]!.signals).toEqual(['SIGTERM', 'SIGKILL']);
    expect(sup.logTail().some((l) => l.includes('ignored SIGTERM'))).toBe(true);
  });

  it('stopping during a backoff cancels the pending restart', async () => {
    const h = harness();
    const sup = supervise(h, { backoffMs: [5_000] });
    void sup.start();
    await h.clock.advance(0);
    h.children[0]!.exit(1);
    await h.clock.advance(0);
    expect(sup.snapshot().state).toBe('backoff');
    await sup.stop();
    await h.clock.advance(10_000);
    expect(h.children).toHaveLength(1);
    expect(h.states.at(-1)).toBe('stopped');
  });

  it('keeps only the last logLines lines of output', async () => {
    const h = harness();
    const sup = supervise(h, { logLines: 5 });
    void sup.start();
    await h.clock.advance(0);
    for (let i = 0; i < 20; i++) h.children[0]!.print(`line ${i}`);
    expect(sup.logTail()).toEqual(['line 15', 'line 16', 'line 17', 'line 18', 'line 19']);
    await sup.stop();
  });
});
