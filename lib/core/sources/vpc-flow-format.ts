/**
 * VPC and Transit Gateway flow log formats: every documented field, the default field orders, the value shape of each
 * field, and how a headerless line finds its format.
 *
 * A flow log line carries no field names. The names come from, in this order:
 * 1. a header line in the same file (S3 delivery writes one: `version account-id ...`),
 * 2. a format given once for the line's log group, bucket prefix or flow log (`warden ingest --vpc-format`, or the
 *    flow log's `LogFormat` from DescribeFlowLogs), passed in as {@link ParseContext.vpcFormat},
 * 3. a default order recognized by its field count and the shape of every value, as log pipelines such as Elastic's
 *    do: the v2 default format (14 fields), every field of v3, v4, v5, v7 or v8 in the documented order (21, 25, 29,
 *    39, 40 fields) and the Transit Gateway default format (36 fields).
 * A line none of these fits is quarantined with a reason that says how to give its format.
 */

/** The flow's own fields, in the same documented order in VPC (version 2) and Transit Gateway flow logs. */
const FLOW_FIELDS = [
  'srcaddr',
  'dstaddr',
  'srcport',
  'dstport',
  'protocol',
  'packets',
  'bytes',
  'start',
  'end',
] as const;

/** Fields by the flow log version that introduced them (AWS VPC User Guide, "Available fields"), in order. */
export const VPC_FIELDS_BY_VERSION = {
  2: ['version', 'account-id', 'interface-id', ...FLOW_FIELDS, 'action', 'log-status'],
  3: ['vpc-id', 'subnet-id', 'instance-id', 'tcp-flags', 'type', 'pkt-srcaddr', 'pkt-dstaddr'],
  4: ['region', 'az-id', 'sublocation-type', 'sublocation-id'],
  5: ['pkt-src-aws-service', 'pkt-dst-aws-service', 'flow-direction', 'traffic-path'],
  7: [
    'ecs-cluster-arn',
    'ecs-cluster-name',
    'ecs-container-instance-arn',
    'ecs-container-instance-id',
    'ecs-container-id',
    'ecs-second-container-id',
    'ecs-service-name',
    'ecs-task-definition-arn',
    'ecs-task-arn',
    'ecs-task-id',
  ],
  8: ['reject-reason'],
} as const;

/** The Transit Gateway flow log default format (version 6): every Transit Gateway field, in the documented order. */
export const TGW_DEFAULT_FIELDS = [
  'version',
  'resource-type',
  'account-id',
  'tgw-id',
  'tgw-attachment-id',
  'tgw-src-vpc-account-id',
  'tgw-dst-vpc-account-id',
  'tgw-src-vpc-id',
  'tgw-dst-vpc-id',
  'tgw-src-subnet-id',
  'tgw-dst-subnet-id',
  'tgw-src-eni',
  'tgw-dst-eni',
  'tgw-src-az-id',
  'tgw-dst-az-id',
  'tgw-pair-attachment-id',
  ...FLOW_FIELDS,
  'log-status',
  'type',
  'packets-lost-no-route',
  'packets-lost-blackhole',
  'packets-lost-mtu-exceeded',
  'packets-lost-ttl-expired',
  'tcp-flags',
  'region',
  'flow-direction',
  'pkt-src-aws-service',
  'pkt-dst-aws-service',
] as const;

export const V2_FIELDS: readonly string[] = VPC_FIELDS_BY_VERSION[2];

/** Every documented VPC and Transit Gateway flow log field. */
export const ALL_FIELDS: ReadonlySet<string> = new Set([
  ...Object.values(VPC_FIELDS_BY_VERSION).flat(),
  ...TGW_DEFAULT_FIELDS,
]);

/** A named field order. */
export interface FlowFormat {
  name: string;
  fields: readonly string[];
}

const vpcAllFields = (upTo: number): string[] =>
  Object.entries(VPC_FIELDS_BY_VERSION)
    .filter(([v]) => Number(v) <= upTo)
    .flatMap(([, f]) => [...f]);

/** The orders a headerless line is recognized in without configuration, by field count. */
export const DEFAULT_FORMATS: readonly FlowFormat[] = [
  { name: 'v2-default', fields: V2_FIELDS },
  { name: 'v3-all-fields', fields: vpcAllFields(3) },
  { name: 'v4-all-fields', fields: vpcAllFields(4) },
  { name: 'v5-all-fields', fields: vpcAllFields(5) },
  { name: 'tgw-default', fields: TGW_DEFAULT_FIELDS },
  { name: 'v7-all-fields', fields: vpcAllFields(7) },
  { name: 'v8-all-fields', fields: vpcAllFields(8) },
];

