/**
 * From input bytes to store-sized batches: decode (gunzip by magic bytes, streamed) -> records (bounded-memory
 * splitter) -> source detection or a fixed source -> parse (with an identity resolver) -> checked observations, cut
 * into idempotency segments and gathered into batches. Used by the sequential pipeline and by each parse worker.
 *
 * A segment (at most `segmentSize` observations of one input, cut at record boundaries) is the store's idempotency
 * unit and is never split across two batches, so re-ingesting any input (alone or with others) is a no-op.
 */
import type { IdentityResolver } from '../../core/identity/types.ts';
import { noIdentity } from '../../core/identity/types.ts';
import type { Observation, Reject, SourceName } from '../../core/observation.ts';
import {
  createRecordParser,
  DEFAULT_MAX_RECORD_CHARS,
  getParser,
  type ParseContext,
  type PromptContentPolicy,
  RecordSplitter,
  registerParser,
  type SplitItem,
  splitItemReject,
} from '../../core/sources/index.ts';
import { nodeAgentParser } from '../../core/sources/node-agent.ts';
import { lookupFlowFormat } from '../../core/sources/vpc-flow-format.ts';
import type { InputFile, InputFiles } from '../../ports.ts';
import { decodeBytes } from './decode.ts';
import { emptyParseCounts, type ParseCounts } from './report.ts';
import type { SourceChoice } from './source-choice.ts';
import { wholeTrailFile } from './trail-file.ts';
import { checkObservation } from './validate.ts';

// node-agent batches are a source like the others; make sure its parser is in the registry.
if (!getParser('node-agent')) registerParser(nodeAgentParser);

export { SOURCE_CHOICES, type SourceChoice } from './source-choice.ts';

/** What parsing needs (plain data except the resolver, so workers can receive it). */
export interface ParseOptions {
  source?: SourceChoice;
  identity?: IdentityResolver;
  promptContent?: PromptContentPolicy;
  excerptChars?: number;
  defaultRegion?: string;
  /**
   * VPC flow log formats given once, by scope (`log-group:NAME`, `flow-log:fl-ID`, `prefix:S3-PREFIX`, `dir:PATH`;
   * see lib/core/sources/vpc-flow-format.ts), for headerless lines in a custom order. A Map crosses to parse
   * workers as it is (structured clone).
   */
  vpcFormats?: ReadonlyMap<string, readonly string[]>;
  /**
   * Key of the HMACs standing for tool argument / result / request values (drift's argument provenance). The same
   * for every ingest into one store; default env WARDEN_TOKEN_KEY, else an unkeyed default (plain hashes).
   */
  tokenKey?: string;
  /** Observations gathered (across inputs) before a store write; default 10000. */
  batchSize?: number;
  /** Observations per idempotency segment within one input; default 5000. */
  segmentSize?: number;
  /** Rejects gathered before a store write; default 1000. */
  rejectBatchSize?: number;
  /** Records larger than this (characters) are rejected as `record-too-large`; default the splitter's 5 MiB. */
  maxRecordChars?: number;
  /** A gzip input stops (quarantined as `decompressed-too-large`, records before it kept) past this many bytes. */
  maxDecodedBytes?: number;
}

export interface NamedStream {
  /** File path or S3 URI, used in reject locations. */
  name: string;
  stream: AsyncIterable<Uint8Array>;
  /** For a local file: its size (progress). */
  fileSize?: number;
  /** For a small local file: its whole text, read in one call instead of streamed (undefined: stream it). */
  wholeText?: () => string | undefined;
}

/** A file of an InputFiles source as an input of the pipeline. */
export function fileInput(files: InputFiles, f: InputFile): NamedStream {
  return {
    name: f.path,
    stream: files.bytes(f.path),
    fileSize: f.size,
    wholeText: () => files.wholeText(f.path, f.size),
  };
}

/** An observation refused by an {@link Admit}: quarantined with this reject, or skipped and counted. */
export type AdmitVerdict = { quarantine: Omit<Reject, 'location'> } | { skip: string };
/**
 * Decides per observation whether the delivering principal may write it (lib/app/ingest/admission.ts); `input` names
 * the input it came from, for a run whose inputs were delivered by different principals.
 */
export type Admit = (o: Observation, input: string) => AdmitVerdict | undefined;

/** Gathers a batch's observations as they are parsed: as a list (ListCollector), or folded as they come. */
export interface Collector<T> {
  add(o: Observation, segment: number): void;
  /** Observations added since the last `take`. */
  readonly size: number;
  /** What was gathered; the collector starts empty again. */
  take(): T;
}

/** A batch's observations with their segment numbers (what `Store.write` takes). */
export interface ObservationList {
  observations: Observation[];
  segments: number[];
}

export class ListCollector implements Collector<ObservationList> {
  private list: ObservationList = { observations: [], segments: [] };
  add(o: Observation, segment: number): void {
    this.list.observations.push(o);
    this.list.segments.push(segment);
  }
  get size(): number {
    return this.list.observations.length;
  }
  take(): ObservationList {
    const out = this.list;
    this.list = { observations: [], segments: [] };
    return out;
  }
}

/**
 * Cuts parsed inputs into batches and hands each full one to `flush` (awaited: backpressure): what the collector
 * gathered (undefined when only rejects are flushed, in the middle of a segment) and the rejects.
 */
