/**
 * The embedded store's evidence writer: one per (subject, day) of a batch, fed observations as they are parsed.
 * Observations are stringified as they come (a run of one writer's, at most GROUP, together) and their bytes
 * appended to an arena shared by the writers of one codec (one ingest), then dropped, so nobody holds a batch's
 * observations until it is written. A chunk (a JSON array of at most about RAW_CHUNK_TARGET bytes) is gathered from
 * the arena into one scratch buffer and compressed when it is full, when its writer finishes, or when the arena is
 * full. The arena's blocks and the scratch buffer are reused: fresh memory costs its page faults again (more than the
 * copies), and a chunk-sized JSON string would cost more to flatten and encode than to build.
 *
 * A chunk is written as compact rows (store-evidence-rows.ts): shared fields once, a row per observation.
 */
import type { Observation } from '../core/observation.ts';
import { digest } from '../core/store/digest.ts';
import type { EvidenceWriter, PackedChunk } from '../core/store/folded.ts';
import { RowEncoder } from './store-evidence-rows.ts';

/** Raw JSON gathered before compressing a chunk; observations compress ~5-15x, so this usually fits in one item. */
export const RAW_CHUNK_TARGET = 1024 * 1024;
const FIRST_BLOCK_BYTES = 256 * 1024;
const BLOCK_BYTES = 4 * 1024 * 1024;
/**
 * Blocks in use at most (about 8 MB): past them, every writer's open chunk is compressed and the arena starts over,
 * so memory is bounded whatever a batch's observations weigh (10,000 CloudTrail observations are about 11 MB).
 */
const MAX_BLOCKS = 3;
/** Observations of one writer stringified together at most. */
const GROUP = 16;

/** A writer whose open chunk lies in the arena. */
interface Sealable {
  seal(): void;
}

/** Where a codec's writers append; reset when none of them holds bytes in it, keeping its blocks. */
export class Arena {
  readonly blocks: Buffer[] = [];
  /** The block being filled, and its next free byte. */
  private block = 0;
  private at = 0;
  /** Writers with an open chunk here. */
  private readonly live = new Set<Sealable>();
  /** One chunk's bytes, gathered for compression. */
  scratch: Buffer = Buffer.allocUnsafeSlow(0);
  /** The writer whose observations wait to be written (one at a time). */
  pending: { flush(): void } | undefined;

  holds(w: Sealable): void {
    this.live.add(w);
  }

  released(w: Sealable): void {
    this.live.delete(w);
    if (this.live.size > 0) return;
    this.block = 0;
    this.at = 0;
    if (this.blocks.length > MAX_BLOCKS) this.blocks.length = MAX_BLOCKS;
  }

  /**
   * Appends `json`, `n` bytes of UTF-8 (`Buffer.byteLength`), and returns its block and offset. When the arena is
   * full, every open chunk (the caller's too) is sealed first.
   */
  append(json: string, n: number): [number, number] {
    let b = this.blocks[this.block];
    if (!b || this.at + n > b.length) {
      if (b && this.block + 1 >= MAX_BLOCKS) {
        for (const w of [...this.live]) w.seal(); // each releases itself: the arena is empty again
      } else if (b) this.block++;
      this.at = 0;
      b = this.blocks[this.block];
      if (!b || b.length < n) {
        // Blocks after the current one are idle, so a new one can go in here.
        b = Buffer.allocUnsafeSlow(Math.max(this.blocks.length === 0 ? FIRST_BLOCK_BYTES : BLOCK_BYTES, n));
        this.blocks.splice(this.block, 0, b);
      }
    }
    // ASCII (almost every observation) is copied byte for byte: Node 20's UTF-8 writer is many times slower.
    if (n === json.length) b.write(json, this.at, 'latin1');
    else b.write(json, this.at);
    const at = this.at;
    this.at += n;
    return [this.block, at];
  }
}

export class BrotliEvidenceWriter implements EvidenceWriter, Sealable {
  /** The open chunk's observations: block, offset, length for each, flat. */
  private spans: number[] = [];
  private bytes = 0;
  private ids: string[] = [];
  private firstTime = '';
  private lastTime = '';
  /** The open chunk's row encoder. */
  private rows: RowEncoder | undefined;
  /** Observations added, not yet written (see add). */
  private pending: Observation[] = [];
  private readonly chunks: PackedChunk[] = [];

