import { describe, expect, it } from 'vitest';
import { nextRecord, verifyChain } from '../../../lib/core/audit/chain.ts';
import { sha256Hex } from '../../../lib/core/audit/hash.ts';
import { auditIdFor } from '../../../lib/core/audit/ids.ts';
import {
  buildRolloutAuditEntry,
  describeTransition,
  rolloutTransitionName,
  type TransitionFacts,
} from '../../../lib/core/audit/rollout.ts';
import { type ChainRecord, isCrossLayerEntry, isRolloutEntry } from '../../../lib/core/audit/types.ts';
import { auditEntryToOcsf } from '../../../lib/core/ocsf/audit-trail.ts';

const T = '2026-11-20T10:00:00.000Z';
const RETRIEVER = 'k8s:prod/agents/kb-retriever';
const cls = { class: 'retrieval', track: 'observe-in-production', subjects: [RETRIEVER] };
const BLAST = {
  source: 'production',
  evaluatedEvents: 45,
  wouldDenyEvents: 15,
  perArtifact: {
    network: { wouldDenyEvents: 12, keys: 1, examples: [{ key: 'net:egress:151.101.0.223/32:443' }] },
    seccomp: { wouldDenyEvents: 3, keys: 1, examples: [] },
    iam: { wouldDenyEvents: 0, keys: 0, examples: [] },
  },
  affectedSubjects: [RETRIEVER],
  withinThreshold: false,
  threshold: { maxWouldDenyEvents: 0, maxWouldDenyRatio: 0 },
};
const facts = (f: Partial<TransitionFacts> & { step: string }): TransitionFacts => ({
  rolloutId: 'r-1',
  time: T,
  ...f,
});

describe('rollout transition names', () => {
  it.each([
    [{ step: 'plan' }, 'plan'],
    [{ step: 'record-done' }, 'record-done'],
    [{ step: 'record-stop', class: 'ignored' }, 'record-stop'],
    [
      { step: 'enforce', class: 'retrieval', track: 'observe-in-production' },
      'retrieval/observe-in-production/enforce',
    ],
    [
      { step: 'measure-blast-radius', class: 'retrieval', track: 'pre-enforced' },
      'retrieval/pre-enforced/measure-blast-radius',
    ],
    [
      { step: 'iam-pull-request-opened', class: 'retrieval', track: 'observe-in-production', subject: RETRIEVER },
      `retrieval/observe-in-production/iam-pull-request-opened/${RETRIEVER}`,
    ],
  ])('%j -> %s', (f, name) => {
    expect(rolloutTransitionName(f)).toBe(name);
  });

  it.each([
    [{ step: 'deploy' }, /unknown rollout transition step "deploy"/],
    [{ step: 'enforce' }, /enforce names no class/],
    [{ step: 'iam-pull-request-reviewed', class: 'retrieval' }, /names no subject/],
  ])('rejects %j', (f, msg) => {
    expect(() => rolloutTransitionName(f)).toThrow(msg);
  });
});

