/*
 * porter camera add|list|remove and porter clip list|get|decrypt
 * (docs/clips.md, docs/api.md "Cameras and clips").
 *
 * decrypt is the owner's side of end-to-end sealed clips: it fetches the
 * camera-signed manifest, verifies it with the camera's key, which must
 * come from the owner's side (--camera-key: never the key porterd sends,
 * since porterd could mint a camera key, seal a clip key of its own to the
 * owner (crypto_box_seal is anonymous) and sign a whole forged clip), opens the clip key sealed to the owner's key, then fetches
 * every segment, checks its size and SHA-256 against the verified manifest
 * before opening it, and writes the concatenated plaintext (the fragments
 * of one fMP4 or MPEG-TS stream: a playable file) to --out, atomically.
 * Nothing is written unless every segment checks out.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "porter/clip.h"
#include "porter/clipseal.h"
#include "porter/crypto.h"
#include "porter/evidence.h"
#include "porter/camera_stmt.h"
#include "porter/cbor.h"
#include "porter/envelope.h"
#include "porter/keyfile.h"
#include "porter/text.h"
#include "camtrust.h"
#include "client.h"
#include "evchain.h"
#include "porter.h"

/* Exit status when no trusted camera key is at hand: no --camera-key
 * where one is required, or porterd's key without an owner's statement
 * the user trusts (camtrust.h). */
#define EXIT_NOTRUST EXIT_CAM_UNTRUSTED
/* Exit status of decrypt when the video was written from the key record
 * and each segment's own signature: no manifest, the clip was cut short. */
#define EXIT_CUT_SHORT 4

int cmd_camera(int argc, char **argv);
int cmd_clip(int argc, char **argv);
int cmd_evidence(int argc, char **argv);

#define COMMON_OPTS                               \
	{"json", no_argument, NULL, 'J'},         \
	{"cacert", required_argument, NULL, 'C'}, \
	{"help", no_argument, NULL, 'h'},         \
	{NULL, 0, NULL, 0}

static const char camera_usage[] =
	"usage: porter camera add --home ID --id CAMERA --camera-key PUBKEY --key OWNER_KEY\n"
	"                         [--name N]\n"
	"       porter camera sign --home ID --id CAMERA --camera-key PUBKEY --key OWNER_KEY\n"
	"                          [--name N]\n"
	"       porter camera list --home ID\n"
	"       porter camera remove --home ID CAMERA\n"
	"       porter camera revoke --home ID --key OWNER_KEY CAMERA\n"
	"\n"
	"A home's cameras (owners enrol and remove; members list). A camera signs\n"
	"its clip uploads and live video with its own Ed25519 key (porter-cam);\n"
	"porterd accepts them only from an enrolled key. add signs a camera\n"
	"statement with your owner key (\"camera CAMERA of home ID has key PUBKEY\")\n"
	"and sends it with the key: porter clip decrypt and porter live believe\n"
	"porterd's camera key only with such a statement by an owner key you\n"
	"trust. sign only prints the statement (base64url), for scripts and the\n"
	"API (POST /v1/homes/{id}/cameras, \"statement\").\n"
	"revoke signs a key revocation of the camera's key (the key porterd lists\n"
	"for it) with your owner key and uploads it, as porter revoke --key does:\n"
	"porterd then refuses the camera's uploads, the hubs take its health\n"
	"messages for nothing (camera-unhealthy), and viewers refuse its clips, old\n"
	"ones too, and its live video (a stolen camera key can sign anything).\n"
	"Compare the key id it prints with the camera's (porter-cam key).\n"
	"\n"
	"  --home ID           the home\n"
	"  --id CAMERA         the camera's id, as porter-cam's config names it\n"
	"  --camera-key PUBKEY the camera's public key: base64url, or its .pub file\n"
	"  --key OWNER_KEY     your owner secret key file (porter keygen); it stays\n"
	"                      here, and signs the statement (revoke: the revocation)\n"
	"  --name N            what it looks at (\"Front door\"), up to 100 bytes\n" COMMON_HELP;

static const char clip_usage[] =
	"usage: porter clip list --home ID [--limit N] [--after CURSOR]\n"
	"       porter clip get --home ID CLIP\n"
	"       porter clip decrypt --home ID CLIP --key OWNER_KEY --out FILE\n"
	"                           [--camera-key PUBKEY | --owner-pub PUBKEY ...]\n"
	"                           [--trust-unsigned-camera]\n"
	"\n"
	"A home's clips: sealed on the camera to the owners' keys, stored by\n"
	"porterd as ciphertext it cannot read. decrypt verifies the camera's\n"
	"signature on the manifest, opens the clip key with your key, checks\n"
	"every segment against the manifest and writes the video to FILE.\n"
	"A clip without a manifest (the camera stopped before its end) is opened\n"
	"from its key record, sent at the start, each segment checked by its own\n"
	"signature; decrypt then says it was cut short, lists the segments\n"
	"present and missing, and exits 4 (0: a full clip, checked against its\n"
	"manifest).\n"
	"\n"
	"  --home ID           the home\n"
	"  --limit N, --after CURSOR\n"
	"                      paging (the answer's next cursor)\n"
	"  --key OWNER_KEY     your secret key file (porter keygen); it stays here\n"
	"  --out FILE          where the video goes (created, never overwritten\n"
	"                      half-way: written to FILE.tmp, then renamed)\n"
	"  --camera-key PUBKEY the camera's public key (base64url, or the camera's\n"
	"                      cam.key.pub) from your side, as you enrolled it\n"
	"  --owner-pub PUBKEY  also trust statements signed by this owner key (.pub\n"
	"                      file or base64url); repeatable. Your own --key is\n"
	"                      always trusted\n"
	"  --trust-unsigned-camera\n"
	"                      believe porterd's key for a camera enrolled without an\n"
	"                      owner's statement (before porter signed them): with it,\n"
	"                      whoever runs porterd could forge a whole clip\n"
	"\n"
	"Without --camera-key, decrypt takes the camera's key from porterd only if\n"
	"the owner-signed statement the camera was enrolled with (porter camera\n"
	"add) verifies with your --key or an --owner-pub key (or a key they\n"
	"endorsed) and names that key; else it refuses (exit 3): porterd, or\n"
	"whoever breaks into it, could otherwise swap the key and forge a whole\n"
	"clip. It reads the home's revocations too: a key revocation signed by a\n"
	"key you trust that names the camera's key (porter camera revoke) refuses\n"
	"every clip of that camera, old ones included; one that names your key, or\n"
	"the owner key that enrolled the camera, refuses as well (exit 3). A pinned\n"
	"--camera-key that was revoked is used, with a warning.\n" COMMON_HELP;

static bool
common_opt(struct client *c, int ch, const char *cmd, const char *usage, char **argv)
{
	switch (ch) {
	case 'J': c->json = true; return false;
	case 'C': c->cacert = optarg; return false;
	case 'h': fputs(usage, stdout); return true;
	default: die_usage(cmd, "unknown option, or one without its value: '%s'", argv[optind - 1]);
	}
}

static void
positional(int argc, char **argv, int want, const char *cmd, const char *what)
{
	if (argc - optind < want)
		die_usage(cmd, "expected %s", what);
	if (argc - optind > want)
		die_usage(cmd, "unexpected argument '%s'", argv[optind + want]);
}

static int
home_path(char *out, size_t cap, const char *home, const char *sub)
{
	int n;

	if (!pt_id_is_valid(home, strlen(home))) {
		warnx_("'%s' is not a home id", home);
		return EXIT_INPUT;
	}
	n = snprintf(out, cap, "/v1/homes/%s%s", home, sub);
	if (n < 0 || (size_t)n >= cap) {
		warnx_("home id too long");
		return EXIT_INPUT;
	}
	return 0;
}

/*
 * A public key in porterd's answer: base64url text only, never a file
 * name (pt_pubkey_parse reads a local file when the text is not a key: a
 * server could point it at a FIFO or a secret file). 0 or -1.
 */
static int
server_pubkey(const json_t *v, uint8_t pk[PT_PK_LEN])
{
	const char *s = json_string_value(v);

	if (s == NULL || strlen(s) != PT_PK_TEXT_LEN ||
	    pt_b64_decode(pk, PT_PK_LEN, s, PT_PK_TEXT_LEN) != PT_OK || !pt_pk_is_valid(pk))
		return -1;
	return 0;
}

/* The camera key from the owner's side, or a clear refusal (EXIT_NOTRUST). */
static int
trusted_camera_key(const char *arg, const char *what, uint8_t pk[PT_PK_LEN])
{
	struct pt_errbuf err;

	if (arg == NULL) {
		warnx_("%s needs --camera-key: the camera's public key as you enrolled it (its .pub"
		       " file or base64url text). The key porterd or a bundle carries is not"
		       " trusted: with it, whoever runs porterd could forge a whole clip",
		       what);
		return EXIT_NOTRUST;
	}
	if (pt_pubkey_parse(arg, pk, &err) != PT_OK) {
		warnx_("%s", err.msg);
		return EXIT_INPUT;
	}
	return 0;
}

/* ---- cameras ---- */

/*
 * The owner-signed camera statement (porter/camera_stmt.h) of camera id
 * of home, key pk, name (NULL: none), signed with the owner key file, as
 * base64url text into out. 0 or EXIT_INPUT (printed). The owner key is
 * freed (wiped) before this returns.
 */
static int
camera_sign(const char *home, const char *id, const uint8_t pk[PT_PK_LEN], const char *name,
	    const char *keyfile, char *out, size_t cap)
{
	uint8_t stmt[PT_CAMERA_STMT_MAX];
	struct pt_camera_stmt st;
	struct pt_secret *sec = NULL;
	struct pt_signer sg;
	struct pt_errbuf err;
	size_t n = 0;
	int rc = EXIT_INPUT, x;

	memset(&st, 0, sizeof(st));
	if (strlen(home) > PT_ID_MAX || !pt_id_is_valid(home, strlen(home)) ||
	    strlen(id) > PT_ID_MAX || !pt_id_is_valid(id, strlen(id))) {
		warnx_("--home and --id take ids (1..64 of A-Z a-z 0-9 . _ -)");
		goto out;
	}
	if (name != NULL && (strlen(name) > PT_CAMERA_NAME_MAX ||
			     !pt_text_is_printable((const uint8_t *)name, strlen(name)))) {
		warnx_("--name takes at most %d bytes of printable text", PT_CAMERA_NAME_MAX);
		goto out;
	}
	memcpy(st.home, home, strlen(home) + 1);
	memcpy(st.camera, id, strlen(id) + 1);
	memcpy(st.camera_pk, pk, PT_PK_LEN);
	if (name != NULL)
		memcpy(st.name, name, strlen(name) + 1);
	st.iat = now_utc();
	if ((sec = pt_secret_new()) == NULL || pt_keyfile_load(keyfile, sec, &err) != PT_OK) {
		warnx_("%s", sec == NULL ? "out of memory" : err.msg);
		goto out;
	}
	pt_signer_sodium(&sg, sec);
	if ((x = pt_camera_stmt_sign(pt_crypto_sodium(), &sg, &st, stmt, sizeof(stmt), &n)) !=
	    PT_OK) {
		warnx_("cannot sign the camera statement: %s", pt_err_text(x));
		goto out;
	}
	if (pt_b64_encode(out, cap, stmt, n) != PT_OK) {
		warnx_("cannot encode the camera statement");
		goto out;
	}
	rc = 0;
out:
	pt_secret_free(sec);
	return rc;
}

static void
show_camera(const json_t *o)
{
	static const struct field f[] = {
		{"id", "id", 's'},	   {"name", "name", '-'},	     {"key id", "key_id", 's'},
		{"public key", "public_key", 's'}, {"added", "created_at", 't'},
		{"signed by", "signed_by", '-'}, {NULL, NULL, 0},
	};
	print_fields(o, f);
	if (json_is_null(json_object_get(o, "statement")))
		printf("UNSIGNED: enrolled without an owner's statement; viewers do not trust its"
		       " key unless told to\n");
}

