import { describe, expect, it } from 'vitest';
import { registry } from '../../nodes';
import type { Patch } from '../../patches';
import { compile, defaultCapabilities, diff, type CompileContext, type Plan, type PlanDiff } from './index';
import { e, n, p } from './testing';

function plan(patch: Patch, ctx: CompileContext = { capabilities: defaultCapabilities() }): Plan {
  const r = compile(patch, registry, ctx);
  if (!r.ok) throw new Error(r.errors.map((x) => x.message).join('\n'));
  return r.plan;
}

/** camera → fx (pipeline) → out, with the fx params given. */
function chain(fx: Record<string, unknown> = {}, out: Record<string, unknown> = {}): Patch {
  return p(
    [n('cam', 'camera'), n('fx', 'pipeline', { pipeline_id: 'blur', ...fx }), n('out', 'output', out)],
    [e('cam.video', 'fx.video'), e('fx.video', 'out.video')],
  );
}

const nothing: PlanDiff = {
  start: [],
  stop: [],
  keep: ['cam', 'fx', 'out'],
  update: {},
  edgesAdded: [],
  edgesRemoved: [],
  tracksChanged: false,
  empty: true,
};

describe('diff', () => {
  it('no change → empty', () => {
    expect(diff(plan(chain()), plan(chain()))).toEqual(nothing);
  });

  it('live params → update with only the changed keys, nothing restarts', () => {
    const d = diff(
      plan(chain({ strength: 0.5 })),
      plan(chain({ strength: 0.9, noise_scale: 0.1 }, { name: 'B' })),
    );
    expect(d).toEqual({
      ...nothing,
      update: { fx: { strength: 0.9, noise_scale: 0.1 }, out: { name: 'B' } },
      // The track's name is part of the layout the client sees.
      tracksChanged: true,
      empty: false,
    });
  });

  it('a load param → restart (stop + start), the rest kept', () => {
    const d = diff(plan(chain({ width: 512 })), plan(chain({ width: 256, strength: 0.1 })));
    expect(d).toEqual({
      ...nothing,
      start: ['fx'],
      stop: ['fx'],
      keep: ['cam', 'out'],
      empty: false,
    });
  });

  it('insert a node between two → start 1, keep the rest, edges changed', () => {
    const before = plan(p([n('cam', 'camera'), n('out', 'output')], [e('cam.video', 'out.video')]));
    const after = plan(
      p(
        [n('cam', 'camera'), n('gray', 'pipeline', { pipeline_id: 'gray' }), n('out', 'output')],
        [e('cam.video', 'gray.video'), e('gray.video', 'out.video')],
      ),
    );
    expect(diff(before, after)).toEqual({
      start: ['gray'],
      stop: [],
      keep: ['cam', 'out'],
      update: {},
      edgesAdded: ['e:cam-gray', 'e:gray-out'],
      edgesRemoved: ['e:cam-out'],
      tracksChanged: false,
      empty: false,
    });
  });

  it('remove a node → stop it (downstream first), edges removed', () => {
    const before = plan(
      p(
        [n('cam', 'camera'), n('a', 'pipeline'), n('b', 'pipeline'), n('out', 'output')],
        [e('cam.video', 'a.video'), e('a.video', 'b.video'), e('b.video', 'out.video')],
      ),
    );
    const after = plan(p([n('cam', 'camera'), n('out', 'output')], [e('cam.video', 'out.video')]));
    expect(diff(before, after)).toEqual({
      start: [],
      stop: ['b', 'a'],
      keep: ['cam', 'out'],
      update: {},
      edgesAdded: ['e:cam-out'],
      edgesRemoved: ['e:cam-a', 'e:a-b', 'e:b-out'],
      tracksChanged: false,
      empty: false,
    });
  });

  it('a rewired edge with the same id counts as removed and added', () => {
    const mk = (src: string) =>
      plan(
        p(
          [n('c1', 'camera'), n('c2', 'camera', { source_mode: 'test_pattern' }), n('out', 'output')],
          [e(`${src}.video`, 'out.video', 'x')],
        ),
      );
    const d = diff(mk('c1'), mk('c2'));
    expect(d.edgesAdded).toEqual(['x']);
    expect(d.edgesRemoved).toEqual(['x']);
    expect(d.start).toEqual([]);
  });

  it('type change, placement change and disabled change restart the node', () => {
    // gray → longlive without CUDA: the node becomes disabled and leaves its worker.
    const d = diff(plan(chain()), plan(chain({ pipeline_id: 'longlive' })));
    expect(d.start).toEqual(['fx']);
    expect(d.stop).toEqual(['fx']);
    const asRecord = plan(
      p(
        [n('cam', 'camera'), n('fx', 'record'), n('out', 'output')],
        [e('cam.video', 'fx.video'), e('cam.video', 'out.video', 'y')],
      ),
    );
    const asPipeline = plan(
      p(
        [n('cam', 'camera'), n('fx', 'pipeline'), n('out', 'output')],
        [e('cam.video', 'fx.video'), e('cam.video', 'out.video', 'y')],
      ),
    );
    expect(diff(asRecord, asPipeline)).toMatchObject({ start: ['fx'], stop: ['fx'], keep: ['cam', 'out'] });
  });

  it('a capability appearing restarts the node that was degraded by its absence', () => {
    const patch = chain({}, { sinks: { ndi: { enabled: true, name: 'show' } } });
    const d = diff(plan(patch), plan(patch, { capabilities: defaultCapabilities({ ndi: true }) }));
    expect(d).toMatchObject({ start: ['out'], stop: ['out'], keep: ['cam', 'fx'], empty: false });
  });

  it('tracks: a new preview output changes the track layout', () => {
    const before = plan(chain());
    const after = plan(
      p(
        [
          n('cam', 'camera'),
          n('fx', 'pipeline', { pipeline_id: 'blur' }),
          n('out', 'output'),
          n('raw', 'output', { name: 'raw' }),
        ],
        [e('cam.video', 'fx.video'), e('fx.video', 'out.video'), e('cam.video', 'raw.video')],
      ),
    );
    expect(diff(before, after)).toMatchObject({
      start: ['raw'],
      tracksChanged: true,
      edgesAdded: ['e:cam-raw'],
    });
  });

  it('live toggles of a record sink go to update', () => {
    expect(diff(plan(chain()), plan(chain({}, { record: true })))).toMatchObject({
      start: [],
      stop: [],
      update: { out: { record: true } },
      empty: false,
    });
  });
});
