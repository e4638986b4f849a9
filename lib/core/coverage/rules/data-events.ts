import { type Capture, coversRegion, dataCapture } from '../selectors.ts';
import type { CoverageCheck, CoverageInput, CoverageRule } from '../types.ts';
import { unknownIfUnread } from './unread.ts';

/** Data event types Warden reads, and what their absence hides. */
export const DATA_EVENT_TYPES = [
  {
    id: 's3-data-events',
    resourceType: 'AWS::S3::Object',
    hides:
      'no S3 data events = no object-level GetObject/PutObject by agents: a bulk write to an export bucket is invisible',
  },
  {
    id: 'lambda-data-events',
    resourceType: 'AWS::Lambda::Function',
    hides:
      'no Lambda data events = no Invoke of action-group Lambdas: Bedrock agent tool calls lack their cloud-api side',
  },
  {
    id: 'bedrock-data-events',
    resourceType: 'AWS::Bedrock::AgentAlias',
    hides: 'no Bedrock data events = no InvokeAgent in the audit trail: who invoked which Bedrock agent is unknown',
  },
  {
    id: 'bedrock-kb-data-events',
    resourceType: 'AWS::Bedrock::KnowledgeBase',
    hides:
      'no knowledge base data events = no Retrieve/RetrieveAndGenerate: what agents read from knowledge bases is unknown',
  },
] as const;

function dataEventRule(spec: (typeof DATA_EVENT_TYPES)[number]): CoverageRule {
  return {
    id: spec.id,
    evaluate(input: CoverageInput): CoverageCheck[] {
      const unread = unknownIfUnread(input, 'trails', spec.id, 'account', spec.hides);
      if (unread) return [unread];
      let best: { capture: Capture; trail?: string } = { capture: 'none' };
      for (const t of input.trails) {
        if (!coversRegion(t, input.region) || t.logging === false) continue;
        const c = dataCapture(t, spec.resourceType);
        if (c === 'all' || (c === 'partial' && best.capture === 'none')) best = { capture: c, trail: t.name };
      }
      if (best.capture === 'all') {
        return [
          {
            check: spec.id,
            target: 'account',
            status: 'ok',
            detail: `trail ${best.trail} logs all ${spec.resourceType}`,
            hides: '',
          },
        ];
      }
      if (best.capture === 'partial') {
        return [
          {
            check: spec.id,
            target: 'account',
            status: 'partial',
            detail: `trail ${best.trail} logs ${spec.resourceType} for some resources or one direction only`,
            hides: `${spec.hides} (for resources outside the selector)`,
          },
        ];
      }
      return [
        {
          check: spec.id,
          target: 'account',
          status: 'missing',
          detail: `no logging trail has a data event selector for ${spec.resourceType}`,
          hides: spec.hides,
        },
      ];
    },
  };
}

export const dataEventRules: CoverageRule[] = DATA_EVENT_TYPES.map(dataEventRule);
