/**
 * What every Warden Lambda shares, created once per execution environment (module scope): configuration from the
 * environment (zod-checked: a misconfigured function fails at cold start, not per record), Powertools logger,
 * metrics and tracer, the store over the deployed table (its audit chain anchored in the stack's Object Lock bucket),
 * and the Warden bus as an EventSink.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { S3AnchorLog } from '../../lib/adapters/audit-anchors-s3.ts';
import { recordCalls } from '../../lib/adapters/aws-calls.ts';
import { DynamoStore } from '../../lib/adapters/dynamo-store.ts';
import { EventBridgeSink } from '../../lib/adapters/eventbridge.ts';
import type { EventSink } from '../../lib/ports.ts';

const envSchema = z.object({
  WARDEN_TABLE_NAME: z.string().min(1),
  WARDEN_PROMPT_CONTENT: z.enum(['hash-only', 'hash-and-excerpt', 'raw']).default('hash-and-excerpt'),
  WARDEN_RETENTION_DAYS: z.coerce.number().int().positive().default(400),
  MAX_PAYLOAD_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(1024 * 1024),
  /** Decompressed bytes one HTTPS body may expand to; default 32 x MAX_PAYLOAD_BYTES. */
  MAX_DECODED_BYTES: z.coerce.number().int().positive().optional(),
  /** Decompressed bytes of one S3 object; default 2 GiB (a gzip bomb is also stopped by its ratio). */
  MAX_OBJECT_DECODED_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(2 * 1024 ** 3),
  /** The Warden event bus (every function gets it from the stack). */
  WARDEN_BUS_NAME: z.string().min(1).optional(),
  /** The Object Lock bucket the audit chain is anchored in (lib/infra/audit-anchor.ts). */
  WARDEN_AUDIT_ANCHOR_BUCKET: z.string().min(3).optional(),
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

/** Warden events (through the EventSink port), when the function has the bus. */
export const events: EventSink | undefined = config.WARDEN_BUS_NAME
  ? new EventBridgeSink({
      busName: config.WARDEN_BUS_NAME,
      client: tracer.captureAWSv3Client(recordCalls(new EventBridgeClient({}))),
    })
  : undefined;

const ddb = tracer.captureAWSv3Client(recordCalls(new DynamoDBClient({})));
export const store = new DynamoStore({
  tableName: config.WARDEN_TABLE_NAME,
  client: ddb,
  retentionDays: config.WARDEN_RETENTION_DAYS,
  description: `dynamodb://${config.WARDEN_TABLE_NAME}`,
  ...(config.WARDEN_AUDIT_ANCHOR_BUCKET
    ? {
        auditAnchors: new S3AnchorLog({
          client: tracer.captureAWSv3Client(recordCalls(new S3Client({}))),
          bucket: config.WARDEN_AUDIT_ANCHOR_BUCKET,
        }),
      }
    : {}),
});
