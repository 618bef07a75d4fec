/*
 * store.c: the storage interface (porter/store.h), dispatched to a backend.
 *
 * pt_store_open picks the backend from the address: "postgresql://" or
 * "postgres://" (a libpq connection URI) is PostgreSQL, anything else is
 * the path of a SQLite file. Every other call goes through st->ops; the
 * contract of each is in store.h and holds for every backend.
 */
#include <stdio.h>
#include <string.h>

#include "porter/keyfile.h"
#include "backend.h"

int
pt_store_open(const char *path, struct pt_store **out, struct pt_errbuf *err)
{
	if (out == NULL)
		return PT_EINVAL;
	*out = NULL;
	if (path == NULL)
		return PT_EINVAL;
	if (strncmp(path, "postgresql://", 13) == 0 || strncmp(path, "postgres://", 11) == 0) {
#ifdef PORTER_HAVE_PG
		return pt_store_pg_open(path, out, err);
#else
		(void)snprintf(err->msg, sizeof(err->msg),
			       "'%.100s': porter was built without PostgreSQL", "postgresql://...");
		return PT_EINVAL;
#endif
	}
	return pt_store_sqlite_open(path, out, err);
}

void
pt_store_close(struct pt_store *st)
{
	if (st != NULL)
		st->ops->close(st);
}

int
pt_store_schema_version(struct pt_store *st)
{
	return st != NULL ? st->ops->schema_version(st) : 0;
}

int
pt_store_begin(struct pt_store *st)
{
	if (st == NULL)
		return PT_EINVAL;
	return st->ops->begin(st);
}

int
pt_store_commit(struct pt_store *st)
{
	if (st == NULL)
		return PT_EINVAL;
	return st->ops->commit(st);
}

void
pt_store_rollback(struct pt_store *st)
{
	if (st != NULL)
		st->ops->rollback(st);
}

int
pt_store_account_insert(struct pt_store *st, struct pt_account *a)
{
	if (st == NULL)
		return PT_EINVAL;
	return st->ops->account_insert(st, a);
}

int
pt_store_account_by_email(struct pt_store *st, const char *email, struct pt_account *a)
{
	if (st == NULL)
		return PT_EINVAL;
	return st->ops->account_by_email(st, email, a);
}

int
pt_store_account_by_id(struct pt_store *st, int64_t id, struct pt_account *a)
{
	if (st == NULL)
		return PT_EINVAL;
	return st->ops->account_by_id(st, id, a);
}

int
pt_store_session_insert(struct pt_store *st, const uint8_t token_hash[PT_HASH_LEN], int64_t account_id, int64_t expires_at)
{
	if (st == NULL)
		return PT_EINVAL;
	return st->ops->session_insert(st, token_hash, account_id, expires_at);
}

int
pt_store_session_lookup(struct pt_store *st, const uint8_t token_hash[PT_HASH_LEN], int64_t now, int64_t *account_id)
{
	if (st == NULL)
		return PT_EINVAL;
	return st->ops->session_lookup(st, token_hash, now, account_id);
}

int
pt_store_session_get(struct pt_store *st, const uint8_t token_hash[PT_HASH_LEN], int64_t now, int64_t *account_id, int64_t *expires_at)
{
	if (st == NULL)
		return PT_EINVAL;
	return st->ops->session_get(st, token_hash, now, account_id, expires_at);
}

int
pt_store_session_delete(struct pt_store *st, const uint8_t token_hash[PT_HASH_LEN])
{
	if (st == NULL)
		return PT_EINVAL;
	return st->ops->session_delete(st, token_hash);
}

int
pt_store_session_delete_all(struct pt_store *st, int64_t account_id)
{
	if (st == NULL)
		return PT_EINVAL;
	return st->ops->session_delete_all(st, account_id);
}

int
pt_store_home_insert(struct pt_store *st, struct pt_home *h, int64_t owner_account)
{
	if (st == NULL)
		return PT_EINVAL;
	return st->ops->home_insert(st, h, owner_account);
}

