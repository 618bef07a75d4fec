/*
 * porter live: live view from a home's camera, end to end encrypted
 * (docs/live.md; the bytes in porter/live.h).
 *
 * The viewer's side: a fresh X25519 key pair for this session only, a
 * request signed here with the owner key (PT_ENV_LIVE), relayed by
 * porterd to the hub, which orders the camera to stream to that key. The
 * camera's key record is verified with the camera's key and must name
 * this session, this camera and this viewer key before the live key is
 * opened; each fragment's header must name this session and the index
 * asked for, its sealed segment must open under the live key, and the
 * capture time and duration sealed inside must equal the header's. Only
 * then are its bytes written: fragment 0 (the fMP4 initialization
 * segment), then media fragments in order. Nothing unverified is ever
 * written; the first fragment that does not verify ends the view.
 *
 * porterd relays ciphertext and cannot open it. The camera's public key
 * comes from porterd only with the owner-signed statement the camera was
 * enrolled with, verified here with an owner key the viewer trusts (its
 * own --key, --owner-pub, the keys they endorsed, less the revoked ones:
 * camtrust.h), or is pinned with --camera-key:
 * with a key porterd chose, whoever runs porterd could mint a camera key,
 * seal a live key of its own to the viewer's key (crypto_box_seal is
 * anonymous) and show made-up video.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include "porter/clipseal.h"
#include "porter/crypto.h"
#include "porter/envelope.h"
#include "porter/keyfile.h"
#include "porter/live.h"
#include "porter/text.h"
#include "camtrust.h"
#include "client.h"
#include "porter.h"

/* Exit codes of porter live besides 0, 1, 2 and the reason table's. */
#define EXIT_LIVE_ENDED 4	/* the session ended early, or no video came */
#define EXIT_LIVE_NOKEY 5	/* no key record from the camera in time */

#define KEY_WAIT_MS 20000	/* for the camera's key record */
#define KEY_POLL_MS 200
#define ERROR_BODY_MAX 4096	/* a JSON error answer */
#define LATENCY_MAX 100000	/* fragments counted for --stats */

static const char live_usage[] =
	"usage: porter live --home ID [--camera ID] --key OWNER_KEY (--out FILE | --out -)\n"
	"                   [--seconds N] [--camera-key PUBKEY | --owner-pub PUBKEY ...]\n"
	"                   [--trust-unsigned-camera] [--stats]\n"
	"\n"
	"Watch a home's camera live (owners), end to end encrypted: porter makes a key\n"
	"pair for this session only, signs the request with your owner key (it never\n"
	"leaves this machine), and the camera seals about a second of video at a time\n"
	"to that key; porterd relays ciphertext it cannot open. Every fragment is\n"
	"checked (session, order, seal, capture time) before it is written, as a\n"
	"playable fragmented MP4.\n"
	"\n"
	"  --home ID           the home\n"
	"  --camera ID         the camera (default: the home's only camera)\n"
	"  --key OWNER_KEY     your owner secret key file (porter keygen; enrolled\n"
	"                      with porter key add)\n"
	"  --out FILE          write the video to FILE (created new, 0600; never\n"
	"                      overwritten)\n"
	"  --out -             write it to stdout, for a player:\n"
	"                        porter live --home ID --key owner.key --out - | mpv -\n"
	"                        porter live --home ID --key owner.key --out - | ffplay -\n"
	"  --seconds N         stop after N seconds of video (1..600); default: at\n"
	"                      Ctrl-C, or when the session expires (10 minutes)\n"
	"  --camera-key PUBKEY the camera's public key from your side (its .pub file\n"
	"                      or base64url), as you enrolled it. Without it, porterd's\n"
	"                      copy is used only if the owner-signed statement the\n"
	"                      camera was enrolled with (porter camera add) verifies\n"
	"                      with your --key or an --owner-pub key, or one they\n"
	"                      endorsed, and no key revocation by such a key names\n"
	"                      the camera's key or yours (else exit 3). A pinned key\n"
	"                      that was revoked is used, with a warning\n"
	"  --owner-pub PUBKEY  also trust camera statements signed by this owner key\n"
	"                      (.pub file or base64url); repeatable\n"
	"  --trust-unsigned-camera\n"
	"                      believe porterd's key for a camera enrolled without an\n"
	"                      owner's statement: whoever runs porterd could then show\n"
	"                      you made-up video\n"
	"  --stats             per fragment on stderr: index, bytes, capture time,\n"
	"                      arrival, latency (arrival - capture, by the camera's\n"
	"                      clock); at the end latency p50 and p95\n"
	"  --cacert FILE       trust this CA for https (default: PORTER_CACERT, then\n"
	"                      the system's)\n"
	"\n"
	"The session ends at --seconds, Ctrl-C or SIGTERM (porter then tells porterd,\n"
	"and the camera stops), or at its expiry. Messages go to stderr.\n"
	"\n"
	"Exit status: 0 the view ran to its end; 1 usage; 2 bad input, I/O, network or\n"
	"server error; 3 the camera's key is not vouched for (no statement by an owner\n"
	"key you trust, or it does not verify or names another key; the camera's key,\n"
	"or yours, revoked; the home's revocations unreadable); 4 the session\n"
	"ended early at porterd, or no video came; 5 the camera sent no key record\n"
	"within 20 s (the hub refused the request, or the\n"
	"camera does not do live view: porter events --home ID shows live.refused);\n"
	"12 the key record or a fragment does not verify (altered, or not this\n"
	"camera's): nothing of it was written; 10 + n: porterd refused with reason n.\n";

