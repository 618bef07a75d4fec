/*
 * porterd's JSON request bodies: parse, check every field, fill a typed
 * struct. The one place where HTTP bodies from strangers are read.
 */
#include "porter/proto.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "porter/cbor.h"
#include "porter/crypto.h"
#include "porter/text.h"

#include "api_json_priv.h"

void
pt_api_err_set(struct pt_api_err *e, int status, const char *code, const char *field,
	       const char *fmt, ...)
{
	va_list ap;

	memset(e, 0, sizeof(*e));
	e->status = status;
	(void)snprintf(e->code, sizeof(e->code), "%s", code);
	if (field != NULL)
		(void)snprintf(e->field, sizeof(e->field), "%s", field);
	va_start(ap, fmt);
	(void)vsnprintf(e->message, sizeof(e->message), fmt, ap);
	va_end(ap);
}

int
pt_json_invalid(struct pt_api_err *e, const char *field, const char *why)
{
	pt_api_err_set(e, 400, "invalid-field", field, "'%s' %s", field, why);
	return PT_EMALFORMED;
}

int
pt_json_missing(struct pt_api_err *e, const char *field)
{
	pt_api_err_set(e, 400, "missing-field", field, "'%s' is required", field);
	return -1;
}

int
pt_json_check_keys(json_t *o, const char *const *allowed, const char *prefix, int key_max,
		   struct pt_api_err *e)
{
	const char *key;
	json_t *v;
	size_t i;

	json_object_foreach(o, key, v) {
		(void)v;
		for (i = 0; allowed[i] != NULL; i++)
			if (strcmp(key, allowed[i]) == 0)
				break;
		if (allowed[i] == NULL) {
			char shown[40];
			(void)snprintf(shown, sizeof(shown), "%s%.*s", prefix, key_max, key);
			if (!pt_text_is_printable((const uint8_t *)shown, strlen(shown)))
				(void)snprintf(shown, sizeof(shown), "%s?", prefix);
			pt_api_err_set(e, 400, "unknown-field", shown, "unknown field '%s'", shown);
			return -1;
		}
	}
	return 0;
}

