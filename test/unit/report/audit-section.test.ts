/** The report's audit section renders rollout entries as a table of transitions, never as a (empty) timeline chart. */
import { describe, expect, it } from 'vitest';
import { auditSection } from '../../../lib/app/report/sections/audit.ts';
import type { SubjectContext } from '../../../lib/app/report/sections/context.ts';
import { nextRecord } from '../../../lib/core/audit/chain.ts';
import { buildRolloutAuditEntry, type TransitionFacts } from '../../../lib/core/audit/rollout.ts';
import type { AuditEntry, ChainRecord, CrossLayerAuditEntry } from '../../../lib/core/audit/types.ts';
import type { Store } from '../../../lib/ports.ts';

const S = 'k8s:prod/agents/kb-retriever';
const OTHER = 'k8s:prod/agents/code-runner';
const T = '2026-11-20T10:00:00.000Z';
const cls = { class: 'retrieval', track: 'observe-in-production', subjects: [S] };

function chain(entries: AuditEntry[]): ChainRecord[] {
  const out: ChainRecord[] = [];
  for (const e of entries) {
    const prev = out.at(-1);
    out.push(nextRecord(prev ? { seq: prev.seq, hash: prev.hash } : undefined, e));
  }
  return out;
}
const rollout = (f: Partial<TransitionFacts> & { step: string }) =>
  buildRolloutAuditEntry({ rolloutId: 'r-1', time: T, ...f }, T);

const ctxOf = (audit: ChainRecord[], subject = S): SubjectContext => ({
  // auditSection reads only the chain records handed to it
  store: {} as Store,
  now: T,
  record: { subject, firstSeen: T, lastSeen: T, observations: 1, labels: {} },
  cmd: (args) => ['npx', 'warden', ...args].join(' '),
  rollouts: [],
  audit,
});

const transitions = [
  rollout({ step: 'plan', subjects: [S, OTHER] }),
  rollout({
    step: 'generate',
    ...cls,
    artifacts: [{ subject: S, baselineVersion: 5, files: [{ path: 'np.yaml', kind: 'network-policy', content: 'x' }] }],
  }),
  rollout({
    step: 'measure-blast-radius',
    ...cls,
    blast: {
      source: 'production',
      evaluatedEvents: 40,
      wouldDenyEvents: 0,
      perArtifact: { network: { wouldDenyEvents: 0, keys: 0 } },
      affectedSubjects: [],
      withinThreshold: true,
      threshold: { maxWouldDenyEvents: 0, maxWouldDenyRatio: 0 },
    },
  }),
  rollout({
    step: 'iam-pull-request-reviewed',
    ...cls,
    subject: S,
    pullRequest: { number: 3, url: 'https://github.com/acme/infra/pull/3' },
    merged: true,
  }),
  rollout({ step: 'rollback', class: 'code-execution', subjects: [OTHER], restored: [] }),
];

describe('audit section with rollout entries', () => {
  it('renders a subject with only rollout entries as a table of its transitions, without a chart', async () => {
    const sec = await auditSection(ctxOf(chain(transitions)), new Set());
    expect(sec).toMatchObject({ kind: 'audit', hasData: true, charts: 0 });
    expect(sec.html).not.toContain('<figure');
    expect(sec.html).not.toContain('class="no-data"');
    expect(sec.html).toContain('Rollout <code>r-1</code>: 4 chained transitions');
    const rows = sec.html.match(/<tbody>([\s\S]*?)<\/tbody>/)![1]!.split('\n');
    expect(rows).toHaveLength(4);
    expect(rows.map((r) => /<td><code>([a-z-]+)<\/code><\/td>/.exec(r)![1])).toEqual([
      'plan',
      'generate',
      'measure-blast-radius',
      'iam-pull-request-reviewed',
    ]);
    expect(sec.html).toContain('np.yaml@');
    expect(sec.html).toContain('blast radius (production): 0 of 40 events would be denied, within threshold');
    expect(sec.html).toContain('PR #3 https://github.com/acme/infra/pull/3 merged');
    // the other class's rollback belongs to the other subject's section
    expect(sec.html).not.toContain('code-execution');
    const other = await auditSection(ctxOf(chain(transitions), OTHER), new Set());
    expect(other.html).toContain('rollback');
  });

  it('keeps cross-layer entries and adds the rollout table after them', async () => {
    const crossLayer: CrossLayerAuditEntry = {
      schema: 'warden.audit/v1',
      id: 'audit:ZD-1',
      input: 'ZD-1',
      inputType: 'ticket',
      subjects: [S],
      from: T,
      to: T,
      links: { tickets: ['ZD-1'], sessionIds: [], requestIds: [], roleSessions: [], podIps: [], pods: [] },
      prompt: {},
      timeline: [],
      counts: { model: 0, tool: 0, 'cloud-api': 0, egress: 0, kernel: 0 },
      truncated: 0,
      builtAt: T,
    };
    const sec = await auditSection(ctxOf(chain([crossLayer, ...transitions])), new Set());
    expect(sec.hasData).toBe(true);
    expect(sec.html).toContain('1 audited inputs');
    expect(sec.html).toContain('Input <code>ZD-1</code> (ticket)');
    expect(sec.html.indexOf('ZD-1')).toBeLessThan(sec.html.indexOf('Rollout <code>r-1</code>'));
  });

  it('says where entries come from when the subject has none', async () => {
    const sec = await auditSection(ctxOf(chain(transitions), 'k8s:prod/agents/nobody'), new Set());
    expect(sec.hasData).toBe(false);
    // hints are command lines as the user runs Warden (ctx.cmd), not a bare `warden` that may not be on the PATH
    expect(sec.html).toContain('npx warden rollout start');
    expect(sec.html).toContain('npx warden audit --input ID');
  });
});
