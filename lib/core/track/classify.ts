/**
 * Observation-window risk classification (capability 5): assigns each agent the track `observe-in-production` or
 * `pre-enforced` from data sensitivity, agent class and privilege. The rule and windows are documented in
 * docs/tracks.md; keep the two in step.
 *
 * @example classifyTrack({ subject, labels: { 'warden.dev/data-class': 'pii', 'warden.dev/agent-class': 'customer-support' }, ... }).track
 */
import type { AccessLevel } from '../iam/catalog.ts';
import { isBehaviorKey } from '../observation.ts';

export const TRACKS = ['observe-in-production', 'pre-enforced'] as const;
export type Track = (typeof TRACKS)[number];

export const DATA_CLASSES = ['pii', 'pci', 'phi'] as const;
export type DataClass = (typeof DATA_CLASSES)[number];

export const AGENT_CLASSES = ['code-execution', 'retrieval', 'customer-support', 'orchestrator', 'general'] as const;
export type AgentClass = (typeof AGENT_CLASSES)[number];

export const LABEL_DATA_CLASS = 'warden.dev/data-class';
export const LABEL_AGENT_CLASS = 'warden.dev/agent-class';
export const LABEL_STAGING_SUBJECT = 'warden.dev/staging-subject';
export const LABEL_IMAGE_DIGEST = 'warden.dev/image-digest';
export const LABEL_AGENT_VERSION = 'warden.dev/agent-version';

/** Required observation windows per track (days); docs/tracks.md explains them. */
export const REQUIRED_WINDOW = {
  'observe-in-production': {
    days: 14,
    description:
      '14 days in production (two full weeks of hour-of-week seasonality) and a converged baseline before enforcing',
  },
  'pre-enforced': {
    days: 7,
    description:
      '7 days in staging on the same image digest / agent version; enforced from the first production deploy',
  },
} as const satisfies Record<Track, { days: number; description: string }>;

export interface TrackInput {
  subject: string;
  /** Labels of the subject (Deployment labels / Bedrock agent tags). */
  labels: Record<string, string>;
  /** Resources the agent touched or is granted, with their tags. */
  resources: { arn: string; tags: Record<string, string> }[];
  /** Observed behavior keys in the window (tool:, kb:, agent:, exec:, dns:, api: ...). */
  observedKeys: string[];
  /** Declared tool keys. */
  declaredTools: string[];
  /** Access levels the agent holds: granted by its own role plus inherited scope it can reach. */
  grantedAccessLevels: AccessLevel[];
  /** Known subjects (for locating the staging subject) with their labels. */
  subjects: { subject: string; labels: Record<string, string> }[];
  /** Behavior keys of the staging baseline, when a staging subject is found (the service loads them). */
  stagingKeys?: string[];
}

export interface TrackDecision {
  subject: string;
  track: Track;
  /** The rule that decided (`R1` ... `R5`, see docs/tracks.md). */
  rule: string;
  reasons: string[];
  agentClass: { value: AgentClass; inferred: boolean; reason: string };
  dataClasses: { class: DataClass; source: string }[];
  privilege: { accessLevels: AccessLevel[]; writes: boolean; permissionsManagement: boolean };
  requiredWindow: { days: number; description: string };
  preEnforced?: PreEnforcedPlan;
}

export interface PreEnforcedPlan {
  stagingSubject?: string;
  status: 'ready' | 'no-staging-subject' | 'promotion-key-mismatch' | 'no-promotion-key';
  promotionKey?: { kind: 'image-digest' | 'agent-version'; production?: string; staging?: string };
  /** Production behaviors outside the staging baseline: reported for review, never auto-admitted. */
  deviations: string[];
}

function parseDataClasses(value: string | undefined): DataClass[] {
  if (!value) return [];
  return value
    .split(/[,\s]+/)
    .map((v) => v.trim().toLowerCase())
    .filter((v): v is DataClass => (DATA_CLASSES as readonly string[]).includes(v));
}

