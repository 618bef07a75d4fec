/*
 * Duress alerts (docs/alarm.md, "Duress"): porter-hub raises the event
 * alert.duress, and porterd the alert duress, when an owner's duress
 * credential opened the door. The person under duress may be made to
 * show their phone, so neither is shown to the account that enrolled the
 * owner key which signed that credential (the event's "owner", a key id):
 * not in GET events, GET alerts or the live stream. Everyone else of the
 * home sees them. What porterd records of who holds a key is who enrolled
 * it (owner_keys.added_by); docs/api.md says what that leaves out.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "porter/crypto.h"
#include "porter/store.h"
#include "porter/text.h"
#include "porterd.h"
#include "duress.h"

void
duress_view_load(struct server *s, const char *home_id, int64_t account, struct duress_view *v)
{
	struct pt_owner_key *ks;
	size_t n = 0, i;

	memset(v, 0, sizeof(*v));
	if ((ks = calloc(DURESS_KIDS_MAX, sizeof(*ks))) == NULL ||
	    pt_store_owner_key_list(s->st, home_id, ks, DURESS_KIDS_MAX, &n) != PT_OK) {
		free(ks);
		v->failed = true;
		return;
	}
	for (i = 0; i < n && v->n < DURESS_KIDS_MAX; i++)
		if (ks[i].added_by == account)
			pt_kid(pt_crypto_sodium(), ks[i].pk, v->kid[v->n++]);
	free(ks);
}

static bool
is_duress(const char *type)
{
	return type != NULL && (strcmp(type, "alert.duress") == 0 || strcmp(type, "duress") == 0);
}

bool
duress_hides(const struct duress_view *v, const char *type, const json_t *data)
{
	char kh[2 * PT_KID_LEN + 1];
	const char *owner;
	size_t i;

	if (!is_duress(type))
		return false;
	if (v->failed)
		return true;
	owner = json_string_value(json_object_get(data, "owner"));
	if (owner == NULL || strlen(owner) != 2 * PT_KID_LEN)
		return false;
	for (i = 0; i < v->n; i++) {
		pt_hex(v->kid[i], PT_KID_LEN, kh);	/* the hub writes lowercase hex */
		if (strcasecmp(owner, kh) == 0)
			return true;
	}
	return false;
}

bool
duress_hides_text(const struct duress_view *v, const char *type, const char *data)
{
	json_t *d;
	bool hide;

	if (!is_duress(type))
		return false;
	d = json_loads(data, JSON_REJECT_DUPLICATES, NULL);
	hide = duress_hides(v, type, d);
	json_decref(d);
	return hide;
}

void
duress_filter_page(struct server *s, const char *home_id, int64_t account, json_t *body,
		   const char *key)
{
	struct duress_view *v = NULL;
	json_t *arr = json_object_get(body, key), *it;
	size_t i;

	if (!json_is_array(arr))
		return;
	for (i = json_array_size(arr); i-- > 0;) {
		it = json_array_get(arr, i);
		if (!is_duress(json_string_value(json_object_get(it, "type"))))
			continue;
		if (v == NULL) {
			if ((v = malloc(sizeof(*v))) == NULL) {
				json_array_clear(arr);	/* cannot tell: show none */
				return;
			}
			duress_view_load(s, home_id, account, v);
		}
		if (duress_hides(v, json_string_value(json_object_get(it, "type")),
				 json_object_get(it, "data")))
			(void)json_array_remove(arr, i);
	}
	free(v);
}

bool
duress_alert_hidden(struct server *s, const char *home_id, int64_t account, int64_t alert_id)
{
	struct pt_alert_row a;
	struct duress_view *v;
	size_t n = 0;
	bool hide;

	if (alert_id <= 0)
		return false;
	/* The one alert with id >= alert_id, whatever its state: the id asked for or
	 * another (then not ours to hide: the route answers for it as ever). */
	if (pt_store_alert_list(s->st, home_id, false, alert_id - 1, &a, 1, &n) != PT_OK)
		return true;	/* cannot tell: a duress alert stays hidden */
	if (n == 0 || a.id != alert_id || strcmp(a.type, "duress") != 0)
		return false;
	if ((v = malloc(sizeof(*v))) == NULL)
		return true;
	duress_view_load(s, home_id, account, v);
	hide = duress_hides_text(v, a.type, a.data);
	free(v);
	return hide;
}

void
duress_filter_reply(struct server *s, const char *home_id, int64_t account, const char *sub,
		    json_t *body)
{
	if (strcmp(sub, "events") == 0 || strcmp(sub, "alerts") == 0)
		duress_filter_page(s, home_id, account, body, sub);
}

bool
duress_ack_hidden(struct server *s, const char *method, const char *home_id, int64_t account,
		  const char *sub)
{
	char num[24];
	const char *slash;
	uint64_t id;
	size_t n;

	if (method == NULL || strcmp(method, "POST") != 0 || strncmp(sub, "alerts/", 7) != 0)
		return false;
	sub += 7;
	if ((slash = strchr(sub, '/')) == NULL || strcmp(slash, "/ack") != 0)
		return false;
	n = (size_t)(slash - sub);
	if (n == 0 || n >= sizeof(num))
		return false;
	memcpy(num, sub, n);
	num[n] = '\0';
	if (pt_uint_parse(num, 1, (uint64_t)INT64_MAX, &id) != PT_OK)
		return false;	/* the route answers for a malformed id as ever */
	return duress_alert_hidden(s, home_id, account, (int64_t)id);
}
