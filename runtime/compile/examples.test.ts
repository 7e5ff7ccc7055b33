import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { registry } from '../../nodes';
import { parsePatch } from '../../patches';
import { compile, defaultCapabilities, type Plan } from './index';

/**
 * Every shipped example and every fixture meant to be valid parses and compiles on a plain host
 * (camera yes; no Spout, NDI, CUDA or cloud connection), and each example's plan is what the
 * example is for: the order, the workers and the tracks.
 */

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const ctx = { capabilities: defaultCapabilities() };

function patchFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) return patchFiles(full);
    return entry.name.endsWith('.patch') ? [relative(ROOT, full).split('\\').join('/')] : [];
  });
}

function compileFile(file: string) {
  const parsed = parsePatch(readFileSync(join(ROOT, file), 'utf8'));
  if (!parsed.ok)
    throw new Error(`${file}: ${parsed.issues.map((i) => `${i.pathText}: ${i.message}`).join('; ')}`);
  return compile(parsed.patch, registry, ctx);
}

function planOf(file: string): Plan {
  const r = compileFile(file);
  if (!r.ok) throw new Error(`${file}: ${r.errors.map((x) => `${x.code}: ${x.message}`).join('; ')}`);
  return r.plan;
}

/** The plan's shape in one line per aspect, so each example reads as a short table. */
function shape(plan: Plan) {
  return {
    order: plan.nodes.map(
      (x) => `${x.id}${x.pipeline ? `[${x.pipeline.id}]` : ''}${x.disabled ? ' (disabled)' : ''}`,
    ),
    workers: plan.workers.map((w) => `${w.id}: ${w.nodes.join(',')}`),
    inputTracks: plan.inputTracks.map((t) => `${t.index}: ${t.node}`),
    outputTracks: plan.outputTracks.map((t) => `${t.index}: ${t.node} "${t.name}"`),
    controlEdges: plan.controlEdges.map((x) => `${x.from.node}.${x.from.port} → ${x.to.node}.${x.to.port}`),
    warnings: plan.warnings.map((x) => `${x.code} ${x.node ?? ''}`.trim()),
  };
}

const EXAMPLES: Record<string, ReturnType<typeof shape>> = {
  'camera-passthrough': {
    order: ['camera', 'passthrough[passthrough]', 'output'],
    workers: ['w:passthrough: passthrough'],
    inputTracks: ['0: camera'],
    outputTracks: ['0: output "main"'],
    controlEdges: [],
    warnings: [],
  },
  'test-pattern-gray': {
    order: ['pattern', 'gray[gray]', 'output'],
    workers: ['w:gray: gray'],
    inputTracks: [],
    outputTracks: ['0: output "main"'],
    controlEdges: [],
    warnings: [],
  },
  'camera-timeline': {
    order: ['camera', 'timeline', 'tint[prompt-tint]', 'output'],
    workers: ['w:tint: tint'],
    inputTracks: ['0: camera'],
    outputTracks: ['0: output "main"'],
    controlEdges: ['timeline.prompts → tint.prompts'],
    warnings: [],
  },
  'test-pattern-timeline': {
    order: ['pattern', 'timeline', 'tint[prompt-tint]', 'output'],
    workers: ['w:tint: tint'],
    inputTracks: [],
    outputTracks: ['0: output "main"'],
    controlEdges: ['timeline.prompts → tint.prompts'],
    warnings: [],
  },
  vace: {
    order: ['camera', 'vace', 'timeline', 'diffusion[streamdiffusionv2]', 'output'],
    workers: ['w:diffusion: diffusion'],
    inputTracks: ['0: camera'],
    outputTracks: ['0: output "main"'],
    controlEdges: ['vace.vace → diffusion.vace', 'timeline.prompts → diffusion.prompts'],
    // A GPU pipeline on the remote backend; with no cloud connection here it runs degraded.
    warnings: ['MISSING_CAPABILITY diffusion'],
  },
  'two-outputs': {
    order: ['pattern', 'gray[gray]', 'gray-out', 'colour-out'],
    workers: ['w:gray: gray'],
    inputTracks: [],
    outputTracks: ['0: gray-out "gray"', '1: colour-out "colour"'],
    controlEdges: [],
    warnings: [],
  },
  // Learned models (runtime/pipelines/learned): one Pipeline node each; person-* read the clip.
  'camera-pose': {
    order: ['camera', 'model[pose-glow]', 'output'],
    workers: ['w:model: model'],
    inputTracks: ['0: camera'],
    outputTracks: ['0: output "output"'],
    controlEdges: [],
    warnings: [],
  },
  'camera-segment-blur': {
    order: ['camera', 'model[segment-blur]', 'output'],
    workers: ['w:model: model'],
    inputTracks: ['0: camera'],
    outputTracks: ['0: output "output"'],
    controlEdges: [],
    warnings: [],
  },
  'person-pose': {
    order: ['camera', 'model[pose-glow]', 'output'],
    workers: ['w:model: model'],
    inputTracks: [],
    outputTracks: ['0: output "output"'],
    controlEdges: [],
    warnings: [],
  },
  'person-segment-blur': {
    order: ['camera', 'model[segment-blur]', 'output'],
    workers: ['w:model: model'],
    inputTracks: [],
    outputTracks: ['0: output "output"'],
    controlEdges: [],
    warnings: [],
  },
  'person-segment-mask': {
    order: ['camera', 'model[segment-mask]', 'output'],
    workers: ['w:model: model'],
    inputTracks: [],
    outputTracks: ['0: output "output"'],
    controlEdges: [],
    warnings: [],
  },
  effects: {
    order: ['pattern', 'edges[edges]', 'trails[trails]', 'edges-out', 'trails-out'],
    workers: ['w:edges: edges', 'w:trails: trails'],
    inputTracks: [],
    outputTracks: ['0: edges-out "edges"', '1: trails-out "trails"'],
    controlEdges: [],
    warnings: [],
  },
};

