import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, posix, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * Keeps ARCHITECTURE.md's dependency direction true: reads the import statements of every
 * .ts/.tsx/.mjs file (with the TypeScript parser, so `import type`, `export … from`, `import()`
 * and `import('x').T` are told apart) and reports each import that points the wrong way, and
 * each import circle between folders.
 *
 *   nodes   → nothing of ours; no Node built-ins, Node-only packages, React, xstate, Electron, DOM
 *   patches → nodes
 *   runtime → nodes, patches; inside runtime/, only down the layers of RUNTIME_LAYERS
 *   editor  → nodes, patches, and runtime/protocol with `import type` only
 *   app     → anything but bench/ and scripts/
 *   e2e     → e2e itself and the runtime/playwright fixture, nothing else of ours
 *   bench   → nodes, patches, runtime
 *   scripts → nodes, patches, runtime, editor, bench (repository tooling; nothing imports it)
 *   bin     → runtime/cli only
 *
 * Test files in nodes/ may use Node built-ins (they read fixtures; they never ship to a browser),
 * but they follow the direction like everything else. Inside runtime/, a test file may import
 * any runtime/ folder (an integration test drives the stack from above; nothing imports a test,
 * so a test cannot close a circle).
 */

const AREAS = ['nodes', 'patches', 'runtime', 'editor', 'app', 'e2e', 'bench', 'scripts', 'bin'] as const;
type Area = (typeof AREAS)[number];

/**
 * The folders inside runtime/, bottom first. A folder may import folders of lower layers only
 * (never its own layer's siblings), so no circle can form; CONTEXT.md shows the same table.
 * A new runtime/ folder must be given a layer here.
 */
export const RUNTIME_LAYERS: readonly (readonly string[])[] = [
  ['clock', 'host', 'json', 'guards', 'logging', 'compile', 'media'],
  ['protocol', 'pipelines', 'io', 'events'],
  ['engine'],
  ['session', 'relay'],
  ['server'],
  ['cli', 'playwright'],
  ['api'],
];

export interface SourceFile {
  /** Repository-relative, forward slashes (e.g. `nodes/camera/definition.ts`). */
  path: string;
  text: string;
}

export interface Violation {
  file: string;
  line: number;
  specifier: string;
  rule: string;
}

interface ImportRef {
  specifier: string;
  typeOnly: boolean;
  line: number;
}

