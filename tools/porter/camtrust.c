/*
 * Whether to believe porterd's camera key: the owner-signed camera
 * statement, checked with the owner keys the user trusts, and those
 * reached from them through the home's owner endorsements, less the keys
 * the home's key revocations by trusted keys take away (camtrust.h).
 */
#include "camtrust.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "porter/camera_stmt.h"
#include "porter/cred.h"
#include "porter/envelope.h"
#include "porter/keyfile.h"
#include "porter/text.h"
#include "client.h"
#include "porter.h"

#define STMT_TEXT_MAX 684	/* base64url of 512 bytes (PT_CAMERA_STMT_MAX, PT_ENVELOPE_SIZE_MAX) */
#define TRUST_SET_MAX CAM_TRUST_SET_MAX
#define REV_MAX (TRUST_SET_MAX + 1)	/* revocations that matter: the set's keys, the camera's */

_Static_assert(PT_CAMERA_STMT_MAX <= 512 && PT_ENVELOPE_SIZE_MAX <= 512,
	       "STMT_TEXT_MAX covers both statements");

/* One owner key from porterd's GET .../owner-keys, with the statement
 * that endorsed it (stmt_len 0: none). Unverified until walked. */
struct owner_row {
	uint8_t pk[PT_PK_LEN];
	uint8_t stmt[PT_ENVELOPE_SIZE_MAX];
	size_t stmt_len;
};

void
cam_trust_init(struct cam_trust *t)
{
	memset(t, 0, sizeof(*t));
}

void
cam_trust_add_pk(struct cam_trust *t, const uint8_t pk[PT_PK_LEN])
{
	if (t->n < CAM_TRUST_KEYS_MAX + 1)
		memcpy(t->keys[t->n++], pk, PT_PK_LEN);
}

int
cam_trust_add_pub(struct cam_trust *t, const char *arg)
{
	struct pt_errbuf err;
	uint8_t pk[PT_PK_LEN];

	if (t->n >= CAM_TRUST_KEYS_MAX) {
		warnx_("--owner-pub given more than %d times", CAM_TRUST_KEYS_MAX);
		return EXIT_INPUT;
	}
	if (pt_pubkey_parse(arg, pk, &err) != PT_OK) {
		warnx_("--owner-pub: %s", err.msg);
		return EXIT_INPUT;
	}
	cam_trust_add_pk(t, pk);
	return 0;
}

/* A public key in porterd's answer: base64url text only, never a file
 * name (pt_pubkey_parse would read a local file). 0 or -1. */
static int
server_pk(const json_t *v, uint8_t pk[PT_PK_LEN])
{
	const char *s = json_string_value(v);

	if (s == NULL || strlen(s) != PT_PK_TEXT_LEN ||
	    pt_b64_decode(pk, PT_PK_LEN, s, PT_PK_TEXT_LEN) != PT_OK || !pt_pk_is_valid(pk))
		return -1;
	return 0;
}

/* A statement's bytes (at most cap) from porterd's base64url text. 0 or -1. */
static int
server_stmt(const json_t *v, uint8_t *out, size_t cap, size_t *len)
{
	const char *s = json_string_value(v);
	size_t n;

	*len = 0;
	if (s == NULL || (n = strlen(s)) < 2 || n > STMT_TEXT_MAX || n % 4 == 1)
		return -1;
	*len = n / 4 * 3 + (n % 4 != 0 ? n % 4 - 1 : 0);
	if (*len > cap || pt_b64_decode(out, *len, s, n) != PT_OK) {
		*len = 0;
		return -1;
	}
	return 0;
}

static bool
key_in(const uint8_t (*keys)[PT_PK_LEN], size_t n, const uint8_t pk[PT_PK_LEN])
{
	size_t i;

	for (i = 0; i < n; i++)
		if (memcmp(keys[i], pk, PT_PK_LEN) == 0)
			return true;
	return false;
}

/* porterd's owner keys into rows (at most CAM_TRUST_OWNERS_MAX): a key
 * that is not base64url of a valid point is skipped, and so is a
 * statement that is not base64url (the key then stands without one: it
 * is reached, if at all, by its own statements about others). */
