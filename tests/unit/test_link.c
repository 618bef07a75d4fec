/*
 * test_link: the link protocol codec (porter/link.h, lib/core/link.c).
 *
 * Known bytes of small frames (the examples of docs/link-protocol.md);
 * round trips of every message down to the limits of each field; the
 * frame reader fed byte by byte and in random chunks; truncated,
 * oversized, trailing and garbage frames; unknown versions and types;
 * unknown keys, wrong types, out-of-range values and non-deterministic
 * encodings in every body; every bit flip and every truncation of every
 * sample frame (refused with a zeroed output, or accepted only in the
 * exact bytes the encoder writes); BLE fragmentation and reassembly for
 * every size from 0 to 3 * 244 + 1 and the refusals of the reassembler;
 * and a whole exchange through encode -> fragments -> reassembly -> reader
 * -> decode with the real pt_proof_sign and pt_decide, and a pairing
 * (PAIR) checked with the real pt_envelope_verify.
 *
 * Decoders are always handed an exact-size heap copy, so that a read past
 * the frame is an AddressSanitizer error in the sanitizer build.
 *
 * With PORTER_LINK_CORPUS=DIR set, also writes fuzz_link's seed corpus
 * (the sample frames, fragment streams) into DIR.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "porter/cbor.h"
#include "porter/cred.h"
#include "porter/crypto.h"
#include "porter/decide.h"
#include "porter/envelope.h"
#include "porter/link.h"
#include "t.h"

#define HOME "home-7f3a"
#define HUB "hub-7f3a-1"
#define LOCK "front"
#define HOUR 3600
#define MONO 1000000u
#define PROOF_MAX 5000u

static const struct pt_crypto_ops *ops;
static const int64_t T0 = 1781085600;	/* 2026-06-10T10:00:00Z */
static const char *corpus_dir;

/* ---- keys ---- */

struct key {
	struct pt_secret *sec;
	struct pt_signer sg;
	uint8_t pk[PT_PK_LEN];
};

static void
key_init(struct key *k, uint8_t seed_byte)
{
	uint8_t seed[PT_SEED_LEN];

	memset(seed, seed_byte, sizeof(seed));
	k->sec = pt_secret_new();
	if (k->sec == NULL || pt_secret_from_seed(k->sec, seed) != PT_OK) {
		printf("Bail out! key\n");
		exit(1);
	}
	pt_secret_public(k->sec, k->pk);
	pt_signer_sodium(&k->sg, k->sec);
}

static struct key owner, carrier, courier, stranger;

/* ---- small helpers ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint32_t
rnd(void)
{
	/* xorshift64*: deterministic, so a failure reproduces. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 2685821657736338717u) >> 32);
}

static size_t
unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;
	int hi = -1;

	for (; *s != '\0'; s++) {
		int v;
		if (*s >= '0' && *s <= '9')
			v = *s - '0';
		else if (*s >= 'a' && *s <= 'f')
			v = *s - 'a' + 10;
		else
			continue;
		if (hi < 0) {
			hi = v;
		} else {
			if (n == cap) {
				printf("Bail out! unhex overflow\n");
				exit(1);
			}
			out[n++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	return n;
}

static void
hexline(const char *what, const uint8_t *p, size_t len)
{
	size_t i;

	printf("# %s (%zu bytes):", what, len);
	for (i = 0; i < len; i++)
		printf("%s%02x", i % 32 == 0 ? "\n#   " : " ", p[i]);
	printf("\n");
}

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
write_seed(const char *name, const uint8_t *p, size_t len)
{
	char path[512];
	FILE *fp;

	if (corpus_dir == NULL)
		return;
	if (snprintf(path, sizeof(path), "%s/%s", corpus_dir, name) >= (int)sizeof(path))
		return;
	fp = fopen(path, "wb");
	if (fp == NULL || fwrite(p, 1, len, fp) != len) {
		printf("Bail out! cannot write '%s'\n", path);
		exit(1);
	}
	fclose(fp);
}

/* A frame with any header around any body. */
static size_t
mkframe(uint8_t *out, uint8_t version, uint8_t type, const uint8_t *body, size_t body_len)
{
	size_t n = body_len + 2;

	out[0] = (uint8_t)(n >> 8);
	out[1] = (uint8_t)n;
	out[2] = version;
	out[3] = type;
	memcpy(out + 4, body, body_len);
	return body_len + 4;
}

/* Decode an exact-size heap copy; a PROOF's chain is copied out before
 * the copy goes (it borrows the frame). */
static uint8_t proof_chain_copy[PT_LINK_FRAME_MAX];

static int
decode(const uint8_t *p, size_t len, struct pt_link_msg *m)
{
	uint8_t *b = malloc(len > 0 ? len : 1);
	int r;

	if (b == NULL) {
		printf("Bail out! malloc\n");
		exit(1);
	}
	if (len > 0)
		memcpy(b, p, len);
	r = pt_link_decode(b, len, m);
	if (r == PT_OK && m->type == PT_LINK_PROOF) {
		memcpy(proof_chain_copy, m->u.proof.chain, m->u.proof.chain_len);
		m->u.proof.chain = proof_chain_copy;
	}
	if (r == PT_OK && m->type == PT_LINK_PAIR) {
		memcpy(proof_chain_copy, m->u.pair.statement, m->u.pair.statement_len);
		m->u.pair.statement = proof_chain_copy;
	}
	if (r == PT_OK && m->type == PT_LINK_PANIC) {
		memcpy(proof_chain_copy, m->u.panic.chain, m->u.panic.chain_len);
		m->u.panic.chain = proof_chain_copy;
	}
	free(b);
	return r;
}

/* The per-type decoder of type on an exact-size heap copy; the output is
 * written to *m's member of that type. */
static int
decode_as(uint8_t type, const uint8_t *p, size_t len, struct pt_link_msg *m)
{
	uint8_t *b = malloc(len > 0 ? len : 1);
	int r;

	if (b == NULL) {
		printf("Bail out! malloc\n");
		exit(1);
	}
	if (len > 0)
		memcpy(b, p, len);
	memset(m, 0x5a, sizeof(*m));
	m->type = type;
	switch (type) {
	case PT_LINK_HELLO:
		r = pt_link_hello_decode(b, len, &m->u.hello);
		break;
	case PT_LINK_CHALLENGE:
		r = pt_link_challenge_decode(b, len, &m->u.challenge);
		break;
	case PT_LINK_PROOF:
		r = pt_link_proof_decode(b, len, &m->u.proof);
		if (r == PT_OK) {
			memcpy(proof_chain_copy, m->u.proof.chain, m->u.proof.chain_len);
			m->u.proof.chain = proof_chain_copy;
		}
		break;
	case PT_LINK_DECISION:
		r = pt_link_decision_decode(b, len, &m->u.decision);
		break;
	case PT_LINK_PAIR:
		r = pt_link_pair_decode(b, len, &m->u.pair);
		if (r == PT_OK) {
			memcpy(proof_chain_copy, m->u.pair.statement, m->u.pair.statement_len);
			m->u.pair.statement = proof_chain_copy;
		}
		break;
	case PT_LINK_PANIC:
		r = pt_link_panic_decode(b, len, &m->u.panic);
		if (r == PT_OK) {
			memcpy(proof_chain_copy, m->u.panic.chain, m->u.panic.chain_len);
			m->u.panic.chain = proof_chain_copy;
		}
		break;
	default:
		r = pt_link_error_decode(b, len, &m->u.error);
		break;
	}
	free(b);
	return r;
}

static size_t
member_size(uint8_t type)
{
	switch (type) {
	case PT_LINK_HELLO:
		return sizeof(struct pt_link_hello);
	case PT_LINK_CHALLENGE:
		return sizeof(struct pt_link_challenge);
	case PT_LINK_PROOF:
		return sizeof(struct pt_link_proof);
	case PT_LINK_DECISION:
		return sizeof(struct pt_link_decision);
	case PT_LINK_PAIR:
		return sizeof(struct pt_link_pair);
	case PT_LINK_PANIC:
		return sizeof(struct pt_link_panic);
	default:
		return sizeof(struct pt_link_error);
	}
}

/* The same message? (PROOF: compare the chain bytes, not the pointer.) */
static bool
msg_equal(const struct pt_link_msg *a, const struct pt_link_msg *b)
{
	if (a->type != b->type)
		return false;
	switch (a->type) {
	case PT_LINK_HELLO:
		return strcmp(a->u.hello.lock, b->u.hello.lock) == 0 &&
		       a->u.hello.panic == b->u.hello.panic;
	case PT_LINK_CHALLENGE:
		return strcmp(a->u.challenge.hub_id, b->u.challenge.hub_id) == 0 &&
		       memcmp(a->u.challenge.nonce, b->u.challenge.nonce, PT_NONCE_LEN) == 0 &&
		       a->u.challenge.has_time == b->u.challenge.has_time &&
		       a->u.challenge.time == b->u.challenge.time &&
		       a->u.challenge.expires_ms == b->u.challenge.expires_ms;
	case PT_LINK_PROOF:
		return memcmp(a->u.proof.nonce, b->u.proof.nonce, PT_NONCE_LEN) == 0 &&
		       a->u.proof.chain_len == b->u.proof.chain_len &&
		       memcmp(a->u.proof.chain, b->u.proof.chain, a->u.proof.chain_len) == 0 &&
		       memcmp(a->u.proof.sig, b->u.proof.sig, PT_SIG_LEN) == 0;
	case PT_LINK_DECISION: {
		const struct pt_link_decision *x = &a->u.decision, *y = &b->u.decision;
		uint8_t i;
		if (x->reason != y->reason || x->link != y->link || x->cond != y->cond ||
		    x->door_open_max != y->door_open_max || x->relock_s != y->relock_s ||
		    x->n_notes != y->n_notes || strcmp(x->code, y->code) != 0)
			return false;
		for (i = 0; i < x->n_notes; i++)
			if (strcmp(x->notes[i], y->notes[i]) != 0)
				return false;
		return true;
	}
	case PT_LINK_ERROR:
		return a->u.error.reason == b->u.error.reason &&
		       a->u.error.retry_after_ms == b->u.error.retry_after_ms &&
		       a->u.error.version == b->u.error.version &&
		       strcmp(a->u.error.code, b->u.error.code) == 0;
	case PT_LINK_PAIR:
		return strcmp(a->u.pair.home, b->u.pair.home) == 0 &&
		       memcmp(a->u.pair.owner, b->u.pair.owner, PT_PK_LEN) == 0 &&
		       a->u.pair.statement_len == b->u.pair.statement_len &&
		       memcmp(a->u.pair.statement, b->u.pair.statement, a->u.pair.statement_len) == 0;
	case PT_LINK_PANIC:
		return memcmp(a->u.panic.nonce, b->u.panic.nonce, PT_NONCE_LEN) == 0 &&
		       a->u.panic.chain_len == b->u.panic.chain_len &&
		       memcmp(a->u.panic.chain, b->u.panic.chain, a->u.panic.chain_len) == 0 &&
		       memcmp(a->u.panic.sig, b->u.panic.sig, PT_SIG_LEN) == 0;
	default:
		return false;
	}
}

/* ---- sample messages ---- */

static uint8_t nonce_a[PT_NONCE_LEN];
static uint8_t big_chain[PT_CHAIN_SIZE_MAX + 1];
static uint8_t sig_a[PT_SIG_LEN];
static uint8_t owner_a[PT_PK_LEN];

static void
samples_init(void)
{
	size_t i;

	for (i = 0; i < PT_NONCE_LEN; i++)
		nonce_a[i] = (uint8_t)(0x42 + 7 * i);
	for (i = 0; i < sizeof(big_chain); i++)
		big_chain[i] = (uint8_t)(i * 13 + 5);
	for (i = 0; i < PT_SIG_LEN; i++)
		sig_a[i] = (uint8_t)(0xa0 ^ i);
	for (i = 0; i < PT_PK_LEN; i++)
		owner_a[i] = (uint8_t)(0x10 + i);
}

static void
hello(struct pt_link_msg *m, const char *lock)
{
	memset(m, 0, sizeof(*m));
	m->type = PT_LINK_HELLO;
	strcpy(m->u.hello.lock, lock);
}

static void
challenge(struct pt_link_msg *m, bool has_time)
{
	memset(m, 0, sizeof(*m));
	m->type = PT_LINK_CHALLENGE;
	strcpy(m->u.challenge.hub_id, HUB);
	memcpy(m->u.challenge.nonce, nonce_a, PT_NONCE_LEN);
	m->u.challenge.has_time = has_time;
	m->u.challenge.time = has_time ? T0 : 0;
	m->u.challenge.expires_ms = PROOF_MAX;
}

static void
proof(struct pt_link_msg *m, size_t chain_len)
{
	memset(m, 0, sizeof(*m));
	m->type = PT_LINK_PROOF;
	memcpy(m->u.proof.nonce, nonce_a, PT_NONCE_LEN);
	m->u.proof.chain = big_chain;
	m->u.proof.chain_len = chain_len;
	memcpy(m->u.proof.sig, sig_a, PT_SIG_LEN);
}

static void
decision(struct pt_link_msg *m, int reason)
{
	struct pt_link_decision *d = &m->u.decision;

	memset(m, 0, sizeof(*m));
	m->type = PT_LINK_DECISION;
	d->reason = reason;
	strcpy(d->code, pt_err_code(reason));
	d->link = -1;
	if (reason == PT_OK) {
		d->cond = PT_COND_CAMERA | PT_COND_ALARM_BYPASS;
		d->door_open_max = 60;
		d->relock_s = 30;
	} else if (reason == PT_EBADSIG) {
		d->link = 1;
	}
	d->n_notes = 1;
	strcpy(d->notes[0], "dog inside: leave the parcel in the hall");
}

static void
error(struct pt_link_msg *m, int reason)
{
	memset(m, 0, sizeof(*m));
	m->type = PT_LINK_ERROR;
	m->u.error.reason = reason;
	strcpy(m->u.error.code, pt_err_code(reason));
	if (reason == PT_ELOCKEDOUT)
		m->u.error.retry_after_ms = 30000;
	if (reason == PT_EUNSUPPORTED)
		m->u.error.version = PT_LINK_VERSION;
}

static void
pair(struct pt_link_msg *m, size_t statement_len)
{
	memset(m, 0, sizeof(*m));
	m->type = PT_LINK_PAIR;
	strcpy(m->u.pair.home, HOME);
	memcpy(m->u.pair.owner, owner_a, PT_PK_LEN);
	m->u.pair.statement = big_chain;
	m->u.pair.statement_len = statement_len;
}

static void
panic_msg(struct pt_link_msg *m, size_t chain_len)
{
	memset(m, 0, sizeof(*m));
	m->type = PT_LINK_PANIC;
	memcpy(m->u.panic.nonce, nonce_a, PT_NONCE_LEN);
	m->u.panic.chain = big_chain;
	m->u.panic.chain_len = chain_len;
	memcpy(m->u.panic.sig, sig_a, PT_SIG_LEN);
}

#define N_SAMPLES 17
struct sample {
	const char *name;
	struct pt_link_msg m;
	uint8_t f[PT_LINK_FRAME_MAX];
	size_t len;
};
static struct sample samples[N_SAMPLES];

static void
samples_build(void)
{
	size_t i;

	samples[0].name = "hello";
	hello(&samples[0].m, "");
	samples[1].name = "hello_lock";
	hello(&samples[1].m, LOCK);
	samples[2].name = "challenge";
	challenge(&samples[2].m, true);
	samples[3].name = "challenge_notime";
	challenge(&samples[3].m, false);
	samples[4].name = "proof_small";
	proof(&samples[4].m, 40);
	samples[5].name = "proof_max";
	proof(&samples[5].m, PT_CHAIN_SIZE_MAX);
	samples[6].name = "decision_grant";
	decision(&samples[6].m, PT_OK);
	samples[7].name = "decision_badsig";
	decision(&samples[7].m, PT_EBADSIG);
	samples[8].name = "error_malformed";
	error(&samples[8].m, PT_EMALFORMED);
	samples[9].name = "error_unsupported";
	error(&samples[9].m, PT_EUNSUPPORTED);
	samples[10].name = "error_toobig";
	error(&samples[10].m, PT_ETOOBIG);
	samples[11].name = "error_lockedout";
	error(&samples[11].m, PT_ELOCKEDOUT);
	samples[12].name = "pair_small";
	pair(&samples[12].m, 4);
	samples[13].name = "pair_max";
	pair(&samples[13].m, PT_ENVELOPE_SIZE_MAX);
	samples[14].name = "panic_small";
	panic_msg(&samples[14].m, 40);
	samples[15].name = "panic_max";
	panic_msg(&samples[15].m, PT_CHAIN_SIZE_MAX);
	samples[16].name = "hello_panic";
	hello(&samples[16].m, LOCK);
	samples[16].m.u.hello.panic = true;
	for (i = 0; i < N_SAMPLES; i++) {
		if (pt_link_encode(&samples[i].m, samples[i].f, sizeof(samples[i].f),
				   &samples[i].len) != PT_OK) {
			printf("Bail out! sample %s does not encode\n", samples[i].name);
			exit(1);
		}
		write_seed(samples[i].name, samples[i].f, samples[i].len);
	}
}

