import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import * as nodesApi from '../../nodes';
import {
  createRegistry,
  defineNode,
  describeNode,
  NODE_API_VERSION,
  registry as builtinRegistry,
  type AnyNodeType,
  type NodeDefinition,
  type NodeRegistry,
  type ParamsShape,
} from '../../nodes';

/**
 * Node packages: third-party node types loaded when the runtime starts. A package is an npm
 * package whose package.json has the keyword `patchbay-node` (in the project's or the working
 * folder's node_modules), or a folder under `<dataDir>/nodes/`. It is shaped like a built-in
 * folder (definition, runtime, README, tests) plus an entry module that exports:
 *
 * ```js
 * export const nodeApiVersion = 1;              // the node API it was written for
 * export function nodeTypes(api) {             // api: nodes/index.ts's exports plus `z` (zod)
 *   return [api.nodeType(definition(api), runtime)];
 * }
 * ```
 *
 * The API arrives as an argument because a package cannot import Patchbay's sources by path;
 * it is the same one the built-ins use (nodes/core/runtime.ts). A package that cannot load (a
 * syntax error, another node API version, a definition the schema checks refuse, a type id that
 * is already taken) is refused with the package, the file and what to fix; the rest runs.
 */

/** What a package's `nodeTypes(api)` receives. */
export type NodePackageApi = typeof nodesApi & { z: typeof z };

/** The package.json keyword that marks an npm package as a node package. */
export const NODE_PACKAGE_KEYWORD = 'patchbay-node';

export interface NodePackageRefusal {
  /** The package name (package.json `name`, else the folder name). */
  package: string;
  /** The file at fault, relative to the package folder when inside it. */
  file: string;
  /** What is wrong. */
  reason: string;
  /** What to do about it. */
  fix: string;
}

export interface LoadedNodePackage {
  package: string;
  version: string;
  dir: string;
  /** The node type ids it added. */
  types: string[];
}

export interface NodePackages {
  /** Built-ins plus every loaded package's types. */
  registry: NodeRegistry;
  loaded: LoadedNodePackage[];
  refused: NodePackageRefusal[];
}

export interface NodePackageOptions {
  /** `<dataDir>/nodes/<folder>` are loaded (each folder is one package). */
  dataDir?: string;
  /** node_modules folders searched for packages with the keyword (default: `<cwd>/node_modules`). */
  nodeModules?: readonly string[];
  /** The types already there (default: the built-ins). */
  base?: NodeRegistry;
  log?: (line: string) => void;
}

interface Candidate {
  dir: string;
  name: string;
  version: string;
  manifest: Record<string, unknown> | null;
  /** Where it was found, for messages. */
  where: 'data' | 'npm';
}

