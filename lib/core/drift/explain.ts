/**
 * Consistency of a deploy with a change: which changes each kind of deploy can explain. A deploy explains a change
 * only when it happened within the window before the change AND the change is of a sort that kind of deploy brings:
 *
 * | deploy       | new keys it explains                                   | sequences                    | volume        |
 * |--------------|--------------------------------------------------------|------------------------------|---------------|
 * | any          | keys it declares in `adds` (prefix match with `*`)      |                              |               |
 * | image        | kernel layer, `exec open syscall pkg image mcp prompt`, `model:file:` | among known keys | within ratio |
 * | model        | `model:` keys                                          | among known keys             | within ratio  |
 * | prompt       | `prompt:` keys                                         | among known keys             | within ratio  |
 * | tool-catalog | declared tools (`adds`); any `tool:` key when undeclared | among known + declared keys  | within ratio  |
 * | agent-config | `model: kb: agent: guardrail:` keys                    | among known keys             | within ratio  |
 *
 * "Among known keys": every symbol of the novel transition was already behavior of the subject (or is itself
 * explained); a deploy changes how an agent uses its tools, not which destinations or APIs it reaches.
 * "Within ratio": observed <= maxExplainedVolumeRatio x the envelope's upper bound. Nothing explains a new egress
 * destination, a new API action or resource, or a volume burst beyond the ratio unless the deploy declares it.
 */
import type { DeployEvent } from '../deploy-events/types.ts';
import { keyKind } from '../observation.ts';
import type { Change, DriftOptions } from './types.ts';

const IMAGE_KINDS = new Set(['exec', 'open', 'syscall', 'pkg', 'image', 'mcp', 'prompt']);
const AGENT_CONFIG_KINDS = new Set(['model', 'kb', 'agent', 'guardrail']);

/** Whether `key` is declared by the deploy (exact, or prefix for entries ending in `*`). */
export function declares(d: DeployEvent, key: string): boolean {
  return d.adds.some((a) => (a.endsWith('*') ? key.startsWith(a.slice(0, -1)) : a === key));
}

function explainsNewKey(d: DeployEvent, key: string, layer: Change['layer']): boolean {
  if (declares(d, key)) return true;
  const kind = keyKind(key);
  switch (d.kind) {
    case 'image':
      return layer === 'kernel' || IMAGE_KINDS.has(kind) || key.startsWith('model:file:');
    case 'model':
      return kind === 'model';
    case 'prompt':
      return kind === 'prompt';
    case 'tool-catalog':
      // A catalog change whose event did not carry the tool list (CloudTrail keeps no function schema) vouches for
      // new tools of the agent, but never for APIs or destinations.
      return d.adds.length === 0 && kind === 'tool';
    case 'agent-config':
      return AGENT_CONFIG_KINDS.has(kind);
  }
}

/**
 * Whether deploy `d` explains change `ch`. `known(key)` says whether a key was behavior before the change.
 * @example explains(modelDeploy, { type: 'new-key', key: 'model:anthropic.claude-3-5-sonnet...', ... }, known, opts)
 */
export function explains(
  d: DeployEvent,
  ch: Change,
  known: (key: string) => boolean,
  explainedKeys: ReadonlySet<string>,
  opts: DriftOptions,
): boolean {
  switch (ch.type) {
    case 'new-key':
      return explainsNewKey(d, ch.key, ch.layer);
    case 'volume':
      if (declares(d, ch.key)) return true;
      return ch.observed <= opts.maxExplainedVolumeRatio * Math.max(ch.expectedUpper, 1);
    case 'sequence': {
      const [a, b] = ch.transition ?? ['', ''];
      const ok = (k: string) => known(k) || explainedKeys.has(k) || declares(d, k);
      return ok(a) && ok(b);
    }
  }
}

/** Deploys of `subject` in the window before [fromMs, toMs] (a deploy up to the cluster's last window counts). */
export function deploysInWindow(
  deploys: DeployEvent[],
  subject: string,
  fromMs: number,
  toMs: number,
  opts: DriftOptions,
): DeployEvent[] {
  return deploys.filter((d) => {
    if (d.subject !== subject) return false;
    const t = Date.parse(d.time);
    return t >= fromMs - opts.deployWindowMs && t < toMs + 3_600_000;
  });
}