/* ---- (a) known bytes ---- */

static void
expect_bytes(const char *what, const struct pt_link_msg *m, const char *want_hex)
{
	uint8_t want[PT_LINK_FRAME_MAX], got[PT_LINK_FRAME_MAX];
	size_t wn = unhex(want_hex, want, sizeof(want)), gn = 0;

	T_EQ(pt_link_encode(m, got, sizeof(got), &gn), PT_OK, "%s: encodes", what);
	if (!T_OK(gn == wn && memcmp(got, want, wn) == 0, "%s: exactly the documented bytes", what))
		hexline("got", got, gn);
}

static void round_trip(const char *what, const struct pt_link_msg *m, size_t *len_out);

/* HELLO's panic key (2): only true, said once; false is its absence. */
static void
test_hello_panic(void)
{
	static const struct {
		const char *body, *what;
		int want;
	} cases[] = {
		{"a1 02 f5", "HELLO {2: true}", PT_OK},
		{"a2 01 65 66726f6e74 02 f5", "HELLO {1: \"front\", 2: true}", PT_OK},
		{"a1 02 f4", "HELLO {2: false}: malformed (false is the key left out)", PT_EMALFORMED},
		{"a1 02 01", "HELLO {2: 1}: malformed", PT_EMALFORMED},
		{"a1 02 f6", "HELLO {2: null}: malformed", PT_EMALFORMED},
		{"a2 02 f5 01 65 66726f6e74", "HELLO {2: true, 1: ...}: keys out of order", PT_EMALFORMED},
		{"a2 02 f5 02 f5", "HELLO {2: true, 2: true}: a key twice", PT_EMALFORMED},
		{"a1 03 f5", "HELLO {3: true}: an unknown key", PT_EMALFORMED},
		{"a3 01 65 66726f6e74 02 f5 03 f5", "HELLO with three entries", PT_EMALFORMED},
	};
	uint8_t body[64], f[80];
	struct pt_link_msg m;
	size_t i, bn, n;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bn = unhex(cases[i].body, body, sizeof(body));
		n = mkframe(f, PT_LINK_VERSION, PT_LINK_HELLO, body, bn);
		T_EQ(pt_link_hello_decode(f, n, &m.u.hello), cases[i].want, "%s", cases[i].what);
		if (cases[i].want == PT_OK)
			T_OK(m.u.hello.panic, "... decoded with panic set");
		else
			T_OK(!m.u.hello.panic && m.u.hello.lock[0] == '\0', "... nothing decoded");
	}
	hello(&m, "");
	m.u.hello.panic = true;
	expect_bytes("HELLO {2: true}", &m, "0005 01 01 a1 02 f5");
	round_trip("HELLO {2: true}", &m, NULL);
	hello(&m, LOCK);
	m.u.hello.panic = true;
	expect_bytes("HELLO {1: \"front\", 2: true}", &m, "000c 01 01 a2 01 65 66726f6e74 02 f5");
	round_trip("HELLO {1: \"front\", 2: true}", &m, NULL);
}

static void
test_known_bytes(void)
{
	struct pt_link_msg m;

	hello(&m, "");
	expect_bytes("HELLO {}", &m, "0003 01 01 a0");
	hello(&m, LOCK);
	expect_bytes("HELLO {1: \"front\"}", &m, "000a 01 01 a1 01 65 66726f6e74");
	challenge(&m, true);
	expect_bytes("CHALLENGE", &m,
		     "003c 01 02 a4"
		     " 01 6a 6875622d376633612d31"
		     " 02 5820 424950575e656c737a81888f969da4abb2b9c0c7ced5dce3eaf1f8ff060d141b"
		     " 03 1a 6a2935a0"
		     " 04 19 1388");
	decision(&m, PT_EBADSIG);
	m.u.decision.n_notes = 0;
	expect_bytes("DECISION bad-signature, link 1", &m,
		     "0016 01 04 a3 01 21 02 6d 6261642d7369676e6174757265 03 01");
	decision(&m, PT_OK);
	m.u.decision.n_notes = 0;
	expect_bytes("DECISION granted", &m,
		     "0011 01 04 a5 01 00 02 62 6f6b 05 03 06 18 3c 07 18 1e");
	error(&m, PT_ELOCKEDOUT);
	expect_bytes("ERROR locked-out, retry after 30 s", &m,
		     "0015 01 05 a3 01 31 02 6a 6c6f636b65642d6f7574 03 19 7530");
	error(&m, PT_EUNSUPPORTED);
	expect_bytes("ERROR unsupported, version 1", &m,
		     "0014 01 05 a3 01 34 02 6b 756e737570706f72746564 04 01");
	pair(&m, 4);
	expect_bytes("PAIR (a 4-byte statement)", &m,
		     "0037 01 06 a3"
		     " 01 69 686f6d652d37663361"
		     " 02 5820 101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f"
		     " 03 44 05121f2c");
}

/* ---- (b) round trips ---- */

static void
round_trip(const char *what, const struct pt_link_msg *m, size_t *len_out)
{
	uint8_t f[PT_LINK_FRAME_MAX];
	struct pt_link_msg d, t;
	size_t n = 0, fl, need;

	if (!T_EQ(pt_link_encode(m, f, sizeof(f), &n), PT_OK, "%s: encodes", what))
		return;
	T_OK(n <= PT_LINK_FRAME_MAX && n >= PT_LINK_HDR_LEN, "%s: %zu bytes, within the cap", what, n);
	T_OK(pt_link_frame_scan(f, n, &fl, &need) == PT_OK && fl == n && need == 0,
	     "%s: the reader sees one whole frame", what);
	T_OK(decode(f, n, &d) == PT_OK && msg_equal(m, &d), "%s: decodes to the same message", what);
	T_OK(decode_as(m->type, f, n, &t) == PT_OK && (t.type = m->type, msg_equal(m, &t)),
	     "%s: the %s decoder agrees", what, "per-type");
	if (len_out != NULL)
		*len_out = n;
}

static void
test_round_trips(void)
{
	struct pt_link_msg m, d;
	uint8_t f[PT_LINK_FRAME_MAX];
	size_t n, i;
	char id[PT_ID_MAX + 1];

	for (i = 0; i < N_SAMPLES; i++)
		round_trip(samples[i].name, &samples[i].m, NULL);

	/* Limits of each field, both ways. */
	memset(id, 'a', PT_ID_MAX);
	id[PT_ID_MAX] = '\0';
	hello(&m, id);
	round_trip("HELLO: lock id of 64 bytes", &m, NULL);
	memset(m.u.hello.lock, 'a', sizeof(m.u.hello.lock));	/* no NUL: 65 bytes */
	T_EQ(pt_link_encode(&m, f, sizeof(f), &n), PT_EINVAL, "HELLO: lock id of 65 bytes refused");
	T_EQ(n, 0, "HELLO: nothing written on refusal");
	hello(&m, "front door");
	T_EQ(pt_link_encode(&m, f, sizeof(f), &n), PT_EINVAL, "HELLO: lock id with a space refused");
	hello(&m, ".hidden");
	T_EQ(pt_link_encode(&m, f, sizeof(f), &n), PT_EINVAL, "HELLO: lock id starting with '.' refused");

	challenge(&m, true);
	m.u.challenge.time = 0;
	round_trip("CHALLENGE: hub time 0", &m, NULL);
	m.u.challenge.time = PT_TIME_MAX;
	round_trip("CHALLENGE: hub time 9999-12-31T23:59:59Z", &m, NULL);
	m.u.challenge.time = PT_TIME_MAX + 1;
	T_EQ(pt_link_encode(&m, f, sizeof(f), &n), PT_EINVAL, "CHALLENGE: hub time after 9999 refused");
	m.u.challenge.time = -1;
	T_EQ(pt_link_encode(&m, f, sizeof(f), &n), PT_EINVAL, "CHALLENGE: negative hub time refused");
	challenge(&m, false);
	m.u.challenge.expires_ms = 1;
	round_trip("CHALLENGE: expiry 1 ms", &m, NULL);
	m.u.challenge.expires_ms = PT_LINK_EXPIRY_MAX_MS;
	round_trip("CHALLENGE: expiry 60 s", &m, NULL);
	m.u.challenge.expires_ms = PT_LINK_EXPIRY_MAX_MS + 1;
	T_EQ(pt_link_encode(&m, f, sizeof(f), &n), PT_EINVAL, "CHALLENGE: expiry over 60 s refused");
	m.u.challenge.expires_ms = 0;
	T_EQ(pt_link_encode(&m, f, sizeof(f), &n), PT_EINVAL, "CHALLENGE: expiry 0 refused");
	challenge(&m, false);
	m.u.challenge.hub_id[0] = '\0';
	T_EQ(pt_link_encode(&m, f, sizeof(f), &n), PT_EINVAL, "CHALLENGE: empty hub id refused");
	memset(m.u.challenge.hub_id, 'h', PT_ID_MAX);
	round_trip("CHALLENGE: hub id of 64 bytes", &m, NULL);

	proof(&m, 1);
	round_trip("PROOF: chain of 1 byte", &m, NULL);
	for (i = 23; i <= 24; i++) {
		proof(&m, i);
		round_trip("PROOF: chain at a CBOR head boundary (23/24)", &m, NULL);
	}
	for (i = 255; i <= 256; i++) {
		proof(&m, i);
		round_trip("PROOF: chain at a CBOR head boundary (255/256)", &m, NULL);
	}
	proof(&m, PT_CHAIN_SIZE_MAX);
	round_trip("PROOF: chain of PT_CHAIN_SIZE_MAX bytes", &m, &n);
	T_EQ(n, 2159, "PROOF: the largest v1 frame is 2159 bytes (docs: the cap's reason)");
	T_OK(n <= PT_LINK_FRAME_MAX && pt_link_frag_count(n, PT_LINK_BLE_FRAG_MAX) == 9,
	     "PROOF: the largest frame is nine 244-byte BLE fragments");
	proof(&m, PT_CHAIN_SIZE_MAX + 1);
	T_EQ(pt_link_encode(&m, f, sizeof(f), &n), PT_ETOOBIG, "PROOF: chain of 2049 bytes: too-large");
	proof(&m, 0);
	T_EQ(pt_link_encode(&m, f, sizeof(f), &n), PT_EINVAL, "PROOF: empty chain refused");
	proof(&m, 10);
	m.u.proof.chain = NULL;
	T_EQ(pt_link_encode(&m, f, sizeof(f), &n), PT_EINVAL, "PROOF: NULL chain refused");

	pair(&m, 1);
	round_trip("PAIR: statement of 1 byte", &m, NULL);
	pair(&m, PT_ENVELOPE_SIZE_MAX);
	round_trip("PAIR: statement of PT_ENVELOPE_SIZE_MAX bytes", &m, &n);
	T_OK(n <= PT_LINK_FRAME_MAX, "PAIR: the largest PAIR (%zu bytes) fits the cap", n);
	pair(&m, PT_ENVELOPE_SIZE_MAX + 1);
	T_EQ(pt_link_encode(&m, f, sizeof(f), &n), PT_ETOOBIG, "PAIR: statement of 513 bytes: too-large");
	pair(&m, 0);
	T_EQ(pt_link_encode(&m, f, sizeof(f), &n), PT_EINVAL, "PAIR: empty statement refused");
	pair(&m, 10);
	m.u.pair.statement = NULL;
	T_EQ(pt_link_encode(&m, f, sizeof(f), &n), PT_EINVAL, "PAIR: NULL statement refused");
	pair(&m, 10);
	m.u.pair.home[0] = '\0';
	T_EQ(pt_link_encode(&m, f, sizeof(f), &n), PT_EINVAL, "PAIR: empty home id refused");
	strcpy(m.u.pair.home, "home 1");
	T_EQ(pt_link_encode(&m, f, sizeof(f), &n), PT_EINVAL, "PAIR: home id with a space refused");
	memset(m.u.pair.home, 'h', PT_ID_MAX);
	round_trip("PAIR: home id of 64 bytes", &m, NULL);

	/* DECISION: four notes of 280 bytes (the largest DECISION). */
	decision(&m, PT_OK);
	m.u.decision.n_notes = PT_CHAIN_MAX;
	for (i = 0; i < PT_CHAIN_MAX; i++) {
		memset(m.u.decision.notes[i], 'n', PT_NOTE_MAX);
		m.u.decision.notes[i][0] = (char)('0' + i);
	}
	m.u.decision.door_open_max = PT_DOOR_OPEN_MAX;
	m.u.decision.relock_s = PT_LINK_RELOCK_MAX;
	round_trip("DECISION: four notes of 280 bytes, longest limits", &m, &n);
	printf("# largest DECISION: %zu bytes\n", n);
	strcpy(m.u.decision.notes[1], "h\xc3\xbc" "ndin im Flur \xf0\x9f\x90\x95");
	round_trip("DECISION: a UTF-8 note", &m, NULL);
	strcpy(m.u.decision.notes[1], "bell\x07");
	T_EQ(pt_link_encode(&m, f, sizeof(f), &n), PT_EINVAL, "DECISION: a note with a control character refused");
	strcpy(m.u.decision.notes[1], "\xc3\x28");
	T_EQ(pt_link_encode(&m, f, sizeof(f), &n), PT_EINVAL, "DECISION: a note of invalid UTF-8 refused");
	m.u.decision.notes[1][0] = '\0';
	T_EQ(pt_link_encode(&m, f, sizeof(f), &n), PT_EINVAL, "DECISION: an empty note refused");
	m.u.decision.n_notes = PT_CHAIN_MAX + 1;
	T_EQ(pt_link_encode(&m, f, sizeof(f), &n), PT_EINVAL, "DECISION: five notes refused");
	decision(&m, PT_OK);
	m.u.decision.n_notes = 0;
	m.u.decision.cond = 0;
	m.u.decision.door_open_max = 0;
	m.u.decision.relock_s = 0;
	round_trip("DECISION: a bare grant", &m, NULL);
	m.u.decision.cond = 0x4;
	T_EQ(pt_link_encode(&m, f, sizeof(f), &n), PT_EINVAL, "DECISION: unknown condition bit refused");
	m.u.decision.cond = 0;
	m.u.decision.door_open_max = PT_DOOR_OPEN_MAX + 1;
	T_EQ(pt_link_encode(&m, f, sizeof(f), &n), PT_EINVAL, "DECISION: door-open limit over a day refused");
	m.u.decision.door_open_max = 0;
	m.u.decision.relock_s = PT_LINK_RELOCK_MAX + 1;
	T_EQ(pt_link_encode(&m, f, sizeof(f), &n), PT_EINVAL, "DECISION: relock over an hour refused");
	m.u.decision.relock_s = 0;
	m.u.decision.link = 0;
	T_EQ(pt_link_encode(&m, f, sizeof(f), &n), PT_EINVAL, "DECISION: a grant naming a link refused");
	for (i = 1; i < PT_ERR_COUNT_; i++) {
		char what[80];
		decision(&m, -(int)i);
		m.u.decision.link = (int)(i % (PT_CHAIN_MAX + 1)) - 1;
		snprintf(what, sizeof(what), "DECISION: %s, link %d", pt_err_code(-(int)i),
			 m.u.decision.link);
		round_trip(what, &m, NULL);
	}
	decision(&m, PT_EEXPIRED);
	m.u.decision.cond = PT_COND_CAMERA;
	T_EQ(pt_link_encode(&m, f, sizeof(f), &n), PT_EINVAL, "DECISION: a refusal with conditions refused");
	decision(&m, PT_EEXPIRED);
	m.u.decision.door_open_max = 60;
	T_EQ(pt_link_encode(&m, f, sizeof(f), &n), PT_EINVAL, "DECISION: a refusal with a door limit refused");
	decision(&m, PT_EEXPIRED);
	m.u.decision.relock_s = 30;
	T_EQ(pt_link_encode(&m, f, sizeof(f), &n), PT_EINVAL, "DECISION: a refusal with a relock time refused");
	decision(&m, PT_EEXPIRED);
	m.u.decision.link = PT_CHAIN_MAX;
	T_EQ(pt_link_encode(&m, f, sizeof(f), &n), PT_EINVAL, "DECISION: link index 4 refused");
	decision(&m, PT_EEXPIRED);
	m.u.decision.reason = -PT_ERR_COUNT_;
	T_EQ(pt_link_encode(&m, f, sizeof(f), &n), PT_EINVAL, "DECISION: a reason outside the table refused");
	m.u.decision.reason = 1;
	T_EQ(pt_link_encode(&m, f, sizeof(f), &n), PT_EINVAL, "DECISION: a positive reason refused");

	/* ERROR: the four kinds and their companions. */
	error(&m, PT_ELOCKEDOUT);
	m.u.error.retry_after_ms = 1;
	round_trip("ERROR: locked-out, retry after 1 ms", &m, NULL);
	m.u.error.retry_after_ms = PT_LINK_RETRY_MAX_MS;
	round_trip("ERROR: locked-out, retry after a day", &m, NULL);
	m.u.error.retry_after_ms = PT_LINK_RETRY_MAX_MS + 1;
	T_EQ(pt_link_encode(&m, f, sizeof(f), &n), PT_EINVAL, "ERROR: retry after more than a day refused");
	m.u.error.retry_after_ms = 0;
	T_EQ(pt_link_encode(&m, f, sizeof(f), &n), PT_EINVAL, "ERROR: locked-out without retry-after refused");
	error(&m, PT_EMALFORMED);
	m.u.error.retry_after_ms = 5;
	T_EQ(pt_link_encode(&m, f, sizeof(f), &n), PT_EINVAL, "ERROR: retry-after on malformed refused");
	error(&m, PT_EUNSUPPORTED);
	m.u.error.version = 0;
	T_EQ(pt_link_encode(&m, f, sizeof(f), &n), PT_EINVAL, "ERROR: unsupported without a version refused");
	m.u.error.version = 7;
	round_trip("ERROR: unsupported, speaks version 7", &m, NULL);
	error(&m, PT_ETOOBIG);
	m.u.error.version = 1;
	T_EQ(pt_link_encode(&m, f, sizeof(f), &n), PT_EINVAL, "ERROR: a version on too-large refused");
	error(&m, PT_EBADSIG);
	T_EQ(pt_link_encode(&m, f, sizeof(f), &n), PT_EINVAL, "ERROR: bad-signature is a DECISION, not an ERROR");
	m.type = 9;
	T_EQ(pt_link_encode(&m, f, sizeof(f), &n), PT_EINVAL, "encode: unknown type refused");

	/* Buffers too small by one byte, and no header room at all. */
	for (i = 0; i < N_SAMPLES; i++) {
		T_EQ(pt_link_encode(&samples[i].m, f, samples[i].len - 1, &n), PT_ENOSPC,
		     "%s: one byte short of room: buffer-too-small", samples[i].name);
		T_EQ(n, 0, "%s: nothing claimed written", samples[i].name);
	}
	T_EQ(pt_link_encode(&samples[0].m, f, 3, &n), PT_ENOSPC, "HELLO: a 3-byte buffer: buffer-too-small");

	/* The generic decoder reports the type. */
	for (i = 0; i < N_SAMPLES; i++)
		T_OK(decode(samples[i].f, samples[i].len, &d) == PT_OK && d.type == samples[i].m.type,
		     "%s: pt_link_decode says type %u", samples[i].name, samples[i].m.type);
}

