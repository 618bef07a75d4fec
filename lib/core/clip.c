/*
 * Clips as evidence (porter/clip.h, docs/clips.md): the hub's marks to the
 * camera, the camera-signed manifest and the segment signatures. Pure:
 * strict CBOR through porter/cbor.h, signatures through the ops structs.
 */
#include "porter/clip.h"

#include <string.h>

#include "porter/cbor.h"

enum { MK_KIND = 1, MK_CLIP = 2, MK_SEQ = 3, MK_TIME = 4 };
enum {
	MF_VERSION = 1,
	MF_CAMERA = 2,
	MF_CLIP = 3,
	MF_START_SEQ = 4,
	MF_END_SEQ = 5,
	MF_START = 6,
	MF_END = 7,
	MF_CONTAINER = 8,
	MF_PREROLL = 9,
	MF_POSTROLL = 10,
	MF_SEGMENTS = 11,
	MF_KEYS = 12,
};
#define MF_KEY_COUNT 12
#define MANIFEST_VERSION 1
#define U63_MAX ((uint64_t)INT64_MAX)

/* The largest mark: map(4) + kind (1 + 1) + clip (1 + 1 + 16) + seq and
 * time (1 + 9 each). */
#define MARK_LARGEST (1 + 2 + (2 + PT_CLIP_ID_LEN) + 2 * (1 + 9))
_Static_assert(MARK_LARGEST <= PT_CLIP_MARK_MAX, "the largest mark fits");

/* One segment entry: array(4), index < 1024 (3), duration and size (5 each),
 * sha256 (2 + 32). One key entry: array(2), kid (1 + 8), sealed (2 + 80). */
#define SEG_LARGEST (1 + 3 + 5 + 5 + 2 + PT_HASH_LEN)
#define KEY_LARGEST (1 + 1 + PT_KID_LEN + 2 + PT_CLIP_SEALED_KEY_LEN)
/* map(12) and its 12 one-byte keys, version, camera (3 + 64), clip (2 + 16),
 * two seqs and two times (9 each), container (1 + 3), pre/post-roll (5 each),
 * the two array heads (3 and 1). */
#define FIXED_LARGEST (1 + MF_KEY_COUNT + 1 + (3 + PT_ID_MAX) + (2 + PT_CLIP_ID_LEN) + 4 * 9 + \
		       (1 + 3) + 2 * 5 + 3 + 1)
_Static_assert(PT_CLIP_SEGMENTS_MAX < 65536, "segment indexes and the array head fit");
_Static_assert(SEG_LARGEST <= 49 && KEY_LARGEST <= 94 && FIXED_LARGEST <= 256,
	       "the largest entries fit PT_CLIP_PAYLOAD_MAX's budget");
_Static_assert(PT_CLIP_PAYLOAD_MAX >= 256 && PT_CLIP_PAYLOAD_MAX < 65536,
	       "a payload's bstr head is 3 bytes");
/* Message: array(2) (1) + payload head (3) + payload + sig head (2) + 64. */
_Static_assert(1 + 3 + PT_CLIP_PAYLOAD_MAX + 2 + PT_SIG_LEN <= PT_CLIP_MANIFEST_MAX,
	       "the largest manifest message fits");
_Static_assert(PT_CLIP_SEGMENT_MSG_LEN == 75, "segment message: 23 + 16 + 4 + 32");
_Static_assert(PT_CLIP_SEGMENT_SIZE_MAX <= UINT32_MAX, "sizes are u32");

/* Pre- and post-roll are minutes at most; an hour is a generous bound. */
#define ROLL_MAX 3600000u

static size_t
bounded(const char *s, size_t max)
{
	size_t n = 0;

	while (n <= max && s[n] != '\0')
		n++;
	return n;
}

static bool
mark_is_valid(const struct pt_clip_mark *m)
{
	return (m->kind == PT_CLIP_MARK_START || m->kind == PT_CLIP_MARK_END) &&
	       m->event_seq >= 1 && m->event_seq <= U63_MAX && m->time_ms <= U63_MAX;
}

int
pt_clip_mark_encode(const struct pt_clip_mark *m, uint8_t *out, size_t cap, size_t *out_len)
{
	struct pt_cbor_wr w;

	if (out_len == NULL)
		return PT_EINVAL;
	*out_len = 0;
	if (m == NULL || (out == NULL && cap != 0) || !mark_is_valid(m))
		return PT_EINVAL;
	pt_cbor_wr_init(&w, out, cap < PT_CLIP_MARK_MAX ? cap : PT_CLIP_MARK_MAX);
	pt_cbor_put_map(&w, 4);
	pt_cbor_put_uint(&w, MK_KIND);
	pt_cbor_put_uint(&w, m->kind);
	pt_cbor_put_uint(&w, MK_CLIP);
	pt_cbor_put_bytes(&w, m->clip, PT_CLIP_ID_LEN);
	pt_cbor_put_uint(&w, MK_SEQ);
	pt_cbor_put_uint(&w, m->event_seq);
	pt_cbor_put_uint(&w, MK_TIME);
	pt_cbor_put_uint(&w, m->time_ms);
	if (pt_cbor_wr_status(&w) != PT_OK)
		return PT_ENOSPC;
	*out_len = w.len;
	return PT_OK;
}

