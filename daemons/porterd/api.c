/*
 * porterd's API: routes, authentication, authorization, and the handlers.
 * Bodies are decoded by lib/proto (one place); credentials and envelopes
 * are checked by libporter; every change is one store transaction with its
 * audit row.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "porter/cbor.h"
#include "porter/decide.h"
#include "porter/proto.h"
#include "porter/text.h"
#include "porter/tz.h"
#include "api.h"
#include "duress.h"
#include "web.h"
#include "porterd.h"

#define LIST_HOMES_MAX 256
#define LIST_KEYS_MAX 64
#define LIST_REVOCATIONS_MAX 1024
#define REVOCATION_SKEW 300
#define COMMAND_SKEW 300	/* porterd's check; the hub checks again, tighter */
#define RELAY_HUBS_MAX 32

void
fail(struct reply *rp, int status, const char *code, const char *field, const char *message)
{
	json_t *e = json_pack("{s:s,s:s}", "code", code, "message", message);

	if (field != NULL && field[0] != '\0')
		json_object_set_new(e, "field", json_string(field));
	rp->status = status;
	rp->body = json_pack("{s:o}", "error", e);
}

void
fail_api(struct reply *rp, const struct pt_api_err *e)
{
	fail(rp, e->status, e->code, e->field, e->message);
}

/* A libporter reason: its code and HTTP status from the one table. */
void
fail_reason(struct reply *rp, int r, const char *field)
{
	const struct pt_err_info *i = pt_err_info(r);

	fail(rp, i->http_status, i->code, field, i->text);
}

void
fail_internal(struct reply *rp)
{
	fail(rp, 500, "internal", NULL, "the server could not complete the request");
}

void
fail_store(struct reply *rp, int r, const char *field, const char *what)
{
	if (r == PT_EEXISTS)
		fail(rp, 409, "exists", field, what);
	else if (r == PT_ENOTFOUND)
		fail(rp, 404, "not-found", NULL, "not found");
	else
		fail_internal(rp);
}

static bool
is_json(const struct request *rq)
{
	const char *ct = rq->content_type;

	return ct != NULL && strncasecmp(ct, "application/json", 16) == 0 &&
	       (ct[16] == '\0' || ct[16] == ';' || ct[16] == ' ');
}

bool
need_json(const struct request *rq, struct reply *rp)
{
	if (is_json(rq))
		return true;
	fail(rp, 415, "unsupported-media-type", NULL, "send the body as application/json");
	return false;
}

void
hex(const uint8_t *p, size_t n, char *out)
{
	pt_hex(p, n, out);
}

json_t *
b64_json(const uint8_t *p, size_t n)
{
	char *s = malloc(pt_b64_len(n) + 1);
	json_t *j;

	if (s == NULL || pt_b64_encode(s, pt_b64_len(n) + 1, p, n) != PT_OK) {
		free(s);
		return json_null();
	}
	j = json_string(s);
	free(s);
	return j;
}

const char *
role_name(int role)
{
	switch (role) {
	case PT_ROLE_OWNER: return "owner";
	case PT_ROLE_CARRIER_ADMIN: return "carrier-admin";
	case PT_ROLE_COURIER: return "courier";
	case PT_ROLE_MEMBER: return "member";
	default: return "unknown";
	}
}

json_t *
account_json(const struct pt_account *a)
{
	return json_pack("{s:I,s:s,s:s,s:s,s:I}", "id", (json_int_t)a->id, "email", a->email, "name",
			 a->name, "role", role_name(a->role), "created_at", (json_int_t)a->created_at);
}

/* parsed: the policy parsed already (borrowed; the cache's), or NULL. */
static json_t *
home_json_parsed(const struct pt_home *h, int role, json_t *parsed)
{
	json_t *policy = parsed != NULL ? json_incref(parsed) : json_loads(h->policy, 0, NULL);
	json_t *loc = h->has_location ? json_pack("{s:f,s:f}", "lat", h->lat, "lon", h->lon)
				      : json_null();

	return json_pack("{s:s,s:s,s:s,s:s,s:o,s:o,s:s,s:I,s:I}", "id", h->id, "name", h->name,
			 "tz", h->tz, "notes", h->notes, "policy",
			 policy != NULL ? policy : json_object(), "location", loc, "role",
			 role == PT_HOME_OWNER ? "owner" : "member", "created_at",
			 (json_int_t)h->created_at, "updated_at", (json_int_t)h->updated_at);
}

static json_t *
home_json(const struct pt_home *h, int role)
{
	return home_json_parsed(h, role, NULL);
}


static json_t *
owner_key_json(const struct pt_owner_key *k)
{
	char kid_hex[2 * PT_KID_LEN + 1];
	uint8_t kid[PT_KID_LEN];

	pt_kid(pt_crypto_sodium(), k->pk, kid);
	hex(kid, sizeof(kid), kid_hex);
	/* The statement as stored: viewers walk the endorsements themselves
	 * (docs/cam.md, "Who a viewer believes"); null for a key without one. */
	return json_pack("{s:I,s:o,s:s,s:s,s:I,s:o,s:o}", "id", (json_int_t)k->id, "public_key",
			 b64_json(k->pk, PT_PK_LEN), "key_id", kid_hex, "label", k->label,
			 "created_at", (json_int_t)k->created_at, "endorsed_by",
			 owner_key_endorsed_by(k), "statement",
			 k->statement_len > 0 ? b64_json(k->statement, k->statement_len)
					      : json_null());
}

static json_t *
grant_json(const struct pt_grant_row *g, bool with_chain)
{
	char cti[2 * PT_CTI_LEN + 1];
	json_t *j;

	hex(g->cti, PT_CTI_LEN, cti);
	j = json_pack("{s:I,s:s,s:o,s:i,s:s,s:o,s:s,s:I}", "id", (json_int_t)g->id, "token_id", cti,
		      "holder", b64_json(g->holder, PT_PK_LEN), "links", (int)g->n_links, "purpose",
		      pt_purpose_name(g->purpose) ? pt_purpose_name(g->purpose) : "unknown",
		      "expires_at", g->exp ? json_integer(g->exp) : json_null(), "label", g->label,
		      "created_at", (json_int_t)g->created_at);
	if (with_chain)
		json_object_set_new(j, "chain", b64_json(g->chain, g->chain_len));
	return j;
}

static json_t *
revocation_json(const struct pt_revocation_row *r, bool with_envelope)
{
	char t[2 * PT_PK_LEN + 1];
	json_t *j, *target;

	if (r->kind == PT_REVOKE_TOKEN) {
		hex(r->target, r->target_len, t);
		target = json_string(t);
	} else {
		target = b64_json(r->target, r->target_len);
	}
	j = json_pack("{s:I,s:s,s:o,s:I}", "version", (json_int_t)r->version, "kind",
		      r->kind == PT_REVOKE_TOKEN ? "token" : "key", "target", target, "created_at",
		      (json_int_t)r->created_at);
	if (with_envelope)
		json_object_set_new(j, "revocation", b64_json(r->envelope, r->envelope_len));
	return j;
}

int
audit_append(struct server *s, const struct request *rq, const char *action, const char *target,
	     json_t *detail)
{
	char d[PT_DETAIL_MAX + 1];
	size_t n = json_dumpb(detail, d, sizeof(d) - 1, JSON_COMPACT | JSON_SORT_KEYS);

	json_decref(detail);
	if (n == 0 || n >= sizeof(d))
		return PT_ENOSPC;
	d[n] = '\0';
	return pt_store_audit_append(s->st, now_utc(), rq->actor, action, target, d);
}

/* Append the audit row and commit; on failure roll back and answer 500. */
bool
commit_audited(struct server *s, struct request *rq, struct reply *rp, const char *action,
	       const char *target, json_t *detail)
{
	if (audit_append(s, rq, action, target, detail) != PT_OK) {
		pt_store_rollback(s->st);
		fail_internal(rp);
		return false;
	}
	if (pt_store_commit(s->st) != PT_OK) {	/* the transaction is over either way */
		fail_internal(rp);
		return false;
	}
	stream_notify(s);	/* an event may have been stored: live streams look now */
	return true;
}

