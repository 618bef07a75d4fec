/*
 * daemons/hub/state.h: porter-hub's durable state, in one SQLite file
 * (hub.db, mode 0600, in the hub's state directory; WAL,
 * synchronous=FULL: every function that changes something is durable on
 * return). docs/hub.md says why SQLite and not an append-only log.
 *
 * One thread (the hub's event loop) uses a struct hub_state; there is no
 * locking. Every change that touches several rows is one transaction.
 * Errors: PT_OK; PT_ENOTFOUND; PT_EEXISTS; PT_EINVAL (bad argument);
 * PT_EIO (the database failed; the message is logged to stderr, one
 * key=value line).
 */
#ifndef PORTER_HUB_STATE_H
#define PORTER_HUB_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "porter/cred.h"
#include "porter/crypto.h"
#include "porter/decide.h"
#include "porter/envelope.h"
#include "porter/event.h"
#include "porter/keyfile.h"

/* Stored owner rows (evidence, revoked ones included) at most; of them
 * the hub trusts HUB_ROOTS_MAX at most (the computed root set). */
#define HUB_OWNERS_MAX 256
#define HUB_ROOTS_MAX 64
#define HUB_LABEL_MAX 100

struct hub_state;

/* Open or create (parent directory created 0700, file 0600), migrate. */
int hub_state_open(const char *path, struct hub_state **out, struct pt_errbuf *err) PT_MUST_CHECK;
void hub_state_close(struct hub_state *hs);

/* ---- owner keys: the hub's roots ---- */
/* PT_EEXISTS if known. statement: the pairing envelope that enrolled it
 * (or the owner-signed envelope that added it), kept as evidence. */
int hub_state_owner_add(struct hub_state *hs, const uint8_t pk[PT_PK_LEN], const char *label,
			const uint8_t *statement, size_t statement_len, int64_t at) PT_MUST_CHECK;
int hub_state_owner_list(struct hub_state *hs, uint8_t (*out)[PT_PK_LEN], size_t max,
			 size_t *n) PT_MUST_CHECK;
/* A stored row's evidence replaced (a key whose endorser was revoked,
 * endorsed again); PT_ENOTFOUND if there is no row for pk. */
int hub_state_owner_restate(struct hub_state *hs, const uint8_t pk[PT_PK_LEN], const char *label,
			    const uint8_t *statement, size_t statement_len, int64_t at) PT_MUST_CHECK;
/* Every stored owner row (at most HUB_OWNERS_MAX) with its statement, in
 * enrolment order, into a malloc'd array. The stored rows are evidence:
 * which of them the hub trusts is computed from them (docs/hub.md). */
struct hub_owner_row {
	uint8_t pk[PT_PK_LEN];
	uint8_t statement[PT_ENVELOPE_SIZE_MAX];
	size_t statement_len;
};
int hub_state_owner_rows(struct hub_state *hs, struct hub_owner_row **rows,
			 size_t *n) PT_MUST_CHECK;
/* The home this hub was paired into ("" before pairing). */
int hub_state_home_get(struct hub_state *hs, char home_id[PT_ID_MAX + 1]) PT_MUST_CHECK;
int hub_state_home_set(struct hub_state *hs, const char *home_id) PT_MUST_CHECK;

/* Every stored key revocation with its envelope, in the order stored,
 * into a malloc'd array (*out NULL when there is none). */
struct hub_key_revocation {
	uint8_t target[PT_PK_LEN];
	uint8_t envelope[PT_ENVELOPE_SIZE_MAX];
	size_t envelope_len;
};
int hub_state_key_revocations(struct hub_state *hs, struct hub_key_revocation **out,
			      size_t *n) PT_MUST_CHECK;

/* ---- entries: charged before the bolt moves ---- */
/* Usage of each of the n token ids (0 for unknown ones) into out[i]. */
int hub_state_usage_load(struct hub_state *hs, const uint8_t (*ctis)[PT_CTI_LEN], size_t n,
			 struct pt_usage *out) PT_MUST_CHECK;
/* One entry more for each of the n token ids, in one transaction, fsync'd
 * before return: a crash after this may lose an entry, never grant one. */
