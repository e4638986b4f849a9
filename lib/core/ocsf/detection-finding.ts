/**
 * Drift as OCSF Detection Finding (class 2004, category 2 Findings). Risky drift is High, expected evolution
 * Informational; the three signals go to `evidences`, the analytic to `finding_info.analytic`, the audit id to
 * `metadata.correlation_uid`. Takes drift objects as data: the classification is lib/core/drift's, not redone here.
 */
import type { DriftObject } from '../drift/types.ts';
import { metadata, type OcsfEvent, withType } from './types.ts';

const FINDINGS = { category_uid: 2, category_name: 'Findings', class_uid: 2004, class_name: 'Detection Finding' };

/** OCSF Detection Finding for one drift object (activity 1 Create). */
export function driftToDetectionFinding(d: DriftObject): OcsfEvent {
  const risky = d.classification === 'risky';
  const from = Date.parse(d.from);
  const to = Date.parse(d.to);
  return withType(FINDINGS, [1, 'Create'], {
    severity_id: risky ? 4 : 1,
    severity: risky ? 'High' : 'Informational',
    status_id: 1,
    status: 'New',
    time: to,
    start_time: from,
    end_time: to,
    message: d.summary,
    confidence_score: Math.round(d.score * 100),
    metadata: metadata(d.id, d.auditId),
    finding_info: {
      uid: d.id,
      title: risky ? `Risky drift on ${d.subject}` : `Expected evolution on ${d.subject}`,
      desc: d.summary,
      types: ['Warden Drift', d.classification],
      first_seen_time: from,
      last_seen_time: to,
      analytic: { name: 'warden-drift', type_id: 2, type: 'Behavioral', uid: 'warden.drift/v1' },
    },
    resources: [{ uid: d.subject, type: d.subject.startsWith('bedrock:') ? 'Bedrock Agent' : 'Kubernetes Deployment' }],
    evidences: Object.entries(d.signals).map(([name, s]) => ({
      name,
      data: { score: s.score, verdict: s.verdict, reason: s.reason },
    })),
    unmapped: {
      signals: Object.fromEntries(Object.entries(d.signals).map(([k, s]) => [k, s.score])),
      evidence: d.evidence.slice(0, 20).map((e) => e.observationId),
      ...(d.auditId ? { auditId: d.auditId } : {}),
    },
  });
}

/** The Detection Findings of a drift run: the risky items only unless `all` (expected evolution is no finding). */
export function driftFindings(items: readonly DriftObject[], all = false): OcsfEvent[] {
  return items.filter((d) => all || d.classification === 'risky').map(driftToDetectionFinding);
}
