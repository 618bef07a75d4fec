/*
 * porterd_mqtt_peer: a minimal paired hub for tests/integration/
 * test_porterd_mqtt.sh. It speaks docs/mqtt.md with the real codec
 * (lib/proto/mqtt.c) and the hub's real key: it publishes signed event
 * batches, state and the last will, and records what porterd sends down
 * (acks, revocations, commands, beacons). One action per run:
 *
 *   porterd_mqtt_peer id KEYFILE
 *       the hub id porterd gives this key ("hub-" and its key id)
 *   porterd_mqtt_peer sign-command --key OWNER_KEY --home H --op lock|unlock
 *                                  [--lock ID] [--age SECONDS]
 *       an owner-signed PT_ENV_COMMAND, base64url, on stdout
 *   porterd_mqtt_peer batch  COMMON --key HUB_KEY --from A --to B
 *                            [--event SEQ:TYPE:JSON]... [--fork-from S] [--bad-sig]
 *                            [--at0 SEQ]
 *       the events A..B of this hub's deterministic chain (seq k: at
 *       1781085600 + k, "door.open", {"n":k}; --event replaces one,
 *       --fork-from makes every event from S on another one, --at0 records
 *       SEQ at time 0 as a hub that does not know the time), signed
 *   porterd_mqtt_peer state  COMMON (--online --rev N | --offline)
 *   porterd_mqtt_peer home   COMMON --key HUB_KEY --home H [--owner-key KEY] [--bad-sig]
 *       the hub's word on its home (PT_ENV_HUB_HOME, docs/mqtt.md "home"),
 *       signed by --key (another key than the hub's to test a forgery),
 *       the owner key it names --owner-key's public half (default 32
 *       bytes of 7), published retained as porter-hub does; --home ""
 *       clears the retained message (an empty payload)
 *   porterd_mqtt_peer will   COMMON [--rev N]
 *       connect with the offline state as will, say online, then drop the
 *       connection without DISCONNECT: the broker publishes the will
 *   porterd_mqtt_peer listen COMMON --out DIR [--seconds N]
 *       subscribe to the hub's ack, revocations, commands and time; for
 *       each message append a line to DIR/log and keep the bytes:
 *       DIR/ack-N.bin, DIR/rev-<version>.env (each envelope),
 *       DIR/command-N.env (the envelope), DIR/time-N.bin
 *
 *   porterd_mqtt_peer chain-check --key HUB_KEY --id HUB_ID
 *       check a slice of the hub's chain as porterd serves it (GET
 *       .../hubs/{hub_id}/chain, turned by the test into lines of hex on
 *       stdin: "key PK", "prev HASH", "event SEQ AT TYPE DATA HASH"...,
 *       "cp SEQ SIG"...) with libporter, as an evidence bundle is checked:
 *       the key is HUB_KEY's public half, the seqs consecutive, every hash
 *       recomputes from prev (pt_event_hash), every checkpoint names an
 *       event of the slice and verifies over its hash (pt_checkpoint_verify)
 *       and the last event has one. "ok events=N checkpoints=M", or what
 *       failed first and exit 3.
 *
 *   COMMON: --broker HOST:PORT --user U --pass-file F --id HUB_ID
 *
 * Exit 0 on success, 1 on a usage error, 2 otherwise.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <mosquitto.h>

#include "porter/crypto.h"
#include "porter/envelope.h"
#include "porter/event.h"
#include "porter/keyfile.h"
#include "porter/mqtt.h"

#define EVENTS_MAX 512
#define OVERRIDES_MAX 16
#define AT_BASE 1781085600

struct override {
	int64_t seq;
	char type[PT_EVENT_TYPE_LEN_MAX + 1];
	char data[PT_EVENT_DATA_MAX + 1];
};

struct opts {
	const char *broker, *user, *pass_file, *id, *key, *out, *home, *op, *lock, *owner_key;
	int64_t from, to, fork_from, rev, seconds, age, at0;
	bool bad_sig, online, offline;
	struct override ov[OVERRIDES_MAX];
	size_t n_ov;
};

static volatile sig_atomic_t stop_flag;
static int published_mid = -1;
static volatile bool acked, connected_ok, connect_failed;

__attribute__((format(printf, 1, 2), noreturn)) static void
die(const char *fmt, ...);

static void
die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "porterd_mqtt_peer: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static void
on_sig(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static struct pt_secret *
key_load(const char *path)
{
	struct pt_errbuf err;
	struct pt_secret *s = pt_secret_new();

	if (s == NULL || pt_keyfile_load(path, s, &err) != PT_OK)
		die("%s", s == NULL ? "out of memory" : err.msg);
	return s;
}

static void
hub_id_of(const uint8_t pk[PT_PK_LEN], char out[PT_ID_MAX + 1])
{
	uint8_t kid[PT_KID_LEN];
	size_t i;

	pt_kid(pt_crypto_sodium(), pk, kid);
	memcpy(out, "hub-", 4);
	for (i = 0; i < PT_KID_LEN; i++)
		(void)snprintf(out + 4 + 2 * i, 3, "%02x", kid[i]);
}

static void
hexs(const uint8_t *p, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		(void)snprintf(out + 2 * i, 3, "%02x", p[i]);
}

/* ---- the MQTT client ---- */

