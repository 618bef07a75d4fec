/*
 * test_decide: the decision at the door.
 *
 * A fixture in which everything is fine (owner -> carrier -> courier, a
 * fresh challenge, a healthy home), then every reason pt_decide can give,
 * each reached by changing one thing; DST behaviour of week-day intervals
 * in Europe/Berlin; property tests over random valid chains (each must
 * grant; every bit flip and every one-field widening must not); replayed
 * and transplanted proofs.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "porter/cbor.h"
#include "porter/cose.h"
#include "porter/cred.h"
#include "porter/crypto.h"
#include "porter/decide.h"
#include "porter/tz.h"
#include "t.h"

#define DAY 86400
#define HOUR 3600
#define WEEKDAYS 0x3e
#define HOME "home-7f3a"
#define HUB "hub-7f3a-1"
#define LOCK "front"
#define TZNAME "Europe/Berlin"
#define MONO 1000000u
#define PROOF_MAX 5000u

static const struct pt_crypto_ops *ops;
static int64_t T0;	/* 2026-06-10T10:00:00Z: Wednesday, 12:00 in Berlin */
static struct pt_tz berlin;
static bool have_tz;

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
	size_t i;

	for (i = 0; i < sizeof(seed); i++)
		seed[i] = (uint8_t)(seed_byte * 31 + i);
	k->sec = pt_secret_new();
	if (k->sec == NULL || pt_secret_from_seed(k->sec, seed) != PT_OK) {
		printf("Bail out! key\n");
		exit(1);
	}
	pt_secret_public(k->sec, k->pk);
	pt_signer_sodium(&k->sg, k->sec);
}

#define N_POOL 6
static struct key owner, carrier, courier, stranger, owner2, pool[N_POOL];

/* ---- fixture ---- */

struct fx {
	uint8_t n;
	struct pt_grant g[PT_CHAIN_MAX];
	struct key *by[PT_CHAIN_MAX];	/* signer of each link */
	struct key *device;		/* signs the proof */
	uint8_t chain[PT_CHAIN_SIZE_MAX + 256];
	size_t chain_len;
	struct pt_challenge ch;
	uint8_t proof[PT_SIG_LEN];
	size_t link_at[PT_CHAIN_MAX], link_len[PT_CHAIN_MAX];	/* offsets in chain */
};

static void
set_cti(struct pt_grant *g, uint8_t b)
{
	memset(g->cti, b, PT_CTI_LEN);
	g->cti[0] = 0xc7;
}

static void
carrier_grant(struct pt_grant *g)
{
	memset(g, 0, sizeof(*g));
	strcpy(g->aud, HOME);
	g->has_nbf = g->has_exp = true;
	g->nbf = T0 - 15 * DAY;
	g->exp = T0 + 15 * DAY;
	set_cti(g, 1);
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
	strcpy(g->sched.tz, TZNAME);
	g->sched.n_weekly = 1;
	g->sched.weekly[0] = (struct pt_weekly){WEEKDAYS, 8 * 60, 20 * 60};
}

static void
courier_grant(struct pt_grant *g)
{
	carrier_grant(g);
	set_cti(g, 2);
	memcpy(g->holder, courier.pk, PT_PK_LEN);
	g->entries = 1;
	g->depth = 0;
	g->nbf = T0 - HOUR;
	g->exp = T0 + HOUR;
	g->door_open_max = 60;
	g->sched.n_windows = 1;
	g->sched.windows[0] = (struct pt_window){T0 - HOUR, T0 + HOUR};
	strcpy(g->note, "dog inside: leave the parcel in the hall");
}

static void
nonce_fill(uint8_t nonce[PT_NONCE_LEN], uint8_t b)
{
	size_t i;

	for (i = 0; i < PT_NONCE_LEN; i++)
		nonce[i] = (uint8_t)(b + 7 * i);
}

/* The standard 2-link fixture (grants only; build() signs). */
static void
fx_std(struct fx *f)
{
	memset(f, 0, sizeof(*f));
	f->n = 2;
	carrier_grant(&f->g[0]);
	courier_grant(&f->g[1]);
	f->by[0] = &owner;
	f->by[1] = &carrier;
	f->device = &courier;
	nonce_fill(f->ch.nonce, 0x42);
	f->ch.issued_ms = MONO - 1000;
}

/* Sign the proof over the current chain bytes. */
static int
prove(struct fx *f, const char *hub)
{
	return pt_proof_sign(ops, &f->device->sg, hub, f->ch.nonce, f->chain, f->chain_len, f->proof);
}

/* Sign every link, assemble the chain, sign the proof. */
static int
build(struct fx *f)
{
	uint8_t link[PT_LINK_SIZE_MAX], tmp[sizeof(f->chain)];
	size_t ln, tn;
	uint8_t i;
	int r;

	f->chain_len = 0;
	for (i = 0; i < f->n; i++) {
		if ((r = pt_grant_sign(ops, &f->by[i]->sg, &f->g[i], link, sizeof(link), &ln)) != PT_OK)
			return r;
		if ((r = pt_chain_append(i == 0 ? NULL : f->chain, f->chain_len, link, ln, tmp,
					 sizeof(tmp), &tn)) != PT_OK)
			return r;
		memcpy(f->chain, tmp, tn);
		f->chain_len = tn;
		f->link_at[i] = tn - ln;
		f->link_len[i] = ln;
	}
	return prove(f, HUB);
}

static void
reprove(struct fx *f)
{
	if (prove(f, HUB) != PT_OK)
		T_OK(0, "proof re-signed");
}

static void
ctx_std(struct pt_context *c)
{
	static uint8_t roots[1][PT_PK_LEN];

	memcpy(roots[0], owner.pk, PT_PK_LEN);
	memset(c, 0, sizeof(*c));
	c->now = T0;
	c->time_trusted = true;
	c->mono_ms = MONO;
	c->proof_max_ms = PROOF_MAX;
	c->hub_id = HUB;
	c->home_id = HOME;
	c->lock_id = LOCK;
	c->tz_name = TZNAME;
	c->tz = have_tz ? &berlin : NULL;
	c->roots = (const uint8_t(*)[PT_PK_LEN])roots;
	c->n_roots = 1;
	c->revocations_at = T0 - 60;
	c->revocations_max_age = 3600;
	c->camera_healthy = true;
	c->alarm_can_bypass = true;
	c->door_closed = true;
	c->bolt_locked = true;
}

static void
ctx_at(struct pt_context *c, int64_t t)
{
	c->now = t;
	c->revocations_at = t - 60;
}

static struct pt_chain decoded;

static int
decide(const struct fx *f, const struct pt_context *c, struct pt_decision *out)
{
	return pt_decide(ops, f->chain, f->chain_len, f->proof, PT_SIG_LEN, &f->ch, c, &decoded, out);
}

/* Check one decision: reason, link, and that a refusal charges nothing. */
static void
expect(const char *what, const struct fx *f, const struct pt_context *c, int want, int want_link)
{
	struct pt_decision d;
	int r;

	memset(&d, 0x5a, sizeof(d));
	r = decide(f, c, &d);
	T_OK(r == want && d.reason == want, "%s: %s (got %s)", what, pt_err_code(want), pt_err_code(r));
	if (want != PT_OK) {
		T_EQ(d.link, want_link, "%s: link %d", what, want_link);
		T_OK(d.n_charge == 0 && d.cond == 0 && d.door_open_max == 0 && d.purpose == 0,
		     "%s: refusal charges and grants nothing", what);
	}
}

/* ---- hex/time helpers ---- */

static int64_t
utc(int y, int mo, int d, int h, int mi, int s)
{
	return pt_unix_from_civil(y, mo, d, h, mi, s);
}

static bool
load_tz(void)
{
	static uint8_t buf[PT_TZ_FILE_MAX];
	FILE *fp = fopen("/usr/share/zoneinfo/" TZNAME, "rb");
	size_t n;

	if (fp == NULL)
		return false;
	n = fread(buf, 1, sizeof(buf), fp);
	fclose(fp);
	return pt_tz_parse_tzif(&berlin, buf, n) == PT_OK;
}

/* ---- (a) the fixture grants ---- */

