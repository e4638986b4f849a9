/**
 * Builds the inventory of one subject at time T from its aggregates: what was seen in the lookback period before T
 * (default 7 days). Startup artifacts (packages, prompts, MCP servers, model files) keep the state last seen, so a
 * rollout that changed a version or a prompt shows the new one once it has been observed.
 */
import { createHash } from 'node:crypto';
import type { AggregateRow } from '../store/aggregate-row.ts';
import { parseModelId } from './models.ts';
import { collectServices } from './services.ts';
import type { FrameworkItem, Inventory, McpServerItem, ModelFileItem, ModelItem, PromptItem } from './types.ts';

export interface InventoryInput {
  subject: string;
  rows: readonly AggregateRow[];
  at: string;
  /** Lookback in ms (default 7 days). */
  lookbackMs?: number;
  /** Configured model ids (any form: id, profile, ARN). */
  configuredModels?: string[];
  /** Extra argv patterns (regex sources) that identify MCP servers spawned over stdio. */
  mcpPatterns?: string[];
  /** Extra prompt items (e.g. the Bedrock agent's configuration hash, see bedrock-prompt.ts). */
  extraPrompts?: PromptItem[];
}

const AI_FRAMEWORKS = new Set([
  'langchain',
  'langchain-core',
  'langchain-community',
  'langchain-aws',
  'langgraph',
  'llama-index',
  'llama_index',
  'llama-index-core',
  'transformers',
  'torch',
  'tensorflow',
  'jax',
  'vllm',
  'openai',
  'anthropic',
  'boto3',
  'botocore',
  'sentence-transformers',
  'huggingface-hub',
  'safetensors',
  'tokenizers',
  'accelerate',
  'onnxruntime',
  'llama-cpp-python',
  'crewai',
  'autogen',
  'pyautogen',
  'semantic-kernel',
  'dspy',
  'haystack-ai',
  'mcp',
  'strands-agents',
  '@modelcontextprotocol/sdk',
  '@anthropic-ai/sdk',
  'langchain',
  '@langchain/core',
  '@langchain/community',
  '@aws-sdk/client-bedrock-runtime',
  'ai',
  'llamaindex',
  '@huggingface/transformers',
  'onnxruntime-node',
]);

const WEIGHT_EXT = /\.(safetensors|gguf|ggml|onnx|pt|pth|bin|ckpt|h5|tflite|mlmodel|pb)$/i;
const ALWAYS_WEIGHTS = /\.(safetensors|gguf|ggml|onnx|ckpt)$/i;
const MODEL_DIR = /\/(models?|weights|checkpoints|\.cache\/huggingface|hf_cache|huggingface)\//i;

const DEFAULT_MCP_PATTERNS = [
  // npx -y @modelcontextprotocol/server-filesystem /data
  String.raw`(?:^|\s)(@modelcontextprotocol/(server-[\w.-]+))`,
  // uvx mcp-server-git, python -m mcp_server_fetch
  String.raw`(?:^|\s|/)((mcp[-_]server[-_][\w.-]+))`,
  String.raw`(?:^|\s|/)(([\w.-]+-mcp-server|[\w.-]+-mcp))(?:\s|$|@)`,
];

const DIST_INFO = /\/site-packages\/([A-Za-z0-9_.]+)-([0-9][^/]*)\.dist-info\//;
const NODE_PKG = /\/node_modules\/((?:@[^/]+\/)?[^/@]+)\/package\.json$/;

function attrString(attrs: Record<string, unknown>, ...names: string[]): string | undefined {
  for (const n of names) {
    const v = attrs[n];
    if (typeof v === 'string' && v) return v;
  }
  return undefined;
}

function attrNumber(attrs: Record<string, unknown>, ...names: string[]): number | undefined {
  for (const n of names) {
    const v = attrs[n];
    if (typeof v === 'number' && Number.isFinite(v)) return v;
  }
  return undefined;
}

function argvOf(attrs: Record<string, unknown>): string | undefined {
  const a = attrs.argv;
  if (Array.isArray(a)) return a.join(' ');
  return typeof a === 'string' ? a : undefined;
}

const INFERENCE_PARAMS = ['temperature', 'topP', 'topK', 'maximumLength'] as const;

