/*
 * test_cred: grants and chains.
 *
 * Encode/decode round trips; pt_grant_check's rules one field at a time;
 * the decoder's strictness on hand-built claims that are properly signed
 * (so a refusal is about the encoding, never the signature); chain
 * building and decoding limits; the size of a typical credential; and
 * pt_grant_narrows for every rule in both directions.
 */
#include <stdint.h>
#include <string.h>

#include "porter/cbor.h"
#include "porter/cose.h"
#include "porter/cred.h"
#include "porter/crypto.h"
#include "porter/tz.h"
#include "t.h"

#define DAY 86400
#define HOUR 3600
#define WEEKDAYS 0x3e	/* Mon..Fri */

static const struct pt_crypto_ops *ops;
static int64_t T0;	/* 2026-06-10T10:00:00Z, a Wednesday, 12:00 in Berlin */

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

/* ---- grants ---- */

static void
set_cti(struct pt_grant *g, uint8_t b)
{
	memset(g->cti, b, PT_CTI_LEN);
	g->cti[0] = 0xc7;
}

/* owner -> carrier, the typical first link. */
static void
carrier_grant(struct pt_grant *g)
{
	memset(g, 0, sizeof(*g));
	strcpy(g->aud, "home-7f3a");
	g->has_nbf = g->has_exp = true;
	g->nbf = T0 - 15 * DAY;
	g->exp = T0 + 15 * DAY;
	set_cti(g, 1);
	memcpy(g->holder, carrier.pk, PT_PK_LEN);
	g->n_locks = 1;
	strcpy(g->locks[0], "front");
	g->purpose = PT_PURPOSE_DELIVERY;
	g->has_entries = true;
	g->entries = 50;
	g->depth = 1;
	g->cond = PT_COND_CAMERA | PT_COND_ALARM_BYPASS;
	g->has_door_open = true;
	g->door_open_max = 90;
	strcpy(g->sched.tz, "Europe/Berlin");
	g->sched.n_weekly = 1;
	g->sched.weekly[0].days = WEEKDAYS;
	g->sched.weekly[0].start_min = 8 * 60;
	g->sched.weekly[0].end_min = 20 * 60;
}

/* carrier -> courier, the typical second link. */
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
	g->sched.n_windows = 1;
	g->sched.windows[0].start = T0 - HOUR;
	g->sched.windows[0].end = T0 + HOUR;
	strcpy(g->note, "dog inside: leave the parcel in the hall");
}

/* Every field set. */
static void
full_grant(struct pt_grant *g)
{
	memset(g, 0, sizeof(*g));
	strcpy(g->aud, "home-7f3a");
	g->has_nbf = g->has_exp = g->has_iat = true;
	g->nbf = T0 - DAY;
	g->exp = T0 + DAY;
	g->iat = T0 - 2 * DAY;
	set_cti(g, 9);
	memcpy(g->holder, courier.pk, PT_PK_LEN);
	g->n_locks = 3;
	strcpy(g->locks[0], "back");
	strcpy(g->locks[1], "front");
	strcpy(g->locks[2], "garage_2");
	g->purpose = PT_PURPOSE_SERVICE;
	g->has_entries = true;
	g->entries = PT_ENTRIES_MAX;
	g->depth = PT_DEPTH_MAX;
	g->cond = PT_COND_KNOWN;
	g->has_door_open = true;
	g->door_open_max = PT_DOOR_OPEN_MAX;
	strcpy(g->sched.tz, "America/Argentina/Buenos_Aires");
	g->sched.n_windows = 2;
	g->sched.windows[0].start = T0 - DAY;
	g->sched.windows[0].end = T0;
	g->sched.windows[1].start = T0 + HOUR;
	g->sched.windows[1].end = T0 + DAY;
	g->sched.n_weekly = 2;
	g->sched.weekly[0] = (struct pt_weekly){0x41, 0, 1440};
	g->sched.weekly[1] = (struct pt_weekly){WEEKDAYS, 7 * 60 + 30, 18 * 60};
	strcpy(g->note, "Hund im Flur \xe2\x80\x94 bitte klingeln \xe2\x9c\x93");
}

static bool
grant_eq(const struct pt_grant *a, const struct pt_grant *b)
{
	size_t i;

	if (strcmp(a->aud, b->aud) != 0 || a->has_nbf != b->has_nbf || a->has_exp != b->has_exp ||
	    a->has_iat != b->has_iat || (a->has_nbf && a->nbf != b->nbf) ||
	    (a->has_exp && a->exp != b->exp) || (a->has_iat && a->iat != b->iat) ||
	    memcmp(a->cti, b->cti, PT_CTI_LEN) != 0 || memcmp(a->holder, b->holder, PT_PK_LEN) != 0 ||
	    a->n_locks != b->n_locks || a->purpose != b->purpose ||
	    a->has_entries != b->has_entries || (a->has_entries && a->entries != b->entries) ||
	    a->depth != b->depth || a->cond != b->cond || a->has_door_open != b->has_door_open ||
	    (a->has_door_open && a->door_open_max != b->door_open_max) ||
	    strcmp(a->sched.tz, b->sched.tz) != 0 || a->sched.n_windows != b->sched.n_windows ||
	    a->sched.n_weekly != b->sched.n_weekly || strcmp(a->note, b->note) != 0)
		return false;
	for (i = 0; i < a->n_locks; i++)
		if (strcmp(a->locks[i], b->locks[i]) != 0)
			return false;
	for (i = 0; i < a->sched.n_windows; i++)
		if (a->sched.windows[i].start != b->sched.windows[i].start ||
		    a->sched.windows[i].end != b->sched.windows[i].end)
			return false;
	for (i = 0; i < a->sched.n_weekly; i++)
		if (a->sched.weekly[i].days != b->sched.weekly[i].days ||
		    a->sched.weekly[i].start_min != b->sched.weekly[i].start_min ||
		    a->sched.weekly[i].end_min != b->sched.weekly[i].end_min)
			return false;
	return true;
}

/* ---- links and chains ---- */

static int
sign_link(struct key *by, struct pt_grant *g, uint8_t *out, size_t cap, size_t *len)
{
	return pt_grant_sign(ops, &by->sg, g, out, cap, len);
}

/* Sign raw claims bytes as a porter link (profile header, grant AAD). */
static int
sign_raw(struct key *by, const uint8_t *claims, size_t n, uint8_t *out, size_t cap, size_t *len)
{
	uint8_t kid[PT_KID_LEN];

	pt_kid(ops, by->pk, kid);
	return pt_sign1_sign(&by->sg, kid, PT_KID_LEN, (const uint8_t *)PT_AAD_GRANT,
			     sizeof(PT_AAD_GRANT) - 1, claims, n, out, cap, len);
}

/* Is link a validly signed Sign1 by pk (whatever its claims)? */
static bool
sig_ok(const uint8_t *link, size_t len, const uint8_t pk[PT_PK_LEN])
{
	struct pt_sign1 s;
	uint8_t scratch[4096];

	return pt_sign1_decode(link, len, &s) == PT_OK &&
	       pt_sign1_verify(ops, &s, (const uint8_t *)PT_AAD_GRANT, sizeof(PT_AAD_GRANT) - 1,
			       pk, scratch, sizeof(scratch)) == PT_OK;
}

/* ---- a hand encoder of claims, with mutations ---- */

enum {
	M_NONE = 0,
	M_TOP_SUB,	/* extra claim 2 'sub' */
	M_TOP_PRIV,	/* extra claim -65538 */
	M_PC_UNKNOWN,	/* extra key 12 in the porter map (11 is duress) */
	M_PC_ZERO,	/* extra key 0 in the porter map */
	M_TOP_DUP,	/* aud twice */
	M_PC_DUP,	/* purpose twice */
	M_TOP_ORDER,	/* nbf before exp */
	M_PC_ORDER,	/* depth before entries */
	M_CNF_ORDER,	/* x before crv in the COSE_Key */
	M_TRAILING,	/* a byte after the map */
	M_NONSHORT,	/* purpose 4 as 18 04 */
	M_NONSHORT_TIME,	/* exp as a 9-byte head */
	M_INDEF_TOP,	/* indefinite top-level map */
	M_INDEF_PC,	/* indefinite porter map */
	M_COND0,	/* cond = 0 encoded */
	M_LOCKS_EMPTY,	/* locks = [] */
	M_TZ_EMPTY,	/* tz = "" with no weekly intervals */
	M_NOTE_EMPTY,	/* note = "" */
	M_WINDOWS_EMPTY,	/* windows = [] */
	M_WEEKLY_EMPTY,	/* weekly = [] */
	M_COND_UNKNOWN,	/* cond with bit 2 set */
	M_CNF_KTY,	/* cnf kty 2 (EC2) */
	M_NO_CTI,	/* cti left out */
	M_NO_PURPOSE,	/* purpose left out */
	M_CTI_SHORT,	/* cti of 15 bytes */
	M_AUD_DOTDOT,	/* aud "../x" */
	M_NOTE_ESC,	/* note with ESC [2J */
	M_LOCKS_DUP,	/* locks ["front", "front"] */
	M_FLOAT_EXP,	/* exp as a float */
	M_EXP_NEG,	/* exp as a negative int */
};

