/*
 * test_live: porterd's live view relay (docs/live.md, "porterd API")
 * against a real porterd (argv[1]) and a real mosquitto (PORTER_MOSQUITTO)
 * on free loopback ports, with a subscriber on porter/v1/hub/+/live that
 * plays the hub.
 *
 * The test is the owner's viewer (an X25519 key pair from
 * crypto_box_keypair, requests signed by an enrolled owner key) and the
 * camera (its Ed25519 key enrolled in the home; key records and fragments
 * signed and sealed with libporter as porter-cam does). Checked: the relay
 * carries the envelope byte for byte; members 403, a second account 404
 * on every route; forged, stale, expired, too long, replayed, foreign and
 * unknown-camera requests refused with nothing published; viewers per
 * home; the camera's key record and fragments (wrong camera, wrong key,
 * bad signature, another session's header or index, fragment 0 once,
 * indexes increasing, 413 before the body); the long poll (at once when
 * the fragment comes, 204 after [live] wait), 409 behind; the session's
 * end by DELETE, idle_timeout and expiry (410 to the camera); the memory
 * cap (503) and a session's share ([live] session_memory, 507); at most 4
 * waiting GETs per session (429); shutdown with a viewer waiting; the
 * viewer opens what it fetched; and neither porterd's log nor its database
 * holds a fragment's bytes. The security review's findings: a removed
 * owner's session ends (404 to him, 410 to the camera) and another owner
 * may DELETE it; open + DELETE in a loop is 429 for that account, never
 * 503 for the others; stalled uploads hold only their session's 2 slots,
 * for 5 s; unread GETs of a big fragment are lent, not copied.
 *
 * PORTER_TEST_STORE=pg runs it with porterd on PostgreSQL (harness.h); the
 * database scan then covers the SQLite file only when there is one.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <mosquitto.h>
#include <sodium.h>

#include "porter/camera_stmt.h"
#include "porter/cbor.h"
#include "porter/clipseal.h"
#include "porter/cose.h"
#include "porter/crypto.h"
#include "porter/envelope.h"
#include "porter/mqtt.h"
#include "porter/live.h"
#include "porter/text.h"
#include "harness.h"

#define IDLE_S 3
#define WAIT_S 2
#define BUFFER 4
#define MEMORY 1048576
#define SESSION_MEMORY 716800		/* [live] session_memory: 700 KiB */
#define SESSIONS 4			/* [live] sessions */

static struct server g_s;
static struct acct OWN, MEM, OTH;
static char H[40], H2[40], HUB[40];
static struct key OK1, OK2, STRANGER, CAM, CAM2, HUBK;

/* POST .../cameras's body with the owner-signed camera statement
 * (porter/camera_stmt.h), signed by owner. */
static json_t *
cam_body(const char *home, const char *id, const struct key *cam, const char *name,
	 const struct key *owner)
{
	char text[PT_CAMERA_STMT_MAX / 3 * 4 + 8];
	uint8_t b[PT_CAMERA_STMT_MAX];
	struct pt_camera_stmt st;
	size_t n = 0;

	memset(&st, 0, sizeof(st));
	fmt(st.home, sizeof(st.home), "%s", home);
	fmt(st.camera, sizeof(st.camera), "%s", id);
	memcpy(st.camera_pk, cam->pk, PT_PK_LEN);
	fmt(st.name, sizeof(st.name), "%s", name);
	st.iat = (int64_t)time(NULL);
	if (pt_camera_stmt_sign(pt_crypto_sodium(), &owner->sg, &st, b, sizeof(b), &n) != PT_OK ||
	    pt_b64_encode(text, sizeof(text), b, n) != PT_OK)
		bail("cannot sign a camera statement");
	return json_pack("{s:s, s:s, s:s, s:s}", "id", id, "public_key", cam->text, "name", name,
			 "statement", text);
}
static uint8_t g_rec[PT_LIVE_KEYREC_MAX];	/* the key record porterd stored */
static size_t g_rec_len;
static char *g_env_b64;				/* a request porterd relayed, as sent */
static char g_sid_hex[2 * PT_LIVE_ID_LEN + 1];	/* its session id */

/* ---- mosquitto and the subscriber (the hub's side) ---- */

static pid_t g_broker;
static int g_mq_port;

struct msg {
	char topic[128];
	uint8_t *p;
	size_t len;
};
#define MSGS_MAX 256
static pthread_mutex_t g_mq_mu = PTHREAD_MUTEX_INITIALIZER;
static struct msg g_msgs[MSGS_MAX];
static size_t g_nmsgs;
static struct mosquitto *g_mq;

static void
broker_kill(void)
{
	int st;

	if (g_mq != NULL) {
		mosquitto_disconnect(g_mq);
		mosquitto_loop_stop(g_mq, true);
		mosquitto_destroy(g_mq);
		g_mq = NULL;
	}
	if (g_broker > 0) {
		kill(g_broker, SIGTERM);
		waitpid(g_broker, &st, 0);
		g_broker = 0;
	}
}

static int
free_port(void)
{
	struct sockaddr_in a;
	socklen_t al = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &al) != 0)
		bail("no free port");
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

static void
on_message(struct mosquitto *m, void *arg, const struct mosquitto_message *mm)
{
	(void)m;
	(void)arg;
	pthread_mutex_lock(&g_mq_mu);
	if (g_nmsgs < MSGS_MAX && (g_msgs[g_nmsgs].p = malloc((size_t)mm->payloadlen + 1)) != NULL) {
		memcpy(g_msgs[g_nmsgs].p, mm->payload, (size_t)mm->payloadlen);
		g_msgs[g_nmsgs].len = (size_t)mm->payloadlen;
		(void)snprintf(g_msgs[g_nmsgs].topic, sizeof(g_msgs[g_nmsgs].topic), "%s", mm->topic);
		g_nmsgs++;
	}
	pthread_mutex_unlock(&g_mq_mu);
}

static volatile int g_subscribed;

static void
on_subscribe(struct mosquitto *m, void *arg, int mid, int n, const int *granted)
{
	(void)m;
	(void)arg;
	(void)mid;
	g_subscribed = n == 1 && granted[0] == 1;
}

static void
broker_start(void)
{
	const char *exe = getenv("PORTER_MOSQUITTO");
	char conf[256], log[256];
	FILE *f;
	int i;

	if (exe == NULL || exe[0] == '\0')
		exe = "/usr/sbin/mosquitto";
	g_mq_port = free_port();
	fmt(conf, sizeof(conf), "%s/mosquitto.conf", g_root);
	fmt(log, sizeof(log), "%s/mosquitto.log", g_root);
	if ((f = fopen(conf, "w")) == NULL)
		bail("mosquitto.conf");
	fprintf(f, "listener %d 127.0.0.1\nallow_anonymous true\npersistence false\n", g_mq_port);
	fclose(f);
	atexit(broker_kill);
	if ((g_broker = fork()) == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execl(exe, exe, "-c", conf, (char *)NULL);
		_exit(127);
	}
	mosquitto_lib_init();
	if ((g_mq = mosquitto_new("test-live-hub", true, NULL)) == NULL)
		bail("mosquitto_new");
	mosquitto_message_callback_set(g_mq, on_message);
	mosquitto_subscribe_callback_set(g_mq, on_subscribe);
	for (i = 0; i < 100; i++) {
		if (mosquitto_connect(g_mq, "127.0.0.1", g_mq_port, 30) == MOSQ_ERR_SUCCESS)
			break;
		sleep_ms(100);
	}
	if (i == 100)
		bail("mosquitto does not accept connections");
	if (mosquitto_subscribe(g_mq, NULL, "porter/v1/hub/+/live", 1) != MOSQ_ERR_SUCCESS ||
	    mosquitto_loop_start(g_mq) != MOSQ_ERR_SUCCESS)
		bail("subscribe");
	for (i = 0; i < 100 && !g_subscribed; i++)
		sleep_ms(50);
	T_OK(g_subscribed, "a real mosquitto on 127.0.0.1:%d, subscribed to porter/v1/hub/+/live",
	     g_mq_port);
}

static size_t
nmsgs(void)
{
	size_t n;

	pthread_mutex_lock(&g_mq_mu);
	n = g_nmsgs;
	pthread_mutex_unlock(&g_mq_mu);
	return n;
}

/* Wait (10 s at most) for message number k; true and a copy of it. */
static bool
msg_wait(size_t k, struct msg *out)
{
	int i;

	for (i = 0; i < 500; i++) {
		pthread_mutex_lock(&g_mq_mu);
		if (g_nmsgs > k) {
			*out = g_msgs[k];
			pthread_mutex_unlock(&g_mq_mu);
			return true;
		}
		pthread_mutex_unlock(&g_mq_mu);
		sleep_ms(20);
	}
	return false;
}

/* ---- the viewer's requests ---- */

struct viewer {
	uint8_t xpk[PT_LIVE_XPK_LEN], xsk[PT_LIVE_XSK_LEN];
	uint8_t sid[PT_LIVE_ID_LEN];
	char sid_hex[2 * PT_LIVE_ID_LEN + 1];
	uint8_t env[PT_ENVELOPE_SIZE_MAX];
	size_t env_len;
	int64_t exp;
};

