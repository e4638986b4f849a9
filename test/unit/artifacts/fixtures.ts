import type { ArtifactBaseline } from '../../../lib/core/artifacts/types.ts';

const seen = (key: string, count = 10) => ({
  key,
  count,
  firstSeen: '2026-01-05T10:00:00.000Z',
  lastSeen: '2026-02-10T10:00:00.000Z',
  active: true,
});

/** A customer-support agent: Salesforce, Zendesk, the S3 export bucket, Bedrock. */
export const supportBaseline: ArtifactBaseline = {
  subject: 'k8s:prod/support/support-agent',
  version: 7,
  entries: [
    seen('net:egress:13.110.54.10/32:443'),
    seen('net:egress:13.110.54.11/32:443'),
    seen('net:egress:104.16.51.111/32:443'),
    seen('net:egress:52.217.10.4/32:443', 200),
    seen('net:egress:52.217.99.7/32:443', 150),
    seen('dns:acme.my.salesforce.com'),
    seen('dns:acme.zendesk.com'),
    seen('dns:bedrock-runtime.us-east-1.amazonaws.com'),
    seen('dns:support-db.support.svc.cluster.local'),
    seen('syscall:read', 5000),
    seen('syscall:openat', 900),
    seen('syscall:connect', 300),
    seen('syscall:futex', 4000),
    seen('exec:/usr/bin/python3', 3),
    { ...seen('net:egress:10.0.0.9/32:8080'), active: false },
  ],
};

/** A retrieval agent in the same namespace: only Bedrock + S3 reads. */
export const retrievalBaseline: ArtifactBaseline = {
  subject: 'k8s:prod/support/kb-retriever',
  version: 3,
  entries: [
    seen('net:egress:52.217.10.4/32:443'),
    seen('dns:bedrock-agent-runtime.us-east-1.amazonaws.com'),
    seen('syscall:read'),
    seen('syscall:mmap'),
  ],
};
