/** The finding rules, one family per file; the judgement runs them all. */
import { newKey } from './new-key.ts';
import { order } from './order.ts';
import { provenance } from './provenance.ts';
import { sensitive } from './sensitive.ts';
import { toolUsage } from './tool-usage.ts';
import type { FindingRule } from './types.ts';
import { volume } from './volume.ts';

export const FINDING_RULES: readonly FindingRule[] = [newKey, toolUsage, volume, provenance, sensitive, order];

export type { FindingContext, FindingRule } from './types.ts';
export { newKey, order, provenance, sensitive, toolUsage, volume };
