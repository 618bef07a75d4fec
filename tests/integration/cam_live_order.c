/*
 * cam_live_order: the hub's side of a live-view order, for
 * test_cam_live.sh (porter/live.h, "The order").
 *
 *   cam_live_order HUB_KEYFILE SOCKET CAMERA VIEWER_XPK_HEX SESSION_HEX|new
 *                  TIME_DELTA_MS LIFETIME_MS [raw]
 *
 * Signs an order with the hub key (pt_live_order_sign) for this camera,
 * session and viewer key, time = now + TIME_DELTA_MS (the wall clock, may
 * be negative), expiry = time + LIFETIME_MS, event seq 7, and sends it as
 * one datagram to SOCKET (porter-cam's clips.marks). "raw" encodes and
 * signs it here instead, byte by byte, without the encoder's checks: an
 * order that pt_live_order_sign would refuse (an expiry too far off).
 * Prints the session id in hex.
 *
 *   cam_live_order send SOCKET HEX
 *
 * sends any bytes (HEX) as one datagram (garbage for the tests).
 *
 * Exit: 0 sent; 1 anything else.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "porter/crypto.h"
#include "porter/keyfile.h"
#include "porter/live.h"
#include "porter/text.h"

static int
hexparse(const char *s, uint8_t *out, size_t len)
{
	size_t i;
	unsigned v;

	if (strlen(s) != 2 * len)
		return -1;
	for (i = 0; i < len; i++) {
		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (uint8_t)v;
	}
	return 0;
}

/* A CBOR head (major type, argument), shortest form. */
static size_t
head(uint8_t *p, unsigned major, uint64_t v)
{
	uint8_t m = (uint8_t)(major << 5);
	int i, n;

	if (v < 24) {
		p[0] = m | (uint8_t)v;
		return 1;
	}
	n = v <= 0xff ? 1 : v <= 0xffff ? 2 : v <= 0xffffffffu ? 4 : 8;
	p[0] = m | (uint8_t)(n == 1 ? 24 : n == 2 ? 25 : n == 4 ? 26 : 27);
	for (i = 0; i < n; i++)
		p[1 + i] = (uint8_t)(v >> (8 * (n - 1 - i)));
	return 1 + (size_t)n;
}

static size_t
bytes(uint8_t *p, unsigned major, const void *b, size_t len)
{
	size_t n = head(p, major, len);

	memcpy(p + n, b, len);
	return n + len;
}

/* The order as porter/live.h spells it, signed over the domain. */
static int
raw_order(const struct pt_signer *hub, const struct pt_live_order *o, uint8_t *out, size_t *out_len)
{
	uint8_t pl[256], msg[300], sig[PT_SIG_LEN];
	size_t n = 0, d = sizeof(PT_LIVE_ORDER_DOMAIN), m = 0;

	n += head(pl + n, 5, 8);
	n += head(pl + n, 0, 1), n += head(pl + n, 0, 1);
	n += head(pl + n, 0, 2), n += bytes(pl + n, 3, o->camera, strlen(o->camera));
	n += head(pl + n, 0, 3), n += bytes(pl + n, 2, o->session, PT_LIVE_ID_LEN);
	n += head(pl + n, 0, 4), n += head(pl + n, 0, o->event_seq);
	n += head(pl + n, 0, 5), n += head(pl + n, 0, o->time_ms);
	n += head(pl + n, 0, 6), n += head(pl + n, 0, o->expiry_ms);
	n += head(pl + n, 0, 7), n += bytes(pl + n, 2, o->viewer_xpk, PT_LIVE_XPK_LEN);
	n += head(pl + n, 0, 8), n += bytes(pl + n, 2, o->owner_kid, PT_KID_LEN);
	memcpy(msg, PT_LIVE_ORDER_DOMAIN, d);	/* with its 0x00 */
	memcpy(msg + d, pl, n);
	if (hub->sign(hub->arg, sig, msg, d + n) != PT_OK)
		return -1;
	m += head(out + m, 4, 2);
	m += bytes(out + m, 2, pl, n);
	m += bytes(out + m, 2, sig, PT_SIG_LEN);
	*out_len = m;
	return 0;
}

