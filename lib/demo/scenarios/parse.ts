/**
 * Runs generated telemetry through the real source parsers in memory (no store), for fast evaluation runs.
 * Ingest through the store (lib/app/ingest) is what the integration tests and the demo use.
 */
import type { IdentityResolver } from '../../core/identity/types.ts';
import type { Observation, Reject } from '../../core/observation.ts';
import { getParser, parseText, registerParser } from '../../core/sources/index.ts';
import { nodeAgentParser } from '../../core/sources/node-agent.ts';
import type { Telemetry } from './types.ts';

if (!getParser('node-agent')) registerParser(nodeAgentParser);

export function parseTelemetry(
  tel: Telemetry,
  identity: IdentityResolver,
): { observations: Observation[]; rejects: Reject[] } {
  const ctx = { identity, promptContent: 'hash-and-excerpt' as const, excerptChars: 200 };
  const observations: Observation[] = [];
  const rejects: Reject[] = [];
  const run = (
    text: string,
    source: 'cloudtrail' | 'bedrock-invocation' | 'bedrock-trace' | 'vpc-flow' | 'node-agent',
  ) => {
    const r = parseText(text, { ...ctx, file: source }, { source });
    observations.push(...r.observations);
    rejects.push(...r.rejects);
  };
  run(JSON.stringify({ Records: tel.cloudtrail }), 'cloudtrail');
  run(tel.invocations.map((x) => JSON.stringify(x)).join('\n'), 'bedrock-invocation');
  run(tel.traces.map((x) => JSON.stringify(x)).join('\n'), 'bedrock-trace');
  run(tel.flows.join('\n'), 'vpc-flow');
  run(tel.nodeAgent.map((x) => JSON.stringify(x)).join('\n'), 'node-agent');
  return { observations, rejects };
}
