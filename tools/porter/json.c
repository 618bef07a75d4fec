/*
 * A decoded chain as JSON, for `porter cred inspect`.
 */
#include <string.h>

#include "porter/crypto.h"
#include "porter/keyfile.h"
#include "porter/text.h"
#include "porter.h"

static json_t *
time_json(int64_t t)
{
	char buf[40];

	pt_time_format(t, buf, sizeof(buf));
	return json_string(buf);
}

static json_t *
hex_json(const uint8_t *p, size_t len)
{
	char buf[2 * 64 + 1];

	pt_hex(p, len, buf);
	return json_string(buf);
}

static json_t *
grant_to_json(const struct pt_grant *g)
{
	char text[PT_PK_TEXT_LEN + 1], wk[96];
	json_t *o = json_object(), *a, *cond;
	size_t i;

	json_object_set_new(o, "issuer_kid", hex_json(g->kid, PT_KID_LEN));
	json_object_set_new(o, "home", json_string(g->aud));
	json_object_set_new(o, "token_id", hex_json(g->cti, PT_CTI_LEN));
	pt_pubkey_text(g->holder, text);
	json_object_set_new(o, "holder", json_string(text));
	json_object_set_new(o, "purpose", json_string(pt_purpose_name(g->purpose)));
	if (g->has_iat)
		json_object_set_new(o, "issued_at", time_json(g->iat));
	json_object_set_new(o, "not_before", g->has_nbf ? time_json(g->nbf) : json_null());
	json_object_set_new(o, "expires", g->has_exp ? time_json(g->exp) : json_null());
	a = json_array();
	for (i = 0; i < g->n_locks; i++)
		json_array_append_new(a, json_string(g->locks[i]));
	json_object_set_new(o, "locks", g->n_locks > 0 ? a : (json_decref(a), json_string("all")));
	json_object_set_new(o, "entries",
			    g->has_entries ? json_integer(g->entries) : json_string("unlimited"));
	json_object_set_new(o, "delegation_depth", json_integer(g->depth));
	cond = json_array();
	if (g->cond & PT_COND_CAMERA)
		json_array_append_new(cond, json_string("camera"));
	if (g->cond & PT_COND_ALARM_BYPASS)
		json_array_append_new(cond, json_string("alarm-bypass"));
	json_object_set_new(o, "conditions", cond);
	if (g->duress)	/* claim 11: only when set, so other chains print as before */
		json_object_set_new(o, "duress", json_true());
	json_object_set_new(o, "door_open_max_s",
			    g->has_door_open ? json_integer(g->door_open_max) : json_null());
	if (g->sched.n_windows > 0) {
		a = json_array();
		for (i = 0; i < g->sched.n_windows; i++) {
			json_t *w = json_object();
			json_object_set_new(w, "start", time_json(g->sched.windows[i].start));
			json_object_set_new(w, "end", time_json(g->sched.windows[i].end));
			json_array_append_new(a, w);
		}
		json_object_set_new(o, "windows", a);
	}
	if (g->sched.n_weekly > 0) {
		json_object_set_new(o, "time_zone", json_string(g->sched.tz));
		a = json_array();
		for (i = 0; i < g->sched.n_weekly; i++) {
			pt_weekly_format(&g->sched.weekly[i], wk, sizeof(wk));
			json_array_append_new(a, json_string(wk));
		}
		json_object_set_new(o, "weekly", a);
	}
	if (g->note[0] != '\0')
		json_object_set_new(o, "note", json_string(g->note));
	return o;
}

json_t *
chain_to_json(const struct pt_chain *c, const uint8_t *raw, size_t raw_len)
{
	uint8_t h[PT_HASH_LEN];
	json_t *o = json_object(), *links = json_array();
	size_t i;

	pt_crypto_sodium()->sha256(h, raw, raw_len);
	json_object_set_new(o, "format", json_string("porter credential chain v1 (COSE_Sign1 + CWT)"));
	json_object_set_new(o, "signatures_verified", json_false());
	json_object_set_new(o, "size", json_integer((json_int_t)raw_len));
	json_object_set_new(o, "sha256", hex_json(h, sizeof(h)));
	for (i = 0; i < c->n; i++)
		json_array_append_new(links, grant_to_json(&c->link[i].g));
	json_object_set_new(o, "links", links);
	return o;
}
