/*
 * COSE_Sign1: structure, headers, Sig_structure, EdDSA sign and verify.
 */
#include "porter/cose.h"

#include <string.h>

#include "porter/cbor.h"

#define SIG1_CONTEXT "Signature1"

int
pt_sign1_read(struct pt_cbor_rd *rd, struct pt_sign1 *s)
{
	struct pt_cbor_item it;
	struct pt_cbor_rd hdr;
	uint64_t n;
	size_t start;

	memset(s, 0, sizeof(*s));
	if (pt_cbor_next(rd, &it) != PT_OK)
		goto bad;
	if (it.kind == PT_CBOR_TAG) {
		if (it.u != PT_COSE_TAG_SIGN1)
			goto bad;
		s->tagged = true;
		if (pt_cbor_next(rd, &it) != PT_OK)
			goto bad;
	}
	if (it.kind != PT_CBOR_ARRAY || it.u != 4)
		goto bad;
	if (pt_cbor_bytes(rd, &s->prot, &s->prot_len) != PT_OK)
		goto bad;
	start = rd->off;
	if (pt_cbor_map(rd, &n) != PT_OK)
		goto bad;
	rd->off = start;
	if (pt_cbor_skip(rd, 4) != PT_OK)
		goto bad;
	s->unprot = rd->buf + start;
	s->unprot_len = rd->off - start;
	if (pt_cbor_bytes(rd, &s->payload, &s->payload_len) != PT_OK)
		goto bad;
	if (pt_cbor_bytes(rd, &s->sig, &s->sig_len) != PT_OK)
		goto bad;
	/* The protected bucket is a zero-length string or one encoded map. */
	if (s->prot_len > 0) {
		pt_cbor_rd_init(&hdr, s->prot, s->prot_len);
		if (pt_cbor_map(&hdr, &n) != PT_OK)
			goto bad;
		hdr.off = 0;
		if (pt_cbor_skip(&hdr, 4) != PT_OK || !pt_cbor_rd_done(&hdr))
			goto bad;
	}
	return PT_OK;
bad:
	memset(s, 0, sizeof(*s));
	return PT_EMALFORMED;
}

int
pt_sign1_decode(const uint8_t *p, size_t len, struct pt_sign1 *s)
{
	struct pt_cbor_rd rd;

	pt_cbor_rd_init(&rd, p, len);
	if (pt_sign1_read(&rd, s) != PT_OK || !pt_cbor_rd_done(&rd)) {
		memset(s, 0, sizeof(*s));
		return PT_EMALFORMED;
	}
	return PT_OK;
}

/* Bit per label seen, for labels 1..4; others are tracked by "other". */
struct seen {
	unsigned prot_mask, unprot_mask;
	bool crit;
	unsigned crit_mask;
};

static int
read_bucket(const uint8_t *p, size_t len, bool is_prot, struct pt_cose_hdr *h, struct seen *sn)
{
	struct pt_cbor_rd rd;
	struct pt_cbor_keys keys;
	uint64_t n, i, m, j;
	int64_t label, v;

	if (len == 0)
		return is_prot ? PT_OK : PT_EMALFORMED;
	pt_cbor_rd_init(&rd, p, len);
	if (pt_cbor_map(&rd, &n) != PT_OK)
		return PT_EMALFORMED;
	pt_cbor_key_init(&keys);
	for (i = 0; i < n; i++) {
		struct pt_cbor_item it;
		size_t at = rd.off;

		/* Labels are ints or text; text labels are skipped below. */
		if (pt_cbor_next(&rd, &it) != PT_OK)
			return PT_EMALFORMED;
		if (it.kind == PT_CBOR_TEXT) {
			if (pt_cbor_skip(&rd, 4) != PT_OK)
				return PT_EMALFORMED;
			continue;
		}
		rd.off = at;
		if (pt_cbor_key(&rd, &keys, &label) != PT_OK)
			return PT_EMALFORMED;
		if (label >= 1 && label <= 4) {
			unsigned bit = 1u << label;
			if ((sn->prot_mask | sn->unprot_mask) & bit)
				return PT_EMALFORMED;	/* in both buckets */
			if (is_prot)
				sn->prot_mask |= bit;
			else
				sn->unprot_mask |= bit;
		}
		switch (label) {
		case PT_COSE_HDR_ALG:
			if (pt_cbor_int(&rd, &v) != PT_OK) {
				/* a text alg name is legal COSE, but not ours */
				if (pt_cbor_skip(&rd, 1) != PT_OK)
					return PT_EMALFORMED;
				v = 0;
			}
			h->has_alg = true;
			h->alg = v;
			break;
		case PT_COSE_HDR_CRIT:
			if (!is_prot || pt_cbor_array(&rd, &m) != PT_OK || m == 0 || m > 16)
				return PT_EMALFORMED;
			sn->crit = true;
			for (j = 0; j < m; j++) {
				if (pt_cbor_int(&rd, &v) != PT_OK) {
					if (pt_cbor_skip(&rd, 1) != PT_OK)
						return PT_EMALFORMED;
					return PT_EUNSUPPORTED;
				}
				if (v != PT_COSE_HDR_ALG && v != PT_COSE_HDR_KID &&
				    v != PT_COSE_HDR_CTY)
					return PT_EUNSUPPORTED;
				sn->crit_mask |= 1u << v;
			}
			break;
		case PT_COSE_HDR_KID:
			if (pt_cbor_bytes(&rd, &h->kid, &h->kid_len) != PT_OK ||
			    h->kid_len > PT_COSE_KID_MAX)
				return PT_EMALFORMED;
			h->kid_protected = is_prot;
			break;
		default:
			if (pt_cbor_skip(&rd, 4) != PT_OK)
				return PT_EMALFORMED;
			break;
		}
	}
	return pt_cbor_rd_done(&rd) ? PT_OK : PT_EMALFORMED;
}