static void
put_porter(struct pt_cbor_wr *w, const struct pt_grant *g, int m)
{
	const struct pt_schedule *s = &g->sched;
	size_t n, i, note_len = strlen(g->note);
	bool has_weekly = s->n_weekly > 0 && m != M_TZ_EMPTY;
	bool tz = has_weekly || m == M_TZ_EMPTY;
	size_t n_windows = m == M_WINDOWS_EMPTY ? 0 : s->n_windows;
	size_t n_weekly = m == M_WEEKLY_EMPTY ? 0 : s->n_weekly;

	n = 2u + (g->n_locks > 0 || m == M_LOCKS_EMPTY || m == M_LOCKS_DUP) + g->has_entries +
	    (g->cond != 0 || m == M_COND0 || m == M_COND_UNKNOWN) + g->has_door_open + tz +
	    has_weekly + (s->n_windows > 0 || m == M_WINDOWS_EMPTY) +
	    (note_len > 0 || m == M_NOTE_EMPTY || m == M_NOTE_ESC) +
	    (m == M_PC_UNKNOWN || m == M_PC_ZERO || m == M_PC_DUP) - (m == M_NO_PURPOSE);
	if (m == M_INDEF_PC)
		pt_cbor_put_raw(w, (const uint8_t *)"\xbf", 1);
	else
		pt_cbor_put_map(w, n);
	if (m == M_PC_ZERO) {
		pt_cbor_put_int(w, 0);
		pt_cbor_put_uint(w, 1);
	}
	if (m == M_LOCKS_EMPTY) {
		pt_cbor_put_int(w, PT_PC_LOCKS);
		pt_cbor_put_array(w, 0);
	} else if (m == M_LOCKS_DUP) {
		pt_cbor_put_int(w, PT_PC_LOCKS);
		pt_cbor_put_array(w, 2);
		pt_cbor_put_text(w, "front", 5);
		pt_cbor_put_text(w, "front", 5);
	} else if (g->n_locks > 0) {
		pt_cbor_put_int(w, PT_PC_LOCKS);
		pt_cbor_put_array(w, g->n_locks);
		for (i = 0; i < g->n_locks; i++)
			pt_cbor_put_text(w, g->locks[i], strlen(g->locks[i]));
	}
	if (m != M_NO_PURPOSE) {
		pt_cbor_put_int(w, PT_PC_PURPOSE);
		if (m == M_NONSHORT)
			pt_cbor_put_raw(w, (const uint8_t *)"\x18", 1), pt_cbor_put_raw(w, &g->purpose, 1);
		else
			pt_cbor_put_uint(w, g->purpose);
	}
	if (m == M_PC_DUP) {
		pt_cbor_put_int(w, PT_PC_PURPOSE);
		pt_cbor_put_uint(w, g->purpose);
	}
	if (m == M_PC_ORDER) {
		pt_cbor_put_int(w, PT_PC_DEPTH);
		pt_cbor_put_uint(w, g->depth);
	}
	if (g->has_entries) {
		pt_cbor_put_int(w, PT_PC_ENTRIES);
		pt_cbor_put_uint(w, g->entries);
	}
	if (m != M_PC_ORDER) {
		pt_cbor_put_int(w, PT_PC_DEPTH);
		pt_cbor_put_uint(w, g->depth);
	}
	if (g->cond != 0 || m == M_COND0 || m == M_COND_UNKNOWN) {
		pt_cbor_put_int(w, PT_PC_COND);
		pt_cbor_put_uint(w, m == M_COND0 ? 0 : m == M_COND_UNKNOWN ? (g->cond | 4u) : g->cond);
	}
	if (g->has_door_open) {
		pt_cbor_put_int(w, PT_PC_DOOR_OPEN);
		pt_cbor_put_uint(w, g->door_open_max);
	}
	if (tz) {
		pt_cbor_put_int(w, PT_PC_TZ);
		if (m == M_TZ_EMPTY)
			pt_cbor_put_text(w, "", 0);
		else
			pt_cbor_put_text(w, s->tz, strlen(s->tz));
	}
	if (s->n_windows > 0 || m == M_WINDOWS_EMPTY) {
		pt_cbor_put_int(w, PT_PC_WINDOWS);
		pt_cbor_put_array(w, n_windows);
		for (i = 0; i < n_windows; i++) {
			pt_cbor_put_array(w, 2);
			pt_cbor_put_uint(w, (uint64_t)s->windows[i].start);
			pt_cbor_put_uint(w, (uint64_t)s->windows[i].end);
		}
	}
	if (has_weekly) {
		pt_cbor_put_int(w, PT_PC_WEEKLY);
		pt_cbor_put_array(w, n_weekly);
		for (i = 0; i < n_weekly; i++) {
			pt_cbor_put_array(w, 3);
			pt_cbor_put_uint(w, s->weekly[i].days);
			pt_cbor_put_uint(w, s->weekly[i].start_min);
			pt_cbor_put_uint(w, s->weekly[i].end_min);
		}
	}
	if (m == M_NOTE_ESC) {
		pt_cbor_put_int(w, PT_PC_NOTE);
		pt_cbor_put_text(w, "\x1b[2Jhi", 6);
	} else if (note_len > 0 || m == M_NOTE_EMPTY) {
		pt_cbor_put_int(w, PT_PC_NOTE);
		pt_cbor_put_text(w, g->note, m == M_NOTE_EMPTY ? 0 : note_len);
	}
	if (m == M_PC_UNKNOWN) {
		pt_cbor_put_int(w, 12);
		pt_cbor_put_uint(w, 1);
	}
	if (m == M_INDEF_PC)
		pt_cbor_put_raw(w, (const uint8_t *)"\xff", 1);
}

static int
enc_claims(const struct pt_grant *g, int m, uint8_t *out, size_t cap, size_t *len)
{
	struct pt_cbor_wr w;
	size_t n;

	pt_cbor_wr_init(&w, out, cap);
	n = 4u + g->has_exp + g->has_nbf + g->has_iat + (m == M_TOP_SUB || m == M_TOP_PRIV) +
	    (m == M_TOP_DUP) - (m == M_NO_CTI);
	if (m == M_INDEF_TOP)
		pt_cbor_put_raw(&w, (const uint8_t *)"\xbf", 1);
	else
		pt_cbor_put_map(&w, n);
	if (m == M_TOP_SUB) {
		pt_cbor_put_int(&w, 2);
		pt_cbor_put_text(&w, "erikw", 5);
	}
	pt_cbor_put_int(&w, PT_CWT_AUD);
	if (m == M_AUD_DOTDOT)
		pt_cbor_put_text(&w, "../x", 4);
	else
		pt_cbor_put_text(&w, g->aud, strlen(g->aud));
	if (m == M_TOP_DUP) {
		pt_cbor_put_int(&w, PT_CWT_AUD);
		pt_cbor_put_text(&w, g->aud, strlen(g->aud));
	}
	if (m == M_TOP_ORDER && g->has_nbf) {
		pt_cbor_put_int(&w, PT_CWT_NBF);
		pt_cbor_put_uint(&w, (uint64_t)g->nbf);
	}
	if (g->has_exp) {
		pt_cbor_put_int(&w, PT_CWT_EXP);
		if (m == M_NONSHORT_TIME) {
			uint8_t h[9] = {0x1b};
			uint64_t v = (uint64_t)g->exp;
			int i;
			for (i = 0; i < 8; i++)
				h[8 - i] = (uint8_t)(v >> (8 * i));
			pt_cbor_put_raw(&w, h, 9);
		} else if (m == M_FLOAT_EXP) {
			pt_cbor_put_raw(&w, (const uint8_t *)"\xfb\x41\xda\x86\xe7\x14\x00\x00\x00", 9);
		} else if (m == M_EXP_NEG) {
			pt_cbor_put_int(&w, -g->exp);
		} else {
			pt_cbor_put_uint(&w, (uint64_t)g->exp);
		}
	}
	if (m != M_TOP_ORDER && g->has_nbf) {
		pt_cbor_put_int(&w, PT_CWT_NBF);
		pt_cbor_put_uint(&w, (uint64_t)g->nbf);
	}
	if (g->has_iat) {
		pt_cbor_put_int(&w, PT_CWT_IAT);
		pt_cbor_put_uint(&w, (uint64_t)g->iat);
	}
	if (m != M_NO_CTI) {
		pt_cbor_put_int(&w, PT_CWT_CTI);
		pt_cbor_put_bytes(&w, g->cti, m == M_CTI_SHORT ? PT_CTI_LEN - 1 : PT_CTI_LEN);
	}
	pt_cbor_put_int(&w, PT_CWT_CNF);
	pt_cbor_put_map(&w, 1);
	pt_cbor_put_int(&w, 1);
	pt_cbor_put_map(&w, 3);
	pt_cbor_put_int(&w, 1);
	pt_cbor_put_uint(&w, m == M_CNF_KTY ? 2 : 1);
	if (m == M_CNF_ORDER) {
		pt_cbor_put_int(&w, -2);
		pt_cbor_put_bytes(&w, g->holder, PT_PK_LEN);
		pt_cbor_put_int(&w, -1);
		pt_cbor_put_uint(&w, 6);
	} else {
		pt_cbor_put_int(&w, -1);
		pt_cbor_put_uint(&w, 6);
		pt_cbor_put_int(&w, -2);
		pt_cbor_put_bytes(&w, g->holder, PT_PK_LEN);
	}
	pt_cbor_put_int(&w, PT_CWT_PORTER);
	put_porter(&w, g, m);
	if (m == M_TOP_PRIV) {
		pt_cbor_put_int(&w, -65538);
		pt_cbor_put_uint(&w, 1);
	}
	if (m == M_INDEF_TOP)
		pt_cbor_put_raw(&w, (const uint8_t *)"\xff", 1);
	if (m == M_TRAILING)
		pt_cbor_put_raw(&w, (const uint8_t *)"\x00", 1);
	*len = w.len;
	return pt_cbor_wr_status(&w);
}

/* ---- tests ---- */

