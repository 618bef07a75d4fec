/*
 * porter/proto.h: porterd's HTTP JSON request bodies, decoded in one place.
 *
 * Each decoder takes the raw body bytes (untrusted), parses them as one
 * JSON object (duplicate keys refused), checks every field (unknown fields,
 * types, lengths, ranges) and fills a typed struct, or fails with a
 * struct pt_api_err naming the field. Handlers only ever see the typed
 * structs. Secrets (passwords) are copied into the struct and must be
 * wiped by the caller with pt_wipe after use.
 */
#ifndef PORTER_PROTO_H
#define PORTER_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "porter/cred.h"
#include "porter/envelope.h"
#include "porter/err.h"
#include "porter/store.h"

#define PT_PASSWORD_MIN 12
#define PT_PASSWORD_MAX 256
#define PT_POLICY_CARRIERS_MAX 16
#define PT_POLICY_HOURS_MAX 16

/* A client error: HTTP status, code, message and the offending field. */
struct pt_api_err {
	int status;
	char code[32];
	char field[48];
	char message[160];
};

struct pt_req_signup {
	char email[PT_EMAIL_MAX + 1];	/* lowercased */
	char password[PT_PASSWORD_MAX + 1];
	char name[PT_NAME_MAX + 1];
	int role;			/* PT_ROLE_OWNER, PT_ROLE_CARRIER_ADMIN or PT_ROLE_COURIER */
};

struct pt_req_signin {
	char email[PT_EMAIL_MAX + 1];
	char password[PT_PASSWORD_MAX + 1];
	bool cookie;			/* "cookie": true: a web session (docs/web.md) */
};

struct pt_policy {
	bool in_home_delivery;
	uint8_t n_carriers;
	char carriers[PT_POLICY_CARRIERS_MAX][PT_ID_MAX + 1];
	uint8_t n_hours;
	struct pt_weekly hours[PT_POLICY_HOURS_MAX];
	bool camera_required;
	bool alarm_bypass_required;
	bool standing_approval;		/* false: per-delivery */
};

/* Home create (all required but notes/policy/location) or patch (all optional).
 * "location": {"lat": -90..90, "lon": -180..180} sets it; null clears it. */
struct pt_req_home {
	bool has_name, has_tz, has_notes, has_policy;
	bool has_location;		/* the field was given */
	bool location_set;		/* ... as an object (false: null, clear it) */
	double lat, lon;
	char name[PT_NAME_MAX + 1];
	char tz[PT_TZNAME_MAX + 1];	/* name checked; existence is the caller's */
	char notes[PT_NOTES_MAX + 1];
	struct pt_policy policy;	/* defaults filled when absent */
};

struct pt_req_member {
	char email[PT_EMAIL_MAX + 1];
	int role;			/* PT_HOME_OWNER or PT_HOME_MEMBER */
};

struct pt_req_owner_key {
	uint8_t pk[PT_PK_LEN];		/* a valid, not small-order Ed25519 key */
	char label[PT_LABEL_MAX + 1];
	/* optional "statement": a PT_ENV_OWNER envelope (base64url), not
	 * verified here; statement_len 0 when absent (docs/web.md) */
	uint8_t statement[PT_ENVELOPE_SIZE_MAX];
	size_t statement_len;
};

struct pt_req_grant {
	uint8_t chain[PT_CHAIN_SIZE_MAX];	/* base64url-decoded, not yet verified */
	size_t chain_len;
	char label[PT_LABEL_MAX + 1];
};

struct pt_req_revocation {
	uint8_t envelope[PT_ENVELOPE_SIZE_MAX];	/* decoded, not yet verified */
	size_t envelope_len;
};

/* ---- schema 2: carriers, couriers, devices, hubs, deliveries ---- */

/* {"name", "public_key"} or {"name", "hosted": true}: exactly one of them. */
struct pt_req_carrier {
	char name[PT_NAME_MAX + 1];
	bool hosted;
	uint8_t pk[PT_PK_LEN];		/* valid when !hosted */
};

/* {"email", "name", "level", "attestation"?} */
struct pt_req_courier {
	char email[PT_EMAIL_MAX + 1];	/* lowercased */
	char name[PT_NAME_MAX + 1];
	uint8_t level;			/* enum pt_level */
	bool has_attestation;
	uint8_t attestation[PT_ENVELOPE_SIZE_MAX];
	size_t attestation_len;
};

