/*
 * libFuzzer target for the owner-signed camera statement:
 * pt_camera_stmt_verify() and pt_camera_stmt_kid()
 * (lib/core/camera_stmt.c, cose.c, cbor.c).
 *
 * Verified against a fixed signer set (seeds 32 x 0x01 and 32 x 0x02, as
 * fuzz/mkcorpus_camera.py signs the seeds with).
 * Properties (a break is __builtin_trap()):
 *   - a refusal zeroes *st and *signer_index (fail closed);
 *   - an acceptance is by a listed signer (its key id), with fields that
 *     obey the rules: porter ids, a printable name of at most 100 bytes,
 *     0 <= iat <= PT_TIME_MAX;
 *   - pt_camera_stmt_kid agrees with the accepted statement's key id;
 *   - an accepted statement signed again with the same key is the same
 *     bytes (one encoding: Ed25519 is deterministic);
 *   - it matches itself (pt_camera_stmt_matches) and not another key.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "porter/camera_stmt.h"
#include "porter/cbor.h"
#include "porter/crypto.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t signer_seed_fill[2] = {0x01, 0x02};

static const struct pt_crypto_ops *ops;
static uint8_t signers[2][PT_PK_LEN];
static struct pt_secret *secrets[2];
static struct pt_signer signer_ops[2];

#define CHECK(x) do { if (!(x)) __builtin_trap(); } while (0)

static bool
is_zero(const void *p, size_t n)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i < n; i++)
		if (b[i] != 0)
			return false;
	return true;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	uint8_t seed[PT_SEED_LEN];
	struct pt_secret *s;
	size_t i;

	(void)argc;
	(void)argv;
	CHECK(pt_crypto_init() == PT_OK);
	ops = pt_crypto_sodium();
	for (i = 0; i < 2; i++) {
		memset(seed, signer_seed_fill[i], sizeof(seed));
		CHECK((s = pt_secret_new()) != NULL);
		CHECK(pt_secret_from_seed(s, seed) == PT_OK);
		pt_secret_public(s, signers[i]);
		secrets[i] = s;
		pt_signer_sodium(&signer_ops[i], s);
	}
	return 0;
}

static bool
id_ok(const char *s, size_t cap)
{
	size_t n = strnlen(s, cap);

	return n > 0 && n < cap && pt_id_is_valid(s, n);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pt_camera_stmt st, again;
	uint8_t kid[PT_KID_LEN], want[PT_KID_LEN], out[PT_CAMERA_STMT_MAX], other[PT_PK_LEN];
	size_t idx = 99, n = 0, name_len;
	int r, rk;

	rk = pt_camera_stmt_kid(data, size, kid);
	CHECK(rk == PT_OK || (rk == PT_EMALFORMED && is_zero(kid, sizeof(kid))));
	memset(&st, 0xa5, sizeof(st));
	r = pt_camera_stmt_verify(ops, data, size, (const uint8_t(*)[PT_PK_LEN])signers, 2, &st,
				  &idx);
	if (r != PT_OK) {
		CHECK(is_zero(&st, sizeof(st)) && idx == 0);
		CHECK(r == PT_ETOOBIG || r == PT_EMALFORMED || r == PT_EUNSUPPORTED ||
		      r == PT_EUNTRUSTEDCMD || r == PT_EBADSIG);
		return 0;
	}
	CHECK(size <= PT_CAMERA_STMT_MAX && idx < 2);
	pt_kid(ops, signers[idx], want);
	CHECK(memcmp(st.kid, want, PT_KID_LEN) == 0);
	CHECK(rk == PT_OK && memcmp(kid, want, PT_KID_LEN) == 0);
	CHECK(id_ok(st.home, sizeof(st.home)) && id_ok(st.camera, sizeof(st.camera)));
	name_len = strnlen(st.name, sizeof(st.name));
	CHECK(name_len < sizeof(st.name));
	CHECK(name_len == 0 || pt_text_is_printable((const uint8_t *)st.name, name_len));
	CHECK(st.iat >= 0 && st.iat <= PT_TIME_MAX);
	CHECK(pt_camera_stmt_matches(&st, st.home, st.camera, st.camera_pk, st.name));
	memcpy(other, st.camera_pk, PT_PK_LEN);
	other[0] ^= 0x80;
	CHECK(!pt_camera_stmt_matches(&st, st.home, st.camera, other, NULL));
	again = st;
	CHECK(pt_camera_stmt_sign(ops, &signer_ops[idx], &again, out, sizeof(out), &n) == PT_OK);
	CHECK(n == size && memcmp(out, data, size) == 0);
	return 0;
}