static void
test_roundtrip(void)
{
	struct pt_grant g, d;
	uint8_t claims[PT_LINK_SIZE_MAX], again[PT_LINK_SIZE_MAX], hand[PT_LINK_SIZE_MAX];
	uint8_t link[PT_LINK_SIZE_MAX], chain[PT_CHAIN_SIZE_MAX];
	size_t n, n2, nh, ln, cn;
	struct pt_chain c;
	uint8_t kid[PT_KID_LEN];
	int which;

	for (which = 0; which < 3; which++) {
		const char *name = which == 0 ? "full grant" : which == 1 ? "carrier grant" : "courier grant";
		if (which == 0)
			full_grant(&g);
		else if (which == 1)
			carrier_grant(&g);
		else
			courier_grant(&g);
		T_EQ(pt_grant_check(&g), PT_OK, "%s: passes its rules", name);
		T_EQ(pt_grant_encode_claims(&g, claims, sizeof(claims), &n), PT_OK, "%s: encodes", name);
		T_EQ(pt_grant_decode_claims(claims, n, &d), PT_OK, "%s: decodes", name);
		T_OK(grant_eq(&g, &d), "%s: every field survives the round trip", name);
		T_OK(pt_grant_encode_claims(&d, again, sizeof(again), &n2) == PT_OK && n2 == n &&
			     memcmp(again, claims, n) == 0,
		     "%s: re-encoding the decoded grant gives the same bytes", name);
		T_OK(enc_claims(&g, M_NONE, hand, sizeof(hand), &nh) == PT_OK && nh == n &&
			     memcmp(hand, claims, n) == 0,
		     "%s: the test's hand encoder agrees byte for byte", name);
		T_EQ(sign_link(&owner, &g, link, sizeof(link), &ln), PT_OK, "%s: signs", name);
		pt_kid(ops, owner.pk, kid);
		T_OK(memcmp(g.kid, kid, PT_KID_LEN) == 0, "%s: pt_grant_sign sets kid", name);
		T_EQ(pt_chain_append(NULL, 0, link, ln, chain, sizeof(chain), &cn), PT_OK,
		     "%s: chain of one", name);
		T_EQ(pt_chain_decode(chain, cn, &c), PT_OK, "%s: chain decodes", name);
		T_OK(c.n == 1 && grant_eq(&g, &c.link[0].g) &&
			     memcmp(c.link[0].g.kid, kid, PT_KID_LEN) == 0 &&
			     c.link[0].cose.payload_len == n &&
			     memcmp(c.link[0].cose.payload, claims, n) == 0,
		     "%s: decoded link equals the grant, kid from the header", name);
	}
	/* Minimal resident grant: no exp, no entries, no locks, no schedule. */
	memset(&g, 0, sizeof(g));
	strcpy(g.aud, "h");
	set_cti(&g, 3);
	memcpy(g.holder, owner.pk, PT_PK_LEN);
	g.purpose = PT_PURPOSE_RESIDENT;
	T_EQ(pt_grant_check(&g), PT_OK, "minimal resident grant passes");
	T_OK(pt_grant_encode_claims(&g, claims, sizeof(claims), &n) == PT_OK &&
		     pt_grant_decode_claims(claims, n, &d) == PT_OK && grant_eq(&g, &d),
	     "minimal resident grant round-trips");
	T_EQ(pt_grant_encode_claims(&g, claims, 10, &n), PT_ENOSPC, "encode into 10 bytes: ENOSPC");
}

#define CHECK_BAD(what, ...)                                                               \
	do {                                                                                \
		struct pt_grant g_;                                                         \
		uint8_t o_[PT_LINK_SIZE_MAX];                                               \
		size_t n_ = 99;                                                             \
		carrier_grant(&g_);                                                         \
		{                                                                           \
			struct pt_grant *g = &g_;                                           \
			__VA_ARGS__;                                                        \
		}                                                                           \
		T_EQ(pt_grant_check(&g_), PT_EMALFORMED, "check refuses: %s", what);        \
		T_OK(pt_grant_encode_claims(&g_, o_, sizeof(o_), &n_) == PT_EMALFORMED &&   \
			     n_ == 0,                                                       \
		     "encoder refuses: %s", what);                                          \
	} while (0)

#define CHECK_GOOD(what, ...)                                                      \
	do {                                                                        \
		struct pt_grant g_, d_;                                             \
		uint8_t o_[PT_LINK_SIZE_MAX];                                       \
		size_t n_;                                                          \
		carrier_grant(&g_);                                                 \
		{                                                                   \
			struct pt_grant *g = &g_;                                   \
			__VA_ARGS__;                                                \
		}                                                                   \
		T_EQ(pt_grant_check(&g_), PT_OK, "check accepts: %s", what);        \
		T_OK(pt_grant_encode_claims(&g_, o_, sizeof(o_), &n_) == PT_OK &&   \
			     pt_grant_decode_claims(o_, n_, &d_) == PT_OK &&        \
			     grant_eq(&g_, &d_),                                    \
		     "round trip: %s", what);                                       \
	} while (0)

static void
test_check(void)
{
	CHECK_GOOD("the carrier grant", (void)g);
	/* ids */
	CHECK_BAD("aud \"../x\"", strcpy(g->aud, "../x"));
	CHECK_BAD("aud \"\"", g->aud[0] = '\0');
	CHECK_BAD("aud of 65 bytes (no terminator in the array)", memset(g->aud, 'a', sizeof(g->aud)));
	CHECK_GOOD("aud of 64 bytes", (memset(g->aud, 'a', PT_ID_MAX), g->aud[PT_ID_MAX] = '\0'));
	CHECK_BAD("aud \".hidden\"", strcpy(g->aud, ".hidden"));
	CHECK_BAD("aud \"a/b\"", strcpy(g->aud, "a/b"));
	CHECK_BAD("aud \"a b\"", strcpy(g->aud, "a b"));
	CHECK_BAD("aud with a UTF-8 letter", strcpy(g->aud, "h\xc3\xa9"));
	CHECK_GOOD("aud \"A-z_0.9\"", strcpy(g->aud, "A-z_0.9"));
	CHECK_BAD("lock \"../x\"", strcpy(g->locks[0], "../x"));
	CHECK_BAD("lock \"\"", g->locks[0][0] = '\0');
	CHECK_BAD("lock of 65 bytes", memset(g->locks[0], 'l', sizeof(g->locks[0])));
	CHECK_BAD("lock \"..\"", strcpy(g->locks[0], ".."));
	/* times */
	CHECK_BAD("nbf == exp", g->nbf = g->exp);
	CHECK_BAD("nbf > exp", g->nbf = g->exp + 1);
	CHECK_GOOD("nbf == exp - 1", g->nbf = g->exp - 1);
	CHECK_BAD("negative nbf", g->nbf = -1);
	CHECK_BAD("exp after 9999", g->exp = PT_TIME_MAX + 1);
	CHECK_GOOD("exp at 9999-12-31T23:59:59Z", g->exp = PT_TIME_MAX);
	CHECK_BAD("negative iat", (g->has_iat = true, g->iat = -5));
	/* cti */
	CHECK_BAD("zero cti", memset(g->cti, 0, PT_CTI_LEN));
	CHECK_GOOD("cti with one bit", (memset(g->cti, 0, PT_CTI_LEN), g->cti[15] = 1));
	/* locks */
	CHECK_BAD("locks unsorted", (g->n_locks = 2, strcpy(g->locks[0], "front"),
				     strcpy(g->locks[1], "back")));
	CHECK_BAD("locks duplicate", (g->n_locks = 2, strcpy(g->locks[1], "front")));
	CHECK_BAD("9 locks", {
		int i_;
		g->n_locks = 9;
		for (i_ = 0; i_ < 9 && i_ < PT_LOCKS_MAX; i_++)
			snprintf(g->locks[i_], sizeof(g->locks[i_]), "lock%d", i_);
	});
	CHECK_GOOD("8 locks", {
		int i_;
		g->n_locks = 8;
		for (i_ = 0; i_ < 8; i_++)
			snprintf(g->locks[i_], sizeof(g->locks[i_]), "lock%d", i_);
	});
	/* purpose */
	CHECK_BAD("purpose 0", g->purpose = 0);
	CHECK_BAD("purpose 5", g->purpose = 5);
	CHECK_GOOD("purpose guest", g->purpose = PT_PURPOSE_GUEST);
	/* entries */
	CHECK_BAD("entries 0", g->entries = 0);
	CHECK_BAD("entries max + 1", g->entries = PT_ENTRIES_MAX + 1);
	CHECK_GOOD("entries max", g->entries = PT_ENTRIES_MAX);
	CHECK_GOOD("no entry limit (guest)", (g->purpose = PT_PURPOSE_GUEST, g->has_entries = false));
	CHECK_BAD("delivery without an entry limit", g->has_entries = false);
	/* depth */
	CHECK_BAD("depth 4", g->depth = PT_DEPTH_MAX + 1);
	CHECK_GOOD("depth 3", g->depth = PT_DEPTH_MAX);
	/* cond */
	CHECK_BAD("unknown cond bit 4", g->cond |= 4u);
	CHECK_BAD("unknown cond bit 31", g->cond = 0x80000000u);
	CHECK_GOOD("cond none", g->cond = 0);
	/* door open */
	CHECK_BAD("door_open 0", g->door_open_max = 0);
	CHECK_BAD("door_open 86401", g->door_open_max = PT_DOOR_OPEN_MAX + 1);
	CHECK_GOOD("door_open 86400", g->door_open_max = PT_DOOR_OPEN_MAX);
	/* windows */
	CHECK_BAD("windows overlapping", (g->sched.n_windows = 2,
					  g->sched.windows[0] = (struct pt_window){T0, T0 + 10},
					  g->sched.windows[1] = (struct pt_window){T0 + 5, T0 + 15}));
	CHECK_BAD("windows unsorted", (g->sched.n_windows = 2,
				       g->sched.windows[0] = (struct pt_window){T0 + 20, T0 + 30},
				       g->sched.windows[1] = (struct pt_window){T0, T0 + 10}));
	CHECK_BAD("window start == end", (g->sched.n_windows = 1,
					  g->sched.windows[0] = (struct pt_window){T0, T0}));
	CHECK_BAD("window start > end", (g->sched.n_windows = 1,
					 g->sched.windows[0] = (struct pt_window){T0 + 1, T0}));
	CHECK_BAD("window negative start", (g->sched.n_windows = 1,
					    g->sched.windows[0] = (struct pt_window){-10, T0}));
	CHECK_BAD("9 windows", {
		int i_;
		g->sched.n_windows = 9;
		for (i_ = 0; i_ < PT_WINDOWS_MAX; i_++)
			g->sched.windows[i_] = (struct pt_window){T0 + 10 * i_, T0 + 10 * i_ + 5};
	});
	CHECK_GOOD("windows adjacent", (g->sched.n_windows = 2,
					g->sched.windows[0] = (struct pt_window){T0, T0 + 10},
					g->sched.windows[1] = (struct pt_window){T0 + 10, T0 + 20}));
	/* weekly */
	CHECK_BAD("weekly days 0", g->sched.weekly[0].days = 0);
	CHECK_BAD("weekly days 0x80", g->sched.weekly[0].days = 0x80);
	CHECK_BAD("weekly start == end", g->sched.weekly[0].start_min = g->sched.weekly[0].end_min);
	CHECK_BAD("weekly start > end", g->sched.weekly[0].start_min = 1300);
	CHECK_BAD("weekly end 1441", g->sched.weekly[0].end_min = 1441);
	CHECK_GOOD("weekly 00:00-24:00", (g->sched.weekly[0].start_min = 0,
					  g->sched.weekly[0].end_min = 1440));
	CHECK_BAD("17 weekly intervals", {
		int i_;
		g->sched.n_weekly = 17;
		for (i_ = 0; i_ < PT_WEEKLY_MAX; i_++)
			g->sched.weekly[i_] = (struct pt_weekly){1, 0, 10};
	});
	/* tz */
	CHECK_BAD("weekly without tz", g->sched.tz[0] = '\0');
	CHECK_BAD("tz without weekly", g->sched.n_weekly = 0);
	CHECK_GOOD("no tz, no weekly", (g->sched.n_weekly = 0, g->sched.tz[0] = '\0'));
	CHECK_BAD("tz \"Europe/../etc\"", strcpy(g->sched.tz, "Europe/../etc"));
	CHECK_BAD("tz \"..\"", strcpy(g->sched.tz, ".."));
	CHECK_BAD("tz \"/etc/localtime\"", strcpy(g->sched.tz, "/etc/localtime"));
	CHECK_BAD("tz \".\"", strcpy(g->sched.tz, "."));
	CHECK_BAD("tz \"Europe/Berlin/\"", strcpy(g->sched.tz, "Europe/Berlin/"));
	CHECK_BAD("tz \"Europe//Berlin\"", strcpy(g->sched.tz, "Europe//Berlin"));
	CHECK_BAD("tz with a space", strcpy(g->sched.tz, "Europe/Ber lin"));
	CHECK_BAD("tz of 65 bytes", memset(g->sched.tz, 'A', sizeof(g->sched.tz)));
	CHECK_GOOD("tz \"Etc/GMT+1\"", strcpy(g->sched.tz, "Etc/GMT+1"));
	CHECK_GOOD("tz \"UTC\"", strcpy(g->sched.tz, "UTC"));
	/* note */
	CHECK_BAD("note with ESC [2J", strcpy(g->note, "hi \x1b[2J"));
	CHECK_BAD("note with a newline", strcpy(g->note, "a\nb"));
	CHECK_BAD("note with a tab", strcpy(g->note, "a\tb"));
	CHECK_BAD("note with DEL", strcpy(g->note, "a\x7f"));
	CHECK_BAD("note with NEL U+0085", strcpy(g->note, "a\xc2\x85"));
	CHECK_BAD("note with CSI U+009B", strcpy(g->note, "\xc2\x9b" "31m"));
	CHECK_BAD("note with invalid UTF-8 (ff)", strcpy(g->note, "a\xff"));
	CHECK_BAD("note with an overlong '/' (c0 af)", strcpy(g->note, "\xc0\xaf"));
	CHECK_BAD("note with a surrogate", strcpy(g->note, "\xed\xa0\x80"));
	CHECK_BAD("note with a truncated sequence", strcpy(g->note, "ok \xe2\x82"));
	CHECK_BAD("note of 281 bytes", memset(g->note, 'n', sizeof(g->note)));
	CHECK_GOOD("note of 280 bytes", (memset(g->note, 'n', PT_NOTE_MAX), g->note[PT_NOTE_MAX] = 0));
	CHECK_GOOD("note in German with an em dash", strcpy(g->note, "T\xc3\xbcr \xe2\x80\x94 ok"));
	/* standing access */
	CHECK_BAD("delivery without exp", g->has_exp = false);
	CHECK_BAD("guest without exp", (g->purpose = PT_PURPOSE_GUEST, g->has_exp = false));
	CHECK_GOOD("resident without exp", (g->purpose = PT_PURPOSE_RESIDENT, g->has_exp = false));
}

