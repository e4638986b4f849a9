/**
 * The parser contract shared by every source in lib/core/sources. A parser is pure: it receives one record's text
 * (a JSON object, a JSON line, or a flow-log line) with its location, and returns observations and rejects. It never
 * throws on data. File reading, decompression of whole objects and splitting into records happen before it
 * (lib/ingest), with bounded memory.
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
}

export interface RecordInput {
  /** The record's raw text (one JSON object, one line). */
  text: string;
  /** 1-based line, or record index inside a JSON array, for rejects. */
  line?: number;
  record?: number;
}

export interface RecordResult {
  observations: Observation[];
  rejects: Reject[];
}

export interface SourceParser {
  source: SourceName;
  /** Parses one record. Never throws. */
  parse(input: RecordInput, ctx: ParseContext): RecordResult;
}
