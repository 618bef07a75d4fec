/*
 * Signed statements in the grant envelope: remote commands, revocations,
 * hub pairings, courier attestations, owner-key endorsements and live
 * view requests (the one kind with an expiry, claim 4), answers to a
 * hub's request for an owner's approval, and a hub's word on its home.
 */
#include "porter/envelope.h"

#include <string.h>

#include "porter/cbor.h"
#include "porter/cose.h"
#include "porter/live.h"

/* External AADs of the kinds not in cred.h (approval's is in envelope.h). */
#define AAD_PAIRING "porter/pairing/v2"
/* The pairing statements of porter before the nonce became the code's MAC
 * (the nonce was the code itself): verified only, by
 * pt_envelope_verify_pairing_v1, never signed. */
#define AAD_PAIRING_V1 "porter/pairing/v1"
#define AAD_ATTESTATION "porter/attestation/v1"
#define AAD_OWNER "porter/owner/v1"

#define COURIER_ID_MAX 20	/* decimal digits of an account id */
#define NAME_MAX_ 100		/* bytes of the courier's name */
#define LEVEL_MAX 3		/* enum pt_level (store.h): 1..3 */

_Static_assert(sizeof(((struct pt_envelope *)0)->name) == NAME_MAX_ + 1, "name size");
_Static_assert(sizeof(((struct pt_envelope *)0)->lock) > COURIER_ID_MAX, "courier id size");

static const uint8_t prot_prefix[] = {0xa2, 0x01, 0x27, 0x04, 0x48};

/* The AAD of a kind; NULL for a kind that does not exist. */
static const char *
aad_of(unsigned kind)
{
	switch (kind) {
	case PT_ENV_COMMAND:
		return PT_AAD_COMMAND;
	case PT_ENV_REVOCATION:
		return PT_AAD_REVOCATION;
	case PT_ENV_PAIRING:
		return AAD_PAIRING;
	case PT_ENV_ATTESTATION:
		return AAD_ATTESTATION;
	case PT_ENV_OWNER:
		return AAD_OWNER;
	case PT_ENV_LIVE:
		return PT_LIVE_REQUEST_DOMAIN;
	case PT_ENV_APPROVAL:
		return PT_AAD_APPROVAL;
	case PT_ENV_HUB_HOME:
		return PT_AAD_HUB_HOME;
	default:
		return NULL;
	}
}

/* Length of s, but stop at max + 1: a longer string is refused anyway. */
static size_t
bounded(const char *s, size_t max)
{
	size_t n = 0;

	while (n <= max && s[n] != '\0')
		n++;
	return n;
}

/* A courier id: an account id in canonical decimal (no sign, no leading
 * zero), 1..COURIER_ID_MAX digits. One spelling per account, so that the
 * caller's comparison with its own record cannot be fooled by "007". */
