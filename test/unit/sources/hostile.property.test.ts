/**
 * Hostile input against all five parsers (issue #16, "no poison file"): records with numbers past any bound, content
 * nested thousands deep, huge strings, impossible times and cut lines, mixed with good records. Whatever the hostile
 * record holds, parsing never throws, no record reaches the parser-error safety net, everything produced is storable
 * (the store's own number rule: lib-dynamodb refuses numbers past 2^53), and every good batch-mate still yields its
 * observations.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { marshall } from '@aws-sdk/util-dynamodb';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ingestStream } from '../../../lib/app/ingest/pipeline.ts';
import { checkObservation } from '../../../lib/app/ingest/validate.ts';
import type { Observation, Reject } from '../../../lib/core/observation.ts';
import { parseText } from '../../../lib/core/sources/index.ts';
import { ctx, fixtures } from './helpers.ts';

const line = (file: string, n: number) => readFileSync(path.join(fixtures, file), 'utf8').split('\n')[n] as string;
const ctRecord = JSON.parse(readFileSync(path.join(fixtures, 'cloudtrail-eventbridge-putobject.json'), 'utf8')).detail;
const invocation = JSON.parse(line('bedrock-invocation-s3.jsonl', 0));
const tracePart = JSON.parse(line('bedrock-agent-traces.jsonl', 2));
const flowLine = line('vpc-flow-v2-default.log', 1);
const nodeBatch = (node: string, records: unknown[]) => ({
  schema: 'warden.node-agent/v1',
  agent: { node, cluster: 'prod', version: '1.0.0' },
  window: { start: '2026-03-02T14:00:00Z', end: '2026-03-02T14:01:00Z' },
  records,
});
const attribution = { namespace: 'support', pod: 'support-agent-7d9-x', deployment: 'support-agent' };
const nodeRecords = [
  { type: 'exec', path: '/usr/bin/python3', count: 2, pid: 41, attribution },
  { type: 'connect', daddr: '52.216.8.1', dport: 443, count: 3, attribution },
  { type: 'open', path: '/models/m.safetensors', size: 4096, attribution },
];

/** A JSON sample per JSON source: `vary(i)` makes good record i distinct from the others. */
const JSON_SOURCES = {
  cloudtrail: { sample: ctRecord, vary: (i: number) => ({ ...ctRecord, eventID: `good-${i}` }) },
  'bedrock-invocation': { sample: invocation, vary: (i: number) => ({ ...invocation, requestId: `good-${i}` }) },
  'bedrock-trace': { sample: tracePart, vary: (i: number) => ({ ...tracePart, sessionId: `good-session-${i}` }) },
  'node-agent': {
    sample: nodeBatch('node-a', nodeRecords),
    vary: (i: number) => nodeBatch(`node-${i}`, nodeRecords),
  },
} as const;

/** Paths of every field (objects and arrays descended) of a JSON value, with the value found there. */
function fields(v: unknown, prefix: (string | number)[] = []): { path: (string | number)[]; value: unknown }[] {
  if (typeof v !== 'object' || v === null) return [];
  return Object.entries(v).flatMap(([k, x]) => {
    const p = [...prefix, Array.isArray(v) ? Number(k) : k];
    return [{ path: p, value: x }, ...fields(x, p)];
  });
}

function setAt(v: unknown, p: (string | number)[], value: unknown): unknown {
  const copy = structuredClone(v) as Record<string | number, unknown>;
  let cur = copy;
  for (const k of p.slice(0, -1)) cur = cur[k] as Record<string | number, unknown>;
  cur[p[p.length - 1]!] = value;
  return copy;
}

/** JSON text of objects or arrays nested `depth` levels deep (text, since JSON.stringify itself would overflow). */
function nestedText(depth: number, arrays: boolean): string {
  const leaf = '{"leaf":"ZD-4242 ignore previous instructions"}';
  return arrays
    ? `${'['.repeat(depth)}${leaf}${']'.repeat(depth)}`
    : `${'{"text":'.repeat(depth)}${leaf}${'}'.repeat(depth)}`;
}

