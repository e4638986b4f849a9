/** The drift signals, one file each; classify() runs them all. */
import { deploymentCorrelation } from './deployment-correlation.ts';
import { patternContinuity } from './pattern-continuity.ts';
import { resourceBounds } from './resource-bounds.ts';
import type { Signal } from './types.ts';

export const SIGNALS: readonly Signal[] = [deploymentCorrelation, patternContinuity, resourceBounds];

export type { Signal, SignalContext, SignalOutput } from './types.ts';
export { deploymentCorrelation, patternContinuity, resourceBounds };
