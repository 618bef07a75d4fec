/*
 * porter-cam's picture analysis (daemons/cam/analysis.c) on synthetic
 * pictures with synthetic time stamps: thresholds and timing both ways
 * of each boundary, and noise: sensor noise must not read as motion (the
 * moved check) nor as a frozen camera (it proves the sensor is live); a
 * frozen frame must read as frozen whether the source repeats it bit for
 * bit or an encoder re-encodes it (small changes at key frames).
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "analysis.h"
#include "porter/cam_health.h"
#include "t.h"

#define FPS 5
#define STEP (1000 / FPS)

/* ---- synthetic pictures ---- */

static uint32_t rng = 12345;

static uint32_t
rnd(void)
{
	rng = rng * 1103515245u + 12345u;
	return (rng >> 8) & 0xffffffu;
}

/* Roughly normal, mean 0, standard deviation 1 (sum of 12 uniforms). */
static double
gauss(void)
{
	double s = 0;
	for (int i = 0; i < 12; i++)
		s += rnd() / 16777216.0;
	return s - 6.0;
}

static uint8_t
clamp(double v)
{
	return v < 0 ? 0 : v > 255 ? 255 : (uint8_t)(v + 0.5);
}

/* A room: a textured scene with structure at the scale of a few cells. */
static void
scene(uint8_t p[CAM_PIX], uint32_t seed)
{
	uint32_t save = rng;
	uint8_t coarse[(CAM_W / 4) * (CAM_H / 4) + 64];
	int x, y;

	rng = seed;
	for (size_t i = 0; i < sizeof(coarse); i++)
		coarse[i] = (uint8_t)(40 + rnd() % 180);
	for (y = 0; y < CAM_H; y++)
		for (x = 0; x < CAM_W; x++)
			p[y * CAM_W + x] = clamp(coarse[(y / 4) * (CAM_W / 4) + x / 4] * 0.8 +
						 30.0 * sin(x * 0.3) * cos(y * 0.2));
	rng = save;
}

static void
flat(uint8_t p[CAM_PIX], uint8_t v)
{
	memset(p, v, CAM_PIX);
}

static void
add_noise(uint8_t *dst, const uint8_t *src, double sigma)
{
	for (int i = 0; i < CAM_PIX; i++)
		dst[i] = clamp(src[i] + sigma * gauss());
}

/* A re-encoded frozen frame between key frames: a few samples off by one. */
static void
jitter(uint8_t *dst, const uint8_t *src, unsigned per_mille)
{
	for (int i = 0; i < CAM_PIX; i++) {
		int d = rnd() % 1000 < per_mille ? (rnd() & 1 ? 1 : -1) : 0;
		dst[i] = clamp(src[i] + d);
	}
}

static struct cam_limits
limits(void)
{
	struct cam_limits l;

	cam_limits_default(&l);
	l.frozen_ms = 5000;
	l.black_ms = 3000;
	l.moved_ms = 10000;
	return l;
}

/* Feed the same area/probe from t0 for ms, every STEP; status at the end. */
static uint32_t
feed(struct cam_analysis *a, uint64_t *t, uint64_t ms, const uint8_t *area, const uint8_t *probe)
{
	uint64_t end = *t + ms;

	for (; *t < end; *t += STEP)
		cam_analysis_picture(a, *t, area, probe);
	return cam_analysis_status(a);
}

/* ---- tests ---- */

static void
test_start_and_metrics(void)
{
	struct cam_analysis a;
	struct cam_limits l = limits();
	uint8_t p[CAM_PIX];
	int i;

	cam_analysis_init(&a, &l, NULL);
	T_EQ(cam_analysis_status(&a), PT_CAM_STARTING | PT_CAM_NOREF,
	     "before the first picture: starting, no reference");
	for (i = 0; i < CAM_PIX; i++)
		p[i] = i < CAM_PIX / 2 ? 0 : 200;
	cam_analysis_picture(&a, 1000, p, p);
	T_EQ(cam_analysis_status(&a), PT_CAM_NOREF, "one textured picture: no problem yet");
	T_EQ(a.last.luma, 100, "mean luma of half 0, half 200");
	T_EQ(a.last.contrast, 10000, "its standard deviation is 100.00 levels");
	T_EQ(a.last.change, 0, "the first picture has no change");
	T_OK(!a.last.has_match, "no reference, no match metric");
	T_EQ(pt_cam_status_settle(cam_analysis_status(&a)), PT_CAM_OK | PT_CAM_NOREF,
	     "settled: ok (noref is information)");
}

