/*
 * The nonce of a pairing statement (porter/envelope.h, docs/credentials.md):
 * a keyed BLAKE2b of the hub's one-time code over both keys and the home.
 * Here because it needs libsodium's generichash, which the core does not
 * carry in struct pt_crypto_ops.
 */
#include "porter/envelope.h"

#include <assert.h>
#include <string.h>

#include <sodium.h>

#define DOMAIN_LEN (sizeof(PT_PAIRING_NONCE_DOMAIN) - 1)
#define MSG_MAX (DOMAIN_LEN + 1 + PT_PK_LEN + PT_PK_LEN + 1 + PT_ID_MAX)

static_assert(PT_CTI_LEN >= crypto_generichash_BYTES_MIN &&
		      PT_CTI_LEN <= crypto_generichash_BYTES_MAX,
	      "pairing nonce length is a BLAKE2b output length");
static_assert(PT_PAIRING_CODE_LEN >= crypto_generichash_KEYBYTES_MIN &&
		      PT_PAIRING_CODE_LEN <= crypto_generichash_KEYBYTES_MAX,
	      "pairing code length is a BLAKE2b key length");
static_assert(PT_ID_MAX <= 255, "a home id's length fits in one byte");

int
pt_pairing_nonce(uint8_t out[PT_CTI_LEN], const uint8_t code[PT_PAIRING_CODE_LEN],
		 const char *home, const uint8_t hub_pk[PT_PK_LEN], const uint8_t owner_pk[PT_PK_LEN])
{
	uint8_t msg[MSG_MAX];
	crypto_generichash_state st;
	size_t home_len, n = 0;
	int r = PT_EINVAL;

	if (out == NULL)
		return PT_EINVAL;
	memset(out, 0, PT_CTI_LEN);
	if (code == NULL || home == NULL || hub_pk == NULL || owner_pk == NULL)
		return PT_EINVAL;
	home_len = strnlen(home, PT_ID_MAX + 1);
	if (!pt_id_is_valid(home, home_len))
		return PT_EINVAL;
	memcpy(msg, PT_PAIRING_NONCE_DOMAIN, DOMAIN_LEN);
	n = DOMAIN_LEN;
	msg[n++] = 0x00;
	memcpy(msg + n, hub_pk, PT_PK_LEN);
	n += PT_PK_LEN;
	memcpy(msg + n, owner_pk, PT_PK_LEN);
	n += PT_PK_LEN;
	msg[n++] = (uint8_t)home_len;
	memcpy(msg + n, home, home_len);
	n += home_len;
	if (crypto_generichash_init(&st, code, PT_PAIRING_CODE_LEN, PT_CTI_LEN) != 0 ||
	    crypto_generichash_update(&st, msg, n) != 0 ||
	    crypto_generichash_final(&st, out, PT_CTI_LEN) != 0) {
		sodium_memzero(out, PT_CTI_LEN);
		goto out;
	}
	r = PT_OK;
out:
	sodium_memzero(&st, sizeof(st));
	sodium_memzero(msg, sizeof(msg));
	return r;
}
