/*
 * Known-answer test: porter's own vectors (tests/vectors/porter-*.json,
 * specified in docs/credentials.md).
 *
 * Every vector is rebuilt from its fixed inputs (stated again here, on
 * purpose, independently of tests/vectors/gen_kat.c) through the public API
 * and compared byte for byte with the expected bytes in porter_kat.h. The
 * expected bytes are then decoded and their claims checked, the Sig_structures
 * and proof messages are rebuilt by hand from the spec, and the decision
 * engine is run on the expected chains and proofs. Ed25519 is deterministic:
 * any difference is a change of the wire format.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "porter/cbor.h"
#include "porter/cose.h"
#include "porter/cred.h"
#include "porter/crypto.h"
#include "porter/decide.h"
#include "porter/envelope.h"
#include "porter/err.h"
#include "porter/tz.h"
#include "t.h"

#include "../vectors/porter_kat.h"

#define ZONE_PATH "/usr/share/zoneinfo/Europe/Berlin"

/* ---- fixed inputs (as in tests/vectors/gen_kat.c) ---- */

/* RFC 8032 section 7.1 TEST 1, 2, 3: seed and public key. */
static const char *const SEED_OWNER =
	"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
static const char *const PK_OWNER_RFC8032 =
	"d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
static const char *const SEED_CARRIER =
	"4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb";
static const char *const PK_CARRIER_RFC8032 =
	"3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c";
static const char *const SEED_COURIER =
	"c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7";
static const char *const PK_COURIER_RFC8032 =
	"fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025";

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

#define T_L0_IAT 1796025600	/* 2026-11-30T08:00:00Z */
#define T_L0_NBF 1796083200	/* 2026-12-01T00:00:00Z */
#define T_L0_EXP 1798761600	/* 2027-01-01T00:00:00Z */
#define T_L1_IAT 1796104800	/* 2026-12-01T06:00:00Z */
#define T_L1_NBF 1796108400	/* 2026-12-01T07:00:00Z = 08:00 CET */
#define T_L1_EXP 1796151600	/* 2026-12-01T19:00:00Z = 20:00 CET */
#define T_L1_WIN_START 1796112000	/* 2026-12-01T08:00:00Z = 09:00 CET */
#define T_L1_WIN_END 1796119200		/* 2026-12-01T10:00:00Z = 11:00 CET */
#define AT_OK 1796115600		/* Tuesday 2026-12-01 10:00 CET */
#define AT_OUTSIDE 1796461200	/* Saturday 2026-12-05 10:00 CET */
#define T_CMD_IAT 1796115900	/* 2026-12-01T09:05:00Z */
#define T_REV_IAT 1796117400	/* 2026-12-01T09:30:00Z */
#define T_OWN_IAT 1796119200	/* 2026-12-01T10:00:00Z */
#define ENV_SKEW 60
#define MON_FRI 0x3e

/* ---- helpers ---- */

static const struct pt_crypto_ops *ops;
static struct pt_tz berlin;
static uint8_t zone_buf[PT_TZ_FILE_MAX + 1];

static void
unhex(const char *s, uint8_t *out, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned v = 0;
		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			v = 0;
		out[i] = (uint8_t)v;
	}
}

static void
set(char *dst, size_t cap, const char *s)
{
	size_t n = strlen(s);

	if (n >= cap)
		n = cap - 1;
	memcpy(dst, s, n);
	dst[n] = '\0';
}

/* One check: a == b, byte for byte; on failure, where they first differ. */
static void
same(const uint8_t *got, size_t got_len, const uint8_t *want, size_t want_len, const char *what)
{
	size_t i, n = got_len < want_len ? got_len : want_len;

	for (i = 0; i < n && got[i] == want[i]; i++)
		continue;
	if (!T_OK(got_len == want_len && i == n, "%s: %zu bytes as expected", what, want_len))
		printf("# %s: got %zu bytes, want %zu; first difference at offset %zu\n", what,
		       got_len, want_len, i);
}

/* ---- keys ---- */

struct key {
	struct pt_secret *s;
	struct pt_signer sg;
	uint8_t pk[PT_PK_LEN];
};

static struct key owner, carrier, courier;
static uint8_t roots[1][PT_PK_LEN];