static void
test_frozen_identical(void)
{
	struct cam_analysis a;
	struct cam_limits l = limits();
	uint8_t p[CAM_PIX];
	uint64_t t = 1000;

	scene(p, 1);
	cam_analysis_init(&a, &l, NULL);
	T_OK(!(feed(&a, &t, 4800, p, p) & PT_CAM_FROZEN),
	     "bit-identical pictures for 4.8 s: not yet frozen (limit 5 s)");
	T_EQ(t, 5800, "last picture at 5.6 s after the first");
	cam_analysis_picture(&a, 5999, p, p);
	T_OK(!(cam_analysis_status(&a) & PT_CAM_FROZEN), "4.999 s after the first picture: not yet");
	cam_analysis_picture(&a, 6000, p, p);
	T_OK(cam_analysis_status(&a) & PT_CAM_FROZEN, "exactly 5 s: frozen");
	T_EQ(a.last.change, 0, "change 0");
	t = 6200;
	T_OK(feed(&a, &t, 60000, p, p) & PT_CAM_FROZEN, "and it stays frozen for a minute");
}

static void
test_frozen_reencoded(void)
{
	struct cam_analysis a;
	struct cam_limits l = limits();
	uint8_t base[CAM_PIX], noisy[CAM_PIX], probe[CAM_PIX];
	uint64_t t = 1000;
	uint32_t s = 0, worst = 0;
	int i;

	/* The last real frame, with its noise baked in, re-encoded: pictures
	 * in a GOP repeat it with a few samples off by one; each key frame
	 * (every 2 s: one picture in ten) is a fresh encode that differs by a
	 * level or two over much of the picture. */
	scene(base, 2);
	add_noise(noisy, base, 3.0);
	cam_analysis_init(&a, &l, NULL);
	for (i = 0; i < 100; i++, t += STEP) {
		if (i % 10 == 9)
			add_noise(probe, noisy, 1.5);
		else
			jitter(probe, noisy, 5);
		cam_analysis_picture(&a, t, noisy, probe);
		s |= cam_analysis_status(&a);
		if (i % 10 != 9 && i % 10 != 0 && a.last.change > worst)
			worst = a.last.change;
	}
	T_OK(worst < l.frozen_change, "between key frames: change at most %u, under %u", worst,
	     l.frozen_change);
	T_OK(s & PT_CAM_FROZEN, "a re-encoded frozen frame (key frame blips) is frozen");
	T_OK(cam_analysis_status(&a) & PT_CAM_FROZEN, "and still frozen at the end");

	/* Key frames every second (one picture in five) still leave most
	 * pictures dead. */
	cam_analysis_init(&a, &l, NULL);
	t = 1000;
	for (i = 0; i < 100; i++, t += STEP) {
		if (i % 5 == 4)
			add_noise(probe, noisy, 1.5);
		else
			memcpy(probe, noisy, CAM_PIX);
		cam_analysis_picture(&a, t, noisy, probe);
	}
	T_OK(cam_analysis_status(&a) & PT_CAM_FROZEN, "GOP of 1 s: frozen too");
}

