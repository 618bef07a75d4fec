/*
 * tests/unit/test_jsonout.c: porterd's reply writer (daemons/porterd/jsonout.c)
 * against jansson's own json_dumpb(JSON_COMPACT), byte for byte.
 *
 * Many trees from a deterministic generator (the seed is printed; set
 * JSONOUT_SEED to replay another): strings with every escape and control
 * character, DEL, '/', 2-, 3- and 4-byte UTF-8 and embedded NULs; integers
 * at the INT64 limits; reals such as 1e300, -0.0, 0.1, 5e-324 and integers
 * held as reals; nested and empty arrays and objects; bodies far larger than
 * the caller's buffer. Then the refusals: invalid UTF-8 (value or key),
 * NaN and infinities, nesting past JSON_DEPTH_MAX, a top that is not an
 * object or an array; each must leave the caller's buffer in place with
 * len 0 and heap false, as jsonout.h says.
 */
#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "jsonout.h"
#include "t.h"

static uint64_t rng_state;

static uint64_t
rnd(void)
{
	/* xorshift64*: deterministic for a seed */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ull;
}

static size_t
rnd_below(size_t n)
{
	return (size_t)(rnd() % n);
}

/* Appends one "character" of the test alphabet to s (at most 4 bytes). */
static size_t
rnd_char(char *s)
{
	static const char *const multi[] = {
		"\xc2\x80", "\xc3\xa9", "\xdf\xbf",			/* 2 bytes: U+0080, é, U+07FF */
		"\xe0\xa0\x80", "\xe2\x82\xac", "\xef\xbf\xbf",	/* 3: U+0800, €, U+FFFF */
		"\xe2\x80\xa8", "\xed\x9f\xbf", "\xee\x80\x80",	/* U+2028, U+D7FF, U+E000 */
		"\xf0\x90\x80\x80", "\xf0\x9f\x98\x80", "\xf4\x8f\xbf\xbf",	/* 4: U+10000, emoji, U+10FFFF */
	};
	size_t k = rnd_below(10), n;

	switch (k) {
	case 0: /* any control character, NUL included */
		s[0] = (char)rnd_below(0x20);
		return 1;
	case 1: /* the characters with short escapes, and their neighbours */
		s[0] = "\"\\/\b\f\n\r\t\x7f'"[rnd_below(10)];
		return 1;
	case 2:
	case 3:
		n = strlen(multi[k = rnd_below(sizeof(multi) / sizeof(multi[0]))]);
		memcpy(s, multi[k], n);
		return n;
	default: /* printable ASCII */
		s[0] = (char)(0x20 + rnd_below(0x5f));
		return 1;
	}
}

static size_t
rnd_str(char *s, size_t max_chars)
{
	size_t n = rnd_below(max_chars + 1), i, len = 0;

	for (i = 0; i < n; i++)
		len += rnd_char(s + len);
	return len;
}

static json_t *
rnd_real(void)
{
	static const double specials[] = {
		1e300, -1e300, -0.0, 0.0, 0.1, -0.1, 1.0, 3.0, -7.0, 1e15, 1e16, 1e17, 1e21, 1e22,
		123456789012345678.0, 9007199254740993.0, 1e-300, 5e-324, 2.2250738585072014e-308,
		DBL_MAX, -DBL_MAX, 0.5, 1.5e-7, 1e-5, 100.0, 1.7976931348623157e308, 4294967296.0,
		52.5201, 13.4049,
	};
	double d;
	uint64_t bits;

	switch (rnd_below(3)) {
	case 0:
		return json_real(specials[rnd_below(sizeof(specials) / sizeof(specials[0]))]);
	case 1: /* an integer held as a real */
		return json_real((double)(int64_t)(rnd() >> rnd_below(64)) *
				 (rnd_below(2) ? 1 : -1));
	default: /* any finite bit pattern */
		do {
			bits = rnd();
			memcpy(&d, &bits, sizeof(d));
		} while (!isfinite(d));
		return json_real(d);
	}
}

static json_t *
rnd_int(void)
{
	static const json_int_t specials[] = {
		INT64_MIN, INT64_MAX, INT64_MIN + 1, INT64_MAX - 1, 0, -1, 1, 9, 10, -10,
		4294967295, 4294967296, -4294967296, 1000000000000000000,
	};

	if (rnd_below(2))
		return json_integer(specials[rnd_below(sizeof(specials) / sizeof(specials[0]))]);
	return json_integer((json_int_t)(rnd() >> rnd_below(64)));
}

