/**
 * The live declared-scope reader with default AWS SDK configuration (region and credentials from the environment),
 * plus the Kubernetes snapshot from the current kubeconfig for k8s subjects. Used by the CLI's `--aws` and the Lambda.
 */
import { BedrockAgentClient } from '@aws-sdk/client-bedrock-agent';
import { EKSClient } from '@aws-sdk/client-eks';
import { IAMClient } from '@aws-sdk/client-iam';
import { S3Client } from '@aws-sdk/client-s3';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { recordCalls } from '../adapters/aws-calls.ts';
import { createDeclaredScopeReader } from '../adapters/declared-scope.ts';
import { type K8sSnapshot, readK8sSnapshot } from '../adapters/k8s-scope.ts';
import { parseSubject } from '../core/observation.ts';
import type { DeclaredScopeReader } from '../ports.ts';

export async function awsDeclaredScopeReader(
  subject: string,
  kubeContext?: string,
  withKube = true,
): Promise<DeclaredScopeReader> {
  const s = parseSubject(subject);
  const region = s?.kind === 'bedrock' ? s.scope : undefined;
  const account = (await recordCalls(new STSClient(region ? { region } : {})).send(new GetCallerIdentityCommand({})))
    .Account;
  let k8s: K8sSnapshot | undefined;
  if (s?.kind === 'k8s' && withKube) k8s = (await readK8sSnapshot(s.scope!, kubeContext)).snapshot;
  return createDeclaredScopeReader({
    iam: recordCalls(new IAMClient({})),
    s3: recordCalls(new S3Client(region ? { region } : {})),
    eks: recordCalls(new EKSClient({})),
    bedrockAgent: recordCalls(new BedrockAgentClient(region ? { region } : {})),
    ...(account ? { account } : {}),
    ...(k8s ? { k8s } : {}),
    now: () => new Date().toISOString(),
  });
}
