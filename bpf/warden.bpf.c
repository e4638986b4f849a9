// SPDX-License-Identifier: GPL-2.0
/*
 * Warden kernel programs: the shared maps and helpers and per-cgroup syscall counts here; exec, exit, opens, connect
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
	__uint(max_entries, WARDEN_DROP__SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} drops SEC(".maps");



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


/* ---------------------------------------------------------------- the tracers (one file per event type in tracers/) */

#define WARDEN_BPF
#include "tracers.inc"