static void
cb_connect(struct mosquitto *mq, void *obj, int rc)
{
	(void)mq;
	(void)obj;
	if (rc == 0)
		connected_ok = true;
	else
		connect_failed = true;
}

static void
cb_publish(struct mosquitto *mq, void *obj, int mid)
{
	(void)mq;
	(void)obj;
	if (mid == published_mid)
		acked = true;
}

static char *
password(const char *path)
{
	static char pw[256];
	FILE *f = fopen(path, "r");

	if (f == NULL || fgets(pw, sizeof(pw), f) == NULL)
		die("cannot read the password file '%s'", path);
	fclose(f);
	pw[strcspn(pw, "\r\n")] = '\0';
	return pw;
}

static struct mosquitto *
client(const struct opts *o, const char *suffix, bool clean, const uint8_t *will, size_t will_len)
{
	char host[256], cid[PT_ID_MAX + 16];
	const char *colon;
	struct mosquitto *mq;
	int port, i;

	if (o->broker == NULL || o->user == NULL || o->pass_file == NULL || o->id == NULL)
		die("%s", "--broker, --user, --pass-file and --id are required");
	colon = strrchr(o->broker, ':');
	if (colon == NULL || (size_t)(colon - o->broker) >= sizeof(host))
		die("--broker '%s' is not HOST:PORT", o->broker);
	memcpy(host, o->broker, (size_t)(colon - o->broker));
	host[colon - o->broker] = '\0';
	port = atoi(colon + 1);
	(void)snprintf(cid, sizeof(cid), "%s%s", o->id, suffix);
	if ((mq = mosquitto_new(cid, clean, NULL)) == NULL)
		die("%s", "cannot make a client");
	mosquitto_connect_callback_set(mq, cb_connect);
	mosquitto_publish_callback_set(mq, cb_publish);
	if (mosquitto_username_pw_set(mq, o->user, password(o->pass_file)) != MOSQ_ERR_SUCCESS)
		die("%s", "cannot set the password");
	if (will != NULL) {
		char topic[PT_MQTT_TOPIC_CAP];
		size_t tl;
		if (pt_mqtt_topic_build(PT_MQTT_STATE, o->id, topic, sizeof(topic), &tl) != PT_OK ||
		    mosquitto_will_set(mq, topic, (int)will_len, will, 1, true) != MOSQ_ERR_SUCCESS)
			die("%s", "cannot set the will");
	}
	if (mosquitto_connect(mq, host, port, 30) != MOSQ_ERR_SUCCESS)
		die("cannot connect to '%s'", o->broker);
	for (i = 0; i < 1000 && !connected_ok && !connect_failed; i++)
		if (mosquitto_loop(mq, 10, 1) != MOSQ_ERR_SUCCESS)
			break;
	if (!connected_ok)
		die("the broker at '%s' refused the connection", o->broker);
	return mq;
}

