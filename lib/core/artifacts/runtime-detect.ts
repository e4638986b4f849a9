/**
 * Which runtimes a workload runs on, from the evidence Warden holds about it: the startup inventory (image,
 * packages, MCP servers) and what the node agent saw it exec and open. Decides which runtime bases
 * (./seccomp-bases) its seccomp envelope starts from. Inventory entries count even when aged out of the active
 * envelope: an image's runtime does not stop being there because it was recorded once, at container start.
 */
import { RUNTIME_BASES, type RuntimeId } from './seccomp-bases/index.ts';
import type { ArtifactBaseline, KeyEvidence } from './types.ts';
import { evidenceOf } from './types.ts';

interface Rule {
  id: RuntimeId;
  why: string;
  match: (key: string) => boolean;
}

/** The repository name and tag of an `image:` key (`.../python:3.12-slim@sha256:..` -> `python`, `3.12-slim`). */
function imageParts(key: string): { repo: string; tag: string } | undefined {
  if (!key.startsWith('image:')) return undefined;
  const ref = key.slice('image:'.length).replace(/@sha256:[0-9a-f]+$/, '');
  const last = ref.slice(ref.lastIndexOf('/') + 1);
  const [repo, tag = ''] = last.split(':');
  return { repo: repo!.toLowerCase(), tag: tag.toLowerCase() };
}

const image = (test: (p: { repo: string; tag: string }) => boolean) => (k: string) => {
  const p = imageParts(k);
  return p !== undefined && test(p);
};