static void
test_live_noise(void)
{
	struct cam_analysis a;
	struct cam_limits l = limits();
	struct cam_reference ref;
	uint8_t base[CAM_PIX], area[CAM_PIX], probe[CAM_PIX];
	uint64_t t = 1000;
	uint32_t s = 0;
	unsigned worst_match = 1000, worst_local = 0;
	int i;

	/* A still room seen by a live sensor: full-resolution samples carry
	 * temporal noise (sigma 1 level, after the encoder has eaten most of
	 * it), averaged cells barely any (sigma 0.3). */
	scene(base, 3);
	(void)cam_reference_init(&ref, base);
	cam_analysis_init(&a, &l, &ref);
	for (i = 0; i < 300; i++, t += STEP) {
		add_noise(area, base, 0.3);
		add_noise(probe, base, 1.0);
		cam_analysis_picture(&a, t, area, probe);
		s |= cam_analysis_status(&a);
		if (a.last.match < worst_match)
			worst_match = a.last.match;
		if (i > 0 && a.last.local > worst_local)
			worst_local = a.last.local;
	}
	T_OK(!(s & PT_CAM_FROZEN), "sensor noise in a still room: never frozen in 60 s");
	T_OK(worst_local < CAM_LOCAL_CHANGE, "noise is not motion: largest cell change %u",
	     worst_local);
	T_OK(worst_match >= 900, "noise does not move the camera: worst match %u", worst_match);
	T_OK(!(s & PT_CAM_MOVED), "never moved");

	/* Fainter noise, the encoder keeping only a trace of it: still alive
	 * while it exceeds frozen_change on most pictures. */
	cam_analysis_init(&a, &l, &ref);
	s = 0;
	t = 1000;
	for (i = 0; i < 100; i++, t += STEP) {
		jitter(probe, base, 150);	/* 15% of the samples off by one */
		cam_analysis_picture(&a, t, base, probe);
		s |= cam_analysis_status(&a);
	}
	T_OK(a.last.change >= l.frozen_change, "faint noise: change %u at or over %u",
	     a.last.change, l.frozen_change);
	T_OK(!(s & PT_CAM_FROZEN), "faint noise: not frozen");

	/* Boundary: fresh noise in 2 pictures of every 5 (the others repeat
	 * the one before): alive in 40% of the pairs, frozen; in 3 of 5,
	 * 60%: live. */
	cam_analysis_init(&a, &l, &ref);
	t = 1000;
	for (i = 0; i < 100; i++, t += STEP) {
		if (i % 5 < 2)
			add_noise(probe, base, 1.0);
		cam_analysis_picture(&a, t, base, probe);
	}
	T_OK(cam_analysis_status(&a) & PT_CAM_FROZEN, "alive in 40%% of the pictures: frozen");
	cam_analysis_init(&a, &l, &ref);
	t = 1000;
	for (i = 0; i < 100; i++, t += STEP) {
		if (i % 5 < 3)
			add_noise(probe, base, 1.0);
		cam_analysis_picture(&a, t, base, probe);
	}
	T_OK(!(cam_analysis_status(&a) & PT_CAM_FROZEN), "alive in 60%% of the pictures: live");
}

static void
test_real_change(void)
{
	struct cam_analysis a;
	struct cam_limits l = limits();
	uint8_t base[CAM_PIX], p[CAM_PIX];
	uint64_t t = 1000;
	uint32_t s = 0;
	int i, x, y;

	/* A still, noiseless picture with a clock overlay that changes once a
	 * second: a small area, a large change. */
	scene(base, 4);
	cam_analysis_init(&a, &l, NULL);
	for (i = 0; i < 150; i++, t += STEP) {
		memcpy(p, base, CAM_PIX);
		for (y = 1; y < 3; y++)
			for (x = 56; x < 62; x++)
				p[y * CAM_W + x] = (uint8_t)((i / FPS) % 2 ? 230 : 30);
		cam_analysis_picture(&a, t, p, p);
		s |= cam_analysis_status(&a);
	}
	T_OK(!(s & PT_CAM_FROZEN), "a clock overlay ticking each second: never frozen");

	/* Motion: the scene pans. */
	cam_analysis_init(&a, &l, NULL);
	s = 0;
	t = 1000;
	for (i = 0; i < 100; i++, t += STEP) {
		scene(p, 100u + (unsigned)i);
		cam_analysis_picture(&a, t, p, p);
		s |= cam_analysis_status(&a);
	}
	T_OK(!(s & PT_CAM_FROZEN), "a changing scene: never frozen");

	/* Frozen, then one real change clears it at once. */
	cam_analysis_init(&a, &l, NULL);
	t = 1000;
	T_OK(feed(&a, &t, 6000, base, base) & PT_CAM_FROZEN, "frozen after 6 s");
	memcpy(p, base, CAM_PIX);
	for (x = 0; x < 8; x++)
		p[20 * CAM_W + x] = (uint8_t)(p[20 * CAM_W + x] ^ 0x80);
	cam_analysis_picture(&a, t, p, p);
	T_OK(!(cam_analysis_status(&a) & PT_CAM_FROZEN), "one local change: no longer frozen");
	t += STEP;
	T_OK(!(feed(&a, &t, 4800, p, p) & PT_CAM_FROZEN), "and the clock starts again (4.8 s)");
	T_OK(feed(&a, &t, 400, p, p) & PT_CAM_FROZEN, "frozen again 5 s after the change");
	T_EQ(a.last.local, 0, "identical pictures since: no local change");

	/* A small time going backwards counts as no time. */
	cam_analysis_init(&a, &l, NULL);
	cam_analysis_picture(&a, 10000, base, base);
	cam_analysis_picture(&a, 9000, base, base);
	T_EQ(a.last_ms, 10000, "an earlier time stamp is taken as the last one");
	cam_analysis_picture(&a, 15000, base, base);
	T_OK(cam_analysis_status(&a) & PT_CAM_FROZEN, "timing still from the first picture");
}

