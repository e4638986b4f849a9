// SPDX-License-Identifier: Apache-2.0
/*
 * The command protocol on stdin (node-agent/loader-protocol.ts loaderCommand): one command a line, each answered
 * with an `ack` record: `watch ID [count]`, `unwatch ID`, `count ID on|off`, `flush`, `quit`.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "emit.h"
#include "loader.h"

bool parse_cg(const char *s, __u64 *out)
{
	if (!s || !*s)
		return false;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end || v == 0)
		return false;
	*out = v;
	return true;
}

static void command(char *line)
{
	char copy[512];
	snprintf(copy, sizeof(copy), "%s", line);
	char *save, *verb = strtok_r(line, " \t", &save);
	char *a1 = verb ? strtok_r(NULL, " \t", &save) : NULL;
	char *a2 = a1 ? strtok_r(NULL, " \t", &save) : NULL;
	__u64 cg;
	int err;
	if (!verb)
		return;
	if (!strcmp(verb, "watch")) {
		if (!parse_cg(a1, &cg) || (a2 && strcmp(a2, "count")))
			return ack(copy, EINVAL, "usage: watch <cgroupId> [count]");
		err = watch(cg, a2 != NULL);
	} else if (!strcmp(verb, "unwatch")) {
		if (!parse_cg(a1, &cg))
			return ack(copy, EINVAL, "usage: unwatch <cgroupId>");
		err = unwatch(cg);
	} else if (!strcmp(verb, "count")) {
		if (!parse_cg(a1, &cg) || !a2 || (strcmp(a2, "on") && strcmp(a2, "off")))
			return ack(copy, EINVAL, "usage: count <cgroupId> on|off");
		err = set_counting(cg, !strcmp(a2, "on"));
	} else if (!strcmp(verb, "flush")) {
		flush_counts();
		emit_drops(true);
		err = 0;
	} else if (!strcmp(verb, "quit")) {
		stop = 1;
		err = 0;
	} else {
		return ack(copy, EINVAL, "unknown command");
	}
	ack(copy, err, err ? strerror(-err) : NULL);
}

bool read_commands(int fd)
{
	static char line[512];
	static size_t line_len;
	ssize_t r = read(fd, line + line_len, sizeof(line) - 1 - line_len);
	if (r <= 0)
		return false; /* EOF: the supervisor is gone or asked us to stop */
	line_len += (size_t)r;
	char *nl;
	while ((nl = memchr(line, '\n', line_len))) {
		*nl = 0;
		command(line);
		size_t used = (size_t)(nl - line) + 1;
		memmove(line, nl + 1, line_len - used);
		line_len -= used;
	}
	if (line_len == sizeof(line) - 1)
		line_len = 0; /* an over-long line is not a command */
	return true;
}