static void
check_key(struct key *k, const char *name, const char *seed_hex, const char *rfc_pk_hex,
	  const uint8_t want_pk[PT_PK_LEN], const uint8_t want_kid[PT_KID_LEN],
	  const char *want_b64)
{
	uint8_t seed[PT_SEED_LEN], rfc[PT_PK_LEN], kid[PT_KID_LEN], h[PT_HASH_LEN];
	uint8_t back[PT_PK_LEN];
	char b64[64];

	unhex(seed_hex, seed, sizeof(seed));
	unhex(rfc_pk_hex, rfc, sizeof(rfc));
	k->s = pt_secret_new();
	T_OK(k->s != NULL && pt_secret_from_seed(k->s, seed) == PT_OK, "%s: key from seed", name);
	pt_secret_public(k->s, k->pk);
	pt_signer_sodium(&k->sg, k->s);
	same(k->pk, PT_PK_LEN, rfc, PT_PK_LEN, "public key is RFC 8032's");
	same(k->pk, PT_PK_LEN, want_pk, PT_PK_LEN, "public key");
	pt_kid(ops, k->pk, kid);
	same(kid, PT_KID_LEN, want_kid, PT_KID_LEN, "kid");
	ops->sha256(h, k->pk, PT_PK_LEN);
	same(h, PT_KID_LEN, want_kid, PT_KID_LEN, "kid is SHA-256(pk)[0..8)");
	T_OK(pt_b64_encode(b64, sizeof(b64), k->pk, PT_PK_LEN) == PT_OK &&
		     strcmp(b64, want_b64) == 0,
	     "%s: base64url %s", name, want_b64);
	T_OK(pt_b64_decode(back, PT_PK_LEN, want_b64, strlen(want_b64)) == PT_OK &&
		     memcmp(back, want_pk, PT_PK_LEN) == 0,
	     "%s: base64url decodes back", name);
}

/* ---- grants ---- */

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

/* Decoded claims equal the inputs, field by field (kid comes from the
 * protected header, not the claims: compared by the caller). */
static void
check_claims(const struct pt_grant *got, const struct pt_grant *want, const char *what)
{
	const struct pt_schedule *gs = &got->sched, *ws = &want->sched;
	bool sched_ok;
	size_t i;

	T_OK(strcmp(got->aud, want->aud) == 0, "%s: aud %s", what, want->aud);
	T_OK(got->has_exp == want->has_exp && got->exp == want->exp, "%s: exp", what);
	T_OK(got->has_nbf == want->has_nbf && got->nbf == want->nbf, "%s: nbf", what);
	T_OK(got->has_iat == want->has_iat && got->iat == want->iat, "%s: iat", what);
	T_OK(memcmp(got->cti, want->cti, PT_CTI_LEN) == 0, "%s: cti", what);
	T_OK(memcmp(got->holder, want->holder, PT_PK_LEN) == 0, "%s: cnf holder key", what);
	T_OK(got->n_locks == want->n_locks && strcmp(got->locks[0], want->locks[0]) == 0,
	     "%s: locks", what);
	T_EQ(got->purpose, want->purpose, "%s: purpose", what);
	T_OK(got->has_entries == want->has_entries && got->entries == want->entries,
	     "%s: entries %u", what, want->entries);
	T_EQ(got->depth, want->depth, "%s: depth", what);
	T_EQ(got->cond, want->cond, "%s: conditions", what);
	T_OK(got->has_door_open == want->has_door_open &&
		     got->door_open_max == want->door_open_max,
	     "%s: door-open max", what);
	sched_ok = strcmp(gs->tz, ws->tz) == 0 && gs->n_windows == ws->n_windows &&
		   gs->n_weekly == ws->n_weekly;
	for (i = 0; sched_ok && i < ws->n_windows; i++)
		sched_ok = gs->windows[i].start == ws->windows[i].start &&
			   gs->windows[i].end == ws->windows[i].end;
	for (i = 0; sched_ok && i < ws->n_weekly; i++)
		sched_ok = gs->weekly[i].days == ws->weekly[i].days &&
			   gs->weekly[i].start_min == ws->weekly[i].start_min &&
			   gs->weekly[i].end_min == ws->weekly[i].end_min;
	T_OK(sched_ok, "%s: schedule", what);
	T_OK(strcmp(got->note, want->note) == 0, "%s: note", what);
}

/* The Sig_structure, by hand from RFC 9052 section 4.4:
 * ["Signature1", protected, external_aad, payload]. */