static void
show_cameras(const json_t *o)
{
	const json_t *arr = json_object_get(o, "cameras"), *v;
	struct table t;
	char a[128], b[128], k[32], s[32], w[32];
	size_t i;

	table_init(&t, 6);
	table_row(&t, (const char *const[]){"ID", "NAME", "KEY ID", "SIGNED BY", "ADDED", "REVOKED"});
	json_array_foreach(arr, i, v) {
		const json_t *by = json_object_get(v, "signed_by");
		const char *row[6] = {text_or_dash(json_object_get(v, "id"), a, sizeof(a)),
				      text_or_dash(json_object_get(v, "name"), b, sizeof(b)),
				      client_text(json_object_get(v, "key_id"), k, sizeof(k)),
				      json_is_string(by) ? client_text(by, s, sizeof(s))
							 : "UNSIGNED",
				      client_time(json_object_get(v, "created_at"), w, sizeof(w)),
				      json_is_true(json_object_get(v, "revoked")) ? "REVOKED" : "-"};
		table_row(&t, row);
	}
	table_print(&t);
}

/*
 * porter camera revoke: a key revocation (PT_ENV_REVOCATION, PT_REVOKE_KEY)
 * of the key porterd lists for camera id, signed with the owner key file
 * and uploaded (docs/cam.md, "Who a viewer believes"). porterd's key is
 * the one revoked: revoking it takes trust away only, so porterd's word
 * is enough here; the key id is printed to compare with the camera's. 0
 * or an exit code (printed).
 */
static int
camera_revoke(struct client *c, const char *home, const char *id, const char *keyfile)
{
	uint8_t env_buf[PT_ENVELOPE_SIZE_MAX], kid[PT_KID_LEN];
	char path[256], b64[PT_ENVELOPE_SIZE_MAX / 3 * 4 + 8], kid_hex[2 * PT_KID_LEN + 1];
	const json_t *arr, *v, *found = NULL;
	struct pt_secret *sec = NULL;
	struct pt_envelope e;
	struct pt_errbuf err;
	struct pt_signer sg;
	json_t *reply = NULL, *body = NULL;
	size_t i, env_len = 0;
	int rc, x;

	memset(&e, 0, sizeof(e));
	if (!pt_id_is_valid(id, strlen(id))) {
		warnx_("'%s' is not a camera id", id);
		return EXIT_INPUT;
	}
	if ((rc = home_path(path, sizeof(path), home, "/cameras")) != 0 ||
	    (rc = client_load(c)) != 0 || (rc = client_need(c, true)) != 0 ||
	    (rc = client_call(c, "GET", path, NULL, CALL_AUTH, &reply)) != 0)
		goto out;
	rc = EXIT_INPUT;
	arr = json_object_get(reply, "cameras");
	json_array_foreach(arr, i, v) {
		const char *s = json_string_value(json_object_get(v, "id"));
		if (s != NULL && strcmp(s, id) == 0)
			found = v;
	}
	if (found == NULL) {
		warnx_("home %s has no camera '%s' (porter camera list --home %s); revoke its key"
		       " with porter revoke --key PUBKEY", home, id, home);
		goto out;
	}
	if (server_pubkey(json_object_get(found, "public_key"), e.target) != 0) {
		warnx_("porterd sent no usable key for camera '%s'", id);
		goto out;
	}
	e.kind = PT_ENV_REVOCATION;
	e.op = PT_REVOKE_KEY;
	e.target_len = PT_PK_LEN;
	memcpy(e.aud, home, strlen(home) + 1);	/* length checked by home_path */
	if ((sec = pt_secret_new()) == NULL || pt_keyfile_load(keyfile, sec, &err) != PT_OK) {
		warnx_("%s", sec == NULL ? "out of memory" : err.msg);
		goto out;
	}
	pt_signer_sodium(&sg, sec);
	e.iat = now_utc();
	pt_random(e.nonce, sizeof(e.nonce));
	if ((x = pt_envelope_sign(pt_crypto_sodium(), &sg, &e, env_buf, sizeof(env_buf),
				  &env_len)) != PT_OK) {
		warnx_("cannot sign the revocation: %s", pt_err_text(x));
		goto out;
	}
	if (pt_b64_encode(b64, sizeof(b64), env_buf, env_len) != PT_OK ||
	    (body = json_pack("{s:s}", "revocation", b64)) == NULL) {
		warnx_("cannot encode the revocation");
		goto out;
	}
	pt_kid(pt_crypto_sodium(), e.target, kid);
	for (i = 0; i < PT_KID_LEN; i++)
		(void)snprintf(kid_hex + 2 * i, 3, "%02x", kid[i]);
	(void)home_path(path, sizeof(path), home, "/revocations");
	json_decref(reply);
	reply = NULL;
	if ((rc = client_call(c, "POST", path, body, CALL_AUTH, &reply)) != 0)
		goto out;
	if (c->json)
		client_print_json(reply);
	else
		printf("revoked the key of camera %s (key id %s) in home %s, version %lld: its"
		       " uploads, health messages, clips and live video are refused from now on\n",
		       id, kid_hex, home,
		       (long long)json_integer_value(json_object_get(reply, "version")));
	rc = 0;
out:
	memset(&e, 0, sizeof(e));
	pt_secret_free(sec);
	json_decref(body);
	json_decref(reply);
	return rc;
}

int
cmd_camera(int argc, char **argv)
{
	static const struct option opts[] = {
		{"home", required_argument, NULL, 'm'}, {"id", required_argument, NULL, 'i'},
		{"key", required_argument, NULL, 'k'},	{"name", required_argument, NULL, 'n'},
		{"camera-key", required_argument, NULL, 'P'},
		COMMON_OPTS,
	};
	const char *home = NULL, *id = NULL, *key = NULL, *name = NULL, *camkey = NULL, *verb;
	char path[256], text[PT_PK_TEXT_LEN + 1], stmt_text[PT_CAMERA_STMT_MAX / 3 * 4 + 8];
	uint8_t pk[PT_PK_LEN];
	struct pt_errbuf err;
	struct client c;
	json_t *body = NULL, *reply = NULL;
	int ch, rc;

	if (argc < 2)
		die_usage("camera", "expected a command: add, sign, list, remove, revoke");
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(camera_usage, stdout);
		return 0;
	}
	verb = argv[1];
	if (strcmp(verb, "add") != 0 && strcmp(verb, "sign") != 0 && strcmp(verb, "list") != 0 &&
	    strcmp(verb, "remove") != 0 && strcmp(verb, "revoke") != 0)
		die_usage("camera", "unknown command '%s'", verb);
	argc--;
	argv++;
	client_init(&c);
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'm': home = optarg; break;
		case 'i': id = optarg; break;
		case 'k': key = optarg; break;
		case 'n': name = optarg; break;
		case 'P': camkey = optarg; break;
		default:
			if (common_opt(&c, ch, "camera", camera_usage, argv))
				return 0;
		}
	}
	if (home == NULL)
		die_usage("camera", "--home is required");
	if (strcmp(verb, "add") == 0 || strcmp(verb, "sign") == 0) {
		positional(argc, argv, 0, "camera", "no arguments");
		if (id != NULL && key != NULL && camkey == NULL &&
		    pt_pubkey_parse(key, pk, &err) == PT_OK)
			die_usage("camera", "--key is your owner key file now (it signs the camera's"
					    " statement); the camera's public key goes in --camera-key");
		if (id == NULL || key == NULL || camkey == NULL)
			die_usage("camera", "%s needs --id, --camera-key and --key", verb);
		if ((rc = home_path(path, sizeof(path), home, "/cameras")) != 0)
			goto out;
		if (pt_pubkey_parse(camkey, pk, &err) != PT_OK) {
			warnx_("%s", err.msg);
			rc = EXIT_INPUT;
			goto out;
		}
		if ((rc = camera_sign(home, id, pk, name, key, stmt_text, sizeof(stmt_text))) != 0)
			goto out;
		if (strcmp(verb, "sign") == 0) {
			printf("%s\n", stmt_text);
			goto out;
		}
		pt_pubkey_text(pk, text);
		body = json_pack("{s:s,s:s,s:s}", "id", id, "public_key", text, "statement",
				 stmt_text);
		if (body == NULL ||
		    (name != NULL && json_object_set_new(body, "name", json_string(name)) != 0)) {
			warnx_("--id and --name must be UTF-8 text");
			rc = EXIT_INPUT;
			goto out;
		}
		rc = call_show(&c, "POST", path, body, "enrolled a camera:", show_camera);
	} else if (strcmp(verb, "list") == 0) {
		positional(argc, argv, 0, "camera", "no arguments");
		if (id != NULL || key != NULL || name != NULL || camkey != NULL)
			die_usage("camera", "list takes only --home");
		if ((rc = home_path(path, sizeof(path), home, "/cameras")) != 0)
			goto out;
		rc = call_show(&c, "GET", path, NULL, NULL, show_cameras);
	} else if (strcmp(verb, "revoke") == 0) {
		positional(argc, argv, 1, "camera", "the camera's id");
		if (key == NULL || id != NULL || name != NULL || camkey != NULL)
			die_usage("camera", "revoke takes --home, --key OWNER_KEY and the camera's id");
		rc = camera_revoke(&c, home, argv[optind], key);
	} else {
		char sub[PT_ID_MAX + 16];
		positional(argc, argv, 1, "camera", "the camera's id");
		if (!pt_id_is_valid(argv[optind], strlen(argv[optind]))) {
			warnx_("'%s' is not a camera id", argv[optind]);
			rc = EXIT_INPUT;
			goto out;
		}
		(void)snprintf(sub, sizeof(sub), "/cameras/%s", argv[optind]);
		if ((rc = home_path(path, sizeof(path), home, sub)) != 0 ||
		    (rc = client_load(&c)) != 0 ||
		    (rc = client_call(&c, "DELETE", path, NULL, CALL_AUTH, &reply)) != 0)
			goto out;
		json_decref(reply);
		if (!c.json)
			printf("removed camera %s from home %s (its clips stay)\n", argv[optind], home);
	}
out:
	json_decref(body);
	client_close(&c);
	return rc;
}

/* ---- clips ---- */

static void
show_clips(const json_t *o)
{
	const json_t *arr = json_object_get(o, "clips"), *v;
	struct table t;
	char a[64], b[80], s[24], n[24], w[32];
	size_t i;

	table_init(&t, 5);
	table_row(&t, (const char *const[]){"CLIP", "CAMERA", "SEGMENTS", "BYTES", "UPDATED"});
	json_array_foreach(arr, i, v) {
		const char *row[5] = {client_text(json_object_get(v, "id"), a, sizeof(a)),
				      client_text(json_object_get(v, "camera"), b, sizeof(b)),
				      num_text(json_object_get(v, "segments"), s, sizeof(s)),
				      num_text(json_object_get(v, "bytes"), n, sizeof(n)),
				      client_time(json_object_get(v, "updated_at"), w, sizeof(w))};
		table_row(&t, row);
	}
	table_print(&t);
	if (json_is_string(json_object_get(o, "next")))
		printf("more: --after %s\n", json_string_value(json_object_get(o, "next")));
}

