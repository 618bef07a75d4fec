/*
 * porterd's API for the organisation around deliveries: carriers (and the
 * hosted carriers' sealed keys), couriers, couriers' devices, and under a
 * home: hubs, events and alerts. Same rules as api.c: bodies decoded by
 * lib/proto, envelopes checked by libporter, one store transaction per
 * change with its audit row (and its event where docs/api.md says so).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "porter/cose.h"
#include "porter/envelope.h"
#include "porter/event.h"
#include "porter/proto.h"
#include "porter/text.h"
#include "api.h"
#include "duress.h"
#include "porterd.h"

#define CARRIERS_PER_ADMIN 8
#define DEVICES_PER_COURIER 4
#define HUBS_PER_HOME 8
#define COUNT_PAGE 64			/* rows read at a time when counting */
#define ATTESTATION_SKEW 86400		/* "issued within the last 24 h" */
#define PAIRING_SKEW 600
#define CHAIN_EVENTS PT_STORE_CHAIN_EVENTS_MAX	/* events of one chain answer: 1024 */
#define CHAIN_CPS PT_STORE_CHAIN_CPS_MAX	/* checkpoints of one chain answer: 256 */

/* ---- encodings ---- */

static void
key_id_hex(const uint8_t pk[PT_PK_LEN], char out[2 * PT_KID_LEN + 1])
{
	uint8_t kid[PT_KID_LEN];

	pt_kid(pt_crypto_sodium(), pk, kid);
	hex(kid, sizeof(kid), out);
}

static json_t *
carrier_json(const struct pt_carrier *c)
{
	char kid[2 * PT_KID_LEN + 1];

	key_id_hex(c->pk, kid);
	return json_pack("{s:s,s:s,s:o,s:s,s:b,s:I}", "id", c->id, "name", c->name, "public_key",
			 b64_json(c->pk, PT_PK_LEN), "key_id", kid, "hosted", c->hosted,
			 "created_at", (json_int_t)c->created_at);
}

static json_t *
courier_json(const struct pt_courier *c)
{
	const char *level = pt_level_name(c->level);

	return json_pack("{s:I,s:s,s:s,s:s,s:o,s:b,s:I,s:I}", "account_id", (json_int_t)c->account,
			 "carrier_id", c->carrier_id, "name", c->name, "level",
			 level != NULL ? level : "unknown", "attestation",
			 c->attestation_len > 0 ? b64_json(c->attestation, c->attestation_len)
						: json_null(),
			 "active", c->active, "created_at", (json_int_t)c->created_at, "updated_at",
			 (json_int_t)c->updated_at);
}

static json_t *
device_json(const struct pt_device *d)
{
	char kid[2 * PT_KID_LEN + 1];

	key_id_hex(d->pk, kid);
	return json_pack("{s:I,s:o,s:s,s:s,s:I}", "id", (json_int_t)d->id, "public_key",
			 b64_json(d->pk, PT_PK_LEN), "key_id", kid, "label", d->label, "created_at",
			 (json_int_t)d->created_at);
}

/* The hub's last state (docs/web.md): the JSON porterd itself encoded
 * (pt_mqtt_state_encode) after decoding the hub's message, without its
 * "online" (the hub's own field says it); null before the first, or
 * should the stored text ever not parse. */
static json_t *
hub_state_json(const struct pt_hub *h)
{
	json_t *j;

	if (h->state[0] == '\0')
		return json_null();
	j = json_loads(h->state, JSON_REJECT_DUPLICATES, NULL);
	if (j == NULL || !json_is_object(j)) {
		json_decref(j);
		return json_null();
	}
	json_object_del(j, "online");
	return j;
}

json_t *
hub_json(const struct pt_hub *h)
{
	char kid[2 * PT_KID_LEN + 1];

	key_id_hex(h->pk, kid);
	/* "pairing": the owner-signed pairing statement as stored, for
	 * evidence bundles (docs/clips.md): a verifier checks it itself. */
	/* "confirmed": the hub's own key said it is paired with this home
	 * (docs/mqtt.md, "home"); until then nothing it sends is stored. */
	return json_pack("{s:s,s:o,s:s,s:s,s:I,s:I,s:o,s:b,s:b,s:o,s:o}", "id", h->id, "public_key",
			 b64_json(h->pk, PT_PK_LEN), "key_id", kid, "label", h->label, "paired_by",
			 (json_int_t)h->paired_by, "created_at", (json_int_t)h->created_at,
			 "last_seen", h->last_seen != 0 ? json_integer(h->last_seen) : json_null(),
			 "online", h->online, "confirmed", h->confirmed, "state", hub_state_json(h),
			 "pairing",
			 h->pairing_len > 0 ? b64_json(h->pairing, h->pairing_len) : json_null());
}

/* The data column is canonical JSON text written by porterd or checked on
 * the way in; should it ever not parse, the answer shows {} rather than fail. */
static json_t *
data_json(const char *text)
{
	json_t *j = json_loads(text, JSON_REJECT_DUPLICATES, NULL);

	if (j != NULL && json_is_object(j))
		return j;
	json_decref(j);
	return json_object();
}

static json_t *
event_json(const struct pt_event_row *e)
{
	return json_pack("{s:I,s:I,s:s,s:s,s:o}", "id", (json_int_t)e->id, "at", (json_int_t)e->at,
			 "source", e->source, "type", e->type, "data", data_json(e->data));
}

static json_t *
alert_json(const struct pt_alert_row *a)
{
	return json_pack("{s:I,s:I,s:s,s:o,s:o,s:o,s:o}", "id", (json_int_t)a->id, "at",
			 (json_int_t)a->at, "type", a->type, "data", data_json(a->data), "event_id",
			 a->event_id != 0 ? json_integer(a->event_id) : json_null(), "acked_by",
			 a->acked_by != 0 ? json_integer(a->acked_by) : json_null(), "acked_at",
			 a->acked_by != 0 ? json_integer(a->acked_at) : json_null());
}

/* "<prefix>" and 16 random hex digits into out[PT_ID_MAX + 1]. */
static void
new_id(const char *prefix, char out[PT_ID_MAX + 1])
{
	uint8_t rnd[8];
	size_t n = strlen(prefix);

	pt_random(rnd, sizeof(rnd));
	memcpy(out, prefix, n);
	hex(rnd, sizeof(rnd), out + n);
}

/* One path segment: [p, next '/' or end). Copies it into out (cap bytes)
 * and sets *rest after the '/' (NULL when this was the last segment).
 * false if empty or too long. */
static bool
segment(const char *p, char *out, size_t cap, const char **rest)
{
	const char *slash = strchr(p, '/');
	size_t n = slash != NULL ? (size_t)(slash - p) : strlen(p);

	if (n == 0 || n >= cap)
		return false;
	memcpy(out, p, n);
	out[n] = '\0';
	*rest = slash != NULL ? slash + 1 : NULL;
	return true;
}

