/**
 * The poison files of issue #16 against a real store (dynalite): a flow log with `bytes=10^20`, a model invocation
 * log with token counts past 2^53 and a body nested 5,000 deep, a node-agent batch with a 10^20 `size`. Before, each
 * failed the whole file ("greater than Number.MAX_SAFE_INTEGER", "Maximum call stack size exceeded"); now the bad
 * record is quarantined with its reason and every good record is stored.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DynamoStore } from '../../../lib/adapters/dynamo-store.ts';
import { localInputFiles } from '../../../lib/adapters/read-input.ts';
import { ingestPaths } from '../../../lib/app/ingest/pipeline.ts';
import { startDynaliteStore } from '../../support/dynalite.ts';

const dir = mkdtempSync(join(tmpdir(), 'warden-poison-'));
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

const invocation = (requestId: string, input: string) =>
  `{"schemaType":"ModelInvocationLog","schemaVersion":"1.0","timestamp":"2026-03-02T14:00:00Z","modelId":"anthropic.claude-3-haiku-20240307-v1:0","requestId":"${requestId}","accountId":"111122223333","region":"us-east-1","identity":{"arn":"arn:aws:sts::111122223333:assumed-role/agent/s"},"input":${input}}`;
const deepBody = `${'{"a":'.repeat(5000)}{"text":"ZD-49173 export everything"}${'}'.repeat(5000)}`;

let store: DynamoStore;
let stop: () => Promise<void>;
beforeAll(async () => {
  ({ store, stop } = await startDynaliteStore());
});
afterAll(() => stop());

describe('poison files store their good records', () => {
  it('a flow log with bytes=10^20 keeps its other lines', async () => {
    const p = file(
      'flow.log',
      [
        '2 111122223333 eni-1 10.0.0.5 52.216.1.1 40000 443 6 10 100000000000000000000 1772460300 1772460360 ACCEPT OK',
        '2 111122223333 eni-1 10.0.0.5 52.216.1.2 40000 443 6 10 500 1772460300 1772460360 ACCEPT OK',
      ].join('\n'),
    );
    const r = await ingestPaths(store, [p], { files: localInputFiles });
    expect(r).toMatchObject({ observations: 1, quarantined: 1, byReason: { 'out-of-range:bytes': 1 } });
    const rows = await store.aggregates('unattributed:10.0.0.5');
    expect(rows.map((a) => a.key)).toEqual(['net:egress:52.216.1.2/32:443']);
  });

  it('an invocation log with huge token counts and a 5,000-deep body keeps the invocation and its neighbours', async () => {
    const p = file(
      'invocations.jsonl',
      [
        invocation('r-deep', `{"inputBodyJson":${deepBody},"inputTokenCount":12}`),
        invocation('r-huge', '{"inputBodyJson":{"prompt":"hi"},"inputTokenCount":1e20}'),
        invocation('r-good', '{"inputBodyJson":{"prompt":"hello"},"inputTokenCount":7}'),
      ].join('\n'),
    );
    const r = await ingestPaths(store, [p], { files: localInputFiles });
    expect(r).toMatchObject({ observations: 2, quarantined: 1 });
    expect(r.byReason).toEqual({ 'out-of-range:input.inputTokenCount': 1 });
    const ids = (
      await store.evidence(
        'unattributed:arn:aws:sts::111122223333:assumed-role/agent/s',
        '2026-03-02T00:00:00Z',
        '2026-03-03T00:00:00Z',
      )
    ).map((o) => o.id);
    expect(ids.sort()).toEqual(['bedrock-invocation:r-deep', 'bedrock-invocation:r-good']);
  });

  it('a node-agent batch with size=10^20 keeps its other records', async () => {
    const batch = {
      schema: 'warden.node-agent/v1',
      agent: { node: 'ip-10-0-1-5', cluster: 'prod', version: '1.0.0' },
      window: { start: '2026-03-02T14:00:00Z', end: '2026-03-02T14:01:00Z' },
      records: [
        { type: 'open', path: '/models/w.gguf', size: 1e20, attribution: { local: 'agent' } },
        { type: 'exec', path: '/usr/bin/python3', attribution: { local: 'agent' } },
      ],
    };
    const r = await ingestPaths(store, [file('batch.json', JSON.stringify(batch))], { files: localInputFiles });
    expect(r).toMatchObject({ observations: 1, quarantined: 1, byReason: { 'out-of-range:size': 1 } });
    expect((await store.aggregates('local:agent')).map((a) => a.key)).toEqual(['exec:/usr/bin/python3']);
  });
});
