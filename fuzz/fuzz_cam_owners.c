/*
 * libFuzzer target for the camera owners message (lib/core/cam_owners.c,
 * porter/cam_owners.h): what porter-cam reads from the hub on its marks
 * socket, and from <state_dir>/hub-owners at start.
 *
 * The first byte picks the mode, the rest is its input:
 *   0: a message: pt_cam_owners_open with the fixed hub key (seed
 *      32 x 0x21) and with another (32 x 0x25; the corpus has a message of 32 x 0x24, the
 *      unit test's stranger, that must open under neither);
 *   1: a payload the harness signs with the hub key under the domain and
 *      wraps with the hub's key id, so the decoder behind the signature
 *      sees the fuzzer's bytes.
 *
 * Properties checked (a break is __builtin_trap()):
 *   - a refusal is a PT_E* and leaves the output zeroed;
 *   - an accepted message is an owners message (pt_cam_owners_is_msg), is
 *     not a live order, opens under no other key, has 1..8 distinct
 *     non-zero keys and valid ids, and re-signed with the hub key is
 *     exactly the message (Ed25519 is deterministic: one encoding).
 *
 * Seed corpus (fuzz/corpus/cam_owners/), written by the unit test (the
 * keys are the same there: keep in step):
 *     PORTER_CAM_OWNERS_CORPUS=fuzz/corpus/cam_owners build/tests/test_cam_owners
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "porter/cam_owners.h"
#include "porter/cbor.h"
#include "porter/crypto.h"
#include "porter/live.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x) do { if (!(x)) __builtin_trap(); } while (0)

static const struct pt_crypto_ops *ops;
static struct pt_secret *hub;
static struct pt_signer hub_sg;
static uint8_t hub_pk[PT_PK_LEN], other_pk[PT_PK_LEN];

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

static struct pt_secret *
key(uint8_t fill, uint8_t pk[PT_PK_LEN])
{
	uint8_t seed[PT_SEED_LEN];
	struct pt_secret *s = pt_secret_new();

	memset(seed, fill, sizeof(seed));
	if (s == NULL || pt_secret_from_seed(s, seed) != PT_OK)
		abort();
	pt_secret_public(s, pk);
	return s;
}

static void
init(void)
{
	if (ops != NULL)
		return;
	if (pt_crypto_init() != PT_OK)
		abort();
	ops = pt_crypto_sodium();
	hub = key(0x21, hub_pk);
	pt_signer_sodium(&hub_sg, hub);
	pt_secret_free(key(0x25, other_pk));
}

static void
check_msg(const uint8_t *p, size_t n)
{
	struct pt_cam_owners o, o2;
	struct pt_live_order lo;
	uint8_t re[PT_CAM_OWNERS_MSG_MAX];
	size_t rn = 0, i, j;
	int r;

	r = pt_cam_owners_open(ops, hub_pk, p, n, &o);
	CHECK(r == PT_OK || is_err(r));
	CHECK(r == PT_OK || is_zero(&o, sizeof(o)));
	r = pt_cam_owners_open(ops, other_pk, p, n, &o2);
	CHECK(r != PT_OK && is_zero(&o2, sizeof(o2)));
	if (pt_cam_owners_open(ops, hub_pk, p, n, &o) != PT_OK)
		return;
	CHECK(pt_cam_owners_is_msg(p, n) && !pt_live_is_order(p, n));
	CHECK(pt_live_order_open(ops, hub_pk, p, n, &lo) != PT_OK);
	CHECK(o.n >= 1 && o.n <= PT_CAM_OWNERS_MAX && o.serial >= 1 && o.serial <= INT64_MAX);
	CHECK(pt_id_is_valid(o.hub, strlen(o.hub)) && pt_id_is_valid(o.camera, strlen(o.camera)));
	for (i = 0; i < o.n; i++) {
		CHECK(!is_zero(o.pk[i], PT_PK_LEN));
		for (j = 0; j < i; j++)
			CHECK(memcmp(o.pk[i], o.pk[j], PT_PK_LEN) != 0);
	}
	CHECK(pt_cam_owners_sign(ops, &hub_sg, &o, re, sizeof(re), &rn) == PT_OK);
	CHECK(rn == n && memcmp(re, p, n) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t tbs[sizeof(PT_CAM_OWNERS_DOMAIN) + 1024], msg[1200];
	uint8_t sig[PT_SIG_LEN], kid[PT_KID_LEN];
	const size_t dl = sizeof(PT_CAM_OWNERS_DOMAIN);
	struct pt_cbor_wr w;

	init();
	if (size < 1)
		return 0;
	if (data[0] == 0) {
		check_msg(data + 1, size - 1);
		return 0;
	}
	if (data[0] != 1 || size - 1 > 1024)
		return 0;
	memcpy(tbs, PT_CAM_OWNERS_DOMAIN, dl);
	memcpy(tbs + dl, data + 1, size - 1);
	CHECK(pt_sign_detached(hub, sig, tbs, dl + size - 1) == PT_OK);
	pt_kid(ops, hub_pk, kid);
	pt_cbor_wr_init(&w, msg, sizeof(msg));
	pt_cbor_put_array(&w, 3);
	pt_cbor_put_bytes(&w, data + 1, size - 1);
	pt_cbor_put_bytes(&w, sig, PT_SIG_LEN);
	pt_cbor_put_bytes(&w, kid, PT_KID_LEN);
	if (pt_cbor_wr_status(&w) == PT_OK)
		check_msg(msg, w.len);
	return 0;
}