int
pt_clip_mark_decode(const uint8_t *p, size_t len, struct pt_clip_mark *m)
{
	struct pt_cbor_rd rd;
	struct pt_cbor_keys keys;
	const uint8_t *s;
	size_t sl;
	uint64_t n, i, v;
	int64_t key;
	int r = PT_EMALFORMED;

	if (m == NULL)
		return PT_EINVAL;
	memset(m, 0, sizeof(*m));
	if (p == NULL)
		goto fail;
	if (len > PT_CLIP_MARK_MAX) {
		r = PT_ETOOBIG;
		goto fail;
	}
	pt_cbor_rd_init(&rd, p, len);
	if (pt_cbor_map(&rd, &n) != PT_OK || n != 4)
		goto fail;
	pt_cbor_key_init(&keys);
	for (i = 0; i < n; i++) {
		/* Four pairs with strictly ascending keys from 1..4: each once. */
		if (pt_cbor_key(&rd, &keys, &key) != PT_OK)
			goto fail;
		switch (key) {
		case MK_KIND:
			if (pt_cbor_uint(&rd, &v) != PT_OK ||
			    (v != PT_CLIP_MARK_START && v != PT_CLIP_MARK_END))
				goto fail;
			m->kind = (uint8_t)v;
			break;
		case MK_CLIP:
			if (pt_cbor_bytes(&rd, &s, &sl) != PT_OK || sl != PT_CLIP_ID_LEN)
				goto fail;
			memcpy(m->clip, s, sl);
			break;
		case MK_SEQ:
			if (pt_cbor_uint(&rd, &v) != PT_OK || v < 1 || v > U63_MAX)
				goto fail;
			m->event_seq = v;
			break;
		case MK_TIME:
			if (pt_cbor_uint(&rd, &v) != PT_OK || v > U63_MAX)
				goto fail;
			m->time_ms = v;
			break;
		default:
			goto fail;
		}
	}
	if (!pt_cbor_rd_done(&rd) || !mark_is_valid(m))
		goto fail;
	return PT_OK;
fail:
	memset(m, 0, sizeof(*m));
	return r;
}

static bool
container_is_valid(const char *c, size_t len)
{
	return (len == 3 && memcmp(c, "mp4", 3) == 0) || (len == 2 && memcmp(c, "ts", 2) == 0);
}

/* Everything the decoder refuses, checked on a struct (the encoder refuses
 * to write what the decoder would refuse). */
static bool
manifest_is_valid(const struct pt_clip_manifest *m, size_t *cam_len, size_t *cont_len)
{
	size_t i, j;

	*cam_len = bounded(m->camera, PT_ID_MAX);
	*cont_len = bounded(m->container, sizeof(m->container) - 1);
	if (!pt_id_is_valid(m->camera, *cam_len) || !container_is_valid(m->container, *cont_len))
		return false;
	if (m->start_seq < 1 || m->start_seq > U63_MAX || m->end_seq > U63_MAX ||
	    (m->end_seq != 0 && m->end_seq < m->start_seq))
		return false;
	if (m->end_ms > U63_MAX || m->end_ms < m->start_ms)
		return false;
	if (m->preroll_ms > ROLL_MAX || m->postroll_ms > ROLL_MAX)
		return false;
	if (m->n_segments < 1 || m->n_segments > PT_CLIP_SEGMENTS_MAX)
		return false;
	for (i = 0; i < m->n_segments; i++)
		if (m->seg[i].index != i || m->seg[i].size < 1 ||
		    m->seg[i].size > PT_CLIP_SEGMENT_SIZE_MAX)
			return false;
	if (m->n_keys < 1 || m->n_keys > PT_CLIP_RECIPIENTS_MAX)
		return false;
	for (i = 0; i < m->n_keys; i++)
		for (j = 0; j < i; j++)
			if (memcmp(m->key[i].kid, m->key[j].kid, PT_KID_LEN) == 0)
				return false;
	return true;
}

