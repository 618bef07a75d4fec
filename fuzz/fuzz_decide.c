/*
 * libFuzzer target for the decision at the door, pt_decide() (lib/core/
 * decide.c and everything below it).
 *
 * Input layout (fuzz/mkcorpus.c writes the same):
 *   byte 0   bit 0 time trusted, 1 camera healthy, 2 alarm can bypass,
 *            3 door closed, 4 bolt locked, 5 lock "back" (else "front"),
 *            6 revocations stale, 7 entries of token 16 x 0x22 used up
 *   byte 1   now offset from 2026-11-25T09:00:00Z, signed, in hours
 *   byte 2   bit 0 challenge already used, 1 proof too late, 2 locked out,
 *            3 no zone rules (tz NULL), 4 home id "home-2", 5 home zone
 *            named "UTC"; bits 6-7 unused
 *   then     the 64-byte proof, then the encoded chain
 *
 * Keys, nonce and hub id are fixed (the roots are the seeds 32 x 0x01 and
 * 32 x 0x02 of fuzz/mkcorpus.c), so the corpus's valid proofs verify and
 * mutations of the knob bytes reach every check after the signatures.
 * Mutations of the chain or proof mostly explore decoding: expected.
 *
 * Properties checked on every input (a break is __builtin_trap()):
 *   - the return value is out->reason; a refusal charges nothing and
 *     carries no condition, door limit or purpose;
 *   - a non-zeroed *decoded verifies against the roots on its own (no
 *     unverified field escapes);
 *   - a grant is backed by a proof that verifies over the fixed nonce,
 *     by a context that allows it, and pt_evaluate() agrees with it.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "porter/cred.h"
#include "porter/crypto.h"
#include "porter/decide.h"
#include "porter/tz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Shared with fuzz/mkcorpus.c: keep in step. */
#define NOW 1795597200LL
#define HOME "home-1"
#define HUB "hub-1"
#define NONCE_FILL 0x4e
#define TZNAME "Europe/Berlin"
#define BERLIN "CET-1CEST,M3.5.0,M10.5.0/3"
#define KNOBS 3
#define K0_TIME 0x01u
#define K0_CAMERA 0x02u
#define K0_ALARM 0x04u
#define K0_DOOR 0x08u
#define K0_BOLT 0x10u
#define K0_BACK 0x20u
#define K0_REVSTALE 0x40u
#define K0_USEDUP 0x80u
#define K2_CHUSED 0x01u
#define K2_LATE 0x02u
#define K2_LOCKEDOUT 0x04u
#define K2_NOTZ 0x08u
#define K2_HOME2 0x10u
#define K2_UTCNAME 0x20u

static const uint8_t root_seed_fill[2] = {0x01, 0x02};
#define STRANGER_SEED_FILL 0x07	/* its key is the revoked one */

static const struct pt_crypto_ops *ops;
static uint8_t roots[2][PT_PK_LEN];
static uint8_t revoked_keys[1][PT_PK_LEN];
static uint8_t revoked_ctis[1][PT_CTI_LEN];
static struct pt_usage usage[1];
static struct pt_tz tz;			/* ~6 KiB: off the stack */
static struct pt_chain decoded, evaluated, reverified;

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

static void
public_of(uint8_t fill, uint8_t pk[PT_PK_LEN])
{
	uint8_t seed[PT_SEED_LEN];
	struct pt_secret *s;

	memset(seed, fill, sizeof(seed));
	CHECK((s = pt_secret_new()) != NULL);
	CHECK(pt_secret_from_seed(s, seed) == PT_OK);
	pt_secret_public(s, pk);
	pt_secret_free(s);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	CHECK(pt_crypto_init() == PT_OK);
	ops = pt_crypto_sodium();
	public_of(root_seed_fill[0], roots[0]);
	public_of(root_seed_fill[1], roots[1]);
	public_of(STRANGER_SEED_FILL, revoked_keys[0]);
	memset(revoked_ctis[0], 0xee, PT_CTI_LEN);
	memset(usage[0].cti, 0x22, PT_CTI_LEN);
	usage[0].used = 1;
	CHECK(pt_tz_parse_posix(&tz, BERLIN, sizeof(BERLIN) - 1) == PT_OK);
	return 0;
}

