/*
 * tools/porter/camtrust.h: whether a viewer believes the camera key
 * porterd hands out (docs/cam.md, "Enrolling a camera" and "Who a viewer
 * believes").
 *
 * porter clip decrypt, porter live and porter evidence export take a
 * camera's key from porterd only when the camera's owner-signed statement
 * (porter/camera_stmt.h), which porterd serves with the camera, verifies
 * with an owner key the user trusts and names this home, this camera and
 * this key. The anchors are the user's own owner key (the Ed25519 half of
 * --key) and any given with --owner-pub; the trusted set is the anchors
 * plus the owner keys reached from them through the home's owner
 * endorsements (PT_ENV_OWNER statements porterd serves with GET
 * .../owner-keys, each verified here), down only (whoever a trusted key
 * endorsed), to a fixed point.
 *
 * Key revocations (GET .../revocations, every page): a PT_ENV_REVOCATION of
 * kind PT_REVOKE_KEY counts when it verifies (this home, any age) with a
 * key of the set walked WITHOUT revocations; token revocations and those
 * by other signers are ignored (counted, and said). The set is then walked
 * again with every revoked key left out: a revoked key is not trusted, its
 * endorsements and camera statements are not believed, and the keys
 * trusted only through it fall out. A revoked anchor is refused (exit 3);
 * so is a revoked camera key, for every clip and live view. Revocations
 * that cannot be read: refused (fail closed). porterd can withhold a
 * statement or a revocation but cannot forge one. A camera enrolled
 * without a statement is believed only with --trust-unsigned-camera, and
 * then with a warning. Otherwise the answer is EXIT_CAM_UNTRUSTED, with a
 * message that says what to do.
 *
 * Not thread-safe beyond its caller; owns its key list.
 */
#ifndef PORTER_TOOLS_CAMTRUST_H
#define PORTER_TOOLS_CAMTRUST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "porter/cred.h"
#include "porter/crypto.h"

/* The exit status when no trusted camera key is at hand (clip, live). */
#define EXIT_CAM_UNTRUSTED 3

#define CAM_TRUST_KEYS_MAX 16	/* --owner-pub given at most this often, plus --key */
#define CAM_TRUST_OWNERS_MAX 64	/* owner keys of a home read from porterd (its limit) */
#define CAM_TRUST_SET_MAX (CAM_TRUST_KEYS_MAX + 1 + CAM_TRUST_OWNERS_MAX)
#define CAM_TRUST_REV_PAGES_MAX 256	/* pages of revocations read (1024 each) */
#define CAM_TRUST_REV_PAGE_ITEMS_MAX 1024	/* items on one page: porterd's LIST_REVOCATIONS_MAX */

struct client;

struct cam_trust {
	uint8_t keys[CAM_TRUST_KEYS_MAX + 1][PT_PK_LEN];
	size_t n;
	bool trust_unsigned;	/* --trust-unsigned-camera */
};

/* A key revocation that counts: its target, who signed it, when. */
struct cam_trust_rev {
	uint8_t target[PT_PK_LEN];
	uint8_t signer_kid[PT_KID_LEN];
	int64_t version;	/* porterd's version of it */
	int64_t iat;		/* signed at */
};

void cam_trust_init(struct cam_trust *t);
/* Add a trusted owner key: a .pub file or base64url text (--owner-pub).
 * 0, or EXIT_INPUT with a message. */
int cam_trust_add_pub(struct cam_trust *t, const char *arg);
/* Add the public half of an owner key the caller loaded (--key). */
void cam_trust_add_pk(struct cam_trust *t, const uint8_t pk[PT_PK_LEN]);

/*
 * cam is the camera's object from GET /v1/homes/{home}/cameras (borrowed).
 * The home's owner keys (with their endorsement statements) and its
 * revocations are fetched with c and walked as above. On 0, pk is the
 * camera key to verify with. Else EXIT_CAM_UNTRUSTED (no statement and
 * not --trust-unsigned-camera; a signer not trusted or revoked; a
 * statement that does not verify, or names another home, camera or key
 * than porterd's answer; the camera key or an anchor revoked; the
 * revocations could not be read) or EXIT_INPUT (porterd's answer is not
 * well-formed), with a message on stderr; pk zeroed.
 */
int cam_trust_key(const struct cam_trust *t, struct client *c, const char *home,
		  const json_t *cam, uint8_t pk[PT_PK_LEN]);

/*
 * --camera-key pins pk outright: this only warns (stderr) when the home's
 * revocations, read as above with t's anchors, revoke it, or could not be
 * read. Never refuses.
 */
void cam_trust_pinned_check(const struct cam_trust *t, struct client *c, const char *home,
			    const char *camera, const uint8_t pk[PT_PK_LEN]);

/*
 * The trusted owner set of home: t's anchors, then to a fixed point every
 * key a verified owner statement (PT_ENV_OWNER, audience home, op add,
 * any age) by a key in the set names. Never the signer of a statement
 * naming a key in the set: anyone can sign one. A key among revoked
 * (n_revoked of them, may be NULL) is never added, anchor or not, so its
 * statements are not followed. keys is porterd's "keys" array of GET
 * .../owner-keys (borrowed; entries that are not well-formed, and those
 * past CAM_TRUST_OWNERS_MAX, are skipped: they can only make the set
 * smaller). out holds at most CAM_TRUST_SET_MAX keys; returns how many,
 * the anchors first.
 */
size_t cam_trust_walk(const struct cam_trust *t, const char *home, const json_t *keys,
		      const uint8_t (*revoked)[PT_PK_LEN], size_t n_revoked,
		      uint8_t (*out)[PT_PK_LEN]);

/*
 * The key revocations of one page of porterd's "revocations" array
 * (borrowed) that count: kind PT_REVOKE_KEY, verified for home (any age)
 * with one of signers, its target among want (n_want keys: only those
 * matter). Each target once (the first); added to out[*n] while *n < cap.
 * *ignored counts the entries porterd calls "key" that do not verify
 * with signers (another signer, a broken envelope). Token revocations,
 * and entries that are not well-formed, are skipped.
 */
void cam_trust_revocations(const char *home, const json_t *revs,
			   const uint8_t (*signers)[PT_PK_LEN], size_t n_signers,
			   const uint8_t (*want)[PT_PK_LEN], size_t n_want,
			   struct cam_trust_rev *out, size_t cap, size_t *n, size_t *ignored);

#endif
