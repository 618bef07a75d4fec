/*
 * test_camera_stmt: the owner-signed camera enrolment statement
 * (porter/camera_stmt.h, lib/core/camera_stmt.c).
 *
 * Round trips (name empty and at its limit, the signer's index and key
 * id); a known answer (RFC 8032 TEST 1's key signing a fixed statement:
 * these exact bytes, checked outside porter too, see below); then every
 * refusal: a signer not in the list, a key id that lies, another AAD (an
 * owner endorsement's, a live request's), an owner endorsement presented
 * as a camera statement, every field that does not match, every
 * truncation, every single bit flip, garbage, oversized input, and a
 * payload that breaks each rule, correctly signed.
 *
 * With PORTER_CAMERA_STMT_CORPUS=DIR it also writes every statement it
 * verifies to DIR, the seed corpus of fuzz/fuzz_camera_stmt.c (whose
 * signers are this test's owner and owner2: seeds 32 x 0x01 and 0x02):
 *   PORTER_CAMERA_STMT_CORPUS=fuzz/corpus/camera_stmt build/tests/test_camera_stmt
 */
#include <stdint.h>
#include <string.h>

#include "porter/camera_stmt.h"
#include "porter/cbor.h"
#include "porter/cose.h"
#include "porter/cred.h"
#include "porter/crypto.h"
#include "porter/envelope.h"
#include "t.h"

#define HOME "home-7f3a"
#define CAM "cam-front"
#define NOW 1796119200	/* 2026-12-01T10:00:00Z */

static const struct pt_crypto_ops *ops;

struct key {
	struct pt_secret *sec;
	struct pt_signer sg;
	uint8_t pk[PT_PK_LEN];
};

static struct key owner, owner2, stranger, camera;
static uint8_t signers[2][PT_PK_LEN];	/* {owner2, owner} */

static void
key_seed(struct key *k, const uint8_t seed[PT_SEED_LEN])
{
	k->sec = pt_secret_new();
	if (k->sec == NULL || pt_secret_from_seed(k->sec, seed) != PT_OK) {
		printf("Bail out! key\n");
		exit(1);
	}
	pt_secret_public(k->sec, k->pk);
	pt_signer_sodium(&k->sg, k->sec);
}

static void
key_init(struct key *k, uint8_t fill)
{
	uint8_t seed[PT_SEED_LEN];

	memset(seed, fill, sizeof(seed));
	key_seed(k, seed);
}

static void
stmt_init(struct pt_camera_stmt *st, const char *name)
{
	memset(st, 0, sizeof(*st));
	strcpy(st->home, HOME);
	strcpy(st->camera, CAM);
	memcpy(st->camera_pk, camera.pk, PT_PK_LEN);
	strcpy(st->name, name);
	st->iat = NOW;
}

static bool no_seeds;	/* the truncation and bit-flip loops add none */

/* A seed for the fuzz target, if asked for (PORTER_CAMERA_STMT_CORPUS). */
static void
seed_put(const uint8_t *p, size_t n)
{
	static unsigned count;
	const char *dir = getenv("PORTER_CAMERA_STMT_CORPUS");
	char path[1024];
	FILE *f;

	if (dir == NULL || n == 0 || no_seeds || count >= 100)
		return;
	(void)snprintf(path, sizeof(path), "%s/stmt_%03u", dir, count++);
	if ((f = fopen(path, "wb")) == NULL)
		return;
	(void)fwrite(p, 1, n, f);
	fclose(f);
}

static int
verify(const uint8_t *p, size_t n, struct pt_camera_stmt *st, size_t *idx)
{
	seed_put(p, n);
	return pt_camera_stmt_verify(ops, p, n, (const uint8_t(*)[PT_PK_LEN])signers, 2, st, idx);
}

static bool
stmt_zero(const struct pt_camera_stmt *st)
{
	static const struct pt_camera_stmt zero;

	return memcmp(st, &zero, sizeof(*st)) == 0;
}