/* A positive decimal row id from the path; false if it is not one. */
static bool
path_row_id(const char *s, int64_t *id)
{
	uint64_t v;

	if (pt_uint_parse(s, 1, (uint64_t)INT64_MAX, &v) != PT_OK)
		return false;
	*id = (int64_t)v;
	return true;
}

/* ---- hosted carriers' keys ---- */

int
carrier_secret_open(struct server *s, const struct pt_carrier *c, struct pt_secret **out)
{
	uint8_t seed[PT_SEED_LEN + 16], pk[PT_PK_LEN];
	struct pt_secret *sec = NULL;
	size_t seed_len = 0;
	int r;

	*out = NULL;
	if (!c->hosted || c->sealed_seed_len == 0)
		return PT_EINVAL;
	if (pt_aead_open(s->sealing_key, (const uint8_t *)c->id, strlen(c->id), c->sealed_seed,
			 c->sealed_seed_len, seed, sizeof(seed), &seed_len) != PT_OK ||
	    seed_len != PT_SEED_LEN) {
		r = PT_EBADSIG;
		goto wipe;
	}
	if ((sec = pt_secret_new()) == NULL) {
		r = PT_ENOMEM;
		goto wipe;
	}
	if ((r = pt_secret_from_seed(sec, seed)) != PT_OK)
		goto free_secret;
	pt_secret_public(sec, pk);
	/* The row's key is what owners delegated to: a seed that opens but
	 * makes another key is as bad as one that does not open. */
	if (memcmp(pk, c->pk, PT_PK_LEN) != 0) {
		r = PT_EBADSIG;
		goto free_secret;
	}
	*out = sec;
	sec = NULL;
	r = PT_OK;
free_secret:
	pt_secret_free(sec);
wipe:
	pt_wipe(seed, sizeof(seed));
	return r;
}

/* A fresh key pair for a hosted carrier: public half into c->pk, the seed
 * sealed under the sealing key and bound to c->id into c->sealed_seed. */
static int
carrier_secret_make(struct server *s, struct pt_carrier *c)
{
	struct pt_secret *sec = pt_secret_new();
	int r;

	if (sec == NULL)
		return PT_ENOMEM;
	if ((r = pt_secret_generate(sec)) == PT_OK) {
		pt_secret_public(sec, c->pk);
		r = pt_aead_seal(s->sealing_key, (const uint8_t *)c->id, strlen(c->id),
				 pt_secret_seed(sec), PT_SEED_LEN, c->sealed_seed,
				 sizeof(c->sealed_seed), &c->sealed_seed_len);
	}
	pt_secret_free(sec);	/* wipes the seed */
	if (r != PT_OK) {
		pt_wipe(c->sealed_seed, sizeof(c->sealed_seed));
		c->sealed_seed_len = 0;
	}
	return r;
}

/* ---- carriers ---- */

/* How many carriers the account administers (inside the transaction). */
static int
carriers_of_admin(struct server *s, int64_t admin, size_t *count)
{
	struct pt_carrier *cs = calloc(COUNT_PAGE, sizeof(*cs));
	int64_t after = 0;
	size_t n, i;
	int r = PT_OK;

	*count = 0;
	if (cs == NULL)
		return PT_ENOMEM;
	do {
		if ((r = pt_store_carrier_list(s->st, after, cs, COUNT_PAGE, &n)) != PT_OK)
			break;
		for (i = 0; i < n; i++) {
			if (cs[i].admin == admin)
				(*count)++;
			after = cs[i].rowid;
		}
	} while (n == COUNT_PAGE);
	free(cs);
	return r;
}

static void
carrier_create(struct server *s, struct request *rq, struct reply *rp, const struct pt_account *a)
{
	struct pt_req_carrier r;
	struct pt_carrier c;
	struct pt_api_err e;
	char target[PT_ID_MAX + 16], kid[2 * PT_KID_LEN + 1];
	size_t count = 0;
	int x;

	memset(&c, 0, sizeof(c));
	if (a->role != PT_ROLE_CARRIER_ADMIN) {
		fail(rp, 403, "forbidden", NULL, "only carrier-admin accounts create carriers");
		return;
	}
	if (!need_json(rq, rp))
		return;
	if (pt_req_carrier_decode(rq->body, rq->len, &r, &e) != PT_OK) {
		fail_api(rp, &e);
		return;
	}
	new_id("c-", c.id);
	memcpy(c.name, r.name, sizeof(c.name));
	c.hosted = r.hosted;
	c.admin = a->id;
	c.created_at = now_utc();
	if (r.hosted) {
		if (carrier_secret_make(s, &c) != PT_OK) {
			fail_internal(rp);
			return;
		}
	} else {
		memcpy(c.pk, r.pk, PT_PK_LEN);
	}
	if (pt_store_begin(s->st) != PT_OK) {
		fail_internal(rp);
		return;
	}
	/* Counted inside the transaction, so two requests cannot both pass. */
	if ((x = carriers_of_admin(s, a->id, &count)) != PT_OK || count >= CARRIERS_PER_ADMIN) {
		pt_store_rollback(s->st);
		if (x != PT_OK)
			fail_internal(rp);
		else
			fail(rp, 409, "limit-reached", NULL, "an admin has at most 8 carriers");
		return;
	}
	if ((x = pt_store_carrier_insert(s->st, &c)) != PT_OK) {
		pt_store_rollback(s->st);
		fail_store(rp, x, "public_key", "this key is used by a carrier already");
		return;
	}
	key_id_hex(c.pk, kid);
	(void)snprintf(target, sizeof(target), "carrier:%s", c.id);
	if (!commit_audited(s, rq, rp, "carrier.create", target,
			    json_pack("{s:s,s:b,s:s}", "name", c.name, "hosted", c.hosted, "key_id",
				      kid)))
		return;
	rp->status = 201;
	rp->body = carrier_json(&c);
}

static void
carrier_list(struct server *s, struct request *rq, struct reply *rp)
{
	struct pt_carrier *cs;
	int64_t after;
	size_t limit, n = 0, i;
	json_t *arr;

	if (!page_query(rq, rp, &after, &limit))
		return;
	if ((cs = calloc(limit, sizeof(*cs))) == NULL ||
	    pt_store_carrier_list(s->st, after, cs, limit, &n) != PT_OK) {
		free(cs);
		fail_internal(rp);
		return;
	}
	arr = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(arr, carrier_json(&cs[i]));
	rp->status = 200;
	rp->body = page_json("carriers", arr, n, limit, n > 0 ? cs[n - 1].rowid : after);
	free(cs);
}

/* ---- couriers ---- */

/*
 * A self-held carrier's attestation: signed by the carrier's key, for this
 * carrier, fresh, and naming this courier with this name and level.
 * PT_OK, or false with the reply set.
 */
static bool
attestation_check(const struct pt_carrier *c, const struct pt_req_courier *r, int64_t account,
		  struct reply *rp)
{
	const uint8_t (*signers)[PT_PK_LEN] = &c->pk;
	struct pt_envelope env;
	char subject[24];
	size_t idx;
	int x;

