/**
 * Deployment name from a pod name when nothing better is known. A Deployment's pods are named
 * `<deployment>-<pod-template-hash>-<5 random>`, both suffixes drawn from Kubernetes' safe alphabet
 * (`bcdfghjklmnpqrstvwxz2456789`, no vowels), so stripping them is unambiguous enough to use as a fallback.
 */
const SAFE = '[bcdfghjklmnpqrstvwxz2456789]';
const DEPLOYMENT_POD = new RegExp(`^(.+)-${SAFE}{5,10}-${SAFE}{5}$`);
const REPLICASET = new RegExp(`^(.+)-${SAFE}{5,10}$`);

/** `support-agent-7d9f8b6c5d-x2x9q` -> `support-agent`; undefined when the name is not a Deployment pod's. */
export function deploymentFromPodName(pod: string): string | undefined {
  return DEPLOYMENT_POD.exec(pod)?.[1];
}

/** `support-agent-7d9f8b6c5d` -> `support-agent`, optionally checking the pod-template-hash label. */
export function deploymentFromReplicaSetName(rs: string, podTemplateHash?: string): string | undefined {
  if (podTemplateHash) return rs.endsWith(`-${podTemplateHash}`) ? rs.slice(0, -podTemplateHash.length - 1) : undefined;
  return REPLICASET.exec(rs)?.[1];
}
