/**
 * Rollout transitions in the tamper-evident audit chain: the local rollout (aws-local-stepfunctions, embedded store)
 * of two classes, retrieval enforced and code-execution rolled back, leaves every transition of both classes in the
 * chain in order; the chain verifies; a retried step adds no record; altering one rollout record is detected.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../../lib/adapters/open-store.ts';
import {
  appendAuditEntryOnce,
  CHAIN_DOC,
  chainRecords,
  HEAD_DOC,
  INDEX_DOC,
  rolloutAuditRecords,
  verifyAuditTrail,
} from '../../../lib/app/audit/service.ts';
import type { RolloutDeps } from '../../../lib/app/rollout/deps.ts';
import { runRolloutLocal } from '../../../lib/app/rollout/local.ts';
import { transitions } from '../../../lib/app/rollout/record.ts';
import type { ClassInput } from '../../../lib/app/rollout/schemas.ts';
import { runStep } from '../../../lib/app/rollout/steps.ts';
import { anchorOf } from '../../../lib/core/audit/anchor.ts';
import { nextRecord, seqId } from '../../../lib/core/audit/chain.ts';
import { buildRolloutAuditEntry } from '../../../lib/core/audit/rollout.ts';
import type { ChainHead, ChainRecord, RolloutAuditEntry } from '../../../lib/core/audit/types.ts';
import type { Store } from '../../../lib/ports.ts';
import { CODER, localRolloutDeps, RETRIEVER, TWO_CLASS_SUBJECTS } from '../../support/rollout-fixtures.ts';

let store: Store;
let dir: string;
let deps: RolloutDeps;
const ROLLOUT = 'r-audit-1';

beforeAll(async () => {
  store = await openStore('embedded:memory');
  dir = mkdtempSync(join(tmpdir(), 'warden-rollout-audit-'));
  deps = localRolloutDeps(store, dir, { reviewer: 'sec-reviewer' });
  const r = await runRolloutLocal(deps, {
    rolloutId: ROLLOUT,
    observationSeconds: 3600,
    subjects: [...TWO_CLASS_SUBJECTS],
  });
  expect(r.status).toBe('FAILED');
  expect(r.error).toBe('Warden.RolloutStopped');
});
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const steps = (rs: ChainRecord<RolloutAuditEntry>[]) =>
  rs.map((r) => `${r.entry.transition.class ?? '-'}:${r.entry.transition.step}`);

describe('rollout transitions in the audit chain', () => {
  it('chains every transition of both classes, in order, with artifacts, blast radius and decisions', async () => {
    const recs = await rolloutAuditRecords(store, ROLLOUT);
    const path = steps(recs);
    expect(path).toEqual([
      '-:plan',
      'retrieval:generate',
      'retrieval:apply-monitor',
      'retrieval:measure-blast-radius',
      'retrieval:enforce',
      'retrieval:iam-pull-request-opened',
      'retrieval:iam-pull-request-reviewed',
      'code-execution:generate',
      'code-execution:apply-monitor',
      'code-execution:measure-blast-radius',
      'code-execution:rollback',
      'code-execution:emit-rolled-back',
      '-:record-stop',
    ]);
    // one chain record per stored transition document, in the same order
    const stored = (await transitions(store, ROLLOUT)).map((t) => `${String(t.class ?? '-')}:${String(t.step)}`);
    expect(path).toEqual(stored);
    // chain order is seq order, contiguous for this rollout (nothing else appended meanwhile)
    const seqs = recs.map((r) => r.seq);
    expect(seqs).toEqual(seqs.map((_, i) => seqs[0]! + i));

    const t = (cls: string, step: string) =>
      recs.find((r) => r.entry.transition.class === cls && r.entry.transition.step === step)!.entry.transition;
    const gen = t('retrieval', 'generate');
    expect(gen.artifacts![0]!.subject).toBe(RETRIEVER);
    expect(gen.artifacts![0]!.files.length).toBeGreaterThan(0);
    for (const f of gen.artifacts![0]!.files) expect(f.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(t('retrieval', 'measure-blast-radius')).toMatchObject({
      decision: 'enforce',
      blast: { withinThreshold: true, wouldDenyEvents: 0 },
    });
    expect(t('retrieval', 'enforce')).toMatchObject({ phase: 'enforce', state: 'enforced' });
    const reviewed = t('retrieval', 'iam-pull-request-reviewed');
    expect(reviewed).toMatchObject({ state: 'merged', decision: 'merged', subjects: [RETRIEVER] });
    expect(reviewed.pullRequest).toMatchObject({ merged: true, by: 'sec-reviewer' });
    expect(reviewed.pullRequest!.url).toBe(t('retrieval', 'iam-pull-request-opened').pullRequest!.url);
    expect(t('code-execution', 'measure-blast-radius')).toMatchObject({
      decision: 'rollback',
      blast: { withinThreshold: false, wouldDenyEvents: 15 },
    });
    expect(t('code-execution', 'rollback')).toMatchObject({ state: 'rolled-back', decision: 'rollback' });
    const stop = recs.at(-1)!.entry.transition;
    expect(stop).toMatchObject({ state: 'stopped', decision: 'stopped' });
    expect(stop.error).toMatch(/BlastRadiusExceeded|StepFailed|Warden/);
    expect(recs[0]!.entry.subjects).toEqual([CODER, RETRIEVER].sort());
  });

  it('verifies, and a retried step adds no second record', async () => {
    expect(await verifyAuditTrail(store)).toMatchObject({ ok: true, problems: [] });
    const before = (await chainRecords(store)).length;
    const recs = await rolloutAuditRecords(store, ROLLOUT);
    const measured = recs.find(
      (r) => r.entry.transition.class === 'retrieval' && r.entry.transition.step === 'measure-blast-radius',
    )!;
    // Step Functions retries the task: the same step runs again with the same input.
    const ci: ClassInput = {
      rolloutId: ROLLOUT,
      class: 'retrieval',
      track: 'observe-in-production',
      subjects: [RETRIEVER],
      observationSeconds: 3600,
    };
    const docsBefore = await transitions(store, ROLLOUT);
    await runStep('measure-blast-radius', ci as unknown as Record<string, unknown>, deps);
    await runStep('measure-blast-radius', ci as unknown as Record<string, unknown>, deps);
    // The store keeps one document per transition as well: the first attempt's.
    expect(await transitions(store, ROLLOUT)).toEqual(docsBefore);
    expect((await chainRecords(store)).length).toBe(before);
    const again = await rolloutAuditRecords(store, ROLLOUT);
    expect(again.map((r) => r.hash)).toEqual(recs.map((r) => r.hash));
    expect(again.find((r) => r.auditId === measured.auditId)!.seq).toBe(measured.seq);
    expect(await verifyAuditTrail(store)).toMatchObject({ ok: true, records: before });
  });

  it('completes an append interrupted before its index, and serializes concurrent appends', async () => {
    const entry = buildRolloutAuditEntry(
      { rolloutId: 'r-interrupted', step: 'plan', time: '2026-11-20T10:00:00.000Z', subjects: [RETRIEVER] },
      '2026-11-20T10:00:00.000Z',
    );
    // A worker died after writing the anchor, the head and the chain record, before the index docs.
    const head = await store.getDoc<ChainHead>(HEAD_DOC, 'global', 'head');
    const rec = nextRecord(head!.body, entry);
    await store.auditAnchors!.append(anchorOf(rec, '2026-11-20T10:00:00.000Z'));
    await store.putDoc(HEAD_DOC, 'global', 'head', { seq: rec.seq, hash: rec.hash }, { expectVersion: head!.version });
    await store.putDoc(CHAIN_DOC, 'global', seqId(rec.seq), rec);
    expect(await store.getDoc(INDEX_DOC, 'global', entry.id)).toBeUndefined();
    const retried = await appendAuditEntryOnce(store, { ...entry, builtAt: '2026-11-20T10:01:00.000Z' });
    expect(retried).toMatchObject({ created: false, record: { seq: rec.seq, hash: rec.hash } });
    expect(await store.getDoc(INDEX_DOC, 'global', entry.id)).toMatchObject({ body: { seq: rec.seq } });
    expect((await rolloutAuditRecords(store, 'r-interrupted')).map((r) => r.seq)).toEqual([rec.seq]);

    const before = (await chainRecords(store)).length;
    const results = await Promise.all(
      ['apply-monitor', 'measure-blast-radius', 'enforce'].map((step) =>
        appendAuditEntryOnce(
          store,
          buildRolloutAuditEntry(
            {
              rolloutId: 'r-concurrent',
              step,
              class: 'retrieval',
              track: 'observe-in-production',
              subjects: [RETRIEVER],
              time: '2026-11-20T10:00:00.000Z',
            },
            '2026-11-20T10:00:00.000Z',
          ),
        ),
      ),
    );
    expect(results.every((r) => r.created)).toBe(true);
    expect(new Set(results.map((r) => r.record.seq)).size).toBe(3);
    expect((await chainRecords(store)).length).toBe(before + 3);
    expect(await verifyAuditTrail(store)).toMatchObject({ ok: true });
  });

  it('detects a tampered rollout record', async () => {
    const recs = await rolloutAuditRecords(store, ROLLOUT);
    const target = recs.find(
      (r) => r.entry.transition.class === 'code-execution' && r.entry.transition.step === 'measure-blast-radius',
    )!;
    const forged: ChainRecord<RolloutAuditEntry> = {
      ...target,
      entry: {
        ...target.entry,
        transition: {
          ...target.entry.transition,
          decision: 'enforce',
          blast: { ...target.entry.transition.blast!, withinThreshold: true },
        },
      },
    };
    await store.putDoc(CHAIN_DOC, 'global', seqId(target.seq), forged);
    const v = await verifyAuditTrail(store);
    expect(v.ok).toBe(false);
    expect(v.problems).toEqual([
      expect.objectContaining({ problem: 'hash-mismatch', seq: target.seq, auditId: target.auditId }),
    ]);
  });
});
