/*
 * libFuzzer target for live view's parsers (lib/core/live.c, the live
 * request in lib/core/envelope.c, lib/crypto/liveseal.c's neighbours):
 * what porter-cam reads from the hub's socket (an order), what porterd and
 * the viewer read from a camera (a key record, a fragment), and what
 * porterd and the hub read from an owner (a live request).
 *
 * The first byte picks the parser, the rest is its input:
 *   0: an order: the bytes as a message (pt_live_order_open with the fixed
 *      hub key, seed 32 x 0x21, and with another key), and as a payload
 *      the harness signs with the hub key, so the decoder behind the
 *      signature sees the fuzzer's bytes;
 *   1: a key record: the same with the fixed camera key (seed 32 x 0x22),
 *      plus pt_live_keyrec_peek; a key record message never opens as an
 *      order (another domain), and the order payload never as a key record;
 *   2: a fragment: pt_live_hdr_decode, then pt_seg_open of the sealed part
 *      with the fixed live key (32 x 0x44) at the header's session and
 *      index, and at the next index;
 *   3: a live request: pt_envelope_verify as PT_ENV_LIVE (fixed owner,
 *      seed 32 x 0x23, home "home-7f3a", now 1795597200, skew 300), and as
 *      a command (never both);
 *   4: the claims of a live request, signed by the harness as a COSE_Sign1
 *      under the live AAD with the owner key, then verified as in 3.
 *
 * Properties checked (a break is __builtin_trap()):
 *   - a refusal is a PT_E* and leaves the output zeroed;
 *   - an accepted order or key record re-signed with the fixed key is
 *     exactly the message (Ed25519 is deterministic: one encoding);
 *     nothing opens under another key; peek names what open read;
 *   - an accepted header re-encodes to exactly its 42 bytes, says the rest
 *     is the sealed part, and follows the index-0 rule; a sealed part that
 *     opens is longer than its plaintext by at least one chunk's overhead
 *     and does not open at another index;
 *   - an accepted live request is of this home, op 1, a valid viewer key,
 *     iat < exp <= iat + 600, exp after now, and re-signs to the input.
 *
 * Seed corpus (fuzz/corpus/live/), written by the unit test (the keys and
 * fixed values are the same there: keep in step):
 *     PORTER_LIVE_CORPUS=fuzz/corpus/live build/tests/test_live
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "porter/cbor.h"
#include "porter/clipseal.h"
#include "porter/cose.h"
#include "porter/crypto.h"
#include "porter/envelope.h"
#include "porter/live.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x) do { if (!(x)) __builtin_trap(); } while (0)

#define HOME "home-7f3a"
#define NOW 1795597200LL
#define SKEW 300u

static bool
is_zero(const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i] != 0)
			return false;
	return true;
}

static bool
is_err(int r)
{
	return r < PT_OK && r > -PT_ERR_COUNT_;
}

static const struct pt_crypto_ops *ops;
static struct pt_secret *hub, *cam, *owner;
static struct pt_signer hub_sg, cam_sg, owner_sg;
static uint8_t hub_pk[PT_PK_LEN], cam_pk[PT_PK_LEN], owner_pk[PT_PK_LEN], other_pk[PT_PK_LEN];
static uint8_t *live_key, *plain;

static struct pt_secret *
key(uint8_t fill, uint8_t pk[PT_PK_LEN], struct pt_signer *sg)
{
	uint8_t seed[PT_SEED_LEN];
	struct pt_secret *s = pt_secret_new();

	memset(seed, fill, sizeof(seed));
	if (s == NULL || pt_secret_from_seed(s, seed) != PT_OK)
		abort();
	pt_secret_public(s, pk);
	if (sg != NULL)
		pt_signer_sodium(sg, s);
	return s;
}

static void
init(void)
{
	if (ops != NULL)
		return;
	if (pt_crypto_init() != PT_OK)
		abort();
	ops = pt_crypto_sodium();
	hub = key(0x21, hub_pk, &hub_sg);
	cam = key(0x22, cam_pk, &cam_sg);
	owner = key(0x23, owner_pk, &owner_sg);
	pt_secret_free(key(0x24, other_pk, NULL));
	live_key = pt_guarded_alloc(PT_LIVE_KEY_LEN);
	plain = malloc(PT_LIVE_FRAGMENT_MAX);
	if (live_key == NULL || plain == NULL)
		abort();
	memset(live_key, 0x44, PT_LIVE_KEY_LEN);
}

/* [payload, Ed25519 over domain 0x00 || payload] by s; 0 if it does not
 * fit. */
