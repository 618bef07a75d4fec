/*
 * test_mqtt: the MQTT protocol codec (porter/mqtt.h, lib/proto/mqtt.c).
 *
 * Topics: every leaf built and parsed back; porterd's filters; the edge
 * cases of the parser (wildcards, slashes, empty and doubled levels,
 * other prefixes and versions, NULs, lengths around the limit).
 * Payloads: known bytes of the small messages (the examples of
 * docs/mqtt.md); round trips of every message, down to the limits of each
 * field and up to the largest payload each can have; every refusal of
 * every decoder (wrong types, unknown, missing, doubled and reordered
 * keys, out-of-range values, bad linkage, trailing bytes, oversize) and
 * of every encoder; every bit flip and every truncation of every sample
 * (refused with a zeroed output, or accepted only in the exact bytes the
 * encoder writes). Events: a batch whose hash chain is built with
 * pt_event_hash and signed by the hub key, verified, and tampered with.
 * Revocations and commands carry real owner-signed envelopes, which still
 * verify with pt_envelope_verify after the trip. Home Assistant configs
 * parse as JSON (jansson), are canonical and carry what HA needs.
 *
 * Decoders are handed exact-size heap copies, so a read past the payload
 * is an AddressSanitizer error in the sanitizer build.
 *
 * With PORTER_MQTT_CORPUS=DIR set, also writes fuzz_mqtt's seed corpus
 * (every sample payload and topic) into DIR.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "porter/cbor.h"
#include "porter/cred.h"
#include "porter/crypto.h"
#include "porter/envelope.h"
#include "porter/event.h"
#include "porter/mqtt.h"
#include "t.h"

/* Shared with fuzz/fuzz_mqtt.c: keep in step. */
#define HUB "hub-1"
#define HUB_SEED 0x0b
#define HOME "home-1"

static const int64_t T0 = 1781085600;	/* 2026-06-10T10:00:00Z */
static const struct pt_crypto_ops *ops;
static const char *corpus_dir;

struct key {
	struct pt_secret *sec;
	struct pt_signer sg;
	uint8_t pk[PT_PK_LEN];
};

static struct key hub, owner, stranger;

static void
key_init(struct key *k, uint8_t seed_byte)
{
	uint8_t seed[PT_SEED_LEN];

	memset(seed, seed_byte, sizeof(seed));
	k->sec = pt_secret_new();
	if (k->sec == NULL || pt_secret_from_seed(k->sec, seed) != PT_OK) {
		printf("Bail out! key\n");
		exit(1);
	}
	pt_secret_public(k->sec, k->pk);
	pt_signer_sodium(&k->sg, k->sec);
}

static uint8_t *
dup(const void *p, size_t n)
{
	uint8_t *c = malloc(n > 0 ? n : 1);

	if (c == NULL) {
		printf("Bail out! malloc\n");
		exit(1);
	}
	if (n > 0)
		memcpy(c, p, n);
	return c;
}

static bool
all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i < n; i++)
		if (b[i] != 0)
			return false;
	return true;
}

static bool
is_err(int r)
{
	return r < PT_OK && r > -PT_ERR_COUNT_;
}

static void
corpus_write(const char *name, const void *p, size_t n)
{
	char path[512];
	FILE *f;

	if (corpus_dir == NULL)
		return;
	if (snprintf(path, sizeof(path), "%s/%s", corpus_dir, name) >= (int)sizeof(path))
		return;
	f = fopen(path, "wb");
	if (f == NULL || fwrite(p, 1, n, f) != n)
		printf("# cannot write '%s'\n", path);
	if (f != NULL)
		fclose(f);
}

/* ---- one dispatcher over every decoder ---- */

enum kind { K_STATE, K_EVENTS, K_ACK, K_REVS, K_CMD, K_TIME, K_COUNT };
static const char *const kind_names[K_COUNT] = {"state", "events", "ack", "revocations",
						 "command", "time"};

union msg {
	struct pt_mqtt_state state;
	struct pt_mqtt_events events;
	struct pt_mqtt_ack ack;
	struct pt_mqtt_revocations revs;
	struct pt_mqtt_command cmd;
	struct pt_mqtt_time time;
};

static size_t
kind_size(enum kind k)
{
	switch (k) {
	case K_STATE:
		return sizeof(struct pt_mqtt_state);
	case K_EVENTS:
		return sizeof(struct pt_mqtt_events);
	case K_ACK:
		return sizeof(struct pt_mqtt_ack);
	case K_REVS:
		return sizeof(struct pt_mqtt_revocations);
	case K_CMD:
		return sizeof(struct pt_mqtt_command);
	default:
		return sizeof(struct pt_mqtt_time);
	}
}

static int
decode_into(enum kind k, const uint8_t *p, size_t n, union msg *m)
{
	switch (k) {
	case K_STATE:
		return pt_mqtt_state_decode(p, n, &m->state);
	case K_EVENTS:
		return pt_mqtt_events_decode(p, n, &m->events);
	case K_ACK:
		return pt_mqtt_ack_decode(p, n, &m->ack);
	case K_REVS:
		return pt_mqtt_revocations_decode(p, n, &m->revs);
	case K_CMD:
		return pt_mqtt_command_decode(p, n, &m->cmd);
	default:
		return pt_mqtt_time_decode(p, n, &m->time);
	}
}

static int
encode_from(enum kind k, const union msg *m, uint8_t *out, size_t cap, size_t *n)
{
	switch (k) {
	case K_STATE:
		return pt_mqtt_state_encode(&m->state, out, cap, n);
	case K_EVENTS:
		return pt_mqtt_events_encode(&m->events, out, cap, n);
	case K_ACK:
		return pt_mqtt_ack_encode(&m->ack, out, cap, n);
	case K_REVS:
		return pt_mqtt_revocations_encode(&m->revs, out, cap, n);
	case K_CMD:
		return pt_mqtt_command_encode(&m->cmd, out, cap, n);
	default:
		return pt_mqtt_time_encode(&m->time, out, cap, n);
	}
}

static uint8_t reenc[PT_MQTT_PAYLOAD_MAX + 1];

/*
 * Decode an exact-size heap copy of (p, n) as kind k. *sound is set false
 * if the result breaks the codec's contract: a refusal must be a PT_E*
 * with the output zeroed; an acceptance must re-encode to exactly the
 * input. Returns the decoder's answer.
 */
static int
decode_checked(enum kind k, const uint8_t *p, size_t n, bool *sound)
{
	static union msg m;
	uint8_t *c = dup(p, n);
	size_t len = 0;
	int r, r2;

	memset(&m, 0xa5, sizeof(m));
	r = decode_into(k, c, n, &m);
	if (r != PT_OK) {
		if (!is_err(r) || !all_zero(&m, kind_size(k)))
			*sound = false;
	} else {
		r2 = encode_from(k, &m, reenc, sizeof(reenc), &len);
		if (r2 != PT_OK || len != n || memcmp(reenc, p, n) != 0)
			*sound = false;
	}
	free(c);
	return r;
}

/* Decode a copy and answer the result (the contract checked too). */
static int
dec(enum kind k, const uint8_t *p, size_t n)
{
	bool sound = true;
	int r = decode_checked(k, p, n, &sound);

	if (!sound) {
		printf("# %s decoder broke its contract (answer %d)\n", kind_names[k], r);
		return 1;	/* never a PT_E*: the check that called fails */
	}
	return r;
}

/* Every bit flip and every truncation of a valid sample: refused with a
 * zeroed output, or accepted only in the exact bytes the encoder writes;
 * every truncation refused. */
static void
mutations(enum kind k, const char *name, const uint8_t *p, size_t n)
{
	uint8_t *c = dup(p, n);
	bool sound = true, trunc_refused = true;
	size_t i, accepted = 0;
	unsigned bit;

	for (i = 0; i < n; i++) {
		for (bit = 0; bit < 8; bit++) {
			c[i] ^= (uint8_t)(1u << bit);
			if (decode_checked(k, c, n, &sound) == PT_OK)
				accepted++;
			c[i] ^= (uint8_t)(1u << bit);
		}
	}
	T_OK(sound, "%s %s: every bit flip refused with a zeroed output or accepted canonically "
		    "(%zu of %zu accepted)", kind_names[k], name, accepted, n * 8);
	sound = true;
	for (i = 0; i < n; i++)
		if (decode_checked(k, p, i, &sound) == PT_OK)
			trunc_refused = false;
	T_OK(sound && trunc_refused, "%s %s: every truncation refused, output zeroed",
	     kind_names[k], name);
	free(c);
}

/* ---- leaves and topics ---- */

static void
test_leaves(void)
{
	static const struct {
		int leaf;
		const char *name;
		uint8_t qos;
		bool retained, from_hub;
	} want[] = {
		{PT_MQTT_STATE, "state", 1, true, true},
		{PT_MQTT_EVENTS, "events", 1, false, true},
		{PT_MQTT_ACK, "ack", 1, true, false},
		{PT_MQTT_REVOCATIONS, "revocations", 1, true, false},
		{PT_MQTT_COMMANDS, "commands", 1, false, false},
		{PT_MQTT_TIME, "time", 0, false, false},
		{PT_MQTT_OWNERS, "owners", 1, true, false},
		{PT_MQTT_PAIR, "pair", 1, false, false},
		{PT_MQTT_HOME, "home", 1, true, true},
	};
	size_t i;
	bool ok = true;

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct pt_mqtt_leaf_info *li = pt_mqtt_leaf_info(want[i].leaf);
		ok = ok && li != NULL && strcmp(li->name, want[i].name) == 0 &&
		     li->qos == want[i].qos && li->retained == want[i].retained &&
		     li->from_hub == want[i].from_hub;
	}
	T_OK(ok, "leaf table: names, QoS, retain flags and directions as documented");
	T_OK(pt_mqtt_leaf_info(0) == NULL && pt_mqtt_leaf_info(10) == NULL &&
		     pt_mqtt_leaf_info(-1) == NULL && pt_mqtt_leaf_info(1000) == NULL,
	     "leaf table: NULL for 0, 10, -1, 1000");
}

static void
test_topic_build(void)
{
	static const char *const want[] = {
		NULL,
		"porter/v1/hub/hub-1/state",
		"porter/v1/hub/hub-1/events",
		"porter/v1/hub/hub-1/ack",
		"porter/v1/hub/hub-1/revocations",
		"porter/v1/hub/hub-1/commands",
		"porter/v1/hub/hub-1/time",
		"porter/v1/hub/hub-1/owners",
		"porter/v1/hub/hub-1/pair",
		"porter/v1/hub/hub-1/home",
	};
	static const char *const bad_ids[] = {"", ".hidden", "a/b", "a+b", "+", "#", "a#",
					      "a b", "$SYS", "h\xc3\xa9", "a\tb"};
	char out[PT_MQTT_TOPIC_CAP], id[PT_ID_MAX + 2];
	size_t n = 0, i;
	bool ok = true;
	int leaf, r;

	for (leaf = PT_MQTT_STATE; leaf <= PT_MQTT_LEAF_LAST; leaf++) {
		r = pt_mqtt_topic_build(leaf, HUB, out, sizeof(out), &n);
		ok = ok && r == PT_OK && strcmp(out, want[leaf]) == 0 && n == strlen(want[leaf]);
	}
	T_OK(ok, "topic_build: every leaf of hub-1");
	T_OK(pt_mqtt_filter_build(PT_MQTT_EVENTS, out, sizeof(out), &n) == PT_OK &&
		     strcmp(out, "porter/v1/hub/+/events") == 0 && n == 22,
	     "filter_build: porter/v1/hub/+/events");
	T_EQ(pt_mqtt_filter_build(0, out, sizeof(out), &n), PT_EINVAL, "filter_build: leaf 0");

	memset(id, 'x', PT_ID_MAX);
	id[PT_ID_MAX] = '\0';
	r = pt_mqtt_topic_build(PT_MQTT_REVOCATIONS, id, out, sizeof(out), &n);
	T_OK(r == PT_OK && n == PT_MQTT_TOPIC_MAX && strlen(out) == n,
	     "topic_build: a 64-byte id with the longest leaf is PT_MQTT_TOPIC_MAX (%zu) bytes", n);
	T_EQ(pt_mqtt_topic_build(PT_MQTT_REVOCATIONS, id, out, PT_MQTT_TOPIC_MAX, &n), PT_ENOSPC,
	     "topic_build: no room for the NUL is PT_ENOSPC");
	T_OK(n == 0 && out[0] == '\0', "topic_build: PT_ENOSPC leaves an empty string, length 0");
	T_EQ(pt_mqtt_topic_build(PT_MQTT_REVOCATIONS, id, out, PT_MQTT_TOPIC_MAX + 1, &n), PT_OK,
	     "topic_build: exactly enough room");
	T_EQ(pt_mqtt_topic_build(PT_MQTT_STATE, HUB, out, 0, &n), PT_ENOSPC, "topic_build: cap 0");
	id[PT_ID_MAX] = 'x';
	id[PT_ID_MAX + 1] = '\0';
	T_EQ(pt_mqtt_topic_build(PT_MQTT_STATE, id, out, sizeof(out), &n), PT_EINVAL,
	     "topic_build: a 65-byte id");
	ok = true;
	for (i = 0; i < sizeof(bad_ids) / sizeof(bad_ids[0]); i++)
		ok = ok && pt_mqtt_topic_build(PT_MQTT_STATE, bad_ids[i], out, sizeof(out), &n) ==
				   PT_EINVAL && n == 0;
	T_OK(ok, "topic_build: ids with '/', '+', '#', '$', space, controls, non-ASCII, a "
		 "leading '.', or empty are refused");
	T_EQ(pt_mqtt_topic_build(PT_MQTT_STATE, NULL, out, sizeof(out), &n), PT_EINVAL,
	     "topic_build: NULL id");
	T_EQ(pt_mqtt_topic_build(0, HUB, out, sizeof(out), &n), PT_EINVAL, "topic_build: leaf 0");
	T_EQ(pt_mqtt_topic_build(10, HUB, out, sizeof(out), &n), PT_EINVAL, "topic_build: leaf 10");
}

static int
parse(const char *s, size_t len, struct pt_mqtt_topic *t)
{
	uint8_t *c = dup(s, len);
	int r;

	memset(t, 0x5a, sizeof(*t));
	r = pt_mqtt_topic_parse((const char *)c, len, t);
	free(c);
	if (r != PT_OK && !all_zero(t, sizeof(*t)))
		return 1;	/* not a PT_E*: the check fails */
	return r;
}

