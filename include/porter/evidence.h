/*
 * porter/evidence.h: an evidence bundle, one file that verifies offline,
 * by anyone, without trusting porterd (docs/clips.md, "Evidence").
 *
 *   bundle = { 1: version (1),
 *              2: camera key (bstr .size 32, Ed25519),
 *              3: manifest (bstr: the camera-signed manifest message),
 *              4: segments [ * [ index (uint), sealed segment (bstr) ] ]
 *                 (ascending indexes; a missing one fails verification),
 *            ? 5: hub id (tstr), 6: hub key (bstr .size 32),
 *              7: prev (bstr .size 32: the chain hash before the first event),
 *              8: events [ + [ seq (uint), at (int), type (tstr),
 *                              data (bstr), hash (bstr .size 32) ] ]
 *                 (consecutive seqs),
 *              9: checkpoints [ + [ seq (uint), signature (bstr .size 64) ] ]
 *                 (ascending, each the seq of an event of the slice),
 *            ? 10: home id (tstr), 11: camera statement (bstr: the owner-signed
 *                  statement of porter/camera_stmt.h),
 *              12: owner statements [ * bstr ] (PT_ENV_OWNER endorsements,
 *                  porter/envelope.h; at most PT_EVIDENCE_OWNER_STMTS_MAX),
 *            ? 13: the hub's pairing statement (bstr: PT_ENV_PAIRING, AAD
 *                  porter/pairing/v2) }
 *   keys 5..9 all present (the hub's part) or all absent; keys 10..12 all
 *   present (the owner's part) or all absent; key 13 only with both.
 *
 * Strict deterministic CBOR (porter/cbor.h), every field bounded, nothing
 * unknown, nothing after the map. Pure: the decoder borrows from the
 * caller's buffer and allocates nothing; verification goes through struct
 * pt_crypto_ops. Sealed segments are checked against the manifest's
 * hashes, not opened: a verifier needs no owner key.
 */
#ifndef PORTER_EVIDENCE_H
#define PORTER_EVIDENCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "porter/clip.h"
#include "porter/crypto.h"
#include "porter/err.h"
#include "porter/event.h"

#define PT_EVIDENCE_VERSION 1
#define PT_EVIDENCE_EVENTS_MAX 1024
#define PT_EVIDENCE_CHECKPOINTS_MAX 256
#define PT_EVIDENCE_MAX ((size_t)1 << 30)	/* bytes of one bundle */
#define PT_EVIDENCE_OWNER_STMTS_MAX 64	/* endorsements in a bundle (a home's owner keys) */
#define PT_EVIDENCE_ANCHORS_MAX 32	/* owner keys a verifier starts from */
#define PT_EVIDENCE_TRUST_MAX (PT_EVIDENCE_ANCHORS_MAX + PT_EVIDENCE_OWNER_STMTS_MAX)

struct pt_evidence_seg {
	uint32_t index;
	const uint8_t *p;	/* borrowed from the decoded buffer */
	size_t len;
};

struct pt_evidence_event {
	int64_t seq, at;
	const char *type;	/* borrowed, not NUL-terminated */
	size_t type_len;
	const uint8_t *data;	/* borrowed */
	size_t data_len;
	uint8_t hash[PT_HASH_LEN];
};

struct pt_evidence_cp {
	int64_t seq;
	uint8_t sig[PT_SIG_LEN];
};

/* A signed statement carried as is (borrowed). */
struct pt_evidence_stmt {
	const uint8_t *p;
	size_t len;		/* 1..PT_ENVELOPE_SIZE_MAX (camera: PT_CAMERA_STMT_MAX) */
};

/* About 130 KiB: callers keep it off small stacks. */
struct pt_evidence {
	uint8_t camera_pk[PT_PK_LEN];
	const uint8_t *manifest;	/* borrowed */
	size_t manifest_len;
	size_t n_segs;
	struct pt_evidence_seg seg[PT_CLIP_SEGMENTS_MAX];
	bool has_hub;
	char hub_id[PT_ID_MAX + 1];
	uint8_t hub_pk[PT_PK_LEN];
	uint8_t prev[PT_HASH_LEN];
	size_t n_events;
	struct pt_evidence_event ev[PT_EVIDENCE_EVENTS_MAX];
	size_t n_cps;
	struct pt_evidence_cp cp[PT_EVIDENCE_CHECKPOINTS_MAX];
	/* The owner's part (keys 10..13): what binds the keys to the home. */
	bool has_owner;
	char home[PT_ID_MAX + 1];
	struct pt_evidence_stmt camera_stmt;
	size_t n_owner_stmts;
	struct pt_evidence_stmt owner_stmt[PT_EVIDENCE_OWNER_STMTS_MAX];
	struct pt_evidence_stmt pairing;	/* len 0: none (only with has_hub) */
};

