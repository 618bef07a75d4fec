/*
 * porter/cam_health.h: the camera's signed health message, and the check
 * the hub runs on it (docs/cam.md gives the bytes).
 *
 * porter-cam sends one message a second to the hub on a local Unix
 * datagram socket: what it sees (status bits and a few metrics), signed
 * with the camera's Ed25519 key. The hub treats silence, a bad signature,
 * another camera's message, a replay or a stale message as "camera
 * unhealthy" (reason PT_ECAMERA for a credential that requires it).
 *
 *   message = [ payload: bstr, signature: bstr .size 64 ]     (CBOR array)
 *   payload = { 1: camera id (tstr, a porter id),
 *               2: run (bstr .size 16: random per start of porter-cam),
 *               3: seq (uint, 1.., +1 per message of a run),
 *               4: time (uint, ms of CLOCK_MONOTONIC when sent),
 *               5: status (uint, PT_CAM_* bits),
 *               6: metrics { 1: pps, 2: fps, 3: packet age ms, 4: luma,
 *                            5: contrast, 6: change, 7: match (absent
 *                            without a reference), 8: restarts },
 *               7: refused { 1: count (uint 1..2^32-1), 2: clip (bstr
 *                            .size 16), 3: status (0 or 400..499),
 *                            4: at (unix s, 0..2^32-1) }   (optional) }
 *   signature = Ed25519 by the camera key over
 *               "porter/cam-health/v1" 0x00 || payload
 *
 * All CBOR in core deterministic encoding (porter/cbor.h), every key
 * required but metric 7 and key 7, nothing unknown, nothing after the
 * array.
 *
 * Key 7 (the clips porterd refused for good, kept in <spool>/refused) is
 * the one addition to the first format: it is present exactly when at
 * least one clip is refused, so a camera with none sends the bytes it
 * sent before, and this decoder reads both. A decoder older than key 7
 * refuses a message that carries it (nothing unknown): upgrade the hub
 * before the camera.
 *
 * "time" is CLOCK_MONOTONIC: the socket is local, so camera and hub read
 * the same clock, which neither NTP nor an owner can move. (A camera on
 * another host needs another freshness proof: see docs/cam.md.)
 *
 * The same payload, unsigned, carries the input worker's reports to
 * porter-cam's monitor process (the worker never holds the key); one
 * strict decoder serves both boundaries.
 *
 * Pure: no allocation, no I/O, no clock (callers pass "now"), no globals.
 * Decoders leave their output zeroed on failure.
 */
#ifndef PORTER_CAM_HEALTH_H
#define PORTER_CAM_HEALTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "porter/cred.h"
#include "porter/crypto.h"
#include "porter/err.h"

#define PT_CAM_HEALTH_DOMAIN "porter/cam-health/v1"
#define PT_CAM_RUN_LEN 16
/* Bounds: a payload with a 64-byte id and every field at its largest is
 * 198 bytes (159 without key 7); the message adds 1 + 2 + 66.
 * cam_health.c checks both. */
#define PT_CAM_PAYLOAD_MAX 208
#define PT_CAM_HEALTH_MAX 288
#define PT_CAM_CLIP_LEN 16	/* a clip id (PT_CLIP_ID_LEN, porter/clip.h) */

/* Status bits. OK is set exactly when no bit of PT_CAM_PROBLEMS is. */
#define PT_CAM_OK 0x01u		/* a live, changing, lit picture (that matches
				 * the reference, if there is one) */
#define PT_CAM_STALLED 0x02u	/* no packets from the source for longer than set */
#define PT_CAM_FROZEN 0x04u	/* decoded pictures unchanged for longer than set */
#define PT_CAM_BLACK 0x08u	/* black or covered lens for longer than set */
#define PT_CAM_MOVED 0x10u	/* the view differs from the reference for longer than set */
#define PT_CAM_STARTING 0x20u	/* no verdict yet: the input is (re)starting */
#define PT_CAM_NOREF 0x40u	/* information: no reference picture, so no moved check */
#define PT_CAM_PROBLEMS                                                                  \
	(PT_CAM_STALLED | PT_CAM_FROZEN | PT_CAM_BLACK | PT_CAM_MOVED | PT_CAM_STARTING)
#define PT_CAM_ALL (PT_CAM_OK | PT_CAM_PROBLEMS | PT_CAM_NOREF)

/* Metric bounds (the decoder refuses larger values). */
#define PT_CAM_PPS_MAX 100000u		/* packets in the last second */
#define PT_CAM_FPS_MAX 1000u		/* pictures analysed in the last second */
#define PT_CAM_AGE_MAX 86400000u	/* ms since the last packet (capped to this) */
#define PT_CAM_LUMA_MAX 255u		/* mean luma, 0..255 */
#define PT_CAM_CONTRAST_MAX 12800u	/* luma standard deviation x 100 */
#define PT_CAM_CHANGE_MAX 25500u	/* mean absolute picture change x 100 */
#define PT_CAM_MATCH_MAX 1000u		/* per mille of reference blocks matched */
#define PT_CAM_REFUSED_STATUS_MIN 400u	/* a refused clip's HTTP status: 0 (unknown) */
#define PT_CAM_REFUSED_STATUS_MAX 499u	/* or one of 400..499 */

struct pt_cam_metrics {
	uint32_t pps;		/* packets of the video stream in the last second */
	uint32_t fps;		/* pictures analysed in the last second */
	uint32_t packet_age_ms;	/* since the last packet, capped at PT_CAM_AGE_MAX */
	uint32_t luma;		/* mean luma of the last picture analysed */
	uint32_t contrast;	/* its luma standard deviation, x 100 */
	uint32_t change;	/* mean absolute change against the picture before, x 100 */
	bool has_match;		/* false when there is no reference picture */
	uint32_t match;		/* per mille of the reference's textured blocks matched */
	uint32_t restarts;	/* input (re)starts since porter-cam started */
};

