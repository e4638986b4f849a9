/** What every section of one subject's report gets, and the time format they share. */
import type { ArtifactFile } from '../../../core/artifacts/types.ts';
import type { ChainRecord } from '../../../core/audit/types.ts';
import type { Baseline } from '../../../core/baseline/types.ts';
import type { Store, SubjectRecord } from '../../../ports.ts';

/** What every section of one subject gets. */
export interface SubjectContext {
  store: Store;
  now: string;
  record: SubjectRecord;
  baseline?: Baseline;
  /** Artifacts already resolved for the subject (from a rollout, or generated for the report). */
  artifacts?: { files: ArtifactFile[]; baselineVersion: number; origin: string; warnings: string[] };
  artifactsWhy?: string;
  rollouts: RolloutView[];
  audit: ChainRecord[];
  /** A command line the reader can run as printed (see ReportOptions.command). */
  cmd: (args: string[]) => string;
}

export interface RolloutView {
  id: string;
  body: Record<string, unknown>;
  transitions: Record<string, unknown>[];
}

/** An ISO time as the report prints it: `2026-11-20 10:00:00Z`. */
export const time = (iso: string | undefined) => (iso ? iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, 'Z') : '');