/* A random value; containers at most max_depth deep below this one. */
static json_t *
rnd_value(int max_depth, size_t width)
{
	char s[64 * 4 + 1];
	size_t n, i, len;
	json_t *v;

	switch (rnd_below(max_depth > 0 ? 9 : 6)) {
	case 0: return json_null();
	case 1: return rnd_below(2) ? json_true() : json_false();
	case 2: return rnd_int();
	case 3: return rnd_real();
	case 4:
	case 5:
		len = rnd_str(s, 64);
		return json_stringn(s, len);
	case 6:
	case 7:
		v = json_object();
		n = rnd_below(width + 1);
		for (i = 0; i < n; i++) {
			len = rnd_str(s, 12);
			json_object_setn_new(v, s, len, rnd_value(max_depth - 1, width));
		}
		return v;
	default:
		v = json_array();
		n = rnd_below(width + 1);
		for (i = 0; i < n; i++)
			json_array_append_new(v, rnd_value(max_depth - 1, width));
		return v;
	}
}

/* jansson's compact text of j (malloc'd), *n its length; NULL if refused. */
static char *
jansson_dump(json_t *j, size_t *n)
{
	size_t need = json_dumpb(j, NULL, 0, JSON_COMPACT);
	char *p;

	*n = 0;
	if (need == 0 || (p = malloc(need)) == NULL)
		return NULL;
	if (json_dumpb(j, p, need, JSON_COMPACT) != need) {
		free(p);
		return NULL;
	}
	*n = need;
	return p;
}

/* jb_dump on a caller's buffer of cap bytes: equal to jansson's? */
static bool
same_as_jansson(json_t *j, size_t cap, size_t *out_len, bool *went_heap)
{
	char *mine = malloc(cap), *ref;
	struct jbuf b = {mine, 0, cap, false, false};
	size_t ref_len;
	bool ok;

	ref = jansson_dump(j, &ref_len);
	ok = mine != NULL && ref != NULL && jb_dump(&b, j) && b.len == ref_len &&
	     memcmp(b.p, ref, ref_len) == 0 && b.heap == (ref_len > cap) &&
	     (b.heap || b.p == mine);
	if (!ok && ref != NULL && mine != NULL)
		printf("# jansson: %.*s\n# jb_dump: %.*s\n", (int)(ref_len < 300 ? ref_len : 300),
		       ref, (int)(b.len < 300 ? b.len : 300), b.p);
	*out_len = ref_len;
	*went_heap = b.heap;
	if (b.heap)
		free(b.p);
	free(mine);
	free(ref);
	return ok;
}

/* A refusal: false, the caller's buffer back, len 0, heap false. */
static bool
refused(json_t *j, size_t cap)
{
	char *mine = malloc(cap);
	struct jbuf b = {mine, 0, cap, false, false};
	bool r = mine != NULL && !jb_dump(&b, j) && b.p == mine && b.len == 0 && !b.heap &&
		 b.cap >= cap;

	free(mine);
	return r;
}

/* A real json_t holding d, even NaN or an infinity (json_real refuses
 * them): the value is found in the real's private struct by its bytes. */
static json_t *
forged_real(double d)
{
	const double marker = 1234.5678;
	json_t *j = json_real(marker);
	unsigned char *p = (unsigned char *)j;
	size_t off;

	for (off = 0; off + sizeof(double) <= 64; off++) {
		if (memcmp(p + off, &marker, sizeof(marker)) == 0) {
			memcpy(p + off, &d, sizeof(d));
			if (memcmp(&(double){json_real_value(j)}, &d, sizeof(d)) == 0)
				return j;
			memcpy(p + off, &marker, sizeof(marker));
		}
	}
	json_decref(j);
	return NULL;
}

/* n arrays nested, the innermost holding inner (consumed; NULL: empty). */
static json_t *
nest(int n, json_t *inner)
{
	json_t *j = inner;
	int i;

	for (i = 0; i < n; i++) {
		json_t *a = json_array();
		if (j != NULL)
			json_array_append_new(a, j);
		j = a;
	}
	return j;
}