int
pt_clip_manifest_encode(const struct pt_clip_manifest *m, uint8_t *out, size_t cap,
			size_t *out_len)
{
	struct pt_cbor_wr w;
	size_t cam_len, cont_len, i;

	if (out_len == NULL)
		return PT_EINVAL;
	*out_len = 0;
	if (m == NULL || (out == NULL && cap != 0) || !manifest_is_valid(m, &cam_len, &cont_len))
		return PT_EINVAL;
	pt_cbor_wr_init(&w, out, cap < PT_CLIP_PAYLOAD_MAX ? cap : PT_CLIP_PAYLOAD_MAX);
	pt_cbor_put_map(&w, MF_KEY_COUNT);
	pt_cbor_put_uint(&w, MF_VERSION);
	pt_cbor_put_uint(&w, MANIFEST_VERSION);
	pt_cbor_put_uint(&w, MF_CAMERA);
	pt_cbor_put_text(&w, m->camera, cam_len);
	pt_cbor_put_uint(&w, MF_CLIP);
	pt_cbor_put_bytes(&w, m->clip, PT_CLIP_ID_LEN);
	pt_cbor_put_uint(&w, MF_START_SEQ);
	pt_cbor_put_uint(&w, m->start_seq);
	pt_cbor_put_uint(&w, MF_END_SEQ);
	pt_cbor_put_uint(&w, m->end_seq);
	pt_cbor_put_uint(&w, MF_START);
	pt_cbor_put_uint(&w, m->start_ms);
	pt_cbor_put_uint(&w, MF_END);
	pt_cbor_put_uint(&w, m->end_ms);
	pt_cbor_put_uint(&w, MF_CONTAINER);
	pt_cbor_put_text(&w, m->container, cont_len);
	pt_cbor_put_uint(&w, MF_PREROLL);
	pt_cbor_put_uint(&w, m->preroll_ms);
	pt_cbor_put_uint(&w, MF_POSTROLL);
	pt_cbor_put_uint(&w, m->postroll_ms);
	pt_cbor_put_uint(&w, MF_SEGMENTS);
	pt_cbor_put_array(&w, m->n_segments);
	for (i = 0; i < m->n_segments; i++) {
		pt_cbor_put_array(&w, 4);
		pt_cbor_put_uint(&w, m->seg[i].index);
		pt_cbor_put_uint(&w, m->seg[i].duration_ms);
		pt_cbor_put_uint(&w, m->seg[i].size);
		pt_cbor_put_bytes(&w, m->seg[i].sha256, PT_HASH_LEN);
	}
	pt_cbor_put_uint(&w, MF_KEYS);
	pt_cbor_put_array(&w, m->n_keys);
	for (i = 0; i < m->n_keys; i++) {
		pt_cbor_put_array(&w, 2);
		pt_cbor_put_bytes(&w, m->key[i].kid, PT_KID_LEN);
		pt_cbor_put_bytes(&w, m->key[i].sealed, PT_CLIP_SEALED_KEY_LEN);
	}
	if (pt_cbor_wr_status(&w) != PT_OK)
		return PT_ENOSPC;
	*out_len = w.len;
	return PT_OK;
}

static int
read_u32(struct pt_cbor_rd *rd, uint32_t min, uint32_t max, uint32_t *v)
{
	uint64_t u;

	if (pt_cbor_uint(rd, &u) != PT_OK || u < min || u > max)
		return PT_EMALFORMED;
	*v = (uint32_t)u;
	return PT_OK;
}

static int
read_u63(struct pt_cbor_rd *rd, uint64_t min, uint64_t *v)
{
	if (pt_cbor_uint(rd, v) != PT_OK || *v < min || *v > U63_MAX)
		return PT_EMALFORMED;
	return PT_OK;
}

static int
read_text(struct pt_cbor_rd *rd, char *out, size_t cap)
{
	const uint8_t *s;
	size_t sl;

	if (pt_cbor_text(rd, &s, &sl) != PT_OK || sl >= cap)
		return PT_EMALFORMED;
	memcpy(out, s, sl);
	out[sl] = '\0';
	return PT_OK;
}

static int
read_camera(struct pt_cbor_rd *rd, char out[PT_ID_MAX + 1])
{
	if (read_text(rd, out, PT_ID_MAX + 1) != PT_OK ||
	    !pt_id_is_valid(out, bounded(out, PT_ID_MAX)))
		return PT_EMALFORMED;
	return PT_OK;
}

static int
read_segments(struct pt_cbor_rd *rd, struct pt_clip_manifest *m)
{
	const uint8_t *s;
	size_t sl;
	uint64_t n, i, k;

	if (pt_cbor_array(rd, &n) != PT_OK || n < 1 || n > PT_CLIP_SEGMENTS_MAX)
		return PT_EMALFORMED;
	for (i = 0; i < n; i++) {
		struct pt_clip_segment *g = &m->seg[i];

		if (pt_cbor_array(rd, &k) != PT_OK || k != 4 ||
		    read_u32(rd, (uint32_t)i, (uint32_t)i, &g->index) != PT_OK ||
		    read_u32(rd, 0, UINT32_MAX, &g->duration_ms) != PT_OK ||
		    read_u32(rd, 1, PT_CLIP_SEGMENT_SIZE_MAX, &g->size) != PT_OK ||
		    pt_cbor_bytes(rd, &s, &sl) != PT_OK || sl != PT_HASH_LEN)
			return PT_EMALFORMED;
		memcpy(g->sha256, s, PT_HASH_LEN);
	}
	m->n_segments = (size_t)n;
	return PT_OK;
}

