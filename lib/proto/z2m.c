/*
 * lib/proto/z2m.c: Zigbee2MQTT's messages (porter/z2m.h). The one place
 * where what a Zigbee bridge publishes is parsed.
 */
#include <string.h>

#include <jansson.h>

#include "porter/z2m.h"

static bool
str_is(const json_t *v, const char *lit)
{
	size_t n = strlen(lit);

	return json_string_length(v) == n && memcmp(json_string_value(v), lit, n) == 0;
}

static int
load_object(const uint8_t *p, size_t len, json_t **out)
{
	json_error_t jerr;
	json_t *o;

	*out = NULL;
	if (p == NULL && len > 0)
		return PT_EINVAL;
	if (len > PT_Z2M_PAYLOAD_MAX)
		return PT_ETOOBIG;
	if (len == 0)
		return PT_EMALFORMED;
	/* No JSON_ALLOW_NUL: a "\u0000" inside a string is refused. */
	o = json_loadb((const char *)p, len, JSON_REJECT_DUPLICATES, &jerr);
	if (o == NULL)
		return PT_EMALFORMED;
	if (!json_is_object(o)) {
		json_decref(o);
		return PT_EMALFORMED;
	}
	*out = o;
	return PT_OK;
}

static int
boolean(const json_t *o, const char *key, uint8_t *out)
{
	const json_t *v = json_object_get(o, key);

	if (v == NULL)
		return PT_OK;	/* absent */
	if (!json_is_boolean(v))
		return PT_EMALFORMED;
	*out = json_is_true(v) ? PT_Z2M_TRUE : PT_Z2M_FALSE;
	return PT_OK;
}

int
pt_z2m_report_decode(const uint8_t *p, size_t len, struct pt_z2m_report *out)
{
	struct pt_z2m_report r;
	const json_t *v;
	json_t *o;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(&r, 0, sizeof(r));
	if ((rc = load_object(p, len, &o)) != PT_OK)
		return rc;
	rc = PT_EMALFORMED;
	if ((v = json_object_get(o, "state")) != NULL) {
		if (!json_is_string(v))
			goto out;
		r.state = str_is(v, "LOCK")     ? PT_Z2M_STATE_LOCK
			  : str_is(v, "UNLOCK") ? PT_Z2M_STATE_UNLOCK
						: PT_Z2M_STATE_OTHER;
	}
	if ((v = json_object_get(o, "lock_state")) != NULL) {
		if (!json_is_string(v))
			goto out;
		if (str_is(v, "locked"))
			r.lock_state = PT_Z2M_LOCK_LOCKED;
		else if (str_is(v, "unlocked"))
			r.lock_state = PT_Z2M_LOCK_UNLOCKED;
		else if (str_is(v, "not_fully_locked"))
			r.lock_state = PT_Z2M_LOCK_NOT_FULLY;
		else
			goto out;
	}
	if (boolean(o, "contact", &r.contact) != PT_OK ||
	    boolean(o, "occupancy", &r.occupancy) != PT_OK)
		goto out;
	*out = r;
	rc = PT_OK;
out:
	json_decref(o);
	return rc;
}

int
pt_z2m_report_bolt(const struct pt_z2m_report *r)
{
	switch (r->lock_state) {
	case PT_Z2M_LOCK_LOCKED: return 1;
	case PT_Z2M_LOCK_UNLOCKED:
	case PT_Z2M_LOCK_NOT_FULLY: return 0;
	default: break;
	}
	if (r->state == PT_Z2M_STATE_LOCK)
		return 1;
	if (r->state == PT_Z2M_STATE_UNLOCK)
		return 0;
	return -1;
}

