/*
 * tools/porter/camtrust.h: whether a viewer believes the camera key
 * porterd hands out (docs/cam.md, "Enrolling a camera").
 *
 * porter clip decrypt and porter live take a camera's key from porterd
 * only when the camera's owner-signed statement (porter/camera_stmt.h),
 * which porterd serves with the camera, verifies with an owner key the
 * user trusts and names this home, this camera and this key (docs/cam.md,
 * "Who a viewer believes"). The anchors are the user's own owner key (the
 * Ed25519 half of --key) and any given with --owner-pub; the trusted set
 * is the anchors plus the owner keys reached from them through the
 * home's owner endorsements (PT_ENV_OWNER statements porterd serves with
 * GET .../owner-keys, each verified here), up (whoever endorsed a trusted
 * key) and down (whoever a trusted key endorsed), to a fixed point.
 * porterd can withhold a statement (then the camera is not believed) but
 * cannot forge one. A camera enrolled without a statement is believed
 * only with --trust-unsigned-camera, and then with a warning. Otherwise
 * the answer is EXIT_CAM_UNTRUSTED, with a message that says what to do.
 *
 * Not single-threaded-safe beyond its caller; owns its key list.
 */
#ifndef PORTER_TOOLS_CAMTRUST_H
#define PORTER_TOOLS_CAMTRUST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "porter/crypto.h"

/* The exit status when no trusted camera key is at hand (clip, live). */
#define EXIT_CAM_UNTRUSTED 3

#define CAM_TRUST_KEYS_MAX 16	/* --owner-pub given at most this often, plus --key */
#define CAM_TRUST_OWNERS_MAX 64	/* owner keys of a home read from porterd (its limit) */

struct client;

struct cam_trust {
	uint8_t keys[CAM_TRUST_KEYS_MAX + 1][PT_PK_LEN];
	size_t n;
	bool trust_unsigned;	/* --trust-unsigned-camera */
};

void cam_trust_init(struct cam_trust *t);
/* Add a trusted owner key: a .pub file or base64url text (--owner-pub).
 * 0, or EXIT_INPUT with a message. */
int cam_trust_add_pub(struct cam_trust *t, const char *arg);
/* Add the public half of an owner key the caller loaded (--key). */
void cam_trust_add_pk(struct cam_trust *t, const uint8_t pk[PT_PK_LEN]);

/*
 * cam is the camera's object from GET /v1/homes/{home}/cameras (borrowed).
 * When the statement's signer is not an anchor, the home's owner keys and
 * their endorsement statements are fetched with c (GET .../owner-keys)
 * and walked (cam_trust_walk). On 0, pk is the camera key to verify with.
 * Else EXIT_CAM_UNTRUSTED (no statement and not --trust-unsigned-camera;
 * a signer not trusted; a statement that does not verify, or names
 * another home, camera or key than porterd's answer) or EXIT_INPUT
 * (porterd's answer is not well-formed), with a message on stderr; pk
 * zeroed.
 */
int cam_trust_key(const struct cam_trust *t, struct client *c, const char *home,
		  const json_t *cam, uint8_t pk[PT_PK_LEN]);

/*
 * The trusted owner set of home: t's anchors, then to a fixed point every
 * key a verified owner statement (PT_ENV_OWNER, audience home, op add,
 * any age) by a key in the set names. Never the signer of a statement
 * naming a key in the set: anyone can sign one. keys is porterd's
 * "keys" array of GET .../owner-keys (borrowed; entries that are not
 * well-formed, and those past CAM_TRUST_OWNERS_MAX, are skipped: they can
 * only make the set smaller). out holds at most CAM_TRUST_KEYS_MAX + 1 +
 * CAM_TRUST_OWNERS_MAX keys; returns how many, the anchors first.
 */
size_t cam_trust_walk(const struct cam_trust *t, const char *home, const json_t *keys,
		      uint8_t (*out)[PT_PK_LEN]);

#endif
