/*
 * The camera owners message (porter/cam_owners.h, docs/cam.md, "Owner
 * keys from the hub"): the hub-signed list of owner keys porter-cam seals
 * clips to.
 *
 * Round trips with real keys, the largest message's size; every field
 * rule refused by the signer (PT_EINVAL) and, signed by hand with the hub
 * key, by the opener (PT_EMALFORMED); another hub's key id, a right key id
 * with another key's signature, every single bit flip and every
 * truncation refused; a live order's signature does not cross over.
 *
 * PORTER_CAM_OWNERS_CORPUS=DIR writes the fuzz target's seed corpus there
 * (fuzz/corpus/cam_owners/; fuzz/fuzz_cam_owners.c says what the first
 * byte selects and which fixed keys it signs with: keep in step).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "porter/cam_owners.h"
#include "porter/cbor.h"
#include "porter/crypto.h"
#include "porter/live.h"
#include "t.h"

/* Fixed seeds, as fuzz/fuzz_cam_owners.c (keep in step). */
#define SEED_HUB 0x21
#define SEED_STRANGER 0x24

static const struct pt_crypto_ops *ops;

struct key {
	struct pt_secret *sec;
	struct pt_signer sg;
	uint8_t pk[PT_PK_LEN];
};

static struct key hub, stranger, owners[PT_CAM_OWNERS_MAX + 1];

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

static void
base(struct pt_cam_owners *o, size_t n)
{
	size_t i;

	memset(o, 0, sizeof(*o));
	memcpy(o->hub, "hub-1", 6);
	memcpy(o->camera, "cam-front", 10);
	o->serial = 1795597200000ull;
	o->n = n;
	for (i = 0; i < n; i++)
		memcpy(o->pk[i], owners[i].pk, PT_PK_LEN);
}

/* A payload by hand, with one rule broken (tweak). */
enum tweak {
	TW_NONE,
	TW_VERSION2,
	TW_NO_SERIAL,		/* map(4) */
	TW_EXTRA_KEY,		/* a key 6 */
	TW_ORDER,		/* camera before hub */
	TW_SERIAL0,
	TW_SERIAL_BIG,		/* 2^63 */
	TW_SERIAL_LONG,		/* 5 as a 9-byte integer */
	TW_NO_OWNERS,		/* [] */
	TW_NINE,		/* 9 keys */
	TW_TWICE,		/* the first key twice */
	TW_SHORT_KEY,		/* 31 bytes */
	TW_ZERO_KEY,
	TW_BAD_HUB,		/* "hub one" */
	TW_EMPTY_CAMERA,
	TW_TRAILING,		/* a byte after the map */
	TW_COUNT_,
};

