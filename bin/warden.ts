/**
 * The `warden` CLI. Each command lives in lib/cli/commands/<name>.ts and exports `register(program)`;
 * they are discovered here so that adding a command touches only its own file.
 */
import '../lib/polyfills.ts';

// The AWS SDK warns on every run under Node 20 (supported here; Lambdas run Node 22).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Command, CommanderError } from 'commander';
import { CliError } from '../lib/cli/output.ts';

const here = dirname(fileURLToPath(import.meta.url));
const commandsDir = join(here, '..', 'lib', 'cli', 'commands');

const program = new Command()
  .name('warden')
  .description('Runtime security control plane for AI agents on AWS')
  .option(
    '--store <spec>',
    'store: embedded[:DIR] (default) or dynamodb://TABLE?endpoint=URL&region=R (also WARDEN_STORE)',
  )
  .option('--json', 'machine-readable output')
  .showHelpAfterError(false)
  .exitOverride();

const files = readdirSync(commandsDir)
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
  .sort();
for (const f of files) {
  const mod = (await import(pathToFileURL(join(commandsDir, f)).href)) as { register?: (p: Command) => void };
  mod.register?.(program);
}

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    if (err.exitCode === 0) process.exit(0);
    process.exit(err.exitCode || 2);
  }
  const msg = err instanceof Error ? err.message : String(err);
  process.stderr.write(`warden: ${msg.split('\n')[0]}\n`);
  if (process.env.WARDEN_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
  process.exit(err instanceof CliError ? err.exitCode : 1);
}
