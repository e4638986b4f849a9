/**
 * Whether the sources Warden reads would have recorded a use of an IAM action by an agent's role: only then can
 * "never seen" mean "never used" (Unused Excess). Otherwise the action is `not assessed` and the missing source is
 * named. Two kinds of evidence, either suffices:
 *
 * - a trail configuration read from the account (`warden coverage`, the declared-scope reader): its selectors say
 *   which management and data events are logged in the region;
 * - the ingested CloudTrail itself: a read-only management event proves read-only management events are logged; a
 *   data event of a resource type on a resource the grant names proves that type is logged for that resource and
 *   direction. Nothing from the agent's own principal at all means the principal has no log in Warden.
 *
 * @example actionCoverage('bedrock:InvokeAgent', 'write', ['*'], ctx) // { covered: false, missing: 'CloudTrail data events for AWS::Bedrock::AgentAlias (write) ...', check: 'bedrock-data-events' }
 */
import type { AccessLevel } from '../iam/catalog.ts';
import { wildcardMatch } from '../iam/wildcard.ts';
import { cloudTrailEventClass, type EventClass, eventClassSource } from './cloudtrail-events.ts';
import { DATA_EVENT_TYPES } from './rules/data-events.ts';
import { coversRegion, dataCapture, managementCapture } from './selectors.ts';
import type { TrailInfo } from './types.ts';

/** What the ingested CloudTrail shows the trail logs, over the window (any principal of the account). */
export interface CloudTrailSeen {
  management: { read: boolean; write: boolean };
  /** Data events seen, by resource type: the resources (ARN or ARN pattern) per direction. */
  data: Record<string, { read: string[]; write: string[] }>;
}

/** Trail selectors as read from the account (the coverage readers' answer), for one region. */
export interface TrailConfig {
  region: string;
  readAt: string;
  trails: TrailInfo[];
}

export interface CoverageContext {
  seen: CloudTrailSeen;
  trails?: TrailConfig;
  /** The role whose grants are assessed (named in messages). */
  roleArn?: string;
  /** CloudTrail events attributed to the agent in the window: 0 = the agent's principal has no log in Warden. */
  ownCloudTrailEvents: number;
  /**
   * How much of the window the ingested CloudTrail of the account spans (first to last event). Shorter than
   * `minDays` is insufficient history: "never seen" over minutes of log says nothing about the window.
   */
  history?: CloudTrailHistory;
}

export interface CloudTrailHistory {
  /** First and last ingested CloudTrail event of the account in the window (absent: none). */
  from?: string;
  to?: string;
  windowDays: number;
  minDays: number;
}

/** Default least span of ingested CloudTrail before a grant can be called unused. */
export const MIN_HISTORY_DAYS = 30;

/** The insufficient-history reason, or undefined when the history spans at least `minDays`. */
export function insufficientHistory(h: CloudTrailHistory | undefined): string | undefined {
  if (!h) return undefined;
  const ms = h.from && h.to ? Date.parse(h.to) - Date.parse(h.from) : 0;
  if (ms >= h.minDays * 86_400_000) return undefined;
  const length =
    ms < 3_600_000
      ? `${Math.round(ms / 60_000)} minutes`
      : ms < 86_400_000
        ? `${(ms / 3_600_000).toFixed(1)} hours`
        : `${(ms / 86_400_000).toFixed(1)} days`;
  const span = h.from && h.to ? `${length} (${h.from} – ${h.to})` : 'no time at all';
  return (
    `insufficient history: the account's ingested CloudTrail spans ${span} of the ${h.windowDays}-day window; ` +
    `at least ${h.minDays} days are needed before "never seen" can mean unused`
  );
}

export type ActionCoverage =
  | { covered: true; by: string }
  | { covered: false; missing: string; check?: string; eventClass: EventClass };

export const emptySeen = (): CloudTrailSeen => ({ management: { read: false, write: false }, data: {} });

/** One CloudTrail behavior folded into the evidence: its category, direction and resource. */
export function noteCloudTrailEvent(
  seen: CloudTrailSeen,
  ev: { eventCategory?: unknown; managementEvent?: unknown; readOnly?: unknown; action: string; resource: string },
): void {
  const readOnly = ev.readOnly === true || ev.readOnly === 'true';
  const cls = cloudTrailEventClass(ev.action);
  // Records without a category (older events) are classed by their action.
  const isData =
    ev.eventCategory === 'Data' ||
    ev.managementEvent === false ||
    (ev.eventCategory === undefined && ev.managementEvent === undefined && cls.kind === 'data');
  if (!isData) {
    if (readOnly) seen.management.read = true;
    else seen.management.write = true;
    return;
  }
  if (cls.kind !== 'data') return;
  const entry = seen.data[cls.resourceType] ?? { read: [], write: [] };
  const ro = ev.readOnly === undefined ? cls.readOnly : readOnly;
  const list = ro ? entry.read : entry.write;
  if (!list.includes(ev.resource) && list.length < 1000) list.push(ev.resource);
  seen.data[cls.resourceType] = entry;
}

