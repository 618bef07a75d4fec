/*
 * libFuzzer target for the MQTT protocol codec (lib/proto/mqtt.c,
 * docs/mqtt.md): the topic parser, every payload decoder, the event
 * batch verifier and the Home Assistant discovery builders.
 *
 * Every input is used four ways:
 *
 *   1. as a topic: pt_mqtt_topic_parse;
 *   2. as a payload of each of the six messages (state, events, ack,
 *      revocations, command, time);
 *   3. a decoded event batch goes through pt_mqtt_events_verify under the
 *      fixed hub key; decoded revocations and commands through
 *      pt_envelope_verify under the fixed owner key;
 *   4. as "<hub id> NUL <device name>" for the discovery topic and config
 *      builders.
 *
 * Properties checked (a break is __builtin_trap()):
 *   - the topic parser answers PT_OK, PT_ETOOBIG, PT_EUNSUPPORTED or
 *     PT_EMALFORMED; a refusal leaves the output zeroed; an accepted topic
 *     is exactly what pt_mqtt_topic_build writes for its leaf and id;
 *   - a decoder that refuses returns a PT_E* and leaves its output zeroed;
 *     one that accepts got exactly the bytes its encoder writes for what
 *     it decoded; no input is accepted by two decoders; borrowed pointers
 *     lie inside the input;
 *   - verify answers PT_OK or PT_EBADSIG with an index in range, and PT_OK
 *     only when the checkpoint signature verifies on its own;
 *   - a discovery config built from any id and name is one JSON object
 *     (jansson agrees), canonical (jansson's sorted compact dump is the
 *     same bytes) and carries the name unchanged.
 *
 * Seed corpus (fuzz/corpus/mqtt/): sample payloads and topics written by
 * the unit test:
 *     PORTER_MQTT_CORPUS=fuzz/corpus/mqtt build/tests/test_mqtt
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "porter/crypto.h"
#include "porter/envelope.h"
#include "porter/event.h"
#include "porter/mqtt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x) do { if (!(x)) __builtin_trap(); } while (0)

/* Shared with tests/unit/test_mqtt.c: keep in step. */
#define HUB "hub-1"
#define HUB_SEED 0x0b
#define OWNER_SEED 0x01
#define HOME "home-1"
#define NOW 1781085600LL

static const struct pt_crypto_ops *ops;
static uint8_t hub_pk[PT_PK_LEN], owner_pk[1][PT_PK_LEN];

static void
init(void)
{
	uint8_t seed[PT_SEED_LEN];
	struct pt_secret *s;

	if (ops != NULL)
		return;
	CHECK(pt_crypto_init() == PT_OK);
	ops = pt_crypto_sodium();
	s = pt_secret_new();
	CHECK(s != NULL);
	memset(seed, HUB_SEED, sizeof(seed));
	CHECK(pt_secret_from_seed(s, seed) == PT_OK);
	pt_secret_public(s, hub_pk);
	memset(seed, OWNER_SEED, sizeof(seed));
	CHECK(pt_secret_from_seed(s, seed) == PT_OK);
	pt_secret_public(s, owner_pk[0]);
	pt_secret_free(s);
}

static bool
is_zero(const void *p, size_t n)
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

static bool
inside(const void *p, size_t n, const uint8_t *data, size_t size)
{
	const uint8_t *b = p;

	return n == 0 || (b >= data && b <= data + size && n <= (size_t)(data + size - b));
}

static uint8_t out[PT_MQTT_PAYLOAD_MAX + 1];

/* A refusal is zeroed; an acceptance re-encodes to the input. */
#define DECODED(r, obj, encode)                                                   \
	do {                                                                      \
		size_t n_ = 0;                                                    \
		if ((r) != PT_OK) {                                               \
			CHECK(is_err(r) && is_zero(&(obj), sizeof(obj)));         \
		} else {                                                          \
			CHECK(encode(&(obj), out, sizeof(out), &n_) == PT_OK);   \
			CHECK(n_ == size && memcmp(out, data, size) == 0);        \
			accepted++;                                               \
		}                                                                 \
	} while (0)

static void
topic(const uint8_t *data, size_t size)
{
	struct pt_mqtt_topic t;
	char buf[PT_MQTT_TOPIC_CAP];
	size_t n;
	int r;

	memset(&t, 0x5a, sizeof(t));
	r = pt_mqtt_topic_parse((const char *)data, size, &t);
	if (r != PT_OK) {
		CHECK(r == PT_ETOOBIG || r == PT_EUNSUPPORTED || r == PT_EMALFORMED);
		CHECK(is_zero(&t, sizeof(t)));
		return;
	}
	CHECK(pt_mqtt_topic_build(t.leaf, t.hub_id, buf, sizeof(buf), &n) == PT_OK);
	CHECK(n == size && memcmp(buf, data, size) == 0);
	CHECK(pt_mqtt_leaf_info(t.leaf) != NULL);
}

