/**
 * The `patchbay` command line: one entry, one module per sub-command under ./commands.
 * Every command returns an exit code; bad input prints a message, never a stack trace.
 *
 * Conventions: results on stdout, errors and notices on stderr; `--help` asked for prints to
 * stdout and exits 0, a misuse (no command, an unknown one, a bad option) prints usage to stderr
 * and exits 2; `--version`; `--log-level L` / `--verbose` anywhere on the line set the level of
 * the logs a command writes (stderr and `<dataDir>/logs`); a command's `--quiet` keeps errors.
 */
import { readFileSync } from 'node:fs';
import { parseLogLevel, type LogLevel } from '../logging/files';

export interface CliIo {
  out: (line: string) => void;
  err: (line: string) => void;
  /** `--log-level` / `--verbose` (default info). */
  logLevel?: LogLevel;
}

export interface CliCommand {
  name: string;
  summary: string;
  usage: string;
  run: (args: string[], io: CliIo) => Promise<number>;
}

const loaders: Record<string, () => Promise<CliCommand>> = {
  validate: async () => (await import('./commands/validate')).validateCommand,
  import: async () => (await import('./commands/import')).importCommand,
  serve: async () => (await import('./commands/serve')).serveCommand,
  play: async () => (await import('./commands/play')).playCommand,
  bench: async () => (await import('./commands/bench')).benchCommand,
  models: async () => (await import('./commands/models')).modelsCommand,
};

const defaultIo: CliIo = {
  out: (line) => process.stdout.write(line + '\n'),
  err: (line) => process.stderr.write(line + '\n'),
};

/** This package's version (package.json). */
export function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version?: unknown;
    };
    return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/** Takes the global logging options out of argv (anywhere on the line). */
export function extractGlobalOptions(argv: string[]): { rest: string[]; logLevel?: LogLevel } {
  const rest: string[] = [];
  let logLevel: LogLevel | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--verbose') logLevel = 'debug';
    else if (arg === '--log-level') {
      const v = argv[++i];
      if (v === undefined)
        throw new Error('--log-level needs a value (trace, debug, info, warn, error, silent)');
      logLevel = parseLogLevel(v);
    } else if (arg.startsWith('--log-level=')) logLevel = parseLogLevel(arg.slice('--log-level='.length));
    else rest.push(arg);
  }
  return logLevel ? { rest, logLevel } : { rest };
}

async function printHelp(print: (line: string) => void): Promise<void> {
  print('patchbay — node-graph patching for live AI video\n');
  print('usage: patchbay <command> [options]\n');
  for (const key of Object.keys(loaders)) {
    try {
      const cmd = await loaders[key]!();
      print(`  ${cmd.usage.padEnd(48)} ${cmd.summary}`);
    } catch {
      print(`  ${key}`);
    }
  }
  print('\nglobal options: --version, --help, --log-level trace|debug|info|warn|error|silent, --verbose');
  print('"patchbay <command> --help" shows one command\'s options.');
}

/** Runs the CLI with argv (without `node` and the script); resolves to the exit code. */
export async function main(argv: string[], baseIo: CliIo = defaultIo): Promise<number> {
  let global: ReturnType<typeof extractGlobalOptions>;
  try {
    global = extractGlobalOptions(argv);
  } catch (error) {
    baseIo.err(`patchbay: ${(error as Error).message}`);
    return 2;
  }
  const io: CliIo = global.logLevel ? { ...baseIo, logLevel: global.logLevel } : baseIo;
  const [name, ...rest] = global.rest;
  if (name === '--version' || name === '-V' || name === 'version') {
    io.out(`patchbay ${packageVersion()} (node ${process.version})`);
    return 0;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    await printHelp(io.out);
    return 0;
  }
  if (!name) {
    await printHelp(io.err);
    return 2;
  }
  const load = loaders[name];
  if (!load) {
    io.err(
      `patchbay: unknown ${name.startsWith('-') ? 'option' : 'command'} "${name}". Run "patchbay --help" for the list.`,
    );
    return 2;
  }
  let cmd: CliCommand;
  try {
    cmd = await load();
  } catch (error) {
    io.err(`patchbay: the "${name}" command could not be loaded: ${(error as Error).message}`);
    return 2;
  }
  if (rest.length === 1 && (rest[0] === '--help' || rest[0] === '-h') && name !== 'bench') {
    io.out(`usage: patchbay ${cmd.usage}`);
    io.out(cmd.summary);
    return 0;
  }
  try {
    return await cmd.run(rest, io);
  } catch (error) {
    io.err(`patchbay ${name}: ${(error as Error).message}`);
    if (process.env.PATCHBAY_DEBUG) io.err(String((error as Error).stack));
    return 1;
  }
}
