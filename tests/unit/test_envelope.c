/*
 * test_envelope: signed remote commands, revocations, hub pairings,
 * courier attestations, owner-key endorsements, live view requests
 * (PT_ENV_LIVE: the expiry claim, its bounds, expired at exp, every field
 * of its porter claim, the AADs kept apart) and owners' answers to a hub's
 * request (PT_ENV_APPROVAL: approve or deny, the 16-byte session, the AAD
 * that alone tells an approval from a token revocation of the same shape).
 *
 * Round trips of lock/unlock (with and without a lock id), of token and
 * key revocations, of pairings and of attestations (down to the limits of
 * each field); then every refusal: signer not enrolled, bad signature,
 * each kind presented as every other (domain separation), wrong home or
 * carrier, iat outside the skew (and exactly at it), oversized input,
 * strict claims of every kind, and every single bit flip.
 */
#include <stdint.h>
#include <string.h>

#include "porter/cbor.h"
#include "porter/cose.h"
#include "porter/cred.h"
#include "porter/crypto.h"
#include "porter/envelope.h"
#include "porter/live.h"
#include "t.h"

#define HOME "home-7f3a"
#define CARRIER "c-0123456789abcdef"
#define SKEW 300u

/* External AADs of the newer kinds (lib/core/envelope.c; not in cred.h). */
#define AAD_PAIRING "porter/pairing/v2"
#define AAD_PAIRING_V1 "porter/pairing/v1"	/* verify-only (old statements) */
#define AAD_ATTESTATION "porter/attestation/v1"
#define AAD_OWNER "porter/owner/v1"

static const struct pt_crypto_ops *ops;
static const int64_t NOW = 1781085600;	/* 2026-06-10T10:00:00Z */

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

static struct key owner, owner2, stranger, carrier;
static uint8_t signers[2][PT_PK_LEN];	/* {owner2, owner} */
static uint8_t hub_pk[PT_PK_LEN];	/* the key a hub shows when pairing */

static void
env_cmd(struct pt_envelope *e, uint8_t op, const char *lock)
{
	memset(e, 0, sizeof(*e));
	e->kind = PT_ENV_COMMAND;
	strcpy(e->aud, HOME);
	e->iat = NOW;
	memset(e->nonce, 0x6e, PT_CTI_LEN);
	e->op = op;
	strcpy(e->lock, lock);
}

static void
env_rev(struct pt_envelope *e, uint8_t kind, const uint8_t *target, uint8_t len)
{
	memset(e, 0, sizeof(*e));
	e->kind = PT_ENV_REVOCATION;
	strcpy(e->aud, HOME);
	e->iat = NOW;
	memset(e->nonce, 0x72, PT_CTI_LEN);
	e->op = kind;
	memcpy(e->target, target, len);
	e->target_len = len;
}

static void
env_pair(struct pt_envelope *e, const uint8_t *hub_key, uint8_t code_fill)
{
	memset(e, 0, sizeof(*e));
	e->kind = PT_ENV_PAIRING;
	strcpy(e->aud, HOME);
	e->iat = NOW;
	memset(e->nonce, code_fill, PT_CTI_LEN);
	e->op = 0;
	memcpy(e->target, hub_key, PT_PK_LEN);
	e->target_len = PT_PK_LEN;
}

static void
env_att(struct pt_envelope *e, uint8_t level, const char *courier, const char *name)
{
	memset(e, 0, sizeof(*e));
	e->kind = PT_ENV_ATTESTATION;
	strcpy(e->aud, CARRIER);
	e->iat = NOW;
	memset(e->nonce, 0x61, PT_CTI_LEN);
	e->op = level;
	strcpy(e->lock, courier);
	strcpy(e->name, name);
}

static void
env_owner(struct pt_envelope *e, const uint8_t *new_key)
{
	memset(e, 0, sizeof(*e));
	e->kind = PT_ENV_OWNER;
	strcpy(e->aud, HOME);
	e->iat = NOW;
	memset(e->nonce, 0x6f, PT_CTI_LEN);
	e->op = PT_OWNER_ADD;
	memcpy(e->target, new_key, PT_PK_LEN);
	e->target_len = PT_PK_LEN;
}

static void
env_hubhome(struct pt_envelope *e, const uint8_t *owner_key)
{
	memset(e, 0, sizeof(*e));
	e->kind = PT_ENV_HUB_HOME;
	strcpy(e->aud, HOME);
	e->iat = NOW;
	memset(e->nonce, 0x68, PT_CTI_LEN);
	e->op = PT_HUB_HOME_PAIRED;
	memcpy(e->target, owner_key, PT_PK_LEN);
	e->target_len = PT_PK_LEN;
}

/* A viewer's X25519 key (from a fixed seed, made in main). */
static uint8_t viewer_xpk[PT_LIVE_XPK_LEN];

/* An approval: the request id (nonce) and the session, each 16 x a byte. */
static void
env_appr(struct pt_envelope *e, uint8_t op, uint8_t request_fill, uint8_t session_fill)
{
	memset(e, 0, sizeof(*e));
	e->kind = PT_ENV_APPROVAL;
	strcpy(e->aud, HOME);
	e->iat = NOW;
	memset(e->nonce, request_fill, PT_CTI_LEN);
	e->op = op;
	memset(e->target, session_fill, PT_CTI_LEN);
	e->target_len = PT_CTI_LEN;
}

static void
env_live(struct pt_envelope *e, const uint8_t *xpk, const char *camera)
{
	memset(e, 0, sizeof(*e));
	e->kind = PT_ENV_LIVE;
	strcpy(e->aud, HOME);
	e->iat = NOW;
	e->exp = NOW + 300;
	memset(e->nonce, 0x4c, PT_CTI_LEN);
	e->op = PT_LIVE_VIEW;
	memcpy(e->target, xpk, PT_LIVE_XPK_LEN);
	e->target_len = PT_LIVE_XPK_LEN;
	strcpy(e->lock, camera);
}

static int
verify(const uint8_t *p, size_t n, enum pt_envelope_kind kind, const char *home, int64_t now,
       uint32_t skew, struct pt_envelope *out, size_t *idx)
{
	return pt_envelope_verify(ops, p, n, kind, (const uint8_t(*)[PT_PK_LEN])signers, 2, home, now,
				  skew, out, idx);
}

static bool
env_zero(const struct pt_envelope *e)
{
	static const struct pt_envelope zero;

	return memcmp(e, &zero, sizeof(*e)) == 0;
}

/* Bytes [from, to) of p are all zero. */
static bool
is_zero_tail(const uint8_t *p, size_t from, size_t to)
{
	for (; from < to; from++)
		if (p[from] != 0)
			return false;
	return true;
}

/* Verify expecting a refusal: code, and nothing left in *e. */
static void
refuse(const char *what, const uint8_t *p, size_t n, enum pt_envelope_kind kind, const char *home,
       int64_t now, int want)
{
	struct pt_envelope e;
	size_t idx = 77;
	int r;

	memset(&e, 0x5a, sizeof(e));
	r = verify(p, n, kind, home, now, SKEW, &e, &idx);
	T_OK(r == want, "%s: %s (got %s)", what, pt_err_code(want), pt_err_code(r));
	T_OK(env_zero(&e) && idx == 0, "%s: envelope zeroed, signer index 0", what);
}

/* Sign hand-built claims as an envelope of kind. */
static int
sign_claims(struct key *by, enum pt_envelope_kind kind, const uint8_t *claims, size_t n,
	    uint8_t *out, size_t cap, size_t *len)
{
	uint8_t kid[PT_KID_LEN];
	const char *aad = kind == PT_ENV_COMMAND      ? PT_AAD_COMMAND :
			  kind == PT_ENV_REVOCATION   ? PT_AAD_REVOCATION :
			  kind == PT_ENV_PAIRING      ? AAD_PAIRING :
			  kind == PT_ENV_ATTESTATION  ? AAD_ATTESTATION :
			  kind == PT_ENV_OWNER        ? AAD_OWNER :
			  kind == PT_ENV_LIVE         ? PT_LIVE_REQUEST_DOMAIN :
			  kind == PT_ENV_APPROVAL     ? PT_AAD_APPROVAL : PT_AAD_GRANT;

	pt_kid(ops, by->pk, kid);
	return pt_sign1_sign(&by->sg, kid, PT_KID_LEN, (const uint8_t *)aad, strlen(aad), claims, n,
			     out, cap, len);
}

/* Claims {3: home, 6: iat, 7: nonce, -65537: porter} with porter given raw. */
static size_t
claims_with(uint8_t *out, size_t cap, const uint8_t *porter, size_t plen, int extra)
{
	struct pt_cbor_wr w;
	static const uint8_t nonce[PT_CTI_LEN] = {1, 2, 3};

	pt_cbor_wr_init(&w, out, cap);
	pt_cbor_put_map(&w, extra == 1 ? 5 : 4);
	pt_cbor_put_int(&w, PT_CWT_AUD);
	pt_cbor_put_text(&w, HOME, strlen(HOME));
	if (extra == 1) {
		pt_cbor_put_int(&w, PT_CWT_EXP);
		pt_cbor_put_uint(&w, (uint64_t)NOW + 60);
	}
	pt_cbor_put_int(&w, PT_CWT_IAT);
	if (extra == 2)
		pt_cbor_put_raw(&w, (const uint8_t *)"\x1b\x00\x00\x00\x00\x6a\x29\x34\xa0", 9);
	else
		pt_cbor_put_uint(&w, (uint64_t)NOW);
	pt_cbor_put_int(&w, PT_CWT_CTI);
	pt_cbor_put_bytes(&w, nonce, sizeof(nonce));
	pt_cbor_put_int(&w, PT_CWT_PORTER);
	pt_cbor_put_raw(&w, porter, plen);
	if (extra == 3)
		pt_cbor_put_raw(&w, (const uint8_t *)"\x00", 1);
	return pt_cbor_wr_status(&w) == PT_OK ? w.len : 0;
}

static void
test_roundtrip(void)
{
	struct pt_envelope e, d;
	uint8_t out[PT_ENVELOPE_SIZE_MAX], kid[PT_KID_LEN];
	uint8_t cti[PT_CTI_LEN], pk[PT_PK_LEN];
	size_t n, idx;
	int r;

	pt_kid(ops, owner.pk, kid);
	env_cmd(&e, PT_CMD_UNLOCK, "front");
	T_EQ(pt_envelope_sign(ops, &owner.sg, &e, out, sizeof(out), &n), PT_OK, "unlock front: signed");
	printf("# unlock command with a lock id: %zu bytes\n", n);
	T_OK(memcmp(e.kid, kid, PT_KID_LEN) == 0, "unlock front: sign sets the key id");
	r = verify(out, n, PT_ENV_COMMAND, HOME, NOW, SKEW, &d, &idx);
	T_EQ(r, PT_OK, "unlock front: verifies");
	T_OK(d.kind == PT_ENV_COMMAND && d.op == PT_CMD_UNLOCK && strcmp(d.lock, "front") == 0 &&
		     strcmp(d.aud, HOME) == 0 && d.iat == NOW &&
		     memcmp(d.nonce, e.nonce, PT_CTI_LEN) == 0 &&
		     memcmp(d.kid, kid, PT_KID_LEN) == 0 && idx == 1,
	     "unlock front: every field back, signer index 1");

	env_cmd(&e, PT_CMD_LOCK, "");
	T_EQ(pt_envelope_sign(ops, &owner2.sg, &e, out, sizeof(out), &n), PT_OK, "lock all: signed");
	r = verify(out, n, PT_ENV_COMMAND, HOME, NOW, SKEW, &d, &idx);
	T_OK(r == PT_OK && d.op == PT_CMD_LOCK && d.lock[0] == '\0' && idx == 0,
	     "lock (every lock): verifies, lock \"\", signer index 0");

	env_cmd(&e, PT_CMD_LOCK, "back-door_2.x");
	T_OK(pt_envelope_sign(ops, &owner.sg, &e, out, sizeof(out), &n) == PT_OK &&
		     verify(out, n, PT_ENV_COMMAND, HOME, NOW, SKEW, &d, &idx) == PT_OK &&
		     d.op == PT_CMD_LOCK && strcmp(d.lock, "back-door_2.x") == 0,
	     "lock back-door_2.x: round trip");

	{
		char longid[PT_ID_MAX + 1];
		memset(longid, 'L', PT_ID_MAX);
		longid[PT_ID_MAX] = '\0';
		env_cmd(&e, PT_CMD_UNLOCK, longid);
		memset(e.aud, 'H', PT_ID_MAX);
		e.aud[PT_ID_MAX] = '\0';
		r = pt_envelope_sign(ops, &owner.sg, &e, out, sizeof(out), &n);
		T_OK(r == PT_OK && verify(out, n, PT_ENV_COMMAND, e.aud, NOW, SKEW, &d, &idx) == PT_OK &&
			     strcmp(d.lock, longid) == 0,
		     "64-byte home and lock ids: round trip (%zu bytes)", n);
	}

	memset(cti, 0xc7, sizeof(cti));
	env_rev(&e, PT_REVOKE_TOKEN, cti, PT_CTI_LEN);
	T_EQ(pt_envelope_sign(ops, &owner.sg, &e, out, sizeof(out), &n), PT_OK,
	     "revoke token: signed");
	r = verify(out, n, PT_ENV_REVOCATION, HOME, NOW, SKEW, &d, &idx);
	T_OK(r == PT_OK && d.kind == PT_ENV_REVOCATION && d.op == PT_REVOKE_TOKEN &&
		     d.target_len == PT_CTI_LEN && memcmp(d.target, cti, PT_CTI_LEN) == 0 && idx == 1,
	     "revoke token: verifies with its target");

	memcpy(pk, stranger.pk, PT_PK_LEN);
	env_rev(&e, PT_REVOKE_KEY, pk, PT_PK_LEN);
	T_EQ(pt_envelope_sign(ops, &owner.sg, &e, out, sizeof(out), &n), PT_OK, "revoke key: signed");
	r = verify(out, n, PT_ENV_REVOCATION, HOME, NOW, SKEW, &d, &idx);
	T_OK(r == PT_OK && d.op == PT_REVOKE_KEY && d.target_len == PT_PK_LEN &&
		     memcmp(d.target, pk, PT_PK_LEN) == 0,
	     "revoke key: verifies with its target");
}

static void
test_sign_refusals(void)
{
	struct pt_envelope e;
	uint8_t out[PT_ENVELOPE_SIZE_MAX], t[PT_PK_LEN] = {1};
	size_t n;

	env_cmd(&e, PT_CMD_UNLOCK, "front");
	e.kind = 3;
	T_EQ(pt_envelope_sign(ops, &owner.sg, &e, out, sizeof(out), &n), PT_EMALFORMED, "sign: kind 3");
	env_cmd(&e, 3, "front");
	T_EQ(pt_envelope_sign(ops, &owner.sg, &e, out, sizeof(out), &n), PT_EMALFORMED, "sign: op 3");
	env_cmd(&e, 0, "front");
	T_EQ(pt_envelope_sign(ops, &owner.sg, &e, out, sizeof(out), &n), PT_EMALFORMED, "sign: op 0");
	env_cmd(&e, PT_CMD_LOCK, "front");
	e.aud[0] = '\0';
	T_EQ(pt_envelope_sign(ops, &owner.sg, &e, out, sizeof(out), &n), PT_EMALFORMED,
	     "sign: empty home");
	env_cmd(&e, PT_CMD_LOCK, "front");
	e.iat = -1;
	T_EQ(pt_envelope_sign(ops, &owner.sg, &e, out, sizeof(out), &n), PT_EMALFORMED,
	     "sign: negative iat");
	env_cmd(&e, PT_CMD_LOCK, "front");
	memset(e.aud, 'a', sizeof(e.aud));
	T_EQ(pt_envelope_sign(ops, &owner.sg, &e, out, sizeof(out), &n), PT_EMALFORMED,
	     "sign: 65-byte home id");
	env_rev(&e, PT_REVOKE_KEY, t, PT_CTI_LEN);
	T_EQ(pt_envelope_sign(ops, &owner.sg, &e, out, sizeof(out), &n), PT_EMALFORMED,
	     "sign: key revocation with a 16-byte target");
	env_rev(&e, PT_REVOKE_TOKEN, t, PT_PK_LEN);
	T_EQ(pt_envelope_sign(ops, &owner.sg, &e, out, sizeof(out), &n), PT_EMALFORMED,
	     "sign: token revocation with a 32-byte target");
	env_rev(&e, 3, t, PT_CTI_LEN);
	T_EQ(pt_envelope_sign(ops, &owner.sg, &e, out, sizeof(out), &n), PT_EMALFORMED,
	     "sign: revocation kind 3");
	env_cmd(&e, PT_CMD_LOCK, "front");
	T_EQ(pt_envelope_sign(ops, &owner.sg, &e, out, 40, &n), PT_ENOSPC, "sign: into 40 bytes");
	/* The signer must not produce what its verifier will refuse. */
	env_cmd(&e, PT_CMD_LOCK, "front");
	strcpy(e.aud, "../x");
	T_EQ(pt_envelope_sign(ops, &owner.sg, &e, out, sizeof(out), &n), PT_EMALFORMED,
	     "sign: home id \"../x\" refused (the verifier refuses it)");
	env_cmd(&e, PT_CMD_LOCK, "a/b");
	T_EQ(pt_envelope_sign(ops, &owner.sg, &e, out, sizeof(out), &n), PT_EMALFORMED,
	     "sign: lock id \"a/b\" refused (the verifier refuses it)");
}

