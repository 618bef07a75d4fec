/*
 * lib/proto/alarm_mqtt.c: Home Assistant / Alarmo alarm panel payloads
 * over MQTT (porter/alarm_mqtt.h). The one place where the hub reads what
 * an MQTT alarm panel and its sensors publish.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "porter/alarm_mqtt.h"

static const char *const state_names[] = {
	"unknown", "disarmed", "armed_home", "armed_away", "armed_night", "armed_vacation",
	"armed_custom_bypass", "pending", "triggered", "arming", "disarming",
};

const char *
pt_amq_state_name(int state)
{
	if (state < 0 || (size_t)state >= sizeof(state_names) / sizeof(state_names[0]))
		return NULL;
	return state_names[state];
}

static bool
bytes_eq(const uint8_t *p, size_t len, const char *word)
{
	size_t n = strlen(word);

	return len == n && memcmp(p, word, n) == 0;
}

int
pt_amq_state_decode(const uint8_t *p, size_t len, int *state)
{
	size_t i;

	*state = PT_AMQ_UNKNOWN;
	if (len > PT_AMQ_PAYLOAD_MAX)
		return PT_ETOOBIG;
	if (len > 0 && p[len - 1] == '\n')
		len--;
	if (len > 0 && p[len - 1] == '\r')
		len--;
	if (len == 0 || len > 32)
		return PT_EMALFORMED;
	if (bytes_eq(p, len, "unavailable"))
		return PT_OK;
	for (i = 0; i < sizeof(state_names) / sizeof(state_names[0]); i++) {
		if (bytes_eq(p, len, state_names[i])) {
			*state = (int)i;
			return PT_OK;
		}
	}
	return PT_EMALFORMED;
}

static bool
printable(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return false;
	return true;
}

/* Append s[len] as a JSON string body (only '"' and '\\' need escapes in
 * printable ASCII). */
static bool
put_json_str(uint8_t *out, size_t cap, size_t *at, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (s[i] == '"' || s[i] == '\\') {
			if (*at + 2 > cap)
				return false;
			out[(*at)++] = '\\';
		} else if (*at + 1 > cap) {
			return false;
		}
		out[(*at)++] = (uint8_t)s[i];
	}
	return true;
}

static bool
put(uint8_t *out, size_t cap, size_t *at, const char *s)
{
	size_t n = strlen(s);

	if (*at + n > cap)
		return false;
	memcpy(out + *at, s, n);
	*at += n;
	return true;
}

int
pt_amq_command_encode(int format, int cmd, const char *code, size_t code_len, const char *area,
		      size_t area_len, uint8_t *out, size_t cap, size_t *out_len)
{
	static const char *const words[] = {"DISARM", "ARM_HOME", "ARM_AWAY", "TRIGGER"};
	size_t at = 0;

	*out_len = 0;
	if (cmd < PT_AMQ_DISARM || cmd > PT_AMQ_TRIGGER || code_len > PT_AMQ_CODE_MAX ||
	    area_len > PT_AMQ_AREA_MAX || (code_len > 0 && (code == NULL || !printable(code, code_len))) ||
	    (area_len > 0 && (area == NULL || !printable(area, area_len))))
		return PT_EINVAL;
	switch (format) {
	case PT_AMQ_PLAIN:
		if (code_len > 0 || area_len > 0)
			return PT_EINVAL;
		if (!put(out, cap, &at, words[cmd]))
			goto nospc;
		break;
	case PT_AMQ_JSON_HA:
	case PT_AMQ_JSON_ALARMO:
		if (format == PT_AMQ_JSON_HA && area_len > 0)
			return PT_EINVAL;
		if (format == PT_AMQ_JSON_ALARMO && cmd == PT_AMQ_TRIGGER)
			return PT_EUNSUPPORTED;
		if (!put(out, cap, &at, format == PT_AMQ_JSON_HA ? "{\"action\":\"" : "{\"command\":\"") ||
		    !put(out, cap, &at, words[cmd]) || !put(out, cap, &at, "\""))
			goto nospc;
		if (code_len > 0 && (!put(out, cap, &at, ",\"code\":\"") ||
				     !put_json_str(out, cap, &at, code, code_len) ||
				     !put(out, cap, &at, "\"")))
			goto nospc;
		if (area_len > 0 && (!put(out, cap, &at, ",\"area\":\"") ||
				     !put_json_str(out, cap, &at, area, area_len) ||
				     !put(out, cap, &at, "\"")))
			goto nospc;
		if (!put(out, cap, &at, "}"))
			goto nospc;
		break;
	default:
		return PT_EINVAL;
	}
	*out_len = at;
	return PT_OK;
nospc:
	if (cap > 0)
		memset(out, 0, at < cap ? at : cap);
	return PT_ENOSPC;
}