/* Verify expecting a refusal: code, and nothing left in *st. */
static void
refuse(const char *what, const uint8_t *p, size_t n, int want)
{
	struct pt_camera_stmt st;
	size_t idx = 77;
	int r;

	memset(&st, 0x5a, sizeof(st));
	r = verify(p, n, &st, &idx);
	T_OK(r == want, "%s: %s (got %s)", what, pt_err_code(want), pt_err_code(r));
	T_OK(stmt_zero(&st) && idx == 0, "%s: statement zeroed, signer index 0", what);
}

/* Sign a hand-built payload the way pt_camera_stmt_sign would, with aad. */
static size_t
sign_raw(const struct key *k, const char *aad, const uint8_t *payload, size_t len, uint8_t *out,
	 size_t cap)
{
	uint8_t kid[PT_KID_LEN];
	size_t n = 0;

	pt_kid(ops, k->pk, kid);
	if (pt_sign1_sign(&k->sg, kid, PT_KID_LEN, (const uint8_t *)aad, strlen(aad), payload, len,
			  out, cap, &n) != PT_OK)
		return 0;
	return n;
}

/* A payload with the given fields (any of them may break the rules). */
struct raw {
	int n_keys;		/* entries the map says it has */
	uint64_t version;
	const char *home, *camera, *name;
	size_t name_len;	/* SIZE_MAX: strlen(name) */
	size_t pk_len;
	uint64_t iat;
	bool extra;		/* a key 7 after the others */
	bool swap;		/* keys 2 and 3 in the wrong order */
};

static size_t
payload_raw(const struct raw *r, uint8_t *out, size_t cap)
{
	uint8_t pk[PT_PK_LEN + 1] = {0};	/* room for the 33-byte case */
	struct pt_cbor_wr w;

	memcpy(pk, camera.pk, PT_PK_LEN);
	if (r->pk_len > sizeof(pk))
		return 0;

	pt_cbor_wr_init(&w, out, cap);
	pt_cbor_put_map(&w, (size_t)r->n_keys);
	pt_cbor_put_uint(&w, 1);
	pt_cbor_put_uint(&w, r->version);
	if (r->swap) {
		pt_cbor_put_uint(&w, 3);
		pt_cbor_put_text(&w, r->camera, strlen(r->camera));
		pt_cbor_put_uint(&w, 2);
		pt_cbor_put_text(&w, r->home, strlen(r->home));
	} else {
		pt_cbor_put_uint(&w, 2);
		pt_cbor_put_text(&w, r->home, strlen(r->home));
		pt_cbor_put_uint(&w, 3);
		pt_cbor_put_text(&w, r->camera, strlen(r->camera));
	}
	pt_cbor_put_uint(&w, 4);
	pt_cbor_put_bytes(&w, pk, r->pk_len);
	pt_cbor_put_uint(&w, 5);
	pt_cbor_put_text(&w, r->name, r->name_len == SIZE_MAX ? strlen(r->name) : r->name_len);
	pt_cbor_put_uint(&w, 6);
	pt_cbor_put_uint(&w, r->iat);
	if (r->extra) {
		pt_cbor_put_uint(&w, 7);
		pt_cbor_put_uint(&w, 0);
	}
	return pt_cbor_wr_status(&w) == PT_OK ? w.len : 0;
}

static struct raw
raw_ok(void)
{
	struct raw r = {6, 1, HOME, CAM, "Front door", SIZE_MAX, PT_PK_LEN, NOW, false, false};

	return r;
}

