import { describe, expect, it } from 'vitest';
import { naturalIdsOf, withoutCounted } from '../../../lib/core/store/folded.ts';
import { registryDeltas } from '../../../lib/core/store/registry.ts';

const part = (firstSeen: string, lastSeen: string) => ({ firstSeen, lastSeen });

describe('registryDeltas', () => {
  it('sums what each unit counted per (subject, UTC day), widening first/last seen, the unit digest as marker', () => {
    const d = registryDeltas([
      { subject: 's', window: '2026-10-05T08:00:00.000Z', unit: 'u1', part: part('08:10', '08:20'), counted: 3 },
      { subject: 's', window: '2026-10-05T09:00:00.000Z', unit: 'u1', part: part('09:01', '09:30'), counted: 2 },
      { subject: 's', window: '2026-10-06T00:00:00.000Z', unit: 'u1', part: part('00:05', '00:06'), counted: 1 },
      { subject: 's', window: '2026-10-05T08:00:00.000Z', unit: 'u2', part: part('08:00', '08:01'), counted: 0 },
      { subject: 't', window: '2026-10-05T08:00:00.000Z', unit: 'u1', part: part('08:30', '08:31'), counted: 4 },
    ]);
    expect(d.map((x) => [x.subject, x.day, x.digest, x.observations, x.firstSeen, x.lastSeen])).toEqual([
      ['s', '2026-10-05', 'u1', 5, '08:10', '09:30'],
      ['s', '2026-10-06', 'u1', 1, '00:05', '00:06'],
      // A unit whose events were all counted before still bounds the subject's activity, adding nothing.
      ['s', '2026-10-05', 'u2', 0, '08:00', '08:01'],
      ['t', '2026-10-05', 'u1', 4, '08:30', '08:31'],
    ]);
  });
});

describe('withoutCounted', () => {
  // Id digests are ID_DIGEST_CHARS (12) long.
  const [x, y, z] = ['xxxxxxxxxxxx', 'yyyyyyyyyyyy', 'zzzzzzzzzzzz'];
  const p = {
    unit: 'u',
    count: 7,
    observations: 3,
    firstSeen: 'a',
    lastSeen: 'b',
    sources: ['cloudtrail' as const],
    sums: { bytesTransferredIn: 30 },
    naturalIds: `${x}${y}${z}`,
    natural: JSON.stringify([
      { id: x, count: 1, sums: { bytesTransferredIn: 10 } },
      { id: y, count: 5 },
      { id: z, count: 1, sums: { bytesTransferredIn: 20 } },
    ]),
  };

  it.each([
    [[], { count: 7, observations: 3, sums: { bytesTransferredIn: 30 } }],
    [[x], { count: 6, observations: 2, sums: { bytesTransferredIn: 20 } }],
    [[y, z], { count: 1, observations: 1, sums: { bytesTransferredIn: 10 } }],
  ])('subtracts the already counted natural ids %j', (counted, expected) => {
    expect(withoutCounted(p, new Set(counted))).toMatchObject(expected);
  });

  it('leaves nothing when every observation was counted before', () => {
    expect(withoutCounted(p, new Set([x, y, z]))).toBeUndefined();
  });

  it('subtracts a count of 1 for each counted id of the concatenated plain ids', () => {
    const q = {
      ...p,
      count: 9,
      observations: 5,
      naturalIds: `aaaaaaaaaaaabbbbbbbbbbbb${x}${y}${z}`,
      natural: JSON.stringify([
        { id: x, count: 1, sums: { bytesTransferredIn: 10 } },
        { id: y, count: 5 },
        { id: z, count: 1, sums: { bytesTransferredIn: 20 } },
      ]),
    };
    const left = withoutCounted(q, new Set(['bbbbbbbbbbbb', y]));
    expect(left).toMatchObject({ count: 3, observations: 3, naturalIds: `aaaaaaaaaaaa${x}${z}` });
    expect(JSON.parse(left?.natural ?? '')).toEqual([
      { id: x, count: 1, sums: { bytesTransferredIn: 10 } },
      { id: z, count: 1, sums: { bytesTransferredIn: 20 } },
    ]);
    expect(naturalIdsOf(q)).toEqual(['aaaaaaaaaaaa', 'bbbbbbbbbbbb', x, y, z]);
  });
});
