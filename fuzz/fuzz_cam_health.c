/*
 * libFuzzer target for the camera health message (lib/core/cam_health.c):
 * the payload decoder (porter-cam's monitor runs it on every report of
 * its input worker), the signature-first opener and the hub's check.
 *
 * Every input is used three ways:
 *   1. as a payload: pt_cam_payload_decode;
 *   2. as a message: pt_cam_health_open with the fixed camera key (seed
 *      32 x 0x11, as tests/unit/test_cam_msg.c), and as another key's;
 *   3. as a message to a struct pt_cam_watch ("front-door", max age 3 s),
 *      twice in a row, at a clock near the message's own time when it
 *      opens (from its last byte: -2 s .. +2 s), else from its first 8
 *      bytes.
 *
 * Properties checked (a break is __builtin_trap()):
 *   - a refusal is a PT_E* and leaves the output zeroed;
 *   - an accepted payload has a valid status (OK exactly without a
 *     problem bit, NOREF exactly without a match metric), every metric
 *     in range, a valid id, refused clips (key 7) either absent and all
 *     zero or a count of at least 1 with a status of 0 or 400..499 and
 *     a time under 2^32, and re-encodes to exactly the input;
 *   - nothing opens under the other key; an opened message re-signed with
 *     the fixed key is exactly the input (Ed25519 is deterministic);
 *   - the watch takes a message at most once, takes only what opens,
 *     and refusals leave its state alone; healthy implies an OK status.
 *
 * Seed corpus (fuzz/corpus/cam_health/), written by the unit test:
 *     PORTER_CAM_CORPUS=fuzz/corpus/cam_health build/tests/test_cam_msg
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "porter/cam_health.h"
#include "porter/crypto.h"

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
static uint8_t cam_pk[PT_PK_LEN], other_pk[PT_PK_LEN];

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
	pt_secret_free(o);
}

static void
check_payload(const uint8_t *p, size_t n)
{
	struct pt_cam_health h;
	uint8_t re[PT_CAM_PAYLOAD_MAX];
	size_t rn;
	int r;

	r = pt_cam_payload_decode(p, n, &h);
	CHECK(r == PT_OK || is_err(r));
	if (r != PT_OK) {
		CHECK(is_zero(&h, sizeof(h)));
		return;
	}
	CHECK(pt_cam_status_is_valid(h.status));
	CHECK(((h.status & PT_CAM_NOREF) != 0) == !h.m.has_match);
	CHECK(h.seq >= 1 && h.m.luma <= PT_CAM_LUMA_MAX && h.m.match <= PT_CAM_MATCH_MAX &&
	      h.m.pps <= PT_CAM_PPS_MAX && h.m.fps <= PT_CAM_FPS_MAX &&
	      h.m.packet_age_ms <= PT_CAM_AGE_MAX && h.m.contrast <= PT_CAM_CONTRAST_MAX &&
	      h.m.change <= PT_CAM_CHANGE_MAX);
	CHECK(pt_id_is_valid(h.id, strlen(h.id)));
	if (h.refused.count == 0)
		CHECK(is_zero(&h.refused, sizeof(h.refused)));
	else
		CHECK((h.refused.status == 0 || (h.refused.status >= PT_CAM_REFUSED_STATUS_MIN &&
						 h.refused.status <= PT_CAM_REFUSED_STATUS_MAX)) &&
		      h.refused.at <= UINT32_MAX);
	CHECK(pt_cam_payload_encode(&h, re, sizeof(re), &rn) == PT_OK);
	CHECK(rn == n && memcmp(re, p, n) == 0);
}

static void
check_open(const uint8_t *p, size_t n)
{
	const struct pt_crypto_ops *ops = pt_crypto_sodium();
	struct pt_cam_health h;
	struct pt_signer sg;
	uint8_t re[PT_CAM_HEALTH_MAX];
	size_t rn;
	int r;

	r = pt_cam_health_open(ops, other_pk, p, n, &h);
	CHECK(r != PT_OK && is_err(r) && is_zero(&h, sizeof(h)));
	r = pt_cam_health_open(ops, cam_pk, p, n, &h);
	CHECK(r == PT_OK || is_err(r));
	if (r != PT_OK) {
		CHECK(is_zero(&h, sizeof(h)));
		return;
	}
	pt_signer_sodium(&sg, cam_key);
	CHECK(pt_cam_health_sign(&sg, &h, re, sizeof(re), &rn) == PT_OK);
	CHECK(rn == n && memcmp(re, p, n) == 0);
}

static void
check_watch(const uint8_t *p, size_t n)
{
	const struct pt_crypto_ops *ops = pt_crypto_sodium();
	struct pt_cam_watch w, before;
	struct pt_cam_health out, opened;
	uint64_t now = 0;
	size_t i;
	int r, ro;

	ro = pt_cam_health_open(ops, cam_pk, p, n, &opened);
	if (ro == PT_OK && n > 0) {
		/* Around the message's own time: fresh, stale or from the future. */
		now = opened.time_ms + (uint64_t)(p[n - 1] % 9) * 500u;
		if (now >= 2000)
			now -= 2000;
	} else {
		for (i = 0; i < 8 && i < n; i++)
			now = now << 8 | p[i];
		now &= INT64_MAX;
	}
	CHECK(pt_cam_watch_init(&w, "front-door", cam_pk, 3000) == PT_OK);
	before = w;
	r = pt_cam_watch_receive(&w, ops, p, n, now, &out);
	CHECK(r == PT_OK || is_err(r));
	if (r != PT_OK) {
		CHECK(is_zero(&out, sizeof(out)) && memcmp(&w, &before, sizeof(w)) == 0);
		CHECK(!pt_cam_watch_is_healthy(&w, now));
		return;
	}
	CHECK(ro == PT_OK && memcmp(&out, &opened, sizeof(out)) == 0);
	CHECK(strcmp(out.id, "front-door") == 0);
	CHECK(out.time_ms <= now + PT_CAM_FUTURE_MAX_MS && out.time_ms + 3000 >= now);
	if (pt_cam_watch_is_healthy(&w, now))
		CHECK((out.status & PT_CAM_OK) != 0);
	before = w;
	CHECK(pt_cam_watch_receive(&w, ops, p, n, now, &out) == PT_EREPLAY);
	CHECK(memcmp(&w, &before, sizeof(w)) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	init();
	check_payload(data, size);
	check_open(data, size);
	check_watch(data, size);
	return 0;
}
