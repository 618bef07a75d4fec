/*
 * The camera health message (lib/core/cam_health.c): the payload codec
 * and its strictness, signing and the signature-first opener, and the
 * hub's check (pt_cam_watch_*): stale, replayed, another camera, another
 * key, silence.
 *
 * PORTER_CAM_CORPUS=DIR writes the fuzz target's seed corpus there
 * (fuzz/corpus/cam_health/).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "porter/cam_health.h"
#include "porter/cbor.h"
#include "porter/crypto.h"
#include "t.h"

static const char *corpus;

static void
save(const char *name, const uint8_t *p, size_t n)
{
	char path[512];
	FILE *f;

	if (corpus == NULL)
		return;
	(void)snprintf(path, sizeof(path), "%s/%s", corpus, name);
	if ((f = fopen(path, "wb")) == NULL)
		return;
	(void)fwrite(p, 1, n, f);
	fclose(f);
}

static void
sample(struct pt_cam_health *h)
{
	memset(h, 0, sizeof(*h));
	memcpy(h->id, "front-door", 11);
	memset(h->run, 0xa5, PT_CAM_RUN_LEN);
	h->seq = 7;
	h->time_ms = 123456789;
	h->status = PT_CAM_OK;
	h->m.pps = 25;
	h->m.fps = 5;
	h->m.packet_age_ms = 40;
	h->m.luma = 128;
	h->m.contrast = 6384;
	h->m.change = 320;
	h->m.has_match = true;
	h->m.match = 871;
	h->m.restarts = 0;
}

/* The payload of sample(), byte for byte (docs/cam.md shows it). */
static const uint8_t sample_payload[] = {
	0xa6,						/* map(6) */
	0x01, 0x6a, 'f', 'r', 'o', 'n', 't', '-', 'd', 'o', 'o', 'r',	/* 1: "front-door" */
	0x02, 0x50, 0xa5, 0xa5, 0xa5, 0xa5, 0xa5, 0xa5, 0xa5, 0xa5,	/* 2: run, 16 bytes */
	0xa5, 0xa5, 0xa5, 0xa5, 0xa5, 0xa5, 0xa5, 0xa5,
	0x03, 0x07,					/* 3: seq 7 */
	0x04, 0x1a, 0x07, 0x5b, 0xcd, 0x15,		/* 4: time 123456789 */
	0x05, 0x01,					/* 5: status ok */
	0x06, 0xa8,					/* 6: metrics, map(8) */
	0x01, 0x18, 0x19,				/* pps 25 */
	0x02, 0x05,					/* fps 5 */
	0x03, 0x18, 0x28,				/* packet age 40 ms */
	0x04, 0x18, 0x80,				/* luma 128 */
	0x05, 0x19, 0x18, 0xf0,				/* contrast 63.84 */
	0x06, 0x19, 0x01, 0x40,				/* change 3.20 */
	0x07, 0x19, 0x03, 0x67,				/* match 871 per mille */
	0x08, 0x00,					/* restarts 0 */
};

static struct pt_secret *key(uint8_t fill);

/* sample() with clips refused: 3 kept, the newest 0x5a.. refused 413
 * at 1764800000 (2025-12-03T22:13:20Z). */
static void
sample_refused(struct pt_cam_health *h)
{
	sample(h);
	h->refused.count = 3;
	memset(h->refused.clip, 0x5a, PT_CAM_CLIP_LEN);
	h->refused.status = 413;
	h->refused.at = 1764800000;
}

/* Key 7 as sample_refused() encodes it: sample_payload with map(7) and these
 * bytes after it (docs/cam.md shows them). */
static const uint8_t refused_tail[] = {
	0x07, 0xa4,					/* 7: refused, map(4) */
	0x01, 0x03,					/* count 3 */
	0x02, 0x50, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a,	/* clip, 16 bytes */
	0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a,
	0x03, 0x19, 0x01, 0x9d,				/* status 413 */
	0x04, 0x1a, 0x69, 0x30, 0xb6, 0x00,		/* at 1764800000 */
};

