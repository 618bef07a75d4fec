/*
 * porter/clip.h: clips as evidence. The hub's marks to the camera, the
 * signed manifest of a clip, and the signed header of each sealed
 * segment the camera uploads (docs/clips.md gives the bytes).
 *
 * The flow: at an access session's start the hub picks a clip id (16
 * random bytes), records it in its "session.start" event, and sends the
 * camera a START mark; at the session's end an END mark. porter-cam cuts
 * the clip from pre-roll before START to post-roll after END into
 * segments of about 2 s, seals each segment (porter/clipseal.h) under a
 * per-clip key, uploads each sealed segment as soon as it is closed with
 * a segment signature, and finally uploads the manifest: the clip's
 * facts, every segment's SHA-256, and the clip key sealed to each owner.
 * porterd checks both signatures against the camera key an owner
 * enrolled, stores ciphertext it cannot read, and an evidence bundle
 * verifies offline.
 *
 *   mark     = { 1: kind (uint: 1 start, 2 end), 2: clip id (bstr .size 16),
 *                3: hub event seq (uint, the session event's seq),
 *                4: time (uint, ms since the Unix epoch, the hub's clock) }
 *              (unsigned: a local Unix datagram socket, mode 0660; a forged
 *              mark can only make the camera record more)
 *
 *   manifest = [ payload: bstr, signature: bstr .size 64 ]
 *   payload  = { 1: version (uint, 1),
 *                2: camera id (tstr, a porter id),
 *                3: clip id (bstr .size 16),
 *                4: hub event seq of START (uint), 5: of END (uint, 0: none,
 *                   the clip was cut short),
 *                6: start (uint, ms since the epoch: the first segment's
 *                   first picture), 7: end (uint, ms, >= start),
 *                8: container (tstr: "mp4" fragmented MP4, or "ts"),
 *                9: pre-roll (uint, ms), 10: post-roll (uint, ms),
 *                11: segments [ + [ index (uint, 0.. without gaps),
 *                                   duration (uint, ms),
 *                                   size (uint, bytes of the sealed segment),
 *                                   sha256 (bstr .size 32, of the sealed
 *                                           segment) ] ],
 *                12: keys [ + [ owner key id (bstr .size 8, pt_kid of the
 *                               owner's Ed25519 key),
 *                               sealed clip key (bstr .size
 *                               PT_CLIP_SEALED_KEY_LEN) ] ] }
 *   signature = Ed25519 by the camera key over
 *               "porter/clip-manifest/v1" 0x00 || payload
 *
 *   key record = [ payload: bstr, signature: bstr .size 64 ]   (at START)
 *   payload    = { 1: version (uint, 1),
 *                  2: camera id (tstr, a porter id),
 *                  3: clip id (bstr .size 16),
 *                  4: hub event seq of START (uint >= 1),
 *                  5: start (uint, ms since the epoch: the camera's clock
 *                     when it took START; the manifest's start, the first
 *                     picture, is earlier by the pre-roll),
 *                  6: container (tstr: "mp4" or "ts"),
 *                  7: keys [ + [ owner key id, sealed clip key ] ]
 *                     (as the manifest's key 12) }
 *   signature  = Ed25519 by the camera key over
 *                "porter/clip-key/v1" 0x00 || payload
 *   (uploaded before segment 0, so a clip whose camera dies before END
 *   still opens; the manifest's keys must equal it)
 *
 *   segment signature = Ed25519 by the camera key over
 *               "porter/clip-segment/v1" 0x00 || clip id (16)
 *               || index (4, big endian) || sha256 of the sealed segment (32)
 *
 * All CBOR in core deterministic encoding (porter/cbor.h), every key
 * required, nothing unknown, nothing after the top item.
 *
 * Pure: no allocation, no I/O, no clock, no globals; signatures through
 * struct pt_crypto_ops / struct pt_signer. Decoders leave their output
 * zeroed on failure.
 */
#ifndef PORTER_CLIP_H
#define PORTER_CLIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "porter/cred.h"
#include "porter/crypto.h"
#include "porter/err.h"

#define PT_CLIP_ID_LEN 16
#define PT_CLIP_MANIFEST_DOMAIN "porter/clip-manifest/v1"
#define PT_CLIP_SEGMENT_DOMAIN "porter/clip-segment/v1"
#define PT_CLIP_KEYREC_DOMAIN "porter/clip-key/v1"
#define PT_CLIP_SEALED_KEY_LEN 80	/* crypto_box_seal of a 32-byte key */
#define PT_CLIP_KEY_LEN 32