static void
envelope(const uint8_t *p, size_t n, enum pt_envelope_kind kind, const uint8_t *data,
	 size_t size)
{
	struct pt_envelope e;
	size_t idx = 99;
	int r;

	CHECK(n >= 1 && n <= PT_ENVELOPE_SIZE_MAX && inside(p, n, data, size));
	r = pt_envelope_verify(ops, p, n, kind, (const uint8_t(*)[PT_PK_LEN])owner_pk, 1, HOME,
			       NOW, kind == PT_ENV_REVOCATION ? UINT32_MAX : 300, &e, &idx);
	CHECK(r == PT_OK ? e.kind == kind && idx == 0 : is_err(r));
}

static void
payloads(const uint8_t *data, size_t size)
{
	static struct pt_mqtt_events b;
	static struct pt_mqtt_revocations m;
	struct pt_mqtt_state s;
	struct pt_mqtt_ack a;
	struct pt_mqtt_command c;
	struct pt_mqtt_time t;
	unsigned accepted = 0;
	size_t i, bad;
	int r;

	memset(&s, 0x5a, sizeof(s));
	r = pt_mqtt_state_decode(data, size, &s);
	DECODED(r, s, pt_mqtt_state_encode);

	memset(&b, 0x5a, sizeof(b));
	r = pt_mqtt_events_decode(data, size, &b);
	DECODED(r, b, pt_mqtt_events_encode);
	if (r == PT_OK) {
		CHECK(b.n >= 1 && b.n <= PT_MQTT_EVENTS_MAX);
		for (i = 0; i < b.n; i++)
			CHECK(inside(b.ev[i].type, b.ev[i].type_len, data, size) &&
			      inside(b.ev[i].data, b.ev[i].data_len, data, size));
		r = pt_mqtt_events_verify(ops, hub_pk, HUB, &b, &bad);
		CHECK(r == PT_OK || (r == PT_EBADSIG && bad <= b.n));
		if (r == PT_OK)
			CHECK(pt_checkpoint_verify(ops, hub_pk, HUB, b.ev[b.n - 1].seq,
						   b.ev[b.n - 1].hash, b.sig) == PT_OK);
	}

	memset(&a, 0x5a, sizeof(a));
	r = pt_mqtt_ack_decode(data, size, &a);
	DECODED(r, a, pt_mqtt_ack_encode);

	memset(&m, 0x5a, sizeof(m));
	r = pt_mqtt_revocations_decode(data, size, &m);
	DECODED(r, m, pt_mqtt_revocations_encode);
	for (i = 0; r == PT_OK && i < m.n; i++) {
		CHECK(m.r[i].version >= 1 && m.r[i].version <= m.newest);
		envelope(m.r[i].envelope, m.r[i].envelope_len, PT_ENV_REVOCATION, data, size);
	}

	memset(&c, 0x5a, sizeof(c));
	r = pt_mqtt_command_decode(data, size, &c);
	DECODED(r, c, pt_mqtt_command_encode);
	if (r == PT_OK)
		envelope(c.envelope, c.envelope_len, PT_ENV_COMMAND, data, size);

	memset(&t, 0x5a, sizeof(t));
	r = pt_mqtt_time_decode(data, size, &t);
	DECODED(r, t, pt_mqtt_time_encode);

	CHECK(accepted <= 1);
}

static void
discovery(const uint8_t *data, size_t size)
{
	char id[PT_ID_MAX + 2], name[128], topic_buf[PT_MQTT_TOPIC_CAP];
	const uint8_t *nul = memchr(data, 0, size);
	size_t id_len, name_len, n, tn;
	json_error_t jerr;
	json_t *o;
	char *canon;
	int entity, r;

	if (nul == NULL)
		return;
	id_len = (size_t)(nul - data);
	name_len = size - id_len - 1;
	if (id_len > PT_ID_MAX + 1 || name_len >= sizeof(name) || memchr(nul + 1, 0, name_len))
		return;
	memcpy(id, data, id_len);
	id[id_len] = '\0';
	memcpy(name, nul + 1, name_len);
	name[name_len] = '\0';
	for (entity = 0; entity <= PT_MQTT_HA_CAMERA + 1; entity++) {
		r = pt_mqtt_ha_topic(entity, id, topic_buf, sizeof(topic_buf), &tn);
		CHECK(r == PT_OK || (r == PT_EINVAL && tn == 0));
		CHECK(r != PT_OK || (tn <= PT_MQTT_HA_TOPIC_MAX && strlen(topic_buf) == tn));
		r = pt_mqtt_ha_config(entity, id, name, "0.1.0", out, sizeof(out), &n);
		if (r != PT_OK) {
			CHECK(r == PT_EINVAL && n == 0);
			continue;
		}
		CHECK(n < PT_MQTT_HA_CONFIG_MAX && out[n] == '\0');
		o = json_loadb((const char *)out, n, JSON_REJECT_DUPLICATES, &jerr);
		CHECK(o != NULL && json_is_object(o));
		canon = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
		CHECK(canon != NULL && strlen(canon) == n && memcmp(canon, out, n) == 0);
		free(canon);
		CHECK(json_is_string(json_object_get(json_object_get(o, "device"), "name")) &&
		      strcmp(json_string_value(json_object_get(json_object_get(o, "device"), "name")),
			     name) == 0);
		json_decref(o);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	init();
	topic(data, size);
	payloads(data, size);
	discovery(data, size);
	return 0;
}
