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
	int role;			/* PT_ROLE_OWNER or PT_ROLE_CARRIER_ADMIN */
};

struct pt_req_signin {
	char email[PT_EMAIL_MAX + 1];
	char password[PT_PASSWORD_MAX + 1];
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

/* Home create (all required but notes/policy) or patch (all optional). */
struct pt_req_home {
	bool has_name, has_tz, has_notes, has_policy;
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

/* The policy as canonical JSON (sorted keys, compact) into out[cap]. */
int pt_policy_to_json(const struct pt_policy *p, char *out, size_t cap) PT_MUST_CHECK;
/* And back, for policies read from the store (trusted, but checked). */
int pt_policy_from_json(const char *s, struct pt_policy *p) PT_MUST_CHECK;
void pt_policy_default(struct pt_policy *p);

/* Fill *e. */
void pt_api_err_set(struct pt_api_err *e, int status, const char *code, const char *field,
		    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

#endif