/* The recipients [ + [ kid, sealed ] ] of a manifest or a key record. */
static int
read_recipients(struct pt_cbor_rd *rd, struct pt_clip_recipient key[PT_CLIP_RECIPIENTS_MAX],
		size_t *n_keys)
{
	const uint8_t *s;
	size_t sl;
	uint64_t n, i, j, k;

	if (pt_cbor_array(rd, &n) != PT_OK || n < 1 || n > PT_CLIP_RECIPIENTS_MAX)
		return PT_EMALFORMED;
	for (i = 0; i < n; i++) {
		struct pt_clip_recipient *c = &key[i];

		if (pt_cbor_array(rd, &k) != PT_OK || k != 2 ||
		    pt_cbor_bytes(rd, &s, &sl) != PT_OK || sl != PT_KID_LEN)
			return PT_EMALFORMED;
		memcpy(c->kid, s, PT_KID_LEN);
		if (pt_cbor_bytes(rd, &s, &sl) != PT_OK || sl != PT_CLIP_SEALED_KEY_LEN)
			return PT_EMALFORMED;
		memcpy(c->sealed, s, PT_CLIP_SEALED_KEY_LEN);
		for (j = 0; j < i; j++)
			if (memcmp(key[j].kid, c->kid, PT_KID_LEN) == 0)
				return PT_EMALFORMED;
	}
	*n_keys = (size_t)n;
	return PT_OK;
}

static int
read_keys(struct pt_cbor_rd *rd, struct pt_clip_manifest *m)
{
	return read_recipients(rd, m->key, &m->n_keys);
}

int
pt_clip_manifest_decode(const uint8_t *p, size_t len, struct pt_clip_manifest *m)
{
	struct pt_cbor_rd rd;
	struct pt_cbor_keys keys;
	const uint8_t *s;
	size_t sl, cam_len, cont_len;
	uint64_t n, i, v;
	int64_t key;
	int r = PT_EMALFORMED;

	if (m == NULL)
		return PT_EINVAL;
	memset(m, 0, sizeof(*m));
	if (p == NULL)
		goto fail;
	if (len > PT_CLIP_PAYLOAD_MAX) {
		r = PT_ETOOBIG;
		goto fail;
	}
	pt_cbor_rd_init(&rd, p, len);
	if (pt_cbor_map(&rd, &n) != PT_OK || n != MF_KEY_COUNT)
		goto fail;
	pt_cbor_key_init(&keys);
	for (i = 0; i < n; i++) {
		/* Twelve pairs with strictly ascending keys from 1..12: each once. */
		if (pt_cbor_key(&rd, &keys, &key) != PT_OK)
			goto fail;
		switch (key) {
		case MF_VERSION:
			if (pt_cbor_uint(&rd, &v) != PT_OK || v != MANIFEST_VERSION)
				goto fail;
			break;
		case MF_CAMERA:
			if (read_camera(&rd, m->camera) != PT_OK)
				goto fail;
			break;
		case MF_CLIP:
			if (pt_cbor_bytes(&rd, &s, &sl) != PT_OK || sl != PT_CLIP_ID_LEN)
				goto fail;
			memcpy(m->clip, s, sl);
			break;
		case MF_START_SEQ:
			if (read_u63(&rd, 1, &m->start_seq) != PT_OK)
				goto fail;
			break;
		case MF_END_SEQ:
			if (read_u63(&rd, 0, &m->end_seq) != PT_OK)
				goto fail;
			break;
		case MF_START:
			if (read_u63(&rd, 0, &m->start_ms) != PT_OK)
				goto fail;
			break;
		case MF_END:
			if (read_u63(&rd, 0, &m->end_ms) != PT_OK)
				goto fail;
			break;
		case MF_CONTAINER:
			if (read_text(&rd, m->container, sizeof(m->container)) != PT_OK)
				goto fail;
			break;
		case MF_PREROLL:
			if (read_u32(&rd, 0, ROLL_MAX, &m->preroll_ms) != PT_OK)
				goto fail;
			break;
		case MF_POSTROLL:
			if (read_u32(&rd, 0, ROLL_MAX, &m->postroll_ms) != PT_OK)
				goto fail;
			break;
		case MF_SEGMENTS:
			if (read_segments(&rd, m) != PT_OK)
				goto fail;
			break;
		case MF_KEYS:
			if (read_keys(&rd, m) != PT_OK)
				goto fail;
			break;
		default:
			goto fail;
		}
	}
	if (!pt_cbor_rd_done(&rd) || !manifest_is_valid(m, &cam_len, &cont_len))
		goto fail;
	return PT_OK;
fail:
	memset(m, 0, sizeof(*m));
	return r;
}

