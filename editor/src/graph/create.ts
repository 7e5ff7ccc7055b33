import { PIPELINES, type NodeRegistry } from '../../../nodes';
import { PATCH_FORMAT, PATCH_FORMAT_VERSION, type Patch, type PatchNode } from '../../../patches';

/** The app version written into new patches' metadata. */
export const EDITOR_VERSION = '0.1.0';

/** A new, empty patch. `now` is injected so tests are deterministic. */
export function emptyPatch(name = 'Untitled', now: Date = new Date()): Patch {
  return {
    format: PATCH_FORMAT,
    format_version: PATCH_FORMAT_VERSION,
    metadata: { name, created_at: now.toISOString(), app_version: EDITOR_VERSION },
    nodes: [],
    edges: [],
  };
}

/**
 * A node id not in `taken`: the type followed by the smallest free number ("pipeline-2").
 * Ids are readable because errors and the runtime's messages name them.
 */
export function freshId(base: string, taken: ReadonlySet<string>): string {
  const stem = base.replace(/[^a-z0-9-]/gi, '-').toLowerCase() || 'node';
  for (let n = 1; ; n++) {
    const id = `${stem}-${n}`;
    if (!taken.has(id)) return id;
  }
}

/** An edge id for a connection, unique in `taken`, within the .patch id alphabet ("camera-1.video--pipeline-1.video"). */
export function edgeId(
  from: { node: string; port: string },
  to: { node: string; port: string },
  taken: ReadonlySet<string>,
): string {
  const base = `${from.node}.${from.port}--${to.node}.${to.port}`;
  if (!taken.has(base)) return base;
  for (let n = 2; ; n++) if (!taken.has(`${base}-${n}`)) return `${base}-${n}`;
}

/**
 * A new node of `type` with the definition's default params (plus `params` overrides) at
 * `position`, with an id unique in the patch. Throws when the type is unknown.
 */
export function createNode(
  patch: Patch,
  registry: NodeRegistry,
  type: string,
  position: { x: number; y: number },
  params: Record<string, unknown> = {},
): PatchNode {
  const def = registry.get(type);
  if (!def) throw new Error(`unknown node type "${type}"`);
  const defaults = def.params.parse({}) as Record<string, unknown>;
  const taken = new Set(patch.nodes.map((n) => n.id));
  return {
    id: freshId(type, taken),
    type,
    version: def.version,
    params: { ...defaults, ...params },
    position: { x: Math.round(position.x), y: Math.round(position.y) },
  };
}

/** One entry of the add-node palette: a node type, optionally preset (a Pipeline running "gray"). */
export interface PaletteItem {
  key: string;
  type: string;
  label: string;
  category: string;
  description: string;
  params: Record<string, unknown>;
  /** Extra words that match in search. */
  keywords: string;
}

/** Every palette entry: each node type, then each catalog pipeline as a preset Pipeline node. */
export function paletteItems(registry: NodeRegistry): PaletteItem[] {
  const items: PaletteItem[] = registry.list().map((d) => ({
    key: d.type,
    type: d.type,
    label: d.displayName,
    category: d.category,
    description: d.description,
    params: {},
    keywords: `${d.type} ${d.category}`,
  }));
  if (registry.get('pipeline')) {
    for (const p of PIPELINES) {
      items.push({
        key: `pipeline:${p.id}`,
        type: 'pipeline',
        label: `${p.name} pipeline`,
        category: 'pipeline',
        description:
          p.kind === 'gpu' ? `${p.description} GPU: runs on a remote backend here.` : p.description,
        params: { pipeline_id: p.id, width: p.defaultWidth, height: p.defaultHeight },
        keywords: `pipeline ${p.id} ${p.kind}`,
      });
    }
  }
  return items;
}

/**
 * Palette entries matching a query, best first: every word must appear in the label, type or
 * keywords; label prefix matches rank above substring matches. An empty query lists all.
 */
export function searchPalette(items: readonly PaletteItem[], query: string): PaletteItem[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (!words.length) return [...items];
  const scored: { item: PaletteItem; score: number; i: number }[] = [];
  items.forEach((item, i) => {
    const label = item.label.toLowerCase();
    const hay = `${label} ${item.keywords.toLowerCase()} ${item.description.toLowerCase()}`;
    let score = 0;
    for (const w of words) {
      if (label.startsWith(w)) score += 3;
      else if (label.split(/\s+/).some((part) => part.startsWith(w))) score += 2;
      else if (item.keywords.toLowerCase().includes(w) || label.includes(w)) score += 1;
      else if (hay.includes(w)) score += 0.25;
      else return;
    }
    scored.push({ item, score, i });
  });
  return scored.sort((a, b) => b.score - a.score || a.i - b.i).map((s) => s.item);
}
