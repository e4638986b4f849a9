// SPDX-License-Identifier: (GPL-2.0 OR Apache-2.0)
/*
 * open: every open of a watched cgroup, with its path, dirfd, flags and result. The record, its kernel programs (built
 * into warden.bpf.o) and its decoder (linked into warden-loader): see tracer.h. On tp_btf kernels one sys_exit
 * program both counts syscalls (count_in, warden.bpf.c) and reports opens (see README.md). Relative paths are
 * resolved by the decoder, right after the event.
 */
#include "tracers/tracer.h"

WARDEN_RECORD_TYPE(WARDEN_EV_OPEN, 3);

/* Key of the open de-duplication map; also the head of the pending-open stash so it can be used as the key as is. */
struct warden_open_key {
	__u64 cgroup_id;
	char path[WARDEN_PATH_MAX];
};

struct warden_open_pending {
	struct warden_open_key k;
	__s32 dirfd;
	__u32 flags;
};

struct warden_open {
	struct warden_hdr h;
	__s32 dirfd;
	__u32 flags;
	__s64 ret;
	char comm[WARDEN_COMM_LEN];
	char path[WARDEN_PATH_MAX];
};

#ifdef WARDEN_BPF

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, __u32); /* tid */
	__type(value, struct warden_open_pending);
} open_pending SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct warden_open_pending);
} open_scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct warden_open_key);
	__type(value, __u64);
} open_seen SEC(".maps");

/* The per-CPU scratch record for an open of cgroup `cg`, its path zeroed (the whole key is hashed for de-dup, so the
 * bytes after the string's NUL must be zero). */
static __always_inline struct warden_open_pending *open_scratch_for(__u64 cg)
{
	__u32 zero = 0;
	struct warden_open_pending *p = bpf_map_lookup_elem(&open_scratch, &zero);
	if (!p)
		return NULL;
	__builtin_memset(p->k.path, 0, sizeof(p->k.path));
	p->k.cgroup_id = cg;
	return p;
}

/* The scratch record for an open of the current cgroup when it is watched, else NULL. */
static __always_inline struct warden_open_pending *watched_open_scratch(void)
{
	__u64 cg = bpf_get_current_cgroup_id();
	if (!bpf_map_lookup_elem(&watched, &cg))
		return NULL;
	return open_scratch_for(cg);
}

/* Emits one open unless the same (cgroup, path) was reported within the window. */
static __always_inline void emit_open(struct warden_open_pending *p, __u32 pid, __s64 ret)
{
	struct warden_open *e = reserve_unless_seen(&open_seen, &p->k, WARDEN_SUPPRESSED_OPEN, WARDEN_DROP_RINGBUF(WARDEN_EV_OPEN),
						    sizeof(*e));
	if (!e)
		return;
	fill_hdr(&e->h, WARDEN_EV_OPEN, pid, p->k.cgroup_id);
	e->dirfd = p->dirfd;
	e->flags = p->flags;
	e->ret = ret;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	__builtin_memcpy(e->path, p->k.path, sizeof(e->path));
	bpf_ringbuf_submit(e, 0);
}

/*
 * Where fexit works: one program at the end of do_sys_openat2, which open(2), openat(2), openat2(2) and creat(2) all
 * go through, with the arguments and the result together (no pending map) and no syscall tracepoint (see
 * count_syscall_fentry for why that matters).
 */
SEC("fexit/do_sys_openat2")
int BPF_PROG(handle_open_fexit, int dfd, const char *filename, struct open_how *how, long ret)
{
	struct warden_open_pending *p = watched_open_scratch();
	if (!p)
		return 0;
	p->dirfd = dfd;
	p->flags = (__u32)BPF_CORE_READ(how, flags);
	bpf_probe_read_user_str(p->k.path, sizeof(p->k.path), filename);
	emit_open(p, bpf_get_current_pid_tgid() >> 32, ret);
	return 0;
}