/* A live request signed by k (iat, exp as given; camera; home). */
static void
viewer_new(struct viewer *v, const struct key *k, const char *home, const char *camera,
	   int64_t iat, int64_t exp)
{
	struct pt_envelope e;

	memset(v, 0, sizeof(*v));
	crypto_box_keypair(v->xpk, v->xsk);
	pt_random(v->sid, sizeof(v->sid));
	pt_live_id_text(v->sid, v->sid_hex);
	memset(&e, 0, sizeof(e));
	e.kind = PT_ENV_LIVE;
	fmt(e.aud, sizeof(e.aud), "%s", home);
	e.iat = iat;
	e.exp = exp;
	v->exp = exp;
	memcpy(e.nonce, v->sid, PT_LIVE_ID_LEN);
	e.op = PT_LIVE_VIEW;
	memcpy(e.target, v->xpk, PT_LIVE_XPK_LEN);
	e.target_len = PT_LIVE_XPK_LEN;
	fmt(e.lock, sizeof(e.lock), "%s", camera);
	if (pt_envelope_sign(ops, &k->sg, &e, v->env, sizeof(v->env), &v->env_len) != PT_OK)
		bail("pt_envelope_sign refused a live request");
}

/* The same claims, exp - iat = 601: signed by hand (libporter will not). */
static void
viewer_too_long(struct viewer *v, const struct key *k, const char *home, const char *camera)
{
	uint8_t claims[PT_ENVELOPE_SIZE_MAX], kid[PT_KID_LEN];
	struct pt_cbor_wr w;
	int64_t iat = now_s();

	memset(v, 0, sizeof(*v));
	crypto_box_keypair(v->xpk, v->xsk);
	pt_random(v->sid, sizeof(v->sid));
	pt_live_id_text(v->sid, v->sid_hex);
	pt_kid(ops, k->pk, kid);
	pt_cbor_wr_init(&w, claims, sizeof(claims));
	pt_cbor_put_map(&w, 5);
	pt_cbor_put_int(&w, PT_CWT_AUD);
	pt_cbor_put_text(&w, home, strlen(home));
	pt_cbor_put_int(&w, PT_CWT_EXP);
	pt_cbor_put_uint(&w, (uint64_t)(iat + 601));
	pt_cbor_put_int(&w, PT_CWT_IAT);
	pt_cbor_put_uint(&w, (uint64_t)iat);
	pt_cbor_put_int(&w, PT_CWT_CTI);
	pt_cbor_put_bytes(&w, v->sid, PT_LIVE_ID_LEN);
	pt_cbor_put_int(&w, PT_CWT_PORTER);
	pt_cbor_put_map(&w, 3);
	pt_cbor_put_int(&w, 1);
	pt_cbor_put_uint(&w, PT_LIVE_VIEW);
	pt_cbor_put_int(&w, 2);
	pt_cbor_put_bytes(&w, v->xpk, PT_LIVE_XPK_LEN);
	pt_cbor_put_int(&w, 3);
	pt_cbor_put_text(&w, camera, strlen(camera));
	if (pt_cbor_wr_status(&w) != PT_OK ||
	    pt_sign1_sign(&k->sg, kid, PT_KID_LEN, (const uint8_t *)PT_LIVE_REQUEST_DOMAIN,
			  strlen(PT_LIVE_REQUEST_DOMAIN), claims, w.len, v->env, sizeof(v->env),
			  &v->env_len) != PT_OK)
		bail("cannot sign the too-long request by hand");
}

static void
live_post(struct resp *r, const char *token, const char *home, const struct viewer *v)
{
	char *b = b64(v->env, v->env_len);

	jreq(r, "POST", pathf("/v1/homes/%s/live", home), token, json_pack("{s:s}", "request", b));
	free(b);
}

/* ---- the camera's requests ---- */

struct up {
	long status;
	char code[64];
};

/* PUT with the camera headers (either may be NULL: not sent). */
static void
cam_put(struct up *u, const char *path, const char *ctype, const char *camera, const char *sig,
	const uint8_t *body, size_t len, curl_off_t declared)
{
	CURL *h = curl_easy_init();
	struct curl_slist *hl = NULL;
	char url[256], hv[256];

	memset(u, 0, sizeof(*u));
	if (h == NULL)
		bail("curl");
	fmt(url, sizeof(url), "%s%s", g_s.base, path);
	hl = curl_slist_append(hl, "Expect:");
	fmt(hv, sizeof(hv), "Content-Type: %s", ctype);
	hl = curl_slist_append(hl, hv);
	if (camera != NULL) {
		fmt(hv, sizeof(hv), "Porter-Camera: %s", camera);
		hl = curl_slist_append(hl, hv);
	}
	if (sig != NULL) {
		fmt(hv, sizeof(hv), "Porter-Signature: %s", sig);
		hl = curl_slist_append(hl, hv);
	}
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "PUT");
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, declared >= 0 ? declared : (curl_off_t)len);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, len > 0 ? (const char *)body : "");
	{
		char *buf = NULL;
		size_t blen = 0;
		FILE *mf = open_memstream(&buf, &blen);

		if (mf == NULL)
			bail("open_memstream");
		curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, fwrite);
		curl_easy_setopt(h, CURLOPT_WRITEDATA, mf);
		if (curl_easy_perform(h) == CURLE_OK)
			curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &u->status);
		fclose(mf);
		if (buf != NULL && blen > 0) {
			json_t *j = json_loadb(buf, blen, 0, NULL);
			json_t *e = json_object_get(json_object_get(j, "error"), "code");

			fmt(u->code, sizeof(u->code), "%s", json_is_string(e) ? json_string_value(e) : "");
			json_decref(j);
		}
		free(buf);
	}
	curl_slist_free_all(hl);
	curl_easy_cleanup(h);
}

struct cam {
	const struct key *k;
	const char *id;
	uint8_t *live_key;		/* guarded */
};

/* The signed key record of session v, for viewer key xpk. */
static size_t
keyrec_make(const struct cam *c, const struct viewer *v, const uint8_t xpk[PT_LIVE_XPK_LEN],
	    uint8_t out[PT_LIVE_KEYREC_MAX])
{
	struct pt_live_keyrec k;
	size_t n = 0;

	memset(&k, 0, sizeof(k));
	fmt(k.camera, sizeof(k.camera), "%s", c->id);
	memcpy(k.session, v->sid, PT_LIVE_ID_LEN);
	k.event_seq = 7;
	k.start_ms = (uint64_t)now_s() * 1000u;
	k.expiry_ms = (uint64_t)v->exp * 1000u;
	memcpy(k.viewer_xpk, xpk, PT_LIVE_XPK_LEN);
	fmt(k.container, sizeof(k.container), "mp4");
	if (pt_live_key_seal(c->live_key, xpk, k.sealed) != PT_OK ||
	    pt_live_keyrec_sign(&c->k->sg, &k, out, PT_LIVE_KEYREC_MAX, &n) != PT_OK)
		bail("cannot make a key record");
	return n;
}

struct frag {
	uint8_t *p;
	size_t len;
	char sig[96];
	uint8_t plain[64];		/* the start of the plaintext (the prefix and a marker) */
};

/* Fragment index of session sid: the plaintext `plain_len` bytes (a random
 * fMP4 stand-in), sealed under the live key, signed by signer. */
static void
frag_make(struct frag *f, const struct cam *c, const struct key *signer,
	  const uint8_t sid[PT_LIVE_ID_LEN], uint32_t index, size_t plain_len)
{
	struct pt_live_hdr h;
	uint8_t *plain = malloc(plain_len + PT_LIVE_PREFIX_LEN), sha[PT_HASH_LEN], sig[PT_SIG_LEN];
	size_t sl = pt_seg_sealed_size(plain_len + PT_LIVE_PREFIX_LEN), n = 0;
	uint64_t cap = index == 0 ? 0 : (uint64_t)now_s() * 1000u + index;
	uint32_t dur = index == 0 ? 0 : 1000;
	int i;

	memset(f, 0, sizeof(*f));
	if (plain == NULL || sl == 0 || (f->p = malloc(PT_LIVE_HDR_LEN + sl)) == NULL)
		bail("out of memory");
	for (i = 0; i < 8; i++)
		plain[i] = (uint8_t)(cap >> (56 - 8 * i));
	for (i = 0; i < 4; i++)
		plain[8 + i] = (uint8_t)(dur >> (24 - 8 * i));
	pt_random(plain + PT_LIVE_PREFIX_LEN, plain_len);
	memcpy(f->plain, plain, sizeof(f->plain) < plain_len ? sizeof(f->plain) : plain_len);
	if (pt_seg_seal(c->live_key, sid, index, plain, plain_len + PT_LIVE_PREFIX_LEN,
			f->p + PT_LIVE_HDR_LEN, &n) != PT_OK)
		bail("pt_seg_seal");
	memset(&h, 0, sizeof(h));
	memcpy(h.session, sid, PT_LIVE_ID_LEN);
	h.index = index;
	h.capture_ms = cap;
	h.duration_ms = dur;
	h.sealed_len = (uint32_t)n;
	if (pt_live_hdr_encode(&h, f->p) != PT_OK)
		bail("pt_live_hdr_encode");
	f->len = PT_LIVE_HDR_LEN + n;
	ops->sha256(sha, f->p, f->len);
	if (pt_live_fragment_sign(&signer->sg, sid, index, sha, sig) != PT_OK ||
	    pt_b64_encode(f->sig, sizeof(f->sig), sig, sizeof(sig)) != PT_OK)
		bail("pt_live_fragment_sign");
	pt_wipe(plain, plain_len + PT_LIVE_PREFIX_LEN);
	free(plain);
}

static void
frag_free(struct frag *f)
{
	free(f->p);
	f->p = NULL;
}

static const char *
frag_path(const struct viewer *v, uint32_t n)
{
	return pathf("/v1/live/%s/fragments/%u", v->sid_hex, n);
}

