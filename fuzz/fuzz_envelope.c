/*
 * libFuzzer target for signed statements: commands, revocations, hub
 * pairings, courier attestations, owner statements, live requests and
 * owners' approvals, pt_envelope_verify() (lib/core/envelope.c, cose.c,
 * cbor.c).
 *
 * The same bytes are verified as each of the eight kinds (and as kinds
 * that do not exist: 0, 8, 255), against a fixed signer set (the owner keys of
 * fuzz/mkcorpus.c: seeds 32 x 0x01 and 32 x 0x02), audience "home-1"
 * (a home id, or for attestations a carrier id), clock
 * 2026-11-25T09:00:00Z, skew 300 s.
 * Properties (a break is __builtin_trap()):
 *   - a refusal zeroes *e and *signer_index (fail closed);
 *   - an acceptance is of the kind asked for, by a listed signer, for this
 *     audience, inside the skew, with fields that obey that kind's rules
 *     and nothing set that the kind does not carry;
 *   - no bytes are ever accepted as two kinds (domain separation);
 *   - an accepted statement signed again with the same key is the same
 *     bytes up to the signature (one encoding).
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "porter/crypto.h"
#include "porter/envelope.h"
#include "porter/live.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Shared with fuzz/mkcorpus.c: keep in step. */
#define NOW 1795597200LL
#define HOME "home-1"
#define SKEW 300u
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
		secrets[i] = s;	/* kept for the re-signing check */
		pt_signer_sodium(&signer_ops[i], s);
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

/* Printable text (pt_text_is_printable's rules, written out again): valid
 * UTF-8 (RFC 3629), no C0, DEL or C1 controls. */
static bool
printable(const char *s, size_t n)
{
	const uint8_t *p = (const uint8_t *)s;
	size_t i = 0, k, len;
	uint32_t c;

	while (i < n) {
		c = p[i];
		if (c < 0x80) {
			if (c < 0x20 || c == 0x7f)
				return false;
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			len = 2;
			c &= 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			len = 3;
			c &= 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			len = 4;
			c &= 0x07;
		} else {
			return false;
		}
		if (i + len > n)
			return false;
		for (k = 1; k < len; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return false;
			c = (c << 6) | (p[i + k] & 0x3fu);
		}
		if ((len == 3 && c < 0x800) || (len == 4 && (c < 0x10000 || c > 0x10ffff)) ||
		    (c >= 0xd800 && c <= 0xdfff) || (c >= 0x80 && c <= 0x9f))
			return false;
		i += len;
	}
	return true;
}

static bool
digits(const char *s, size_t cap)
{
	size_t n = strnlen(s, cap), i;

	if (n == 0 || n > 20 || (s[0] == '0' && n > 1))
		return false;
	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

static int
verify(const uint8_t *data, size_t size, enum pt_envelope_kind kind)
{
	struct pt_envelope e, again;
	uint8_t out[PT_ENVELOPE_SIZE_MAX];
	size_t idx = 99, n;
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
	CHECK(kind == PT_ENV_LIVE || e.exp == 0);
	switch (kind) {
	case PT_ENV_COMMAND:
		CHECK(e.op == PT_CMD_LOCK || e.op == PT_CMD_UNLOCK);
		CHECK(id_is_valid(e.lock, sizeof(e.lock), true));
		CHECK(e.target_len == 0 && is_zero(e.target, sizeof(e.target)));
		CHECK(is_zero(e.name, sizeof(e.name)));
		break;
	case PT_ENV_REVOCATION:
		CHECK((e.op == PT_REVOKE_TOKEN && e.target_len == PT_CTI_LEN) ||
		      (e.op == PT_REVOKE_KEY && e.target_len == PT_PK_LEN));
		CHECK(is_zero(e.lock, sizeof(e.lock)) && is_zero(e.name, sizeof(e.name)));
		break;
	case PT_ENV_PAIRING:
		CHECK(e.op == 0 && e.target_len == PT_PK_LEN);
		CHECK(is_zero(e.lock, sizeof(e.lock)) && is_zero(e.name, sizeof(e.name)));
		break;
	case PT_ENV_OWNER:
		CHECK(e.op == PT_OWNER_ADD && e.target_len == PT_PK_LEN);
		CHECK(is_zero(e.lock, sizeof(e.lock)) && is_zero(e.name, sizeof(e.name)));
		break;
	case PT_ENV_HUB_HOME:
		CHECK(e.op == PT_HUB_HOME_PAIRED && e.target_len == PT_PK_LEN);
		CHECK(is_zero(e.lock, sizeof(e.lock)) && is_zero(e.name, sizeof(e.name)));
		break;
	case PT_ENV_APPROVAL:
		/* approve or deny, for a 16-byte session id, and nothing else */
		CHECK(e.op == PT_APPROVE || e.op == PT_DENY);
		CHECK(e.target_len == PT_CTI_LEN &&
		      is_zero(e.target + PT_CTI_LEN, sizeof(e.target) - PT_CTI_LEN));
		CHECK(e.exp == 0);
		CHECK(is_zero(e.lock, sizeof(e.lock)) && is_zero(e.name, sizeof(e.name)));
		break;
	case PT_ENV_LIVE:
		CHECK(e.op == PT_LIVE_VIEW && e.target_len == PT_LIVE_XPK_LEN);
		CHECK(id_is_valid(e.lock, sizeof(e.lock), false));
		CHECK(is_zero(e.name, sizeof(e.name)));
		CHECK(e.exp > e.iat && e.exp <= e.iat + PT_LIVE_SECONDS_MAX && e.exp > NOW);
		break;
	case PT_ENV_ATTESTATION:
		CHECK(e.op >= 1 && e.op <= 3);
		CHECK(digits(e.lock, sizeof(e.lock)));
		CHECK(strnlen(e.name, sizeof(e.name)) >= 1 && strnlen(e.name, sizeof(e.name)) <= 100);
		CHECK(printable(e.name, strlen(e.name)));
		CHECK(e.target_len == 0 && is_zero(e.target, sizeof(e.target)));
		break;
	default:
		CHECK(0);
	}
	/* One encoding: signing what was accepted gives back the input, up
	 * to the signature (another valid one could come from a signer that
	 * randomises its nonces). */
	again = e;
	CHECK(pt_envelope_sign(ops, &signer_ops[idx], &again, out, sizeof(out), &n) == PT_OK);
	CHECK(n == size && memcmp(out, data, size - PT_SIG_LEN) == 0);
	return r;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum pt_envelope_kind kinds[8] = {PT_ENV_COMMAND,	PT_ENV_REVOCATION,
						       PT_ENV_PAIRING,	PT_ENV_ATTESTATION,
						       PT_ENV_OWNER,	PT_ENV_LIVE,
						       PT_ENV_APPROVAL, PT_ENV_HUB_HOME};
	static const unsigned none[3] = {0, 9, 255};	/* kinds that do not exist */
	struct pt_envelope e;
	size_t i, accepted = 0, idx;

	for (i = 0; i < 8; i++)
		accepted += verify(data, size, kinds[i]) == PT_OK;
	CHECK(accepted <= 1);
	/* A kind that does not exist accepts nothing, and reads nothing. */
	for (i = 0; i < 3; i++) {
		memset(&e, 0xa5, sizeof(e));
		idx = 99;
		CHECK(pt_envelope_verify(ops, data, size, (enum pt_envelope_kind)none[i],
					 (const uint8_t (*)[PT_PK_LEN])signers, 2, HOME, NOW, SKEW,
					 &e, &idx) == PT_EINVAL);
		CHECK(is_zero(&e, sizeof(e)) && idx == 0);
	}
	return 0;
}
