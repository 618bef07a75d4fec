/*
 * libFuzzer target for the credential decoder (lib/core/grant.c, cose.c,
 * cbor.c) and what runs on its output (chain.c, sched.c).
 *
 * The input is an encoded chain. pt_chain_decode() must either refuse it
 * with *c zeroed or accept it; an accepted chain must then:
 *   - re-encode to exactly the input: the decoder is strict deterministic
 *     CBOR in a fixed COSE profile, so one chain has one encoding;
 *   - give grants whose claims re-encode byte for byte to the payload they
 *     came from, and decode again to the same struct;
 *   - verify or be refused by pt_chain_verify() against fixed roots (the
 *     keys fuzz/mkcorpus.c signs its corpus with) with a sane link index;
 *   - answer time and narrowing questions without crashing, with a few
 *     properties that must hold for any valid grant.
 * A broken property is __builtin_trap(): a crash with the input saved.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "porter/cbor.h"
#include "porter/cred.h"
#include "porter/crypto.h"
#include "porter/tz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The roots of fuzz/mkcorpus.c: seeds of 32 x 0x01 and 32 x 0x02. */
static const uint8_t root_seed_fill[2] = {0x01, 0x02};
#define BERLIN "CET-1CEST,M3.5.0,M10.5.0/3"

static const struct pt_crypto_ops *ops;
static uint8_t roots[2][PT_PK_LEN];
static struct pt_tz tz;			/* ~6 KiB: off the stack */
static struct pt_chain chain, again;	/* ditto */

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
		memset(seed, root_seed_fill[i], sizeof(seed));
		CHECK((s = pt_secret_new()) != NULL);
		CHECK(pt_secret_from_seed(s, seed) == PT_OK);
		pt_secret_public(s, roots[i]);
		pt_secret_free(s);
	}
	CHECK(pt_tz_parse_posix(&tz, BERLIN, sizeof(BERLIN) - 1) == PT_OK);
	return 0;
}

/* The chain as porter's profile writes it: must be the input again. */
static void
check_reencode(const struct pt_chain *c, const uint8_t *data, size_t size)
{
	static uint8_t out[PT_CHAIN_SIZE_MAX + 64];
	struct pt_cbor_wr w;
	size_t i;

	pt_cbor_wr_init(&w, out, sizeof(out));
	pt_cbor_put_array(&w, c->n);
	for (i = 0; i < c->n; i++) {
		const struct pt_sign1 *s = &c->link[i].cose;

		CHECK(s->tagged);
		pt_cbor_put_tag(&w, PT_COSE_TAG_SIGN1);
		pt_cbor_put_array(&w, 4);
		pt_cbor_put_bytes(&w, s->prot, s->prot_len);
		pt_cbor_put_raw(&w, s->unprot, s->unprot_len);
		pt_cbor_put_bytes(&w, s->payload, s->payload_len);
		pt_cbor_put_bytes(&w, s->sig, s->sig_len);
	}
	CHECK(pt_cbor_wr_status(&w) == PT_OK);
	CHECK(w.len == size && memcmp(out, data, size) == 0);
}

/* Claims -> bytes -> claims: byte-identical, then struct-identical. */
static void
check_grant(const struct pt_link *l)
{
	static uint8_t buf[PT_LINK_SIZE_MAX];
	static struct pt_grant g2;
	size_t n = 0;

	CHECK(pt_grant_check(&l->g) == PT_OK);
	CHECK(pt_grant_encode_claims(&l->g, buf, sizeof(buf), &n) == PT_OK);
	CHECK(n == l->cose.payload_len);
	CHECK(memcmp(buf, l->cose.payload, n) == 0);
	CHECK(pt_grant_decode_claims(buf, n, &g2) == PT_OK);
	memcpy(g2.kid, l->g.kid, PT_KID_LEN);	/* from the header, not the claims */
	CHECK(memcmp(&g2, &l->g, sizeof(g2)) == 0);
}

/* Time bounds mean what they say, whatever the schedule. */
static void
check_times(const struct pt_grant *g)
{
	const struct pt_schedule *s = &g->sched;
	const char *zone = s->n_weekly > 0 ? s->tz : NULL;
	int r;

	if (g->has_exp)
		CHECK(pt_grant_time_check(g, g->exp, &tz, zone) == PT_EEXPIRED);
	if (g->has_nbf && g->nbf > 0)
		CHECK(pt_grant_time_check(g, g->nbf - 1, &tz, zone) == PT_ENOTYET);
	if (s->n_windows > 0) {
		r = pt_grant_time_check(g, s->windows[0].start, &tz, zone);
		CHECK(r != PT_ESCHEDULE || s->n_weekly > 0);
		r = pt_grant_time_check(g, s->windows[s->n_windows - 1].end - 1, &tz, zone);
		CHECK(r != PT_EEXPIRED || g->has_exp);
	}
	if (s->n_weekly > 0) {
		/* the zone is not the home's: weekly intervals cannot pass */
		r = pt_grant_time_check(g, g->has_nbf ? g->nbf : 0, &tz, "no.such.zone");
		CHECK(r != PT_OK);
		r = pt_grant_time_check(g, g->has_nbf ? g->nbf : 0, NULL, zone);
		CHECK(r != PT_OK);
	}
	r = pt_grant_time_check(g, g->iat, &tz, zone);
	CHECK(r == PT_OK || r == PT_ENOTYET || r == PT_EEXPIRED || r == PT_ESCHEDULE);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t i;
	int r, failed = -2;

	r = pt_chain_decode(data, size, &chain);
	if (r != PT_OK) {
		CHECK(r < 0);
		CHECK(is_zero(&chain, sizeof(chain)));
		return 0;
	}
	CHECK(chain.n >= 1 && chain.n <= PT_CHAIN_MAX);
	CHECK(size <= PT_CHAIN_SIZE_MAX);
	check_reencode(&chain, data, size);
	for (i = 0; i < chain.n; i++) {
		const struct pt_grant *g = &chain.link[i].g;

		check_grant(&chain.link[i]);
		check_times(g);
		CHECK(pt_schedule_is_within(g, g));	/* reflexive */
		CHECK(pt_grant_narrows(g, g) == PT_EWIDENED);	/* depth must drop */
		if (i > 0) {
			r = pt_grant_narrows(&chain.link[i - 1].g, g);
			CHECK(r == PT_OK || r == PT_EWIDENED);
		}
	}
	/* Decoding is a pure function of the bytes. */
	CHECK(pt_chain_decode(data, size, &again) == PT_OK);
	CHECK(memcmp(&again, &chain, sizeof(chain)) == 0);

	r = pt_chain_verify(ops, &chain, (const uint8_t (*)[PT_PK_LEN])roots, 2, &failed);
	CHECK(failed >= -1 && failed < (int)chain.n);
	CHECK((r == PT_OK) == (failed == -1));
	CHECK(r == PT_OK || r == PT_EUNTRUSTED || r == PT_EBADSIG || r == PT_EBROKENCHAIN ||
	      r == PT_EWIDENED || r == PT_EUNSUPPORTED);
	if (r == PT_OK) {
		/* A verified chain: every link below the first narrows its parent. */
		for (i = 1; i < chain.n; i++)
			CHECK(pt_grant_narrows(&chain.link[i - 1].g, &chain.link[i].g) == PT_OK);
		/* No root at all: nothing verifies. */
		CHECK(pt_chain_verify(ops, &chain, (const uint8_t (*)[PT_PK_LEN])roots, 0,
				      &failed) == PT_EUNTRUSTED);
	}
	return 0;
}