/*
 * Where tp_btf works but fentry/fexit do not (locked-down kernels): ONE program per syscall, at its exit, both counts
 * the syscall and reports opens. The user registers still hold the syscall's number and arguments there, so the
 * path, dirfd, flags and the result are all at hand: no entry program, no pending map. Every attached syscall
 * tracepoint program runs on every syscall of the machine, so one instead of two (a sys_enter counter plus an open
 * pair) is what keeps a syscall storm's overhead down. Sees open(2), openat(2), openat2(2), creat(2).
 * Counting at exit misses the syscalls that do not return (exit, exit_group, and rt_sigreturn, whose restored frame
 * has no syscall number); the seccomp generator allows those always (lib/core/artifacts/syscall-families.ts).
 */
#if defined(__TARGET_ARCH_x86)
#define WARDEN_NR_OPEN 2
#define WARDEN_NR_CREAT 85
#define WARDEN_NR_OPENAT 257
#define WARDEN_NR_OPENAT2 437
#define SYSCALL_NR(regs) ((regs)->orig_ax) /* a direct (BTF) load: BPF_CORE_READ would be a helper call per syscall */
/* 32-bit (ia32) tasks number their syscalls differently: user code segment __USER32_CS instead of __USER_CS. */
#define NATIVE_SYSCALL(regs) ((regs)->cs == 0x33)
#elif defined(__TARGET_ARCH_arm64)
#define WARDEN_NR_OPEN -1 /* arm64 has only openat and openat2 */
#define WARDEN_NR_CREAT -1
#define WARDEN_NR_OPENAT 56
#define WARDEN_NR_OPENAT2 437
#define SYSCALL_NR(regs) ((regs)->syscallno)
/* AArch32 tasks (PSR_MODE32_BIT) number their syscalls differently. */
#define NATIVE_SYSCALL(regs) (!((regs)->pstate & 0x10))
#else
#error "warden.bpf.c: syscall numbers for this architecture are not defined"
#endif
#define O_WRONLY_ 01
#define O_CREAT_ 0100
#define O_TRUNC_ 01000
#define AT_FDCWD_ -100

SEC("tp_btf/sys_exit")
int BPF_PROG(handle_sys_exit, struct pt_regs *regs, long ret)
{
	struct count_cache *c = watch_of(bpf_get_current_cgroup_id());
	if (!c || !c->watched)
		return 0;
	long nr = SYSCALL_NR(regs);
	if (nr < 0)
		return 0; /* rt_sigreturn's restored frame, or a syscall cancelled by a tracer */
	if (!NATIVE_SYSCALL(regs)) {
		count_drop(WARDEN_DROP_SYSCALL_COMPAT); /* a 32-bit task's syscall: not counted or decoded, but seen */
		return 0;
	}
	count_in(c, (__u64)nr);
	if (nr != WARDEN_NR_OPENAT && nr != WARDEN_NR_OPENAT2 && nr != WARDEN_NR_OPEN && nr != WARDEN_NR_CREAT)
		return 0;
	struct warden_open_pending *p = open_scratch_for(c->cgroup_id);
	if (!p)
		return 0;
	const char *filename;
	if (nr == WARDEN_NR_OPENAT || nr == WARDEN_NR_OPENAT2) {
		p->dirfd = (__s32)PT_REGS_PARM1_CORE_SYSCALL(regs);
		filename = (const char *)PT_REGS_PARM2_CORE_SYSCALL(regs);
		if (nr == WARDEN_NR_OPENAT)
			p->flags = (__u32)PT_REGS_PARM3_CORE_SYSCALL(regs);
		else {
			__u64 how_flags = 0; /* struct open_how starts with the u64 flags */
			bpf_probe_read_user(&how_flags, sizeof(how_flags), (void *)PT_REGS_PARM3_CORE_SYSCALL(regs));
			p->flags = (__u32)how_flags;
		}
	} else {
		p->dirfd = AT_FDCWD_;
		filename = (const char *)PT_REGS_PARM1_CORE_SYSCALL(regs);
		p->flags = nr == WARDEN_NR_OPEN ? (__u32)PT_REGS_PARM2_CORE_SYSCALL(regs) : O_WRONLY_ | O_CREAT_ | O_TRUNC_;
	}
	bpf_probe_read_user_str(p->k.path, sizeof(p->k.path), filename);
	emit_open(p, bpf_get_current_pid_tgid() >> 32, ret);
	return 0;
}

