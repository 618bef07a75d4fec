/*
 * state.c: porter-hub's durable state in one SQLite file (state.h is the
 * contract; docs/hub.md, "Durable state", the design).
 *
 * One connection, one thread (the hub's event loop). Every change is
 * committed before the function returns, and with synchronous = FULL a
 * commit in WAL mode has fsync'd the log: durable on return. Changes that
 * read before they write (charge, event append, a charge with its events,
 * a batch of events, mark sent) run in one
 * BEGIN IMMEDIATE transaction, so a second process on the same file (a
 * second hub started by mistake, a test) waits for the write lock instead
 * of interleaving; single statements are their own transaction.
 */
#include "state.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#define BUSY_TIMEOUT_MS 5000
/* The WAL is checkpointed once it holds this many frames (SQLite's own
 * automatic threshold), by hub_state_maintain, never inside a commit. */
#define WAL_CHECKPOINT_FRAMES 1000
/* ... and, should the loop not have done it (a bug), by the commit that
 * takes it past this many, as SQLite's own would: the WAL stays bounded. */
#define WAL_FRAMES_MAX (10 * WAL_CHECKPOINT_FRAMES)

/*
 * Schema migrations: migration i (from 0) brings the schema to version
 * i + 1. Released entries never change; a new version appends an entry.
 * Each runs in its own transaction together with its schema_version row.
 */
static const char *const migrations[] = {
	/* 1: everything state.h needs. */
	"CREATE TABLE hub ("
	"  id INTEGER PRIMARY KEY CHECK (id = 1),"
	"  home_id TEXT NOT NULL CHECK (length(CAST(home_id AS BLOB)) <= 64),"
	"  revocations_refreshed_at INTEGER NOT NULL CHECK (revocations_refreshed_at >= 0)"
	") STRICT;"
	"INSERT INTO hub (id, home_id, revocations_refreshed_at) VALUES (1, '', 0);"
	"CREATE TABLE owners ("
	"  id INTEGER PRIMARY KEY,"
	"  pk BLOB NOT NULL UNIQUE CHECK (length(pk) = 32),"
	"  label TEXT NOT NULL CHECK (length(CAST(label AS BLOB)) <= 100),"
	"  statement BLOB NOT NULL CHECK (length(statement) <= 512),"
	"  at INTEGER NOT NULL"
	") STRICT;"
	"CREATE TABLE meta ("
	"  key TEXT PRIMARY KEY CHECK (length(CAST(key AS BLOB)) BETWEEN 1 AND 64),"
	"  value INTEGER NOT NULL"
	") STRICT, WITHOUT ROWID;"
	"CREATE TABLE usage ("
	"  cti BLOB PRIMARY KEY CHECK (length(cti) = 16),"
	"  used INTEGER NOT NULL CHECK (used BETWEEN 1 AND 4294967295),"
	"  last_at INTEGER NOT NULL"
	") STRICT, WITHOUT ROWID;"
	"CREATE TABLE revocations ("
	"  id INTEGER PRIMARY KEY,"
	"  kind INTEGER NOT NULL CHECK (kind IN (1, 2)),"
	"  target BLOB NOT NULL UNIQUE"
	"    CHECK (kind = 1 AND length(target) = 16 OR kind = 2 AND length(target) = 32),"
	"  version INTEGER NOT NULL CHECK (version >= 0),"
	"  envelope BLOB NOT NULL CHECK (length(envelope) BETWEEN 1 AND 512),"
	"  at INTEGER NOT NULL"
	") STRICT;"
	"CREATE INDEX revocations_kind ON revocations(kind, target);"
	"CREATE TABLE lockout ("
	"  id INTEGER PRIMARY KEY CHECK (id = 1),"
	"  failures INTEGER NOT NULL CHECK (failures BETWEEN 0 AND 4294967295),"
	"  locked_until INTEGER NOT NULL CHECK (locked_until >= 0)"
	") STRICT;"
	"INSERT INTO lockout (id, failures, locked_until) VALUES (1, 0, 0);"
	"CREATE TABLE events ("
	"  seq INTEGER PRIMARY KEY CHECK (seq >= 1),"
	"  at INTEGER NOT NULL,"
	"  type TEXT NOT NULL CHECK (length(CAST(type AS BLOB)) BETWEEN 1 AND 48),"
	"  data TEXT NOT NULL CHECK (length(CAST(data AS BLOB)) <= 1024),"
	"  prev BLOB NOT NULL CHECK (length(prev) = 32),"
	"  hash BLOB NOT NULL CHECK (length(hash) = 32),"
	"  sent INTEGER NOT NULL DEFAULT 0 CHECK (sent IN (0, 1))"
	") STRICT;"
	"CREATE INDEX events_unsent ON events(seq) WHERE sent = 0;"
	/* Compare values rather than list columns (UPDATE OF ...): the
	 * refusal holds however the SET is spelled (rowid for seq, say). */
	"CREATE TRIGGER events_no_update BEFORE UPDATE ON events"
	"  WHEN NEW.seq IS NOT OLD.seq OR NEW.at IS NOT OLD.at OR NEW.type IS NOT OLD.type"
	"    OR NEW.data IS NOT OLD.data OR NEW.prev IS NOT OLD.prev OR NEW.hash IS NOT OLD.hash"
	"    OR NEW.sent < OLD.sent"
	"  BEGIN SELECT RAISE(ABORT, 'events are append-only; only sent may change, to 1'); END;"
	"CREATE TRIGGER events_no_delete BEFORE DELETE ON events"
	"  BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;"
	"CREATE TABLE checkpoints ("
	"  seq INTEGER PRIMARY KEY CHECK (seq >= 1),"
	"  hash BLOB NOT NULL CHECK (length(hash) = 32),"
	"  sig BLOB NOT NULL CHECK (length(sig) = 64)"
	") STRICT;"
	"CREATE TRIGGER checkpoints_no_update BEFORE UPDATE ON checkpoints"
	"  BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END;"
	"CREATE TRIGGER checkpoints_no_delete BEFORE DELETE ON checkpoints"
	"  BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END;",
	/* 2: the replay cache of remote commands (docs/mqtt.md, "commands"):
	 * the nonce of every accepted command until it can no longer be
	 * fresh, so a command cannot be replayed across a restart. */
	"CREATE TABLE command_nonces ("
	"  nonce BLOB PRIMARY KEY CHECK (length(nonce) = 16),"
	"  expires_at INTEGER NOT NULL,"
	"  at INTEGER NOT NULL"
	") STRICT, WITHOUT ROWID;"
	"CREATE INDEX command_nonces_expiry ON command_nonces(expires_at);",
	/* 3: the replay memory of live view requests (docs/live.md, "The
	 * hub"): the session id of every accepted request until its expiry,
	 * at most HUB_LIVE_MAX at once (the cap is in the insert). */
	"CREATE TABLE live_sessions ("
	"  session BLOB PRIMARY KEY CHECK (length(session) = 16),"
	"  expires_at INTEGER NOT NULL CHECK (expires_at >= 0),"
	"  at INTEGER NOT NULL"
	") STRICT, WITHOUT ROWID;"
	"CREATE INDEX live_sessions_expiry ON live_sessions(expires_at);",
	/* 4: no index of the unsent events. Every commit that appends an
	 * event (a grant's charge among them) wrote its page as well; the
	 * unsent events are a prefix's complement (only mark_sent sets sent,
	 * for every event up to a seq), so each connection keeps where the
	 * unsent ones start (struct hub_state, unsent_from) and both queries
	 * search by seq from there (docs/hub.md, "Durable state"). */
	"DROP INDEX IF EXISTS events_unsent;",
	/* 5: revocations signed by a key the hub does not trust yet (an
	 * owner enrolled at porterd whose statement comes after), kept until
	 * the roots change and verified again then (docs/hub.md,
	 * "Revocations"). Never trusted while here: nothing reads them but
	 * the retry. At most HUB_REV_PENDING_MAX (the cap is in the insert). */
	"CREATE TABLE revocations_pending ("
	"  id INTEGER PRIMARY KEY,"
	"  version INTEGER NOT NULL CHECK (version >= 0),"
	"  envelope BLOB NOT NULL UNIQUE CHECK (length(envelope) BETWEEN 1 AND 512),"
	"  at INTEGER NOT NULL"
	") STRICT;",
};

#define SCHEMA_VERSION ((int)(sizeof(migrations) / sizeof(migrations[0])))

/* Statements prepared once per connection, on first use. */
enum sid {
	S_BEGIN,
	S_BEGIN_IMMEDIATE,
	S_COMMIT,
	S_ROLLBACK,
	S_OWNER_ADD,
	S_OWNER_LIST,
	S_HOME_GET,
	S_HOME_SET,
	S_USAGE_GET,
	S_USAGE_CHARGE,
	S_REV_ADD,
	S_REV_COUNT,
	S_REV_LIST,
	S_REV_VERSION,
	S_REV_REFRESHED,
	S_LOCKOUT_GET,
	S_LOCKOUT_SET,
	S_EVENT_LAST,
	S_EVENT_INSERT,
	S_EVENT_LIST,
	S_EVENT_MARK,
	S_EVENT_ALL,
	S_CKPT_ADD,
	S_CKPT_LAST,
	S_CKPT_MISMATCH,
	S_META_GET,
	S_META_SET,
	S_NONCE_ADD,
	S_NONCE_PRUNE,
	S_NONCE_COUNT,
	S_OWNER_ROWS,
	S_OWNER_RESTATE,
	S_KEY_REVS,
	S_LIVE_ADD,
	S_LIVE_PRUNE,
	S_LIVE_COUNT,
	S_DATA_VERSION,
	S_PEND_ADD,
	S_PEND_LIST,
	S_PEND_DEL,
	S_PEND_OLDEST,
	S_COUNT_
};

#define EVENT_COLS "seq, at, type, data, prev, hash, sent"

