/**
 * Deployment correlation: is each change explained by a deploy of the same subject within the window before it,
 * consistent with what was deployed (see ../explain.ts)? The score is the severity of the worst unexplained change:
 * 0 when every change is explained, up to 1 for an unexplained cloud-api or network change.
 */
import type { DeployEvent } from '../../deploy-events/types.ts';
import type { Layer } from '../../observation.ts';
import { explains } from '../explain.ts';
import type { Change } from '../types.ts';
import { refsForKeys, signalOutput } from './evidence.ts';
import type { Signal, SignalContext, SignalOutput } from './types.ts';

/** How much an unexplained change of each layer matters: reaching out (APIs, egress) matters most. */
export const LAYER_SEVERITY: Record<Layer, number> = {
  'cloud-api': 1,
  network: 1,
  tool: 1,
  application: 0.8,
  kernel: 0.8,
};

function applicable(d: DeployEvent, ch: Change, windowMs: number): boolean {
  const t = Date.parse(d.time);
  const w = Date.parse(ch.window);
  return t < w + 3_600_000 && t >= w - windowMs;
}

export const deploymentCorrelation: Signal = {
  name: 'deploymentCorrelation',
  evaluate(ctx: SignalContext): SignalOutput {
    const { cluster, options } = ctx;
    const deploys = ctx.deploys.filter((d) => d.subject === cluster.subject);
    const explainedBy: (DeployEvent | undefined)[] = cluster.changes.map(() => undefined);
    // New keys first: a key a deploy introduced may then appear in new transitions of the same cluster.
    const explainedKeys = new Set<string>();
    const order = cluster.changes
      .map((c, i) => [c, i] as const)
      .sort(([a], [b]) => (a.type === 'new-key' ? 0 : 1) - (b.type === 'new-key' ? 0 : 1));
    for (const [ch, i] of order) {
      const d = deploys.find(
        (d) => applicable(d, ch, options.deployWindowMs) && explains(d, ch, cluster.known, explainedKeys, options),
      );
      if (d) {
        explainedBy[i] = d;
        if (ch.type === 'new-key') explainedKeys.add(ch.key);
      }
    }
    const byChange = cluster.changes.map((ch, i) => (explainedBy[i] ? 0 : LAYER_SEVERITY[ch.layer]));
    const used = new Map<string, { deploy: DeployEvent; explained: number }>();
    explainedBy.forEach((d) => {
      if (!d) return;
      const u = used.get(d.id) ?? { deploy: d, explained: 0 };
      u.explained++;
      used.set(d.id, u);
    });
    const unexplained = cluster.changes.filter((_, i) => !explainedBy[i]);
    const nearby = deploys.filter((d) => cluster.changes.some((ch) => applicable(d, ch, options.deployWindowMs)));
    const details: Record<string, unknown>[] = [
      ...[...used.values()].map((u) => ({
        deployId: u.deploy.id,
        kind: u.deploy.kind,
        time: u.deploy.time,
        summary: u.deploy.summary,
        explains: u.explained,
      })),
      ...unexplained.slice(0, 10).map((c) => ({ unexplained: c.key, type: c.type, layer: c.layer, window: c.window })),
    ];
    const reason =
      unexplained.length === 0
        ? `all ${cluster.changes.length} changes explained by ${used.size} deploy(s)`
        : nearby.length === 0
          ? `${unexplained.length} of ${cluster.changes.length} changes with no deploy in the ${options.deployWindowMs / 3_600_000} h before`
          : `${unexplained.length} of ${cluster.changes.length} changes not consistent with the ${nearby.length} deploy(s) before them (${nearby.map((d) => d.kind).join(', ')})`;
    const deployRefs = [...used.values()]
      .filter((u) => u.deploy.observationId)
      .map((u) => ({
        observationId: u.deploy.observationId!,
        key: `deploy:${u.deploy.kind}`,
        time: u.deploy.time,
        correlation: {},
      }));
    const unexplainedKeys = new Set(unexplained.flatMap((c) => (c.transition ? c.transition : [c.key])));
    return signalOutput(
      byChange,
      reason,
      details,
      [...deployRefs, ...refsForKeys(ctx.evidence, unexplainedKeys)].slice(0, 20),
    );
  },
};
