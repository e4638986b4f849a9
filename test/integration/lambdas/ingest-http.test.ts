/**
 * The HTTPS ingest handler against a real store (dynalite), called as the function URL calls it (issue #16, item 1):
 * a node agent of the dev cluster posting prod subjects (72 hourly connects to 6.6.6.6:443) is quarantined as
 * `unauthorized-subject` naming the caller, and the NetworkPolicy generated for the prod agent never allows
 * 6.6.6.6; a request without an authenticated caller is 401; a caller past its hourly quota is 429.
 */
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DynamoStore } from '../../../lib/adapters/dynamo-store.ts';
import { loadIamCatalog } from '../../../lib/adapters/iam-scope.ts';
import { generateArtifacts } from '../../../lib/app/artifacts/service.ts';
import { refreshBaseline } from '../../../lib/app/baselines/service.ts';
import { lambdaContext } from '../../e2e/support/lambda-poller.ts';
import { startDynalite, storeAt } from '../../support/dynalite.ts';
import { setLocalLambdaEnv } from '../../support/lambda-env.ts';

const ACCOUNT = '111122223333';
const DEV_AGENT = `arn:aws:sts::${ACCOUNT}:assumed-role/warden-node-agent-dev/eks-dev-warden-node-agent-x1`;
const PROD_AGENT = `arn:aws:sts::${ACCOUNT}:assumed-role/warden-node-agent-prod/eks-prod-warden-node-agent-y2`;
const PROD_SUBJECT = 'k8s:prod-eks/support/support-agent';

type Handler = (event: unknown, context: unknown) => Promise<{ statusCode: number; body: string }>;
let handler: Handler;
let store: DynamoStore;
let stop: () => Promise<void>;

function request(body: Buffer | string, caller: string | undefined, id = `r-${Math.random()}`) {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  return {
    version: '2.0',
    rawPath: '/',
    body: bytes.toString('base64'),
    isBase64Encoded: true,
    headers: { 'content-type': 'application/json' },
    requestContext: {
      requestId: id,
      http: { method: 'POST' },
      ...(caller ? { authorizer: { iam: { userArn: caller } } } : {}),
    },
  };
}

/** One node-agent batch per hour: `connects` to `daddr`:443 from the prod support agent. */
function batches(cluster: string, node: string, daddr: string, hours: number): Buffer[] {
  return Array.from({ length: hours }, (_, h) => {
    const start = new Date(Date.UTC(2026, 10, 1, 0, 0) + h * 3_600_000).toISOString();
    const end = new Date(Date.parse(start) + 60_000).toISOString();
    return gzipSync(
      JSON.stringify({
        schema: 'warden.node-agent/v1',
        agent: { node, cluster, version: '1.0.0' },
        window: { start, end },
        records: [
          {
            type: 'connect',
            daddr,
            dport: 443,
            count: 3,
            attribution: { namespace: 'support', pod: 'support-agent-7d9-x', deployment: 'support-agent' },
          },
        ],
      }),
    );
  });
}

async function post(body: Buffer | string, caller: string | undefined) {
  const res = await handler(request(body, caller), lambdaContext('ingest-http'));
  return { status: res.statusCode, body: JSON.parse(res.body) as Record<string, unknown> };
}

beforeAll(async () => {
  const d = await startDynalite();
  store = await storeAt(d.clientConfig, 'warden-http');
  stop = async () => {
    await store.close();
    await d.stop();
  };
  // The handler's configuration and endpoint come from the environment, as in Lambda.
  setLocalLambdaEnv({
    WARDEN_TABLE_NAME: 'warden-http',
    AWS_ENDPOINT_URL: d.endpoint,
    WARDEN_INGEST_QUOTA_PER_HOUR: '100',
    WARDEN_INGEST_PRINCIPALS: JSON.stringify([
      {
        principal: `arn:aws:iam::${ACCOUNT}:role/warden-node-agent-dev`,
        sources: ['node-agent'],
        clusters: ['dev-eks'],
      },
      {
        principal: `arn:aws:iam::${ACCOUNT}:role/infra/warden-node-agent-prod`,
        sources: ['node-agent'],
        clusters: ['prod-eks'],
      },
    ]),
  });
  handler = (await import('../../../lambdas/ingest-http/handler.ts')).handler as unknown as Handler;
}, 120_000);

