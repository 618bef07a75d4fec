/*
 * Signed commands and revocations.
 */
#include "porter/envelope.h"

#include <string.h>

#include "porter/cbor.h"
#include "porter/cose.h"

static const uint8_t prot_prefix[] = {0xa2, 0x01, 0x27, 0x04, 0x48};

static const char *
aad_of(unsigned kind)
{
	return kind == PT_ENV_COMMAND ? PT_AAD_COMMAND : PT_AAD_REVOCATION;
}

static size_t
bounded(const char *s)
{
	size_t n = 0;

	while (n <= PT_ID_MAX && s[n] != '\0')
		n++;
	return n;
}

static int
check(const struct pt_envelope *e)
{
	size_t n;

	if (e->kind != PT_ENV_COMMAND && e->kind != PT_ENV_REVOCATION)
		return PT_EMALFORMED;
	n = bounded(e->aud);
	if (!pt_id_is_valid(e->aud, n) || e->iat < 0 || e->iat > PT_TIME_MAX)
		return PT_EMALFORMED;
	if (e->kind == PT_ENV_COMMAND) {
		if (e->op != PT_CMD_LOCK && e->op != PT_CMD_UNLOCK)
			return PT_EMALFORMED;
		n = bounded(e->lock);
		if (n != 0 && !pt_id_is_valid(e->lock, n))
			return PT_EMALFORMED;
	} else {
		if (e->op == PT_REVOKE_TOKEN ? e->target_len != PT_CTI_LEN :
		    e->op == PT_REVOKE_KEY ? e->target_len != PT_PK_LEN : true)
			return PT_EMALFORMED;
	}
	return PT_OK;
}

int
pt_envelope_sign(const struct pt_crypto_ops *ops, const struct pt_signer *sg,
		 struct pt_envelope *e, uint8_t *out, size_t cap, size_t *out_len)
{
	uint8_t claims[PT_ENVELOPE_SIZE_MAX];
	struct pt_cbor_wr w;
	const char *aad;
	size_t lock_len;
	int r;

	*out_len = 0;
	if ((r = check(e)) != PT_OK)
		return r;
	pt_kid(ops, sg->pk, e->kid);
	lock_len = e->kind == PT_ENV_COMMAND ? strlen(e->lock) : 0;
	pt_cbor_wr_init(&w, claims, sizeof(claims));
	pt_cbor_put_map(&w, 4);
	pt_cbor_put_int(&w, PT_CWT_AUD);
	pt_cbor_put_text(&w, e->aud, strlen(e->aud));
	pt_cbor_put_int(&w, PT_CWT_IAT);
	pt_cbor_put_uint(&w, (uint64_t)e->iat);
	pt_cbor_put_int(&w, PT_CWT_CTI);
	pt_cbor_put_bytes(&w, e->nonce, PT_CTI_LEN);
	pt_cbor_put_int(&w, PT_CWT_PORTER);
	if (e->kind == PT_ENV_COMMAND) {
		pt_cbor_put_map(&w, lock_len > 0 ? 2 : 1);
		pt_cbor_put_int(&w, 1);
		pt_cbor_put_uint(&w, e->op);
		if (lock_len > 0) {
			pt_cbor_put_int(&w, 2);
			pt_cbor_put_text(&w, e->lock, lock_len);
		}
	} else {
		pt_cbor_put_map(&w, 2);
		pt_cbor_put_int(&w, 1);
		pt_cbor_put_uint(&w, e->op);
		pt_cbor_put_int(&w, 2);
		pt_cbor_put_bytes(&w, e->target, e->target_len);
	}
	if ((r = pt_cbor_wr_status(&w)) != PT_OK)
		return r;
	aad = aad_of(e->kind);
	r = pt_sign1_sign(sg, e->kid, PT_KID_LEN, (const uint8_t *)aad, strlen(aad), claims, w.len,
			  out, cap, out_len);
	if (r == PT_OK && *out_len > PT_ENVELOPE_SIZE_MAX) {
		memset(out, 0, *out_len);
		*out_len = 0;
		r = PT_ETOOBIG;
	}
	return r;
}

static int
read_id(struct pt_cbor_rd *rd, char *dst)
{
	const uint8_t *p;
	size_t len;

	if (pt_cbor_text(rd, &p, &len) != PT_OK || !pt_id_is_valid((const char *)p, len))
		return PT_EMALFORMED;
	memcpy(dst, p, len);
	dst[len] = '\0';
	return PT_OK;
}

