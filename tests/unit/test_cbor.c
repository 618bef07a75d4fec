/*
 * test_cbor: porter's strict CBOR reader and deterministic writer.
 *
 * Round trips of every kind the grammar allows, then everything the reader
 * must refuse: non-shortest heads, indefinite lengths, floats, null,
 * undefined and other simple values, truncation at every length, map keys
 * out of order or repeated, text that is not valid UTF-8 or that carries
 * control characters; the writer's sticky overflow at every capacity; and
 * pt_cbor_skip's depth bound.
 */
#include <stdint.h>
#include <string.h>

#include "porter/cbor.h"
#include "porter/crypto.h"
#include "t.h"

/* ---- helpers ---- */

/* pt_cbor_next over exactly b[0..n): the result, and whether a failure left
 * the reader where it was. */
static int
next1(const uint8_t *b, size_t n, struct pt_cbor_item *it)
{
	struct pt_cbor_rd rd;
	int r;

	pt_cbor_rd_init(&rd, b, n);
	r = pt_cbor_next(&rd, it);
	if (r != PT_OK && rd.off != 0)
		return 1;	/* never a valid status: flags a moved reader */
	return r;
}

/* Does the reader refuse b as one item (pt_cbor_next or, for containers,
 * pt_cbor_skip)? */
static bool
refused_next(const uint8_t *b, size_t n)
{
	struct pt_cbor_item it;

	return next1(b, n, &it) == PT_EMALFORMED;
}

static bool
refused_skip(const uint8_t *b, size_t n, unsigned depth)
{
	struct pt_cbor_rd rd;

	pt_cbor_rd_init(&rd, b, n);
	return pt_cbor_skip(&rd, depth) != PT_OK || !pt_cbor_rd_done(&rd);
}

static bool
skip_ok(const uint8_t *b, size_t n, unsigned depth)
{
	struct pt_cbor_rd rd;

	pt_cbor_rd_init(&rd, b, n);
	return pt_cbor_skip(&rd, depth) == PT_OK && pt_cbor_rd_done(&rd);
}

static void
hexstr(const uint8_t *p, size_t n, char *out, size_t cap)
{
	static const char hx[] = "0123456789abcdef";
	size_t i, o = 0;

	for (i = 0; i < n && o + 3 < cap; i++) {
		out[o++] = hx[p[i] >> 4];
		out[o++] = hx[p[i] & 15];
	}
	out[o] = '\0';
}

/* Text item around raw bytes s[0..n) (n < 24). */
static size_t
text_item(uint8_t *out, const uint8_t *s, size_t n)
{
	out[0] = (uint8_t)(0x60 + n);
	memcpy(out + 1, s, n);
	return n + 1;
}

static int
read_text(const uint8_t *s, size_t n)
{
	uint8_t buf[64];
	size_t len = text_item(buf, s, n);
	struct pt_cbor_rd rd;
	const uint8_t *p;
	size_t l;
	int r;

	pt_cbor_rd_init(&rd, buf, len);
	r = pt_cbor_text(&rd, &p, &l);
	if (r != PT_OK && (rd.off != 0 || p != NULL || l != 0))
		return 1;
	if (r == PT_OK && (l != n || memcmp(p, s, n) != 0 || !pt_cbor_rd_done(&rd)))
		return 2;
	return r;
}

/* ---- round trips ---- */

static const uint64_t uints[] = {
	0, 1, 23, 24, 25, 100, 255, 256, 1000, 65535, 65536, 1000000,
	UINT32_MAX, (uint64_t)UINT32_MAX + 1, (uint64_t)INT64_MAX, UINT64_MAX,
};

static const int64_t ints[] = {
	0, 1, 23, 24, -1, -24, -25, -256, -257, -65536, -65537, -65538,
	(int64_t)-4294967296LL, (int64_t)-4294967297LL, INT64_MAX, INT64_MIN,
};

static size_t
expect_head_len(uint64_t v)
{
	return v < 24 ? 1 : v <= 0xff ? 2 : v <= 0xffff ? 3 : v <= 0xffffffffu ? 5 : 9;
}

static void
test_uint_roundtrip(void)
{
	size_t i;

	for (i = 0; i < sizeof(uints) / sizeof(uints[0]); i++) {
		uint8_t buf[16];
		struct pt_cbor_wr w;
		struct pt_cbor_rd rd;
		struct pt_cbor_item it;
		uint64_t v = 0;

		pt_cbor_wr_init(&w, buf, sizeof(buf));
		pt_cbor_put_uint(&w, uints[i]);
		T_EQ(pt_cbor_wr_status(&w), PT_OK, "uint %llu written",
		     (unsigned long long)uints[i]);
		T_EQ(w.len, expect_head_len(uints[i]), "uint %llu: shortest head",
		     (unsigned long long)uints[i]);
		T_EQ(buf[0] >> 5, 0, "uint %llu: major type 0", (unsigned long long)uints[i]);

		pt_cbor_rd_init(&rd, buf, w.len);
		T_EQ(pt_cbor_next(&rd, &it), PT_OK, "uint %llu: next", (unsigned long long)uints[i]);
		T_OK(it.kind == PT_CBOR_UINT && it.u == uints[i] && it.start == 0 &&
			     it.end == w.len && pt_cbor_rd_done(&rd),
		     "uint %llu: kind, value, offsets", (unsigned long long)uints[i]);
		pt_cbor_rd_init(&rd, buf, w.len);
		T_OK(pt_cbor_uint(&rd, &v) == PT_OK && v == uints[i], "uint %llu: pt_cbor_uint",
		     (unsigned long long)uints[i]);
	}
}

