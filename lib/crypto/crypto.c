/*
 * libsodium behind porter's crypto interface. Nothing else in the tree
 * includes <sodium.h>.
 */
#include "porter/crypto.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

static_assert(PT_PK_LEN == crypto_sign_PUBLICKEYBYTES, "pk size");
static_assert(PT_SK_LEN == crypto_sign_SECRETKEYBYTES, "sk size");
static_assert(PT_SEED_LEN == crypto_sign_SEEDBYTES, "seed size");
static_assert(PT_SIG_LEN == crypto_sign_BYTES, "sig size");
static_assert(PT_HASH_LEN == crypto_hash_sha256_BYTES, "hash size");

struct pt_secret {
	uint8_t sk[PT_SK_LEN];
	uint8_t pk[PT_PK_LEN];
	bool set;
};

int
pt_crypto_init(void)
{
	if (sodium_init() < 0)
		return PT_ECRYPTO;
	return PT_OK;
}

static bool
sodium_verify(const uint8_t sig[PT_SIG_LEN], const uint8_t *m, size_t mlen,
	      const uint8_t pk[PT_PK_LEN])
{
	/* libsodium 1.0.18 rejects small-order keys and non-canonical S. */
	return crypto_sign_verify_detached(sig, m, mlen, pk) == 0;
}

static void
sodium_sha256(uint8_t out[PT_HASH_LEN], const uint8_t *m, size_t mlen)
{
	crypto_hash_sha256(out, m, mlen);
}

static const struct pt_crypto_ops sodium_ops = {
	.ed25519_verify = sodium_verify,
	.sha256 = sodium_sha256,
};

const struct pt_crypto_ops *
pt_crypto_sodium(void)
{
	return &sodium_ops;
}

struct pt_secret *
pt_secret_new(void)
{
	struct pt_secret *s = sodium_malloc(sizeof(*s));

	if (s != NULL)
		sodium_memzero(s, sizeof(*s));
	return s;
}

void
pt_secret_free(struct pt_secret *s)
{
	sodium_free(s);	/* wipes, and NULL is fine */
}

int
pt_secret_generate(struct pt_secret *s)
{
	uint8_t seed[PT_SEED_LEN];
	int r;

	randombytes_buf(seed, sizeof(seed));
	r = pt_secret_from_seed(s, seed);
	sodium_memzero(seed, sizeof(seed));
	return r;
}

int
pt_secret_from_seed(struct pt_secret *s, const uint8_t seed[PT_SEED_LEN])
{
	if (crypto_sign_seed_keypair(s->pk, s->sk, seed) != 0) {
		sodium_memzero(s, sizeof(*s));
		return PT_ECRYPTO;
	}
	s->set = true;
	return PT_OK;
}

void
pt_secret_public(const struct pt_secret *s, uint8_t pk[PT_PK_LEN])
{
	memcpy(pk, s->pk, PT_PK_LEN);
}

const uint8_t *
pt_secret_seed(const struct pt_secret *s)
{
	return s->sk;	/* libsodium's sk starts with the seed */
}

int
pt_sign_detached(const struct pt_secret *s, uint8_t sig[PT_SIG_LEN], const uint8_t *m,
		 size_t mlen)
{
	if (!s->set) {
		memset(sig, 0, PT_SIG_LEN);
		return PT_EINVAL;
	}
	if (crypto_sign_detached(sig, NULL, m, mlen, s->sk) != 0) {
		memset(sig, 0, PT_SIG_LEN);
		return PT_ECRYPTO;
	}
	return PT_OK;
}

static int
sodium_sign(void *arg, uint8_t sig[PT_SIG_LEN], const uint8_t *m, size_t mlen)
{
	return pt_sign_detached(arg, sig, m, mlen);
}

void
pt_signer_sodium(struct pt_signer *sg, struct pt_secret *s)
{
	sg->sign = sodium_sign;
	sg->arg = s;
	memcpy(sg->pk, s->pk, PT_PK_LEN);
}

_Static_assert(PT_SHORTHASH_KEY_LEN == crypto_shorthash_KEYBYTES, "shorthash key");

uint64_t
pt_shorthash(const uint8_t key[PT_SHORTHASH_KEY_LEN], const void *m, size_t mlen)
{
	uint8_t out[crypto_shorthash_BYTES];
	uint64_t h = 0;
	size_t i;

	(void)crypto_shorthash(out, m, (unsigned long long)mlen, key);
	for (i = 0; i < sizeof(out); i++)
		h = h << 8 | out[i];
	return h;
}

void
pt_random(uint8_t *p, size_t len)
{
	randombytes_buf(p, len);
}

