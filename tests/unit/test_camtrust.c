/*
 * tests/unit/test_camtrust.c: the viewer's walk with key revocations
 * (tools/porter/camtrust.c, compiled in; docs/cam.md, "Who a viewer
 * believes"), on porterd's answers made here with real signatures:
 * owner endorsements (PT_ENV_OWNER) and revocations (PT_ENV_REVOCATION).
 *
 * The home: A (the anchor) endorsed B, B endorsed C, A endorsed D; S is
 * a stranger's key porterd lists without a statement; the camera's key K.
 * Checked: the walk down only (S never in; C through B); the revocations
 * that count (kind 2 by a key of the walk; a token revocation, one by S,
 * one for another home, a broken one: not; one target once; only wanted
 * targets); the walk again without the revoked keys (B revoked: C falls
 * out, D stays; A revoked: nothing); cam_trust_key's decisions through a
 * stubbed client_call that serves the answers: believed, the camera's key
 * revoked, its enroller revoked, the anchor revoked, the revocations
 * unreadable, a revocation by S ignored, paging over two pages.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "porter/camera_stmt.h"
#include "porter/cred.h"
#include "porter/crypto.h"
#include "porter/envelope.h"
#include "porter/keyfile.h"
#include "camtrust.h"
#include "client.h"
#include "porter.h"
#include "t.h"

#define HOME "h-0123456789abcdef"

struct key {
	struct pt_secret *sec;
	struct pt_signer sg;
	uint8_t pk[PT_PK_LEN];
	char text[PT_PK_TEXT_LEN + 1];
};

static const struct pt_crypto_ops *ops;
static struct key A, B, C, D, S, K;

/* ---- the porter tool's functions camtrust.c calls ---- */

static char last_warning[2048];
static char warnings[8192];	/* every warning since serve(), one a line */

void
warnx_(const char *fmt, ...)
{
	va_list ap;
	size_t n = strlen(warnings);

	va_start(ap, fmt);
	(void)vsnprintf(last_warning, sizeof(last_warning), fmt, ap);
	va_end(ap);
	if (n + strlen(last_warning) + 2 < sizeof(warnings))
		(void)snprintf(warnings + n, sizeof(warnings) - n, "%s\n", last_warning);
}

int64_t
now_utc(void)
{
	return 1796000000;
}

const char *
client_text(const json_t *v, char *buf, size_t cap)
{
	const char *s = json_string_value(v);

	(void)snprintf(buf, cap, "%s", s != NULL ? s : "");
	return buf;
}

/* What the stub serves: the owner keys, revocation pages (NULL: fail). */
static json_t *srv_keys;
static json_t *srv_pages[3];
static int srv_page_n, srv_calls;
static bool srv_fail_revs;

int
client_call(struct client *c, const char *method, const char *path, json_t *body,
	    unsigned flags, json_t **reply)
{
	(void)c, (void)method, (void)body, (void)flags;
	*reply = NULL;
	if (strstr(path, "/owner-keys") != NULL) {
		*reply = json_incref(srv_keys);
		return 0;
	}
	if (strstr(path, "/revocations") == NULL || srv_fail_revs)
		return EXIT_INPUT;
	if (srv_calls < srv_page_n) {
		*reply = json_incref(srv_pages[srv_calls++]);
		return 0;
	}
	*reply = json_pack("{s:I,s:[]}", "version", (json_int_t)99, "revocations");
	return 0;
}

/* ---- making porterd's answers ---- */

static void
key_fill(struct key *k, uint8_t fill)
{
	uint8_t seed[PT_SEED_LEN];

	memset(seed, fill, sizeof(seed));
	k->sec = pt_secret_new();
	if (k->sec == NULL || pt_secret_from_seed(k->sec, seed) != PT_OK) {
		fprintf(stderr, "cannot make a key\n");
		exit(1);
	}
	pt_secret_public(k->sec, k->pk);
	pt_signer_sodium(&k->sg, k->sec);
	pt_pubkey_text(k->pk, k->text);
}

static json_t *
b64(const uint8_t *p, size_t n)
{
	char out[1024];

	if (pt_b64_encode(out, sizeof(out), p, n) != PT_OK)
		return json_null();
	return json_string(out);
}

/* An envelope of kind by signer: op, target (len), home. */
static json_t *
envelope(const struct key *signer, uint8_t kind, uint8_t op, const uint8_t *target, size_t len,
	 const char *home)
{
	uint8_t buf[PT_ENVELOPE_SIZE_MAX];
	struct pt_envelope e;
	size_t n = 0;

	memset(&e, 0, sizeof(e));
	e.kind = kind;
	e.op = op;
	memcpy(e.aud, home, strlen(home) + 1);
	e.iat = 1795000000;
	pt_random(e.nonce, sizeof(e.nonce));
	memcpy(e.target, target, len);
	e.target_len = (uint8_t)len;
	if (pt_envelope_sign(ops, &signer->sg, &e, buf, sizeof(buf), &n) != PT_OK)
		return json_null();
	return b64(buf, n);
}

