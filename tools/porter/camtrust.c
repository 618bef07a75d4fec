/*
 * Whether to believe porterd's camera key: the owner-signed camera
 * statement, checked with the owner keys the user trusts (camtrust.h).
 */
#include "camtrust.h"

#include <stdio.h>
#include <string.h>

#include "porter/camera_stmt.h"
#include "porter/cred.h"
#include "porter/keyfile.h"
#include "porter/text.h"
#include "client.h"
#include "porter.h"

#define STMT_TEXT_MAX 684	/* base64url of PT_CAMERA_STMT_MAX bytes, rounded up */

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

/* The statement's bytes from porterd's base64url text. 0 or -1. */
static int
server_stmt(const json_t *v, uint8_t *out, size_t *len)
{
	const char *s = json_string_value(v);
	size_t n;

	*len = 0;
	if (s == NULL || (n = strlen(s)) < 2 || n > STMT_TEXT_MAX || n % 4 == 1)
		return -1;
	*len = n / 4 * 3 + (n % 4 != 0 ? n % 4 - 1 : 0);
	if (*len > PT_CAMERA_STMT_MAX || pt_b64_decode(out, *len, s, n) != PT_OK) {
		*len = 0;
		return -1;
	}
	return 0;
}

static void
kid_text(const uint8_t kid[PT_KID_LEN], char out[2 * PT_KID_LEN + 1])
{
	size_t i;

	for (i = 0; i < PT_KID_LEN; i++)
		(void)snprintf(out + 2 * i, 3, "%02x", kid[i]);
}

int
cam_trust_key(const struct cam_trust *t, const char *home, const json_t *cam,
	      uint8_t pk[PT_PK_LEN])
{
	uint8_t stmt[PT_CAMERA_STMT_MAX], kid[PT_KID_LEN];
	char id[PT_ID_MAX + 1], name[PT_CAMERA_NAME_MAX + 1], kid_hex[2 * PT_KID_LEN + 1];
	char when[32];
	const json_t *sv = json_object_get(cam, "statement");
	struct pt_camera_stmt st;
	size_t len, idx;
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
	if (server_stmt(sv, stmt, &len) != 0) {
		warnx_("camera '%s': porterd's statement is not base64url of a statement: porterd's"
		       " camera key is not trusted", id);
		memset(pk, 0, PT_PK_LEN);
		return EXIT_CAM_UNTRUSTED;
	}
	x = pt_camera_stmt_verify(pt_crypto_sodium(), stmt, len, (const uint8_t(*)[PT_PK_LEN])t->keys,
				  t->n, &st, &idx);
	if (x == PT_EUNTRUSTEDCMD) {
		if (pt_camera_stmt_kid(stmt, len, kid) == PT_OK) {
			kid_text(kid, kid_hex);
		} else {
			memcpy(kid_hex, "?", 2);
		}
		warnx_("camera '%s' was enrolled by owner key %s, which is not one you trust (your"
		       " --key, or one given with --owner-pub): porterd's camera key is not trusted."
		       " Pass that owner's public key with --owner-pub, or pin the camera's key with"
		       " --camera-key", id, kid_hex);
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
	fprintf(stderr, "porter: camera '%s': key enrolled by owner key %s (signed %s)\n", id,
		kid_hex, when);
	return 0;
}