/* ---- (c) the frame reader ---- */

static void
test_reader(void)
{
	static uint8_t stream[N_SAMPLES * PT_LINK_FRAME_MAX], acc[PT_LINK_FRAME_MAX + 1];
	size_t total = 0, i, k, acc_len, fl, need, want_frame, got_frames;
	bool ok;
	uint8_t p[4];
	int r;

	for (i = 0; i < N_SAMPLES; i++) {
		memcpy(stream + total, samples[i].f, samples[i].len);
		total += samples[i].len;
	}

	/* Byte by byte: "need more" with the exact count once the prefix is
	 * in, then the whole frame, then the next one. */
	acc_len = 0;
	got_frames = 0;
	ok = true;
	want_frame = 0;
	for (k = 0; k < total; k++) {
		acc[acc_len++] = stream[k];
		r = pt_link_frame_scan(acc, acc_len, &fl, &need);
		if (r != PT_OK) {
			ok = false;
			break;
		}
		if (fl == 0) {
			size_t expect = acc_len < 2 ? 2 - acc_len : samples[want_frame].len - acc_len;
			if (need != expect) {
				ok = false;
				break;
			}
			continue;
		}
		if (fl != samples[want_frame].len || memcmp(acc, samples[want_frame].f, fl) != 0 ||
		    need != 0) {
			ok = false;
			break;
		}
		got_frames++;
		want_frame++;
		acc_len = 0;
	}
	T_OK(ok && got_frames == N_SAMPLES, "reader, byte by byte: %zu frames, each when complete, need exact",
	     got_frames);

	/* Random chunks, several frames per read: consume whole frames. */
	for (i = 0; i < 20; i++) {
		size_t have = 0, start = 0;
		got_frames = 0;
		ok = true;
		while (ok && have < total) {
			size_t chunk = 1 + rnd() % 700;
			have += chunk < total - have ? chunk : total - have;
			for (;;) {
				if (pt_link_frame_scan(stream + start, have - start, &fl, &need) != PT_OK ||
				    (fl != 0 && fl != samples[got_frames].len)) {
					ok = false;
					break;
				}
				if (fl == 0)
					break;
				got_frames++;
				start += fl;
			}
		}
		if (!T_OK(ok && got_frames == N_SAMPLES && start == total,
			  "reader, random chunks (round %zu): every frame found", i))
			break;
	}

	/* The prefix alone decides: too big, or no room for version and type. */
	p[0] = (PT_LINK_FRAME_MAX - 2) >> 8;
	p[1] = (PT_LINK_FRAME_MAX - 2) & 0xff;
	T_OK(pt_link_frame_scan(p, 2, &fl, &need) == PT_OK && fl == 0 &&
		     need == PT_LINK_FRAME_MAX - 2,
	     "reader: a prefix announcing exactly the cap: need %d more", PT_LINK_FRAME_MAX - 2);
	p[1]++;
	T_EQ(pt_link_frame_scan(p, 2, &fl, &need), PT_ETOOBIG, "reader: one byte over the cap: too-large, from the prefix alone");
	T_OK(fl == 0 && need == 0, "reader: too-large leaves frame_len and need 0");
	p[0] = 0xff;
	p[1] = 0xff;
	T_EQ(pt_link_frame_scan(p, 2, &fl, &need), PT_ETOOBIG, "reader: prefix ffff: too-large");
	p[0] = 0;
	p[1] = 0;
	T_EQ(pt_link_frame_scan(p, 2, &fl, &need), PT_EMALFORMED, "reader: prefix 0000: malformed");
	p[1] = 1;
	T_EQ(pt_link_frame_scan(p, 2, &fl, &need), PT_EMALFORMED, "reader: prefix 0001: malformed");
	p[1] = 2;
	p[2] = 9;
	p[3] = 9;
	T_OK(pt_link_frame_scan(p, 4, &fl, &need) == PT_OK && fl == 4,
	     "reader: a header-only frame of an unknown version is still delimited");
	T_OK(pt_link_frame_scan(NULL, 0, &fl, &need) == PT_OK && fl == 0 && need == 2,
	     "reader: nothing yet: need 2");
	T_OK(pt_link_frame_scan(p, 1, &fl, &need) == PT_OK && fl == 0 && need == 1,
	     "reader: one byte: need 1");
}

/* ---- (d) frames that are not right ---- */

static void
test_bad_frames(void)
{
	static uint8_t f[PT_LINK_FRAME_MAX + 64];
	struct pt_link_msg m;
	struct pt_link_frame fr;
	uint8_t body[8];
	size_t i, k, n;
	bool ok;
	int r;

	/* Every truncation of every sample: refused, output zeroed. */
	for (i = 0; i < N_SAMPLES; i++) {
		ok = true;
		for (k = 0; k < samples[i].len; k++) {
			r = decode(samples[i].f, k, &m);
			if (r == PT_OK || !is_zero(&m, sizeof(m)))
				ok = false;
			r = decode_as(samples[i].m.type, samples[i].f, k, &m);
			if (r == PT_OK || !is_zero(&m.u, member_size(samples[i].m.type)))
				ok = false;
		}
		T_OK(ok, "%s: all %zu truncations refused, outputs zeroed", samples[i].name, samples[i].len);
	}

	/* Nothing at all: refused without looking at the (valid) bytes
	 * behind the pointer (an early version compared the announced length
	 * of an incomplete prefix, 0, with len 0 and read on). */
	T_EQ(pt_link_frame_parse(samples[0].f, 0, &fr), PT_EMALFORMED, "frame_parse of 0 bytes: malformed");
	T_EQ(pt_link_frame_parse(samples[0].f, 1, &fr), PT_EMALFORMED, "frame_parse of 1 byte: malformed");
	T_EQ(pt_link_hello_decode(samples[0].f, 0, &m.u.hello), PT_EMALFORMED, "HELLO decode of 0 bytes: malformed");

	/* Bytes after the frame (the prefix is right, the length given is
	 * not): the decoders take exactly one frame. */
	for (i = 0; i < N_SAMPLES; i++) {
		memcpy(f, samples[i].f, samples[i].len);
		f[samples[i].len] = 0;
		T_EQ(decode(f, samples[i].len + 1, &m), PT_EMALFORMED, "%s: one byte after the frame: malformed",
		     samples[i].name);
	}

	/* A frame whose prefix is 1 more than its body: truncated. */
	memcpy(f, samples[2].f, samples[2].len);
	f[1]++;
	T_EQ(decode(f, samples[2].len, &m), PT_EMALFORMED, "prefix one more than the bytes: malformed");
	f[1] -= 2;
	T_EQ(decode(f, samples[2].len, &m), PT_EMALFORMED, "prefix one less than the bytes: malformed");

	/* Oversized: more than the cap is refused before anything else. */
	memset(f, 0, sizeof(f));
	T_EQ(decode(f, PT_LINK_FRAME_MAX + 1, &m), PT_ETOOBIG, "a frame of cap + 1 bytes: too-large");
	T_EQ(pt_link_frame_parse(f, PT_LINK_FRAME_MAX + 64, &fr), PT_ETOOBIG, "frame_parse: cap + 64: too-large");
	T_OK(is_zero(&fr, sizeof(fr)), "frame_parse: header zeroed on refusal");
	n = mkframe(f, PT_LINK_VERSION, PT_LINK_HELLO, body, 0);
	f[0] = (PT_LINK_FRAME_MAX - 1) >> 8;
	f[1] = (PT_LINK_FRAME_MAX - 1) & 0xff;
	T_EQ(decode(f, PT_LINK_FRAME_MAX + 1, &m), PT_ETOOBIG, "prefix and length agreeing at cap + 1: too-large");

	/* Versions: only 1. */
	for (i = 0; i < 256; i++) {
		if (i == PT_LINK_VERSION)
			continue;
		memcpy(f, samples[0].f, samples[0].len);
		f[2] = (uint8_t)i;
		r = decode(f, samples[0].len, &m);
		if (r != PT_EUNSUPPORTED)
			break;
	}
	T_EQ(i, 256, "every version but 1: unsupported");
	memcpy(f, samples[5].f, samples[5].len);
	f[2] = 2;
	T_EQ(decode(f, samples[5].len, &m), PT_EUNSUPPORTED, "a full PROOF of version 2: unsupported");
	T_OK(is_zero(&m, sizeof(m)), "version 2: output zeroed");

	/* Types: 1..7 only; and each decoder only its own. */
	for (i = 0; i < 256; i++) {
		if (i >= PT_LINK_HELLO && i <= PT_LINK_TYPE_MAX)
			continue;
		memcpy(f, samples[0].f, samples[0].len);
		f[3] = (uint8_t)i;
		if (decode(f, samples[0].len, &m) != PT_EMALFORMED)
			break;
	}
	T_EQ(i, 256, "every type outside 1..7: malformed");
	for (i = 0; i < N_SAMPLES; i++) {
		uint8_t t;
		ok = true;
		for (t = PT_LINK_HELLO; t <= PT_LINK_TYPE_MAX; t++) {
			if (t == samples[i].m.type)
				continue;
			if (decode_as(t, samples[i].f, samples[i].len, &m) != PT_EMALFORMED ||
			    !is_zero(&m.u, member_size(t)))
				ok = false;
		}
		T_OK(ok, "%s: every other type's decoder refuses it", samples[i].name);
	}
	/* A HELLO body under the CHALLENGE type. */
	memcpy(f, samples[0].f, samples[0].len);
	f[3] = PT_LINK_CHALLENGE;
	T_EQ(decode(f, samples[0].len, &m), PT_EMALFORMED, "a HELLO body typed CHALLENGE: malformed");
	/* Header only, no body. */
	n = mkframe(f, PT_LINK_VERSION, PT_LINK_HELLO, body, 0);
	T_EQ(decode(f, n, &m), PT_EMALFORMED, "a frame with no body: malformed");

	/* Garbage: random bytes with a right prefix, and fully random. */
	ok = true;
	for (i = 0; i < 20000; i++) {
		size_t len = 4 + rnd() % 300;
		for (k = 0; k < len; k++)
			f[k] = (uint8_t)rnd();
		if (i % 2 == 0) {
			f[0] = (uint8_t)((len - 2) >> 8);
			f[1] = (uint8_t)(len - 2);
			f[2] = PT_LINK_VERSION;
			f[3] = (uint8_t)(1 + i % PT_LINK_TYPE_MAX);
		}
		r = decode(f, len, &m);
		if (r > 0 || r <= -PT_ERR_COUNT_ || (r != PT_OK && !is_zero(&m, sizeof(m)))) {
			ok = false;
			break;
		}
	}
	T_OK(ok, "20000 garbage frames: each a PT_E* with a zeroed output (or a valid message)");
}

/* ---- (e) bodies: keys, types, ranges, encodings ---- */

enum vk { V_UINT, V_INT, V_TEXT, V_BYTES, V_BOOL, V_RAW, V_ARRAY_TEXT };
struct kv {
	int64_t key;
	enum vk kind;
	int64_t i;
	const void *p;
	size_t len;
};

/* A body map of the pairs, in the order given, with a head of map_n pairs
 * (-1: the number of pairs). */
static size_t
body_of(uint8_t *out, size_t cap, const struct kv *kv, size_t n, long map_n)
{
	struct pt_cbor_wr w;
	size_t i, k;

	pt_cbor_wr_init(&w, out, cap);
	pt_cbor_put_map(&w, map_n < 0 ? n : (size_t)map_n);
	for (i = 0; i < n; i++) {
		pt_cbor_put_int(&w, kv[i].key);
		switch (kv[i].kind) {
		case V_UINT:
		case V_INT:
			pt_cbor_put_int(&w, kv[i].i);
			break;
		case V_TEXT:
			pt_cbor_put_text(&w, kv[i].p, kv[i].len);
			break;
		case V_BYTES:
			pt_cbor_put_bytes(&w, kv[i].p, kv[i].len);
			break;
		case V_BOOL:
			pt_cbor_put_bool(&w, kv[i].i != 0);
			break;
		case V_RAW:
			pt_cbor_put_raw(&w, kv[i].p, kv[i].len);
			break;
		case V_ARRAY_TEXT:
			pt_cbor_put_array(&w, (size_t)kv[i].i);
			for (k = 0; k < (size_t)kv[i].i; k++)
				pt_cbor_put_text(&w, kv[i].p, kv[i].len);
			break;
		}
	}
	if (pt_cbor_wr_status(&w) != PT_OK) {
		printf("Bail out! body_of overflow\n");
		exit(1);
	}
	return w.len;
}

struct bcase {
	const char *what;
	struct kv kv[9];
	size_t n;
	long map_n;
	int want;
};

static void
run_cases(uint8_t type, const char *tname, const struct bcase *c, size_t n_cases)
{
	static uint8_t body[PT_LINK_FRAME_MAX], f[PT_LINK_FRAME_MAX + 8];
	struct pt_link_msg m, d;
	size_t i, bn, fn, rn;
	int r;

	for (i = 0; i < n_cases; i++) {
		/* map_n: 0 the number of pairs, -2 a head of 0, else that head */
		bn = body_of(body, sizeof(body), c[i].kv, c[i].n,
			     c[i].map_n == 0 ? -1 : c[i].map_n == -2 ? 0 : c[i].map_n);
		fn = mkframe(f, PT_LINK_VERSION, type, body, bn);
		r = decode_as(type, f, fn, &m);
		if (c[i].want == PT_OK) {
			uint8_t re[PT_LINK_FRAME_MAX];
			T_EQ(r, PT_OK, "%s %s: accepted", tname, c[i].what);
			/* What is accepted is exactly what the encoder writes. */
			m.type = type;
			if (r == PT_OK && type == PT_LINK_DECISION &&
			    m.u.decision.reason <= -PT_ERR_COUNT_)
				T_OK(strlen(m.u.decision.code) > 0,
				     "%s %s: an unknown reason keeps its code ('%s')", tname, c[i].what,
				     m.u.decision.code);
			else if (r == PT_OK)
				T_OK(pt_link_encode(&m, re, sizeof(re), &rn) == PT_OK && rn == fn &&
					     memcmp(re, f, fn) == 0 && decode(re, rn, &d) == PT_OK &&
					     msg_equal(&m, &d),
				     "%s %s: re-encodes to the same bytes", tname, c[i].what);
		} else {
			T_OK(r == c[i].want && is_zero(&m.u, member_size(type)),
			     "%s %s: %s (got %s), output zeroed", tname, c[i].what,
			     pt_err_code(c[i].want), pt_err_code(r));
		}
	}
}

