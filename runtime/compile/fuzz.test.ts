import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isStreamPort, registry } from '../../nodes';
import { parsePatch, type Patch } from '../../patches';
import { compile, defaultCapabilities, type CompileResult } from './index';
import { isRecord } from './util';

/**
 * A property test: 10,000 damaged patch files, made from the shipped examples, are thrown at
 * `parsePatch` and then `compile` (and, because the compiler must not trust its input either,
 * straight at `compile`). Nothing may throw; every result is typed; every error has a path; a
 * plan, when one comes out, is consistent with its own edges.
 */

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const EXAMPLES_DIR = join(ROOT, 'patches', 'examples');
const seeds: unknown[] = readdirSync(EXAMPLES_DIR)
  .filter((f) => f.endsWith('.patch'))
  .sort()
  .map((f) => JSON.parse(readFileSync(join(EXAMPLES_DIR, f), 'utf8')));

const RUNS = 10_000;
const ctx = { capabilities: defaultCapabilities() };

const KINDS = [
  'delete',
  'duplicate',
  'retype',
  'random',
  'wrong-type',
  'deep',
  'huge-string',
  'proto-key',
  'dangling-edge',
  'cycle',
  'retype-node',
  'param',
  'param',
  'param',
] as const;
type Kind = (typeof KINDS)[number];

interface Mutation {
  kind: Kind;
  /** Picks the place: each number selects a child (modulo its size) one level further down. */
  steps: number[];
  value: unknown;
  n: number;
}

const mutation: fc.Arbitrary<Mutation> = fc.record({
  kind: fc.constantFrom(...KINDS),
  steps: fc.array(fc.nat(), { maxLength: 7 }),
  value: fc.jsonValue({ maxDepth: 3 }),
  n: fc.nat(),
});

