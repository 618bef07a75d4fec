/*
 * tests/integration/live_peer.c: the owner's and the camera's side of a
 * live view request at the hub (docs/live.md, "The hub"), for
 * tests/integration/test_hub_live.sh. The script moves the bytes with
 * mosquitto_pub (a real MQTT client, playing porterd); this program makes
 * and signs what an owner's device would sign, and plays porter-cam's
 * marks socket, checking each order with pt_live_order_open against the
 * hub's public key.
 *
 *   live_peer kid PUB                   the key id (hex) of a public key
 *   live_peer pkhex PUB                 the public key in hex
 *   live_peer request KEY HOME CAMERA OUT [IAT_OFF [EXP_OFF [MODE]]]
 *       a PT_ENV_LIVE envelope signed by KEY into OUT: iat = now +
 *       IAT_OFF (0), exp = now + EXP_OFF (120), a fresh session id and
 *       viewer key; prints "session=HEX viewer=HEX kid=HEX exp=N".
 *       MODE "raw": the same claims encoded and signed here by hand
 *       (porter/cose.h), without pt_envelope_sign's checks, so that a
 *       request the library would refuse to make (exp more than
 *       PT_LIVE_SECONDS_MAX after iat) can be sent; "zero": by hand, with
 *       an all-zero viewer key.
 *   live_peer owner KEY HOME NEWPUB     an owner statement (PT_ENV_OWNER)
 *                                       by KEY endorsing NEWPUB, on stdout
 *   live_peer owners STATEMENT...       the owners payload (docs/mqtt.md)
 *   live_peer requests N KEY HOME CAMERA PREFIX
 *       N good requests (as "request" with the defaults) into PREFIX0 ..
 *       PREFIX<N-1>, one process for all of them.
 *   live_peer publish PORT USER PASSWORD TOPIC FILE...
 *       publish each file's bytes to TOPIC on the broker at
 *       127.0.0.1:PORT, QoS 1, over one connection (libmosquitto, a real
 *       MQTT client), in order; returns once the broker has acknowledged
 *       every one (at most 10 s). A burst that mosquitto_pub, one
 *       process and one connection per message, cannot make.
 *   live_peer recv SOCK HUBPUB          bind the Unix datagram socket SOCK
 *       (porter-cam's marks socket) and print one line per datagram until
 *       killed: "order camera=C session=S seq=N time=MS expiry=MS
 *       viewer=HEX owner=HEX" for an order that opens with HUBPUB,
 *       "bad-order REASON" for one that does not, "mark BYTES" for a mark.
 *
 * Binary output goes to stdout or OUT. Exit 0 ok, 1 refused, 2 usage or I/O.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <mosquitto.h>

#include "porter/cbor.h"
#include "porter/cose.h"
#include "porter/envelope.h"
#include "porter/keyfile.h"
#include "porter/live.h"
#include "porter/mqtt.h"
#include "porter/text.h"

static int
usage(void)
{
	fputs("usage: live_peer kid PUB\n"
	      "       live_peer pkhex PUB\n"
	      "       live_peer request KEY HOME CAMERA OUT [IAT_OFF [EXP_OFF [raw|zero]]]\n"
	      "       live_peer owner KEY HOME NEWPUB\n"
	      "       live_peer owners STATEMENT...\n"
	      "       live_peer requests N KEY HOME CAMERA PREFIX\n"
	      "       live_peer publish PORT USER PASSWORD TOPIC FILE...\n"
	      "       live_peer recv SOCK HUBPUB\n",
	      stderr);
	return 2;
}

static int64_t
parse_i64(const char *s)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0') {
		fprintf(stderr, "live_peer: '%s' is not a number\n", s);
		exit(2);
	}
	return (int64_t)v;
}

static int
emit(FILE *f, const uint8_t *p, size_t len)
{
	if (fwrite(p, 1, len, f) != len || fflush(f) != 0) {
		fprintf(stderr, "live_peer: cannot write: %s\n", strerror(errno));
		return 2;
	}
	return 0;
}

static struct pt_secret *
load_key(const char *path)
{
	struct pt_secret *s = pt_secret_new();
	struct pt_errbuf err;

	if (s == NULL || pt_keyfile_load(path, s, &err) != PT_OK) {
		fprintf(stderr, "live_peer: %s\n", s == NULL ? "out of memory" : err.msg);
		exit(2);
	}
	return s;
}

static void
load_pub(const char *arg, uint8_t pk[PT_PK_LEN])
{
	struct pt_errbuf err;

	if (pt_pubkey_parse(arg, pk, &err) != PT_OK) {
		fprintf(stderr, "live_peer: %s\n", err.msg);
		exit(2);
	}
}

static void
hexprint(const char *name, const uint8_t *p, size_t len)
{
	char hex[2 * 64 + 1];

	pt_hex(p, len, hex);
	printf("%s%s", name, hex);
}

/* The claims of docs/live.md's request, encoded as lib/core/envelope.c
 * does, signed with pt_sign1_sign: no check of what they say. */
