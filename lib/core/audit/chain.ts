/**
 * Hash chain over audit entries. Record n stores hash_n = sha256(hash_{n-1} | n | canonical(entry_n)); the head
 * stores the last seq and hash. Verification recomputes every hash and checks the links and the head, so an altered
 * entry (hash mismatch), a deleted entry in the middle (gap / broken link) or at the end (head mismatch) is found.
 * This is tamper evidence, not tamper proofing: someone able to rewrite every record and the head can forge a new
 * chain; publishing the head hash elsewhere (the drift events carry it, see docs/audit.md) anchors it.
 */
import { canonicalJson, sha256Hex } from './hash.ts';
import type { AuditEntry, ChainHead, ChainRecord, VerifyProblem, VerifyResult } from './types.ts';

export const GENESIS_HASH = '0'.repeat(64);

export function recordHash(prevHash: string, seq: number, entry: AuditEntry): string {
  return sha256Hex(`${prevHash}|${seq}|${canonicalJson(entry)}`);
}

/** The next chain record after `head` (undefined head = empty chain). */
export function nextRecord<E extends AuditEntry>(head: ChainHead | undefined, entry: E): ChainRecord<E> {
  const seq = (head?.seq ?? 0) + 1;
  const prevHash = head?.hash ?? GENESIS_HASH;
  return { seq, auditId: entry.id, prevHash, hash: recordHash(prevHash, seq, entry), entry };
}

/** Zero-padded doc id of a seq, so ids sort in chain order. */
export function seqId(seq: number): string {
  return String(seq).padStart(12, '0');
}

/**
 * Verifies records (any order) against the head.
 * @example verifyChain(await listAllChainRecords(), head).ok
 */
export function verifyChain(records: ChainRecord[], head: ChainHead | undefined): VerifyResult {
  const problems: VerifyProblem[] = [];
  const sorted = [...records].sort((a, b) => a.seq - b.seq);
  let prevHash = GENESIS_HASH;
  let expectedSeq = 1;
  for (const r of sorted) {
    if (r.seq !== expectedSeq) {
      problems.push({
        seq: expectedSeq,
        problem: 'missing-record',
        detail: `records ${expectedSeq}..${r.seq - 1} are missing`,
      });
    }
    if (r.prevHash !== prevHash) {
      problems.push({
        seq: r.seq,
        auditId: r.auditId,
        problem: 'broken-link',
        detail: 'prevHash does not match the previous record',
      });
    }
    const h = recordHash(r.prevHash, r.seq, r.entry);
    if (h !== r.hash) {
      problems.push({
        seq: r.seq,
        auditId: r.auditId,
        problem: 'hash-mismatch',
        detail: 'entry content does not match its hash (altered)',
      });
    }
    if (r.entry.id !== r.auditId) {
      problems.push({
        seq: r.seq,
        auditId: r.auditId,
        problem: 'index-mismatch',
        detail: `record names ${r.auditId} but holds ${r.entry.id}`,
      });
    }
    prevHash = r.hash;
    expectedSeq = r.seq + 1;
  }
  const last = sorted[sorted.length - 1];
  const headSeq = head?.seq ?? 0;
  if (headSeq !== (last?.seq ?? 0) || (last && head?.hash !== last.hash)) {
    problems.push({
      seq: headSeq,
      problem: 'head-mismatch',
      detail: `head says seq ${headSeq}, chain ends at ${last?.seq ?? 0} (records deleted or appended outside the chain)`,
    });
  }
  return { ok: problems.length === 0, records: sorted.length, headSeq, problems };
}
