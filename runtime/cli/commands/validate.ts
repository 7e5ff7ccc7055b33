/**
 * `patchbay validate FILE…`: checks .patch files the way the runtime loads them (size and depth
 * guards, migrations, structure, node params, edges) and then compiles each one, as on a host
 * with a camera and nothing else. Prints `FILE: ok` or one line per problem,
 * `FILE: <path>: <message>`; warnings (unknown node types or params, nodes disabled or degraded
 * for a missing capability) are marked and fail only with `--strict`.
 */
import { readFile, stat } from 'node:fs/promises';
import { registry } from '../../../nodes';
import {
  formatPath,
  parsePatch,
  patchErrors,
  PATCH_LIMITS,
  type Patch,
  type PatchIssue,
} from '../../../patches';
import { compile, defaultCapabilities, type CompileError } from '../../compile';
import type { CliCommand, CliIo } from '../main';
import { lineSafeIo } from '../safe-io';

/** Reads a file as text with the patch size limit; the message names the file and the reason. */
export async function readPatchFile(
  file: string,
): Promise<{ ok: true; text: string } | { ok: false; message: string }> {
  try {
    const info = await stat(file);
    if (info.isDirectory()) return { ok: false, message: 'is a folder, not a file' };
    if (info.size > PATCH_LIMITS.maxBytes) {
      return {
        ok: false,
        message: `is ${info.size} bytes; the limit is ${PATCH_LIMITS.maxBytes} bytes (16 MiB)`,
      };
    }
    return { ok: true, text: await readFile(file, 'utf8') };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { ok: false, message: 'no such file' };
    if (code === 'EACCES' || code === 'EPERM')
      return { ok: false, message: 'cannot be read (permission denied)' };
    return { ok: false, message: `cannot be read: ${(error as Error).message}` };
  }
}

/** One printable line for a parse issue: `FILE: <path>: <message>`, warnings marked. */
export function issueLine(file: string, i: PatchIssue): string {
  return `${file}: ${i.pathText}: ${i.severity === 'warning' ? 'warning: ' : ''}${i.message}`;
}

/** One printable line for a compiler diagnostic; non-fatal ones are warnings. */
export function compileLine(file: string, e: CompileError): string {
  const where = e.path && e.path.length ? formatPath(e.path) : e.node ? `node "${e.node}"` : '(root)';
  const hint = e.hint ? ` (${e.hint})` : '';
  return `${file}: ${where}: ${e.fatal ? '' : 'warning: '}${e.message}${hint}`;
}

export interface CheckOutcome {
  errors: string[];
  warnings: string[];
  patch?: Patch;
  /** The file could not be read at all (missing, a folder, too large): a usage error, on stderr. */
  unreadable?: boolean;
}

/**
 * Checks a parsed patch the rest of the way: parse-level errors first; only a patch without
 * them is compiled (the compiler would repeat them).
 */
export function checkPatch(file: string, patch: Patch, issues: readonly PatchIssue[]): CheckOutcome {
  const errors = patchErrors(issues).map((i) => issueLine(file, i));
  const warnings = issues.filter((i) => i.severity === 'warning').map((i) => issueLine(file, i));
  if (errors.length) return { errors, warnings, patch };
  const result = compile(patch, registry, { capabilities: defaultCapabilities() });
  const diagnostics = result.ok ? result.plan.warnings : result.errors;
  for (const e of diagnostics) {
    // Unknown node types were already reported by the parser as a warning.
    if (e.code === 'UNKNOWN_NODE_TYPE') continue;
    (e.fatal ? errors : warnings).push(compileLine(file, e));
  }
  return { errors, warnings, patch };
}

/** Validates one file; never throws. */
export async function validateFile(file: string): Promise<CheckOutcome> {
  const read = await readPatchFile(file);
  if (!read.ok) return { errors: [`${file}: ${read.message}`], warnings: [], unreadable: true };
  const parsed = parsePatch(read.text);
  if (!parsed.ok) return { errors: parsed.issues.map((i) => issueLine(file, i)), warnings: [] };
  return checkPatch(file, parsed.patch, parsed.issues);
}

const USAGE = 'validate [--strict] [--quiet] FILE…';

export const validateCommand: CliCommand = {
  name: 'validate',
  summary: 'check .patch files (format, params, edges) and compile them',
  usage: USAGE,
  async run(args: string[], rawIo: CliIo): Promise<number> {
    const io = lineSafeIo(rawIo);
    let strict = false;
    let quiet = false;
    const files: string[] = [];
    for (const arg of args) {
      if (arg === '--strict') strict = true;
      else if (arg === '--quiet' || arg === '-q') quiet = true;
      else if (arg === '--help' || arg === '-h') {
        io.out(`usage: patchbay ${USAGE}`);
        io.out('  --strict  warnings (unknown node types or params, disabled nodes) fail too');
        io.out('  --quiet   print only problems (errors are always printed)');
        return 0;
      } else if (arg.startsWith('-') && arg !== '-') {
        io.err(`patchbay validate: unknown option "${arg}". Usage: patchbay ${USAGE}`);
        return 2;
      } else files.push(arg);
    }
    if (files.length === 0) {
      io.err(`patchbay validate: name at least one file. Usage: patchbay ${USAGE}`);
      return 2;
    }
    let failed = 0;
    for (const file of files) {
      const { errors, warnings, unreadable } = await validateFile(file);
      const bad = errors.length > 0 || (strict && warnings.length > 0);
      if (bad) failed++;
      // A patch's problems are this command's findings (stdout, like a linter's); a file that
      // cannot be read is an error (stderr).
      for (const line of errors) (unreadable ? io.err : io.out)(line);
      if (!quiet || bad) for (const line of warnings) io.out(line);
      if (!bad && !quiet)
        io.out(
          `${file}: ok${warnings.length ? ` (${warnings.length} warning${warnings.length > 1 ? 's' : ''})` : ''}`,
        );
    }
    if (files.length > 1 && failed) io.err(`${failed} of ${files.length} files failed`);
    return failed ? 1 : 0;
  },
};