static int
sign_by_hand(const struct pt_signer *sg, const struct pt_envelope *e, uint8_t *out, size_t cap,
	     size_t *out_len)
{
	uint8_t claims[PT_ENVELOPE_SIZE_MAX], kid[PT_KID_LEN];
	struct pt_cbor_wr w;
	int r;

	pt_kid(pt_crypto_sodium(), sg->pk, kid);
	pt_cbor_wr_init(&w, claims, sizeof(claims));
	pt_cbor_put_map(&w, 5);
	pt_cbor_put_int(&w, PT_CWT_AUD);
	pt_cbor_put_text(&w, e->aud, strlen(e->aud));
	pt_cbor_put_int(&w, PT_CWT_EXP);
	pt_cbor_put_uint(&w, (uint64_t)e->exp);
	pt_cbor_put_int(&w, PT_CWT_IAT);
	pt_cbor_put_uint(&w, (uint64_t)e->iat);
	pt_cbor_put_int(&w, PT_CWT_CTI);
	pt_cbor_put_bytes(&w, e->nonce, PT_CTI_LEN);
	pt_cbor_put_int(&w, PT_CWT_PORTER);
	pt_cbor_put_map(&w, 3);
	pt_cbor_put_int(&w, 1);
	pt_cbor_put_uint(&w, e->op);
	pt_cbor_put_int(&w, 2);
	pt_cbor_put_bytes(&w, e->target, e->target_len);
	pt_cbor_put_int(&w, 3);
	pt_cbor_put_text(&w, e->lock, strlen(e->lock));
	if ((r = pt_cbor_wr_status(&w)) != PT_OK)
		return r;
	return pt_sign1_sign(sg, kid, PT_KID_LEN, (const uint8_t *)PT_LIVE_REQUEST_DOMAIN,
			     strlen(PT_LIVE_REQUEST_DOMAIN), claims, w.len, out, cap, out_len);
}

static int
cmd_request(int argc, char **argv)
{
	uint8_t out[PT_ENVELOPE_SIZE_MAX + 64];
	struct pt_secret *s;
	struct pt_envelope e;
	struct pt_signer sg;
	const char *mode = argc > 6 ? argv[6] : "";
	int64_t now = (int64_t)time(NULL);
	size_t len = 0;
	FILE *f;
	int r, rc;

	if (argc < 4)
		return usage();
	s = load_key(argv[0]);
	memset(&e, 0, sizeof(e));
	e.kind = PT_ENV_LIVE;
	(void)snprintf(e.aud, sizeof(e.aud), "%s", argv[1]);
	(void)snprintf(e.lock, sizeof(e.lock), "%s", argv[2]);
	e.iat = now + (argc > 4 ? parse_i64(argv[4]) : 0);
	e.exp = now + (argc > 5 ? parse_i64(argv[5]) : 120);
	pt_random(e.nonce, sizeof(e.nonce));
	e.op = PT_LIVE_VIEW;
	e.target_len = PT_LIVE_XPK_LEN;
	if (strcmp(mode, "zero") == 0) {
		memset(e.target, 0, PT_LIVE_XPK_LEN);
	} else {
		/* A random 32-byte string is an X25519 public key (the curve's
		 * twist included); the few small-order ones are avoided. */
		do
			pt_random(e.target, PT_LIVE_XPK_LEN);
		while (!pt_live_xpk_is_valid(e.target));
	}
	pt_signer_sodium(&sg, s);
	if (mode[0] != '\0')
		r = sign_by_hand(&sg, &e, out, sizeof(out), &len);
	else
		r = pt_envelope_sign(pt_crypto_sodium(), &sg, &e, out, sizeof(out), &len);
	pt_kid(pt_crypto_sodium(), sg.pk, e.kid);
	pt_secret_free(s);
	if (r != PT_OK) {
		fprintf(stderr, "live_peer: cannot sign: %s\n", pt_err_text(r));
		return 1;
	}
	if ((f = fopen(argv[3], "wb")) == NULL) {
		fprintf(stderr, "live_peer: cannot open '%s': %s\n", argv[3], strerror(errno));
		return 2;
	}
	rc = emit(f, out, len);
	if (fclose(f) != 0)
		rc = 2;
	hexprint("session=", e.nonce, PT_LIVE_ID_LEN);
	hexprint(" viewer=", e.target, PT_LIVE_XPK_LEN);
	hexprint(" kid=", e.kid, PT_KID_LEN);
	printf(" exp=%lld\n", (long long)e.exp);
	return rc;
}