static void
test_round_trip(void)
{
	struct pt_camera_stmt st, got;
	uint8_t buf[PT_CAMERA_STMT_MAX], kid[PT_KID_LEN], want_kid[PT_KID_LEN];
	char name[PT_CAMERA_NAME_MAX + 2];
	size_t n, idx = 9;

	stmt_init(&st, "Front door");
	T_EQ(pt_camera_stmt_sign(ops, &owner.sg, &st, buf, sizeof(buf), &n), PT_OK, "sign");
	pt_kid(ops, owner.pk, want_kid);
	T_OK(memcmp(st.kid, want_kid, PT_KID_LEN) == 0, "sign sets the signer's key id");
	T_EQ(verify(buf, n, &got, &idx), PT_OK, "verify with the owner keys");
	T_EQ(idx, 1, "signed by signers[1] (owner)");
	T_OK(strcmp(got.home, HOME) == 0 && strcmp(got.camera, CAM) == 0 &&
	     memcmp(got.camera_pk, camera.pk, PT_PK_LEN) == 0 && strcmp(got.name, "Front door") == 0 &&
	     got.iat == NOW && memcmp(got.kid, want_kid, PT_KID_LEN) == 0,
	     "every field as signed");
	T_OK(pt_camera_stmt_matches(&got, HOME, CAM, camera.pk, "Front door"), "matches its request");
	T_OK(pt_camera_stmt_matches(&got, HOME, CAM, camera.pk, NULL), "matches, name not compared");
	T_EQ(pt_camera_stmt_kid(buf, n, kid), PT_OK, "the key id, unverified");
	T_OK(memcmp(kid, want_kid, PT_KID_LEN) == 0, "is the signer's");

	stmt_init(&st, "");
	T_EQ(pt_camera_stmt_sign(ops, &owner2.sg, &st, buf, sizeof(buf), &n), PT_OK, "no name");
	T_EQ(verify(buf, n, &got, &idx), PT_OK, "verifies");
	T_OK(idx == 0 && got.name[0] == '\0', "by owner2, name empty");

	memset(name, 'x', PT_CAMERA_NAME_MAX);
	name[PT_CAMERA_NAME_MAX] = '\0';
	stmt_init(&st, name);
	memset(st.home, 'h', PT_ID_MAX);
	st.home[PT_ID_MAX] = '\0';
	memset(st.camera, 'c', PT_ID_MAX);
	st.camera[PT_ID_MAX] = '\0';
	st.iat = PT_TIME_MAX;
	T_EQ(pt_camera_stmt_sign(ops, &owner.sg, &st, buf, sizeof(buf), &n), PT_OK,
	     "every field at its limit");
	T_OK(n <= PT_CAMERA_STMT_MAX, "%zu bytes, at most PT_CAMERA_STMT_MAX", n);
	T_EQ(verify(buf, n, &got, &idx), PT_OK, "verifies");
	T_OK(strlen(got.name) == PT_CAMERA_NAME_MAX && got.iat == PT_TIME_MAX, "as signed");

	/* What the signer refuses, with nothing written. */
	name[PT_CAMERA_NAME_MAX] = 'x';
	name[PT_CAMERA_NAME_MAX + 1] = '\0';
	stmt_init(&st, "");
	memcpy(st.name, name, PT_CAMERA_NAME_MAX);
	st.name[PT_CAMERA_NAME_MAX] = '\0';
	st.name[5] = '\n';
	T_EQ(pt_camera_stmt_sign(ops, &owner.sg, &st, buf, sizeof(buf), &n), PT_EMALFORMED,
	     "sign: a name with a control character");
	T_EQ(n, 0, "nothing written");
	stmt_init(&st, "x");
	strcpy(st.camera, "cam/1");
	T_EQ(pt_camera_stmt_sign(ops, &owner.sg, &st, buf, sizeof(buf), &n), PT_EMALFORMED,
	     "sign: a camera id that is not a porter id");
	stmt_init(&st, "x");
	st.home[0] = '\0';
	T_EQ(pt_camera_stmt_sign(ops, &owner.sg, &st, buf, sizeof(buf), &n), PT_EMALFORMED,
	     "sign: no home id");
	stmt_init(&st, "x");
	st.iat = -1;
	T_EQ(pt_camera_stmt_sign(ops, &owner.sg, &st, buf, sizeof(buf), &n), PT_EMALFORMED,
	     "sign: iat < 0");
	stmt_init(&st, "x");
	st.iat = PT_TIME_MAX + 1;
	T_EQ(pt_camera_stmt_sign(ops, &owner.sg, &st, buf, sizeof(buf), &n), PT_EMALFORMED,
	     "sign: iat past PT_TIME_MAX");
	stmt_init(&st, "x");
	T_EQ(pt_camera_stmt_sign(ops, &owner.sg, &st, buf, 40, &n), PT_ENOSPC,
	     "sign: an output too small");
}

