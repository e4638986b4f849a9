/**
 * CDK app entry (cdk.json `app`): one WardenStack configured from context (`warden:*` keys, see
 * lib/infra/props.ts and docs/deploy.md). cdk-nag AwsSolutions runs on every synth; its errors fail the synth.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { propsFromContext } from '../lib/infra/props.ts';
import { WardenStack } from '../lib/infra/stack.ts';

const app = new App();
const warden = propsFromContext((k) => app.node.tryGetContext(k));
new WardenStack(app, (app.node.tryGetContext('warden:stackName') as string | undefined) ?? 'Warden', {
  warden,
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
app.synth();