/* {"public_key", "label"?}: a courier's device */
struct pt_req_device {
	uint8_t pk[PT_PK_LEN];
	char label[PT_LABEL_MAX + 1];
};

/* {"public_key", "pairing", "label"?} */
struct pt_req_hub {
	uint8_t pk[PT_PK_LEN];
	uint8_t pairing[PT_ENVELOPE_SIZE_MAX];
	size_t pairing_len;
	char label[PT_LABEL_MAX + 1];
};

/* {"carrier_id", "home_id", "package_id", "window_start", "window_end", "in_home"?}
 * Shape only: end > start, end - start <= 86400, times 0..2^40; whether
 * the window is in the future is the caller's (it knows now). */
struct pt_req_delivery {
	char carrier_id[PT_ID_MAX + 1];
	char home_id[PT_ID_MAX + 1];
	char package_id[PT_PACKAGE_MAX + 1];	/* 1..64 printable ASCII, no space */
	int64_t window_start, window_end;
	bool in_home;			/* default false */
};

/* {"courier": account id (integer >= 1)} */
struct pt_req_dispatch {
	int64_t courier;
};

/* {"device_key", "lat", "lon", "package_id"} */
struct pt_req_arrive {
	uint8_t device_pk[PT_PK_LEN];	/* valid point; see pt_req_arrive_decode_lookup */
	double lat, lon;
	char package_id[PT_PACKAGE_MAX + 1];
};

/* {"device_key": "<43 characters>"}: the body of /credential. */
struct pt_req_credential {
	uint8_t device_pk[PT_PK_LEN];
};

/* {"command": "<base64url envelope>", "hub_id": "hub-..."?}: a remote lock
 * or unlock to relay (POST /v1/homes/{id}/commands). An envelope over
 * PT_ENVELOPE_SIZE_MAX bytes is 413 too-large. */
struct pt_req_command {
	uint8_t envelope[PT_ENVELOPE_SIZE_MAX];	/* decoded, not yet verified */
	size_t envelope_len;			/* 1..PT_ENVELOPE_SIZE_MAX */
	bool has_hub;
	char hub_id[PT_ID_MAX + 1];		/* pt_id_is_valid when has_hub, else "" */
};

/* {"approval": "<base64url envelope>"}: an owner's answer to a hub's
 * request to let someone in (POST /v1/homes/{id}/approvals, docs/alarm.md
 * "Ask the owner"). An envelope over PT_ENVELOPE_SIZE_MAX bytes is 413
 * too-large. */
struct pt_req_approval {
	uint8_t envelope[PT_ENVELOPE_SIZE_MAX];	/* decoded, not yet verified */
	size_t envelope_len;			/* 1..PT_ENVELOPE_SIZE_MAX */
};

/* {} or {"reason": "..."} (0..200 bytes printable UTF-8); an empty body is {}. */
struct pt_req_reason {
	char reason[PT_REASON_MAX + 1];
};

/* Each: PT_OK, or PT_EMALFORMED with *e filled (status 400 or 413). */
int pt_req_signup_decode(const char *p, size_t len, struct pt_req_signup *r,
			 struct pt_api_err *e) PT_MUST_CHECK;
int pt_req_signin_decode(const char *p, size_t len, struct pt_req_signin *r,
			 struct pt_api_err *e) PT_MUST_CHECK;
int pt_req_home_decode(const char *p, size_t len, bool patch, struct pt_req_home *r,
		       struct pt_api_err *e) PT_MUST_CHECK;
int pt_req_member_decode(const char *p, size_t len, struct pt_req_member *r,
			 struct pt_api_err *e) PT_MUST_CHECK;
int pt_req_owner_key_decode(const char *p, size_t len, struct pt_req_owner_key *r,
			    struct pt_api_err *e) PT_MUST_CHECK;
int pt_req_grant_decode(const char *p, size_t len, struct pt_req_grant *r,
			struct pt_api_err *e) PT_MUST_CHECK;
int pt_req_revocation_decode(const char *p, size_t len, struct pt_req_revocation *r,
			     struct pt_api_err *e) PT_MUST_CHECK;

int pt_req_carrier_decode(const char *p, size_t len, struct pt_req_carrier *r,
			  struct pt_api_err *e) PT_MUST_CHECK;
int pt_req_courier_decode(const char *p, size_t len, struct pt_req_courier *r,
			  struct pt_api_err *e) PT_MUST_CHECK;
