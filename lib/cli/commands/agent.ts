/**
 * `warden agent watch [--name N] [--no-count] [--window S] [--no-inventory] [--out FILE] -- COMMAND...`: runs
 * COMMAND in its own cgroup2 directory, observes it with the eBPF loader (exec, opens, connects, DNS, syscall counts)
 * and ingests the node-agent batches into the store as `local:<name>`, so a developer can profile an agent on a
 * laptop and then ask for its baseline, inventory and seccomp envelope. Needs root (cgroup2 + eBPF) and
 * `make -C bpf`. Exits with the command's exit status when it failed.
 */
import { writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { Readable } from 'node:stream';
import type { Command } from 'commander';
import { assertLoaderBuilt, watchCommand } from '../../../node-agent/watch.ts';
import { openStore } from '../../adapters/open-store.ts';
import { ingestStream } from '../../app/ingest/pipeline.ts';
import { emptyReport, type IngestReport, mergeReports } from '../../app/ingest/report.ts';
import type { NodeAgentBatch } from '../../core/sources/node-agent.ts';
import { prepareOutputFile } from '../files.ts';
import { hint } from '../hints.ts';
import { CliError, emit, globalOpts } from '../output.ts';

interface WatchFlags {
  name?: string;
  count: boolean;
  window: string;
  inventory: boolean;
  out?: string;
}

export function register(program: Command): void {
  const agent = program.command('agent').description('the node agent: local profiling of a command (watch)');
  agent
    .command('watch')
    .description('run COMMAND in its own cgroup, observe it with eBPF and ingest it as local:<name>')
    .argument('<command...>', 'the command to run (put it after --)')
    .option('--name <name>', 'subject name (local:<name>); default: the program name')
    .option('--no-count', 'do not count syscalls (cheaper; no seccomp envelope)')
    .option('--window <seconds>', 'close a batch every N seconds while the command runs', '60')
    .option('--no-inventory', 'skip the working-directory inventory (packages, model files, prompts)')
    .option('--out <file>', 'also write the batches (JSON lines) to FILE')
    .action(async function (this: Command, command: string[]) {
      const flags = this.opts<WatchFlags>();
      const { json, store: spec } = globalOpts(this);
      const name = flags.name ?? basename(command[0] ?? 'command');
      if (!/^[\w.-]{1,128}$/.test(name))
        throw new CliError(`invalid --name ${JSON.stringify(name)}: use letters, digits, . _ -`);
      const windowS = Number(flags.window);
      if (!Number.isFinite(windowS) || windowS < 1)
        throw new CliError(`invalid --window ${flags.window}: seconds >= 1`);

      if (flags.out) prepareOutputFile(flags.out, '--out');
      assertLoaderBuilt(); // before opening (and maybe creating) the store
      const store = await openStore(spec);
      let report: IngestReport = emptyReport();
      const drops: Record<string, number> = {};
      const ingest = async (b: NodeAgentBatch) => {
        for (const [r, n] of Object.entries(b.drops)) drops[r] = (drops[r] ?? 0) + n;
        const bytes = Buffer.from(JSON.stringify(b));
        const r = await ingestStream(
          store,
          { name: `agent-watch:${name}`, stream: Readable.from([bytes]) },
          { source: 'node-agent' },
        );
        report = mergeReports(report, r);
      };
      const abort = new AbortController();
      const onSignal = () => abort.abort();
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      let result: Awaited<ReturnType<typeof watchCommand>>;
      try {
        result = await watchCommand({
          name,
          command,
          countSyscalls: flags.count,
          windowMs: windowS * 1000,
          inventory: flags.inventory ? undefined : false,
          onBatch: ingest,
          signal: abort.signal,
          stdio: json ? 'ignore' : 'inherit',
        });
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        await store.close();
      }
      if (flags.out) writeFileSync(flags.out, result.batches.map((b) => JSON.stringify(b)).join('\n') + '\n');
      const summary = {
        subject: result.subject,
        store: store.description,
        command,
        exitCode: result.exitCode,
        exitSignal: result.exitSignal,
        cgroup: result.cgroupPath,
        cgroupId: result.cgroupId,
        events: result.events,
        batches: result.batches.length,
        observations: report.observations,
        stored: report.stored,
        quarantined: report.quarantined,
        drops,
        programs: result.ready.programs,
        ...(flags.out ? { out: flags.out } : {}),
      };
      emit(this, summary, () =>
        [
          `watched ${command.join(' ')} as ${result.subject} (exit ${result.exitCode ?? result.exitSignal})`,
          `  ${result.events} kernel events -> ${report.observations} observations in ${result.batches.length} batch(es), ${report.stored} aggregates stored in ${store.description}`,
          `  drops: ${Object.keys(drops).length ? JSON.stringify(drops) : 'none'}`,
          '  next:',
          `    ${hint(['baseline', result.subject], { store: spec })}`,
          `    ${hint(['inventory', result.subject], { store: spec })}`,
        ].join('\n'),
      );
      if (result.exitCode !== 0) process.exitCode = result.exitCode ?? 1;
    });
}
