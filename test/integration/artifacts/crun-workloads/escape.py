"""Calls a compromised agent makes to escape its container or hide (user namespaces, tracing, keyrings, io_uring,
userfaultfd, cross-process memory reads), each reported as "<name> rc=<return> errno=<errno>". Under a monitor profile
the kernel answers them (and logs them); under an enforce profile seccomp must answer EPERM.
"""
import ctypes
import os

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long


def call(nr, *args):
    ctypes.set_errno(0)
    r = libc.syscall(ctypes.c_long(nr), *[ctypes.c_long(a) if isinstance(a, int) else a for a in args])
    return r, ctypes.get_errno()


CLONE_NEWUSER = 0x10000000
SIGCHLD = 17
buf = ctypes.create_string_buffer(256)
iov_local = (ctypes.c_void_p * 2)(ctypes.cast(buf, ctypes.c_void_p), 8)
iov_remote = (ctypes.c_void_p * 2)(ctypes.cast(buf, ctypes.c_void_p), 8)

def clone_newuser():
    r, e = call(56, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0)
    if r == 0:
        os._exit(0)
    if r > 0:
        os.waitpid(r, 0)
    return r, e


# clone first: after unshare(CLONE_NEWUSER) this process is in a new user namespace.
CALLS = [
    ("clone-newuser", clone_newuser),
    ("unshare", lambda: call(272, CLONE_NEWUSER)),
    ("ptrace", lambda: call(101, 0, 0, 0, 0)),  # PTRACE_TRACEME
    ("personality", lambda: call(135, 0x0040000)),  # ADDR_NO_RANDOMIZE
    ("keyctl", lambda: call(250, 1, 0)),  # KEYCTL_JOIN_SESSION_KEYRING
    ("userfaultfd", lambda: call(323, 0o2000000 | 1)),  # O_CLOEXEC | UFFD_USER_MODE_ONLY
    ("io_uring_setup", lambda: call(425, 1, ctypes.cast(buf, ctypes.c_void_p))),
    ("process_vm_readv", lambda: call(310, os.getpid(), iov_local, 1, iov_remote, 1, 0)),
]


for name, fn in CALLS:
    r, e = fn()
    print(f"{name} rc={r} errno={e}", flush=True)
print("escape done", flush=True)