class Refused extends Error {
  constructor(
    readonly file: string,
    readonly reason: string,
    readonly fix: string,
  ) {
    super(reason);
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const ENTRY_NAMES = ['index.ts', 'index.mjs', 'index.js'];

function readManifest(dir: string): Record<string, unknown> | null {
  const file = join(dir, 'package.json');
  if (!existsSync(file)) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Refused(
      'package.json',
      `package.json is not valid JSON (${(error as Error).message})`,
      'Fix the JSON.',
    );
  }
  if (!isRecord(parsed)) throw new Refused('package.json', 'package.json is not an object', 'Fix the JSON.');
  return parsed;
}

function dirs(parent: string): string[] {
  try {
    return readdirSync(parent)
      .filter((n) => !n.startsWith('.'))
      .map((n) => join(parent, n))
      .filter((p) => statSync(p).isDirectory());
  } catch {
    return [];
  }
}

/** Packages in node_modules (scoped ones too) whose package.json has the keyword. */
function npmCandidates(nodeModules: string): Candidate[] {
  const out: Candidate[] = [];
  const folders = dirs(nodeModules).flatMap((d) => (d.split(sep).pop()!.startsWith('@') ? dirs(d) : [d]));
  for (const dir of folders) {
    let manifest: Record<string, unknown> | null;
    try {
      manifest = readManifest(dir);
    } catch {
      continue; // Not ours to judge: a broken package.json of an unrelated package.
    }
    const keywords = manifest?.keywords;
    if (!Array.isArray(keywords) || !keywords.includes(NODE_PACKAGE_KEYWORD)) continue;
    out.push({
      dir,
      name: typeof manifest?.name === 'string' ? manifest.name : relative(nodeModules, dir),
      version: typeof manifest?.version === 'string' ? manifest.version : '0.0.0',
      manifest,
      where: 'npm',
    });
  }
  return out;
}

function entryOf(c: Candidate): string {
  const main = c.manifest?.main;
  if (typeof main === 'string') {
    const file = resolve(c.dir, main);
    if (!file.startsWith(resolve(c.dir) + sep) || !existsSync(file))
      throw new Refused(
        'package.json',
        `"main" names ${main}, which is not a file in the package`,
        'Point "main" at the entry module.',
      );
    return file;
  }
  const found = ENTRY_NAMES.map((n) => join(c.dir, n)).find((f) => existsSync(f));
  if (!found)
    throw new Refused(
      'package.json',
      `no entry module (package.json "main", or ${ENTRY_NAMES.join(' / ')})`,
      'Add an index.ts (or "main" in package.json) exporting nodeApiVersion and nodeTypes(api).',
    );
  return found;
}

/** The file inside the package an error points at (its stack or message), else `fallback`. */
function fileOf(error: unknown, dir: string, fallback: string): string {
  const text = `${(error as Error)?.message ?? ''}\n${(error as Error)?.stack ?? ''}`;
  const root = resolve(dir);
  for (const m of text.matchAll(/(?:file:\/\/)?(\/[^\s:'"()]+\.(?:[cm]?[jt]s))/g)) {
    const p = decodeURIComponent(m[1]!);
    if (p.startsWith(root + sep)) return relative(root, p);
  }
  return fallback;
}

/** JavaScript files of a package (not its node_modules), a few levels deep. */
function jsFiles(dir: string, depth = 0): string[] {
  if (depth > 3) return [];
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...jsFiles(p, depth + 1));
    else if (/\.[cm]?js$/.test(name)) out.push(p);
  }
  return out.slice(0, 200);
}

/**
 * The first JavaScript file of the package with a syntax error, with Node's own message
 * ("SyntaxError: Unexpected token ';' at line 3"). An import's error does not always say
 * which file failed to parse (the test runner's transform does not), so the files are checked
 * one by one with `node --check` when an import fails.
 */
function syntaxErrorIn(dir: string): { file: string; message: string } | null {
  for (const file of jsFiles(dir)) {
    try {
      execFileSync(process.execPath, ['--check', file], {
        stdio: ['ignore', 'ignore', 'pipe'],
        timeout: 10_000,
      });
    } catch (error) {
      const stderr = String((error as { stderr?: unknown }).stderr ?? '');
      const line = /:(\d+)\n/.exec(stderr)?.[1];
      const what = /^(SyntaxError: .*)$/m.exec(stderr)?.[1] ?? 'SyntaxError';
      return { file: relative(dir, file), message: line ? `${what} at line ${line}` : what };
    }
  }
  return null;
}

async function loadOne(c: Candidate, taken: Set<string>): Promise<{ types: AnyNodeType[] }> {
  const entry = entryOf(c);
  const entryName = relative(c.dir, entry);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(/* @vite-ignore */ pathToFileURL(entry).href)) as Record<string, unknown>;
  } catch (error) {
    const syntax =
      error instanceof SyntaxError || /syntax/i.test(String((error as Error)?.message))
        ? syntaxErrorIn(c.dir)
        : null;
    if (syntax)
      throw new Refused(
        syntax.file,
        `it could not be loaded: ${syntax.message}`,
        'Fix the syntax error in that file, then restart the runtime.',
      );
    throw new Refused(
      fileOf(error, c.dir, entryName),
      `it could not be loaded: ${(error as Error)?.message?.split('\n')[0] ?? String(error)}`,
      "Fix the error in that file (run the package's tests), then restart the runtime.",
    );
  }
  const version = mod.nodeApiVersion;
  if (typeof version !== 'number')
    throw new Refused(
      entryName,
      'it does not export nodeApiVersion',
      `Export "nodeApiVersion = ${NODE_API_VERSION}" from ${entryName} (the node API it is written for).`,
    );
  if (version !== NODE_API_VERSION)
    throw new Refused(
      entryName,
      `it is written for node API version ${version}; this runtime has node API version ${NODE_API_VERSION}`,
      version > NODE_API_VERSION
        ? `Update Patchbay, or use a release of the package for node API ${NODE_API_VERSION}.`
        : `Update the package to node API ${NODE_API_VERSION} (nodes/README.md lists the changes), or use an older Patchbay.`,
    );
  if (typeof mod.nodeTypes !== 'function')
    throw new Refused(
      entryName,
      'it does not export a nodeTypes(api) function',
      `Export "function nodeTypes(api)" from ${entryName}, returning [api.nodeType(definition, runtime), …].`,
    );
  let types: unknown;
  try {
    types = (mod.nodeTypes as (api: NodePackageApi) => unknown)({ ...nodesApi, z });
  } catch (error) {
    throw new Refused(
      fileOf(error, c.dir, entryName),
      `its node definitions are invalid: ${(error as Error)?.message ?? String(error)}`,
      'Fix the definition (every param needs a default and a paramMeta entry; the type id is kebab-case).',
    );
  }
  if (!Array.isArray(types) || !types.length)
    throw new Refused(
      entryName,
      'nodeTypes(api) returned no node types',
      'Return [api.nodeType(definition, runtime), …].',
    );
  const out: AnyNodeType[] = [];
  for (const t of types) {
    if (!isRecord(t) || !isRecord(t.definition) || typeof t.runtime !== 'function')
      throw new Refused(
        entryName,
        'nodeTypes(api) returned something that is not a node type',
        'Build each entry with api.nodeType(definition, runtime).',
      );
    const def = t.definition as unknown as NodeDefinition<ParamsShape>;
    try {
      // The checks every built-in passes: kebab-case id, params with defaults, paramMeta for each.
      defineNode(def);
      describeNode(def);
    } catch (error) {
      throw new Refused(
        fileOf(error, c.dir, entryName),
        `node type "${String(def.type)}" has an invalid definition: ${(error as Error)?.message ?? String(error)}`,
        'Fix the definition: every param needs a default and a paramMeta entry, and the params must be a zod object.',
      );
    }
    if (taken.has(def.type))
      throw new Refused(
        entryName,
        `node type "${def.type}" is already provided (built in or by another package)`,
        'Give the node type another id (type ids are never shared).',
      );
    out.push(t as unknown as AnyNodeType);
  }
  return { types: out };
}

