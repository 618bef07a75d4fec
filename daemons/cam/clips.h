/*
 * porter-cam's clips, monitor side (clips.c): marks, the clip key,
 * sealing, signing, the spool. Used by the monitor's loop only.
 */
#ifndef PORTER_CAM_CLIPS_H
#define PORTER_CAM_CLIPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "porter/cam_owners.h"
#include "porter/clip.h"
#include "porter/live.h"
#include "cam.h"

enum clip_state {
	CLIP_IDLE,
	CLIP_WAITING,		/* START seen, BEGIN sent (or due), no video yet */
	CLIP_RECORDING,		/* segments are coming */
};

#define CLIPS_RECENT 256

struct live;

struct clips {
	const struct cam_config *cfg;	/* borrowed: the monitor's */
	struct live *live;		/* borrowed: orders on the marks socket go there */
	const struct pt_signer *signer;	/* borrowed: the camera key */
	int fd;				/* the marks socket; -1: clips are off */

	int state;			/* enum clip_state */
	struct pt_clip_mark mark;	/* the START */
	char hex[2 * PT_CLIP_ID_LEN + 1];
	char dir[CAM_PATH_MAX + 40];
	uint8_t *key;			/* guarded; NULL when idle */
	struct pt_clip_manifest *man;	/* heap: about 50 KiB */
	uint8_t *msg;			/* the signed manifest, PT_CLIP_MANIFEST_MAX */
	uint8_t *plain;			/* the open segment, wiped once sealed */
	size_t plain_len, plain_cap;
	uint64_t started_ms, finish_at_ms, open_real_ms, end_seq;
	bool begun, have_end, finish_sent;
	bool seg_bad;			/* a chunk of the open segment was refused */
	bool have_pending;
	struct pt_clip_mark pending;	/* a START during a clip */
	uint64_t closed;
	/* The last CLIPS_RECENT clip ids started, in this run or before
	 * (a ring, kept in <state_dir>/clip-ids): a START naming one of
	 * them, or a clip in the spool, is refused (docs/cam.md, "Marks"). */
	uint8_t recent[CLIPS_RECENT][PT_CLIP_ID_LEN];
	size_t n_recent, recent_next;
	/* Who clips are sealed to: clips.owners, then the keys of the hub's
	 * last accepted owners message not among them, PT_CLIP_RECIPIENTS_MAX
	 * at most (docs/cam.md, "Owner keys from the hub"). */
	size_t n_seal;
	uint8_t seal_pk[PT_CLIP_RECIPIENTS_MAX][PT_PK_LEN];
	bool hub_have;			/* an owners message was accepted (or loaded) */
	struct pt_cam_owners hub;	/* that message, opened */
	uint8_t hub_msg[PT_CAM_OWNERS_MSG_MAX];	/* ... and its bytes (<state_dir>/hub-owners) */
	size_t hub_msg_len;
};

#define CAM_HUB_OWNERS_FILE "hub-owners"	/* in state_dir: the last accepted message */
#define CAM_CLIP_IDS_FILE "clip-ids"	/* in state_dir: the recent ring, oldest first */

/* Bind clips.marks and make the spool (nothing when clips.marks is
 * empty). 0 or -1 (logged). */
int clips_open(struct clips *c, const struct cam_config *cfg, const struct pt_signer *signer);
/* The marks socket is readable; wfd: the worker's socket or -1. */
void clips_on_marks(struct clips *c, int wfd);
/* A clip message from the worker (untrusted): false if refused. */
bool clips_worker_msg(struct clips *c, const uint8_t *p, size_t n);
/* Post-roll and max length; START waiting for a worker. */
void clips_tick(struct clips *c, uint64_t now, int wfd);
/* When clips_tick next has something to do (CLOCK_MONOTONIC ms). */
uint64_t clips_next_ms(const struct clips *c);
/* The worker ended: a clip being recorded is closed, cut short. */
void clips_worker_gone(struct clips *c);
/* At exit: close a clip being recorded, wipe, unbind. */
void clips_close(struct clips *c);