static void
test_refusals(void)
{
	struct pt_envelope e, d;
	uint8_t cmd[PT_ENVELOPE_SIZE_MAX], rev[PT_ENVELOPE_SIZE_MAX], buf[PT_ENVELOPE_SIZE_MAX + 16];
	uint8_t cti[PT_CTI_LEN];
	size_t cn, rn, n, idx;

	env_cmd(&e, PT_CMD_UNLOCK, "front");
	T_EQ(pt_envelope_sign(ops, &owner.sg, &e, cmd, sizeof(cmd), &cn), PT_OK, "command signed");
	memset(cti, 0xc7, sizeof(cti));
	env_rev(&e, PT_REVOKE_TOKEN, cti, PT_CTI_LEN);
	T_EQ(pt_envelope_sign(ops, &owner.sg, &e, rev, sizeof(rev), &rn), PT_OK, "revocation signed");

	/* Signer not enrolled. */
	env_cmd(&e, PT_CMD_UNLOCK, "front");
	T_EQ(pt_envelope_sign(ops, &stranger.sg, &e, buf, sizeof(buf), &n), PT_OK, "stranger signs");
	refuse("untrusted-signer: command by a stranger", buf, n, PT_ENV_COMMAND, HOME, NOW,
	       PT_EUNTRUSTEDCMD);
	{
		struct pt_envelope dd;
		size_t ii;
		int r = pt_envelope_verify(ops, cmd, cn, PT_ENV_COMMAND, NULL, 0, HOME, NOW, SKEW, &dd, &ii);
		T_EQ(r, PT_EUNTRUSTEDCMD, "untrusted-signer: no signers at all");
		r = pt_envelope_verify(ops, cmd, cn, PT_ENV_COMMAND,
				       (const uint8_t(*)[PT_PK_LEN])signers, 1, HOME, NOW, SKEW, &dd,
				       &ii);
		T_EQ(r, PT_EUNTRUSTEDCMD, "untrusted-signer: the owner is not in the list given");
	}
	env_rev(&e, PT_REVOKE_KEY, owner.pk, PT_PK_LEN);
	T_EQ(pt_envelope_sign(ops, &stranger.sg, &e, buf, sizeof(buf), &n), PT_OK,
	     "stranger signs a revocation of the owner's key");
	refuse("untrusted-signer: revocation by a stranger", buf, n, PT_ENV_REVOCATION, HOME, NOW,
	       PT_EUNTRUSTEDCMD);

	/* Bad signature. */
	memcpy(buf, cmd, cn);
	buf[cn - 1] ^= 0x40;
	refuse("bad-signature: last signature byte", buf, cn, PT_ENV_COMMAND, HOME, NOW, PT_EBADSIG);
	memcpy(buf, cmd, cn);
	buf[cn - 64] ^= 0x01;
	refuse("bad-signature: first signature byte", buf, cn, PT_ENV_COMMAND, HOME, NOW, PT_EBADSIG);

	/* Domain separation. */
	refuse("a command presented as a revocation", cmd, cn, PT_ENV_REVOCATION, HOME, NOW,
	       PT_EBADSIG);
	refuse("a revocation presented as a command", rev, rn, PT_ENV_COMMAND, HOME, NOW, PT_EBADSIG);
	{
		/* A grant link by the owner presented as a command. */
		struct pt_grant g;
		uint8_t link[PT_LINK_SIZE_MAX];
		size_t ln;
		memset(&g, 0, sizeof(g));
		strcpy(g.aud, HOME);
		memset(g.cti, 7, PT_CTI_LEN);
		memcpy(g.holder, owner.pk, PT_PK_LEN);
		g.purpose = PT_PURPOSE_RESIDENT;
		T_EQ(pt_grant_sign(ops, &owner.sg, &g, link, sizeof(link), &ln), PT_OK, "grant signed");
		refuse("a grant presented as a command", link, ln, PT_ENV_COMMAND, HOME, NOW, PT_EBADSIG);
		refuse("a grant presented as a revocation", link, ln, PT_ENV_REVOCATION, HOME, NOW,
		       PT_EBADSIG);
	}
	{
		/* Command claims signed with the revocation AAD: the claims don't fit either way. */
		uint8_t porter[] = {0xa1, 0x01, PT_CMD_UNLOCK};
		uint8_t claims[128];
		size_t n_claims = claims_with(claims, sizeof(claims), porter, sizeof(porter), 0);
		T_OK(n_claims > 0 &&
			     sign_claims(&owner, PT_ENV_REVOCATION, claims, n_claims, buf, sizeof(buf),
					 &n) == PT_OK,
		     "command claims under the revocation AAD: signed");
		refuse("command claims under the revocation AAD, as a command", buf, n, PT_ENV_COMMAND,
		       HOME, NOW, PT_EBADSIG);
		refuse("command claims under the revocation AAD, as a revocation", buf, n,
		       PT_ENV_REVOCATION, HOME, NOW, PT_EMALFORMED);
	}

	/* Wrong home. */
	refuse("wrong-home: another home", cmd, cn, PT_ENV_COMMAND, "home-0000", NOW, PT_EAUDIENCE);
	refuse("wrong-home: a prefix of the home", cmd, cn, PT_ENV_COMMAND, "home-7f3", NOW,
	       PT_EAUDIENCE);
	refuse("wrong-home: no home id", cmd, cn, PT_ENV_COMMAND, NULL, NOW, PT_EAUDIENCE);

	/* Freshness. */
	T_EQ(verify(cmd, cn, PT_ENV_COMMAND, HOME, NOW + SKEW, SKEW, &d, &idx), PT_OK,
	     "iat exactly skew in the past: accepted");
	T_EQ(verify(cmd, cn, PT_ENV_COMMAND, HOME, NOW - SKEW, SKEW, &d, &idx), PT_OK,
	     "iat exactly skew in the future: accepted");
	refuse("stale: iat skew + 1 s in the past", cmd, cn, PT_ENV_COMMAND, HOME, NOW + SKEW + 1,
	       PT_ESTALE);
	refuse("stale: iat skew + 1 s in the future", cmd, cn, PT_ENV_COMMAND, HOME, NOW - SKEW - 1,
	       PT_ESTALE);
	refuse("stale: revocation a day old", rev, rn, PT_ENV_REVOCATION, HOME, NOW + 86400, PT_ESTALE);
	T_EQ(verify(cmd, cn, PT_ENV_COMMAND, HOME, NOW, 0, &d, &idx), PT_OK, "skew 0, iat == now: accepted");
	T_EQ(verify(cmd, cn, PT_ENV_COMMAND, HOME, NOW + 1, 0, &d, &idx), PT_ESTALE,
	     "skew 0, 1 s later: stale");

	/* Size. */
	memset(buf, 0, sizeof(buf));
	memcpy(buf, cmd, cn);
	refuse("too-large: 513 bytes", buf, PT_ENVELOPE_SIZE_MAX + 1, PT_ENV_COMMAND, HOME, NOW,
	       PT_ETOOBIG);
	refuse("512 bytes (a command and zero padding): malformed", buf, PT_ENVELOPE_SIZE_MAX,
	       PT_ENV_COMMAND, HOME, NOW, PT_EMALFORMED);
	refuse("a byte after the command: malformed", buf, cn + 1, PT_ENV_COMMAND, HOME, NOW,
	       PT_EMALFORMED);
	refuse("command cut by a byte: malformed", buf, cn - 1, PT_ENV_COMMAND, HOME, NOW,
	       PT_EMALFORMED);
	refuse("empty input: malformed", buf, 0, PT_ENV_COMMAND, HOME, NOW, PT_EMALFORMED);
	refuse("untagged command: malformed", cmd + 1, cn - 1, PT_ENV_COMMAND, HOME, NOW,
	       PT_EMALFORMED);

	/* Every bit flip. */
	{
		size_t bit, bad = 0, total = 0;
		int pass;
		for (pass = 0; pass < 2; pass++) {
			uint8_t *p = pass == 0 ? cmd : rev;
			size_t len = pass == 0 ? cn : rn;
			enum pt_envelope_kind kind = pass == 0 ? PT_ENV_COMMAND : PT_ENV_REVOCATION;
			for (bit = 0; bit < len * 8; bit++) {
				int r;
				p[bit / 8] ^= (uint8_t)(1u << (bit % 8));
				memset(&d, 0x5a, sizeof(d));
				r = verify(p, len, kind, HOME, NOW, SKEW, &d, &idx);
				if (r == PT_OK || !env_zero(&d))
					bad++;
				total++;
				p[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			}
		}
		T_EQ(bad, 0, "every one of %zu single bit flips (command and revocation) refused", total);
		T_OK(verify(cmd, cn, PT_ENV_COMMAND, HOME, NOW, SKEW, &d, &idx) == PT_OK &&
			     verify(rev, rn, PT_ENV_REVOCATION, HOME, NOW, SKEW, &d, &idx) == PT_OK,
		     "the unflipped originals still verify");
	}
}

static void
test_strict_claims(void)
{
	/* porter: the first hlen bytes given, then filler 'A' up to plen. */
	static const struct {
		const char *what;
		enum pt_envelope_kind kind;
		uint8_t porter[24];
		size_t hlen, plen;
		int extra;
		int want;
	} cases[] = {
		{"well-formed unlock (control)", PT_ENV_COMMAND, {0xa1, 0x01, 0x02}, 3, 3, 0, PT_OK},
		{"well-formed token revocation (control)", PT_ENV_REVOCATION,
		 {0xa2, 0x01, 0x01, 0x02, 0x50}, 5, 21, 0, PT_OK},
		{"well-formed key revocation (control)", PT_ENV_REVOCATION,
		 {0xa2, 0x01, 0x02, 0x02, 0x58, 0x20}, 6, 38, 0, PT_OK},
		{"revocation without a target", PT_ENV_REVOCATION, {0xa1, 0x01, 0x01}, 3, 3, 0,
		 PT_EMALFORMED},
		{"token revocation with a 32-byte target", PT_ENV_REVOCATION,
		 {0xa2, 0x01, 0x01, 0x02, 0x58, 0x20}, 6, 38, 0, PT_EMALFORMED},
		{"revocation with a 20-byte target", PT_ENV_REVOCATION, {0xa2, 0x01, 0x01, 0x02, 0x54}, 5,
		 25, 0, PT_EMALFORMED},
		{"revocation with a 33-byte target", PT_ENV_REVOCATION,
		 {0xa2, 0x01, 0x02, 0x02, 0x58, 0x21}, 6, 39, 0, PT_EMALFORMED},
		{"revocation with a text target", PT_ENV_REVOCATION, {0xa2, 0x01, 0x01, 0x02, 0x70}, 5, 21,
		 0, PT_EMALFORMED},
		{"revocation kind 3", PT_ENV_REVOCATION, {0xa2, 0x01, 0x03, 0x02, 0x50}, 5, 21, 0,
		 PT_EMALFORMED},
		{"command op 3", PT_ENV_COMMAND, {0xa1, 0x01, 0x03}, 3, 3, 0, PT_EMALFORMED},
		{"command op 0", PT_ENV_COMMAND, {0xa1, 0x01, 0x00}, 3, 3, 0, PT_EMALFORMED},
		{"command op as 18 02", PT_ENV_COMMAND, {0xa1, 0x01, 0x18, 0x02}, 4, 4, 0, PT_EMALFORMED},
		{"command with lock \"\"", PT_ENV_COMMAND, {0xa2, 0x01, 0x02, 0x02, 0x60}, 5, 5, 0,
		 PT_EMALFORMED},
		{"command with lock \"a/b\"", PT_ENV_COMMAND,
		 {0xa2, 0x01, 0x02, 0x02, 0x63, 'a', '/', 'b'}, 8, 8, 0, PT_EMALFORMED},
		{"command with lock \"..\"", PT_ENV_COMMAND, {0xa2, 0x01, 0x02, 0x02, 0x62, '.', '.'}, 7,
		 7, 0, PT_EMALFORMED},
		{"command with lock \".hidden\"", PT_ENV_COMMAND,
		 {0xa2, 0x01, 0x02, 0x02, 0x67, '.', 'h', 'i', 'd', 'd', 'e', 'n'}, 12, 12, 0,
		 PT_EMALFORMED},
		{"command with lock ESC x", PT_ENV_COMMAND, {0xa2, 0x01, 0x02, 0x02, 0x62, 0x1b, 'x'}, 7, 7,
		 0, PT_EMALFORMED},
		{"command with a 65-byte lock", PT_ENV_COMMAND, {0xa2, 0x01, 0x02, 0x02, 0x78, 0x41}, 6, 71,
		 0, PT_EMALFORMED},
		{"command with a bytes lock", PT_ENV_COMMAND, {0xa2, 0x01, 0x02, 0x02, 0x41, 'x'}, 6, 6, 0,
		 PT_EMALFORMED},
		{"porter key 3", PT_ENV_COMMAND, {0xa2, 0x01, 0x02, 0x03, 0x00}, 5, 5, 0, PT_EMALFORMED},
		{"porter keys out of order", PT_ENV_COMMAND, {0xa2, 0x02, 0x61, 'x', 0x01, 0x02}, 6, 6, 0,
		 PT_EMALFORMED},
		{"porter keys duplicated", PT_ENV_COMMAND, {0xa2, 0x01, 0x02, 0x01, 0x02}, 5, 5, 0,
		 PT_EMALFORMED},
		{"porter map empty", PT_ENV_COMMAND, {0xa0}, 1, 1, 0, PT_EMALFORMED},
		{"porter map indefinite", PT_ENV_COMMAND, {0xbf, 0x01, 0x02, 0xff}, 4, 4, 0, PT_EMALFORMED},
		{"porter is an array", PT_ENV_COMMAND, {0x81, 0x02}, 2, 2, 0, PT_EMALFORMED},
		{"an extra claim (exp)", PT_ENV_COMMAND, {0xa1, 0x01, 0x02}, 3, 3, 1, PT_EMALFORMED},
		{"iat in a 9-byte head", PT_ENV_COMMAND, {0xa1, 0x01, 0x02}, 3, 3, 2, PT_EMALFORMED},
		{"a byte after the claims", PT_ENV_COMMAND, {0xa1, 0x01, 0x02}, 3, 3, 3, PT_EMALFORMED},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t porter[80], claims[200], out[PT_ENVELOPE_SIZE_MAX];
		size_t cl, n = 0;
		struct pt_envelope d;
		size_t idx;
		int r;

		memset(porter, 0x41, sizeof(porter));
		memcpy(porter, cases[i].porter, cases[i].hlen);
		cl = claims_with(claims, sizeof(claims), porter, cases[i].plen, cases[i].extra);
		T_OK(cl > 0 && sign_claims(&owner, cases[i].kind, claims, cl, out, sizeof(out), &n) == PT_OK,
		     "claims %s: signed", cases[i].what);
		memset(&d, 0x5a, sizeof(d));
		r = verify(out, n, cases[i].kind, HOME, NOW, SKEW, &d, &idx);
		T_OK(r == cases[i].want, "claims %s: %s (got %s)", cases[i].what,
		     pt_err_code(cases[i].want), pt_err_code(r));
		if (cases[i].want != PT_OK && r != PT_OK)
			T_OK(env_zero(&d), "claims %s: zeroed", cases[i].what);
	}

	/* Header profile. */
	{
		uint8_t claims[128], out[PT_ENVELOPE_SIZE_MAX], kid[PT_KID_LEN], sig[PT_SIG_LEN] = {0};
		uint8_t porter[] = {0xa1, 0x01, 0x02};
		size_t cl = claims_with(claims, sizeof(claims), porter, sizeof(porter), 0);
		struct {
			const char *what;
			uint8_t prot[24];
			size_t plen;
			bool unprot_kid;
			int want;
		} hc[] = {
			{"alg ES256", {0xa2, 0x01, 0x26, 0x04, 0x48}, 13, false, PT_EUNSUPPORTED},
			{"alg missing", {0xa1, 0x04, 0x48}, 11, false, PT_EUNSUPPORTED},
			{"crit [99]", {0xa3, 0x01, 0x27, 0x02, 0x81, 0x18, 0x63, 0x04, 0x48}, 17, false,
			 PT_EUNSUPPORTED},
			{"kid in the unprotected bucket too", {0xa2, 0x01, 0x27, 0x04, 0x48}, 13, true,
			 PT_EMALFORMED},
			{"kid of 7 bytes", {0xa2, 0x01, 0x27, 0x04, 0x47}, 12, false, PT_EMALFORMED},
			{"protected header empty", {0}, 0, false, PT_EUNSUPPORTED},
		};
		size_t k;

		pt_kid(ops, owner.pk, kid);
		for (k = 0; k < sizeof(hc) / sizeof(hc[0]); k++) {
			struct pt_cbor_wr w;
			struct pt_envelope d;
			size_t idx;
			uint8_t prot[32];
			size_t pl = hc[k].plen;
			int r;

			memcpy(prot, hc[k].prot, pl);
			/* the kid bytes follow its 0x48 (or 0x47) head */
			{
				size_t h;
				for (h = 0; h < pl; h++)
					if (hc[k].prot[h] == 0x48 || hc[k].prot[h] == 0x47) {
						size_t kl = hc[k].prot[h] - 0x40u;
						memcpy(prot + h + 1, kid, kl);
						break;
					}
			}
			pt_cbor_wr_init(&w, out, sizeof(out));
			pt_cbor_put_tag(&w, PT_COSE_TAG_SIGN1);
			pt_cbor_put_array(&w, 4);
			pt_cbor_put_bytes(&w, prot, pl);
			if (hc[k].unprot_kid) {
				pt_cbor_put_map(&w, 1);
				pt_cbor_put_int(&w, 4);
				pt_cbor_put_bytes(&w, kid, PT_KID_LEN);
			} else {
				pt_cbor_put_map(&w, 0);
			}
			pt_cbor_put_bytes(&w, claims, cl);
			pt_cbor_put_bytes(&w, sig, sizeof(sig));
			T_EQ(pt_cbor_wr_status(&w), PT_OK, "header %s: built", hc[k].what);
			r = verify(out, w.len, PT_ENV_COMMAND, HOME, NOW, SKEW, &d, &idx);
			T_OK(r == hc[k].want, "header %s: %s (got %s)", hc[k].what,
			     pt_err_code(hc[k].want), pt_err_code(r));
		}
	}
}

/* ---- pairings and attestations ---- */

static uint8_t att_signers[1][PT_PK_LEN];	/* {carrier} */

static int
verify_att(const uint8_t *p, size_t n, const char *carrier_id, int64_t now,
	   struct pt_envelope *out, size_t *idx)
{
	return pt_envelope_verify(ops, p, n, PT_ENV_ATTESTATION,
				  (const uint8_t(*)[PT_PK_LEN])att_signers, 1, carrier_id, now, SKEW,
				  out, idx);
}

/* Verify an attestation expecting a refusal: code, and nothing left in *e. */
static void
refuse_att(const char *what, const uint8_t *p, size_t n, const char *carrier_id, int64_t now,
	   int want)
{
	struct pt_envelope e;
	size_t idx = 77;
	int r;

	memset(&e, 0x5a, sizeof(e));
	r = verify_att(p, n, carrier_id, now, &e, &idx);
	T_OK(r == want, "%s: %s (got %s)", what, pt_err_code(want), pt_err_code(r));
	T_OK(env_zero(&e) && idx == 0, "%s: envelope zeroed, signer index 0", what);
}

static void
test_pairing_attestation_roundtrip(void)
{
	struct pt_envelope e, d;
	uint8_t out[PT_ENVELOPE_SIZE_MAX], kid[PT_KID_LEN], code[PT_CTI_LEN];
	size_t n, idx;
	int r;

	/* Pairing: an owner key says the hub with hub_pk belongs to HOME. */
	env_pair(&e, hub_pk, 0x3c);
	memcpy(code, e.nonce, PT_CTI_LEN);
	T_EQ(pt_envelope_sign(ops, &owner.sg, &e, out, sizeof(out), &n), PT_OK, "pairing: signed");
	printf("# pairing: %zu bytes\n", n);
	pt_kid(ops, owner.pk, kid);
	memset(&d, 0x5a, sizeof(d));
	r = verify(out, n, PT_ENV_PAIRING, HOME, NOW, SKEW, &d, &idx);
	T_EQ(r, PT_OK, "pairing: verifies");
	T_OK(d.kind == PT_ENV_PAIRING && d.op == 0 && strcmp(d.aud, HOME) == 0 && d.iat == NOW &&
		     memcmp(d.nonce, code, PT_CTI_LEN) == 0 && d.target_len == PT_PK_LEN &&
		     memcmp(d.target, hub_pk, PT_PK_LEN) == 0 && memcmp(d.kid, kid, PT_KID_LEN) == 0 &&
		     idx == 1,
	     "pairing: home, code, hub key, key id back; signer index 1");
	T_OK(d.lock[0] == '\0' && d.name[0] == '\0', "pairing: no courier id, no name");
	env_pair(&e, hub_pk, 0x3d);
	T_OK(pt_envelope_sign(ops, &owner2.sg, &e, out, sizeof(out), &n) == PT_OK &&
		     verify(out, n, PT_ENV_PAIRING, HOME, NOW, SKEW, &d, &idx) == PT_OK && idx == 0,
	     "pairing by the second owner: verifies, signer index 0");

	/* Attestation: the carrier's key vouches for courier 7. */
	env_att(&e, 2, "7", "Ben K.");
	T_EQ(pt_envelope_sign(ops, &carrier.sg, &e, out, sizeof(out), &n), PT_OK,
	     "attestation: signed");
	printf("# attestation: %zu bytes\n", n);
	pt_kid(ops, carrier.pk, kid);
	memset(&d, 0x5a, sizeof(d));
	r = verify_att(out, n, CARRIER, NOW, &d, &idx);
	T_EQ(r, PT_OK, "attestation: verifies");
	T_OK(d.kind == PT_ENV_ATTESTATION && d.op == 2 && strcmp(d.aud, CARRIER) == 0 &&
		     d.iat == NOW && strcmp(d.lock, "7") == 0 && strcmp(d.name, "Ben K.") == 0 &&
		     memcmp(d.nonce, e.nonce, PT_CTI_LEN) == 0 &&
		     memcmp(d.kid, kid, PT_KID_LEN) == 0 && idx == 0,
	     "attestation: carrier, level, courier id, name, key id back");
	T_OK(d.target_len == 0, "attestation: no target");

	/* Each level; the limits of each field. */
	{
		uint8_t lv;
		bool all = true;
		for (lv = 1; lv <= 3; lv++) {
			env_att(&e, lv, "18446744073709551615", "A");
			all = all && pt_envelope_sign(ops, &carrier.sg, &e, out, sizeof(out), &n) == PT_OK &&
			      verify_att(out, n, CARRIER, NOW, &d, &idx) == PT_OK && d.op == lv;
		}
		T_OK(all, "attestation: levels 1, 2, 3 round trip (20-digit id, 1-byte name)");
	}
	{
		char name[101], cid[PT_ID_MAX + 1];
		size_t i;
		/* 100 bytes of UTF-8: "Zoë " then multi-byte letters to the limit. */
		memcpy(name, "Zo\xc3\xab ", 5);
		for (i = 5; i + 2 <= 100; i += 2)
			memcpy(name + i, "\xc3\xa9", 2);
		while (i < 100)
			name[i++] = 'x';
		name[100] = '\0';
		memset(cid, 'c', PT_ID_MAX);
		cid[PT_ID_MAX] = '\0';
		env_att(&e, 3, "99999999999999999999", name);
		strcpy(e.aud, cid);
		r = pt_envelope_sign(ops, &carrier.sg, &e, out, sizeof(out), &n);
		T_OK(r == PT_OK && verify_att(out, n, cid, NOW, &d, &idx) == PT_OK &&
			     strcmp(d.name, name) == 0 && strlen(d.name) == 100 &&
			     strcmp(d.lock, "99999999999999999999") == 0,
		     "attestation with a 64-byte carrier id, 20 digits and a 100-byte name: round trip "
		     "(%zu bytes)", n);
	}
}

static void
test_pairing_attestation_sign_refusals(void)
{
	struct pt_envelope e;
	uint8_t out[PT_ENVELOPE_SIZE_MAX];
	size_t n;
	char name[128];

	env_pair(&e, hub_pk, 1);
	e.op = 1;
	T_EQ(pt_envelope_sign(ops, &owner.sg, &e, out, sizeof(out), &n), PT_EMALFORMED,
	     "sign: pairing with op 1");
	env_pair(&e, hub_pk, 1);
	e.target_len = PT_CTI_LEN;
	T_EQ(pt_envelope_sign(ops, &owner.sg, &e, out, sizeof(out), &n), PT_EMALFORMED,
	     "sign: pairing with a 16-byte key");
	env_pair(&e, hub_pk, 1);
	e.target_len = 0;
	T_EQ(pt_envelope_sign(ops, &owner.sg, &e, out, sizeof(out), &n), PT_EMALFORMED,
	     "sign: pairing without a key");
	env_pair(&e, hub_pk, 1);
	strcpy(e.aud, "a b");
	T_EQ(pt_envelope_sign(ops, &owner.sg, &e, out, sizeof(out), &n), PT_EMALFORMED,
	     "sign: pairing for home \"a b\"");

	env_att(&e, 0, "7", "Ben");
	T_EQ(pt_envelope_sign(ops, &carrier.sg, &e, out, sizeof(out), &n), PT_EMALFORMED,
	     "sign: attestation level 0");
	env_att(&e, 4, "7", "Ben");
	T_EQ(pt_envelope_sign(ops, &carrier.sg, &e, out, sizeof(out), &n), PT_EMALFORMED,
	     "sign: attestation level 4");
	env_att(&e, 1, "", "Ben");
	T_EQ(pt_envelope_sign(ops, &carrier.sg, &e, out, sizeof(out), &n), PT_EMALFORMED,
	     "sign: attestation without a courier id");
	env_att(&e, 1, "07", "Ben");
	T_EQ(pt_envelope_sign(ops, &carrier.sg, &e, out, sizeof(out), &n), PT_EMALFORMED,
	     "sign: courier id with a leading zero");
	env_att(&e, 1, "7a", "Ben");
	T_EQ(pt_envelope_sign(ops, &carrier.sg, &e, out, sizeof(out), &n), PT_EMALFORMED,
	     "sign: courier id \"7a\"");
	env_att(&e, 1, "-7", "Ben");
	T_EQ(pt_envelope_sign(ops, &carrier.sg, &e, out, sizeof(out), &n), PT_EMALFORMED,
	     "sign: courier id \"-7\"");
	env_att(&e, 1, "123456789012345678901", "Ben");
	T_EQ(pt_envelope_sign(ops, &carrier.sg, &e, out, sizeof(out), &n), PT_EMALFORMED,
	     "sign: courier id of 21 digits");
	env_att(&e, 1, "7", "");
	T_EQ(pt_envelope_sign(ops, &carrier.sg, &e, out, sizeof(out), &n), PT_EMALFORMED,
	     "sign: empty name");
	env_att(&e, 1, "7", "Ben\x1b[2J");
	T_EQ(pt_envelope_sign(ops, &carrier.sg, &e, out, sizeof(out), &n), PT_EMALFORMED,
	     "sign: name with an escape sequence");
	env_att(&e, 1, "7", "Ben\xc3");
	T_EQ(pt_envelope_sign(ops, &carrier.sg, &e, out, sizeof(out), &n), PT_EMALFORMED,
	     "sign: name with broken UTF-8");
	env_att(&e, 1, "7", "Ben");
	memset(e.name, 'N', sizeof(e.name));	/* 101 bytes, no terminator */
	T_EQ(pt_envelope_sign(ops, &carrier.sg, &e, out, sizeof(out), &n), PT_EMALFORMED,
	     "sign: name of 101 bytes (unterminated)");
	memset(name, 'N', 101);
	name[101] = '\0';
	env_att(&e, 1, "7", "Ben");
	memcpy(e.name, name, 100);
	e.name[100] = '\0';
	T_EQ(pt_envelope_sign(ops, &carrier.sg, &e, out, sizeof(out), &n), PT_OK,
	     "sign: name of exactly 100 bytes");
	env_att(&e, 1, "7", "Ben");
	e.kind = 5;
	T_EQ(pt_envelope_sign(ops, &carrier.sg, &e, out, sizeof(out), &n), PT_EMALFORMED,
	     "sign: kind 5");
	e.kind = 0;
	T_EQ(pt_envelope_sign(ops, &carrier.sg, &e, out, sizeof(out), &n), PT_EMALFORMED,
	     "sign: kind 0");
	env_att(&e, 1, "7", "Ben");
	T_EQ(pt_envelope_sign(ops, &carrier.sg, &e, out, 60, &n), PT_ENOSPC,
	     "sign: attestation into 60 bytes");
}

static void
test_cross_kind(void)
{
	static const enum pt_envelope_kind kinds[8] = {
		PT_ENV_COMMAND, PT_ENV_REVOCATION, PT_ENV_PAIRING,  PT_ENV_ATTESTATION,
		PT_ENV_OWNER,	PT_ENV_LIVE,	   PT_ENV_APPROVAL, PT_ENV_HUB_HOME};
	static const char *names[8] = {"command", "revocation", "pairing", "attestation", "owner",
				       "live", "approval", "hub-home"};
	uint8_t env[8][PT_ENVELOPE_SIZE_MAX], buf[PT_ENVELOPE_SIZE_MAX];
	size_t len[8], n = 0, i, j;
	struct pt_envelope e, d;
	uint8_t cti[PT_CTI_LEN];
	int r;

	/* One of each kind by the same owner key, for the same home, at the
	 * same time: only the AAD tells them apart. */
	memset(cti, 0xc7, sizeof(cti));
	env_cmd(&e, PT_CMD_UNLOCK, "front");
	r = pt_envelope_sign(ops, &owner.sg, &e, env[0], sizeof(env[0]), &len[0]);
	env_rev(&e, PT_REVOKE_KEY, hub_pk, PT_PK_LEN);
	r |= pt_envelope_sign(ops, &owner.sg, &e, env[1], sizeof(env[1]), &len[1]);
	env_pair(&e, hub_pk, 0x72);
	r |= pt_envelope_sign(ops, &owner.sg, &e, env[2], sizeof(env[2]), &len[2]);
	env_att(&e, 1, "7", "Ben");
	strcpy(e.aud, HOME);
	r |= pt_envelope_sign(ops, &owner.sg, &e, env[3], sizeof(env[3]), &len[3]);
	env_owner(&e, hub_pk);
	r |= pt_envelope_sign(ops, &owner.sg, &e, env[4], sizeof(env[4]), &len[4]);
	env_live(&e, viewer_xpk, "cam-front");
	r |= pt_envelope_sign(ops, &owner.sg, &e, env[5], sizeof(env[5]), &len[5]);
	env_appr(&e, PT_APPROVE, 0x72, 0xc7);
	r |= pt_envelope_sign(ops, &owner.sg, &e, env[6], sizeof(env[6]), &len[6]);
	env_hubhome(&e, hub_pk);
	r |= pt_envelope_sign(ops, &owner.sg, &e, env[7], sizeof(env[7]), &len[7]);
	T_EQ(r, PT_OK, "cross-kind: one of each kind signed by the owner");

	for (i = 0; i < 8; i++)
		for (j = 0; j < 8; j++) {
			size_t idx = 9;
			memset(&d, 0x5a, sizeof(d));
			r = verify(env[i], len[i], kinds[j], HOME, NOW, SKEW, &d, &idx);
			if (i == j)
				T_OK(r == PT_OK && d.kind == kinds[j], "cross-kind: %s as %s: verifies",
				     names[i], names[j]);
			else
				T_OK(r == PT_EBADSIG && env_zero(&d) && idx == 0,
				     "cross-kind: %s as %s: bad-signature (got %s), zeroed", names[i],
				     names[j], pt_err_code(r));
		}
	for (i = 0; i < 8; i++) {
		size_t idx;
		r = verify(env[i], len[i], (enum pt_envelope_kind)0, HOME, NOW, SKEW, &d, &idx);
		T_OK(r == PT_EINVAL && env_zero(&d), "cross-kind: %s as kind 0: invalid-argument",
		     names[i]);
		r = verify(env[i], len[i], (enum pt_envelope_kind)9, HOME, NOW, SKEW, &d, &idx);
		T_OK(r == PT_EINVAL && env_zero(&d), "cross-kind: %s as kind 9: invalid-argument",
		     names[i]);
		r = verify(env[i], len[i], (enum pt_envelope_kind)255, HOME, NOW, SKEW, &d, &idx);
		T_OK(r == PT_EINVAL && env_zero(&d), "cross-kind: %s as kind 255: invalid-argument",
		     names[i]);
	}

	/* A grant link presented as a pairing or an attestation. */
	{
		struct pt_grant g;
		uint8_t link[PT_LINK_SIZE_MAX];
		size_t ln;
		memset(&g, 0, sizeof(g));
		strcpy(g.aud, HOME);
		memset(g.cti, 7, PT_CTI_LEN);
		memcpy(g.holder, hub_pk, PT_PK_LEN);
		g.purpose = PT_PURPOSE_RESIDENT;
		T_EQ(pt_grant_sign(ops, &owner.sg, &g, link, sizeof(link), &ln), PT_OK, "grant signed");
		refuse("a grant presented as a pairing", link, ln, PT_ENV_PAIRING, HOME, NOW, PT_EBADSIG);
		refuse("a grant presented as an attestation", link, ln, PT_ENV_ATTESTATION, HOME, NOW,
		       PT_EBADSIG);
		refuse("a grant presented as an owner statement", link, ln, PT_ENV_OWNER, HOME, NOW,
		       PT_EBADSIG);
		refuse("a grant presented as an approval", link, ln, PT_ENV_APPROVAL, HOME, NOW,
		       PT_EBADSIG);
	}

	/* The claims alone also tell pairing and key revocation apart: the
	 * same shape {1: op, 2: 32 bytes} signed under the other AAD fails on
	 * the op. */
	{
		uint8_t porter[40], claims[128];
		size_t cl;
		porter[0] = 0xa2;
		porter[1] = 0x01;
		porter[2] = 0x00;	/* pairing's op */
		porter[3] = 0x02;
		porter[4] = 0x58;
		porter[5] = 0x20;
		memcpy(porter + 6, hub_pk, PT_PK_LEN);
		cl = claims_with(claims, sizeof(claims), porter, 38, 0);
		T_OK(cl > 0 && sign_claims(&owner, PT_ENV_REVOCATION, claims, cl, buf, sizeof(buf), &n) ==
				       PT_OK,
		     "pairing claims under the revocation AAD: signed");
		refuse("pairing claims under the revocation AAD, as a revocation", buf, n,
		       PT_ENV_REVOCATION, HOME, NOW, PT_EMALFORMED);
		refuse("pairing claims under the revocation AAD, as a pairing", buf, n, PT_ENV_PAIRING,
		       HOME, NOW, PT_EBADSIG);
		porter[2] = PT_REVOKE_KEY;
		cl = claims_with(claims, sizeof(claims), porter, 38, 0);
		T_OK(cl > 0 && sign_claims(&owner, PT_ENV_PAIRING, claims, cl, buf, sizeof(buf), &n) ==
				       PT_OK,
		     "key revocation claims under the pairing AAD: signed");
		refuse("key revocation claims under the pairing AAD, as a pairing", buf, n,
		       PT_ENV_PAIRING, HOME, NOW, PT_EMALFORMED);
		refuse("key revocation claims under the pairing AAD, as a revocation", buf, n,
		       PT_ENV_REVOCATION, HOME, NOW, PT_EBADSIG);

		/* Owner claims {1: 1, 2: 32 bytes} under the revocation AAD: a
		 * token revocation (kind 1) has 16 bytes, so malformed; under
		 * the pairing AAD: op 1 is not a pairing's 0. */
		porter[2] = PT_OWNER_ADD;
		cl = claims_with(claims, sizeof(claims), porter, 38, 0);
		T_OK(cl > 0 && sign_claims(&owner, PT_ENV_REVOCATION, claims, cl, buf, sizeof(buf), &n) ==
				       PT_OK,
		     "owner claims under the revocation AAD: signed");
		refuse("owner claims under the revocation AAD, as a revocation", buf, n,
		       PT_ENV_REVOCATION, HOME, NOW, PT_EMALFORMED);
		refuse("owner claims under the revocation AAD, as an owner statement", buf, n,
		       PT_ENV_OWNER, HOME, NOW, PT_EBADSIG);
		T_OK(sign_claims(&owner, PT_ENV_PAIRING, claims, cl, buf, sizeof(buf), &n) == PT_OK,
		     "owner claims under the pairing AAD: signed");
		refuse("owner claims under the pairing AAD, as a pairing", buf, n, PT_ENV_PAIRING, HOME,
		       NOW, PT_EMALFORMED);
		/* And the reverse: pairing and key revocation claims under the
		 * owner AAD are not owner statements. */
		porter[2] = 0;
		cl = claims_with(claims, sizeof(claims), porter, 38, 0);
		T_OK(cl > 0 && sign_claims(&owner, PT_ENV_OWNER, claims, cl, buf, sizeof(buf), &n) ==
				       PT_OK,
		     "pairing claims under the owner AAD: signed");
		refuse("pairing claims under the owner AAD, as an owner statement", buf, n, PT_ENV_OWNER,
		       HOME, NOW, PT_EMALFORMED);
		refuse("pairing claims under the owner AAD, as a pairing", buf, n, PT_ENV_PAIRING, HOME,
		       NOW, PT_EBADSIG);
		porter[2] = PT_REVOKE_KEY;
		cl = claims_with(claims, sizeof(claims), porter, 38, 0);
		T_OK(cl > 0 && sign_claims(&owner, PT_ENV_OWNER, claims, cl, buf, sizeof(buf), &n) ==
				       PT_OK,
		     "key revocation claims under the owner AAD: signed");
		refuse("key revocation claims under the owner AAD, as an owner statement", buf, n,
		       PT_ENV_OWNER, HOME, NOW, PT_EMALFORMED);
		refuse("key revocation claims under the owner AAD, as a revocation", buf, n,
		       PT_ENV_REVOCATION, HOME, NOW, PT_EBADSIG);

		/* Pairing v1 (the nonce was the code): only the verify-only
		 * entry point takes it, and it takes nothing else. */
		{
			const uint8_t(*own)[PT_PK_LEN] = (const uint8_t(*)[PT_PK_LEN])owner.pk;
			uint8_t kid[PT_KID_LEN];
			struct pt_envelope v;
			size_t ix = 9;

			porter[2] = 0;
			cl = claims_with(claims, sizeof(claims), porter, 38, 0);
			pt_kid(ops, owner.pk, kid);
			T_OK(cl > 0 && pt_sign1_sign(&owner.sg, kid, PT_KID_LEN,
						     (const uint8_t *)AAD_PAIRING_V1,
						     strlen(AAD_PAIRING_V1), claims, cl, buf,
						     sizeof(buf), &n) == PT_OK,
			     "pairing claims under the v1 AAD: signed");
			refuse("a v1 pairing, as a pairing", buf, n, PT_ENV_PAIRING, HOME, NOW,
			       PT_EBADSIG);
			T_OK(pt_envelope_verify_pairing_v1(ops, buf, n, own, 1, HOME, NOW, SKEW,
							   &v, &ix) == PT_OK &&
				     v.kind == PT_ENV_PAIRING && ix == 0 && v.nonce[0] == 1 &&
				     memcmp(v.target, hub_pk, PT_PK_LEN) == 0,
			     "a v1 pairing: the legacy verifier takes it");
			T_OK(pt_envelope_verify_pairing_v1(ops, buf, n, own, 1, "home-0000", NOW,
							   SKEW, &v, &ix) == PT_EAUDIENCE &&
				     env_zero(&v),
			     "a v1 pairing for another home: wrong-home, zeroed");
			T_OK(sign_claims(&owner, PT_ENV_PAIRING, claims, cl, buf, sizeof(buf), &n) ==
				     PT_OK,
			     "pairing claims under the v2 AAD: signed");
			T_OK(verify(buf, n, PT_ENV_PAIRING, HOME, NOW, SKEW, &v, &ix) == PT_OK,
			     "a v2 pairing verifies");
			T_OK(pt_envelope_verify_pairing_v1(ops, buf, n, own, 1, HOME, NOW, SKEW,
							   &v, &ix) == PT_EBADSIG &&
				     env_zero(&v),
			     "a v2 pairing is not a v1 one");
			T_OK(sign_claims(&owner, PT_ENV_OWNER, claims, cl, buf, sizeof(buf), &n) ==
					     PT_OK &&
				     pt_envelope_verify_pairing_v1(ops, buf, n, own, 1, HOME, NOW,
								   SKEW, &v, &ix) == PT_EBADSIG,
			     "pairing claims under the owner AAD are not a v1 pairing");
		}
	}
}

static size_t unhex(const char *hex, uint8_t *out, size_t cap);

/* Claims of a live request built by hand: {3: home, 4: exp (raw, none
 * if ""), 6: iat, 7: session, -65537: porter (raw)}. */
static size_t
live_claims(uint8_t *out, size_t cap, const char *exp_hex, const char *porter_hex)
{
	uint8_t raw[128];
	struct pt_cbor_wr w;
	size_t rl;

	pt_cbor_wr_init(&w, out, cap);
	pt_cbor_put_map(&w, exp_hex[0] != '\0' ? 5 : 4);
	pt_cbor_put_int(&w, PT_CWT_AUD);
	pt_cbor_put_text(&w, HOME, strlen(HOME));
	if (exp_hex[0] != '\0') {
		pt_cbor_put_int(&w, PT_CWT_EXP);
		rl = unhex(exp_hex, raw, sizeof(raw));
		pt_cbor_put_raw(&w, raw, rl);
	}
	pt_cbor_put_int(&w, PT_CWT_IAT);
	pt_cbor_put_uint(&w, (uint64_t)NOW);
	pt_cbor_put_int(&w, PT_CWT_CTI);
	memset(raw, 0x4c, PT_CTI_LEN);
	pt_cbor_put_bytes(&w, raw, PT_CTI_LEN);
	pt_cbor_put_int(&w, PT_CWT_PORTER);
	rl = unhex(porter_hex, raw, sizeof(raw));
	pt_cbor_put_raw(&w, raw, rl);
	return rl > 0 && pt_cbor_wr_status(&w) == PT_OK ? w.len : 0;
}

static void
test_live(void)
{
	static const struct {
		const char *what;
		const char *exp;	/* hex of claim 4's value, "" for none */
		const char *porter;	/* hex of the porter claim */
		int want;
	} cases[] = {
		/* NOW = 1781085600 = 0x6a2935a0. */
		{"well-formed (control)", "1a 6a 29 36 cc",
		 "a3 01 01 02 58 20 5858585858585858585858585858585858585858585858585858585858585858"
		 " 03 69 63616d2d66726f6e74", PT_OK},
		{"exp = iat + 600 (the longest)", "1a 6a 29 37 f8",
		 "a3 01 01 02 58 20 5858585858585858585858585858585858585858585858585858585858585858"
		 " 03 69 63616d2d66726f6e74", PT_OK},
		{"exp = iat + 601", "1a 6a 29 37 f9",
		 "a3 01 01 02 58 20 5858585858585858585858585858585858585858585858585858585858585858"
		 " 03 69 63616d2d66726f6e74", PT_EMALFORMED},
		{"exp = iat", "1a 6a 29 35 a0",
		 "a3 01 01 02 58 20 5858585858585858585858585858585858585858585858585858585858585858"
		 " 03 69 63616d2d66726f6e74", PT_EMALFORMED},
		{"exp before iat", "1a 6a 29 35 9f",
		 "a3 01 01 02 58 20 5858585858585858585858585858585858585858585858585858585858585858"
		 " 03 69 63616d2d66726f6e74", PT_EMALFORMED},
		{"no exp", "",
		 "a3 01 01 02 58 20 5858585858585858585858585858585858585858585858585858585858585858"
		 " 03 69 63616d2d66726f6e74", PT_EMALFORMED},
		{"exp negative", "3a 6a 29 36 cc",
		 "a3 01 01 02 58 20 5858585858585858585858585858585858585858585858585858585858585858"
		 " 03 69 63616d2d66726f6e74", PT_EMALFORMED},
		{"exp as 8 bytes (not the shortest form)", "1b 00 00 00 00 6a 29 36 cc",
		 "a3 01 01 02 58 20 5858585858585858585858585858585858585858585858585858585858585858"
		 " 03 69 63616d2d66726f6e74", PT_EMALFORMED},
		{"exp u64 max", "1b ff ff ff ff ff ff ff ff",
		 "a3 01 01 02 58 20 5858585858585858585858585858585858585858585858585858585858585858"
		 " 03 69 63616d2d66726f6e74", PT_EMALFORMED},
		{"exp as a float", "fa 4e d4 52 6b",
		 "a3 01 01 02 58 20 5858585858585858585858585858585858585858585858585858585858585858"
		 " 03 69 63616d2d66726f6e74", PT_EMALFORMED},
		{"op 2", "1a 6a 29 36 cc",
		 "a3 01 02 02 58 20 5858585858585858585858585858585858585858585858585858585858585858"
		 " 03 69 63616d2d66726f6e74", PT_EMALFORMED},
		{"op 0", "1a 6a 29 36 cc",
		 "a3 01 00 02 58 20 5858585858585858585858585858585858585858585858585858585858585858"
		 " 03 69 63616d2d66726f6e74", PT_EMALFORMED},
		{"a 31-byte viewer key", "1a 6a 29 36 cc",
		 "a3 01 01 02 58 1f 58585858585858585858585858585858585858585858585858585858585858"
		 " 03 69 63616d2d66726f6e74", PT_EMALFORMED},
		{"a 33-byte viewer key", "1a 6a 29 36 cc",
		 "a3 01 01 02 58 21 585858585858585858585858585858585858585858585858585858585858585858"
		 " 03 69 63616d2d66726f6e74", PT_EMALFORMED},
		{"an all-zero viewer key", "1a 6a 29 36 cc",
		 "a3 01 01 02 58 20 0000000000000000000000000000000000000000000000000000000000000000"
		 " 03 69 63616d2d66726f6e74", PT_EMALFORMED},
		{"a viewer key of order 1 (u = 1)", "1a 6a 29 36 cc",
		 "a3 01 01 02 58 20 0100000000000000000000000000000000000000000000000000000000000000"
		 " 03 69 63616d2d66726f6e74", PT_EMALFORMED},
		{"a viewer key of order 8, top bit set", "1a 6a 29 36 cc",
		 "a3 01 01 02 58 20 e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b880"
		 " 03 69 63616d2d66726f6e74", PT_EMALFORMED},
		{"a text viewer key", "1a 6a 29 36 cc",
		 "a3 01 01 02 78 20 5858585858585858585858585858585858585858585858585858585858585858"
		 " 03 69 63616d2d66726f6e74", PT_EMALFORMED},
		{"no camera", "1a 6a 29 36 cc",
		 "a2 01 01 02 58 20 5858585858585858585858585858585858585858585858585858585858585858",
		 PT_EMALFORMED},
		{"an empty camera", "1a 6a 29 36 cc",
		 "a3 01 01 02 58 20 5858585858585858585858585858585858585858585858585858585858585858"
		 " 03 60", PT_EMALFORMED},
		{"a camera id with a slash", "1a 6a 29 36 cc",
		 "a3 01 01 02 58 20 5858585858585858585858585858585858585858585858585858585858585858"
		 " 03 69 63616d2f66726f6e74", PT_EMALFORMED},
		{"a camera id as bytes", "1a 6a 29 36 cc",
		 "a3 01 01 02 58 20 5858585858585858585858585858585858585858585858585858585858585858"
		 " 03 49 63616d2d66726f6e74", PT_EMALFORMED},
		{"camera before the key", "1a 6a 29 36 cc",
		 "a3 01 01 03 69 63616d2d66726f6e74 02 58 20"
		 " 5858585858585858585858585858585858585858585858585858585858585858", PT_EMALFORMED},
		{"an extra key 4", "1a 6a 29 36 cc",
		 "a4 01 01 02 58 20 5858585858585858585858585858585858585858585858585858585858585858"
		 " 03 69 63616d2d66726f6e74 04 00", PT_EMALFORMED},
	};
	uint8_t out[PT_ENVELOPE_SIZE_MAX], claims[256], bad[PT_ENVELOPE_SIZE_MAX];
	struct pt_envelope e, d;
	size_t n, cl, i, idx = 9, flips = 0, total = 0;
	int r;

	printf("# live requests (PT_ENV_LIVE)\n");
	env_live(&e, viewer_xpk, "cam-front");
	T_EQ(pt_envelope_sign(ops, &owner.sg, &e, out, sizeof(out), &n), PT_OK, "live: signed");
	memset(&d, 0x5a, sizeof(d));
	r = verify(out, n, PT_ENV_LIVE, HOME, NOW, SKEW, &d, &idx);
	T_EQ(r, PT_OK, "live: verifies (%s)", pt_err_code(r));
	T_EQ(idx, 1, "live: signed by signers[1]");
	T_OK(d.kind == PT_ENV_LIVE && d.iat == NOW && d.exp == NOW + 300 && d.op == PT_LIVE_VIEW &&
		     d.target_len == PT_LIVE_XPK_LEN &&
		     memcmp(d.target, viewer_xpk, PT_LIVE_XPK_LEN) == 0 &&
		     strcmp(d.lock, "cam-front") == 0 && strcmp(d.aud, HOME) == 0 &&
		     memcmp(d.nonce, e.nonce, PT_CTI_LEN) == 0 && d.name[0] == '\0',
	     "live: every field as signed");
	T_OK(memcmp(d.kid, e.kid, PT_KID_LEN) == 0, "live: kid");

	/* Expiry: the session is over at exp, whatever the skew allows. */
	refuse("live: at exp - 1", out, n, PT_ENV_LIVE, HOME, NOW + 300, PT_EEXPIRED);
	T_EQ(verify(out, n, PT_ENV_LIVE, HOME, NOW + 299, SKEW, &d, &idx), PT_OK,
	     "live: one second before exp: verifies");
	refuse("live: long after exp (stale first)", out, n, PT_ENV_LIVE, HOME, NOW + 900,
	       PT_ESTALE);
	refuse("live: wrong home", out, n, PT_ENV_LIVE, "home-other", NOW, PT_EAUDIENCE);
	e.exp = NOW + 1;
	T_EQ(pt_envelope_sign(ops, &owner.sg, &e, out, sizeof(out), &n), PT_OK,
	     "live: exp = iat + 1: signed");
	T_EQ(verify(out, n, PT_ENV_LIVE, HOME, NOW, SKEW, &d, &idx), PT_OK,
	     "live: exp = iat + 1: verifies at iat");
	refuse("live: exp = iat + 1, at iat + 1", out, n, PT_ENV_LIVE, HOME, NOW + 1, PT_EEXPIRED);
	/* Not before the signature: a forged expired request is a bad
	 * signature, not news about its expiry. */
	bad[0] = 0;
	memcpy(bad, out, n);
	bad[n - 1] ^= 1;
	refuse("live: expired and a bad signature", bad, n, PT_ENV_LIVE, HOME, NOW + 1, PT_EBADSIG);

	/* What the signer refuses. */
	env_live(&e, viewer_xpk, "cam-front");
	e.exp = NOW + PT_LIVE_SECONDS_MAX;
	T_EQ(pt_envelope_sign(ops, &owner.sg, &e, out, sizeof(out), &n), PT_OK,
	     "sign: exp = iat + 600");
	e.exp = NOW + PT_LIVE_SECONDS_MAX + 1;
	T_EQ(pt_envelope_sign(ops, &owner.sg, &e, out, sizeof(out), &n), PT_EMALFORMED,
	     "sign: exp = iat + 601");
	T_EQ(n, 0, "sign: nothing written");
	e.exp = NOW;
	T_EQ(pt_envelope_sign(ops, &owner.sg, &e, out, sizeof(out), &n), PT_EMALFORMED,
	     "sign: exp = iat");
	e.exp = 0;
	T_EQ(pt_envelope_sign(ops, &owner.sg, &e, out, sizeof(out), &n), PT_EMALFORMED,
	     "sign: live without exp");
	env_live(&e, viewer_xpk, "cam-front");
	e.op = 2;
	T_EQ(pt_envelope_sign(ops, &owner.sg, &e, out, sizeof(out), &n), PT_EMALFORMED,
	     "sign: live op 2");
	env_live(&e, viewer_xpk, "cam-front");
	e.target_len = PT_CTI_LEN;
	T_EQ(pt_envelope_sign(ops, &owner.sg, &e, out, sizeof(out), &n), PT_EMALFORMED,
	     "sign: live with a 16-byte key");
	env_live(&e, viewer_xpk, "cam-front");
	memset(e.target, 0, PT_LIVE_XPK_LEN);
	T_EQ(pt_envelope_sign(ops, &owner.sg, &e, out, sizeof(out), &n), PT_EMALFORMED,
	     "sign: live with an all-zero key");
	env_live(&e, viewer_xpk, "");
	T_EQ(pt_envelope_sign(ops, &owner.sg, &e, out, sizeof(out), &n), PT_EMALFORMED,
	     "sign: live without a camera");
	env_live(&e, viewer_xpk, ".cam");
	T_EQ(pt_envelope_sign(ops, &owner.sg, &e, out, sizeof(out), &n), PT_EMALFORMED,
	     "sign: live with camera '.cam'");
	/* Every other kind refuses an expiry rather than dropping it. */
	env_cmd(&e, PT_CMD_UNLOCK, "front");
	e.exp = NOW + 60;
	T_EQ(pt_envelope_sign(ops, &owner.sg, &e, out, sizeof(out), &n), PT_EMALFORMED,
	     "sign: a command with exp");
	env_owner(&e, hub_pk);
	e.exp = NOW + 60;
	T_EQ(pt_envelope_sign(ops, &owner.sg, &e, out, sizeof(out), &n), PT_EMALFORMED,
	     "sign: an owner statement with exp");

	/* Hand-built claims, each signed under the live AAD. */
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cl = live_claims(claims, sizeof(claims), cases[i].exp, cases[i].porter);
		r = cl > 0 ? sign_claims(&owner, PT_ENV_LIVE, claims, cl, out, sizeof(out), &n) : -1;
		T_EQ(r, PT_OK, "live claims: %s: signed", cases[i].what);
		if (r != PT_OK)
			continue;
		if (cases[i].want == PT_OK) {
			T_EQ(verify(out, n, PT_ENV_LIVE, HOME, NOW, SKEW, &d, &idx), PT_OK,
			     "live claims: %s: verifies", cases[i].what);
			/* The one encoding: re-signing what verified gives it back. */
			T_OK(pt_envelope_sign(ops, &owner.sg, &d, bad, sizeof(bad), &cl) == PT_OK &&
				     cl == n && memcmp(bad, out, n) == 0,
			     "live claims: %s: re-signed, the same bytes", cases[i].what);
		} else {
			refuse(cases[i].what, out, n, PT_ENV_LIVE, HOME, NOW, cases[i].want);
		}
	}

	/* Wrong AAD: live claims signed as a command are neither. */
	cl = live_claims(claims, sizeof(claims), cases[0].exp, cases[0].porter);
	T_OK(cl > 0 && sign_claims(&owner, PT_ENV_COMMAND, claims, cl, out, sizeof(out), &n) == PT_OK,
	     "live claims under the command AAD: signed");
	refuse("live claims under the command AAD, as live", out, n, PT_ENV_LIVE, HOME, NOW,
	       PT_EBADSIG);
	refuse("live claims under the command AAD, as a command", out, n, PT_ENV_COMMAND, HOME, NOW,
	       PT_EMALFORMED);
	/* And a command's claims under the live AAD: no expiry, no camera. */
	env_cmd(&e, PT_CMD_UNLOCK, "front");
	T_EQ(pt_envelope_sign(ops, &owner.sg, &e, out, sizeof(out), &n), PT_OK, "command signed");
	refuse("a command as live", out, n, PT_ENV_LIVE, HOME, NOW, PT_EBADSIG);
	{
		struct pt_sign1 s1;
		T_OK(pt_sign1_decode(out, n, &s1) == PT_OK &&
			     sign_claims(&owner, PT_ENV_LIVE, s1.payload, s1.payload_len, bad,
					 sizeof(bad), &cl) == PT_OK,
		     "command claims under the live AAD: signed");
		refuse("command claims under the live AAD, as live", bad, cl, PT_ENV_LIVE, HOME, NOW,
		       PT_EMALFORMED);
	}

	/* Every single bit flip of a live request is refused. */
	env_live(&e, viewer_xpk, "cam-front");
	T_EQ(pt_envelope_sign(ops, &owner.sg, &e, out, sizeof(out), &n), PT_OK, "live: signed again");
	for (i = 0; i < n * 8; i++) {
		memcpy(bad, out, n);
		bad[i / 8] ^= (uint8_t)(1u << (i % 8));
		total++;
		if (verify(bad, n, PT_ENV_LIVE, HOME, NOW, SKEW, &d, &idx) == PT_OK)
			flips++;
	}
	T_EQ(flips, 0, "every one of %zu single bit flips of a live request refused", total);
	T_EQ(verify(out, n, PT_ENV_LIVE, HOME, NOW, SKEW, &d, &idx), PT_OK,
	     "the unflipped original still verifies");
}

