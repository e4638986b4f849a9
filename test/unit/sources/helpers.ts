import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { IdentityResolver } from '../../../lib/core/identity/types.ts';
import { noIdentity } from '../../../lib/core/identity/types.ts';
import type { ParseContext } from '../../../lib/core/sources/types.ts';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const publicData = path.resolve(repoRoot, '..', 'shared', 'data', 'public');
export const fixtures = path.resolve(repoRoot, 'test', 'fixtures', 'sources');

export function ctx(over: Partial<ParseContext> = {}): ParseContext {
  return { identity: noIdentity, promptContent: 'hash-and-excerpt', excerptChars: 120, ...over };
}

/** A resolver backed by small tables, for attribution tests. */
export function tableIdentity(t: {
  principals?: Record<string, string>;
  ips?: Record<string, string>;
  agents?: Record<string, string>;
}): IdentityResolver {
  return {
    byPrincipal: (ref) =>
      (ref.arn && t.principals?.[ref.arn]) ||
      (ref.roleArn && t.principals?.[ref.roleArn]) ||
      (ref.sessionTags?.['kubernetes-namespace'] &&
        t.principals?.[
          `tags:${ref.sessionTags['kubernetes-namespace']}/${ref.sessionTags['kubernetes-service-account']}`
        ]) ||
      undefined,
    byIp: (ip) => t.ips?.[ip],
    byBedrockAgent: (ref) => (ref.agentId ? t.agents?.[ref.agentId] : undefined),
  };
}
