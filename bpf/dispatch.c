// SPDX-License-Identifier: Apache-2.0
/* Hands each ring-buffer record to the tracer of its type (tracers/); anything else is a user_decode drop. */
#include <stdio.h>

#include "loader.h"
#include "tracers/tracer.h"

static const struct warden_tracer *by_type[WARDEN_TYPE_MAX];

/* Builds the type -> tracer table; two tracers with one type (or a type out of range) is a build mistake. */
int check_tracers(void)
{
	for (const struct warden_tracer *const *t = __start_warden_tracers; t < __stop_warden_tracers; t++) {
		unsigned type = (*t)->type;
		if (type >= WARDEN_TYPE_MAX || by_type[type]) {
			fprintf(stderr, "warden-loader: tracer %s: record type %u is out of range or taken\n", (*t)->name,
				type);
			return -1;
		}
		by_type[type] = *t;
	}
	return 0;
}

const char *tracer_name(unsigned type)
{
	return type < WARDEN_TYPE_MAX && by_type[type] ? by_type[type]->name : NULL;
}

int on_event(void *ctx, void *data, size_t size)
{
	const struct warden_hdr *h = data;
	const struct warden_tracer *t =
		size >= sizeof(*h) && h->version == WARDEN_EVENT_VERSION && h->type < WARDEN_TYPE_MAX ? by_type[h->type] : NULL;
	if (!t || size < t->size) {
		user_decode_drops++;
		drops_dirty = true;
		return 0;
	}
	t->decode(data);
	return 0;
}
