/*
 * Live view (porter/live.h, docs/live.md): the viewer key check, the
 * hub-signed order, the camera-signed key record, the fragment header, the
 * fragment signature, the live key sealed to the viewer, and a whole
 * fragment sealed and opened again.
 *
 * Round trips with real keys; every field rule refused both by the signer
 * (PT_EINVAL) and, signed by hand, by the opener (PT_EMALFORMED); every
 * single bit flip refused; no signature crosses a domain (order, key
 * record, fragment, and their clip counterparts).
 *
 * PORTER_LIVE_CORPUS=DIR writes the fuzz target's seed corpus there
 * (fuzz/corpus/live/; fuzz/fuzz_live.c says what the first byte selects
 * and which fixed keys it signs with: keep in step).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "porter/cbor.h"
#include "porter/clip.h"
#include "porter/clipseal.h"
#include "porter/cose.h"
#include "porter/crypto.h"
#include "porter/envelope.h"
#include "porter/live.h"
#include "t.h"

/* Fixed seeds, as fuzz/fuzz_live.c (keep in step). */
#define SEED_HUB 0x21
#define SEED_CAM 0x22
#define SEED_OWNER 0x23
#define HOME "home-7f3a"
#define NOW_S 1795597200LL	/* 2026-11-26T09:00:00Z */
#define NOW_MS 1795597200000ull

static const struct pt_crypto_ops *ops;

struct key {
	struct pt_secret *sec;
	struct pt_signer sg;
	uint8_t pk[PT_PK_LEN];
};

static struct key hub, cam, owner, stranger;

static void
key_init(struct key *k, uint8_t seed_byte)
{
	uint8_t seed[PT_SEED_LEN];

	memset(seed, seed_byte, sizeof(seed));
	k->sec = pt_secret_new();
	if (k->sec == NULL || pt_secret_from_seed(k->sec, seed) != PT_OK) {
		printf("Bail out! key\n");
		exit(1);
	}
	pt_secret_public(k->sec, k->pk);
	pt_signer_sodium(&k->sg, k->sec);
}

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

/* A viewer key pair from a fixed seed. */
static uint8_t viewer_pk[PT_LIVE_XPK_LEN], viewer_sk[PT_LIVE_XSK_LEN];

/* Sign payload under domain (with its NUL) as [payload, signature]: what
 * the library writes, but for any payload. */
static size_t
sign_raw(const struct key *k, const char *domain, const uint8_t *payload, size_t plen,
	 uint8_t *out, size_t cap)
{
	uint8_t tbs[1024], sig[PT_SIG_LEN];
	struct pt_cbor_wr w;
	size_t dl = strlen(domain) + 1;

	if (dl + plen > sizeof(tbs))
		return 0;
	memcpy(tbs, domain, dl);
	memcpy(tbs + dl, payload, plen);
	if (pt_sign_detached(k->sec, sig, tbs, dl + plen) != PT_OK)
		return 0;
	pt_cbor_wr_init(&w, out, cap);
	pt_cbor_put_array(&w, 2);
	pt_cbor_put_bytes(&w, payload, plen);
	pt_cbor_put_bytes(&w, sig, PT_SIG_LEN);
	return pt_cbor_wr_status(&w) == PT_OK ? w.len : 0;
}

/* ---- the viewer key ---- */

