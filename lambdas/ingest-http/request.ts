/**
 * Checks one function URL request before ingestion: method, size limit, body decoding. Pure, so the limits are
 * tested without a deployment. The function URL has AWS_IAM auth: by the time a request reaches the handler AWS has
 * verified its SigV4 signature, and `requestContext.authorizer.iam` names the caller (no caller: 401).
 */
import { z } from 'zod';

const requestSchema = z.object({
  body: z.string().optional(),
  isBase64Encoded: z.boolean().optional(),
  headers: z.record(z.string()).optional(),
  requestContext: z.object({
    requestId: z.string(),
    http: z.object({ method: z.string() }),
    authorizer: z
      .object({ iam: z.object({ userArn: z.string().optional(), callerId: z.string().optional() }).partial() })
      .partial()
      .optional(),
  }),
});

export type CheckedRequest =
  | { ok: true; requestId: string; caller: string; body: Buffer }
  | { ok: false; status: number; message: string };

export function checkRequest(event: unknown, maxBytes: number): CheckedRequest {
  const r = requestSchema.safeParse(event);
  if (!r.success) return { ok: false, status: 400, message: 'not a function URL request' };
  const e = r.data;
  // With AWS_IAM auth AWS always names the caller; a request without it did not come through SigV4 and is refused
  // before anything else is looked at.
  const caller = e.requestContext.authorizer?.iam?.userArn;
  if (!caller) return { ok: false, status: 401, message: 'no authenticated caller (SigV4 with an IAM principal)' };
  if (e.requestContext.http.method !== 'POST') return { ok: false, status: 405, message: 'use POST' };
  if (!e.body) return { ok: false, status: 400, message: 'empty body' };
  // Cheap check before decoding: base64 is 4/3 of the bytes.
  const approx = e.isBase64Encoded ? Math.floor((e.body.length * 3) / 4) : Buffer.byteLength(e.body);
  if (approx > maxBytes) return { ok: false, status: 413, message: `body over ${maxBytes} bytes` };
  const body = e.isBase64Encoded ? Buffer.from(e.body, 'base64') : Buffer.from(e.body, 'utf8');
  if (body.length > maxBytes) return { ok: false, status: 413, message: `body over ${maxBytes} bytes` };
  return { ok: true, requestId: e.requestContext.requestId, caller, body };
}
