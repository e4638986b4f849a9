/**
 * The live declared-scope readers with default AWS SDK configuration (region and credentials from the environment),
 * plus the Kubernetes snapshot from the current kubeconfig for k8s subjects. Used by the CLI's `--aws` and the
 * reconcile Lambda. The SDK clients are built once per region (a Bedrock subject names its region) and reused for
 * every subject read through the same readers.
 */
import { BedrockAgentClient } from '@aws-sdk/client-bedrock-agent';
import { EKSClient } from '@aws-sdk/client-eks';
import { IAMClient } from '@aws-sdk/client-iam';
import { S3Client } from '@aws-sdk/client-s3';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { parseSubject } from '../core/observation.ts';
import type { DeclaredScopeReader } from '../ports.ts';
import { recordCalls } from './aws-calls.ts';
import { createDeclaredScopeReader } from './declared-scope.ts';
import { type K8sSnapshot, readK8sSnapshot } from './k8s-scope.ts';

interface RegionClients {
  sts: STSClient;
  s3: S3Client;
  bedrockAgent: BedrockAgentClient;
}

/** Reads the declared scope of a subject live; `kubeContext` picks the kubeconfig context for k8s subjects. */
export type AwsDeclaredScopeReaders = (subject: string, kubeContext?: string) => Promise<DeclaredScopeReader>;

/**
 * Declared-scope readers over one set of SDK clients.
 * @example const readers = awsDeclaredScopeReaders(); const reader = await readers('bedrock:us-east-1/AGENT1');
 */
export function awsDeclaredScopeReaders(): AwsDeclaredScopeReaders {
  const iam = recordCalls(new IAMClient({}));
  const eks = recordCalls(new EKSClient({}));
  const byRegion = new Map<string, RegionClients>();
  const clientsFor = (region: string | undefined): RegionClients => {
    let c = byRegion.get(region ?? '');
    if (!c) {
      const config = region ? { region } : {};
      c = {
        sts: recordCalls(new STSClient(config)),
        s3: recordCalls(new S3Client(config)),
        bedrockAgent: recordCalls(new BedrockAgentClient(config)),
      };
      byRegion.set(region ?? '', c);
    }
    return c;
  };
  return async (subject, kubeContext) => {
    const s = parseSubject(subject);
    const clients = clientsFor(s?.kind === 'bedrock' ? s.scope : undefined);
    const account = (await clients.sts.send(new GetCallerIdentityCommand({}))).Account;
    let k8s: K8sSnapshot | undefined;
    if (s?.kind === 'k8s') k8s = (await readK8sSnapshot(s.scope!, kubeContext)).snapshot;
    return createDeclaredScopeReader({
      iam,
      s3: clients.s3,
      eks,
      bedrockAgent: clients.bedrockAgent,
      ...(account ? { account } : {}),
      ...(k8s ? { k8s } : {}),
      now: () => new Date().toISOString(),
    });
  };
}
