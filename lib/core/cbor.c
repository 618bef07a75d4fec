/*
 * Strict CBOR pull reader and deterministic writer over libcbor.
 *
 * libcbor's streaming decoder reports one item head per call and never
 * allocates; we map each callback onto a struct pt_cbor_item and then check
 * what libcbor does not: that the head used the shortest form (RFC 8949
 * 4.2.1), and that the item is of a kind porter's grammar allows at all.
 */
#include "porter/cbor.h"

#include <string.h>

#include <cbor.h>

static void
cb_u8(void *ctx, uint8_t v)
{
	struct pt_cbor_item *it = ctx;
	it->kind = PT_CBOR_UINT;
	it->u = v;
}

static void
cb_u16(void *ctx, uint16_t v)
{
	cb_u8(ctx, 0), ((struct pt_cbor_item *)ctx)->u = v;
}

static void
cb_u32(void *ctx, uint32_t v)
{
	cb_u8(ctx, 0), ((struct pt_cbor_item *)ctx)->u = v;
}

static void
cb_u64(void *ctx, uint64_t v)
{
	cb_u8(ctx, 0), ((struct pt_cbor_item *)ctx)->u = v;
}

static void
cb_n8(void *ctx, uint8_t v)
{
	struct pt_cbor_item *it = ctx;
	it->kind = PT_CBOR_NEGINT;
	it->u = v;
}

static void
cb_n16(void *ctx, uint16_t v)
{
	cb_n8(ctx, 0), ((struct pt_cbor_item *)ctx)->u = v;
}

static void
cb_n32(void *ctx, uint32_t v)
{
	cb_n8(ctx, 0), ((struct pt_cbor_item *)ctx)->u = v;
}

static void
cb_n64(void *ctx, uint64_t v)
{
	cb_n8(ctx, 0), ((struct pt_cbor_item *)ctx)->u = v;
}

static void
cb_bytes(void *ctx, cbor_data p, size_t len)
{
	struct pt_cbor_item *it = ctx;
	it->kind = PT_CBOR_BYTES;
	it->p = p;
	it->u = len;
}

static void
cb_text(void *ctx, cbor_data p, size_t len)
{
	struct pt_cbor_item *it = ctx;
	it->kind = PT_CBOR_TEXT;
	it->p = p;
	it->u = len;
}

static void
cb_array(void *ctx, size_t n)
{
	struct pt_cbor_item *it = ctx;
	it->kind = PT_CBOR_ARRAY;
	it->u = n;
}

static void
cb_map(void *ctx, size_t n)
{
	struct pt_cbor_item *it = ctx;
	it->kind = PT_CBOR_MAP;
	it->u = n;
}

static void
cb_tag(void *ctx, uint64_t v)
{
	struct pt_cbor_item *it = ctx;
	it->kind = PT_CBOR_TAG;
	it->u = v;
}

static void
cb_bool(void *ctx, bool v)
{
	struct pt_cbor_item *it = ctx;
	it->kind = PT_CBOR_BOOL;
	it->u = v;
}

/* Everything not listed (indefinite items, floats, null, undefined,
 * breaks) leaves the item kind at PT_CBOR_NONE and is refused. */
static const struct cbor_callbacks callbacks = {
	.uint8 = cb_u8,
	.uint16 = cb_u16,
	.uint32 = cb_u32,
	.uint64 = cb_u64,
	.negint8 = cb_n8,
	.negint16 = cb_n16,
	.negint32 = cb_n32,
	.negint64 = cb_n64,
	.byte_string_start = cbor_null_byte_string_start_callback,
	.byte_string = cb_bytes,
	.string = cb_text,
	.string_start = cbor_null_string_start_callback,
	.indef_array_start = cbor_null_indef_array_start_callback,
	.array_start = cb_array,
	.indef_map_start = cbor_null_indef_map_start_callback,
	.map_start = cb_map,
	.tag = cb_tag,
	.float2 = cbor_null_float2_callback,
	.float4 = cbor_null_float4_callback,
	.float8 = cbor_null_float8_callback,
	.undefined = cbor_null_undefined_callback,
	.null = cbor_null_null_callback,
	.boolean = cb_bool,
	.indef_break = cbor_null_indef_break_callback,
};

