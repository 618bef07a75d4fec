/*
 * porter/cam_owners.h: the owner keys the hub hands to its camera, so
 * that clips are sealed to every owner key the hub trusts (docs/cam.md,
 * "Owner keys from the hub"; docs/hub.md, "The camera").
 *
 * The hub computes its trusted owner keys (the door-paired key, the keys
 * endorsed by it, less the revoked ones: docs/hub.md, "Owners") and sends
 * them, signed by the hub key, on the camera's marks socket whenever the
 * set changes, at start and again once a minute:
 *
 *   message = [ payload: bstr, signature: bstr .size 64,
 *               hub key id: bstr .size 8 ]                  CBOR array(3)
 *   payload = { 1: version (uint, 1),
 *               2: hub id (tstr, a porter id),
 *               3: camera id (tstr, a porter id),
 *               4: serial (uint 1..2^63-1: grows with every new set; the
 *                  camera refuses a serial lower than the last it took,
 *                  and a different set under the same serial),
 *               5: owners [ 1*8 bstr .size 32 ]: Ed25519 public keys, no
 *                  two the same, in the hub's order (the door-paired
 *                  key first) }
 *   signature = Ed25519 by the hub key over "porter/cam-owners/v1" 0x00
 *               || payload
 *   hub key id = pt_kid of the hub key (outside the signature: a camera
 *               that knows another hub key says so, other-hub, before it
 *               spends a signature check)
 *
 * A mark (porter/clip.h) is a CBOR map, a live order (porter/live.h) an
 * array of 2, this message an array of 3: the first byte tells them
 * apart (pt_cam_owners_is_msg).
 *
 * At most PT_CAM_OWNERS_MAX keys: what a clip's key record holds
 * (PT_CLIP_RECIPIENTS_MAX); a hub that trusts more sends the first ones
 * of its order. All CBOR in core deterministic encoding, every key
 * required, nothing unknown, nothing after the array. Pure: no
 * allocation, no I/O, no clock; signatures through struct pt_crypto_ops /
 * struct pt_signer. The decoder leaves its output zeroed on failure.
 * Whether a key is a valid curve point is the caller's check
 * (pt_pk_is_valid): lib/core cannot do it.
 */
#ifndef PORTER_CAM_OWNERS_H
#define PORTER_CAM_OWNERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "porter/clip.h"
#include "porter/cred.h"
#include "porter/crypto.h"
#include "porter/err.h"

#define PT_CAM_OWNERS_DOMAIN "porter/cam-owners/v1"
#define PT_CAM_OWNERS_MAX PT_CLIP_RECIPIENTS_MAX	/* keys in one message: 8 */
#define PT_CAM_OWNERS_MSG_MAX 512			/* the largest message (500 bytes) */

struct pt_cam_owners {
	char hub[PT_ID_MAX + 1];
	char camera[PT_ID_MAX + 1];
	uint64_t serial;				/* 1..INT64_MAX */
	size_t n;					/* 1..PT_CAM_OWNERS_MAX */
	uint8_t pk[PT_CAM_OWNERS_MAX][PT_PK_LEN];	/* distinct */
};

/* Is this datagram a camera owners message (a CBOR array of 3)? */
bool pt_cam_owners_is_msg(const uint8_t *p, size_t len);

/* Encode and sign with the hub key (ops: for the key id). PT_OK, PT_EINVAL (what open would
 * refuse: a bad id, serial 0 or over INT64_MAX, no key or more than
 * PT_CAM_OWNERS_MAX, a key twice), PT_ENOSPC, or the signer's error;
 * out zeroed on failure. PT_CAM_OWNERS_MSG_MAX bytes always suffice. */
int pt_cam_owners_sign(const struct pt_crypto_ops *ops, const struct pt_signer *hub,
		       const struct pt_cam_owners *o, uint8_t *out, size_t cap,
		       size_t *out_len) PT_MUST_CHECK;

/* Check the key id, then the signature against the hub key (before any
 * field of the payload is read), then decode and check the fields' own
 * rules. PT_OK; PT_ETOOBIG (over PT_CAM_OWNERS_MSG_MAX); PT_EMALFORMED;
 * PT_EUNTRUSTED (the key id is not hub_pk's: another hub's message);
 * PT_EBADSIG. Which camera it is for, and the serial against the last,
 * are the caller's. o is zeroed on failure. */
int pt_cam_owners_open(const struct pt_crypto_ops *ops, const uint8_t hub_pk[PT_PK_LEN],
		       const uint8_t *p, size_t len, struct pt_cam_owners *o) PT_MUST_CHECK;

#endif