#define PT_CLIP_MARK_MAX 64		/* the largest mark's bytes */
#define PT_CLIP_SEGMENTS_MAX 1024	/* ~34 minutes of 2 s segments */
#define PT_CLIP_RECIPIENTS_MAX 8	/* owners a clip key is sealed to */
#define PT_CLIP_SEGMENT_SIZE_MAX (16u * 1024u * 1024u)	/* one sealed segment */
/* The largest payload: fixed fields ~160 bytes, each segment entry at most
 * 49, each key 94. */
#define PT_CLIP_PAYLOAD_MAX (256u + PT_CLIP_SEGMENTS_MAX * 49u + PT_CLIP_RECIPIENTS_MAX * 94u)
#define PT_CLIP_MANIFEST_MAX (PT_CLIP_PAYLOAD_MAX + 80u)

enum pt_clip_mark_kind { PT_CLIP_MARK_START = 1, PT_CLIP_MARK_END = 2 };

struct pt_clip_mark {
	uint8_t kind;				/* enum pt_clip_mark_kind */
	uint8_t clip[PT_CLIP_ID_LEN];
	uint64_t event_seq;			/* 1..INT64_MAX */
	uint64_t time_ms;			/* 0..INT64_MAX */
};

/* PT_OK, PT_EINVAL (a field the decoder would refuse), PT_ENOSPC. */
int pt_clip_mark_encode(const struct pt_clip_mark *m, uint8_t *out, size_t cap,
			size_t *out_len) PT_MUST_CHECK;
/* PT_OK, PT_ETOOBIG (over PT_CLIP_MARK_MAX), PT_EMALFORMED. */
int pt_clip_mark_decode(const uint8_t *p, size_t len, struct pt_clip_mark *m) PT_MUST_CHECK;

struct pt_clip_segment {
	uint32_t index;
	uint32_t duration_ms;
	uint32_t size;				/* 1..PT_CLIP_SEGMENT_SIZE_MAX */
	uint8_t sha256[PT_HASH_LEN];
};

struct pt_clip_recipient {
	uint8_t kid[PT_KID_LEN];
	uint8_t sealed[PT_CLIP_SEALED_KEY_LEN];
};

/* Big (about 50 KiB with every segment): callers keep it off small
 * stacks. */
struct pt_clip_manifest {
	char camera[PT_ID_MAX + 1];
	uint8_t clip[PT_CLIP_ID_LEN];
	uint64_t start_seq, end_seq;		/* end_seq 0: cut short */
	uint64_t start_ms, end_ms;
	char container[8];			/* "mp4" or "ts" */
	uint32_t preroll_ms, postroll_ms;
	size_t n_segments;			/* 1..PT_CLIP_SEGMENTS_MAX */
	struct pt_clip_segment seg[PT_CLIP_SEGMENTS_MAX];
	size_t n_keys;				/* 1..PT_CLIP_RECIPIENTS_MAX */
	struct pt_clip_recipient key[PT_CLIP_RECIPIENTS_MAX];
};

/* The payload alone. PT_OK, PT_EINVAL, PT_ENOSPC. */
int pt_clip_manifest_encode(const struct pt_clip_manifest *m, uint8_t *out, size_t cap,
			    size_t *out_len) PT_MUST_CHECK;
/* PT_OK, PT_ETOOBIG, PT_EMALFORMED (also: segment indexes not 0..n-1 in
 * order, end before start, a recipient key id twice). */
int pt_clip_manifest_decode(const uint8_t *p, size_t len, struct pt_clip_manifest *m) PT_MUST_CHECK;
/* Encode and sign: the manifest message. PT_OK, PT_EINVAL, PT_ENOSPC, or
 * the signer's error. out (PT_CLIP_MANIFEST_MAX bytes always suffice) is
 * also the scratch space for the signed bytes: no big stack buffer. */
int pt_clip_manifest_sign(const struct pt_signer *sg, const struct pt_clip_manifest *m,
			  uint8_t *out, size_t cap, size_t *out_len) PT_MUST_CHECK;
/* Check the signature against the camera key (before reading any field),
 * then decode. PT_OK, PT_ETOOBIG, PT_EMALFORMED, PT_EBADSIG. Uses about
 * PT_CLIP_PAYLOAD_MAX (50 KiB) of stack for the signed bytes. */
int pt_clip_manifest_open(const struct pt_crypto_ops *ops, const uint8_t cam_pk[PT_PK_LEN],
			  const uint8_t *p, size_t len, struct pt_clip_manifest *m) PT_MUST_CHECK;
/* The camera id a manifest message claims, without verifying anything
 * (to find the key to verify it with). PT_OK or PT_EMALFORMED. */
int pt_clip_manifest_camera(const uint8_t *p, size_t len, char out[PT_ID_MAX + 1]) PT_MUST_CHECK;