export class Batcher<T> {
  readonly counts: ParseCounts = emptyParseCounts();
  private rejects: Reject[] = [];
  private segment = 0;
  private segmentObs = 0;
  private readonly batchSize: number;
  private readonly segmentSize: number;
  private readonly rejectBatchSize: number;

  constructor(
    private readonly opts: ParseOptions,
    private readonly collector: Collector<T>,
    private readonly flush: (batch: T | undefined, rejects: Reject[]) => Promise<void>,
    private readonly admit?: Admit,
  ) {
    this.batchSize = opts.batchSize ?? 10_000;
    this.segmentSize = opts.segmentSize ?? 5_000;
    this.rejectBatchSize = opts.rejectBatchSize ?? 1000;
  }

  /** Parses one input into the current batch; `onChunk` is called after each decoded chunk. */
  async addInput(input: NamedStream, onChunk?: (bytes: number, records: number) => void): Promise<void> {
    const choice = this.opts.source ?? 'auto';
    const fixed: SourceName | 'unknown' = choice === 'auto' ? 'unknown' : choice;
    this.counts.inputs++;
    const ctx: ParseContext = {
      identity: this.opts.identity ?? noIdentity,
      promptContent: this.opts.promptContent ?? 'hash-and-excerpt',
      excerptChars: this.opts.excerptChars ?? 200,
      file: input.name,
      defaultRegion: this.opts.defaultRegion,
      ...(this.opts.vpcFormats?.size
        ? { vpcFormat: (where: { file?: string; logGroup?: string }) => lookupFlowFormat(this.opts.vpcFormats!, where) }
        : {}),
      tokenKey: this.opts.tokenKey ?? process.env.WARDEN_TOKEN_KEY,
      // Only a list holds observations until its batch is written; a folder drops each as it comes.
      shareStrings: this.collector instanceof ListCollector,
    };
    const splitter = new RecordSplitter(this.opts.maxRecordChars ? { maxRecordChars: this.opts.maxRecordChars } : {});
    const parser = createRecordParser(ctx, choice);
    const c = this.counts;
    let inputRecords = 0;
    const handle = async (items: SplitItem[]) => {
      for (const item of items) {
        c.records++;
        inputRecords++;
        if (item.kind === 'too-large') {
          await this.addReject(splitItemReject(item, fixed, input.name));
          continue;
        }
        // A record item is the RecordInput itself: its text may be computed on demand (see SplitItem).
        const r = parser.parse(item);
        for (const o of r.observations) {
          const bad = checkObservation(o);
          if (bad) {
            await this.addReject({ ...bad, location: { file: input.name, line: item.line, record: item.record } });
            continue;
          }
          const refused = this.admit?.(o, input.name);
          if (refused && 'skip' in refused) c.skipped[refused.skip] = (c.skipped[refused.skip] ?? 0) + 1;
          if (refused && 'quarantine' in refused)
            await this.addReject({
              ...refused.quarantine,
              location: { file: input.name, line: item.line, record: item.record },
            });
          if (refused) continue;
          this.collector.add(o, this.segment);
          this.segmentObs++;
          c.observations++;
          c.bySource[o.source] = (c.bySource[o.source] ?? 0) + 1;
        }
        for (const rej of r.rejects) await this.addReject(rej);
        if (r.skipped)
          for (const reason in r.skipped) c.skipped[reason] = (c.skipped[reason] ?? 0) + r.skipped[reason]!;
        if (this.segmentObs >= this.segmentSize) await this.endSegment(false);
      }
    };
    const whole = input.wholeText?.();
    const text =
      whole === undefined ? decodeBytes(input.stream, { maxDecodedBytes: this.opts.maxDecodedBytes }) : undefined;
    if (text) {
      for await (const chunk of text.chunks) {
        await handle(splitter.push(chunk));
        onChunk?.(text.bytesRead(), inputRecords);
      }
    } else {
      const all = wholeTrailFile(whole as string, this.opts.maxRecordChars ?? DEFAULT_MAX_RECORD_CHARS);
      await handle(all ?? splitter.push(whole as string));
      onChunk?.(input.fileSize ?? 0, inputRecords);
    }
    await handle(splitter.end());
    const problem = text?.problem();
    if (problem) {
      await this.addReject({
        source: fixed,
        reason: problem.reason,
        detail: `${problem.detail}; the ${inputRecords} records decoded before it were kept`,
        location: { file: input.name },
        excerpt: '',
      });
    }
    await this.endSegment(false);
  }

  /** Flushes what is left. */
  finish(): Promise<void> {
    return this.endSegment(true);
  }

  /** Closes the current segment; flushes the batch when it is full (or always, at the end). */
  private async endSegment(final: boolean): Promise<void> {
    this.segment++;
    this.segmentObs = 0;
    const size = this.collector.size;
    if (size === 0 && this.rejects.length === 0) return;
    if (!final && size < this.batchSize && this.rejects.length < this.rejectBatchSize) return;
    const rejects = this.rejects;
    this.rejects = [];
    await this.flush(size > 0 ? this.collector.take() : undefined, rejects);
  }

  private async addReject(r: Reject): Promise<void> {
    this.rejects.push(r);
    this.counts.rejects++;
    this.counts.byReason[r.reason] = (this.counts.byReason[r.reason] ?? 0) + 1;
    // Rejects are idempotent one by one, so they may be written apart from their segment's observations.
    if (this.rejects.length >= this.rejectBatchSize * 2) {
      const rejects = this.rejects;
      this.rejects = [];
      await this.flush(undefined, rejects);
    }
  }
}
