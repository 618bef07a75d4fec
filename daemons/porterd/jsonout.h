/*
 * daemons/porterd/jsonout.h: the reply writer (jsonout.c).
 *
 * The reply body as compact JSON, byte for byte what jansson's
 * json_dumpb(JSON_COMPACT) writes (jansson 2.14: keys in insertion order,
 * strings checked as UTF-8 and escaped the same way, reals as "%.17g" with
 * ".0" added and the exponent trimmed), without its cost: jansson checks
 * every object and array for reference loops by printing its address into
 * a hash table, which is most of the time it spends on our replies. Replies
 * are trees built per request; a depth limit stands in for the loop check.
 *
 * Use: struct jbuf b = {buf, 0, sizeof(buf), false, false}; jb_dump(&b,
 * body); the text is b.p[0..b.len) (not NUL-terminated); if b.heap, wipe
 * and free b.p (replies may carry secrets: a hosted carrier's key, a
 * one-time code).
 */
#ifndef PORTERD_JSONOUT_H
#define PORTERD_JSONOUT_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#define JSON_DEPTH_MAX 32

struct jbuf {
	char *p;
	size_t len, cap;
	bool heap;	/* p is malloc'd (else the caller's buffer) */
	bool err;
};

/* body (an object or an array) as compact JSON into b, which starts on the
 * caller's buffer; false if it cannot be written (a string that is not
 * UTF-8, a real that is not finite, nesting deeper than JSON_DEPTH_MAX, out
 * of memory): b->p is then the caller's buffer again, b->len 0. */
bool jb_dump(struct jbuf *b, json_t *body);

#endif