static void
test_validators(void)
{
	static const struct {
		const char *s;
		bool id, tz;
	} v[] = {
		{"home-7f3a", true, true},
		{"Europe/Berlin", false, true},
		{"America/Argentina/Buenos_Aires", false, true},
		{"Etc/GMT+1", false, true},
		{"Etc/GMT-14", false, true},
		{"UTC", true, true},
		{"a", true, true},
		{"A-z_0.9", true, false},
		{"", false, false},
		{".", false, false},
		{"..", false, false},
		{".hidden", false, false},
		{"../x", false, false},
		{"a/../b", false, false},
		{"/etc", false, false},
		{"Europe/", false, false},
		{"Europe//Berlin", false, false},
		{"a b", false, false},
		{"a\nb", false, false},
		{"a\x1b", false, false},
		{"h\xc3\xa9", false, false},
		{"a:b", false, false},
		{"a\\b", false, false},
	};
	char id64[PT_ID_MAX + 2];
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		char shown[64];
		size_t k, o = 0;
		for (k = 0; v[i].s[k] != '\0' && o + 5 < sizeof(shown); k++) {
			unsigned char ch = (unsigned char)v[i].s[k];
			if (ch < 0x20 || ch >= 0x7f)
				o += (size_t)snprintf(shown + o, sizeof(shown) - o, "\\x%02x", ch);
			else
				shown[o++] = (char)ch;
		}
		shown[o] = '\0';
		T_EQ(pt_id_is_valid(v[i].s, strlen(v[i].s)), v[i].id, "pt_id_is_valid(\"%s\"): %s",
		     shown, v[i].id ? "yes" : "no");
		T_EQ(pt_tzname_is_valid(v[i].s, strlen(v[i].s)), v[i].tz,
		     "pt_tzname_is_valid(\"%s\"): %s", shown, v[i].tz ? "yes" : "no");
	}
	memset(id64, 'x', sizeof(id64));
	T_OK(pt_id_is_valid(id64, PT_ID_MAX) && !pt_id_is_valid(id64, PT_ID_MAX + 1),
	     "pt_id_is_valid: 64 bytes yes, 65 no");
	T_OK(pt_tzname_is_valid(id64, PT_TZNAME_MAX) && !pt_tzname_is_valid(id64, PT_TZNAME_MAX + 1),
	     "pt_tzname_is_valid: 64 bytes yes, 65 no");
	T_OK(!pt_id_is_valid("ab\0cd", 5), "pt_id_is_valid: an embedded NUL is refused");
}

struct strict_case {
	const char *what;
	int m;
	int want;
	bool carrier;	/* base on the carrier link (8 porter keys), else the courier's (10) */
};

