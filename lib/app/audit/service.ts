/**
 * Audit service: builds the cross-layer entry of a triggering input from the Store and appends it to the hash chain
 * (lib/app/audit/chain.ts: the chain, its indexes and its anchors; rollout transition entries are appended there by
 * lib/app/rollout), and reads entries back.
 */
import { buildAuditEntry, findTrigger, triggeringInputs } from '../../core/audit/correlate.ts';
import { auditIdFor } from '../../core/audit/ids.ts';
import {
  type ChainRecord,
  type CrossLayerAuditEntry,
  isCrossLayerEntry,
  isRolloutEntry,
  type RolloutAuditEntry,
} from '../../core/audit/types.ts';
import { type Observation, uniqueById } from '../../core/observation.ts';
import type { Store } from '../../ports.ts';
import { appendAuditEntryOnce, CHAIN_DOC, ROLLOUT_INDEX_DOC, recordById, SCOPE } from './chain.ts';
import { type KeySpan, keyIndexComplete, lookupKey } from './key-index.ts';

export { AnchorExistsError } from '../../ports.ts';
export {
  APPEND_ATTEMPTS,
  AuditConflictError,
  AuditIntegrityError,
  adoptChain,
  appendAuditEntry,
  appendAuditEntryOnce,
  auditHead,
  CHAIN_DOC,
  chainRecords,
  HEAD_DOC,
  INDEX_DOC,
  ROLLOUT_INDEX_DOC,
  verifyAuditTrail,
} from './chain.ts';

/** Default search window for an input not yet in the chain: 90 days back from now. */
export const DEFAULT_SEARCH_MS = 90 * 86_400_000;

async function allEvidence(store: Store, from: string, to: string): Promise<Observation[]> {
  const out: Observation[] = [];
  for (const s of await store.subjects()) out.push(...(await store.evidence(s.subject, from, to)));
  return uniqueById(out);
}

/** The stored cross-layer entry of an input (ticket, session, request), if it is in the chain. */
export async function getAuditEntry(
  store: Store,
  input: string,
): Promise<ChainRecord<CrossLayerAuditEntry> | undefined> {
  const rec = await recordById(store, auditIdFor(input));
  return rec && isCrossLayerEntry(rec.entry) ? (rec as ChainRecord<CrossLayerAuditEntry>) : undefined;
}

/** The chained transitions of a rollout, in chain order (empty when the rollout recorded none). */
export async function rolloutAuditRecords(store: Store, rolloutId: string): Promise<ChainRecord<RolloutAuditEntry>[]> {
  const out: ChainRecord<RolloutAuditEntry>[] = [];
  for (const d of await store.listDocs<{ auditId: string }>(ROLLOUT_INDEX_DOC, rolloutId)) {
    const rec = (await store.getDoc<ChainRecord>(CHAIN_DOC, SCOPE, d.id))?.body;
    // A record the index names but that is gone or altered is verifyAuditTrail's finding; here it is skipped.
    if (rec && isRolloutEntry(rec.entry) && rec.entry.input === rolloutId)
      out.push(rec as ChainRecord<RolloutAuditEntry>);
  }
  return out.sort((a, b) => a.seq - b.seq);
}

export interface AuditLookup {
  record?: ChainRecord<CrossLayerAuditEntry>;
  /** True when this call built and appended the entry. */
  created: boolean;
}

/**
 * The evidence that names `input` as a ticket or agent session id, and the rest of those sessions, found through the
 * correlation-key index (lib/app/audit/key-index.ts): the same observations a scan of every subject would find for
 * them. Undefined when the index does not cover the store yet, or names nothing.
 */
async function indexedCandidates(store: Store, input: string, from: string, to: string) {
  if (!(await keyIndexComplete(store))) return undefined;
  const read = async (spans: { subject: string; span: KeySpan }[]) => {
    const out: Observation[] = [];
    for (const { subject, span } of spans) {
      const a = span.from > from ? span.from : from;
      const b = span.to < to ? span.to : to;
      if (a <= b) out.push(...(await store.evidence(subject, a, b)));
    }
    return out;
  };
  const direct = await read(await lookupKey(store, input));
  if (direct.length === 0) return undefined;
  const sessions = new Set(
    direct
      .filter((o) => o.correlation.ticket === input || o.correlation.sessionId === input)
      .map((o) => o.correlation.sessionId)
      .filter((x): x is string => typeof x === 'string' && x !== input),
  );
  const more: Observation[] = [];
  for (const sid of sessions) more.push(...(await read(await lookupKey(store, sid, ['s']))));
  return uniqueById([...direct, ...more]);
}

/**
 * Returns the chained entry of `input`, building and appending it when absent (searching `searchMs` back).
 * Undefined record when no observation mentions the input. The input is found through the correlation-key index
 * when the store has one; otherwise, or when the index names nothing (an input known by a request id only, data not
 * indexed yet), every subject's evidence is searched unless `scan` is false.
 */
export async function auditInput(
  store: Store,
  input: string,
  opts: { now?: string; searchMs?: number; scan?: boolean } = {},
): Promise<AuditLookup> {
  const existing = await getAuditEntry(store, input);
  if (existing) return { record: existing, created: false };
  const now = opts.now ?? new Date().toISOString();
  const from = new Date(Date.parse(now) - (opts.searchMs ?? DEFAULT_SEARCH_MS)).toISOString();
  const candidates =
    (await indexedCandidates(store, input, from, now)) ??
    (opts.scan === false ? [] : await allEvidence(store, from, now));
  const trigger = findTrigger(input, candidates);
  if (!trigger) return { created: false };
  const to = new Date(Date.parse(trigger.to) + 10 * 60_000).toISOString();
  const evidence: Observation[] = [];
  const kernel = [];
  for (const s of trigger.subjects) {
    evidence.push(...(await store.evidence(s, trigger.from, to)));
    kernel.push(...(await store.aggregates(s, { from: trigger.from, to, layers: ['kernel'] })));
  }
  const entry = buildAuditEntry(trigger, uniqueById(evidence), kernel, now);
  const r = await appendAuditEntryOnce(store, entry);
  return { record: r.record as ChainRecord<CrossLayerAuditEntry>, created: r.created };
}

/** Builds entries for every triggering input seen in [from, to) that is not yet in the chain. */
export async function buildAuditTrail(
  store: Store,
  from: string,
  to: string,
): Promise<{ created: number; existing: number }> {
  const inputs = triggeringInputs(await allEvidence(store, from, to));
  let created = 0;
  let existing = 0;
  for (const input of inputs) {
    const r = await auditInput(store, input, { now: to, searchMs: Date.parse(to) - Date.parse(from) });
    if (r.created) created++;
    else if (r.record) existing++;
  }
  return { created, existing };
}
