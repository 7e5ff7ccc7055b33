/**
 * Command-line parsing for the desktop app. The same function reads the first launch's argv and
 * the argv a second launch hands over (`second-instance`), so "open with", a double-click in the
 * file manager and `patchbay-app show.patch` all end up as absolute `.patch` paths.
 */
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** What the app was asked to do at launch. */
export interface AppArgs {
  /** Absolute paths of `.patch` files to open, in order, without duplicates. */
  patchFiles: string[];
  /** `--devtools`: open the editor's developer tools. */
  devTools: boolean;
  /** Things on the command line that were ignored, each with why (logged, never fatal). */
  warnings: string[];
}

/** Flags the app understands; anything else starting with `-` belongs to Chromium or the OS. */
const APP_FLAGS = new Set(['--devtools']);

/**
 * Parses Electron's `process.argv` (or a second instance's argv). In development the first two
 * entries are the Electron binary and the main script, packaged only the executable, so
 * `leadingEntries` says how many to drop. Relative paths resolve against `cwd` (the second
 * instance's working directory, not ours). `file://` URLs (some file managers pass them) become
 * paths. Chromium switches (`--no-sandbox`, `--enable-logging`, macOS's `-psn_…`) are skipped.
 *
 * @example
 * parseAppArgs(['/opt/Patchbay/patchbay', 'show.patch'], '/home/vj', 1)
 * // → { patchFiles: ['/home/vj/show.patch'], devTools: false, warnings: [] }
 */
export function parseAppArgs(argv: readonly string[], cwd: string, leadingEntries: number): AppArgs {
  const result: AppArgs = { patchFiles: [], devTools: false, warnings: [] };
  let positionalOnly = false;
  for (const raw of argv.slice(leadingEntries)) {
    if (typeof raw !== 'string' || raw === '') continue;
    if (!positionalOnly && raw === '--') {
      positionalOnly = true;
      continue;
    }
    if (!positionalOnly && raw.startsWith('-')) {
      if (APP_FLAGS.has(raw)) result.devTools = true;
      continue;
    }
    const path = toPath(raw, cwd);
    if (path === null) {
      result.warnings.push(`ignored ${JSON.stringify(raw)}: not a file path`);
    } else if (!path.toLowerCase().endsWith('.patch')) {
      result.warnings.push(`ignored ${JSON.stringify(raw)}: Patchbay opens .patch files`);
    } else if (!result.patchFiles.includes(path)) {
      result.patchFiles.push(path);
    }
  }
  return result;
}

/**
 * How many leading argv entries are Electron's own: the binary, plus the main script when run
 * unpackaged (`electron app/dist/main.cjs …`).
 */
export function leadingArgvEntries(isPackaged: boolean): number {
  return isPackaged ? 1 : 2;
}

function toPath(raw: string, cwd: string): string | null {
  if (raw.startsWith('file:')) {
    try {
      return fileURLToPath(raw);
    } catch {
      return null;
    }
  }
  // Other URL schemes (http:, patchbay:) are not files; a Windows drive letter is.
  if (/^[a-z][a-z0-9+.-]+:/i.test(raw) && !/^[a-z]:[\\/]/i.test(raw)) return null;
  return isAbsolute(raw) ? resolve(raw) : resolve(cwd, raw);
}