/*
 * The key record: the clip key sealed to each owner, signed at START and
 * uploaded before segment 0, so a clip cut short (no manifest) can still
 * be opened and each segment checked by its own signature. Its signature
 * domain is its own: no manifest or segment signature opens as a key
 * record, nor the other way round.
 */
/* The largest payload: map(7) and its keys 8, version 1, camera 2 + 64,
 * clip 1 + 16, seq and start 9 each, container 4, the keys' array head 1
 * and 8 keys of 92: 851 (rounded up). The message adds 1 + 3 + 2 + 64:
 * at most 1,024 bytes, the least [server] max_body porterd allows. */
#define PT_CLIP_KEYREC_PAYLOAD_MAX 864u
#define PT_CLIP_KEYREC_MAX 1024u

struct pt_clip_keyrec {
	char camera[PT_ID_MAX + 1];
	uint8_t clip[PT_CLIP_ID_LEN];
	uint64_t start_seq;			/* 1..INT64_MAX */
	uint64_t start_ms;			/* 0..INT64_MAX */
	char container[8];			/* "mp4" or "ts" */
	size_t n_keys;				/* 1..PT_CLIP_RECIPIENTS_MAX */
	struct pt_clip_recipient key[PT_CLIP_RECIPIENTS_MAX];
};

/* The payload alone. PT_OK, PT_EINVAL (what the decoder would refuse),
 * PT_ENOSPC. */
int pt_clip_keyrec_encode(const struct pt_clip_keyrec *k, uint8_t *out, size_t cap,
			  size_t *out_len) PT_MUST_CHECK;
/* PT_OK, PT_ETOOBIG, PT_EMALFORMED (also: a recipient key id twice). */
int pt_clip_keyrec_decode(const uint8_t *p, size_t len, struct pt_clip_keyrec *k) PT_MUST_CHECK;
/* Encode and sign: the key record message (PT_CLIP_KEYREC_MAX bytes always
 * suffice). PT_OK, PT_EINVAL, PT_ENOSPC, or the signer's error. */
int pt_clip_keyrec_sign(const struct pt_signer *sg, const struct pt_clip_keyrec *k, uint8_t *out,
			size_t cap, size_t *out_len) PT_MUST_CHECK;
/* Check the signature against the camera key (before reading any field),
 * then decode. PT_OK, PT_ETOOBIG, PT_EMALFORMED, PT_EBADSIG; k zeroed on
 * failure. */
int pt_clip_keyrec_open(const struct pt_crypto_ops *ops, const uint8_t cam_pk[PT_PK_LEN],
			const uint8_t *p, size_t len, struct pt_clip_keyrec *k) PT_MUST_CHECK;
/* The camera id a key record claims, unverified. PT_OK or PT_EMALFORMED. */
int pt_clip_keyrec_camera(const uint8_t *p, size_t len, char out[PT_ID_MAX + 1]) PT_MUST_CHECK;
/* Do the manifest and the key record describe one clip: the same camera,
 * clip id, START seq, container, and the same recipients in the same
 * order (the sealed keys byte for byte)? */
bool pt_clip_keyrec_matches(const struct pt_clip_keyrec *k, const struct pt_clip_manifest *m);

/* The bytes a segment signature covers (see above): 22 + 1 + 16 + 4 + 32. */
#define PT_CLIP_SEGMENT_MSG_LEN (sizeof(PT_CLIP_SEGMENT_DOMAIN) + PT_CLIP_ID_LEN + 4 + PT_HASH_LEN)
void pt_clip_segment_msg(const uint8_t clip[PT_CLIP_ID_LEN], uint32_t index,
			 const uint8_t sha256[PT_HASH_LEN], uint8_t out[PT_CLIP_SEGMENT_MSG_LEN]);
int pt_clip_segment_sign(const struct pt_signer *sg, const uint8_t clip[PT_CLIP_ID_LEN],
			 uint32_t index, const uint8_t sha256[PT_HASH_LEN],
			 uint8_t sig[PT_SIG_LEN]) PT_MUST_CHECK;
/* PT_OK or PT_EBADSIG. */
int pt_clip_segment_verify(const struct pt_crypto_ops *ops, const uint8_t cam_pk[PT_PK_LEN],
			   const uint8_t clip[PT_CLIP_ID_LEN], uint32_t index,
			   const uint8_t sha256[PT_HASH_LEN],
			   const uint8_t sig[PT_SIG_LEN]) PT_MUST_CHECK;

/* "3f2a..." (32 lowercase hex digits) <-> bytes. parse: PT_OK or
 * PT_EMALFORMED. */
void pt_clip_id_text(const uint8_t clip[PT_CLIP_ID_LEN], char out[2 * PT_CLIP_ID_LEN + 1]);
int pt_clip_id_parse(const char *text, uint8_t clip[PT_CLIP_ID_LEN]) PT_MUST_CHECK;

#endif
