/**
 * Ports: every interface the use cases need from the outside world, in one place. Adapters in lib/adapters implement
 * them (DynamoDB / dynalite / SQLite store, EventBridge, IAM/EKS/Bedrock readers, the IAM catalog, GitHub,
 * Kubernetes, local files and directories); the entry points (CLI, Lambdas) build the adapters and hand them in.
 */
import type { IamBodyContext } from './core/artifacts/iam-pr.ts';
import type { ArtifactFile } from './core/artifacts/types.ts';
import type { AuditAnchor } from './core/audit/types.ts';
import type { IamCatalog } from './core/iam/catalog.ts';
import type { AttrValue, Layer, Observation, Reject, SourceName } from './core/observation.ts';
import type { DeclaredScope, ObservedBehavior } from './core/reconcile/types.ts';
import type { MonitoredArtifacts, PodLease } from './core/rollout/blast-radius.ts';
import type { AggregateRow } from './core/store/aggregate-row.ts';
import type { EvidenceCodec, FoldedBatch } from './core/store/folded.ts';

// ---------------------------------------------------------------------------------------------------------------
// Store

export type { AggregateRow } from './core/store/aggregate-row.ts';

/** A subject as the store knows it. */
export interface SubjectRecord {
  subject: string;
  firstSeen: string;
  lastSeen: string;
  observations: number;
  /** Labels/annotations known for the subject (e.g. `warden.dev/agent-class`, `warden.dev/data-class`). */
  labels: Record<string, string>;
}

export interface QuarantineRow extends Reject {
  id: string;
  time: string;
}

/** What one ingest batch wrote. */
export interface WriteReport {
  observations: number;
  /** Aggregates that changed (new or incremented). */
  stored: number;
  /** Aggregates skipped because this exact contribution was already stored (replay). */
  duplicates: number;
  quarantined: number;
  /** Write requests issued (DynamoDB UpdateItem/PutItem; the embedded store counts one per aggregate and reject). */
  writeRequests: number;
  /** DynamoDB write capacity units consumed, as the endpoint reports them (absent for the embedded store). */
  writeUnits?: number;
}

/** Optional idempotency units for a write (added by the store engineer; optional, so every caller stays valid). */
export interface WriteOptions {
  /**
   * `segments[i]` names the idempotency unit of `observations[i]` (the ingest pipeline uses one per input file
   * slice). The store recognises a replayed unit whatever other units share its batch, so inputs can be batched
   * together freely. Without it the whole batch is one unit.
   */
  segments?: number[];
}

export interface AggregateQuery {
  from?: string;
  to?: string;
  kinds?: string[];
  layers?: Layer[];
}

/** A stored document (baselines, inventory snapshots, findings, artifacts, rollouts, drift, audit entries ...). */
export interface Doc<T = unknown> {
  kind: string;
  /** Partition: usually a subject id, or `global`. */
  scope: string;
  /** Sort id within kind+scope; ISO times sort chronologically. */
  id: string;
  body: T;
  updatedAt: string;
  /** Optimistic concurrency version, incremented on each put. */
  version: number;
}

export interface Store {
  readonly description: string;
  /**
   * Writes observations aggregated per (subject, key, window) and keeps evidence rows for correlation, plus rejects.
   * Idempotent: replaying the same observations (same ids) changes nothing.
   */
  write(observations: Observation[], rejects: Reject[], opts?: WriteOptions): Promise<WriteReport>;
  aggregates(subject: string, query?: AggregateQuery): Promise<AggregateRow[]>;
  /** Individual observations kept as evidence (application, tool, cloud-api, network layers) for the audit trail. */
  evidence(subject: string, from: string, to: string): Promise<Observation[]>;
  subjects(): Promise<SubjectRecord[]>;
  setLabels(subject: string, labels: Record<string, string>): Promise<void>;
  quarantine(limit?: number): Promise<QuarantineRow[]>;
  putDoc<T>(kind: string, scope: string, id: string, body: T, opts?: { expectVersion?: number }): Promise<Doc<T>>;
  getDoc<T>(kind: string, scope: string, id: string): Promise<Doc<T> | undefined>;
  listDocs<T>(
    kind: string,
    scope: string,
    opts?: { fromId?: string; toId?: string; limit?: number },
  ): Promise<Doc<T>[]>;
  close(): Promise<void>;
  /**
   * Where this store's audit chain is anchored (an append-only log outside the table), when it has one: the embedded
   * store's anchor file, the deployed stack's Object Lock bucket. Without it truncation cannot be detected.
   */
  readonly auditAnchors?: AuditAnchorLog;
  /**
   * Which subjects got data since incremental drift last judged them (lib/app/drift/incremental.ts); see DirtyMarks.
   */
  readonly dirty?: DirtyMarks;
}