static int
cmd_requests(char **argv)
{
	char out[4096], *args[4];
	int64_t i, n = parse_i64(argv[0]);
	int r;

	if (n < 1 || n > 1000)
		return usage();
	args[0] = argv[1];
	args[1] = argv[2];
	args[2] = argv[3];
	args[3] = out;
	for (i = 0; i < n; i++) {
		if (snprintf(out, sizeof(out), "%s%lld", argv[4], (long long)i) >= (int)sizeof(out))
			return usage();
		if ((r = cmd_request(4, args)) != 0)
			return r;
	}
	return 0;
}

static int acked;

static void
on_publish(struct mosquitto *m, void *arg, int mid)
{
	(void)m;
	(void)arg;
	(void)mid;
	acked++;
}

static int
cmd_publish(int argc, char **argv)
{
	static uint8_t buf[65536];
	struct mosquitto *m;
	struct timespec t0, t;
	int i, sent = 0, rc = 2;
	size_t len;

	if (argc < 5)
		return usage();
	mosquitto_lib_init();
	if ((m = mosquitto_new(NULL, true, NULL)) == NULL)
		goto out;
	mosquitto_publish_callback_set(m, on_publish);
	if (mosquitto_username_pw_set(m, argv[1], argv[2]) != MOSQ_ERR_SUCCESS ||
	    mosquitto_connect(m, "127.0.0.1", (int)parse_i64(argv[0]), 30) != MOSQ_ERR_SUCCESS) {
		fprintf(stderr, "live_peer: cannot connect to the broker\n");
		goto out_free;
	}
	for (i = 4; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		if (f == NULL) {
			fprintf(stderr, "live_peer: cannot open '%s': %s\n", argv[i], strerror(errno));
			goto out_free;
		}
		len = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		if (mosquitto_publish(m, NULL, argv[3], (int)len, buf, 1, false) != MOSQ_ERR_SUCCESS) {
			fprintf(stderr, "live_peer: cannot publish '%s'\n", argv[i]);
			goto out_free;
		}
		sent++;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		if (mosquitto_loop(m, 100, 1) != MOSQ_ERR_SUCCESS) {
			fprintf(stderr, "live_peer: the connection to the broker failed\n");
			break;
		}
		if (acked >= sent) {
			rc = 0;
			break;
		}
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec > 10) {
			fprintf(stderr, "live_peer: %d of %d acknowledged\n", acked, sent);
			rc = 1;
			break;
		}
	}
	mosquitto_disconnect(m);
out_free:
	mosquitto_destroy(m);
out:
	mosquitto_lib_cleanup();
	return rc;
}

static int
cmd_owner(char **argv)
{
	uint8_t out[PT_ENVELOPE_SIZE_MAX];
	struct pt_secret *s = load_key(argv[0]);
	struct pt_envelope e;
	struct pt_signer sg;
	size_t len;
	int r;

	memset(&e, 0, sizeof(e));
	e.kind = PT_ENV_OWNER;
	(void)snprintf(e.aud, sizeof(e.aud), "%s", argv[1]);
	e.iat = (int64_t)time(NULL);
	pt_random(e.nonce, sizeof(e.nonce));
	e.op = PT_OWNER_ADD;
	load_pub(argv[2], e.target);
	e.target_len = PT_PK_LEN;
	pt_signer_sodium(&sg, s);
	r = pt_envelope_sign(pt_crypto_sodium(), &sg, &e, out, sizeof(out), &len);
	pt_secret_free(s);
	if (r != PT_OK) {
		fprintf(stderr, "live_peer: cannot sign: %s\n", pt_err_text(r));
		return 1;
	}
	return emit(stdout, out, len);
}