static void
test_mismatch(void)
{
	struct pt_camera_stmt st, got;
	uint8_t buf[PT_CAMERA_STMT_MAX], other[PT_PK_LEN];
	size_t n, idx;

	stmt_init(&st, "Front door");
	T_EQ(pt_camera_stmt_sign(ops, &owner.sg, &st, buf, sizeof(buf), &n), PT_OK, "sign");
	T_EQ(verify(buf, n, &got, &idx), PT_OK, "verify");
	memcpy(other, camera.pk, PT_PK_LEN);
	other[31] ^= 1;
	T_OK(!pt_camera_stmt_matches(&got, "home-other", CAM, camera.pk, NULL), "another home");
	T_OK(!pt_camera_stmt_matches(&got, HOME, "cam-back", camera.pk, NULL), "another camera");
	T_OK(!pt_camera_stmt_matches(&got, HOME, CAM, other, NULL), "another key (one bit)");
	T_OK(!pt_camera_stmt_matches(&got, HOME, CAM, stranger.pk, NULL), "porterd's own key");
	T_OK(!pt_camera_stmt_matches(&got, HOME, CAM, camera.pk, "Back door"), "another name");
	T_OK(!pt_camera_stmt_matches(&got, HOME "x", CAM, camera.pk, NULL), "a longer home id");
	T_OK(!pt_camera_stmt_matches(&got, NULL, CAM, camera.pk, NULL), "no home");
}

static void
test_signers(void)
{
	struct pt_camera_stmt st;
	uint8_t buf[PT_CAMERA_STMT_MAX], kid[PT_KID_LEN];
	uint8_t payload[PT_CAMERA_STMT_MAX], one[1][PT_PK_LEN];
	struct pt_camera_stmt got;
	struct pt_envelope e;
	struct raw r = raw_ok();
	size_t n, pn, idx;

	stmt_init(&st, "Front door");
	T_EQ(pt_camera_stmt_sign(ops, &stranger.sg, &st, buf, sizeof(buf), &n), PT_OK,
	     "a stranger (porterd's own key) signs");
	refuse("a signer that is not an owner key", buf, n, PT_EUNTRUSTEDCMD);

	stmt_init(&st, "Front door");
	T_EQ(pt_camera_stmt_sign(ops, &owner.sg, &st, buf, sizeof(buf), &n), PT_OK, "owner signs");
	memcpy(one[0], owner2.pk, PT_PK_LEN);
	T_EQ(pt_camera_stmt_verify(ops, buf, n, (const uint8_t(*)[PT_PK_LEN])one, 1, &got, &idx),
	     PT_EUNTRUSTEDCMD, "the owner's statement, checked against owner2 only: untrusted");
	T_EQ(pt_camera_stmt_verify(ops, buf, n, (const uint8_t(*)[PT_PK_LEN])one, 0, &got, &idx),
	     PT_EUNTRUSTEDCMD, "no signers at all: untrusted");

	/* A stranger's signature under the owner's key id: bad signature. */
	stmt_init(&st, "Front door");
	T_EQ(pt_camera_stmt_sign(ops, &stranger.sg, &st, buf, sizeof(buf), &n), PT_OK, "sign");
	pt_kid(ops, owner.pk, kid);
	/* d2 84 4d (a2 01 27 04 48 kid...): the kid starts at byte 8. */
	T_OK(buf[0] == 0xd2 && buf[2] == 0x4d && buf[7] == 0x48, "the layout the test assumes");
	memcpy(buf + 8, kid, PT_KID_LEN);
	refuse("a stranger's signature claiming the owner's key id", buf, n, PT_EBADSIG);

	/* The same payload under other AADs. */
	pn = payload_raw(&r, payload, sizeof(payload));
	n = sign_raw(&owner, "porter/owner/v1", payload, pn, buf, sizeof(buf));
	refuse("signed with the owner endorsement's AAD", buf, n, PT_EBADSIG);
	n = sign_raw(&owner, "porter/live/v1", payload, pn, buf, sizeof(buf));
	refuse("signed with the live request's AAD", buf, n, PT_EBADSIG);
	n = sign_raw(&owner, "porter/camera/v2", payload, pn, buf, sizeof(buf));
	refuse("signed with another version's AAD", buf, n, PT_EBADSIG);
	n = sign_raw(&owner, "", payload, pn, buf, sizeof(buf));
	refuse("signed with no AAD", buf, n, PT_EBADSIG);
	n = sign_raw(&owner, PT_CAMERA_STMT_DOMAIN, payload, pn, buf, sizeof(buf));
	T_EQ(verify(buf, n, &got, &idx), PT_OK, "the same payload with the right AAD verifies");

	/* An owner endorsement of the camera's key is not a camera statement. */
	memset(&e, 0, sizeof(e));
	e.kind = PT_ENV_OWNER;
	strcpy(e.aud, HOME);
	e.iat = NOW;
	memset(e.nonce, 0x6f, PT_CTI_LEN);
	e.op = PT_OWNER_ADD;
	memcpy(e.target, camera.pk, PT_PK_LEN);
	e.target_len = PT_PK_LEN;
	T_EQ(pt_envelope_sign(ops, &owner.sg, &e, buf, sizeof(buf), &n), PT_OK,
	     "an owner endorsement naming the camera's key");
	refuse("an owner endorsement presented as a camera statement", buf, n, PT_EBADSIG);
	/* ... and the other way round. */
	stmt_init(&st, "");
	T_EQ(pt_camera_stmt_sign(ops, &owner.sg, &st, buf, sizeof(buf), &n), PT_OK, "a statement");
	T_OK(pt_envelope_verify(ops, buf, n, PT_ENV_OWNER, (const uint8_t(*)[PT_PK_LEN])signers, 2,
				HOME, NOW, 60, &e, &idx) != PT_OK,
	     "a camera statement presented as an owner endorsement: refused");
}

