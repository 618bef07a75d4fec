/*
 * mkcorpus: write the seed corpora of the fuzz targets.
 *
 *     mkcorpus DIR     writes DIR/chain/, DIR/decide/, DIR/envelope/, DIR/cbor/,
 *                      DIR/owners/
 *
 * DIR/envelope/ holds commands (cmd_*), revocations (rev_*), hub pairings
 * (pair_*), courier attestations (att_*), owner statements (own_*) and
 * owners' approvals (apr_*): valid ones and near misses. DIR/owners/
 * holds owners payloads (docs/mqtt.md): CBOR arrays of owner statements,
 * for fuzz_owners.
 *
 * Every key comes from a fixed seed (32 bytes of one value) and Ed25519 is
 * deterministic, so the output is the same bytes on every run. The fuzz
 * targets derive the same keys, nonce, hub id and clock, so that the valid
 * entries here pass every signature check there and mutations of the
 * context knobs reach the deepest checks of pt_decide.
 *
 * Not part of the build (fuzz/README.md says how to compile it): a tool,
 * so it stops at the first error.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "porter/cbor.h"
#include "porter/cred.h"
#include "porter/crypto.h"
#include "porter/decide.h"
#include "porter/envelope.h"

/* Shared with fuzz_chain.c, fuzz_decide.c, fuzz_envelope.c: keep in step. */
#define NOW 1795597200LL	/* 2026-11-25T09:00:00Z, a Wednesday, 10:00 in Berlin */
#define HOME "home-1"
#define HUB "hub-1"
#define NONCE_FILL 0x4e
#define TZNAME "Europe/Berlin"
#define CTI_REVOKED 0xee	/* fuzz_decide's revoked token id: 16 x 0xee */

/* Key seeds: 32 bytes of the value. Roots are OWNER and OWNER2. */
enum { OWNER, OWNER2, CARRIER, DEPOT, SUB, COURIER, STRANGER, N_KEYS };
static const uint8_t seed_fill[N_KEYS] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07};

/* fuzz_decide input: 3 knob bytes, the 64-byte proof, the chain. */
#define KNOBS 3
#define K0_TIME 0x01u
#define K0_CAMERA 0x02u
#define K0_ALARM 0x04u
#define K0_DOOR 0x08u
#define K0_BOLT 0x10u
#define K0_BACK 0x20u		/* lock "back" instead of "front" */
#define K0_REVSTALE 0x40u
#define K0_USEDUP 0x80u		/* entries of token 16 x 0x22 all used */
#define K0_GOOD (K0_TIME | K0_CAMERA | K0_ALARM | K0_DOOR | K0_BOLT)
#define K2_CHUSED 0x01u
#define K2_LATE 0x02u
#define K2_LOCKEDOUT 0x04u
#define K2_NOTZ 0x08u
#define K2_HOME2 0x10u
#define K2_UTCNAME 0x20u

static struct pt_secret *sec[N_KEYS];
static struct pt_signer sg[N_KEYS];
static uint8_t pk[N_KEYS][PT_PK_LEN];
static const struct pt_crypto_ops *ops;
static const char *outdir;
static size_t n_files, n_bytes;

struct chain {
	uint8_t b[PT_CHAIN_SIZE_MAX];
	size_t len;
	int holder;	/* key index of the last link's holder */
};