static const char *const stmt_sql[S_COUNT_] = {
	[S_BEGIN] = "BEGIN",
	[S_BEGIN_IMMEDIATE] = "BEGIN IMMEDIATE",
	[S_COMMIT] = "COMMIT",
	[S_ROLLBACK] = "ROLLBACK",
	/* The cap is part of the insert: one statement, one lock. */
	[S_OWNER_ADD] = "INSERT INTO owners (pk, label, statement, at) SELECT ?1, ?2, ?3, ?4"
			" WHERE (SELECT count(*) FROM owners) < ?5",
	[S_OWNER_LIST] = "SELECT pk FROM owners ORDER BY id LIMIT ?1",
	[S_HOME_GET] = "SELECT home_id FROM hub WHERE id = 1",
	[S_HOME_SET] = "UPDATE hub SET home_id = ?1 WHERE id = 1",
	[S_USAGE_GET] = "SELECT used FROM usage WHERE cti = ?1",
	[S_USAGE_CHARGE] = "INSERT INTO usage (cti, used, last_at) VALUES (?1, 1, ?2)"
			   " ON CONFLICT (cti) DO UPDATE SET used = used + 1,"
			   " last_at = excluded.last_at",
	[S_REV_ADD] = "INSERT INTO revocations (kind, target, version, envelope, at)"
		      " VALUES (?1, ?2, ?3, ?4, ?5)",
	[S_REV_COUNT] = "SELECT count(*) FROM revocations WHERE kind = ?1",
	/* BLOBs compare with memcmp(), then by length: ascending as pt_context wants. */
	[S_REV_LIST] = "SELECT target FROM revocations WHERE kind = ?1 ORDER BY target",
	[S_REV_VERSION] = "SELECT coalesce((SELECT max(version) FROM revocations), 0),"
			  " revocations_refreshed_at FROM hub WHERE id = 1",
	[S_REV_REFRESHED] = "UPDATE hub SET revocations_refreshed_at = ?1 WHERE id = 1",
	[S_LOCKOUT_GET] = "SELECT failures, locked_until FROM lockout WHERE id = 1",
	[S_LOCKOUT_SET] = "UPDATE lockout SET failures = ?1, locked_until = ?2 WHERE id = 1",
	[S_EVENT_LAST] = "SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1",
	[S_EVENT_INSERT] = "INSERT INTO events (seq, at, type, data, prev, hash, sent)"
			   " VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0)",
	[S_EVENT_LIST] = "SELECT " EVENT_COLS " FROM events WHERE seq > ?1"
			 " AND (?2 = 0 OR sent = 0) ORDER BY seq LIMIT ?3",
	[S_EVENT_MARK] = "UPDATE events SET sent = 1 WHERE seq >= ?2 AND seq <= ?1 AND sent = 0",
	[S_EVENT_ALL] = "SELECT " EVENT_COLS " FROM events ORDER BY seq",
	/* Only over an event that exists with that very hash. */
	[S_CKPT_ADD] = "INSERT INTO checkpoints (seq, hash, sig)"
		       " SELECT seq, hash, ?3 FROM events WHERE seq = ?1 AND hash = ?2",
	[S_CKPT_LAST] = "SELECT seq, hash, sig FROM checkpoints ORDER BY seq DESC LIMIT 1",
	/* The first checkpoint that no longer matches its event (or lost it). */
	[S_CKPT_MISMATCH] = "SELECT c.seq FROM checkpoints c LEFT JOIN events e ON e.seq = c.seq"
			    " WHERE e.hash IS NOT c.hash ORDER BY c.seq LIMIT 1",
	[S_META_GET] = "SELECT value FROM meta WHERE key = ?1",
	[S_META_SET] = "INSERT INTO meta (key, value) VALUES (?1, ?2)"
		       " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
	/* PRIMARY KEY: a nonce seen before is PT_EEXISTS (a replay). */
	[S_NONCE_ADD] = "INSERT INTO command_nonces (nonce, expires_at, at) VALUES (?1, ?2, ?3)",
	[S_NONCE_PRUNE] = "DELETE FROM command_nonces WHERE expires_at < ?1",
	[S_NONCE_COUNT] = "SELECT count(*) FROM command_nonces",
	[S_OWNER_ROWS] = "SELECT pk, statement FROM owners ORDER BY id LIMIT ?1",
	[S_OWNER_RESTATE] = "UPDATE owners SET label = ?2, statement = ?3, at = ?4 WHERE pk = ?1",
	/* Key revocations with their envelopes (the evidence of who signed). */
	[S_KEY_REVS] = "SELECT target, envelope FROM revocations WHERE kind = 2 ORDER BY id",
	/* One statement, one lock: a session seen before is tried (and
	 * refused by the PRIMARY KEY, PT_EEXISTS) even when the table is
	 * full; a new one is inserted only below the cap. */
	[S_LIVE_ADD] = "INSERT INTO live_sessions (session, expires_at, at) SELECT ?1, ?2, ?3"
		       " WHERE (SELECT count(*) FROM live_sessions) < ?4"
		       " OR EXISTS (SELECT 1 FROM live_sessions WHERE session = ?1)",
	[S_LIVE_PRUNE] = "DELETE FROM live_sessions WHERE expires_at < ?1",
	[S_LIVE_COUNT] = "SELECT count(*) FROM live_sessions",
	/* Changes when another connection commits (never for our own). */
	[S_DATA_VERSION] = "PRAGMA data_version",
	/* As S_LIVE_ADD: one seen before is PT_EEXISTS even when full. */
	[S_PEND_ADD] = "INSERT INTO revocations_pending (version, envelope, at) SELECT ?1, ?2, ?3"
		       " WHERE (SELECT count(*) FROM revocations_pending) < ?4"
		       " OR EXISTS (SELECT 1 FROM revocations_pending WHERE envelope = ?2)",
	[S_PEND_LIST] = "SELECT id, version, envelope FROM revocations_pending ORDER BY id LIMIT ?1",
	[S_PEND_DEL] = "DELETE FROM revocations_pending WHERE id = ?1",
	[S_PEND_OLDEST] = "SELECT id, version FROM revocations_pending ORDER BY id LIMIT 1",
};

/*
 * The revocation set and its version as last read (revoked_load,
 * revocation_version), kept in memory while nothing can have changed
 * them (they are read for every PROOF, and change rarely; reading them
 * costs O(revocations)): this connection's writes to them clear the copy
 * (revocation_add, revocation_refreshed), and another connection's
 * commit (a second process, sqlite3 by hand) changes PRAGMA
 * data_version, checked on every use. A copy is only made from one
 * snapshot, with that snapshot's data_version.
 */
struct rev_cache {
	bool set_ok, version_ok;
	int64_t set_dv, version_dv;
	uint8_t *ctis, *keys;		/* malloc'd; NULL when empty */
	size_t n_ctis, n_keys;
	int64_t version, refreshed_at;
};

struct hub_state {
	sqlite3 *db;
	sqlite3_stmt *stmt[S_COUNT_];
	struct rev_cache rc;
	/* Every event below this seq is sent, as far as this connection
	 * knows (1: nothing known). Only raised by this connection's own
	 * committed mark_sent, which sets sent on every event up to its seq;
	 * sent never goes back to 0 (the events_no_update trigger), so it
	 * stays true whatever another connection commits: it can be lower
	 * than it might be, never higher. */
	int64_t unsent_from;
	/* A decision's transaction (hub_state_decision_begin): BEGIN
	 * IMMEDIATE, held open from the context's read to the charge. The
	 * first tx_begin inside it joins it (nested): a read's commit leaves
	 * it open, a write's commit commits it (the charge), any rollback
	 * ends it. */
	bool held, nested, nested_write;
	/* Frames in the WAL after this connection's last commit (wal_hook). */
	int wal_frames;
};

/* ---- errors: one key=value line on stderr per PT_EIO ---- */

/* Append v as a quoted value: quotes and backslashes escaped, control
 * bytes as '?', so a message cannot forge a line or a key. */
static size_t
put_quoted(char *buf, size_t n, size_t cap, const char *v)
{
	if (n + 1 < cap)
		buf[n++] = '"';
	for (; *v != '\0' && n + 3 < cap; v++) {
		unsigned char c = (unsigned char)*v;
		if (c == '"' || c == '\\') {
			buf[n++] = '\\';
			buf[n++] = (char)c;
		} else {
			buf[n++] = c < 0x20 || c == 0x7f ? '?' : (char)c;
		}
	}
	if (n + 1 < cap)
		buf[n++] = '"';
	return n;
}

/* One line, one write(2). Never secret: SQLite's message names tables and
 * constraints, not values. */
static void
log_line(const char *what, const char *msg, int code)
{
	char line[1024];
	size_t n;
	int m;

	n = (size_t)snprintf(line, sizeof(line), "level=error component=hub-state op=");
	n = put_quoted(line, n, sizeof(line) - 64, what);
	m = snprintf(line + n, sizeof(line) - n, " error=");
	if (m < 0)
		return;
	n += (size_t)m;
	n = put_quoted(line, n, sizeof(line) - 32, msg);
	m = snprintf(line + n, sizeof(line) - n, " code=%d\n", code);
	if (m < 0 || (size_t)m >= sizeof(line) - n)
		return;
	n += (size_t)m;
	(void)!write(STDERR_FILENO, line, n);
}

static int
log_eio(struct hub_state *hs, const char *what)
{
	log_line(what, sqlite3_errmsg(hs->db), sqlite3_extended_errcode(hs->db));
	return PT_EIO;
}

static int
log_eio_msg(const char *what, const char *msg)
{
	log_line(what, msg, 0);
	return PT_EIO;
}

/* A failed SQLite result (extended codes are on) as a PT_E* value. */
static int
map_err(struct hub_state *hs, int rc, const char *what)
{
	switch (rc) {
	case SQLITE_CONSTRAINT_UNIQUE:
	case SQLITE_CONSTRAINT_PRIMARYKEY:
		return PT_EEXISTS;
	case SQLITE_CONSTRAINT_CHECK:
	case SQLITE_CONSTRAINT_NOTNULL:
	case SQLITE_CONSTRAINT_DATATYPE:
		return PT_EINVAL;
	default:
		return log_eio(hs, what);
	}
}

/* ---- statements ---- */

static sqlite3_stmt *
get(struct hub_state *hs, enum sid id, const char *what)
{
	if (hs->stmt[id] == NULL &&
	    sqlite3_prepare_v3(hs->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT, &hs->stmt[id],
			       NULL) != SQLITE_OK) {
		log_eio(hs, what);
		hs->stmt[id] = NULL;
	}
	return hs->stmt[id];
}

/* Always after use: a statement left stepping would hold a read snapshot. */
static void
done(sqlite3_stmt *s)
{
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
}

/* Binders keep the first error in *rc and do nothing after one. */
static void
bind_i64(sqlite3_stmt *s, int i, int64_t v, int *rc)
{
	if (*rc == SQLITE_OK)
		*rc = sqlite3_bind_int64(s, i, v);
}

static void
bind_text(sqlite3_stmt *s, int i, const char *v, size_t len, int *rc)
{
	if (*rc == SQLITE_OK)
		*rc = sqlite3_bind_text(s, i, v, (int)len, SQLITE_STATIC);
}

static void
bind_blob(sqlite3_stmt *s, int i, const void *p, size_t len, int *rc)
{
	/* A non-NULL pointer: a zero-length blob, not NULL. */
	if (*rc == SQLITE_OK)
		*rc = sqlite3_bind_blob(s, i, len != 0 ? p : "", (int)len, SQLITE_STATIC);
}

static int64_t
limit_of(size_t max)
{
	return max > (size_t)INT64_MAX ? INT64_MAX : (int64_t)max;
}

/* A write (not BEGIN, COMMIT, ROLLBACK: SQLite counts those read-only)
 * made in autocommit style while a decision's transaction is open: it
 * would join that transaction and be rolled back with it (a refusal's
 * hub_state_decision_end), silently. Refused instead: only the nested
 * write of append_tx (the charge) may write in it. */
static bool
stray_write(const struct hub_state *hs, sqlite3_stmt *s)
{
	return hs->held && !(hs->nested && hs->nested_write) && !sqlite3_stmt_readonly(s);
}

/* Run a statement that returns no row. */
static int
run(struct hub_state *hs, sqlite3_stmt *s, int rc, const char *what)
{
	int r;

	if (rc == SQLITE_OK && stray_write(hs, s)) {
		done(s);
		return log_eio_msg(what, "a write outside a transaction while a decision's is open");
	}
	if (rc == SQLITE_OK)
		rc = sqlite3_step(s);
	r = rc == SQLITE_DONE ? PT_OK : map_err(hs, rc, what);
	done(s);
	return r;
}

/* Run a statement that returns no row and must change one. */
static int
run_changing(struct hub_state *hs, sqlite3_stmt *s, int rc, const char *what)
{
	int r = run(hs, s, rc, what);

	if (r == PT_OK && sqlite3_changes(hs->db) == 0)
		r = PT_ENOTFOUND;
	return r;
}

/* Step s for its one row; PT_ENOTFOUND if none. The caller reads the
 * columns and then calls done(s). On error s is already reset. */
static int
step_row(struct hub_state *hs, sqlite3_stmt *s, int rc, const char *what)
{
	int r;

	if (rc == SQLITE_OK && stray_write(hs, s)) {
		done(s);
		return log_eio_msg(what, "a write outside a transaction while a decision's is open");
	}
	if (rc == SQLITE_OK)
		rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		return PT_OK;
	r = rc == SQLITE_DONE ? PT_ENOTFOUND : map_err(hs, rc, what);
	done(s);
	return r;
}

/* Execute constant SQL, possibly several statements, ignoring rows. */
static int
exec_sql(struct hub_state *hs, const char *sql)
{
	const char *tail = sql;
	sqlite3_stmt *s;
	int rc;

	while (*tail != '\0') {
		s = NULL;
		rc = sqlite3_prepare_v2(hs->db, tail, -1, &s, &tail);
		if (rc != SQLITE_OK)
			return rc;
		if (s == NULL)	/* whitespace or a comment */
			continue;
		while ((rc = sqlite3_step(s)) == SQLITE_ROW)
			;
		sqlite3_finalize(s);
		if (rc != SQLITE_DONE)
			return rc;
	}
	return SQLITE_OK;
}

/* ---- transactions ---- */

static int
tx_begin(struct hub_state *hs, enum sid kind, const char *what)
{
	sqlite3_stmt *s;

	if (hs->held && sqlite3_get_autocommit(hs->db))
		hs->held = hs->nested = false;	/* SQLite rolled it back (an I/O error) */
	if (hs->held && !hs->nested) {
		hs->nested = true;	/* inside the decision's transaction */
		hs->nested_write = kind == S_BEGIN_IMMEDIATE;
		return PT_OK;
	}
	if (!sqlite3_get_autocommit(hs->db))	/* never nested: a bug */
		return log_eio_msg(what, "a transaction is already open");
	if ((s = get(hs, kind, what)) == NULL)
		return PT_EIO;
	return run(hs, s, SQLITE_OK, what);
}