json_t *
pt_json_load_object(const char *p, size_t len, const char *const *allowed, struct pt_api_err *e)
{
	json_error_t jerr;
	json_t *o;

	if (len == 0) {
		pt_api_err_set(e, 400, "bad-request", NULL, "the body is empty: send a JSON object");
		return NULL;
	}
	/* JSON_ALLOW_NUL: a "\u0000" inside a string is then refused by
	 * pt_json_get_str, which names the field, rather than as a parse error. */
	o = json_loadb(p, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
	if (o == NULL || !json_is_object(o)) {
		pt_api_err_set(e, 400, "bad-request", NULL, "the body is not a JSON object%s%s",
			       o == NULL ? ": " : "", o == NULL ? jerr.text : "");
		json_decref(o);
		return NULL;
	}
	if (pt_json_check_keys(o, allowed, "", 39, e) != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

int
pt_json_get_str(json_t *o, const char *field, bool required, size_t min, size_t max, bool text,
		char *out, struct pt_api_err *e)
{
	json_t *v = json_object_get(o, field);
	const char *s;
	size_t n;

	out[0] = '\0';
	if (v == NULL)
		return required ? pt_json_missing(e, field) : 0;
	if (!json_is_string(v)) {
		pt_json_invalid(e, field, "must be a string");
		return -1;
	}
	s = json_string_value(v);
	n = json_string_length(v);
	if (memchr(s, '\0', n) != NULL || n < min || n > max) {
		pt_api_err_set(e, 400, "invalid-field", field, "'%s' must be %zu to %zu bytes", field,
			       min, max);
		return -1;
	}
	if (text && !pt_text_is_printable((const uint8_t *)s, n)) {
		pt_json_invalid(e, field, "must be printable text");
		return -1;
	}
	memcpy(out, s, n + 1);
	return 1;
}

int
pt_json_get_bool(json_t *o, const char *field, bool *out, struct pt_api_err *e)
{
	json_t *v = json_object_get(o, field);

	if (v == NULL)
		return 0;
	if (!json_is_boolean(v)) {
		pt_json_invalid(e, field, "must be true or false");
		return -1;
	}
	*out = json_is_true(v);
	return 1;
}

bool
pt_json_email_is_valid(char *s)
{
	size_t n = strlen(s), i, at = 0, ats = 0;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c <= 0x20 || c >= 0x7f)
			return false;
		if (c == '@') {
			ats++;
			at = i;
		}
		s[i] = (char)tolower(c);
	}
	return ats == 1 && at > 0 && at + 1 < n;
}

int
pt_json_get_email(json_t *o, const char *field, char *out, struct pt_api_err *e)
{
	if (pt_json_get_str(o, field, true, 3, PT_EMAIL_MAX, false, out, e) < 0)
		return -1;
	if (!pt_json_email_is_valid(out)) {
		out[0] = '\0';
		pt_json_invalid(e, field, "is not an e-mail address");
		return -1;
	}
	return 1;
}

int
pt_json_get_b64(json_t *o, const char *field, bool required, size_t max, uint8_t *out, size_t *n,
		struct pt_api_err *e)
{
	json_t *v = json_object_get(o, field);
	const char *s;
	size_t len, want;

	*n = 0;
	if (v == NULL)
		return required ? pt_json_missing(e, field) : 0;
	if (!json_is_string(v)) {
		pt_json_invalid(e, field, "must be a base64url string");
		return -1;
	}
	s = json_string_value(v);
	len = json_string_length(v);
	if (len > pt_b64_len(max)) {
		/* A key of the wrong size is a wrong value; a chain too big is too big. */
		if (max < 256)
			pt_json_invalid(e, field, "has the wrong length");
		else
			pt_api_err_set(e, 413, "too-large", field, "'%s' is larger than %zu bytes",
				       field, max);
		return -1;
	}
	if (len == 0 || len % 4 == 1) {
		pt_json_invalid(e, field, "is not base64url");
		return -1;
	}
	want = len / 4 * 3 + (len % 4 == 2 ? 1 : len % 4 == 3 ? 2 : 0);
	if (want > max || pt_b64_decode(out, want, s, len) != PT_OK) {
		memset(out, 0, max);
		pt_json_invalid(e, field, "is not base64url (without padding)");
		return -1;
	}
	*n = want;
	return 1;
}

int
pt_json_get_pk(json_t *o, const char *field, bool required, uint8_t pk[PT_PK_LEN],
	       struct pt_api_err *e)
{
	size_t n;
	int g;

	if ((g = pt_json_get_b64(o, field, required, PT_PK_LEN, pk, &n, e)) <= 0)
		return g;
	if (n != PT_PK_LEN || !pt_pk_is_valid(pk)) {
		memset(pk, 0, PT_PK_LEN);
		pt_json_invalid(e, field, "is not a valid Ed25519 public key");
		return -1;
	}
	return 1;
}

int
pt_json_get_int(json_t *o, const char *field, bool required, int64_t min, int64_t max,
		int64_t *out, struct pt_api_err *e)
{
	json_t *v = json_object_get(o, field);
	json_int_t x;

	*out = 0;
	if (v == NULL)
		return required ? pt_json_missing(e, field) : 0;
	if (!json_is_integer(v)) {
		pt_json_invalid(e, field, "must be an integer");
		return -1;
	}
	x = json_integer_value(v);
	if (x < min || x > max) {
		pt_api_err_set(e, 400, "invalid-field", field, "'%s' must be %lld to %lld", field,
			       (long long)min, (long long)max);
		return -1;
	}
	*out = (int64_t)x;
	return 1;
}

int
pt_json_get_num(json_t *o, const char *field, const char *name, bool required, double min,
		double max, double *out, struct pt_api_err *e)
{
	json_t *v = json_object_get(o, field);
	double x;

	*out = 0;
	if (v == NULL)
		return required ? pt_json_missing(e, name) : 0;
	if (!json_is_number(v)) {
		pt_json_invalid(e, name, "must be a number");
		return -1;
	}
	x = json_number_value(v);
	/* written so that a NaN fails too (JSON cannot carry one, but still) */
	if (!isfinite(x) || !(x >= min && x <= max)) {
		pt_api_err_set(e, 400, "invalid-field", name, "'%s' must be %g to %g", name, min,
			       max);
		return -1;
	}
	*out = x;
	return 1;
}

int
pt_req_signup_decode(const char *p, size_t len, struct pt_req_signup *r, struct pt_api_err *e)
{
	static const char *const allowed[] = {"email", "password", "name", "role", NULL};
	char role[16];
	json_t *o;

	memset(r, 0, sizeof(*r));
	if ((o = pt_json_load_object(p, len, allowed, e)) == NULL)
		return PT_EMALFORMED;
	FAIL(pt_json_get_email(o, "email", r->email, e));
	FAIL(pt_json_get_str(o, "password", true, PT_PASSWORD_MIN, PT_PASSWORD_MAX, false,
			     r->password, e));
	FAIL(pt_json_get_str(o, "name", true, 1, PT_NAME_MAX, true, r->name, e));
	r->role = PT_ROLE_OWNER;
	switch (pt_json_get_str(o, "role", false, 1, sizeof(role) - 1, true, role, e)) {
	case -1:
		goto fail;
	case 1:
		if (strcmp(role, "owner") == 0) {
			r->role = PT_ROLE_OWNER;
		} else if (strcmp(role, "carrier-admin") == 0) {
			r->role = PT_ROLE_CARRIER_ADMIN;
		} else if (strcmp(role, "courier") == 0) {
			r->role = PT_ROLE_COURIER;
		} else {
			pt_json_invalid(e, "role", "must be owner, carrier-admin or courier");
			goto fail;
		}
		break;
	default:
		break;
	}
	json_decref(o);
	return PT_OK;
fail:
	json_decref(o);
	pt_wipe(r, sizeof(*r));
	return PT_EMALFORMED;
}

int
pt_req_signin_decode(const char *p, size_t len, struct pt_req_signin *r, struct pt_api_err *e)
{
	static const char *const allowed[] = {"email", "password", "cookie", NULL};
	json_t *o;

	memset(r, 0, sizeof(*r));
	if ((o = pt_json_load_object(p, len, allowed, e)) == NULL)
		return PT_EMALFORMED;
	if (pt_json_get_bool(o, "cookie", &r->cookie, e) < 0)
		goto fail;
	/* No length rules beyond the maximum here: a wrong password is a
	 * wrong password, not a malformed request. */
	FAIL(pt_json_get_str(o, "email", true, 1, PT_EMAIL_MAX, false, r->email, e));
	(void)pt_json_email_is_valid(r->email);	/* lowercases */
	FAIL(pt_json_get_str(o, "password", true, 1, PT_PASSWORD_MAX, false, r->password, e));
	json_decref(o);
	return PT_OK;
fail:
	json_decref(o);
	pt_wipe(r, sizeof(*r));
	return PT_EMALFORMED;
}

void
pt_policy_default(struct pt_policy *p)
{
	memset(p, 0, sizeof(*p));
	p->camera_required = true;
	p->alarm_bypass_required = true;
}

static int
policy_decode(json_t *v, struct pt_policy *p, struct pt_api_err *e)
{
	static const char *const allowed[] = {"in_home_delivery", "carriers", "hours",
					      "camera_required", "alarm_bypass_required",
					      "approval", NULL};
	json_t *x, *item;
	char buf[32];
	size_t i;

	pt_policy_default(p);
	if (!json_is_object(v))
		return pt_json_invalid(e, "policy", "must be an object");
	if (pt_json_check_keys(v, allowed, "policy.", 24, e) != 0)
		return PT_EMALFORMED;
	{
		static const char *const names[] = {"in_home_delivery", "camera_required",
						    "alarm_bypass_required"};
		bool *dst[] = {&p->in_home_delivery, &p->camera_required,
			       &p->alarm_bypass_required};
		for (i = 0; i < 3; i++) {
			if (pt_json_get_bool(v, names[i], dst[i], e) < 0) {
				(void)snprintf(e->field, sizeof(e->field), "policy.%s", names[i]);
				return PT_EMALFORMED;
			}
		}
	}
	if ((x = json_object_get(v, "carriers")) != NULL) {
		if (!json_is_array(x) || json_array_size(x) > PT_POLICY_CARRIERS_MAX)
			return pt_json_invalid(e, "policy.carriers",
					       "must be a list of up to 16 carrier ids");
		json_array_foreach(x, i, item) {
			const char *s = json_string_value(item);
			size_t n = json_string_length(item);
			if (s == NULL || !pt_id_is_valid(s, n))
				return pt_json_invalid(e, "policy.carriers",
						       "must hold carrier ids");
			memcpy(p->carriers[i], s, n + 1);
		}
		p->n_carriers = (uint8_t)json_array_size(x);
	}
	if ((x = json_object_get(v, "hours")) != NULL) {
		if (!json_is_array(x) || json_array_size(x) > PT_POLICY_HOURS_MAX)
			return pt_json_invalid(e, "policy.hours",
					       "must be a list of up to 16 intervals");
		json_array_foreach(x, i, item) {
			const char *s = json_string_value(item);
			if (s == NULL || json_string_length(item) >= sizeof(buf) ||
			    pt_weekly_parse(s, &p->hours[i]) != PT_OK)
				return pt_json_invalid(
					e, "policy.hours",
					"must hold intervals like 'mon-fri 08:00-20:00'");
		}
		p->n_hours = (uint8_t)json_array_size(x);
	}
	if ((x = json_object_get(v, "approval")) != NULL) {
		const char *s = json_string_value(x);
		if (s != NULL && strcmp(s, "standing") == 0)
			p->standing_approval = true;
		else if (s != NULL && strcmp(s, "per-delivery") == 0)
			p->standing_approval = false;
		else
			return pt_json_invalid(e, "policy.approval",
					       "must be per-delivery or standing");
	}
	return PT_OK;
}

int
pt_policy_to_json(const struct pt_policy *p, char *out, size_t cap)
{
	json_t *o = json_object(), *a;
	char wk[64];
	size_t i, n;
	int r = PT_ENOSPC;

	json_object_set_new(o, "in_home_delivery", json_boolean(p->in_home_delivery));
	a = json_array();
	for (i = 0; i < p->n_carriers; i++)
		json_array_append_new(a, json_string(p->carriers[i]));
	json_object_set_new(o, "carriers", a);
	a = json_array();
	for (i = 0; i < p->n_hours; i++) {
		pt_weekly_format(&p->hours[i], wk, sizeof(wk));
		json_array_append_new(a, json_string(wk));
	}
	json_object_set_new(o, "hours", a);
	json_object_set_new(o, "camera_required", json_boolean(p->camera_required));
	json_object_set_new(o, "alarm_bypass_required", json_boolean(p->alarm_bypass_required));
	json_object_set_new(o, "approval",
			    json_string(p->standing_approval ? "standing" : "per-delivery"));
	/* json_dumpb writes into our buffer: no allocator crosses the API. */
	n = cap > 0 ? json_dumpb(o, out, cap - 1, JSON_COMPACT | JSON_SORT_KEYS) : 0;
	json_decref(o);
	if (n > 0 && n < cap) {
		out[n] = '\0';
		r = PT_OK;
	} else if (cap > 0) {
		out[0] = '\0';
	}
	return r;
}

int
pt_policy_from_json(const char *s, struct pt_policy *p)
{
	struct pt_api_err e;
	json_t *o = json_loads(s, JSON_REJECT_DUPLICATES, NULL);
	int r = o != NULL ? policy_decode(o, p, &e) : PT_EMALFORMED;

	json_decref(o);
	if (r != PT_OK)
		pt_policy_default(p);
	return r;
}

/* "location": {"lat": -90..90, "lon": -180..180} sets it, null clears it. */
static int
location_decode(json_t *v, struct pt_req_home *r, struct pt_api_err *e)
{
	static const char *const allowed[] = {"lat", "lon", NULL};

	r->has_location = true;
	if (json_is_null(v))
		return PT_OK;
	if (!json_is_object(v))
		return pt_json_invalid(e, "location",
				       "must be {\"lat\": ..., \"lon\": ...} or null");
	if (pt_json_check_keys(v, allowed, "location.", 30, e) != 0 ||
	    pt_json_get_num(v, "lat", "location.lat", true, -90, 90, &r->lat, e) < 0 ||
	    pt_json_get_num(v, "lon", "location.lon", true, -180, 180, &r->lon, e) < 0)
		return PT_EMALFORMED;
	r->location_set = true;
	return PT_OK;
}

int
pt_req_home_decode(const char *p, size_t len, bool patch, struct pt_req_home *r,
		   struct pt_api_err *e)
{
	static const char *const allowed[] = {"name", "tz", "notes", "policy", "location", NULL};
	json_t *o, *v;
	int g;

	memset(r, 0, sizeof(*r));
	if ((o = pt_json_load_object(p, len, allowed, e)) == NULL)
		return PT_EMALFORMED;
	pt_policy_default(&r->policy);
	FAIL(g = pt_json_get_str(o, "name", !patch, 1, PT_NAME_MAX, true, r->name, e));
	r->has_name = g == 1;
	FAIL(g = pt_json_get_str(o, "tz", !patch, 1, PT_TZNAME_MAX, false, r->tz, e));
	r->has_tz = g == 1;
	if (r->has_tz && !pt_tzname_is_valid(r->tz, strlen(r->tz))) {
		pt_json_invalid(e, "tz", "is not an IANA time zone name");
		goto fail;
	}
	FAIL(g = pt_json_get_str(o, "notes", false, 0, PT_NOTES_MAX, true, r->notes, e));
	r->has_notes = g == 1;
	if ((v = json_object_get(o, "policy")) != NULL) {
		if (policy_decode(v, &r->policy, e) != PT_OK)
			goto fail;
		r->has_policy = true;
	}
	if ((v = json_object_get(o, "location")) != NULL && location_decode(v, r, e) != PT_OK)
		goto fail;
	if (patch && !r->has_name && !r->has_tz && !r->has_notes && !r->has_policy &&
	    !r->has_location) {
		pt_api_err_set(e, 400, "bad-request", NULL, "nothing to change");
		goto fail;
	}
	json_decref(o);
	return PT_OK;
fail:
	json_decref(o);
	memset(r, 0, sizeof(*r));
	return PT_EMALFORMED;
}

int
pt_req_member_decode(const char *p, size_t len, struct pt_req_member *r, struct pt_api_err *e)
{
	static const char *const allowed[] = {"email", "role", NULL};
	char role[16];
	json_t *o;
	int g;

	memset(r, 0, sizeof(*r));
	if ((o = pt_json_load_object(p, len, allowed, e)) == NULL)
		return PT_EMALFORMED;
	FAIL(pt_json_get_email(o, "email", r->email, e));
	r->role = PT_HOME_MEMBER;
	FAIL(g = pt_json_get_str(o, "role", false, 1, sizeof(role) - 1, true, role, e));
	if (g == 1) {
		if (strcmp(role, "member") == 0)
			r->role = PT_HOME_MEMBER;
		else if (strcmp(role, "owner") == 0)
			r->role = PT_HOME_OWNER;
		else {
			pt_json_invalid(e, "role", "must be member or owner");
			goto fail;
		}
	}
	json_decref(o);
	return PT_OK;
fail:
	json_decref(o);
	memset(r, 0, sizeof(*r));
	return PT_EMALFORMED;
}

int
pt_req_owner_key_decode(const char *p, size_t len, struct pt_req_owner_key *r,
			struct pt_api_err *e)
{
	static const char *const allowed[] = {"public_key", "label", "statement", NULL};
	json_t *o;

	memset(r, 0, sizeof(*r));
	if ((o = pt_json_load_object(p, len, allowed, e)) == NULL)
		return PT_EMALFORMED;
	FAIL(pt_json_get_pk(o, "public_key", true, r->pk, e));
	FAIL(pt_json_get_str(o, "label", false, 0, PT_LABEL_MAX, true, r->label, e));
	FAIL(pt_json_get_b64(o, "statement", false, PT_ENVELOPE_SIZE_MAX, r->statement,
			     &r->statement_len, e));
	json_decref(o);
	return PT_OK;
fail:
	json_decref(o);
	memset(r, 0, sizeof(*r));
	return PT_EMALFORMED;
}

int
pt_req_grant_decode(const char *p, size_t len, struct pt_req_grant *r, struct pt_api_err *e)
{
	static const char *const allowed[] = {"chain", "label", NULL};
	json_t *o;

	memset(r, 0, sizeof(*r));
	if ((o = pt_json_load_object(p, len, allowed, e)) == NULL)
		return PT_EMALFORMED;
	FAIL(pt_json_get_b64(o, "chain", true, PT_CHAIN_SIZE_MAX, r->chain, &r->chain_len, e));
	FAIL(pt_json_get_str(o, "label", false, 0, PT_LABEL_MAX, true, r->label, e));
	json_decref(o);
	return PT_OK;
fail:
	json_decref(o);
	memset(r, 0, sizeof(*r));
	return PT_EMALFORMED;
}

int
pt_req_revocation_decode(const char *p, size_t len, struct pt_req_revocation *r,
			 struct pt_api_err *e)
{
	static const char *const allowed[] = {"revocation", NULL};
	json_t *o;

	memset(r, 0, sizeof(*r));
	if ((o = pt_json_load_object(p, len, allowed, e)) == NULL)
		return PT_EMALFORMED;
	FAIL(pt_json_get_b64(o, "revocation", true, PT_ENVELOPE_SIZE_MAX, r->envelope,
			     &r->envelope_len, e));
	json_decref(o);
	return PT_OK;
fail:
	json_decref(o);
	memset(r, 0, sizeof(*r));
	return PT_EMALFORMED;
}
