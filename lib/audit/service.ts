/**
 * Audit service: builds the cross-layer entry of a triggering input from the Store, appends it to the hash chain
 * (Docs `audit-chain` / `audit-head` / `audit` index, scope `global`), reads it back and verifies the chain.
 */
import { nextRecord, seqId, verifyChain } from '../core/audit/chain.ts';
import { buildAuditEntry, findTrigger, triggeringInputs } from '../core/audit/correlate.ts';
import { auditIdFor } from '../core/audit/ids.ts';
import type { AuditEntry, ChainHead, ChainRecord, VerifyResult } from '../core/audit/types.ts';
import type { Observation } from '../core/observation.ts';
import { uniqueById } from '../drift/service.ts';
import type { Store } from '../ports.ts';

export const CHAIN_DOC = 'audit-chain';
export const HEAD_DOC = 'audit-head';
export const INDEX_DOC = 'audit';
const SCOPE = 'global';

/** Default search window for an input not yet in the chain: 90 days back from now. */
export const DEFAULT_SEARCH_MS = 90 * 86_400_000;

export class AuditConflictError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AuditConflictError';
  }
}

async function allEvidence(store: Store, from: string, to: string): Promise<Observation[]> {
  const out: Observation[] = [];
  for (const s of await store.subjects()) out.push(...(await store.evidence(s.subject, from, to)));
  return uniqueById(out);
}

/** The stored entry of an input, if it is in the chain. */
export async function getAuditEntry(store: Store, input: string): Promise<ChainRecord | undefined> {
  const idx = await store.getDoc<{ seq: number }>(INDEX_DOC, SCOPE, auditIdFor(input));
  if (!idx) return undefined;
  return (await store.getDoc<ChainRecord>(CHAIN_DOC, SCOPE, seqId(idx.body.seq)))?.body;
}

/** Appends an entry to the chain (optimistic concurrency on the head). */
export async function appendAuditEntry(store: Store, entry: AuditEntry): Promise<ChainRecord> {
  const head = await store.getDoc<ChainHead>(HEAD_DOC, SCOPE, 'head');
  const rec = nextRecord(head?.body, entry);
  // Head first, conditioned on the version read: two writers cannot both claim the same seq.
  try {
    await store.putDoc<ChainHead>(
      HEAD_DOC,
      SCOPE,
      'head',
      { seq: rec.seq, hash: rec.hash },
      { expectVersion: head?.version ?? 0 },
    );
  } catch (err) {
    throw new AuditConflictError(`audit chain head moved while appending ${entry.id}; retry`, { cause: err });
  }
  await store.putDoc(CHAIN_DOC, SCOPE, seqId(rec.seq), rec);
  await store.putDoc(INDEX_DOC, SCOPE, entry.id, { seq: rec.seq });
  return rec;
}

export interface AuditLookup {
  record?: ChainRecord;
  /** True when this call built and appended the entry. */
  created: boolean;
}

/**
 * Returns the chained entry of `input`, building and appending it when absent (searching `searchMs` back).
 * Undefined record when no observation mentions the input.
 */
export async function auditInput(
  store: Store,
  input: string,
  opts: { now?: string; searchMs?: number } = {},
): Promise<AuditLookup> {
  const existing = await getAuditEntry(store, input);
  if (existing) return { record: existing, created: false };
  const now = opts.now ?? new Date().toISOString();
  const from = new Date(Date.parse(now) - (opts.searchMs ?? DEFAULT_SEARCH_MS)).toISOString();
  const candidates = await allEvidence(store, from, now);
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
  return { record: await appendAuditEntry(store, entry), created: true };
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

/** Every chain record, in seq order. */
export async function chainRecords(store: Store): Promise<ChainRecord[]> {
  const out: ChainRecord[] = [];
  let fromId: string | undefined;
  for (;;) {
    const page = await store.listDocs<ChainRecord>(CHAIN_DOC, SCOPE, { ...(fromId ? { fromId } : {}), limit: 500 });
    const fresh = fromId ? page.filter((d) => d.id > fromId!) : page;
    out.push(...fresh.map((d) => d.body));
    if (page.length < 500 || fresh.length === 0) break;
    fromId = page[page.length - 1]!.id;
  }
  return out;
}

/** Recomputes the chain and compares it with the head. */
export async function verifyAuditTrail(store: Store): Promise<VerifyResult> {
  const head = await store.getDoc<ChainHead>(HEAD_DOC, SCOPE, 'head');
  return verifyChain(await chainRecords(store), head?.body);
}