static void
test_status(void)
{
	T_OK(pt_cam_status_is_valid(PT_CAM_OK), "ok alone is valid");
	T_OK(pt_cam_status_is_valid(PT_CAM_OK | PT_CAM_NOREF), "ok with noref is valid");
	T_OK(pt_cam_status_is_valid(PT_CAM_FROZEN | PT_CAM_STALLED), "two problems, no ok: valid");
	T_OK(!pt_cam_status_is_valid(PT_CAM_OK | PT_CAM_FROZEN), "ok with a problem: invalid");
	T_OK(!pt_cam_status_is_valid(0), "nothing at all: invalid");
	T_OK(!pt_cam_status_is_valid(PT_CAM_NOREF), "noref without ok: invalid");
	T_OK(!pt_cam_status_is_valid(PT_CAM_OK | 0x80u), "an unknown bit: invalid");
	T_EQ(pt_cam_status_settle(PT_CAM_NOREF), PT_CAM_OK | PT_CAM_NOREF, "settle adds ok");
	T_EQ(pt_cam_status_settle(PT_CAM_OK | PT_CAM_MOVED), PT_CAM_MOVED, "settle drops ok");
	T_EQ(pt_cam_status_settle(0xffffffffu), PT_CAM_ALL & ~PT_CAM_OK, "settle drops unknown bits");
	char txt[64];
	pt_cam_status_text(PT_CAM_FROZEN | PT_CAM_NOREF, txt, sizeof(txt));
	T_OK(strcmp(txt, "frozen,noref") == 0, "text: %s", txt);
	pt_cam_status_text(PT_CAM_ALL, txt, sizeof(txt));
	T_OK(strlen(txt) < 64 && strstr(txt, "starting") != NULL, "every bit fits 64 bytes: %s", txt);
}

static void
test_payload(void)
{
	struct pt_cam_health h, d;
	uint8_t buf[PT_CAM_PAYLOAD_MAX + 8];
	size_t n;

	sample(&h);
	T_EQ(pt_cam_payload_encode(&h, buf, sizeof(buf), &n), PT_OK, "encode");
	T_EQ(n, sizeof(sample_payload), "%zu bytes", n);
	T_OK(n == sizeof(sample_payload) && memcmp(buf, sample_payload, n) == 0,
	     "the bytes docs/cam.md shows");
	save("payload", buf, n);
	T_EQ(pt_cam_payload_decode(buf, n, &d), PT_OK, "decode");
	T_OK(memcmp(&h, &d, sizeof(h)) == 0, "decodes back to the same struct");

	/* The largest payload fits its bound. */
	memset(h.id, 'x', PT_ID_MAX);
	h.id[PT_ID_MAX] = '\0';
	h.seq = INT64_MAX;
	h.time_ms = INT64_MAX;
	h.status = PT_CAM_ALL & ~PT_CAM_OK & ~PT_CAM_NOREF;
	h.m.pps = PT_CAM_PPS_MAX;
	h.m.packet_age_ms = PT_CAM_AGE_MAX;
	h.m.restarts = UINT32_MAX;
	h.m.fps = PT_CAM_FPS_MAX;
	h.m.luma = PT_CAM_LUMA_MAX;
	h.m.contrast = PT_CAM_CONTRAST_MAX;
	h.m.change = PT_CAM_CHANGE_MAX;
	h.m.match = PT_CAM_MATCH_MAX;
	h.refused.count = UINT32_MAX;
	memset(h.refused.clip, 0xff, PT_CAM_CLIP_LEN);
	h.refused.status = PT_CAM_REFUSED_STATUS_MAX;
	h.refused.at = UINT32_MAX;
	T_EQ(pt_cam_payload_encode(&h, buf, sizeof(buf), &n), PT_OK, "the largest payload encodes");
	T_EQ(n, 184, "the largest payload is 184 bytes (docs/cam.md)");
	T_OK(n <= PT_CAM_PAYLOAD_MAX, "%zu bytes, at most %d", n, PT_CAM_PAYLOAD_MAX);
	T_EQ(pt_cam_payload_decode(buf, n, &d), PT_OK, "and decodes");
	T_EQ(pt_cam_payload_encode(&h, buf, n - 1, &n), PT_ENOSPC, "one byte short: no space");

	/* The encoder refuses what the decoder would. */
	sample(&h);
	h.status = PT_CAM_OK | PT_CAM_FROZEN;
	T_EQ(pt_cam_payload_encode(&h, buf, sizeof(buf), &n), PT_EINVAL, "ok with frozen: refused");
	sample(&h);
	h.status = PT_CAM_OK | PT_CAM_NOREF;
	T_EQ(pt_cam_payload_encode(&h, buf, sizeof(buf), &n), PT_EINVAL,
	     "noref with a match metric: refused");
	sample(&h);
	h.m.has_match = false;
	T_EQ(pt_cam_payload_encode(&h, buf, sizeof(buf), &n), PT_EINVAL,
	     "no match metric without noref: refused");
	h.status |= PT_CAM_NOREF;
	h.m.match = 0;
	T_EQ(pt_cam_payload_encode(&h, buf, sizeof(buf), &n), PT_OK, "noref and no match: fine");
	/* Metric 7 (4 bytes) left out; status 0x41 takes a byte more than 0x01. */
	T_EQ(n, sizeof(sample_payload) - 4 + 1, "metric 7 left out");
	save("payload_noref", buf, n);
	T_EQ(pt_cam_payload_decode(buf, n, &d), PT_OK, "and decodes");
	sample(&h);
	h.seq = 0;
	T_EQ(pt_cam_payload_encode(&h, buf, sizeof(buf), &n), PT_EINVAL, "seq 0: refused");
	sample(&h);
	h.m.luma = 256;
	T_EQ(pt_cam_payload_encode(&h, buf, sizeof(buf), &n), PT_EINVAL, "luma 256: refused");
	sample(&h);
	h.id[0] = '\0';
	T_EQ(pt_cam_payload_encode(&h, buf, sizeof(buf), &n), PT_EINVAL, "empty id: refused");
	sample(&h);
	memcpy(h.id, "a b", 4);
	T_EQ(pt_cam_payload_encode(&h, buf, sizeof(buf), &n), PT_EINVAL, "a space in the id: refused");
}