	x = pt_envelope_verify(pt_crypto_sodium(), r->attestation, r->attestation_len,
			       PT_ENV_ATTESTATION, signers, 1, c->id, now_utc(), ATTESTATION_SKEW,
			       &env, &idx);
	if (x != PT_OK) {
		fail_reason(rp, x, "attestation");
		return false;
	}
	/* The skew is symmetric; an attestation from the future is not
	 * "issued within the last 24 h": allow only clock skew ahead. */
	if (env.iat > now_utc() + PAIRING_SKEW) {
		fail_reason(rp, PT_ESTALE, "attestation");
		return false;
	}
	(void)snprintf(subject, sizeof(subject), "%lld", (long long)account);
	if (strcmp(env.lock, subject) != 0 || strcmp(env.name, r->name) != 0 ||
	    env.op != r->level) {
		fail(rp, 400, "invalid-field", "attestation",
		     "the attestation names another courier, name or level");
		return false;
	}
	return true;
}

/* A hosted carrier attests itself: porterd signs with the carrier's key. */
static bool
attestation_sign(struct server *s, const struct pt_carrier *c, struct pt_courier *k)
{
	struct pt_secret *sec = NULL;
	struct pt_signer sg;
	struct pt_envelope env;
	bool ok;

	memset(&env, 0, sizeof(env));
	env.kind = PT_ENV_ATTESTATION;
	memcpy(env.aud, c->id, sizeof(env.aud));
	env.iat = now_utc();
	pt_random(env.nonce, sizeof(env.nonce));
	env.op = k->level;
	(void)snprintf(env.lock, sizeof(env.lock), "%lld", (long long)k->account);
	memcpy(env.name, k->name, sizeof(env.name));
	pt_kid(pt_crypto_sodium(), c->pk, env.kid);
	if (carrier_secret_open(s, c, &sec) != PT_OK) {
		plog(LOG_ERR_, "event=carrier_key_unsealable carrier=%s", c->id);
		return false;
	}
	pt_signer_sodium(&sg, sec);
	ok = pt_envelope_sign(pt_crypto_sodium(), &sg, &env, k->attestation,
			      sizeof(k->attestation), &k->attestation_len) == PT_OK;
	pt_secret_free(sec);
	return ok;
}

static void
courier_enrol(struct server *s, struct request *rq, struct reply *rp, const struct pt_carrier *c)
{
	struct pt_req_courier *r = NULL;
	struct pt_courier *k = NULL;
	struct pt_account m;
	struct pt_api_err e;
	char target[PT_ID_MAX + 16];
	int x;

	if (!need_json(rq, rp))
		return;
	if ((r = malloc(sizeof(*r))) == NULL || (k = calloc(1, sizeof(*k))) == NULL) {
		fail_internal(rp);
		goto out;
	}
	if (pt_req_courier_decode(rq->body, rq->len, r, &e) != PT_OK) {
		fail_api(rp, &e);
		goto out;
	}
	if (!c->hosted && !r->has_attestation) {
		fail(rp, 400, "missing-field", "attestation",
		     "'attestation' is required: this carrier holds its own key");
		goto out;
	}
	if (c->hosted && r->has_attestation) {
		fail(rp, 400, "invalid-field", "attestation",
		     "'attestation' must be absent: porterd attests for a hosted carrier");
		goto out;
	}
	if (pt_store_account_by_email(s->st, r->email, &m) != PT_OK || m.role != PT_ROLE_COURIER) {
		fail(rp, 404, "not-found", "email", "no courier account has this e-mail address");
		goto out;
	}
	if (!c->hosted && !attestation_check(c, r, m.id, rp))
		goto out;
	k->account = m.id;
	memcpy(k->carrier_id, c->id, sizeof(k->carrier_id));
	memcpy(k->name, r->name, sizeof(k->name));
	k->level = r->level;
	k->active = true;
	k->created_at = k->updated_at = now_utc();
	if (c->hosted) {
		if (!attestation_sign(s, c, k)) {
			fail_internal(rp);
			goto out;
		}
	} else {
		memcpy(k->attestation, r->attestation, r->attestation_len);
		k->attestation_len = r->attestation_len;
	}
	if (pt_store_begin(s->st) != PT_OK) {
		fail_internal(rp);
		goto out;
	}
	if ((x = pt_store_courier_insert(s->st, k)) != PT_OK) {
		pt_store_rollback(s->st);
		fail_store(rp, x, "email", "this courier is enrolled with a carrier already");
		goto out;
	}
	(void)snprintf(target, sizeof(target), "carrier:%s", c->id);
	if (!commit_audited(s, rq, rp, "courier.enrol", target,
			    json_pack("{s:I,s:s}", "account", (json_int_t)k->account, "level",
				      pt_level_name(k->level) != NULL ? pt_level_name(k->level)
								      : "unknown")))
		goto out;
	rp->status = 201;
	rp->body = courier_json(k);
out:
	free(r);
	free(k);
}

static void
courier_list(struct server *s, struct request *rq, struct reply *rp, const struct pt_carrier *c)
{
	struct pt_courier *ks;
	int64_t after;
	size_t limit, n = 0, i;
	json_t *arr;

	if (!page_query(rq, rp, &after, &limit))
		return;
	if ((ks = calloc(limit, sizeof(*ks))) == NULL ||
	    pt_store_courier_list(s->st, c->id, after, ks, limit, &n) != PT_OK) {
		free(ks);
		fail_internal(rp);
		return;
	}
	arr = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(arr, courier_json(&ks[i]));
	rp->status = 200;
	rp->body = page_json("couriers", arr, n, limit, n > 0 ? ks[n - 1].account : after);
	free(ks);
}

static void
courier_deactivate(struct server *s, struct request *rq, struct reply *rp,
		   const struct pt_carrier *c, int64_t account)
{
	char target[PT_ID_MAX + 16];
	int x;

	if (pt_store_begin(s->st) != PT_OK) {
		fail_internal(rp);
		return;
	}
	if ((x = pt_store_courier_deactivate(s->st, c->id, account, now_utc())) != PT_OK) {
		pt_store_rollback(s->st);
		fail_store(rp, x, NULL, "not found");
		return;
	}
	(void)snprintf(target, sizeof(target), "carrier:%s", c->id);
	if (!commit_audited(s, rq, rp, "courier.deactivate", target,
			    json_pack("{s:I}", "account", (json_int_t)account)))
		return;
	rp->status = 204;
}

