import type { CoverageCheck, CoverageInput, CoverageRule } from '../types.ts';
import { unknownIfUnread } from './unread.ts';

const HIDES = 'no VPC flow logs = no network egress of pods on this cluster: an exfiltration flow has no network layer';

/** Every watched cluster's VPC has an active flow log capturing all traffic. */
export const flowLogs: CoverageRule = {
  id: 'vpc-flow-logs',
  evaluate(input: CoverageInput) {
    return input.clusters.map((c): CoverageCheck => {
      const target = `cluster:${c.name}`;
      const unread =
        unknownIfUnread(input, 'clusters', this.id, target, HIDES) ??
        unknownIfUnread(input, 'flow-logs', this.id, target, HIDES);
      if (unread) return unread;
      if (c.error || !c.vpcId) {
        return {
          check: this.id,
          target,
          status: 'unknown',
          detail: `cluster not readable: ${c.error ?? 'no VPC'}`,
          hides: HIDES,
        };
      }
      const logs = input.flowLogs.filter((f) => f.resourceId === c.vpcId && f.active);
      if (logs.some((f) => f.trafficType === 'ALL' || f.trafficType === undefined)) {
        return { check: this.id, target, status: 'ok', detail: `flow log on ${c.vpcId}`, hides: '' };
      }
      if (logs.length > 0) {
        const types = [...new Set(logs.map((f) => f.trafficType))].join('+');
        return {
          check: this.id,
          target,
          status: 'partial',
          detail: `flow log on ${c.vpcId} records ${types} traffic only`,
          hides: `${HIDES} (${types === 'ACCEPT' ? 'rejected' : 'accepted'} flows)`,
        };
      }
      return {
        check: this.id,
        target,
        status: 'missing',
        detail: `no active flow log on VPC ${c.vpcId}`,
        hides: HIDES,
      };
    });
  },
};