/* PT_ENV_HUB_HOME: the hub's key says which home it is paired with
 * (porterd files its events under that home only). Here owner/owner2
 * stand in for hub keys: verify() lists them as the signers. */
static void
test_hub_home(void)
{
	uint8_t out[PT_ENVELOPE_SIZE_MAX], again[PT_ENVELOPE_SIZE_MAX], bad[PT_ENVELOPE_SIZE_MAX];
	struct pt_envelope e, d;
	size_t n = 0, n2 = 0, idx = 9, i;
	int r;

	env_hubhome(&e, hub_pk);
	T_EQ(pt_envelope_sign(ops, &owner.sg, &e, out, sizeof(out), &n), PT_OK, "hub-home: signed");
	memset(&d, 0x5a, sizeof(d));
	r = verify(out, n, PT_ENV_HUB_HOME, HOME, NOW, SKEW, &d, &idx);
	T_OK(r == PT_OK && idx == 1 && d.kind == PT_ENV_HUB_HOME && d.op == PT_HUB_HOME_PAIRED &&
		     d.target_len == PT_PK_LEN && memcmp(d.target, hub_pk, PT_PK_LEN) == 0 &&
		     strcmp(d.aud, HOME) == 0 && d.iat == NOW && d.exp == 0 && d.lock[0] == '\0' &&
		     d.name[0] == '\0',
	     "hub-home: verifies, signer 1, the home and the owner key (got %s)", pt_err_code(r));
	T_EQ(pt_envelope_sign(ops, &owner.sg, &d, again, sizeof(again), &n2), PT_OK,
	     "hub-home: decoded statement signs again");
	T_OK(n2 == n && memcmp(again, out, n) == 0, "hub-home: one encoding");
	refuse("hub-home: another home", out, n, PT_ENV_HUB_HOME, "home-0000", NOW, PT_EAUDIENCE);
	refuse("hub-home: as an owner statement", out, n, PT_ENV_OWNER, HOME, NOW, PT_EBADSIG);
	refuse("hub-home: as a pairing", out, n, PT_ENV_PAIRING, HOME, NOW, PT_EBADSIG);
	T_OK(pt_envelope_verify(ops, out, n, PT_ENV_HUB_HOME, (const uint8_t(*)[PT_PK_LEN])signers,
				2, HOME, NOW + 86400 * 365, UINT32_MAX, &d, &idx) == PT_OK,
	     "hub-home: a year later with skew UINT32_MAX (as porterd verifies)");
	for (i = 0; i < n; i++) {
		memcpy(bad, out, n);
		bad[i] ^= 0x10;
		if (verify(bad, n, PT_ENV_HUB_HOME, HOME, NOW, SKEW, &d, &idx) == PT_OK)
			break;
	}
	T_OK(i == n, "hub-home: no single flipped bit (0x10) of any byte verifies (byte %zu)", i);
	env_hubhome(&e, hub_pk);
	T_EQ(pt_envelope_sign(ops, &stranger.sg, &e, out, sizeof(out), &n), PT_OK,
	     "hub-home: signed by another key");
	refuse("hub-home: by another key", out, n, PT_ENV_HUB_HOME, HOME, NOW, PT_EUNTRUSTEDCMD);

	env_hubhome(&e, hub_pk);
	e.op = 2;
	T_EQ(pt_envelope_sign(ops, &owner.sg, &e, out, sizeof(out), &n), PT_EMALFORMED,
	     "hub-home: sign refuses op 2");
	env_hubhome(&e, hub_pk);
	e.target_len = PT_CTI_LEN;
	T_EQ(pt_envelope_sign(ops, &owner.sg, &e, out, sizeof(out), &n), PT_EMALFORMED,
	     "hub-home: sign refuses a 16-byte target");
	env_hubhome(&e, hub_pk);
	e.exp = NOW + 60;
	T_EQ(pt_envelope_sign(ops, &owner.sg, &e, out, sizeof(out), &n), PT_EMALFORMED,
	     "hub-home: sign refuses an expiry");
}