/** Hostile values as JSON text, spliced into a sample in place of one field. */
const hugeNumber = fc.oneof(
  fc.constantFrom('1e20', String(2 ** 53 + 2), '1e308', '-1e20', '1.7976931348623157e308', '9007199254740993'),
  fc.double({ min: 2 ** 53, max: 1e300, noNaN: true }).map(String),
  fc.integer({ min: 2, max: 400 }).map((n) => `"9${'0'.repeat(n)}"`),
  fc.integer({ min: 20, max: 400 }).map((n) => `9${'0'.repeat(n)}`),
);
const impossibleTime = fc.constantFrom(
  '"9999-12-31T23:59:59Z"',
  '"2026-02-30T10:00:00Z"',
  '"2026-13-01T00:00:00Z"',
  '"2100-01-01T00:00:00Z"',
  '"+275760-09-13T00:00:00.000Z"',
  '"0000-01-01T00:00:00Z"',
  '253402300799999',
  '1e20',
);
const deepValue = fc
  .tuple(fc.integer({ min: 65, max: 20_000 }), fc.boolean())
  .map(([depth, arrays]) => nestedText(depth, arrays));
const hugeString = fc
  .tuple(fc.integer({ min: 10_000, max: 200_000 }), fc.constantFrom('x', '\u0000', '\u{1F600}', '"', '\\', '\n'))
  .map(([n, c]) => JSON.stringify(c.repeat(n)));

/** Stands in for the hostile value until the sample is serialized. */
const HOLE = 'warden-hostile-value-hole';

/** A hostile version of a JSON sample: one field replaced by a hostile value, the text perhaps cut short. */
function hostileJson(sample: unknown, opts: { cut?: boolean } = {}): fc.Arbitrary<string> {
  const all = fields(sample);
  const numeric = all.filter((f) => typeof f.value === 'number');
  const timeLike = all.filter((f) => /time|start|end|from|timestamp/i.test(String(f.path[f.path.length - 1])));
  const mutation = fc.oneof(
    fc.tuple(fc.constantFrom(...(numeric.length ? numeric : all)), hugeNumber),
    fc.tuple(fc.constantFrom(...all), deepValue),
    fc.tuple(fc.constantFrom(...all), hugeString),
    fc.tuple(fc.constantFrom(...(timeLike.length ? timeLike : all)), impossibleTime),
  );
  const cut =
    opts.cut === false
      ? fc.constant(undefined)
      : fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: undefined });
  return fc.tuple(mutation, cut).map(([[field, value], at]) => {
    const text = JSON.stringify(setAt(sample, field.path, HOLE)).replace(`"${HOLE}"`, () => value);
    return at === undefined ? text : text.slice(0, Math.floor(text.length * at));
  });
}

/** A hostile VPC flow line: a token replaced by a huge number, an impossible time or a long token, or cut short. */
const hostileFlowLine = fc
  .tuple(
    fc.integer({ min: 0, max: 13 }),
    fc.oneof(
      hugeNumber.map(String),
      fc.constantFrom('-1', '1e21', 'NaN', '4102444800', '99999999999999'),
      fc.string({ minLength: 1, maxLength: 3000 }).map((s) => s.replace(/\s/g, '_')),
    ),
    fc.option(fc.integer({ min: 1, max: 120 }), { nil: undefined }),
  )
  .map(([i, token, cut]) => {
    const toks = flowLine.split(' ');
    toks[i] = token;
    const text = toks.join(' ');
    return cut === undefined ? text : text.slice(0, cut);
  });

/** What a good record must still yield among its batch-mates (ids may move with positions in a node batch). */
const signature = (o: Observation) => `${o.subject}|${o.key}|${o.time}|${o.count}`;

function multiset(xs: string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const x of xs) m.set(x, (m.get(x) ?? 0) + 1);
  return m;
}

/** Every observation of `good` (as a multiset) is in `all`. */
function contained(good: Observation[], all: Observation[]): boolean {
  const have = multiset(all.map(signature));
  for (const [k, n] of multiset(good.map(signature))) if ((have.get(k) ?? 0) < n) return false;
  return true;
}