afterAll(() => stop());

describe('HTTPS ingest authorization', () => {
  it('a request with no authorizer context is 401 and stores nothing', async () => {
    const r = await post(batches('prod-eks', 'n1', '6.6.6.6', 1)[0]!, undefined);
    expect(r.status).toBe(401);
    expect(await store.aggregates(PROD_SUBJECT)).toEqual([]);
  });

  it("the dev cluster's node agent posting prod subjects is quarantined, naming the caller", async () => {
    for (const b of batches('prod-eks', 'ip-10-9-9-9', '6.6.6.6', 72)) {
      const r = await post(b, DEV_AGENT);
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ admitted: 0, refused: 1, stored: 0 });
    }
    expect(await store.aggregates(PROD_SUBJECT)).toEqual([]);
    const q = (await store.quarantine(1000)).filter((x) => x.reason === 'unauthorized-subject');
    expect(q).toHaveLength(72);
    expect(q[0]!.detail).toContain(DEV_AGENT);
    expect(q[0]!.detail).toContain('prod-eks');
  });

  it('a CloudTrail record posted by a node agent is refused: the source is not in its scope', async () => {
    const ct = {
      eventVersion: '1.10',
      eventSource: 's3.amazonaws.com',
      eventName: 'GetObject',
      eventTime: '2026-11-01T00:00:00Z',
      awsRegion: 'us-east-1',
      eventID: 'spoofed-1',
      recipientAccountId: ACCOUNT,
      userIdentity: { type: 'AssumedRole', arn: `arn:aws:sts::${ACCOUNT}:assumed-role/support-agent/s` },
    };
    const r = await post(JSON.stringify(ct), PROD_AGENT);
    expect(r.body).toMatchObject({ admitted: 0, refused: 1 });
  });

  it("the prod cluster's own agent is stored, and the NetworkPolicy allows its egress but never 6.6.6.6", async () => {
    for (const b of batches('prod-eks', 'ip-10-0-1-5', '52.216.8.1', 72)) {
      const r = await post(b, PROD_AGENT);
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ admitted: 1, refused: 0 });
    }
    await refreshBaseline(store, PROD_SUBJECT, '2026-11-04T00:00:00.000Z');
    const set = await generateArtifacts(PROD_SUBJECT, {
      store,
      now: '2026-11-04T00:00:00.000Z',
      loadCatalog: loadIamCatalog,
    });
    const np = set.files.find((f) => f.kind === 'network-policy')!;
    // The generator widens the observed S3 address to the published S3 range.
    expect(np.content).toContain('52.216.0.0/15');
    expect(np.content).not.toContain('6.6.6.6');
  });

  it('past its hourly quota a caller is answered 429 and the rest of its batch is not stored', async () => {
    // 100 observations per hour: the 72 stored above leave 28.
    const many = gzipSync(
      JSON.stringify({
        schema: 'warden.node-agent/v1',
        agent: { node: 'ip-10-0-1-5', cluster: 'prod-eks', version: '1.0.0' },
        window: { start: '2026-11-05T00:00:00Z', end: '2026-11-05T00:01:00Z' },
        records: Array.from({ length: 40 }, (_, i) => ({
          type: 'exec',
          path: `/usr/bin/tool-${i}`,
          attribution: { namespace: 'support', pod: 'support-agent-7d9-x', deployment: 'support-agent' },
        })),
      }),
    );
    const r = await post(many, PROD_AGENT);
    expect(r.status).toBe(429);
    expect(r.body).toMatchObject({ admitted: 28, rateLimited: 12 });
    expect((await post(many, PROD_AGENT)).status).toBe(429);
  });
});