static void
test_decoder_strictness(void)
{
	static const struct strict_case cases[] = {
		{"(a) extra claim 2 'sub'", M_TOP_SUB, PT_EUNSUPPORTED, false},
		{"(a) extra claim -65538", M_TOP_PRIV, PT_EUNSUPPORTED, false},
		{"(b) unknown key 12 in the porter map", M_PC_UNKNOWN, PT_EUNSUPPORTED, true},
		{"(b) unknown key 0 in the porter map", M_PC_ZERO, PT_EUNSUPPORTED, true},
		{"(c) duplicate claim (aud twice)", M_TOP_DUP, PT_EMALFORMED, false},
		{"(c) duplicate porter key (purpose twice)", M_PC_DUP, PT_EMALFORMED, false},
		{"(d) claims out of order (nbf before exp)", M_TOP_ORDER, PT_EMALFORMED, false},
		{"(d) porter keys out of order (depth before entries)", M_PC_ORDER, PT_EMALFORMED, false},
		{"(d) COSE_Key labels out of order", M_CNF_ORDER, PT_EMALFORMED, false},
		{"(e) a byte after the map", M_TRAILING, PT_EMALFORMED, false},
		{"(f) non-shortest purpose (18 04)", M_NONSHORT, PT_EMALFORMED, false},
		{"(f) non-shortest exp (9-byte head)", M_NONSHORT_TIME, PT_EMALFORMED, false},
		{"(g) indefinite-length claims map", M_INDEF_TOP, PT_EMALFORMED, false},
		{"(g) indefinite-length porter map", M_INDEF_PC, PT_EMALFORMED, false},
		{"(h) cond = 0 encoded explicitly", M_COND0, PT_EMALFORMED, false},
		{"(i) empty locks array", M_LOCKS_EMPTY, PT_EMALFORMED, false},
		{"tz \"\" encoded explicitly without weekly intervals", M_TZ_EMPTY, PT_EMALFORMED, false},
		{"note \"\" encoded explicitly", M_NOTE_EMPTY, PT_EMALFORMED, false},
		{"empty windows array", M_WINDOWS_EMPTY, PT_EMALFORMED, false},
		{"empty weekly array", M_WEEKLY_EMPTY, PT_EMALFORMED, false},
		{"unknown cond bit", M_COND_UNKNOWN, PT_EUNSUPPORTED, false},
		{"cnf with kty EC2", M_CNF_KTY, PT_EUNSUPPORTED, false},
		{"no cti", M_NO_CTI, PT_EMALFORMED, false},
		{"no purpose", M_NO_PURPOSE, PT_EMALFORMED, false},
		{"cti of 15 bytes", M_CTI_SHORT, PT_EMALFORMED, false},
		{"aud \"../x\"", M_AUD_DOTDOT, PT_EMALFORMED, false},
		{"note with ESC [2J", M_NOTE_ESC, PT_EMALFORMED, false},
		{"locks [\"front\", \"front\"]", M_LOCKS_DUP, PT_EMALFORMED, false},
		{"exp as a float", M_FLOAT_EXP, PT_EMALFORMED, false},
		{"exp as a negative integer", M_EXP_NEG, PT_EMALFORMED, false},
	};
	struct pt_grant base, cbase, d;
	uint8_t claims[PT_LINK_SIZE_MAX], link[PT_LINK_SIZE_MAX + 200], chain[PT_CHAIN_SIZE_MAX];
	size_t n, ln, cn, i;
	struct pt_chain c;

	/* The bases: the courier link (all 10 porter keys) and the carrier link (8). */
	courier_grant(&base);
	carrier_grant(&cbase);
	T_OK(enc_claims(&base, M_NONE, claims, sizeof(claims), &n) == PT_OK &&
		     pt_grant_decode_claims(claims, n, &d) == PT_OK,
	     "strictness base decodes");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r;

		T_EQ(enc_claims(cases[i].carrier ? &cbase : &base, cases[i].m, claims, sizeof(claims), &n), PT_OK,
		     "%s: built by hand", cases[i].what);
		memset(&d, 0x5a, sizeof(d));
		r = pt_grant_decode_claims(claims, n, &d);
		T_EQ(r, cases[i].want, "decode_claims refuses %s with %s", cases[i].what,
		     pt_err_code(cases[i].want));
		{
			static const struct pt_grant zero;
			if (r != PT_OK)
				T_OK(memcmp(&d, &zero, sizeof(d)) == 0, "%s: grant zeroed on error",
				     cases[i].what);
		}
		/* Properly signed: the refusal is about the encoding. */
		T_EQ(sign_raw(&owner, claims, n, link, sizeof(link), &ln), PT_OK, "%s: signed",
		     cases[i].what);
		T_OK(sig_ok(link, ln, owner.pk), "%s: its signature verifies", cases[i].what);
		T_EQ(pt_chain_append(NULL, 0, link, ln, chain, sizeof(chain), &cn), PT_OK,
		     "%s: appended", cases[i].what);
		r = pt_chain_decode(chain, cn, &c);
		T_EQ(r, cases[i].want, "chain_decode refuses %s with %s", cases[i].what,
		     pt_err_code(cases[i].want));
		if (r != PT_OK)
			T_EQ(c.n, 0, "%s: chain zeroed on error", cases[i].what);
	}

	/* A full porter map (10 keys, like every typical courier link) plus an
	 * unknown one: refused either way. */
	{
		int r;
		T_EQ(enc_claims(&base, M_PC_UNKNOWN, claims, sizeof(claims), &n), PT_OK,
		     "full grant + porter key 12: built");
		r = pt_grant_decode_claims(claims, n, &d);
		T_OK(r == PT_EUNSUPPORTED || r == PT_EMALFORMED,
		     "full grant + porter key 12: refused (%s)", pt_err_code(r));
		printf("# full porter map + unknown key 12: %s\n",
		       pt_err_code(r));
	}
	/* Every strict prefix of valid claims is refused. */
	{
		size_t cut;
		int bad = 0;
		T_OK(enc_claims(&base, M_NONE, claims, sizeof(claims), &n) == PT_OK, "base again");
		for (cut = 0; cut < n; cut++)
			if (pt_grant_decode_claims(claims, cut, &d) == PT_OK)
				bad++;
		T_EQ(bad, 0, "every one of the %zu strict prefixes of the claims refused", n);
	}
}

static void
test_chain_limits(void)
{
	struct pt_grant g;
	uint8_t links[5][PT_LINK_SIZE_MAX];
	size_t lens[5], i;
	uint8_t a[PT_CHAIN_SIZE_MAX + 64], b[PT_CHAIN_SIZE_MAX + 64];
	size_t an = 0, bn;
	struct pt_chain c;
	int r;

	for (i = 0; i < 5; i++) {
		carrier_grant(&g);
		set_cti(&g, (uint8_t)(10 + i));
		T_EQ(sign_link(&owner, &g, links[i], sizeof(links[i]), &lens[i]), PT_OK, "link %zu signed",
		     i);
	}
	for (i = 0; i < 4; i++) {
		r = pt_chain_append(i == 0 ? NULL : a, an, links[i], lens[i], b, sizeof(b), &bn);
		T_EQ(r, PT_OK, "append link %zu", i + 1);
		memcpy(a, b, bn);
		an = bn;
		T_OK(pt_chain_decode(a, an, &c) == PT_OK && c.n == i + 1,
		     "chain of %zu decodes with %zu links", i + 1, i + 1);
	}
	bn = 77;
	T_EQ(pt_chain_append(a, an, links[4], lens[4], b, sizeof(b), &bn), PT_ECHAINLEN,
	     "append a 5th link: chain-too-long");
	T_EQ(bn, 0, "append: out_len 0 on error");
	/* A hand-built 5-link array. */
	b[0] = 0x85;
	memcpy(b + 1, a + 1, an - 1);
	memcpy(b + an, links[4], lens[4]);
	bn = an + lens[4];
	T_EQ(pt_chain_decode(b, bn, &c), PT_ECHAINLEN, "hand-built 5-link chain: chain-too-long");
	T_EQ(c.n, 0, "5-link chain: zeroed");
	/* Trailing bytes after the chain. */
	memcpy(b, a, an);
	b[an] = 0x00;
	T_EQ(pt_chain_decode(b, an + 1, &c), PT_EMALFORMED, "a byte after the chain: malformed");
	T_EQ(pt_chain_decode(b, an, &c), PT_OK, "the same chain without it: fine");
	/* Count says 2, one link present. */
	b[0] = 0x82;
	memcpy(b + 1, links[0], lens[0]);
	T_EQ(pt_chain_decode(b, 1 + lens[0], &c), PT_EMALFORMED, "count 2, one link: malformed");
	/* Count says 1, two links present. */
	b[0] = 0x81;
	memcpy(b + 1 + lens[0], links[1], lens[1]);
	T_EQ(pt_chain_decode(b, 1 + lens[0] + lens[1], &c), PT_EMALFORMED,
	     "count 1, two links: malformed");
	/* Count in a non-shortest head. */
	b[0] = 0x98;
	b[1] = 0x01;
	memcpy(b + 2, links[0], lens[0]);
	T_EQ(pt_chain_decode(b, 2 + lens[0], &c), PT_EMALFORMED, "count 1 as 98 01: malformed");
	/* Empty array, not an array, empty input. */
	T_EQ(pt_chain_decode((const uint8_t *)"\x80", 1, &c), PT_EMALFORMED, "empty chain: malformed");
	T_EQ(pt_chain_decode((const uint8_t *)"\xa0", 1, &c), PT_EMALFORMED, "a map: malformed");
	T_EQ(pt_chain_decode(links[0], lens[0], &c), PT_EMALFORMED, "a bare link: malformed");
	T_EQ(pt_chain_decode(b, 0, &c), PT_EMALFORMED, "no bytes: malformed");
	T_EQ(pt_chain_decode((const uint8_t *)"\x9f\xff", 2, &c), PT_EMALFORMED,
	     "indefinite array: malformed");
	/* Untagged link. */
	b[0] = 0x81;
	memcpy(b + 1, links[0] + 1, lens[0] - 1);
	T_EQ(links[0][0], 0xd2, "links start with tag 18");
	T_EQ(pt_chain_decode(b, lens[0], &c), PT_EMALFORMED, "untagged link: malformed");
	T_EQ(pt_chain_append(NULL, 0, links[0] + 1, lens[0] - 1, a, sizeof(a), &an), PT_EMALFORMED,
	     "append an untagged link: malformed");
	/* Another tag. */
	memcpy(b + 1, links[0], lens[0]);
	b[1] = 0xd1;	/* 17: COSE_Mac0 */
	T_EQ(pt_chain_decode(b, lens[0] + 1, &c), PT_EMALFORMED, "link tagged 17: malformed");
	b[1] = 0xd2;
	T_EQ(pt_chain_decode(b, lens[0] + 1, &c), PT_OK, "the same link tagged 18: fine");
	/* Tag 18 twice. */
	memmove(b + 2, b + 1, lens[0]);
	T_EQ(pt_chain_decode(b, lens[0] + 2, &c), PT_EMALFORMED, "link tagged 18(18(...)): malformed");

	/* Too big. */
	T_EQ(pt_chain_append(NULL, 0, links[0], lens[0], a, sizeof(a), &an), PT_OK, "one link again");
	memset(a + an, 0, sizeof(a) - an);
	T_EQ(pt_chain_decode(a, PT_CHAIN_SIZE_MAX + 1, &c), PT_ETOOBIG,
	     "valid chain + padding to %d bytes: too-large", PT_CHAIN_SIZE_MAX + 1);
	T_EQ(pt_chain_decode(a, PT_CHAIN_SIZE_MAX, &c), PT_EMALFORMED,
	     "valid chain + padding to %d bytes: malformed (not too large)", PT_CHAIN_SIZE_MAX);
	/* Links with long notes and locks: three exceed the chain limit. */
	{
		uint8_t big[3][PT_LINK_SIZE_MAX];
		size_t bl[3];
		int k;
		for (k = 0; k < 3; k++) {
			int j;
			carrier_grant(&g);
			set_cti(&g, (uint8_t)(40 + k));
			g.n_locks = 6;
			for (j = 0; j < 6; j++) {
				memset(g.locks[j], 'a' + j, 60);
				g.locks[j][60] = '\0';
			}
			memset(g.note, 'n', PT_NOTE_MAX);
			g.note[PT_NOTE_MAX] = '\0';
			T_EQ(sign_link(&owner, &g, big[k], sizeof(big[k]), &bl[k]), PT_OK,
			     "big link %d signed", k);
		}
		printf("# big link: %zu bytes\n", bl[0]);
		T_OK(pt_chain_append(NULL, 0, big[0], bl[0], a, sizeof(a), &an) == PT_OK &&
			     pt_chain_append(a, an, big[1], bl[1], b, sizeof(b), &bn) == PT_OK,
		     "two big links fit");
		T_OK(bn + bl[2] > PT_CHAIN_SIZE_MAX, "a third would pass %d bytes", PT_CHAIN_SIZE_MAX);
		{
			static uint8_t huge[4 * PT_CHAIN_SIZE_MAX];
			T_EQ(pt_chain_append(b, bn, big[2], bl[2], huge, sizeof(huge), &an), PT_ETOOBIG,
			     "append a third big link (ample buffer): too-large");
			/* A caller's buffer of PT_CHAIN_SIZE_MAX is the natural size: the
			 * answer must still be "too large", not "buffer too small". */
			T_EQ(pt_chain_append(b, bn, big[2], bl[2], huge, PT_CHAIN_SIZE_MAX, &an),
			     PT_ETOOBIG, "append a third big link (PT_CHAIN_SIZE_MAX buffer): too-large");
		}
		/* The protocol limit is checked before the caller's buffer. */
		T_EQ(pt_chain_append(b, bn, big[2], bl[2], a, 100, &an), PT_ETOOBIG,
		     "oversized append into 100 bytes: too-large first");
		T_EQ(pt_chain_append(NULL, 0, big[0], bl[0], a, 100, &an), PT_ENOSPC,
		     "append that fits the protocol into 100 bytes: buffer-too-small");
	}
	/* A grant whose link would exceed PT_LINK_SIZE_MAX. */
	{
		uint8_t out[4096];
		size_t on = 1;
		int j;
		full_grant(&g);
		g.n_locks = PT_LOCKS_MAX;
		for (j = 0; j < PT_LOCKS_MAX; j++) {
			memset(g.locks[j], 'a' + j, PT_ID_MAX);
			g.locks[j][PT_ID_MAX] = '\0';
		}
		memset(g.note, 'n', PT_NOTE_MAX);
		g.note[PT_NOTE_MAX] = '\0';
		T_EQ(pt_grant_check(&g), PT_OK, "huge grant is valid");
		T_EQ(sign_link(&owner, &g, out, sizeof(out), &on), PT_ETOOBIG,
		     "huge grant: signing gives too-large");
		T_EQ(on, 0, "huge grant: out_len 0");
		T_EQ(pt_chain_append(NULL, 0, out, PT_LINK_SIZE_MAX + 1, a, sizeof(a), &an), PT_ETOOBIG,
		     "append a link of %d bytes: too-large", PT_LINK_SIZE_MAX + 1);
	}
}

