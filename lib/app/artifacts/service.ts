/**
 * Artifacts service: loads a subject's baseline, class and reconciliation from the Store, generates the
 * enforcement artifacts (NetworkPolicy + Cilium FQDN policy, seccomp envelopes, IAM tightening), tightened by the
 * class baseline, and writes them with a provenance index. Used by `warden artifacts`, the rollout and the demo.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { isSafeFileName, safeFileName } from '../../core/artifacts/file-name.ts';
import { generateIamTightening } from '../../core/artifacts/iam-policy.ts';
import type { IamBodyContext } from '../../core/artifacts/iam-pr.ts';
import { iamArtifactFiles } from '../../core/artifacts/iam-pr.ts';
import { type TighteningValidation, validateTightening } from '../../core/artifacts/iam-validate.ts';
import type { PodLeaseSpan } from '../../core/artifacts/network-peers.ts';
import { generateNetworkPolicies } from '../../core/artifacts/network-policy.ts';
import { generateSeccomp } from '../../core/artifacts/seccomp.ts';
import type { OciSeccompProfile } from '../../core/artifacts/seccomp-profile.ts';
import type { ArtifactBaseline, ArtifactFile, ProvenanceIndex, RuleProvenance } from '../../core/artifacts/types.ts';
import { classBaseline } from '../../core/baseline/classes/class-baseline.ts';
import type { Baseline } from '../../core/baseline/types.ts';
import { emptyBaseline, updateBaseline } from '../../core/baseline/update.ts';
import type { TrailConfig } from '../../core/coverage/action-coverage.ts';
import type { PolicyDocument } from '../../core/iam/policy.ts';
import { parseSubject } from '../../core/observation.ts';
import { behaviorsFromAggregates } from '../../core/reconcile/reconcile.ts';
import type { DeclaredScope } from '../../core/reconcile/types.ts';
import type { MonitoredArtifacts } from '../../core/rollout/blast-radius.ts';
import type { IamCatalogLoader, Store } from '../../ports.ts';
import { loadBaseline } from '../baselines/service.ts';
import {
  DeclaredScopeMissingError,
  DOC_TRAILS,
  declaredScope,
  reconcileSubject,
  type ServiceDeps,
  windowOf,
} from '../reconcile/service.ts';

export interface ArtifactSet {
  subject: string;
  baselineVersion: number;
  class: string;
  files: ArtifactFile[];
  index: ProvenanceIndex;
  monitored: MonitoredArtifacts;
  warnings: string[];
  /** Data the artifacts were generated from: baseline entries and IAM calls before `until` only. */
  generatedFrom: { until: string; iamWindow: { from: string; to: string } };
  /** Validation of the IAM tightening (catalog structure and no new access), when one was generated. */
  iamValidation?: TighteningValidation;
  /** What the IAM pull request body is rendered from. */
  iam?: IamBodyContext;
}

export class NoBaselineError extends Error {
  constructor(readonly subject: string) {
    super(`no baseline for ${subject}: run \`warden baseline ${subject}\` (or ingest observations) first`);
    this.name = 'NoBaselineError';
  }
}

export interface GenerateOptions {
  store: Store;
  now: string;
  /** Declared scope given directly (a --scope file); otherwise the stored one; IAM is skipped without any. */
  scope?: unknown;
  /** Build from this subject's baseline instead (pre-enforced: the staging subject). */
  baselineSubject?: string;
  /**
   * Use only data before this time (an hour boundary): the baseline is rebuilt as of `until`, so a window after it
   * is held out from generation and can measure the blast radius. Default: everything up to `now`.
   */
  until?: string;
  /** IAM observation window in days, ending at `until` (default 90). */
  windowDays?: number;
  /** The IAM action catalog (lib/adapters/iam-scope.ts `loadIamCatalog`, given by the entry point). */
  loadCatalog: IamCatalogLoader;
}

const asArtifactBaseline = (b: Baseline, subject: string): ArtifactBaseline => ({
  subject,
  version: b.version,
  entries: b.entries,
});

