/**
 * The audit hash chain in the Store (Docs `audit-chain` / `audit-head` / `audit` index, scope `global`;
 * `audit-rollout` index per rollout), anchored outside it when the store has an anchor log (Store.auditAnchors).
 *
 * An append writes, in order: the anchor (seq, hash and the record, to the append-only log: the write-ahead copy),
 * the head (conditioned on the version read, so two writers cannot claim one seq), the record, the index. An append
 * interrupted after its anchor is completed from the anchor by the next append; a table whose head is not the
 * anchored head any other way (records forged, deleted or rewritten) refuses appends with AuditIntegrityError until
 * someone looks (`warden audit verify`), so a forged record is never sealed under a genuine one.
 */
import { anchorOf, headState, verifyAnchors, verifyIndex } from '../../core/audit/anchor.ts';
import { nextRecord, seqId, verifyChain } from '../../core/audit/chain.ts';
import {
  type AuditEntry,
  type ChainHead,
  type ChainRecord,
  isRolloutEntry,
  type VerifyResult,
} from '../../core/audit/types.ts';
import { AnchorExistsError, type Store } from '../../ports.ts';

export const CHAIN_DOC = 'audit-chain';
export const HEAD_DOC = 'audit-head';
export const INDEX_DOC = 'audit';
/** Per-rollout index (scope = rollout id, id = zero-padded seq): a rollout's transitions in chain order. */
export const ROLLOUT_INDEX_DOC = 'audit-rollout';
export const SCOPE = 'global';

export class AuditConflictError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AuditConflictError';
  }
}

/** The table's chain is not the anchored chain: nothing is appended until the difference is looked at. */
export class AuditIntegrityError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AuditIntegrityError';
  }
}

export async function recordById(store: Store, auditId: string): Promise<ChainRecord | undefined> {
  const idx = await store.getDoc<{ seq: number }>(INDEX_DOC, SCOPE, auditId);
  if (!idx) return undefined;
  return (await store.getDoc<ChainRecord>(CHAIN_DOC, SCOPE, seqId(idx.body.seq)))?.body;
}

async function writeIndexes(store: Store, rec: ChainRecord): Promise<void> {
  await store.putDoc(INDEX_DOC, SCOPE, rec.auditId, { seq: rec.seq });
  if (isRolloutEntry(rec.entry))
    await store.putDoc(ROLLOUT_INDEX_DOC, rec.entry.input, seqId(rec.seq), { auditId: rec.auditId });
}

/** Head, record and index of `rec` in the table (the head conditioned on `headVersion`). */
async function writeRecord(store: Store, rec: ChainRecord, headVersion: number): Promise<void> {
  try {
    await store.putDoc<ChainHead>(
      HEAD_DOC,
      SCOPE,
      'head',
      { seq: rec.seq, hash: rec.hash },
      { expectVersion: headVersion },
    );
  } catch (err) {
    throw new AuditConflictError(`audit chain head moved while appending ${rec.auditId}; retry`, { cause: err });
  }
  await store.putDoc(CHAIN_DOC, SCOPE, seqId(rec.seq), rec);
  await writeIndexes(store, rec);
}

/**
 * Brings the table's head in step with the anchor log before an append: completes an append interrupted after its
 * anchor; refuses when the two differ otherwise. Returns the head to append after.
 */
async function anchoredHead(store: Store): Promise<{ head?: ChainHead; version: number }> {
  const doc = await store.getDoc<ChainHead>(HEAD_DOC, SCOPE, 'head');
  const anchors = store.auditAnchors;
  if (!anchors) return { ...(doc ? { head: doc.body } : {}), version: doc?.version ?? 0 };
  const latest = await anchors.latest(doc?.body.seq);
  const s = headState(doc?.body, latest);
  if (s.state === 'in-step') return { ...(doc ? { head: doc.body } : {}), version: doc?.version ?? 0 };
  if (s.state === 'behind-by-one') {
    await writeRecord(store, s.anchor.record, doc?.version ?? 0);
    return { head: { seq: s.anchor.seq, hash: s.anchor.hash }, version: (doc?.version ?? 0) + 1 };
  }
  throw new AuditIntegrityError(
    `${s.detail} (${anchors.description}): the chain was changed outside Warden; run \`warden audit verify\``,
  );
}

/** Appends an entry to the chain: anchor first, then the table (optimistic concurrency on both). */
export async function appendAuditEntry<E extends AuditEntry>(
  store: Store,
  entry: E,
  now = new Date().toISOString(),
): Promise<ChainRecord<E>> {
  const { head, version } = await anchoredHead(store);
  const rec = nextRecord(head, entry);
  if (store.auditAnchors) {
    try {
      await store.auditAnchors.append(anchorOf(rec, now));
    } catch (err) {
      if (err instanceof AnchorExistsError)
        throw new AuditConflictError(`another writer anchored seq ${rec.seq} first; retry`, { cause: err });
      throw err;
    }
  }
  await writeRecord(store, rec, version);
  return rec;
}

/** Attempts of {@link appendAuditEntryOnce} when another writer moves the head in between. */
export const APPEND_ATTEMPTS = 5;