int
pt_cose_headers(const struct pt_sign1 *s, struct pt_cose_hdr *h)
{
	struct seen sn;
	int r;

	memset(h, 0, sizeof(*h));
	memset(&sn, 0, sizeof(sn));
	if ((r = read_bucket(s->prot, s->prot_len, true, h, &sn)) != PT_OK)
		goto fail;
	if ((r = read_bucket(s->unprot, s->unprot_len, false, h, &sn)) != PT_OK)
		goto fail;
	r = PT_EMALFORMED;
	/* alg must be integrity-protected: an attacker must not choose it. */
	if (sn.unprot_mask & (1u << PT_COSE_HDR_ALG))
		goto fail;
	/* crit may only name labels present in the protected bucket. */
	if (sn.crit && (sn.crit_mask & ~sn.prot_mask) != 0)
		goto fail;
	return PT_OK;
fail:
	memset(h, 0, sizeof(*h));
	return r;
}

int
pt_sign1_tbs(const struct pt_sign1 *s, const uint8_t *aad, size_t aad_len, uint8_t *out,
	     size_t cap, size_t *out_len)
{
	struct pt_cbor_wr w;

	*out_len = 0;
	pt_cbor_wr_init(&w, out, cap);
	pt_cbor_put_array(&w, 4);
	pt_cbor_put_text(&w, SIG1_CONTEXT, sizeof(SIG1_CONTEXT) - 1);
	pt_cbor_put_bytes(&w, s->prot, s->prot_len);
	pt_cbor_put_bytes(&w, aad, aad_len);
	pt_cbor_put_bytes(&w, s->payload, s->payload_len);
	if (pt_cbor_wr_status(&w) != PT_OK)
		return PT_ENOSPC;
	*out_len = w.len;
	return PT_OK;
}

int
pt_sign1_verify(const struct pt_crypto_ops *ops, const struct pt_sign1 *s, const uint8_t *aad,
		size_t aad_len, const uint8_t pk[PT_PK_LEN], uint8_t *scratch, size_t cap)
{
	struct pt_cose_hdr h;
	size_t n;
	int r;

	if ((r = pt_cose_headers(s, &h)) != PT_OK)
		return r;
	if (!h.has_alg || h.alg != PT_COSE_ALG_EDDSA || s->sig_len != PT_SIG_LEN)
		return PT_EUNSUPPORTED;
	if (pt_sign1_tbs(s, aad, aad_len, scratch, cap, &n) != PT_OK)
		return PT_ETOOBIG;
	if (!ops->ed25519_verify(s->sig, scratch, n, pk))
		return PT_EBADSIG;
	return PT_OK;
}

int
pt_sign1_sign(const struct pt_signer *sg, const uint8_t *kid, size_t kid_len, const uint8_t *aad,
	      size_t aad_len, const uint8_t *payload, size_t payload_len, uint8_t *out, size_t cap,
	      size_t *out_len)
{
	uint8_t prot[8 + PT_COSE_KID_MAX];
	uint8_t sig[PT_SIG_LEN];
	struct pt_cbor_wr w;
	struct pt_sign1 s;
	size_t tbs_len;
	int r;

	*out_len = 0;
	memset(out, 0, cap);
	if (kid_len > PT_COSE_KID_MAX)
		return PT_EINVAL;
	pt_cbor_wr_init(&w, prot, sizeof(prot));
	pt_cbor_put_map(&w, 2);
	pt_cbor_put_int(&w, PT_COSE_HDR_ALG);
	pt_cbor_put_int(&w, PT_COSE_ALG_EDDSA);
	pt_cbor_put_int(&w, PT_COSE_HDR_KID);
	pt_cbor_put_bytes(&w, kid, kid_len);
	if ((r = pt_cbor_wr_status(&w)) != PT_OK)
		return r;
	memset(&s, 0, sizeof(s));
	s.prot = prot;
	s.prot_len = w.len;
	s.payload = payload;
	s.payload_len = payload_len;

	/*
	 * Write the Sig_structure into out first (it is never longer than
	 * the final message), sign it, then overwrite with the message.
	 */
	if ((r = pt_sign1_tbs(&s, aad, aad_len, out, cap, &tbs_len)) != PT_OK)
		goto fail;
	if ((r = sg->sign(sg->arg, sig, out, tbs_len)) != PT_OK)
		goto fail;
	pt_cbor_wr_init(&w, out, cap);
	pt_cbor_put_tag(&w, PT_COSE_TAG_SIGN1);
	pt_cbor_put_array(&w, 4);
	pt_cbor_put_bytes(&w, s.prot, s.prot_len);
	pt_cbor_put_map(&w, 0);
	pt_cbor_put_bytes(&w, payload, payload_len);
	pt_cbor_put_bytes(&w, sig, sizeof(sig));
	if ((r = pt_cbor_wr_status(&w)) != PT_OK)
		goto fail;
	*out_len = w.len;
	return PT_OK;
fail:
	memset(out, 0, cap);
	return r;
}