describe('buildRolloutAuditEntry', () => {
  it('ids depend on (rollout, transition) only, so a retried step maps to the same entry', () => {
    const a = buildRolloutAuditEntry(facts({ step: 'apply-monitor', ...cls, applied: ['monitor:a.yaml'] }), T);
    const later = '2026-11-20T10:05:00.000Z';
    const b = buildRolloutAuditEntry(
      facts({ step: 'apply-monitor', ...cls, time: later, applied: ['monitor:a.yaml'] }),
      later,
    );
    expect(a.id).toBe('audit-rollout:r-1/retrieval/observe-in-production/apply-monitor');
    expect(b.id).toBe(a.id);
    expect(buildRolloutAuditEntry(facts({ step: 'enforce', ...cls }), T).id).not.toBe(a.id);
    expect(buildRolloutAuditEntry(facts({ step: 'apply-monitor', ...cls, rolloutId: 'r-2' }), T).id).not.toBe(a.id);
    // never the id of a cross-layer entry, whatever the ticket id looks like
    expect(a.id).not.toBe(auditIdFor('rollout:r-1/retrieval/observe-in-production/apply-monitor'));
    expect(a.id.startsWith('audit:')).toBe(false);
  });

  it('keeps artifact ids with the sha256 of their content, never the content', () => {
    const content = 'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n';
    const e = buildRolloutAuditEntry(
      facts({
        step: 'generate',
        ...cls,
        artifacts: [
          {
            subject: RETRIEVER,
            baselineVersion: 5,
            files: [
              { path: 'seccomp.json', kind: 'seccomp', content: '{"defaultAction":"SCMP_ACT_ERRNO"}' },
              { path: 'network-policy.yaml', kind: 'network-policy', content },
            ],
          },
        ],
      }),
      T,
    );
    expect(e).toMatchObject({ inputType: 'rollout', input: 'r-1', subjects: [RETRIEVER], from: T, to: T });
    expect(e.transition).toMatchObject({ phase: 'generate', state: 'generated', class: 'retrieval' });
    const files = e.transition.artifacts![0]!.files;
    expect(files.map((f) => f.path)).toEqual(['network-policy.yaml', 'seccomp.json']);
    expect(files[0]).toEqual({ path: 'network-policy.yaml', kind: 'network-policy', sha256: sha256Hex(content) });
    expect(JSON.stringify(e)).not.toContain('NetworkPolicy');
  });

  it('records the blast radius without examples and the decision it leads to', () => {
    const over = buildRolloutAuditEntry(facts({ step: 'measure-blast-radius', ...cls, blast: BLAST }), T);
    expect(over.transition.decision).toBe('rollback');
    expect(over.transition.blast).toEqual({
      source: 'production',
      evaluatedEvents: 45,
      wouldDenyEvents: 15,
      perArtifact: {
        network: { wouldDenyEvents: 12, keys: 1 },
        seccomp: { wouldDenyEvents: 3, keys: 1 },
        iam: { wouldDenyEvents: 0, keys: 0 },
      },
      affectedSubjects: [RETRIEVER],
      withinThreshold: false,
      threshold: { maxWouldDenyEvents: 0, maxWouldDenyRatio: 0 },
    });
    const within = buildRolloutAuditEntry(
      facts({ step: 'measure-blast-radius', ...cls, blast: { ...BLAST, wouldDenyEvents: 0, withinThreshold: true } }),
      T,
    );
    expect(within.transition.decision).toBe('enforce');
    expect(describeTransition(over.transition)).toBe(
      'blast radius (production): 15 of 45 events would be denied, over threshold (network 12, seccomp 3, iam 0)',
    );
  });

  it('records pull requests, reviews and the end of the rollout', () => {
    const pr = { number: 7, url: 'https://github.com/acme/infra/pull/7' };
    const opened = buildRolloutAuditEntry(
      facts({ step: 'iam-pull-request-opened', ...cls, subject: RETRIEVER, pullRequest: pr }),
      T,
    );
    expect(opened.transition).toMatchObject({ phase: 'iam-review', state: 'awaiting-review', pullRequest: pr });
    expect(opened.transition.decision).toBeUndefined();
    const merged = buildRolloutAuditEntry(
      facts({
        step: 'iam-pull-request-reviewed',
        ...cls,
        subject: RETRIEVER,
        pullRequest: pr,
        merged: true,
        by: 'sec',
      }),
      T,
    );
    expect(merged.transition).toMatchObject({
      state: 'merged',
      decision: 'merged',
      pullRequest: { ...pr, merged: true, by: 'sec' },
    });
    expect(describeTransition(merged.transition)).toBe('PR #7 https://github.com/acme/infra/pull/7 merged by sec');
    const closed = buildRolloutAuditEntry(
      facts({ step: 'iam-pull-request-reviewed', ...cls, subject: RETRIEVER, pullRequest: pr, merged: false }),
      T,
    );
    expect(closed.transition).toMatchObject({ state: 'closed', decision: 'closed' });

    const stop = buildRolloutAuditEntry(
      facts({ step: 'record-stop', subjects: [RETRIEVER], error: { Error: 'States.TaskFailed', Cause: 'boom' } }),
      T,
    );
    expect(stop.id).toBe('audit-rollout:r-1/record-stop');
    expect(stop.transition).toMatchObject({
      phase: 'finish',
      state: 'stopped',
      decision: 'stopped',
      error: 'States.TaskFailed: boom',
    });
    expect(stop.transition.class).toBeUndefined();
    const done = buildRolloutAuditEntry(facts({ step: 'record-done' }), T);
    expect(done.transition).toMatchObject({ state: 'completed', decision: 'completed', subjects: [] });
  });

  it('refuses a transition without a rollout id or a valid time', () => {
    expect(() => buildRolloutAuditEntry(facts({ step: 'plan', rolloutId: '' }), T)).toThrow(/without a rolloutId/);
    expect(() => buildRolloutAuditEntry(facts({ step: 'plan', time: 'yesterday' }), T)).toThrow(/not a date/);
  });

  it('chains like any entry: an altered transition breaks its hash', () => {
    const e1 = buildRolloutAuditEntry(facts({ step: 'plan', subjects: [RETRIEVER] }), T);
    const e2 = buildRolloutAuditEntry(facts({ step: 'measure-blast-radius', ...cls, blast: BLAST }), T);
    const r1 = nextRecord(undefined, e1);
    const r2 = nextRecord({ seq: r1.seq, hash: r1.hash }, e2);
    const head = { seq: r2.seq, hash: r2.hash };
    expect(verifyChain([r1, r2], head).ok).toBe(true);
    expect(isRolloutEntry(r2.entry) && !isCrossLayerEntry(r2.entry)).toBe(true);
    const altered: ChainRecord = {
      ...r2,
      entry: { ...r2.entry, transition: { ...r2.entry.transition, decision: 'enforce' } },
    };
    const v = verifyChain([r1, altered], head);
    expect(v.ok).toBe(false);
    expect(v.problems).toEqual([expect.objectContaining({ problem: 'hash-mismatch', auditId: e2.id })]);
  });

  it('exports as one OCSF Entity Management event per transition', () => {
    const gen = auditEntryToOcsf(
      buildRolloutAuditEntry(facts({ step: 'enforce', ...cls, applied: ['enforce:np'] }), T),
    );
    expect(gen).toHaveLength(1);
    expect(gen[0]).toMatchObject({
      class_uid: 3004,
      activity_id: 8,
      activity_name: 'Enable',
      type_uid: 300408,
      status: 'Success',
      time: Date.parse(T),
      metadata: { uid: 'audit-rollout:r-1/retrieval/observe-in-production/enforce', correlation_uid: 'rollout:r-1' },
      entity: { uid: 'retrieval/observe-in-production/enforce', data: { applied: ['enforce:np'] } },
    });
    const stop = auditEntryToOcsf(buildRolloutAuditEntry(facts({ step: 'record-stop', error: 'over threshold' }), T));
    expect(stop[0]).toMatchObject({ activity_id: 99, status: 'Failure', status_detail: 'over threshold' });
    const rb = auditEntryToOcsf(buildRolloutAuditEntry(facts({ step: 'rollback', ...cls, restored: [] }), T));
    expect(rb[0]).toMatchObject({ activity_id: 9, activity_name: 'Disable', severity: 'Medium', status: 'Success' });
  });
});
