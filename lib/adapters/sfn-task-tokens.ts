/** TaskTokens over AWS Step Functions: SendTaskSuccess / SendTaskFailure (moto implements both). */
import { SendTaskFailureCommand, SendTaskSuccessCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { TaskTokens } from '../ports.ts';

/** Step Functions' limit on `cause` (characters). */
const MAX_CAUSE = 32_768;

export class SfnTaskTokens implements TaskTokens {
  constructor(private readonly sfn: Pick<SFNClient, 'send'>) {}

  async succeed(token: string, output: unknown): Promise<void> {
    await this.sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify(output ?? {}) }));
  }

  async fail(token: string, error: string, cause: string): Promise<void> {
    await this.sfn.send(
      new SendTaskFailureCommand({ taskToken: token, error: error.slice(0, 256), cause: cause.slice(0, MAX_CAUSE) }),
    );
  }
}