static size_t
owner_rows(const json_t *keys, struct owner_row *rows)
{
	const json_t *v, *sv;
	size_t i, n = 0;

	json_array_foreach(keys, i, v) {
		if (n >= CAM_TRUST_OWNERS_MAX)
			break;
		if (server_pk(json_object_get(v, "public_key"), rows[n].pk) != 0)
			continue;
		sv = json_object_get(v, "statement");
		if (sv == NULL || json_is_null(sv) ||
		    server_stmt(sv, rows[n].stmt, sizeof(rows[n].stmt), &rows[n].stmt_len) != 0)
			rows[n].stmt_len = 0;
		n++;
	}
	return n;
}

/* Does row's statement verify as an owner statement of home (add, any
 * age) by one of signers, naming row's own key? *idx: which signer. */
static bool
endorsed(const struct owner_row *row, const char *home, const uint8_t (*signers)[PT_PK_LEN],
	 size_t n, size_t *idx)
{
	struct pt_envelope e;
	bool ok;

	*idx = 0;
	ok = row->stmt_len > 0 && n > 0 &&
	     pt_envelope_verify(pt_crypto_sodium(), row->stmt, row->stmt_len, PT_ENV_OWNER, signers,
				n, home, now_utc(), UINT32_MAX, &e, idx) == PT_OK &&
	     e.op == PT_OWNER_ADD && e.target_len == PT_PK_LEN &&
	     memcmp(e.target, row->pk, PT_PK_LEN) == 0;
	memset(&e, 0, sizeof(e));
	return ok;
}

size_t
cam_trust_walk(const struct cam_trust *t, const char *home, const json_t *keys,
	       const uint8_t (*revoked)[PT_PK_LEN], size_t n_revoked, uint8_t (*out)[PT_PK_LEN])
{
	struct owner_row *rows;
	size_t n = 0, nr, i, idx;
	bool progress;

	if (revoked == NULL)
		n_revoked = 0;
	for (i = 0; i < t->n; i++)
		if (!key_in((const uint8_t(*)[PT_PK_LEN])out, n, t->keys[i]) &&
		    !key_in(revoked, n_revoked, t->keys[i]))
			memcpy(out[n++], t->keys[i], PT_PK_LEN);
	rows = calloc(CAM_TRUST_OWNERS_MAX, sizeof(*rows));
	if (rows == NULL || !json_is_array(keys))
		goto out;	/* the anchors only: fail closed */
	nr = owner_rows(keys, rows);
	/* Down only: a key a trusted key endorsed. Never up (the signer of a
	 * statement naming a trusted key): any key can sign one, so porterd
	 * could make itself an "endorser" of ours. A revoked key is never
	 * added: what it endorsed is reached, if at all, another way. */
	do {
		progress = false;
		for (i = 0; i < nr && n < TRUST_SET_MAX; i++) {
			if (!key_in((const uint8_t(*)[PT_PK_LEN])out, n, rows[i].pk) &&
			    !key_in(revoked, n_revoked, rows[i].pk) &&
			    endorsed(&rows[i], home, (const uint8_t(*)[PT_PK_LEN])out, n, &idx)) {
				memcpy(out[n++], rows[i].pk, PT_PK_LEN);
				progress = true;
			}
		}
	} while (progress);
out:
	free(rows);
	return n;
}

static const struct cam_trust_rev *
rev_find(const struct cam_trust_rev *rev, size_t n, const uint8_t pk[PT_PK_LEN])
{
	size_t i;

	for (i = 0; i < n; i++)
		if (memcmp(rev[i].target, pk, PT_PK_LEN) == 0)
			return &rev[i];
	return NULL;
}

void
cam_trust_revocations(const char *home, const json_t *revs, const uint8_t (*signers)[PT_PK_LEN],
		      size_t n_signers, const uint8_t (*want)[PT_PK_LEN], size_t n_want,
		      struct cam_trust_rev *out, size_t cap, size_t *n, size_t *ignored)
{
	uint8_t env[PT_ENVELOPE_SIZE_MAX];
	const json_t *v, *ver;
	struct pt_envelope e;
	size_t i, len, idx;
	bool ok;