int hub_state_charge(struct hub_state *hs, const uint8_t (*ctis)[PT_CTI_LEN], size_t n,
		     int64_t at) PT_MUST_CHECK;
/* The same, and the events ev[0..n_ev) appended (as
 * hub_state_event_append_batch does) in the same transaction: the
 * entries and the events that record the decision are durable together,
 * at one fsync, or neither is. */
struct hub_event;
struct hub_ckpt;
int hub_state_charge_events(struct hub_state *hs, const uint8_t (*ctis)[PT_CTI_LEN], size_t n,
			    int64_t at, struct hub_event *ev, size_t n_ev,
			    struct hub_ckpt *ck) PT_MUST_CHECK;

/* ---- revocations (verified envelopes only) ---- */
/* Store one verified revocation with porterd's version (or 0 for one
 * received at the door); PT_EEXISTS if its target is already revoked. */
int hub_state_revocation_add(struct hub_state *hs, int64_t version, uint8_t kind,
			     const uint8_t *target, size_t target_len, const uint8_t *envelope,
			     size_t envelope_len, int64_t at) PT_MUST_CHECK;
/* The revoked token ids and keys, each sorted ascending (memcmp), as
 * pt_context wants them. Arrays are malloc'd; the caller frees them. */
int hub_state_revoked_load(struct hub_state *hs, uint8_t (**ctis)[PT_CTI_LEN], size_t *n_ctis,
			   uint8_t (**keys)[PT_PK_LEN], size_t *n_keys) PT_MUST_CHECK;
/* Highest porterd version stored, and when the set was last refreshed
 * from porterd (0: never). */
int hub_state_revocation_version(struct hub_state *hs, int64_t *version,
				 int64_t *refreshed_at) PT_MUST_CHECK;
int hub_state_revocation_refreshed(struct hub_state *hs, int64_t at) PT_MUST_CHECK;
/* A decision's transaction (docs/hub.md, "An unlock, step by step"):
 * BEGIN IMMEDIATE, then hub_state_ctx_load reads in it and a charge
 * (hub_state_charge_events) commits it: the entries read and the entries
 * charged are one snapshot, under one lock and one commit. Any other
 * transaction while it is open joins it: a read leaves it open, a write
 * commits it, an error rolls it back; a plain write (no transaction of
 * its own) is refused with PT_EIO, as it would be rolled back with it.
 * hub_state_decision_end rolls back what is still open (nothing charged:
 * a refusal); a no-op otherwise. Begin never waits for another process's
 * write lock: PT_EIO at once (the caller reads apart). */
int hub_state_decision_begin(struct hub_state *hs) PT_MUST_CHECK;
void hub_state_decision_end(struct hub_state *hs);
/* Between turns (the loop's tick): checkpoints the WAL once it holds 1,000
 * frames or more, copying it into the database (PASSIVE: it waits for no
 * other process's reader). SQLite's automatic checkpoint is off on every
 * connection of this module: it would run inside the commit that crosses
 * the threshold, a charge's among them. A no-op inside a transaction;
 * a failure is logged, and tried again after the next commit. Should it
 * not be called, the commit taking the WAL past 10,000 frames checkpoints
 * (and logs it), so the WAL stays bounded. */
void hub_state_maintain(struct hub_state *hs);
/* Frames in the WAL after this connection's last commit (for tests). */
int hub_state_wal_frames(const struct hub_state *hs);
/* What a decision reads, from one snapshot in one read transaction:
 * hub_state_usage_load's usage of the n token ids, hub_state_revoked_load's
 * lists (the caller frees them) and hub_state_revocation_version's version
 * and refresh time. On an error every output is empty. */
int hub_state_ctx_load(struct hub_state *hs, const uint8_t (*ctis)[PT_CTI_LEN], size_t n,
		       struct pt_usage *usage, uint8_t (**rev_ctis)[PT_CTI_LEN],
		       size_t *n_rev_ctis, uint8_t (**rev_keys)[PT_PK_LEN], size_t *n_rev_keys,
		       int64_t *version, int64_t *refreshed_at) PT_MUST_CHECK;