/* /v1/carriers[/{id}[/couriers[/{account_id}]]]; rest is "carriers..." */
void
api_carriers(struct server *s, struct request *rq, struct reply *rp, const struct pt_account *a,
	     const char *rest)
{
	char id[PT_ID_MAX + 1], part[32];
	const char *p = rest + strlen("carriers"), *next = NULL;
	struct pt_carrier c;
	int64_t account;
	int x;

	memset(&c, 0, sizeof(c));
	if (p[0] == '\0') {
		if (method_is(rq, "GET"))
			carrier_list(s, rq, rp);
		else if (method_is(rq, "POST"))
			carrier_create(s, rq, rp, a);
		else
			not_allowed(rp, "GET, POST");
		return;
	}
	p++;	/* the '/' */
	if (!segment(p, id, sizeof(id), &next) || !pt_id_is_valid(id, strlen(id))) {
		not_found(rp);
		return;
	}
	if ((x = pt_store_carrier_get(s->st, id, &c)) != PT_OK) {
		fail_store(rp, x, NULL, "not found");
		return;
	}
	if (next == NULL) {
		if (method_is(rq, "GET")) {
			rp->status = 200;
			rp->body = carrier_json(&c);
		} else {
			not_allowed(rp, "GET");
		}
		return;
	}
	/* The couriers are the admin's business only: nobody else learns
	 * whether the route exists. */
	if (c.admin != a->id || !segment(next, part, sizeof(part), &next) ||
	    strcmp(part, "couriers") != 0) {
		not_found(rp);
		return;
	}
	if (next == NULL) {
		if (method_is(rq, "POST"))
			courier_enrol(s, rq, rp, &c);
		else if (method_is(rq, "GET"))
			courier_list(s, rq, rp, &c);
		else
			not_allowed(rp, "GET, POST");
		return;
	}
	if (strchr(next, '/') != NULL || !path_row_id(next, &account)) {
		not_found(rp);
		return;
	}
	if (method_is(rq, "DELETE"))
		courier_deactivate(s, rq, rp, &c, account);
	else
		not_allowed(rp, "DELETE");
}

/* ---- couriers' devices ---- */

static bool
need_courier(const struct pt_account *a, struct reply *rp)
{
	if (a->role == PT_ROLE_COURIER)
		return true;
	fail(rp, 403, "forbidden", NULL, "only courier accounts have devices");
	return false;
}

static void
device_add(struct server *s, struct request *rq, struct reply *rp, const struct pt_account *a)
{
	struct pt_device ds[DEVICES_PER_COURIER + 1];
	struct pt_req_device r;
	struct pt_device d;
	struct pt_api_err e;
	char target[32], kid[2 * PT_KID_LEN + 1];
	size_t n = 0;
	int x;

	if (!need_json(rq, rp))
		return;
	if (pt_req_device_decode(rq->body, rq->len, &r, &e) != PT_OK) {
		fail_api(rp, &e);
		return;
	}
	memset(&d, 0, sizeof(d));
	d.account = a->id;
	memcpy(d.pk, r.pk, PT_PK_LEN);
	memcpy(d.label, r.label, sizeof(d.label));
	d.created_at = now_utc();
	if (pt_store_begin(s->st) != PT_OK) {
		fail_internal(rp);
		return;
	}
	/* Counted inside the transaction, so two requests cannot both pass. */
	if ((x = pt_store_device_list(s->st, a->id, ds, DEVICES_PER_COURIER + 1, &n)) != PT_OK ||
	    n >= DEVICES_PER_COURIER) {
		pt_store_rollback(s->st);
		if (x != PT_OK)
			fail_internal(rp);
		else
			fail(rp, 409, "limit-reached", "public_key", "a courier has at most 4 devices");
		return;
	}
	if ((x = pt_store_device_insert(s->st, &d)) != PT_OK) {
		pt_store_rollback(s->st);
		fail_store(rp, x, "public_key", "this key is enrolled already");
		return;
	}
	key_id_hex(d.pk, kid);
	(void)snprintf(target, sizeof(target), "account:%lld", (long long)a->id);
	if (!commit_audited(s, rq, rp, "device.add", target,
			    json_pack("{s:I,s:s}", "device", (json_int_t)d.id, "key_id", kid)))
		return;
	rp->status = 201;
	rp->body = device_json(&d);
}

static void
device_list(struct server *s, struct reply *rp, const struct pt_account *a)
{
	/* More room than the limit: rows from before a limit change still show. */
	struct pt_device ds[4 * DEVICES_PER_COURIER];
	size_t n = 0, i;
	json_t *arr;

	if (pt_store_device_list(s->st, a->id, ds, sizeof(ds) / sizeof(ds[0]), &n) != PT_OK) {
		fail_internal(rp);
		return;
	}
	arr = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(arr, device_json(&ds[i]));
	rp->status = 200;
	rp->body = json_pack("{s:o}", "devices", arr);
}

static void
device_delete(struct server *s, struct request *rq, struct reply *rp, const struct pt_account *a,
	      int64_t id)
{
	char target[32];
	int x;

	if (pt_store_begin(s->st) != PT_OK) {
		fail_internal(rp);
		return;
	}
	if ((x = pt_store_device_delete(s->st, a->id, id)) != PT_OK) {
		pt_store_rollback(s->st);
		fail_store(rp, x, NULL, "not found");
		return;
	}
	(void)snprintf(target, sizeof(target), "account:%lld", (long long)a->id);
	if (!commit_audited(s, rq, rp, "device.delete", target,
			    json_pack("{s:I}", "device", (json_int_t)id)))
		return;
	rp->status = 204;
}

/* /v1/me/devices[/{id}]; rest is "me/devices..." */
void
api_devices(struct server *s, struct request *rq, struct reply *rp, const struct pt_account *a,
	    const char *rest)
{
	const char *p = rest + strlen("me/devices");
	int64_t id;

	if (p[0] == '\0') {
		if (!method_is(rq, "GET") && !method_is(rq, "POST")) {
			not_allowed(rp, "GET, POST");
			return;
		}
		if (!need_courier(a, rp))
			return;
		if (method_is(rq, "POST"))
			device_add(s, rq, rp, a);
		else
			device_list(s, rp, a);
		return;
	}
	p++;	/* the '/' */
	if (strchr(p, '/') != NULL || !path_row_id(p, &id)) {
		not_found(rp);
		return;
	}
	if (!method_is(rq, "DELETE")) {
		not_allowed(rp, "DELETE");
		return;
	}
	if (need_courier(a, rp))
		device_delete(s, rq, rp, a, id);
}

/* ---- hubs ---- */

/*
 * Inside hub_pair's transaction: the hub's key is registered in another
 * home whose row the hub never confirmed (docs/mqtt.md, "home"): that row
 * got nothing the hub sent since schema 11, and whoever registered it
 * there cannot show that it is theirs, so it gives way to this
 * registration (removed as hub_delete does: what it holds from before
 * stays with its home; an event there and an audit row). PT_OK when
 * there is nothing in the way or it was removed; PT_EEXISTS when a row
 * the hub confirmed (or this home's own) is in the way: 409 as before.
 * The read below takes no lock (PostgreSQL, several porterd): the removal
 * itself requires the row read, still unconfirmed, so a confirmation
 * committed since is PT_EEXISTS too, not lost (review 107, L1).
 */
