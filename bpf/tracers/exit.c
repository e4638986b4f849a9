// SPDX-License-Identifier: (GPL-2.0 OR Apache-2.0)
/*
 * exit: a process (thread-group leader) of a watched cgroup exits, with its wait status.
 * The record, its kernel program (built into warden.bpf.o) and its decoder (linked into warden-loader): see tracer.h.
 */
#include "tracers/tracer.h"

WARDEN_RECORD_TYPE(WARDEN_EV_EXIT, 2);

struct warden_exit {
	struct warden_hdr h;
	__u32 ppid;
	__s32 exit_code;
	char comm[WARDEN_COMM_LEN];
};

#ifdef WARDEN_BPF

SEC("tp/sched/sched_process_exit")
int handle_exit(void *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	if ((__u32)id != (__u32)(id >> 32)) /* threads: only the process (thread-group leader) exit */
		return 0;
	__u64 cg = bpf_get_current_cgroup_id();
	if (!bpf_map_lookup_elem(&watched, &cg))
		return 0;
	struct warden_exit *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_drop(WARDEN_DROP_RINGBUF(WARDEN_EV_EXIT));
		return 0;
	}
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	fill_hdr(&e->h, WARDEN_EV_EXIT, id >> 32, cg);
	e->ppid = BPF_CORE_READ(task, real_parent, tgid);
	e->exit_code = BPF_CORE_READ(task, exit_code);
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_ringbuf_submit(e, 0);
	return 0;
}

#else
#include <stdio.h>

static void print_exit(const struct warden_exit *e)
{
	rec_begin("exit", ts_ms(e->h.ts_boot_ns));
	printf(",\"pid\":%u,\"ppid\":%u,\"cgroupId\":\"%llu\",\"comm\":", e->h.pid, e->ppid,
	       (unsigned long long)e->h.cgroup_id);
	json_str_n(e->comm, sizeof(e->comm));
	printf(",\"exitCode\":%d", e->exit_code);
	rec_end();
}

WARDEN_TRACER(exit, WARDEN_EV_EXIT, struct warden_exit, print_exit);

#endif