static void
frag_put(struct up *u, const struct viewer *v, uint32_t n, const char *camera, const struct frag *f)
{
	cam_put(u, frag_path(v, n), "application/octet-stream", camera, f->sig, f->p, f->len, -1);
}

/* Open a session for OWN (and wait for its relay); bails if refused. */
static void
open_ok(struct viewer *v, const char *camera, int64_t life, const char *what)
{
	struct resp r = {0};

	viewer_new(v, &OK1, H, camera, now_s(), now_s() + life);
	live_post(&r, OWN.token, H, v);
	if (!CHECK(r.status == 202 && strcmp(js(r.json, "session"), v->sid_hex) == 0, "%s: 202",
		   what)) {
		body_diag(&r);
		bail("no live session");
	}
	resp_free(&r);
}

/* ---- the tests ---- */

static void
setup(void)
{
	struct resp r = {0};
	struct pt_envelope e;
	uint8_t env[PT_ENVELOPE_SIZE_MAX];
	size_t n = 0;
	char *b;
	struct viewer v;
	int i;

	acct_set(&OWN, "ana@example.org", "Ana");
	acct_set(&MEM, "max@example.org", "Max");
	acct_set(&OTH, "olga@example.org", "Olga");
	signup_as(&g_cl, &r, &OWN, NULL, NULL);
	signup_as(&g_cl, &r, &MEM, NULL, NULL);
	signup_as(&g_cl, &r, &OTH, NULL, NULL);
	signin(&g_cl, &r, &OWN);
	signin(&g_cl, &r, &MEM);
	signin(&g_cl, &r, &OTH);
	if (!CHECK(OWN.token[0] && MEM.token[0] && OTH.token[0], "three accounts signed in"))
		bail("accounts");
	jreq(&r, "POST", "/v1/homes", OWN.token, json_pack("{s:s, s:s}", "name", "Flat", "tz", "UTC"));
	fmt(H, sizeof(H), "%s", js(r.json, "id"));
	jreq(&r, "POST", "/v1/homes", OTH.token,
	     json_pack("{s:s, s:s}", "name", "Olga's", "tz", "UTC"));
	fmt(H2, sizeof(H2), "%s", js(r.json, "id"));
	jreq(&r, "POST", pathf("/v1/homes/%s/members", H), OWN.token,
	     json_pack("{s:s, s:s}", "email", MEM.email, "role", "member"));
	expect_status(&r, 201, "a household member added");
	jreq(&r, "POST", pathf("/v1/homes/%s/owner-keys", H), OWN.token,
	     json_pack("{s:s, s:s}", "public_key", OK1.text, "label", "Ana's phone"));
	expect_status(&r, 201, "the owner key enrolled");
	jreq(&r, "POST", pathf("/v1/homes/%s/owner-keys", H2), OTH.token,
	     json_pack("{s:s, s:s}", "public_key", OK2.text, "label", "Olga's phone"));
	expect_status(&r, 201, "the second account's owner key enrolled in its own home");
	jreq(&r, "POST", pathf("/v1/homes/%s/cameras", H), OWN.token,
	     cam_body(H, "cam-front", &CAM, "Front", &OK1));
	expect_status(&r, 201, "camera cam-front enrolled");
	jreq(&r, "POST", pathf("/v1/homes/%s/cameras", H), OWN.token,
	     cam_body(H, "cam-back", &CAM2, "Back", &OK1));
	expect_status(&r, 201, "camera cam-back enrolled");

	/* Before the hub: the home has none to relay to. */
	viewer_new(&v, &OK1, H, "cam-front", now_s(), now_s() + 60);
	live_post(&r, OWN.token, H, &v);
	expect_err(&r, 409, "no-hub", NULL, "a home without a hub: 409 no-hub");

	memset(&e, 0, sizeof(e));
	e.kind = PT_ENV_PAIRING;
	fmt(e.aud, sizeof(e.aud), "%s", H);
	e.iat = now_s();
	{
		/* The nonce: the MAC of a code no hub shows here (porterd
		 * cannot check it; docs/credentials.md). */
		uint8_t code[PT_PAIRING_CODE_LEN];

		pt_random(code, sizeof(code));
		if (pt_pairing_nonce(e.nonce, code, H, HUBK.pk, OK1.sg.pk) != PT_OK)
			bail("pairing nonce");
	}
	memcpy(e.target, HUBK.pk, PT_PK_LEN);
	e.target_len = PT_PK_LEN;
	if (pt_envelope_sign(ops, &OK1.sg, &e, env, sizeof(env), &n) != PT_OK)
		bail("pairing");
	b = b64(env, n);
	jreq(&r, "POST", pathf("/v1/homes/%s/hubs", H), OWN.token,
	     json_pack("{s:s, s:s, s:s}", "public_key", HUBK.text, "pairing", b, "label", "hall"));
	free(b);
	expect_status(&r, 201, "a hub paired");
	fmt(HUB, sizeof(HUB), "%s", js(r.json, "id"));
	/* The hub names the home with its own key (docs/mqtt.md, "home"),
	 * retained: porterd relays nothing to a hub before that. */
	memset(&e, 0, sizeof(e));
	e.kind = PT_ENV_HUB_HOME;
	fmt(e.aud, sizeof(e.aud), "%s", H);
	e.iat = now_s();
	randombytes_buf(e.nonce, sizeof(e.nonce));
	e.op = PT_HUB_HOME_PAIRED;
	memcpy(e.target, OK1.sg.pk, PT_PK_LEN);
	e.target_len = PT_PK_LEN;
	if (pt_envelope_sign(ops, &HUBK.sg, &e, env, sizeof(env), &n) != PT_OK)
		bail("hub home statement");
	{
		char topic[PT_MQTT_TOPIC_CAP];
		int confirmed = 0;

		fmt(topic, sizeof(topic), "porter/v1/hub/%s/home", HUB);
		if (mosquitto_publish(g_mq, NULL, topic, (int)n, env, 1, true) != MOSQ_ERR_SUCCESS)
			bail("publish the hub's home statement");
		for (i = 0; i < 100 && !confirmed; i++) {
			req(&r, "GET", pathf("/v1/homes/%s/hubs", H), OWN.token, NULL);
			confirmed = r.status == 200 &&
				    json_is_true(json_object_get(
					    json_array_get(json_object_get(r.json, "hubs"), 0), "confirmed"));
			if (!confirmed)
				sleep_ms(100);
		}
		if (!CHECK(confirmed, "the hub's own statement confirms the home at porterd"))
			bail("not confirmed");
	}

	/* porterd connects to the broker in the background: wait for it. */
	for (i = 0; i < 100; i++) {
		viewer_new(&v, &OK1, H, "cam-front", now_s(), now_s() + 60);
		live_post(&r, OWN.token, H, &v);
		if (r.status != 503)
			break;
		sleep_ms(100);
	}
	if (!CHECK(r.status == 202, "porterd reaches the broker and relays (got %ld)", r.status))
		bail("no relay");
	{
		/* Its relay reaches the hub's side after porterd's answer: wait
		 * for it here, so that it cannot arrive during test_open and
		 * be taken for that test's (a fixed pause alone could not
		 * promise that on a loaded machine). */
		struct msg m;

		CHECK(msg_wait(0, &m) && m.len == v.env_len && memcmp(m.p, v.env, m.len) == 0,
		      "that first request reaches the hub's side");
	}
	req(&r, "DELETE", pathf("/v1/live/%s", v.sid_hex), OWN.token, NULL);
	expect_status(&r, 204, "that first session deleted");
	sleep_ms(300);	/* nothing more should come; whatever does is cleared */
	pthread_mutex_lock(&g_mq_mu);
	for (i = 0; i < (int)g_nmsgs; i++)
		free(g_msgs[i].p);
	g_nmsgs = 0;
	pthread_mutex_unlock(&g_mq_mu);
	resp_free(&r);
}

