/**
 * Reconcile and track services: load the declared scope (from a reader, or the last stored one) and the observations
 * of the window from the Store, run the pure core, and save the results as documents:
 * `declared-scope` / `reconcile` / `track`, scope = subject, id = `latest` and the generation time.
 */
import { type CoverageContext, MIN_HISTORY_DAYS, type TrailConfig } from '../../core/coverage/action-coverage.ts';
import type { IamCatalog } from '../../core/iam/catalog.ts';
import type { ReconcileResult } from '../../core/reconcile/findings.ts';
import { cloudTrailSeen, isCloudTrail } from '../../core/reconcile/iam-rules.ts';
import { behaviorsFromAggregates, reconcile, servicesInvolved } from '../../core/reconcile/reconcile.ts';
import { type DeclaredScope, declaredScopeSchema, type ObservedBehavior } from '../../core/reconcile/types.ts';
import { classifyTrack, type TrackDecision } from '../../core/track/classify.ts';
import { grantedAccessLevels } from '../../core/track/privilege.ts';
import type { DeclaredScopeReader, IamCatalogLoader, Store } from '../../ports.ts';

export const DOC_SCOPE = 'declared-scope';
export const DOC_RECONCILE = 'reconcile';
export const DOC_TRACK = 'track';
export const DOC_TRAILS = 'coverage-trails';
/** IAM Access Analyzer's default for unused access: a shorter window calls quarterly jobs' grants unused. */
export const DEFAULT_WINDOW_DAYS = 90;

export class DeclaredScopeMissingError extends Error {
  constructor(subject: string) {
    super(`no declared scope for ${subject}: pass --scope FILE or --aws (or store one first)`);
    this.name = 'DeclaredScopeMissingError';
  }
}

export interface ServiceDeps {
  store: Store;
  /** Reads the live declared scope; without it the last stored scope is used. */
  reader?: DeclaredScopeReader;
  /** A scope given directly (e.g. a `--scope` file), validated. Wins over reader and store. */
  scope?: unknown;
  /** The IAM action catalog (lib/adapters/iam-scope.ts `loadIamCatalog`, given by the entry point). */
  loadCatalog: IamCatalogLoader;
  now: string;
  windowDays?: number;
  /** End of the window when it is not `now` (artifacts generated from data before a held-out window). */
  until?: string;
  /** Least span of ingested CloudTrail before a grant is called unused (default 30 days, capped at the window). */
  minHistoryDays?: number;
}

async function putLatest<T>(store: Store, kind: string, subject: string, id: string, body: T): Promise<void> {
  await store.putDoc(kind, subject, id, body);
  const prev = await store.getDoc(kind, subject, 'latest');
  await store.putDoc(kind, subject, 'latest', body, prev ? { expectVersion: prev.version } : {});
}

/** The declared scope for a subject: given > read live (and stored) > last stored. */
export async function declaredScope(
  deps: Pick<ServiceDeps, 'store' | 'reader' | 'scope' | 'now'>,
  subject: string,
): Promise<DeclaredScope> {
  if (deps.scope !== undefined) {
    const r = declaredScopeSchema.safeParse(deps.scope);
    if (!r.success)
      throw new Error(`invalid declared scope: ${r.error.issues[0]?.path.join('.')}: ${r.error.issues[0]?.message}`);
    if (r.data.subject !== subject) throw new Error(`declared scope is for ${r.data.subject}, not ${subject}`);
    await putLatest(deps.store, DOC_SCOPE, subject, deps.now, r.data);
    return r.data;
  }
  if (deps.reader) {
    const s = await deps.reader.read(subject);
    await putLatest(deps.store, DOC_SCOPE, subject, deps.now, s);
    return s;
  }
  const doc = await deps.store.getDoc<unknown>(DOC_SCOPE, subject, 'latest');
  if (!doc) throw new DeclaredScopeMissingError(subject);
  return declaredScopeSchema.parse(doc.body);
}

export function windowOf(deps: Pick<ServiceDeps, 'now' | 'windowDays' | 'until'>): { from: string; to: string } {
  const days = deps.windowDays ?? DEFAULT_WINDOW_DAYS;
  const to = deps.until ?? deps.now;
  return { from: new Date(Date.parse(to) - days * 86_400_000).toISOString(), to };
}

/** Saves the trail selectors read from the account (`warden coverage`, `reconcile --aws`, the demo's world). */
export async function saveTrailConfig(store: Store, cfg: TrailConfig): Promise<void> {
  await putLatest(store, DOC_TRAILS, 'global', cfg.readAt, cfg);
}

/**
 * What the sources would have shown over the window: the stored trail selectors when read, and what the ingested
 * CloudTrail of every subject of the same account (that account's trail) shows is logged. A store can hold several
 * accounts: another account's events prove nothing about this one's trail, and an event that names no account is
 * not counted when the scope names one. Without a declared account every subject counts (one account assumed).
 */