static size_t
tbs_by_hand(const uint8_t *prot, size_t prot_len, const char *aad, const uint8_t *payload,
	    size_t payload_len, uint8_t *out)
{
	size_t n = 0, aad_len = strlen(aad);

	out[n++] = 0x84;
	out[n++] = 0x6a;
	memcpy(out + n, "Signature1", 10);
	n += 10;
	out[n++] = (uint8_t)(0x40 | prot_len);	/* < 24 bytes */
	memcpy(out + n, prot, prot_len);
	n += prot_len;
	out[n++] = (uint8_t)(0x40 | aad_len);	/* < 24 bytes */
	memcpy(out + n, aad, aad_len);
	n += aad_len;
	if (payload_len < 24) {
		out[n++] = (uint8_t)(0x40 | payload_len);
	} else if (payload_len < 256) {
		out[n++] = 0x58;
		out[n++] = (uint8_t)payload_len;
	} else {
		out[n++] = 0x59;
		out[n++] = (uint8_t)(payload_len >> 8);
		out[n++] = (uint8_t)payload_len;
	}
	memcpy(out + n, payload, payload_len);
	return n + payload_len;
}

/* Take an expected COSE_Sign1 apart and check every piece of it. */
static void
check_sign1(const char *what, const uint8_t *cose, size_t cose_len, const uint8_t *prot,
	    size_t prot_len, const uint8_t *claims, size_t claims_len, const uint8_t *tbs,
	    size_t tbs_len, const uint8_t *sig, const char *aad, const uint8_t kid[PT_KID_LEN],
	    const uint8_t pk[PT_PK_LEN])
{
	static const uint8_t prefix[] = {0xa2, 0x01, 0x27, 0x04, 0x48};
	uint8_t want_prot[sizeof(prefix) + PT_KID_LEN], buf[PT_LINK_SIZE_MAX + 64];
	struct pt_sign1 s;
	size_t n;

	printf("# %s\n", what);
	memcpy(want_prot, prefix, sizeof(prefix));
	memcpy(want_prot + sizeof(prefix), kid, PT_KID_LEN);
	same(prot, prot_len, want_prot, sizeof(want_prot), "protected header {1: -8, 4: kid}");
	T_OK(pt_sign1_decode(cose, cose_len, &s) == PT_OK && s.tagged, "%s: tagged COSE_Sign1",
	     what);
	same(s.prot, s.prot_len, prot, prot_len, "protected bucket");
	T_OK(s.unprot_len == 1 && s.unprot[0] == 0xa0, "%s: unprotected bucket is {}", what);
	same(s.payload, s.payload_len, claims, claims_len, "payload is the claims");
	same(s.sig, s.sig_len, sig, PT_SIG_LEN, "signature");
	T_OK(pt_sign1_tbs(&s, (const uint8_t *)aad, strlen(aad), buf, sizeof(buf), &n) == PT_OK,
	     "%s: Sig_structure", what);
	same(buf, n, tbs, tbs_len, "Sig_structure (pt_sign1_tbs)");
	n = tbs_by_hand(prot, prot_len, aad, claims, claims_len, buf);
	same(buf, n, tbs, tbs_len, "Sig_structure (by hand)");
	T_OK(ops->ed25519_verify(sig, tbs, tbs_len, pk), "%s: Ed25519 signature over it", what);
	T_EQ(pt_sign1_verify(ops, &s, (const uint8_t *)aad, strlen(aad), pk, buf, sizeof(buf)),
	     PT_OK, "%s: pt_sign1_verify", what);
	T_EQ(pt_sign1_verify(ops, &s, (const uint8_t *)"porter/other/v1", 15, pk, buf,
			     sizeof(buf)),
	     PT_EBADSIG, "%s: another external AAD does not verify", what);
}

/* ---- decisions ---- */

static void
context(struct pt_context *ctx, int64_t now)
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
	ctx->roots = (const uint8_t(*)[PT_PK_LEN])roots;
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

static int
decide(const uint8_t *chain, size_t chain_len, const uint8_t *proof, int64_t now,
       const struct pt_context *override, struct pt_chain *c, struct pt_decision *d)
{
	struct pt_context ctx;
	struct pt_challenge ch;

	if (override != NULL)
		ctx = *override;
	else
		context(&ctx, now);
	challenge(&ch);
	return pt_decide(ops, chain, chain_len, proof, PT_SIG_LEN, &ch, &ctx, c, d);
}

/* The proof message, by hand: "porter/proof/v1" NUL, len(hub), hub,
 * nonce, SHA-256(chain). */