/* Publish and wait for the broker's PUBACK (QoS 1) or the write (QoS 0). */
static void
send_msg(struct mosquitto *mq, int leaf, const char *id, const uint8_t *p, size_t len, int qos,
	 bool retain)
{
	char topic[PT_MQTT_TOPIC_CAP];
	size_t tl;
	int i;

	if (pt_mqtt_topic_build(leaf, id, topic, sizeof(topic), &tl) != PT_OK)
		die("%s", "cannot build the topic");
	acked = false;
	if (mosquitto_publish(mq, &published_mid, topic, (int)len, p, qos, retain) !=
	    MOSQ_ERR_SUCCESS)
		die("cannot publish to '%s'", topic);
	for (i = 0; i < 1000 && !acked; i++)
		if (mosquitto_loop(mq, 10, 1) != MOSQ_ERR_SUCCESS)
			break;
	if (!acked)
		die("no PUBACK for '%s'", topic);
}

/* ---- the chain ---- */

struct chain {
	int64_t at[EVENTS_MAX + 1];
	char type[EVENTS_MAX + 1][PT_EVENT_TYPE_LEN_MAX + 1];
	char data[EVENTS_MAX + 1][PT_EVENT_DATA_MAX + 1];
	uint8_t hash[EVENTS_MAX + 1][PT_HASH_LEN];	/* [0]: the zero prev */
};

static void
chain_make(const struct opts *o, struct chain *c, int64_t upto)
{
	int64_t k;
	size_t i;

	memset(c->hash[0], 0, PT_HASH_LEN);
	for (k = 1; k <= upto; k++) {
		c->at[k] = k == o->at0 ? 0 : AT_BASE + k;
		(void)snprintf(c->type[k], sizeof(c->type[k]), "door.open");
		if (o->fork_from > 0 && k >= o->fork_from)
			(void)snprintf(c->data[k], sizeof(c->data[k]), "{\"fork\":1,\"n\":%lld}",
				       (long long)k);
		else
			(void)snprintf(c->data[k], sizeof(c->data[k]), "{\"n\":%lld}", (long long)k);
		for (i = 0; i < o->n_ov; i++) {
			if (o->ov[i].seq != k)
				continue;
			memcpy(c->type[k], o->ov[i].type, sizeof(c->type[k]));
			memcpy(c->data[k], o->ov[i].data, sizeof(c->data[k]));
		}
		if (pt_event_hash(pt_crypto_sodium(), c->hash[k - 1], k, c->at[k], c->type[k],
				  strlen(c->type[k]), (const uint8_t *)c->data[k], strlen(c->data[k]),
				  c->hash[k]) != PT_OK)
			die("%s", "cannot hash an event (a bad --event?)");
	}
}

static int
cmd_batch(const struct opts *o)
{
	static struct chain c;
	static struct pt_mqtt_events b;
	static uint8_t buf[PT_MQTT_EVENTS_PAYLOAD_MAX];
	struct pt_secret *s;
	struct pt_signer sg;
	struct mosquitto *mq;
	size_t len, i;
	int64_t k;

	if (o->key == NULL || o->from < 1 || o->to < o->from || o->to > EVENTS_MAX ||
	    o->to - o->from >= PT_MQTT_EVENTS_MAX)
		die("%s", "--key, and --from A --to B (1 <= A <= B, at most 32 events) are needed");
	chain_make(o, &c, o->to);
	memset(&b, 0, sizeof(b));
	for (k = o->from, i = 0; k <= o->to; k++, i++) {
		b.ev[i].seq = k;
		b.ev[i].at = c.at[k];
		b.ev[i].type = c.type[k];
		b.ev[i].type_len = strlen(c.type[k]);
		b.ev[i].data = (const uint8_t *)c.data[k];
		b.ev[i].data_len = strlen(c.data[k]);
		memcpy(b.ev[i].prev, c.hash[k - 1], PT_HASH_LEN);
		memcpy(b.ev[i].hash, c.hash[k], PT_HASH_LEN);
	}
	b.n = i;
	s = key_load(o->key);
	pt_signer_sodium(&sg, s);
	if (pt_mqtt_events_sign(&sg, o->id, &b) != PT_OK)
		die("%s", "cannot sign the batch");
	if (o->bad_sig)
		b.sig[7] ^= 0x01;
	if (pt_mqtt_events_encode(&b, buf, sizeof(buf), &len) != PT_OK)
		die("%s", "cannot encode the batch");
	mq = client(o, "-pub", true, NULL, 0);
	send_msg(mq, PT_MQTT_EVENTS, o->id, buf, len, 1, false);
	mosquitto_disconnect(mq);
	mosquitto_loop(mq, 50, 1);
	mosquitto_destroy(mq);
	pt_secret_free(s);
	{
		char hx[2 * PT_HASH_LEN + 1];
		hexs(c.hash[o->to], PT_HASH_LEN, hx);
		printf("sent %lld-%lld last_hash=%s\n", (long long)o->from, (long long)o->to, hx);
	}
	return 0;
}

