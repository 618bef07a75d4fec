/*
 * porter/store.h: porterd's storage, behind one interface.
 *
 * The SQLite backend (store_sqlite.c) is the default; the PostgreSQL
 * backend (store_pg.c) implements the same functions for a database that
 * several porterd share (pt_store_open takes a postgresql:// URI). Callers
 * never write SQL.
 *
 * Concurrency: a struct pt_store is shared by all request threads. Every
 * change happens inside pt_store_begin() .. pt_store_commit() (or
 * pt_store_rollback()), on the calling thread. In SQLite begin takes the
 * store's write lock, so one transaction runs at a time (SQLite has one
 * writer anyway); PostgreSQL runs transactions in parallel, each pinned to
 * one connection, with row and advisory locks where order matters
 * (docs/storage.md). Either way a request sees its own writes. Reads outside a transaction take the lock for the
 * single call. The lock is not recursive: never call begin twice.
 *
 * Errors: PT_OK; PT_ENOTFOUND (no such row, or not visible to the caller);
 * PT_EEXISTS (a unique value is taken); PT_EIO (the database failed: the
 * message is logged by the store, never shown to clients); PT_EINVAL
 * (caller error, e.g. a call outside a transaction that needs one);
 * PT_ECONFLICT (a compare-and-set found the row changed: deliveries).
 *
 * Strings in the structs are NUL-terminated copies; sizes are limits the
 * API layer enforces before calling the store.
 */
#ifndef PORTER_STORE_H
#define PORTER_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "porter/cred.h"
#include "porter/crypto.h"
#include "porter/envelope.h"
#include "porter/err.h"

#define PT_EMAIL_MAX 254
#define PT_NAME_MAX 100
#define PT_PWHASH_MAX 128	/* crypto_pwhash_STRBYTES */
#define PT_NOTES_MAX 500
#define PT_LABEL_MAX 100
#define PT_POLICY_MAX 2048	/* the home's delivery policy, canonical JSON */
#define PT_DETAIL_MAX 1024	/* audit detail, canonical JSON */

enum pt_role {
	PT_ROLE_OWNER = 1,		/* account role: owns homes */
	PT_ROLE_CARRIER_ADMIN = 2,
	PT_ROLE_COURIER = 3,
	PT_ROLE_MEMBER = 4,		/* household member (of homes they are added to) */
};

struct pt_account {
	int64_t id;
	char email[PT_EMAIL_MAX + 1];	/* lowercased by the API */
	char name[PT_NAME_MAX + 1];
	int role;			/* enum pt_role */
	char pwhash[PT_PWHASH_MAX + 1];	/* Argon2id string */
	int64_t created_at;
};

/* Membership of an account in a home. */
enum pt_home_role {
	PT_HOME_OWNER = 1,
	PT_HOME_MEMBER = 2,
};

struct pt_home {
	int64_t rowid;
	char id[PT_ID_MAX + 1];		/* public id, the credentials' audience */
	char name[PT_NAME_MAX + 1];
	char tz[PT_TZNAME_MAX + 1];
	char notes[PT_NOTES_MAX + 1];	/* shown to couriers */
	char policy[PT_POLICY_MAX + 1];	/* canonical JSON object */
	bool has_location;		/* where couriers must be to get a credential */
	double lat, lon;		/* degrees, WGS 84; -90..90, -180..180 */
	int64_t created_at, updated_at;
};

struct pt_owner_key {
	int64_t id;
	char home_id[PT_ID_MAX + 1];
	uint8_t pk[PT_PK_LEN];
	char label[PT_LABEL_MAX + 1];
	int64_t added_by;		/* account id */
	int64_t created_at;
	/* Schema 5 (docs/web.md): the owner-signed PT_ENV_OWNER statement
	 * that endorsed this key; statement_len 0 for a key enrolled without
	 * one (a home's first key, bound by the hub pairing). Stored and read
	 * by pt_store_owner_key_insert/_list. */
	uint8_t statement[PT_ENVELOPE_SIZE_MAX];
	size_t statement_len;
};

struct pt_grant_row {
	int64_t id;
	char home_id[PT_ID_MAX + 1];
	uint8_t chain[PT_CHAIN_SIZE_MAX];
	size_t chain_len;
	uint8_t cti[PT_CTI_LEN];	/* token id of the last link */
	uint8_t holder[PT_PK_LEN];	/* holder of the last link */
	uint8_t n_links;
	uint8_t purpose;
	int64_t exp;			/* 0: none */
	char label[PT_LABEL_MAX + 1];
	int64_t created_by;
	int64_t created_at;
};

struct pt_revocation_row {
	int64_t version;		/* per home, 1, 2, 3... */
	char home_id[PT_ID_MAX + 1];
	uint8_t envelope[512];		/* PT_ENVELOPE_SIZE_MAX */
	size_t envelope_len;
	uint8_t kind;			/* PT_REVOKE_TOKEN / PT_REVOKE_KEY */
	uint8_t target[PT_PK_LEN];
	uint8_t target_len;
	int64_t created_by;
	int64_t created_at;
};

