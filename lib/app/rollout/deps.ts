/**
 * What the rollout steps work with: their dependencies (ports of lib/ports.ts given by the AWS worker, the local runner or a
 * test), the artifacts and evaluation windows they pass along, and the refusal they raise.
 */
import type { BlastRadius, Threshold } from '../../core/rollout/blast-radius.ts';
import type {
  ArtifactProvider,
  ClusterApplier,
  EventSink,
  PolicyFileLocator,
  PullRequestRef,
  PullRequests,
  ReviewGate,
  Store,
  TimeRange,
} from '../../ports.ts';

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