	json_array_foreach(revs, i, v) {
		ver = json_object_get(v, "version");
		/* Whatever porterd calls it ("kind"), the envelope says what it
		 * is: token revocations are verified and then left alone. */
		ok = server_stmt(json_object_get(v, "revocation"), env, sizeof(env), &len) == 0 &&
		     n_signers > 0 &&
		     pt_envelope_verify(pt_crypto_sodium(), env, len, PT_ENV_REVOCATION, signers,
					n_signers, home, now_utc(), UINT32_MAX, &e, &idx) == PT_OK;
		if (!ok) {
			(*ignored)++;
			continue;
		}
		if (e.op == PT_REVOKE_KEY && e.target_len == PT_PK_LEN &&
		    key_in(want, n_want, e.target) && rev_find(out, *n, e.target) == NULL &&
		    *n < cap) {
			memcpy(out[*n].target, e.target, PT_PK_LEN);
			memcpy(out[*n].signer_kid, e.kid, PT_KID_LEN);
			out[*n].version = json_is_integer(ver) ? (int64_t)json_integer_value(ver) : 0;
			out[*n].iat = e.iat;
			(*n)++;
		}
		memset(&e, 0, sizeof(e));
	}
}

static void
kid_text(const uint8_t kid[PT_KID_LEN], char out[2 * PT_KID_LEN + 1])
{
	size_t i;

	for (i = 0; i < PT_KID_LEN; i++)
		(void)snprintf(out + 2 * i, 3, "%02x", kid[i]);
}

static void
pk_kid_text(const uint8_t pk[PT_PK_LEN], char out[2 * PT_KID_LEN + 1])
{
	uint8_t kid[PT_KID_LEN];

	pt_kid(pt_crypto_sodium(), pk, kid);
	kid_text(kid, out);
}

/* What a viewer trusts in a home, revocations applied (camtrust.h). */
struct trust_view {
	uint8_t w0[TRUST_SET_MAX][PT_PK_LEN];	/* the walk without revocations */
	size_t n_w0;
	uint8_t set[TRUST_SET_MAX][PT_PK_LEN];	/* the walk, revoked keys left out */
	size_t n_set;
	struct cam_trust_rev rev[REV_MAX];	/* key revocations that count */
	size_t n_rev;
	size_t ignored;				/* key revocations by keys not trusted */
	bool owners_read;
};

/* Every page of the home's revocations, from version 0, into v (its w0
 * set). 0, or -1 (printed: fail closed). */
static int
revocations_read(struct client *c, const char *home, const uint8_t *cam_pk, struct trust_view *v)
{
	uint8_t (*want)[PT_PK_LEN];
	char path[PT_ID_MAX + 64];
	json_t *reply = NULL;
	const json_t *arr, *ver;
	int64_t since = 0;
	size_t pages, n_want;
	int r = -1;

	if ((want = calloc(REV_MAX, PT_PK_LEN)) == NULL) {
		warnx_("out of memory");
		return -1;
	}
	memcpy(want, v->w0, v->n_w0 * PT_PK_LEN);
	n_want = v->n_w0;
	if (cam_pk != NULL)
		memcpy(want[n_want++], cam_pk, PT_PK_LEN);
	for (pages = 0; pages < CAM_TRUST_REV_PAGES_MAX; pages++) {
		(void)snprintf(path, sizeof(path), "/v1/homes/%s/revocations?since=%lld", home,
			       (long long)since);
		if (client_call(c, "GET", path, NULL, CALL_AUTH, &reply) != 0)
			goto out;
		arr = json_object_get(reply, "revocations");
		ver = json_object_get(reply, "version");
		if (!json_is_array(arr) || !json_is_integer(ver)) {
			warnx_("porterd's list of revocations is not well-formed");
			goto out;
		}
		if (json_array_size(arr) == 0) {
			r = 0;
			goto out;
		}
		if (json_array_size(arr) > CAM_TRUST_REV_PAGE_ITEMS_MAX) {
			/* porterd answers 1024 at most: more is a server making
			 * the viewer verify signatures for ever. */
			warnx_("porterd's page of revocations is too long (%zu, at most %d)",
			       json_array_size(arr), CAM_TRUST_REV_PAGE_ITEMS_MAX);
			goto out;
		}
		if (json_integer_value(ver) <= since) {
			warnx_("porterd's revocations do not page forward (version %lld after %lld)",
			       (long long)json_integer_value(ver), (long long)since);
			goto out;
		}
		cam_trust_revocations(home, arr, (const uint8_t(*)[PT_PK_LEN])v->w0, v->n_w0,
				      (const uint8_t(*)[PT_PK_LEN])want, n_want, v->rev, REV_MAX,
				      &v->n_rev, &v->ignored);
		since = (int64_t)json_integer_value(ver);
		json_decref(reply);
		reply = NULL;
	}
	warnx_("home %s has more revocations than porter reads (%d pages)", home,
	       CAM_TRUST_REV_PAGES_MAX);
out:
	json_decref(reply);
	free(want);
	return r;
}