static void
test_damage(void)
{
	struct pt_camera_stmt st, got;
	uint8_t buf[PT_CAMERA_STMT_MAX], bad[PT_CAMERA_STMT_MAX + 64];
	size_t n, i, idx;
	unsigned bit;
	int fails = 0, nonzero = 0, r;

	stmt_init(&st, "Front door");
	T_EQ(pt_camera_stmt_sign(ops, &owner.sg, &st, buf, sizeof(buf), &n), PT_OK, "sign");
	no_seeds = true;
	for (i = 0; i < n; i++) {
		memset(&got, 0x5a, sizeof(got));
		if (verify(buf, i, &got, &idx) == PT_OK)
			fails++;
		if (!stmt_zero(&got))
			nonzero++;
	}
	T_EQ(fails, 0, "every truncation (0 .. %zu bytes) refused", n - 1);
	T_EQ(nonzero, 0, "and leaves the statement zeroed");
	fails = nonzero = 0;
	for (i = 0; i < n; i++) {
		for (bit = 0; bit < 8; bit++) {
			memcpy(bad, buf, n);
			bad[i] ^= (uint8_t)(1u << bit);
			memset(&got, 0x5a, sizeof(got));
			if (verify(bad, n, &got, &idx) == PT_OK)
				fails++;
			if (!stmt_zero(&got))
				nonzero++;
		}
	}
	no_seeds = false;
	T_EQ(fails, 0, "every single bit flip (%zu bits) refused", n * 8);
	T_EQ(nonzero, 0, "and leaves the statement zeroed");
	memcpy(bad, buf, n);
	bad[n] = 0x00;
	refuse("a byte after the statement", bad, n + 1, PT_EMALFORMED);
	refuse("the payload's bytes inside an untagged COSE_Sign1", buf + 1, n - 1, PT_EMALFORMED);
	for (i = 0; i < sizeof(bad); i++)
		bad[i] = (uint8_t)(i * 131 + 17);
	refuse("garbage", bad, 200, PT_EMALFORMED);
	memset(bad, 0, sizeof(bad));
	refuse("zeros", bad, 100, PT_EMALFORMED);
	refuse("nothing", bad, 0, PT_EMALFORMED);
	refuse("more than PT_CAMERA_STMT_MAX bytes", bad, PT_CAMERA_STMT_MAX + 1, PT_ETOOBIG);
	T_EQ(pt_camera_stmt_kid(bad, 100, bad + 200), PT_EMALFORMED, "kid of zeros: malformed");
	r = pt_camera_stmt_kid(buf, n - 1, bad);
	T_OK(r == PT_EMALFORMED && stmt_zero(&(struct pt_camera_stmt){0}) && bad[0] == 0 &&
	     bad[7] == 0, "kid of a truncated statement: malformed, kid zeroed");
}

