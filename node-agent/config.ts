/**
 * Node agent configuration from the environment (the DaemonSet sets these; see deploy/node-agent). Validated with
 * zod: a bad value stops the agent at start with the variable's name, instead of running half-configured.
 */
import { z } from 'zod';
import { DEFAULT_INVENTORY, type InventoryOptions } from './inventory.ts';

const list = z
  .string()
  .optional()
  .transform((s) =>
    s
      ? s
          .split(',')
          .map((x) => x.trim())
          .filter(Boolean)
      : [],
  );
const bool = (d: boolean) =>
  z
    .enum(['true', 'false', '1', '0'])
    .optional()
    .transform((v) => (v === undefined ? d : v === 'true' || v === '1'));

export const agentEnvSchema = z.object({
  NODE_NAME: z.string().min(1, 'NODE_NAME (downward API spec.nodeName) is required'),
  WARDEN_CLUSTER: z.string().min(1, 'WARDEN_CLUSTER (the EKS cluster name) is required'),
  WARDEN_INGEST_URL: z.string().url(),
  AWS_REGION: z.string().min(1),
  /** SigV4 service of the ingestion endpoint: `lambda` for the stack's function URL (AWS_IAM auth). */
  WARDEN_INGEST_SERVICE: z.string().default('lambda'),
  /** `api-server` (default) or `kubelet`. */
  WARDEN_POD_SOURCE: z.enum(['api-server', 'kubelet']).default('api-server'),
  WARDEN_KUBELET_URL: z.string().url().optional(),
  WARDEN_CGROUP_ROOT: z.string().default('/sys/fs/cgroup'),
  WARDEN_PROC_ROOT: z.string().default('/proc'),
  /** Collection tick: pods re-read, the loader's counts pulled, news checked. */
  WARDEN_WINDOW_SECONDS: z.coerce.number().int().min(5).max(3600).default(60),
  /**
   * Longest a subject's window stays open (it also closes at each UTC hour, and early for its news). 30 minutes: news
   * ships within one tick anyway; only repeat counts of known behaviors wait (node-agent/ship-clock.ts).
   */
  WARDEN_SHIP_SECONDS: z.coerce.number().int().min(5).max(3600).default(1800),
  /**
   * Batches closed early for news (a new behavior, an identity change) per UTC hour; each takes only the subjects
   * holding news. 0 = news waits for the full window.
   */
  WARDEN_EARLY_SHIPS_PER_HOUR: z.coerce.number().int().min(0).max(720).default(6),
  WARDEN_MAX_QUEUE: z.coerce.number().int().min(1).max(10_000).default(60),
  /** `<namespace>/<deployment>` selectors (wildcards `*`) whose pods get syscall counting. */
  WARDEN_COUNT_SYSCALLS: list,
  WARDEN_COUNT_SYSCALLS_DEFAULT: bool(false),
  WARDEN_REDACT_ARGV: bool(true),
  WARDEN_INVENTORY: bool(true),
  WARDEN_INVENTORY_ROOTS: list,
  WARDEN_PROMPT_GLOBS: list,
  WARDEN_LOADER: z.string().optional(),
});
export type AgentEnv = z.infer<typeof agentEnvSchema>;

/** Parses the environment; throws one message naming every bad variable. */
export function loadAgentEnv(env: NodeJS.ProcessEnv = process.env): AgentEnv {
  const r = agentEnvSchema.safeParse(env);
  if (!r.success) {
    throw new Error(
      `node agent configuration: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  if (r.data.WARDEN_POD_SOURCE === 'kubelet' && !r.data.WARDEN_KUBELET_URL) {
    throw new Error('node agent configuration: WARDEN_KUBELET_URL is required with WARDEN_POD_SOURCE=kubelet');
  }
  return r.data;
}

export function inventoryOptions(env: AgentEnv): InventoryOptions | false {
  if (!env.WARDEN_INVENTORY) return false;
  return {
    ...DEFAULT_INVENTORY,
    ...(env.WARDEN_INVENTORY_ROOTS.length ? { roots: env.WARDEN_INVENTORY_ROOTS } : {}),
    ...(env.WARDEN_PROMPT_GLOBS.length ? { promptGlobs: env.WARDEN_PROMPT_GLOBS } : {}),
  };
}