/**
 * A subject's dirty mark: the hourly windows written since drift last judged it. `write` updates it once per subject
 * per batch (after the batch's data), and every update moves `seq` on, so a reader that judged what it read clears
 * exactly that (a clear conditioned on `seq`) and never loses a window written in between.
 */
export interface DirtyMark {
  subject: string;
  /** Updates so far (the watermark drift compares: a clear succeeds only at the seq that was read). */
  seq: number;
  /** Hourly windows (ISO) written since the last clear, sorted. */
  windows: string[];
  /** Everything from this window on is dirty (set by `mark` with `from`: a store adopted with data already in it). */
  from?: string;
}

/** The dirty marks of a store: listed without reading every subject (an index of dirty subjects only). */
export interface DirtyMarks {
  /**
   * Dirty subjects in subject order, after `after`, at most `limit` (default 100). May lag the latest writes by a
   * moment (eventually consistent): a mark read stale does not clear (its clear is conditioned on its seq).
   */
  list(opts?: { after?: string; limit?: number }): Promise<DirtyMark[]>;
  get(subject: string): Promise<DirtyMark | undefined>;
  /** Marks windows (and/or everything from `from`) dirty, as a write does (used to reopen a subject). */
  mark(subject: string, windows: string[], opts?: { from?: string }): Promise<void>;
  /**
   * Clears the mark read at `seq`, keeping `keep` (windows not judged yet, e.g. in the future). False when the mark
   * moved on since (a write came in between): then it stays as it is, and the next run judges again.
   */
  clear(subject: string, seq: number, keep?: string[]): Promise<boolean>;
}

/** Raised by {@link AuditAnchorLog.append} when an anchor of that seq exists already (another writer was first). */
export class AnchorExistsError extends Error {
  constructor(readonly seq: number) {
    super(`an audit anchor for seq ${seq} exists already`);
    this.name = 'AnchorExistsError';
  }
}

/** An append-only log of audit chain anchors (lib/core/audit/anchor.ts). Nothing in it is ever rewritten. */
export interface AuditAnchorLog {
  readonly description: string;
  /** Adds the anchor of a new record; throws AnchorExistsError when its seq is anchored already. */
  append(anchor: AuditAnchor): Promise<void>;
  /** The anchor of the highest seq; `atLeast` is a seq known to be anchored (lets a log skip what is below). */
  latest(atLeast?: number): Promise<AuditAnchor | undefined>;
  /** Every anchor, ascending seq, and what is wrong with the log itself (an overwritten object, a torn line). */
  all(): Promise<{ anchors: AuditAnchor[]; problems: string[] }>;
}

/**
 * A single-process store that also applies batches folded in another thread (core/store/folded.ts): parse workers
 * fold and pack evidence with the store's codec, the store only applies the result.
 */
export interface FoldedStore {
  readonly evidenceCodec: 'brotli';
  /** Evidence writers of that codec for folding in this thread (a parse worker wires its own by the codec's name). */
  evidenceWriters(): EvidenceCodec;
  writeFolded(batch: FoldedBatch, rejects: Reject[]): Promise<WriteReport>;
}

// ---------------------------------------------------------------------------------------------------------------
// Events

export interface WardenEvent<D = unknown> {
  source: 'warden';
  detailType: string;
  detail: D;
  time: string;
}

export interface EventSink {
  publish(events: WardenEvent[]): Promise<void>;
}

// ---------------------------------------------------------------------------------------------------------------
// Enforcement

/** A Kubernetes manifest to apply (NetworkPolicy, CiliumNetworkPolicy, SeccompProfile ...). */
export interface Manifest {
  /** File name the manifest came from. */
  path: string;
  /** YAML or JSON text. */
  content: string;
}

export type EnforcementMode = 'monitor' | 'enforce';

/** Applies generated Kubernetes resources (EKS API, or a pull request to a GitOps repository). */
export interface ClusterApplier {
  readonly description: string;
  apply(subject: string, mode: EnforcementMode, manifests: Manifest[]): Promise<{ applied: string[] }>;
  /** Restores what was applied before the last apply for the subject (or removes Warden's resources). */
  rollback(subject: string): Promise<{ restored: string[] }>;
}