/* PT_OK, PT_EINVAL (a field the decoder would refuse), PT_ENOSPC. */
int pt_evidence_encode(const struct pt_evidence *e, uint8_t *out, size_t cap,
		       size_t *out_len) PT_MUST_CHECK;
/* PT_OK, PT_ETOOBIG (over PT_EVIDENCE_MAX), PT_EMALFORMED. e is zeroed on
 * failure; on success it borrows from p. */
int pt_evidence_decode(const uint8_t *p, size_t len, struct pt_evidence *e) PT_MUST_CHECK;

/* What failed first. */
enum pt_evidence_what {
	PT_EV_OK = 0,
	PT_EV_CAMERA_KEY,	/* not the pinned camera key */
	PT_EV_MANIFEST,		/* the manifest does not verify with the camera key */
	PT_EV_SEGMENT,		/* seg index: size or SHA-256 not the manifest's */
	PT_EV_SEGMENT_MISSING,	/* seg index: listed, not in the bundle */
	PT_EV_SEGMENT_EXTRA,	/* seg index: in the bundle, not listed */
	PT_EV_EVENT,		/* seq: its hash does not recompute (or a bad type) */
	PT_EV_CHECKPOINT,	/* seq: the hub's signature does not verify */
	PT_EV_UNSIGNED,		/* seq: the last event is not covered by a checkpoint */
	PT_EV_CLIP_EVENTS,	/* seq: the manifest's START/END seq is not in the slice */
	PT_EV_HUB_KEY,		/* not the pinned hub key */
	PT_EV_CLIP_SESSION,	/* seq: START (END) is not a session.start (session.end)
				 * naming the manifest's clip id ("clip":"<hex>") */
	PT_EV_NO_OWNER_PART,	/* owner keys given, the bundle carries no statements */
	PT_EV_HOME,		/* the bundle's home is not the one asked for */
	PT_EV_CAMERA_STMT,	/* the camera statement does not verify with a trusted key */
	PT_EV_CAMERA_STMT_NAMES,	/* it names another home, camera id or camera key */
	PT_EV_HUB_STMT_MISSING,	/* the hub's part without its pairing statement */
	PT_EV_HUB_STMT,		/* the pairing statement does not verify with a trusted key */
	PT_EV_HUB_STMT_NAMES,	/* it names another hub key */
};

struct pt_evidence_result {
	enum pt_evidence_what what;
	int64_t at;		/* the segment index or event seq it names */
	size_t segments, events, checkpoints;	/* checked */
	bool hub_pinned;	/* the hub's part verified against a pinned hub key */
	/* With owner keys (pt_evidence_verify_trust): who vouched. */
	bool camera_vouched, hub_vouched;
	uint8_t camera_by[PT_KID_LEN], hub_by[PT_KID_LEN];	/* the signers' key ids */
	size_t trusted;		/* owner keys trusted: the anchors and those reached */
};

/*
 * Verify: the camera key (if pinned is not NULL, it must be that key),
 * the manifest's signature, every listed segment present with its size and
 * SHA-256, then with the hub's part: every event's hash recomputed from
 * prev, every checkpoint's signature by the hub key over its event's hash,
 * the last event covered by a checkpoint, and the manifest's START (and
 * END, unless 0) seq among the events. m is the caller's scratch (the
 * manifest, decoded). PT_OK only if all of it holds; else PT_EBADSIG or
 * PT_EMALFORMED with res naming the first failure.
 */
int pt_evidence_verify(const struct pt_crypto_ops *ops, const struct pt_evidence *e,
		       const uint8_t *pinned, struct pt_clip_manifest *m,
		       struct pt_evidence_result *res) PT_MUST_CHECK;
