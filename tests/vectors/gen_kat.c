/*
 * tests/vectors/gen_kat.c: writes porter's own known-answer vectors.
 *
 * Every input is fixed (Ed25519 keys from the RFC 8032 section 7.1 test
 * seeds, token ids, times, nonces), and Ed25519 is deterministic, so the
 * output never changes unless the format does. It writes, into DIR
 * (default tests/vectors):
 *
 *   porter-grant-01.json       a root grant owner -> carrier, as a 1-link chain
 *   porter-chain-02.json       that grant + a delegation carrier -> courier
 *   porter-command-01.json     an owner-signed "unlock front"
 *   porter-revocation-01.json  an owner-signed revocation of the courier link
 *   porter-owner-01.json       an owner statement endorsing a second owner key
 *   porter_kat.h               the expected bytes, for tests/unit/test_kat.c
 *
 * It is built by hand, not by meson (run from the source root):
 *
 *   ninja -C build libporter_core.a libporter_crypto.a
 *   gcc -std=c17 -Iinclude tests/vectors/gen_kat.c build/libporter_crypto.a \
 *       build/libporter_core.a $(pkg-config --libs libsodium libcbor) -o /tmp/gen_kat
 *   /tmp/gen_kat tests/vectors
 *
 * The vectors are part of the specification (docs/credentials.md) and every
 * build is compared against them: if a run of this program changes any
 * byte, the wire format has changed.
 * The fixed inputs below are repeated, on purpose, in test_kat.c.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "porter/cbor.h"
#include "porter/cose.h"
#include "porter/cred.h"
#include "porter/crypto.h"
#include "porter/decide.h"
#include "porter/envelope.h"
#include "porter/err.h"
#include "porter/tz.h"

#define ZONE_PATH "/usr/share/zoneinfo/Europe/Berlin"

/* ---- fixed inputs (keep in step with tests/unit/test_kat.c) ---- */

/* RFC 8032 section 7.1, TEST 1, 2 and 3: seeds whose public keys anyone
 * can check against the RFC. */
static const char *const SEED_OWNER =
	"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
static const char *const SEED_CARRIER =
	"4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb";
static const char *const SEED_COURIER =
	"c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7";

static const char *const CTI_LINK0 = "0102030405060708090a0b0c0d0e0f10";
static const char *const CTI_LINK1 = "1112131415161718191a1b1c1d1e1f20";
static const char *const NONCE_COMMAND = "2122232425262728292a2b2c2d2e2f30";
static const char *const NONCE_REVOCATION = "3132333435363738393a3b3c3d3e3f40";
static const char *const NONCE_OWNER = "4142434445464748494a4b4c4d4e4f50";
static const char *const NONCE_PROOF =
	"404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f";

#define HOME "home-7f3a"
#define LOCK "front"
#define HUB "hub-01"
#define ZONE "Europe/Berlin"
#define NOTE "dog inside: leave the parcel in the hall"

#define T_L0_IAT 1796025600	/* 2026-11-30T08:00:00Z Mon 09:00 CET */
#define T_L0_NBF 1796083200	/* 2026-12-01T00:00:00Z */
#define T_L0_EXP 1798761600	/* 2027-01-01T00:00:00Z */
#define T_L1_IAT 1796104800	/* 2026-12-01T06:00:00Z Tue 07:00 CET */
#define T_L1_NBF 1796108400	/* 2026-12-01T07:00:00Z Tue 08:00 CET */
#define T_L1_EXP 1796151600	/* 2026-12-01T19:00:00Z Tue 20:00 CET */
#define T_L1_WIN_START 1796112000	/* 2026-12-01T08:00:00Z Tue 09:00 CET */
#define T_L1_WIN_END 1796119200		/* 2026-12-01T10:00:00Z Tue 11:00 CET */
#define AT_OK 1796115600		/* 2026-12-01T09:00:00Z Tue 10:00 CET */
#define AT_OUTSIDE 1796461200	/* 2026-12-05T09:00:00Z Sat 10:00 CET */
#define T_CMD_IAT 1796115900	/* 2026-12-01T09:05:00Z */
#define T_REV_IAT 1796117400	/* 2026-12-01T09:30:00Z */
#define T_OWN_IAT 1796119200	/* 2026-12-01T10:00:00Z */
#define ENV_SKEW 60		/* s; verification "now" is iat + 2 */

#define MON_FRI 0x3e		/* bit 0 Sunday .. bit 6 Saturday */

/* ---- helpers ---- */

static void
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("gen_kat: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static void
unhex(const char *s, uint8_t *out, size_t n)
{
	size_t i;

	if (strlen(s) != 2 * n)
		die("bad hex length for %s", s);
	for (i = 0; i < n; i++) {
		unsigned v;
		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			die("bad hex %s", s);
		out[i] = (uint8_t)v;
	}
}

/* C string into dst[cap], or die: no silent truncation of an input. */
static void
set(char *dst, size_t cap, const char *s)
{
	size_t n = strlen(s);

	if (n >= cap)
		die("'%s' does not fit", s);
	memcpy(dst, s, n + 1);
}

static void
hex(FILE *f, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		fprintf(f, "%02x", p[i]);
}

/* Growing text buffer for diagnostic notation. */
struct sb {
	char buf[4096];
	size_t len;
};

__attribute__((format(printf, 2, 3))) static void
sb_add(struct sb *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(b->buf + b->len, sizeof(b->buf) - b->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(b->buf) - b->len)
		die("diagnostic buffer full");
	b->len += (size_t)n;
}

static void
sb_hex(struct sb *b, const uint8_t *p, size_t n)
{
	size_t i;

	sb_add(b, "h'");
	for (i = 0; i < n; i++)
		sb_add(b, "%02x", p[i]);
	sb_add(b, "'");
}

static void
sb_text(struct sb *b, const char *s)
{
	sb_add(b, "\"");
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			sb_add(b, "\\%c", *s);
		else
			sb_add(b, "%c", *s);
	}
	sb_add(b, "\"");
}

