/** IPv4 CIDR arithmetic for exact aggregation: adjacent blocks merge only when together they are a whole block. */

export interface Cidr4 {
  /** Network address as an unsigned 32-bit integer. */
  base: number;
  prefix: number;
}

export function parseIpv4(ip: string): number | undefined {
  const parts = ip.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const v = Number(p);
    if (v > 255) return undefined;
    n = n * 256 + v;
  }
  return n;
}

export function formatIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

const mask = (prefix: number) => (prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0);

export function parseCidr4(text: string): Cidr4 | undefined {
  const [ip, p] = text.split('/');
  const base = parseIpv4(ip ?? '');
  const prefix = p === undefined ? 32 : Number(p);
  if (base === undefined || !Number.isInteger(prefix) || prefix < 0 || prefix > 32) return undefined;
  return { base: (base & mask(prefix)) >>> 0, prefix };
}

export const formatCidr4 = (c: Cidr4) => `${formatIpv4(c.base)}/${c.prefix}`;

export function cidrContains(outer: Cidr4, inner: Cidr4): boolean {
  return inner.prefix >= outer.prefix && (inner.base & mask(outer.prefix)) >>> 0 === outer.base;
}

/**
 * The minimal set of CIDRs covering exactly the union of the inputs: contained blocks are dropped and sibling
 * blocks merged into their parent. Never widens beyond what was given.
 */
export function aggregateCidrs(cidrs: Cidr4[]): Cidr4[] {
  let list = [...cidrs].sort((a, b) => a.base - b.base || a.prefix - b.prefix);
  const pruned: Cidr4[] = [];
  for (const c of list) {
    const last = pruned[pruned.length - 1];
    if (last && cidrContains(last, c)) continue;
    pruned.push(c);
  }
  list = pruned;
  let merged = true;
  while (merged) {
    merged = false;
    const next: Cidr4[] = [];
    for (let i = 0; i < list.length; i++) {
      const a = list[i]!;
      const b = list[i + 1];
      if (b && a.prefix === b.prefix && a.prefix > 0) {
        const parent = { base: (a.base & mask(a.prefix - 1)) >>> 0, prefix: a.prefix - 1 };
        if (parent.base === a.base && (b.base & mask(a.prefix - 1)) >>> 0 === parent.base) {
          next.push(parent);
          i++;
          merged = true;
          continue;
        }
      }
      next.push(a);
    }
    list = next;
  }
  return list;
}
