import { z } from 'zod';
import { issue } from '../format/issues';
import type { PatchIssue } from '../format/types';
import { buildLinear, checkEntries } from './linear';
import { buildPatch, foreignIssues } from './scope-graph';
import type { ImportOptions, ImportResult } from './scope-workflow';

/**
 * Import of Scope's older standalone timeline file (version "2.1"): camelCase fields, prompt
 * weights on a 0–100 scale, and the pipeline settings beside the prompts. It becomes
 * camera → pipeline → output with a Prompt-timeline; `inputMode: "text"` leaves the camera out.
 */

const legacyEntry = z.looseObject({
  startTime: z.number(),
  endTime: z.number(),
  prompts: z.array(z.looseObject({ text: z.string().max(4000), weight: z.number().optional() })).optional(),
  text: z.string().max(4000).optional(),
  transitionSteps: z.number().optional(),
  temporalInterpolationMethod: z.string().optional(),
});

export const scopeLegacyTimelineSchema = z.looseObject({
  version: z.string().max(16),
  exportedAt: z.string().max(64).optional(),
  prompts: z.array(legacyEntry).max(1000),
  settings: z
    .looseObject({
      pipelineId: z.string().min(1).max(1024).optional(),
      inputMode: z.string().max(32).optional(),
      resolution: z.looseObject({ height: z.number(), width: z.number() }).optional(),
      seed: z.number().optional(),
      denoisingSteps: z.union([z.array(z.number()), z.number()]).optional(),
      noiseScale: z.number().optional(),
      manageCache: z.boolean().optional(),
    })
    .optional(),
});

/** `denoisingSteps` → `denoising_step_list`, `noiseScale` → `noise_scale`. */
export function camelToSnake(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/**
 * A Scope legacy timeline (v"2.1") as a patch. Weights 0–100 become 0–1; settings become
 * Pipeline params (resolution → width/height, seed, noise_scale, manage_cache,
 * denoising_step_list); settings it does not map are kept on the node as `scope_params`.
 */
export function importScopeTimeline(input: unknown, options: ImportOptions = {}): ImportResult {
  const checked = scopeLegacyTimelineSchema.safeParse(input);
  if (!checked.success) return { ok: false, issues: foreignIssues(checked.error) };
  const doc = checked.data;
  const issues: PatchIssue[] = [];
  if (doc.version !== '2.1') {
    issues.push(
      issue(
        'INVALID_FIELD',
        `timeline version "${doc.version}" is not 2.1; read as 2.1`,
        ['version'],
        'warning',
      ),
    );
  }
  const settings = doc.settings ?? {};
  const params: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(settings)) {
    if (key === 'pipelineId' || key === 'inputMode') continue;
    if (key === 'resolution') {
      params.width = settings.resolution!.width;
      params.height = settings.resolution!.height;
    } else if (key === 'denoisingSteps') {
      if (Array.isArray(value)) params.denoising_step_list = value;
      else
        issues.push(
          issue(
            'INVALID_FIELD',
            'denoisingSteps is a number, not a list of timesteps; not used',
            ['settings', key],
            'warning',
          ),
        );
    } else params[camelToSnake(key)] = value;
  }

  const raw = doc.prompts.map((e) => ({
    start_time: e.startTime,
    end_time: e.endTime,
    prompts: (e.prompts ?? (e.text !== undefined ? [{ text: e.text, weight: 100 }] : [])).map((p) => ({
      text: p.text,
      weight: (p.weight ?? 100) / 100,
    })),
    ...(e.transitionSteps !== undefined ? { transition_steps: e.transitionSteps } : {}),
    ...(e.temporalInterpolationMethod !== undefined
      ? { temporal_interpolation_method: e.temporalInterpolationMethod }
      : {}),
  }));
  const entries = checkEntries(raw, ['prompts'], issues);
  const pipelineId = settings.pipelineId ?? 'streamdiffusionv2';
  if (!settings.pipelineId) {
    issues.push(
      issue(
        'INVALID_FIELD',
        'settings.pipelineId is missing; using "streamdiffusionv2"',
        ['settings', 'pipelineId'],
        'warning',
      ),
    );
  }
  const { nodes, edges } = buildLinear({
    inputMode: settings.inputMode === 'text' ? 'text' : 'video',
    pipelines: [{ pipeline_id: pipelineId, params, path: ['settings'] }],
    entries,
  });
  const meta = {
    name: 'Imported Scope timeline',
    ...(doc.exportedAt ? { created_at: doc.exportedAt } : {}),
    imported_from: { format: 'scope-timeline', version: doc.version },
  };
  return { ok: true, patch: buildPatch(meta, nodes, edges, options.appVersion ?? '0.0.0'), issues };
}