static void
test_open(struct viewer *v)
{
	struct resp r = {0};
	struct viewer x;
	struct msg m;
	char topic[128];
	size_t before;

	viewer_new(v, &OK1, H, "cam-front", now_s(), now_s() + 120);
	live_post(&r, MEM.token, H, v);
	expect_err(&r, 403, "forbidden", NULL, "a household member asks for live view: 403");
	live_post(&r, OTH.token, H, v);
	expect_err(&r, 404, "not-found", NULL, "another account asks for live view of the home: 404");
	CHECK(nmsgs() == 0, "nothing relayed for them");

	live_post(&r, OWN.token, H, v);
	CHECK(r.status == 202 && strcmp(js(r.json, "session"), v->sid_hex) == 0 &&
		      strcmp(js(r.json, "camera"), "cam-front") == 0 &&
		      ji(r.json, "expires_at") == v->exp,
	      "POST /v1/homes/{id}/live -> 202 {session (the nonce), camera, expires_at (exp)}");
	g_env_b64 = b64(v->env, v->env_len);
	fmt(g_sid_hex, sizeof(g_sid_hex), "%s", v->sid_hex);
	fmt(topic, sizeof(topic), "porter/v1/hub/%s/live", HUB);
	CHECK(msg_wait(0, &m) && strcmp(m.topic, topic) == 0 && m.len == v->env_len &&
		      memcmp(m.p, v->env, m.len) == 0,
	      "the envelope went out on %s byte for byte", topic);

	before = nmsgs();
	live_post(&r, OWN.token, H, v);
	expect_err(&r, 409, "exists", NULL, "the same request again (its nonce): 409 exists");

	viewer_new(&x, &STRANGER, H, "cam-front", now_s(), now_s() + 60);
	live_post(&r, OWN.token, H, &x);
	expect_err(&r, 403, "untrusted-signer", NULL, "signed by a key that is not an owner key: 403");
	viewer_new(&x, &OK2, H, "cam-front", now_s(), now_s() + 60);
	live_post(&r, OWN.token, H, &x);
	expect_err(&r, 403, "untrusted-signer", NULL, "signed by another home's owner key: 403");
	viewer_new(&x, &OK1, H2, "cam-front", now_s(), now_s() + 60);
	live_post(&r, OWN.token, H, &x);
	expect_err(&r, 403, "wrong-home-or-lock", NULL, "for another home (audience): 403");
	viewer_new(&x, &OK1, H, "cam-front", now_s() - 120, now_s() + 300);
	live_post(&r, OWN.token, H, &x);
	expect_err(&r, 403, "stale", NULL, "signed 120 s ago ([live] skew 60 s): 403 stale");
	viewer_new(&x, &OK1, H, "cam-front", now_s() - 30, now_s() - 2);
	live_post(&r, OWN.token, H, &x);
	expect_err(&r, 403, "expired", NULL, "exp already past: 403 expired");
	viewer_too_long(&x, &OK1, H, "cam-front");
	live_post(&r, OWN.token, H, &x);
	expect_err(&r, 400, "malformed", NULL, "exp 601 s after iat: 400 malformed");
	viewer_new(&x, &OK1, H, "cam-nowhere", now_s(), now_s() + 60);
	live_post(&r, OWN.token, H, &x);
	expect_err(&r, 404, "not-found", "camera", "a camera that is not the home's: 404 camera");
	x.env[x.env_len - 1] ^= 1;
	live_post(&r, OWN.token, H, &x);
	CHECK(r.status == 403 || r.status == 400, "a forged signature is refused (got %ld %s)",
	      r.status, ecode(&r));
	jreq(&r, "POST", pathf("/v1/homes/%s/live", H), OWN.token,
	     json_pack("{s:s, s:s}", "request", "AAAA", "extra", "x"));
	expect_err(&r, 400, "unknown-field", NULL, "an unknown field: 400");
	jreq(&r, "POST", pathf("/v1/homes/%s/live", H), OWN.token, json_pack("{s:s}", "request", "@@"));
	expect_err(&r, 400, "invalid-field", "request", "not base64url: 400 invalid-field");
	jreq(&r, "POST", pathf("/v1/homes/%s/live", H), OWN.token, json_pack("{}"));
	expect_err(&r, 400, "missing-field", "request", "no request: 400 missing-field");
	sleep_ms(300);
	CHECK(nmsgs() == before, "nothing published for any refused request (%zu, %zu before)",
	      nmsgs(), before);
	/* What never reached a hub is in the home's events (docs/live.md). */
	req(&r, "GET", pathf("/v1/homes/%s/events", H), OWN.token, NULL);
	{
		const json_t *evs = json_object_get(r.json, "events"), *e;
		size_t i;
		int untrusted = 0, replayed = 0, expired = 0;

		json_array_foreach(evs, i, e) {
			const json_t *d = json_object_get(e, "data");
			const char *t = json_string_value(json_object_get(e, "type"));
			const char *why = json_string_value(json_object_get(d, "reason"));

			if (t == NULL || strcmp(t, "live.refused") != 0 || why == NULL)
				continue;
			untrusted += strcmp(why, "untrusted-signer") == 0;
			expired += strcmp(why, "expired") == 0;
			replayed += strcmp(why, "replayed") == 0 &&
				    json_is_string(json_object_get(d, "session")) &&
				    strcmp(json_string_value(json_object_get(d, "session")),
					   v->sid_hex) == 0;
		}
		CHECK(r.status == 200 && untrusted == 2 && expired == 1 && replayed == 1,
		      "refusals at porterd are events live.refused: untrusted-signer x2 (%d), "
		      "expired (%d), replayed with its session (%d)",
		      untrusted, expired, replayed);
	}
	resp_free(&r);
}

static void
test_viewer_limit(void)
{
	struct resp r = {0};
	struct viewer a, b;
	size_t before;

	/* One open already (test_open's): the second is the last one. Its
	 * relay comes after porterd's answer: counted once it is in. */
	before = nmsgs();
	open_ok(&a, "cam-back", 120, "a second live view of the home");
	{
		struct msg m;

		if (msg_wait(before, &m))
			before++;
	}
	viewer_new(&b, &OK1, H, "cam-front", now_s(), now_s() + 60);
	live_post(&r, OWN.token, H, &b);
	expect_err(&r, 429, "too-many", NULL, "a third ([live] viewers_per_home 2): 429 too-many");
	sleep_ms(200);
	CHECK(nmsgs() == before, "and it was not relayed");
	req(&r, "DELETE", pathf("/v1/live/%s", a.sid_hex), OWN.token, NULL);
	expect_status(&r, 204, "DELETE /v1/live/{s} -> 204");
	live_post(&r, OWN.token, H, &b);
	expect_status(&r, 202, "after the DELETE, room for one more");
	req(&r, "DELETE", pathf("/v1/live/%s", b.sid_hex), OWN.token, NULL);
	expect_status(&r, 204, "and that one deleted too");
	resp_free(&r);
}

static void
test_key(const struct viewer *v, struct cam *c, struct cam *c2)
{
	struct up u;
	struct resp r = {0};
	uint8_t rec[PT_LIVE_KEYREC_MAX], bad[PT_LIVE_KEYREC_MAX], other_x[PT_LIVE_XPK_LEN],
		other_s[PT_LIVE_XSK_LEN];
	size_t n, nb;
	const char *kp = pathf("/v1/live/%s/key", v->sid_hex);
	char kpath[128];

	fmt(kpath, sizeof(kpath), "%s", kp);
	req(&r, "GET", kpath, OWN.token, NULL);
	expect_err(&r, 404, "not-found", NULL, "GET key before the camera sent it: 404");
	n = keyrec_make(c, v, v->xpk, rec);
	cam_put(&u, kpath, "application/cbor", "cam-back", NULL, rec, n, -1);
	CHECK(u.status == 401, "key record with Porter-Camera of another camera: 401 (got %ld)",
	      u.status);
	nb = keyrec_make(c2, v, v->xpk, bad);	/* cam-back's key, names cam-back */
	cam_put(&u, kpath, "application/cbor", "cam-front", NULL, bad, nb, -1);
	CHECK(u.status == 401, "key record signed by another camera's key: 401 (got %ld)", u.status);
	crypto_box_keypair(other_x, other_s);
	nb = keyrec_make(c, v, other_x, bad);
	cam_put(&u, kpath, "application/cbor", "cam-front", NULL, bad, nb, -1);
	CHECK(u.status == 400, "key record sealed to another viewer key: 400 (got %ld %s)", u.status,
	      u.code);
	memcpy(bad, rec, n);
	bad[n - 3] ^= 1;
	cam_put(&u, kpath, "application/cbor", "cam-front", NULL, bad, n, -1);
	CHECK(u.status == 401, "key record with a bad signature: 401 (got %ld)", u.status);
	cam_put(&u, kpath, "application/json", "cam-front", NULL, rec, n, -1);
	CHECK(u.status == 415, "key record as application/json: 415 (got %ld)", u.status);
	cam_put(&u, kpath, "application/cbor", "cam-front", NULL, rec, n, -1);
	CHECK(u.status == 201, "PUT key by the session's camera: 201 (got %ld %s)", u.status, u.code);
	memcpy(g_rec, rec, n);
	g_rec_len = n;
	cam_put(&u, kpath, "application/cbor", "cam-front", NULL, rec, n, -1);
	CHECK(u.status == 200, "the same bytes again: 200 (got %ld)", u.status);
	nb = keyrec_make(c, v, v->xpk, bad);	/* sealed again: other bytes */
	cam_put(&u, kpath, "application/cbor", "cam-front", NULL, bad, nb, -1);
	CHECK(u.status == 409, "other bytes: 409 (got %ld)", u.status);

	req(&r, "GET", kpath, OWN.token, NULL);
	CHECK(r.status == 200 && r.len == n && memcmp(r.body, rec, n) == 0,
	      "GET key: the key record byte for byte");
	{
		struct pt_live_keyrec k;
		uint8_t *lk = pt_guarded_alloc(PT_LIVE_KEY_LEN);

		CHECK(lk != NULL && r.status == 200 &&
			      pt_live_keyrec_open(ops, CAM.pk, (const uint8_t *)r.body, r.len, &k) ==
				      PT_OK &&
			      pt_live_key_open(v->xpk, v->xsk, k.sealed, lk) == PT_OK &&
			      sodium_memcmp(lk, c->live_key, PT_LIVE_KEY_LEN) == 0,
		      "the viewer verifies the record and opens the live key");
		pt_guarded_free(lk);
	}
	req(&r, "GET", kpath, OTH.token, NULL);
	expect_err(&r, 404, "not-found", NULL, "another account: GET key 404");
	req(&r, "GET", kpath, MEM.token, NULL);
	expect_err(&r, 404, "not-found", NULL, "a household member (not the viewer): GET key 404");
	resp_free(&r);
}

struct poll_arg {
	const char *path, *token;
	struct resp r;
	double t_end;
};

static void *
poll_thread(void *arg)
{
	struct poll_arg *p = arg;
	struct client c;

	client_init(&c, g_s.base);
	creq(&c, &p->r, "GET", p->path, p->token, NULL);
	p->t_end = mono();
	client_free(&c);
	return NULL;
}

