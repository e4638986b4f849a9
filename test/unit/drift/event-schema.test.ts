/**
 * The drift event contract as docs/events.md states it: its JSON Schema accepts the documented example and the
 * events of real drift items (a risky session, the sessions a deploy explains, a window-level cluster), and rejects
 * an item whose reason lost its text.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { toEventBridgeShape } from '../../../lib/adapters/event-log.ts';
import { driftEvent } from '../../../lib/app/drift/service.ts';
import { judgeDrift } from '../../../lib/core/drift/classify.ts';
import type { DriftObject } from '../../../lib/core/drift/types.ts';
import type { Observation } from '../../../lib/core/observation.ts';
import { repoRoot } from '../sources/helpers.ts';
import {
  benignHistory,
  catalogDeploy,
  DAY,
  driftInput,
  hijackedSession,
  observe,
  SUBJECT,
  T0,
  tool,
} from './agent-fixture.ts';

const doc = readFileSync(join(repoRoot, 'docs', 'events.md'), 'utf8');
const blocks = [...doc.matchAll(/```json\n([\s\S]*?)\n```/g)].map((m) => JSON.parse(m[1]!) as Record<string, unknown>);
const schema = blocks.find((b) => b.$schema)!;
const example = blocks.find((b) => (b.detail as DriftObject | undefined)?.sessions)!;
const ajv = new Ajv2020({ allErrors: true, strict: false });
(addFormats as unknown as (a: Ajv2020) => void)(ajv);
const validate = ajv.compile(schema);
const check = (d: DriftObject) => {
  const ok = validate(toEventBridgeShape(driftEvent(d)));
  return ok ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
};

const FROM = T0 + 35 * DAY;
const flow = (i: number, t: number, ip: string): Observation => ({
  v: 1,
  id: `flow-${i}`,
  time: new Date(t).toISOString(),
  source: 'vpc-flow',
  subject: SUBJECT,
  layer: 'network',
  kind: 'net',
  key: `net:egress:${ip}/32:443`,
  count: 1,
  correlation: {},
  attrs: {},
});

describe('drift event schema (docs/events.md)', () => {
  it('accepts the documented example', () => {
    expect(validate(example), JSON.stringify(validate.errors)).toBe(true);
  });

  it('accepts the events of real session and window items', () => {
    const flows = [
      ...Array.from({ length: 35 * 24 }, (_, h) => flow(h, T0 + h * 3_600_000, '198.51.100.7')),
      flow(9999, FROM + 3 * DAY, '203.0.113.99'),
    ];
    const s = {
      id: 'new-tool',
      start: FROM + DAY,
      request: 'Archive newsletters',
      calls: [{ fn: 'archive', params: { folder: 'news' } }],
    };
    const deploy = catalogDeploy('d1', FROM + DAY - 60_000, [tool('archive')]);
    const obs = [...observe([...benignHistory(80), hijackedSession('attack-1', FROM + 2 * DAY), s]), ...flows];
    const j = judgeDrift({ ...driftInput(obs, FROM, FROM + 7 * DAY), deploys: [deploy] });
    const kinds = j.items.map((d) => (d.sessions ? d.classification : 'window'));
    expect(kinds.sort()).toEqual(['evolution', 'risky', 'window']);
    for (const d of j.items) expect(check(d), d.id).toEqual([]);
  });

  it('rejects a reason without its text', () => {
    const d = example.detail as DriftObject;
    const broken = { ...d, reasons: [{ ...d.reasons![0]!, text: undefined }] } as unknown as DriftObject;
    expect(check(broken).join()).toMatch(/reasons\/0 must have required property 'text'/);
  });
});