int
record_event(struct server *s, const char *home_id, const char *type, json_t *data,
	     const char *alert_type)
{
	struct pt_event_row ev;
	struct pt_alert_row al;
	size_t n;
	int r;

	memset(&ev, 0, sizeof(ev));
	n = json_dumpb(data, ev.data, sizeof(ev.data) - 1, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(data);
	if (n == 0 || n >= sizeof(ev.data) || strlen(home_id) > PT_ID_MAX ||
	    strlen(type) > PT_EVENT_TYPE_MAX)
		return PT_EINVAL;
	ev.data[n] = '\0';
	memcpy(ev.home_id, home_id, strlen(home_id) + 1);
	memcpy(ev.type, type, strlen(type) + 1);
	memcpy(ev.source, "server", sizeof("server"));
	ev.at = now_utc();
	if ((r = pt_store_event_append(s->st, &ev)) != PT_OK || alert_type == NULL)
		return r;
	memset(&al, 0, sizeof(al));
	if (strlen(alert_type) > PT_EVENT_TYPE_MAX)
		return PT_EINVAL;
	memcpy(al.home_id, ev.home_id, sizeof(al.home_id));
	memcpy(al.type, alert_type, strlen(alert_type) + 1);
	memcpy(al.data, ev.data, sizeof(al.data));
	al.at = ev.at;
	al.event_id = ev.id;
	return pt_store_alert_insert(s->st, &al);
}

bool
page_query(const struct request *rq, struct reply *rp, int64_t *after, size_t *limit)
{
	struct pt_api_err e;

	if (pt_query_page(rq->query_after, rq->query_limit, after, limit, &e) != PT_OK) {
		fail_api(rp, &e);
		return false;
	}
	return true;
}

json_t *
page_json(const char *key, json_t *items, size_t n, size_t limit, int64_t last)
{
	char next[24];

	if (n < limit || n == 0)
		return json_pack("{s:o,s:n}", key, items, "next");
	(void)snprintf(next, sizeof(next), "%lld", (long long)last);
	return json_pack("{s:o,s:s}", key, items, "next", next);
}

/* The CSRF token of a session (docs/web.md): base64url of
 * SHA-256("porter/csrf/v1" || 0x00 || the 32 token bytes), raw in out. */
static void
csrf_raw(const uint8_t tok[32], uint8_t out[PT_HASH_LEN])
{
	static const char label[] = "porter/csrf/v1";	/* and its NUL: the 0x00 */
	uint8_t m[sizeof(label) + 32];

	memcpy(m, label, sizeof(label));
	memcpy(m + sizeof(label), tok, 32);
	pt_crypto_sodium()->sha256(out, m, sizeof(m));
	pt_wipe(m, sizeof(m));
}

static bool
csrf_text(const uint8_t tok[32], char out[64])
{
	uint8_t raw[PT_HASH_LEN];
	bool ok;

	csrf_raw(tok, raw);
	ok = pt_b64_encode(out, 64, raw, sizeof(raw)) == PT_OK;
	pt_wipe(raw, sizeof(raw));
	return ok;
}

/* Origin, when sent, is porterd's own: http:// or https:// and the Host
 * the request names (docs/web.md: either scheme, for a proxy that ends
 * TLS in front of porterd). */
static bool
origin_is_own(const struct request *rq)
{
	const char *o = rq->origin, *rest;

	if (o == NULL)
		return true;
	if (rq->host == NULL || rq->host[0] == '\0')
		return false;
	if (strncmp(o, "http://", 7) == 0)
		rest = o + 7;
	else if (strncmp(o, "https://", 8) == 0)
		rest = o + 8;
	else
		return false;
	return strcmp(rest, rq->host) == 0;
}

/*
 * A cookie-authenticated request that may change something: the
 * X-Porter-CSRF header must be the session's CSRF token (compared in
 * constant time) and Origin, if sent, porterd's own.
 */
static bool
csrf_ok(const struct request *rq, const uint8_t tok[32])
{
	uint8_t want[PT_HASH_LEN], got[PT_HASH_LEN];
	const char *h = rq->csrf;
	bool ok;

	if (method_is(rq, "GET") || method_is(rq, "HEAD"))
		return true;
	if (h == NULL || strnlen(h, 64) != pt_b64_len(sizeof(got)) ||
	    pt_b64_decode(got, sizeof(got), h, pt_b64_len(sizeof(got))) != PT_OK)
		return false;
	csrf_raw(tok, want);
	ok = pt_ct_equal(want, got, sizeof(want));
	pt_wipe(want, sizeof(want));
	return ok && origin_is_own(rq);
}

/*
 * Bearer token, or without an Authorization header the porter_session
 * cookie (docs/web.md) -> account. false (and a 401 reply, or 403 csrf for
 * a cookie request that fails the CSRF checks) if none is valid. tok_out
 * (if not NULL) gets the token's 32 bytes (the caller wipes them).
 */
static bool
authenticate_tok(struct server *s, struct request *rq, struct reply *rp, struct pt_account *a,
		 uint8_t token_hash[PT_HASH_LEN], uint8_t *tok_out)
{
	uint8_t tok[32];
	const char *h = rq->authorization, *text;
	size_t tlen;
	int64_t id, expires, now;
	uint64_t gen;

	rq->by_cookie = false;
	if (h != NULL) {
		if (strncmp(h, "Bearer ", 7) != 0)
			goto no;
		text = h + 7;
	} else if (rq->cookie[0] != '\0') {
		text = rq->cookie;
		rq->by_cookie = true;
	} else {
		goto no;
	}
	tlen = strlen(text);
	if (tlen != pt_b64_len(sizeof(tok)) || pt_b64_decode(tok, sizeof(tok), text, tlen) != PT_OK)
		goto no;
	/* Before the session is looked up or the body used: nothing changes. */
	if (rq->by_cookie && !csrf_ok(rq, tok)) {
		pt_wipe(tok, sizeof(tok));
		fail(rp, 403, "csrf", NULL, "cross-site request refused");
		return false;
	}
	pt_crypto_sodium()->sha256(token_hash, tok, sizeof(tok));
	if (tok_out != NULL)
		memcpy(tok_out, tok, sizeof(tok));
	pt_wipe(tok, sizeof(tok));
	now = now_utc();
	if (s->shared_store || !cache_session_get(s->cache, token_hash, now, a)) {
		gen = cache_gen(s->cache);	/* before reading: see cache.c */
		if (pt_store_session_get(s->st, token_hash, now, &id, &expires) != PT_OK ||
		    pt_store_account_by_id(s->st, id, a) != PT_OK)
			goto no;
		cache_session_put(s->cache, gen, token_hash, expires, a);
	}
	rq->actor = a->id;
	return true;
no:
	if (tok_out != NULL)
		pt_wipe(tok_out, 32);
	fail(rp, 401, "unauthenticated", NULL, "sign in first (Authorization: Bearer <token>)");
	return false;
}

bool
authenticate(struct server *s, struct request *rq, struct reply *rp, struct pt_account *a,
	     uint8_t token_hash[PT_HASH_LEN])
{
	return authenticate_tok(s, rq, rp, a, token_hash, NULL);
}

/* Set-Cookie for the session cookie: the token, or "" to clear it. */
static void
session_cookie(const struct request *rq, struct reply *rp, const char *token, int64_t max_age)
{
	/* With Secure, the __Host- name: Path=/, no Domain (web.h). */
	int n = snprintf(rp->set_cookie, sizeof(rp->set_cookie),
			 "%s=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%lld%s",
			 rq->cookie_secure ? WEB_COOKIE_NAME_SECURE : WEB_COOKIE_NAME, token,
			 (long long)max_age, rq->cookie_secure ? "; Secure" : "");

	if (n < 0 || (size_t)n >= sizeof(rp->set_cookie))
		rp->set_cookie[0] = '\0';	/* cannot happen: 43 + the attributes */
}

bool
zone_exists(struct server *s, const char *tz)
{
	char path[PATH_MAX + PT_TZNAME_MAX + 2];
	struct pt_errbuf err;
	struct pt_tz *z;
	uint8_t *buf = NULL;
	size_t len;
	bool ok;
	int n;

	pthread_rwlock_rdlock(&s->cfg_lock);
	n = snprintf(path, sizeof(path), "%s/%s", s->cfg.zoneinfo, tz);
	pthread_rwlock_unlock(&s->cfg_lock);
	if (n < 0 || (size_t)n >= sizeof(path))
		return false;
	if (pt_file_read(path, PT_TZ_FILE_MAX, &buf, &len, &err) != PT_OK)
		return false;
	z = malloc(sizeof(*z));
	ok = z != NULL && pt_tz_parse_tzif(z, buf, len) == PT_OK;
	free(z);
	free(buf);
	return ok;
}

/* ---- accounts and sessions ---- */

static void
account_create(struct server *s, struct request *rq, struct reply *rp)
{
	struct pt_req_signup r;
	struct pt_api_err e;
	struct pt_account a;
	char target[64];
	bool open;
	int x;

	pthread_rwlock_rdlock(&s->cfg_lock);
	open = s->cfg.signup_open;
	pthread_rwlock_unlock(&s->cfg_lock);
	if (!open) {
		fail(rp, 403, "signup-closed", NULL, "this server does not take new accounts");
		return;
	}
	if (!need_json(rq, rp))
		return;
	if (pt_req_signup_decode(rq->body, rq->len, &r, &e) != PT_OK) {
		fail_api(rp, &e);
		return;
	}
	memset(&a, 0, sizeof(a));
	memcpy(a.email, r.email, sizeof(a.email));
	memcpy(a.name, r.name, sizeof(a.name));
	a.role = r.role;
	a.created_at = now_utc();
	x = pt_pwhash_str(a.pwhash, r.password, strlen(r.password));
	pt_wipe(&r, sizeof(r));
	if (x != PT_OK) {
		fail_internal(rp);
		return;
	}
	if (pt_store_begin(s->st) != PT_OK) {
		fail_internal(rp);
		return;
	}
	if ((x = pt_store_account_insert(s->st, &a)) != PT_OK) {
		pt_store_rollback(s->st);
		fail_store(rp, x, "email", "an account with this e-mail address exists");
		return;
	}
	rq->actor = a.id;
	(void)snprintf(target, sizeof(target), "account:%lld", (long long)a.id);
	if (!commit_audited(s, rq, rp, "account.create", target,
			    json_pack("{s:s,s:s}", "email", a.email, "role", role_name(a.role))))
		return;
	rp->status = 201;
	rp->body = account_json(&a);
}

static void
session_create(struct server *s, struct request *rq, struct reply *rp)
{
	struct pt_req_signin r;
	struct pt_api_err e;
	struct pt_account a;
	uint8_t tok[32], th[PT_HASH_LEN];
	char text[64], target[64], csrf[64] = "";
	int64_t wait, now = now_utc(), now_ms, ttl;
	bool found, ok, cookie;

	if (!need_json(rq, rp))
		return;
	if (pt_req_signin_decode(rq->body, rq->len, &r, &e) != PT_OK) {
		fail_api(rp, &e);
		return;
	}
	now_ms = (int64_t)(now_mono_ns() / 1000000u);
	if ((wait = ratelimit_attempt(s->rl, r.email, rq->rl_addr, now_ms)) > 0) {
		pt_wipe(&r, sizeof(r));
		(void)snprintf(rp->retry_after, sizeof(rp->retry_after), "%lld",
			       (long long)((wait + 999) / 1000));	/* whole seconds, up */
		fail(rp, 429, "rate-limited", NULL, "too many failed sign-ins: wait before trying again");
		return;
	}
	found = pt_store_account_by_email(s->st, r.email, &a) == PT_OK;
	/* The same work whether or not the account exists. */
	ok = pt_pwhash_verify(found ? a.pwhash : s->dummy_hash, r.password, strlen(r.password)) ==
		     PT_OK &&
	     found;
	if (!ok) {
		ratelimit_failed(s->rl, r.email, rq->rl_addr,
				 (int64_t)(now_mono_ns() / 1000000u));
		plog(LOG_WARN_, "event=signin_failed id=%s addr=%s", rq->id, rq->addr);
		pt_wipe(&r, sizeof(r));
		fail(rp, 401, "bad-credentials", NULL, "wrong e-mail address or password");
		return;
	}
	ratelimit_success(s->rl, r.email, rq->rl_addr);
	cookie = r.cookie;
	pt_wipe(&r, sizeof(r));
	pt_random(tok, sizeof(tok));
	pt_crypto_sodium()->sha256(th, tok, sizeof(tok));
	if (pt_b64_encode(text, sizeof(text), tok, sizeof(tok)) != PT_OK ||
	    (cookie && !csrf_text(tok, csrf))) {
		pt_wipe(tok, sizeof(tok));
		fail_internal(rp);
		return;
	}
	pt_wipe(tok, sizeof(tok));
	pthread_rwlock_rdlock(&s->cfg_lock);
	ttl = s->cfg.session_ttl;
	pthread_rwlock_unlock(&s->cfg_lock);
	rq->actor = a.id;
	if (pt_store_begin(s->st) != PT_OK) {
		fail_internal(rp);
		goto out;
	}
	if (pt_store_session_insert(s->st, th, a.id, now + ttl) != PT_OK) {
		pt_store_rollback(s->st);
		fail_internal(rp);
		goto out;
	}
	(void)snprintf(target, sizeof(target), "account:%lld", (long long)a.id);
	if (!commit_audited(s, rq, rp, "session.create", target,
			    json_pack("{s:s,s:b}", "addr", rq->addr, "cookie", cookie)))
		goto out;
	rp->status = 201;
	if (cookie) {
		/* A web session: the token only in the HttpOnly cookie. */
		session_cookie(rq, rp, text, ttl);
		rp->body = json_pack("{s:s,s:I,s:o}", "csrf", csrf, "expires_at",
				     (json_int_t)(now + ttl), "account", account_json(&a));
	} else {
		rp->body = json_pack("{s:s,s:I,s:o}", "token", text, "expires_at",
				     (json_int_t)(now + ttl), "account", account_json(&a));
	}
out:
	pt_wipe(text, sizeof(text));
	pt_wipe(csrf, sizeof(csrf));
}

/* GET /v1/sessions/current: the session's account, expiry and CSRF token
 * (how a reloaded page gets its CSRF token back: docs/web.md). */
static void
session_current(struct server *s, struct request *rq, struct reply *rp)
{
	struct pt_account a;
	uint8_t th[PT_HASH_LEN], tok[32];
	char csrf[64];
	int64_t id = 0, expires = 0;

	/* A GET without a body, but its reply carries the CSRF token: the
	 * JSON that holds it is wiped when freed, like a session's. */
	json_wipe_set(true);
	if (!authenticate_tok(s, rq, rp, &a, th, tok))
		return;
	if (!csrf_text(tok, csrf) ||
	    pt_store_session_get(s->st, th, now_utc(), &id, &expires) != PT_OK || id != a.id) {
		pt_wipe(tok, sizeof(tok));
		fail(rp, 401, "unauthenticated", NULL, "sign in first (Authorization: Bearer <token>)");
		return;
	}
	pt_wipe(tok, sizeof(tok));
	rp->status = 200;
	rp->body = json_pack("{s:o,s:I,s:s}", "account", account_json(&a), "expires_at",
			     (json_int_t)expires, "csrf", csrf);
	pt_wipe(csrf, sizeof(csrf));
}

static void
session_delete(struct server *s, struct request *rq, struct reply *rp, bool all)
{
	struct pt_account a;
	uint8_t th[PT_HASH_LEN];
	char target[64];
	int r;

	if (!authenticate(s, rq, rp, &a, th))
		return;
	if (pt_store_begin(s->st) != PT_OK) {
		fail_internal(rp);
		return;
	}
	r = all ? pt_store_session_delete_all(s->st, a.id) : pt_store_session_delete(s->st, th);
	if (r != PT_OK && r != PT_ENOTFOUND) {
		pt_store_rollback(s->st);
		fail_internal(rp);
		return;
	}
	(void)snprintf(target, sizeof(target), "account:%lld", (long long)a.id);
	if (!commit_audited(s, rq, rp, all ? "session.delete_all" : "session.delete", target,
			    json_object()))
		return;
	cache_bump(s->cache);
	rp->status = 204;
	if (rq->by_cookie)
		session_cookie(rq, rp, "", 0);	/* the browser forgets it too */
}

/* ---- homes ---- */

static bool
tz_ok(struct server *s, const struct pt_req_home *h, struct reply *rp)
{
	if (h->has_tz && !zone_exists(s, h->tz)) {
		fail(rp, 400, "invalid-field", "tz", "'tz' is not a known IANA time zone");
		return false;
	}
	return true;
}

static void
home_create(struct server *s, struct request *rq, struct reply *rp, const struct pt_account *a)
{
	struct pt_req_home r;
	struct pt_api_err e;
	struct pt_home h;
	uint8_t rnd[8];
	char target[PT_ID_MAX + 8];
	int x;

	if (a->role != PT_ROLE_OWNER) {
		fail(rp, 403, "forbidden", NULL, "only owner accounts create homes");
		return;
	}
	if (!need_json(rq, rp))
		return;
	if (pt_req_home_decode(rq->body, rq->len, false, &r, &e) != PT_OK) {
		fail_api(rp, &e);
		return;
	}
	if (!tz_ok(s, &r, rp))
		return;
	memset(&h, 0, sizeof(h));
	pt_random(rnd, sizeof(rnd));
	memcpy(h.id, "h-", 2);
	hex(rnd, sizeof(rnd), h.id + 2);
	memcpy(h.name, r.name, sizeof(h.name));
	memcpy(h.tz, r.tz, sizeof(h.tz));
	memcpy(h.notes, r.notes, sizeof(h.notes));
	if (r.has_location && r.location_set) {
		h.has_location = true;
		h.lat = r.lat;
		h.lon = r.lon;
	}
	if (pt_policy_to_json(&r.policy, h.policy, sizeof(h.policy)) != PT_OK) {
		fail_internal(rp);
		return;
	}
	h.created_at = h.updated_at = now_utc();
	if (pt_store_begin(s->st) != PT_OK) {
		fail_internal(rp);
		return;
	}
	if ((x = pt_store_home_insert(s->st, &h, a->id)) != PT_OK) {
		pt_store_rollback(s->st);
		fail_store(rp, x, NULL, "a home with this id exists");
		return;
	}
	(void)snprintf(target, sizeof(target), "home:%s", h.id);
	if (!commit_audited(s, rq, rp, "home.create", target, json_pack("{s:s}", "name", h.name)))
		return;
	rp->status = 201;
	rp->body = home_json(&h, PT_HOME_OWNER);
}

static void
home_list(struct server *s, struct reply *rp, const struct pt_account *a)
{
	struct pt_home *hs = calloc(LIST_HOMES_MAX, sizeof(*hs));
	json_t *arr;
	size_t n = 0, i;
	int role;

	if (hs == NULL || pt_store_home_list(s->st, a->id, hs, LIST_HOMES_MAX, &n) != PT_OK) {
		free(hs);
		fail_internal(rp);
		return;
	}
	arr = json_array();
	for (i = 0; i < n; i++) {
		struct pt_home tmp;
		role = PT_HOME_MEMBER;
		if (pt_store_home_get(s->st, hs[i].id, a->id, &tmp, &role) != PT_OK)
			continue;
		json_array_append_new(arr, home_json(&hs[i], role));
	}
	free(hs);
	rp->status = 200;
	rp->body = json_pack("{s:o}", "homes", arr);
}

bool
need_owner(int role, struct reply *rp)
{
	if (role == PT_HOME_OWNER)
		return true;
	fail(rp, 403, "forbidden", NULL, "only the home's owners may do this");
	return false;
}

static void
home_patch(struct server *s, struct request *rq, struct reply *rp, struct pt_home *h, int role)
{
	char id[PT_ID_MAX + 1];
	struct pt_req_home r;
	struct pt_api_err e;
	char target[PT_ID_MAX + 8];

	if (!need_owner(role, rp) || !need_json(rq, rp))
		return;
	if (pt_req_home_decode(rq->body, rq->len, true, &r, &e) != PT_OK) {
		fail_api(rp, &e);
		return;
	}
	if (!tz_ok(s, &r, rp))
		return;
	if (pt_store_begin(s->st) != PT_OK) {
		fail_internal(rp);
		return;
	}
	/* Apply the change to the row as it is now, inside the transaction:
	 * two PATCHes of different fields must not undo each other. */
	memcpy(id, h->id, sizeof(id));	/* h is the output: the store zeroes it first */
	if (pt_store_home_get(s->st, id, rq->actor, h, &role) != PT_OK || role != PT_HOME_OWNER) {
		pt_store_rollback(s->st);
		fail(rp, 404, "not-found", NULL, "not found");
		return;
	}
	if (r.has_name)
		memcpy(h->name, r.name, sizeof(h->name));
	if (r.has_tz)
		memcpy(h->tz, r.tz, sizeof(h->tz));
	if (r.has_notes)
		memcpy(h->notes, r.notes, sizeof(h->notes));
	if (r.has_location) {
		h->has_location = r.location_set;
		h->lat = r.location_set ? r.lat : 0;
		h->lon = r.location_set ? r.lon : 0;
	}
	if (r.has_policy && pt_policy_to_json(&r.policy, h->policy, sizeof(h->policy)) != PT_OK) {
		pt_store_rollback(s->st);
		fail_internal(rp);
		return;
	}
	h->updated_at = now_utc();
	if (pt_store_home_update(s->st, h) != PT_OK) {
		pt_store_rollback(s->st);
		fail_internal(rp);
		return;
	}
	(void)snprintf(target, sizeof(target), "home:%s", h->id);
	if (!commit_audited(s, rq, rp, "home.update", target,
			    json_pack("{s:b,s:b,s:b,s:b,s:b}", "name", r.has_name, "tz", r.has_tz,
				      "notes", r.has_notes, "policy", r.has_policy, "location",
				      r.has_location)))
		return;
	cache_bump(s->cache);
	rp->status = 200;
	rp->body = home_json(h, role);
}

static void
home_delete(struct server *s, struct request *rq, struct reply *rp, const struct pt_home *h,
	    int role)
{
	char target[PT_ID_MAX + 8];

	if (!need_owner(role, rp))
		return;
	if (pt_store_begin(s->st) != PT_OK) {
		fail_internal(rp);
		return;
	}
	if (pt_store_home_delete(s->st, h->id) != PT_OK) {
		pt_store_rollback(s->st);
		fail_internal(rp);
		return;
	}
	(void)snprintf(target, sizeof(target), "home:%s", h->id);
	if (!commit_audited(s, rq, rp, "home.delete", target, json_pack("{s:s}", "name", h->name)))
		return;
	cache_bump(s->cache);
	rp->status = 204;
}

/* A home's members: at most MEMBERS_MAX (POST is 409 limit-reached past it),
 * so GET lists them all. */
#define MEMBERS_MAX 64

static void
member_add(struct server *s, struct request *rq, struct reply *rp, const struct pt_home *h, int role)
{
	struct pt_req_member r;
	struct pt_api_err e;
	struct pt_account m;
	char target[PT_ID_MAX + 8];
	int x;

	if (!need_owner(role, rp) || !need_json(rq, rp))
		return;
	if (pt_req_member_decode(rq->body, rq->len, &r, &e) != PT_OK) {
		fail_api(rp, &e);
		return;
	}
	if (pt_store_account_by_email(s->st, r.email, &m) != PT_OK) {
		fail(rp, 404, "not-found", "email", "no account has this e-mail address");
		return;
	}
	/* A carrier's or courier's account never owns a home. */
	if (r.role == PT_HOME_OWNER && m.role != PT_ROLE_OWNER) {
		fail(rp, 403, "forbidden", "role", "only owner accounts can be made owners of a home");
		return;
	}
	if (pt_store_begin(s->st) != PT_OK) {
		fail_internal(rp);
		return;
	}
	/* Counted inside the transaction (as owner keys are). */
	{
		struct pt_member *ms = calloc(MEMBERS_MAX, sizeof(*ms));
		size_t n = 0;

		x = ms != NULL ? pt_store_member_list(s->st, h->id, ms, MEMBERS_MAX, &n) : PT_ENOMEM;
		free(ms);
		if (x != PT_OK || n >= MEMBERS_MAX) {
			pt_store_rollback(s->st);
			if (x != PT_OK)
				fail_internal(rp);
			else
				fail(rp, 409, "limit-reached", "email", "a home has at most 64 members");
			return;
		}
	}
	if ((x = pt_store_member_add(s->st, h->id, m.id, r.role)) != PT_OK) {
		pt_store_rollback(s->st);
		fail_store(rp, x, "email", "this account is already a member of the home");
		return;
	}
	(void)snprintf(target, sizeof(target), "home:%s", h->id);
	if (!commit_audited(s, rq, rp, "member.add", target,
			    json_pack("{s:I,s:s}", "account", (json_int_t)m.id, "role",
				      r.role == PT_HOME_OWNER ? "owner" : "member")))
		return;
	cache_bump(s->cache);
	rp->status = 201;
	rp->body = json_pack("{s:I,s:s}", "account_id", (json_int_t)m.id, "role",
			     r.role == PT_HOME_OWNER ? "owner" : "member");
}

/*
 * GET /v1/homes/{id}/members (any member): each with the key ids of the
 * owner keys that account enrolled, so an owner removing another can see
 * which keys to revoke at the hubs (porterd cannot: docs/api.md).
 */
static void
member_list(struct server *s, struct reply *rp, const struct pt_home *h)
{
	struct pt_member *ms = calloc(MEMBERS_MAX, sizeof(*ms));
	struct pt_owner_key *ks = calloc(LIST_KEYS_MAX, sizeof(*ks));
	char kid_hex[2 * PT_KID_LEN + 1];
	uint8_t kid[PT_KID_LEN];
	size_t n = 0, nk = 0, i, k;
	json_t *arr;

	if (ms == NULL || ks == NULL ||
	    pt_store_member_list(s->st, h->id, ms, MEMBERS_MAX, &n) != PT_OK ||
	    pt_store_owner_key_list(s->st, h->id, ks, LIST_KEYS_MAX, &nk) != PT_OK) {
		free(ms);
		free(ks);
		fail_internal(rp);
		return;
	}
	arr = json_array();
	for (i = 0; i < n; i++) {
		json_t *kids = json_array();

		for (k = 0; k < nk; k++) {
			if (ks[k].added_by != ms[i].account)
				continue;
			pt_kid(pt_crypto_sodium(), ks[k].pk, kid);
			hex(kid, sizeof(kid), kid_hex);
			json_array_append_new(kids, json_string(kid_hex));
		}
		json_array_append_new(arr, json_pack("{s:I,s:s,s:s,s:s,s:o}", "account_id",
						     (json_int_t)ms[i].account, "email", ms[i].email,
						     "name", ms[i].name, "role",
						     ms[i].role == PT_HOME_OWNER ? "owner" : "member",
						     "key_ids", kids));
	}
	free(ms);
	free(ks);
	rp->status = 200;
	rp->body = json_pack("{s:o}", "members", arr);
}

/* An account id in a path: 1..19 decimal digits, no leading zero, > 0. */
static bool
parse_account_id(const char *p, int64_t *out)
{
	int64_t v = 0;
	size_t i;

	if (p[0] < '1' || p[0] > '9')
		return false;
	for (i = 0; p[i] != '\0'; i++) {
		if (i >= 19 || p[i] < '0' || p[i] > '9' || v > (INT64_MAX - (p[i] - '0')) / 10)
			return false;
		v = v * 10 + (p[i] - '0');
	}
	*out = v;
	return true;
}

/*
 * DELETE /v1/homes/{id}/members/{account_id}: owners remove anyone, a
 * member removes themself (leaves). Never the home's last owner (409
 * last-owner). The account's next request about the home is 404 (the
 * cache is bumped); its live streams end at their next look (stream.c).
 */
static void
member_remove(struct server *s, struct request *rq, struct reply *rp, const struct pt_home *h,
	      int role, const char *arg)
{
	char target[PT_ID_MAX + 8];
	int64_t account;
	int had = 0, x;

	if (!parse_account_id(arg, &account)) {
		fail(rp, 404, "not-found", NULL, "not found");
		return;
	}
	if (account != rq->actor && !need_owner(role, rp))
		return;
	if (pt_store_begin(s->st) != PT_OK) {
		fail_internal(rp);
		return;
	}
	if ((x = pt_store_member_remove(s->st, h->id, account, &had)) != PT_OK) {
		pt_store_rollback(s->st);
		if (x == PT_ECONFLICT)
			fail(rp, 409, "last-owner", NULL,
			     "the home would have no owner: make another account owner first, "
			     "or delete the home");
		else
			fail_store(rp, x, NULL, NULL);
		return;
	}
	(void)snprintf(target, sizeof(target), "home:%s", h->id);
	if (!commit_audited(s, rq, rp, "member.remove", target,
			    json_pack("{s:I,s:s,s:b}", "account", (json_int_t)account, "role",
				      had == PT_HOME_OWNER ? "owner" : "member", "self",
				      account == rq->actor)))
		return;
	cache_bump(s->cache);
	live_end_account(s, h->id, account);	/* its live views end now (live.c) */
	plog(LOG_INFO_, "event=member_remove id=%s home=%s account=%lld role=%s", rq->id, h->id,
	     (long long)account, had == PT_HOME_OWNER ? "owner" : "member");
	rp->status = 204;
}

/* /v1/homes/{id}/members/{account_id}: false if sub is not one. */
static bool
api_home_members(struct server *s, struct request *rq, struct reply *rp, const struct pt_home *h,
		 int role, const char *sub)
{
	if (strncmp(sub, "members/", 8) != 0 || strchr(sub + 8, '/') != NULL)
		return false;
	if (method_is(rq, "DELETE"))
		member_remove(s, rq, rp, h, role, sub + 8);
	else
		not_allowed(rp, "DELETE");
	return true;
}

/* ---- owner keys ---- */

/* The home's owner keys as a root set; caller frees. */
uint8_t (*load_roots(struct server *s, const char *home, size_t *n))[PT_PK_LEN]
{
	struct pt_owner_key *ks = malloc(LIST_KEYS_MAX * sizeof(*ks));
	uint8_t (*roots)[PT_PK_LEN] = NULL;
	size_t i;

	*n = 0;
	if (ks == NULL || pt_store_owner_key_list(s->st, home, ks, LIST_KEYS_MAX, n) != PT_OK ||
	    (roots = calloc(*n > 0 ? *n : 1, PT_PK_LEN)) == NULL) {
		free(ks);
		*n = 0;
		return NULL;
	}
	for (i = 0; i < *n; i++)
		memcpy(roots[i], ks[i].pk, PT_PK_LEN);
	free(ks);
	return roots;
}

static void
owner_key_add(struct server *s, struct request *rq, struct reply *rp, const struct pt_home *h,
	      int role)
{
	struct pt_req_owner_key r;
	struct pt_owner_key k;
	struct pt_api_err e;
	char target[PT_ID_MAX + 8], kid_hex[2 * PT_KID_LEN + 1], by[2 * PT_KID_LEN + 1] = "";
	uint8_t kid[PT_KID_LEN];
	int x;

	if (!need_owner(role, rp) || !need_json(rq, rp))
		return;
	if (pt_req_owner_key_decode(rq->body, rq->len, &r, &e) != PT_OK) {
		fail_api(rp, &e);
		return;
	}
	memset(&k, 0, sizeof(k));
	memcpy(k.home_id, h->id, sizeof(k.home_id));
	memcpy(k.pk, r.pk, PT_PK_LEN);
	memcpy(k.label, r.label, sizeof(k.label));
	memcpy(k.statement, r.statement, r.statement_len);
	k.statement_len = r.statement_len;
	k.added_by = rq->actor;
	k.created_at = now_utc();
	if (pt_store_begin(s->st) != PT_OK) {
		fail_internal(rp);
		return;
	}
	/* Counted inside the transaction, so two uploads cannot both pass;
	 * a statement is checked against the keys read here (api_org.c). */
	{
		struct pt_owner_key *ks = calloc(LIST_KEYS_MAX, sizeof(*ks));
		size_t n = 0;
		x = ks != NULL ? pt_store_owner_key_list(s->st, h->id, ks, LIST_KEYS_MAX, &n) : PT_ENOMEM;
		if (x == PT_OK && n < LIST_KEYS_MAX && k.statement_len > 0 &&
		    !owner_statement_check(h, ks, n, &r, rp, by)) {
			free(ks);
			pt_store_rollback(s->st);
			return;
		}
		free(ks);
		if (x != PT_OK || n >= LIST_KEYS_MAX) {
			pt_store_rollback(s->st);
			if (x != PT_OK)
				fail_internal(rp);
			else
				fail(rp, 409, "limit-reached", "public_key",
				     "a home has at most 64 owner keys");
			return;
		}
	}
	if ((x = pt_store_owner_key_insert(s->st, &k)) != PT_OK) {
		pt_store_rollback(s->st);
		fail_store(rp, x, "public_key", "this key is already enrolled for the home");
		return;
	}
	pt_kid(pt_crypto_sodium(), k.pk, kid);
	hex(kid, sizeof(kid), kid_hex);
	(void)snprintf(target, sizeof(target), "home:%s", h->id);
	if (!commit_audited(s, rq, rp, "owner_key.add", target,
			    json_pack("{s:s,s:o}", "key_id", kid_hex, "endorsed_by",
				      by[0] != '\0' ? json_string(by) : json_null())))
		return;
	/* The hubs learn of an endorsed key from its statement (retained). */
	if (k.statement_len > 0)
		mqtt_owners_changed(s, h->id);
	rp->status = 201;
	rp->body = owner_key_json(&k);
}

static void
owner_key_list(struct server *s, struct reply *rp, const struct pt_home *h)
{
	struct pt_owner_key *ks = malloc(LIST_KEYS_MAX * sizeof(*ks));
	json_t *arr;
	size_t n = 0, i;

	if (ks == NULL || pt_store_owner_key_list(s->st, h->id, ks, LIST_KEYS_MAX, &n) != PT_OK) {
		free(ks);
		fail_internal(rp);
		return;
	}
	arr = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(arr, owner_key_json(&ks[i]));
	free(ks);
	rp->status = 200;
	rp->body = json_pack("{s:o}", "keys", arr);
}

/* ---- grants ---- */

static void
grant_add(struct server *s, struct request *rq, struct reply *rp, const struct pt_home *h, int role)
{
	struct pt_req_grant *r = NULL;
	struct pt_grant_row *g = NULL;
	struct pt_chain *c = NULL;
	struct pt_api_err e;
	uint8_t (*roots)[PT_PK_LEN] = NULL;
	char target[PT_ID_MAX + 8], cti[2 * PT_CTI_LEN + 1];
	int64_t now = now_utc();
	size_t n_roots = 0;
	int x, link;
	uint8_t i;

	if (!need_owner(role, rp) || !need_json(rq, rp))
		return;
	if ((r = malloc(sizeof(*r))) == NULL || (c = malloc(sizeof(*c))) == NULL ||
	    (g = calloc(1, sizeof(*g))) == NULL) {
		fail_internal(rp);
		goto out;
	}
	if (pt_req_grant_decode(rq->body, rq->len, r, &e) != PT_OK) {
		fail_api(rp, &e);
		goto out;
	}
	if ((x = pt_chain_decode(r->chain, r->chain_len, c)) != PT_OK) {
		fail_reason(rp, x, "chain");
		goto out;
	}
	if ((roots = load_roots(s, h->id, &n_roots)) == NULL) {
		fail_internal(rp);
		goto out;
	}
	if ((x = pt_chain_verify(pt_crypto_sodium(), c, (const uint8_t (*)[PT_PK_LEN])roots, n_roots,
				 &link)) != PT_OK) {
		fail_reason(rp, x, "chain");
		goto out;
	}
	for (i = 0; i < c->n; i++) {
		if (strcmp(c->link[i].g.aud, h->id) != 0) {
			fail_reason(rp, PT_EAUDIENCE, "chain");
			goto out;
		}
		if (c->link[i].g.has_exp && c->link[i].g.exp <= now) {
			fail_reason(rp, PT_EEXPIRED, "chain");
			goto out;
		}
	}
	memcpy(g->home_id, h->id, sizeof(g->home_id));
	memcpy(g->chain, r->chain, r->chain_len);
	g->chain_len = r->chain_len;
	memcpy(g->cti, c->link[c->n - 1].g.cti, PT_CTI_LEN);
	memcpy(g->holder, c->link[c->n - 1].g.holder, PT_PK_LEN);
	g->n_links = c->n;
	g->purpose = c->link[c->n - 1].g.purpose;
	g->exp = c->link[c->n - 1].g.has_exp ? c->link[c->n - 1].g.exp : 0;
	memcpy(g->label, r->label, sizeof(g->label));
	g->created_by = rq->actor;
	g->created_at = now;
	if (pt_store_begin(s->st) != PT_OK) {
		fail_internal(rp);
		goto out;
	}
	if ((x = pt_store_grant_insert(s->st, g)) != PT_OK) {
		pt_store_rollback(s->st);
		fail_store(rp, x, "chain", "a grant with this token id is stored already");
		goto out;
	}
	hex(g->cti, PT_CTI_LEN, cti);
	(void)snprintf(target, sizeof(target), "home:%s", h->id);
	if (!commit_audited(s, rq, rp, "grant.add", target,
			    json_pack("{s:s,s:i}", "token_id", cti, "links", (int)g->n_links)))
		goto out;
	rp->status = 201;
	rp->body = grant_json(g, false);
out:
	free(roots);
	free(r);
	free(c);
	free(g);
}

/* GET /v1/homes/{id}/grants: a page, oldest first (?after=&limit=). */
static void
grant_list(struct server *s, struct request *rq, struct reply *rp, const struct pt_home *h)
{
	struct pt_grant_row *gs;
	int64_t after;
	size_t limit, n = 0, i;
	json_t *arr;

	if (!page_query(rq, rp, &after, &limit))
		return;
	if ((gs = malloc(limit * sizeof(*gs))) == NULL ||
	    pt_store_grant_list_after(s->st, h->id, after, gs, limit, &n) != PT_OK) {
		free(gs);
		fail_internal(rp);
		return;
	}
	arr = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(arr, grant_json(&gs[i], true));
	rp->status = 200;
	rp->body = page_json("grants", arr, n, limit, n > 0 ? gs[n - 1].id : 0);
	free(gs);
}

/* ---- revocations ---- */

static void
revocation_add(struct server *s, struct request *rq, struct reply *rp, const struct pt_home *h,
	       int role)
{
	struct pt_req_revocation r;
	struct pt_revocation_row v;
	struct pt_envelope env;
	struct pt_api_err e;
	uint8_t (*roots)[PT_PK_LEN] = NULL;
	char target[PT_ID_MAX + 8];
	size_t n_roots = 0, idx;
	int x;

	if (!need_owner(role, rp) || !need_json(rq, rp))
		return;
	if (pt_req_revocation_decode(rq->body, rq->len, &r, &e) != PT_OK) {
		fail_api(rp, &e);
		return;
	}
	if ((roots = load_roots(s, h->id, &n_roots)) == NULL) {
		fail_internal(rp);
		return;
	}
	x = pt_envelope_verify(pt_crypto_sodium(), r.envelope, r.envelope_len, PT_ENV_REVOCATION,
			       (const uint8_t (*)[PT_PK_LEN])roots, n_roots, h->id, now_utc(),
			       REVOCATION_SKEW, &env, &idx);
	free(roots);
	if (x != PT_OK) {
		fail_reason(rp, x, "revocation");
		return;
	}
	memset(&v, 0, sizeof(v));
	memcpy(v.home_id, h->id, sizeof(v.home_id));
	memcpy(v.envelope, r.envelope, r.envelope_len);
	v.envelope_len = r.envelope_len;
	v.kind = env.op;
	memcpy(v.target, env.target, env.target_len);
	v.target_len = env.target_len;
	v.created_by = rq->actor;
	v.created_at = now_utc();
	if (pt_store_begin(s->st) != PT_OK) {
		fail_internal(rp);
		return;
	}
	if ((x = pt_store_revocation_insert(s->st, &v)) != PT_OK) {
		pt_store_rollback(s->st);
		fail_store(rp, x, "revocation", "this revocation is stored already");
		return;
	}
	(void)snprintf(target, sizeof(target), "home:%s", h->id);
	if (!commit_audited(s, rq, rp, "revocation.add", target,
			    json_pack("{s:I,s:s}", "version", (json_int_t)v.version, "kind",
				      v.kind == PT_REVOKE_TOKEN ? "token" : "key")))
		return;
	rp->status = 201;
	rp->body = revocation_json(&v, false);
	/* Committed: push it to the home's hubs now (docs/mqtt.md, the tail). */
	mqtt_revocations_changed(s, h->id);
}

static void
revocation_list(struct server *s, struct request *rq, struct reply *rp, const struct pt_home *h)
{
	struct pt_revocation_row *vs;
	uint64_t since = 0;
	int64_t top = 0;
	json_t *arr;
	size_t n = 0, i;

	if (rq->query_since != NULL &&
	    pt_uint_parse(rq->query_since, 0, (uint64_t)INT64_MAX, &since) != PT_OK) {
		fail(rp, 400, "invalid-field", "since", "'since' must be a version number");
		return;
	}
	vs = calloc(LIST_REVOCATIONS_MAX, sizeof(*vs));
	if (vs == NULL || pt_store_revocation_list(s->st, h->id, (int64_t)since, vs,
						   LIST_REVOCATIONS_MAX, &n) != PT_OK) {
		free(vs);
		fail_internal(rp);
		return;
	}
	/* An empty answer means "up to date" only if version `since` exists:
	 * a hub ahead of the server (a restored database) must start over. */
	if (n == 0 && since > 0) {
		size_t m = 0;
		if (pt_store_revocation_list(s->st, h->id, (int64_t)since - 1, vs, 1, &m) != PT_OK) {
			free(vs);
			fail_internal(rp);
			return;
		}
		if (m == 0 || vs[0].version != (int64_t)since) {
			free(vs);
			fail(rp, 400, "invalid-field", "since",
			     "'since' is beyond this home's newest revocation: ask again from 0");
			return;
		}
	}
	arr = json_array();
	for (i = 0; i < n; i++) {
		json_array_append_new(arr, revocation_json(&vs[i], true));
		if (vs[i].version > top)
			top = vs[i].version;
	}
	free(vs);
	rp->status = 200;
	rp->body = json_pack("{s:I,s:o}", "version", (json_int_t)(top > (int64_t)since ? top : (int64_t)since),
			     "revocations", arr);
}

/* ---- remote commands ---- */

/*
 * POST /v1/homes/{id}/commands (owners): an owner-signed remote lock or
 * unlock, checked against the home's owner keys (a second line of defence:
 * the hub checks it again, with its own keys, skew and nonce cache) and
 * relayed byte for byte to the home's hubs over MQTT (docs/mqtt.md).
 */
static void
command_relay(struct server *s, struct request *rq, struct reply *rp, const struct pt_home *h,
	      int role)
{
	uint8_t (*roots)[PT_PK_LEN] = NULL;
	char (*ids)[PT_ID_MAX + 1] = NULL, target[PT_ID_MAX + 8];
	char nonce[2 * PT_CTI_LEN + 1];
	struct pt_req_command cmd;
	struct pt_envelope env;
	struct pt_api_err e;
	size_t n_roots = 0, idx, n = 0, i;
	json_t *relayed = NULL;
	int x;

	if (!need_owner(role, rp) || !need_json(rq, rp))
		return;
	if (pt_req_command_decode(rq->body, rq->len, &cmd, &e) != PT_OK) {
		fail_api(rp, &e);
		return;
	}
	if ((roots = load_roots(s, h->id, &n_roots)) == NULL) {
		fail_internal(rp);
		return;
	}
	x = pt_envelope_verify(pt_crypto_sodium(), cmd.envelope, cmd.envelope_len, PT_ENV_COMMAND,
			       (const uint8_t (*)[PT_PK_LEN])roots, n_roots, h->id, now_utc(),
			       COMMAND_SKEW, &env, &idx);
	free(roots);
	if (x != PT_OK) {
		fail_reason(rp, x, "command");
		return;
	}
	if ((ids = calloc(RELAY_HUBS_MAX, sizeof(*ids))) == NULL) {
		fail_internal(rp);
		return;
	}
	x = mqtt_command_relay(s, h->id, cmd.has_hub ? cmd.hub_id : NULL, cmd.envelope,
			       cmd.envelope_len, ids, RELAY_HUBS_MAX, &n);
	if (x == PT_ENOTFOUND) {
		struct pt_hub one;

		/* Nothing goes down to a hub that has not named this home with
		 * its key (docs/mqtt.md, "home"). */
		if (cmd.has_hub && pt_store_hub_get(s->st, h->id, cmd.hub_id, &one) == PT_OK)
			fail(rp, 409, "hub-unconfirmed", "hub_id",
			     "the hub has not confirmed that it belongs to this home: nothing is relayed to it");
		else if (cmd.has_hub)
			fail(rp, 404, "not-found", "hub_id", "no such hub in this home");
		else
			fail(rp, 409, "no-hub", NULL, "the home has no paired hub to relay to");
		goto out;
	}
	if (x == PT_EUNSUPPORTED || x == PT_EIO) {
		fail(rp, 503, "mqtt-unavailable", NULL,
		     x == PT_EUNSUPPORTED ? "this server has no MQTT broker configured"
					  : "the MQTT broker cannot be reached now: try again");
		goto out;
	}
	if (x != PT_OK) {
		fail_internal(rp);
		goto out;
	}
	hex(env.nonce, PT_CTI_LEN, nonce);
	relayed = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(relayed, json_string(ids[i]));
	/* Published already: what follows records it (a store failure is a 500
	 * the owner sees, though the command went out). */
	if (pt_store_begin(s->st) != PT_OK) {
		plog(LOG_ERR_, "event=command_relay id=%s home=%s nonce=%s error=\"not recorded\"",
		     rq->id, h->id, nonce);
		fail_internal(rp);
		goto out;
	}
	if (record_event(s, h->id, "command.relayed",
			 json_pack("{s:s,s:s,s:s,s:O,s:I}", "op",
				   env.op == PT_CMD_UNLOCK ? "unlock" : "lock", "lock", env.lock,
				   "nonce", nonce, "hub_ids", relayed, "by", (json_int_t)rq->actor),
			 NULL) != PT_OK) {
		pt_store_rollback(s->st);
		fail_internal(rp);
		goto out;
	}
	(void)snprintf(target, sizeof(target), "home:%s", h->id);
	if (!commit_audited(s, rq, rp, "command.relay", target,
			    json_pack("{s:s,s:s,s:O}", "op",
				      env.op == PT_CMD_UNLOCK ? "unlock" : "lock", "nonce", nonce,
				      "hub_ids", relayed)))
		goto out;
	plog(LOG_INFO_, "event=command_relay id=%s home=%s op=%s nonce=%s hubs=%zu", rq->id, h->id,
	     env.op == PT_CMD_UNLOCK ? "unlock" : "lock", nonce, n);
	rp->status = 202;
	rp->body = json_pack("{s:O,s:s,s:s}", "relayed_to", relayed, "nonce", nonce, "op",
			     env.op == PT_CMD_UNLOCK ? "unlock" : "lock");
out:
	json_decref(relayed);
	free(ids);
}

/* ---- owners' approvals (docs/alarm.md, "Ask the owner") ---- */

/*
 * POST /v1/homes/{id}/approvals (owners): an owner-signed answer
 * (PT_ENV_APPROVAL) to a hub's request to let a credential in, checked
 * against the home's owner keys with the commands' skew (a second line
 * of defence: the hub checks it again with its own keys and knows which
 * requests it has open) and relayed byte for byte on
 * porter/v1/hub/<id>/approval to every hub of the home. A refusal stores
 * nothing; a relayed answer is recorded (event and audit row).
 */
/* After the publish: the answer went out, only its record failed. Say so
 * (a plain "internal" would tell the owner it was not sent). */
static void
fail_unrecorded(struct reply *rp)
{
	json_decref(rp->body);
	rp->body = NULL;
	fail(rp, 500, "not-recorded", NULL,
	     "the answer was relayed to the home's hubs, but the server could not record it");
}

static void
approval_relay(struct server *s, struct request *rq, struct reply *rp, const struct pt_home *h,
	       int role)
{
	uint8_t (*roots)[PT_PK_LEN] = NULL;
	char request[2 * PT_CTI_LEN + 1], session[2 * PT_CTI_LEN + 1], kid[2 * PT_KID_LEN + 1];
	char target[PT_ID_MAX + 8];
	struct pt_req_approval ap;
	struct pt_envelope env;
	struct pt_api_err e;
	const char *answer;
	size_t n_roots = 0, idx, n = 0;
	int x;

	if (!need_owner(role, rp) || !need_json(rq, rp))
		return;
	if (pt_req_approval_decode(rq->body, rq->len, &ap, &e) != PT_OK) {
		fail_api(rp, &e);
		return;
	}
	if ((roots = load_roots(s, h->id, &n_roots)) == NULL) {
		fail_internal(rp);
		return;
	}
	x = pt_envelope_verify(pt_crypto_sodium(), ap.envelope, ap.envelope_len, PT_ENV_APPROVAL,
			       (const uint8_t (*)[PT_PK_LEN])roots, n_roots, h->id, now_utc(),
			       COMMAND_SKEW, &env, &idx);
	free(roots);
	if (x != PT_OK) {
		fail_reason(rp, x, "approval");
		return;
	}
	/* pt_envelope_verify refuses any other op or session length; the
	 * record below relies on them, so they are checked here too. */
	if ((env.op != PT_APPROVE && env.op != PT_DENY) || env.target_len != PT_CTI_LEN) {
		fail_reason(rp, PT_EMALFORMED, "approval");
		return;
	}
	answer = env.op == PT_APPROVE ? "approve" : "deny";
	hex(env.nonce, PT_CTI_LEN, request);
	hex(env.target, PT_CTI_LEN, session);
	hex(env.kid, PT_KID_LEN, kid);
	x = mqtt_hub_relay(s, h->id, MQTT_RELAY_APPROVAL, ap.envelope, ap.envelope_len, &n);
	if (x == PT_ENOTFOUND) {
		fail(rp, 409, "no-hub", NULL, "the home has no paired hub to relay to");
		return;
	}
	if (x == PT_EUNSUPPORTED || x == PT_EIO) {
		fail(rp, 503, "mqtt-unavailable", NULL,
		     x == PT_EUNSUPPORTED ? "this server has no MQTT broker configured"
					  : "the MQTT broker cannot be reached now: try again");
		return;
	}
	if (x != PT_OK) {
		fail_internal(rp);
		return;
	}
	/* Published already: what follows records it (a store failure is a 500
	 * the owner sees, though the answer went out). */
	if (pt_store_begin(s->st) != PT_OK) {
		plog(LOG_ERR_, "event=approval_relay id=%s home=%s request=%s error=\"not recorded\"",
		     rq->id, h->id, request);
		fail_unrecorded(rp);
		return;
	}
	if (record_event(s, h->id, "approval.relayed",
			 json_pack("{s:s,s:s,s:s,s:I,s:s}", "request", request, "session", session,
				   "answer", answer, "by", (json_int_t)rq->actor, "owner_key_id",
				   kid),
			 NULL) != PT_OK) {
		pt_store_rollback(s->st);
		fail_unrecorded(rp);
		return;
	}
	(void)snprintf(target, sizeof(target), "home:%s", h->id);
	if (!commit_audited(s, rq, rp, "approval.relay", target,
			    json_pack("{s:s,s:s,s:s,s:s,s:I}", "request", request, "session",
				      session, "answer", answer, "owner_key_id", kid, "hubs",
				      (json_int_t)n))) {
		fail_unrecorded(rp);
		return;
	}
	plog(LOG_INFO_, "event=approval_relay id=%s home=%s request=%s answer=%s owner_key_id=%s "
	     "hubs=%zu", rq->id, h->id, request, answer, kid, n);
	rp->status = 202;
	rp->body = json_pack("{s:I}", "hubs", (json_int_t)n);
}

/* ---- routing ---- */

bool
method_is(const struct request *rq, const char *m)
{
	return strcmp(rq->method, m) == 0;
}

void
not_allowed(struct reply *rp, const char *allow)
{
	rp->allow = allow;
	fail(rp, 405, "method-not-allowed", NULL, "this method is not allowed here");
}

void
not_found(struct reply *rp)
{
	fail(rp, 404, "not-found", NULL, "not found");
}

/* /v1/homes/{id}[/sub] */
static void
homes_sub(struct server *s, struct request *rq, struct reply *rp, const struct pt_account *a,
	  const uint8_t th[PT_HASH_LEN], const char *rest)
{
	char id[PT_ID_MAX + 1];
	const char *slash = strchr(rest, '/'), *sub = slash != NULL ? slash + 1 : "";
	size_t n = slash != NULL ? (size_t)(slash - rest) : strlen(rest);
	struct pt_home h;
	json_t *policy = NULL;	/* the cache's parsed policy, when it answered */
	int role = 0;

	if (n == 0 || n > PT_ID_MAX || !pt_id_is_valid(rest, n)) {
		not_found(rp);
		return;
	}
	memcpy(id, rest, n);
	id[n] = '\0';
	/* Not a member and not there look the same: 404. */
	if (s->shared_store || !cache_home_get(s->cache, id, a->id, &h, &role, &policy)) {
		uint64_t gen = cache_gen(s->cache);
		if (pt_store_home_get(s->st, id, a->id, &h, &role) != PT_OK) {
			not_found(rp);
			return;
		}
		if (!s->shared_store)
			cache_home_put(s->cache, gen, a->id, &h, role);
	}
	if (!(sub[0] == '\0' && slash == NULL && method_is(rq, "GET"))) {
		json_decref(policy);	/* only GET of the home uses it */
		policy = NULL;
	}
	if (sub[0] == '\0' && slash == NULL) {
		if (method_is(rq, "GET")) {
			rp->status = 200;
			rp->body = home_json_parsed(&h, role, policy);
			json_decref(policy);
		} else if (method_is(rq, "PATCH")) {
			home_patch(s, rq, rp, &h, role);
		} else if (method_is(rq, "DELETE")) {
			home_delete(s, rq, rp, &h, role);
		} else {
			not_allowed(rp, "GET, PATCH, DELETE");
		}
	} else if (strcmp(sub, "members") == 0) {
		if (method_is(rq, "POST"))
			member_add(s, rq, rp, &h, role);
		else if (method_is(rq, "GET"))
			member_list(s, rp, &h);
		else
			not_allowed(rp, "GET, POST");
	} else if (strcmp(sub, "owner-keys") == 0) {
		if (method_is(rq, "POST"))
			owner_key_add(s, rq, rp, &h, role);
		else if (method_is(rq, "GET"))
			owner_key_list(s, rp, &h);
		else
			not_allowed(rp, "GET, POST");
	} else if (strcmp(sub, "grants") == 0) {
		if (method_is(rq, "POST"))
			grant_add(s, rq, rp, &h, role);
		else if (method_is(rq, "GET"))
			grant_list(s, rq, rp, &h);
		else
			not_allowed(rp, "GET, POST");
	} else if (strcmp(sub, "revocations") == 0) {
		if (method_is(rq, "POST"))
			revocation_add(s, rq, rp, &h, role);
		else if (method_is(rq, "GET"))
			revocation_list(s, rq, rp, &h);
		else
			not_allowed(rp, "GET, POST");
	} else if (strcmp(sub, "commands") == 0) {
		if (method_is(rq, "POST"))
			command_relay(s, rq, rp, &h, role);
		else
			not_allowed(rp, "POST");
	} else if (strcmp(sub, "approvals") == 0) {
		if (method_is(rq, "POST"))
			approval_relay(s, rq, rp, &h, role);
		else
			not_allowed(rp, "POST");
	} else if (strcmp(sub, "live") == 0) {
		if (method_is(rq, "POST"))
			live_open(s, rq, rp, &h, role);
		else
			not_allowed(rp, "POST");
	} else if (strcmp(sub, "stream") == 0) {
		if (method_is(rq, "GET"))
			stream_open(s, rp, a->id, h.id, th, rq->last_event_id, rq->rl_addr);
		else
			not_allowed(rp, "GET");
	} else if (duress_ack_hidden(s, rq->method, h.id, a->id, sub)) {
		not_found(rp);	/* a duress alert the account must not see (duress.c) */
	} else if (!api_home_members(s, rq, rp, &h, role, sub) &&
		   !api_home_org(s, rq, rp, a, &h, role, sub) &&
		   !api_home_clip(s, rq, rp, a, &h, role, sub)) {
		not_found(rp);
	} else if (method_is(rq, "GET") && rp->status == 200) {
		/* A duress alert is not for the account under duress (duress.c):
		 * its lists of events and alerts leave them out. */
		duress_filter_reply(s, h.id, a->id, sub, rp->body);
	}
}

/*
 * /v1/live/{session}, .../key, .../fragments/{n} (rest after "/v1/live/";
 * docs/live.md): 405 first; the camera's PUTs are authenticated by its key
 * (live.c), the viewer's GET and DELETE by a session.
 */
static void
api_live(struct server *s, struct request *rq, struct reply *rp, const char *rest)
{
	const char *slash = strchr(rest, '/'), *sub = slash != NULL ? slash + 1 : "";
	struct pt_account a;
	uint8_t th[PT_HASH_LEN];

	if (slash == NULL) {
		if (!method_is(rq, "GET") && !method_is(rq, "DELETE")) {
			not_allowed(rp, "GET, DELETE");
			return;
		}
	} else if (strcmp(sub, "key") == 0 || strncmp(sub, "fragments/", 10) == 0) {
		if (!method_is(rq, "GET") && !method_is(rq, "PUT")) {
			not_allowed(rp, "GET, PUT");
			return;
		}
		if (method_is(rq, "PUT")) {
			live_camera_put(s, rq, rp, rest);
			return;
		}
	} else {
		not_found(rp);
		return;
	}
	if (!authenticate(s, rq, rp, &a, th))
		return;
	pt_wipe(th, sizeof(th));
	live_viewer(s, rq, rp, a.id, rest);
}

void
api_dispatch(struct server *s, struct request *rq, struct reply *rp)
{
	struct pt_account a;
	uint8_t th[PT_HASH_LEN];
	const char *p = rq->path;

	/* No GET route reads a body or answers with a secret (docs/api.md),
	 * but GET /v1/sessions/current (its CSRF token): session_current. */
	json_wipe_set(!(method_is(rq, "GET") && rq->len == 0));
	if (strncmp(p, "/v1/", 4) != 0) {
		not_found(rp);
		return;
	}
	p += 4;
	if (strcmp(p, "health") == 0) {
		if (!method_is(rq, "GET")) {
			not_allowed(rp, "GET");
			return;
		}
		rp->status = 200;
		rp->body = json_pack("{s:s,s:s,s:i}", "status", "ok", "version", PORTERD_VERSION,
				     "schema", pt_store_schema_version(s->st));
	} else if (strcmp(p, "accounts") == 0) {
		if (method_is(rq, "POST"))
			account_create(s, rq, rp);
		else
			not_allowed(rp, "POST");
	} else if (strcmp(p, "sessions") == 0) {
		if (method_is(rq, "POST"))
			session_create(s, rq, rp);
		else if (method_is(rq, "DELETE"))
			session_delete(s, rq, rp, true);
		else
			not_allowed(rp, "POST, DELETE");
	} else if (strcmp(p, "sessions/current") == 0) {
		if (method_is(rq, "DELETE"))
			session_delete(s, rq, rp, false);
		else if (method_is(rq, "GET"))
			session_current(s, rq, rp);
		else
			not_allowed(rp, "GET, DELETE");
	} else if (strcmp(p, "me") == 0) {
		if (!method_is(rq, "GET")) {
			not_allowed(rp, "GET");
			return;
		}
		if (!authenticate(s, rq, rp, &a, th))
			return;
		rp->status = 200;
		rp->body = account_json(&a);
	} else if (strcmp(p, "homes") == 0) {
		if (!method_is(rq, "GET") && !method_is(rq, "POST")) {
			not_allowed(rp, "GET, POST");
			return;
		}
		if (!authenticate(s, rq, rp, &a, th))
			return;
		if (method_is(rq, "POST"))
			home_create(s, rq, rp, &a);
		else
			home_list(s, rp, &a);
	} else if (strncmp(p, "homes/", 6) == 0) {
		if (!authenticate(s, rq, rp, &a, th))
			return;
		homes_sub(s, rq, rp, &a, th, p + 6);
	} else if (strcmp(p, "carriers") == 0 || strncmp(p, "carriers/", 9) == 0) {
		/* Fixed routes: 405 before 401, as for /v1/homes. */
		if (p[8] == '\0' && !method_is(rq, "GET") && !method_is(rq, "POST")) {
			not_allowed(rp, "GET, POST");
			return;
		}
		if (!authenticate(s, rq, rp, &a, th))
			return;
		api_carriers(s, rq, rp, &a, p);
	} else if (strcmp(p, "me/devices") == 0 || strncmp(p, "me/devices/", 11) == 0) {
		if (p[10] == '\0' && !method_is(rq, "GET") && !method_is(rq, "POST")) {
			not_allowed(rp, "GET, POST");
			return;
		}
		if (!authenticate(s, rq, rp, &a, th))
			return;
		api_devices(s, rq, rp, &a, p);
	} else if (strcmp(p, "deliveries") == 0 || strncmp(p, "deliveries/", 11) == 0) {
		if (p[10] == '\0' && !method_is(rq, "GET") && !method_is(rq, "POST")) {
			not_allowed(rp, "GET, POST");
			return;
		}
		if (!authenticate(s, rq, rp, &a, th))
			return;
		api_deliveries(s, rq, rp, &a, p + 10);
	} else if (strncmp(p, "clips/", 6) == 0) {
		api_clips(s, rq, rp, p + 6);
	} else if (strncmp(p, "live/", 5) == 0) {
		api_live(s, rq, rp, p + 5);
	} else {
		not_found(rp);
	}
}
