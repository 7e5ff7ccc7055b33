/**
 * `patchbay import FILE -o OUT.patch`: converts a Daydream Scope workflow
 * (`*.scope-workflow.json`), a Scope legacy timeline (v"2.1") or Scope's graph wire form (bare
 * or inside `initialParameters`) into a .patch, checks it like `validate` does, and writes it.
 * A PNG or a recording the runtime wrote (`.png`, `.webm`, `.mp4`, `.mov`, `.mkv`) gives back
 * the patch that made it (embedded by runtime/io/embed.ts).
 * An existing OUT is kept unless `--force` is given; a patch with errors is not written.
 */
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { importDocument, serializePatch, type ImportKind } from '../../../patches';
import type { CliCommand, CliIo } from '../main';
import { lineSafeIo } from '../safe-io';
import { checkPatch, issueLine, readPatchFile } from './validate';

const USAGE = 'import FILE -o OUT.patch [--force] [--name NAME]';

/** Files that may carry their patch inside (PNG iTXt, container tags). */
const MEDIA_RE = /\.(png|webm|mp4|mov|mkv)$/i;

/** The `.patch` text inside a PNG or a recording. */
async function readEmbedded(
  file: string,
): Promise<{ ok: true; text: string } | { ok: false; message: string }> {
  try {
    // Loaded only here: runtime/io brings FFmpeg, which the other imports do not need.
    const { patchFromMediaFile } = await import('../../io');
    const text = patchFromMediaFile(file);
    return text
      ? { ok: true, text }
      : { ok: false, message: 'carries no patch (it was not written by Patchbay)' };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { ok: false, message: 'no such file' };
    return { ok: false, message: `cannot be read: ${(error as Error).message}` };
  }
}

const KIND_NAMES: Record<ImportKind, string> = {
  patchbay: 'a Patchbay patch',
  'scope-workflow': 'a Scope workflow',
  'scope-timeline': 'a Scope timeline (v2.1)',
  'scope-graph': 'a Scope graph',
};

/** This build's version, written into imported patches' metadata.app_version. */
export function appVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
      version?: unknown;
    };
    return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
  } catch {
    return '0.0.0';
  }
}

interface ImportArgs {
  input?: string;
  output?: string;
  force: boolean;
  name?: string;
}

function parseArgs(args: string[]): ImportArgs | string {
  const out: ImportArgs = { force: false };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const value = (): string | undefined => (eq > 0 ? arg.slice(eq + 1) : args[++i]);
    if (flag === '-o' || flag === '--output') {
      const v = value();
      if (!v) return `${flag} needs a file name`;
      out.output = v;
    } else if (flag === '--name') {
      const v = value();
      if (!v) return '--name needs a value';
      out.name = v;
    } else if (flag === '--force' || flag === '-f') out.force = true;
    else if (flag.startsWith('-')) return `unknown option "${arg}"`;
    else if (out.input === undefined) out.input = arg;
    else return `only one FILE can be imported at a time (got "${out.input}" and "${arg}")`;
  }
  if (!out.input) return 'name the FILE to import';
  if (!out.output) return 'name the patch to write with -o OUT.patch';
  return out;
}

export const importCommand: CliCommand = {
  name: 'import',
  summary: 'convert a Scope workflow, timeline or graph, or a Patchbay PNG/recording, into a .patch',
  usage: USAGE,
  async run(args: string[], rawIo: CliIo): Promise<number> {
    const io = lineSafeIo(rawIo);
    if (args.includes('--help') || args.includes('-h')) {
      io.out(`usage: patchbay ${USAGE}`);
      io.out('  reads *.scope-workflow.json, Scope timeline v2.1 files and Scope graphs ({nodes, edges})');
      io.out('  and PNGs or recordings (.webm .mp4 .mov .mkv) Patchbay wrote: the patch that made them');
      io.out('  --force  overwrite OUT if it exists');
      io.out('  --name   the patch name (metadata.name)');
      return 0;
    }
    const parsed = parseArgs(args);
    if (typeof parsed === 'string') {
      io.err(`patchbay import: ${parsed}. Usage: patchbay ${USAGE}`);
      return 2;
    }
    const input = parsed.input!;
    const output = parsed.output!;
    const read = MEDIA_RE.test(input) ? await readEmbedded(input) : await readPatchFile(input);
    if (!read.ok) {
      io.err(`${input}: ${read.message}`);
      return 1;
    }
    if (MEDIA_RE.test(input)) io.out(`${input}: carries the patch that made it`);
    const result = importDocument(read.text, { appVersion: appVersion() });
    if (!result.ok) {
      if (result.kind) io.err(`${input}: read as ${KIND_NAMES[result.kind]}, but it cannot be converted:`);
      for (const i of result.issues) io.err(issueLine(input, i));
      return 1;
    }
    const patch = result.patch;
    if (parsed.name) patch.metadata.name = parsed.name;
    // Conversion warnings point into the source file; the checks point into the new patch.
    for (const i of result.sourceIssues) io.out(issueLine(input, i));
    const check = checkPatch(output, patch, result.issues);
    for (const line of check.warnings) io.out(line);
    for (const line of check.errors) io.err(line);
    if (check.errors.length) {
      io.err(`${output}: not written: the converted patch has errors`);
      return 1;
    }
    try {
      await writeFile(output, serializePatch(patch), { encoding: 'utf8', flag: parsed.force ? 'w' : 'wx' });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') io.err(`${output}: already exists; use --force to overwrite it`);
      else if (code === 'ENOENT') io.err(`${output}: cannot be written: its folder does not exist`);
      else io.err(`${output}: cannot be written: ${(error as Error).message}`);
      return 1;
    }
    io.out(
      `${input}: ${KIND_NAMES[result.kind]} → ${output} (${patch.nodes.length} nodes, ${patch.edges.length} edges${
        result.migrations.length ? `; migrated: ${result.migrations.join(', ')}` : ''
      })`,
    );
    return 0;
  },
};