int
pt_store_home_get(struct pt_store *st, const char *home_id, int64_t account, struct pt_home *h, int *role)
{
	if (st == NULL)
		return PT_EINVAL;
	return st->ops->home_get(st, home_id, account, h, role);
}

int
pt_store_home_list(struct pt_store *st, int64_t account, struct pt_home *out, size_t max, size_t *n)
{
	if (st == NULL)
		return PT_EINVAL;
	return st->ops->home_list(st, account, out, max, n);
}

int
pt_store_home_by_id(struct pt_store *st, const char *home_id, struct pt_home *h)
{
	if (st == NULL)
		return PT_EINVAL;
	return st->ops->home_by_id(st, home_id, h);
}

int
pt_store_home_update(struct pt_store *st, const struct pt_home *h)
{
	if (st == NULL)
		return PT_EINVAL;
	return st->ops->home_update(st, h);
}

int
pt_store_home_delete(struct pt_store *st, const char *home_id)
{
	if (st == NULL)
		return PT_EINVAL;
	return st->ops->home_delete(st, home_id);
}

int
pt_store_member_add(struct pt_store *st, const char *home_id, int64_t account, int role)
{
	if (st == NULL)
		return PT_EINVAL;
	return st->ops->member_add(st, home_id, account, role);
}

int
pt_store_member_list(struct pt_store *st, const char *home_id, struct pt_member *out, size_t max,
		     size_t *n)
{
	if (n != NULL)
		*n = 0;
	if (st == NULL || n == NULL)
		return PT_EINVAL;
	return st->ops->member_list(st, home_id, out, max, n);
}

int
pt_store_member_remove(struct pt_store *st, const char *home_id, int64_t account, int *role)
{
	if (role != NULL)
		*role = 0;
	if (st == NULL)
		return PT_EINVAL;
	return st->ops->member_remove(st, home_id, account, role);
}

int
pt_store_owner_key_insert(struct pt_store *st, struct pt_owner_key *k)
{
	if (st == NULL)
		return PT_EINVAL;
	return st->ops->owner_key_insert(st, k);
}

int
pt_store_owner_key_list(struct pt_store *st, const char *home_id, struct pt_owner_key *out, size_t max, size_t *n)
{
	if (st == NULL)
		return PT_EINVAL;
	return st->ops->owner_key_list(st, home_id, out, max, n);
}

int
pt_store_grant_insert(struct pt_store *st, struct pt_grant_row *g)
{
	if (st == NULL)
		return PT_EINVAL;
	return st->ops->grant_insert(st, g);
}

int
pt_store_grant_list(struct pt_store *st, const char *home_id, struct pt_grant_row *out, size_t max, size_t *n)
{
	return pt_store_grant_list_after(st, home_id, 0, out, max, n);
}

int
pt_store_grant_list_after(struct pt_store *st, const char *home_id, int64_t after,
			  struct pt_grant_row *out, size_t max, size_t *n)
{
	if (st == NULL)
		return PT_EINVAL;
	return st->ops->grant_list(st, home_id, after, out, max, n);
}

int
pt_store_grant_list_by_holder(struct pt_store *st, const char *home_id, const uint8_t holder[PT_PK_LEN], struct pt_grant_row *out, size_t max, size_t *n)
{
	if (st == NULL)
		return PT_EINVAL;
	return st->ops->grant_list_by_holder(st, home_id, holder, out, max, n);
}

int
pt_store_revocation_insert(struct pt_store *st, struct pt_revocation_row *r)
{
	if (st == NULL)
		return PT_EINVAL;
	return st->ops->revocation_insert(st, r);
}

int
pt_store_revocation_list(struct pt_store *st, const char *home_id, int64_t since_version, struct pt_revocation_row *out, size_t max, size_t *n)
{
	if (st == NULL)
		return PT_EINVAL;
	return st->ops->revocation_list(st, home_id, since_version, out, max, n);
}

