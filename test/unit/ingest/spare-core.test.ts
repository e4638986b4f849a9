import { describe, expect, it } from 'vitest';
import { MIN_INTERVAL_MS, SPARE_CORE, SpareCore } from '../../../lib/app/ingest/spare-core.ts';
import type { CpuSample } from '../../../lib/ports.ts';

/** A machine whose counters advance as each step says: per interval, busy cores of other processes and of this one. */
function machine(steps: { others: number; own: number }[], interval = MIN_INTERVAL_MS) {
  let t = 0;
  let machineBusy = 0;
  let own = 0;
  let step = -1;
  return {
    clock: () => t,
    sample: (): CpuSample => ({ machineBusy, own }),
    /** Lets one interval pass. */
    next() {
      step++;
      const s = steps[step] as { others: number; own: number };
      t += interval;
      machineBusy += (s.others + s.own) * interval;
      own += s.own * interval;
    },
  };
}

describe('SpareCore', () => {
  it.each([
    // cores, workers, other processes' busy cores, this process's busy cores, free
    { cores: 2, workers: 1, others: 0, own: 1, free: true },
    { cores: 2, workers: 1, others: 0.1, own: 2, free: true },
    { cores: 2, workers: 1, others: 1, own: 1, free: false },
    { cores: 2, workers: 1, others: 2 - 1 - SPARE_CORE + 0.05, own: 1, free: false },
    { cores: 2, workers: 1, others: 2 - 1 - SPARE_CORE - 0.05, own: 1, free: true },
    { cores: 8, workers: 4, others: 3, own: 5, free: true },
    { cores: 8, workers: 4, others: 3.5, own: 5, free: false },
    { cores: 1, workers: 1, others: 0, own: 1, free: false },
  ])('$cores cores, $workers workers, others busy $others: free $free', ({ cores, workers, others, own, free }) => {
    const m = machine([{ others, own }]);
    const spare = new SpareCore(cores, workers, m.sample, m.clock);
    m.next();
    expect(spare.free()).toBe(free);
  });

  it('says free until a first interval has passed (the workers are still loading), then judges each interval', () => {
    const m = machine([
      { others: 1.5, own: 1 },
      { others: 0, own: 2 },
    ]);
    const spare = new SpareCore(2, 1, m.sample, m.clock);
    expect(spare.free()).toBe(true);
    m.next();
    expect(spare.free()).toBe(false);
    m.next();
    expect(spare.free()).toBe(true);
  });

  it('keeps its verdict within an interval shorter than the OS counters can tell apart', () => {
    const m = machine([{ others: 2, own: 0 }], MIN_INTERVAL_MS / 2);
    let reads = 0;
    const spare = new SpareCore(
      2,
      1,
      () => {
        reads++;
        return m.sample();
      },
      m.clock,
    );
    m.next();
    expect(spare.free()).toBe(true);
    expect(reads).toBe(1);
  });

  it('always says free where the OS gives no counters', () => {
    const spare = new SpareCore(
      2,
      1,
      () => undefined,
      () => 0,
    );
    expect(spare.free()).toBe(true);
  });
});
