/**
 * The `patchbay` command line: one entry, one module per sub-command under ./commands.
 * Every command returns an exit code; bad input prints a message, never a stack trace.
 */
export interface CliIo {
  out: (line: string) => void;
  err: (line: string) => void;
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

/** Runs the CLI with argv (without `node` and the script); resolves to the exit code. */
export async function main(argv: string[], io: CliIo = defaultIo): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.out('patchbay — node-graph patching for live AI video\n');
    io.out('usage: patchbay <command> [options]\n');
    for (const key of Object.keys(loaders)) {
      try {
        const cmd = await loaders[key]!();
        io.out(`  ${cmd.usage.padEnd(48)} ${cmd.summary}`);
      } catch {
        io.out(`  ${key}`);
      }
    }
    return name ? 0 : 1;
  }
  const load = loaders[name];
  if (!load) {
    io.err(`patchbay: unknown command "${name}". Run "patchbay --help" for the list.`);
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
