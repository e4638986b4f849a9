import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { aggregateCidrs, cidrContains, formatCidr4, parseCidr4, parseIpv4 } from '../../../lib/core/artifacts/cidr.ts';

const cidrs = (xs: string[]) => xs.map((x) => parseCidr4(x)!);

describe('aggregateCidrs', () => {
  it.each([
    [['10.0.0.0/32', '10.0.0.1/32'], ['10.0.0.0/31']],
    [
      ['10.0.0.1/32', '10.0.0.2/32'],
      ['10.0.0.1/32', '10.0.0.2/32'],
    ],
    [['10.0.0.0/32', '10.0.0.1/32', '10.0.0.2/32', '10.0.0.3/32'], ['10.0.0.0/30']],
    [['10.0.0.0/24', '10.0.0.7/32'], ['10.0.0.0/24']],
    [['52.216.0.0/16', '52.217.0.0/16'], ['52.216.0.0/15']],
    [
      ['52.217.0.0/16', '52.218.0.0/16'],
      ['52.217.0.0/16', '52.218.0.0/16'],
    ],
  ])('%j -> %j', (input, expected) => {
    expect(aggregateCidrs(cidrs(input)).map(formatCidr4)).toEqual(expected);
  });

  it('covers exactly the same addresses (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 63 }), { maxLength: 40 }), (offsets) => {
        const input = offsets.map((o) => ({ base: parseIpv4('192.168.1.0')! + o, prefix: 32 }));
        const out = aggregateCidrs(input);
        for (let o = 0; o < 64; o++) {
          const ip = { base: parseIpv4('192.168.1.0')! + o, prefix: 32 };
          const inInput = offsets.includes(o);
          const inOutput = out.some((c) => cidrContains(c, ip));
          if (inInput !== inOutput) return false;
        }
        return out.length <= new Set(offsets).size;
      }),
    );
  });

  it('rejects malformed addresses', () => {
    expect(parseCidr4('300.1.1.1/32')).toBeUndefined();
    expect(parseCidr4('1.2.3/8')).toBeUndefined();
    expect(parseCidr4('1.2.3.4/33')).toBeUndefined();
  });
});
