/**
 * VPC and Transit Gateway flow log parser: lines in any documented field order, lines wrapped as JSON strings or in
 * CloudWatch Logs subscription payloads, and JSON objects carrying flow-log fields (hyphenated `srcaddr`, or camelCase
 * `srcAddr` as normalized by log pipelines such as Panther). Which fields a line holds comes from a header line, a
 * format given for its log group / bucket prefix / flow log, or a default order recognized by field count and value
 * shapes (see vpc-flow-format.ts); a line none of them fits is quarantined saying how to give its format.
 *
 * Semantics:
 * - NODATA / SKIPDATA records are counted in `skipped`, not observations and not errors. Header lines are counted
 *   as `header`.
 * - The local side (the subject) is the interface side: from flow-direction (v5: egress = the interface sent it;
 *   not for Transit Gateway records, whose interface is the gateway's); else whichever address ctx.identity.byIp
 *   resolves; else the private side of a private/public pair; else srcaddr.
 *   pkt-srcaddr / pkt-dstaddr (v3+) are preferred over srcaddr / dstaddr when present (the original packet ends).
 * - Key: who initiated decides the direction. When the peer port is a service port (< 32768) or the local port is
 *   ephemeral, the local side initiated: `net:egress:<peer>/32:<peer port>`; otherwise `net:ingress:<peer>/32:<local
 *   port>`. Both halves of one connection (request and reply records) land on the same key; attrs.reply marks the
 *   reply half. Ephemeral ports become `*` (canonicalPort).
 * - bytes, packets, accepted (1/0), rejected (1/0) are numeric attrs (summed by the store); action kept as attr.
 * - time: `start`, else `end`, else the CloudWatch event time.
 * - id: sha256 of the field list and the line, stable for the same record in the same format.
 */
import type { AttrValue, Correlation, Observation } from '../observation.ts';
import { canonicalPort, keys, subjectIds } from '../observation.ts';
import { isCloudWatchPayload, parseCloudWatchRecord } from './cloudwatch.ts';
import type { FileParser, ParseContext, RecordInput, RecordResult, SourceParser } from './types.ts';
import { boundedNum, hashId, isObject, NUMERIC_BOUNDS, normalizeTime, parseJson, reject, typeName } from './util.ts';
import { ALL_FIELDS, defaultFormatFor, isDefaultFlowLine, matchDefaultFormat } from './vpc-flow-format.ts';

export { ALL_FIELDS, V2_FIELDS } from './vpc-flow-format.ts';

/** Field name without dashes/underscores, lower case: how camelCase / snake_case JSON names are matched. */
const FLAT: ReadonlyMap<string, string> = new Map([...ALL_FIELDS].map((f) => [f.replace(/-/g, ''), f]));
// Aliases used by normalizing pipelines for a few fields.
const ALIASES: Readonly<Record<string, string>> = {
  account: 'account-id',
  accountid: 'account-id',
  status: 'log-status',
  logstatus: 'log-status',
  srcip: 'srcaddr',
  dstip: 'dstaddr',
};

/** A header line: every token is a flow-log field name (or `${name}`), and it names the addresses or the version. */
export function isFlowHeader(line: string): boolean {
  const toks = headerTokens(line);
  return toks !== undefined;
}

function headerTokens(line: string): string[] | undefined {
  const toks = line
    .trim()
    .split(/\s+/)
    .map((t) => t.replace(/^\$\{(.+)\}$/, '$1').replace(/_/g, '-'));
  if (toks.length < 2 || !toks.every((t) => ALL_FIELDS.has(t))) return undefined;
  if (!toks.includes('srcaddr') && !toks.includes('pkt-srcaddr') && !toks.includes('version')) return undefined;
  return toks;
}

export function isFlowJson(v: Record<string, unknown>): boolean {
  let hits = 0;
  for (const k of Object.keys(v)) {
    const f = fieldOf(k);
    if (f === 'srcaddr' || f === 'dstaddr' || f === 'pkt-srcaddr' || f === 'log-status') hits++;
  }
  return hits > 0;
}

function fieldOf(jsonKey: string): string | undefined {
  const flat = jsonKey.toLowerCase().replace(/[-_]/g, '');
  return FLAT.get(flat) ?? ALIASES[flat];
}

export const vpcFlowParser: SourceParser = {
  source: 'vpc-flow',
  parse(input, ctx) {
    return createVpcFlowFileParser(ctx).parse(input);
  },
  parseValue(value, input, ctx) {
    return parseValueWith(ctx.vpcFormat?.({ file: ctx.file }), value, input, ctx).result;
  },
  forFile: (ctx) => createVpcFlowFileParser(ctx),
};