/* JSON string (ASCII and UTF-8 pass through; quotes, backslashes and
 * control characters are escaped). */
static void
jstr(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void
jhex(FILE *f, const uint8_t *p, size_t n)
{
	fputc('"', f);
	hex(f, p, n);
	fputc('"', f);
}

static void
fmt_utc(int64_t t, char *buf, size_t cap)
{
	struct pt_civil c;

	pt_civil_from_unix(t, &c);
	snprintf(buf, cap, "%04lld-%02d-%02dT%02d:%02d:%02dZ", (long long)c.year, c.month, c.day,
		 c.hour, c.min, c.sec);
}

static const char *const wdays[] = {"Sunday", "Monday", "Tuesday", "Wednesday",
				    "Thursday", "Friday", "Saturday"};

static void
fmt_local(const struct pt_tz *tz, int64_t t, char *buf, size_t cap)
{
	struct pt_civil c;
	int32_t off;

	if (pt_tz_local(tz, t, &c) != PT_OK || pt_tz_offset(tz, t, &off) != PT_OK)
		die("local time");
	snprintf(buf, cap, "%04lld-%02d-%02dT%02d:%02d:%02d%c%02d:%02d (%s, %s)",
		 (long long)c.year, c.month, c.day, c.hour, c.min, c.sec, off < 0 ? '-' : '+',
		 abs(off) / 3600, abs(off) % 3600 / 60, wdays[c.wday], ZONE);
}

/* ---- keys ---- */

struct key {
	const char *name;
	uint8_t seed[PT_SEED_LEN];
	uint8_t pk[PT_PK_LEN];
	uint8_t kid[PT_KID_LEN];
	char b64[48];
	struct pt_secret *s;
	struct pt_signer sg;
};

static struct key owner = {.name = "owner"}, carrier = {.name = "carrier"},
		  courier = {.name = "courier"};

static void
key_init(struct key *k, const char *seed_hex)
{
	unhex(seed_hex, k->seed, sizeof(k->seed));
	if ((k->s = pt_secret_new()) == NULL || pt_secret_from_seed(k->s, k->seed) != PT_OK)
		die("key %s", k->name);
	pt_secret_public(k->s, k->pk);
	pt_signer_sodium(&k->sg, k->s);
	pt_kid(pt_crypto_sodium(), k->pk, k->kid);
	if (pt_b64_encode(k->b64, sizeof(k->b64), k->pk, PT_PK_LEN) != PT_OK)
		die("b64");
}

static void
json_key(FILE *f, const struct key *k, const char *role, bool last)
{
	fprintf(f, "    ");
	jstr(f, k->name);
	fprintf(f, ": {\n      \"role\": ");
	jstr(f, role);
	fprintf(f, ",\n      \"seed\": ");
	jhex(f, k->seed, PT_SEED_LEN);
	fprintf(f, ",\n      \"public_key\": ");
	jhex(f, k->pk, PT_PK_LEN);
	fprintf(f, ",\n      \"public_key_b64url\": ");
	jstr(f, k->b64);
	fprintf(f, ",\n      \"kid\": ");
	jhex(f, k->kid, PT_KID_LEN);
	fprintf(f, "\n    }%s\n", last ? "" : ",");
}

/* ---- the grants ---- */

/* Link 0, owner -> carrier: the carrier may deliver to the front door on
 * weekdays 08:00-20:00 Berlin time during December 2026, 50 entries, and
 * delegate once more. */
static void
grant_link0(struct pt_grant *g)
{
	memset(g, 0, sizeof(*g));
	set(g->aud, sizeof(g->aud), HOME);
	g->has_iat = true;
	g->iat = T_L0_IAT;
	g->has_nbf = true;
	g->nbf = T_L0_NBF;
	g->has_exp = true;
	g->exp = T_L0_EXP;
	unhex(CTI_LINK0, g->cti, PT_CTI_LEN);
	memcpy(g->holder, carrier.pk, PT_PK_LEN);
	g->n_locks = 1;
	set(g->locks[0], sizeof(g->locks[0]), LOCK);
	g->purpose = PT_PURPOSE_DELIVERY;
	g->has_entries = true;
	g->entries = 50;
	g->depth = 1;
	g->cond = PT_COND_CAMERA | PT_COND_ALARM_BYPASS;
	g->has_door_open = true;
	g->door_open_max = 90;
	set(g->sched.tz, sizeof(g->sched.tz), ZONE);
	g->sched.n_weekly = 1;
	g->sched.weekly[0].days = MON_FRI;
	g->sched.weekly[0].start_min = 8 * 60;
	g->sched.weekly[0].end_min = 20 * 60;
}

/* Link 1, carrier -> courier: one entry, in a 2-hour window of Tuesday
 * 2026-12-01, with a note. The weekly intervals are repeated: a child of
 * a parent with weekly intervals must carry its own, inside the parent's. */
static void
grant_link1(struct pt_grant *g)
{
	memset(g, 0, sizeof(*g));
	set(g->aud, sizeof(g->aud), HOME);
	g->has_iat = true;
	g->iat = T_L1_IAT;
	g->has_nbf = true;
	g->nbf = T_L1_NBF;
	g->has_exp = true;
	g->exp = T_L1_EXP;
	unhex(CTI_LINK1, g->cti, PT_CTI_LEN);
	memcpy(g->holder, courier.pk, PT_PK_LEN);
	g->n_locks = 1;
	set(g->locks[0], sizeof(g->locks[0]), LOCK);
	g->purpose = PT_PURPOSE_DELIVERY;
	g->has_entries = true;
	g->entries = 1;
	g->depth = 0;
	g->cond = PT_COND_CAMERA | PT_COND_ALARM_BYPASS;
	g->has_door_open = true;
	g->door_open_max = 90;
	set(g->sched.tz, sizeof(g->sched.tz), ZONE);
	g->sched.n_windows = 1;
	g->sched.windows[0].start = T_L1_WIN_START;
	g->sched.windows[0].end = T_L1_WIN_END;
	g->sched.n_weekly = 1;
	g->sched.weekly[0].days = MON_FRI;
	g->sched.weekly[0].start_min = 8 * 60;
	g->sched.weekly[0].end_min = 20 * 60;
	set(g->note, sizeof(g->note), NOTE);
}

/* CBOR diagnostic notation (RFC 8949 section 8) of the claims, written
 * from the struct in encoding order, independently of the encoder. */
static void
diag_grant(const struct pt_grant *g, struct sb *b)
{
	const struct pt_schedule *s = &g->sched;
	size_t i;

	b->len = 0;
	sb_add(b, "{\n  3: ");
	sb_text(b, g->aud);
	if (g->has_exp)
		sb_add(b, ",\n  4: %lld", (long long)g->exp);
	if (g->has_nbf)
		sb_add(b, ",\n  5: %lld", (long long)g->nbf);
	if (g->has_iat)
		sb_add(b, ",\n  6: %lld", (long long)g->iat);
	sb_add(b, ",\n  7: ");
	sb_hex(b, g->cti, PT_CTI_LEN);
	sb_add(b, ",\n  8: {1: {1: 1, -1: 6, -2: ");
	sb_hex(b, g->holder, PT_PK_LEN);
	sb_add(b, "}},\n  -65537: {");
	sb_add(b, "\n    ");
	if (g->n_locks > 0) {
		sb_add(b, "1: [");
		for (i = 0; i < g->n_locks; i++) {
			sb_add(b, i ? ", " : "");
			sb_text(b, g->locks[i]);
		}
		sb_add(b, "],\n    ");
	}
	sb_add(b, "2: %u", g->purpose);
	if (g->has_entries)
		sb_add(b, ",\n    3: %u", g->entries);
	sb_add(b, ",\n    4: %u", g->depth);
	if (g->cond != 0)
		sb_add(b, ",\n    5: %u", g->cond);
	if (g->has_door_open)
		sb_add(b, ",\n    6: %u", g->door_open_max);
	if (s->n_weekly > 0) {
		sb_add(b, ",\n    7: ");
		sb_text(b, s->tz);
	}
	if (s->n_windows > 0) {
		sb_add(b, ",\n    8: [");
		for (i = 0; i < s->n_windows; i++)
			sb_add(b, "%s[%lld, %lld]", i ? ", " : "", (long long)s->windows[i].start,
			       (long long)s->windows[i].end);
		sb_add(b, "]");
	}
	if (s->n_weekly > 0) {
		sb_add(b, ",\n    9: [");
		for (i = 0; i < s->n_weekly; i++)
			sb_add(b, "%s[%u, %u, %u]", i ? ", " : "", s->weekly[i].days,
			       s->weekly[i].start_min, s->weekly[i].end_min);
		sb_add(b, "]");
	}
	if (g->note[0] != '\0') {
		sb_add(b, ",\n    10: ");
		sb_text(b, g->note);
	}
	sb_add(b, "\n  }\n}");
}

/* ---- one signed object, taken apart ---- */

struct parts {
	uint8_t obj[PT_LINK_SIZE_MAX];	/* the tagged COSE_Sign1 */
	size_t obj_len;
	uint8_t claims[PT_LINK_SIZE_MAX];
	size_t claims_len;
	uint8_t prot[32];
	size_t prot_len;
	uint8_t tbs[PT_LINK_SIZE_MAX + 64];
	size_t tbs_len;
	uint8_t sig[PT_SIG_LEN];
	struct sb diag;
};

/* Take obj apart, rebuild its Sig_structure and check the signature. */
static void
split(struct parts *pa, const char *aad, const uint8_t pk[PT_PK_LEN])
{
	struct pt_sign1 s;

	if (pt_sign1_decode(pa->obj, pa->obj_len, &s) != PT_OK || !s.tagged ||
	    s.prot_len > sizeof(pa->prot) || s.sig_len != PT_SIG_LEN)
		die("cannot take apart what was signed");
	memcpy(pa->prot, s.prot, s.prot_len);
	pa->prot_len = s.prot_len;
	if (s.payload_len != pa->claims_len || memcmp(s.payload, pa->claims, pa->claims_len) != 0)
		die("payload is not the encoded claims");
	memcpy(pa->sig, s.sig, PT_SIG_LEN);
	if (pt_sign1_tbs(&s, (const uint8_t *)aad, strlen(aad), pa->tbs, sizeof(pa->tbs),
			 &pa->tbs_len) != PT_OK)
		die("tbs");
	if (!pt_crypto_sodium()->ed25519_verify(pa->sig, pa->tbs, pa->tbs_len, pk))
		die("signature does not verify");
}

static void
sign_link(struct parts *pa, struct pt_grant *g, const struct key *issuer)
{
	diag_grant(g, &pa->diag);
	if (pt_grant_encode_claims(g, pa->claims, sizeof(pa->claims), &pa->claims_len) != PT_OK)
		die("encode claims");
	if (pt_grant_sign(pt_crypto_sodium(), &issuer->sg, g, pa->obj, sizeof(pa->obj),
			  &pa->obj_len) != PT_OK)
		die("sign link");
	split(pa, PT_AAD_GRANT, issuer->pk);
}

static void
json_parts(FILE *f, const struct parts *pa, const char *indent, const char *aad)
{
	fprintf(f, "%s\"claims_diag\": ", indent);
	jstr(f, pa->diag.buf);
	fprintf(f, ",\n%s\"claims\": ", indent);
	jhex(f, pa->claims, pa->claims_len);
	fprintf(f, ",\n%s\"claims_len\": %zu", indent, pa->claims_len);
	fprintf(f, ",\n%s\"protected\": ", indent);
	jhex(f, pa->prot, pa->prot_len);
	fprintf(f, ",\n%s\"unprotected\": \"a0\"", indent);
	fprintf(f, ",\n%s\"external_aad\": ", indent);
	jstr(f, aad);
	fprintf(f, ",\n%s\"sig_structure\": ", indent);
	jhex(f, pa->tbs, pa->tbs_len);
	fprintf(f, ",\n%s\"signature\": ", indent);
	jhex(f, pa->sig, PT_SIG_LEN);
	fprintf(f, ",\n%s\"cose_sign1\": ", indent);
	jhex(f, pa->obj, pa->obj_len);
	fprintf(f, ",\n%s\"cose_sign1_len\": %zu", indent, pa->obj_len);
}

/* ---- the decision ---- */

static struct pt_tz berlin;
static uint8_t zone_buf[PT_TZ_FILE_MAX + 1];

static void
load_zone(void)
{
	FILE *f = fopen(ZONE_PATH, "rb");
	size_t n;

	if (f == NULL)
		die("cannot open %s", ZONE_PATH);
	n = fread(zone_buf, 1, sizeof(zone_buf), f);
	fclose(f);
	if (pt_tz_parse_tzif(&berlin, zone_buf, n) != PT_OK)
		die("cannot parse %s", ZONE_PATH);
}

static void
context(struct pt_context *ctx, int64_t now, const uint8_t (*roots)[PT_PK_LEN])
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->now = now;
	ctx->time_trusted = true;
	ctx->mono_ms = 10000;
	ctx->proof_max_ms = 5000;
	ctx->hub_id = HUB;
	ctx->home_id = HOME;
	ctx->lock_id = LOCK;
	ctx->tz_name = ZONE;
	ctx->tz = &berlin;
	ctx->roots = roots;
	ctx->n_roots = 1;
	ctx->revocations_at = now - 600;
	ctx->revocations_max_age = 86400;
	ctx->camera_healthy = true;
	ctx->alarm_can_bypass = true;
	ctx->door_closed = true;
	ctx->bolt_locked = true;
}

