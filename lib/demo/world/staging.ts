/**
 * The support agent's staging Deployment: one week on the production image before the week-7 release, the baseline
 * the pre-enforced track enforces from.
 */
import type { NodeAgentRecordInput } from '../../core/sources/node-agent.ts';
import { nodeAgentBatch } from '../scenarios/formats.ts';
import { HOUR, type WorldRun } from './neighbours.ts';

export const STAGING_POD = 'support-agent-7f6d5c-stg01';
export const STAGING_CLUSTER = 'staging-eks';
export const STAGING_IP = '10.20.1.15';

/** A week of the staging pod's node-agent batches from week 6 (day 35) of the world. */
export function stagingWeek(w: WorldRun, start: number): void {
  const { spec, rng } = w;
  const stagingStart = start + 35 * 86_400_000;
  const attribution = {
    namespace: spec.namespace,
    deployment: spec.deployment,
    pod: STAGING_POD,
    runtime: 'containerd' as const,
    containerId: rng.hex(64),
  };
  const prodEgress = Object.entries(spec.destinations).flatMap(([, ips]) => ips);
  for (let t = stagingStart; t < stagingStart + 7 * 86_400_000; t += HOUR) {
    const iso = new Date(t).toISOString();
    const tickets = rng.int(1, 4);
    const dns = (qname: string) => ({ type: 'dns' as const, time: iso, count: tickets, attribution, qname });
    const records: NodeAgentRecordInput[] = [
      {
        type: 'syscalls',
        time: iso,
        attribution,
        counts: {
          read: 500 * tickets,
          write: 120 * tickets,
          openat: 40 * tickets,
          close: 40 * tickets,
          mmap: 10 * tickets,
          futex: 200 * tickets,
          epoll_wait: 80 * tickets,
          connect: 3 * tickets,
          sendto: 20 * tickets,
          recvfrom: 40 * tickets,
          getrandom: tickets,
        },
      },
      ...prodEgress.map((ip) => ({
        type: 'connect' as const,
        time: iso,
        count: tickets,
        attribution,
        daddr: ip,
        dport: 443,
      })),
      dns('acme.zendesk.com'),
      dns('acme.my.salesforce.com'),
      dns('bedrock-agent-runtime.us-east-1.amazonaws.com'),
    ];
    if (t === stagingStart) {
      records.push({
        type: 'lease',
        ip: STAGING_IP,
        pod: STAGING_POD,
        namespace: spec.namespace,
        deployment: spec.deployment,
        from: iso,
        to: null,
      });
    }
    const end = new Date(t + HOUR - 1).toISOString();
    w.extra.nodeAgent.push(nodeAgentBatch('ip-10-20-1-9.ec2.internal', STAGING_CLUSTER, iso, end, records));
  }
}
