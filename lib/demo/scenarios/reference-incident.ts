/**
 * The reference incident (DESIGN.md): a customer-support agent on EKS, egress to Salesforce, Zendesk and an S3 export
 * bucket, seven weeks. A model update is deployed in week three (Bedrock UpdateAgent/PrepareAgent/UpdateAgentAlias),
 * a prompt template revision rolls out in week five (new prompt file hash in the pods' start inventory, and the agent
 * then checks order status first), and in week seven a ticket carries injected instructions that make the agent
 * write 2,400 customer records to the same bucket the weekly export uses.
 */
import type { At, FlowSpec, ScenarioSpec, ToolSpec } from './types.ts';

export const SUPPORT_TOOLS: ToolSpec[] = [
  { group: 'support-tools', fn: 'getTicket', host: 'zendesk' },
  { group: 'support-tools', fn: 'postReply', host: 'zendesk' },
  { group: 'crm-tools', fn: 'lookupCustomer', host: 'salesforce' },
  { group: 'crm-tools', fn: 'getOrderStatus', host: 'salesforce' },
  { group: 'crm-tools', fn: 'searchCustomers', host: 'salesforce' },
  { group: 'support-tools', fn: 'uploadExport', host: 's3' },
];

/** How tickets are handled before the prompt revision: common variants all appear within the first days. */
export const FLOWS_V1: FlowSpec[] = [
  {
    name: 'standard',
    weight: 6,
    steps: ['support-tools/getTicket', 'crm-tools/lookupCustomer', 'support-tools/postReply'],
  },
  {
    name: 'order',
    weight: 3,
    steps: [
      'support-tools/getTicket',
      'crm-tools/lookupCustomer',
      'crm-tools/getOrderStatus',
      'support-tools/postReply',
    ],
  },
  { name: 'faq', weight: 1, steps: ['support-tools/getTicket', 'support-tools/postReply'] },
];

/** After the week-five prompt revision: order status is checked before the customer lookup. */
export const FLOWS_V2: FlowSpec[] = [
  {
    name: 'order-first',
    weight: 7,
    steps: [
      'support-tools/getTicket',
      'crm-tools/getOrderStatus',
      'crm-tools/lookupCustomer',
      'support-tools/postReply',
    ],
  },
  {
    name: 'standard',
    weight: 2,
    steps: ['support-tools/getTicket', 'crm-tools/lookupCustomer', 'support-tools/postReply'],
  },
  { name: 'faq', weight: 1, steps: ['support-tools/getTicket', 'support-tools/postReply'] },
];

export const MODEL_V1 = 'anthropic.claude-3-haiku-20240307-v1:0';
export const MODEL_V2 = 'anthropic.claude-3-5-sonnet-20241022-v2:0';

export const INCIDENT_TIMES = {
  modelUpdate: { week: 3, day: 2, hour: 10, minute: 30 } satisfies At,
  promptRevision: { week: 5, day: 1, hour: 9, minute: 40 } satisfies At,
  injection: { week: 7, day: 1, hour: 14, minute: 5 } satisfies At,
};

/** The base spec of the support agent without events (the evaluation set adds its own). */
export function supportAgentSpec(overrides: Partial<ScenarioSpec> = {}): ScenarioSpec {
  return {
    name: 'support-agent',
    seed: 7,
    start: '2026-09-07T00:00:00.000Z',
    days: 49,
    account: '111122223333',
    region: 'us-east-1',
    cluster: 'prod-eks',
    namespace: 'support',
    deployment: 'support-agent',
    serviceAccount: 'support-agent',
    podRole: 'support-agent-irsa',
    agent: {
      id: 'SUPPAGENT1',
      aliasId: 'LIVEALIAS1',
      name: 'acme-support',
      serviceRole: 'AmazonBedrockExecutionRoleForAgents_support',
      model: MODEL_V1,
    },
    deployRole: 'gitlab-deployer',
    exportBucket: 'acme-support-exports',
    destinations: {
      zendesk: ['104.16.51.111', '104.16.53.111'],
      salesforce: ['13.110.54.40', '13.110.54.41'],
      s3: ['52.217.160.34', '52.217.141.90'],
    },
    tools: SUPPORT_TOOLS,
    flows: FLOWS_V1,
    ticketsPerHour: 2,
    businessHours: [8, 18],
    weeklyExport: { day: 6, hour: 2, objects: 24 },
    replicas: 2,
    nodes: ['ip-10-0-1-17.ec2.internal', 'ip-10-0-2-44.ec2.internal'],
    image: '111122223333.dkr.ecr.us-east-1.amazonaws.com/support-agent:1.14.2',
    promptPath: '/app/prompts/support-agent.md',
    events: [],
    ...overrides,
  };
}

/** The seven-week reference incident. */
export function referenceIncidentSpec(seed = 7): ScenarioSpec {
  return supportAgentSpec({
    name: 'reference-incident',
    seed,
    events: [
      { type: 'model-update', at: INCIDENT_TIMES.modelUpdate, model: MODEL_V2 },
      { type: 'prompt-revision', at: INCIDENT_TIMES.promptRevision, flows: FLOWS_V2 },
      { type: 'injection', at: INCIDENT_TIMES.injection, records: 2400 },
    ],
  });
}
