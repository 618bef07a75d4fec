/*
 * libFuzzer target for signed commands and revocations,
 * pt_envelope_verify() (lib/core/envelope.c, cose.c, cbor.c).
 *
 * The same bytes are verified as a command and as a revocation, against a
 * fixed signer set (the owner keys of fuzz/mkcorpus.c: seeds 32 x 0x01 and
 * 32 x 0x02), home "home-1", clock 2026-11-25T09:00:00Z, skew 300 s.
 * Properties (a break is __builtin_trap()):
 *   - a refusal zeroes *e and *signer_index (fail closed);
 *   - an acceptance is of the kind asked for, by a listed signer, for this
 *     home, inside the skew, with fields that obey the envelope's rules;
 *   - no bytes are ever accepted as both kinds (domain separation).
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "porter/crypto.h"
#include "porter/envelope.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Shared with fuzz/mkcorpus.c: keep in step. */
#define NOW 1795597200LL
#define HOME "home-1"
#define SKEW 300u
static const uint8_t signer_seed_fill[2] = {0x01, 0x02};

static const struct pt_crypto_ops *ops;
static uint8_t signers[2][PT_PK_LEN];

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
		pt_secret_free(s);
	}
	return 0;
}

static bool
id_is_valid(const char *s, size_t cap, bool may_be_empty)
{
	size_t n = strnlen(s, cap);
	size_t i;

	if (n == cap || (n == 0 && !may_be_empty) || s[0] == '.')
		return false;
	for (i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

static int
verify(const uint8_t *data, size_t size, enum pt_envelope_kind kind)
{
	struct pt_envelope e;
	size_t idx = 99;
	uint8_t kid[PT_KID_LEN];
	int r;

	memset(&e, 0xa5, sizeof(e));	/* whatever the caller had there */
	r = pt_envelope_verify(ops, data, size, kind, (const uint8_t (*)[PT_PK_LEN])signers, 2,
			       HOME, NOW, SKEW, &e, &idx);
	CHECK(r <= PT_OK && r > -PT_ERR_COUNT_);
	if (r != PT_OK) {
		CHECK(is_zero(&e, sizeof(e)) && idx == 0);
		return r;
	}
	CHECK(size <= PT_ENVELOPE_SIZE_MAX);
	CHECK(e.kind == kind && idx < 2);
	pt_kid(ops, signers[idx], kid);
	CHECK(memcmp(kid, e.kid, PT_KID_LEN) == 0);
	CHECK(strcmp(e.aud, HOME) == 0);
	CHECK(e.iat >= NOW - (int64_t)SKEW && e.iat <= NOW + (int64_t)SKEW);
	if (kind == PT_ENV_COMMAND) {
		CHECK(e.op == PT_CMD_LOCK || e.op == PT_CMD_UNLOCK);
		CHECK(id_is_valid(e.lock, sizeof(e.lock), true));
		CHECK(e.target_len == 0 && is_zero(e.target, sizeof(e.target)));
	} else {
		CHECK((e.op == PT_REVOKE_TOKEN && e.target_len == PT_CTI_LEN) ||
		      (e.op == PT_REVOKE_KEY && e.target_len == PT_PK_LEN));
		CHECK(e.lock[0] == '\0');
	}
	return r;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int cmd, rev;

	cmd = verify(data, size, PT_ENV_COMMAND);
	rev = verify(data, size, PT_ENV_REVOCATION);
	CHECK(cmd != PT_OK || rev != PT_OK);
	return 0;
}
