/*
 * libFuzzer target for the clip parsers (lib/core/clip.c and
 * lib/crypto/clipseal.c): what porter-cam reads from the hub's socket and
 * what porterd reads from a camera's upload.
 *
 * The first byte picks the parser, the rest is its input:
 *   0: a mark (pt_clip_mark_decode);
 *   1: a manifest message (pt_clip_manifest_open with the fixed camera key,
 *      seed 32 x 0x11, and with another key; pt_clip_manifest_camera) and
 *      the same bytes as a bare payload (pt_clip_manifest_decode);
 *   2: a sealed segment (pt_seg_open with the fixed clip key 32 x 0x44,
 *      clip id 16 x 0x55, index 1, and with index 2);
 *   3: an evidence bundle (pt_evidence_decode, then pt_evidence_verify,
 *      and with an owner's part pt_evidence_verify_trust anchored at the
 *      owner key of seed 32 x 0x33, as tests/unit/test_evidence.c signs
 *      its seeds);
 *   4: a key record message (pt_clip_keyrec_open with the fixed camera key
 *      and with another key; pt_clip_keyrec_camera), the same bytes as a
 *      bare payload (pt_clip_keyrec_decode), and as a manifest message
 *      (which must never open: another signature domain).
 *
 * Properties checked (a break is __builtin_trap()):
 *   - a refusal is a PT_E* and leaves the output zeroed;
 *   - an accepted mark or payload (manifest or key record) re-encodes to
 *     exactly the input;
 *   - nothing opens under the other key; an opened manifest re-signed with
 *     the fixed key is exactly the input (Ed25519 is deterministic), and
 *     its camera id is what pt_clip_manifest_camera read unverified; the
 *     same for a key record, which never opens as a manifest;
 *   - a segment that opens has a plaintext shorter than its input (at
 *     least one chunk's overhead), and does not open at another index;
 *   - an accepted bundle re-encodes to exactly the input; verification
 *     answers PT_OK exactly when it names no failure, and a PT_OK bundle
 *     has every segment its manifest lists.
 *
 * Seed corpus (fuzz/corpus/clip/), written by the unit test:
 *     PORTER_CLIP_CORPUS=fuzz/corpus/clip build/tests/test_clip
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "porter/clip.h"
#include "porter/clipseal.h"
#include "porter/crypto.h"
#include "porter/evidence.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x) do { if (!(x)) __builtin_trap(); } while (0)

static bool
is_zero(const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i] != 0)
			return false;
	return true;
}

static bool
is_err(int r)
{
	return r < PT_OK && r > -PT_ERR_COUNT_;
}

static struct pt_secret *cam_key;
static uint8_t cam_pk[PT_PK_LEN], other_pk[PT_PK_LEN], owner_pk[PT_PK_LEN];
static struct pt_clip_manifest *m1;
static struct pt_evidence *ev;
static uint8_t *buf;	/* PT_CLIP_MANIFEST_MAX, or a segment's plaintext */
static uint8_t *clip_key;

static void
init(void)
{
	uint8_t seed[PT_SEED_LEN];
	struct pt_secret *o;

	if (cam_key != NULL)
		return;
	if (pt_crypto_init() != PT_OK || (cam_key = pt_secret_new()) == NULL ||
	    (o = pt_secret_new()) == NULL)
		abort();
	memset(seed, 0x11, sizeof(seed));
	if (pt_secret_from_seed(cam_key, seed) != PT_OK)
		abort();
	memset(seed, 0x22, sizeof(seed));
	if (pt_secret_from_seed(o, seed) != PT_OK)
		abort();
	pt_secret_public(cam_key, cam_pk);
	pt_secret_public(o, other_pk);
	memset(seed, 0x33, sizeof(seed));
	if (pt_secret_from_seed(o, seed) != PT_OK)
		abort();
	pt_secret_public(o, owner_pk);
	pt_secret_free(o);
	m1 = malloc(sizeof(*m1));
	ev = malloc(sizeof(*ev));
	buf = malloc(PT_CLIP_SEGMENT_SIZE_MAX);
	clip_key = pt_guarded_alloc(PT_CLIP_KEY_LEN);
	if (m1 == NULL || ev == NULL || buf == NULL || clip_key == NULL)
		abort();
	memset(clip_key, 0x44, PT_CLIP_KEY_LEN);
}

