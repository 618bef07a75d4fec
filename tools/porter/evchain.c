/*
 * The hub's part of an evidence bundle from porterd's chain answer
 * (evchain.h): one strict reader, all of its input porterd's word.
 */
#include "evchain.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "porter/clip.h"
#include "porter/cred.h"
#include "porter/crypto.h"
#include "porter/event.h"

/* Base64url text of exactly n bytes into out. */
static bool
b64_fixed(const json_t *v, uint8_t *out, size_t n)
{
	const char *s = json_string_value(v);
	size_t len = json_string_length(v);

	return s != NULL && len == pt_b64_len(n) && pt_b64_decode(out, n, s, len) == PT_OK;
}

/* A JSON integer at least min (jansson's are 64-bit). */
static bool
int_at_least(const json_t *v, int64_t min, int64_t *out)
{
	if (!json_is_integer(v) || json_integer_value(v) < min)
		return false;
	*out = (int64_t)json_integer_value(v);
	return true;
}

static int refuse(struct pt_evidence *e, char *why, size_t cap, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* -1, e's hub part zeroed, why saying what. */
static int
refuse(struct pt_evidence *e, char *why, size_t cap, const char *fmt, ...)
{
	va_list ap;

	ev_chain_clear(e);
	if (cap > 0) {
		va_start(ap, fmt);
		(void)vsnprintf(why, cap, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static int
take_events(const json_t *arr, int64_t from, int64_t to, struct pt_evidence *e, char *why,
	    size_t cap)
{
	const json_t *v;
	size_t i, n = json_array_size(arr);

	if (!json_is_array(arr) || n < 1)
		return refuse(e, why, cap, "no events");
	if (n > PT_EVIDENCE_EVENTS_MAX)
		return refuse(e, why, cap, "more than %d events", PT_EVIDENCE_EVENTS_MAX);
	json_array_foreach(arr, i, v) {
		struct pt_evidence_event *ev = &e->ev[i];
		const json_t *type = json_object_get(v, "type"), *data = json_object_get(v, "data");
		int64_t seq;

		/* Consecutive from `from`: i < 1024, so from + i cannot
		 * overflow once seq >= from is known. */
		if (!json_is_object(v) || !int_at_least(json_object_get(v, "seq"), from, &seq) ||
		    (uint64_t)(seq - from) != i)
			return refuse(e, why, cap, "events[%zu]: its seq is not the next one", i);
		ev->seq = seq;
		if (!json_is_integer(json_object_get(v, "at")))
			return refuse(e, why, cap, "events[%zu]: no time (at)", i);
		ev->at = (int64_t)json_integer_value(json_object_get(v, "at"));
		if (!json_is_string(type) || json_string_length(type) > PT_EVENT_TYPE_LEN_MAX ||
		    !pt_event_type_is_valid(json_string_value(type), json_string_length(type)))
			return refuse(e, why, cap, "events[%zu]: not an event type", i);
		ev->type = json_string_value(type);
		ev->type_len = json_string_length(type);
		if (!json_is_string(data) || json_string_length(data) > PT_EVENT_DATA_MAX)
			return refuse(e, why, cap, "events[%zu]: its data is not text of at most %d"
					 " bytes", i, PT_EVENT_DATA_MAX);
		ev->data = (const uint8_t *)json_string_value(data);
		ev->data_len = json_string_length(data);
		if (!b64_fixed(json_object_get(v, "hash"), ev->hash, PT_HASH_LEN))
			return refuse(e, why, cap, "events[%zu]: its hash is not 32 bytes of base64url", i);
	}
	e->n_events = n;
	if (e->ev[n - 1].seq < to)
		return refuse(e, why, cap, "the events end before the seq asked for");
	return 0;
}

static int
take_checkpoints(const json_t *arr, struct pt_evidence *e, char *why, size_t cap)
{
	const json_t *v;
	size_t i, n = json_array_size(arr);
	int64_t lo = e->ev[0].seq, hi = e->ev[e->n_events - 1].seq;

	if (!json_is_array(arr) || n < 1)
		return refuse(e, why, cap, "no checkpoints");
	if (n > PT_EVIDENCE_CHECKPOINTS_MAX)
		return refuse(e, why, cap, "more than %d checkpoints", PT_EVIDENCE_CHECKPOINTS_MAX);
	json_array_foreach(arr, i, v) {
		struct pt_evidence_cp *cp = &e->cp[i];

		if (!json_is_object(v) || !int_at_least(json_object_get(v, "seq"), lo, &cp->seq) ||
		    cp->seq > hi || (i > 0 && cp->seq <= e->cp[i - 1].seq))
			return refuse(e, why, cap, "checkpoints[%zu]: its seq is not an event of the"
					 " slice after the one before", i);
		if (!b64_fixed(json_object_get(v, "sig"), cp->sig, PT_SIG_LEN))
			return refuse(e, why, cap, "checkpoints[%zu]: its signature is not 64 bytes of"
					 " base64url", i);
	}
	e->n_cps = n;
	return 0;
}

int
ev_chain_take(const json_t *reply, const char *hub_id, int64_t from, int64_t to,
	      struct pt_evidence *e, char *why, size_t why_cap)
{
	const json_t *hub = json_object_get(reply, "hub");
	size_t len;

	ev_chain_clear(e);
	if (why_cap > 0)
		why[0] = '\0';
	if (hub_id == NULL || from < 1 || to < from || to - from >= PT_EVIDENCE_EVENTS_MAX)
		return refuse(e, why, why_cap, "not a chain that fits a bundle");
	if (!json_is_object(reply))
		return refuse(e, why, why_cap, "not a JSON object");
	len = json_string_length(hub);
	if (!json_is_string(hub) || len > PT_ID_MAX || len != strlen(hub_id) ||
	    memcmp(json_string_value(hub), hub_id, len) != 0 ||
	    !pt_id_is_valid(json_string_value(hub), len))
		return refuse(e, why, why_cap, "\"hub\" is not the hub asked for");
	memcpy(e->hub_id, hub_id, len);
	e->hub_id[len] = '\0';
	if (!b64_fixed(json_object_get(reply, "hub_key"), e->hub_pk, PT_PK_LEN) ||
	    !pt_pk_is_valid(e->hub_pk))
		return refuse(e, why, why_cap, "\"hub_key\" is not a public key");
	if (!b64_fixed(json_object_get(reply, "prev"), e->prev, PT_HASH_LEN))
		return refuse(e, why, why_cap, "\"prev\" is not 32 bytes of base64url");
	if (take_events(json_object_get(reply, "events"), from, to, e, why, why_cap) != 0 ||
	    take_checkpoints(json_object_get(reply, "checkpoints"), e, why, why_cap) != 0)
		return -1;
	e->has_hub = true;
	return 0;
}

void
ev_chain_clear(struct pt_evidence *e)
{
	e->has_hub = false;
	memset(e->hub_id, 0, sizeof(e->hub_id));
	memset(e->hub_pk, 0, sizeof(e->hub_pk));
	memset(e->prev, 0, sizeof(e->prev));
	memset(e->ev, 0, sizeof(e->ev));
	memset(e->cp, 0, sizeof(e->cp));
	e->n_events = 0;
	e->n_cps = 0;
}

bool
ev_chain_names_clip(const struct pt_evidence *e, const uint8_t clip[PT_CLIP_ID_LEN])
{
	static const char want[] = "session.start";
	char pat[8 + 2 * PT_CLIP_ID_LEN + 2];
	const struct pt_evidence_event *v = &e->ev[0];
	size_t i, n;

	if (!e->has_hub || e->n_events == 0 || v->type_len != sizeof(want) - 1 ||
	    memcmp(v->type, want, v->type_len) != 0)
		return false;
	memcpy(pat, "\"clip\":\"", 8);
	pt_clip_id_text(clip, pat + 8);
	pat[8 + 2 * PT_CLIP_ID_LEN] = '"';
	n = 8 + 2 * PT_CLIP_ID_LEN + 1;
	for (i = 0; v->data != NULL && i + n <= v->data_len; i++)
		if (memcmp(v->data + i, pat, n) == 0)
			return true;
	return false;
}