/*
 * Live view, monitor side (clips.c, "live"): the hub's signed orders (on
 * the marks socket), the live keys, sealing and signing fragments, and
 * handing them to the uploader over a socketpair (never the spool).
 *
 * The socketpair to the uploader (SOCK_STREAM; the uploader's end is its
 * fd CAM_LIVE_FD) carries frames: u32 BE length of what follows, then
 *   monitor -> uploader
 *     'K' session (16) || expiry (u64 BE, wall clock ms) || the signed key
 *         record
 *     'F' session (16) || index (u32 BE) || fragment signature (64)
 *         || the fragment (header || sealed)
 *     'X' session (16): the session ended here, drop what is left of it
 *   uploader -> monitor
 *     'E' session (16) || HTTP status (u16 BE): porterd ended it (410)
 *         or refused it (another 4xx): end it
 */
#define LIVE_SESSIONS_MAX 2
#define LIVE_SEEN_MAX 64		/* session ids remembered until their expiry */
#define LIVE_PENDING_MAX 2		/* fragments of one session waiting for the uploader */
#define LIVE_QUEUE_MAX (LIVE_SESSIONS_MAX * (LIVE_PENDING_MAX + 3))
#define LIVE_SKEW_MS 60000u		/* an order's time against the camera's clock */
#define LIVE_FRAME_MAX (4u + 1u + PT_LIVE_ID_LEN + 4u + PT_SIG_LEN + PT_LIVE_FRAGMENT_MAX)

struct live_sess {
	bool used;
	uint8_t id[PT_LIVE_ID_LEN];
	char hex[2 * PT_LIVE_ID_LEN + 1];
	uint8_t *key;			/* guarded; wiped and freed when the session ends */
	uint64_t expiry_ms;		/* wall clock */
	uint32_t next;			/* the next fragment's index; 0: the init is due */
	uint64_t sent, dropped;
};

struct live_out {			/* one frame on its way to the uploader */
	uint8_t *p;
	size_t len, off;		/* off > 0: partly written, cannot be dropped */
	uint8_t session[PT_LIVE_ID_LEN];
	bool fragment;
};

struct live {
	const struct cam_config *cfg;	/* borrowed: the monitor's */
	const struct pt_signer *signer;	/* borrowed: the camera key */
	int up;				/* the monitor's end of the socketpair; -1 */
	struct live_sess s[LIVE_SESSIONS_MAX];
	struct {
		uint8_t id[PT_LIVE_ID_LEN];
		uint64_t expiry_ms;
	} seen[LIVE_SEEN_MAX];
	size_t n_seen;
	bool muxing;			/* START sent to the worker */
	uint8_t *init;			/* the worker's current init segment */
	size_t init_len;
	uint8_t *frag;			/* the fragment being received */
	size_t frag_len, frag_cap;
	bool frag_bad;
	struct live_out q[LIVE_QUEUE_MAX];
	size_t nq;
	uint8_t in[4 + 1 + PT_LIVE_ID_LEN + 2];	/* a frame from the uploader */
	size_t in_len;
};

/* live is off unless cfg->live_on. */
void live_init(struct live *l, const struct cam_config *cfg, const struct pt_signer *signer);
/* An order from the marks socket (pt_live_is_order true). */
void live_order(struct live *l, const uint8_t *p, size_t n, int wfd);
/* A live message from the worker (untrusted): false if refused. */
bool live_worker_msg(struct live *l, const uint8_t *p, size_t n, int wfd);
/* The worker ended: its muxer with it; running sessions end. */
void live_worker_gone(struct live *l);
/* Expiries. */
void live_tick(struct live *l, int wfd);
/* The uploader's socket: writable (flush) / readable (its answers). */
void live_flush(struct live *l);
void live_on_uploader(struct live *l, int wfd);
/* A new uploader (its socket), or none (-1): sessions end with the old. */
void live_set_uploader(struct live *l, int fd, int wfd);
bool live_wants_write(const struct live *l);
/* At exit: end every session, wipe. */
void live_close(struct live *l, int wfd);

#endif