static int
hub_replace_unconfirmed(struct server *s, struct request *rq, const char *home_id,
			const char *hub_id)
{
	struct pt_hub old;
	char target[PT_ID_MAX + 8];
	int x;

	if ((x = pt_store_hub_by_id(s->st, hub_id, &old)) == PT_ENOTFOUND)
		return PT_OK;
	if (x != PT_OK)
		return x;
	if (old.confirmed || strcmp(old.home_id, home_id) == 0)
		return PT_EEXISTS;
	if ((x = pt_store_hub_delete_unconfirmed(s->st, old.home_id, hub_id, old.rowid,
						 now_utc())) == PT_EEXISTS)
		plog(LOG_INFO_, "event=hub_replace hub=%s from_home=%s result=refused"
		     " error=\"confirmed or changed meanwhile\"", hub_id, old.home_id);
	if (x != PT_OK ||
	    (x = record_event(s, old.home_id, "hub.replaced",
			      json_pack("{s:s,s:s}", "hub_id", hub_id, "reason",
					"registered by another home; this one never confirmed"),
			      "hub-replaced")) != PT_OK)
		return x;
	(void)snprintf(target, sizeof(target), "home:%s", old.home_id);
	if ((x = audit_append(s, rq, "hub.replace", target,
			      json_pack("{s:s,s:s}", "hub_id", hub_id, "by_home", home_id))) !=
	    PT_OK)
		return x;
	plog(LOG_WARN_, "event=hub_replaced hub=%s from_home=%s to_home=%s", hub_id, old.home_id,
	     home_id);
	return PT_OK;
}

static void
hub_pair(struct server *s, struct request *rq, struct reply *rp, const struct pt_home *home,
	 int role)
{
	struct pt_hub *hs = NULL;
	struct pt_req_hub r;
	struct pt_envelope env;
	struct pt_api_err e;
	struct pt_hub h;
	uint8_t (*roots)[PT_PK_LEN] = NULL;
	uint8_t signer[PT_PK_LEN];
	char target[PT_ID_MAX + 8], kid[2 * PT_KID_LEN + 1];
	size_t n_roots = 0, idx, n = 0;
	bool relayed;
	int x;

	if (!need_owner(role, rp) || !need_json(rq, rp))
		return;
	if (pt_req_hub_decode(rq->body, rq->len, &r, &e) != PT_OK) {
		fail_api(rp, &e);
		return;
	}
	if ((roots = load_roots(s, home->id, &n_roots)) == NULL) {
		fail_internal(rp);
		return;
	}
	x = pt_envelope_verify(pt_crypto_sodium(), r.pairing, r.pairing_len, PT_ENV_PAIRING,
			       (const uint8_t (*)[PT_PK_LEN])roots, n_roots, home->id, now_utc(),
			       PAIRING_SKEW, &env, &idx);
	if (x == PT_OK)
		memcpy(signer, roots[idx], PT_PK_LEN);	/* the owner key that signed it */
	/* The old format (AAD porter/pairing/v1, its nonce the code in
	 * clear) is never stored nor relayed: we would know the code. Told
	 * apart only to say what to do about it. */
	else if (x == PT_EBADSIG &&
		 pt_envelope_verify_pairing_v1(pt_crypto_sodium(), r.pairing, r.pairing_len,
					       (const uint8_t (*)[PT_PK_LEN])roots, n_roots,
					       home->id, now_utc(), PAIRING_SKEW, &env,
					       &idx) == PT_OK)
		x = PT_EUNSUPPORTED;
	free(roots);
	if (x == PT_EUNSUPPORTED) {
		memset(&env, 0, sizeof(env));
		fail(rp, 400, "unsupported", "pairing",
		     "the pairing statement was made by an older porter: update it");
		return;
	}
	if (x != PT_OK) {
		fail_reason(rp, x, "pairing");
		return;
	}
	if (env.target_len != PT_PK_LEN || memcmp(env.target, r.pk, PT_PK_LEN) != 0) {
		fail(rp, 400, "invalid-field", "pairing", "the pairing statement names another hub key");
		return;
	}
	memset(&h, 0, sizeof(h));
	/* The hub's own default id (porter-hub): "hub-" and its key id, so
	 * both ends name it the same without being told. */
	memcpy(h.id, "hub-", 4);
	key_id_hex(r.pk, h.id + 4);
	memcpy(h.home_id, home->id, sizeof(h.home_id));
	memcpy(h.pk, r.pk, PT_PK_LEN);
	memcpy(h.label, r.label, sizeof(h.label));
	memcpy(h.pairing, r.pairing, r.pairing_len);
	h.pairing_len = r.pairing_len;
	h.paired_by = rq->actor;
	h.created_at = now_utc();
	key_id_hex(h.pk, kid);
	if (pt_store_begin(s->st) != PT_OK) {
		fail_internal(rp);
		return;
	}
	/* Counted inside the transaction, so two pairings cannot both pass. */
	hs = calloc(HUBS_PER_HOME + 1, sizeof(*hs));
	x = hs != NULL ? pt_store_hub_list(s->st, home->id, hs, HUBS_PER_HOME + 1, &n) : PT_ENOMEM;
	free(hs);
	if (x != PT_OK || n >= HUBS_PER_HOME) {
		pt_store_rollback(s->st);
		if (x != PT_OK)
			fail_internal(rp);
		else
			fail(rp, 409, "limit-reached", "public_key", "a home has at most 8 hubs");
		return;
	}
	if ((x = hub_replace_unconfirmed(s, rq, home->id, h.id)) != PT_OK ||
	    (x = pt_store_hub_insert(s->st, &h)) != PT_OK) {
		pt_store_rollback(s->st);
		fail_store(rp, x, "public_key", "this hub key is paired already");
		return;
	}
	if (record_event(s, home->id, "hub.paired",
			 json_pack("{s:s,s:s,s:I}", "hub_id", h.id, "key_id", kid, "paired_by",
				   (json_int_t)h.paired_by),
			 NULL) != PT_OK) {
		pt_store_rollback(s->st);
		fail_internal(rp);
		return;
	}
	(void)snprintf(target, sizeof(target), "home:%s", home->id);
	if (!commit_audited(s, rq, rp, "hub.pair", target,
			    json_pack("{s:s,s:s}", "hub_id", h.id, "key_id", kid)))
		return;
	/* A hub that was already connected published its state before we
	 * knew it: take it now, and answer with what it says (online). */
	mqtt_hub_paired(s, h.id);
	/* And to the hub itself: it pairs if it shows the code now (the
	 * statement's nonce is that code's MAC); otherwise the owner pairs
	 * it at the door. The answer is 201 either way, and says whether
	 * the relay was published ("relayed"). */
	relayed = mqtt_pair_relay(s, h.id, home->id, signer, r.pairing, r.pairing_len);
	if (s->mqtt != NULL) {
		struct pt_hub now;

		if (pt_store_hub_by_id(s->st, h.id, &now) == PT_OK)
			h = now;
	}
	rp->status = 201;
	rp->body = hub_json(&h);
	if (rp->body != NULL)
		json_object_set_new(rp->body, "relayed", json_boolean(relayed));
}