static void
test_int_roundtrip(void)
{
	size_t i;

	for (i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
		uint8_t buf[16];
		struct pt_cbor_wr w;
		struct pt_cbor_rd rd;
		struct pt_cbor_item it;
		int64_t v = 1;
		uint64_t mag = ints[i] < 0 ? (uint64_t)(-1 - ints[i]) : (uint64_t)ints[i];

		pt_cbor_wr_init(&w, buf, sizeof(buf));
		pt_cbor_put_int(&w, ints[i]);
		T_EQ(pt_cbor_wr_status(&w), PT_OK, "int %lld written", (long long)ints[i]);
		T_EQ(w.len, expect_head_len(mag), "int %lld: shortest head", (long long)ints[i]);
		T_EQ(buf[0] >> 5, ints[i] < 0 ? 1 : 0, "int %lld: major type", (long long)ints[i]);
		pt_cbor_rd_init(&rd, buf, w.len);
		T_EQ(pt_cbor_next(&rd, &it), PT_OK, "int %lld: next", (long long)ints[i]);
		T_OK(it.kind == (ints[i] < 0 ? PT_CBOR_NEGINT : PT_CBOR_UINT) && it.u == mag,
		     "int %lld: kind and magnitude", (long long)ints[i]);
		pt_cbor_rd_init(&rd, buf, w.len);
		T_OK(pt_cbor_int(&rd, &v) == PT_OK && v == ints[i] && pt_cbor_rd_done(&rd),
		     "int %lld: pt_cbor_int", (long long)ints[i]);
	}

	/* Out of int64 range: readable as items, refused by pt_cbor_int. */
	{
		static const uint8_t big_u[] = {0x1b, 0x80, 0, 0, 0, 0, 0, 0, 0};
		static const uint8_t big_n[] = {0x3b, 0x80, 0, 0, 0, 0, 0, 0, 0};
		static const uint8_t max_n[] = {0x3b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
		struct pt_cbor_rd rd;
		struct pt_cbor_item it;
		int64_t v = 7;

		T_OK(next1(big_u, sizeof(big_u), &it) == PT_OK && it.kind == PT_CBOR_UINT &&
			     it.u == 0x8000000000000000ull,
		     "2^63 is a valid uint item");
		pt_cbor_rd_init(&rd, big_u, sizeof(big_u));
		T_OK(pt_cbor_int(&rd, &v) == PT_EMALFORMED && rd.off == 0 && v == 0,
		     "pt_cbor_int refuses 2^63 and does not move");
		T_OK(next1(max_n, sizeof(max_n), &it) == PT_OK && it.kind == PT_CBOR_NEGINT &&
			     it.u == UINT64_MAX,
		     "-2^64 is a valid negint item");
		pt_cbor_rd_init(&rd, big_n, sizeof(big_n));
		T_OK(pt_cbor_int(&rd, &v) == PT_EMALFORMED && rd.off == 0,
		     "pt_cbor_int refuses -1-2^63");
		pt_cbor_rd_init(&rd, max_n, sizeof(max_n));
		T_OK(pt_cbor_int(&rd, &v) == PT_EMALFORMED && rd.off == 0,
		     "pt_cbor_int refuses -2^64");
	}
}

static void
test_string_roundtrip(void)
{
	static const size_t lens[] = {0, 1, 23, 24, 255, 256, 300, 1000};
	static uint8_t src[1000], buf[1100];
	size_t i, k;

	for (k = 0; k < sizeof(src); k++)
		src[k] = (uint8_t)('a' + k % 26);
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		struct pt_cbor_wr w;
		struct pt_cbor_rd rd;
		struct pt_cbor_item it;
		const uint8_t *p;
		size_t n = lens[i], l;
		int pass;

		for (pass = 0; pass < 2; pass++) {
			pt_cbor_wr_init(&w, buf, sizeof(buf));
			if (pass == 0)
				pt_cbor_put_bytes(&w, src, n);
			else
				pt_cbor_put_text(&w, (const char *)src, n);
			T_OK(pt_cbor_wr_status(&w) == PT_OK && w.len == expect_head_len(n) + n &&
				     buf[0] >> 5 == (pass == 0 ? 2 : 3),
			     "%s of %zu bytes: shortest head", pass ? "text" : "bytes", n);
			pt_cbor_rd_init(&rd, buf, w.len);
			T_OK(pt_cbor_next(&rd, &it) == PT_OK &&
				     it.kind == (pass == 0 ? PT_CBOR_BYTES : PT_CBOR_TEXT) &&
				     it.u == n && it.end == w.len &&
				     (n == 0 || memcmp(it.p, src, n) == 0),
			     "%s of %zu bytes: item", pass ? "text" : "bytes", n);
			pt_cbor_rd_init(&rd, buf, w.len);
			if (pass == 0)
				T_OK(pt_cbor_bytes(&rd, &p, &l) == PT_OK && l == n &&
					     p == buf + expect_head_len(n) && pt_cbor_rd_done(&rd),
				     "bytes of %zu: pt_cbor_bytes borrows the buffer", n);
			else
				T_OK(pt_cbor_text(&rd, &p, &l) == PT_OK && l == n &&
					     p == buf + expect_head_len(n) && pt_cbor_rd_done(&rd),
				     "text of %zu: pt_cbor_text borrows the buffer", n);
		}
	}
}

/* A sequence using every writer call; the reader checks it back. */
static void
write_all(struct pt_cbor_wr *w)
{
	static const uint8_t blob[40] = {1, 2, 3};
	static const uint8_t raw[] = {0x82, 0x01, 0x20};	/* [1, -1] */

	pt_cbor_put_tag(w, 18);
	pt_cbor_put_array(w, 10);
	pt_cbor_put_uint(w, 1000000);
	pt_cbor_put_int(w, -65537);
	pt_cbor_put_bytes(w, blob, sizeof(blob));
	pt_cbor_put_text(w, "porter", 6);
	pt_cbor_put_map(w, 2);
	pt_cbor_put_int(w, 1);
	pt_cbor_put_bool(w, true);
	pt_cbor_put_int(w, -1);
	pt_cbor_put_bool(w, false);
	pt_cbor_put_tag(w, 65536);
	pt_cbor_put_uint(w, 0);
	pt_cbor_put_raw(w, raw, sizeof(raw));
	pt_cbor_put_array(w, 0);
	pt_cbor_put_map(w, 0);
	pt_cbor_put_int(w, INT64_MIN);
}

