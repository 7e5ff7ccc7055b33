import { registry } from '../../nodes';
import type { Patch, PatchNode } from '../../patches';
import { compile, defaultCapabilities, diff, type Plan } from '../../runtime/compile';
import { atMost, figure, median, timeCalls } from '../stats';
import type { Scenario } from '../types';

export const COMPILE_SIZES = [10, 100, 1000, 5000] as const;

/**
 * A valid generated patch of about `count` nodes: rows of Camera (test pattern) → Pipeline ×3 →
 * Output, every fourth row fanning a second Output off its first pipeline. Deterministic.
 */
export function generatePatch(count: number): Patch {
  const nodes: PatchNode[] = [];
  const edges: Patch['edges'] = [];
  const pipes = ['passthrough', 'gray', 'edges', 'blur'];
  let row = 0;
  const node = (id: string, type: string, params: Record<string, unknown>, x: number): void => {
    nodes.push({ id, type, version: 1, position: { x: x * 280, y: row * 170 }, params });
  };
  const edge = (a: string, b: string): void => {
    edges.push({ id: `e-${a}-${b}`, from: { node: a, port: 'video' }, to: { node: b, port: 'video' } });
  };
  while (nodes.length < count) {
    const r = `r${row}`;
    node(`${r}-cam`, 'camera', { source_mode: 'test_pattern' }, 0);
    let prev = `${r}-cam`;
    for (let k = 0; k < 3 && nodes.length < count - 1; k++) {
      const id = `${r}-p${k}`;
      node(id, 'pipeline', { pipeline_id: pipes[(row + k) % pipes.length], strength: 0.5 }, k + 1);
      edge(prev, id);
      prev = id;
    }
    if (nodes.length < count) {
      node(`${r}-out`, 'output', { name: `out ${row}` }, 4);
      edge(prev, `${r}-out`);
    }
    if (row % 4 === 0 && nodes.length < count && nodes.some((n) => n.id === `${r}-p0`)) {
      node(`${r}-out2`, 'output', { name: `side ${row}` }, 5);
      edge(`${r}-p0`, `${r}-out2`);
    }
    row++;
  }
  return {
    format: 'patchbay',
    format_version: 1,
    metadata: {
      name: `${count}-node bench patch`,
      created_at: new Date(0).toISOString(),
      app_version: '0.1.0',
    },
    nodes,
    edges,
  };
}

/** The same patch after a live edit (a param) and a topology edit (one new Output on row 0). */
export function editedPatch(p: Patch): Patch {
  const nodes = p.nodes.map((n, i) => (i === 1 ? { ...n, params: { ...n.params, strength: 0.9 } } : n));
  nodes.push({
    id: 'bench-extra',
    type: 'output',
    version: 1,
    position: { x: 0, y: -200 },
    params: { name: 'extra' },
  });
  return {
    ...p,
    nodes,
    edges: [
      ...p.edges,
      {
        id: 'e-extra',
        from: { node: nodes[0]!.id, port: 'video' },
        to: { node: 'bench-extra', port: 'video' },
      },
    ],
  };
}

function compiled(p: Patch): Plan {
  const r = compile(p, registry, { capabilities: defaultCapabilities() });
  if (!r.ok)
    throw new Error(
      `the generated ${p.nodes.length}-node patch did not compile: ${r.errors.map((e) => e.message).join('; ')}`,
    );
  return r.plan;
}

/**
 * Scenario 5 — compile: generated patches of 10, 100, 1,000 and 5,000 nodes; the time to
 * compile each (patch → plan) and to diff its plan against the plan after an edit. Beside
 * them, the floor of just copying the patch (structuredClone): the least any pass over it costs.
 */
export const compileScenario: Scenario = {
  id: 'compile',
  number: 5,
  title: 'Compile and diff generated patches',
  async run(ctx, result) {
    const runs = ctx.options.repeat ?? (ctx.options.quick ? 2 : 5);
    for (const size of COMPILE_SIZES) {
      const calls = Math.max(1, Math.min(ctx.options.quick ? 5 : 20, Math.round(20_000 / size)));
      const a = generatePatch(size);
      const b = editedPatch(a);
      const planA = compiled(a);
      const planB = compiled(b);
      const comp: number[] = [];
      const dif: number[] = [];
      const copy: number[] = [];
      for (let r = 0; r < runs; r++) {
        comp.push(median(timeCalls(() => compiled(a), calls)));
        dif.push(median(timeCalls(() => diff(planA, planB), calls)));
        copy.push(median(timeCalls(() => structuredClone(a), calls)));
        await new Promise((r) => setImmediate(r));
      }
      const d = diff(planA, planB);
      if (!d.start.includes('bench-extra'))
        throw new Error(
          `diff of the ${size}-node patch did not start the added node (start: ${d.start.join(', ')})`,
        );
      const floor = figure(`copy_${size}`, `${size} nodes: structuredClone of the patch`, 'ms', copy);
      const fc = figure(`compile_${size}`, `${size} nodes: compile`, 'ms', comp);
      const fd = figure(`diff_${size}`, `${size} nodes: diff after an edit`, 'ms', dif);
      result.figures.push(
        {
          ...fc,
          floor: { key: floor.key, label: floor.label, median: floor.median, unit: 'ms' },
          ratio: Math.round((fc.median / floor.median) * 10) / 10,
        },
        fd,
        floor,
      );
      if (size === 1000) result.targets.push(atMost('compile 1,000 nodes', fc.median, 50, 'ms'));
      ctx.log(
        `  ${size} nodes (${a.nodes.length}): compile ${fc.median.toFixed(2)} ms, diff ${fd.median.toFixed(3)} ms`,
      );
    }
    result.notes.push(
      `each run is the median of up to 20 calls (fewer for big patches), ${runs} runs; the diff compares the plan with the plan after one live param edit and one added Output`,
    );
  },
};
