#!/usr/bin/env node
// The `patchbay` command. The product is TypeScript run through tsx (a dependency), so the
// same sources serve the CLI, the runtime, the tests and the worker threads without a build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../runtime/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
