// SPDX-License-Identifier: (GPL-2.0 OR Apache-2.0)
/*
 * connect: destinations of connect(2) and unconnected UDP sendmsg (cgroup sock_addr), de-duplicated per window.
 * The record, its kernel program (built into warden.bpf.o) and its decoder (linked into warden-loader): see tracer.h.
 */
#include "tracers/tracer.h"

WARDEN_RECORD_TYPE(WARDEN_EV_CONNECT, 4);

struct warden_conn_key {
	__u64 cgroup_id;
	__u8 daddr[16];
	__u16 dport; /* host order */
	__u16 family; /* AF_INET 2, AF_INET6 10 */
	__u8 proto; /* IPPROTO_TCP 6, IPPROTO_UDP 17 */
	__u8 _pad[3];
};

struct warden_connect {
	struct warden_hdr h;
	struct warden_conn_key k;
	char comm[WARDEN_COMM_LEN];
};

#ifdef WARDEN_BPF

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct warden_conn_key);
	__type(value, __u64);
} conn_seen SEC(".maps");

static __always_inline void emit_connect(struct bpf_sock_addr *ctx, __u16 family)
{
	__u64 cg = bpf_get_current_cgroup_id();
	if (!bpf_map_lookup_elem(&watched, &cg))
		return;
	struct warden_conn_key k = {};
	k.cgroup_id = cg;
	k.family = family;
	k.proto = (__u8)ctx->protocol;
	k.dport = bpf_ntohs((__u16)ctx->user_port);
	if (family == AF_INET) {
		__u32 a = ctx->user_ip4;
		__builtin_memcpy(k.daddr, &a, 4);
	} else {
		__u32 a0 = ctx->user_ip6[0], a1 = ctx->user_ip6[1], a2 = ctx->user_ip6[2], a3 = ctx->user_ip6[3];
		__builtin_memcpy(k.daddr, &a0, 4);
		__builtin_memcpy(k.daddr + 4, &a1, 4);
		__builtin_memcpy(k.daddr + 8, &a2, 4);
		__builtin_memcpy(k.daddr + 12, &a3, 4);
	}
	struct warden_connect *e =
		reserve_unless_seen(&conn_seen, &k, WARDEN_SUPPRESSED_CONNECT, WARDEN_DROP_RINGBUF(WARDEN_EV_CONNECT), sizeof(*e));
	if (!e)
		return;
	fill_hdr(&e->h, WARDEN_EV_CONNECT, bpf_get_current_pid_tgid() >> 32, cg);
	e->k = k;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_ringbuf_submit(e, 0);
}

/* Each program reports and always allows (returns 1). */
#define SOCK_ADDR_PROG(name, family)                          \
	SEC("cgroup/" #name)                                  \
	int name(struct bpf_sock_addr *ctx)                   \
	{                                                     \
		emit_connect(ctx, family);                    \
		return 1;                                     \
	}

SOCK_ADDR_PROG(connect4, AF_INET)
SOCK_ADDR_PROG(connect6, AF_INET6)
/* Unconnected UDP (sendto with an address) never calls connect: resolvers do this. */
SOCK_ADDR_PROG(sendmsg4, AF_INET)
SOCK_ADDR_PROG(sendmsg6, AF_INET6)

#else
#include <arpa/inet.h>
#include <stdio.h>

static void print_connect(const struct warden_connect *e)
{
	char a[INET6_ADDRSTRLEN];
	addr_str(e->k.family, e->k.daddr, a, sizeof(a));
	const char *proto = e->k.proto == 6 ? "tcp" : e->k.proto == 17 ? "udp" : "other";
	rec_begin("connect", ts_ms(e->h.ts_boot_ns));
	printf(",\"pid\":%u,\"cgroupId\":\"%llu\",\"comm\":", e->h.pid, (unsigned long long)e->h.cgroup_id);
	json_str_n(e->comm, sizeof(e->comm));
	printf(",\"family\":\"%s\",\"protocol\":\"%s\",\"daddr\":\"%s\",\"dport\":%u",
	       e->k.family == 10 ? "inet6" : "inet", proto, a, e->k.dport);
	rec_end();
}

WARDEN_TRACER(connect, WARDEN_EV_CONNECT, struct warden_connect, print_connect);

#endif
