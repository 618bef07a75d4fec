/*
 * lib/store/backend.h: what a storage backend provides (internal to
 * lib/store). store.c dispatches every pt_store_* call through st->ops;
 * a backend's own struct begins with a struct pt_store.
 */
#ifndef PORTER_STORE_BACKEND_H
#define PORTER_STORE_BACKEND_H

#include "porter/store.h"

struct pt_store_ops {
	void (*close)(struct pt_store *st);
	int (*schema_version)(struct pt_store *st);
	int (*begin)(struct pt_store *st);
	int (*commit)(struct pt_store *st);
	void (*rollback)(struct pt_store *st);
	int (*account_insert)(struct pt_store *st, struct pt_account *a);
	int (*account_by_email)(struct pt_store *st, const char *email, struct pt_account *a);
	int (*account_by_id)(struct pt_store *st, int64_t id, struct pt_account *a);
	int (*session_insert)(struct pt_store *st, const uint8_t token_hash[PT_HASH_LEN], int64_t account_id, int64_t expires_at);
	int (*session_lookup)(struct pt_store *st, const uint8_t token_hash[PT_HASH_LEN], int64_t now, int64_t *account_id);
	int (*session_get)(struct pt_store *st, const uint8_t token_hash[PT_HASH_LEN], int64_t now, int64_t *account_id, int64_t *expires_at);
	int (*session_delete)(struct pt_store *st, const uint8_t token_hash[PT_HASH_LEN]);
	int (*session_delete_all)(struct pt_store *st, int64_t account_id);
	int (*home_insert)(struct pt_store *st, struct pt_home *h, int64_t owner_account);
	int (*home_get)(struct pt_store *st, const char *home_id, int64_t account, struct pt_home *h, int *role);
	int (*home_list)(struct pt_store *st, int64_t account, struct pt_home *out, size_t max, size_t *n);
	int (*home_by_id)(struct pt_store *st, const char *home_id, struct pt_home *h);
	int (*home_update)(struct pt_store *st, const struct pt_home *h);
	int (*home_delete)(struct pt_store *st, const char *home_id);
	int (*member_add)(struct pt_store *st, const char *home_id, int64_t account, int role);
	int (*member_list)(struct pt_store *st, const char *home_id, struct pt_member *out, size_t max, size_t *n);
	int (*member_remove)(struct pt_store *st, const char *home_id, int64_t account, int *role);
	int (*owner_key_insert)(struct pt_store *st, struct pt_owner_key *k);
	int (*owner_key_list)(struct pt_store *st, const char *home_id, struct pt_owner_key *out, size_t max, size_t *n);
	int (*grant_insert)(struct pt_store *st, struct pt_grant_row *g);
	int (*grant_list)(struct pt_store *st, const char *home_id, int64_t after, struct pt_grant_row *out, size_t max, size_t *n);
	int (*grant_list_by_holder)(struct pt_store *st, const char *home_id, const uint8_t holder[PT_PK_LEN], struct pt_grant_row *out, size_t max, size_t *n);
	int (*revocation_insert)(struct pt_store *st, struct pt_revocation_row *r);
	int (*revocation_list)(struct pt_store *st, const char *home_id, int64_t since_version, struct pt_revocation_row *out, size_t max, size_t *n);
	int (*revocation_newest)(struct pt_store *st, const char *home_id, int64_t *version);
	int (*revocation_key_find)(struct pt_store *st, const char *home_id, const uint8_t pk[PT_PK_LEN], bool *found);
	int (*audit_append)(struct pt_store *st, int64_t at, int64_t actor, const char *action, const char *target, const char *detail);
	int (*audit_verify)(struct pt_store *st, int64_t *bad_seq, int64_t *rows);
	int (*carrier_insert)(struct pt_store *st, struct pt_carrier *c);
	int (*carrier_get)(struct pt_store *st, const char *id, struct pt_carrier *c);
	int (*carrier_list)(struct pt_store *st, int64_t after, struct pt_carrier *out, size_t max, size_t *n);
	int (*courier_insert)(struct pt_store *st, const struct pt_courier *c);
	int (*courier_get)(struct pt_store *st, int64_t account, struct pt_courier *c);
	int (*courier_list)(struct pt_store *st, const char *carrier_id, int64_t after, struct pt_courier *out, size_t max, size_t *n);
	int (*courier_deactivate)(struct pt_store *st, const char *carrier_id, int64_t account, int64_t at);
	int (*device_insert)(struct pt_store *st, struct pt_device *d);
	int (*device_list)(struct pt_store *st, int64_t account, struct pt_device *out, size_t max, size_t *n);
	int (*device_delete)(struct pt_store *st, int64_t account, int64_t id);
	int (*device_by_pk)(struct pt_store *st, int64_t account, const uint8_t pk[PT_PK_LEN], struct pt_device *d);
	int (*hub_insert)(struct pt_store *st, struct pt_hub *h);
	int (*hub_list)(struct pt_store *st, const char *home_id, struct pt_hub *out, size_t max, size_t *n);
	/* rowid 0: any row; else only that row, and only while unconfirmed (schema 11) */
	int (*hub_delete)(struct pt_store *st, const char *home_id, const char *hub_id, int64_t rowid, int64_t removed_at);
	int (*hub_by_id)(struct pt_store *st, const char *hub_id, struct pt_hub *h);
	int (*hub_seen)(struct pt_store *st, const char *hub_id, int64_t at, bool online, bool *changed);
	int (*hub_state_set)(struct pt_store *st, const char *hub_id, const char *state);
	int (*hub_confirm_set)(struct pt_store *st, const char *home_id, const char *hub_id, bool confirmed, bool *changed);	/* schema 11 */
	int (*hub_hold)(struct pt_store *st, const char *home_id, const char *hub_id);	/* schema 11 */
	int (*hub_list_online)(struct pt_store *st, int64_t after, struct pt_hub *out, size_t max, size_t *n);
	int (*hub_event_last)(struct pt_store *st, const char *hub_id, int64_t *seq, uint8_t hash[PT_HASH_LEN]);
	int (*hub_event_hash)(struct pt_store *st, const char *hub_id, int64_t seq, uint8_t hash[PT_HASH_LEN]);
	int (*delivery_insert)(struct pt_store *st, struct pt_delivery *d, int64_t actor);
	int (*delivery_get)(struct pt_store *st, const char *id, struct pt_delivery *d);
	int (*delivery_update)(struct pt_store *st, const struct pt_delivery *d, uint8_t from_state, int64_t actor);
	int (*delivery_list)(struct pt_store *st, const struct pt_delivery_filter *f, int64_t after, struct pt_delivery *out, size_t max, size_t *n);
	int (*delivery_steps)(struct pt_store *st, const char *id, struct pt_delivery_step *out, size_t max, size_t *n);
	int (*event_append)(struct pt_store *st, struct pt_event_row *e);
	int (*event_list)(struct pt_store *st, const char *home_id, int64_t after, struct pt_event_row *out, size_t max, size_t *n);
	int (*event_back_id)(struct pt_store *st, const char *home_id, int64_t back, int64_t *id);
	int (*alert_insert)(struct pt_store *st, struct pt_alert_row *a);
	int (*alert_list)(struct pt_store *st, const char *home_id, bool only_open, int64_t after, struct pt_alert_row *out, size_t max, size_t *n);
	int (*alert_ack)(struct pt_store *st, const char *home_id, int64_t id, int64_t account, int64_t at, struct pt_alert_row *a);
	/* cameras and clips (schema 4) */
	int (*camera_insert)(struct pt_store *st, struct pt_camera *c);
	int (*camera_list)(struct pt_store *st, const char *home_id, struct pt_camera *out, size_t max, size_t *n);
	int (*camera_delete)(struct pt_store *st, const char *home_id, const char *camera_id);
	int (*camera_by_id)(struct pt_store *st, const char *camera_id, struct pt_camera *c);
	int (*clip_get)(struct pt_store *st, const char *home_id, const uint8_t clip[16], struct pt_clip_row *c);
	int (*clip_list)(struct pt_store *st, const char *home_id, int64_t after, struct pt_clip_row *out, size_t max, size_t *n);
	int (*clip_put)(struct pt_store *st, const struct pt_clip_row *c, int64_t seg_bytes, const uint8_t *manifest, size_t manifest_len);
	int (*clip_manifest)(struct pt_store *st, const char *home_id, const uint8_t clip[16], uint8_t *out, size_t cap, size_t *len);
	int (*clip_usage)(struct pt_store *st, const char *home_id, int64_t *bytes);
	int (*home_lock)(struct pt_store *st, const char *home_id);
	int (*clip_keyrec_put)(struct pt_store *st, const struct pt_clip_row *c, const uint8_t *keyrec, size_t keyrec_len);
	int (*clip_keyrec)(struct pt_store *st, const char *home_id, const uint8_t clip[16], uint8_t *out, size_t cap, size_t *len);
	/* hub checkpoints (schema 9) */
	int (*hub_checkpoint_add)(struct pt_store *st, const char *hub_id, int64_t seq, const uint8_t sig[PT_SIG_LEN]);
	int (*hub_event_range)(struct pt_store *st, const char *home_id, const char *hub_id, int64_t from, int64_t to, struct pt_event_row *out, size_t max, size_t *n);
	/* the last max checkpoints of [from, to], newest first (store.c
	 * returns them ascending) */
	int (*hub_checkpoint_range)(struct pt_store *st, const char *home_id, const char *hub_id, int64_t from, int64_t to, struct pt_hub_checkpoint *out, size_t max, size_t *n);
	int (*hub_checkpoint_next)(struct pt_store *st, const char *home_id, const char *hub_id, int64_t from, struct pt_hub_checkpoint *cp);
	/* removed hubs (schema 10) */
	int (*hub_get)(struct pt_store *st, const char *home_id, const char *hub_id, struct pt_hub *h);
};

struct pt_store {
	const struct pt_store_ops *ops;
};

/* The backends: each opens its own kind of address. */
int pt_store_sqlite_open(const char *path, struct pt_store **out,
			 struct pt_errbuf *err) PT_MUST_CHECK;
#ifdef PORTER_HAVE_PG
int pt_store_pg_open(const char *conninfo, struct pt_store **out,
		     struct pt_errbuf *err) PT_MUST_CHECK;
#endif

#endif