struct pt_audit_row {
	int64_t seq;
	int64_t at;
	int64_t actor;			/* account id, 0 for the system */
	char action[64];		/* "home.create" */
	char target[PT_ID_MAX + 32];	/* "home:h-3fa9..." */
	char detail[PT_DETAIL_MAX + 1];	/* canonical JSON, never secrets */
	uint8_t prev[PT_HASH_LEN];
	uint8_t hash[PT_HASH_LEN];
};

struct pt_store;

/*
 * Open (creating if needed) the database at path, set WAL mode and a busy
 * timeout, and run the schema migrations not yet applied, each in its own
 * transaction. The parent directory is created with mode 0700; the file
 * gets mode 0600. Returns PT_OK or PT_EIO with err filled.
 */
struct pt_errbuf;
int pt_store_open(const char *path, struct pt_store **out, struct pt_errbuf *err) PT_MUST_CHECK;
void pt_store_close(struct pt_store *st);
/* The schema version now in force (after migrations). */
int pt_store_schema_version(struct pt_store *st);

int pt_store_begin(struct pt_store *st) PT_MUST_CHECK;
int pt_store_commit(struct pt_store *st) PT_MUST_CHECK;	/* durable on return */
void pt_store_rollback(struct pt_store *st);

/* Accounts. */
int pt_store_account_insert(struct pt_store *st, struct pt_account *a) PT_MUST_CHECK; /* sets a->id */
int pt_store_account_by_email(struct pt_store *st, const char *email,
			      struct pt_account *a) PT_MUST_CHECK;
int pt_store_account_by_id(struct pt_store *st, int64_t id, struct pt_account *a) PT_MUST_CHECK;

/* Sessions: only the SHA-256 of the token is stored. */
int pt_store_session_insert(struct pt_store *st, const uint8_t token_hash[PT_HASH_LEN],
			    int64_t account_id, int64_t expires_at) PT_MUST_CHECK;
/* PT_ENOTFOUND if unknown or expired at now. */
int pt_store_session_lookup(struct pt_store *st, const uint8_t token_hash[PT_HASH_LEN],
			    int64_t now, int64_t *account_id) PT_MUST_CHECK;
/* The same, also giving the session's expiry. */
int pt_store_session_get(struct pt_store *st, const uint8_t token_hash[PT_HASH_LEN], int64_t now,
			 int64_t *account_id, int64_t *expires_at) PT_MUST_CHECK;
int pt_store_session_delete(struct pt_store *st, const uint8_t token_hash[PT_HASH_LEN]) PT_MUST_CHECK;
int pt_store_session_delete_all(struct pt_store *st, int64_t account_id) PT_MUST_CHECK;

/* Homes and membership. */
int pt_store_home_insert(struct pt_store *st, struct pt_home *h, int64_t owner_account) PT_MUST_CHECK;
/* Only if account is a member (any role); *role gets enum pt_home_role. */
int pt_store_home_get(struct pt_store *st, const char *home_id, int64_t account, struct pt_home *h,
		      int *role) PT_MUST_CHECK;
/* Homes the account belongs to, in creation order; at most max. */
int pt_store_home_list(struct pt_store *st, int64_t account, struct pt_home *out, size_t max,
		       size_t *n) PT_MUST_CHECK;
/* The home whatever the caller's membership: for checks that are not a
 * member's read (a carrier creating a delivery). Never answer with it. */
int pt_store_home_by_id(struct pt_store *st, const char *home_id, struct pt_home *h) PT_MUST_CHECK;
int pt_store_home_update(struct pt_store *st, const struct pt_home *h) PT_MUST_CHECK;
/* Deletes the home and everything that belongs to it. */
int pt_store_home_delete(struct pt_store *st, const char *home_id) PT_MUST_CHECK;
int pt_store_member_add(struct pt_store *st, const char *home_id, int64_t account,
			int role) PT_MUST_CHECK;	/* PT_EEXISTS if already a member */
/* A home's member as its members see it (the account's e-mail and name). */
struct pt_member {
	int64_t account;
	char email[PT_EMAIL_MAX + 1];
	char name[PT_NAME_MAX + 1];
	int role;			/* enum pt_home_role */
};
/* The home's members in account id order, at most max. PT_ENOTFOUND for
 * an unknown home (a home always has an owner). */
int pt_store_member_list(struct pt_store *st, const char *home_id, struct pt_member *out,
			 size_t max, size_t *n) PT_MUST_CHECK;
/* Removes account from the home (in a transaction); *role (may be NULL)
 * gets the role it had. PT_ENOTFOUND if it is not a member; PT_ECONFLICT
 * if it is the home's last owner. A refusal changes nothing. */
int pt_store_member_remove(struct pt_store *st, const char *home_id, int64_t account,
			   int *role) PT_MUST_CHECK;

/* Owner keys (public halves). */
int pt_store_owner_key_insert(struct pt_store *st, struct pt_owner_key *k) PT_MUST_CHECK;
int pt_store_owner_key_list(struct pt_store *st, const char *home_id, struct pt_owner_key *out,
			    size_t max, size_t *n) PT_MUST_CHECK;