static void
test_every_kind(void)
{
	uint8_t buf[256];
	struct pt_cbor_wr w;
	struct pt_cbor_rd rd;
	uint64_t u = 0;
	int64_t v = 0;
	const uint8_t *p;
	size_t l;
	bool b = false;

	pt_cbor_wr_init(&w, buf, sizeof(buf));
	write_all(&w);
	T_EQ(pt_cbor_wr_status(&w), PT_OK, "every kind: written");
	pt_cbor_rd_init(&rd, buf, w.len);
	T_OK(pt_cbor_tag(&rd, &u) == PT_OK && u == 18, "tag 18");
	T_OK(pt_cbor_array(&rd, &u) == PT_OK && u == 10, "array of 10");
	T_OK(pt_cbor_uint(&rd, &u) == PT_OK && u == 1000000, "uint 1000000");
	T_OK(pt_cbor_int(&rd, &v) == PT_OK && v == -65537, "int -65537");
	T_OK(pt_cbor_bytes(&rd, &p, &l) == PT_OK && l == 40 && p[0] == 1 && p[2] == 3, "bytes");
	T_OK(pt_cbor_text(&rd, &p, &l) == PT_OK && l == 6 && memcmp(p, "porter", 6) == 0, "text");
	T_OK(pt_cbor_map(&rd, &u) == PT_OK && u == 2, "map of 2");
	T_OK(pt_cbor_int(&rd, &v) == PT_OK && v == 1, "key 1");
	T_OK(pt_cbor_bool(&rd, &b) == PT_OK && b, "true");
	T_OK(pt_cbor_int(&rd, &v) == PT_OK && v == -1, "key -1");
	T_OK(pt_cbor_bool(&rd, &b) == PT_OK && !b, "false");
	T_OK(pt_cbor_tag(&rd, &u) == PT_OK && u == 65536, "tag 65536");
	T_OK(pt_cbor_uint(&rd, &u) == PT_OK && u == 0, "tagged 0");
	T_OK(pt_cbor_array(&rd, &u) == PT_OK && u == 2, "raw [1, -1]: array");
	T_OK(pt_cbor_int(&rd, &v) == PT_OK && v == 1, "raw: 1");
	T_OK(pt_cbor_int(&rd, &v) == PT_OK && v == -1, "raw: -1");
	T_OK(pt_cbor_array(&rd, &u) == PT_OK && u == 0, "empty array");
	T_OK(pt_cbor_map(&rd, &u) == PT_OK && u == 0, "empty map");
	T_OK(pt_cbor_int(&rd, &v) == PT_OK && v == INT64_MIN, "INT64_MIN");
	T_OK(pt_cbor_rd_done(&rd), "reader done");
	{
		struct pt_cbor_item it;
		T_EQ(pt_cbor_next(&rd, &it), PT_EMALFORMED, "next at the end: malformed");
	}

	/* The whole sequence skips as one item with enough depth. */
	T_OK(skip_ok(buf, w.len, 3), "skip the whole sequence at depth 3");
	T_OK(refused_skip(buf, w.len, 2), "skip refuses it at depth 2 (tag/array/map nest 3)");

	/* Typed readers refuse other kinds without moving. */
	{
		static const uint8_t one[] = {0x01}, neg[] = {0x20}, by[] = {0x41, 0x00},
				     tx[] = {0x61, 'a'}, ar[] = {0x80}, mp[] = {0xa0},
				     tg[] = {0xc1, 0x00}, bo[] = {0xf5};
		struct {
			const uint8_t *b;
			size_t n;
			const char *what;
		} items[] = {
			{one, 1, "uint"}, {neg, 1, "negint"}, {by, 2, "bytes"}, {tx, 2, "text"},
			{ar, 1, "array"}, {mp, 1, "map"}, {tg, 2, "tag"}, {bo, 1, "bool"},
		};
		size_t i;

		for (i = 0; i < sizeof(items) / sizeof(items[0]); i++) {
			struct pt_cbor_rd r2;
			int okc = 0, want = 0;

#define TRY(call, is)                                                   \
	do {                                                            \
		pt_cbor_rd_init(&r2, items[i].b, items[i].n);           \
		if ((call) == PT_OK) {                                  \
			okc++;                                          \
		} else if (r2.off != 0) {                               \
			okc += 100;                                     \
		}                                                       \
		want += (is);                                           \
	} while (0)
			TRY(pt_cbor_uint(&r2, &u), i == 0);
			TRY(pt_cbor_int(&r2, &v), i <= 1);
			TRY(pt_cbor_bytes(&r2, &p, &l), i == 2);
			TRY(pt_cbor_text(&r2, &p, &l), i == 3);
			TRY(pt_cbor_array(&r2, &u), i == 4);
			TRY(pt_cbor_map(&r2, &u), i == 5);
			TRY(pt_cbor_tag(&r2, &u), i == 6);
			TRY(pt_cbor_bool(&r2, &b), i == 7);
#undef TRY
			T_EQ(okc, want, "%s: only its own typed reader accepts it; others leave the reader",
			     items[i].what);
		}
	}
}

/* Tags: every one-byte head (0xc0..0xd7, tags 0..23, including 6..20 that
 * libcbor < 0.11 calls unassigned) and the longer heads. */
static void
test_tags(void)
{
	static const uint64_t tags[] = {0, 1, 5, 6, 16, 17, 18, 20, 21, 23, 24, 98, 255, 256, 998,
					65535, 65536, UINT32_MAX, (uint64_t)UINT32_MAX + 1, UINT64_MAX};
	size_t i;
	int b, bad = 0;

	for (b = 0xc0; b <= 0xd7; b++) {
		uint8_t in[2] = {(uint8_t)b, 0x01};
		struct pt_cbor_rd rd;
		struct pt_cbor_item it;
		uint64_t v;
		pt_cbor_rd_init(&rd, in, 2);
		if (pt_cbor_next(&rd, &it) != PT_OK || it.kind != PT_CBOR_TAG ||
		    it.u != (uint64_t)(b - 0xc0) || it.start != 0 || it.end != 1 || rd.off != 1 ||
		    pt_cbor_uint(&rd, &v) != PT_OK || v != 1)
			bad++;
	}
	T_EQ(bad, 0, "tags 0..23 in one-byte heads (c0..d7) read as tags");
	for (i = 0; i < sizeof(tags) / sizeof(tags[0]); i++) {
		uint8_t buf[16];
		struct pt_cbor_wr w;
		struct pt_cbor_rd rd;
		uint64_t v = 0;

		pt_cbor_wr_init(&w, buf, sizeof(buf));
		pt_cbor_put_tag(&w, tags[i]);
		pt_cbor_put_bool(&w, true);
		pt_cbor_rd_init(&rd, buf, w.len);
		T_OK(pt_cbor_wr_status(&w) == PT_OK && w.len == expect_head_len(tags[i]) + 1 &&
			     buf[0] >> 5 == 6 && pt_cbor_tag(&rd, &v) == PT_OK && v == tags[i] &&
			     skip_ok(buf, w.len, 1),
		     "tag %llu: shortest head, reads back, skips", (unsigned long long)tags[i]);
	}
	/* A tag with nothing after it. */
	T_OK(refused_skip((const uint8_t *)"\xd2", 1, 4), "skip refuses a lone tag 18");
	T_OK(refused_skip((const uint8_t *)"\xd8\x18", 2, 4), "skip refuses a lone tag 24");
}

/* ---- refusals ---- */

struct bad {
	const char *what;
	uint8_t b[12];
	size_t n;
};