static void
test_fragments(const struct viewer *v, struct cam *c)
{
	struct up u;
	struct resp r = {0};
	struct frag f0, f0b, f[12], x;
	struct viewer other;
	struct poll_arg pa;
	pthread_t th;
	double t0;
	char p1[128], p2[128], big_sig[96];
	uint8_t *lk_plain;
	size_t pl = 0;
	unsigned i;
	int behind = 0;

	frag_make(&f0, c, &CAM, v->sid, 0, 900);
	frag_put(&u, v, 0, "cam-front", &f0);
	CHECK(u.status == 201, "PUT fragment 0: 201 (got %ld %s)", u.status, u.code);
	frag_put(&u, v, 0, "cam-front", &f0);
	CHECK(u.status == 200, "fragment 0 again, the same bytes: 200 (got %ld)", u.status);
	frag_make(&f0b, c, &CAM, v->sid, 0, 900);
	frag_put(&u, v, 0, "cam-front", &f0b);
	CHECK(u.status == 409, "fragment 0 again, other bytes: 409 (got %ld)", u.status);
	frag_free(&f0b);

	for (i = 1; i < 12; i++)
		frag_make(&f[i], c, &CAM, v->sid, i, 2000 + i);
	/* The camera's refusals. */
	frag_put(&u, v, 1, "cam-back", &f[1]);
	CHECK(u.status == 401, "Porter-Camera of another camera: 401 (got %ld)", u.status);
	frag_make(&x, c, &CAM2, v->sid, 1, 500);
	frag_put(&u, v, 1, "cam-front", &x);
	CHECK(u.status == 401, "signed by another camera's key: 401 (got %ld)", u.status);
	frag_free(&x);
	cam_put(&u, frag_path(v, 1), "application/octet-stream", "cam-front", f[2].sig, f[1].p,
		f[1].len, -1);
	CHECK(u.status == 401, "a signature of another fragment: 401 (got %ld)", u.status);
	cam_put(&u, frag_path(v, 1), "application/octet-stream", "cam-front", NULL, f[1].p,
		f[1].len, -1);
	CHECK(u.status == 401, "no Porter-Signature: 401 (got %ld)", u.status);
	cam_put(&u, frag_path(v, 2), "application/octet-stream", "cam-front", f[1].sig, f[1].p,
		f[1].len, -1);
	CHECK(u.status == 400, "fragment 1's bytes PUT as 2 (header index): 400 (got %ld %s)",
	      u.status, u.code);
	pt_random(other.sid, sizeof(other.sid));
	frag_make(&x, c, &CAM, other.sid, 1, 500);
	cam_put(&u, frag_path(v, 1), "application/octet-stream", "cam-front", x.sig, x.p, x.len,
		-1);
	CHECK(u.status == 400, "a header naming another session: 400 (got %ld %s)", u.status,
	      u.code);
	frag_free(&x);
	cam_put(&u, frag_path(v, 1), "text/plain", "cam-front", f[1].sig, f[1].p, f[1].len, -1);
	CHECK(u.status == 415, "as text/plain: 415 (got %ld)", u.status);
	{
		/* Declared over PT_LIVE_FRAGMENT_MAX: refused before the body. */
		size_t big = PT_LIVE_FRAGMENT_MAX + 1;
		uint8_t *b = calloc(1, big);

		fmt(big_sig, sizeof(big_sig), "%s", f[1].sig);
		cam_put(&u, frag_path(v, 1), "application/octet-stream", "cam-front", big_sig, b, big,
			-1);
		CHECK(u.status == 413 || u.status == 0,
		      "over PT_LIVE_FRAGMENT_MAX: 413 before the body (got %ld)", u.status);
		free(b);
	}
	cam_put(&u, pathf("/v1/live/%032x/fragments/1", 7), "application/octet-stream", "cam-front",
		f[1].sig, f[1].p, f[1].len, -1);
	CHECK(u.status == 410, "an unknown session: 410 (got %ld)", u.status);
	cam_put(&u, pathf("/v1/live/%032x/key", 7), "application/cbor", "cam-front", NULL, g_rec,
		g_rec_len, -1);
	CHECK(u.status == 410, "a key record for an unknown session: 410 (got %ld)", u.status);

	/* The long poll: waits, and answers as soon as fragment 1 comes. */
	fmt(p1, sizeof(p1), "%s", frag_path(v, 1));
	memset(&pa, 0, sizeof(pa));
	pa.path = p1;
	pa.token = OWN.token;
	t0 = mono();
	pthread_create(&th, NULL, poll_thread, &pa);
	sleep_ms(700);
	frag_put(&u, v, 1, "cam-front", &f[1]);
	CHECK(u.status == 201, "PUT fragment 1: 201 (got %ld %s)", u.status, u.code);
	{
		double t_put = mono();

		pthread_join(th, NULL);
		CHECK(pa.r.status == 200 && pa.r.len == f[1].len &&
			      memcmp(pa.r.body, f[1].p, f[1].len) == 0 && pa.t_end - t0 >= 0.6 &&
			      pa.t_end - t_put < 0.5,
		      "GET fragments/1 waited (%.2f s) and came back %.3f s after the PUT with the bytes",
		      pa.t_end - t0, pa.t_end - t_put);
	}
	resp_free(&pa.r);
	/* Nothing comes: 204 after [live] wait. */
	fmt(p2, sizeof(p2), "%s", frag_path(v, 2));
	req(&r, "GET", p2, OWN.token, NULL);
	CHECK(r.status == 204 && r.secs >= WAIT_S - 0.3 && r.secs < WAIT_S + 1.5,
	      "GET fragments/2 before it comes: 204 after %.2f s ([live] wait %d s)", r.secs, WAIT_S);
	/* The viewer opens what it fetched. */
	req(&r, "GET", p1, OWN.token, NULL);
	lk_plain = malloc(f[1].len);
	CHECK(r.status == 200 && lk_plain != NULL &&
		      pt_seg_open(c->live_key, v->sid, 1, (const uint8_t *)r.body + PT_LIVE_HDR_LEN,
				  r.len - PT_LIVE_HDR_LEN, lk_plain, &pl) == PT_OK &&
		      pl == 2001 + PT_LIVE_PREFIX_LEN && memcmp(lk_plain, f[1].plain, 64) == 0,
	      "fragment 1 opens under the live key to what the camera sealed");
	free(lk_plain);
	req(&r, "GET", p1, OTH.token, NULL);
	expect_err(&r, 404, "not-found", NULL, "another account: GET fragments/1 404");
	req(&r, "GET", pathf("/v1/live/%s", v->sid_hex), OTH.token, NULL);
	expect_err(&r, 404, "not-found", NULL, "another account: GET /v1/live/{s} 404");
	req(&r, "DELETE", pathf("/v1/live/%s", v->sid_hex), OTH.token, NULL);
	expect_err(&r, 404, "not-found", NULL, "another account: DELETE /v1/live/{s} 404");
	req(&r, "DELETE", pathf("/v1/live/%s", v->sid_hex), MEM.token, NULL);
	expect_err(&r, 404, "not-found", NULL, "a household member: DELETE /v1/live/{s} 404");

	/* Indexes only increase; more than [live] buffer: the oldest dropped. */
	frag_put(&u, v, 1, "cam-front", &f[1]);
	CHECK(u.status == 409, "fragment 1 again: 409 (got %ld)", u.status);
	for (i = 3; i < 12; i++) {
		frag_put(&u, v, i, "cam-front", &f[i]);
		if (!CHECK(u.status == 201, "PUT fragment %u: 201 (got %ld %s)", i, u.status, u.code))
			break;
	}
	frag_put(&u, v, 2, "cam-front", &f[2]);
	CHECK(u.status == 409, "fragment 2 after 11 (older): 409 (got %ld)", u.status);
	req(&r, "GET", frag_path(v, 3), OWN.token, NULL);
	CHECK(r.status == 409 && strcmp(js(r.json, "error"), "behind") == 0 &&
		      ji(r.json, "next") == 12 - BUFFER,
	      "GET fragments/3, dropped ([live] buffer %d): 409 {error: behind, next: %d}", BUFFER,
	      12 - BUFFER);
	behind += r.status == 409;
	req(&r, "GET", frag_path(v, 2), OWN.token, NULL);
	CHECK(r.status == 409 && ji(r.json, "next") == 12 - BUFFER,
	      "GET fragments/2, never sent and now behind: 409 next %d", 12 - BUFFER);
	behind += r.status == 409;
	req(&r, "GET", frag_path(v, 11), OWN.token, NULL);
	CHECK(r.status == 200 && r.len == f[11].len && memcmp(r.body, f[11].p, r.len) == 0,
	      "GET fragments/11: 200 the bytes");
	req(&r, "GET", frag_path(v, 0), OWN.token, NULL);
	CHECK(r.status == 200 && r.len == f0.len && memcmp(r.body, f0.p, r.len) == 0,
	      "fragment 0 is kept: 200 the bytes");
	req(&r, "GET", pathf("/v1/live/%s", v->sid_hex), OWN.token, NULL);
	CHECK(r.status == 200 && strcmp(js(r.json, "session"), v->sid_hex) == 0 &&
		      strcmp(js(r.json, "home"), H) == 0 && strcmp(js(r.json, "camera"), "cam-front") == 0 &&
		      ji(r.json, "expires_at") == v->exp &&
		      json_is_true(json_object_get(r.json, "key")) && ji(r.json, "newest") == 11 &&
		      ji(r.json, "oldest") == 12 - BUFFER,
	      "GET /v1/live/{s}: session, home, camera, expires_at, key true, newest 11, oldest %d",
	      12 - BUFFER);
	if (r.status == 200 && ji(r.json, "oldest") != 12 - BUFFER)
		body_diag(&r);

	/* DELETE: the camera's next PUT and the viewer get 410. */
	req(&r, "DELETE", pathf("/v1/live/%s", v->sid_hex), OWN.token, NULL);
	expect_status(&r, 204, "DELETE /v1/live/{s}: 204");
	frag_make(&x, c, &CAM, v->sid, 12, 300);
	frag_put(&u, v, 12, "cam-front", &x);
	CHECK(u.status == 410, "after DELETE the camera's next PUT: 410 (got %ld)", u.status);
	frag_free(&x);
	req(&r, "GET", frag_path(v, 11), OWN.token, NULL);
	expect_err(&r, 410, "gone", NULL, "after DELETE the viewer's GET: 410");
	req(&r, "GET", pathf("/v1/live/%s/key", v->sid_hex), OWN.token, NULL);
	expect_err(&r, 410, "gone", NULL, "after DELETE GET key: 410");
	req(&r, "GET", frag_path(v, 11), OTH.token, NULL);
	expect_err(&r, 404, "not-found", NULL, "and another account still 404");

	atomic_fetch_sub(&g_badshape, behind);	/* {"error": "behind"} is the contract's */
	frag_free(&f0);
	for (i = 1; i < 12; i++)
		frag_free(&f[i]);
	resp_free(&r);
}