static void
test_owner(void)
{
	uint8_t out[PT_ENVELOPE_SIZE_MAX], again[PT_ENVELOPE_SIZE_MAX], bad[PT_ENVELOPE_SIZE_MAX];
	struct pt_envelope e, d;
	size_t n = 0, n2 = 0, idx = 9, i;
	int r;

	/* Round trip, by each of the two signers. */
	env_owner(&e, hub_pk);
	T_EQ(pt_envelope_sign(ops, &owner.sg, &e, out, sizeof(out), &n), PT_OK, "owner: signed");
	memset(&d, 0x5a, sizeof(d));
	r = verify(out, n, PT_ENV_OWNER, HOME, NOW, SKEW, &d, &idx);
	T_OK(r == PT_OK && idx == 1 && d.kind == PT_ENV_OWNER && d.op == PT_OWNER_ADD &&
		     d.target_len == PT_PK_LEN && memcmp(d.target, hub_pk, PT_PK_LEN) == 0 &&
		     strcmp(d.aud, HOME) == 0 && d.iat == NOW && d.lock[0] == '\0' && d.name[0] == '\0',
	     "owner: verifies, signer 1, the new key and home (got %s)", pt_err_code(r));
	{
		uint8_t kid[PT_KID_LEN];
		pt_kid(ops, owner.pk, kid);
		T_OK(memcmp(kid, d.kid, PT_KID_LEN) == 0, "owner: kid is the signer's");
	}
	d.kind = PT_ENV_OWNER;
	T_EQ(pt_envelope_sign(ops, &owner.sg, &d, again, sizeof(again), &n2), PT_OK,
	     "owner: decoded statement signs again");
	T_OK(n2 == n && memcmp(again, out, n) == 0, "owner: one encoding (Ed25519 deterministic)");
	env_owner(&e, owner.pk);
	T_EQ(pt_envelope_sign(ops, &owner2.sg, &e, out, sizeof(out), &n), PT_OK,
	     "owner: signed by owner2");
	T_OK(verify(out, n, PT_ENV_OWNER, HOME, NOW, SKEW, &d, &idx) == PT_OK && idx == 0,
	     "owner: by owner2 verifies, signer 0");

	/* Refusals of the verifier. */
	env_owner(&e, hub_pk);
	T_EQ(pt_envelope_sign(ops, &stranger.sg, &e, out, sizeof(out), &n), PT_OK,
	     "owner: signed by a stranger");
	refuse("owner: by a stranger", out, n, PT_ENV_OWNER, HOME, NOW, PT_EUNTRUSTEDCMD);
	T_EQ(pt_envelope_sign(ops, &owner.sg, &e, out, sizeof(out), &n), PT_OK, "owner: signed");
	refuse("owner: another home", out, n, PT_ENV_OWNER, "home-0000", NOW, PT_EAUDIENCE);
	refuse("owner: skew + 1 s later", out, n, PT_ENV_OWNER, HOME, NOW + SKEW + 1, PT_ESTALE);
	refuse("owner: as a command", out, n, PT_ENV_COMMAND, HOME, NOW, PT_EBADSIG);
	T_OK(pt_envelope_verify(ops, out, n, PT_ENV_OWNER, (const uint8_t(*)[PT_PK_LEN])signers, 2,
				HOME, NOW + 86400 * 365, UINT32_MAX, &d, &idx) == PT_OK,
	     "owner: a year later with skew UINT32_MAX (as the hub verifies)");
	memcpy(bad, out, n);
	bad[n - 1] ^= 1;
	refuse("owner: last signature byte flipped", bad, n, PT_ENV_OWNER, HOME, NOW, PT_EBADSIG);
	for (i = 0; i < n; i++) {
		memcpy(bad, out, n);
		bad[i] ^= 0x10;
		memset(&d, 0x5a, sizeof(d));
		r = verify(bad, n, PT_ENV_OWNER, HOME, NOW, SKEW, &d, &idx);
		if (r == PT_OK)
			break;
	}
	T_OK(i == n, "owner: no single flipped bit (0x10) of any byte verifies (byte %zu)", i);
	refuse("owner: truncated", out, n - 1, PT_ENV_OWNER, HOME, NOW, PT_EMALFORMED);

	/* Refusals of the signer. */
	env_owner(&e, hub_pk);
	e.op = 2;
	T_EQ(pt_envelope_sign(ops, &owner.sg, &e, out, sizeof(out), &n), PT_EMALFORMED,
	     "sign: owner op 2");
	env_owner(&e, hub_pk);
	e.op = 0;
	T_EQ(pt_envelope_sign(ops, &owner.sg, &e, out, sizeof(out), &n), PT_EMALFORMED,
	     "sign: owner op 0");
	env_owner(&e, hub_pk);
	e.target_len = PT_CTI_LEN;
	T_EQ(pt_envelope_sign(ops, &owner.sg, &e, out, sizeof(out), &n), PT_EMALFORMED,
	     "sign: owner with a 16-byte target");
	env_owner(&e, hub_pk);
	e.target_len = 0;
	T_EQ(pt_envelope_sign(ops, &owner.sg, &e, out, sizeof(out), &n), PT_EMALFORMED,
	     "sign: owner without a target");
	env_owner(&e, hub_pk);
	e.aud[0] = '\0';
	T_EQ(pt_envelope_sign(ops, &owner.sg, &e, out, sizeof(out), &n), PT_EMALFORMED,
	     "sign: owner without a home");
}