static int
parse_str(const char *s, struct pt_mqtt_topic *t)
{
	return parse(s, strlen(s), t);
}

static void
test_topic_parse(void)
{
	static const struct {
		const char *topic;
		int want;
	} cases[] = {
		{"", PT_EMALFORMED},
		{"porter", PT_EMALFORMED},
		{"porter/v1", PT_EMALFORMED},
		{"porter/v1/", PT_EMALFORMED},
		{"porter/v1/hub", PT_EMALFORMED},
		{"porter/v1/hub/", PT_EMALFORMED},
		{"porter/v1/hub/hub-1", PT_EMALFORMED},
		{"porter/v1/hub/hub-1/", PT_EMALFORMED},
		{"porter/v1/hub/hub-1/state/", PT_EMALFORMED},
		{"porter/v1/hub/hub-1/state/x", PT_EMALFORMED},
		{"porter/v1/hub//state", PT_EMALFORMED},
		{"porter/v1/hub/hub-1//state", PT_EMALFORMED},
		{"porter//v1/hub/hub-1/state", PT_EMALFORMED},
		{"/porter/v1/hub/hub-1/state", PT_EMALFORMED},
		{"porter/v1/hub/+/state", PT_EMALFORMED},
		{"porter/v1/hub/#", PT_EMALFORMED},
		{"porter/v1/hub/hub-1/#", PT_EMALFORMED},
		{"porter/v1/hub/hub-1/+", PT_EMALFORMED},
		{"porter/v1/hub/hub+1/state", PT_EMALFORMED},
		{"porter/v1/hub/hub#1/state", PT_EMALFORMED},
		{"porter/v1/hub/a/b/state", PT_EMALFORMED},
		{"porter/v1/hub/.hidden/state", PT_EMALFORMED},
		{"porter/v1/hub/$SYS/state", PT_EMALFORMED},
		{"porter/v1/hub/hub 1/state", PT_EMALFORMED},
		{"porter/v1/hub/h\xc3\xa9/state", PT_EMALFORMED},
		{"porter/v1/hub/hub-1/State", PT_EMALFORMED},
		{"porter/v1/hub/hub-1/stat", PT_EMALFORMED},
		{"porter/v1/hub/hub-1/statex", PT_EMALFORMED},
		{"porter/v1/hub/hub-1/pai", PT_EMALFORMED},
		{"porter/v1/hub/hub-1/pairs", PT_EMALFORMED},
		{"porter/v1/hub/hub-1/pair/", PT_EMALFORMED},
		{"porter/v1/hub/hub-1/Pair", PT_EMALFORMED},
		{"porter/v1/hub/hub-1/ha/set", PT_EMALFORMED},
		{"porter/v1/hubs/hub-1/state", PT_EMALFORMED},
		{"porter/v1/home/hub-1/state", PT_EMALFORMED},
		{"Porter/v1/hub/hub-1/state", PT_EMALFORMED},
		{"porter/V1/hub/hub-1/state", PT_EMALFORMED},
		{"porter/v/hub/hub-1/state", PT_EMALFORMED},
		{"porter/vx/hub/hub-1/state", PT_EMALFORMED},
		{"porter/v1x/hub/hub-1/state", PT_EMALFORMED},
		{"porter/v2", PT_EMALFORMED},
		{"porter/v2/hub/hub-1/state", PT_EUNSUPPORTED},
		{"porter/v0/hub/hub-1/state", PT_EUNSUPPORTED},
		{"porter/v10/hub/hub-1/state", PT_EUNSUPPORTED},
		{"porter/v01/hub/hub-1/state", PT_EUNSUPPORTED},
		{"porter/v2/anything", PT_EUNSUPPORTED},
		{"homeassistant/lock/hub-1/lock/config", PT_EMALFORMED},
		{"$SYS/broker/uptime", PT_EMALFORMED},
	};
	struct pt_mqtt_topic t;
	char buf[256], id[PT_ID_MAX + 2];
	size_t i, n;
	bool ok = true;
	int leaf, r;

	for (leaf = PT_MQTT_STATE; leaf <= PT_MQTT_LEAF_LAST; leaf++) {
		r = pt_mqtt_topic_build(leaf, "Hub_7.a-B", buf, sizeof(buf), &n);
		ok = ok && r == PT_OK && parse(buf, n, &t) == PT_OK && t.leaf == leaf &&
		     strcmp(t.hub_id, "Hub_7.a-B") == 0;
	}
	T_OK(ok, "topic_parse: every leaf built for Hub_7.a-B parses back");

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		r = parse_str(cases[i].topic, &t);
		if (r != cases[i].want) {
			printf("# '%s': %d, want %d\n", cases[i].topic, r, cases[i].want);
			ok = false;
		}
	}
	T_OK(ok, "topic_parse: %zu malformed topics and other versions refused, output zeroed",
	     sizeof(cases) / sizeof(cases[0]));

	memcpy(buf, "porter/v1/hub/hub-1/state\0x", 27);
	T_EQ(parse(buf, 25, &t), PT_OK, "topic_parse: the length given, not a NUL, ends the topic");
	T_EQ(parse(buf, 26, &t), PT_EMALFORMED, "topic_parse: a NUL at the end is refused");
	T_EQ(parse(buf, 27, &t), PT_EMALFORMED, "topic_parse: a NUL inside is refused");
	memcpy(buf, "porter/v1/hub/hu\0b/state", 24);
	T_EQ(parse(buf, 24, &t), PT_EMALFORMED, "topic_parse: a NUL in the id is refused");
	T_EQ(pt_mqtt_topic_parse(NULL, 0, &t), PT_EMALFORMED, "topic_parse: NULL");

	memset(id, 'x', PT_ID_MAX);
	id[PT_ID_MAX] = '\0';
	n = (size_t)snprintf(buf, sizeof(buf), "porter/v1/hub/%s/revocations", id);
	T_OK(n == PT_MQTT_TOPIC_MAX && parse(buf, n, &t) == PT_OK &&
		     t.leaf == PT_MQTT_REVOCATIONS && strlen(t.hub_id) == PT_ID_MAX,
	     "topic_parse: the longest topic (64-byte id, revocations) is accepted");
	n = (size_t)snprintf(buf, sizeof(buf), "porter/v1/hub/%sx/state", id);
	T_EQ(parse(buf, n, &t), PT_EMALFORMED, "topic_parse: a 65-byte id is refused");
	n = (size_t)snprintf(buf, sizeof(buf), "porter/v1/hub/%sx/revocations", id);
	T_EQ(parse(buf, n, &t), PT_ETOOBIG, "topic_parse: longer than PT_MQTT_TOPIC_MAX is too big");
	memset(buf, 'a', sizeof(buf));
	T_EQ(parse(buf, sizeof(buf), &t), PT_ETOOBIG, "topic_parse: 256 bytes of 'a' is too big");
	T_EQ(parse_str("porter/v1/hub/-/ack", &t), PT_OK, "topic_parse: a one-byte id '-'");
	T_OK(t.leaf == PT_MQTT_ACK && strcmp(t.hub_id, "-") == 0, "topic_parse: ... gives '-' and ack");

	n = 0;
	if (pt_mqtt_topic_build(PT_MQTT_STATE, HUB, buf, sizeof(buf), &n) == PT_OK)
		corpus_write("topic_state", buf, n);
	if (pt_mqtt_topic_build(PT_MQTT_REVOCATIONS, id, buf, sizeof(buf), &n) == PT_OK)
		corpus_write("topic_longest", buf, n);
	if (pt_mqtt_topic_build(PT_MQTT_PAIR, HUB, buf, sizeof(buf), &n) == PT_OK)
		corpus_write("topic_pair", buf, n);
	corpus_write("topic_v2", "porter/v2/hub/hub-1/state", 25);
	corpus_write("topic_wild", "porter/v1/hub/+/events", 22);
}

/* ---- state ---- */