static json_t *
load_object(const uint8_t *p, size_t len)
{
	json_error_t jerr;
	json_t *o;

	if (len == 0 || p[0] != '{')
		return NULL;
	o = json_loadb((const char *)p, len, JSON_REJECT_DUPLICATES, &jerr);
	if (o != NULL && !json_is_object(o)) {
		json_decref(o);
		return NULL;
	}
	return o;
}

int
pt_amq_event_decode(const uint8_t *p, size_t len, struct pt_amq_event *ev)
{
	static const struct {
		const char *word;
		int kind, state;
	} events[] = {
		{"ARM_AWAY", PT_AMQ_EV_ARM, PT_AMQ_ARMED_AWAY},
		{"ARM_HOME", PT_AMQ_EV_ARM, PT_AMQ_ARMED_HOME},
		{"ARM_NIGHT", PT_AMQ_EV_ARM, PT_AMQ_ARMED_NIGHT},
		{"ARM_VACATION", PT_AMQ_EV_ARM, PT_AMQ_ARMED_VACATION},
		{"ARM_CUSTOM_BYPASS", PT_AMQ_EV_ARM, PT_AMQ_ARMED_CUSTOM_BYPASS},
		{"TRIGGER", PT_AMQ_EV_TRIGGER, PT_AMQ_TRIGGERED},
		{"FAILED_TO_ARM", PT_AMQ_EV_FAILED_TO_ARM, PT_AMQ_UNKNOWN},
		{"COMMAND_NOT_ALLOWED", PT_AMQ_EV_COMMAND_NOT_ALLOWED, PT_AMQ_UNKNOWN},
		{"INVALID_CODE_PROVIDED", PT_AMQ_EV_INVALID_CODE, PT_AMQ_UNKNOWN},
		{"NO_CODE_PROVIDED", PT_AMQ_EV_NO_CODE, PT_AMQ_UNKNOWN},
	};
	json_t *o = NULL, *v;
	const char *word;
	size_t wlen, i;
	int r = PT_EMALFORMED;

	memset(ev, 0, sizeof(*ev));
	if (len > PT_AMQ_PAYLOAD_MAX)
		return PT_ETOOBIG;
	if ((o = load_object(p, len)) == NULL)
		goto out;
	v = json_object_get(o, "event");
	if (!json_is_string(v))
		goto out;
	word = json_string_value(v);
	wlen = json_string_length(v);
	if (wlen == 0 || wlen >= sizeof(ev->name) || !printable(word, wlen) ||
	    strlen(word) != wlen)
		goto out;
	memcpy(ev->name, word, wlen + 1);
	ev->kind = PT_AMQ_EV_OTHER;
	for (i = 0; i < sizeof(events) / sizeof(events[0]); i++) {
		if (strcmp(word, events[i].word) == 0) {
			ev->kind = events[i].kind;
			ev->state = events[i].state;
			break;
		}
	}
	if ((v = json_object_get(o, "delay")) != NULL && !json_is_null(v)) {
		if (!json_is_integer(v) || json_integer_value(v) < 0 ||
		    json_integer_value(v) > 86400)
			goto out;
		ev->has_delay = true;
		ev->delay = (uint32_t)json_integer_value(v);
	}
	if ((v = json_object_get(o, "sensors")) != NULL) {
		if (!json_is_array(v) || json_array_size(v) > PT_AMQ_SENSORS_MAX)
			goto out;
		for (i = 0; i < json_array_size(v); i++)
			if (!json_is_object(json_array_get(v, i)))
				goto out;
		ev->sensors = json_array_size(v);
	}
	r = PT_OK;
out:
	json_decref(o);
	if (r != PT_OK)
		memset(ev, 0, sizeof(*ev));
	return r;
}

