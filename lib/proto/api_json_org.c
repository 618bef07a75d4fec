/*
 * porterd's JSON request bodies for carriers, couriers, devices, hubs and
 * deliveries (schema 2), the paging query, and the names of levels,
 * delivery states and approvals on the wire. Same rules as api_json.c,
 * whose field readers these decoders share.
 */
#include "porter/proto.h"

#include <stdint.h>
#include <string.h>

#include <jansson.h>

#include "porter/text.h"

#include "api_json_priv.h"

/* Delivery windows: times 0..2^40, at most one day long. */
#define WINDOW_TIME_MAX ((int64_t)1 << 40)
#define WINDOW_LEN_MAX 86400

/* ---- names on the wire ---- */

static const char *const level_names[] = {
	[PT_LEVEL_BASIC] = "basic",
	[PT_LEVEL_ID] = "id-checked",
	[PT_LEVEL_BACKGROUND] = "background-checked",
};

static const char *const dstate_names[] = {
	[PT_D_SCHEDULED] = "scheduled",
	[PT_D_OUT] = "out-for-delivery",
	[PT_D_AT_DOOR] = "at-the-door",
	[PT_D_ISSUED] = "credential-issued",
	[PT_D_ENTERED] = "entered",
	[PT_D_COMPLETED] = "completed",
	[PT_D_REFUSED] = "refused",
	[PT_D_FAILED] = "failed",
	[PT_D_CANCELLED] = "cancelled",
};

static const char *const approval_names[] = {
	[PT_APPROVAL_NOT_NEEDED] = "not-needed",
	[PT_APPROVAL_PENDING] = "pending",
	[PT_APPROVAL_APPROVED] = "approved",
};

#define NAME_OF(table, v) ((v) < sizeof(table) / sizeof((table)[0]) ? (table)[v] : NULL)

/* The index of s in table (entries may be NULL), or -1. */
static int
name_find(const char *const *table, size_t n, const char *s)
{
	size_t i;

	if (s == NULL)
		return -1;
	for (i = 0; i < n; i++)
		if (table[i] != NULL && strcmp(table[i], s) == 0)
			return (int)i;
	return -1;
}

const char *
pt_level_name(unsigned level)
{
	return NAME_OF(level_names, level);
}

int
pt_level_parse(const char *s, uint8_t *level)
{
	int i = name_find(level_names, sizeof(level_names) / sizeof(level_names[0]), s);

	*level = i > 0 ? (uint8_t)i : 0;
	return i > 0 ? PT_OK : PT_EMALFORMED;
}

const char *
pt_dstate_name(unsigned state)
{
	return NAME_OF(dstate_names, state);
}

int
pt_dstate_parse(const char *s, uint8_t *state)
{
	int i = name_find(dstate_names, sizeof(dstate_names) / sizeof(dstate_names[0]), s);

	*state = i > 0 ? (uint8_t)i : 0;
	return i > 0 ? PT_OK : PT_EMALFORMED;
}

const char *
pt_approval_name(unsigned approval)
{
	return NAME_OF(approval_names, approval);
}

/* ---- paging ---- */

int
pt_query_page(const char *after, const char *limit, int64_t *after_out, size_t *limit_out,
	      struct pt_api_err *e)
{
	uint64_t a = 0, l = PT_PAGE_DEFAULT;

	*after_out = 0;
	*limit_out = 0;
	if (after != NULL && pt_uint_parse(after, 0, INT64_MAX, &a) != PT_OK) {
		pt_json_invalid(e, "after", "must be the 'next' of a previous page");
		return PT_EMALFORMED;
	}
	if (limit != NULL && pt_uint_parse(limit, 1, PT_PAGE_MAX, &l) != PT_OK) {
		pt_api_err_set(e, 400, "invalid-field", "limit", "'limit' must be 1 to %d",
			       PT_PAGE_MAX);
		return PT_EMALFORMED;
	}
	*after_out = (int64_t)a;
	*limit_out = (size_t)l;
	return PT_OK;
}

int
pt_query_chain(const char *from, const char *to, int64_t *from_out, int64_t *to_out,
	       struct pt_api_err *e)
{
	uint64_t a, b, top;

