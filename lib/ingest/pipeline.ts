/**
 * The ingest pipeline: bytes -> text (gunzip by magic bytes) -> records (bounded-memory splitter) -> source
 * detection or a fixed source -> parse (with an identity resolver) -> store.write in batches. The CLI and the ingest
 * Lambdas call the same two functions.
 *
 * Observations of several inputs share store writes (fewer write requests), while each input is cut into
 * idempotency segments independently of that batching: a re-delivered file (a Lambda retry, a second
 * `warden ingest`) is a no-op in the store (see DynamoStore on contribution digests).
 *
 * @example
 *   const report = await ingestPaths(store, ['trail/'], { source: 'auto' });
 *   const r2 = await ingestStream(store, { name: 's3://bucket/key.json.gz', stream: s3Body }, {});
 */
import { decodeBytes, expandInputs, fileBytes } from '../adapters/read-input.ts';
import type { IdentityResolver } from '../core/identity/types.ts';
import { noIdentity } from '../core/identity/types.ts';
import type { Observation, Reject, SourceName } from '../core/observation.ts';
import { SOURCES } from '../core/observation.ts';
import {
  createRecordParser,
  getParser,
  type ParseContext,
  type PromptContentPolicy,
  RecordSplitter,
  registerParser,
  type SplitItem,
  splitItemReject,
} from '../core/sources/index.ts';
import { nodeAgentParser } from '../core/sources/node-agent.ts';
import type { Store } from '../ports.ts';
import { emptyReport, type IngestReport } from './report.ts';
import { checkObservation } from './validate.ts';

export type { IngestReport } from './report.ts';

/** All the pipeline needs of a Store (a counting wrapper in benchmarks). */
export type StoreWriter = Pick<Store, 'write'>;

// node-agent batches are a source like the others; make sure its parser is in the registry.
if (!getParser('node-agent')) registerParser(nodeAgentParser);

export const SOURCE_CHOICES = ['auto', ...SOURCES] as const;
export type SourceChoice = (typeof SOURCE_CHOICES)[number];

export interface IngestOptions {
  source?: SourceChoice;
  identity?: IdentityResolver;
  promptContent?: PromptContentPolicy;
  excerptChars?: number;
  defaultRegion?: string;
  /** Observations gathered (across inputs) before a store write; default 10000. */
  batchSize?: number;
  /** Observations per idempotency segment within one input; default 5000. */
  segmentSize?: number;
  /** Rejects gathered before a store write; default 1000. */
  rejectBatchSize?: number;
  /** Records larger than this (characters) are rejected as `record-too-large`; default the splitter's 5 MiB. */
  maxRecordChars?: number;
  /** Called after each chunk of input with the raw bytes consumed so far in this input. */
  onProgress?: (p: { input: string; bytes: number; records: number }) => void;
}

export interface NamedStream {
  /** File path or S3 URI, used in reject locations. */
  name: string;
  stream: AsyncIterable<Uint8Array>;
}

/** Ingests one byte stream (a file, an S3 object) into the store. */
export function ingestStream(store: StoreWriter, input: NamedStream, opts: IngestOptions = {}): Promise<IngestReport> {
  return ingestStreams(store, [input], opts);
}

/**
 * Ingests several inputs in order, batching their observations together for fewer store writes. Each input is cut
 * into segments of at most `segmentSize` observations at record boundaries; a segment is the store's idempotency
 * unit and is never split across two writes, so re-ingesting any input (alone or with others) is a no-op.
 */