int pt_req_device_decode(const char *p, size_t len, struct pt_req_device *r,
			 struct pt_api_err *e) PT_MUST_CHECK;
int pt_req_hub_decode(const char *p, size_t len, struct pt_req_hub *r,
		      struct pt_api_err *e) PT_MUST_CHECK;
int pt_req_delivery_decode(const char *p, size_t len, struct pt_req_delivery *r,
			   struct pt_api_err *e) PT_MUST_CHECK;
int pt_req_dispatch_decode(const char *p, size_t len, struct pt_req_dispatch *r,
			   struct pt_api_err *e) PT_MUST_CHECK;
int pt_req_arrive_decode(const char *p, size_t len, struct pt_req_arrive *r,
			 struct pt_api_err *e) PT_MUST_CHECK;
int pt_req_reason_decode(const char *p, size_t len, struct pt_req_reason *r,
			 struct pt_api_err *e) PT_MUST_CHECK;
/*
 * For callers that use device_key only to look up one of the courier's
 * enrolled devices (porterd's arrive and credential routes): device_key is
 * 32 bytes of base64url (43 characters, else 400 invalid-field
 * device_key) but not checked as a curve point (that check costs as much
 * as a signature verification): enrolment (pt_req_device_decode) refused
 * every invalid or small-order key, so an invalid key is never found and
 * the caller answers 400 invalid-field device_key for it as for any key
 * not enrolled. pt_req_arrive_decode checks the point as well.
 */
int pt_req_arrive_decode_lookup(const char *p, size_t len, struct pt_req_arrive *r,
				struct pt_api_err *e) PT_MUST_CHECK;
int pt_req_credential_decode(const char *p, size_t len, struct pt_req_credential *r,
			     struct pt_api_err *e) PT_MUST_CHECK;
int pt_req_command_decode(const char *p, size_t len, struct pt_req_command *r,
			  struct pt_api_err *e) PT_MUST_CHECK;
int pt_req_approval_decode(const char *p, size_t len, struct pt_req_approval *r,
			   struct pt_api_err *e) PT_MUST_CHECK;

/*
 * Paging query: ?after=<cursor>&limit=<n>. after: NULL or a decimal
 * integer >= 0 (the "next" a previous page gave); limit: NULL (default
 * 50) or 1..200. 400 invalid-field naming "after" or "limit" otherwise.
 */
#define PT_PAGE_DEFAULT 50
#define PT_PAGE_MAX 200
int pt_query_page(const char *after, const char *limit, int64_t *after_out, size_t *limit_out,
		  struct pt_api_err *e) PT_MUST_CHECK;
/*
 * A slice of a hub's chain: ?from=A&to=B (GET .../hubs/{hub_id}/chain).
 * Both required, decimal, 1 <= A and A <= B <= A + PT_CHAIN_SPAN_MAX - 1
 * (and B <= INT64_MAX). 400 invalid-field naming "from" (missing or bad:
 * checked first) or "to" otherwise; both outputs 0.
 */
#define PT_CHAIN_SPAN_MAX 1024
int pt_query_chain(const char *from, const char *to, int64_t *from_out, int64_t *to_out,
		   struct pt_api_err *e) PT_MUST_CHECK;

/* Names on the wire. NULL / PT_EMALFORMED for unknown values. */
const char *pt_level_name(unsigned level);	/* "basic", "id-checked", "background-checked" */
int pt_level_parse(const char *s, uint8_t *level) PT_MUST_CHECK;
/* "scheduled", "out-for-delivery", "at-the-door", "credential-issued",
 * "entered", "completed", "refused", "failed", "cancelled" */
const char *pt_dstate_name(unsigned state);
int pt_dstate_parse(const char *s, uint8_t *state) PT_MUST_CHECK;
const char *pt_approval_name(unsigned approval);	/* "not-needed", "pending", "approved" */

/* The policy as canonical JSON (sorted keys, compact) into out[cap]. */
int pt_policy_to_json(const struct pt_policy *p, char *out, size_t cap) PT_MUST_CHECK;
/* And back, for policies read from the store (trusted, but checked). */
int pt_policy_from_json(const char *s, struct pt_policy *p) PT_MUST_CHECK;
void pt_policy_default(struct pt_policy *p);

/* Fill *e. */
void pt_api_err_set(struct pt_api_err *e, int status, const char *code, const char *field,
		    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

#endif