static void
challenge(struct pt_challenge *ch)
{
	memset(ch, 0, sizeof(*ch));
	unhex(NONCE_PROOF, ch->nonce, PT_NONCE_LEN);
	ch->issued_ms = 9000;
}

static void
json_context(FILE *f, const uint8_t (*revoked)[PT_CTI_LEN], size_t n_revoked)
{
	size_t i;

	fprintf(f, "  \"context\": {\n"
		   "    \"hub_id\": \"" HUB "\",\n"
		   "    \"home_id\": \"" HOME "\",\n"
		   "    \"lock_id\": \"" LOCK "\",\n"
		   "    \"tz_name\": \"" ZONE "\",\n"
		   "    \"tz_file\": \"" ZONE_PATH "\",\n"
		   "    \"roots\": [\"owner\"],\n"
		   "    \"time_trusted\": true,\n"
		   "    \"challenge_issued_ms\": 9000,\n"
		   "    \"mono_ms\": 10000,\n"
		   "    \"proof_max_ms\": 5000,\n"
		   "    \"locked_out_until_ms\": 0,\n"
		   "    \"usage\": [],\n"
		   "    \"revoked_ctis\": [");
	for (i = 0; i < n_revoked; i++) {
		fprintf(f, "%s", i ? ", " : "");
		jhex(f, revoked[i], PT_CTI_LEN);
	}
	fprintf(f, "],\n"
		   "    \"revoked_keys\": [],\n"
		   "    \"revocations_at\": \"now - 600\",\n"
		   "    \"revocations_max_age\": 86400,\n"
		   "    \"camera_healthy\": true,\n"
		   "    \"alarm_can_bypass\": true,\n"
		   "    \"door_closed\": true,\n"
		   "    \"bolt_locked\": true\n"
		   "  },\n");
}

