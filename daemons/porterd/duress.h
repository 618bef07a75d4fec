/*
 * Duress alerts are not shown to the account under duress (docs/alarm.md,
 * "Duress"; docs/api.md). duress.c.
 */
#ifndef PORTERD_DURESS_H
#define PORTERD_DURESS_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "porter/cred.h"

struct server;

#define DURESS_KIDS_MAX 64	/* owner keys of a home looked at */

/* The key ids of the home's owner keys that `account` enrolled (added_by):
 * the keys whose duress alerts it must not see. */
struct duress_view {
	bool failed;			/* the store did not answer: hide every duress item */
	size_t n;
	uint8_t kid[DURESS_KIDS_MAX][PT_KID_LEN];
};

/* Fill v for (home, account). Never fails: on a store error v->failed. */
void duress_view_load(struct server *s, const char *home_id, int64_t account,
		      struct duress_view *v);

/*
 * Must this item be hidden from v's account? type: an event type
 * ("alert.duress") or an alert type ("duress"); data: the item's JSON
 * data (an object, or NULL). Only duress items are ever hidden: those
 * whose "owner" (hex key id) is one of v's keys, or every one if the
 * store failed. A duress item without a readable owner names no one: it
 * is shown.
 */
bool duress_hides(const struct duress_view *v, const char *type, const json_t *data);
/* The same with data as the stored JSON text. */
bool duress_hides_text(const struct duress_view *v, const char *type, const char *data);

/* Remove the hidden items from body[key], an array of {"type", "data"}
 * objects (a GET events or alerts page), for account. */
void duress_filter_page(struct server *s, const char *home_id, int64_t account, json_t *body,
			const char *key);

/* POST .../alerts/{alert_id}/ack by account: is that alert a duress alert
 * hidden from it? Then the route answers 404 as for an alert that is not
 * there, and acknowledges nothing. true also when the store cannot tell. */
bool duress_alert_hidden(struct server *s, const char *home_id, int64_t account,
			 int64_t alert_id);

/* After the route answered GET /v1/homes/{id}/<sub> with 200: for sub
 * "events" or "alerts", duress_filter_page(body, sub); otherwise nothing. */
void duress_filter_reply(struct server *s, const char *home_id, int64_t account, const char *sub,
			 json_t *body);
/* Before routing: a POST of sub "alerts/<id>/ack" naming a duress alert
 * hidden from account (duress_alert_hidden)? The caller answers 404. */
bool duress_ack_hidden(struct server *s, const char *method, const char *home_id,
		       int64_t account, const char *sub);

#endif
