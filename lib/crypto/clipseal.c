/*
 * Sealing clip segments (porter/clipseal.h, docs/clips.md): a per-clip key,
 * one secretstream per segment bound to (clip, index), the key sealed to
 * each owner's Ed25519 key converted to X25519.
 */
#include "porter/clipseal.h"

#include <assert.h>
#include <string.h>

#include <sodium.h>

typedef crypto_secretstream_xchacha20poly1305_state ss_state;

static_assert(PT_CLIP_KEY_LEN == crypto_secretstream_xchacha20poly1305_KEYBYTES, "key size");
static_assert(PT_SEG_HEADER_LEN - PT_SEG_MAGIC_LEN ==
		      crypto_secretstream_xchacha20poly1305_HEADERBYTES,
	      "stream header size");
static_assert(PT_SEG_CHUNK_OVERHEAD == 4 + crypto_secretstream_xchacha20poly1305_ABYTES,
	      "chunk overhead");
static_assert(PT_CLIP_SEALED_KEY_LEN == crypto_box_SEALBYTES + PT_CLIP_KEY_LEN, "sealed key");
static_assert(sizeof(ss_state) <= sizeof(((struct pt_seg_sealer *)0)->state), "state fits");
static_assert(_Alignof(ss_state) == 1, "the state is bytes only");
static_assert(sizeof(PT_SEG_MAGIC) - 1 == PT_SEG_MAGIC_LEN, "magic length");

/* The X25519 side of an owner key, in guarded memory while it lives. */
struct xkeys {
	uint8_t ed_sk[crypto_sign_SECRETKEYBYTES];
	uint8_t x_sk[crypto_scalarmult_curve25519_BYTES];
	uint8_t x_pk[crypto_scalarmult_curve25519_BYTES];
};

uint8_t *
pt_clip_key_new(void)
{
	uint8_t *k = pt_guarded_alloc(PT_CLIP_KEY_LEN);

	if (k != NULL)
		crypto_secretstream_xchacha20poly1305_keygen(k);
	return k;
}

void
pt_clip_key_free(uint8_t *key)
{
	pt_guarded_free(key);	/* wipes; NULL is fine */
}

int
pt_clip_key_seal(const uint8_t key[PT_CLIP_KEY_LEN], const uint8_t owner_pk[PT_PK_LEN],
		 uint8_t out[PT_CLIP_SEALED_KEY_LEN])
{
	uint8_t xpk[crypto_scalarmult_curve25519_BYTES];

	if (out == NULL)
		return PT_EINVAL;
	memset(out, 0, PT_CLIP_SEALED_KEY_LEN);
	if (key == NULL || owner_pk == NULL || !pt_pk_is_valid(owner_pk) ||
	    crypto_sign_ed25519_pk_to_curve25519(xpk, owner_pk) != 0)
		return PT_EINVAL;
	if (crypto_box_seal(out, key, PT_CLIP_KEY_LEN, xpk) != 0) {
		memset(out, 0, PT_CLIP_SEALED_KEY_LEN);
		return PT_ECRYPTO;
	}
	return PT_OK;
}

int
pt_clip_key_open(const struct pt_secret *owner, const uint8_t sealed[PT_CLIP_SEALED_KEY_LEN],
		 uint8_t *key)
{
	uint8_t pk[PT_PK_LEN];
	struct xkeys *x = NULL;
	int r = PT_EBADSIG;

	if (key == NULL)
		return PT_EINVAL;
	sodium_memzero(key, PT_CLIP_KEY_LEN);
	if (owner == NULL || sealed == NULL)
		return PT_EINVAL;
	if ((x = pt_guarded_alloc(sizeof(*x))) == NULL)
		return PT_ENOMEM;
	/* libsodium's Ed25519 secret key is seed || pk. */
	pt_secret_public(owner, pk);
	memcpy(x->ed_sk, pt_secret_seed(owner), PT_SEED_LEN);
	memcpy(x->ed_sk + PT_SEED_LEN, pk, PT_PK_LEN);
	if (crypto_sign_ed25519_sk_to_curve25519(x->x_sk, x->ed_sk) != 0 ||
	    crypto_sign_ed25519_pk_to_curve25519(x->x_pk, pk) != 0) {
		r = PT_EINVAL;
		goto out;
	}
	if (crypto_box_seal_open(key, sealed, PT_CLIP_SEALED_KEY_LEN, x->x_pk, x->x_sk) != 0) {
		sodium_memzero(key, PT_CLIP_KEY_LEN);
		r = PT_EBADSIG;
		goto out;
	}
	r = PT_OK;
out:
	pt_guarded_free(x);
	return r;
}

