/**
 * Whether a core is free for the ingest's main thread to parse on, beside its parse workers. Parsing on a core that
 * another process is using does not shorten the ingest: the two parse threads then share the workers' cores, and
 * the main thread's own warm-up (compiling the parsers a second time, its own garbage collection) is paid for
 * nothing. Measured on the project's 2-core VM (ingest benchmark corpus, 51,516 records): with the other core idle,
 * the main thread parsing too took the ingest from 0.26x to 0.30x of a bare gunzip + JSON.parse; with the other
 * core busy, from 0.265x down to 0.245x.
 *
 * The reading is the machine's busy CPU time over the last interval less this process's own: what other processes
 * used. A core is free when the cores left after them and after the workers (each busy on its own core while there
 * is work) come to at least {@link SPARE_CORE}.
 */
import type { CpuSample, CpuSampler } from '../../ports.ts';

/** Free cores needed before the main thread parses: most of one. */
export const SPARE_CORE = 0.75;
/**
 * Intervals shorter than this are not judged: the OS counts CPU time in 10 ms ticks, so a reading over 80 ms of 2
 * cores is off by a quarter of a core at most. The CLI's set-up between starting the workers and handing them work
 * takes about as long (85-100 ms measured), so the first verdict is a measured one.
 */
export const MIN_INTERVAL_MS = 80;

export class SpareCore {
  private last: (CpuSample & { at: number }) | undefined;
  private verdict = true;

  /**
   * @param cores the machine's cores
   * @param workers parse workers running beside the main thread
   * @param clock wall-clock milliseconds (the counters are read only once an interval has passed)
   */
  constructor(
    private readonly cores: number,
    private readonly workers: number,
    private readonly sample: CpuSampler,
    private readonly clock: () => number = () => performance.now(),
  ) {
    this.last = this.read();
  }

  private read(): (CpuSample & { at: number }) | undefined {
    const s = this.sample();
    return s && { ...s, at: this.clock() };
  }

  /**
   * Whether the main thread should parse now. Until the first interval has passed (the workers still loading their
   * modules) it should: the workers are not parsing yet. Without counters (an OS that gives none), it always should.
   */
  free(): boolean {
    const prev = this.last;
    if (!prev) return true;
    if (this.clock() - prev.at < MIN_INTERVAL_MS) return this.verdict;
    const now = this.read();
    if (!now) return true;
    const wall = now.at - prev.at;
    const others = Math.max(0, now.machineBusy - prev.machineBusy - (now.own - prev.own)) / wall;
    this.verdict = this.cores - others - this.workers >= SPARE_CORE;
    this.last = now;
    return this.verdict;
  }
}
