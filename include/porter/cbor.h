/*
 * porter/cbor.h: strict, bounded CBOR reading and writing on top of libcbor.
 *
 * The reader accepts only core deterministic encoding (RFC 8949 section
 * 4.2.1): shortest-form heads, definite lengths, no floats or simple values
 * other than false/true, map keys in strictly ascending bytewise order of
 * their encodings (so no duplicates). It is a pull reader over a caller's
 * buffer built on libcbor's streaming decoder, which allocates nothing;
 * strings are returned as pointers into that buffer (borrowed for as long
 * as the buffer lives). Nesting is bounded by the callers' grammar, not by
 * recursion in here.
 *
 * The writer emits deterministic encoding with libcbor's encoders into a
 * caller's buffer; on overflow it sets a sticky flag and writes nothing
 * more, so encoders check once at the end.
 */
#ifndef PORTER_CBOR_H
#define PORTER_CBOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "porter/err.h"

enum pt_cbor_kind {
	PT_CBOR_NONE = 0,
	PT_CBOR_UINT,	/* u = value */
	PT_CBOR_NEGINT,	/* u = n where the value is -1 - n */
	PT_CBOR_BYTES,	/* p, u = length */
	PT_CBOR_TEXT,	/* p, u = length (UTF-8 is checked by pt_cbor_text) */
	PT_CBOR_ARRAY,	/* u = number of items */
	PT_CBOR_MAP,	/* u = number of pairs */
	PT_CBOR_TAG,	/* u = tag number; the tagged item follows */
	PT_CBOR_BOOL,	/* u = 0 or 1 */
};

struct pt_cbor_item {
	enum pt_cbor_kind kind;
	uint64_t u;
	const uint8_t *p;
	size_t start, end;	/* offsets of the whole head (+ string body) */
};

struct pt_cbor_rd {
	const uint8_t *buf;
	size_t len;
	size_t off;
};

void pt_cbor_rd_init(struct pt_cbor_rd *rd, const uint8_t *buf, size_t len);
bool pt_cbor_rd_done(const struct pt_cbor_rd *rd);

/* Next item head. PT_OK or PT_EMALFORMED (truncated, non-deterministic,
 * indefinite, float, undefined/null/other simple values). */
int pt_cbor_next(struct pt_cbor_rd *rd, struct pt_cbor_item *it) PT_MUST_CHECK;

/* Typed readers: PT_EMALFORMED when the next item is of another kind. */
int pt_cbor_uint(struct pt_cbor_rd *rd, uint64_t *v) PT_MUST_CHECK;
int pt_cbor_int(struct pt_cbor_rd *rd, int64_t *v) PT_MUST_CHECK;
int pt_cbor_bytes(struct pt_cbor_rd *rd, const uint8_t **p, size_t *len) PT_MUST_CHECK;
/* Text: valid UTF-8 with no C0 or C1 control characters and no DEL: text
 * from credentials is shown on terminals and screens, so escape sequences
 * never get through. */
int pt_cbor_text(struct pt_cbor_rd *rd, const uint8_t **p, size_t *len) PT_MUST_CHECK;
int pt_cbor_array(struct pt_cbor_rd *rd, uint64_t *n) PT_MUST_CHECK;
int pt_cbor_map(struct pt_cbor_rd *rd, uint64_t *n) PT_MUST_CHECK;
int pt_cbor_tag(struct pt_cbor_rd *rd, uint64_t *tag) PT_MUST_CHECK;
int pt_cbor_bool(struct pt_cbor_rd *rd, bool *v) PT_MUST_CHECK;

/*
 * Map keys in deterministic order. Call pt_cbor_key_init() after reading
 * the map head, then pt_cbor_key() before each key: it reads an integer
 * key and fails unless its encoding sorts strictly after the previous one.
 */
struct pt_cbor_keys {
	const uint8_t *prev;
	size_t prev_len;
};
void pt_cbor_key_init(struct pt_cbor_keys *k);
int pt_cbor_key(struct pt_cbor_rd *rd, struct pt_cbor_keys *k, int64_t *key) PT_MUST_CHECK;

/* Skip one complete item (with bounded nesting depth). */
int pt_cbor_skip(struct pt_cbor_rd *rd, unsigned depth_max) PT_MUST_CHECK;

/* UTF-8 validity (RFC 3629: no overlongs, no surrogates, <= U+10FFFF). */
bool pt_utf8_is_valid(const uint8_t *p, size_t len);
/* Valid UTF-8 without C0, DEL or C1 controls: safe to show on a terminal. */
bool pt_text_is_printable(const uint8_t *p, size_t len);

struct pt_cbor_wr {
	uint8_t *buf;
	size_t cap;
	size_t len;
	bool overflow;
};

void pt_cbor_wr_init(struct pt_cbor_wr *w, uint8_t *buf, size_t cap);
void pt_cbor_put_uint(struct pt_cbor_wr *w, uint64_t v);
void pt_cbor_put_int(struct pt_cbor_wr *w, int64_t v);
void pt_cbor_put_bytes(struct pt_cbor_wr *w, const uint8_t *p, size_t len);
void pt_cbor_put_text(struct pt_cbor_wr *w, const char *p, size_t len);
void pt_cbor_put_array(struct pt_cbor_wr *w, size_t n);
void pt_cbor_put_map(struct pt_cbor_wr *w, size_t n);
void pt_cbor_put_tag(struct pt_cbor_wr *w, uint64_t tag);
void pt_cbor_put_bool(struct pt_cbor_wr *w, bool v);
/* Raw, already-encoded bytes (an embedded item). */
void pt_cbor_put_raw(struct pt_cbor_wr *w, const uint8_t *p, size_t len);
/* PT_OK, or PT_ENOSPC if anything did not fit. */
int pt_cbor_wr_status(const struct pt_cbor_wr *w) PT_MUST_CHECK;

#endif