static void
hub_list(struct server *s, struct reply *rp, const struct pt_home *home)
{
	struct pt_hub *hs = calloc(4 * HUBS_PER_HOME, sizeof(*hs));
	size_t n = 0, i;
	json_t *arr;

	if (hs == NULL || pt_store_hub_list(s->st, home->id, hs, 4 * HUBS_PER_HOME, &n) != PT_OK) {
		free(hs);
		fail_internal(rp);
		return;
	}
	arr = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(arr, hub_json(&hs[i]));
	free(hs);
	rp->status = 200;
	rp->body = json_pack("{s:o}", "hubs", arr);
}

static void
hub_delete(struct server *s, struct request *rq, struct reply *rp, const struct pt_home *home,
	   int role, const char *hub_id)
{
	char target[PT_ID_MAX + 8];
	int x;

	if (!need_owner(role, rp))
		return;
	if (pt_store_begin(s->st) != PT_OK) {
		fail_internal(rp);
		return;
	}
	/* The hub leaves hubs (the MQTT side, the lists and the beacons no
	 * longer know it); its key and pairing stay with the home for its
	 * chain (hubs_removed, schema 10). */
	if ((x = pt_store_hub_delete(s->st, home->id, hub_id, now_utc())) != PT_OK) {
		pt_store_rollback(s->st);
		fail_store(rp, x, NULL, "not found");
		return;
	}
	if (record_event(s, home->id, "hub.removed",
			 json_pack("{s:s,s:I}", "hub_id", hub_id, "removed_by", (json_int_t)rq->actor),
			 NULL) != PT_OK) {
		pt_store_rollback(s->st);
		fail_internal(rp);
		return;
	}
	(void)snprintf(target, sizeof(target), "home:%s", home->id);
	if (!commit_audited(s, rq, rp, "hub.delete", target, json_pack("{s:s}", "hub_id", hub_id)))
		return;
	rp->status = 204;
}

/* ---- a hub's chain (evidence bundles) ---- */

/* ?from=A&to=B (http.c's shared query fields, checked by pt_query_chain):
 * false and a 400 if not 1 <= A <= B < A + 1024. */
static bool
chain_query(const struct request *rq, struct reply *rp, int64_t *from, int64_t *to)
{
	struct pt_api_err e;

	if (pt_query_chain(rq->query_from, rq->query_to, from, to, &e) != PT_OK) {
		fail_api(rp, &e);
		return false;
	}
	return true;
}

/*
 * One account's chain reads (ratelimit.c): at most RL_CHAIN_AT_ONCE in
 * flight and RL_CHAIN_PER_MIN a minute, each holding megabytes while it
 * is built and sent. false and a 429 if over; else counted until http.c
 * has sent (or dropped) the answer.
 */
static bool
chain_admit(struct server *s, struct request *rq, struct reply *rp)
{
	int64_t wait;
	bool at_once;

	wait = ratelimit_chain_take(s->rl, rq->actor, (int64_t)(now_mono_ns() / 1000000u), &at_once);
	if (wait <= 0) {
		rq->chain_counted = true;
		return true;
	}
	(void)snprintf(rp->retry_after, sizeof(rp->retry_after), "%lld",
		       (long long)((wait + 999) / 1000));	/* whole seconds, up */
	fail(rp, 429, "rate-limited", NULL,
	     at_once ? "too many chain reads at once (2 of this account, 16 in all): wait for one to end"
		     : "too many chain reads of this account in a minute (10): wait before the next");
	return false;
}

__attribute__((format(printf, 2, 3))) static void
no_chain(struct reply *rp, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fail(rp, 409, "no-chain", NULL, msg);
}

/*
 * The events es[0..n) must be seqs from, from + 1, ... each with its hash
 * recomputing from prev (32 zero bytes before seq 1): a gap, a row stored
 * without its hash or a row that does not recompute (mqtt.c's event_data
 * keeps a marker for data that is not one JSON object) cannot go into a
 * bundle. An event the hub recorded at 0 is stored at 1 (the store reads
 * 0 as now): *at0 marks the ones that recompute only with 0. false and a
 * 409 no-chain naming the first such seq.
 */
static bool
chain_check(struct reply *rp, const struct pt_event_row *es, size_t n, int64_t from,
	    int64_t last, const uint8_t prev[PT_HASH_LEN], bool *at0)
{
	static const uint8_t zero[PT_HASH_LEN];
	uint8_t h[PT_HASH_LEN], k[PT_HASH_LEN];
	const struct pt_crypto_ops *ops = pt_crypto_sodium();
	size_t i;

	memcpy(h, prev, PT_HASH_LEN);
	for (i = 0; from + (int64_t)i <= last; i++) {	/* last - from < CHAIN_EVENTS */
		const struct pt_event_row *e = &es[i];
		int64_t seq = from + (int64_t)i;

		if (i >= n || e->hub_seq != seq) {
			no_chain(rp, "event %lld of the hub is not stored at porterd (a gap, or it "
				 "has not arrived yet)", (long long)seq);
			return false;
		}
		if (memcmp(e->hash, zero, PT_HASH_LEN) == 0) {
			no_chain(rp, "event %lld was stored without its chain hash", (long long)seq);
			return false;
		}
		at0[i] = false;
		if (pt_event_hash(ops, h, seq, e->at, e->type, strlen(e->type),
				  (const uint8_t *)e->data, strlen(e->data), k) != PT_OK ||
		    memcmp(k, e->hash, PT_HASH_LEN) != 0) {
			at0[i] = e->at == 1 &&
				 pt_event_hash(ops, h, seq, 0, e->type, strlen(e->type),
					       (const uint8_t *)e->data, strlen(e->data),
					       k) == PT_OK &&
				 memcmp(k, e->hash, PT_HASH_LEN) == 0;
			if (!at0[i]) {
				no_chain(rp, "event %lld is not stored as the hub hashed it",
					 (long long)seq);
				return false;
			}
		}
		memcpy(h, e->hash, PT_HASH_LEN);
	}
	return true;
}

/*
 * A duress event in the slice that this account must not see (duress.c:
 * the account that enrolled the owner key the duress credential was
 * signed by) cannot be cut out of a hash chain, so the whole slice is
 * withheld from that account, with the answer a missing event gets: it
 * must not tell the person under duress, or whoever watches their screen,
 * that there is something to hide. Everyone else of the home gets it.
 * true (and the 409) if withheld.
 */
static bool
chain_duress(struct server *s, struct reply *rp, const char *home_id, int64_t account,
	     const struct pt_event_row *es, size_t n)
{
	struct duress_view *v = NULL;
	bool hide = false;
	size_t i;

	for (i = 0; i < n; i++) {
		if (strcmp(es[i].type, "alert.duress") != 0)
			continue;
		if (v == NULL) {
			if ((v = malloc(sizeof(*v))) == NULL) {
				hide = true;	/* cannot tell: withheld */
				break;
			}
			duress_view_load(s, home_id, account, v);
		}
		if ((hide = duress_hides_text(v, es[i].type, es[i].data)))
			break;
	}
	free(v);
	if (hide)
		no_chain(rp, "event %lld of the hub is not stored at porterd (a gap, or it "
			 "has not arrived yet)", (long long)es[i].hub_seq);
	return hide;
}

