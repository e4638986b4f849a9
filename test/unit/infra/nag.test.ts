import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { defaultStack, fullStack } from './synth.ts';

/** Findings as `Rule at LogicalId`, so a failure names what to fix or acknowledge. */
function findings(build: typeof defaultStack): string[] {
  const { app } = build();
  const report = new AwsSolutionsChecks(app).validateScope(app);
  return report.violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} at ${r.constructPath}`));
}

describe('cdk-nag AwsSolutions', () => {
  it('has no unacknowledged finding on the default stack', () => {
    expect(findings(defaultStack)).toEqual([]);
  });

  it('has no unacknowledged finding with every option on', () => {
    expect(findings(fullStack)).toEqual([]);
  });
});
