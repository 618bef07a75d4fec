/*
 * test_issue: just-in-time leaf credentials (pt_issue_leaf), and the two
 * helpers porterd keeps hosted carrier keys with: sealing at rest
 * (pt_aead_seal/open, pt_guarded_alloc) and the sealing key file
 * (pt_symkey_load_or_create).
 *
 * Issuing: an owner -> carrier delegation (a week-day schedule in
 * Europe/Berlin, 3 entries, depth 1, camera required, a door-open limit, a
 * note) turned into a courier leaf that verifies against the owner root
 * and that pt_decide grants with the courier's proof inside its minutes
 * and refuses after them; the leaf's window clipped to the parent's; and
 * every refusal: wrong signer, no depth left, parent outside its time or
 * schedule, buffers, chain length, bad arguments, input chains that do not
 * narrow.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "porter/cred.h"
#include "porter/crypto.h"
#include "porter/decide.h"
#include "porter/issue.h"
#include "porter/keyfile.h"
#include "porter/tz.h"
#include "t.h"

#define DAY 86400
#define HOUR 3600
#define WEEKDAYS 0x3e
#define HOME "home-7f3a"
#define HUB "hub-7f3a-1"
#define LOCK "front"
#define TZNAME "Europe/Berlin"
#define TZRULE "CET-1CEST,M3.5.0,M10.5.0/3"
#define WINDOW 600u
#define MONO 1000000u
#define NOTE "dog inside: leave the parcel in the hall"

static const struct pt_crypto_ops *ops;
static int64_t T0;	/* 2026-06-10T10:00:00Z: Wednesday, 12:00 in Berlin */
static struct pt_tz berlin;

/* ---- keys ---- */

struct key {
	struct pt_secret *sec;
	struct pt_signer sg;
	uint8_t pk[PT_PK_LEN];
};

static struct key owner, carrier, courier, stranger, depot, sub;

static void
key_init(struct key *k, uint8_t seed_byte)
{
	uint8_t seed[PT_SEED_LEN];
	size_t i;

	for (i = 0; i < sizeof(seed); i++)
		seed[i] = (uint8_t)(seed_byte * 37 + i);
	k->sec = pt_secret_new();
	if (k->sec == NULL || pt_secret_from_seed(k->sec, seed) != PT_OK) {
		printf("Bail out! key\n");
		exit(1);
	}
	pt_secret_public(k->sec, k->pk);
	pt_signer_sodium(&k->sg, k->sec);
}

/* ---- chains ---- */

struct chain {
	uint8_t b[PT_CHAIN_SIZE_MAX + 256];
	size_t len;
};

static void
set_cti(uint8_t cti[PT_CTI_LEN], uint8_t b)
{
	memset(cti, b, PT_CTI_LEN);
	cti[0] = 0xc7;
}

/* The owner's delegation to the carrier. */
static void
carrier_grant(struct pt_grant *g)
{
	memset(g, 0, sizeof(*g));
	strcpy(g->aud, HOME);
	g->has_nbf = g->has_exp = true;
	g->nbf = T0 - 15 * DAY;
	g->exp = T0 + 15 * DAY;
	set_cti(g->cti, 1);
	memcpy(g->holder, carrier.pk, PT_PK_LEN);
	g->n_locks = 1;
	strcpy(g->locks[0], LOCK);
	g->purpose = PT_PURPOSE_DELIVERY;
	g->has_entries = true;
	g->entries = 3;
	g->depth = 1;
	g->cond = PT_COND_CAMERA;
	g->has_door_open = true;
	g->door_open_max = 90;
	strcpy(g->sched.tz, TZNAME);
	g->sched.n_weekly = 1;
	g->sched.weekly[0] = (struct pt_weekly){WEEKDAYS, 8 * 60, 20 * 60};
	strcpy(g->note, NOTE);
}

/* Append g signed by `by` to c. */
static int
add(struct chain *c, const struct key *by, struct pt_grant *g)
{
	uint8_t link[PT_LINK_SIZE_MAX + 128], tmp[sizeof(c->b)];
	size_t ln, tn;
	int r;

	if ((r = pt_grant_sign(ops, &by->sg, g, link, sizeof(link), &ln)) != PT_OK)
		return r;
	if ((r = pt_chain_append(c->len > 0 ? c->b : NULL, c->len, link, ln, tmp, sizeof(tmp), &tn)) !=
	    PT_OK)
		return r;
	memcpy(c->b, tmp, tn);
	c->len = tn;
	return PT_OK;
}

static struct chain delegation;	/* owner -> carrier */