static void
test_typical_size(void)
{
	struct pt_grant g0, g1;
	uint8_t l0[PT_LINK_SIZE_MAX], l1[PT_LINK_SIZE_MAX], c0[PT_CHAIN_SIZE_MAX], c1[PT_CHAIN_SIZE_MAX];
	size_t n0 = 0, n1 = 0, cn0 = 0, cn1 = 0;
	struct pt_chain c;
	int fl = 9;

	carrier_grant(&g0);
	g0.nbf = T0 - 15 * DAY;
	g0.exp = g0.nbf + 30 * DAY;
	courier_grant(&g1);
	T_OK(sign_link(&owner, &g0, l0, sizeof(l0), &n0) == PT_OK &&
		     sign_link(&carrier, &g1, l1, sizeof(l1), &n1) == PT_OK,
	     "typical chain: links signed");
	T_OK(pt_chain_append(NULL, 0, l0, n0, c0, sizeof(c0), &cn0) == PT_OK &&
		     pt_chain_append(c0, cn0, l1, n1, c1, sizeof(c1), &cn1) == PT_OK,
	     "typical chain: built");
	T_EQ(pt_chain_decode(c1, cn1, &c), PT_OK, "typical chain decodes");
	T_OK(pt_chain_verify(ops, &c, (const uint8_t(*)[PT_PK_LEN])owner.pk, 1, &fl) == PT_OK &&
		     fl == -1,
	     "typical chain verifies");
	printf("# typical 2-link chain: %zu bytes (links %zu + %zu)\n", cn1, n0, n1);
	T_OK(cn1 < 600, "typical 2-link chain is under 600 bytes (%zu)", cn1);
}

static void
test_chain_verify(void)
{
	struct pt_grant g0, g1;
	uint8_t l0[PT_LINK_SIZE_MAX], l1[PT_LINK_SIZE_MAX], c0[PT_CHAIN_SIZE_MAX], ch[PT_CHAIN_SIZE_MAX];
	size_t n0, n1, cn0, cn;
	struct pt_chain c;
	uint8_t roots[2][PT_PK_LEN];
	int fl;

	memcpy(roots[0], stranger.pk, PT_PK_LEN);
	memcpy(roots[1], owner.pk, PT_PK_LEN);
	carrier_grant(&g0);
	courier_grant(&g1);
#define BUILD(signer1)                                                                      \
	(sign_link(&owner, &g0, l0, sizeof(l0), &n0) == PT_OK &&                            \
	 sign_link((signer1), &g1, l1, sizeof(l1), &n1) == PT_OK &&                         \
	 pt_chain_append(NULL, 0, l0, n0, c0, sizeof(c0), &cn0) == PT_OK &&                 \
	 pt_chain_append(c0, cn0, l1, n1, ch, sizeof(ch), &cn) == PT_OK &&                  \
	 pt_chain_decode(ch, cn, &c) == PT_OK)
	T_OK(BUILD(&carrier), "verify: chain built");
	T_OK(pt_chain_verify(ops, &c, (const uint8_t(*)[PT_PK_LEN])roots, 2, &fl) == PT_OK && fl == -1,
	     "verify: OK with the owner as second root");
	T_OK(pt_chain_verify(ops, &c, (const uint8_t(*)[PT_PK_LEN])roots, 1, &fl) == PT_EUNTRUSTED &&
		     fl == 0,
	     "verify: untrusted-root when the owner is not a root, link 0");
	T_OK(pt_chain_verify(ops, &c, (const uint8_t(*)[PT_PK_LEN])roots, 0, &fl) == PT_EUNTRUSTED,
	     "verify: untrusted-root with no roots");
	T_OK(BUILD(&owner), "verify: chain with link 1 signed by the owner built");
	T_OK(pt_chain_verify(ops, &c, (const uint8_t(*)[PT_PK_LEN])roots, 2, &fl) == PT_EBROKENCHAIN &&
		     fl == 1,
	     "verify: broken-chain at link 1");
	g1.entries = 51;
	T_OK(BUILD(&carrier), "verify: widened chain built");
	T_OK(pt_chain_verify(ops, &c, (const uint8_t(*)[PT_PK_LEN])roots, 2, &fl) == PT_EWIDENED &&
		     fl == 1,
	     "verify: widened-link at link 1");
	courier_grant(&g1);
	T_OK(BUILD(&carrier), "verify: chain rebuilt");
	ch[cn0 - 5] ^= 0x01;	/* inside link 0's signature */
	T_OK(pt_chain_decode(ch, cn, &c) == PT_OK, "verify: corrupted signature still decodes");
	T_OK(pt_chain_verify(ops, &c, (const uint8_t(*)[PT_PK_LEN])roots, 2, &fl) == PT_EBADSIG &&
		     fl == 0,
	     "verify: bad-signature at link 0");
	ch[cn0 - 5] ^= 0x01;
	ch[cn - 5] ^= 0x01;	/* inside link 1's signature */
	T_OK(pt_chain_decode(ch, cn, &c) == PT_OK &&
		     pt_chain_verify(ops, &c, (const uint8_t(*)[PT_PK_LEN])roots, 2, &fl) == PT_EBADSIG &&
		     fl == 1,
	     "verify: bad-signature at link 1");
	memset(&c, 0, sizeof(c));
	T_EQ(pt_chain_verify(ops, &c, (const uint8_t(*)[PT_PK_LEN])roots, 2, &fl), PT_EMALFORMED,
	     "verify: empty chain is malformed");
#undef BUILD
}

/* ---- narrowing ---- */

static void
narrow(const char *what, const struct pt_grant *p, const struct pt_grant *c, int want)
{
	T_EQ(pt_grant_check(p), PT_OK, "narrows [%s]: parent is valid", what);
	T_EQ(pt_grant_check(c), PT_OK, "narrows [%s]: child is valid", what);
	T_EQ(pt_grant_narrows(p, c), want, "narrows [%s]: %s", what,
	     want == PT_OK ? "accepted" : "widened-link");
}

/* Parent with everything narrowable; child = parent with depth - 1. */
static void
np(struct pt_grant *p)
{
	carrier_grant(p);
	p->depth = 2;
	p->n_locks = 2;
	strcpy(p->locks[0], "back");
	strcpy(p->locks[1], "front");
	p->cond = PT_COND_CAMERA;
	p->sched.n_windows = 2;
	p->sched.windows[0] = (struct pt_window){T0 - 10 * HOUR, T0 + 10 * HOUR};
	p->sched.windows[1] = (struct pt_window){T0 + 2 * DAY, T0 + 3 * DAY};
}

static void
nc(struct pt_grant *c)
{
	np(c);
	c->depth = 1;
	set_cti(c, 77);
	memcpy(c->holder, courier.pk, PT_PK_LEN);
}