int
pt_store_revocation_newest(struct pt_store *st, const char *home_id, int64_t *version)
{
	if (st == NULL)
		return PT_EINVAL;
	return st->ops->revocation_newest(st, home_id, version);
}

int
pt_store_revocation_key_find(struct pt_store *st, const char *home_id, const uint8_t pk[PT_PK_LEN], bool *found)
{
	if (found == NULL)
		return PT_EINVAL;
	*found = false;
	if (st == NULL)
		return PT_EINVAL;
	return st->ops->revocation_key_find(st, home_id, pk, found);
}

int
pt_store_audit_append(struct pt_store *st, int64_t at, int64_t actor, const char *action, const char *target, const char *detail)
{
	if (st == NULL)
		return PT_EINVAL;
	return st->ops->audit_append(st, at, actor, action, target, detail);
}

int
pt_store_audit_verify(struct pt_store *st, int64_t *bad_seq, int64_t *rows)
{
	if (st == NULL)
		return PT_EINVAL;
	return st->ops->audit_verify(st, bad_seq, rows);
}

int
pt_store_carrier_insert(struct pt_store *st, struct pt_carrier *c)
{
	if (st == NULL)
		return PT_EINVAL;
	return st->ops->carrier_insert(st, c);
}

int
pt_store_carrier_get(struct pt_store *st, const char *id, struct pt_carrier *c)
{
	if (st == NULL)
		return PT_EINVAL;
	return st->ops->carrier_get(st, id, c);
}

int
pt_store_carrier_list(struct pt_store *st, int64_t after, struct pt_carrier *out, size_t max, size_t *n)
{
	if (st == NULL)
		return PT_EINVAL;
	return st->ops->carrier_list(st, after, out, max, n);
}

int
pt_store_courier_insert(struct pt_store *st, const struct pt_courier *c)
{
	if (st == NULL)
		return PT_EINVAL;
	return st->ops->courier_insert(st, c);
}

int
pt_store_courier_get(struct pt_store *st, int64_t account, struct pt_courier *c)
{
	if (st == NULL)
		return PT_EINVAL;
	return st->ops->courier_get(st, account, c);
}

int
pt_store_courier_list(struct pt_store *st, const char *carrier_id, int64_t after, struct pt_courier *out, size_t max, size_t *n)
{
	if (st == NULL)
		return PT_EINVAL;
	return st->ops->courier_list(st, carrier_id, after, out, max, n);
}

int
pt_store_courier_deactivate(struct pt_store *st, const char *carrier_id, int64_t account, int64_t at)
{
	if (st == NULL)
		return PT_EINVAL;
	return st->ops->courier_deactivate(st, carrier_id, account, at);
}

int
pt_store_device_insert(struct pt_store *st, struct pt_device *d)
{
	if (st == NULL)
		return PT_EINVAL;
	return st->ops->device_insert(st, d);
}

int
pt_store_device_list(struct pt_store *st, int64_t account, struct pt_device *out, size_t max, size_t *n)
{
	if (st == NULL)
		return PT_EINVAL;
	return st->ops->device_list(st, account, out, max, n);
}

int
pt_store_device_delete(struct pt_store *st, int64_t account, int64_t id)
{
	if (st == NULL)
		return PT_EINVAL;
	return st->ops->device_delete(st, account, id);
}

int
pt_store_device_by_pk(struct pt_store *st, int64_t account, const uint8_t pk[PT_PK_LEN], struct pt_device *d)
{
	if (st == NULL)
		return PT_EINVAL;
	return st->ops->device_by_pk(st, account, pk, d);
}

int
pt_store_hub_insert(struct pt_store *st, struct pt_hub *h)
{
	if (st == NULL)
		return PT_EINVAL;
	return st->ops->hub_insert(st, h);
}

int
pt_store_hub_list(struct pt_store *st, const char *home_id, struct pt_hub *out, size_t max, size_t *n)
{
	if (st == NULL)
		return PT_EINVAL;
	return st->ops->hub_list(st, home_id, out, max, n);
}