/* porterd's owner key row: the key, endorsed by (NULL: no statement). */
static json_t *
owner_row(const struct key *k, const struct key *by)
{
	return json_pack("{s:s,s:o}", "public_key", k->text, "statement",
			 by != NULL ? envelope(by, PT_ENV_OWNER, PT_OWNER_ADD, k->pk, PT_PK_LEN, HOME)
				    : json_null());
}

static json_t *
rev_row(int version, const struct key *signer, uint8_t kind, const uint8_t *target, size_t len,
	const char *home)
{
	return json_pack("{s:i,s:s,s:o}", "version", version, "kind",
			 kind == PT_REVOKE_KEY ? "key" : "token", "revocation",
			 envelope(signer, PT_ENV_REVOCATION, kind, target, len, home));
}

static json_t *
camera(const struct key *cam, const struct key *enroller)
{
	uint8_t buf[PT_CAMERA_STMT_MAX];
	struct pt_camera_stmt st;
	size_t n = 0;

	memset(&st, 0, sizeof(st));
	memcpy(st.home, HOME, sizeof(HOME));
	memcpy(st.camera, "cam-1", 6);
	memcpy(st.camera_pk, cam->pk, PT_PK_LEN);
	st.iat = 1795000000;
	if (pt_camera_stmt_sign(ops, &enroller->sg, &st, buf, sizeof(buf), &n) != PT_OK)
		return NULL;
	return json_pack("{s:s,s:s,s:s,s:o}", "id", "cam-1", "name", "", "public_key", cam->text,
			 "statement", b64(buf, n));
}

static bool
in(const uint8_t (*set)[PT_PK_LEN], size_t n, const struct key *k)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (memcmp(set[i], k->pk, PT_PK_LEN) == 0)
			return true;
	return false;
}

static void
serve(json_t *page0, json_t *page1)
{
	size_t i;

	for (i = 0; i < 3; i++) {
		json_decref(srv_pages[i]);
		srv_pages[i] = NULL;
	}
	srv_pages[0] = page0;
	srv_pages[1] = page1;
	srv_page_n = (page0 != NULL) + (page1 != NULL);
	srv_calls = 0;
	warnings[0] = '\0';
	srv_fail_revs = false;
}

static json_t *
page(int version, json_t *rows)
{
	return json_pack("{s:i,s:o}", "version", version, "revocations", rows);
}