static int
word_value(const uint8_t *p, size_t len, bool *faulted)
{
	static const char *const on[] = {"ON", "on", "open", "true", "1"};
	static const char *const off[] = {"OFF", "off", "closed", "false", "0"};
	size_t i;

	for (i = 0; i < sizeof(on) / sizeof(on[0]); i++) {
		if (bytes_eq(p, len, on[i])) {
			*faulted = true;
			return PT_OK;
		}
		if (bytes_eq(p, len, off[i])) {
			*faulted = false;
			return PT_OK;
		}
	}
	return PT_EMALFORMED;
}

int
pt_amq_sensor_decode(const uint8_t *p, size_t len, bool *known, bool *faulted)
{
	json_t *o = NULL, *v;
	int r = PT_EMALFORMED;

	*known = false;
	*faulted = false;
	if (len > PT_AMQ_PAYLOAD_MAX)
		return PT_ETOOBIG;
	if (len > 0 && p[len - 1] == '\n')
		len--;
	if (len > 0 && p[len - 1] == '\r')
		len--;
	if (len == 0)
		return PT_EMALFORMED;
	if (p[0] != '{') {
		if ((r = word_value(p, len, faulted)) == PT_OK)
			*known = true;
		return r;
	}
	if ((o = load_object(p, len)) == NULL)
		goto out;
	if ((v = json_object_get(o, "contact")) != NULL) {
		if (!json_is_boolean(v))
			goto out;
		*faulted = !json_is_true(v);
		*known = true;
	} else if ((v = json_object_get(o, "occupancy")) != NULL) {
		if (!json_is_boolean(v))
			goto out;
		*faulted = json_is_true(v);
		*known = true;
	} else if ((v = json_object_get(o, "state")) != NULL) {
		if (!json_is_string(v) ||
		    word_value((const uint8_t *)json_string_value(v), json_string_length(v),
			       faulted) != PT_OK)
			goto out;
		*known = true;
	}
	r = PT_OK;
out:
	json_decref(o);
	if (r != PT_OK) {
		*known = false;
		*faulted = false;
	}
	return r;
}

bool
pt_amq_topic_is_valid(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > PT_AMQ_TOPIC_MAX)
		return false;
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e || s[i] == '+' ||
		    s[i] == '#')
			return false;
	return true;
}

int
pt_amq_zones_parse(const char *s, struct pt_amq_zone *z, size_t max, size_t *n, char *why,
		   size_t why_cap)
{
	const char *p = s, *end, *eq;
	size_t k = 0, i, tl;
	unsigned zone;

	*n = 0;
	if (why_cap > 0)
		why[0] = '\0';
	while (*p != '\0') {
		end = strchr(p, ',');
		if (end == NULL)
			end = p + strlen(p);
		while (p < end && *p == ' ')
			p++;
		eq = memchr(p, '=', (size_t)(end - p));
		if (eq == NULL || eq == p || eq - p > 2) {
			(void)snprintf(why, why_cap, "'%.*s' is not zone=topic", (int)(end - p > 40 ? 40 : end - p), p);
			goto bad;
		}
		zone = 0;
		for (const char *d = p; d < eq; d++) {
			if (*d < '0' || *d > '9') {
				(void)snprintf(why, why_cap, "zone '%.*s' is not a number", (int)(eq - p), p);
				goto bad;
			}
			zone = zone * 10 + (unsigned)(*d - '0');
		}
		if (zone < 1 || zone > PT_AMQ_ZONES) {
			(void)snprintf(why, why_cap, "zone %u is not in 1..%d", zone, PT_AMQ_ZONES);
			goto bad;
		}
		tl = (size_t)(end - eq - 1);
		while (tl > 0 && eq[tl] == ' ')
			tl--;
		if (!pt_amq_topic_is_valid(eq + 1, tl)) {
			(void)snprintf(why, why_cap,
				       "zone %u: the topic must be 1..%d printable characters without"
				       " '+' or '#'", zone, PT_AMQ_TOPIC_MAX);
			goto bad;
		}
		for (i = 0; i < k; i++) {
			if (z[i].zone == zone) {
				(void)snprintf(why, why_cap, "zone %u is given twice", zone);
				goto bad;
			}
		}
		if (k == max) {
			(void)snprintf(why, why_cap, "more than %zu zones", max);
			goto bad;
		}
		z[k].zone = zone;
		memcpy(z[k].topic, eq + 1, tl);
		z[k].topic[tl] = '\0';
		k++;
		p = *end == ',' ? end + 1 : end;
	}
	*n = k;
	return PT_OK;
bad:
	if (max > 0)
		memset(z, 0, max * sizeof(*z));
	return PT_EINVAL;
}