/** Generates every artifact for one subject. */
/** Pod IP leases of every Deployment up to `to` (the `lease:<ip>` observations the node agents ship). */
export async function podLeaseSpans(store: Store, to: string): Promise<PodLeaseSpan[]> {
  const out: PodLeaseSpan[] = [];
  for (const s of await store.subjects()) {
    if (!s.subject.startsWith('k8s:')) continue;
    const rows = (await store.aggregates(s.subject, { to, layers: ['network'] })).filter((r) =>
      r.key.startsWith('lease:'),
    );
    for (const b of behaviorsFromAggregates(rows)) {
      const end = typeof b.attrs.to === 'string' ? b.attrs.to : null;
      out.push({ ip: b.key.slice('lease:'.length), subject: s.subject, from: b.firstSeen, to: end });
    }
  }
  return out;
}

/** The baseline of `subject` as of `until`: the stored one folded again from the aggregates before `until`. */
async function baselineAsOf(store: Store, subject: string, stored: Baseline, until: string): Promise<Baseline> {
  const rows = (await store.aggregates(subject, { to: until })).filter((r) => r.window < until);
  const b = updateBaseline(emptyBaseline(subject, until, stored.config), rows, until).baseline;
  // The version names the stored baseline this one was cut from, so provenance stays traceable.
  return { ...b, version: stored.version };
}

export async function generateArtifacts(subject: string, opts: GenerateOptions): Promise<ArtifactSet> {
  const source = opts.baselineSubject ?? subject;
  const loaded = await loadBaseline(opts.store, source);
  if (!loaded) throw new NoBaselineError(source);
  const until = opts.until ?? opts.now;
  const baseline = opts.until ? await baselineAsOf(opts.store, source, loaded.baseline, opts.until) : loaded.baseline;
  const b = asArtifactBaseline(baseline, subject);
  const labels = (await opts.store.subjects()).find((s) => s.subject === subject)?.labels ?? {};
  const cls = classBaseline(subject, labels, baseline.entries);
  const t = cls.template;
  const classNote = `class ${t.class}: ${t.description}`;
  const warnings: string[] = [];
  const files: ArtifactFile[] = [];
  const monitored: MonitoredArtifacts = { subject };

  const known = await declaredScope(
    { store: opts.store, now: opts.now, ...(opts.scope !== undefined ? { scope: opts.scope } : {}) },
    subject,
  ).catch((err: unknown): DeclaredScope | undefined => {
    if (err instanceof DeclaredScopeMissingError) return undefined;
    throw err;
  });
  if (parseSubject(subject)?.kind === 'k8s') {
    const region = (await opts.store.getDoc<TrailConfig>(DOC_TRAILS, 'global', 'latest'))?.body.region;
    const np = generateNetworkPolicies(b, {
      allowImds: t.imds === 'allow' ? undefined : false,
      denyEgress: t.egress === 'deny-all',
      classNotes: [classNote],
      podLeases: await podLeaseSpans(opts.store, until),
      irsa: known?.role?.via === 'irsa',
      ...(known?.network?.vpcEndpoints.length ? { vpcEndpoints: known.network.vpcEndpoints } : {}),
      ...(region ? { region } : {}),
    });
    files.push(...np.files);
    warnings.push(...np.warnings);
    monitored.networkPolicy = np.files[0]?.content;
    monitored.peerSelectors = np.peerSelectors;
  }
  if (b.entries.some((e) => e.key.startsWith('syscall:'))) {
    const sc = generateSeccomp(b);
    files.push(...sc.files);
    warnings.push(...sc.envelope.warnings);
    // The enforce profile is what would deny: replay checks events against it, not against the observed list.
    const enforce = sc.files.find((f) => f.kind === 'seccomp' && f.path.includes('.enforce.'));
    if (enforce) monitored.seccompProfile = JSON.parse(enforce.content) as OciSeccompProfile;
  } else if (parseSubject(subject)?.kind === 'k8s') {
    warnings.push(
      'no syscall observations (node agent not reporting for this workload): no seccomp envelope generated',
    );
  }

  // IAM belongs to the production subject's role: its own CloudTrail and traces, whatever the baseline source.
  const deps: ServiceDeps = {
    store: opts.store,
    now: opts.now,
    until,
    ...(opts.windowDays !== undefined ? { windowDays: opts.windowDays } : {}),
    ...(opts.scope !== undefined ? { scope: opts.scope } : {}),
    loadCatalog: opts.loadCatalog,
  };
  const iamWindow = windowOf(deps);
  let iamValidation: TighteningValidation | undefined;
  let iam: IamBodyContext | undefined;
  try {
    const scope = await declaredScope(deps, subject);
    const run = await reconcileSubject({ ...deps, scope }, subject);
    const tightening = generateIamTightening({
      subject,
      baselineVersion: b.version,
      observed: run.observed,
      ...(scope.role ? { role: scope.role } : {}),
      findings: run.result.findings,
      assessments: run.result.assessments,
      coverage: run.coverage,
      catalog: run.catalog,
      readOnly: t.readOnlyIam,
    });
    if (tightening.policies.length > 0 || tightening.removals.length > 0) {
      iamValidation = validateTightening(tightening, scope.role, run.catalog);
      iam = {
        subject,
        ...(scope.role ? { role: scope.role } : {}),
        tightening,
        assessments: run.result.assessments,
        window: iamWindow,
        validation: iamValidation,
      };
      files.push(...iamArtifactFiles(iam));
      monitored.iamPolicies = tightening.policies.map((p) => p.document as PolicyDocument);
      if (scope.role) monitored.iamRoleArn = scope.role.arn;
      if (!iamValidation.ok)
        warnings.push(
          `IAM tightening failed validation (${[...iamValidation.problems, ...iamValidation.newAccess].join('; ')}): do not merge it`,
        );
    }
    warnings.push(...tightening.warnings);
  } catch (err) {
    if (!(err instanceof DeclaredScopeMissingError)) throw err;
    warnings.push(`${err.message}; no IAM tightening generated`);
  }

  // Names come from subject names, which come from telemetry: every one is a single safe path segment.
  for (const f of files) f.path = safeFileName(f.path);
  const index: ProvenanceIndex = {
    schema: 'warden.provenance/v1',
    subject,
    baselineVersion: b.version,
    generatedAt: opts.now,
    files: files.map((f) => ({ path: f.path, kind: f.kind, enforcementPoint: f.enforcementPoint, rules: f.rules })),
  };
  return {
    subject,
    baselineVersion: b.version,
    class: t.class,
    files,
    index,
    monitored,
    warnings,
    generatedFrom: { until, iamWindow },
    ...(iamValidation ? { iamValidation } : {}),
    ...(iam ? { iam } : {}),
  };
}