static int
issue(const struct key *by, const struct chain *in, int64_t now, uint32_t window,
      const struct pt_tz *tz, const char *tz_name, uint8_t cti_fill, struct chain *out)
{
	uint8_t cti[PT_CTI_LEN];

	set_cti(cti, cti_fill);
	out->len = 0;
	return pt_issue_leaf(ops, &by->sg, in->b, in->len, courier.pk, cti, now, window, tz, tz_name,
			     out->b, sizeof(out->b), &out->len);
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

/* ---- the door ---- */

static uint8_t roots[1][PT_PK_LEN];

static void
ctx_at(struct pt_context *c, int64_t t)
{
	memset(c, 0, sizeof(*c));
	c->now = t;
	c->time_trusted = true;
	c->mono_ms = MONO;
	c->proof_max_ms = 5000;
	c->hub_id = HUB;
	c->home_id = HOME;
	c->lock_id = LOCK;
	c->tz_name = TZNAME;
	c->tz = &berlin;
	c->roots = (const uint8_t(*)[PT_PK_LEN])roots;
	c->n_roots = 1;
	c->revocations_at = t - 60;
	c->revocations_max_age = 3600;
	c->camera_healthy = true;
	c->alarm_can_bypass = true;
	c->door_closed = true;
	c->bolt_locked = true;
}

static struct pt_chain decoded;

/* pt_decide on chain c with a proof by `device` over a fresh challenge. */
static int
decide_at(const struct chain *c, const struct key *device, struct pt_context *ctx,
	  struct pt_decision *d)
{
	struct pt_challenge ch;
	uint8_t proof[PT_SIG_LEN];
	size_t i;

	memset(&ch, 0, sizeof(ch));
	for (i = 0; i < PT_NONCE_LEN; i++)
		ch.nonce[i] = (uint8_t)(0x42 + 7 * i);
	ch.issued_ms = MONO - 1000;
	if (pt_proof_sign(ops, &device->sg, HUB, ch.nonce, c->b, c->len, proof) != PT_OK)
		return PT_ECRYPTO;
	memset(d, 0x5a, sizeof(*d));
	return pt_decide(ops, c->b, c->len, proof, sizeof(proof), &ch, ctx, &decoded, d);
}

static int
decide_now(const struct chain *c, const struct key *device, int64_t t, struct pt_decision *d)
{
	struct pt_context ctx;

	ctx_at(&ctx, t);
	return decide_at(c, device, &ctx, d);
}

/* ---- issuing: the leaf ---- */

static void
test_leaf(void)
{
	static struct chain out, out2;
	static struct pt_chain c;
	struct pt_decision d;
	struct pt_context ctx;
	const struct pt_grant *p, *g;
	uint8_t kid[PT_KID_LEN], cti[PT_CTI_LEN];
	int failed = 99, r;

	r = issue(&carrier, &delegation, T0, WINDOW, &berlin, TZNAME, 2, &out);
	T_EQ(r, PT_OK, "leaf: issued by the carrier at T0 for %u s", WINDOW);
	printf("# delegation %zu bytes, with the leaf %zu bytes\n", delegation.len, out.len);
	T_OK(out.len > delegation.len && out.b[0] == 0x82 &&
		     memcmp(out.b + 1, delegation.b + 1, delegation.len - 1) == 0,
	     "leaf: a 2-link chain whose first link is the delegation, byte for byte");

	T_EQ(pt_chain_decode(out.b, out.len, &c), PT_OK, "leaf: decodes");
	T_EQ(c.n, 2, "leaf: 2 links");
	p = &c.link[0].g;
	g = &c.link[1].g;
	set_cti(cti, 2);
	pt_kid(ops, carrier.pk, kid);
	T_OK(memcmp(g->kid, kid, PT_KID_LEN) == 0, "leaf: signed by the carrier's key id");
	T_OK(memcmp(g->holder, courier.pk, PT_PK_LEN) == 0 && memcmp(g->cti, cti, PT_CTI_LEN) == 0,
	     "leaf: holder is the courier, token id as given");
	T_OK(strcmp(g->aud, HOME) == 0 && g->n_locks == 1 && strcmp(g->locks[0], LOCK) == 0 &&
		     g->purpose == PT_PURPOSE_DELIVERY,
	     "leaf: home, locks and purpose copied");
	T_OK(g->cond == PT_COND_CAMERA && g->has_door_open && g->door_open_max == 90,
	     "leaf: camera condition and door-open limit copied");
	T_OK(strcmp(g->sched.tz, TZNAME) == 0 && g->sched.n_weekly == 1 &&
		     g->sched.weekly[0].days == WEEKDAYS && g->sched.weekly[0].start_min == 8 * 60 &&
		     g->sched.weekly[0].end_min == 20 * 60 && g->sched.n_windows == 0,
	     "leaf: week-day schedule and zone copied");
	T_OK(strcmp(g->note, NOTE) == 0, "leaf: note copied");
	T_OK(g->has_nbf && g->nbf == T0 - PT_ISSUE_BACKDATE, "leaf: nbf = now - %d",
	     PT_ISSUE_BACKDATE);
	T_OK(g->has_exp && g->exp == T0 + WINDOW, "leaf: exp = now + window");
	T_OK(g->has_iat && g->iat == T0, "leaf: iat = now");
	T_OK(g->has_entries && g->entries == 1 && g->depth == 0, "leaf: 1 entry, depth 0");
	T_EQ(pt_grant_narrows(p, g), PT_OK, "leaf: narrows the delegation");

	T_EQ(pt_chain_verify(ops, &c, (const uint8_t(*)[PT_PK_LEN])roots, 1, &failed), PT_OK,
	     "leaf: the chain verifies against the owner root");
	T_EQ(failed, -1, "leaf: no failed link");
	{
		uint8_t other[1][PT_PK_LEN];
		memcpy(other[0], stranger.pk, PT_PK_LEN);
		T_EQ(pt_chain_verify(ops, &c, (const uint8_t(*)[PT_PK_LEN])other, 1, &failed),
		     PT_EUNTRUSTED, "leaf: not against another root");
	}

	/* At the door. */
	r = decide_now(&out, &courier, T0 + 60, &d);
	T_EQ(r, PT_OK, "door: granted a minute later with the courier's proof");
	T_OK(d.reason == PT_OK && d.n_charge == 2 && memcmp(d.charge[1], cti, PT_CTI_LEN) == 0 &&
		     d.purpose == PT_PURPOSE_DELIVERY && (d.cond & PT_COND_CAMERA) != 0 &&
		     d.door_open_max == 90,
	     "door: charges delegation and leaf, delivery, camera, 90 s door limit");
	T_OK(decoded.n == 2 && strcmp(decoded.link[1].g.note, NOTE) == 0,
	     "door: the holder sees the note");
	T_EQ(decide_now(&out, &courier, T0 - PT_ISSUE_BACKDATE, &d), PT_OK,
	     "door: granted at nbf (skewed device clock)");
	T_EQ(decide_now(&out, &courier, T0 + WINDOW - 1, &d), PT_OK, "door: granted 1 s before exp");
	T_EQ(decide_now(&out, &courier, T0 + WINDOW, &d), PT_EEXPIRED, "door: expired at exp");
	T_EQ(d.link, 1, "door: the leaf is what expired");
	T_EQ(decide_now(&out, &courier, T0 + DAY, &d), PT_EEXPIRED, "door: expired the next day");
	T_EQ(decide_now(&out, &courier, T0 - PT_ISSUE_BACKDATE - 1, &d), PT_ENOTYET,
	     "door: not yet 1 s before nbf");
	T_EQ(decide_now(&out, &carrier, T0 + 60, &d), PT_EBADSIG,
	     "door: the carrier's own proof opens nothing");
	ctx_at(&ctx, T0 + 60);
	ctx.camera_healthy = false;
	T_EQ(decide_at(&out, &courier, &ctx, &d), PT_ECAMERA,
	     "door: camera condition enforced (camera down: refused)");
	ctx_at(&ctx, T0 + 60);
	ctx.lock_id = "back";
	T_EQ(decide_at(&out, &courier, &ctx, &d), PT_EAUDIENCE, "door: only the delegated lock");

	/* A second leaf: another token, the same shape. */
	T_EQ(issue(&carrier, &delegation, T0 + 5, WINDOW, &berlin, TZNAME, 3, &out2), PT_OK,
	     "leaf: a second one issued");
	T_OK(out2.len == out.len && memcmp(out2.b, out.b, out.len) != 0,
	     "leaf: same size, other bytes");
	T_EQ(decide_now(&out2, &courier, T0 + 60, &d), PT_OK, "door: the second leaf grants too");
}

static void
test_clipping(void)
{
	static struct chain out, res;
	static struct pt_chain c;
	struct pt_grant g;
	struct pt_decision d;
	const int64_t pnbf = T0 - 15 * DAY, pexp = T0 + 15 * DAY;
	int64_t now;

	/* exp: never past the parent's. 2026-06-25 11:58 in Berlin: Thursday. */
	now = pexp - 100;
	T_EQ(issue(&carrier, &delegation, now, WINDOW, &berlin, TZNAME, 4, &out), PT_OK,
	     "clip: issued 100 s before the delegation expires");
	T_OK(pt_chain_decode(out.b, out.len, &c) == PT_OK && c.link[1].g.exp == pexp &&
		     c.link[1].g.nbf == now - PT_ISSUE_BACKDATE,
	     "clip: exp clipped to the delegation's exp");
	T_EQ(decide_now(&out, &courier, pexp - 1, &d), PT_OK, "clip: granted 1 s before");
	T_EQ(decide_now(&out, &courier, pexp, &d), PT_EEXPIRED, "clip: expired with the delegation");

	/* nbf: never before the parent's. 2026-05-26 12:00 in Berlin: Tuesday. */
	now = pnbf + 10;
	T_EQ(issue(&carrier, &delegation, now, WINDOW, &berlin, TZNAME, 5, &out), PT_OK,
	     "clip: issued 10 s after the delegation starts");
	T_OK(pt_chain_decode(out.b, out.len, &c) == PT_OK && c.link[1].g.nbf == pnbf &&
		     c.link[1].g.exp == now + WINDOW,
	     "clip: nbf clipped to the delegation's nbf");
	T_EQ(decide_now(&out, &courier, pnbf, &d), PT_OK, "clip: granted at the delegation's nbf");
	T_EQ(decide_now(&out, &courier, pnbf - 1, &d), PT_ENOTYET, "clip: not yet 1 s before it");

	/* The longest window is still the parent's. */
	T_EQ(issue(&carrier, &delegation, T0, UINT32_MAX, &berlin, TZNAME, 6, &out), PT_OK,
	     "clip: window 2^32 - 1 s");
	T_OK(pt_chain_decode(out.b, out.len, &c) == PT_OK && c.link[1].g.exp == pexp,
	     "clip: exp is the delegation's");

	/* A parent with no bounds of its own (a resident, unlimited, no
	 * schedule, delegable): the leaf still gets its minutes and 1 entry. */
	memset(&g, 0, sizeof(g));
	strcpy(g.aud, HOME);
	set_cti(g.cti, 0x20);
	memcpy(g.holder, carrier.pk, PT_PK_LEN);
	g.purpose = PT_PURPOSE_RESIDENT;
	g.depth = 2;
	res.len = 0;
	T_EQ(add(&res, &owner, &g), PT_OK, "resident: unbounded delegation signed");
	T_EQ(issue(&carrier, &res, T0, WINDOW, NULL, NULL, 7, &out), PT_OK,
	     "resident: leaf issued (no zone needed without week-day intervals)");
	T_OK(pt_chain_decode(out.b, out.len, &c) == PT_OK && c.link[1].g.has_nbf &&
		     c.link[1].g.nbf == T0 - PT_ISSUE_BACKDATE && c.link[1].g.has_exp &&
		     c.link[1].g.exp == T0 + WINDOW && c.link[1].g.has_entries &&
		     c.link[1].g.entries == 1 && c.link[1].g.depth == 0 && c.link[1].g.n_locks == 0,
	     "resident: leaf bounded to the window, 1 entry, depth 0, every lock");
	T_EQ(decide_now(&out, &courier, T0 + 1, &d), PT_OK, "resident: granted");
	T_EQ(decide_now(&out, &courier, T0 + WINDOW, &d), PT_EEXPIRED, "resident: expired at exp");

	/* A parent with absolute windows: copied, and checked at issue time. */
	memset(&g, 0, sizeof(g));
	strcpy(g.aud, HOME);
	set_cti(g.cti, 0x21);
	memcpy(g.holder, carrier.pk, PT_PK_LEN);
	g.purpose = PT_PURPOSE_GUEST;
	g.has_exp = true;
	g.exp = T0 + DAY;
	g.depth = 1;
	g.sched.n_windows = 2;
	g.sched.windows[0] = (struct pt_window){T0 - HOUR, T0 + HOUR};
	g.sched.windows[1] = (struct pt_window){T0 + 3 * HOUR, T0 + 4 * HOUR};
	res.len = 0;
	T_EQ(add(&res, &owner, &g), PT_OK, "windows: delegation signed");
	T_EQ(issue(&carrier, &res, T0, WINDOW, NULL, NULL, 8, &out), PT_OK,
	     "windows: leaf issued inside the first window");
	T_OK(pt_chain_decode(out.b, out.len, &c) == PT_OK && c.link[1].g.sched.n_windows == 2 &&
		     c.link[1].g.sched.windows[1].end == T0 + 4 * HOUR,
	     "windows: copied");
	T_EQ(decide_now(&out, &courier, T0 + 60, &d), PT_OK, "windows: granted");
	T_EQ(issue(&carrier, &res, T0 + 2 * HOUR, WINDOW, NULL, NULL, 9, &out), PT_ESCHEDULE,
	     "windows: not between the windows");
	T_EQ(out.len, 0, "windows: nothing written");
	T_EQ(issue(&carrier, &res, T0 - 2 * HOUR, WINDOW, NULL, NULL, 9, &out), PT_ENOTYET,
	     "windows: not before the first");
}

/* ---- issuing: refusals ---- */

static void
test_refusals(void)
{
	static struct chain out, leaf, bad, four, three;
	uint8_t cti[PT_CTI_LEN];
	struct pt_grant g;
	struct pt_decision d;
	size_t n = 0, need;
	int r, i;

	/* Who signs. */
	T_EQ(issue(&stranger, &delegation, T0, WINDOW, &berlin, TZNAME, 2, &out), PT_EBROKENCHAIN,
	     "signer: a stranger");
	T_EQ(issue(&owner, &delegation, T0, WINDOW, &berlin, TZNAME, 2, &out), PT_EBROKENCHAIN,
	     "signer: the owner (root, but not the delegation's holder)");
	T_EQ(issue(&courier, &delegation, T0, WINDOW, &berlin, TZNAME, 2, &out), PT_EBROKENCHAIN,
	     "signer: the courier");
	T_OK(out.len == 0, "signer: nothing written");

	/* Depth. */
	T_EQ(issue(&carrier, &delegation, T0, WINDOW, &berlin, TZNAME, 2, &leaf), PT_OK,
	     "depth: a leaf");
	T_EQ(issue(&courier, &leaf, T0, WINDOW, &berlin, TZNAME, 3, &out), PT_EWIDENED,
	     "depth: the leaf's holder cannot issue below it (depth 0)");

	/* The parent must admit now. */
	T_EQ(issue(&carrier, &delegation, T0 + 15 * DAY, WINDOW, &berlin, TZNAME, 2, &out),
	     PT_EEXPIRED, "time: at the delegation's exp");
	T_EQ(issue(&carrier, &delegation, T0 + 30 * DAY, WINDOW, &berlin, TZNAME, 2, &out),
	     PT_EEXPIRED, "time: weeks after it");
	T_EQ(issue(&carrier, &delegation, T0 - 15 * DAY - 1, WINDOW, &berlin, TZNAME, 2, &out),
	     PT_ENOTYET, "time: 1 s before the delegation's nbf");
	T_EQ(issue(&carrier, &delegation, T0 + 10 * HOUR, WINDOW, &berlin, TZNAME, 2, &out),
	     PT_ESCHEDULE, "schedule: Wednesday 22:00 in Berlin is outside 08:00-20:00");
	T_EQ(issue(&carrier, &delegation, T0 + 3 * DAY, WINDOW, &berlin, TZNAME, 2, &out),
	     PT_ESCHEDULE, "schedule: Saturday is not a week day");
	T_EQ(issue(&carrier, &delegation, T0 + 8 * HOUR - 1, WINDOW, &berlin, TZNAME, 2, &out),
	     PT_OK, "schedule: Wednesday 19:59:59 is inside");
	T_EQ(issue(&carrier, &delegation, T0 + 8 * HOUR, WINDOW, &berlin, TZNAME, 2, &out),
	     PT_ESCHEDULE, "schedule: Wednesday 20:00 is not");
	T_EQ(issue(&carrier, &delegation, T0, WINDOW, NULL, TZNAME, 2, &out), PT_ESCHEDULE,
	     "schedule: no zone rules");
	T_EQ(issue(&carrier, &delegation, T0, WINDOW, &berlin, NULL, 2, &out), PT_ESCHEDULE,
	     "schedule: no zone name");
	T_EQ(issue(&carrier, &delegation, T0, WINDOW, &berlin, "Europe/Paris", 2, &out),
	     PT_ESCHEDULE, "schedule: another zone's name");

	/* Buffers. */
	T_EQ(issue(&carrier, &delegation, T0, WINDOW, &berlin, TZNAME, 2, &out), PT_OK,
	     "space: reference leaf");
	need = out.len;
	set_cti(cti, 2);
	memset(out.b, 0x77, sizeof(out.b));
	r = pt_issue_leaf(ops, &carrier.sg, delegation.b, delegation.len, courier.pk, cti, T0, WINDOW,
			  &berlin, TZNAME, out.b, need - 1, &n);
	T_EQ(r, PT_ENOSPC, "space: one byte short");
	T_OK(n == 0 && is_zero(out.b, need - 1) && out.b[need - 1] == 0x77,
	     "space: output zeroed up to cap, nothing after it touched");
	r = pt_issue_leaf(ops, &carrier.sg, delegation.b, delegation.len, courier.pk, cti, T0, WINDOW,
			  &berlin, TZNAME, out.b, need, &n);
	T_OK(r == PT_OK && n == need, "space: exactly enough");
	r = pt_issue_leaf(ops, &carrier.sg, delegation.b, delegation.len, courier.pk, cti, T0, WINDOW,
			  &berlin, TZNAME, out.b, 0, &n);
	T_OK(r == PT_ENOSPC && n == 0, "space: none at all");

	/* Chain length: owner -> carrier (3) -> depot (2) -> sub (1) -> courier (0). */
	three.len = 0;
	memset(&g, 0, sizeof(g));
	strcpy(g.aud, HOME);
	g.has_exp = true;
	g.exp = T0 + DAY;
	g.purpose = PT_PURPOSE_SERVICE;
	g.cond = PT_COND_ALARM_BYPASS;
	strcpy(g.note, "ring twice");
	for (i = 0; i < 3; i++) {
		static struct key *const holders[3] = {&carrier, &depot, &sub};
		static struct key *const by[3] = {&owner, &carrier, &depot};
		set_cti(g.cti, (uint8_t)(0x30 + i));
		memcpy(g.holder, holders[i]->pk, PT_PK_LEN);
		g.depth = (uint8_t)(3 - i);
		if (add(&three, by[i], &g) != PT_OK)
			break;
	}
	T_EQ(i, 3, "length: a 3-link chain with depth 1 left");
	T_EQ(issue(&sub, &three, T0, WINDOW, NULL, NULL, 0x40, &four), PT_OK,
	     "length: the 4th link issued");
	{
		static struct pt_chain c;
		int failed;
		T_OK(pt_chain_decode(four.b, four.len, &c) == PT_OK && c.n == PT_CHAIN_MAX &&
			     pt_chain_verify(ops, &c, (const uint8_t(*)[PT_PK_LEN])roots, 1, &failed) ==
				     PT_OK &&
			     strcmp(c.link[3].g.note, "ring twice") == 0 &&
			     c.link[3].g.cond == PT_COND_ALARM_BYPASS,
		     "length: %d links verify against the owner root", PT_CHAIN_MAX);
	}
	T_EQ(decide_now(&four, &courier, T0 + 1, &d), PT_OK, "length: the 4-link chain grants");
	T_EQ(d.n_charge, 1, "length: only the leaf has entries to charge");
	T_EQ(issue(&courier, &four, T0, WINDOW, NULL, NULL, 0x41, &out), PT_ECHAINLEN,
	     "length: nothing below a chain of %d links", PT_CHAIN_MAX);

	/* Arguments. */
	T_EQ(issue(&carrier, &delegation, T0, 0, &berlin, TZNAME, 2, &out), PT_EINVAL,
	     "args: window 0");
	memset(cti, 0, sizeof(cti));
	r = pt_issue_leaf(ops, &carrier.sg, delegation.b, delegation.len, courier.pk, cti, T0, WINDOW,
			  &berlin, TZNAME, out.b, sizeof(out.b), &n);
	T_EQ(r, PT_EINVAL, "args: all-zero token id");
	set_cti(cti, 2);
	r = pt_issue_leaf(ops, &carrier.sg, NULL, 0, courier.pk, cti, T0, WINDOW, &berlin, TZNAME,
			  out.b, sizeof(out.b), &n);
	T_EQ(r, PT_EINVAL, "args: no chain");
	r = pt_issue_leaf(ops, &carrier.sg, delegation.b, delegation.len, courier.pk, cti, -1, WINDOW,
			  &berlin, TZNAME, out.b, sizeof(out.b), &n);
	T_EQ(r, PT_EINVAL, "args: negative now");
	r = pt_issue_leaf(ops, &carrier.sg, delegation.b, delegation.len, courier.pk, cti,
			  PT_TIME_MAX + 1, WINDOW, &berlin, TZNAME, out.b, sizeof(out.b), &n);
	T_EQ(r, PT_EINVAL, "args: now after year 9999");
	memcpy(bad.b, delegation.b, delegation.len);
	r = pt_issue_leaf(ops, &carrier.sg, bad.b, delegation.len, courier.pk, cti, T0, WINDOW,
			  &berlin, TZNAME, bad.b, sizeof(bad.b), &n);
	T_OK(r == PT_EINVAL && memcmp(bad.b, delegation.b, delegation.len) == 0,
	     "args: output over the input refused, input intact");
	r = pt_issue_leaf(ops, &carrier.sg, bad.b + 1, delegation.len - 1, courier.pk, cti, T0,
			  WINDOW, &berlin, TZNAME, bad.b + delegation.len - 2, 100, &n);
	T_EQ(r, PT_EINVAL, "args: output overlapping the input's tail");

	/* Input chains. */
	T_EQ(pt_issue_leaf(ops, &carrier.sg, (const uint8_t *)"\x80", 1, courier.pk, cti, T0, WINDOW,
			   &berlin, TZNAME, out.b, sizeof(out.b), &n),
	     PT_EMALFORMED, "chain: an empty array");
	T_EQ(pt_issue_leaf(ops, &carrier.sg, delegation.b, delegation.len - 1, courier.pk, cti, T0,
			   WINDOW, &berlin, TZNAME, out.b, sizeof(out.b), &n),
	     PT_EMALFORMED, "chain: cut by a byte");
	T_EQ(pt_issue_leaf(ops, &carrier.sg, delegation.b, 0, courier.pk, cti, T0, WINDOW, &berlin,
			   TZNAME, out.b, sizeof(out.b), &n),
	     PT_EMALFORMED, "chain: no bytes");
	memset(bad.b, 0, sizeof(bad.b));
	memcpy(bad.b, delegation.b, delegation.len);
	T_EQ(pt_issue_leaf(ops, &carrier.sg, bad.b, PT_CHAIN_SIZE_MAX + 1, courier.pk, cti, T0,
			   WINDOW, &berlin, TZNAME, out.b, sizeof(out.b), &n),
	     PT_ETOOBIG, "chain: over %d bytes", PT_CHAIN_SIZE_MAX);

	/* An input chain that does not narrow: the output is checked and
	 * refused, not handed out. owner -> carrier (3 entries, depth 2) ->
	 * depot (5 entries: widened). */
	bad.len = 0;
	carrier_grant(&g);
	g.depth = 2;
	T_EQ(add(&bad, &owner, &g), PT_OK, "widened input: delegation signed");
	set_cti(g.cti, 0x50);
	memcpy(g.holder, depot.pk, PT_PK_LEN);
	g.depth = 1;
	g.entries = 5;
	T_EQ(add(&bad, &carrier, &g), PT_OK, "widened input: widened sub-delegation signed");
	memset(out.b, 0x77, sizeof(out.b));
	r = issue(&depot, &bad, T0, WINDOW, &berlin, TZNAME, 0x51, &out);
	T_EQ(r, PT_EWIDENED, "widened input: refused after signing (shape check)");
	T_OK(out.len == 0 && is_zero(out.b, sizeof(out.b)), "widened input: output zeroed");

	/* A broken chain: link 1 signed by someone else than link 0's holder. */
	bad.len = 0;
	carrier_grant(&g);
	g.depth = 2;
	T_EQ(add(&bad, &owner, &g), PT_OK, "broken input: delegation signed");
	set_cti(g.cti, 0x52);
	memcpy(g.holder, depot.pk, PT_PK_LEN);
	g.depth = 1;
	T_EQ(add(&bad, &stranger, &g), PT_OK, "broken input: a stranger's sub-delegation signed");
	T_EQ(issue(&depot, &bad, T0, WINDOW, &berlin, TZNAME, 0x53, &out), PT_EBROKENCHAIN,
	     "broken input: refused (shape check)");
	T_EQ(out.len, 0, "broken input: nothing handed out");
}

/* A delegation so close to PT_LINK_SIZE_MAX that the leaf (which adds nbf,
 * exp, iat and entries) cannot fit: too large, not "no space". */
static void
test_too_big(void)
{
	static struct chain big, out;
	uint8_t link[PT_LINK_SIZE_MAX + 128];
	struct pt_grant g;
	size_t ln = 0, best = 0, note_len, i;
	int r;

	memset(&g, 0, sizeof(g));
	strcpy(g.aud, HOME);
	set_cti(g.cti, 0x60);
	memcpy(g.holder, carrier.pk, PT_PK_LEN);
	g.purpose = PT_PURPOSE_RESIDENT;
	g.depth = 1;
	g.n_locks = PT_LOCKS_MAX;
	for (i = 0; i < PT_LOCKS_MAX; i++) {
		memset(g.locks[i], 'a' + (int)i, 60);
		g.locks[i][60] = '\0';
	}
	strcpy(g.sched.tz, TZNAME);
	g.sched.n_weekly = 8;
	for (i = 0; i < 8; i++)
		g.sched.weekly[i] = (struct pt_weekly){0x7f, (uint16_t)(i * 60), 1440};
	/* The longest note that still signs. */
	for (note_len = 1; note_len <= PT_NOTE_MAX; note_len++) {
		memset(g.note, 'n', note_len);
		g.note[note_len] = '\0';
		r = pt_grant_sign(ops, &owner.sg, &g, link, sizeof(link), &ln);
		if (r != PT_OK)
			break;
		best = note_len;
	}
	T_OK(best > 0 && best < PT_NOTE_MAX, "too big: a delegation with a %zu-byte note fits", best);
	memset(g.note, 'n', best);
	g.note[best] = '\0';
	big.len = 0;
	T_EQ(add(&big, &owner, &g), PT_OK, "too big: delegation signed");
	printf("# near-limit delegation: %zu bytes\n", big.len);
	r = issue(&carrier, &big, T0, WINDOW, &berlin, TZNAME, 0x61, &out);
	T_EQ(r, PT_ETOOBIG, "too big: the leaf would exceed %d bytes (got %s)", PT_LINK_SIZE_MAX,
	     pt_err_code(r));
	T_EQ(out.len, 0, "too big: nothing handed out");
}

/* ---- pt_aead_* and guarded memory ---- */

static bool
contains(const uint8_t *hay, size_t hn, const uint8_t *needle, size_t nn)
{
	size_t i;

	for (i = 0; i + nn <= hn; i++)
		if (memcmp(hay + i, needle, nn) == 0)
			return true;
	return false;
}

static void
test_aead(void)
{
	static const char ad[] = "c-0123456789abcdef";
	uint8_t *key, *key2, m[64], c[64 + PT_AEAD_OVERHEAD], c2[sizeof(c)], back[64];
	size_t cl = 0, cl2 = 0, ml = 0, i, bad;
	int r;

	key = pt_guarded_alloc(PT_AEAD_KEY_LEN);
	key2 = pt_guarded_alloc(PT_AEAD_KEY_LEN);
	T_OK(key != NULL && key2 != NULL, "aead: keys in guarded memory");
	if (key == NULL || key2 == NULL)
		return;
	pt_random(key, PT_AEAD_KEY_LEN);
	memcpy(key2, key, PT_AEAD_KEY_LEN);
	key2[7] ^= 0x01;
	for (i = 0; i < 32; i++)
		m[i] = (uint8_t)(0xa0 + i);	/* a carrier's 32-byte seed */

	r = pt_aead_seal(key, (const uint8_t *)ad, strlen(ad), m, 32, c, sizeof(c), &cl);
	T_OK(r == PT_OK && cl == 32 + PT_AEAD_OVERHEAD, "aead: sealed, %d bytes of overhead",
	     PT_AEAD_OVERHEAD);
	T_OK(!contains(c, cl, m, 8), "aead: the plaintext is not in the ciphertext");
	r = pt_aead_open(key, (const uint8_t *)ad, strlen(ad), c, cl, back, sizeof(back), &ml);
	T_OK(r == PT_OK && ml == 32 && memcmp(back, m, 32) == 0, "aead: opens to the same bytes");
	r = pt_aead_seal(key, (const uint8_t *)ad, strlen(ad), m, 32, c2, sizeof(c2), &cl2);
	T_OK(r == PT_OK && cl2 == cl && memcmp(c, c2, 24) != 0 && memcmp(c + 24, c2 + 24, cl - 24) != 0,
	     "aead: sealing again gives a fresh nonce and other ciphertext");

	memset(back, 0x77, sizeof(back));
	r = pt_aead_open(key, (const uint8_t *)"c-0123456789abcdee", strlen(ad), c, cl, back,
			 sizeof(back), &ml);
	T_OK(r == PT_EBADSIG && ml == 0 && is_zero(back, sizeof(back)),
	     "aead: another carrier id (ad) does not open; output wiped");
	r = pt_aead_open(key, NULL, 0, c, cl, back, sizeof(back), &ml);
	T_EQ(r, PT_EBADSIG, "aead: no ad does not open");
	memset(back, 0x77, sizeof(back));
	r = pt_aead_open(key2, (const uint8_t *)ad, strlen(ad), c, cl, back, sizeof(back), &ml);
	T_OK(r == PT_EBADSIG && ml == 0 && is_zero(back, sizeof(back)),
	     "aead: another key does not open; output wiped");

	bad = 0;
	for (i = 0; i < cl; i++) {
		c[i] ^= 0x01;
		if (pt_aead_open(key, (const uint8_t *)ad, strlen(ad), c, cl, back, sizeof(back), &ml) !=
		    PT_EBADSIG)
			bad++;
		c[i] ^= 0x01;
	}
	T_EQ(bad, 0, "aead: each of the %zu bytes (nonce, ciphertext, tag) flipped: refused", cl);
	T_EQ(pt_aead_open(key, (const uint8_t *)ad, strlen(ad), c, cl - 1, back, sizeof(back), &ml),
	     PT_EBADSIG, "aead: cut by a byte: refused");
	T_EQ(pt_aead_open(key, (const uint8_t *)ad, strlen(ad), c, PT_AEAD_OVERHEAD - 1, back,
			  sizeof(back), &ml),
	     PT_EMALFORMED, "aead: shorter than nonce and tag: malformed");
	T_EQ(pt_aead_open(key, (const uint8_t *)ad, strlen(ad), c, 0, back, sizeof(back), &ml),
	     PT_EMALFORMED, "aead: empty: malformed");
	T_EQ(pt_aead_open(key, (const uint8_t *)ad, strlen(ad), c, cl, back, 31, &ml), PT_ENOSPC,
	     "aead: open into 31 bytes: no space");
	T_EQ(pt_aead_seal(key, (const uint8_t *)ad, strlen(ad), m, 32, c2, 32 + PT_AEAD_OVERHEAD - 1,
			  &cl2),
	     PT_ENOSPC, "aead: seal into one byte too few: no space");
	T_EQ(cl2, 0, "aead: nothing reported written");
	T_OK(pt_aead_open(key, (const uint8_t *)ad, strlen(ad), c, cl, back, sizeof(back), &ml) ==
			     PT_OK &&
		     memcmp(back, m, 32) == 0,
	     "aead: the original still opens");

	/* The empty message: just nonce and tag, still authenticated. */
	r = pt_aead_seal(key, (const uint8_t *)ad, strlen(ad), m, 0, c2, sizeof(c2), &cl2);
	T_OK(r == PT_OK && cl2 == PT_AEAD_OVERHEAD, "aead: empty message sealed in %d bytes",
	     PT_AEAD_OVERHEAD);
	T_OK(pt_aead_open(key, (const uint8_t *)ad, strlen(ad), c2, cl2, back, 0, &ml) == PT_OK &&
		     ml == 0,
	     "aead: empty message opens");
	T_EQ(pt_aead_open(key2, (const uint8_t *)ad, strlen(ad), c2, cl2, back, 0, &ml), PT_EBADSIG,
	     "aead: empty message under another key: refused");

	/* Guarded memory is ordinary memory to its user, and free(NULL) is fine. */
	memset(key2, 0xee, PT_AEAD_KEY_LEN);
	T_OK(key2[0] == 0xee && key2[PT_AEAD_KEY_LEN - 1] == 0xee, "guarded: writable to the end");
	pt_guarded_free(key);
	pt_guarded_free(key2);
	pt_guarded_free(NULL);
	T_OK(1, "guarded: freed (and NULL is a no-op)");
}

/* ---- pt_symkey_load_or_create ---- */

static char dir[64];

static void
path_in(char *out, size_t cap, const char *name)
{
	if (snprintf(out, cap, "%s/%s", dir, name) >= (int)cap) {
		printf("Bail out! path\n");
		exit(1);
	}
}

static int
write_file(const char *path, const char *s, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

	if (fd < 0)
		return -1;
	if (fchmod(fd, mode) != 0 || write(fd, s, len) != (ssize_t)len) {
		close(fd);
		return -1;
	}
	return close(fd);
}

static size_t
read_file(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return 0;
	n = read(fd, buf, cap);
	close(fd);
	return n < 0 ? 0 : (size_t)n;
}

static size_t
dir_entries(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0;

	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static void
test_symkey(void)
{
	char path[128], other[128], link_path[128], buf[256];
	struct pt_errbuf err;
	struct stat st;
	uint8_t *key, *key2;
	bool created = true;
	size_t n;
	int r;

	strcpy(dir, "/tmp/porter-test-issue-XXXXXX");
	if (mkdtemp(dir) == NULL) {
		T_OK(0, "symkey: temporary directory");
		return;
	}
	key = pt_guarded_alloc(32);
	key2 = pt_guarded_alloc(32);
	if (key == NULL || key2 == NULL) {
		T_OK(0, "symkey: guarded memory");
		return;
	}
	path_in(path, sizeof(path), "sealing.key");

	/* Create. */
	memset(&err, 0, sizeof(err));
	r = pt_symkey_load_or_create(path, key, &created, &err);
	T_OK(r == PT_OK && created, "symkey: created (%s)", r == PT_OK ? "ok" : err.msg);
	T_OK(!is_zero(key, 32), "symkey: a random key");
	T_OK(lstat(path, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 07777) == 0600 &&
		     st.st_uid == geteuid(),
	     "symkey: a regular file, mode 0600, ours");
	n = read_file(path, buf, sizeof(buf));
	T_OK(n == sizeof(PT_SEALING_TAG) + 43 + 1 &&
		     memcmp(buf, PT_SEALING_TAG " ", sizeof(PT_SEALING_TAG)) == 0 && buf[n - 1] == '\n',
	     "symkey: \"%s <43 chars>\\n\" (%zu bytes)", PT_SEALING_TAG, n);
	{
		uint8_t dec[32];
		T_OK(n > 0 && pt_b64_decode(dec, 32, buf + sizeof(PT_SEALING_TAG), 43) == PT_OK &&
			     memcmp(dec, key, 32) == 0,
		     "symkey: the file holds the key returned");
		pt_wipe(dec, sizeof(dec));
	}
	T_EQ(dir_entries(), 1, "symkey: no temporary file left behind");

	/* Reload. */
	created = true;
	r = pt_symkey_load_or_create(path, key2, &created, &err);
	T_OK(r == PT_OK && !created && memcmp(key, key2, 32) == 0,
	     "symkey: loaded again: same key, not created");

	/* Mode. */
	T_OK(chmod(path, 0644) == 0, "symkey: chmod 0644");
	memset(key2, 0x55, 32);
	r = pt_symkey_load_or_create(path, key2, &created, &err);
	T_OK(r == PT_EINVAL && !created && strstr(err.msg, "can be read by others") != NULL,
	     "symkey: 0644 refused: %s", err.msg);
	T_OK(chmod(path, 0640) == 0 && pt_symkey_load_or_create(path, key2, &created, &err) ==
						       PT_EINVAL,
	     "symkey: 0640 refused");
	n = read_file(path, buf, sizeof(buf));
	T_OK(n == 66, "symkey: a refused file is left as it was");
	T_OK(chmod(path, 0400) == 0 && pt_symkey_load_or_create(path, key2, &created, &err) == PT_OK &&
		     memcmp(key, key2, 32) == 0,
	     "symkey: 0400 is fine");
	T_OK(chmod(path, 0600) == 0, "symkey: back to 0600");

	/* Symbolic links. */
	path_in(link_path, sizeof(link_path), "link.key");
	T_OK(symlink(path, link_path) == 0, "symkey: a symlink to the key file");
	memset(key2, 0x55, 32);
	r = pt_symkey_load_or_create(link_path, key2, &created, &err);
	T_OK(r != PT_OK && !created, "symkey: through a symlink: refused (%s): %s", pt_err_code(r),
	     err.msg);
	T_OK(unlink(link_path) == 0, "symkey: symlink removed");
	path_in(other, sizeof(other), "target.key");
	T_OK(symlink(other, link_path) == 0, "symkey: a dangling symlink");
	r = pt_symkey_load_or_create(link_path, key2, &created, &err);
	T_OK(r != PT_OK && !created && access(other, F_OK) != 0,
	     "symkey: dangling symlink refused, nothing created at its target (%s)", pt_err_code(r));
	T_OK(unlink(link_path) == 0, "symkey: dangling symlink removed");

	/* Garbage. */
	path_in(other, sizeof(other), "garbage.key");
	{
		static const struct {
			const char *what, *text;
		} g[] = {
			{"hello", "hello\n"},
			{"an empty file", ""},
			{"an Ed25519 secret key file",
			 "porter-ed25519-secret-v1 AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n"},
			{"31 bytes of key", "porter-sealing-key-v1 AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n"},
			{"33 bytes of key",
			 "porter-sealing-key-v1 AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n"},
			{"padding", "porter-sealing-key-v1 AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"},
			{"two spaces", "porter-sealing-key-v1  AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n"},
			{"a second line",
			 "porter-sealing-key-v1 AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\nx\n"},
		};
		size_t k;
		for (k = 0; k < sizeof(g) / sizeof(g[0]); k++) {
			T_OK(write_file(other, g[k].text, strlen(g[k].text), 0600) == 0,
			     "symkey: garbage written: %s", g[k].what);
			memset(key2, 0x55, 32);
			r = pt_symkey_load_or_create(other, key2, &created, &err);
			T_OK(r == PT_EMALFORMED && !created && is_zero(key2, 32),
			     "symkey: %s: malformed, key wiped (%s)", g[k].what, err.msg);
			T_OK(read_file(other, buf, sizeof(buf)) == strlen(g[k].text),
			     "symkey: %s: not overwritten", g[k].what);
		}
		/* The valid form, written by hand, without the final newline too. */
		T_OK(write_file(other, "porter-sealing-key-v1 AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
				65, 0600) == 0 &&
			     pt_symkey_load_or_create(other, key2, &created, &err) == PT_OK &&
			     is_zero(key2, 32) && !created,
		     "symkey: a hand-written all-zero key without a newline loads");
		T_OK(unlink(other) == 0, "symkey: garbage removed");
	}

	/* Not a file; no directory. */
	path_in(other, sizeof(other), "subdir");
	T_OK(mkdir(other, 0700) == 0, "symkey: a directory");
	r = pt_symkey_load_or_create(other, key2, &created, &err);
	T_OK(r != PT_OK && !created, "symkey: a directory refused (%s)", err.msg);
	T_OK(rmdir(other) == 0, "symkey: directory removed");
	path_in(other, sizeof(other), "fifo.key");
	T_OK(mkfifo(other, 0600) == 0, "symkey: a FIFO");
	r = pt_symkey_load_or_create(other, key2, &created, &err);
	T_OK(r != PT_OK && !created, "symkey: a FIFO refused without blocking (%s)", err.msg);
	T_OK(unlink(other) == 0, "symkey: FIFO removed");
	path_in(other, sizeof(other), "missing/sealing.key");
	r = pt_symkey_load_or_create(other, key2, &created, &err);
	T_OK(r != PT_OK && !created, "symkey: missing parent directory refused (%s)", err.msg);

	/* Two processes at once: one creates, every one gets the same key. */
	{
		enum { N = 8 };
		int gate[2], res[2], k, ok = 0, made = 0, same = 1;
		pid_t pids[N];
		uint8_t first[32];
		bool have_first = false;

		path_in(other, sizeof(other), "race.key");
		if (pipe(gate) != 0 || pipe(res) != 0) {
			T_OK(0, "symkey race: pipes");
			goto race_done;
		}
		for (k = 0; k < N; k++) {
			pids[k] = fork();
			if (pids[k] == 0) {
				uint8_t msg[34], kk[32];
				char c;
				bool cr = false;
				close(gate[1]);
				close(res[0]);
				(void)!read(gate[0], &c, 1);	/* wait for the start */
				r = pt_symkey_load_or_create(other, kk, &cr, NULL);
				msg[0] = r == PT_OK;
				msg[1] = cr;
				memcpy(msg + 2, kk, 32);
				(void)!write(res[1], msg, sizeof(msg));
				_exit(0);
			}
		}
		close(gate[0]);
		close(res[1]);
		close(gate[1]);	/* every child starts now */
		for (k = 0; k < N; k++) {
			uint8_t msg[34];
			if (read(res[0], msg, sizeof(msg)) != (ssize_t)sizeof(msg))
				continue;
			ok += msg[0];
			made += msg[1];
			if (!have_first) {
				memcpy(first, msg + 2, 32);
				have_first = true;
			} else if (memcmp(first, msg + 2, 32) != 0) {
				same = 0;
			}
		}
		close(res[0]);
		for (k = 0; k < N; k++)
			waitpid(pids[k], NULL, 0);
		T_EQ(ok, N, "symkey race: all %d processes got a key", N);
		T_EQ(made, 1, "symkey race: exactly one created it");
		T_OK(same && have_first, "symkey race: all the same key");
		r = pt_symkey_load_or_create(other, key2, &created, &err);
		T_OK(r == PT_OK && !created && memcmp(key2, first, 32) == 0,
		     "symkey race: the file holds that key");
		T_EQ(dir_entries(), 2, "symkey race: no temporary files left behind");
		pt_wipe(first, sizeof(first));
		unlink(other);
	}
race_done:
	unlink(path);
	rmdir(dir);
	pt_guarded_free(key);
	pt_guarded_free(key2);
}

int
main(void)
{
	struct pt_grant g;
	int r;

	if (pt_crypto_init() != PT_OK) {
		printf("Bail out! crypto init\n");
		return 1;
	}
	ops = pt_crypto_sodium();
	T0 = pt_unix_from_civil(2026, 6, 10, 10, 0, 0);
	if (pt_tz_parse_posix(&berlin, TZRULE, strlen(TZRULE)) != PT_OK) {
		printf("Bail out! zone rule\n");
		return 1;
	}
	key_init(&owner, 1);
	key_init(&carrier, 2);
	key_init(&courier, 3);
	key_init(&stranger, 4);
	key_init(&depot, 5);
	key_init(&sub, 6);
	memcpy(roots[0], owner.pk, PT_PK_LEN);

	carrier_grant(&g);
	delegation.len = 0;
	r = add(&delegation, &owner, &g);
	T_EQ(r, PT_OK, "fixture: the owner's delegation to the carrier signed");
	if (r != PT_OK)
		return t_done();

	test_leaf();
	test_clipping();
	test_refusals();
	test_too_big();
	test_aead();
	test_symkey();

	pt_secret_free(owner.sec);
	pt_secret_free(carrier.sec);
	pt_secret_free(courier.sec);
	pt_secret_free(stranger.sec);
	pt_secret_free(depot.sec);
	pt_secret_free(sub.sec);
	return t_done();
}
