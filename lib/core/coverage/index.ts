/**
 * The coverage check: every rule applied to what the readers found.
 *
 * @example
 *   const report = checkCoverage({ region: 'us-east-1', now, trails, flowLogs: [], clusters: [], nodeAgents: [], readErrors: [] });
 *   report.gaps.map((g) => `${g.check}: ${g.hides}`);
 */
import { bedrockLogging } from './rules/bedrock-logging.ts';
import { dataEventRules } from './rules/data-events.ts';
import { flowLogs } from './rules/flow-logs.ts';
import { managementEvents } from './rules/management-events.ts';
import { nodeAgents } from './rules/node-agents.ts';
import type { CoverageInput, CoverageReport, CoverageRule } from './types.ts';

export const COVERAGE_RULES: readonly CoverageRule[] = [
  managementEvents,
  ...dataEventRules,
  bedrockLogging,
  flowLogs,
  nodeAgents,
];

export function checkCoverage(input: CoverageInput, rules: readonly CoverageRule[] = COVERAGE_RULES): CoverageReport {
  const checks = rules.flatMap((r) => r.evaluate(input));
  return { region: input.region, time: input.now, checks, gaps: checks.filter((c) => c.status !== 'ok') };
}

export * from './types.ts';
