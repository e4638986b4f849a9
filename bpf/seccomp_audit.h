/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reads the seccomp records (audit type 1326, AUDIT_SECCOMP) the kernel writes for every call a filter logs
 * (SCMP_ACT_LOG, and the actions listed in /proc/sys/kernel/seccomp/actions_logged), from the audit netlink
 * multicast group AUDIT_NLGRP_READLOG: read-only, beside auditd if one runs, and without the printk rate limit that
 * makes /dev/kmsg lose all but ~10 records per 5 s. Needs CAP_AUDIT_READ, and the initial network namespace (the
 * kernel multicasts audit records there only): in a pod, the socket is created there through /proc/1/ns/net
 * (hostPID and CAP_SYS_ADMIN, which the node agent has).
 */
#ifndef WARDEN_SECCOMP_AUDIT_H
#define WARDEN_SECCOMP_AUDIT_H

#include <stdbool.h>
#include <stddef.h>

#define SECCOMP_AUDIT_COMM_MAX 64
#define SECCOMP_AUDIT_EXE_MAX 1024

struct seccomp_audit_event {
	double ts_ms;	   /* audit(<sec>.<ms>:<serial>) */
	unsigned long pid; /* thread-group id */
	unsigned long uid;
	unsigned arch;	   /* AUDIT_ARCH_* */
	long nr;	   /* syscall number as the record gives it */
	bool compat;
	unsigned long code; /* SECCOMP_RET_* action (and data) */
	char comm[SECCOMP_AUDIT_COMM_MAX];
	char exe[SECCOMP_AUDIT_EXE_MAX];
};

/* Opens and subscribes the socket (in the initial network namespace); returns the fd or a negative errno. */
int seccomp_audit_open(void);

/*
 * In a container with its own cgroup namespace, /proc/<pid>/cgroup shows other containers' cgroups as `/../..`
 * paths: enter the host's (pid 1's) cgroup namespace so they read as absolute paths. 0, or a negative errno.
 */
int seccomp_audit_enter_host_cgroupns(void);

/*
 * Parses the text of one AUDIT_SECCOMP record ("audit(...): auid=... pid=... comm=... exe=... arch=... syscall=...
 * code=..."); returns false when a required field is missing or malformed.
 */
bool seccomp_audit_parse(const char *text, size_t n, struct seccomp_audit_event *e);

/*
 * Drains the socket without blocking, calling `cb` for every seccomp record; other audit records are ignored.
 * Counts receive-buffer overruns (ENOBUFS: the kernel dropped records for us) in *overflow and unparsable
 * records in *malformed. Returns 0, or a negative errno when the socket failed.
 */
int seccomp_audit_drain(int fd, void (*cb)(const struct seccomp_audit_event *e, void *ctx), void *ctx,
			unsigned long long *overflow, unsigned long long *malformed);

/* "x86_64", "aarch64", "i386", "x32" (x86_64 with the x32 bit), "arm", or "unknown". */
const char *seccomp_audit_arch(unsigned arch, long nr);

/* "log", "errno", "kill_thread", "kill_process", "trap", "trace", "user_notif", or "unknown". */
const char *seccomp_audit_action(unsigned long code);

#endif