static void
test_black(void)
{
	struct cam_analysis a;
	struct cam_limits l = limits();
	uint8_t p[CAM_PIX], q[CAM_PIX], base[CAM_PIX];
	uint64_t t = 1000;
	int i;

	flat(p, 16);	/* limited-range black */
	cam_analysis_init(&a, &l, NULL);
	T_OK(!(feed(&a, &t, 2800, p, p) & PT_CAM_BLACK), "black for 2.8 s: not yet (limit 3 s)");
	cam_analysis_picture(&a, 3999, p, p);
	T_OK(!(cam_analysis_status(&a) & PT_CAM_BLACK), "2.999 s: not yet");
	cam_analysis_picture(&a, 4000, p, p);
	T_OK(cam_analysis_status(&a) & PT_CAM_BLACK, "3 s: black");
	scene(base, 5);
	cam_analysis_picture(&a, 4200, base, base);
	T_OK(!(cam_analysis_status(&a) & PT_CAM_BLACK), "a lit picture clears it at once");

	/* Dark but textured: a dim room the camera still sees. */
	for (i = 0; i < CAM_PIX; i++)
		q[i] = (uint8_t)(24 + base[i] / 8);
	cam_analysis_init(&a, &l, NULL);
	t = 1000;
	T_OK(!(feed(&a, &t, 10000, q, q) & PT_CAM_BLACK), "a dim, textured room (luma %u, contrast"
	     " %u): not black", a.last.luma, a.last.contrast);

	/* Covered: bright but flat, with sensor noise (sigma 1 level). */
	cam_analysis_init(&a, &l, NULL);
	t = 1000;
	flat(p, 120);
	for (i = 0; i < 30; i++, t += STEP) {
		add_noise(q, p, 1.0);
		cam_analysis_picture(&a, t, q, q);
	}
	T_OK(a.last.contrast < l.covered_contrast, "covered: contrast %u under %u",
	     a.last.contrast, l.covered_contrast);
	T_OK(cam_analysis_status(&a) & PT_CAM_BLACK, "a covered lens (flat, bright) is black");

	/* Threshold both ways: mean luma 23 is black, 24 is not (flat with
	 * texture added so contrast is not what decides). */
	for (i = 0; i < CAM_PIX; i++)
		q[i] = (uint8_t)(i % 2 ? 23 - 10 : 23 + 10);
	cam_analysis_init(&a, &l, NULL);
	t = 1000;
	T_OK(feed(&a, &t, 3200, q, q) & PT_CAM_BLACK, "luma 23, contrast 10: black");
	for (i = 0; i < CAM_PIX; i++)
		q[i] = (uint8_t)(i % 2 ? 24 - 10 : 24 + 10);
	cam_analysis_init(&a, &l, NULL);
	t = 1000;
	T_OK(!(feed(&a, &t, 3200, q, q) & PT_CAM_BLACK), "luma 24, contrast 10: not black");
}

