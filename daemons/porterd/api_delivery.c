/*
 * porterd's deliveries: /v1/deliveries and the just-in-time credentials
 * issued at the door (docs/api.md, "Deliveries" and "Arrival and
 * just-in-time credentials").
 *
 * Who sees a delivery: the members of its home, the admin of its carrier
 * and its assigned courier; for everyone else it does not exist (404 on
 * every route). Each action then checks the caller's part in it (403).
 * Every state change is one store transaction: the state is read inside
 * it and written with the store's compare-and-set, with the home's event
 * and the audit row. Issuing signs and verifies first, outside any
 * transaction, then stores in one transaction that reads again what the
 * credential rests on (the delivery, revocations, policy, courier) and
 * prepares again if any of it moved, so a refusal or a revocation that
 * commits first is never overtaken by a credential. Arrival and its
 * credential are one transaction.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "porter/cbor.h"
#include "porter/cred.h"
#include "porter/issue.h"
#include "porter/keyfile.h"
#include "porter/proto.h"
#include "porter/text.h"
#include "porter/tz.h"
#include "api.h"
#include "porterd.h"

#define STEPS_MAX 32		/* a delivery moves through at most 7 states */
#define GRANTS_SCAN_MAX 64	/* newest delegations to the carrier tried */
#define REVOCATION_BATCH 64	/* rows per read: malloc'd, under the mmap threshold */
#define EARTH_RADIUS_M 6371008.8
#define PI 3.14159265358979323846

#define BIT(st) (1u << (st))

/* A delivery as the caller sees it: what it is to them. */
struct view {
	struct pt_delivery d;
	struct pt_carrier c;	/* zeroed if the carrier cannot be read */
	int home_role;		/* PT_HOME_OWNER / PT_HOME_MEMBER, 0: not a member */
	bool carrier_admin;
	bool courier;		/* the assigned courier */
};

/* Why a credential was not issued: {"code", "message"}. */
struct issue_note {
	char code[32];
	char message[160];
};

/* ---- small helpers ---- */

static void
forbidden(struct reply *rp, const char *message)
{
	fail(rp, 403, "forbidden", NULL, message);
}

static void
wrong_state(struct reply *rp, const struct pt_delivery *d, const char *what)
{
	char m[160];

	(void)snprintf(m, sizeof(m), "the delivery is %s: %s", pt_dstate_name(d->state), what);
	fail(rp, 409, "wrong-state", NULL, m);
}

static void
conflict(struct reply *rp)
{
	fail_reason(rp, PT_ECONFLICT, NULL);
}

static void
note_set(struct issue_note *n, const char *code, const char *message)
{
	(void)snprintf(n->code, sizeof(n->code), "%s", code);
	(void)snprintf(n->message, sizeof(n->message), "%s", message);
}

static void
home_target(char *out, size_t cap, const char *home_id)
{
	(void)snprintf(out, cap, "home:%s", home_id);
}

/*
 * Is the great-circle distance between two points (degrees) more than r
 * metres? Haversine: hav(d/R) = hav(dlat) + cos(lat1) cos(lat2) hav(dlon),
 * compared with hav(r/R) (hav is increasing on [0, pi], so comparing the
 * haversines compares the distances).
 */
static bool
farther_than(double lat1, double lon1, double lat2, double lon2, double r)
{
	double p1 = lat1 * PI / 180, p2 = lat2 * PI / 180;
	double dp = (lat2 - lat1) * PI / 180, dl = (lon2 - lon1) * PI / 180;
	double sp = sin(dp / 2), sl = sin(dl / 2), sr;
	double a = sp * sp + cos(p1) * cos(p2) * sl * sl;

	if (r / EARTH_RADIUS_M >= PI)
		return false;	/* half the Earth's circumference: everything is near */
	sr = sin(r / (2 * EARTH_RADIUS_M));
	return a > sr * sr;
}

/*
 * A strict JSON object whose only allowed key is only_key (NULL: none):
 * lib/proto has no decoder for the bodies of approve and complete ({} or
 * nothing), so they are read here with its rules: one object, no
 * duplicate or unknown keys. NULL with a 400.
 */
static json_t *
strict_object(const struct request *rq, struct reply *rp, const char *only_key)
{
	json_error_t jerr;
	json_t *o, *v;
	const char *key;
	char shown[40];

	if (rq->len == 0) {
		fail(rp, 400, "bad-request", NULL, "the body is empty: send a JSON object");
		return NULL;
	}
	o = json_loadb(rq->body, rq->len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
	if (o == NULL || !json_is_object(o)) {
		json_decref(o);
		fail(rp, 400, "bad-request", NULL, "the body is not a JSON object");
		return NULL;
	}
	json_object_foreach(o, key, v) {
		(void)v;
		if (only_key == NULL || strcmp(key, only_key) != 0) {
			(void)snprintf(shown, sizeof(shown), "%.39s", key);
			if (!pt_text_is_printable((const uint8_t *)shown, strlen(shown)))
				(void)snprintf(shown, sizeof(shown), "?");
			json_decref(o);
			fail(rp, 400, "unknown-field", shown, "unknown field");
			return NULL;
		}
	}
	return o;
}

/* approve, complete: no body, or {}. */
static bool
empty_body(const struct request *rq, struct reply *rp)
{
	json_t *o;

	if (rq->len == 0)
		return true;
	if (!need_json(rq, rp) || (o = strict_object(rq, rp, NULL)) == NULL)
		return false;
	json_decref(o);
	return true;
}

/* An optional {"reason": "..."} (no body: no reason). */
static bool
reason_body(const struct request *rq, struct reply *rp, struct pt_req_reason *r)
{
	struct pt_api_err e;

	memset(r, 0, sizeof(*r));
	if (rq->len > 0 && !need_json(rq, rp))
		return false;
	if (pt_req_reason_decode(rq->body, rq->len, r, &e) != PT_OK) {
		fail_api(rp, &e);
		return false;
	}
	return true;
}

/* The home of a delivery, whoever asks (for checks, never shown to
 * carriers or couriers). */
static int
home_read(struct server *s, const char *home_id, int64_t caller, struct pt_home *h)
{
	(void)caller;
	return pt_store_home_by_id(s->st, home_id, h);
}

/* The zone named tz, read from the zoneinfo directory (malloc'd; NULL if
 * it cannot be read or parsed). */
static struct pt_tz *
zone_load(struct server *s, const char *tz)
{
	char path[PATH_MAX + PT_TZNAME_MAX + 2];
	struct pt_errbuf err;
	struct pt_tz *z = NULL;
	uint8_t *buf = NULL;
	size_t len = 0;
	int n;

	if (!pt_tzname_is_valid(tz, strlen(tz)))
		return NULL;
	pthread_rwlock_rdlock(&s->cfg_lock);
	n = snprintf(path, sizeof(path), "%s/%s", s->cfg.zoneinfo, tz);
	pthread_rwlock_unlock(&s->cfg_lock);
	if (n < 0 || (size_t)n >= sizeof(path))
		return NULL;
	if (pt_file_read(path, PT_TZ_FILE_MAX, &buf, &len, &err) != PT_OK) {
		plog(LOG_WARN_, "event=zone_unreadable tz=%s", tz);
		return NULL;
	}
	if ((z = malloc(sizeof(*z))) != NULL && pt_tz_parse_tzif(z, buf, len) != PT_OK) {
		free(z);
		z = NULL;
	}
	free(buf);
	return z;
}

/* Is now inside one of the policy's week-day intervals, in the home's zone? */
static bool
hours_admit(const struct pt_policy *p, const struct pt_tz *z, int64_t now)
{
	struct pt_civil lc;
	unsigned minute;
	size_t i;

	if (p->n_hours == 0)
		return true;
	if (z == NULL || pt_tz_local(z, now, &lc) != PT_OK)
		return false;
	minute = (unsigned)(lc.hour * 60 + lc.min);
	for (i = 0; i < p->n_hours; i++) {
		const struct pt_weekly *w = &p->hours[i];
		if ((w->days & (1u << lc.wday)) != 0 && minute >= w->start_min &&
		    minute < w->end_min)
			return true;
	}
	return false;
}

static bool
policy_lists(const struct pt_policy *p, const char *carrier_id)
{
	size_t i;

	for (i = 0; i < p->n_carriers; i++)
		if (strcmp(p->carriers[i], carrier_id) == 0)
			return true;
	return false;
}

/* ---- the JSON view ---- */

static json_t *
courier_json(struct server *s, int64_t account)
{
	struct pt_courier *c;
	const char *level;
	json_t *j;

	if (account == 0)
		return json_null();
	if ((c = malloc(sizeof(*c))) == NULL)
		return NULL;
	if (pt_store_courier_get(s->st, account, c) != PT_OK) {
		free(c);
		return json_pack("{s:I,s:s,s:n,s:b}", "account_id", (json_int_t)account, "name", "",
				 "level", "attested", 0);
	}
	level = pt_level_name(c->level);
	j = json_pack("{s:I,s:s,s:o,s:b}", "account_id", (json_int_t)account, "name", c->name,
		      "level", level != NULL ? json_string(level) : json_null(), "attested",
		      c->attestation_len > 0);
	free(c);
	return j;
}

static json_t *
history_json(struct server *s, const char *id)
{
	struct pt_delivery_step st[STEPS_MAX];
	size_t n = 0, i;
	json_t *arr;

	if (pt_store_delivery_steps(s->st, id, st, STEPS_MAX, &n) != PT_OK)
		return NULL;
	arr = json_array();
	for (i = 0; i < n; i++) {
		const char *name = pt_dstate_name(st[i].state);
		json_array_append_new(arr, json_pack("{s:s,s:I,s:o}", "state",
						     name != NULL ? name : "unknown", "at",
						     (json_int_t)st[i].at, "actor",
						     st[i].actor != 0 ? json_integer(st[i].actor)
								      : json_null()));
	}
	return arr;
}

/* The delivery as docs/api.md shows it; NULL on a storage failure. */
static json_t *
delivery_json(struct server *s, const struct pt_delivery *d, const char *carrier_name,
	      bool with_history)
{
	char tok[2 * PT_CTI_LEN + 1];
	const char *state = pt_dstate_name(d->state), *appr = pt_approval_name(d->approval);
	json_t *j, *courier, *hist = NULL;

	if ((courier = courier_json(s, d->courier)) == NULL)
		return NULL;
	if (with_history && (hist = history_json(s, d->id)) == NULL) {
		json_decref(courier);
		return NULL;
	}
	if (d->has_token)
		hex(d->token_id, PT_CTI_LEN, tok);
	j = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:b,s:I,s:I,s:s,s:o,s:o,s:o,s:I,s:I}", "id", d->id,
		      "home_id", d->home_id, "carrier_id", d->carrier_id, "carrier_name",
		      carrier_name, "package_id", d->package_id, "state",
		      state != NULL ? state : "unknown", "in_home", d->in_home, "window_start",
		      (json_int_t)d->window_start, "window_end", (json_int_t)d->window_end,
		      "approval", appr != NULL ? appr : "unknown", "courier", courier, "token_id",
		      d->has_token ? json_string(tok) : json_null(), "reason",
		      d->reason[0] != '\0' ? json_string(d->reason) : json_null(), "created_at",
		      (json_int_t)d->created_at, "updated_at", (json_int_t)d->updated_at);
	if (j != NULL && hist != NULL)
		json_object_set_new(j, "history", hist);
	else
		json_decref(hist);
	return j;
}

