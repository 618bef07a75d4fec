/*
 * porter/z2m.h: Zigbee2MQTT's MQTT messages, as porter-hub's "zigbee2mqtt"
 * driver reads and writes them (docs/drivers.md).
 *
 * Zigbee2MQTT (Z2M) bridges Zigbee devices to MQTT under a base topic
 * (default "zigbee2mqtt"):
 *
 *   <base>/<name>               the device's state report (JSON object)
 *   <base>/<name>/set           commands: {"state":"LOCK"} / {"state":"UNLOCK"}
 *   <base>/<name>/get           read requests: {"state":""}
 *   <base>/<name>/availability  "online" / "offline" (legacy text) or
 *                               {"state":"online"} / {"state":"offline"}
 *   <base>/bridge/state         the bridge itself, in the same two forms
 *
 * Everything that arrives on those topics is untrusted (anyone on the
 * broker with write access to them can publish), so it is decoded here,
 * once, bounded and strictly typed: a payload over PT_Z2M_PAYLOAD_MAX, a
 * payload that is not one JSON object (or one of the two availability
 * words), a duplicate key or a known key with the wrong type is refused
 * whole. Unknown keys (battery, linkquality, last_seen, ...) are ignored.
 *
 * Pure functions: no allocation visible to the caller (jansson allocates
 * inside and frees before returning), no I/O, thread-safe.
 */
#ifndef PORTER_Z2M_H
#define PORTER_Z2M_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "porter/err.h"

/* A device state report: Z2M's are a few hundred bytes; 4 KiB leaves
 * room for chatty devices and refuses anything stranger. */
#define PT_Z2M_PAYLOAD_MAX 4096
/* A friendly name (Z2M allows '/' inside it) and the base topic. */
#define PT_Z2M_NAME_MAX 100
#define PT_Z2M_BASE_MAX 100
/* <base>/<name>/availability and a NUL */
#define PT_Z2M_TOPIC_CAP (PT_Z2M_BASE_MAX + 1 + PT_Z2M_NAME_MAX + 13 + 1)

/* A tri-state field: absent from the report, or its value. */
enum pt_z2m_bool {
	PT_Z2M_ABSENT = 0,
	PT_Z2M_FALSE = 1,
	PT_Z2M_TRUE = 2,
};

/* "state" of a lock: LOCK / UNLOCK. Any other string is OTHER (a lamp's
 * "ON"); the driver does not take it as a bolt report. */
enum pt_z2m_state {
	PT_Z2M_STATE_ABSENT = 0,
	PT_Z2M_STATE_LOCK = 1,
	PT_Z2M_STATE_UNLOCK = 2,
	PT_Z2M_STATE_OTHER = 3,
};

/* "lock_state": the lock's sensed bolt (the ZCL Door Lock cluster). */
enum pt_z2m_lock_state {
	PT_Z2M_LOCK_ABSENT = 0,
	PT_Z2M_LOCK_LOCKED = 1,
	PT_Z2M_LOCK_UNLOCKED = 2,
	PT_Z2M_LOCK_NOT_FULLY = 3,	/* "not_fully_locked": a jammed or half-thrown bolt */
};

/* What porter reads from a device's state report. */
struct pt_z2m_report {
	uint8_t state;		/* enum pt_z2m_state */
	uint8_t lock_state;	/* enum pt_z2m_lock_state */
	uint8_t contact;	/* enum pt_z2m_bool: TRUE means the contact is CLOSED (door shut) */
	uint8_t occupancy;	/* enum pt_z2m_bool: TRUE means motion */
};

/* The bolt a lock report says: 1 thrown, 0 drawn, -1 the report says
 * nothing about the bolt. lock_state wins over state when both are
 * present (it is the sensed state; "not_fully_locked" is drawn). */
int pt_z2m_report_bolt(const struct pt_z2m_report *r);

/*
 * Decode a device state report. PT_OK, or PT_ETOOBIG (over
 * PT_Z2M_PAYLOAD_MAX), PT_EMALFORMED (not a JSON object, a duplicate key,
 * "state"/"lock_state" not a string, "lock_state" not one of Z2M's three
 * values, "contact"/"occupancy" not a boolean); out is zeroed on failure.
 */
int pt_z2m_report_decode(const uint8_t *p, size_t len, struct pt_z2m_report *out) PT_MUST_CHECK;

/*
 * Decode an availability or bridge state payload: the legacy words
 * "online" / "offline" (exactly), or a JSON object whose "state" is one of
 * them (other keys ignored). PT_OK with *online set, or PT_ETOOBIG /
 * PT_EMALFORMED (*online false).
 */
int pt_z2m_avail_decode(const uint8_t *p, size_t len, bool *online) PT_MUST_CHECK;

/* The command payload: {"state":"LOCK"} or {"state":"UNLOCK"}. PT_OK or
 * PT_ENOSPC. out is not NUL-terminated; *len is set. */
int pt_z2m_set_encode(bool lock, char *out, size_t cap, size_t *len) PT_MUST_CHECK;
/* The read request for a lock's state: {"state":""}. */
int pt_z2m_get_encode(char *out, size_t cap, size_t *len) PT_MUST_CHECK;

/* A base topic or a friendly name Z2M can use and porter can subscribe
 * to: 1..max bytes of printable ASCII without the MQTT wildcards '+' and
 * '#', not starting or ending with '/', no "//". A name must also not
 * be "bridge" or start with "bridge/" (Z2M's own topics), nor end in one
 * of the suffixes porter appends ("/set", "/get", "/availability"). */
bool pt_z2m_base_is_valid(const char *s, size_t len);
bool pt_z2m_name_is_valid(const char *s, size_t len);

/* Build "<base>/<name><suffix>" (suffix "", "/set", "/get",
 * "/availability") or, name NULL, "<base>/bridge/state". NUL-terminated.
 * PT_OK, PT_EINVAL (an invalid base or name, or another suffix),
 * PT_ENOSPC. */
int pt_z2m_topic_build(const char *base, const char *name, const char *suffix, char *out,
		       size_t cap, size_t *len) PT_MUST_CHECK;

#endif