int
pt_store_hub_delete(struct pt_store *st, const char *home_id, const char *hub_id,
		    int64_t removed_at)
{
	if (st == NULL)
		return PT_EINVAL;
	return st->ops->hub_delete(st, home_id, hub_id, 0, removed_at);
}

int
pt_store_hub_delete_unconfirmed(struct pt_store *st, const char *home_id, const char *hub_id,
				int64_t rowid, int64_t removed_at)
{
	int r;

	if (st == NULL || home_id == NULL || hub_id == NULL || rowid < 1)
		return PT_EINVAL;
	r = st->ops->hub_delete(st, home_id, hub_id, rowid, removed_at);
	return r == PT_ENOTFOUND ? PT_EEXISTS : r;	/* not that unconfirmed row any more */
}

int
pt_store_hub_get(struct pt_store *st, const char *home_id, const char *hub_id, struct pt_hub *h)
{
	if (h == NULL)
		return PT_EINVAL;
	memset(h, 0, sizeof(*h));
	if (st == NULL || home_id == NULL || hub_id == NULL)
		return PT_EINVAL;
	return st->ops->hub_get(st, home_id, hub_id, h);
}

int
pt_store_hub_by_id(struct pt_store *st, const char *hub_id, struct pt_hub *h)
{
	if (st == NULL)
		return PT_EINVAL;
	return st->ops->hub_by_id(st, hub_id, h);
}

int
pt_store_hub_confirm_set(struct pt_store *st, const char *home_id, const char *hub_id,
			 bool confirmed, bool *changed)
{
	if (changed != NULL)
		*changed = false;
	if (st == NULL || home_id == NULL || hub_id == NULL || changed == NULL)
		return PT_EINVAL;
	return st->ops->hub_confirm_set(st, home_id, hub_id, confirmed, changed);
}

int
pt_store_hub_hold(struct pt_store *st, const char *home_id, const char *hub_id)
{
	if (st == NULL || home_id == NULL || hub_id == NULL)
		return PT_EINVAL;
	return st->ops->hub_hold(st, home_id, hub_id);
}

int
pt_store_hub_seen(struct pt_store *st, const char *hub_id, int64_t at, bool online, bool *changed)
{
	if (st == NULL)
		return PT_EINVAL;
	return st->ops->hub_seen(st, hub_id, at, online, changed);
}

int
pt_store_hub_state_set(struct pt_store *st, const char *hub_id, const char *state)
{
	if (st == NULL)
		return PT_EINVAL;
	return st->ops->hub_state_set(st, hub_id, state);
}

int
pt_store_hub_list_online(struct pt_store *st, int64_t after, struct pt_hub *out, size_t max, size_t *n)
{
	if (st == NULL)
		return PT_EINVAL;
	return st->ops->hub_list_online(st, after, out, max, n);
}

int
pt_store_hub_event_last(struct pt_store *st, const char *hub_id, int64_t *seq, uint8_t hash[PT_HASH_LEN])
{
	if (st == NULL)
		return PT_EINVAL;
	return st->ops->hub_event_last(st, hub_id, seq, hash);
}

int
pt_store_hub_event_hash(struct pt_store *st, const char *hub_id, int64_t seq, uint8_t hash[PT_HASH_LEN])
{
	if (st == NULL)
		return PT_EINVAL;
	return st->ops->hub_event_hash(st, hub_id, seq, hash);
}

int
pt_store_delivery_insert(struct pt_store *st, struct pt_delivery *d, int64_t actor)
{
	if (st == NULL)
		return PT_EINVAL;
	return st->ops->delivery_insert(st, d, actor);
}

int
pt_store_delivery_get(struct pt_store *st, const char *id, struct pt_delivery *d)
{
	if (st == NULL)
		return PT_EINVAL;
	return st->ops->delivery_get(st, id, d);
}

int
pt_store_delivery_update(struct pt_store *st, const struct pt_delivery *d, uint8_t from_state, int64_t actor)
{
	if (st == NULL)
		return PT_EINVAL;
	return st->ops->delivery_update(st, d, from_state, actor);
}