export async function ingestStreams(
  store: StoreWriter,
  inputs: Iterable<NamedStream | (() => NamedStream)>,
  opts: IngestOptions = {},
): Promise<IngestReport> {
  const report = emptyReport();
  const choice = opts.source ?? 'auto';
  const batchSize = opts.batchSize ?? 10_000;
  const segmentSize = opts.segmentSize ?? 5_000;
  const rejectBatchSize = opts.rejectBatchSize ?? 1000;
  const fixed: SourceName | 'unknown' = choice === 'auto' ? 'unknown' : choice;
  let obs: Observation[] = [];
  let segs: number[] = [];
  let rejects: Reject[] = [];
  let segment = 0;
  let segmentObs = 0;

  const write = async (o: Observation[], s: number[], r: Reject[]) => {
    const w = await store.write(o, r, { segments: s });
    report.stored += w.stored;
    report.duplicates += w.duplicates;
    report.quarantined += w.quarantined;
    report.writeRequests += w.writeRequests;
    report.writeUnits += w.writeUnits ?? 0;
    report.batches++;
  };
  /** Closes the current segment; writes the batch when it is full (or always, at the end). */
  const endSegment = async (final: boolean) => {
    segment++;
    segmentObs = 0;
    if (obs.length === 0 && rejects.length === 0) return;
    if (!final && obs.length < batchSize && rejects.length < rejectBatchSize) return;
    await write(obs, segs, rejects);
    obs = [];
    segs = [];
    rejects = [];
  };
  const addReject = async (r: Reject) => {
    rejects.push(r);
    report.rejects++;
    report.byReason[r.reason] = (report.byReason[r.reason] ?? 0) + 1;
    // Rejects are idempotent one by one, so they may be written apart from their segment's observations.
    if (rejects.length >= rejectBatchSize * 2) {
      await write([], [], rejects);
      rejects = [];
    }
  };

  for (const entry of inputs) {
    const input = typeof entry === 'function' ? entry() : entry;
    report.inputs++;
    const ctx: ParseContext = {
      identity: opts.identity ?? noIdentity,
      promptContent: opts.promptContent ?? 'hash-and-excerpt',
      excerptChars: opts.excerptChars ?? 200,
      file: input.name,
      defaultRegion: opts.defaultRegion,
    };
    const splitter = new RecordSplitter(opts.maxRecordChars ? { maxRecordChars: opts.maxRecordChars } : {});
    const parser = createRecordParser(ctx, choice);
    let inputRecords = 0;

    const handle = async (items: SplitItem[]) => {
      for (const item of items) {
        report.records++;
        inputRecords++;
        if (item.kind === 'too-large') {
          await addReject(splitItemReject(item, fixed, input.name));
          continue;
        }
        // A record item is the RecordInput itself: its text may be computed on demand (see SplitItem).
        const r = parser.parse(item);
        for (const o of r.observations) {
          const bad = checkObservation(o);
          if (bad) {
            await addReject({ ...bad, location: { file: input.name, line: item.line, record: item.record } });
            continue;
          }
          obs.push(o);
          segs.push(segment);
          segmentObs++;
          report.observations++;
          report.bySource[o.source] = (report.bySource[o.source] ?? 0) + 1;
        }
        for (const rej of r.rejects) await addReject(rej);
        if (r.skipped)
          for (const reason in r.skipped) report.skipped[reason] = (report.skipped[reason] ?? 0) + r.skipped[reason]!;
        if (segmentObs >= segmentSize) await endSegment(false);
      }
    };

    const text = decodeBytes(input.stream);
    for await (const chunk of text.chunks) {
      await handle(splitter.push(chunk));
      opts.onProgress?.({ input: input.name, bytes: text.bytesRead(), records: inputRecords });
    }
    await handle(splitter.end());
    const problem = text.problem();
    if (problem) {
      await addReject({
        source: fixed,
        reason: problem.reason,
        detail: `${problem.detail}; the ${inputRecords} records decoded before it were kept`,
        location: { file: input.name },
        excerpt: '',
      });
    }
    await endSegment(false);
  }
  await endSegment(true);
  return report;
}

/** Expands paths (files, directories, globs) and ingests the files in order; throws InputError on a bad path. */
export async function ingestPaths(
  store: StoreWriter,
  paths: readonly string[],
  opts: IngestOptions = {},
): Promise<IngestReport> {
  const files = await expandInputs(paths);
  return ingestStreams(
    store,
    files.map((f) => () => ({ name: f.path, stream: fileBytes(f.path) })),
    opts,
  );
}