static void
check_mark(const uint8_t *p, size_t n)
{
	struct pt_clip_mark m;
	uint8_t re[PT_CLIP_MARK_MAX];
	size_t rn;
	int r;

	r = pt_clip_mark_decode(p, n, &m);
	CHECK(r == PT_OK || is_err(r));
	if (r != PT_OK) {
		CHECK(is_zero(&m, sizeof(m)));
		return;
	}
	CHECK((m.kind == PT_CLIP_MARK_START || m.kind == PT_CLIP_MARK_END) && m.event_seq >= 1);
	CHECK(pt_clip_mark_encode(&m, re, sizeof(re), &rn) == PT_OK);
	CHECK(rn == n && memcmp(re, p, n) == 0);
}

static void
check_manifest(const uint8_t *p, size_t n)
{
	const struct pt_crypto_ops *ops = pt_crypto_sodium();
	char cam[PT_ID_MAX + 1];
	struct pt_signer sg;
	size_t rn;
	int r, rc;

	r = pt_clip_manifest_decode(p, n, m1);
	CHECK(r == PT_OK || is_err(r));
	if (r == PT_OK) {
		CHECK(m1->n_segments >= 1 && m1->n_keys >= 1 && m1->end_ms >= m1->start_ms);
		CHECK(pt_clip_manifest_encode(m1, buf, PT_CLIP_PAYLOAD_MAX, &rn) == PT_OK);
		CHECK(rn == n && memcmp(buf, p, n) == 0);
	} else {
		CHECK(is_zero(m1, sizeof(*m1)));
	}

	r = pt_clip_manifest_open(ops, other_pk, p, n, m1);
	CHECK(r != PT_OK && is_err(r) && is_zero(m1, sizeof(*m1)));
	rc = pt_clip_manifest_camera(p, n, cam);
	CHECK(rc == PT_OK || (rc == PT_EMALFORMED && is_zero(cam, sizeof(cam))));
	r = pt_clip_manifest_open(ops, cam_pk, p, n, m1);
	CHECK(r == PT_OK || is_err(r));
	if (r != PT_OK) {
		CHECK(is_zero(m1, sizeof(*m1)));
		return;
	}
	CHECK(rc == PT_OK && strcmp(cam, m1->camera) == 0);
	pt_signer_sodium(&sg, cam_key);
	CHECK(pt_clip_manifest_sign(&sg, m1, buf, PT_CLIP_MANIFEST_MAX, &rn) == PT_OK);
	CHECK(rn == n && memcmp(buf, p, n) == 0);
}

static void
check_keyrec(const uint8_t *p, size_t n)
{
	const struct pt_crypto_ops *ops = pt_crypto_sodium();
	struct pt_clip_keyrec k;
	char cam[PT_ID_MAX + 1];
	struct pt_signer sg;
	size_t rn;
	int r, rc;

	r = pt_clip_keyrec_decode(p, n, &k);
	CHECK(r == PT_OK || is_err(r));
	if (r == PT_OK) {
		CHECK(k.n_keys >= 1 && k.n_keys <= PT_CLIP_RECIPIENTS_MAX && k.start_seq >= 1);
		CHECK(pt_clip_keyrec_encode(&k, buf, PT_CLIP_KEYREC_PAYLOAD_MAX, &rn) == PT_OK);
		CHECK(rn == n && memcmp(buf, p, n) == 0);
	} else {
		CHECK(is_zero(&k, sizeof(k)));
	}
	/* Another signature domain: a key record never opens as a manifest. */
	r = pt_clip_manifest_open(ops, cam_pk, p, n, m1);
	CHECK(r == PT_OK || is_err(r));
	if (r == PT_OK)
		CHECK(pt_clip_keyrec_open(ops, cam_pk, p, n, &k) != PT_OK);
	r = pt_clip_keyrec_open(ops, other_pk, p, n, &k);
	CHECK(r != PT_OK && is_err(r) && is_zero(&k, sizeof(k)));
	rc = pt_clip_keyrec_camera(p, n, cam);
	CHECK(rc == PT_OK || (rc == PT_EMALFORMED && is_zero(cam, sizeof(cam))));
	r = pt_clip_keyrec_open(ops, cam_pk, p, n, &k);
	CHECK(r == PT_OK || is_err(r));
	if (r != PT_OK) {
		CHECK(is_zero(&k, sizeof(k)));
		return;
	}
	CHECK(rc == PT_OK && strcmp(cam, k.camera) == 0);
	pt_signer_sodium(&sg, cam_key);
	CHECK(pt_clip_keyrec_sign(&sg, &k, buf, PT_CLIP_KEYREC_MAX, &rn) == PT_OK);
	CHECK(rn == n && memcmp(buf, p, n) == 0);
}