static void
test_grant(void)
{
	struct fx f;
	struct pt_context c;
	struct pt_decision d;
	uint8_t h[PT_HASH_LEN];

	fx_std(&f);
	T_EQ(build(&f), PT_OK, "fixture: chain and proof built");
	printf("# fixture chain: %zu bytes\n", f.chain_len);
	ctx_std(&c);
	memset(&d, 0x5a, sizeof(d));
	T_EQ(decide(&f, &c, &d), PT_OK, "fixture: granted");
	T_OK(d.reason == PT_OK && d.link == -1, "fixture: reason ok, link -1");
	T_EQ(d.n_charge, 2, "fixture: two token ids charged");
	T_OK(memcmp(d.charge[0], f.g[0].cti, PT_CTI_LEN) == 0 &&
		     memcmp(d.charge[1], f.g[1].cti, PT_CTI_LEN) == 0,
	     "fixture: charges the carrier's and the courier's token ids, in order");
	T_EQ(d.purpose, PT_PURPOSE_DELIVERY, "fixture: purpose delivery");
	T_EQ(d.cond, PT_COND_CAMERA | PT_COND_ALARM_BYPASS, "fixture: conditions camera + alarm");
	T_EQ(d.door_open_max, 60, "fixture: door-open limit is the smallest (60 s)");
	ops->sha256(h, f.chain, f.chain_len);
	T_OK(memcmp(d.chain_hash, h, PT_HASH_LEN) == 0, "fixture: chain hash is SHA-256 of the chain");
	T_OK(decoded.n == 2 && strcmp(decoded.link[1].g.note, f.g[1].note) == 0,
	     "fixture: decoded chain carries the courier's note");

	/* Only links with an entry limit are charged (guests: deliveries always count). */
	fx_std(&f);
	f.g[0].purpose = f.g[1].purpose = PT_PURPOSE_GUEST;
	f.g[0].has_entries = false;
	T_EQ(build(&f), PT_OK, "unlimited carrier link: built");
	T_OK(decide(&f, &c, &d) == PT_OK && d.n_charge == 1 &&
		     memcmp(d.charge[0], f.g[1].cti, PT_CTI_LEN) == 0,
	     "unlimited carrier link: only the courier's token id is charged");

	/* A one-link chain, owner -> courier. */
	fx_std(&f);
	f.n = 1;
	f.g[0] = f.g[1];
	f.by[0] = &owner;
	T_EQ(build(&f), PT_OK, "one-link chain: built");
	T_OK(decide(&f, &c, &d) == PT_OK && d.n_charge == 1 && d.cond == PT_COND_KNOWN,
	     "one-link chain: granted");

	/* A four-link chain. */
	fx_std(&f);
	f.n = 4;
	f.g[0].depth = 3;
	f.g[1] = f.g[0];
	f.g[1].depth = 2;
	set_cti(&f.g[1], 0x21);
	memcpy(f.g[1].holder, pool[0].pk, PT_PK_LEN);
	f.g[2] = f.g[1];
	f.g[2].depth = 1;
	set_cti(&f.g[2], 0x22);
	memcpy(f.g[2].holder, pool[1].pk, PT_PK_LEN);
	courier_grant(&f.g[3]);
	f.by[1] = &carrier;
	f.by[2] = &pool[0];
	f.by[3] = &pool[1];
	T_EQ(build(&f), PT_OK, "four-link chain: built");
	T_OK(decide(&f, &c, &d) == PT_OK && d.n_charge == 4, "four-link chain: granted, 4 charged");

	/* Residents: no entries, no time bound: nothing charged. */
	fx_std(&f);
	f.n = 1;
	memset(&f.g[0], 0, sizeof(f.g[0]));
	strcpy(f.g[0].aud, HOME);
	set_cti(&f.g[0], 0x30);
	memcpy(f.g[0].holder, courier.pk, PT_PK_LEN);
	f.g[0].purpose = PT_PURPOSE_RESIDENT;
	T_EQ(build(&f), PT_OK, "resident: built");
	T_OK(decide(&f, &c, &d) == PT_OK && d.n_charge == 0 && d.purpose == PT_PURPOSE_RESIDENT &&
		     d.door_open_max == 0,
	     "resident: granted, nothing charged, no door limit");
}

/* ---- (b) every reason ---- */

/* Add claim -65538 to a grant's claims and sign them as a link. */
static int
unknown_claim_link(struct key *by, const struct pt_grant *g0, uint8_t *out, size_t cap, size_t *len)
{
	uint8_t claims[PT_LINK_SIZE_MAX], kid[PT_KID_LEN];
	struct pt_grant g = *g0;
	size_t n;

	if (pt_grant_encode_claims(&g, claims, sizeof(claims) - 8, &n) != PT_OK || claims[0] < 0xa4 ||
	    claims[0] > 0xb6)
		return PT_EINVAL;
	claims[0]++;
	memcpy(claims + n, "\x3a\x00\x01\x00\x01\x01", 6);	/* -65538: 1 */
	n += 6;
	pt_kid(ops, by->pk, kid);
	return pt_sign1_sign(&by->sg, kid, PT_KID_LEN, (const uint8_t *)PT_AAD_GRANT,
			     sizeof(PT_AAD_GRANT) - 1, claims, n, out, cap, len);
}

static int
cmp32(const void *a, const void *b)
{
	return memcmp(a, b, PT_PK_LEN);
}

static int
cmp16(const void *a, const void *b)
{
	return memcmp(a, b, PT_CTI_LEN);
}

