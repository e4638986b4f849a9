/**
 * Artifacts service: loads a subject's baseline, class and reconciliation from the Store, generates the
 * enforcement artifacts (NetworkPolicy + Cilium FQDN policy, seccomp envelopes, IAM tightening), tightened by the
 * class baseline, and writes them with a provenance index. Used by `warden artifacts`, the rollout and the demo.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadIamCatalog } from '../adapters/iam-scope.ts';
import { loadBaseline } from '../baselines/service.ts';
import { generateIamTightening, iamArtifactFiles } from '../core/artifacts/iam-policy.ts';
import { generateNetworkPolicies } from '../core/artifacts/network-policy.ts';
import { generateSeccomp } from '../core/artifacts/seccomp.ts';
import type { ArtifactBaseline, ArtifactFile, ProvenanceIndex, RuleProvenance } from '../core/artifacts/types.ts';
import { classBaseline } from '../core/baseline/classes/class-baseline.ts';
import type { Baseline } from '../core/baseline/types.ts';
import type { PolicyDocument } from '../core/iam/policy.ts';
import { parseSubject } from '../core/observation.ts';
import { behaviorsFromAggregates, servicesInvolved } from '../core/reconcile/reconcile.ts';
import type { MonitoredArtifacts } from '../core/rollout/blast-radius.ts';
import type { Store } from '../ports.ts';
import { DeclaredScopeMissingError, declaredScope, runReconcile, type ServiceDeps } from '../reconcile/service.ts';

export interface ArtifactSet {
  subject: string;
  baselineVersion: number;
  class: string;
  files: ArtifactFile[];
  index: ProvenanceIndex;
  monitored: MonitoredArtifacts;
  warnings: string[];
}

export class NoBaselineError extends Error {
  constructor(subject: string) {
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
}

const asArtifactBaseline = (b: Baseline, subject: string): ArtifactBaseline => ({
  subject,
  version: b.version,
  entries: b.entries,
});

/** Generates every artifact for one subject. */
export async function generateArtifacts(subject: string, opts: GenerateOptions): Promise<ArtifactSet> {
  const source = opts.baselineSubject ?? subject;
  const loaded = await loadBaseline(opts.store, source);
  if (!loaded) throw new NoBaselineError(source);
  const b = asArtifactBaseline(loaded.baseline, subject);
  const labels = (await opts.store.subjects()).find((s) => s.subject === subject)?.labels ?? {};
  const cls = classBaseline(subject, labels, loaded.baseline.entries);
  const t = cls.template;
  const classNote = `class ${t.class}: ${t.description}`;
  const warnings: string[] = [];
  const files: ArtifactFile[] = [];
  const monitored: MonitoredArtifacts = { subject };

  if (parseSubject(subject)?.kind === 'k8s') {
    const np = generateNetworkPolicies(b, {
      allowImds: t.imds === 'allow' ? undefined : false,
      denyEgress: t.egress === 'deny-all',
      classNotes: [classNote],
    });
    files.push(...np.files);
    warnings.push(...np.warnings);
    monitored.networkPolicy = np.files[0]?.content;
  }
  if (b.entries.some((e) => e.key.startsWith('syscall:'))) {
    const sc = generateSeccomp(b);
    files.push(...sc.files);
    warnings.push(...sc.envelope.warnings);
    monitored.seccompAllowed = sc.envelope.allowed;
  } else if (parseSubject(subject)?.kind === 'k8s') {
    warnings.push(
      'no syscall observations (node agent not reporting for this workload): no seccomp envelope generated',
    );
  }

  const deps: ServiceDeps = {
    store: opts.store,
    now: opts.now,
    ...(opts.scope !== undefined ? { scope: opts.scope } : {}),
  };
  try {
    const scope = await declaredScope(deps, subject);
    const reconciled = await runReconcile({ ...deps, scope }, subject);
    const observed = behaviorsFromAggregates(await opts.store.aggregates(source));
    const catalog = await loadIamCatalog(servicesInvolved(scope, observed));
    const tightening = generateIamTightening({
      subject,
      baselineVersion: b.version,
      observed,
      ...(scope.role ? { role: scope.role } : {}),
      findings: reconciled.findings,
      catalog,
      readOnly: t.readOnlyIam,
    });
    if (tightening.policies.length > 0) {
      files.push(...iamArtifactFiles(subject, tightening));
      monitored.iamPolicies = tightening.policies.map((p) => p.document as PolicyDocument);
    }
    warnings.push(...tightening.warnings);
  } catch (err) {
    if (!(err instanceof DeclaredScopeMissingError)) throw err;
    warnings.push(`${err.message}; no IAM tightening generated`);
  }

  const index: ProvenanceIndex = {
    schema: 'warden.provenance/v1',
    subject,
    baselineVersion: b.version,
    generatedAt: opts.now,
    files: files.map((f) => ({ path: f.path, kind: f.kind, enforcementPoint: f.enforcementPoint, rules: f.rules })),
  };
  return { subject, baselineVersion: b.version, class: t.class, files, index, monitored, warnings };
}

/** Writes the files and `provenance.json` under `dir`; returns the paths written. */
export function writeArtifacts(dir: string, set: ArtifactSet): string[] {
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  for (const f of set.files) {
    writeFileSync(join(dir, f.path), f.content);
    written.push(join(dir, f.path));
  }
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
