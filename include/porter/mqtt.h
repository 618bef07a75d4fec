/*
 * porter/mqtt.h: the MQTT protocol between porter-hub and porterd: topic
 * names and message payloads (docs/mqtt.md specifies the bytes and the
 * rules of each exchange; this is the codec, lib/proto/mqtt.c).
 *
 * Topics are per hub under a versioned prefix, "porter/v1/hub/<hub id>/":
 *
 *   leaf          from     QoS  retained  payload
 *   state         hub      1    yes       JSON (also read by Home Assistant)
 *   events        hub      1    no        CBOR: 1..32 chained events + checkpoint signature
 *   ack           porterd  1    yes       CBOR: highest contiguous seq stored + its hash
 *   revocations   porterd  1    tail yes  CBOR: owner-signed envelopes with versions
 *   commands      porterd  1    no        CBOR: one owner-signed command envelope
 *   time          porterd  0    no        CBOR: porterd's clock + newest revocation version
 *   owners        porterd  1    yes       CBOR: array of owner statements (PT_ENV_OWNER)
 *   pair          porterd  1    no        CBOR: a link PAIR's body (pt_link_pair_body_decode)
 *   home          hub      1    yes       COSE: the hub's word on its home (PT_ENV_HUB_HOME)
 *
 * plus Home Assistant discovery configs (JSON, retained) under
 * "homeassistant/<component>/<hub id>/<object>/config".
 *
 * Payloads between hub and porterd are CBOR maps with small integer keys
 * in core deterministic encoding, read with the strict reader of
 * porter/cbor.h; the state is one canonical JSON object. Decoders are
 * strict: exact types, keys in order, unknown keys refused, every length
 * and count bounded, nothing after the payload, never a read outside the
 * bytes given; a failing decoder leaves its output zeroed and returns a
 * PT_E* value (PT_ETOOBIG: the payload is longer than the message can
 * ever be; PT_EMALFORMED: anything else). Encoders refuse (PT_EINVAL)
 * whatever the decoders would refuse, so every payload they write decodes
 * back to the same struct, and every payload a decoder accepts is exactly
 * the bytes the encoder writes for it (one encoding per message).
 * Encoders answer PT_ENOSPC when cap is too small; *out_len is 0 then.
 *
 * Nothing here verifies an owner's signature (the hub does that with
 * pt_envelope_verify and its owner keys); pt_mqtt_events_verify checks a
 * batch's hash chain and its checkpoint signature by the hub key.
 *
 * Ownership: pointers in decoded structs (event types and data, envelopes)
 * borrow from the payload passed to the decoder and are valid while it
 * lives; for an encoder they borrow the caller's buffers. Nothing here
 * allocates, keeps state or uses globals; every function is safe to call
 * from several threads on distinct outputs.
 */
#ifndef PORTER_MQTT_H
#define PORTER_MQTT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "porter/cred.h"
#include "porter/crypto.h"
#include "porter/envelope.h"
#include "porter/err.h"
#include "porter/event.h"

#define PT_MQTT_VERSION 1
#define PT_MQTT_PREFIX "porter/v1/hub/"	/* then the hub id, '/', the leaf */

/* Topics: the longest is "porter/v1/hub/" + 64-byte id + "/revocations";
 * the longest Home Assistant topic "homeassistant/binary_sensor/" + id +
 * "/camera/config". Buffers of PT_MQTT_TOPIC_CAP bytes hold any topic or
 * filter built here with its NUL. */
#define PT_MQTT_TOPIC_MAX (sizeof(PT_MQTT_PREFIX) - 1 + PT_ID_MAX + sizeof("/revocations") - 1)
#define PT_MQTT_HA_PREFIX "homeassistant"
#define PT_MQTT_HA_TOPIC_MAX \
	(sizeof(PT_MQTT_HA_PREFIX "/binary_sensor/") - 1 + PT_ID_MAX + sizeof("/camera/config") - 1)
#define PT_MQTT_TOPIC_CAP 128

/* Counts in one message. */
#define PT_MQTT_EVENTS_MAX 32		/* events in one batch */
#define PT_MQTT_REVOCATIONS_MAX 32	/* envelopes in one revocations message */
#define PT_MQTT_OWNERS_MAX 64		/* statements in one owners message */