/* sample_refused()'s payload, built from the two tables. */
static size_t
refused_payload(uint8_t *buf)
{
	memcpy(buf, sample_payload, sizeof(sample_payload));
	buf[0] = 0xa7;
	memcpy(buf + sizeof(sample_payload), refused_tail, sizeof(refused_tail));
	return sizeof(sample_payload) + sizeof(refused_tail);
}

/* Decode refused_payload() with byte at (of the tail) set to v. */
static int
dec_rmut(size_t at, uint8_t v)
{
	uint8_t buf[sizeof(sample_payload) + sizeof(refused_tail)];
	struct pt_cam_health d;
	static const struct pt_cam_health zero;
	int r;

	(void)refused_payload(buf);
	buf[sizeof(sample_payload) + at] = v;
	r = pt_cam_payload_decode(buf, sizeof(buf), &d);
	if (r != PT_OK && memcmp(&d, &zero, sizeof(d)) != 0)
		return 99;
	return r;
}

/* Key 7: the clips porterd refused for good. */
static void
test_refused(void)
{
	const struct pt_crypto_ops *ops = pt_crypto_sodium();
	struct pt_secret *cam = key(0x11);
	struct pt_signer sg;
	struct pt_cam_health h, d;
	uint8_t buf[PT_CAM_PAYLOAD_MAX + 8], want[PT_CAM_PAYLOAD_MAX], msg[PT_CAM_HEALTH_MAX];
	uint8_t pk[PT_PK_LEN];
	size_t n, wn, i, bad = 0;

	wn = refused_payload(want);
	sample_refused(&h);
	T_EQ(pt_cam_payload_encode(&h, buf, sizeof(buf), &n), PT_OK, "with refused clips: encodes");
	T_OK(n == wn && memcmp(buf, want, n) == 0, "the bytes docs/cam.md shows (%zu)", n);
	save("payload_refused", buf, n);
	T_EQ(pt_cam_payload_decode(buf, n, &d), PT_OK, "decodes");
	T_OK(memcmp(&h, &d, sizeof(h)) == 0, "to the same struct");
	T_EQ(d.refused.count, 3, "count");
	T_EQ(d.refused.status, 413, "status");
	T_EQ(d.refused.at, 1764800000, "at");
	/* A camera with nothing refused sends the first format's bytes. */
	sample(&h);
	T_EQ(pt_cam_payload_encode(&h, buf, sizeof(buf), &n), PT_OK, "nothing refused");
	T_OK(n == sizeof(sample_payload) && memcmp(buf, sample_payload, n) == 0,
	     "nothing refused: no key 7, the bytes before it");
	T_EQ(pt_cam_payload_decode(sample_payload, sizeof(sample_payload), &d), PT_OK,
	     "a message without key 7 still decodes");
	T_EQ(d.refused.count, 0, "and says nothing refused");

	/* The encoder refuses what the decoder would. */
	sample_refused(&h);
	h.refused.status = 399;
	T_EQ(pt_cam_payload_encode(&h, buf, sizeof(buf), &n), PT_EINVAL, "status 399: refused");
	h.refused.status = 500;
	T_EQ(pt_cam_payload_encode(&h, buf, sizeof(buf), &n), PT_EINVAL, "status 500: refused");
	h.refused.status = 0;
	T_EQ(pt_cam_payload_encode(&h, buf, sizeof(buf), &n), PT_OK, "status 0 (unknown): fine");
	T_EQ(pt_cam_payload_decode(buf, n, &d), PT_OK, "and decodes");
	h.refused.status = 400;
	h.refused.at = (uint64_t)UINT32_MAX + 1;
	T_EQ(pt_cam_payload_encode(&h, buf, sizeof(buf), &n), PT_EINVAL, "at over 2^32-1: refused");
	sample(&h);
	h.refused.status = 413;
	T_EQ(pt_cam_payload_encode(&h, buf, sizeof(buf), &n), PT_EINVAL,
	     "count 0 with a status: refused");
	sample(&h);
	h.refused.clip[5] = 1;
	T_EQ(pt_cam_payload_encode(&h, buf, sizeof(buf), &n), PT_EINVAL,
	     "count 0 with a clip: refused");

	/* The decoder, byte by byte. */
	for (i = 0; i < wn; i++)
		if (pt_cam_payload_decode(want, i, &d) != PT_EMALFORMED)
			bad++;
	T_EQ(bad, 0, "every truncation is malformed");
	T_EQ(dec_rmut(0, 0x08), PT_EMALFORMED, "key 8: unknown");
	T_EQ(dec_rmut(1, 0xa3), PT_EMALFORMED, "refused map of 3");
	T_EQ(dec_rmut(1, 0xa5), PT_EMALFORMED, "refused map of 5");
	T_EQ(dec_rmut(3, 0x00), PT_EMALFORMED, "count 0");
	T_EQ(dec_rmut(2, 0x02), PT_EMALFORMED, "refused keys out of order");
	T_EQ(dec_rmut(2, 0x05), PT_EMALFORMED, "an unknown refused key");
	T_EQ(dec_rmut(5, 0x4f), PT_EMALFORMED, "a clip of 15 bytes");
	T_EQ(dec_rmut(5, 0x70), PT_EMALFORMED, "the clip as text");
	T_EQ(dec_rmut(25, 0x8f), PT_EMALFORMED, "status 399 (0x018f)");
	T_EQ(dec_rmut(25, 0xf3), PT_OK, "status 499 (0x01f3) is fine");
	T_EQ(dec_rmut(24, 0x02), PT_EMALFORMED, "status 669 (0x029d)");
	T_EQ(dec_rmut(23, 0x1a), PT_EMALFORMED, "status with a 4-byte head");
	T_EQ(dec_rmut(27, 0x1b), PT_EMALFORMED, "at as a 64-bit head (truncated)");
	{
		/* Key 7 without key 6 (at offset 41 of the sample, to its end). */
		uint8_t b2[sizeof(sample_payload) + sizeof(refused_tail)];

		T_EQ(sample_payload[41], 0x06, "key 6 at offset 41");
		memcpy(b2, sample_payload, 41);
		b2[0] = 0xa6;
		memcpy(b2 + 41, refused_tail, sizeof(refused_tail));
		T_EQ(pt_cam_payload_decode(b2, 41 + sizeof(refused_tail), &d), PT_EMALFORMED,
		     "keys 1..5 and 7 (no metrics): malformed");
		b2[0] = 0xa7;
		T_EQ(pt_cam_payload_decode(b2, 41 + sizeof(refused_tail), &d), PT_EMALFORMED,
		     "map(7) without metrics: malformed");
	}
	{
		/* map(6) with key 7 present: one pair too many. */
		uint8_t b3[sizeof(sample_payload) + sizeof(refused_tail)];
		(void)refused_payload(b3);
		b3[0] = 0xa6;
		T_EQ(pt_cam_payload_decode(b3, sizeof(b3), &d), PT_EMALFORMED,
		     "map(6) followed by key 7: trailing bytes, malformed");
	}

	/* Signed: opens, and no bit flip opens. */
	pt_signer_sodium(&sg, cam);
	pt_secret_public(cam, pk);
	sample_refused(&h);
	T_EQ(pt_cam_health_sign(&sg, &h, msg, sizeof(msg), &n), PT_OK, "signed with key 7");
	T_EQ(n, 1 + 2 + wn + 2 + PT_SIG_LEN, "%zu bytes", n);
	save("message_refused", msg, n);
	T_EQ(pt_cam_health_open(ops, pk, msg, n, &d), PT_OK, "opens");
	T_OK(memcmp(&h, &d, sizeof(h)) == 0, "to the same struct");
	bad = 0;
	for (i = 0; i < n; i++) {
		uint8_t f[PT_CAM_HEALTH_MAX];
		memcpy(f, msg, n);
		f[i] ^= 0x01;
		if (pt_cam_health_open(ops, pk, f, n, &d) == PT_OK)
			bad++;
	}
	T_EQ(bad, 0, "no single bit flip opens");
	pt_secret_free(cam);
}

