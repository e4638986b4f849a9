/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the parts of warden-loader share: the options, the loaded skeleton and its program configuration, and the
 * drop counters of user space. loader.c selects and loads the programs and runs the loop; counts.c reads drops and
 * syscall counts and keeps the watched set; commands.c is the stdin command protocol; dispatch.c hands ring-buffer
 * records to their tracers (tracers/); seccomp_records.c turns audit records into `seccomp` lines.
 */
#ifndef WARDEN_LOADER_H
#define WARDEN_LOADER_H

#include <linux/types.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "warden.h"

struct options {
	const char *cgroup_root;
	unsigned dedup_ms;
	unsigned interval_ms;
	unsigned ringbuf_mb;
	unsigned max_slots;
	unsigned dns_port;
	bool no_cgroup_progs;
	bool compat_count;
	bool no_fentry;
	bool no_seccomp_audit;
	unsigned seccomp_max; /* seccomp records printed per interval at most; the rest are counted */
};
extern struct options opt;

/*
 * How syscalls are counted and opens seen, best first; the loader takes the first configuration this kernel loads
 * and attaches (see pick_config). fentry/fexit keep syscalls off the tracepoint slow path (warden.bpf.c).
 */
enum count_mode {
	COUNT_FENTRY,	/* count_syscall_fentry: fentry on x64_sys_call, attached while some cgroup is counted */
	COUNT_SYS_EXIT, /* inside handle_sys_exit (always attached; counts only counted cgroups) */
	COUNT_COMPAT,	/* count_syscall_compat: raw_tp sys_enter, attached while some cgroup is counted */
};
enum open_mode {
	OPEN_FEXIT,	  /* handle_open_fexit: fexit on do_sys_openat2 */
	OPEN_SYS_EXIT,	  /* handle_sys_exit: tp_btf sys_exit, arguments from the saved user registers */
	OPEN_TRACEPOINTS, /* handle_openat_enter/exit: the syscalls:sys_{enter,exit}_openat tracepoints */
};
struct prog_config {
	enum count_mode count;
	enum open_mode open;
};
extern struct prog_config cfg;
extern struct warden_bpf *skel;
extern volatile sig_atomic_t stop;

/* Records user space could not decode; `drops_dirty` forces the next drops record. */
extern __u64 user_decode_drops;
extern bool drops_dirty;
/* Seccomp records lost in user space, printed with the drops (node-agent/loader-protocol.ts DROP_REASONS). */
enum { SC_OVERFLOW, SC_MALFORMED, SC_NO_CGROUP, SC_RATE, SC__COUNT };
extern unsigned long long sc_drops[SC__COUNT];
extern unsigned sc_this_tick;

/* Syscall number -> name: x86_64, and aarch64 (asm-generic) for seccomp records of arm64 nodes. */
extern const char *syscall_names[WARDEN_NR_MAX];
extern const char *syscall_names_aarch64[WARDEN_NR_MAX];

/* counts.c */
int counts_init(void);
void counts_close(void);
void emit_drops(bool force);
void flush_counts(void);
struct bpf_program *count_prog(void);
int set_counting(__u64 cg, bool on);
int watch(__u64 cg, bool count);
int unwatch(__u64 cg);
bool is_watched(__u64 cg);

/* commands.c */
bool parse_cg(const char *s, __u64 *out);
/* Reads what stdin has; runs every complete line as a command. False at EOF. */
bool read_commands(int fd);

/* dispatch.c */
int check_tracers(void);
/* The JSON record type of the tracer of record type `type`, or NULL when no tracer claims it. */
const char *tracer_name(unsigned type);
int on_event(void *ctx, void *data, size_t size);

/* seccomp_records.c */
struct seccomp_audit_event;
void on_seccomp(const struct seccomp_audit_event *e, void *ctx);

#endif
