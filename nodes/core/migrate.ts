import type { NodeDefinition, ParamsShape } from './types';

export type NodeMigrateResult =
  | { ok: true; params: Record<string, unknown>; version: number; applied: string[] }
  | {
      ok: false;
      code: 'NODE_VERSION_TOO_NEW' | 'NODE_MIGRATION_FAILED';
      message: string;
      /** The step that is missing (no `name`) or failed, when one is to blame. */
      step?: { from: number; name?: string };
      /** Why the step failed (its error's message). */
      cause?: string;
    };

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Upgrades one node's params from `version` to its definition's current version with the
 * definition's named migrations (one per past version, in the node's folder). A version newer
 * than the definition is refused: the params would be guessed at, and guessing on stage is
 * worse than a clear error. The one place node migrations run: the .patch parser
 * (patches/format) and the compiler both call it.
 */
export function migrateNodeParams(
  def: NodeDefinition<ParamsShape>,
  version: number,
  params: Record<string, unknown>,
): NodeMigrateResult {
  if (version > def.version) {
    return {
      ok: false,
      code: 'NODE_VERSION_TOO_NEW',
      message: `"${def.type}" params are version ${version}; this Patchbay has version ${def.version} of that node type. Update Patchbay (or the node package) to open it.`,
    };
  }
  let current = { ...params };
  const applied: string[] = [];
  for (let v = version; v < def.version; v++) {
    const step = def.migrations.find((m) => m.from === v);
    if (!step) {
      return {
        ok: false,
        code: 'NODE_MIGRATION_FAILED',
        message: `"${def.type}" has no migration from version ${v}`,
        step: { from: v },
      };
    }
    try {
      const up: unknown = step.up({ ...current });
      if (!isRecord(up)) throw new Error('it did not return a params object');
      current = { ...up };
    } catch (error) {
      const cause = (error as Error | undefined)?.message ?? String(error);
      return {
        ok: false,
        code: 'NODE_MIGRATION_FAILED',
        message: `"${def.type}" migration "${step.name}" (v${v}→v${v + 1}) failed: ${cause}`,
        step: { from: v, name: step.name },
        cause,
      };
    }
    applied.push(`${def.type} ${step.name} (v${v}→v${v + 1})`);
  }
  return { ok: true, params: current, version: def.version, applied };
}
