/*
 * porter/live.h: live view, end to end encrypted (docs/live.md gives the
 * flow, the API and the reasons).
 *
 * 1. The request: an owner-signed envelope (porter/envelope.h,
 *    PT_ENV_LIVE, AAD "porter/live/v1"): aud = home id, iat, exp (CWT
 *    claim 4, seconds, iat < exp <= iat + PT_LIVE_SECONDS_MAX), nonce =
 *    the live session id (16 random bytes, also the replay key),
 *    -65537 {1: 1 (view), 2: the viewer's X25519 public key (32 bytes,
 *    a fresh key pair per session: its secret never leaves the viewer),
 *    3: camera id (text, a porter id)}. In struct pt_envelope: op 1,
 *    target/target_len the X25519 key, lock the camera id, exp.
 *    porterd relays it on porter/v1/hub/<id>/live; the hub checks it
 *    against its owner roots, freshness, expiry, replay and camera, writes
 *    a live.start (or live.refused) event and sends the camera an order.
 *
 * 2. The order (hub -> camera, on the camera's marks socket): signed by
 *    the hub key, so a local process that can write to the socket cannot
 *    make the camera stream to a key of its choosing:
 *
 *      order   = [ payload: bstr, signature: bstr .size 64 ]
 *      payload = { 1: version (uint, 1),
 *                  2: camera id (tstr),
 *                  3: session id (bstr .size 16),
 *                  4: hub event seq of live.start (uint >= 1),
 *                  5: time (uint, ms since the epoch, the hub's clock),
 *                  6: expiry (uint, ms since the epoch, > time,
 *                     <= time + PT_LIVE_SECONDS_MAX * 1000),
 *                  7: viewer X25519 public key (bstr .size 32),
 *                  8: owner key id (bstr .size 8: pt_kid of the signer
 *                     of the request) }
 *      signature = Ed25519 by the hub key over "porter/live-order/v1" 0x00
 *                  || payload
 *
 *    A mark (porter/clip.h) is a CBOR map, an order a CBOR array: the
 *    first byte tells them apart (pt_live_is_order).
 *
 * 3. The key record (camera -> porterd -> viewer, once, before any
 *    fragment): the live-session key (32 random bytes) sealed to the
 *    viewer's X25519 key with crypto_box_seal, signed by the camera:
 *
 *      keyrec  = [ payload: bstr, signature: bstr .size 64 ]
 *      payload = { 1: version (uint, 1), 2: camera id (tstr),
 *                  3: session id (bstr .size 16),
 *                  4: hub event seq of live.start (uint >= 1),
 *                  5: start (uint, ms, the camera's clock),
 *                  6: expiry (uint, ms, from the order),
 *                  7: viewer X25519 public key (bstr .size 32),
 *                  8: sealed key (bstr .size 80),
 *                  9: container (tstr, "mp4": fragmented MP4) }
 *      signature = Ed25519 by the camera key over "porter/live-key/v1"
 *                  0x00 || payload
 *
 * 4. Fragments (camera -> porterd -> viewer). Fragment 0 is the
 *    initialization segment (ftyp + moov); 1, 2, ... are media fragments
 *    (moof + mdat) of about one second, each starting on a key frame:
 *
 *      fragment = header (PT_LIVE_HDR_LEN bytes) || sealed
 *      header   = "PTLIV1" (6) || session id (16) || index (u32 BE)
 *                 || capture (u64 BE, ms since the epoch: when the
 *                    fragment's first picture was captured; 0 for
 *                    fragment 0) || duration (u32 BE, ms; 0 for
 *                    fragment 0) || sealed length (u32 BE)
 *      sealed   = a sealed segment (porter/clipseal.h, PTSEG1...) under
 *                 the live key, with clip id = session id and the index;
 *                 its plaintext = capture (u64 BE) || duration (u32 BE)
 *                 || the fMP4 bytes. The viewer trusts only the sealed
 *                 copy of capture and duration and refuses a fragment
 *                 whose header says otherwise.
 *
 *    The camera also signs each fragment for porterd, which cannot open
 *    it but must not relay bytes from anyone else:
 *      Ed25519 by the camera key over "porter/live-fragment/v1" 0x00
 *      || session id (16) || index (u32 BE) || SHA-256 of the fragment
 *      (header and sealed)
 *
 * All CBOR in core deterministic encoding, every key required, nothing
 * unknown, nothing after the top item. Pure: no allocation, no I/O, no
 * clock; signatures through struct pt_crypto_ops / struct pt_signer.
 * Decoders leave their output zeroed on failure.
 */
