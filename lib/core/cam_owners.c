/*
 * The camera owners message (porter/cam_owners.h, docs/cam.md): the
 * hub-signed list of owner keys a camera seals its clips to. Pure:
 * strict CBOR through porter/cbor.h, signatures through the ops structs,
 * no allocation.
 */
#include "porter/cam_owners.h"

#include <string.h>

#include "porter/cbor.h"

#define U63_MAX ((uint64_t)INT64_MAX)
#define CO_VERSION_V 1

enum {
	CO_VERSION = 1,
	CO_HUB = 2,
	CO_CAMERA = 3,
	CO_SERIAL = 4,
	CO_OWNERS = 5,
};
#define CO_KEY_COUNT 5

/* The message is array(3) (1) + the payload's bstr head (at most 3) +
 * payload + the signature (2 + 64) + the key id (1 + 8). */
#define MSG_OVERHEAD (1u + 3u + 2u + PT_SIG_LEN + 1u + PT_KID_LEN)
#define PAYLOAD_MAX (PT_CAM_OWNERS_MSG_MAX - MSG_OVERHEAD)
/* The largest payload: map(5) and its keys, version, hub and camera ids
 * (2 + 64 each), serial (9), array(8) of 8 keys (2 + 32 each). */
#define PAYLOAD_LARGEST (1 + CO_KEY_COUNT + 1 + 2 * (2 + PT_ID_MAX) + 9 + 1 + \
			 PT_CAM_OWNERS_MAX * (2 + PT_PK_LEN))
_Static_assert(PAYLOAD_LARGEST <= PAYLOAD_MAX, "the largest payload fits PT_CAM_OWNERS_MSG_MAX");
_Static_assert(PAYLOAD_LARGEST + MSG_OVERHEAD == 500, "the largest message is 500 bytes");
_Static_assert(PAYLOAD_MAX < 65536, "a payload's bstr head is 3 bytes at most");
_Static_assert(PT_CAM_OWNERS_MAX <= 23, "the owners array's head is one byte");
/* The domain is signed with its NUL, as every porter domain, and is no
 * other's: a live order, a health message or a clip key record never
 * verifies as this message (the unit test checks it). */

static size_t
bounded(const char *s, size_t max)
{
	size_t n = 0;

	while (n <= max && s[n] != '\0')
		n++;
	return n;
}

bool
pt_cam_owners_is_msg(const uint8_t *p, size_t len)
{
	return p != NULL && len >= 1 && p[0] == 0x83;
}

/* Ids valid, serial in range, 1..max keys, none all zero, none twice. */
static bool
owners_is_valid(const struct pt_cam_owners *o, size_t *hub_len, size_t *cam_len)
{
	static const uint8_t zero[PT_PK_LEN];
	size_t i, j;

	*hub_len = bounded(o->hub, PT_ID_MAX);
	*cam_len = bounded(o->camera, PT_ID_MAX);
	if (!pt_id_is_valid(o->hub, *hub_len) || !pt_id_is_valid(o->camera, *cam_len) ||
	    o->serial < 1 || o->serial > U63_MAX || o->n < 1 || o->n > PT_CAM_OWNERS_MAX)
		return false;
	for (i = 0; i < o->n; i++) {
		if (memcmp(o->pk[i], zero, PT_PK_LEN) == 0)
			return false;
		for (j = 0; j < i; j++)
			if (memcmp(o->pk[i], o->pk[j], PT_PK_LEN) == 0)
				return false;
	}
	return true;
}

static int
payload_encode(const struct pt_cam_owners *o, uint8_t *out, size_t cap, size_t *out_len)
{
	struct pt_cbor_wr w;
	size_t hub_len, cam_len, i;

	if (!owners_is_valid(o, &hub_len, &cam_len))
		return PT_EINVAL;
	pt_cbor_wr_init(&w, out, cap);
	pt_cbor_put_map(&w, CO_KEY_COUNT);
	pt_cbor_put_uint(&w, CO_VERSION);
	pt_cbor_put_uint(&w, CO_VERSION_V);
	pt_cbor_put_uint(&w, CO_HUB);
	pt_cbor_put_text(&w, o->hub, hub_len);
	pt_cbor_put_uint(&w, CO_CAMERA);
	pt_cbor_put_text(&w, o->camera, cam_len);
	pt_cbor_put_uint(&w, CO_SERIAL);
	pt_cbor_put_uint(&w, o->serial);
	pt_cbor_put_uint(&w, CO_OWNERS);
	pt_cbor_put_array(&w, o->n);
	for (i = 0; i < o->n; i++)
		pt_cbor_put_bytes(&w, o->pk[i], PT_PK_LEN);
	if (pt_cbor_wr_status(&w) != PT_OK)
		return PT_ENOSPC;
	*out_len = w.len;
	return PT_OK;
}

/* A porter id as a C string into out (PT_ID_MAX + 1). */
static int
read_id(struct pt_cbor_rd *rd, char out[PT_ID_MAX + 1])
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

static int
read_owners(struct pt_cbor_rd *rd, struct pt_cam_owners *o)
{
	const uint8_t *s;
	size_t sl;
	uint64_t n, i;

	if (pt_cbor_array(rd, &n) != PT_OK || n < 1 || n > PT_CAM_OWNERS_MAX)
		return PT_EMALFORMED;
	for (i = 0; i < n; i++) {
		if (pt_cbor_bytes(rd, &s, &sl) != PT_OK || sl != PT_PK_LEN)
			return PT_EMALFORMED;
		memcpy(o->pk[i], s, PT_PK_LEN);
	}
	o->n = (size_t)n;
	return PT_OK;
}