static void
check_proof(const char *what, const struct key *holder, const uint8_t *chain, size_t chain_len,
	    const uint8_t *want_sha, const uint8_t *want_msg, size_t want_msg_len,
	    const uint8_t *want_sig)
{
	uint8_t h[PT_HASH_LEN], nonce[PT_NONCE_LEN], msg[PT_PROOF_MSG_MAX], hand[PT_PROOF_MSG_MAX];
	uint8_t sig[PT_SIG_LEN];
	size_t n, k = 0;

	printf("# %s: proof\n", what);
	unhex(NONCE_PROOF, nonce, sizeof(nonce));
	ops->sha256(h, chain, chain_len);
	same(h, sizeof(h), want_sha, PT_HASH_LEN, "SHA-256 of the chain");
	T_OK(pt_proof_message(HUB, nonce, h, msg, sizeof(msg), &n) == PT_OK, "%s: proof message",
	     what);
	same(msg, n, want_msg, want_msg_len, "proof message (pt_proof_message)");
	memcpy(hand, "porter/proof/v1", 16);	/* with its NUL */
	k = 16;
	hand[k++] = (uint8_t)strlen(HUB);
	memcpy(hand + k, HUB, strlen(HUB));
	k += strlen(HUB);
	memcpy(hand + k, nonce, PT_NONCE_LEN);
	k += PT_NONCE_LEN;
	memcpy(hand + k, h, PT_HASH_LEN);
	k += PT_HASH_LEN;
	same(hand, k, want_msg, want_msg_len, "proof message (by hand)");
	T_OK(pt_proof_sign(ops, &holder->sg, HUB, nonce, chain, chain_len, sig) == PT_OK,
	     "%s: pt_proof_sign", what);
	same(sig, PT_SIG_LEN, want_sig, PT_SIG_LEN, "proof signature");
	T_OK(ops->ed25519_verify(want_sig, want_msg, want_msg_len, holder->pk),
	     "%s: proof verifies with the holder's key", what);
}

static void
check_decisions(const char *what, const uint8_t *chain, size_t chain_len, const uint8_t *proof,
		const uint8_t (*charge)[PT_CTI_LEN], uint8_t n_charge)
{
	static struct pt_chain c;
	struct pt_decision d;
	uint8_t h[PT_HASH_LEN];
	int r;
	uint8_t i;

	printf("# %s: decisions\n", what);
	ops->sha256(h, chain, chain_len);
	r = decide(chain, chain_len, proof, AT_OK, NULL, &c, &d);
	T_EQ(r, PT_OK, "%s: Tuesday 10:00 Berlin: %s", what, pt_err_code(r));
	T_OK(strcmp(pt_err_code(r), "ok") == 0, "%s: reason code \"ok\"", what);
	T_EQ(d.reason, PT_OK, "%s: decision reason", what);
	T_EQ(d.link, -1, "%s: no offending link", what);
	T_EQ(d.purpose, PT_PURPOSE_DELIVERY, "%s: purpose delivery", what);
	T_EQ(d.cond, PT_COND_CAMERA | PT_COND_ALARM_BYPASS, "%s: camera + alarm bypass", what);
	T_EQ(d.door_open_max, 90, "%s: door open 90 s", what);
	T_OK(memcmp(d.chain_hash, h, PT_HASH_LEN) == 0, "%s: chain hash", what);
	T_EQ(d.n_charge, n_charge, "%s: token ids charged", what);
	for (i = 0; i < n_charge && i < d.n_charge; i++)
		T_OK(memcmp(d.charge[i], charge[i], PT_CTI_LEN) == 0, "%s: charge %u", what, i);
	T_EQ(c.n, n_charge, "%s: decoded chain handed back", what);

	r = decide(chain, chain_len, proof, AT_OUTSIDE, NULL, &c, &d);
	T_EQ(r, PT_ESCHEDULE, "%s: Saturday 10:00 Berlin: %s", what, pt_err_code(r));
	T_OK(strcmp(pt_err_code(r), "outside-schedule") == 0,
	     "%s: reason code \"outside-schedule\"", what);
	T_EQ(d.link, 0, "%s: refused at link 0 (weekly interval)", what);
	T_EQ(d.n_charge, 0, "%s: nothing charged", what);
}

/* ---- envelopes ---- */