static size_t
head_len(uint64_t v)
{
	if (v < 24)
		return 1;
	if (v <= UINT8_MAX)
		return 2;
	if (v <= UINT16_MAX)
		return 3;
	if (v <= UINT32_MAX)
		return 5;
	return 9;
}

void
pt_cbor_rd_init(struct pt_cbor_rd *rd, const uint8_t *buf, size_t len)
{
	rd->buf = buf;
	rd->len = len;
	rd->off = 0;
}

bool
pt_cbor_rd_done(const struct pt_cbor_rd *rd)
{
	return rd->off == rd->len;
}

int
pt_cbor_next(struct pt_cbor_rd *rd, struct pt_cbor_item *it)
{
	struct cbor_decoder_result r;
	size_t head;

	memset(it, 0, sizeof(*it));
	if (rd->off >= rd->len)
		return PT_EMALFORMED;
	/*
	 * libcbor before 0.11 refuses the one-byte heads of tags 6..20
	 * (0xc6..0xd4) as "unassigned" (PJK/libcbor#307), and COSE_Sign1 is
	 * tag 18. Those heads carry no further bytes: decode them here.
	 */
	if (rd->buf[rd->off] >= 0xc6 && rd->buf[rd->off] <= 0xd4) {
		it->kind = PT_CBOR_TAG;
		it->u = (uint64_t)(rd->buf[rd->off] - 0xc0);
		it->start = rd->off;
		it->end = ++rd->off;
		return PT_OK;
	}
	r = cbor_stream_decode(rd->buf + rd->off, rd->len - rd->off, &callbacks, it);
	if (r.status != CBOR_DECODER_FINISHED || r.read == 0 ||
	    r.read > rd->len - rd->off || it->kind == PT_CBOR_NONE)
		goto bad;
	head = r.read;
	if (it->kind == PT_CBOR_BYTES || it->kind == PT_CBOR_TEXT) {
		if (it->u > head)
			goto bad;
		head -= (size_t)it->u;
	}
	if (it->kind == PT_CBOR_BOOL) {
		if (head != 1)
			goto bad;
	} else if (head != head_len(it->u)) {
		goto bad;	/* not the shortest form */
	}
	it->start = rd->off;
	it->end = rd->off + r.read;
	rd->off = it->end;
	return PT_OK;
bad:
	memset(it, 0, sizeof(*it));
	return PT_EMALFORMED;
}

static int
next_kind(struct pt_cbor_rd *rd, struct pt_cbor_item *it, enum pt_cbor_kind kind)
{
	size_t off = rd->off;

	if (pt_cbor_next(rd, it) != PT_OK || it->kind != kind) {
		rd->off = off;
		return PT_EMALFORMED;
	}
	return PT_OK;
}

int
pt_cbor_uint(struct pt_cbor_rd *rd, uint64_t *v)
{
	struct pt_cbor_item it;

	*v = 0;
	if (next_kind(rd, &it, PT_CBOR_UINT) != PT_OK)
		return PT_EMALFORMED;
	*v = it.u;
	return PT_OK;
}

int
pt_cbor_int(struct pt_cbor_rd *rd, int64_t *v)
{
	struct pt_cbor_item it;
	size_t off = rd->off;

	*v = 0;
	if (pt_cbor_next(rd, &it) != PT_OK)
		return PT_EMALFORMED;
	if (it.kind == PT_CBOR_UINT && it.u <= (uint64_t)INT64_MAX) {
		*v = (int64_t)it.u;
		return PT_OK;
	}
	if (it.kind == PT_CBOR_NEGINT && it.u <= (uint64_t)INT64_MAX) {
		*v = -1 - (int64_t)it.u;
		return PT_OK;
	}
	rd->off = off;
	return PT_EMALFORMED;
}

