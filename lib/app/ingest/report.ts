/** An ingest run's report: the parse side's counts and what the store did, summed over the run's inputs. */
import type { WriteReport } from '../../ports.ts';

/** What an ingest run did, summed over its inputs. */
export interface IngestReport {
  inputs: number;
  /** Records seen (parsed, skipped or rejected). */
  records: number;
  /** Observations produced by the parsers and handed to the store. */
  observations: number;
  /** Aggregates the store created or incremented (0 when the same input is ingested again). */
  stored: number;
  /** Aggregates skipped because the store already held this exact contribution (replay). */
  duplicates: number;
  /** Rejects newly quarantined (a reject already in quarantine is not counted again). */
  quarantined: number;
  /** Rejects produced, stored or not. */
  rejects: number;
  /** Rejects by reason code. */
  byReason: Record<string, number>;
  /** Observations by source. */
  bySource: Record<string, number>;
  /** Records deliberately ignored (VPC flow NODATA/SKIPDATA, CloudWatch CONTROL_MESSAGE), by reason. */
  skipped: Record<string, number>;
  batches: number;
  /** Store write requests issued. */
  writeRequests: number;
  /** DynamoDB write capacity units consumed (0 for the embedded store). */
  writeUnits: number;
  /** With parse workers: the inputs the main thread parsed beside them (lib/app/ingest/parallel.ts). */
  parsedHere?: number;
}

/** The parse-side counters of an ingest report (the store side fills in the rest). */
export type ParseCounts = Pick<
  IngestReport,
  'inputs' | 'records' | 'observations' | 'rejects' | 'byReason' | 'bySource' | 'skipped'
>;

export function emptyParseCounts(): ParseCounts {
  return { inputs: 0, records: 0, observations: 0, rejects: 0, byReason: {}, bySource: {}, skipped: {} };
}

/** Adds what a store write did to the report. */
export function addWrite(report: IngestReport, w: WriteReport): void {
  report.stored += w.stored;
  report.duplicates += w.duplicates;
  report.quarantined += w.quarantined;
  report.writeRequests += w.writeRequests;
  report.writeUnits += w.writeUnits ?? 0;
  report.batches++;
}

/** Adds a parser's (or a parse worker's) counts to the report. */
export function addParseCounts(report: IngestReport, c: ParseCounts): void {
  report.inputs += c.inputs;
  report.records += c.records;
  report.observations += c.observations;
  report.rejects += c.rejects;
  for (const k of ['byReason', 'bySource', 'skipped'] as const)
    for (const [name, n] of Object.entries(c[k])) report[k][name] = (report[k][name] ?? 0) + n;
}

export function emptyReport(): IngestReport {
  return {
    inputs: 0,
    records: 0,
    observations: 0,
    stored: 0,
    duplicates: 0,
    quarantined: 0,
    rejects: 0,
    byReason: {},
    bySource: {},
    skipped: {},
    batches: 0,
    writeRequests: 0,
    writeUnits: 0,
  };
}

function addCounts(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = (out[k] ?? 0) + v;
  return out;
}

export function mergeReports(a: IngestReport, b: IngestReport): IngestReport {
  return {
    inputs: a.inputs + b.inputs,
    records: a.records + b.records,
    observations: a.observations + b.observations,
    stored: a.stored + b.stored,
    duplicates: a.duplicates + b.duplicates,
    quarantined: a.quarantined + b.quarantined,
    rejects: a.rejects + b.rejects,
    byReason: addCounts(a.byReason, b.byReason),
    bySource: addCounts(a.bySource, b.bySource),
    skipped: addCounts(a.skipped, b.skipped),
    batches: a.batches + b.batches,
    writeRequests: a.writeRequests + b.writeRequests,
    writeUnits: a.writeUnits + b.writeUnits,
  };
}

/** The `warden ingest --json` object: exactly these keys. */
export function cliSummary(r: IngestReport) {
  return {
    records: r.records,
    observations: r.observations,
    stored: r.stored,
    quarantined: r.quarantined,
    byReason: r.byReason,
    bySource: r.bySource,
  };
}