static void
test_xpk(void)
{
	/* libsodium's list, as in lib/core/live.c, written out again here. */
	static const char *small[] = {
		"0000000000000000000000000000000000000000000000000000000000000000",
		"0100000000000000000000000000000000000000000000000000000000000000",
		"e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
		"5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
		"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
		"edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
		"eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	};
	uint8_t p[PT_LIVE_XPK_LEN], sk[32], q[32], pk[32];
	size_t i, j;
	int agree = 0;

	printf("# the viewer key\n");
	memset(sk, 0x31, sizeof(sk));
	for (i = 0; i < sizeof(small) / sizeof(small[0]); i++) {
		for (j = 0; j < PT_LIVE_XPK_LEN; j++) {
			unsigned v;
			if (sscanf(small[i] + 2 * j, "%2x", &v) != 1)
				abort();
			p[j] = (uint8_t)v;
		}
		T_OK(!pt_live_xpk_is_valid(p), "small order point %zu refused", i);
		/* libsodium refuses the same point: the list is the real one. */
		agree += crypto_scalarmult(q, sk, p) != 0;
		p[31] ^= 0x80;
		T_OK(!pt_live_xpk_is_valid(p), "small order point %zu with the top bit flipped refused",
		     i);
		agree += crypto_scalarmult(q, sk, p) != 0;
	}
	T_EQ(agree, 14, "libsodium's crypto_scalarmult refuses each of them too");
	T_OK(pt_live_xpk_is_valid(viewer_pk), "a real X25519 public key is valid");
	for (i = 0; i < 64; i++) {
		randombytes_buf(sk, sizeof(sk));
		if (crypto_scalarmult_base(pk, sk) != 0 || !pt_live_xpk_is_valid(pk))
			break;
	}
	T_EQ(i, 64, "64 random X25519 public keys are valid");
	T_OK(!pt_live_xpk_is_valid(NULL), "NULL is not a key");
}

/* ---- orders ---- */

static void
order_base(struct pt_live_order *o)
{
	memset(o, 0, sizeof(*o));
	strcpy(o->camera, "cam-front");
	memset(o->session, 0x5e, PT_LIVE_ID_LEN);
	o->event_seq = 42;
	o->time_ms = NOW_MS;
	o->expiry_ms = NOW_MS + 300000;
	memcpy(o->viewer_xpk, viewer_pk, PT_LIVE_XPK_LEN);
	pt_kid(ops, owner.pk, o->owner_kid);
}

/* The test's own encoder: any values, and the shape bent by tw. */
struct tweak {
	int omit;		/* leave this key out */
	int extra;		/* add this key (uint 0) at the end, or 0 */
	uint64_t version;
	size_t id_len;		/* session length */
	size_t b_len;		/* owner kid (order) or sealed key (key record) length */
	const char *container;	/* key record */
	bool trailing;		/* a byte after the map */
};

static const struct tweak NO_TWEAK = {0, 0, 1, PT_LIVE_ID_LEN, 0, "mp4", false};

static size_t
enc_order(const struct pt_live_order *o, const struct tweak *tw, uint8_t *out, size_t cap)
{
	uint8_t fill[64];
	struct pt_cbor_wr w;
	size_t kid_len = tw->b_len != 0 ? tw->b_len : PT_KID_LEN;

	memset(fill, 0x5e, sizeof(fill));
	pt_cbor_wr_init(&w, out, cap);
	pt_cbor_put_map(&w, 8 - (tw->omit != 0) + (tw->extra != 0));
	if (tw->omit != 1) {
		pt_cbor_put_uint(&w, 1);
		pt_cbor_put_uint(&w, tw->version);
	}
	if (tw->omit != 2) {
		pt_cbor_put_uint(&w, 2);
		pt_cbor_put_text(&w, o->camera, strlen(o->camera));
	}
	if (tw->omit != 3) {
		pt_cbor_put_uint(&w, 3);
		pt_cbor_put_bytes(&w, tw->id_len == PT_LIVE_ID_LEN ? o->session : fill, tw->id_len);
	}
	if (tw->omit != 4) {
		pt_cbor_put_uint(&w, 4);
		pt_cbor_put_uint(&w, o->event_seq);
	}
	if (tw->omit != 5) {
		pt_cbor_put_uint(&w, 5);
		pt_cbor_put_uint(&w, o->time_ms);
	}
	if (tw->omit != 6) {
		pt_cbor_put_uint(&w, 6);
		pt_cbor_put_uint(&w, o->expiry_ms);
	}
	if (tw->omit != 7) {
		pt_cbor_put_uint(&w, 7);
		pt_cbor_put_bytes(&w, o->viewer_xpk, PT_LIVE_XPK_LEN);
	}
	if (tw->omit != 8) {
		pt_cbor_put_uint(&w, 8);
		pt_cbor_put_bytes(&w, kid_len == PT_KID_LEN ? o->owner_kid : fill, kid_len);
	}
	if (tw->extra != 0) {
		pt_cbor_put_uint(&w, (uint64_t)tw->extra);
		pt_cbor_put_uint(&w, 0);
	}
	if (tw->trailing)
		pt_cbor_put_uint(&w, 0);
	return pt_cbor_wr_status(&w) == PT_OK ? w.len : 0;
}

/* An order the signer refuses and the opener refuses when signed by hand. */
static void
refuse_order(const char *what, const struct pt_live_order *o, const struct tweak *tw,
	     bool signer_sees)
{
	uint8_t payload[512], msg[600];
	struct pt_live_order d;
	size_t pl, n = 99;
	int r;

	if (signer_sees) {
		r = pt_live_order_sign(&hub.sg, o, msg, sizeof(msg), &n);
		T_OK(r == PT_EINVAL && n == 0, "order %s: sign refuses (%s)", what, pt_err_code(r));
	}
	pl = enc_order(o, tw, payload, sizeof(payload));
	n = pl > 0 ? sign_raw(&hub, PT_LIVE_ORDER_DOMAIN, payload, pl, msg, sizeof(msg)) : 0;
	T_OK(n > 0, "order %s: signed by hand", what);
	memset(&d, 0x5a, sizeof(d));
	r = pt_live_order_open(ops, hub.pk, msg, n, &d);
	T_OK(r == PT_EMALFORMED && is_zero(&d, sizeof(d)), "order %s: open refuses (%s), zeroed",
	     what, pt_err_code(r));
}

static void
test_order(void)
{
	uint8_t msg[PT_LIVE_ORDER_MAX + 64], again[PT_LIVE_ORDER_MAX], bad[PT_LIVE_ORDER_MAX];
	uint8_t payload[512], big[600];
	struct pt_live_order o, d;
	struct tweak tw;
	size_t n, n2, i, flips = 0, pl;
	int r;

	printf("# orders\n");
	order_base(&o);
	T_EQ(pt_live_order_sign(&hub.sg, &o, msg, sizeof(msg), &n), PT_OK, "order: signed");
	T_OK(n <= PT_LIVE_ORDER_MAX, "order: %zu bytes, within PT_LIVE_ORDER_MAX", n);
	T_OK(pt_live_is_order(msg, n), "order: is an order");
	memset(&d, 0x5a, sizeof(d));
	T_EQ(pt_live_order_open(ops, hub.pk, msg, n, &d), PT_OK, "order: opens with the hub key");
	T_OK(memcmp(&d, &o, sizeof(d)) == 0, "order: every field as signed");
	T_OK(pt_live_order_sign(&hub.sg, &d, again, sizeof(again), &n2) == PT_OK && n2 == n &&
		     memcmp(again, msg, n) == 0,
	     "order: re-signed, the same bytes");
	/* The same payload by the test's encoder: one encoding. */
	pl = enc_order(&o, &NO_TWEAK, payload, sizeof(payload));
	T_OK(pl > 0 && sign_raw(&hub, PT_LIVE_ORDER_DOMAIN, payload, pl, big, sizeof(big)) == n &&
		     memcmp(big, msg, n) == 0,
	     "order: the test's encoder writes the same bytes");

	/* The largest order: a 64-byte camera id, every number at its top. */
	memset(o.camera, 'c', PT_ID_MAX);
	o.camera[PT_ID_MAX] = '\0';
	o.event_seq = INT64_MAX;
	o.expiry_ms = INT64_MAX;
	o.time_ms = INT64_MAX - 600000;
	T_EQ(pt_live_order_sign(&hub.sg, &o, msg, sizeof(msg), &n), PT_OK, "largest order: signed");
	T_OK(n <= PT_LIVE_ORDER_MAX, "largest order: %zu bytes, within PT_LIVE_ORDER_MAX", n);
	T_EQ(pt_live_order_open(ops, hub.pk, msg, n, &d), PT_OK, "largest order: opens");
	T_EQ(pt_live_order_sign(&hub.sg, &o, msg, n - 1, &n2), PT_ENOSPC,
	     "largest order: one byte short: no space");
	T_OK(n2 == 0 && is_zero(msg, n - 1), "no space: nothing left in the buffer");

	/* Each field's rule. */
	order_base(&o);
	o.camera[0] = '\0';
	refuse_order("with an empty camera", &o, &NO_TWEAK, true);
	order_base(&o);
	strcpy(o.camera, "cam/front");
	refuse_order("with camera 'cam/front'", &o, &NO_TWEAK, true);
	order_base(&o);
	strcpy(o.camera, ".cam");
	refuse_order("with camera '.cam'", &o, &NO_TWEAK, true);
	order_base(&o);
	o.event_seq = 0;
	refuse_order("with seq 0", &o, &NO_TWEAK, true);
	order_base(&o);
	o.event_seq = (uint64_t)INT64_MAX + 1;
	refuse_order("with seq 2^63", &o, &NO_TWEAK, true);
	order_base(&o);
	o.time_ms = (uint64_t)INT64_MAX + 1;
	o.expiry_ms = o.time_ms + 1;
	refuse_order("with time 2^63", &o, &NO_TWEAK, true);
	order_base(&o);
	o.expiry_ms = o.time_ms;
	refuse_order("expiring at its time", &o, &NO_TWEAK, true);
	order_base(&o);
	o.expiry_ms = o.time_ms - 1;
	refuse_order("expiring before its time", &o, &NO_TWEAK, true);
	order_base(&o);
	o.expiry_ms = o.time_ms + 600001;
	refuse_order("lasting 600.001 s", &o, &NO_TWEAK, true);
	order_base(&o);
	o.expiry_ms = o.time_ms + 600000;
	T_EQ(pt_live_order_sign(&hub.sg, &o, msg, sizeof(msg), &n), PT_OK,
	     "order lasting exactly 600 s: signed");
	T_EQ(pt_live_order_open(ops, hub.pk, msg, n, &d), PT_OK, "order lasting 600 s: opens");
	order_base(&o);
	memset(o.viewer_xpk, 0, PT_LIVE_XPK_LEN);
	refuse_order("to an all-zero viewer key", &o, &NO_TWEAK, true);
	order_base(&o);
	memset(o.viewer_xpk, 0, PT_LIVE_XPK_LEN);
	o.viewer_xpk[0] = 1;
	refuse_order("to a viewer key of order 1", &o, &NO_TWEAK, true);

	/* The shape. */
	order_base(&o);
	for (i = 1; i <= 8; i++) {
		char what[40];
		tw = NO_TWEAK;
		tw.omit = (int)i;
		(void)snprintf(what, sizeof(what), "without key %zu", i);
		refuse_order(what, &o, &tw, false);
	}
	tw = NO_TWEAK;
	tw.extra = 9;
	refuse_order("with an extra key 9", &o, &tw, false);
	tw = NO_TWEAK;
	tw.version = 2;
	refuse_order("version 2", &o, &tw, false);
	tw = NO_TWEAK;
	tw.version = 0;
	refuse_order("version 0", &o, &tw, false);
	tw = NO_TWEAK;
	tw.id_len = 15;
	refuse_order("with a 15-byte session", &o, &tw, false);
	tw = NO_TWEAK;
	tw.id_len = 17;
	refuse_order("with a 17-byte session", &o, &tw, false);
	tw = NO_TWEAK;
	tw.b_len = 7;
	refuse_order("with a 7-byte owner key id", &o, &tw, false);
	tw = NO_TWEAK;
	tw.b_len = 32;
	refuse_order("with a 32-byte owner key id", &o, &tw, false);
	tw = NO_TWEAK;
	tw.trailing = true;
	refuse_order("with a byte after the map", &o, &tw, false);

	/* The message around it. */
	order_base(&o);
	T_EQ(pt_live_order_sign(&hub.sg, &o, msg, sizeof(msg), &n), PT_OK, "order: signed again");
	memset(&d, 0x5a, sizeof(d));
	r = pt_live_order_open(ops, stranger.pk, msg, n, &d);
	T_OK(r == PT_EBADSIG && is_zero(&d, sizeof(d)), "order: another key: bad-signature, zeroed");
	r = pt_live_order_open(ops, cam.pk, msg, n, &d);
	T_EQ(r, PT_EBADSIG, "order: the camera key: bad-signature");
	msg[n] = 0;
	T_EQ(pt_live_order_open(ops, hub.pk, msg, n + 1, &d), PT_EMALFORMED,
	     "order: a byte after the message");
	T_EQ(pt_live_order_open(ops, hub.pk, msg, n - 1, &d), PT_EMALFORMED, "order: truncated");
	T_EQ(pt_live_order_open(ops, hub.pk, msg, 0, &d), PT_EMALFORMED, "order: empty");
	T_EQ(pt_live_order_open(ops, hub.pk, NULL, 0, &d), PT_EMALFORMED, "order: NULL");
	memset(big, 0, sizeof(big));
	T_EQ(pt_live_order_open(ops, hub.pk, big, PT_LIVE_ORDER_MAX + 1, &d), PT_ETOOBIG,
	     "order: one byte over PT_LIVE_ORDER_MAX: too big");
	T_EQ(pt_live_order_open(NULL, hub.pk, msg, n, &d), PT_EBADSIG, "order: no crypto ops");
	T_EQ(pt_live_order_open(ops, hub.pk, msg, n, NULL), PT_EINVAL, "order: no output");
	T_EQ(pt_live_order_sign(&hub.sg, NULL, msg, sizeof(msg), &n2), PT_EINVAL, "sign: NULL order");
	T_EQ(pt_live_order_sign(NULL, &o, msg, sizeof(msg), &n2), PT_EINVAL, "sign: NULL signer");
	/* Every single bit flip. */
	for (i = 0; i < n * 8; i++) {
		memcpy(bad, msg, n);
		bad[i / 8] ^= (uint8_t)(1u << (i % 8));
		if (pt_live_order_open(ops, hub.pk, bad, n, &d) == PT_OK)
			flips++;
	}
	T_EQ(flips, 0, "order: every one of %zu single bit flips refused", n * 8);

	/* A mark is not an order. */
	{
		struct pt_clip_mark mk = {.kind = PT_CLIP_MARK_START, .event_seq = 1, .time_ms = 1};
		uint8_t mb[PT_CLIP_MARK_MAX];
		size_t ml;
		T_OK(pt_clip_mark_encode(&mk, mb, sizeof(mb), &ml) == PT_OK && !pt_live_is_order(mb, ml),
		     "a mark is not an order");
		T_OK(!pt_live_is_order(msg, 0) && !pt_live_is_order(NULL, 5),
		     "nothing is not an order");
		T_EQ(pt_live_order_open(ops, hub.pk, mb, ml, &d), PT_EMALFORMED,
		     "a mark does not open as an order");
	}
}

/* ---- key records ---- */

static void
keyrec_base(struct pt_live_keyrec *k)
{
	memset(k, 0, sizeof(*k));
	strcpy(k->camera, "cam-front");
	memset(k->session, 0x5e, PT_LIVE_ID_LEN);
	k->event_seq = 42;
	k->start_ms = NOW_MS + 150;
	k->expiry_ms = NOW_MS + 300000;
	memcpy(k->viewer_xpk, viewer_pk, PT_LIVE_XPK_LEN);
	memset(k->sealed, 0xa7, PT_LIVE_SEALED_KEY_LEN);
	strcpy(k->container, "mp4");
}

static size_t
enc_keyrec(const struct pt_live_keyrec *k, const struct tweak *tw, uint8_t *out, size_t cap)
{
	uint8_t fill[128];
	struct pt_cbor_wr w;
	size_t sealed_len = tw->b_len != 0 ? tw->b_len : PT_LIVE_SEALED_KEY_LEN;

	memset(fill, 0xa7, sizeof(fill));
	pt_cbor_wr_init(&w, out, cap);
	pt_cbor_put_map(&w, 9 - (tw->omit != 0) + (tw->extra != 0));
	if (tw->omit != 1) {
		pt_cbor_put_uint(&w, 1);
		pt_cbor_put_uint(&w, tw->version);
	}
	if (tw->omit != 2) {
		pt_cbor_put_uint(&w, 2);
		pt_cbor_put_text(&w, k->camera, strlen(k->camera));
	}
	if (tw->omit != 3) {
		pt_cbor_put_uint(&w, 3);
		pt_cbor_put_bytes(&w, tw->id_len == PT_LIVE_ID_LEN ? k->session : fill, tw->id_len);
	}
	if (tw->omit != 4) {
		pt_cbor_put_uint(&w, 4);
		pt_cbor_put_uint(&w, k->event_seq);
	}
	if (tw->omit != 5) {
		pt_cbor_put_uint(&w, 5);
		pt_cbor_put_uint(&w, k->start_ms);
	}
	if (tw->omit != 6) {
		pt_cbor_put_uint(&w, 6);
		pt_cbor_put_uint(&w, k->expiry_ms);
	}
	if (tw->omit != 7) {
		pt_cbor_put_uint(&w, 7);
		pt_cbor_put_bytes(&w, k->viewer_xpk, PT_LIVE_XPK_LEN);
	}
	if (tw->omit != 8) {
		pt_cbor_put_uint(&w, 8);
		pt_cbor_put_bytes(&w, sealed_len == PT_LIVE_SEALED_KEY_LEN ? k->sealed : fill,
				  sealed_len);
	}
	if (tw->omit != 9) {
		pt_cbor_put_uint(&w, 9);
		pt_cbor_put_text(&w, tw->container, strlen(tw->container));
	}
	if (tw->extra != 0) {
		pt_cbor_put_uint(&w, (uint64_t)tw->extra);
		pt_cbor_put_uint(&w, 0);
	}
	if (tw->trailing)
		pt_cbor_put_uint(&w, 0);
	return pt_cbor_wr_status(&w) == PT_OK ? w.len : 0;
}

static void
refuse_keyrec(const char *what, const struct pt_live_keyrec *k, const struct tweak *tw,
	      bool signer_sees)
{
	uint8_t payload[512], msg[600];
	struct pt_live_keyrec d;
	size_t pl, n = 99;
	int r;

	if (signer_sees) {
		r = pt_live_keyrec_sign(&cam.sg, k, msg, sizeof(msg), &n);
		T_OK(r == PT_EINVAL && n == 0, "key record %s: sign refuses (%s)", what,
		     pt_err_code(r));
	}
	pl = enc_keyrec(k, tw, payload, sizeof(payload));
	n = pl > 0 ? sign_raw(&cam, PT_LIVE_KEYREC_DOMAIN, payload, pl, msg, sizeof(msg)) : 0;
	T_OK(n > 0, "key record %s: signed by hand", what);
	memset(&d, 0x5a, sizeof(d));
	r = pt_live_keyrec_open(ops, cam.pk, msg, n, &d);
	T_OK(r == PT_EMALFORMED && is_zero(&d, sizeof(d)), "key record %s: open refuses (%s), zeroed",
	     what, pt_err_code(r));
}

static void
test_keyrec(void)
{
	uint8_t msg[PT_LIVE_KEYREC_MAX + 64], again[PT_LIVE_KEYREC_MAX], bad[PT_LIVE_KEYREC_MAX];
	uint8_t payload[512], big[600], sess[PT_LIVE_ID_LEN];
	char camera[PT_ID_MAX + 1];
	struct pt_live_keyrec k, d;
	struct tweak tw;
	size_t n, n2, i, flips = 0, pl;
	int r;

	printf("# key records\n");
	keyrec_base(&k);
	T_EQ(pt_live_keyrec_sign(&cam.sg, &k, msg, sizeof(msg), &n), PT_OK, "key record: signed");
	T_OK(n <= PT_LIVE_KEYREC_MAX, "key record: %zu bytes", n);
	memset(&d, 0x5a, sizeof(d));
	T_EQ(pt_live_keyrec_open(ops, cam.pk, msg, n, &d), PT_OK, "key record: opens");
	T_OK(memcmp(&d, &k, sizeof(d)) == 0, "key record: every field as signed");
	T_OK(pt_live_keyrec_sign(&cam.sg, &d, again, sizeof(again), &n2) == PT_OK && n2 == n &&
		     memcmp(again, msg, n) == 0,
	     "key record: re-signed, the same bytes");
	pl = enc_keyrec(&k, &NO_TWEAK, payload, sizeof(payload));
	T_OK(pl > 0 && sign_raw(&cam, PT_LIVE_KEYREC_DOMAIN, payload, pl, big, sizeof(big)) == n &&
		     memcmp(big, msg, n) == 0,
	     "key record: the test's encoder writes the same bytes");
	T_EQ(pt_live_keyrec_peek(msg, n, camera, sess), PT_OK, "key record: peek");
	T_OK(strcmp(camera, "cam-front") == 0 && memcmp(sess, k.session, PT_LIVE_ID_LEN) == 0,
	     "key record: peek gives the camera and the session");

	memset(k.camera, 'c', PT_ID_MAX);
	k.camera[PT_ID_MAX] = '\0';
	k.event_seq = INT64_MAX;
	k.start_ms = INT64_MAX - 1;
	k.expiry_ms = INT64_MAX;
	T_EQ(pt_live_keyrec_sign(&cam.sg, &k, msg, sizeof(msg), &n), PT_OK,
	     "largest key record: signed");
	T_OK(n <= PT_LIVE_KEYREC_MAX, "largest key record: %zu bytes, within PT_LIVE_KEYREC_MAX", n);
	T_EQ(pt_live_keyrec_open(ops, cam.pk, msg, n, &d), PT_OK, "largest key record: opens");
	T_EQ(pt_live_keyrec_sign(&cam.sg, &k, msg, n - 1, &n2), PT_ENOSPC,
	     "largest key record: one byte short: no space");

	keyrec_base(&k);
	k.camera[0] = '\0';
	refuse_keyrec("with an empty camera", &k, &NO_TWEAK, true);
	keyrec_base(&k);
	strcpy(k.camera, "cam front");
	refuse_keyrec("with camera 'cam front'", &k, &NO_TWEAK, true);
	keyrec_base(&k);
	k.event_seq = 0;
	refuse_keyrec("with seq 0", &k, &NO_TWEAK, true);
	keyrec_base(&k);
	k.event_seq = (uint64_t)INT64_MAX + 1;
	refuse_keyrec("with seq 2^63", &k, &NO_TWEAK, true);
	keyrec_base(&k);
	k.expiry_ms = k.start_ms;
	refuse_keyrec("expiring at its start", &k, &NO_TWEAK, true);
	keyrec_base(&k);
	k.start_ms = (uint64_t)INT64_MAX + 1;
	k.expiry_ms = k.start_ms + 1;
	refuse_keyrec("with start 2^63", &k, &NO_TWEAK, true);
	keyrec_base(&k);
	memset(k.viewer_xpk, 0, PT_LIVE_XPK_LEN);
	refuse_keyrec("to an all-zero viewer key", &k, &NO_TWEAK, true);
	keyrec_base(&k);
	strcpy(k.container, "ts");
	T_EQ(pt_live_keyrec_sign(&cam.sg, &k, msg, sizeof(msg), &n), PT_EINVAL,
	     "key record in 'ts': sign refuses (live is fragmented MP4)");
	keyrec_base(&k);
	strcpy(k.container, "MP4");
	T_EQ(pt_live_keyrec_sign(&cam.sg, &k, msg, sizeof(msg), &n), PT_EINVAL,
	     "key record in 'MP4': sign refuses");
	keyrec_base(&k);
	strcpy(k.container, "mp4 ");
	T_EQ(pt_live_keyrec_sign(&cam.sg, &k, msg, sizeof(msg), &n), PT_EINVAL,
	     "key record in 'mp4 ': sign refuses");
	keyrec_base(&k);
	k.container[0] = '\0';
	T_EQ(pt_live_keyrec_sign(&cam.sg, &k, msg, sizeof(msg), &n), PT_EINVAL,
	     "key record without a container: sign refuses");
	keyrec_base(&k);
	tw = NO_TWEAK;
	tw.container = "ts";
	refuse_keyrec("in 'ts'", &k, &tw, false);
	tw.container = "mp4 ";
	refuse_keyrec("in 'mp4 '", &k, &tw, false);
	tw.container = "MP4";
	refuse_keyrec("in 'MP4'", &k, &tw, false);
	for (i = 1; i <= 9; i++) {
		char what[40];
		tw = NO_TWEAK;
		tw.omit = (int)i;
		(void)snprintf(what, sizeof(what), "without key %zu", i);
		refuse_keyrec(what, &k, &tw, false);
	}
	tw = NO_TWEAK;
	tw.extra = 10;
	refuse_keyrec("with an extra key 10", &k, &tw, false);
	tw = NO_TWEAK;
	tw.version = 2;
	refuse_keyrec("version 2", &k, &tw, false);
	tw = NO_TWEAK;
	tw.id_len = 15;
	refuse_keyrec("with a 15-byte session", &k, &tw, false);
	tw = NO_TWEAK;
	tw.b_len = 79;
	refuse_keyrec("with a 79-byte sealed key", &k, &tw, false);
	tw = NO_TWEAK;
	tw.b_len = 81;
	refuse_keyrec("with an 81-byte sealed key", &k, &tw, false);
	tw = NO_TWEAK;
	tw.trailing = true;
	refuse_keyrec("with a byte after the map", &k, &tw, false);

	keyrec_base(&k);
	T_EQ(pt_live_keyrec_sign(&cam.sg, &k, msg, sizeof(msg), &n), PT_OK,
	     "key record: signed again");
	memset(&d, 0x5a, sizeof(d));
	r = pt_live_keyrec_open(ops, hub.pk, msg, n, &d);
	T_OK(r == PT_EBADSIG && is_zero(&d, sizeof(d)),
	     "key record: the hub key: bad-signature, zeroed");
	msg[n] = 0;
	T_EQ(pt_live_keyrec_open(ops, cam.pk, msg, n + 1, &d), PT_EMALFORMED,
	     "key record: a byte after the message");
	memset(big, 0, sizeof(big));
	T_EQ(pt_live_keyrec_open(ops, cam.pk, big, PT_LIVE_KEYREC_MAX + 1, &d), PT_ETOOBIG,
	     "key record: over PT_LIVE_KEYREC_MAX: too big");
	T_EQ(pt_live_keyrec_peek(big, PT_LIVE_KEYREC_MAX + 1, camera, sess), PT_EMALFORMED,
	     "peek: too big");
	memset(camera, 'x', sizeof(camera));
	memset(sess, 0x77, sizeof(sess));
	T_EQ(pt_live_keyrec_peek(msg, n - 1, camera, sess), PT_EMALFORMED, "peek: truncated");
	T_OK(is_zero(camera, sizeof(camera)) && is_zero(sess, sizeof(sess)),
	     "peek: refused, outputs zeroed");
	for (i = 0; i < n * 8; i++) {
		memcpy(bad, msg, n);
		bad[i / 8] ^= (uint8_t)(1u << (i % 8));
		if (pt_live_keyrec_open(ops, cam.pk, bad, n, &d) == PT_OK)
			flips++;
	}
	T_EQ(flips, 0, "key record: every one of %zu single bit flips refused", n * 8);
	/* Peek reads unverified: it names what the bytes say, and the
	 * record still has to open with that camera's key. */
	tw = NO_TWEAK;
	strcpy(k.camera, "cam-back");
	pl = enc_keyrec(&k, &tw, payload, sizeof(payload));
	n = sign_raw(&stranger, PT_LIVE_KEYREC_DOMAIN, payload, pl, msg, sizeof(msg));
	T_OK(pt_live_keyrec_peek(msg, n, camera, sess) == PT_OK && strcmp(camera, "cam-back") == 0,
	     "peek: a stranger's record names what it says");
	T_EQ(pt_live_keyrec_open(ops, cam.pk, msg, n, &d), PT_EBADSIG,
	     "... and does not open with the camera key");
}

/* ---- domains ---- */

static void
test_domains(void)
{
	uint8_t msg[600], clipmsg[PT_CLIP_KEYREC_MAX], payload[512], sha[PT_HASH_LEN];
	uint8_t sig[PT_SIG_LEN], sess[PT_LIVE_ID_LEN];
	struct pt_live_order o, od;
	struct pt_live_keyrec k, kd;
	struct pt_clip_keyrec ck, ckd;
	size_t n, pl;

	printf("# signature domains\n");
	/* One key signs all of them, so only the domain can tell them apart. */
	order_base(&o);
	T_EQ(pt_live_order_sign(&cam.sg, &o, msg, sizeof(msg), &n), PT_OK, "order signed by cam");
	T_EQ(pt_live_keyrec_open(ops, cam.pk, msg, n, &kd), PT_EBADSIG,
	     "an order does not open as a key record");
	keyrec_base(&k);
	T_EQ(pt_live_keyrec_sign(&cam.sg, &k, msg, sizeof(msg), &n), PT_OK, "key record signed");
	T_EQ(pt_live_order_open(ops, cam.pk, msg, n, &od), PT_EBADSIG,
	     "a key record does not open as an order");
	T_EQ(pt_clip_keyrec_open(ops, cam.pk, msg, n, &ckd), PT_EBADSIG,
	     "a live key record does not open as a clip key record");
	/* The order's payload under the key record's domain: the signature
	 * verifies, so the decoder is what refuses. */
	pl = enc_order(&o, &NO_TWEAK, payload, sizeof(payload));
	n = sign_raw(&cam, PT_LIVE_KEYREC_DOMAIN, payload, pl, msg, sizeof(msg));
	T_EQ(pt_live_keyrec_open(ops, cam.pk, msg, n, &kd), PT_EMALFORMED,
	     "an order's payload signed as a key record: malformed");
	/* A live key record's payload under the clip key record's domain. */
	pl = enc_keyrec(&k, &NO_TWEAK, payload, sizeof(payload));
	n = sign_raw(&cam, PT_CLIP_KEYREC_DOMAIN, payload, pl, msg, sizeof(msg));
	T_EQ(pt_live_keyrec_open(ops, cam.pk, msg, n, &kd), PT_EBADSIG,
	     "a live key record signed in the clip key domain does not open");

	memset(&ck, 0, sizeof(ck));
	strcpy(ck.camera, "cam-front");
	memset(ck.clip, 0x5e, PT_CLIP_ID_LEN);
	ck.start_seq = 42;
	ck.start_ms = NOW_MS;
	strcpy(ck.container, "mp4");
	ck.n_keys = 1;
	memset(ck.key[0].kid, 1, PT_KID_LEN);
	memset(ck.key[0].sealed, 0xa7, PT_CLIP_SEALED_KEY_LEN);
	T_EQ(pt_clip_keyrec_sign(&cam.sg, &ck, clipmsg, sizeof(clipmsg), &n), PT_OK,
	     "clip key record signed");
	T_EQ(pt_live_keyrec_open(ops, cam.pk, clipmsg, n, &kd), PT_EBADSIG,
	     "a clip key record does not open as a live key record");

	/* Fragment and segment signatures over the same id, index, hash. */
	memset(sess, 0x5e, sizeof(sess));
	memset(sha, 0x3c, sizeof(sha));
	T_EQ(pt_live_fragment_sign(&cam.sg, sess, 3, sha, sig), PT_OK, "fragment signature");
	T_EQ(pt_live_fragment_verify(ops, cam.pk, sess, 3, sha, sig), PT_OK, "... verifies");
	T_EQ(pt_clip_segment_verify(ops, cam.pk, sess, 3, sha, sig), PT_EBADSIG,
	     "a fragment signature is not a clip segment signature");
	T_EQ(pt_clip_segment_sign(&cam.sg, sess, 3, sha, sig), PT_OK, "segment signature");
	T_EQ(pt_live_fragment_verify(ops, cam.pk, sess, 3, sha, sig), PT_EBADSIG,
	     "a clip segment signature is not a fragment signature");
}

/* ---- the fragment header and signature ---- */

static void
test_hdr(void)
{
	static uint8_t frag[PT_LIVE_FRAGMENT_MAX + 1];
	struct pt_live_hdr h = {.index = 7, .capture_ms = NOW_MS, .duration_ms = 1001,
				.sealed_len = 100}, d;
	uint8_t out[PT_LIVE_HDR_LEN];
	size_t len = PT_LIVE_HDR_LEN + 100;

	printf("# fragment header\n");
	memset(h.session, 0x5e, PT_LIVE_ID_LEN);
	T_EQ(pt_live_hdr_encode(&h, out), PT_OK, "header encodes");
	T_OK(memcmp(out, "PTLIV1", 6) == 0 && memcmp(out + 6, h.session, 16) == 0 &&
		     memcmp(out + 22, "\x00\x00\x00\x07", 4) == 0 &&
		     memcmp(out + 26, "\x00\x00\x01\xa2\x11\xee\xea\x80", 8) == 0 &&
		     memcmp(out + 34, "\x00\x00\x03\xe9", 4) == 0 &&
		     memcmp(out + 38, "\x00\x00\x00\x64", 4) == 0,
	     "header: the bytes of live.h");
	memcpy(frag, out, PT_LIVE_HDR_LEN);
	memset(frag + PT_LIVE_HDR_LEN, 0xee, 100);
	memset(&d, 0x5a, sizeof(d));
	T_EQ(pt_live_hdr_decode(frag, len, &d), PT_OK, "header decodes");
	T_OK(memcmp(&d, &h, sizeof(d)) == 0, "header: every field back");
	memset(&d, 0x5a, sizeof(d));
	T_EQ(pt_live_hdr_decode(frag, len + 1, &d), PT_EMALFORMED, "a byte after the sealed part");
	T_OK(is_zero(&d, sizeof(d)), "refused: zeroed");
	T_EQ(pt_live_hdr_decode(frag, len - 1, &d), PT_EMALFORMED, "a byte missing");
	T_EQ(pt_live_hdr_decode(frag, PT_LIVE_HDR_LEN - 1, &d), PT_EMALFORMED, "header cut short");
	T_EQ(pt_live_hdr_decode(frag, 0, &d), PT_EMALFORMED, "empty");
	T_EQ(pt_live_hdr_decode(NULL, 0, &d), PT_EMALFORMED, "NULL");
	frag[5] = '2';
	T_EQ(pt_live_hdr_decode(frag, len, &d), PT_EMALFORMED, "magic PTLIV2");
	frag[5] = '1';
	T_EQ(pt_live_hdr_decode(frag, PT_LIVE_FRAGMENT_MAX + 1, &d), PT_ETOOBIG,
	     "over PT_LIVE_FRAGMENT_MAX: too big");

	/* Fragment 0 and media fragments. */
	h.index = 0;
	T_EQ(pt_live_hdr_encode(&h, out), PT_EINVAL, "index 0 with a capture time: refused");
	T_OK(is_zero(out, sizeof(out)), "refused: nothing written");
	h.capture_ms = 0;
	T_EQ(pt_live_hdr_encode(&h, out), PT_EINVAL, "index 0 with a duration: refused");
	h.duration_ms = 0;
	T_EQ(pt_live_hdr_encode(&h, out), PT_OK, "index 0, no capture time, no duration");
	memcpy(frag, out, PT_LIVE_HDR_LEN);
	T_EQ(pt_live_hdr_decode(frag, len, &d), PT_OK, "fragment 0 decodes");
	h.index = 1;
	T_EQ(pt_live_hdr_encode(&h, out), PT_EINVAL, "index 1 without capture time nor duration");
	h.capture_ms = NOW_MS;
	T_EQ(pt_live_hdr_encode(&h, out), PT_EINVAL, "index 1 without a duration");
	h.capture_ms = 0;
	h.duration_ms = 1000;
	T_EQ(pt_live_hdr_encode(&h, out), PT_EINVAL, "index 1 without a capture time");
	h.capture_ms = (uint64_t)INT64_MAX + 1;
	T_EQ(pt_live_hdr_encode(&h, out), PT_EINVAL, "capture time 2^63");
	h.capture_ms = INT64_MAX;
	h.index = UINT32_MAX;
	T_EQ(pt_live_hdr_encode(&h, out), PT_OK, "index 2^32-1, capture time 2^63-1");
	h.sealed_len = PT_SEG_HEADER_LEN + PT_SEG_CHUNK_OVERHEAD - 1;
	T_EQ(pt_live_hdr_encode(&h, out), PT_EINVAL, "sealed length under one empty chunk");
	h.sealed_len = PT_LIVE_FRAGMENT_MAX - PT_LIVE_HDR_LEN + 1;
	T_EQ(pt_live_hdr_encode(&h, out), PT_EINVAL, "sealed length over the fragment limit");
	h.sealed_len = PT_LIVE_FRAGMENT_MAX - PT_LIVE_HDR_LEN;
	T_EQ(pt_live_hdr_encode(&h, out), PT_OK, "the largest fragment");
	memcpy(frag, out, PT_LIVE_HDR_LEN);
	T_EQ(pt_live_hdr_decode(frag, PT_LIVE_FRAGMENT_MAX, &d), PT_OK, "the largest decodes");
	T_EQ(pt_live_hdr_encode(NULL, out), PT_EINVAL, "encode NULL");

	/* Decoding what encode refuses, written by hand. */
	h.index = 0;
	h.capture_ms = 0;
	h.duration_ms = 0;
	h.sealed_len = 100;
	T_EQ(pt_live_hdr_encode(&h, frag), PT_OK, "fragment 0 again");
	frag[33] = 1;	/* capture time 1 */
	T_EQ(pt_live_hdr_decode(frag, len, &d), PT_EMALFORMED, "decode: index 0 with a capture time");
	frag[33] = 0;
	frag[37] = 1;	/* duration 1 */
	T_EQ(pt_live_hdr_decode(frag, len, &d), PT_EMALFORMED, "decode: index 0 with a duration");
	frag[37] = 0;
	frag[25] = 1;	/* index 1 */
	T_EQ(pt_live_hdr_decode(frag, len, &d), PT_EMALFORMED,
	     "decode: index 1 without capture time nor duration");
	frag[26] = 0x80;	/* capture 2^63 */
	frag[37] = 1;
	T_EQ(pt_live_hdr_decode(frag, len, &d), PT_EMALFORMED, "decode: capture time 2^63");
	frag[26] = 0x7f;
	T_EQ(pt_live_hdr_decode(frag, len, &d), PT_OK, "decode: capture time under 2^63");
	memset(frag + 38, 0, 4);
	frag[41] = 50;
	T_EQ(pt_live_hdr_decode(frag, PT_LIVE_HDR_LEN + 50, &d), PT_EMALFORMED,
	     "decode: sealed length 50");
	frag[41] = 51;
	T_EQ(pt_live_hdr_decode(frag, PT_LIVE_HDR_LEN + 51, &d), PT_OK, "decode: sealed length 51");
	frag[38] = 0xff;	/* sealed length 2^32 - ... with len to match is impossible */
	T_EQ(pt_live_hdr_decode(frag, PT_LIVE_HDR_LEN + 51, &d), PT_EMALFORMED,
	     "decode: a sealed length the fragment does not have");
}

static void
test_fragment_sig(void)
{
	uint8_t sess[PT_LIVE_ID_LEN], sha[PT_HASH_LEN], sig[PT_SIG_LEN], bad[PT_SIG_LEN];
	uint8_t m[PT_LIVE_FRAGMENT_MSG_LEN];
	size_t i, flips = 0;

	printf("# fragment signature\n");
	memset(sess, 0x5e, sizeof(sess));
	memset(sha, 0x3c, sizeof(sha));
	pt_live_fragment_msg(sess, 0x01020304, sha, m);
	T_OK(memcmp(m, "porter/live-fragment/v1\0", 24) == 0 && memcmp(m + 24, sess, 16) == 0 &&
		     memcmp(m + 40, "\x01\x02\x03\x04", 4) == 0 && memcmp(m + 44, sha, 32) == 0,
	     "fragment message: domain, NUL, session, index, hash");
	T_EQ(sizeof(m), 76, "fragment message: 76 bytes");
	T_EQ(pt_live_fragment_sign(&cam.sg, sess, 5, sha, sig), PT_OK, "signed");
	T_EQ(pt_live_fragment_verify(ops, cam.pk, sess, 5, sha, sig), PT_OK, "verifies");
	T_EQ(pt_live_fragment_verify(ops, cam.pk, sess, 6, sha, sig), PT_EBADSIG, "another index");
	T_EQ(pt_live_fragment_verify(ops, hub.pk, sess, 5, sha, sig), PT_EBADSIG, "another key");
	sess[0] ^= 1;
	T_EQ(pt_live_fragment_verify(ops, cam.pk, sess, 5, sha, sig), PT_EBADSIG, "another session");
	sess[0] ^= 1;
	sha[31] ^= 1;
	T_EQ(pt_live_fragment_verify(ops, cam.pk, sess, 5, sha, sig), PT_EBADSIG, "another hash");
	sha[31] ^= 1;
	for (i = 0; i < PT_SIG_LEN * 8; i++) {
		memcpy(bad, sig, PT_SIG_LEN);
		bad[i / 8] ^= (uint8_t)(1u << (i % 8));
		if (pt_live_fragment_verify(ops, cam.pk, sess, 5, sha, bad) == PT_OK)
			flips++;
	}
	T_EQ(flips, 0, "every single bit flip of the signature refused");
	T_EQ(pt_live_fragment_verify(NULL, cam.pk, sess, 5, sha, sig), PT_EBADSIG, "no ops");
	T_EQ(pt_live_fragment_sign(NULL, sess, 5, sha, sig), PT_EINVAL, "no signer");
	T_OK(is_zero(sig, sizeof(sig)), "no signer: signature zeroed");
}

/* ---- the live key and a whole fragment ---- */

static void
test_key(void)
{
	uint8_t pk2[32], sk2[32], sealed[PT_LIVE_SEALED_KEY_LEN], zero[32] = {0};
	uint8_t *key = pt_clip_key_new(), *got = pt_guarded_alloc(PT_LIVE_KEY_LEN);
	size_t i, flips = 0;

	printf("# the live key\n");
	if (key == NULL || got == NULL)
		abort();
	T_EQ(pt_live_key_seal(key, viewer_pk, sealed), PT_OK, "sealed to the viewer");
	T_EQ(pt_live_key_open(viewer_pk, viewer_sk, sealed, got), PT_OK, "opened by the viewer");
	T_OK(sodium_memcmp(got, key, PT_LIVE_KEY_LEN) == 0, "the same key");
	crypto_box_keypair(pk2, sk2);
	memset(got, 0x5a, PT_LIVE_KEY_LEN);
	T_EQ(pt_live_key_open(pk2, sk2, sealed, got), PT_EBADSIG, "another viewer: refused");
	T_OK(is_zero(got, PT_LIVE_KEY_LEN), "refused: key zeroed");
	T_EQ(pt_live_key_open(viewer_pk, sk2, sealed, got), PT_EBADSIG,
	     "the viewer's public key with another secret: refused");
	for (i = 0; i < sizeof(sealed) * 8; i++) {
		sealed[i / 8] ^= (uint8_t)(1u << (i % 8));
		if (pt_live_key_open(viewer_pk, viewer_sk, sealed, got) == PT_OK)
			flips++;
		sealed[i / 8] ^= (uint8_t)(1u << (i % 8));
	}
	T_EQ(flips, 0, "every single bit flip of the sealed key refused");
	memset(sealed, 0x5a, sizeof(sealed));
	T_EQ(pt_live_key_seal(key, zero, sealed), PT_EINVAL, "sealing to an all-zero key: refused");
	T_OK(is_zero(sealed, sizeof(sealed)), "refused: nothing written");
	zero[0] = 1;
	T_EQ(pt_live_key_seal(key, zero, sealed), PT_EINVAL, "sealing to u = 1: refused");
	T_EQ(pt_live_key_seal(NULL, viewer_pk, sealed), PT_EINVAL, "sealing no key: refused");
	T_EQ(pt_live_key_open(viewer_pk, viewer_sk, sealed, NULL), PT_EINVAL, "open into NULL");
	/* pt_live_keypair: what porter live makes for each session. */
	{
		uint8_t xpk[PT_LIVE_XPK_LEN], xpk2[PT_LIVE_XPK_LEN];
		uint8_t *xsk = pt_guarded_alloc(PT_LIVE_XSK_LEN);

		if (xsk == NULL)
			abort();
		T_EQ(pt_live_keypair(xpk, xsk), PT_OK, "keypair: a fresh pair");
		T_OK(pt_live_xpk_is_valid(xpk), "keypair: a usable public key");
		T_EQ(pt_live_key_seal(key, xpk, sealed), PT_OK, "keypair: sealed to it");
		T_EQ(pt_live_key_open(xpk, xsk, sealed, got), PT_OK, "keypair: opened with its secret");
		T_OK(sodium_memcmp(got, key, PT_LIVE_KEY_LEN) == 0, "keypair: the same key");
		T_EQ(pt_live_keypair(xpk2, xsk), PT_OK, "keypair: another");
		T_OK(memcmp(xpk, xpk2, sizeof(xpk)) != 0, "keypair: two pairs differ");
		T_EQ(pt_live_keypair(xpk, NULL), PT_EINVAL, "keypair: no room for the secret");
		pt_guarded_free(xsk);
	}
	sodium_memzero(sk2, sizeof(sk2));
	pt_clip_key_free(key);
	pt_guarded_free(got);
}

static void
put_be(uint8_t *p, uint64_t v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

/* Seal plaintext (prefix || body) as fragment index of session: header ||
 * sealed. Returns the fragment's length, 0 on failure. */
static size_t
make_fragment(const uint8_t *key, const uint8_t sess[PT_LIVE_ID_LEN], uint32_t index,
	      uint64_t capture, uint32_t duration, const uint8_t *body, size_t blen, uint8_t *out,
	      size_t cap)
{
	static uint8_t plain[300000];
	struct pt_live_hdr h;
	size_t sl;

	if (PT_LIVE_PREFIX_LEN + blen > sizeof(plain) ||
	    PT_LIVE_HDR_LEN + pt_seg_sealed_size(PT_LIVE_PREFIX_LEN + blen) > cap)
		return 0;
	put_be(plain, capture, 8);
	put_be(plain + 8, duration, 4);
	memcpy(plain + PT_LIVE_PREFIX_LEN, body, blen);
	if (pt_seg_seal(key, sess, index, plain, PT_LIVE_PREFIX_LEN + blen, out + PT_LIVE_HDR_LEN,
			&sl) != PT_OK)
		return 0;
	memset(&h, 0, sizeof(h));
	memcpy(h.session, sess, PT_LIVE_ID_LEN);
	h.index = index;
	h.capture_ms = capture;
	h.duration_ms = duration;
	h.sealed_len = (uint32_t)sl;
	if (pt_live_hdr_encode(&h, out) != PT_OK)
		return 0;
	return PT_LIVE_HDR_LEN + sl;
}

static void
test_whole_fragment(void)
{
	static uint8_t frag[400000], plain[400000], body[200000];
	uint8_t sess[PT_LIVE_ID_LEN], sha[PT_HASH_LEN], sig[PT_SIG_LEN];
	uint8_t *key = pt_clip_key_new();
	struct pt_live_hdr h;
	size_t n, pn, i;

	printf("# a whole fragment\n");
	if (key == NULL)
		abort();
	memset(sess, 0x5e, sizeof(sess));
	for (i = 0; i < sizeof(body); i++)
		body[i] = (uint8_t)(i * 7 + 1);
	/* 150 000 bytes of body: three chunks. */
	n = make_fragment(key, sess, 4, NOW_MS + 4000, 1000, body, 150000, frag, sizeof(frag));
	T_OK(n > PT_LIVE_HDR_LEN, "fragment 4 made (%zu bytes)", n);
	T_EQ(pt_live_hdr_decode(frag, n, &h), PT_OK, "its header decodes");
	T_OK(h.index == 4 && h.capture_ms == NOW_MS + 4000 && h.duration_ms == 1000 &&
		     memcmp(h.session, sess, PT_LIVE_ID_LEN) == 0,
	     "header: session, index, capture, duration");
	ops->sha256(sha, frag, n);
	T_EQ(pt_live_fragment_sign(&cam.sg, sess, 4, sha, sig), PT_OK, "fragment signed");
	T_EQ(pt_live_fragment_verify(ops, cam.pk, h.session, h.index, sha, sig), PT_OK,
	     "fragment signature verifies");
	T_EQ(pt_seg_open(key, h.session, h.index, frag + PT_LIVE_HDR_LEN, h.sealed_len, plain, &pn),
	     PT_OK, "the sealed part opens with the live key");
	T_OK(pn == PT_LIVE_PREFIX_LEN + 150000 &&
		     memcmp(plain + PT_LIVE_PREFIX_LEN, body, 150000) == 0,
	     "the fMP4 bytes back");
	T_OK(memcmp(plain, frag + 26, 8) == 0 && memcmp(plain + 8, frag + 34, 4) == 0,
	     "the sealed capture time and duration equal the header's");
	T_EQ(pt_seg_open(key, h.session, h.index + 1, frag + PT_LIVE_HDR_LEN, h.sealed_len, plain,
			 &pn),
	     PT_EBADSIG, "does not open as another index");
	sess[0] ^= 1;
	T_EQ(pt_seg_open(key, sess, h.index, frag + PT_LIVE_HDR_LEN, h.sealed_len, plain, &pn),
	     PT_EBADSIG, "does not open in another session");
	sess[0] ^= 1;
	frag[PT_LIVE_HDR_LEN + 100] ^= 1;
	T_EQ(pt_seg_open(key, h.session, h.index, frag + PT_LIVE_HDR_LEN, h.sealed_len, plain, &pn),
	     PT_EBADSIG, "a flipped ciphertext bit: refused");
	ops->sha256(sha, frag, n);
	T_EQ(pt_live_fragment_verify(ops, cam.pk, h.session, h.index, sha, sig), PT_EBADSIG,
	     "... and its fragment signature fails");
	frag[PT_LIVE_HDR_LEN + 100] ^= 1;

	/* Fragment 0, and the smallest fragment: an empty body. */
	n = make_fragment(key, sess, 0, 0, 0, body, 700, frag, sizeof(frag));
	T_OK(n > 0 && pt_live_hdr_decode(frag, n, &h) == PT_OK && h.index == 0,
	     "fragment 0 made and decoded");
	T_OK(pt_seg_open(key, sess, 0, frag + PT_LIVE_HDR_LEN, h.sealed_len, plain, &pn) == PT_OK &&
		     pn == PT_LIVE_PREFIX_LEN + 700 && is_zero(plain, PT_LIVE_PREFIX_LEN),
	     "fragment 0 opens, its prefix zero");
	n = make_fragment(key, sess, 9, 1, 1, body, 0, frag, sizeof(frag));
	T_OK(n > 0 && pt_live_hdr_decode(frag, n, &h) == PT_OK, "an empty body: still a fragment");
	pt_clip_key_free(key);
}

/* ---- the seed corpus of fuzz/fuzz_live.c ---- */

static void
save(const char *dir, const char *name, uint8_t sel, const uint8_t *p, size_t n)
{
	char path[512];
	FILE *f;

	(void)snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "wb")) == NULL)
		return;
	(void)fputc(sel, f);
	(void)fwrite(p, 1, n, f);
	fclose(f);
}