static void
test_waiting_wakes_on_end(struct cam *c)
{
	struct viewer v;
	struct poll_arg pa;
	struct resp r = {0};
	pthread_t th;
	double t0;
	char p[128];

	(void)c;
	open_ok(&v, "cam-front", 120, "a session for a waiting viewer");
	fmt(p, sizeof(p), "%s", frag_path(&v, 0));
	memset(&pa, 0, sizeof(pa));
	pa.path = p;
	pa.token = OWN.token;
	t0 = mono();
	pthread_create(&th, NULL, poll_thread, &pa);
	sleep_ms(500);
	req(&r, "DELETE", pathf("/v1/live/%s", v.sid_hex), OWN.token, NULL);
	expect_status(&r, 204, "DELETE while the viewer waits");
	pthread_join(th, NULL);
	CHECK(pa.r.status == 410 && pa.t_end - t0 < 1.5,
	      "the waiting GET returns 410 at once when the session ends (%ld after %.2f s)",
	      pa.r.status, pa.t_end - t0);
	resp_free(&pa.r);
	resp_free(&r);
}

static void
test_idle(struct cam *c)
{
	struct viewer v;
	struct frag f;
	struct up u;
	double t0;
	uint32_t i;

	open_ok(&v, "cam-front", 120, "a session nobody watches");
	t0 = mono();
	for (i = 0; i < 40; i++) {
		frag_make(&f, c, &CAM, v.sid, i, 400);
		frag_put(&u, &v, i, "cam-front", &f);
		frag_free(&f);
		if (u.status != 201)
			break;
		sleep_ms(250);
	}
	CHECK(u.status == 410 && mono() - t0 <= IDLE_S + 1.0 && mono() - t0 >= IDLE_S - 0.5,
	      "no viewer fetch: the camera's PUT gets 410 %.2f s after the last fetch "
	      "([live] idle_timeout %d s; got %ld)",
	      mono() - t0, IDLE_S, u.status);
}

static void
test_expiry(struct cam *c)
{
	struct viewer v;
	struct frag f;
	struct up u;
	struct resp r = {0};
	uint32_t i;

	open_ok(&v, "cam-front", 3, "a session that expires in 3 s");
	for (i = 0; i < 30; i++) {
		/* The viewer keeps fetching, so only the expiry ends it. */
		req(&r, "GET", pathf("/v1/live/%s", v.sid_hex), OWN.token, NULL);
		frag_make(&f, c, &CAM, v.sid, i, 300);
		frag_put(&u, &v, i, "cam-front", &f);
		frag_free(&f);
		if (u.status != 201)
			break;
		sleep_ms(300);
	}
	CHECK(u.status == 410 && now_s() >= v.exp && now_s() <= v.exp + 2,
	      "at its expiry the camera's PUT gets 410 (got %ld)", u.status);
	req(&r, "GET", pathf("/v1/live/%s", v.sid_hex), OWN.token, NULL);
	expect_err(&r, 410, "gone", NULL, "and the viewer 410");
	resp_free(&r);
}

static void
test_memory(struct cam *c)
{
	struct viewer v;
	struct frag f;
	struct up u;
	uint32_t i;
	long st[5] = {0};

	struct viewer v2;

	open_ok(&v, "cam-front", 120, "a session for the memory cap");
	/* [live] session_memory 700 KiB: fragment 0 and one of 300 KiB fit, a
	 * third is over this session's share: 507, for it alone. */
	for (i = 0; i < 3; i++) {
		frag_make(&f, c, &CAM, v.sid, i, 300 * 1024);
		frag_put(&u, &v, i, "cam-front", &f);
		frag_free(&f);
		st[i] = u.status;
	}
	CHECK(st[0] == 201 && st[1] == 201 && st[2] == 507,
	      "[live] session_memory 700 KiB: 201 201 then 507 for that session (got %ld %ld %ld)",
	      st[0], st[1], st[2]);
	/* Another session still has room; [live] memory 1 MiB in all. */
	open_ok(&v2, "cam-back", 120, "a second session while the first holds its share");
	for (i = 0; i < 2; i++) {
		frag_make(&f, c, &CAM2, v2.sid, i, 300 * 1024);
		cam_put(&u, frag_path(&v2, i), "application/octet-stream", "cam-back", f.sig, f.p,
			f.len, -1);
		frag_free(&f);
		st[3 + i] = u.status;
	}
	CHECK(st[3] == 201 && st[4] == 503,
	      "the other session's fragment 0: 201; then [live] memory 1 MiB is full: 503 (got %ld %ld)",
	      st[3], st[4]);
	{
		struct resp r = {0};

		req(&r, "DELETE", pathf("/v1/live/%s", v.sid_hex), OWN.token, NULL);
		expect_status(&r, 204, "deleted: its memory is free again");
		req(&r, "DELETE", pathf("/v1/live/%s", v2.sid_hex), OWN.token, NULL);
		expect_status(&r, 204, "the second deleted too");
		resp_free(&r);
	}
	open_ok(&v, "cam-front", 120, "a new session after the memory was freed");
	frag_make(&f, c, &CAM, v.sid, 0, 300 * 1024);
	frag_put(&u, &v, 0, "cam-front", &f);
	frag_free(&f);
	CHECK(u.status == 201, "its fragment 0 fits again: 201 (got %ld)", u.status);
	{
		struct resp r = {0};

		req(&r, "DELETE", pathf("/v1/live/%s", v.sid_hex), OWN.token, NULL);
		resp_free(&r);
	}
}

/* At most 4 GETs wait on one session: the fifth gets 429 at once. */
static void
test_waiters_cap(struct cam *c)
{
	struct viewer v;
	struct poll_arg pa[4];
	struct resp r = {0};
	pthread_t th[4];
	char p[128];
	int i, round, ok204 = 0;

	(void)c;
	open_ok(&v, "cam-front", 60, "a session for the waiters' cap");
	fmt(p, sizeof(p), "%s", frag_path(&v, 5));
	/* No sign tells that all four wait: a fifth GET that is not refused
	 * waited itself (a thread not yet waiting on a loaded machine); once
	 * more then, with a longer pause, still well within [live] wait. */
	for (round = 0; round < 2; round++) {
		for (i = 0; i < 4; i++) {
			memset(&pa[i], 0, sizeof(pa[i]));
			pa[i].path = p;
			pa[i].token = OWN.token;
			pthread_create(&th[i], NULL, poll_thread, &pa[i]);
		}
		sleep_ms(round == 0 ? 500 : 1000);
		req(&r, "GET", p, OWN.token, NULL);
		ok204 = 0;
		for (i = 0; i < 4; i++) {
			pthread_join(th[i], NULL);
			ok204 += pa[i].r.status == 204;
			resp_free(&pa[i].r);
		}
		if (r.status == 429)
			break;
		printf("# round %d: the fifth GET got %ld after %.2f s, %d of the four got 204\n", round + 1,
		       r.status, r.secs, ok204);
	}
	CHECK(r.status == 429 && strcmp(ecode(&r), "too-many") == 0 && r.retry_after[0] != '\0' &&
		      r.secs < 1.0,
	      "a fifth GET waiting on one session: 429 too-many at once, with Retry-After (got %ld)",
	      r.status);
	CHECK(ok204 == 4, "the four waiting got 204 after [live] wait (%d did)", ok204);
	req(&r, "DELETE", pathf("/v1/live/%s", v.sid_hex), OWN.token, NULL);
	resp_free(&r);
}

/* ---- the security review's findings (docs/live.md) ---- */

static struct acct BOB, CARL;

static long
account_id_of(const char *email)
{
	struct resp r = {0};
	json_t *m;
	size_t i;
	long id = 0;

	req(&r, "GET", pathf("/v1/homes/%s/members", H), OWN.token, NULL);
	m = json_object_get(r.json, "members");
	for (i = 0; i < json_array_size(m); i++) {
		json_t *e = json_array_get(m, i);

		if (strcmp(js(e, "email"), email) == 0)
			id = (long)ji(e, "account_id");
	}
	resp_free(&r);
	return id;
}

static void
owner_add(struct acct *a)
{
	struct resp r = {0};

	jreq(&r, "POST", pathf("/v1/homes/%s/members", H), OWN.token,
	     json_pack("{s:s, s:s}", "email", a->email, "role", "owner"));
	expect_status(&r, 201, "a second owner added");
	resp_free(&r);
}

