/**
 * Writes generated telemetry to files in the layout AWS delivers them: a CloudTrail trail file (`{"Records":[...]}`),
 * Bedrock invocation logs as JSON lines, agent traces as JSON lines, VPC flow logs with their v2 header, and one
 * node-agent batch per line. Returns the paths, ready for `warden ingest` / ingestPaths.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Telemetry } from './types.ts';

export interface WrittenScenario {
  dir: string;
  files: string[];
}

export async function writeTelemetry(dir: string, tel: Telemetry): Promise<WrittenScenario> {
  await mkdir(dir, { recursive: true });
  const files: string[] = [];
  const put = async (name: string, text: string) => {
    const p = join(dir, name);
    await writeFile(p, text);
    files.push(p);
  };
  await put('cloudtrail.json', JSON.stringify({ Records: tel.cloudtrail }));
  await put('bedrock-invocations.jsonl', `${tel.invocations.map((x) => JSON.stringify(x)).join('\n')}\n`);
  await put('bedrock-agent-traces.jsonl', `${tel.traces.map((x) => JSON.stringify(x)).join('\n')}\n`);
  await put(
    'vpc-flow.log',
    `version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n${tel.flows.join('\n')}\n`,
  );
  await put('node-agent.jsonl', `${tel.nodeAgent.map((x) => JSON.stringify(x)).join('\n')}\n`);
  return { dir, files };
}
