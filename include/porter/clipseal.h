/*
 * porter/clipseal.h: sealing clip segments so only the owners can read
 * them (libsodium; lib/crypto/clipseal.c; docs/clips.md gives the bytes).
 *
 * A fresh random 32-byte clip key per clip. Each segment is its own
 * crypto_secretstream_xchacha20poly1305 stream under that key, so a
 * segment uploads, stores and decrypts on its own:
 *
 *   sealed segment = "PTSEG1" (6 bytes) || stream header (24)
 *                    || chunks: u32 big-endian ciphertext length || ciphertext
 *   every chunk's additional data = clip id (16) || segment index (u32 BE),
 *   so a segment cannot be moved to another clip or place; the last chunk
 *   carries TAG_FINAL and nothing may follow it (truncation is detected);
 *   plaintext chunks are at most PT_SEG_CHUNK bytes.
 *
 * The clip key is sealed (crypto_box_seal) to each owner's X25519 key,
 * which is the owner's Ed25519 key converted
 * (crypto_sign_ed25519_pk_to_curve25519): owners hold one key, and the
 * camera needs no other enrolment. The owner opens it with the Ed25519
 * secret converted the same way.
 *
 * Keys live in guarded memory (pt_guarded_alloc) and are wiped on free.
 */
#ifndef PORTER_CLIPSEAL_H
#define PORTER_CLIPSEAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "porter/clip.h"
#include "porter/crypto.h"
#include "porter/err.h"

#define PT_SEG_MAGIC "PTSEG1"
#define PT_SEG_MAGIC_LEN 6
#define PT_SEG_HEADER_LEN (PT_SEG_MAGIC_LEN + 24)
#define PT_SEG_CHUNK 65536u			/* plaintext bytes per chunk at most */
#define PT_SEG_CHUNK_OVERHEAD (4u + 17u)	/* length + secretstream's ABYTES */

/* A new random clip key into guarded memory; NULL if out of memory. */
uint8_t *pt_clip_key_new(void);
void pt_clip_key_free(uint8_t *key);

/* Seal key to the owner's Ed25519 public key. PT_OK or PT_EINVAL (not a
 * valid Ed25519 point). */
int pt_clip_key_seal(const uint8_t key[PT_CLIP_KEY_LEN], const uint8_t owner_pk[PT_PK_LEN],
		     uint8_t out[PT_CLIP_SEALED_KEY_LEN]) PT_MUST_CHECK;
/* Open a sealed key with the owner's secret. PT_OK, or PT_EBADSIG (not
 * sealed to this owner, or altered), PT_ENOMEM. key: PT_CLIP_KEY_LEN
 * guarded bytes, zeroed on failure. */
int pt_clip_key_open(const struct pt_secret *owner, const uint8_t sealed[PT_CLIP_SEALED_KEY_LEN],
		     uint8_t *key) PT_MUST_CHECK;

/* Sealing one segment as a stream (the camera writes as it records). */
struct pt_seg_sealer {
	uint8_t state[64];	/* crypto_secretstream_xchacha20poly1305_state, 52 bytes */
	uint8_t ad[PT_CLIP_ID_LEN + 4];
	bool done;
};
/* Start: writes the PT_SEG_HEADER_LEN header bytes to out. */
int pt_seg_seal_init(struct pt_seg_sealer *s, const uint8_t *key,
		     const uint8_t clip[PT_CLIP_ID_LEN], uint32_t index,
		     uint8_t out[PT_SEG_HEADER_LEN]) PT_MUST_CHECK;
/* One chunk of at most PT_SEG_CHUNK bytes (final: the last one, may be
 * empty); out holds len + PT_SEG_CHUNK_OVERHEAD. PT_OK, PT_EINVAL (too
 * big, or after the final chunk). */
int pt_seg_seal_chunk(struct pt_seg_sealer *s, const uint8_t *in, size_t len, bool final,
		      uint8_t *out, size_t *out_len) PT_MUST_CHECK;
/* Wipe the state (also after an error). */
void pt_seg_sealer_wipe(struct pt_seg_sealer *s);

/* Whole buffers. seal: out holds pt_seg_sealed_size(len) (0: overflow);
 * PT_EINVAL if that is over PT_CLIP_SEGMENT_SIZE_MAX. open: out holds at
 * least len bytes; PT_OK, PT_ETOOBIG (len over PT_CLIP_SEGMENT_SIZE_MAX),
 * PT_EMALFORMED (framing, truncated, bytes after the final chunk),
 * PT_EBADSIG (authentication failed: wrong key, clip, index, or altered,
 * reordered or dropped chunks). On failure out is wiped and *out_len 0. */
size_t pt_seg_sealed_size(size_t plain_len);
int pt_seg_seal(const uint8_t *key, const uint8_t clip[PT_CLIP_ID_LEN], uint32_t index,
		const uint8_t *in, size_t len, uint8_t *out, size_t *out_len) PT_MUST_CHECK;
int pt_seg_open(const uint8_t *key, const uint8_t clip[PT_CLIP_ID_LEN], uint32_t index,
		const uint8_t *in, size_t len, uint8_t *out, size_t *out_len) PT_MUST_CHECK;

#endif