static void
tx_rollback(struct hub_state *hs, const char *what)
{
	sqlite3_stmt *s;

	hs->held = hs->nested = false;	/* it ends a decision's transaction too */
	/* SQLite may have rolled back already (on some I/O errors). */
	if (sqlite3_get_autocommit(hs->db))
		return;
	if ((s = get(hs, S_ROLLBACK, what)) == NULL || run(hs, s, SQLITE_OK, what) != PT_OK) {
		/* The connection is unusable as it stands; try once more, plainly. */
		if (exec_sql(hs, "ROLLBACK") != SQLITE_OK)
			log_eio(hs, what);
	}
}

/* Commit, and on failure leave nothing of the transaction behind. */
static int
tx_commit(struct hub_state *hs, const char *what)
{
	sqlite3_stmt *s;
	int r;

	if (hs->nested) {
		hs->nested = false;
		if (!hs->nested_write)
			return PT_OK;	/* a read: the decision's transaction goes on */
		hs->held = false;	/* a write: it commits the decision's transaction */
	}
	if (sqlite3_get_autocommit(hs->db))
		return log_eio_msg(what, "the transaction was rolled back by the database");
	if ((s = get(hs, S_COMMIT, what)) == NULL)
		r = PT_EIO;
	else
		r = run(hs, s, SQLITE_OK, what);
	if (r != PT_OK) {
		if (r != PT_EIO)	/* a deferred constraint: still an I/O-level failure */
			r = log_eio(hs, what);
		tx_rollback(hs, what);
	}
	return r;
}

/* ---- columns ---- */

/* Copy a TEXT column into dst[cap]; false if too long, NULL or with a NUL. */
static bool
col_str(sqlite3_stmt *s, int col, char *dst, size_t cap)
{
	const unsigned char *p;
	size_t len;

	if (sqlite3_column_type(s, col) != SQLITE_TEXT)
		return false;
	p = sqlite3_column_text(s, col);
	if (p == NULL)
		return false;
	len = (size_t)sqlite3_column_bytes(s, col);
	if (len >= cap || memchr(p, 0, len) != NULL)
		return false;
	memcpy(dst, p, len);
	dst[len] = '\0';
	return true;
}

static bool
col_blob_exact(sqlite3_stmt *s, int col, uint8_t *dst, size_t n)
{
	const void *p;

	if (sqlite3_column_type(s, col) != SQLITE_BLOB)
		return false;
	p = sqlite3_column_blob(s, col);
	if ((size_t)sqlite3_column_bytes(s, col) != n || p == NULL)
		return false;
	memcpy(dst, p, n);
	return true;
}

static bool
col_u32(sqlite3_stmt *s, int col, uint32_t *dst)
{
	int64_t v;

	if (sqlite3_column_type(s, col) != SQLITE_INTEGER)	/* first: reading may convert */
		return false;
	v = sqlite3_column_int64(s, col);
	if (v < 0 || v > (int64_t)UINT32_MAX)
		return false;
	*dst = (uint32_t)v;
	return true;
}

/* ---- checks of caller-provided strings ---- */

/* Length of s if it is at most max bytes, else max + 1. */
static size_t
len_upto(const char *s, size_t max)
{
	return strnlen(s, max + 1);
}

/* ---- open, close ---- */

__attribute__((format(printf, 2, 3))) static void
errf(struct pt_errbuf *err, const char *fmt, ...)
{
	char msg[sizeof(err->msg)];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (err != NULL)
		memcpy(err->msg, msg, sizeof(msg));
	else
		log_eio_msg("cannot open the hub state", msg);
}

/* Create every missing directory above path (like mkdir -p) with mode
 * 0700. Directories that exist are left alone: the path may be anywhere. */
static int
make_parent(const char *path, struct pt_errbuf *err)
{
	const char *slash = strrchr(path, '/');
	char dir[4096];
	size_t len, i;

	if (slash == NULL || slash == path)
		return PT_OK;
	len = (size_t)(slash - path);
	if (len >= sizeof(dir)) {
		errf(err, "cannot open '%s': path too long", path);
		return PT_EIO;
	}
	memcpy(dir, path, len);
	dir[len] = '\0';
	for (i = 1; i <= len; i++) {
		if (dir[i] != '/' && dir[i] != '\0')
			continue;
		dir[i] = '\0';
		if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
			errf(err, "cannot create directory '%s': %s", dir, strerror(errno));
			return PT_EIO;
		}
		if (i < len)
			dir[i] = '/';
	}
	return PT_OK;
}

/* The directory holding path, fsync'd so a file just created there
 * survives a power cut. Best effort: SQLite syncs it again for the WAL. */
static void
sync_parent(const char *path)
{
	const char *slash = strrchr(path, '/');
	char dir[4096];
	size_t len;
	int fd;

	if (slash == NULL) {
		dir[0] = '.';
		len = 1;
	} else {
		len = slash == path ? 1 : (size_t)(slash - path);
		if (len >= sizeof(dir))
			return;
		memcpy(dir, path, len);
	}
	dir[len] = '\0';
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return;
	(void)fsync(fd);
	close(fd);
}

/* Create the file with mode 0600 before SQLite does (SQLite gives its -wal
 * and -shm files the main file's mode); tighten an existing file's mode. */
static int
make_file(const char *path, struct pt_errbuf *err)
{
	struct stat sb;
	bool created = false;
	int fd, r = PT_OK;

	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
	if (fd >= 0)
		created = true;
	else if (errno == EEXIST)
		fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		errf(err, "cannot open '%s': %s", path, strerror(errno));
		return PT_EIO;
	}
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		errf(err, "cannot open '%s': not a regular file", path);
		r = PT_EIO;
	} else if ((sb.st_mode & 07777) != 0600 && fchmod(fd, 0600) != 0) {
		errf(err, "cannot set the mode of '%s': %s", path, strerror(errno));
		r = PT_EIO;
	}
	close(fd);
	if (r == PT_OK && created)
		sync_parent(path);
	return r;
}

/* Run a pragma; copy the first column of its first row, if any, to val. */
static int
pragma(struct hub_state *hs, const char *sql, char *val, size_t cap)
{
	sqlite3_stmt *s = NULL;
	const unsigned char *t;
	int rc;

	if (val != NULL)
		val[0] = '\0';
	rc = sqlite3_prepare_v2(hs->db, sql, -1, &s, NULL);
	if (rc != SQLITE_OK)
		return rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (val != NULL && val[0] == '\0' && (t = sqlite3_column_text(s, 0)) != NULL)
			(void)snprintf(val, cap, "%s", (const char *)t);
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/*
 * SQLite's WAL hook, after each commit of this connection, in place of its
 * automatic checkpoint (which this hook replaces): that one runs inside
 * the commit that crosses the threshold, so a charge, whose commit a
 * courier at the door waits for, could copy the WAL into the database and
 * fsync it too (milliseconds). Here the commit only notes the WAL's size;
 * hub_state_maintain checkpoints from the loop, between turns. A safety
 * net: past WAL_FRAMES_MAX the commit checkpoints after all.
 */
static int
wal_hook(void *arg, sqlite3 *db, const char *name, int frames)
{
	struct hub_state *hs = arg;

	(void)name;
	hs->wal_frames = frames;
	if (frames >= WAL_FRAMES_MAX && !hs->held) {
		/* Nobody checkpointed between turns: here, inside the commit
		 * (as SQLite's own hook does), and said. */
		log_line("the WAL was not checkpointed between turns: checkpointed in a commit",
			 "frames over the limit", frames);
		if (sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL) ==
		    SQLITE_OK)
			hs->wal_frames = 0;
	}
	return SQLITE_OK;
}

static int
configure(struct hub_state *hs, struct pt_errbuf *err)
{
	/* Durable on return from COMMIT: WAL is fsync'd at every commit with
	 * FULL (NORMAL would only sync at checkpoints). */
	static const char *const plain[] = {
		"PRAGMA synchronous = FULL",
		"PRAGMA foreign_keys = ON",
		"PRAGMA recursive_triggers = ON",	/* REPLACE fires the delete triggers */
		"PRAGMA trusted_schema = OFF",
	};
	char val[32];
	size_t i;

	sqlite3_extended_result_codes(hs->db, 1);
	if (sqlite3_db_config(hs->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL) != SQLITE_OK ||
	    sqlite3_db_config(hs->db, SQLITE_DBCONFIG_DQS_DML, 0, NULL) != SQLITE_OK ||
	    sqlite3_db_config(hs->db, SQLITE_DBCONFIG_DQS_DDL, 0, NULL) != SQLITE_OK ||
	    sqlite3_busy_timeout(hs->db, BUSY_TIMEOUT_MS) != SQLITE_OK)
		goto fail;
	if (pragma(hs, "PRAGMA journal_mode = WAL", val, sizeof(val)) != SQLITE_OK)
		goto fail;
	if (strcmp(val, "wal") != 0) {
		errf(err, "cannot set WAL mode: journal mode is '%s'", val);
		return PT_EIO;
	}
	(void)sqlite3_wal_hook(hs->db, wal_hook, hs);
	for (i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
		if (pragma(hs, plain[i], NULL, 0) != SQLITE_OK)
			goto fail;
	if (pragma(hs, "PRAGMA synchronous", val, sizeof(val)) != SQLITE_OK)
		goto fail;
	if (strcmp(val, "2") != 0) {	/* FULL */
		errf(err, "cannot set synchronous = FULL");
		return PT_EIO;
	}
	if (pragma(hs, "PRAGMA foreign_keys", val, sizeof(val)) != SQLITE_OK)
		goto fail;
	if (strcmp(val, "1") != 0) {
		errf(err, "cannot enable foreign keys");
		return PT_EIO;
	}
	return PT_OK;
fail:
	errf(err, "cannot configure the database: %s", sqlite3_errmsg(hs->db));
	return PT_EIO;
}

/* The highest applied migration, inside the current transaction. */
static int
read_version(struct hub_state *hs, int *version)
{
	sqlite3_stmt *s = NULL;
	int rc;

	*version = 0;
	rc = sqlite3_prepare_v2(hs->db, "SELECT coalesce(max(version), 0) FROM schema_version", -1,
				&s, NULL);
	if (rc != SQLITE_OK)
		return rc;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		int64_t v = sqlite3_column_int64(s, 0);
		*version = v < 0 || v > 1000000 ? -1 : (int)v;
		rc = SQLITE_OK;
	}
	sqlite3_finalize(s);
	return rc;
}