/* ---- revocations pending (docs/hub.md, "Revocations") ----
 * A revocation signed by a key the hub does not trust (yet) is kept, not
 * trusted, until the owner keys change; then verified again. */
#define HUB_REV_PENDING_MAX 256
struct hub_rev_pending {
	int64_t id;		/* the row, for hub_state_rev_pending_del */
	int64_t version;	/* porterd's */
	uint8_t envelope[PT_ENVELOPE_SIZE_MAX];
	size_t envelope_len;
};
/* PT_OK: kept (when HUB_REV_PENDING_MAX were kept already, the oldest
 * made room, in the same transaction: *evicted is its version, else -1);
 * PT_EEXISTS: kept already; PT_EINVAL; PT_EIO (nothing changed). */
int hub_state_rev_pending_add(struct hub_state *hs, int64_t version, const uint8_t *envelope,
			      size_t envelope_len, int64_t at, int64_t *evicted) PT_MUST_CHECK;
/* All of them (at most HUB_REV_PENDING_MAX), oldest first, into a
 * malloc'd array (*out NULL when there is none). */
int hub_state_rev_pending_list(struct hub_state *hs, struct hub_rev_pending **out,
			       size_t *n) PT_MUST_CHECK;
int hub_state_rev_pending_del(struct hub_state *hs, int64_t id) PT_MUST_CHECK;

/* ---- failed-attempt lockout (survives restarts) ---- */
int hub_state_lockout_get(struct hub_state *hs, uint32_t *failures,
			  int64_t *locked_until) PT_MUST_CHECK;	/* UTC seconds */
int hub_state_lockout_set(struct hub_state *hs, uint32_t failures,
			  int64_t locked_until) PT_MUST_CHECK;
/* The lockout and meta "lockout_last_failure" (UTC s), both or neither,
 * in one commit (one fsync). */
int hub_state_lockout_save(struct hub_state *hs, uint32_t failures, int64_t locked_until,
			   int64_t last_failure_at) PT_MUST_CHECK;

/* ---- events: the hash chain (porter/event.h) and the outbox ---- */
struct hub_event {
	int64_t seq;
	int64_t at;
	char type[PT_EVENT_TYPE_LEN_MAX + 1];
	char data[PT_EVENT_DATA_MAX + 1];	/* canonical JSON */
	uint8_t prev[PT_HASH_LEN];
	uint8_t hash[PT_HASH_LEN];
	bool sent;			/* porterd acknowledged it */
};
/* Append (seq = last + 1, prev = last hash); e->seq and e->hash set. */
int hub_state_event_append(struct hub_state *hs, struct hub_event *e) PT_MUST_CHECK;
/*
 * Checkpoints made inside a batch append: one over every event whose seq
 * is `every` (>= 1) or more past the last one (`last`), as a check after
 * each one-at-a-time append would make them. sign(arg, seq, hash, sig)
 * signs (porter/event.h, pt_checkpoint_message) and returns PT_OK, or an
 * error: that checkpoint is skipped and the next event tries again. On
 * success `last` is the seq of the last checkpoint stored.
 */
struct hub_ckpt {
	int64_t every;
	int64_t last;
	int (*sign)(void *arg, int64_t seq, const uint8_t hash[PT_HASH_LEN],
		    uint8_t sig[PT_SIG_LEN]);
	void *arg;
};
/*
 * Append ev[0..n) in order in ONE transaction (one fsync instead of n):
 * seq, prev and hash exactly as n calls of hub_state_event_append would
 * set them, and the checkpoints ck asks for (NULL: none). All or nothing:
 * a crash or an error leaves none of them stored and no gap; on an error
 * no ev[i] has a seq and ck->last is unchanged. PT_EINVAL (nothing
 * stored) if any event is malformed.
 */
int hub_state_event_append_batch(struct hub_state *hs, struct hub_event *ev, size_t n,
				 struct hub_ckpt *ck) PT_MUST_CHECK;
/*
 * The lockout as hub_state_lockout_save stores it: the row (failures,
 * locked_until) and meta "lockout_last_failure", UTC seconds.
 */