/* Grants: chains that arrived signed and verified. PT_EEXISTS on a known cti. */
int pt_store_grant_insert(struct pt_store *st, struct pt_grant_row *g) PT_MUST_CHECK;
int pt_store_grant_list(struct pt_store *st, const char *home_id, struct pt_grant_row *out,
			size_t max, size_t *n) PT_MUST_CHECK;
/* The same from id > after (a page: the next page starts after the last id
 * of this one), in id order, at most max. PT_ENOTFOUND for an unknown home. */
int pt_store_grant_list_after(struct pt_store *st, const char *home_id, int64_t after,
			      struct pt_grant_row *out, size_t max, size_t *n) PT_MUST_CHECK;
/* The home's grants whose last link is held by holder, newest first. */
int pt_store_grant_list_by_holder(struct pt_store *st, const char *home_id,
				  const uint8_t holder[PT_PK_LEN], struct pt_grant_row *out,
				  size_t max, size_t *n) PT_MUST_CHECK;

/* Revocations: version assigned per home (1 + the highest). */
int pt_store_revocation_insert(struct pt_store *st, struct pt_revocation_row *r) PT_MUST_CHECK;
int pt_store_revocation_list(struct pt_store *st, const char *home_id, int64_t since_version,
			     struct pt_revocation_row *out, size_t max, size_t *n) PT_MUST_CHECK;
/* The home's newest version (0: none). PT_ENOTFOUND for an unknown home. */
int pt_store_revocation_newest(struct pt_store *st, const char *home_id,
			       int64_t *version) PT_MUST_CHECK;
/*
 * Whether a key revocation of the home names pk: a row of any version with
 * kind PT_REVOKE_KEY and a target of exactly these 32 bytes (a token
 * revocation, or a shorter target, never matches). One indexed lookup
 * (schema 8, index revocations_target), whatever the number of the home's
 * revocations. Sees every committed revocation, and inside a transaction
 * this thread's own. PT_OK with *found; PT_ENOTFOUND for an unknown home;
 * PT_EINVAL for a NULL argument; PT_EIO. *found is false on any error.
 */
int pt_store_revocation_key_find(struct pt_store *st, const char *home_id,
				 const uint8_t pk[PT_PK_LEN], bool *found) PT_MUST_CHECK;

/*
 * Audit: append-only, hash-chained. hash = SHA-256(prev || seq || at ||
 * actor || action || target || detail), each field length-prefixed (see
 * docs/api.md). Must be called inside a transaction, so the row commits
 * with the change it records. The first row's prev is 32 zero bytes.
 */
int pt_store_audit_append(struct pt_store *st, int64_t at, int64_t actor, const char *action,
			  const char *target, const char *detail) PT_MUST_CHECK;
/* Walk the whole chain. PT_OK, or PT_EBADSIG with *bad_seq = the first
 * row whose hash or link does not match (also a gap in seq). */
int pt_store_audit_verify(struct pt_store *st, int64_t *bad_seq, int64_t *rows) PT_MUST_CHECK;

/* ---- Carriers, couriers, devices (schema 2) ---- */

#define PT_SEALED_SEED_MAX 96		/* nonce || AEAD(seed): 24 + 32 + 16 */
#define PT_PACKAGE_MAX 64		/* package identifier, printable ASCII */
#define PT_REASON_MAX 200		/* free text given with refused/failed/cancelled */
#define PT_EVENT_TYPE_MAX 48
#define PT_SOURCE_MAX 80		/* "server", "hub:<hub id>" */

struct pt_carrier {
	int64_t rowid;
	char id[PT_ID_MAX + 1];		/* public id: "c-" and 16 hex digits */
	char name[PT_NAME_MAX + 1];
	uint8_t pk[PT_PK_LEN];		/* the carrier's Ed25519 key */
	bool hosted;			/* porterd holds the secret half, sealed */
	uint8_t sealed_seed[PT_SEALED_SEED_MAX];	/* hosted only */
	size_t sealed_seed_len;
	int64_t admin;			/* the carrier-admin account that created it */
	int64_t created_at;
};

/* PT_EEXISTS if the id or the key is taken. Sets c->rowid. */
int pt_store_carrier_insert(struct pt_store *st, struct pt_carrier *c) PT_MUST_CHECK;
int pt_store_carrier_get(struct pt_store *st, const char *id, struct pt_carrier *c) PT_MUST_CHECK;
/* Carriers in rowid order with rowid > after; at most max. */
int pt_store_carrier_list(struct pt_store *st, int64_t after, struct pt_carrier *out, size_t max,
			  size_t *n) PT_MUST_CHECK;

enum pt_level {				/* courier verification level, carrier-attested */
	PT_LEVEL_BASIC = 1,		/* "basic": contact details checked */
	PT_LEVEL_ID = 2,		/* "id-checked": identity document checked */
	PT_LEVEL_BACKGROUND = 3,	/* "background-checked" */
};

/* A courier account enrolled with one carrier. */
struct pt_courier {
	int64_t account;
	char carrier_id[PT_ID_MAX + 1];
	char name[PT_NAME_MAX + 1];	/* as attested */
	uint8_t level;			/* enum pt_level */
	uint8_t attestation[PT_ENVELOPE_SIZE_MAX];	/* the carrier-signed envelope */
	size_t attestation_len;
	bool active;
	int64_t created_at, updated_at;
};

