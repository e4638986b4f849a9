/**
 * Anchoring the audit chain outside the table that holds it. Every append first writes an anchor (seq, hash and the
 * record itself) to an append-only log (an S3 object under Object Lock in AWS, a local file for the embedded store),
 * then the table. Verification then catches what the table alone cannot: records deleted from the end and the head
 * rewritten (`truncated`), everything deleted, a record forged and appended outside Warden (`unanchored-record`),
 * a chain re-hashed after an edit (`anchor-mismatch`); and the input index is checked against the chain.
 */
import { GENESIS_HASH } from './chain.ts';
import type { AuditAnchor, ChainHead, ChainRecord, VerifyProblem } from './types.ts';

/** The anchor of a chain record. */
export function anchorOf(rec: ChainRecord, time: string): AuditAnchor {
  return { seq: rec.seq, hash: rec.hash, auditId: rec.auditId, time, record: rec };
}

/** How the table's head stands against the newest anchor, before an append. */
export type HeadState =
  | { state: 'in-step' }
  /** The newest anchor's append was interrupted before the table caught up: complete it from the anchor. */
  | { state: 'behind-by-one'; anchor: AuditAnchor }
  | { state: 'diverged'; detail: string };

/** Compares the table's head with the newest anchor. */
export function headState(head: ChainHead | undefined, latest: AuditAnchor | undefined): HeadState {
  const headSeq = head?.seq ?? 0;
  const anchorSeq = latest?.seq ?? 0;
  if (headSeq === anchorSeq && (head?.hash ?? GENESIS_HASH) === (latest?.hash ?? GENESIS_HASH))
    return { state: 'in-step' };
  if (latest && headSeq === anchorSeq - 1 && latest.record.prevHash === (head?.hash ?? GENESIS_HASH))
    return { state: 'behind-by-one', anchor: latest };
  return {
    state: 'diverged',
    detail: `the table's audit head is seq ${headSeq}, the anchored head seq ${anchorSeq}${
      headSeq === anchorSeq ? ' with another hash' : ''
    }`,
  };
}

/** Checks the records (seq order) against the anchors (any order). */
export function verifyAnchors(records: ChainRecord[], anchors: AuditAnchor[]): VerifyProblem[] {
  const problems: VerifyProblem[] = [];
  const bySeq = new Map(records.map((r) => [r.seq, r]));
  const lastSeq = records[records.length - 1]?.seq ?? 0;
  const sorted = [...anchors].sort((a, b) => a.seq - b.seq);
  const maxAnchored = sorted[sorted.length - 1]?.seq ?? 0;
  if (maxAnchored > lastSeq)
    problems.push({
      seq: lastSeq + 1,
      problem: 'truncated',
      detail: `records ${lastSeq + 1}..${maxAnchored} are anchored but gone from the chain (deleted from its end)`,
    });
  const seen = new Map<number, AuditAnchor>();
  for (const a of sorted) {
    const twin = seen.get(a.seq);
    if (twin && twin.hash !== a.hash)
      problems.push({ seq: a.seq, problem: 'anchor-log', detail: 'two anchors of one seq with different hashes' });
    seen.set(a.seq, a);
    const rec = bySeq.get(a.seq);
    if (rec && (rec.hash !== a.hash || rec.auditId !== a.auditId))
      problems.push({
        seq: a.seq,
        auditId: rec.auditId,
        problem: 'anchor-mismatch',
        detail: `record differs from its anchor of ${a.time} (anchored ${a.auditId}, hash ${a.hash.slice(0, 12)})`,
      });
  }
  const unanchored = records.filter((r) => r.seq > maxAnchored);
  if (unanchored.length > 0)
    problems.push({
      seq: unanchored[0]!.seq,
      auditId: unanchored[0]!.auditId,
      problem: 'unanchored-record',
      detail: `records ${unanchored[0]!.seq}..${unanchored[unanchored.length - 1]!.seq} have no anchor: appended outside Warden (or an append interrupted before its anchor)`,
    });
  return problems;
}

/**
 * Checks the input index (audit id -> seq) against the chain: every record indexed at its own seq, no index entry
 * pointing elsewhere, no audit id chained twice (a deleted index entry makes the next lookup chain a second entry).
 */
export function verifyIndex(records: ChainRecord[], index: ReadonlyMap<string, number>): VerifyProblem[] {
  const problems: VerifyProblem[] = [];
  const first = new Map<string, number>();
  for (const r of records) {
    const earlier = first.get(r.auditId);
    if (earlier !== undefined)
      problems.push({
        seq: r.seq,
        auditId: r.auditId,
        problem: 'duplicate-entry',
        detail: `${r.auditId} is already chained at seq ${earlier}`,
      });
    else first.set(r.auditId, r.seq);
    const at = index.get(r.auditId);
    if (at === undefined && earlier === undefined)
      problems.push({ seq: r.seq, auditId: r.auditId, problem: 'index-missing', detail: 'no index entry for it' });
  }
  for (const [auditId, seq] of index) {
    const chained = first.get(auditId);
    if (chained !== seq)
      problems.push({
        seq,
        auditId,
        problem: 'index-mismatch',
        detail:
          chained === undefined
            ? `index names seq ${seq}, which does not hold ${auditId}`
            : `index names seq ${seq}, the chain holds it at seq ${chained}`,
      });
  }
  return problems;
}
