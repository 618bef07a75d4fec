/*
 * Picture analysis for porter-cam (analysis.h). Floating point is fine
 * here: this runs in the camera agent, never on a lock.
 */
#include "analysis.h"

#include <math.h>
#include <string.h>

#include "porter/cam_health.h"

_Static_assert(CAM_W % CAM_BLOCK_W == 0 && CAM_H % CAM_BLOCK_H == 0, "blocks tile the picture");

void
cam_limits_default(struct cam_limits *l)
{
	l->frozen_ms = 5000;
	l->frozen_change = 2;		/* 0.02 levels */
	l->black_ms = 3000;
	l->black_luma = 24;
	l->covered_contrast = 300;	/* 3.00 levels */
	l->moved_ms = 10000;
	l->moved_match = 400;
}

/* Mean and sum of squared deviations of one block. */
static void
block_stats(const uint8_t *pix, unsigned b, double *mean, double *energy)
{
	unsigned bx = (b % (CAM_W / CAM_BLOCK_W)) * CAM_BLOCK_W;
	unsigned by = (b / (CAM_W / CAM_BLOCK_W)) * CAM_BLOCK_H;
	double s = 0, e = 0, m;
	unsigned x, y;

	for (y = 0; y < CAM_BLOCK_H; y++)
		for (x = 0; x < CAM_BLOCK_W; x++)
			s += pix[(by + y) * CAM_W + bx + x];
	m = s / (CAM_BLOCK_W * CAM_BLOCK_H);
	for (y = 0; y < CAM_BLOCK_H; y++)
		for (x = 0; x < CAM_BLOCK_W; x++) {
			double d = pix[(by + y) * CAM_W + bx + x] - m;
			e += d * d;
		}
	*mean = m;
	*energy = e;
}

bool
cam_reference_init(struct cam_reference *ref, const uint8_t pix[CAM_PIX])
{
	const double emin = CAM_TEXTURE_MIN * CAM_TEXTURE_MIN * CAM_BLOCK_W * CAM_BLOCK_H;
	unsigned b;

	memset(ref, 0, sizeof(*ref));
	memcpy(ref->pix, pix, CAM_PIX);
	for (b = 0; b < CAM_BLOCKS; b++) {
		block_stats(pix, b, &ref->block_mean[b], &ref->block_energy[b]);
		ref->block_textured[b] = ref->block_energy[b] >= emin;
		ref->textured += ref->block_textured[b];
	}
	ref->usable = ref->textured >= CAM_REF_TEXTURED_MIN;
	return ref->usable;
}

/*
 * Pearson correlation per textured block: invariant to the brightness
 * and contrast of each block, so daylight, lamps and the camera's
 * exposure do not read as movement, and averaged-out noise barely moves
 * it; a person in part of the view spoils only the blocks they cover.
 */
uint32_t
cam_match(const struct cam_reference *ref, const uint8_t area[CAM_PIX])
{
	const double flat = 1.0 * CAM_BLOCK_W * CAM_BLOCK_H;	/* std below 1 level */
	unsigned b, x, y, matched = 0;

	if (ref == NULL || !ref->usable)
		return 0;
	for (b = 0; b < CAM_BLOCKS; b++) {
		unsigned bx = (b % (CAM_W / CAM_BLOCK_W)) * CAM_BLOCK_W;
		unsigned by = (b / (CAM_W / CAM_BLOCK_W)) * CAM_BLOCK_H;
		double cm, ce, cross = 0;

		if (!ref->block_textured[b])
			continue;
		block_stats(area, b, &cm, &ce);
		if (ce < flat)
			continue;	/* flat now where it had texture */
		for (y = 0; y < CAM_BLOCK_H; y++)
			for (x = 0; x < CAM_BLOCK_W; x++) {
				unsigned i = (by + y) * CAM_W + bx + x;
				cross += (ref->pix[i] - ref->block_mean[b]) * (area[i] - cm);
			}
		if (cross / sqrt(ref->block_energy[b] * ce) >= CAM_BLOCK_CORR_MIN)
			matched++;
	}
	return (uint32_t)((matched * 1000u + ref->textured / 2) / ref->textured);
}

void
cam_analysis_init(struct cam_analysis *a, const struct cam_limits *lim,
		  const struct cam_reference *ref)
{
	memset(a, 0, sizeof(*a));
	a->lim = *lim;
	a->bucket_ms = (lim->frozen_ms + CAM_WIN_BUCKETS - 1) / CAM_WIN_BUCKETS;
	if (a->bucket_ms == 0)
		a->bucket_ms = 1;
	if (ref != NULL && ref->usable)
		a->ref = *ref;
}

