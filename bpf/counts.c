// SPDX-License-Identifier: Apache-2.0
/*
 * Drops and syscall counts: the kernel's per-CPU drop counters and per-cgroup syscall counts, read every interval and
 * printed as `drops` and `syscalls` records; the watched set and the counting slots the commands change.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "emit.h"
#include "loader.h"
#include "warden.skel.h"

static const char *drop_names[WARDEN_DROP__COUNT] = {
	[WARDEN_DROP_OPEN_PENDING_FULL] = "open_pending_full",
	[WARDEN_DROP_SYSCALL_SLOT] = "syscall_map_full",
	[WARDEN_DROP_SYSCALL_COMPAT] = "syscall_compat",
};
static const char *sc_drop_names[SC__COUNT] = { "seccomp_overflow", "seccomp_malformed", "seccomp_no_cgroup",
						 "seccomp_rate" };

__u64 user_decode_drops;
bool drops_dirty = true;
unsigned long long sc_drops[SC__COUNT];
static unsigned long long last_sc_drops[SC__COUNT];
static __u64 last_drops[WARDEN_DROP__SLOTS + 1]; /* the slots, then user_decode */
static struct bpf_link *count_link; /* attached only while some cgroup has counting on */
static int ncpus;
static __u64 *percpu_buf;
static __u64 *slot_owner; /* cgroup id per syscall slot, 0 = free */
static __u64 *slot_last;  /* last totals per slot * WARDEN_NR_MAX */

/* Allocates the per-CPU read buffer and the slot tables for opt.max_slots; -1 when out of memory. */
int counts_init(void)
{
	ncpus = libbpf_num_possible_cpus();
	percpu_buf = calloc((size_t)(ncpus > 0 ? ncpus : 1), sizeof(__u64));
	slot_owner = calloc(opt.max_slots, sizeof(__u64));
	slot_last = calloc((size_t)opt.max_slots * WARDEN_NR_MAX, sizeof(__u64));
	return ncpus <= 0 || !percpu_buf || !slot_owner || !slot_last ? -1 : 0;
}

/* Detaches the on-demand counter. */
void counts_close(void)
{
	bpf_link__destroy(count_link);
	count_link = NULL;
}

bool is_watched(__u64 cg)
{
	struct warden_watch w;
	return bpf_map_lookup_elem(bpf_map__fd(skel->maps.watched), &cg, &w) == 0;
}

static __u64 percpu_sum(int fd, __u32 key)
{
	if (bpf_map_lookup_elem(fd, &key, percpu_buf))
		return 0;
	__u64 s = 0;
	for (int c = 0; c < ncpus; c++)
		s += percpu_buf[c];
	return s;
}

void emit_drops(bool force)
{
	int fd = bpf_map__fd(skel->maps.drops);
	__u64 cur[WARDEN_DROP__SLOTS + 1] = { 0 };
	bool changed = false;
	for (__u32 r = 0; r < WARDEN_DROP__SLOTS; r++) {
		if (r >= WARDEN_DROP__COUNT && !tracer_name(r - WARDEN_DROP__COUNT))
			continue; /* no tracer has that record type */
		cur[r] = percpu_sum(fd, r);
		changed |= cur[r] != last_drops[r];
	}
	cur[WARDEN_DROP__SLOTS] = user_decode_drops;
	changed |= cur[WARDEN_DROP__SLOTS] != last_drops[WARDEN_DROP__SLOTS];
	changed |= memcmp(sc_drops, last_sc_drops, sizeof(sc_drops)) != 0;
	if (!changed && !force && !drops_dirty)
		return;
	memcpy(last_drops, cur, sizeof(cur));
	memcpy(last_sc_drops, sc_drops, sizeof(sc_drops));
	drops_dirty = false;
	rec_begin("drops", now_ms());
	fputs(",\"counts\":{", stdout);
	bool first = true;
	for (unsigned t = 0; t < WARDEN_TYPE_MAX; t++) {
		const char *name = tracer_name(t);
		if (!name)
			continue;
		printf("%s\"ringbuf_%s\":%llu", first ? "" : ",", name, (unsigned long long)cur[WARDEN_DROP_RINGBUF(t)]);
		first = false;
	}
	for (__u32 r = 0; r < WARDEN_DROP__COUNT; r++) {
		if (!drop_names[r])
			continue;
		printf("%s\"%s\":%llu", first ? "" : ",", drop_names[r], (unsigned long long)cur[r]);
		first = false;
	}
	for (int i = 0; i < SC__COUNT; i++)
		printf(",\"%s\":%llu", sc_drop_names[i], sc_drops[i]);
	printf(",\"user_decode\":%llu},\"suppressed\":{\"open\":%llu,\"connect\":%llu},\"emitted\":%llu",
	       (unsigned long long)cur[WARDEN_DROP__SLOTS], (unsigned long long)cur[WARDEN_SUPPRESSED_OPEN],
	       (unsigned long long)cur[WARDEN_SUPPRESSED_CONNECT], (unsigned long long)emitted + 1);
	rec_end();
}