#define U(k, v) {(k), V_UINT, (int64_t)(v), NULL, 0}
#define I(k, v) {(k), V_INT, (int64_t)(v), NULL, 0}
#define TX(k, s) {(k), V_TEXT, 0, (s), sizeof(s) - 1}
#define BY(k, p, n) {(k), V_BYTES, 0, (p), (n)}
#define BO(k, v) {(k), V_BOOL, (v), NULL, 0}
#define RAW(k, s) {(k), V_RAW, 0, (s), sizeof(s) - 1}
#define NOTES(k, n, s) {(k), V_ARRAY_TEXT, (n), (s), sizeof(s) - 1}

static uint8_t n31[31], n32[32], n33[33], s63[63], s64[64], s65[65], chain1[1];
static char id64[PT_ID_MAX + 1], id65[PT_ID_MAX + 2], note280[PT_NOTE_MAX + 1],
	note281[PT_NOTE_MAX + 2], code32[PT_LINK_CODE_MAX + 1], code33[PT_LINK_CODE_MAX + 2];

static void
test_bodies(void)
{
	static uint8_t chain_max[PT_CHAIN_SIZE_MAX + 1];

	memset(id64, 'i', PT_ID_MAX);
	memset(id65, 'i', PT_ID_MAX + 1);
	memset(note280, 'n', PT_NOTE_MAX);
	memset(note281, 'n', PT_NOTE_MAX + 1);
	memset(code32, 'z', PT_LINK_CODE_MAX);
	memset(code33, 'z', PT_LINK_CODE_MAX + 1);
	memcpy(n32, nonce_a, 32);

	{
		const struct bcase c[] = {
			{"{}", {{0}}, 0, 0, PT_OK},
			{"{1: \"front\"}", {TX(1, "front")}, 1, 0, PT_OK},
			{"{1: 64-byte id}", {{1, V_TEXT, 0, id64, PT_ID_MAX}}, 1, 0, PT_OK},
			{"{1: 65-byte id}", {{1, V_TEXT, 0, id65, PT_ID_MAX + 1}}, 1, 0, PT_EMALFORMED},
			{"{1: \"\"}", {{1, V_TEXT, 0, "", 0}}, 1, 0, PT_EMALFORMED},
			{"{1: \"a/b\"}", {TX(1, "a/b")}, 1, 0, PT_EMALFORMED},
			{"{1: h'66'}", {BY(1, "f", 1)}, 1, 0, PT_EMALFORMED},
			{"{1: 1}", {U(1, 1)}, 1, 0, PT_EMALFORMED},
			{"{2: \"front\"} (unknown key)", {TX(2, "front")}, 1, 0, PT_EMALFORMED},
			{"{0: \"front\"} (unknown key)", {TX(0, "front")}, 1, 0, PT_EMALFORMED},
			{"{-1: \"front\"} (unknown key)", {TX(-1, "front")}, 1, 0, PT_EMALFORMED},
			{"{1: .., 1: ..} (duplicate)", {TX(1, "a"), TX(1, "b")}, 2, 0, PT_EMALFORMED},
			{"{1: .., 2: ..}", {TX(1, "a"), TX(2, "b")}, 2, 0, PT_EMALFORMED},
			{"map(1) with no pair", {{0}}, 0, 1, PT_EMALFORMED},
			{"{1: \"a\"} with a map head of 0", {TX(1, "a")}, 1, -2, PT_EMALFORMED},
		};
		run_cases(PT_LINK_HELLO, "HELLO", c, sizeof(c) / sizeof(c[0]));
	}
	{
		const struct bcase c[] = {
			{"complete", {TX(1, HUB), BY(2, n32, 32), U(3, T0), U(4, 5000)}, 4, 0, PT_OK},
			{"without time", {TX(1, HUB), BY(2, n32, 32), U(4, 5000)}, 3, 0, PT_OK},
			{"time 0", {TX(1, HUB), BY(2, n32, 32), U(3, 0), U(4, 5000)}, 4, 0, PT_OK},
			{"time PT_TIME_MAX", {TX(1, HUB), BY(2, n32, 32), U(3, PT_TIME_MAX), U(4, 1)}, 4, 0, PT_OK},
			{"time PT_TIME_MAX + 1", {TX(1, HUB), BY(2, n32, 32), U(3, PT_TIME_MAX + 1), U(4, 1)}, 4, 0, PT_EMALFORMED},
			{"time -1", {TX(1, HUB), BY(2, n32, 32), I(3, -1), U(4, 1)}, 4, 0, PT_EMALFORMED},
			{"time as text", {TX(1, HUB), BY(2, n32, 32), TX(3, "now"), U(4, 1)}, 4, 0, PT_EMALFORMED},
			{"time true", {TX(1, HUB), BY(2, n32, 32), BO(3, 1), U(4, 1)}, 4, 0, PT_EMALFORMED},
			{"expiry 60000", {TX(1, HUB), BY(2, n32, 32), U(4, 60000)}, 3, 0, PT_OK},
			{"expiry 60001", {TX(1, HUB), BY(2, n32, 32), U(4, 60001)}, 3, 0, PT_EMALFORMED},
			{"expiry 0", {TX(1, HUB), BY(2, n32, 32), U(4, 0)}, 3, 0, PT_EMALFORMED},
			{"expiry -5", {TX(1, HUB), BY(2, n32, 32), I(4, -5)}, 3, 0, PT_EMALFORMED},
			{"expiry 2^32", {TX(1, HUB), BY(2, n32, 32), U(4, 4294967296LL)}, 3, 0, PT_EMALFORMED},
			{"expiry non-shortest (1a 00001388)", {TX(1, HUB), BY(2, n32, 32), RAW(4, "\x1a\x00\x00\x13\x88")}, 3, 0, PT_EMALFORMED},
			{"no hub id", {BY(2, n32, 32), U(4, 5000)}, 2, 0, PT_EMALFORMED},
			{"no nonce", {TX(1, HUB), U(4, 5000)}, 2, 0, PT_EMALFORMED},
			{"no expiry", {TX(1, HUB), BY(2, n32, 32), U(3, T0)}, 3, 0, PT_EMALFORMED},
			{"hub id 64 bytes", {{1, V_TEXT, 0, id64, PT_ID_MAX}, BY(2, n32, 32), U(4, 5000)}, 3, 0, PT_OK},
			{"hub id 65 bytes", {{1, V_TEXT, 0, id65, PT_ID_MAX + 1}, BY(2, n32, 32), U(4, 5000)}, 3, 0, PT_EMALFORMED},
			{"hub id as bytes", {BY(1, HUB, sizeof(HUB) - 1), BY(2, n32, 32), U(4, 5000)}, 3, 0, PT_EMALFORMED},
			{"hub id with a NUL", {{1, V_TEXT, 0, "hub\0x", 5}, BY(2, n32, 32), U(4, 5000)}, 3, 0, PT_EMALFORMED},
			{"nonce 31 bytes", {TX(1, HUB), BY(2, n31, 31), U(4, 5000)}, 3, 0, PT_EMALFORMED},
			{"nonce 33 bytes", {TX(1, HUB), BY(2, n33, 33), U(4, 5000)}, 3, 0, PT_EMALFORMED},
			{"nonce as text", {TX(1, HUB), {2, V_TEXT, 0, "0123456789abcdef0123456789abcdef", 32}, U(4, 5000)}, 3, 0, PT_EMALFORMED},
			{"nonce tagged", {TX(1, HUB), RAW(2, "\xd8\x40\x41\x00"), U(4, 5000)}, 3, 0, PT_EMALFORMED},
			{"unknown key 5", {TX(1, HUB), BY(2, n32, 32), U(4, 5000), U(5, 0)}, 4, 0, PT_EMALFORMED},
			{"unknown key 0", {U(0, 0), TX(1, HUB), BY(2, n32, 32), U(4, 5000)}, 4, 0, PT_EMALFORMED},
			{"unknown key -65537", {TX(1, HUB), BY(2, n32, 32), U(4, 5000), U(-65537, 0)}, 4, 0, PT_EMALFORMED},
			{"keys out of order", {BY(2, n32, 32), TX(1, HUB), U(4, 5000)}, 3, 0, PT_EMALFORMED},
			{"duplicate key", {TX(1, HUB), BY(2, n32, 32), BY(2, n32, 32), U(4, 5000)}, 4, 0, PT_EMALFORMED},
			{"five pairs", {TX(1, HUB), BY(2, n32, 32), U(3, 1), U(4, 5000), U(5, 1)}, 5, 0, PT_EMALFORMED},
			{"map head says 4, 3 pairs", {TX(1, HUB), BY(2, n32, 32), U(4, 5000)}, 3, 4, PT_EMALFORMED},
			{"map head says 2, 3 pairs", {TX(1, HUB), BY(2, n32, 32), U(4, 5000)}, 3, 2, PT_EMALFORMED},
		};
		run_cases(PT_LINK_CHALLENGE, "CHALLENGE", c, sizeof(c) / sizeof(c[0]));
	}
	{
		const struct bcase c[] = {
			{"complete", {BY(1, n32, 32), BY(2, big_chain, 100), BY(3, s64, 64)}, 3, 0, PT_OK},
			{"chain 1 byte", {BY(1, n32, 32), BY(2, chain1, 1), BY(3, s64, 64)}, 3, 0, PT_OK},
			{"chain 2048 bytes", {BY(1, n32, 32), BY(2, chain_max, PT_CHAIN_SIZE_MAX), BY(3, s64, 64)}, 3, 0, PT_OK},
			{"chain 2049 bytes", {BY(1, n32, 32), BY(2, chain_max, PT_CHAIN_SIZE_MAX + 1), BY(3, s64, 64)}, 3, 0, PT_ETOOBIG},
			{"chain empty", {BY(1, n32, 32), BY(2, chain1, 0), BY(3, s64, 64)}, 3, 0, PT_EMALFORMED},
			{"chain as array", {BY(1, n32, 32), RAW(2, "\x81\x41\x00"), BY(3, s64, 64)}, 3, 0, PT_EMALFORMED},
			{"sig 63 bytes", {BY(1, n32, 32), BY(2, chain1, 1), BY(3, s63, 63)}, 3, 0, PT_EMALFORMED},
			{"sig 65 bytes", {BY(1, n32, 32), BY(2, chain1, 1), BY(3, s65, 65)}, 3, 0, PT_EMALFORMED},
			{"sig as text", {BY(1, n32, 32), BY(2, chain1, 1), {3, V_TEXT, 0, note280, 64}}, 3, 0, PT_EMALFORMED},
			{"nonce 31 bytes", {BY(1, n31, 31), BY(2, chain1, 1), BY(3, s64, 64)}, 3, 0, PT_EMALFORMED},
			{"no nonce", {BY(2, chain1, 1), BY(3, s64, 64)}, 2, 0, PT_EMALFORMED},
			{"no chain", {BY(1, n32, 32), BY(3, s64, 64)}, 2, 0, PT_EMALFORMED},
			{"no signature", {BY(1, n32, 32), BY(2, chain1, 1)}, 2, 0, PT_EMALFORMED},
			{"empty map", {{0}}, 0, 0, PT_EMALFORMED},
			{"unknown key 4", {BY(1, n32, 32), BY(2, chain1, 1), BY(3, s64, 64), U(4, 0)}, 4, 0, PT_EMALFORMED},
			{"unknown key instead of 3", {BY(1, n32, 32), BY(2, chain1, 1), BY(4, s64, 64)}, 3, 0, PT_EMALFORMED},
			{"keys out of order", {BY(2, chain1, 1), BY(1, n32, 32), BY(3, s64, 64)}, 3, 0, PT_EMALFORMED},
			{"duplicate chain", {BY(1, n32, 32), BY(2, chain1, 1), BY(2, chain1, 1)}, 3, 0, PT_EMALFORMED},
			{"chain with a non-shortest head", {BY(1, n32, 32), RAW(2, "\x58\x01\x00"), BY(3, s64, 64)}, 3, 0, PT_EMALFORMED},
			{"chain indefinite", {BY(1, n32, 32), RAW(2, "\x5f\x41\x00\xff"), BY(3, s64, 64)}, 3, 0, PT_EMALFORMED},
			{"chain length past the frame", {BY(1, n32, 32), RAW(2, "\x59\x08\x00\x00"), }, 2, 3, PT_EMALFORMED},
		};
		run_cases(PT_LINK_PROOF, "PROOF", c, sizeof(c) / sizeof(c[0]));
	}
	{
		const struct bcase c[] = {
			{"grant, bare", {I(1, 0), TX(2, "ok")}, 2, 0, PT_OK},
			{"grant, everything", {I(1, 0), TX(2, "ok"), NOTES(4, 2, "dog inside"), U(5, 3), U(6, 60), U(7, 30)}, 6, 0, PT_OK},
			{"grant, four notes of 280", {I(1, 0), TX(2, "ok"), {4, V_ARRAY_TEXT, 4, note280, PT_NOTE_MAX}}, 3, 0, PT_OK},
			{"grant, a note of 281", {I(1, 0), TX(2, "ok"), {4, V_ARRAY_TEXT, 1, note281, PT_NOTE_MAX + 1}}, 3, 0, PT_EMALFORMED},
			{"grant, five notes", {I(1, 0), TX(2, "ok"), NOTES(4, 5, "x")}, 3, 0, PT_EMALFORMED},
			{"grant, zero notes", {I(1, 0), TX(2, "ok"), NOTES(4, 0, "x")}, 3, 0, PT_EMALFORMED},
			{"grant, an empty note", {I(1, 0), TX(2, "ok"), {4, V_ARRAY_TEXT, 1, "", 0}}, 3, 0, PT_EMALFORMED},
			{"grant, a note with ESC", {I(1, 0), TX(2, "ok"), NOTES(4, 1, "\x1b[2J")}, 3, 0, PT_EMALFORMED},
			{"grant, a note with a C1 control", {I(1, 0), TX(2, "ok"), NOTES(4, 1, "a\xc2\x9b" "b")}, 3, 0, PT_EMALFORMED},
			{"grant, notes not an array", {I(1, 0), TX(2, "ok"), TX(4, "dog")}, 3, 0, PT_EMALFORMED},
			{"grant, notes of bytes", {I(1, 0), TX(2, "ok"), RAW(4, "\x81\x41\x61")}, 3, 0, PT_EMALFORMED},
			{"grant naming a link", {I(1, 0), TX(2, "ok"), U(3, 0)}, 3, 0, PT_EMALFORMED},
			{"grant, cond 4 (unknown bit)", {I(1, 0), TX(2, "ok"), U(5, 4)}, 3, 0, PT_EMALFORMED},
			{"grant, cond 0", {I(1, 0), TX(2, "ok"), U(5, 0)}, 3, 0, PT_EMALFORMED},
			{"grant, door-open 86400", {I(1, 0), TX(2, "ok"), U(6, 86400)}, 3, 0, PT_OK},
			{"grant, door-open 86401", {I(1, 0), TX(2, "ok"), U(6, 86401)}, 3, 0, PT_EMALFORMED},
			{"grant, door-open 0", {I(1, 0), TX(2, "ok"), U(6, 0)}, 3, 0, PT_EMALFORMED},
			{"grant, relock 3600", {I(1, 0), TX(2, "ok"), U(7, 3600)}, 3, 0, PT_OK},
			{"grant, relock 3601", {I(1, 0), TX(2, "ok"), U(7, 3601)}, 3, 0, PT_EMALFORMED},
			{"grant, code \"granted\"", {I(1, 0), TX(2, "granted")}, 2, 0, PT_EMALFORMED},
			{"refusal with link 3", {I(1, -2), TX(2, "bad-signature"), U(3, 3)}, 3, 0, PT_OK},
			{"refusal with link 4", {I(1, -2), TX(2, "bad-signature"), U(3, 4)}, 3, 0, PT_EMALFORMED},
			{"refusal with link -1 on the wire", {I(1, -2), TX(2, "bad-signature"), I(3, -1)}, 3, 0, PT_EMALFORMED},
			{"refusal with notes", {I(1, -15), TX(2, "camera-unhealthy"), NOTES(4, 1, "dog inside")}, 3, 0, PT_OK},
			{"refusal with cond", {I(1, -15), TX(2, "camera-unhealthy"), U(5, 1)}, 3, 0, PT_EMALFORMED},
			{"refusal with door-open", {I(1, -8), TX(2, "expired"), U(6, 60)}, 3, 0, PT_EMALFORMED},
			{"refusal with relock", {I(1, -8), TX(2, "expired"), U(7, 30)}, 3, 0, PT_EMALFORMED},
			{"refusal with another reason's code", {I(1, -8), TX(2, "revoked")}, 2, 0, PT_EMALFORMED},
			{"refusal with the code of ok", {I(1, -8), TX(2, "ok")}, 2, 0, PT_EMALFORMED},
			{"unknown reason -200, new code", {I(1, -200), TX(2, "door-jammed")}, 2, 0, PT_OK},
			{"the first unknown reason, new code, link", {I(1, -PT_ERR_COUNT_), TX(2, "new-thing"), U(3, 1)}, 3, 0, PT_OK},
			{"unknown reason with a known code", {I(1, -200), TX(2, "expired")}, 2, 0, PT_EMALFORMED},
			{"reason -255", {I(1, -255), TX(2, "x")}, 2, 0, PT_OK},
			{"reason -256", {I(1, -256), TX(2, "x")}, 2, 0, PT_EMALFORMED},
			{"reason 1", {I(1, 1), TX(2, "x")}, 2, 0, PT_EMALFORMED},
			{"reason as text", {TX(1, "ok"), TX(2, "ok")}, 2, 0, PT_EMALFORMED},
			{"code 32 bytes", {I(1, -200), {2, V_TEXT, 0, code32, PT_LINK_CODE_MAX}}, 2, 0, PT_OK},
			{"code 33 bytes", {I(1, -200), {2, V_TEXT, 0, code33, PT_LINK_CODE_MAX + 1}}, 2, 0, PT_EMALFORMED},
			{"code with capitals", {I(1, -200), TX(2, "Door-Jammed")}, 2, 0, PT_EMALFORMED},
			{"code empty", {I(1, -200), {2, V_TEXT, 0, "", 0}}, 2, 0, PT_EMALFORMED},
			{"code as bytes", {I(1, 0), BY(2, "ok", 2)}, 2, 0, PT_EMALFORMED},
			{"no code", {I(1, 0)}, 1, 0, PT_EMALFORMED},
			{"no reason", {TX(2, "ok")}, 1, 0, PT_EMALFORMED},
			{"unknown key 8", {I(1, 0), TX(2, "ok"), U(8, 1)}, 3, 0, PT_EMALFORMED},
			{"keys out of order", {TX(2, "ok"), I(1, 0)}, 2, 0, PT_EMALFORMED},
			{"eight pairs", {I(1, 0), TX(2, "ok"), NOTES(4, 1, "x"), U(5, 1), U(6, 1), U(7, 1), U(8, 1), U(9, 1)}, 8, 0, PT_EMALFORMED},
		};
		run_cases(PT_LINK_DECISION, "DECISION", c, sizeof(c) / sizeof(c[0]));
	}
	{
		const struct bcase c[] = {
			{"malformed", {I(1, -1), TX(2, "malformed")}, 2, 0, PT_OK},
			{"too-large", {I(1, -22), TX(2, "too-large")}, 2, 0, PT_OK},
			{"unsupported, version 1", {I(1, -21), TX(2, "unsupported"), U(4, 1)}, 3, 0, PT_OK},
			{"unsupported, version 255", {I(1, -21), TX(2, "unsupported"), U(4, 255)}, 3, 0, PT_OK},
			{"unsupported, version 256", {I(1, -21), TX(2, "unsupported"), U(4, 256)}, 3, 0, PT_EMALFORMED},
			{"unsupported, version 0", {I(1, -21), TX(2, "unsupported"), U(4, 0)}, 3, 0, PT_EMALFORMED},
			{"unsupported, no version", {I(1, -21), TX(2, "unsupported")}, 2, 0, PT_EMALFORMED},
			{"locked-out, retry 30000", {I(1, -18), TX(2, "locked-out"), U(3, 30000)}, 3, 0, PT_OK},
			{"locked-out, retry 0", {I(1, -18), TX(2, "locked-out"), U(3, 0)}, 3, 0, PT_EMALFORMED},
			{"locked-out, retry a day + 1 ms", {I(1, -18), TX(2, "locked-out"), U(3, 86400001)}, 3, 0, PT_EMALFORMED},
			{"locked-out, no retry", {I(1, -18), TX(2, "locked-out")}, 2, 0, PT_EMALFORMED},
			{"locked-out, with a version", {I(1, -18), TX(2, "locked-out"), U(3, 5), U(4, 1)}, 4, 0, PT_EMALFORMED},
			{"malformed, with a retry", {I(1, -1), TX(2, "malformed"), U(3, 5)}, 3, 0, PT_EMALFORMED},
			{"too-large, with a version", {I(1, -22), TX(2, "too-large"), U(4, 1)}, 3, 0, PT_EMALFORMED},
			{"bad-signature", {I(1, -2), TX(2, "bad-signature")}, 2, 0, PT_EMALFORMED},
			{"ok", {I(1, 0), TX(2, "ok")}, 2, 0, PT_EMALFORMED},
			{"reason -200", {I(1, -200), TX(2, "x")}, 2, 0, PT_EMALFORMED},
			{"wrong code", {I(1, -1), TX(2, "too-large")}, 2, 0, PT_EMALFORMED},
			{"retry as text", {I(1, -18), TX(2, "locked-out"), TX(3, "30")}, 3, 0, PT_EMALFORMED},
			{"unknown key 5", {I(1, -1), TX(2, "malformed"), U(5, 1)}, 3, 0, PT_EMALFORMED},
			{"keys out of order", {TX(2, "malformed"), I(1, -1)}, 2, 0, PT_EMALFORMED},
		};
		run_cases(PT_LINK_ERROR, "ERROR", c, sizeof(c) / sizeof(c[0]));
	}
	{
		static uint8_t st_max[PT_ENVELOPE_SIZE_MAX + 1];
		const struct bcase c[] = {
			{"complete", {TX(1, HOME), BY(2, n32, 32), BY(3, big_chain, 100)}, 3, 0, PT_OK},
			{"statement 1 byte", {TX(1, HOME), BY(2, n32, 32), BY(3, chain1, 1)}, 3, 0, PT_OK},
			{"statement 512 bytes", {TX(1, HOME), BY(2, n32, 32), BY(3, st_max, PT_ENVELOPE_SIZE_MAX)}, 3, 0, PT_OK},
			{"statement 513 bytes", {TX(1, HOME), BY(2, n32, 32), BY(3, st_max, PT_ENVELOPE_SIZE_MAX + 1)}, 3, 0, PT_ETOOBIG},
			{"statement empty", {TX(1, HOME), BY(2, n32, 32), BY(3, chain1, 0)}, 3, 0, PT_EMALFORMED},
			{"statement as text", {TX(1, HOME), BY(2, n32, 32), TX(3, "statement")}, 3, 0, PT_EMALFORMED},
			{"home 64 bytes", {{1, V_TEXT, 0, id64, PT_ID_MAX}, BY(2, n32, 32), BY(3, chain1, 1)}, 3, 0, PT_OK},
			{"home 65 bytes", {{1, V_TEXT, 0, id65, PT_ID_MAX + 1}, BY(2, n32, 32), BY(3, chain1, 1)}, 3, 0, PT_EMALFORMED},
			{"home \"a/b\"", {TX(1, "a/b"), BY(2, n32, 32), BY(3, chain1, 1)}, 3, 0, PT_EMALFORMED},
			{"home as bytes", {BY(1, HOME, sizeof(HOME) - 1), BY(2, n32, 32), BY(3, chain1, 1)}, 3, 0, PT_EMALFORMED},
			{"owner 31 bytes", {TX(1, HOME), BY(2, n31, 31), BY(3, chain1, 1)}, 3, 0, PT_EMALFORMED},
			{"owner 33 bytes", {TX(1, HOME), BY(2, n33, 33), BY(3, chain1, 1)}, 3, 0, PT_EMALFORMED},
			{"owner as text", {TX(1, HOME), {2, V_TEXT, 0, "0123456789abcdef0123456789abcdef", 32}, BY(3, chain1, 1)}, 3, 0, PT_EMALFORMED},
			{"no home", {BY(2, n32, 32), BY(3, chain1, 1)}, 2, 0, PT_EMALFORMED},
			{"no owner", {TX(1, HOME), BY(3, chain1, 1)}, 2, 0, PT_EMALFORMED},
			{"no statement", {TX(1, HOME), BY(2, n32, 32)}, 2, 0, PT_EMALFORMED},
			{"empty map", {{0}}, 0, 0, PT_EMALFORMED},
			{"unknown key 4", {TX(1, HOME), BY(2, n32, 32), BY(3, chain1, 1), U(4, 0)}, 4, 0, PT_EMALFORMED},
			{"unknown key instead of 3", {TX(1, HOME), BY(2, n32, 32), BY(4, chain1, 1)}, 3, 0, PT_EMALFORMED},
			{"keys out of order", {BY(2, n32, 32), TX(1, HOME), BY(3, chain1, 1)}, 3, 0, PT_EMALFORMED},
			{"duplicate key", {TX(1, HOME), BY(2, n32, 32), BY(2, n32, 32)}, 3, 0, PT_EMALFORMED},
			{"statement indefinite", {TX(1, HOME), BY(2, n32, 32), RAW(3, "\x5f\x41\x00\xff")}, 3, 0, PT_EMALFORMED},
			{"statement length past the frame", {TX(1, HOME), BY(2, n32, 32), RAW(3, "\x59\x01\x00\x00")}, 3, 0, PT_EMALFORMED},
		};
		run_cases(PT_LINK_PAIR, "PAIR", c, sizeof(c) / sizeof(c[0]));
	}

	/* Bodies that are not one map. */
	{
		static uint8_t f[64];
		struct pt_link_msg m;
		struct {
			const char *what, *hex;
		} raw[] = {
			{"an array", "80"},
			{"a map then a byte", "a0 00"},
			{"two maps", "a0 a0"},
			{"an indefinite map", "bf ff"},
			{"a tagged map", "d8 18 a0"},
			{"a map with a float key", "a1 f9 3c00 01"},
			{"a map head of 2^32 pairs", "bb 0000000100000000"},
			{"null", "f6"},
			{"a map whose value is truncated", "a1 01 65 6672"},
			{"a map with a text key", "a1 61 61 01"},
			{"a map with a bytes key", "a1 41 01 01"},
		};
		uint8_t body[32];
		size_t i, bn, fn;
		uint8_t t;

		for (i = 0; i < sizeof(raw) / sizeof(raw[0]); i++) {
			bool ok = true;
			bn = unhex(raw[i].hex, body, sizeof(body));
			for (t = PT_LINK_HELLO; t <= PT_LINK_TYPE_MAX; t++) {
				fn = mkframe(f, PT_LINK_VERSION, t, body, bn);
				if (decode(f, fn, &m) != PT_EMALFORMED || !is_zero(&m, sizeof(m)))
					ok = false;
			}
			T_OK(ok, "a body that is %s: malformed for every type", raw[i].what);
		}
	}
}