/* PT_EEXISTS if the account is already enrolled with a carrier. */
int pt_store_courier_insert(struct pt_store *st, const struct pt_courier *c) PT_MUST_CHECK;
int pt_store_courier_get(struct pt_store *st, int64_t account, struct pt_courier *c) PT_MUST_CHECK;
/* Couriers of a carrier with account > after, in account order. */
int pt_store_courier_list(struct pt_store *st, const char *carrier_id, int64_t after,
			  struct pt_courier *out, size_t max, size_t *n) PT_MUST_CHECK;
/* Sets active = false (and updated_at). PT_ENOTFOUND if not of that carrier. */
int pt_store_courier_deactivate(struct pt_store *st, const char *carrier_id, int64_t account,
				int64_t at) PT_MUST_CHECK;

/* A courier's device key (the device makes it and keeps the secret half). */
struct pt_device {
	int64_t id;
	int64_t account;
	uint8_t pk[PT_PK_LEN];
	char label[PT_LABEL_MAX + 1];
	int64_t created_at;
};

/* PT_EEXISTS if the key is enrolled anywhere. Sets d->id. */
int pt_store_device_insert(struct pt_store *st, struct pt_device *d) PT_MUST_CHECK;
int pt_store_device_list(struct pt_store *st, int64_t account, struct pt_device *out, size_t max,
			 size_t *n) PT_MUST_CHECK;
/* PT_ENOTFOUND unless the device belongs to account. */
int pt_store_device_delete(struct pt_store *st, int64_t account, int64_t id) PT_MUST_CHECK;
/* The device with this key, only if it belongs to account. */
int pt_store_device_by_pk(struct pt_store *st, int64_t account, const uint8_t pk[PT_PK_LEN],
			  struct pt_device *d) PT_MUST_CHECK;

/* ---- Hubs ---- */

#define PT_HUB_STATE_MAX 256		/* bytes of a hub's stored state JSON */

struct pt_hub {
	int64_t rowid;
	char id[PT_ID_MAX + 1];		/* "hub-" and 16 hex digits */
	char home_id[PT_ID_MAX + 1];
	uint8_t pk[PT_PK_LEN];
	char label[PT_LABEL_MAX + 1];
	uint8_t pairing[PT_ENVELOPE_SIZE_MAX];	/* the owner-signed pairing statement */
	size_t pairing_len;
	int64_t paired_by;		/* account */
	int64_t created_at;
	int64_t last_seen;		/* porterd's clock when it last heard the hub online; 0: never */
	bool online;			/* what the hub's last MQTT state said (schema 3); false at first */
	/* Schema 5: the hub's last MQTT state as porterd re-encoded it
	 * (pt_mqtt_state_encode of the decoded message: compact JSON, docs/
	 * mqtt.md "state"); "" before the first. Read by _list and _by_id. */
	char state[PT_HUB_STATE_MAX + 1];
	/* Schema 10: when an owner removed the hub from home_id (porterd's
	 * clock); 0 for a paired hub. Set only by pt_store_hub_get of a
	 * removed hub (hubs_removed); every other read is of paired hubs. */
	int64_t removed_at;
	/* Schema 11: the hub's own key said it is paired with home_id (a
	 * PT_ENV_HUB_HOME statement, docs/mqtt.md "home"); false at first.
	 * Until then porterd stores nothing the hub sends under home_id. */
	bool confirmed;
};

/* PT_EEXISTS if the id or key is taken. Sets h->rowid. */
int pt_store_hub_insert(struct pt_store *st, struct pt_hub *h) PT_MUST_CHECK;
int pt_store_hub_list(struct pt_store *st, const char *home_id, struct pt_hub *out, size_t max,
		      size_t *n) PT_MUST_CHECK;
/*
 * Inside a transaction: remove the hub from home_id (PT_ENOTFOUND unless
 * it is paired there). Its row leaves hubs, so nothing that reads paired
 * hubs (pt_store_hub_by_id, _list, _list_online, _seen, _state_set, the
 * MQTT side) finds it any more; a copy (id, key, label, pairing, paired_by,
 * created_at, last_seen) and removed_at (0: now) is kept in hubs_removed
 * (schema 10), one per (home, hub), a later removal from the same home
 * replacing it, so that the hub's chain stays servable (pt_store_hub_get,
 * the chain reads below). All or nothing (a savepoint in SQLite, one
 * statement in PostgreSQL). Pairing the same key again is
 * pt_store_hub_insert, as for a new hub.
 */
int pt_store_hub_delete(struct pt_store *st, const char *home_id, const char *hub_id,
			int64_t removed_at) PT_MUST_CHECK;
/*
 * Inside a transaction: remove hub_id from home_id as pt_store_hub_delete
 * does, only if it is still the row rowid (> 0, as pt_store_hub_by_id
 * read it) and still unconfirmed (schema 11). The statement that removes
 * it checks both, so nothing can slip in between: on PostgreSQL a
 * concurrent confirmation either commits first (then this sees it) or
 * waits for this transaction (and then finds no row). For a registration
 * that replaces another home's row the hub never confirmed (docs/mqtt.md
 * "home"; security review 107, L1). PT_EEXISTS, nothing changed, if it is
 * not that row any more: confirmed meanwhile, removed, or paired again
 * (a new row); PT_EINVAL outside a transaction or for rowid < 1.
 */