#define NARROW(what, pstmt, cstmt, want)        \
	do {                                    \
		struct pt_grant p_, c_;         \
		np(&p_);                        \
		nc(&c_);                        \
		{                               \
			struct pt_grant *p = &p_; \
			struct pt_grant *c = &c_; \
			(void)p;                \
			(void)c;                \
			pstmt;                  \
			cstmt;                  \
		}                               \
		narrow(what, &p_, &c_, want);   \
	} while (0)

static void
test_narrowing(void)
{
	NARROW("child = parent with depth - 1", (void)0, (void)0, PT_OK);
	/* depth */
	NARROW("depth 2 -> 0", (void)0, c->depth = 0, PT_OK);
	NARROW("depth 2 -> 2", (void)0, c->depth = 2, PT_EWIDENED);
	NARROW("depth 2 -> 3", (void)0, c->depth = 3, PT_EWIDENED);
	NARROW("depth 0 -> 0", p->depth = 0, c->depth = 0, PT_EWIDENED);
	NARROW("depth 3 -> 2", p->depth = 3, c->depth = 2, PT_OK);
	/* aud */
	NARROW("aud changed", (void)0, strcpy(c->aud, "home-0000"), PT_EWIDENED);
	NARROW("aud prefix", (void)0, strcpy(c->aud, "home-7f3"), PT_EWIDENED);
	/* purpose */
	NARROW("purpose delivery -> guest", (void)0, c->purpose = PT_PURPOSE_GUEST, PT_EWIDENED);
	NARROW("purpose delivery -> resident", (void)0, c->purpose = PT_PURPOSE_RESIDENT, PT_EWIDENED);
	NARROW("purpose resident -> delivery", p->purpose = PT_PURPOSE_RESIDENT, (void)0, PT_EWIDENED);
	NARROW("purpose resident -> resident", p->purpose = PT_PURPOSE_RESIDENT,
	       c->purpose = PT_PURPOSE_RESIDENT, PT_OK);
	/* locks */
	NARROW("locks {back,front} -> {front}", (void)0, (c->n_locks = 1, strcpy(c->locks[0], "front")),
	       PT_OK);
	NARROW("locks {back,front} -> {back}", (void)0, c->n_locks = 1, PT_OK);
	NARROW("locks {back,front} -> {back,front}", (void)0, (void)0, PT_OK);
	NARROW("locks {back,front} -> {front,side}", (void)0,
	       (strcpy(c->locks[0], "front"), strcpy(c->locks[1], "side")), PT_EWIDENED);
	NARROW("locks {back,front} -> {side}", (void)0, (c->n_locks = 1, strcpy(c->locks[0], "side")),
	       PT_EWIDENED);
	NARROW("locks {back,front} -> {back,front,side}", (void)0,
	       (c->n_locks = 3, strcpy(c->locks[2], "side")), PT_EWIDENED);
	NARROW("locks {back,front} -> all locks", (void)0, c->n_locks = 0, PT_EWIDENED);
	NARROW("locks all -> {side}", p->n_locks = 0, (c->n_locks = 1, strcpy(c->locks[0], "side")),
	       PT_OK);
	NARROW("locks all -> all", p->n_locks = 0, c->n_locks = 0, PT_OK);
	NARROW("locks {front} -> {fron}", (p->n_locks = 1, strcpy(p->locks[0], "front")),
	       (c->n_locks = 1, strcpy(c->locks[0], "fron")), PT_EWIDENED);
	/* entries */
	NARROW("entries 50 -> 50", (void)0, (void)0, PT_OK);
	NARROW("entries 50 -> 1", (void)0, c->entries = 1, PT_OK);
	NARROW("entries 50 -> 51", (void)0, c->entries = 51, PT_EWIDENED);
	/* (deliveries always count entries: the unlimited cases are guests) */
	NARROW("entries 50 -> unlimited (guests)", p->purpose = PT_PURPOSE_GUEST,
	       (c->purpose = PT_PURPOSE_GUEST, c->has_entries = false), PT_EWIDENED);
	NARROW("entries unlimited -> max (guests)", (p->purpose = PT_PURPOSE_GUEST, p->has_entries = false),
	       (c->purpose = PT_PURPOSE_GUEST, c->entries = PT_ENTRIES_MAX), PT_OK);
	NARROW("entries unlimited -> unlimited (guests)",
	       (p->purpose = PT_PURPOSE_GUEST, p->has_entries = false),
	       (c->purpose = PT_PURPOSE_GUEST, c->has_entries = false), PT_OK);
	/* nbf */
	NARROW("nbf equal", (void)0, (void)0, PT_OK);
	NARROW("nbf later", (void)0, c->nbf += 1, PT_OK);
	NARROW("nbf earlier", (void)0, c->nbf -= 1, PT_EWIDENED);
	NARROW("nbf dropped", (void)0, c->has_nbf = false, PT_EWIDENED);
	NARROW("nbf none -> any", p->has_nbf = false, c->nbf = 0, PT_OK);
	/* exp */
	NARROW("exp equal", (void)0, (void)0, PT_OK);
	NARROW("exp earlier", (void)0, c->exp -= 1, PT_OK);
	NARROW("exp later", (void)0, c->exp += 1, PT_EWIDENED);
	NARROW("exp dropped (residents)",
	       (p->purpose = PT_PURPOSE_RESIDENT),
	       (c->purpose = PT_PURPOSE_RESIDENT, c->has_exp = false), PT_EWIDENED);
	NARROW("exp none -> some (residents)",
	       (p->purpose = PT_PURPOSE_RESIDENT, p->has_exp = false),
	       (c->purpose = PT_PURPOSE_RESIDENT, c->exp = PT_TIME_MAX), PT_OK);
	/* cond */
	NARROW("cond camera -> camera", (void)0, (void)0, PT_OK);
	NARROW("cond camera -> camera+alarm", (void)0, c->cond = PT_COND_KNOWN, PT_OK);
	NARROW("cond camera -> alarm", (void)0, c->cond = PT_COND_ALARM_BYPASS, PT_EWIDENED);
	NARROW("cond camera -> none", (void)0, c->cond = 0, PT_EWIDENED);
	NARROW("cond camera+alarm -> camera", p->cond = PT_COND_KNOWN, (void)0, PT_EWIDENED);
	NARROW("cond none -> none", p->cond = 0, c->cond = 0, PT_OK);
	/* door open */
	NARROW("door-open 90 -> 90", (void)0, (void)0, PT_OK);
	NARROW("door-open 90 -> 60", (void)0, c->door_open_max = 60, PT_OK);
	NARROW("door-open 90 -> 91", (void)0, c->door_open_max = 91, PT_EWIDENED);
	NARROW("door-open 90 -> none", (void)0, c->has_door_open = false, PT_EWIDENED);
	NARROW("door-open none -> 10", p->has_door_open = false, c->door_open_max = 10, PT_OK);
	/* windows */
	NARROW("windows equal", (void)0, (void)0, PT_OK);
	NARROW("window inside the first", (void)0,
	       (c->sched.n_windows = 1,
		c->sched.windows[0] = (struct pt_window){T0 - HOUR, T0 + HOUR}), PT_OK);
	NARROW("window equal to the second", (void)0,
	       (c->sched.n_windows = 1, c->sched.windows[0] = c->sched.windows[1]), PT_OK);
	NARROW("window starting 1 s early", (void)0, c->sched.windows[0].start -= 1, PT_EWIDENED);
	NARROW("window ending 1 s late", (void)0, c->sched.windows[1].end += 1, PT_EWIDENED);
	NARROW("window spanning both parent windows", (void)0,
	       (c->sched.n_windows = 1,
		c->sched.windows[0] = (struct pt_window){T0 - HOUR, T0 + 2 * DAY + HOUR}),
	       PT_EWIDENED);
	NARROW("window in the gap", (void)0,
	       (c->sched.n_windows = 1,
		c->sched.windows[0] = (struct pt_window){T0 + DAY, T0 + DAY + HOUR}),
	       PT_EWIDENED);
	NARROW("child without windows, nbf/exp inside a parent window", (void)0,
	       (c->sched.n_windows = 0, c->nbf = T0 - HOUR, c->exp = T0 + HOUR), PT_OK);
	NARROW("child without windows, nbf/exp equal to a parent window", (void)0,
	       (c->sched.n_windows = 0, c->nbf = T0 - 10 * HOUR, c->exp = T0 + 10 * HOUR), PT_OK);
	NARROW("child without windows, exp 1 s past the parent window", (void)0,
	       (c->sched.n_windows = 0, c->nbf = T0 - HOUR, c->exp = T0 + 10 * HOUR + 1),
	       PT_EWIDENED);
	NARROW("child without windows, nbf 1 s before the parent window", (void)0,
	       (c->sched.n_windows = 0, c->nbf = T0 - 10 * HOUR - 1, c->exp = T0), PT_EWIDENED);
	NARROW("child without windows, nbf/exp spanning both parent windows", (void)0,
	       c->sched.n_windows = 0, PT_EWIDENED);
	NARROW("child without windows or nbf (residents)",
	       (p->purpose = PT_PURPOSE_RESIDENT, p->has_nbf = false),
	       (c->purpose = PT_PURPOSE_RESIDENT, c->has_nbf = false, c->sched.n_windows = 0,
		c->exp = T0), PT_EWIDENED);
	NARROW("parent without windows, child with one", p->sched.n_windows = 0,
	       (c->sched.n_windows = 1,
		c->sched.windows[0] = (struct pt_window){0, PT_TIME_MAX}), PT_OK);
	/* weekly */
	NARROW("weekly equal", (void)0, (void)0, PT_OK);
	NARROW("weekly Mon only, 10:00-11:00", (void)0,
	       (c->sched.weekly[0] = (struct pt_weekly){0x02, 600, 660}), PT_OK);
	NARROW("weekly days Mon-Sat", (void)0, c->sched.weekly[0].days = 0x7e, PT_EWIDENED);
	NARROW("weekly days Sun", (void)0, c->sched.weekly[0].days = 0x01, PT_EWIDENED);
	NARROW("weekly start 1 min early", (void)0, c->sched.weekly[0].start_min -= 1, PT_EWIDENED);
	NARROW("weekly end 1 min late", (void)0, c->sched.weekly[0].end_min += 1, PT_EWIDENED);
	NARROW("weekly tz Europe/Paris", (void)0, strcpy(c->sched.tz, "Europe/Paris"), PT_EWIDENED);
	NARROW("weekly dropped", (void)0, (c->sched.n_weekly = 0, c->sched.tz[0] = '\0'), PT_EWIDENED);
	NARROW("weekly: one of two child intervals outside", (void)0,
	       (c->sched.n_weekly = 2, c->sched.weekly[1] = (struct pt_weekly){0x40, 600, 660}),
	       PT_EWIDENED);
	NARROW("weekly: each child interval inside another parent interval",
	       (p->sched.n_weekly = 2, p->sched.weekly[1] = (struct pt_weekly){0x41, 0, 1440}),
	       (c->sched.n_weekly = 2, c->sched.weekly[0] = (struct pt_weekly){0x04, 480, 500},
		c->sched.weekly[1] = (struct pt_weekly){0x40, 0, 60}), PT_OK);
	NARROW("weekly: a child interval spanning two parent intervals",
	       (p->sched.n_weekly = 2, p->sched.weekly[1] = (struct pt_weekly){0x41, 0, 1440}),
	       (c->sched.weekly[0] = (struct pt_weekly){0x43, 600, 660}), PT_EWIDENED);
	NARROW("parent without weekly, child with",
	       (p->sched.n_weekly = 0, p->sched.tz[0] = '\0'), (void)0, PT_OK);
}