static void
test_non_shortest(void)
{
	static const struct bad cases[] = {
		{"uint 5 in 1 byte (18 05)", {0x18, 0x05}, 2},
		{"uint 23 in 1 byte (18 17)", {0x18, 0x17}, 2},
		{"uint 5 in 2 bytes (19 00 05)", {0x19, 0x00, 0x05}, 3},
		{"uint 255 in 2 bytes", {0x19, 0x00, 0xff}, 3},
		{"uint 65535 in 4 bytes", {0x1a, 0x00, 0x00, 0xff, 0xff}, 5},
		{"uint 0 in 4 bytes", {0x1a, 0, 0, 0, 0}, 5},
		{"uint 2^32-1 in 8 bytes", {0x1b, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff}, 9},
		{"uint 0 in 8 bytes", {0x1b, 0, 0, 0, 0, 0, 0, 0, 0}, 9},
		{"negint -6 in 1 byte (38 05)", {0x38, 0x05}, 2},
		{"negint -1 in 2 bytes", {0x39, 0x00, 0x00}, 3},
		{"negint -256 in 4 bytes", {0x3a, 0, 0, 0, 0xff}, 5},
		{"negint -65537 in 8 bytes", {0x3b, 0, 0, 0, 0, 0, 1, 0, 0}, 9},
		{"bytes len 1 in 1 byte (58 01 'a')", {0x58, 0x01, 'a'}, 3},
		{"bytes len 1 in 2 bytes (59 00 01 'a')", {0x59, 0x00, 0x01, 'a'}, 4},
		{"bytes len 1 in 4 bytes", {0x5a, 0, 0, 0, 1, 'a'}, 6},
		{"bytes len 1 in 8 bytes", {0x5b, 0, 0, 0, 0, 0, 0, 0, 1, 'a'}, 10},
		{"bytes len 0 in 1 byte", {0x58, 0x00}, 2},
		{"text len 1 in 1 byte (78 01 'a')", {0x78, 0x01, 'a'}, 3},
		{"text len 1 in 2 bytes", {0x79, 0x00, 0x01, 'a'}, 4},
		{"text len 0 in 4 bytes", {0x7a, 0, 0, 0, 0}, 5},
		{"array of 1 in 1 byte (98 01 00)", {0x98, 0x01, 0x00}, 3},
		{"array of 1 in 2 bytes", {0x99, 0x00, 0x01, 0x00}, 4},
		{"array of 0 in 4 bytes", {0x9a, 0, 0, 0, 0}, 5},
		{"array of 0 in 8 bytes", {0x9b, 0, 0, 0, 0, 0, 0, 0, 0}, 9},
		{"map of 1 in 1 byte (b8 01 00 00)", {0xb8, 0x01, 0x00, 0x00}, 4},
		{"map of 1 in 2 bytes", {0xb9, 0x00, 0x01, 0x00, 0x00}, 5},
		{"map of 0 in 4 bytes", {0xba, 0, 0, 0, 0}, 5},
		{"tag 18 in 1 byte (d8 12)", {0xd8, 0x12, 0x00}, 3},
		{"tag 18 in 2 bytes (d9 00 12)", {0xd9, 0x00, 0x12, 0x00}, 4},
		{"tag 256 in 4 bytes", {0xda, 0, 0, 1, 0, 0x00}, 6},
		{"tag 1 in 8 bytes", {0xdb, 0, 0, 0, 0, 0, 0, 0, 1, 0x00}, 10},
		{"true as a 2-byte simple value (f8 15)", {0xf8, 0x15}, 2},
		{"false as a 2-byte simple value (f8 14)", {0xf8, 0x14}, 2},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		T_OK(refused_next(cases[i].b, cases[i].n), "refused: %s", cases[i].what);

	/* The shortest forms next to them are accepted. */
	{
		static const struct bad good[] = {
			{"18 18", {0x18, 0x18}, 2},
			{"19 01 00", {0x19, 0x01, 0x00}, 3},
			{"1a 00 01 00 00", {0x1a, 0, 1, 0, 0}, 5},
			{"1b 00 00 00 01 00 00 00 00", {0x1b, 0, 0, 0, 1, 0, 0, 0, 0}, 9},
			{"58 18 + 24 bytes", {0x58, 0x18}, 26},
			{"d8 18 00", {0xd8, 0x18, 0x00}, 3},
		};
		uint8_t b[32];

		for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
			struct pt_cbor_item it;
			memset(b, 'x', sizeof(b));
			memcpy(b, good[i].b, good[i].b[0] == 0x58 ? 2 : good[i].n);
			T_EQ(next1(b, good[i].n, &it), PT_OK, "accepted: %s", good[i].what);
		}
	}
}

static void
test_kinds_refused(void)
{
	static const struct bad cases[] = {
		{"indefinite bytes (5f 41 61 ff)", {0x5f, 0x41, 'a', 0xff}, 4},
		{"indefinite bytes, empty (5f ff)", {0x5f, 0xff}, 2},
		{"indefinite text (7f 61 61 ff)", {0x7f, 0x61, 'a', 0xff}, 4},
		{"indefinite array (9f ff)", {0x9f, 0xff}, 2},
		{"indefinite array (9f 01 ff)", {0x9f, 0x01, 0xff}, 3},
		{"indefinite map (bf ff)", {0xbf, 0xff}, 2},
		{"indefinite map (bf 01 02 ff)", {0xbf, 0x01, 0x02, 0xff}, 4},
		{"break (ff)", {0xff}, 1},
		{"half float 0.0 (f9 00 00)", {0xf9, 0x00, 0x00}, 3},
		{"half float 1.0 (f9 3c 00)", {0xf9, 0x3c, 0x00}, 3},
		{"single float (fa 47 c3 50 00)", {0xfa, 0x47, 0xc3, 0x50, 0x00}, 5},
		{"double float (fb 3f f1 99 99 99 99 99 9a)",
		 {0xfb, 0x3f, 0xf1, 0x99, 0x99, 0x99, 0x99, 0x99, 0x9a}, 9},
		{"double NaN", {0xfb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0}, 9},
		{"null (f6)", {0xf6}, 1},
		{"undefined (f7)", {0xf7}, 1},
		{"simple 0 (e0)", {0xe0}, 1},
		{"simple 16 (f0)", {0xf0}, 1},
		{"simple 19 (f3)", {0xf3}, 1},
		{"simple 32 (f8 20)", {0xf8, 0x20}, 2},
		{"simple 255 (f8 ff)", {0xf8, 0xff}, 2},
		{"reserved fc", {0xfc}, 1},
		{"reserved fd", {0xfd}, 1},
		{"reserved fe", {0xfe}, 1},
		{"reserved uint info 28 (1c)", {0x1c}, 1},
		{"reserved uint info 31 (1f)", {0x1f}, 1},
		{"reserved negint info 30 (3e)", {0x3e}, 1},
		{"reserved bytes info 29 (5d)", {0x5d}, 1},
		{"reserved tag info 31 (df)", {0xdf, 0x00}, 2},
		{"bytes claiming 2^64-1 bytes", {0x5b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 'a'},
		 10},
		{"text claiming 2^32-1 bytes", {0x7a, 0xff, 0xff, 0xff, 0xff, 'a', 'b'}, 7},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		T_OK(refused_next(cases[i].b, cases[i].n), "refused: %s", cases[i].what);
		T_OK(refused_skip(cases[i].b, cases[i].n, 4), "skip refuses: %s", cases[i].what);
	}
	/* A refused item inside a container makes the container refused too. */
	{
		static const uint8_t in_array[] = {0x82, 0x01, 0xf6};
		static const uint8_t in_map[] = {0xa1, 0x01, 0xfb, 0, 0, 0, 0, 0, 0, 0, 0};
		static const uint8_t in_tag[] = {0xc1, 0xf7};
		T_OK(refused_skip(in_array, sizeof(in_array), 4), "skip refuses [1, null]");
		T_OK(refused_skip(in_map, sizeof(in_map), 4), "skip refuses {1: 0.0}");
		T_OK(refused_skip(in_tag, sizeof(in_tag), 4), "skip refuses 1(undefined)");
	}
}

