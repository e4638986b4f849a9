// SPDX-License-Identifier: (GPL-2.0 OR Apache-2.0)
/*
 * exec: every exec of a watched cgroup (tp/sched/sched_process_exec), with argv.
 * The record, its kernel program (built into warden.bpf.o) and its decoder (linked into warden-loader): see tracer.h.
 */
#include "tracers/tracer.h"

WARDEN_RECORD_TYPE(WARDEN_EV_EXEC, 1);

struct warden_exec {
	struct warden_hdr h;
	__u32 ppid;
	__u32 uid;
	__u32 args_len;
	__u8 args_truncated;
	__u8 _pad[3];
	char comm[WARDEN_COMM_LEN];
	char filename[WARDEN_PATH_MAX];
	char args[WARDEN_ARGS_MAX];
};

#ifdef WARDEN_BPF

SEC("tp/sched/sched_process_exec")
int handle_exec(struct trace_event_raw_sched_process_exec *ctx)
{
	__u64 cg = bpf_get_current_cgroup_id();
	if (!bpf_map_lookup_elem(&watched, &cg))
		return 0;
	struct warden_exec *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_drop(WARDEN_DROP_RINGBUF(WARDEN_EV_EXEC));
		return 0;
	}
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	fill_hdr(&e->h, WARDEN_EV_EXEC, bpf_get_current_pid_tgid() >> 32, cg);
	e->ppid = BPF_CORE_READ(task, real_parent, tgid);
	e->uid = (__u32)bpf_get_current_uid_gid();
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	unsigned int off = ctx->__data_loc_filename & 0xFFFF;
	bpf_probe_read_kernel_str(e->filename, sizeof(e->filename), (void *)ctx + off);

	unsigned long start = BPF_CORE_READ(task, mm, arg_start);
	unsigned long end = BPF_CORE_READ(task, mm, arg_end);
	unsigned long len = end > start ? end - start : 0;
	e->args_truncated = len > WARDEN_ARGS_MAX;
	if (len > WARDEN_ARGS_MAX)
		len = WARDEN_ARGS_MAX;
	e->args_len = 0;
	if (len > 0 && bpf_probe_read_user(e->args, len & (WARDEN_ARGS_MAX * 2 - 1) & 0x7ff, (void *)start) == 0)
		e->args_len = len;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

#else
#include <stdio.h>

static void print_exec(const struct warden_exec *e)
{
	rec_begin("exec", ts_ms(e->h.ts_boot_ns));
	printf(",\"pid\":%u,\"ppid\":%u,\"uid\":%u,\"cgroupId\":\"%llu\",\"comm\":", e->h.pid, e->ppid, e->uid,
	       (unsigned long long)e->h.cgroup_id);
	json_str_n(e->comm, sizeof(e->comm));
	fputs(",\"filename\":", stdout);
	json_str_n(e->filename, sizeof(e->filename));
	fputs(",\"argv\":[", stdout);
	size_t len = e->args_len > WARDEN_ARGS_MAX ? WARDEN_ARGS_MAX : e->args_len;
	size_t i = 0;
	bool first = true;
	/* argv is NUL separated; a cut buffer may end mid-string, which is then still printed (and flagged). */
	while (i < len) {
		size_t j = i;
		while (j < len && e->args[j])
			j++;
		if (!first)
			putchar(',');
		json_str_n(e->args + i, j - i);
		first = false;
		i = j + 1;
	}
	printf("],\"argvTruncated\":%s", e->args_truncated ? "true" : "false");
	rec_end();
}

WARDEN_TRACER(exec, WARDEN_EV_EXEC, struct warden_exec, print_exec);

#endif
