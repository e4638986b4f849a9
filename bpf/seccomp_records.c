// SPDX-License-Identifier: Apache-2.0
/*
 * Seccomp records: each logged seccomp call the audit socket delivers (seccomp_audit.c) becomes a `seccomp` line for
 * watched cgroups only, the syscall named from its architecture's table.
 */
#define _GNU_SOURCE
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "emit.h"
#include "loader.h"
#include "seccomp_audit.h"

const char *syscall_names[WARDEN_NR_MAX] = {
#include "syscall_names.h"
};
/* aarch64 numbering (asm-generic), for seccomp records of arm64 nodes; the same spellings as x86_64. */
const char *syscall_names_aarch64[WARDEN_NR_MAX] = {
#include "syscall_names_aarch64.h"
};
unsigned sc_this_tick;

/* The cgroup id (cgroup2 directory inode) of a process, from its /proc/<pid>/cgroup "0::<path>" line; 0 if gone. */
static __u64 cgroup_of_pid(unsigned long pid)
{
	char path[64], line[PATH_MAX], dir[PATH_MAX + 256];
	snprintf(path, sizeof(path), "/proc/%lu/cgroup", pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	__u64 id = 0;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "0::", 3))
			continue;
		line[strcspn(line, "\n")] = 0;
		if (!strncmp(line + 3, "/..", 3))
			break; /* outside our cgroup namespace (see seccomp_audit_enter_host_cgroupns) */
		struct stat st;
		snprintf(dir, sizeof(dir), "%s%s", opt.cgroup_root, line + 3);
		if (!stat(dir, &st))
			id = st.st_ino;
		break;
	}
	fclose(f);
	return id;
}

void on_seccomp(const struct seccomp_audit_event *e, void *ctx)
{
	__u64 cg = cgroup_of_pid(e->pid);
	if (!cg) {
		sc_drops[SC_NO_CGROUP]++; /* the process exited before we read its cgroup */
		return;
	}
	if (!is_watched(cg))
		return; /* not a watched container: not ours to report */
	if (sc_this_tick >= opt.seccomp_max) {
		sc_drops[SC_RATE]++;
		return;
	}
	sc_this_tick++;
	const char *arch = seccomp_audit_arch(e->arch, e->nr);
	long nr = strcmp(arch, "x32") ? e->nr : e->nr & ~0x40000000L;
	const char **table = !strcmp(arch, "x86_64") || !strcmp(arch, "x32") ? syscall_names
			     : !strcmp(arch, "aarch64")			   ? syscall_names_aarch64
									   : NULL;
	char nrname[24];
	const char *name = table && nr >= 0 && nr < WARDEN_NR_MAX ? table[nr] : NULL;
	if (!name) {
		snprintf(nrname, sizeof(nrname), "nr:%ld", nr < 0 ? 0 : nr);
		name = nrname;
	}
	rec_begin("seccomp", e->ts_ms);
	printf(",\"pid\":%lu,\"cgroupId\":\"%llu\",\"arch\":\"%s\",\"nr\":%ld,\"name\":\"%s\",\"action\":\"%s\"", e->pid,
	       (unsigned long long)cg, arch, nr < 0 ? 0 : nr, name, seccomp_audit_action(e->code));
	printf(",\"code\":%lu,\"compat\":%s,\"comm\":", e->code, e->compat ? "true" : "false");
	json_str(e->comm);
	fputs(",\"exe\":", stdout);
	json_str(e->exe);
	rec_end();
}