/* Answer 200 (or status) with the delivery as stored now. */
static void
reply_delivery(struct server *s, struct reply *rp, int status, const char *id,
	       const char *carrier_name)
{
	struct pt_delivery d;

	if (pt_store_delivery_get(s->st, id, &d) != PT_OK ||
	    (rp->body = delivery_json(s, &d, carrier_name, true)) == NULL) {
		fail_internal(rp);
		return;
	}
	rp->status = status;
}

/* ---- who the caller is to a delivery ---- */

/* PT_OK (v filled), PT_ENOTFOUND (none, or not visible to a), or a store error. */
static int
view_load(struct server *s, const struct pt_account *a, const char *id, struct view *v)
{
	struct pt_home h;
	int r;

	memset(v, 0, sizeof(*v));
	if ((r = pt_store_delivery_get(s->st, id, &v->d)) != PT_OK)
		return r;
	if ((r = pt_store_carrier_get(s->st, v->d.carrier_id, &v->c)) != PT_OK) {
		memset(&v->c, 0, sizeof(v->c));
		if (r != PT_ENOTFOUND)
			return r;
	}
	r = pt_store_home_get(s->st, v->d.home_id, a->id, &h, &v->home_role);
	if (r != PT_OK && r != PT_ENOTFOUND)
		return r;
	if (r != PT_OK)
		v->home_role = 0;
	v->carrier_admin = v->c.id[0] != '\0' && v->c.admin == a->id;
	v->courier = v->d.courier != 0 && v->d.courier == a->id;
	if (v->home_role == 0 && !v->carrier_admin && !v->courier)
		return PT_ENOTFOUND;
	return PT_OK;
}

/*
 * Inside a transaction: the delivery as stored now (the state that the
 * compare-and-set will expect). false with the transaction rolled back and
 * a reply on failure.
 */
static bool
tx_read(struct server *s, struct reply *rp, const char *id, struct pt_delivery *d)
{
	int r;

	if ((r = pt_store_delivery_get(s->st, id, d)) != PT_OK) {
		pt_store_rollback(s->st);
		fail_store(rp, r, NULL, NULL);
		return false;
	}
	return true;
}

/*
 * Inside a transaction: write d (expected to be from), record the home's
 * event (ev_type; NULL: none, the state did not change) and commit with
 * the audit row. false with a reply on failure (the transaction is over
 * either way).
 */
static bool
tx_finish(struct server *s, struct request *rq, struct reply *rp, const struct pt_delivery *d,
	  uint8_t from, const char *ev_type, const char *action, json_t *detail)
{
	char target[PT_ID_MAX + 8];
	int r;

	if ((r = pt_store_delivery_update(s->st, d, from, rq->actor)) != PT_OK) {
		pt_store_rollback(s->st);
		json_decref(detail);
		if (r == PT_ECONFLICT)
			conflict(rp);
		else
			fail_internal(rp);
		return false;
	}
	if (ev_type != NULL &&
	    record_event(s, d->home_id, ev_type, json_pack("{s:s}", "delivery_id", d->id), NULL) !=
		    PT_OK) {
		pt_store_rollback(s->st);
		json_decref(detail);
		fail_internal(rp);
		return false;
	}
	home_target(target, sizeof(target), d->home_id);
	return commit_audited(s, rq, rp, action, target, detail);
}

/* ---- create and list ---- */

