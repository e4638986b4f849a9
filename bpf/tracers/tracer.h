/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One tracer per kernel event type: a file in bpf/tracers/ holds the event's record (shared by kernel and user
 * space), its kernel program (compiled into warden.bpf.o, which includes every tracer: .output/tracers.inc) and its
 * user-space decoder (linked into warden-loader). WARDEN_TRACER registers the decoder in a linker section, so the
 * loader's dispatch table is every tracer file the Makefile finds; WARDEN_RECORD_TYPE claims the record's type number
 * in the same file: adding a type touches no list and no shared header.
 */
#ifndef WARDEN_TRACER_H
#define WARDEN_TRACER_H

/*
 * Claims record type number `id` (1..63, the value of warden_hdr.type) for the tracer of this file, as the constant
 * `name`. The kernel side compiles every tracer in one unit (warden.bpf.c includes .output/tracers.inc), where a
 * second claim of one number redefines warden_record_type_<id>_claimed and fails the build; the loader checks the
 * range and, again, uniqueness when it starts (dispatch.c).
 */
#define WARDEN_RECORD_TYPE(name, id) enum { name = id, warden_record_type_##id##_claimed = id }

#ifdef WARDEN_BPF
#define WARDEN_TRACER(name, type_id, record, decoder)
#else
#include <stddef.h>
#include "emit.h"
#include "warden.h"

struct warden_tracer {
	unsigned type;	   /* warden_hdr.type of its records */
	size_t size;	   /* the record's size: shorter records are counted as user_decode drops */
	const char *name;  /* the JSON record type */
	void (*decode)(const void *record);
};

#define WARDEN_TRACER(name, type_id, record, decoder)                                                          \
	static void decoder##_any(const void *r) { decoder((const record *)r); }                                \
	static const struct warden_tracer tracer_##name = { type_id, sizeof(record), #name, decoder##_any };     \
	static const struct warden_tracer *const tracer_##name##_ref                                             \
		__attribute__((used, section("warden_tracers"))) = &tracer_##name

/* The registered tracers (the linker collects them from every tracer file). */
extern const struct warden_tracer *const __start_warden_tracers[];
extern const struct warden_tracer *const __stop_warden_tracers[];
#endif

#endif
