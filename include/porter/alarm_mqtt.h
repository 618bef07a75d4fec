/*
 * porter/alarm_mqtt.h: the payloads of an alarm panel reached over MQTT,
 * as Home Assistant's MQTT alarm control panel and Alarmo (a Home
 * Assistant alarm integration with an MQTT interface) use them
 * (docs/alarm-panels.md): the state words, the commands the hub sends,
 * Alarmo's event messages, and door / motion sensor payloads
 * (Zigbee2MQTT's JSON, or a plain ON / OFF). lib/proto/alarm_mqtt.c.
 *
 * Everything that arrives here is untrusted: decoders take at most
 * PT_AMQ_PAYLOAD_MAX bytes (PT_ETOOBIG beyond, before parsing), accept
 * exactly what is documented below and nothing else (PT_EMALFORMED), and
 * zero their output on failure. Nothing here keeps state or uses globals;
 * decoders allocate only inside jansson and free it before they return.
 */
#ifndef PORTER_ALARM_MQTT_H
#define PORTER_ALARM_MQTT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "porter/err.h"

#define PT_AMQ_PAYLOAD_MAX 8192	/* a Zigbee2MQTT state or an Alarmo event */
#define PT_AMQ_TOPIC_MAX 200	/* a configured topic, without NUL */
#define PT_AMQ_ZONES 64		/* zones 1..64 */
#define PT_AMQ_CODE_MAX 32	/* a panel code */
#define PT_AMQ_AREA_MAX 64	/* an Alarmo area (slug) */
#define PT_AMQ_COMMAND_MAX (64 + PT_AMQ_CODE_MAX * 6 + PT_AMQ_AREA_MAX * 6)

/* The state topic's words (Home Assistant's, lower case; Alarmo publishes
 * the same by default). */
enum pt_amq_state {
	PT_AMQ_UNKNOWN = 0,
	PT_AMQ_DISARMED,
	PT_AMQ_ARMED_HOME,
	PT_AMQ_ARMED_AWAY,
	PT_AMQ_ARMED_NIGHT,
	PT_AMQ_ARMED_VACATION,
	PT_AMQ_ARMED_CUSTOM_BYPASS,
	PT_AMQ_PENDING,
	PT_AMQ_TRIGGERED,
	PT_AMQ_ARMING,
	PT_AMQ_DISARMING,
};

/* "disarmed", ... NULL out of range. */
const char *pt_amq_state_name(int state);
/* One of the words above, exactly (a trailing newline is tolerated: some
 * bridges publish "armed_away\n"). "unknown" and "unavailable" (Home
 * Assistant's) decode as PT_AMQ_UNKNOWN. */
int pt_amq_state_decode(const uint8_t *p, size_t len, int *state) PT_MUST_CHECK;

/* The commands the hub sends. */
enum pt_amq_cmd {
	PT_AMQ_DISARM = 0,
	PT_AMQ_ARM_HOME,
	PT_AMQ_ARM_AWAY,
	PT_AMQ_TRIGGER,		/* Home Assistant's payload_trigger */
};

/* How a command travels. */
enum pt_amq_format {
	PT_AMQ_PLAIN = 0,	/* "ARM_AWAY": Home Assistant's default template */
	PT_AMQ_JSON_HA,		/* {"action":"ARM_AWAY","code":"1234"} */
	PT_AMQ_JSON_ALARMO,	/* {"command":"ARM_AWAY","code":"1234","area":"house"} */
};

/*
 * Write the command payload to out[cap]. code (len 0: none) and area
 * (Alarmo only; len 0: none) are printable ASCII of at most
 * PT_AMQ_CODE_MAX / PT_AMQ_AREA_MAX bytes. PLAIN cannot carry a code:
 * PT_EINVAL if one is given. Alarmo has no TRIGGER command: PT_EUNSUPPORTED.
 * The payload may hold the code: the caller wipes out after publishing.
 */
int pt_amq_command_encode(int format, int cmd, const char *code, size_t code_len, const char *area,
			  size_t area_len, uint8_t *out, size_t cap, size_t *out_len) PT_MUST_CHECK;

/* Alarmo's event topic: {"event": "...", ...}. */
enum pt_amq_event_kind {
	PT_AMQ_EV_OTHER = 0,		/* an event this version does not know */
	PT_AMQ_EV_ARM,			/* ARM_AWAY, ARM_HOME, ...: `state` the mode */
	PT_AMQ_EV_TRIGGER,		/* TRIGGER: `sensors` that tripped it */
	PT_AMQ_EV_FAILED_TO_ARM,	/* open sensors: `sensors` */
	PT_AMQ_EV_COMMAND_NOT_ALLOWED,
	PT_AMQ_EV_INVALID_CODE,		/* INVALID_CODE_PROVIDED */
	PT_AMQ_EV_NO_CODE,		/* NO_CODE_PROVIDED */
};

#define PT_AMQ_SENSORS_MAX 64

struct pt_amq_event {
	int kind;		/* enum pt_amq_event_kind */
	int state;		/* PT_AMQ_EV_ARM: the armed state */
	bool has_delay;
	uint32_t delay;		/* seconds, 0..86400 */
	size_t sensors;		/* entries in "sensors" (each an object) */
	char name[40];		/* the event word as sent ("" if too long) */
};

int pt_amq_event_decode(const uint8_t *p, size_t len, struct pt_amq_event *ev) PT_MUST_CHECK;

/* A door or motion sensor's state topic. */
enum pt_amq_sensor {
	PT_AMQ_SENSOR_AUTO = 0,	/* any of the below */
	PT_AMQ_SENSOR_CONTACT,	/* Zigbee2MQTT {"contact": false} = open */
	PT_AMQ_SENSOR_OCCUPANCY,	/* Zigbee2MQTT {"occupancy": true} = motion */
	PT_AMQ_SENSOR_ONOFF,	/* "ON" / "OFF" (Home Assistant binary sensor) */
};

/*
 * *faulted: open or motion. *known false: the payload is well formed but
 * says nothing about it (a Zigbee2MQTT message with only "battery", say).
 * JSON objects: "contact" (bool, false = open), "occupancy" (bool),
 * "state" ("ON"/"OFF"); the first of those present in that order counts.
 * Plain text: ON / OFF, on / off, open / closed, true / false, 1 / 0.
 */
int pt_amq_sensor_decode(const uint8_t *p, size_t len, bool *known, bool *faulted) PT_MUST_CHECK;

/* The [alarm] zone map: "1=zigbee2mqtt/front_door,3=zigbee2mqtt/hall". */
struct pt_amq_zone {
	unsigned zone;				/* 1..PT_AMQ_ZONES */
	char topic[PT_AMQ_TOPIC_MAX + 1];	/* no wildcards */
};

/* PT_EINVAL with what in why[cap] (a zone out of range, a duplicate, a
 * topic with '+' or '#'...). At most max entries. */
int pt_amq_zones_parse(const char *s, struct pt_amq_zone *z, size_t max, size_t *n, char *why,
		       size_t why_cap) PT_MUST_CHECK;

/* Is s[len] a topic we may publish or subscribe to exactly (1..max bytes,
 * printable, no '+' or '#')? */
bool pt_amq_topic_is_valid(const char *s, size_t len);

#endif