static json_t *
chain_json(const struct pt_hub *h, const uint8_t prev[PT_HASH_LEN],
	   const struct pt_event_row *es, const bool *at0, size_t n,
	   const struct pt_hub_checkpoint *cps, size_t ncp)
{
	json_t *evs = json_array(), *cpa = json_array(), *j;
	size_t i;

	if (evs == NULL || cpa == NULL)
		goto fail;
	for (i = 0; i < n; i++) {
		j = json_pack("{s:I,s:I,s:s,s:s,s:o}", "seq", (json_int_t)es[i].hub_seq, "at",
			      (json_int_t)(at0[i] ? 0 : es[i].at), "type", es[i].type, "data",
			      es[i].data, "hash", b64_json(es[i].hash, PT_HASH_LEN));
		if (j == NULL || json_array_append_new(evs, j) != 0)
			goto fail;
	}
	for (i = 0; i < ncp; i++) {
		j = json_pack("{s:I,s:o}", "seq", (json_int_t)cps[i].seq, "sig",
			      b64_json(cps[i].sig, PT_SIG_LEN));
		if (j == NULL || json_array_append_new(cpa, j) != 0)
			goto fail;
	}
	return json_pack("{s:s,s:o,s:o,s:o,s:o}", "hub", h->id, "hub_key", b64_json(h->pk, PT_PK_LEN),
			 "prev", b64_json(prev, PT_HASH_LEN), "events", evs, "checkpoints", cpa);
fail:
	json_decref(evs);
	json_decref(cpa);
	return NULL;
}

/*
 * GET /v1/homes/{id}/hubs/{hub_id}/chain?from=A&to=B: the hub's events
 * from A through C, the first checkpoint stored at or after B, the chain
 * hash before A, and the checkpoints in [A, C] (the last 256): what an
 * evidence bundle carries of the hub (docs/api.md, "Hubs"). Members for a
 * hub paired in the home; owners only for one removed from it (kept in
 * hubs_removed, schema 10: the evidence of what it let in outlives it).
 * Nothing is served that porterd cannot show to recompute: 409 no-chain
 * says why. Order: 400, 404, 403, 429, then the work.
 */
static void
hub_chain(struct server *s, struct request *rq, struct reply *rp, const struct pt_home *home,
	  int64_t account, int role, const char *hub_id)
{
	static const uint8_t zero[PT_HASH_LEN];
	struct pt_event_row *es = NULL;
	struct pt_hub_checkpoint *cps = NULL, next;
	struct pt_hub h;
	uint8_t prev[PT_HASH_LEN];
	bool *at0 = NULL;
	int64_t from, to;
	size_t n = 0, ncp = 0;
	int x;

	if (!chain_query(rq, rp, &from, &to))
		return;
	x = pt_store_hub_get(s->st, home->id, hub_id, &h);
	if (x == PT_ENOTFOUND) {
		not_found(rp);	/* another home's hub is none of this home's */
		return;
	}
	if (x != PT_OK)
		goto internal;
	if (h.removed_at != 0 && role != PT_HOME_OWNER) {
		fail(rp, 403, "forbidden", NULL,
		     "this hub was removed from the home: its chain is served to the home's owners");
		return;
	}
	if (!chain_admit(s, rq, rp))
		return;
	x = pt_store_hub_checkpoint_next(s->st, home->id, hub_id, to, &next);
	if (x == PT_ENOTFOUND || (x == PT_OK && next.seq - from >= CHAIN_EVENTS)) {
		no_chain(rp, "no checkpoint of the hub covers event %lld within %d events of %lld",
			 (long long)to, CHAIN_EVENTS, (long long)from);
		return;
	}
	if (x != PT_OK)
		goto internal;
	if ((es = calloc(CHAIN_EVENTS, sizeof(*es))) == NULL ||
	    (at0 = calloc(CHAIN_EVENTS, sizeof(*at0))) == NULL ||
	    (cps = calloc(CHAIN_CPS, sizeof(*cps))) == NULL)
		goto internal;
	memset(prev, 0, sizeof(prev));
	if (from > 1) {
		/* The chain hash before A: event A - 1's, read as the range. */
		if (pt_store_hub_event_range(s->st, home->id, hub_id, from - 1, from - 1, es, 1, &n) !=
		    PT_OK)
			goto internal;
		if (n != 1 || es[0].hub_seq != from - 1 ||
		    memcmp(es[0].hash, zero, sizeof(prev)) == 0) {
			no_chain(rp, "event %lld, the one before 'from', is not stored at porterd "
				 "with its hash: the chain hash before %lld is unknown",
				 (long long)(from - 1), (long long)from);
			goto out;
		}
		memcpy(prev, es[0].hash, sizeof(prev));
		n = 0;
	}
	if (pt_store_hub_event_range(s->st, home->id, hub_id, from, next.seq, es, CHAIN_EVENTS, &n) !=
	    PT_OK)
		goto internal;
	if (!chain_check(rp, es, n, from, next.seq, prev, at0) ||
	    chain_duress(s, rp, home->id, account, es, n))
		goto out;
	if (pt_store_hub_checkpoint_range(s->st, home->id, hub_id, from, next.seq, cps, CHAIN_CPS,
					  &ncp) != PT_OK ||
	    ncp == 0 || cps[ncp - 1].seq != next.seq)
		goto internal;	/* checkpoints are never removed but with the home */
	if ((rp->body = chain_json(&h, prev, es, at0, n, cps, ncp)) == NULL)
		goto internal;
	rp->status = 200;
	goto out;
internal:
	fail_internal(rp);
out:
	free(es);
	free(at0);
	free(cps);
}

/* ---- events and alerts ---- */

static void
event_list(struct server *s, struct request *rq, struct reply *rp, const struct pt_home *home)
{
	struct pt_event_row *es;
	int64_t after;
	size_t limit, n = 0, i;
	json_t *arr;

	if (!page_query(rq, rp, &after, &limit))
		return;
	if ((es = calloc(limit, sizeof(*es))) == NULL ||
	    pt_store_event_list(s->st, home->id, after, es, limit, &n) != PT_OK) {
		free(es);
		fail_internal(rp);
		return;
	}
	arr = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(arr, event_json(&es[i]));
	rp->status = 200;
	rp->body = page_json("events", arr, n, limit, n > 0 ? es[n - 1].id : after);
	free(es);
}

static void
alert_list(struct server *s, struct request *rq, struct reply *rp, const struct pt_home *home)
{
	struct pt_alert_row *as;
	bool only_open = false;
	int64_t after;
	size_t limit, n = 0, i;
	json_t *arr;

	if (!page_query(rq, rp, &after, &limit))
		return;
	if (rq->query_open != NULL) {
		if (strcmp(rq->query_open, "true") == 0) {
			only_open = true;
		} else if (strcmp(rq->query_open, "false") != 0) {
			fail(rp, 400, "invalid-field", "open", "'open' must be true or false");
			return;
		}
	}
	if ((as = calloc(limit, sizeof(*as))) == NULL ||
	    pt_store_alert_list(s->st, home->id, only_open, after, as, limit, &n) != PT_OK) {
		free(as);
		fail_internal(rp);
		return;
	}
	arr = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(arr, alert_json(&as[i]));
	rp->status = 200;
	rp->body = page_json("alerts", arr, n, limit, n > 0 ? as[n - 1].id : after);
	free(as);
}

