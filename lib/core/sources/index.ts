/**
 * Source parsers: registry (source name -> parser), auto-detection and the record splitter.
 *
 * Usage (lib/app/ingest), one file at a time:
 * ```ts
 * const splitter = new RecordSplitter();
 * const parser = createRecordParser(ctx, 'auto');         // or a fixed SourceName
 * for (const item of [...splitter.push(text), ...splitter.end()]) {
 *   const r = item.kind === 'record'
 *     ? parser.parse(item) // a record item is a RecordInput (text, line, record, and value when already parsed)
 *     : { observations: [], rejects: [splitItemReject(item, 'unknown', ctx.file)] };
 * }
 * ```
 * or `parseText(text, ctx)` for an in-memory text.
 */
import type { ParseResult, Reject, SourceName } from '../observation.ts';
import { bedrockInvocationParser } from './bedrock-invocation.ts';
import { bedrockTraceParser } from './bedrock-trace.ts';
import { cloudTrailParser } from './cloudtrail.ts';
import { decodeCloudWatchPayload, isCloudWatchPayload, merge } from './cloudwatch.ts';
import { detectLine, detectValue, unsupportedKind } from './detect.ts';
import { nodeAgentParser } from './node-agent.ts';
import { RecordSplitter, type SplitFormat, type SplitterOptions, splitItemReject } from './splitter.ts';
import type { FileParser, ParseContext, RecordInput, RecordResult, SourceParser } from './types.ts';
import { parseJson, reject } from './util.ts';
import { vpcFlowParser } from './vpc-flow.ts';

export { bedrockInvocationParser, foundationModelOf, parseInvocationValue } from './bedrock-invocation.ts';
export { bedrockTraceParser, createBedrockTraceFileParser } from './bedrock-trace.ts';
export { cloudTrailParser, iamAction, parseCloudTrailValue, servicePrefix } from './cloudtrail.ts';
export { decodeCloudWatchPayload, isCloudWatchPayload, merge as mergeResults } from './cloudwatch.ts';
export { detectLine, detectSource, detectValue, NODE_AGENT_SCHEMA_ID, unsupportedKind } from './detect.ts';
export { contentAttrs, findTicket, redact } from './redact.ts';
export type { SplitFormat, SplitItem, SplitterOptions } from './splitter.ts';
export { DEFAULT_MAX_RECORD_CHARS, RecordSplitter, splitItemReject, splitText } from './splitter.ts';
export * from './types.ts';
export { normalizeTime } from './util.ts';
export { createVpcFlowFileParser, vpcFlowParser } from './vpc-flow.ts';

const registry = new Map<SourceName, SourceParser>([
  ['cloudtrail', cloudTrailParser],
  ['vpc-flow', vpcFlowParser],
  ['bedrock-invocation', bedrockInvocationParser],
  ['bedrock-trace', bedrockTraceParser],
  ['node-agent', nodeAgentParser],
]);

/** Adds or replaces the parser of a source (tests, or a replacement parser). */
export function registerParser(parser: SourceParser): void {
  registry.set(parser.source, parser);
}

export function getParser(source: SourceName): SourceParser | undefined {
  return registry.get(source);
}

/**
 * A parser for one file. With a fixed source every record goes to that source's parser; with `auto` each JSON record
 * is detected on its own (mixed files work) and text lines go to the VPC flow parser once the file looks like one.
 * Stateful per-file parsers (`forFile`) are created lazily, one per source.
 */