static void
test_truncation(void)
{
	uint8_t buf[512];
	struct pt_cbor_wr w;
	size_t i, cut, n_items = 0;
	int bad = 0, total = 0;
	static uint8_t body[300];

	/* Scalars: every strict prefix of the item is refused by next. */
	struct {
		const char *what;
		size_t at, len;
	} items[32];

	memset(body, 'z', sizeof(body));
	pt_cbor_wr_init(&w, buf, sizeof(buf));
#define ADD(what_, stmt)                                  \
	do {                                              \
		items[n_items].what = (what_);            \
		items[n_items].at = w.len;                \
		stmt;                                     \
		items[n_items].len = w.len - items[n_items].at; \
		n_items++;                                \
	} while (0)
	ADD("uint 24", pt_cbor_put_uint(&w, 24));
	ADD("uint 300", pt_cbor_put_uint(&w, 300));
	ADD("uint 70000", pt_cbor_put_uint(&w, 70000));
	ADD("uint 2^40", pt_cbor_put_uint(&w, (uint64_t)1 << 40));
	ADD("negint -300", pt_cbor_put_int(&w, -300));
	ADD("negint -2^40", pt_cbor_put_int(&w, -((int64_t)1 << 40)));
	ADD("bytes 5", pt_cbor_put_bytes(&w, body, 5));
	ADD("bytes 30", pt_cbor_put_bytes(&w, body, 30));
	ADD("bytes 300", pt_cbor_put_bytes(&w, body, 300));
	ADD("text 7", pt_cbor_put_text(&w, (const char *)body, 7));
	ADD("text 40", pt_cbor_put_text(&w, (const char *)body, 40));
	ADD("array 30 head", pt_cbor_put_array(&w, 30));
	ADD("map 300 head", pt_cbor_put_map(&w, 300));
	ADD("tag 1000 head", pt_cbor_put_tag(&w, 1000));
#undef ADD
	T_EQ(pt_cbor_wr_status(&w), PT_OK, "truncation fixture written");
	for (i = 0; i < n_items; i++) {
		int item_bad = 0;
		struct pt_cbor_item it;

		T_EQ(next1(buf + items[i].at, items[i].len, &it), PT_OK, "%s whole: accepted",
		     items[i].what);
		for (cut = 0; cut < items[i].len; cut++) {
			total++;
			if (!refused_next(buf + items[i].at, cut))
				item_bad++;
		}
		bad += item_bad;
		T_EQ(item_bad, 0, "%s: every one of its %zu strict prefixes refused", items[i].what,
		     items[i].len);
	}

	/* Containers: every strict prefix is refused by skip. */
	{
		uint8_t cbuf[128];
		struct pt_cbor_wr cw;
		int cbad = 0;

		pt_cbor_wr_init(&cw, cbuf, sizeof(cbuf));
		pt_cbor_put_tag(&cw, 18);
		pt_cbor_put_array(&cw, 4);
		pt_cbor_put_bytes(&cw, body, 3);
		pt_cbor_put_map(&cw, 2);
		pt_cbor_put_int(&cw, 1);
		pt_cbor_put_int(&cw, -8);
		pt_cbor_put_int(&cw, 4);
		pt_cbor_put_bytes(&cw, body, 8);
		pt_cbor_put_text(&cw, "payload", 7);
		pt_cbor_put_array(&cw, 2);
		pt_cbor_put_uint(&cw, 1000);
		pt_cbor_put_bool(&cw, true);
		T_EQ(pt_cbor_wr_status(&cw), PT_OK, "container fixture written");
		T_OK(skip_ok(cbuf, cw.len, 4), "container fixture skips whole");
		for (cut = 0; cut < cw.len; cut++) {
			struct pt_cbor_rd rd;
			total++;
			pt_cbor_rd_init(&rd, cbuf, cut);
			if (pt_cbor_skip(&rd, 4) == PT_OK)
				cbad++;
		}
		T_EQ(cbad, 0, "container: every one of its %zu strict prefixes refused by skip", cw.len);
	}
	printf("# truncation: %d prefixes checked, %d accepted\n", total, bad);
}