/** Sets an own key, `__proto__` included, as JSON.parse would. */
function put(obj: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

const ROOT_BIAS = ['nodes', 'nodes', 'nodes', 'nodes', 'edges', 'edges', 'edges'];

/** The container and key the steps lead to (the root's own keys at least). */
function locate(
  root: Record<string, unknown>,
  steps: number[],
): { parent: Record<string, unknown> | unknown[]; key: string | number } {
  let parent: Record<string, unknown> | unknown[] = root;
  let key: string | number = 'nodes';
  for (let i = 0; i < steps.length; i++) {
    // At the top, mostly go into nodes and edges: damage to "format" only tests the front door.
    const keys: (string | number)[] = Array.isArray(parent)
      ? parent.map((_, j) => j)
      : i === 0
        ? [...ROOT_BIAS, ...Object.keys(parent)]
        : Object.keys(parent);
    if (keys.length === 0) break;
    key = keys[steps[i]! % keys.length]!;
    const child: unknown = (parent as Record<string | number, unknown>)[key];
    if (i === steps.length - 1 || typeof child !== 'object' || child === null) break;
    parent = child as Record<string, unknown> | unknown[];
  }
  return { parent, key };
}

function nested(depth: number, leaf: unknown): unknown {
  let v = leaf;
  for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { a: v };
  return v;
}

function retyped(v: unknown, n: number): unknown {
  if (typeof v === 'string') return n % 2 ? v.length : [v];
  if (typeof v === 'number') return String(v);
  if (typeof v === 'boolean') return v ? 'true' : 0;
  if (v === null || v === undefined) return {};
  if (Array.isArray(v)) return Object.fromEntries(v.map((x, i) => [String(i), x]));
  return Object.values(v as object);
}

const WRONG = [null, true, false, 0, -1, 1.5, 1e308, -1e308, '', ' ', '💥', [], {}, [null], { id: 1 }];

function nodesOf(doc: Record<string, unknown>): Record<string, unknown>[] {
  return Array.isArray(doc.nodes) ? doc.nodes.filter(isRecord) : [];
}

function apply(doc: Record<string, unknown>, m: Mutation): void {
  const { parent, key } = locate(doc, m.steps);
  const set = (v: unknown) => {
    if (Array.isArray(parent)) parent[key as number] = v;
    else put(parent, String(key), v);
  };
  const current = (parent as Record<string | number, unknown>)[key];
  switch (m.kind) {
    case 'delete':
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete parent[String(key)];
      return;
    case 'duplicate':
      // An array element twice (duplicate node/edge ids), or an object's value under a sibling key.
      // Shared, not cloned: the value may be nested too deep to clone, and sharing is still a tree
      // as JSON sees it.
      if (Array.isArray(parent)) parent.splice(key as number, 0, current);
      else {
        const keys = Object.keys(parent);
        put(parent, keys[m.n % keys.length] ?? 'dup', current);
      }
      return;
    case 'retype':
      return set(retyped(current, m.n));
    case 'random':
      return set(m.value);
    case 'wrong-type':
      return set(WRONG[m.n % WRONG.length]);
    case 'deep':
      return set(nested(1 + (m.n % 3000), m.value));
    case 'huge-string':
      // 20–70 k plain characters, or 10–50 kB of characters JSON must escape.
      return set(
        m.n % 2 ? 'x'.repeat(20_000 + (m.n % 50_000)) : '\u0000"\\\u2028é'.repeat(2_000 + (m.n % 8_000)),
      );
    case 'proto-key': {
      const target = isRecord(current) ? current : Array.isArray(parent) ? undefined : parent;
      if (target)
        put(target, ['__proto__', 'constructor', 'prototype', 'toString'][m.n % 4]!, { polluted: true });
      const nodes = nodesOf(doc);
      if (nodes.length && m.n % 3 === 0) nodes[m.n % nodes.length]!.id = '__proto__';
      return;
    }
    case 'dangling-edge': {
      const edges = Array.isArray(doc.edges) ? doc.edges : (doc.edges = []);
      const nodes = nodesOf(doc);
      const real = nodes[m.n % Math.max(1, nodes.length)]?.id;
      edges.push({
        id: `fuzz-${m.n}`,
        from: { node: m.n % 2 ? real : `ghost-${m.n}`, port: m.n % 3 ? 'video' : String(m.value) },
        to: { node: m.n % 2 ? `ghost-${m.n}` : real, port: 'video' },
      });
      return;
    }
    case 'cycle': {
      // Feed the last node's video back into an earlier node: a stream cycle when both exist.
      const edges = Array.isArray(doc.edges) ? doc.edges : (doc.edges = []);
      const nodes = nodesOf(doc);
      if (nodes.length < 2) return;
      const a = nodes[m.n % nodes.length]!;
      const b = nodes[(m.n + 1 + (m.steps[0] ?? 0)) % nodes.length]!;
      edges.push({
        id: `loop-${m.n}`,
        from: { node: a.id, port: 'video' },
        to: { node: b.id, port: m.n % 2 ? 'video' : 'vace_input_frames' },
      });
      return;
    }
    case 'param': {
      // Damage inside params: schema-valid for the file, so it reaches the compiler's own checks.
      const nodes = nodesOf(doc);
      if (!nodes.length) return;
      const node = nodes[m.n % nodes.length]!;
      const params = isRecord(node.params) ? node.params : (node.params = {});
      const keys = Object.keys(params);
      const key = m.steps.length && keys.length ? keys[m.steps[0]! % keys.length]! : `extra_${m.n % 7}`;
      const choice = m.n % 4;
      if (choice === 0) delete params[key];
      else
        put(
          params,
          key,
          choice === 1 ? m.value : choice === 2 ? WRONG[m.n % WRONG.length] : retyped(params[key], m.n),
        );
      return;
    }
    case 'retype-node': {
      const nodes = nodesOf(doc);
      if (!nodes.length) return;
      const types = [...registry.list().map((d) => d.type), 'lfo', '', 'Camera', String(m.value)];
      nodes[m.n % nodes.length]!.type = types[m.n % types.length];
      return;
    }
  }
}

/** Checks the shape of a compile result, and a plan's own consistency; returns the error codes. */
function checkResult(r: CompileResult, label: string, serialisable: boolean): string[] {
  expect(typeof r.ok, label).toBe('boolean');
  const list = r.ok ? r.plan.warnings : r.errors;
  expect(Array.isArray(list), label).toBe(true);
  for (const e of list) {
    expect(typeof e.code, label).toBe('string');
    expect(typeof e.message, label).toBe('string');
    expect(Array.isArray(e.path), `${label}: ${e.code} ${e.message} has no path`).toBe(true);
    expect(e.message.startsWith('internal compiler error'), `${label}: ${e.message}`).toBe(false);
  }
  if (!r.ok) {
    expect(
      r.errors.some((e) => e.fatal),
      label,
    ).toBe(true);
    return r.errors.map((e) => e.code);
  }
  const plan = r.plan;
  expect(
    plan.warnings.every((e) => !e.fatal),
    label,
  ).toBe(true);
  const at = new Map(plan.nodes.map((x, i) => [x.id, i]));
  expect(at.size, label).toBe(plan.nodes.length);
  for (const edge of [...plan.streamEdges, ...plan.controlEdges]) {
    expect(at.has(edge.from.node) && at.has(edge.to.node), label).toBe(true);
  }
  for (const edge of plan.streamEdges) {
    expect(isStreamPort(edge.portType), label).toBe(true);
    expect(at.get(edge.from.node)!, `${label}: ${edge.id} runs backwards`).toBeLessThan(
      at.get(edge.to.node)!,
    );
  }
  for (const edge of plan.controlEdges) expect(isStreamPort(edge.portType), label).toBe(false);
  for (const w of plan.workers) expect(plan.nodes[at.get(w.nodes[0]!)!]!.disabled, label).toBeNull();
  // Only for parsed input: parsePatch bounds nesting, so the params a plan carries can be posted.
  if (serialisable) expect(() => JSON.stringify(plan), label).not.toThrow();
  return plan.warnings.map((e) => e.code);
}

describe('compile: property test on damaged patch files', () => {
  // CPU-bound and the machine is shared: the time is printed, the limit is only a backstop.
  it(
    `${RUNS.toLocaleString('en')} mutated patches: typed results only, never a throw, every error with a path`,
    { timeout: 180_000 },
    () => {
      const tally = { parsedOk: 0, parseRefused: 0, plans: 0, refused: 0, direct: { plans: 0, refused: 0 } };
      const codes = new Map<string, number>();
      const count = (c: string) => codes.set(c, (codes.get(c) ?? 0) + 1);
      const t0 = performance.now();

      fc.assert(
        fc.property(
          fc.nat(),
          fc.array(mutation, { minLength: 1, maxLength: 4 }),
          fc.boolean(),
          (seedIndex, mutations, asText) => {
            const doc = structuredClone(seeds[seedIndex % seeds.length]) as Record<string, unknown>;
            for (const m of mutations) apply(doc, m);
            const label = JSON.stringify(mutations.map((m) => m.kind));

            // Through the front door: parse (text or value), then compile what parses.
            let input: unknown = doc;
            if (asText) {
              try {
                input = JSON.stringify(doc);
              } catch {
                input = doc; // too deep to stringify: hand over the value instead
              }
            }
            const parsed = parsePatch(input);
            if (parsed.ok) {
              tally.parsedOk++;
              const r = compile(parsed.patch, registry, ctx);
              if (r.ok) tally.plans++;
              else tally.refused++;
              for (const c of checkResult(r, label, true)) count(c);
            } else {
              tally.parseRefused++;
              expect(parsed.issues.length, label).toBeGreaterThan(0);
              for (const i of parsed.issues) {
                expect(Array.isArray(i.path), label).toBe(true);
                count(`parse:${i.code}`);
              }
            }

            // Straight in: the compiler's own guards, with whatever the mutation left.
            const direct = compile(doc as unknown as Patch, registry, ctx);
            if (direct.ok) tally.direct.plans++;
            else tally.direct.refused++;
            checkResult(direct, `direct ${label}`, false);
          },
        ),
        { numRuns: RUNS, seed: 20260101 },
      );

      const ms = performance.now() - t0;
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(tally.parsedOk + tally.parseRefused).toBe(RUNS);
      // The mutations must reach both sides, or the test proves little.
      expect(tally.plans).toBeGreaterThan(0);
      expect(tally.refused).toBeGreaterThan(0);
      expect(tally.parseRefused).toBeGreaterThan(0);
      const top = [...codes.entries()].sort((a, b) => b[1] - a[1]);
      console.log(
        [
          `fuzz: ${RUNS} mutated patches in ${(ms / 1000).toFixed(1)} s`,
          `  parsePatch: ${tally.parsedOk} parsed, ${tally.parseRefused} refused`,
          `  compile after parse: ${tally.plans} plans, ${tally.refused} refused`,
          `  compile direct: ${tally.direct.plans} plans, ${tally.direct.refused} refused`,
          `  codes: ${top.map(([c, k]) => `${c}×${k}`).join(', ')}`,
        ].join('\n'),
      );
    },
  );
});