/**
 * Loads every node package it finds. Never throws: a package that cannot load is refused with
 * its reason, and the others (and the built-ins) are in the registry.
 */
export async function loadNodePackages(options: NodePackageOptions = {}): Promise<NodePackages> {
  const base = options.base ?? builtinRegistry;
  const log = options.log ?? (() => {});
  const candidates: Candidate[] = [];
  const refused: NodePackageRefusal[] = [];
  if (options.dataDir)
    for (const dir of dirs(join(options.dataDir, 'nodes'))) {
      const name = dir.split(sep).pop()!;
      try {
        const manifest = readManifest(dir);
        candidates.push({
          dir,
          name: typeof manifest?.name === 'string' ? manifest.name : name,
          version: typeof manifest?.version === 'string' ? manifest.version : '0.0.0',
          manifest,
          where: 'data',
        });
      } catch (error) {
        const r = error as Refused;
        refused.push({ package: name, file: join(dir, r.file), reason: r.reason, fix: r.fix });
      }
    }
  for (const nm of options.nodeModules ?? [join(process.cwd(), 'node_modules')])
    candidates.push(...npmCandidates(nm));

  const taken = new Set(base.list().map((d) => d.type));
  const types: AnyNodeType[] = [];
  const loaded: LoadedNodePackage[] = [];
  const seen = new Set<string>();
  for (const c of candidates) {
    const real = resolve(c.dir);
    if (seen.has(real)) continue;
    seen.add(real);
    try {
      const got = await loadOne(c, taken);
      for (const t of got.types) taken.add(t.definition.type);
      types.push(...got.types);
      loaded.push({
        package: c.name,
        version: c.version,
        dir: c.dir,
        types: got.types.map((t) => t.definition.type),
      });
      log(`node package ${c.name}@${c.version}: ${got.types.map((t) => t.definition.type).join(', ')}`);
    } catch (error) {
      const r =
        error instanceof Refused
          ? error
          : new Refused(
              '',
              `it could not be loaded: ${(error as Error)?.message ?? String(error)}`,
              'Report this with the package.',
            );
      const file = r.file ? join(c.dir, r.file) : c.dir;
      refused.push({ package: c.name, file, reason: r.reason, fix: r.fix });
      log(`node package ${c.name} refused: ${r.reason} (${file}). ${r.fix}`);
    }
  }
  const registry = types.length
    ? createRegistry([
        ...base.list().map((d) => ({ definition: d, runtime: base.runtime(d.type) }) as AnyNodeType),
        ...types,
      ])
    : base;
  return { registry, loaded, refused };
}