static void
test_pairing_attestation_refusals(void)
{
	struct pt_envelope e, d;
	uint8_t pair[PT_ENVELOPE_SIZE_MAX], att[PT_ENVELOPE_SIZE_MAX], buf[PT_ENVELOPE_SIZE_MAX + 16];
	size_t pn, an, n, idx;

	env_pair(&e, hub_pk, 0x3c);
	T_EQ(pt_envelope_sign(ops, &owner.sg, &e, pair, sizeof(pair), &pn), PT_OK, "pairing signed");
	env_att(&e, 2, "7", "Ben K.");
	T_EQ(pt_envelope_sign(ops, &carrier.sg, &e, att, sizeof(att), &an), PT_OK,
	     "attestation signed");

	/* Untrusted signers. */
	env_pair(&e, hub_pk, 0x3c);
	T_EQ(pt_envelope_sign(ops, &stranger.sg, &e, buf, sizeof(buf), &n), PT_OK,
	     "stranger signs a pairing");
	refuse("untrusted-signer: pairing by a stranger", buf, n, PT_ENV_PAIRING, HOME, NOW,
	       PT_EUNTRUSTEDCMD);
	env_att(&e, 3, "7", "Ben K.");
	T_EQ(pt_envelope_sign(ops, &stranger.sg, &e, buf, sizeof(buf), &n), PT_OK,
	     "stranger signs an attestation");
	refuse_att("untrusted-signer: attestation by a stranger", buf, n, CARRIER, NOW,
		   PT_EUNTRUSTEDCMD);
	refuse_att("untrusted-signer: a pairing by an owner is no attestation by the carrier", pair,
		   pn, HOME, NOW, PT_EUNTRUSTEDCMD);

	/* Tampering. */
	memcpy(buf, pair, pn);
	buf[pn - 1] ^= 0x01;
	refuse("bad-signature: pairing, last signature byte", buf, pn, PT_ENV_PAIRING, HOME, NOW,
	       PT_EBADSIG);
	memcpy(buf, att, an);
	buf[an - 64] ^= 0x80;
	refuse_att("bad-signature: attestation, first signature byte", buf, an, CARRIER, NOW,
		   PT_EBADSIG);
	{
		/* Another hub key in the same bytes: the key is the last 32
		 * bytes of the payload, right before the signature's head. */
		size_t at = pn - 64 - 2 - PT_PK_LEN;
		memcpy(buf, pair, pn);
		T_OK(memcmp(buf + at, hub_pk, PT_PK_LEN) == 0, "tamper: hub key found in the pairing");
		buf[at + 5] ^= 0x10;
		refuse("bad-signature: pairing naming another hub key", buf, pn, PT_ENV_PAIRING, HOME,
		       NOW, PT_EBADSIG);
	}
	{
		/* Level 2 -> 3: "\x01\x02\x02\x61\x37" in the payload. */
		size_t k, at = 0;
		memcpy(buf, att, an);
		for (k = 0; k + 5 <= an; k++)
			if (memcmp(buf + k, "\x01\x02\x02\x61\x37", 5) == 0)
				at = k + 1;
		T_OK(at > 0, "tamper: level found in the attestation");
		buf[at] = 0x03;
		refuse_att("bad-signature: attestation raised to level 3", buf, an, CARRIER, NOW,
			   PT_EBADSIG);
	}

	/* Wrong audience. */
	refuse("wrong-home: pairing for another home", pair, pn, PT_ENV_PAIRING, "home-0000", NOW,
	       PT_EAUDIENCE);
	refuse("wrong-home: pairing without a home id", pair, pn, PT_ENV_PAIRING, NULL, NOW,
	       PT_EAUDIENCE);
	refuse_att("wrong-home: attestation for another carrier", att, an, "c-fedcba9876543210", NOW,
		   PT_EAUDIENCE);
	refuse_att("wrong-home: attestation checked against a home id", att, an, HOME, NOW,
		   PT_EAUDIENCE);

	/* Freshness. */
	T_EQ(verify(pair, pn, PT_ENV_PAIRING, HOME, NOW + SKEW, SKEW, &d, &idx), PT_OK,
	     "pairing: iat exactly skew in the past: accepted");
	refuse("stale: pairing skew + 1 s old", pair, pn, PT_ENV_PAIRING, HOME, NOW + SKEW + 1,
	       PT_ESTALE);
	refuse("stale: pairing skew + 1 s in the future", pair, pn, PT_ENV_PAIRING, HOME,
	       NOW - SKEW - 1, PT_ESTALE);
	T_EQ(verify_att(att, an, CARRIER, NOW - SKEW, &d, &idx), PT_OK,
	     "attestation: iat exactly skew in the future: accepted");
	refuse_att("stale: attestation a day old", att, an, CARRIER, NOW + 86400, PT_ESTALE);
	refuse_att("stale: attestation skew + 1 s in the future", att, an, CARRIER, NOW - SKEW - 1,
		   PT_ESTALE);
	{
		/* Extreme clocks: no overflow, just stale. */
		refuse("stale: now = INT64_MAX", pair, pn, PT_ENV_PAIRING, HOME, INT64_MAX, PT_ESTALE);
		refuse("stale: now = INT64_MIN", pair, pn, PT_ENV_PAIRING, HOME, INT64_MIN, PT_ESTALE);
	}

	/* Size and framing. */
	memset(buf, 0, sizeof(buf));
	memcpy(buf, att, an);
	refuse_att("too-large: attestation padded to 513 bytes", buf, PT_ENVELOPE_SIZE_MAX + 1,
		   CARRIER, NOW, PT_ETOOBIG);
	refuse_att("a byte after the attestation: malformed", buf, an + 1, CARRIER, NOW,
		   PT_EMALFORMED);
	refuse_att("attestation cut by a byte: malformed", buf, an - 1, CARRIER, NOW, PT_EMALFORMED);
	refuse("untagged pairing: malformed", pair + 1, pn - 1, PT_ENV_PAIRING, HOME, NOW,
	       PT_EMALFORMED);

	/* Every bit flip. */
	{
		size_t bit, bad = 0, total = 0;
		int pass;
		for (pass = 0; pass < 2; pass++) {
			uint8_t *p = pass == 0 ? pair : att;
			size_t len = pass == 0 ? pn : an;
			for (bit = 0; bit < len * 8; bit++) {
				int r;
				p[bit / 8] ^= (uint8_t)(1u << (bit % 8));
				memset(&d, 0x5a, sizeof(d));
				r = pass == 0 ? verify(p, len, PT_ENV_PAIRING, HOME, NOW, SKEW, &d, &idx) :
						verify_att(p, len, CARRIER, NOW, &d, &idx);
				if (r == PT_OK || !env_zero(&d))
					bad++;
				total++;
				p[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			}
		}
		T_EQ(bad, 0, "every one of %zu single bit flips (pairing and attestation) refused",
		     total);
		T_OK(verify(pair, pn, PT_ENV_PAIRING, HOME, NOW, SKEW, &d, &idx) == PT_OK &&
			     verify_att(att, an, CARRIER, NOW, &d, &idx) == PT_OK,
		     "the unflipped originals still verify");
	}
}

static size_t
unhex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = 0;
	unsigned v;

	while (hex[0] != '\0') {
		if (hex[0] == ' ') {
			hex++;
			continue;
		}
		if (n >= cap || sscanf(hex, "%2x", &v) != 1)
			return 0;
		out[n++] = (uint8_t)v;
		hex += 2;
	}
	return n;
}