const BY_COUNT = new Map(DEFAULT_FORMATS.map((f) => [f.fields.length, f]));

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;
const IPV6 = /^[0-9a-fA-F:]*:[0-9a-fA-F:.]*$/;
const UINT = /^\d{1,20}$/;
const ACCOUNT = /^\d{1,12}$/;
const id = (prefix: string) => new RegExp(`^${prefix}-[0-9a-z]{1,32}$`);
const ARN_ECS = /^arn:aws[a-z-]*:ecs:[a-z0-9-]*:\d{1,12}:[\w./:-]+$/;
// Names and runtime ids whose spelling AWS does not fix (container ids, task ids, service names).
const NAME = /^[\w.:/@-]{1,255}$/;

/** What each field's value looks like (`-` means "not applicable" and fits every field but `version`). */
const SHAPES: Readonly<Record<string, RegExp>> = {
  version: /^[2-8]$/,
  'account-id': ACCOUNT,
  'interface-id': id('eni'),
  srcaddr: new RegExp(`${IPV4.source}|${IPV6.source}`),
  dstaddr: new RegExp(`${IPV4.source}|${IPV6.source}`),
  srcport: UINT,
  dstport: UINT,
  protocol: UINT,
  packets: UINT,
  bytes: UINT,
  start: UINT,
  end: UINT,
  action: /^(ACCEPT|REJECT)$/,
  'log-status': /^(OK|NODATA|SKIPDATA)$/,
  'vpc-id': id('vpc'),
  'subnet-id': id('subnet'),
  'instance-id': id('i'),
  'tcp-flags': UINT,
  type: /^(IPv4|IPv6|EFA)$/,
  'pkt-srcaddr': new RegExp(`${IPV4.source}|${IPV6.source}`),
  'pkt-dstaddr': new RegExp(`${IPV4.source}|${IPV6.source}`),
  region: /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/,
  'az-id': /^[a-z0-9-]+-az\d{1,2}$/,
  'sublocation-type': /^(wavelength|outpost|localzone)$/,
  'sublocation-id': NAME,
  'pkt-src-aws-service': /^[A-Z0-9_]{2,40}$/,
  'pkt-dst-aws-service': /^[A-Z0-9_]{2,40}$/,
  'flow-direction': /^(ingress|egress)$/,
  'traffic-path': /^[1-8]$/,
  'ecs-cluster-arn': ARN_ECS,
  'ecs-cluster-name': NAME,
  'ecs-container-instance-arn': ARN_ECS,
  'ecs-container-instance-id': NAME,
  'ecs-container-id': NAME,
  'ecs-second-container-id': NAME,
  'ecs-service-name': NAME,
  'ecs-task-definition-arn': ARN_ECS,
  'ecs-task-arn': ARN_ECS,
  'ecs-task-id': NAME,
  'reject-reason': /^[A-Z_]{2,40}$/,
  'resource-type': /^[A-Za-z]{2,40}$/,
  'tgw-id': id('tgw'),
  'tgw-attachment-id': /^tgw-attach-[0-9a-z]{1,32}$/,
  'tgw-pair-attachment-id': /^tgw-attach-[0-9a-z]{1,32}$/,
  'tgw-src-vpc-account-id': ACCOUNT,
  'tgw-dst-vpc-account-id': ACCOUNT,
  'tgw-src-vpc-id': id('vpc'),
  'tgw-dst-vpc-id': id('vpc'),
  'tgw-src-subnet-id': id('subnet'),
  'tgw-dst-subnet-id': id('subnet'),
  'tgw-src-eni': id('eni'),
  'tgw-dst-eni': id('eni'),
  'tgw-src-az-id': /^[a-z0-9-]+-az\d{1,2}$/,
  'tgw-dst-az-id': /^[a-z0-9-]+-az\d{1,2}$/,
  'packets-lost-no-route': UINT,
  'packets-lost-blackhole': UINT,
  'packets-lost-mtu-exceeded': UINT,
  'packets-lost-ttl-expired': UINT,
};

/** Whether `value` has the shape of `field` (`-` fits every field but `version`). */
export function fitsField(field: string, value: string): boolean {
  if (value === '-') return field !== 'version';
  return SHAPES[field]?.test(value) ?? true;
}