/*
 * The longest payload of each message, byte by byte (mqtt.c checks the
 * arithmetic with static assertions; docs/mqtt.md shows it). A decoder
 * refuses anything longer with PT_ETOOBIG before reading it; a broker's
 * message size limit of PT_MQTT_PAYLOAD_MAX bytes lets every message by.
 */
#define PT_MQTT_EVENT_ENC_MAX 1170	/* one event record */
#define PT_MQTT_EVENTS_PAYLOAD_MAX (1 + 1 + 2 + PT_MQTT_EVENTS_MAX * PT_MQTT_EVENT_ENC_MAX + 1 + 2 + PT_SIG_LEN)
#define PT_MQTT_REVOCATION_ENC_MAX (1 + 1 + 9 + 1 + 3 + PT_ENVELOPE_SIZE_MAX)
#define PT_MQTT_REVOCATIONS_PAYLOAD_MAX (1 + 1 + 9 + 1 + 2 + PT_MQTT_REVOCATIONS_MAX * PT_MQTT_REVOCATION_ENC_MAX)
#define PT_MQTT_COMMAND_PAYLOAD_MAX (1 + 1 + 3 + PT_ENVELOPE_SIZE_MAX)
#define PT_MQTT_ACK_PAYLOAD_MAX (1 + 1 + 9 + 1 + 2 + PT_HASH_LEN)
#define PT_MQTT_TIME_PAYLOAD_MAX (1 + 1 + 9 + 1 + 9)
#define PT_MQTT_OWNERS_PAYLOAD_MAX (2 + PT_MQTT_OWNERS_MAX * (3 + PT_ENVELOPE_SIZE_MAX))
#define PT_MQTT_STATE_PAYLOAD_MAX 160
#define PT_MQTT_PAYLOAD_MAX PT_MQTT_EVENTS_PAYLOAD_MAX	/* the largest of them all */
#define PT_MQTT_HA_CONFIG_MAX 2048	/* a discovery config, JSON */

/* The hub's topics (the last level of each). */
enum pt_mqtt_leaf {
	PT_MQTT_STATE = 1,
	PT_MQTT_EVENTS = 2,
	PT_MQTT_ACK = 3,
	PT_MQTT_REVOCATIONS = 4,
	PT_MQTT_COMMANDS = 5,
	PT_MQTT_TIME = 6,
	PT_MQTT_OWNERS = 7,
	PT_MQTT_PAIR = 8,	/* an owner's pairing statement, relayed (porter/link.h) */
	PT_MQTT_HOME = 9,	/* the hub's signed word on its home (PT_ENV_HUB_HOME) */
};
#define PT_MQTT_LEAF_LAST PT_MQTT_HOME

/* How each leaf is used: the table above, for the daemons to publish and
 * subscribe by (QoS, retain flag, who publishes). */
struct pt_mqtt_leaf_info {
	const char *name;	/* "state", "events", ... */
	uint8_t qos;
	bool retained;		/* revocations: the tail is retained, pages are not */
	bool from_hub;		/* the hub publishes it (else porterd does) */
};
/* NULL for a value that is not a leaf. */
const struct pt_mqtt_leaf_info *pt_mqtt_leaf_info(int leaf);

/* ---- topics ---- */

/*
 * "porter/v1/hub/<hub_id>/<leaf>" into out[cap] (NUL-terminated; *out_len
 * without the NUL). PT_EINVAL: hub_id is not a valid id (pt_id_is_valid)
 * or leaf is unknown; PT_ENOSPC.
 */
int pt_mqtt_topic_build(int leaf, const char *hub_id, char *out, size_t cap,
			size_t *out_len) PT_MUST_CHECK;

/* porterd's subscription filter for a leaf of every hub:
 * "porter/v1/hub/+/<leaf>". PT_EINVAL, PT_ENOSPC. */
int pt_mqtt_filter_build(int leaf, char *out, size_t cap, size_t *out_len) PT_MUST_CHECK;