static void
delivery_create(struct server *s, struct request *rq, struct reply *rp, const struct pt_account *a)
{
	struct pt_req_delivery r;
	struct pt_api_err e;
	struct pt_carrier c;
	struct pt_policy pol;
	struct pt_delivery d;
	struct pt_home *h = NULL;
	char target[PT_ID_MAX + 8], ev[PT_EVENT_TYPE_MAX + 1];
	uint8_t rnd[8];
	int64_t now = now_utc();
	int x;

	if (!need_json(rq, rp))
		return;
	if (pt_req_delivery_decode(rq->body, rq->len, &r, &e) != PT_OK) {
		fail_api(rp, &e);
		return;
	}
	if (r.window_end <= now) {
		fail(rp, 400, "invalid-field", "window_end", "'window_end' must be in the future");
		return;
	}
	/* Another carrier, or none: the same 404. */
	if ((x = pt_store_carrier_get(s->st, r.carrier_id, &c)) != PT_OK || c.admin != a->id) {
		if (x != PT_OK && x != PT_ENOTFOUND)
			fail_internal(rp);
		else
			fail(rp, 404, "not-found", "carrier_id", "no such carrier");
		return;
	}
	if ((h = malloc(sizeof(*h))) == NULL) {
		fail_internal(rp);
		return;
	}
	/* A home that is not there and one that does not take this carrier
	 * look the same: carriers cannot probe for homes. */
	if ((x = home_read(s, r.home_id, a->id, h)) != PT_OK) {
		if (x == PT_ENOTFOUND)
			fail(rp, 404, "not-found", "home_id", "no such home");
		else
			fail_internal(rp);
		goto out;
	}
	if (pt_policy_from_json(h->policy, &pol) != PT_OK) {
		plog(LOG_ERR_, "event=bad_policy id=%s home=%s", rq->id, h->id);
		fail_internal(rp);
		goto out;
	}
	if (!policy_lists(&pol, c.id)) {
		fail(rp, 404, "not-found", "home_id", "no such home");
		goto out;
	}
	if (r.in_home && !pol.in_home_delivery) {
		fail(rp, 409, "not-accepted", "in_home", "the home does not accept in-home delivery");
		goto out;
	}
	memset(&d, 0, sizeof(d));
	pt_random(rnd, sizeof(rnd));
	memcpy(d.id, "d-", 2);
	hex(rnd, sizeof(rnd), d.id + 2);
	memcpy(d.home_id, h->id, sizeof(d.home_id));
	memcpy(d.carrier_id, c.id, sizeof(d.carrier_id));
	memcpy(d.package_id, r.package_id, sizeof(d.package_id));
	d.state = PT_D_SCHEDULED;
	d.approval = r.in_home && !pol.standing_approval ? PT_APPROVAL_PENDING
							  : PT_APPROVAL_NOT_NEEDED;
	d.in_home = r.in_home;
	d.window_start = r.window_start;
	d.window_end = r.window_end;
	d.created_at = d.updated_at = now;
	if (pt_store_begin(s->st) != PT_OK) {
		fail_internal(rp);
		goto out;
	}
	if ((x = pt_store_delivery_insert(s->st, &d, rq->actor)) != PT_OK) {
		pt_store_rollback(s->st);
		fail_store(rp, x, NULL, "a delivery with this id exists");
		goto out;
	}
	(void)snprintf(ev, sizeof(ev), "delivery.%s", pt_dstate_name(d.state));
	if (record_event(s, d.home_id, ev, json_pack("{s:s}", "delivery_id", d.id), NULL) != PT_OK) {
		pt_store_rollback(s->st);
		fail_internal(rp);
		goto out;
	}
	home_target(target, sizeof(target), d.home_id);
	if (!commit_audited(s, rq, rp, "delivery.create", target,
			    json_pack("{s:s,s:s,s:b}", "delivery_id", d.id, "carrier_id", c.id,
				      "in_home", d.in_home)))
		goto out;
	reply_delivery(s, rp, 201, d.id, c.name);
out:
	free(h);
}

/* Which deliveries a list shows: those of the caller's homes, of the
 * carriers they administer, and those assigned to them. The store's
 * filter matches all that are set, so each is one query; the pages are
 * merged by rowid. */
static void
delivery_list(struct server *s, struct request *rq, struct reply *rp, const struct pt_account *a)
{
	struct pt_delivery_filter f[3];
	struct pt_delivery *out = NULL;
	struct pt_carrier c;
	size_t n[3] = {0, 0, 0}, pos[3] = {0, 0, 0}, limit, k, nf = 0, count = 0;
	int64_t after, last = 0;
	uint8_t state = 0;
	json_t *arr = NULL, *item;

	if (rq->query_state != NULL && pt_dstate_parse(rq->query_state, &state) != PT_OK) {
		fail(rp, 400, "invalid-field", "state", "'state' is not a delivery state");
		return;
	}
	if (rq->query_home != NULL &&
	    !pt_id_is_valid(rq->query_home, strnlen(rq->query_home, PT_ID_MAX + 1))) {
		fail(rp, 400, "invalid-field", "home", "'home' is not a home id");
		return;
	}
	if (!page_query(rq, rp, &after, &limit))
		return;
	memset(f, 0, sizeof(f));
	f[nf++].member = a->id;
	if (a->role == PT_ROLE_CARRIER_ADMIN)
		f[nf++].carrier_admin = a->id;
	if (a->role == PT_ROLE_COURIER)
		f[nf++].courier = a->id;
	if ((out = calloc(nf * limit, sizeof(*out))) == NULL) {
		fail_internal(rp);
		return;
	}
	for (k = 0; k < nf; k++) {
		f[k].home_id = rq->query_home;
		f[k].state = state;
		if (pt_store_delivery_list(s->st, &f[k], after, out + k * limit, limit, &n[k]) !=
		    PT_OK)
			goto fail;
	}
	memset(&c, 0, sizeof(c));
	arr = json_array();
	while (count < limit) {
		const struct pt_delivery *best = NULL;
		for (k = 0; k < nf; k++)
			if (pos[k] < n[k] &&
			    (best == NULL || out[k * limit + pos[k]].rowid < best->rowid))
				best = &out[k * limit + pos[k]];
		if (best == NULL)
			break;
		if (strcmp(c.id, best->carrier_id) != 0 &&
		    pt_store_carrier_get(s->st, best->carrier_id, &c) != PT_OK)
			memset(&c, 0, sizeof(c));
		if ((item = delivery_json(s, best, c.name, false)) == NULL)
			goto fail;
		json_array_append_new(arr, item);
		last = best->rowid;
		count++;
		/* one delivery may come from two queries: take it once */
		for (k = 0; k < nf; k++)
			while (pos[k] < n[k] && out[k * limit + pos[k]].rowid <= last)
				pos[k]++;
	}
	free(out);
	rp->status = 200;
	rp->body = page_json("deliveries", arr, count, limit, last);
	return;
fail:
	free(out);
	json_decref(arr);
	fail_internal(rp);
}

/* ---- actions ---- */

static void
dispatch(struct server *s, struct request *rq, struct reply *rp, const struct view *v)
{
	struct pt_req_dispatch r;
	struct pt_api_err e;
	struct pt_courier *co = NULL;
	struct pt_delivery d;
	uint8_t from;
	int x;

	if (!v->carrier_admin) {
		forbidden(rp, "only the carrier's admin dispatches a delivery");
		return;
	}
	if (!need_json(rq, rp))
		return;
	if (pt_req_dispatch_decode(rq->body, rq->len, &r, &e) != PT_OK) {
		fail_api(rp, &e);
		return;
	}
	if ((co = malloc(sizeof(*co))) == NULL) {
		fail_internal(rp);
		return;
	}
	if (pt_store_begin(s->st) != PT_OK) {
		fail_internal(rp);
		goto out;
	}
	if (!tx_read(s, rp, v->d.id, &d))
		goto out;
	if (d.state != PT_D_SCHEDULED) {
		pt_store_rollback(s->st);
		wrong_state(rp, &d, "only a scheduled delivery is dispatched");
		goto out;
	}
	x = pt_store_courier_get(s->st, r.courier, co);
	if (x != PT_OK || strcmp(co->carrier_id, d.carrier_id) != 0 || !co->active) {
		pt_store_rollback(s->st);
		if (x != PT_OK && x != PT_ENOTFOUND)
			fail_internal(rp);
		else
			fail(rp, 400, "invalid-field", "courier",
			     "'courier' is not an active courier of the carrier");
		goto out;
	}
	from = d.state;
	d.state = PT_D_OUT;
	d.courier = r.courier;
	d.updated_at = now_utc();
	if (!tx_finish(s, rq, rp, &d, from, "delivery.out-for-delivery", "delivery.dispatch",
		       json_pack("{s:s,s:I}", "delivery_id", d.id, "courier", (json_int_t)d.courier)))
		goto out;
	reply_delivery(s, rp, 200, d.id, v->c.name);
out:
	free(co);
}

static void
approve(struct server *s, struct request *rq, struct reply *rp, const struct view *v)
{
	struct pt_delivery d;

	if (v->home_role != PT_HOME_OWNER) {
		forbidden(rp, "only the home's owners approve a delivery");
		return;
	}
	if (!empty_body(rq, rp))
		return;
	if (pt_store_begin(s->st) != PT_OK) {
		fail_internal(rp);
		return;
	}
	if (!tx_read(s, rp, v->d.id, &d))
		return;
	if (d.approval != PT_APPROVAL_PENDING ||
	    (BIT(d.state) & (BIT(PT_D_SCHEDULED) | BIT(PT_D_OUT) | BIT(PT_D_AT_DOOR))) == 0) {
		pt_store_rollback(s->st);
		if (d.approval != PT_APPROVAL_PENDING)
			fail(rp, 409, "wrong-state", NULL, "the delivery awaits no approval");
		else
			wrong_state(rp, &d, "it is too late to approve it");
		return;
	}
	d.approval = PT_APPROVAL_APPROVED;
	d.updated_at = now_utc();
	/* not a state change, but the owner's decision belongs on the timeline */
	if (!tx_finish(s, rq, rp, &d, d.state, "delivery.approved", "delivery.approve",
		       json_pack("{s:s}", "delivery_id", d.id)))
		return;
	reply_delivery(s, rp, 200, d.id, v->c.name);
}