static void
json_decision(FILE *f, const uint8_t *chain, size_t chain_len, const uint8_t proof[PT_SIG_LEN],
	      int64_t at, int want, int want_link, const uint8_t (*revoked)[PT_CTI_LEN],
	      size_t n_revoked, bool last)
{
	static struct pt_chain c;
	const uint8_t(*roots)[PT_PK_LEN] = (const uint8_t(*)[PT_PK_LEN])owner.pk;
	struct pt_context ctx;
	struct pt_challenge ch;
	struct pt_decision d;
	char utc[40], local[96];
	size_t i;
	int r;

	context(&ctx, at, roots);
	ctx.revoked_ctis = revoked;
	ctx.n_revoked_ctis = n_revoked;
	challenge(&ch);
	r = pt_decide(pt_crypto_sodium(), chain, chain_len, proof, PT_SIG_LEN, &ch, &ctx, &c, &d);
	if (r != want || d.link != want_link)
		die("decision at %lld: %s link %d, expected %s link %d", (long long)at,
		    pt_err_code(r), d.link, pt_err_code(want), want_link);
	fmt_utc(at, utc, sizeof(utc));
	fmt_local(&berlin, at, local, sizeof(local));
	fprintf(f, "    {\n      \"now\": %lld,\n      \"now_utc\": \"%s\",\n", (long long)at, utc);
	fprintf(f, "      \"now_local\": \"%s\",\n", local);
	fprintf(f, "      \"reason\": \"%s\",\n      \"reason_number\": %d,\n", pt_err_code(r), -r);
	fprintf(f, "      \"link\": %d", d.link);
	if (r == PT_OK) {
		fprintf(f, ",\n      \"purpose\": \"%s\",\n", pt_purpose_name(d.purpose));
		fprintf(f, "      \"conditions\": %u,\n", d.cond);
		fprintf(f, "      \"door_open_max\": %u,\n", d.door_open_max);
		fprintf(f, "      \"charge\": [");
		for (i = 0; i < d.n_charge; i++) {
			fprintf(f, "%s", i ? ", " : "");
			jhex(f, d.charge[i], PT_CTI_LEN);
		}
		fprintf(f, "]");
	}
	fprintf(f, "\n    }%s\n", last ? "" : ",");
}

