/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Records shared by the kernel programs (warden.bpf.c) and the loader (loader.c). Fixed-width fields, a leading
 * type and version, like libbpf-bootstrap. The includer provides the __u8..__u64 types (vmlinux.h in BPF,
 * <linux/types.h> in user space).
 */
#ifndef WARDEN_H
#define WARDEN_H

#define WARDEN_EVENT_VERSION 1

#define WARDEN_COMM_LEN 16
#define WARDEN_PATH_MAX 256   /* filename / open path bytes copied; longer paths are cut (NUL-terminated) */
#define WARDEN_ARGS_MAX 1024  /* argv bytes copied (NUL separated); power of two for the verifier */
#define WARDEN_DNSQ_MAX 256   /* DNS question bytes copied (qname labels + qtype) */
#define WARDEN_NR_MAX 512     /* syscall numbers counted per cgroup (x86_64 uses < 512) */

/* Record type numbers are 1..WARDEN_TYPE_MAX-1, each claimed by one tracer (tracers/tracer.h). */
#define WARDEN_TYPE_MAX 64

/* Index into the drops map; the loader prints the same names (node-agent/loader-protocol.ts DROP_REASONS). */
enum warden_drop_reason {
	WARDEN_DROP_OPEN_PENDING_FULL = 0,
	WARDEN_DROP_SYSCALL_SLOT, /* counting on but the cgroup has no valid slot */
	WARDEN_DROP_SYSCALL_COMPAT, /* a 32-bit task's syscall: not counted or decoded by handle_sys_exit */
	WARDEN_SUPPRESSED_OPEN,   /* de-duplicated, not a loss */
	WARDEN_SUPPRESSED_CONNECT,
	WARDEN_DROP__COUNT,
};
/*
 * A record of type `t` the ring buffer had no room for: one drops slot per record type after the named reasons, so a
 * tracer needs no reason of its own; the loader prints it as `ringbuf_<tracer name>`.
 */
#define WARDEN_DROP_RINGBUF(t) (WARDEN_DROP__COUNT + (t))
#define WARDEN_DROP__SLOTS (WARDEN_DROP__COUNT + WARDEN_TYPE_MAX)

/* Value of the watched-cgroups map (key: cgroup id). */
#define WARDEN_WATCH_COUNT 1u /* syscall counting on */
struct warden_watch {
	__u32 flags;
	__u32 slot; /* row in the syscall_counts array when counting */
};

struct warden_hdr {
	__u8 type;
	__u8 version;
	__u16 _pad;
	__u32 pid; /* tgid */
	__u64 ts_boot_ns;
	__u64 cgroup_id;
};

#endif