#ifndef PORTER_LIVE_H
#define PORTER_LIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "porter/clip.h"
#include "porter/cred.h"
#include "porter/crypto.h"
#include "porter/err.h"

#define PT_LIVE_REQUEST_DOMAIN "porter/live/v1"	/* the envelope's AAD */
#define PT_LIVE_ORDER_DOMAIN "porter/live-order/v1"
#define PT_LIVE_KEYREC_DOMAIN "porter/live-key/v1"
#define PT_LIVE_FRAGMENT_DOMAIN "porter/live-fragment/v1"

#define PT_LIVE_ID_LEN 16
#define PT_LIVE_XPK_LEN 32			/* X25519 public key */
#define PT_LIVE_XSK_LEN 32
#define PT_LIVE_SEALED_KEY_LEN 80		/* crypto_box_seal of 32 bytes */
#define PT_LIVE_KEY_LEN 32
#define PT_LIVE_VIEW 1				/* the request's op */
#define PT_LIVE_SECONDS_MAX 600			/* a session lasts at most 10 minutes */

#define PT_LIVE_ORDER_MAX 256			/* the largest order message */
#define PT_LIVE_KEYREC_MAX 384			/* the largest key record message */

#define PT_LIVE_MAGIC "PTLIV1"
#define PT_LIVE_MAGIC_LEN 6
#define PT_LIVE_HDR_LEN (PT_LIVE_MAGIC_LEN + PT_LIVE_ID_LEN + 4 + 8 + 4 + 4)	/* 42 */
#define PT_LIVE_PREFIX_LEN 12			/* capture + duration, inside the seal */
#define PT_LIVE_FRAGMENT_MAX (4u * 1024u * 1024u)	/* header + sealed, at most */

struct pt_live_order {
	char camera[PT_ID_MAX + 1];
	uint8_t session[PT_LIVE_ID_LEN];
	uint64_t event_seq;			/* 1..INT64_MAX */
	uint64_t time_ms, expiry_ms;		/* time < expiry <= time + max */
	uint8_t viewer_xpk[PT_LIVE_XPK_LEN];
	uint8_t owner_kid[PT_KID_LEN];
};

/* Is xpk usable as the viewer's X25519 key: not all zero and not one of
 * the points of small order (libsodium's list, the top bit ignored)?
 * Checked wherever a viewer key is read or written: the request, the
 * order, the key record, pt_live_key_seal. */
bool pt_live_xpk_is_valid(const uint8_t xpk[PT_LIVE_XPK_LEN]);

/* Is this datagram an order (a CBOR array) rather than a mark? */
bool pt_live_is_order(const uint8_t *p, size_t len);

/* Encode and sign with the hub key. PT_OK, PT_EINVAL (what open would
 * refuse), PT_ENOSPC, or the signer's error. */
int pt_live_order_sign(const struct pt_signer *hub, const struct pt_live_order *o, uint8_t *out,
		       size_t cap, size_t *out_len) PT_MUST_CHECK;
/* Check the signature against the hub key (before reading any field),
 * then decode and check the fields' own rules. PT_OK, PT_ETOOBIG,
 * PT_EMALFORMED, PT_EBADSIG. Freshness and replay are the caller's. */
int pt_live_order_open(const struct pt_crypto_ops *ops, const uint8_t hub_pk[PT_PK_LEN],
		       const uint8_t *p, size_t len, struct pt_live_order *o) PT_MUST_CHECK;

struct pt_live_keyrec {
	char camera[PT_ID_MAX + 1];
	uint8_t session[PT_LIVE_ID_LEN];
	uint64_t event_seq;			/* 1..INT64_MAX */
	uint64_t start_ms, expiry_ms;		/* start < expiry */
	uint8_t viewer_xpk[PT_LIVE_XPK_LEN];
	uint8_t sealed[PT_LIVE_SEALED_KEY_LEN];
	char container[8];			/* "mp4" */
};

int pt_live_keyrec_sign(const struct pt_signer *cam, const struct pt_live_keyrec *k, uint8_t *out,
			size_t cap, size_t *out_len) PT_MUST_CHECK;
/* PT_OK, PT_ETOOBIG, PT_EMALFORMED, PT_EBADSIG. */
int pt_live_keyrec_open(const struct pt_crypto_ops *ops, const uint8_t cam_pk[PT_PK_LEN],
			const uint8_t *p, size_t len, struct pt_live_keyrec *k) PT_MUST_CHECK;
/* The camera id and session id a key record claims, unverified (to find
 * the key to verify it with). PT_OK or PT_EMALFORMED. */
int pt_live_keyrec_peek(const uint8_t *p, size_t len, char camera[PT_ID_MAX + 1],
			uint8_t session[PT_LIVE_ID_LEN]) PT_MUST_CHECK;

