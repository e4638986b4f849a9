/**
 * The rollout without GitHub: changes are proposed as objects in the Warden proposals bucket.
 * - `S3Proposals` (PullRequests): an IAM tightening is written under `proposals/<branch>/` with a PROPOSAL.md holding
 *   the title and review text; a human approves or rejects it (approval endpoint or `warden rollout approve`).
 * - `S3ManifestApplier` (ClusterApplier): Kubernetes manifests are written under
 *   `cluster/<cluster>/<namespace>/<deployment>/`, the prefix a Flux `Bucket` source syncs; files of the set applied
 *   before that the new set no longer has are deleted; a rollback restores the set before the last apply (history in
 *   the store, see AppliedHistory).
 * Nothing is applied to IAM or the cluster directly.
 */
import { DeleteObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type {
  ClusterApplier,
  EnforcementMode,
  Manifest,
  PullRequestRef,
  PullRequestRequest,
  PullRequests,
} from '../ports.ts';
import type { AppliedHistory } from './applied-history.ts';
import { manifestDir } from './gitops-applier.ts';

type S3 = Pick<S3Client, 'send'>;

/** The prefix of a proposal's objects for a branch name (`warden/<rolloutId>/<subject>`). */
export const proposalPrefix = (branch: string) => `proposals/${branch.replace(/^warden\//, '')}/`;

export class S3Proposals implements PullRequests {
  private n = 0;
  constructor(
    private readonly s3: S3,
    private readonly bucket: string,
  ) {}

  /** Writes the proposal; `number` is its ordinal in this writer, the `url` (s3://...) identifies it. */
  async open(req: PullRequestRequest): Promise<PullRequestRef> {
    this.n += 1;
    const prefix = proposalPrefix(req.branch);
    for (const f of req.files) await this.put(`${prefix}${f.path}`, f.content);
    await this.put(`${prefix}PROPOSAL.md`, `# ${req.title}\n\n${req.body}\n`);
    return { number: this.n, url: `s3://${this.bucket}/${prefix}`, branch: req.branch };
  }

  private put(key: string, body: string) {
    return this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body }));
  }
}

export class S3ManifestApplier implements ClusterApplier {
  readonly description: string;

  constructor(
    private readonly s3: S3,
    private readonly bucket: string,
    private readonly history: AppliedHistory,
    private readonly root = 'cluster',
  ) {
    this.description = `manifests in s3://${bucket}/${root}/`;
  }

  async apply(subject: string, mode: EnforcementMode, manifests: Manifest[]): Promise<{ applied: string[] }> {
    const before = await this.history.current(subject);
    const keys = await this.writeSet(subject, manifests, before?.manifests ?? []);
    await this.history.record(subject, mode, manifests);
    return { applied: keys.map((k) => `${mode}:s3://${this.bucket}/${k}`) };
  }

  async rollback(subject: string): Promise<{ restored: string[] }> {
    const { undone, restored } = await this.history.rollBack(subject);
    const keys = await this.writeSet(subject, restored?.manifests ?? [], undone?.manifests ?? []);
    return { restored: keys.map((k) => `s3://${this.bucket}/${k}`) };
  }

  /** Writes `next` under the subject's prefix and deletes what only `prev` had; returns the keys written. */
  private async writeSet(subject: string, next: Manifest[], prev: Manifest[]): Promise<string[]> {
    const dir = manifestDir(this.root, subject);
    const keep = new Set(next.map((m) => m.path));
    const written: string[] = [];
    for (const m of next) {
      const Key = `${dir}/${m.path}`;
      await this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key, Body: m.content }));
      written.push(Key);
    }
    for (const m of prev) {
      if (!keep.has(m.path))
        await this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: `${dir}/${m.path}` }));
    }
    return written;
  }
}