static void
test_keys(void)
{
	/* Each case: a run of int keys (as CBOR bytes) and whether every
	 * pt_cbor_key call succeeds. */
	static const struct {
		const char *what;
		uint8_t b[16];
		size_t n;
		int n_keys;
		bool ok;
	} cases[] = {
		{"1, 2, 3", {0x01, 0x02, 0x03}, 3, 3, true},
		{"2, 1", {0x02, 0x01}, 2, 2, false},
		{"1, 1 (duplicate)", {0x01, 0x01}, 2, 2, false},
		{"1, -1 (01 < 20)", {0x01, 0x20}, 2, 2, true},
		{"-1, 1", {0x20, 0x01}, 2, 2, false},
		{"-1, -2", {0x20, 0x21}, 2, 2, true},
		{"-2, -1", {0x21, 0x20}, 2, 2, false},
		{"-1, -1", {0x20, 0x20}, 2, 2, false},
		{"23, 24 (17 < 18 18)", {0x17, 0x18, 0x18}, 3, 2, true},
		{"24, 23", {0x18, 0x18, 0x17}, 3, 2, false},
		{"24, 24", {0x18, 0x18, 0x18, 0x18}, 4, 2, false},
		{"24, 25", {0x18, 0x18, 0x18, 0x19}, 4, 2, true},
		{"255, 256", {0x18, 0xff, 0x19, 0x01, 0x00}, 5, 2, true},
		{"256, 255", {0x19, 0x01, 0x00, 0x18, 0xff}, 5, 2, false},
		{"10, -1, -65537", {0x0a, 0x20, 0x3a, 0x00, 0x01, 0x00, 0x00}, 7, 3, true},
		{"-65537, -65538",
		 {0x3a, 0x00, 0x01, 0x00, 0x00, 0x3a, 0x00, 0x01, 0x00, 0x01}, 10, 2, true},
		{"-65538, -65537",
		 {0x3a, 0x00, 0x01, 0x00, 0x01, 0x3a, 0x00, 0x01, 0x00, 0x00}, 10, 2, false},
		{"-65537, -65537",
		 {0x3a, 0x00, 0x01, 0x00, 0x00, 0x3a, 0x00, 0x01, 0x00, 0x00}, 10, 2, false},
		{"-65537, 8", {0x3a, 0x00, 0x01, 0x00, 0x00, 0x08}, 6, 2, false},
		{"1, non-shortest 2 (18 02)", {0x01, 0x18, 0x02}, 3, 2, false},
		{"text key", {0x61, 'a'}, 2, 1, false},
		{"bytes key", {0x41, 0x01}, 2, 1, false},
		{"2^63 key", {0x1b, 0x80, 0, 0, 0, 0, 0, 0, 0}, 9, 1, false},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pt_cbor_rd rd;
		struct pt_cbor_keys k;
		int64_t key;
		int j, r = PT_OK;

		pt_cbor_rd_init(&rd, cases[i].b, cases[i].n);
		pt_cbor_key_init(&k);
		for (j = 0; j < cases[i].n_keys && r == PT_OK; j++)
			r = pt_cbor_key(&rd, &k, &key);
		T_EQ(r == PT_OK, cases[i].ok, "keys %s: %s", cases[i].what,
		     cases[i].ok ? "accepted" : "refused");
		if (r != PT_OK)
			T_EQ(r, PT_EMALFORMED, "keys %s: malformed", cases[i].what);
	}
	/* Keys come back with their values. */
	{
		static const uint8_t b[] = {0x03, 0x20, 0x3a, 0x00, 0x01, 0x00, 0x00};
		struct pt_cbor_rd rd;
		struct pt_cbor_keys k;
		int64_t k1 = 0, k2 = 0, k3 = 0;

		pt_cbor_rd_init(&rd, b, sizeof(b));
		pt_cbor_key_init(&k);
		T_OK(pt_cbor_key(&rd, &k, &k1) == PT_OK && pt_cbor_key(&rd, &k, &k2) == PT_OK &&
			     pt_cbor_key(&rd, &k, &k3) == PT_OK && k1 == 3 && k2 == -1 &&
			     k3 == -65537,
		     "keys 3, -1, -65537 read back");
	}
}

static void
test_utf8(void)
{
	static const struct {
		const char *what;
		uint8_t b[8];
		size_t n;
		bool ok;
	} cases[] = {
		{"ascii", {'a', 'Z', '~'}, 3, true},
		{"U+00E9 (c3 a9)", {0xc3, 0xa9}, 2, true},
		{"U+00A0 (c2 a0)", {0xc2, 0xa0}, 2, true},
		{"U+07FF (df bf)", {0xdf, 0xbf}, 2, true},
		{"U+0800 (e0 a0 80)", {0xe0, 0xa0, 0x80}, 3, true},
		{"U+20AC (e2 82 ac)", {0xe2, 0x82, 0xac}, 3, true},
		{"U+D7FF (ed 9f bf)", {0xed, 0x9f, 0xbf}, 3, true},
		{"U+E000 (ee 80 80)", {0xee, 0x80, 0x80}, 3, true},
		{"U+FFFD (ef bf bd)", {0xef, 0xbf, 0xbd}, 3, true},
		{"U+10000 (f0 90 80 80)", {0xf0, 0x90, 0x80, 0x80}, 4, true},
		{"U+1F600 (f0 9f 98 80)", {0xf0, 0x9f, 0x98, 0x80}, 4, true},
		{"U+10FFFF (f4 8f bf bf)", {0xf4, 0x8f, 0xbf, 0xbf}, 4, true},
		{"overlong NUL (c0 80)", {0xc0, 0x80}, 2, false},
		{"overlong '/' (c0 af)", {0xc0, 0xaf}, 2, false},
		{"overlong U+007F (c1 bf)", {0xc1, 0xbf}, 2, false},
		{"overlong 3-byte NUL (e0 80 80)", {0xe0, 0x80, 0x80}, 3, false},
		{"overlong U+07FF (e0 9f bf)", {0xe0, 0x9f, 0xbf}, 3, false},
		{"overlong 4-byte (f0 80 80 80)", {0xf0, 0x80, 0x80, 0x80}, 4, false},
		{"overlong U+FFFF (f0 8f bf bf)", {0xf0, 0x8f, 0xbf, 0xbf}, 4, false},
		{"surrogate U+D800 (ed a0 80)", {0xed, 0xa0, 0x80}, 3, false},
		{"surrogate U+DBFF (ed af bf)", {0xed, 0xaf, 0xbf}, 3, false},
		{"surrogate U+DC00 (ed b0 80)", {0xed, 0xb0, 0x80}, 3, false},
		{"surrogate U+DFFF (ed bf bf)", {0xed, 0xbf, 0xbf}, 3, false},
		{"surrogate pair in CESU-8", {0xed, 0xa0, 0xbd, 0xed, 0xb8, 0x80}, 6, false},
		{"U+110000 (f4 90 80 80)", {0xf4, 0x90, 0x80, 0x80}, 4, false},
		{"f5 lead", {0xf5, 0x80, 0x80, 0x80}, 4, false},
		{"f7 bf bf bf", {0xf7, 0xbf, 0xbf, 0xbf}, 4, false},
		{"5-byte form (f8 88 80 80 80)", {0xf8, 0x88, 0x80, 0x80, 0x80}, 5, false},
		{"6-byte form (fc 84 80 80 80 80)", {0xfc, 0x84, 0x80, 0x80, 0x80, 0x80}, 6, false},
		{"fe", {0xfe}, 1, false},
		{"ff", {0xff}, 1, false},
		{"lone continuation 80", {0x80}, 1, false},
		{"lone continuation bf after ascii", {'a', 0xbf}, 2, false},
		{"truncated 2-byte (c3)", {0xc3}, 1, false},
		{"truncated 2-byte then ascii (c3 41)", {0xc3, 0x41}, 2, false},
		{"truncated 3-byte (e2 82)", {0xe2, 0x82}, 2, false},
		{"truncated 3-byte (e2)", {0xe2}, 1, false},
		{"truncated 4-byte (f0 9f 98)", {0xf0, 0x9f, 0x98}, 3, false},
		{"truncated 4-byte (f0 9f)", {0xf0, 0x9f}, 2, false},
		{"truncated 4-byte (f0)", {0xf0}, 1, false},
		{"4-byte with ascii inside (f0 9f 41 80)", {0xf0, 0x9f, 0x41, 0x80}, 4, false},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		T_EQ(pt_utf8_is_valid(cases[i].b, cases[i].n), cases[i].ok, "utf8 %s: %s",
		     cases[i].what, cases[i].ok ? "valid" : "invalid");
		T_EQ(read_text(cases[i].b, cases[i].n), cases[i].ok ? PT_OK : PT_EMALFORMED,
		     "text %s: %s", cases[i].what, cases[i].ok ? "accepted" : "refused");
	}
	T_OK(pt_utf8_is_valid((const uint8_t *)"", 0), "empty string is valid UTF-8");
	/* Every 2-byte lead below c2 is overlong; every 1-byte value >= 80 alone is invalid. */
	{
		int b, bad = 0;
		for (b = 0x80; b <= 0xff; b++) {
			uint8_t s[2] = {(uint8_t)b, 0x80};
			uint8_t one[1] = {(uint8_t)b};
			if (pt_utf8_is_valid(one, 1))
				bad++;
			if (b < 0xc2 && pt_utf8_is_valid(s, 2))
				bad++;
		}
		T_EQ(bad, 0, "no lone byte >= 0x80 and no lead 80..c1 is accepted");
	}
}