/** Every module reference in a file, marked type-only where it erases at compile time. */
export function importsOf(file: SourceFile): ImportRef[] {
  const sf = parse(file);
  const out: ImportRef[] = [];
  const line = (node: ts.Node) => sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1;
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const named = clause?.namedBindings;
      const allInlineTypes =
        !!clause &&
        !clause.name &&
        !!named &&
        ts.isNamedImports(named) &&
        named.elements.length > 0 &&
        named.elements.every((el) => el.isTypeOnly);
      out.push({
        specifier: node.moduleSpecifier.text,
        typeOnly: !!clause?.isTypeOnly || allInlineTypes,
        line: line(node),
      });
    } else if (
      ts.isExportDeclaration(node) &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      const named = node.exportClause;
      const allInlineTypes =
        !!named &&
        ts.isNamedExports(named) &&
        named.elements.length > 0 &&
        named.elements.every((el) => el.isTypeOnly);
      out.push({
        specifier: node.moduleSpecifier.text,
        typeOnly: node.isTypeOnly || allInlineTypes,
        line: line(node),
      });
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      const expr = node.moduleReference.expression;
      if (ts.isStringLiteral(expr))
        out.push({ specifier: expr.text, typeOnly: node.isTypeOnly, line: line(node) });
    } else if (ts.isImportTypeNode(node)) {
      const arg = node.argument;
      if (ts.isLiteralTypeNode(arg) && ts.isStringLiteral(arg.literal))
        out.push({ specifier: arg.literal.text, typeOnly: true, line: line(node) });
    } else if (ts.isCallExpression(node)) {
      const [arg] = node.arguments;
      const isImport = node.expression.kind === ts.SyntaxKind.ImportKeyword;
      const isRequire = ts.isIdentifier(node.expression) && node.expression.text === 'require';
      if ((isImport || isRequire) && arg && ts.isStringLiteralLike(arg))
        out.push({ specifier: arg.text, typeOnly: false, line: line(node) });
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

/** Browser and Node globals nodes/ must not touch (it runs in the editor and in workers). */
const DOM_GLOBALS = new Set([
  'window',
  'document',
  'navigator',
  'localStorage',
  'sessionStorage',
  'requestAnimationFrame',
  'HTMLElement',
  'HTMLCanvasElement',
  'HTMLVideoElement',
  'MediaStream',
  'RTCPeerConnection',
]);
const NODE_GLOBALS = new Set(['process', 'Buffer', '__dirname', '__filename', 'require']);

/** Free references to DOM or Node globals (not property names, not local declarations). */
export function globalsOf(file: SourceFile): { name: string; line: number }[] {
  const sf = parse(file);
  const declared = new Set<string>();
  const used: { name: string; line: number }[] = [];
  const visit = (node: ts.Node): void => {
    if (
      (ts.isVariableDeclaration(node) || ts.isParameter(node) || ts.isFunctionDeclaration(node)) &&
      node.name &&
      ts.isIdentifier(node.name)
    )
      declared.add(node.name.text);
    if (ts.isIdentifier(node) && (DOM_GLOBALS.has(node.text) || NODE_GLOBALS.has(node.text))) {
      const parent = node.parent;
      const isDeclName =
        (ts.isVariableDeclaration(parent) || ts.isParameter(parent) || ts.isFunctionDeclaration(parent)) &&
        parent.name === node;
      if (!isDeclName && !isPropertyName(node))
        used.push({ name: node.text, line: sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1 });
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return used.filter((u) => !declared.has(u.name));
}

function isPropertyName(node: ts.Identifier): boolean {
  const parent = node.parent;
  if (ts.isPropertyAccessExpression(parent)) return parent.name === node;
  if (ts.isQualifiedName(parent)) return parent.right === node;
  if (
    ts.isPropertyAssignment(parent) ||
    ts.isPropertySignature(parent) ||
    ts.isPropertyDeclaration(parent) ||
    ts.isMethodDeclaration(parent) ||
    ts.isMethodSignature(parent) ||
    ts.isEnumMember(parent) ||
    ts.isImportSpecifier(parent) ||
    ts.isExportSpecifier(parent)
  )
    return (
      (parent as { name?: ts.Node }).name === node ||
      (parent as { propertyName?: ts.Node }).propertyName === node
    );
  return false;
}

const parsed = new WeakMap<SourceFile, ts.SourceFile>();

/** Parses a file once for both passes (imports and globals). */
function parse(file: SourceFile): ts.SourceFile {
  let sf = parsed.get(file);
  if (!sf) {
    const kind = file.path.endsWith('.tsx')
      ? ts.ScriptKind.TSX
      : /\.[cm]?js$/.test(file.path)
        ? ts.ScriptKind.JS
        : ts.ScriptKind.TS;
    sf = ts.createSourceFile(file.path, file.text, ts.ScriptTarget.Latest, true, kind);
    parsed.set(file, sf);
  }
  return sf;
}

const NODE_BUILTINS = new Set(builtinModules.filter((m) => !m.startsWith('_')));
/** Packages that only work in Node (native addons, servers, sockets) or are UI/state frameworks. */
const NODES_FORBIDDEN_PACKAGES = [
  'react',
  'react-dom',
  '@xyflow',
  'xstate',
  '@xstate',
  'electron',
  'werift',
  'node-av',
  'onnxruntime-node',
  'koffi',
  'fastify',
  '@fastify',
  'ws',
  'kafkajs',
  'pngjs',
  'playwright-core',
  '@playwright',
  'tsx',
];

function packageName(spec: string): string {
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

function isNodeBuiltin(spec: string): boolean {
  return spec.startsWith('node:') || NODE_BUILTINS.has(spec) || NODE_BUILTINS.has(spec.split('/')[0]!);
}

function areaOf(path: string): Area | undefined {
  const top = path.split('/')[0];
  return (AREAS as readonly string[]).includes(top!) ? (top as Area) : undefined;
}

const isUnder = (path: string, dir: string) =>
  path === dir || path.startsWith(`${dir}/`) || path.startsWith(`${dir}.`);

/** What our own code each area may import (by top folder), besides itself. */
const ALLOWED: Record<Area, readonly string[]> = {
  nodes: [],
  patches: ['nodes'],
  runtime: ['nodes', 'patches'],
  editor: ['nodes', 'patches'],
  app: ['nodes', 'patches', 'runtime', 'editor', 'app', 'e2e'],
  e2e: [],
  bench: ['nodes', 'patches', 'runtime'],
  scripts: ['nodes', 'patches', 'runtime', 'editor', 'bench'],
  bin: [],
};

/** The one folder of another area some areas may reach into (a public entry point). */
const ALLOWED_ENTRY: Partial<Record<Area, string>> = {
  e2e: 'runtime/playwright',
  bin: 'runtime/cli',
};

const isTestFile = (path: string) => /\.test\.(tsx?|[cm]?js)$/.test(path);

/**
 * The folder a file counts in for layers and circles: `runtime/<folder>`, `editor/src/<folder>`,
 * else its top folder. (nodes/ is one unit for now: nodes/core and nodes/pipeline import each
 * other while node types move into their folders.)
 */
export function folderOf(path: string): string {
  const parts = path.split('/');
  const strip = (name: string) => name.replace(/\.[^.]*$/, '');
  if (parts[0] === 'runtime' && parts.length > 1) return `runtime/${strip(parts[1]!)}`;
  if (parts[0] === 'editor' && parts[1] === 'src' && parts.length > 2)
    return `editor/src/${strip(parts[2]!)}`;
  return parts[0]!;
}

function runtimeLayer(folder: string): number {
  const name = folder.slice('runtime/'.length);
  return RUNTIME_LAYERS.findIndex((layer) => layer.includes(name));
}

/** The target of a relative import, repository-relative. */
const resolveRelative = (from: string, specifier: string) =>
  posix.normalize(posix.join(posix.dirname(from), specifier));

/** The violations in a set of files. Pure, so the checker itself can be tested on fake files. */
export function checkDependencyDirection(files: readonly SourceFile[]): Violation[] {
  const out: Violation[] = [];
  for (const file of files) {
    const from = areaOf(file.path);
    if (!from) continue;
    const isTest = isTestFile(file.path);
    for (const ref of importsOf(file)) {
      const report = (rule: string) =>
        out.push({ file: file.path, line: ref.line, specifier: ref.specifier, rule });
      if (ref.specifier.startsWith('.')) {
        const target = resolveRelative(file.path, ref.specifier);
        const to = areaOf(target);
        if (to === from) {
          if (from === 'runtime') {
            const rule = runtimeLayerRule(file.path, target, isTest);
            if (rule) report(rule);
          }
          continue;
        }
        if (to && ALLOWED[from].includes(to)) continue;
        if (from === 'editor' && to === 'runtime') {
          if (!isUnder(target, 'runtime/protocol'))
            report('editor may import only runtime/protocol from runtime/');
          else if (!ref.typeOnly) report('editor may import runtime/protocol with `import type` only');
          continue;
        }
        const entry = ALLOWED_ENTRY[from];
        if (entry && isUnder(target, entry)) continue;
        report(`${from}/ may not import ${to ? `${to}/` : `"${target}" (outside the source folders)`}`);
        continue;
      }
      if (from !== 'nodes') continue;
      if (isNodeBuiltin(ref.specifier)) {
        if (!isTest) report('nodes/ may not import Node built-in modules');
        continue;
      }
      const pkg = packageName(ref.specifier);
      if (NODES_FORBIDDEN_PACKAGES.some((f) => pkg === f || pkg.startsWith(`${f}/`)))
        report(`nodes/ may not import ${pkg} (Node-only, UI or state-machine package)`);
    }
    if (from === 'nodes' && !isTest) {
      for (const g of globalsOf(file)) {
        out.push({
          file: file.path,
          line: g.line,
          specifier: g.name,
          rule: DOM_GLOBALS.has(g.name)
            ? 'nodes/ may not use the DOM'
            : 'nodes/ may not use Node-only globals',
        });
      }
    }
  }
  return [...out, ...findImportCircles(files)];
}

/** The RUNTIME_LAYERS rule broken by an import from one runtime/ file to another, if any. */
function runtimeLayerRule(fromPath: string, target: string, isTest: boolean): string | null {
  const a = folderOf(fromPath);
  const b = folderOf(target);
  if (a === b) return null;
  const layerA = runtimeLayer(a);
  const layerB = runtimeLayer(b);
  if (layerA < 0) return `${a}/ has no layer in RUNTIME_LAYERS: add it there and to CONTEXT.md`;
  if (layerB < 0) return `${b}/ has no layer in RUNTIME_LAYERS: add it there and to CONTEXT.md`;
  if (isTest || layerB < layerA) return null;
  return layerB === layerA
    ? `${a}/ may not import ${b}/ (same layer in RUNTIME_LAYERS)`
    : `${a}/ may not import ${b}/ (a higher layer in RUNTIME_LAYERS)`;
}

/**
 * Every circle of imports between folders (`folderOf`), found on the
 * production imports (tests are left out: nothing imports them). Each circle is reported once,
 * at the first import that closes it, with the whole loop and the import behind each step.
 */
export function findImportCircles(files: readonly SourceFile[]): Violation[] {
  // edges[a][b] = the first import from folder a to folder b (file, line, specifier)
  const edges = new Map<string, Map<string, { file: string; line: number; specifier: string }>>();
  for (const file of files) {
    if (isTestFile(file.path)) continue;
    const a = folderOf(file.path);
    for (const ref of importsOf(file)) {
      if (!ref.specifier.startsWith('.')) continue;
      const b = folderOf(resolveRelative(file.path, ref.specifier));
      if (a === b) continue;
      let row = edges.get(a);
      if (!row) edges.set(a, (row = new Map()));
      if (!row.has(b)) row.set(b, { file: file.path, line: ref.line, specifier: ref.specifier });
    }
  }
  const out: Violation[] = [];
  const seen = new Set<string>();
  for (const start of [...edges.keys()].sort()) {
    // Shortest way back to `start`, breadth first, so the loop reported is the plainest one.
    const back = new Map<string, string>();
    const queue = [start];
    let closing: string | undefined;
    while (queue.length && !closing) {
      const at = queue.shift()!;
      for (const next of [...(edges.get(at)?.keys() ?? [])].sort()) {
        if (next === start) {
          closing = at;
          break;
        }
        if (!back.has(next)) {
          back.set(next, at);
          queue.push(next);
        }
      }
    }
    if (!closing) continue;
    const loop = [start];
    for (let at = closing; at !== start; at = back.get(at)!) loop.splice(1, 0, at);
    const key = [...loop].sort().join(' ');
    if (seen.has(key)) continue;
    seen.add(key);
    const steps = loop.map((a, i) => {
      const b = loop[(i + 1) % loop.length]!;
      const e = edges.get(a)!.get(b)!;
      return `${a} → ${b} (${e.file}:${e.line})`;
    });
    const first = edges.get(loop[0]!)!.get(loop[1 % loop.length]!)!;
    out.push({ ...first, rule: `import circle between folders: ${steps.join(', ')}` });
  }
  return out;
}

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

function listSources(dir: string): string[] {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((entry) => {
    if (entry.name === 'node_modules' || entry.name === 'dist' || entry.name.startsWith('.')) return [];
    const full = join(dir, entry.name);
    if (entry.isDirectory()) return listSources(full);
    return /\.(tsx?|mjs)$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [full] : [];
  });
}

const file = (path: string, text: string): SourceFile => ({ path, text });

describe('dependency direction: the checker', () => {
  it('reads every kind of import and tells type-only ones apart', () => {
    const refs = importsOf(
      file(
        'editor/x.tsx',
        [
          "import a from 'a';",
          "import type { B } from 'b';",
          "import { type C, type D } from 'c';",
          "import { type E, F } from 'e';",
          "export * from 'f';",
          "export type { G } from 'g';",
          "import 'h';",
          "const i = await import('i');",
          "type J = import('j').J;",
          "const k = require('k');",
          'const el = <div />;',
        ].join('\n'),
      ),
    );
    expect(refs.map((r) => [r.specifier, r.typeOnly, r.line])).toEqual([
      ['a', false, 1],
      ['b', true, 2],
      ['c', true, 3],
      ['e', false, 4],
      ['f', false, 5],
      ['g', true, 6],
      ['h', false, 7],
      ['i', false, 8],
      ['j', true, 9],
      ['k', false, 10],
    ]);
  });

  it('accepts imports that follow the direction', () => {
    const ok = [
      file('nodes/a/definition.ts', "import { z } from 'zod';\nimport { port } from '../core/define';"),
      file(
        'nodes/a/a.test.ts',
        "import { readFileSync } from 'node:fs';\nimport { describe } from 'vitest';",
      ),
      file('patches/p.ts', "import { registry } from '../nodes';"),
      file(
        'runtime/compile/c.ts',
        "import { registry } from '../../nodes';\nimport type { Patch } from '../../patches';",
      ),
      file(
        'editor/e.tsx',
        "import type { NodeStats } from '../runtime/protocol';\nimport { registry } from '../nodes';\nimport React from 'react';",
      ),
      file(
        'app/main.ts',
        "import { compile } from '../runtime/compile';\nimport { readFile } from 'node:fs/promises';",
      ),
      file(
        'e2e/a.e2e.test.ts',
        "import { startRuntime } from '../runtime/playwright';\nimport { helper } from './helpers/h';",
      ),
      file('scripts/anything.ts', "import { x } from '../editor/e';"),
    ];
    expect(checkDependencyDirection(ok)).toEqual([]);
  });

  it('reports each import that points the wrong way, with file, line and rule', () => {
    const bad = [
      file('nodes/a.ts', "import { x } from '../patches';"),
      file('nodes/b.ts', "import { readFileSync } from 'fs';\nimport { join } from 'node:path';"),
      file(
        'nodes/c.tsx',
        "import React from 'react';\nimport { createMachine } from 'xstate';\nimport { RTCPeerConnection } from 'werift';",
      ),
      file('nodes/d.ts', 'export function size() { return window.innerWidth + document.body.clientWidth; }'),
      file('nodes/e.ts', 'export const cwd = () => process.cwd();'),
      file('patches/p.ts', "import { compile } from '../runtime/compile';"),
      file('runtime/r.ts', "import { Editor } from '../editor/Editor';"),
      file('editor/e1.ts', "import { compile } from '../runtime/compile';"),
      file('editor/e2.ts', "import { PROTOCOL } from '../runtime/protocol';"),
      file(
        'e2e/x.e2e.test.ts',
        "import { compile } from '../runtime/compile';\nimport { registry } from '../nodes';",
      ),
      file('runtime/s.ts', "import pkg from '../package.json';"),
    ];
    expect(checkDependencyDirection(bad).map((v) => `${v.file}:${v.line} ${v.specifier}: ${v.rule}`)).toEqual(
      [
        'nodes/a.ts:1 ../patches: nodes/ may not import patches/',
        'nodes/b.ts:1 fs: nodes/ may not import Node built-in modules',
        'nodes/b.ts:2 node:path: nodes/ may not import Node built-in modules',
        'nodes/c.tsx:1 react: nodes/ may not import react (Node-only, UI or state-machine package)',
        'nodes/c.tsx:2 xstate: nodes/ may not import xstate (Node-only, UI or state-machine package)',
        'nodes/c.tsx:3 werift: nodes/ may not import werift (Node-only, UI or state-machine package)',
        'nodes/d.ts:1 window: nodes/ may not use the DOM',
        'nodes/d.ts:1 document: nodes/ may not use the DOM',
        'nodes/e.ts:1 process: nodes/ may not use Node-only globals',
        'patches/p.ts:1 ../runtime/compile: patches/ may not import runtime/',
        'runtime/r.ts:1 ../editor/Editor: runtime/ may not import editor/',
        'editor/e1.ts:1 ../runtime/compile: editor may import only runtime/protocol from runtime/',
        'editor/e2.ts:1 ../runtime/protocol: editor may import runtime/protocol with `import type` only',
        'e2e/x.e2e.test.ts:1 ../runtime/compile: e2e/ may not import runtime/',
        'e2e/x.e2e.test.ts:2 ../nodes: e2e/ may not import nodes/',
        'runtime/s.ts:1 ../package.json: runtime/ may not import "package.json" (outside the source folders)',
      ],
    );
  });

  it('inside runtime/, accepts imports down the layers and tests that reach up', () => {
    const ok = [
      file(
        'runtime/engine/engine.ts',
        "import { ManualClock } from '../clock';\nimport type { Plan } from '../compile/types';",
      ),
      file(
        'runtime/server/server.ts',
        "import { relayRoutes } from '../relay';\nimport { JsonInputError } from '../json';",
      ),
      file('runtime/relay/link.ts', "import { patchFromPipelines } from '../../patches';"),
      file('runtime/relay/relay.test.ts', "import { createServer } from '../server';"),
      file('runtime/media/chromium.test.ts', "import { CHROMIUM_FLAGS } from '../playwright/chromium';"),
      file('runtime/cli/commands/serve.ts', "import { createServer } from '../../server';"),
    ];
    expect(checkDependencyDirection(ok)).toEqual([]);
  });

  it('inside runtime/, reports imports up or across the layers and folders without a layer', () => {
    const bad = [
      file('runtime/clock/index.ts', "import type { Clock } from '../engine/api';"),
      file('runtime/session/session.ts', "import { relayClient } from '../relay/client';"),
      file('runtime/media/peer.ts', "import { createServer } from '../server';"),
      file('runtime/gadgets/g.ts', "import { probe } from '../host';"),
      file('runtime/engine/x.ts', "import { gadget } from '../gadgets';"),
    ];
    expect(checkDependencyDirection(bad).map((v) => `${v.file}:${v.line} ${v.specifier}: ${v.rule}`)).toEqual(
      [
        'runtime/clock/index.ts:1 ../engine/api: runtime/clock/ may not import runtime/engine/ (a higher layer in RUNTIME_LAYERS)',
        'runtime/session/session.ts:1 ../relay/client: runtime/session/ may not import runtime/relay/ (same layer in RUNTIME_LAYERS)',
        'runtime/media/peer.ts:1 ../server: runtime/media/ may not import runtime/server/ (a higher layer in RUNTIME_LAYERS)',
        'runtime/gadgets/g.ts:1 ../host: runtime/gadgets/ has no layer in RUNTIME_LAYERS: add it there and to CONTEXT.md',
        'runtime/engine/x.ts:1 ../gadgets: runtime/gadgets/ has no layer in RUNTIME_LAYERS: add it there and to CONTEXT.md',
      ],
    );
  });

  it('checks bench/, scripts/, bin/ and .mjs files', () => {
    const ok = [
      file(
        'bench/scenarios/compile.ts',
        "import { compile } from '../../runtime/compile';\nimport { median } from '../stats';",
      ),
      file('scripts/make-test-media.ts', "import { makeTestMedia } from '../runtime/io';"),
      file('bin/patchbay.mjs', "const { main } = await import('../runtime/cli/main.ts');"),
      file('runtime/engine/worker-entry.mjs', "await import('./worker.ts');"),
    ];
    expect(checkDependencyDirection(ok)).toEqual([]);
    const bad = [
      file('bench/scenarios/editor.ts', "import { Editor } from '../../editor/src/Editor';"),
      file('scripts/x.ts', "import { main } from '../app/main';"),
      file('bin/patchbay.mjs', "const { createServer } = await import('../runtime/server/index.ts');"),
      file('runtime/engine/worker-entry.mjs', "await import('../server/index.ts');"),
      file('runtime/cli/commands/bench.ts', "import { runBench } from '../../../bench';"),
    ];
    expect(checkDependencyDirection(bad).map((v) => `${v.file}:${v.line} ${v.specifier}: ${v.rule}`)).toEqual(
      [
        'bench/scenarios/editor.ts:1 ../../editor/src/Editor: bench/ may not import editor/',
        'scripts/x.ts:1 ../app/main: scripts/ may not import app/',
        'bin/patchbay.mjs:1 ../runtime/server/index.ts: bin/ may not import runtime/',
        'runtime/engine/worker-entry.mjs:1 ../server/index.ts: runtime/engine/ may not import runtime/server/ (a higher layer in RUNTIME_LAYERS)',
        'runtime/cli/commands/bench.ts:1 ../../../bench: runtime/ may not import bench/',
      ],
    );
  });

  it('reports each import circle between folders once, with every step', () => {
    const files = [
      // relay ↔ server, as it was: each side is also a direction error, the circle is reported too
      file('runtime/relay/link.ts', "import { patchFromPipelines } from '../server';"),
      file('runtime/server/server.ts', "import { relayRoutes } from '../relay';"),
      // a circle of three top folders with no other rule about them (only the circle check sees it)
      file('x/a.ts', "import { b } from '../y/b';"),
      file('y/b.ts', "import { c } from '../z/c';"),
      file('z/c.ts', "import { a } from '../x/a';"),
      // the editor's folders: components reading the store's hooks from app/, app/ rendering components
      file('editor/src/app/App.tsx', "import { Canvas } from '../components/Canvas';"),
      file('editor/src/components/Canvas.tsx', "import { useEditor } from '../app/context';"),
      // tests are left out: nothing imports a test, so it closes no circle
      file('runtime/media/chromium.test.ts', "import { CHROMIUM_FLAGS } from '../playwright/chromium';"),
      file('runtime/playwright/webm.ts', "import { readWebm } from '../io';"),
      file('runtime/io/recorder.ts', "import { encoder } from '../media';"),
    ];
    expect(findImportCircles(files).map((v) => `${v.file}:${v.line} ${v.rule}`)).toEqual([
      'editor/src/app/App.tsx:1 import circle between folders: editor/src/app → editor/src/components (editor/src/app/App.tsx:1), editor/src/components → editor/src/app (editor/src/components/Canvas.tsx:1)',
      'runtime/relay/link.ts:1 import circle between folders: runtime/relay → runtime/server (runtime/relay/link.ts:1), runtime/server → runtime/relay (runtime/server/server.ts:1)',
      'x/a.ts:1 import circle between folders: x → y (x/a.ts:1), y → z (y/b.ts:1), z → x (z/c.ts:1)',
    ]);
    expect(checkDependencyDirection(files.slice(0, 2)).map((v) => v.rule)).toEqual([
      'runtime/relay/ may not import runtime/server/ (a higher layer in RUNTIME_LAYERS)',
      'import circle between folders: runtime/relay → runtime/server (runtime/relay/link.ts:1), runtime/server → runtime/relay (runtime/server/server.ts:1)',
    ]);
  });

  it('does not mistake property names or locals for DOM or Node globals', () => {
    const text = [
      'const o = { window: 1, process: 2 };',
      'export const w = o.window + o.process;',
      'interface I { document: string }',
      'export function f(navigator: number) { return navigator; }',
    ].join('\n');
    expect(checkDependencyDirection([file('nodes/ok.ts', text)])).toEqual([]);
  });
});

describe('dependency direction: this repository', () => {
  it('every .ts/.tsx/.mjs file under nodes/ patches/ runtime/ editor/ app/ e2e/ bench/ scripts/ bin/ follows the direction, with no circle', () => {
    const files = AREAS.flatMap((area) => listSources(join(ROOT, area))).map((full) =>
      file(relative(ROOT, full).split('\\').join('/'), readFileSync(full, 'utf8')),
    );
    expect(files.length).toBeGreaterThan(10);
    const violations = checkDependencyDirection(files).map(
      (v) => `${v.file}:${v.line} imports ${v.specifier}: ${v.rule}`,
    );
    expect(violations).toEqual([]);
  });
});
