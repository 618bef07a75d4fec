/*
 * test_approval_kat: the owner's approval (PT_ENV_APPROVAL, docs/alarm.md
 * "Ask the owner") against tests/vectors/porter-approval-01.json, which
 * tests/vectors/gen_approval.py made outside porter (CBOR by hand, Ed25519
 * by Python's cryptography).
 *
 * From the vector's seed and fields, pt_envelope_sign must give its
 * cose_sign1 byte for byte (Ed25519 is deterministic); the Sig_structure
 * rebuilt here by hand from the spec (docs/credentials.md) must be its
 * sig_structure, and libsodium must accept its signature over it; then
 * pt_envelope_verify must answer each row of "verify" with the reason the
 * row names, and an accepted row must hand back every field. The vector is
 * read at run time from $PORTER_VECTORS (or $PORTER_SRC/tests/vectors):
 * not finding it is a failure, not a skip.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "porter/cbor.h"
#include "porter/cose.h"
#include "porter/cred.h"
#include "porter/crypto.h"
#include "porter/envelope.h"
#include "porter/err.h"
#include "t.h"

#define VECTOR "porter-approval-01.json"
#define N_KEYS 2

static const struct pt_crypto_ops *ops;

struct key {
	const char *name;
	struct pt_secret *sec;
	struct pt_signer sg;
	uint8_t pk[PT_PK_LEN], kid[PT_KID_LEN];
};

static struct key keys[N_KEYS] = {{.name = "owner"}, {.name = "other"}};

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Lower-case hex to bytes: the length, or 0 on any error. */
static size_t
unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n, i;
	int hi, lo;

	if (s == NULL || (n = strlen(s)) % 2 != 0 || n / 2 > cap)
		return 0;
	for (i = 0; i < n / 2; i++) {
		if ((hi = hexval(s[2 * i])) < 0 || (lo = hexval(s[2 * i + 1])) < 0)
			return 0;
		out[i] = (uint8_t)(hi * 16 + lo);
	}
	return n / 2;
}

