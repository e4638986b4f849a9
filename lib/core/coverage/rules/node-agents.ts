import type { CoverageCheck, CoverageInput, CoverageRule } from '../types.ts';
import { unknownIfUnread } from './unread.ts';

const HIDES =
  'no node agent = no kernel layer (exec, file opens, syscalls, connects per pod): seccomp envelopes and pod-level ' +
  'evidence cannot be built for this cluster';

/** Default: an agent silent for 15 minutes is not reporting (agents ship batches every few seconds). */
export const DEFAULT_AGENT_STALE_MS = 15 * 60_000;

/** Each watched cluster has node agents that reported recently. */
export const nodeAgents: CoverageRule = {
  id: 'node-agents',
  evaluate(input: CoverageInput) {
    const staleMs = input.agentStaleMs ?? DEFAULT_AGENT_STALE_MS;
    const now = new Date(input.now).getTime();
    return input.clusters.map((c): CoverageCheck => {
      const target = `cluster:${c.name}`;
      const unread = unknownIfUnread(input, 'node-agents', this.id, target, HIDES);
      if (unread) return unread;
      const last = input.nodeAgents.find((a) => a.cluster === c.name)?.lastReport;
      if (!last)
        return { check: this.id, target, status: 'missing', detail: 'no node agent has ever reported', hides: HIDES };
      const age = now - new Date(last).getTime();
      if (age > staleMs) {
        return {
          check: this.id,
          target,
          status: 'partial',
          detail: `last node agent report ${last} (${Math.round(age / 60_000)} min ago)`,
          hides: `${HIDES} (since ${last})`,
        };
      }
      return { check: this.id, target, status: 'ok', detail: `last report ${last}`, hides: '' };
    });
  },
};
