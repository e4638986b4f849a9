/**
 * The ingest pipeline: bytes -> text (gunzip by magic bytes) -> records (bounded-memory splitter) -> source
 * detection or a fixed source -> parse (with an identity resolver) -> store.write in batches. The CLI and the ingest
 * Lambdas call the same two functions.
 *
 * Batches are cut only at record boundaries once `batchSize` observations are pending, and never span two inputs,
 * so the same input always yields the same batches: that is what makes a re-delivered file (a Lambda retry, a
 * second `warden ingest`) a no-op in the store (see DynamoStore on contribution digests).
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
  splitItemReject,
} from '../core/sources/index.ts';
import { nodeAgentParser } from '../core/sources/node-agent.ts';
import type { Store } from '../ports.ts';
import { emptyReport, type IngestReport, mergeReports } from './report.ts';
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
  /** Observations gathered before a store write; default 5000. */
  batchSize?: number;
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
export async function ingestStream(
  store: StoreWriter,
  input: NamedStream,
  opts: IngestOptions = {},
): Promise<IngestReport> {
  const report = emptyReport();
  const choice = opts.source ?? 'auto';
  const ctx: ParseContext = {
    identity: opts.identity ?? noIdentity,
    promptContent: opts.promptContent ?? 'hash-and-excerpt',
    excerptChars: opts.excerptChars ?? 200,
    file: input.name,
    defaultRegion: opts.defaultRegion,
  };
  const batchSize = opts.batchSize ?? 5000;
  const rejectBatchSize = opts.rejectBatchSize ?? 1000;
  const splitter = new RecordSplitter(opts.maxRecordChars ? { maxRecordChars: opts.maxRecordChars } : {});
  const parser = createRecordParser(ctx, choice);
  const fixed: SourceName | 'unknown' = choice === 'auto' ? 'unknown' : choice;
  let obs: Observation[] = [];
  let rejects: Reject[] = [];

  const flush = async () => {
    if (obs.length === 0 && rejects.length === 0) return;
    const w = await store.write(obs, rejects);
    report.stored += w.stored;
    report.duplicates += w.duplicates;
    report.quarantined += w.quarantined;
    report.writeRequests += w.writeRequests;
    report.batches++;
    obs = [];
    rejects = [];
  };
  const addReject = (r: Reject) => {
    rejects.push(r);
    report.rejects++;
    report.byReason[r.reason] = (report.byReason[r.reason] ?? 0) + 1;
  };

  const handle = async (items: ReturnType<RecordSplitter['push']>) => {
    for (const item of items) {
      report.records++;
      if (item.kind === 'too-large') {
        addReject(splitItemReject(item, fixed, input.name));
      } else {
        const r = parser.parse({ text: item.text, line: item.line, record: item.record });
        for (const o of r.observations) {
          const bad = checkObservation(o);
          if (bad) {
            addReject({ ...bad, location: { file: input.name, line: item.line, record: item.record } });
            continue;
          }
          obs.push(o);
          report.observations++;
          report.bySource[o.source] = (report.bySource[o.source] ?? 0) + 1;
        }
        for (const rej of r.rejects) addReject(rej);
        for (const [reason, n] of Object.entries(r.skipped ?? {}))
          report.skipped[reason] = (report.skipped[reason] ?? 0) + n;
      }
      if (obs.length >= batchSize || rejects.length >= rejectBatchSize) await flush();
    }
  };

  const text = decodeBytes(input.stream);
  for await (const chunk of text.chunks) {
    await handle(splitter.push(chunk));
    opts.onProgress?.({ input: input.name, bytes: text.bytesRead(), records: report.records });
  }
  await handle(splitter.end());
  const problem = text.problem();
  if (problem) {
    addReject({
      source: fixed,
      reason: problem.reason,
      detail: `${problem.detail}; the ${report.records} records decoded before it were kept`,
      location: { file: input.name },
      excerpt: '',
    });
  }
  await flush();
  report.inputs = 1;
  return report;
}

/** Expands paths (files, directories, globs) and ingests each file in order; throws InputError on a bad path. */
export async function ingestPaths(
  store: StoreWriter,
  paths: readonly string[],
  opts: IngestOptions = {},
): Promise<IngestReport> {
  const files = await expandInputs(paths);
  let total = emptyReport();
  for (const f of files) {
    total = mergeReports(total, await ingestStream(store, { name: f.path, stream: fileBytes(f.path) }, opts));
  }
  return total;
}