static volatile sig_atomic_t stop_signal;

static void
on_stop(int sig)
{
	stop_signal = sig;
}

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t
wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
sleep_ms(int64_t ms)
{
	struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};

	(void)nanosleep(&ts, NULL);	/* a signal ends it early: checked by the caller */
}

/* "2026-12-02T14:01:02.120Z" */
static const char *
ms_text(int64_t ms, char *out, size_t cap)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (ms < 0 || gmtime_r(&t, &tm) == NULL ||
	    strftime(out, cap, "%Y-%m-%dT%H:%M:%S", &tm) == 0) {
		(void)snprintf(out, cap, "-");
		return out;
	}
	(void)snprintf(out + strlen(out), cap - strlen(out), ".%03dZ", (int)(ms % 1000));
	return out;
}

static uint64_t
be64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

struct live {
	struct client c;
	const char *home;
	char camera[PT_ID_MAX + 1];
	uint8_t cam_pk[PT_PK_LEN];
	uint8_t sid[PT_LIVE_ID_LEN];
	char sid_hex[2 * PT_LIVE_ID_LEN + 1];
	uint8_t xpk[PT_LIVE_XPK_LEN];
	uint8_t *xsk;			/* guarded; freed once the live key is open */
	uint8_t *key;			/* guarded: the live key */
	int64_t expires_ms;		/* the session's expiry (wall clock) */
	int64_t deadline;		/* mono_ms() to stop at, or 0 */
	/* the raw HTTP handle: keep-alive across fetches */
	CURL *h;
	struct curl_slist *hl;
	uint8_t *buf;			/* PT_LIVE_FRAGMENT_MAX bytes */
	size_t len, max;
	bool over;
	uint8_t *plain;			/* PT_LIVE_FRAGMENT_MAX bytes */
	/* the output */
	const char *out;
	int fd;				/* -1 until fragment 0 verified */
	bool to_stdout, pipe_closed;
	/* --stats */
	bool stats;
	int64_t *lat;
	size_t n_lat, lat_cap;
	size_t media, skipped, bytes;
};

static size_t
on_data(char *d, size_t sz, size_t n, void *arg)
{
	struct live *l = arg;
	size_t k = sz * n;

	if (k > l->max - l->len) {
		l->over = true;
		return 0;
	}
	memcpy(l->buf + l->len, d, k);
	l->len += k;
	return k;
}

/* Stop a long poll on a signal or at the deadline: libcurl calls this at
 * least once a second while it waits. */
static int
on_progress(void *arg, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
	const struct live *l = arg;

	(void)a, (void)b, (void)c, (void)d;
	return stop_signal != 0 || (l->deadline != 0 && mono_ms() >= l->deadline);
}

/* The raw handle: the session's token, no redirects, bounded. The token
 * already went to this server through client_call, which checks that the
 * transport may carry it (https, or http to loopback). */
