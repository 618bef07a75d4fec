/*
 * libFuzzer target for the strict CBOR reader (lib/core/cbor.c) and
 * pt_utf8_is_valid().
 *
 * Three walks over the input, each until an error or the end:
 *   1. item by item with pt_cbor_next(): every item lies inside the
 *      buffer, follows the previous one, and its head re-encodes with the
 *      deterministic writer to exactly the bytes read (the reader accepts
 *      shortest-form heads only); text items are valid UTF-8;
 *   2. whole items with pt_cbor_skip(), which must always make progress;
 *   3. as the body of a map with integer keys (pt_cbor_key), values skipped.
 * Then pt_utf8_is_valid() on the whole input, against a plain reference
 * decoder written from RFC 3629's grammar.
 * A broken property is __builtin_trap().
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "porter/cbor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x) do { if (!(x)) __builtin_trap(); } while (0)
#define DEPTH 16

/* RFC 3629 section 4, the UTF8-octets grammar, byte range by byte range. */
static bool
utf8_reference(const uint8_t *p, size_t len)
{
	size_t i = 0;

	while (i < len) {
		uint8_t a = p[i];
		uint8_t lo = 0x80, hi = 0xbf;
		size_t n;

		if (a <= 0x7f) {
			i++;
			continue;
		}
		if (a >= 0xc2 && a <= 0xdf) {
			n = 1;
		} else if (a == 0xe0) {
			n = 2, lo = 0xa0;
		} else if ((a >= 0xe1 && a <= 0xec) || a == 0xee || a == 0xef) {
			n = 2;
		} else if (a == 0xed) {
			n = 2, hi = 0x9f;
		} else if (a == 0xf0) {
			n = 3, lo = 0x90;
		} else if (a >= 0xf1 && a <= 0xf3) {
			n = 3;
		} else if (a == 0xf4) {
			n = 3, hi = 0x8f;
		} else {
			return false;
		}
		if (len - i <= n)
			return false;
		if (p[i + 1] < lo || p[i + 1] > hi)
			return false;
		for (size_t k = 2; k <= n; k++)
			if (p[i + k] < 0x80 || p[i + k] > 0xbf)
				return false;
		i += n + 1;
	}
	return true;
}

/* The head of it, written again by the deterministic writer. */
static void
check_head(const uint8_t *data, const struct pt_cbor_item *it)
{
	uint8_t buf[16];
	struct pt_cbor_wr w;
	size_t head = it->end - it->start;

	pt_cbor_wr_init(&w, buf, sizeof(buf));
	switch (it->kind) {
	case PT_CBOR_UINT:
		pt_cbor_put_uint(&w, it->u);
		break;
	case PT_CBOR_NEGINT:
		if (it->u > (uint64_t)INT64_MAX)
			return;	/* below INT64_MIN: no writer for it, none needed */
		pt_cbor_put_int(&w, -1 - (int64_t)it->u);
		break;
	case PT_CBOR_BYTES:
	case PT_CBOR_TEXT:
		CHECK(it->p == data + it->end - it->u);
		head = (size_t)(it->end - it->start - it->u);
		/* a string head is a uint head with major type 2 or 3 */
		pt_cbor_put_uint(&w, it->u);
		buf[0] = (uint8_t)(buf[0] | (it->kind == PT_CBOR_BYTES ? 0x40 : 0x60));
		break;
	case PT_CBOR_ARRAY:
		pt_cbor_put_array(&w, (size_t)it->u);
		break;
	case PT_CBOR_MAP:
		pt_cbor_put_map(&w, (size_t)it->u);
		break;
	case PT_CBOR_TAG:
		pt_cbor_put_tag(&w, it->u);
		break;
	case PT_CBOR_BOOL:
		CHECK(it->u <= 1);
		pt_cbor_put_bool(&w, it->u != 0);
		break;
	default:
		CHECK(0);	/* PT_OK with no kind */
	}
	CHECK(pt_cbor_wr_status(&w) == PT_OK);
	CHECK(w.len == head && memcmp(buf, data + it->start, head) == 0);
}

static void
walk_items(const uint8_t *data, size_t size)
{
	struct pt_cbor_rd rd;
	struct pt_cbor_item it;
	size_t before;

	pt_cbor_rd_init(&rd, data, size);
	while (!pt_cbor_rd_done(&rd)) {
		before = rd.off;
		if (pt_cbor_next(&rd, &it) != PT_OK) {
			CHECK(rd.off == before && it.kind == PT_CBOR_NONE);
			return;
		}
		CHECK(it.start == before && it.end == rd.off && it.end > it.start && it.end <= size);
		check_head(data, &it);
		if (it.kind == PT_CBOR_TEXT)
			CHECK(pt_utf8_is_valid(it.p, (size_t)it.u) ==
			      utf8_reference(it.p, (size_t)it.u));
		/* Strings are read whole: their bodies are not items. */
	}
}

static void
walk_skip(const uint8_t *data, size_t size)
{
	struct pt_cbor_rd rd;
	size_t before;

	pt_cbor_rd_init(&rd, data, size);
	while (!pt_cbor_rd_done(&rd)) {
		before = rd.off;
		if (pt_cbor_skip(&rd, DEPTH) != PT_OK)
			return;
		CHECK(rd.off > before && rd.off <= size);
	}
}

/*
 * As a map body: integer keys in deterministic order, values skipped; other
 * items through the typed readers, which leave the position alone when
 * the item is not theirs (cose.c relies on that to skip text labels).
 */
static void
walk_typed(const uint8_t *data, size_t size)
{
	struct pt_cbor_rd rd;
	struct pt_cbor_keys keys;
	const uint8_t *p;
	uint64_t u;
	int64_t k;
	size_t len, before;
	bool b;

	pt_cbor_rd_init(&rd, data, size);
	pt_cbor_key_init(&keys);
	while (!pt_cbor_rd_done(&rd)) {
		before = rd.off;
		if (pt_cbor_key(&rd, &keys, &k) == PT_OK) {
			if (pt_cbor_skip(&rd, DEPTH) != PT_OK)
				return;
			continue;
		}
		rd.off = before;	/* a key out of order was read: start over */
		pt_cbor_key_init(&keys);
		if (pt_cbor_text(&rd, &p, &len) == PT_OK) {
			CHECK(pt_utf8_is_valid(p, len) && utf8_reference(p, len));
			CHECK(p + len == data + rd.off);
			continue;
		}
		CHECK(rd.off == before);
		if (pt_cbor_bytes(&rd, &p, &len) == PT_OK || pt_cbor_bool(&rd, &b) == PT_OK ||
		    pt_cbor_tag(&rd, &u) == PT_OK || pt_cbor_array(&rd, &u) == PT_OK ||
		    pt_cbor_map(&rd, &u) == PT_OK || pt_cbor_uint(&rd, &u) == PT_OK ||
		    pt_cbor_int(&rd, &k) == PT_OK) {
			CHECK(rd.off > before);
			continue;
		}
		CHECK(rd.off == before);
		return;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	walk_items(data, size);
	walk_skip(data, size);
	walk_typed(data, size);
	CHECK(pt_utf8_is_valid(data, size) == utf8_reference(data, size));
	return 0;
}
