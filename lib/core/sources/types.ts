/**
 * The parser contract shared by every source in lib/core/sources. A parser is pure: it receives one record's text
 * (a JSON object, a JSON line, or a flow-log line) with its location, and returns observations and rejects. It never
 * throws on data. File reading, decompression of whole objects and splitting into records happen before it
 * (lib/app/ingest, using {@link RecordSplitter} from ./splitter.ts), with bounded memory.
 *
 * Extensions (all optional, backwards compatible):
 * - `RecordResult.skipped`: records deliberately not turned into observations and not errors (VPC flow NODATA /
 *   SKIPDATA, CloudWatch Logs CONTROL_MESSAGE), counted by reason.
 * - `SourceParser.parseValue`: the same as `parse` for an already-parsed JSON value (auto-detection parses once).
 * - `SourceParser.forFile`: a per-file stateful parser (VPC flow logs: a header line defines the field order for the
 *   lines after it; Bedrock Agent traces: tool-call sequence numbers per session). Ingest should create one per file
 *   and feed it that file's records in order; when absent, `parse` is used.
 */
import type { IdentityResolver } from '../identity/types.ts';
import type { Observation, Reject, SourceName } from '../observation.ts';

/** How prompt and completion content is kept: never raw unless configured. */
export type PromptContentPolicy = 'hash-only' | 'hash-and-excerpt' | 'raw';

export interface ParseContext {
  identity: IdentityResolver;
  promptContent: PromptContentPolicy;
  /** Max characters of a redacted excerpt kept with `hash-and-excerpt`. */
  excerptChars: number;
  /** File or object the record came from. */
  file?: string;
  /** AWS region assumed when a record does not name one (e.g. a Bedrock Agent trace without an alias ARN). */
  defaultRegion?: string;
  /**
   * The VPC flow log format (field names in order) configured for a file or a CloudWatch log group, for headerless
   * lines in a custom order (see vpc-flow-format.ts: `formatScopes`, `lookupFlowFormat`).
   */
  vpcFormat?: (where: { file?: string; logGroup?: string }) => readonly string[] | undefined;
  /**
   * Key of the HMACs that stand for tool argument, tool result and request values (./value-tokens.ts). Every ingest
   * into one store must use the same key, or drift cannot match values across ingests. Unset: an unkeyed default.
   */
  tokenKey?: string;
  /**
   * Share one instance of long values that repeat from record to record (RecentStrings), for a caller that keeps
   * observations until a store batch is written. Default true; false when each observation is folded as it is parsed
   * and dropped, where the `===` checks only cost (about 5% of a CloudTrail ingest's CPU).
   */
  shareStrings?: boolean;
}

export interface RecordInput {
  /** The record's raw text (one JSON object, one line). */
  text: string;
  /**
   * The record already parsed, when the splitter parsed it (trail-file fast path). `text` is then a re-serialization
   * made on demand: read it for rejects only, and never derive ids from it.
   */
  value?: unknown;
  /** 1-based line, or record index inside a JSON array, for rejects. */
  line?: number;
  record?: number;
}

export interface RecordResult {
  observations: Observation[];
  rejects: Reject[];
  /** Records seen and intentionally ignored (not observations, not errors), by reason, e.g. `{"NODATA": 2}`. */
  skipped?: Record<string, number>;
}

/** A parser holding state across the records of one file, fed in file order. */
export interface FileParser {
  parse(input: RecordInput): RecordResult;
}

export interface SourceParser {
  source: SourceName;
  /** Parses one record. Never throws. */
  parse(input: RecordInput, ctx: ParseContext): RecordResult;
  /** Parses a record whose JSON text was already parsed into `value` (`input.text` is kept for rejects/ids). */
  parseValue?(value: unknown, input: RecordInput, ctx: ParseContext): RecordResult;
  /** A stateful parser for one file; prefer it over `parse` when present. */
  forFile?(ctx: ParseContext): FileParser;
}
