/**
 * cgroup id -> cgroup path -> container id (and pod UID). Container runtimes name cgroups differently depending on
 * the runtime and on the kubelet's cgroup driver:
 *
 * | runtime    | systemd driver                                                        | cgroupfs driver                    |
 * |------------|-----------------------------------------------------------------------|------------------------------------|
 * | containerd | /kubepods.slice/kubepods-<qos>.slice/kubepods-<qos>-pod<uid_>.slice/cri-containerd-<id>.scope | /kubepods/<qos>/pod<uid>/<id> |
 * | CRI-O      | .../kubepods-<qos>-pod<uid_>.slice/crio-<id>.scope                    | /kubepods/<qos>/pod<uid>/crio-<id> |
 * | Docker     | /system.slice/docker-<id>.scope                                       | /docker/<id>                       |
 *
 * (Guaranteed pods have no `<qos>` level.) On cgroup v1 the same paths appear per controller in /proc/<pid>/cgroup;
 * on v2 there is one `0::<path>` line. The cgroup id the kernel reports (bpf_get_current_cgroup_id) is the inode
 * number of the cgroup2 directory, so ids map to paths by walking the cgroup2 mount.
 */
import { readFileSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

export type Runtime = 'containerd' | 'cri-o' | 'docker' | 'unknown';

export interface CgroupInfo {
  /** The cgroup path relative to the hierarchy root (starts with `/`). */
  path: string;
  containerId?: string;
  runtime?: Runtime;
  /** Pod UID with dashes, when the path is under kubepods. */
  podUid?: string;
  qos?: 'guaranteed' | 'burstable' | 'besteffort';
  /** The CRI-O conmon monitor or a pod's sandbox-level cgroup: belongs to the pod, not to a workload container. */
  conmon?: boolean;
}

const ID = '([0-9a-f]{64})';
const PATTERNS: Array<{ re: RegExp; runtime: Runtime; conmon?: boolean }> = [
  { re: new RegExp(`^cri-containerd-${ID}\\.scope$`), runtime: 'containerd' },
  { re: new RegExp(`^crio-conmon-${ID}\\.scope$`), runtime: 'cri-o', conmon: true },
  { re: new RegExp(`^crio-${ID}(?:\\.scope)?$`), runtime: 'cri-o' },
  { re: new RegExp(`^docker-${ID}\\.scope$`), runtime: 'docker' },
  { re: new RegExp(`^${ID}$`), runtime: 'unknown' },
];

/**
 * Parses a cgroup path into container id, runtime and pod UID.
 * @example parseCgroupPath('/kubepods/burstable/pod0c6a.../3f2b...') // { containerId: '3f2b...', podUid: '0c6a...', ... }
 */
export function parseCgroupPath(path: string): CgroupInfo {
  const info: CgroupInfo = { path };
  const segs = path.split('/').filter(Boolean);
  for (const seg of segs) {
    const pod =
      /^(?:kubepods(?:-(burstable|besteffort))?-)?pod([0-9a-f]{8}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{12})(?:\.slice)?$/.exec(
        seg,
      );
    if (pod) {
      info.podUid = pod[2]!.replace(/_/g, '-');
      info.qos = (pod[1] as CgroupInfo['qos']) ?? info.qos ?? 'guaranteed';
      continue;
    }
    const qos = /^kubepods-(burstable|besteffort)\.slice$/.exec(seg) ?? /^(burstable|besteffort)$/.exec(seg);
    if (qos && segs.some((s) => s.startsWith('kubepods'))) info.qos = qos[1] as CgroupInfo['qos'];
  }
  // The container is the last segment that names one (a container may create nested cgroups below its own).
  for (let i = segs.length - 1; i >= 0; i--) {
    const seg = segs[i]!;
    for (const p of PATTERNS) {
      const m = p.re.exec(seg);
      if (!m) continue;
      info.containerId = m[1];
      let runtime = p.runtime;
      // A bare 64-hex segment is containerd (or dockershim) under kubepods, Docker under /docker.
      if (runtime === 'unknown') runtime = segs[i - 1] === 'docker' ? 'docker' : info.podUid ? 'containerd' : 'unknown';
      info.runtime = runtime;
      if (p.conmon) info.conmon = true;
      return info;
    }
  }
  return info;
}

/** The cgroup path of a process from /proc/<pid>/cgroup text: the v2 line, else the v1 pids/cpu/memory line. */
export function cgroupPathFromProcText(text: string): string | undefined {
  const lines = text.split('\n').filter(Boolean);
  const v2 = lines.find((l) => l.startsWith('0::'));
  if (v2 && v2.slice(3) !== '/') return v2.slice(3);
  for (const ctl of ['pids', 'cpu,cpuacct', 'memory', 'name=systemd', 'devices']) {
    const l = lines.find((x) => x.split(':')[1] === ctl);
    if (l) return l.split(':').slice(2).join(':');
  }
  return v2?.slice(3);
}

/** Reads /proc/<pid>/cgroup and parses it; undefined when the process is gone. */
export function cgroupOfPid(pid: number, procRoot = '/proc'): CgroupInfo | undefined {
  try {
    const path = cgroupPathFromProcText(readFileSync(join(procRoot, String(pid), 'cgroup'), 'utf8'));
    return path === undefined ? undefined : parseCgroupPath(path);
  } catch {
    return undefined;
  }
}

/**
 * Maps cgroup ids (cgroup2 directory inode numbers) to paths by walking the cgroup2 mount. A miss triggers a rescan
 * (new containers appear all the time), at most once per `minRescanMs`.
 */
export class CgroupIdMap {
  #byId = new Map<string, string>();
  #lastScan = Number.NEGATIVE_INFINITY;

  constructor(
    readonly root: string,
    readonly opts: { minRescanMs?: number; maxDepth?: number; now?: () => number } = {},
  ) {}

  async scan(): Promise<Map<string, string>> {
    const next = new Map<string, string>();
    const maxDepth = this.opts.maxDepth ?? 12;
    const walk = async (dir: string, rel: string, depth: number): Promise<void> => {
      let st: { ino: bigint };
      try {
        st = await stat(dir, { bigint: true });
      } catch {
        return; // removed while walking
      }
      next.set(st.ino.toString(), rel || '/');
      if (depth >= maxDepth) return;
      let entries: import('node:fs').Dirent[];
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const e of entries) if (e.isDirectory()) await walk(join(dir, e.name), `${rel}/${e.name}`, depth + 1);
    };
    await walk(this.root, '', 0);
    this.#byId = next;
    this.#lastScan = (this.opts.now ?? Date.now)();
    return next;
  }

  /** Path of a cgroup id, rescanning on a miss (rate-limited). */
  async pathOf(cgroupId: string): Promise<string | undefined> {
    const hit = this.#byId.get(cgroupId);
    if (hit !== undefined) return hit;
    const now = (this.opts.now ?? Date.now)();
    if (now - this.#lastScan < (this.opts.minRescanMs ?? 1000)) return undefined;
    await this.scan();
    return this.#byId.get(cgroupId);
  }

  /** Every known (id, path) whose path names a container. */
  containers(): Array<{ cgroupId: string; info: CgroupInfo }> {
    const out: Array<{ cgroupId: string; info: CgroupInfo }> = [];
    for (const [cgroupId, path] of this.#byId) {
      const info = parseCgroupPath(path);
      if (info.containerId && !info.conmon) out.push({ cgroupId, info });
    }
    return out;
  }
}