/** One rule per kind of evidence; a runtime is detected when any of its rules matches a key. */
export const DETECTION_RULES: readonly Rule[] = [
  { id: 'cpython', why: 'a python executable ran', match: (k) => /^exec:.*\/python(\d+(\.\d+)?)?$/.test(k) },
  { id: 'cpython', why: 'PyPI packages in the image', match: (k) => k.startsWith('pkg:pypi:') },
  {
    id: 'cpython',
    why: 'Python modules or libpython opened',
    match: (k) => /^open:.*(\/python\d\.\d+\/|\/libpython\d|\.pyc?$)/.test(k),
  },
  { id: 'cpython', why: 'a Python base image', match: image((p) => /^(python|pypy)$/.test(p.repo)) },
  { id: 'nodejs', why: 'a node executable ran', match: (k) => /^exec:.*\/(node|nodejs|npx|npm)$/.test(k) },
  { id: 'nodejs', why: 'npm packages in the image', match: (k) => k.startsWith('pkg:npm:') },
  { id: 'nodejs', why: 'node_modules opened', match: (k) => /^open:.*\/node_modules\//.test(k) },
  // The node agent names an MCP stdio server by its package: a scoped name is an npm package started with npx.
  { id: 'nodejs', why: 'an npm MCP stdio server', match: (k) => /^mcp:stdio:@[^/]+\/./.test(k) },
  { id: 'nodejs', why: 'a Node.js base image', match: image((p) => p.repo === 'node') },
  { id: 'jvm', why: 'a java executable ran', match: (k) => /^exec:.*\/java$/.test(k) },
  { id: 'jvm', why: 'libjvm or jars opened', match: (k) => /^open:.*(\/libjvm\.so|\.jar)$/.test(k) },
  {
    id: 'jvm',
    why: 'a JVM base image',
    match: image((p) => /^(openjdk|eclipse-temurin|amazoncorretto|java|jre|jdk)$/.test(p.repo)),
  },
  {
    id: 'glibc',
    why: 'the glibc loader cache or libc.so.6 opened',
    match: (k) => /^open:(\/etc\/ld\.so\.cache|.*\/libc\.so\.6)$/.test(k),
  },
  { id: 'musl', why: 'the musl loader', match: (k) => /^(open|exec):.*\/ld-musl-[a-z0-9_]+\.so\.1$/.test(k) },
  { id: 'musl', why: 'an Alpine image', match: image((p) => p.repo === 'alpine' || p.tag.includes('alpine')) },
  // The Go runtime reads the huge page size at start; HotSpot does too, so a JVM rules it out (see detectRuntimes).
  {
    id: 'go',
    why: "the Go runtime's start-up read of the huge page size",
    match: (k) => k === 'open:/sys/kernel/mm/transparent_hugepage/hpage_pmd_size',
  },
  { id: 'go', why: 'a Go base image', match: image((p) => p.repo === 'golang') },
];

const matchesAny = (key: string) => DETECTION_RULES.some((r) => r.match(key));

export interface ChosenBase {
  id: RuntimeId;
  /** Why this base is in the envelope. */
  reason: string;
  /** The keys that showed the runtime (empty when it is included without its own evidence). */
  evidence: KeyEvidence[];
}

export interface RuntimeDetection {
  /** Runtimes the evidence shows, each with its keys. */
  detected: { id: RuntimeId; why: string[]; evidence: KeyEvidence[] }[];
  /** The bases the envelope starts from. */
  bases: ChosenBase[];
  /** No language runtime (CPython, Node.js, JVM, Go) was recognised: every base is included. */
  undetected: boolean;
}

const LANGUAGES: readonly RuntimeId[] = ['cpython', 'nodejs', 'jvm', 'go'];

/** Detects runtimes from a baseline's keys (active or aged out) and chooses the bases of the envelope. */
export function detectRuntimes(baseline: ArtifactBaseline): RuntimeDetection {
  const found = new Map<RuntimeId, { why: Set<string>; evidence: KeyEvidence[] }>();
  for (const e of baseline.entries) {
    for (const r of DETECTION_RULES) {
      if (!r.match(e.key)) continue;
      const f = found.get(r.id) ?? { why: new Set<string>(), evidence: [] };
      f.why.add(r.why);
      if (f.evidence.length < 5) f.evidence.push(evidenceOf(e));
      found.set(r.id, f);
    }
  }
  if (found.has('jvm')) found.delete('go');
  const detected = [...found].map(([id, f]) => ({ id, why: [...f.why], evidence: f.evidence }));
  const has = (id: RuntimeId) => found.has(id);
  const bases: ChosenBase[] = [
    { id: 'container-runtime', reason: 'every container: the runtime starts it under the filter', evidence: [] },
  ];
  const add = (id: RuntimeId, reason: string) => bases.push({ id, reason, evidence: found.get(id)?.evidence ?? [] });
  const shown = (id: RuntimeId) => `detected: ${[...found.get(id)!.why].join('; ')}`;

  const languages = LANGUAGES.filter(has);
  const libcs = (['glibc', 'musl'] as const).filter(has);
  const staticGoOnly = languages.length === 1 && languages[0] === 'go';
  for (const id of libcs) add(id, shown(id));
  if (libcs.length === 0 && !staticGoOnly) {
    for (const id of ['glibc', 'musl'] as const)
      add(id, 'C library not identified from the evidence: glibc and musl bases both included');
  }
  if (languages.length === 0) {
    for (const id of LANGUAGES)
      add(id, `no runtime evidence (no exec, open or inventory key names one): ${RUNTIME_BASES[id].label} included`);
    return { detected, bases, undetected: true };
  }
  // Only the interpreters the evidence shows: an MCP stdio server started with npx or a python executable is
  // itself evidence. A stdio server the evidence names but whose language it cannot tell (an unscoped package,
  // started by npx or uvx alike) brings both interpreter bases.
  const unknownServers = baseline.entries.filter((e) => e.key.startsWith('mcp:stdio:') && !matchesAny(e.key));
  for (const id of ['cpython', 'nodejs'] as const) {
    if (has(id)) add(id, shown(id));
    else if (unknownServers.length > 0)
      bases.push({
        id,
        reason:
          `MCP stdio server ${unknownServers[0]!.key.slice('mcp:stdio:'.length)} of unknown language (npx or uvx): ` +
          `${RUNTIME_BASES[id].label} included`,
        evidence: unknownServers.slice(0, 5).map(evidenceOf),
      });
  }
  for (const id of ['jvm', 'go'] as const) if (has(id)) add(id, shown(id));
  return { detected, bases, undetected: false };
}