int
pt_clip_manifest_sign(const struct pt_signer *sg, const struct pt_clip_manifest *m,
		      uint8_t *out, size_t cap, size_t *out_len)
{
	const size_t dl = sizeof(PT_CLIP_MANIFEST_DOMAIN);	/* with its NUL */
	uint8_t sig[PT_SIG_LEN];
	struct pt_cbor_wr w;
	size_t plen, hl, total;
	int r;

	if (out_len == NULL)
		return PT_EINVAL;
	*out_len = 0;
	if (sg == NULL || sg->sign == NULL || (out == NULL && cap != 0))
		return PT_EINVAL;
	if (cap < dl)
		return PT_ENOSPC;
	/* Encode the payload right after the domain, so domain || payload
	 * is signed in place without a second 50 KiB buffer. */
	if ((r = pt_clip_manifest_encode(m, out + dl, cap - dl, &plen)) != PT_OK)
		return r;
	hl = plen < 24 ? 1 : plen < 256 ? 2 : 3;
	total = 1 + hl + plen + 2 + PT_SIG_LEN;
	if (total > cap) {
		r = PT_ENOSPC;
		goto wipe;
	}
	memcpy(out, PT_CLIP_MANIFEST_DOMAIN, dl);
	if ((r = sg->sign(sg->arg, sig, out, dl + plen)) != PT_OK)
		goto wipe;
	memmove(out + 1 + hl, out + dl, plen);
	/* array(2), then the payload's bstr head (shortest form). */
	out[0] = 0x82;
	if (hl == 1) {
		out[1] = (uint8_t)(0x40u | plen);
	} else if (hl == 2) {
		out[1] = 0x58;
		out[2] = (uint8_t)plen;
	} else {
		out[1] = 0x59;
		out[2] = (uint8_t)(plen >> 8);
		out[3] = (uint8_t)plen;
	}
	pt_cbor_wr_init(&w, out + 1 + hl + plen, 2 + PT_SIG_LEN);
	pt_cbor_put_bytes(&w, sig, PT_SIG_LEN);
	if (pt_cbor_wr_status(&w) != PT_OK) {
		r = PT_ENOSPC;
		goto wipe;
	}
	*out_len = total;
	return PT_OK;
wipe:
	memset(out, 0, cap);
	return r;
}

/* The outer [payload, signature] of a signed message (a manifest or a
 * key record), within its bounds. */
static int
split_max(const uint8_t *p, size_t len, size_t msg_max, size_t payload_max,
	  const uint8_t **payload, size_t *plen, const uint8_t **sig)
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

static int
split(const uint8_t *p, size_t len, const uint8_t **payload, size_t *plen, const uint8_t **sig)
{
	return split_max(p, len, PT_CLIP_MANIFEST_MAX, PT_CLIP_PAYLOAD_MAX, payload, plen, sig);
}

int
pt_clip_manifest_open(const struct pt_crypto_ops *ops, const uint8_t cam_pk[PT_PK_LEN],
		      const uint8_t *p, size_t len, struct pt_clip_manifest *m)
{
	uint8_t tbs[sizeof(PT_CLIP_MANIFEST_DOMAIN) + PT_CLIP_PAYLOAD_MAX];
	const uint8_t *payload, *sig;
	size_t plen;
	int r;

	if (m == NULL)
		return PT_EINVAL;
	memset(m, 0, sizeof(*m));
	if ((r = split(p, len, &payload, &plen, &sig)) != PT_OK)
		return r;
	/* The signature first: nothing of an unsigned payload is read. */
	if (ops == NULL || ops->ed25519_verify == NULL || cam_pk == NULL)
		return PT_EBADSIG;
	memcpy(tbs, PT_CLIP_MANIFEST_DOMAIN, sizeof(PT_CLIP_MANIFEST_DOMAIN));
	memcpy(tbs + sizeof(PT_CLIP_MANIFEST_DOMAIN), payload, plen);
	if (!ops->ed25519_verify(sig, tbs, sizeof(PT_CLIP_MANIFEST_DOMAIN) + plen, cam_pk))
		return PT_EBADSIG;
	return pt_clip_manifest_decode(payload, plen, m);
}

int
pt_clip_manifest_camera(const uint8_t *p, size_t len, char out[PT_ID_MAX + 1])
{
	struct pt_cbor_rd rd;
	struct pt_cbor_keys keys;
	const uint8_t *payload, *sig;
	size_t plen;
	uint64_t n, v;
	int64_t key;

	if (out == NULL)
		return PT_EINVAL;
	memset(out, 0, PT_ID_MAX + 1);
	if (split(p, len, &payload, &plen, &sig) != PT_OK)
		return PT_EMALFORMED;
	pt_cbor_rd_init(&rd, payload, plen);
	pt_cbor_key_init(&keys);
	if (pt_cbor_map(&rd, &n) != PT_OK || n != MF_KEY_COUNT ||
	    pt_cbor_key(&rd, &keys, &key) != PT_OK || key != MF_VERSION ||
	    pt_cbor_uint(&rd, &v) != PT_OK || v != MANIFEST_VERSION ||
	    pt_cbor_key(&rd, &keys, &key) != PT_OK || key != MF_CAMERA ||
	    read_camera(&rd, out) != PT_OK) {
		memset(out, 0, PT_ID_MAX + 1);
		return PT_EMALFORMED;
	}
	return PT_OK;
}

/* ---- key record ---- */

enum { KR_VERSION = 1, KR_CAMERA = 2, KR_CLIP = 3, KR_START_SEQ = 4, KR_START = 5,
       KR_CONTAINER = 6, KR_KEYS = 7 };
#define KR_KEY_COUNT 7
#define KEYREC_VERSION 1
/* map(7) and its keys, version, camera (2 + 64), clip (2 + 16), seq and
 * start (9 each), container (1 + 3), the keys' array head. */
#define KR_FIXED_LARGEST (1 + KR_KEY_COUNT + 1 + (2 + PT_ID_MAX) + (2 + PT_CLIP_ID_LEN) + 2 * 9 + \
			  (1 + 3) + 1)