int
pt_cbor_bytes(struct pt_cbor_rd *rd, const uint8_t **p, size_t *len)
{
	struct pt_cbor_item it;

	*p = NULL;
	*len = 0;
	if (next_kind(rd, &it, PT_CBOR_BYTES) != PT_OK)
		return PT_EMALFORMED;
	*p = it.p;
	*len = (size_t)it.u;
	return PT_OK;
}

bool
pt_utf8_is_valid(const uint8_t *p, size_t len)
{
	size_t i = 0;

	while (i < len) {
		uint8_t c = p[i];
		uint32_t cp;
		size_t n, k;

		if (c < 0x80) {
			i++;
			continue;
		} else if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			cp = c & 0x1fu;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			cp = c & 0x0fu;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			cp = c & 0x07u;
		} else {
			return false;
		}
		if (len - i - 1 < n)
			return false;
		for (k = 1; k <= n; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (p[i + k] & 0x3fu);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += n + 1;
	}
	return true;
}

/* No C0 controls, DEL or C1 controls (U+0080..U+009F, encoded C2 80..9F). */
static bool
controls_absent(const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (p[i] < 0x20 || p[i] == 0x7f)
			return false;
		if (p[i] == 0xc2 && i + 1 < len && p[i + 1] >= 0x80 && p[i + 1] <= 0x9f)
			return false;
	}
	return true;
}

bool
pt_text_is_printable(const uint8_t *p, size_t len)
{
	return pt_utf8_is_valid(p, len) && controls_absent(p, len);
}

int
pt_cbor_text(struct pt_cbor_rd *rd, const uint8_t **p, size_t *len)
{
	struct pt_cbor_item it;
	size_t off = rd->off;

	*p = NULL;
	*len = 0;
	if (next_kind(rd, &it, PT_CBOR_TEXT) != PT_OK)
		return PT_EMALFORMED;
	if (!pt_text_is_printable(it.p, (size_t)it.u)) {
		rd->off = off;
		return PT_EMALFORMED;
	}
	*p = it.p;
	*len = (size_t)it.u;
	return PT_OK;
}

int
pt_cbor_array(struct pt_cbor_rd *rd, uint64_t *n)
{
	struct pt_cbor_item it;

	*n = 0;
	if (next_kind(rd, &it, PT_CBOR_ARRAY) != PT_OK)
		return PT_EMALFORMED;
	*n = it.u;
	return PT_OK;
}

int
pt_cbor_map(struct pt_cbor_rd *rd, uint64_t *n)
{
	struct pt_cbor_item it;

	*n = 0;
	if (next_kind(rd, &it, PT_CBOR_MAP) != PT_OK)
		return PT_EMALFORMED;
	*n = it.u;
	return PT_OK;
}

int
pt_cbor_tag(struct pt_cbor_rd *rd, uint64_t *tag)
{
	struct pt_cbor_item it;

	*tag = 0;
	if (next_kind(rd, &it, PT_CBOR_TAG) != PT_OK)
		return PT_EMALFORMED;
	*tag = it.u;
	return PT_OK;
}

int
pt_cbor_bool(struct pt_cbor_rd *rd, bool *v)
{
	struct pt_cbor_item it;

	*v = false;
	if (next_kind(rd, &it, PT_CBOR_BOOL) != PT_OK)
		return PT_EMALFORMED;
	*v = it.u != 0;
	return PT_OK;
}

void
pt_cbor_key_init(struct pt_cbor_keys *k)
{
	k->prev = NULL;
	k->prev_len = 0;
}

int
pt_cbor_key(struct pt_cbor_rd *rd, struct pt_cbor_keys *k, int64_t *key)
{
	size_t start = rd->off, len, min;
	const uint8_t *enc;
	int c;

	if (pt_cbor_int(rd, key) != PT_OK)
		return PT_EMALFORMED;
	enc = rd->buf + start;
	len = rd->off - start;
	if (k->prev != NULL) {
		min = len < k->prev_len ? len : k->prev_len;
		c = memcmp(k->prev, enc, min);
		if (c > 0 || (c == 0 && k->prev_len >= len))
			return PT_EMALFORMED;	/* out of order or duplicate */
	}
	k->prev = enc;
	k->prev_len = len;
	return PT_OK;
}