/* Reads a slot's totals; with `emit`, prints the deltas since the last read as a `syscalls` record. */
static void read_slot(unsigned slot, bool emit)
{
	int fd = bpf_map__fd(skel->maps.syscall_counts);
	__u64 *last = slot_last + (size_t)slot * WARDEN_NR_MAX;
	bool any = false;
	for (__u32 nr = 0; nr < WARDEN_NR_MAX; nr++) {
		__u64 total = percpu_sum(fd, slot * WARDEN_NR_MAX + nr);
		__u64 d = total - last[nr];
		last[nr] = total;
		if (!emit || d == 0)
			continue;
		if (!any) {
			rec_begin("syscalls", now_ms());
			printf(",\"cgroupId\":\"%llu\",\"counts\":[", (unsigned long long)slot_owner[slot]);
		}
		char nrname[24];
		const char *name = syscall_names[nr];
		if (!name) {
			snprintf(nrname, sizeof(nrname), "nr:%u", nr);
			name = nrname;
		}
		printf("%s{\"nr\":%u,\"name\":\"%s\",\"count\":%llu}", any ? "," : "", nr, name, (unsigned long long)d);
		any = true;
	}
	if (any) {
		fputs("]", stdout);
		rec_end();
	}
}

void flush_counts(void)
{
	for (unsigned s = 0; s < opt.max_slots; s++)
		if (slot_owner[s])
			read_slot(s, true);
}

/* The program to attach while some cgroup is counted; NULL when counting is part of an always-attached program. */
struct bpf_program *count_prog(void)
{
	return cfg.count == COUNT_FENTRY   ? skel->progs.count_syscall_fentry
	       : cfg.count == COUNT_COMPAT ? skel->progs.count_syscall_compat
					   : NULL;
}

static int update_count_link(void)
{
	if (!count_prog())
		return 0;
	bool need = false;
	for (unsigned s = 0; s < opt.max_slots; s++)
		need |= slot_owner[s] != 0;
	if (need && !count_link) {
		count_link = bpf_program__attach(count_prog());
		if (!count_link) {
			int err = -errno;
			count_link = NULL;
			return err;
		}
	} else if (!need && count_link) {
		bpf_link__destroy(count_link);
		count_link = NULL;
	}
	return 0;
}

static int find_slot(__u64 cg)
{
	for (unsigned s = 0; s < opt.max_slots; s++)
		if (slot_owner[s] == cg)
			return (int)s;
	return -1;
}

/* Tells the counting programs' per-CPU caches that `watched` changed (see count_cache in warden.bpf.c). */
static void bump_epoch(void)
{
	__atomic_add_fetch(&skel->bss->watch_epoch, 1, __ATOMIC_SEQ_CST);
}

/* Switches syscall counting for a watched cgroup; returns 0 or a negative errno. */
int set_counting(__u64 cg, bool on)
{
	int fd = bpf_map__fd(skel->maps.watched);
	struct warden_watch w;
	if (bpf_map_lookup_elem(fd, &cg, &w))
		return -ENOENT;
	int slot = find_slot(cg);
	bool claimed = false;
	if (on && slot < 0) {
		slot = find_slot(0);
		if (slot < 0)
			return -ENOSPC;
		read_slot((unsigned)slot, false); /* baseline: counts left by a previous owner are not this cgroup's */
		w.slot = (__u32)slot;
		w.flags |= WARDEN_WATCH_COUNT;
		slot_owner[slot] = cg;
		claimed = true;
	} else if (!on && slot >= 0) {
		w.flags &= ~WARDEN_WATCH_COUNT;
	}
	if (bpf_map_update_elem(fd, &cg, &w, BPF_EXIST)) {
		int err = -errno;
		if (claimed)
			slot_owner[slot] = 0;
		return err;
	}
	bump_epoch();
	if (!on && slot >= 0) {
		read_slot((unsigned)slot, true);
		slot_owner[slot] = 0;
	}
	return update_count_link();
}

int watch(__u64 cg, bool count)
{
	int fd = bpf_map__fd(skel->maps.watched);
	struct warden_watch w = {0};
	if (bpf_map_update_elem(fd, &cg, &w, BPF_NOEXIST) && errno != EEXIST)
		return -errno;
	return count ? set_counting(cg, true) : 0;
}

int unwatch(__u64 cg)
{
	if (find_slot(cg) >= 0)
		set_counting(cg, false);
	if (bpf_map_delete_elem(bpf_map__fd(skel->maps.watched), &cg))
		return -errno;
	bump_epoch();
	return 0;
}