/*
 * The home's owner keys and revocations through c, walked from t's
 * anchors (camtrust.h). cam_pk (may be NULL): a camera key whose
 * revocation matters too. 0, or -1 when the revocations could not be
 * read (printed). Owner keys that cannot be read leave the anchors only.
 */
static int
view_load(const struct cam_trust *t, struct client *c, const char *home, const uint8_t *cam_pk,
	  struct trust_view *v)
{
	uint8_t (*revoked)[PT_PK_LEN] = NULL;
	char path[PT_ID_MAX + 32];
	const json_t *keys = NULL;
	json_t *reply = NULL;
	size_t i;
	int r = -1;

	memset(v, 0, sizeof(*v));
	if (c == NULL || !pt_id_is_valid(home, strlen(home))) {
		warnx_("the home's revocations cannot be read without a session");
		return -1;
	}
	(void)snprintf(path, sizeof(path), "/v1/homes/%s/owner-keys", home);
	if (client_call(c, "GET", path, NULL, CALL_AUTH, &reply) == 0) {
		keys = json_object_get(reply, "keys");
		v->owners_read = true;
	}
	v->n_w0 = cam_trust_walk(t, home, keys, NULL, 0, v->w0);
	if (revocations_read(c, home, cam_pk, v) != 0) {
		warnx_("cannot read the revocations of home %s: refusing (a revoked camera or owner"
		       " key would go unnoticed)", home);
		goto out;
	}
	if ((revoked = calloc(REV_MAX, PT_PK_LEN)) == NULL) {
		warnx_("out of memory");
		goto out;
	}
	for (i = 0; i < v->n_rev; i++)
		memcpy(revoked[i], v->rev[i].target, PT_PK_LEN);
	v->n_set = cam_trust_walk(t, home, keys, (const uint8_t(*)[PT_PK_LEN])revoked, v->n_rev,
				  v->set);
	if (v->ignored > 0)
		fprintf(stderr, "porter: note: %zu key revocation(s) of home %s are not signed by an"
				" owner key you trust: ignored\n", v->ignored, home);
	r = 0;
out:
	free(revoked);
	json_decref(reply);
	return r;
}

/* A revoked anchor: refused, named. 0 or EXIT_CAM_UNTRUSTED (printed). */
static int
anchors_check(const struct cam_trust *t, const struct trust_view *v)
{
	const struct cam_trust_rev *r;
	char kid[2 * PT_KID_LEN + 1], by[2 * PT_KID_LEN + 1];
	size_t i;

	for (i = 0; i < t->n; i++) {
		if ((r = rev_find(v->rev, v->n_rev, t->keys[i])) == NULL)
			continue;
		pk_kid_text(t->keys[i], kid);
		kid_text(r->signer_kid, by);
		warnx_("your key %s was revoked by %s (version %lld): it vouches for no camera"
		       " (--key, or an --owner-pub key)", kid, by, (long long)r->version);
		return EXIT_CAM_UNTRUSTED;
	}
	return 0;
}

