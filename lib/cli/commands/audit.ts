/**
 * `warden audit --input ID [--json] [--ocsf]`: the cross-layer audit entry of a triggering input (ticket id, agent
 * sessionId or Bedrock requestId), built and chained on first request, printed as a timeline; for a rollout id, the
 * rollout's chained transitions, printed as a table.
 * `warden audit list [--type T]`: every chain record (seq, type, input, time).
 * `warden audit verify [--json]`: recomputes the hash chain; exits 1 when an entry was altered or deleted.
 */
import type { Command } from 'commander';
import { openStore, StoreSpecError } from '../../adapters/open-store.ts';
import { auditInput, chainRecords, rolloutAuditRecords, verifyAuditTrail } from '../../audit/service.ts';
import { describeTransition } from '../../core/audit/rollout.ts';
import { type ChainRecord, INPUT_TYPES, type InputType, type RolloutAuditEntry } from '../../core/audit/types.ts';
import { auditEntryToOcsf } from '../../core/ocsf/audit-trail.ts';
import type { Store } from '../../ports.ts';
import { CliError, emit, globalOpts } from '../output.ts';

async function withStore<T>(cmd: Command, f: (s: Store) => Promise<T>): Promise<T> {
  const store = await openStore(globalOpts(cmd).store).catch((err: unknown) => {
    if (err instanceof StoreSpecError) throw new CliError(err.message, 2, { cause: err });
    throw err;
  });
  try {
    return await f(store);
  } finally {
    await store.close();
  }
}

function rolloutText(rolloutId: string, records: ChainRecord<RolloutAuditEntry>[]): string {
  return [
    `rollout ${rolloutId}: ${records.length} chained transitions`,
    ...records.map((r) => {
      const t = r.entry.transition;
      const what = `${t.class ? `${t.class} ` : ''}${t.step} -> ${t.state}${t.decision ? ` (${t.decision})` : ''}`;
      const evidence = describeTransition(t);
      return `${String(r.seq).padStart(5)}  ${t.time}  ${what}  hash ${r.hash.slice(0, 16)}${evidence ? `\n       ${evidence}` : ''}`;
    }),
  ].join('\n');
}

function recordSummary(r: ChainRecord): string {
  const e = r.entry;
  const what =
    e.inputType === 'rollout'
      ? `${e.transition.class ? `${e.transition.class} ` : ''}${e.transition.step} -> ${e.transition.state}`
      : `${e.timeline.length} timeline events`;
  return `${String(r.seq).padStart(5)}  ${e.inputType.padEnd(8)} ${e.input}  ${e.from}  ${what}`;
}

export function register(program: Command): void {
  const audit = program
    .command('audit')
    .description('cross-layer audit trail of a triggering input (ticket, session, request) or a rollout')
    .option('--input <id>', 'ticket id, agent sessionId, Bedrock requestId or rollout id')
    .option('--ocsf', 'print the entry as OCSF events (API Activity, Network Activity, Process/File Activity)')
    .option('--search <days>', 'days to search back for an input not yet in the chain', '90')
    .action(async function (this: Command) {
      const o = this.opts<{ input?: string; ocsf?: boolean; search: string }>();
      if (!o.input) throw new CliError('missing --input ID (or use `warden audit verify`)');
      const days = Number(o.search);
      if (!Number.isFinite(days) || days <= 0) throw new CliError(`invalid --search ${o.search}`);
      await withStore(this, async (store) => {
        const transitions = await rolloutAuditRecords(store, o.input!);
        if (transitions.length > 0) {
          const value = o.ocsf
            ? transitions.flatMap((r) => auditEntryToOcsf(r.entry))
            : {
                rolloutId: o.input,
                inputType: 'rollout',
                transitions: transitions.map((r) => ({ seq: r.seq, hash: r.hash, ...r.entry })),
              };
          emit(this, value, () => rolloutText(o.input!, transitions));
          return;
        }
        const { record } = await auditInput(store, o.input!, { searchMs: days * 86_400_000 });
        if (!record) throw new CliError(`no observation mentions input ${o.input}`, 1);
        const e = record.entry;
        const value = o.ocsf ? auditEntryToOcsf(e) : { ...e, seq: record.seq, hash: record.hash };
        emit(this, value, () =>
          [
            `${e.id} (${e.inputType}) seq ${record.seq} hash ${record.hash.slice(0, 16)}`,
            `subjects ${e.subjects.join(', ')}  ${e.from} .. ${e.to}`,
            `links: sessions ${e.links.sessionIds.join(',') || '-'}  pods ${e.links.pods.join(',') || '-'}  pod IPs ${e.links.podIps.join(',') || '-'}`,
            `counts: ${Object.entries(e.counts)
              .map(([k, v]) => `${k} ${v}`)
              .join(', ')}${e.truncated ? ` (${e.truncated} events summarized)` : ''}`,
            ...e.timeline.map((t) => `${t.time}  ${t.link.padEnd(9)} ${t.key}${t.count > 1 ? ` x${t.count}` : ''}`),
          ].join('\n'),
        );
      });
    });
  audit
    .command('list')
    .description('every audit chain record in chain order (seq, type, input, time)')
    .option('--type <type>', `only entries of this input type: ${INPUT_TYPES.join('|')}`)
    .action(async function (this: Command) {
      const o = this.opts<{ type?: string }>();
      if (o.type !== undefined && !(INPUT_TYPES as readonly string[]).includes(o.type))
        throw new CliError(`invalid --type ${o.type}: expected one of ${INPUT_TYPES.join(', ')}`);
      const type = o.type as InputType | undefined;
      await withStore(this, async (store) => {
        const records = (await chainRecords(store)).filter((r) => !type || r.entry.inputType === type);
        emit(
          this,
          records.map((r) => ({
            seq: r.seq,
            auditId: r.auditId,
            inputType: r.entry.inputType,
            input: r.entry.input,
            from: r.entry.from,
            hash: r.hash,
          })),
          () => (records.length === 0 ? 'no audit entries' : records.map(recordSummary).join('\n')),
        );
      });
    });
  audit
    .command('verify')
    .description('verify the audit hash chain (exit 1 when tampered)')
    .action(async function (this: Command) {
      await withStore(this, async (store) => {
        const v = await verifyAuditTrail(store);
        emit(this, v, () =>
          v.ok
            ? `audit chain ok: ${v.records} entries, head seq ${v.headSeq}`
            : [
                `audit chain FAILED: ${v.problems.length} problem(s)`,
                ...v.problems.map((p) => `  seq ${p.seq}${p.auditId ? ` ${p.auditId}` : ''} ${p.problem}: ${p.detail}`),
              ].join('\n'),
        );
        if (!v.ok) throw new CliError('audit chain verification failed', 1);
      });
    });
}
