/**
 * The body of an SQS message S3 sends for an object-created notification (or the `s3:TestEvent` S3 sends when the
 * notification is configured). Outside data: zod.
 */
import { z } from 'zod';

const s3Record = z.object({
  eventSource: z.literal('aws:s3'),
  eventName: z.string(),
  s3: z.object({
    bucket: z.object({ name: z.string().min(1) }),
    object: z.object({ key: z.string().min(1), size: z.number().optional(), sequencer: z.string().optional() }),
  }),
});

const notification = z.union([
  z.object({ Records: z.array(s3Record) }),
  z.object({ Event: z.literal('s3:TestEvent'), Bucket: z.string().optional() }),
]);

export interface ObjectRef {
  bucket: string;
  /** The decoded key (S3 URL-encodes keys in notifications, with `+` for spaces). */
  key: string;
  size?: number;
}

export type ParsedNotification = { ok: true; objects: ObjectRef[] } | { ok: false; reason: string; detail: string };

/** Objects announced by one notification body; a test event announces none. */
export function parseS3Notification(body: string): ParsedNotification {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (err) {
    return { ok: false, reason: 'invalid-json', detail: (err as Error).message };
  }
  const r = notification.safeParse(value);
  if (!r.success) {
    return { ok: false, reason: 'not-an-s3-notification', detail: r.error.issues[0]?.message ?? 'schema mismatch' };
  }
  if (!('Records' in r.data)) return { ok: true, objects: [] };
  return {
    ok: true,
    objects: r.data.Records.filter((x) => x.eventName.startsWith('ObjectCreated')).map((x) => ({
      bucket: x.s3.bucket.name,
      key: decodeURIComponent(x.s3.object.key.replace(/\+/g, ' ')),
      size: x.s3.object.size,
    })),
  };
}