static void
test_state(void)
{
	static const char online[] =
		"{\"alarm\":\"armed_away\",\"at\":1781085600,\"bolt\":\"locked\","
		"\"camera\":\"healthy\",\"door\":\"closed\",\"online\":true,\"rev\":3}";
	static const char offline[] =
		"{\"alarm\":\"unknown\",\"at\":null,\"bolt\":\"unknown\",\"camera\":\"unknown\","
		"\"door\":\"unknown\",\"online\":false,\"rev\":null}";
	static const char *const bad[] = {
		"",
		"{}",
		"null",
		"[]",
		/* whitespace, reordered, unknown, missing, doubled keys */
		"{ \"alarm\":\"none\",\"at\":0,\"bolt\":\"locked\",\"camera\":\"none\",\"door\":\"closed\",\"online\":true,\"rev\":0}",
		"{\"alarm\": \"none\",\"at\":0,\"bolt\":\"locked\",\"camera\":\"none\",\"door\":\"closed\",\"online\":true,\"rev\":0}",
		"{\"alarm\":\"none\",\"at\":0,\"bolt\":\"locked\",\"camera\":\"none\",\"door\":\"closed\",\"online\":true,\"rev\":0}\n",
		"{\"at\":0,\"alarm\":\"none\",\"bolt\":\"locked\",\"camera\":\"none\",\"door\":\"closed\",\"online\":true,\"rev\":0}",
		"{\"alarm\":\"none\",\"at\":0,\"bolt\":\"locked\",\"camera\":\"none\",\"door\":\"closed\",\"online\":true,\"rev\":0,\"x\":1}",
		"{\"alarm\":\"none\",\"at\":0,\"bolt\":\"locked\",\"camera\":\"none\",\"door\":\"closed\",\"online\":true}",
		"{\"alarm\":\"none\",\"alarm\":\"none\",\"at\":0,\"bolt\":\"locked\",\"camera\":\"none\",\"door\":\"closed\",\"online\":true,\"rev\":0}",
		"{\"alarm\":\"none\",\"at\":0,\"bolt\":\"locked\",\"camera\":\"none\",\"door\":\"closed\",\"lock\":\"x\",\"online\":true,\"rev\":0}",
		/* values */
		"{\"alarm\":\"NONE\",\"at\":0,\"bolt\":\"locked\",\"camera\":\"none\",\"door\":\"closed\",\"online\":true,\"rev\":0}",
		"{\"alarm\":\"armed-away\",\"at\":0,\"bolt\":\"locked\",\"camera\":\"none\",\"door\":\"closed\",\"online\":true,\"rev\":0}",
		"{\"alarm\":\"none\",\"at\":0,\"bolt\":\"lock\",\"camera\":\"none\",\"door\":\"closed\",\"online\":true,\"rev\":0}",
		"{\"alarm\":\"none\",\"at\":0,\"bolt\":\"\",\"camera\":\"none\",\"door\":\"closed\",\"online\":true,\"rev\":0}",
		"{\"alarm\":\"none\",\"at\":0,\"bolt\":\"\\u006cocked\",\"camera\":\"none\",\"door\":\"closed\",\"online\":true,\"rev\":0}",
		"{\"alarm\":\"none\",\"at\":0,\"bolt\":locked,\"camera\":\"none\",\"door\":\"closed\",\"online\":true,\"rev\":0}",
		"{\"alarm\":\"none\",\"at\":0,\"bolt\":\"locked\",\"camera\":\"none\",\"door\":\"ajar\",\"online\":true,\"rev\":0}",
		"{\"alarm\":\"none\",\"at\":0,\"bolt\":\"locked\",\"camera\":\"broken\",\"door\":\"closed\",\"online\":true,\"rev\":0}",
		"{\"alarm\":\"none\",\"at\":01,\"bolt\":\"locked\",\"camera\":\"none\",\"door\":\"closed\",\"online\":true,\"rev\":0}",
		"{\"alarm\":\"none\",\"at\":-1,\"bolt\":\"locked\",\"camera\":\"none\",\"door\":\"closed\",\"online\":true,\"rev\":0}",
		"{\"alarm\":\"none\",\"at\":1.5,\"bolt\":\"locked\",\"camera\":\"none\",\"door\":\"closed\",\"online\":true,\"rev\":0}",
		"{\"alarm\":\"none\",\"at\":1e3,\"bolt\":\"locked\",\"camera\":\"none\",\"door\":\"closed\",\"online\":true,\"rev\":0}",
		"{\"alarm\":\"none\",\"at\":\"0\",\"bolt\":\"locked\",\"camera\":\"none\",\"door\":\"closed\",\"online\":true,\"rev\":0}",
		"{\"alarm\":\"none\",\"at\":253402300800,\"bolt\":\"locked\",\"camera\":\"none\",\"door\":\"closed\",\"online\":true,\"rev\":0}",
		"{\"alarm\":\"none\",\"at\":0,\"bolt\":\"locked\",\"camera\":\"none\",\"door\":\"closed\",\"online\":true,\"rev\":9223372036854775808}",
		"{\"alarm\":\"none\",\"at\":0,\"bolt\":\"locked\",\"camera\":\"none\",\"door\":\"closed\",\"online\":true,\"rev\":99999999999999999999}",
		"{\"alarm\":\"none\",\"at\":0,\"bolt\":\"locked\",\"camera\":\"none\",\"door\":\"closed\",\"online\":1,\"rev\":0}",
		"{\"alarm\":\"none\",\"at\":0,\"bolt\":\"locked\",\"camera\":\"none\",\"door\":\"closed\",\"online\":True,\"rev\":0}",
		"{\"alarm\":\"none\",\"at\":0,\"bolt\":\"locked\",\"camera\":\"none\",\"door\":\"closed\",\"online\":\"true\",\"rev\":0}",
		/* an online hub knows its version; an offline one says nothing */
		"{\"alarm\":\"none\",\"at\":0,\"bolt\":\"locked\",\"camera\":\"none\",\"door\":\"closed\",\"online\":true,\"rev\":null}",
		"{\"alarm\":\"unknown\",\"at\":null,\"bolt\":\"locked\",\"camera\":\"unknown\",\"door\":\"unknown\",\"online\":false,\"rev\":null}",
		"{\"alarm\":\"unknown\",\"at\":5,\"bolt\":\"unknown\",\"camera\":\"unknown\",\"door\":\"unknown\",\"online\":false,\"rev\":null}",
		"{\"alarm\":\"unknown\",\"at\":null,\"bolt\":\"unknown\",\"camera\":\"unknown\",\"door\":\"unknown\",\"online\":false,\"rev\":0}",
		"{\"alarm\":\"none\",\"at\":0,\"bolt\":\"locked\",\"camera\":\"none\",\"door\":\"closed\",\"online\":true,\"rev\":0",
		"{\"alarm\":\"none\",\"at\":0,\"bolt\":\"locked\",\"camera\":\"none\",\"door\":\"closed\",\"online\":true,\"rev\":0}}",
	};
	struct pt_mqtt_state s, d;
	uint8_t out[PT_MQTT_STATE_PAYLOAD_MAX + 1], over[PT_MQTT_STATE_PAYLOAD_MAX + 2];
	size_t n = 0, i;
	bool ok;
	int r;

	memset(&s, 0, sizeof(s));
	s.online = true;
	s.bolt = PT_MQTT_BOLT_LOCKED;
	s.door = PT_MQTT_DOOR_CLOSED;
	s.alarm = PT_MQTT_ALARM_ARMED_AWAY;
	s.camera = PT_MQTT_CAMERA_HEALTHY;
	s.has_at = true;
	s.at = T0;
	s.has_rev = true;
	s.rev = 3;
	r = pt_mqtt_state_encode(&s, out, sizeof(out), &n);
	T_OK(r == PT_OK && n == sizeof(online) - 1 && memcmp(out, online, n) == 0 && out[n] == 0,
	     "state: known bytes of an online hub (docs/mqtt.md), NUL-terminated");
	T_OK(dec(K_STATE, out, n) == PT_OK && pt_mqtt_state_decode(out, n, &d) == PT_OK &&
		     memcmp(&d, &s, sizeof(s)) == 0,
	     "state: decodes back to the same struct");
	corpus_write("state_online", out, n);
	mutations(K_STATE, "online", out, n);

	memset(&s, 0, sizeof(s));
	r = pt_mqtt_state_encode(&s, out, sizeof(out), &n);
	T_OK(r == PT_OK && n == sizeof(offline) - 1 && memcmp(out, offline, n) == 0,
	     "state: a zeroed struct is the offline state (the last will), known bytes");
	T_OK(dec(K_STATE, out, n) == PT_OK, "state: the offline state decodes");
	corpus_write("state_offline", out, n);
	mutations(K_STATE, "offline", out, n);

	/* Every value of every field, and the longest state. */
	ok = true;
	for (i = 0; i < 9 * 4 * 3 * 4; i++) {
		memset(&s, 0, sizeof(s));
		s.online = true;
		s.alarm = (uint8_t)(i % 9);
		s.bolt = (uint8_t)(i / 9 % 4);
		s.door = (uint8_t)(i / 36 % 3);
		s.camera = (uint8_t)(i / 108 % 4);
		s.has_at = i % 2 == 0;
		s.at = s.has_at ? (int64_t)i * 1000003 : 0;
		s.has_rev = true;
		s.rev = (int64_t)i;
		r = pt_mqtt_state_encode(&s, out, sizeof(out), &n);
		ok = ok && r == PT_OK && dec(K_STATE, out, n) == PT_OK &&
		     pt_mqtt_state_decode(out, n, &d) == PT_OK && memcmp(&d, &s, sizeof(s)) == 0;
	}
	T_OK(ok, "state: all 432 combinations of alarm, bolt, door and camera round trip");
	T_OK(strcmp(pt_mqtt_bolt_name(PT_MQTT_BOLT_JAMMED), "jammed") == 0 &&
		     strcmp(pt_mqtt_door_name(PT_MQTT_DOOR_OPEN), "open") == 0 &&
		     strcmp(pt_mqtt_alarm_name(PT_MQTT_ALARM_ARMED_NIGHT), "armed_night") == 0 &&
		     strcmp(pt_mqtt_camera_name(PT_MQTT_CAMERA_NONE), "none") == 0 &&
		     pt_mqtt_bolt_name(4) == NULL && pt_mqtt_door_name(3) == NULL &&
		     pt_mqtt_alarm_name(9) == NULL && pt_mqtt_camera_name(4) == NULL,
	     "state: wire names, NULL past the last value");

	memset(&s, 0, sizeof(s));
	s.alarm = PT_MQTT_ALARM_ARMED_NIGHT;
	s.bolt = PT_MQTT_BOLT_UNLOCKED;
	s.camera = PT_MQTT_CAMERA_UNHEALTHY;
	s.door = PT_MQTT_DOOR_UNKNOWN;
	s.online = true;
	s.has_at = true;
	s.at = PT_TIME_MAX;
	s.has_rev = true;
	s.rev = INT64_MAX;
	r = pt_mqtt_state_encode(&s, out, sizeof(out), &n);
	T_OK(r == PT_OK && n <= PT_MQTT_STATE_PAYLOAD_MAX && dec(K_STATE, out, n) == PT_OK,
	     "state: the longest online state (%zu bytes) fits PT_MQTT_STATE_PAYLOAD_MAX", n);
	corpus_write("state_longest", out, n);
	T_EQ(pt_mqtt_state_encode(&s, out, n, &n), PT_ENOSPC,
	     "state: no room for the NUL is PT_ENOSPC");
	T_EQ(n, 0, "state: PT_ENOSPC sets the length to 0");

	ok = true;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r = dec(K_STATE, (const uint8_t *)bad[i], strlen(bad[i]));
		if (r != PT_EMALFORMED) {
			printf("# bad state %zu: %d\n", i, r);
			ok = false;
		}
	}
	T_OK(ok, "state: %zu non-canonical, unknown-key, missing-key, doubled-key, wrong-type and "
		 "out-of-range states refused as malformed, output zeroed",
	     sizeof(bad) / sizeof(bad[0]));
	corpus_write("state_spaces", bad[4], strlen(bad[4]));
	memset(over, ' ', sizeof(over));
	T_EQ(dec(K_STATE, over, PT_MQTT_STATE_PAYLOAD_MAX + 1), PT_ETOOBIG,
	     "state: over PT_MQTT_STATE_PAYLOAD_MAX is too big");
	T_EQ(pt_mqtt_state_decode(NULL, 0, &d), PT_EMALFORMED, "state: NULL");

	/* Encoder refusals: what the decoder would refuse. */
	memset(&s, 0, sizeof(s));
	s.online = true;
	s.has_rev = true;
	s.bolt = 4;
	T_EQ(pt_mqtt_state_encode(&s, out, sizeof(out), &n), PT_EINVAL, "state encode: bolt 4");
	s.bolt = 0;
	s.door = 3;
	T_EQ(pt_mqtt_state_encode(&s, out, sizeof(out), &n), PT_EINVAL, "state encode: door 3");
	s.door = 0;
	s.alarm = 9;
	T_EQ(pt_mqtt_state_encode(&s, out, sizeof(out), &n), PT_EINVAL, "state encode: alarm 9");
	s.alarm = 0;
	s.camera = 4;
	T_EQ(pt_mqtt_state_encode(&s, out, sizeof(out), &n), PT_EINVAL, "state encode: camera 4");
	s.camera = 0;
	s.has_at = true;
	s.at = -1;
	T_EQ(pt_mqtt_state_encode(&s, out, sizeof(out), &n), PT_EINVAL, "state encode: at -1");
	s.at = PT_TIME_MAX + 1;
	T_EQ(pt_mqtt_state_encode(&s, out, sizeof(out), &n), PT_EINVAL,
	     "state encode: at past PT_TIME_MAX");
	s.has_at = false;
	s.at = 5;
	T_EQ(pt_mqtt_state_encode(&s, out, sizeof(out), &n), PT_EINVAL,
	     "state encode: a time without has_at");
	s.at = 0;
	s.rev = -1;
	T_EQ(pt_mqtt_state_encode(&s, out, sizeof(out), &n), PT_EINVAL, "state encode: rev -1");
	s.rev = 0;
	s.has_rev = false;
	T_EQ(pt_mqtt_state_encode(&s, out, sizeof(out), &n), PT_EINVAL,
	     "state encode: online without a version");
	memset(&s, 0, sizeof(s));
	s.rev = 4;
	T_EQ(pt_mqtt_state_encode(&s, out, sizeof(out), &n), PT_EINVAL,
	     "state encode: a version without has_rev");
	s.rev = 0;
	s.door = PT_MQTT_DOOR_OPEN;
	T_EQ(pt_mqtt_state_encode(&s, out, sizeof(out), &n), PT_EINVAL,
	     "state encode: offline with a door state");
	s.door = 0;
	s.has_rev = true;
	T_EQ(pt_mqtt_state_encode(&s, out, sizeof(out), &n), PT_EINVAL,
	     "state encode: offline with a version");
}

/* ---- events ---- */

static char ev_types[PT_MQTT_EVENTS_MAX + 1][PT_EVENT_TYPE_LEN_MAX + 1];
static uint8_t ev_data[PT_MQTT_EVENTS_MAX + 1][PT_EVENT_DATA_MAX + 1];

/*
 * n events from first_seq on, chained from prev, each hashed with
 * pt_event_hash; types and data in the static buffers above. data_len
 * SIZE_MAX: a short JSON object per event. Signed by the hub key.
 */
static int
chain_build(struct pt_mqtt_events *b, int64_t first_seq, const uint8_t prev[PT_HASH_LEN],
	    size_t n, size_t type_len, size_t data_len, int64_t at)
{
	static const char *const types[] = {"door.open", "door.closed", "lock.locked",
					    "decision", "camera.unhealthy"};
	size_t i;
	int r;

	memset(b, 0, sizeof(*b));
	b->n = n;
	for (i = 0; i < n && i < PT_MQTT_EVENTS_MAX; i++) {
		struct pt_mqtt_event *e = &b->ev[i];

		if (type_len == 0) {
			(void)snprintf(ev_types[i], sizeof(ev_types[i]), "%s", types[i % 5]);
		} else {
			memset(ev_types[i], 'a' + (int)(i % 26), type_len);
			ev_types[i][type_len] = '\0';
		}
		e->type = ev_types[i];
		e->type_len = strlen(ev_types[i]);
		if (data_len == SIZE_MAX) {
			e->data_len = (size_t)snprintf((char *)ev_data[i], sizeof(ev_data[i]),
						       "{\"i\":%zu,\"reason\":\"granted\"}", i);
		} else {
			memset(ev_data[i], '{', data_len);
			e->data_len = data_len;
		}
		e->data = ev_data[i];
		e->seq = first_seq + (int64_t)i;
		e->at = at == INT64_MIN ? at : at + (int64_t)i;
		memcpy(e->prev, i == 0 ? prev : b->ev[i - 1].hash, PT_HASH_LEN);
		r = pt_event_hash(ops, e->prev, e->seq, e->at, e->type, e->type_len, e->data,
				  e->data_len, e->hash);
		if (r != PT_OK)
			return r;
	}
	if (n == 0 || n > PT_MQTT_EVENTS_MAX)
		return PT_OK;
	return pt_mqtt_events_sign(&hub.sg, HUB, b);
}

/* Mutations of the raw writer: each makes one thing wrong. */
enum {
	M_NO_SIG = 1u << 0,	/* batch map(1) without the signature */
	M_SIG_SHORT = 1u << 1,	/* a 63-byte signature */
	M_EXTRA_KEY = 1u << 2,	/* batch key 3 */
	M_EV_EXTRA = 1u << 3,	/* event key 7 */
	M_EV_MISSING = 1u << 4,	/* event without its hash */
	M_EV_ORDER = 1u << 5,	/* event keys at, seq */
	M_TYPE_BYTES = 1u << 6,	/* type as a byte string */
	M_DATA_TEXT = 1u << 7,	/* data as a text string */
	M_SEQ_NEG = 1u << 8,	/* seq as a negative integer */
	M_PREV_SHORT = 1u << 9,	/* prev of 31 bytes */
	M_TRAILING = 1u << 10,	/* a byte after the payload */
	M_EV_ARRAY = 1u << 11,	/* an event as an array */
	M_TOP_ARRAY = 1u << 12,	/* the batch as an array */
	M_SIG_FIRST = 1u << 13,	/* batch keys in the wrong order */
	M_COUNT_MORE = 1u << 14,	/* the array says one more event than it holds */
	M_SEQ_TEXT = 1u << 15,	/* seq as a text string */
};

static void write_event(struct pt_cbor_wr *w, const struct pt_mqtt_event *e, unsigned mut);

/* The payload the encoder writes, but without its checks, with mutations;
 * extra (if not NULL) is written after the batch's events. */
static size_t
events_raw2(const struct pt_mqtt_events *b, const struct pt_mqtt_event *extra, unsigned mut,
	    uint8_t *out, size_t cap)
{
	struct pt_cbor_wr w;
	size_t i;

	pt_cbor_wr_init(&w, out, cap);
	if (mut & M_TOP_ARRAY)
		pt_cbor_put_array(&w, 2);
	else
		pt_cbor_put_map(&w, (mut & M_NO_SIG) ? 1 : (mut & M_EXTRA_KEY) ? 3 : 2);
	if (mut & M_SIG_FIRST) {
		pt_cbor_put_uint(&w, 2);
		pt_cbor_put_bytes(&w, b->sig, PT_SIG_LEN);
	}
	if (!(mut & M_TOP_ARRAY))
		pt_cbor_put_uint(&w, 1);
	pt_cbor_put_array(&w, b->n + ((mut & M_COUNT_MORE) ? 1 : 0) + (extra != NULL ? 1 : 0));
	for (i = 0; i < b->n; i++)
		write_event(&w, &b->ev[i], mut);
	if (extra != NULL)
		write_event(&w, extra, mut);
	if (!(mut & M_NO_SIG) && !(mut & M_SIG_FIRST)) {
		if (!(mut & M_TOP_ARRAY))
			pt_cbor_put_uint(&w, 2);
		pt_cbor_put_bytes(&w, b->sig, (mut & M_SIG_SHORT) ? PT_SIG_LEN - 1 : PT_SIG_LEN);
	}
	if (mut & M_EXTRA_KEY) {
		pt_cbor_put_uint(&w, 3);
		pt_cbor_put_uint(&w, 0);
	}
	if (mut & M_TRAILING)
		pt_cbor_put_uint(&w, 0);
	return pt_cbor_wr_status(&w) == PT_OK ? w.len : 0;
}