/* ---- (f) every bit flip and every byte value: canonical or refused ---- */

static void
test_mutations(void)
{
	static uint8_t f[PT_LINK_FRAME_MAX];
	struct pt_link_msg m;
	uint8_t re[PT_LINK_FRAME_MAX];
	size_t i, k, rn, accepted;
	unsigned b;
	bool ok;
	int r;

	for (i = 0; i < N_SAMPLES; i++) {
		size_t len = samples[i].len;
		size_t step = len > 300 ? 7 : 1;	/* the largest PROOF: every 7th byte */
		ok = true;
		accepted = 0;
		for (k = 0; k < len && ok; k += step) {
			for (b = 0; b < 8; b++) {
				memcpy(f, samples[i].f, len);
				f[k] ^= (uint8_t)(1u << b);
				r = decode(f, len, &m);
				if (r != PT_OK) {
					if (!is_zero(&m, sizeof(m)) || r > 0 || r <= -PT_ERR_COUNT_)
						ok = false;
					continue;
				}
				accepted++;
				/* Accepted: it must be the canonical encoding of
				 * what it decoded to (unknown reasons aside). */
				if (m.type == PT_LINK_DECISION && m.u.decision.reason <= -PT_ERR_COUNT_)
					continue;
				if (pt_link_encode(&m, re, sizeof(re), &rn) != PT_OK || rn != len ||
				    memcmp(re, f, len) != 0)
					ok = false;
			}
		}
		T_OK(ok, "%s: every bit flip refused (zeroed) or canonical (%zu accepted)", samples[i].name,
		     accepted);
	}
}

/* ---- (g) BLE fragments ---- */

static bool
frag_round_trip(const uint8_t *msg, size_t len, size_t fm, struct pt_link_reasm *ra, bool check_hdr)
{
	uint8_t fr[PT_LINK_BLE_FRAG_MAX + 1];
	size_t count = pt_link_frag_count(len, fm), i, fl;
	bool complete = false;

	if (count == 0)
		return false;
	for (i = 0; i < count; i++) {
		if (pt_link_frag_get(msg, len, fm, i, fr, sizeof(fr), &fl) != PT_OK || fl > fm ||
		    fl < 1)
			return false;
		if (check_hdr) {
			unsigned want = (unsigned)(i & 0xf) | (i == 0 ? 0x80u : 0) |
					(i == count - 1 ? 0x40u : 0);
			if (fr[0] != want)
				return false;
			if (i + 1 < count && fl != fm)
				return false;	/* every fragment but the last is full */
		}
		if (complete)
			return false;
		if (pt_link_reasm_add(ra, fr, fl, &complete) != PT_OK)
			return false;
	}
	return complete && ra->len == len && (len == 0 || memcmp(ra->buf, msg, len) == 0);
}

