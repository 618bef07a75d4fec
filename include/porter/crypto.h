/*
 * porter/crypto.h: the crypto porter needs, and the only door to libsodium.
 *
 * The core verifies through struct pt_crypto_ops, so a lock MCU can bring
 * its own Ed25519 and SHA-256; pt_crypto_sodium() returns libsodium's. The
 * signing side (struct pt_signer) is a callback too, so a private key can
 * live in another process or a secure element; pt_signer_sodium() wraps an
 * in-memory key.
 */
#ifndef PORTER_CRYPTO_H
#define PORTER_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "porter/err.h"

#define PT_PK_LEN 32	/* Ed25519 public key */
#define PT_SK_LEN 64	/* Ed25519 secret key, libsodium layout: seed || pk */
#define PT_SEED_LEN 32
#define PT_SIG_LEN 64
#define PT_HASH_LEN 32	/* SHA-256 */

struct pt_crypto_ops {
	/* true only if sig is a valid Ed25519 signature of m by pk. */
	bool (*ed25519_verify)(const uint8_t sig[PT_SIG_LEN], const uint8_t *m, size_t mlen,
			       const uint8_t pk[PT_PK_LEN]);
	void (*sha256)(uint8_t out[PT_HASH_LEN], const uint8_t *m, size_t mlen);
};

struct pt_signer {
	/* Signs m with Ed25519; PT_OK or a negative PT_E*. */
	int (*sign)(void *arg, uint8_t sig[PT_SIG_LEN], const uint8_t *m, size_t mlen);
	void *arg;
	uint8_t pk[PT_PK_LEN];	/* the public half, for key ids and checks */
};

/* libsodium; aborts the process if libsodium cannot initialise (no
 * entropy source): a program that cannot make keys must not run. */
int pt_crypto_init(void) PT_MUST_CHECK;
const struct pt_crypto_ops *pt_crypto_sodium(void);

/*
 * A secret key in guarded memory (sodium_malloc: guard pages, mlock'd,
 * wiped when freed). Never formatted, logged or copied out.
 */
struct pt_secret;
struct pt_secret *pt_secret_new(void);	/* NULL on failure */
void pt_secret_free(struct pt_secret *s);
/* Key pair from a fresh random seed, or from a given seed. */
int pt_secret_generate(struct pt_secret *s) PT_MUST_CHECK;
int pt_secret_from_seed(struct pt_secret *s, const uint8_t seed[PT_SEED_LEN]) PT_MUST_CHECK;
void pt_secret_public(const struct pt_secret *s, uint8_t pk[PT_PK_LEN]);
/* Borrow the seed (read-only) to store it; valid until pt_secret_free. */
const uint8_t *pt_secret_seed(const struct pt_secret *s);
/* A signer over s; s must outlive the signer. */
void pt_signer_sodium(struct pt_signer *sg, struct pt_secret *s);

int pt_sign_detached(const struct pt_secret *s, uint8_t sig[PT_SIG_LEN], const uint8_t *m,
		     size_t mlen) PT_MUST_CHECK;
void pt_random(uint8_t *p, size_t len);
/* SipHash-2-4 (libsodium's crypto_shorthash) of m under a secret 16-byte
 * key: for hash tables whose keys an attacker chooses (rate limits), so
 * that which entries collide cannot be worked out from outside. */
#define PT_SHORTHASH_KEY_LEN 16
uint64_t pt_shorthash(const uint8_t key[PT_SHORTHASH_KEY_LEN], const void *m, size_t mlen);
void pt_wipe(void *p, size_t len);
/* Constant time: for secrets and MACs. */
bool pt_ct_equal(const uint8_t *a, const uint8_t *b, size_t len);
/* Is pk a valid, non-small-order Ed25519 point? (libsodium's checks.) */
bool pt_pk_is_valid(const uint8_t pk[PT_PK_LEN]);

/*
 * Passwords: Argon2id (crypto_pwhash_str, interactive limits, about 0.1 s
 * and 64 MiB). out holds PT_PWHASH_STR_MAX bytes, NUL-terminated.
 * pt_pwhash_verify: PT_OK only if pw matches; PT_EBADSIG otherwise.
 */
#define PT_PWHASH_STR_MAX 128
int pt_pwhash_str(char out[PT_PWHASH_STR_MAX], const char *pw, size_t pw_len) PT_MUST_CHECK;
int pt_pwhash_verify(const char *hash, const char *pw, size_t pw_len) PT_MUST_CHECK;

/* Guarded memory for other secrets (sodium_malloc: guard pages, mlock'd;
 * wiped by pt_guarded_free). NULL on failure. */
void *pt_guarded_alloc(size_t n);
void pt_guarded_free(void *p);

/*
 * Authenticated encryption of small secrets at rest (porterd's sealed
 * carrier keys): XChaCha20-Poly1305 (libsodium's IETF AEAD) with a random
 * nonce. out = nonce (24) || ciphertext || tag (16): mlen + PT_AEAD_OVERHEAD
 * bytes. ad binds the ciphertext to its context (the carrier id) so a
 * sealed value moved to another row does not open. pt_aead_open: PT_OK,
 * PT_EBADSIG (forged, wrong key or wrong ad), PT_EMALFORMED (too short),
 * PT_ENOSPC. A failed open leaves m wiped.
 */
#define PT_AEAD_KEY_LEN 32
#define PT_AEAD_OVERHEAD (24 + 16)
int pt_aead_seal(const uint8_t key[PT_AEAD_KEY_LEN], const uint8_t *ad, size_t adlen,
		 const uint8_t *m, size_t mlen, uint8_t *out, size_t cap,
		 size_t *out_len) PT_MUST_CHECK;
int pt_aead_open(const uint8_t key[PT_AEAD_KEY_LEN], const uint8_t *ad, size_t adlen,
		 const uint8_t *c, size_t clen, uint8_t *m, size_t cap,
		 size_t *m_len) PT_MUST_CHECK;

/*
 * Base64url without padding (RFC 4648 section 5), how porter writes keys.
 * encode: out must hold pt_b64_len(len) + 1 bytes (NUL-terminated).
 * decode: exactly out_len bytes must result; PT_OK or PT_EMALFORMED.
 */
size_t pt_b64_len(size_t len);
int pt_b64_encode(char *out, size_t cap, const uint8_t *p, size_t len) PT_MUST_CHECK;
int pt_b64_decode(uint8_t *out, size_t out_len, const char *s, size_t slen) PT_MUST_CHECK;

#endif