static bool
courier_id_is_valid(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > COURIER_ID_MAX || (s[0] == '0' && len > 1))
		return false;
	for (i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

static bool
name_is_valid(const char *s, size_t len)
{
	return len > 0 && len <= NAME_MAX_ && pt_text_is_printable((const uint8_t *)s, len);
}

/* The rules of each kind, for the signer (before encoding) and for the
 * verifier (after decoding): what one refuses, the other never produces. */
static int
check(const struct pt_envelope *e)
{
	size_t n;

	if (aad_of(e->kind) == NULL)
		return PT_EMALFORMED;
	n = bounded(e->aud, PT_ID_MAX);
	if (!pt_id_is_valid(e->aud, n) || e->iat < 0 || e->iat > PT_TIME_MAX)
		return PT_EMALFORMED;
	/* Only a live request has an expiry; iat <= PT_TIME_MAX, so the sum
	 * does not overflow. */
	if (e->kind == PT_ENV_LIVE ? e->exp <= e->iat || e->exp > e->iat + PT_LIVE_SECONDS_MAX :
				     e->exp != 0)
		return PT_EMALFORMED;
	switch (e->kind) {
	case PT_ENV_COMMAND:
		if (e->op != PT_CMD_LOCK && e->op != PT_CMD_UNLOCK)
			return PT_EMALFORMED;
		n = bounded(e->lock, PT_ID_MAX);
		if (n != 0 && !pt_id_is_valid(e->lock, n))
			return PT_EMALFORMED;
		break;
	case PT_ENV_REVOCATION:
		if (e->op == PT_REVOKE_TOKEN ? e->target_len != PT_CTI_LEN :
		    e->op == PT_REVOKE_KEY ? e->target_len != PT_PK_LEN : true)
			return PT_EMALFORMED;
		break;
	case PT_ENV_PAIRING:
		if (e->op != 0 || e->target_len != PT_PK_LEN)
			return PT_EMALFORMED;
		break;
	case PT_ENV_OWNER:
		if (e->op != PT_OWNER_ADD || e->target_len != PT_PK_LEN)
			return PT_EMALFORMED;
		break;
	case PT_ENV_HUB_HOME:
		if (e->op != PT_HUB_HOME_PAIRED || e->target_len != PT_PK_LEN)
			return PT_EMALFORMED;
		break;
	case PT_ENV_APPROVAL:
		if ((e->op != PT_APPROVE && e->op != PT_DENY) || e->target_len != PT_CTI_LEN)
			return PT_EMALFORMED;
		break;
	case PT_ENV_LIVE:
		if (e->op != PT_LIVE_VIEW || e->target_len != PT_LIVE_XPK_LEN ||
		    !pt_live_xpk_is_valid(e->target))
			return PT_EMALFORMED;
		if (!pt_id_is_valid(e->lock, bounded(e->lock, PT_ID_MAX)))
			return PT_EMALFORMED;
		break;
	default:	/* PT_ENV_ATTESTATION */
		if (e->op < 1 || e->op > LEVEL_MAX)
			return PT_EMALFORMED;
		if (!courier_id_is_valid(e->lock, bounded(e->lock, COURIER_ID_MAX)))
			return PT_EMALFORMED;
		if (!name_is_valid(e->name, bounded(e->name, NAME_MAX_)))
			return PT_EMALFORMED;
		break;
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
	pt_cbor_wr_init(&w, claims, sizeof(claims));
	pt_cbor_put_map(&w, e->kind == PT_ENV_LIVE ? 5 : 4);
	pt_cbor_put_int(&w, PT_CWT_AUD);
	pt_cbor_put_text(&w, e->aud, strlen(e->aud));
	if (e->kind == PT_ENV_LIVE) {
		pt_cbor_put_int(&w, PT_CWT_EXP);
		pt_cbor_put_uint(&w, (uint64_t)e->exp);
	}
	pt_cbor_put_int(&w, PT_CWT_IAT);
	pt_cbor_put_uint(&w, (uint64_t)e->iat);
	pt_cbor_put_int(&w, PT_CWT_CTI);
	pt_cbor_put_bytes(&w, e->nonce, PT_CTI_LEN);
	pt_cbor_put_int(&w, PT_CWT_PORTER);
	switch (e->kind) {
	case PT_ENV_COMMAND:
		lock_len = strlen(e->lock);
		pt_cbor_put_map(&w, lock_len > 0 ? 2 : 1);
		pt_cbor_put_int(&w, 1);
		pt_cbor_put_uint(&w, e->op);
		if (lock_len > 0) {
			pt_cbor_put_int(&w, 2);
			pt_cbor_put_text(&w, e->lock, lock_len);
		}
		break;
	case PT_ENV_REVOCATION:
	case PT_ENV_PAIRING:
	case PT_ENV_OWNER:
	case PT_ENV_APPROVAL:
	case PT_ENV_HUB_HOME:
		pt_cbor_put_map(&w, 2);
		pt_cbor_put_int(&w, 1);
		pt_cbor_put_uint(&w, e->op);
		pt_cbor_put_int(&w, 2);
		pt_cbor_put_bytes(&w, e->target, e->target_len);
		break;
	case PT_ENV_LIVE:
		pt_cbor_put_map(&w, 3);
		pt_cbor_put_int(&w, 1);
		pt_cbor_put_uint(&w, e->op);
		pt_cbor_put_int(&w, 2);
		pt_cbor_put_bytes(&w, e->target, e->target_len);
		pt_cbor_put_int(&w, 3);
		pt_cbor_put_text(&w, e->lock, strlen(e->lock));
		break;
	default:	/* PT_ENV_ATTESTATION */
		pt_cbor_put_map(&w, 3);
		pt_cbor_put_int(&w, 1);
		pt_cbor_put_uint(&w, e->op);
		pt_cbor_put_int(&w, 2);
		pt_cbor_put_text(&w, e->lock, strlen(e->lock));
		pt_cbor_put_int(&w, 3);
		pt_cbor_put_text(&w, e->name, strlen(e->name));
		break;
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

/* A text item of at most max bytes that passes valid(), copied as a C
 * string into dst (which holds max + 1). */
static int
read_text(struct pt_cbor_rd *rd, char *dst, size_t max, bool (*valid)(const char *, size_t))
{
	const uint8_t *p;
	size_t len;

	if (pt_cbor_text(rd, &p, &len) != PT_OK || len > max || !valid((const char *)p, len))
		return PT_EMALFORMED;
	memcpy(dst, p, len);
	dst[len] = '\0';
	return PT_OK;
}

/* A key of the porter map: exactly the one expected, in order. */
static bool
key_is(struct pt_cbor_rd *rd, struct pt_cbor_keys *keys, int64_t want)
{
	int64_t k;

	return pt_cbor_key(rd, keys, &k) == PT_OK && k == want;
}

/* The porter claim {1: op, 2: ..., 3: ...} of each kind, strictly. */
static int
decode_porter(struct pt_cbor_rd *rd, unsigned kind, struct pt_envelope *e)
{
	struct pt_cbor_keys keys;
	const uint8_t *b;
	uint64_t n, u;
	size_t blen;

	if (pt_cbor_map(rd, &n) != PT_OK)
		return PT_EMALFORMED;
	/* The number of entries each kind has: nothing unknown fits. */
	if (kind == PT_ENV_COMMAND			       ? n < 1 || n > 2 :
	    kind == PT_ENV_ATTESTATION || kind == PT_ENV_LIVE ? n != 3 :
								n != 2)
		return PT_EMALFORMED;
	pt_cbor_key_init(&keys);
	if (!key_is(rd, &keys, 1) || pt_cbor_uint(rd, &u) != PT_OK || u > 255)
		return PT_EMALFORMED;
	e->op = (uint8_t)u;
	if (n == 1)
		return PT_OK;
	if (!key_is(rd, &keys, 2))
		return PT_EMALFORMED;
	switch (kind) {
	case PT_ENV_COMMAND:
		return read_text(rd, e->lock, PT_ID_MAX, pt_id_is_valid);
	case PT_ENV_REVOCATION:
	case PT_ENV_PAIRING:
	case PT_ENV_OWNER:
	case PT_ENV_APPROVAL:
	case PT_ENV_HUB_HOME:
		if (pt_cbor_bytes(rd, &b, &blen) != PT_OK || blen > PT_PK_LEN)
			return PT_EMALFORMED;
		memcpy(e->target, b, blen);
		e->target_len = (uint8_t)blen;
		return PT_OK;
	case PT_ENV_LIVE:
		if (pt_cbor_bytes(rd, &b, &blen) != PT_OK || blen != PT_LIVE_XPK_LEN)
			return PT_EMALFORMED;
		memcpy(e->target, b, blen);
		e->target_len = (uint8_t)blen;
		if (!key_is(rd, &keys, 3) || read_text(rd, e->lock, PT_ID_MAX, pt_id_is_valid) != PT_OK)
			return PT_EMALFORMED;
		return PT_OK;
	default:	/* PT_ENV_ATTESTATION */
		if (read_text(rd, e->lock, COURIER_ID_MAX, courier_id_is_valid) != PT_OK ||
		    !key_is(rd, &keys, 3) || read_text(rd, e->name, NAME_MAX_, name_is_valid) != PT_OK)
			return PT_EMALFORMED;
		return PT_OK;
	}
}

static int
decode_claims(const uint8_t *p, size_t len, unsigned kind, struct pt_envelope *e)
{
	struct pt_cbor_rd rd;
	struct pt_cbor_keys keys;
	const uint8_t *b;
	uint64_t n, u;
	size_t blen;

	pt_cbor_rd_init(&rd, p, len);
	pt_cbor_key_init(&keys);
	/* A live request has claim 4 (exp) too; every other kind refuses it,
	 * as any claim it does not know. */
	if (pt_cbor_map(&rd, &n) != PT_OK || n != (kind == PT_ENV_LIVE ? 5 : 4))
		return PT_EMALFORMED;
	if (!key_is(&rd, &keys, PT_CWT_AUD) || read_text(&rd, e->aud, PT_ID_MAX, pt_id_is_valid) != PT_OK)
		return PT_EMALFORMED;
	if (kind == PT_ENV_LIVE) {
		/* Bounded before the cast; check() then wants iat < exp <=
		 * iat + PT_LIVE_SECONDS_MAX. */
		if (!key_is(&rd, &keys, PT_CWT_EXP) || pt_cbor_uint(&rd, &u) != PT_OK ||
		    u > (uint64_t)PT_TIME_MAX + PT_LIVE_SECONDS_MAX)
			return PT_EMALFORMED;
		e->exp = (int64_t)u;
	}
	if (!key_is(&rd, &keys, PT_CWT_IAT) || pt_cbor_uint(&rd, &u) != PT_OK ||
	    u > (uint64_t)PT_TIME_MAX)
		return PT_EMALFORMED;
	e->iat = (int64_t)u;
	if (!key_is(&rd, &keys, PT_CWT_CTI) || pt_cbor_bytes(&rd, &b, &blen) != PT_OK ||
	    blen != PT_CTI_LEN)
		return PT_EMALFORMED;
	memcpy(e->nonce, b, PT_CTI_LEN);
	if (!key_is(&rd, &keys, PT_CWT_PORTER) || decode_porter(&rd, kind, e) != PT_OK)
		return PT_EMALFORMED;
	if (!pt_cbor_rd_done(&rd))
		return PT_EMALFORMED;
	e->kind = (uint8_t)kind;
	return check(e);
}

/* pt_envelope_verify, under the given AAD (never NULL). */
static int
verify_under(const struct pt_crypto_ops *ops, const uint8_t *p, size_t len,
	     enum pt_envelope_kind kind, const char *aad, const uint8_t (*signers)[PT_PK_LEN],
	     size_t n_signers, const char *home_id, int64_t now, uint32_t skew,
	     struct pt_envelope *e, size_t *signer_index)
{
	uint8_t tbs[PT_ENVELOPE_SIZE_MAX + 64], kid[PT_KID_LEN];
	struct pt_cose_hdr h;
	struct pt_sign1 s;
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
	if ((r = decode_claims(s.payload, s.payload_len, (unsigned)kind, e)) != PT_OK)
		goto fail;
	memcpy(e->kid, s.prot + sizeof(prot_prefix), PT_KID_LEN);
	r = PT_EAUDIENCE;
	if (home_id == NULL || strcmp(home_id, e->aud) != 0)
		goto fail;
	/* |now - iat| <= skew, without overflow for any now the caller has. */
	r = PT_ESTALE;
	if (now >= e->iat ? (uint64_t)now - (uint64_t)e->iat > skew :
			    (uint64_t)e->iat - (uint64_t)now > skew)
		goto fail;
	/* A live request is over at its expiry, whatever the skew allows. */
	r = PT_EEXPIRED;
	if (kind == PT_ENV_LIVE && now >= e->exp)
		goto fail;
	return PT_OK;
fail:
	memset(e, 0, sizeof(*e));
	*signer_index = 0;
	return r;
}

int
pt_envelope_verify(const struct pt_crypto_ops *ops, const uint8_t *p, size_t len,
		   enum pt_envelope_kind kind, const uint8_t (*signers)[PT_PK_LEN], size_t n_signers,
		   const char *home_id, int64_t now, uint32_t skew, struct pt_envelope *e,
		   size_t *signer_index)
{
	const char *aad;

	memset(e, 0, sizeof(*e));
	*signer_index = 0;
	/* A kind that does not exist has no AAD: nothing can verify as it. */
	if ((aad = aad_of((unsigned)kind)) == NULL)
		return PT_EINVAL;
	return verify_under(ops, p, len, kind, aad, signers, n_signers, home_id, now, skew, e,
			    signer_index);
}

/*
 * A legacy pairing statement (AAD "porter/pairing/v1", its nonce the raw
 * code). A separate verify-only entry point rather than a kind of its own
 * or an AAD parameter: no kind means pt_envelope_sign cannot produce one
 * and no caller can reach it by passing a kind number it got from
 * elsewhere; only the callers that name this function (a hub's stored
 * evidence, and telling an old client apart to say so) ever accept it.
 * The claims are PT_ENV_PAIRING's, and *e says PT_ENV_PAIRING.
 */
int
pt_envelope_verify_pairing_v1(const struct pt_crypto_ops *ops, const uint8_t *p, size_t len,
			      const uint8_t (*signers)[PT_PK_LEN], size_t n_signers,
			      const char *home_id, int64_t now, uint32_t skew,
			      struct pt_envelope *e, size_t *signer_index)
{
	return verify_under(ops, p, len, PT_ENV_PAIRING, AAD_PAIRING_V1, signers, n_signers,
			    home_id, now, skew, e, signer_index);
}