static void
test_fragments(void)
{
	static uint8_t msg[PT_LINK_FRAME_MAX + PT_LINK_BLE_FRAG_MAX];
	static struct pt_link_reasm ra;
	uint8_t fr[PT_LINK_BLE_FRAG_MAX + 8], fr2[PT_LINK_BLE_FRAG_MAX + 8];
	size_t len, i, fl = 0, fl2 = 0, per = PT_LINK_BLE_FRAG_MAX - 1;
	const size_t fms[] = {PT_LINK_BLE_FRAG_MIN, 23, 182, PT_LINK_BLE_FRAG_MAX};
	bool ok, complete;
	int r;

	for (i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)(i * 7 + 3);
	pt_link_reasm_init(&ra);

	/* Sizes 0 .. 3 * 244 + 1, one reassembler for all (reuse after a
	 * complete message). */
	ok = true;
	for (len = 0; len <= 3 * PT_LINK_BLE_FRAG_MAX + 1 && ok; len++) {
		size_t want = len == 0 ? 1 : (len + per - 1) / per;
		if (pt_link_frag_count(len, PT_LINK_BLE_FRAG_MAX) != want ||
		    !frag_round_trip(msg, len, PT_LINK_BLE_FRAG_MAX, &ra, true))
			ok = false;
	}
	T_OK(ok, "fragments of 244: round trip of every size 0..%d (stopped at %zu)",
	     3 * PT_LINK_BLE_FRAG_MAX + 1, len - 1);
	T_EQ(pt_link_frag_count(0, PT_LINK_BLE_FRAG_MAX), 1, "an empty message: one header-only fragment");
	T_EQ(pt_link_frag_count(243, PT_LINK_BLE_FRAG_MAX), 1, "243 bytes: one fragment");
	T_EQ(pt_link_frag_count(244, PT_LINK_BLE_FRAG_MAX), 2, "244 bytes: two fragments");
	T_EQ(pt_link_frag_count(PT_LINK_FRAME_MAX, PT_LINK_BLE_FRAG_MAX), 9, "the cap: nine fragments");
	T_EQ(pt_link_frag_count(PT_LINK_FRAME_MAX, PT_LINK_BLE_FRAG_MIN), 116,
	     "the cap at the default MTU: 116 fragments (sequence wraps)");

	/* Other fragment sizes (smaller MTUs), whole frames up to the cap. */
	for (i = 0; i < sizeof(fms) / sizeof(fms[0]); i++) {
		ok = true;
		for (len = 0; len <= PT_LINK_FRAME_MAX && ok; len += (len < 600 ? 1 : 97))
			if (!frag_round_trip(msg, len, fms[i], &ra, true))
				ok = false;
		if (ok && !frag_round_trip(msg, PT_LINK_FRAME_MAX, fms[i], &ra, true))
			ok = false;
		T_OK(ok, "fragments of %zu: round trips up to the cap", fms[i]);
	}

	/* Fragmenter arguments. */
	T_EQ(pt_link_frag_count(10, PT_LINK_BLE_FRAG_MIN - 1), 0, "fragment size 19: no fragments");
	T_EQ(pt_link_frag_count(10, PT_LINK_BLE_FRAG_MAX + 1), 0, "fragment size 245: no fragments");
	T_EQ(pt_link_frag_get(msg, 10, PT_LINK_BLE_FRAG_MAX + 1, 0, fr, sizeof(fr), &fl), PT_EINVAL,
	     "frag_get: fragment size 245: invalid");
	T_EQ(pt_link_frag_get(msg, 500, PT_LINK_BLE_FRAG_MAX, 3, fr, sizeof(fr), &fl), PT_EINVAL,
	     "frag_get: index past the last: invalid");
	T_EQ(pt_link_frag_get(msg, PT_LINK_FRAME_MAX + 1, PT_LINK_BLE_FRAG_MAX, 0, fr, sizeof(fr), &fl),
	     PT_EINVAL, "frag_get: a message over the cap: invalid");
	fl = 99;	/* the refusal must set it to 0 */
	T_EQ(pt_link_frag_get(msg, 500, PT_LINK_BLE_FRAG_MAX, 0, fr, PT_LINK_BLE_FRAG_MAX - 1, &fl),
	     PT_ENOSPC, "frag_get: room one byte short: buffer-too-small");
	T_EQ(fl, 0, "frag_get: nothing claimed written");

	/* Reassembler refusals. Fragments of a 600-byte message: 0, 1, 2. */
#define FRAG(i, out, outl) pt_link_frag_get(msg, 600, PT_LINK_BLE_FRAG_MAX, (i), (out), sizeof(out), &(outl))
#define ADD(p, n) pt_link_reasm_add(&ra, (p), (n), &complete)
	pt_link_reasm_init(&ra);
	T_OK(FRAG(0, fr, fl) == PT_OK && FRAG(2, fr2, fl2) == PT_OK, "reasm: fragments 0 and 2 of 600 bytes");
	r = ADD(fr, fl);
	T_OK(r == PT_OK && !complete, "reasm: first fragment taken, not complete");
	T_EQ(ADD(fr2, fl2), PT_EMALFORMED, "reasm: fragment 2 after 0 (a gap, out of order): malformed");
	T_OK(ra.len == 0 && !ra.active, "reasm: the message in progress is dropped");
	T_EQ(FRAG(1, fr2, fl2), PT_OK, "reasm: fragment 1 of 600 bytes");
	T_EQ(ADD(fr2, fl2), PT_EMALFORMED, "reasm: a continuation with no first: malformed");
	T_OK(ADD(fr, fl) == PT_OK && ADD(fr2, fl2) == PT_OK, "reasm: 0 then 1 taken");
	T_EQ(ADD(fr2, fl2), PT_EMALFORMED, "reasm: fragment 1 again (a duplicate): malformed");
	T_OK(ADD(fr, fl) == PT_OK, "reasm: a fresh first fragment starts over after a refusal");
	T_EQ(ADD(fr, fl), PT_EMALFORMED, "reasm: a first fragment in the middle of a message: malformed");
	{
		uint8_t f2[3][PT_LINK_BLE_FRAG_MAX];
		size_t l2[3];
		bool all = true;
		for (i = 0; i < 3; i++)
			if (FRAG(i, f2[i], l2[i]) != PT_OK)
				all = false;
		pt_link_reasm_init(&ra);
		T_OK(all && ADD(f2[0], l2[0]) == PT_OK && ADD(f2[1], l2[1]) == PT_OK &&
			     ADD(f2[2], l2[2]) == PT_OK && complete && ra.len == 600 &&
			     memcmp(ra.buf, msg, 600) == 0,
		     "reasm: 0, 1, 2 in order: the message");
		T_EQ(ADD(f2[2], l2[2]), PT_EMALFORMED, "reasm: the last fragment again after completion: malformed");
		pt_link_reasm_init(&ra);
		T_OK(ADD(f2[0], l2[0]) == PT_OK, "reasm: 0");
		T_EQ(ADD(f2[2], l2[2]), PT_EMALFORMED, "reasm: 2 before 1: malformed");
		pt_link_reasm_init(&ra);
		T_OK(ADD(f2[0], l2[0]) == PT_OK && ADD(f2[1], l2[1]) == PT_OK, "reasm: 0, 1");
		T_EQ(ADD(f2[0], l2[0]), PT_EMALFORMED, "reasm: 0 again before the last: malformed");
		/* A non-last fragment shorter than the first. */
		pt_link_reasm_init(&ra);
		T_OK(ADD(f2[0], l2[0]) == PT_OK, "reasm: 0");
		T_EQ(ADD(f2[1], l2[1] - 1), PT_EMALFORMED, "reasm: a short middle fragment: malformed");
		/* A last fragment longer than the first. */
		pt_link_reasm_init(&ra);
		memcpy(fr2, f2[1], l2[1]);
		fr2[0] |= PT_LINK_FRAG_LAST;
		T_OK(ADD(f2[0], l2[0] - 1) == PT_OK, "reasm: a first fragment of 243 bytes");
		T_EQ(ADD(fr2, l2[1]), PT_EMALFORMED, "reasm: a last fragment longer than the first: malformed");
		/* An empty last fragment after a first. */
		pt_link_reasm_init(&ra);
		fr2[0] = PT_LINK_FRAG_LAST | 1;
		T_OK(ADD(f2[0], l2[0]) == PT_OK, "reasm: 0");
		T_EQ(ADD(fr2, 1), PT_EMALFORMED, "reasm: an empty last fragment: malformed");
		/* First fragment with a sequence number. */
		memcpy(fr2, f2[0], l2[0]);
		fr2[0] |= 1;
		T_EQ(ADD(fr2, l2[0]), PT_EMALFORMED, "reasm: a first fragment with sequence 1: malformed");
		/* Reserved bits. */
		for (i = 0; i < 2; i++) {
			memcpy(fr2, f2[0], l2[0]);
			fr2[0] |= (uint8_t)(0x10u << i);
			T_EQ(ADD(fr2, l2[0]), PT_EMALFORMED, "reasm: reserved bit %zu set: malformed", 4 + i);
		}
		/* A first, non-last fragment below the smallest ATT payload. */
		fr2[0] = PT_LINK_FRAG_FIRST;
		T_EQ(ADD(fr2, PT_LINK_BLE_FRAG_MIN - 1), PT_EMALFORMED,
		     "reasm: a non-last first fragment of 19 bytes: malformed");
		T_OK(ADD(fr2, PT_LINK_BLE_FRAG_MIN) == PT_OK, "reasm: one of 20 bytes: taken");
		pt_link_reasm_init(&ra);
	}
	T_EQ(ADD(fr, 0), PT_EMALFORMED, "reasm: a zero-length write: malformed");
	memset(fr, 0, sizeof(fr));
	fr[0] = PT_LINK_FRAG_FIRST | PT_LINK_FRAG_LAST;
	T_EQ(ADD(fr, PT_LINK_BLE_FRAG_MAX + 1), PT_ETOOBIG, "reasm: a fragment of 245 bytes: too-large");
	T_OK(ADD(fr, 1) == PT_OK && complete && ra.len == 0, "reasm: a header-only first-and-last: an empty message");

	/* A message over the cap: ten full fragments of 244. */
	pt_link_reasm_init(&ra);
	ok = true;
	for (i = 0; i < 9; i++) {
		fr[0] = (uint8_t)(i == 0 ? PT_LINK_FRAG_FIRST : i);
		if (ADD(fr, PT_LINK_BLE_FRAG_MAX) != PT_OK || complete)
			ok = false;
	}
	T_OK(ok && ra.len == PT_LINK_FRAME_MAX, "reasm: nine full fragments: exactly the cap, not complete");
	fr[0] = PT_LINK_FRAG_LAST | 9;
	T_EQ(ADD(fr, 2), PT_ETOOBIG, "reasm: one more byte: too-large");
	T_OK(ra.len == 0 && !ra.active, "reasm: the oversized message is dropped");

	/* Sequence numbers wrap modulo 16 at small fragment sizes. */
	pt_link_reasm_init(&ra);
	T_OK(frag_round_trip(msg, PT_LINK_FRAME_MAX, PT_LINK_BLE_FRAG_MIN, &ra, true),
	     "reasm: 116 fragments of 20, sequence wrapping seven times");
	{
		uint8_t f17[PT_LINK_BLE_FRAG_MAX];
		size_t l17;
		pt_link_reasm_init(&ra);
		ok = true;
		for (i = 0; i < 16; i++) {
			if (pt_link_frag_get(msg, 1000, PT_LINK_BLE_FRAG_MIN, i, fr, sizeof(fr), &fl) != PT_OK ||
			    ADD(fr, fl) != PT_OK)
				ok = false;
		}
		if (pt_link_frag_get(msg, 1000, PT_LINK_BLE_FRAG_MIN, 17, f17, sizeof(f17), &l17) != PT_OK)
			ok = false;
		T_OK(ok, "reasm: fragments 0..15 of 20 bytes");
		T_EQ(ADD(f17, l17), PT_EMALFORMED, "reasm: fragment 17 after 15 (sequence 1 where 0 is due): malformed");
	}
#undef ADD
#undef FRAG

	/* Seeds for fuzz_link: fragment streams as [length byte][fragment]... */
	if (corpus_dir != NULL) {
		static uint8_t stream[4096];
		const struct {
			const char *name;
			size_t sample, fm;
		} fs[] = {
			{"frags_challenge_244", 2, PT_LINK_BLE_FRAG_MAX},
			{"frags_proof_max_244", 5, PT_LINK_BLE_FRAG_MAX},
			{"frags_proof_small_20", 4, PT_LINK_BLE_FRAG_MIN},
			{"frags_decision_185", 6, 182},
		};
		size_t s, sl;
		for (s = 0; s < sizeof(fs) / sizeof(fs[0]); s++) {
			const struct sample *sm = &samples[fs[s].sample];
			sl = 0;
			for (i = 0; i < pt_link_frag_count(sm->len, fs[s].fm); i++) {
				if (pt_link_frag_get(sm->f, sm->len, fs[s].fm, i, stream + sl + 1,
						     sizeof(stream) - sl - 1, &fl) != PT_OK)
					break;
				stream[sl] = (uint8_t)fl;
				sl += 1 + fl;
			}
			write_seed(fs[s].name, stream, sl);
		}
	}
}

/* ---- (h) a whole exchange with the real pt_decide ---- */

struct wire {
	uint8_t bytes[PT_LINK_FRAME_MAX * 2];
	size_t len;
};

/* Send one frame device <-> hub over "BLE": fragments of 244 into a
 * reassembler, then the reader on the reassembled bytes. */
static int
send_ble(const uint8_t *frame, size_t len, struct pt_link_reasm *ra, uint8_t *out, size_t *out_len)
{
	uint8_t fr[PT_LINK_BLE_FRAG_MAX];
	size_t i, fl, need, n = pt_link_frag_count(len, PT_LINK_BLE_FRAG_MAX);
	bool complete = false;
	int r;

	*out_len = 0;
	for (i = 0; i < n; i++) {
		if ((r = pt_link_frag_get(frame, len, PT_LINK_BLE_FRAG_MAX, i, fr, sizeof(fr), &fl)) !=
		    PT_OK)
			return r;
		if ((r = pt_link_reasm_add(ra, fr, fl, &complete)) != PT_OK)
			return r;
	}
	if (!complete)
		return PT_EMALFORMED;
	if ((r = pt_link_frame_scan(ra->buf, ra->len, out_len, &need)) != PT_OK)
		return r;
	if (*out_len != ra->len)
		return PT_EMALFORMED;
	memcpy(out, ra->buf, ra->len);
	return PT_OK;
}

/* Over a stream socket: byte by byte through the reader. */
static int
send_stream(const uint8_t *frame, size_t len, uint8_t *out, size_t *out_len)
{
	size_t i, fl = 0, need;
	int r;

	*out_len = 0;
	for (i = 0; i < len; i++) {
		out[i] = frame[i];
		if ((r = pt_link_frame_scan(out, i + 1, &fl, &need)) != PT_OK)
			return r;
		if (fl != 0 && i + 1 != len)
			return PT_EMALFORMED;
	}
	if (fl != len)
		return PT_EMALFORMED;
	*out_len = fl;
	return PT_OK;
}

static void
carrier_grant(struct pt_grant *g)
{
	memset(g, 0, sizeof(*g));
	strcpy(g->aud, HOME);
	g->has_nbf = g->has_exp = true;
	g->nbf = T0 - 15 * 86400;
	g->exp = T0 + 15 * 86400;
	memset(g->cti, 1, PT_CTI_LEN);
	memcpy(g->holder, carrier.pk, PT_PK_LEN);
	g->n_locks = 1;
	strcpy(g->locks[0], LOCK);
	g->purpose = PT_PURPOSE_DELIVERY;
	g->has_entries = true;
	g->entries = 50;
	g->depth = 1;
	g->cond = PT_COND_CAMERA | PT_COND_ALARM_BYPASS;
	g->has_door_open = true;
	g->door_open_max = 90;
	strcpy(g->note, "dog inside: no in-home drop without the camera");
}

static void
courier_grant(struct pt_grant *g)
{
	carrier_grant(g);
	memset(g->cti, 2, PT_CTI_LEN);
	memcpy(g->holder, courier.pk, PT_PK_LEN);
	g->entries = 1;
	g->depth = 0;
	g->nbf = T0 - HOUR;
	g->exp = T0 + HOUR;
	g->door_open_max = 60;
	g->sched.n_windows = 1;
	g->sched.windows[0] = (struct pt_window){T0 - HOUR, T0 + HOUR};
	strcpy(g->note, "leave the parcel in the hall, close the inner door");
}

static int
build_chain(uint8_t *chain, size_t cap, size_t *chain_len)
{
	struct pt_grant g0, g1;
	uint8_t l0[PT_LINK_SIZE_MAX], l1[PT_LINK_SIZE_MAX], c0[PT_CHAIN_SIZE_MAX];
	size_t n0, n1, c0n;
	int r;

	carrier_grant(&g0);
	courier_grant(&g1);
	if ((r = pt_grant_sign(ops, &owner.sg, &g0, l0, sizeof(l0), &n0)) != PT_OK ||
	    (r = pt_grant_sign(ops, &carrier.sg, &g1, l1, sizeof(l1), &n1)) != PT_OK ||
	    (r = pt_chain_append(NULL, 0, l0, n0, c0, sizeof(c0), &c0n)) != PT_OK)
		return r;
	return pt_chain_append(c0, c0n, l1, n1, chain, cap, chain_len);
}

static void
ctx_std(struct pt_context *c, const uint8_t (*roots)[PT_PK_LEN])
{
	memset(c, 0, sizeof(*c));
	c->now = T0;
	c->time_trusted = true;
	c->mono_ms = MONO;
	c->proof_max_ms = PROOF_MAX;
	c->hub_id = HUB;
	c->home_id = HOME;
	c->lock_id = LOCK;
	c->tz_name = "Europe/Berlin";
	c->roots = roots;
	c->n_roots = 1;
	c->revocations_at = T0 - 60;
	c->revocations_max_age = 3600;
	c->camera_healthy = true;
	c->alarm_can_bypass = true;
	c->door_closed = true;
	c->bolt_locked = true;
}

