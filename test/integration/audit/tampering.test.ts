/**
 * `audit verify` against every tampering shape (issue #16, item 4), on the embedded SQLite store and on the DynamoDB
 * store over dynalite, each with its anchor file:
 * altered, re-hashed, deleted (middle, tail, tail with the head rewritten, everything), reordered, forged and
 * duplicated records, a deleted or re-pointed index entry, a deleted head, a rewritten anchor. Each one fails
 * verification with the problem that names it; an intact chain passes; a chain whose head is not the anchored head
 * refuses further appends instead of sealing a forged record.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { itemKeys } from '../../../lib/adapters/dynamo-store-items.ts';
import { EMBEDDED_DB_FILE, openStore } from '../../../lib/adapters/open-store.ts';
import {
  AuditIntegrityError,
  appendAuditEntry,
  auditHead,
  CHAIN_DOC,
  chainRecords,
  HEAD_DOC,
  INDEX_DOC,
  ROLLOUT_INDEX_DOC,
  verifyAuditTrail,
} from '../../../lib/app/audit/service.ts';
import { nextRecord, recordHash, seqId } from '../../../lib/core/audit/chain.ts';
import { buildRolloutAuditEntry } from '../../../lib/core/audit/rollout.ts';
import type { ChainHead, ChainRecord, CrossLayerAuditEntry, VerifyProblemKind } from '../../../lib/core/audit/types.ts';
import type { Store } from '../../../lib/ports.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const entry = (input: string, n = 1): CrossLayerAuditEntry => ({
  schema: 'warden.audit/v1',
  id: `audit:${input}`,
  input,
  inputType: 'ticket',
  subjects: ['k8s:prod/support/support-agent'],
  from: '2026-10-20T14:05:00.000Z',
  to: '2026-10-20T14:07:00.000Z',
  links: { tickets: [input], sessionIds: [], requestIds: [], roleSessions: [], podIps: [], pods: [] },
  prompt: {},
  timeline: [],
  counts: { model: 1, tool: 3, 'cloud-api': 2400 * n, egress: 2, kernel: 4 },
  truncated: 0,
  builtAt: '2026-10-26T00:00:00.000Z',
});

const KINDS = ['embedded', 'dynalite'] as const;
type Kind = (typeof KINDS)[number];
/** Where each local store keeps its anchor file: beside its database. */
const anchorFile = (kind: Kind, dir: string) =>
  kind === 'embedded' ? join(dir, 'store', `${EMBEDDED_DB_FILE}.anchors.ndjson`) : join(dir, 'store.anchors.ndjson');

/** A fresh local store (on disk: a real anchor file) with 6 chained entries, one of them a rollout transition. */
async function chained(kind: Kind): Promise<{ store: Store; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'warden-tamper-'));
  dirs.push(dir);
  const store = await openStore(`${kind}:${join(dir, 'store')}`);
  for (const t of ['ZD-1', 'ZD-2', 'ZD-3', 'ZD-49173', 'ZD-5']) await appendAuditEntry(store, entry(t));
  await appendAuditEntry(
    store,
    buildRolloutAuditEntry(
      { rolloutId: 'r-1', step: 'plan', time: '2026-11-20T10:00:00.000Z' },
      '2026-11-20T10:00:00.000Z',
    ),
  );
  return { store, dir };
}

const put = (s: Store, r: ChainRecord) => s.putDoc(CHAIN_DOC, 'global', seqId(r.seq), r);
const setHead = async (s: Store, h: ChainHead) => {
  const cur = await s.getDoc<ChainHead>(HEAD_DOC, 'global', 'head');
  await s.putDoc(HEAD_DOC, 'global', 'head', h, { expectVersion: cur?.version ?? 0 });
};
/**
 * Deletes a doc the way someone with write access to the database would (the Store port has no delete): a raw
 * DeleteItem on the table, or a DELETE through a second connection to the SQLite file.
 */