/* Decode a mutated copy of the sample payload. */
static int
dec_mut(size_t at, uint8_t v)
{
	uint8_t buf[sizeof(sample_payload)];
	struct pt_cam_health d;
	int r;

	memcpy(buf, sample_payload, sizeof(buf));
	buf[at] = v;
	r = pt_cam_payload_decode(buf, sizeof(buf), &d);
	if (r != PT_OK) {
		static const struct pt_cam_health zero;
		if (memcmp(&d, &zero, sizeof(d)) != 0)
			return 99;	/* not zeroed: a failure of its own */
	}
	return r;
}

static void
test_strict(void)
{
	uint8_t buf[PT_CAM_PAYLOAD_MAX + 8];
	struct pt_cam_health d;
	size_t i, bad = 0;

	for (i = 0; i < sizeof(sample_payload); i++)
		if (pt_cam_payload_decode(sample_payload, i, &d) != PT_EMALFORMED)
			bad++;
	T_EQ(bad, 0, "every truncation is malformed");
	memcpy(buf, sample_payload, sizeof(sample_payload));
	buf[sizeof(sample_payload)] = 0x00;
	T_EQ(pt_cam_payload_decode(buf, sizeof(sample_payload) + 1, &d), PT_EMALFORMED,
	     "a trailing byte: malformed");
	T_EQ(pt_cam_payload_decode(buf, PT_CAM_PAYLOAD_MAX + 1, &d), PT_ETOOBIG, "over the bound");
	T_EQ(dec_mut(0, 0xa5), PT_EMALFORMED, "map of 5: malformed");
	T_EQ(dec_mut(0, 0xa7), PT_EMALFORMED, "map of 7: malformed");
	T_EQ(dec_mut(1, 0x02), PT_EMALFORMED, "keys out of order");
	T_EQ(dec_mut(1, 0x09), PT_EMALFORMED, "an unknown key");
	T_EQ(dec_mut(2, 0x4a), PT_EMALFORMED, "the id as bytes");
	T_EQ(dec_mut(3, ' '), PT_EMALFORMED, "a space in the id");
	T_EQ(dec_mut(14, 0x4f), PT_EMALFORMED, "a run of 15 bytes");
	T_EQ(dec_mut(32, 0x00), PT_EMALFORMED, "seq 0");
	T_EQ(dec_mut(40, 0x05), PT_EMALFORMED, "status ok with black");
	T_EQ(dec_mut(40, 0x41), PT_EMALFORMED, "status ok with noref, yet a match metric");
	T_EQ(dec_mut(40, 0x00), PT_EMALFORMED, "status 0");
	T_EQ(dec_mut(42, 0xa9), PT_EMALFORMED, "metrics map of 9");
	T_EQ(dec_mut(42, 0xa6), PT_EMALFORMED, "metrics map of 6");
	T_EQ(dec_mut(53, 0xff), PT_OK, "luma 255 is fine");
	/* fps 5 as 0x18 0x05: a longer head than needed. */
	memcpy(buf, sample_payload, 47);
	buf[47] = 0x18;
	memcpy(buf + 48, sample_payload + 47, sizeof(sample_payload) - 47);
	T_EQ(pt_cam_payload_decode(buf, sizeof(sample_payload) + 1, &d), PT_EMALFORMED,
	     "an integer not in its shortest form: malformed");
	T_EQ(dec_mut(64, 0x04), PT_EMALFORMED, "match 1127 per mille");
	T_EQ(dec_mut(44, 0x38), PT_EMALFORMED, "a negative pps");
	T_EQ(dec_mut(46, 0x01), PT_EMALFORMED, "a metric key twice");
}

