/**
 * The `warden` program: global options, the one command named on the command line loaded lazily (see
 * commands/index.ts), progress on a terminal, and the error contract of errors.ts applied to whatever a command
 * throws. Returns the exit code instead of exiting, so it can be driven in-process.
 */
import { Command } from 'commander';
import { COMMANDS, type CommandEntry } from './commands/index.ts';
import { classifyError, formatError } from './errors.ts';
import { printable } from './output.ts';
import { startProgress, stopProgress } from './progress.ts';

const GLOBAL_WITH_VALUE = new Set(['--store']);

/** The command named on the command line (`warden [globals] NAME ...`, `warden help NAME`), if it is one of ours. */
export function invokedCommand(args: string[]): CommandEntry | undefined {
  const words: string[] = [];
  for (let i = 0; i < args.length && words.length < 2; i++) {
    const a = args[i] as string;
    if (a === '--') break;
    if (GLOBAL_WITH_VALUE.has(a)) i++;
    else if (!a.startsWith('-')) words.push(a);
  }
  const name = words[0] === 'help' ? words[1] : words[0];
  return COMMANDS.find((c) => c.name === name);
}

function program(): Command {
  return new Command()
    .name('warden')
    .description('Runtime security control plane for AI agents on AWS')
    .option(
      '--store <spec>',
      'store: embedded[:DIR] (default .warden, the SQLite file .warden/warden.db) or dynamodb://TABLE?endpoint=URL&region=R (also WARDEN_STORE)',
    )
    .option('--json', 'machine-readable output (errors too: one JSON object on stderr)')
    .addHelpText(
      'after',
      '\nExit codes: 0 ok, 1 internal error, 2 usage, 3 input or not found, 4 environment (credentials, endpoint,\nprivileges), 5 check failed (audit chain altered, rollout stopped).',
    )
    .showHelpAfterError(false)
    .configureOutput({ outputError: () => {} })
    .exitOverride();
}

/** Runs the CLI on `argv` (as process.argv: node, script, args...) and returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const args = argv.slice(2);
  const own = args.includes('--') ? args.slice(0, args.indexOf('--')) : args;
  const json = own.includes('--json');
  if (process.env.WARDEN_DEBUG) process.setSourceMapsEnabled?.(true);
  const prog = program();
  const entry = invokedCommand(args);
  try {
    if (entry) (await entry.load()).register(prog);
    else for (const c of COMMANDS) prog.command(c.name).description(c.summary);
    const helpOnly = own.includes('--help') || own.includes('-h') || own[0] === 'help';
    startProgress(entry?.name ?? 'warden', { enabled: !json && !entry?.ownProgress && !helpOnly });
    await prog.parseAsync(argv);
    stopProgress();
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    stopProgress();
    const e = err as { code?: string; exitCode?: number };
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version') return 0;
    // `warden` alone (or a command group without its subcommand): commander printed the help on stderr.
    if (e.code === 'commander.help') return 2;
    const c = classifyError(err);
    // A message may quote names from telemetry: unprintables escaped, as in every human output.
    process.stderr.write(`${json ? formatError(c, json) : printable(formatError(c, json))}\n`);
    if (process.env.WARDEN_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    return c.exitCode;
  }
}