/**
 * A per-file parser. The field order starts as the format configured for the file (if any); a header line switches it
 * for the lines after it.
 */
export function createVpcFlowFileParser(ctx: ParseContext): FileParser {
  let fields: readonly string[] | undefined = ctx.vpcFormat?.({ file: ctx.file });
  return {
    parse(input: RecordInput): RecordResult {
      const t = input.text.trim();
      if (t.startsWith('{') || t.startsWith('"')) {
        const p = parseJson(t);
        if (!p.ok) return { observations: [], rejects: [reject('vpc-flow', 'invalid-json', p.error, input, ctx.file)] };
        const r = parseValueWith(fields, p.value, input, ctx);
        if (r.header) fields = r.header;
        return r.result;
      }
      const header = headerTokens(t);
      if (header) {
        fields = header;
        return { observations: [], rejects: [], skipped: { header: 1 } };
      }
      return parseLine(fields, t, input, ctx);
    },
  };
}

function parseValueWith(
  fields: readonly string[] | undefined,
  value: unknown,
  input: RecordInput,
  ctx: ParseContext,
): { result: RecordResult; header?: string[] } {
  if (typeof value === 'string') {
    const t = value.trim();
    const header = headerTokens(t);
    if (header) return { result: { observations: [], rejects: [], skipped: { header: 1 } }, header };
    return { result: parseLine(fields, t, input, ctx) };
  }
  if (isCloudWatchPayload(value)) {
    let fs = fields;
    let group: string | undefined;
    const result = parseCloudWatchRecord('vpc-flow', value, input, ctx, (ev, timestamp, logGroup) => {
      // CloudWatch Logs delivery has no header line: the format configured for the log group names the fields.
      if (logGroup !== group) {
        group = logGroup;
        fs = (logGroup ? ctx.vpcFormat?.({ logGroup }) : undefined) ?? fields;
      }
      const h = headerTokens(ev.text);
      if (h) {
        fs = h;
        return { observations: [], rejects: [], skipped: { header: 1 } };
      }
      return parseLine(fs, ev.text.trim(), ev, ctx, timestamp);
    });
    return { result };
  }
  if (!isObject(value))
    return {
      result: {
        observations: [],
        rejects: [
          reject('vpc-flow', 'not-an-object', `expected a flow record, got ${typeName(value)}`, input, ctx.file),
        ],
      },
    };
  const rec: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    const f = fieldOf(k);
    if (!f) continue;
    if (typeof v === 'string' || typeof v === 'number') rec[f] = String(v);
    else if (v !== null)
      return {
        result: {
          observations: [],
          rejects: [
            reject('vpc-flow', `wrong-type:${k}`, `expected string or number, got ${typeName(v)}`, input, ctx.file),
          ],
        },
      };
  }
  return { result: fromFields(rec, hashId('vpc-flow', input.text), input, ctx) };
}

/**
 * One text line: with the known format when the field counts agree, else a default order it fits, else a reject that
 * says how to give the format.
 */
function parseLine(
  known: readonly string[] | undefined,
  line: string,
  input: RecordInput,
  ctx: ParseContext,
  eventTime?: number,
): RecordResult {
  const toks = line.split(/\s+/);
  const fields = known && known.length === toks.length ? known : matchDefaultFormat(toks)?.fields;
  if (!fields) {
    const near = known ? undefined : defaultFormatFor(toks);
    const how = `give the flow log's format (its LogFormat) once: warden ingest --vpc-format '\${version} \${srcaddr} ...'`;
    const [reason, detail] = known
      ? [
          'field-count-mismatch',
          `${toks.length} fields, format has ${known.length} (${known.slice(0, 4).join(' ')} ...)`,
        ]
      : near
        ? [
            'unknown-format',
            `${toks.length} fields without a header in a custom order (as ${near.format.name} they misfit ${near.misfits.slice(0, 3).join(', ')}): ${how}`,
          ]
        : [
            'field-count-mismatch',
            `${toks.length} fields without a header, and no default order has ${toks.length}: ${how}`,
          ];
    return { observations: [], rejects: [reject('vpc-flow', reason, detail, input, ctx.file)] };
  }
  const rec: Record<string, string> = {};
  fields.forEach((f, i) => {
    rec[f] = toks[i]!;
  });
  return fromFields(rec, hashId('vpc-flow', `${fields.join(' ')}\n${line}`), input, ctx, eventTime);
}