static void
test_reasons(void)
{
	struct fx f, g;
	struct pt_context c;
	struct pt_decision d;
	uint8_t roots2[2][PT_PK_LEN];
	int64_t wed_local_8 = T0 - 4 * HOUR;	/* 08:00 in Berlin (CEST) */

	fx_std(&f);
	if (build(&f) != PT_OK) {
		T_OK(0, "reasons: fixture built");
		return;
	}

	/* malformed */
	ctx_std(&c);
	{
		struct pt_decision dd;
		int r = pt_decide(ops, f.chain, f.chain_len - 1, f.proof, PT_SIG_LEN, &f.ch, &c, &decoded,
				  &dd);
		T_OK(r == PT_EMALFORMED && dd.link == -1 && decoded.n == 0,
		     "malformed: chain cut by a byte (link -1, nothing decoded)");
		r = pt_decide(ops, f.chain, f.chain_len, f.proof, PT_SIG_LEN - 1, &f.ch, &c, &decoded, &dd);
		T_OK(r == PT_EMALFORMED && dd.link == 1, "malformed: 63-byte proof (link 1)");
		r = pt_decide(ops, f.chain, f.chain_len, NULL, 0, &f.ch, &c, &decoded, &dd);
		T_OK(r == PT_EMALFORMED, "malformed: no proof");
		r = pt_decide(ops, f.chain, 0, f.proof, PT_SIG_LEN, &f.ch, &c, &decoded, &dd);
		T_OK(r == PT_EMALFORMED, "malformed: empty chain");
	}
	/* bad-signature: link 0, link 1, proof */
	g = f;
	g.chain[g.link_at[0] + g.link_len[0] - 10] ^= 0x20;
	reprove(&g);
	expect("bad-signature: link 0's signature", &g, &c, PT_EBADSIG, 0);
	T_EQ(decoded.n, 0, "bad-signature: no unverified field escapes (decoded zeroed)");
	g = f;
	g.chain[g.link_at[1] + g.link_len[1] - 10] ^= 0x20;
	reprove(&g);
	expect("bad-signature: link 1's signature", &g, &c, PT_EBADSIG, 1);
	g = f;
	g.proof[17] ^= 0x01;
	expect("bad-signature: the proof", &g, &c, PT_EBADSIG, 1);
	T_EQ(decoded.n, 2, "bad proof: the verified chain is kept for the holder's message");
	/* bad-signature: link 1 signed over a changed payload (claims edited after signing) */
	g = f;
	{
		/* entries 1 -> 0x01 is in the payload; flip the note's last letter */
		size_t k;
		for (k = g.link_at[1]; k + 4 < g.link_at[1] + g.link_len[1]; k++)
			if (memcmp(g.chain + k, "hall", 4) == 0) {
				g.chain[k + 3] = 'k';
				break;
			}
		reprove(&g);
		expect("bad-signature: link 1's note edited (\"halk\")", &g, &c, PT_EBADSIG, 1);
	}

	/* broken-chain: link 1 signed by the owner, not the carrier */
	g = f;
	g.by[1] = &owner;
	T_EQ(build(&g), PT_OK, "broken-chain: built");
	expect("broken-chain: link 1 signed by the owner", &g, &c, PT_EBROKENCHAIN, 1);
	g = f;
	g.by[1] = &stranger;
	T_EQ(build(&g), PT_OK, "broken-chain (stranger): built");
	expect("broken-chain: link 1 signed by a stranger", &g, &c, PT_EBROKENCHAIN, 1);

	/* widened-link */
	g = f;
	g.g[1].entries = 51;
	T_EQ(build(&g), PT_OK, "widened: built");
	expect("widened-link: courier entries 51 > 50", &g, &c, PT_EWIDENED, 1);

	/* chain-too-long: a hand-built 5-link array */
	g = f;
	{
		size_t k;
		g.chain[0] = 0x85;
		for (k = 0; k < 3; k++)
			memcpy(g.chain + g.chain_len + k * g.link_len[1], g.chain + g.link_at[1],
			       g.link_len[1]);
		g.chain_len += 3 * g.link_len[1];
		reprove(&g);
		expect("chain-too-long: 5 links", &g, &c, PT_ECHAINLEN, -1);
	}

	/* untrusted-root */
	ctx_std(&c);
	memcpy(roots2[0], stranger.pk, PT_PK_LEN);
	memcpy(roots2[1], owner2.pk, PT_PK_LEN);
	c.roots = (const uint8_t(*)[PT_PK_LEN])roots2;
	c.n_roots = 2;
	expect("untrusted-root: other roots", &f, &c, PT_EUNTRUSTED, 0);
	c.n_roots = 0;
	expect("untrusted-root: no roots", &f, &c, PT_EUNTRUSTED, 0);
	memcpy(roots2[1], owner.pk, PT_PK_LEN);
	c.n_roots = 2;
	expect("owner as the second of two roots: granted", &f, &c, PT_OK, -1);

	/* not-yet-valid / expired */
	ctx_std(&c);
	ctx_at(&c, T0 - HOUR - 1);
	expect("not-yet-valid: 1 s before the courier's nbf", &f, &c, PT_ENOTYET, 1);
	ctx_at(&c, T0 - HOUR);
	expect("at the courier's nbf: granted", &f, &c, PT_OK, -1);
	ctx_at(&c, T0 - 16 * DAY);
	expect("not-yet-valid: before the carrier's nbf", &f, &c, PT_ENOTYET, 0);
	ctx_at(&c, T0 + HOUR);
	expect("expired: at the courier's exp", &f, &c, PT_EEXPIRED, 1);
	ctx_at(&c, T0 + HOUR - 1);
	expect("1 s before the courier's exp: granted", &f, &c, PT_OK, -1);
	ctx_at(&c, T0 + 15 * DAY);
	expect("expired: at the carrier's exp", &f, &c, PT_EEXPIRED, 0);

	/* outside-schedule */
	ctx_std(&c);
	g = f;
	g.g[1].nbf = T0 - 2 * HOUR;
	g.g[1].exp = T0 + 2 * HOUR;
	g.g[1].sched.n_windows = 2;
	g.g[1].sched.windows[0] = (struct pt_window){T0 - 2 * HOUR, T0 - HOUR};
	g.g[1].sched.windows[1] = (struct pt_window){T0 + HOUR, T0 + 2 * HOUR};
	T_EQ(build(&g), PT_OK, "window gap: built");
	expect("outside-schedule: between two windows", &g, &c, PT_ESCHEDULE, 1);
	ctx_at(&c, T0 - HOUR - 1);
	expect("inside the first window: granted", &g, &c, PT_OK, -1);
	ctx_at(&c, T0 - HOUR);
	expect("outside-schedule: at the first window's end", &g, &c, PT_ESCHEDULE, 1);
	ctx_at(&c, T0 + HOUR);
	expect("at the second window's start: granted", &g, &c, PT_OK, -1);
	ctx_at(&c, T0 - 2 * HOUR - 1);
	expect("before the first window (and nbf): not-yet-valid", &g, &c, PT_ENOTYET, 1);
	/* Week-day intervals: a one-link chain with Mon-Fri 08:00-20:00. */
	g = f;
	g.n = 1;
	g.g[0] = f.g[1];
	g.g[0].sched.n_windows = 0;
	g.g[0].nbf = T0 - 15 * DAY;
	g.g[0].exp = T0 + 15 * DAY;
	g.by[0] = &owner;
	T_EQ(build(&g), PT_OK, "weekly: one-link chain built");
	ctx_std(&c);
	expect("weekly: Wednesday 12:00: granted", &g, &c, PT_OK, -1);
	ctx_at(&c, T0 + 9 * HOUR);
	expect("outside-schedule: Wednesday 21:00 (weekly hour)", &g, &c, PT_ESCHEDULE, 0);
	ctx_at(&c, wed_local_8 - 1);
	expect("outside-schedule: Wednesday 07:59:59", &g, &c, PT_ESCHEDULE, 0);
	ctx_at(&c, wed_local_8);
	expect("weekly: Wednesday 08:00:00: granted", &g, &c, PT_OK, -1);
	ctx_at(&c, T0 + 8 * HOUR - 1);
	expect("weekly: Wednesday 19:59:59: granted", &g, &c, PT_OK, -1);
	ctx_at(&c, T0 + 8 * HOUR);
	expect("outside-schedule: Wednesday 20:00:00", &g, &c, PT_ESCHEDULE, 0);
	ctx_at(&c, T0 + 3 * DAY);
	expect("outside-schedule: Saturday 12:00 (weekly day)", &g, &c, PT_ESCHEDULE, 0);
	ctx_at(&c, T0 + 4 * DAY);
	expect("outside-schedule: Sunday 12:00 (weekly day)", &g, &c, PT_ESCHEDULE, 0);
	ctx_at(&c, T0 + 5 * DAY);
	expect("weekly: Monday 12:00: granted", &g, &c, PT_OK, -1);
	/* Local time is what counts, not UTC. */
	ctx_at(&c, T0 + 9 * HOUR - 30 * 60);
	expect("outside-schedule: 18:30Z (inside 08-20 in UTC) is 20:30 CEST", &g, &c, PT_ESCHEDULE, 0);
	ctx_at(&c, wed_local_8 + 30 * 60);
	expect("weekly: 06:30Z (outside 08-20 in UTC) is 08:30 CEST: granted", &g, &c, PT_OK, -1);
	ctx_std(&c);
	c.tz_name = "Europe/Paris";
	expect("outside-schedule: the home's zone is Europe/Paris (tz name mismatch)", &f, &c,
	       PT_ESCHEDULE, 0);
	c.tz_name = NULL;
	expect("outside-schedule: the home has no zone name", &f, &c, PT_ESCHEDULE, 0);
	ctx_std(&c);
	c.tz = NULL;
	expect("outside-schedule: the home's zone rules are missing", &f, &c, PT_ESCHEDULE, 0);

	/* time-unknown */
	ctx_std(&c);
	c.time_trusted = false;
	expect("time-unknown: clock not trusted", &f, &c, PT_ETIMEUNKNOWN, -1);

	/* wrong-home-or-lock */
	ctx_std(&c);
	c.home_id = "home-0000";
	expect("wrong-home-or-lock: other home", &f, &c, PT_EAUDIENCE, 0);
	c.home_id = NULL;
	expect("wrong-home-or-lock: hub without a home id", &f, &c, PT_EAUDIENCE, 0);
	ctx_std(&c);
	c.lock_id = "back";
	expect("wrong-home-or-lock: other lock", &f, &c, PT_EAUDIENCE, 0);
	c.lock_id = NULL;
	expect("wrong-home-or-lock: no lock id", &f, &c, PT_EAUDIENCE, 0);
	g = f;
	g.g[0].n_locks = 2;
	strcpy(g.g[0].locks[0], "back");
	strcpy(g.g[0].locks[1], LOCK);
	T_EQ(build(&g), PT_OK, "carrier with back+front: built");
	ctx_std(&c);
	c.lock_id = "back";
	expect("wrong-home-or-lock: the carrier may open 'back', the courier may not", &g, &c,
	       PT_EAUDIENCE, 1);
	g.g[0].n_locks = 0;
	T_EQ(build(&g), PT_OK, "carrier for all locks: built");
	c.lock_id = LOCK;
	expect("carrier for all locks, courier for 'front': granted at 'front'", &g, &c, PT_OK, -1);

	/* no-entries-left */
	ctx_std(&c);
	{
		struct pt_usage u[2];
		memcpy(u[0].cti, f.g[0].cti, PT_CTI_LEN);
		u[0].used = 49;
		memcpy(u[1].cti, f.g[1].cti, PT_CTI_LEN);
		u[1].used = 0;
		c.usage = u;
		c.n_usage = 2;
		expect("49 of 50 carrier entries and 0 of 1 courier entries used: granted", &f, &c, PT_OK,
		       -1);
		u[1].used = 1;
		expect("no-entries-left: the courier's one entry used", &f, &c, PT_ENOENTRIES, 1);
		u[1].used = 0;
		u[0].used = 50;
		expect("no-entries-left: the carrier's 50 entries used", &f, &c, PT_ENOENTRIES, 0);
		u[0].used = UINT32_MAX;
		expect("no-entries-left: used count UINT32_MAX", &f, &c, PT_ENOENTRIES, 0);
		c.usage = NULL;
		c.n_usage = 0;
	}

	/* revoked */
	{
		uint8_t ctis[3][PT_CTI_LEN], keys[3][PT_PK_LEN];
		int which;
		const char *names[] = {"the carrier link's token id", "the courier link's token id"};

		for (which = 0; which < 2; which++) {
			ctx_std(&c);
			memset(ctis[0], 0x00, PT_CTI_LEN);
			memcpy(ctis[1], f.g[which].cti, PT_CTI_LEN);
			memset(ctis[2], 0xff, PT_CTI_LEN);
			qsort(ctis, 3, PT_CTI_LEN, cmp16);
			c.revoked_ctis = (const uint8_t(*)[PT_CTI_LEN])ctis;
			c.n_revoked_ctis = 3;
			T_EQ(decide(&f, &c, &d), PT_EREVOKED, "revoked: %s", names[which]);
			T_EQ(d.link, which, "revoked: %s: link %d", names[which], which);
		}
		{
			struct {
				const char *what;
				const uint8_t *pk;
				int link;
			} kc[] = {
				{"the courier's key", courier.pk, 1},
				{"the carrier's key", carrier.pk, 0},
				{"the owner's (root) key", owner.pk, 0},
			};
			size_t k;
			for (k = 0; k < 3; k++) {
				ctx_std(&c);
				memset(keys[0], 0x01, PT_PK_LEN);
				memcpy(keys[1], kc[k].pk, PT_PK_LEN);
				memset(keys[2], 0xfe, PT_PK_LEN);
				qsort(keys, 3, PT_PK_LEN, cmp32);
				c.revoked_keys = (const uint8_t(*)[PT_PK_LEN])keys;
				c.n_revoked_keys = 3;
				T_EQ(decide(&f, &c, &d), PT_EREVOKED, "revoked: %s", kc[k].what);
				T_EQ(d.link, kc[k].link, "revoked: %s: link %d", kc[k].what, kc[k].link);
			}
			ctx_std(&c);
			memcpy(keys[0], stranger.pk, PT_PK_LEN);
			c.revoked_keys = (const uint8_t(*)[PT_PK_LEN])keys;
			c.n_revoked_keys = 1;
			memset(ctis[0], 0x33, PT_CTI_LEN);
			c.revoked_ctis = (const uint8_t(*)[PT_CTI_LEN])ctis;
			c.n_revoked_ctis = 1;
			expect("unrelated revocations: granted", &f, &c, PT_OK, -1);
		}
	}

	/* revocation-data-too-old */
	ctx_std(&c);
	c.revocations_at = T0 - 3600;
	expect("revocations exactly max_age old: granted", &f, &c, PT_OK, -1);
	c.revocations_at = T0 - 3601;
	expect("revocation-data-too-old: max_age + 1 s", &f, &c, PT_EREVSTALE, -1);
	c.revocations_at = T0 + 10;
	expect("revocation-data-too-old: refreshed in the future", &f, &c, PT_EREVSTALE, -1);
	c.revocations_at = 0;
	c.revocations_max_age = 0;
	expect("no freshness limit configured: granted", &f, &c, PT_OK, -1);
	{
		struct fx rf;
		fx_std(&rf);
		rf.n = 1;
		memset(&rf.g[0], 0, sizeof(rf.g[0]));
		strcpy(rf.g[0].aud, HOME);
		set_cti(&rf.g[0], 0x30);
		memcpy(rf.g[0].holder, courier.pk, PT_PK_LEN);
		rf.g[0].purpose = PT_PURPOSE_RESIDENT;
		T_EQ(build(&rf), PT_OK, "resident chain: built");
		ctx_std(&c);
		c.revocations_at = T0 - 30 * DAY;
		expect("resident with revocations 30 days old: granted (not revocation-data-too-old)",
		       &rf, &c, PT_OK, -1);
		c.time_trusted = false;
		expect("resident, clock untrusted, stale revocations: granted", &rf, &c, PT_OK, -1);
		/* A time-bound resident still needs the time, but not fresh revocations. */
		rf.g[0].has_exp = true;
		rf.g[0].exp = T0 + DAY;
		T_EQ(build(&rf), PT_OK, "time-bound resident: built");
		expect("time-unknown: time-bound resident, clock untrusted", &rf, &c, PT_ETIMEUNKNOWN, -1);
		c.time_trusted = true;
		expect("time-bound resident, stale revocations: granted", &rf, &c, PT_OK, -1);
	}

	/* camera, alarm, door */
	ctx_std(&c);
	c.camera_healthy = false;
	expect("camera-unhealthy", &f, &c, PT_ECAMERA, -1);
	ctx_std(&c);
	c.alarm_can_bypass = false;
	expect("alarm-cannot-bypass", &f, &c, PT_EALARM, -1);
	ctx_std(&c);
	c.door_closed = false;
	expect("door-not-closed: door open", &f, &c, PT_EDOOR, -1);
	ctx_std(&c);
	c.bolt_locked = false;
	expect("door-not-closed: bolt not thrown", &f, &c, PT_EDOOR, -1);
	{
		/* Without the conditions, camera and alarm do not matter; the door does. */
		g = f;
		g.g[0].cond = 0;
		g.g[1].cond = 0;
		T_EQ(build(&g), PT_OK, "no conditions: built");
		ctx_std(&c);
		c.camera_healthy = false;
		c.alarm_can_bypass = false;
		expect("no conditions, camera and alarm down: granted", &g, &c, PT_OK, -1);
		c.door_closed = false;
		expect("no conditions, door open: door-not-closed", &g, &c, PT_EDOOR, -1);
		/* The courier's condition alone is enough to require the camera. */
		g.g[1].cond = PT_COND_CAMERA;
		T_EQ(build(&g), PT_OK, "courier requires the camera: built");
		ctx_std(&c);
		c.camera_healthy = false;
		expect("camera-unhealthy: the courier link requires it", &g, &c, PT_ECAMERA, -1);
	}

	/* locked-out */
	ctx_std(&c);
	c.locked_out_until_ms = MONO + 1;
	expect("locked-out: 1 ms left", &f, &c, PT_ELOCKEDOUT, -1);
	c.locked_out_until_ms = MONO;
	expect("lockout ended exactly now: granted", &f, &c, PT_OK, -1);

	/* proof-too-late */
	ctx_std(&c);
	g = f;
	g.ch.issued_ms = MONO - PROOF_MAX;
	expect("proof exactly at the bound: granted", &g, &c, PT_OK, -1);
	g.ch.issued_ms = MONO - PROOF_MAX - 1;
	expect("proof-too-late: one ms over the bound", &g, &c, PT_ETOOLATE, -1);
	g.ch.issued_ms = MONO + 1;
	expect("proof-too-late: challenge issued in the future", &g, &c, PT_ETOOLATE, -1);

	/* nonce-reused */
	g = f;
	g.ch.used = true;
	expect("nonce-reused", &g, &c, PT_ENONCE, -1);

	/* too-large */
	{
		static uint8_t big[PT_CHAIN_SIZE_MAX + 1];
		struct pt_decision dd;
		int r;
		memcpy(big, f.chain, f.chain_len);
		r = pt_decide(ops, big, sizeof(big), f.proof, PT_SIG_LEN, &f.ch, &c, &decoded, &dd);
		T_OK(r == PT_ETOOBIG && dd.link == -1, "too-large: %zu-byte chain", sizeof(big));
	}

	/* unsupported: a properly signed courier link with an unknown claim */
	g = f;
	{
		uint8_t l1[PT_LINK_SIZE_MAX];
		size_t ln = 0;
		int r = unknown_claim_link(&carrier, &g.g[1], l1, sizeof(l1), &ln);
		T_EQ(r, PT_OK, "unsupported: link with claim -65538 signed by the carrier");
		/* [link 0, that link] */
		g.chain[0] = 0x82;
		memcpy(g.chain + 1 + g.link_len[0], l1, ln);
		g.chain_len = 1 + g.link_len[0] + ln;
		reprove(&g);
		expect("unsupported: unknown claim in a signed link", &g, &c, PT_EUNSUPPORTED, -1);
	}

	/* Order of the checks; the home's state stays hidden from a bad proof. */
	ctx_std(&c);
	c.camera_healthy = false;
	c.door_closed = false;
	g = f;
	g.proof[0] ^= 1;
	expect("bad proof while the camera is down and the door open: bad-signature", &g, &c,
	       PT_EBADSIG, 1);
	c.roots = NULL;
	c.n_roots = 0;
	expect("untrusted root while the camera is down: untrusted-root", &f, &c, PT_EUNTRUSTED, 0);
	ctx_std(&c);
	c.locked_out_until_ms = MONO + 1;
	g = f;
	g.ch.used = true;
	g.ch.issued_ms = 0;
	expect("locked out, reused, late: locked-out first", &g, &c, PT_ELOCKEDOUT, -1);
	c.locked_out_until_ms = 0;
	expect("reused and late: nonce-reused first", &g, &c, PT_ENONCE, -1);
	g.ch.used = false;
	g.chain_len = 3;
	expect("late and malformed: proof-too-late first", &g, &c, PT_ETOOLATE, -1);
	ctx_std(&c);
	c.time_trusted = false;
	c.home_id = "elsewhere";
	expect("wrong home and time unknown: wrong-home-or-lock first", &f, &c, PT_EAUDIENCE, 0);
	ctx_std(&c);
	ctx_at(&c, T0 + 16 * DAY);
	c.camera_healthy = false;
	expect("expired and camera down: expired first", &f, &c, PT_EEXPIRED, 0);
}

