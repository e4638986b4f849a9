// SPDX-License-Identifier: Apache-2.0
/*
 * open: the decoder of open records. The record (struct warden_open) and its kernel programs stay in warden.h and
 * warden.bpf.c: on tp_btf kernels one sys_exit program both counts syscalls and reports opens (see README.md), so the
 * open side cannot stand alone. Relative paths are resolved here, right after the event.
 */
#include "tracers/tracer.h"

#ifndef WARDEN_BPF
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