static void
test_strict_claims_new(void)
{
	/* porter: the hex bytes, then `fill` bytes of 'A' (0x41). */
	static const struct {
		const char *what;
		enum pt_envelope_kind kind;
		const char *hex;
		size_t fill;
		int want;
	} cases[] = {
		{"well-formed pairing (control)", PT_ENV_PAIRING, "a2 01 00 02 58 20", 32, PT_OK},
		{"pairing with op 1", PT_ENV_PAIRING, "a2 01 01 02 58 20", 32, PT_EMALFORMED},
		{"pairing with op 2 (a key revocation's)", PT_ENV_PAIRING, "a2 01 02 02 58 20", 32,
		 PT_EMALFORMED},
		{"pairing with op as 18 00", PT_ENV_PAIRING, "a2 01 18 00 02 58 20", 32, PT_EMALFORMED},
		{"pairing with op -1", PT_ENV_PAIRING, "a2 01 20 02 58 20", 32, PT_EMALFORMED},
		{"pairing without a key", PT_ENV_PAIRING, "a1 01 00", 0, PT_EMALFORMED},
		{"pairing without an op", PT_ENV_PAIRING, "a1 02 58 20", 32, PT_EMALFORMED},
		{"pairing with a 16-byte key", PT_ENV_PAIRING, "a2 01 00 02 50", 16, PT_EMALFORMED},
		{"pairing with a 31-byte key", PT_ENV_PAIRING, "a2 01 00 02 58 1f", 31, PT_EMALFORMED},
		{"pairing with a 33-byte key", PT_ENV_PAIRING, "a2 01 00 02 58 21", 33, PT_EMALFORMED},
		{"pairing with a text key", PT_ENV_PAIRING, "a2 01 00 02 78 20", 32, PT_EMALFORMED},
		{"pairing with a key in a 3-byte head", PT_ENV_PAIRING, "a2 01 00 02 59 00 20", 32,
		 PT_EMALFORMED},
		{"pairing with an extra key 3", PT_ENV_PAIRING, "a3 01 00 02 58 20 " /* key */
		 "4141414141414141414141414141414141414141414141414141414141414141 03 00", 0,
		 PT_EMALFORMED},
		{"pairing with an extra key 0", PT_ENV_PAIRING, "a3 00 00 01 00 02 58 20", 32,
		 PT_EMALFORMED},
		{"pairing with keys out of order", PT_ENV_PAIRING, "a2 02 41 41 01 00", 0, PT_EMALFORMED},
		{"pairing with key 2 twice", PT_ENV_PAIRING, "a2 02 41 41 02 41 41", 0, PT_EMALFORMED},
		{"pairing porter claim is an array", PT_ENV_PAIRING, "82 00 58 20", 32, PT_EMALFORMED},
		{"pairing porter map indefinite", PT_ENV_PAIRING, "bf 01 00 02 58 20", 32,
		 PT_EMALFORMED},

		{"well-formed owner statement (control)", PT_ENV_OWNER, "a2 01 01 02 58 20", 32, PT_OK},
		{"owner with op 0 (a pairing's)", PT_ENV_OWNER, "a2 01 00 02 58 20", 32, PT_EMALFORMED},
		{"owner with op 2", PT_ENV_OWNER, "a2 01 02 02 58 20", 32, PT_EMALFORMED},
		{"owner with op as 18 01", PT_ENV_OWNER, "a2 01 18 01 02 58 20", 32, PT_EMALFORMED},
		{"owner with op 257", PT_ENV_OWNER, "a2 01 19 01 01 02 58 20", 32, PT_EMALFORMED},
		{"owner with op -2", PT_ENV_OWNER, "a2 01 21 02 58 20", 32, PT_EMALFORMED},
		{"owner with op as text", PT_ENV_OWNER, "a2 01 61 31 02 58 20", 32, PT_EMALFORMED},
		{"owner without a key", PT_ENV_OWNER, "a1 01 01", 0, PT_EMALFORMED},
		{"owner without an op", PT_ENV_OWNER, "a1 02 58 20", 32, PT_EMALFORMED},
		{"owner with an empty key", PT_ENV_OWNER, "a2 01 01 02 40", 0, PT_EMALFORMED},
		{"owner with a 16-byte key", PT_ENV_OWNER, "a2 01 01 02 50", 16, PT_EMALFORMED},
		{"owner with a 31-byte key", PT_ENV_OWNER, "a2 01 01 02 58 1f", 31, PT_EMALFORMED},
		{"owner with a 33-byte key", PT_ENV_OWNER, "a2 01 01 02 58 21", 33, PT_EMALFORMED},
		{"owner with a 64-byte key", PT_ENV_OWNER, "a2 01 01 02 58 40", 64, PT_EMALFORMED},
		{"owner with a text key", PT_ENV_OWNER, "a2 01 01 02 78 20", 32, PT_EMALFORMED},
		{"owner with a key in a 3-byte head", PT_ENV_OWNER, "a2 01 01 02 59 00 20", 32,
		 PT_EMALFORMED},
		{"owner with a key in an indefinite string", PT_ENV_OWNER, "a2 01 01 02 5f 58 20", 32,
		 PT_EMALFORMED},
		{"owner with an extra key 3", PT_ENV_OWNER, "a3 01 01 02 58 20 "
		 "4141414141414141414141414141414141414141414141414141414141414141 03 00", 0,
		 PT_EMALFORMED},
		{"owner with an extra key 0", PT_ENV_OWNER, "a3 00 00 01 01 02 58 20", 32,
		 PT_EMALFORMED},
		{"owner with keys out of order", PT_ENV_OWNER, "a2 02 58 20 "
		 "4141414141414141414141414141414141414141414141414141414141414141 01 01", 0,
		 PT_EMALFORMED},
		{"owner with key 1 twice", PT_ENV_OWNER, "a2 01 01 01 01", 0, PT_EMALFORMED},
		{"owner porter claim is an array", PT_ENV_OWNER, "82 01 58 20", 32, PT_EMALFORMED},
		{"owner porter map indefinite", PT_ENV_OWNER, "bf 01 01 02 58 20", 32, PT_EMALFORMED},
		{"owner porter claim is the key alone", PT_ENV_OWNER, "58 20", 32, PT_EMALFORMED},

		/* Approvals: {1: 1 approve | 2 deny, 2: the 16-byte session}. */
		{"well-formed approval (control)", PT_ENV_APPROVAL, "a2 01 01 02 50", 16, PT_OK},
		{"well-formed denial (control)", PT_ENV_APPROVAL, "a2 01 02 02 50", 16, PT_OK},
		{"approval with op 0", PT_ENV_APPROVAL, "a2 01 00 02 50", 16, PT_EMALFORMED},
		{"approval with op 3", PT_ENV_APPROVAL, "a2 01 03 02 50", 16, PT_EMALFORMED},
		{"approval with op 255", PT_ENV_APPROVAL, "a2 01 18 ff 02 50", 16, PT_EMALFORMED},
		{"approval with op 257 (1 mod 256)", PT_ENV_APPROVAL, "a2 01 19 01 01 02 50", 16,
		 PT_EMALFORMED},
		{"approval with op as 18 01", PT_ENV_APPROVAL, "a2 01 18 01 02 50", 16, PT_EMALFORMED},
		{"approval with op -1", PT_ENV_APPROVAL, "a2 01 20 02 50", 16, PT_EMALFORMED},
		{"approval with op -2", PT_ENV_APPROVAL, "a2 01 21 02 50", 16, PT_EMALFORMED},
		{"approval with op as text", PT_ENV_APPROVAL, "a2 01 61 31 02 50", 16, PT_EMALFORMED},
		{"approval with op true", PT_ENV_APPROVAL, "a2 01 f5 02 50", 16, PT_EMALFORMED},
		{"approval with an empty session", PT_ENV_APPROVAL, "a2 01 01 02 40", 0, PT_EMALFORMED},
		{"approval with a 15-byte session", PT_ENV_APPROVAL, "a2 01 01 02 4f", 15,
		 PT_EMALFORMED},
		{"approval with a 17-byte session", PT_ENV_APPROVAL, "a2 01 01 02 51", 17,
		 PT_EMALFORMED},
		{"denial with a 15-byte session", PT_ENV_APPROVAL, "a2 01 02 02 4f", 15, PT_EMALFORMED},
		{"denial with a 17-byte session", PT_ENV_APPROVAL, "a2 01 02 02 51", 17, PT_EMALFORMED},
		{"approval with a 32-byte session (a key)", PT_ENV_APPROVAL, "a2 01 01 02 58 20", 32,
		 PT_EMALFORMED},
		{"denial with a 32-byte session (a key revocation's shape)", PT_ENV_APPROVAL,
		 "a2 01 02 02 58 20", 32, PT_EMALFORMED},
		{"approval with a text session", PT_ENV_APPROVAL, "a2 01 01 02 70", 16, PT_EMALFORMED},
		{"approval with the session as an integer", PT_ENV_APPROVAL, "a2 01 01 02 00", 0,
		 PT_EMALFORMED},
		{"approval with the session in a 2-byte head", PT_ENV_APPROVAL, "a2 01 01 02 58 10", 16,
		 PT_EMALFORMED},
		{"approval with the session in an indefinite string", PT_ENV_APPROVAL,
		 "a2 01 01 02 5f 50 41414141414141414141414141414141 ff", 0, PT_EMALFORMED},
		{"approval with 3 entries (an extra key 3)", PT_ENV_APPROVAL,
		 "a3 01 01 02 50 41414141414141414141414141414141 03 00", 0, PT_EMALFORMED},
		{"approval with 3 entries (a camera id, as live has)", PT_ENV_APPROVAL,
		 "a3 01 01 02 50 41414141414141414141414141414141 03 69 63616d2d66726f6e74", 0, PT_EMALFORMED},
		{"approval with 3 entries (an extra key 0)", PT_ENV_APPROVAL, "a3 00 00 01 01 02 50",
		 16, PT_EMALFORMED},
		{"approval map says 3, has 2", PT_ENV_APPROVAL, "a3 01 01 02 50", 16, PT_EMALFORMED},
		{"approval without a session", PT_ENV_APPROVAL, "a1 01 01", 0, PT_EMALFORMED},
		{"approval without an op", PT_ENV_APPROVAL, "a1 02 50", 16, PT_EMALFORMED},
		{"approval with keys out of order", PT_ENV_APPROVAL, "a2 02 50 41414141414141414141414141414141 01 01", 0,
		 PT_EMALFORMED},
		{"approval with key 1 twice", PT_ENV_APPROVAL, "a2 01 01 01 02", 0, PT_EMALFORMED},
		{"approval with key 2 twice", PT_ENV_APPROVAL, "a2 02 50 41414141414141414141414141414141 02 50", 16,
		 PT_EMALFORMED},
		{"approval with key -1 for the session", PT_ENV_APPROVAL, "a2 01 01 20 50", 16,
		 PT_EMALFORMED},
		{"approval porter claim is an array", PT_ENV_APPROVAL, "82 01 50", 16, PT_EMALFORMED},
		{"approval porter map indefinite", PT_ENV_APPROVAL, "bf 01 01 02 50 41414141414141414141414141414141 ff", 0,
		 PT_EMALFORMED},
		{"approval porter map empty", PT_ENV_APPROVAL, "a0", 0, PT_EMALFORMED},
		{"approval porter claim is the session alone", PT_ENV_APPROVAL, "50", 16,
		 PT_EMALFORMED},

		{"well-formed attestation (control)", PT_ENV_ATTESTATION,
		 "a3 01 02 02 63 313233 03 66 42656e204b2e", 0, PT_OK},
		{"attestation with a 100-byte name (control)", PT_ENV_ATTESTATION,
		 "a3 01 01 02 61 37 03 78 64", 100, PT_OK},
		{"attestation with a 20-digit id (control)", PT_ENV_ATTESTATION,
		 "a3 01 03 02 74 3132333435363738393031323334353637383930 03 61", 1, PT_OK},
		{"attestation level 0", PT_ENV_ATTESTATION, "a3 01 00 02 61 37 03 61", 1, PT_EMALFORMED},
		{"attestation level 4", PT_ENV_ATTESTATION, "a3 01 04 02 61 37 03 61", 1, PT_EMALFORMED},
		{"attestation level 255", PT_ENV_ATTESTATION, "a3 01 18 ff 02 61 37 03 61", 1,
		 PT_EMALFORMED},
		{"attestation level as 18 02", PT_ENV_ATTESTATION, "a3 01 18 02 02 61 37 03 61", 1,
		 PT_EMALFORMED},
		{"attestation level as text", PT_ENV_ATTESTATION, "a3 01 61 32 02 61 37 03 61", 1,
		 PT_EMALFORMED},
		{"attestation with an empty courier id", PT_ENV_ATTESTATION, "a3 01 02 02 60 03 61", 1,
		 PT_EMALFORMED},
		{"attestation with courier id \"07\"", PT_ENV_ATTESTATION, "a3 01 02 02 62 3037 03 61", 1,
		 PT_EMALFORMED},
		{"attestation with courier id \"7a\"", PT_ENV_ATTESTATION, "a3 01 02 02 62 3761 03 61", 1,
		 PT_EMALFORMED},
		{"attestation with courier id \"+7\"", PT_ENV_ATTESTATION, "a3 01 02 02 62 2b37 03 61", 1,
		 PT_EMALFORMED},
		{"attestation with courier id \" 7\"", PT_ENV_ATTESTATION, "a3 01 02 02 62 2037 03 61", 1,
		 PT_EMALFORMED},
		{"attestation with a 21-digit courier id", PT_ENV_ATTESTATION,
		 "a3 01 02 02 75 313233343536373839303132333435363738393031 03 61", 1, PT_EMALFORMED},
		{"attestation with the courier id as an integer", PT_ENV_ATTESTATION,
		 "a3 01 02 02 07 03 61", 1, PT_EMALFORMED},
		{"attestation with the courier id as bytes", PT_ENV_ATTESTATION,
		 "a3 01 02 02 41 37 03 61", 1, PT_EMALFORMED},
		{"attestation with an empty name", PT_ENV_ATTESTATION, "a3 01 02 02 61 37 03 60", 0,
		 PT_EMALFORMED},
		{"attestation with a 101-byte name", PT_ENV_ATTESTATION, "a3 01 02 02 61 37 03 78 65",
		 101, PT_EMALFORMED},
		{"attestation with ESC in the name", PT_ENV_ATTESTATION,
		 "a3 01 02 02 61 37 03 64 1b5b326a", 0, PT_EMALFORMED},
		{"attestation with a C1 control (U+0085) in the name", PT_ENV_ATTESTATION,
		 "a3 01 02 02 61 37 03 63 41c285", 0, PT_EMALFORMED},
		{"attestation with DEL in the name", PT_ENV_ATTESTATION, "a3 01 02 02 61 37 03 62 417f", 0,
		 PT_EMALFORMED},
		{"attestation with a NUL in the name", PT_ENV_ATTESTATION,
		 "a3 01 02 02 61 37 03 63 410042", 0, PT_EMALFORMED},
		{"attestation with an overlong UTF-8 name", PT_ENV_ATTESTATION,
		 "a3 01 02 02 61 37 03 63 41c0af", 0, PT_EMALFORMED},
		{"attestation with the name as bytes", PT_ENV_ATTESTATION, "a3 01 02 02 61 37 03 41", 1,
		 PT_EMALFORMED},
		{"attestation without a name", PT_ENV_ATTESTATION, "a2 01 02 02 61 37", 0,
		 PT_EMALFORMED},
		{"attestation without a courier id", PT_ENV_ATTESTATION, "a2 01 02 03 61", 1,
		 PT_EMALFORMED},
		{"attestation with only a level", PT_ENV_ATTESTATION, "a1 01 02", 0, PT_EMALFORMED},
		{"attestation with an extra key 4", PT_ENV_ATTESTATION,
		 "a4 01 02 02 61 37 03 61 41 04 00", 0, PT_EMALFORMED},
		{"attestation with name before courier id", PT_ENV_ATTESTATION,
		 "a3 01 02 03 61 41 02 61 37", 0, PT_EMALFORMED},
		{"attestation with key 2 twice", PT_ENV_ATTESTATION, "a3 01 02 02 61 37 02 61 37", 0,
		 PT_EMALFORMED},
		{"attestation with key -1 for the name", PT_ENV_ATTESTATION, "a3 01 02 02 61 37 20 61",
		 1, PT_EMALFORMED},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t porter[200], claims[300], out[PT_ENVELOPE_SIZE_MAX];
		size_t pl, cl, n = 0, idx;
		struct pt_envelope d;
		int r;

		pl = unhex(cases[i].hex, porter, sizeof(porter));
		memset(porter + pl, 0x41, cases[i].fill);
		pl += cases[i].fill;
		cl = claims_with(claims, sizeof(claims), porter, pl, 0);
		T_OK(pl > 0 && cl > 0 &&
			     sign_claims(&owner, cases[i].kind, claims, cl, out, sizeof(out), &n) == PT_OK,
		     "claims %s: signed", cases[i].what);
		memset(&d, 0x5a, sizeof(d));
		r = verify(out, n, cases[i].kind, HOME, NOW, SKEW, &d, &idx);
		T_OK(r == cases[i].want, "claims %s: %s (got %s)", cases[i].what,
		     pt_err_code(cases[i].want), pt_err_code(r));
		if (cases[i].want != PT_OK && r != PT_OK)
			T_OK(env_zero(&d), "claims %s: zeroed", cases[i].what);
	}
}