int pt_store_hub_delete_unconfirmed(struct pt_store *st, const char *home_id, const char *hub_id,
				    int64_t rowid, int64_t removed_at) PT_MUST_CHECK;
/*
 * The hub hub_id as home_id knows it: paired there (h->removed_at 0), else
 * removed from it (h->removed_at > 0, online false, state "": the copy
 * kept at removal). For the chain route, never for the MQTT side. The
 * home is not checked against an account: the caller did. PT_ENOTFOUND
 * if neither; h zeroed on failure.
 */
int pt_store_hub_get(struct pt_store *st, const char *home_id, const char *hub_id,
		     struct pt_hub *h) PT_MUST_CHECK;

/*
 * The MQTT side of hubs (schema 3; docs/mqtt.md). A message names a hub
 * only by the id in its topic: these look it up whatever the home, for
 * porterd's MQTT thread, never for an answer to a member.
 */
/* The hub with this id, in any home. PT_ENOTFOUND. h is zeroed on failure. */
int pt_store_hub_by_id(struct pt_store *st, const char *hub_id, struct pt_hub *h) PT_MUST_CHECK;
/*
 * Inside a transaction: the hub said it is online (or offline: its last
 * will). online sets the flag and moves last_seen up to at (never back);
 * offline clears the flag and leaves last_seen. *changed: the flag was
 * different before, so exactly one caller sees each transition even when
 * several porterd share the store (a compare-and-set on the flag).
 * PT_ENOTFOUND (no such hub; *changed false).
 */
int pt_store_hub_seen(struct pt_store *st, const char *hub_id, int64_t at, bool online,
		      bool *changed) PT_MUST_CHECK;
/*
 * Inside a transaction: set whether hub hub_id, paired in home_id, has
 * confirmed that home with its own key (schema 11). *changed tells
 * whether the flag flipped (of two concurrent calls with the same value,
 * one). PT_ENOTFOUND (*changed false) if the hub is not paired in home_id
 * (removed, or replaced by another home's registration meanwhile).
 */
int pt_store_hub_confirm_set(struct pt_store *st, const char *home_id, const char *hub_id,
			     bool confirmed, bool *changed) PT_MUST_CHECK;
/*
 * Inside a transaction, before storing anything a hub sent: hub_id is
 * paired in home_id and has confirmed it, and stays so until the
 * transaction ends, so that what the transaction stores of the hub's
 * (_seen, _state_set, its events, _checkpoint_add: these find the hub by
 * its id alone) goes to that home only (security review 107, L2). SQLite
 * serialises transactions already; PostgreSQL (READ COMMITTED) takes the
 * hub's row FOR NO KEY UPDATE, so a concurrent removal, replacement or
 * un-confirmation waits for this transaction, or this call waits for it
 * and sees what it committed. PT_ENOTFOUND if the hub is not paired in
 * home_id (removed, or registered by another home since the caller read
 * it); PT_ECONFLICT if it is, unconfirmed; PT_EINVAL outside a
 * transaction. Either failure leaves the transaction usable: the caller
 * rolls back.
 */
int pt_store_hub_hold(struct pt_store *st, const char *home_id, const char *hub_id) PT_MUST_CHECK;
/* Inside or outside a transaction: store the hub's last state (state:
 * 2..PT_HUB_STATE_MAX bytes of JSON the caller encoded). PT_ENOTFOUND for
 * an unknown hub; PT_EINVAL for a bad length. Schema 5 (docs/web.md). */
int pt_store_hub_state_set(struct pt_store *st, const char *hub_id, const char *state) PT_MUST_CHECK;
/* Hubs whose flag says online, every home, rowid > after, in rowid order,
 * at most max (the time beacons). */
int pt_store_hub_list_online(struct pt_store *st, int64_t after, struct pt_hub *out, size_t max,
			     size_t *n) PT_MUST_CHECK;
/*
 * The hub's events as stored (source "hub:<hub_id>", in the hub's home):
 * _last gives the highest hub_seq stored and its hash (*seq 0 and a zero
 * hash when none); _hash the hash stored with event seq (PT_ENOTFOUND if
 * that seq is not stored). A hub event stored without a hash reads as 32
 * zero bytes. PT_ENOTFOUND for an unknown hub.
 */
int pt_store_hub_event_last(struct pt_store *st, const char *hub_id, int64_t *seq,
			    uint8_t hash[PT_HASH_LEN]) PT_MUST_CHECK;
int pt_store_hub_event_hash(struct pt_store *st, const char *hub_id, int64_t seq,
			    uint8_t hash[PT_HASH_LEN]) PT_MUST_CHECK;

/*
 * A hub's chain for evidence bundles (schema 9; docs/api.md "Hubs", GET
 * .../chain). Rows are the hub's events and checkpoints in the hub's home
 * (source "hub:<hub_id>"); they go with the home, not with the hub. The
 * reads (_event_range, _checkpoint_range, _checkpoint_next) name the home:
 * they serve a hub paired in home_id or removed from it (schema 10), and
 * only that home's rows (a hub removed from one home and paired in
 * another has rows in both).
 */
