/**
 * Go base syscall sets, documented by hand: there is no Go toolchain on the machines this project is built and
 * tested on, so these sets are NOT traced. They are read from the Go source (Go 1.21-1.23): the runtime's assembly
 * stubs and OS layer (runtime/sys_linux_amd64.s, sys_linux_arm64.s, os_linux.go, netpoll_epoll.go), and the calls the
 * syscall, os, os/exec, net and internal/poll packages make on Linux. Names are x86_64 spellings; the envelope adds
 * the aarch64 forms (openat for open, epoll_pwait for epoll_wait, ...) through the variant table.
 */

/** The Go runtime alone: scheduler threads, signals and preemption, the heap, timers, the network poller. */
export const GO_RUNTIME_SYSCALLS: readonly string[] = [
  'arch_prctl', // settls on amd64
  'clock_gettime', // vDSO, with the syscall as fallback
  'clone', // newosproc
  'close',
  'epoll_create1',
  'epoll_ctl',
  'epoll_pwait',
  'eventfd2', // netpoll wake-up (Go 1.22; pipe2 before)
  'exit',
  'exit_group',
  'fcntl',
  'futex',
  'getpid',
  'gettid',
  'madvise',
  'mincore',
  'mmap',
  'munmap',
  'nanosleep', // usleep
  'open', // runtime.open: /sys/kernel/mm/transparent_hugepage/hpage_pmd_size, /dev/urandom
  'openat',
  'pipe2',
  'read',
  'rt_sigaction',
  'rt_sigprocmask',
  'rt_sigreturn',
  'sched_getaffinity', // GOMAXPROCS
  'sched_yield', // osyield
  'setitimer', // SIGPROF profiling
  'sigaltstack',
  'tgkill', // asynchronous preemption (SIGURG)
  'timer_create', // per-thread CPU profiling timers (Go 1.18+)
  'timer_delete',
  'timer_settime',
  'write',
];

/** A Go service on top of the runtime: files, processes (os/exec), sockets (net), randomness, limits. */
export const GO_PROGRAM_SYSCALLS: readonly string[] = [
  ...GO_RUNTIME_SYSCALLS,
  'accept4',
  'bind',
  'chdir',
  'clone3', // os/exec with pidfd (Go 1.23), falls back to clone
  'connect',
  'copy_file_range', // io.Copy fast path between files
  'dup3',
  'execve',
  'faccessat2', // exec.LookPath (unix.Eaccess)
  'fchmod',
  'fchown',
  'fstat',
  'fsync',
  'ftruncate',
  'getcwd',
  'getdents64',
  'getegid',
  'geteuid',
  'getgid',
  'getpeername',
  'getrandom', // crypto/rand
  'getsockname',
  'getsockopt',
  'getuid',
  'ioctl',
  'listen',
  'lseek',
  'mkdirat',
  'newfstatat',
  'pidfd_open',
  'pidfd_send_signal',
  'prlimit64', // os raises RLIMIT_NOFILE at start (Go 1.19+)
  'pread64',
  'pwrite64',
  'readlinkat', // os.Executable
  'recvfrom',
  'recvmsg',
  'renameat',
  'sendfile',
  'sendmsg',
  'sendto',
  'setsockopt',
  'shutdown',
  'socket',
  'socketpair',
  'splice', // io.Copy fast path to sockets
  'uname', // kernel version checks in internal/syscall/unix
  'unlinkat',
  'wait4',
  'waitid',
  'writev', // net.Buffers
];
