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
 *                 (ascending, each the seq of an event of the slice) }
 *   keys 5..9 all present (the hub's part) or all absent.
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
};

struct pt_evidence_result {
	enum pt_evidence_what what;
	int64_t at;		/* the segment index or event seq it names */
	size_t segments, events, checkpoints;	/* checked */
	bool hub_pinned;	/* the hub's part verified against a pinned hub key */
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
/* How to say it: "<subject>[ <at>]: <text>" ("segment 2: its size or
 * SHA-256 is not the manifest's"). Never NULL. */
struct pt_evidence_text {
	const char *subject;
	bool numbered;		/* followed by res->at */
	const char *text;
};
const struct pt_evidence_text *pt_evidence_what_text(enum pt_evidence_what what);

#endif