static void
show_clip(const json_t *o)
{
	static const struct field f[] = {
		{"clip", "id", 's'},	     {"camera", "camera", 's'},
		{"camera key", "camera_key", 's'}, {"segments stored", "segments", 'i'},
		{"bytes", "bytes", 'i'},	     {"manifest", "manifest", 'b'},
		{"key record", "key", 'b'},	     {"updated", "updated_at", 't'},
		{NULL, NULL, 0},
	};
	static const struct field mf[] = {
		{"start seq", "start_seq", 'i'}, {"end seq", "end_seq", 'i'},
		{"container", "container", 's'}, {"pre-roll ms", "preroll_ms", 'i'},
		{"post-roll ms", "postroll_ms", 'i'}, {NULL, NULL, 0},
	};
	const json_t *m = json_object_get(o, "manifest"), *miss = json_object_get(o, "missing");
	char buf[24];
	size_t i;
	json_t *v;

	print_fields(o, f);
	if (!json_is_object(m)) {
		/* No manifest: what is stored is all there is (cut short?). */
		printf("stored indexes   ");
		json_array_foreach(json_object_get(o, "stored_segments"), i, v)
			printf("%s%s", i ? "," : "", num_text(json_object_get(v, "index"), buf,
							      sizeof(buf)));
		if (json_array_size(json_object_get(o, "stored_segments")) == 0)
			printf("none");
		printf("\n");
		return;
	}
	print_fields(m, mf);
	printf("segments listed  %zu\n", json_array_size(json_object_get(m, "segments")));
	printf("missing          ");
	if (json_array_size(miss) == 0)
		printf("none");
	json_array_foreach(miss, i, v) printf("%s%s", i ? "," : "", num_text(v, buf, sizeof(buf)));
	printf("\n");
}

/* A raw GET of path (binary), at most max bytes. */
struct raw {
	uint8_t *p;
	size_t len, max;
	bool over;
};

static size_t
raw_cb(char *d, size_t sz, size_t n, void *arg)
{
	struct raw *r = arg;
	size_t k = sz * n;
	uint8_t *np;

	if (r->len + k > r->max) {
		r->over = true;
		return 0;
	}
	if ((np = realloc(r->p, r->len + k + 1)) == NULL)
		return 0;
	memcpy(np + r->len, d, k);
	r->p = np;
	r->len += k;
	return k;
}

/* 0 with *out (free it), or an exit code, the problem printed. */
static int
get_raw(struct client *c, const char *path, size_t max, uint8_t **out, size_t *len)
{
	char url[CLIENT_URL_MAX + 512], auth[CLIENT_TOKEN_LEN + 32];
	struct curl_slist *hl = NULL;
	struct raw r = {NULL, 0, max, false};
	CURL *h;
	CURLcode cc;
	long status = 0;
	int n, rc = EXIT_INPUT;

	*out = NULL;
	*len = 0;
	n = snprintf(url, sizeof(url), "%s%s", c->server, path);
	if (n < 0 || (size_t)n >= sizeof(url) || (h = curl_easy_init()) == NULL)
		return EXIT_INPUT;
	(void)snprintf(auth, sizeof(auth), "Authorization: Bearer %s", c->token);
	hl = curl_slist_append(hl, auth);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, (long)CLIENT_TIMEOUT_S);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, (long)CLIENT_CONNECT_TIMEOUT_S);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	if (c->cacert != NULL)
		curl_easy_setopt(h, CURLOPT_CAINFO, c->cacert);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, raw_cb);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &r);
	cc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(hl);
	pt_wipe(auth, sizeof(auth));
	curl_easy_cleanup(h);
	if (r.over)
		warnx_("GET %s: the answer is larger than %zu bytes", path, max);
	else if (cc != CURLE_OK)
		warnx_("GET %s: %s", path, curl_easy_strerror(cc));
	else if (status != 200)
		warnx_("GET %s: porterd answered %ld", path, status);
	else
		rc = 0;
	if (rc != 0) {
		free(r.p);
		return rc;
	}
	*out = r.p;
	*len = r.len;
	return 0;
}

/* FILE.tmp for --out, created new (0600). NULL, with the problem printed. */
static FILE *
out_open(const char *out, char tmp[PATH_MAX])
{
	FILE *f;
	int fd;

	if (snprintf(tmp, PATH_MAX, "%s.tmp", out) >= PATH_MAX) {
		tmp[0] = '\0';
		warnx_("--out path too long");
		return NULL;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || (f = fdopen(fd, "wb")) == NULL) {
		warnx_("cannot create '%s': %s", tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		tmp[0] = '\0';
		return NULL;
	}
	return f;
}

/* Sync, close and rename FILE.tmp to --out. 0 or -1 (printed); *f closed. */
static int
out_finish(FILE **f, char tmp[PATH_MAX], const char *out)
{
	FILE *g = *f;

	*f = NULL;
	if (fflush(g) != 0 || fsync(fileno(g)) != 0 || fclose(g) != 0) {
		warnx_("cannot write '%s': %s", tmp, strerror(errno));
		return -1;
	}
	if (rename(tmp, out) != 0) {
		warnx_("cannot rename '%s' to '%s': %s", tmp, out, strerror(errno));
		return -1;
	}
	tmp[0] = '\0';
	return 0;
}

/*
 * Fetch segment index, check it (against the manifest's size and SHA-256
 * when want_sha is set, else its own segment signature by the camera key,
 * sig, over the SHA-256 computed here), open it and append the plaintext
 * to f. 0, or an exit code with the segment named.
 */
static int
segment_into(struct client *c, const char *home, const char *clip_hex,
	     const uint8_t clip[PT_CLIP_ID_LEN], uint32_t index, const uint8_t *key,
	     const uint8_t *want_sha, uint32_t want_size, const uint8_t cam_pk[PT_PK_LEN],
	     const uint8_t *sig, FILE *f, const char *tmp, size_t *total)
{
	const struct pt_crypto_ops *ops = pt_crypto_sodium();
	uint8_t h[PT_HASH_LEN], *seg = NULL, *plain = NULL;
	char path[512], sub[128];
	size_t seg_len = 0, plain_len = 0;
	int rc = EXIT_INPUT, x;

	(void)snprintf(sub, sizeof(sub), "/clips/%s/segments/%u", clip_hex, (unsigned)index);
	if ((x = home_path(path, sizeof(path), home, sub)) != 0 ||
	    (x = get_raw(c, path, PT_CLIP_SEGMENT_SIZE_MAX, &seg, &seg_len)) != 0) {
		warnx_("segment %u is not available", (unsigned)index);
		return x;
	}
	ops->sha256(h, seg, seg_len);
	if (want_sha != NULL) {
		if (seg_len != want_size || !pt_ct_equal(h, want_sha, PT_HASH_LEN)) {
			warnx_("segment %u does not match the signed manifest (size or SHA-256)",
			       (unsigned)index);
			rc = 10 - PT_EBADSIG;
			goto out;
		}
	} else if (pt_clip_segment_verify(ops, cam_pk, clip, index, h, sig) != PT_OK) {
		warnx_("segment %u: its signature does not verify with the camera's key (altered,"
		       " or not this camera's)", (unsigned)index);
		rc = 10 - PT_EBADSIG;
		goto out;
	}
	if ((plain = malloc(seg_len)) == NULL) {
		warnx_("out of memory");
		goto out;
	}
	if ((x = pt_seg_open(key, clip, index, seg, seg_len, plain, &plain_len)) != PT_OK) {
		warnx_("segment %u does not open: %s", (unsigned)index, pt_err_text(x));
		rc = 10 - x;
		goto out;
	}
	if (fwrite(plain, 1, plain_len, f) != plain_len) {
		warnx_("cannot write '%s': %s", tmp, strerror(errno));
		goto out;
	}
	*total += plain_len;
	rc = 0;
out:
	if (plain != NULL) {
		pt_wipe(plain, seg_len);
		free(plain);
	}
	free(seg);
	return rc;
}

/* The clip's key record from porterd, opened with the owner's camera key:
 * 0, or an exit code (printed). */
static int
keyrec_fetch(struct client *c, const char *home, const char *clip_hex,
	     const uint8_t clip[PT_CLIP_ID_LEN], const uint8_t cam_pk[PT_PK_LEN],
	     struct pt_clip_keyrec *k)
{
	uint8_t *b = NULL;
	char path[512], sub[128];
	size_t len;
	int x;

	(void)snprintf(sub, sizeof(sub), "/clips/%s/key", clip_hex);
	if ((x = home_path(path, sizeof(path), home, sub)) != 0 ||
	    (x = get_raw(c, path, PT_CLIP_KEYREC_MAX, &b, &len)) != 0)
		return x;
	x = pt_clip_keyrec_open(pt_crypto_sodium(), cam_pk, b, len, k);
	free(b);
	if (x != PT_OK) {
		warnx_("the key record does not verify with the camera's key: %s", pt_err_text(x));
		return 10 - x;
	}
	if (memcmp(k->clip, clip, PT_CLIP_ID_LEN) != 0) {
		warnx_("the key record is of another clip");
		return EXIT_INPUT;
	}
	return 0;
}

/* The clip key sealed to this owner (kid) among recipients, opened into
 * key. 0 or EXIT_INPUT (printed). */
static int
clip_key_open(const struct pt_clip_recipient *rc, size_t n, const uint8_t kid[PT_KID_LEN],
	      struct pt_secret *sec, const char *keyfile, uint8_t *key)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (memcmp(rc[i].kid, kid, PT_KID_LEN) == 0)
			break;
	if (i == n) {
		warnx_("the clip is not sealed to this key ('%s')", keyfile);
		return EXIT_INPUT;
	}
	if (pt_clip_key_open(sec, rc[i].sealed, key) != PT_OK) {
		warnx_("the sealed clip key does not open with '%s'", keyfile);
		return EXIT_INPUT;
	}
	return 0;
}

/* "0,1,3" into out (at most cap - 1 characters, "..." when cut). */
static void
index_list(const bool *have, uint32_t upto, bool want, char *out, size_t cap)
{
	size_t n = 0;
	uint32_t i;
	int w;

	out[0] = '\0';
	for (i = 0; i < upto; i++) {
		if (have[i] != want)
			continue;
		w = snprintf(out + n, cap - n, "%s%u", n > 0 ? "," : "", (unsigned)i);
		if (w < 0 || (size_t)w >= cap - n) {
			if (cap > 4)
				memcpy(out + cap - 4, "...", 4);
			return;
		}
		n += (size_t)w;
	}
	if (n == 0)
		(void)snprintf(out, cap, "none");
}

/*
 * No manifest (the camera stopped before END, or before it could send
 * one): the key record opens the clip key, and each stored segment is
 * checked by its own signature, one by one, then opened in index order.
 * What porterd lists is all there is to go on: nothing proves how the
 * clip ended or that later segments ever existed, and the owner is told
 * so. Exit EXIT_CUT_SHORT when the file is written.
 */
