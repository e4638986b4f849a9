import type { DeployEvent } from '../../deploy-events/types.ts';
import type { Observation } from '../../observation.ts';
import type { ChangeCluster } from '../changes.ts';
import type { DriftOptions, SignalName, SignalResult } from '../types.ts';

export interface SignalContext {
  cluster: ChangeCluster;
  /** Deploy events of the cluster's subject (any time; each signal applies its own window). */
  deploys: DeployEvent[];
  /** Evidence observations of the subject within the cluster's windows. */
  evidence: Observation[];
  options: DriftOptions;
}

/** A signal's verdict on the whole cluster plus its score for each change (same order as cluster.changes). */
export interface SignalOutput {
  result: SignalResult;
  byChange: number[];
}

export interface Signal {
  name: SignalName;
  evaluate(ctx: SignalContext): SignalOutput;
}