/* ---- C header ---- */

static void
h_bytes(FILE *f, const char *name, const uint8_t *p, size_t n)
{
	size_t i;

	fprintf(f, "static const uint8_t %s[%zu] = {", name, n);
	for (i = 0; i < n; i++)
		fprintf(f, "%s0x%02x,", i % 12 == 0 ? "\n\t" : " ", p[i]);
	fprintf(f, "\n};\n");
}

static void
h_parts(FILE *f, const char *prefix, const struct parts *pa)
{
	char name[96];

	snprintf(name, sizeof(name), "%s_claims", prefix);
	h_bytes(f, name, pa->claims, pa->claims_len);
	snprintf(name, sizeof(name), "%s_protected", prefix);
	h_bytes(f, name, pa->prot, pa->prot_len);
	snprintf(name, sizeof(name), "%s_tbs", prefix);
	h_bytes(f, name, pa->tbs, pa->tbs_len);
	snprintf(name, sizeof(name), "%s_sig", prefix);
	h_bytes(f, name, pa->sig, PT_SIG_LEN);
	snprintf(name, sizeof(name), "%s_cose", prefix);
	h_bytes(f, name, pa->obj, pa->obj_len);
}

static FILE *
open_out(const char *dir, const char *name)
{
	char path[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "w")) == NULL)
		die("cannot write %s", path);
	return f;
}

static void
close_out(FILE *f)
{
	if (ferror(f) || fclose(f) != 0)
		die("write error");
}

/* ---- main ---- */

static struct parts link0, link1, command, revocation, owner_stmt;

/* The external AAD, the name and the kind the vector is checked against
 * as "the other kind" (it must not verify as that). */
static const char *
env_aad(const struct pt_envelope *e)
{
	return e->kind == PT_ENV_COMMAND ? PT_AAD_COMMAND :
	       e->kind == PT_ENV_OWNER	 ? "porter/owner/v1" : PT_AAD_REVOCATION;
}

static const char *
env_name(unsigned kind)
{
	return kind == PT_ENV_COMMAND ? "command" : kind == PT_ENV_OWNER ? "owner" : "revocation";
}

static enum pt_envelope_kind
env_other(const struct pt_envelope *e)
{
	/* An owner statement has the shape of a key revocation or a pairing:
	 * the revocation is the one it must not pass for. */
	return e->kind == PT_ENV_COMMAND ? PT_ENV_REVOCATION :
	       e->kind == PT_ENV_OWNER	 ? PT_ENV_REVOCATION : PT_ENV_COMMAND;
}

static void
write_chain_json(const char *dir, const char *file, const char *title, const char *desc,
		 const struct parts *const *links, size_t n_links, const struct key *const *keys,
		 const char *const *roles, size_t n_keys, const uint8_t *chain, size_t chain_len,
		 const uint8_t *msg, size_t msg_len, const uint8_t proof[PT_SIG_LEN],
		 const struct key *holder)
{
	static const char *const names[] = {"owner", "carrier", "courier"};
	uint8_t h[PT_HASH_LEN], nonce[PT_NONCE_LEN];
	FILE *f = open_out(dir, file);
	size_t i;

	pt_crypto_sodium()->sha256(h, chain, chain_len);
	unhex(NONCE_PROOF, nonce, sizeof(nonce));
	fprintf(f, "{\n  \"title\": ");
	jstr(f, title);
	fprintf(f, ",\n  \"description\": ");
	jstr(f, desc);
	fprintf(f, ",\n  \"generator\": \"tests/vectors/gen_kat.c\",\n");
	fprintf(f, "  \"spec\": \"docs/credentials.md\",\n");
	fprintf(f, "  \"keys\": {\n");
	for (i = 0; i < n_keys; i++)
		json_key(f, keys[i], roles[i], i + 1 == n_keys);
	fprintf(f, "  },\n  \"links\": [\n");
	for (i = 0; i < n_links; i++) {
		fprintf(f, "    {\n      \"issuer\": \"%s\",\n      \"holder\": \"%s\",\n", names[i],
			names[i + 1]);
		json_parts(f, links[i], "      ", PT_AAD_GRANT);
		fprintf(f, "\n    }%s\n", i + 1 == n_links ? "" : ",");
	}
	fprintf(f, "  ],\n  \"chain\": ");
	jhex(f, chain, chain_len);
	fprintf(f, ",\n  \"chain_len\": %zu,\n  \"chain_sha256\": ", chain_len);
	jhex(f, h, sizeof(h));
	fprintf(f, ",\n  \"proof\": {\n    \"hub_id\": \"" HUB "\",\n    \"nonce\": ");
	jhex(f, nonce, sizeof(nonce));
	fprintf(f, ",\n    \"message\": ");
	jhex(f, msg, msg_len);
	fprintf(f, ",\n    \"signer\": \"%s\",\n    \"signature\": ", holder->name);
	jhex(f, proof, PT_SIG_LEN);
	fprintf(f, "\n  },\n");
	json_context(f, NULL, 0);
	fprintf(f, "  \"decisions\": [\n");
	json_decision(f, chain, chain_len, proof, AT_OK, PT_OK, -1, NULL, 0, false);
	json_decision(f, chain, chain_len, proof, AT_OUTSIDE, PT_ESCHEDULE, 0, NULL, 0, true);
	fprintf(f, "  ]\n}\n");
	close_out(f);
}