/** Region, operation and inference parameters a model row recorded (rows come in window order: last seen wins). */
function addModelFacts(m: ModelItem, r: AggregateRow): void {
  const region = attrString(r.attrs, 'region');
  if (region) m.region = region;
  const op = attrString(r.attrs, 'operation');
  if (op) {
    m.operations ??= [];
    if (!m.operations.includes(op) && m.operations.length < 10) m.operations.push(op);
  }
  const params: Record<string, number> = {};
  for (const p of INFERENCE_PARAMS) {
    const v = attrNumber(r.attrs, p);
    if (v !== undefined) params[p] = v;
  }
  if (Object.keys(params).length > 0) m.parameters = params;
}

const byKey =
  <T>(f: (x: T) => string) =>
  (a: T, b: T) =>
    f(a) < f(b) ? -1 : f(a) > f(b) ? 1 : 0;

export function buildInventory(input: InventoryInput): Inventory {
  const atMs = Date.parse(input.at);
  const from = new Date(atMs - (input.lookbackMs ?? 7 * 86_400_000)).toISOString();
  // Rows whose hourly window started in [from, at].
  const fromHour = new Date(Math.floor(Date.parse(from) / 3_600_000) * 3_600_000).toISOString();
  const rows = input.rows
    .filter((r) => r.subject === input.subject && r.window >= fromHour && r.window <= input.at)
    .sort(byKey((r) => r.window));

  const models = new Map<string, ModelItem>();
  const files = new Map<string, ModelFileItem>();
  const pkgs = new Map<string, FrameworkItem>();
  const mcps = new Map<string, McpServerItem>();
  const prompts = new Map<string, PromptItem>();
  const mcpPatterns = [...DEFAULT_MCP_PATTERNS, ...(input.mcpPatterns ?? [])].map((p) => new RegExp(p));
  const lastSeenOf = (r: AggregateRow) => (r.lastSeen <= input.at ? r.lastSeen : input.at);

  const addPkg = (eco: string, name: string, version: string, r: AggregateRow) => {
    const id = `${eco}:${name.toLowerCase()}`;
    const cur = pkgs.get(id);
    const seen = lastSeenOf(r);
    if (!cur) {
      pkgs.set(id, {
        ecosystem: eco,
        name,
        version,
        versionsSeen: [version],
        ai: AI_FRAMEWORKS.has(name.toLowerCase()),
        lastSeen: seen,
      });
      return;
    }
    if (!cur.versionsSeen.includes(version)) cur.versionsSeen.push(version);
    if (seen >= cur.lastSeen) {
      cur.version = version;
      cur.lastSeen = seen;
    }
  };
  const addFile = (path: string, r: AggregateRow) => {
    const ext = /\.([A-Za-z0-9]+)$/.exec(path)?.[1]?.toLowerCase() ?? 'unknown';
    const cur = files.get(path);
    const size = attrNumber(r.attrs, 'size', 'bytes', 'fileSize');
    const sha = attrString(r.attrs, 'sha256');
    if (!cur) {
      files.set(path, {
        path,
        format: ext,
        firstSeen: r.firstSeen,
        lastSeen: lastSeenOf(r),
        ...(size !== undefined ? { size } : {}),
        ...(sha ? { sha256: sha } : {}),
      });
      return;
    }
    cur.lastSeen = lastSeenOf(r) > cur.lastSeen ? lastSeenOf(r) : cur.lastSeen;
    if (size !== undefined) cur.size = size;
    if (sha) cur.sha256 = sha;
  };
  const addMcp = (
    transport: 'stdio' | 'remote',
    name: string,
    via: McpServerItem['via'],
    r: AggregateRow,
    command?: string,
  ) => {
    const id = `${transport}:${name}`;
    const cur = mcps.get(id);
    if (!cur)
      mcps.set(id, {
        transport,
        name,
        via,
        firstSeen: r.firstSeen,
        lastSeen: lastSeenOf(r),
        ...(command ? { command } : {}),
      });
    else cur.lastSeen = lastSeenOf(r) > cur.lastSeen ? lastSeenOf(r) : cur.lastSeen;
  };

  for (const r of rows) {
    const key = r.key;
    if (key.startsWith('model:file:')) addFile(key.slice('model:file:'.length), r);
    else if (key.startsWith('model:')) {
      const invoked = key.slice('model:'.length);
      const p = parseModelId(invoked);
      let cur = models.get(p.modelId);
      if (!cur) {
        cur = {
          modelId: p.modelId,
          invokedAs: [invoked],
          provider: p.provider,
          count: r.count,
          firstSeen: r.firstSeen,
          lastSeen: lastSeenOf(r),
          ...(p.inferenceProfile ? { inferenceProfile: p.inferenceProfile } : {}),
        };
        models.set(p.modelId, cur);
      } else {
        cur.count += r.count;
        if (!cur.invokedAs.includes(invoked)) cur.invokedAs.push(invoked);
        if (p.inferenceProfile) cur.inferenceProfile = p.inferenceProfile;
        if (r.firstSeen < cur.firstSeen) cur.firstSeen = r.firstSeen;
        if (lastSeenOf(r) > cur.lastSeen) cur.lastSeen = lastSeenOf(r);
      }
      addModelFacts(cur, r);
    } else if (key.startsWith('pkg:')) {
      const m = /^pkg:([^:]+):(.+)@([^@]+)$/.exec(key);
      if (m) addPkg(m[1]!, m[2]!, m[3]!, r);
    } else if (key.startsWith('open:')) {
      const path = key.slice('open:'.length);
      const di = DIST_INFO.exec(path);
      const np = NODE_PKG.exec(path);
      if (di) addPkg('pypi', di[1]!.replace(/_/g, '-'), di[2]!, r);
      else if (np && attrString(r.attrs, 'version')) addPkg('npm', np[1]!, attrString(r.attrs, 'version')!, r);
      else if (ALWAYS_WEIGHTS.test(path) || (WEIGHT_EXT.test(path) && MODEL_DIR.test(path))) addFile(path, r);
    } else if (key.startsWith('mcp:')) {
      const m = /^mcp:(stdio|remote):(.+)$/.exec(key);
      if (m) addMcp(m[1] as 'stdio' | 'remote', m[2]!, 'mcp-key', r, attrString(r.attrs, 'command') ?? argvOf(r.attrs));
    } else if (key.startsWith('exec:')) {
      const argv = argvOf(r.attrs);
      if (argv) {
        for (const re of mcpPatterns) {
          const m = re.exec(argv);
          if (m) {
            addMcp('stdio', (m[2] ?? m[1] ?? m[0]).trim(), 'exec', r, argv);
            break;
          }
        }
      }
    } else if (key.startsWith('prompt:')) {
      const sha = attrString(r.attrs, 'sha256');
      const id = key.slice('prompt:'.length);
      const cur = prompts.get(id);
      if (sha && (!cur || lastSeenOf(r) >= cur.lastSeen)) prompts.set(id, { id, sha256: sha, lastSeen: lastSeenOf(r) });
    }
  }
  for (const p of input.extraPrompts ?? []) prompts.set(p.id, p);

  const configured = (input.configuredModels ?? []).map((m) => parseModelId(m).modelId);
  const modelList = [...models.values()].sort((a, b) => b.count - a.count || (a.modelId < b.modelId ? -1 : 1));
  if (configured.length > 0) for (const m of modelList) m.configured = configured.includes(m.modelId);
  const primary = modelList[0]?.modelId;
  const actual = modelList.map((m) => m.modelId);
  const fellBack = configured.length > 0 && primary !== undefined && !configured.includes(primary);

  const promptList = [...prompts.values()].sort(byKey((p) => p.id));
  const promptVersion =
    promptList.length > 0
      ? createHash('sha256')
          .update(promptList.map((p) => `${p.id}=${p.sha256}`).join('\n'))
          .digest('hex')
          .slice(0, 16)
      : undefined;

  return {
    subject: input.subject,
    at: input.at,
    from,
    models: modelList,
    ...(primary ? { primaryModel: primary } : {}),
    configuredModels: configured,
    ...(fellBack ? { fallback: { configured, actual } } : {}),
    modelFiles: [...files.values()].sort(byKey((f) => f.path)),
    frameworks: [...pkgs.values()].sort(byKey((p) => `${p.ecosystem}:${p.name}`)),
    mcpServers: [...mcps.values()].sort(byKey((m) => `${m.transport}:${m.name}`)),
    prompts: promptList,
    ...(promptVersion ? { promptVersion } : {}),
    ...collectServices(input.subject, rows, lastSeenOf),
  };
}
