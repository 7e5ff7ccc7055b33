// Bundles the Electron entry points into app/dist/: main.cjs (the main process) and preload.cjs
// (the sandboxed preload, which must be a single CommonJS file). esbuild comes with tsx and vite;
// 'electron' stays external (the binary provides it at run time).
import { build } from 'esbuild';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const appDir = dirname(dirname(fileURLToPath(import.meta.url)));

/** Builds app/dist (or `outdir`) and returns the path of main.cjs. */
export async function buildApp({ minify = false, outdir = join(appDir, 'dist') } = {}) {
  mkdirSync(outdir, { recursive: true });
  const common = {
    bundle: true,
    platform: 'node',
    format: 'cjs',
    // Electron 40 ships Node 24; node20 keeps the output valid for any supported Electron.
    target: 'node20',
    // electron-updater requires electron when loaded; it ships in the packaged app's node_modules.
    external: ['electron', 'electron-updater'],
    sourcemap: 'linked',
    minify,
    logLevel: 'warning',
  };
  await build({ ...common, entryPoints: [join(appDir, 'main.ts')], outfile: join(outdir, 'main.cjs') });
  await build({ ...common, entryPoints: [join(appDir, 'preload.ts')], outfile: join(outdir, 'preload.cjs') });
  // Electron reads name/productName from the package.json next to the entry when run unpackaged.
  writeFileSync(
    join(outdir, 'package.json'),
    JSON.stringify(
      { name: 'patchbay', productName: 'Patchbay', main: 'main.cjs', type: 'commonjs' },
      null,
      2,
    ) + '\n',
  );
  return join(outdir, 'main.cjs');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const at = process.argv.indexOf('--outdir');
  const main = await buildApp({
    minify: process.argv.includes('--minify'),
    ...(at > 0 && process.argv[at + 1] ? { outdir: process.argv[at + 1] } : {}),
  });
  console.log(`built ${main}`);
}