/* ---- approvals (PT_ENV_APPROVAL, docs/alarm.md "Ask the owner") ---- */

static void
test_approval(void)
{
	uint8_t out[PT_ENVELOPE_SIZE_MAX], again[PT_ENVELOPE_SIZE_MAX], bad[PT_ENVELOPE_SIZE_MAX];
	uint8_t claims[256], session[PT_CTI_LEN], request[PT_CTI_LEN], kid[PT_KID_LEN];
	struct pt_envelope e, d;
	size_t n = 0, n2 = 0, cl, idx = 9, i, flips = 0;
	int r;

	printf("# approvals (PT_ENV_APPROVAL)\n");
	memset(request, 0xa7, sizeof(request));
	memset(session, 0x5e, sizeof(session));
	pt_kid(ops, owner.pk, kid);

	/* Round trips: approve by the owner, deny by owner2. */
	env_appr(&e, PT_APPROVE, 0xa7, 0x5e);
	T_EQ(pt_envelope_sign(ops, &owner.sg, &e, out, sizeof(out), &n), PT_OK, "approve: signed");
	printf("# approval: %zu bytes\n", n);
	T_OK(memcmp(e.kid, kid, PT_KID_LEN) == 0, "approve: sign sets the key id");
	memset(&d, 0x5a, sizeof(d));
	r = verify(out, n, PT_ENV_APPROVAL, HOME, NOW, SKEW, &d, &idx);
	T_EQ(r, PT_OK, "approve: verifies (%s)", pt_err_code(r));
	T_OK(d.kind == PT_ENV_APPROVAL && d.op == PT_APPROVE && idx == 1 &&
		     strcmp(d.aud, HOME) == 0 && d.iat == NOW && d.exp == 0 &&
		     memcmp(d.nonce, request, PT_CTI_LEN) == 0 && d.target_len == PT_CTI_LEN &&
		     memcmp(d.target, session, PT_CTI_LEN) == 0 &&
		     is_zero_tail(d.target, PT_CTI_LEN, sizeof(d.target)) &&
		     memcmp(d.kid, kid, PT_KID_LEN) == 0 && d.lock[0] == '\0' && d.name[0] == '\0',
	     "approve: request, session, home, iat, key id back; signer index 1; no lock, no name");
	T_OK(pt_envelope_sign(ops, &owner.sg, &d, again, sizeof(again), &n2) == PT_OK && n2 == n &&
		     memcmp(again, out, n) == 0,
	     "approve: the decoded approval signs again to the same bytes (one encoding)");

	env_appr(&e, PT_DENY, 0xa7, 0x5e);
	T_EQ(pt_envelope_sign(ops, &owner2.sg, &e, again, sizeof(again), &n2), PT_OK,
	     "deny: signed by owner2");
	memset(&d, 0x5a, sizeof(d));
	r = verify(again, n2, PT_ENV_APPROVAL, HOME, NOW, SKEW, &d, &idx);
	T_OK(r == PT_OK && d.op == PT_DENY && idx == 0 && d.target_len == PT_CTI_LEN &&
		     memcmp(d.target, session, PT_CTI_LEN) == 0 &&
		     memcmp(d.nonce, request, PT_CTI_LEN) == 0,
	     "deny: verifies, op deny, the same request and session, signer index 0 (got %s)",
	     pt_err_code(r));
	T_OK(n2 == n && memcmp(again, out, n) != 0, "deny: as long as an approval, other bytes");
	env_appr(&e, PT_DENY, 0xa7, 0x5e);
	{
		/* ... 01 op 02 50 <session> 58 40 <signature> */
		size_t op_at = n - PT_SIG_LEN - 2 - PT_CTI_LEN - 2 - 1;
		T_OK(pt_envelope_sign(ops, &owner.sg, &e, again, sizeof(again), &n2) == PT_OK &&
			     n2 == n && memcmp(again, out, op_at) == 0 && out[op_at] == PT_APPROVE &&
			     again[op_at] == PT_DENY &&
			     memcmp(again + op_at + 1, out + op_at + 1, n - PT_SIG_LEN - op_at - 1) == 0,
		     "deny and approve by one key: the claims differ only in the op");
	}

	/* What the signer refuses, with nothing written. */
	{
		static const struct {
			const char *what;
			int op, len, exp;
		} sc[] = {
			{"op 0", 0, PT_CTI_LEN, 0},
			{"op 3", 3, PT_CTI_LEN, 0},
			{"op 255", 255, PT_CTI_LEN, 0},
			{"no session", PT_APPROVE, 0, 0},
			{"a 15-byte session", PT_APPROVE, 15, 0},
			{"a 17-byte session", PT_APPROVE, 17, 0},
			{"a 32-byte session", PT_APPROVE, PT_PK_LEN, 0},
			{"a denial with a 32-byte session", PT_DENY, PT_PK_LEN, 0},
			{"an expiry (only live has one)", PT_APPROVE, PT_CTI_LEN, 60},
		};
		for (i = 0; i < sizeof(sc) / sizeof(sc[0]); i++) {
			env_appr(&e, (uint8_t)sc[i].op, 0xa7, 0x5e);
			e.target_len = (uint8_t)sc[i].len;
			if (sc[i].exp != 0)
				e.exp = NOW + sc[i].exp;
			memset(again, 0x33, sizeof(again));
			n2 = 77;
			T_EQ(pt_envelope_sign(ops, &owner.sg, &e, again, sizeof(again), &n2),
			     PT_EMALFORMED, "sign: approval with %s: malformed", sc[i].what);
			T_EQ(n2, 0, "sign: approval with %s: nothing written", sc[i].what);
		}
	}
	env_appr(&e, PT_APPROVE, 0xa7, 0x5e);
	e.aud[0] = '\0';
	T_EQ(pt_envelope_sign(ops, &owner.sg, &e, again, sizeof(again), &n2), PT_EMALFORMED,
	     "sign: approval without a home");
	env_appr(&e, PT_APPROVE, 0xa7, 0x5e);
	e.kind = 9;
	T_EQ(pt_envelope_sign(ops, &owner.sg, &e, again, sizeof(again), &n2), PT_EMALFORMED,
	     "sign: kind 9 (does not exist)");
	env_appr(&e, PT_APPROVE, 0xa7, 0x5e);
	T_EQ(pt_envelope_sign(ops, &owner.sg, &e, again, 60, &n2), PT_ENOSPC,
	     "sign: approval into 60 bytes");

	/* Signer not in the list. */
	env_appr(&e, PT_APPROVE, 0xa7, 0x5e);
	T_EQ(pt_envelope_sign(ops, &stranger.sg, &e, bad, sizeof(bad), &n2), PT_OK,
	     "a stranger signs an approval");
	refuse("untrusted-signer: approval by a stranger", bad, n2, PT_ENV_APPROVAL, HOME, NOW,
	       PT_EUNTRUSTEDCMD);
	T_EQ(pt_envelope_sign(ops, &carrier.sg, &e, bad, sizeof(bad), &n2), PT_OK,
	     "the carrier signs an approval");
	refuse("untrusted-signer: approval by the carrier", bad, n2, PT_ENV_APPROVAL, HOME, NOW,
	       PT_EUNTRUSTEDCMD);
	{
		struct pt_envelope dd;
		size_t ii = 5;
		r = pt_envelope_verify(ops, out, n, PT_ENV_APPROVAL,
				       (const uint8_t(*)[PT_PK_LEN])signers, 1, HOME, NOW, SKEW, &dd,
				       &ii);
		T_OK(r == PT_EUNTRUSTEDCMD && env_zero(&dd) && ii == 0,
		     "untrusted-signer: the owner is not in the list given (only owner2)");
		r = pt_envelope_verify(ops, out, n, PT_ENV_APPROVAL, NULL, 0, HOME, NOW, SKEW, &dd,
				       &ii);
		T_EQ(r, PT_EUNTRUSTEDCMD, "untrusted-signer: no signers at all");
	}

	/* Wrong home; freshness (the hub checks it with its command skew). */
	refuse("wrong-home: approval for another home", out, n, PT_ENV_APPROVAL, "home-0000", NOW,
	       PT_EAUDIENCE);
	refuse("wrong-home: approval without a home id", out, n, PT_ENV_APPROVAL, NULL, NOW,
	       PT_EAUDIENCE);
	refuse("wrong-home: approval for home-7f3 (a prefix)", out, n, PT_ENV_APPROVAL, "home-7f3",
	       NOW, PT_EAUDIENCE);
	T_EQ(verify(out, n, PT_ENV_APPROVAL, HOME, NOW + SKEW, SKEW, &d, &idx), PT_OK,
	     "approval: iat exactly skew in the past: accepted");
	T_EQ(verify(out, n, PT_ENV_APPROVAL, HOME, NOW - SKEW, SKEW, &d, &idx), PT_OK,
	     "approval: iat exactly skew in the future: accepted");
	refuse("stale: approval skew + 1 s old", out, n, PT_ENV_APPROVAL, HOME, NOW + SKEW + 1,
	       PT_ESTALE);
	refuse("stale: approval skew + 1 s in the future", out, n, PT_ENV_APPROVAL, HOME,
	       NOW - SKEW - 1, PT_ESTALE);
	refuse("stale: approval a day old", out, n, PT_ENV_APPROVAL, HOME, NOW + 86400, PT_ESTALE);
	refuse("stale: approval, now = INT64_MIN", out, n, PT_ENV_APPROVAL, HOME, INT64_MIN,
	       PT_ESTALE);
	refuse("wrong home before stale", out, n, PT_ENV_APPROVAL, "home-0000", NOW + 86400,
	       PT_EAUDIENCE);

	/* Domain separation: no other kind's signature is an approval, and an
	 * approval is no other kind. */
	{
		uint8_t other[PT_ENVELOPE_SIZE_MAX];
		size_t on = 0;
		env_cmd(&e, PT_CMD_UNLOCK, "front");
		T_EQ(pt_envelope_sign(ops, &owner.sg, &e, other, sizeof(other), &on), PT_OK,
		     "command signed");
		refuse("a command presented as an approval", other, on, PT_ENV_APPROVAL, HOME, NOW,
		       PT_EBADSIG);
		env_owner(&e, hub_pk);
		T_EQ(pt_envelope_sign(ops, &owner.sg, &e, other, sizeof(other), &on), PT_OK,
		     "owner statement signed");
		refuse("an owner statement presented as an approval", other, on, PT_ENV_APPROVAL, HOME,
		       NOW, PT_EBADSIG);
		/* A token revocation of the session: the very same claims
		 * shape {1: 1, 2: 16 bytes}, the very same bytes but the AAD. */
		env_rev(&e, PT_REVOKE_TOKEN, session, PT_CTI_LEN);
		memset(e.nonce, 0xa7, PT_CTI_LEN);
		T_EQ(pt_envelope_sign(ops, &owner.sg, &e, other, sizeof(other), &on), PT_OK,
		     "token revocation of the session signed, with the request id as nonce");
		T_OK(on == n && memcmp(other, out, n - PT_SIG_LEN) == 0 &&
			     memcmp(other + n - PT_SIG_LEN, out + n - PT_SIG_LEN, PT_SIG_LEN) != 0,
		     "it is the approval's bytes but the signature: only the AAD differs");
		refuse("a token revocation presented as an approval", other, on, PT_ENV_APPROVAL, HOME,
		       NOW, PT_EBADSIG);
		refuse("an approval presented as a token revocation", out, n, PT_ENV_REVOCATION, HOME,
		       NOW, PT_EBADSIG);
		env_rev(&e, PT_REVOKE_KEY, hub_pk, PT_PK_LEN);
		T_EQ(pt_envelope_sign(ops, &owner.sg, &e, other, sizeof(other), &on), PT_OK,
		     "key revocation signed");
		refuse("a key revocation presented as an approval", other, on, PT_ENV_APPROVAL, HOME,
		       NOW, PT_EBADSIG);
		refuse("an approval presented as a command", out, n, PT_ENV_COMMAND, HOME, NOW,
		       PT_EBADSIG);
		refuse("an approval presented as an owner statement", out, n, PT_ENV_OWNER, HOME, NOW,
		       PT_EBADSIG);
		refuse("an approval presented as a pairing", out, n, PT_ENV_PAIRING, HOME, NOW,
		       PT_EBADSIG);
		refuse("an approval presented as a live request", out, n, PT_ENV_LIVE, HOME, NOW,
		       PT_EBADSIG);
		env_appr(&e, PT_DENY, 0xa7, 0x5e);
		T_EQ(pt_envelope_sign(ops, &owner.sg, &e, other, sizeof(other), &on), PT_OK,
		     "denial signed");
		refuse("a denial presented as a revocation", other, on, PT_ENV_REVOCATION, HOME, NOW,
		       PT_EBADSIG);
		refuse("a denial presented as a command", other, on, PT_ENV_COMMAND, HOME, NOW,
		       PT_EBADSIG);
	}
	/* Claims signed under the wrong AAD: the signature fails first. */
	{
		uint8_t porter[2 + 3 + PT_CTI_LEN] = {0xa2, 0x01, PT_APPROVE, 0x02, 0x50};
		memcpy(porter + 5, session, PT_CTI_LEN);
		cl = claims_with(claims, sizeof(claims), porter, sizeof(porter), 0);
		T_OK(cl > 0 && sign_claims(&owner, PT_ENV_OWNER, claims, cl, bad, sizeof(bad), &n2) ==
					PT_OK,
		     "approval claims under the owner AAD: signed");
		refuse("approval claims under the owner AAD, as an approval", bad, n2, PT_ENV_APPROVAL,
		       HOME, NOW, PT_EBADSIG);
		refuse("approval claims under the owner AAD, as an owner statement", bad, n2,
		       PT_ENV_OWNER, HOME, NOW, PT_EMALFORMED);
		T_OK(sign_claims(&owner, PT_ENV_COMMAND, claims, cl, bad, sizeof(bad), &n2) == PT_OK,
		     "approval claims under the command AAD: signed");
		refuse("approval claims under the command AAD, as an approval", bad, n2,
		       PT_ENV_APPROVAL, HOME, NOW, PT_EBADSIG);
		refuse("approval claims under the command AAD, as a command", bad, n2, PT_ENV_COMMAND,
		       HOME, NOW, PT_EMALFORMED);
		/* Well-formed claims with an expiry, under the approval AAD. */
		cl = claims_with(claims, sizeof(claims), porter, sizeof(porter), 1);
		T_OK(cl > 0 && sign_claims(&owner, PT_ENV_APPROVAL, claims, cl, bad, sizeof(bad),
					   &n2) == PT_OK,
		     "approval claims with an expiry (claim 4): signed");
		refuse("approval with an expiry claim", bad, n2, PT_ENV_APPROVAL, HOME, NOW,
		       PT_EMALFORMED);
		cl = claims_with(claims, sizeof(claims), porter, sizeof(porter), 3);
		T_OK(cl > 0 && sign_claims(&owner, PT_ENV_APPROVAL, claims, cl, bad, sizeof(bad),
					   &n2) == PT_OK,
		     "approval claims with a byte after them: signed");
		refuse("approval with a byte after the claims", bad, n2, PT_ENV_APPROVAL, HOME, NOW,
		       PT_EMALFORMED);
		cl = claims_with(claims, sizeof(claims), porter, sizeof(porter), 0);
		T_OK(cl > 0 && sign_claims(&owner, PT_ENV_APPROVAL, claims, cl, bad, sizeof(bad),
					   &n2) == PT_OK &&
			     verify(bad, n2, PT_ENV_APPROVAL, HOME, NOW, SKEW, &d, &idx) == PT_OK &&
			     d.op == PT_APPROVE && memcmp(d.target, session, PT_CTI_LEN) == 0,
		     "the same claims under the approval AAD: an approval (control)");
	}

	/* Size and framing. */
	memset(bad, 0, sizeof(bad));
	memcpy(bad, out, n);
	refuse("too-large: approval padded to 513 bytes", bad, PT_ENVELOPE_SIZE_MAX + 1,
	       PT_ENV_APPROVAL, HOME, NOW, PT_ETOOBIG);
	refuse("a byte after the approval: malformed", bad, n + 1, PT_ENV_APPROVAL, HOME, NOW,
	       PT_EMALFORMED);
	refuse("approval cut by a byte: malformed", bad, n - 1, PT_ENV_APPROVAL, HOME, NOW,
	       PT_EMALFORMED);
	refuse("untagged approval: malformed", out + 1, n - 1, PT_ENV_APPROVAL, HOME, NOW,
	       PT_EMALFORMED);

	/* Every single bit flip. */
	for (i = 0; i < n * 8; i++) {
		memcpy(bad, out, n);
		bad[i / 8] ^= (uint8_t)(1u << (i % 8));
		memset(&d, 0x5a, sizeof(d));
		r = verify(bad, n, PT_ENV_APPROVAL, HOME, NOW, SKEW, &d, &idx);
		if (r == PT_OK || !env_zero(&d))
			flips++;
	}
	T_EQ(flips, 0, "every one of %zu single bit flips of an approval refused, zeroed", n * 8);
	T_EQ(verify(out, n, PT_ENV_APPROVAL, HOME, NOW, SKEW, &d, &idx), PT_OK,
	     "the unflipped approval still verifies");
}

