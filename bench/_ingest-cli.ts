/**
 * The `warden ingest` command alone, bundled by bench/ingest.ts with esbuild to time the ingest as a compiled CLI
 * starts it (no TypeScript compilation at start, only this command loaded). The same register() the CLI uses.
 */
import '../lib/polyfills.ts';
import { Command, CommanderError } from 'commander';
import { register } from '../lib/cli/commands/ingest.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const program = new Command().name('warden').option('--store <spec>').option('--json').exitOverride();
register(program);
try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError && err.exitCode === 0) process.exit(0);
  process.stderr.write(`warden: ${(err as Error).message.split('\n')[0]}\n`);
  process.exit(1);
}