static void
prove(const struct key *holder, const uint8_t *chain, size_t chain_len, uint8_t *msg,
      size_t *msg_len, uint8_t proof[PT_SIG_LEN])
{
	uint8_t h[PT_HASH_LEN], nonce[PT_NONCE_LEN];

	unhex(NONCE_PROOF, nonce, sizeof(nonce));
	pt_crypto_sodium()->sha256(h, chain, chain_len);
	if (pt_proof_message(HUB, nonce, h, msg, PT_PROOF_MSG_MAX, msg_len) != PT_OK ||
	    pt_proof_sign(pt_crypto_sodium(), &holder->sg, HUB, nonce, chain, chain_len, proof) !=
		PT_OK)
		die("proof");
	if (!pt_crypto_sodium()->ed25519_verify(proof, msg, *msg_len, holder->pk))
		die("proof does not verify");
}

static void
diag_envelope(const struct pt_envelope *e, struct sb *b)
{
	b->len = 0;
	sb_add(b, "{\n  3: ");
	sb_text(b, e->aud);
	sb_add(b, ",\n  6: %lld,\n  7: ", (long long)e->iat);
	sb_hex(b, e->nonce, PT_CTI_LEN);
	sb_add(b, ",\n  -65537: {1: %u", e->op);
	if (e->kind == PT_ENV_COMMAND && e->lock[0] != '\0') {
		sb_add(b, ", 2: ");
		sb_text(b, e->lock);
	} else if (e->kind == PT_ENV_REVOCATION || e->kind == PT_ENV_OWNER) {
		sb_add(b, ", 2: ");
		sb_hex(b, e->target, e->target_len);
	}
	sb_add(b, "}\n}");
}

/* Sign e and take it apart; the claims are re-encoded here by hand from
 * envelope.h's layout, so the encoder is checked too. */
static void
sign_envelope(struct parts *pa, struct pt_envelope *e)
{
	const char *aad = env_aad(e);
	struct pt_cbor_wr w;

	diag_envelope(e, &pa->diag);
	pt_cbor_wr_init(&w, pa->claims, sizeof(pa->claims));
	pt_cbor_put_map(&w, 4);
	pt_cbor_put_int(&w, PT_CWT_AUD);
	pt_cbor_put_text(&w, e->aud, strlen(e->aud));
	pt_cbor_put_int(&w, PT_CWT_IAT);
	pt_cbor_put_uint(&w, (uint64_t)e->iat);
	pt_cbor_put_int(&w, PT_CWT_CTI);
	pt_cbor_put_bytes(&w, e->nonce, PT_CTI_LEN);
	pt_cbor_put_int(&w, PT_CWT_PORTER);
	pt_cbor_put_map(&w, 2);
	pt_cbor_put_int(&w, 1);
	pt_cbor_put_uint(&w, e->op);
	pt_cbor_put_int(&w, 2);
	if (e->kind == PT_ENV_COMMAND)
		pt_cbor_put_text(&w, e->lock, strlen(e->lock));
	else
		pt_cbor_put_bytes(&w, e->target, e->target_len);
	if (pt_cbor_wr_status(&w) != PT_OK)
		die("envelope claims");
	pa->claims_len = w.len;
	if (pt_envelope_sign(pt_crypto_sodium(), &owner.sg, e, pa->obj, sizeof(pa->obj),
			     &pa->obj_len) != PT_OK)
		die("sign envelope");
	split(pa, aad, owner.pk);
}

static void
write_envelope_json(const char *dir, const char *file, const char *title, const char *desc,
		    const struct parts *pa, const struct pt_envelope *e, const uint8_t *chain,
		    size_t chain_len, const uint8_t proof[PT_SIG_LEN])
{
	const char *aad = env_aad(e);
	const enum pt_envelope_kind other = env_other(e);
	const uint8_t(*signers)[PT_PK_LEN] = (const uint8_t(*)[PT_PK_LEN])owner.pk;
	uint8_t revoked[1][PT_CTI_LEN];
	struct pt_envelope v;
	size_t idx;
	FILE *f = open_out(dir, file);
	char utc[40];

	if (pt_envelope_verify(pt_crypto_sodium(), pa->obj, pa->obj_len, e->kind, signers, 1, HOME,
			       e->iat + 2, ENV_SKEW, &v, &idx) != PT_OK)
		die("envelope does not verify");
	if (pt_envelope_verify(pt_crypto_sodium(), pa->obj, pa->obj_len, other, signers, 1, HOME,
			       e->iat + 2, ENV_SKEW, &v, &idx) != PT_EBADSIG)
		die("envelope verifies as the other kind");
	if (pt_envelope_verify(pt_crypto_sodium(), pa->obj, pa->obj_len, e->kind, signers, 1, HOME,
			       e->iat + ENV_SKEW + 1, ENV_SKEW, &v, &idx) != PT_ESTALE)
		die("stale envelope verifies");
	fmt_utc(e->iat, utc, sizeof(utc));
	fprintf(f, "{\n  \"title\": ");
	jstr(f, title);
	fprintf(f, ",\n  \"description\": ");
	jstr(f, desc);
	fprintf(f, ",\n  \"generator\": \"tests/vectors/gen_kat.c\",\n");
	fprintf(f, "  \"spec\": \"docs/credentials.md\",\n");
	fprintf(f, "  \"keys\": {\n");
	json_key(f, &owner, "owner key enrolled at the hub; signs the envelope",
		 e->kind != PT_ENV_OWNER);
	if (e->kind == PT_ENV_OWNER)
		json_key(f, &carrier, "the second owner key the statement endorses (its target)",
			 true);
	fprintf(f, "  },\n  \"kind\": \"%s\",\n", env_name(e->kind));
	fprintf(f, "  \"iat_utc\": \"%s\",\n", utc);
	json_parts(f, pa, "  ", aad);
	fprintf(f, ",\n  \"verify\": [\n");
	fprintf(f, "    {\"kind\": \"%s\", \"signers\": [\"owner\"], \"home_id\": \"" HOME "\", "
		   "\"now\": %lld, \"skew\": %d, \"reason\": \"ok\"},\n",
		env_name(e->kind), (long long)e->iat + 2, ENV_SKEW);
	fprintf(f, "    {\"kind\": \"%s\", \"signers\": [\"owner\"], \"home_id\": \"" HOME "\", "
		   "\"now\": %lld, \"skew\": %d, \"reason\": \"bad-signature\"},\n",
		env_name(other), (long long)e->iat + 2, ENV_SKEW);
	fprintf(f, "    {\"kind\": \"%s\", \"signers\": [\"owner\"], \"home_id\": \"" HOME "\", "
		   "\"now\": %lld, \"skew\": %d, \"reason\": \"stale\"}\n",
		env_name(e->kind), (long long)e->iat + ENV_SKEW + 1, ENV_SKEW);
	fprintf(f, "  ]");
	if (chain != NULL) {
		/* The revocation, applied by the hub, stops the chain-02 vector. */
		fprintf(f, ",\n  \"applied_to\": \"porter-chain-02.json\",\n");
		memcpy(revoked[0], e->target, PT_CTI_LEN);
		json_context(f, (const uint8_t(*)[PT_CTI_LEN])revoked, 1);
		fprintf(f, "  \"decisions\": [\n");
		json_decision(f, chain, chain_len, proof, AT_OK, PT_EREVOKED, 1,
			      (const uint8_t(*)[PT_CTI_LEN])revoked, 1, true);
		fprintf(f, "  ]\n");
	} else {
		fprintf(f, "\n");
	}
	fprintf(f, "}\n");
	close_out(f);
}