void
pt_wipe(void *p, size_t len)
{
	sodium_memzero(p, len);
}

void *
pt_guarded_alloc(size_t n)
{
	return sodium_malloc(n);
}

void
pt_guarded_free(void *p)
{
	sodium_free(p);	/* wipes, then unmaps; NULL is fine */
}

int
pt_aead_seal(const uint8_t key[PT_AEAD_KEY_LEN], const uint8_t *ad, size_t adlen,
	     const uint8_t *m, size_t mlen, uint8_t *out, size_t cap, size_t *out_len)
{
	const size_t nb = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
	unsigned long long cl = 0;

	_Static_assert(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES +
				       crypto_aead_xchacha20poly1305_ietf_ABYTES ==
			       PT_AEAD_OVERHEAD,
		       "PT_AEAD_OVERHEAD");
	*out_len = 0;
	if (mlen > cap || cap - mlen < PT_AEAD_OVERHEAD)
		return PT_ENOSPC;
	randombytes_buf(out, nb);
	if (crypto_aead_xchacha20poly1305_ietf_encrypt(out + nb, &cl, m, mlen, ad, adlen, NULL,
						       out, key) != 0)
		return PT_ECRYPTO;
	*out_len = nb + (size_t)cl;
	return PT_OK;
}

int
pt_aead_open(const uint8_t key[PT_AEAD_KEY_LEN], const uint8_t *ad, size_t adlen,
	     const uint8_t *c, size_t clen, uint8_t *m, size_t cap, size_t *m_len)
{
	const size_t nb = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
	unsigned long long ml = 0;

	*m_len = 0;
	if (clen < PT_AEAD_OVERHEAD || cap < clen - PT_AEAD_OVERHEAD) {
		sodium_memzero(m, cap);
		return clen < PT_AEAD_OVERHEAD ? PT_EMALFORMED : PT_ENOSPC;
	}
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(m, &ml, NULL, c + nb, clen - nb, ad, adlen,
						       c, key) != 0) {
		sodium_memzero(m, cap);
		return PT_EBADSIG;
	}
	*m_len = (size_t)ml;
	return PT_OK;
}

bool
pt_ct_equal(const uint8_t *a, const uint8_t *b, size_t len)
{
	return sodium_memcmp(a, b, len) == 0;
}

bool
pt_pk_is_valid(const uint8_t pk[PT_PK_LEN])
{
	uint8_t x[crypto_scalarmult_curve25519_BYTES];
	bool ok;

	/* The Ed25519 -> X25519 conversion fails on non-points and small
	 * order points in 1.0.18. */
	ok = crypto_sign_ed25519_pk_to_curve25519(x, pk) == 0;
	sodium_memzero(x, sizeof(x));
	return ok;
}

size_t
pt_b64_len(size_t len)
{
	return sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_URLSAFE_NO_PADDING) - 1;
}

int
pt_b64_encode(char *out, size_t cap, const uint8_t *p, size_t len)
{
	if (cap < pt_b64_len(len) + 1)
		return PT_ENOSPC;
	sodium_bin2base64(out, cap, p, len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	return PT_OK;
}

int
pt_b64_decode(uint8_t *out, size_t out_len, const char *s, size_t slen)
{
	size_t n = 0;
	const char *end = NULL;

	if (sodium_base642bin(out, out_len, s, slen, NULL, &n, &end,
			      sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
	    n != out_len || end != s + slen) {
		sodium_memzero(out, out_len);
		return PT_EMALFORMED;
	}
	return PT_OK;
}

static_assert(PT_PWHASH_STR_MAX == crypto_pwhash_STRBYTES, "pwhash size");

int
pt_pwhash_str(char out[PT_PWHASH_STR_MAX], const char *pw, size_t pw_len)
{
	if (crypto_pwhash_str(out, pw, pw_len, crypto_pwhash_OPSLIMIT_INTERACTIVE,
			      crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
		sodium_memzero(out, PT_PWHASH_STR_MAX);
		return PT_ENOMEM;	/* the only way it fails: no memory */
	}
	return PT_OK;
}

int
pt_pwhash_verify(const char *hash, const char *pw, size_t pw_len)
{
	char h[PT_PWHASH_STR_MAX];
	size_t n = strnlen(hash, PT_PWHASH_STR_MAX);

	if (n == PT_PWHASH_STR_MAX)
		return PT_EBADSIG;
	memcpy(h, hash, n + 1);	/* libsodium wants a buffer of STRBYTES */
	memset(h + n + 1, 0, sizeof(h) - n - 1);
	return crypto_pwhash_str_verify(h, pw, pw_len) == 0 ? PT_OK : PT_EBADSIG;
}