static void
alert_ack(struct server *s, struct request *rq, struct reply *rp, const struct pt_home *home,
	  int64_t id)
{
	struct pt_alert_row al;
	char target[PT_ID_MAX + 8];
	int64_t now = now_utc();
	int x;

	if (pt_store_begin(s->st) != PT_OK) {
		fail_internal(rp);
		return;
	}
	if ((x = pt_store_alert_ack(s->st, home->id, id, rq->actor, now, &al)) != PT_OK) {
		pt_store_rollback(s->st);
		fail_store(rp, x, NULL, "not found");
		return;
	}
	/* Acknowledged before: the first acknowledgement stands and this
	 * request changed nothing, so it leaves no audit row either. */
	if (al.acked_by != rq->actor || al.acked_at != now) {
		pt_store_rollback(s->st);
	} else {
		(void)snprintf(target, sizeof(target), "home:%s", home->id);
		if (!commit_audited(s, rq, rp, "alert.ack", target,
				    json_pack("{s:I,s:s}", "alert_id", (json_int_t)id, "type",
					      al.type)))
			return;
	}
	rp->status = 200;
	rp->body = alert_json(&al);
}

/* /v1/homes/{id}/hubs[/{hub_id}[/chain]], /events, /alerts[/{alert_id}/ack] */
bool
api_home_org(struct server *s, struct request *rq, struct reply *rp, const struct pt_account *a,
	     const struct pt_home *h, int role, const char *sub)
{
	char word[16], hub_id[PT_ID_MAX + 1], num[24];
	const char *next = NULL;
	int64_t id;

	(void)a;
	if (!segment(sub, word, sizeof(word), &next))
		return false;
	if (strcmp(word, "hubs") == 0 && next == NULL) {
		if (method_is(rq, "POST"))
			hub_pair(s, rq, rp, h, role);
		else if (method_is(rq, "GET"))
			hub_list(s, rp, h);
		else
			not_allowed(rp, "GET, POST");
	} else if (strcmp(word, "hubs") == 0) {
		if (!segment(next, hub_id, sizeof(hub_id), &next) ||
		    !pt_id_is_valid(hub_id, strlen(hub_id)))
			return false;
		if (next == NULL) {
			if (method_is(rq, "DELETE"))
				hub_delete(s, rq, rp, h, role, hub_id);
			else
				not_allowed(rp, "DELETE");
		} else if (strcmp(next, "chain") == 0) {
			if (method_is(rq, "GET"))
				hub_chain(s, rq, rp, h, a->id, role, hub_id);
			else
				not_allowed(rp, "GET");
		} else {
			return false;
		}
	} else if (strcmp(word, "events") == 0 && next == NULL) {
		if (method_is(rq, "GET"))
			event_list(s, rq, rp, h);
		else
			not_allowed(rp, "GET");
	} else if (strcmp(word, "alerts") == 0 && next == NULL) {
		if (method_is(rq, "GET"))
			alert_list(s, rq, rp, h);
		else
			not_allowed(rp, "GET");
	} else if (strcmp(word, "alerts") == 0) {
		if (!segment(next, num, sizeof(num), &next) || next == NULL ||
		    strcmp(next, "ack") != 0 || !path_row_id(num, &id))
			return false;
		if (method_is(rq, "POST"))
			alert_ack(s, rq, rp, h, id);
		else
			not_allowed(rp, "POST");
	} else {
		return false;
	}
	return true;
}

/* ---- owner statements (docs/web.md, "Endorsing an owner key") ---- */

#define OWNER_STATEMENT_SKEW 600

/*
 * Who may endorse a key here: the home's owner keys that were endorsed
 * themselves, and the home's first key (the lowest id, stored without a
 * statement: the key an owner enrolled before anything could endorse it,
 * the one that pairs the first hub). A key stored without a statement
 * later is not a signer: no hub trusts it, so what it endorses would be
 * refused at every hub anyway.
 *
 * This is porterd's own check, for an early and clear answer; it is not
 * what protects the door. A breached porterd could store any key, with
 * or without a statement, and relay what it likes: every hub verifies
 * each statement again against the owner keys it trusts itself (the
 * pairing owner and the keys endorsed from there), so the most porterd
 * can do is withhold statements (the new key does not work) or relay old
 * ones again (they add nothing new: the key is known, or revoked).
 */
static size_t
owner_signers(const struct pt_owner_key *ks, size_t n, uint8_t (*out)[PT_PK_LEN])
{
	size_t i, m = 0, first = n;

	for (i = 0; i < n; i++)
		if (first == n || ks[i].id < ks[first].id)
			first = i;
	for (i = 0; i < n; i++)
		if (ks[i].statement_len > 0 || (i == first && ks[i].statement_len == 0))
			memcpy(out[m++], ks[i].pk, PT_PK_LEN);
	return m;
}

bool
owner_statement_check(const struct pt_home *h, const struct pt_owner_key *ks, size_t n,
		      const struct pt_req_owner_key *r, struct reply *rp,
		      char kid_hex[2 * PT_KID_LEN + 1])
{
	uint8_t (*signers)[PT_PK_LEN];
	struct pt_envelope env;
	size_t m, idx;
	int x;

	kid_hex[0] = '\0';
	if ((signers = calloc(n > 0 ? n : 1, PT_PK_LEN)) == NULL) {
		fail_internal(rp);
		return false;
	}
	m = owner_signers(ks, n, signers);
	x = pt_envelope_verify(pt_crypto_sodium(), r->statement, r->statement_len, PT_ENV_OWNER,
			       (const uint8_t (*)[PT_PK_LEN])signers, m, h->id, now_utc(),
			       OWNER_STATEMENT_SKEW, &env, &idx);
	free(signers);
	if (x != PT_OK) {
		fail_reason(rp, x, "statement");
		return false;
	}
	if (env.target_len != PT_PK_LEN || memcmp(env.target, r->pk, PT_PK_LEN) != 0) {
		fail(rp, 400, "invalid-field", "statement", "the statement names another key");
		return false;
	}
	hex(env.kid, PT_KID_LEN, kid_hex);
	return true;
}

json_t *
owner_key_endorsed_by(const struct pt_owner_key *k)
{
	struct pt_cose_hdr hd;
	struct pt_sign1 s;
	char kid_hex[2 * PT_KID_LEN + 1];

	/* Verified when it was stored: only its kid is read here. */
	if (k->statement_len == 0 || pt_sign1_decode(k->statement, k->statement_len, &s) != PT_OK ||
	    pt_cose_headers(&s, &hd) != PT_OK || hd.kid == NULL || hd.kid_len != PT_KID_LEN)
		return json_null();
	hex(hd.kid, PT_KID_LEN, kid_hex);
	return json_string(kid_hex);
}
