/*
 * libFuzzer target for the link protocol codec (lib/core/link.c): the
 * frame reader, every decoder, the BLE reassembler and fragmenter.
 *
 * Every input is used three ways:
 *
 *   1. as bytes received on a stream: pt_link_frame_scan on the whole
 *      input, then pt_link_decode and each per-type decoder on the whole
 *      input and on the frame the reader delimits;
 *   2. as BLE writes: [length byte][fragment]... fed to one
 *      struct pt_link_reasm; each completed message goes through the
 *      reader and the decoders as in 1;
 *   3. as a message to fragment (fragment size 20 + size % 225) and
 *      reassemble;
 *   4. as a PAIR's body alone (what porterd publishes on a hub's "pair"
 *      topic), whole and past a frame header: pt_link_pair_body_decode,
 *      its encoder back, and the same body in a frame.
 *
 * Properties checked (a break is __builtin_trap()):
 *   - the reader answers PT_OK, PT_ETOOBIG or PT_EMALFORMED; a complete
 *     frame lies within the input and the cap; "need more" never asks for
 *     more than the cap allows;
 *   - a decoder that refuses returns a PT_E* and leaves its output zeroed;
 *     one that accepts got exactly the bytes the encoder writes for what
 *     it decoded (a DECISION with a reason this build does not know
 *     aside: the encoder refuses those), and a known reason has its own
 *     code; a PROOF's chain and a PAIR's statement lie inside the frame;
 *   - pt_link_decode and the decoder of the frame's type agree; the other
 *     decoders refuse;
 *   - the reassembler never holds more than the cap, drops everything on
 *     a refusal, and completes only messages whose fragments are exactly
 *     what pt_link_frag_get writes for them (so nothing it accepts is
 *     ambiguous);
 *   - fragmenting and reassembling gives back the message.
 *
 * Seed corpus (fuzz/corpus/link/): valid frames of every type (PAIR
 * included) and fragment streams, written by the unit test:
 *     PORTER_LINK_CORPUS=fuzz/corpus/link build/tests/test_link
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "porter/link.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x) do { if (!(x)) __builtin_trap(); } while (0)

static bool
is_zero(const void *p, size_t n)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i < n; i++)
		if (b[i] != 0)
			return false;
	return true;
}

static bool
is_err(int r)
{
	return r < PT_OK && r > -PT_ERR_COUNT_;
}

static size_t
member_size(uint8_t type)
{
	switch (type) {
	case PT_LINK_HELLO:
		return sizeof(struct pt_link_hello);
	case PT_LINK_CHALLENGE:
		return sizeof(struct pt_link_challenge);
	case PT_LINK_PROOF:
		return sizeof(struct pt_link_proof);
	case PT_LINK_DECISION:
		return sizeof(struct pt_link_decision);
	case PT_LINK_PAIR:
		return sizeof(struct pt_link_pair);
	case PT_LINK_PANIC:
		return sizeof(struct pt_link_panic);
	default:
		return sizeof(struct pt_link_error);
	}
}

static int
decode_as(uint8_t type, const uint8_t *p, size_t len, struct pt_link_msg *m)
{
	memset(m, 0x5a, sizeof(*m));
	m->type = type;
	switch (type) {
	case PT_LINK_HELLO:
		return pt_link_hello_decode(p, len, &m->u.hello);
	case PT_LINK_CHALLENGE:
		return pt_link_challenge_decode(p, len, &m->u.challenge);
	case PT_LINK_PROOF:
		return pt_link_proof_decode(p, len, &m->u.proof);
	case PT_LINK_DECISION:
		return pt_link_decision_decode(p, len, &m->u.decision);
	case PT_LINK_PAIR:
		return pt_link_pair_decode(p, len, &m->u.pair);
	case PT_LINK_PANIC:
		return pt_link_panic_decode(p, len, &m->u.panic);
	default:
		return pt_link_error_decode(p, len, &m->u.error);
	}
}

/* One frame (p, len: the frame exactly, as far as the caller knows). */
static void
check_frame(const uint8_t *p, size_t len)
{
	static uint8_t re[PT_LINK_FRAME_MAX];
	struct pt_link_msg m, t;
	struct pt_link_frame f;
	size_t rn;
	int r, rf, rt;
	uint8_t type;

	rf = pt_link_frame_parse(p, len, &f);
	CHECK(rf == PT_OK || is_err(rf));
	if (rf != PT_OK)
		CHECK(is_zero(&f, sizeof(f)));
	else
		CHECK(f.version == PT_LINK_VERSION && f.type >= PT_LINK_HELLO &&
		      f.type <= PT_LINK_TYPE_MAX && f.body == p + PT_LINK_HDR_LEN &&
		      f.body_len == len - PT_LINK_HDR_LEN && len <= PT_LINK_FRAME_MAX);

	r = pt_link_decode(p, len, &m);
	CHECK(r == PT_OK || is_err(r));
	if (r != PT_OK) {
		CHECK(is_zero(&m, sizeof(m)));
	} else {
		CHECK(rf == PT_OK && m.type == f.type);
		if (m.type == PT_LINK_PROOF)
			CHECK(m.u.proof.chain > p && m.u.proof.chain_len >= 1 &&
			      m.u.proof.chain_len <= PT_CHAIN_SIZE_MAX &&
			      m.u.proof.chain + m.u.proof.chain_len <= p + len);
		if (m.type == PT_LINK_PANIC)
			CHECK(m.u.panic.chain > p && m.u.panic.chain_len >= 1 &&
			      m.u.panic.chain_len <= PT_CHAIN_SIZE_MAX &&
			      m.u.panic.chain + m.u.panic.chain_len <= p + len);
		if (m.type == PT_LINK_PAIR)
			CHECK(m.u.pair.statement > p && m.u.pair.statement_len >= 1 &&
			      m.u.pair.statement_len <= PT_ENVELOPE_SIZE_MAX &&
			      m.u.pair.statement + m.u.pair.statement_len <= p + len &&
			      pt_id_is_valid(m.u.pair.home, strlen(m.u.pair.home)));
		if (m.type == PT_LINK_DECISION && m.u.decision.reason <= -PT_ERR_COUNT_) {
			CHECK(m.u.decision.code[0] != '\0');
		} else {
			if (m.type == PT_LINK_DECISION)
				CHECK(strcmp(m.u.decision.code, pt_err_code(m.u.decision.reason)) == 0);
			if (m.type == PT_LINK_ERROR)
				CHECK(strcmp(m.u.error.code, pt_err_code(m.u.error.reason)) == 0);
			CHECK(pt_link_encode(&m, re, sizeof(re), &rn) == PT_OK);
			CHECK(rn == len && memcmp(re, p, len) == 0);
		}
	}

	for (type = PT_LINK_HELLO; type <= PT_LINK_TYPE_MAX; type++) {
		rt = decode_as(type, p, len, &t);
		CHECK(rt == PT_OK || is_err(rt));
		if (rt != PT_OK)
			CHECK(is_zero(&t.u, member_size(type)));
		if (rf != PT_OK) {
			CHECK(rt == rf);
		} else if (type == f.type) {
			CHECK(rt == r);
			if (r == PT_OK)
				CHECK(memcmp(&t.u, &m.u, member_size(type)) == 0);
		} else {
			CHECK(rt == PT_EMALFORMED);
		}
	}
}