_Static_assert(KR_FIXED_LARGEST + PT_CLIP_RECIPIENTS_MAX * KEY_LARGEST <= PT_CLIP_KEYREC_PAYLOAD_MAX,
	       "the largest key record payload fits PT_CLIP_KEYREC_PAYLOAD_MAX");
_Static_assert(PT_CLIP_KEYREC_PAYLOAD_MAX >= 256 && PT_CLIP_KEYREC_PAYLOAD_MAX < 65536,
	       "a key record payload's bstr head is 3 bytes at most");
_Static_assert(1 + 3 + PT_CLIP_KEYREC_PAYLOAD_MAX + 2 + PT_SIG_LEN <= PT_CLIP_KEYREC_MAX,
	       "the largest key record message fits");
_Static_assert(sizeof(PT_CLIP_KEYREC_DOMAIN) != sizeof(PT_CLIP_MANIFEST_DOMAIN) &&
		       sizeof(PT_CLIP_KEYREC_DOMAIN) != sizeof(PT_CLIP_SEGMENT_DOMAIN),
	       "the three signature domains differ; each is signed with its NUL, so none is a"
	       " prefix of another");

static bool
keyrec_is_valid(const struct pt_clip_keyrec *k, size_t *cam_len, size_t *cont_len)
{
	size_t i, j;

	*cam_len = bounded(k->camera, PT_ID_MAX);
	*cont_len = bounded(k->container, sizeof(k->container) - 1);
	if (!pt_id_is_valid(k->camera, *cam_len) || !container_is_valid(k->container, *cont_len))
		return false;
	if (k->start_seq < 1 || k->start_seq > U63_MAX || k->start_ms > U63_MAX)
		return false;
	if (k->n_keys < 1 || k->n_keys > PT_CLIP_RECIPIENTS_MAX)
		return false;
	for (i = 0; i < k->n_keys; i++)
		for (j = 0; j < i; j++)
			if (memcmp(k->key[i].kid, k->key[j].kid, PT_KID_LEN) == 0)
				return false;
	return true;
}

int
pt_clip_keyrec_encode(const struct pt_clip_keyrec *k, uint8_t *out, size_t cap, size_t *out_len)
{
	struct pt_cbor_wr w;
	size_t cam_len, cont_len, i;

	if (out_len == NULL)
		return PT_EINVAL;
	*out_len = 0;
	if (k == NULL || (out == NULL && cap != 0) || !keyrec_is_valid(k, &cam_len, &cont_len))
		return PT_EINVAL;
	pt_cbor_wr_init(&w, out, cap < PT_CLIP_KEYREC_PAYLOAD_MAX ? cap : PT_CLIP_KEYREC_PAYLOAD_MAX);
	pt_cbor_put_map(&w, KR_KEY_COUNT);
	pt_cbor_put_uint(&w, KR_VERSION);
	pt_cbor_put_uint(&w, KEYREC_VERSION);
	pt_cbor_put_uint(&w, KR_CAMERA);
	pt_cbor_put_text(&w, k->camera, cam_len);
	pt_cbor_put_uint(&w, KR_CLIP);
	pt_cbor_put_bytes(&w, k->clip, PT_CLIP_ID_LEN);
	pt_cbor_put_uint(&w, KR_START_SEQ);
	pt_cbor_put_uint(&w, k->start_seq);
	pt_cbor_put_uint(&w, KR_START);
	pt_cbor_put_uint(&w, k->start_ms);
	pt_cbor_put_uint(&w, KR_CONTAINER);
	pt_cbor_put_text(&w, k->container, cont_len);
	pt_cbor_put_uint(&w, KR_KEYS);
	pt_cbor_put_array(&w, k->n_keys);
	for (i = 0; i < k->n_keys; i++) {
		pt_cbor_put_array(&w, 2);
		pt_cbor_put_bytes(&w, k->key[i].kid, PT_KID_LEN);
		pt_cbor_put_bytes(&w, k->key[i].sealed, PT_CLIP_SEALED_KEY_LEN);
	}
	if (pt_cbor_wr_status(&w) != PT_OK)
		return PT_ENOSPC;
	*out_len = w.len;
	return PT_OK;
}