int
pt_store_delivery_list(struct pt_store *st, const struct pt_delivery_filter *f, int64_t after, struct pt_delivery *out, size_t max, size_t *n)
{
	if (st == NULL)
		return PT_EINVAL;
	return st->ops->delivery_list(st, f, after, out, max, n);
}

int
pt_store_delivery_steps(struct pt_store *st, const char *id, struct pt_delivery_step *out, size_t max, size_t *n)
{
	if (st == NULL)
		return PT_EINVAL;
	return st->ops->delivery_steps(st, id, out, max, n);
}

int
pt_store_event_append(struct pt_store *st, struct pt_event_row *e)
{
	if (st == NULL)
		return PT_EINVAL;
	return st->ops->event_append(st, e);
}

int
pt_store_event_list(struct pt_store *st, const char *home_id, int64_t after, struct pt_event_row *out, size_t max, size_t *n)
{
	if (st == NULL)
		return PT_EINVAL;
	return st->ops->event_list(st, home_id, after, out, max, n);
}

int
pt_store_event_back_id(struct pt_store *st, const char *home_id, int64_t back, int64_t *id)
{
	if (id != NULL)
		*id = 0;
	if (st == NULL || home_id == NULL || id == NULL || back < 0)
		return PT_EINVAL;
	return st->ops->event_back_id(st, home_id, back, id);
}

int
pt_store_event_last_id(struct pt_store *st, const char *home_id, int64_t *id)
{
	return pt_store_event_back_id(st, home_id, 0, id);
}

int
pt_store_alert_insert(struct pt_store *st, struct pt_alert_row *a)
{
	if (st == NULL)
		return PT_EINVAL;
	return st->ops->alert_insert(st, a);
}

int
pt_store_alert_list(struct pt_store *st, const char *home_id, bool only_open, int64_t after, struct pt_alert_row *out, size_t max, size_t *n)
{
	if (st == NULL)
		return PT_EINVAL;
	return st->ops->alert_list(st, home_id, only_open, after, out, max, n);
}

int
pt_store_alert_ack(struct pt_store *st, const char *home_id, int64_t id, int64_t account, int64_t at, struct pt_alert_row *a)
{
	if (st == NULL)
		return PT_EINVAL;
	return st->ops->alert_ack(st, home_id, id, account, at, a);
}

/* ---- cameras and clips ---- */

int
pt_store_camera_insert(struct pt_store *st, struct pt_camera *c)
{
	if (st == NULL)
		return PT_EINVAL;
	return st->ops->camera_insert(st, c);
}

int
pt_store_camera_list(struct pt_store *st, const char *home_id, struct pt_camera *out, size_t max,
		     size_t *n)
{
	if (st == NULL)
		return PT_EINVAL;
	return st->ops->camera_list(st, home_id, out, max, n);
}

int
pt_store_camera_delete(struct pt_store *st, const char *home_id, const char *camera_id)
{
	if (st == NULL)
		return PT_EINVAL;
	return st->ops->camera_delete(st, home_id, camera_id);
}

int
pt_store_camera_by_id(struct pt_store *st, const char *camera_id, struct pt_camera *c)
{
	if (st == NULL)
		return PT_EINVAL;
	return st->ops->camera_by_id(st, camera_id, c);
}

int
pt_store_clip_get(struct pt_store *st, const char *home_id, const uint8_t clip[16],
		  struct pt_clip_row *c)
{
	if (st == NULL)
		return PT_EINVAL;
	return st->ops->clip_get(st, home_id, clip, c);
}

int
pt_store_clip_list(struct pt_store *st, const char *home_id, int64_t after, struct pt_clip_row *out,
		   size_t max, size_t *n)
{
	if (st == NULL)
		return PT_EINVAL;
	return st->ops->clip_list(st, home_id, after, out, max, n);
}