/* ---- duress (docs/credentials.md, "Duress") ---- */

static void
resident_grant(struct pt_grant *g, const uint8_t holder[PT_PK_LEN], uint8_t cti, uint8_t depth)
{
	memset(g, 0, sizeof(*g));
	strcpy(g->aud, "home-7f3a");
	set_cti(g, cti);
	memcpy(g->holder, holder, PT_PK_LEN);
	g->purpose = PT_PURPOSE_RESIDENT;
	g->depth = depth;
}

static void
test_duress(void)
{
	static uint8_t link0[PT_LINK_SIZE_MAX], link1[PT_LINK_SIZE_MAX], chain[PT_CHAIN_SIZE_MAX];
	static uint8_t claims[PT_LINK_SIZE_MAX], plain[PT_LINK_SIZE_MAX];
	static struct pt_chain c;
	struct pt_grant g, d, child;
	size_t n0, n1, nc, n, np;
	int link = -2;

	/* a resident root grant with the marker: encodes as 11: true, last */
	resident_grant(&g, courier.pk, 0x31, 0);
	g.duress = true;
	T_EQ(pt_grant_check(&g), PT_OK, "duress: resident, depth 0: valid");
	T_EQ(pt_grant_encode_claims(&g, claims, sizeof(claims), &n), PT_OK, "duress: encoded");
	T_OK(n >= 2 && claims[n - 2] == 0x0b && claims[n - 1] == 0xf5,
	     "duress: the porter map ends with 11: true");
	g.duress = false;
	T_EQ(pt_grant_encode_claims(&g, plain, sizeof(plain), &np), PT_OK, "no duress: encoded");
	T_OK(np + 2 == n, "without the marker: two bytes fewer (absent is false)");
	T_EQ(pt_grant_decode_claims(claims, n, &d), PT_OK, "duress: decodes");
	T_OK(d.duress && d.purpose == PT_PURPOSE_RESIDENT, "duress: the marker decodes back");
	T_EQ(pt_grant_decode_claims(plain, np, &d), PT_OK, "no duress: decodes");
	T_OK(!d.duress, "no marker: duress false");
	/* false, or anything but true, is not an encoding */
	claims[n - 1] = 0xf4;
	T_EQ(pt_grant_decode_claims(claims, n, &d), PT_EMALFORMED, "duress: 11: false refused");
	claims[n - 1] = 0x01;
	T_EQ(pt_grant_decode_claims(claims, n, &d), PT_EMALFORMED, "duress: 11: 1 refused");
	claims[n - 1] = 0xf5;

	/* only residents, only depth 0 */
	resident_grant(&g, courier.pk, 0x32, 0);
	g.duress = true;
	g.purpose = PT_PURPOSE_GUEST;
	g.has_exp = true;
	g.exp = T0 + DAY;
	T_EQ(pt_grant_check(&g), PT_EMALFORMED, "duress: a guest grant cannot carry it");
	T_EQ(sign_link(&owner, &g, link0, sizeof(link0), &n0), PT_EMALFORMED,
	     "duress: a guest grant is not signed");
	g.purpose = PT_PURPOSE_DELIVERY;
	g.has_entries = true;
	g.entries = 1;
	T_EQ(pt_grant_check(&g), PT_EMALFORMED, "duress: a delivery grant cannot carry it");
	resident_grant(&g, courier.pk, 0x33, 1);
	g.duress = true;
	T_EQ(pt_grant_check(&g), PT_EMALFORMED, "duress: depth 1 refused (never delegated)");
	/* a decoder sees the same rule: a resident's claims (with an expiry,
	 * as a guest's must have) whose purpose byte is made "guest" decode
	 * without the marker and are refused with it */
	{
		size_t i, k;
		bool dm;
		for (k = 0; k < 2; k++) {
			resident_grant(&g, courier.pk, 0x34, 0);
			g.has_exp = true;
			g.exp = T0 + DAY;
			g.duress = k == 1;
			T_EQ(pt_grant_encode_claims(&g, claims, sizeof(claims), &n), PT_OK,
			     "resident with exp: encoded");
			/* the porter map's "2: 1" (purpose resident): the last 02 01 */
			for (i = n - 1; i-- > 0;)
				if (claims[i] == 0x02 && claims[i + 1] == 0x01)
					break;
			claims[i + 1] = PT_PURPOSE_GUEST;
			dm = pt_grant_decode_claims(claims, n, &d) == PT_OK;
			if (k == 0)
				T_OK(dm && d.purpose == PT_PURPOSE_GUEST,
				     "control: the same bytes without the marker decode as a guest");
			else
				T_OK(!dm, "duress: a guest's claims carrying it are refused by the decoder");
		}
	}

	/* a duress link is never a parent: nothing can drop the marker */
	resident_grant(&g, carrier.pk, 0x35, 0);
	g.duress = true;
	resident_grant(&child, courier.pk, 0x36, 0);
	g.depth = 0;
	T_EQ(pt_grant_narrows(&g, &child), PT_EWIDENED, "duress parent (depth 0): no child at all");

	/* a child that adds it: the chain checks refuse it at link 1 */
	resident_grant(&g, carrier.pk, 0x37, 1);
	T_EQ(sign_link(&owner, &g, link0, sizeof(link0), &n0), PT_OK, "resident depth 1: signed");
	resident_grant(&child, courier.pk, 0x38, 0);
	child.duress = true;
	T_EQ(sign_link(&carrier, &child, link1, sizeof(link1), &n1), PT_OK,
	     "a delegate signs a duress child");
	T_EQ(pt_chain_append(NULL, 0, link0, n0, chain, sizeof(chain), &nc), PT_OK, "chain: link 0");
	memcpy(claims, chain, nc);
	T_EQ(pt_chain_append(claims, nc, link1, n1, chain, sizeof(chain), &nc), PT_OK,
	     "chain: link 1");
	T_EQ(pt_chain_decode(chain, nc, &c), PT_OK, "chain decodes");
	T_EQ(pt_chain_verify(ops, &c, (const uint8_t(*)[PT_PK_LEN])owner.pk, 1, &link), PT_OK,
	     "signatures and narrowing verify");
	T_EQ(pt_chain_duress_check(&c, &link), PT_EWIDENED, "duress added by a delegate: widened");
	T_EQ(link, 1, "at link 1");

	/* the owner's own duress credential: one link, the check passes */
	resident_grant(&g, courier.pk, 0x39, 0);
	g.duress = true;
	T_EQ(sign_link(&owner, &g, link0, sizeof(link0), &n0), PT_OK, "duress root: signed");
	T_EQ(pt_chain_append(NULL, 0, link0, n0, chain, sizeof(chain), &nc), PT_OK, "chain of one");
	T_EQ(pt_chain_decode(chain, nc, &c), PT_OK, "decodes");
	T_EQ(pt_chain_verify(ops, &c, (const uint8_t(*)[PT_PK_LEN])owner.pk, 1, &link), PT_OK,
	     "verifies");
	link = -2;
	T_EQ(pt_chain_duress_check(&c, &link), PT_OK, "the owner's own duress link: allowed");
	T_OK(c.link[0].g.duress, "link 0 carries the marker");
}

int
main(void)
{
	if (pt_crypto_init() != PT_OK) {
		printf("Bail out! crypto init\n");
		return 1;
	}
	ops = pt_crypto_sodium();
	T0 = pt_unix_from_civil(2026, 6, 10, 10, 0, 0);
	key_init(&owner, 0x01);
	key_init(&carrier, 0x02);
	key_init(&courier, 0x03);
	key_init(&stranger, 0x04);

	test_roundtrip();
	test_validators();
	test_check();
	test_decoder_strictness();
	test_chain_limits();
	test_typical_size();
	test_chain_verify();
	test_narrowing();
	test_duress();

	pt_secret_free(owner.sec);
	pt_secret_free(carrier.sec);
	pt_secret_free(courier.sec);
	pt_secret_free(stranger.sec);
	return t_done();
}