export function createRecordParser(ctx: ParseContext, source: SourceName | 'auto' = 'auto'): FileParser {
  const fileParsers = new Map<SourceName, FileParser | undefined>();
  const fileParser = (s: SourceName) => {
    if (!fileParsers.has(s)) fileParsers.set(s, registry.get(s)?.forFile?.(ctx));
    return fileParsers.get(s);
  };
  let sawFlowLines = false;
  // A headerless line in a custom order is a flow log line when a format is configured for this file.
  const flowFormat = ctx.vpcFormat?.({ file: ctx.file });
  const fitsConfiguredFlowFormat = (line: string) =>
    flowFormat !== undefined && line.split(/\s+/).length === flowFormat.length;
  // A CloudWatch Logs payload of a log group with a configured flow log format holds flow log lines.
  const configuredFlowPayload = (v: unknown): SourceName | undefined => {
    if (!ctx.vpcFormat || !isCloudWatchPayload(v)) return undefined;
    const d = decodeCloudWatchPayload(v);
    return d.ok && d.payload.logGroup && ctx.vpcFormat({ logGroup: d.payload.logGroup }) ? 'vpc-flow' : undefined;
  };
  const noParser = (s: SourceName, input: RecordInput): RecordResult => ({
    observations: [],
    rejects: [reject(s, 'no-parser', `no parser registered for source ${s}`, input, ctx.file)],
  });
  const parse = (input: RecordInput): RecordResult => {
    if (source !== 'auto') {
      const p = registry.get(source);
      if (!p) return noParser(source, input);
      const fp = fileParser(source);
      if (fp) return fp.parse(input);
      if (input.value !== undefined && p.parseValue) return p.parseValue(input.value, input, ctx);
      return p.parse(input, ctx);
    }
    let detected: SourceName | undefined;
    let value: unknown;
    let parsed = false;
    if (input.value !== undefined) {
      value = input.value;
      parsed = true;
      detected = detectValue(value) ?? configuredFlowPayload(value);
    } else {
      const t = input.text.trimStart();
      if (t.startsWith('{') || t.startsWith('[') || t.startsWith('"')) {
        const p = parseJson(t);
        if (!p.ok) return { observations: [], rejects: [reject('unknown', 'invalid-json', p.error, input, ctx.file)] };
        value = p.value;
        parsed = true;
        detected = detectValue(value) ?? configuredFlowPayload(value);
        if (!detected && typeof value === 'string' && sawFlowLines) detected = 'vpc-flow';
      } else {
        detected = detectLine(t) ?? (sawFlowLines || fitsConfiguredFlowFormat(t) ? 'vpc-flow' : undefined);
      }
      if (detected === 'vpc-flow' && !parsed) sawFlowLines = true;
    }
    if (!detected && parsed && isCloudWatchPayload(value)) {
      const d = decodeCloudWatchPayload(value);
      const [reason, detail] = d.ok
        ? ['unknown-source', 'CloudWatch payload whose log events match no known source']
        : [d.reason, d.detail];
      return { observations: [], rejects: [reject('unknown', reason, detail, input, ctx.file)] };
    }
    if (!detected) {
      const kind = unsupportedKind(parsed ? value : input.text.trimStart());
      return {
        observations: [],
        rejects: [
          kind
            ? reject(
                'unknown',
                `unsupported-source:${kind}`,
                `${kind} records are not a Warden source`,
                input,
                ctx.file,
              )
            : reject('unknown', 'unknown-source', 'record matches no known source format', input, ctx.file),
        ],
      };
    }
    const p = registry.get(detected);
    if (!p) return noParser(detected, input);
    const fp = fileParser(detected);
    if (fp) return fp.parse(input);
    if (parsed && p.parseValue) return p.parseValue(value, input, ctx);
    return p.parse(input, ctx);
  };
  return {
    parse(input: RecordInput): RecordResult {
      // Parsers never throw on data by contract; this keeps the contract when one fails to (a bug, or a shape no bound
      // foresaw): the record is quarantined with the error and its batch-mates are still stored.
      try {
        return parse(input);
      } catch (err) {
        const detail = `parser failed: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`;
        return {
          observations: [],
          rejects: [reject(source === 'auto' ? 'unknown' : source, 'parser-error', detail, input, ctx.file)],
        };
      }
    },
  };
}

export interface TextParseResult extends ParseResult {
  skipped: Record<string, number>;
  format: SplitFormat;
}

/** Splits and parses a whole in-memory text (tests, small inputs). */
export function parseText(
  text: string,
  ctx: ParseContext,
  opts: { source?: SourceName | 'auto' } & SplitterOptions = {},
): TextParseResult {
  const splitter = new RecordSplitter(opts);
  const parser = createRecordParser(ctx, opts.source ?? 'auto');
  const acc: RecordResult = { observations: [], rejects: [], skipped: {} };
  let records = 0;
  for (const item of [...splitter.push(text), ...splitter.end()]) {
    records++;
    if (item.kind === 'too-large') {
      const rej: Reject = splitItemReject(
        item,
        opts.source && opts.source !== 'auto' ? opts.source : 'unknown',
        ctx.file,
      );
      acc.rejects.push(rej);
      continue;
    }
    merge(acc, parser.parse(item));
  }
  return {
    observations: acc.observations,
    rejects: acc.rejects,
    records,
    skipped: acc.skipped ?? {},
    format: splitter.format,
  };
}