export interface PullRequestRequest {
  /** Branch to create. */
  branch: string;
  title: string;
  body: string;
  /** Files to commit, path relative to the repository root. */
  files: { path: string; content: string }[];
}

export interface PullRequestRef {
  number: number;
  url: string;
  branch: string;
}

/** Opens pull requests (IAM tightenings, GitOps manifests). Nothing is applied to IAM directly. */
export interface PullRequests {
  open(req: PullRequestRequest): Promise<PullRequestRef>;
}

// ---------------------------------------------------------------------------------------------------------------
// Workflow callbacks

/** Answers a waiting workflow task (a Step Functions task token; the rollout's worker and approval callbacks). */
export interface TaskTokens {
  succeed(token: string, output: unknown): Promise<void>;
  /** `error` is the name the state machine matches in Retry/Catch (e.g. `Warden.StepError`). */
  fail(token: string, error: string, cause: string): Promise<void>;
}

// ---------------------------------------------------------------------------------------------------------------
// Declared scope and the IAM catalog (reconcile, track, artifacts)

/** Reads the declared scope of one subject (IAM + EKS + Kubernetes + Bedrock adapters behind it). */
export interface DeclaredScopeReader {
  read(subject: string): Promise<DeclaredScope>;
}

/** Loads the IAM action catalog of the given service prefixes (lib/adapters/iam-scope.ts `loadIamCatalog`). */
export type IamCatalogLoader = (services: string[]) => Promise<IamCatalog>;

// ---------------------------------------------------------------------------------------------------------------
// Rollout

/** Artifacts generated for one subject of a rollout, with what their checks need. */
export interface GeneratedArtifacts {
  subject: string;
  baselineVersion: number;
  files: ArtifactFile[];
  monitored: MonitoredArtifacts;
  /** Only data before this time went into the artifacts. */
  generatedUntil?: string;
  /** What the IAM pull request body is rendered from (window, per-action counts, coverage, validation, diff). */
  iam?: IamBodyContext;
}

export interface TimeRange {
  from: string;
  to: string;
}

/**
 * Where artifacts and evaluation windows come from (lib/app/rollout/store-provider.ts in production; tables in tests).
 */
export interface ArtifactProvider {
  /** Artifacts from the data before `until` (default: all data up to now). */
  generate(subject: string, source: 'production' | 'staging', opts?: { until?: string }): Promise<GeneratedArtifacts>;
  /** Observations of the evaluation window for the subject (for pre-enforced: the staging subject's). */
  window(subject: string, source: 'production' | 'staging', range: TimeRange): Promise<ObservedBehavior[]>;
  /** Pod IP leases held during the range (to match NetworkPolicy selector peers); none when not known. */
  leases?(range: TimeRange): Promise<PodLease[]>;
}

/** Finds the repository file that holds a policy today, so the pull request changes that file. */
export interface PolicyFileLocator {
  locate(policy: { id: string; name: string; kind: string; document: unknown }): Promise<string | undefined>;
}

/** Waits for the review of an IAM pull request: merged or closed. In AWS the webhook answers the task token. */
export interface ReviewGate {
  awaitReview(pr: PullRequestRef): Promise<{ merged: boolean; by?: string }>;
}

// ---------------------------------------------------------------------------------------------------------------
// Ingest inputs

/** A file named for ingest, with its size (progress, and whether it is read whole or streamed). */
export interface InputFile {
  path: string;
  size: number;
}

/** The files an ingest reads: the local filesystem (lib/adapters/read-input.ts), given by the entry point. */
export interface InputFiles {
  /** Files named by paths, directories (recursive) and globs, in order; a bad path throws an error naming it. */
  expand(paths: readonly string[]): Promise<InputFile[]>;
  /** A file's bytes, streamed (opened when iterated). */
  bytes(path: string): AsyncIterable<Uint8Array>;
  /** A small file's whole text (gunzipped), or undefined: then it is streamed. */
  wholeText(path: string, size: number): string | undefined;
}

/** CPU time counters, in milliseconds, at one instant. */
export interface CpuSample {
  /** Busy time of the whole machine, every core summed (user, system, irq; time at a lowered priority left out). */
  machineBusy: number;
  /** This process's own CPU time (user + system, every thread). */
  own: number;
}

/**
 * Reads the counters (lib/adapters/cpu-sample.ts), undefined where the OS gives none: parallel ingest tells from
 * them whether a core is free (lib/app/ingest/spare-core.ts).
 */
export type CpuSampler = () => CpuSample | undefined;
