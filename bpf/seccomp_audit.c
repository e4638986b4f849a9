// SPDX-License-Identifier: Apache-2.0
/* The audit netlink reader of seccomp records (see seccomp_audit.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/audit.h>
#include <linux/netlink.h>

#include "seccomp_audit.h"

#ifndef AUDIT_NLGRP_READLOG
#define AUDIT_NLGRP_READLOG 1
#endif
#ifndef AUDIT_SECCOMP
#define AUDIT_SECCOMP 1326
#endif
#define X32_SYSCALL_BIT 0x40000000L

/* fd of /proc/1/ns/<kind> when it differs from ours (we run in a container with hostPID), else -1. */
static int host_ns(const char *kind)
{
	char a[64], b[64];
	snprintf(a, sizeof(a), "/proc/self/ns/%s", kind);
	snprintf(b, sizeof(b), "/proc/1/ns/%s", kind);
	struct stat sa, sb;
	if (stat(a, &sa) || stat(b, &sb) || (sa.st_ino == sb.st_ino && sa.st_dev == sb.st_dev))
		return -1;
	return open(b, O_RDONLY | O_CLOEXEC);
}

int seccomp_audit_enter_host_cgroupns(void)
{
	int fd = host_ns("cgroup");
	if (fd < 0)
		return 0;
	int r = setns(fd, CLONE_NEWCGROUP) ? -errno : 0;
	close(fd);
	return r;
}

int seccomp_audit_open(void)
{
	/*
	 * The kernel multicasts audit records only to listeners in the initial network namespace: a loader in a pod
	 * network namespace creates the socket there (setns and back; the socket stays in the namespace it was made in).
	 */
	int host = host_ns("net"), self = -1;
	if (host >= 0) {
		self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
		if (self < 0 || setns(host, CLONE_NEWNET)) {
			int e = -errno;
			close(host);
			if (self >= 0)
				close(self);
			return e;
		}
	}
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_AUDIT);
	int sock_errno = errno;
	if (host >= 0) {
		if (setns(self, CLONE_NEWNET)) {
			fprintf(stderr, "warden-loader: cannot return to the pod network namespace: %s\n", strerror(errno));
			abort();
		}
		close(self);
		close(host);
	}
	if (fd < 0)
		return -sock_errno;
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = 1u << (AUDIT_NLGRP_READLOG - 1) };
	int rcvbuf = 4 << 20; /* records arrive in bursts when a hot call is outside the envelope */
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int e = -errno;
		close(fd);
		return e;
	}
	return fd;
}

/* The value of ` key=` in text[0..n), or NULL; *len is its length (up to the next space). */
static const char *field(const char *text, size_t n, const char *key, size_t *len)
{
	size_t kl = strlen(key);
	for (size_t i = 0; i + kl + 1 < n; i++) {
		if ((i == 0 || text[i - 1] == ' ') && !memcmp(text + i, key, kl) && text[i + kl] == '=') {
			const char *v = text + i + kl + 1;
			size_t l = 0;
			if (*v == '"') {
				const char *end = memchr(v + 1, '"', n - (size_t)(v + 1 - text));
				if (!end)
					return NULL;
				l = (size_t)(end - v) + 1;
			} else {
				while (v + l < text + n && v[l] != ' ')
					l++;
			}
			*len = l;
			return v;
		}
	}
	return NULL;
}

static bool number(const char *text, size_t n, const char *key, int base, unsigned long *out)
{
	size_t l;
	const char *v = field(text, n, key, &l);
	if (!v || l == 0 || l > 20)
		return false;
	char buf[24];
	memcpy(buf, v, l);
	buf[l] = 0;
	char *end;
	errno = 0;
	*out = strtoul(buf, &end, base);
	return !errno && *end == 0;
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* An audit string: "quoted", or hex-encoded when it held a space, quote or control byte; "(null)" when absent. */
static void string(const char *text, size_t n, const char *key, char *out, size_t cap)
{
	size_t l;
	const char *v = field(text, n, key, &l);
	out[0] = 0;
	if (!v)
		return;
	size_t o = 0;
	if (*v == '"') {
		for (size_t i = 1; i + 1 < l && o + 1 < cap; i++)
			out[o++] = v[i];
	} else if (l % 2 == 0) {
		for (size_t i = 0; i + 1 < l && o + 1 < cap; i += 2) {
			int h = hexval(v[i]), lo = hexval(v[i + 1]);
			if (h < 0 || lo < 0) {
				o = 0;
				break;
			}
			out[o++] = (char)(h << 4 | lo);
		}
	}
	out[o] = 0;
}

bool seccomp_audit_parse(const char *text, size_t n, struct seccomp_audit_event *e)
{
	memset(e, 0, sizeof(*e));
	unsigned long sec, ms, arch, nr, compat = 0, code;
	const char *a = memmem(text, n, "audit(", 6);
	if (!a || sscanf(a, "audit(%lu.%lu:", &sec, &ms) != 2)
		return false;
	e->ts_ms = (double)sec * 1000.0 + (double)ms;
	if (!number(text, n, "pid", 10, &e->pid) || !number(text, n, "arch", 16, &arch) ||
	    !number(text, n, "syscall", 10, &nr) || !number(text, n, "code", 16, &code))
		return false;
	if (!number(text, n, "uid", 10, &e->uid))
		e->uid = (unsigned long)-1;
	number(text, n, "compat", 10, &compat);
	e->arch = (unsigned)arch;
	e->nr = (long)nr;
	e->compat = compat != 0;
	e->code = code;
	string(text, n, "comm", e->comm, sizeof(e->comm));
	string(text, n, "exe", e->exe, sizeof(e->exe));
	return true;
}

int seccomp_audit_drain(int fd, void (*cb)(const struct seccomp_audit_event *e, void *ctx), void *ctx,
			unsigned long long *overflow, unsigned long long *malformed)
{
	static char buf[1 << 16];
	for (;;) {
		ssize_t r = recv(fd, buf, sizeof(buf), 0);
		if (r < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) {
				(*overflow)++;
				continue;
			}
			return -errno;
		}
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)r); h = NLMSG_NEXT(h, r)) {
			if (h->nlmsg_type != AUDIT_SECCOMP)
				continue;
			struct seccomp_audit_event e;
			size_t len = h->nlmsg_len - NLMSG_HDRLEN;
			if (seccomp_audit_parse(NLMSG_DATA(h), len, &e))
				cb(&e, ctx);
			else
				(*malformed)++;
		}
	}
}

const char *seccomp_audit_arch(unsigned arch, long nr)
{
	switch (arch) {
	case AUDIT_ARCH_X86_64: return nr & X32_SYSCALL_BIT ? "x32" : "x86_64";
	case AUDIT_ARCH_AARCH64: return "aarch64";
	case AUDIT_ARCH_I386: return "i386";
	case AUDIT_ARCH_ARM: return "arm";
	default: return "unknown";
	}
}

const char *seccomp_audit_action(unsigned long code)
{
	switch (code & 0xffff0000UL) {
	case 0x7ffc0000UL: return "log";
	case 0x00050000UL: return "errno";
	case 0x00000000UL: return "kill_thread";
	case 0x80000000UL: return "kill_process";
	case 0x00030000UL: return "trap";
	case 0x7ff00000UL: return "trace";
	case 0x7fc00000UL: return "user_notif";
	default: return "unknown";
	}
}