static void
generated(void)
{
	static const size_t caps[] = {1, 16, 256, 4096};
	size_t i, fails = 0, heap = 0, largest = 0, len, bytes = 0;
	const size_t trees = 3000;
	bool went;

	for (i = 0; i < trees; i++) {
		json_t *j = rnd_below(2) ? json_object() : json_array();
		json_t *v = rnd_value(1 + (int)rnd_below(6), 1 + rnd_below(6));
		size_t cap = caps[rnd_below(4)];

		if (json_is_object(j))
			json_object_set_new(j, "v", v);
		else
			json_array_append_new(j, v);
		if (!same_as_jansson(j, cap, &len, &went)) {
			if (fails++ < 5)
				T_OK(0, "generated tree %zu (buffer %zu) is written as jansson writes it",
				     i, cap);
		}
		heap += went;
		bytes += len;
		if (len > largest)
			largest = len;
		json_decref(j);
	}
	T_EQ(fails, 0, "%zu generated trees (%zu bytes, largest %zu) written as jansson writes them",
	     trees, bytes, largest);
	T_OK(heap > trees / 10, "%zu of them outgrew the caller's buffer", heap);
}

static void
specials(void)
{
	static const double reals[] = {1e300, -0.0, 0.1, 1.0, 3.0, -2.0, 5e-324, DBL_MAX, 1e16,
				       1e17, 1e-7, 123456789012345678.0};
	static const json_int_t ints[] = {INT64_MIN, INT64_MAX, 0, -1};
	char all[0x80 + 1];
	size_t i, len;
	bool went;
	json_t *j;

	for (i = 0; i < sizeof(reals) / sizeof(reals[0]); i++) {
		j = json_pack("[f]", reals[i]);
		T_OK(same_as_jansson(j, 64, &len, &went), "the real %.17g", reals[i]);
		json_decref(j);
	}
	for (i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
		j = json_pack("{s:I}", "n", ints[i]);
		T_OK(same_as_jansson(j, 64, &len, &went), "the integer %lld", (long long)ints[i]);
		json_decref(j);
	}
	/* every ASCII byte, NUL and DEL included, in a value and in a key */
	for (i = 0; i < 0x80; i++)
		all[i] = (char)i;
	j = json_object();
	json_object_setn_new(j, all, 0x80, json_stringn(all, 0x80));
	T_OK(same_as_jansson(j, 16, &len, &went) && went,
	     "every ASCII byte in a key and a value (%zu bytes, out of a 16-byte buffer)", len);
	json_decref(j);
	j = json_pack("{s:[],s:{},s:[[],{}],s:s}", "a", "o", "n", "", "");
	T_OK(j != NULL && same_as_jansson(j, 256, &len, &went) && !went,
	     "empty arrays, objects, keys and strings");
	json_decref(j);
	j = json_array();
	T_OK(same_as_jansson(j, 2, &len, &went) && !went && len == 2, "[] fits in 2 bytes exactly");
	json_decref(j);
	j = json_array();
	T_OK(same_as_jansson(j, 1, &len, &went) && went, "[] outgrows a 1-byte buffer");
	json_decref(j);
	/* a large body: 1 MiB of strings */
	j = json_array();
	for (i = 0; i < 4096; i++) {
		char s[256];
		len = rnd_str(s, 60);
		json_array_append_new(j, json_stringn(s, len));
	}
	T_OK(same_as_jansson(j, 512, &len, &went) && went, "a large body (%zu bytes) from 512", len);
	json_decref(j);
}