const IP = /^(\d{1,3}(\.\d{1,3}){3}|[0-9a-fA-F:]*:[0-9a-fA-F:.]*)$/;
const PROTOCOLS: Readonly<Record<string, string>> = { '1': 'icmp', '6': 'tcp', '17': 'udp', '58': 'icmpv6' };
/** Numeric fields and their bounds: a value past one makes the record a reject `out-of-range:<field>`. */
const NUMERIC: Readonly<Record<string, number>> = {
  srcport: NUMERIC_BOUNDS.port,
  dstport: NUMERIC_BOUNDS.port,
  protocol: NUMERIC_BOUNDS.protocol,
  packets: NUMERIC_BOUNDS.packets,
  bytes: NUMERIC_BOUNDS.bytes,
  start: NUMERIC_BOUNDS.epochSeconds,
  end: NUMERIC_BOUNDS.epochSeconds,
  // The OR of the TCP header flags seen in the interval: 9 defined bits (with NS, CWR, ECE).
  'tcp-flags': 511,
};
/** Transit Gateway drop counters, kept as numeric attrs. */
const TGW_LOST = [
  ['packets-lost-no-route', 'packetsLostNoRoute'],
  ['packets-lost-blackhole', 'packetsLostBlackhole'],
  ['packets-lost-mtu-exceeded', 'packetsLostMtuExceeded'],
  ['packets-lost-ttl-expired', 'packetsLostTtlExpired'],
] as const;