/* A raw connection to porterd that sends head (and no more). */
static int
raw_send(const char *head, int rcvbuf)
{
	struct sockaddr_in sa;
	const char *pp = strrchr(g_s.base, ':');
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)(pp != NULL ? atoi(pp + 1) : 0));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0)
		bail("socket");
	if (rcvbuf > 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		bail("connect");
	if (write(fd, head, strlen(head)) != (ssize_t)strlen(head))
		bail("write");
	return fd;
}

/* The status of the answer on fd within ms (0: none; -1: closed without
 * one). */
static int
raw_status(int fd, int ms)
{
	char b[16];
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
	ssize_t k;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	k = recv(fd, b, 12, MSG_WAITALL);
	if (k == 0 || (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK))
		return -1;
	if (k < 12)
		return 0;
	b[12] = '\0';
	return atoi(b + 9);
}

static long
rss_kb(void)
{
	char path[64], line[256];
	long kb = 0;
	FILE *fp;

	fmt(path, sizeof(path), "/proc/%d/status", (int)g_s.pid);
	if ((fp = fopen(path, "r")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), fp) != NULL)
		if (strncmp(line, "VmRSS:", 6) == 0)
			kb = atol(line + 6);
	fclose(fp);
	return kb;
}

/* 1. A removed owner's session ends; any owner may end another's. */
static void
test_removed_owner(struct cam *c)
{
	struct resp r = {0};
	struct viewer w;
	struct frag f;
	struct up u;
	long bob;

	(void)c;
	acct_set(&BOB, "bob@example.org", "Bob");
	signup_as(&g_cl, &r, &BOB, NULL, NULL);
	signin(&g_cl, &r, &BOB);
	owner_add(&BOB);
	bob = account_id_of(BOB.email);
	CHECK(bob > 0, "Bob's account id (%ld)", bob);
	viewer_new(&w, &OK1, H, "cam-front", now_s(), now_s() + 300);
	live_post(&r, BOB.token, H, &w);
	expect_status(&r, 202, "Bob (an owner) opens a live view");
	frag_make(&f, c, &CAM, w.sid, 0, 500);
	frag_put(&u, &w, 0, "cam-front", &f);
	frag_free(&f);
	CHECK(u.status == 201, "the camera's fragment 0: 201 (got %ld)", u.status);
	req(&r, "GET", pathf("/v1/live/%s", w.sid_hex), BOB.token, NULL);
	expect_status(&r, 200, "Bob reads his session");
	req(&r, "DELETE", pathf("/v1/homes/%s/members/%ld", H, bob), OWN.token, NULL);
	expect_status(&r, 204, "Ana removes Bob from the home");
	req(&r, "GET", pathf("/v1/live/%s", w.sid_hex), BOB.token, NULL);
	expect_err(&r, 404, "not-found", NULL, "removed, Bob's GET /v1/live/{s}: 404");
	req(&r, "GET", frag_path(&w, 0), BOB.token, NULL);
	expect_err(&r, 404, "not-found", NULL, "and his GET of fragment 0: 404");
	frag_make(&f, c, &CAM, w.sid, 1, 500);
	frag_put(&u, &w, 1, "cam-front", &f);
	frag_free(&f);
	CHECK(u.status == 410, "the camera's next PUT: 410, the session is over (got %ld)", u.status);

	/* Back as an owner: another owner (Ana) may end his session. */
	owner_add(&BOB);
	viewer_new(&w, &OK1, H, "cam-front", now_s(), now_s() + 300);
	live_post(&r, BOB.token, H, &w);
	expect_status(&r, 202, "Bob, an owner again, opens another live view");
	req(&r, "GET", pathf("/v1/live/%s", w.sid_hex), OWN.token, NULL);
	expect_err(&r, 404, "not-found", NULL, "Ana cannot read Bob's session: 404");
	req(&r, "DELETE", pathf("/v1/live/%s", w.sid_hex), MEM.token, NULL);
	expect_err(&r, 404, "not-found", NULL, "a household member cannot end it: 404");
	req(&r, "DELETE", pathf("/v1/live/%s", w.sid_hex), OWN.token, NULL);
	expect_status(&r, 204, "Ana (an owner of the home) ends Bob's session: 204");
	frag_make(&f, c, &CAM, w.sid, 0, 500);
	frag_put(&u, &w, 0, "cam-front", &f);
	frag_free(&f);
	CHECK(u.status == 410, "the camera's next PUT: 410 (got %ld)", u.status);
	req(&r, "GET", pathf("/v1/live/%s", w.sid_hex), BOB.token, NULL);
	expect_err(&r, 410, "gone", NULL, "Bob's GET: 410");
	resp_free(&r);
}

/* 2. Opening and ending in a loop: 429 for that account after
 * STARTS_PER_MIN, never 503, and another account still opens. */
static void
test_open_delete_loop(void)
{
	struct resp r = {0};
	struct viewer w;
	int i, n202 = 0, n429 = 0, n503 = 0, other = 0;

	acct_set(&CARL, "carl@example.org", "Carl");
	signup_as(&g_cl, &r, &CARL, NULL, NULL);
	signin(&g_cl, &r, &CARL);
	owner_add(&CARL);
	for (i = 0; i < 30; i++) {
		viewer_new(&w, &OK1, H, "cam-front", now_s(), now_s() + 600);
		live_post(&r, CARL.token, H, &w);
		if (r.status == 202) {
			n202++;
			req(&r, "DELETE", pathf("/v1/live/%s", w.sid_hex), CARL.token, NULL);
			if (r.status != 204)
				other++;
		} else if (r.status == 429 && strcmp(ecode(&r), "too-many") == 0 &&
			   r.retry_after[0] != '\0') {
			n429++;
		} else if (r.status == 503) {
			n503++;
		} else {
			other++;
		}
	}
	CHECK(n503 == 0 && other == 0 && n202 == 20 && n429 == 10,
	      "30 POST + DELETE by one account ([live] sessions %d): 20 opened, then 429 too-many "
	      "with Retry-After; never 503 (%d 202, %d 429, %d 503, %d other)",
	      SESSIONS, n202, n429, n503, other);
	viewer_new(&w, &OK1, H, "cam-front", now_s(), now_s() + 60);
	live_post(&r, OWN.token, H, &w);
	expect_status(&r, 202, "then another account's POST /live: 202");
	req(&r, "DELETE", pathf("/v1/live/%s", w.sid_hex), OWN.token, NULL);
	expect_status(&r, 204, "(deleted)");
	resp_free(&r);
}

/* 3. Stalled uploads hold only their own session's slots, briefly. */
static void
test_stalled_uploads(struct cam *c)
{
	struct viewer a, b;
	struct frag f;
	struct up u;
	struct resp r = {0};
	char head[1024];
	int fds[4], nosig[2], first[4], i, n503 = 0, n401 = 0, closed = 0;
	double t0;

	open_ok(&a, "cam-front", 120, "session A, for stalled uploads");
	open_ok(&b, "cam-back", 120, "session B");
	frag_make(&f, c, &CAM, a.sid, 0, 1000);
	for (i = 0; i < 4; i++) {
		fmt(head, sizeof(head),
		    "PUT /v1/live/%s/fragments/%d HTTP/1.1\r\nHost: x\r\n"
		    "Content-Type: application/octet-stream\r\nPorter-Camera: cam-front\r\n"
		    "Porter-Signature: %s\r\nContent-Length: 4000000\r\n\r\nAB",
		    a.sid_hex, 100 + i, f.sig);
		fds[i] = raw_send(head, 0);
	}
	for (i = 0; i < 2; i++) {
		fmt(head, sizeof(head),
		    "PUT /v1/live/%s/fragments/%d HTTP/1.1\r\nHost: x\r\n"
		    "Content-Type: application/octet-stream\r\nPorter-Camera: cam-front\r\n"
		    "Content-Length: 4000000\r\n\r\nAB",
		    a.sid_hex, 200 + i);
		nosig[i] = raw_send(head, 0);
	}
	frag_free(&f);
	sleep_ms(300);
	for (i = 0; i < 2; i++)
		n401 += raw_status(nosig[i], 1000) == 401;
	CHECK(n401 == 2, "a fragment PUT without Porter-Signature: 401 before its body (%d of 2)",
	      n401);
	frag_make(&f, c, &CAM2, b.sid, 0, 1000);
	cam_put(&u, frag_path(&b, 0), "application/octet-stream", "cam-back", f.sig, f.p, f.len, -1);
	frag_free(&f);
	CHECK(u.status == 201,
	      "4 stalled uploads to session A: session B's fragment PUT still 201 (got %ld)",
	      u.status);
	for (i = 0; i < 4; i++)
		n503 += (first[i] = raw_status(fds[i], 300)) == 503;
	CHECK(n503 == 2, "of the 4 stalled on A, 2 were answered 503 before their body (%d)", n503);
	/* The two that were let in are cut off within the live upload
	 * time-out (the viewer fetching meanwhile, so A stays open). */
	t0 = mono();
	while (closed < 4 && mono() - t0 < 8.0) {
		req(&r, "GET", pathf("/v1/live/%s", a.sid_hex), OWN.token, NULL);
		for (i = 0, closed = 0; i < 4; i++) {
			if (first[i] != 503 && first[i] != -1)
				first[i] = raw_status(fds[i], 100) == -1 ? -1 : first[i];
			closed += first[i] == 503 || first[i] == -1;
		}
	}
	CHECK(closed == 4 && mono() - t0 < 8.0,
	      "the stalled uploads are closed within %.1f s (the live upload time-out, 5 s)",
	      mono() - t0);
	for (i = 0; i < 4; i++)
		close(fds[i]);
	for (i = 0; i < 2; i++)
		close(nosig[i]);
	sleep_ms(200);
	req(&r, "GET", pathf("/v1/live/%s", a.sid_hex), OWN.token, NULL);	/* a fetch */
	frag_make(&f, c, &CAM, a.sid, 0, 1000);
	frag_put(&u, &a, 0, "cam-front", &f);
	frag_free(&f);
	CHECK(u.status == 201, "then session A's own PUT: 201 (got %ld)", u.status);
	req(&r, "DELETE", pathf("/v1/live/%s", a.sid_hex), OWN.token, NULL);
	req(&r, "DELETE", pathf("/v1/live/%s", b.sid_hex), OWN.token, NULL);
	resp_free(&r);
}