int
pt_z2m_avail_decode(const uint8_t *p, size_t len, bool *online)
{
	const json_t *v;
	json_t *o;
	int rc;

	*online = false;
	if (len > PT_Z2M_PAYLOAD_MAX)
		return PT_ETOOBIG;
	if (p == NULL)
		return PT_EMALFORMED;
	/* The legacy text form (Z2M 1.x, legacy_availability_payload). */
	if (len == 6 && memcmp(p, "online", 6) == 0) {
		*online = true;
		return PT_OK;
	}
	if (len == 7 && memcmp(p, "offline", 7) == 0)
		return PT_OK;
	if ((rc = load_object(p, len, &o)) != PT_OK)
		return rc;
	rc = PT_EMALFORMED;
	v = json_object_get(o, "state");
	if (v != NULL && json_is_string(v)) {
		if (str_is(v, "online")) {
			*online = true;
			rc = PT_OK;
		} else if (str_is(v, "offline")) {
			rc = PT_OK;
		}
	}
	json_decref(o);
	return rc;
}

static int
put(const char *s, char *out, size_t cap, size_t *len)
{
	size_t n = strlen(s);

	*len = 0;
	if (n > cap)
		return PT_ENOSPC;
	memcpy(out, s, n);
	*len = n;
	return PT_OK;
}

int
pt_z2m_set_encode(bool lock, char *out, size_t cap, size_t *len)
{
	return put(lock ? "{\"state\":\"LOCK\"}" : "{\"state\":\"UNLOCK\"}", out, cap, len);
}

int
pt_z2m_get_encode(char *out, size_t cap, size_t *len)
{
	return put("{\"state\":\"\"}", out, cap, len);
}

static bool
path_is_valid(const char *s, size_t len, size_t max)
{
	size_t i;

	if (s == NULL || len == 0 || len > max || s[0] == '/' || s[len - 1] == '/')
		return false;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c > 0x7e || c == '+' || c == '#')
			return false;
		if (c == '/' && s[i + 1] == '/')
			return false;
	}
	return true;
}

static bool
ends_with(const char *s, size_t len, const char *suf)
{
	size_t n = strlen(suf);

	return len >= n && memcmp(s + len - n, suf, n) == 0;
}

bool
pt_z2m_base_is_valid(const char *s, size_t len)
{
	return path_is_valid(s, len, PT_Z2M_BASE_MAX);
}

bool
pt_z2m_name_is_valid(const char *s, size_t len)
{
	if (!path_is_valid(s, len, PT_Z2M_NAME_MAX))
		return false;
	if ((len == 6 && memcmp(s, "bridge", 6) == 0) || (len > 7 && memcmp(s, "bridge/", 7) == 0))
		return false;
	return !ends_with(s, len, "/set") && !ends_with(s, len, "/get") &&
	       !ends_with(s, len, "/availability");
}

int
pt_z2m_topic_build(const char *base, const char *name, const char *suffix, char *out, size_t cap,
		   size_t *len)
{
	size_t bl, nl, sl;

	*len = 0;
	if (cap > 0)
		out[0] = '\0';
	if (base == NULL || suffix == NULL || !pt_z2m_base_is_valid(base, strnlen(base, PT_Z2M_BASE_MAX + 1)))
		return PT_EINVAL;
	if (name == NULL) {
		name = "bridge";
		suffix = "/state";
	} else if (!pt_z2m_name_is_valid(name, strnlen(name, PT_Z2M_NAME_MAX + 1)) ||
		   (strcmp(suffix, "") != 0 && strcmp(suffix, "/set") != 0 &&
		    strcmp(suffix, "/get") != 0 && strcmp(suffix, "/availability") != 0)) {
		return PT_EINVAL;
	}
	bl = strlen(base);
	nl = strlen(name);
	sl = strlen(suffix);
	if (bl + 1 + nl + sl + 1 > cap)
		return PT_ENOSPC;
	memcpy(out, base, bl);
	out[bl] = '/';
	memcpy(out + bl + 1, name, nl);
	memcpy(out + bl + 1 + nl, suffix, sl);
	out[bl + 1 + nl + sl] = '\0';
	*len = bl + 1 + nl + sl;
	return PT_OK;
}