static struct pt_secret *
key(uint8_t fill)
{
	uint8_t seed[PT_SEED_LEN];
	struct pt_secret *s = pt_secret_new();

	memset(seed, fill, sizeof(seed));
	if (s == NULL || pt_secret_from_seed(s, seed) != PT_OK)
		abort();
	return s;
}

static void
test_sign_open(void)
{
	const struct pt_crypto_ops *ops = pt_crypto_sodium();
	struct pt_secret *cam = key(0x11), *other = key(0x22);
	struct pt_signer sg;
	struct pt_cam_health h, d;
	uint8_t msg[PT_CAM_HEALTH_MAX], pk[PT_PK_LEN], opk[PT_PK_LEN], bad[PT_CAM_HEALTH_MAX + 1];
	size_t n, i, flips = 0;

	pt_signer_sodium(&sg, cam);
	pt_secret_public(cam, pk);
	pt_secret_public(other, opk);
	sample(&h);
	T_EQ(pt_cam_health_sign(&sg, &h, msg, sizeof(msg), &n), PT_OK, "sign");
	T_EQ(n, 1 + 2 + sizeof(sample_payload) + 2 + PT_SIG_LEN, "%zu bytes", n);
	save("message", msg, n);
	T_EQ(pt_cam_health_open(ops, pk, msg, n, &d), PT_OK, "opens with the camera's key");
	T_OK(memcmp(&h, &d, sizeof(h)) == 0, "the same struct");
	T_EQ(pt_cam_health_open(ops, opk, msg, n, &d), PT_EBADSIG, "another key: bad signature");
	T_EQ(d.seq, 0, "and the output is zeroed");
	T_EQ(pt_cam_health_open(NULL, pk, msg, n, &d), PT_EBADSIG, "no crypto: not shown signed");
	for (i = 0; i < n; i++) {
		memcpy(bad, msg, n);
		bad[i] ^= 0x01;
		if (pt_cam_health_open(ops, pk, bad, n, &d) == PT_OK)
			flips++;
	}
	T_EQ(flips, 0, "no single bit flip anywhere opens");
	T_EQ(pt_cam_health_open(ops, pk, msg, n - 1, &d), PT_EMALFORMED, "truncated: malformed");
	memcpy(bad, msg, n);
	bad[n] = 0;
	T_EQ(pt_cam_health_open(ops, pk, bad, n + 1, &d), PT_EMALFORMED, "trailing byte: malformed");
	T_EQ(pt_cam_health_open(ops, pk, bad, PT_CAM_HEALTH_MAX + 1, &d), PT_ETOOBIG, "too big");

	/* A signature over the payload without the domain is not one. */
	{
		uint8_t sig[PT_SIG_LEN];
		struct pt_cbor_wr w;
		if (pt_sign_detached(cam, sig, sample_payload, sizeof(sample_payload)) != PT_OK)
			abort();
		pt_cbor_wr_init(&w, bad, sizeof(bad));
		pt_cbor_put_array(&w, 2);
		pt_cbor_put_bytes(&w, sample_payload, sizeof(sample_payload));
		pt_cbor_put_bytes(&w, sig, PT_SIG_LEN);
		T_EQ(pt_cbor_wr_status(&w), PT_OK, "built an undomained message");
		T_EQ(pt_cam_health_open(ops, pk, bad, w.len, &d), PT_EBADSIG,
		     "signed without the domain: bad signature");
		save("message_nodomain", bad, w.len);
	}
	pt_secret_free(cam);
	pt_secret_free(other);
}