int
main(void)
{
	static uint8_t set[CAM_TRUST_SET_MAX][PT_PK_LEN];
	struct cam_trust_rev rev[8];
	uint8_t revoked[8][PT_PK_LEN], pk[PT_PK_LEN], cti[PT_CTI_LEN], kid[PT_KID_LEN];
	struct cam_trust t;
	json_t *revs, *cam_b, *cam_a;
	size_t n, n_rev, ignored, i;
	int rc;

	if (pt_crypto_init() != PT_OK)
		return 1;
	ops = pt_crypto_sodium();
	key_fill(&A, 0x0a);
	key_fill(&B, 0x0b);
	key_fill(&C, 0x0c);
	key_fill(&D, 0x0d);
	key_fill(&S, 0x05);
	key_fill(&K, 0x4b);
	memset(cti, 0x77, sizeof(cti));
	srv_keys = json_pack("{s:[o,o,o,o,o]}", "keys", owner_row(&A, NULL), owner_row(&C, &B),
			     owner_row(&B, &A), owner_row(&D, &A), owner_row(&S, NULL));
	cam_trust_init(&t);
	cam_trust_add_pk(&t, A.pk);

	/* ---- the walk, no revocations ---- */
	n = cam_trust_walk(&t, HOME, json_object_get(srv_keys, "keys"), NULL, 0, set);
	T_EQ(n, 4, "the walk from A: A, B, D, then C through B (any order of rows)");
	T_OK(memcmp(set[0], A.pk, PT_PK_LEN) == 0, "the anchor first");
	T_OK(in((const uint8_t(*)[PT_PK_LEN])set, n, &C), "C, endorsed by B, is in");
	T_OK(!in((const uint8_t(*)[PT_PK_LEN])set, n, &S), "S, without a statement, is not");

	/* ---- which revocations count ---- */
	revs = json_pack("[o,o,o,o,o,o,o,{s:i,s:s,s:s}]",
			 rev_row(1, &A, PT_REVOKE_KEY, B.pk, PT_PK_LEN, HOME),
			 rev_row(2, &S, PT_REVOKE_KEY, A.pk, PT_PK_LEN, HOME),
			 rev_row(3, &A, PT_REVOKE_TOKEN, cti, PT_CTI_LEN, HOME),
			 rev_row(4, &A, PT_REVOKE_KEY, D.pk, PT_PK_LEN, "h-another"),
			 rev_row(5, &C, PT_REVOKE_KEY, B.pk, PT_PK_LEN, HOME),
			 rev_row(6, &A, PT_REVOKE_KEY, S.pk, PT_PK_LEN, HOME),
			 rev_row(7, &B, PT_REVOKE_KEY, K.pk, PT_PK_LEN, HOME),
			 "version", 8, "kind", "key", "revocation", "AAAA");
	n_rev = ignored = 0;
	cam_trust_revocations(HOME, revs, (const uint8_t(*)[PT_PK_LEN])set, n,
			      (const uint8_t(*)[PT_PK_LEN])set, n, rev, 8, &n_rev, &ignored);
	T_EQ(n_rev, 1, "one counts: A's of B (C's of B again: once; S: not wanted; K: not wanted)");
	T_OK(n_rev == 1 && memcmp(rev[0].target, B.pk, PT_PK_LEN) == 0 && rev[0].version == 1,
	     "... its target B, version 1");
	pt_kid(ops, A.pk, kid);
	T_OK(n_rev == 1 && memcmp(rev[0].signer_kid, kid, PT_KID_LEN) == 0 &&
		     rev[0].iat == 1795000000,
	     "... by A's key id, at its iat");
	T_EQ(ignored, 3, "ignored: S's (not trusted), the other home's, the broken one");
	memcpy(set[n], K.pk, PT_PK_LEN);	/* the camera's key wanted too */
	n_rev = ignored = 0;
	cam_trust_revocations(HOME, revs, (const uint8_t(*)[PT_PK_LEN])set, n,
			      (const uint8_t(*)[PT_PK_LEN])set, n + 1, rev, 8, &n_rev, &ignored);
	T_EQ(n_rev, 2, "with K wanted: B's, and B's revocation of K (B is in the walk without"
		       " revocations)");
	n_rev = ignored = 0;
	cam_trust_revocations(HOME, revs, (const uint8_t(*)[PT_PK_LEN])set, n,
			      (const uint8_t(*)[PT_PK_LEN])set, n + 1, rev, 1, &n_rev, &ignored);
	T_EQ(n_rev, 1, "never more than cap");
	json_decref(revs);

	/* ---- the walk again without the revoked ---- */
	memcpy(revoked[0], B.pk, PT_PK_LEN);
	n = cam_trust_walk(&t, HOME, json_object_get(srv_keys, "keys"),
			   (const uint8_t(*)[PT_PK_LEN])revoked, 1, set);
	T_EQ(n, 2, "B revoked: A and D");
	T_OK(!in((const uint8_t(*)[PT_PK_LEN])set, n, &B) &&
		     !in((const uint8_t(*)[PT_PK_LEN])set, n, &C),
	     "... B out, and C, reached only through B");
	memcpy(revoked[0], A.pk, PT_PK_LEN);
	n = cam_trust_walk(&t, HOME, json_object_get(srv_keys, "keys"),
			   (const uint8_t(*)[PT_PK_LEN])revoked, 1, set);
	T_EQ(n, 0, "the anchor revoked: nothing");

	/* ---- cam_trust_key, porterd's answers through the stub ---- */
	cam_b = camera(&K, &B);
	cam_a = camera(&K, &A);
	serve(NULL, NULL);
	rc = cam_trust_key(&t, NULL, HOME, cam_b, pk);
	T_EQ(rc, EXIT_CAM_UNTRUSTED, "no session: the revocations cannot be read, refused");
	rc = cam_trust_key(&t, (struct client *)(void *)&t, HOME, cam_b, pk);
	T_EQ(rc, 0, "no revocations: K believed, enrolled by B (A endorsed B)");
	T_OK(rc == 0 && memcmp(pk, K.pk, PT_PK_LEN) == 0, "... the key is K");

	serve(page(1, json_pack("[o]", rev_row(1, &S, PT_REVOKE_KEY, K.pk, PT_PK_LEN, HOME))), NULL);
	rc = cam_trust_key(&t, (struct client *)(void *)&t, HOME, cam_b, pk);
	T_EQ(rc, 0, "S revokes K: ignored, K still believed");

	serve(page(1, json_pack("[o]", rev_row(1, &A, PT_REVOKE_KEY, B.pk, PT_PK_LEN, HOME))), NULL);
	rc = cam_trust_key(&t, (struct client *)(void *)&t, HOME, cam_b, pk);
	T_EQ(rc, EXIT_CAM_UNTRUSTED, "A revokes B: the camera B enrolled is refused");
	T_OK(strstr(last_warning, "which was revoked by") != NULL && strstr(last_warning, "version 1"),
	     "... saying its enroller was revoked, and the version");
	for (i = 0; i < PT_PK_LEN && pk[i] == 0; i++)
		;
	T_EQ(i, PT_PK_LEN, "... pk zeroed");
	serve(page(1, json_pack("[o]", rev_row(1, &A, PT_REVOKE_KEY, B.pk, PT_PK_LEN, HOME))), NULL);
	rc = cam_trust_key(&t, (struct client *)(void *)&t, HOME, cam_a, pk);
	T_EQ(rc, 0, "... the same camera enrolled by A: believed");

	serve(page(1, json_pack("[o]", rev_row(1, &A, PT_REVOKE_TOKEN, cti, PT_CTI_LEN, HOME))),
	      page(2, json_pack("[o]", rev_row(2, &D, PT_REVOKE_KEY, K.pk, PT_PK_LEN, HOME))));
	rc = cam_trust_key(&t, (struct client *)(void *)&t, HOME, cam_a, pk);
	T_EQ(rc, EXIT_CAM_UNTRUSTED, "D (endorsed by A) revokes K on the second page: refused");
	T_OK(strstr(last_warning, "camera key ") != NULL && strstr(last_warning, "version 2"),
	     "... \"camera key <kid> revoked by <kid> at <time>, version 2\"");
	T_EQ(srv_calls, 2, "... both pages read, then the empty one");

	serve(page(1, json_pack("[o]", rev_row(1, &D, PT_REVOKE_KEY, A.pk, PT_PK_LEN, HOME))), NULL);
	rc = cam_trust_key(&t, (struct client *)(void *)&t, HOME, cam_a, pk);
	T_EQ(rc, EXIT_CAM_UNTRUSTED, "D revokes the anchor A: refused");
	T_OK(strstr(last_warning, "your key ") != NULL && strstr(last_warning, "(version 1)"),
	     "... \"your key <kid> was revoked by <kid> (version 1)\"");

	serve(NULL, NULL);
	srv_fail_revs = true;
	rc = cam_trust_key(&t, (struct client *)(void *)&t, HOME, cam_a, pk);
	T_EQ(rc, EXIT_CAM_UNTRUSTED, "GET revocations fails: refused (fail closed)");
	T_OK(strstr(last_warning, "cannot read the revocations") != NULL, "... saying so");

	{
		/* Only a token revocation on it: nothing else could refuse. */
		static const uint8_t tok[16] = { 7 };
		json_t *big = json_array();
		int k;

		serve(page(1, json_pack("[o]", rev_row(1, &A, PT_REVOKE_TOKEN, tok, 16, HOME))), NULL);
		rc = cam_trust_key(&t, (struct client *)(void *)&t, HOME, cam_a, pk);
		T_EQ(rc, 0, "a token revocation only (labelled token, verified all the same): believed");
		serve(page(0, json_pack("[o]", rev_row(1, &A, PT_REVOKE_TOKEN, tok, 16, HOME))), NULL);
		rc = cam_trust_key(&t, (struct client *)(void *)&t, HOME, cam_a, pk);
		T_EQ(rc, EXIT_CAM_UNTRUSTED, "a page whose version does not move forward: refused");
		T_OK(strstr(warnings, "do not page forward") != NULL, "... saying so");
		for (k = 0; k <= CAM_TRUST_REV_PAGE_ITEMS_MAX; k++)
			json_array_append_new(big, rev_row(1, &A, PT_REVOKE_TOKEN, tok, 16, HOME));
		serve(page(1, big), NULL);
		rc = cam_trust_key(&t, (struct client *)(void *)&t, HOME, cam_a, pk);
		T_EQ(rc, EXIT_CAM_UNTRUSTED, "a page of 1025 revocations (porterd sends 1024 at most): refused");
		T_OK(strstr(warnings, "too long") != NULL, "... saying so");
	}

	serve(NULL, NULL);
	json_decref(cam_a);
	json_decref(cam_b);
	json_decref(srv_keys);
	pt_secret_free(A.sec);
	pt_secret_free(B.sec);
	pt_secret_free(C.sec);
	pt_secret_free(D.sec);
	pt_secret_free(S.sec);
	pt_secret_free(K.sec);
	return t_done();
}