static void
write_event(struct pt_cbor_wr *w, const struct pt_mqtt_event *e, unsigned mut)
{
	size_t pairs = (mut & M_EV_EXTRA) ? 7 : (mut & M_EV_MISSING) ? 5 : 6;

	if (mut & M_EV_ARRAY)
		pt_cbor_put_array(w, pairs * 2);
	else
		pt_cbor_put_map(w, pairs);
	if (mut & M_EV_ORDER) {
		pt_cbor_put_uint(w, 2);
		pt_cbor_put_int(w, e->at);
		pt_cbor_put_uint(w, 1);
		pt_cbor_put_uint(w, (uint64_t)e->seq);
	} else {
		pt_cbor_put_uint(w, 1);
		if (mut & M_SEQ_NEG)
			pt_cbor_put_int(w, -e->seq);
		else if (mut & M_SEQ_TEXT)
			pt_cbor_put_text(w, "1", 1);
		else
			pt_cbor_put_int(w, e->seq);
		pt_cbor_put_uint(w, 2);
		pt_cbor_put_int(w, e->at);
	}
	pt_cbor_put_uint(w, 3);
	if (mut & M_TYPE_BYTES)
		pt_cbor_put_bytes(w, (const uint8_t *)e->type, e->type_len);
	else
		pt_cbor_put_text(w, e->type, e->type_len);
	pt_cbor_put_uint(w, 4);
	if (mut & M_DATA_TEXT)
		pt_cbor_put_text(w, (const char *)e->data, e->data_len);
	else
		pt_cbor_put_bytes(w, e->data, e->data_len);
	pt_cbor_put_uint(w, 5);
	pt_cbor_put_bytes(w, e->prev, (mut & M_PREV_SHORT) ? PT_HASH_LEN - 1 : PT_HASH_LEN);
	if (!(mut & M_EV_MISSING)) {
		pt_cbor_put_uint(w, 6);
		pt_cbor_put_bytes(w, e->hash, PT_HASH_LEN);
	}
	if (mut & M_EV_EXTRA) {
		pt_cbor_put_uint(w, 7);
		pt_cbor_put_uint(w, 0);
	}
}

static size_t
events_raw(const struct pt_mqtt_events *b, unsigned mut, uint8_t *out, size_t cap)
{
	return events_raw2(b, NULL, mut, out, cap);
}

static uint8_t big[PT_MQTT_PAYLOAD_MAX + 64];
static uint8_t big2[PT_MQTT_PAYLOAD_MAX + 64];

static bool
events_equal(const struct pt_mqtt_events *a, const struct pt_mqtt_events *b)
{
	size_t i;

	if (a->n != b->n || memcmp(a->sig, b->sig, PT_SIG_LEN) != 0)
		return false;
	for (i = 0; i < a->n; i++) {
		const struct pt_mqtt_event *x = &a->ev[i], *y = &b->ev[i];
		if (x->seq != y->seq || x->at != y->at || x->type_len != y->type_len ||
		    memcmp(x->type, y->type, x->type_len) != 0 || x->data_len != y->data_len ||
		    (x->data_len > 0 && memcmp(x->data, y->data, x->data_len) != 0) ||
		    memcmp(x->prev, y->prev, PT_HASH_LEN) != 0 ||
		    memcmp(x->hash, y->hash, PT_HASH_LEN) != 0)
			return false;
	}
	return true;
}

/* A signer that writes garbage, then fails (a key in another process
 * that went away). */
static int
failing_sign(void *arg, uint8_t sig[PT_SIG_LEN], const uint8_t *m, size_t mlen)
{
	(void)arg;
	(void)m;
	(void)mlen;
	memset(sig, 0xee, PT_SIG_LEN);
	return PT_EIO;
}

static void
test_events(void)
{
	static struct pt_mqtt_events b, d, t;
	static const unsigned muts[] = {
		M_NO_SIG,     M_SIG_SHORT,  M_EXTRA_KEY,  M_EV_EXTRA, M_EV_MISSING, M_EV_ORDER,
		M_TYPE_BYTES, M_DATA_TEXT,  M_SEQ_NEG,	  M_PREV_SHORT, M_TRAILING,	M_EV_ARRAY,
		M_TOP_ARRAY,  M_SIG_FIRST,  M_COUNT_MORE, M_SEQ_TEXT,
	};
	uint8_t zero[PT_HASH_LEN] = {0}, *c, *c2;
	size_t n = 0, n2, bad, i;
	bool ok;
	int r;

	{
		/* The example of docs/mqtt.md, byte for byte. */
		static const char want[] =
			"a20181a60101021a6a2935a00369646f6f722e6f70656e04507b22646f6f7222"
			"3a2266726f6e74227d0558200000000000000000000000000000000000000000"
			"0000000000000000000000000658206d09fa6ab0199f98c0727dec161062dc87"
			"965917623a4aed0953d2ad016c35b6025840854791539a5798d793d6f4448408"
			"102e5b70ca449beb06143114f9a75b13c2a28290cb379bab1ac73bfaae0fc5f1"
			"54a5efb82dbad736c2c2238d502e0d1df206";
		char hex[2 * 178 + 1];

		memset(&b, 0, sizeof(b));
		b.n = 1;
		b.ev[0].seq = 1;
		b.ev[0].at = T0;
		b.ev[0].type = "door.open";
		b.ev[0].type_len = 9;
		b.ev[0].data = (const uint8_t *)"{\"door\":\"front\"}";
		b.ev[0].data_len = 16;
		T_OK(pt_event_hash(ops, b.ev[0].prev, 1, T0, "door.open", 9, b.ev[0].data, 16,
				   b.ev[0].hash) == PT_OK &&
			     pt_mqtt_events_sign(&hub.sg, HUB, &b) == PT_OK &&
			     pt_mqtt_events_encode(&b, big, sizeof(big), &n) == PT_OK && n == 178,
		     "events: the example of docs/mqtt.md, 178 bytes");
		for (i = 0; i < n && i < 178; i++)
			(void)snprintf(hex + 2 * i, 3, "%02x", big[i]);
		hex[2 * 178] = '\0';
		T_OK(strcmp(hex, want) == 0, "events: ... byte for byte");
	}

	/* A chain from the start: seq 1, zero prev. */
	T_EQ(chain_build(&b, 1, zero, 3, 0, SIZE_MAX, T0), PT_OK,
	     "events: three events chained with pt_event_hash, signed by the hub key");
	r = pt_mqtt_events_encode(&b, big, sizeof(big), &n);
	T_OK(r == PT_OK && n == events_raw(&b, 0, big2, sizeof(big2)) && memcmp(big, big2, n) == 0,
	     "events: encoded (%zu bytes), as docs/mqtt.md lays them out", n);
	corpus_write("events_first", big, n);
	T_EQ(dec(K_EVENTS, big, n), PT_OK, "events: decodes and re-encodes to the same bytes");
	c = dup(big, n);
	T_OK(pt_mqtt_events_decode(c, n, &d) == PT_OK && events_equal(&b, &d),
	     "events: every field back");
	T_OK(d.ev[0].type >= (const char *)c && d.ev[2].data + d.ev[2].data_len <= c + n,
	     "events: type and data borrow from the payload");
	T_EQ(pt_mqtt_events_verify(ops, hub.pk, HUB, &d, &bad), PT_OK,
	     "events: the decoded batch verifies (hashes and checkpoint)");
	T_EQ(pt_checkpoint_verify(ops, hub.pk, HUB, d.ev[2].seq, d.ev[2].hash, d.sig), PT_OK,
	     "events: the signature is the hub's checkpoint over the last event");
	T_EQ(pt_mqtt_events_verify(ops, hub.pk, "hub-2", &d, &bad), PT_EBADSIG,
	     "events: refused for another hub id (the checkpoint binds it)");
	T_EQ(bad, 3, "events: ... the signature named (index n)");
	T_EQ(pt_mqtt_events_verify(ops, stranger.pk, HUB, &d, &bad), PT_EBADSIG,
	     "events: refused under another hub key");
	c2 = dup(c, n);
	c2[n - 1] ^= 1;
	T_OK(pt_mqtt_events_decode(c2, n, &t) == PT_OK &&
		     pt_mqtt_events_verify(ops, hub.pk, HUB, &t, &bad) == PT_EBADSIG && bad == 3,
	     "events: a flipped signature bit decodes but does not verify");
	free(c2);
	mutations(K_EVENTS, "first3", big, n);

	/* Tampering with what the hashes cover: a decoded batch whose data,
	 * type, time or seq was changed after hashing. */
	t = d;
	memcpy(ev_data[4], t.ev[1].data, t.ev[1].data_len);
	ev_data[4][5] ^= 1;
	t.ev[1].data = ev_data[4];
	T_OK(pt_mqtt_events_verify(ops, hub.pk, HUB, &t, &bad) == PT_EBADSIG && bad == 1,
	     "events: changed data: the event's hash does not recompute (index 1)");
	t = d;
	t.ev[2].at++;
	T_OK(pt_mqtt_events_verify(ops, hub.pk, HUB, &t, &bad) == PT_EBADSIG && bad == 2,
	     "events: changed time: index 2");
	t = d;
	t.ev[0].type = "door.opex";
	t.ev[0].type_len = 9;
	T_OK(pt_mqtt_events_verify(ops, hub.pk, HUB, &t, &bad) == PT_EBADSIG && bad == 0,
	     "events: changed type: index 0");
	t = d;
	t.ev[2].hash[0] ^= 1;
	T_OK(pt_mqtt_events_verify(ops, hub.pk, HUB, &t, &bad) == PT_EBADSIG && bad == 2,
	     "events: a hash that is not the event's");
	t = d;
	t.n = 0;
	T_OK(pt_mqtt_events_verify(ops, hub.pk, HUB, &t, &bad) == PT_EINVAL && bad == 0,
	     "events: verify refuses a batch the decoder would refuse");
	free(c);	/* d borrowed from it until here */

	/* Later in the chain: any prev, events 1000..1031, an empty data, a
	 * time before 1970, a type of 48 bytes. */
	memset(zero, 0x77, sizeof(zero));
	T_EQ(chain_build(&b, 1000, zero, PT_MQTT_EVENTS_MAX, 0, SIZE_MAX, -5), PT_OK,
	     "events: 32 events from seq 1000");
	T_OK(pt_mqtt_events_encode(&b, big, sizeof(big), &n) == PT_OK &&
		     dec(K_EVENTS, big, n) == PT_OK && pt_mqtt_events_decode(big, n, &d) == PT_OK &&
		     pt_mqtt_events_verify(ops, hub.pk, HUB, &d, &bad) == PT_OK,
	     "events: a full batch later in the chain (negative times too) round trips and verifies");
	corpus_write("events_32", big, n);
	T_EQ(chain_build(&b, 7, zero, 1, PT_EVENT_TYPE_LEN_MAX, 0, 0), PT_OK,
	     "events: one event, 48-byte type, empty data");
	T_OK(pt_mqtt_events_encode(&b, big, sizeof(big), &n) == PT_OK &&
		     dec(K_EVENTS, big, n) == PT_OK && pt_mqtt_events_decode(big, n, &d) == PT_OK &&
		     d.ev[0].data_len == 0 && pt_mqtt_events_verify(ops, hub.pk, HUB, &d, &bad) == PT_OK,
	     "events: ... round trips and verifies");
	corpus_write("events_one", big, n);
	mutations(K_EVENTS, "one", big, n);

	/* The largest batch: 32 events of the longest type and data, seqs and
	 * times that need 9-byte heads: exactly PT_MQTT_EVENTS_PAYLOAD_MAX. */
	T_EQ(chain_build(&b, (int64_t)1 << 40, zero, PT_MQTT_EVENTS_MAX, PT_EVENT_TYPE_LEN_MAX,
			 PT_EVENT_DATA_MAX, INT64_MIN),
	     PT_OK, "events: the largest batch built");
	r = pt_mqtt_events_encode(&b, big, sizeof(big), &n);
	T_OK(r == PT_OK && n == PT_MQTT_EVENTS_PAYLOAD_MAX,
	     "events: the largest batch is exactly PT_MQTT_EVENTS_PAYLOAD_MAX (%zu) bytes", n);
	T_OK(dec(K_EVENTS, big, n) == PT_OK && pt_mqtt_events_decode(big, n, &d) == PT_OK &&
		     pt_mqtt_events_verify(ops, hub.pk, HUB, &d, &bad) == PT_OK,
	     "events: ... decodes and verifies");
	T_EQ(pt_mqtt_events_encode(&b, big2, n - 1, &n2), PT_ENOSPC,
	     "events: one byte short is PT_ENOSPC");
	T_EQ(n2, 0, "events: ... length 0");
	memcpy(big2, big, n);
	big2[n] = 0;
	T_EQ(dec(K_EVENTS, big2, n + 1), PT_ETOOBIG, "events: one byte more is too big");
	memset(big2, 0xa0, sizeof(big2));
	T_EQ(dec(K_EVENTS, big2, PT_MQTT_PAYLOAD_MAX + 1), PT_ETOOBIG,
	     "events: anything over the limit is too big before it is read");

	/* Linkage the decoder checks (no crypto needed). */
	memset(zero, 0, sizeof(zero));
	T_EQ(chain_build(&b, 1, zero, 3, 0, SIZE_MAX, T0), PT_OK, "events: a fresh chain");
	t = b;
	t.ev[2].seq = 4;
	n = events_raw(&t, 0, big, sizeof(big));
	T_EQ(dec(K_EVENTS, big, n), PT_EMALFORMED, "events: a gap in the seqs");
	T_EQ(pt_mqtt_events_encode(&t, big, sizeof(big), &n2), PT_EINVAL, "events encode: a gap");
	t = b;
	t.ev[1].seq = 1;
	n = events_raw(&t, 0, big, sizeof(big));
	T_EQ(dec(K_EVENTS, big, n), PT_EMALFORMED, "events: a repeated seq");
	t = b;
	t.ev[2].prev[31] ^= 1;
	n = events_raw(&t, 0, big, sizeof(big));
	T_EQ(dec(K_EVENTS, big, n), PT_EMALFORMED, "events: a prev that is not the hash before");
	T_EQ(pt_mqtt_events_encode(&t, big, sizeof(big), &n2), PT_EINVAL,
	     "events encode: broken linkage");
	t = b;
	t.ev[0].prev[0] = 1;
	n = events_raw(&t, 0, big, sizeof(big));
	T_EQ(dec(K_EVENTS, big, n), PT_EMALFORMED, "events: seq 1 with a prev that is not zero");
	t = b;
	t.ev[0].seq = 0;
	t.n = 1;
	n = events_raw(&t, 0, big, sizeof(big));
	T_EQ(dec(K_EVENTS, big, n), PT_EMALFORMED, "events: seq 0");
	T_EQ(pt_mqtt_events_encode(&t, big, sizeof(big), &n2), PT_EINVAL, "events encode: seq 0");
	t = b;
	t.n = 1;
	t.ev[0].seq = INT64_MAX;
	memset(t.ev[0].prev, 1, PT_HASH_LEN);
	n = events_raw(&t, 0, big, sizeof(big));
	T_EQ(dec(K_EVENTS, big, n), PT_OK, "events: seq INT64_MAX alone is fine");
	t.n = 2;
	t.ev[1].seq = INT64_MIN;
	memcpy(t.ev[1].prev, t.ev[0].hash, PT_HASH_LEN);
	n = events_raw(&t, 0, big, sizeof(big));
	T_EQ(dec(K_EVENTS, big, n), PT_EMALFORMED, "events: no seq after INT64_MAX (it wraps)");
	T_EQ(pt_mqtt_events_encode(&t, big, sizeof(big), &n2), PT_EINVAL,
	     "events encode: seq overflow");
	t = b;
	t.ev[1].type = "Door.Open";
	t.ev[1].type_len = 9;
	n = events_raw(&t, 0, big, sizeof(big));
	T_EQ(dec(K_EVENTS, big, n), PT_EMALFORMED, "events: a type outside [a-z0-9.-]");
	T_EQ(pt_mqtt_events_encode(&t, big, sizeof(big), &n2), PT_EINVAL,
	     "events encode: a bad type");
	t.ev[1].type = "";
	t.ev[1].type_len = 0;
	n = events_raw(&t, 0, big, sizeof(big));
	T_EQ(dec(K_EVENTS, big, n), PT_EMALFORMED, "events: an empty type");
	memset(ev_types[PT_MQTT_EVENTS_MAX], 'a', PT_EVENT_TYPE_LEN_MAX + 1);
	t.ev[1].type = ev_types[PT_MQTT_EVENTS_MAX];
	t.ev[1].type_len = PT_EVENT_TYPE_LEN_MAX + 1;
	n = events_raw(&t, 0, big, sizeof(big));
	T_EQ(dec(K_EVENTS, big, n), PT_EMALFORMED, "events: a 49-byte type");
	t = b;
	memset(ev_data[PT_MQTT_EVENTS_MAX], '{', PT_EVENT_DATA_MAX + 1);
	t.ev[1].data = ev_data[PT_MQTT_EVENTS_MAX];
	t.ev[1].data_len = PT_EVENT_DATA_MAX + 1;
	n = events_raw(&t, 0, big, sizeof(big));
	T_EQ(dec(K_EVENTS, big, n), PT_EMALFORMED, "events: 1025 bytes of data");
	T_EQ(pt_mqtt_events_encode(&t, big, sizeof(big), &n2), PT_EINVAL,
	     "events encode: 1025 bytes of data");
	t = b;
	t.ev[1].data = NULL;
	T_EQ(pt_mqtt_events_encode(&t, big, sizeof(big), &n2), PT_EINVAL,
	     "events encode: NULL data with a length");
	t.ev[1].type = NULL;
	T_EQ(pt_mqtt_events_encode(&t, big, sizeof(big), &n2), PT_EINVAL,
	     "events encode: NULL type");
	t = b;
	t.n = 0;
	n = events_raw(&t, 0, big, sizeof(big));
	T_EQ(dec(K_EVENTS, big, n), PT_EMALFORMED, "events: an empty batch");
	T_EQ(pt_mqtt_events_encode(&t, big, sizeof(big), &n2), PT_EINVAL,
	     "events encode: an empty batch");
	T_EQ(pt_mqtt_events_sign(&hub.sg, HUB, &t), PT_EINVAL, "events sign: an empty batch");
	T_OK(all_zero(t.sig, PT_SIG_LEN), "events sign: ... leaves no signature");
	t = b;
	T_EQ(pt_mqtt_events_sign(&hub.sg, "bad/id", &t), PT_EINVAL, "events sign: a bad hub id");
	{
		struct pt_signer broken = {failing_sign, NULL, {0}};

		t = b;
		T_EQ(pt_mqtt_events_sign(&broken, HUB, &t), PT_EIO,
		     "events sign: the signer's error comes back");
		T_OK(all_zero(t.sig, PT_SIG_LEN), "events sign: ... and no half-made signature");
	}
	{
		/* 33 events: 32 chained, and a 33rd chained onto them. */
		struct pt_mqtt_event e33;

		T_EQ(chain_build(&t, 1, zero, PT_MQTT_EVENTS_MAX, 0, 0, T0), PT_OK,
		     "events: 32 events chained");
		memset(&e33, 0, sizeof(e33));
		e33.seq = PT_MQTT_EVENTS_MAX + 1;
		e33.at = T0;
		e33.type = "door.open";
		e33.type_len = 9;
		e33.data = ev_data[0];
		memcpy(e33.prev, t.ev[PT_MQTT_EVENTS_MAX - 1].hash, PT_HASH_LEN);
		T_EQ(pt_event_hash(ops, e33.prev, e33.seq, e33.at, e33.type, e33.type_len, e33.data,
				   0, e33.hash),
		     PT_OK, "events: ... and a 33rd");
		n = events_raw2(&t, &e33, 0, big, sizeof(big));
		T_EQ(dec(K_EVENTS, big, n), PT_EMALFORMED, "events: 33 events in one batch");
		t.n = PT_MQTT_EVENTS_MAX + 1;
		T_EQ(pt_mqtt_events_encode(&t, big, sizeof(big), &n2), PT_EINVAL,
		     "events encode: n = 33");
	}

	/* Shape refusals. */
	ok = true;
	n = events_raw(&b, 0, big, sizeof(big));
	ok = dec(K_EVENTS, big, n) == PT_OK;
	for (i = 0; i < sizeof(muts) / sizeof(muts[0]); i++) {
		n = events_raw(&b, muts[i], big, sizeof(big));
		r = dec(K_EVENTS, big, n);
		if (n == 0 || r != PT_EMALFORMED) {
			printf("# mutation 0x%x: %d\n", muts[i], r);
			ok = false;
		}
		if (i == 0)
			corpus_write("events_nosig", big, n);
	}
	T_OK(ok, "events: no or short signature, unknown, missing and reordered keys, wrong "
		 "types, trailing bytes, arrays for maps, a miscounted array: all malformed");
	T_EQ(pt_mqtt_events_decode(NULL, 0, &d), PT_EMALFORMED, "events: NULL");
	{
		/* Non-deterministic encodings of a valid batch: a seq in a
		 * 2-byte head, an indefinite-length array. */
		uint8_t *p;
		n = events_raw(&b, 0, big, sizeof(big));
		p = memchr(big, 0xa6, n);	/* the first event's map(6), then 01 01 */
		if (p != NULL && p[1] == 0x01 && p[2] == 0x01) {
			memmove(p + 4, p + 3, n - (size_t)(p + 3 - big));
			p[2] = 0x18;
			p[3] = 0x01;
			T_EQ(dec(K_EVENTS, big, n + 1), PT_EMALFORMED,
			     "events: seq 1 in a 2-byte head (not shortest form)");
		} else {
			T_OK(0, "events: layout as expected");
		}
		n = events_raw(&b, 0, big, sizeof(big));
		T_OK(big[0] == 0xa2 && big[1] == 0x01 && big[2] == 0x83,
		     "events: map(2), key 1, array(3)");
		big[2] = 0x9f;	/* indefinite array */
		T_EQ(dec(K_EVENTS, big, n), PT_EMALFORMED, "events: an indefinite-length array");
	}
}