export async function coverageContext(
  store: Store,
  scope: DeclaredScope,
  window: { from: string; to: string },
  observed: ObservedBehavior[],
  minHistoryDays = MIN_HISTORY_DAYS,
): Promise<CoverageContext> {
  const seen = cloudTrailSeen(observed);
  const sameAccount = (b: ObservedBehavior) =>
    scope.account === undefined || b.attrs.recipientAccountId === scope.account;
  const account = observed.filter(isCloudTrail);
  for (const s of await store.subjects()) {
    if (s.subject === scope.subject) continue;
    const rows = await store.aggregates(s.subject, { ...window, layers: ['cloud-api'] });
    const same = behaviorsFromAggregates(rows, window).filter(sameAccount);
    cloudTrailSeen(same, seen);
    account.push(...same.filter(isCloudTrail));
  }
  const trails = (await store.getDoc<TrailConfig>(DOC_TRAILS, 'global', 'latest'))?.body;
  const first = account.map((b) => b.firstSeen).sort()[0];
  const last = account
    .map((b) => b.lastSeen)
    .sort()
    .at(-1);
  return {
    seen,
    ownCloudTrailEvents: observed.filter(isCloudTrail).reduce((n, b) => n + b.count, 0),
    ...(scope.role ? { roleArn: scope.role.arn } : {}),
    ...(trails ? { trails } : {}),
    history: {
      ...(first && last ? { from: first, to: last } : {}),
      windowDays: Math.round((Date.parse(window.to) - Date.parse(window.from)) / 86_400_000),
      minDays: Math.min(minHistoryDays, (Date.parse(window.to) - Date.parse(window.from)) / 86_400_000),
    },
  };
}

export interface ReconcileRun {
  result: ReconcileResult;
  scope: DeclaredScope;
  observed: ObservedBehavior[];
  coverage: CoverageContext;
  catalog: IamCatalog;
}

/** Reconciles one subject over the window and saves the result; returns what the artifacts need too. */
export async function reconcileSubject(deps: ServiceDeps, subject: string): Promise<ReconcileRun> {
  const scope = await declaredScope(deps, subject);
  const window = windowOf(deps);
  const rows = await deps.store.aggregates(subject, { from: window.from, to: window.to });
  const observed = behaviorsFromAggregates(rows, window);
  const catalog = await deps.loadCatalog(servicesInvolved(scope, observed));
  const coverage = await coverageContext(deps.store, scope, window, observed, deps.minHistoryDays);
  const result = reconcile(scope, observed, catalog, window, deps.now, coverage);
  await putLatest(deps.store, DOC_RECONCILE, subject, deps.now, result);
  return { result, scope, observed, coverage, catalog };
}

/** Reconciles one subject over the window and saves the result. */
export async function runReconcile(deps: ServiceDeps, subject: string): Promise<ReconcileResult> {
  return (await reconcileSubject(deps, subject)).result;
}

/** Classifies one subject's track and saves the decision. The declared scope is optional here (labels may suffice). */
export async function runTrack(deps: ServiceDeps, subject: string): Promise<TrackDecision> {
  const scope = await declaredScope(deps, subject).catch((err: unknown) => {
    if (err instanceof DeclaredScopeMissingError) return undefined;
    throw err;
  });
  const window = windowOf(deps);
  const subjects = await deps.store.subjects();
  const me = subjects.find((s) => s.subject === subject);
  const observed = behaviorsFromAggregates(await deps.store.aggregates(subject, window), window);
  const keys = observed.map((b) => b.key);
  const catalog = scope ? await deps.loadCatalog(servicesInvolved(scope, [])) : undefined;
  const labels = { ...(scope?.labels ?? {}), ...(me?.labels ?? {}) };
  const touched = new Set(keys.filter((k) => k.startsWith('api:')).map((k) => k.split(':').slice(3).join(':')));
  // Resources the agent touched, or can reach through an account-wide policy, with their tags.
  const reachable = new Set((scope?.resourcePolicies ?? []).filter((r) => r.accountWide).map((r) => r.resourceArn));
  const resources = Object.entries(scope?.resourceTags ?? {})
    .filter(([arn]) => reachable.has(arn) || [...touched].some((t) => t === arn || t.startsWith(`${arn}/`)))
    .map(([arn, tags]) => ({ arn, tags }));
  const input = {
    subject,
    labels,
    resources,
    observedKeys: keys,
    declaredTools: scope?.tools.map((t) => t.key) ?? [],
    grantedAccessLevels: scope && catalog ? grantedAccessLevels(scope, catalog) : [],
    subjects: subjects.map((s) => ({ subject: s.subject, labels: s.labels })),
  };
  let decision = classifyTrack(input);
  const staging = decision.preEnforced?.stagingSubject;
  if (staging) {
    // The staging envelope: every key the staging subject showed (its whole history, not only this window).
    const stagingKeys = behaviorsFromAggregates(await deps.store.aggregates(staging)).map((b) => b.key);
    decision = classifyTrack({ ...input, stagingKeys });
  }
  await putLatest(deps.store, DOC_TRACK, subject, deps.now, decision);
  return decision;
}
