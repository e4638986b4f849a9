/**
 * What every Warden Lambda shares, created once per execution environment (module scope): configuration from the
 * environment (zod-checked: a misconfigured function fails at cold start, not per record), Powertools logger,
 * metrics and tracer, and the store over the deployed table.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { z } from 'zod';
import { recordCalls } from '../../lib/adapters/aws-calls.ts';
import { DynamoStore } from '../../lib/adapters/dynamo-store.ts';

const envSchema = z.object({
  WARDEN_TABLE_NAME: z.string().min(1),
  WARDEN_PROMPT_CONTENT: z.enum(['hash-only', 'hash-and-excerpt', 'raw']).default('hash-and-excerpt'),
  WARDEN_RETENTION_DAYS: z.coerce.number().int().positive().default(400),
  MAX_PAYLOAD_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(1024 * 1024),
});

export type WardenEnv = z.infer<typeof envSchema>;

/** Reads the function's configuration; throws with every problem named. */
export function readEnv(env: NodeJS.ProcessEnv = process.env): WardenEnv {
  const r = envSchema.safeParse(env);
  if (!r.success) {
    throw new Error(
      `invalid Warden function environment: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  return r.data;
}

export const config = readEnv();
export const logger = new Logger();
export const metrics = new Metrics();
export const tracer = new Tracer();

const ddb = tracer.captureAWSv3Client(recordCalls(new DynamoDBClient({})));
export const store = new DynamoStore({
  tableName: config.WARDEN_TABLE_NAME,
  client: ddb,
  retentionDays: config.WARDEN_RETENTION_DAYS,
  description: `dynamodb://${config.WARDEN_TABLE_NAME}`,
});
