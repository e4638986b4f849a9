/**
 * `warden audit --input ID [--json] [--ocsf]`: the cross-layer audit entry of a triggering input (ticket id, agent
 * sessionId or Bedrock requestId), built and chained on first request, printed as a timeline; for a rollout id, the
 * rollout's chained transitions, printed as a table.
 * `warden audit list [--type T]`: every chain record (seq, type, input, time).
 * `warden audit verify [--json]`: recomputes the hash chain and checks it against its indexes and the anchor log;
 * exits 5 (check failed) when an entry was altered, deleted, truncated, forged or re-hashed, or an index entry changed.
 * `warden audit anchor`: anchors a chain built before its store had an anchor log.
 * `--input` takes every id Warden prints for an input: the ticket, session or request id itself, its audit id
 * (`audit:ZD-49173`, as in drift events), a drift id (`SUBJECT@TIME`), a rollout id or a rollout transition's audit id.
 */
import type { Command } from 'commander';
import { openStore, StoreSpecError } from '../../adapters/open-store.ts';
import {
  AuditIntegrityError,
  adoptChain,
  auditInput,
  chainRecords,
  rolloutAuditRecords,
  verifyAuditTrail,
} from '../../app/audit/service.ts';
import { describeTransition } from '../../core/audit/rollout.ts';
import { type ChainRecord, INPUT_TYPES, type InputType, type RolloutAuditEntry } from '../../core/audit/types.ts';
import { auditEntryToOcsf } from '../../core/ocsf/audit-trail.ts';
import type { Store } from '../../ports.ts';
import { checkFailed, inputError } from '../errors.ts';
import { hint } from '../hints.ts';
import { resolveAuditId } from '../ids.ts';
import { CliError, emit, emitJson, globalOpts } from '../output.ts';

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

/** A chain that fails its integrity check is a negative verdict (exit 5), not a crash. */
function integrity(err: unknown): never {
  if (err instanceof AuditIntegrityError) throw checkFailed(err.message, err);
  throw err;
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
    .option('--input <id>', 'ticket, session, Bedrock request, audit (audit:ID), drift or rollout id')
    .option('--ocsf', 'print the entry as OCSF 1.7.0 events (JSON, with or without --json)')
    .option('--search <days>', 'days to search back for an input not yet in the chain', '90')
    .action(async function (this: Command) {
      const o = this.opts<{ input?: string; ocsf?: boolean; search: string }>();
      if (!o.input)
        throw new CliError(`missing --input ID (or check the chain: ${hint(['audit', 'verify'], globalOpts(this))})`);
      const days = Number(o.search);
      if (!Number.isFinite(days) || days <= 0) throw new CliError(`invalid --search ${o.search}`);
      // OCSF is a JSON format: --ocsf prints it whether or not --json is given.
      const show = (value: unknown, human: () => string) => (o.ocsf ? emitJson(value) : emit(this, value, human));
      await withStore(this, async (store) => {
        const id = await resolveAuditId(store, o.input!);
        const transitions = await rolloutAuditRecords(store, id.rolloutId ?? id.input);
        if (transitions.length > 0) {
          const rolloutId = id.rolloutId ?? id.input;
          const value = o.ocsf
            ? transitions.flatMap((r) => auditEntryToOcsf(r.entry))
            : {
                rolloutId,
                inputType: 'rollout',
                transitions: transitions.map((r) => ({ seq: r.seq, hash: r.hash, ...r.entry })),
              };
          show(value, () => rolloutText(rolloutId, transitions));
          return;
        }
        const { record } = await auditInput(store, id.input, { searchMs: days * 86_400_000 }).catch(integrity);
        if (!record)
          throw inputError(
            `no observation in the last ${days} days mentions ${id.input}${id.input !== o.input ? ` (from ${o.input})` : ''} as a ticket, session or request id`,
          );
        const e = record.entry;
        const value = o.ocsf ? auditEntryToOcsf(e) : { ...e, seq: record.seq, hash: record.hash };
        show(value, () =>
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
    .description('verify the audit hash chain against its indexes and anchor log (exit 5 when tampered with)')
    .action(async function (this: Command) {
      await withStore(this, async (store) => {
        const v = await verifyAuditTrail(store);
        const anchored = !v.anchor
          ? `not anchored (${store.description} has no anchor log): deletion from the end of the chain and forged appends cannot be detected`
          : 'time' in v.anchor
            ? `anchored in ${v.anchor.log} at seq ${v.anchor.seq} (${v.anchor.time})`
            : `anchor log ${v.anchor.log} is empty`;
        emit(this, v, () =>
          v.ok
            ? `audit chain ok: ${v.records} entries, head seq ${v.headSeq}; ${anchored}`
            : [
                `audit chain FAILED: ${v.problems.length} problem(s)`,
                ...v.problems.map((p) => `  seq ${p.seq}${p.auditId ? ` ${p.auditId}` : ''} ${p.problem}: ${p.detail}`),
              ].join('\n'),
        );
        if (!v.ok) throw checkFailed('audit chain verification failed');
      });
    });
  audit
    .command('anchor')
    .description('anchor a chain built before its store had an anchor log (verifies it first; an operator decision)')
    .action(async function (this: Command) {
      await withStore(this, async (store) => {
        const r = await adoptChain(store).catch(integrity);
        emit(this, r, () => `anchored ${r.anchored} entries in ${store.auditAnchors?.description}`);
      });
    });
}