/* ---- ack ---- */

static void
test_ack(void)
{
	static const uint8_t zero_ack[] = {0xa1, 0x01, 0x00};
	struct pt_mqtt_ack a, d;
	struct pt_cbor_wr w;
	uint8_t out[128];
	size_t n = 0;

	memset(&a, 0, sizeof(a));
	T_OK(pt_mqtt_ack_encode(&a, out, sizeof(out), &n) == PT_OK && n == 3 &&
		     memcmp(out, zero_ack, 3) == 0,
	     "ack: nothing stored is a1 01 00");
	T_EQ(dec(K_ACK, out, n), PT_OK, "ack: ... decodes");
	corpus_write("ack_zero", out, n);
	a.seq = 1000;
	memset(a.hash, 0xab, PT_HASH_LEN);
	T_OK(pt_mqtt_ack_encode(&a, out, sizeof(out), &n) == PT_OK && n == 1 + 1 + 3 + 1 + 2 + 32 &&
		     out[0] == 0xa2 && out[1] == 0x01 && out[2] == 0x19 && out[3] == 0x03 &&
		     out[4] == 0xe8 && out[5] == 0x02 && out[6] == 0x58 && out[7] == 0x20,
	     "ack: seq 1000 with its hash: a2 01 19 03e8 02 58 20 ...");
	T_OK(dec(K_ACK, out, n) == PT_OK && pt_mqtt_ack_decode(out, n, &d) == PT_OK &&
		     memcmp(&d, &a, sizeof(a)) == 0,
	     "ack: round trip");
	corpus_write("ack_1000", out, n);
	mutations(K_ACK, "1000", out, n);
	a.seq = INT64_MAX;
	T_OK(pt_mqtt_ack_encode(&a, out, sizeof(out), &n) == PT_OK && n == PT_MQTT_ACK_PAYLOAD_MAX &&
		     dec(K_ACK, out, n) == PT_OK,
	     "ack: the largest is PT_MQTT_ACK_PAYLOAD_MAX bytes");
	T_EQ(pt_mqtt_ack_encode(&a, out, n - 1, &n), PT_ENOSPC, "ack: one byte short");

	a.seq = -1;
	T_EQ(pt_mqtt_ack_encode(&a, out, sizeof(out), &n), PT_EINVAL, "ack encode: seq -1");
	a.seq = 0;
	T_EQ(pt_mqtt_ack_encode(&a, out, sizeof(out), &n), PT_EINVAL,
	     "ack encode: a hash with seq 0");

	pt_cbor_wr_init(&w, out, sizeof(out));
	pt_cbor_put_map(&w, 2);
	pt_cbor_put_uint(&w, 1);
	pt_cbor_put_uint(&w, 0);
	pt_cbor_put_uint(&w, 2);
	pt_cbor_put_bytes(&w, a.hash, PT_HASH_LEN);
	T_EQ(dec(K_ACK, out, w.len), PT_EMALFORMED, "ack: seq 0 with a hash");
	pt_cbor_wr_init(&w, out, sizeof(out));
	pt_cbor_put_map(&w, 1);
	pt_cbor_put_uint(&w, 1);
	pt_cbor_put_uint(&w, 5);
	T_EQ(dec(K_ACK, out, w.len), PT_EMALFORMED, "ack: seq 5 without its hash");
	pt_cbor_wr_init(&w, out, sizeof(out));
	pt_cbor_put_map(&w, 2);
	pt_cbor_put_uint(&w, 1);
	pt_cbor_put_uint(&w, 5);
	pt_cbor_put_uint(&w, 2);
	pt_cbor_put_bytes(&w, a.hash, PT_HASH_LEN - 1);
	T_EQ(dec(K_ACK, out, w.len), PT_EMALFORMED, "ack: a 31-byte hash");
	pt_cbor_wr_init(&w, out, sizeof(out));
	pt_cbor_put_map(&w, 1);
	pt_cbor_put_uint(&w, 1);
	pt_cbor_put_int(&w, -1);
	T_EQ(dec(K_ACK, out, w.len), PT_EMALFORMED, "ack: seq -1");
	pt_cbor_wr_init(&w, out, sizeof(out));
	pt_cbor_put_map(&w, 1);
	pt_cbor_put_uint(&w, 2);
	pt_cbor_put_bytes(&w, a.hash, PT_HASH_LEN);
	T_EQ(dec(K_ACK, out, w.len), PT_EMALFORMED, "ack: a hash without a seq");
	pt_cbor_wr_init(&w, out, sizeof(out));
	pt_cbor_put_map(&w, 2);
	pt_cbor_put_uint(&w, 1);
	pt_cbor_put_uint(&w, 5);
	pt_cbor_put_uint(&w, 3);
	pt_cbor_put_bytes(&w, a.hash, PT_HASH_LEN);
	T_EQ(dec(K_ACK, out, w.len), PT_EMALFORMED, "ack: key 3 for the hash");
	pt_cbor_wr_init(&w, out, sizeof(out));
	pt_cbor_put_map(&w, 3);
	pt_cbor_put_uint(&w, 1);
	pt_cbor_put_uint(&w, 5);
	pt_cbor_put_uint(&w, 2);
	pt_cbor_put_bytes(&w, a.hash, PT_HASH_LEN);
	pt_cbor_put_uint(&w, 3);
	pt_cbor_put_uint(&w, 0);
	T_EQ(dec(K_ACK, out, w.len), PT_EMALFORMED, "ack: an extra key");
	T_EQ(dec(K_ACK, (const uint8_t *)"\xa0", 1), PT_EMALFORMED, "ack: an empty map");
	T_EQ(dec(K_ACK, (const uint8_t *)"\xa1\x01\x00\x00", 4), PT_EMALFORMED, "ack: a trailing byte");
	T_EQ(dec(K_ACK, (const uint8_t *)"\xa1\x01\x18\x05", 4), PT_EMALFORMED,
	     "ack: seq 5 in a 2-byte head");
	memset(out, 0xa1, sizeof(out));
	T_EQ(dec(K_ACK, out, PT_MQTT_ACK_PAYLOAD_MAX + 1), PT_ETOOBIG, "ack: too big");
}

/* ---- revocations and commands: real owner-signed envelopes ---- */