/* Bytes as received on a stream. */
static void
check_stream(const uint8_t *p, size_t len)
{
	size_t fl, need;
	int r;

	r = pt_link_frame_scan(p, len, &fl, &need);
	CHECK(r == PT_OK || r == PT_ETOOBIG || r == PT_EMALFORMED);
	if (r != PT_OK) {
		CHECK(fl == 0 && need == 0 && len >= PT_LINK_PREFIX_LEN);
		return;
	}
	if (fl == 0) {
		CHECK(need > 0 && len + need <= PT_LINK_FRAME_MAX);
		return;
	}
	CHECK(need == 0 && fl >= PT_LINK_HDR_LEN && fl <= len && fl <= PT_LINK_FRAME_MAX);
	check_frame(p, fl);
}

/* [length byte][fragment]... into one reassembler. */
static void
check_reassembly(const uint8_t *data, size_t size)
{
	static struct pt_link_reasm ra;
	static uint8_t regen[PT_LINK_BLE_FRAG_MAX];
	size_t at[PT_LINK_FRAME_MAX / (PT_LINK_BLE_FRAG_MIN - 1) + 2], ln[sizeof(at) / sizeof(at[0])];
	size_t off = 0, n_frags = 0, i, rl;
	bool complete;
	int r;

	pt_link_reasm_init(&ra);
	while (off < size) {
		size_t fl = data[off++];
		if (fl > size - off)
			fl = size - off;
		r = pt_link_reasm_add(&ra, data + off, fl, &complete);
		CHECK(ra.len <= PT_LINK_FRAME_MAX);
		if (r != PT_OK) {
			CHECK(r == PT_EMALFORMED || r == PT_ETOOBIG);
			CHECK(!complete && ra.len == 0 && !ra.active);
			n_frags = 0;
			off += fl;
			continue;
		}
		CHECK(fl >= 1 && fl <= PT_LINK_BLE_FRAG_MAX);
		if (data[off] & PT_LINK_FRAG_FIRST)
			n_frags = 0;
		CHECK(n_frags < sizeof(at) / sizeof(at[0]));
		at[n_frags] = off;
		ln[n_frags] = fl;
		n_frags++;
		off += fl;
		if (!complete) {
			CHECK(ra.active);
			continue;
		}
		CHECK(!ra.active);
		/* The fragments were exactly the fragmenter's for this message. */
		if (n_frags == 1) {
			CHECK(data[at[0]] == (PT_LINK_FRAG_FIRST | PT_LINK_FRAG_LAST));
			CHECK(ln[0] == ra.len + 1);
		} else {
			CHECK(pt_link_frag_count(ra.len, ln[0]) == n_frags);
			for (i = 0; i < n_frags; i++) {
				CHECK(pt_link_frag_get(ra.buf, ra.len, ln[0], i, regen, sizeof(regen),
						       &rl) == PT_OK);
				CHECK(rl == ln[i] && memcmp(regen, data + at[i], rl) == 0);
			}
		}
		check_stream(ra.buf, ra.len);
		n_frags = 0;
	}
}

