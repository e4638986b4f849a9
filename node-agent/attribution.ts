/**
 * cgroup id -> Attribution (cgroup path, container, pod, Deployment), or `local:<name>` for watched commands.
 * Successful resolutions are cached per cgroup id; misses are not, because the pod list may not have caught up with
 * a container that just started.
 */
import type { Attribution } from '../lib/core/sources/node-agent.ts';
import { type CgroupIdMap, parseCgroupPath } from './cgroup.ts';
import type { PodIndex } from './pod-index.ts';

export class Attributor {
  #cache = new Map<string, Attribution>();
  #local = new Map<string, string>();

  constructor(
    readonly cgroups: CgroupIdMap | undefined,
    readonly pods: PodIndex | undefined,
  ) {}

  /** Attributes everything in cgroup `id` to `local:<name>` (agent watch). */
  setLocal(cgroupId: string, name: string): void {
    this.#local.set(cgroupId, name);
  }

  /** Forget a cgroup (removed container): ids are inode numbers and can be reused. */
  forget(cgroupId: string): void {
    this.#cache.delete(cgroupId);
    this.#local.delete(cgroupId);
  }

  async attribute(cgroupId: string): Promise<Attribution> {
    const local = this.#local.get(cgroupId);
    if (local) return { cgroupId, local };
    const hit = this.#cache.get(cgroupId);
    if (hit) return hit;
    const path = await this.cgroups?.pathOf(cgroupId);
    if (path === undefined) return { cgroupId };
    const info = parseCgroupPath(path);
    const a: Attribution = { cgroupId, cgroupPath: path };
    if (info.containerId) a.containerId = info.containerId;
    if (info.runtime) a.runtime = info.runtime;
    if (info.podUid) a.podUid = info.podUid;
    const pod =
      (info.containerId && this.pods?.byContainerId(info.containerId)) ||
      (info.podUid && this.pods?.byUid(info.podUid)) ||
      undefined;
    if (pod) {
      a.pod = pod.name;
      a.namespace = pod.namespace;
      if (pod.deployment) a.deployment = pod.deployment;
      this.#cache.set(cgroupId, a);
    }
    return a;
  }
}