const checkOf = (c: EventClass): string | undefined =>
  c.kind === 'management'
    ? 'management-events'
    : c.kind === 'data'
      ? DATA_EVENT_TYPES.find((t) => t.resourceType === c.resourceType)?.id
      : undefined;

function fromTrails(cls: EventClass, cfg: TrailConfig): ActionCoverage {
  const trails = cfg.trails.filter((t) => coversRegion(t, cfg.region) && t.logging !== false);
  const source = eventClassSource(cls);
  const check = checkOf(cls);
  if (cls.kind === 'management') {
    const t = trails.find((x) => (cls.readOnly ? managementCapture(x).read : managementCapture(x).write));
    if (t) return { covered: true, by: `trail ${t.name} (selectors read ${cfg.readAt})` };
    return {
      covered: false,
      missing: `${source}: no logging trail in ${cfg.region} records them (selectors read ${cfg.readAt})`,
      ...(check ? { check } : {}),
      eventClass: cls,
    };
  }
  if (cls.kind !== 'data') return { covered: false, missing: source, eventClass: cls };
  const all = trails.find((x) => dataCapture(x, cls.resourceType) === 'all');
  if (all)
    return { covered: true, by: `trail ${all.name} logs all ${cls.resourceType} (selectors read ${cfg.readAt})` };
  const partial = trails.find((x) => dataCapture(x, cls.resourceType) === 'partial');
  const why = partial
    ? `trail ${partial.name} logs ${cls.resourceType} for some resources or one direction only`
    : `no logging trail in ${cfg.region} has a data event selector for ${cls.resourceType}`;
  return {
    covered: false,
    missing: `${source}: ${why} (selectors read ${cfg.readAt})`,
    ...(check ? { check } : {}),
    eventClass: cls,
  };
}

/** Whether a use of `action` on `granted` resources by the agent's role would be in the sources. */
export function actionCoverage(
  action: string,
  level: AccessLevel | undefined,
  granted: string[],
  ctx: CoverageContext,
): ActionCoverage {
  const cls = cloudTrailEventClass(action, level);
  if (cls.kind === 'unlogged') return { covered: false, missing: eventClassSource(cls), eventClass: cls };
  const short = insufficientHistory(ctx.history);
  if (short) return { covered: false, missing: short, eventClass: cls };
  if (ctx.trails) return fromTrails(cls, ctx.trails);
  if (ctx.ownCloudTrailEvents === 0) {
    return {
      covered: false,
      missing: `a CloudTrail log of ${ctx.roleArn ?? "the agent's principal"}: no event from it was ingested in the window`,
      check: 'principal-log',
      eventClass: cls,
    };
  }
  const source = eventClassSource(cls);
  const check = checkOf(cls);
  if (cls.kind === 'management') {
    if (cls.readOnly ? ctx.seen.management.read : ctx.seen.management.write)
      return {
        covered: true,
        by: `the ingested CloudTrail has ${cls.readOnly ? 'read-only' : 'write'} management events`,
      };
    return {
      covered: false,
      missing: `${source}: none in the ingested CloudTrail (the trail may not log them; the coverage command reads the trail configuration)`,
      ...(check ? { check } : {}),
      eventClass: cls,
    };
  }
  const seen = ctx.seen.data[cls.resourceType];
  const resources = seen ? (cls.readOnly ? seen.read : seen.write) : [];
  // Each granted pattern needs a seen resource at least as wide: events on one bucket say nothing of another.
  const uncovered = granted.filter((g) => !resources.some((r) => r === g || wildcardMatch(r, g)));
  if (uncovered.length === 0)
    return {
      covered: true,
      by: `the ingested CloudTrail has ${cls.resourceType} data events on ${granted.join(', ')}`,
    };
  return {
    covered: false,
    missing: `${source}: none in the ingested CloudTrail for ${uncovered.join(', ')}`,
    ...(check ? { check } : {}),
    eventClass: cls,
  };
}