struct pt_mqtt_topic {
	uint8_t leaf;			/* enum pt_mqtt_leaf */
	char hub_id[PT_ID_MAX + 1];
};

/*
 * Parse a topic a message arrived on (bytes, not NUL-terminated; a NUL
 * inside is refused). Exactly "porter/v1/hub/<id>/<leaf>": the id valid
 * by pt_id_is_valid (so no '+', '#', '/', '$' or empty level), a known
 * leaf, no trailing or doubled '/'. PT_OK; PT_ETOOBIG (longer than
 * PT_MQTT_TOPIC_MAX); PT_EUNSUPPORTED ("porter/v<digits>/..." of another
 * version); PT_EMALFORMED (anything else). *t zeroed on failure.
 */
int pt_mqtt_topic_parse(const char *topic, size_t len, struct pt_mqtt_topic *t) PT_MUST_CHECK;

/* ---- state (hub -> porterd and Home Assistant; retained; last will) ---- */

/* Zero is "unknown" throughout, so a zeroed struct is the offline state. */
enum pt_mqtt_bolt {
	PT_MQTT_BOLT_UNKNOWN = 0,
	PT_MQTT_BOLT_LOCKED = 1,
	PT_MQTT_BOLT_UNLOCKED = 2,
	PT_MQTT_BOLT_JAMMED = 3,
};
enum pt_mqtt_door {
	PT_MQTT_DOOR_UNKNOWN = 0,
	PT_MQTT_DOOR_CLOSED = 1,
	PT_MQTT_DOOR_OPEN = 2,
};
/* Home Assistant's alarm_control_panel states, and "none" (no panel). */
enum pt_mqtt_alarm {
	PT_MQTT_ALARM_UNKNOWN = 0,
	PT_MQTT_ALARM_NONE = 1,
	PT_MQTT_ALARM_DISARMED = 2,
	PT_MQTT_ALARM_ARMED_HOME = 3,
	PT_MQTT_ALARM_ARMED_AWAY = 4,
	PT_MQTT_ALARM_ARMED_NIGHT = 5,
	PT_MQTT_ALARM_ARMING = 6,
	PT_MQTT_ALARM_PENDING = 7,
	PT_MQTT_ALARM_TRIGGERED = 8,
};
enum pt_mqtt_camera {
	PT_MQTT_CAMERA_UNKNOWN = 0,
	PT_MQTT_CAMERA_NONE = 1,	/* the hub has no camera */
	PT_MQTT_CAMERA_HEALTHY = 2,
	PT_MQTT_CAMERA_UNHEALTHY = 3,
};

/*
 * {"alarm":..,"at":..,"bolt":..,"camera":..,"door":..,"online":..,"rev":..}
 * in exactly this order, compact, no escapes: the only encoding accepted.
 * Offline (online false: the will, a clean shutdown) has every value
 * unknown and at, rev null: exactly what a zeroed struct encodes to.
 */
struct pt_mqtt_state {
	bool online;
	uint8_t bolt, door, alarm, camera;	/* the enums above */
	bool has_at;			/* false: null (the hub does not know the time) */
	int64_t at;			/* hub's UTC seconds, 0..PT_TIME_MAX */
	bool has_rev;			/* false: null (offline) */
	int64_t rev;			/* newest revocation version the hub holds, >= 0 */
};

int pt_mqtt_state_encode(const struct pt_mqtt_state *s, uint8_t *out, size_t cap,
			 size_t *out_len) PT_MUST_CHECK;
int pt_mqtt_state_decode(const uint8_t *p, size_t len, struct pt_mqtt_state *s) PT_MUST_CHECK;
/* The wire names ("locked", "armed_away", ...); NULL for unknown values. */
const char *pt_mqtt_bolt_name(unsigned v);
const char *pt_mqtt_door_name(unsigned v);
const char *pt_mqtt_alarm_name(unsigned v);
const char *pt_mqtt_camera_name(unsigned v);

/* ---- events (hub -> porterd) ---- */

/*
 * One event record of porter/event.h, carried exactly as the hub chained
 * it: seq >= 1, at any 64-bit value, type valid by pt_event_type_is_valid,
 * data 0..PT_EVENT_DATA_MAX bytes (the hub's canonical JSON; carried as a
 * byte string so the bytes hashed are the bytes carried), prev and hash.
 */