/** Raised when a file name would resolve outside the output directory (never for names from generateArtifacts). */
export class UnsafeArtifactPathError extends Error {
  constructor(
    readonly dir: string,
    readonly file: string,
  ) {
    super(`refusing to write ${JSON.stringify(file)}: it does not resolve to a file directly under ${dir}`);
    this.name = 'UnsafeArtifactPathError';
  }
}

/** `dir/name`, checked to be a file directly under `dir` (a second guard behind safeFileName). */
function fileUnder(dir: string, name: string): string {
  const root = resolve(dir);
  const p = resolve(root, name);
  if (!isSafeFileName(name) || dirname(p) !== root) throw new UnsafeArtifactPathError(dir, name);
  return p;
}

/** Writes the files and `provenance.json` under `dir`; returns the paths written. */
export function writeArtifacts(dir: string, set: ArtifactSet): string[] {
  const paths = set.files.map((f) => fileUnder(dir, f.path));
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  set.files.forEach((f, i) => {
    writeFileSync(paths[i]!, f.content);
    written.push(join(dir, f.path));
  });
  const idx = join(dir, 'provenance.json');
  writeFileSync(idx, `${JSON.stringify(set.index, null, 2)}\n`);
  written.push(idx);
  return written;
}

/**
 * "Why is this allowed": the provenance of `rule` in `file`, from the index next to the file. `rule` is a rule id
 * (`egress[1].to[0]`, `family:network`, `Statement[S3Write]`) or a text the rule allows (`52.216.0.0/15`, `connect`).
 */
export function explain(indexPath: string, file: string, rule: string): RuleProvenance[] {
  const index = JSON.parse(readFileSync(indexPath, 'utf8')) as ProvenanceIndex;
  const name = file.split('/').pop()!;
  const f = index.files.find((x) => x.path === name);
  if (!f) throw new Error(`${name} is not in ${indexPath}; files: ${index.files.map((x) => x.path).join(', ')}`);
  const exact = f.rules.filter((r) => r.rule === rule);
  if (exact.length > 0) return exact;
  return f.rules.filter((r) => r.allows.includes(rule) || r.derivedFrom.some((k) => k.key.includes(rule)));
}