/* ---- (c) DST ---- */

struct sweep {
	int granted;
	int other;	/* neither granted nor outside-schedule */
};

static void
dst_chain(struct fx *f, struct pt_weekly w)
{
	fx_std(f);
	f->n = 1;
	courier_grant(&f->g[0]);
	f->g[0].sched.n_windows = 0;
	f->g[0].nbf = utc(2026, 3, 1, 0, 0, 0);
	f->g[0].exp = utc(2026, 11, 30, 0, 0, 0);
	f->g[0].sched.weekly[0] = w;
	f->by[0] = &owner;
}

static struct sweep
sweep(const struct fx *f, int64_t from, int64_t to, int64_t step)
{
	struct pt_context c;
	struct pt_decision d;
	struct sweep s = {0, 0};
	int64_t t;

	ctx_std(&c);
	for (t = from; t < to; t += step) {
		int r;
		ctx_at(&c, t);
		r = decide(f, &c, &d);
		if (r == PT_OK)
			s.granted++;
		else if (r != PT_ESCHEDULE)
			s.other++;
	}
	return s;
}

static int
at(const struct fx *f, int64_t t)
{
	struct pt_context c;
	struct pt_decision d;

	ctx_std(&c);
	ctx_at(&c, t);
	return decide(f, &c, &d);
}