struct pt_mqtt_event {
	int64_t seq;
	int64_t at;
	const char *type;		/* borrowed; not NUL-terminated */
	size_t type_len;
	const uint8_t *data;		/* borrowed */
	size_t data_len;
	uint8_t prev[PT_HASH_LEN];
	uint8_t hash[PT_HASH_LEN];
};

/*
 * A batch: 1..PT_MQTT_EVENTS_MAX events with consecutive seqs, each prev
 * the hash before it (the first event of the chain, seq 1, has a zero
 * prev), and the hub's checkpoint signature over its last event:
 * Ed25519(hub key, pt_checkpoint_message(hub id, last seq, last hash)).
 * The decoder checks the shape and the linkage; pt_mqtt_events_verify the
 * hashes and the signature.
 */
struct pt_mqtt_events {
	size_t n;
	struct pt_mqtt_event ev[PT_MQTT_EVENTS_MAX];
	uint8_t sig[PT_SIG_LEN];
};

int pt_mqtt_events_encode(const struct pt_mqtt_events *b, uint8_t *out, size_t cap,
			  size_t *out_len) PT_MUST_CHECK;
int pt_mqtt_events_decode(const uint8_t *p, size_t len, struct pt_mqtt_events *b) PT_MUST_CHECK;

/*
 * Recompute every event's hash (pt_event_hash) and check the checkpoint
 * signature by hub_pk for hub_id (the id from the topic). PT_OK;
 * PT_EBADSIG with *bad the index of the first event whose hash does not
 * recompute, or b->n when the signature fails; PT_EINVAL for a batch the
 * decoder would refuse (*bad = b->n). Hashes are public: compared with
 * memcmp.
 */
int pt_mqtt_events_verify(const struct pt_crypto_ops *ops, const uint8_t hub_pk[PT_PK_LEN],
			  const char *hub_id, const struct pt_mqtt_events *b,
			  size_t *bad) PT_MUST_CHECK;

/* The hub's side: b->sig = the checkpoint signature over the last event,
 * made with sg (the hub key). PT_EINVAL for a batch the decoder would
 * refuse or a bad hub_id; the signer's error otherwise (b->sig zeroed). */
int pt_mqtt_events_sign(const struct pt_signer *sg, const char *hub_id,
			struct pt_mqtt_events *b) PT_MUST_CHECK;

/* ---- ack (porterd -> hub; retained) ---- */

/* porterd has stored every event up to seq (or recorded the missing ones
 * as a gap); hash is that event's hash. seq 0: nothing stored, no hash
 * (hash all zero). */
struct pt_mqtt_ack {
	int64_t seq;			/* 0..INT64_MAX */
	uint8_t hash[PT_HASH_LEN];
};

int pt_mqtt_ack_encode(const struct pt_mqtt_ack *a, uint8_t *out, size_t cap,
		       size_t *out_len) PT_MUST_CHECK;
int pt_mqtt_ack_decode(const uint8_t *p, size_t len, struct pt_mqtt_ack *a) PT_MUST_CHECK;

/* ---- revocations (porterd -> hub; the tail retained, pages not) ---- */

struct pt_mqtt_revocation {
	int64_t version;		/* porterd's number for it in the home, >= 1 */
	const uint8_t *envelope;	/* borrowed; 1..PT_ENVELOPE_SIZE_MAX bytes,
					 * owner-signed, not verified here */
	size_t envelope_len;
};

/* newest: the home's newest version when porterd wrote this; entries
 * 0..PT_MQTT_REVOCATIONS_MAX, versions strictly ascending, none above
 * newest. */
struct pt_mqtt_revocations {
	int64_t newest;
	size_t n;
	struct pt_mqtt_revocation r[PT_MQTT_REVOCATIONS_MAX];
};

int pt_mqtt_revocations_encode(const struct pt_mqtt_revocations *m, uint8_t *out, size_t cap,
			       size_t *out_len) PT_MUST_CHECK;
