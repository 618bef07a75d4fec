/*
 * libFuzzer target: porterd's JSON request decoders (lib/proto). The first
 * byte picks the decoder, the rest is the body. Each decoder must either
 * accept (and produce a struct whose strings are terminated and in range)
 * or refuse with a status and a code and a struct left all zeros, never
 * crash or leak.
 *
 * Byte 0 modulo 21:
 *   0 signup   1 signin   2 home      3 home patch   4 member   5 owner key
 *   6 grant    7 revocation           8 carrier      9 courier  10 device
 *   11 hub     12 delivery            13 dispatch    14 arrive  15 reason
 *   16 the paging query and the wire names: the body up to the first NUL
 *      is `after`, the rest (up to the next NUL) `limit`; byte 1 bit 0
 *      and 1 make them NULL. The same strings go through pt_level_parse
 *      and pt_dstate_parse, which must round-trip through the _name
 *      functions.
 *   17 remote command (POST /v1/homes/{id}/commands)
 *   18 credential ({"device_key"} of POST /v1/deliveries/{id}/credential)
 *   19 arrive as porterd decodes it (pt_req_arrive_decode_lookup: the
 *      device key's point not checked); must agree with 14 otherwise
 *   20 an owner's approval (POST /v1/homes/{id}/approvals)
 * The committed corpus (fuzz/corpus/api_json/) starts each seed with its
 * selector; seeds 0..7 predate the rest and keep their meaning, seeds
 * 0..16 kept theirs when the modulus went from 17 to 20, and seeds 0..19
 * theirs when it went to 21.
 */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "porter/cbor.h"
#include "porter/crypto.h"
#include "porter/proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NDEC 21

#define CHECK(c)                          \
	do {                              \
		if (!(c))                 \
			__builtin_trap(); \
	} while (0)

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

/* A NUL-terminated string in a[cap] of min..max bytes; printable if text. */
static bool
str_ok(const char *a, size_t cap, size_t min, size_t max, bool text)
{
	const char *z = memchr(a, '\0', cap);
	size_t n;

	if (z == NULL)
		return false;
	n = (size_t)(z - a);
	return n >= min && n <= max && (!text || pt_text_is_printable((const uint8_t *)a, n));
}

static bool
id_ok(const char *a, size_t cap)
{
	return str_ok(a, cap, 1, PT_ID_MAX, false) && pt_id_is_valid(a, strlen(a));
}

static bool
package_ok(const char *a, size_t cap)
{
	size_t i;

	if (!str_ok(a, cap, 1, PT_PACKAGE_MAX, false))
		return false;
	for (i = 0; a[i] != '\0'; i++)
		if ((unsigned char)a[i] <= 0x20 || (unsigned char)a[i] >= 0x7f)
			return false;
	return true;
}

static bool
email_ok(const char *a, size_t cap)
{
	const char *at;
	size_t i;

	if (!str_ok(a, cap, 3, PT_EMAIL_MAX, false) || (at = strchr(a, '@')) == NULL ||
	    strchr(at + 1, '@') != NULL || at == a || at[1] == '\0')
		return false;
	for (i = 0; a[i] != '\0'; i++)
		if ((unsigned char)a[i] <= 0x20 || (unsigned char)a[i] >= 0x7f ||
		    (a[i] >= 'A' && a[i] <= 'Z'))
			return false;
	return true;
}

static bool
degrees_ok(double lat, double lon)
{
	return isfinite(lat) && isfinite(lon) && lat >= -90 && lat <= 90 && lon >= -180 &&
	       lon <= 180;
}

