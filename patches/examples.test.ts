import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findPipeline } from '../nodes';
import { parsePatch, patchErrors, serializePatch, type Patch } from '.';

const root = import.meta.dirname;

/** Every .patch file under patches/, except the deliberately broken fixtures. */
function patchFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) return name === 'invalid' ? [] : patchFiles(full);
    return name.endsWith('.patch') ? [full] : [];
  });
}

const files = patchFiles(root);

function load(file: string): Patch {
  const r = parsePatch(readFileSync(file, 'utf8'));
  if (!r.ok) throw new Error(`${file}: ${JSON.stringify(r.issues)}`);
  return r.patch;
}

describe('every .patch file in patches/', () => {
  it('finds the examples and fixtures', () => {
    const names = files.map((f) => relative(root, f));
    expect(names).toEqual(
      expect.arrayContaining(['examples/camera-passthrough.patch', 'fixtures/v0/draft-timeline.patch']),
    );
    expect(names.length).toBeGreaterThanOrEqual(12);
  });

  for (const file of files) {
    const name = relative(root, file);
    it(`${name} validates and round-trips`, () => {
      const text = readFileSync(file, 'utf8');
      const r = parsePatch(text);
      if (!r.ok) throw new Error(JSON.stringify(r.issues));
      expect(patchErrors(r.issues)).toEqual([]);
      const again = parsePatch(serializePatch(r.patch));
      if (!again.ok) throw new Error(JSON.stringify(again.issues));
      expect(again.patch).toEqual(r.patch);
      expect(serializePatch(again.patch)).toBe(serializePatch(r.patch));
      // Files written by this build are byte-for-byte what the serializer writes.
      if (name.startsWith('examples/') || name.endsWith('.expected-v1.patch'))
        expect(serializePatch(r.patch)).toBe(text);
    });
  }
});

describe('the examples', () => {
  const examples = files.filter((f) => relative(root, f).startsWith('examples/'));
  const byName = (n: string) => load(join(root, 'examples', n));

  it('has the twelve named examples, each with a name and a description and no warnings', () => {
    expect(examples.map((f) => relative(join(root, 'examples'), f)).sort()).toEqual([
      'camera-passthrough.patch',
      'camera-pose.patch',
      'camera-segment-blur.patch',
      'camera-timeline.patch',
      'effects.patch',
      'person-pose.patch',
      'person-segment-blur.patch',
      'person-segment-mask.patch',
      'test-pattern-gray.patch',
      'test-pattern-timeline.patch',
      'two-outputs.patch',
      'vace.patch',
    ]);
    for (const f of examples) {
      const r = parsePatch(readFileSync(f, 'utf8'));
      expect(r.issues).toEqual([]);
      const p = load(f);
      expect(p.metadata.name.length).toBeGreaterThan(3);
      expect(String(p.metadata.description).length).toBeGreaterThan(20);
    }
  });

  it('lays nodes out left to right: every stream edge goes rightwards', () => {
    for (const f of examples) {
      const p = load(f);
      const pos = new Map(p.nodes.map((n) => [n.id, n.position]));
      for (const e of p.edges)
        expect(pos.get(e.from.node)!.x, `${f} ${e.id}`).toBeLessThan(pos.get(e.to.node)!.x);
      const spots = new Set(p.nodes.map((n) => `${n.position.x},${n.position.y}`));
      expect(spots.size, `${f}: overlapping nodes`).toBe(p.nodes.length);
    }
  });

  const chain = (p: Patch) =>
    p.edges.map((e) => {
      const from = p.nodes.find((n) => n.id === e.from.node)!;
      const to = p.nodes.find((n) => n.id === e.to.node)!;
      const label = (n: Patch['nodes'][number]) =>
        n.type === 'pipeline'
          ? `pipeline:${String(n.params.pipeline_id)}`
          : n.type === 'camera'
            ? `camera:${String(n.params.source_mode)}`
            : n.type;
      return `${label(from)}.${e.from.port} -> ${label(to)}.${e.to.port}`;
    });

  it('wires each example as described', () => {
    expect(chain(byName('camera-passthrough.patch'))).toEqual([
      'camera:camera.video -> pipeline:passthrough.video',
      'pipeline:passthrough.video -> output.video',
    ]);
    expect(chain(byName('test-pattern-gray.patch'))).toEqual([
      'camera:test_pattern.video -> pipeline:gray.video',
      'pipeline:gray.video -> output.video',
    ]);
    for (const [name, source] of [
      ['camera-timeline.patch', 'camera'],
      ['test-pattern-timeline.patch', 'test_pattern'],
    ] as const) {
      const p = byName(name);
      expect(chain(p)).toEqual([
        `camera:${source}.video -> pipeline:prompt-tint.video`,
        'prompt-timeline.prompts -> pipeline:prompt-tint.prompts',
        'pipeline:prompt-tint.video -> output.video',
      ]);
      const entries = p.nodes.find((n) => n.type === 'prompt-timeline')!.params.entries as {
        transition_steps: number;
      }[];
      expect(entries).toHaveLength(3);
      expect(entries.filter((e) => e.transition_steps > 0)).toHaveLength(1);
      expect(findPipeline('prompt-tint')!.supportsPrompts).toBe(true);
    }
    for (const [name, source, id] of [
      ['camera-segment-blur.patch', 'camera', 'segment-blur'],
      ['camera-pose.patch', 'camera', 'pose-glow'],
      ['person-segment-blur.patch', 'video_file', 'segment-blur'],
      ['person-segment-mask.patch', 'video_file', 'segment-mask'],
      ['person-pose.patch', 'video_file', 'pose-glow'],
    ] as const) {
      const p = byName(name);
      expect(chain(p)).toEqual([
        `camera:${source}.video -> pipeline:${id}.video`,
        `pipeline:${id}.video -> output.video`,
      ]);
      expect(findPipeline(id)!.kind).toBe('onnx');
      if (source === 'video_file') expect(p.nodes[0]!.params.video_file).toBe('astronaut.webm');
    }
    const vace = byName('vace.patch');
    expect(chain(vace)).toEqual([
      'camera:camera.video -> pipeline:streamdiffusionv2.video',
      'vace.vace -> pipeline:streamdiffusionv2.vace',
      'prompt-timeline.prompts -> pipeline:streamdiffusionv2.prompts',
      'pipeline:streamdiffusionv2.video -> output.video',
    ]);
    expect(vace.nodes.find((n) => n.type === 'pipeline')!.params.backend).toBe('remote');
    const two = byName('two-outputs.patch');
    expect(chain(two)).toEqual([
      'camera:test_pattern.video -> pipeline:gray.video',
      'pipeline:gray.video -> output.video',
      'camera:test_pattern.video -> output.video',
    ]);
    expect(two.nodes.filter((n) => n.type === 'output').map((n) => n.params.name)).toEqual([
      'gray',
      'colour',
    ]);
    expect(chain(byName('effects.patch'))).toEqual([
      'camera:test_pattern.video -> pipeline:edges.video',
      'pipeline:edges.video -> output.video',
      'camera:test_pattern.video -> pipeline:trails.video',
      'pipeline:trails.video -> output.video',
    ]);
  });
});
