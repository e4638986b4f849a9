import { describe, expect, it } from 'vitest';
import { GENESIS_HASH, nextRecord, verifyChain } from '../../../lib/core/audit/chain.ts';
import { canonicalJson, sha256Hex } from '../../../lib/core/audit/hash.ts';
import type { ChainRecord, CrossLayerAuditEntry } from '../../../lib/core/audit/types.ts';

const entry = (input: string): CrossLayerAuditEntry => ({
  schema: 'warden.audit/v1',
  id: `audit:${input}`,
  input,
  inputType: 'ticket',
  subjects: ['k8s:c/ns/d'],
  from: '2026-10-20T14:05:00.000Z',
  to: '2026-10-20T14:07:00.000Z',
  links: { tickets: [input], sessionIds: [], requestIds: [], roleSessions: [], podIps: [], pods: [] },
  prompt: {},
  timeline: [],
  counts: { model: 1, tool: 3, 'cloud-api': 2400, egress: 2, kernel: 4 },
  truncated: 0,
  builtAt: '2026-10-26T00:00:00.000Z',
});

function chain(n: number): ChainRecord<CrossLayerAuditEntry>[] {
  const out: ChainRecord<CrossLayerAuditEntry>[] = [];
  for (let i = 0; i < n; i++) {
    const prev = out[out.length - 1];
    out.push(nextRecord(prev ? { seq: prev.seq, hash: prev.hash } : undefined, entry(`ZD-${i}`)));
  }
  return out;
}
const headOf = (c: ChainRecord<CrossLayerAuditEntry>[]) => ({ seq: c[c.length - 1]!.seq, hash: c[c.length - 1]!.hash });

describe('audit hash chain', () => {
  it('sha256 and canonical JSON are stable', () => {
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(canonicalJson({ b: 1, a: [2, { d: 1, c: 2 }] })).toBe('{"a":[2,{"c":2,"d":1}],"b":1}');
  });

  it('verifies an intact chain', () => {
    const c = chain(5);
    expect(c[0]!.prevHash).toBe(GENESIS_HASH);
    expect(verifyChain(c, headOf(c))).toMatchObject({ ok: true, records: 5, headSeq: 5 });
  });

  it.each([
    [
      'altered entry',
      (c: ChainRecord<CrossLayerAuditEntry>[]) => {
        c[2] = { ...c[2]!, entry: { ...c[2]!.entry, counts: { ...c[2]!.entry.counts, 'cloud-api': 24 } } };
        return c;
      },
      'hash-mismatch',
    ],
    [
      'deleted middle entry',
      (c: ChainRecord<CrossLayerAuditEntry>[]) => c.filter((r) => r.seq !== 3),
      'missing-record',
    ],
    ['deleted last entry', (c: ChainRecord<CrossLayerAuditEntry>[]) => c.slice(0, -1), 'head-mismatch'],
    [
      'swapped entry under another id',
      (c: ChainRecord<CrossLayerAuditEntry>[]) => {
        c[1] = { ...c[1]!, auditId: 'audit:other' };
        return c;
      },
      'index-mismatch',
    ],
  ] as const)('detects %s', (_name, tamper, problem) => {
    const c = chain(5);
    const head = headOf(c);
    const v = verifyChain(tamper([...c]), head);
    expect(v.ok).toBe(false);
    expect(v.problems.map((p) => p.problem)).toContain(problem);
  });
});