describe('examples', () => {
  const files = patchFiles(join(ROOT, 'patches', 'examples'));

  it('every example has an asserted plan, and every asserted example exists', () => {
    const names = files.map((f) => f.replace(/^.*\//, '').replace(/\.patch$/, '')).sort();
    expect(names).toEqual(Object.keys(EXAMPLES).sort());
  });

  for (const [name, expected] of Object.entries(EXAMPLES)) {
    it(`${name}.patch compiles to its plan`, () => {
      const plan = planOf(`patches/examples/${name}.patch`);
      expect(shape(plan)).toEqual(expected);
      expect(plan.nodes.every((x) => !x.disabled)).toBe(true);
      expect(plan.sinks).toEqual([]);
    });
  }

  it('the vace example runs its GPU pipeline remotely, degraded only for the missing cloud link', () => {
    const diffusion = planOf('patches/examples/vace.patch').nodes.find((x) => x.id === 'diffusion')!;
    expect(diffusion.params.backend).toBe('remote');
    expect(diffusion.degraded.map((d) => d.capability)).toEqual(['remote']);
    expect(diffusion.controlInputs).toEqual({
      prompts: { node: 'timeline', port: 'prompts' },
      vace: { node: 'vace', port: 'vace' },
    });
  });
});

describe('fixtures', () => {
  const files = patchFiles(join(ROOT, 'patches', 'fixtures'));
  const valid = files.filter((f) => !f.includes('/invalid/'));
  const invalid = files.filter((f) => f.includes('/invalid/'));

  it('there are fixtures of both kinds', () => {
    expect(valid.length).toBeGreaterThan(0);
    expect(invalid.length).toBeGreaterThan(0);
  });

  for (const file of valid) {
    it(`${file} parses and compiles`, () => {
      const plan = planOf(file);
      expect(plan.outputTracks.length).toBeGreaterThan(0);
    });
  }

  for (const file of invalid) {
    it(`${file} is refused, or compiles only with the bad node disabled`, () => {
      const parsed = parsePatch(readFileSync(join(ROOT, file), 'utf8'));
      if (!parsed.ok) {
        expect(parsed.issues.length).toBeGreaterThan(0);
        return;
      }
      const r = compile(parsed.patch, registry, ctx);
      const problems = r.ok ? r.plan.warnings : r.errors;
      expect(problems.length).toBeGreaterThan(0);
      if (r.ok) expect(r.plan.nodes.some((x) => x.disabled)).toBe(true);
      for (const x of problems) expect(x.path).toBeDefined();
    });
  }

  it('a migrated v0 fixture compiles to the same plan as its expected v1 form', () => {
    for (const name of ['draft-camera-gray', 'draft-timeline']) {
      expect(planOf(`patches/fixtures/v0/${name}.patch`)).toEqual(
        planOf(`patches/fixtures/v0/${name}.expected-v1.patch`),
      );
    }
  });
});
