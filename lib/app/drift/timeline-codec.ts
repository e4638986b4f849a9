/**
 * How the sealed timeline parts (lib/core/drift/incremental/timeline-state.ts) are stored: dense and small, because a
 * run reads and writes them for every subject it judges. A key's activity is kept as runs (hour ranges) when that
 * is shorter, else as a bitmap from the oldest hour kept (a key seen every other hour would otherwise need a run per
 * hour); counts are arrays aligned to the first day (hour parts) or to the hours of the day (day parts), 0 for none.
 */
import type { TimelineDay, TimelineHour, TimelineKeys } from '../../core/drift/incremental/timeline-state.ts';
import type { Layer } from '../../core/observation.ts';

export interface StoredKeys {
  v: 1;
  sealed: number;
  firstWindow?: number;
  /** Hour index of bit 0 of every bitmap. */
  base: number;
  /** key -> [layer, runs] or [layer, bitmap (base64)]. */
  keys: Record<string, [Layer, number[] | string]>;
}

export interface StoredHour {
  hour: number;
  /** Day index of element 0. */
  base: number;
  counts: Record<string, number[]>;
}

export interface StoredDay {
  day: number;
  counts: Record<string, number[]>;
}

function toBits(runs: readonly number[], base: number): string {
  if (runs.length === 0) return '';
  const last = runs[runs.length - 1]! - base;
  const bytes = new Uint8Array((last >> 3) + 1);
  for (let i = 0; i < runs.length; i += 2)
    for (let h = runs[i]! - base; h <= runs[i + 1]! - base; h++) bytes[h >> 3] = bytes[h >> 3]! | (1 << (h & 7));
  return Buffer.from(bytes).toString('base64');
}

function fromBits(bits: string, base: number): number[] {
  const bytes = Buffer.from(bits, 'base64');
  const runs: number[] = [];
  for (let h = 0; h < bytes.length * 8; h++) {
    if (!(bytes[h >> 3]! & (1 << (h & 7)))) continue;
    if (runs.length > 0 && runs[runs.length - 1] === base + h - 1) runs[runs.length - 1] = base + h;
    else runs.push(base + h, base + h);
  }
  return runs;
}

export function encodeKeys(k: TimelineKeys): StoredKeys {
  const all = Object.values(k.keys).flatMap((x) => (x.runs.length > 0 ? [x.runs[0]!] : []));
  const base = all.length > 0 ? Math.min(...all) : 0;
  const keys: StoredKeys['keys'] = {};
  for (const [key, x] of Object.entries(k.keys)) {
    const bits = toBits(x.runs, base);
    keys[key] = [x.layer, bits.length < JSON.stringify(x.runs).length ? bits : x.runs];
  }
  return { v: 1, sealed: k.sealed, ...(k.firstWindow !== undefined ? { firstWindow: k.firstWindow } : {}), base, keys };
}

export function decodeKeys(s: StoredKeys): TimelineKeys {
  const keys: TimelineKeys['keys'] = {};
  for (const [key, [layer, r]] of Object.entries(s.keys))
    keys[key] = { layer, runs: typeof r === 'string' ? fromBits(r, s.base) : r };
  return { v: 1, sealed: s.sealed, ...(s.firstWindow !== undefined ? { firstWindow: s.firstWindow } : {}), keys };
}

function dense(byAt: Record<string, number>, base: number, length: number): number[] {
  const out = new Array<number>(length).fill(0);
  for (const [at, c] of Object.entries(byAt)) out[Number(at) - base] = c;
  while (out.length > 0 && out[out.length - 1] === 0) out.pop();
  return out;
}

function sparse(counts: readonly number[], base: number): Record<string, number> {
  const out: Record<string, number> = {};
  counts.forEach((c, i) => {
    if (c > 0) out[String(base + i)] = c;
  });
  return out;
}

export function encodeHour(p: TimelineHour): StoredHour {
  const days = Object.values(p.counts).flatMap((byDay) => Object.keys(byDay).map(Number));
  const base = days.length > 0 ? Math.min(...days) : 0;
  const length = days.length > 0 ? Math.max(...days) - base + 1 : 0;
  const counts: StoredHour['counts'] = {};
  for (const [key, byDay] of Object.entries(p.counts)) counts[key] = dense(byDay, base, length);
  return { hour: p.hour, base, counts };
}

export function decodeHour(s: StoredHour): TimelineHour {
  const counts: TimelineHour['counts'] = {};
  for (const [key, list] of Object.entries(s.counts)) counts[key] = sparse(list, s.base);
  return { hour: s.hour, counts };
}

export function encodeDay(p: TimelineDay): StoredDay {
  const counts: StoredDay['counts'] = {};
  for (const [key, byHour] of Object.entries(p.counts)) counts[key] = dense(byHour, 0, 24);
  return { day: p.day, counts };
}

export function decodeDay(s: StoredDay): TimelineDay {
  const counts: TimelineDay['counts'] = {};
  for (const [key, list] of Object.entries(s.counts)) counts[key] = sparse(list, 0);
  return { day: s.day, counts };
}