static int
record_version(struct hub_state *hs, int version)
{
	sqlite3_stmt *s = NULL;
	int rc;

	rc = sqlite3_prepare_v2(hs->db,
				"INSERT INTO schema_version (version, applied_at) VALUES (?1, ?2)",
				-1, &s, NULL);
	if (rc != SQLITE_OK)
		return rc;
	bind_i64(s, 1, version, &rc);
	bind_i64(s, 2, (int64_t)time(NULL), &rc);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Apply the migrations not yet applied, each in its own transaction. The
 * version is read inside the transaction, so two processes opening the
 * same file at once apply each migration once. */
static int
migrate(struct hub_state *hs, struct pt_errbuf *err)
{
	int i, v = 0, rc;

	/* Already current: nothing to write, so take no write lock. A second
	 * process opening the state (porter-hub -E, -V) must not hold up the
	 * running hub's writes (a prepare fails if the table is not there
	 * yet: then migrate as below). */
	if (read_version(hs, &v) == SQLITE_OK && v == SCHEMA_VERSION)
		return PT_OK;
	v = 0;
	for (i = 0; i < SCHEMA_VERSION; i++) {
		rc = exec_sql(hs, "BEGIN IMMEDIATE");
		if (rc != SQLITE_OK)
			goto fail;
		rc = exec_sql(hs, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER"
				  " PRIMARY KEY, applied_at INTEGER NOT NULL) STRICT");
		if (rc == SQLITE_OK)
			rc = read_version(hs, &v);
		if (rc != SQLITE_OK)
			goto fail_rollback;
		if (v < 0 || v > SCHEMA_VERSION) {
			exec_sql(hs, "ROLLBACK");
			errf(err, "hub state schema version %d is not one this program knows"
			     " (1..%d)", v, SCHEMA_VERSION);
			return PT_EIO;
		}
		if (v <= i) {
			rc = exec_sql(hs, migrations[i]);
			if (rc == SQLITE_OK)
				rc = record_version(hs, i + 1);
			if (rc != SQLITE_OK)
				goto fail_rollback;
		}
		rc = exec_sql(hs, "COMMIT");
		if (rc != SQLITE_OK)
			goto fail_rollback;
	}
	return PT_OK;
fail_rollback:
	errf(err, "cannot migrate the hub state to version %d: %s", i + 1,
	     sqlite3_errmsg(hs->db));
	if (!sqlite3_get_autocommit(hs->db))
		exec_sql(hs, "ROLLBACK");
	return PT_EIO;
fail:
	errf(err, "cannot migrate the hub state to version %d: %s", i + 1,
	     sqlite3_errmsg(hs->db));
	return PT_EIO;
}

int
hub_state_open(const char *path, struct hub_state **out, struct pt_errbuf *err)
{
	struct hub_state *hs;
	int r;

	if (err != NULL)
		err->msg[0] = '\0';
	if (out == NULL)
		return PT_EINVAL;
	*out = NULL;
	if (path == NULL || path[0] == '\0') {
		if (err != NULL)
			(void)snprintf(err->msg, sizeof(err->msg),
				       "cannot open the hub state: no path");
		return PT_EINVAL;
	}
	if ((r = make_parent(path, err)) != PT_OK || (r = make_file(path, err)) != PT_OK)
		return r;
	if ((hs = calloc(1, sizeof(*hs))) == NULL) {
		errf(err, "cannot open '%s': out of memory", path);
		return PT_ENOMEM;
	}
	hs->unsent_from = 1;
	/* NOMUTEX: one thread uses it; NOFOLLOW: no symlinks. */
	if (sqlite3_open_v2(path, &hs->db,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX |
				    SQLITE_OPEN_NOFOLLOW,
			    NULL) != SQLITE_OK) {
		errf(err, "cannot open '%s': %s", path,
		     hs->db != NULL ? sqlite3_errmsg(hs->db) : "out of memory");
		r = PT_EIO;
		goto out_close;
	}
	if ((r = configure(hs, err)) != PT_OK || (r = migrate(hs, err)) != PT_OK)
		goto out_close;
	*out = hs;
	return PT_OK;
out_close:
	sqlite3_close(hs->db);
	free(hs);
	return r;
}

void
hub_state_maintain(struct hub_state *hs)
{
	int rc;

	if (hs == NULL || hs->held || !sqlite3_get_autocommit(hs->db) ||
	    hs->wal_frames < WAL_CHECKPOINT_FRAMES)
		return;
	/* Tried once per commit past the threshold, as SQLite's own: PASSIVE
	 * copies what no reader still needs, waits for nobody, and the next
	 * write starts the WAL over once all of it is copied. */
	hs->wal_frames = 0;
	rc = sqlite3_wal_checkpoint_v2(hs->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	if (rc != SQLITE_OK && rc != SQLITE_BUSY)
		(void)log_eio(hs, "cannot checkpoint the WAL");
}

int
hub_state_wal_frames(const struct hub_state *hs)
{
	return hs != NULL ? hs->wal_frames : 0;
}

void
hub_state_close(struct hub_state *hs)
{
	size_t i;

	if (hs == NULL)
		return;
	tx_rollback(hs, "cannot roll back at close");
	free(hs->rc.ctis);
	free(hs->rc.keys);
	for (i = 0; i < S_COUNT_; i++)
		sqlite3_finalize(hs->stmt[i]);
	if (sqlite3_close(hs->db) != SQLITE_OK)
		log_eio(hs, "cannot close the database");
	free(hs);
}

/* ---- owner keys ---- */

int
hub_state_owner_add(struct hub_state *hs, const uint8_t pk[PT_PK_LEN], const char *label,
		    const uint8_t *statement, size_t statement_len, int64_t at)
{
	const char *what = "cannot add an owner key";
	sqlite3_stmt *s;
	size_t label_len;
	int r, rc = SQLITE_OK;

	if (hs == NULL || pk == NULL || label == NULL || (statement == NULL && statement_len != 0))
		return PT_EINVAL;
	label_len = len_upto(label, HUB_LABEL_MAX);
	if (label_len > HUB_LABEL_MAX || statement_len > PT_ENVELOPE_SIZE_MAX ||
	    !pt_pk_is_valid(pk))
		return PT_EINVAL;
	if ((s = get(hs, S_OWNER_ADD, what)) == NULL)
		return PT_EIO;
	bind_blob(s, 1, pk, PT_PK_LEN, &rc);
	bind_text(s, 2, label, label_len, &rc);
	bind_blob(s, 3, statement, statement_len, &rc);
	bind_i64(s, 4, at, &rc);
	bind_i64(s, 5, HUB_OWNERS_MAX, &rc);
	r = run_changing(hs, s, rc, what);
	/* PT_EEXISTS: known key; nothing inserted: the table is full. */
	return r == PT_ENOTFOUND ? PT_ENOSPC : r;
}

int
hub_state_owner_list(struct hub_state *hs, uint8_t (*out)[PT_PK_LEN], size_t max, size_t *n)
{
	const char *what = "cannot list owner keys";
	sqlite3_stmt *s;
	size_t i = 0;
	int r = PT_OK, rc = SQLITE_OK;

	if (n == NULL)
		return PT_EINVAL;
	*n = 0;
	if (hs == NULL || (out == NULL && max != 0))
		return PT_EINVAL;
	if ((s = get(hs, S_OWNER_LIST, what)) == NULL)
		return PT_EIO;
	/* One more than fits: a caller must never get a silently short list. */
	bind_i64(s, 1, max >= (size_t)INT64_MAX ? INT64_MAX : (int64_t)max + 1, &rc);
	while (rc == SQLITE_OK || rc == SQLITE_ROW) {
		rc = sqlite3_step(s);
		if (rc != SQLITE_ROW)
			break;
		if (i == max) {
			r = PT_ENOSPC;
			break;
		}
		if (!col_blob_exact(s, 0, out[i], PT_PK_LEN)) {
			r = log_eio_msg(what, "stored value out of range");
			break;
		}
		i++;
	}
	if (r == PT_OK && rc != SQLITE_DONE)
		r = map_err(hs, rc, what);
	done(s);
	if (r != PT_OK) {
		if (i != 0)
			memset(out, 0, i * PT_PK_LEN);
		return r;
	}
	*n = i;
	return PT_OK;
}

/* A blob column of 0..cap bytes into out, its length in *len. */
static bool
col_blob_upto(sqlite3_stmt *s, int i, uint8_t *out, size_t cap, size_t *len)
{
	const void *p = sqlite3_column_blob(s, i);
	int n = sqlite3_column_bytes(s, i);

	if (n < 0 || (size_t)n > cap || (n > 0 && p == NULL))
		return false;
	if (n > 0)
		memcpy(out, p, (size_t)n);
	*len = (size_t)n;
	return true;
}

int
hub_state_owner_restate(struct hub_state *hs, const uint8_t pk[PT_PK_LEN], const char *label,
			const uint8_t *statement, size_t statement_len, int64_t at)
{
	const char *what = "cannot replace an owner statement";
	sqlite3_stmt *s;
	size_t label_len;
	int rc = SQLITE_OK;

	if (hs == NULL || pk == NULL || label == NULL || (statement == NULL && statement_len != 0))
		return PT_EINVAL;
	label_len = len_upto(label, HUB_LABEL_MAX);
	if (label_len > HUB_LABEL_MAX || statement_len > PT_ENVELOPE_SIZE_MAX)
		return PT_EINVAL;
	if ((s = get(hs, S_OWNER_RESTATE, what)) == NULL)
		return PT_EIO;
	bind_blob(s, 1, pk, PT_PK_LEN, &rc);
	bind_text(s, 2, label, label_len, &rc);
	bind_blob(s, 3, statement, statement_len, &rc);
	bind_i64(s, 4, at, &rc);
	return run_changing(hs, s, rc, what);
}

int
hub_state_owner_rows(struct hub_state *hs, struct hub_owner_row **rows, size_t *n)
{
	const char *what = "cannot list owner keys";
	struct hub_owner_row *a;
	sqlite3_stmt *s;
	size_t i = 0;
	int r = PT_OK, rc = SQLITE_OK;

	if (rows == NULL || n == NULL)
		return PT_EINVAL;
	*rows = NULL;
	*n = 0;
	if (hs == NULL)
		return PT_EINVAL;
	if ((a = calloc(HUB_OWNERS_MAX, sizeof(*a))) == NULL)
		return PT_ENOMEM;
	if ((s = get(hs, S_OWNER_ROWS, what)) == NULL) {
		free(a);
		return PT_EIO;
	}
	bind_i64(s, 1, (int64_t)HUB_OWNERS_MAX + 1, &rc);
	while (rc == SQLITE_OK || rc == SQLITE_ROW) {
		rc = sqlite3_step(s);
		if (rc != SQLITE_ROW)
			break;
		if (i == HUB_OWNERS_MAX || !col_blob_exact(s, 0, a[i].pk, PT_PK_LEN) ||
		    !col_blob_upto(s, 1, a[i].statement, sizeof(a[i].statement),
				   &a[i].statement_len)) {
			r = log_eio_msg(what, "stored value out of range");
			break;
		}
		i++;
	}
	if (r == PT_OK && rc != SQLITE_DONE)
		r = map_err(hs, rc, what);
	done(s);
	if (r != PT_OK) {
		free(a);
		return r;
	}
	*rows = a;
	*n = i;
	return PT_OK;
}

int
hub_state_key_revocations(struct hub_state *hs, struct hub_key_revocation **out, size_t *n)
{
	const char *what = "cannot list key revocations";
	struct hub_key_revocation *a = NULL, *b;
	sqlite3_stmt *s;
	size_t i = 0, cap = 0;
	int r = PT_OK, rc = SQLITE_OK;

	if (out == NULL || n == NULL)
		return PT_EINVAL;
	*out = NULL;
	*n = 0;
	if (hs == NULL)
		return PT_EINVAL;
	if ((s = get(hs, S_KEY_REVS, what)) == NULL)
		return PT_EIO;
	while (rc == SQLITE_OK || rc == SQLITE_ROW) {
		rc = sqlite3_step(s);
		if (rc != SQLITE_ROW)
			break;
		if (i == cap) {
			cap = cap == 0 ? 16 : cap * 2;
			if (cap > SIZE_MAX / sizeof(*a) || (b = realloc(a, cap * sizeof(*a))) == NULL) {
				r = PT_ENOMEM;
				break;
			}
			a = b;
		}
		if (!col_blob_exact(s, 0, a[i].target, PT_PK_LEN) ||
		    !col_blob_upto(s, 1, a[i].envelope, sizeof(a[i].envelope), &a[i].envelope_len)) {
			r = log_eio_msg(what, "stored value out of range");
			break;
		}
		i++;
	}
	if (r == PT_OK && rc != SQLITE_DONE)
		r = map_err(hs, rc, what);
	done(s);
	if (r != PT_OK) {
		free(a);
		return r;
	}
	*out = a;
	*n = i;
	return PT_OK;
}

int
hub_state_home_get(struct hub_state *hs, char home_id[PT_ID_MAX + 1])
{
	const char *what = "cannot read the home id";
	sqlite3_stmt *s;
	int r;

	if (home_id == NULL)
		return PT_EINVAL;
	home_id[0] = '\0';
	if (hs == NULL)
		return PT_EINVAL;
	if ((s = get(hs, S_HOME_GET, what)) == NULL)
		return PT_EIO;
	if ((r = step_row(hs, s, SQLITE_OK, what)) != PT_OK)
		return r == PT_ENOTFOUND ? log_eio_msg(what, "the hub row is missing") : r;
	if (!col_str(s, 0, home_id, PT_ID_MAX + 1) ||
	    (home_id[0] != '\0' && !pt_id_is_valid(home_id, strlen(home_id)))) {
		home_id[0] = '\0';
		r = log_eio_msg(what, "stored value out of range");
	}
	done(s);
	return r;
}

int
hub_state_home_set(struct hub_state *hs, const char *home_id)
{
	const char *what = "cannot set the home id";
	sqlite3_stmt *s;
	size_t len;
	int r, rc = SQLITE_OK;

	if (hs == NULL || home_id == NULL)
		return PT_EINVAL;
	len = len_upto(home_id, PT_ID_MAX);
	/* "" forgets the pairing; anything else is a valid id. */
	if (len != 0 && !pt_id_is_valid(home_id, len))
		return PT_EINVAL;
	if ((s = get(hs, S_HOME_SET, what)) == NULL)
		return PT_EIO;
	bind_text(s, 1, home_id, len, &rc);
	r = run_changing(hs, s, rc, what);
	return r == PT_ENOTFOUND ? log_eio_msg(what, "the hub row is missing") : r;
}

/* ---- entries ---- */

/* Inside the caller's transaction: the usage of each of the n token ids
 * into out[i] (cti set, used 0 for one never charged). */
static int
usage_rows(struct hub_state *hs, const uint8_t (*ctis)[PT_CTI_LEN], size_t n,
	   struct pt_usage *out, const char *what)
{
	sqlite3_stmt *s;
	size_t i;
	int r, rc;

	if ((s = get(hs, S_USAGE_GET, what)) == NULL)
		return PT_EIO;
	for (i = 0; i < n; i++) {
		memcpy(out[i].cti, ctis[i], PT_CTI_LEN);
		out[i].used = 0;
		rc = SQLITE_OK;
		bind_blob(s, 1, ctis[i], PT_CTI_LEN, &rc);
		r = step_row(hs, s, rc, what);
		if (r == PT_ENOTFOUND)
			continue;	/* never charged: 0 */
		if (r != PT_OK)
			return r;
		if (!col_u32(s, 0, &out[i].used)) {
			done(s);
			return log_eio_msg(what, "stored value out of range");
		}
		done(s);
	}
	return PT_OK;
}

int
hub_state_usage_load(struct hub_state *hs, const uint8_t (*ctis)[PT_CTI_LEN], size_t n,
		     struct pt_usage *out)
{
	const char *what = "cannot read entries used";
	int r;

	if (hs == NULL || (n != 0 && (ctis == NULL || out == NULL)))
		return PT_EINVAL;
	if (n == 0)
		return PT_OK;
	memset(out, 0, n * sizeof(*out));
	/* One snapshot for all of them. */
	if ((r = tx_begin(hs, S_BEGIN, what)) != PT_OK)
		goto out_wipe;
	if ((r = usage_rows(hs, ctis, n, out, what)) != PT_OK)
		goto out_rollback;
	if ((r = tx_commit(hs, what)) != PT_OK)
		goto out_wipe;
	return PT_OK;
out_rollback:
	tx_rollback(hs, what);
out_wipe:
	memset(out, 0, n * sizeof(*out));
	return r;
}

/* Inside the caller's IMMEDIATE transaction: one entry more for each of
 * the n token ids. PT_EINVAL: a count would pass UINT32_MAX. */
static int
charge_rows(struct hub_state *hs, const uint8_t (*ctis)[PT_CTI_LEN], size_t n, int64_t at,
	    const char *what)
{
	sqlite3_stmt *s;
	size_t i;
	int r, rc;

	if ((s = get(hs, S_USAGE_CHARGE, what)) == NULL)
		return PT_EIO;
	for (i = 0; i < n; i++) {
		rc = SQLITE_OK;
		bind_blob(s, 1, ctis[i], PT_CTI_LEN, &rc);
		bind_i64(s, 2, at, &rc);
		if ((r = run(hs, s, rc, what)) != PT_OK)
			return r;
	}
	return PT_OK;
}

static int append_tx(struct hub_state *hs, const uint8_t (*ctis)[PT_CTI_LEN], size_t n_ctis,
		     int64_t at, struct hub_event *ev, size_t n, struct hub_ckpt *ck,
		     const struct hub_lockout *lo, const char *what);

int
hub_state_charge(struct hub_state *hs, const uint8_t (*ctis)[PT_CTI_LEN], size_t n, int64_t at)
{
	if (hs == NULL || (n != 0 && ctis == NULL))
		return PT_EINVAL;
	/* synchronous = FULL: the WAL is fsync'd before COMMIT returns. */
	return append_tx(hs, ctis, n, at, NULL, 0, NULL, NULL, "cannot charge an entry");
}

int
hub_state_charge_events(struct hub_state *hs, const uint8_t (*ctis)[PT_CTI_LEN], size_t n,
			int64_t at, struct hub_event *ev, size_t n_ev, struct hub_ckpt *ck)
{
	if (hs == NULL || (n != 0 && ctis == NULL))
		return PT_EINVAL;
	return append_tx(hs, ctis, n, at, ev, n_ev, ck, NULL, "cannot charge an entry");
}

/* ---- revocations ---- */

static void
rev_cache_clear(struct hub_state *hs)
{
	free(hs->rc.ctis);
	free(hs->rc.keys);
	memset(&hs->rc, 0, sizeof(hs->rc));
}

/* PRAGMA data_version: in a transaction, its snapshot's. */
static int
data_version(struct hub_state *hs, int64_t *dv, const char *what)
{
	sqlite3_stmt *s;
	int r;

	if ((s = get(hs, S_DATA_VERSION, what)) == NULL)
		return PT_EIO;
	if ((r = step_row(hs, s, SQLITE_OK, what)) != PT_OK)
		return r == PT_ENOTFOUND ? PT_EIO : r;
	*dv = sqlite3_column_int64(s, 0);
	done(s);
	return PT_OK;
}

/* A malloc'd copy of n items of len bytes (NULL for none); false: no memory. */
static bool
dup_items(const uint8_t *p, size_t n, size_t len, uint8_t **out)
{
	*out = NULL;
	if (n == 0)
		return true;
	if ((*out = malloc(n * len)) == NULL)
		return false;
	memcpy(*out, p, n * len);
	return true;
}

int
hub_state_revocation_add(struct hub_state *hs, int64_t version, uint8_t kind,
			 const uint8_t *target, size_t target_len, const uint8_t *envelope,
			 size_t envelope_len, int64_t at)
{
	const char *what = "cannot add a revocation";
	sqlite3_stmt *s;
	int rc = SQLITE_OK;

	if (hs == NULL || target == NULL || envelope == NULL || version < 0)
		return PT_EINVAL;
	if (!(kind == PT_REVOKE_TOKEN && target_len == PT_CTI_LEN) &&
	    !(kind == PT_REVOKE_KEY && target_len == PT_PK_LEN))
		return PT_EINVAL;
	if (envelope_len == 0 || envelope_len > PT_ENVELOPE_SIZE_MAX)
		return PT_EINVAL;
	rev_cache_clear(hs);	/* whatever the outcome */
	if ((s = get(hs, S_REV_ADD, what)) == NULL)
		return PT_EIO;
	bind_i64(s, 1, kind, &rc);
	bind_blob(s, 2, target, target_len, &rc);
	bind_i64(s, 3, version, &rc);
	bind_blob(s, 4, envelope, envelope_len, &rc);
	bind_i64(s, 5, at, &rc);
	/* PT_EEXISTS: target already revoked (UNIQUE). */
	return run(hs, s, rc, what);
}

/* The targets of one kind, ascending, into a malloc'd array of len-byte
 * items; inside the caller's transaction. */
static int
load_targets(struct hub_state *hs, uint8_t kind, size_t len, uint8_t **out, size_t *n,
	     const char *what)
{
	sqlite3_stmt *s;
	uint8_t *a = NULL;
	int64_t count;
	size_t i = 0;
	int r, rc = SQLITE_OK;

	*out = NULL;
	*n = 0;
	if ((s = get(hs, S_REV_COUNT, what)) == NULL)
		return PT_EIO;
	bind_i64(s, 1, kind, &rc);
	if ((r = step_row(hs, s, rc, what)) != PT_OK)
		return r;
	count = sqlite3_column_int64(s, 0);
	done(s);
	if (count == 0)
		return PT_OK;
	if (count < 0 || (uint64_t)count > SIZE_MAX / len)
		return log_eio_msg(what, "stored value out of range");
	if ((a = malloc((size_t)count * len)) == NULL)
		return PT_ENOMEM;
	if ((s = get(hs, S_REV_LIST, what)) == NULL) {
		r = PT_EIO;
		goto out_free;
	}
	rc = SQLITE_OK;
	bind_i64(s, 1, kind, &rc);
	while (rc == SQLITE_OK || rc == SQLITE_ROW) {
		rc = sqlite3_step(s);
		if (rc != SQLITE_ROW)
			break;
		/* The count came from the same snapshot: more rows is damage. */
		if (i == (size_t)count || !col_blob_exact(s, 0, a + i * len, len)) {
			done(s);
			r = log_eio_msg(what, "stored value out of range");
			goto out_free;
		}
		i++;
	}
	if (rc != SQLITE_DONE) {
		r = map_err(hs, rc, what);
		done(s);
		goto out_free;
	}
	done(s);
	if (i != (size_t)count) {
		r = log_eio_msg(what, "the revocation set changed while read");
		goto out_free;
	}
	*out = a;
	*n = i;
	return PT_OK;
out_free:
	free(a);
	return r;
}

/* Keep a copy of the revocation set read with data_version dv (from one
 * snapshot); none if there is no memory for it (read again next time). */
static void
rev_set_keep(struct hub_state *hs, const uint8_t *c, size_t nc, const uint8_t *k, size_t nk,
	     int64_t dv)
{
	free(hs->rc.ctis);
	free(hs->rc.keys);
	hs->rc.ctis = hs->rc.keys = NULL;
	hs->rc.n_ctis = hs->rc.n_keys = 0;
	hs->rc.set_ok = false;
	if (dup_items(c, nc, PT_CTI_LEN, &hs->rc.ctis) && dup_items(k, nk, PT_PK_LEN, &hs->rc.keys)) {
		hs->rc.n_ctis = nc;
		hs->rc.n_keys = nk;
		hs->rc.set_dv = dv;
		hs->rc.set_ok = true;
	} else {
		free(hs->rc.ctis);
		hs->rc.ctis = NULL;
	}
}

int
hub_state_revoked_load(struct hub_state *hs, uint8_t (**ctis)[PT_CTI_LEN], size_t *n_ctis,
		       uint8_t (**keys)[PT_PK_LEN], size_t *n_keys)
{
	const char *what = "cannot load the revocation set";
	uint8_t *c = NULL, *k = NULL;
	size_t nc = 0, nk = 0;
	int r;

	if (ctis == NULL || n_ctis == NULL || keys == NULL || n_keys == NULL)
		return PT_EINVAL;
	*ctis = NULL;
	*keys = NULL;
	*n_ctis = 0;
	*n_keys = 0;
	int64_t dv = 0;

	if (hs == NULL)
		return PT_EINVAL;
	/* Nothing changed since the copy was made: the copy. */
	if (hs->rc.set_ok && data_version(hs, &dv, what) == PT_OK && dv == hs->rc.set_dv) {
		if (!dup_items(hs->rc.ctis, hs->rc.n_ctis, PT_CTI_LEN, &c) ||
		    !dup_items(hs->rc.keys, hs->rc.n_keys, PT_PK_LEN, &k)) {
			r = PT_ENOMEM;
			goto out_free;
		}
		nc = hs->rc.n_ctis;
		nk = hs->rc.n_keys;
		goto out_ok;
	}
	rev_cache_clear(hs);
	/* Both lists, and the data_version they go with, from one snapshot. */
	if ((r = tx_begin(hs, S_BEGIN, what)) != PT_OK)
		return r;
	if ((r = load_targets(hs, PT_REVOKE_TOKEN, PT_CTI_LEN, &c, &nc, what)) != PT_OK ||
	    (r = load_targets(hs, PT_REVOKE_KEY, PT_PK_LEN, &k, &nk, what)) != PT_OK ||
	    (r = data_version(hs, &dv, what)) != PT_OK) {
		tx_rollback(hs, what);
		goto out_free;
	}
	if ((r = tx_commit(hs, what)) != PT_OK)
		goto out_free;
	rev_set_keep(hs, c, nc, k, nk, dv);
out_ok:
	*ctis = (uint8_t(*)[PT_CTI_LEN])(void *)c;
	*keys = (uint8_t(*)[PT_PK_LEN])(void *)k;
	*n_ctis = nc;
	*n_keys = nk;
	return PT_OK;
out_free:
	free(c);
	free(k);
	return r;
}

int
hub_state_revocation_version(struct hub_state *hs, int64_t *version, int64_t *refreshed_at)
{
	const char *what = "cannot read the revocation version";
	sqlite3_stmt *s;
	int r;

	if (version == NULL || refreshed_at == NULL)
		return PT_EINVAL;
	int64_t dv = 0;

	*version = 0;
	*refreshed_at = 0;
	if (hs == NULL)
		return PT_EINVAL;
	if (hs->rc.version_ok && data_version(hs, &dv, what) == PT_OK && dv == hs->rc.version_dv) {
		*version = hs->rc.version;
		*refreshed_at = hs->rc.refreshed_at;
		return PT_OK;
	}
	hs->rc.version_ok = false;
	/* The row and the data_version it goes with, from one snapshot
	 * (max(version) scans the revocations: worth keeping). */
	if ((r = tx_begin(hs, S_BEGIN, what)) != PT_OK)
		return r;
	if ((s = get(hs, S_REV_VERSION, what)) == NULL) {
		r = PT_EIO;
		goto out_rollback;
	}
	if ((r = step_row(hs, s, SQLITE_OK, what)) != PT_OK) {
		if (r == PT_ENOTFOUND)
			r = log_eio_msg(what, "the hub row is missing");
		goto out_rollback;
	}
	*version = sqlite3_column_int64(s, 0);
	*refreshed_at = sqlite3_column_int64(s, 1);
	done(s);
	if ((r = data_version(hs, &dv, what)) != PT_OK)
		goto out_rollback;
	if ((r = tx_commit(hs, what)) != PT_OK)
		goto out_zero;
	hs->rc.version = *version;
	hs->rc.refreshed_at = *refreshed_at;
	hs->rc.version_dv = dv;
	hs->rc.version_ok = true;
	return PT_OK;
out_rollback:
	tx_rollback(hs, what);
out_zero:
	*version = 0;
	*refreshed_at = 0;
	return r;
}

int
hub_state_decision_begin(struct hub_state *hs)
{
	int r;

	if (hs == NULL)
		return PT_EINVAL;
	/* No waiting for another process's write lock: the single-threaded
	 * hub would stand still meanwhile. Busy: the caller reads apart. */
	if (hs->held || !sqlite3_get_autocommit(hs->db))
		return log_eio_msg("cannot begin a decision's transaction",
				   "a transaction is already open");
	(void)sqlite3_busy_timeout(hs->db, 0);
	r = tx_begin(hs, S_BEGIN_IMMEDIATE, "cannot begin a decision's transaction");
	(void)sqlite3_busy_timeout(hs->db, BUSY_TIMEOUT_MS);
	if (r == PT_OK)
		hs->held = true;
	return r;
}

void
hub_state_decision_end(struct hub_state *hs)
{
	if (hs != NULL && hs->held)
		tx_rollback(hs, "cannot end a decision's transaction");
}

int
hub_state_ctx_load(struct hub_state *hs, const uint8_t (*ctis)[PT_CTI_LEN], size_t n,
		   struct pt_usage *usage, uint8_t (**rev_ctis)[PT_CTI_LEN], size_t *n_rev_ctis,
		   uint8_t (**rev_keys)[PT_PK_LEN], size_t *n_rev_keys, int64_t *version,
		   int64_t *refreshed_at)
{
	const char *what = "cannot read the decision's state";
	uint8_t *c = NULL, *k = NULL;
	size_t nc = 0, nk = 0;
	int64_t dv = 0, v = 0, at = 0;
	bool set_read = false, version_read = false;
	sqlite3_stmt *s;
	int r;

	if (rev_ctis == NULL || n_rev_ctis == NULL || rev_keys == NULL || n_rev_keys == NULL ||
	    version == NULL || refreshed_at == NULL)
		return PT_EINVAL;
	*rev_ctis = NULL;
	*rev_keys = NULL;
	*n_rev_ctis = *n_rev_keys = 0;
	*version = *refreshed_at = 0;
	if (hs == NULL || (n != 0 && (ctis == NULL || usage == NULL)))
		return PT_EINVAL;
	if (n != 0)
		memset(usage, 0, n * sizeof(*usage));
	/* One read transaction, one snapshot, for all of it (three before:
	 * each costs its own lock of the WAL's read mark). */
	if ((r = tx_begin(hs, S_BEGIN, what)) != PT_OK)
		return r;
	if ((r = usage_rows(hs, ctis, n, usage, what)) != PT_OK ||
	    (r = data_version(hs, &dv, what)) != PT_OK)
		goto out_rollback;
	if (hs->rc.set_ok && dv == hs->rc.set_dv) {
		if (!dup_items(hs->rc.ctis, hs->rc.n_ctis, PT_CTI_LEN, &c) ||
		    !dup_items(hs->rc.keys, hs->rc.n_keys, PT_PK_LEN, &k)) {
			r = PT_ENOMEM;
			goto out_rollback;
		}
		nc = hs->rc.n_ctis;
		nk = hs->rc.n_keys;
	} else {
		if ((r = load_targets(hs, PT_REVOKE_TOKEN, PT_CTI_LEN, &c, &nc, what)) != PT_OK ||
		    (r = load_targets(hs, PT_REVOKE_KEY, PT_PK_LEN, &k, &nk, what)) != PT_OK)
			goto out_rollback;
		set_read = true;
	}
	if (hs->rc.version_ok && dv == hs->rc.version_dv) {
		v = hs->rc.version;
		at = hs->rc.refreshed_at;
	} else {
		if ((s = get(hs, S_REV_VERSION, what)) == NULL) {
			r = PT_EIO;
			goto out_rollback;
		}
		if ((r = step_row(hs, s, SQLITE_OK, what)) != PT_OK) {
			if (r == PT_ENOTFOUND)
				r = log_eio_msg(what, "the hub row is missing");
			goto out_rollback;
		}
		v = sqlite3_column_int64(s, 0);
		at = sqlite3_column_int64(s, 1);
		done(s);
		version_read = true;
	}
	if ((r = tx_commit(hs, what)) != PT_OK)
		goto out_free;
	if (set_read)
		rev_set_keep(hs, c, nc, k, nk, dv);
	if (version_read) {
		hs->rc.version = v;
		hs->rc.refreshed_at = at;
		hs->rc.version_dv = dv;
		hs->rc.version_ok = true;
	}
	*rev_ctis = (uint8_t(*)[PT_CTI_LEN])(void *)c;
	*rev_keys = (uint8_t(*)[PT_PK_LEN])(void *)k;
	*n_rev_ctis = nc;
	*n_rev_keys = nk;
	*version = v;
	*refreshed_at = at;
	return PT_OK;
out_rollback:
	tx_rollback(hs, what);
out_free:
	free(c);
	free(k);
	if (n != 0)
		memset(usage, 0, n * sizeof(*usage));
	return r;
}

int
hub_state_revocation_refreshed(struct hub_state *hs, int64_t at)
{
	const char *what = "cannot record the revocation refresh";
	sqlite3_stmt *s;
	int r, rc = SQLITE_OK;

	if (hs == NULL || at < 0)	/* 0 means never: allowed, it resets */
		return PT_EINVAL;
	hs->rc.version_ok = false;	/* whatever the outcome */
	if ((s = get(hs, S_REV_REFRESHED, what)) == NULL)
		return PT_EIO;
	bind_i64(s, 1, at, &rc);
	r = run_changing(hs, s, rc, what);
	return r == PT_ENOTFOUND ? log_eio_msg(what, "the hub row is missing") : r;
}

/* ---- revocations pending: signed by a key not (yet) trusted ---- */

/* One insert (S_PEND_ADD): PT_OK, PT_EEXISTS, PT_ENOSPC (full), PT_EIO. */
static int
pend_insert(struct hub_state *hs, int64_t version, const uint8_t *envelope, size_t envelope_len,
	    int64_t at, const char *what)
{
	sqlite3_stmt *s;
	int r, rc = SQLITE_OK;

	if ((s = get(hs, S_PEND_ADD, what)) == NULL)
		return PT_EIO;
	bind_i64(s, 1, version, &rc);
	bind_blob(s, 2, envelope, envelope_len, &rc);
	bind_i64(s, 3, at, &rc);
	bind_i64(s, 4, HUB_REV_PENDING_MAX, &rc);
	r = run_changing(hs, s, rc, what);
	/* PT_EEXISTS: kept already (UNIQUE); nothing inserted: full. */
	return r == PT_ENOTFOUND ? PT_ENOSPC : r;
}

int
hub_state_rev_pending_add(struct hub_state *hs, int64_t version, const uint8_t *envelope,
			  size_t envelope_len, int64_t at, int64_t *evicted)
{
	const char *what = "cannot keep a pending revocation";
	sqlite3_stmt *s;
	int64_t id, v;
	int r, rc = SQLITE_OK;

	if (evicted != NULL)
		*evicted = -1;
	if (hs == NULL || envelope == NULL || evicted == NULL || version < 0 ||
	    envelope_len == 0 || envelope_len > PT_ENVELOPE_SIZE_MAX)
		return PT_EINVAL;
	if ((r = pend_insert(hs, version, envelope, envelope_len, at, what)) != PT_ENOSPC)
		return r;
	/* Full: the oldest makes room, in one transaction with the insert. */
	if ((r = tx_begin(hs, S_BEGIN_IMMEDIATE, what)) != PT_OK)
		return r;
	if ((s = get(hs, S_PEND_OLDEST, what)) == NULL) {
		r = PT_EIO;
		goto out_rollback;
	}
	if ((r = step_row(hs, s, SQLITE_OK, what)) != PT_OK) {
		if (r == PT_ENOTFOUND)
			r = log_eio_msg(what, "full, yet no oldest row");
		goto out_rollback;
	}
	id = sqlite3_column_int64(s, 0);
	v = sqlite3_column_int64(s, 1);
	done(s);
	if ((s = get(hs, S_PEND_DEL, what)) == NULL) {
		r = PT_EIO;
		goto out_rollback;
	}
	bind_i64(s, 1, id, &rc);
	if ((r = run(hs, s, rc, what)) != PT_OK)
		goto out_rollback;
	if ((r = pend_insert(hs, version, envelope, envelope_len, at, what)) != PT_OK) {
		if (r == PT_ENOSPC)
			r = log_eio_msg(what, "still full after making room");
		goto out_rollback;
	}
	if ((r = tx_commit(hs, what)) != PT_OK)
		return r;
	*evicted = v;
	return PT_OK;
out_rollback:
	tx_rollback(hs, what);
	return r;
}

int
hub_state_rev_pending_list(struct hub_state *hs, struct hub_rev_pending **out, size_t *n)
{
	const char *what = "cannot list the pending revocations";
	struct hub_rev_pending *a = NULL, *b;
	sqlite3_stmt *s;
	size_t i = 0, cap = 0;
	int r = PT_OK, rc = SQLITE_OK;

	if (out == NULL || n == NULL)
		return PT_EINVAL;
	*out = NULL;
	*n = 0;
	if (hs == NULL)
		return PT_EINVAL;
	if ((s = get(hs, S_PEND_LIST, what)) == NULL)
		return PT_EIO;
	bind_i64(s, 1, HUB_REV_PENDING_MAX, &rc);
	while (rc == SQLITE_OK || rc == SQLITE_ROW) {
		rc = sqlite3_step(s);
		if (rc != SQLITE_ROW)
			break;
		if (i == cap) {
			cap = cap == 0 ? 8 : cap * 2;
			if (cap > SIZE_MAX / sizeof(*a) || (b = realloc(a, cap * sizeof(*a))) == NULL) {
				r = PT_ENOMEM;
				break;
			}
			a = b;
		}
		a[i].id = sqlite3_column_int64(s, 0);
		a[i].version = sqlite3_column_int64(s, 1);
		if (a[i].version < 0 ||
		    !col_blob_upto(s, 2, a[i].envelope, sizeof(a[i].envelope), &a[i].envelope_len) ||
		    a[i].envelope_len == 0) {
			r = log_eio_msg(what, "stored value out of range");
			break;
		}
		i++;
	}
	if (r == PT_OK && rc != SQLITE_DONE)
		r = map_err(hs, rc, what);
	done(s);
	if (r != PT_OK) {
		free(a);
		return r;
	}
	*out = a;
	*n = i;
	return PT_OK;
}

int
hub_state_rev_pending_del(struct hub_state *hs, int64_t id)
{
	const char *what = "cannot drop a pending revocation";
	sqlite3_stmt *s;
	int rc = SQLITE_OK;

	if (hs == NULL)
		return PT_EINVAL;
	if ((s = get(hs, S_PEND_DEL, what)) == NULL)
		return PT_EIO;
	bind_i64(s, 1, id, &rc);
	return run(hs, s, rc, what);
}

/* ---- lockout ---- */

int
hub_state_lockout_get(struct hub_state *hs, uint32_t *failures, int64_t *locked_until)
{
	const char *what = "cannot read the lockout";
	sqlite3_stmt *s;
	int r;

	if (failures == NULL || locked_until == NULL)
		return PT_EINVAL;
	*failures = 0;
	*locked_until = 0;
	if (hs == NULL)
		return PT_EINVAL;
	if ((s = get(hs, S_LOCKOUT_GET, what)) == NULL)
		return PT_EIO;
	if ((r = step_row(hs, s, SQLITE_OK, what)) != PT_OK)
		return r == PT_ENOTFOUND ? log_eio_msg(what, "the lockout row is missing") : r;
	if (!col_u32(s, 0, failures)) {
		*failures = 0;
		r = log_eio_msg(what, "stored value out of range");
	} else {
		*locked_until = sqlite3_column_int64(s, 1);
	}
	done(s);
	return r;
}

int
hub_state_lockout_set(struct hub_state *hs, uint32_t failures, int64_t locked_until)
{
	const char *what = "cannot set the lockout";
	sqlite3_stmt *s;
	int r, rc = SQLITE_OK;

	if (hs == NULL || locked_until < 0)
		return PT_EINVAL;
	if ((s = get(hs, S_LOCKOUT_SET, what)) == NULL)
		return PT_EIO;
	bind_i64(s, 1, failures, &rc);
	bind_i64(s, 2, locked_until, &rc);
	r = run_changing(hs, s, rc, what);
	return r == PT_ENOTFOUND ? log_eio_msg(what, "the lockout row is missing") : r;
}

/* Inside the caller's transaction: the lockout row and the time of the
 * last failure. */
static int
lockout_rows(struct hub_state *hs, const struct hub_lockout *lo)
{
	int r;

	if ((r = hub_state_lockout_set(hs, lo->failures, lo->locked_until)) != PT_OK)
		return r;
	return hub_state_meta_set(hs, "lockout_last_failure", lo->last_failure_at);
}

/*
 * The lockout row and the time of the last failure, in one transaction:
 * one fsync before a counted refusal is answered, not one per statement.
 * (The hub saves it with the events queued so far instead,
 * hub_state_event_append_lockout, and falls back to this.)
 */
int
hub_state_lockout_save(struct hub_state *hs, uint32_t failures, int64_t locked_until,
		       int64_t last_failure_at)
{
	struct hub_lockout lo;

	if (hs == NULL)
		return PT_EINVAL;
	lo.failures = failures;
	lo.locked_until = locked_until;
	lo.last_failure_at = last_failure_at;
	return append_tx(hs, NULL, 0, 0, NULL, 0, NULL, &lo, "cannot save the lockout");
}

/* ---- events ---- */

/* One stored row into e; false if any column is out of range. */
static bool
decode_event(sqlite3_stmt *s, struct hub_event *e)
{
	int64_t sent;

	e->seq = sqlite3_column_int64(s, 0);
	e->at = sqlite3_column_int64(s, 1);
	sent = sqlite3_column_int64(s, 6);
	e->sent = sent == 1;
	return e->seq >= 1 && (sent == 0 || sent == 1) &&
	       col_str(s, 2, e->type, sizeof(e->type)) &&
	       pt_event_type_is_valid(e->type, strlen(e->type)) &&
	       col_str(s, 3, e->data, sizeof(e->data)) &&
	       col_blob_exact(s, 4, e->prev, PT_HASH_LEN) &&
	       col_blob_exact(s, 5, e->hash, PT_HASH_LEN);
}

/* Clear what an append sets; true if e can be appended (its type valid,
 * type and data NUL-terminated within their arrays). */
static bool
event_prepare(struct hub_event *e)
{
	size_t type_len = strnlen(e->type, sizeof(e->type));

	e->seq = 0;
	e->sent = false;
	memset(e->prev, 0, sizeof(e->prev));
	memset(e->hash, 0, sizeof(e->hash));
	return type_len < sizeof(e->type) && strnlen(e->data, sizeof(e->data)) < sizeof(e->data) &&
	       pt_event_type_is_valid(e->type, type_len);
}

/* Inside the caller's IMMEDIATE transaction: a checkpoint over (seq,
 * hash) if ck says one is due, *cp_last moved. A signature that cannot
 * be made skips it (the next event tries again); one that cannot be
 * stored fails the transaction. */
static int
checkpoint_due(struct hub_state *hs, const struct hub_ckpt *ck, int64_t seq,
	       const uint8_t hash[PT_HASH_LEN], int64_t *cp_last, const char *what)
{
	uint8_t sig[PT_SIG_LEN];
	sqlite3_stmt *s;
	int r, rc = SQLITE_OK;

	if (ck == NULL || seq - *cp_last < ck->every)
		return PT_OK;
	if (ck->sign(ck->arg, seq, hash, sig) != PT_OK)
		return PT_OK;
	if ((s = get(hs, S_CKPT_ADD, what)) == NULL)
		return PT_EIO;
	bind_i64(s, 1, seq, &rc);
	bind_blob(s, 2, hash, PT_HASH_LEN, &rc);
	bind_blob(s, 3, sig, PT_SIG_LEN, &rc);
	if ((r = run_changing(hs, s, rc, what)) != PT_OK)
		return r == PT_ENOTFOUND ? log_eio_msg(what, "the event just appended is missing") : r;
	*cp_last = seq;
	return PT_OK;
}

/* Inside the caller's IMMEDIATE transaction: ev[0..n) after the last
 * stored event, in order, each with seq = last + 1 and prev = the last
 * hash (the results written into ev[]), and the checkpoints ck asks for. */
static int
events_insert(struct hub_state *hs, struct hub_event *ev, size_t n, const struct hub_ckpt *ck,
	      int64_t *cp_last, const char *what)
{
	uint8_t prev[PT_HASH_LEN], hash[PT_HASH_LEN];
	size_t i, type_len, data_len;
	sqlite3_stmt *s;
	int64_t seq = 0;
	int r, rc;

	memset(prev, 0, sizeof(prev));	/* the first event's prev */
	if ((s = get(hs, S_EVENT_LAST, what)) == NULL)
		return PT_EIO;
	r = step_row(hs, s, SQLITE_OK, what);
	if (r == PT_OK) {
		seq = sqlite3_column_int64(s, 0);
		if (seq < 1 || seq > INT64_MAX - (int64_t)n ||
		    !col_blob_exact(s, 1, prev, sizeof(prev))) {
			done(s);
			return log_eio_msg(what, "the last event is damaged");
		}
		done(s);
	} else if (r != PT_ENOTFOUND) {
		return r;
	}
	for (i = 0; i < n; i++) {
		struct hub_event *e = &ev[i];

		seq++;
		type_len = strlen(e->type);
		data_len = strlen(e->data);
		if ((r = pt_event_hash(pt_crypto_sodium(), prev, seq, e->at, e->type, type_len,
				       (const uint8_t *)e->data, data_len, hash)) != PT_OK)
			return r;
		if ((s = get(hs, S_EVENT_INSERT, what)) == NULL)
			return PT_EIO;
		rc = SQLITE_OK;
		bind_i64(s, 1, seq, &rc);
		bind_i64(s, 2, e->at, &rc);
		bind_text(s, 3, e->type, type_len, &rc);
		bind_text(s, 4, e->data, data_len, &rc);
		bind_blob(s, 5, prev, sizeof(prev), &rc);
		bind_blob(s, 6, hash, sizeof(hash), &rc);
		if ((r = run(hs, s, rc, what)) != PT_OK)
			return r;
		e->seq = seq;
		memcpy(e->prev, prev, sizeof(prev));
		memcpy(e->hash, hash, sizeof(hash));
		memcpy(prev, hash, sizeof(prev));
		if ((r = checkpoint_due(hs, ck, seq, hash, cp_last, what)) != PT_OK)
			return r;
	}
	return PT_OK;
}

/*
 * One IMMEDIATE transaction, one commit (one fsync): the entries of
 * ctis[0..n_ctis) charged, then ev[0..n) appended with the checkpoints
 * ck asks for, then the lockout lo (NULL: none) saved. All of it or
 * none: on an error no event has a seq and ck->last is as it was.
 */
static int
append_tx(struct hub_state *hs, const uint8_t (*ctis)[PT_CTI_LEN], size_t n_ctis, int64_t at,
	  struct hub_event *ev, size_t n, struct hub_ckpt *ck, const struct hub_lockout *lo,
	  const char *what)
{
	int64_t cp_last = ck != NULL ? ck->last : 0;
	bool valid = true;
	size_t i;
	int r;

	if (n != 0 && ev == NULL)
		return PT_EINVAL;
	if (ck != NULL && (ck->every < 1 || ck->sign == NULL))
		return PT_EINVAL;
	if (lo != NULL && (lo->locked_until < 0 || lo->last_failure_at < 0))
		return PT_EINVAL;
	for (i = 0; i < n; i++)
		if (!event_prepare(&ev[i]))
			valid = false;	/* every one cleared all the same */
	if (!valid)
		return PT_EINVAL;
	if (n_ctis == 0 && n == 0 && lo == NULL)
		return PT_OK;
	/* IMMEDIATE: the write lock first, so no other writer slips between
	 * the last event read and the next one written. */
	if ((r = tx_begin(hs, S_BEGIN_IMMEDIATE, what)) != PT_OK)
		return r;
	if ((n_ctis == 0 || (r = charge_rows(hs, ctis, n_ctis, at, what)) == PT_OK) &&
	    (n == 0 || (r = events_insert(hs, ev, n, ck, &cp_last, what)) == PT_OK) &&
	    (lo == NULL || (r = lockout_rows(hs, lo)) == PT_OK))
		r = tx_commit(hs, what);	/* synchronous = FULL: fsync'd on return */
	else
		tx_rollback(hs, what);
	if (r != PT_OK) {
		for (i = 0; i < n; i++)
			(void)event_prepare(&ev[i]);
		return r;
	}
	if (ck != NULL)
		ck->last = cp_last;
	return PT_OK;
}

int
hub_state_event_append(struct hub_state *hs, struct hub_event *e)
{
	if (e == NULL)
		return PT_EINVAL;
	if (hs == NULL) {
		(void)event_prepare(e);
		return PT_EINVAL;
	}
	return append_tx(hs, NULL, 0, 0, e, 1, NULL, NULL, "cannot append an event");
}

int
hub_state_event_append_batch(struct hub_state *hs, struct hub_event *ev, size_t n,
			     struct hub_ckpt *ck)
{
	if (hs == NULL)
		return PT_EINVAL;
	return append_tx(hs, NULL, 0, 0, ev, n, ck, NULL, "cannot append events");
}

int
hub_state_event_append_lockout(struct hub_state *hs, struct hub_event *ev, size_t n,
			       struct hub_ckpt *ck, const struct hub_lockout *lo)
{
	if (hs == NULL)
		return PT_EINVAL;
	return append_tx(hs, NULL, 0, 0, ev, n, ck, lo, "cannot append events and the lockout");
}

int
hub_state_event_list(struct hub_state *hs, int64_t after, bool unsent_only,
		     struct hub_event *out, size_t max, size_t *n)
{
	const char *what = "cannot list events";
	sqlite3_stmt *s;
	size_t i = 0;
	int r = PT_OK, rc = SQLITE_OK;

	if (n == NULL)
		return PT_EINVAL;
	*n = 0;
	if (hs == NULL || (out == NULL && max != 0))
		return PT_EINVAL;
	if (max == 0)
		return PT_OK;
	if ((s = get(hs, S_EVENT_LIST, what)) == NULL)
		return PT_EIO;
	/* The unsent ones: from where they start (seq is the rowid: a
	 * search, not a scan of every event sent). */
	if (unsent_only && after < hs->unsent_from - 1)
		after = hs->unsent_from - 1;
	bind_i64(s, 1, after, &rc);
	bind_i64(s, 2, unsent_only ? 1 : 0, &rc);
	bind_i64(s, 3, limit_of(max), &rc);
	while (rc == SQLITE_OK || rc == SQLITE_ROW) {
		rc = sqlite3_step(s);
		if (rc != SQLITE_ROW || i == max)
			break;
		memset(&out[i], 0, sizeof(out[i]));
		if (!decode_event(s, &out[i])) {
			i++;
			r = log_eio_msg(what, "stored value out of range");
			break;
		}
		i++;
	}
	if (r == PT_OK && rc != SQLITE_DONE && rc != SQLITE_ROW)
		r = map_err(hs, rc, what);
	done(s);
	if (r != PT_OK) {
		memset(out, 0, i * sizeof(*out));
		return r;
	}
	*n = i;
	return PT_OK;
}

int
hub_state_event_mark_sent(struct hub_state *hs, int64_t upto_seq)
{
	const char *what = "cannot mark events sent";
	sqlite3_stmt *s;
	int64_t last = 0;
	int r, rc = SQLITE_OK;

	if (hs == NULL || upto_seq < 0)
		return PT_EINVAL;
	if ((r = tx_begin(hs, S_BEGIN_IMMEDIATE, what)) != PT_OK)
		return r;
	if ((s = get(hs, S_EVENT_LAST, what)) == NULL) {
		r = PT_EIO;
		goto out_rollback;
	}
	r = step_row(hs, s, SQLITE_OK, what);
	if (r == PT_OK) {
		last = sqlite3_column_int64(s, 0);
		done(s);
	} else if (r != PT_ENOTFOUND) {
		goto out_rollback;
	}
	/* An acknowledgement of an event never made: the sender is confused. */
	if (upto_seq > last) {
		r = PT_ENOTFOUND;
		goto out_rollback;
	}
	if ((s = get(hs, S_EVENT_MARK, what)) == NULL) {
		r = PT_EIO;
		goto out_rollback;
	}
	bind_i64(s, 1, upto_seq, &rc);
	bind_i64(s, 2, hs->unsent_from, &rc);
	if ((r = run(hs, s, rc, what)) != PT_OK)
		goto out_rollback;
	if ((r = tx_commit(hs, what)) != PT_OK)
		return r;
	if (upto_seq >= hs->unsent_from)
		hs->unsent_from = upto_seq + 1;
	return PT_OK;
out_rollback:
	tx_rollback(hs, what);
	return r;
}

int
hub_state_event_verify(struct hub_state *hs, int64_t *bad_seq)
{
	const char *what = "cannot verify the event chain";
	const struct pt_crypto_ops *ops = pt_crypto_sodium();
	uint8_t last[PT_HASH_LEN], prev[PT_HASH_LEN], hash[PT_HASH_LEN], want[PT_HASH_LEN];
	const unsigned char *type, *data;
	size_t type_len, data_len;
	int64_t seq, expect = 1, bad = 0, ckpt;
	sqlite3_stmt *s;
	int r, rc;

	if (bad_seq == NULL)
		return PT_EINVAL;
	*bad_seq = 0;
	if (hs == NULL)
		return PT_EINVAL;
	/* The chain and the checkpoints from one snapshot. */
	if ((r = tx_begin(hs, S_BEGIN, what)) != PT_OK)
		return r;
	if ((s = get(hs, S_EVENT_ALL, what)) == NULL) {
		r = PT_EIO;
		goto out_rollback;
	}
	memset(last, 0, sizeof(last));
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		seq = sqlite3_column_int64(s, 0);
		if (seq != expect) {	/* a gap: the first missing seq is the bad one */
			bad = seq < expect ? seq : expect;
			break;
		}
		/* Types first: reading a column as text may convert it. */
		if (sqlite3_column_type(s, 2) != SQLITE_TEXT ||
		    sqlite3_column_type(s, 3) != SQLITE_TEXT) {
			bad = seq;
			break;
		}
		type = sqlite3_column_text(s, 2);
		type_len = (size_t)sqlite3_column_bytes(s, 2);
		data = sqlite3_column_text(s, 3);
		data_len = (size_t)sqlite3_column_bytes(s, 3);
		if (type == NULL || data == NULL || !col_blob_exact(s, 4, prev, sizeof(prev)) ||
		    !col_blob_exact(s, 5, hash, sizeof(hash)) ||
		    memcmp(prev, last, sizeof(last)) != 0 ||
		    pt_event_hash(ops, prev, seq, sqlite3_column_int64(s, 1), (const char *)type,
				  type_len, data, data_len, want) != PT_OK ||
		    memcmp(want, hash, sizeof(hash)) != 0) {
			bad = seq;
			break;
		}
		memcpy(last, hash, sizeof(last));
		if (seq == INT64_MAX)
			expect = 0;	/* no row can follow */
		else
			expect = seq + 1;
	}
	if (bad == 0 && rc != SQLITE_DONE) {
		r = map_err(hs, rc, what);
		done(s);
		goto out_rollback;
	}
	done(s);
	/* Signed checkpoints pin the chain: a truncated tail or a row
	 * rewritten together with everything after it shows here. */
	if ((s = get(hs, S_CKPT_MISMATCH, what)) == NULL) {
		r = PT_EIO;
		goto out_rollback;
	}
	r = step_row(hs, s, SQLITE_OK, what);
	if (r == PT_OK) {
		ckpt = sqlite3_column_int64(s, 0);
		done(s);
		if (bad == 0 || ckpt < bad)
			bad = ckpt;
	} else if (r != PT_ENOTFOUND) {
		goto out_rollback;
	}
	if ((r = tx_commit(hs, what)) != PT_OK)
		return r;
	if (bad != 0) {
		*bad_seq = bad;
		return PT_EBADSIG;
	}
	return PT_OK;
out_rollback:
	tx_rollback(hs, what);
	return r;
}

int
hub_state_checkpoint_add(struct hub_state *hs, int64_t seq, const uint8_t hash[PT_HASH_LEN],
			 const uint8_t sig[PT_SIG_LEN])
{
	const char *what = "cannot add a checkpoint";
	sqlite3_stmt *s;
	int rc = SQLITE_OK;

	if (hs == NULL || hash == NULL || sig == NULL || seq < 1)
		return PT_EINVAL;
	if ((s = get(hs, S_CKPT_ADD, what)) == NULL)
		return PT_EIO;
	bind_i64(s, 1, seq, &rc);
	bind_blob(s, 2, hash, PT_HASH_LEN, &rc);
	bind_blob(s, 3, sig, PT_SIG_LEN, &rc);
	/* PT_ENOTFOUND: no event with that seq and hash; PT_EEXISTS: one
	 * checkpoint per seq. */
	return run_changing(hs, s, rc, what);
}

int
hub_state_checkpoint_last(struct hub_state *hs, int64_t *seq, uint8_t hash[PT_HASH_LEN],
			  uint8_t sig[PT_SIG_LEN])
{
	const char *what = "cannot read the last checkpoint";
	sqlite3_stmt *s;
	int r;

	if (seq == NULL || hash == NULL || sig == NULL)
		return PT_EINVAL;
	*seq = 0;
	memset(hash, 0, PT_HASH_LEN);
	memset(sig, 0, PT_SIG_LEN);
	if (hs == NULL)
		return PT_EINVAL;
	if ((s = get(hs, S_CKPT_LAST, what)) == NULL)
		return PT_EIO;
	if ((r = step_row(hs, s, SQLITE_OK, what)) != PT_OK)
		return r;
	*seq = sqlite3_column_int64(s, 0);
	if (*seq < 1 || !col_blob_exact(s, 1, hash, PT_HASH_LEN) ||
	    !col_blob_exact(s, 2, sig, PT_SIG_LEN)) {
		*seq = 0;
		memset(hash, 0, PT_HASH_LEN);
		memset(sig, 0, PT_SIG_LEN);
		r = log_eio_msg(what, "stored value out of range");
	}
	done(s);
	return r;
}

/* ---- small values ---- */

/* Keys are ids: 1..PT_ID_MAX of [A-Za-z0-9._-]. */
static bool
meta_key_is_valid(const char *key, size_t *len)
{
	if (key == NULL)
		return false;
	*len = len_upto(key, PT_ID_MAX);
	return pt_id_is_valid(key, *len);
}

int
hub_state_meta_get(struct hub_state *hs, const char *key, int64_t *v)
{
	const char *what = "cannot read a value";
	sqlite3_stmt *s;
	size_t len;
	int r, rc = SQLITE_OK;

	if (v == NULL)
		return PT_EINVAL;
	*v = 0;
	if (hs == NULL || !meta_key_is_valid(key, &len))
		return PT_EINVAL;
	if ((s = get(hs, S_META_GET, what)) == NULL)
		return PT_EIO;
	bind_text(s, 1, key, len, &rc);
	if ((r = step_row(hs, s, rc, what)) != PT_OK)
		return r;
	*v = sqlite3_column_int64(s, 0);
	done(s);
	return PT_OK;
}

int
hub_state_meta_set(struct hub_state *hs, const char *key, int64_t v)
{
	const char *what = "cannot set a value";
	sqlite3_stmt *s;
	size_t len;
	int rc = SQLITE_OK;

	if (hs == NULL || !meta_key_is_valid(key, &len))
		return PT_EINVAL;
	if ((s = get(hs, S_META_SET, what)) == NULL)
		return PT_EIO;
	bind_text(s, 1, key, len, &rc);
	bind_i64(s, 2, v, &rc);
	return run(hs, s, rc, what);
}

/* ---- remote commands: the nonce replay cache ---- */

int
hub_state_nonce_add(struct hub_state *hs, const uint8_t nonce[PT_CTI_LEN], int64_t expires_at,
		    int64_t at)
{
	const char *what = "cannot record a command nonce";
	sqlite3_stmt *s;
	int rc = SQLITE_OK;

	if (hs == NULL || nonce == NULL)
		return PT_EINVAL;
	if ((s = get(hs, S_NONCE_ADD, what)) == NULL)
		return PT_EIO;
	bind_blob(s, 1, nonce, PT_CTI_LEN, &rc);
	bind_i64(s, 2, expires_at, &rc);
	bind_i64(s, 3, at, &rc);
	/* PT_EEXISTS: seen before. Durable on return (its own transaction). */
	return run(hs, s, rc, what);
}

int
hub_state_nonce_prune(struct hub_state *hs, int64_t before, size_t *n)
{
	const char *what = "cannot prune the command nonces";
	sqlite3_stmt *s;
	int r, rc = SQLITE_OK;

	if (n != NULL)
		*n = 0;
	if (hs == NULL)
		return PT_EINVAL;
	if ((s = get(hs, S_NONCE_PRUNE, what)) == NULL)
		return PT_EIO;
	bind_i64(s, 1, before, &rc);
	r = run(hs, s, rc, what);
	if (r == PT_OK && n != NULL)
		*n = (size_t)sqlite3_changes(hs->db);
	return r;
}

int
hub_state_nonce_count(struct hub_state *hs, size_t *n)
{
	const char *what = "cannot count the command nonces";
	sqlite3_stmt *s;
	int64_t v;
	int r;

	if (n == NULL)
		return PT_EINVAL;
	*n = 0;
	if (hs == NULL)
		return PT_EINVAL;
	if ((s = get(hs, S_NONCE_COUNT, what)) == NULL)
		return PT_EIO;
	if ((r = step_row(hs, s, SQLITE_OK, what)) != PT_OK)
		return r;
	v = sqlite3_column_int64(s, 0);
	done(s);
	if (v < 0)
		return log_eio_msg(what, "stored value out of range");
	*n = (size_t)v;
	return PT_OK;
}

/* ---- live view: the session ids seen ---- */

int
hub_state_live_add(struct hub_state *hs, const uint8_t session[PT_CTI_LEN], int64_t expires_at,
		   int64_t at)
{
	const char *what = "cannot record a live session";
	sqlite3_stmt *s;
	int r, rc = SQLITE_OK;

	if (hs == NULL || session == NULL || expires_at < 0)
		return PT_EINVAL;
	if ((s = get(hs, S_LIVE_ADD, what)) == NULL)
		return PT_EIO;
	bind_blob(s, 1, session, PT_CTI_LEN, &rc);
	bind_i64(s, 2, expires_at, &rc);
	bind_i64(s, 3, at, &rc);
	bind_i64(s, 4, HUB_LIVE_MAX, &rc);
	r = run_changing(hs, s, rc, what);
	/* PT_EEXISTS: seen before; nothing inserted: full. */
	return r == PT_ENOTFOUND ? PT_ENOSPC : r;
}

int
hub_state_live_prune(struct hub_state *hs, int64_t before, size_t *n)
{
	const char *what = "cannot prune the live sessions";
	sqlite3_stmt *s;
	int r, rc = SQLITE_OK;

	if (n != NULL)
		*n = 0;
	if (hs == NULL)
		return PT_EINVAL;
	if ((s = get(hs, S_LIVE_PRUNE, what)) == NULL)
		return PT_EIO;
	bind_i64(s, 1, before, &rc);
	r = run(hs, s, rc, what);
	if (r == PT_OK && n != NULL)
		*n = (size_t)sqlite3_changes(hs->db);
	return r;
}

int
hub_state_live_count(struct hub_state *hs, size_t *n)
{
	const char *what = "cannot count the live sessions";
	sqlite3_stmt *s;
	int64_t v;
	int r;

	if (n == NULL)
		return PT_EINVAL;
	*n = 0;
	if (hs == NULL)
		return PT_EINVAL;
	if ((s = get(hs, S_LIVE_COUNT, what)) == NULL)
		return PT_EIO;
	if ((r = step_row(hs, s, SQLITE_OK, what)) != PT_OK)
		return r;
	v = sqlite3_column_int64(s, 0);
	done(s);
	if (v < 0)
		return log_eio_msg(what, "stored value out of range");
	*n = (size_t)v;
	return PT_OK;
}