	*from_out = 0;
	*to_out = 0;
	if (from == NULL || pt_uint_parse(from, 1, INT64_MAX, &a) != PT_OK) {
		pt_api_err_set(e, 400, "invalid-field", "from",
			       "'from' must be an event seq, 1 or more");
		return PT_EMALFORMED;
	}
	top = a > (uint64_t)INT64_MAX - (uint64_t)(PT_CHAIN_SPAN_MAX - 1)
		      ? (uint64_t)INT64_MAX
		      : a + (uint64_t)(PT_CHAIN_SPAN_MAX - 1);
	if (to == NULL || pt_uint_parse(to, a, top, &b) != PT_OK) {
		pt_api_err_set(e, 400, "invalid-field", "to",
			       "'to' must be an event seq from 'from' to 'from' + %d",
			       PT_CHAIN_SPAN_MAX - 1);
		return PT_EMALFORMED;
	}
	*from_out = (int64_t)a;
	*to_out = (int64_t)b;
	return PT_OK;
}

/* ---- field readers of this file ---- */

/* An id (pt_id_is_valid): a home, a carrier. Required. */
static int
get_id(json_t *o, const char *field, char out[PT_ID_MAX + 1], struct pt_api_err *e)
{
	if (pt_json_get_str(o, field, true, 1, PT_ID_MAX, false, out, e) < 0)
		return -1;
	if (!pt_id_is_valid(out, strlen(out))) {
		out[0] = '\0';
		pt_json_invalid(e, field, "is not an id");
		return -1;
	}
	return 1;
}

/* A package id: 1..PT_PACKAGE_MAX printable ASCII characters, no space. */
static int
get_package(json_t *o, const char *field, char out[PT_PACKAGE_MAX + 1], struct pt_api_err *e)
{
	size_t i;

	if (pt_json_get_str(o, field, true, 1, PT_PACKAGE_MAX, false, out, e) < 0)
		return -1;
	for (i = 0; out[i] != '\0'; i++) {
		if ((unsigned char)out[i] <= 0x20 || (unsigned char)out[i] >= 0x7f) {
			out[0] = '\0';
			pt_json_invalid(e, field, "must be printable ASCII without spaces");
			return -1;
		}
	}
	return 1;
}

/*
 * A courier's device key in arrive and credential: 43 characters of
 * base64url, 32 bytes. Not pt_pk_is_valid: only a key found among the
 * courier's enrolled devices is used, and enrolment checked it.
 */
static int
get_device_key(json_t *o, const char *field, uint8_t pk[PT_PK_LEN], struct pt_api_err *e)
{
	size_t n;

	if (pt_json_get_b64(o, field, true, PT_PK_LEN, pk, &n, e) < 0)
		return -1;
	if (n != PT_PK_LEN) {
		memset(pk, 0, PT_PK_LEN);
		pt_json_invalid(e, field, "is not an Ed25519 public key (43 characters)");
		return -1;
	}
	return 1;
}

/* ---- carriers, couriers, devices, hubs ---- */