static int
cmd_state(const struct opts *o, bool will)
{
	struct pt_mqtt_state st, off;
	uint8_t buf[PT_MQTT_STATE_PAYLOAD_MAX], wbuf[PT_MQTT_STATE_PAYLOAD_MAX];
	struct mosquitto *mq;
	size_t len, wlen;

	memset(&off, 0, sizeof(off));
	memset(&st, 0, sizeof(st));
	if (!will && o->online == o->offline)
		die("%s", "one of --online and --offline");
	if (will || o->online) {
		st.online = true;
		st.bolt = PT_MQTT_BOLT_LOCKED;
		st.door = PT_MQTT_DOOR_CLOSED;
		st.alarm = PT_MQTT_ALARM_NONE;
		st.camera = PT_MQTT_CAMERA_NONE;
		st.has_at = true;
		st.at = (int64_t)time(NULL);
		st.has_rev = true;
		st.rev = o->rev;
	}
	if (pt_mqtt_state_encode(&st, buf, sizeof(buf), &len) != PT_OK ||
	    pt_mqtt_state_encode(&off, wbuf, sizeof(wbuf), &wlen) != PT_OK)
		die("%s", "cannot encode the state");
	mq = client(o, will ? "-will" : "-state", true, will ? wbuf : NULL, wlen);
	send_msg(mq, PT_MQTT_STATE, o->id, buf, len, 1, true);
	if (will) {
		/* Vanish: no DISCONNECT, so the broker publishes the will. */
		fflush(stdout);
		_exit(0);
	}
	mosquitto_disconnect(mq);
	mosquitto_loop(mq, 50, 1);
	mosquitto_destroy(mq);
	return 0;
}

static int
cmd_home(const struct opts *o)
{
	uint8_t buf[PT_ENVELOPE_SIZE_MAX];
	struct pt_envelope e;
	struct pt_secret *s, *ow;
	struct pt_signer sg;
	struct mosquitto *mq;
	size_t len = 0;

	if (o->key == NULL || o->home == NULL || strlen(o->home) > PT_ID_MAX)
		die("%s", "--key and --home are required");
	if (o->home[0] != '\0') {
		memset(&e, 0, sizeof(e));
		e.kind = PT_ENV_HUB_HOME;
		memcpy(e.aud, o->home, strlen(o->home) + 1);
		e.iat = (int64_t)time(NULL);
		pt_random(e.nonce, sizeof(e.nonce));
		e.op = PT_HUB_HOME_PAIRED;
		e.target_len = PT_PK_LEN;
		memset(e.target, 7, PT_PK_LEN);
		if (o->owner_key != NULL) {
			ow = key_load(o->owner_key);
			pt_secret_public(ow, e.target);
			pt_secret_free(ow);
		}
		s = key_load(o->key);
		pt_signer_sodium(&sg, s);
		if (pt_envelope_sign(pt_crypto_sodium(), &sg, &e, buf, sizeof(buf), &len) != PT_OK)
			die("%s", "cannot sign the statement");
		pt_secret_free(s);
		if (o->bad_sig)
			buf[len - 5] ^= 0x01;	/* inside the signature, the last field */
	}
	mq = client(o, "-home", true, NULL, 0);
	send_msg(mq, PT_MQTT_HOME, o->id, buf, len, 1, true);
	mosquitto_disconnect(mq);
	mosquitto_loop(mq, 50, 1);
	mosquitto_destroy(mq);
	return 0;
}

/* ---- listen ---- */

static const struct opts *listen_o;
static unsigned counter[8];

