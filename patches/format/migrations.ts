import { migrateNodeParams, type NodeMigrateResult } from '../../nodes';
import { issue } from './issues';
import type { PatchIssue } from './types';
import { PATCH_FORMAT_VERSION } from './types';

/**
 * Migrations: named steps that each lead a file from one version to the next. Two chains:
 *
 * - **Format** (`format_version`): the file's shape. Each step takes the whole document at
 *   version `from` and returns it at `from + 1`. Steps run on unvalidated JSON, so they check
 *   what they read and report through `ctx.fail` rather than throw; fields they do not know
 *   pass through untouched.
 * - **Node** (each node's `version`): a node type's params layout. The steps live in the node
 *   definition (`migrations`, one per past version) and run on that node's params only.
 *
 * Format history:
 *
 * | version | what changed |
 * |---|---|
 * | 0 | draft: `connections: [{from: "node:port", to: "node:port"}]` (no ids), node `position: [x, y]`, no node `version`, metadata `title`/`created` |
 * | 1 | `edges: [{id, from: {node, port}, to: {node, port}}]`, `position: {x, y}`, node `version`, metadata `name`/`created_at`/`app_version` |
 */

type Json = Record<string, unknown>;

export interface MigrationContext {
  /** Records why the step cannot go on, at a path in the document being migrated. */
  fail(path: (string | number)[], message: string): void;
}

export interface FormatMigration {
  /** The version it reads; it writes `from + 1`. */
  from: number;
  name: string;
  description: string;
  up(doc: Json, ctx: MigrationContext): Json;
}

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Splits the draft's `"node:port"` reference at its last colon (ids had no colons). */
function splitRef(ref: unknown): { node: string; port: string } | null {
  if (typeof ref !== 'string') return null;
  const at = ref.lastIndexOf(':');
  if (at <= 0 || at === ref.length - 1) return null;
  return { node: ref.slice(0, at), port: ref.slice(at + 1) };
}

/** Version 0 (the draft format) → version 1. */
export const connectionsToEdges: FormatMigration = {
  from: 0,
  name: 'connections-to-edges',
  description:
    'Draft connections ("node:port" strings, no ids) become edges with ids and {node, port} ends; ' +
    'node positions [x, y] become {x, y}; nodes get version 1; metadata title/created become name/created_at.',
  up(doc, ctx) {
    const { connections, ...rest } = doc;
    const out: Json = { ...rest };

    const meta = isObject(doc.metadata) ? doc.metadata : {};
    const { title, created, ...metaRest } = meta;
    out.metadata = {
      ...metaRest,
      name: typeof meta.name === 'string' ? meta.name : typeof title === 'string' ? title : 'Untitled',
      created_at:
        typeof meta.created_at === 'string' ? meta.created_at : typeof created === 'string' ? created : '',
      app_version: typeof meta.app_version === 'string' ? meta.app_version : '0.0.0',
    };

    if (Array.isArray(doc.nodes)) {
      out.nodes = doc.nodes.map((node) => {
        if (!isObject(node)) return node; // the schema reports it
        const next: Json = { ...node };
        if (next.version === undefined) next.version = 1;
        if (Array.isArray(node.position) && node.position.length === 2) {
          next.position = { x: node.position[0], y: node.position[1] };
        }
        if (next.params === undefined) next.params = {};
        return next;
      });
    }

    if (connections === undefined) {
      out.edges = Array.isArray(doc.edges) ? doc.edges : [];
      return out;
    }
    if (!Array.isArray(connections)) {
      ctx.fail(['connections'], 'connections must be a list of {from: "node:port", to: "node:port"}');
      return out;
    }
    const used = new Set<string>();
    out.edges = connections.map((c, i) => {
      if (!isObject(c)) {
        ctx.fail(['connections', i], 'a connection must be an object {from, to}');
        return c;
      }
      const { from: fromText, to: toText, id, ...cRest } = c;
      const from = splitRef(fromText);
      const to = splitRef(toText);
      if (!from)
        ctx.fail(['connections', i, 'from'], `expected "node:port", got ${JSON.stringify(fromText)}`);
      if (!to) ctx.fail(['connections', i, 'to'], `expected "node:port", got ${JSON.stringify(toText)}`);
      let edgeId = typeof id === 'string' && id ? id : `e${i + 1}`;
      for (let n = 2; used.has(edgeId); n++) edgeId = `e${i + 1}-${n}`;
      used.add(edgeId);
      return { id: edgeId, from, to, ...cRest };
    });
    return out;
  },
};

/** Every format migration, in order; `FORMAT_MIGRATIONS[k].from === k`. */
export const FORMAT_MIGRATIONS: readonly FormatMigration[] = [connectionsToEdges];

/** The oldest format version this build reads. */
export const OLDEST_FORMAT_VERSION = FORMAT_MIGRATIONS.length
  ? FORMAT_MIGRATIONS[0]!.from
  : PATCH_FORMAT_VERSION;

export type MigrateResult = { ok: true; doc: Json; applied: string[] } | { ok: false; issues: PatchIssue[] };

/**
 * Leads a document from its `format_version` up to the current one, step by step. Refuses a
 * version newer than this build (with the version in the message) and stops at the first step
 * that reports a problem.
 *
 * @example migrateFormat({format:'patchbay', format_version:0, connections:[...], ...})
 *   // → {ok:true, doc:{..., format_version:1, edges:[...]}, applied:['connections-to-edges']}
 */
export function migrateFormat(
  input: Json,
  migrations: readonly FormatMigration[] = FORMAT_MIGRATIONS,
  current: number = PATCH_FORMAT_VERSION,
): MigrateResult {
  const version = input.format_version;
  if (typeof version !== 'number' || !Number.isInteger(version)) {
    return {
      ok: false,
      issues: [
        issue(
          'INVALID_FORMAT_VERSION',
          `format_version must be a whole number, got ${JSON.stringify(version) ?? 'nothing'}`,
          ['format_version'],
        ),
      ],
    };
  }
  if (version > current) {
    return {
      ok: false,
      issues: [
        issue(
          'FORMAT_TOO_NEW',
          `the file is format version ${version}; this Patchbay reads up to version ${current}. Update Patchbay to open it.`,
          ['format_version'],
        ),
      ],
    };
  }
  let doc = input;
  const applied: string[] = [];
  for (let v = version; v < current; v++) {
    const step = migrations.find((m) => m.from === v);
    if (!step) {
      return {
        ok: false,
        issues: [
          issue('MIGRATION_FAILED', `no migration from format version ${v}; this Patchbay cannot read it`, [
            'format_version',
          ]),
        ],
      };
    }
    const failures: PatchIssue[] = [];
    const ctx: MigrationContext = {
      fail: (path, message) =>
        failures.push(
          issue('MIGRATION_FAILED', `migration "${step.name}" (v${v}→v${v + 1}): ${message}`, path),
        ),
    };
    try {
      doc = { ...step.up(doc, ctx), format_version: v + 1 };
    } catch (error) {
      failures.push(
        issue(
          'MIGRATION_FAILED',
          `migration "${step.name}" (v${v}→v${v + 1}) failed: ${(error as Error).message}`,
        ),
      );
    }
    if (failures.length) return { ok: false, issues: failures };
    applied.push(step.name);
  }
  return { ok: true, doc, applied };
}

/** Node-version migrations run in one place, beside the definitions (nodes/core/migrate.ts). */
export { migrateNodeParams };
export type { NodeMigrateResult };