static size_t
make(struct pt_secret *s, const char *id, uint8_t run, uint64_t seq, uint64_t t, uint32_t status,
     uint8_t *out)
{
	struct pt_signer sg;
	struct pt_cam_health h;
	size_t n;

	sample(&h);
	memset(h.id, 0, sizeof(h.id));
	memcpy(h.id, id, strlen(id));
	memset(h.run, run, PT_CAM_RUN_LEN);
	h.seq = seq;
	h.time_ms = t;
	h.status = status;
	if (status & PT_CAM_NOREF) {
		h.m.has_match = false;
		h.m.match = 0;
	}
	pt_signer_sodium(&sg, s);
	if (pt_cam_health_sign(&sg, &h, out, PT_CAM_HEALTH_MAX, &n) != PT_OK)
		abort();
	return n;
}

static void
test_watch(void)
{
	const struct pt_crypto_ops *ops = pt_crypto_sodium();
	struct pt_secret *cam = key(0x11), *other = key(0x22);
	struct pt_cam_watch w;
	struct pt_cam_health out;
	uint8_t pk[PT_PK_LEN], m1[PT_CAM_HEALTH_MAX], m[PT_CAM_HEALTH_MAX];
	size_t n1, n;
	const uint64_t T = 1000000;

	pt_secret_public(cam, pk);
	T_EQ(pt_cam_watch_init(&w, "bad id!", pk, 3000), PT_EINVAL, "an invalid id");
	T_EQ(pt_cam_watch_init(&w, "cam", pk, 0), PT_EINVAL, "max age 0");
	T_EQ(pt_cam_watch_init(&w, "front-door", pk, 3000), PT_OK, "init");
	T_OK(!pt_cam_watch_is_healthy(&w, T), "nothing heard: unhealthy");

	n1 = make(cam, "front-door", 1, 1, T, PT_CAM_OK, m1);
	T_EQ(pt_cam_watch_receive(&w, ops, m1, n1, T + 5, &out), PT_OK, "a fresh message: taken");
	T_EQ(out.seq, 1, "its seq");
	T_OK(pt_cam_watch_is_healthy(&w, T + 5), "ok and fresh: healthy");
	T_OK(pt_cam_watch_is_healthy(&w, T + 3000), "3 s later: still (max age 3 s)");
	T_OK(!pt_cam_watch_is_healthy(&w, T + 3001), "3.001 s of silence: unhealthy");
	T_EQ(pt_cam_watch_receive(&w, ops, m1, n1, T + 10, &out), PT_EREPLAY, "the same again: replay");
	T_EQ(out.seq, 0, "refused: output zeroed");

	n = make(cam, "front-door", 1, 2, T + 1000, PT_CAM_FROZEN, m);
	T_EQ(pt_cam_watch_receive(&w, ops, m, n, T + 1000, NULL), PT_OK, "the next: taken");
	T_OK(!pt_cam_watch_is_healthy(&w, T + 1000), "frozen: unhealthy");
	n = make(cam, "front-door", 1, 3, T + 2000, PT_CAM_OK | PT_CAM_NOREF, m);
	T_EQ(pt_cam_watch_receive(&w, ops, m, n, T + 2000, NULL), PT_OK, "ok again");
	T_OK(pt_cam_watch_is_healthy(&w, T + 2000), "ok without a reference: healthy");

	/* An attacker replays the first ok while the camera says frozen. */
	n = make(cam, "front-door", 1, 4, T + 3000, PT_CAM_MOVED, m);
	T_EQ(pt_cam_watch_receive(&w, ops, m, n, T + 3000, NULL), PT_OK, "moved: taken");
	T_EQ(pt_cam_watch_receive(&w, ops, m1, n1, T + 3000, NULL), PT_EREPLAY,
	     "an older ok replayed, not yet stale: refused as a replay");
	T_EQ(pt_cam_watch_receive(&w, ops, m1, n1, T + 3001, NULL), PT_ESTALE,
	     "a millisecond later: stale");
	T_OK(!pt_cam_watch_is_healthy(&w, T + 3001), "still unhealthy");

	/* Same time, same run: seq decides; another run at the same time is
	 * not newer. */
	n = make(cam, "front-door", 1, 5, T + 3000, PT_CAM_OK, m);
	T_EQ(pt_cam_watch_receive(&w, ops, m, n, T + 3000, NULL), PT_OK,
	     "same time, higher seq, same run: taken");
	n = make(cam, "front-door", 2, 9, T + 3000, PT_CAM_OK, m);
	T_EQ(pt_cam_watch_receive(&w, ops, m, n, T + 3000, NULL), PT_EREPLAY,
	     "same time, another run: refused");
	/* A restart: new run, seq from 1, later time. */
	n = make(cam, "front-door", 3, 1, T + 4000, PT_CAM_STARTING, m);
	T_EQ(pt_cam_watch_receive(&w, ops, m, n, T + 4000, NULL), PT_OK, "a restarted camera: taken");
	T_OK(!pt_cam_watch_is_healthy(&w, T + 4000), "starting: unhealthy");

	/* Stale and future, both ways of each bound. */
	n = make(cam, "front-door", 3, 2, T + 5000, PT_CAM_OK, m);
	T_EQ(pt_cam_watch_receive(&w, ops, m, n, T + 8001, NULL), PT_ESTALE, "3.001 s old: stale");
	T_EQ(pt_cam_watch_receive(&w, ops, m, n, T + 8000, NULL), PT_OK, "3 s old: taken");
	n = make(cam, "front-door", 3, 3, T + 9000 + PT_CAM_FUTURE_MAX_MS + 1, PT_CAM_OK, m);
	T_EQ(pt_cam_watch_receive(&w, ops, m, n, T + 9000, NULL), PT_ESTALE, "from the future: refused");
	n = make(cam, "front-door", 3, 3, T + 9000 + PT_CAM_FUTURE_MAX_MS, PT_CAM_OK, m);
	T_EQ(pt_cam_watch_receive(&w, ops, m, n, T + 9000, NULL), PT_OK,
	     "a second ahead (two reads of one clock): taken");

	/* Another camera's id under this key; another key. */
	n = make(cam, "back-door", 3, 4, T + 11000, PT_CAM_OK, m);
	T_EQ(pt_cam_watch_receive(&w, ops, m, n, T + 11000, NULL), PT_EUNTRUSTED,
	     "the key's owner speaking for another camera: refused");
	n = make(other, "front-door", 3, 4, T + 11000, PT_CAM_OK, m);
	T_EQ(pt_cam_watch_receive(&w, ops, m, n, T + 11000, NULL), PT_EBADSIG,
	     "another key: bad signature");
	T_EQ(w.last.seq, 3, "refusals left the state alone");
	T_EQ(pt_cam_watch_receive(&w, ops, (const uint8_t *)"x", 1, T + 11000, NULL), PT_EMALFORMED,
	     "garbage: malformed");
	T_OK(!pt_cam_watch_is_healthy(&w, T + 9000 + PT_CAM_FUTURE_MAX_MS + 3001),
	     "silence after the last: unhealthy");
	T_OK(!pt_cam_watch_is_healthy(NULL, T), "no watch: unhealthy");
	pt_secret_free(cam);
	pt_secret_free(other);
}

int
main(void)
{
	corpus = getenv("PORTER_CAM_CORPUS");
	if (pt_crypto_init() != PT_OK)
		return 1;
	test_status();
	test_payload();
	test_strict();
	test_sign_open();
	test_watch();
	test_refused();
	return t_done();
}
