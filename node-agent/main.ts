/**
 * Entry point of the node agent container (DaemonSet): `node --import tsx node-agent/main.ts`.
 * Credentials come from the default provider chain (EKS Pod Identity or IRSA on the agent's service account).
 */
import { readFileSync } from 'node:fs';
import { STSClient } from '@aws-sdk/client-sts';
import { countingPolicy, NodeAgent } from './agent.ts';
import { inventoryOptions, loadAgentEnv } from './config.ts';
import { apiServerPodSource, kubeConfig, kubeletPodSource } from './kube.ts';
import { startLoader } from './loader.ts';
import { BatchShipper, httpSink } from './shipper.ts';

const VERSION = '0.1.0';

function log(msg: string, fields?: Record<string, unknown>): void {
  process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), msg, ...fields })}\n`);
}

const env = loadAgentEnv();
// The STS client's resolved credential provider is the SDK's default chain (env, web identity/IRSA, container
// credentials/Pod Identity, IMDS), memoized and refreshed before expiry.
const credentials = new STSClient({ region: env.AWS_REGION }).config.credentials;
const shipper = new BatchShipper(
  httpSink({
    endpoint: env.WARDEN_INGEST_URL,
    region: env.AWS_REGION,
    service: env.WARDEN_INGEST_SERVICE,
    credentials,
  }),
  { maxQueue: env.WARDEN_MAX_QUEUE },
);
const saToken = '/var/run/secrets/kubernetes.io/serviceaccount/token';
const podSource =
  env.WARDEN_POD_SOURCE === 'kubelet'
    ? kubeletPodSource({ url: env.WARDEN_KUBELET_URL!, token: readFileSync(saToken, 'utf8').trim() })
    : apiServerPodSource(kubeConfig(), env.NODE_NAME);
const loader = startLoader({
  cgroupRoot: env.WARDEN_CGROUP_ROOT,
  ...(env.WARDEN_LOADER ? { binary: env.WARDEN_LOADER } : {}),
});
const ready = await loader.ready();
log('loader ready', { programs: ready.programs, features: ready.features });

const agent = new NodeAgent({
  node: env.NODE_NAME,
  cluster: env.WARDEN_CLUSTER,
  version: VERSION,
  loader,
  shipper,
  podSource,
  cgroupRoot: env.WARDEN_CGROUP_ROOT,
  procRoot: env.WARDEN_PROC_ROOT,
  windowMs: env.WARDEN_WINDOW_SECONDS * 1000,
  ship: { shipMs: env.WARDEN_SHIP_SECONDS * 1000, earlyPerHour: env.WARDEN_EARLY_SHIPS_PER_HOUR },
  countSyscalls: countingPolicy(env.WARDEN_COUNT_SYSCALLS, env.WARDEN_COUNT_SYSCALLS_DEFAULT),
  inventory: inventoryOptions(env),
  redactArgv: env.WARDEN_REDACT_ARGV,
  log,
});
agent.start();

const stats = setInterval(() => log('stats', { ...agent.stats() }), 5 * 60_000);
let stopping = false;
for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  process.on(sig, () => {
    if (stopping) return;
    stopping = true;
    clearInterval(stats);
    log('stopping', { signal: sig });
    agent.stop().then(
      () => process.exit(0),
      (e) => {
        log('stop failed', { error: String(e) });
        process.exit(1);
      },
    );
  });
}