static void
test_text_controls(void)
{
	uint8_t s[8];
	int c, bad = 0;

	/* Every C0 control, alone and inside text. */
	for (c = 0; c < 0x20; c++) {
		uint8_t in[3] = {'a', (uint8_t)c, 'b'};
		s[0] = (uint8_t)c;
		if (read_text(s, 1) != PT_EMALFORMED || read_text(in, 3) != PT_EMALFORMED)
			bad++;
	}
	T_EQ(bad, 0, "text: every C0 control (00..1f) refused, alone and inside text");
	s[0] = 0x7f;
	T_EQ(read_text(s, 1), PT_EMALFORMED, "text: DEL refused");
	bad = 0;
	for (c = 0x80; c <= 0x9f; c++) {
		uint8_t in[4] = {'x', 0xc2, (uint8_t)c, 'y'};
		s[0] = 0xc2;
		s[1] = (uint8_t)c;
		if (read_text(s, 2) != PT_EMALFORMED || read_text(in, 4) != PT_EMALFORMED)
			bad++;
	}
	T_EQ(bad, 0, "text: every C1 control (U+0080..U+009F) refused, alone and inside text");
	{
		static const uint8_t nel[] = {'a', 0xc2, 0x85, 'b'};
		static const uint8_t csi[] = {0xc2, 0x9b, '3', '1', 'm'};
		static const uint8_t esc[] = {0x1b, '[', '2', 'J'};
		static const uint8_t osc[] = {0x1b, ']', '0', ';', 'x', 0x07};
		static const uint8_t ok1[] = {0xc2, 0xa0, 'x'};	/* NBSP: not a control */
		static const uint8_t ok2[] = {'a', 0xc3, 0x85};	/* U+00C5: c3 85, not C1 */
		static const uint8_t ok3[] = {0xe2, 0x80, 0x85};	/* U+2005: 80 85 inside */
		T_EQ(read_text(nel, sizeof(nel)), PT_EMALFORMED, "text: NEL U+0085 refused");
		T_EQ(read_text(csi, sizeof(csi)), PT_EMALFORMED, "text: CSI U+009B refused");
		T_EQ(read_text(esc, sizeof(esc)), PT_EMALFORMED, "text: ESC [2J refused");
		T_EQ(read_text(osc, sizeof(osc)), PT_EMALFORMED, "text: OSC title sequence refused");
		T_EQ(read_text(ok1, sizeof(ok1)), PT_OK, "text: NBSP accepted");
		T_EQ(read_text(ok2, sizeof(ok2)), PT_OK, "text: U+00C5 (c3 85) accepted");
		T_EQ(read_text(ok3, sizeof(ok3)), PT_OK, "text: U+2005 (e2 80 85) accepted");
	}
	/* Every printable ASCII character is accepted. */
	{
		uint8_t all[95];
		uint8_t item[100];
		struct pt_cbor_rd rd;
		const uint8_t *p;
		size_t l;
		for (c = 0x20; c < 0x7f; c++)
			all[c - 0x20] = (uint8_t)c;
		item[0] = 0x78;
		item[1] = sizeof(all);
		memcpy(item + 2, all, sizeof(all));
		pt_cbor_rd_init(&rd, item, sizeof(all) + 2);
		T_OK(pt_cbor_text(&rd, &p, &l) == PT_OK && l == sizeof(all),
		     "text: all printable ASCII accepted");
	}
}

static void
test_writer_overflow(void)
{
	uint8_t full[256], buf[300];
	struct pt_cbor_wr w;
	size_t n, cap;
	int bad_status = 0, bad_bounds = 0, bad_prefix = 0, bad_sticky = 0;

	pt_cbor_wr_init(&w, full, sizeof(full));
	write_all(&w);
	T_EQ(pt_cbor_wr_status(&w), PT_OK, "writer: full encoding fits");
	n = w.len;
	for (cap = 0; cap <= n; cap++) {
		memset(buf, 0xee, sizeof(buf));
		pt_cbor_wr_init(&w, buf, cap);
		write_all(&w);
		if (pt_cbor_wr_status(&w) != (cap < n ? PT_ENOSPC : PT_OK) ||
		    w.overflow != (cap < n))
			bad_status++;
		if (w.len > cap)
			bad_bounds++;
		{
			size_t k;
			for (k = cap; k < sizeof(buf); k++)
				if (buf[k] != 0xee)
					bad_bounds++;
		}
		if (memcmp(buf, full, w.len) != 0)
			bad_prefix++;
		if (cap < n) {
			size_t len = w.len;
			pt_cbor_put_bool(&w, true);	/* would fit in a fresh byte */
			pt_cbor_put_raw(&w, full, 0);
			pt_cbor_put_uint(&w, 0);
			if (w.len != len || pt_cbor_wr_status(&w) != PT_ENOSPC)
				bad_sticky++;
		}
	}
	T_EQ(bad_status, 0, "writer: ENOSPC for every capacity 0..%zu, OK at %zu", n - 1, n);
	T_EQ(bad_bounds, 0, "writer: nothing written past the capacity, at any capacity");
	T_EQ(bad_prefix, 0, "writer: what was written is a prefix of the full encoding");
	T_EQ(bad_sticky, 0, "writer: overflow is sticky (later small items write nothing)");

	/* Each kind on its own at a capacity one short. */
	{
		static const uint8_t body[30];
		struct {
			const char *what;
			size_t need;
		} k[] = {{"uint 1000", 3}, {"int -1000", 3}, {"bytes 30", 32}, {"text 30", 32},
			 {"array 30", 2}, {"map 300", 3}, {"tag 18", 1}, {"bool", 1}, {"raw 30", 30}};
		size_t i;
		for (i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
			int pass;
			for (pass = 0; pass < 2; pass++) {
				size_t c = k[i].need - (pass == 0 ? 1 : 0);
				memset(buf, 0xee, sizeof(buf));
				pt_cbor_wr_init(&w, buf, c);
				switch (i) {
				case 0: pt_cbor_put_uint(&w, 1000); break;
				case 1: pt_cbor_put_int(&w, -1000); break;
				case 2: pt_cbor_put_bytes(&w, body, 30); break;
				case 3: pt_cbor_put_text(&w, (const char *)body, 30); break;
				case 4: pt_cbor_put_array(&w, 30); break;
				case 5: pt_cbor_put_map(&w, 300); break;
				case 6: pt_cbor_put_tag(&w, 18); break;
				case 7: pt_cbor_put_bool(&w, false); break;
				default: pt_cbor_put_raw(&w, body, 30); break;
				}
				T_OK(pt_cbor_wr_status(&w) == (pass == 0 ? PT_ENOSPC : PT_OK) &&
					     w.len == (pass == 0 ? w.len : k[i].need) && w.len <= c &&
					     buf[c] == 0xee,
				     "writer: %s at capacity %zu: %s", k[i].what, c,
				     pass == 0 ? "overflow" : "fits");
			}
		}
	}
	/* A bytes item whose head fits but whose body does not. */
	{
		static const uint8_t body[10];
		pt_cbor_wr_init(&w, buf, 5);
		pt_cbor_put_bytes(&w, body, 10);
		T_OK(pt_cbor_wr_status(&w) == PT_ENOSPC && w.len <= 5,
		     "writer: bytes head fits, body does not: overflow");
	}
}