static void
check_envelope(const char *what, struct pt_envelope *e, const uint8_t *claims, size_t claims_len,
	       const uint8_t *prot, size_t prot_len, const uint8_t *tbs, size_t tbs_len,
	       const uint8_t *sig, const uint8_t *cose, size_t cose_len, struct pt_envelope *v)
{
	enum pt_envelope_kind kind = e->kind, other;
	const char *aad = kind == PT_ENV_COMMAND ? PT_AAD_COMMAND :
			  kind == PT_ENV_OWNER	 ? "porter/owner/v1" : PT_AAD_REVOCATION;
	uint8_t out[PT_ENVELOPE_SIZE_MAX], others[1][PT_PK_LEN];
	size_t n, idx = 99;
	int r;

	other = kind == PT_ENV_REVOCATION ? PT_ENV_COMMAND : PT_ENV_REVOCATION;
	printf("# %s\n", what);
	T_OK(pt_envelope_sign(ops, &owner.sg, e, out, sizeof(out), &n) == PT_OK,
	     "%s: pt_envelope_sign", what);
	same(out, n, cose, cose_len, "envelope");
	check_sign1(what, cose, cose_len, prot, prot_len, claims, claims_len, tbs, tbs_len, sig, aad,
		    kat_owner_kid, owner.pk);

	r = pt_envelope_verify(ops, cose, cose_len, kind, (const uint8_t(*)[PT_PK_LEN])roots, 1,
			       HOME, e->iat + 2, ENV_SKEW, v, &idx);
	T_EQ(r, PT_OK, "%s: verifies (%s)", what, pt_err_code(r));
	T_EQ(idx, 0, "%s: signed by roots[0]", what);
	T_EQ(v->kind, kind, "%s: kind", what);
	T_OK(memcmp(v->kid, kat_owner_kid, PT_KID_LEN) == 0, "%s: kid", what);
	T_OK(strcmp(v->aud, HOME) == 0, "%s: aud", what);
	T_EQ(v->iat, e->iat, "%s: iat", what);
	T_OK(memcmp(v->nonce, e->nonce, PT_CTI_LEN) == 0, "%s: nonce", what);
	T_EQ(v->op, e->op, "%s: op", what);
	T_OK(strcmp(v->lock, e->lock) == 0, "%s: lock", what);
	T_OK(v->target_len == e->target_len && memcmp(v->target, e->target, e->target_len) == 0,
	     "%s: target", what);

	r = pt_envelope_verify(ops, cose, cose_len, kind, (const uint8_t(*)[PT_PK_LEN])roots, 1,
			       HOME, e->iat + ENV_SKEW, ENV_SKEW, &(struct pt_envelope){0}, &idx);
	T_EQ(r, PT_OK, "%s: verifies at iat + skew", what);
	r = pt_envelope_verify(ops, cose, cose_len, kind, (const uint8_t(*)[PT_PK_LEN])roots, 1,
			       HOME, e->iat + ENV_SKEW + 1, ENV_SKEW, &(struct pt_envelope){0},
			       &idx);
	T_EQ(r, PT_ESTALE, "%s: stale at iat + skew + 1", what);
	r = pt_envelope_verify(ops, cose, cose_len, other, (const uint8_t(*)[PT_PK_LEN])roots, 1,
			       HOME, e->iat + 2, ENV_SKEW, &(struct pt_envelope){0}, &idx);
	T_EQ(r, PT_EBADSIG, "%s: does not verify as the other kind (external AAD)", what);
	memcpy(others[0], carrier.pk, PT_PK_LEN);
	r = pt_envelope_verify(ops, cose, cose_len, kind, (const uint8_t(*)[PT_PK_LEN])others, 1,
			       HOME, e->iat + 2, ENV_SKEW, &(struct pt_envelope){0}, &idx);
	T_EQ(r, PT_EUNTRUSTEDCMD, "%s: carrier key is not an allowed signer", what);
}

static bool
load_zone(void)
{
	FILE *f = fopen(ZONE_PATH, "rb");
	size_t n;

	if (f == NULL)
		return false;
	n = fread(zone_buf, 1, sizeof(zone_buf), f);
	fclose(f);
	return pt_tz_parse_tzif(&berlin, zone_buf, n) == PT_OK;
}