static void
test_moved(void)
{
	struct cam_analysis a;
	struct cam_limits l = limits();
	struct cam_reference ref;
	uint8_t base[CAM_PIX], p[CAM_PIX], q[CAM_PIX];
	uint64_t t = 1000;
	int x, y, i;

	flat(p, 128);
	T_OK(!cam_reference_init(&ref, p), "a flat picture is no reference");
	T_EQ(ref.textured, 0, "no textured block");
	scene(base, 6);
	T_OK(cam_reference_init(&ref, base), "a room is a reference");
	T_OK(ref.textured >= CAM_REF_TEXTURED_MIN, "%u textured blocks", ref.textured);
	T_EQ(cam_match(&ref, base), 1000, "the reference matches itself");

	/* Lighting: darker, less contrast, everywhere. */
	for (i = 0; i < CAM_PIX; i++)
		p[i] = clamp(base[i] * 0.5 + 40);
	T_EQ(cam_match(&ref, p), 1000, "half the light and an offset: still a full match");

	/* Someone stands in front of a third of the view. */
	memcpy(p, base, CAM_PIX);
	for (y = 0; y < CAM_H; y++)
		for (x = 0; x < CAM_W / 3; x++)
			p[y * CAM_W + x] = (uint8_t)(60 + (x + y) % 7);
	T_OK(cam_match(&ref, p) >= 500, "a third of the view blocked: match %u",
	     cam_match(&ref, p));
	cam_analysis_init(&a, &l, &ref);
	T_OK(!(feed(&a, &t, 20000, p, p) & PT_CAM_MOVED), "a person in view for 20 s: not moved");

	/* Knocked over: another view altogether. */
	scene(q, 7);
	T_OK(cam_match(&ref, q) < l.moved_match, "another view: match %u", cam_match(&ref, q));
	cam_analysis_init(&a, &l, &ref);
	t = 1000;
	T_OK(!(feed(&a, &t, 9800, q, q) & PT_CAM_MOVED), "another view for 9.8 s: not yet");
	cam_analysis_picture(&a, 10999, q, q);
	T_OK(!(cam_analysis_status(&a) & PT_CAM_MOVED), "9.999 s: not yet");
	cam_analysis_picture(&a, 11000, q, q);
	T_OK(cam_analysis_status(&a) & PT_CAM_MOVED, "10 s: moved");
	T_OK(a.last.has_match, "the match metric is there");
	cam_analysis_picture(&a, 11200, base, base);
	T_OK(!(cam_analysis_status(&a) & PT_CAM_MOVED), "put back: moved clears");

	/* Turned: the same room shifted by two blocks' width. */
	for (y = 0; y < CAM_H; y++)
		for (x = 0; x < CAM_W; x++)
			p[y * CAM_W + x] = base[y * CAM_W + (x + 16) % CAM_W];
	T_OK(cam_match(&ref, p) < l.moved_match, "turned by 16 cells: match %u",
	     cam_match(&ref, p));

	/* Covered: black, not moved. */
	flat(p, 10);
	cam_analysis_init(&a, &l, &ref);
	t = 1000;
	T_EQ(feed(&a, &t, 12000, p, p) & (PT_CAM_MOVED | PT_CAM_BLACK), PT_CAM_BLACK,
	     "a covered lens is black, not moved");
	T_OK(!(cam_analysis_status(&a) & PT_CAM_NOREF), "with a reference: no noref");
}

int
main(void)
{
	struct cam_limits l;

	cam_limits_default(&l);
	T_OK(l.frozen_change > 0 && l.frozen_ms > 0 && l.black_ms > 0 && l.moved_ms > 0,
	     "defaults are set");
	test_start_and_metrics();
	test_frozen_identical();
	test_frozen_reencoded();
	test_live_noise();
	test_real_change();
	test_black();
	test_moved();
	return t_done();
}