#define PT_STORE_CHAIN_EVENTS_MAX 1024	/* events one _event_range call reads */
#define PT_STORE_CHAIN_CPS_MAX 256	/* checkpoints one _checkpoint_range reads */
struct pt_event_row;			/* below, with the events */

/* A batch's checkpoint as porterd verified it: the hub's Ed25519 signature
 * over pt_checkpoint_message(hub id, seq, the hash of event seq). */
struct pt_hub_checkpoint {
	int64_t seq;			/* >= 1 */
	uint8_t sig[PT_SIG_LEN];
};

/*
 * Inside a transaction: keep the checkpoint of event seq (the caller
 * verified sig and stored the event first). Idempotent: a known seq with
 * the same signature is PT_OK; with another signature, PT_EEXISTS and the
 * stored one stays (both sign the same stored hash). PT_ENOTFOUND for an
 * unknown hub; PT_EINVAL for seq < 1, a NULL argument or outside a
 * transaction.
 */
int pt_store_hub_checkpoint_add(struct pt_store *st, const char *hub_id, int64_t seq,
				const uint8_t sig[PT_SIG_LEN]) PT_MUST_CHECK;
/*
 * The hub's stored events with from <= hub_seq <= to, by hub_seq
 * ascending, at most max (<= PT_STORE_CHAIN_EVENTS_MAX): a seq not stored
 * is simply absent (callers check the seqs). Each row as stored: at, type,
 * data, hub_seq and hash (32 zero bytes for a row stored without one).
 * One range search of events_hub_seq. PT_ENOTFOUND for a hub neither
 * paired in home_id nor removed from it (or an unknown home);
 * PT_EINVAL for from < 1, to < from, max over the limit, NULL out or n.
 */
int pt_store_hub_event_range(struct pt_store *st, const char *home_id, const char *hub_id,
			     int64_t from, int64_t to, struct pt_event_row *out, size_t max,
			     size_t *n) PT_MUST_CHECK;
/*
 * The hub's checkpoints with from <= seq <= to: the max with the highest
 * seqs (max <= PT_STORE_CHAIN_CPS_MAX), in ascending order, so the one at
 * or nearest below `to` is always among them. Errors as _event_range.
 */
int pt_store_hub_checkpoint_range(struct pt_store *st, const char *home_id, const char *hub_id,
				  int64_t from, int64_t to, struct pt_hub_checkpoint *out,
				  size_t max, size_t *n) PT_MUST_CHECK;
/* The hub's first checkpoint with seq >= from into *cp. PT_ENOTFOUND if
 * none (or a hub as for _event_range); PT_EINVAL for from < 1. cp zeroed
 * on failure. */
int pt_store_hub_checkpoint_next(struct pt_store *st, const char *home_id, const char *hub_id,
				 int64_t from, struct pt_hub_checkpoint *cp) PT_MUST_CHECK;

/* ---- Deliveries ---- */

enum pt_dstate {
	PT_D_SCHEDULED = 1,
	PT_D_OUT = 2,			/* "out-for-delivery" */
	PT_D_AT_DOOR = 3,		/* "at-the-door" */
	PT_D_ISSUED = 4,		/* "credential-issued" */
	PT_D_ENTERED = 5,
	PT_D_COMPLETED = 6,
	PT_D_REFUSED = 7,
	PT_D_FAILED = 8,
	PT_D_CANCELLED = 9,
};

enum pt_approval {
	PT_APPROVAL_NOT_NEEDED = 0,	/* standing approval, or not in-home */
	PT_APPROVAL_PENDING = 1,
	PT_APPROVAL_APPROVED = 2,
};

struct pt_delivery {
	int64_t rowid;
	char id[PT_ID_MAX + 1];		/* "d-" and 16 hex digits */
	char home_id[PT_ID_MAX + 1];
	char carrier_id[PT_ID_MAX + 1];
	char package_id[PT_PACKAGE_MAX + 1];
	int64_t courier;		/* account; 0 until dispatched */
	int64_t device;			/* device id the credential went to; 0 */
	uint8_t state;			/* enum pt_dstate */
	uint8_t approval;		/* enum pt_approval */
	bool in_home;
	int64_t window_start, window_end;
	bool has_token;
	uint8_t token_id[PT_CTI_LEN];	/* the credential issued for it */
	char reason[PT_REASON_MAX + 1];	/* "" unless refused, failed, cancelled */
	int64_t created_at, updated_at;
};

struct pt_delivery_step {
	uint8_t state;
	int64_t at;
	int64_t actor;			/* account; 0 for the system or a hub */
};

/* Sets d->rowid; records the first step (d->state at d->created_at). */
int pt_store_delivery_insert(struct pt_store *st, struct pt_delivery *d, int64_t actor) PT_MUST_CHECK;
int pt_store_delivery_get(struct pt_store *st, const char *id, struct pt_delivery *d) PT_MUST_CHECK;
/*
 * Write d (state, approval, courier, device, token, reason, updated_at)
 * only if the stored state is still from_state: PT_ECONFLICT otherwise
 * (another request moved it first). When d->state differs from
 * from_state, a step {d->state, d->updated_at, actor} is recorded.
 */