const CODE_EXEC = /code[-_]?interpreter|execute[-_]?code|run[-_]?(code|python|shell)|shell|sandbox/i;
const SUPPORT = /ticket|zendesk|salesforce|freshdesk|intercom|customer|support[-_]?case/i;

/** The agent class: the label when set, else inferred from what it declares and does. */
export function inferAgentClass(
  input: Pick<TrackInput, 'labels' | 'observedKeys' | 'declaredTools' | 'grantedAccessLevels'>,
): TrackDecision['agentClass'] {
  const label = input.labels[LABEL_AGENT_CLASS]?.toLowerCase();
  if (label && (AGENT_CLASSES as readonly string[]).includes(label)) {
    return { value: label as AgentClass, inferred: false, reason: `label ${LABEL_AGENT_CLASS}=${label}` };
  }
  const keys = [...new Set([...input.observedKeys, ...input.declaredTools])];
  const tools = keys.filter((k) => k.startsWith('tool:'));
  const code = tools.find((k) => CODE_EXEC.test(k)) ?? keys.find((k) => /^exec:\/(usr\/)?bin\/(ba|da|z)?sh$/.test(k));
  if (code) return { value: 'code-execution', inferred: true, reason: `runs code: ${code}` };
  const collab = keys.find((k) => k.startsWith('agent:'));
  if (collab) return { value: 'orchestrator', inferred: true, reason: `invokes collaborator agents: ${collab}` };
  const support = tools.find((k) => SUPPORT.test(k)) ?? keys.find((k) => k.startsWith('dns:') && SUPPORT.test(k));
  if (support)
    return { value: 'customer-support', inferred: true, reason: `customer-support tools or endpoints: ${support}` };
  const kb = keys.find((k) => k.startsWith('kb:') || /^api:bedrock:Retrieve/.test(k));
  if (kb) return { value: 'retrieval', inferred: true, reason: `retrieves from knowledge bases: ${kb}` };
  return { value: 'general', inferred: true, reason: 'no class label and no distinguishing behavior' };
}

function planPreEnforced(input: TrackInput): PreEnforcedPlan {
  const explicit = input.labels[LABEL_STAGING_SUBJECT];
  let staging = explicit && input.subjects.some((s) => s.subject === explicit) ? explicit : undefined;
  if (!staging && !explicit) {
    // Same Deployment name (or agent name) in a cluster or namespace named like staging.
    const m = /^k8s:([^/]+)\/([^/]+)\/(.+)$/.exec(input.subject);
    if (m) {
      staging = input.subjects
        .map((s) => s.subject)
        .find((s) => {
          const n = /^k8s:([^/]+)\/([^/]+)\/(.+)$/.exec(s);
          return n && s !== input.subject && n[3] === m[3] && (/stag/i.test(n[1]!) || /stag/i.test(n[2]!));
        });
    }
  }
  if (!staging) {
    return { status: 'no-staging-subject', deviations: [] };
  }
  const stagingLabels = input.subjects.find((s) => s.subject === staging)?.labels ?? {};
  const kind = input.subject.startsWith('bedrock:') ? 'agent-version' : 'image-digest';
  const label = kind === 'agent-version' ? LABEL_AGENT_VERSION : LABEL_IMAGE_DIGEST;
  const production = input.labels[label];
  const stagingKey = stagingLabels[label];
  const promotionKey = {
    kind,
    ...(production ? { production } : {}),
    ...(stagingKey ? { staging: stagingKey } : {}),
  } as const;
  const stagingSet = new Set(input.stagingKeys ?? []);
  const deviations = input.stagingKeys ? input.observedKeys.filter((k) => !stagingSet.has(k)).sort() : [];
  if (!production || !stagingKey)
    return { stagingSubject: staging, status: 'no-promotion-key', promotionKey, deviations };
  if (production !== stagingKey)
    return { stagingSubject: staging, status: 'promotion-key-mismatch', promotionKey, deviations };
  return { stagingSubject: staging, status: 'ready', promotionKey, deviations };
}