static size_t
sign_payload(struct pt_secret *s, const char *domain, const uint8_t *p, size_t n, uint8_t *out,
	     size_t cap)
{
	static uint8_t tbs[PT_LIVE_KEYREC_MAX + 64];
	uint8_t sig[PT_SIG_LEN];
	struct pt_cbor_wr w;
	size_t dl = strlen(domain) + 1;

	if (dl + n > sizeof(tbs))
		return 0;
	memcpy(tbs, domain, dl);
	memcpy(tbs + dl, p, n);
	CHECK(pt_sign_detached(s, sig, tbs, dl + n) == PT_OK);
	pt_cbor_wr_init(&w, out, cap);
	pt_cbor_put_array(&w, 2);
	pt_cbor_put_bytes(&w, p, n);
	pt_cbor_put_bytes(&w, sig, PT_SIG_LEN);
	return pt_cbor_wr_status(&w) == PT_OK ? w.len : 0;
}

static void
check_order_msg(const uint8_t *p, size_t n)
{
	struct pt_live_order o, o2;
	struct pt_live_keyrec k;
	uint8_t re[PT_LIVE_ORDER_MAX];
	size_t rn;
	int r;

	r = pt_live_order_open(ops, hub_pk, p, n, &o);
	CHECK(r == PT_OK || is_err(r));
	CHECK(r == PT_OK || is_zero(&o, sizeof(o)));
	r = pt_live_order_open(ops, other_pk, p, n, &o2);
	CHECK(r != PT_OK && is_zero(&o2, sizeof(o2)));
	r = pt_live_keyrec_open(ops, hub_pk, p, n, &k);
	CHECK(r != PT_OK && is_zero(&k, sizeof(k)));
	if (pt_live_order_open(ops, hub_pk, p, n, &o) != PT_OK)
		return;
	CHECK(pt_live_is_order(p, n));
	CHECK(o.event_seq >= 1 && o.event_seq <= INT64_MAX && o.expiry_ms > o.time_ms &&
	      o.expiry_ms - o.time_ms <= PT_LIVE_SECONDS_MAX * 1000ull &&
	      o.expiry_ms <= INT64_MAX && pt_live_xpk_is_valid(o.viewer_xpk));
	CHECK(pt_id_is_valid(o.camera, strnlen(o.camera, sizeof(o.camera))));
	CHECK(pt_live_order_sign(&hub_sg, &o, re, sizeof(re), &rn) == PT_OK);
	CHECK(rn == n && memcmp(re, p, n) == 0);
}

static void
check_keyrec_msg(const uint8_t *p, size_t n)
{
	struct pt_live_keyrec k, k2;
	struct pt_live_order o;
	uint8_t re[PT_LIVE_KEYREC_MAX], sess[PT_LIVE_ID_LEN];
	char camera[PT_ID_MAX + 1];
	size_t rn;
	int r, rp;

	r = pt_live_keyrec_open(ops, cam_pk, p, n, &k);
	CHECK(r == PT_OK || is_err(r));
	CHECK(r == PT_OK || is_zero(&k, sizeof(k)));
	CHECK(pt_live_keyrec_open(ops, other_pk, p, n, &k2) != PT_OK && is_zero(&k2, sizeof(k2)));
	CHECK(pt_live_order_open(ops, cam_pk, p, n, &o) != PT_OK && is_zero(&o, sizeof(o)));
	rp = pt_live_keyrec_peek(p, n, camera, sess);
	CHECK(rp == PT_OK || rp == PT_EMALFORMED);
	CHECK(rp == PT_OK || (is_zero(camera, sizeof(camera)) && is_zero(sess, sizeof(sess))));
	if (rp == PT_OK)
		CHECK(pt_id_is_valid(camera, strnlen(camera, sizeof(camera))));
	if (r != PT_OK)
		return;
	CHECK(rp == PT_OK && strcmp(camera, k.camera) == 0 &&
	      memcmp(sess, k.session, PT_LIVE_ID_LEN) == 0);
	CHECK(k.event_seq >= 1 && k.expiry_ms > k.start_ms && k.expiry_ms <= INT64_MAX &&
	      strcmp(k.container, "mp4") == 0 && pt_live_xpk_is_valid(k.viewer_xpk));
	CHECK(pt_live_keyrec_sign(&cam_sg, &k, re, sizeof(re), &rn) == PT_OK);
	CHECK(rn == n && memcmp(re, p, n) == 0);
}