static size_t
make_envelope(uint8_t kind, uint8_t fill, uint8_t *out, size_t cap)
{
	struct pt_envelope e;
	size_t n = 0;

	memset(&e, 0, sizeof(e));
	e.kind = kind;
	(void)snprintf(e.aud, sizeof(e.aud), "%s", HOME);
	e.iat = T0;
	memset(e.nonce, fill, PT_CTI_LEN);
	if (kind == PT_ENV_COMMAND) {
		e.op = PT_CMD_UNLOCK;
		(void)snprintf(e.lock, sizeof(e.lock), "front");
	} else {
		e.op = PT_REVOKE_TOKEN;
		memset(e.target, fill, PT_CTI_LEN);
		e.target_len = PT_CTI_LEN;
	}
	if (pt_envelope_sign(ops, &owner.sg, &e, out, cap, &n) != PT_OK)
		return 0;
	return n;
}

static bool
envelope_verifies(const uint8_t *p, size_t n, uint8_t kind, uint32_t skew)
{
	struct pt_envelope e;
	size_t idx;

	return pt_envelope_verify(ops, p, n, kind, (const uint8_t(*)[PT_PK_LEN])owner.pk, 1, HOME,
				  T0 + 60, skew, &e, &idx) == PT_OK;
}

static void
test_revocations(void)
{
	static struct pt_mqtt_revocations m, d, t;
	static uint8_t envs[3][PT_ENVELOPE_SIZE_MAX];
	static uint8_t maxenv[PT_ENVELOPE_SIZE_MAX + 1];
	size_t lens[3], n, n2, i;
	struct pt_cbor_wr w;
	uint8_t *c;
	bool ok;

	for (i = 0; i < 3; i++)
		lens[i] = make_envelope(PT_ENV_REVOCATION, (uint8_t)(0x70 + i), envs[i], sizeof(envs[i]));
	T_OK(lens[0] > 0 && lens[1] > 0 && lens[2] > 0, "revocations: three owner-signed envelopes");

	memset(&m, 0, sizeof(m));
	T_OK(pt_mqtt_revocations_encode(&m, big, sizeof(big), &n) == PT_OK && n == 5 &&
		     memcmp(big, "\xa2\x01\x00\x02\x80", 5) == 0,
	     "revocations: a home without any is a2 01 00 02 80");
	T_EQ(dec(K_REVS, big, n), PT_OK, "revocations: ... decodes");
	corpus_write("revs_empty", big, n);
	m.newest = 5;
	m.n = 3;
	m.r[0].version = 2;
	m.r[1].version = 3;
	m.r[2].version = 5;
	for (i = 0; i < 3; i++) {
		m.r[i].envelope = envs[i];
		m.r[i].envelope_len = lens[i];
	}
	T_EQ(pt_mqtt_revocations_encode(&m, big, sizeof(big), &n), PT_OK,
	     "revocations: versions 2, 3, 5 of 5 encoded (%zu bytes)", n);
	T_EQ(dec(K_REVS, big, n), PT_OK, "revocations: decode, re-encode: the same bytes");
	c = dup(big, n);
	ok = pt_mqtt_revocations_decode(c, n, &d) == PT_OK && d.newest == 5 && d.n == 3;
	for (i = 0; ok && i < 3; i++)
		ok = d.r[i].version == m.r[i].version && d.r[i].envelope_len == lens[i] &&
		     memcmp(d.r[i].envelope, envs[i], lens[i]) == 0 &&
		     d.r[i].envelope >= c && d.r[i].envelope + lens[i] <= c + n &&
		     envelope_verifies(d.r[i].envelope, d.r[i].envelope_len, PT_ENV_REVOCATION,
				       UINT32_MAX);
	T_OK(ok, "revocations: every envelope back, borrowed from the payload, and still "
		 "verifying as the owner's revocation");
	free(c);
	corpus_write("revs_3", big, n);
	mutations(K_REVS, "3", big, n);

	/* The largest: 32 envelopes of 512 bytes, versions in 9-byte heads. */
	memset(maxenv, 0xd2, sizeof(maxenv));
	memset(&t, 0, sizeof(t));
	t.newest = INT64_MAX;
	t.n = PT_MQTT_REVOCATIONS_MAX;
	for (i = 0; i < t.n; i++) {
		t.r[i].version = ((int64_t)1 << 40) + (int64_t)i;
		t.r[i].envelope = maxenv;
		t.r[i].envelope_len = PT_ENVELOPE_SIZE_MAX;
	}
	T_OK(pt_mqtt_revocations_encode(&t, big, sizeof(big), &n) == PT_OK &&
		     n == PT_MQTT_REVOCATIONS_PAYLOAD_MAX && dec(K_REVS, big, n) == PT_OK,
	     "revocations: the largest is exactly PT_MQTT_REVOCATIONS_PAYLOAD_MAX (%zu) bytes", n);
	big[n] = 0;
	T_EQ(dec(K_REVS, big, n + 1), PT_ETOOBIG, "revocations: one byte more is too big");
	T_EQ(pt_mqtt_revocations_encode(&t, big, n - 1, &n2), PT_ENOSPC,
	     "revocations: one byte short is PT_ENOSPC");

	/* Refusals, each written both ways. */
#define REV_BAD(setup, what)                                                               \
	do {                                                                               \
		t = m;                                                                     \
		setup;                                                                     \
		T_EQ(pt_mqtt_revocations_encode(&t, big, sizeof(big), &n2), PT_EINVAL,     \
		     "revocations encode: " what);                                         \
		pt_cbor_wr_init(&w, big, sizeof(big));                                     \
		pt_cbor_put_map(&w, 2);                                                    \
		pt_cbor_put_uint(&w, 1);                                                   \
		pt_cbor_put_int(&w, t.newest);                                             \
		pt_cbor_put_uint(&w, 2);                                                   \
		pt_cbor_put_array(&w, t.n);                                                \
		for (i = 0; i < t.n; i++) {                                                \
			pt_cbor_put_map(&w, 2);                                            \
			pt_cbor_put_uint(&w, 1);                                           \
			pt_cbor_put_int(&w, t.r[i].version);                               \
			pt_cbor_put_uint(&w, 2);                                           \
			pt_cbor_put_bytes(&w, t.r[i].envelope != NULL ? t.r[i].envelope : maxenv, \
					  t.r[i].envelope_len);                            \
		}                                                                          \
		T_EQ(dec(K_REVS, big, w.len), PT_EMALFORMED, "revocations: " what);        \
	} while (0)

	REV_BAD(t.r[1].version = 2, "versions not strictly ascending (2, 2)");
	REV_BAD(t.r[1].version = 1, "versions descending (2, 1)");
	REV_BAD(t.r[0].version = 0, "version 0");
	REV_BAD(t.r[0].version = -4, "a negative version");
	REV_BAD(t.newest = 4, "a version above newest");
	REV_BAD((t.newest = -1, t.n = 0), "newest -1");
	REV_BAD(t.r[2].envelope_len = 0, "an empty envelope");
	REV_BAD((t.r[2].envelope = maxenv, t.r[2].envelope_len = PT_ENVELOPE_SIZE_MAX + 1),
		"an envelope of 513 bytes");
	t = m;
	t.r[1].envelope = NULL;
	T_EQ(pt_mqtt_revocations_encode(&t, big, sizeof(big), &n2), PT_EINVAL,
	     "revocations encode: NULL envelope");
	t = m;
	t.n = PT_MQTT_REVOCATIONS_MAX + 1;
	T_EQ(pt_mqtt_revocations_encode(&t, big, sizeof(big), &n2), PT_EINVAL,
	     "revocations encode: 33 entries");
	pt_cbor_wr_init(&w, big, sizeof(big));
	pt_cbor_put_map(&w, 2);
	pt_cbor_put_uint(&w, 1);
	pt_cbor_put_uint(&w, 100);
	pt_cbor_put_uint(&w, 2);
	pt_cbor_put_array(&w, PT_MQTT_REVOCATIONS_MAX + 1);
	for (i = 0; i < PT_MQTT_REVOCATIONS_MAX + 1; i++) {
		pt_cbor_put_map(&w, 2);
		pt_cbor_put_uint(&w, 1);
		pt_cbor_put_uint(&w, i + 1);
		pt_cbor_put_uint(&w, 2);
		pt_cbor_put_bytes(&w, envs[0], 8);
	}
	T_EQ(dec(K_REVS, big, w.len), PT_EMALFORMED, "revocations: 33 entries");

	pt_cbor_wr_init(&w, big, sizeof(big));
	pt_cbor_put_map(&w, 2);
	pt_cbor_put_uint(&w, 1);
	pt_cbor_put_uint(&w, 5);
	pt_cbor_put_uint(&w, 2);
	pt_cbor_put_array(&w, 1);
	pt_cbor_put_map(&w, 3);
	pt_cbor_put_uint(&w, 1);
	pt_cbor_put_uint(&w, 5);
	pt_cbor_put_uint(&w, 2);
	pt_cbor_put_bytes(&w, envs[0], lens[0]);
	pt_cbor_put_uint(&w, 3);
	pt_cbor_put_uint(&w, 0);
	T_EQ(dec(K_REVS, big, w.len), PT_EMALFORMED, "revocations: an entry with an extra key");
	pt_cbor_wr_init(&w, big, sizeof(big));
	pt_cbor_put_map(&w, 2);
	pt_cbor_put_uint(&w, 1);
	pt_cbor_put_uint(&w, 5);
	pt_cbor_put_uint(&w, 2);
	pt_cbor_put_array(&w, 1);
	pt_cbor_put_map(&w, 2);
	pt_cbor_put_uint(&w, 2);
	pt_cbor_put_bytes(&w, envs[0], lens[0]);
	pt_cbor_put_uint(&w, 1);
	pt_cbor_put_uint(&w, 5);
	T_EQ(dec(K_REVS, big, w.len), PT_EMALFORMED, "revocations: entry keys out of order");
	pt_cbor_wr_init(&w, big, sizeof(big));
	pt_cbor_put_map(&w, 2);
	pt_cbor_put_uint(&w, 1);
	pt_cbor_put_uint(&w, 5);
	pt_cbor_put_uint(&w, 2);
	pt_cbor_put_array(&w, 1);
	pt_cbor_put_map(&w, 2);
	pt_cbor_put_uint(&w, 1);
	pt_cbor_put_uint(&w, 5);
	pt_cbor_put_uint(&w, 2);
	pt_cbor_put_text(&w, "abc", 3);
	T_EQ(dec(K_REVS, big, w.len), PT_EMALFORMED, "revocations: an envelope as text");
	T_EQ(dec(K_REVS, (const uint8_t *)"\xa1\x01\x00", 3), PT_EMALFORMED,
	     "revocations: no entries key");
	T_EQ(dec(K_REVS, (const uint8_t *)"\xa2\x02\x80\x01\x00", 5), PT_EMALFORMED,
	     "revocations: keys swapped");
	T_EQ(dec(K_REVS, (const uint8_t *)"\xa2\x01\x00\x02\x80\x00", 6), PT_EMALFORMED,
	     "revocations: a trailing byte");
	T_EQ(dec(K_REVS, (const uint8_t *)"\xa2\x01\x00\x02\xa0", 5), PT_EMALFORMED,
	     "revocations: entries as a map");
#undef REV_BAD
}

static void
test_commands(void)
{
	static uint8_t env[PT_ENVELOPE_SIZE_MAX + 1];
	struct pt_mqtt_command cm, d;
	struct pt_cbor_wr w;
	uint8_t out[PT_MQTT_COMMAND_PAYLOAD_MAX + 8], *c;
	size_t n = 0, elen;

	elen = make_envelope(PT_ENV_COMMAND, 0x6e, env, sizeof(env));
	T_OK(elen > 0, "commands: an owner-signed unlock (%zu bytes)", elen);
	cm.envelope = env;
	cm.envelope_len = elen;
	T_OK(elen >= 24 && elen < 256 && pt_mqtt_command_encode(&cm, out, sizeof(out), &n) == PT_OK &&
		     n == elen + 4 && out[0] == 0xa1 && out[1] == 0x01 && out[2] == 0x58 &&
		     out[3] == elen && memcmp(out + 4, env, elen) == 0,
	     "commands: a1 01 58 <len> <envelope>");
	T_EQ(dec(K_CMD, out, n), PT_OK, "commands: decode, re-encode: the same bytes");
	c = dup(out, n);
	T_OK(pt_mqtt_command_decode(c, n, &d) == PT_OK && d.envelope_len == elen &&
		     d.envelope == c + 4 && envelope_verifies(d.envelope, d.envelope_len,
							      PT_ENV_COMMAND, 300),
	     "commands: the envelope, borrowed, still verifies as the owner's command");
	T_OK(!envelope_verifies(d.envelope, d.envelope_len, PT_ENV_REVOCATION, 300),
	     "commands: ... and not as a revocation");
	free(c);
	corpus_write("command", out, n);
	mutations(K_CMD, "unlock", out, n);

	memset(env, 0xd2, sizeof(env));
	cm.envelope_len = PT_ENVELOPE_SIZE_MAX;
	T_OK(pt_mqtt_command_encode(&cm, out, sizeof(out), &n) == PT_OK &&
		     n == PT_MQTT_COMMAND_PAYLOAD_MAX && dec(K_CMD, out, n) == PT_OK,
	     "commands: the largest is PT_MQTT_COMMAND_PAYLOAD_MAX bytes");
	cm.envelope_len = PT_ENVELOPE_SIZE_MAX + 1;
	T_EQ(pt_mqtt_command_encode(&cm, out, sizeof(out), &n), PT_EINVAL,
	     "commands encode: 513 bytes");
	cm.envelope_len = 0;
	T_EQ(pt_mqtt_command_encode(&cm, out, sizeof(out), &n), PT_EINVAL, "commands encode: empty");
	cm.envelope = NULL;
	cm.envelope_len = 5;
	T_EQ(pt_mqtt_command_encode(&cm, out, sizeof(out), &n), PT_EINVAL, "commands encode: NULL");

	pt_cbor_wr_init(&w, out, sizeof(out));
	pt_cbor_put_map(&w, 1);
	pt_cbor_put_uint(&w, 1);
	pt_cbor_put_bytes(&w, env, PT_ENVELOPE_SIZE_MAX + 1);
	T_EQ(dec(K_CMD, out, w.len), PT_ETOOBIG, "commands: a 513-byte envelope makes it too big");
	T_EQ(dec(K_CMD, (const uint8_t *)"\xa1\x01\x40", 3), PT_EMALFORMED,
	     "commands: an empty envelope");
	T_EQ(dec(K_CMD, (const uint8_t *)"\xa1\x01\x43\x01\x02\x03", 6), PT_OK,
	     "commands: any 1..512 bytes pass the codec (the hub verifies)");
	T_EQ(dec(K_CMD, (const uint8_t *)"\xa1\x02\x43\x01\x02\x03", 6), PT_EMALFORMED,
	     "commands: key 2");
	T_EQ(dec(K_CMD, (const uint8_t *)"\xa1\x01\x63\x61\x62\x63", 6), PT_EMALFORMED,
	     "commands: the envelope as text");
	T_EQ(dec(K_CMD, (const uint8_t *)"\xa2\x01\x41\x01\x02\x00", 6), PT_EMALFORMED,
	     "commands: two keys");
	T_EQ(dec(K_CMD, (const uint8_t *)"\x81\x41\x01", 3), PT_EMALFORMED, "commands: an array");
	T_EQ(dec(K_CMD, (const uint8_t *)"\xa1\x01\x41\x01\xff", 5), PT_EMALFORMED,
	     "commands: a trailing byte");
	T_EQ(dec(K_CMD, (const uint8_t *)"\xa1\x01\x5f\x41\x01\xff", 6), PT_EMALFORMED,
	     "commands: an indefinite-length byte string");
}