/**
 * Appends `entry` unless an entry with its id is already chained, e.g. by an earlier attempt of a retried rollout
 * step; then the chained record is returned unchanged (the first attempt wins). Also finds an entry whose append was
 * interrupted after the chain record but before its index (it is then the newest record) and completes the index.
 * A head moved by a concurrent writer is retried.
 */
export async function appendAuditEntryOnce<E extends AuditEntry>(
  store: Store,
  entry: E,
): Promise<{ record: ChainRecord; created: boolean }> {
  for (let attempt = 1; ; attempt++) {
    const indexed = await recordById(store, entry.id);
    if (indexed) return { record: indexed, created: false };
    const head = await store.getDoc<ChainHead>(HEAD_DOC, SCOPE, 'head');
    const newest = head ? (await store.getDoc<ChainRecord>(CHAIN_DOC, SCOPE, seqId(head.body.seq)))?.body : undefined;
    if (newest && newest.auditId === entry.id) {
      await writeIndexes(store, newest);
      return { record: newest, created: false };
    }
    try {
      return { record: await appendAuditEntry(store, entry), created: true };
    } catch (err) {
      if (!(err instanceof AuditConflictError) || attempt >= APPEND_ATTEMPTS) throw err;
    }
  }
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

async function allDocs<T>(store: Store, kind: string, scope: string): Promise<{ id: string; body: T }[]> {
  const out: { id: string; body: T }[] = [];
  let fromId: string | undefined;
  for (;;) {
    const page = await store.listDocs<T>(kind, scope, { ...(fromId ? { fromId } : {}), limit: 500 });
    const fresh = fromId ? page.filter((d) => d.id > fromId!) : page;
    out.push(...fresh);
    if (page.length < 500 || fresh.length === 0) break;
    fromId = page[page.length - 1]!.id;
  }
  return out;
}

/**
 * Recomputes the chain and compares it with the head, the input indexes and, when the store has an anchor log, the
 * anchors: altered, deleted, truncated, reordered, forged and re-hashed records and deleted index entries all fail.
 */
export async function verifyAuditTrail(store: Store): Promise<VerifyResult> {
  const head = await store.getDoc<ChainHead>(HEAD_DOC, SCOPE, 'head');
  const records = await chainRecords(store);
  const v = verifyChain(records, head?.body);
  const index = new Map((await allDocs<{ seq: number }>(store, INDEX_DOC, SCOPE)).map((d) => [d.id, d.body.seq]));
  const sorted = [...records].sort((a, b) => a.seq - b.seq);
  const problems = [...v.problems, ...verifyIndex(sorted, index)];
  // Each rollout's index names the seqs of its transitions.
  const rollouts = new Set(records.filter((r) => isRolloutEntry(r.entry)).map((r) => r.entry.input));
  for (const id of rollouts) {
    const expected = new Set(
      records.filter((r) => isRolloutEntry(r.entry) && r.entry.input === id).map((r) => seqId(r.seq)),
    );
    const listed = new Set((await allDocs(store, ROLLOUT_INDEX_DOC, id)).map((d) => d.id));
    for (const seq of expected)
      if (!listed.has(seq))
        problems.push({
          seq: Number(seq),
          problem: 'index-missing',
          detail: `rollout ${id} index lacks this transition`,
        });
  }
  const anchors = store.auditAnchors;
  if (!anchors) return { ...v, ok: problems.length === 0, problems };
  const log = await anchors.all();
  problems.push(...verifyAnchors(sorted, log.anchors));
  for (const p of log.problems) problems.push({ seq: 0, problem: 'anchor-log', detail: p });
  const latest = log.anchors[log.anchors.length - 1];
  return {
    ...v,
    ok: problems.length === 0,
    problems,
    anchor: latest
      ? { log: anchors.description, seq: latest.seq, hash: latest.hash, time: latest.time }
      : { log: anchors.description, seq: 0 },
  };
}

/** The chain head as anchored (the newest anchor), else as the table says; undefined for an empty chain. */
export async function auditHead(store: Store): Promise<ChainHead | undefined> {
  const doc = await store.getDoc<ChainHead>(HEAD_DOC, SCOPE, 'head');
  const latest = await store.auditAnchors?.latest(doc?.body.seq);
  if (latest) return { seq: latest.seq, hash: latest.hash };
  return doc?.body;
}

/**
 * Anchors every record of a chain whose anchor log is empty (a chain built before the store had one), after
 * verifying it. An operator's decision (`warden audit anchor`): what is in the chain now is taken as genuine.
 */
export async function adoptChain(store: Store, now = new Date().toISOString()): Promise<{ anchored: number }> {
  const anchors = store.auditAnchors;
  if (!anchors) throw new AuditIntegrityError(`${store.description} has no anchor log`);
  const records = await chainRecords(store);
  const v = verifyChain(records, (await store.getDoc<ChainHead>(HEAD_DOC, SCOPE, 'head'))?.body);
  if (!v.ok) throw new AuditIntegrityError(`the chain does not verify (${v.problems[0]!.problem}); not anchoring it`);
  if ((await anchors.latest()) !== undefined)
    throw new AuditIntegrityError(
      `${anchors.description} already anchors this chain: records it does not anchor are suspect, not adopted`,
    );
  for (const r of records.sort((a, b) => a.seq - b.seq)) await anchors.append(anchorOf(r, now));
  return { anchored: records.length };
}