static void
context(const uint8_t k[KNOBS], struct pt_context *ctx, struct pt_challenge *ch)
{
	memset(ctx, 0, sizeof(*ctx));
	memset(ch, 0, sizeof(*ch));
	ctx->now = NOW + (int64_t)(int8_t)k[1] * 3600;
	ctx->time_trusted = (k[0] & K0_TIME) != 0;
	ctx->mono_ms = 1000000;
	ctx->proof_max_ms = 30000;
	ctx->locked_out_until_ms = (k[2] & K2_LOCKEDOUT) ? ctx->mono_ms + 60000 : 0;
	ctx->hub_id = HUB;
	ctx->home_id = (k[2] & K2_HOME2) ? "home-2" : HOME;
	ctx->lock_id = (k[0] & K0_BACK) ? "back" : "front";
	ctx->tz_name = (k[2] & K2_UTCNAME) ? "UTC" : TZNAME;
	ctx->tz = (k[2] & K2_NOTZ) ? NULL : &tz;
	ctx->roots = (const uint8_t (*)[PT_PK_LEN])roots;
	ctx->n_roots = 2;
	ctx->usage = (k[0] & K0_USEDUP) ? usage : NULL;
	ctx->n_usage = (k[0] & K0_USEDUP) ? 1 : 0;
	ctx->revoked_ctis = (const uint8_t (*)[PT_CTI_LEN])revoked_ctis;
	ctx->n_revoked_ctis = 1;
	ctx->revoked_keys = (const uint8_t (*)[PT_PK_LEN])revoked_keys;
	ctx->n_revoked_keys = 1;
	ctx->revocations_at = ctx->now - ((k[0] & K0_REVSTALE) ? 3 * 86400 : 600);
	ctx->revocations_max_age = 86400;
	ctx->camera_healthy = (k[0] & K0_CAMERA) != 0;
	ctx->alarm_can_bypass = (k[0] & K0_ALARM) != 0;
	ctx->door_closed = (k[0] & K0_DOOR) != 0;
	ctx->bolt_locked = (k[0] & K0_BOLT) != 0;

	memset(ch->nonce, NONCE_FILL, sizeof(ch->nonce));
	ch->issued_ms = ctx->mono_ms - ((k[2] & K2_LATE) ? 45000 : 500);
	ch->used = (k[2] & K2_CHUSED) != 0;
}

/* What a grant implies, re-derived from the inputs without pt_decide. */
static void
check_grant(const struct pt_context *ctx, const struct pt_challenge *ch, const uint8_t *chain,
	    size_t chain_len, const uint8_t *proof, const struct pt_decision *d)
{
	uint8_t h[PT_HASH_LEN], msg[PT_PROOF_MSG_MAX];
	struct pt_decision e;
	const struct pt_grant *last;
	size_t n, i, charged = 0;
	int failed;

	CHECK(decoded.n >= 1 && decoded.n <= PT_CHAIN_MAX && d->link == -1);
	CHECK(!ch->used && ctx->locked_out_until_ms == 0);
	CHECK(ctx->door_closed && ctx->bolt_locked);
	CHECK(!(d->cond & PT_COND_CAMERA) || ctx->camera_healthy);
	CHECK(!(d->cond & PT_COND_ALARM_BYPASS) || ctx->alarm_can_bypass);
	last = &decoded.link[decoded.n - 1].g;
	CHECK(d->purpose == last->purpose);
	for (i = 0; i < decoded.n; i++) {
		const struct pt_grant *g = &decoded.link[i].g;
		CHECK(strcmp(g->aud, ctx->home_id) == 0);
		CHECK(pt_grant_time_check(g, ctx->now, ctx->tz, ctx->tz_name) == PT_OK);
		CHECK(!pt_grant_is_time_bound(g) || ctx->time_trusted);
		CHECK((g->cond & ~d->cond) == 0);
		charged += g->has_entries;
	}
	CHECK(d->n_charge == charged);
	ops->sha256(h, chain, chain_len);
	CHECK(memcmp(h, d->chain_hash, PT_HASH_LEN) == 0);
	CHECK(pt_proof_message(HUB, ch->nonce, h, msg, sizeof(msg), &n) == PT_OK);
	CHECK(ops->ed25519_verify(proof, msg, n, last->holder));
	CHECK(pt_chain_verify(ops, &decoded, ctx->roots, ctx->n_roots, &failed) == PT_OK);

	/* Without the proof, the same credential is allowed the same things. */
	CHECK(pt_evaluate(ops, chain, chain_len, ctx, &evaluated, &e) == PT_OK);
	CHECK(memcmp(&evaluated, &decoded, sizeof(decoded)) == 0);
	CHECK(memcmp(&e, d, sizeof(e)) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pt_context ctx;
	struct pt_challenge ch;
	struct pt_decision d;
	const uint8_t *proof, *chain;
	size_t chain_len;
	int r, failed;

	if (size < KNOBS + PT_SIG_LEN)
		return 0;
	context(data, &ctx, &ch);
	proof = data + KNOBS;
	chain = proof + PT_SIG_LEN;
	chain_len = size - KNOBS - PT_SIG_LEN;

	r = pt_decide(ops, chain, chain_len, proof, PT_SIG_LEN, &ch, &ctx, &decoded, &d);
	CHECK(r == d.reason && r <= PT_OK && r > -PT_ERR_COUNT_);
	if (r != PT_OK) {
		CHECK(d.n_charge == 0 && is_zero(d.charge, sizeof(d.charge)));
		CHECK(d.cond == 0 && d.door_open_max == 0 && d.purpose == 0);
		CHECK(d.link >= -1 && d.link < PT_CHAIN_MAX);
	}
	if (!is_zero(&decoded, sizeof(decoded))) {
		/* Only a chain whose signatures and narrowing verified is shown. */
		CHECK(pt_chain_verify(ops, &decoded, ctx.roots, ctx.n_roots, &failed) == PT_OK);
		CHECK(pt_chain_decode(chain, chain_len, &reverified) == PT_OK);
		CHECK(memcmp(&reverified, &decoded, sizeof(decoded)) == 0);
	}
	if (r == PT_OK)
		check_grant(&ctx, &ch, chain, chain_len, proof, &d);

	/* A proof of another length is refused, never read past. */
	if (r == PT_OK) {
		r = pt_decide(ops, chain, chain_len, proof, PT_SIG_LEN - 1, &ch, &ctx, &decoded, &d);
		CHECK(r != PT_OK && d.n_charge == 0);
	}
	return 0;
}