/* ---- time ---- */

static void
test_time(void)
{
	static const uint8_t known[] = {0xa2, 0x01, 0x1b, 0x00, 0x00, 0x01, 0x9e, 0xb0,
					0xf9, 0x79, 0x00, 0x02, 0x03};
	struct pt_mqtt_time t, d;
	uint8_t out[64];
	size_t n = 0;

	t.now_ms = T0 * 1000;
	t.rev = 3;
	T_OK(pt_mqtt_time_encode(&t, out, sizeof(out), &n) == PT_OK && n == sizeof(known) &&
		     memcmp(out, known, n) == 0,
	     "time: known bytes (2026-06-10T10:00:00Z, version 3)");
	T_OK(dec(K_TIME, out, n) == PT_OK && pt_mqtt_time_decode(out, n, &d) == PT_OK &&
		     d.now_ms == t.now_ms && d.rev == 3,
	     "time: round trip");
	corpus_write("time", out, n);
	mutations(K_TIME, "beacon", out, n);
	t.now_ms = PT_TIME_MAX * 1000;
	t.rev = INT64_MAX;
	T_OK(pt_mqtt_time_encode(&t, out, sizeof(out), &n) == PT_OK && n == PT_MQTT_TIME_PAYLOAD_MAX &&
		     dec(K_TIME, out, n) == PT_OK,
	     "time: the largest is PT_MQTT_TIME_PAYLOAD_MAX bytes");
	t.now_ms = PT_TIME_MAX * 1000 + 1;
	T_EQ(pt_mqtt_time_encode(&t, out, sizeof(out), &n), PT_EINVAL, "time encode: past year 9999");
	t.now_ms = -1;
	T_EQ(pt_mqtt_time_encode(&t, out, sizeof(out), &n), PT_EINVAL, "time encode: before 1970");
	t.now_ms = 0;
	t.rev = -1;
	T_EQ(pt_mqtt_time_encode(&t, out, sizeof(out), &n), PT_EINVAL, "time encode: rev -1");
	t.rev = 0;
	T_OK(pt_mqtt_time_encode(&t, out, sizeof(out), &n) == PT_OK && n == 5 &&
		     memcmp(out, "\xa2\x01\x00\x02\x00", 5) == 0,
	     "time: zero is a2 01 00 02 00");
	T_EQ(dec(K_TIME, (const uint8_t *)"\xa2\x01\x1b\x00\x00\xe6\x77\xd2\x1f\xd8\x19\x02\x00", 13),
	     PT_EMALFORMED, "time: one millisecond past year 9999");
	T_EQ(dec(K_TIME, (const uint8_t *)"\xa2\x01\x20\x02\x00", 5), PT_EMALFORMED,
	     "time: a negative time");
	T_EQ(dec(K_TIME, (const uint8_t *)"\xa1\x01\x00", 3), PT_EMALFORMED, "time: no version");
	T_EQ(dec(K_TIME, (const uint8_t *)"\xa2\x02\x00\x01\x00", 5), PT_EMALFORMED,
	     "time: keys swapped");
	T_EQ(dec(K_TIME, (const uint8_t *)"\xa3\x01\x00\x02\x00\x03\x00", 7), PT_EMALFORMED,
	     "time: an extra key");
	T_EQ(dec(K_TIME, (const uint8_t *)"\xa2\x01\xf9\x00\x00\x02\x00", 7), PT_EMALFORMED,
	     "time: a float");
	T_EQ(dec(K_TIME, (const uint8_t *)"\xa2\x01\x00\x02\x00\x00", 6), PT_EMALFORMED,
	     "time: a trailing byte");
	memset(out, 0, sizeof(out));
	T_EQ(dec(K_TIME, out, PT_MQTT_TIME_PAYLOAD_MAX + 1), PT_ETOOBIG, "time: too big");
}

/* ---- cross-kind: no payload passes for another message ---- */

static void
test_cross(void)
{
	static uint8_t samples[K_COUNT][2048];
	static size_t lens[K_COUNT];
	struct pt_mqtt_state s;
	struct pt_mqtt_ack a;
	struct pt_mqtt_time t;
	struct pt_mqtt_command cm;
	struct pt_mqtt_events b;
	struct pt_mqtt_revocations m;
	uint8_t zero[PT_HASH_LEN] = {0}, env[PT_ENVELOPE_SIZE_MAX];
	size_t i, j, n;
	bool ok = true;

	memset(&s, 0, sizeof(s));
	s.online = true;
	s.has_rev = true;
	ok = ok && pt_mqtt_state_encode(&s, samples[K_STATE], sizeof(samples[K_STATE]), &lens[K_STATE]) == PT_OK;
	ok = ok && chain_build(&b, 1, zero, 1, 0, SIZE_MAX, T0) == PT_OK &&
	     pt_mqtt_events_encode(&b, samples[K_EVENTS], sizeof(samples[K_EVENTS]), &lens[K_EVENTS]) == PT_OK;
	memset(&a, 0, sizeof(a));
	a.seq = 1;
	ok = ok && pt_mqtt_ack_encode(&a, samples[K_ACK], sizeof(samples[K_ACK]), &lens[K_ACK]) == PT_OK;
	n = make_envelope(PT_ENV_REVOCATION, 1, env, sizeof(env));
	memset(&m, 0, sizeof(m));
	m.newest = 1;
	m.n = 1;
	m.r[0].version = 1;
	m.r[0].envelope = env;
	m.r[0].envelope_len = n;
	ok = ok && pt_mqtt_revocations_encode(&m, samples[K_REVS], sizeof(samples[K_REVS]), &lens[K_REVS]) == PT_OK;
	cm.envelope = env;
	cm.envelope_len = n;
	ok = ok && pt_mqtt_command_encode(&cm, samples[K_CMD], sizeof(samples[K_CMD]), &lens[K_CMD]) == PT_OK;
	t.now_ms = 1;
	t.rev = 1;
	ok = ok && pt_mqtt_time_encode(&t, samples[K_TIME], sizeof(samples[K_TIME]), &lens[K_TIME]) == PT_OK;
	T_OK(ok, "cross: one sample of each message");
	ok = true;
	for (i = 0; i < K_COUNT; i++)
		for (j = 0; j < K_COUNT; j++)
			if ((dec((enum kind)j, samples[i], lens[i]) == PT_OK) != (i == j)) {
				printf("# %s sample as %s\n", kind_names[i], kind_names[j]);
				ok = false;
			}
	T_OK(ok, "cross: each decoder takes its own message and refuses the other five");
}

/* ---- Home Assistant ---- */

static json_t *
ha_json(int entity, const char *hub_id, const char *name, const char *ver, size_t *n)
{
	static uint8_t out[PT_MQTT_HA_CONFIG_MAX];
	json_error_t jerr;

	*n = 0;
	if (pt_mqtt_ha_config(entity, hub_id, name, ver, out, sizeof(out), n) != PT_OK)
		return NULL;
	return json_loadb((const char *)out, *n, JSON_REJECT_DUPLICATES, &jerr);
}

static const char *
jstr(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s != NULL ? s : "";
}

static void
test_ha(void)
{
	static const char *const want_topics[] = {
		NULL,
		"homeassistant/lock/hub-1/lock/config",
		"homeassistant/binary_sensor/hub-1/door/config",
		"homeassistant/binary_sensor/hub-1/camera/config",
	};
	char topic[PT_MQTT_TOPIC_CAP], id[PT_ID_MAX + 1], name[102];
	uint8_t out[PT_MQTT_HA_CONFIG_MAX];
	json_t *o, *dev, *ident;
	char *canon;
	size_t n = 0, i;
	bool ok = true;
	int e;

	for (e = PT_MQTT_HA_LOCK; e <= PT_MQTT_HA_CAMERA; e++)
		ok = ok && pt_mqtt_ha_topic(e, HUB, topic, sizeof(topic), &n) == PT_OK &&
		     strcmp(topic, want_topics[e]) == 0 && n == strlen(topic);
	T_OK(ok, "ha: discovery topics homeassistant/<component>/<hub>/<object>/config");
	memset(id, 'h', PT_ID_MAX);
	id[PT_ID_MAX] = '\0';
	T_OK(pt_mqtt_ha_topic(PT_MQTT_HA_CAMERA, id, topic, sizeof(topic), &n) == PT_OK &&
		     n == PT_MQTT_HA_TOPIC_MAX,
	     "ha: the longest discovery topic is PT_MQTT_HA_TOPIC_MAX bytes");
	T_EQ(pt_mqtt_ha_topic(PT_MQTT_HA_LOCK, "hub.1", topic, sizeof(topic), &n), PT_EINVAL,
	     "ha: an id with '.' cannot be a node_id");
	T_EQ(pt_mqtt_ha_topic(PT_MQTT_HA_LOCK, "hub/1", topic, sizeof(topic), &n), PT_EINVAL,
	     "ha: an id with '/'");
	T_EQ(pt_mqtt_ha_topic(4, HUB, topic, sizeof(topic), &n), PT_EINVAL, "ha: entity 4");
	T_EQ(pt_mqtt_ha_topic(PT_MQTT_HA_LOCK, HUB, topic, 10, &n), PT_ENOSPC, "ha: topic: no room");

	{
		/* The example of docs/mqtt.md (shown there wrapped). */
		static const char want[] =
			"{\"availability_template\":\"{{ 'online' if value_json.online else 'offline' }}\","
			"\"availability_topic\":\"porter/v1/hub/hub-1/state\","
			"\"command_topic\":\"porter/v1/hub/hub-1/ha/set\","
			"\"device\":{\"identifiers\":[\"porter_hub-1\"],\"manufacturer\":\"porter\","
			"\"model\":\"porter-hub\",\"name\":\"Hall\",\"sw_version\":\"0.1.0\"},"
			"\"name\":\"Lock\",\"optimistic\":false,\"qos\":1,"
			"\"state_jammed\":\"jammed\",\"state_locked\":\"locked\","
			"\"state_topic\":\"porter/v1/hub/hub-1/state\",\"state_unlocked\":\"unlocked\","
			"\"unique_id\":\"porter_hub-1_lock\",\"value_template\":\"{{ value_json.bolt }}\"}";

		T_OK(pt_mqtt_ha_config(PT_MQTT_HA_LOCK, HUB, "Hall", "0.1.0", out, sizeof(out), &n) ==
				     PT_OK &&
			     n == sizeof(want) - 1 && memcmp(out, want, n) == 0,
		     "ha lock: the example of docs/mqtt.md, byte for byte");
	}
	ident = json_pack("[s]", "porter_hub-1");
	o = ha_json(PT_MQTT_HA_LOCK, HUB, "Hall", "0.1.0", &n);
	dev = json_object_get(o, "device");
	T_OK(o != NULL && strcmp(jstr(o, "state_topic"), "porter/v1/hub/hub-1/state") == 0 &&
		     strcmp(jstr(o, "availability_topic"), "porter/v1/hub/hub-1/state") == 0 &&
		     strcmp(jstr(o, "command_topic"), "porter/v1/hub/hub-1/ha/set") == 0 &&
		     strcmp(jstr(o, "value_template"), "{{ value_json.bolt }}") == 0 &&
		     strcmp(jstr(o, "state_locked"), "locked") == 0 &&
		     strcmp(jstr(o, "state_unlocked"), "unlocked") == 0 &&
		     strcmp(jstr(o, "state_jammed"), "jammed") == 0 &&
		     strcmp(jstr(o, "unique_id"), "porter_hub-1_lock") == 0 &&
		     json_is_false(json_object_get(o, "optimistic")) &&
		     json_integer_value(json_object_get(o, "qos")) == 1 &&
		     strcmp(jstr(dev, "name"), "Hall") == 0 &&
		     strcmp(jstr(dev, "sw_version"), "0.1.0") == 0 &&
		     json_equal(json_object_get(dev, "identifiers"), ident) &&
		     strcmp(jstr(dev, "manufacturer"), "porter") == 0 &&
		     strcmp(jstr(dev, "model"), "porter-hub") == 0,
	     "ha lock: JSON with the state topic, templates, states, unique id, device");
	T_OK(strstr(jstr(o, "availability_template"), "value_json.online") != NULL,
	     "ha lock: availability from the state's online field");
	T_OK(strstr(jstr(o, "command_topic"), "/commands") == NULL,
	     "ha lock: HA's command topic is not the hub's commands topic");
	canon = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	T_EQ(pt_mqtt_ha_config(PT_MQTT_HA_LOCK, HUB, "Hall", "0.1.0", out, sizeof(out), &n), PT_OK,
	     "ha lock: config written");
	T_OK(canon != NULL && strlen(canon) == n && memcmp(canon, out, n) == 0,
	     "ha lock: canonical (sorted keys, compact): jansson writes the same bytes");
	free(canon);
	json_decref(o);
	json_decref(ident);

	o = ha_json(PT_MQTT_HA_DOOR, HUB, "Hall", "0.1.0", &n);
	T_OK(o != NULL && strcmp(jstr(o, "device_class"), "door") == 0 &&
		     strcmp(jstr(o, "payload_on"), "open") == 0 &&
		     strcmp(jstr(o, "payload_off"), "closed") == 0 &&
		     strcmp(jstr(o, "value_template"), "{{ value_json.door }}") == 0 &&
		     json_object_get(o, "command_topic") == NULL &&
		     strcmp(jstr(o, "unique_id"), "porter_hub-1_door") == 0,
	     "ha door: binary_sensor, device_class door, open/closed, no command topic");
	canon = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	T_EQ(pt_mqtt_ha_config(PT_MQTT_HA_DOOR, HUB, "Hall", "0.1.0", out, sizeof(out), &n), PT_OK,
	     "ha door: config written");
	T_OK(canon != NULL && strlen(canon) == n && memcmp(canon, out, n) == 0,
	     "ha door: canonical");
	free(canon);
	json_decref(o);

	o = ha_json(PT_MQTT_HA_CAMERA, HUB, "Hall", "0.1.0", &n);
	T_OK(o != NULL && strcmp(jstr(o, "device_class"), "problem") == 0 &&
		     strcmp(jstr(o, "entity_category"), "diagnostic") == 0 &&
		     strcmp(jstr(o, "payload_on"), "unhealthy") == 0 &&
		     strcmp(jstr(o, "payload_off"), "healthy") == 0 &&
		     strcmp(jstr(o, "value_template"), "{{ value_json.camera }}") == 0,
	     "ha camera: binary_sensor, device_class problem, diagnostic, unhealthy/healthy");
	canon = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	T_EQ(pt_mqtt_ha_config(PT_MQTT_HA_CAMERA, HUB, "Hall", "0.1.0", out, sizeof(out), &n), PT_OK,
	     "ha camera: config written");
	T_OK(canon != NULL && strlen(canon) == n && memcmp(canon, out, n) == 0,
	     "ha camera: canonical");
	corpus_write("ha_camera", out, n);
	corpus_write("ha_input", "hub-1\0Front \"door\" \\ h\xc3\xa9", 24);
	corpus_write("ha_input_dot", "hub.1\0Hall", 11);
	free(canon);
	json_decref(o);

	o = ha_json(PT_MQTT_HA_LOCK, HUB, "Front \"door\" \\ h\xc3\xa9", "1", &n);
	dev = json_object_get(o, "device");
	T_OK(o != NULL && strcmp(jstr(dev, "name"), "Front \"door\" \\ h\xc3\xa9") == 0,
	     "ha: quotes, backslashes and UTF-8 in the name survive, escaped");
	json_decref(o);

	/* The largest config: 64-byte id, 100 quotes (each escaped). */
	memset(name, '"', 100);
	name[100] = '\0';
	memset(id, 'h', PT_ID_MAX);
	id[PT_ID_MAX] = '\0';
	ok = true;
	for (e = PT_MQTT_HA_LOCK; e <= PT_MQTT_HA_CAMERA; e++) {
		o = ha_json(e, id, name, "0123456789abcdef0123456789abcdef", &n);
		ok = ok && o != NULL && n < PT_MQTT_HA_CONFIG_MAX;
		if (e == PT_MQTT_HA_LOCK)
			printf("# largest lock config: %zu bytes\n", n);
		json_decref(o);
	}
	T_OK(ok, "ha: the largest configs fit PT_MQTT_HA_CONFIG_MAX and parse");
	name[100] = '"';
	name[101] = '\0';
	T_EQ(pt_mqtt_ha_config(PT_MQTT_HA_LOCK, HUB, name, "1", out, sizeof(out), &n), PT_EINVAL,
	     "ha: a 101-byte name");
	T_EQ(pt_mqtt_ha_config(PT_MQTT_HA_LOCK, HUB, "", "1", out, sizeof(out), &n), PT_EINVAL,
	     "ha: an empty name");
	T_EQ(pt_mqtt_ha_config(PT_MQTT_HA_LOCK, HUB, "a\nb", "1", out, sizeof(out), &n), PT_EINVAL,
	     "ha: a control character in the name");
	T_EQ(pt_mqtt_ha_config(PT_MQTT_HA_LOCK, HUB, "a\xc3", "1", out, sizeof(out), &n), PT_EINVAL,
	     "ha: invalid UTF-8 in the name");
	T_EQ(pt_mqtt_ha_config(PT_MQTT_HA_LOCK, HUB, "a", "0123456789abcdef0123456789abcdefX", out,
			       sizeof(out), &n),
	     PT_EINVAL, "ha: a 33-byte version");
	T_EQ(pt_mqtt_ha_config(PT_MQTT_HA_LOCK, HUB, "a", NULL, out, sizeof(out), &n), PT_EINVAL,
	     "ha: NULL version");
	T_EQ(pt_mqtt_ha_config(PT_MQTT_HA_LOCK, "hub.1", "a", "1", out, sizeof(out), &n), PT_EINVAL,
	     "ha: an id with '.'");
	T_EQ(pt_mqtt_ha_config(0, HUB, "a", "1", out, sizeof(out), &n), PT_EINVAL, "ha: entity 0");
	i = 0;
	T_EQ(pt_mqtt_ha_config(PT_MQTT_HA_DOOR, HUB, "a", "1", out, sizeof(out), &i), PT_OK,
	     "ha: a short config");
	T_EQ(pt_mqtt_ha_config(PT_MQTT_HA_DOOR, HUB, "a", "1", out, i, &n), PT_ENOSPC,
	     "ha: no room for the NUL is PT_ENOSPC");
	T_EQ(n, 0, "ha: ... length 0");
	T_EQ(pt_mqtt_ha_config(PT_MQTT_HA_DOOR, HUB, "a", "1", out, i + 1, &n), PT_OK,
	     "ha: exactly enough room");
}