int pt_mqtt_revocations_decode(const uint8_t *p, size_t len,
			       struct pt_mqtt_revocations *m) PT_MUST_CHECK;

/* ---- owners (porterd -> hub; retained) ---- */

/*
 * The owner statements of the hub's home (docs/web.md, "Endorsing an owner
 * key"), in the order porterd stored them: a CBOR array of 0..
 * PT_MQTT_OWNERS_MAX byte strings, each 1..PT_ENVELOPE_SIZE_MAX bytes (an
 * owner-signed PT_ENV_OWNER envelope, not verified here: the hub verifies
 * each against the owner keys it trusts).
 */
struct pt_mqtt_owner_statement {
	const uint8_t *statement;	/* borrowed */
	size_t statement_len;
};

struct pt_mqtt_owners {
	size_t n;
	struct pt_mqtt_owner_statement s[PT_MQTT_OWNERS_MAX];
};

int pt_mqtt_owners_encode(const struct pt_mqtt_owners *m, uint8_t *out, size_t cap,
			  size_t *out_len) PT_MUST_CHECK;
int pt_mqtt_owners_decode(const uint8_t *p, size_t len, struct pt_mqtt_owners *m) PT_MUST_CHECK;

/* ---- commands (porterd -> hub) ---- */

/* One owner-signed command envelope (PT_ENV_COMMAND), relayed as the
 * owner's device made it; the hub verifies it with pt_envelope_verify and
 * refuses a nonce it has seen. */
struct pt_mqtt_command {
	const uint8_t *envelope;	/* borrowed; 1..PT_ENVELOPE_SIZE_MAX bytes */
	size_t envelope_len;
};

int pt_mqtt_command_encode(const struct pt_mqtt_command *c, uint8_t *out, size_t cap,
			   size_t *out_len) PT_MUST_CHECK;
int pt_mqtt_command_decode(const uint8_t *p, size_t len, struct pt_mqtt_command *c) PT_MUST_CHECK;

/* ---- time (porterd -> hub): the beacon ---- */

/* porterd's clock, for drift detection only (it never sets the hub's
 * clock), and the home's newest revocation version (how the hub knows it
 * is up to date, or behind). */
struct pt_mqtt_time {
	int64_t now_ms;			/* porterd's UTC milliseconds, 0..PT_TIME_MAX * 1000 */
	int64_t rev;			/* 0..INT64_MAX */
};

int pt_mqtt_time_encode(const struct pt_mqtt_time *t, uint8_t *out, size_t cap,
			size_t *out_len) PT_MUST_CHECK;
int pt_mqtt_time_decode(const uint8_t *p, size_t len, struct pt_mqtt_time *t) PT_MUST_CHECK;

/* ---- Home Assistant MQTT discovery (hub -> Home Assistant; retained) ---- */

enum pt_mqtt_ha_entity {
	PT_MQTT_HA_LOCK = 1,	/* lock: the bolt (state only: see docs/mqtt.md) */
	PT_MQTT_HA_DOOR = 2,	/* binary_sensor, device_class door */
	PT_MQTT_HA_CAMERA = 3,	/* binary_sensor, device_class problem (diagnostic) */
};

/*
 * "homeassistant/<component>/<hub_id>/<object>/config". Home Assistant
 * allows only [A-Za-z0-9_-] in that level, so a hub id with a '.' is
 * PT_EINVAL here (porterd's ids never have one). PT_EINVAL, PT_ENOSPC.
 */
int pt_mqtt_ha_topic(int entity, const char *hub_id, char *out, size_t cap,
		     size_t *out_len) PT_MUST_CHECK;

/*
 * The discovery config (one JSON object, keys sorted, NUL-terminated in
 * out[cap]; *out_len without the NUL). name: the device's name in Home
 * Assistant (the hub's label), 1..100 bytes of printable UTF-8;
 * sw_version: 1..32 bytes of printable UTF-8. PT_EINVAL, PT_ENOSPC.
 */
int pt_mqtt_ha_config(int entity, const char *hub_id, const char *name, const char *sw_version,
		      uint8_t *out, size_t cap, size_t *out_len) PT_MUST_CHECK;

#endif