static int
send_to(const char *path, const uint8_t *p, size_t len)
{
	struct sockaddr_un sa;
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path))
		return 1;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0 ||
	    sendto(fd, p, len, 0, (struct sockaddr *)&sa, sizeof(sa)) != (ssize_t)len) {
		fprintf(stderr, "cam_live_order: cannot send to '%s': %s\n", path, strerror(errno));
		return 1;
	}
	close(fd);
	return 0;
}

/* cam_live_order send SOCKET HEX: any bytes, as one datagram. */
static int
send_hex(const char *path, const char *hex, unsigned times)
{
	uint8_t b[256];
	size_t n = strlen(hex) / 2;
	unsigned i;

	if (n == 0 || n > sizeof(b) || hexparse(hex, b, n) != 0)
		return 1;
	for (i = 0; i < times; i++)
		if (send_to(path, b, n) != 0)
			return 1;
	return 0;
}

int
main(int argc, char **argv)
{
	struct pt_live_order o;
	struct pt_secret *hub;
	struct pt_signer sg;
	struct pt_errbuf err;
	struct timespec ts;
	uint8_t buf[512];
	char hex[2 * PT_LIVE_ID_LEN + 1];
	size_t len = 0;
	long long delta, life;
	uint64_t now;

	/* send SOCKET HEX [TIMES]: the bytes as they are, TIMES times in a
	 * row from this one process (a burst, whatever the machine's load) */
	if ((argc == 4 || argc == 5) && strcmp(argv[1], "send") == 0)
		return send_hex(argv[2], argv[3],
				argc == 5 ? (unsigned)strtoul(argv[4], NULL, 10) : 1u);
	if (argc != 8 && !(argc == 9 && strcmp(argv[8], "raw") == 0)) {
		fprintf(stderr, "usage: cam_live_order HUB_KEYFILE SOCKET CAMERA VIEWER_XPK_HEX"
				" SESSION_HEX|new TIME_DELTA_MS LIFETIME_MS [raw]\n");
		return 1;
	}
	if (pt_crypto_init() != PT_OK || (hub = pt_secret_new()) == NULL)
		return 1;
	if (pt_keyfile_load(argv[1], hub, &err) != PT_OK) {
		fprintf(stderr, "cam_live_order: %s\n", err.msg);
		return 1;
	}
	pt_signer_sodium(&sg, hub);
	memset(&o, 0, sizeof(o));
	if (strlen(argv[3]) >= sizeof(o.camera))
		return 1;
	memcpy(o.camera, argv[3], strlen(argv[3]) + 1);
	if (hexparse(argv[4], o.viewer_xpk, PT_LIVE_XPK_LEN) != 0) {
		fprintf(stderr, "cam_live_order: the viewer key is not 64 hex digits\n");
		return 1;
	}
	if (strcmp(argv[5], "new") == 0)
		pt_random(o.session, PT_LIVE_ID_LEN);
	else if (hexparse(argv[5], o.session, PT_LIVE_ID_LEN) != 0)
		return 1;
	delta = strtoll(argv[6], NULL, 10);
	life = strtoll(argv[7], NULL, 10);
	clock_gettime(CLOCK_REALTIME, &ts);
	now = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
	o.event_seq = 7;
	o.time_ms = (uint64_t)((long long)now + delta);
	o.expiry_ms = (uint64_t)((long long)o.time_ms + life);
	memset(o.owner_kid, 0xab, PT_KID_LEN);
	if (argc == 9 ? raw_order(&sg, &o, buf, &len) != 0
		      : pt_live_order_sign(&sg, &o, buf, sizeof(buf), &len) != PT_OK) {
		fprintf(stderr, "cam_live_order: cannot sign the order\n");
		return 1;
	}
	pt_secret_free(hub);
	if (send_to(argv[2], buf, len) != 0)
		return 1;
	pt_hex(o.session, PT_LIVE_ID_LEN, hex);
	printf("%s\n", hex);
	return 0;
}