static int
decrypt_cut_short(struct client *c, const char *home, const char *clip_hex,
		  const uint8_t clip[PT_CLIP_ID_LEN], const uint8_t cam_pk[PT_PK_LEN],
		  const uint8_t kid[PT_KID_LEN], struct pt_secret *sec, const char *keyfile,
		  const json_t *info, const char *out, uint8_t *key)
{
	const json_t *segs = json_object_get(info, "stored_segments"), *v;
	struct pt_clip_keyrec k;
	uint8_t (*sig)[PT_SIG_LEN] = NULL;
	bool *have = NULL;
	char tmp[PATH_MAX], present[256], missing[256];
	size_t i, n = 0, total = 0;
	uint32_t idx, top = 0;
	FILE *f = NULL;
	int rc = EXIT_INPUT;

	tmp[0] = '\0';
	if (!json_is_true(json_object_get(info, "key"))) {
		warnx_("clip %s has no manifest and no key record at porterd: it cannot be opened"
		       " (the camera sent neither)", clip_hex);
		return EXIT_INPUT;
	}
	if ((rc = keyrec_fetch(c, home, clip_hex, clip, cam_pk, &k)) != 0 ||
	    (rc = clip_key_open(k.key, k.n_keys, kid, sec, keyfile, key)) != 0)
		return rc;
	rc = EXIT_INPUT;
	if ((have = calloc(PT_CLIP_SEGMENTS_MAX, sizeof(*have))) == NULL ||
	    (sig = calloc(PT_CLIP_SEGMENTS_MAX, sizeof(*sig))) == NULL) {
		warnx_("out of memory");
		goto out;
	}
	/* porterd's list: indexes and signatures, read strictly; the
	 * signatures are checked against the bytes fetched, never trusted. */
	if (!json_is_array(segs)) {
		warnx_("porterd's answer lists no stored segments");
		goto out;
	}
	json_array_foreach(segs, i, v) {
		const json_t *ix = json_object_get(v, "index"), *sg = json_object_get(v, "signature");
		const char *t = json_string_value(sg);

		if (!json_is_integer(ix) || json_integer_value(ix) < 0 ||
		    json_integer_value(ix) >= PT_CLIP_SEGMENTS_MAX) {
			warnx_("porterd's list of stored segments is malformed");
			goto out;
		}
		idx = (uint32_t)json_integer_value(ix);
		if (t == NULL || strlen(t) != pt_b64_len(PT_SIG_LEN) ||
		    pt_b64_decode(sig[idx], PT_SIG_LEN, t, strlen(t)) != PT_OK) {
			warnx_("segment %u: porterd keeps no signature for it, so it cannot be"
			       " checked without a manifest", (unsigned)idx);
			rc = 10 - PT_EBADSIG;
			goto out;
		}
		have[idx] = true;
		if (idx + 1 > top)
			top = idx + 1;
		n++;
	}
	if (n == 0) {
		warnx_("clip %s has a key record but no segment stored: nothing to decrypt",
		       clip_hex);
		goto out;
	}
	if ((f = out_open(out, tmp)) == NULL)
		goto out;
	for (idx = 0; idx < top; idx++) {
		if (!have[idx])
			continue;
		if ((rc = segment_into(c, home, clip_hex, clip, idx, key, NULL, 0, cam_pk, sig[idx],
				       f, tmp, &total)) != 0)
			goto out;
	}
	rc = EXIT_INPUT;
	if (out_finish(&f, tmp, out) != 0)
		goto out;
	index_list(have, top, true, present, sizeof(present));
	index_list(have, top, false, missing, sizeof(missing));
	printf("decrypted clip %s: %zu segments, %zu bytes of %s to %s (key record signed by"
	       " camera %s; each segment checked by its own signature)\n",
	       clip_hex, n, total, k.container, out, k.camera);
	printf("CUT SHORT: the clip has no manifest (the camera stopped before its end): nothing"
	       " proves how it ended or whether segments after %u existed\n", (unsigned)(top - 1));
	printf("segments present: %s; missing before %u: %s\n", present, (unsigned)(top - 1),
	       missing);
	if (!have[0])
		printf("note: segment 0 (the stream's header) is missing: the file may not play\n");
	rc = EXIT_CUT_SHORT;
out:
	if (f != NULL)
		fclose(f);
	if (tmp[0] != '\0')
		unlink(tmp);
	free(have);
	free(sig);
	return rc;
}

/*
 * Without --camera-key: the key of the clip's camera from porterd, if the
 * owner's statement it was enrolled with verifies with a key the user
 * trusts (camtrust.h), and if it is the key the clip was uploaded with
 * (a camera enrolled again with a new key has a statement for the new key
 * only: its older clips need --camera-key). 0 or an exit code (printed).
 */
static int
camera_key_from_statement(struct client *c, const char *home, const json_t *info,
			  const struct cam_trust *t, uint8_t cam_pk[PT_PK_LEN])
{
	char path[256], cam[PT_ID_MAX + 1];
	const json_t *arr, *v, *found = NULL;
	json_t *reply = NULL;
	uint8_t clip_pk[PT_PK_LEN];
	size_t i;
	int rc;

	client_text(json_object_get(info, "camera"), cam, sizeof(cam));
	if (!pt_id_is_valid(cam, strlen(cam)) ||
	    server_pubkey(json_object_get(info, "camera_key"), clip_pk) != 0) {
		warnx_("porterd sent no usable camera id or key for the clip");
		return EXIT_INPUT;
	}
	if ((rc = home_path(path, sizeof(path), home, "/cameras")) != 0 ||
	    (rc = client_call(c, "GET", path, NULL, CALL_AUTH, &reply)) != 0)
		return rc;
	arr = json_object_get(reply, "cameras");
	json_array_foreach(arr, i, v) {
		if (json_is_string(json_object_get(v, "id")) &&
		    strcmp(json_string_value(json_object_get(v, "id")), cam) == 0)
			found = v;
	}
	rc = EXIT_NOTRUST;
	if (found == NULL) {
		warnx_("camera '%s' is not enrolled in home %s any more: no owner's statement vouches"
		       " for its key. Pass the camera's key with --camera-key", cam, home);
		goto out;
	}
	if ((rc = cam_trust_key(t, c, home, found, cam_pk)) != 0)
		goto out;
	if (!pt_ct_equal(cam_pk, clip_pk, PT_PK_LEN)) {
		warnx_("the clip was uploaded with another key than the one the owner's statement"
		       " names for camera '%s' (enrolled again since?): pass the key it had with"
		       " --camera-key", cam);
		memset(cam_pk, 0, PT_PK_LEN);
		rc = EXIT_NOTRUST;
		goto out;
	}
	rc = 0;
out:
	json_decref(reply);
	return rc;
}

static int
clip_decrypt(struct client *c, const char *home, const char *clip_hex, const char *keyfile,
	     const char *out, const char *camera_key, struct cam_trust *trust)
{
	const struct pt_crypto_ops *ops = pt_crypto_sodium();
	struct pt_clip_manifest *m = NULL;
	struct pt_clip_keyrec k;
	struct pt_secret *sec = NULL;
	struct pt_errbuf err;
	uint8_t clip[PT_CLIP_ID_LEN], cam_pk[PT_PK_LEN], pk[PT_PK_LEN], kid[PT_KID_LEN];
	uint8_t *man = NULL, *key = NULL;
	char path[512], sub[128], tmp[PATH_MAX];
	size_t man_len, i, total = 0;
	json_t *info = NULL;
	FILE *f = NULL;
	int rc = EXIT_INPUT, x;

	tmp[0] = '\0';
	if (pt_clip_id_parse(clip_hex, clip) != PT_OK) {
		warnx_("'%s' is not a clip id (32 lowercase hex digits)", clip_hex);
		return EXIT_INPUT;
	}
	if ((sec = pt_secret_new()) == NULL || (m = malloc(sizeof(*m))) == NULL ||
	    (key = pt_guarded_alloc(PT_CLIP_KEY_LEN)) == NULL) {
		warnx_("out of memory");
		goto out;
	}
	if (pt_keyfile_load(keyfile, sec, &err) != PT_OK) {
		warnx_("%s", err.msg);
		goto out;
	}
	pt_secret_public(sec, pk);
	pt_kid(ops, pk, kid);
	cam_trust_add_pk(trust, pk);	/* your own owner key is trusted */
	if (camera_key != NULL && (rc = trusted_camera_key(camera_key, "decrypt", cam_pk)) != 0)
		goto out;
	if ((rc = client_load(c)) != 0 || (rc = client_need(c, true)) != 0)
		goto out;
	rc = EXIT_INPUT;
	(void)snprintf(sub, sizeof(sub), "/clips/%s", clip_hex);
	if ((x = home_path(path, sizeof(path), home, sub)) != 0 ||
	    (x = client_call(c, "GET", path, NULL, CALL_AUTH, &info)) != 0) {
		rc = x;
		goto out;
	}
	if (camera_key == NULL) {
		/* porterd's key, vouched for by an owner's statement, or nothing. */
		if ((rc = camera_key_from_statement(c, home, info, trust, cam_pk)) != 0)
			goto out;
		rc = EXIT_INPUT;
	} else {
		/* porterd's key is only compared, never trusted; a revocation of
		 * the pinned key is said, not obeyed (the user's choice). */
		uint8_t srv[PT_PK_LEN];
		char cam[PT_ID_MAX + 1];
		if (server_pubkey(json_object_get(info, "camera_key"), srv) == 0 &&
		    !pt_ct_equal(srv, cam_pk, PT_PK_LEN))
			fprintf(stderr, "porter: note: porterd kept another camera key with this clip"
					" than --camera-key\n");
		client_text(json_object_get(info, "camera"), cam, sizeof(cam));
		cam_trust_pinned_check(trust, c, home, cam, cam_pk);
	}
	if (!json_is_object(json_object_get(info, "manifest"))) {
		rc = decrypt_cut_short(c, home, clip_hex, clip, cam_pk, kid, sec, keyfile, info, out,
				       key);
		goto out;
	}
	(void)snprintf(sub, sizeof(sub), "/clips/%s/manifest", clip_hex);
	if ((x = home_path(path, sizeof(path), home, sub)) != 0 ||
	    (x = get_raw(c, path, PT_CLIP_MANIFEST_MAX, &man, &man_len)) != 0) {
		rc = x;
		goto out;
	}
	if ((x = pt_clip_manifest_open(ops, cam_pk, man, man_len, m)) != PT_OK) {
		warnx_("the manifest does not verify with the camera's key: %s", pt_err_text(x));
		rc = 10 - x;
		goto out;
	}
	if (memcmp(m->clip, clip, PT_CLIP_ID_LEN) != 0) {
		warnx_("the manifest is of another clip");
		goto out;
	}
	/* Both there: they must tell one story (porterd checks it too). */
	if (json_is_true(json_object_get(info, "key"))) {
		if ((rc = keyrec_fetch(c, home, clip_hex, clip, cam_pk, &k)) != 0)
			goto out;
		rc = EXIT_INPUT;
		if (!pt_clip_keyrec_matches(&k, m)) {
			warnx_("the key record and the manifest disagree (camera, START or sealed"
			       " keys): not opened");
			rc = 10 - PT_EBADSIG;
			goto out;
		}
	}
	if ((rc = clip_key_open(m->key, m->n_keys, kid, sec, keyfile, key)) != 0)
		goto out;
	rc = EXIT_INPUT;
	if ((f = out_open(out, tmp)) == NULL)
		goto out;
	for (i = 0; i < m->n_segments; i++) {
		if ((x = segment_into(c, home, clip_hex, clip, (uint32_t)i, key, m->seg[i].sha256,
				      m->seg[i].size, cam_pk, NULL, f, tmp, &total)) != 0) {
			rc = x;
			goto out;
		}
	}
	if (out_finish(&f, tmp, out) != 0)
		goto out;
	printf("decrypted clip %s: %zu segments, %zu bytes of %s to %s (manifest signed by camera %s)\n",
	       clip_hex, m->n_segments, total, m->container, out, m->camera);
	if (m->end_seq == 0)
		printf("note: the clip was cut short: it has no END (the camera stopped before the"
		       " session's end)\n");
	rc = 0;
out:
	if (f != NULL)
		fclose(f);
	if (tmp[0] != '\0')
		unlink(tmp);
	free(man);
	free(m);
	json_decref(info);
	pt_guarded_free(key);
	pt_secret_free(sec);
	return rc;
}