static void
check_fragment(const uint8_t *p, size_t n)
{
	struct pt_live_hdr h;
	uint8_t re[PT_LIVE_HDR_LEN];
	size_t pn;
	int r;

	r = pt_live_hdr_decode(p, n, &h);
	CHECK(r == PT_OK || r == PT_EMALFORMED || r == PT_ETOOBIG);
	if (r != PT_OK) {
		CHECK(is_zero(&h, sizeof(h)));
		CHECK(r != PT_ETOOBIG || n > PT_LIVE_FRAGMENT_MAX);
		return;
	}
	CHECK(pt_live_hdr_encode(&h, re) == PT_OK && memcmp(re, p, PT_LIVE_HDR_LEN) == 0);
	CHECK((size_t)h.sealed_len == n - PT_LIVE_HDR_LEN);
	CHECK(h.sealed_len >= PT_SEG_HEADER_LEN + PT_SEG_CHUNK_OVERHEAD);
	CHECK(h.index == 0 ? h.capture_ms == 0 && h.duration_ms == 0 :
			     h.capture_ms != 0 && h.duration_ms != 0);
	r = pt_seg_open(live_key, h.session, h.index, p + PT_LIVE_HDR_LEN, h.sealed_len, plain, &pn);
	CHECK(r == PT_OK || is_err(r));
	if (r != PT_OK) {
		CHECK(pn == 0);
		return;
	}
	CHECK(pn + PT_SEG_HEADER_LEN + PT_SEG_CHUNK_OVERHEAD <= h.sealed_len);
	CHECK(pt_seg_open(live_key, h.session, h.index + 1, p + PT_LIVE_HDR_LEN, h.sealed_len, plain,
			  &pn) != PT_OK);
}

static void
check_request(const uint8_t *p, size_t n)
{
	const uint8_t(*signers)[PT_PK_LEN] = (const uint8_t(*)[PT_PK_LEN])owner_pk;
	struct pt_envelope e, again, c;
	uint8_t re[PT_ENVELOPE_SIZE_MAX];
	size_t idx = 9, rn;
	int r, rc;

	memset(&e, 0xa5, sizeof(e));
	r = pt_envelope_verify(ops, p, n, PT_ENV_LIVE, signers, 1, HOME, NOW, SKEW, &e, &idx);
	CHECK(r == PT_OK || is_err(r));
	rc = pt_envelope_verify(ops, p, n, PT_ENV_COMMAND, signers, 1, HOME, NOW, SKEW, &c, &idx);
	CHECK(r != PT_OK || rc != PT_OK);
	if (r != PT_OK) {
		CHECK(is_zero(&e, sizeof(e)));
		return;
	}
	CHECK(e.kind == PT_ENV_LIVE && strcmp(e.aud, HOME) == 0 && e.op == PT_LIVE_VIEW);
	CHECK(e.target_len == PT_LIVE_XPK_LEN && pt_live_xpk_is_valid(e.target));
	CHECK(pt_id_is_valid(e.lock, strnlen(e.lock, sizeof(e.lock))));
	CHECK(e.iat < e.exp && e.exp <= e.iat + PT_LIVE_SECONDS_MAX && e.exp > NOW);
	CHECK(e.iat >= NOW - SKEW && e.iat <= NOW + SKEW);
	again = e;
	CHECK(pt_envelope_sign(ops, &owner_sg, &again, re, sizeof(re), &rn) == PT_OK);
	CHECK(rn == n && memcmp(re, p, n) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t msg[PT_ENVELOPE_SIZE_MAX + PT_LIVE_KEYREC_MAX];
	uint8_t kid[PT_KID_LEN];
	size_t n;

	init();
	if (size < 1)
		return 0;
	switch (data[0]) {
	case 0:
		check_order_msg(data + 1, size - 1);
		if ((n = sign_payload(hub, PT_LIVE_ORDER_DOMAIN, data + 1, size - 1, msg,
				      sizeof(msg))) > 0)
			check_order_msg(msg, n);
		break;
	case 1:
		check_keyrec_msg(data + 1, size - 1);
		if ((n = sign_payload(cam, PT_LIVE_KEYREC_DOMAIN, data + 1, size - 1, msg,
				      sizeof(msg))) > 0)
			check_keyrec_msg(msg, n);
		break;
	case 2:
		check_fragment(data + 1, size - 1);
		break;
	case 3:
		check_request(data + 1, size - 1);
		break;
	case 4:
		pt_kid(ops, owner_pk, kid);
		if (pt_sign1_sign(&owner_sg, kid, PT_KID_LEN, (const uint8_t *)PT_LIVE_REQUEST_DOMAIN,
				  strlen(PT_LIVE_REQUEST_DOMAIN), data + 1, size - 1, msg, sizeof(msg),
				  &n) == PT_OK)
			check_request(msg, n);
		break;
	default:
		break;
	}
	return 0;
}
