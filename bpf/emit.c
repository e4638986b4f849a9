// SPDX-License-Identifier: Apache-2.0
/* Record encoding of warden-loader (see emit.h). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "emit.h"

__u64 emitted;
static long long boot_to_real_ns;

static long long ns_of(clockid_t c)
{
	struct timespec t;
	clock_gettime(c, &t);
	return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

void refresh_clock(void)
{
	boot_to_real_ns = ns_of(CLOCK_REALTIME) - ns_of(CLOCK_BOOTTIME);
}

double ts_ms(__u64 boot_ns)
{
	return (double)((long long)boot_ns + boot_to_real_ns) / 1e6;
}

double now_ms(void)
{
	return (double)ns_of(CLOCK_REALTIME) / 1e6;
}

long long monotonic_ns(void)
{
	return ns_of(CLOCK_MONOTONIC);
}

/* Bytes >= 0x80 pass through (UTF-8 paths stay readable). */
void json_str_n(const char *s, size_t n)
{
	putchar('"');
	for (size_t i = 0; i < n && s[i]; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\') {
			putchar('\\');
			putchar(c);
		} else if (c < 0x20 || c == 0x7f) {
			printf("\\u%04x", c);
		} else {
			putchar(c);
		}
	}
	putchar('"');
}

void json_str(const char *s)
{
	json_str_n(s, strlen(s));
}

void rec_begin(const char *type, double ts)
{
	printf("{\"type\":\"%s\",\"v\":%d,\"ts\":%.3f", type, PROTO_V, ts);
}

void rec_end(void)
{
	fputs("}\n", stdout);
	emitted++;
}

/* Attributes printed in the open event record (the node agent refuses more than 16). */
static int event_attrs;

void event_begin(const char *kind, double ts, __u32 pid, __u64 cgroup_id, const char *key, size_t key_len)
{
	rec_begin("event", ts);
	printf(",\"kind\":\"%s\",\"pid\":%u,\"cgroupId\":\"%llu\",\"key\":", kind, pid, (unsigned long long)cgroup_id);
	json_str_n(key, key_len);
	event_attrs = 0;
}

static int event_attr_open(const char *name)
{
	if (event_attrs >= 16)
		return 0;
	printf("%s\"%s\":", event_attrs++ ? "," : ",\"attrs\":{", name);
	return 1;
}

void event_attr_str(const char *name, const char *s, size_t n)
{
	if (event_attr_open(name))
		json_str_n(s, n);
}

void event_attr_int(const char *name, long long v)
{
	if (event_attr_open(name))
		printf("%lld", v);
}

void event_end(void)
{
	if (event_attrs)
		fputs("}", stdout);
	rec_end();
}

void warn_rec(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	rec_begin("warn", now_ms());
	fputs(",\"message\":", stdout);
	json_str(buf);
	rec_end();
}

void ack(const char *cmd, int err, const char *why)
{
	rec_begin("ack", now_ms());
	fputs(",\"cmd\":", stdout);
	json_str(cmd);
	printf(",\"ok\":%s", err ? "false" : "true");
	if (err) {
		fputs(",\"error\":", stdout);
		json_str(why);
	}
	rec_end();
}

void addr_str(__u16 family, const __u8 *a, char *out, size_t n)
{
	if (!inet_ntop(family == 10 ? AF_INET6 : AF_INET, a, out, n))
		snprintf(out, n, "?");
}
