import { describe, expect, it } from 'vitest';
import { assertLoaderBuilt, findCgroup2Mount, WatchError } from '../../../node-agent/watch.ts';

describe('local mode preflight', () => {
  it.each([
    [
      'hybrid host (cgroup2 at /sys/fs/cgroup/unified)',
      '35 24 0:30 / /sys/fs/cgroup ro,nosuid - tmpfs tmpfs ro,mode=755\n36 35 0:31 / /sys/fs/cgroup/unified rw,nosuid - cgroup2 cgroup2 rw\n37 35 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n',
      '/sys/fs/cgroup/unified',
    ],
    [
      'unified host',
      '29 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate\n',
      '/sys/fs/cgroup',
    ],
    ['v1 only', '37 35 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n', undefined],
  ])('finds the cgroup2 mount: %s', (_n, mountinfo, want) => {
    expect(findCgroup2Mount(mountinfo)).toBe(want);
  });

  it('a missing loader is a one-line error naming `make -C bpf` and the packages', () => {
    expect(() => assertLoaderBuilt('/nonexistent/warden-loader')).toThrow(WatchError);
    expect(() => assertLoaderBuilt('/nonexistent/warden-loader')).toThrow(
      /^the eBPF loader is not built \(\/nonexistent\/warden-loader\): run `make -C bpf` \(Debian packages: clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev make gcc\)$/,
    );
  });
});