static void
test_dst(void)
{
	struct fx a, b, m;
	struct sweep s;
	int64_t spring = utc(2026, 3, 29, 1, 0, 0);	/* 02:00 CET -> 03:00 CEST */
	int64_t fall = utc(2026, 10, 25, 1, 0, 0);	/* 03:00 CEST -> 02:00 CET */
	int32_t off = 0;

	if (!have_tz) {
		T_OK(0, "DST: Europe/Berlin loaded");
		return;
	}
	T_OK(pt_tz_offset(&berlin, spring - 1, &off) == PT_OK && off == 3600 &&
		     pt_tz_offset(&berlin, spring, &off) == PT_OK && off == 7200,
	     "DST: Berlin moves from +1 to +2 at 2026-03-29T01:00Z");
	T_OK(pt_tz_offset(&berlin, fall - 1, &off) == PT_OK && off == 7200 &&
		     pt_tz_offset(&berlin, fall, &off) == PT_OK && off == 3600,
	     "DST: Berlin moves from +2 to +1 at 2026-10-25T01:00Z");

	dst_chain(&a, (struct pt_weekly){0x01, 120, 180});	/* Sun 02:00-03:00 */
	dst_chain(&b, (struct pt_weekly){0x01, 60, 120});	/* Sun 01:00-02:00 */
	dst_chain(&m, (struct pt_weekly){0x02, 480, 540});	/* Mon 08:00-09:00 */
	T_OK(build(&a) == PT_OK && build(&b) == PT_OK && build(&m) == PT_OK, "DST: chains built");

	/* Spring forward: local 02:00-03:00 does not exist. Sweep two days in 5-min steps. */
	s = sweep(&a, spring - DAY, spring + DAY, 300);
	T_OK(s.granted == 0 && s.other == 0, "DST spring: Sun 02:00-03:00 never matches (%d)", s.granted);
	s = sweep(&b, spring - DAY, spring + DAY, 300);
	T_OK(s.granted == 12 && s.other == 0, "DST spring: Sun 01:00-02:00 matches one hour (%d x 5 min)",
	     s.granted);
	T_EQ(at(&b, spring - 1), PT_OK, "DST spring: 00:59:59Z = 01:59:59 CET is in 01:00-02:00");
	T_EQ(at(&b, spring), PT_ESCHEDULE, "DST spring: 01:00:00Z = 03:00 CEST is not");
	T_EQ(at(&a, spring), PT_ESCHEDULE, "DST spring: 01:00:00Z = 03:00 CEST is not in 02:00-03:00");
	T_EQ(at(&a, spring - 1), PT_ESCHEDULE, "DST spring: 01:59:59 CET is not in 02:00-03:00");

	/* Fall back: local 02:00-03:00 happens twice; both match. */
	s = sweep(&a, fall - DAY, fall + DAY, 300);
	T_OK(s.granted == 24 && s.other == 0, "DST fall: Sun 02:00-03:00 matches both hours (%d x 5 min)",
	     s.granted);
	T_EQ(at(&a, fall - HOUR), PT_OK, "DST fall: 00:00Z = 02:00 CEST matches");
	T_EQ(at(&a, fall - 1), PT_OK, "DST fall: 00:59:59Z = 02:59:59 CEST matches");
	T_EQ(at(&a, fall), PT_OK, "DST fall: 01:00Z = 02:00 CET (second time) matches");
	T_EQ(at(&a, fall + HOUR - 1), PT_OK, "DST fall: 01:59:59Z = 02:59:59 CET matches");
	T_EQ(at(&a, fall + HOUR), PT_ESCHEDULE, "DST fall: 02:00Z = 03:00 CET does not");
	T_EQ(at(&a, fall - HOUR - 1), PT_ESCHEDULE, "DST fall: 23:59:59Z = 01:59:59 CEST does not");
	s = sweep(&b, fall - DAY, fall + DAY, 300);
	T_OK(s.granted == 12 && s.other == 0, "DST fall: Sun 01:00-02:00 matches once (%d x 5 min)",
	     s.granted);

	/* The day after: Monday 08:30 local is 06:30Z in summer, 07:30Z in winter. */
	T_EQ(at(&m, utc(2026, 3, 23, 7, 30, 0)), PT_OK, "Mon 2026-03-23 07:30Z = 08:30 CET: matches");
	T_EQ(at(&m, utc(2026, 3, 23, 6, 30, 0)), PT_ESCHEDULE, "Mon 2026-03-23 06:30Z = 07:30 CET: no");
	T_EQ(at(&m, utc(2026, 3, 30, 6, 30, 0)), PT_OK, "Mon 2026-03-30 06:30Z = 08:30 CEST: matches");
	T_EQ(at(&m, utc(2026, 3, 30, 7, 30, 0)), PT_ESCHEDULE, "Mon 2026-03-30 07:30Z = 09:30 CEST: no");
	T_EQ(at(&m, utc(2026, 10, 19, 6, 30, 0)), PT_OK, "Mon 2026-10-19 06:30Z = 08:30 CEST: matches");
	T_EQ(at(&m, utc(2026, 10, 19, 7, 30, 0)), PT_ESCHEDULE, "Mon 2026-10-19 07:30Z = 09:30 CEST: no");
	T_EQ(at(&m, utc(2026, 10, 26, 7, 30, 0)), PT_OK, "Mon 2026-10-26 07:30Z = 08:30 CET: matches");
	T_EQ(at(&m, utc(2026, 10, 26, 6, 30, 0)), PT_ESCHEDULE, "Mon 2026-10-26 06:30Z = 07:30 CET: no");
	s = sweep(&m, utc(2026, 3, 30, 0, 0, 0), utc(2026, 3, 31, 0, 0, 0), 60);
	T_EQ(s.granted, 60, "Mon 2026-03-30: exactly 60 minutes match");
	s = sweep(&m, utc(2026, 10, 26, 0, 0, 0), utc(2026, 10, 27, 0, 0, 0), 60);
	T_EQ(s.granted, 60, "Mon 2026-10-26: exactly 60 minutes match");
}