int pt_store_delivery_update(struct pt_store *st, const struct pt_delivery *d, uint8_t from_state,
			     int64_t actor) PT_MUST_CHECK;
/* Which deliveries a list shows: every filter that is set must match. */
struct pt_delivery_filter {
	const char *home_id;		/* NULL: any */
	const char *carrier_id;
	int64_t courier;		/* 0: any */
	int64_t member;			/* 0: any; else homes this account belongs to */
	int64_t carrier_admin;		/* 0: any; else carriers this account administers */
	uint8_t state;			/* 0: any */
};
/* rowid > after, in rowid order, at most max. */
int pt_store_delivery_list(struct pt_store *st, const struct pt_delivery_filter *f, int64_t after,
			   struct pt_delivery *out, size_t max, size_t *n) PT_MUST_CHECK;
int pt_store_delivery_steps(struct pt_store *st, const char *id, struct pt_delivery_step *out,
			    size_t max, size_t *n) PT_MUST_CHECK;

/* ---- Events and alerts (per home) ---- */

struct pt_event_row {
	int64_t id;			/* global, increasing */
	char home_id[PT_ID_MAX + 1];
	int64_t at;
	char source[PT_SOURCE_MAX + 1];
	char type[PT_EVENT_TYPE_MAX + 1];	/* "delivery.at-the-door" */
	char data[PT_DETAIL_MAX + 1];	/* canonical JSON object */
	int64_t hub_seq;		/* the hub's sequence number; 0 for the server */
	uint8_t hash[PT_HASH_LEN];	/* a hub's event: its chain hash (schema 3); all
					 * zero otherwise (stored as NULL) */
};

/* Sets e->id. PT_EEXISTS if (home, source, hub_seq) is known and hub_seq > 0
 * (hubs resend: idempotent). */
int pt_store_event_append(struct pt_store *st, struct pt_event_row *e) PT_MUST_CHECK;
int pt_store_event_list(struct pt_store *st, const char *home_id, int64_t after,
			struct pt_event_row *out, size_t max, size_t *n) PT_MUST_CHECK;
/* The id of the home's newest event; 0 if it has none (or there is no such
 * home). One indexed look, whatever the history. */
int pt_store_event_last_id(struct pt_store *st, const char *home_id, int64_t *id) PT_MUST_CHECK;
/* The id of the event `back` places before the home's newest (back 0: the
 * newest); 0 if the home has no more than `back` events. */
int pt_store_event_back_id(struct pt_store *st, const char *home_id, int64_t back,
			   int64_t *id) PT_MUST_CHECK;

struct pt_alert_row {
	int64_t id;
	char home_id[PT_ID_MAX + 1];
	int64_t at;
	char type[PT_EVENT_TYPE_MAX + 1];	/* "courier-panic", "intrusion", ... */
	char data[PT_DETAIL_MAX + 1];
	int64_t event_id;		/* the event that raised it; 0 */
	int64_t acked_by;		/* 0: open */
	int64_t acked_at;
};

int pt_store_alert_insert(struct pt_store *st, struct pt_alert_row *a) PT_MUST_CHECK;
/* only_open: unacknowledged only. id > after, in id order. */
int pt_store_alert_list(struct pt_store *st, const char *home_id, bool only_open, int64_t after,
			struct pt_alert_row *out, size_t max, size_t *n) PT_MUST_CHECK;
/* Acknowledge (first ack wins; acking again is PT_OK and changes nothing);
 * a is filled with the row. PT_ENOTFOUND unless the alert is of home_id. */
int pt_store_alert_ack(struct pt_store *st, const char *home_id, int64_t id, int64_t account,
		       int64_t at, struct pt_alert_row *a) PT_MUST_CHECK;

/*
 * Cameras and clips (schema 4; docs/clips.md). A camera is enrolled by an
 * owner with its Ed25519 key; its id (as porter-cam's config names it) is
 * unique across the deployment, since uploads name only the camera. A
 * clip row holds what porterd knows of a clip: its home and camera (the
 * camera's key is copied, so a clip stays verifiable after the camera is
 * removed), how many sealed segments and bytes are stored (the ciphertext
 * itself lives in files, never here), and the camera-signed manifest once
 * uploaded. Nothing here can open a clip.
 */
#define PT_CLIP_MANIFEST_STORE_MAX 65536	/* >= PT_CLIP_MANIFEST_MAX */
#define PT_CAMERA_STORE_STMT_MAX 512	/* >= PT_CAMERA_STMT_MAX */

struct pt_camera {
	int64_t rowid;
	char id[PT_ID_MAX + 1];
	char home_id[PT_ID_MAX + 1];
	uint8_t pk[PT_PK_LEN];
	char name[PT_LABEL_MAX + 1];
	int64_t added_by;
	int64_t created_at;
	/* Schema 6 (docs/cam.md "Enrolling a camera"): the owner-signed
	 * camera statement (porter/camera_stmt.h) porterd verified when it
	 * enrolled the camera; statement_len 0 for a camera enrolled before
	 * (NULL in the store: viewers call it unsigned). Stored as given, read
	 * back byte for byte; the store does not verify it. */
	uint8_t statement[PT_CAMERA_STORE_STMT_MAX];
	size_t statement_len;
};