/* The camera key revoked: refused, named. 0 or EXIT_CAM_UNTRUSTED. */
static int
camera_check(const struct trust_view *v, const char *id, const uint8_t pk[PT_PK_LEN])
{
	const struct cam_trust_rev *r = rev_find(v->rev, v->n_rev, pk);
	char kid[2 * PT_KID_LEN + 1], by[2 * PT_KID_LEN + 1], when[32];

	if (r == NULL)
		return 0;
	pk_kid_text(pk, kid);
	kid_text(r->signer_kid, by);
	pt_time_format(r->iat, when, sizeof(when));
	warnx_("camera '%s': camera key %s revoked by %s at %s, version %lld: none of its clips"
	       " or live video is believed, old clips included (a stolen camera key can sign"
	       " anything, with any time in it). Pin a key with --camera-key to override",
	       id, kid, by, when, (long long)r->version);
	return EXIT_CAM_UNTRUSTED;
}

void
cam_trust_pinned_check(const struct cam_trust *t, struct client *c, const char *home,
		       const char *camera, const uint8_t pk[PT_PK_LEN])
{
	struct trust_view *v = calloc(1, sizeof(*v));
	const struct cam_trust_rev *r;
	char kid[2 * PT_KID_LEN + 1], by[2 * PT_KID_LEN + 1], when[32];

	if (v == NULL)
		return;
	if (view_load(t, c, home, pk, v) != 0) {
		fprintf(stderr, "porter: note: --camera-key is used as pinned, unchecked against"
				" the home's revocations\n");
	} else if ((r = rev_find(v->rev, v->n_rev, pk)) != NULL) {
		pk_kid_text(pk, kid);
		kid_text(r->signer_kid, by);
		pt_time_format(r->iat, when, sizeof(when));
		fprintf(stderr, "porter: WARNING: camera '%s': --camera-key %s was revoked by %s at"
				" %s, version %lld; used anyway because you pinned it\n",
			camera != NULL ? camera : "?", kid, by, when, (long long)r->version);
	}
	free(v);
}