async function del(s: Store, kind: string, scope: string, id: string): Promise<void> {
  if ('client' in s) {
    const { DeleteItemCommand } = await import('@aws-sdk/client-dynamodb');
    const { DEFAULT_TABLE_NAME } = await import('../../../lib/adapters/table-schema.ts');
    const client = (s as unknown as { client: { send(c: unknown): Promise<unknown> } }).client;
    await client.send(
      new DeleteItemCommand({
        TableName: DEFAULT_TABLE_NAME,
        Key: { pk: { S: itemKeys.docPk(kind, scope) }, sk: { S: id } },
      }),
    );
    return;
  }
  const path = s.description.replace(/^embedded:/, '');
  const db = new Database(join(path, EMBEDDED_DB_FILE));
  try {
    db.prepare('DELETE FROM docs WHERE kind = ? AND scope = ? AND id = ?').run(kind, scope, id);
  } finally {
    db.close();
  }
}
/** Re-hashes records from `fromSeq` to the end (the "rewrite the chain after an edit" attack). */
function rehash(records: ChainRecord[], fromSeq: number): ChainRecord[] {
  const out = [...records].sort((a, b) => a.seq - b.seq);
  for (let i = fromSeq - 1; i < out.length; i++) {
    const prevHash = i === 0 ? '0'.repeat(64) : out[i - 1]!.hash;
    out[i] = { ...out[i]!, prevHash, hash: recordHash(prevHash, out[i]!.seq, out[i]!.entry) };
  }
  return out;
}
const altered = (r: ChainRecord): ChainRecord => ({
  ...r,
  entry: {
    ...(r.entry as CrossLayerAuditEntry),
    counts: { ...(r.entry as CrossLayerAuditEntry).counts, 'cloud-api': 24 },
  },
});

