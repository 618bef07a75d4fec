/*
 * test_envelope: signed remote commands and revocations.
 *
 * Round trips of lock/unlock (with and without a lock id) and of token
 * and key revocations; then every refusal: signer not enrolled, bad
 * signature, one kind presented as the other (domain separation), wrong
 * home, iat outside the skew (and exactly at it), oversized input, strict
 * claims, and every single bit flip.
 */
#include <stdint.h>
#include <string.h>

#include "porter/cbor.h"
#include "porter/cose.h"
#include "porter/cred.h"
#include "porter/crypto.h"
#include "porter/envelope.h"
#include "t.h"

#define HOME "home-7f3a"
#define SKEW 300u

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

static struct key owner, owner2, stranger;
static uint8_t signers[2][PT_PK_LEN];	/* {owner2, owner} */

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
	const char *aad = kind == PT_ENV_COMMAND ? PT_AAD_COMMAND : PT_AAD_REVOCATION;

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
	memcpy(signers[0], owner2.pk, PT_PK_LEN);
	memcpy(signers[1], owner.pk, PT_PK_LEN);

	test_roundtrip();
	test_sign_refusals();
	test_refusals();
	test_strict_claims();

	pt_secret_free(owner.sec);
	pt_secret_free(owner2.sec);
	pt_secret_free(stranger.sec);
	return t_done();
}
