/*
 * Whether to believe porterd's camera key: the owner-signed camera
 * statement, checked with the owner keys the user trusts, and those
 * reached from them through the home's owner endorsements (camtrust.h).
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
#define TRUST_SET_MAX (CAM_TRUST_KEYS_MAX + 1 + CAM_TRUST_OWNERS_MAX)

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
	       uint8_t (*out)[PT_PK_LEN])
{
	struct owner_row *rows;
	size_t n = 0, nr, i, idx;
	bool progress;

	for (i = 0; i < t->n; i++)
		if (!key_in((const uint8_t(*)[PT_PK_LEN])out, n, t->keys[i]))
			memcpy(out[n++], t->keys[i], PT_PK_LEN);
	rows = calloc(CAM_TRUST_OWNERS_MAX, sizeof(*rows));
	if (rows == NULL || !json_is_array(keys))
		goto out;	/* the anchors only: fail closed */
	nr = owner_rows(keys, rows);
	/* Down only: a key a trusted key endorsed. Never up (the signer of a
	 * statement naming a trusted key): any key can sign one, so porterd
	 * could make itself an "endorser" of ours. */
	do {
		progress = false;
		for (i = 0; i < nr && n < TRUST_SET_MAX; i++) {
			if (!key_in((const uint8_t(*)[PT_PK_LEN])out, n, rows[i].pk) &&
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

/* The trusted set for home, through porterd's owner keys. 0, or -1 (the
 * owner keys could not be read: printed). */
static int
trusted_set(const struct cam_trust *t, struct client *c, const char *home,
	    uint8_t (*set)[PT_PK_LEN], size_t *n)
{
	char path[PT_ID_MAX + 32];
	json_t *reply = NULL;
	int r = -1;

	*n = 0;
	if (!pt_id_is_valid(home, strlen(home)))
		return -1;
	(void)snprintf(path, sizeof(path), "/v1/homes/%s/owner-keys", home);
	if (client_call(c, "GET", path, NULL, CALL_AUTH, &reply) == 0) {
		*n = cam_trust_walk(t, home, json_object_get(reply, "keys"), set);
		r = 0;
	}
	json_decref(reply);
	return r;
}

static void
kid_text(const uint8_t kid[PT_KID_LEN], char out[2 * PT_KID_LEN + 1])
{
	size_t i;

	for (i = 0; i < PT_KID_LEN; i++)
		(void)snprintf(out + 2 * i, 3, "%02x", kid[i]);
}

int
cam_trust_key(const struct cam_trust *t, struct client *c, const char *home, const json_t *cam,
	      uint8_t pk[PT_PK_LEN])
{
	uint8_t stmt[PT_CAMERA_STMT_MAX], kid[PT_KID_LEN];
	uint8_t (*set)[PT_PK_LEN] = NULL;
	char id[PT_ID_MAX + 1], name[PT_CAMERA_NAME_MAX + 1], kid_hex[2 * PT_KID_LEN + 1];
	char when[32];
	const json_t *sv = json_object_get(cam, "statement");
	struct pt_camera_stmt st;
	size_t len, idx, n_set = 0;
	bool walked = false, fetched = false;
	int x;

	memset(pk, 0, PT_PK_LEN);
	client_text(json_object_get(cam, "id"), id, sizeof(id));
	if (!pt_id_is_valid(id, strlen(id)) || server_pk(json_object_get(cam, "public_key"), pk) != 0) {
		warnx_("porterd sent no usable id or key for a camera of home %s", home);
		memset(pk, 0, PT_PK_LEN);
		return EXIT_INPUT;
	}
	if (sv == NULL || json_is_null(sv)) {
		if (t->trust_unsigned) {
			fprintf(stderr,
				"porter: WARNING: camera '%s' was enrolled without an owner's statement:"
				" its key is porterd's word only, trusted because of"
				" --trust-unsigned-camera. Whoever runs porterd could show you video of"
				" its own making. Enrol the camera again with porter camera add --key"
				" OWNER_KEY, or pin its key with --camera-key\n",
				id);
			return 0;
		}
		warnx_("camera '%s' was enrolled without an owner-signed statement: its key is"
		       " porterd's word only, which is not trusted (whoever runs porterd could"
		       " swap it and show you forged video). Enrol it again (porter camera remove,"
		       " porter camera add --key OWNER_KEY), pin its key with --camera-key, or"
		       " accept porterd's key with --trust-unsigned-camera",
		       id);
		memset(pk, 0, PT_PK_LEN);
		return EXIT_CAM_UNTRUSTED;
	}
	if (server_stmt(sv, stmt, sizeof(stmt), &len) != 0) {
		warnx_("camera '%s': porterd's statement is not base64url of a statement: porterd's"
		       " camera key is not trusted", id);
		memset(pk, 0, PT_PK_LEN);
		return EXIT_CAM_UNTRUSTED;
	}
	x = pt_camera_stmt_verify(pt_crypto_sodium(), stmt, len, (const uint8_t(*)[PT_PK_LEN])t->keys,
				  t->n, &st, &idx);
	/* Not an anchor's: follow the home's owner endorsements from them. */
	if (x == PT_EUNTRUSTEDCMD && c != NULL &&
	    (set = calloc(TRUST_SET_MAX, PT_PK_LEN)) != NULL) {
		fetched = trusted_set(t, c, home, set, &n_set) == 0;
		if (n_set > 0) {
			x = pt_camera_stmt_verify(pt_crypto_sodium(), stmt, len,
						  (const uint8_t(*)[PT_PK_LEN])set, n_set, &st, &idx);
			walked = x == PT_OK && !key_in((const uint8_t(*)[PT_PK_LEN])t->keys, t->n,
						       set[idx]);
		}
		free(set);
	}
	if (x == PT_EUNTRUSTEDCMD) {
		if (pt_camera_stmt_kid(stmt, len, kid) == PT_OK) {
			kid_text(kid, kid_hex);
		} else {
			memcpy(kid_hex, "?", 2);
		}
		warnx_("camera '%s' was enrolled by owner key %s, which is not one you trust (your"
		       " --key, one given with --owner-pub, or an owner key linked to them by the"
		       " owner endorsements porterd serves%s): porterd's camera key is not trusted."
		       " Pass that owner's public key with --owner-pub, or pin the camera's key with"
		       " --camera-key", id, kid_hex,
		       fetched ? "" : ", which could not be read");
		memset(pk, 0, PT_PK_LEN);
		return EXIT_CAM_UNTRUSTED;
	}
	if (x != PT_OK) {
		warnx_("camera '%s': the owner's statement does not verify (%s): porterd's camera"
		       " key is not trusted", id, pt_err_text(x));
		memset(pk, 0, PT_PK_LEN);
		return EXIT_CAM_UNTRUSTED;
	}
	client_text(json_object_get(cam, "name"), name, sizeof(name));
	if (!pt_camera_stmt_matches(&st, home, id, pk, NULL)) {
		warnx_("camera '%s': porterd's key (or home, or camera id) is not the one the owner"
		       " signed for it: porterd's camera key is not trusted (altered at porterd?)",
		       id);
		memset(pk, 0, PT_PK_LEN);
		return EXIT_CAM_UNTRUSTED;
	}
	if (strcmp(st.name, name) != 0)
		fprintf(stderr, "porter: note: camera '%s' is named '%s' in the owner's statement,"
				" not '%s' as porterd says\n", id, st.name, name);
	kid_text(st.kid, kid_hex);
	pt_time_format(st.iat, when, sizeof(when));
	fprintf(stderr, "porter: camera '%s': key enrolled by owner key %s (signed %s)%s\n", id,
		kid_hex, when,
		walked ? ", trusted through the home's owner endorsements" : "");
	return 0;
}