static size_t
payload(enum tweak tw, uint8_t *out, size_t cap)
{
	static const uint8_t zero[PT_PK_LEN];
	struct pt_cbor_wr w;
	size_t i, n = tw == TW_NINE ? PT_CAM_OWNERS_MAX + 1 : tw == TW_NO_OWNERS ? 0 : 3;

	pt_cbor_wr_init(&w, out, cap);
	pt_cbor_put_map(&w, tw == TW_NO_SERIAL ? 4 : tw == TW_EXTRA_KEY ? 6 : 5);
	pt_cbor_put_uint(&w, 1);
	pt_cbor_put_uint(&w, tw == TW_VERSION2 ? 2 : 1);
	if (tw == TW_ORDER) {
		pt_cbor_put_uint(&w, 3);
		pt_cbor_put_text(&w, "cam-front", 9);
		pt_cbor_put_uint(&w, 2);
		pt_cbor_put_text(&w, "hub-1", 5);
	} else {
		pt_cbor_put_uint(&w, 2);
		pt_cbor_put_text(&w, tw == TW_BAD_HUB ? "hub one" : "hub-1", tw == TW_BAD_HUB ? 7 : 5);
		pt_cbor_put_uint(&w, 3);
		pt_cbor_put_text(&w, "cam-front", tw == TW_EMPTY_CAMERA ? 0 : 9);
	}
	if (tw != TW_NO_SERIAL) {
		pt_cbor_put_uint(&w, 4);
		if (tw == TW_SERIAL_LONG) {
			static const uint8_t long5[9] = {0x1b, 0, 0, 0, 0, 0, 0, 0, 5};
			pt_cbor_put_raw(&w, long5, sizeof(long5));
		} else
			pt_cbor_put_uint(&w, tw == TW_SERIAL0 ? 0 : tw == TW_SERIAL_BIG ? (1ull << 63) : 77);
	}
	pt_cbor_put_uint(&w, 5);
	pt_cbor_put_array(&w, n);
	for (i = 0; i < n; i++) {
		const uint8_t *k = owners[i].pk;
		if (tw == TW_TWICE && i == 1)
			k = owners[0].pk;
		if (tw == TW_ZERO_KEY && i == 2)
			k = zero;
		pt_cbor_put_bytes(&w, k, tw == TW_SHORT_KEY && i == 0 ? PT_PK_LEN - 1 : PT_PK_LEN);
	}
	if (tw == TW_EXTRA_KEY) {
		pt_cbor_put_uint(&w, 6);
		pt_cbor_put_uint(&w, 0);
	}
	if (tw == TW_TRAILING)
		pt_cbor_put_uint(&w, 0);
	if (pt_cbor_wr_status(&w) != PT_OK)
		abort();
	return w.len;
}

/* [payload, signature by sg under domain, kid of kid_pk] */
static size_t
wrap(const struct pt_signer *sg, const char *domain, const uint8_t kid_pk[PT_PK_LEN],
     const uint8_t *pl, size_t plen, uint8_t *out, size_t cap)
{
	uint8_t tbs[1024], sig[PT_SIG_LEN], kid[PT_KID_LEN];
	size_t dl = strlen(domain) + 1;
	struct pt_cbor_wr w;

	memcpy(tbs, domain, dl);
	memcpy(tbs + dl, pl, plen);
	if (sg->sign(sg->arg, sig, tbs, dl + plen) != PT_OK)
		abort();
	pt_kid(ops, kid_pk, kid);
	pt_cbor_wr_init(&w, out, cap);
	pt_cbor_put_array(&w, 3);
	pt_cbor_put_bytes(&w, pl, plen);
	pt_cbor_put_bytes(&w, sig, PT_SIG_LEN);
	pt_cbor_put_bytes(&w, kid, PT_KID_LEN);
	if (pt_cbor_wr_status(&w) != PT_OK)
		abort();
	return w.len;
}