/* ---- (d) property tests ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t
rnd(void)
{
	uint64_t x = rng_state;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng_state = x;
	return x * 0x2545f4914f6cdd1dull;
}

/* Uniform-ish in [lo, hi]. */
static int64_t
rr(int64_t lo, int64_t hi)
{
	if (hi <= lo)
		return lo;
	return lo + (int64_t)(rnd() % (uint64_t)(hi - lo + 1));
}

static bool
coin(int percent)
{
	return (int)(rnd() % 100) < percent;
}

static void
rand_cti(uint8_t cti[PT_CTI_LEN])
{
	size_t i;

	for (i = 0; i < PT_CTI_LEN; i++)
		cti[i] = (uint8_t)rnd();
	cti[0] |= 1;	/* never all zero */
}

static const char *const lock_universe[] = {"a-door", "back", "front", "garage", "side", "z.1"};
#define N_UNIVERSE 6
#define FRONT_IX 2

struct world {
	int64_t now;
	unsigned minute;	/* local minute of the day */
	int wday;
};

static void
rand_note(char *note)
{
	size_t n = (size_t)rr(1, 40), i;

	for (i = 0; i < n; i++)
		note[i] = (char)rr(0x20, 0x7e);
	note[n] = '\0';
}

/* A random lock set, sorted, containing "front"; from parent's if it has any. */
static void
rand_locks(struct pt_grant *g, const struct pt_grant *p)
{
	size_t i;

	g->n_locks = 0;
	if (p != NULL && p->n_locks > 0) {
		for (i = 0; i < p->n_locks; i++)
			if (strcmp(p->locks[i], LOCK) == 0 || coin(50))
				strcpy(g->locks[g->n_locks++], p->locks[i]);
		return;
	}
	if (coin(50))
		return;	/* every lock */
	for (i = 0; i < N_UNIVERSE; i++)
		if (i == FRONT_IX || coin(40))
			strcpy(g->locks[g->n_locks++], lock_universe[i]);
}

static void
add_window_around_now(struct pt_schedule *s, const struct world *w)
{
	if (coin(40))
		s->windows[s->n_windows++] = (struct pt_window){w->now - 3 * DAY, w->now - 2 * DAY};
	s->windows[s->n_windows++] =
		(struct pt_window){w->now - rr(0, 5 * HOUR), w->now + rr(1, 5 * HOUR)};
	if (coin(40))
		s->windows[s->n_windows++] = (struct pt_window){w->now + 2 * DAY, w->now + 3 * DAY};
}

static void
add_weekly_around_now(struct pt_grant *g, const struct world *w)
{
	struct pt_schedule *s = &g->sched;

	strcpy(s->tz, TZNAME);
	if (coin(30))
		s->weekly[s->n_weekly++] =
			(struct pt_weekly){(uint8_t)rr(1, 0x7f), (uint16_t)rr(0, 700), (uint16_t)rr(701, 1440)};
	s->weekly[s->n_weekly++] = (struct pt_weekly){
		(uint8_t)((1u << w->wday) | (rnd() & 0x7f)), (uint16_t)rr(0, w->minute),
		(uint16_t)rr(w->minute + 1, 1440)};
}

static void
rand_root(struct pt_grant *g, const struct world *w, int n_links, const uint8_t holder[PT_PK_LEN])
{
	memset(g, 0, sizeof(*g));
	strcpy(g->aud, HOME);
	g->purpose = (uint8_t)rr(1, 4);
	if (coin(60)) {
		g->has_nbf = true;
		g->nbf = w->now - rr(0, 30 * DAY);
	}
	if (g->purpose != PT_PURPOSE_RESIDENT || coin(60)) {
		g->has_exp = true;
		g->exp = w->now + rr(1, 30 * DAY);
	}
	rand_cti(g->cti);
	memcpy(g->holder, holder, PT_PK_LEN);
	rand_locks(g, NULL);
	if (g->purpose == PT_PURPOSE_DELIVERY || coin(60)) {
		g->has_entries = true;
		g->entries = (uint32_t)rr(1, 1000);
	}
	g->depth = (uint8_t)rr(n_links - 1, PT_DEPTH_MAX);
	g->cond = (uint32_t)rr(0, 3);
	if (coin(50)) {
		g->has_door_open = true;
		g->door_open_max = (uint32_t)rr(30, 600);
	}
	if (coin(40))
		add_window_around_now(&g->sched, w);
	if (coin(40))
		add_weekly_around_now(g, w);
	if (coin(30))
		rand_note(g->note);
}

/* A random valid narrowing of p that still admits w->now. */
static void
rand_child(struct pt_grant *g, const struct pt_grant *p, const struct world *w, int left,
	   const uint8_t holder[PT_PK_LEN])
{
	const struct pt_schedule *ps = &p->sched;
	struct pt_schedule *s = &g->sched;
	size_t i;

	memset(g, 0, sizeof(*g));
	strcpy(g->aud, p->aud);
	g->purpose = p->purpose;
	rand_cti(g->cti);
	memcpy(g->holder, holder, PT_PK_LEN);
	g->depth = (uint8_t)rr(left, p->depth - 1);
	rand_locks(g, p);
	if (p->has_entries) {
		g->has_entries = true;
		g->entries = (uint32_t)rr(1, p->entries);
	} else if (coin(50)) {
		g->has_entries = true;
		g->entries = (uint32_t)rr(1, PT_ENTRIES_MAX);
	}
	if (p->has_nbf) {
		g->has_nbf = true;
		g->nbf = rr(p->nbf, w->now);
	} else if (coin(40)) {
		g->has_nbf = true;
		g->nbf = w->now - rr(0, DAY);
	}
	if (p->has_exp) {
		g->has_exp = true;
		g->exp = rr(w->now + 1, p->exp);
	} else if (g->purpose != PT_PURPOSE_RESIDENT || coin(40)) {
		g->has_exp = true;
		g->exp = w->now + rr(1, DAY);
	}
	g->cond = p->cond | (uint32_t)rr(0, 3);
	if (p->has_door_open) {
		g->has_door_open = true;
		g->door_open_max = (uint32_t)rr(1, p->door_open_max);
	} else if (coin(30)) {
		g->has_door_open = true;
		g->door_open_max = (uint32_t)rr(1, 600);
	}
	if (ps->n_windows > 0) {
		/* the parent window that admits now */
		size_t j = 0;
		for (i = 0; i < ps->n_windows; i++)
			if (ps->windows[i].start <= w->now && w->now < ps->windows[i].end)
				j = i;
		if (coin(70)) {
			for (i = 0; i < ps->n_windows; i++) {
				struct pt_window pw = ps->windows[i];
				if (i == j) {
					int64_t a = rr(pw.start, w->now), b = rr(w->now + 1, pw.end);
					s->windows[s->n_windows++] = (struct pt_window){a, b};
				} else if (coin(50)) {
					int64_t a = rr(pw.start, pw.end - 1);
					s->windows[s->n_windows++] = (struct pt_window){a, rr(a + 1, pw.end)};
				}
			}
		} else {
			/* no windows: nbf/exp inside the parent window */
			struct pt_window pw = ps->windows[j];
			if (!g->has_nbf || g->nbf < pw.start)
				g->nbf = pw.start;
			if (!g->has_exp || g->exp > pw.end)
				g->exp = pw.end;
			g->has_nbf = g->has_exp = true;
		}
	} else if (coin(30)) {
		add_window_around_now(s, w);
	}
	if (ps->n_weekly > 0) {
		bool got_now = false;
		strcpy(s->tz, ps->tz);
		for (i = 0; i < ps->n_weekly; i++) {
			struct pt_weekly pw = ps->weekly[i];
			bool admits = (pw.days & (1u << w->wday)) && pw.start_min <= w->minute &&
				      w->minute < pw.end_min;
			if (admits && (!got_now || coin(50))) {
				got_now = true;
				s->weekly[s->n_weekly++] = (struct pt_weekly){
					(uint8_t)((1u << w->wday) | (pw.days & rnd())),
					(uint16_t)rr(pw.start_min, w->minute),
					(uint16_t)rr(w->minute + 1, pw.end_min)};
			} else if (coin(40)) {
				uint16_t a = (uint16_t)rr(pw.start_min, pw.end_min - 1);
				uint8_t days = (uint8_t)(pw.days & rnd());
				if (days == 0)
					days = pw.days;
				s->weekly[s->n_weekly++] =
					(struct pt_weekly){days, a, (uint16_t)rr(a + 1, pw.end_min)};
			}
		}
	} else if (coin(30)) {
		add_weekly_around_now(g, w);
	}
	if (coin(30))
		rand_note(g->note);
}