static void
check_segment(const uint8_t *p, size_t n)
{
	uint8_t clip[PT_CLIP_ID_LEN];
	size_t ol, rl;
	int r;

	memset(clip, 0x55, sizeof(clip));
	r = pt_seg_open(clip_key, clip, 1, p, n, buf, &ol);
	CHECK(r == PT_OK || is_err(r));
	if (r != PT_OK) {
		CHECK(ol == 0);
		return;
	}
	CHECK(ol < n);
	CHECK(pt_seg_open(clip_key, clip, 2, p, n, buf, &rl) == PT_EBADSIG && rl == 0);
	/* Chunking may differ from ours (a camera may write short chunks), so
	 * only bound the size: at least our own framing of the same bytes. */
	CHECK(n >= pt_seg_sealed_size(0) && n - PT_SEG_HEADER_LEN - ol >= PT_SEG_CHUNK_OVERHEAD);
}

static void
check_evidence(const uint8_t *p, size_t n)
{
	struct pt_evidence_result res;
	uint8_t *re;
	size_t rn;
	int r;

	r = pt_evidence_decode(p, n, ev);
	CHECK(r == PT_OK || is_err(r));
	if (r != PT_OK) {
		CHECK(is_zero(ev, sizeof(*ev)));
		return;
	}
	if ((re = malloc(n)) == NULL)
		return;
	CHECK(pt_evidence_encode(ev, re, n, &rn) == PT_OK && rn == n && memcmp(re, p, n) == 0);
	free(re);
	r = pt_evidence_verify(pt_crypto_sodium(), ev, NULL, m1, &res);
	CHECK((r == PT_OK) == (res.what == PT_EV_OK));
	if (r == PT_OK)
		CHECK(res.segments == m1->n_segments && res.segments == ev->n_segs &&
		      res.events == ev->n_events);
	if (ev->has_owner) {
		struct pt_evidence_trust t;

		memset(&t, 0, sizeof(t));
		t.owners = (const uint8_t(*)[PT_PK_LEN])owner_pk;
		t.n_owners = 1;
		t.now = 1795600000;
		r = pt_evidence_verify_trust(pt_crypto_sodium(), ev, &t, m1, &res);
		CHECK((r == PT_OK) == (res.what == PT_EV_OK));
		/* A pass is vouched for, the hub too when there is one. */
		if (r == PT_OK)
			CHECK(res.camera_vouched && res.hub_vouched == ev->has_hub &&
			      res.trusted >= 1 && res.trusted <= PT_EVIDENCE_TRUST_MAX);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	init();
	if (size < 1)
		return 0;
	switch (data[0]) {
	case 0: check_mark(data + 1, size - 1); break;
	case 1: check_manifest(data + 1, size - 1); break;
	case 2: check_segment(data + 1, size - 1); break;
	case 3: check_evidence(data + 1, size - 1); break;
	case 4: check_keyrec(data + 1, size - 1); break;
	default: break;
	}
	return 0;
}