int
pt_cbor_skip(struct pt_cbor_rd *rd, unsigned depth_max)
{
	struct pt_cbor_item it;
	uint64_t i, n;

	if (pt_cbor_next(rd, &it) != PT_OK)
		return PT_EMALFORMED;
	switch (it.kind) {
	case PT_CBOR_ARRAY:
	case PT_CBOR_MAP:
	case PT_CBOR_TAG:
		if (depth_max == 0)
			return PT_EMALFORMED;
		n = it.kind == PT_CBOR_TAG ? 1 : it.u;
		if (it.kind == PT_CBOR_MAP) {
			if (n > (rd->len - rd->off) / 2)
				return PT_EMALFORMED;
			n *= 2;
		}
		if (n > rd->len - rd->off)
			return PT_EMALFORMED; /* every item takes at least a byte */
		for (i = 0; i < n; i++)
			if (pt_cbor_skip(rd, depth_max - 1) != PT_OK)
				return PT_EMALFORMED;
		return PT_OK;
	default:
		return PT_OK;
	}
}

void
pt_cbor_wr_init(struct pt_cbor_wr *w, uint8_t *buf, size_t cap)
{
	w->buf = buf;
	w->cap = cap;
	w->len = 0;
	w->overflow = false;
}

static void
wr_head(struct pt_cbor_wr *w, size_t n)
{
	if (n == 0)
		w->overflow = true;
	else
		w->len += n;
}

void
pt_cbor_put_uint(struct pt_cbor_wr *w, uint64_t v)
{
	if (!w->overflow)
		wr_head(w, cbor_encode_uint(v, w->buf + w->len, w->cap - w->len));
}

void
pt_cbor_put_int(struct pt_cbor_wr *w, int64_t v)
{
	if (v >= 0)
		pt_cbor_put_uint(w, (uint64_t)v);
	else if (!w->overflow)
		wr_head(w, cbor_encode_negint((uint64_t)(-1 - v), w->buf + w->len, w->cap - w->len));
}

void
pt_cbor_put_raw(struct pt_cbor_wr *w, const uint8_t *p, size_t len)
{
	if (w->overflow)
		return;
	if (len > w->cap - w->len) {
		w->overflow = true;
		return;
	}
	if (len > 0)
		memcpy(w->buf + w->len, p, len);
	w->len += len;
}

void
pt_cbor_put_bytes(struct pt_cbor_wr *w, const uint8_t *p, size_t len)
{
	if (!w->overflow)
		wr_head(w, cbor_encode_bytestring_start(len, w->buf + w->len, w->cap - w->len));
	pt_cbor_put_raw(w, p, len);
}

void
pt_cbor_put_text(struct pt_cbor_wr *w, const char *p, size_t len)
{
	if (!w->overflow)
		wr_head(w, cbor_encode_string_start(len, w->buf + w->len, w->cap - w->len));
	pt_cbor_put_raw(w, (const uint8_t *)p, len);
}

void
pt_cbor_put_array(struct pt_cbor_wr *w, size_t n)
{
	if (!w->overflow)
		wr_head(w, cbor_encode_array_start(n, w->buf + w->len, w->cap - w->len));
}

void
pt_cbor_put_map(struct pt_cbor_wr *w, size_t n)
{
	if (!w->overflow)
		wr_head(w, cbor_encode_map_start(n, w->buf + w->len, w->cap - w->len));
}

void
pt_cbor_put_tag(struct pt_cbor_wr *w, uint64_t tag)
{
	if (!w->overflow)
		wr_head(w, cbor_encode_tag(tag, w->buf + w->len, w->cap - w->len));
}

void
pt_cbor_put_bool(struct pt_cbor_wr *w, bool v)
{
	if (!w->overflow)
		wr_head(w, cbor_encode_bool(v, w->buf + w->len, w->cap - w->len));
}

int
pt_cbor_wr_status(const struct pt_cbor_wr *w)
{
	return w->overflow ? PT_ENOSPC : PT_OK;
}