/* Make c wider than p in exactly one (applicable) respect. Returns the rule. */
static const char *
widen(struct pt_grant *c, const struct pt_grant *p)
{
	for (;;) {
		switch (rnd() % 11) {
		case 0:
			c->depth = p->depth;
			return "depth";
		case 1:
			strcpy(c->aud, "home-elsewhere");
			return "aud";
		case 2:
			c->purpose = (uint8_t)(p->purpose % 4 + 1);
			if (c->purpose != PT_PURPOSE_RESIDENT && !c->has_exp) {
				c->has_exp = true;	/* parent has none either */
				c->exp = T0 + 400 * DAY;
			}
			if (c->purpose == PT_PURPOSE_DELIVERY && !c->has_entries) {
				c->has_entries = true;	/* parent has none either */
				c->entries = 1;
			}
			return "purpose";
		case 3:
			if (p->n_locks == 0)
				break;
			if (coin(50) || c->n_locks == PT_LOCKS_MAX)
				c->n_locks = 0;
			else
				strcpy(c->locks[c->n_locks++], "zz-foreign");
			return "locks";
		case 4:
			if (!p->has_entries)
				break;
			if (p->entries < PT_ENTRIES_MAX &&
			    (c->purpose == PT_PURPOSE_DELIVERY || coin(70)))
				c->entries = p->entries + 1;
			else if (c->purpose != PT_PURPOSE_DELIVERY)
				c->has_entries = false;	/* deliveries always count */
			else
				break;
			return "entries";
		case 5:
			if (!p->has_nbf || p->nbf == 0)
				break;
			if (coin(70))
				c->nbf = p->nbf - 1;
			else
				c->has_nbf = false;
			return "nbf";
		case 6:
			if (!p->has_exp)
				break;
			c->exp = p->exp + 1;
			return "exp";
		case 7:
			if (p->cond == 0)
				break;
			c->cond &= ~(p->cond & (0u - p->cond));	/* drop the parent's lowest bit */
			return "cond";
		case 8:
			if (!p->has_door_open)
				break;
			if (coin(70))
				c->door_open_max = p->door_open_max + 1;
			else
				c->has_door_open = false;
			return "door-open";
		case 9:
			if (p->sched.n_windows == 0)
				break;
			c->sched.n_windows = 1;
			c->sched.windows[0] = (struct pt_window){p->sched.windows[0].start - 1,
								 p->sched.windows[0].end};
			return "windows";
		case 10: {
			size_t i;
			bool full = false;
			if (p->sched.n_weekly == 0)
				break;
			for (i = 0; i < p->sched.n_weekly; i++)
				full = full || (p->sched.weekly[i].days == 0x7f &&
						p->sched.weekly[i].start_min == 0 &&
						p->sched.weekly[i].end_min == 1440);
			if (coin(30)) {
				strcpy(c->sched.tz, "Europe/Paris");
				return "weekly tz";
			}
			if (!full && coin(50)) {
				c->sched.n_weekly = 1;
				c->sched.weekly[0] = (struct pt_weekly){0x7f, 0, 1440};
				return "weekly interval";
			}
			c->sched.n_weekly = 0;
			c->sched.tz[0] = '\0';
			return "weekly dropped";
		}
		}
	}
}

static void
flip(uint8_t *p, size_t bit)
{
	p[bit / 8] ^= (uint8_t)(1u << (bit % 8));
}

static void
test_properties(void)
{
	enum { ITER = 300 };
	int it;
	long n_grant = 0, n_chain_flips = 0, n_proof_flips = 0, n_widen = 0, n_revoke = 0;
	long bad_grant = 0, bad_chain_flip = 0, bad_proof_flip = 0, bad_widen = 0, bad_revoke = 0;
	long bad_valid = 0, links_total = 0, by_len[PT_CHAIN_MAX + 1] = {0};
	struct {
		const char *name;
		long count;
	} rules[16];
	size_t n_rules = 0, k;

	for (it = 0; it < ITER; it++) {
		static struct fx f, g;
		struct world w;
		struct pt_context c;
		struct pt_decision d;
		struct pt_civil lc;
		struct key *holders[PT_CHAIN_MAX];
		int n = (int)rr(1, PT_CHAIN_MAX), i, r;
		size_t bits, b;
		bool all_chain = it % 50 == 0, all_proof = it % 25 == 0;
		struct pt_usage usage[PT_CHAIN_MAX];
		size_t n_usage = 0;

		w.now = T0 + rr(-200 * DAY, 200 * DAY);
		if (pt_tz_local(&berlin, w.now, &lc) != PT_OK) {
			bad_valid++;
			continue;
		}
		w.minute = (unsigned)(lc.hour * 60 + lc.min);
		w.wday = lc.wday;

		memset(&f, 0, sizeof(f));
		f.n = (uint8_t)n;
		for (i = 0; i < n; i++)
			holders[i] = &pool[rnd() % N_POOL];
		rand_root(&f.g[0], &w, n, holders[0]->pk);
		f.by[0] = &owner;
		for (i = 1; i < n; i++) {
			rand_child(&f.g[i], &f.g[i - 1], &w, n - 1 - i, holders[i]->pk);
			f.by[i] = holders[i - 1];
		}
		f.device = holders[n - 1];
		for (i = 0; i < PT_NONCE_LEN; i++)
			f.ch.nonce[i] = (uint8_t)rnd();
		f.ch.issued_ms = MONO - (uint64_t)rr(0, PROOF_MAX);
		for (i = 0; i < n; i++) {
			if (pt_grant_check(&f.g[i]) != PT_OK ||
			    (i > 0 && pt_grant_narrows(&f.g[i - 1], &f.g[i]) != PT_OK) ||
			    pt_grant_time_check(&f.g[i], w.now, &berlin, TZNAME) != PT_OK)
				bad_valid++;
		}
		if ((r = build(&f)) != PT_OK) {
			bad_valid++;
			printf("# iteration %d: build failed: %s\n", it, pt_err_code(r));
			continue;
		}
		links_total += n;
		by_len[n]++;
		ctx_std(&c);
		ctx_at(&c, w.now);
		for (i = 0; i < n; i++)
			if (f.g[i].has_entries && coin(30)) {
				memcpy(usage[n_usage].cti, f.g[i].cti, PT_CTI_LEN);
				usage[n_usage++].used = (uint32_t)rr(0, f.g[i].entries - 1);
			}
		c.usage = usage;
		c.n_usage = n_usage;

		/* It grants. */
		n_grant++;
		r = decide(&f, &c, &d);
		if (r != PT_OK) {
			bad_grant++;
			printf("# iteration %d (%d links): refused: %s at link %d\n", it, n,
			       pt_err_code(r), d.link);
			continue;
		}
		{
			int want = 0;
			uint32_t cond = 0, door = 0;
			for (i = 0; i < n; i++) {
				if (f.g[i].has_entries &&
				    memcmp(d.charge[want++], f.g[i].cti, PT_CTI_LEN) != 0)
					bad_grant++;
				cond |= f.g[i].cond;
				if (f.g[i].has_door_open && (door == 0 || f.g[i].door_open_max < door))
					door = f.g[i].door_open_max;
			}
			if (d.n_charge != want || d.cond != cond || d.door_open_max != door ||
			    d.purpose != f.g[n - 1].purpose)
				bad_grant++;
		}

		/* Every chain bit (or a sample): refused. */
		bits = f.chain_len * 8;
		for (b = 0; b < (all_chain ? bits : 64); b++) {
			size_t bit = all_chain ? b : (size_t)(rnd() % bits);
			flip(f.chain, bit);
			n_chain_flips++;
			if (decide(&f, &c, &d) == PT_OK) {
				bad_chain_flip++;
				printf("# iteration %d: chain bit %zu flipped: granted\n", it, bit);
			}
			flip(f.chain, bit);
		}
		/* Every proof bit (or a sample): refused. */
		for (b = 0; b < (all_proof ? PT_SIG_LEN * 8 : 16); b++) {
			size_t bit = all_proof ? b : (size_t)(rnd() % (PT_SIG_LEN * 8));
			flip(f.proof, bit);
			n_proof_flips++;
			if (decide(&f, &c, &d) == PT_OK) {
				bad_proof_flip++;
				printf("# iteration %d: proof bit %zu flipped: granted\n", it, bit);
			}
			flip(f.proof, bit);
		}
		if (decide(&f, &c, &d) != PT_OK)
			bad_grant++;	/* flips were undone */

		/* Revoke one random link's token id: refused at that link. */
		{
			int j = (int)rr(0, n - 1);
			uint8_t one[1][PT_CTI_LEN];
			struct pt_context c2 = c;
			memcpy(one[0], f.g[j].cti, PT_CTI_LEN);
			c2.revoked_ctis = (const uint8_t(*)[PT_CTI_LEN])one;
			c2.n_revoked_ctis = 1;
			n_revoke++;
			if (decide(&f, &c2, &d) != PT_EREVOKED || d.link != j)
				bad_revoke++;
		}

		/* Widen one field at each link position below the root. */
		for (i = 1; i < n; i++) {
			const char *rule;
			g = f;
			rule = widen(&g.g[i], &g.g[i - 1]);
			if (pt_grant_check(&g.g[i]) != PT_OK) {
				printf("# iteration %d link %d: widened (%s) grant is invalid\n", it, i, rule);
				bad_widen++;
				continue;
			}
			if (build(&g) != PT_OK) {	/* re-signs every link and the proof */
				bad_widen++;
				continue;
			}
			n_widen++;
			{
				size_t q;
				for (q = 0; q < n_rules && strcmp(rules[q].name, rule) != 0; q++)
					continue;
				if (q == n_rules && n_rules < 16) {
					rules[n_rules].name = rule;
					rules[n_rules++].count = 0;
				}
				if (q < 16)
					rules[q].count++;
			}
			r = decide(&g, &c, &d);
			if (r != PT_EWIDENED || d.link != i) {
				bad_widen++;
				printf("# iteration %d link %d: widened %s: %s at link %d\n", it, i, rule,
				       pt_err_code(r), d.link);
			}
		}
	}
	printf("# properties: %d random chains (%ld links), %ld granted as expected\n", ITER,
	       links_total, n_grant - bad_grant);
	printf("# properties: chains of 1/2/3/4 links: %ld/%ld/%ld/%ld\n", by_len[1], by_len[2],
	       by_len[3], by_len[4]);
	printf("# properties: widenings by rule:");
	for (k = 0; k < n_rules; k++)
		printf(" %s %ld%s", rules[k].name, rules[k].count, k + 1 < n_rules ? "," : "\n");
	printf("# properties: %ld chain bit flips, %ld proof bit flips, %ld widenings, %ld revocations\n",
	       n_chain_flips, n_proof_flips, n_widen, n_revoke);
	T_EQ(bad_valid, 0, "properties: every generated link is valid, narrows, and admits now");
	T_EQ(bad_grant, 0, "properties: every random valid chain is granted (%ld)", n_grant);
	T_EQ(bad_chain_flip, 0, "properties: every chain bit flip refused (%ld)", n_chain_flips);
	T_EQ(bad_proof_flip, 0, "properties: every proof bit flip refused (%ld)", n_proof_flips);
	T_EQ(bad_widen, 0, "properties: every one-field widening refused as widened-link at its link (%ld)",
	     n_widen);
	T_EQ(bad_revoke, 0, "properties: revoking a random link refuses at that link (%ld)", n_revoke);
	T_OK(n_widen > 100, "properties: enough widenings tried (%ld)", n_widen);
	T_OK(n_rules >= 13, "properties: every narrowing rule was widened at least once (%zu kinds)",
	     n_rules);
}

