import type { CoverageInput, CoverageRule } from '../types.ts';
import { unknownIfUnread } from './unread.ts';

const HIDES =
  'no Bedrock model invocation logging = no prompts, completions, token counts or tool-use blocks: the triggering ' +
  'input (e.g. an injected ticket) cannot be tied to the model call';

/** Bedrock model invocation logging is configured with text delivery to S3 or CloudWatch Logs. */
export const bedrockLogging: CoverageRule = {
  id: 'bedrock-invocation-logging',
  evaluate(input: CoverageInput) {
    const unread = unknownIfUnread(input, 'bedrock-logging', this.id, 'account', HIDES);
    if (unread) return [unread];
    const cfg = input.bedrockLogging;
    if (!cfg?.configured) {
      return [
        {
          check: this.id,
          target: 'account',
          status: 'missing',
          detail: `no model invocation logging in ${input.region}`,
          hides: HIDES,
        },
      ];
    }
    const where = [
      cfg.s3BucketName && `s3://${cfg.s3BucketName}`,
      cfg.cloudWatchLogGroup && `logs:${cfg.cloudWatchLogGroup}`,
    ]
      .filter(Boolean)
      .join(', ');
    if (cfg.textDelivery === false) {
      return [
        {
          check: this.id,
          target: 'account',
          status: 'partial',
          detail: `logging to ${where || 'an unknown destination'} without text data delivery`,
          hides: 'prompt and completion text: only metadata and token counts are logged',
        },
      ];
    }
    return [{ check: this.id, target: 'account', status: 'ok', detail: `logging to ${where}`, hides: '' }];
  },
};
