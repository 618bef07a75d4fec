/*
 * Live view (porter/live.h, docs/live.md): the hub-signed order, the
 * camera-signed key record, the fragment header and the fragment
 * signature. Pure: strict CBOR through porter/cbor.h, signatures through
 * the ops structs, no allocation.
 */
#include "porter/live.h"

#include <string.h>

#include "porter/cbor.h"
#include "porter/clipseal.h"

#define U63_MAX ((uint64_t)INT64_MAX)
#define LIVE_VERSION 1
#define LIVE_MS_MAX ((uint64_t)PT_LIVE_SECONDS_MAX * 1000u)

enum {
	OR_VERSION = 1,
	OR_CAMERA = 2,
	OR_SESSION = 3,
	OR_SEQ = 4,
	OR_TIME = 5,
	OR_EXPIRY = 6,
	OR_VIEWER = 7,
	OR_OWNER = 8,
};
#define OR_KEY_COUNT 8

enum {
	KR_VERSION = 1,
	KR_CAMERA = 2,
	KR_SESSION = 3,
	KR_SEQ = 4,
	KR_START = 5,
	KR_EXPIRY = 6,
	KR_VIEWER = 7,
	KR_SEALED = 8,
	KR_CONTAINER = 9,
};
#define KR_KEY_COUNT 9

/* A signed message is array(2) (1) + the payload's bstr head (at most 3)
 * + payload + the signature's head (2) + 64: the payload bounds follow. */
#define MSG_OVERHEAD (1u + 3u + 2u + PT_SIG_LEN)
#define ORDER_PAYLOAD_MAX (PT_LIVE_ORDER_MAX - MSG_OVERHEAD)
#define KEYREC_PAYLOAD_MAX (PT_LIVE_KEYREC_MAX - MSG_OVERHEAD)

/* The largest order payload: map(8) and its keys, version, camera (2 +
 * 64), session (1 + 16), seq, time, expiry (9 each), viewer (2 + 32),
 * owner kid (1 + 8). The key record: map(9) and its keys, version,
 * camera, session, seq, start, expiry, viewer as above, sealed (2 + 80),
 * container (1 + 3). */
#define ORDER_LARGEST (1 + OR_KEY_COUNT + 1 + (2 + PT_ID_MAX) + (1 + PT_LIVE_ID_LEN) + 3 * 9 + \
		       (2 + PT_LIVE_XPK_LEN) + (1 + PT_KID_LEN))
#define KEYREC_LARGEST (1 + KR_KEY_COUNT + 1 + (2 + PT_ID_MAX) + (1 + PT_LIVE_ID_LEN) + 3 * 9 + \
			(2 + PT_LIVE_XPK_LEN) + (2 + PT_LIVE_SEALED_KEY_LEN) + (1 + 3))
_Static_assert(ORDER_LARGEST <= ORDER_PAYLOAD_MAX, "the largest order fits PT_LIVE_ORDER_MAX");
_Static_assert(KEYREC_LARGEST <= KEYREC_PAYLOAD_MAX,
	       "the largest key record fits PT_LIVE_KEYREC_MAX");
_Static_assert(KEYREC_PAYLOAD_MAX < 65536, "a payload's bstr head is 3 bytes at most");
_Static_assert(PT_PK_LEN == PT_LIVE_XPK_LEN, "the envelope's target holds a viewer key");
_Static_assert(PT_LIVE_ID_LEN == PT_CLIP_ID_LEN, "a session id is a clip id to the seal");
_Static_assert(PT_LIVE_KEY_LEN == PT_CLIP_KEY_LEN, "the live key is a clip key");
_Static_assert(PT_LIVE_SEALED_KEY_LEN == PT_CLIP_SEALED_KEY_LEN, "sealed keys: one size");
_Static_assert(sizeof(PT_LIVE_MAGIC) - 1 == PT_LIVE_MAGIC_LEN, "magic length");
_Static_assert(PT_LIVE_HDR_LEN == 42, "header: 6 + 16 + 4 + 8 + 4 + 4");
_Static_assert(PT_LIVE_FRAGMENT_MSG_LEN == 76, "fragment message: 24 + 16 + 4 + 32");
_Static_assert(PT_LIVE_FRAGMENT_MAX <= UINT32_MAX && PT_LIVE_FRAGMENT_MAX <= PT_CLIP_SEGMENT_SIZE_MAX,
	       "a fragment's sealed length is a u32 and a segment pt_seg_open takes");