struct hub_lockout {
	uint32_t failures;
	int64_t locked_until;
	int64_t last_failure_at;
};
/*
 * hub_state_event_append_batch, and lo (NULL: none) saved as
 * hub_state_lockout_save saves it, in the SAME transaction: the events
 * and the lockout are durable together at one commit (one fsync), or
 * neither is (on an error the stored lockout and events are as they
 * were, no ev[i] has a seq, ck->last is unchanged). n may be 0 (the
 * lockout alone). PT_EINVAL (nothing stored) for a malformed event or a
 * negative time in lo.
 */
int hub_state_event_append_lockout(struct hub_state *hs, struct hub_event *ev, size_t n,
				   struct hub_ckpt *ck,
				   const struct hub_lockout *lo) PT_MUST_CHECK;
/* Events with seq > after, in order, at most max. */
int hub_state_event_list(struct hub_state *hs, int64_t after, bool unsent_only,
			 struct hub_event *out, size_t max, size_t *n) PT_MUST_CHECK;
int hub_state_event_mark_sent(struct hub_state *hs, int64_t upto_seq) PT_MUST_CHECK;
/* Recompute the chain: PT_OK, or PT_EBADSIG with *bad_seq the first bad row. */
int hub_state_event_verify(struct hub_state *hs, int64_t *bad_seq) PT_MUST_CHECK;
/* Signed checkpoints over (hub id, seq, hash). */
int hub_state_checkpoint_add(struct hub_state *hs, int64_t seq, const uint8_t hash[PT_HASH_LEN],
			     const uint8_t sig[PT_SIG_LEN]) PT_MUST_CHECK;
int hub_state_checkpoint_last(struct hub_state *hs, int64_t *seq, uint8_t hash[PT_HASH_LEN],
			      uint8_t sig[PT_SIG_LEN]) PT_MUST_CHECK;

/* ---- remote commands: the nonce replay cache (survives restarts) ----
 * docs/mqtt.md, "commands": the hub keeps the nonce of every command it
 * accepted until the command could no longer be fresh, so a copy is
 * refused even after a restart. */
/* Remember an accepted command's nonce (at: now, UTC s) until expires_at;
 * PT_EEXISTS if it is there already: a replay. Durable on return, so
 * call it before acting on the command. */
int hub_state_nonce_add(struct hub_state *hs, const uint8_t nonce[PT_CTI_LEN], int64_t expires_at,
			int64_t at) PT_MUST_CHECK;
/* Forget the nonces whose expires_at is before `before`; *n (may be NULL)
 * how many. */
int hub_state_nonce_prune(struct hub_state *hs, int64_t before, size_t *n) PT_MUST_CHECK;
/* How many nonces are kept. */
int hub_state_nonce_count(struct hub_state *hs, size_t *n) PT_MUST_CHECK;

/* ---- live view: the replay memory of requests (survives restarts) ----
 * docs/live.md, "The hub": the session id (the request's nonce) of every
 * accepted live view request until the session's expiry, at most
 * HUB_LIVE_MAX at once. */
#define HUB_LIVE_MAX 64
/* Remember an accepted session id until expires_at (UTC s; at: now).
 * PT_EEXISTS if it is there already (a replay, refused even when the
 * table is full), PT_ENOSPC if HUB_LIVE_MAX are kept already, PT_EINVAL,
 * PT_EIO. Durable on return: call it before acting on the request. */
int hub_state_live_add(struct hub_state *hs, const uint8_t session[PT_CTI_LEN], int64_t expires_at,
		       int64_t at) PT_MUST_CHECK;
/* Forget the sessions whose expires_at is before `before`; *n (may be
 * NULL) how many. */
int hub_state_live_prune(struct hub_state *hs, int64_t before, size_t *n) PT_MUST_CHECK;
/* How many session ids are kept. */
int hub_state_live_count(struct hub_state *hs, size_t *n) PT_MUST_CHECK;

/* ---- small values: last contact with porterd, last trusted time ---- */
int hub_state_meta_get(struct hub_state *hs, const char *key, int64_t *v) PT_MUST_CHECK;
int hub_state_meta_set(struct hub_state *hs, const char *key, int64_t v) PT_MUST_CHECK;

#endif