static void
write_corpus(const char *dir)
{
	static uint8_t frag[8192], body[4096];
	uint8_t msg[600], payload[512];
	uint8_t key[PT_LIVE_KEY_LEN], sess[PT_LIVE_ID_LEN];
	struct pt_live_order o;
	struct pt_live_keyrec k;
	struct pt_envelope e;
	struct pt_sign1 s1;
	size_t n, pl;

	/* 0: orders, as payloads (the harness signs them) and as messages. */
	order_base(&o);
	pl = enc_order(&o, &NO_TWEAK, payload, sizeof(payload));
	save(dir, "order_payload", 0, payload, pl);
	if (pt_live_order_sign(&hub.sg, &o, msg, sizeof(msg), &n) != PT_OK)
		abort();
	save(dir, "order_msg", 0, msg, n);
	o.expiry_ms = o.time_ms + 600000;
	memset(o.camera, 'c', PT_ID_MAX);
	o.camera[PT_ID_MAX] = '\0';
	pl = enc_order(&o, &NO_TWEAK, payload, sizeof(payload));
	save(dir, "order_payload_largest", 0, payload, pl);
	/* 1: key records. */
	keyrec_base(&k);
	pl = enc_keyrec(&k, &NO_TWEAK, payload, sizeof(payload));
	save(dir, "keyrec_payload", 1, payload, pl);
	if (pt_live_keyrec_sign(&cam.sg, &k, msg, sizeof(msg), &n) != PT_OK)
		abort();
	save(dir, "keyrec_msg", 1, msg, n);
	/* 2: fragments sealed under the harness's fixed key (0x44 x 32,
	 * session 0x5e x 16). */
	memset(key, 0x44, sizeof(key));
	memset(sess, 0x5e, sizeof(sess));
	memset(body, 0x66, sizeof(body));
	n = make_fragment(key, sess, 0, 0, 0, body, 300, frag, sizeof(frag));
	save(dir, "fragment_0", 2, frag, n);
	n = make_fragment(key, sess, 1, NOW_MS, 1000, body, 2000, frag, sizeof(frag));
	save(dir, "fragment_1", 2, frag, n);
	n = make_fragment(key, sess, 2, NOW_MS + 1000, 1000, body, 0, frag, sizeof(frag));
	save(dir, "fragment_empty", 2, frag, n);
	/* 3: a live request, whole and as claims (the harness signs them). */
	memset(&e, 0, sizeof(e));
	e.kind = PT_ENV_LIVE;
	strcpy(e.aud, HOME);
	e.iat = NOW_S;
	e.exp = NOW_S + 300;
	memset(e.nonce, 0x5e, PT_CTI_LEN);
	e.op = PT_LIVE_VIEW;
	memcpy(e.target, viewer_pk, PT_LIVE_XPK_LEN);
	e.target_len = PT_LIVE_XPK_LEN;
	strcpy(e.lock, "cam-front");
	if (pt_envelope_sign(ops, &owner.sg, &e, msg, sizeof(msg), &n) != PT_OK ||
	    pt_sign1_decode(msg, n, &s1) != PT_OK)
		abort();
	save(dir, "request", 3, msg, n);
	save(dir, "request_claims", 4, s1.payload, s1.payload_len);

	/* Near misses, one rule each. */
	e.iat = NOW_S - 100;
	e.exp = NOW_S;
	if (pt_envelope_sign(ops, &owner.sg, &e, msg, sizeof(msg), &n) != PT_OK ||
	    pt_sign1_decode(msg, n, &s1) != PT_OK)
		abort();
	save(dir, "request_expired", 3, msg, n);
	save(dir, "request_claims_expired", 4, s1.payload, s1.payload_len);
	e.iat = NOW_S;
	e.exp = NOW_S + 600;
	strcpy(e.aud, "home-other");
	if (pt_envelope_sign(ops, &owner.sg, &e, msg, sizeof(msg), &n) != PT_OK)
		abort();
	save(dir, "request_other_home", 3, msg, n);
	order_base(&o);
	o.expiry_ms = o.time_ms + 600001;
	pl = enc_order(&o, &NO_TWEAK, payload, sizeof(payload));
	save(dir, "order_payload_too_long", 0, payload, pl);
	order_base(&o);
	memset(o.viewer_xpk, 0, PT_LIVE_XPK_LEN);
	pl = enc_order(&o, &NO_TWEAK, payload, sizeof(payload));
	save(dir, "order_payload_zero_key", 0, payload, pl);
	{
		struct tweak tw = NO_TWEAK;
		tw.container = "ts";
		pl = enc_keyrec(&k, &tw, payload, sizeof(payload));
		save(dir, "keyrec_payload_ts", 1, payload, pl);
	}
	n = make_fragment(key, sess, 1, NOW_MS, 1000, body, 10, frag, sizeof(frag));
	frag[33] = 0;
	frag[30] = 0;
	frag[31] = 0;
	frag[32] = 0;
	frag[26] = 0;
	frag[27] = 0;
	frag[28] = 0;
	frag[29] = 0;
	save(dir, "fragment_1_no_capture", 2, frag, n);
}

int
main(void)
{
	const char *corpus = getenv("PORTER_LIVE_CORPUS");
	uint8_t seed[32];

	if (pt_crypto_init() != PT_OK) {
		printf("Bail out! crypto init\n");
		return 1;
	}
	ops = pt_crypto_sodium();
	key_init(&hub, SEED_HUB);
	key_init(&cam, SEED_CAM);
	key_init(&owner, SEED_OWNER);
	key_init(&stranger, 0x24);
	memset(seed, 0x25, sizeof(seed));
	crypto_box_seed_keypair(viewer_pk, viewer_sk, seed);
	if (corpus != NULL)
		write_corpus(corpus);

	test_xpk();
	test_order();
	test_keyrec();
	test_domains();
	test_hdr();
	test_fragment_sig();
	test_key();
	test_whole_fragment();

	pt_secret_free(hub.sec);
	pt_secret_free(cam.sec);
	pt_secret_free(owner.sec);
	pt_secret_free(stranger.sec);
	return t_done();
}