int
pt_clip_keyrec_decode(const uint8_t *p, size_t len, struct pt_clip_keyrec *k)
{
	struct pt_cbor_rd rd;
	struct pt_cbor_keys keys;
	const uint8_t *s;
	size_t sl, cam_len, cont_len;
	uint64_t n, i, v;
	int64_t key;
	int r = PT_EMALFORMED;

	if (k == NULL)
		return PT_EINVAL;
	memset(k, 0, sizeof(*k));
	if (p == NULL)
		goto fail;
	if (len > PT_CLIP_KEYREC_PAYLOAD_MAX) {
		r = PT_ETOOBIG;
		goto fail;
	}
	pt_cbor_rd_init(&rd, p, len);
	if (pt_cbor_map(&rd, &n) != PT_OK || n != KR_KEY_COUNT)
		goto fail;
	pt_cbor_key_init(&keys);
	for (i = 0; i < n; i++) {
		/* Seven pairs with strictly ascending keys from 1..7: each once. */
		if (pt_cbor_key(&rd, &keys, &key) != PT_OK)
			goto fail;
		switch (key) {
		case KR_VERSION:
			if (pt_cbor_uint(&rd, &v) != PT_OK || v != KEYREC_VERSION)
				goto fail;
			break;
		case KR_CAMERA:
			if (read_camera(&rd, k->camera) != PT_OK)
				goto fail;
			break;
		case KR_CLIP:
			if (pt_cbor_bytes(&rd, &s, &sl) != PT_OK || sl != PT_CLIP_ID_LEN)
				goto fail;
			memcpy(k->clip, s, sl);
			break;
		case KR_START_SEQ:
			if (read_u63(&rd, 1, &k->start_seq) != PT_OK)
				goto fail;
			break;
		case KR_START:
			if (read_u63(&rd, 0, &k->start_ms) != PT_OK)
				goto fail;
			break;
		case KR_CONTAINER:
			if (read_text(&rd, k->container, sizeof(k->container)) != PT_OK)
				goto fail;
			break;
		case KR_KEYS:
			if (read_recipients(&rd, k->key, &k->n_keys) != PT_OK)
				goto fail;
			break;
		default:
			goto fail;
		}
	}
	if (!pt_cbor_rd_done(&rd) || !keyrec_is_valid(k, &cam_len, &cont_len))
		goto fail;
	return PT_OK;
fail:
	memset(k, 0, sizeof(*k));
	return r;
}

int
pt_clip_keyrec_sign(const struct pt_signer *sg, const struct pt_clip_keyrec *k, uint8_t *out,
		    size_t cap, size_t *out_len)
{
	const size_t dl = sizeof(PT_CLIP_KEYREC_DOMAIN);	/* with its NUL */
	uint8_t tbs[sizeof(PT_CLIP_KEYREC_DOMAIN) + PT_CLIP_KEYREC_PAYLOAD_MAX];
	uint8_t sig[PT_SIG_LEN];
	struct pt_cbor_wr w;
	size_t plen;
	int r;

	if (out_len == NULL)
		return PT_EINVAL;
	*out_len = 0;
	if (sg == NULL || sg->sign == NULL || (out == NULL && cap != 0))
		return PT_EINVAL;
	memcpy(tbs, PT_CLIP_KEYREC_DOMAIN, dl);
	if ((r = pt_clip_keyrec_encode(k, tbs + dl, sizeof(tbs) - dl, &plen)) != PT_OK)
		return r;
	if ((r = sg->sign(sg->arg, sig, tbs, dl + plen)) != PT_OK)
		return r;
	pt_cbor_wr_init(&w, out, cap);
	pt_cbor_put_array(&w, 2);
	pt_cbor_put_bytes(&w, tbs + dl, plen);
	pt_cbor_put_bytes(&w, sig, PT_SIG_LEN);
	if (pt_cbor_wr_status(&w) != PT_OK) {
		if (out != NULL)
			memset(out, 0, cap);
		return PT_ENOSPC;
	}
	*out_len = w.len;
	return PT_OK;
}

int
pt_clip_keyrec_open(const struct pt_crypto_ops *ops, const uint8_t cam_pk[PT_PK_LEN],
		    const uint8_t *p, size_t len, struct pt_clip_keyrec *k)
{
	uint8_t tbs[sizeof(PT_CLIP_KEYREC_DOMAIN) + PT_CLIP_KEYREC_PAYLOAD_MAX];
	const uint8_t *payload, *sig;
	size_t plen;
	int r;

	if (k == NULL)
		return PT_EINVAL;
	memset(k, 0, sizeof(*k));
	if ((r = split_max(p, len, PT_CLIP_KEYREC_MAX, PT_CLIP_KEYREC_PAYLOAD_MAX, &payload, &plen,
			   &sig)) != PT_OK)
		return r;
	/* The signature first: nothing of an unsigned payload is read. */
	if (ops == NULL || ops->ed25519_verify == NULL || cam_pk == NULL)
		return PT_EBADSIG;
	memcpy(tbs, PT_CLIP_KEYREC_DOMAIN, sizeof(PT_CLIP_KEYREC_DOMAIN));
	memcpy(tbs + sizeof(PT_CLIP_KEYREC_DOMAIN), payload, plen);
	if (!ops->ed25519_verify(sig, tbs, sizeof(PT_CLIP_KEYREC_DOMAIN) + plen, cam_pk))
		return PT_EBADSIG;
	return pt_clip_keyrec_decode(payload, plen, k);
}

int
pt_clip_keyrec_camera(const uint8_t *p, size_t len, char out[PT_ID_MAX + 1])
{
	struct pt_cbor_rd rd;
	struct pt_cbor_keys keys;
	const uint8_t *payload, *sig;
	size_t plen;
	uint64_t n, v;
	int64_t key;

	if (out == NULL)
		return PT_EINVAL;
	memset(out, 0, PT_ID_MAX + 1);
	if (split_max(p, len, PT_CLIP_KEYREC_MAX, PT_CLIP_KEYREC_PAYLOAD_MAX, &payload, &plen,
		      &sig) != PT_OK)
		return PT_EMALFORMED;
	pt_cbor_rd_init(&rd, payload, plen);
	pt_cbor_key_init(&keys);
	if (pt_cbor_map(&rd, &n) != PT_OK || n != KR_KEY_COUNT ||
	    pt_cbor_key(&rd, &keys, &key) != PT_OK || key != KR_VERSION ||
	    pt_cbor_uint(&rd, &v) != PT_OK || v != KEYREC_VERSION ||
	    pt_cbor_key(&rd, &keys, &key) != PT_OK || key != KR_CAMERA ||
	    read_camera(&rd, out) != PT_OK) {
		memset(out, 0, PT_ID_MAX + 1);
		return PT_EMALFORMED;
	}
	return PT_OK;
}

