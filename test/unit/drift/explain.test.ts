import { describe, expect, it } from 'vitest';
import type { DeployEvent } from '../../../lib/core/deploy-events/types.ts';
import { explains } from '../../../lib/core/drift/explain.ts';
import { bitsToScore } from '../../../lib/core/drift/session/score.ts';
import { excessScore } from '../../../lib/core/drift/signals/resource-bounds.ts';
import { type Change, DEFAULT_DRIFT_OPTIONS } from '../../../lib/core/drift/types.ts';

const deploy = (kind: DeployEvent['kind'], adds: string[] = []): DeployEvent => ({
  id: kind,
  subject: 's',
  time: '2026-10-01T10:00:00Z',
  kind,
  origin: 'cloudtrail',
  adds,
  removes: [],
  summary: kind,
});
const change = (c: Partial<Change> & Pick<Change, 'type' | 'key' | 'layer'>): Change => ({
  window: '2026-10-01T10:00:00.000Z',
  observed: 1,
  expectedUpper: 0,
  ...c,
});
const known = (k: string) => ['tool:a/getTicket', 'tool:a/postReply', 'tool:c/lookup'].includes(k);
const ex = (d: DeployEvent, c: Change) => explains(d, c, known, new Set(), DEFAULT_DRIFT_OPTIONS);

describe('deploy consistency table', () => {
  it.each([
    [
      'model deploy explains a new model key',
      deploy('model', ['model:m2']),
      change({ type: 'new-key', key: 'model:m2', layer: 'application' }),
      true,
    ],
    [
      'agent-config explains a new model key',
      deploy('agent-config'),
      change({ type: 'new-key', key: 'model:m2', layer: 'application' }),
      true,
    ],
    [
      'model deploy does not explain a new destination',
      deploy('model', ['model:m2']),
      change({ type: 'new-key', key: 'net:egress:203.0.113.9/32:443', layer: 'network' }),
      false,
    ],
    [
      'image deploy explains a new exec',
      deploy('image'),
      change({ type: 'new-key', key: 'exec:/usr/bin/git', layer: 'kernel' }),
      true,
    ],
    [
      'image deploy does not explain a new API action',
      deploy('image'),
      change({ type: 'new-key', key: 'api:s3:DeleteObject:*', layer: 'cloud-api' }),
      false,
    ],
    [
      'prompt deploy explains a reordering of known tools',
      deploy('prompt'),
      change({ type: 'sequence', key: 'x', layer: 'tool', transition: ['tool:a/getTicket', 'tool:c/lookup'] }),
      true,
    ],
    [
      'prompt deploy does not explain a sequence into an unknown key',
      deploy('prompt'),
      change({ type: 'sequence', key: 'x', layer: 'tool', transition: ['tool:a/getTicket', 'tool:x/exfil'] }),
      false,
    ],
    [
      'tool-catalog explains its declared tool',
      deploy('tool-catalog', ['tool:a/refund']),
      change({ type: 'new-key', key: 'tool:a/refund', layer: 'tool' }),
      true,
    ],
    [
      'any deploy explains volume within 3x',
      deploy('prompt'),
      change({ type: 'volume', key: 'tool:c/lookup', layer: 'tool', observed: 20, expectedUpper: 8 }),
      true,
    ],
    [
      'no deploy explains a burst far beyond the envelope',
      deploy('model', ['model:m2']),
      change({ type: 'volume', key: 'api:s3:PutObject:*', layer: 'cloud-api', observed: 2400, expectedUpper: 36 }),
      false,
    ],
  ])('%s', (_n, d, c, expected) => {
    expect(ex(d, c)).toBe(expected);
  });
});

describe('signal scores', () => {
  it.each([
    [2400, 1, 0.9995],
    [20, 10, 0.5],
    [5, 10, 0],
    [1, 0, 0],
  ])('excessScore(%d, %d) = %d', (observed, upper, score) => {
    expect(excessScore(observed, upper)).toBeCloseTo(score, 3);
  });
  it.each([
    [0, 0],
    [4, 0.5],
    [8, 0.75],
    [-1, 0],
  ])('bitsToScore(%d) = %d', (bits, s) => expect(bitsToScore(bits)).toBe(s));
});
