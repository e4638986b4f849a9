/** `WardenStack`: a stack holding one `Warden` construct; what `npx cdk deploy` deploys (bin/app.ts). */
import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { WardenProps } from './props.ts';
import { Warden } from './warden.ts';

export class WardenStack extends Stack {
  readonly warden: Warden;

  constructor(scope: Construct, id: string, props: StackProps & { warden?: WardenProps } = {}) {
    super(scope, id, { description: 'Warden: runtime security control plane for AI agents', ...props });
    this.warden = new Warden(this, 'Warden', props.warden);
  }
}
