/*
 * porter-cam's clips, monitor side (clips.c): marks, the clip key,
 * sealing, signing, the spool. Used by the monitor's loop only.
 */
#ifndef PORTER_CAM_CLIPS_H
#define PORTER_CAM_CLIPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "porter/clip.h"
#include "cam.h"

enum clip_state {
	CLIP_IDLE,
	CLIP_WAITING,		/* START seen, BEGIN sent (or due), no video yet */
	CLIP_RECORDING,		/* segments are coming */
};

#define CLIPS_RECENT 256

struct clips {
	const struct cam_config *cfg;	/* borrowed: the monitor's */
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
	/* The clip ids started in this run (a ring): a START naming one of
	 * them, or a clip in the spool, is refused (docs/cam.md, "Marks"). */
	uint8_t recent[CLIPS_RECENT][PT_CLIP_ID_LEN];
	size_t n_recent, recent_next;
};

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

#endif
