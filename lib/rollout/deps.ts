/**
 * What the rollout steps work with: their dependencies (the ports given by the AWS worker, the local runner or a
 * test), the artifacts and evaluation windows they pass along, and the refusal they raise.
 */
import type { IamBodyContext } from '../core/artifacts/iam-pr.ts';
import type { ArtifactFile } from '../core/artifacts/types.ts';
import type { ObservedBehavior } from '../core/reconcile/types.ts';
import type { BlastRadius, MonitoredArtifacts, PodLease, Threshold } from '../core/rollout/blast-radius.ts';
import type { ClusterApplier, EventSink, PullRequestRef, PullRequests, Store } from '../ports.ts';

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

/** Where artifacts and evaluation windows come from (lib/artifacts in production; tables in tests). */
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

/**
 * How the blast radius window is chosen. `after-monitor`: the events after the monitor artifacts were applied (the
 * rollout waits `observationSeconds`); `held-out`: the last `holdoutDays` before now are held out of generation and
 * replayed (local runs, and the pre-enforced track, which has no monitor phase). Never the generation window.
 */
export interface EvaluationMode {
  mode: 'after-monitor' | 'held-out';
  holdoutDays: number;
}
export const DEFAULT_EVALUATION: EvaluationMode = { mode: 'after-monitor', holdoutDays: 7 };

/** Waits for the review of an IAM pull request: merged or closed. In AWS the webhook answers the task token. */
export interface ReviewGate {
  awaitReview(pr: PullRequestRef): Promise<{ merged: boolean; by?: string }>;
}

export interface RolloutDeps {
  store: Store;
  artifacts: ArtifactProvider;
  applier: ClusterApplier;
  pullRequests: PullRequests;
  reviews: ReviewGate;
  events: EventSink;
  now: () => string;
  /** Finds where the IAM policies live in the repository the pull requests go to. */
  policyFiles?: PolicyFileLocator;
}

export interface BlastSummary extends Omit<BlastRadius, 'wouldDeny'> {
  withinThreshold: boolean;
  threshold: Threshold;
  source: 'production' | 'staging';
  /** The evaluation window: disjoint from the generation window (it starts at or after `generatedUntil`). */
  window: TimeRange & { mode: EvaluationMode['mode'] };
  generatedUntil: string;
  /** Why the class is or is not enforced, in one line. */
  verdict: string;
}

/** What recording a transition needs (the review callbacks have no artifacts, applier or repositories). */
export type StoreDeps = Pick<RolloutDeps, 'store' | 'now'>;

export class RolloutRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'Warden.RolloutRefused';
  }
}

export interface IamReviewResult {
  subject: string;
  pr?: PullRequestRef;
  merged?: boolean;
  by?: string;
  skipped?: string;
}
