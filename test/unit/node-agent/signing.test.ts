/**
 * The node agent signs for what the stack deploys: the stack's ingestion endpoint is a Lambda function URL with AWS_IAM
 * auth (lib/infra/ingestion.ts), which accepts a SigV4 signature for the `lambda` service in the URL's region. A request
 * signed with the DaemonSet's settings (deploy/node-agent/daemonset.yaml) must pass that check; one signed for API
 * Gateway (`execute-api`) must not. The check below is the function URL's: recompute the signature for `lambda`.
 */
import { readFileSync } from 'node:fs';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { agentEnvSchema } from '../../../node-agent/config.ts';
import { httpSink } from '../../../node-agent/shipper.ts';

const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const ds = parseAllDocuments(
  readFileSync(new URL('../../../deploy/node-agent/daemonset.yaml', import.meta.url), 'utf8'),
)
  .map((d) => d.toJS())
  .find((d) => d.kind === 'DaemonSet') as {
  spec: { template: { spec: { containers: { env: { name: string; value?: string }[] }[] } } };
};
const env = Object.fromEntries(
  (ds.spec.template.spec.containers[0]?.env ?? []).filter((e) => e.value !== undefined).map((e) => [e.name, e.value]),
);
const config = agentEnvSchema.parse({ ...env, NODE_NAME: 'ip-10-0-1-5' });

/** What a function URL with AWS_IAM auth does with a request: recompute the SigV4 signature for `lambda`. */
async function functionUrlAccepts(req: {
  url: URL;
  headers: Record<string, string>;
  body: string | Uint8Array;
}): Promise<boolean> {
  const region = /\.lambda-url\.([a-z0-9-]+)\.on\.aws$/.exec(req.url.hostname)?.[1];
  if (!region) return false;
  const auth = req.headers.authorization ?? '';
  const signedHeaders = /SignedHeaders=([^,]+)/.exec(auth)?.[1]?.split(';') ?? [];
  const verifier = new SignatureV4({ credentials, region, service: 'lambda', sha256: Sha256 });
  const headers = Object.fromEntries(signedHeaders.map((h) => [h, req.headers[h] ?? '']));
  const expected = await verifier.sign(
    {
      method: 'POST',
      protocol: 'https:',
      hostname: req.url.hostname,
      path: req.url.pathname,
      query: {},
      headers,
      body: req.body,
    },
    {
      signingDate: new Date(
        `${req.headers['x-amz-date']?.replace(/(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z/, '$1-$2-$3T$4:$5:$6Z')}`,
      ),
    },
  );
  return expected.headers.authorization === auth;
}

async function capture(
  service: string,
): Promise<{ url: URL; headers: Record<string, string>; body: string | Uint8Array }> {
  let seen: { url: URL; headers: Record<string, string>; body: string | Uint8Array } | undefined;
  const realFetch = globalThis.fetch;
  globalThis.fetch = (async (url: URL, init: { headers: Record<string, string>; body: string | Uint8Array }) => {
    seen = {
      url: new URL(String(url)),
      headers: Object.fromEntries(Object.entries(init.headers).map(([k, v]) => [k.toLowerCase(), v])),
      body: init.body,
    };
    return new Response('{}', { status: 200 });
  }) as typeof fetch;
  try {
    const sink = httpSink({ endpoint: config.WARDEN_INGEST_URL, region: config.AWS_REGION, service, credentials });
    await sink.send({ schema: 'warden.node-agent/v1', records: [] } as never);
  } finally {
    globalThis.fetch = realFetch;
  }
  return seen!;
}

describe('node agent signing matches the deployed endpoint', () => {
  it('the DaemonSet points at a function URL and signs for the lambda service', () => {
    expect(new URL(config.WARDEN_INGEST_URL).hostname).toMatch(/\.lambda-url\.us-east-1\.on\.aws$/);
    expect(config.WARDEN_INGEST_SERVICE).toBe('lambda');
  });

  it("a request signed with the manifest's settings passes the function URL's check; one for execute-api does not", async () => {
    expect(await functionUrlAccepts(await capture(config.WARDEN_INGEST_SERVICE))).toBe(true);
    expect(await functionUrlAccepts(await capture('execute-api'))).toBe(false);
  });

  it('the stack deploys that endpoint: a function URL with AWS_IAM auth', () => {
    const src = readFileSync(new URL('../../../lib/infra/ingestion.ts', import.meta.url), 'utf8');
    expect(src).toMatch(/this\.ingestHttp\.fn\.addFunctionUrl\(\{ authType: lambda\.FunctionUrlAuthType\.AWS_IAM \}\)/);
  });
});