/* Each domain is signed with its NUL and none holds a NUL, so domain 0x00
 * || payload of one kind never equals the signed bytes of another kind
 * (live or clip): the domains differ, and none is a prefix of another
 * once its NUL is counted. The tests check that no signature crosses. */

/* The X25519 points of small order (libsodium's has_small_order list):
 * 0, 1, two points of order 8, p - 1, p, p + 1. Compared without the top
 * bit, which X25519 ignores. */
static const uint8_t small_order[7][PT_LIVE_XPK_LEN] = {
	{0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00},
	{0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00},
	{0xe0, 0xeb, 0x7a, 0x7c, 0x3b, 0x41, 0xb8, 0xae, 0x16, 0x56, 0xe3,
	 0xfa, 0xf1, 0x9f, 0xc4, 0x6a, 0xda, 0x09, 0x8d, 0xeb, 0x9c, 0x32,
	 0xb1, 0xfd, 0x86, 0x62, 0x05, 0x16, 0x5f, 0x49, 0xb8, 0x00},
	{0x5f, 0x9c, 0x95, 0xbc, 0xa3, 0x50, 0x8c, 0x24, 0xb1, 0xd0, 0xb1,
	 0x55, 0x9c, 0x83, 0xef, 0x5b, 0x04, 0x44, 0x5c, 0xc4, 0x58, 0x1c,
	 0x8e, 0x86, 0xd8, 0x22, 0x4e, 0xdd, 0xd0, 0x9f, 0x11, 0x57},
	{0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
	{0xed, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
	{0xee, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
};

bool
pt_live_xpk_is_valid(const uint8_t xpk[PT_LIVE_XPK_LEN])
{
	size_t i, j;
	bool same;

	if (xpk == NULL)
		return false;
	/* A public key: no need for constant time. */
	for (i = 0; i < sizeof(small_order) / sizeof(small_order[0]); i++) {
		same = (xpk[PT_LIVE_XPK_LEN - 1] & 0x7fu) == small_order[i][PT_LIVE_XPK_LEN - 1];
		for (j = 0; same && j < PT_LIVE_XPK_LEN - 1; j++)
			same = xpk[j] == small_order[i][j];
		if (same)
			return false;
	}
	return true;
}

bool
pt_live_is_order(const uint8_t *p, size_t len)
{
	return p != NULL && len >= 1 && p[0] == 0x82;
}

static size_t
bounded(const char *s, size_t max)
{
	size_t n = 0;

	while (n <= max && s[n] != '\0')
		n++;
	return n;
}

/* ---- reading ---- */

static int
read_u63(struct pt_cbor_rd *rd, uint64_t min, uint64_t *v)
{
	if (pt_cbor_uint(rd, v) != PT_OK || *v < min || *v > U63_MAX)
		return PT_EMALFORMED;
	return PT_OK;
}

static int
read_fixed(struct pt_cbor_rd *rd, uint8_t *out, size_t want)
{
	const uint8_t *s;
	size_t sl;

	if (pt_cbor_bytes(rd, &s, &sl) != PT_OK || sl != want)
		return PT_EMALFORMED;
	memcpy(out, s, sl);
	return PT_OK;
}

/* A porter id (the camera) as a C string into out (PT_ID_MAX + 1). */
static int
read_camera(struct pt_cbor_rd *rd, char out[PT_ID_MAX + 1])
{
	const uint8_t *s;
	size_t sl;

	if (pt_cbor_text(rd, &s, &sl) != PT_OK || sl > PT_ID_MAX ||
	    !pt_id_is_valid((const char *)s, sl))
		return PT_EMALFORMED;
	memcpy(out, s, sl);
	out[sl] = '\0';
	return PT_OK;
}

/* The outer [payload, signature] of a signed message, within its bounds. */
static int
split(const uint8_t *p, size_t len, size_t msg_max, size_t payload_max, const uint8_t **payload,
      size_t *plen, const uint8_t **sig)
{
	struct pt_cbor_rd rd;
	size_t slen;
	uint64_t n;

	if (p == NULL)
		return PT_EMALFORMED;
	if (len > msg_max)
		return PT_ETOOBIG;
	pt_cbor_rd_init(&rd, p, len);
	if (pt_cbor_array(&rd, &n) != PT_OK || n != 2 ||
	    pt_cbor_bytes(&rd, payload, plen) != PT_OK ||
	    pt_cbor_bytes(&rd, sig, &slen) != PT_OK || slen != PT_SIG_LEN ||
	    !pt_cbor_rd_done(&rd))
		return PT_EMALFORMED;
	if (*plen > payload_max)
		return PT_ETOOBIG;
	return PT_OK;
}

/* Split, then check the signature over domain 0x00 || payload before
 * anything of the payload is read. tbs holds dlen + payload_max. */
static int
split_verify(const struct pt_crypto_ops *ops, const uint8_t pk[PT_PK_LEN], const char *domain,
	     size_t dlen, const uint8_t *p, size_t len, size_t msg_max, size_t payload_max,
	     uint8_t *tbs, const uint8_t **payload, size_t *plen)
{
	const uint8_t *sig;
	int r;

	if ((r = split(p, len, msg_max, payload_max, payload, plen, &sig)) != PT_OK)
		return r;
	if (ops == NULL || ops->ed25519_verify == NULL || pk == NULL)
		return PT_EBADSIG;
	memcpy(tbs, domain, dlen);
	memcpy(tbs + dlen, *payload, *plen);
	if (!ops->ed25519_verify(sig, tbs, dlen + *plen, pk))
		return PT_EBADSIG;
	return PT_OK;
}

/* ---- writing ---- */

/* Sign domain 0x00 || payload (in tbs, the payload at tbs + dlen) and write
 * [payload, signature] to out. */
static int
sign_msg(const struct pt_signer *sg, const uint8_t *tbs, size_t dlen, size_t plen, uint8_t *out,
	 size_t cap, size_t *out_len)
{
	uint8_t sig[PT_SIG_LEN];
	struct pt_cbor_wr w;
	int r;

	if ((r = sg->sign(sg->arg, sig, tbs, dlen + plen)) != PT_OK)
		return r;
	pt_cbor_wr_init(&w, out, cap);
	pt_cbor_put_array(&w, 2);
	pt_cbor_put_bytes(&w, tbs + dlen, plen);
	pt_cbor_put_bytes(&w, sig, PT_SIG_LEN);
	if (pt_cbor_wr_status(&w) != PT_OK) {
		if (out != NULL)
			memset(out, 0, cap);
		return PT_ENOSPC;
	}
	*out_len = w.len;
	return PT_OK;
}

/* ---- the order ---- */

static bool
order_is_valid(const struct pt_live_order *o, size_t *cam_len)
{
	*cam_len = bounded(o->camera, PT_ID_MAX);
	return pt_id_is_valid(o->camera, *cam_len) && o->event_seq >= 1 &&
	       o->event_seq <= U63_MAX && o->time_ms <= U63_MAX && o->expiry_ms <= U63_MAX &&
	       o->expiry_ms > o->time_ms && o->expiry_ms - o->time_ms <= LIVE_MS_MAX &&
	       pt_live_xpk_is_valid(o->viewer_xpk);
}

static int
order_encode(const struct pt_live_order *o, uint8_t *out, size_t cap, size_t *out_len)
{
	struct pt_cbor_wr w;
	size_t cam_len;

	if (!order_is_valid(o, &cam_len))
		return PT_EINVAL;
	pt_cbor_wr_init(&w, out, cap);
	pt_cbor_put_map(&w, OR_KEY_COUNT);
	pt_cbor_put_uint(&w, OR_VERSION);
	pt_cbor_put_uint(&w, LIVE_VERSION);
	pt_cbor_put_uint(&w, OR_CAMERA);
	pt_cbor_put_text(&w, o->camera, cam_len);
	pt_cbor_put_uint(&w, OR_SESSION);
	pt_cbor_put_bytes(&w, o->session, PT_LIVE_ID_LEN);
	pt_cbor_put_uint(&w, OR_SEQ);
	pt_cbor_put_uint(&w, o->event_seq);
	pt_cbor_put_uint(&w, OR_TIME);
	pt_cbor_put_uint(&w, o->time_ms);
	pt_cbor_put_uint(&w, OR_EXPIRY);
	pt_cbor_put_uint(&w, o->expiry_ms);
	pt_cbor_put_uint(&w, OR_VIEWER);
	pt_cbor_put_bytes(&w, o->viewer_xpk, PT_LIVE_XPK_LEN);
	pt_cbor_put_uint(&w, OR_OWNER);
	pt_cbor_put_bytes(&w, o->owner_kid, PT_KID_LEN);
	if (pt_cbor_wr_status(&w) != PT_OK)
		return PT_ENOSPC;
	*out_len = w.len;
	return PT_OK;
}

static int
order_decode(const uint8_t *p, size_t len, struct pt_live_order *o)
{
	struct pt_cbor_rd rd;
	struct pt_cbor_keys keys;
	size_t cam_len;
	uint64_t n, i, v;
	int64_t key;

	pt_cbor_rd_init(&rd, p, len);
	if (pt_cbor_map(&rd, &n) != PT_OK || n != OR_KEY_COUNT)
		return PT_EMALFORMED;
	pt_cbor_key_init(&keys);
	for (i = 0; i < n; i++) {
		/* Eight pairs with strictly ascending keys from 1..8: each once. */
		if (pt_cbor_key(&rd, &keys, &key) != PT_OK)
			return PT_EMALFORMED;
		switch (key) {
		case OR_VERSION:
			if (pt_cbor_uint(&rd, &v) != PT_OK || v != LIVE_VERSION)
				return PT_EMALFORMED;
			break;
		case OR_CAMERA:
			if (read_camera(&rd, o->camera) != PT_OK)
				return PT_EMALFORMED;
			break;
		case OR_SESSION:
			if (read_fixed(&rd, o->session, PT_LIVE_ID_LEN) != PT_OK)
				return PT_EMALFORMED;
			break;
		case OR_SEQ:
			if (read_u63(&rd, 1, &o->event_seq) != PT_OK)
				return PT_EMALFORMED;
			break;
		case OR_TIME:
			if (read_u63(&rd, 0, &o->time_ms) != PT_OK)
				return PT_EMALFORMED;
			break;
		case OR_EXPIRY:
			if (read_u63(&rd, 0, &o->expiry_ms) != PT_OK)
				return PT_EMALFORMED;
			break;
		case OR_VIEWER:
			if (read_fixed(&rd, o->viewer_xpk, PT_LIVE_XPK_LEN) != PT_OK)
				return PT_EMALFORMED;
			break;
		case OR_OWNER:
			if (read_fixed(&rd, o->owner_kid, PT_KID_LEN) != PT_OK)
				return PT_EMALFORMED;
			break;
		default:
			return PT_EMALFORMED;
		}
	}
	if (!pt_cbor_rd_done(&rd) || !order_is_valid(o, &cam_len))
		return PT_EMALFORMED;
	return PT_OK;
}

int
pt_live_order_sign(const struct pt_signer *hub, const struct pt_live_order *o, uint8_t *out,
		   size_t cap, size_t *out_len)
{
	const size_t dl = sizeof(PT_LIVE_ORDER_DOMAIN);	/* with its NUL */
	uint8_t tbs[sizeof(PT_LIVE_ORDER_DOMAIN) + ORDER_PAYLOAD_MAX];
	size_t plen;
	int r;

	if (out_len == NULL)
		return PT_EINVAL;
	*out_len = 0;
	if (hub == NULL || hub->sign == NULL || o == NULL || (out == NULL && cap != 0))
		return PT_EINVAL;
	memcpy(tbs, PT_LIVE_ORDER_DOMAIN, dl);
	if ((r = order_encode(o, tbs + dl, sizeof(tbs) - dl, &plen)) != PT_OK)
		return r;
	return sign_msg(hub, tbs, dl, plen, out, cap, out_len);
}

int
pt_live_order_open(const struct pt_crypto_ops *ops, const uint8_t hub_pk[PT_PK_LEN],
		   const uint8_t *p, size_t len, struct pt_live_order *o)
{
	uint8_t tbs[sizeof(PT_LIVE_ORDER_DOMAIN) + ORDER_PAYLOAD_MAX];
	const uint8_t *payload;
	size_t plen;
	int r;

	if (o == NULL)
		return PT_EINVAL;
	memset(o, 0, sizeof(*o));
	if ((r = split_verify(ops, hub_pk, PT_LIVE_ORDER_DOMAIN, sizeof(PT_LIVE_ORDER_DOMAIN), p,
			      len, PT_LIVE_ORDER_MAX, ORDER_PAYLOAD_MAX, tbs, &payload, &plen)) !=
	    PT_OK)
		return r;
	if ((r = order_decode(payload, plen, o)) != PT_OK)
		memset(o, 0, sizeof(*o));
	return r;
}

/* ---- the key record ---- */

static bool
keyrec_is_valid(const struct pt_live_keyrec *k, size_t *cam_len)
{
	*cam_len = bounded(k->camera, PT_ID_MAX);
	return pt_id_is_valid(k->camera, *cam_len) && k->event_seq >= 1 &&
	       k->event_seq <= U63_MAX && k->start_ms <= U63_MAX && k->expiry_ms <= U63_MAX &&
	       k->expiry_ms > k->start_ms && pt_live_xpk_is_valid(k->viewer_xpk) &&
	       bounded(k->container, sizeof(k->container) - 1) == 3 &&
	       memcmp(k->container, "mp4", 3) == 0;
}

static int
keyrec_encode(const struct pt_live_keyrec *k, uint8_t *out, size_t cap, size_t *out_len)
{
	struct pt_cbor_wr w;
	size_t cam_len;

	if (!keyrec_is_valid(k, &cam_len))
		return PT_EINVAL;
	pt_cbor_wr_init(&w, out, cap);
	pt_cbor_put_map(&w, KR_KEY_COUNT);
	pt_cbor_put_uint(&w, KR_VERSION);
	pt_cbor_put_uint(&w, LIVE_VERSION);
	pt_cbor_put_uint(&w, KR_CAMERA);
	pt_cbor_put_text(&w, k->camera, cam_len);
	pt_cbor_put_uint(&w, KR_SESSION);
	pt_cbor_put_bytes(&w, k->session, PT_LIVE_ID_LEN);
	pt_cbor_put_uint(&w, KR_SEQ);
	pt_cbor_put_uint(&w, k->event_seq);
	pt_cbor_put_uint(&w, KR_START);
	pt_cbor_put_uint(&w, k->start_ms);
	pt_cbor_put_uint(&w, KR_EXPIRY);
	pt_cbor_put_uint(&w, k->expiry_ms);
	pt_cbor_put_uint(&w, KR_VIEWER);
	pt_cbor_put_bytes(&w, k->viewer_xpk, PT_LIVE_XPK_LEN);
	pt_cbor_put_uint(&w, KR_SEALED);
	pt_cbor_put_bytes(&w, k->sealed, PT_LIVE_SEALED_KEY_LEN);
	pt_cbor_put_uint(&w, KR_CONTAINER);
	pt_cbor_put_text(&w, k->container, 3);	/* "mp4", checked above */
	if (pt_cbor_wr_status(&w) != PT_OK)
		return PT_ENOSPC;
	*out_len = w.len;
	return PT_OK;
}

static int
keyrec_decode(const uint8_t *p, size_t len, struct pt_live_keyrec *k)
{
	struct pt_cbor_rd rd;
	struct pt_cbor_keys keys;
	const uint8_t *s;
	size_t sl, cam_len;
	uint64_t n, i, v;
	int64_t key;

	pt_cbor_rd_init(&rd, p, len);
	if (pt_cbor_map(&rd, &n) != PT_OK || n != KR_KEY_COUNT)
		return PT_EMALFORMED;
	pt_cbor_key_init(&keys);
	for (i = 0; i < n; i++) {
		/* Nine pairs with strictly ascending keys from 1..9: each once. */
		if (pt_cbor_key(&rd, &keys, &key) != PT_OK)
			return PT_EMALFORMED;
		switch (key) {
		case KR_VERSION:
			if (pt_cbor_uint(&rd, &v) != PT_OK || v != LIVE_VERSION)
				return PT_EMALFORMED;
			break;
		case KR_CAMERA:
			if (read_camera(&rd, k->camera) != PT_OK)
				return PT_EMALFORMED;
			break;
		case KR_SESSION:
			if (read_fixed(&rd, k->session, PT_LIVE_ID_LEN) != PT_OK)
				return PT_EMALFORMED;
			break;
		case KR_SEQ:
			if (read_u63(&rd, 1, &k->event_seq) != PT_OK)
				return PT_EMALFORMED;
			break;
		case KR_START:
			if (read_u63(&rd, 0, &k->start_ms) != PT_OK)
				return PT_EMALFORMED;
			break;
		case KR_EXPIRY:
			if (read_u63(&rd, 0, &k->expiry_ms) != PT_OK)
				return PT_EMALFORMED;
			break;
		case KR_VIEWER:
			if (read_fixed(&rd, k->viewer_xpk, PT_LIVE_XPK_LEN) != PT_OK)
				return PT_EMALFORMED;
			break;
		case KR_SEALED:
			if (read_fixed(&rd, k->sealed, PT_LIVE_SEALED_KEY_LEN) != PT_OK)
				return PT_EMALFORMED;
			break;
		case KR_CONTAINER:
			if (pt_cbor_text(&rd, &s, &sl) != PT_OK || sl != 3 || memcmp(s, "mp4", 3) != 0)
				return PT_EMALFORMED;
			memcpy(k->container, "mp4", 4);
			break;
		default:
			return PT_EMALFORMED;
		}
	}
	if (!pt_cbor_rd_done(&rd) || !keyrec_is_valid(k, &cam_len))
		return PT_EMALFORMED;
	return PT_OK;
}

int
pt_live_keyrec_sign(const struct pt_signer *cam, const struct pt_live_keyrec *k, uint8_t *out,
		    size_t cap, size_t *out_len)
{
	const size_t dl = sizeof(PT_LIVE_KEYREC_DOMAIN);	/* with its NUL */
	uint8_t tbs[sizeof(PT_LIVE_KEYREC_DOMAIN) + KEYREC_PAYLOAD_MAX];
	size_t plen;
	int r;

	if (out_len == NULL)
		return PT_EINVAL;
	*out_len = 0;
	if (cam == NULL || cam->sign == NULL || k == NULL || (out == NULL && cap != 0))
		return PT_EINVAL;
	memcpy(tbs, PT_LIVE_KEYREC_DOMAIN, dl);
	if ((r = keyrec_encode(k, tbs + dl, sizeof(tbs) - dl, &plen)) != PT_OK)
		return r;
	return sign_msg(cam, tbs, dl, plen, out, cap, out_len);
}

int
pt_live_keyrec_open(const struct pt_crypto_ops *ops, const uint8_t cam_pk[PT_PK_LEN],
		    const uint8_t *p, size_t len, struct pt_live_keyrec *k)
{
	uint8_t tbs[sizeof(PT_LIVE_KEYREC_DOMAIN) + KEYREC_PAYLOAD_MAX];
	const uint8_t *payload;
	size_t plen;
	int r;

	if (k == NULL)
		return PT_EINVAL;
	memset(k, 0, sizeof(*k));
	if ((r = split_verify(ops, cam_pk, PT_LIVE_KEYREC_DOMAIN, sizeof(PT_LIVE_KEYREC_DOMAIN), p,
			      len, PT_LIVE_KEYREC_MAX, KEYREC_PAYLOAD_MAX, tbs, &payload, &plen)) !=
	    PT_OK)
		return r;
	if ((r = keyrec_decode(payload, plen, k)) != PT_OK)
		memset(k, 0, sizeof(*k));
	return r;
}

int
pt_live_keyrec_peek(const uint8_t *p, size_t len, char camera[PT_ID_MAX + 1],
		    uint8_t session[PT_LIVE_ID_LEN])
{
	struct pt_cbor_rd rd;
	struct pt_cbor_keys keys;
	const uint8_t *payload, *sig;
	size_t plen;
	uint64_t n, v;
	int64_t key;

	if (camera == NULL || session == NULL)
		return PT_EINVAL;
	memset(camera, 0, PT_ID_MAX + 1);
	memset(session, 0, PT_LIVE_ID_LEN);
	if (split(p, len, PT_LIVE_KEYREC_MAX, KEYREC_PAYLOAD_MAX, &payload, &plen, &sig) != PT_OK)
		return PT_EMALFORMED;
	pt_cbor_rd_init(&rd, payload, plen);
	pt_cbor_key_init(&keys);
	if (pt_cbor_map(&rd, &n) != PT_OK || n != KR_KEY_COUNT ||
	    pt_cbor_key(&rd, &keys, &key) != PT_OK || key != KR_VERSION ||
	    pt_cbor_uint(&rd, &v) != PT_OK || v != LIVE_VERSION ||
	    pt_cbor_key(&rd, &keys, &key) != PT_OK || key != KR_CAMERA ||
	    read_camera(&rd, camera) != PT_OK || pt_cbor_key(&rd, &keys, &key) != PT_OK ||
	    key != KR_SESSION || read_fixed(&rd, session, PT_LIVE_ID_LEN) != PT_OK) {
		memset(camera, 0, PT_ID_MAX + 1);
		memset(session, 0, PT_LIVE_ID_LEN);
		return PT_EMALFORMED;
	}
	return PT_OK;
}

/* ---- the fragment header ---- */

#define SEALED_MIN (PT_SEG_HEADER_LEN + PT_SEG_CHUNK_OVERHEAD)

static bool
hdr_is_valid(const struct pt_live_hdr *h)
{
	/* Fragment 0 (ftyp + moov) has no capture time nor duration; every
	 * media fragment has both. */
	if (h->index == 0 ? h->capture_ms != 0 || h->duration_ms != 0 :
			    h->capture_ms == 0 || h->duration_ms == 0)
		return false;
	return h->capture_ms <= U63_MAX && h->sealed_len >= SEALED_MIN &&
	       h->sealed_len <= PT_LIVE_FRAGMENT_MAX - PT_LIVE_HDR_LEN;
}

static void
put_be(uint8_t *p, uint64_t v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

static uint64_t
get_be(const uint8_t *p, size_t n)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

int
pt_live_hdr_encode(const struct pt_live_hdr *h, uint8_t out[PT_LIVE_HDR_LEN])
{
	size_t o = 0;

	if (out == NULL)
		return PT_EINVAL;
	memset(out, 0, PT_LIVE_HDR_LEN);
	if (h == NULL || !hdr_is_valid(h))
		return PT_EINVAL;
	memcpy(out, PT_LIVE_MAGIC, PT_LIVE_MAGIC_LEN);
	o += PT_LIVE_MAGIC_LEN;
	memcpy(out + o, h->session, PT_LIVE_ID_LEN);
	o += PT_LIVE_ID_LEN;
	put_be(out + o, h->index, 4);
	o += 4;
	put_be(out + o, h->capture_ms, 8);
	o += 8;
	put_be(out + o, h->duration_ms, 4);
	o += 4;
	put_be(out + o, h->sealed_len, 4);
	return PT_OK;
}

int
pt_live_hdr_decode(const uint8_t *p, size_t len, struct pt_live_hdr *h)
{
	size_t o = PT_LIVE_MAGIC_LEN;
	int r = PT_EMALFORMED;

	if (h == NULL)
		return PT_EINVAL;
	memset(h, 0, sizeof(*h));
	if (p == NULL)
		return PT_EMALFORMED;
	if (len > PT_LIVE_FRAGMENT_MAX)
		return PT_ETOOBIG;
	if (len < PT_LIVE_HDR_LEN || memcmp(p, PT_LIVE_MAGIC, PT_LIVE_MAGIC_LEN) != 0)
		return PT_EMALFORMED;
	memcpy(h->session, p + o, PT_LIVE_ID_LEN);
	o += PT_LIVE_ID_LEN;
	h->index = (uint32_t)get_be(p + o, 4);
	o += 4;
	h->capture_ms = get_be(p + o, 8);
	o += 8;
	h->duration_ms = (uint32_t)get_be(p + o, 4);
	o += 4;
	h->sealed_len = (uint32_t)get_be(p + o, 4);
	/* Nothing missing, nothing after. */
	if (h->sealed_len != len - PT_LIVE_HDR_LEN || !hdr_is_valid(h))
		goto fail;
	return PT_OK;
fail:
	memset(h, 0, sizeof(*h));
	return r;
}

/* ---- the fragment signature ---- */

void
pt_live_fragment_msg(const uint8_t session[PT_LIVE_ID_LEN], uint32_t index,
		     const uint8_t sha256[PT_HASH_LEN], uint8_t out[PT_LIVE_FRAGMENT_MSG_LEN])
{
	size_t o = sizeof(PT_LIVE_FRAGMENT_DOMAIN);	/* with its NUL */

	memcpy(out, PT_LIVE_FRAGMENT_DOMAIN, o);
	memcpy(out + o, session, PT_LIVE_ID_LEN);
	o += PT_LIVE_ID_LEN;
	put_be(out + o, index, 4);
	o += 4;
	memcpy(out + o, sha256, PT_HASH_LEN);
}

int
pt_live_fragment_sign(const struct pt_signer *cam, const uint8_t session[PT_LIVE_ID_LEN],
		      uint32_t index, const uint8_t sha256[PT_HASH_LEN], uint8_t sig[PT_SIG_LEN])
{
	uint8_t msg[PT_LIVE_FRAGMENT_MSG_LEN];
	int r;

	if (sig == NULL)
		return PT_EINVAL;
	memset(sig, 0, PT_SIG_LEN);
	if (cam == NULL || cam->sign == NULL || session == NULL || sha256 == NULL)
		return PT_EINVAL;
	pt_live_fragment_msg(session, index, sha256, msg);
	if ((r = cam->sign(cam->arg, sig, msg, sizeof(msg))) != PT_OK)
		memset(sig, 0, PT_SIG_LEN);
	return r;
}

int
pt_live_fragment_verify(const struct pt_crypto_ops *ops, const uint8_t cam_pk[PT_PK_LEN],
			const uint8_t session[PT_LIVE_ID_LEN], uint32_t index,
			const uint8_t sha256[PT_HASH_LEN], const uint8_t sig[PT_SIG_LEN])
{
	uint8_t msg[PT_LIVE_FRAGMENT_MSG_LEN];

	if (ops == NULL || ops->ed25519_verify == NULL || cam_pk == NULL || session == NULL ||
	    sha256 == NULL || sig == NULL)
		return PT_EBADSIG;
	pt_live_fragment_msg(session, index, sha256, msg);
	return ops->ed25519_verify(sig, msg, sizeof(msg), cam_pk) ? PT_OK : PT_EBADSIG;
}