static void
test_skip_depth(void)
{
	uint8_t b[2100];
	size_t d;
	int bad = 0;

	/* [[[ ... [0] ... ]]] with d arrays needs depth d. */
	for (d = 0; d <= 8; d++) {
		memset(b, 0x81, d);
		b[d] = 0x00;
		if (!skip_ok(b, d + 1, (unsigned)d))
			bad++;
		if (d > 0 && !refused_skip(b, d + 1, (unsigned)d - 1))
			bad++;
	}
	T_EQ(bad, 0, "skip: d nested arrays need exactly depth d (d = 0..8)");
	bad = 0;
	/* Maps and tags count as levels too: {1: 1({1: [0]})} */
	{
		static const uint8_t m[] = {0xa1, 0x01, 0xc1, 0xa1, 0x01, 0x81, 0x00};
		T_OK(skip_ok(m, sizeof(m), 4), "skip: {1: 1({1: [0]})} at depth 4");
		T_OK(refused_skip(m, sizeof(m), 3), "skip: {1: 1({1: [0]})} refused at depth 3");
	}
	/* An empty container still counts as a level. */
	{
		static const uint8_t e1[] = {0x80}, e2[] = {0xa0}, e3[] = {0xc1, 0x00};
		T_OK(refused_skip(e1, 1, 0) && skip_ok(e1, 1, 1), "skip: [] needs depth 1");
		T_OK(refused_skip(e2, 1, 0) && skip_ok(e2, 1, 1), "skip: {} needs depth 1");
		T_OK(refused_skip(e3, 2, 0) && skip_ok(e3, 2, 1), "skip: 1(0) needs depth 1");
		T_OK(skip_ok((const uint8_t *)"\x01", 1, 0), "skip: a scalar needs depth 0");
	}
	/* 2000 nested arrays are refused at a small depth (no deep recursion). */
	memset(b, 0x81, 2000);
	b[2000] = 0x00;
	T_OK(refused_skip(b, 2001, 4), "skip: 2000 nested arrays refused at depth 4");
	T_OK(refused_skip(b, 2001, 64), "skip: 2000 nested arrays refused at depth 64");
	/* Huge declared counts fail fast, without reading past the buffer. */
	{
		static const uint8_t a64[] = {0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00};
		static const uint8_t m64[] = {0xbb, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00};
		static const uint8_t a32[] = {0x9a, 0x00, 0x10, 0x00, 0x00, 0x01, 0x02};
		static const uint8_t m2[] = {0xa2, 0x01, 0x02, 0x03};
		T_OK(refused_skip(a64, sizeof(a64), 4), "skip: array of 2^64-1 items refused");
		T_OK(refused_skip(m64, sizeof(m64), 4), "skip: map of 2^63-1 pairs refused");
		T_OK(refused_skip(a32, sizeof(a32), 4), "skip: array of 2^20 items with 2 present refused");
		T_OK(refused_skip(m2, sizeof(m2), 4), "skip: map of 2 pairs with 3 items refused");
	}
	/* Skip stops after one item. */
	{
		static const uint8_t two[] = {0x82, 0x01, 0x02, 0x03};
		struct pt_cbor_rd rd;
		pt_cbor_rd_init(&rd, two, sizeof(two));
		T_OK(pt_cbor_skip(&rd, 1) == PT_OK && rd.off == 3, "skip: stops after [1, 2]");
	}
}

static void
test_text_borrow_and_hex(void)
{
	/* A small sanity check of offsets on a mixed buffer. */
	static const uint8_t b[] = {0x82, 0x63, 'a', 'b', 'c', 0x19, 0x01, 0x00};
	struct pt_cbor_rd rd;
	struct pt_cbor_item it;
	char hx[64];

	hexstr(b, sizeof(b), hx, sizeof(hx));
	pt_cbor_rd_init(&rd, b, sizeof(b));
	T_OK(pt_cbor_next(&rd, &it) == PT_OK && it.kind == PT_CBOR_ARRAY && it.start == 0 &&
		     it.end == 1,
	     "offsets in %s: array head [0,1)", hx);
	T_OK(pt_cbor_next(&rd, &it) == PT_OK && it.kind == PT_CBOR_TEXT && it.start == 1 &&
		     it.end == 5 && it.p == b + 2,
	     "offsets: text [1,5), body at 2");
	T_OK(pt_cbor_next(&rd, &it) == PT_OK && it.kind == PT_CBOR_UINT && it.u == 256 &&
		     it.start == 5 && it.end == 8 && pt_cbor_rd_done(&rd),
	     "offsets: uint 256 [5,8)");
}

int
main(void)
{
	if (pt_crypto_init() != PT_OK) {
		printf("Bail out! crypto init\n");
		return 1;
	}
	test_uint_roundtrip();
	test_int_roundtrip();
	test_string_roundtrip();
	test_every_kind();
	test_tags();
	test_non_shortest();
	test_kinds_refused();
	test_truncation();
	test_keys();
	test_utf8();
	test_text_controls();
	test_writer_overflow();
	test_skip_depth();
	test_text_borrow_and_hex();
	return t_done();
}