/**
 * Values a default order tolerates out of shape: a damaged value is then reported by the parser under its field
 * (`wrong-type:dstport`), while a line in another order (which misfits many fields) is not read as this one.
 */
export const MAX_MISFITS = 2;

/** The default order with as many fields as `tokens`, and the fields whose values do not have their shape. */
export function defaultFormatFor(tokens: readonly string[]): { format: FlowFormat; misfits: string[] } | undefined {
  const format = BY_COUNT.get(tokens.length);
  if (!format) return undefined;
  const misfits = format.fields.filter((f, i) => !fitsField(f, tokens[i] as string));
  return { format, misfits };
}

/** The default order `tokens` are in (field count, the version, and all but {@link MAX_MISFITS} value shapes). */
export function matchDefaultFormat(tokens: readonly string[]): FlowFormat | undefined {
  const d = defaultFormatFor(tokens);
  return d && !d.misfits.includes('version') && d.misfits.length <= MAX_MISFITS ? d.format : undefined;
}

/** A headerless line in one of the default orders (source auto-detection). */
export function isDefaultFlowLine(line: string): boolean {
  return matchDefaultFormat(line.trim().split(/\s+/)) !== undefined;
}

const FLOW_MARK = /^(eni-|vpc-|subnet-|tgw-)|^(ACCEPT|REJECT|OK|NODATA|SKIPDATA)$/;
const ADDRESS = new RegExp(`${IPV4.source}|${IPV6.source}`);

/**
 * A headerless line that is a flow log record in some order (two addresses and a flow-log id or verdict), even when
 * no known format fits it: detected as a flow log so that its reject says how to give the format.
 */
export function looksLikeFlowLine(line: string): boolean {
  const toks = line.trim().split(/\s+/);
  if (toks.length < 4 || toks.length > 64) return false;
  return toks.filter((t) => ADDRESS.test(t)).length >= 2 && toks.some((t) => FLOW_MARK.test(t));
}

/** A format given as `${version} ${srcaddr} ...` or `version srcaddr ...`, as field names. */
export type ParsedFormat = { ok: true; fields: string[] } | { ok: false; error: string };

/** Parses a flow log format string (the `LogFormat` of DescribeFlowLogs, or `--vpc-format`). */
export function parseFlowFormat(text: string): ParsedFormat {
  const toks = text.trim().split(/\s+/).filter(Boolean);
  if (toks.length < 2) return { ok: false, error: 'a format names at least two fields' };
  const fields: string[] = [];
  for (const t of toks) {
    const f = t.replace(/^\$\{(.+)\}$/, '$1').replace(/_/g, '-');
    if (!ALL_FIELDS.has(f)) return { ok: false, error: `unknown flow log field ${JSON.stringify(t.slice(0, 60))}` };
    if (fields.includes(f)) return { ok: false, error: `field ${f} given twice` };
    fields.push(f);
  }
  if (!fields.includes('srcaddr') && !fields.includes('pkt-srcaddr'))
    return { ok: false, error: 'a format needs srcaddr or pkt-srcaddr to say whose traffic it is' };
  return { ok: true, fields };
}

/** Where a format given once applies: the keys a file or a CloudWatch log group is looked up by, most specific first. */
export function formatScopes(where: { file?: string; logGroup?: string }): string[] {
  const out: string[] = [];
  if (where.logGroup) out.push(`log-group:${where.logGroup}`);
  const file = where.file;
  if (file) {
    // S3 delivery names objects <account>_vpcflowlogs_<region>_<flow log id>_<time>_<hash>.log.gz
    const fl = /_(fl-[0-9a-z]+)_/.exec(file.slice(file.lastIndexOf('/') + 1));
    if (fl) out.push(`flow-log:${fl[1]}`);
    const aws = file.indexOf('/AWSLogs/');
    if (aws > 0) out.push(`prefix:${file.slice(0, aws + 1)}`);
    const slash = file.lastIndexOf('/');
    if (slash > 0) out.push(`dir:${file.slice(0, slash)}`);
  }
  return out;
}

/** The format stored for the most specific scope of `where`, from `formats` (scope key -> fields). */
export function lookupFlowFormat(
  formats: ReadonlyMap<string, readonly string[]>,
  where: { file?: string; logGroup?: string },
): readonly string[] | undefined {
  for (const k of formatScopes(where)) {
    const f = formats.get(k);
    if (f) return f;
  }
  return undefined;
}