/* ---- owners ---- */

static bool
owners_zero(const struct pt_mqtt_owners *m)
{
	static const struct pt_mqtt_owners zero;

	return memcmp(m, &zero, sizeof(*m)) == 0;
}

static void
owners_refuse(const char *what, const uint8_t *p, size_t len, int want)
{
	static struct pt_mqtt_owners m;
	int r;

	memset(&m, 0x5a, sizeof(m));
	r = pt_mqtt_owners_decode(p, len, &m);
	T_OK(r == want && owners_zero(&m), "owners: %s: %s, zeroed (got %s)", what, pt_err_code(want),
	     pt_err_code(r));
}

static void
test_owners(void)
{
	static uint8_t obig[PT_MQTT_OWNERS_PAYLOAD_MAX + 8], stmt[PT_ENVELOPE_SIZE_MAX + 1];
	static struct pt_mqtt_owners m, d;
	uint8_t buf[64];
	size_t n = 0, i;
	int r;

	/* Round trips: none, one, the most of the largest. */
	memset(&m, 0, sizeof(m));
	T_OK(pt_mqtt_owners_encode(&m, buf, sizeof(buf), &n) == PT_OK && n == 1 && buf[0] == 0x80,
	     "owners: empty array is 80");
	T_OK(pt_mqtt_owners_decode(buf, n, &d) == PT_OK && d.n == 0, "owners: empty decodes");
	memset(stmt, 0x41, sizeof(stmt));
	m.n = 2;
	m.s[0].statement = stmt;
	m.s[0].statement_len = 3;
	m.s[1].statement = stmt;
	m.s[1].statement_len = 24;
	r = pt_mqtt_owners_encode(&m, buf, sizeof(buf), &n);
	T_OK(r == PT_OK && n == 1 + 4 + 26 && buf[0] == 0x82 && buf[1] == 0x43 && buf[5] == 0x58 &&
		     buf[6] == 24,
	     "owners: two statements, 3 and 24 bytes: 82 43 ... 58 18 ...");
	r = pt_mqtt_owners_decode(buf, n, &d);
	T_OK(r == PT_OK && d.n == 2 && d.s[0].statement == buf + 2 && d.s[0].statement_len == 3 &&
		     d.s[1].statement == buf + 7 && d.s[1].statement_len == 24,
	     "owners: decoded, borrowing from the payload");
	T_EQ(pt_mqtt_owners_encode(&m, buf, 10, &n), PT_ENOSPC, "owners: encode into 10 bytes");
	T_EQ(n, 0, "owners: nothing claimed written");
	m.n = PT_MQTT_OWNERS_MAX;
	for (i = 0; i < m.n; i++) {
		m.s[i].statement = stmt;
		m.s[i].statement_len = PT_ENVELOPE_SIZE_MAX;
	}
	r = pt_mqtt_owners_encode(&m, obig, sizeof(obig), &n);
	T_OK(r == PT_OK && n == PT_MQTT_OWNERS_PAYLOAD_MAX,
	     "owners: 64 statements of 512 bytes are exactly PT_MQTT_OWNERS_PAYLOAD_MAX (%zu)", n);
	T_OK(pt_mqtt_owners_decode(obig, n, &d) == PT_OK && d.n == PT_MQTT_OWNERS_MAX,
	     "owners: the largest decodes");

	/* The encoder refuses what the decoder would. */
	m.n = PT_MQTT_OWNERS_MAX + 1;
	T_EQ(pt_mqtt_owners_encode(&m, obig, sizeof(obig), &n), PT_EINVAL, "owners: encode 65");
	m.n = 1;
	m.s[0].statement_len = PT_ENVELOPE_SIZE_MAX + 1;
	T_EQ(pt_mqtt_owners_encode(&m, obig, sizeof(obig), &n), PT_EINVAL, "owners: encode 513 bytes");
	m.s[0].statement_len = 0;
	T_EQ(pt_mqtt_owners_encode(&m, obig, sizeof(obig), &n), PT_EINVAL, "owners: encode empty");
	m.s[0].statement = NULL;
	m.s[0].statement_len = 1;
	T_EQ(pt_mqtt_owners_encode(&m, obig, sizeof(obig), &n), PT_EINVAL, "owners: encode NULL");

	/* The decoder's refusals. */
	owners_refuse("NULL", NULL, 0, PT_EMALFORMED);
	owners_refuse("nothing", buf, 0, PT_EMALFORMED);
	owners_refuse("a map", (const uint8_t *)"\xa0", 1, PT_EMALFORMED);
	owners_refuse("a byte string alone", (const uint8_t *)"\x41\x41", 2, PT_EMALFORMED);
	owners_refuse("indefinite array", (const uint8_t *)"\x9f\x41\x41\xff", 4, PT_EMALFORMED);
	owners_refuse("array head not shortest", (const uint8_t *)"\x98\x01\x41\x41", 4,
		      PT_EMALFORMED);
	owners_refuse("an empty statement", (const uint8_t *)"\x81\x40", 2, PT_EMALFORMED);
	owners_refuse("a text statement", (const uint8_t *)"\x81\x61\x41", 3, PT_EMALFORMED);
	owners_refuse("an integer statement", (const uint8_t *)"\x81\x01", 2, PT_EMALFORMED);
	owners_refuse("a nested array", (const uint8_t *)"\x81\x81\x41\x41", 4, PT_EMALFORMED);
	owners_refuse("indefinite byte string", (const uint8_t *)"\x81\x5f\x41\x41\xff", 5,
		      PT_EMALFORMED);
	owners_refuse("a tagged statement", (const uint8_t *)"\x81\xd2\x41\x41", 4, PT_EMALFORMED);
	owners_refuse("one item short", (const uint8_t *)"\x82\x41\x41", 3, PT_EMALFORMED);
	owners_refuse("truncated statement", (const uint8_t *)"\x81\x43\x41", 3, PT_EMALFORMED);
	owners_refuse("trailing byte", (const uint8_t *)"\x81\x41\x41\x00", 4, PT_EMALFORMED);
	owners_refuse("array of 65 (head only)", (const uint8_t *)"\x98\x41", 2, PT_EMALFORMED);
	owners_refuse("array of 2^64-1", (const uint8_t *)"\x9b\xff\xff\xff\xff\xff\xff\xff\xff",
		      9, PT_EMALFORMED);
	/* A 513-byte statement. */
	obig[0] = 0x81;
	obig[1] = 0x59;
	obig[2] = 0x02;
	obig[3] = 0x01;
	memset(obig + 4, 0x41, 513);
	owners_refuse("a 513-byte statement", obig, 4 + 513, PT_EMALFORMED);
	obig[3] = 0x00;
	T_OK(pt_mqtt_owners_decode(obig, 4 + 512, &d) == PT_OK && d.n == 1 &&
		     d.s[0].statement_len == 512,
	     "owners: a 512-byte statement (control)");
	/* 65 statements of one byte each: refused on the count. */
	obig[0] = 0x98;
	obig[1] = 65;
	for (i = 0; i < 65; i++) {
		obig[2 + 2 * i] = 0x41;
		obig[3 + 2 * i] = 0x41;
	}
	owners_refuse("65 statements", obig, 2 + 130, PT_EMALFORMED);
	obig[1] = 64;
	T_OK(pt_mqtt_owners_decode(obig, 2 + 128, &d) == PT_OK && d.n == 64,
	     "owners: 64 statements (control)");
	owners_refuse("over the size limit", obig, PT_MQTT_OWNERS_PAYLOAD_MAX + 1, PT_ETOOBIG);

	/* Nothing else decodes as owners, and owners as nothing else. */
	{
		struct pt_mqtt_revocations rv;
		struct pt_mqtt_command c;

		T_OK(pt_mqtt_revocations_decode(buf, 0, &rv) != PT_OK &&
			     pt_mqtt_command_decode((const uint8_t *)"\x81\x41\x41", 3, &c) != PT_OK &&
			     pt_mqtt_revocations_decode((const uint8_t *)"\x81\x41\x41", 3, &rv) !=
				     PT_OK,
		     "owners: an owners payload is no command or revocations");
	}
	T_OK(pt_mqtt_owners_decode((const uint8_t *)"\xa1\x01\x41\x41", 4, &d) == PT_EMALFORMED,
	     "owners: a command payload is no owners");
}

int
main(void)
{
	if (pt_crypto_init() != PT_OK) {
		printf("Bail out! crypto init\n");
		return 1;
	}
	ops = pt_crypto_sodium();
	corpus_dir = getenv("PORTER_MQTT_CORPUS");
	key_init(&hub, HUB_SEED);
	key_init(&owner, 1);
	key_init(&stranger, 4);

	test_leaves();
	test_topic_build();
	test_topic_parse();
	test_state();
	test_events();
	test_ack();
	test_revocations();
	test_commands();
	test_time();
	test_owners();
	test_cross();
	test_ha();

	pt_secret_free(hub.sec);
	pt_secret_free(owner.sec);
	pt_secret_free(stranger.sec);
	return t_done();
}