/* Correctly signed payloads that break one rule each. */
static void
test_strict(void)
{
	uint8_t payload[PT_CAMERA_STMT_MAX], buf[PT_CAMERA_STMT_MAX + 64];
	char longname[PT_CAMERA_NAME_MAX + 2];
	struct raw r;
	size_t pn, n;

	memset(longname, 'n', PT_CAMERA_NAME_MAX + 1);
	longname[PT_CAMERA_NAME_MAX + 1] = '\0';
#define BREAK(what, field_set)                                                     \
	do {                                                                       \
		r = raw_ok();                                                      \
		field_set;                                                         \
		pn = payload_raw(&r, payload, sizeof(payload));                    \
		n = sign_raw(&owner, PT_CAMERA_STMT_DOMAIN, payload, pn, buf, sizeof(buf)); \
		T_OK(pn > 0 && n > 0, "%s: built", what);                          \
		refuse(what, buf, n, PT_EMALFORMED);                               \
	} while (0)
	BREAK("version 2", r.version = 2);
	BREAK("version 0", r.version = 0);
	BREAK("a key 7 more", (r.extra = true, r.n_keys = 7));
	BREAK("a map that says 7 entries, holding 6", r.n_keys = 7);
	BREAK("a map that says 5 entries, holding 6", r.n_keys = 5);
	BREAK("keys out of order", r.swap = true);
	BREAK("a 31-byte camera key", r.pk_len = 31);
	BREAK("a 33-byte camera key", r.pk_len = 33);
	BREAK("iat past PT_TIME_MAX", r.iat = (uint64_t)PT_TIME_MAX + 1);
	BREAK("an empty home id", r.home = "");
	BREAK("a home id with a slash", r.home = "home/1");
	BREAK("an empty camera id", r.camera = "");
	BREAK("a camera id with a space", r.camera = "cam front");
	BREAK("a name of 101 bytes", r.name = longname);
	BREAK("a name with an escape", r.name = "Front \x1b[2Jdoor");
	BREAK("a name with a NUL inside", (r.name = "Front\0door", r.name_len = 10));
	BREAK("a name that is not UTF-8", r.name = "Front \xff door");
#undef BREAK
	r = raw_ok();
	pn = payload_raw(&r, payload, sizeof(payload));
	n = sign_raw(&owner, PT_CAMERA_STMT_DOMAIN, payload, pn, buf, sizeof(buf));
	{
		struct pt_camera_stmt got;
		size_t idx;

		T_EQ(verify(buf, n, &got, &idx), PT_OK, "the well-formed control verifies");
	}
}

/*
 * Known answer: tests/vectors/porter-camera-01.json, made outside porter
 * (tests/vectors/gen_camera.py: CBOR by hand, Ed25519 by Python's
 * cryptography). RFC 8032 TEST 1's key (the owner of tests/vectors) signs
 * {1: 1, 2: "home-7f3a", 3: "cam-front", 4: RFC 8032 TEST 2's key,
 *  5: "Front door", 6: 1796119200}. Ed25519 is deterministic, so porter
 * must produce exactly those bytes.
 */