static void
write_file(const char *name, const void *p, size_t len)
{
	char path[4096];
	FILE *f;

	(void)snprintf(path, sizeof(path), "%s/%s", listen_o->out, name);
	if ((f = fopen(path, "wb")) == NULL || fwrite(p, 1, len, f) != len || fclose(f) != 0)
		die("cannot write '%s'", path);
}

static void
logline(const char *line)
{
	char path[4096];
	FILE *f;

	(void)snprintf(path, sizeof(path), "%s/log", listen_o->out);
	if ((f = fopen(path, "a")) == NULL)
		die("cannot write '%s'", path);
	fprintf(f, "%s\n", line);
	fclose(f);
}

static void
cb_message(struct mosquitto *mq, void *obj, const struct mosquitto_message *msg)
{
	static struct pt_mqtt_revocations rv;
	struct pt_mqtt_topic t;
	struct pt_mqtt_ack a;
	struct pt_mqtt_command c;
	struct pt_mqtt_time tm;
	char line[8192], name[64], hx[2 * PT_HASH_LEN + 1];
	const uint8_t *p = msg->payload;
	size_t len = (size_t)msg->payloadlen, i, off;
	unsigned n;

	(void)mq;
	(void)obj;
	if (pt_mqtt_topic_parse(msg->topic, strlen(msg->topic), &t) != PT_OK) {
		(void)snprintf(line, sizeof(line), "bad-topic %s", msg->topic);
		logline(line);
		return;
	}
	n = ++counter[t.leaf];
	switch (t.leaf) {
	case PT_MQTT_ACK:
		if (pt_mqtt_ack_decode(p, len, &a) != PT_OK) {
			logline("ack malformed");
			return;
		}
		hexs(a.hash, PT_HASH_LEN, hx);
		(void)snprintf(name, sizeof(name), "ack-%u.bin", n);
		write_file(name, p, len);
		(void)snprintf(line, sizeof(line), "ack %u retained=%d seq=%lld hash=%s", n,
			       msg->retain, (long long)a.seq, hx);
		break;
	case PT_MQTT_REVOCATIONS:
		if (pt_mqtt_revocations_decode(p, len, &rv) != PT_OK) {
			logline("revocations malformed");
			return;
		}
		off = (size_t)snprintf(line, sizeof(line), "revocations %u retained=%d newest=%lld versions=",
				       n, msg->retain, (long long)rv.newest);
		for (i = 0; i < rv.n && off < sizeof(line) - 32; i++) {
			off += (size_t)snprintf(line + off, sizeof(line) - off, "%s%lld", i ? "," : "",
						(long long)rv.r[i].version);
			(void)snprintf(name, sizeof(name), "rev-%lld.env", (long long)rv.r[i].version);
			write_file(name, rv.r[i].envelope, rv.r[i].envelope_len);
		}
		break;
	case PT_MQTT_COMMANDS:
		if (pt_mqtt_command_decode(p, len, &c) != PT_OK) {
			logline("commands malformed");
			return;
		}
		(void)snprintf(name, sizeof(name), "command-%u.env", n);
		write_file(name, c.envelope, c.envelope_len);
		(void)snprintf(line, sizeof(line), "commands %u retained=%d len=%zu", n, msg->retain,
			       c.envelope_len);
		break;
	case PT_MQTT_TIME:
		if (pt_mqtt_time_decode(p, len, &tm) != PT_OK) {
			logline("time malformed");
			return;
		}
		(void)snprintf(line, sizeof(line), "time %u retained=%d now_ms=%lld rev=%lld", n,
			       msg->retain, (long long)tm.now_ms, (long long)tm.rev);
		break;
	default:
		(void)snprintf(line, sizeof(line), "unexpected %s", msg->topic);
	}
	logline(line);
}

