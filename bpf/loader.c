// SPDX-License-Identifier: Apache-2.0
/*
 * warden-loader: loads the Warden eBPF programs, drains the ring buffer and prints one JSON record per line on
 * stdout (contract: node-agent/loader-protocol.ts). Reads line commands on stdin (commands.c). Diagnostics go to
 * stderr. Exit status: 0 on quit/EOF/SIGTERM, 1 on a start-up failure (message on stderr).
 *
 * This file: the options, the choice of programs this kernel loads, start-up and the poll loop. The records
 * themselves are decoded by the tracers (tracers/, dispatch.c) and encoded by emit.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "emit.h"
#include "loader.h"
#include "probe.skel.h"
#include "seccomp_audit.h"
#include "warden.skel.h"

struct options opt = {
	.cgroup_root = "/sys/fs/cgroup/unified",
	.dedup_ms = 5000,
	.interval_ms = 1000,
	.ringbuf_mb = 8,
	.max_slots = 64,
	.dns_port = 53,
	.seccomp_max = 10000,
};

struct warden_bpf *skel;
/*
 * --no-fentry starts at 1, --compat-count at 2. On this project's test machine (6.18, locked down: fentry refused)
 * configuration 1 is taken; a dd bs=1 storm measured the same with the openat tracepoint pair within noise (1.28-1.47
 * either way, 16 alternating rounds), and the sys_exit program also sees open(2), openat2(2) and creat(2).
 */
static const struct prog_config configs[] = {
	{ COUNT_FENTRY, OPEN_FEXIT },
	{ COUNT_SYS_EXIT, OPEN_SYS_EXIT },
	{ COUNT_COMPAT, OPEN_TRACEPOINTS },
};
struct prog_config cfg;
static int cgroup_root_fd = -1;
volatile sig_atomic_t stop;

static int silent_print(enum libbpf_print_level l, const char *fmt, va_list ap)
{
	return 0;
}

