import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CgroupIdMap, cgroupOfPid, cgroupPathFromProcText, parseCgroupPath } from '../../../node-agent/cgroup.ts';

const C = 'a3f1c9e2b7d84f06a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718';
const UID = '0c6a8f2e-1b3d-4c5e-9f7a-2b4c6d8e0f1a';
const UID_ = UID.replace(/-/g, '_');

describe('parseCgroupPath', () => {
  it.each([
    [
      'containerd, systemd, burstable',
      `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${UID_}.slice/cri-containerd-${C}.scope`,
      'containerd',
      'burstable',
    ],
    [
      'containerd, systemd, guaranteed',
      `/kubepods.slice/kubepods-pod${UID_}.slice/cri-containerd-${C}.scope`,
      'containerd',
      'guaranteed',
    ],
    ['containerd, cgroupfs, besteffort', `/kubepods/besteffort/pod${UID}/${C}`, 'containerd', 'besteffort'],
    ['containerd, cgroupfs, guaranteed', `/kubepods/pod${UID}/${C}`, 'containerd', 'guaranteed'],
    [
      'CRI-O, systemd',
      `/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${UID_}.slice/crio-${C}.scope`,
      'cri-o',
      'besteffort',
    ],
    ['CRI-O, cgroupfs', `/kubepods/burstable/pod${UID}/crio-${C}`, 'cri-o', 'burstable'],
    [
      'containerd nested cgroup in the container (v1 line)',
      `/kubepods/burstable/pod${UID}/${C}/sub`,
      'containerd',
      'burstable',
    ],
  ])('%s', (_n, path, runtime, qos) => {
    expect(parseCgroupPath(path)).toEqual({ path, containerId: C, runtime, podUid: UID, qos });
  });

  it.each([
    ['Docker, systemd', `/system.slice/docker-${C}.scope`],
    ['Docker, cgroupfs', `/docker/${C}`],
  ])('%s', (_n, path) => {
    expect(parseCgroupPath(path)).toEqual({ path, containerId: C, runtime: 'docker' });
  });

  it('CRI-O conmon is marked, not a workload container', () => {
    expect(parseCgroupPath(`/kubepods.slice/kubepods-pod${UID_}.slice/crio-conmon-${C}.scope`).conmon).toBe(true);
  });

  it.each(['/', '/system.slice/sshd.service', '/user.slice/user-1000.slice/session-2.scope', '/warden/watch-1'])(
    'no container in %s',
    (path) => {
      expect(parseCgroupPath(path).containerId).toBeUndefined();
    },
  );
});

describe('/proc/<pid>/cgroup', () => {
  it.each([
    [
      'v2 only',
      `0::/kubepods.slice/kubepods-pod${UID_}.slice/cri-containerd-${C}.scope\n`,
      `/kubepods.slice/kubepods-pod${UID_}.slice/cri-containerd-${C}.scope`,
    ],
    [
      'v1 with hybrid v2 at root',
      `12:pids:/kubepods/besteffort/pod${UID}/${C}\n11:memory:/kubepods/besteffort/pod${UID}/${C}\n1:name=systemd:/kubepods/besteffort/pod${UID}/${C}\n0::/\n`,
      `/kubepods/besteffort/pod${UID}/${C}`,
    ],
    ['hybrid with own cgroup2 dir', '12:pids:/user.slice\n0::/warden/w1\n', '/warden/w1'],
  ])('%s', (_n, text, path) => {
    expect(cgroupPathFromProcText(text)).toBe(path);
  });

  it('reads a real process (this one)', () => {
    const info = cgroupOfPid(process.pid);
    expect(info?.path.startsWith('/')).toBe(true);
  });
});

describe('CgroupIdMap', () => {
  const root = mkdtempSync(join(tmpdir(), 'cgmap-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('maps directory inode numbers to paths and rescans on a miss', async () => {
    const dir = join(root, 'kubepods', 'besteffort', `pod${UID}`, C);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(root, 'cgroup.procs'), '');
    let now = 0;
    const map = new CgroupIdMap(root, { minRescanMs: 1000, now: () => now });
    await map.scan();
    const id = statSync(dir, { bigint: true }).ino.toString();
    expect(await map.pathOf(id)).toBe(`/kubepods/besteffort/pod${UID}/${C}`);
    expect(map.containers().map((c) => c.info.containerId)).toEqual([C]);

    const later = join(root, 'docker', C);
    mkdirSync(later, { recursive: true });
    const laterId = statSync(later, { bigint: true }).ino.toString();
    expect(await map.pathOf(laterId)).toBeUndefined(); // rate-limited: no rescan yet
    now = 5000;
    expect(await map.pathOf(laterId)).toBe(`/docker/${C}`);
  });
});
