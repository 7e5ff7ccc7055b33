import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parsePatch } from './parse';
import { serializePatch } from './serialize';
import type { Patch } from './types';

const id = fc.stringMatching(/^[a-z][a-z0-9_-]{0,8}$/);
// "__proto__" keys are refused on load and on save (guard.ts); the round trip is about the rest.
const jsonValue = fc.jsonValue({ maxDepth: 4 }).filter((v) => !JSON.stringify(v).includes('"__proto__"'));

/** Patches with arbitrary params and extra fields, some node types known, some not. */
const patchArb: fc.Arbitrary<Patch> = fc
  .record({
    nodes: fc.uniqueArray(
      fc.record({
        id,
        type: fc.constantFrom('camera', 'pipeline', 'output', 'vace', 'mystery'),
        version: fc.integer({ min: 1, max: 3 }),
        position: fc.record({
          x: fc.integer({ min: -5000, max: 5000 }),
          y: fc.integer({ min: -5000, max: 5000 }),
        }),
        params: fc.dictionary(
          fc.stringMatching(/^[a-z_]{1,10}$/).filter((k) => k !== '__proto__'),
          jsonValue,
          { maxKeys: 4 },
        ),
        extra: jsonValue,
      }),
      { selector: (n) => n.id, maxLength: 6 },
    ),
    extra: jsonValue,
    name: fc.string({ maxLength: 40 }),
  })
  .map(({ nodes, extra, name }) => ({
    format: 'patchbay' as const,
    format_version: 1,
    metadata: { name, created_at: '', app_version: '0.1.0' },
    nodes: nodes.map(({ extra: x, ...n }) => ({ ...n, x_extra: x })),
    edges: nodes.slice(1).map((n, i) => ({
      id: `e${i}`,
      from: { node: nodes[i]!.id, port: 'video' },
      to: { node: n.id, port: 'video' },
    })),
    x_top: extra,
  }));

describe('parsePatch on generated input', () => {
  it('never throws on arbitrary JSON text or values', () => {
    fc.assert(
      fc.property(fc.oneof(fc.json({ maxDepth: 6 }), fc.string(), fc.jsonValue({ maxDepth: 6 })), (input) => {
        const r = parsePatch(input);
        expect(typeof r.ok).toBe('boolean');
        for (const i of r.issues) expect(i.pathText.length).toBeGreaterThan(0);
      }),
      { numRuns: 300 },
    );
  });

  it('round-trips every structurally valid patch, unknown fields and invalid params included', () => {
    fc.assert(
      fc.property(patchArb, (patch) => {
        // The generator only makes structurally valid patches, so a patch always comes out.
        const first = parsePatch(serializePatch(patch));
        if (!first.ok) throw new Error(JSON.stringify(first.issues));
        const text = serializePatch(first.patch);
        const second = parsePatch(text);
        if (!second.ok) throw new Error(JSON.stringify(second.issues));
        expect(serializePatch(second.patch)).toBe(text);
        expect(second.issues).toEqual(first.issues);
      }),
      { numRuns: 200 },
    );
  });
});
