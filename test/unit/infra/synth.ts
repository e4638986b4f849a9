/**
 * Builds the Warden stacks the infra tests share. Lambda bundling is skipped here (`aws:cdk:bundling-stacks: []`,
 * CDK's own switch for it): esbuild runs synchronously and would block the test worker; the bundles are built and
 * run by `npx cdk synth` and the emulator e2e test (test/e2e).
 */
import { App, type Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { WardenProps } from '../../../lib/infra/props.ts';
import { WardenStack } from '../../../lib/infra/stack.ts';

/** Default props: every bucket created. */
const NO_BUNDLING = { 'aws:cdk:bundling-stacks': [] };

export function defaultStack(): { app: App; stack: WardenStack } {
  const app = new App({ context: NO_BUNDLING });
  const stack = new WardenStack(app, 'Warden', { env: { account: '123456789012', region: 'us-east-1' } });
  return { app, stack };
}

/** Every option on: an existing bucket, a prefix, the CloudWatch Logs subscription, clusters. */
export function fullStack(): { app: App; stack: WardenStack } {
  const app = new App({ context: NO_BUNDLING });
  const stack = new WardenStack(app, 'WardenFull', {
    env: { account: '123456789012', region: 'us-east-1' },
    warden: {
      clusterNames: ['prod'],
      buckets: { cloudtrail: { bucketName: 'org-trail-bucket', prefix: 'AWSLogs/' }, 'vpc-flow': false },
      bedrockInvocationLogGroupName: '/aws/bedrock/invocations',
      retentionDays: 90,
      promptContent: 'hash-only',
      retainData: false,
      rollout: { iamRepository: 'acme/iam', gitOpsRepository: 'acme/gitops' },
    },
  });
  return { app, stack };
}

/** A stack with the given Warden props (default everything else). */
export function stackWith(id: string, warden: WardenProps): { app: App; stack: WardenStack } {
  const app = new App({ context: NO_BUNDLING });
  const stack = new WardenStack(app, id, { env: { account: '123456789012', region: 'us-east-1' }, warden });
  return { app, stack };
}

/** cdk-nag AwsSolutions findings not acknowledged in the app (`Rule at construct path`). */
export function nagFindings(app: App): string[] {
  const report = new AwsSolutionsChecks(app).validateScope(app);
  return report.violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} at ${r.constructPath}`));
}

export function templateOf(stack: Stack): Template {
  return Template.fromStack(stack);
}