/* The clips porterd refused for good (a 4xx a retry cannot change),
 * kept on the camera (<spool>/refused, docs/cam.md). count 0: none, and
 * then every other field is 0 (key 7 absent from the payload). */
struct pt_cam_refused {
	uint32_t count;			/* clips in <spool>/refused now */
	uint8_t clip[PT_CAM_CLIP_LEN];	/* the newest of them (last refused) */
	uint32_t status;		/* porterd's HTTP status for it; 0: unknown */
	uint64_t at;			/* when it was refused, unix s; 0: unknown */
};

struct pt_cam_health {
	char id[PT_ID_MAX + 1];		/* the camera's id */
	uint8_t run[PT_CAM_RUN_LEN];	/* random per start of porter-cam */
	uint64_t seq;			/* 1..INT64_MAX */
	uint64_t time_ms;		/* CLOCK_MONOTONIC ms, 0..INT64_MAX */
	uint32_t status;		/* PT_CAM_* */
	struct pt_cam_metrics m;
	struct pt_cam_refused refused;	/* key 7; count 0: absent */
};

/* Is status a valid combination (known bits, OK iff no problem)? */
bool pt_cam_status_is_valid(uint32_t status);
/* status with OK set or cleared to agree with its problem bits. */
uint32_t pt_cam_status_settle(uint32_t status);

/* The payload alone (also the worker's report). PT_OK, PT_EINVAL (a
 * field the decoder would refuse), PT_ENOSPC. */
int pt_cam_payload_encode(const struct pt_cam_health *h, uint8_t *out, size_t cap,
			  size_t *out_len) PT_MUST_CHECK;
/* PT_OK, PT_ETOOBIG (over PT_CAM_PAYLOAD_MAX), PT_EMALFORMED. */
int pt_cam_payload_decode(const uint8_t *p, size_t len, struct pt_cam_health *h) PT_MUST_CHECK;

/* The bytes the signature covers: domain, 0x00, payload. out holds
 * sizeof(PT_CAM_HEALTH_DOMAIN) + PT_CAM_PAYLOAD_MAX bytes. */
int pt_cam_health_signed_bytes(const uint8_t *payload, size_t len, uint8_t *out, size_t cap,
			       size_t *out_len) PT_MUST_CHECK;

/* Encode and sign h into a message. PT_OK, PT_EINVAL, PT_ENOSPC, or the
 * signer's error. */
int pt_cam_health_sign(const struct pt_signer *sg, const struct pt_cam_health *h, uint8_t *out,
		       size_t cap, size_t *out_len) PT_MUST_CHECK;

/*
 * Check a message's signature against the camera's key (before reading
 * any field of the payload), then decode it. PT_OK, PT_ETOOBIG,
 * PT_EMALFORMED, PT_EBADSIG (bad signature, another key, or no ops).
 */
int pt_cam_health_open(const struct pt_crypto_ops *ops, const uint8_t cam_pk[PT_PK_LEN],
		       const uint8_t *p, size_t len, struct pt_cam_health *h) PT_MUST_CHECK;

/*
 * The hub's view of one camera. Initialise it with the camera's id and
 * key and how old a message may be; hand it every datagram that arrives
 * (pt_cam_watch_receive) and ask it before a decision
 * (pt_cam_watch_is_healthy). Caller-owned storage; not thread-safe.
 */
#define PT_CAM_FUTURE_MAX_MS 1000u	/* a message from the future: clock skew
					 * between the two reads of one clock */
struct pt_cam_watch {
	char id[PT_ID_MAX + 1];
	uint8_t pk[PT_PK_LEN];
	uint32_t max_age_ms;
	bool have;			/* a message was accepted */
	struct pt_cam_health last;	/* the last accepted message */
};

/* PT_OK, or PT_EINVAL (id not a porter id, max_age_ms 0). */
int pt_cam_watch_init(struct pt_cam_watch *w, const char *id, const uint8_t pk[PT_PK_LEN],
		      uint32_t max_age_ms) PT_MUST_CHECK;

/*
 * One datagram, received at now_ms (CLOCK_MONOTONIC). PT_OK: accepted,
 * *out (may be NULL) holds it and it is now the camera's state. Refused
 * (the state is unchanged, *out zeroed):
 *   PT_ETOOBIG, PT_EMALFORMED   not a health message
 *   PT_EBADSIG                  not signed by this camera's key
 *   PT_EUNTRUSTED               signed by the key but for another camera id
 *   PT_ESTALE                   time older than now - max_age, or more than
 *                               PT_CAM_FUTURE_MAX_MS ahead of now
 *   PT_EREPLAY                  not newer than the last accepted: time not
 *                               later, or equal with the same run and a seq
 *                               not higher
 */
int pt_cam_watch_receive(struct pt_cam_watch *w, const struct pt_crypto_ops *ops,
			 const uint8_t *p, size_t len, uint64_t now_ms,
			 struct pt_cam_health *out) PT_MUST_CHECK;

/* Healthy: a message was accepted, it is at most max_age old at now_ms
 * (silence ages it out) and its status is OK. Everything else: false. */
bool pt_cam_watch_is_healthy(const struct pt_cam_watch *w, uint64_t now_ms);

/* Status bits as text, "ok" or e.g. "frozen,noref", into out (64 bytes
 * is enough for any status). */
void pt_cam_status_text(uint32_t status, char *out, size_t cap);

#endif