static int
cmd_listen(const struct opts *o)
{
	static const int leaves[] = {PT_MQTT_ACK, PT_MQTT_REVOCATIONS, PT_MQTT_COMMANDS,
				     PT_MQTT_TIME};
	char topic[PT_MQTT_TOPIC_CAP], suffix[32];
	struct mosquitto *mq;
	time_t end;
	size_t tl, i;

	if (o->out == NULL)
		die("%s", "--out DIR is required");
	listen_o = o;
	signal(SIGTERM, on_sig);
	signal(SIGINT, on_sig);
	/* A client id of its own: two listeners of one hub must not take
	 * each other's session over. */
	(void)snprintf(suffix, sizeof(suffix), "-listen-%ld", (long)getpid());
	mq = client(o, suffix, true, NULL, 0);
	mosquitto_message_callback_set(mq, cb_message);
	for (i = 0; i < sizeof(leaves) / sizeof(leaves[0]); i++)
		if (pt_mqtt_topic_build(leaves[i], o->id, topic, sizeof(topic), &tl) != PT_OK ||
		    mosquitto_subscribe(mq, NULL, topic, 1) != MOSQ_ERR_SUCCESS)
			die("%s", "cannot subscribe");
	logline("listening");
	end = time(NULL) + (o->seconds > 0 ? o->seconds : 600);
	while (!stop_flag && time(NULL) < end)
		if (mosquitto_loop(mq, 100, 1) != MOSQ_ERR_SUCCESS) {
			logline("disconnected");
			sleep(1);
			mosquitto_reconnect(mq);
		}
	mosquitto_disconnect(mq);
	mosquitto_destroy(mq);
	return 0;
}

/* ---- chain-check ---- */

#define CHAIN_MAX 1024
#define LINE_MAX_ (2 * PT_EVENT_DATA_MAX + 256)