struct pt_live_hdr {
	uint8_t session[PT_LIVE_ID_LEN];
	uint32_t index;
	uint64_t capture_ms;			/* 0 iff index 0 */
	uint32_t duration_ms;			/* 0 iff index 0 */
	uint32_t sealed_len;			/* PT_SEG_HEADER_LEN + ... */
};

/* Write the PT_LIVE_HDR_LEN header bytes. PT_OK or PT_EINVAL (what decode
 * refuses: fragment 0 with a capture time or a duration, a media fragment
 * without both, capture over INT64_MAX, sealed_len under PT_SEG_HEADER_LEN +
 * PT_SEG_CHUNK_OVERHEAD or over PT_LIVE_FRAGMENT_MAX - PT_LIVE_HDR_LEN);
 * out zeroed then. */
int pt_live_hdr_encode(const struct pt_live_hdr *h, uint8_t out[PT_LIVE_HDR_LEN]) PT_MUST_CHECK;
/* Decode the header of a whole fragment of len bytes: the magic, the
 * index-0 rules, and sealed_len == len - PT_LIVE_HDR_LEN (nothing missing,
 * nothing after). PT_OK, PT_ETOOBIG (len over PT_LIVE_FRAGMENT_MAX),
 * PT_EMALFORMED. */
int pt_live_hdr_decode(const uint8_t *p, size_t len, struct pt_live_hdr *h) PT_MUST_CHECK;

/* The fragment signature (see above). */
#define PT_LIVE_FRAGMENT_MSG_LEN (sizeof(PT_LIVE_FRAGMENT_DOMAIN) + PT_LIVE_ID_LEN + 4 + PT_HASH_LEN)
void pt_live_fragment_msg(const uint8_t session[PT_LIVE_ID_LEN], uint32_t index,
			  const uint8_t sha256[PT_HASH_LEN], uint8_t out[PT_LIVE_FRAGMENT_MSG_LEN]);
int pt_live_fragment_sign(const struct pt_signer *cam, const uint8_t session[PT_LIVE_ID_LEN],
			  uint32_t index, const uint8_t sha256[PT_HASH_LEN],
			  uint8_t sig[PT_SIG_LEN]) PT_MUST_CHECK;
/* PT_OK or PT_EBADSIG. */
int pt_live_fragment_verify(const struct pt_crypto_ops *ops, const uint8_t cam_pk[PT_PK_LEN],
			    const uint8_t session[PT_LIVE_ID_LEN], uint32_t index,
			    const uint8_t sha256[PT_HASH_LEN],
			    const uint8_t sig[PT_SIG_LEN]) PT_MUST_CHECK;

/*
 * libsodium side (lib/crypto/liveseal.c). The live key is a clip key
 * (pt_clip_key_new / pt_clip_key_free, guarded memory); fragments are
 * sealed and opened with pt_seg_seal / pt_seg_open (clip id = session
 * id), the plaintext starting with the PT_LIVE_PREFIX_LEN prefix.
 */
/* Seal the live key to a viewer's X25519 key (crypto_box_seal). PT_OK or
 * PT_EINVAL (an all-zero or small-order key). */
int pt_live_key_seal(const uint8_t key[PT_LIVE_KEY_LEN], const uint8_t viewer_xpk[PT_LIVE_XPK_LEN],
		     uint8_t out[PT_LIVE_SEALED_KEY_LEN]) PT_MUST_CHECK;
/* A fresh X25519 key pair for one viewing session (crypto_box_keypair):
 * viewer_xsk is PT_LIVE_XSK_LEN bytes the caller keeps in guarded memory
 * and wipes once the live key is open. PT_OK, PT_EINVAL, PT_ECRYPTO. */
int pt_live_keypair(uint8_t viewer_xpk[PT_LIVE_XPK_LEN], uint8_t *viewer_xsk) PT_MUST_CHECK;
/* Open it with the viewer's key pair. PT_OK or PT_EBADSIG; key (guarded,
 * PT_LIVE_KEY_LEN bytes) zeroed on failure. */
int pt_live_key_open(const uint8_t viewer_xpk[PT_LIVE_XPK_LEN],
		     const uint8_t viewer_xsk[PT_LIVE_XSK_LEN],
		     const uint8_t sealed[PT_LIVE_SEALED_KEY_LEN], uint8_t *key) PT_MUST_CHECK;

/* "3f2a..." <-> bytes, as pt_clip_id_text / pt_clip_id_parse. */
#define pt_live_id_text pt_clip_id_text
#define pt_live_id_parse pt_clip_id_parse

#endif