  constructor(
    private readonly arena: Arena,
    private readonly compress: (raw: Uint8Array) => Buffer,
  ) {}

  /**
   * Observations wait (at most GROUP, of one writer of the arena at a time) to be stringified together: consecutive
   * observations mostly go to one writer, and a stringify, a byte count and a copy per observation cost more than
   * the bytes.
   */
  add(o: Observation): void {
    const arena = this.arena;
    if (arena.pending !== this) {
      arena.pending?.flush();
      arena.pending = this;
    }
    this.pending.push(o);
    if (this.pending.length >= GROUP) this.flush();
  }

  /** Writes the waiting observations into the open chunk. */
  flush(): void {
    const group = this.pending;
    if (this.arena.pending === this) this.arena.pending = undefined;
    if (group.length === 0) return;
    this.pending = [];
    this.write(group);
  }

  private write(group: Observation[]): void {
    const first = group[0] as Observation;
    let rows = this.rows ?? new RowEncoder(first);
    const before = rows.lastKey;
    // `[row,...,row]`: its rows, without the brackets, go into the chunk.
    let json = JSON.stringify(group.map((o) => rows.row(o)));
    let n = Buffer.byteLength(json) - 2;
    const open = this.ids.length;
    const base = open > 0 ? this.bytes : Buffer.byteLength(rows.head);
    if (base + n + 2 > RAW_CHUNK_TARGET && (open > 0 || group.length > 1)) {
      rows.lastKey = before;
      // Cut between observations, as one at a time would: a chunk stays under the target unless one observation is not.
      if (group.length > 1) for (const o of group) this.write([o]);
      else {
        this.seal();
        this.write(group); // the first row of the next chunk
      }
      return;
    }
    let [block, at] = this.arena.append(json, n + 2);
    if (open > 0 && this.ids.length === 0) {
      // The full arena sealed the open chunk: the rows, written against the ones before them, start a new chunk.
      rows = new RowEncoder(first);
      json = JSON.stringify(group.map((o) => rows.row(o)));
      n = Buffer.byteLength(json) - 2;
      [block, at] = this.arena.append(json, n + 2);
    }
    if (this.ids.length === 0) {
      this.arena.holds(this);
      this.rows = rows;
      this.bytes = Buffer.byteLength(rows.head);
      this.firstTime = this.lastTime = first.time;
    }
    this.spans.push(block, at + 1, n);
    this.bytes += n + 1;
    for (const o of group) {
      if (o.time < this.firstTime) this.firstTime = o.time;
      if (o.time > this.lastTime) this.lastTime = o.time;
      this.ids.push(o.id);
    }
  }

  finish(): PackedChunk[] {
    this.flush();
    if (this.ids.length > 0) this.seal();
    return this.chunks;
  }

  /** The header, the open chunk's rows comma-separated, `]`, gathered into the scratch buffer and compressed. */
  seal(): void {
    const size = this.bytes + 1;
    const arena = this.arena;
    if (arena.scratch.length < size) arena.scratch = Buffer.allocUnsafeSlow(Math.max(size, 2 * arena.scratch.length));
    const scratch = arena.scratch;
    let at = scratch.write((this.rows as RowEncoder).head, 0);
    const s = this.spans;
    for (let i = 0; i < s.length; i += 3) {
      scratch[at++] = 0x2c;
      at += (arena.blocks[s[i] as number] as Buffer).copy(
        scratch,
        at,
        s[i + 1],
        (s[i + 1] as number) + (s[i + 2] as number),
      );
    }
    scratch[at++] = 0x5d;
    this.chunks.push({
      id: digest([...this.ids].sort()),
      data: this.compress(scratch.subarray(0, at)),
      count: this.ids.length,
      firstTime: this.firstTime,
      lastTime: this.lastTime,
    });
    this.spans = [];
    this.bytes = 0;
    this.ids = [];
    this.rows = undefined;
    this.arena.released(this);
  }
}
