/**
 * Drift as OCSF Detection Finding (class 2004, category 2 Findings). Risky drift is High, expected evolution
 * Informational; the three signals go to `finding_info.analytic` / `evidences`, the audit id to `metadata.correlation_uid`.
 */
import type { DriftObject } from '../drift/types.ts';
import { OCSF_VERSION, type OcsfEvent, PRODUCT } from './types.ts';

const CLASS_UID = 2004;

/** OCSF Detection Finding for one drift object (activity 1 Create). */
export function driftToDetectionFinding(d: DriftObject): OcsfEvent {
  const risky = d.classification === 'risky';
  const severity_id = risky ? 4 : 1;
  return {
    category_uid: 2,
    category_name: 'Findings',
    class_uid: CLASS_UID,
    class_name: 'Detection Finding',
    activity_id: 1,
    activity_name: 'Create',
    type_uid: CLASS_UID * 100 + 1,
    type_name: 'Detection Finding: Create',
    severity_id,
    severity: risky ? 'High' : 'Informational',
    status_id: 1,
    status: 'New',
    time: Date.parse(d.from),
    message: d.summary,
    confidence_score: Math.round(d.score * 100),
    metadata: {
      version: OCSF_VERSION,
      product: PRODUCT,
      uid: d.id,
      ...(d.auditId ? { correlation_uid: d.auditId } : {}),
    },
    finding_info: {
      uid: d.id,
      title: risky ? `Risky drift on ${d.subject}` : `Expected evolution on ${d.subject}`,
      desc: d.summary,
      types: ['Warden Drift', d.classification],
      first_seen_time: Date.parse(d.from),
      last_seen_time: Date.parse(d.to),
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
    },
  };
}