static const char *
jstr(json_t *j, const char *k)
{
	json_t *v = json_object_get(j, k);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* The bytes of the hex string j[k], exactly want of them (want 0: any). */
static size_t
jhex(json_t *j, const char *k, uint8_t *out, size_t cap, size_t want)
{
	size_t n = unhex(jstr(j, k), out, cap);

	return want == 0 || n == want ? n : 0;
}

static json_t *
load(void)
{
	const char *v = getenv("PORTER_VECTORS"), *src = getenv("PORTER_SRC");
	char p[1200];
	json_error_t err;
	json_t *j = NULL;

	if (v != NULL) {
		(void)snprintf(p, sizeof(p), "%s/" VECTOR, v);
		j = json_load_file(p, 0, &err);
	}
	if (j == NULL && src != NULL) {
		(void)snprintf(p, sizeof(p), "%s/tests/vectors/" VECTOR, src);
		j = json_load_file(p, 0, &err);
	}
	if (j == NULL) {
		j = json_load_file("tests/vectors/" VECTOR, 0, &err);
		if (j == NULL)
			printf("# " VECTOR ": %s\n", err.text);
	}
	return j;
}

static struct key *
key_named(const char *name)
{
	size_t i;

	for (i = 0; name != NULL && i < N_KEYS; i++)
		if (strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

/* The vector's keys: the seed gives the public key and key id it states. */
static bool
load_keys(json_t *j)
{
	json_t *jk = json_object_get(j, "keys");
	uint8_t seed[PT_SEED_LEN], b[PT_PK_LEN];
	bool all = true;
	size_t i;

	for (i = 0; i < N_KEYS; i++) {
		struct key *k = &keys[i];
		json_t *o = json_object_get(jk, k->name);
		bool ok = jhex(o, "seed", seed, sizeof(seed), PT_SEED_LEN) != 0 &&
			  (k->sec = pt_secret_new()) != NULL &&
			  pt_secret_from_seed(k->sec, seed) == PT_OK;

		pt_wipe(seed, sizeof(seed));
		T_OK(ok, "key %s: from its seed", k->name);
		if (!ok) {
			all = false;
			continue;
		}
		pt_secret_public(k->sec, k->pk);
		pt_signer_sodium(&k->sg, k->sec);
		pt_kid(ops, k->pk, k->kid);
		T_OK(jhex(o, "public_key", b, sizeof(b), PT_PK_LEN) != 0 &&
			     memcmp(b, k->pk, PT_PK_LEN) == 0,
		     "key %s: public key as stated", k->name);
		T_OK(jhex(o, "kid", b, sizeof(b), PT_KID_LEN) != 0 && memcmp(b, k->kid, PT_KID_LEN) == 0,
		     "key %s: key id as stated (first 8 bytes of its SHA-256)", k->name);
	}
	return all;
}

/* The envelope the vector describes, from its own fields. */
static bool
envelope_of(json_t *j, struct pt_envelope *e)
{
	const char *home = jstr(j, "home_id");
	json_t *iat = json_object_get(j, "iat"), *op = json_object_get(j, "op");

	memset(e, 0, sizeof(*e));
	e->kind = PT_ENV_APPROVAL;
	if (home == NULL || strlen(home) >= sizeof(e->aud) || !json_is_integer(iat) ||
	    !json_is_integer(op) || json_integer_value(op) < 0 || json_integer_value(op) > 255)
		return false;
	memcpy(e->aud, home, strlen(home) + 1);
	e->iat = (int64_t)json_integer_value(iat);
	e->op = (uint8_t)json_integer_value(op);
	if (jhex(j, "request", e->nonce, sizeof(e->nonce), PT_CTI_LEN) == 0 ||
	    jhex(j, "session", e->target, sizeof(e->target), PT_CTI_LEN) == 0)
		return false;
	e->target_len = PT_CTI_LEN;
	return true;
}

static int
kind_named(const char *s)
{
	static const struct {
		const char *name;
		enum pt_envelope_kind kind;
	} kinds[] = {
		{"command", PT_ENV_COMMAND},	 {"revocation", PT_ENV_REVOCATION},
		{"pairing", PT_ENV_PAIRING},	 {"attestation", PT_ENV_ATTESTATION},
		{"owner", PT_ENV_OWNER},	 {"live", PT_ENV_LIVE},
		{"approval", PT_ENV_APPROVAL},
	};
	size_t i;

	for (i = 0; s != NULL && i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(kinds[i].name, s) == 0)
			return (int)kinds[i].kind;
	return -1;
}

/* The bytes: porter signs exactly these, and they are what the spec says. */
static void
test_bytes(json_t *j, const struct pt_envelope *want, const uint8_t *cose, size_t cose_len)
{
	uint8_t out[PT_ENVELOPE_SIZE_MAX], b[1024], tbs[1024], sig[PT_SIG_LEN];
	struct pt_envelope e = *want;
	struct pt_cbor_wr w;
	struct pt_sign1 s;
	const char *aad = jstr(j, "external_aad");
	size_t n = 0, bl;

	printf("# the bytes\n");
	T_EQ(pt_envelope_sign(ops, &keys[0].sg, &e, out, sizeof(out), &n), PT_OK,
	     "pt_envelope_sign with the vector's seed and fields");
	T_OK(n == cose_len && memcmp(out, cose, n) == 0,
	     "porter signs exactly cose_sign1 (%zu bytes, want %zu)", n, cose_len);
	T_OK(memcmp(e.kid, keys[0].kid, PT_KID_LEN) == 0, "sign sets the owner's key id");
	T_OK(json_integer_value(json_object_get(j, "cose_sign1_len")) == (json_int_t)cose_len,
	     "cose_sign1_len");
	T_OK(aad != NULL && strcmp(aad, PT_AAD_APPROVAL) == 0, "external AAD is PT_AAD_APPROVAL");
	T_OK(strcmp(PT_AAD_APPROVAL, "porter/approval/v1") == 0,
	     "PT_AAD_APPROVAL is \"porter/approval/v1\"");
	T_OK(strcmp(jstr(j, "kind") ? jstr(j, "kind") : "", "approval") == 0 &&
		     want->op == PT_APPROVE && PT_APPROVE == 1 && PT_DENY == 2,
	     "kind approval, op 1 (PT_APPROVE; PT_DENY is 2)");

	/* Its parts, as the vector states them. */
	T_EQ(pt_sign1_decode(cose, cose_len, &s), PT_OK, "cose_sign1 decodes");
	T_OK(s.tagged, "tagged COSE_Sign1 (18)");
	bl = jhex(j, "protected", b, sizeof(b), 0);
	T_OK(bl == s.prot_len && memcmp(b, s.prot, bl) == 0, "protected as stated");
	T_OK(bl == 13 && memcmp(b, "\xa2\x01\x27\x04\x48", 5) == 0 &&
		     memcmp(b + 5, keys[0].kid, PT_KID_LEN) == 0,
	     "protected is {1: -8, 4: the owner's kid}");
	T_OK(s.unprot_len == 1 && s.unprot[0] == 0xa0 && strcmp(jstr(j, "unprotected"), "a0") == 0,
	     "unprotected is {}");
	bl = jhex(j, "claims", b, sizeof(b), 0);
	T_OK(bl == s.payload_len && memcmp(b, s.payload, bl) == 0, "claims as stated");
	T_OK(json_integer_value(json_object_get(j, "claims_len")) == (json_int_t)bl, "claims_len");
	T_OK(jhex(j, "signature", sig, sizeof(sig), PT_SIG_LEN) != 0 && s.sig_len == PT_SIG_LEN &&
		     memcmp(sig, s.sig, PT_SIG_LEN) == 0,
	     "signature as stated");

	/* The Sig_structure, by hand: ["Signature1", protected, aad, claims]. */
	pt_cbor_wr_init(&w, tbs, sizeof(tbs));
	pt_cbor_put_array(&w, 4);
	pt_cbor_put_text(&w, "Signature1", 10);
	pt_cbor_put_bytes(&w, s.prot, s.prot_len);
	pt_cbor_put_bytes(&w, (const uint8_t *)PT_AAD_APPROVAL, strlen(PT_AAD_APPROVAL));
	pt_cbor_put_bytes(&w, s.payload, s.payload_len);
	T_EQ(pt_cbor_wr_status(&w), PT_OK, "Sig_structure built");
	bl = jhex(j, "sig_structure", b, sizeof(b), 0);
	T_OK(bl == w.len && memcmp(b, tbs, bl) == 0, "Sig_structure as stated (%zu bytes)", w.len);
	T_OK(ops->ed25519_verify(sig, tbs, w.len, keys[0].pk),
	     "the signature verifies over it with the owner's key");
	T_OK(!ops->ed25519_verify(sig, tbs, w.len, keys[1].pk), "and not with the other key");

	/* The claims, entry by entry (envelope.h). */
	{
		static const uint8_t porter[] = {0xa2, 0x01, 0x01, 0x02, 0x50};
		size_t at = s.payload_len - sizeof(porter) - PT_CTI_LEN;
		T_OK(s.payload_len > sizeof(porter) + PT_CTI_LEN && s.payload[0] == 0xa4 &&
			     memcmp(s.payload + at, porter, sizeof(porter)) == 0 &&
			     memcmp(s.payload + at + sizeof(porter), want->target, PT_CTI_LEN) == 0 &&
			     memcmp(s.payload + at - 5, "\x3a\x00\x01\x00\x00", 5) == 0,
		     "claims end with -65537: {1: 1, 2: the 16-byte session}");
	}
}

/* One row of "verify": pt_envelope_verify answers with its reason. */
static void
test_row(size_t i, json_t *row, const uint8_t *cose, size_t cose_len,
	 const struct pt_envelope *want)
{
	uint8_t signers[N_KEYS][PT_PK_LEN];
	const char *reason = jstr(row, "reason"), *home = jstr(row, "home_id");
	json_t *js = json_object_get(row, "signers"), *now = json_object_get(row, "now"),
	       *skew = json_object_get(row, "skew");
	int kind = kind_named(jstr(row, "kind")), r;
	struct pt_envelope d;
	size_t k, n = json_array_size(js), idx = 99;
	bool shape = reason != NULL && home != NULL && kind > 0 && n >= 1 && n <= N_KEYS &&
		     json_is_integer(now) && json_is_integer(skew) &&
		     json_integer_value(skew) >= 0 && json_integer_value(skew) <= UINT32_MAX;

	for (k = 0; shape && k < n; k++) {
		struct key *key = key_named(json_string_value(json_array_get(js, k)));
		if (key == NULL)
			shape = false;
		else
			memcpy(signers[k], key->pk, PT_PK_LEN);
	}
	T_OK(shape, "row %zu: a kind, signers, home, now, skew and reason", i);
	if (!shape)
		return;
	memset(&d, 0x5a, sizeof(d));
	r = pt_envelope_verify(ops, cose, cose_len, (enum pt_envelope_kind)kind,
			       (const uint8_t(*)[PT_PK_LEN])signers, n, home,
			       (int64_t)json_integer_value(now), (uint32_t)json_integer_value(skew),
			       &d, &idx);
	T_OK(strcmp(pt_err_code(r), reason) == 0, "row %zu: as %s for %s at iat%+lld: %s (got %s)",
	     i, jstr(row, "kind"), home, (long long)(json_integer_value(now) - want->iat), reason,
	     pt_err_code(r));
	if (r != PT_OK) {
		static const struct pt_envelope zero;
		T_OK(memcmp(&d, &zero, sizeof(d)) == 0 && idx == 0,
		     "row %zu: refused, nothing handed back", i);
		return;
	}
	T_OK(d.kind == PT_ENV_APPROVAL && idx == 0 && memcmp(d.kid, keys[0].kid, PT_KID_LEN) == 0 &&
		     strcmp(d.aud, want->aud) == 0 && d.iat == want->iat && d.exp == 0 &&
		     memcmp(d.nonce, want->nonce, PT_CTI_LEN) == 0 && d.op == PT_APPROVE &&
		     d.target_len == PT_CTI_LEN &&
		     memcmp(d.target, want->target, PT_CTI_LEN) == 0 && d.lock[0] == '\0' &&
		     d.name[0] == '\0',
	     "row %zu: every field back: home, iat, request, approve, session, the owner's kid", i);
}

int
main(void)
{
	uint8_t cose[PT_ENVELOPE_SIZE_MAX + 1];
	struct pt_envelope want;
	json_t *j, *rows;
	size_t cose_len, i, n_ok = 0, n_bad = 0;
	bool kinds[PT_ENV_APPROVAL + 1] = {false};

	if (pt_crypto_init() != PT_OK) {
		printf("Bail out! crypto init\n");
		return 1;
	}
	ops = pt_crypto_sodium();
	j = load();
	T_OK(j != NULL, VECTOR " found and parsed (PORTER_VECTORS)");
	if (j == NULL)
		return t_done();
	if (!load_keys(j))
		goto done;
	cose_len = jhex(j, "cose_sign1", cose, sizeof(cose), 0);
	T_OK(cose_len > 0 && cose_len <= PT_ENVELOPE_SIZE_MAX, "cose_sign1: %zu bytes", cose_len);
	T_OK(envelope_of(j, &want), "the vector's home, iat, request, op and session");
	if (cose_len == 0)
		goto done;
	test_bytes(j, &want, cose, cose_len);

	printf("# the verify rows\n");
	rows = json_object_get(j, "verify");
	T_OK(json_array_size(rows) > 0, "%zu verify rows", json_array_size(rows));
	for (i = 0; i < json_array_size(rows); i++) {
		json_t *row = json_array_get(rows, i);
		const char *reason = jstr(row, "reason");
		int kind = kind_named(jstr(row, "kind"));
		test_row(i, row, cose, cose_len, &want);
		if (reason != NULL && strcmp(reason, "ok") == 0)
			n_ok++;
		if (reason != NULL && strcmp(reason, "bad-signature") == 0 && kind > 0)
			kinds[kind] = true;
		n_bad += reason != NULL && strcmp(reason, "ok") != 0;
	}
	/* The rows must say something: accepted as an approval, refused as
	 * every other kind, and refused otherwise. */
	T_OK(n_ok >= 1 && n_bad >= 1, "rows: %zu accepted, %zu refused", n_ok, n_bad);
	T_OK(kinds[PT_ENV_COMMAND] && kinds[PT_ENV_REVOCATION] && kinds[PT_ENV_PAIRING] &&
		     kinds[PT_ENV_ATTESTATION] && kinds[PT_ENV_OWNER] && kinds[PT_ENV_LIVE] &&
		     !kinds[PT_ENV_APPROVAL],
	     "rows: bad-signature as each of the six other kinds");

	/* What the vector does not say, but follows from it: the same
	 * answer as a denial is other bytes, and they are a denial. */
	{
		uint8_t out[PT_ENVELOPE_SIZE_MAX];
		struct pt_envelope e = want, d;
		size_t n = 0, idx = 9;
		e.op = PT_DENY;
		T_OK(pt_envelope_sign(ops, &keys[0].sg, &e, out, sizeof(out), &n) == PT_OK &&
			     n == cose_len && memcmp(out, cose, n) != 0,
		     "the same fields with PT_DENY: other bytes, same length");
		T_OK(pt_envelope_verify(ops, out, n, PT_ENV_APPROVAL,
					(const uint8_t(*)[PT_PK_LEN])keys[0].pk, 1, want.aud,
					want.iat, 60, &d, &idx) == PT_OK &&
			     d.op == PT_DENY,
		     "and they verify as a denial");
	}
done:
	for (i = 0; i < N_KEYS; i++)
		pt_secret_free(keys[i].sec);
	json_decref(j);
	return t_done();
}
