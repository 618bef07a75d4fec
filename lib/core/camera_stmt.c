/*
 * The owner-signed camera enrolment statement (porter/camera_stmt.h).
 * Pure: no allocation, no clock; the signature through the ops.
 */
#include "porter/camera_stmt.h"

#include <string.h>

#include "porter/cbor.h"
#include "porter/cose.h"

#define PAYLOAD_MAX 400	/* a full payload is 287 bytes */

_Static_assert(PAYLOAD_MAX + 96 <= PT_CAMERA_STMT_MAX, "statement size");

/* Protected header {1: -8, 4: bstr .size 8}, up to the kid's bytes. */
static const uint8_t prot_prefix[] = {0xa2, 0x01, 0x27, 0x04, 0x48};

/* Length of s, stopping at max + 1: a longer string is refused anyway. */
static size_t
bounded(const char *s, size_t max)
{
	size_t n = 0;

	while (n <= max && s[n] != '\0')
		n++;
	return n;
}

static bool
name_is_valid(const char *s, size_t len)
{
	return len <= PT_CAMERA_NAME_MAX &&
	       (len == 0 || pt_text_is_printable((const uint8_t *)s, len));
}

/* The rules, for the signer (before encoding) and the verifier (after
 * decoding): what one refuses, the other never produces. */
static int
check(const struct pt_camera_stmt *st)
{
	if (!pt_id_is_valid(st->home, bounded(st->home, PT_ID_MAX)) ||
	    !pt_id_is_valid(st->camera, bounded(st->camera, PT_ID_MAX)) ||
	    !name_is_valid(st->name, bounded(st->name, PT_CAMERA_NAME_MAX)) || st->iat < 0 ||
	    st->iat > PT_TIME_MAX)
		return PT_EMALFORMED;
	return PT_OK;
}

int
pt_camera_stmt_sign(const struct pt_crypto_ops *ops, const struct pt_signer *sg,
		    struct pt_camera_stmt *st, uint8_t *out, size_t cap, size_t *out_len)
{
	uint8_t payload[PAYLOAD_MAX];
	struct pt_cbor_wr w;
	int r;

	*out_len = 0;
	if ((r = check(st)) != PT_OK)
		return r;
	pt_kid(ops, sg->pk, st->kid);
	pt_cbor_wr_init(&w, payload, sizeof(payload));
	pt_cbor_put_map(&w, 6);
	pt_cbor_put_uint(&w, 1);
	pt_cbor_put_uint(&w, PT_CAMERA_STMT_VERSION);
	pt_cbor_put_uint(&w, 2);
	pt_cbor_put_text(&w, st->home, strlen(st->home));
	pt_cbor_put_uint(&w, 3);
	pt_cbor_put_text(&w, st->camera, strlen(st->camera));
	pt_cbor_put_uint(&w, 4);
	pt_cbor_put_bytes(&w, st->camera_pk, PT_PK_LEN);
	pt_cbor_put_uint(&w, 5);
	pt_cbor_put_text(&w, st->name, strlen(st->name));
	pt_cbor_put_uint(&w, 6);
	pt_cbor_put_uint(&w, (uint64_t)st->iat);
	if ((r = pt_cbor_wr_status(&w)) != PT_OK)
		return r;
	r = pt_sign1_sign(sg, st->kid, PT_KID_LEN, (const uint8_t *)PT_CAMERA_STMT_DOMAIN,
			  strlen(PT_CAMERA_STMT_DOMAIN), payload, w.len, out, cap, out_len);
	if (r == PT_OK && *out_len > PT_CAMERA_STMT_MAX) {
		memset(out, 0, *out_len);
		*out_len = 0;
		r = PT_ETOOBIG;
	}
	return r;
}

/* A key of the payload: exactly the one expected, in order. */
static bool
key_is(struct pt_cbor_rd *rd, struct pt_cbor_keys *keys, int64_t want)
{
	int64_t k;

	return pt_cbor_key(rd, keys, &k) == PT_OK && k == want;
}

/* A text item of at most max bytes, copied as a C string into dst (which
 * holds max + 1); check() judges it afterwards. An embedded NUL would
 * make the C string shorter than the item: refused here. */
static bool
read_text(struct pt_cbor_rd *rd, char *dst, size_t max)
{
	const uint8_t *p;
	size_t len;

	if (pt_cbor_text(rd, &p, &len) != PT_OK || len > max || memchr(p, '\0', len) != NULL)
		return false;
	memcpy(dst, p, len);
	dst[len] = '\0';
	return true;
}