static void
refusals(void)
{
	static const double bad[] = {NAN, -NAN, INFINITY, -INFINITY};
	static const char *const bad_utf8[] = {
		"\x80", "\xc0\xaf", "\xc1\xbf", "\xc2", "\xe0\x80\xaf", "\xed\xa0\x80",
		"\xed\xbf\xbf", "\xf0\x80\x80\xaf", "\xf4\x90\x80\x80", "\xf5\x80\x80\x80",
		"\xff", "\xe2\x82", "ok\xe2\x82\xac\xe2",
	};
	json_t *j, *v;
	size_t i, nbad = 0, njansson = 0;
	char big[3000];

	for (i = 0; i < sizeof(bad_utf8) / sizeof(bad_utf8[0]); i++) {
		size_t n = strlen(bad_utf8[i]);
		j = json_array();
		json_array_append_new(j, json_stringn_nocheck(bad_utf8[i], n));
		nbad += refused(j, 64);
		njansson += json_dumpb(j, big, sizeof(big), JSON_COMPACT) == 0;
		json_decref(j);
		j = json_object();
		json_object_setn_new_nocheck(j, bad_utf8[i], n, json_true());
		nbad += refused(j, 64);
		json_decref(j);
	}
	T_EQ(nbad, 2 * (sizeof(bad_utf8) / sizeof(bad_utf8[0])),
	     "invalid UTF-8 in a value or a key is refused (%zu sequences)",
	     sizeof(bad_utf8) / sizeof(bad_utf8[0]));
	T_EQ(njansson, sizeof(bad_utf8) / sizeof(bad_utf8[0]), "... as jansson refuses it in a value");

	/* refused after the body outgrew the caller's buffer: the heap copy is
	 * freed (ASan would see a leak) and the caller's buffer is back */
	memset(big, 'x', sizeof(big));
	j = json_pack("[s#]", big, sizeof(big));
	json_array_append_new(j, json_stringn_nocheck("\xff", 1));
	T_OK(refused(j, 64), "invalid UTF-8 after 3,000 bytes (past the caller's 64): refused");
	json_decref(j);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if ((v = forged_real(bad[i])) == NULL) {
			T_OK(0, "a real json_t holding %g can be made for the test", bad[i]);
			continue;
		}
		j = json_array();
		json_array_append_new(j, json_string("before"));
		json_array_append_new(j, v);
		T_OK(refused(j, 16), "a real that is %g is refused", bad[i]);
		json_decref(j);
	}
	T_OK(json_real(NAN) == NULL && json_real(INFINITY) == NULL,
	     "(jansson itself makes no such real)");

	/* depth: the top is at depth 0; a value deeper than JSON_DEPTH_MAX is refused */
	j = nest(JSON_DEPTH_MAX + 1, NULL);
	{
		size_t len;
		bool went;
		T_OK(same_as_jansson(j, 8, &len, &went),
		     "%d empty arrays nested (deepest at depth %d) are written as jansson writes them",
		     JSON_DEPTH_MAX + 1, JSON_DEPTH_MAX);
	}
	json_decref(j);
	j = nest(JSON_DEPTH_MAX + 2, NULL);
	T_OK(refused(j, 8), "%d empty arrays nested are refused", JSON_DEPTH_MAX + 2);
	json_decref(j);
	j = nest(JSON_DEPTH_MAX, json_integer(1));
	{
		size_t len;
		bool went;
		T_OK(same_as_jansson(j, 8, &len, &went), "a scalar at depth %d is written",
		     JSON_DEPTH_MAX);
	}
	json_decref(j);
	j = nest(JSON_DEPTH_MAX + 1, json_integer(1));
	T_OK(refused(j, 8), "a scalar at depth %d is refused", JSON_DEPTH_MAX + 1);
	json_decref(j);
	v = nest(JSON_DEPTH_MAX + 1, NULL);
	j = json_pack("{s:o}", "deep", v);
	T_OK(refused(j, 8), "objects count as levels too");
	json_decref(j);

	/* the top must be an object or an array */
	v = json_string("text");
	T_OK(refused(v, 64), "a string at the top is refused");
	json_decref(v);
	v = json_integer(7);
	T_OK(refused(v, 64), "an integer at the top is refused");
	json_decref(v);
	v = json_real(0.5);
	T_OK(refused(v, 64), "a real at the top is refused");
	json_decref(v);
	T_OK(refused(json_null(), 64) && refused(json_true(), 64), "null and true at the top are refused");
	T_OK(refused(NULL, 64), "no body at all is refused");
}

int
main(void)
{
	const char *env = getenv("JSONOUT_SEED");
	uint64_t seed = env != NULL ? strtoull(env, NULL, 0) : 0x706f72746572ull;

	rng_state = seed != 0 ? seed : 1;
	printf("# seed %llu (JSONOUT_SEED)\n", (unsigned long long)seed);
	generated();
	specials();
	refusals();
	return t_done();
}