int
cmd_clip(int argc, char **argv)
{
	static const struct option opts[] = {
		{"home", required_argument, NULL, 'm'},	  {"limit", required_argument, NULL, 'l'},
		{"after", required_argument, NULL, 'a'},  {"key", required_argument, NULL, 'k'},
		{"out", required_argument, NULL, 'o'},	  {"camera-key", required_argument, NULL, 'c'},
		{"owner-pub", required_argument, NULL, 'O'},
		{"trust-unsigned-camera", no_argument, NULL, 'U'},
		COMMON_OPTS,
	};
	const char *home = NULL, *limit = NULL, *after = NULL, *key = NULL, *out = NULL,
		   *camkey = NULL, *verb;
	char path[512], sub[160];
	struct cam_trust trust;
	struct client c;
	bool trust_opts = false;
	int ch, rc;

	cam_trust_init(&trust);
	if (argc < 2)
		die_usage("clip", "expected a command: list, get, decrypt");
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(clip_usage, stdout);
		return 0;
	}
	verb = argv[1];
	if (strcmp(verb, "list") != 0 && strcmp(verb, "get") != 0 && strcmp(verb, "decrypt") != 0)
		die_usage("clip", "unknown command '%s'", verb);
	argc--;
	argv++;
	client_init(&c);
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'm': home = optarg; break;
		case 'l': limit = optarg; break;
		case 'a': after = optarg; break;
		case 'k': key = optarg; break;
		case 'o': out = optarg; break;
		case 'c': camkey = optarg; break;
		case 'O':
			if (cam_trust_add_pub(&trust, optarg) != 0)
				return EXIT_INPUT;
			trust_opts = true;
			break;
		case 'U': trust.trust_unsigned = trust_opts = true; break;
		default:
			if (common_opt(&c, ch, "clip", clip_usage, argv))
				return 0;
		}
	}
	if (home == NULL)
		die_usage("clip", "--home is required");
	if (strcmp(verb, "list") == 0) {
		positional(argc, argv, 0, "clip", "no arguments");
		if (key != NULL || out != NULL || camkey != NULL || trust_opts)
			die_usage("clip", "list takes --home, --limit and --after");
		if (after != NULL && (after[0] == '\0' || strlen(after) > 20 ||
				      strspn(after, "0123456789") != strlen(after)))
			die_usage("clip", "--after takes the 'next' cursor of a list");
		if (limit != NULL && (limit[0] == '\0' || strlen(limit) > 4 ||
				      strspn(limit, "0123456789") != strlen(limit)))
			die_usage("clip", "--limit takes a number");
		(void)snprintf(sub, sizeof(sub), "/clips%s%s%s%s%s%s", limit || after ? "?" : "",
			       limit ? "limit=" : "", limit ? limit : "", limit && after ? "&" : "",
			       after ? "after=" : "", after ? after : "");
		if ((rc = home_path(path, sizeof(path), home, sub)) != 0)
			goto out;
		rc = call_show(&c, "GET", path, NULL, NULL, show_clips);
	} else if (strcmp(verb, "get") == 0) {
		positional(argc, argv, 1, "clip", "the clip's id");
		if (strlen(argv[optind]) != 2 * PT_CLIP_ID_LEN ||
		    strspn(argv[optind], "0123456789abcdef") != 2 * PT_CLIP_ID_LEN)
			die_usage("clip", "a clip id is 32 lowercase hex digits");
		(void)snprintf(sub, sizeof(sub), "/clips/%s", argv[optind]);
		if ((rc = home_path(path, sizeof(path), home, sub)) != 0)
			goto out;
		rc = call_show(&c, "GET", path, NULL, NULL, show_clip);
	} else {
		positional(argc, argv, 1, "clip", "the clip's id");
		if (key == NULL || out == NULL)
			die_usage("clip", "decrypt needs --key and --out");
		if (camkey != NULL && trust_opts)
			die_usage("clip", "--camera-key pins the camera's key: --owner-pub and"
					  " --trust-unsigned-camera are for porterd's key");
		rc = clip_decrypt(&c, home, argv[optind], key, out, camkey, &trust);
	}
out:
	client_close(&c);
	return rc;
}

/* ---- evidence bundles (porter/evidence.h) ---- */

static const char evidence_usage[] =
	"usage: porter evidence export --home ID CLIP --out FILE [--hub-key PUBKEY]\n"
	"                              (--camera-key PUBKEY | --key OWNER_KEY | --owner-pub PUBKEY ...)\n"
	"       porter evidence verify FILE --owner-pub OWNER_PUBKEY ... [--home ID]\n"
	"                              [--camera-key PUBKEY] [--hub-key PUBKEY]\n"
	"       porter evidence verify FILE --camera-key PUBKEY [--hub-key PUBKEY]\n"
	"\n"
	"export: one file with the clip's camera-signed manifest, its sealed\n"
	"segments and the camera key, the hub's part (the hub's hash-chained\n"
	"events from the clip's session.start through its session.end, with the\n"
	"hub's signed checkpoints and its key) and, with --key or --owner-pub, the\n"
	"owner's part: the owner-signed camera statement, the hub's owner-signed\n"
	"pairing statement and the owner endorsements that lead to their signers\n"
	"(docs/clips.md, \"Evidence bundles\"). export asks porterd for each hub's\n"
	"events and takes the hub whose session.start names the clip; it checks\n"
	"every part as verify does before writing, and writes nothing when the\n"
	"hub's events do not check out (exit 12). What porterd lacks, what does not\n"
	"verify with the owner keys you trust, or what a key revoked by one of them\n"
	"signed, is left out of the owner's part, saying why.\n"
	"verify: offline, by anyone, no secret key needed: exit 0 only when every\n"
	"signature, hash and chain link checks out; otherwise it names the first\n"
	"thing that failed. The keys a bundle carries prove nothing on their own:\n"
	"with --owner-pub, the camera's key must be named by a camera statement and\n"
	"the hub's by a pairing statement, each verifying with that owner key or a\n"
	"key it endorsed (walked down from it only), for the bundle's home; with\n"
	"--camera-key/--hub-key the keys are pinned outright (exit 3 with neither\n"
	"--owner-pub nor --camera-key). A pass does not know of revocations: a key\n"
	"revoked since the statements were signed still passes.\n"
	"export takes the camera key from --camera-key, or, with --key and/or\n"
	"--owner-pub, from porterd as porter clip decrypt does: only if the\n"
	"owner-signed statement the camera was enrolled with verifies with a key\n"
	"you trust (or one they endorsed) and no key revocation by such a key names\n"
	"the camera's key or yours (else exit 3).\n"
	"\n"
	"  --home ID           the home (verify: the bundle must be of it)\n"
	"  --out FILE          the bundle (written to FILE.tmp, then renamed)\n"
	"  --camera-key PUBKEY the camera's public key (base64url or .pub file)\n"
	"  --key OWNER_KEY     export: your owner key file (its public half vouches)\n"
	"  --owner-pub PUBKEY  trust this owner key (.pub file or base64url);\n"
	"                      repeatable. verify: the keys the bundle must lead to\n"
	"  --hub-key PUBKEY    the hub's public key as you paired it (the \"hub key\"\n"
	"                      porter-hub pair shows, or the hub's hub.key.pub;\n"
	"                      base64url or .pub file). verify: the bundle's hub key\n"
	"                      must be it, and the events are then that hub's; without\n"
	"                      it or --owner-pub they are checked against the key the\n"
	"                      bundle carries (porterd's word): consistent, not\n"
	"                      proven. export: only that hub's chain is asked for (a\n"
	"                      hub since removed from the home too: owners only) and\n"
	"                      checked against it; without it nothing is written (exit 12)\n" COMMON_HELP;

static int
write_file_atomic(const char *out, const uint8_t *p, size_t len)
{
	struct pt_errbuf err;

	if (pt_file_write(out, p, len, 0644, &err) != PT_OK) {
		warnx_("%s", err.msg);
		return EXIT_INPUT;
	}
	return 0;
}

#define EV_HUBS_MAX 64	/* hubs of a home read from porterd (its limit: 8) */

/* Append "; <text>" (or "<text>" first) to note, cut to cap. */
static void
note_add(char *note, size_t cap, const char *text)
{
	size_t n = strlen(note);

	if (n + 1 < cap)
		(void)snprintf(note + n, cap - n, "%s%s", n > 0 ? "; " : "", text);
}

/*
 * The hub's part of the bundle (keys 5..9): from the home's hubs, the one
 * whose chain from the manifest's START seq (through its END seq, or START
 * when the clip was cut short) begins with this clip's session.start
 * (docs/clips.md, "Evidence bundles"). Read strictly (evchain.h); whether
 * it is the hub's is for the verification of the whole bundle. 0 with e's
 * hub part filled, borrowing from *keep (decref it after encoding), or
 * left out with note saying why (no hub, porterd lacks the events or
 * checkpoints, no hub names the clip); else an exit code, printed: the
 * hubs could not be listed, or porterd's answer is malformed.
 */
/* porterd names a hub "hub-" and its key id (api_org.c, pairing), as the
 * hub names itself. */
static void
hub_id_of_key(const uint8_t pk[PT_PK_LEN], char out[4 + 2 * PT_KID_LEN + 1])
{
	uint8_t kid[PT_KID_LEN];

	pt_kid(pt_crypto_sodium(), pk, kid);
	memcpy(out, "hub-", 4);
	pt_hex(kid, sizeof(kid), out + 4);
}

/* An answer whose id and key disagree is not one hub's. */
static bool
hub_id_is_key(const char *id, const uint8_t pk[PT_PK_LEN])
{
	char want[4 + 2 * PT_KID_LEN + 1];

	hub_id_of_key(pk, want);
	return strcmp(id, want) == 0;
}

static int
evidence_hub_part(struct client *c, const char *home, const uint8_t clip[PT_CLIP_ID_LEN],
		  const struct pt_clip_manifest *m, const uint8_t *hub_pin, struct pt_evidence *e,
		  json_t **keep, char *note, size_t note_cap)
{
	char path[512], sub[PT_ID_MAX + 96], why[EV_CHAIN_WHY_MAX], line[400], id[PT_ID_MAX + 1];
	const json_t *hubs, *v, *hid;
	json_t *list = NULL, *r = NULL;
	int64_t from, to;
	size_t i, n_asked = 0;
	int rc, x;

	*keep = NULL;
	note[0] = '\0';
	if (m->start_seq < 1 || m->start_seq > (uint64_t)INT64_MAX ||
	    (m->end_seq != 0 && (m->end_seq < m->start_seq || m->end_seq > (uint64_t)INT64_MAX))) {
		note_add(note, note_cap, "the manifest names no hub events");
		return 0;
	}
	from = (int64_t)m->start_seq;
	to = m->end_seq != 0 ? (int64_t)m->end_seq : from;
	if (to - from >= PT_EVIDENCE_EVENTS_MAX) {
		(void)snprintf(line, sizeof(line), "the session spans %lld hub events, more than a"
			       " bundle holds (%d)", (long long)(to - from + 1), PT_EVIDENCE_EVENTS_MAX);
		note_add(note, note_cap, line);
		return 0;
	}
	if (hub_pin != NULL) {
		/* Pinned: only that hub's chain is wanted, asked for by the id
		 * porterd gives it ("hub-" and its key id), listed or not: a hub
		 * the owner has removed keeps its chain for the home's owners
		 * (docs/api.md), and one read, not one per hub of the home,
		 * counts against the account's chain reads. */
		_Static_assert(sizeof(id) >= 4 + 2 * PT_KID_LEN + 1, "a hub id fits");
		hub_id_of_key(hub_pin, id);
		if ((list = json_pack("{s:[{s:s}]}", "hubs", "id", id)) == NULL) {
			warnx_("out of memory");
			return EXIT_INPUT;
		}
	} else if ((rc = home_path(path, sizeof(path), home, "/hubs")) != 0 ||
		   (rc = client_call(c, "GET", path, NULL, CALL_AUTH, &list)) != 0) {
		return rc;
	}
	rc = EXIT_INPUT;
	hubs = json_object_get(list, "hubs");
	if (!json_is_array(hubs) || json_array_size(hubs) > EV_HUBS_MAX) {
		warnx_("porterd's list of the home's hubs is malformed");
		goto out;
	}
	json_array_foreach(hubs, i, v) {
		hid = json_object_get(v, "id");
		if (!json_is_string(hid) || json_string_length(hid) > PT_ID_MAX ||
		    !pt_id_is_valid(json_string_value(hid), json_string_length(hid))) {
			warnx_("porterd's list of the home's hubs is malformed");
			goto out;
		}
		memcpy(id, json_string_value(hid), json_string_length(hid) + 1);
		(void)snprintf(sub, sizeof(sub), "/hubs/%s/chain?from=%lld&to=%lld", id,
			       (long long)from, (long long)to);
		if ((x = home_path(path, sizeof(path), home, sub)) != 0) {
			rc = x;
			goto out;
		}
		n_asked++;
		json_decref(r);
		r = NULL;
		x = client_call(c, "GET", path, NULL, CALL_AUTH | CALL_QUIET, &r);
		if (x != 0) {
			/* Not this hub's, or porterd lacks part of it: said, next. */
			if (strcmp(c->err_code, "no-chain") != 0 && strcmp(c->err_code, "not-found") != 0) {
				if (c->err_line[0] != '\0')
					warnx_("the events of hub %s: %s", id, c->err_line);
				rc = x;
				goto out;
			}
			(void)snprintf(line, sizeof(line), "hub %s: %s", id, c->err_line);
			note_add(note, note_cap, line);
			continue;
		}
		if (ev_chain_take(r, id, from, to, e, why, sizeof(why)) != 0) {
			warnx_("porterd's chain of hub %s is malformed: %s; nothing written", id, why);
			goto out;
		}
		if (!hub_id_is_key(id, e->hub_pk)) {
			ev_chain_clear(e);
			(void)snprintf(line, sizeof(line), "hub %s: porterd gives a key that is not"
				       " this hub's (its id is hub- and its key id)", id);
			note_add(note, note_cap, line);
			continue;
		}
		if (hub_pin != NULL && !pt_ct_equal(e->hub_pk, hub_pin, PT_PK_LEN)) {
			ev_chain_clear(e);
			(void)snprintf(line, sizeof(line), "hub %s: not the hub of --hub-key", id);
			note_add(note, note_cap, line);
			continue;
		}
		if (ev_chain_names_clip(e, clip)) {
			*keep = r;
			r = NULL;
			note[0] = '\0';
			rc = 0;
			goto out;
		}
		ev_chain_clear(e);
		(void)snprintf(line, sizeof(line), "hub %s: its event %lld is not this clip's"
			       " session.start", id, (long long)from);
		note_add(note, note_cap, line);
	}
	if (n_asked == 0)
		(void)snprintf(note, note_cap, "home %s has no hub", home);
	rc = 0;
out:
	json_decref(r);
	json_decref(list);
	return rc;
}