static int
decode_claims(const uint8_t *p, size_t len, unsigned kind, struct pt_envelope *e)
{
	struct pt_cbor_rd rd;
	struct pt_cbor_keys keys;
	const uint8_t *b;
	uint64_t n, u;
	size_t blen;
	int64_t k;

	pt_cbor_rd_init(&rd, p, len);
	pt_cbor_key_init(&keys);
	if (pt_cbor_map(&rd, &n) != PT_OK || n != 4)
		return PT_EMALFORMED;
	if (pt_cbor_key(&rd, &keys, &k) != PT_OK || k != PT_CWT_AUD || read_id(&rd, e->aud) != PT_OK)
		return PT_EMALFORMED;
	if (pt_cbor_key(&rd, &keys, &k) != PT_OK || k != PT_CWT_IAT ||
	    pt_cbor_uint(&rd, &u) != PT_OK || u > (uint64_t)PT_TIME_MAX)
		return PT_EMALFORMED;
	e->iat = (int64_t)u;
	if (pt_cbor_key(&rd, &keys, &k) != PT_OK || k != PT_CWT_CTI ||
	    pt_cbor_bytes(&rd, &b, &blen) != PT_OK || blen != PT_CTI_LEN)
		return PT_EMALFORMED;
	memcpy(e->nonce, b, PT_CTI_LEN);
	if (pt_cbor_key(&rd, &keys, &k) != PT_OK || k != PT_CWT_PORTER ||
	    pt_cbor_map(&rd, &n) != PT_OK || n < 1 || n > 2)
		return PT_EMALFORMED;
	pt_cbor_key_init(&keys);
	if (pt_cbor_key(&rd, &keys, &k) != PT_OK || k != 1 || pt_cbor_uint(&rd, &u) != PT_OK ||
	    u > 255)
		return PT_EMALFORMED;
	e->op = (uint8_t)u;
	if (n == 2) {
		if (pt_cbor_key(&rd, &keys, &k) != PT_OK || k != 2)
			return PT_EMALFORMED;
		if (kind == PT_ENV_COMMAND) {
			if (read_id(&rd, e->lock) != PT_OK)
				return PT_EMALFORMED;
		} else {
			if (pt_cbor_bytes(&rd, &b, &blen) != PT_OK || blen > PT_PK_LEN)
				return PT_EMALFORMED;
			memcpy(e->target, b, blen);
			e->target_len = (uint8_t)blen;
		}
	}
	if (!pt_cbor_rd_done(&rd))
		return PT_EMALFORMED;
	e->kind = (uint8_t)kind;
	return check(e);
}

int
pt_envelope_verify(const struct pt_crypto_ops *ops, const uint8_t *p, size_t len,
		   enum pt_envelope_kind kind, const uint8_t (*signers)[PT_PK_LEN], size_t n_signers,
		   const char *home_id, int64_t now, uint32_t skew, struct pt_envelope *e,
		   size_t *signer_index)
{
	uint8_t tbs[PT_ENVELOPE_SIZE_MAX + 64], kid[PT_KID_LEN];
	struct pt_cose_hdr h;
	struct pt_sign1 s;
	const char *aad;
	size_t k;
	bool matched = false, ok = false;
	int r;

	memset(e, 0, sizeof(*e));
	*signer_index = 0;
	if (len > PT_ENVELOPE_SIZE_MAX)
		return PT_ETOOBIG;
	if (pt_sign1_decode(p, len, &s) != PT_OK || !s.tagged)
		return PT_EMALFORMED;
	if ((r = pt_cose_headers(&s, &h)) != PT_OK)
		return r;
	if (!h.has_alg || h.alg != PT_COSE_ALG_EDDSA)
		return PT_EUNSUPPORTED;
	if (s.prot_len != sizeof(prot_prefix) + PT_KID_LEN ||
	    memcmp(s.prot, prot_prefix, sizeof(prot_prefix)) != 0 || s.unprot_len != 1 ||
	    s.unprot[0] != 0xa0 || s.sig_len != PT_SIG_LEN)
		return PT_EMALFORMED;
	aad = aad_of(kind);
	for (k = 0; k < n_signers && !ok; k++) {
		pt_kid(ops, signers[k], kid);
		if (memcmp(kid, s.prot + sizeof(prot_prefix), PT_KID_LEN) != 0)
			continue;
		matched = true;
		r = pt_sign1_verify(ops, &s, (const uint8_t *)aad, strlen(aad), signers[k], tbs,
				    sizeof(tbs));
		if (r == PT_OK) {
			ok = true;
			*signer_index = k;
		} else if (r != PT_EBADSIG) {
			return r;
		}
	}
	if (!ok)
		return matched ? PT_EBADSIG : PT_EUNTRUSTEDCMD;
	if ((r = decode_claims(s.payload, s.payload_len, kind, e)) != PT_OK)
		goto fail;
	memcpy(e->kid, s.prot + sizeof(prot_prefix), PT_KID_LEN);
	r = PT_EAUDIENCE;
	if (home_id == NULL || strcmp(home_id, e->aud) != 0)
		goto fail;
	r = PT_ESTALE;
	if (e->iat > now + (int64_t)skew || e->iat < now - (int64_t)skew)
		goto fail;
	return PT_OK;
fail:
	memset(e, 0, sizeof(*e));
	*signer_index = 0;
	return r;
}
