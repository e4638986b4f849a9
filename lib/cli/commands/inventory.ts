/**
 * `warden inventory SUBJECT [--at T] [--diff T] [--lookback DAYS] [--format json|cyclonedx]`: what the subject
 * actually loaded and used (models invoked incl. fallbacks, weight files, frameworks, MCP servers, prompt hashes),
 * as a snapshot at T, the difference from the snapshot at the --diff time, or a CycloneDX 1.6 ML-BOM.
 * Configured models come from the subject label `warden.dev/model` (comma-separated).
 */
import { createRequire } from 'node:module';
import type { Command } from 'commander';
import pkg from '../../../package.json' with { type: 'json' };
import { buildInventory } from '../../core/inventory/build.ts';
import { inventoryCycloneDxJson } from '../../core/inventory/cyclonedx.ts';
import { diffInventory } from '../../core/inventory/diff.ts';
import type { Inventory } from '../../core/inventory/types.ts';
import { parseSubject } from '../../core/observation.ts';
import { unknownSubject } from '../hints.ts';
import { CliError, emit, globalOpts } from '../output.ts';
import { stopProgress } from '../progress.ts';
import { parseTime, withStore } from '../with-store.ts';

const DAY = 86_400_000;
export const MODEL_LABEL = 'warden.dev/model';

function text(inv: Inventory): string {
  const lines = [`${inv.subject} at ${inv.at} (since ${inv.from})`];
  lines.push(
    `models: ${inv.models.map((m) => `${m.modelId} x${m.count}${m.inferenceProfile ? ` via ${m.inferenceProfile}` : ''}`).join('; ') || 'none'}`,
  );
  if (inv.fallback)
    lines.push(
      `  ! fallback: configured ${inv.fallback.configured.join(', ')}, used ${inv.fallback.actual.join(', ')}`,
    );
  lines.push(
    `weight files: ${inv.modelFiles.map((f) => `${f.path}${f.size !== undefined ? ` (${f.size} B)` : ''}`).join('; ') || 'none'}`,
  );
  lines.push(`frameworks: ${inv.frameworks.map((f) => `${f.name}@${f.version}`).join(', ') || 'none'}`);
  lines.push(`MCP servers: ${inv.mcpServers.map((m) => `${m.transport}:${m.name}`).join(', ') || 'none'}`);
  lines.push(
    `prompts: ${inv.prompts.map((p) => `${p.id} ${p.sha256.slice(0, 12)}`).join(', ') || 'none'}${inv.promptVersion ? ` (version ${inv.promptVersion})` : ''}`,
  );
  return lines.join('\n');
}

export function register(program: Command): void {
  program
    .command('inventory')
    .description('runtime-derived AI inventory of a subject: snapshot, diff, or CycloneDX ML-BOM')
    .argument('<subject>', 'subject id')
    .option('--at <time>', 'snapshot time (ISO-8601, default now)')
    .option('--diff <time>', 'compare with the snapshot at this earlier time')
    .option('--lookback <days>', 'days before the snapshot time that it covers', '7')
    .option('--format <format>', 'json (default with --json) or cyclonedx')
    .action(async function (
      this: Command,
      subject: string,
      opts: { at?: string; diff?: string; lookback: string; format?: string },
    ) {
      if (!parseSubject(subject)) throw new CliError(`not a subject id: ${subject}`);
      if (opts.format && !['json', 'cyclonedx'].includes(opts.format))
        throw new CliError(`--format: json or cyclonedx, not ${opts.format}`);
      const lookbackDays = Number(opts.lookback);
      if (!Number.isFinite(lookbackDays) || lookbackDays <= 0)
        throw new CliError(`--lookback: a positive number of days, not ${opts.lookback}`);
      const at = parseTime(opts.at, '--at');
      const before = opts.diff ? parseTime(opts.diff, '--diff') : undefined;
      const lookbackMs = lookbackDays * DAY;
      let labels: Record<string, string> = {};
      const [inv, old] = await withStore(globalOpts(this).store, async (store) => {
        const rec = (await store.subjects()).find((s) => s.subject === subject);
        if (!rec) throw unknownSubject(subject, globalOpts(this).store);
        labels = rec.labels;
        const configuredModels = (rec.labels[MODEL_LABEL] ?? '')
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
        const earliest = new Date(Math.min(Date.parse(at), Date.parse(before ?? at)) - lookbackMs).toISOString();
        const rows = await store.aggregates(subject, { from: earliest, to: at > (before ?? at) ? at : (before ?? at) });
        const build = (t: string) => buildInventory({ subject, rows, at: t, lookbackMs, configuredModels });
        return [build(at), before ? build(before) : undefined] as const;
      });
      if (opts.format === 'cyclonedx') {
        stopProgress();
        // The library's version as installed (a bundled JSON import of another package's package.json is not portable).
        const cdx = createRequire(import.meta.url)('@cyclonedx/cyclonedx-library/package.json') as { version: string };
        const tools = [{ name: 'cyclonedx-library', group: '@cyclonedx', version: cdx.version }];
        process.stdout.write(`${inventoryCycloneDxJson(inv, { labels, tools, wardenVersion: pkg.version })}\n`);
        return;
      }
      if (old) {
        const d = diffInventory(old, inv);
        emit(this, d, () => (d.empty ? `no change between ${d.from} and ${d.to}` : JSON.stringify(d, null, 2)));
        return;
      }
      emit(this, inv, () => text(inv));
    });
}
