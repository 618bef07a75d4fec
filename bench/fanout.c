/*
 * bench/fanout: many simulated hubs' MQTT connections in one process, for
 * bench/fanout.sh (revocation fan-out from porterd).
 *
 *   fanout keys N
 *       N fresh Ed25519 hub keys: "HUB_ID PUBKEY" per line (the id porterd
 *       gives the key: "hub-" and the hex of the first 8 bytes of its
 *       SHA-256; the key in base64url), for `porter hub pair --hub-key`.
 *       The secret halves are thrown away: these hubs never sign.
 *   fanout listen HOST PORT IDS_FILE SECONDS
 *       one libmosquitto client per hub id of IDS_FILE (first word of each
 *       line), username = client id = the hub id, all in one poll(2) loop
 *       in one thread; each subscribes to its own
 *       porter/v1/hub/<id>/revocations (QoS 1), as porter-hub does. Prints
 *       "ready N" once every SUBACK is in, then "recv HUB_ID UNIX_US BYTES"
 *       for each message, as it arrives (flushed), and exits after SECONDS.
 *
 * The fd limit must allow N sockets (fanout.sh raises it).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mosquitto.h>
#include <sodium.h>

#define HUBS_MAX 20000

struct hub {
	struct mosquitto *m;
	char id[32];
	int subscribed;
};

static size_t n_subscribed;

static uint64_t
unix_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int
keys(long n)
{
	unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES], h[32];
	char b64[sodium_base64_ENCODED_LEN(crypto_sign_PUBLICKEYBYTES,
					   sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
	char hex[17];

	for (long i = 0; i < n; i++) {
		crypto_sign_keypair(pk, sk);
		crypto_hash_sha256(h, pk, sizeof(pk));
		sodium_bin2hex(hex, sizeof(hex), h, 8);
		sodium_bin2base64(b64, sizeof(b64), pk, sizeof(pk),
				  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
		printf("hub-%s %s\n", hex, b64);
	}
	sodium_memzero(sk, sizeof(sk));
	return 0;
}

static void
on_connect(struct mosquitto *m, void *obj, int rc)
{
	struct hub *h = obj;
	char topic[96];

	if (rc != 0) {
		fprintf(stderr, "fanout: %s: connect refused: %s\n", h->id, mosquitto_connack_string(rc));
		return;
	}
	(void)snprintf(topic, sizeof(topic), "porter/v1/hub/%s/revocations", h->id);
	if (mosquitto_subscribe(m, NULL, topic, 1) != MOSQ_ERR_SUCCESS)
		fprintf(stderr, "fanout: %s: cannot subscribe\n", h->id);
}

static void
on_subscribe(struct mosquitto *m, void *obj, int mid, int qos_count, const int *granted)
{
	struct hub *h = obj;

	(void)m;
	(void)mid;
	if (qos_count == 1 && granted[0] <= 2 && !h->subscribed) {
		h->subscribed = 1;
		n_subscribed++;
	}
}

static void
on_message(struct mosquitto *m, void *obj, const struct mosquitto_message *msg)
{
	struct hub *h = obj;

	(void)m;
	printf("recv %s %llu %d\n", h->id, (unsigned long long)unix_us(), msg->payloadlen);
	fflush(stdout);
}

static int
listen_all(const char *host, int port, const char *ids, long seconds)
{
	static struct hub hubs[HUBS_MAX];
	static struct pollfd pfd[HUBS_MAX];
	char line[256];
	size_t n = 0, i;
	uint64_t end, misc = 0;
	int ready = 0;
	FILE *f = fopen(ids, "r");

	if (f == NULL) {
		fprintf(stderr, "fanout: cannot open '%s': %s\n", ids, strerror(errno));
		return 2;
	}
	while (n < HUBS_MAX && fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "%31s", hubs[n].id) == 1)
			n++;
	}
	fclose(f);
	mosquitto_lib_init();
	for (i = 0; i < n; i++) {
		struct hub *h = &hubs[i];
		if ((h->m = mosquitto_new(h->id, true, h)) == NULL ||
		    mosquitto_username_pw_set(h->m, h->id, NULL) != MOSQ_ERR_SUCCESS) {
			fprintf(stderr, "fanout: mosquitto_new failed at %zu\n", i);
			return 2;
		}
		mosquitto_connect_callback_set(h->m, on_connect);
		mosquitto_subscribe_callback_set(h->m, on_subscribe);
		mosquitto_message_callback_set(h->m, on_message);
		if (mosquitto_connect(h->m, host, port, 120) != MOSQ_ERR_SUCCESS) {
			fprintf(stderr, "fanout: cannot connect client %zu: %s\n", i, strerror(errno));
			return 2;
		}
	}
	end = mono_ms() + (uint64_t)seconds * 1000u;
	while (mono_ms() < end) {
		for (i = 0; i < n; i++) {
			pfd[i].fd = mosquitto_socket(hubs[i].m);
			pfd[i].events = (short)(POLLIN | (mosquitto_want_write(hubs[i].m) ? POLLOUT : 0));
			pfd[i].revents = 0;
		}
		if (poll(pfd, n, 100) < 0 && errno != EINTR)
			return 2;
		for (i = 0; i < n; i++) {
			if (pfd[i].revents & (POLLIN | POLLERR | POLLHUP))
				(void)mosquitto_loop_read(hubs[i].m, 1);
			if (pfd[i].revents & POLLOUT)
				(void)mosquitto_loop_write(hubs[i].m, 1);
		}
		if (mono_ms() >= misc) {
			for (i = 0; i < n; i++)
				(void)mosquitto_loop_misc(hubs[i].m);
			misc = mono_ms() + 1000;
		}
		if (!ready && n_subscribed == n) {
			printf("ready %zu\n", n);
			fflush(stdout);
			ready = 1;
		}
	}
	for (i = 0; i < n; i++) {
		mosquitto_disconnect(hubs[i].m);
		mosquitto_destroy(hubs[i].m);
	}
	mosquitto_lib_cleanup();
	return ready ? 0 : 1;
}

int
main(int argc, char **argv)
{
	if (sodium_init() < 0)
		return 2;
	if (argc == 3 && strcmp(argv[1], "keys") == 0)
		return keys(strtol(argv[2], NULL, 10));
	if (argc == 6 && strcmp(argv[1], "listen") == 0)
		return listen_all(argv[2], (int)strtol(argv[3], NULL, 10), argv[4],
				  strtol(argv[5], NULL, 10));
	fputs("usage: fanout keys N | fanout listen HOST PORT IDS_FILE SECONDS\n", stderr);
	return 2;
}