static int
unhex1(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Exactly cap bytes of lowercase hex, or *len bytes when len is not NULL. */
static bool
unhex(const char *s, uint8_t *out, size_t cap, size_t *len)
{
	size_t n = strlen(s), i;

	if (n % 2 != 0 || n / 2 > cap || (len == NULL && n / 2 != cap))
		return false;
	for (i = 0; i < n / 2; i++) {
		int hi = unhex1(s[2 * i]), lo = unhex1(s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return false;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	if (len != NULL)
		*len = n / 2;
	return true;
}

/* Split line into at most max space-separated words (in place). */
static size_t
words(char *line, char **w, size_t max)
{
	size_t n = 0;
	char *p = line;

	line[strcspn(line, "\r\n")] = '\0';
	while (*p != '\0' && n < max) {
		while (*p == ' ')
			*p++ = '\0';
		if (*p == '\0')
			break;
		w[n++] = p;
		while (*p != '\0' && *p != ' ')
			p++;
	}
	return n;
}

__attribute__((format(printf, 1, 2), noreturn)) static void
refuse(const char *fmt, ...);

static void
refuse(const char *fmt, ...)
{
	va_list ap;

	printf("refused: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	exit(3);
}

static int
cmd_chain_check(const struct opts *o)
{
	static uint8_t hashes[CHAIN_MAX][PT_HASH_LEN];
	static char line[LINE_MAX_];
	uint8_t pk[PT_PK_LEN], got_pk[PT_PK_LEN], h[PT_HASH_LEN], k[PT_HASH_LEN], want[PT_HASH_LEN];
	uint8_t data[PT_EVENT_DATA_MAX], sig[PT_SIG_LEN];
	char *w[8];
	int64_t first = 0, seq, at, last_cp = 0;
	size_t n_ev = 0, n_cp = 0, nw, dlen;
	bool have_key = false, have_prev = false;
	struct pt_secret *s;

	if (o->key == NULL || o->id == NULL)
		die("%s", "--key and --id are required");
	s = key_load(o->key);
	pt_secret_public(s, pk);
	pt_secret_free(s);
	while (fgets(line, sizeof(line), stdin) != NULL) {
		if ((nw = words(line, w, 8)) == 0)
			continue;
		if (strcmp(w[0], "key") == 0 && nw == 2) {
			if (!unhex(w[1], got_pk, sizeof(got_pk), NULL) ||
			    memcmp(got_pk, pk, PT_PK_LEN) != 0)
				refuse("%s", "hub_key is not the hub's key");
			have_key = true;
		} else if (strcmp(w[0], "prev") == 0 && nw == 2) {
			if (!unhex(w[1], h, sizeof(h), NULL))
				refuse("%s", "prev is not 32 bytes");
			have_prev = true;
		} else if (strcmp(w[0], "event") == 0 && nw == 6 && have_prev) {
			seq = atoll(w[1]);
			at = atoll(w[2]);
			if (n_ev == CHAIN_MAX || (n_ev == 0 ? seq < 1 : seq != first + (int64_t)n_ev))
				refuse("event %lld: not the next seq", (long long)seq);
			if (n_ev == 0)
				first = seq;
			if (!unhex(w[4], data, sizeof(data), &dlen) ||
			    !unhex(w[5], want, sizeof(want), NULL))
				die("%s", "a bad event line");
			if (pt_event_hash(pt_crypto_sodium(), h, seq, at, w[3], strlen(w[3]), data, dlen,
					  k) != PT_OK ||
			    memcmp(k, want, PT_HASH_LEN) != 0)
				refuse("event %lld: its hash does not recompute", (long long)seq);
			memcpy(h, k, PT_HASH_LEN);
			memcpy(hashes[n_ev++], h, PT_HASH_LEN);
		} else if (strcmp(w[0], "cp") == 0 && nw == 3) {
			seq = atoll(w[1]);
			if (!unhex(w[2], sig, sizeof(sig), NULL))
				die("%s", "a bad cp line");
			if (n_ev == 0 || seq < first || seq >= first + (int64_t)n_ev || seq <= last_cp)
				refuse("checkpoint %lld: not an event of the slice, ascending",
				       (long long)seq);
			if (pt_checkpoint_verify(pt_crypto_sodium(), pk, o->id, seq,
						 hashes[seq - first], sig) != PT_OK)
				refuse("checkpoint %lld: the signature does not verify", (long long)seq);
			last_cp = seq;
			n_cp++;
		} else {
			die("a line the check does not know: '%s'", w[0]);
		}
	}
	if (!have_key || n_ev == 0)
		refuse("%s", "no key, or no events");
	if (last_cp != first + (int64_t)n_ev - 1)
		refuse("event %lld: the last, not covered by a checkpoint",
		       (long long)(first + (int64_t)n_ev - 1));
	printf("ok events=%zu checkpoints=%zu first=%lld last=%lld\n", n_ev, n_cp, (long long)first,
	       (long long)(first + (int64_t)n_ev - 1));
	return 0;
}

/* ---- commands ---- */

static int
cmd_sign_command(const struct opts *o)
{
	uint8_t buf[PT_ENVELOPE_SIZE_MAX];
	char b64[PT_ENVELOPE_SIZE_MAX * 2];
	struct pt_envelope e;
	struct pt_secret *s;
	struct pt_signer sg;
	size_t len;

	if (o->key == NULL || o->home == NULL || o->op == NULL || strlen(o->home) > PT_ID_MAX)
		die("%s", "--key, --home and --op are required");
	memset(&e, 0, sizeof(e));
	e.kind = PT_ENV_COMMAND;
	memcpy(e.aud, o->home, strlen(o->home) + 1);
	e.iat = (int64_t)time(NULL) - o->age;
	pt_random(e.nonce, sizeof(e.nonce));
	if (strcmp(o->op, "lock") == 0)
		e.op = PT_CMD_LOCK;
	else if (strcmp(o->op, "unlock") == 0)
		e.op = PT_CMD_UNLOCK;
	else
		die("--op '%s': lock or unlock", o->op);
	if (o->lock != NULL) {
		if (strlen(o->lock) > PT_ID_MAX)
			die("%s", "--lock is too long");
		memcpy(e.lock, o->lock, strlen(o->lock) + 1);
	}
	s = key_load(o->key);
	pt_signer_sodium(&sg, s);
	if (pt_envelope_sign(pt_crypto_sodium(), &sg, &e, buf, sizeof(buf), &len) != PT_OK ||
	    pt_b64_encode(b64, sizeof(b64), buf, len) != PT_OK)
		die("%s", "cannot sign the command");
	pt_secret_free(s);
	printf("%s\n", b64);
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{"broker", required_argument, NULL, 'b'}, {"user", required_argument, NULL, 'u'},
		{"pass-file", required_argument, NULL, 'p'}, {"id", required_argument, NULL, 'i'},
		{"key", required_argument, NULL, 'k'}, {"from", required_argument, NULL, 'f'},
		{"to", required_argument, NULL, 't'}, {"event", required_argument, NULL, 'e'},
		{"fork-from", required_argument, NULL, 'F'}, {"bad-sig", no_argument, NULL, 'B'},
		{"online", no_argument, NULL, 'O'}, {"offline", no_argument, NULL, 'X'},
		{"rev", required_argument, NULL, 'r'}, {"out", required_argument, NULL, 'o'},
		{"seconds", required_argument, NULL, 's'}, {"home", required_argument, NULL, 'H'},
		{"op", required_argument, NULL, 'P'}, {"lock", required_argument, NULL, 'L'},
		{"age", required_argument, NULL, 'A'}, {"at0", required_argument, NULL, 'Z'},
		{"owner-key", required_argument, NULL, 'W'},
		{NULL, 0, NULL, 0},
	};
	static struct opts o;
	const char *cmd;
	int ch, rc;

	if (argc < 2) {
		fprintf(stderr, "usage: porterd_mqtt_peer id|sign-command|batch|state|home|will|listen|"
				"chain-check ...\n");
		return 1;
	}
	cmd = argv[1];
	if (pt_crypto_init() != PT_OK)
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (strcmp(cmd, "id") == 0) {
		struct pt_secret *s;
		uint8_t pk[PT_PK_LEN];
		char id[PT_ID_MAX + 1];
		if (argc != 3)
			return 1;
		s = key_load(argv[2]);
		pt_secret_public(s, pk);
		hub_id_of(pk, id);
		printf("%s\n", id);
		pt_secret_free(s);
		return 0;
	}
	optind = 2;
	while ((ch = getopt_long(argc, argv, "", lopts, NULL)) != -1) {
		switch (ch) {
		case 'b': o.broker = optarg; break;
		case 'u': o.user = optarg; break;
		case 'p': o.pass_file = optarg; break;
		case 'i': o.id = optarg; break;
		case 'k': o.key = optarg; break;
		case 'f': o.from = atoll(optarg); break;
		case 't': o.to = atoll(optarg); break;
		case 'F': o.fork_from = atoll(optarg); break;
		case 'B': o.bad_sig = true; break;
		case 'O': o.online = true; break;
		case 'X': o.offline = true; break;
		case 'r': o.rev = atoll(optarg); break;
		case 'o': o.out = optarg; break;
		case 's': o.seconds = atoll(optarg); break;
		case 'H': o.home = optarg; break;
		case 'P': o.op = optarg; break;
		case 'L': o.lock = optarg; break;
		case 'A': o.age = atoll(optarg); break;
		case 'Z': o.at0 = atoll(optarg); break;
		case 'W': o.owner_key = optarg; break;
		case 'e': {
			char *c1 = strchr(optarg, ':'), *c2 = c1 != NULL ? strchr(c1 + 1, ':') : NULL;
			struct override *v = &o.ov[o.n_ov];
			if (o.n_ov == OVERRIDES_MAX || c1 == NULL || c2 == NULL ||
			    (size_t)(c2 - c1 - 1) > PT_EVENT_TYPE_LEN_MAX ||
			    strlen(c2 + 1) > PT_EVENT_DATA_MAX)
				die("--event '%s' is not SEQ:TYPE:JSON", optarg);
			v->seq = atoll(optarg);
			memcpy(v->type, c1 + 1, (size_t)(c2 - c1 - 1));
			v->type[c2 - c1 - 1] = '\0';
			memcpy(v->data, c2 + 1, strlen(c2 + 1) + 1);
			o.n_ov++;
			break;
		}
		default: return 1;
		}
	}
	mosquitto_lib_init();
	if (strcmp(cmd, "sign-command") == 0)
		rc = cmd_sign_command(&o);
	else if (strcmp(cmd, "chain-check") == 0)
		rc = cmd_chain_check(&o);
	else if (strcmp(cmd, "batch") == 0)
		rc = cmd_batch(&o);
	else if (strcmp(cmd, "state") == 0)
		rc = cmd_state(&o, false);
	else if (strcmp(cmd, "home") == 0)
		rc = cmd_home(&o);
	else if (strcmp(cmd, "will") == 0)
		rc = cmd_state(&o, true);
	else if (strcmp(cmd, "listen") == 0)
		rc = cmd_listen(&o);
	else
		rc = 1;
	mosquitto_lib_cleanup();
	return rc;
}