/** Decides the track. Rules are ordered; the first that applies decides, and all facts are given as reasons. */
export function classifyTrack(raw: TrackInput): TrackDecision {
  // Leases and drop counters are identity and health data: no class evidence, no deviation from staging.
  const input: TrackInput = {
    ...raw,
    observedKeys: raw.observedKeys.filter(isBehaviorKey),
    ...(raw.stagingKeys ? { stagingKeys: raw.stagingKeys.filter(isBehaviorKey) } : {}),
  };
  const dataClasses: TrackDecision['dataClasses'] = [];
  for (const c of parseDataClasses(input.labels[LABEL_DATA_CLASS]))
    dataClasses.push({ class: c, source: `subject label ${LABEL_DATA_CLASS}` });
  for (const r of input.resources) {
    for (const c of parseDataClasses(r.tags[LABEL_DATA_CLASS]))
      dataClasses.push({ class: c, source: `tag on ${r.arn}` });
  }
  const classes = new Set(dataClasses.map((d) => d.class));
  const agentClass = inferAgentClass(input);
  const levels = [...new Set(input.grantedAccessLevels)].sort();
  const writes = levels.some((l) => l === 'write' || l === 'tagging' || l === 'permissions-management');
  const permissionsManagement = levels.includes('permissions-management');
  const privilege = { accessLevels: levels, writes, permissionsManagement };
  const reasons: string[] = [];
  reasons.push(
    dataClasses.length
      ? `sensitive data: ${dataClasses.map((d) => `${d.class} (${d.source})`).join(', ')}`
      : 'no pii/pci/phi classification on the agent or the resources it touches',
  );
  reasons.push(`agent class ${agentClass.value} (${agentClass.reason})`);
  reasons.push(levels.length ? `granted access levels: ${levels.join(', ')}` : 'no IAM access granted');

  let rule = 'R5';
  let track: Track = 'observe-in-production';
  if (classes.has('pci') || classes.has('phi')) {
    rule = 'R1';
    track = 'pre-enforced';
    reasons.unshift('R1: regulated data (pci/phi): observing in production is itself a compliance exposure');
  } else if (
    classes.has('pii') &&
    (writes || ['customer-support', 'code-execution', 'orchestrator'].includes(agentClass.value))
  ) {
    rule = 'R2';
    track = 'pre-enforced';
    reasons.unshift(
      `R2: pii with ${writes ? 'write access' : `a ${agentClass.value} agent acting on untrusted input`}: an unenforced observation window can leak or alter personal data`,
    );
  } else if (permissionsManagement) {
    rule = 'R3';
    track = 'pre-enforced';
    reasons.unshift('R3: permissions-management access: the agent could widen its own scope during observation');
  } else if (agentClass.value === 'code-execution' && writes) {
    rule = 'R4';
    track = 'pre-enforced';
    reasons.unshift('R4: code execution with write access');
  } else {
    reasons.unshift(
      classes.has('pii')
        ? 'R5: pii read-only by a non-acting agent class: observe in production within the read-only grant'
        : 'R5: no regulated data and no write/permissions-management risk: observe in production',
    );
  }
  const decision: TrackDecision = {
    subject: input.subject,
    track,
    rule,
    reasons,
    agentClass,
    dataClasses,
    privilege,
    requiredWindow: { ...REQUIRED_WINDOW[track] },
  };
  if (track === 'pre-enforced') {
    const plan = planPreEnforced(input);
    decision.preEnforced = plan;
    if (plan.stagingSubject) reasons.push(`baseline from staging subject ${plan.stagingSubject} (${plan.status})`);
    else
      reasons.push(
        `no staging subject: set label ${LABEL_STAGING_SUBJECT} or deploy to a staging cluster/namespace first`,
      );
    if (plan.deviations.length)
      reasons.push(`${plan.deviations.length} production behavior(s) outside the staging baseline, for review`);
  }
  return decision;
}
