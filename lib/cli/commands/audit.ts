/**
 * `warden audit --input ID [--json] [--ocsf]`: the cross-layer audit entry of a triggering input (ticket id, agent
 * sessionId or Bedrock requestId), built and chained on first request, printed as a timeline.
 * `warden audit verify [--json]`: recomputes the hash chain; exits 1 when an entry was altered or deleted.
 */
import type { Command } from 'commander';
import { openStore, StoreSpecError } from '../../adapters/open-store.ts';
import { auditInput, verifyAuditTrail } from '../../audit/service.ts';
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

export function register(program: Command): void {
  const audit = program
    .command('audit')
    .description('cross-layer audit trail of a triggering input (ticket, session, request)')
    .option('--input <id>', 'ticket id, agent sessionId or Bedrock requestId')
    .option('--ocsf', 'print the entry as OCSF events (API Activity, Network Activity, Process/File Activity)')
    .option('--search <days>', 'days to search back for an input not yet in the chain', '90')
    .action(async function (this: Command) {
      const o = this.opts<{ input?: string; ocsf?: boolean; search: string }>();
      if (!o.input) throw new CliError('missing --input ID (or use `warden audit verify`)');
      const days = Number(o.search);
      if (!Number.isFinite(days) || days <= 0) throw new CliError(`invalid --search ${o.search}`);
      await withStore(this, async (store) => {
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
                ...v.problems.map((p) => `  seq ${p.seq} ${p.problem}: ${p.detail}`),
              ].join('\n'),
        );
        if (!v.ok) throw new CliError('audit chain verification failed', 1);
      });
    });
}