static void
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("mkcorpus: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static void
mkdir_p(const char *path)
{
	if (mkdir(path, 0755) != 0 && errno != EEXIST)
		die("cannot create '%s': %s", path, strerror(errno));
}

static void
put_file(const char *sub, const char *name, const uint8_t *p, size_t len)
{
	char path[1024];
	FILE *f;
	int n;

	n = snprintf(path, sizeof(path), "%s/%s", outdir, sub);
	if (n < 0 || (size_t)n >= sizeof(path))
		die("path too long");
	mkdir_p(path);
	n = snprintf(path, sizeof(path), "%s/%s/%s", outdir, sub, name);
	if (n < 0 || (size_t)n >= sizeof(path))
		die("path too long");
	if ((f = fopen(path, "wb")) == NULL)
		die("cannot open '%s': %s", path, strerror(errno));
	if ((len > 0 && fwrite(p, 1, len, f) != len) || fclose(f) != 0)
		die("cannot write '%s'", path);
	n_files++;
	n_bytes += len;
}

static void
set_str(char *dst, size_t cap, const char *s)
{
	int n = snprintf(dst, cap, "%s", s);

	if (n < 0 || (size_t)n >= cap)
		die("'%s' too long", s);
}

/* A grant for holder, issued a day ago; cti is 16 x cti_fill. */
static void
grant(struct pt_grant *g, uint8_t purpose, uint8_t depth, int holder, uint8_t cti_fill)
{
	memset(g, 0, sizeof(*g));
	set_str(g->aud, sizeof(g->aud), HOME);
	g->has_iat = true;
	g->iat = NOW - 86400;
	memset(g->cti, cti_fill, PT_CTI_LEN);
	memcpy(g->holder, pk[holder], PT_PK_LEN);
	g->purpose = purpose;
	g->depth = depth;
}

static void
expires(struct pt_grant *g, int64_t exp)
{
	g->has_exp = true;
	g->exp = exp;
}

static void
lock(struct pt_grant *g, const char *id)
{
	if (g->n_locks >= PT_LOCKS_MAX)
		die("too many locks");
	set_str(g->locks[g->n_locks++], sizeof(g->locks[0]), id);
}

static void
weekly(struct pt_grant *g, uint8_t days, unsigned start_min, unsigned end_min)
{
	struct pt_weekly *w;

	if (g->sched.n_weekly >= PT_WEEKLY_MAX)
		die("too many weekly intervals");
	set_str(g->sched.tz, sizeof(g->sched.tz), TZNAME);
	w = &g->sched.weekly[g->sched.n_weekly++];
	w->days = days;
	w->start_min = (uint16_t)start_min;
	w->end_min = (uint16_t)end_min;
}

static void
window(struct pt_grant *g, int64_t start, int64_t end)
{
	if (g->sched.n_windows >= PT_WINDOWS_MAX)
		die("too many windows");
	g->sched.windows[g->sched.n_windows].start = start;
	g->sched.windows[g->sched.n_windows].end = end;
	g->sched.n_windows++;
}

static void
chain_init(struct chain *c)
{
	memset(c, 0, sizeof(*c));
	c->holder = -1;
}

/* Sign g with issuer's key and append it to c. */
static void
add(struct chain *c, int issuer, struct pt_grant *g, int holder)
{
	uint8_t link[PT_LINK_SIZE_MAX], out[PT_CHAIN_SIZE_MAX];
	size_t link_len, out_len;
	int r;

	if ((r = pt_grant_sign(ops, &sg[issuer], g, link, sizeof(link), &link_len)) != PT_OK)
		die("cannot sign a link: %s", pt_err_text(r));
	if ((r = pt_chain_append(c->b, c->len, link, link_len, out, sizeof(out), &out_len)) != PT_OK)
		die("cannot append a link: %s", pt_err_text(r));
	memcpy(c->b, out, out_len);
	c->len = out_len;
	c->holder = holder;
}

/* Days: bit 0 Sunday .. bit 6 Saturday. */
#define MON_FRI 0x3eu
#define WED 0x08u
#define SAT 0x40u
#define SUN 0x01u

/* owner -> carrier -> courier: the typical delivery (also bench/'s). */
static void
typical_delivery(struct chain *c, int64_t courier_exp, uint32_t courier_entries)
{
	struct pt_grant g;

	chain_init(c);
	grant(&g, PT_PURPOSE_DELIVERY, 1, CARRIER, 0x21);
	expires(&g, NOW + 30 * 86400);
	lock(&g, "back");
	lock(&g, "front");
	g.has_entries = true;
	g.entries = 100;
	g.cond = PT_COND_CAMERA | PT_COND_ALARM_BYPASS;
	g.has_door_open = true;
	g.door_open_max = 120;
	weekly(&g, MON_FRI, 8 * 60, 18 * 60);
	weekly(&g, SAT, 9 * 60, 13 * 60);
	set_str(g.note, sizeof(g.note), "Parcels for the Weber household");
	add(c, OWNER, &g, CARRIER);

	grant(&g, PT_PURPOSE_DELIVERY, 0, COURIER, 0x22);
	g.iat = NOW - 3600;
	expires(&g, courier_exp);
	lock(&g, "front");
	g.has_entries = true;
	g.entries = courier_entries;
	g.cond = PT_COND_CAMERA | PT_COND_ALARM_BYPASS;
	g.has_door_open = true;
	g.door_open_max = 60;
	weekly(&g, WED, 9 * 60, 12 * 60);
	set_str(g.note, sizeof(g.note), "Leave it inside, left of the door. Danke!");
	add(c, CARRIER, &g, COURIER);
}

static void
write_chain(const char *name, const struct chain *c)
{
	put_file("chain", name, c->b, c->len);
}

/* A decide input: knobs, the holder's proof over the fixed nonce, the chain. */
static void
write_decide(const char *name, const struct chain *c, uint8_t k0, uint8_t k1, uint8_t k2,
	     int prover)
{
	uint8_t in[KNOBS + PT_SIG_LEN + PT_CHAIN_SIZE_MAX], nonce[PT_NONCE_LEN];
	int r;

	in[0] = k0;
	in[1] = k1;
	in[2] = k2;
	memset(nonce, NONCE_FILL, sizeof(nonce));
	if (prover < 0) {
		memset(in + KNOBS, 0, PT_SIG_LEN);
	} else if ((r = pt_proof_sign(ops, &sg[prover], HUB, nonce, c->b, c->len, in + KNOBS)) !=
		   PT_OK) {
		die("cannot sign a proof: %s", pt_err_text(r));
	}
	memcpy(in + KNOBS + PT_SIG_LEN, c->b, c->len);
	put_file("decide", name, in, KNOBS + PT_SIG_LEN + c->len);
}

static void
write_both(const char *name, const struct chain *c)
{
	write_chain(name, c);
	write_decide(name, c, K0_GOOD, 0, 0, c->holder);
}

static void
chains(void)
{
	struct chain c, t;
	struct pt_grant g;
	uint8_t buf[PT_CHAIN_SIZE_MAX + 8];
	size_t i;

	/* 1 link: a resident, no bounds at all. */
	chain_init(&c);
	grant(&g, PT_PURPOSE_RESIDENT, 0, COURIER, 0x11);
	add(&c, OWNER, &g, COURIER);
	write_both("c1_resident", &c);

	/* 1 link: a guest with nbf, exp, two windows, one lock, a UTF-8 note. */
	chain_init(&c);
	grant(&g, PT_PURPOSE_GUEST, 0, COURIER, 0x12);
	g.has_nbf = true;
	g.nbf = NOW - 7200;
	expires(&g, NOW + 7 * 86400);
	window(&g, NOW - 3600, NOW + 3600);
	window(&g, NOW + 86400, NOW + 2 * 86400);
	lock(&g, "front");
	set_str(g.note, sizeof(g.note), "Willkommen \xe2\x80\x94 G\xc3\xa4ste \xf0\x9f\x8f\xa0");
	add(&c, OWNER, &g, COURIER);
	write_both("c1_guest_windows", &c);

	/* 1 link: service with weekly intervals, entries, door limit, camera. */
	chain_init(&c);
	grant(&g, PT_PURPOSE_SERVICE, 0, COURIER, 0x13);
	expires(&g, NOW + 90 * 86400);
	weekly(&g, MON_FRI, 8 * 60, 12 * 60);
	weekly(&g, MON_FRI, 13 * 60, 17 * 60);
	weekly(&g, SAT | SUN, 10 * 60, 14 * 60);
	g.has_entries = true;
	g.entries = 20;
	g.has_door_open = true;
	g.door_open_max = 300;
	g.cond = PT_COND_CAMERA;
	lock(&g, "back");
	lock(&g, "front");
	add(&c, OWNER2, &g, COURIER);
	write_both("c1_service_weekly", &c);

	/* 1 link at the limits: 8 locks, 8 windows, 16 weekly, a 280-byte note. */
	chain_init(&c);
	grant(&g, PT_PURPOSE_GUEST, 3, COURIER, 0x14);
	g.has_nbf = true;
	g.nbf = NOW - 86400;
	expires(&g, NOW + 365 * 86400);
	for (i = 0; i < PT_LOCKS_MAX; i++) {
		char id[8];
		snprintf(id, sizeof(id), "lock-%zu", i);
		lock(&g, i == 0 ? "back" : i == 1 ? "front" : id);
	}
	/* "back" < "front" < "lock-2".. keeps them ascending */
	for (i = 0; i < PT_WINDOWS_MAX; i++)
		window(&g, NOW - 86400 + (int64_t)i * 86400 * 2, NOW + 3600 + (int64_t)i * 86400 * 2);
	for (i = 0; i < PT_WEEKLY_MAX; i++)
		weekly(&g, (uint8_t)(1u << (i % 7)), (unsigned)(i % 7) * 60 + 60,
		       (unsigned)(i % 7) * 60 + 600 + (unsigned)i);
	memset(g.note, 'n', PT_NOTE_MAX);
	g.note[PT_NOTE_MAX] = '\0';
	add(&c, OWNER, &g, COURIER);
	write_both("c1_limits", &c);

	/* 2 links: the typical delivery, and variations of its context. */
	typical_delivery(&c, NOW + 2 * 86400, 1);
	write_both("c2_delivery", &c);
	write_decide("c2_delivery_camera_down", &c, K0_GOOD & ~K0_CAMERA, 0, 0, COURIER);
	write_decide("c2_delivery_alarm", &c, K0_GOOD & ~K0_ALARM, 0, 0, COURIER);
	write_decide("c2_delivery_door_open", &c, K0_GOOD & ~K0_DOOR, 0, 0, COURIER);
	write_decide("c2_delivery_back_lock", &c, K0_GOOD | K0_BACK, 0, 0, COURIER);
	write_decide("c2_delivery_time_unknown", &c, K0_GOOD & ~K0_TIME, 0, 0, COURIER);
	write_decide("c2_delivery_plus72h", &c, K0_GOOD, 72, 0, COURIER);
	write_decide("c2_delivery_evening", &c, K0_GOOD, 3, 0, COURIER);
	write_decide("c2_delivery_revstale", &c, K0_GOOD | K0_REVSTALE, 0, 0, COURIER);
	write_decide("c2_delivery_usedup", &c, K0_GOOD | K0_USEDUP, 0, 0, COURIER);
	write_decide("c2_delivery_nonce_used", &c, K0_GOOD, 0, K2_CHUSED, COURIER);
	write_decide("c2_delivery_late", &c, K0_GOOD, 0, K2_LATE, COURIER);
	write_decide("c2_delivery_lockedout", &c, K0_GOOD, 0, K2_LOCKEDOUT, COURIER);
	write_decide("c2_delivery_notz", &c, K0_GOOD, 0, K2_NOTZ, COURIER);
	write_decide("c2_delivery_home2", &c, K0_GOOD, 0, K2_HOME2, COURIER);
	write_decide("c2_delivery_utc", &c, K0_GOOD, 0, K2_UTCNAME, COURIER);
	write_decide("c2_delivery_proof_by_carrier", &c, K0_GOOD, 0, 0, CARRIER);
	write_decide("c2_delivery_proof_zero", &c, K0_GOOD, 0, 0, -1);

	/* 2 links: resident delegates to a guest. */
	chain_init(&c);
	grant(&g, PT_PURPOSE_RESIDENT, 1, SUB, 0x31);
	add(&c, OWNER2, &g, SUB);
	grant(&g, PT_PURPOSE_RESIDENT, 0, COURIER, 0x32);
	expires(&g, NOW + 86400);
	g.has_entries = true;
	g.entries = 3;
	add(&c, SUB, &g, COURIER);
	write_both("c2_resident_guest", &c);

	/* 3 links: owner -> carrier -> depot -> courier, windows narrowing. */
	chain_init(&c);
	grant(&g, PT_PURPOSE_DELIVERY, 2, CARRIER, 0x41);
	expires(&g, NOW + 30 * 86400);
	window(&g, NOW - 86400, NOW + 20 * 86400);
	g.has_entries = true;
	g.entries = 50;
	add(&c, OWNER, &g, CARRIER);
	grant(&g, PT_PURPOSE_DELIVERY, 1, DEPOT, 0x42);
	expires(&g, NOW + 10 * 86400);
	window(&g, NOW - 3600, NOW + 5 * 86400);
	g.has_entries = true;
	g.entries = 10;
	lock(&g, "front");
	add(&c, CARRIER, &g, DEPOT);
	grant(&g, PT_PURPOSE_DELIVERY, 0, COURIER, 0x43);
	expires(&g, NOW + 86400);
	window(&g, NOW - 600, NOW + 3600);
	g.has_entries = true;
	g.entries = 2;
	lock(&g, "front");
	g.cond = PT_COND_CAMERA;
	add(&c, DEPOT, &g, COURIER);
	write_both("c3_delivery", &c);

	/* 4 links: depth 3, 2, 1, 0, weekly narrowing. */
	chain_init(&c);
	grant(&g, PT_PURPOSE_SERVICE, 3, CARRIER, 0x51);
	expires(&g, NOW + 60 * 86400);
	weekly(&g, MON_FRI, 7 * 60, 19 * 60);
	add(&c, OWNER, &g, CARRIER);
	grant(&g, PT_PURPOSE_SERVICE, 2, DEPOT, 0x52);
	expires(&g, NOW + 30 * 86400);
	weekly(&g, MON_FRI & ~0x02u, 8 * 60, 18 * 60);
	g.has_door_open = true;
	g.door_open_max = 600;
	add(&c, CARRIER, &g, DEPOT);
	grant(&g, PT_PURPOSE_SERVICE, 1, SUB, 0x53);
	expires(&g, NOW + 7 * 86400);
	weekly(&g, WED, 9 * 60, 17 * 60);
	g.has_door_open = true;
	g.door_open_max = 300;
	lock(&g, "back");
	lock(&g, "front");
	add(&c, DEPOT, &g, SUB);
	grant(&g, PT_PURPOSE_SERVICE, 0, COURIER, 0x54);
	expires(&g, NOW + 86400);
	weekly(&g, WED, 9 * 60, 11 * 60);
	g.has_door_open = true;
	g.door_open_max = 120;
	g.has_entries = true;
	g.entries = 1;
	lock(&g, "front");
	g.cond = PT_COND_ALARM_BYPASS;
	set_str(g.note, sizeof(g.note), "Boiler service, basement door");
	add(&c, SUB, &g, COURIER);
	write_both("c4_service", &c);

	/* Near misses. */
	typical_delivery(&c, NOW + 2 * 86400, 200);	/* more entries than the carrier */
	write_both("nm_widened", &c);

	chain_init(&c);
	grant(&g, PT_PURPOSE_GUEST, 0, COURIER, 0x61);
	expires(&g, NOW - 3600);
	add(&c, OWNER, &g, COURIER);
	write_both("nm_expired", &c);

	chain_init(&c);
	grant(&g, PT_PURPOSE_GUEST, 0, COURIER, 0x62);
	g.has_nbf = true;
	g.nbf = NOW + 3600;
	expires(&g, NOW + 7200);
	add(&c, OWNER, &g, COURIER);
	write_both("nm_notyet", &c);

	chain_init(&c);
	grant(&g, PT_PURPOSE_GUEST, 0, COURIER, 0x63);
	expires(&g, NOW + 7 * 86400);
	weekly(&g, SAT | SUN, 0, 1440);
	add(&c, OWNER, &g, COURIER);
	write_both("nm_schedule", &c);

	typical_delivery(&c, NOW + 2 * 86400, 1);
	c.b[c.len - 1] ^= 0x01;	/* the courier link's signature */
	write_both("nm_badsig", &c);

	/* link 1 signed by a stranger, not by the carrier */
	chain_init(&c);
	grant(&g, PT_PURPOSE_DELIVERY, 1, CARRIER, 0x64);
	expires(&g, NOW + 86400);
	g.has_entries = true;	/* deliveries are always counted */
	g.entries = 5;
	add(&c, OWNER, &g, CARRIER);
	grant(&g, PT_PURPOSE_DELIVERY, 0, COURIER, 0x65);
	expires(&g, NOW + 3600);
	g.has_entries = true;
	g.entries = 1;
	add(&c, STRANGER, &g, COURIER);
	write_both("nm_broken", &c);

	chain_init(&c);
	grant(&g, PT_PURPOSE_RESIDENT, 0, COURIER, 0x66);
	add(&c, STRANGER, &g, COURIER);
	write_both("nm_untrusted", &c);

	chain_init(&c);
	grant(&g, PT_PURPOSE_GUEST, 0, COURIER, 0x67);
	set_str(g.aud, sizeof(g.aud), "home-2");
	expires(&g, NOW + 3600);
	add(&c, OWNER, &g, COURIER);
	write_both("nm_audience", &c);

	chain_init(&c);
	grant(&g, PT_PURPOSE_GUEST, 0, COURIER, CTI_REVOKED);
	expires(&g, NOW + 3600);
	add(&c, OWNER, &g, COURIER);
	write_both("nm_revoked", &c);

	/* revoked holder key: the stranger's */
	chain_init(&c);
	grant(&g, PT_PURPOSE_GUEST, 0, STRANGER, 0x68);
	expires(&g, NOW + 3600);
	add(&c, OWNER, &g, STRANGER);
	write_both("nm_revoked_key", &c);

	/* Five links by hand: 0x85 and the 4-link chain's links plus one. */
	chain_init(&t);
	grant(&g, PT_PURPOSE_RESIDENT, 0, COURIER, 0x69);
	add(&t, OWNER, &g, COURIER);
	{
		struct chain four;
		size_t body;

		chain_init(&four);
		for (i = 0; i < 4; i++) {
			grant(&g, PT_PURPOSE_RESIDENT, 0, COURIER, (uint8_t)(0x70 + i));
			add(&four, OWNER, &g, COURIER);
		}
		body = t.len - 1;	/* t is 0x81 + one link */
		if (four.len + body > sizeof(buf))
			die("five links do not fit");
		memcpy(buf, four.b, four.len);
		buf[0] = 0x85;
		memcpy(buf + four.len, t.b + 1, body);
		memcpy(c.b, buf, four.len + body);
		c.len = four.len + body;
		c.holder = COURIER;
		write_both("nm_five_links", &c);
		/* the 4 unrelated links: each root-signed, so link 1 breaks the chain */
		write_both("nm_four_roots", &four);
	}

	/*
	 * A second encoding of a resident's grant, properly signed: the porter
	 * claim carries 7: "" (an empty zone) that the encoder never writes.
	 * The decoder must refuse it (strict deterministic decoding).
	 */
	{
		static const uint8_t tail[] = {0x3a, 0x00, 0x01, 0x00, 0x00, 0xa2, 0x02, 0x01, 0x04, 0x00};
		static const uint8_t with_tz[] = {0x3a, 0x00, 0x01, 0x00, 0x00, 0xa3, 0x02, 0x01,
						  0x04, 0x00, 0x07, 0x60};
		uint8_t claims[PT_LINK_SIZE_MAX], link[PT_LINK_SIZE_MAX];
		size_t n, link_len;
		int r;

		grant(&g, PT_PURPOSE_RESIDENT, 0, COURIER, 0x6a);
		pt_kid(ops, pk[OWNER], g.kid);
		if ((r = pt_grant_encode_claims(&g, claims, sizeof(claims), &n)) != PT_OK)
			die("cannot encode claims: %s", pt_err_text(r));
		if (n < sizeof(tail) || memcmp(claims + n - sizeof(tail), tail, sizeof(tail)) != 0 ||
		    n - sizeof(tail) + sizeof(with_tz) > sizeof(claims))
			die("unexpected claims encoding");
		memcpy(claims + n - sizeof(tail), with_tz, sizeof(with_tz));
		n += sizeof(with_tz) - sizeof(tail);
		if ((r = pt_sign1_sign(&sg[OWNER], g.kid, PT_KID_LEN, (const uint8_t *)PT_AAD_GRANT,
				       sizeof(PT_AAD_GRANT) - 1, claims, n, link, sizeof(link),
				       &link_len)) != PT_OK)
			die("cannot sign: %s", pt_err_text(r));
		chain_init(&c);
		if ((r = pt_chain_append(NULL, 0, link, link_len, c.b, sizeof(c.b), &c.len)) != PT_OK)
			die("cannot append: %s", pt_err_text(r));
		c.holder = COURIER;
		write_both("nm_empty_tz", &c);
	}

	/* The first link untagged (drop 0xd2), and trailing garbage. */
	typical_delivery(&c, NOW + 2 * 86400, 1);
	memcpy(buf, c.b, c.len);
	memmove(buf + 1, buf + 2, c.len - 2);
	t = c;
	memcpy(t.b, buf, c.len - 1);
	t.len = c.len - 1;
	write_chain("nm_untagged", &t);
	t = c;
	t.b[t.len++] = 0x00;
	write_both("nm_trailing", &t);
}

static void
envelope(const char *name, int signer, uint8_t kind, uint8_t op, const char *home, int64_t iat,
	 const char *lock_id, const uint8_t *target, uint8_t target_len, uint8_t nonce_fill,
	 bool flip)
{
	uint8_t out[PT_ENVELOPE_SIZE_MAX];
	struct pt_envelope e;
	size_t len;
	int r;

	memset(&e, 0, sizeof(e));
	e.kind = kind;
	e.op = op;
	set_str(e.aud, sizeof(e.aud), home);
	e.iat = iat;
	memset(e.nonce, nonce_fill, sizeof(e.nonce));
	if (lock_id != NULL)
		set_str(e.lock, sizeof(e.lock), lock_id);
	if (target != NULL) {
		memcpy(e.target, target, target_len);
		e.target_len = target_len;
	}
	if ((r = pt_envelope_sign(ops, &sg[signer], &e, out, sizeof(out), &len)) != PT_OK)
		die("cannot sign envelope '%s': %s", name, pt_err_text(r));
	if (flip)
		out[len - 1] ^= 0x80;
	put_file("envelope", name, out, len);
}

/* An attestation: aud is the carrier id; the fuzz target checks it against
 * "home-1" like every kind, so the valid seeds use that. */
static void
attestation(const char *name, int signer, uint8_t level, const char *aud, int64_t iat,
	    const char *courier, const char *courier_name, uint8_t nonce_fill, bool flip)
{
	uint8_t out[PT_ENVELOPE_SIZE_MAX];
	struct pt_envelope e;
	size_t len;
	int r;

	memset(&e, 0, sizeof(e));
	e.kind = PT_ENV_ATTESTATION;
	e.op = level;
	set_str(e.aud, sizeof(e.aud), aud);
	e.iat = iat;
	memset(e.nonce, nonce_fill, sizeof(e.nonce));
	set_str(e.lock, sizeof(e.lock), courier);
	set_str(e.name, sizeof(e.name), courier_name);
	if ((r = pt_envelope_sign(ops, &sg[signer], &e, out, sizeof(out), &len)) != PT_OK)
		die("cannot sign attestation '%s': %s", name, pt_err_text(r));
	if (flip)
		out[len - 1] ^= 0x80;
	put_file("envelope", name, out, len);
}

static void
envelopes(void)
{
	uint8_t cti[PT_CTI_LEN];

	memset(cti, 0x22, sizeof(cti));
	envelope("cmd_unlock_front", OWNER, PT_ENV_COMMAND, PT_CMD_UNLOCK, HOME, NOW, "front", NULL,
		 0, 0x81, false);
	envelope("cmd_lock_all", OWNER, PT_ENV_COMMAND, PT_CMD_LOCK, HOME, NOW - 100, NULL, NULL, 0,
		 0x82, false);
	envelope("cmd_unlock_owner2", OWNER2, PT_ENV_COMMAND, PT_CMD_UNLOCK, HOME, NOW + 100, "back",
		 NULL, 0, 0x83, false);
	envelope("cmd_stale", OWNER, PT_ENV_COMMAND, PT_CMD_UNLOCK, HOME, NOW - 3600, "front", NULL,
		 0, 0x84, false);
	envelope("cmd_other_home", OWNER, PT_ENV_COMMAND, PT_CMD_LOCK, "home-2", NOW, NULL, NULL, 0,
		 0x85, false);
	envelope("cmd_stranger", STRANGER, PT_ENV_COMMAND, PT_CMD_UNLOCK, HOME, NOW, "front", NULL,
		 0, 0x86, false);
	envelope("cmd_badsig", OWNER, PT_ENV_COMMAND, PT_CMD_UNLOCK, HOME, NOW, "front", NULL, 0,
		 0x87, true);
	envelope("rev_token", OWNER, PT_ENV_REVOCATION, PT_REVOKE_TOKEN, HOME, NOW, NULL, cti,
		 PT_CTI_LEN, 0x91, false);
	envelope("rev_key", OWNER2, PT_ENV_REVOCATION, PT_REVOKE_KEY, HOME, NOW - 10, NULL,
		 pk[COURIER], PT_PK_LEN, 0x92, false);
	envelope("rev_stale", OWNER, PT_ENV_REVOCATION, PT_REVOKE_KEY, HOME, NOW + 3600, NULL,
		 pk[CARRIER], PT_PK_LEN, 0x93, false);
	envelope("rev_stranger", STRANGER, PT_ENV_REVOCATION, PT_REVOKE_TOKEN, HOME, NOW, NULL, cti,
		 PT_CTI_LEN, 0x94, false);
	envelope("rev_badsig", OWNER, PT_ENV_REVOCATION, PT_REVOKE_TOKEN, HOME, NOW, NULL, cti,
		 PT_CTI_LEN, 0x95, true);
	/* Pairings: the hub's key is DEPOT's, the code the nonce. */
	envelope("pair_owner", OWNER, PT_ENV_PAIRING, 0, HOME, NOW, NULL, pk[DEPOT], PT_PK_LEN,
		 0xa1, false);
	envelope("pair_owner2", OWNER2, PT_ENV_PAIRING, 0, HOME, NOW + 250, NULL, pk[SUB],
		 PT_PK_LEN, 0xa2, false);
	envelope("pair_stale", OWNER, PT_ENV_PAIRING, 0, HOME, NOW - 301, NULL, pk[DEPOT],
		 PT_PK_LEN, 0xa3, false);
	envelope("pair_other_home", OWNER, PT_ENV_PAIRING, 0, "home-2", NOW, NULL, pk[DEPOT],
		 PT_PK_LEN, 0xa4, false);
	envelope("pair_stranger", STRANGER, PT_ENV_PAIRING, 0, HOME, NOW, NULL, pk[DEPOT],
		 PT_PK_LEN, 0xa5, false);
	envelope("pair_badsig", OWNER, PT_ENV_PAIRING, 0, HOME, NOW, NULL, pk[DEPOT], PT_PK_LEN,
		 0xa6, true);
	/* Owner statements: an owner endorses another key (CARRIER's, SUB's). */
	envelope("own_add", OWNER, PT_ENV_OWNER, PT_OWNER_ADD, HOME, NOW, NULL, pk[CARRIER],
		 PT_PK_LEN, 0xc1, false);
	envelope("own_add_owner2", OWNER2, PT_ENV_OWNER, PT_OWNER_ADD, HOME, NOW - 250, NULL,
		 pk[SUB], PT_PK_LEN, 0xc2, false);
	envelope("own_stale", OWNER, PT_ENV_OWNER, PT_OWNER_ADD, HOME, NOW - 86400, NULL,
		 pk[CARRIER], PT_PK_LEN, 0xc3, false);
	envelope("own_other_home", OWNER, PT_ENV_OWNER, PT_OWNER_ADD, "home-2", NOW, NULL,
		 pk[CARRIER], PT_PK_LEN, 0xc4, false);
	envelope("own_stranger", STRANGER, PT_ENV_OWNER, PT_OWNER_ADD, HOME, NOW, NULL,
		 pk[CARRIER], PT_PK_LEN, 0xc5, false);
	envelope("own_badsig", OWNER, PT_ENV_OWNER, PT_OWNER_ADD, HOME, NOW, NULL, pk[CARRIER],
		 PT_PK_LEN, 0xc6, true);
	/* Approvals: an owner answers the hub's request (the nonce) for the
	 * session 16 x 0x22. */
	envelope("apr_approve", OWNER, PT_ENV_APPROVAL, PT_APPROVE, HOME, NOW, NULL, cti,
		 PT_CTI_LEN, 0xd1, false);
	envelope("apr_deny_owner2", OWNER2, PT_ENV_APPROVAL, PT_DENY, HOME, NOW - 200, NULL, cti,
		 PT_CTI_LEN, 0xd2, false);
	envelope("apr_stale", OWNER, PT_ENV_APPROVAL, PT_APPROVE, HOME, NOW + 3600, NULL, cti,
		 PT_CTI_LEN, 0xd3, false);
	envelope("apr_other_home", OWNER, PT_ENV_APPROVAL, PT_DENY, "home-2", NOW, NULL, cti,
		 PT_CTI_LEN, 0xd4, false);
	envelope("apr_stranger", STRANGER, PT_ENV_APPROVAL, PT_APPROVE, HOME, NOW, NULL, cti,
		 PT_CTI_LEN, 0xd5, false);
	envelope("apr_badsig", OWNER, PT_ENV_APPROVAL, PT_APPROVE, HOME, NOW, NULL, cti,
		 PT_CTI_LEN, 0xd6, true);
	/* A hub's word on its home (the hub's key signs: here the fuzz
	 * target's signers stand in), naming the owner key it paired with. */
	envelope("hh_paired", OWNER, PT_ENV_HUB_HOME, PT_HUB_HOME_PAIRED, HOME, NOW, NULL,
		 pk[CARRIER], PT_PK_LEN, 0xe1, false);
	envelope("hh_owner2", OWNER2, PT_ENV_HUB_HOME, PT_HUB_HOME_PAIRED, HOME, NOW - 300, NULL,
		 pk[SUB], PT_PK_LEN, 0xe2, false);
	envelope("hh_other_home", OWNER, PT_ENV_HUB_HOME, PT_HUB_HOME_PAIRED, "home-2", NOW,
		 NULL, pk[CARRIER], PT_PK_LEN, 0xe3, false);
	envelope("hh_badsig", OWNER, PT_ENV_HUB_HOME, PT_HUB_HOME_PAIRED, HOME, NOW, NULL,
		 pk[CARRIER], PT_PK_LEN, 0xe4, true);
	/* Attestations, by the fuzz target's signer keys for audience HOME. */
	attestation("att_basic", OWNER, 1, HOME, NOW, "7", "Ben K.", 0xb1, false);
	attestation("att_background", OWNER2, 3, HOME, NOW - 200, "18446744073709551615",
		    "Zo\xc3\xab \xc3\x89lodie Fran\xc3\xa7ois-M\xc3\xbcller \xe6\x9d\x8e "
		    "\xf0\x9f\x9a\x9a",
		    0xb2, false);
	attestation("att_long_name", OWNER, 2, HOME, NOW + 1, "1234567890",
		    "Alexandra Konstantinopoulou-Vandenberghe de la Cruz y Montenegro, "
		    "courier of the year 2026",
		    0xb3, false);
	attestation("att_stale", OWNER, 2, HOME, NOW + 3600, "42", "Ana", 0xb4, false);
	attestation("att_other_carrier", OWNER, 2, "c-0123456789abcdef", NOW, "42", "Ana", 0xb5,
		    false);
	attestation("att_stranger", STRANGER, 2, HOME, NOW, "42", "Ana", 0xb6, false);
	attestation("att_badsig", OWNER, 2, HOME, NOW, "42", "Ana", 0xb7, true);
}

/* An owners payload (docs/mqtt.md): a CBOR array of statements signed
 * here: by = the signer of each, target = the key each names. */
static void
owners_item(const char *name, size_t n, const int *by, const int *target, const char *home,
	    bool flip_last)
{
	uint8_t out[8 * (3 + PT_ENVELOPE_SIZE_MAX) + 2], env[PT_ENVELOPE_SIZE_MAX];
	struct pt_cbor_wr w;
	struct pt_envelope e;
	size_t i, len;
	int r;

	pt_cbor_wr_init(&w, out, sizeof(out));
	pt_cbor_put_array(&w, n);
	for (i = 0; i < n; i++) {
		memset(&e, 0, sizeof(e));
		e.kind = PT_ENV_OWNER;
		e.op = PT_OWNER_ADD;
		set_str(e.aud, sizeof(e.aud), home);
		e.iat = NOW - 86400 * (int64_t)i;
		memset(e.nonce, (int)(0xd0 + i), sizeof(e.nonce));
		memcpy(e.target, pk[target[i]], PT_PK_LEN);
		e.target_len = PT_PK_LEN;
		if ((r = pt_envelope_sign(ops, &sg[by[i]], &e, env, sizeof(env), &len)) != PT_OK)
			die("cannot sign owner statement for '%s': %s", name, pt_err_text(r));
		if (flip_last && i + 1 == n)
			env[len - 1] ^= 0x80;
		pt_cbor_put_bytes(&w, env, len);
	}
	if (pt_cbor_wr_status(&w) != PT_OK)
		die("owners payload '%s' too large", name);
	put_file("owners", name, out, w.len);
}

static void
owners_corpus(void)
{
	static const int by1[] = {OWNER}, t1[] = {CARRIER};
	/* A chain: OWNER endorses CARRIER, CARRIER endorses SUB; and the
	 * same reversed (the hub takes both in any order). */
	static const int by2[] = {OWNER, CARRIER}, t2[] = {CARRIER, SUB};
	static const int by2r[] = {CARRIER, OWNER}, t2r[] = {SUB, CARRIER};
	static const int by3[] = {OWNER, STRANGER, OWNER2}, t3[] = {CARRIER, DEPOT, COURIER};

	put_file("owners", "empty", (const uint8_t *)"\x80", 1);
	owners_item("one", 1, by1, t1, HOME, false);
	owners_item("chain", 2, by2, t2, HOME, false);
	owners_item("chain_reversed", 2, by2r, t2r, HOME, false);
	owners_item("with_stranger", 3, by3, t3, HOME, false);
	owners_item("other_home", 1, by1, t1, "home-2", false);
	owners_item("badsig", 2, by2, t2, HOME, true);
	put_file("owners", "bad_trailing", (const uint8_t *)"\x81\x41\x41\x00", 4);
	put_file("owners", "bad_indefinite", (const uint8_t *)"\x9f\x41\x41\xff", 4);
	put_file("owners", "bad_count", (const uint8_t *)"\x98\x41\x41\x41", 4);
}

static void
cbor_item(const char *name, const char *hex)
{
	uint8_t b[256];
	size_t n = 0;
	unsigned v;

	while (hex[0] != '\0' && hex[1] != '\0') {
		if (sscanf(hex, "%2x", &v) != 1 || n >= sizeof(b))
			die("bad hex for '%s'", name);
		b[n++] = (uint8_t)v;
		hex += 2;
	}
	put_file("cbor", name, b, n);
}

static void
cbor_corpus(void)
{
	struct chain c;
	struct pt_chain dec;
	struct pt_grant g;
	uint8_t env[PT_ENVELOPE_SIZE_MAX];
	struct pt_envelope e;
	size_t len;
	int r;

	typical_delivery(&c, NOW + 2 * 86400, 1);
	put_file("cbor", "chain_delivery", c.b, c.len);
	if ((r = pt_chain_decode(c.b, c.len, &dec)) != PT_OK)
		die("cannot decode own chain: %s", pt_err_text(r));
	put_file("cbor", "claims_carrier", dec.link[0].cose.payload, dec.link[0].cose.payload_len);
	put_file("cbor", "claims_courier", dec.link[1].cose.payload, dec.link[1].cose.payload_len);
	put_file("cbor", "protected_header", dec.link[0].cose.prot, dec.link[0].cose.prot_len);

	chain_init(&c);
	grant(&g, PT_PURPOSE_GUEST, 0, COURIER, 0x12);
	expires(&g, NOW + 86400);
	window(&g, NOW - 3600, NOW + 3600);
	set_str(g.note, sizeof(g.note), "Gr\xc3\xbc\xc3\x9f" "e \xe2\x82\xac \xf0\x9f\x94\x91");
	add(&c, OWNER, &g, COURIER);
	put_file("cbor", "chain_guest", c.b, c.len);

	memset(&e, 0, sizeof(e));
	e.kind = PT_ENV_COMMAND;
	e.op = PT_CMD_UNLOCK;
	set_str(e.aud, sizeof(e.aud), HOME);
	set_str(e.lock, sizeof(e.lock), "front");
	e.iat = NOW;
	memset(e.nonce, 0x81, sizeof(e.nonce));
	if ((r = pt_envelope_sign(ops, &sg[OWNER], &e, env, sizeof(env), &len)) != PT_OK)
		die("cannot sign envelope: %s", pt_err_text(r));
	put_file("cbor", "command", env, len);

	/* Heads of every size and kind, then things the reader refuses. */
	cbor_item("uints", "00" "17" "1818" "18ff" "190100" "19ffff" "1a00010000" "1affffffff"
		  "1b0000000100000000" "1bffffffffffffffff");
	cbor_item("negints", "20" "37" "3818" "38ff" "390100" "39ffff" "3a00010000"
		  "3b0000000100000000" "3b7fffffffffffffff" "3bffffffffffffffff");
	cbor_item("strings", "40" "415a" "5818" "787878787878787878787878787878787878787878787878"
		  "60" "63616263");
	cbor_item("utf8", "72" "c3a4" "e282ac" "f09f8fa0" "c2a0" "efbfbd" "f48fbfbf");
	cbor_item("nested", "84" "820102" "83a1616101a0c600" "d28440a04040" "a3010203040506" "f4"
		  "f5");
	cbor_item("map_keys", "a4" "0101" "0202" "2003" "3a0001000080");
	cbor_item("tags", "c66161" "d4f5" "d818a0" "d90100f4" "da0001000000"
		  "db000000010000000001");
	cbor_item("deep", "81818181818181818181818181818181818181818181818181818181" "00");
	cbor_item("bad_nonshortest", "1805");
	cbor_item("bad_indefinite", "9f0102ff");
	cbor_item("bad_float", "f93c00");
	cbor_item("bad_null", "f6f7");
	cbor_item("bad_truncated", "5a00010000414243");
	cbor_item("bad_utf8", "62c0af63eda080");
	cbor_item("bad_break", "ff");
	cbor_item("bad_map_huge", "bb7fffffffffffffff");
	cbor_item("bad_array_huge", "9bffffffffffffffff00");
	cbor_item("bad_tag_nonshortest", "d81200");
	cbor_item("control_text", "631b5b6d62c285");
}

int
main(int argc, char **argv)
{
	uint8_t seed[PT_SEED_LEN];
	size_t i;
	int r;

	if (argc != 2) {
		fputs("usage: mkcorpus DIR\n", stderr);
		return 2;
	}
	outdir = argv[1];
	mkdir_p(outdir);
	if (pt_crypto_init() != PT_OK)
		die("cannot initialise libsodium");
	ops = pt_crypto_sodium();
	for (i = 0; i < N_KEYS; i++) {
		memset(seed, seed_fill[i], sizeof(seed));
		if ((sec[i] = pt_secret_new()) == NULL)
			die("out of memory");
		if ((r = pt_secret_from_seed(sec[i], seed)) != PT_OK)
			die("cannot make key %zu: %s", i, pt_err_text(r));
		pt_secret_public(sec[i], pk[i]);
		pt_signer_sodium(&sg[i], sec[i]);
	}
	chains();
	envelopes();
	cbor_corpus();
	owners_corpus();
	for (i = 0; i < N_KEYS; i++)
		pt_secret_free(sec[i]);
	printf("mkcorpus: %zu files, %zu bytes in %s\n", n_files, n_bytes, outdir);
	return 0;
}
