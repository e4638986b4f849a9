/**
 * The state one scenario run carries from hour to hour: the spec, the one seeded PRNG, the telemetry written so far,
 * the ground truth, the agent's current configuration, its principals and the node-agent records of the open hour.
 * The builders (./pods.ts, ./sessions.ts, ./incidents.ts, ./generate.ts) all draw from `rng` in a fixed order, which
 * is what makes a seed reproduce a scenario byte for byte.
 */
import type { NodeAgentRecordInput } from '../../core/sources/node-agent.ts';
import { Rng } from '../rng.ts';
import { nodeAgentBatch, type Principal } from './formats.ts';
import type { At, FlowSpec, GroundTruth, ScenarioSpec, Telemetry, ToolSpec } from './types.ts';

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

export const iso = (ms: number) => new Date(ms).toISOString();

/** Milliseconds of an `At` in the scenario. */
export function atMs(spec: ScenarioSpec, at: At): number {
  return Date.parse(spec.start) + ((at.week - 1) * 7 + at.day) * DAY + at.hour * HOUR + (at.minute ?? 0) * 60_000;
}

/** One replica of the agent's Deployment, from its start to its replacement. */
export interface Pod {
  name: string;
  ip: string;
  node: string;
  eni: string;
  containerId: string;
  cgroupId: string;
  uid: string;
  from: number;
  to?: number;
  roleSession: string;
  roleId: string;
  accessKeyId: string;
}

/** What the agent runs now; incidents change it. */
export interface AgentState {
  model: string;
  flows: FlowSpec[];
  tools: ToolSpec[];
  ticketsPerHour: number;
  digest: string;
  packages: { name: string; version: string }[];
  promptSha: string;
  extraExec?: string;
  agentVersion: number;
}

export interface ScenarioRun {
  spec: ScenarioSpec;
  rng: Rng;
  subject: string;
  tel: Telemetry;
  truth: GroundTruth;
  state: AgentState;
  /** The CI role that updates the Bedrock agent. */
  deployer: Principal;
  /** The Bedrock agent's service role (model invocations). */
  agentPrincipal: Principal;
  podRoleId: string;
  ticketSeq: number;
  ipSeq: number;
  pods: Pod[];
  previousDigest?: string;
  /** node -> node-agent records of the current hour. */
  batch: Map<string, NodeAgentRecordInput[]>;
}

const sha = (rng: Rng) => rng.hex(64);

/** A principal with freshly drawn ids. */
function principal(rng: Rng, account: string, roleName: string, sessionName: string): Principal {
  return { account, roleName, sessionName, roleId: `AROA${rng.upper(17)}`, accessKeyId: `ASIA${rng.upper(16)}` };
}

/** Starts a run: the agent's first configuration and principals, drawn from the spec's seed. */
export function startRun(spec: ScenarioSpec): ScenarioRun {
  const rng = new Rng(spec.seed);
  const subject = `k8s:${spec.cluster}/${spec.namespace}/${spec.deployment}`;
  const state: AgentState = {
    model: spec.agent.model,
    flows: spec.flows,
    tools: spec.tools,
    ticketsPerHour: spec.ticketsPerHour,
    digest: `sha256:${sha(rng)}`,
    packages: [
      { name: 'boto3', version: '1.35.80' },
      { name: 'httpx', version: '0.28.1' },
      { name: 'pydantic', version: '2.10.4' },
    ],
    promptSha: sha(rng),
    agentVersion: 1,
  };
  const deployer = principal(rng, spec.account, spec.deployRole, 'gitlab-ci-deploy');
  const agentPrincipal = principal(rng, spec.account, spec.agent.serviceRole, `BedrockAgent-${spec.agent.id}`);
  const podRoleId = `AROA${rng.upper(17)}`;
  return {
    spec,
    rng,
    subject,
    tel: { cloudtrail: [], invocations: [], traces: [], flows: [], nodeAgent: [] },
    truth: { subject, events: [], tickets: 0, exports: 0, pods: [] },
    state,
    deployer,
    agentPrincipal,
    podRoleId,
    ticketSeq: 48_000 + rng.int(0, 999),
    ipSeq: 20,
    pods: [],
    batch: new Map(),
  };
}

/** A fresh 64-hex digest (image, prompt). */
export const newSha = (run: ScenarioRun) => sha(run.rng);

/** Queues a node-agent record for the current hour's batch of `node`. */
export function record(run: ScenarioRun, node: string, r: NodeAgentRecordInput): void {
  const list = run.batch.get(node) ?? [];
  list.push(r);
  run.batch.set(node, list);
}

/** Closes the hour: one node-agent batch per node that recorded anything. */
export function flushHour(run: ScenarioRun, hourStart: number): void {
  for (const [node, records] of run.batch) {
    if (records.length === 0) continue;
    run.tel.nodeAgent.push(nodeAgentBatch(node, run.spec.cluster, iso(hourStart), iso(hourStart + HOUR), records));
  }
  run.batch = new Map();
}