int
cam_trust_key(const struct cam_trust *t, struct client *c, const char *home, const json_t *cam,
	      uint8_t pk[PT_PK_LEN])
{
	uint8_t stmt[PT_CAMERA_STMT_MAX], kid[PT_KID_LEN], rkid[PT_KID_LEN];
	char id[PT_ID_MAX + 1], name[PT_CAMERA_NAME_MAX + 1], kid_hex[2 * PT_KID_LEN + 1];
	char when[32], by[2 * PT_KID_LEN + 1];
	const json_t *sv = json_object_get(cam, "statement");
	const struct cam_trust_rev *rv = NULL;
	struct trust_view *v = NULL;
	struct pt_camera_stmt st;
	size_t len, idx, i;
	bool walked;
	int x, rc = EXIT_CAM_UNTRUSTED;

	memset(pk, 0, PT_PK_LEN);
	client_text(json_object_get(cam, "id"), id, sizeof(id));
	if (!pt_id_is_valid(id, strlen(id)) || server_pk(json_object_get(cam, "public_key"), pk) != 0) {
		warnx_("porterd sent no usable id or key for a camera of home %s", home);
		rc = EXIT_INPUT;
		goto out;
	}
	if ((v = calloc(1, sizeof(*v))) == NULL) {
		warnx_("out of memory");
		rc = EXIT_INPUT;
		goto out;
	}
	/* Revocations first: a revoked anchor or camera key ends it here. */
	if (view_load(t, c, home, pk, v) != 0 || (rc = anchors_check(t, v)) != 0 ||
	    (rc = camera_check(v, id, pk)) != 0) {
		rc = EXIT_CAM_UNTRUSTED;
		goto out;
	}
	rc = EXIT_CAM_UNTRUSTED;
	if (sv == NULL || json_is_null(sv)) {
		if (t->trust_unsigned) {
			fprintf(stderr,
				"porter: WARNING: camera '%s' was enrolled without an owner's statement:"
				" its key is porterd's word only, trusted because of"
				" --trust-unsigned-camera. Whoever runs porterd could show you video of"
				" its own making. Enrol the camera again with porter camera add --key"
				" OWNER_KEY, or pin its key with --camera-key\n",
				id);
			rc = 0;
			goto out;
		}
		warnx_("camera '%s' was enrolled without an owner-signed statement: its key is"
		       " porterd's word only, which is not trusted (whoever runs porterd could"
		       " swap it and show you forged video). Enrol it again (porter camera remove,"
		       " porter camera add --key OWNER_KEY), pin its key with --camera-key, or"
		       " accept porterd's key with --trust-unsigned-camera",
		       id);
		goto out;
	}
	if (server_stmt(sv, stmt, sizeof(stmt), &len) != 0) {
		warnx_("camera '%s': porterd's statement is not base64url of a statement: porterd's"
		       " camera key is not trusted", id);
		goto out;
	}
	x = PT_EUNTRUSTEDCMD;
	if (v->n_set > 0)
		x = pt_camera_stmt_verify(pt_crypto_sodium(), stmt, len,
					  (const uint8_t(*)[PT_PK_LEN])v->set, v->n_set, &st, &idx);
	walked = x == PT_OK && !key_in((const uint8_t(*)[PT_PK_LEN])t->keys, t->n, v->set[idx]);
	if (x == PT_EUNTRUSTEDCMD) {
		if (pt_camera_stmt_kid(stmt, len, kid) == PT_OK) {
			kid_text(kid, kid_hex);
			/* Signed by a key revoked meanwhile? Say so. */
			for (i = 0; i < v->n_rev && rv == NULL; i++) {
				pt_kid(pt_crypto_sodium(), v->rev[i].target, rkid);
				if (memcmp(rkid, kid, PT_KID_LEN) == 0)
					rv = &v->rev[i];
			}
		} else {
			memcpy(kid_hex, "?", 2);
		}
		if (rv != NULL) {
			kid_text(rv->signer_kid, by);
			warnx_("camera '%s' was enrolled by owner key %s, which was revoked by %s"
			       " (version %lld): its statements are not believed, so porterd's camera"
			       " key is not trusted. Enrol the camera again with a key you trust, or"
			       " pin its key with --camera-key", id, kid_hex, by,
			       (long long)rv->version);
			goto out;
		}
		warnx_("camera '%s' was enrolled by owner key %s, which is not one you trust (your"
		       " --key, one given with --owner-pub, or an owner key they endorsed, as"
		       " porterd serves the endorsements%s, less revoked keys): porterd's camera"
		       " key is not trusted. Pass that owner's public key with --owner-pub, or pin"
		       " the camera's key with --camera-key", id, kid_hex,
		       v->owners_read ? "" : ", which could not be read");
		goto out;
	}
	if (x != PT_OK) {
		warnx_("camera '%s': the owner's statement does not verify (%s): porterd's camera"
		       " key is not trusted", id, pt_err_text(x));
		goto out;
	}
	client_text(json_object_get(cam, "name"), name, sizeof(name));
	if (!pt_camera_stmt_matches(&st, home, id, pk, NULL)) {
		warnx_("camera '%s': porterd's key (or home, or camera id) is not the one the owner"
		       " signed for it: porterd's camera key is not trusted (altered at porterd?)",
		       id);
		goto out;
	}
	if (strcmp(st.name, name) != 0)
		fprintf(stderr, "porter: note: camera '%s' is named '%s' in the owner's statement,"
				" not '%s' as porterd says\n", id, st.name, name);
	kid_text(st.kid, kid_hex);
	pt_time_format(st.iat, when, sizeof(when));
	fprintf(stderr, "porter: camera '%s': key enrolled by owner key %s (signed %s)%s\n", id,
		kid_hex, when,
		walked ? ", trusted through the home's owner endorsements" : "");
	rc = 0;
out:
	free(v);
	if (rc != 0)
		memset(pk, 0, PT_PK_LEN);
	return rc;
}
