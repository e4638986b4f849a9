/**
 * The deployed stack's audit anchor log: one S3 object per anchor (`<prefix><seq, 12 digits>.json`) in a bucket with
 * Object Lock (lib/infra/audit-anchor.ts), created with `If-None-Match: *` so two writers cannot both anchor one seq.
 * Object Lock keeps every version: an anchor "overwritten" by someone with PutObject leaves the original version,
 * which `all()` reads and reports (the anchor log itself was tampered with).
 */
import {
  GetObjectCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { AuditAnchor } from '../core/audit/types.ts';
import { AnchorExistsError, type AuditAnchorLog } from '../ports.ts';

export interface S3AnchorLogOptions {
  client: Pick<S3Client, 'send'>;
  bucket: string;
  /** Key prefix; default `audit-anchors/`. */
  prefix?: string;
}

const SEQ_DIGITS = 12;

export class S3AnchorLog implements AuditAnchorLog {
  readonly description: string;
  private readonly prefix: string;

  constructor(private readonly opts: S3AnchorLogOptions) {
    this.prefix = opts.prefix ?? 'audit-anchors/';
    this.description = `s3://${opts.bucket}/${this.prefix}`;
  }

  private key(seq: number): string {
    return `${this.prefix}${String(seq).padStart(SEQ_DIGITS, '0')}.json`;
  }

  async append(anchor: AuditAnchor): Promise<void> {
    try {
      await this.opts.client.send(
        new PutObjectCommand({
          Bucket: this.opts.bucket,
          Key: this.key(anchor.seq),
          Body: JSON.stringify(anchor),
          ContentType: 'application/json',
          IfNoneMatch: '*',
        }),
      );
    } catch (err) {
      const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
      const status = e.$metadata?.httpStatusCode;
      if (e.name === 'PreconditionFailed' || status === 412 || status === 409) throw new AnchorExistsError(anchor.seq);
      throw err;
    }
  }

  private async read(key: string, versionId?: string): Promise<AuditAnchor | undefined> {
    const out = await this.opts.client.send(
      new GetObjectCommand({ Bucket: this.opts.bucket, Key: key, ...(versionId ? { VersionId: versionId } : {}) }),
    );
    const text = await out.Body?.transformToString('utf8');
    try {
      const a = JSON.parse(text ?? '') as AuditAnchor;
      return typeof a.seq === 'number' && typeof a.hash === 'string' && a.record ? a : undefined;
    } catch {
      return undefined;
    }
  }

  async latest(atLeast = 0): Promise<AuditAnchor | undefined> {
    let last: string | undefined;
    let token: string | undefined;
    do {
      const page = await this.opts.client.send(
        new ListObjectsV2Command({
          Bucket: this.opts.bucket,
          Prefix: this.prefix,
          ...(atLeast > 1 ? { StartAfter: this.key(atLeast - 1) } : {}),
          ContinuationToken: token,
        }),
      );
      for (const o of page.Contents ?? []) if (o.Key && (!last || o.Key > last)) last = o.Key;
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return last ? this.read(last) : undefined;
  }

  async all(): Promise<{ anchors: AuditAnchor[]; problems: string[] }> {
    const versions = new Map<string, { id: string; at: number }[]>();
    const deleted = new Set<string>();
    let keyMarker: string | undefined;
    let versionMarker: string | undefined;
    do {
      const page = await this.opts.client.send(
        new ListObjectVersionsCommand({
          Bucket: this.opts.bucket,
          Prefix: this.prefix,
          KeyMarker: keyMarker,
          VersionIdMarker: versionMarker,
        }),
      );
      for (const v of page.Versions ?? []) {
        if (!v.Key || !v.VersionId) continue;
        const list = versions.get(v.Key) ?? [];
        list.push({ id: v.VersionId, at: v.LastModified?.getTime() ?? 0 });
        versions.set(v.Key, list);
      }
      for (const d of page.DeleteMarkers ?? []) if (d.Key) deleted.add(d.Key);
      keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
      versionMarker = page.IsTruncated ? page.NextVersionIdMarker : undefined;
    } while (keyMarker);
    const anchors: AuditAnchor[] = [];
    const problems: string[] = [];
    for (const [key, list] of [...versions].sort(([a], [b]) => (a < b ? -1 : 1))) {
      // The first version is the anchor as written; a later one is an attempt to rewrite it. S3 lists a key's
      // versions newest first, which also orders versions written within the same second.
      const first = list.reduce((oldest, v) => (v.at <= oldest.at ? v : oldest));
      if (list.length > 1) problems.push(`${key} has ${list.length} versions: the anchor was overwritten`);
      if (deleted.has(key)) problems.push(`${key} has a delete marker: someone tried to delete the anchor`);
      const a = await this.read(key, first.id);
      if (a && this.key(a.seq) === key) anchors.push(a);
      else problems.push(`${key} is not an anchor`);
    }
    return { anchors, problems };
  }
}
