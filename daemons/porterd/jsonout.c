/*
 * daemons/porterd/jsonout.c: compact JSON for replies (jsonout.h says what
 * and why).
 */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "porter/crypto.h"
#include "jsonout.h"

static void
jb_grow(struct jbuf *b, size_t need)
{
	size_t ncap = b->cap;
	char *np;

	while (ncap - b->len < need) {
		if (ncap > SIZE_MAX / 2) {
			b->err = true;
			return;
		}
		ncap *= 2;
	}
	if ((np = malloc(ncap)) == NULL) {
		b->err = true;
		return;
	}
	memcpy(np, b->p, b->len);
	if (b->heap) {
		pt_wipe(b->p, b->cap);	/* bodies may carry a session token */
		free(b->p);
	}
	b->p = np;
	b->cap = ncap;
	b->heap = true;
}

static inline void
jb_put(struct jbuf *b, const char *s, size_t n)
{
	if (b->cap - b->len < n) {
		jb_grow(b, n);
		if (b->err)
			return;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

static inline void
jb_ch(struct jbuf *b, char c)
{
	jb_put(b, &c, 1);
}

/* Length of the UTF-8 sequence at s (1..4), 0 if invalid: jansson's rules
 * (no overlong forms, no surrogates, nothing above U+10FFFF). */
static size_t
utf8_len(const unsigned char *s, size_t avail)
{
	unsigned char u = s[0];
	size_t n, i;
	uint32_t v;

	if (u < 0x80)
		return 1;
	if (u < 0xC2)
		return 0;
	if (u < 0xE0) {
		n = 2;
		v = u & 0x1Fu;
	} else if (u < 0xF0) {
		n = 3;
		v = u & 0x0Fu;
	} else if (u <= 0xF4) {
		n = 4;
		v = u & 0x07u;
	} else {
		return 0;
	}
	if (n > avail)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xC0u) != 0x80u)
			return 0;
		v = (v << 6) | (s[i] & 0x3Fu);
	}
	if (v > 0x10FFFFu || (v >= 0xD800u && v <= 0xDFFFu) || (n == 3 && v < 0x800u) ||
	    (n == 4 && v < 0x10000u))
		return 0;
	return n;
}

static void
jb_string(struct jbuf *b, const char *str, size_t len)
{
	static const char hx[] = "0123456789ABCDEF";
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, run = 0, k;
	char esc[6];

	jb_ch(b, '"');
	while (i < len) {
		unsigned char c = s[i];
		const char *e = NULL;
		size_t en = 2;

		if (c >= 0x20 && c != '"' && c != '\\') {
			if (c < 0x80) {
				i++;
				continue;
			}
			if ((k = utf8_len(s + i, len - i)) == 0) {
				b->err = true;
				return;
			}
			i += k;
			continue;
		}
		jb_put(b, str + run, i - run);
		switch (c) {
		case '"': e = "\\\""; break;
		case '\\': e = "\\\\"; break;
		case '\b': e = "\\b"; break;
		case '\f': e = "\\f"; break;
		case '\n': e = "\\n"; break;
		case '\r': e = "\\r"; break;
		case '\t': e = "\\t"; break;
		default:
			esc[0] = '\\';
			esc[1] = 'u';
			esc[2] = '0';
			esc[3] = '0';
			esc[4] = hx[c >> 4];
			esc[5] = hx[c & 15];
			e = esc;
			en = 6;
			break;
		}
		jb_put(b, e, en);
		run = ++i;
	}
	jb_put(b, str + run, len - run);
	jb_ch(b, '"');
}

static void
jb_integer(struct jbuf *b, json_int_t v)
{
	char t[24];
	size_t i = sizeof(t);
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;

	do {
		t[--i] = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	if (v < 0)
		t[--i] = '-';
	jb_put(b, t + i, sizeof(t) - i);
}

/* jansson's jsonp_dtostr with precision 17, in the C locale porterd runs in. */
static void
jb_real(struct jbuf *b, double v)
{
	char t[100];
	char *start, *end;
	int r = snprintf(t, sizeof(t), "%.17g", v);
	size_t n;

	/* JSON has no NaN or infinity (jansson's json_real refuses them too) */
	if (!isfinite(v) || r < 0 || (size_t)r + 3 >= sizeof(t)) {
		b->err = true;
		return;
	}
	n = (size_t)r;
	if (strchr(t, '.') == NULL && strchr(t, 'e') == NULL) {
		t[n++] = '.';
		t[n++] = '0';
		t[n] = '\0';
	}
	if ((start = strchr(t, 'e')) != NULL) {
		start++;
		end = start + 1;
		if (*start == '-')
			start++;
		while (*end == '0')
			end++;
		if (end != start) {
			memmove(start, end, n - (size_t)(end - t));
			n -= (size_t)(end - start);
		}
	}
	jb_put(b, t, n);
}

static void
jb_value(struct jbuf *b, json_t *j, int depth)
{
	void *it;
	size_t i, n;

	if (depth > JSON_DEPTH_MAX) {
		b->err = true;
		return;
	}
	switch (json_typeof(j)) {
	case JSON_OBJECT:
		jb_ch(b, '{');
		for (it = json_object_iter(j); it != NULL && !b->err;) {
			jb_string(b, json_object_iter_key(it), json_object_iter_key_len(it));
			jb_ch(b, ':');
			jb_value(b, json_object_iter_value(it), depth + 1);
			if ((it = json_object_iter_next(j, it)) != NULL)
				jb_ch(b, ',');
		}
		jb_ch(b, '}');
		break;
	case JSON_ARRAY:
		jb_ch(b, '[');
		n = json_array_size(j);
		for (i = 0; i < n && !b->err; i++) {
			if (i != 0)
				jb_ch(b, ',');
			jb_value(b, json_array_get(j, i), depth + 1);
		}
		jb_ch(b, ']');
		break;
	case JSON_STRING:
		jb_string(b, json_string_value(j), json_string_length(j));
		break;
	case JSON_INTEGER:
		jb_integer(b, json_integer_value(j));
		break;
	case JSON_REAL:
		jb_real(b, json_real_value(j));
		break;
	case JSON_TRUE:
		jb_put(b, "true", 4);
		break;
	case JSON_FALSE:
		jb_put(b, "false", 5);
		break;
	case JSON_NULL:
		jb_put(b, "null", 4);
		break;
	default:
		b->err = true;
		break;
	}
}

/* body as compact JSON into b (which starts on the caller's buffer); false
 * if it cannot be written (b->p is then the caller's buffer again). */
bool
jb_dump(struct jbuf *b, json_t *body)
{
	char *first = b->p;

	if (json_is_object(body) || json_is_array(body))
		jb_value(b, body, 0);
	else
		b->err = true;
	if (!b->err)
		return true;
	if (b->heap) {
		pt_wipe(b->p, b->cap);
		free(b->p);
	}
	b->p = first;
	b->len = 0;
	b->heap = false;
	return false;
}

