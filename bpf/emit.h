/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Record encoding of warden-loader: one JSON object per line on stdout (contract: node-agent/loader-protocol.ts).
 * Every record starts with rec_begin(type, ts) and ends with rec_end(); the fields between are printed by the caller.
 */
#ifndef WARDEN_EMIT_H
#define WARDEN_EMIT_H

#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>

#define PROTO_V 1

/* Records printed so far (the drops record reports it). */
extern __u64 emitted;

/* Re-reads the offset between the boot clock (kernel timestamps) and the wall clock. */
void refresh_clock(void);
/* Wall-clock milliseconds of a kernel boot-clock timestamp. */
double ts_ms(__u64 boot_ns);
double now_ms(void);
long long monotonic_ns(void);

/* JSON string from at most `n` bytes (stops at NUL). */
void json_str_n(const char *s, size_t n);
void json_str(const char *s);
void rec_begin(const char *type, double ts);
void rec_end(void);
/*
 * A generic kernel event record (node-agent/tracers/event.ts): `{"type":"event",...,"kind":KIND,"pid":..,"cgroupId":
 * "..","key":KEY[,"attrs":{..}]}`, which the node agent ships as `kernel:<kind>:<key>` with no TypeScript of its
 * own. event_begin, then at most 16 event_attr_* calls, then event_end. `kind` is the tracer's name
 * ([a-z][a-z0-9_]{0,31}); the key is at most `key_len` bytes (stops at NUL), non-empty.
 */
void event_begin(const char *kind, double ts, __u32 pid, __u64 cgroup_id, const char *key, size_t key_len);
void event_attr_str(const char *name, const char *s, size_t n);
void event_attr_int(const char *name, long long v);
void event_end(void);
/* A `warn` record (printf format). */
void warn_rec(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The `ack` of a command: ok, or the error and why. */
void ack(const char *cmd, int err, const char *why);
/* An address of family AF_INET (2) or AF_INET6 (10) as text. */
void addr_str(__u16 family, const __u8 *a, char *out, size_t n);

#endif