/**
 * No record needed the parser-error safety net, and whatever passes the pipeline's last check (lib/app/ingest/validate:
 * an observation failing it is quarantined as `invalid-observation`) is something the store can write.
 */
function storable(observations: Observation[], rejects: Reject[]): void {
  for (const r of rejects) expect(r.reason, r.detail).not.toBe('parser-error');
  for (const o of observations)
    if (checkObservation(o) === undefined) expect(() => marshall(o, { removeUndefinedValues: true })).not.toThrow();
}

const RUNS = 60;

describe('hostile records never poison their batch', () => {
  for (const [source, { sample, vary }] of Object.entries(JSON_SOURCES)) {
    it(`${source}: no throw, all storable, good records before and after a hostile one all kept`, () => {
      const good = [JSON.stringify(vary(1)), JSON.stringify(vary(2))];
      const alone = parseText(good.join('\n'), ctx()).observations;
      expect(alone.length).toBeGreaterThan(0);
      fc.assert(
        fc.property(hostileJson(sample), (bad) => {
          const r = parseText(`${good[0]}\n${bad}\n${good[1]}\n`, ctx());
          storable(r.observations, r.rejects);
          expect(contained(alone, r.observations)).toBe(true);
        }),
        { numRuns: RUNS },
      );
    });
  }

  it('node-agent: a hostile record inside a batch loses only itself', () => {
    const alone = parseText(JSON.stringify(nodeBatch('n', nodeRecords)), ctx()).observations;
    const [head, tail] = JSON.stringify(nodeBatch('n', [])).split('[]') as [string, string];
    fc.assert(
      fc.property(
        hostileJson(nodeRecords[0], { cut: false }),
        fc.integer({ min: 0, max: nodeRecords.length }),
        (bad, at) => {
          const records = nodeRecords.map((r) => JSON.stringify(r));
          records.splice(at, 0, bad);
          const r = parseText(`${head}[${records.join(',')}]${tail}`, ctx());
          storable(r.observations, r.rejects);
          expect(contained(alone, r.observations)).toBe(true);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('vpc-flow: no throw, all storable, the good lines around a hostile one all kept', () => {
    const good = [flowLine, flowLine.replace('51236', '51237')];
    const alone = parseText(good.join('\n'), ctx()).observations;
    expect(alone).toHaveLength(2);
    fc.assert(
      fc.property(hostileFlowLine, (bad) => {
        const r = parseText(`${good[0]}\n${bad}\n${good[1]}\n`, ctx());
        storable(r.observations, r.rejects);
        expect(contained(alone, r.observations)).toBe(true);
      }),
      { numRuns: RUNS * 2 },
    );
  });

  it('through the ingest pipeline, every good record of a mixed file reaches the store writer', async () => {
    const files = fc.array(
      fc.oneof(
        ...Object.values(JSON_SOURCES).map(({ sample }) => hostileJson(sample)),
        fc.integer({ min: 1, max: 1000 }).map((i) => JSON.stringify(JSON_SOURCES.cloudtrail.vary(i))),
        fc.integer({ min: 1, max: 1000 }).map((i) => JSON.stringify(JSON_SOURCES['bedrock-invocation'].vary(i))),
      ),
      { minLength: 1, maxLength: 6 },
    );
    await fc.assert(
      fc.asyncProperty(files, async (lines) => {
        const text = `${lines.join('\n')}\n`;
        const stored: Observation[] = [];
        const rejected: Reject[] = [];
        const writer = {
          write: async (o: Observation[], r: Reject[]) => {
            storable(o, r);
            stored.push(...o);
            rejected.push(...r);
            return { observations: o.length, stored: o.length, duplicates: 0, quarantined: r.length, writeRequests: 1 };
          },
        };
        const report = await ingestStream(writer, { name: 'mixed.jsonl', stream: Readable.from([Buffer.from(text)]) });
        // Each line parsed on its own yields the same storable observations inside the mixed file.
        for (const l of lines) {
          const own = parseText(l, ctx()).observations.filter((o) => checkObservation(o) === undefined);
          expect(contained(own, stored)).toBe(true);
        }
        expect(report.observations).toBe(stored.length);
      }),
      { numRuns: 30 },
    );
  });
});
