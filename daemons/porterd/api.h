/*
 * Internal to porterd's API: the helpers every route file shares
 * (api.c, api_org.c, api_delivery.c). Handlers answer by filling a
 * struct reply; they never write to the connection.
 */
#ifndef PORTERD_API_H
#define PORTERD_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "porter/proto.h"
#include "porter/store.h"
#include "porterd.h"

/* ---- answers ---- */
void fail(struct reply *rp, int status, const char *code, const char *field, const char *message);
void fail_api(struct reply *rp, const struct pt_api_err *e);
/* A libporter reason: its code and HTTP status from the one table. */
void fail_reason(struct reply *rp, int r, const char *field);
void fail_internal(struct reply *rp);
/* PT_EEXISTS -> 409 exists (field, what); PT_ENOTFOUND -> 404; else 500. */
void fail_store(struct reply *rp, int r, const char *field, const char *what);
void not_allowed(struct reply *rp, const char *allow);
void not_found(struct reply *rp);
bool method_is(const struct request *rq, const char *m);
/* 415 unless the body is application/json. */
bool need_json(const struct request *rq, struct reply *rp);
/* 403 unless role is PT_HOME_OWNER. */
bool need_owner(int role, struct reply *rp);

/* ---- encodings ---- */
void hex(const uint8_t *p, size_t n, char *out);	/* out holds 2n + 1 */
json_t *b64_json(const uint8_t *p, size_t n);
const char *role_name(int role);
json_t *account_json(const struct pt_account *a);

/* ---- sessions, homes ---- */
/* Bearer token -> account. false (and a 401 reply) if none is valid. */
bool authenticate(struct server *s, struct request *rq, struct reply *rp, struct pt_account *a,
		  uint8_t token_hash[PT_HASH_LEN]);
bool zone_exists(struct server *s, const char *tz);
/* The home's owner keys as a root set (calloc'd; caller frees). NULL on failure. */
uint8_t (*load_roots(struct server *s, const char *home, size_t *n))[PT_PK_LEN];

/* ---- writes ---- */
/*
 * Inside a transaction: append the audit row and commit; on failure roll
 * back and answer 500 (false). detail is consumed.
 */
bool commit_audited(struct server *s, struct request *rq, struct reply *rp, const char *action,
		    const char *target, json_t *detail);
/* Inside a transaction: only append the audit row (detail consumed).
 * PT_OK or an error (the caller rolls back). */
int audit_append(struct server *s, const struct request *rq, const char *action,
		 const char *target, json_t *detail) PT_MUST_CHECK;
/*
 * Inside a transaction: append an event of the home's timeline (source
 * "server"), data consumed (compact JSON object, at most PT_DETAIL_MAX).
 * With alert_type non-NULL, also raise an alert of that type referring to
 * the event. PT_OK or a store error (the caller rolls back).
 */
int record_event(struct server *s, const char *home_id, const char *type, json_t *data,
		 const char *alert_type) PT_MUST_CHECK;

/* Paging from the query (?after=&limit=): false and a 400 reply if bad. */
bool page_query(const struct request *rq, struct reply *rp, int64_t *after, size_t *limit);
/* {"<key>": items, "next": "<cursor>" or null}: next is last when the
 * page is full (there may be more), else null. items consumed. */
json_t *page_json(const char *key, json_t *items, size_t n, size_t limit, int64_t last);

/* ---- route files ---- */
/* api_org.c: /v1/carriers..., /v1/me/devices... (rest after "/v1/") */
void api_carriers(struct server *s, struct request *rq, struct reply *rp,
		  const struct pt_account *a, const char *rest);
void api_devices(struct server *s, struct request *rq, struct reply *rp,
		 const struct pt_account *a, const char *rest);
/* api_org.c: /v1/homes/{id}/hubs..., /events, /alerts... (sub after "{id}/");
 * false if sub is not one of them (the caller answers 404). */
bool api_home_org(struct server *s, struct request *rq, struct reply *rp,
		  const struct pt_account *a, const struct pt_home *h, int role, const char *sub);
/* api_org.c: the hosted carrier's signing key, unsealed into *out
 * (pt_secret_free it). PT_OK, PT_EINVAL (not hosted), PT_EBADSIG (does
 * not open under the sealing key), PT_ENOMEM. */
int carrier_secret_open(struct server *s, const struct pt_carrier *c,
			struct pt_secret **out) PT_MUST_CHECK;
/* api_org.c: owner statements (docs/web.md, "Endorsing an owner key").
 * owner_statement_check: r->statement verified as a PT_ENV_OWNER of the
 * home by one of its keys ks[n] that may endorse (endorsed ones and the
 * first), fresh within 600 s, naming r->pk; kid_hex gets the signer's key
 * id. false with the reply filled (the caller rolls back).
 * owner_key_endorsed_by: the "endorsed_by" of a key's JSON: the signer's
 * key id (hex) or null. */
bool owner_statement_check(const struct pt_home *h, const struct pt_owner_key *ks, size_t n,
			   const struct pt_req_owner_key *r, struct reply *rp,
			   char kid_hex[2 * PT_KID_LEN + 1]);
json_t *owner_key_endorsed_by(const struct pt_owner_key *k);
/* api_delivery.c: /v1/deliveries... (rest after "/v1/deliveries") */
/* Cameras and clips (api_clip.c). api_home_clip: the home's "cameras..."
 * and "clips..." routes, false if sub is neither. api_clips: "/v1/clips/..."
 * (rest after "clips/"), the cameras' uploads, authenticated by the camera
 * key's signatures rather than a session. */
bool api_home_clip(struct server *s, struct request *rq, struct reply *rp,
		   const struct pt_account *a, const struct pt_home *h, int role, const char *sub);
void api_clips(struct server *s, struct request *rq, struct reply *rp, const char *rest);
void api_deliveries(struct server *s, struct request *rq, struct reply *rp,
		    const struct pt_account *a, const char *rest);

#endif