static void
make_ad(uint8_t ad[PT_CLIP_ID_LEN + 4], const uint8_t clip[PT_CLIP_ID_LEN], uint32_t index)
{
	memcpy(ad, clip, PT_CLIP_ID_LEN);
	ad[PT_CLIP_ID_LEN] = (uint8_t)(index >> 24);
	ad[PT_CLIP_ID_LEN + 1] = (uint8_t)(index >> 16);
	ad[PT_CLIP_ID_LEN + 2] = (uint8_t)(index >> 8);
	ad[PT_CLIP_ID_LEN + 3] = (uint8_t)index;
}

int
pt_seg_seal_init(struct pt_seg_sealer *s, const uint8_t *key, const uint8_t clip[PT_CLIP_ID_LEN],
		 uint32_t index, uint8_t out[PT_SEG_HEADER_LEN])
{
	if (s == NULL)
		return PT_EINVAL;
	sodium_memzero(s, sizeof(*s));
	s->done = true;	/* until init succeeds, no chunk is sealed */
	if (key == NULL || clip == NULL || out == NULL)
		return PT_EINVAL;
	memcpy(out, PT_SEG_MAGIC, PT_SEG_MAGIC_LEN);
	if (crypto_secretstream_xchacha20poly1305_init_push((ss_state *)(void *)s->state,
							    out + PT_SEG_MAGIC_LEN, key) != 0) {
		pt_seg_sealer_wipe(s);
		memset(out, 0, PT_SEG_HEADER_LEN);
		return PT_ECRYPTO;
	}
	make_ad(s->ad, clip, index);
	s->done = false;
	return PT_OK;
}

int
pt_seg_seal_chunk(struct pt_seg_sealer *s, const uint8_t *in, size_t len, bool final,
		  uint8_t *out, size_t *out_len)
{
	unsigned long long clen = 0;
	size_t c;

	if (out_len == NULL)
		return PT_EINVAL;
	*out_len = 0;
	if (s == NULL || s->done || out == NULL || (in == NULL && len != 0) || len > PT_SEG_CHUNK)
		return PT_EINVAL;
	if (crypto_secretstream_xchacha20poly1305_push(
		    (ss_state *)(void *)s->state, out + 4, &clen, in, len, s->ad, sizeof(s->ad),
		    final ? crypto_secretstream_xchacha20poly1305_TAG_FINAL : 0) != 0) {
		pt_seg_sealer_wipe(s);
		return PT_ECRYPTO;
	}
	c = (size_t)clen;
	assert(c == len + crypto_secretstream_xchacha20poly1305_ABYTES);
	out[0] = (uint8_t)(c >> 24);
	out[1] = (uint8_t)(c >> 16);
	out[2] = (uint8_t)(c >> 8);
	out[3] = (uint8_t)c;
	*out_len = 4 + c;
	if (final)
		pt_seg_sealer_wipe(s);	/* keeps done set */
	return PT_OK;
}

void
pt_seg_sealer_wipe(struct pt_seg_sealer *s)
{
	if (s == NULL)
		return;
	sodium_memzero(s, sizeof(*s));
	s->done = true;
}

size_t
pt_seg_sealed_size(size_t plain_len)
{
	size_t chunks = plain_len == 0 ? 1 : (plain_len - 1) / PT_SEG_CHUNK + 1;

	if (plain_len > SIZE_MAX - PT_SEG_HEADER_LEN ||
	    chunks > (SIZE_MAX - PT_SEG_HEADER_LEN - plain_len) / PT_SEG_CHUNK_OVERHEAD)
		return 0;
	return PT_SEG_HEADER_LEN + chunks * PT_SEG_CHUNK_OVERHEAD + plain_len;
}