/* ---- (e) replayed and transplanted proofs ---- */

static void
test_proofs(void)
{
	struct fx f, g;
	struct pt_context c;

	fx_std(&f);
	T_EQ(build(&f), PT_OK, "proofs: fixture built");
	ctx_std(&c);
	expect("proofs: fixture granted", &f, &c, PT_OK, -1);

	/* A valid proof for nonce A, presented with a challenge for nonce B. */
	g = f;
	nonce_fill(g.ch.nonce, 0x43);
	expect("replay: proof for nonce A with challenge nonce B", &g, &c, PT_EBADSIG, 1);

	/* The chain copied to another device, without the courier's key. */
	g = f;
	g.device = &stranger;
	T_EQ(prove(&g, HUB), PT_OK, "copied credential: proof by another key");
	expect("copied credential: proof by another device's key", &g, &c, PT_EBADSIG, 1);
	g.device = &carrier;
	T_EQ(prove(&g, HUB), PT_OK, "proof by the carrier (the issuer, not the holder)");
	expect("proof by the carrier instead of the courier", &g, &c, PT_EBADSIG, 1);

	/* A proof made for another hub. */
	g = f;
	T_EQ(prove(&g, "hub-7f3a-2"), PT_OK, "proof for hub-7f3a-2");
	expect("proof for another hub id", &g, &c, PT_EBADSIG, 1);
	T_EQ(prove(&g, "hub-7f3a-1x"), PT_OK, "proof for hub-7f3a-1x");
	expect("proof for a hub id with a suffix", &g, &c, PT_EBADSIG, 1);

	/* A proof over another chain (same holder). */
	g = f;
	g.g[1].entries = 1;
	set_cti(&g.g[1], 0x99);
	T_EQ(build(&g), PT_OK, "second credential for the same courier");
	memcpy(g.proof, f.proof, PT_SIG_LEN);
	expect("proof for another chain of the same holder", &g, &c, PT_EBADSIG, 1);

	/* The proof message layout. */
	{
		uint8_t msg[PT_PROOF_MSG_MAX], h[PT_HASH_LEN], nonce[PT_NONCE_LEN];
		size_t n;
		memset(h, 0xab, sizeof(h));
		memset(nonce, 0xcd, sizeof(nonce));
		T_EQ(pt_proof_message("hub", nonce, h, msg, sizeof(msg), &n), PT_OK, "proof message built");
		T_OK(n == sizeof(PT_PROOF_DOMAIN) + 1 + 3 + PT_NONCE_LEN + PT_HASH_LEN &&
			     memcmp(msg, PT_PROOF_DOMAIN, sizeof(PT_PROOF_DOMAIN)) == 0 &&
			     msg[sizeof(PT_PROOF_DOMAIN)] == 3 &&
			     memcmp(msg + sizeof(PT_PROOF_DOMAIN) + 1, "hub", 3) == 0 &&
			     msg[sizeof(PT_PROOF_DOMAIN) + 4] == 0xcd && msg[n - 1] == 0xab,
		     "proof message: domain, NUL, length byte, hub id, nonce, chain hash");
		T_EQ(pt_proof_message("", nonce, h, msg, sizeof(msg), &n), PT_EINVAL, "empty hub id");
		T_EQ(pt_proof_message(NULL, nonce, h, msg, sizeof(msg), &n), PT_EINVAL, "NULL hub id");
		{
			char longid[PT_ID_MAX + 2];
			memset(longid, 'h', sizeof(longid) - 1);
			longid[PT_ID_MAX + 1] = '\0';
			T_EQ(pt_proof_message(longid, nonce, h, msg, sizeof(msg), &n), PT_EINVAL,
			     "65-byte hub id");
			longid[PT_ID_MAX] = '\0';
			T_EQ(pt_proof_message(longid, nonce, h, msg, sizeof(msg), &n), PT_OK,
			     "64-byte hub id fits PT_PROOF_MSG_MAX");
			T_EQ(pt_proof_message(longid, nonce, h, msg, n - 1, &n), PT_ENOSPC,
			     "proof message one byte short: buffer-too-small");
		}
	}
}

int
main(void)
{
	size_t i;

	if (pt_crypto_init() != PT_OK) {
		printf("Bail out! crypto init\n");
		return 1;
	}
	ops = pt_crypto_sodium();
	T0 = utc(2026, 6, 10, 10, 0, 0);
	have_tz = load_tz();
	T_OK(have_tz, "Europe/Berlin loaded from /usr/share/zoneinfo with pt_tz_parse_tzif");
	if (!have_tz)
		return t_done();
	key_init(&owner, 1);
	key_init(&carrier, 2);
	key_init(&courier, 3);
	key_init(&stranger, 4);
	key_init(&owner2, 5);
	for (i = 0; i < N_POOL; i++)
		key_init(&pool[i], (uint8_t)(16 + i));

	test_grant();
	test_reasons();
	test_dst();
	test_proofs();
	test_properties();

	pt_secret_free(owner.sec);
	pt_secret_free(carrier.sec);
	pt_secret_free(courier.sec);
	pt_secret_free(stranger.sec);
	pt_secret_free(owner2.sec);
	for (i = 0; i < N_POOL; i++)
		pt_secret_free(pool[i].sec);
	return t_done();
}
