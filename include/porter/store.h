/*
 * porter/store.h: porterd's storage, behind one interface.
 *
 * The SQLite backend (store_sqlite.c) is the default; a PostgreSQL backend
 * implements the same functions next. Callers never write SQL.
 *
 * Concurrency: a struct pt_store is shared by all request threads. Every
 * change happens inside pt_store_begin() .. pt_store_commit() (or
 * pt_store_rollback()); begin takes the store's write lock, so one
 * transaction runs at a time (SQLite has one writer anyway) and a request
 * sees its own writes. Reads outside a transaction take the lock for the
 * single call. The lock is not recursive: never call begin twice.
 *
 * Errors: PT_OK; PT_ENOTFOUND (no such row, or not visible to the caller);
 * PT_EEXISTS (a unique value is taken); PT_EIO (the database failed: the
 * message is logged by the store, never shown to clients); PT_EINVAL
 * (caller error, e.g. a call outside a transaction that needs one).
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
	int64_t created_at, updated_at;
};

struct pt_owner_key {
	int64_t id;
	char home_id[PT_ID_MAX + 1];
	uint8_t pk[PT_PK_LEN];
	char label[PT_LABEL_MAX + 1];
	int64_t added_by;		/* account id */
	int64_t created_at;
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
int pt_store_home_update(struct pt_store *st, const struct pt_home *h) PT_MUST_CHECK;
/* Deletes the home and everything that belongs to it. */
int pt_store_home_delete(struct pt_store *st, const char *home_id) PT_MUST_CHECK;
int pt_store_member_add(struct pt_store *st, const char *home_id, int64_t account,
			int role) PT_MUST_CHECK;	/* PT_EEXISTS if already a member */

/* Owner keys (public halves). */
int pt_store_owner_key_insert(struct pt_store *st, struct pt_owner_key *k) PT_MUST_CHECK;
int pt_store_owner_key_list(struct pt_store *st, const char *home_id, struct pt_owner_key *out,
			    size_t max, size_t *n) PT_MUST_CHECK;

/* Grants: chains that arrived signed and verified. PT_EEXISTS on a known cti. */
int pt_store_grant_insert(struct pt_store *st, struct pt_grant_row *g) PT_MUST_CHECK;
int pt_store_grant_list(struct pt_store *st, const char *home_id, struct pt_grant_row *out,
			size_t max, size_t *n) PT_MUST_CHECK;

/* Revocations: version assigned per home (1 + the highest). */
int pt_store_revocation_insert(struct pt_store *st, struct pt_revocation_row *r) PT_MUST_CHECK;
int pt_store_revocation_list(struct pt_store *st, const char *home_id, int64_t since_version,
			     struct pt_revocation_row *out, size_t max, size_t *n) PT_MUST_CHECK;

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

#endif