/* 5. Many unread GETs of one big fragment: no copy each, at most 8 in
 * flight (429). */
static void
test_unread_gets(struct cam *c)
{
	struct viewer w;
	struct frag f;
	struct up u;
	struct resp r = {0};
	char head[1024];
	int fds[60], i, n200 = 0, n429 = 0, st;
	long rss0, rss1;

	open_ok(&w, "cam-front", 120, "a session with a big fragment 0");
	frag_make(&f, c, &CAM, w.sid, 0, 600 * 1024);
	frag_put(&u, &w, 0, "cam-front", &f);
	frag_free(&f);
	CHECK(u.status == 201, "its fragment 0 (600 KiB): 201 (got %ld)", u.status);
	rss0 = rss_kb();
	fmt(head, sizeof(head),
	    "GET /v1/live/%s/fragments/0 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n\r\n",
	    w.sid_hex, OWN.token);
	for (i = 0; i < 60; i++)
		fds[i] = raw_send(head, 4096);
	sleep_ms(1000);
	rss1 = rss_kb();
	for (i = 0; i < 60; i++) {
		st = raw_status(fds[i], 500);
		n200 += st == 200;
		n429 += st == 429;
	}
	/* On loopback the kernel takes 600 KiB at once, so the answers seldom
	 * stay in flight long enough for the cap (8) to be met. */
	CHECK(n200 + n429 == 60 && n200 >= 8,
	      "60 unread GETs of one fragment: each 200 (the bytes lent, not copied) or 429 "
	      "past 8 in flight (%d 200, %d 429)",
	      n200, n429);
	CHECK(rss1 - rss0 < 8192,
	      "and porterd's memory grew %ld kB, not a copy per GET (60 x 600 KiB)", rss1 - rss0);
	for (i = 0; i < 60; i++)
		close(fds[i]);
	sleep_ms(300);
	req(&r, "GET", frag_path(&w, 0), OWN.token, NULL);
	CHECK(r.status == 200 && r.len > 600 * 1024, "those closed, a GET is answered again (%ld)",
	      r.status);
	req(&r, "DELETE", pathf("/v1/live/%s", w.sid_hex), OWN.token, NULL);
	resp_free(&r);
}

/* Does the file at path hold the 32 bytes needle? */
static bool
file_has(const char *path, const uint8_t *needle, size_t nlen)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t cap = 0, len = 0, n;
	bool found = false;

	if (f == NULL)
		return false;
	for (;;) {
		if (len == cap) {
			uint8_t *nb = realloc(buf, cap = cap ? cap * 2 : 1 << 16);
			if (nb == NULL)
				break;
			buf = nb;
		}
		if ((n = fread(buf + len, 1, cap - len, f)) == 0)
			break;
		len += n;
	}
	fclose(f);
	for (n = 0; buf != NULL && len >= nlen && n <= len - nlen && !found; n++)
		found = buf[n] == needle[0] && memcmp(buf + n, needle, nlen) == 0;
	free(buf);
	return found;
}

static void
test_nothing_stored(const struct frag *f, const uint8_t *rec, size_t rec_len)
{
	const char *files[] = {g_s.log, g_s.db, pathf("%s-wal", g_s.db)};
	size_t i, checked = 0;
	bool leak = false;

	for (i = 0; i < 3; i++) {
		struct stat sb;

		if (i > 0 && g_pg)
			continue;
		if (stat(files[i], &sb) != 0)
			continue;
		checked++;
		leak |= file_has(files[i], f->p + PT_LIVE_HDR_LEN + 40, 32) ||
			file_has(files[i], f->p + f->len - 32, 32) ||
			file_has(files[i], rec + rec_len - 100, 32) ||
			(g_env_b64 != NULL && strlen(g_env_b64) > 40 &&
			 file_has(files[i], (const uint8_t *)g_env_b64 + strlen(g_env_b64) - 40, 40));
	}
	CHECK(checked >= (g_pg ? 1u : 2u) && !leak,
	      "neither porterd's log nor its database holds fragment, key record or request bytes "
	      "(%zu files scanned)",
	      checked);
	/* The scan finds what is there: the session ids porterd does log. */
	CHECK(file_has(g_s.log, (const uint8_t *)g_sid_hex, strlen(g_sid_hex)),
	      "(the same scan finds the session id, which porterd logs)");
	free(g_env_b64);
	g_env_b64 = NULL;
}

int
main(int argc, char **argv)
{
	struct viewer v;
	struct cam c, c2;
	struct frag probe;
	struct up u;
	char extra[512];
	int st;

	harness_init(argc, argv, "live", 240);
	if (sodium_init() < 0)
		bail("sodium");
	broker_start();
	fmt(extra, sizeof(extra),
	    "[mqtt]\nbroker = 127.0.0.1:%d\n[live]\nidle_timeout = %ds\nwait = %ds\nbuffer = %d\n"
	    "memory = %d\nviewers_per_home = 2\nskew = 60s\nsessions = %d\nsession_memory = %d\n",
	    g_mq_port, IDLE_S, WAIT_S, BUFFER, MEMORY, SESSIONS, SESSION_MEMORY);
	server_init(&g_s, "s1", true, extra);
	if (!T_OK(server_start(&g_s), "porterd starts")) {
		log_tail(&g_s, 30);
		bail("porterd did not start");
	}
	client_init(&g_cl, g_s.base);
	key_new(&OK1);
	key_new(&OK2);
	key_new(&STRANGER);
	key_new(&CAM);
	key_new(&CAM2);
	key_new(&HUBK);
	c.k = &CAM;
	c.id = "cam-front";
	c2.k = &CAM2;
	c2.id = "cam-back";
	if ((c.live_key = pt_clip_key_new()) == NULL || (c2.live_key = pt_clip_key_new()) == NULL)
		bail("live key");
	setup();
	test_open(&v);
	test_viewer_limit();
	test_key(&v, &c, &c2);
	test_fragments(&v, &c);
	test_waiting_wakes_on_end(&c);
	test_idle(&c);
	test_expiry(&c);
	test_memory(&c);
	/* A fragment that went through porterd, for the scan below. */
	{
		struct viewer w;
		struct resp r = {0};

		open_ok(&w, "cam-front", 60, "a last session");
		frag_make(&probe, &c, &CAM, w.sid, 0, 4096);
		frag_put(&u, &w, 0, "cam-front", &probe);
		CHECK(u.status == 201, "its fragment 0: 201");
		req(&r, "GET", frag_path(&w, 0), OWN.token, NULL);
		expect_status(&r, 200, "fetched by the viewer");
		resp_free(&r);
		req(&r, "GET", "/v1/live/zz/fragments/0", OWN.token, NULL);
		expect_err(&r, 404, "not-found", NULL, "a malformed session id: 404");
		req(&r, "DELETE", pathf("/v1/live/%s", w.sid_hex), OWN.token, NULL);
		expect_status(&r, 204, "that session deleted");
		resp_free(&r);
	}
	test_waiters_cap(&c);
	test_removed_owner(&c);
	test_open_delete_loop();
	test_stalled_uploads(&c);
	test_unread_gets(&c);
	CHECK(atomic_load(&g_badshape) == 0, "every other error response is {\"error\": {...}} (%ld not)",
	      atomic_load(&g_badshape));
	{
		/* SIGTERM while a viewer waits: the wait ends, porterd exits 0
		 * (libmicrohttpd must not be stopped with a suspended connection). */
		struct viewer w;
		struct poll_arg pa;
		pthread_t th;
		double t0;
		bool stopped;
		char p[128];

		open_ok(&w, "cam-front", 60, "a session waited on at shutdown");
		fmt(p, sizeof(p), "%s", frag_path(&w, 0));
		memset(&pa, 0, sizeof(pa));
		pa.path = p;
		pa.token = OWN.token;
		pthread_create(&th, NULL, poll_thread, &pa);
		sleep_ms(400);
		t0 = mono();
		stopped = server_stop(&g_s, SIGTERM, 10000, &st);
		pthread_join(th, NULL);
		CHECK(stopped && WIFEXITED(st) && WEXITSTATUS(st) == 0 && mono() - t0 < 3.0,
		      "porterd stops cleanly, with a viewer waiting, in %.2f s", mono() - t0);
		CHECK(pa.r.status == 503 || pa.r.status == 0,
		      "the waiting GET was answered (503) or closed at shutdown (got %ld)",
		      pa.r.status);
		resp_free(&pa.r);
	}
	test_nothing_stored(&probe, g_rec, g_rec_len);
	frag_free(&probe);
	audit_verify(g_s.db, "after the live suite");
	pt_clip_key_free(c.live_key);
	pt_clip_key_free(c2.live_key);
	key_free(&OK1);
	key_free(&OK2);
	key_free(&STRANGER);
	key_free(&CAM);
	key_free(&CAM2);
	key_free(&HUBK);
	broker_kill();
	return harness_done();
}