/* Sets c->rowid. PT_EEXISTS (the id or the key is enrolled already, in any
 * home), PT_ENOTFOUND (no such home). */
int pt_store_camera_insert(struct pt_store *st, struct pt_camera *c) PT_MUST_CHECK;
int pt_store_camera_list(struct pt_store *st, const char *home_id, struct pt_camera *out,
			 size_t max, size_t *n) PT_MUST_CHECK;
/* PT_ENOTFOUND unless the camera belongs to home_id. Its clips stay. */
int pt_store_camera_delete(struct pt_store *st, const char *home_id,
			   const char *camera_id) PT_MUST_CHECK;
/* The camera with this id, in any home. PT_ENOTFOUND; c zeroed on failure. */
int pt_store_camera_by_id(struct pt_store *st, const char *camera_id,
			  struct pt_camera *c) PT_MUST_CHECK;

struct pt_clip_row {
	int64_t rowid;			/* paging cursor */
	uint8_t clip[16];		/* PT_CLIP_ID_LEN */
	char home_id[PT_ID_MAX + 1];
	char camera[PT_ID_MAX + 1];
	uint8_t camera_pk[PT_PK_LEN];
	int64_t segments;		/* sealed segments stored */
	int64_t bytes;			/* their bytes */
	int64_t manifest_len;		/* 0: no manifest yet */
	int64_t declared;		/* segments the manifest lists */
	int64_t start_ms, end_ms;	/* from the manifest */
	int64_t created_at, updated_at;
	int64_t keyrec_len;		/* 0: no key record yet (schema 5) */
};

/* The home's clip with this id. Clips are keyed by (home, clip id): a
 * camera of another home cannot take this home's clip id. PT_ENOTFOUND. */
int pt_store_clip_get(struct pt_store *st, const char *home_id, const uint8_t clip[16],
		      struct pt_clip_row *c) PT_MUST_CHECK;
/* The home's clips with rowid > after, oldest first. */
int pt_store_clip_list(struct pt_store *st, const char *home_id, int64_t after,
		       struct pt_clip_row *out, size_t max, size_t *n) PT_MUST_CHECK;
/*
 * Inside a transaction: create the clip (c->clip, home_id, camera,
 * camera_pk) if it is new, then add one stored segment of seg_bytes
 * (seg_bytes 0: none) and, with manifest non-NULL, set the manifest
 * (declared, start_ms, end_ms from c). An existing clip keeps its home,
 * camera and key: callers check them first. PT_ENOTFOUND (no such home).
 */
int pt_store_clip_put(struct pt_store *st, const struct pt_clip_row *c, int64_t seg_bytes,
		      const uint8_t *manifest, size_t manifest_len) PT_MUST_CHECK;
/* The stored manifest bytes into out[cap]. PT_ENOTFOUND (no clip or no
 * manifest yet), PT_ENOSPC. */
int pt_store_clip_manifest(struct pt_store *st, const char *home_id, const uint8_t clip[16],
			   uint8_t *out, size_t cap, size_t *len) PT_MUST_CHECK;
/*
 * Inside a transaction: create the clip (as pt_store_clip_put with no
 * segment) if it is new, and set its key record (the camera-signed bytes,
 * docs/clips.md) unless one is stored: a stored key record never changes
 * (callers compare first). PT_ENOTFOUND (no such home).
 */
#define PT_CLIP_KEYREC_STORE_MAX 8192	/* >= PT_CLIP_KEYREC_MAX */
int pt_store_clip_keyrec_put(struct pt_store *st, const struct pt_clip_row *c,
			     const uint8_t *keyrec, size_t keyrec_len) PT_MUST_CHECK;
/* The stored key record bytes into out[cap]. PT_ENOTFOUND (no clip or no
 * key record yet), PT_ENOSPC. */
int pt_store_clip_keyrec(struct pt_store *st, const char *home_id, const uint8_t clip[16],
			 uint8_t *out, size_t cap, size_t *len) PT_MUST_CHECK;
/* What the home's clips take (its quota): the bytes of sealed segments
 * stored, of manifests and key records, and PT_STORE_CLIP_ROW_BYTES per
 * clip row. */
#define PT_STORE_CLIP_ROW_BYTES 256
int pt_store_clip_usage(struct pt_store *st, const char *home_id, int64_t *bytes) PT_MUST_CHECK;
/* Inside a transaction: hold the home until the transaction ends, so that
 * every other transaction that locks the same home waits for this one
 * (a clip upload's checks, "another camera's clip" and the quota, then
 * its write, run as one against other uploads to the home). SQLite
 * serialises every transaction already; PostgreSQL (READ COMMITTED) takes
 * the home's row FOR NO KEY UPDATE. PT_EINVAL outside a transaction,
 * PT_ENOTFOUND for no such home. Statements after it see what the
 * transactions it waited for committed. */
int pt_store_home_lock(struct pt_store *st, const char *home_id) PT_MUST_CHECK;

#endif