/*
 * The same, with the hub key pinned too (hub_pinned NULL: not pinned, and
 * the hub's part is only consistent with the key in the bundle, not proof
 * of any particular hub). Both pins should come from the verifier's side:
 * a bundle's own keys prove nothing about who made it. The START event must
 * be a session.start, the END event (unless 0) a session.end, each naming
 * the manifest's clip id.
 */
int pt_evidence_verify_pinned(const struct pt_crypto_ops *ops, const struct pt_evidence *e,
			      const uint8_t *pinned, const uint8_t *hub_pinned,
			      struct pt_clip_manifest *m,
			      struct pt_evidence_result *res) PT_MUST_CHECK;
/*
 * The owner keys a verifier trusts for home: the anchors (n_anchors, at
 * most PT_EVIDENCE_ANCHORS_MAX, distinct), then, to a fixed point, the key
 * each of stmts names when it verifies as an owner statement
 * (PT_ENV_OWNER, audience home, op add, a 32-byte key; any age: now is
 * only for pt_envelope_verify's skew, taken as UINT32_MAX) by a key
 * already in the set. DOWN only: never the signer of a statement naming a
 * key of the set (anyone can sign such a statement). via[i] is the index
 * in stmts of the statement that added key i, by[i] the index in keys of
 * its signer (always < i); both -1 for an anchor. Returns how many keys
 * (at most PT_EVIDENCE_TRUST_MAX) are in keys. Each statement is used
 * once at most.
 */
struct pt_evidence_walk {
	uint8_t keys[PT_EVIDENCE_TRUST_MAX][PT_PK_LEN];
	int via[PT_EVIDENCE_TRUST_MAX];
	int by[PT_EVIDENCE_TRUST_MAX];
	size_t n;
};
size_t pt_evidence_owner_walk(const struct pt_crypto_ops *ops, const char *home,
			      const uint8_t (*anchors)[PT_PK_LEN], size_t n_anchors,
			      const struct pt_evidence_stmt *stmts, size_t n_stmts, int64_t now,
			      struct pt_evidence_walk *w);

/* What the verifier brings from its own side; every field may be unset. */
struct pt_evidence_trust {
	const uint8_t *camera_pk;	/* pinned camera key, or NULL */
	const uint8_t *hub_pk;		/* pinned hub key, or NULL */
	const uint8_t (*owners)[PT_PK_LEN];	/* owner keys (anchors), or NULL */
	size_t n_owners;		/* 0..PT_EVIDENCE_ANCHORS_MAX */
	const char *home;		/* the home the bundle must be of, or NULL */
	int64_t now;			/* for the statements' skew only (any age passes) */
};

/*
 * pt_evidence_verify_pinned with the pins of t, and, when t->n_owners >
 * 0, the keys anchored to the owner: the bundle must carry the owner's
 * part (of t->home, if set); the trusted set is pt_evidence_owner_walk
 * from t->owners over the bundle's owner statements; the camera statement
 * must verify with a key of the set and name the bundle's home, the
 * manifest's camera id and the bundle's camera key; with the hub's part,
 * the pairing statement must be there, verify with a key of the set (AAD
 * porter/pairing/v2, audience the bundle's home) and name the bundle's
 * hub key. Revocations are not known here: a pass says what those keys
 * signed, not that none of them was revoked since (docs/clips.md).
 * Order of the checks: camera pin, owner's part, home, camera statement
 * (its signature, then home and key), manifest, the statement's camera
 * id, segments, hub pin, pairing statement, chain. t->owners must not be
 * NULL when n_owners > 0 (PT_EINVAL); more than PT_EVIDENCE_ANCHORS_MAX:
 * PT_EINVAL.
 */
int pt_evidence_verify_trust(const struct pt_crypto_ops *ops, const struct pt_evidence *e,
			     const struct pt_evidence_trust *t, struct pt_clip_manifest *m,
			     struct pt_evidence_result *res) PT_MUST_CHECK;

/* How to say it: "<subject>[ <at>]: <text>" ("segment 2: its size or
 * SHA-256 is not the manifest's"). Never NULL. */
struct pt_evidence_text {
	const char *subject;
	bool numbered;		/* followed by res->at */
	const char *text;
};
const struct pt_evidence_text *pt_evidence_what_text(enum pt_evidence_what what);

#endif
