/*
 * libFuzzer target for the owners message (porterd -> hub, docs/mqtt.md):
 * pt_mqtt_owners_decode (lib/proto/mqtt.c), then each statement through
 * pt_envelope_verify as PT_ENV_OWNER, the way porter-hub reads them
 * (daemons/hub/hub.c: fixed signers, the owner keys of fuzz/mkcorpus.c,
 * seeds 32 x 0x01 and 32 x 0x02; audience "home-1"; no freshness limit).
 * Properties (a break is __builtin_trap()):
 *   - a refusal zeroes the output; over PT_MQTT_OWNERS_PAYLOAD_MAX is
 *     PT_ETOOBIG;
 *   - an accepted payload has 0..PT_MQTT_OWNERS_MAX statements of
 *     1..PT_ENVELOPE_SIZE_MAX bytes, each borrowed from inside the input,
 *     in order and without overlap, and re-encodes to exactly the input;
 *   - a statement that verifies is an owner statement (op 1, 32-byte
 *     target) of this home by a listed signer, and verifies as no other
 *     kind.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "porter/crypto.h"
#include "porter/envelope.h"
#include "porter/mqtt.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Shared with fuzz/mkcorpus.c: keep in step. */
#define NOW 1795597200LL
#define HOME "home-1"
static const uint8_t signer_seed_fill[2] = {0x01, 0x02};

static const struct pt_crypto_ops *ops;
static uint8_t signers[2][PT_PK_LEN];
static uint8_t out[PT_MQTT_OWNERS_PAYLOAD_MAX];

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

static void
statement(const uint8_t *p, size_t len)
{
	static const enum pt_envelope_kind others[6] = {PT_ENV_COMMAND, PT_ENV_REVOCATION,
							PT_ENV_PAIRING, PT_ENV_ATTESTATION,
							PT_ENV_LIVE, PT_ENV_APPROVAL};
	struct pt_envelope e;
	size_t idx = 99, i;
	int r;

	memset(&e, 0xa5, sizeof(e));
	r = pt_envelope_verify(ops, p, len, PT_ENV_OWNER, (const uint8_t (*)[PT_PK_LEN])signers, 2,
			       HOME, NOW, UINT32_MAX, &e, &idx);
	if (r != PT_OK) {
		CHECK(is_zero(&e, sizeof(e)) && idx == 0);
		return;
	}
	CHECK(e.kind == PT_ENV_OWNER && e.op == PT_OWNER_ADD && e.target_len == PT_PK_LEN);
	CHECK(idx < 2 && strcmp(e.aud, HOME) == 0);
	CHECK(is_zero(e.lock, sizeof(e.lock)) && is_zero(e.name, sizeof(e.name)));
	for (i = 0; i < 6; i++)
		CHECK(pt_envelope_verify(ops, p, len, others[i],
					 (const uint8_t (*)[PT_PK_LEN])signers, 2, HOME, NOW,
					 UINT32_MAX, &e, &idx) != PT_OK);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct pt_mqtt_owners m;
	const uint8_t *prev_end = data;
	size_t i, n;
	int r;

	memset(&m, 0xa5, sizeof(m));
	r = pt_mqtt_owners_decode(data, size, &m);
	CHECK(r <= PT_OK && r > -PT_ERR_COUNT_);
	if (size > PT_MQTT_OWNERS_PAYLOAD_MAX)
		CHECK(r == PT_ETOOBIG);
	if (r != PT_OK) {
		CHECK(is_zero(&m, sizeof(m)));
		return 0;
	}
	CHECK(m.n <= PT_MQTT_OWNERS_MAX);
	for (i = 0; i < m.n; i++) {
		const uint8_t *s = m.s[i].statement;
		size_t len = m.s[i].statement_len;

		CHECK(len >= 1 && len <= PT_ENVELOPE_SIZE_MAX);
		CHECK(s >= prev_end && s + len <= data + size);
		prev_end = s + len;
		statement(s, len);
	}
	for (; i < PT_MQTT_OWNERS_MAX; i++)
		CHECK(m.s[i].statement == NULL && m.s[i].statement_len == 0);
	CHECK(pt_mqtt_owners_encode(&m, out, sizeof(out), &n) == PT_OK);
	CHECK(n == size && memcmp(out, data, size) == 0);
	return 0;
}
