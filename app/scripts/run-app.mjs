// `npm run app`: starts the desktop app in development. Finds an Electron binary (see
// app/electron-binary.ts), bundles main and preload with esbuild, and launches Electron on them,
// passing on any arguments (`npm run app -- show.patch`). Without Electron it says how to get it
// and exits 1.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

const root = dirname(dirname(dirname(fileURLToPath(import.meta.url))));
register();
const { findElectronBinary, missingElectronHelp } = await import('../electron-binary.ts');

const lookup = findElectronBinary(root);
if (!lookup.found) {
  console.error(missingElectronHelp(lookup.reason));
  process.exit(1);
}
const { buildApp } = await import('./build-app.mjs');
const main = await buildApp();

const args = [join(dirname(main)), ...process.argv.slice(2)];
// Chromium refuses to start as root with its sandbox on (containers, CI). The renderers keep
// Electron's sandbox option; only the OS-level setuid sandbox is off in that case.
if (process.platform === 'linux' && process.getuid?.() === 0) {
  console.error(
    'run-app: running as root, so Chromium needs --no-sandbox (do not run Patchbay as root on stage)',
  );
  args.push('--no-sandbox');
}
console.error(`run-app: ${lookup.path} (${lookup.source})`);
const child = spawn(lookup.path, args, {
  stdio: 'inherit',
  // The runtime child runs on the same Node that runs this script.
  env: { ...process.env, PATCHBAY_NODE: process.execPath, PATCHBAY_ROOT: root },
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
child.on('error', (error) => {
  console.error(`run-app: could not start Electron: ${error.message}`);
  process.exit(1);
});