/* Selector 16: the paging query and the names. */
static void
page_and_names(const uint8_t *data, size_t size)
{
	char after[64], limit[64];
	const char *a = NULL, *l = NULL;
	struct pt_api_err e;
	int64_t ao, fo, tv;
	size_t lo, i, k;
	uint8_t v;
	int r;

	if (size < 2)
		return;
	memset(after, 0, sizeof(after));
	memset(limit, 0, sizeof(limit));
	for (i = 2, k = 0; i < size && data[i] != 0 && k + 1 < sizeof(after); i++)
		after[k++] = (char)data[i];
	for (i++, k = 0; i < size && data[i] != 0 && k + 1 < sizeof(limit); i++)
		limit[k++] = (char)data[i];
	if (!(data[1] & 1))
		a = after;
	if (!(data[1] & 2))
		l = limit;
	memset(&e, 0, sizeof(e));
	r = pt_query_page(a, l, &ao, &lo, &e);
	if (r == PT_OK) {
		CHECK(ao >= 0 && lo >= 1 && lo <= PT_PAGE_MAX);
		CHECK(a != NULL || ao == 0);
		CHECK(l != NULL || lo == PT_PAGE_DEFAULT);
	} else {
		CHECK(r == PT_EMALFORMED && e.status == 400);
		CHECK(strcmp(e.code, "invalid-field") == 0);
		CHECK(strcmp(e.field, "after") == 0 || strcmp(e.field, "limit") == 0);
		CHECK(ao == 0 && lo == 0);
	}
	/* The same two strings as a chain slice's from and to. */
	memset(&e, 0, sizeof(e));
	r = pt_query_chain(a, l, &fo, &tv, &e);
	if (r == PT_OK) {
		CHECK(fo >= 1 && tv >= fo && tv - fo < PT_CHAIN_SPAN_MAX);
	} else {
		CHECK(r == PT_EMALFORMED && e.status == 400);
		CHECK(strcmp(e.field, "from") == 0 || strcmp(e.field, "to") == 0);
		CHECK(fo == 0 && tv == 0);
	}
	if (pt_level_parse(after, &v) == PT_OK) {
		CHECK(v >= 1 && v <= 3 && pt_level_name(v) != NULL);
		CHECK(strcmp(pt_level_name(v), after) == 0);
	} else {
		CHECK(v == 0);
	}
	if (pt_dstate_parse(after, &v) == PT_OK) {
		CHECK(v >= 1 && v <= 9 && pt_dstate_name(v) != NULL);
		CHECK(strcmp(pt_dstate_name(v), after) == 0);
	} else {
		CHECK(v == 0);
	}
	(void)pt_approval_name(data[1]);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	static union {
		struct pt_req_signup signup;
		struct pt_req_signin signin;
		struct pt_req_home home;
		struct pt_req_member member;
		struct pt_req_owner_key key;
		struct pt_req_grant grant;
		struct pt_req_revocation rev;
		struct pt_req_carrier carrier;
		struct pt_req_courier courier;
		struct pt_req_device device;
		struct pt_req_hub hub;
		struct pt_req_delivery delivery;
		struct pt_req_dispatch dispatch;
		struct pt_req_arrive arrive;
		struct pt_req_reason reason;
		struct pt_req_command command;
		struct pt_req_credential credential;
		struct pt_req_approval approval;
	} u;
	struct pt_api_err e;
	const char *body;
	size_t len, sz = 0;
	unsigned sel;
	int r;

	if (!ready) {
		if (pt_crypto_init() != PT_OK)
			__builtin_trap();
		ready = true;
	}
	if (size < 1)
		return 0;
	sel = data[0] % NDEC;
	if (sel == 16) {
		page_and_names(data, size);
		return 0;
	}
	body = (const char *)data + 1;
	len = size - 1;
	memset(&e, 0, sizeof(e));
	memset(&u, 0xa5, sizeof(u));	/* every decoder must set what it leaves */
	switch (sel) {
	case 0: r = pt_req_signup_decode(body, len, &u.signup, &e); sz = sizeof(u.signup); break;
	case 1: r = pt_req_signin_decode(body, len, &u.signin, &e); sz = sizeof(u.signin); break;
	case 2: r = pt_req_home_decode(body, len, false, &u.home, &e); sz = sizeof(u.home); break;
	case 3: r = pt_req_home_decode(body, len, true, &u.home, &e); sz = sizeof(u.home); break;
	case 4: r = pt_req_member_decode(body, len, &u.member, &e); sz = sizeof(u.member); break;
	case 5: r = pt_req_owner_key_decode(body, len, &u.key, &e); sz = sizeof(u.key); break;
	case 6: r = pt_req_grant_decode(body, len, &u.grant, &e); sz = sizeof(u.grant); break;
	case 7: r = pt_req_revocation_decode(body, len, &u.rev, &e); sz = sizeof(u.rev); break;
	case 8: r = pt_req_carrier_decode(body, len, &u.carrier, &e); sz = sizeof(u.carrier); break;
	case 9: r = pt_req_courier_decode(body, len, &u.courier, &e); sz = sizeof(u.courier); break;
	case 10: r = pt_req_device_decode(body, len, &u.device, &e); sz = sizeof(u.device); break;
	case 11: r = pt_req_hub_decode(body, len, &u.hub, &e); sz = sizeof(u.hub); break;
	case 12:
		r = pt_req_delivery_decode(body, len, &u.delivery, &e);
		sz = sizeof(u.delivery);
		break;
	case 13:
		r = pt_req_dispatch_decode(body, len, &u.dispatch, &e);
		sz = sizeof(u.dispatch);
		break;
	case 14: r = pt_req_arrive_decode(body, len, &u.arrive, &e); sz = sizeof(u.arrive); break;
	case 15: r = pt_req_reason_decode(body, len, &u.reason, &e); sz = sizeof(u.reason); break;
	case 17:
		r = pt_req_command_decode(body, len, &u.command, &e);
		sz = sizeof(u.command);
		break;
	case 19:
		r = pt_req_arrive_decode_lookup(body, len, &u.arrive, &e);
		sz = sizeof(u.arrive);
		break;
	case 20:
		r = pt_req_approval_decode(body, len, &u.approval, &e);
		sz = sizeof(u.approval);
		break;
	default:
		r = pt_req_credential_decode(body, len, &u.credential, &e);
		sz = sizeof(u.credential);
		break;
	}
	if (r != PT_OK) {
		/* every refusal says what and why, and leaves nothing behind */
		CHECK(r == PT_EMALFORMED);
		CHECK(e.status >= 400 && e.status <= 499 && e.code[0] != '\0');
		CHECK(memchr(e.code, '\0', sizeof(e.code)) != NULL);
		CHECK(memchr(e.field, '\0', sizeof(e.field)) != NULL);
		CHECK(memchr(e.message, '\0', sizeof(e.message)) != NULL && e.message[0] != '\0');
		CHECK(e.status != 413 || strcmp(e.code, "too-large") == 0);
		CHECK(all_zero(&u, sz));
		return 0;
	}
	switch (sel) {
	case 2:
	case 3: {
		char policy[PT_POLICY_MAX + 1];
		struct pt_policy back;
		/* a decoded policy must survive its canonical round trip */
		if (pt_policy_to_json(&u.home.policy, policy, sizeof(policy)) != PT_OK ||
		    pt_policy_from_json(policy, &back) != PT_OK)
			__builtin_trap();
		CHECK(!u.home.location_set || u.home.has_location);
		CHECK(u.home.location_set ? degrees_ok(u.home.lat, u.home.lon)
					  : u.home.lat == 0 && u.home.lon == 0);
		CHECK(sel == 2 || u.home.has_name || u.home.has_tz || u.home.has_notes ||
		      u.home.has_policy || u.home.has_location);
		break;
	}
	case 8:
		CHECK(str_ok(u.carrier.name, sizeof(u.carrier.name), 1, PT_NAME_MAX, true));
		CHECK(u.carrier.hosted ? all_zero(u.carrier.pk, PT_PK_LEN)
				       : pt_pk_is_valid(u.carrier.pk));
		break;
	case 9:
		CHECK(email_ok(u.courier.email, sizeof(u.courier.email)));
		CHECK(str_ok(u.courier.name, sizeof(u.courier.name), 1, PT_NAME_MAX, true));
		CHECK(pt_level_name(u.courier.level) != NULL);
		CHECK(u.courier.has_attestation == (u.courier.attestation_len > 0));
		CHECK(u.courier.attestation_len <= PT_ENVELOPE_SIZE_MAX);
		break;
	case 10:
		CHECK(pt_pk_is_valid(u.device.pk));
		CHECK(str_ok(u.device.label, sizeof(u.device.label), 0, PT_LABEL_MAX, true));
		break;
	case 11:
		CHECK(pt_pk_is_valid(u.hub.pk));
		CHECK(u.hub.pairing_len >= 1 && u.hub.pairing_len <= PT_ENVELOPE_SIZE_MAX);
		CHECK(str_ok(u.hub.label, sizeof(u.hub.label), 0, PT_LABEL_MAX, true));
		break;
	case 12:
		CHECK(id_ok(u.delivery.carrier_id, sizeof(u.delivery.carrier_id)));
		CHECK(id_ok(u.delivery.home_id, sizeof(u.delivery.home_id)));
		CHECK(package_ok(u.delivery.package_id, sizeof(u.delivery.package_id)));
		CHECK(u.delivery.window_start >= 0);
		CHECK(u.delivery.window_end > u.delivery.window_start);
		CHECK(u.delivery.window_end <= ((int64_t)1 << 40));
		CHECK(u.delivery.window_end - u.delivery.window_start <= 86400);
		break;
	case 13:
		CHECK(u.dispatch.courier >= 1);
		break;
	case 14:
		CHECK(pt_pk_is_valid(u.arrive.device_pk));
		CHECK(degrees_ok(u.arrive.lat, u.arrive.lon));
		CHECK(package_ok(u.arrive.package_id, sizeof(u.arrive.package_id)));
		break;
	case 15:
		CHECK(str_ok(u.reason.reason, sizeof(u.reason.reason), 0, PT_REASON_MAX, true));
		CHECK(len > 0 || u.reason.reason[0] == '\0');
		break;
	case 19: {
		/* the same as the checking decoder, but for the point */
		struct pt_req_arrive full;
		struct pt_api_err e2;
		int r2 = pt_req_arrive_decode(body, len, &full, &e2);

		CHECK(degrees_ok(u.arrive.lat, u.arrive.lon));
		CHECK(package_ok(u.arrive.package_id, sizeof(u.arrive.package_id)));
		CHECK(r2 != PT_OK || memcmp(&full, &u.arrive, sizeof(full)) == 0);
		CHECK(r2 == PT_OK || (strcmp(e2.field, "device_key") == 0 &&
				      !pt_pk_is_valid(u.arrive.device_pk)));
		break;
	}
	case 17:
		CHECK(u.command.envelope_len >= 1 && u.command.envelope_len <= PT_ENVELOPE_SIZE_MAX);
		CHECK(all_zero(u.command.envelope + u.command.envelope_len,
			       PT_ENVELOPE_SIZE_MAX - u.command.envelope_len));
		CHECK(u.command.has_hub ? id_ok(u.command.hub_id, sizeof(u.command.hub_id))
					: all_zero(u.command.hub_id, sizeof(u.command.hub_id)));
		break;
	case 20:
		CHECK(u.approval.envelope_len >= 1 && u.approval.envelope_len <= PT_ENVELOPE_SIZE_MAX);
		CHECK(all_zero(u.approval.envelope + u.approval.envelope_len,
			       PT_ENVELOPE_SIZE_MAX - u.approval.envelope_len));
		break;
	default:
		break;
	}
	return 0;
}
