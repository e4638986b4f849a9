// SPDX-License-Identifier: (GPL-2.0 OR Apache-2.0)
/*
 * dns: the first question of UDP DNS queries leaving a watched cgroup (cgroup_skb egress).
 * The record, its kernel program (built into warden.bpf.o) and its decoder (linked into warden-loader): see tracer.h.
 */
#include "tracers/tracer.h"

WARDEN_RECORD_TYPE(WARDEN_EV_DNS, 5);

struct warden_dns {
	struct warden_hdr h;
	__u16 family;
	__u16 dport;
	__u16 txid;
	__u16 qlen; /* bytes valid in q */
	__u8 daddr[16];
	__u8 q[WARDEN_DNSQ_MAX];
};

#ifdef WARDEN_BPF

SEC("cgroup_skb/egress")
int dns_egress(struct __sk_buff *skb)
{
	__u64 cg = bpf_skb_cgroup_id(skb);
	if (!bpf_map_lookup_elem(&watched, &cg))
		return 1;
	__u8 daddr[16] = {};
	__u16 family;
	__u32 l4;
	if (skb->protocol == bpf_htons(ETH_P_IP)) {
		__u8 vihl, proto;
		if (bpf_skb_load_bytes(skb, 0, &vihl, 1) || bpf_skb_load_bytes(skb, 9, &proto, 1))
			return 1;
		if ((vihl >> 4) != 4 || proto != IPPROTO_UDP_)
			return 1;
		l4 = (vihl & 0xF) * 4;
		if (bpf_skb_load_bytes(skb, 16, daddr, 4))
			return 1;
		family = AF_INET;
	} else if (skb->protocol == bpf_htons(ETH_P_IPV6)) {
		__u8 nexthdr;
		if (bpf_skb_load_bytes(skb, 6, &nexthdr, 1) || nexthdr != IPPROTO_UDP_)
			return 1;
		if (bpf_skb_load_bytes(skb, 24, daddr, 16))
			return 1;
		l4 = 40;
		family = AF_INET6;
	} else {
		return 1;
	}
	__u16 udp[4];
	if (bpf_skb_load_bytes(skb, l4, udp, sizeof(udp)))
		return 1;
	if (bpf_ntohs(udp[1]) != dns_port)
		return 1;
	__u16 dnsh[6];
	__u32 p = l4 + 8;
	if (bpf_skb_load_bytes(skb, p, dnsh, sizeof(dnsh)))
		return 1;
	/* Queries only (QR bit clear) with at least one question. */
	if ((bpf_ntohs(dnsh[1]) & 0x8000) || bpf_ntohs(dnsh[2]) == 0)
		return 1;
	__u32 q = p + 12;
	if (skb->len <= q + 4)
		return 1;
	__u32 qlen = skb->len - q;
	if (qlen > WARDEN_DNSQ_MAX)
		qlen = WARDEN_DNSQ_MAX;
	struct warden_dns *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_drop(WARDEN_DROP_RINGBUF(WARDEN_EV_DNS));
		return 1;
	}
	fill_hdr(&e->h, WARDEN_EV_DNS, 0, cg);
	e->family = family;
	e->dport = dns_port;
	e->txid = bpf_ntohs(dnsh[0]);
	__builtin_memcpy(e->daddr, daddr, 16);
	e->qlen = 0;
	/* clang drops a plain mask it can prove redundant; the asm keeps it so the verifier sees the bound.
	 * qlen is in [5, 256] here, so (qlen - 1) & 0xff + 1 keeps it and is provably in [1, 256]. */
	__u32 n = qlen - 1;
	asm volatile("%0 &= 0xff" : "+r"(n));
	n += 1;
	if (bpf_skb_load_bytes(skb, q, e->q, n) == 0)
		e->qlen = n;
	bpf_ringbuf_submit(e, 0);
	return 1;
}

#else
#include <arpa/inet.h>
#include <stdio.h>

/* Decodes the question's qname (length-prefixed labels) and qtype; false when malformed or cut. */
static bool decode_question(const __u8 *q, size_t n, char *name, size_t name_n, unsigned *qtype)
{
	size_t i = 0, o = 0;
	while (i < n) {
		unsigned l = q[i++];
		if (l == 0)
			break;
		if (l > 63 || i + l > n || o + l + 2 > name_n)
			return false; /* compression pointers never appear in a query's first question */
		if (o)
			name[o++] = '.';
		for (unsigned j = 0; j < l; j++) {
			unsigned char c = q[i + j];
			name[o++] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : (char)c;
		}
		i += l;
	}
	if (i + 2 > n)
		return false;
	name[o] = 0;
	*qtype = (unsigned)q[i] << 8 | q[i + 1];
	return true;
}

static void print_dns(const struct warden_dns *e)
{
	char a[INET6_ADDRSTRLEN], name[WARDEN_DNSQ_MAX + 2];
	unsigned qtype = 0;
	size_t qlen = e->qlen > WARDEN_DNSQ_MAX ? WARDEN_DNSQ_MAX : e->qlen;
	if (!decode_question(e->q, qlen, name, sizeof(name), &qtype)) {
		snprintf(name, sizeof(name), "<malformed>");
		qtype = 0;
	}
	addr_str(e->family, e->daddr, a, sizeof(a));
	rec_begin("dns", ts_ms(e->h.ts_boot_ns));
	printf(",\"pid\":%u,\"cgroupId\":\"%llu\",\"family\":\"%s\",\"daddr\":\"%s\",\"dport\":%u,\"qname\":", e->h.pid,
	       (unsigned long long)e->h.cgroup_id, e->family == 10 ? "inet6" : "inet", a, e->dport);
	json_str(name);
	printf(",\"qtype\":%u,\"txid\":%u", qtype, e->txid);
	rec_end();
}

WARDEN_TRACER(dns, WARDEN_EV_DNS, struct warden_dns, print_dns);

#endif
