/*
 * Live view's key (porter/live.h, docs/live.md): the live-session key
 * sealed (crypto_box_seal) to the viewer's per-session X25519 key.
 */
#include "porter/live.h"

#include <assert.h>
#include <string.h>

#include <sodium.h>

static_assert(PT_LIVE_SEALED_KEY_LEN == crypto_box_SEALBYTES + PT_LIVE_KEY_LEN, "sealed key");
static_assert(PT_LIVE_XPK_LEN == crypto_box_PUBLICKEYBYTES, "viewer public key");
static_assert(PT_LIVE_XSK_LEN == crypto_box_SECRETKEYBYTES, "viewer secret key");

int
pt_live_key_seal(const uint8_t key[PT_LIVE_KEY_LEN], const uint8_t viewer_xpk[PT_LIVE_XPK_LEN],
		 uint8_t out[PT_LIVE_SEALED_KEY_LEN])
{
	if (out == NULL)
		return PT_EINVAL;
	memset(out, 0, PT_LIVE_SEALED_KEY_LEN);
	/* A key of small order would make the shared secret public: anyone
	 * could open what is sealed to it. */
	if (key == NULL || !pt_live_xpk_is_valid(viewer_xpk))
		return PT_EINVAL;
	if (crypto_box_seal(out, key, PT_LIVE_KEY_LEN, viewer_xpk) != 0) {
		sodium_memzero(out, PT_LIVE_SEALED_KEY_LEN);
		return PT_EINVAL;	/* libsodium refused the key (small order) */
	}
	return PT_OK;
}

int
pt_live_key_open(const uint8_t viewer_xpk[PT_LIVE_XPK_LEN],
		 const uint8_t viewer_xsk[PT_LIVE_XSK_LEN],
		 const uint8_t sealed[PT_LIVE_SEALED_KEY_LEN], uint8_t *key)
{
	if (key == NULL)
		return PT_EINVAL;
	sodium_memzero(key, PT_LIVE_KEY_LEN);
	if (viewer_xsk == NULL || sealed == NULL || !pt_live_xpk_is_valid(viewer_xpk))
		return PT_EBADSIG;
	if (crypto_box_seal_open(key, sealed, PT_LIVE_SEALED_KEY_LEN, viewer_xpk, viewer_xsk) != 0) {
		sodium_memzero(key, PT_LIVE_KEY_LEN);
		return PT_EBADSIG;
	}
	return PT_OK;
}

int
pt_live_keypair(uint8_t viewer_xpk[PT_LIVE_XPK_LEN], uint8_t *viewer_xsk)
{
	if (viewer_xpk == NULL || viewer_xsk == NULL)
		return PT_EINVAL;
	if (crypto_box_keypair(viewer_xpk, viewer_xsk) != 0 || !pt_live_xpk_is_valid(viewer_xpk)) {
		sodium_memzero(viewer_xsk, PT_LIVE_XSK_LEN);
		memset(viewer_xpk, 0, PT_LIVE_XPK_LEN);
		return PT_ECRYPTO;
	}
	return PT_OK;
}