/* The owner's part of a bundle being exported (keys 10..13): the
 * statements' bytes, which the bundle borrows until it is encoded. */
struct ev_owner {
	uint8_t camera_stmt[PT_CAMERA_STMT_MAX];
	uint8_t pairing[PT_ENVELOPE_SIZE_MAX];
	uint8_t owner[PT_EVIDENCE_OWNER_STMTS_MAX][PT_ENVELOPE_SIZE_MAX];
	struct pt_evidence_stmt all[PT_EVIDENCE_OWNER_STMTS_MAX];
	bool used[PT_EVIDENCE_OWNER_STMTS_MAX], used_cam[PT_EVIDENCE_OWNER_STMTS_MAX];
	size_t n_all;
	struct pt_evidence_walk w;
	uint8_t path[PT_EVIDENCE_TRUST_MAX + 1][PT_PK_LEN];	/* the keys on one way */
	struct cam_trust_rev rev[PT_EVIDENCE_TRUST_MAX + 1];
};

/* A statement's bytes (1..cap) from porterd's base64url text: never a
 * file name. 0 or -1. */
static int
server_blob(const json_t *v, uint8_t *out, size_t cap, size_t *len)
{
	const char *s = json_string_value(v);
	size_t n;

	*len = 0;
	if (s == NULL || (n = strlen(s)) < 2 || n > (cap + 2) / 3 * 4 || n % 4 == 1)
		return -1;
	*len = n / 4 * 3 + (n % 4 != 0 ? n % 4 - 1 : 0);
	if (*len > cap || pt_b64_decode(out, *len, s, n) != PT_OK) {
		*len = 0;
		return -1;
	}
	return 0;
}

/* The endorsements that led from an anchor to key k of the walk, marked
 * used; the keys on the way (k and its endorsers, the anchor last) added
 * to keys[*n] (room for PT_EVIDENCE_TRUST_MAX + 1). */
static void
ev_owner_path(struct ev_owner *o, size_t k, uint8_t (*keys)[PT_PK_LEN], size_t *n)
{
	while (k < o->w.n) {
		memcpy(keys[(*n)++], o->w.keys[k], PT_PK_LEN);
		if (o->w.via[k] < 0)
			break;
		o->used[o->w.via[k]] = true;
		k = (size_t)o->w.by[k];
	}
}

/*
 * Is a key of want[0..n_want) revoked at porterd, by a key revocation
 * signed by one of signers (cam_trust_revocations, every page, as the
 * viewers read them: docs/cam.md R1)? 0 with *hit the first such, or
 * NULL; -1 when the revocations cannot be read (printed).
 */
static int
ev_revoked(struct client *c, const char *home, const uint8_t (*signers)[PT_PK_LEN],
	   size_t n_signers, const uint8_t (*want)[PT_PK_LEN], size_t n_want,
	   struct cam_trust_rev *rev, size_t cap, const struct cam_trust_rev **hit)
{
	char path[PT_ID_MAX + 64];
	const json_t *arr, *ver;
	json_t *reply = NULL;
	int64_t since = 0;
	size_t pages, n = 0, ignored = 0;
	int r = -1;

	*hit = NULL;
	for (pages = 0; pages < CAM_TRUST_REV_PAGES_MAX; pages++) {
		(void)snprintf(path, sizeof(path), "/v1/homes/%s/revocations?since=%lld", home,
			       (long long)since);
		if (client_call(c, "GET", path, NULL, CALL_AUTH, &reply) != 0)
			goto out;
		arr = json_object_get(reply, "revocations");
		ver = json_object_get(reply, "version");
		if (!json_is_array(arr) || !json_is_integer(ver) ||
		    json_array_size(arr) > CAM_TRUST_REV_PAGE_ITEMS_MAX ||
		    (json_array_size(arr) > 0 && json_integer_value(ver) <= since)) {
			warnx_("porterd's list of revocations is not well-formed");
			goto out;
		}
		if (json_array_size(arr) == 0) {
			if (n > 0)
				*hit = &rev[0];
			r = 0;
			goto out;
		}
		cam_trust_revocations(home, arr, signers, n_signers, want, n_want, rev, cap, &n,
				      &ignored);
		since = (int64_t)json_integer_value(ver);
		json_decref(reply);
		reply = NULL;
	}
	warnx_("home %s has more revocations than porter reads (%d pages)", home,
	       CAM_TRUST_REV_PAGES_MAX);
out:
	json_decref(reply);
	return r;
}

/* "owner key <kid> ... revoked by <kid> (version N)" into line. */
static void
ev_revoked_line(char *line, size_t cap, const char *what, const struct cam_trust_rev *rv)
{
	uint8_t kid[PT_KID_LEN];
	char k[2 * PT_KID_LEN + 1], by[2 * PT_KID_LEN + 1];

	pt_kid(pt_crypto_sodium(), rv->target, kid);
	pt_hex(kid, PT_KID_LEN, k);
	pt_hex(rv->signer_kid, PT_KID_LEN, by);
	(void)snprintf(line, cap, "%s: key %s on the way to it was revoked by %s (version %lld)",
		       what, k, by, (long long)rv->version);
}

/*
 * The owner's part of the bundle from porterd (docs/clips.md, "Evidence
 * bundles"): the camera statement (GET .../cameras), the home's owner
 * endorsements (GET .../owner-keys) and, with the hub's part, the hub's
 * pairing statement (GET .../hubs, "pairing"). All porterd's word, so each
 * is checked here as verify checks it: the trusted set walked DOWN from
 * the user's owner keys (trust) over porterd's endorsements
 * (pt_evidence_owner_walk); the camera statement must verify with a key of
 * the set and name this home, the manifest's camera and the bundle's
 * camera key; the pairing statement likewise this home and the bundle's
 * hub key. Only the endorsements on the way from an anchor to the two
 * signers go in. 0 with e's owner part filled (borrowing from o), or
 * left out (the pairing statement alone, or all of it) with a line in
 * note saying why; an exit code when porterd cannot be asked (printed).
 */
static int
evidence_owner_part(struct client *c, const char *home, const struct pt_clip_manifest *m,
		    const struct cam_trust *trust, struct pt_evidence *e, struct ev_owner *o,
		    char *note, size_t note_cap)
{
	const struct pt_crypto_ops *ops = pt_crypto_sodium();
	const json_t *v, *found = NULL;
	json_t *cams = NULL, *keys = NULL, *hubs = NULL;
	struct pt_camera_stmt st;
	struct pt_envelope env;
	const struct cam_trust_rev *rv = NULL;
	char path[256], line[300];
	size_t i, idx, cam_idx, hub_idx = 0, cam_len, pair_len = 0, len, n_path;
	int64_t now = now_utc();
	int rc;

	memset(&st, 0, sizeof(st));
	memset(&env, 0, sizeof(env));
	/* porterd is not trusted: a call it fails leaves the owner's part (or
	 * the pairing statement) out with a note, and the clip's and the hub's
	 * parts, already checked, are written all the same. */
	if ((rc = home_path(path, sizeof(path), home, "/cameras")) != 0)
		goto out;
	if (client_call(c, "GET", path, NULL, CALL_AUTH, &cams) != 0) {
		note_add(note, note_cap, "porterd did not list the home's cameras");
		goto out;
	}
	json_array_foreach(json_object_get(cams, "cameras"), i, v) {
		const char *id = json_string_value(json_object_get(v, "id"));
		if (id != NULL && strcmp(id, m->camera) == 0)
			found = v;
	}
	if (found == NULL ||
	    server_blob(json_object_get(found, "statement"), o->camera_stmt, PT_CAMERA_STMT_MAX,
			&cam_len) != 0) {
		(void)snprintf(line, sizeof(line), "porterd has no owner's statement for camera %s",
			       m->camera);
		note_add(note, note_cap, line);
		goto out;
	}
	if ((rc = home_path(path, sizeof(path), home, "/owner-keys")) != 0)
		goto out;
	if (client_call(c, "GET", path, NULL, CALL_AUTH, &keys) != 0) {
		note_add(note, note_cap, "porterd did not list the home's owner keys");
		goto out;
	}
	json_array_foreach(json_object_get(keys, "keys"), i, v) {
		if (o->n_all >= PT_EVIDENCE_OWNER_STMTS_MAX)
			break;
		if (server_blob(json_object_get(v, "statement"), o->owner[o->n_all],
				PT_ENVELOPE_SIZE_MAX, &len) != 0)
			continue;
		o->all[o->n_all].p = o->owner[o->n_all];
		o->all[o->n_all].len = len;
		o->n_all++;
	}
	(void)pt_evidence_owner_walk(ops, home, (const uint8_t(*)[PT_PK_LEN])trust->keys, trust->n,
				     o->all, o->n_all, now, &o->w);
	if (pt_camera_stmt_verify(ops, o->camera_stmt, cam_len,
				  (const uint8_t(*)[PT_PK_LEN])o->w.keys, o->w.n, &st, &idx) != PT_OK ||
	    !pt_camera_stmt_matches(&st, home, m->camera, e->camera_pk, NULL)) {
		(void)snprintf(line, sizeof(line), "the statement porterd serves for camera %s does"
			       " not verify with an owner key you trust, or names another key",
			       m->camera);
		note_add(note, note_cap, line);
		goto out;
	}
	cam_idx = idx;
	if (e->has_hub) {
		if ((rc = home_path(path, sizeof(path), home, "/hubs")) != 0)
			goto out;
		found = NULL;
		if (client_call(c, "GET", path, NULL, CALL_AUTH, &hubs) != 0) {
			json_decref(hubs);
			hubs = NULL;	/* no hub found: the pairing statement left out */
		}
		json_array_foreach(json_object_get(hubs, "hubs"), i, v) {
			const char *id = json_string_value(json_object_get(v, "id"));
			if (id != NULL && strcmp(id, e->hub_id) == 0)
				found = v;
		}
		if (found == NULL || server_blob(json_object_get(found, "pairing"), o->pairing,
						 PT_ENVELOPE_SIZE_MAX, &pair_len) != 0) {
			pair_len = 0;
			(void)snprintf(line, sizeof(line), "porterd serves no pairing statement of hub"
				       " %s", e->hub_id);
			note_add(note, note_cap, line);
		} else if (pt_envelope_verify(ops, o->pairing, pair_len, PT_ENV_PAIRING,
					      (const uint8_t(*)[PT_PK_LEN])o->w.keys, o->w.n, home,
					      now, UINT32_MAX, &env, &idx) != PT_OK ||
			   env.target_len != PT_PK_LEN ||
			   !pt_ct_equal(env.target, e->hub_pk, PT_PK_LEN)) {
			pair_len = 0;
			(void)snprintf(line, sizeof(line), "the pairing statement porterd serves for"
				       " hub %s does not verify with an owner key you trust, or names"
				       " another hub key", e->hub_id);
			note_add(note, note_cap, line);
		} else {
			hub_idx = idx;
		}
	}
	/* A key on either way revoked by a key you trust (the camera key or
	 * the hub key itself too): a stolen key signs anything, with any
	 * time in it, so what it signed vouches for nothing. */
	memcpy(o->path[0], e->camera_pk, PT_PK_LEN);
	n_path = 1;
	ev_owner_path(o, cam_idx, o->path, &n_path);
	if ((rc = ev_revoked(c, home, (const uint8_t(*)[PT_PK_LEN])o->w.keys, o->w.n,
			     (const uint8_t(*)[PT_PK_LEN])o->path, n_path, o->rev,
			     sizeof(o->rev) / sizeof(o->rev[0]), &rv)) != 0) {
		rc = 0;
		note_add(note, note_cap, "the home's revocations cannot be read");
		memset(o->used, 0, sizeof(o->used));
		goto out;
	}
	if (rv != NULL) {
		ev_revoked_line(line, sizeof(line), "the camera statement", rv);
		note_add(note, note_cap, line);
		memset(o->used, 0, sizeof(o->used));
		goto out;
	}
	if (pair_len > 0) {
		memcpy(o->path[0], e->hub_pk, PT_PK_LEN);
		n_path = 1;
		memcpy(o->used_cam, o->used, sizeof(o->used));
		ev_owner_path(o, hub_idx, o->path, &n_path);
		if (ev_revoked(c, home, (const uint8_t(*)[PT_PK_LEN])o->w.keys, o->w.n,
			       (const uint8_t(*)[PT_PK_LEN])o->path, n_path, o->rev,
			       sizeof(o->rev) / sizeof(o->rev[0]), &rv) != 0 || rv != NULL) {
			if (rv != NULL)
				ev_revoked_line(line, sizeof(line), "the hub's pairing statement", rv);
			else
				(void)snprintf(line, sizeof(line), "the home's revocations cannot be"
					       " read");
			note_add(note, note_cap, line);
			memcpy(o->used, o->used_cam, sizeof(o->used));
			pair_len = 0;
		}
	}
	e->has_owner = true;
	(void)snprintf(e->home, sizeof(e->home), "%s", home);
	e->camera_stmt.p = o->camera_stmt;
	e->camera_stmt.len = cam_len;
	e->pairing.p = pair_len > 0 ? o->pairing : NULL;
	e->pairing.len = pair_len;
	for (i = 0; i < o->n_all; i++)
		if (o->used[i])
			e->owner_stmt[e->n_owner_stmts++] = o->all[i];
	rc = 0;
out:
	memset(&env, 0, sizeof(env));
	json_decref(cams);
	json_decref(keys);
	json_decref(hubs);
	return rc;
}