bool
pt_clip_keyrec_matches(const struct pt_clip_keyrec *k, const struct pt_clip_manifest *m)
{
	if (k == NULL || m == NULL)
		return false;
	return strncmp(k->camera, m->camera, PT_ID_MAX + 1) == 0 &&
	       memcmp(k->clip, m->clip, PT_CLIP_ID_LEN) == 0 && k->start_seq == m->start_seq &&
	       strncmp(k->container, m->container, sizeof(k->container)) == 0 &&
	       k->n_keys == m->n_keys && k->n_keys <= PT_CLIP_RECIPIENTS_MAX &&
	       memcmp(k->key, m->key, k->n_keys * sizeof(k->key[0])) == 0;
}

void
pt_clip_segment_msg(const uint8_t clip[PT_CLIP_ID_LEN], uint32_t index,
		    const uint8_t sha256[PT_HASH_LEN], uint8_t out[PT_CLIP_SEGMENT_MSG_LEN])
{
	size_t o = sizeof(PT_CLIP_SEGMENT_DOMAIN);	/* with its NUL */

	memcpy(out, PT_CLIP_SEGMENT_DOMAIN, o);
	memcpy(out + o, clip, PT_CLIP_ID_LEN);
	o += PT_CLIP_ID_LEN;
	out[o++] = (uint8_t)(index >> 24);
	out[o++] = (uint8_t)(index >> 16);
	out[o++] = (uint8_t)(index >> 8);
	out[o++] = (uint8_t)index;
	memcpy(out + o, sha256, PT_HASH_LEN);
}

int
pt_clip_segment_sign(const struct pt_signer *sg, const uint8_t clip[PT_CLIP_ID_LEN],
		     uint32_t index, const uint8_t sha256[PT_HASH_LEN], uint8_t sig[PT_SIG_LEN])
{
	uint8_t msg[PT_CLIP_SEGMENT_MSG_LEN];
	int r;

	if (sig == NULL)
		return PT_EINVAL;
	memset(sig, 0, PT_SIG_LEN);
	if (sg == NULL || sg->sign == NULL || clip == NULL || sha256 == NULL)
		return PT_EINVAL;
	pt_clip_segment_msg(clip, index, sha256, msg);
	if ((r = sg->sign(sg->arg, sig, msg, sizeof(msg))) != PT_OK)
		memset(sig, 0, PT_SIG_LEN);
	return r;
}

int
pt_clip_segment_verify(const struct pt_crypto_ops *ops, const uint8_t cam_pk[PT_PK_LEN],
		       const uint8_t clip[PT_CLIP_ID_LEN], uint32_t index,
		       const uint8_t sha256[PT_HASH_LEN], const uint8_t sig[PT_SIG_LEN])
{
	uint8_t msg[PT_CLIP_SEGMENT_MSG_LEN];

	if (ops == NULL || ops->ed25519_verify == NULL || cam_pk == NULL || clip == NULL ||
	    sha256 == NULL || sig == NULL)
		return PT_EBADSIG;
	pt_clip_segment_msg(clip, index, sha256, msg);
	return ops->ed25519_verify(sig, msg, sizeof(msg), cam_pk) ? PT_OK : PT_EBADSIG;
}

void
pt_clip_id_text(const uint8_t clip[PT_CLIP_ID_LEN], char out[2 * PT_CLIP_ID_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < PT_CLIP_ID_LEN; i++) {
		out[2 * i] = hex[clip[i] >> 4];
		out[2 * i + 1] = hex[clip[i] & 0xfu];
	}
	out[2 * PT_CLIP_ID_LEN] = '\0';
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int
pt_clip_id_parse(const char *text, uint8_t clip[PT_CLIP_ID_LEN])
{
	size_t i;
	int hi, lo;

	if (clip == NULL)
		return PT_EINVAL;
	memset(clip, 0, PT_CLIP_ID_LEN);
	if (text == NULL || bounded(text, 2 * PT_CLIP_ID_LEN) != 2 * PT_CLIP_ID_LEN)
		return PT_EMALFORMED;
	for (i = 0; i < PT_CLIP_ID_LEN; i++) {
		hi = hexval(text[2 * i]);
		lo = hexval(text[2 * i + 1]);
		if (hi < 0 || lo < 0) {
			memset(clip, 0, PT_CLIP_ID_LEN);
			return PT_EMALFORMED;
		}
		clip[i] = (uint8_t)(hi << 4 | lo);
	}
	return PT_OK;
}
