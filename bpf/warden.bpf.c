// SPDX-License-Identifier: GPL-2.0
/*
 * Warden kernel programs: the shared maps and helpers, per-cgroup syscall counts and opens here; exec, exit, connect
 * (cgroup sock_addr) and DNS questions (cgroup_skb egress) in their tracer files (tracers/, included at the end).
 * Everything is filtered in the kernel to the watched cgroups before any ring-buffer space is reserved; repeat
 * opens/connects of a cgroup within the de-dup window are suppressed (and counted); every ring-buffer reservation
 * failure is counted in `drops`.
 *
 * Only program types that load on locked-down kernels are used (tracepoints, raw tracepoints, cgroup programs);
 * the loader probes fentry/LSM separately and never requires them.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "warden.h"

char LICENSE[] SEC("license") = "GPL";

#define AF_INET 2
#define AF_INET6 10
#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
#define IPPROTO_UDP_ 17

/* Options, fixed before load by the loader. */
const volatile __u64 dedup_window_ns = 5ULL * 1000 * 1000 * 1000;
const volatile __u16 dns_port = 53;
const volatile __u32 max_slots = 64;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, struct warden_watch);
} watched SEC(".maps");

/* Row `slot`, column `nr`: index slot * WARDEN_NR_MAX + nr. Per-CPU array: the cheapest increment there is
 * (inlined lookup, no hashing, no lock, no shared cache line). Sized by the loader: max_slots * WARDEN_NR_MAX. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 64 * WARDEN_NR_MAX);
	__type(key, __u32);
	__type(value, __u64);
} syscall_counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, WARDEN_DROP__COUNT);
	__type(key, __u32);
	__type(value, __u64);
} drops SEC(".maps");

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


static __always_inline void count_drop(__u32 reason)
{
	__u64 *v = bpf_map_lookup_elem(&drops, &reason);
	if (v)
		*v += 1;
}

static __always_inline void fill_hdr(struct warden_hdr *h, __u8 type, __u32 pid, __u64 cg)
{
	h->type = type;
	h->version = WARDEN_EVENT_VERSION;
	h->_pad = 0;
	h->pid = pid;
	h->ts_boot_ns = bpf_ktime_get_boot_ns();
	h->cgroup_id = cg;
}

/* True when `key` was seen within the window (suppress); otherwise records it as seen now. */
static __always_inline bool seen_recently(void *map, void *key, __u64 now)
{
	__u64 *last = bpf_map_lookup_elem(map, key);
	if (last && now - *last < dedup_window_ns)
		return true;
	bpf_map_update_elem(map, key, &now, BPF_ANY);
	return false;
}

/*
 * Ring-buffer space for a record about `key`, or NULL: when the key was reported within the window (counted under
 * `suppressed`, a de-duplication, not a loss) or the ring buffer is full (counted under `dropped`).
 */
static __always_inline void *reserve_unless_seen(void *seen_map, void *key, __u32 suppressed, __u32 dropped, __u64 size)
{
	if (seen_recently(seen_map, key, bpf_ktime_get_boot_ns())) {
		count_drop(suppressed);
		return NULL;
	}
	void *e = bpf_ringbuf_reserve(&events, size, 0);
	if (!e)
		count_drop(dropped);
	return e;
}

/* ---------------------------------------------------------------- syscall counts (hot path) */

/* Bumped by the loader after every change of `watched`, so the per-CPU caches below refresh on the next syscall. */
volatile __u64 watch_epoch;

/*
 * Per CPU: the watch decision for the cgroup that ran last. A storm of syscalls from one cgroup then costs a cgroup
 * id, one inlined per-CPU array lookup and two compares, instead of a hash or cgroup storage lookup per syscall.
 */
struct count_cache {
	__u64 cgroup_id;
	__u64 epoch;
	__u32 slot;
	__u8 watched;
	__u8 counting;
	__u8 _pad[2];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct count_cache);
} count_cache SEC(".maps");

static __always_inline struct count_cache *watch_of(__u64 cg)
{
	__u32 zero = 0;
	struct count_cache *c = bpf_map_lookup_elem(&count_cache, &zero);
	if (!c)
		return NULL;
	__u64 epoch = watch_epoch;
	if (c->cgroup_id != cg || c->epoch != epoch) {
		struct warden_watch *w = bpf_map_lookup_elem(&watched, &cg);
		c->cgroup_id = cg;
		c->epoch = epoch;
		c->watched = w != NULL;
		c->counting = w && (w->flags & WARDEN_WATCH_COUNT);
		c->slot = w ? w->slot : 0;
	}
	return c;
}

static __always_inline void count_in(struct count_cache *c, __u64 nr)
{
	if (!c->counting)
		return;
	__u32 slot = c->slot;
	if (nr >= WARDEN_NR_MAX || slot >= max_slots) {
		count_drop(WARDEN_DROP_SYSCALL_SLOT);
		return;
	}
	__u32 idx = slot * WARDEN_NR_MAX + (__u32)nr;
	__u64 *n = bpf_map_lookup_elem(&syscall_counts, &idx);
	if (n)
		*n += 1;
}

static __always_inline void count_syscall_of(__u64 cg, __u64 nr)
{
	struct count_cache *c = watch_of(cg);
	if (c)
		count_in(c, nr);
}

/*
 * The cheapest counter, where the kernel allows it (x86-64 with the x64_sys_call dispatcher: 6.9+ and the 2024 stable
 * backports; not under lockdown): fentry on the dispatcher. A sys_enter tracepoint sets TIF_SYSCALL_TRACEPOINT on
 * every task, which sends every syscall of the machine through the slow tracing entry and exit path; a trampoline on
 * the dispatcher does not. 32-bit compat syscalls (ia32_sys_call) are not counted by it. Where fentry is refused,
 * handle_sys_exit counts (one program per syscall for counting and opens).
 */
SEC("fentry/x64_sys_call")
int BPF_PROG(count_syscall_fentry, const struct pt_regs *regs, unsigned int nr)
{
	count_syscall_of(bpf_get_current_cgroup_id(), (__u64)nr);
	return 0;
}

/* Fallback for kernels without tp_btf. */
SEC("raw_tp/sys_enter")
int count_syscall_compat(struct bpf_raw_tracepoint_args *ctx)
{
	count_syscall_of(bpf_get_current_cgroup_id(), ctx->args[1]);
	return 0;
}

/* ---------------------------------------------------------------- opens */

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

/* Emits one open unless the same (cgroup, path) was reported within the window. */
static __always_inline void emit_open(struct warden_open_pending *p, __u32 pid, __s64 ret)
{
	struct warden_open *e = reserve_unless_seen(&open_seen, &p->k, WARDEN_SUPPRESSED_OPEN, WARDEN_DROP_RINGBUF_OPEN,
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
	__u64 cg = bpf_get_current_cgroup_id();
	if (!bpf_map_lookup_elem(&watched, &cg))
		return 0;
	struct warden_open_pending *p = open_scratch_for(cg);
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
	__u64 cg = bpf_get_current_cgroup_id();
	if (!bpf_map_lookup_elem(&watched, &cg))
		return 0;
	struct warden_open_pending *p = open_scratch_for(cg);
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

/* ---------------------------------------------------------------- the tracers (one file per event type in tracers/) */

#define WARDEN_BPF
#include "tracers.inc"