int
pt_req_carrier_decode(const char *p, size_t len, struct pt_req_carrier *r, struct pt_api_err *e)
{
	static const char *const allowed[] = {"name", "public_key", "hosted", NULL};
	json_t *o;
	int g;

	memset(r, 0, sizeof(*r));
	if ((o = pt_json_load_object(p, len, allowed, e)) == NULL)
		return PT_EMALFORMED;
	FAIL(pt_json_get_str(o, "name", true, 1, PT_NAME_MAX, true, r->name, e));
	FAIL(pt_json_get_bool(o, "hosted", &r->hosted, e));
	FAIL(g = pt_json_get_pk(o, "public_key", false, r->pk, e));
	/* Exactly one of the two: a key the carrier holds, or hosted. */
	if (r->hosted && g == 1) {
		pt_json_invalid(e, "hosted", "cannot be true with a 'public_key'");
		goto fail;
	}
	if (!r->hosted && g == 0) {
		pt_api_err_set(e, 400, "missing-field", "public_key",
			       "'public_key' is required unless 'hosted' is true");
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
pt_req_courier_decode(const char *p, size_t len, struct pt_req_courier *r, struct pt_api_err *e)
{
	static const char *const allowed[] = {"email", "name", "level", "attestation", NULL};
	char level[24];
	json_t *o;
	int g;

	memset(r, 0, sizeof(*r));
	if ((o = pt_json_load_object(p, len, allowed, e)) == NULL)
		return PT_EMALFORMED;
	FAIL(pt_json_get_email(o, "email", r->email, e));
	FAIL(pt_json_get_str(o, "name", true, 1, PT_NAME_MAX, true, r->name, e));
	/* any wrong value (type, length, name) gets the one message listing the levels */
	g = pt_json_get_str(o, "level", true, 1, sizeof(level) - 1, true, level, e);
	if (g < 0 && strcmp(e->code, "missing-field") == 0)
		goto fail;
	if (g < 0 || pt_level_parse(level, &r->level) != PT_OK) {
		pt_json_invalid(e, "level", "must be basic, id-checked or background-checked");
		goto fail;
	}
	FAIL(g = pt_json_get_b64(o, "attestation", false, PT_ENVELOPE_SIZE_MAX, r->attestation,
				 &r->attestation_len, e));
	r->has_attestation = g == 1;
	json_decref(o);
	return PT_OK;
fail:
	json_decref(o);
	memset(r, 0, sizeof(*r));
	return PT_EMALFORMED;
}

int
pt_req_device_decode(const char *p, size_t len, struct pt_req_device *r, struct pt_api_err *e)
{
	static const char *const allowed[] = {"public_key", "label", NULL};
	json_t *o;

	memset(r, 0, sizeof(*r));
	if ((o = pt_json_load_object(p, len, allowed, e)) == NULL)
		return PT_EMALFORMED;
	FAIL(pt_json_get_pk(o, "public_key", true, r->pk, e));
	FAIL(pt_json_get_str(o, "label", false, 0, PT_LABEL_MAX, true, r->label, e));
	json_decref(o);
	return PT_OK;
fail:
	json_decref(o);
	memset(r, 0, sizeof(*r));
	return PT_EMALFORMED;
}

int
pt_req_hub_decode(const char *p, size_t len, struct pt_req_hub *r, struct pt_api_err *e)
{
	static const char *const allowed[] = {"public_key", "pairing", "label", NULL};
	json_t *o;

	memset(r, 0, sizeof(*r));
	if ((o = pt_json_load_object(p, len, allowed, e)) == NULL)
		return PT_EMALFORMED;
	FAIL(pt_json_get_pk(o, "public_key", true, r->pk, e));
	FAIL(pt_json_get_b64(o, "pairing", true, PT_ENVELOPE_SIZE_MAX, r->pairing, &r->pairing_len,
			     e));
	FAIL(pt_json_get_str(o, "label", false, 0, PT_LABEL_MAX, true, r->label, e));
	json_decref(o);
	return PT_OK;
fail:
	json_decref(o);
	memset(r, 0, sizeof(*r));
	return PT_EMALFORMED;
}

/* ---- deliveries ---- */

int
pt_req_delivery_decode(const char *p, size_t len, struct pt_req_delivery *r,
		       struct pt_api_err *e)
{
	static const char *const allowed[] = {"carrier_id", "home_id", "package_id", "window_start",
					      "window_end", "in_home", NULL};
	json_t *o;

	memset(r, 0, sizeof(*r));
	if ((o = pt_json_load_object(p, len, allowed, e)) == NULL)
		return PT_EMALFORMED;
	FAIL(get_id(o, "carrier_id", r->carrier_id, e));
	FAIL(get_id(o, "home_id", r->home_id, e));
	FAIL(get_package(o, "package_id", r->package_id, e));
	FAIL(pt_json_get_int(o, "window_start", true, 0, WINDOW_TIME_MAX, &r->window_start, e));
	FAIL(pt_json_get_int(o, "window_end", true, 0, WINDOW_TIME_MAX, &r->window_end, e));
	if (r->window_end <= r->window_start) {
		pt_json_invalid(e, "window_end", "must be after 'window_start'");
		goto fail;
	}
	if (r->window_end - r->window_start > WINDOW_LEN_MAX) {
		pt_json_invalid(e, "window_end", "must be at most 24 h after 'window_start'");
		goto fail;
	}
	FAIL(pt_json_get_bool(o, "in_home", &r->in_home, e));
	json_decref(o);
	return PT_OK;
fail:
	json_decref(o);
	memset(r, 0, sizeof(*r));
	return PT_EMALFORMED;
}

int
pt_req_dispatch_decode(const char *p, size_t len, struct pt_req_dispatch *r,
		       struct pt_api_err *e)
{
	static const char *const allowed[] = {"courier", NULL};
	json_t *o;

	memset(r, 0, sizeof(*r));
	if ((o = pt_json_load_object(p, len, allowed, e)) == NULL)
		return PT_EMALFORMED;
	FAIL(pt_json_get_int(o, "courier", true, 1, INT64_MAX, &r->courier, e));
	json_decref(o);
	return PT_OK;
fail:
	json_decref(o);
	memset(r, 0, sizeof(*r));
	return PT_EMALFORMED;
}

static int
arrive_decode(const char *p, size_t len, bool point, struct pt_req_arrive *r, struct pt_api_err *e)
{
	static const char *const allowed[] = {"device_key", "lat", "lon", "package_id", NULL};
	json_t *o;

	memset(r, 0, sizeof(*r));
	if ((o = pt_json_load_object(p, len, allowed, e)) == NULL)
		return PT_EMALFORMED;
	if (point)
		FAIL(pt_json_get_pk(o, "device_key", true, r->device_pk, e));
	else
		FAIL(get_device_key(o, "device_key", r->device_pk, e));
	FAIL(pt_json_get_num(o, "lat", "lat", true, -90, 90, &r->lat, e));
	FAIL(pt_json_get_num(o, "lon", "lon", true, -180, 180, &r->lon, e));
	FAIL(get_package(o, "package_id", r->package_id, e));
	json_decref(o);
	return PT_OK;
fail:
	json_decref(o);
	memset(r, 0, sizeof(*r));
	return PT_EMALFORMED;
}

int
pt_req_arrive_decode(const char *p, size_t len, struct pt_req_arrive *r, struct pt_api_err *e)
{
	return arrive_decode(p, len, true, r, e);
}

int
pt_req_arrive_decode_lookup(const char *p, size_t len, struct pt_req_arrive *r,
			    struct pt_api_err *e)
{
	return arrive_decode(p, len, false, r, e);
}

int
pt_req_reason_decode(const char *p, size_t len, struct pt_req_reason *r, struct pt_api_err *e)
{
	static const char *const allowed[] = {"reason", NULL};
	json_t *o;

	memset(r, 0, sizeof(*r));
	if (len == 0)
		return PT_OK;	/* no body: no reason */
	if ((o = pt_json_load_object(p, len, allowed, e)) == NULL)
		return PT_EMALFORMED;
	FAIL(pt_json_get_str(o, "reason", false, 0, PT_REASON_MAX, true, r->reason, e));
	json_decref(o);
	return PT_OK;
fail:
	json_decref(o);
	memset(r, 0, sizeof(*r));
	return PT_EMALFORMED;
}

int
pt_req_credential_decode(const char *p, size_t len, struct pt_req_credential *r,
			 struct pt_api_err *e)
{
	static const char *const allowed[] = {"device_key", NULL};
	json_t *o;

	memset(r, 0, sizeof(*r));
	if ((o = pt_json_load_object(p, len, allowed, e)) == NULL)
		return PT_EMALFORMED;
	FAIL(get_device_key(o, "device_key", r->device_pk, e));
	json_decref(o);
	return PT_OK;
fail:
	json_decref(o);
	memset(r, 0, sizeof(*r));
	return PT_EMALFORMED;
}

/* ---- remote commands ---- */

int
pt_req_command_decode(const char *p, size_t len, struct pt_req_command *r, struct pt_api_err *e)
{
	static const char *const allowed[] = {"command", "hub_id", NULL};
	json_t *o;

	memset(r, 0, sizeof(*r));
	if ((o = pt_json_load_object(p, len, allowed, e)) == NULL)
		return PT_EMALFORMED;
	FAIL(pt_json_get_b64(o, "command", true, PT_ENVELOPE_SIZE_MAX, r->envelope,
			     &r->envelope_len, e));
	if (json_object_get(o, "hub_id") != NULL) {
		FAIL(get_id(o, "hub_id", r->hub_id, e));
		r->has_hub = true;
	}
	json_decref(o);
	return PT_OK;
fail:
	json_decref(o);
	memset(r, 0, sizeof(*r));
	return PT_EMALFORMED;
}

/* ---- answers to a hub's request for an owner's approval ---- */

int
pt_req_approval_decode(const char *p, size_t len, struct pt_req_approval *r,
		       struct pt_api_err *e)
{
	static const char *const allowed[] = {"approval", NULL};
	json_t *o;

	memset(r, 0, sizeof(*r));
	if ((o = pt_json_load_object(p, len, allowed, e)) == NULL)
		return PT_EMALFORMED;
	FAIL(pt_json_get_b64(o, "approval", true, PT_ENVELOPE_SIZE_MAX, r->envelope,
			     &r->envelope_len, e));
	json_decref(o);
	return PT_OK;
fail:
	json_decref(o);
	memset(r, 0, sizeof(*r));
	return PT_EMALFORMED;
}