static void
test_exchange(void)
{
	static uint8_t chain[PT_CHAIN_SIZE_MAX], f[PT_LINK_FRAME_MAX], rx[PT_LINK_FRAME_MAX];
	static struct pt_link_reasm hub_rx, dev_rx;
	static struct pt_chain decoded;
	static uint8_t roots[1][PT_PK_LEN];
	struct pt_link_msg m, hub_in, dev_in;
	struct pt_challenge ch;
	struct pt_context ctx;
	struct pt_decision d;
	uint8_t sig[PT_SIG_LEN];
	size_t chain_len, n, rn;
	int r;

	memcpy(roots[0], owner.pk, PT_PK_LEN);
	ctx_std(&ctx, (const uint8_t(*)[PT_PK_LEN])roots);
	pt_link_reasm_init(&hub_rx);
	pt_link_reasm_init(&dev_rx);
	if (!T_EQ(build_chain(chain, sizeof(chain), &chain_len), PT_OK, "exchange: owner -> carrier -> courier chain built"))
		return;
	printf("# exchange chain: %zu bytes\n", chain_len);

	/* 1. The courier presses "unlock": HELLO over BLE. */
	hello(&m, LOCK);
	T_OK(pt_link_encode(&m, f, sizeof(f), &n) == PT_OK &&
		     send_ble(f, n, &hub_rx, rx, &rn) == PT_OK && decode(rx, rn, &hub_in) == PT_OK &&
		     hub_in.type == PT_LINK_HELLO && strcmp(hub_in.u.hello.lock, LOCK) == 0,
	     "exchange: the hub receives HELLO for lock 'front'");

	/* 2. The hub: a fresh nonce, its time, the relay bound. */
	memset(&ch, 0, sizeof(ch));
	memcpy(ch.nonce, nonce_a, PT_NONCE_LEN);	/* the hub draws it with pt_random */
	ch.issued_ms = MONO - 800;
	challenge(&m, true);
	m.u.challenge.expires_ms = ctx.proof_max_ms;
	T_OK(pt_link_encode(&m, f, sizeof(f), &n) == PT_OK &&
		     send_ble(f, n, &dev_rx, rx, &rn) == PT_OK && decode(rx, rn, &dev_in) == PT_OK &&
		     dev_in.type == PT_LINK_CHALLENGE,
	     "exchange: the device receives CHALLENGE");

	/* 3. The device signs with the hub id and nonce it was given. */
	T_EQ(pt_proof_sign(ops, &courier.sg, dev_in.u.challenge.hub_id, dev_in.u.challenge.nonce,
			   chain, chain_len, sig),
	     PT_OK, "exchange: the device signs the proof");
	memset(&m, 0, sizeof(m));
	m.type = PT_LINK_PROOF;
	memcpy(m.u.proof.nonce, dev_in.u.challenge.nonce, PT_NONCE_LEN);
	m.u.proof.chain = chain;
	m.u.proof.chain_len = chain_len;
	memcpy(m.u.proof.sig, sig, PT_SIG_LEN);
	r = pt_link_encode(&m, f, sizeof(f), &n);
	T_OK(r == PT_OK, "exchange: PROOF encoded (%zu bytes, %zu BLE writes)", n,
	     pt_link_frag_count(n, PT_LINK_BLE_FRAG_MAX));
	write_seed("proof_real", f, n);
	T_OK(send_ble(f, n, &hub_rx, rx, &rn) == PT_OK && decode(rx, rn, &hub_in) == PT_OK &&
		     hub_in.type == PT_LINK_PROOF,
	     "exchange: the hub receives PROOF over BLE");
	T_OK(memcmp(hub_in.u.proof.nonce, ch.nonce, PT_NONCE_LEN) == 0,
	     "exchange: the proof names the outstanding challenge");

	/* 4. The hub decides. */
	r = pt_decide(ops, hub_in.u.proof.chain, hub_in.u.proof.chain_len, hub_in.u.proof.sig,
		      PT_SIG_LEN, &ch, &ctx, &decoded, &d);
	T_EQ(r, PT_OK, "exchange: pt_decide grants");
	ch.used = true;
	pt_link_decision_init(&m.u.decision, &d, &decoded, 30);
	m.type = PT_LINK_DECISION;
	T_OK(pt_link_encode(&m, f, sizeof(f), &n) == PT_OK, "exchange: DECISION encoded");
	write_seed("decision_real", f, n);
	T_OK(send_stream(f, n, rx, &rn) == PT_OK && decode(rx, rn, &dev_in) == PT_OK &&
		     dev_in.type == PT_LINK_DECISION,
	     "exchange: the device receives DECISION (over a stream, byte by byte)");
	T_OK(dev_in.u.decision.reason == PT_OK && strcmp(dev_in.u.decision.code, "ok") == 0 &&
		     dev_in.u.decision.link == -1,
	     "exchange: granted, code ok, no link");
	T_OK(dev_in.u.decision.n_notes == 2 &&
		     strcmp(dev_in.u.decision.notes[0], "dog inside: no in-home drop without the camera") == 0 &&
		     strcmp(dev_in.u.decision.notes[1], "leave the parcel in the hall, close the inner door") == 0,
	     "exchange: the holder is shown both notes, the owner's first");
	T_OK(dev_in.u.decision.door_open_max == 60 && dev_in.u.decision.relock_s == 30 &&
		     dev_in.u.decision.cond == (PT_COND_CAMERA | PT_COND_ALARM_BYPASS),
	     "exchange: door-open limit 60 s, relock 30 s, camera and alarm bypass");

	/* The same PROOF again (a replay): nonce-reused, nothing granted. */
	r = pt_decide(ops, hub_in.u.proof.chain, hub_in.u.proof.chain_len, hub_in.u.proof.sig,
		      PT_SIG_LEN, &ch, &ctx, &decoded, &d);
	pt_link_decision_init(&m.u.decision, &d, &decoded, 30);
	T_OK(r == PT_ENONCE && pt_link_encode(&m, f, sizeof(f), &n) == PT_OK &&
		     decode(f, n, &dev_in) == PT_OK && dev_in.u.decision.reason == PT_ENONCE &&
		     strcmp(dev_in.u.decision.code, "nonce-reused") == 0 &&
		     dev_in.u.decision.link == -1 && dev_in.u.decision.n_notes == 0 &&
		     dev_in.u.decision.relock_s == 0 && dev_in.u.decision.door_open_max == 0,
	     "exchange: the replayed proof: DECISION nonce-reused, no notes, nothing granted");

	/* A copy of the chain on another device: bad-signature at link 1,
	 * the notes shown (the chain itself verified). */
	ch.used = false;
	T_EQ(pt_proof_sign(ops, &stranger.sg, HUB, ch.nonce, chain, chain_len, sig), PT_OK,
	     "exchange: a stranger signs a proof for the copied chain");
	r = pt_decide(ops, chain, chain_len, sig, PT_SIG_LEN, &ch, &ctx, &decoded, &d);
	pt_link_decision_init(&m.u.decision, &d, &decoded, 30);
	T_OK(r == PT_EBADSIG && pt_link_encode(&m, f, sizeof(f), &n) == PT_OK &&
		     decode(f, n, &dev_in) == PT_OK && dev_in.u.decision.reason == PT_EBADSIG &&
		     dev_in.u.decision.link == 1 && dev_in.u.decision.relock_s == 0 &&
		     dev_in.u.decision.cond == 0,
	     "exchange: a copied credential: DECISION bad-signature, link 1, nothing granted");

	/* A proof for another hub's challenge. */
	T_EQ(pt_proof_sign(ops, &courier.sg, "hub-elsewhere", ch.nonce, chain, chain_len, sig), PT_OK,
	     "exchange: a proof for another hub id");
	r = pt_decide(ops, chain, chain_len, sig, PT_SIG_LEN, &ch, &ctx, &decoded, &d);
	T_EQ(r, PT_EBADSIG, "exchange: a proof for another hub: bad-signature");

	/* Too late: the relay bound. */
	ch.issued_ms = MONO - PROOF_MAX - 1;
	T_EQ(pt_proof_sign(ops, &courier.sg, HUB, ch.nonce, chain, chain_len, sig), PT_OK,
	     "exchange: a proof signed after the expiry");
	r = pt_decide(ops, chain, chain_len, sig, PT_SIG_LEN, &ch, &ctx, &decoded, &d);
	pt_link_decision_init(&m.u.decision, &d, &decoded, 30);
	T_OK(r == PT_ETOOLATE && pt_link_encode(&m, f, sizeof(f), &n) == PT_OK &&
		     decode(f, n, &dev_in) == PT_OK &&
		     strcmp(dev_in.u.decision.code, "proof-too-late") == 0,
	     "exchange: past the challenge's expiry: DECISION proof-too-late");

	/* Camera down: refused with the notes (the chain verified), no grant fields. */
	ch.issued_ms = MONO - 800;
	ctx.camera_healthy = false;
	T_EQ(pt_proof_sign(ops, &courier.sg, HUB, ch.nonce, chain, chain_len, sig), PT_OK,
	     "exchange: proof re-signed");
	r = pt_decide(ops, chain, chain_len, sig, PT_SIG_LEN, &ch, &ctx, &decoded, &d);
	pt_link_decision_init(&m.u.decision, &d, &decoded, 30);
	T_OK(r == PT_ECAMERA && pt_link_encode(&m, f, sizeof(f), &n) == PT_OK &&
		     decode(f, n, &dev_in) == PT_OK && dev_in.u.decision.reason == PT_ECAMERA &&
		     dev_in.u.decision.n_notes == 2 && dev_in.u.decision.cond == 0 &&
		     dev_in.u.decision.relock_s == 0,
	     "exchange: camera down: DECISION camera-unhealthy with the notes, nothing granted");
	ctx.camera_healthy = true;

	/* Locked out: the hub answers HELLO with ERROR locked-out. */
	ctx.locked_out_until_ms = MONO + 45000;
	r = pt_decide(ops, chain, chain_len, sig, PT_SIG_LEN, &ch, &ctx, &decoded, &d);
	T_EQ(r, PT_ELOCKEDOUT, "exchange: a valid proof during a lockout: locked-out (a success cannot lift it)");
	error(&m, PT_ELOCKEDOUT);
	m.u.error.retry_after_ms = (uint32_t)(ctx.locked_out_until_ms - ctx.mono_ms);
	T_OK(pt_link_encode(&m, f, sizeof(f), &n) == PT_OK &&
		     send_ble(f, n, &dev_rx, rx, &rn) == PT_OK && decode(rx, rn, &dev_in) == PT_OK &&
		     dev_in.type == PT_LINK_ERROR && dev_in.u.error.reason == PT_ELOCKEDOUT &&
		     dev_in.u.error.retry_after_ms == 45000,
	     "exchange: ERROR locked-out, retry after 45 s");

	/* A PROOF with a tampered chain byte through the codec: still a frame,
	 * refused by pt_decide (the codec carries bytes, it does not judge). */
	ctx.locked_out_until_ms = 0;
	memcpy(f, chain, chain_len);
	f[chain_len / 2] ^= 1;
	memset(&m, 0, sizeof(m));
	m.type = PT_LINK_PROOF;
	memcpy(m.u.proof.nonce, ch.nonce, PT_NONCE_LEN);
	m.u.proof.chain = f;
	m.u.proof.chain_len = chain_len;
	memcpy(m.u.proof.sig, sig, PT_SIG_LEN);
	T_OK(pt_link_encode(&m, rx, sizeof(rx), &rn) == PT_OK && decode(rx, rn, &hub_in) == PT_OK,
	     "exchange: a tampered chain is still a well-formed PROOF");
	r = pt_decide(ops, hub_in.u.proof.chain, hub_in.u.proof.chain_len, hub_in.u.proof.sig,
		      PT_SIG_LEN, &ch, &ctx, &decoded, &d);
	T_OK(r != PT_OK && d.n_charge == 0, "exchange: ... and pt_decide refuses it (%s)", pt_err_code(r));
}

/* ---- (i) pairing: PAIR with the real pt_envelope_verify ---- */

static void
test_pair_exchange(void)
{
	static uint8_t f[PT_LINK_FRAME_MAX], rx[PT_LINK_FRAME_MAX];
	static struct pt_link_reasm hub_rx;
	uint8_t st[PT_ENVELOPE_SIZE_MAX], code[PT_CTI_LEN], mac[PT_CTI_LEN], signers[1][PT_PK_LEN];
	uint8_t body[PT_LINK_PAIR_BODY_MAX];
	struct pt_link_pair pb;
	struct pt_link_msg m, hub_in;
	struct pt_envelope e, got;
	size_t st_len, n, rn, idx;
	int r;

	/* The hub shows a code; the owner signs "this hub is my home's", with
	 * the code's MAC (pt_pairing_nonce) as the nonce, never the code. */
	memset(code, 0x6c, sizeof(code));
	memset(&e, 0, sizeof(e));
	e.kind = PT_ENV_PAIRING;
	strcpy(e.aud, HOME);
	e.iat = T0;
	T_EQ(pt_pairing_nonce(mac, code, HOME, stranger.pk, owner.pk), PT_OK,
	     "pair exchange: the nonce is the code's MAC");
	memcpy(e.nonce, mac, sizeof(mac));
	memcpy(e.target, stranger.pk, PT_PK_LEN);	/* the hub's key, here */
	e.target_len = PT_PK_LEN;
	r = pt_envelope_sign(ops, &owner.sg, &e, st, sizeof(st), &st_len);
	if (!T_EQ(r, PT_OK, "pair exchange: the owner signs the pairing statement"))
		return;
	memset(&m, 0, sizeof(m));
	m.type = PT_LINK_PAIR;
	strcpy(m.u.pair.home, HOME);
	memcpy(m.u.pair.owner, owner.pk, PT_PK_LEN);
	m.u.pair.statement = st;
	m.u.pair.statement_len = st_len;
	pt_link_reasm_init(&hub_rx);
	T_OK(pt_link_encode(&m, f, sizeof(f), &n) == PT_OK, "pair exchange: PAIR encoded (%zu bytes)", n);
	write_seed("pair_real", f, n);
	T_OK(send_ble(f, n, &hub_rx, rx, &rn) == PT_OK && decode(rx, rn, &hub_in) == PT_OK &&
		     hub_in.type == PT_LINK_PAIR && msg_equal(&m, &hub_in),
	     "pair exchange: the hub receives PAIR over BLE");

	/* The hub: the key carried is the only candidate signer. */
	memcpy(signers[0], hub_in.u.pair.owner, PT_PK_LEN);
	r = pt_envelope_verify(ops, hub_in.u.pair.statement, hub_in.u.pair.statement_len,
			       PT_ENV_PAIRING, (const uint8_t(*)[PT_PK_LEN])signers, 1,
			       hub_in.u.pair.home, T0 + 30, 600, &got, &idx);
	T_OK(r == PT_OK && idx == 0 && memcmp(got.nonce, mac, sizeof(mac)) == 0 &&
		     memcmp(got.nonce, code, sizeof(code)) != 0 && got.target_len == PT_PK_LEN &&
		     memcmp(got.target, stranger.pk, PT_PK_LEN) == 0,
	     "pair exchange: the statement verifies with the key carried; MAC (not the code) and hub key as signed");

	/* The uplink carries the same body without the frame header: one
	 * decoder for both (porter/v1/hub/<id>/pair). */
	T_OK(pt_link_pair_body_encode(&m.u.pair, body, sizeof(body), &rn) == PT_OK &&
		     rn + PT_LINK_HDR_LEN == n && memcmp(body, f + PT_LINK_HDR_LEN, rn) == 0,
	     "pair body: the frame's body, byte for byte (%zu bytes)", rn);
	write_seed("pair_body", body, rn);
	T_OK(pt_link_pair_body_decode(body, rn, &pb) == PT_OK && strcmp(pb.home, HOME) == 0 &&
		     memcmp(pb.owner, owner.pk, PT_PK_LEN) == 0 && pb.statement == body + rn - st_len &&
		     pb.statement_len == st_len && memcmp(pb.statement, st, st_len) == 0,
	     "pair body: decodes to the PAIR's fields, the statement borrowed from the body");
	T_OK(pt_link_pair_body_decode(f, n, &pb) == PT_EMALFORMED && pb.statement == NULL &&
		     pb.home[0] == '\0',
	     "pair body: a whole frame is not a body (malformed, output zeroed)");
	T_EQ(pt_link_pair_body_decode(body, rn - 1, &pb), PT_EMALFORMED, "pair body: one byte short: malformed");
	memcpy(rx, body, rn);
	rx[rn] = 0x00;
	T_EQ(pt_link_pair_body_decode(rx, rn + 1, &pb), PT_EMALFORMED, "pair body: a byte after the map: malformed");
	T_EQ(pt_link_pair_body_decode(rx, PT_LINK_PAIR_BODY_MAX + 1, &pb), PT_ETOOBIG,
	     "pair body: over PT_LINK_PAIR_BODY_MAX (%d) bytes: too-large", (int)PT_LINK_PAIR_BODY_MAX);
	T_EQ(pt_link_pair_body_decode(NULL, 0, &pb), PT_EMALFORMED, "pair body: no bytes: malformed");
	T_EQ(pt_link_pair_body_encode(&m.u.pair, body, rn - 1, &n), PT_ENOSPC,
	     "pair body: encode into a buffer one byte short: no-space");
	{
		/* The largest body: a 64-byte home, a 512-byte statement. */
		static uint8_t big[PT_ENVELOPE_SIZE_MAX + 1], out[PT_LINK_PAIR_BODY_MAX + 8];
		struct pt_link_pair x;
		size_t bn;

		memset(&x, 0, sizeof(x));
		memset(x.home, 'h', PT_ID_MAX);
		memset(big, 0xa5, sizeof(big));
		x.statement = big;
		x.statement_len = PT_ENVELOPE_SIZE_MAX;
		T_OK(pt_link_pair_body_encode(&x, out, sizeof(out), &bn) == PT_OK &&
			     bn == PT_LINK_PAIR_BODY_MAX && pt_link_pair_body_decode(out, bn, &pb) == PT_OK,
		     "pair body: the largest is exactly PT_LINK_PAIR_BODY_MAX bytes and decodes");
		x.statement_len = PT_ENVELOPE_SIZE_MAX + 1;
		T_EQ(pt_link_pair_body_encode(&x, out, sizeof(out), &bn), PT_ETOOBIG,
		     "pair body: a 513-byte statement: too-large");
	}

	/* Someone else's key in the owner field: the key id does not match. */
	memcpy(signers[0], carrier.pk, PT_PK_LEN);
	r = pt_envelope_verify(ops, hub_in.u.pair.statement, hub_in.u.pair.statement_len,
			       PT_ENV_PAIRING, (const uint8_t(*)[PT_PK_LEN])signers, 1,
			       hub_in.u.pair.home, T0 + 30, 600, &got, &idx);
	T_EQ(r, PT_EUNTRUSTEDCMD, "pair exchange: a statement carried with another key: untrusted-signer");
	/* Another home named in the frame than in the statement. */
	memcpy(signers[0], owner.pk, PT_PK_LEN);
	r = pt_envelope_verify(ops, hub_in.u.pair.statement, hub_in.u.pair.statement_len,
			       PT_ENV_PAIRING, (const uint8_t(*)[PT_PK_LEN])signers, 1, "home-other",
			       T0 + 30, 600, &got, &idx);
	T_EQ(r, PT_EAUDIENCE, "pair exchange: the frame's home is not the statement's: wrong-home-or-lock");
	/* A command signed by the owner is not a pairing statement. */
	memset(&e, 0, sizeof(e));
	e.kind = PT_ENV_COMMAND;
	strcpy(e.aud, HOME);
	e.iat = T0;
	e.op = PT_CMD_UNLOCK;
	T_EQ(pt_envelope_sign(ops, &owner.sg, &e, st, sizeof(st), &st_len), PT_OK,
	     "pair exchange: an owner-signed unlock command");
	r = pt_envelope_verify(ops, st, st_len, PT_ENV_PAIRING,
			       (const uint8_t(*)[PT_PK_LEN])signers, 1, HOME, T0, 600, &got, &idx);
	T_OK(r != PT_OK, "pair exchange: ... carried in PAIR is refused (%s)", pt_err_code(r));
}