/* refuse, cancel, fail, complete: a move to `to` from one of `from_mask`. */
static void
move(struct server *s, struct request *rq, struct reply *rp, const struct view *v, unsigned from_mask,
     uint8_t to, const char *action, bool takes_reason)
{
	struct pt_req_reason r;
	struct pt_delivery d;
	char ev[PT_EVENT_TYPE_MAX + 1];
	uint8_t from;

	memset(&r, 0, sizeof(r));
	if (takes_reason ? !reason_body(rq, rp, &r) : !empty_body(rq, rp))
		return;
	if (pt_store_begin(s->st) != PT_OK) {
		fail_internal(rp);
		return;
	}
	if (!tx_read(s, rp, v->d.id, &d))
		return;
	if ((BIT(d.state) & from_mask) == 0) {
		pt_store_rollback(s->st);
		wrong_state(rp, &d, to == PT_D_REFUSED && d.state == PT_D_ISSUED
					    ? "too late to refuse: revoke the credential's token id"
					    : "this action is not possible now");
		return;
	}
	from = d.state;
	d.state = to;
	if (takes_reason)
		memcpy(d.reason, r.reason, sizeof(d.reason));
	d.updated_at = now_utc();
	(void)snprintf(ev, sizeof(ev), "delivery.%s", pt_dstate_name(to));
	if (!tx_finish(s, rq, rp, &d, from, ev, action, json_pack("{s:s}", "delivery_id", d.id)))
		return;
	reply_delivery(s, rp, 200, d.id, v->c.name);
}

/*
 * Inside a transaction: the alert's event (type courier-panic, as the
 * alert) and the alert. record_event (api.h) does not give the alert's id
 * back, which the answer needs, so this does the same two writes itself.
 */
