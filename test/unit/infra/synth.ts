/**
 * Synthesizes the Warden stacks the infra tests share, once per test file: bundling the Lambdas with esbuild is the
 * slow part of a synth.
 */
import { App, type Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { WardenStack } from '../../../lib/infra/stack.ts';

/** Default props: every bucket created. */
export function defaultStack(): { app: App; stack: WardenStack } {
  const app = new App();
  const stack = new WardenStack(app, 'Warden', { env: { account: '123456789012', region: 'us-east-1' } });
  return { app, stack };
}

/** Every option on: an existing bucket, a prefix, the CloudWatch Logs subscription, clusters. */
export function fullStack(): { app: App; stack: WardenStack } {
  const app = new App();
  const stack = new WardenStack(app, 'WardenFull', {
    env: { account: '123456789012', region: 'us-east-1' },
    warden: {
      clusterNames: ['prod'],
      buckets: { cloudtrail: { bucketName: 'org-trail-bucket', prefix: 'AWSLogs/' }, 'vpc-flow': false },
      bedrockInvocationLogGroupName: '/aws/bedrock/invocations',
      retentionDays: 90,
      promptContent: 'hash-only',
      retainData: false,
    },
  });
  return { app, stack };
}

export function templateOf(stack: Stack): Template {
  return Template.fromStack(stack);
}
