import { checkJsonValue, parseJsonSafely, PATCH_LIMITS } from '../format/guard';
import { issue } from '../format/issues';
import { parsePatch } from '../format/parse';
import { PATCH_FORMAT, type Patch, type PatchIssue } from '../format/types';
import { scopeGraphToPatch } from './scope-graph';
import { importScopeTimeline } from './scope-timeline';
import { importScopeWorkflow, type ImportOptions } from './scope-workflow';

/** What a file to import turned out to be. */
export type ImportKind = 'patchbay' | 'scope-workflow' | 'scope-timeline' | 'scope-graph';

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function looksLikeGraph(v: unknown): boolean {
  if (!isObject(v) || !Array.isArray(v.nodes) || !Array.isArray(v.edges)) return false;
  const edge = v.edges[0];
  const node = v.nodes[0];
  if (isObject(edge))
    return 'from_port' in edge || 'to_node' in edge || ('source' in edge && 'target' in edge);
  return isObject(node) && ['source', 'pipeline', 'sink', 'record', 'node'].includes(node.type as string);
}

/**
 * Recognises a document: a Patchbay patch, a Scope workflow, a Scope legacy timeline, or Scope's
 * graph wire form (bare, or inside `{graph}` / `{initialParameters: {graph}}`). Returns the
 * graph itself for the last, so the caller converts the right object.
 */
export function detectImportKind(doc: unknown): { kind: ImportKind; body: unknown } | null {
  if (!isObject(doc)) return null;
  if (doc.format === PATCH_FORMAT) return { kind: 'patchbay', body: doc };
  if (doc.format === 'scope-workflow') return { kind: 'scope-workflow', body: doc };
  if (Array.isArray(doc.prompts) && (typeof doc.version === 'string' || isObject(doc.settings)))
    return { kind: 'scope-timeline', body: doc };
  if (looksLikeGraph(doc)) return { kind: 'scope-graph', body: doc };
  if (looksLikeGraph(doc.graph)) return { kind: 'scope-graph', body: doc.graph };
  const init = doc.initialParameters;
  if (isObject(init) && looksLikeGraph(init.graph)) return { kind: 'scope-graph', body: init.graph };
  return null;
}

/**
 * `sourceIssues` point into the file that was imported (conversion warnings: a skipped timeline
 * entry, an unused setting); `issues` point into the resulting patch (the checks `parsePatch`
 * makes). When `ok` is false, `issues` says why, with paths into the imported file.
 */
export type ImportDocumentResult =
  | {
      ok: true;
      kind: ImportKind;
      patch: Patch;
      sourceIssues: PatchIssue[];
      issues: PatchIssue[];
      migrations: string[];
    }
  | { ok: false; kind: ImportKind | null; issues: PatchIssue[] };

/**
 * Imports any supported file (text or parsed value): guards size/depth/keys, detects the kind,
 * converts, then checks the result exactly as a loaded `.patch` is checked. `ok` means a patch
 * came out; its `issues` may still hold errors (see `patchErrors`), which the import command
 * refuses to write.
 *
 * @example importDocument(await readFile('show.scope-workflow.json', 'utf8'))
 */
export function importDocument(
  input: string | unknown,
  options: ImportOptions & { name?: string } = {},
): ImportDocumentResult {
  let doc: unknown;
  if (typeof input === 'string') {
    const parsed = parseJsonSafely(input, PATCH_LIMITS);
    if (!parsed.ok) return { ok: false, kind: null, issues: parsed.issues };
    doc = parsed.value;
  } else {
    const guard = checkJsonValue(input);
    if (guard.length) return { ok: false, kind: null, issues: guard };
    doc = input;
  }
  const detected = detectImportKind(doc);
  if (!detected) {
    return {
      ok: false,
      kind: null,
      issues: [
        issue(
          'WRONG_FORMAT',
          'not a file Patchbay can import: expected a Scope workflow (format "scope-workflow"), a Scope timeline (version "2.1"), a Scope graph ({nodes, edges}) or a .patch',
        ),
      ],
    };
  }
  const { kind, body } = detected;
  const converted =
    kind === 'patchbay'
      ? { ok: true as const, patch: body as Patch, issues: [] }
      : kind === 'scope-workflow'
        ? importScopeWorkflow(body, options)
        : kind === 'scope-timeline'
          ? importScopeTimeline(body, options)
          : scopeGraphToPatch(body, { ...options, name: options.name ?? 'Imported Scope graph' });
  if (!converted.ok) return { ok: false, kind, issues: converted.issues };
  const parsed = parsePatch(converted.patch, options.registry ? { registry: options.registry } : {});
  if (!parsed.ok) return { ok: false, kind, issues: [...converted.issues, ...parsed.issues] };
  return {
    ok: true,
    kind,
    patch: parsed.patch,
    sourceIssues: converted.issues,
    issues: parsed.issues,
    migrations: parsed.migrations,
  };
}