int
main(int argc, char **argv)
{
	static uint8_t chain1[PT_CHAIN_SIZE_MAX], chain2[PT_CHAIN_SIZE_MAX];
	uint8_t msg1[PT_PROOF_MSG_MAX], msg2[PT_PROOF_MSG_MAX];
	uint8_t proof1[PT_SIG_LEN], proof2[PT_SIG_LEN], h[PT_HASH_LEN];
	const char *dir = argc > 1 ? argv[1] : "tests/vectors";
	const struct key *keys[3] = {&owner, &carrier, &courier};
	static const char *const roles[3] = {
		"owner: root key enrolled at the hub; issues link 0",
		"carrier: holder of link 0; issues link 1",
		"courier device: holder of link 1; signs the proof",
	};
	const struct parts *links[2] = {&link0, &link1};
	struct pt_grant g0, g1;
	struct pt_envelope cmd, rev, own;
	size_t len1, len2, msg1_len, msg2_len;
	FILE *f;

	if (argc > 2)
		die("usage: gen_kat [DIR]");
	if (pt_crypto_init() != PT_OK)
		die("crypto init");
	load_zone();
	key_init(&owner, SEED_OWNER);
	key_init(&carrier, SEED_CARRIER);
	key_init(&courier, SEED_COURIER);

	/* Grant 01 and chain 02. */
	grant_link0(&g0);
	sign_link(&link0, &g0, &owner);
	grant_link1(&g1);
	sign_link(&link1, &g1, &carrier);
	if (pt_chain_append(NULL, 0, link0.obj, link0.obj_len, chain1, sizeof(chain1), &len1) !=
		PT_OK ||
	    pt_chain_append(chain1, len1, link1.obj, link1.obj_len, chain2, sizeof(chain2), &len2) !=
		PT_OK)
		die("append");
	prove(&carrier, chain1, len1, msg1, &msg1_len, proof1);
	prove(&courier, chain2, len2, msg2, &msg2_len, proof2);

	write_chain_json(dir, "porter-grant-01.json", "porter root grant: owner -> carrier",
			 "A root grant (a 1-link chain) signed by the owner for the carrier's "
			 "dispatch key: home home-7f3a, lock front, purpose delivery, 50 entries, "
			 "delegation depth 1, camera + alarm entry-zone bypass, door open at most "
			 "90 s, December 2026, Monday to Friday 08:00-20:00 Europe/Berlin. The proof "
			 "is signed by the holder, the carrier.",
			 links, 1, keys, roles, 2, chain1, len1, msg1, msg1_len, proof1, &carrier);
	write_chain_json(dir, "porter-chain-02.json",
			 "porter delegation chain: owner -> carrier -> courier",
			 "The root grant of porter-grant-01.json followed by the carrier's "
			 "delegation to one courier device: 1 entry, depth 0, same conditions, "
			 "2026-12-01 08:00-20:00 CET with a 2-hour window 09:00-11:00 CET, the same "
			 "weekly interval (a child must repeat its parent's), and a note. The proof "
			 "is signed by the courier device.",
			 links, 2, keys, roles, 3, chain2, len2, msg2, msg2_len, proof2, &courier);

	/* Command and revocation. */
	memset(&cmd, 0, sizeof(cmd));
	cmd.kind = PT_ENV_COMMAND;
	set(cmd.aud, sizeof(cmd.aud), HOME);
	cmd.iat = T_CMD_IAT;
	unhex(NONCE_COMMAND, cmd.nonce, PT_CTI_LEN);
	cmd.op = PT_CMD_UNLOCK;
	set(cmd.lock, sizeof(cmd.lock), LOCK);
	sign_envelope(&command, &cmd);
	write_envelope_json(dir, "porter-command-01.json", "porter signed command: unlock front",
			    "An owner-signed remote command: unlock lock front of home home-7f3a, "
			    "issued at 2026-12-01T09:05:00Z with a fixed 16-byte nonce. External AAD "
			    "porter/command/v1.",
			    &command, &cmd, NULL, 0, NULL);

	memset(&rev, 0, sizeof(rev));
	rev.kind = PT_ENV_REVOCATION;
	set(rev.aud, sizeof(rev.aud), HOME);
	rev.iat = T_REV_IAT;
	unhex(NONCE_REVOCATION, rev.nonce, PT_CTI_LEN);
	rev.op = PT_REVOKE_TOKEN;
	rev.target_len = PT_CTI_LEN;
	unhex(CTI_LINK1, rev.target, PT_CTI_LEN);
	sign_envelope(&revocation, &rev);
	write_envelope_json(dir, "porter-revocation-01.json",
			    "porter signed revocation: the courier link's token id",
			    "An owner-signed revocation of token id 1112...1f20 (link 1 of "
			    "porter-chain-02.json), issued at 2026-12-01T09:30:00Z. External AAD "
			    "porter/revocation/v1. Once the hub holds it, the chain-02 vector is "
			    "refused with 'revoked' at link 1.",
			    &revocation, &rev, chain2, len2, proof2);

	memset(&own, 0, sizeof(own));
	own.kind = PT_ENV_OWNER;
	set(own.aud, sizeof(own.aud), HOME);
	own.iat = T_OWN_IAT;
	unhex(NONCE_OWNER, own.nonce, PT_CTI_LEN);
	own.op = PT_OWNER_ADD;
	own.target_len = PT_PK_LEN;
	memcpy(own.target, carrier.pk, PT_PK_LEN);
	sign_envelope(&owner_stmt, &own);
	write_envelope_json(dir, "porter-owner-01.json",
			    "porter owner statement: endorse a second owner key",
			    "An owner statement (PT_ENV_OWNER) by the owner key endorsing the key of "
			    "RFC 8032 TEST 2 as a second owner key of home home-7f3a, issued at "
			    "2026-12-01T10:00:00Z with a fixed 16-byte nonce. External AAD "
			    "porter/owner/v1. A hub that trusts the owner key trusts the new key as a "
			    "root once it holds this statement.",
			    &owner_stmt, &own, NULL, 0, NULL);

	/* The C header. */
	f = open_out(dir, "porter_kat.h");
	fprintf(f, "/*\n"
		   " * tests/vectors/porter_kat.h: expected bytes of porter's known-answer\n"
		   " * vectors (the same as in tests/vectors/porter-*.json), for\n"
		   " * tests/unit/test_kat.c. GENERATED by tests/vectors/gen_kat.c from fixed\n"
		   " * inputs: do not edit by hand.\n"
		   " */\n"
		   "#ifndef PORTER_KAT_H\n#define PORTER_KAT_H\n\n#include <stdint.h>\n\n");
	fprintf(f, "/* Keys: RFC 8032 section 7.1 TEST 1 (owner), 2 (carrier), 3 (courier). */\n");
	h_bytes(f, "kat_owner_pk", owner.pk, PT_PK_LEN);
	h_bytes(f, "kat_owner_kid", owner.kid, PT_KID_LEN);
	fprintf(f, "static const char kat_owner_b64[] = \"%s\";\n", owner.b64);
	h_bytes(f, "kat_carrier_pk", carrier.pk, PT_PK_LEN);
	h_bytes(f, "kat_carrier_kid", carrier.kid, PT_KID_LEN);
	fprintf(f, "static const char kat_carrier_b64[] = \"%s\";\n", carrier.b64);
	h_bytes(f, "kat_courier_pk", courier.pk, PT_PK_LEN);
	h_bytes(f, "kat_courier_kid", courier.kid, PT_KID_LEN);
	fprintf(f, "static const char kat_courier_b64[] = \"%s\";\n", courier.b64);
	fprintf(f, "\n/* Link 0 (owner -> carrier), porter-grant-01.json and link 0 of\n"
		   " * porter-chain-02.json. */\n");
	h_parts(f, "kat_link0", &link0);
	fprintf(f, "\n/* porter-grant-01.json: the 1-link chain and the carrier's proof. */\n");
	h_bytes(f, "kat_grant01_chain", chain1, len1);
	pt_crypto_sodium()->sha256(h, chain1, len1);
	h_bytes(f, "kat_grant01_chain_sha256", h, sizeof(h));
	h_bytes(f, "kat_grant01_proof_msg", msg1, msg1_len);
	h_bytes(f, "kat_grant01_proof_sig", proof1, PT_SIG_LEN);
	fprintf(f, "\n/* Link 1 (carrier -> courier) of porter-chain-02.json. */\n");
	h_parts(f, "kat_link1", &link1);
	fprintf(f, "\n/* porter-chain-02.json: the 2-link chain and the courier's proof. */\n");
	h_bytes(f, "kat_chain02_chain", chain2, len2);
	pt_crypto_sodium()->sha256(h, chain2, len2);
	h_bytes(f, "kat_chain02_chain_sha256", h, sizeof(h));
	h_bytes(f, "kat_chain02_proof_msg", msg2, msg2_len);
	h_bytes(f, "kat_chain02_proof_sig", proof2, PT_SIG_LEN);
	fprintf(f, "\n/* porter-command-01.json */\n");
	h_parts(f, "kat_command", &command);
	fprintf(f, "\n/* porter-revocation-01.json */\n");
	h_parts(f, "kat_revocation", &revocation);
	fprintf(f, "\n/* porter-owner-01.json */\n");
	h_parts(f, "kat_owner_stmt", &owner_stmt);
	fprintf(f, "\n#endif\n");
	close_out(f);

	printf("grant-01: link %zu bytes, chain %zu bytes\n", link0.obj_len, len1);
	printf("chain-02: link %zu bytes, chain %zu bytes\n", link1.obj_len, len2);
	printf("command: %zu bytes, revocation: %zu bytes, owner: %zu bytes\n", command.obj_len,
	       revocation.obj_len, owner_stmt.obj_len);
	pt_secret_free(owner.s);
	pt_secret_free(carrier.s);
	pt_secret_free(courier.s);
	return 0;
}