int
pt_seg_seal(const uint8_t *key, const uint8_t clip[PT_CLIP_ID_LEN], uint32_t index,
	    const uint8_t *in, size_t len, uint8_t *out, size_t *out_len)
{
	struct pt_seg_sealer s;
	size_t size, o, n, cl;
	int r;

	if (out_len == NULL)
		return PT_EINVAL;
	*out_len = 0;
	size = pt_seg_sealed_size(len);
	if (key == NULL || clip == NULL || out == NULL || (in == NULL && len != 0) || size == 0 ||
	    size > PT_CLIP_SEGMENT_SIZE_MAX)
		return PT_EINVAL;
	if ((r = pt_seg_seal_init(&s, key, clip, index, out)) != PT_OK)
		return r;
	o = PT_SEG_HEADER_LEN;
	do {
		n = len < PT_SEG_CHUNK ? len : PT_SEG_CHUNK;
		if ((r = pt_seg_seal_chunk(&s, in, n, n == len, out + o, &cl)) != PT_OK)
			goto fail;
		o += cl;
		in += n;
		len -= n;
	} while (len != 0 || !s.done);
	assert(o == size);
	*out_len = o;
	return PT_OK;
fail:
	pt_seg_sealer_wipe(&s);
	sodium_memzero(out, size);
	return r;
}

int
pt_seg_open(const uint8_t *key, const uint8_t clip[PT_CLIP_ID_LEN], uint32_t index,
	    const uint8_t *in, size_t len, uint8_t *out, size_t *out_len)
{
	ss_state st;
	uint8_t ad[PT_CLIP_ID_LEN + 4];
	unsigned long long mlen;
	unsigned char tag = 0;
	size_t o = PT_SEG_HEADER_LEN, w = 0, c;
	int r = PT_EMALFORMED;

	if (out_len == NULL)
		return PT_EINVAL;
	*out_len = 0;
	if (key == NULL || clip == NULL || out == NULL || in == NULL)
		return PT_EINVAL;
	if (len > PT_CLIP_SEGMENT_SIZE_MAX)
		return PT_ETOOBIG;
	if (len < PT_SEG_HEADER_LEN || memcmp(in, PT_SEG_MAGIC, PT_SEG_MAGIC_LEN) != 0)
		return PT_EMALFORMED;
	if (crypto_secretstream_xchacha20poly1305_init_pull(&st, in + PT_SEG_MAGIC_LEN, key) != 0)
		return PT_EMALFORMED;
	make_ad(ad, clip, index);
	while (tag != crypto_secretstream_xchacha20poly1305_TAG_FINAL) {
		/* Bytes end before the final chunk: truncated. */
		if (len - o < 4) {
			r = PT_EMALFORMED;
			goto fail;
		}
		c = (size_t)in[o] << 24 | (size_t)in[o + 1] << 16 | (size_t)in[o + 2] << 8 |
		    (size_t)in[o + 3];
		o += 4;
		if (c < crypto_secretstream_xchacha20poly1305_ABYTES ||
		    c > PT_SEG_CHUNK + crypto_secretstream_xchacha20poly1305_ABYTES || c > len - o) {
			r = PT_EMALFORMED;
			goto fail;
		}
		if (crypto_secretstream_xchacha20poly1305_pull(&st, out + w, &mlen, &tag, in + o, c,
							       ad, sizeof(ad)) != 0) {
			r = PT_EBADSIG;
			goto fail;
		}
		o += c;
		w += (size_t)mlen;
		if (tag != 0 && tag != crypto_secretstream_xchacha20poly1305_TAG_FINAL) {
			r = PT_EMALFORMED;
			goto fail;
		}
	}
	/* Nothing may follow the final chunk. */
	if (o != len) {
		r = PT_EMALFORMED;
		goto fail;
	}
	sodium_memzero(&st, sizeof(st));
	*out_len = w;
	return PT_OK;
fail:
	sodium_memzero(&st, sizeof(st));
	sodium_memzero(out, w);
	return r;
}
