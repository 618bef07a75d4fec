/*
 * bench/cam_seal: clip sealing throughput against bare libsodium
 * secretstream on the same data, in the same run (bench/cam.sh prints it;
 * docs/performance.md keeps the figures).
 *
 *   cam_seal [SEGMENT_KIB [SEGMENTS [ROUNDS]]]   default 1024 32 7
 *
 * The data: SEGMENTS random segments of SEGMENT_KIB KiB each (1 MiB is a
 * 2 s segment of a 4 Mb/s stream). Each round seals all of them three
 * ways, interleaved so that drift of the shared machine hits all alike:
 *   bare   crypto_secretstream_xchacha20poly1305 per segment, 64 KiB
 *          messages, the last one TAG_FINAL, no additional data
 *   seal   pt_seg_seal (porter/clipseal.h): the same plus framing and the
 *          clip id + index as additional data
 *   full   what porter-cam's monitor does per segment: pt_seg_seal, the
 *          SHA-256 of the sealed bytes and the Ed25519 segment signature
 * and prints the median MB/s (of this thread's CPU time) of each and
 * seal/bare, full/bare.
 * bench/ may include <sodium.h> for its baseline (bench/meson.build).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "porter/clip.h"
#include "porter/clipseal.h"
#include "porter/crypto.h"

/* CPU time of this thread: the machine is shared, and other processes'
 * load must not count against either side. */
static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static size_t
bare(const uint8_t *key, const uint8_t *in, size_t len, uint8_t *out)
{
	crypto_secretstream_xchacha20poly1305_state st;
	size_t off = 0, o = crypto_secretstream_xchacha20poly1305_HEADERBYTES;
	unsigned long long cl;

	crypto_secretstream_xchacha20poly1305_init_push(&st, out, key);
	do {
		size_t n = len - off > PT_SEG_CHUNK ? PT_SEG_CHUNK : len - off;
		unsigned char tag = off + n == len ? crypto_secretstream_xchacha20poly1305_TAG_FINAL : 0;
		crypto_secretstream_xchacha20poly1305_push(&st, out + o, &cl, in + off, n, NULL, 0, tag);
		o += (size_t)cl;
		off += n;
	} while (off < len);
	sodium_memzero(&st, sizeof(st));
	return o;
}

int
main(int argc, char **argv)
{
	size_t seg = (size_t)(argc > 1 ? atoi(argv[1]) : 1024) * 1024u;
	size_t nseg = (size_t)(argc > 2 ? atoi(argv[2]) : 32);
	int rounds = argc > 3 ? atoi(argv[3]) : 7;
	uint8_t clip[PT_CLIP_ID_LEN], hash[PT_HASH_LEN], sig[PT_SIG_LEN], *key, *in, *out;
	double *tb, *ts, *tf, total;
	struct pt_secret *cam;
	struct pt_signer sg;
	size_t i, olen, cap;
	int r;

	if (seg == 0 || nseg == 0 || rounds < 1 || pt_crypto_init() != PT_OK)
		return 1;
	cap = pt_seg_sealed_size(seg);
	in = malloc(seg * nseg);
	out = malloc(cap);
	tb = calloc((size_t)rounds, sizeof(double));
	ts = calloc((size_t)rounds, sizeof(double));
	tf = calloc((size_t)rounds, sizeof(double));
	key = pt_clip_key_new();
	cam = pt_secret_new();
	if (in == NULL || out == NULL || tb == NULL || ts == NULL || tf == NULL || key == NULL ||
	    cam == NULL || pt_secret_generate(cam) != PT_OK)
		return 1;
	pt_signer_sodium(&sg, cam);
	randombytes_buf(in, seg * nseg);
	randombytes_buf(clip, sizeof(clip));
	for (r = 0; r < rounds; r++) {
		double t0 = now_s();
		for (i = 0; i < nseg; i++)
			(void)bare(key, in + i * seg, seg, out);
		tb[r] = now_s() - t0;
		t0 = now_s();
		for (i = 0; i < nseg; i++)
			if (pt_seg_seal(key, clip, (uint32_t)i, in + i * seg, seg, out, &olen) != PT_OK)
				return 1;
		ts[r] = now_s() - t0;
		t0 = now_s();
		for (i = 0; i < nseg; i++) {
			if (pt_seg_seal(key, clip, (uint32_t)i, in + i * seg, seg, out, &olen) != PT_OK)
				return 1;
			pt_crypto_sodium()->sha256(hash, out, olen);
			if (pt_clip_segment_sign(&sg, clip, (uint32_t)i, hash, sig) != PT_OK)
				return 1;
		}
		tf[r] = now_s() - t0;
	}
	qsort(tb, (size_t)rounds, sizeof(double), cmp_d);
	qsort(ts, (size_t)rounds, sizeof(double), cmp_d);
	qsort(tf, (size_t)rounds, sizeof(double), cmp_d);
	total = (double)(seg * nseg) / 1e6;
	printf("sealing %zu segments of %zu KiB, median of %d interleaved rounds\n", nseg,
	       seg / 1024, rounds);
	printf("| path | MB/s | ratio to bare |\n|---|---|---|\n");
	printf("| bare crypto_secretstream, 64 KiB messages | %.0f | 1.00 |\n", total / tb[rounds / 2]);
	printf("| pt_seg_seal | %.0f | %.3f |\n", total / ts[rounds / 2], tb[rounds / 2] / ts[rounds / 2]);
	printf("| pt_seg_seal + SHA-256 + segment signature (the monitor's work) | %.0f | %.3f |\n",
	       total / tf[rounds / 2], tb[rounds / 2] / tf[rounds / 2]);
	pt_clip_key_free(key);
	pt_secret_free(cam);
	free(in);
	free(out);
	free(tb);
	free(ts);
	free(tf);
	return 0;
}