type Tamper = (s: Store, records: ChainRecord[], anchors: string) => Promise<unknown>;
const shapes: [string, Tamper, VerifyProblemKind][] = [
  ['alter an entry', (s, rs) => put(s, altered(rs[2]!)), 'hash-mismatch'],
  [
    'alter an entry and re-hash it alone',
    async (s, rs) => {
      const a = altered(rs[2]!);
      await put(s, { ...a, hash: recordHash(a.prevHash, a.seq, a.entry) });
    },
    'broken-link',
  ],
  [
    'alter an entry and re-hash the chain to a new head',
    async (s, rs) => {
      const re = rehash(
        rs.map((r, i) => (i === 2 ? altered(r) : r)),
        3,
      );
      for (const r of re.slice(2)) await put(s, r);
      await setHead(s, { seq: re.at(-1)!.seq, hash: re.at(-1)!.hash });
    },
    'anchor-mismatch',
  ],
  ['delete a middle record', (s) => del(s, CHAIN_DOC, 'global', seqId(3)), 'missing-record'],
  ['delete the last record', (s) => del(s, CHAIN_DOC, 'global', seqId(6)), 'head-mismatch'],
  [
    'delete the last two records and rewrite the head',
    async (s, rs) => {
      await del(s, CHAIN_DOC, 'global', seqId(6));
      await del(s, CHAIN_DOC, 'global', seqId(5));
      await setHead(s, { seq: 4, hash: rs[3]!.hash });
    },
    'truncated',
  ],
  [
    'delete every record and the head',
    async (s) => {
      for (let i = 1; i <= 6; i++) await del(s, CHAIN_DOC, 'global', seqId(i));
      await del(s, HEAD_DOC, 'global', 'head');
    },
    'truncated',
  ],
  [
    'delete every record, keeping the head',
    async (s) => {
      for (let i = 1; i <= 6; i++) await del(s, CHAIN_DOC, 'global', seqId(i));
    },
    'truncated',
  ],
  [
    'swap two records',
    async (s, rs) => {
      await put(s, { ...rs[1]!, seq: 3 });
      await put(s, { ...rs[2]!, seq: 2 });
    },
    'broken-link',
  ],
  [
    'forge a valid append and move the head',
    async (s, rs) => {
      const forged = nextRecord({ seq: 6, hash: rs[5]!.hash }, entry('ZD-FORGED'));
      await put(s, forged);
      await s.putDoc(INDEX_DOC, 'global', forged.auditId, { seq: 7 });
      await setHead(s, { seq: 7, hash: forged.hash });
    },
    'unanchored-record',
  ],
  [
    'forge an append without moving the head',
    async (s, rs) => {
      const forged = nextRecord({ seq: 6, hash: rs[5]!.hash }, entry('ZD-FORGED'));
      await put(s, forged);
      await s.putDoc(INDEX_DOC, 'global', forged.auditId, { seq: 7 });
    },
    'unanchored-record',
  ],
  ['delete an index entry', (s) => del(s, INDEX_DOC, 'global', 'audit:ZD-49173'), 'index-missing'],
  [
    'point an index entry at another record',
    (s) => s.putDoc(INDEX_DOC, 'global', 'audit:ZD-49173', { seq: 2 }),
    'index-mismatch',
  ],
  ['delete the head', (s) => del(s, HEAD_DOC, 'global', 'head'), 'head-mismatch'],
  [
    'chain an entry twice (a replayed record re-hashed onto the head)',
    async (s, rs) => {
      const dup = nextRecord({ seq: 6, hash: rs[5]!.hash }, rs[3]!.entry);
      await put(s, dup);
      await setHead(s, { seq: 7, hash: dup.hash });
    },
    'duplicate-entry',
  ],
  ['delete a rollout index entry', (s) => del(s, ROLLOUT_INDEX_DOC, 'r-1', seqId(6)), 'index-missing'],
  [
    'rewrite an anchor in the anchor file',
    async (_s, _rs, p) => {
      const lines = readFileSync(p, 'utf8').split('\n');
      lines[2] = lines[2]!.replace(/"hash":"[0-9a-f]{4}/, '"hash":"0000');
      writeFileSync(p, lines.join('\n'));
    },
    'anchor-log',
  ],
];

describe.each(KINDS)('audit verify on the %s store', (kind) => {
  it('passes an intact chain, anchored at its head', async () => {
    const { store, dir } = await chained(kind);
    const v = await verifyAuditTrail(store);
    expect(v).toMatchObject({ ok: true, records: 6, headSeq: 6, problems: [] });
    expect(v.anchor).toMatchObject({ seq: 6, log: `file:${anchorFile(kind, dir)}` });
    expect(await auditHead(store)).toEqual({ seq: 6, hash: (await chainRecords(store)).at(-1)!.hash });
    await store.close();
  });

  it.each(shapes)('fails when someone does this: %s', async (_name, tamper, problem) => {
    const { store, dir } = await chained(kind);
    await tamper(store, await chainRecords(store), anchorFile(kind, dir));
    const v = await verifyAuditTrail(store);
    expect(v.ok).toBe(false);
    expect(v.problems.map((p) => p.problem)).toContain(problem);
    await store.close();
  });

  it(`covers ${shapes.length} shapes`, () => expect(shapes.length).toBeGreaterThanOrEqual(14));

  it('refuses to append onto a forged record or a truncated chain, naming the fix', async () => {
    for (const i of [9, 5]) {
      const { store, dir } = await chained(kind);
      await shapes[i]![1](store, await chainRecords(store), anchorFile(kind, dir));
      await expect(appendAuditEntry(store, entry('ZD-NEXT'))).rejects.toBeInstanceOf(AuditIntegrityError);
      await expect(appendAuditEntry(store, entry('ZD-NEXT'))).rejects.toThrow(/warden audit verify/);
      await store.close();
    }
  });

  it('completes an append interrupted after its anchor, and the chain verifies', async () => {
    const { store } = await chained(kind);
    const head = (await store.getDoc<ChainHead>(HEAD_DOC, 'global', 'head'))!.body;
    const { anchorOf } = await import('../../../lib/core/audit/anchor.ts');
    // The anchor was written, then the process died before the table moved.
    await store.auditAnchors!.append(anchorOf(nextRecord(head, entry('ZD-CRASH')), '2026-11-20T10:00:00.000Z'));
    await appendAuditEntry(store, entry('ZD-AFTER'));
    const v = await verifyAuditTrail(store);
    expect(v).toMatchObject({ ok: true, records: 8 });
    expect((await chainRecords(store)).map((r) => r.auditId).slice(-2)).toEqual(['audit:ZD-CRASH', 'audit:ZD-AFTER']);
    await store.close();
  });
});