/*
 * The pairing nonce (porter/envelope.h, docs/credentials.md): BLAKE2b-128
 * keyed by the code over the domain, both keys and the home. The known
 * answer is shared with the web app's JavaScript (tests/web).
 */
static void
test_pairing_nonce(void)
{
	static const uint8_t kat[PT_CTI_LEN] = {0xb5, 0x79, 0x16, 0x9b, 0x0b, 0x08, 0xfd, 0x90,
						0x5a, 0x27, 0x35, 0x00, 0xa5, 0x0f, 0x32, 0x3d};
	uint8_t code[PT_PAIRING_CODE_LEN], hub[PT_PK_LEN], own[PT_PK_LEN], out[PT_CTI_LEN],
		other[PT_CTI_LEN];
	char h64[PT_ID_MAX + 2];
	size_t i;

	for (i = 0; i < sizeof(code); i++)
		code[i] = (uint8_t)i;
	for (i = 0; i < PT_PK_LEN; i++) {
		hub[i] = (uint8_t)(0x20 + i);
		own[i] = (uint8_t)(0x40 + i);
	}
	T_OK(pt_pairing_nonce(out, code, "home-7f3a", hub, own) == PT_OK &&
		     memcmp(out, kat, sizeof(kat)) == 0,
	     "pairing nonce: known answer b579169b0b08fd905a273500a50f323d");
	/* Each input changes it. */
	T_OK(pt_pairing_nonce(other, code, "home-7f3b", hub, own) == PT_OK &&
		     memcmp(other, kat, sizeof(kat)) != 0,
	     "pairing nonce: another home, another nonce");
	T_OK(pt_pairing_nonce(other, code, "home-7f3a", own, hub) == PT_OK &&
		     memcmp(other, kat, sizeof(kat)) != 0,
	     "pairing nonce: hub and owner keys swapped, another nonce");
	own[31] ^= 1;
	T_OK(pt_pairing_nonce(other, code, "home-7f3a", hub, own) == PT_OK &&
		     memcmp(other, kat, sizeof(kat)) != 0,
	     "pairing nonce: another owner key (a stranger reusing it), another nonce");
	own[31] ^= 1;
	code[0] ^= 1;
	T_OK(pt_pairing_nonce(other, code, "home-7f3a", hub, own) == PT_OK &&
		     memcmp(other, kat, sizeof(kat)) != 0,
	     "pairing nonce: another code, another nonce");
	code[0] ^= 1;
	/* The home is validated: bad ids give zeros and PT_EINVAL. */
	memset(other, 0xff, sizeof(other));
	T_OK(pt_pairing_nonce(other, code, "", hub, own) == PT_EINVAL && is_zero(other, sizeof(other)),
	     "pairing nonce: an empty home: invalid, zeroed output");
	memset(other, 0xff, sizeof(other));
	T_OK(pt_pairing_nonce(other, code, "home/7f3a", hub, own) == PT_EINVAL &&
		     is_zero(other, sizeof(other)),
	     "pairing nonce: a home with '/': invalid, zeroed output");
	memset(h64, 'h', sizeof(h64) - 1);
	h64[PT_ID_MAX] = '\0';
	T_EQ(pt_pairing_nonce(other, code, h64, hub, own), PT_OK, "pairing nonce: a 64-byte home");
	h64[PT_ID_MAX] = 'h';
	h64[PT_ID_MAX + 1] = '\0';
	T_EQ(pt_pairing_nonce(other, code, h64, hub, own), PT_EINVAL,
	     "pairing nonce: a 65-byte home: invalid");
	T_EQ(pt_pairing_nonce(other, NULL, "home-7f3a", hub, own), PT_EINVAL, "pairing nonce: no code");
	T_EQ(pt_pairing_nonce(other, code, NULL, hub, own), PT_EINVAL, "pairing nonce: no home");
}

/* decision_init from a pt_decision with odd values. */
static void
test_decision_init(void)
{
	struct pt_decision d;
	struct pt_link_decision m;
	static struct pt_chain c;
	uint8_t f[PT_LINK_FRAME_MAX];
	size_t n;

	memset(&d, 0, sizeof(d));
	memset(&c, 0, sizeof(c));
	d.reason = PT_EREVOKED;
	d.link = 7;
	pt_link_decision_init(&m, &d, &c, 30);
	T_OK(m.link == -1 && m.relock_s == 0 && strcmp(m.code, "revoked") == 0 && m.n_notes == 0,
	     "decision_init: an out-of-range link becomes -1; no relock on a refusal");
	T_EQ(pt_link_decision_encode(&m, f, sizeof(f), &n), PT_OK, "decision_init: its output encodes");
	c.n = 3;
	strcpy(c.link[1].g.note, "second");
	d.reason = PT_OK;
	d.link = 2;
	d.door_open_max = 45;
	pt_link_decision_init(&m, &d, NULL, 0);
	T_OK(m.link == -1 && m.n_notes == 0 && m.door_open_max == 45 && m.relock_s == 0,
	     "decision_init: a grant names no link; no chain, no notes");
	pt_link_decision_init(&m, &d, &c, 20);
	T_OK(m.n_notes == 1 && strcmp(m.notes[0], "second") == 0 && m.relock_s == 20,
	     "decision_init: only the non-empty notes, in chain order");
}

/* ---- PANIC: a call for help (docs/link-protocol.md, "PANIC") ---- */

static void
test_panic(void)
{
	static uint8_t chain[PT_CHAIN_SIZE_MAX], f[PT_LINK_FRAME_MAX], rx[PT_LINK_FRAME_MAX];
	static struct pt_link_reasm hub_rx;
	static struct pt_chain decoded;
	static uint8_t roots[1][PT_PK_LEN], revoked[1][PT_PK_LEN];
	static uint8_t pmsg[PT_PANIC_MSG_MAX], qmsg[PT_PROOF_MSG_MAX], h[PT_HASH_LEN];
	struct pt_link_msg m, hub_in;
	struct pt_link_panic pm;
	struct pt_challenge ch;
	struct pt_context ctx;
	struct pt_usage used;
	uint8_t sig[PT_SIG_LEN], proof_sig[PT_SIG_LEN], cti2[PT_CTI_LEN];
	size_t chain_len, n, rn, pn, qn;
	int link;

	memcpy(roots[0], owner.pk, PT_PK_LEN);
	ctx_std(&ctx, (const uint8_t(*)[PT_PK_LEN])roots);
	pt_link_reasm_init(&hub_rx);
	if (!T_EQ(build_chain(chain, sizeof(chain), &chain_len), PT_OK, "panic: the chain"))
		return;
	memset(&ch, 0, sizeof(ch));
	memcpy(ch.nonce, nonce_a, PT_NONCE_LEN);
	ch.issued_ms = MONO - 800;

	/* the message: the proof's layout, another domain */
	ops->sha256(h, chain, chain_len);
	T_EQ(pt_link_panic_message(HUB, nonce_a, h, pmsg, sizeof(pmsg), &pn), PT_OK, "panic: message");
	T_EQ(pt_proof_message(HUB, nonce_a, h, qmsg, sizeof(qmsg), &qn), PT_OK, "proof: message");
	T_OK(pn == qn && memcmp(pmsg, PT_PANIC_DOMAIN, sizeof(PT_PANIC_DOMAIN)) == 0 &&
		     memcmp(pmsg + sizeof(PT_PANIC_DOMAIN), qmsg + sizeof(PT_PROOF_DOMAIN),
			    pn - sizeof(PT_PANIC_DOMAIN)) == 0 &&
		     memcmp(pmsg, qmsg, sizeof(PT_PANIC_DOMAIN)) != 0,
	     "panic: \"porter/panic/v1\\0\", then hub id, nonce and chain hash as a proof's");
	T_EQ(pt_link_panic_message("", nonce_a, h, pmsg, sizeof(pmsg), &pn), PT_EINVAL,
	     "panic: an empty hub id is the caller's error");

	/* signed, encoded, over BLE, decoded */
	T_EQ(pt_link_panic_sign(ops, &courier.sg, HUB, nonce_a, chain, chain_len, sig), PT_OK,
	     "panic: the holder signs");
	panic_msg(&m, 0);
	m.u.panic.chain = chain;
	m.u.panic.chain_len = chain_len;
	memcpy(m.u.panic.sig, sig, PT_SIG_LEN);
	T_OK(pt_link_encode(&m, f, sizeof(f), &n) == PT_OK && f[3] == PT_LINK_PANIC &&
		     send_ble(f, n, &hub_rx, rx, &rn) == PT_OK && decode(rx, rn, &hub_in) == PT_OK &&
		     msg_equal(&m, &hub_in),
	     "panic: PANIC encoded, over BLE, decoded the same");
	write_seed("panic_real", f, n);
	T_EQ(pt_link_proof_decode(f, n, &hub_in.u.proof), PT_EMALFORMED,
	     "panic: the PROOF decoder refuses a PANIC");
	pm = m.u.panic;

	/* verified */
	link = 9;
	T_EQ(pt_link_panic_verify(ops, &pm, &ch, &ctx, &decoded, &link), PT_OK, "panic: verified");
	T_OK(link == -1 && decoded.n == 2 && decoded.link[1].g.purpose == PT_PURPOSE_DELIVERY,
	     "panic: the decoded chain is kept, no failing link");
	/* not the window, the entries, the camera, the door, the lockout */
	ctx.now = T0 + 2 * HOUR;
	T_EQ(pt_link_panic_verify(ops, &pm, &ch, &ctx, &decoded, &link), PT_OK,
	     "panic: after the window and the expiry: still a call for help");
	ctx.time_trusted = false;
	ctx.camera_healthy = ctx.alarm_can_bypass = ctx.door_closed = ctx.bolt_locked = false;
	ctx.revocations_at = 0;
	ctx.locked_out_until_ms = MONO + 1000;
	memset(cti2, 2, PT_CTI_LEN);
	memcpy(used.cti, cti2, PT_CTI_LEN);
	used.used = 1;
	ctx.usage = &used;
	ctx.n_usage = 1;
	T_EQ(pt_link_panic_verify(ops, &pm, &ch, &ctx, &decoded, &link), PT_OK,
	     "panic: entries used, time unknown, camera, alarm, door, lockout: not looked at");
	T_EQ(pt_decide(ops, chain, chain_len, proof_sig, PT_SIG_LEN, &ch, &ctx, &decoded,
		       &(struct pt_decision){0}),
	     PT_ELOCKEDOUT, "(the same context refuses a PROOF)");
	ctx_std(&ctx, (const uint8_t(*)[PT_PK_LEN])roots);

	/* who may call */
	T_EQ(pt_proof_sign(ops, &courier.sg, HUB, nonce_a, chain, chain_len, proof_sig), PT_OK,
	     "proof signature");
	memcpy(pm.sig, proof_sig, PT_SIG_LEN);
	T_EQ(pt_link_panic_verify(ops, &pm, &ch, &ctx, &decoded, &link), PT_EBADSIG,
	     "panic: a PROOF's signature is not a PANIC's: bad-signature");
	T_OK(link == 1 && decoded.n == 0, "panic: at the last link, nothing kept");
	T_EQ(pt_link_panic_sign(ops, &stranger.sg, HUB, nonce_a, chain, chain_len, pm.sig), PT_OK,
	     "a stranger signs");
	T_EQ(pt_link_panic_verify(ops, &pm, &ch, &ctx, &decoded, &link), PT_EBADSIG,
	     "panic: another key than the holder's: bad-signature");
	T_EQ(pt_link_panic_sign(ops, &courier.sg, "hub-other", nonce_a, chain, chain_len, pm.sig),
	     PT_OK, "signed for another hub");
	T_EQ(pt_link_panic_verify(ops, &pm, &ch, &ctx, &decoded, &link), PT_EBADSIG,
	     "panic: signed for another hub: bad-signature");
	memcpy(pm.sig, sig, PT_SIG_LEN);
	memcpy(roots[0], stranger.pk, PT_PK_LEN);
	T_EQ(pt_link_panic_verify(ops, &pm, &ch, &ctx, &decoded, &link), PT_EUNTRUSTED,
	     "panic: a chain no owner of this hub issued: untrusted-root");
	memcpy(roots[0], owner.pk, PT_PK_LEN);
	ctx.home_id = "home-other";
	T_EQ(pt_link_panic_verify(ops, &pm, &ch, &ctx, &decoded, &link), PT_EAUDIENCE,
	     "panic: another home's credential: wrong-home-or-lock");
	ctx_std(&ctx, (const uint8_t(*)[PT_PK_LEN])roots);
	ctx.revoked_ctis = (const uint8_t(*)[PT_CTI_LEN])cti2;
	ctx.n_revoked_ctis = 1;
	T_EQ(pt_link_panic_verify(ops, &pm, &ch, &ctx, &decoded, &link), PT_EREVOKED,
	     "panic: a revoked token: revoked");
	T_EQ(link, 1, "at link 1");
	ctx_std(&ctx, (const uint8_t(*)[PT_PK_LEN])roots);
	memcpy(revoked[0], owner.pk, PT_PK_LEN);
	ctx.revoked_keys = (const uint8_t(*)[PT_PK_LEN])revoked;
	ctx.n_revoked_keys = 1;
	T_EQ(pt_link_panic_verify(ops, &pm, &ch, &ctx, &decoded, &link), PT_EREVOKED,
	     "panic: the owner key that signed link 0 revoked: revoked");
	ctx_std(&ctx, (const uint8_t(*)[PT_PK_LEN])roots);

	/* a recording: the challenge is spent, or too old */
	ch.used = true;
	T_EQ(pt_link_panic_verify(ops, &pm, &ch, &ctx, &decoded, &link), PT_ENONCE,
	     "panic: a spent challenge (a replay): nonce-reused");
	ch.used = false;
	ch.issued_ms = MONO - PROOF_MAX - 1;
	T_EQ(pt_link_panic_verify(ops, &pm, &ch, &ctx, &decoded, &link), PT_ETOOLATE,
	     "panic: after the challenge expired: proof-too-late");
	T_EQ(pt_link_panic_verify(ops, &pm, NULL, &ctx, &decoded, &link), PT_EINVAL,
	     "panic: no challenge: invalid-argument");
}

int
main(void)
{
	if (pt_crypto_init() != PT_OK) {
		printf("Bail out! crypto init\n");
		return 1;
	}
	ops = pt_crypto_sodium();
	corpus_dir = getenv("PORTER_LINK_CORPUS");
	key_init(&owner, 1);
	key_init(&carrier, 2);
	key_init(&courier, 3);
	key_init(&stranger, 4);
	samples_init();
	samples_build();

	test_known_bytes();
	test_hello_panic();
	test_round_trips();
	test_reader();
	test_bad_frames();
	test_bodies();
	test_mutations();
	test_fragments();
	test_exchange();
	test_pair_exchange();
	test_pairing_nonce();
	test_decision_init();
	test_panic();

	pt_secret_free(owner.sec);
	pt_secret_free(carrier.sec);
	pt_secret_free(courier.sec);
	pt_secret_free(stranger.sec);
	return t_done();
}