/* The input as a message: fragment, reassemble, compare. */
static void
check_fragmenting(const uint8_t *data, size_t size)
{
	static struct pt_link_reasm ra;
	uint8_t fr[PT_LINK_BLE_FRAG_MAX];
	size_t fm = PT_LINK_BLE_FRAG_MIN + size % (PT_LINK_BLE_FRAG_MAX - PT_LINK_BLE_FRAG_MIN + 1);
	size_t n, i, fl;
	bool complete = false;

	if (size > PT_LINK_FRAME_MAX) {
		CHECK(pt_link_frag_get(data, size, fm, 0, fr, sizeof(fr), &fl) == PT_EINVAL);
		return;
	}
	n = pt_link_frag_count(size, fm);
	CHECK(n >= 1);
	pt_link_reasm_init(&ra);
	for (i = 0; i < n; i++) {
		CHECK(!complete);
		CHECK(pt_link_frag_get(data, size, fm, i, fr, sizeof(fr), &fl) == PT_OK);
		CHECK(fl >= 1 && fl <= fm);
		CHECK(pt_link_reasm_add(&ra, fr, fl, &complete) == PT_OK);
	}
	CHECK(complete && ra.len == size && (size == 0 || memcmp(ra.buf, data, size) == 0));
}

/* The input as a PAIR's body alone (porter/v1/hub/<id>/pair, docs/mqtt.md),
 * and a frame's body as one: the decoder the link's PAIR uses. */
static void
check_pair_body(const uint8_t *p, size_t len)
{
	static uint8_t re[PT_LINK_PAIR_BODY_MAX], fr[PT_LINK_FRAME_MAX];
	struct pt_link_pair m, f;
	size_t rn, fn;
	int r;

	r = pt_link_pair_body_decode(p, len, &m);
	CHECK(r == PT_OK || r == PT_EMALFORMED || r == PT_ETOOBIG);
	if (r != PT_OK) {
		CHECK(is_zero(&m, sizeof(m)));
		return;
	}
	CHECK(len <= PT_LINK_PAIR_BODY_MAX && m.statement > p && m.statement_len >= 1 &&
	      m.statement_len <= PT_ENVELOPE_SIZE_MAX && m.statement + m.statement_len <= p + len &&
	      pt_id_is_valid(m.home, strlen(m.home)));
	CHECK(pt_link_pair_body_encode(&m, re, sizeof(re), &rn) == PT_OK);
	CHECK(rn == len && memcmp(re, p, len) == 0);
	/* The same body in a frame is a PAIR the frame decoder reads the same. */
	CHECK(pt_link_pair_encode(&m, fr, sizeof(fr), &fn) == PT_OK && fn == len + PT_LINK_HDR_LEN &&
	      memcmp(fr + PT_LINK_HDR_LEN, p, len) == 0);
	CHECK(pt_link_pair_decode(fr, fn, &f) == PT_OK && strcmp(f.home, m.home) == 0 &&
	      memcmp(f.owner, m.owner, PT_PK_LEN) == 0 && f.statement_len == m.statement_len &&
	      memcmp(f.statement, m.statement, m.statement_len) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_stream(data, size);
	check_frame(data, size);
	check_pair_body(data, size);
	if (size > PT_LINK_HDR_LEN)
		check_pair_body(data + PT_LINK_HDR_LEN, size - PT_LINK_HDR_LEN);
	check_reassembly(data, size);
	check_fragmenting(data, size);
	return 0;
}