static void
test_round_trip(void)
{
	struct pt_cam_owners o, got;
	uint8_t msg[PT_CAM_OWNERS_MSG_MAX], again[PT_CAM_OWNERS_MSG_MAX];
	size_t n = 0, n2 = 0, i;

	base(&o, 3);
	T_EQ(pt_cam_owners_sign(ops, &hub.sg, &o, msg, sizeof(msg), &n), PT_OK, "sign 3 keys");
	T_OK(pt_cam_owners_is_msg(msg, n), "it is an owners message (0x83)");
	T_EQ(pt_cam_owners_open(ops, hub.pk, msg, n, &got), PT_OK, "opens with the hub key");
	T_OK(strcmp(got.hub, "hub-1") == 0 && strcmp(got.camera, "cam-front") == 0 &&
		     got.serial == o.serial && got.n == 3 &&
		     memcmp(got.pk, o.pk, 3 * PT_PK_LEN) == 0,
	     "every field as signed, the keys in order");
	T_EQ(pt_cam_owners_sign(ops, &hub.sg, &o, again, sizeof(again), &n2), PT_OK, "sign again");
	T_OK(n == n2 && memcmp(msg, again, n) == 0, "the same set signs to the same bytes");
	T_EQ(pt_cam_owners_open(ops, stranger.pk, msg, n, &got), PT_EUNTRUSTED,
	     "another hub key: untrusted (its key id)");
	T_OK(is_zero(&got, sizeof(got)), "... output zeroed");

	/* The largest: 8 keys, ids of 64 bytes, the largest serial. */
	base(&o, PT_CAM_OWNERS_MAX);
	memset(o.hub, 'h', PT_ID_MAX);
	o.hub[PT_ID_MAX] = '\0';
	memset(o.camera, 'c', PT_ID_MAX);
	o.camera[PT_ID_MAX] = '\0';
	o.serial = (uint64_t)INT64_MAX;
	T_EQ(pt_cam_owners_sign(ops, &hub.sg, &o, msg, sizeof(msg), &n), PT_OK, "sign the largest");
	T_EQ(n, 500, "the largest message is 500 bytes");
	T_EQ(pt_cam_owners_open(ops, hub.pk, msg, n, &got), PT_OK, "... and opens");
	T_OK(got.n == PT_CAM_OWNERS_MAX && got.serial == (uint64_t)INT64_MAX, "... all 8 keys");
	T_EQ(pt_cam_owners_sign(ops, &hub.sg, &o, msg, 499, &n), PT_ENOSPC, "499 bytes: no space");
	T_OK(n == 0 && is_zero(msg, 499), "... nothing written");
	base(&o, 1);
	T_EQ(pt_cam_owners_sign(ops, &hub.sg, &o, msg, sizeof(msg), &n), PT_OK, "one key");
	T_EQ(pt_cam_owners_open(ops, hub.pk, msg, n, &got), PT_OK, "... opens");
	for (i = 0; i < 2; i++)
		T_OK(!pt_cam_owners_is_msg((const uint8_t[]){i ? 0x82 : 0xa4}, 1),
		     "not an owners message: %s", i ? "a live order (array of 2)" : "a mark (map)");
	T_OK(!pt_cam_owners_is_msg(NULL, 0) && !pt_cam_owners_is_msg(msg, 0), "nothing: not one");
}

static void
test_sign_refuses(void)
{
	struct pt_cam_owners o;
	uint8_t msg[PT_CAM_OWNERS_MSG_MAX];
	size_t n = 1;

#define REFUSE(what, stmt)                                                                        \
	do {                                                                                      \
		base(&o, 3);                                                                      \
		stmt;                                                                             \
		memset(msg, 0xee, sizeof(msg));                                                   \
		T_EQ(pt_cam_owners_sign(ops, &hub.sg, &o, msg, sizeof(msg), &n), PT_EINVAL,       \
		     "sign refuses %s", what);                                                    \
		T_OK(n == 0 && is_zero(msg, sizeof(msg)), "... nothing written (%s)", what);      \
	} while (0)
	REFUSE("an empty hub id", o.hub[0] = '\0');
	REFUSE("a hub id with a blank", memcpy(o.hub, "hub 1", 6));
	REFUSE("an empty camera id", o.camera[0] = '\0');
	REFUSE("serial 0", o.serial = 0);
	REFUSE("serial 2^63", o.serial = 1ull << 63);
	REFUSE("no key", o.n = 0);
	REFUSE("9 keys", o.n = PT_CAM_OWNERS_MAX + 1);
	REFUSE("a key twice", memcpy(o.pk[2], o.pk[0], PT_PK_LEN));
	REFUSE("an all-zero key", memset(o.pk[1], 0, PT_PK_LEN));
#undef REFUSE
	base(&o, 3);
	T_EQ(pt_cam_owners_sign(ops, NULL, &o, msg, sizeof(msg), &n), PT_EINVAL, "no signer");
	T_EQ(pt_cam_owners_sign(NULL, &hub.sg, &o, msg, sizeof(msg), &n), PT_EINVAL, "no ops");
}