static int
cmd_owners(int argc, char **argv)
{
	static uint8_t st[PT_MQTT_OWNERS_MAX][PT_ENVELOPE_SIZE_MAX + 1];
	static uint8_t out[PT_MQTT_OWNERS_PAYLOAD_MAX];
	struct pt_mqtt_owners m;
	size_t len;
	int i;

	memset(&m, 0, sizeof(m));
	if (argc > PT_MQTT_OWNERS_MAX)
		return usage();
	for (i = 0; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		if (f == NULL) {
			fprintf(stderr, "live_peer: cannot open '%s': %s\n", argv[i], strerror(errno));
			return 2;
		}
		m.s[m.n].statement_len = fread(st[m.n], 1, sizeof(st[m.n]), f);
		fclose(f);
		m.s[m.n].statement = st[m.n];
		m.n++;
	}
	if (pt_mqtt_owners_encode(&m, out, sizeof(out), &len) != PT_OK) {
		fprintf(stderr, "live_peer: cannot encode the owners\n");
		return 1;
	}
	return emit(stdout, out, len);
}

static int
cmd_recv(const char *path, const char *hubpub)
{
	uint8_t pk[PT_PK_LEN], buf[4096];
	struct pt_live_order o;
	struct sockaddr_un sa;
	ssize_t n;
	int fd, r;

	load_pub(hubpub, pk);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path))
		return usage();
	memcpy(sa.sun_path, path, strlen(path) + 1);
	(void)unlink(path);
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		fprintf(stderr, "live_peer: cannot bind '%s': %s\n", path, strerror(errno));
		return 2;
	}
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "live_peer: recv: %s\n", strerror(errno));
			return 2;
		}
		if (!pt_live_is_order(buf, (size_t)n)) {
			printf("mark %zd\n", n);
		} else if ((r = pt_live_order_open(pt_crypto_sodium(), pk, buf, (size_t)n, &o)) !=
			   PT_OK) {
			printf("bad-order %s\n", pt_err_code(r));
		} else {
			printf("order camera=%s", o.camera);
			hexprint(" session=", o.session, PT_LIVE_ID_LEN);
			printf(" seq=%llu time=%llu expiry=%llu", (unsigned long long)o.event_seq,
			       (unsigned long long)o.time_ms, (unsigned long long)o.expiry_ms);
			hexprint(" viewer=", o.viewer_xpk, PT_LIVE_XPK_LEN);
			hexprint(" owner=", o.owner_kid, PT_KID_LEN);
			printf("\n");
		}
		fflush(stdout);
	}
}

int
main(int argc, char **argv)
{
	uint8_t pk[PT_PK_LEN], kid[PT_KID_LEN];

	if (pt_crypto_init() != PT_OK)
		return 2;
	if (argc < 3)
		return usage();
	if (strcmp(argv[1], "kid") == 0 && argc == 3) {
		load_pub(argv[2], pk);
		pt_kid(pt_crypto_sodium(), pk, kid);
		hexprint("", kid, PT_KID_LEN);
		printf("\n");
		return 0;
	}
	if (strcmp(argv[1], "pkhex") == 0 && argc == 3) {
		load_pub(argv[2], pk);
		hexprint("", pk, PT_PK_LEN);
		printf("\n");
		return 0;
	}
	if (strcmp(argv[1], "request") == 0 && argc >= 6 && argc <= 9)
		return cmd_request(argc - 2, argv + 2);
	if (strcmp(argv[1], "requests") == 0 && argc == 7)
		return cmd_requests(argv + 2);
	if (strcmp(argv[1], "publish") == 0)
		return cmd_publish(argc - 2, argv + 2);
	if (strcmp(argv[1], "owner") == 0 && argc == 5)
		return cmd_owner(argv + 2);
	if (strcmp(argv[1], "owners") == 0)
		return cmd_owners(argc - 2, argv + 2);
	if (strcmp(argv[1], "recv") == 0 && argc == 4)
		return cmd_recv(argv[2], argv[3]);
	return usage();
}