static int
raise_panic(struct server *s, const struct pt_delivery *d, int64_t courier, const char *reason,
	    int64_t *alert_id)
{
	struct pt_event_row ev;
	struct pt_alert_row al;
	json_t *data = json_pack("{s:s,s:I}", "delivery_id", d->id, "courier", (json_int_t)courier);
	size_t n;
	int r;

	if (reason[0] != '\0')
		json_object_set_new(data, "reason", json_string(reason));
	memset(&ev, 0, sizeof(ev));
	n = json_dumpb(data, ev.data, sizeof(ev.data) - 1, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(data);
	if (n == 0 || n >= sizeof(ev.data))
		return PT_EINVAL;
	ev.data[n] = '\0';
	memcpy(ev.home_id, d->home_id, sizeof(ev.home_id));
	(void)snprintf(ev.type, sizeof(ev.type), "courier-panic");
	(void)snprintf(ev.source, sizeof(ev.source), "server");
	ev.at = now_utc();
	if ((r = pt_store_event_append(s->st, &ev)) != PT_OK)
		return r;
	memset(&al, 0, sizeof(al));
	memcpy(al.home_id, ev.home_id, sizeof(al.home_id));
	(void)snprintf(al.type, sizeof(al.type), "courier-panic");
	memcpy(al.data, ev.data, sizeof(al.data));
	al.at = ev.at;
	al.event_id = ev.id;
	if ((r = pt_store_alert_insert(s->st, &al)) != PT_OK)
		return r;
	*alert_id = al.id;
	return PT_OK;
}

static void
panic(struct server *s, struct request *rq, struct reply *rp, const struct view *v)
{
	struct pt_req_reason r;
	char target[PT_ID_MAX + 8];
	int64_t alert_id = 0;

	if (!v->courier) {
		forbidden(rp, "only the assigned courier raises a panic alert");
		return;
	}
	if (!reason_body(rq, rp, &r))
		return;
	if (pt_store_begin(s->st) != PT_OK) {
		fail_internal(rp);
		return;
	}
	if (raise_panic(s, &v->d, rq->actor, r.reason, &alert_id) != PT_OK) {
		pt_store_rollback(s->st);
		fail_internal(rp);
		return;
	}
	home_target(target, sizeof(target), v->d.home_id);
	if (!commit_audited(s, rq, rp, "delivery.panic", target,
			    json_pack("{s:s,s:I}", "delivery_id", v->d.id, "alert_id",
				      (json_int_t)alert_id)))
		return;
	plog(LOG_WARN_, "event=courier_panic id=%s delivery=%s alert=%lld", rq->id, v->d.id,
	     (long long)alert_id);
	rp->status = 202;
	rp->body = json_pack("{s:I}", "alert_id", (json_int_t)alert_id);
}

/* ---- issuing ---- */

/* Revoked token ids and keys of a home (malloc'd arrays); *version gets
 * the newest revocation read (0: none). */
struct revoked {
	uint8_t (*ctis)[PT_CTI_LEN];
	uint8_t (*keys)[PT_PK_LEN];
	size_t n_ctis, n_keys;
};

static void
revoked_release(struct revoked *rv)
{
	free(rv->ctis);
	free(rv->keys);
	memset(rv, 0, sizeof(*rv));
}

static int
revoked_load(struct server *s, const char *home_id, struct revoked *rv, int64_t *version)
{
	struct pt_revocation_row *rows = malloc(REVOCATION_BATCH * sizeof(*rows));
	int64_t since = 0;
	size_t n = 0, i, cap_c = 0, cap_k = 0;
	void *p;
	int r = PT_OK;

	memset(rv, 0, sizeof(*rv));
	if (rows == NULL)
		return PT_ENOMEM;
	do {
		if ((r = pt_store_revocation_list(s->st, home_id, since, rows, REVOCATION_BATCH,
						  &n)) != PT_OK)
			break;
		for (i = 0; i < n && r == PT_OK; i++) {
			since = rows[i].version;
			if (rows[i].kind == PT_REVOKE_TOKEN && rows[i].target_len == PT_CTI_LEN) {
				if (rv->n_ctis == cap_c) {
					cap_c = cap_c ? 2 * cap_c : 16;
					if ((p = realloc(rv->ctis, cap_c * PT_CTI_LEN)) == NULL) {
						r = PT_ENOMEM;
						break;
					}
					rv->ctis = p;
				}
				memcpy(rv->ctis[rv->n_ctis++], rows[i].target, PT_CTI_LEN);
			} else if (rows[i].kind == PT_REVOKE_KEY && rows[i].target_len == PT_PK_LEN) {
				if (rv->n_keys == cap_k) {
					cap_k = cap_k ? 2 * cap_k : 16;
					if ((p = realloc(rv->keys, cap_k * PT_PK_LEN)) == NULL) {
						r = PT_ENOMEM;
						break;
					}
					rv->keys = p;
				}
				memcpy(rv->keys[rv->n_keys++], rows[i].target, PT_PK_LEN);
			}
		}
	} while (r == PT_OK && n == REVOCATION_BATCH);
	free(rows);
	*version = r == PT_OK ? since : 0;
	if (r != PT_OK)
		revoked_release(rv);
	return r;
}

static bool
key_revoked(const struct revoked *rv, const uint8_t pk[PT_PK_LEN])
{
	size_t i;

	for (i = 0; i < rv->n_keys; i++)
		if (memcmp(rv->keys[i], pk, PT_PK_LEN) == 0)
			return true;
	return false;
}

/* Is any token id or key of the chain revoked (the owner key that signed
 * the first link included, found by its key id), or the carrier's key? */
static bool
chain_revoked(const struct revoked *rv, const struct pt_chain *c, const uint8_t carrier[PT_PK_LEN])
{
	uint8_t kid[PT_KID_LEN];
	size_t i, k;

	if (key_revoked(rv, carrier))
		return true;
	for (i = 0; i < c->n; i++) {
		for (k = 0; k < rv->n_ctis; k++)
			if (memcmp(rv->ctis[k], c->link[i].g.cti, PT_CTI_LEN) == 0)
				return true;
		if (key_revoked(rv, c->link[i].g.holder))
			return true;
	}
	for (k = 0; k < rv->n_keys; k++) {
		pt_kid(pt_crypto_sodium(), rv->keys[k], kid);
		if (memcmp(kid, c->link[0].g.kid, PT_KID_LEN) == 0)
			return true;
	}
	return false;
}

/* pt_issue_leaf's answers that mean "this delegation does not cover now":
 * try the next one. */
static bool
delegation_unusable(int r)
{
	switch (r) {
	case PT_ENOTYET: case PT_EEXPIRED: case PT_ESCHEDULE: case PT_EWIDENED:
	case PT_EMALFORMED: case PT_EBROKENCHAIN: case PT_ECHAINLEN: case PT_ETOOBIG:
	case PT_EUNSUPPORTED:
		return true;
	default:
		return false;
	}
}

/* Everything issuing needs, allocated once per request. */
struct issuing {
	struct pt_home home;
	struct pt_home home_tx;		/* the home again, read in the transaction */
	struct pt_policy pol;
	struct pt_courier courier;
	uint8_t deleg[PT_CHAIN_SIZE_MAX];	/* the delegation used (a stored chain) */
	size_t deleg_len;
	struct pt_chain chain;		/* deleg decoded and verified (borrows deleg) */
	struct pt_chain issued;		/* out decoded (borrows out) */
	struct pt_grant_row row;
	uint8_t out[PT_CHAIN_SIZE_MAX];	/* the new chain */
	size_t out_len;
	uint8_t cti[PT_CTI_LEN];
	int64_t rev_version;		/* the newest revocation the checks saw */
};

enum { ISSUED = 0, NOT_ISSUED = 1, ISSUE_FAILED = 2 };

/* The links are the same bytes (so the same signatures over the same claims). */
static bool
same_link(const struct pt_link *a, const struct pt_link *b)
{
	const struct pt_sign1 *x = &a->cose, *y = &b->cose;

	return x->prot_len == y->prot_len && x->unprot_len == y->unprot_len &&
	       x->payload_len == y->payload_len && x->sig_len == y->sig_len &&
	       x->tagged == y->tagged && memcmp(x->prot, y->prot, x->prot_len) == 0 &&
	       memcmp(x->unprot, y->unprot, x->unprot_len) == 0 &&
	       memcmp(x->payload, y->payload, x->payload_len) == 0 &&
	       memcmp(x->sig, y->sig, x->sig_len) == 0;
}

/*
 * Is w->chain (decoded from w->deleg) rooted in one of roots, every link
 * signed by the previous holder and narrowing? pt_chain_verify, or its
 * remembered answer: cache.c keeps the SHA-256 of the chain's bytes and of
 * the root set that verified, a fact about bytes alone (no store state), so
 * it holds for a shared store too and needs no invalidation; a change of
 * the home's owner keys changes the digest. Revocations and time are
 * checked on every issue, outside it.
 */
static int
delegation_verify(struct server *s, struct issuing *w, const uint8_t (*roots)[PT_PK_LEN],
		  size_t n_roots)
{
	uint8_t digest[PT_HASH_LEN], *buf;
	size_t len = w->deleg_len + n_roots * PT_PK_LEN;
	int link, x;

	if ((buf = malloc(len)) == NULL)
		return PT_ENOMEM;
	memcpy(buf, w->deleg, w->deleg_len);
	if (n_roots > 0)
		memcpy(buf + w->deleg_len, roots, n_roots * PT_PK_LEN);
	pt_crypto_sodium()->sha256(digest, buf, len);
	free(buf);
	if (cache_verified_has(s->cache, digest))
		return PT_OK;
	if ((x = pt_chain_verify(pt_crypto_sodium(), &w->chain, roots, n_roots, &link)) == PT_OK)
		cache_verified_put(s->cache, digest);
	return x;
}

/*
 * The chain w->out, just signed, is what a hub would accept: decoded, its
 * first links byte for byte the delegation verified above, its new last
 * link signed by the delegation's holder (pt_chain_verify of that link
 * alone with that key as its root) and narrowing the delegation's last
 * link, for dev and cti. As strong as verifying the whole chain again, for
 * one signature check instead of one per link.
 */
static int
issued_verify(struct issuing *w, const uint8_t dev_pk[PT_PK_LEN])
{
	const struct pt_chain *p = &w->chain, *c = &w->issued;
	const struct pt_grant *parent = &p->link[p->n - 1].g, *leaf;
	const uint8_t (*holder)[PT_PK_LEN] = &parent->holder;
	struct pt_chain one;
	int x, link;
	size_t i;

	if ((x = pt_chain_decode(w->out, w->out_len, &w->issued)) != PT_OK)
		return x;
	if (c->n != p->n + 1)
		return PT_EBROKENCHAIN;
	for (i = 0; i < p->n; i++)
		if (!same_link(&c->link[i], &p->link[i]))
			return PT_EBROKENCHAIN;
	memset(&one, 0, sizeof(one));
	one.n = 1;
	one.link[0] = c->link[c->n - 1];
	leaf = &one.link[0].g;
	if ((x = pt_chain_verify(pt_crypto_sodium(), &one, holder, 1, &link)) != PT_OK ||
	    (x = pt_grant_narrows(parent, leaf)) != PT_OK)
		return x;
	if (memcmp(leaf->cti, w->cti, PT_CTI_LEN) != 0 ||
	    memcmp(leaf->holder, dev_pk, PT_PK_LEN) != 0)
		return PT_EINVAL;
	return PT_OK;
}

/*
 * Outside any transaction, for d (read just before, at the door or about
 * to be) and dev the courier's device: check the conditions of docs/api.md
 * in their order and, if they all hold, sign the leaf and verify it into
 * w->out. have_home: w->home holds d's home, read just before (arrive
 * did). ISSUED (w->out, w->issued, w->rev_version and w->home/courier:
 * what issue_holds re-checks in the transaction); NOT_ISSUED with *note;
 * ISSUE_FAILED (a server fault, logged).
 */
static int
issue_prepare(struct server *s, struct request *rq, const struct pt_carrier *c,
	      const struct pt_delivery *d, const struct pt_device *dev, int64_t now,
	      bool have_home, struct issuing *w, struct issue_note *note)
{
	static const size_t batch[] = {4, GRANTS_SCAN_MAX};	/* the newest first */
	struct pt_grant_row *rows = NULL;
	struct pt_secret *sec = NULL;
	struct pt_signer sg;
	struct revoked rv;
	struct pt_tz *zone = NULL;
	uint8_t (*roots)[PT_PK_LEN] = NULL;
	size_t n_rows = 0, n_roots = 0, seen = 0, b, i;
	int64_t issue_window, window;
	int ret = ISSUE_FAILED, x = PT_OK;
	bool found = false;

	memset(&rv, 0, sizeof(rv));
	memset(&sg, 0, sizeof(sg));
	if (!d->in_home) {
		note_set(note, "not-in-home",
			 "the delivery is not in-home: leave the parcel at the door");
		return NOT_ISSUED;
	}
	if ((!have_home && (x = home_read(s, d->home_id, rq->actor, &w->home)) != PT_OK) ||
	    pt_policy_from_json(w->home.policy, &w->pol) != PT_OK) {
		plog(LOG_ERR_, "event=issue_failed id=%s delivery=%s what=home err=%s", rq->id,
		     d->id, pt_err_code(x));
		return ISSUE_FAILED;
	}
	zone = zone_load(s, w->home.tz);
	if (!w->pol.in_home_delivery || !policy_lists(&w->pol, c->id) ||
	    !hours_admit(&w->pol, zone, now)) {
		note_set(note, "not-accepted",
			 "the home does not accept in-home delivery from this carrier at this hour");
		ret = NOT_ISSUED;
		goto out;
	}
	if (d->approval == PT_APPROVAL_PENDING) {
		note_set(note, "approval-pending",
			 "the home's owner has not approved this in-home delivery yet");
		ret = NOT_ISSUED;
		goto out;
	}
	if (!c->hosted) {
		note_set(note, "carrier-issues",
			 "the carrier issues credentials from its own systems");
		ret = NOT_ISSUED;
		goto out;
	}
	if ((x = pt_store_courier_get(s->st, d->courier, &w->courier)) != PT_OK &&
	    x != PT_ENOTFOUND)
		goto out;
	if (x != PT_OK || !w->courier.active || strcmp(w->courier.carrier_id, c->id) != 0) {
		note_set(note, "courier-inactive", "the courier is not active with the carrier");
		ret = NOT_ISSUED;
		goto out;
	}
	if ((x = revoked_load(s, d->home_id, &rv, &w->rev_version)) != PT_OK ||
	    (roots = load_roots(s, d->home_id, &n_roots)) == NULL)
		goto out;
	pthread_rwlock_rdlock(&s->cfg_lock);
	issue_window = s->cfg.issue_window;
	pthread_rwlock_unlock(&s->cfg_lock);
	window = d->window_end - now;
	if (window > issue_window)
		window = issue_window;
	if (window <= 0 || window > UINT32_MAX) {
		note_set(note, "outside-window", "the delivery's window is over");
		ret = NOT_ISSUED;
		goto out;
	}
	pt_random(w->cti, sizeof(w->cti));
	/* The delegations: grants whose last link is the carrier's, for
	 * delivery; a few first, as the newest usually covers now. */
	for (b = 0; b < sizeof(batch) / sizeof(batch[0]) && !found; b++) {
		free(rows);
		if ((rows = malloc(batch[b] * sizeof(*rows))) == NULL) {
			x = PT_ENOMEM;
			goto out;
		}
		if ((x = pt_store_grant_list_by_holder(s->st, d->home_id, c->pk, rows, batch[b],
						       &n_rows)) != PT_OK)
			goto out;
		for (i = seen; i < n_rows && !found; i++) {
			const struct pt_grant_row *g = &rows[i];
			const struct pt_grant *last;

			if (memcmp(g->holder, c->pk, PT_PK_LEN) != 0 ||
			    g->purpose != PT_PURPOSE_DELIVERY || (g->exp != 0 && g->exp <= now) ||
			    g->chain_len > sizeof(w->deleg))
				continue;
			memcpy(w->deleg, g->chain, g->chain_len);
			w->deleg_len = g->chain_len;
			if (pt_chain_decode(w->deleg, w->deleg_len, &w->chain) != PT_OK)
				continue;
			last = &w->chain.link[w->chain.n - 1].g;
			/* The home's policy may demand the camera and the alarm's
			 * entry-zone bypass: a delegation without them is not used. */
			if ((w->pol.camera_required && !(last->cond & PT_COND_CAMERA)) ||
			    (w->pol.alarm_bypass_required && !(last->cond & PT_COND_ALARM_BYPASS)))
				continue;
			if (memcmp(last->holder, c->pk, PT_PK_LEN) != 0 ||
			    last->purpose != PT_PURPOSE_DELIVERY ||
			    strcmp(w->chain.link[0].g.aud, d->home_id) != 0 ||
			    chain_revoked(&rv, &w->chain, c->pk))
				continue;
			/* rooted in an owner key the home still has */
			if (delegation_verify(s, w, (const uint8_t (*)[PT_PK_LEN])roots, n_roots) !=
			    PT_OK)
				continue;
			if (sec == NULL) {
				if ((x = carrier_secret_open(s, c, &sec)) != PT_OK)
					goto out;
				pt_signer_sodium(&sg, sec);
				if (memcmp(sg.pk, c->pk, PT_PK_LEN) != 0) {
					x = PT_EBADSIG;
					goto out;
				}
			}
			x = pt_issue_leaf(pt_crypto_sodium(), &sg, w->deleg, w->deleg_len, dev->pk,
					  w->cti, now, (uint32_t)window, zone,
					  zone != NULL ? w->home.tz : NULL, w->out, sizeof(w->out),
					  &w->out_len);
			if (x == PT_OK)
				found = true;
			else if (!delegation_unusable(x))
				goto out;
		}
		if (n_rows < batch[b])
			break;
		seen = n_rows;
	}
	if (n_rows == GRANTS_SCAN_MAX && !found)
		plog(LOG_INFO_, "event=delegations_truncated id=%s home=%s max=%d", rq->id,
		     d->home_id, GRANTS_SCAN_MAX);
	pt_secret_free(sec);	/* the carrier's key is not needed past signing */
	sec = NULL;
	if (!found) {
		x = PT_OK;
		note_set(note, "no-delegation",
			 "no owner delegation to the carrier covers this delivery now");
		ret = NOT_ISSUED;
		goto out;
	}
	/* Never hand out what a hub would refuse. */
	if ((x = issued_verify(w, dev->pk)) != PT_OK)
		goto out;
	ret = ISSUED;
out:
	pt_secret_free(sec);
	if (ret == ISSUE_FAILED)
		plog(LOG_ERR_, "event=issue_failed id=%s delivery=%s err=%s", rq->id, d->id,
		     pt_err_code(x));
	revoked_release(&rv);
	free(roots);
	free(rows);
	free(zone);
	return ret;
}

/*
 * Inside the transaction, after d was read in it: does what issue_prepare
 * decided on still hold? No revocation since, the same policy and zone,
 * the courier still active with the carrier (the delivery itself and the
 * device are compared by the caller). PT_OK; PT_ECONFLICT: something
 * changed (the caller rolls back and prepares again); a store error.
 */
static int
issue_holds(struct server *s, const struct pt_delivery *d, struct issuing *w)
{
	struct pt_courier co;
	int64_t version = 0;
	int x;

	if ((x = pt_store_revocation_newest(s->st, d->home_id, &version)) != PT_OK ||
	    (x = pt_store_home_by_id(s->st, d->home_id, &w->home_tx)) != PT_OK ||
	    (x = pt_store_courier_get(s->st, d->courier, &co)) != PT_OK)
		return x == PT_ENOTFOUND ? PT_ECONFLICT : x;
	if (version != w->rev_version || strcmp(w->home_tx.policy, w->home.policy) != 0 ||
	    strcmp(w->home_tx.tz, w->home.tz) != 0 || !co.active ||
	    strcmp(co.carrier_id, w->courier.carrier_id) != 0)
		return PT_ECONFLICT;
	return PT_OK;
}

/*
 * Inside the transaction: store the prepared chain as a grant of the home
 * and move d (at the door) to credential-issued with its event and audit
 * row (not committed). PT_OK or a store error (the caller rolls back).
 */
static int
issue_store(struct server *s, struct request *rq, struct pt_delivery *d,
	    const struct pt_device *dev, int64_t now, struct issuing *w)
{
	const struct pt_grant *leaf = &w->issued.link[w->issued.n - 1].g;
	char tok[2 * PT_CTI_LEN + 1], target[PT_ID_MAX + 8];
	int x;

	memset(&w->row, 0, sizeof(w->row));
	memcpy(w->row.home_id, d->home_id, sizeof(w->row.home_id));
	memcpy(w->row.chain, w->out, w->out_len);
	w->row.chain_len = w->out_len;
	memcpy(w->row.cti, leaf->cti, PT_CTI_LEN);
	memcpy(w->row.holder, leaf->holder, PT_PK_LEN);
	w->row.n_links = w->issued.n;
	w->row.purpose = leaf->purpose;
	w->row.exp = leaf->has_exp ? leaf->exp : 0;
	(void)snprintf(w->row.label, sizeof(w->row.label), "delivery %s", d->id);
	w->row.created_by = rq->actor;
	w->row.created_at = now;
	if ((x = pt_store_grant_insert(s->st, &w->row)) != PT_OK)
		return x;
	d->state = PT_D_ISSUED;
	d->has_token = true;
	memcpy(d->token_id, leaf->cti, PT_CTI_LEN);
	d->device = dev->id;
	d->updated_at = now;
	if ((x = pt_store_delivery_update(s->st, d, PT_D_AT_DOOR, rq->actor)) != PT_OK ||
	    (x = record_event(s, d->home_id, "delivery.credential-issued",
			      json_pack("{s:s}", "delivery_id", d->id), NULL)) != PT_OK)
		return x;
	hex(d->token_id, PT_CTI_LEN, tok);
	home_target(target, sizeof(target), d->home_id);
	return audit_append(s, rq, "delivery.issue", target,
			    json_pack("{s:s,s:s,s:I}", "delivery_id", d->id, "token_id", tok,
				      "device", (json_int_t)dev->id));
}

/* The answer of arrive and credential: the delivery, "credential" and "issue". */
static void
reply_issue(struct server *s, struct reply *rp, const char *id, const char *carrier_name,
	    const uint8_t *cred, size_t cred_len, const struct issue_note *note)
{
	reply_delivery(s, rp, 200, id, carrier_name);
	if (rp->status != 200)
		return;
	json_object_set_new(rp->body, "credential",
			    cred != NULL ? b64_json(cred, cred_len) : json_null());
	json_object_set_new(rp->body, "issue",
			    note != NULL ? json_pack("{s:s,s:s}", "code", note->code, "message",
						     note->message)
					 : json_null());
}

/* What the preparation read and the transaction must find unchanged. */
static bool
delivery_same(const struct pt_delivery *a, const struct pt_delivery *b)
{
	return a->state == b->state && a->courier == b->courier && a->approval == b->approval &&
	       a->in_home == b->in_home && a->window_start == b->window_start &&
	       a->window_end == b->window_end && a->updated_at == b->updated_at &&
	       strcmp(a->package_id, b->package_id) == 0 &&
	       strcmp(a->carrier_id, b->carrier_id) == 0;
}

#define ISSUE_ATTEMPTS 3	/* preparations redone when the store moved meanwhile */

/*
 * POST /credential: issue now for a delivery at the door. The checks and
 * the cryptography run first, outside the store's transaction (which
 * would otherwise hold every other writer behind a millisecond of
 * signatures); the transaction then reads the delivery again and what the
 * credential rests on, and stores it only if nothing changed (else it
 * prepares again), so a refusal or a revocation that commits first is
 * never overtaken by a credential.
 */
static void
credential(struct server *s, struct request *rq, struct reply *rp, const struct view *v)
{
	struct pt_req_credential r;
	struct pt_api_err e;
	struct issuing *w = NULL;
	struct issue_note note;
	struct pt_delivery d, d2;
	struct pt_device dev;
	char tok[2 * PT_CTI_LEN + 1];
	int64_t now;
	int x, st, attempt;

	if (!v->courier) {
		forbidden(rp, "only the assigned courier asks for the credential");
		return;
	}
	if (!need_json(rq, rp))
		return;
	if (pt_req_credential_decode(rq->body, rq->len, &r, &e) != PT_OK) {
		fail_api(rp, &e);
		return;
	}
	if ((w = malloc(sizeof(*w))) == NULL) {
		fail_internal(rp);
		return;
	}
	for (attempt = 0;; attempt++) {
		memset(&note, 0, sizeof(note));
		if ((x = pt_store_delivery_get(s->st, v->d.id, &d)) != PT_OK) {
			fail_store(rp, x, NULL, NULL);
			goto out;
		}
		now = now_utc();
		if (d.state != PT_D_AT_DOOR || d.courier != rq->actor) {
			if (d.courier != rq->actor)
				conflict(rp);
			else
				wrong_state(rp, &d, d.state == PT_D_ISSUED
							    ? "a credential was issued already"
							    : "a credential is issued only at the door");
			goto out;
		}
		if ((x = pt_store_device_by_pk(s->st, rq->actor, r.device_pk, &dev)) != PT_OK) {
			if (x == PT_ENOTFOUND)
				fail(rp, 400, "invalid-field", "device_key",
				     "'device_key' is not one of your enrolled devices");
			else
				fail_internal(rp);
			goto out;
		}
		if (now < d.window_start || now >= d.window_end) {
			fail(rp, 409, "outside-window", NULL, "now is outside the delivery's window");
			goto out;
		}
		st = issue_prepare(s, rq, &v->c, &d, &dev, now, false, w, &note);
		if (st == ISSUE_FAILED) {
			fail_internal(rp);
			goto out;
		}
		if (st == NOT_ISSUED) {
			/* nothing to write: the answer says why */
			reply_issue(s, rp, d.id, v->c.name, NULL, 0, &note);
			goto out;
		}
		if (pt_store_begin(s->st) != PT_OK) {
			fail_internal(rp);
			goto out;
		}
		if (!tx_read(s, rp, v->d.id, &d2))
			goto out;
		x = delivery_same(&d, &d2) ? PT_OK : PT_ECONFLICT;
		if (x == PT_OK && (x = pt_store_device_by_pk(s->st, rq->actor, r.device_pk, &dev)) ==
					  PT_ENOTFOUND)
			x = PT_ECONFLICT;
		if (x == PT_OK)
			x = issue_holds(s, &d2, w);
		if (x == PT_OK)
			break;
		pt_store_rollback(s->st);
		if (x != PT_ECONFLICT || attempt + 1 == ISSUE_ATTEMPTS) {
			if (x == PT_ECONFLICT)
				conflict(rp);
			else
				fail_internal(rp);
			goto out;
		}
	}
	if ((x = issue_store(s, rq, &d2, &dev, now, w)) != PT_OK) {
		pt_store_rollback(s->st);
		if (x == PT_ECONFLICT)
			conflict(rp);
		else
			fail_internal(rp);
		goto out;
	}
	if (pt_store_commit(s->st) != PT_OK) {
		fail_internal(rp);
		goto out;
	}
	hex(d2.token_id, PT_CTI_LEN, tok);
	plog(LOG_INFO_, "event=credential_issued id=%s delivery=%s token=%s", rq->id, d2.id, tok);
	reply_issue(s, rp, d2.id, v->c.name, w->out, w->out_len, NULL);
out:
	free(w);
}

/*
 * POST /arrive: the courier is at the door; the delivery moves to
 * at-the-door and porterd tries to issue, both in one transaction (one
 * durable commit). As for /credential, the checks and the cryptography
 * come first, outside the transaction, and the transaction commits only if
 * the delivery and what the credential rests on are unchanged.
 */
static void
arrive(struct server *s, struct request *rq, struct reply *rp, const struct view *v)
{
	struct pt_req_arrive r;
	struct pt_api_err e;
	struct pt_delivery d, d2;
	struct pt_device dev;
	struct issuing *w = NULL;
	struct issue_note note;
	char target[PT_ID_MAX + 8], tok[2 * PT_CTI_LEN + 1];
	unsigned radius;
	int64_t now;
	int x, st, attempt;

	if (!v->courier) {
		forbidden(rp, "only the assigned courier reports arrival");
		return;
	}
	if (!need_json(rq, rp))
		return;
	if (pt_req_arrive_decode_lookup(rq->body, rq->len, &r, &e) != PT_OK) {
		fail_api(rp, &e);
		return;
	}
	if ((w = malloc(sizeof(*w))) == NULL) {
		fail_internal(rp);
		return;
	}
	for (attempt = 0;; attempt++) {
		memset(&note, 0, sizeof(note));
		if ((x = pt_store_delivery_get(s->st, v->d.id, &d)) != PT_OK) {
			fail_store(rp, x, NULL, NULL);
			goto out;
		}
		now = now_utc();
		/* docs/api.md's order; each failure changes nothing */
		if (d.state != PT_D_OUT || d.courier != rq->actor) {
			if (d.courier != rq->actor)
				conflict(rp);
			else
				wrong_state(rp, &d, "arrival is reported while out for delivery");
			goto out;
		}
		if ((x = pt_store_device_by_pk(s->st, rq->actor, r.device_pk, &dev)) != PT_OK) {
			if (x == PT_ENOTFOUND)
				fail(rp, 400, "invalid-field", "device_key",
				     "'device_key' is not one of your enrolled devices");
			else
				fail_internal(rp);
			goto out;
		}
		if (strlen(r.package_id) != strlen(d.package_id) ||
		    !pt_ct_equal((const uint8_t *)r.package_id, (const uint8_t *)d.package_id,
				 strlen(d.package_id))) {
			fail(rp, 409, "package-mismatch", "package_id",
			     "the package id scanned is not this delivery's");
			goto out;
		}
		if (now < d.window_start || now >= d.window_end) {
			fail(rp, 409, "outside-window", NULL, "now is outside the delivery's window");
			goto out;
		}
		if ((x = home_read(s, d.home_id, rq->actor, &w->home)) != PT_OK ||
		    !w->home.has_location) {
			if (x == PT_OK || x == PT_ENOTFOUND)
				fail(rp, 409, "no-location", NULL,
				     "the home has no location, so arrival cannot be checked");
			else
				fail_internal(rp);
			goto out;
		}
		pthread_rwlock_rdlock(&s->cfg_lock);
		radius = s->cfg.arrival_radius;
		pthread_rwlock_unlock(&s->cfg_lock);
		if (farther_than(w->home.lat, w->home.lon, r.lat, r.lon, (double)radius)) {
			char m[120];
			(void)snprintf(m, sizeof(m),
				       "the reported position is farther than %u m from the home",
				       radius);
			fail(rp, 403, "too-far", NULL, m);
			goto out;
		}
		/* What issuing sees: the delivery at the door. */
		d2 = d;
		d2.state = PT_D_AT_DOOR;
		st = issue_prepare(s, rq, &v->c, &d2, &dev, now, true, w, &note);
		if (pt_store_begin(s->st) != PT_OK) {
			fail_internal(rp);
			goto out;
		}
		if (!tx_read(s, rp, v->d.id, &d2))
			goto out;
		x = delivery_same(&d, &d2) ? PT_OK : PT_ECONFLICT;
		if (x == PT_OK && (x = pt_store_device_by_pk(s->st, rq->actor, r.device_pk, &dev)) ==
					  PT_ENOTFOUND)
			x = PT_ECONFLICT;
		if (x == PT_OK && st == ISSUED)
			x = issue_holds(s, &d2, w);	/* reads w->home_tx */
		else if (x == PT_OK &&
			 (x = pt_store_home_by_id(s->st, d2.home_id, &w->home_tx)) == PT_ENOTFOUND)
			x = PT_ECONFLICT;
		/* the position was checked against this location */
		if (x == PT_OK && (w->home_tx.has_location != w->home.has_location ||
				   w->home_tx.lat != w->home.lat || w->home_tx.lon != w->home.lon))
			x = PT_ECONFLICT;
		if (x == PT_OK)
			break;
		pt_store_rollback(s->st);
		if (x != PT_ECONFLICT || attempt + 1 == ISSUE_ATTEMPTS) {
			if (x == PT_ECONFLICT)
				conflict(rp);
			else
				fail_internal(rp);
			goto out;
		}
	}
	/* The arrival, then (if prepared) the credential: one commit. */
	d2.state = PT_D_AT_DOOR;
	d2.updated_at = now;
	home_target(target, sizeof(target), d2.home_id);
	if ((x = pt_store_delivery_update(s->st, &d2, PT_D_OUT, rq->actor)) != PT_OK ||
	    (x = record_event(s, d2.home_id, "delivery.at-the-door",
			      json_pack("{s:s}", "delivery_id", d2.id), NULL)) != PT_OK ||
	    (x = audit_append(s, rq, "delivery.arrive", target,
			      json_pack("{s:s,s:I}", "delivery_id", d2.id, "device",
					(json_int_t)dev.id))) != PT_OK ||
	    (st == ISSUED && (x = issue_store(s, rq, &d2, &dev, now, w)) != PT_OK)) {
		pt_store_rollback(s->st);
		if (x == PT_ECONFLICT)
			conflict(rp);
		else
			fail_internal(rp);
		goto out;
	}
	if (pt_store_commit(s->st) != PT_OK) {
		fail_internal(rp);
		goto out;
	}
	stream_notify(s);	/* delivery.at-the-door: live streams look now */
	if (st == ISSUE_FAILED) {
		fail_internal(rp);	/* arrived; issuing failed (logged): /credential retries */
		goto out;
	}
	if (st != ISSUED) {
		reply_issue(s, rp, d2.id, v->c.name, NULL, 0, &note);
		goto out;
	}
	hex(d2.token_id, PT_CTI_LEN, tok);
	plog(LOG_INFO_, "event=credential_issued id=%s delivery=%s token=%s", rq->id, d2.id, tok);
	reply_issue(s, rp, d2.id, v->c.name, w->out, w->out_len, NULL);
out:
	free(w);
}

/* ---- routing ---- */

/* /v1/deliveries/{id}[/action]: rest is "{id}[/action]". */
static void
delivery_sub(struct server *s, struct request *rq, struct reply *rp, const struct pt_account *a,
	     const char *rest)
{
	static const unsigned before_issue =
		BIT(PT_D_SCHEDULED) | BIT(PT_D_OUT) | BIT(PT_D_AT_DOOR);
	char id[PT_ID_MAX + 1];
	const char *slash = strchr(rest, '/'), *act = slash != NULL ? slash + 1 : NULL;
	size_t n = slash != NULL ? (size_t)(slash - rest) : strlen(rest);
	struct view *v;
	int r;

	if (n == 0 || n > PT_ID_MAX || !pt_id_is_valid(rest, n)) {
		not_found(rp);
		return;
	}
	memcpy(id, rest, n);
	id[n] = '\0';
	if ((v = malloc(sizeof(*v))) == NULL) {
		fail_internal(rp);
		return;
	}
	/* Not visible and not there look the same: 404. */
	if ((r = view_load(s, a, id, v)) != PT_OK) {
		if (r == PT_ENOTFOUND)
			not_found(rp);
		else
			fail_internal(rp);
		goto out;
	}
	if (act == NULL) {
		if (!method_is(rq, "GET")) {
			not_allowed(rp, "GET");
			goto out;
		}
		rp->body = delivery_json(s, &v->d, v->c.name, true);
		if (rp->body == NULL)
			fail_internal(rp);
		else
			rp->status = 200;
		goto out;
	}
	if (strcmp(act, "dispatch") != 0 && strcmp(act, "approve") != 0 &&
	    strcmp(act, "refuse") != 0 && strcmp(act, "cancel") != 0 &&
	    strcmp(act, "fail") != 0 && strcmp(act, "complete") != 0 &&
	    strcmp(act, "panic") != 0 && strcmp(act, "arrive") != 0 &&
	    strcmp(act, "credential") != 0) {
		not_found(rp);
		goto out;
	}
	if (!method_is(rq, "POST")) {
		not_allowed(rp, "POST");
		goto out;
	}
	if (strcmp(act, "dispatch") == 0) {
		dispatch(s, rq, rp, v);
	} else if (strcmp(act, "approve") == 0) {
		approve(s, rq, rp, v);
	} else if (strcmp(act, "refuse") == 0) {
		if (v->home_role != PT_HOME_OWNER)
			forbidden(rp, "only the home's owners refuse a delivery");
		else
			move(s, rq, rp, v, before_issue, PT_D_REFUSED, "delivery.refuse", true);
	} else if (strcmp(act, "cancel") == 0) {
		if (!v->carrier_admin)
			forbidden(rp, "only the carrier's admin cancels a delivery");
		else
			move(s, rq, rp, v, before_issue, PT_D_CANCELLED, "delivery.cancel", true);
	} else if (strcmp(act, "fail") == 0) {
		if (!v->courier && !v->carrier_admin)
			forbidden(rp, "only the courier or the carrier's admin report a failure");
		else
			move(s, rq, rp, v, BIT(PT_D_OUT) | BIT(PT_D_AT_DOOR) | BIT(PT_D_ISSUED),
			     PT_D_FAILED, "delivery.fail", true);
	} else if (strcmp(act, "complete") == 0) {
		if (!v->courier)
			forbidden(rp, "only the assigned courier completes a delivery");
		else
			move(s, rq, rp, v, BIT(PT_D_AT_DOOR) | BIT(PT_D_ISSUED) | BIT(PT_D_ENTERED),
			     PT_D_COMPLETED, "delivery.complete", false);
	} else if (strcmp(act, "panic") == 0) {
		panic(s, rq, rp, v);
	} else if (strcmp(act, "arrive") == 0) {
		arrive(s, rq, rp, v);
	} else {
		credential(s, rq, rp, v);
	}
out:
	free(v);
}

void
api_deliveries(struct server *s, struct request *rq, struct reply *rp, const struct pt_account *a,
	       const char *rest)
{
	if (rest[0] == '\0') {
		if (method_is(rq, "POST"))
			delivery_create(s, rq, rp, a);
		else if (method_is(rq, "GET"))
			delivery_list(s, rq, rp, a);
		else
			not_allowed(rp, "GET, POST");
	} else if (rest[0] == '/') {
		delivery_sub(s, rq, rp, a, rest + 1);
	} else {
		not_found(rp);
	}
}