function fromFields(
  rec: Record<string, string>,
  id: string,
  input: RecordInput,
  ctx: ParseContext,
  eventTime?: number,
): RecordResult {
  const fail = (reason: string, detail: string): RecordResult => ({
    observations: [],
    rejects: [reject('vpc-flow', reason, detail, input, ctx.file)],
  });
  const val = (f: string): string | undefined => {
    const v = rec[f];
    return v === undefined || v === '-' || v === '' ? undefined : v;
  };
  const status = val('log-status');
  if (status === 'NODATA' || status === 'SKIPDATA') return { observations: [], rejects: [], skipped: { [status]: 1 } };
  const n: Record<string, number | undefined> = {};
  for (const f in NUMERIC) {
    const v = val(f);
    if (v === undefined) continue;
    if (!/^\d+$/.test(v)) return fail(`wrong-type:${f}`, `expected a number, got ${JSON.stringify(v.slice(0, 40))}`);
    const b = boundedNum(Number(v), f, NUMERIC[f] as number);
    if (!b.ok) return fail(b.reason, b.detail);
    n[f] = b.value;
  }
  const srcaddr = val('srcaddr');
  const dstaddr = val('dstaddr');
  const src = val('pkt-srcaddr') ?? srcaddr;
  const dst = val('pkt-dstaddr') ?? dstaddr;
  if (!src) return fail('missing-field:srcaddr', 'no source address');
  if (!dst) return fail('missing-field:dstaddr', 'no destination address');
  for (const [f, ip] of [
    ['srcaddr', src],
    ['dstaddr', dst],
  ] as const)
    if (!IP.test(ip)) return fail(`invalid-ip:${f}`, JSON.stringify(ip.slice(0, 60)));
  // A custom format may leave out start (or both times); CloudWatch delivery still stamps each event.
  const when = n.start ?? n.end ?? (eventTime !== undefined ? Math.floor(eventTime / 1000) : undefined);
  if (when === undefined) return fail('missing-field:start', 'no flow start or end time in the format');
  const time = normalizeTime(when);
  if (!time) return fail('invalid-time:start', String(when));
  const action = val('action');
  if (action !== undefined && action !== 'ACCEPT' && action !== 'REJECT')
    return fail('invalid-value:action', JSON.stringify(action.slice(0, 20)));

  // A Transit Gateway record's flow-direction is relative to the gateway attachment, not to a workload.
  const tgw = val('resource-type') !== undefined || val('tgw-id') !== undefined;
  const flowDirection = tgw ? undefined : val('flow-direction');
  let localIsSrc: boolean;
  let subject: string | undefined;
  if (flowDirection === 'egress' || flowDirection === 'ingress') localIsSrc = flowDirection === 'egress';
  else {
    subject = ctx.identity.byIp(src, time);
    if (subject) localIsSrc = true;
    else {
      subject = ctx.identity.byIp(dst, time);
      if (subject) localIsSrc = false;
      else if (isPrivateIp(src) !== isPrivateIp(dst)) localIsSrc = isPrivateIp(src);
      else localIsSrc = true;
    }
  }
  const local = localIsSrc ? src : dst;
  const peer = localIsSrc ? dst : src;
  const localPort = localIsSrc ? n.srcport : n.dstport;
  const peerPort = localIsSrc ? n.dstport : n.srcport;
  subject ??= ctx.identity.byIp(local, time) ?? subjectIds.unattributed(local);
  const isService = (p: number | undefined) => canonicalPort(p) !== '*';
  const initiatedByLocal = isService(peerPort) || !isService(localPort);
  const direction = initiatedByLocal ? 'egress' : 'ingress';
  const key = initiatedByLocal ? keys.egress(peer, peerPort) : keys.ingress(peer, localPort);

  const attrs: Record<string, AttrValue> = {
    direction,
    reply: initiatedByLocal !== localIsSrc,
    localIp: local,
    peerIp: peer,
    accepted: action === 'ACCEPT' ? 1 : 0,
    rejected: action === 'REJECT' ? 1 : 0,
  };
  if (action) attrs.action = action;
  if (status) attrs.logStatus = status;
  const proto = val('protocol');
  if (proto) attrs.protocol = PROTOCOLS[proto] ?? proto;
  if (n.bytes !== undefined) attrs.bytes = n.bytes;
  if (n.packets !== undefined) attrs.packets = n.packets;
  if (n.end !== undefined) {
    const end = normalizeTime(n.end);
    if (end) attrs.end = end;
  }
  if (n['tcp-flags'] !== undefined) attrs.tcpFlags = n['tcp-flags'];
  for (const [f, a] of TGW_LOST) {
    const v = val(f);
    if (v !== undefined && /^\d{1,15}$/.test(v)) attrs[a] = Number(v);
  }
  if (localPort !== undefined) attrs.localPort = localPort;
  if (peerPort !== undefined) attrs.peerPort = peerPort;
  const copy: [string, string][] = [
    ['version', 'version'],
    ['account-id', 'accountId'],
    ['interface-id', 'interfaceId'],
    ['vpc-id', 'vpcId'],
    ['subnet-id', 'subnetId'],
    ['instance-id', 'instanceId'],
    ['type', 'ipType'],
    ['region', 'region'],
    ['az-id', 'azId'],
    ['flow-direction', 'flowDirection'],
    ['traffic-path', 'trafficPath'],
    ['pkt-src-aws-service', 'pktSrcAwsService'],
    ['pkt-dst-aws-service', 'pktDstAwsService'],
    ['ecs-task-arn', 'ecsTaskArn'],
    ['ecs-service-name', 'ecsServiceName'],
    ['ecs-cluster-name', 'ecsClusterName'],
    ['reject-reason', 'rejectReason'],
    ['resource-type', 'resourceType'],
    ['tgw-id', 'tgwId'],
    ['tgw-attachment-id', 'tgwAttachmentId'],
    ['tgw-pair-attachment-id', 'tgwPairAttachmentId'],
    ['tgw-src-vpc-id', 'tgwSrcVpcId'],
    ['tgw-dst-vpc-id', 'tgwDstVpcId'],
    ['tgw-src-vpc-account-id', 'tgwSrcVpcAccountId'],
    ['tgw-dst-vpc-account-id', 'tgwDstVpcAccountId'],
  ];
  for (const [f, a] of copy) {
    const v = val(f);
    if (v !== undefined) attrs[a] = v.slice(0, 256);
  }
  const correlation: Correlation = { podIp: local };
  const obs: Observation = {
    v: 1,
    id,
    time,
    source: 'vpc-flow',
    subject,
    layer: 'network',
    kind: 'net',
    key,
    count: 1,
    correlation,
    attrs,
  };
  return { observations: [obs], rejects: [] };
}

/** RFC 1918, CGNAT (EKS custom networking), loopback, link-local, IPv6 ULA / link-local. */
export function isPrivateIp(ip: string): boolean {
  const m = /^(\d+)\.(\d+)\.\d+\.\d+$/.exec(ip);
  if (m) {
    const a = Number(m[1]);
    const b = Number(m[2]);
    return (
      a === 10 ||
      a === 127 ||
      (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) ||
      (a === 169 && b === 254) ||
      (a === 100 && b >= 64 && b <= 127)
    );
  }
  const l = ip.toLowerCase();
  return l === '::1' || /^f[cd]/.test(l) || /^fe[89ab]/.test(l);
}