static int
decode_payload(const uint8_t *p, size_t len, struct pt_camera_stmt *st)
{
	struct pt_cbor_rd rd;
	struct pt_cbor_keys keys;
	const uint8_t *b;
	uint64_t n, u;
	size_t blen;

	pt_cbor_rd_init(&rd, p, len);
	pt_cbor_key_init(&keys);
	if (pt_cbor_map(&rd, &n) != PT_OK || n != 6)
		return PT_EMALFORMED;
	if (!key_is(&rd, &keys, 1) || pt_cbor_uint(&rd, &u) != PT_OK ||
	    u != PT_CAMERA_STMT_VERSION)
		return PT_EMALFORMED;
	if (!key_is(&rd, &keys, 2) || !read_text(&rd, st->home, PT_ID_MAX) ||
	    !key_is(&rd, &keys, 3) || !read_text(&rd, st->camera, PT_ID_MAX))
		return PT_EMALFORMED;
	if (!key_is(&rd, &keys, 4) || pt_cbor_bytes(&rd, &b, &blen) != PT_OK || blen != PT_PK_LEN)
		return PT_EMALFORMED;
	memcpy(st->camera_pk, b, PT_PK_LEN);
	if (!key_is(&rd, &keys, 5) || !read_text(&rd, st->name, PT_CAMERA_NAME_MAX))
		return PT_EMALFORMED;
	if (!key_is(&rd, &keys, 6) || pt_cbor_uint(&rd, &u) != PT_OK || u > (uint64_t)PT_TIME_MAX)
		return PT_EMALFORMED;
	st->iat = (int64_t)u;
	if (!pt_cbor_rd_done(&rd))
		return PT_EMALFORMED;
	return check(st);
}

/* The COSE shape every statement has: tagged, EdDSA, exactly our
 * protected header, an empty unprotected one, a 64-byte signature. */
static int
decode_sign1(const uint8_t *p, size_t len, struct pt_sign1 *s)
{
	struct pt_cose_hdr h;
	int r;

	if (len > PT_CAMERA_STMT_MAX)
		return PT_ETOOBIG;
	if (pt_sign1_decode(p, len, s) != PT_OK || !s->tagged)
		return PT_EMALFORMED;
	if ((r = pt_cose_headers(s, &h)) != PT_OK)
		return r;
	if (!h.has_alg || h.alg != PT_COSE_ALG_EDDSA)
		return PT_EUNSUPPORTED;
	if (s->prot_len != sizeof(prot_prefix) + PT_KID_LEN ||
	    memcmp(s->prot, prot_prefix, sizeof(prot_prefix)) != 0 || s->unprot_len != 1 ||
	    s->unprot[0] != 0xa0 || s->sig_len != PT_SIG_LEN || s->payload_len > PAYLOAD_MAX)
		return PT_EMALFORMED;
	return PT_OK;
}

int
pt_camera_stmt_verify(const struct pt_crypto_ops *ops, const uint8_t *p, size_t len,
		      const uint8_t (*signers)[PT_PK_LEN], size_t n_signers,
		      struct pt_camera_stmt *st, size_t *signer_index)
{
	uint8_t tbs[PT_CAMERA_STMT_MAX + 64], kid[PT_KID_LEN];
	struct pt_sign1 s;
	size_t k;
	bool matched = false, ok = false;
	int r;

	memset(st, 0, sizeof(*st));
	*signer_index = 0;
	if ((r = decode_sign1(p, len, &s)) != PT_OK)
		return r;
	for (k = 0; k < n_signers && !ok; k++) {
		pt_kid(ops, signers[k], kid);
		if (memcmp(kid, s.prot + sizeof(prot_prefix), PT_KID_LEN) != 0)
			continue;
		matched = true;
		r = pt_sign1_verify(ops, &s, (const uint8_t *)PT_CAMERA_STMT_DOMAIN,
				    strlen(PT_CAMERA_STMT_DOMAIN), signers[k], tbs, sizeof(tbs));
		if (r == PT_OK) {
			ok = true;
			*signer_index = k;
		} else if (r != PT_EBADSIG) {
			return r;
		}
	}
	if (!ok)
		return matched ? PT_EBADSIG : PT_EUNTRUSTEDCMD;
	if ((r = decode_payload(s.payload, s.payload_len, st)) != PT_OK) {
		memset(st, 0, sizeof(*st));
		*signer_index = 0;
		return r;
	}
	memcpy(st->kid, s.prot + sizeof(prot_prefix), PT_KID_LEN);
	return PT_OK;
}

int
pt_camera_stmt_kid(const uint8_t *p, size_t len, uint8_t kid[PT_KID_LEN])
{
	struct pt_sign1 s;

	memset(kid, 0, PT_KID_LEN);
	if (decode_sign1(p, len, &s) != PT_OK)
		return PT_EMALFORMED;
	memcpy(kid, s.prot + sizeof(prot_prefix), PT_KID_LEN);
	return PT_OK;
}

bool
pt_camera_stmt_matches(const struct pt_camera_stmt *st, const char *home, const char *camera,
		       const uint8_t camera_pk[PT_PK_LEN], const char *name)
{
	return home != NULL && camera != NULL && strcmp(st->home, home) == 0 &&
	       strcmp(st->camera, camera) == 0 &&
	       memcmp(st->camera_pk, camera_pk, PT_PK_LEN) == 0 &&
	       (name == NULL || strcmp(st->name, name) == 0);
}