int
pt_store_clip_put(struct pt_store *st, const struct pt_clip_row *c, int64_t seg_bytes,
		  const uint8_t *manifest, size_t manifest_len)
{
	if (st == NULL)
		return PT_EINVAL;
	return st->ops->clip_put(st, c, seg_bytes, manifest, manifest_len);
}

int
pt_store_clip_manifest(struct pt_store *st, const char *home_id, const uint8_t clip[16],
		       uint8_t *out, size_t cap, size_t *len)
{
	if (st == NULL)
		return PT_EINVAL;
	return st->ops->clip_manifest(st, home_id, clip, out, cap, len);
}

int
pt_store_clip_usage(struct pt_store *st, const char *home_id, int64_t *bytes)
{
	if (st == NULL)
		return PT_EINVAL;
	return st->ops->clip_usage(st, home_id, bytes);
}

int
pt_store_home_lock(struct pt_store *st, const char *home_id)
{
	if (st == NULL)
		return PT_EINVAL;
	return st->ops->home_lock(st, home_id);
}

int
pt_store_clip_keyrec_put(struct pt_store *st, const struct pt_clip_row *c, const uint8_t *keyrec,
			 size_t keyrec_len)
{
	if (st == NULL)
		return PT_EINVAL;
	return st->ops->clip_keyrec_put(st, c, keyrec, keyrec_len);
}

int
pt_store_clip_keyrec(struct pt_store *st, const char *home_id, const uint8_t clip[16],
		     uint8_t *out, size_t cap, size_t *len)
{
	if (st == NULL)
		return PT_EINVAL;
	return st->ops->clip_keyrec(st, home_id, clip, out, cap, len);
}

/* ---- a hub's chain (schema 9) ---- */

int
pt_store_hub_checkpoint_add(struct pt_store *st, const char *hub_id, int64_t seq,
			    const uint8_t sig[PT_SIG_LEN])
{
	if (st == NULL || hub_id == NULL || sig == NULL || seq < 1)
		return PT_EINVAL;
	return st->ops->hub_checkpoint_add(st, hub_id, seq, sig);
}

int
pt_store_hub_event_range(struct pt_store *st, const char *home_id, const char *hub_id,
			 int64_t from, int64_t to, struct pt_event_row *out, size_t max, size_t *n)
{
	if (n != NULL)
		*n = 0;
	if (st == NULL || home_id == NULL || hub_id == NULL || n == NULL || (out == NULL && max != 0) || from < 1 ||
	    to < from || max > PT_STORE_CHAIN_EVENTS_MAX)
		return PT_EINVAL;
	return st->ops->hub_event_range(st, home_id, hub_id, from, to, out, max, n);
}

int
pt_store_hub_checkpoint_range(struct pt_store *st, const char *home_id, const char *hub_id,
			      int64_t from, int64_t to, struct pt_hub_checkpoint *out, size_t max,
			      size_t *n)
{
	struct pt_hub_checkpoint t;
	size_t i;
	int r;

	if (n != NULL)
		*n = 0;
	if (st == NULL || home_id == NULL || hub_id == NULL || n == NULL ||
	    (out == NULL && max != 0) || from < 1 || to < from || max > PT_STORE_CHAIN_CPS_MAX)
		return PT_EINVAL;
	/* The backends read the last max of the range, newest first. */
	if ((r = st->ops->hub_checkpoint_range(st, home_id, hub_id, from, to, out, max, n)) != PT_OK)
		return r;
	for (i = 0; i < *n / 2; i++) {
		t = out[i];
		out[i] = out[*n - 1 - i];
		out[*n - 1 - i] = t;
	}
	return PT_OK;
}

int
pt_store_hub_checkpoint_next(struct pt_store *st, const char *home_id, const char *hub_id,
			     int64_t from, struct pt_hub_checkpoint *cp)
{
	if (cp == NULL)
		return PT_EINVAL;
	memset(cp, 0, sizeof(*cp));
	if (st == NULL || home_id == NULL || hub_id == NULL || from < 1)
		return PT_EINVAL;
	return st->ops->hub_checkpoint_next(st, home_id, hub_id, from, cp);
}