int
main(void)
{
	if (pt_crypto_init() != PT_OK) {
		printf("Bail out! crypto init\n");
		return 1;
	}
	ops = pt_crypto_sodium();
	key_init(&owner, 0x11);
	key_init(&owner2, 0x12);
	key_init(&stranger, 0x13);
	key_init(&carrier, 0x14);
	memcpy(signers[0], owner2.pk, PT_PK_LEN);
	memcpy(signers[1], owner.pk, PT_PK_LEN);
	memcpy(att_signers[0], carrier.pk, PT_PK_LEN);
	memset(viewer_xpk, 0x58, sizeof(viewer_xpk));	/* any key not of small order */
	{
		struct key hub;
		key_init(&hub, 0x15);
		memcpy(hub_pk, hub.pk, PT_PK_LEN);
		pt_secret_free(hub.sec);
	}

	test_roundtrip();
	test_sign_refusals();
	test_refusals();
	test_strict_claims();
	test_pairing_attestation_roundtrip();
	test_pairing_attestation_sign_refusals();
	test_cross_kind();
	test_pairing_attestation_refusals();
	test_strict_claims_new();
	test_owner();
	test_hub_home();
	test_live();
	test_approval();

	pt_secret_free(owner.sec);
	pt_secret_free(owner2.sec);
	pt_secret_free(stranger.sec);
	pt_secret_free(carrier.sec);
	return t_done();
}