/* Leave e's owner part out. */
static void
ev_owner_clear(struct pt_evidence *e)
{
	e->has_owner = false;
	memset(e->home, 0, sizeof(e->home));
	memset(&e->camera_stmt, 0, sizeof(e->camera_stmt));
	memset(&e->pairing, 0, sizeof(e->pairing));
	memset(e->owner_stmt, 0, sizeof(e->owner_stmt));
	e->n_owner_stmts = 0;
}

/* "segment 1: its size or SHA-256 is not the manifest's" into buf. */
static const char *
evidence_what(const struct pt_evidence_result *res, char *buf, size_t cap)
{
	const struct pt_evidence_text *t = pt_evidence_what_text(res->what);

	if (t->numbered)
		(void)snprintf(buf, cap, "%s %lld: %s", t->subject, (long long)res->at, t->text);
	else
		(void)snprintf(buf, cap, "%s: %s", t->subject, t->text);
	return buf;
}

/* Bytes the hub's part takes in the bundle, at most. */
static size_t
hub_part_size(const struct pt_evidence *e)
{
	size_t i, n = 256 + PT_ID_MAX;

	for (i = 0; i < e->n_events; i++)
		n += e->ev[i].type_len + e->ev[i].data_len + PT_HASH_LEN + 64;
	return n + e->n_cps * (PT_SIG_LEN + 32);
}

/* Bytes the owner's part takes in the bundle, at most. */
static size_t
owner_part_size(const struct pt_evidence *e)
{
	return 64 + PT_ID_MAX + e->camera_stmt.len + e->pairing.len +
	       e->n_owner_stmts * (PT_ENVELOPE_SIZE_MAX + 8);
}

static int
evidence_export(struct client *c, const char *home, const char *clip_hex, const char *out,
		const char *camera_key, const uint8_t *hub_pin, const struct cam_trust *trust)
{
	const struct pt_crypto_ops *ops = pt_crypto_sodium();
	struct pt_evidence *e = NULL;
	struct pt_clip_manifest *m = NULL, *scratch = NULL;
	struct pt_evidence_result res, ores;
	struct pt_evidence_trust t;
	struct ev_owner *o = NULL;
	uint8_t clip[PT_CLIP_ID_LEN], *man = NULL, *seg[PT_CLIP_SEGMENTS_MAX] = {NULL}, *b = NULL;
	uint8_t srv[PT_PK_LEN];
	char path[512], sub[128], note[512], what[256], onote[512];
	size_t man_len, len, cap, i, n = 0;
	json_t *info = NULL, *chain = NULL;
	const json_t *k;
	bool man_ok, warned = false, has_hub, clip_ok = false;
	int rc = EXIT_INPUT, x;

	note[0] = '\0';
	onote[0] = '\0';
	memset(&ores, 0, sizeof(ores));
	if (pt_clip_id_parse(clip_hex, clip) != PT_OK) {
		warnx_("'%s' is not a clip id (32 lowercase hex digits)", clip_hex);
		return EXIT_INPUT;
	}
	if ((e = calloc(1, sizeof(*e))) == NULL || (m = malloc(sizeof(*m))) == NULL ||
	    (scratch = malloc(sizeof(*scratch))) == NULL) {
		warnx_("out of memory");
		goto out;
	}
	/* The bundle carries the owner's camera key (pinned, or vouched for
	 * by an owner's statement the user trusts), never porterd's word. */
	if (camera_key != NULL || trust->n == 0) {
		if ((rc = trusted_camera_key(camera_key, "export", e->camera_pk)) != 0) {
			if (camera_key == NULL)
				warnx_("or give --key OWNER_KEY (or --owner-pub) to take porterd's key"
				       " only as an owner's statement vouches for it");
			goto out;
		}
	}
	if ((rc = client_load(c)) != 0 || (rc = client_need(c, true)) != 0)
		goto out;
	(void)snprintf(sub, sizeof(sub), "/clips/%s", clip_hex);
	if ((rc = home_path(path, sizeof(path), home, sub)) != 0 ||
	    (rc = client_call(c, "GET", path, NULL, CALL_AUTH, &info)) != 0)
		goto out;
	if (camera_key == NULL) {
		if ((rc = camera_key_from_statement(c, home, info, trust, e->camera_pk)) != 0)
			goto out;
	} else {
		char cam[PT_ID_MAX + 1];
		k = json_object_get(info, "camera_key");
		if (server_pubkey(k, srv) == 0 && !pt_ct_equal(srv, e->camera_pk, PT_PK_LEN))
			fprintf(stderr, "porter: note: porterd kept another camera key with this clip"
					" than --camera-key\n");
		client_text(json_object_get(info, "camera"), cam, sizeof(cam));
		if (trust->n > 0)
			cam_trust_pinned_check(trust, c, home, cam, e->camera_pk);
	}
	rc = EXIT_INPUT;
	(void)snprintf(sub, sizeof(sub), "/clips/%s/manifest", clip_hex);
	if ((x = home_path(path, sizeof(path), home, sub)) != 0 ||
	    (x = get_raw(c, path, PT_CLIP_MANIFEST_MAX, &man, &man_len)) != 0) {
		rc = x;
		goto out;
	}
	/* Opened here to know the segments to fetch and the hub events to
	 * ask for: the check of the whole bundle below decides what it is
	 * worth. */
	man_ok = pt_clip_manifest_open(ops, e->camera_pk, man, man_len, m) == PT_OK;
	if (!man_ok) {
		warnx_("the manifest does not verify with the camera's key; exported as is (it will"
		       " not verify)");
		m->n_segments = 0;
		warned = true;
		(void)snprintf(note, sizeof(note), "the manifest does not verify");
	} else if (memcmp(m->clip, clip, PT_CLIP_ID_LEN) != 0) {
		warnx_("the manifest porterd sent is of another clip: nothing written");
		goto out;
	}
	e->manifest = man;
	e->manifest_len = man_len;
	cap = man_len + 4096;
	for (i = 0; i < m->n_segments; i++) {
		(void)snprintf(sub, sizeof(sub), "/clips/%s/segments/%zu", clip_hex, i);
		if ((x = home_path(path, sizeof(path), home, sub)) != 0 ||
		    (x = get_raw(c, path, PT_CLIP_SEGMENT_SIZE_MAX, &seg[n], &len)) != 0) {
			warnx_("segment %zu is not available: the bundle will not verify", i);
			warned = true;
			continue;
		}
		e->seg[n].index = (uint32_t)i;
		e->seg[n].p = seg[n];
		e->seg[n].len = len;
		cap += len + 16;
		n++;
	}
	e->n_segs = n;
	if (man_ok &&
	    (rc = evidence_hub_part(c, home, clip, m, hub_pin, e, &chain, note, sizeof(note))) != 0)
		goto out;
	if (man_ok && hub_pin != NULL && !e->has_hub) {
		/* Pinned: a bundle without that hub's part is not what was asked. */
		printf("FAILED: no chain of the hub of --hub-key names this clip at porterd: %s;"
		       " nothing written\n", note[0] != '\0' ? note : "no hub");
		rc = 10 - PT_EBADSIG;
		goto out;
	}
	rc = EXIT_INPUT;
	/* What verify checks, before anything is written: the clip's part
	 * first; then the hub's, with the camera key trusted here and no hub
	 * pin. porterd's events that do not check out are not the hub's. */
	has_hub = e->has_hub;
	e->has_hub = false;
	x = pt_evidence_verify_pinned(ops, e, e->camera_pk, NULL, scratch, &res);
	e->has_hub = has_hub;
	clip_ok = x == PT_OK;
	if (x != PT_OK) {
		if (!warned)
			warnx_("the bundle will not verify: %s", evidence_what(&res, what, sizeof(what)));
		if (has_hub) {
			ev_chain_clear(e);
			(void)snprintf(note, sizeof(note), "the clip's part does not verify, so the"
				       " hub's is left out");
		}
	} else if (has_hub &&
		   (x = pt_evidence_verify_pinned(ops, e, e->camera_pk, hub_pin, scratch, &res)) !=
			   PT_OK) {
		printf("FAILED: porterd's chain of hub %s does not check out (not the hub's): %s;"
		       " nothing written\n", e->hub_id, evidence_what(&res, what, sizeof(what)));
		rc = 10 - x;
		goto out;
	}
	/* The owner's part: only with owner keys to check it against. */
	if (trust->n == 0) {
		(void)snprintf(onote, sizeof(onote), "no owner key given (--key or --owner-pub)");
	} else if (!clip_ok) {
		(void)snprintf(onote, sizeof(onote), "the clip's part does not verify");
	} else {
		if ((o = calloc(1, sizeof(*o))) == NULL) {
			warnx_("out of memory");
			goto out;
		}
		if ((rc = evidence_owner_part(c, home, m, trust, e, o, onote, sizeof(onote))) != 0)
			goto out;
		rc = EXIT_INPUT;
		if (e->has_owner) {
			/* What verify --owner-pub checks, with the keys trusted here. */
			memset(&t, 0, sizeof(t));
			t.camera_pk = e->camera_pk;
			t.hub_pk = hub_pin;
			t.owners = (const uint8_t(*)[PT_PK_LEN])trust->keys;
			t.n_owners = trust->n;
			t.home = home;
			t.now = now_utc();
			x = pt_evidence_verify_trust(ops, e, &t, scratch, &ores);
			if (x != PT_OK && ores.what != PT_EV_HUB_STMT_MISSING) {
				(void)snprintf(onote, sizeof(onote), "the owner's part does not check"
					       " out: %s", evidence_what(&ores, what, sizeof(what)));
				ev_owner_clear(e);
			}
		}
	}
	if (e->has_hub)
		cap += hub_part_size(e);
	if (e->has_owner)
		cap += owner_part_size(e);
	if ((b = malloc(cap)) == NULL) {
		warnx_("out of memory");
		goto out;
	}
	if (pt_evidence_encode(e, b, cap, &len) != PT_OK) {
		warnx_("cannot encode the bundle");
		goto out;
	}
	if ((rc = write_file_atomic(out, b, len)) != 0)
		goto out;
	printf("exported clip %s: manifest, %zu of %zu segments, camera key, ", clip_hex, n,
	       m->n_segments);
	if (e->has_hub)
		printf("%zu hub events of %s (seq %lld..%lld), %zu checkpoints", e->n_events,
		       e->hub_id, (long long)e->ev[0].seq, (long long)e->ev[e->n_events - 1].seq,
		       e->n_cps);
	else
		printf("no hub events");
	printf("; %zu bytes to %s\n", len, out);
	if (!e->has_hub)
		printf("note: the hub's events are not in it: %s\n", note);
	if (e->has_owner) {
		char k1[2 * PT_KID_LEN + 1], k2[2 * PT_KID_LEN + 1];
		pt_hex(ores.camera_by, PT_KID_LEN, k1);
		pt_hex(ores.hub_by, PT_KID_LEN, k2);
		printf("owner's part: home %s, the camera statement by owner key %s", e->home, k1);
		if (e->pairing.len > 0)
			printf(", the pairing statement of hub %s by owner key %s", e->hub_id, k2);
		printf(", %zu owner endorsement(s): verify --owner-pub OWNER.pub checks it\n",
		       e->n_owner_stmts);
		if (e->has_hub && e->pairing.len == 0)
			printf("note: the hub's pairing statement is not in it: %s; verify --owner-pub"
			       " fails on it (verify with --hub-key)\n", onote);
	} else {
		printf("note: the owner's statements are not in it: %s; verify it with --camera-key"
		       " (and --hub-key)\n", onote);
	}
	rc = 0;
out:
	for (i = 0; i < n; i++)
		free(seg[i]);
	free(b);
	free(man);
	free(m);
	free(scratch);
	free(e);
	free(o);
	json_decref(chain);
	json_decref(info);
	return rc;
}