static void
test_open_refuses(void)
{
	static const char *const names[TW_COUNT_] = {
		"(none)", "version 2", "no serial", "an unknown key 6", "keys out of order",
		"serial 0", "serial 2^63", "a non-shortest serial", "no owners", "9 owners",
		"a key twice", "a 31-byte key", "an all-zero key", "a hub id with a blank",
		"an empty camera id", "a byte after the map",
	};
	struct pt_cam_owners got;
	uint8_t pl[1024], msg[1100];
	size_t pn, n;
	int t;

	pn = payload(TW_NONE, pl, sizeof(pl));
	n = wrap(&hub.sg, PT_CAM_OWNERS_DOMAIN, hub.pk, pl, pn, msg, sizeof(msg));
	T_EQ(pt_cam_owners_open(ops, hub.pk, msg, n, &got), PT_OK, "by hand: the base payload opens");
	T_OK(got.serial == 77 && got.n == 3, "... serial 77, 3 keys");
	for (t = TW_VERSION2; t < TW_COUNT_; t++) {
		pn = payload((enum tweak)t, pl, sizeof(pl));
		n = wrap(&hub.sg, PT_CAM_OWNERS_DOMAIN, hub.pk, pl, pn, msg, sizeof(msg));
		memset(&got, 0xee, sizeof(got));
		T_EQ(pt_cam_owners_open(ops, hub.pk, msg, n, &got), PT_EMALFORMED,
		     "signed by the hub, refused: %s", names[t]);
		T_OK(is_zero(&got, sizeof(got)), "... output zeroed (%s)", names[t]);
	}
	/* The right key id, another key's signature. */
	pn = payload(TW_NONE, pl, sizeof(pl));
	n = wrap(&stranger.sg, PT_CAM_OWNERS_DOMAIN, hub.pk, pl, pn, msg, sizeof(msg));
	T_EQ(pt_cam_owners_open(ops, hub.pk, msg, n, &got), PT_EBADSIG,
	     "the hub's key id over a stranger's signature: bad signature");
	/* Another domain: the hub's own signature of a live order's domain. */
	n = wrap(&hub.sg, PT_LIVE_ORDER_DOMAIN, hub.pk, pl, pn, msg, sizeof(msg));
	T_EQ(pt_cam_owners_open(ops, hub.pk, msg, n, &got), PT_EBADSIG,
	     "signed by the hub under the live order's domain: bad signature");
	n = wrap(&hub.sg, "porter/cam-owners/v1x", hub.pk, pl, pn, msg, sizeof(msg));
	T_EQ(pt_cam_owners_open(ops, hub.pk, msg, n, &got), PT_EBADSIG,
	     "a longer domain: bad signature");
	/* A live order is not an owners message. */
	{
		struct pt_live_order o;
		uint8_t om[PT_LIVE_ORDER_MAX];
		size_t on;
		memset(&o, 0, sizeof(o));
		memcpy(o.camera, "cam-front", 10);
		memset(o.session, 1, sizeof(o.session));
		o.event_seq = 1;
		o.time_ms = 1000;
		o.expiry_ms = 2000;
		memset(o.viewer_xpk, 9, sizeof(o.viewer_xpk));
		if (pt_live_order_sign(&hub.sg, &o, om, sizeof(om), &on) != PT_OK)
			abort();
		T_OK(!pt_cam_owners_is_msg(om, on), "a live order is told apart by its first byte");
		T_EQ(pt_cam_owners_open(ops, hub.pk, om, on, &got), PT_EMALFORMED,
		     "... and does not open as one");
	}
	/* Size. */
	memset(msg, 0, sizeof(msg));
	msg[0] = 0x83;
	T_EQ(pt_cam_owners_open(ops, hub.pk, msg, PT_CAM_OWNERS_MSG_MAX + 1, &got), PT_ETOOBIG,
	     "513 bytes: too big");
	T_EQ(pt_cam_owners_open(ops, hub.pk, NULL, 0, &got), PT_EMALFORMED, "nothing: malformed");
	T_EQ(pt_cam_owners_open(ops, hub.pk, msg, 0, NULL), PT_EINVAL, "no output: invalid");
}