static int stderr_print(enum libbpf_print_level l, const char *fmt, va_list ap)
{
	if (l == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

/* Loads and attaches one probe program alone; true when the kernel accepts both. */
static bool probe_one(const char *name)
{
	struct probe_bpf *p = probe_bpf__open();
	if (!p)
		return false;
	struct bpf_program *prog;
	bpf_object__for_each_program(prog, p->obj) bpf_program__set_autoload(prog, !strcmp(bpf_program__name(prog), name));
	bool ok = false;
	if (!probe_bpf__load(p)) {
		struct bpf_program *target = bpf_object__find_program_by_name(p->obj, name);
		struct bpf_link *l = target ? bpf_program__attach(target) : NULL;
		ok = l != NULL;
		bpf_link__destroy(l);
	}
	probe_bpf__destroy(p);
	return ok;
}

/* Attached to the cgroup2 root (connect, sendmsg, DNS egress), not to a kernel hook; none with --no-cgroup-progs. */
static bool is_cgroup_prog(const struct bpf_program *p)
{
	enum bpf_prog_type t = bpf_program__type(p);
	return t == BPF_PROG_TYPE_CGROUP_SOCK_ADDR || t == BPF_PROG_TYPE_CGROUP_SKB;
}

/* Opens the object with the options applied and loads the programs of configuration `c`. */
static int open_and_load(struct prog_config c)
{
	if (skel)
		warden_bpf__destroy(skel);
	skel = warden_bpf__open();
	if (!skel)
		return -errno;
	skel->rodata->dedup_window_ns = (__u64)opt.dedup_ms * 1000000ULL;
	skel->rodata->dns_port = (__u16)opt.dns_port;
	skel->rodata->max_slots = opt.max_slots;
	bpf_map__set_max_entries(skel->maps.syscall_counts, opt.max_slots * WARDEN_NR_MAX);
	bpf_map__set_max_entries(skel->maps.events, opt.ringbuf_mb << 20);
	if (opt.no_cgroup_progs) {
		struct bpf_program *p;
		bpf_object__for_each_program(p, skel->obj) if (is_cgroup_prog(p)) bpf_program__set_autoload(p, false);
	}
	bpf_program__set_autoload(skel->progs.count_syscall_fentry, c.count == COUNT_FENTRY);
	bpf_program__set_autoload(skel->progs.count_syscall_compat, c.count == COUNT_COMPAT);
	bpf_program__set_autoload(skel->progs.handle_open_fexit, c.open == OPEN_FEXIT);
	bpf_program__set_autoload(skel->progs.handle_sys_exit, c.open == OPEN_SYS_EXIT);
	bpf_program__set_autoload(skel->progs.handle_openat_enter, c.open == OPEN_TRACEPOINTS);
	bpf_program__set_autoload(skel->progs.handle_openat_exit, c.open == OPEN_TRACEPOINTS);
	if (c.open != OPEN_TRACEPOINTS)
		bpf_map__set_autocreate(skel->maps.open_pending, false);
	cfg = c;
	return warden_bpf__load(skel);
}

/*
 * Attaches, at start, every program this configuration loaded but the syscall counters (attached on demand): the
 * hook programs first, then the cgroup programs (`cgroup` pass) to the cgroup2 root. The tracers' programs need no
 * list here: whatever tracers/ builds is attached. The links live in the skeleton's slots (destroyed with it); each
 * program's name is added to `programs` (the ready record's list). False (with the reason on stderr) on a failure.
 */
static bool attach_at_start(bool cgroup, char *programs, size_t size)
{
	const struct bpf_object_skeleton *s = skel->skeleton;
	for (int i = 0; i < s->prog_cnt; i++) {
		struct bpf_program *p = *s->progs[i].prog;
		struct bpf_link **l = s->progs[i].link;
		if (!bpf_program__autoload(p) || p == skel->progs.count_syscall_fentry ||
		    p == skel->progs.count_syscall_compat || is_cgroup_prog(p) != cgroup)
			continue;
		*l = cgroup ? bpf_program__attach_cgroup(p, cgroup_root_fd) : bpf_program__attach(p);
		if (!*l) {
			if (cgroup)
				fprintf(stderr, "warden-loader: cannot attach %s to %s: %s\n", bpf_program__name(p),
					opt.cgroup_root, strerror(errno));
			else
				fprintf(stderr,
					"warden-loader: cannot attach %s: %s (is tracefs mounted at /sys/kernel/tracing?)\n",
					bpf_program__name(p), strerror(errno));
			return false;
		}
		snprintf(programs + strlen(programs), size - strlen(programs), "%s\"%s\"", programs[0] ? "," : "",
			 bpf_program__name(p));
	}
	return true;
}

/*
 * Loads the first configuration the kernel accepts: loading checks the programs and their targets (x64_sys_call,
 * do_sys_openat2 must exist), and a trial attach of the counter and the open program checks that the trampolines
 * can be installed (a function can be in BTF but not traceable). Returns 0, or the last load error.
 */
static int pick_config(size_t first)
{
	int err = -ENOENT;
	for (size_t i = first; i < sizeof(configs) / sizeof(configs[0]); i++) {
		bool last = i + 1 == sizeof(configs) / sizeof(configs[0]);
		libbpf_set_print(last ? stderr_print : silent_print);
		err = open_and_load(configs[i]);
		libbpf_set_print(stderr_print);
		if (err)
			continue;
		if (last)
			return 0;
		struct bpf_program *trial[] = { count_prog(), configs[i].open == OPEN_FEXIT	  ? skel->progs.handle_open_fexit
							      : configs[i].open == OPEN_SYS_EXIT ? skel->progs.handle_sys_exit
												 : NULL };
		bool ok = true;
		for (size_t t = 0; t < 2 && ok; t++) {
			if (!trial[t])
				continue;
			struct bpf_link *l = bpf_program__attach(trial[t]);
			ok = l != NULL;
			bpf_link__destroy(l);
		}
		if (ok)
			return 0;
		err = -EOPNOTSUPP;
	}
	return err;
}

static void usage(const char *argv0)
{
	fprintf(stderr,
		"usage: %s [--cgroup-root DIR] [--watch CGID]... [--count CGID]... [--dedup-ms N]\n"
		"          [--interval-ms N] [--ringbuf-mb N] [--max-slots N] [--dns-port N] [--no-cgroup-progs]\n"
		"          [--compat-count]   (raw_tp counter and openat tracepoint pair even where tp_btf works)\n"
		"          [--no-fentry]      (tp_btf programs for counting and opens even where fentry/fexit work)\n"
		"          [--no-seccomp-audit] (do not read seccomp records from the audit multicast group)\n"
		"          [--seccomp-max N]  (seccomp records printed per interval at most; default 10000)\n",
		argv0);
}

static void on_signal(int s)
{
	stop = 1;
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "cgroup-root", required_argument, 0, 'r' }, { "watch", required_argument, 0, 'w' },
		{ "count", required_argument, 0, 'c' },	      { "dedup-ms", required_argument, 0, 'd' },
		{ "interval-ms", required_argument, 0, 'i' }, { "ringbuf-mb", required_argument, 0, 'b' },
		{ "max-slots", required_argument, 0, 's' },   { "dns-port", required_argument, 0, 'p' },
		{ "no-cgroup-progs", no_argument, 0, 'n' },   { "help", no_argument, 0, 'h' },
		{ "compat-count", no_argument, 0, 'C' },      { "no-fentry", no_argument, 0, 'F' },
		{ "no-seccomp-audit", no_argument, 0, 'A' },  { "seccomp-max", required_argument, 0, 'S' },
		{ 0 }
	};
	__u64 initial[256];
	bool initial_count[256];
	int ninitial = 0, c;
	while ((c = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
		__u64 cg;
		switch (c) {
		case 'r': opt.cgroup_root = optarg; break;
		case 'w':
		case 'c':
			if (!parse_cg(optarg, &cg) || ninitial >= 256) {
				fprintf(stderr, "warden-loader: bad cgroup id: %s\n", optarg);
				return 2;
			}
			initial[ninitial] = cg;
			initial_count[ninitial++] = c == 'c';
			break;
		case 'd': opt.dedup_ms = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'i': opt.interval_ms = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'b': opt.ringbuf_mb = (unsigned)strtoul(optarg, NULL, 10); break;
		case 's': opt.max_slots = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'p': opt.dns_port = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'n': opt.no_cgroup_progs = true; break;
		case 'C': opt.compat_count = true; break;
		case 'F': opt.no_fentry = true; break;
		case 'A': opt.no_seccomp_audit = true; break;
		case 'S': opt.seccomp_max = (unsigned)strtoul(optarg, NULL, 10); break;
		default: usage(argv[0]); return 2;
		}
	}
	if (opt.interval_ms == 0 || opt.max_slots == 0 || opt.max_slots > 4096 || opt.ringbuf_mb == 0 ||
	    (opt.ringbuf_mb & (opt.ringbuf_mb - 1)) || opt.dns_port > 65535) {
		fprintf(stderr, "warden-loader: --interval-ms and --max-slots (<= 4096) must be > 0, "
				"--ringbuf-mb a power of two, --dns-port <= 65535\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	refresh_clock();

	if (counts_init()) {
		fprintf(stderr, "warden-loader: out of memory or cannot count CPUs\n");
		return 1;
	}
	if (check_tracers())
		return 1;

	libbpf_set_print(silent_print);
	bool f_fentry = probe_one("probe_fentry"), f_lsm = probe_one("probe_lsm"), f_tp_btf = probe_one("probe_tp_btf");
	libbpf_set_print(stderr_print);

	cgroup_root_fd = open(opt.cgroup_root, O_RDONLY | O_DIRECTORY);
	if (cgroup_root_fd < 0) {
		fprintf(stderr, "warden-loader: cannot open cgroup2 root %s: %s (mount cgroup2 there or pass --cgroup-root)\n",
			opt.cgroup_root, strerror(errno));
		return 1;
	}
	/* The best program configuration this kernel takes; --no-fentry / --compat-count skip the newer ones. */
	int err = pick_config(opt.compat_count ? 2 : opt.no_fentry ? 1 : 0);
	if (err) {
		fprintf(stderr,
			"warden-loader: the kernel refused to load the BPF programs (%s); needs root or CAP_BPF+CAP_PERFMON+"
			"CAP_NET_ADMIN, a kernel with BTF (/sys/kernel/btf/vmlinux) and tracefs mounted at /sys/kernel/tracing\n",
			strerror(-err));
		return 1;
	}

	char programs[512] = "";
	if (!attach_at_start(false, programs, sizeof(programs)) ||
	    (!opt.no_cgroup_progs && !attach_at_start(true, programs, sizeof(programs))))
		return 1;
	/* A separate counter is attached on demand: no hot-path hook for it while nobody is counted. */
	if (count_prog())
		snprintf(programs + strlen(programs), sizeof(programs) - strlen(programs), ",\"%s\"",
			 bpf_program__name(count_prog()));

	struct ring_buffer *rb = ring_buffer__new(bpf_map__fd(skel->maps.events), on_event, NULL, NULL);
	if (!rb) {
		fprintf(stderr, "warden-loader: cannot create the ring buffer reader: %s\n", strerror(errno));
		return 1;
	}
	for (int i = 0; i < ninitial; i++) {
		int e = watch(initial[i], initial_count[i]);
		if (e)
			warn_rec("cannot watch %llu: %s", (unsigned long long)initial[i], strerror(-e));
	}

	/* Logged seccomp calls: optional (an agent without CAP_AUDIT_READ or hostNetwork still observes the rest). */
	int audit_fd = opt.no_seccomp_audit ? -ENOTSUP : seccomp_audit_open();
	if (audit_fd < 0 && !opt.no_seccomp_audit)
		warn_rec("seccomp audit records unavailable (%s): logged seccomp calls are not reported; needs "
			 "CAP_AUDIT_READ, and hostPID with CAP_SYS_ADMIN in a pod",
			 strerror(-audit_fd));
	int cgns = audit_fd >= 0 ? seccomp_audit_enter_host_cgroupns() : 0;
	if (cgns)
		warn_rec("cannot enter the host cgroup namespace (%s): seccomp records of processes outside this "
			 "container's cgroup namespace are counted as seccomp_no_cgroup",
			 strerror(-cgns));

	rec_begin("ready", now_ms());
	printf(",\"pid\":%d,\"features\":{\"fentry\":%s,\"lsm\":%s,\"tpBtf\":%s},\"programs\":[%s],\"cgroupRoot\":",
	       getpid(), f_fentry ? "true" : "false", f_lsm ? "true" : "false", f_tp_btf ? "true" : "false", programs);
	json_str(opt.no_cgroup_progs ? "" : opt.cgroup_root);
	printf(",\"dedupWindowMs\":%u,\"syscallIntervalMs\":%u,\"seccompAudit\":%s", opt.dedup_ms, opt.interval_ms,
	       audit_fd >= 0 ? "true" : "false");
	rec_end();
	fflush(stdout);

	/* stdin is last so it can be dropped from the set at EOF. */
	struct pollfd pfd[3] = { { .fd = ring_buffer__epoll_fd(rb), .events = POLLIN },
				 { .fd = audit_fd, .events = POLLIN },
				 { .fd = 0, .events = POLLIN } };
	bool stdin_open = true;
	long long next_tick = monotonic_ns() + (long long)opt.interval_ms * 1000000LL;
	while (!stop) {
		long long wait_ms = (next_tick - monotonic_ns()) / 1000000LL;
		int n = poll(pfd, stdin_open ? 3 : 2, wait_ms < 0 ? 0 : (int)wait_ms);
		if (n < 0 && errno != EINTR) {
			fprintf(stderr, "warden-loader: poll: %s\n", strerror(errno));
			break;
		}
		ring_buffer__consume(rb);
		if (audit_fd >= 0 && (pfd[1].revents & (POLLIN | POLLERR))) {
			int e = seccomp_audit_drain(audit_fd, on_seccomp, NULL, &sc_drops[SC_OVERFLOW],
						    &sc_drops[SC_MALFORMED]);
			if (e) {
				warn_rec("seccomp audit socket failed (%s): no more seccomp records", strerror(-e));
				close(audit_fd);
				audit_fd = pfd[1].fd = -1; /* poll ignores a negative fd */
			}
		}
		if (stdin_open && (pfd[2].revents & (POLLIN | POLLHUP | POLLERR)) && !read_commands(0)) {
			stdin_open = false; /* EOF: the supervisor is gone or asked us to stop */
			stop = 1;
		}
		if (monotonic_ns() >= next_tick) {
			sc_this_tick = 0;
			refresh_clock();
			flush_counts();
			emit_drops(false);
			next_tick += (long long)opt.interval_ms * 1000000LL;
		}
		if (fflush(stdout) == EOF && errno == EPIPE)
			break;
	}
	ring_buffer__consume(rb);
	flush_counts();
	emit_drops(true);
	fflush(stdout);
	ring_buffer__free(rb);
	counts_close();
	warden_bpf__destroy(skel);
	return 0;
}