static int
raw_open(struct live *l)
{
	char auth[CLIENT_TOKEN_LEN + 32];
	struct curl_slist *t;
	int n;

	if ((l->h = curl_easy_init()) == NULL)
		return -1;
	n = snprintf(auth, sizeof(auth), "Authorization: Bearer %s", l->c.token);
	if (n < 0 || (size_t)n >= sizeof(auth)) {
		pt_wipe(auth, sizeof(auth));
		return -1;
	}
	t = curl_slist_append(NULL, auth);
	pt_wipe(auth, sizeof(auth));
	if (t == NULL)
		return -1;
	l->hl = t;
	if ((t = curl_slist_append(l->hl, "Accept: application/octet-stream, application/cbor, "
					  "application/json")) == NULL)
		return -1;
	l->hl = t;
	if (curl_easy_setopt(l->h, CURLOPT_HTTPHEADER, l->hl) != CURLE_OK ||
#if LIBCURL_VERSION_NUM >= 0x075500
	    curl_easy_setopt(l->h, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK ||
#endif
	    curl_easy_setopt(l->h, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
	    curl_easy_setopt(l->h, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(l->h, CURLOPT_TIMEOUT, (long)CLIENT_TIMEOUT_S) != CURLE_OK ||
	    curl_easy_setopt(l->h, CURLOPT_CONNECTTIMEOUT, (long)CLIENT_CONNECT_TIMEOUT_S) !=
		    CURLE_OK ||
	    curl_easy_setopt(l->h, CURLOPT_USERAGENT, "porter/0.1.0") != CURLE_OK ||
	    curl_easy_setopt(l->h, CURLOPT_WRITEFUNCTION, on_data) != CURLE_OK ||
	    curl_easy_setopt(l->h, CURLOPT_WRITEDATA, l) != CURLE_OK ||
	    curl_easy_setopt(l->h, CURLOPT_NOPROGRESS, 0L) != CURLE_OK ||
	    curl_easy_setopt(l->h, CURLOPT_XFERINFOFUNCTION, on_progress) != CURLE_OK ||
	    curl_easy_setopt(l->h, CURLOPT_XFERINFODATA, l) != CURLE_OK ||
	    (l->c.cacert != NULL && curl_easy_setopt(l->h, CURLOPT_CAINFO, l->c.cacert) != CURLE_OK))
		return -1;
	return 0;
}

#define RAW_STOPPED (-1)	/* a signal or the deadline stopped the request */

/* GET path: 0 with *status and the body in l->buf (at most max bytes),
 * RAW_STOPPED, or an exit code (printed). */
static int
raw_get(struct live *l, const char *path, size_t max, long *status)
{
	char url[CLIENT_URL_MAX + 160];
	CURLcode cc;
	int n;

	*status = 0;
	l->len = 0;
	l->max = max;
	l->over = false;
	n = snprintf(url, sizeof(url), "%s%s", l->c.server, path);
	if (n < 0 || (size_t)n >= sizeof(url) || curl_easy_setopt(l->h, CURLOPT_URL, url) != CURLE_OK) {
		warnx_("the request URL is too long");
		return EXIT_INPUT;
	}
	cc = curl_easy_perform(l->h);
	if (cc == CURLE_ABORTED_BY_CALLBACK)
		return RAW_STOPPED;
	if (l->over) {
		warnx_("GET %s: the answer is larger than %zu bytes", path, max);
		return EXIT_INPUT;
	}
	if (cc != CURLE_OK) {
		warnx_("GET %s: cannot talk to '%s': %s", path, l->c.server, curl_easy_strerror(cc));
		return EXIT_INPUT;
	}
	curl_easy_getinfo(l->h, CURLINFO_RESPONSE_CODE, status);
	return 0;
}

/* porterd's JSON error in l->buf, printed; its exit code. */
static int
raw_error(struct live *l, const char *what, long status)
{
	json_t *j = NULL;
	const json_t *e;
	char code[40], msg[256];
	int x;

	if (l->len <= ERROR_BODY_MAX)
		j = json_loadb((const char *)l->buf, l->len, JSON_REJECT_DUPLICATES, NULL);
	e = json_object_get(j, "error");
	if (json_is_string(e))	/* {"error": "behind", ...} */
		client_text(e, code, sizeof(code));
	else
		client_text(json_object_get(e, "code"), code, sizeof(code));
	client_text(json_object_get(e, "message"), msg, sizeof(msg));
	json_decref(j);
	if (code[0] == '\0') {
		warnx_("%s: porterd answered HTTP %ld", what, status);
		return EXIT_INPUT;
	}
	warnx_("%s: %s (%s)", what, msg[0] != '\0' ? msg : "refused", code);
	x = pt_err_from_code(code);
	return x < 0 ? pt_err_info(x)->exit_code : EXIT_INPUT;
}

/* 409 behind: the index to jump to (> n), or 0 if the answer is not one. */
static uint32_t
behind_next(struct live *l, uint32_t n)
{
	json_t *j = NULL;
	const json_t *v;
	json_int_t k = 0;

	if (l->len <= ERROR_BODY_MAX)
		j = json_loadb((const char *)l->buf, l->len, JSON_REJECT_DUPLICATES, NULL);
	v = json_object_get(j, "next");
	if (v == NULL)
		v = json_object_get(json_object_get(j, "error"), "next");
	if (json_is_integer(v))
		k = json_integer_value(v);
	json_decref(j);
	return k > (json_int_t)n && k <= (json_int_t)UINT32_MAX ? (uint32_t)k : 0;
}

static int
exit_forged(void)
{
	return pt_err_info(PT_EBADSIG)->exit_code;
}

/* ---- the camera and its key ---- */

/* A public key in porterd's answer: base64url text only, never a file
 * name (pt_pubkey_parse would read a local file). 0 or -1. */
static int
server_pubkey(const json_t *v, uint8_t pk[PT_PK_LEN])
{
	const char *s = json_string_value(v);

	if (s == NULL || strlen(s) != PT_PK_TEXT_LEN ||
	    pt_b64_decode(pk, PT_PK_LEN, s, PT_PK_TEXT_LEN) != PT_OK || !pt_pk_is_valid(pk))
		return -1;
	return 0;
}

/* Pick the camera (--camera, or the only one) from porterd's list and take
 * its key if an owner's statement the viewer trusts vouches for it, unless
 * pinned. 0 or an exit code (printed). */
static int
pick_camera(struct live *l, const char *want, const uint8_t *pinned, const struct cam_trust *t)
{
	char path[PT_ID_MAX + 32], id[PT_ID_MAX + 1];
	const json_t *arr, *v, *found = NULL;
	json_t *reply = NULL;
	uint8_t srv[PT_PK_LEN];
	bool srv_ok;
	size_t i, n = 0;
	int rc;

	(void)snprintf(path, sizeof(path), "/v1/homes/%s/cameras", l->home);
	if ((rc = client_call(&l->c, "GET", path, NULL, CALL_AUTH, &reply)) != 0)
		return rc;
	rc = EXIT_INPUT;
	arr = json_object_get(reply, "cameras");
	json_array_foreach(arr, i, v) {
		const char *s = json_string_value(json_object_get(v, "id"));

		if (s == NULL || !pt_id_is_valid(s, strlen(s)))
			continue;
		n++;
		if (want == NULL || strcmp(s, want) == 0)
			found = v;
	}
	if (want != NULL && found == NULL) {
		warnx_("home %s has no camera '%s' (porter camera list --home %s)", l->home, want,
		       l->home);
		goto out;
	}
	if (want == NULL && n != 1) {
		if (n == 0)
			warnx_("home %s has no camera (porter camera add)", l->home);
		else
			warnx_("home %s has %zu cameras: say which with --camera (porter camera list"
			       " --home %s)", l->home, n, l->home);
		goto out;
	}
	client_text(json_object_get(found, "id"), id, sizeof(id));
	memcpy(l->camera, id, strlen(id) + 1);
	srv_ok = server_pubkey(json_object_get(found, "public_key"), srv) == 0;
	if (!srv_ok && pinned == NULL) {
		warnx_("porterd sent no usable key for camera '%s'", l->camera);
		goto out;
	}
	if (pinned != NULL) {
		if (!srv_ok || !pt_ct_equal(srv, pinned, PT_PK_LEN))
			fprintf(stderr, "porter: note: porterd has another key for camera '%s' than"
					" --camera-key; only --camera-key is trusted\n", l->camera);
		memcpy(l->cam_pk, pinned, PT_PK_LEN);
		/* Pinned: a revocation of it is said, not obeyed. */
		cam_trust_pinned_check(t, &l->c, l->home, l->camera, pinned);
	} else {
		/* porterd's key, vouched for by an owner's statement, or nothing. */
		if ((rc = cam_trust_key(t, &l->c, l->home, found, l->cam_pk)) != 0)
			goto out;
	}
	rc = 0;
out:
	json_decref(reply);
	return rc;
}

/* ---- the request ---- */

/* Sign the request with the owner key and POST it. 0 or an exit code. */
static int
request(struct live *l, const char *keyfile, int64_t seconds)
{
	uint8_t env[PT_ENVELOPE_SIZE_MAX];
	char b64[PT_ENVELOPE_SIZE_MAX / 3 * 4 + 8], path[PT_ID_MAX + 32];
	struct pt_secret *s = NULL;
	struct pt_envelope e;
	struct pt_errbuf err;
	struct pt_signer sg;
	json_t *body = NULL, *reply = NULL;
	const char *sess;
	size_t env_len;
	int64_t life = seconds == 0 || seconds + 30 > PT_LIVE_SECONDS_MAX ? PT_LIVE_SECONDS_MAX
									   : seconds + 30;
	int rc = EXIT_INPUT, x;

	if ((s = pt_secret_new()) == NULL || pt_keyfile_load(keyfile, s, &err) != PT_OK) {
		warnx_("%s", s == NULL ? "out of memory" : err.msg);
		goto out;
	}
	memset(&e, 0, sizeof(e));
	e.kind = PT_ENV_LIVE;
	memcpy(e.aud, l->home, strlen(l->home) + 1);
	e.iat = now_utc();
	e.exp = e.iat + life;
	pt_random(e.nonce, sizeof(e.nonce));
	e.op = PT_LIVE_VIEW;
	memcpy(e.lock, l->camera, strlen(l->camera) + 1);
	memcpy(e.target, l->xpk, PT_LIVE_XPK_LEN);
	e.target_len = PT_LIVE_XPK_LEN;
	pt_signer_sodium(&sg, s);
	if ((x = pt_envelope_sign(pt_crypto_sodium(), &sg, &e, env, sizeof(env), &env_len)) != PT_OK) {
		warnx_("cannot sign the request: %s", pt_err_text(x));
		goto out;
	}
	pt_secret_free(s);	/* the owner key is done with */
	s = NULL;
	static_assert(PT_LIVE_ID_LEN == sizeof(e.nonce), "the session id is the nonce");
	memcpy(l->sid, e.nonce, PT_LIVE_ID_LEN);
	pt_live_id_text(l->sid, l->sid_hex);
	if (pt_b64_encode(b64, sizeof(b64), env, env_len) != PT_OK ||
	    (body = json_pack("{s:s}", "request", b64)) == NULL) {
		warnx_("cannot encode the request");
		goto out;
	}
	(void)snprintf(path, sizeof(path), "/v1/homes/%s/live", l->home);
	if ((rc = client_call(&l->c, "POST", path, body, CALL_AUTH, &reply)) != 0)
		goto out;
	rc = EXIT_INPUT;
	sess = json_string_value(json_object_get(reply, "session"));
	if (sess == NULL || strcmp(sess, l->sid_hex) != 0) {
		/* the session is the request's nonce; anything else is not ours */
		warnx_("porterd answered with another session than the one asked for");
		goto out;
	}
	l->expires_ms = e.exp * 1000;
	rc = 0;
out:
	pt_secret_free(s);
	json_decref(body);
	json_decref(reply);
	return rc;
}

/* ---- the key record ---- */

static int
key_open(struct live *l)
{
	struct pt_live_keyrec k;
	char path[64];
	int64_t until = mono_ms() + KEY_WAIT_MS;
	long status;
	int rc, x;

	(void)snprintf(path, sizeof(path), "/v1/live/%s/key", l->sid_hex);
	for (;;) {
		if ((rc = raw_get(l, path, PT_LIVE_KEYREC_MAX, &status)) != 0)
			return rc;
		if (status == 200)
			break;
		if (status == 410) {
			warnx_("the session ended before the camera sent its key (porter events --home"
			       " %s)", l->home);
			return EXIT_LIVE_NOKEY;
		}
		if (status != 404)
			return raw_error(l, "the key record", status);
		if (mono_ms() >= until) {
			warnx_("the camera sent no key record in %d s: the hub refused the request,"
			       " the camera has its most live sessions open already ([live] sessions;"
			       " one ended a moment ago counts until the camera's next upload),"
			       " or camera '%s' does not do live view (porter events --home %s)",
			       KEY_WAIT_MS / 1000, l->camera, l->home);
			return EXIT_LIVE_NOKEY;
		}
		sleep_ms(KEY_POLL_MS);
		if (stop_signal != 0)
			return RAW_STOPPED;
	}
	if ((x = pt_live_keyrec_open(pt_crypto_sodium(), l->cam_pk, l->buf, l->len, &k)) != PT_OK) {
		warnx_("the key record does not verify with the key of camera '%s': %s",
		       l->camera, pt_err_text(x));
		return exit_forged();
	}
	if (strcmp(k.camera, l->camera) != 0 || !pt_ct_equal(k.session, l->sid, PT_LIVE_ID_LEN) ||
	    !pt_ct_equal(k.viewer_xpk, l->xpk, PT_LIVE_XPK_LEN)) {
		warnx_("the key record is not for this session (camera, session or viewer key"
		       " differ): not opened");
		return exit_forged();
	}
	if (strcmp(k.container, "mp4") != 0) {
		warnx_("the camera streams '%s', not fragmented MP4", k.container);
		return EXIT_INPUT;
	}
	if (pt_live_key_open(l->xpk, l->xsk, k.sealed, l->key) != PT_OK) {
		warnx_("the live key does not open with this session's key: not sealed to it");
		return exit_forged();
	}
	pt_guarded_free(l->xsk);	/* the live key is all that is needed now */
	l->xsk = NULL;
	return 0;
}

/* ---- fragments ---- */

static int
out_write(struct live *l, const uint8_t *p, size_t len)
{
	ssize_t w;

	if (l->fd < 0) {
		if (l->to_stdout) {
			l->fd = STDOUT_FILENO;
		} else if ((l->fd = open(l->out, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0) {
			warnx_("cannot create '%s': %s", l->out, strerror(errno));
			return EXIT_INPUT;
		}
	}
	while (len > 0) {
		w = write(l->fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EPIPE && l->to_stdout) {
			l->pipe_closed = true;	/* the player went away: the view ends */
			return 0;
		}
		if (w <= 0) {
			warnx_("cannot write '%s': %s", l->to_stdout ? "stdout" : l->out,
			       strerror(errno));
			return EXIT_INPUT;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

static void
stats_line(struct live *l, const struct pt_live_hdr *h, size_t bytes)
{
	char a[40], b[40];
	int64_t now = wall_ms(), lat;
	int64_t *p;

	if (!l->stats)
		return;
	if (h->index == 0) {
		fprintf(stderr, "live: fragment=0 bytes=%zu (initialization) arrival=%s\n", bytes,
			ms_text(now, a, sizeof(a)));
		return;
	}
	lat = now - (int64_t)h->capture_ms;
	fprintf(stderr, "live: fragment=%u bytes=%zu capture=%s duration_ms=%u arrival=%s"
			" latency_ms=%lld\n",
		(unsigned)h->index, bytes, ms_text((int64_t)h->capture_ms, a, sizeof(a)),
		(unsigned)h->duration_ms, ms_text(now, b, sizeof(b)), (long long)lat);
	if (l->n_lat == l->lat_cap && l->lat_cap < LATENCY_MAX) {
		size_t cap = l->lat_cap == 0 ? 256 : l->lat_cap * 2;
		if ((p = realloc(l->lat, cap * sizeof(*p))) != NULL) {
			l->lat = p;
			l->lat_cap = cap;
		}
	}
	if (l->n_lat < l->lat_cap)
		l->lat[l->n_lat++] = lat;
}

/* The fragment in l->buf, asked for as index n: checked, opened, written. */
static int
fragment(struct live *l, uint32_t n)
{
	struct pt_live_hdr h;
	size_t plain_len = 0;
	int x;

	if ((x = pt_live_hdr_decode(l->buf, l->len, &h)) != PT_OK) {
		warnx_("fragment %u: its header does not decode (%s): not written", (unsigned)n,
		       pt_err_text(x));
		return exit_forged();
	}
	if (!pt_ct_equal(h.session, l->sid, PT_LIVE_ID_LEN) || h.index != n) {
		warnx_("fragment %u: it is fragment %u of %s session: not written", (unsigned)n,
		       (unsigned)h.index,
		       pt_ct_equal(h.session, l->sid, PT_LIVE_ID_LEN) ? "this" : "another");
		return exit_forged();
	}
	if ((x = pt_seg_open(l->key, l->sid, n, l->buf + PT_LIVE_HDR_LEN, h.sealed_len, l->plain,
			     &plain_len)) != PT_OK) {
		warnx_("fragment %u does not open under the live key (%s): altered, or not this"
		       " camera's; not written", (unsigned)n, pt_err_text(x));
		return exit_forged();
	}
	/* Only the sealed copy of capture and duration is the camera's word. */
	if (plain_len < PT_LIVE_PREFIX_LEN || be64(l->plain) != h.capture_ms ||
	    be32(l->plain + 8) != h.duration_ms) {
		warnx_("fragment %u: the capture time or duration in its header is not the sealed"
		       " one: not written", (unsigned)n);
		pt_wipe(l->plain, plain_len);
		return exit_forged();
	}
	x = out_write(l, l->plain + PT_LIVE_PREFIX_LEN, plain_len - PT_LIVE_PREFIX_LEN);
	pt_wipe(l->plain, plain_len);
	if (x != 0 || l->pipe_closed)
		return x;
	l->bytes += plain_len - PT_LIVE_PREFIX_LEN;
	if (n > 0)
		l->media++;
	stats_line(l, &h, l->len);
	return 0;
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* Nearest rank. */
static int64_t
percentile(const int64_t *v, size_t n, unsigned p)
{
	size_t r = (n * p + 99) / 100;

	return v[r == 0 ? 0 : r - 1];
}

static void
stats_end(struct live *l)
{
	if (!l->stats)
		return;
	fprintf(stderr, "live: summary session=%s fragments=%zu skipped=%zu bytes=%zu", l->sid_hex,
		l->media, l->skipped, l->bytes);
	if (l->n_lat > 0) {
		qsort(l->lat, l->n_lat, sizeof(*l->lat), cmp_i64);
		fprintf(stderr, " latency_ms_p50=%lld latency_ms_p95=%lld latency_ms_max=%lld",
			(long long)percentile(l->lat, l->n_lat, 50),
			(long long)percentile(l->lat, l->n_lat, 95),
			(long long)l->lat[l->n_lat - 1]);
	}
	fputc('\n', stderr);
}

/* Fetch fragments 0, 1, ... until the end. 0 or an exit code; *ended when
 * porterd said the session is over. */
static int
stream(struct live *l, bool *ended)
{
	char path[96];
	uint32_t n = 0, next;
	long status;
	int rc;

	*ended = false;
	for (;;) {
		if (stop_signal != 0 || l->pipe_closed ||
		    (l->deadline != 0 && mono_ms() >= l->deadline))
			return 0;
		(void)snprintf(path, sizeof(path), "/v1/live/%s/fragments/%u", l->sid_hex,
			       (unsigned)n);
		rc = raw_get(l, path, PT_LIVE_FRAGMENT_MAX, &status);
		if (rc == RAW_STOPPED)
			return 0;
		if (rc != 0)
			return rc;
		switch (status) {
		case 200:
			if ((rc = fragment(l, n)) != 0)
				return rc;
			if (n == UINT32_MAX)
				return 0;
			n++;
			break;
		case 204:	/* not there yet: ask again (this is the heartbeat too) */
			break;
		case 409:
			/* Dropped already: live view does not catch up. Fragment 0
			 * is kept for the whole session, so it is never behind. */
			if (n == 0 || (next = behind_next(l, n)) == 0)
				return raw_error(l, "fragments", status);
			if (l->stats)
				fprintf(stderr, "live: behind: fragments %u..%u skipped\n", (unsigned)n,
					(unsigned)(next - 1));
			l->skipped += next - n;
			n = next;
			break;
		case 410:
			*ended = true;
			return 0;
		default:
			return raw_error(l, "fragments", status);
		}
	}
}

static void
session_delete(struct live *l)
{
	char path[64];
	json_t *reply = NULL;

	(void)snprintf(path, sizeof(path), "/v1/live/%s", l->sid_hex);
	if (client_call(&l->c, "DELETE", path, NULL, CALL_AUTH | CALL_QUIET, &reply) != 0)
		fprintf(stderr, "porter: note: porterd did not end the session (%s): it ends when"
				" idle\n", l->c.err_line[0] != '\0' ? l->c.err_line : "no answer");
	json_decref(reply);
}

int
cmd_live(int argc, char **argv)
{
	static const struct option opts[] = {
		{"home", required_argument, NULL, 'm'},	  {"camera", required_argument, NULL, 'c'},
		{"key", required_argument, NULL, 'k'},	  {"out", required_argument, NULL, 'o'},
		{"seconds", required_argument, NULL, 's'}, {"camera-key", required_argument, NULL, 'P'},
		{"stats", no_argument, NULL, 'S'},	  {"cacert", required_argument, NULL, 'C'},
		{"owner-pub", required_argument, NULL, 'O'},
		{"trust-unsigned-camera", no_argument, NULL, 'U'},
		{"help", no_argument, NULL, 'h'},	  {NULL, 0, NULL, 0},
	};
	const char *camera = NULL, *keyfile = NULL, *secs = NULL, *camkey = NULL;
	struct sigaction sa, old_int, old_term, old_pipe;
	struct pt_errbuf err;
	uint8_t pinned[PT_PK_LEN];
	struct cam_trust trust;
	struct live l;
	uint64_t seconds = 0;
	bool ended = false, opened = false, handlers = false, trust_opts = false;
	int ch, rc = EXIT_INPUT, x;

	cam_trust_init(&trust);
	memset(&l, 0, sizeof(l));
	l.fd = -1;
	client_init(&l.c);
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'm': l.home = optarg; break;
		case 'c': camera = optarg; break;
		case 'k': keyfile = optarg; break;
		case 'o': l.out = optarg; break;
		case 's': secs = optarg; break;
		case 'P': camkey = optarg; break;
		case 'S': l.stats = true; break;
		case 'C': l.c.cacert = optarg; break;
		case 'O':
			if (cam_trust_add_pub(&trust, optarg) != 0)
				return EXIT_INPUT;
			trust_opts = true;
			break;
		case 'U': trust.trust_unsigned = trust_opts = true; break;
		case 'h': fputs(live_usage, stdout); return 0;
		default:
			die_usage("live", "unknown option, or one without its value: '%s'",
				  argv[optind - 1]);
		}
	}
	if (optind != argc)
		die_usage("live", "unexpected argument '%s'", argv[optind]);
	if (l.home == NULL || keyfile == NULL || l.out == NULL)
		die_usage("live", "--home, --key and --out are required");
	if (!pt_id_is_valid(l.home, strlen(l.home)) ||
	    (camera != NULL && !pt_id_is_valid(camera, strlen(camera))))
		die_usage("live", "--home and --camera take ids (letters, digits, '.', '_', '-')");
	if (secs != NULL && pt_uint_parse(secs, 1, PT_LIVE_SECONDS_MAX, &seconds) != PT_OK)
		die_usage("live", "--seconds takes a number of seconds, 1 to %d", PT_LIVE_SECONDS_MAX);
	l.to_stdout = strcmp(l.out, "-") == 0;
	if (l.to_stdout && isatty(STDOUT_FILENO))
		die_usage("live", "--out - writes video: pipe it to a player (| mpv -, | ffplay -)");
	if (!l.to_stdout && access(l.out, F_OK) == 0) {
		warnx_("'%s' exists: porter live writes a new file", l.out);
		goto out;
	}
	if (camkey != NULL && trust_opts)
		die_usage("live", "--camera-key pins the camera's key: --owner-pub and"
				  " --trust-unsigned-camera are for porterd's key");
	if (camkey != NULL && pt_pubkey_parse(camkey, pinned, &err) != PT_OK) {
		warnx_("%s", err.msg);
		goto out;
	}
	{
		/* Your own owner key vouches for cameras (and reads the home's
		 * revocations, also for a pinned key): its public half only. */
		struct pt_secret *own = pt_secret_new();
		uint8_t own_pk[PT_PK_LEN];

		if (own == NULL || pt_keyfile_load(keyfile, own, &err) != PT_OK) {
			warnx_("%s", own == NULL ? "out of memory" : err.msg);
			pt_secret_free(own);
			goto out;
		}
		pt_secret_public(own, own_pk);
		pt_secret_free(own);
		cam_trust_add_pk(&trust, own_pk);
	}
	if ((l.xsk = pt_guarded_alloc(PT_LIVE_XSK_LEN)) == NULL ||
	    (l.key = pt_guarded_alloc(PT_LIVE_KEY_LEN)) == NULL ||
	    (l.buf = malloc(PT_LIVE_FRAGMENT_MAX)) == NULL ||
	    (l.plain = malloc(PT_LIVE_FRAGMENT_MAX)) == NULL) {
		warnx_("out of memory");
		goto out;
	}
	if ((rc = client_load(&l.c)) != 0 || (rc = client_need(&l.c, true)) != 0 ||
	    (rc = pick_camera(&l, camera, camkey != NULL ? pinned : NULL, &trust)) != 0)
		goto out;
	rc = EXIT_INPUT;
	/* This session's key pair: its secret never leaves this process. */
	if (pt_live_keypair(l.xpk, l.xsk) != PT_OK) {
		warnx_("cannot make the session's key pair");
		goto out;
	}
	/* From the request on, a signal ends the view in order (DELETE). */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, &old_pipe);
	handlers = true;
	if ((rc = request(&l, keyfile, (int64_t)seconds)) != 0)
		goto out;
	opened = true;
	{
		char until[40];
		fprintf(stderr, "porter: live session %s, camera %s, until %s%s\n", l.sid_hex,
			l.camera, ms_text(l.expires_ms, until, sizeof(until)),
			seconds != 0 ? "" : " (Ctrl-C stops)");
	}
	rc = EXIT_INPUT;
	if (raw_open(&l) != 0) {
		warnx_("cannot prepare the requests: out of memory");
		goto out;
	}
	if ((x = key_open(&l)) != 0) {
		rc = x == RAW_STOPPED ? 0 : x;
		goto out;
	}
	if (seconds != 0)
		l.deadline = mono_ms() + (int64_t)seconds * 1000;
	if ((rc = stream(&l, &ended)) != 0)
		goto out;
	if (l.media == 0) {
		warnx_("no video came from camera '%s'%s", l.camera,
		       ended ? ": porterd ended the session" : "");
		rc = EXIT_LIVE_ENDED;
	} else if (ended && wall_ms() < l.expires_ms - 1000 &&
		   (l.deadline == 0 || mono_ms() < l.deadline)) {
		warnx_("porterd ended the session early (deleted, idle, or the camera stopped)");
		rc = EXIT_LIVE_ENDED;
	}
out:
	if (opened && !ended)
		session_delete(&l);
	if (l.fd >= 0 && !l.to_stdout) {
		if (fsync(l.fd) != 0 || close(l.fd) != 0) {
			warnx_("cannot write '%s': %s", l.out, strerror(errno));
			if (rc == 0)
				rc = EXIT_INPUT;
		}
	}
	if (opened) {
		stats_end(&l);
		if (l.fd >= 0)
			fprintf(stderr, "porter: %zu media fragments, %zu bytes of video%s%s\n", l.media,
				l.bytes, l.to_stdout ? "" : " to ", l.to_stdout ? "" : l.out);
	}
	if (handlers) {
		sigaction(SIGINT, &old_int, NULL);
		sigaction(SIGTERM, &old_term, NULL);
		sigaction(SIGPIPE, &old_pipe, NULL);
	}
	if (l.h != NULL)
		curl_easy_cleanup(l.h);
	curl_slist_free_all(l.hl);	/* libcurl's allocator wipes the token's copy */
	if (l.plain != NULL) {
		pt_wipe(l.plain, PT_LIVE_FRAGMENT_MAX);
		free(l.plain);
	}
	free(l.buf);
	free(l.lat);
	pt_guarded_free(l.key);
	pt_guarded_free(l.xsk);
	client_close(&l.c);	/* wipes the token */
	return rc;
}