static void
test_flips(void)
{
	struct pt_cam_owners o, got;
	uint8_t msg[PT_CAM_OWNERS_MSG_MAX], m2[PT_CAM_OWNERS_MSG_MAX + 1];
	size_t n = 0, i, b, opened = 0, trunc = 0;

	base(&o, 3);
	if (pt_cam_owners_sign(ops, &hub.sg, &o, msg, sizeof(msg), &n) != PT_OK)
		abort();
	for (i = 0; i < n; i++)
		for (b = 0; b < 8; b++) {
			memcpy(m2, msg, n);
			m2[i] ^= (uint8_t)(1u << b);
			if (pt_cam_owners_open(ops, hub.pk, m2, n, &got) == PT_OK)
				opened++;
		}
	T_EQ(opened, 0, "no single bit flip of the %zu-byte message opens", n);
	for (i = 0; i < n; i++)
		if (pt_cam_owners_open(ops, hub.pk, msg, i, &got) == PT_OK)
			trunc++;
	T_EQ(trunc, 0, "no truncation opens");
	memcpy(m2, msg, n);
	m2[n] = 0;
	T_EQ(pt_cam_owners_open(ops, hub.pk, m2, n + 1, &got), PT_EMALFORMED,
	     "a byte after the array: malformed");
}

static void
save(const char *dir, const char *name, uint8_t sel, const uint8_t *p, size_t n)
{
	char path[1024];
	FILE *f;

	(void)snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "wb")) == NULL || fwrite(&sel, 1, 1, f) != 1 ||
	    fwrite(p, 1, n, f) != n || fclose(f) != 0) {
		printf("Bail out! cannot write %s\n", path);
		exit(1);
	}
}

/* Seeds: 0 + a message (opened as it is), 1 + a payload (the harness
 * signs it with the hub key). */
static void
write_corpus(const char *dir)
{
	struct pt_cam_owners o;
	uint8_t msg[PT_CAM_OWNERS_MSG_MAX], pl[1024];
	size_t n = 0;
	int t;

	base(&o, 3);
	if (pt_cam_owners_sign(ops, &hub.sg, &o, msg, sizeof(msg), &n) != PT_OK)
		abort();
	save(dir, "msg_3", 0, msg, n);
	base(&o, PT_CAM_OWNERS_MAX);
	memset(o.camera, 'c', PT_ID_MAX);
	o.camera[PT_ID_MAX] = '\0';
	if (pt_cam_owners_sign(ops, &hub.sg, &o, msg, sizeof(msg), &n) != PT_OK)
		abort();
	save(dir, "msg_largest", 0, msg, n);
	if (pt_cam_owners_sign(ops, &stranger.sg, &o, msg, sizeof(msg), &n) != PT_OK)
		abort();
	save(dir, "msg_stranger", 0, msg, n);
	for (t = TW_NONE; t < TW_COUNT_; t++) {
		char name[32];
		n = payload((enum tweak)t, pl, sizeof(pl));
		(void)snprintf(name, sizeof(name), "payload_%02d", t);
		save(dir, name, 1, pl, n);
	}
}

int
main(void)
{
	const char *corpus = getenv("PORTER_CAM_OWNERS_CORPUS");
	size_t i;

	if (pt_crypto_init() != PT_OK) {
		printf("Bail out! crypto init\n");
		return 1;
	}
	ops = pt_crypto_sodium();
	key_init(&hub, SEED_HUB);
	key_init(&stranger, SEED_STRANGER);
	for (i = 0; i < PT_CAM_OWNERS_MAX + 1; i++)
		key_init(&owners[i], (uint8_t)(0x40 + i));
	if (corpus != NULL)
		write_corpus(corpus);
	test_round_trip();
	test_sign_refuses();
	test_open_refuses();
	test_flips();
	pt_secret_free(hub.sec);
	pt_secret_free(stranger.sec);
	for (i = 0; i < PT_CAM_OWNERS_MAX + 1; i++)
		pt_secret_free(owners[i].sec);
	return t_done();
}