/* Count one picture pair into the frozen window. */
static void
window_add(struct cam_analysis *a, uint64_t t, bool alive)
{
	uint64_t e = t / a->bucket_ms;
	unsigned i = (unsigned)(e % CAM_WIN_BUCKETS);

	if (a->win[i].epoch != e || a->win[i].pictures == 0) {
		a->win[i].epoch = e;
		a->win[i].pictures = 0;
		a->win[i].alive = 0;
	}
	a->win[i].pictures++;
	a->win[i].alive += alive;
}

/* Alive pictures under half of those in the window ending at t? */
static bool
window_is_still(const struct cam_analysis *a, uint64_t t)
{
	uint64_t e = t / a->bucket_ms, pictures = 0, alive = 0;
	unsigned i;

	for (i = 0; i < CAM_WIN_BUCKETS; i++) {
		if (a->win[i].pictures == 0 || a->win[i].epoch > e ||
		    e - a->win[i].epoch >= CAM_WIN_BUCKETS)
			continue;
		pictures += a->win[i].pictures;
		alive += a->win[i].alive;
	}
	return pictures > 0 && alive * 2 < pictures;
}

/* Track one condition: since when it has held without a break. */
static void
track(bool now, uint64_t t, bool *flag, uint64_t *since)
{
	if (!now) {
		*flag = false;
	} else if (!*flag) {
		*flag = true;
		*since = t;
	}
}

void
cam_analysis_picture(struct cam_analysis *a, uint64_t t_ms, const uint8_t area[CAM_PIX],
		     const uint8_t probe[CAM_PIX])
{
	struct cam_measure m;
	double sum = 0, sq = 0, mean, var;
	uint64_t diff = 0;
	unsigned i, local = 0;
	bool dark;

	if (a->frames > 0 && t_ms < a->last_ms)
		t_ms = a->last_ms;
	memset(&m, 0, sizeof(m));
	for (i = 0; i < CAM_PIX; i++)
		sum += area[i];
	mean = sum / CAM_PIX;
	for (i = 0; i < CAM_PIX; i++)
		sq += (area[i] - mean) * (area[i] - mean);
	var = sq / CAM_PIX;
	m.luma = (uint32_t)(mean + 0.5);
	m.contrast = (uint32_t)(sqrt(var) * 100.0 + 0.5);
	if (m.contrast > PT_CAM_CONTRAST_MAX)
		m.contrast = PT_CAM_CONTRAST_MAX;
	if (a->frames > 0) {
		for (i = 0; i < CAM_PIX; i++) {
			int d = probe[i] - a->prev_probe[i];
			int l = area[i] - a->prev_area[i];
			diff += (uint64_t)(d < 0 ? -d : d);
			if (l < 0)
				l = -l;
			if ((unsigned)l > local)
				local = (unsigned)l;
		}
		m.change = (uint32_t)((diff * 100u + CAM_PIX / 2) / CAM_PIX);
		m.local = local;
	}
	dark = m.luma < a->lim.black_luma || m.contrast < a->lim.covered_contrast;
	if (a->ref.usable) {
		m.has_match = true;
		m.match = cam_match(&a->ref, area);
	}

	/* Real change restarts the frozen clock; noise-like change only
	 * counts as life when most pictures show it. */
	if (a->frames == 0 || local >= CAM_LOCAL_CHANGE)
		a->still_since = t_ms;
	if (a->frames > 0)
		window_add(a, t_ms, m.change >= a->lim.frozen_change);
	track(dark, t_ms, &a->dark, &a->dark_since);
	track(m.has_match && !dark && m.match < a->lim.moved_match, t_ms, &a->away,
	      &a->away_since);

	memcpy(a->prev_area, area, CAM_PIX);
	memcpy(a->prev_probe, probe, CAM_PIX);
	a->last = m;
	a->last_ms = t_ms;
	a->frames++;
}

uint32_t
cam_analysis_status(const struct cam_analysis *a)
{
	uint32_t s = 0;
	uint64_t t = a->last_ms;

	if (!a->ref.usable)
		s |= PT_CAM_NOREF;
	if (a->frames == 0)
		return s | PT_CAM_STARTING;
	if (t - a->still_since >= a->lim.frozen_ms && window_is_still(a, t))
		s |= PT_CAM_FROZEN;
	if (a->dark && t - a->dark_since >= a->lim.black_ms)
		s |= PT_CAM_BLACK;
	if (a->away && t - a->away_since >= a->lim.moved_ms)
		s |= PT_CAM_MOVED;
	return s;
}