/* Fallback (no tp_btf): openat(2) only, stashed at entry, emitted at exit. */

SEC("tp/syscalls/sys_enter_openat")
int handle_openat_enter(struct trace_event_raw_sys_enter *ctx)
{
	struct warden_open_pending *p = watched_open_scratch();
	if (!p)
		return 0;
	p->dirfd = (__s32)ctx->args[0];
	p->flags = (__u32)ctx->args[2];
	bpf_probe_read_user_str(p->k.path, sizeof(p->k.path), (const char *)ctx->args[1]);
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	if (bpf_map_update_elem(&open_pending, &tid, p, BPF_ANY) != 0)
		count_drop(WARDEN_DROP_OPEN_PENDING_FULL);
	return 0;
}

SEC("tp/syscalls/sys_exit_openat")
int handle_openat_exit(struct trace_event_raw_sys_exit *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	struct warden_open_pending *p = bpf_map_lookup_elem(&open_pending, &tid);
	if (!p)
		return 0;
	emit_open(p, id >> 32, ctx->ret);
	bpf_map_delete_elem(&open_pending, &tid);
	return 0;
}

#else
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define AT_FDCWD_ (-100)

/* Joins a relative openat path with the directory it was relative to, read from /proc right after the event.
 * Racy by nature (the process may have exited or changed directory); the result says where it came from. */
static const char *resolve_open(const struct warden_open *e, char *out, size_t n)
{
	char raw[WARDEN_PATH_MAX + 1];
	memcpy(raw, e->path, WARDEN_PATH_MAX);
	raw[WARDEN_PATH_MAX] = 0;
	if (raw[0] == '/') {
		snprintf(out, n, "%s", raw);
		return "absolute";
	}
	char link[64], dir[PATH_MAX];
	bool cwd = e->dirfd == AT_FDCWD_;
	if (cwd)
		snprintf(link, sizeof(link), "/proc/%u/cwd", e->h.pid);
	else
		snprintf(link, sizeof(link), "/proc/%u/fd/%d", e->h.pid, e->dirfd);
	ssize_t k = readlink(link, dir, sizeof(dir) - 1);
	if (k <= 0 || dir[0] != '/') {
		snprintf(out, n, "%s", raw);
		return "unresolved";
	}
	dir[k] = 0;
	snprintf(out, n, "%s%s%s", dir, (k == 1 || !raw[0]) ? "" : "/", raw);
	return cwd ? "cwd" : "dirfd";
}

static void print_open(const struct warden_open *e)
{
	char path[PATH_MAX + WARDEN_PATH_MAX + 2];
	const char *src = resolve_open(e, path, sizeof(path));
	rec_begin("open", ts_ms(e->h.ts_boot_ns));
	printf(",\"pid\":%u,\"cgroupId\":\"%llu\",\"comm\":", e->h.pid, (unsigned long long)e->h.cgroup_id);
	json_str_n(e->comm, sizeof(e->comm));
	fputs(",\"path\":", stdout);
	json_str(path);
	printf(",\"pathSource\":\"%s\",\"dirfd\":%d,\"flags\":%u,\"ret\":%lld", src, e->dirfd, e->flags,
	       (long long)e->ret);
	rec_end();
}

WARDEN_TRACER(open, WARDEN_EV_OPEN, struct warden_open, print_open);

#endif