/* Is kid one of the anchors' key ids? */
static bool
kid_is_anchor(const struct cam_trust *t, const uint8_t kid[PT_KID_LEN])
{
	uint8_t k[PT_KID_LEN];
	size_t i;

	for (i = 0; i < t->n; i++) {
		pt_kid(pt_crypto_sodium(), t->keys[i], k);
		if (memcmp(k, kid, PT_KID_LEN) == 0)
			return true;
	}
	return false;
}

/*
 * porter evidence verify: offline. The keys come from the verifier's
 * side: --camera-key (and --hub-key) pinned, and/or the owner keys of
 * --owner-pub, which the bundle's owner statements must tie the camera's
 * and the hub's keys to (pt_evidence_verify_trust). The bundle's own keys
 * prove nothing: whoever made the bundle chose them.
 */
static int
evidence_verify(const char *file, const char *camera_key, const char *hub_key,
		const struct cam_trust *trust, const char *home)
{
	struct pt_evidence *e = NULL;
	struct pt_clip_manifest *m = NULL;
	struct pt_evidence_result res;
	struct pt_evidence_trust t;
	struct pt_errbuf err;
	uint8_t pinned[PT_PK_LEN], hub_pk[PT_PK_LEN], *b = NULL;
	char what[256], k1[2 * PT_KID_LEN + 1], k2[2 * PT_KID_LEN + 1];
	size_t len;
	int rc = EXIT_INPUT, x;

	if (camera_key == NULL && trust->n == 0) {
		warnx_("verify needs --camera-key (the camera's key from your side) or --owner-pub"
		       " OWNER.pub (the owner's public key: the bundle's owner statements must tie"
		       " the camera's and the hub's keys to it). The keys a bundle carries are not"
		       " trusted: whoever made it chose them");
		return EXIT_NOTRUST;
	}
	if (camera_key != NULL && (x = trusted_camera_key(camera_key, "verify", pinned)) != 0)
		return x;
	if (hub_key != NULL && pt_pubkey_parse(hub_key, hub_pk, &err) != PT_OK) {
		warnx_("%s", err.msg);
		return EXIT_INPUT;
	}
	if (pt_file_read(file, PT_EVIDENCE_MAX, &b, &len, &err) != PT_OK) {
		warnx_("%s", err.msg);
		return EXIT_INPUT;
	}
	if ((e = malloc(sizeof(*e))) == NULL || (m = malloc(sizeof(*m))) == NULL) {
		warnx_("out of memory");
		goto out;
	}
	if ((x = pt_evidence_decode(b, len, e)) != PT_OK) {
		warnx_("'%s' is not an evidence bundle: %s", file, pt_err_text(x));
		rc = 10 - x;
		goto out;
	}
	memset(&t, 0, sizeof(t));
	t.camera_pk = camera_key != NULL ? pinned : NULL;
	t.hub_pk = hub_key != NULL ? hub_pk : NULL;
	t.owners = (const uint8_t(*)[PT_PK_LEN])trust->keys;
	t.n_owners = trust->n;
	t.home = home;
	t.now = now_utc();
	x = pt_evidence_verify_trust(pt_crypto_sodium(), e, &t, m, &res);
	if (x != PT_OK) {
		printf("FAILED: %s\n", evidence_what(&res, what, sizeof(what)));
		rc = 10 - x;
		goto out;
	}
	pt_hex(res.camera_by, PT_KID_LEN, k1);
	pt_hex(res.hub_by, PT_KID_LEN, k2);
	printf("ok: clip manifest signed by camera %s", m->camera);
	if (res.camera_vouched)
		printf(" of home %s, its key vouched for by owner key %s%s", e->home, k1,
		       kid_is_anchor(trust, res.camera_by) ? "" : " (endorsed from yours)");
	printf("; %zu segments", res.segments);
	if (e->has_hub && res.hub_pinned)
		printf("; %zu hub events of %s checked against the pinned hub key, %zu checkpoints",
		       res.events, e->hub_id, res.checkpoints);
	else if (e->has_hub && res.hub_vouched)
		printf("; %zu hub events of %s, its key paired by owner key %s%s, %zu checkpoints",
		       res.events, e->hub_id, k2,
		       kid_is_anchor(trust, res.hub_by) ? "" : " (endorsed from yours)",
		       res.checkpoints);
	else if (e->has_hub)
		printf("; %zu hub events of %s, %zu checkpoints, consistent with the hub key in the"
		       " bundle only", res.events, e->hub_id, res.checkpoints);
	else
		printf("; no hub events in the bundle");
	printf("\n");
	if (e->has_hub && hub_key == NULL && !res.hub_vouched)
		printf("note: the hub key is the bundle's own, so the events are not shown to be"
		       " any hub's; pin it with --hub-key, or give --owner-pub\n");
	else if (!e->has_hub && hub_key != NULL)
		printf("note: --hub-key checked nothing: the bundle holds no hub events\n");
	if (res.camera_vouched)
		printf("note: this says what the owner keys signed, at any age; verify knows of no"
		       " revocation (a key revoked since, stolen or not, still passes: docs/clips.md)\n");
	if (m->end_seq == 0)
		printf("note: the clip was cut short (no END)\n");
	rc = 0;
out:
	free(b);
	free(e);
	free(m);
	return rc;
}

int
cmd_evidence(int argc, char **argv)
{
	static const struct option opts[] = {
		{"home", required_argument, NULL, 'm'},
		{"out", required_argument, NULL, 'o'},
		{"camera-key", required_argument, NULL, 'c'},
		{"hub-key", required_argument, NULL, 'H'},
		{"key", required_argument, NULL, 'k'},
		{"owner-pub", required_argument, NULL, 'O'},
		COMMON_OPTS,
	};
	const char *home = NULL, *out = NULL, *camkey = NULL, *hubkey = NULL, *key = NULL, *verb;
	struct cam_trust trust;
	struct pt_secret *own = NULL;
	struct pt_errbuf err;
	uint8_t own_pk[PT_PK_LEN];
	struct client c;
	bool pubs = false;
	int ch, rc;

	cam_trust_init(&trust);

	if (argc < 2)
		die_usage("evidence", "expected a command: export, verify");
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(evidence_usage, stdout);
		return 0;
	}
	verb = argv[1];
	if (strcmp(verb, "export") != 0 && strcmp(verb, "verify") != 0)
		die_usage("evidence", "unknown command '%s'", verb);
	argc--;
	argv++;
	client_init(&c);
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'm': home = optarg; break;
		case 'o': out = optarg; break;
		case 'c': camkey = optarg; break;
		case 'H': hubkey = optarg; break;
		case 'k': key = optarg; break;
		case 'O':
			if (cam_trust_add_pub(&trust, optarg) != 0)
				return EXIT_INPUT;
			pubs = true;
			break;
		default:
			if (common_opt(&c, ch, "evidence", evidence_usage, argv))
				return 0;
		}
	}
	positional(argc, argv, 1, "evidence", strcmp(verb, "export") == 0 ? "the clip's id"
									 : "the bundle file");
	if (strcmp(verb, "export") == 0) {
		if (home == NULL || out == NULL)
			die_usage("evidence", "export needs --home, --out and --camera-key (or --key"
					      " / --owner-pub)");
		if (key != NULL) {
			/* Your own owner key vouches: its public half only. */
			if ((own = pt_secret_new()) == NULL || pt_keyfile_load(key, own, &err) != PT_OK) {
				warnx_("%s", own == NULL ? "out of memory" : err.msg);
				pt_secret_free(own);
				client_close(&c);
				return EXIT_INPUT;
			}
			pt_secret_public(own, own_pk);
			pt_secret_free(own);
			cam_trust_add_pk(&trust, own_pk);
		}
		uint8_t hub_pk[PT_PK_LEN];

		if (hubkey != NULL && pt_pubkey_parse(hubkey, hub_pk, &err) != PT_OK) {
			warnx_("--hub-key: %s", err.msg);
			client_close(&c);
			return EXIT_INPUT;
		}
		rc = evidence_export(&c, home, argv[optind], out, camkey,
				     hubkey != NULL ? hub_pk : NULL, &trust);
	} else {
		if (out != NULL || key != NULL)
			die_usage("evidence", "verify takes the file, --owner-pub, --camera-key,"
					      " --hub-key and --home: only keys from your side are"
					      " trusted offline");
		if (home != NULL && !pubs)
			die_usage("evidence", "verify --home needs --owner-pub");
		rc = evidence_verify(argv[optind], camkey, hubkey, &trust, home);
	}
	client_close(&c);
	return rc;
}
