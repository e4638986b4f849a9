/**
 * The prompt version of a Bedrock agent: a content hash over what shapes its behavior besides the model — the
 * instruction, the action groups (with their API schema / function schema), the knowledge bases, the guardrail and
 * the collaborators. Any change to one of them changes the hash.
 */
import { createHash } from 'node:crypto';
import type { PromptItem } from './types.ts';

/** The parts of a Bedrock agent's configuration that the hash covers (see lib/adapters/bedrock-agents.ts). */
export interface BedrockPromptParts {
  agentId: string;
  instruction?: string;
  foundationModel?: string;
  actionGroups: { name: string; state?: string; schema?: string; functions?: unknown; executor?: string }[];
  knowledgeBases: { id: string; description?: string; state?: string }[];
  guardrail?: { id: string; version?: string };
  collaborators?: { name: string; aliasArn?: string; instruction?: string }[];
  updatedAt?: string;
}

/** Canonical JSON: object keys sorted, so the hash does not depend on field order. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v ?? null);
}

export function bedrockPromptHash(parts: BedrockPromptParts): string {
  const body = {
    instruction: parts.instruction ?? '',
    actionGroups: [...parts.actionGroups].sort((a, b) => a.name.localeCompare(b.name)),
    knowledgeBases: [...parts.knowledgeBases].sort((a, b) => a.id.localeCompare(b.id)),
    guardrail: parts.guardrail ?? null,
    collaborators: [...(parts.collaborators ?? [])].sort((a, b) => a.name.localeCompare(b.name)),
  };
  return createHash('sha256').update(canonical(body)).digest('hex');
}

/** The prompt item an inventory lists for a Bedrock agent. */
export function bedrockPromptItem(parts: BedrockPromptParts, at: string): PromptItem {
  return { id: `bedrock-agent:${parts.agentId}`, sha256: bedrockPromptHash(parts), lastSeen: parts.updatedAt ?? at };
}
