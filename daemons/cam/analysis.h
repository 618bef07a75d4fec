/*
 * porter-cam's picture analysis: frozen, black or covered, moved. Pure:
 * no allocation, no I/O, no clock (callers pass times), no globals; the
 * input worker feeds it a few pictures a second, the unit tests feed it
 * synthetic ones (tests/unit/test_cam_health.c). docs/cam.md explains the
 * methods and the defaults.
 *
 * A picture is two CAM_W x CAM_H grey images of the same decoded frame:
 *   area   the frame averaged down (swscale SWS_AREA): every cell is the
 *          mean of ~900 pixels of a 1080p frame, so sensor and coding
 *          noise average out and what remains is the scene's structure;
 *   probe  the frame point-sampled (SWS_POINT): single full-resolution
 *          pixels, whose temporal noise a live sensor keeps.
 *
 * Conditions, each one "for longer than its limit":
 *   frozen   for frozen_ms no area cell moved by CAM_LOCAL_CHANGE levels
 *            or more between consecutive pictures (a hand, a door, the
 *            camera's clock overlay: real change), and fewer than half of
 *            the pictures of that window were "alive": a probe mean
 *            absolute change of at least frozen_change. A live sensor's
 *            noise makes nearly every picture alive; a frozen frame makes
 *            none, or, re-encoded, only the few at key frames (docs/cam.md
 *            has the measurements);
 *   black    mean area luma below black_luma, or its standard deviation
 *            below covered_contrast (a covered lens is flat, whatever its
 *            brightness);
 *   moved    fewer than moved_match per mille of the reference picture's
 *            textured blocks still correlate with the picture (not
 *            judged while black: a covered lens is "black", not "moved").
 * A condition clears at the first picture without it.
 */
#ifndef PORTER_CAM_ANALYSIS_H
#define PORTER_CAM_ANALYSIS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CAM_W 64
#define CAM_H 36
#define CAM_PIX (CAM_W * CAM_H)

/* Blocks of the moved check: 8 x 6 blocks of 8 x 6 cells. */
#define CAM_BLOCK_W 8
#define CAM_BLOCK_H 6
#define CAM_BLOCKS ((CAM_W / CAM_BLOCK_W) * (CAM_H / CAM_BLOCK_H))
/* A reference block is textured when its cells' standard deviation is at
 * least this many luma levels; a reference needs CAM_REF_TEXTURED_MIN
 * textured blocks to be usable. */
#define CAM_TEXTURE_MIN 3.0
#define CAM_REF_TEXTURED_MIN 6
/* A block matches when its correlation with the reference is at least: */
#define CAM_BLOCK_CORR_MIN 0.5
/* An area cell that moves this many levels is a change, whatever the mean. */
#define CAM_LOCAL_CHANGE 8
/* The frozen window in buckets (each frozen_ms / CAM_WIN_BUCKETS long). */
#define CAM_WIN_BUCKETS 32

struct cam_limits {
	uint32_t frozen_ms;		/* unchanged this long: frozen */
	uint32_t frozen_change;		/* probe mean absolute change x 100 */
	uint32_t black_ms;		/* black or covered this long: black */
	uint32_t black_luma;		/* mean luma below this: black */
	uint32_t covered_contrast;	/* luma standard deviation x 100 below this: covered */
	uint32_t moved_ms;		/* away from the reference this long: moved */
	uint32_t moved_match;		/* per mille of textured blocks matched, below: away */
};

/* The defaults (docs/cam.md says why). */
void cam_limits_default(struct cam_limits *l);

struct cam_reference {
	bool usable;			/* enough texture to judge "moved" */
	unsigned textured;		/* textured blocks */
	uint8_t pix[CAM_PIX];
	bool block_textured[CAM_BLOCKS];
	double block_mean[CAM_BLOCKS];
	double block_energy[CAM_BLOCKS];	/* sum of squared deviations */
};

/* Prepare a reference from an area image. Returns ref->usable. */
bool cam_reference_init(struct cam_reference *ref, const uint8_t pix[CAM_PIX]);

/* Per-picture measurements (the health message's metrics). */
struct cam_measure {
	uint32_t luma;		/* mean area luma, 0..255 */
	uint32_t contrast;	/* area luma standard deviation x 100 */
	uint32_t change;	/* probe mean absolute change x 100 (0 for the first) */
	uint32_t local;		/* largest area cell change, levels */
	bool has_match;
	uint32_t match;		/* per mille */
};

struct cam_analysis {
	struct cam_limits lim;
	struct cam_reference ref;	/* ref.usable false: no moved check */
	uint64_t frames;		/* pictures analysed */
	uint64_t last_ms;		/* time of the last one */
	uint8_t prev_area[CAM_PIX], prev_probe[CAM_PIX];
	/* The frozen window: pictures and alive pictures per bucket. */
	uint64_t bucket_ms;
	struct {
		uint64_t epoch;		/* t / bucket_ms of the counts held */
		uint32_t pictures, alive;
	} win[CAM_WIN_BUCKETS];
	uint64_t still_since;		/* the last local change (or the first picture) */
	/* Since when each condition holds (valid while its flag is set). */
	bool dark, away;
	uint64_t dark_since, away_since;
	struct cam_measure last;
};

/* ref may be NULL (no reference picture). */
void cam_analysis_init(struct cam_analysis *a, const struct cam_limits *lim,
		       const struct cam_reference *ref);

/* One picture at t_ms (non-decreasing; an earlier time is taken as equal
 * to the last). */
void cam_analysis_picture(struct cam_analysis *a, uint64_t t_ms, const uint8_t area[CAM_PIX],
			  const uint8_t probe[CAM_PIX]);

/* PT_CAM_FROZEN | PT_CAM_BLACK | PT_CAM_MOVED | PT_CAM_STARTING |
 * PT_CAM_NOREF as of the last picture (STARTING before the first; a
 * monitor adds STALLED and settles OK). */
uint32_t cam_analysis_status(const struct cam_analysis *a);

/* Measurements only (no state): the block match of area against ref. */
uint32_t cam_match(const struct cam_reference *ref, const uint8_t area[CAM_PIX]);

#endif