int
main(void)
{
	static uint8_t link[PT_LINK_SIZE_MAX], chain1[PT_CHAIN_SIZE_MAX], chain2[PT_CHAIN_SIZE_MAX];
	static uint8_t claims[PT_LINK_SIZE_MAX], hand[PT_CHAIN_SIZE_MAX];
	static struct pt_chain c;
	static struct pt_grant g0, g1, dec;
	uint8_t charge[2][PT_CTI_LEN], revoked[1][PT_CTI_LEN];
	struct pt_envelope cmd, rev, own, v;
	struct pt_context ctx;
	struct pt_decision d;
	size_t n, len1, len2;
	int failed = 99, r;

	T_OK(pt_crypto_init() == PT_OK, "crypto init");
	ops = pt_crypto_sodium();
	T_OK(load_zone(), "time zone %s", ZONE_PATH);

	printf("# keys\n");
	check_key(&owner, "owner", SEED_OWNER, PK_OWNER_RFC8032, kat_owner_pk, kat_owner_kid,
		  kat_owner_b64);
	check_key(&carrier, "carrier", SEED_CARRIER, PK_CARRIER_RFC8032, kat_carrier_pk,
		  kat_carrier_kid, kat_carrier_b64);
	check_key(&courier, "courier", SEED_COURIER, PK_COURIER_RFC8032, kat_courier_pk,
		  kat_courier_kid, kat_courier_b64);
	memcpy(roots[0], owner.pk, PT_PK_LEN);

	/* Link 0: owner -> carrier (porter-grant-01.json). */
	printf("# link 0: owner -> carrier\n");
	grant_link0(&g0);
	T_OK(pt_grant_encode_claims(&g0, claims, sizeof(claims), &n) == PT_OK, "link 0: encode");
	same(claims, n, kat_link0_claims, sizeof(kat_link0_claims), "link 0 claims");
	T_OK(pt_grant_sign(ops, &owner.sg, &g0, link, sizeof(link), &n) == PT_OK, "link 0: sign");
	same(link, n, kat_link0_cose, sizeof(kat_link0_cose), "link 0 COSE_Sign1");
	same(g0.kid, PT_KID_LEN, kat_owner_kid, PT_KID_LEN, "link 0 kid set by pt_grant_sign");
	check_sign1("link 0", kat_link0_cose, sizeof(kat_link0_cose), kat_link0_protected,
		    sizeof(kat_link0_protected), kat_link0_claims, sizeof(kat_link0_claims),
		    kat_link0_tbs, sizeof(kat_link0_tbs), kat_link0_sig, PT_AAD_GRANT, kat_owner_kid,
		    owner.pk);
	T_EQ(pt_grant_decode_claims(kat_link0_claims, sizeof(kat_link0_claims), &dec), PT_OK,
	     "link 0: expected claims decode");
	check_claims(&dec, &g0, "link 0");

	/* Link 1: carrier -> courier (porter-chain-02.json). */
	printf("# link 1: carrier -> courier\n");
	grant_link1(&g1);
	T_OK(pt_grant_encode_claims(&g1, claims, sizeof(claims), &n) == PT_OK, "link 1: encode");
	same(claims, n, kat_link1_claims, sizeof(kat_link1_claims), "link 1 claims");
	T_OK(pt_grant_sign(ops, &carrier.sg, &g1, link, sizeof(link), &n) == PT_OK,
	     "link 1: sign");
	same(link, n, kat_link1_cose, sizeof(kat_link1_cose), "link 1 COSE_Sign1");
	same(g1.kid, PT_KID_LEN, kat_carrier_kid, PT_KID_LEN, "link 1 kid set by pt_grant_sign");
	check_sign1("link 1", kat_link1_cose, sizeof(kat_link1_cose), kat_link1_protected,
		    sizeof(kat_link1_protected), kat_link1_claims, sizeof(kat_link1_claims),
		    kat_link1_tbs, sizeof(kat_link1_tbs), kat_link1_sig, PT_AAD_GRANT,
		    kat_carrier_kid, carrier.pk);
	T_EQ(pt_grant_decode_claims(kat_link1_claims, sizeof(kat_link1_claims), &dec), PT_OK,
	     "link 1: expected claims decode");
	check_claims(&dec, &g1, "link 1");
	T_EQ(pt_grant_narrows(&g0, &g1), PT_OK, "link 1 narrows link 0");

	/* The chains: [link0] and [link0, link1]. */
	printf("# chains\n");
	T_OK(pt_chain_append(NULL, 0, kat_link0_cose, sizeof(kat_link0_cose), chain1,
			     sizeof(chain1), &len1) == PT_OK,
	     "grant-01: append link 0");
	same(chain1, len1, kat_grant01_chain, sizeof(kat_grant01_chain), "grant-01 chain");
	T_OK(pt_chain_append(chain1, len1, kat_link1_cose, sizeof(kat_link1_cose), chain2,
			     sizeof(chain2), &len2) == PT_OK,
	     "chain-02: append link 1");
	same(chain2, len2, kat_chain02_chain, sizeof(kat_chain02_chain), "chain-02 chain");
	hand[0] = 0x81;
	memcpy(hand + 1, kat_link0_cose, sizeof(kat_link0_cose));
	same(hand, 1 + sizeof(kat_link0_cose), kat_grant01_chain, sizeof(kat_grant01_chain),
	     "grant-01 chain is 81 || link 0");
	hand[0] = 0x82;
	memcpy(hand + 1 + sizeof(kat_link0_cose), kat_link1_cose, sizeof(kat_link1_cose));
	same(hand, 1 + sizeof(kat_link0_cose) + sizeof(kat_link1_cose), kat_chain02_chain,
	     sizeof(kat_chain02_chain), "chain-02 chain is 82 || link 0 || link 1");
	T_OK(sizeof(kat_chain02_chain) <= PT_CHAIN_SIZE_MAX &&
		     sizeof(kat_link1_cose) <= PT_LINK_SIZE_MAX,
	     "sizes within limits (chain %zu, links %zu + %zu)", sizeof(kat_chain02_chain),
	     sizeof(kat_link0_cose), sizeof(kat_link1_cose));

	T_EQ(pt_chain_decode(kat_chain02_chain, sizeof(kat_chain02_chain), &c), PT_OK,
	     "chain-02 decodes");
	T_EQ(c.n, 2, "chain-02 has 2 links");
	check_claims(&c.link[0].g, &g0, "chain-02 link 0");
	check_claims(&c.link[1].g, &g1, "chain-02 link 1");
	T_OK(memcmp(c.link[0].g.kid, kat_owner_kid, PT_KID_LEN) == 0 &&
		     memcmp(c.link[1].g.kid, kat_carrier_kid, PT_KID_LEN) == 0,
	     "chain-02 kids: owner, carrier");
	r = pt_chain_verify(ops, &c, (const uint8_t(*)[PT_PK_LEN])roots, 1, &failed);
	T_EQ(r, PT_OK, "chain-02 verifies from the owner root (%s)", pt_err_code(r));
	T_EQ(failed, -1, "chain-02: no failed link");

	/* Proofs. */
	check_proof("grant-01", &carrier, kat_grant01_chain, sizeof(kat_grant01_chain),
		    kat_grant01_chain_sha256, kat_grant01_proof_msg, sizeof(kat_grant01_proof_msg),
		    kat_grant01_proof_sig);
	check_proof("chain-02", &courier, kat_chain02_chain, sizeof(kat_chain02_chain),
		    kat_chain02_chain_sha256, kat_chain02_proof_msg, sizeof(kat_chain02_proof_msg),
		    kat_chain02_proof_sig);

	/* Decisions on the expected bytes. */
	unhex(CTI_LINK0, charge[0], PT_CTI_LEN);
	unhex(CTI_LINK1, charge[1], PT_CTI_LEN);
	check_decisions("grant-01", kat_grant01_chain, sizeof(kat_grant01_chain),
			kat_grant01_proof_sig, (const uint8_t(*)[PT_CTI_LEN])charge, 1);
	check_decisions("chain-02", kat_chain02_chain, sizeof(kat_chain02_chain),
			kat_chain02_proof_sig, (const uint8_t(*)[PT_CTI_LEN])charge, 2);
	r = decide(kat_chain02_chain, sizeof(kat_chain02_chain), kat_chain02_proof_sig, AT_OK, NULL,
		   &c, &d);
	T_OK(r == PT_OK && strcmp(c.link[1].g.note, NOTE) == 0, "chain-02: the note reaches the holder");
	r = decide(kat_chain02_chain, sizeof(kat_chain02_chain), kat_grant01_proof_sig, AT_OK, NULL,
		   &c, &d);
	T_EQ(r, PT_EBADSIG, "chain-02 with the carrier's grant-01 proof: %s", pt_err_code(r));
	T_EQ(d.link, 1, "chain-02 with the wrong proof: at the last link");
	context(&ctx, AT_OK);
	ctx.hub_id = "hub-02";
	r = decide(kat_chain02_chain, sizeof(kat_chain02_chain), kat_chain02_proof_sig, AT_OK, &ctx,
		   &c, &d);
	T_EQ(r, PT_EBADSIG, "chain-02 proof for hub-01 at hub-02: %s", pt_err_code(r));

	/* Command (porter-command-01.json). */
	memset(&cmd, 0, sizeof(cmd));
	cmd.kind = PT_ENV_COMMAND;
	set(cmd.aud, sizeof(cmd.aud), HOME);
	cmd.iat = T_CMD_IAT;
	unhex(NONCE_COMMAND, cmd.nonce, PT_CTI_LEN);
	cmd.op = PT_CMD_UNLOCK;
	set(cmd.lock, sizeof(cmd.lock), LOCK);
	check_envelope("command: unlock front", &cmd, kat_command_claims,
		       sizeof(kat_command_claims), kat_command_protected,
		       sizeof(kat_command_protected), kat_command_tbs, sizeof(kat_command_tbs),
		       kat_command_sig, kat_command_cose, sizeof(kat_command_cose), &v);

	/* Revocation (porter-revocation-01.json), then applied at the hub. */
	memset(&rev, 0, sizeof(rev));
	rev.kind = PT_ENV_REVOCATION;
	set(rev.aud, sizeof(rev.aud), HOME);
	rev.iat = T_REV_IAT;
	unhex(NONCE_REVOCATION, rev.nonce, PT_CTI_LEN);
	rev.op = PT_REVOKE_TOKEN;
	rev.target_len = PT_CTI_LEN;
	unhex(CTI_LINK1, rev.target, PT_CTI_LEN);
	check_envelope("revocation: courier link", &rev, kat_revocation_claims,
		       sizeof(kat_revocation_claims), kat_revocation_protected,
		       sizeof(kat_revocation_protected), kat_revocation_tbs,
		       sizeof(kat_revocation_tbs), kat_revocation_sig, kat_revocation_cose,
		       sizeof(kat_revocation_cose), &v);
	T_OK(v.op == PT_REVOKE_TOKEN && v.target_len == PT_CTI_LEN &&
		     memcmp(v.target, charge[1], PT_CTI_LEN) == 0,
	     "revocation names link 1's token id");
	memcpy(revoked[0], v.target, PT_CTI_LEN);
	context(&ctx, AT_OK);
	ctx.revoked_ctis = (const uint8_t(*)[PT_CTI_LEN])revoked;
	ctx.n_revoked_ctis = 1;
	r = decide(kat_chain02_chain, sizeof(kat_chain02_chain), kat_chain02_proof_sig, AT_OK, &ctx,
		   &c, &d);
	T_EQ(r, PT_EREVOKED, "chain-02 after the revocation: %s", pt_err_code(r));
	T_OK(strcmp(pt_err_code(r), "revoked") == 0, "reason code \"revoked\"");
	T_EQ(d.link, 1, "revoked at link 1");
	r = decide(kat_grant01_chain, sizeof(kat_grant01_chain), kat_grant01_proof_sig, AT_OK, &ctx,
		   &c, &d);
	T_EQ(r, PT_OK, "grant-01 is not touched by it: %s", pt_err_code(r));

	/* Owner statement (porter-owner-01.json): the owner endorses the
	 * carrier's key (RFC 8032 TEST 2) as a second owner key. */
	memset(&own, 0, sizeof(own));
	own.kind = PT_ENV_OWNER;
	set(own.aud, sizeof(own.aud), HOME);
	own.iat = T_OWN_IAT;
	unhex(NONCE_OWNER, own.nonce, PT_CTI_LEN);
	own.op = PT_OWNER_ADD;
	own.target_len = PT_PK_LEN;
	memcpy(own.target, kat_carrier_pk, PT_PK_LEN);
	check_envelope("owner: endorse a second owner key", &own, kat_owner_stmt_claims,
		       sizeof(kat_owner_stmt_claims), kat_owner_stmt_protected,
		       sizeof(kat_owner_stmt_protected), kat_owner_stmt_tbs,
		       sizeof(kat_owner_stmt_tbs), kat_owner_stmt_sig, kat_owner_stmt_cose,
		       sizeof(kat_owner_stmt_cose), &v);
	T_OK(v.op == PT_OWNER_ADD && v.target_len == PT_PK_LEN &&
		     memcmp(v.target, kat_carrier_pk, PT_PK_LEN) == 0,
	     "owner statement names the second key");
	r = pt_envelope_verify(ops, kat_owner_stmt_cose, sizeof(kat_owner_stmt_cose), PT_ENV_PAIRING,
			       (const uint8_t(*)[PT_PK_LEN])roots, 1, HOME, own.iat + 2, ENV_SKEW,
			       &(struct pt_envelope){0}, &(size_t){0});
	T_EQ(r, PT_EBADSIG, "owner statement does not verify as a pairing");

	pt_secret_free(owner.s);
	pt_secret_free(carrier.s);
	pt_secret_free(courier.s);
	return t_done();
}