static int
unhex(const char *s, size_t slen, uint8_t *out, size_t cap)
{
	size_t n = slen / 2, i;
	unsigned v;

	if (n > cap || slen % 2 != 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (uint8_t)v;
	}
	return (int)n;
}

/* The hex string of "key": "..." in the vector file; -1 if absent. */
static int
vector_hex(const char *json, const char *key, uint8_t *out, size_t cap)
{
	char pat[64];
	const char *p, *e;

	(void)snprintf(pat, sizeof(pat), "\"%s\": \"", key);
	if ((p = strstr(json, pat)) == NULL)
		return -1;
	p += strlen(pat);
	if ((e = strchr(p, '"')) == NULL)
		return -1;
	return unhex(p, (size_t)(e - p), out, cap);
}

static void
test_kat(void)
{
	static const uint8_t seed1[PT_SEED_LEN] = {
		0x9d, 0x61, 0xb1, 0x9d, 0xef, 0xfd, 0x5a, 0x60, 0xba, 0x84, 0x4a,
		0xf4, 0x92, 0xec, 0x2c, 0xc4, 0x44, 0x49, 0xc5, 0x69, 0x7b, 0x32,
		0x69, 0x19, 0x70, 0x3b, 0xac, 0x03, 0x1c, 0xae, 0x7f, 0x60};
	const char *dir = getenv("PORTER_VECTORS");
	char path[1024], json[8192];
	struct key k1;
	struct pt_camera_stmt st, got;
	uint8_t buf[PT_CAMERA_STMT_MAX], want[PT_CAMERA_STMT_MAX], cpk[PT_PK_LEN];
	uint8_t one[1][PT_PK_LEN];
	size_t n = 0, idx, jn = 0;
	FILE *f;
	int wn = -1;

	(void)snprintf(path, sizeof(path), "%s/porter-camera-01.json", dir ? dir : "tests/vectors");
	if ((f = fopen(path, "r")) != NULL) {
		jn = fread(json, 1, sizeof(json) - 1, f);
		fclose(f);
	}
	json[jn] = '\0';
	T_OK(jn > 0, "KAT: read %s", path);
	key_seed(&k1, seed1);
	stmt_init(&st, "Front door");
	T_EQ(vector_hex(json, "camera_public_key", cpk, sizeof(cpk)), PT_PK_LEN,
	     "KAT: the camera key");
	memcpy(st.camera_pk, cpk, PT_PK_LEN);
	T_EQ(pt_camera_stmt_sign(ops, &k1.sg, &st, buf, sizeof(buf), &n), PT_OK, "KAT: sign");
	wn = vector_hex(json, "cose_sign1", want, sizeof(want));
	T_OK(wn > 0 && n == (size_t)wn && memcmp(buf, want, n) == 0,
	     "KAT: porter signs the vector's exact %d bytes", wn);
	memcpy(one[0], k1.pk, PT_PK_LEN);
	T_EQ(pt_camera_stmt_verify(ops, want, wn > 0 ? (size_t)wn : 0,
				   (const uint8_t(*)[PT_PK_LEN])one, 1, &got, &idx),
	     PT_OK, "KAT: the vector verifies with TEST 1's key");
	T_OK(pt_camera_stmt_matches(&got, HOME, CAM, cpk, "Front door") && got.iat == NOW,
	     "KAT: and says what it should");
	pt_secret_free(k1.sec);
}

int
main(void)
{
	if (pt_crypto_init() != PT_OK)
		return 1;
	ops = pt_crypto_sodium();
	key_init(&owner, 0x01);
	key_init(&owner2, 0x02);
	key_init(&stranger, 0x03);
	key_init(&camera, 0x04);
	memcpy(signers[0], owner2.pk, PT_PK_LEN);
	memcpy(signers[1], owner.pk, PT_PK_LEN);
	test_round_trip();
	test_mismatch();
	test_signers();
	test_damage();
	test_strict();
	test_kat();
	pt_secret_free(owner.sec);
	pt_secret_free(owner2.sec);
	pt_secret_free(stranger.sec);
	pt_secret_free(camera.sec);
	return t_done();
}