static int
payload_decode(const uint8_t *p, size_t len, struct pt_cam_owners *o)
{
	struct pt_cbor_rd rd;
	struct pt_cbor_keys keys;
	size_t hub_len, cam_len;
	uint64_t n, i, v;
	int64_t key;
	int r = PT_OK;

	pt_cbor_rd_init(&rd, p, len);
	if (pt_cbor_map(&rd, &n) != PT_OK || n != CO_KEY_COUNT)
		return PT_EMALFORMED;
	pt_cbor_key_init(&keys);
	for (i = 0; i < n && r == PT_OK; i++) {
		/* Five pairs with strictly ascending keys from 1..5: each once. */
		if (pt_cbor_key(&rd, &keys, &key) != PT_OK)
			return PT_EMALFORMED;
		switch (key) {
		case CO_VERSION:
			if (pt_cbor_uint(&rd, &v) != PT_OK || v != CO_VERSION_V)
				r = PT_EMALFORMED;
			break;
		case CO_HUB:
			r = read_id(&rd, o->hub);
			break;
		case CO_CAMERA:
			r = read_id(&rd, o->camera);
			break;
		case CO_SERIAL:
			if (pt_cbor_uint(&rd, &o->serial) != PT_OK || o->serial < 1 ||
			    o->serial > U63_MAX)
				r = PT_EMALFORMED;
			break;
		case CO_OWNERS:
			r = read_owners(&rd, o);
			break;
		default:
			r = PT_EMALFORMED;
			break;
		}
	}
	if (r != PT_OK || !pt_cbor_rd_done(&rd) || !owners_is_valid(o, &hub_len, &cam_len))
		return PT_EMALFORMED;
	return PT_OK;
}

int
pt_cam_owners_sign(const struct pt_crypto_ops *ops, const struct pt_signer *hub,
		   const struct pt_cam_owners *o, uint8_t *out, size_t cap, size_t *out_len)
{
	const size_t dl = sizeof(PT_CAM_OWNERS_DOMAIN);	/* with its NUL */
	uint8_t tbs[sizeof(PT_CAM_OWNERS_DOMAIN) + PAYLOAD_MAX];
	uint8_t sig[PT_SIG_LEN], kid[PT_KID_LEN];
	struct pt_cbor_wr w;
	size_t plen = 0;
	int r;

	if (out_len == NULL)
		return PT_EINVAL;
	*out_len = 0;
	if (out != NULL && cap > 0)
		memset(out, 0, cap);
	if (ops == NULL || ops->sha256 == NULL || hub == NULL || hub->sign == NULL || o == NULL ||
	    (out == NULL && cap != 0))
		return PT_EINVAL;
	memcpy(tbs, PT_CAM_OWNERS_DOMAIN, dl);
	if ((r = payload_encode(o, tbs + dl, sizeof(tbs) - dl, &plen)) != PT_OK)
		return r;
	if ((r = hub->sign(hub->arg, sig, tbs, dl + plen)) != PT_OK)
		return r;
	pt_kid(ops, hub->pk, kid);
	pt_cbor_wr_init(&w, out, cap);
	pt_cbor_put_array(&w, 3);
	pt_cbor_put_bytes(&w, tbs + dl, plen);
	pt_cbor_put_bytes(&w, sig, PT_SIG_LEN);
	pt_cbor_put_bytes(&w, kid, PT_KID_LEN);
	if (pt_cbor_wr_status(&w) != PT_OK) {
		if (out != NULL)
			memset(out, 0, cap);
		return PT_ENOSPC;
	}
	*out_len = w.len;
	return PT_OK;
}

int
pt_cam_owners_open(const struct pt_crypto_ops *ops, const uint8_t hub_pk[PT_PK_LEN],
		   const uint8_t *p, size_t len, struct pt_cam_owners *o)
{
	const size_t dl = sizeof(PT_CAM_OWNERS_DOMAIN);
	uint8_t tbs[sizeof(PT_CAM_OWNERS_DOMAIN) + PAYLOAD_MAX], want[PT_KID_LEN];
	const uint8_t *payload, *sig, *kid;
	struct pt_cbor_rd rd;
	size_t plen, slen, klen;
	uint64_t n;
	int r;

	if (o == NULL)
		return PT_EINVAL;
	memset(o, 0, sizeof(*o));
	if (p == NULL)
		return PT_EMALFORMED;
	if (len > PT_CAM_OWNERS_MSG_MAX)
		return PT_ETOOBIG;
	pt_cbor_rd_init(&rd, p, len);
	if (pt_cbor_array(&rd, &n) != PT_OK || n != 3 ||
	    pt_cbor_bytes(&rd, &payload, &plen) != PT_OK || plen > PAYLOAD_MAX ||
	    pt_cbor_bytes(&rd, &sig, &slen) != PT_OK || slen != PT_SIG_LEN ||
	    pt_cbor_bytes(&rd, &kid, &klen) != PT_OK || klen != PT_KID_LEN ||
	    !pt_cbor_rd_done(&rd))
		return PT_EMALFORMED;
	if (ops == NULL || ops->ed25519_verify == NULL || ops->sha256 == NULL || hub_pk == NULL)
		return PT_EBADSIG;
	pt_kid(ops, hub_pk, want);
	if (memcmp(kid, want, PT_KID_LEN) != 0)
		return PT_EUNTRUSTED;
	memcpy(tbs, PT_CAM_OWNERS_DOMAIN, dl);
	memcpy(tbs + dl, payload, plen);
	if (!ops->ed25519_verify(sig, tbs, dl + plen, hub_pk))
		return PT_EBADSIG;
	if ((r = payload_decode(payload, plen, o)) != PT_OK)
		memset(o, 0, sizeof(*o));
	return r;
}
