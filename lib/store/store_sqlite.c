/*
 * store_sqlite.c: porterd's storage in one SQLite file (see porter/store.h
 * for the contract and docs/storage.md for the design).
 *
 * One connection, opened without SQLite's own mutex: st->mu serialises every
 * use of it. A transaction holds st->mu from pt_store_begin() to commit or
 * rollback; st->owner names the thread that holds it, so that calls made by
 * that thread inside the transaction do not lock again, and writes from
 * anywhere else are refused.
 */
#include "porter/store.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "porter/keyfile.h"

#define BUSY_TIMEOUT_MS 5000

/*
 * Schema migrations: migration i (from 0) brings the schema to version i + 1.
 * Released entries never change; a new version appends an entry. Each runs in
 * its own transaction together with its schema_version row.
 */
static const char *const migrations[] = {
	/* 1: everything store.h needs. */
	"CREATE TABLE accounts ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  email TEXT NOT NULL UNIQUE"
	"    CHECK (length(email) BETWEEN 1 AND 254 AND email = lower(email)),"
	"  name TEXT NOT NULL,"
	"  role INTEGER NOT NULL CHECK (role BETWEEN 1 AND 4),"
	"  pwhash TEXT NOT NULL,"
	"  created_at INTEGER NOT NULL"
	") STRICT;"
	"CREATE TABLE sessions ("
	"  token_hash BLOB PRIMARY KEY CHECK (length(token_hash) = 32),"
	"  account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,"
	"  expires_at INTEGER NOT NULL,"
	"  created_at INTEGER NOT NULL"
	") STRICT, WITHOUT ROWID;"
	"CREATE INDEX sessions_account ON sessions(account_id);"
	"CREATE TABLE homes ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  public_id TEXT NOT NULL UNIQUE CHECK (length(public_id) BETWEEN 1 AND 64),"
	"  name TEXT NOT NULL,"
	"  tz TEXT NOT NULL,"
	"  notes TEXT NOT NULL,"
	"  policy TEXT NOT NULL,"
	"  created_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL"
	") STRICT;"
	"CREATE TABLE home_members ("
	"  home INTEGER NOT NULL REFERENCES homes(id) ON DELETE CASCADE,"
	"  account INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,"
	"  role INTEGER NOT NULL CHECK (role IN (1, 2)),"
	"  PRIMARY KEY (home, account)"
	") STRICT, WITHOUT ROWID;"
	"CREATE INDEX home_members_account ON home_members(account);"
	"CREATE TABLE owner_keys ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  home INTEGER NOT NULL REFERENCES homes(id) ON DELETE CASCADE,"
	"  pk BLOB NOT NULL CHECK (length(pk) = 32),"
	"  label TEXT NOT NULL,"
	"  added_by INTEGER NOT NULL,"
	"  created_at INTEGER NOT NULL,"
	"  UNIQUE (home, pk)"
	") STRICT;"
	"CREATE TABLE grants ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  home INTEGER NOT NULL REFERENCES homes(id) ON DELETE CASCADE,"
	"  chain BLOB NOT NULL CHECK (length(chain) BETWEEN 1 AND 2048),"
	"  cti BLOB NOT NULL CHECK (length(cti) = 16),"
	"  holder BLOB NOT NULL CHECK (length(holder) = 32),"
	"  n_links INTEGER NOT NULL CHECK (n_links BETWEEN 1 AND 255),"
	"  purpose INTEGER NOT NULL CHECK (purpose BETWEEN 0 AND 255),"
	"  exp INTEGER NOT NULL,"
	"  label TEXT NOT NULL,"
	"  created_by INTEGER NOT NULL,"
	"  created_at INTEGER NOT NULL,"
	"  UNIQUE (home, cti)"	/* per home: no cross-tenant existence oracle */
	") STRICT;"
	"CREATE INDEX grants_home ON grants(home);"
	"CREATE TABLE revocations ("
	"  home INTEGER NOT NULL REFERENCES homes(id) ON DELETE CASCADE,"
	"  version INTEGER NOT NULL CHECK (version >= 1),"
	"  envelope BLOB NOT NULL CHECK (length(envelope) BETWEEN 1 AND 512),"
	"  kind INTEGER NOT NULL CHECK (kind BETWEEN 0 AND 255),"
	"  target BLOB NOT NULL CHECK (length(target) <= 32),"
	"  created_by INTEGER NOT NULL,"
	"  created_at INTEGER NOT NULL,"
	"  PRIMARY KEY (home, version),"
	"  UNIQUE (home, envelope)"
	") STRICT, WITHOUT ROWID;"
	"CREATE TABLE audit ("
	"  seq INTEGER PRIMARY KEY CHECK (seq >= 1),"
	"  at INTEGER NOT NULL,"
	"  actor INTEGER NOT NULL,"
	"  action TEXT NOT NULL,"
	"  target TEXT NOT NULL,"
	"  detail TEXT NOT NULL,"
	"  prev BLOB NOT NULL CHECK (length(prev) = 32),"
	"  hash BLOB NOT NULL CHECK (length(hash) = 32)"
	") STRICT;"
	"CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit"
	"  BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;"
	"CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit"
	"  BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;",
};

#define SCHEMA_VERSION ((int)(sizeof(migrations) / sizeof(migrations[0])))

/* Statements prepared once per store, on first use, under st->mu. */
enum sid {
	S_BEGIN,
	S_COMMIT,
	S_ROLLBACK,
	S_SAVEPOINT,
	S_RELEASE,
	S_ROLLBACK_TO,
	S_ACCOUNT_INSERT,
	S_ACCOUNT_BY_EMAIL,
	S_ACCOUNT_BY_ID,
	S_SESSION_INSERT,
	S_SESSION_LOOKUP,
	S_SESSION_DELETE,
	S_SESSION_DELETE_ALL,
	S_HOME_INSERT,
	S_HOME_OWNER_ADD,
	S_HOME_GET,
	S_HOME_LIST,
	S_HOME_UPDATE,
	S_HOME_DELETE,
	S_HOME_ROWID,
	S_MEMBER_ADD,
	S_KEY_INSERT,
	S_KEY_LIST,
	S_GRANT_INSERT,
	S_GRANT_LIST,
	S_REV_INSERT,
	S_REV_LIST,
	S_AUDIT_LAST,
	S_AUDIT_INSERT,
	S_AUDIT_ALL,
	S_COUNT_
};

#define HOME_COLS "h.id, h.public_id, h.name, h.tz, h.notes, h.policy, h.created_at, h.updated_at"

static const char *const stmt_sql[S_COUNT_] = {
	[S_BEGIN] = "BEGIN IMMEDIATE",
	[S_COMMIT] = "COMMIT",
	[S_ROLLBACK] = "ROLLBACK",
	[S_SAVEPOINT] = "SAVEPOINT one_call",
	[S_RELEASE] = "RELEASE one_call",
	[S_ROLLBACK_TO] = "ROLLBACK TO one_call",
	[S_ACCOUNT_INSERT] = "INSERT INTO accounts (email, name, role, pwhash, created_at)"
			     " VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id",
	[S_ACCOUNT_BY_EMAIL] = "SELECT id, email, name, role, pwhash, created_at FROM accounts"
			       " WHERE email = lower(?1)",
	[S_ACCOUNT_BY_ID] = "SELECT id, email, name, role, pwhash, created_at FROM accounts"
			    " WHERE id = ?1",
	[S_SESSION_INSERT] = "INSERT INTO sessions (token_hash, account_id, expires_at, created_at)"
			     " VALUES (?1, ?2, ?3, ?4)",
	[S_SESSION_LOOKUP] = "SELECT account_id, expires_at FROM sessions WHERE token_hash = ?1"
			     " AND expires_at > ?2",
	[S_SESSION_DELETE] = "DELETE FROM sessions WHERE token_hash = ?1",
	[S_SESSION_DELETE_ALL] = "DELETE FROM sessions WHERE account_id = ?1",
	[S_HOME_INSERT] = "INSERT INTO homes (public_id, name, tz, notes, policy, created_at,"
			  " updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id",
	[S_HOME_OWNER_ADD] = "INSERT INTO home_members (home, account, role) VALUES (?1, ?2, 1)",
	[S_HOME_GET] = "SELECT " HOME_COLS ", m.role FROM homes h"
		       " JOIN home_members m ON m.home = h.id"
		       " WHERE h.public_id = ?1 AND m.account = ?2",
	[S_HOME_LIST] = "SELECT " HOME_COLS " FROM homes h"
			" JOIN home_members m ON m.home = h.id"
			" WHERE m.account = ?1 ORDER BY h.id LIMIT ?2",
	[S_HOME_UPDATE] = "UPDATE homes SET name = ?2, tz = ?3, notes = ?4, policy = ?5,"
			  " updated_at = ?6 WHERE public_id = ?1",
	[S_HOME_DELETE] = "DELETE FROM homes WHERE public_id = ?1",
	[S_HOME_ROWID] = "SELECT id FROM homes WHERE public_id = ?1",
	[S_MEMBER_ADD] = "INSERT INTO home_members (home, account, role)"
			 " SELECT id, ?2, ?3 FROM homes WHERE public_id = ?1",
	[S_KEY_INSERT] = "INSERT INTO owner_keys (home, pk, label, added_by, created_at)"
			 " SELECT id, ?2, ?3, ?4, ?5 FROM homes WHERE public_id = ?1 RETURNING id",
	[S_KEY_LIST] = "SELECT k.id, h.public_id, k.pk, k.label, k.added_by, k.created_at"
		       " FROM owner_keys k JOIN homes h ON h.id = k.home"
		       " WHERE k.home = ?1 ORDER BY k.id LIMIT ?2",
	[S_GRANT_INSERT] = "INSERT INTO grants (home, chain, cti, holder, n_links, purpose, exp,"
			   " label, created_by, created_at)"
			   " SELECT id, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10 FROM homes"
			   " WHERE public_id = ?1 RETURNING id",
	[S_GRANT_LIST] = "SELECT g.id, h.public_id, g.chain, g.cti, g.holder, g.n_links,"
			 " g.purpose, g.exp, g.label, g.created_by, g.created_at"
			 " FROM grants g JOIN homes h ON h.id = g.home"
			 " WHERE g.home = ?1 ORDER BY g.id LIMIT ?2",
	/* The version is computed inside the insert: one statement, one lock. */
	[S_REV_INSERT] = "INSERT INTO revocations (home, version, envelope, kind, target,"
			 " created_by, created_at)"
			 " SELECT h.id, 1 + coalesce((SELECT max(r.version) FROM revocations r"
			 " WHERE r.home = h.id), 0), ?2, ?3, ?4, ?5, ?6"
			 " FROM homes h WHERE h.public_id = ?1 RETURNING version",
	[S_REV_LIST] = "SELECT r.version, h.public_id, r.envelope, r.kind, r.target,"
		       " r.created_by, r.created_at"
		       " FROM revocations r JOIN homes h ON h.id = r.home"
		       " WHERE r.home = ?1 AND r.version > ?2 ORDER BY r.version LIMIT ?3",
	[S_AUDIT_LAST] = "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1",
	[S_AUDIT_INSERT] = "INSERT INTO audit (seq, at, actor, action, target, detail, prev, hash)"
			   " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[S_AUDIT_ALL] = "SELECT seq, at, actor, action, target, detail, prev, hash FROM audit"
			" ORDER BY seq",
};

struct pt_store {
	sqlite3 *db;
	pthread_mutex_t mu;
	/* The transaction holder's thread tag (&tx_tag of that thread), 0 if
	 * none. Atomic: threads that do not hold st->mu compare it. */
	_Atomic uintptr_t owner;
	int version;
	sqlite3_stmt *stmt[S_COUNT_];
};

/* Its address identifies the calling thread. */
static _Thread_local char tx_tag;

static uintptr_t
self_tag(void)
{
	return (uintptr_t)&tx_tag;
}

static bool
holds_tx(struct pt_store *st)
{
	return atomic_load_explicit(&st->owner, memory_order_relaxed) == self_tag();
}

/* ---- errors ---- */

static int
log_eio(struct pt_store *st, const char *what)
{
	fprintf(stderr, "store: %s: %s\n", what, sqlite3_errmsg(st->db));
	return PT_EIO;
}

static int
log_eio_msg(const char *what, const char *msg)
{
	fprintf(stderr, "store: %s: %s\n", what, msg);
	return PT_EIO;
}

/* A failed SQLite result (extended codes are on) as a PT_E* value. */
static int
map_err(struct pt_store *st, int rc, const char *what)
{
	switch (rc) {
	case SQLITE_CONSTRAINT_UNIQUE:
	case SQLITE_CONSTRAINT_PRIMARYKEY:
		return PT_EEXISTS;
	case SQLITE_CONSTRAINT_FOREIGNKEY:
		return PT_ENOTFOUND;	/* the account or home referred to */
	case SQLITE_CONSTRAINT_CHECK:
	case SQLITE_CONSTRAINT_NOTNULL:
	case SQLITE_CONSTRAINT_DATATYPE:
		return PT_EINVAL;
	default:
		return log_eio(st, what);
	}
}

/* ---- statements ---- */

static sqlite3_stmt *
get(struct pt_store *st, enum sid id)
{
	if (st->stmt[id] == NULL &&
	    sqlite3_prepare_v2(st->db, stmt_sql[id], -1, &st->stmt[id], NULL) != SQLITE_OK) {
		log_eio(st, "cannot prepare a statement");
		st->stmt[id] = NULL;
	}
	return st->stmt[id];
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
bind_str(sqlite3_stmt *s, int i, const char *v, int *rc)
{
	if (*rc == SQLITE_OK)
		*rc = sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
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

/* Run a statement that returns no row. */
static int
run(struct pt_store *st, sqlite3_stmt *s, int rc, const char *what)
{
	int r;

	if (rc == SQLITE_OK)
		rc = sqlite3_step(s);
	r = rc == SQLITE_DONE ? PT_OK : map_err(st, rc, what);
	done(s);
	return r;
}

/* Run an INSERT ... SELECT ... RETURNING: PT_ENOTFOUND if it inserted nothing. */
static int
run_returning(struct pt_store *st, sqlite3_stmt *s, int rc, int64_t *id, const char *what)
{
	int r = PT_OK;

	*id = 0;
	if (rc == SQLITE_OK)
		rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*id = sqlite3_column_int64(s, 0);
		rc = sqlite3_step(s);
		if (rc != SQLITE_DONE)
			*id = 0;
	} else if (rc == SQLITE_DONE) {
		r = PT_ENOTFOUND;
	}
	if (rc != SQLITE_DONE)
		r = map_err(st, rc, what);
	done(s);
	return r;
}

/* Run a statement that returns no row and must change one (UPDATE, DELETE). */
static int
run_changing(struct pt_store *st, sqlite3_stmt *s, int rc, const char *what)
{
	int r = run(st, s, rc, what);

	if (r == PT_OK && sqlite3_changes(st->db) == 0)
		r = PT_ENOTFOUND;
	return r;
}

/* Execute constant SQL, possibly several statements, ignoring rows. */
static int
exec_sql(struct pt_store *st, const char *sql)
{
	const char *tail = sql;
	sqlite3_stmt *s;
	int rc;

	while (*tail != '\0') {
		s = NULL;
		rc = sqlite3_prepare_v2(st->db, tail, -1, &s, &tail);
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

/* ---- columns ---- */

/* Copy a TEXT column into dst[cap]; false if too long, NULL or with a NUL. */
static bool
col_str(sqlite3_stmt *s, int col, char *dst, size_t cap)
{
	const unsigned char *p = sqlite3_column_text(s, col);
	size_t len;

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
col_blob(sqlite3_stmt *s, int col, uint8_t *dst, size_t cap, size_t *len)
{
	const void *p;
	size_t n;

	if (sqlite3_column_type(s, col) != SQLITE_BLOB)
		return false;
	p = sqlite3_column_blob(s, col);
	n = (size_t)sqlite3_column_bytes(s, col);
	if (n > cap || (n != 0 && p == NULL))
		return false;
	if (n != 0)
		memcpy(dst, p, n);
	*len = n;
	return true;
}

static bool
col_blob_exact(sqlite3_stmt *s, int col, uint8_t *dst, size_t n)
{
	size_t len;

	return col_blob(s, col, dst, n, &len) && len == n;
}

static bool
col_u8(sqlite3_stmt *s, int col, uint8_t *dst)
{
	int64_t v = sqlite3_column_int64(s, col);

	if (v < 0 || v > 255)
		return false;
	*dst = (uint8_t)v;
	return true;
}

/* ---- rows ---- */

static bool
decode_account(sqlite3_stmt *s, void *out)
{
	struct pt_account *a = out;

	a->id = sqlite3_column_int64(s, 0);
	a->role = sqlite3_column_int(s, 3);
	a->created_at = sqlite3_column_int64(s, 5);
	return col_str(s, 1, a->email, sizeof(a->email)) && col_str(s, 2, a->name, sizeof(a->name)) &&
	       col_str(s, 4, a->pwhash, sizeof(a->pwhash));
}

static bool
decode_home(sqlite3_stmt *s, void *out)
{
	struct pt_home *h = out;

	h->rowid = sqlite3_column_int64(s, 0);
	h->created_at = sqlite3_column_int64(s, 6);
	h->updated_at = sqlite3_column_int64(s, 7);
	return col_str(s, 1, h->id, sizeof(h->id)) && col_str(s, 2, h->name, sizeof(h->name)) &&
	       col_str(s, 3, h->tz, sizeof(h->tz)) && col_str(s, 4, h->notes, sizeof(h->notes)) &&
	       col_str(s, 5, h->policy, sizeof(h->policy));
}

static bool
decode_key(sqlite3_stmt *s, void *out)
{
	struct pt_owner_key *k = out;

	k->id = sqlite3_column_int64(s, 0);
	k->added_by = sqlite3_column_int64(s, 4);
	k->created_at = sqlite3_column_int64(s, 5);
	return col_str(s, 1, k->home_id, sizeof(k->home_id)) &&
	       col_blob_exact(s, 2, k->pk, sizeof(k->pk)) &&
	       col_str(s, 3, k->label, sizeof(k->label));
}

static bool
decode_grant(sqlite3_stmt *s, void *out)
{
	struct pt_grant_row *g = out;

	g->id = sqlite3_column_int64(s, 0);
	g->exp = sqlite3_column_int64(s, 7);
	g->created_by = sqlite3_column_int64(s, 9);
	g->created_at = sqlite3_column_int64(s, 10);
	return col_str(s, 1, g->home_id, sizeof(g->home_id)) &&
	       col_blob(s, 2, g->chain, sizeof(g->chain), &g->chain_len) &&
	       col_blob_exact(s, 3, g->cti, sizeof(g->cti)) &&
	       col_blob_exact(s, 4, g->holder, sizeof(g->holder)) && col_u8(s, 5, &g->n_links) &&
	       col_u8(s, 6, &g->purpose) && col_str(s, 8, g->label, sizeof(g->label));
}

static bool
decode_revocation(sqlite3_stmt *s, void *out)
{
	struct pt_revocation_row *r = out;
	size_t tlen = 0;

	r->version = sqlite3_column_int64(s, 0);
	r->created_by = sqlite3_column_int64(s, 5);
	r->created_at = sqlite3_column_int64(s, 6);
	if (!col_str(s, 1, r->home_id, sizeof(r->home_id)) ||
	    !col_blob(s, 2, r->envelope, sizeof(r->envelope), &r->envelope_len) ||
	    !col_u8(s, 3, &r->kind) || !col_blob(s, 4, r->target, sizeof(r->target), &tlen))
		return false;
	r->target_len = (uint8_t)tlen;
	return true;
}

/* Step s for one row into out; PT_ENOTFOUND if none. Resets s. */
static int
fetch_one(struct pt_store *st, sqlite3_stmt *s, int rc, bool (*decode)(sqlite3_stmt *, void *),
	  void *out, const char *what)
{
	int r = PT_OK;

	if (rc == SQLITE_OK)
		rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		if (!decode(s, out))
			r = log_eio_msg(what, "stored value out of range");
	} else if (rc == SQLITE_DONE) {
		r = PT_ENOTFOUND;
	} else {
		r = map_err(st, rc, what);
	}
	done(s);
	return r;
}

/* Step s for up to max rows into out[], elements of size bytes. Resets s;
 * on error the rows written are wiped and *n is 0. */
static int
fetch_list(struct pt_store *st, sqlite3_stmt *s, int rc, bool (*decode)(sqlite3_stmt *, void *),
	   void *out, size_t size, size_t max, size_t *n, const char *what)
{
	unsigned char *base = out;
	size_t i = 0;
	int r = PT_OK;

	while (rc == SQLITE_OK || rc == SQLITE_ROW) {
		rc = sqlite3_step(s);
		if (rc != SQLITE_ROW || i == max)
			break;
		memset(base + i * size, 0, size);
		if (!decode(s, base + i * size)) {
			i++;
			r = log_eio_msg(what, "stored value out of range");
			goto out_wipe;
		}
		i++;
	}
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		r = map_err(st, rc, what);
		goto out_wipe;
	}
	*n = i;
	done(s);
	return PT_OK;
out_wipe:
	if (i != 0)
		pt_wipe(base, i * size);
	done(s);
	return r;
}

/* ---- locking ---- */

/* Reads: lock for the call unless this thread holds the transaction. */
static bool
read_enter(struct pt_store *st)
{
	if (holds_tx(st))
		return false;
	pthread_mutex_lock(&st->mu);
	return true;
}

static void
read_leave(struct pt_store *st, bool locked)
{
	if (locked)
		pthread_mutex_unlock(&st->mu);
}

/* Writes: only inside this thread's transaction, and only if SQLite has
 * not rolled it back behind our back (it does on some I/O errors). */
static int
write_enter(struct pt_store *st, const char *what)
{
	if (!holds_tx(st))
		return PT_EINVAL;
	if (sqlite3_get_autocommit(st->db))
		return log_eio_msg(what, "the transaction was rolled back by the database");
	return PT_OK;
}

static void
tx_end(struct pt_store *st)
{
	atomic_store_explicit(&st->owner, 0, memory_order_relaxed);
	pthread_mutex_unlock(&st->mu);
}

/* ---- checks of caller-provided strings ---- */

/* NUL-terminated inside its array. */
static bool
str_fits(const char *s, size_t cap)
{
	return memchr(s, '\0', cap) != NULL;
}

/* A string argument that may name a row: too long names none. */
static bool
arg_fits(const char *s, size_t max)
{
	return s != NULL && strnlen(s, max + 1) <= max;
}

static int64_t
now_or(int64_t t)
{
	return t != 0 ? t : (int64_t)time(NULL);
}

/* ---- open, close, transactions ---- */

__attribute__((format(printf, 2, 3))) static void
errf(struct pt_errbuf *err, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
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

/* Create the file with mode 0600 before SQLite does (SQLite gives its -wal
 * and -shm files the main file's mode); tighten an existing file's mode. */
static int
make_file(const char *path, struct pt_errbuf *err)
{
	struct stat sb;
	int fd, r = PT_OK;

	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
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
	return r;
}

/* Run a pragma; copy the first column of its first row, if any, to val. */
static int
pragma(struct pt_store *st, const char *sql, char *val, size_t cap)
{
	sqlite3_stmt *s = NULL;
	const unsigned char *t;
	int rc;

	if (val != NULL)
		val[0] = '\0';
	rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);
	if (rc != SQLITE_OK)
		return rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (val != NULL && val[0] == '\0' && (t = sqlite3_column_text(s, 0)) != NULL)
			(void)snprintf(val, cap, "%s", (const char *)t);
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static int
configure(struct pt_store *st, struct pt_errbuf *err)
{
	/* Durable on return from COMMIT: WAL is fsync'd at every commit with
	 * FULL (NORMAL would only sync at checkpoints). */
	static const char *const plain[] = {
		"PRAGMA synchronous = FULL",
		"PRAGMA foreign_keys = ON",
		"PRAGMA secure_delete = ON",
		"PRAGMA recursive_triggers = ON",	/* REPLACE fires delete triggers */
		"PRAGMA trusted_schema = OFF",
	};
	char val[32];
	size_t i;

	sqlite3_extended_result_codes(st->db, 1);
	if (sqlite3_db_config(st->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL) != SQLITE_OK ||
	    sqlite3_db_config(st->db, SQLITE_DBCONFIG_DQS_DML, 0, NULL) != SQLITE_OK ||
	    sqlite3_db_config(st->db, SQLITE_DBCONFIG_DQS_DDL, 0, NULL) != SQLITE_OK ||
	    sqlite3_busy_timeout(st->db, BUSY_TIMEOUT_MS) != SQLITE_OK)
		goto fail;
	if (pragma(st, "PRAGMA journal_mode = WAL", val, sizeof(val)) != SQLITE_OK)
		goto fail;
	if (strcmp(val, "wal") != 0) {
		errf(err, "cannot set WAL mode: journal mode is '%s'", val);
		return PT_EIO;
	}
	for (i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
		if (pragma(st, plain[i], NULL, 0) != SQLITE_OK)
			goto fail;
	/* A build without foreign keys would silently skip the cascades. */
	if (pragma(st, "PRAGMA foreign_keys", val, sizeof(val)) != SQLITE_OK)
		goto fail;
	if (strcmp(val, "1") != 0) {
		errf(err, "cannot enable foreign keys");
		return PT_EIO;
	}
	return PT_OK;
fail:
	errf(err, "cannot configure the database: %s", sqlite3_errmsg(st->db));
	return PT_EIO;
}

/* The highest applied migration, inside the current transaction. */
static int
read_version(struct pt_store *st, int *version)
{
	sqlite3_stmt *s = NULL;
	int rc;

	*version = 0;
	rc = sqlite3_prepare_v2(st->db, "SELECT coalesce(max(version), 0) FROM schema_version", -1,
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
record_version(struct pt_store *st, int version)
{
	sqlite3_stmt *s = NULL;
	int rc;

	rc = sqlite3_prepare_v2(st->db,
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
 * version is read inside the transaction, so two processes opening the same
 * file at once apply each migration once. */
static int
migrate(struct pt_store *st, struct pt_errbuf *err)
{
	int i, v = 0, rc;

	for (i = 0; i < SCHEMA_VERSION; i++) {
		rc = exec_sql(st, "BEGIN IMMEDIATE");
		if (rc != SQLITE_OK)
			goto fail;
		rc = exec_sql(st, "CREATE TABLE IF NOT EXISTS schema_version ("
				  " version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL) STRICT");
		if (rc == SQLITE_OK)
			rc = read_version(st, &v);
		if (rc != SQLITE_OK)
			goto fail_rollback;
		if (v < 0 || v > SCHEMA_VERSION) {
			exec_sql(st, "ROLLBACK");
			errf(err, "database schema version %d is not one this program knows (1..%d)",
			     v, SCHEMA_VERSION);
			return PT_EIO;
		}
		if (v <= i) {
			rc = exec_sql(st, migrations[i]);
			if (rc == SQLITE_OK)
				rc = record_version(st, i + 1);
			if (rc != SQLITE_OK)
				goto fail_rollback;
		}
		rc = exec_sql(st, "COMMIT");
		if (rc != SQLITE_OK)
			goto fail_rollback;
	}
	rc = exec_sql(st, "BEGIN");
	if (rc == SQLITE_OK)
		rc = read_version(st, &v);
	exec_sql(st, "COMMIT");
	if (rc != SQLITE_OK)
		goto fail;
	st->version = v;
	return PT_OK;
fail_rollback:
	errf(err, "cannot migrate the schema to version %d: %s", i + 1, sqlite3_errmsg(st->db));
	if (!sqlite3_get_autocommit(st->db))
		exec_sql(st, "ROLLBACK");
	return PT_EIO;
fail:
	errf(err, "cannot migrate the schema to version %d: %s", i + 1, sqlite3_errmsg(st->db));
	return PT_EIO;
}

int
pt_store_open(const char *path, struct pt_store **out, struct pt_errbuf *err)
{
	struct pt_store *st;
	int r;

	if (out == NULL)
		return PT_EINVAL;
	*out = NULL;
	if (path == NULL || path[0] == '\0') {
		errf(err, "cannot open the store: no path");
		return PT_EINVAL;
	}
	if (sqlite3_threadsafe() == 0) {
		errf(err, "cannot open '%s': SQLite was built without thread support", path);
		return PT_EIO;
	}
	if ((r = make_parent(path, err)) != PT_OK || (r = make_file(path, err)) != PT_OK)
		return r;
	if ((st = calloc(1, sizeof(*st))) == NULL) {
		errf(err, "cannot open '%s': out of memory", path);
		return PT_EIO;
	}
	if (pthread_mutex_init(&st->mu, NULL) != 0) {
		free(st);
		errf(err, "cannot open '%s': cannot create a mutex", path);
		return PT_EIO;
	}
	atomic_init(&st->owner, 0);
	/* NOMUTEX: st->mu serialises the connection; NOFOLLOW: no symlinks. */
	if (sqlite3_open_v2(path, &st->db,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX |
				    SQLITE_OPEN_NOFOLLOW,
			    NULL) != SQLITE_OK) {
		errf(err, "cannot open '%s': %s", path,
		     st->db != NULL ? sqlite3_errmsg(st->db) : "out of memory");
		r = PT_EIO;
		goto out_close;
	}
	if ((r = configure(st, err)) != PT_OK || (r = migrate(st, err)) != PT_OK)
		goto out_close;
	*out = st;
	return PT_OK;
out_close:
	sqlite3_close(st->db);
	pthread_mutex_destroy(&st->mu);
	free(st);
	return r;
}

void
pt_store_close(struct pt_store *st)
{
	size_t i;

	if (st == NULL)
		return;
	if (holds_tx(st))
		pt_store_rollback(st);
	pthread_mutex_lock(&st->mu);
	for (i = 0; i < S_COUNT_; i++)
		sqlite3_finalize(st->stmt[i]);
	if (sqlite3_close(st->db) != SQLITE_OK)
		log_eio(st, "cannot close the database");
	pthread_mutex_unlock(&st->mu);
	pthread_mutex_destroy(&st->mu);
	free(st);
}

int
pt_store_schema_version(struct pt_store *st)
{
	return st != NULL ? st->version : 0;
}

int
pt_store_begin(struct pt_store *st)
{
	sqlite3_stmt *s;
	int rc = SQLITE_OK;

	if (st == NULL || holds_tx(st))	/* not recursive: it would deadlock */
		return PT_EINVAL;
	pthread_mutex_lock(&st->mu);
	if ((s = get(st, S_BEGIN)) == NULL)
		goto fail;
	rc = sqlite3_step(s);
	if (rc != SQLITE_DONE) {
		log_eio(st, "cannot begin a transaction");
		done(s);
		goto fail;
	}
	done(s);
	atomic_store_explicit(&st->owner, self_tag(), memory_order_relaxed);
	return PT_OK;
fail:
	pthread_mutex_unlock(&st->mu);
	return PT_EIO;
}

int
pt_store_commit(struct pt_store *st)
{
	sqlite3_stmt *s;
	int r = PT_OK, rc;

	if (st == NULL || !holds_tx(st))
		return PT_EINVAL;
	if (sqlite3_get_autocommit(st->db)) {
		r = log_eio_msg("cannot commit", "the transaction was rolled back by the database");
	} else if ((s = get(st, S_COMMIT)) == NULL) {
		r = PT_EIO;
	} else {
		rc = sqlite3_step(s);
		if (rc != SQLITE_DONE)
			r = log_eio(st, "cannot commit");
		done(s);
	}
	/* On failure nothing of the transaction stays. */
	if (r != PT_OK && !sqlite3_get_autocommit(st->db) &&
	    exec_sql(st, "ROLLBACK") != SQLITE_OK)
		log_eio(st, "cannot roll back");
	tx_end(st);
	return r;
}

void
pt_store_rollback(struct pt_store *st)
{
	sqlite3_stmt *s;

	if (st == NULL)
		return;
	if (!holds_tx(st)) {
		fprintf(stderr, "store: rollback outside a transaction: ignored\n");
		return;
	}
	if (!sqlite3_get_autocommit(st->db)) {
		if ((s = get(st, S_ROLLBACK)) != NULL) {
			if (sqlite3_step(s) != SQLITE_DONE)
				log_eio(st, "cannot roll back");
			done(s);
		}
	}
	tx_end(st);
}

/* ---- accounts ---- */

int
pt_store_account_insert(struct pt_store *st, struct pt_account *a)
{
	const char *what = "cannot insert an account";
	sqlite3_stmt *s;
	int r, rc = SQLITE_OK;

	if (a == NULL)
		return PT_EINVAL;
	a->id = 0;
	if (st == NULL)
		return PT_EINVAL;
	if ((r = write_enter(st, what)) != PT_OK)
		return r;
	if (!str_fits(a->email, sizeof(a->email)) || !str_fits(a->name, sizeof(a->name)) ||
	    !str_fits(a->pwhash, sizeof(a->pwhash)))
		return PT_EINVAL;
	if ((s = get(st, S_ACCOUNT_INSERT)) == NULL)
		return PT_EIO;
	a->created_at = now_or(a->created_at);
	bind_str(s, 1, a->email, &rc);
	bind_str(s, 2, a->name, &rc);
	bind_i64(s, 3, a->role, &rc);
	bind_str(s, 4, a->pwhash, &rc);
	bind_i64(s, 5, a->created_at, &rc);
	r = run_returning(st, s, rc, &a->id, what);
	return r == PT_ENOTFOUND ? log_eio_msg(what, "no row inserted") : r;
}

static int
account_get(struct pt_store *st, enum sid id, const char *email, int64_t account,
	    struct pt_account *a)
{
	const char *what = "cannot read an account";
	sqlite3_stmt *s;
	bool locked;
	int r, rc = SQLITE_OK;

	locked = read_enter(st);
	if ((s = get(st, id)) == NULL) {
		r = PT_EIO;
	} else {
		if (email != NULL)
			bind_str(s, 1, email, &rc);
		else
			bind_i64(s, 1, account, &rc);
		r = fetch_one(st, s, rc, decode_account, a, what);
	}
	read_leave(st, locked);
	if (r != PT_OK)
		pt_wipe(a, sizeof(*a));
	return r;
}

int
pt_store_account_by_email(struct pt_store *st, const char *email, struct pt_account *a)
{
	if (a == NULL)
		return PT_EINVAL;
	memset(a, 0, sizeof(*a));
	if (st == NULL || email == NULL)
		return PT_EINVAL;
	if (!arg_fits(email, PT_EMAIL_MAX))
		return PT_ENOTFOUND;
	return account_get(st, S_ACCOUNT_BY_EMAIL, email, 0, a);
}

int
pt_store_account_by_id(struct pt_store *st, int64_t id, struct pt_account *a)
{
	if (a == NULL)
		return PT_EINVAL;
	memset(a, 0, sizeof(*a));
	if (st == NULL)
		return PT_EINVAL;
	return account_get(st, S_ACCOUNT_BY_ID, NULL, id, a);
}

/* ---- sessions ---- */

int
pt_store_session_insert(struct pt_store *st, const uint8_t token_hash[PT_HASH_LEN],
			int64_t account_id, int64_t expires_at)
{
	const char *what = "cannot insert a session";
	sqlite3_stmt *s;
	int r, rc = SQLITE_OK;

	if (st == NULL || token_hash == NULL)
		return PT_EINVAL;
	if ((r = write_enter(st, what)) != PT_OK)
		return r;
	if ((s = get(st, S_SESSION_INSERT)) == NULL)
		return PT_EIO;
	bind_blob(s, 1, token_hash, PT_HASH_LEN, &rc);
	bind_i64(s, 2, account_id, &rc);
	bind_i64(s, 3, expires_at, &rc);
	bind_i64(s, 4, (int64_t)time(NULL), &rc);
	return run(st, s, rc, what);
}

int
pt_store_session_lookup(struct pt_store *st, const uint8_t token_hash[PT_HASH_LEN], int64_t now,
			int64_t *account_id)
{
	int64_t expires;

	return pt_store_session_get(st, token_hash, now, account_id, &expires);
}

int
pt_store_session_get(struct pt_store *st, const uint8_t token_hash[PT_HASH_LEN], int64_t now,
		     int64_t *account_id, int64_t *expires_at)
{
	const char *what = "cannot look up a session";
	sqlite3_stmt *s;
	bool locked;
	int r = PT_OK, rc = SQLITE_OK;

	if (account_id == NULL || expires_at == NULL)
		return PT_EINVAL;
	*account_id = 0;
	*expires_at = 0;
	if (st == NULL || token_hash == NULL)
		return PT_EINVAL;
	locked = read_enter(st);
	if ((s = get(st, S_SESSION_LOOKUP)) == NULL) {
		r = PT_EIO;
		goto out;
	}
	bind_blob(s, 1, token_hash, PT_HASH_LEN, &rc);
	bind_i64(s, 2, now, &rc);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*account_id = sqlite3_column_int64(s, 0);
		*expires_at = sqlite3_column_int64(s, 1);
	}
	else
		r = rc == SQLITE_DONE ? PT_ENOTFOUND : map_err(st, rc, what);
	done(s);
out:
	read_leave(st, locked);
	return r;
}

int
pt_store_session_delete(struct pt_store *st, const uint8_t token_hash[PT_HASH_LEN])
{
	const char *what = "cannot delete a session";
	sqlite3_stmt *s;
	int r, rc = SQLITE_OK;

	if (st == NULL || token_hash == NULL)
		return PT_EINVAL;
	if ((r = write_enter(st, what)) != PT_OK)
		return r;
	if ((s = get(st, S_SESSION_DELETE)) == NULL)
		return PT_EIO;
	bind_blob(s, 1, token_hash, PT_HASH_LEN, &rc);
	return run_changing(st, s, rc, what);
}

int
pt_store_session_delete_all(struct pt_store *st, int64_t account_id)
{
	const char *what = "cannot delete sessions";
	sqlite3_stmt *s;
	int r, rc = SQLITE_OK;

	if (st == NULL)
		return PT_EINVAL;
	if ((r = write_enter(st, what)) != PT_OK)
		return r;
	if ((s = get(st, S_SESSION_DELETE_ALL)) == NULL)
		return PT_EIO;
	bind_i64(s, 1, account_id, &rc);
	return run(st, s, rc, what);
}

/* ---- homes ---- */

static bool
home_strings_fit(const struct pt_home *h)
{
	return str_fits(h->name, sizeof(h->name)) && str_fits(h->tz, sizeof(h->tz)) &&
	       str_fits(h->notes, sizeof(h->notes)) && str_fits(h->policy, sizeof(h->policy));
}

/* Savepoints make a call of several statements all-or-nothing inside the
 * caller's transaction. */
static int
savepoint(struct pt_store *st, enum sid id, const char *what)
{
	sqlite3_stmt *s = get(st, id);

	return s != NULL ? run(st, s, SQLITE_OK, what) : PT_EIO;
}

int
pt_store_home_insert(struct pt_store *st, struct pt_home *h, int64_t owner_account)
{
	const char *what = "cannot insert a home";
	sqlite3_stmt *s;
	int r, rc = SQLITE_OK;

	if (h == NULL)
		return PT_EINVAL;
	h->rowid = 0;
	if (st == NULL)
		return PT_EINVAL;
	if ((r = write_enter(st, what)) != PT_OK)
		return r;
	if (!str_fits(h->id, sizeof(h->id)) || !pt_id_is_valid(h->id, strlen(h->id)) ||
	    !home_strings_fit(h))
		return PT_EINVAL;
	if ((r = savepoint(st, S_SAVEPOINT, what)) != PT_OK)
		return r;
	if ((s = get(st, S_HOME_INSERT)) == NULL) {
		r = PT_EIO;
		goto out_rollback;
	}
	h->created_at = now_or(h->created_at);
	h->updated_at = h->updated_at != 0 ? h->updated_at : h->created_at;
	bind_str(s, 1, h->id, &rc);
	bind_str(s, 2, h->name, &rc);
	bind_str(s, 3, h->tz, &rc);
	bind_str(s, 4, h->notes, &rc);
	bind_str(s, 5, h->policy, &rc);
	bind_i64(s, 6, h->created_at, &rc);
	bind_i64(s, 7, h->updated_at, &rc);
	if ((r = run_returning(st, s, rc, &h->rowid, what)) != PT_OK) {
		if (r == PT_ENOTFOUND)
			r = log_eio_msg(what, "no row inserted");
		goto out_rollback;
	}
	if ((s = get(st, S_HOME_OWNER_ADD)) == NULL) {
		r = PT_EIO;
		goto out_rollback;
	}
	rc = SQLITE_OK;
	bind_i64(s, 1, h->rowid, &rc);
	bind_i64(s, 2, owner_account, &rc);
	if ((r = run(st, s, rc, what)) != PT_OK)
		goto out_rollback;
	if ((r = savepoint(st, S_RELEASE, what)) != PT_OK)
		goto out_rollback;
	return PT_OK;
out_rollback:
	h->rowid = 0;
	if (savepoint(st, S_ROLLBACK_TO, what) != PT_OK || savepoint(st, S_RELEASE, what) != PT_OK)
		return PT_EIO;
	return r;
}

int
pt_store_home_get(struct pt_store *st, const char *home_id, int64_t account, struct pt_home *h,
		  int *role)
{
	const char *what = "cannot read a home";
	sqlite3_stmt *s;
	bool locked;
	int r = PT_OK, rc = SQLITE_OK;

	if (h == NULL || role == NULL)
		return PT_EINVAL;
	memset(h, 0, sizeof(*h));
	*role = 0;
	if (st == NULL || home_id == NULL)
		return PT_EINVAL;
	if (!arg_fits(home_id, PT_ID_MAX))
		return PT_ENOTFOUND;
	locked = read_enter(st);
	if ((s = get(st, S_HOME_GET)) == NULL) {
		r = PT_EIO;
		goto out;
	}
	bind_str(s, 1, home_id, &rc);
	bind_i64(s, 2, account, &rc);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*role = sqlite3_column_int(s, 8);
		if (!decode_home(s, h))
			r = log_eio_msg(what, "stored value out of range");
	} else {
		r = rc == SQLITE_DONE ? PT_ENOTFOUND : map_err(st, rc, what);
	}
	done(s);
out:
	read_leave(st, locked);
	if (r != PT_OK) {
		pt_wipe(h, sizeof(*h));
		*role = 0;
	}
	return r;
}

int
pt_store_home_list(struct pt_store *st, int64_t account, struct pt_home *out, size_t max,
		   size_t *n)
{
	sqlite3_stmt *s;
	bool locked;
	int r, rc = SQLITE_OK;

	if (n == NULL)
		return PT_EINVAL;
	*n = 0;
	if (st == NULL || (out == NULL && max != 0))
		return PT_EINVAL;
	locked = read_enter(st);
	if ((s = get(st, S_HOME_LIST)) == NULL) {
		r = PT_EIO;
	} else {
		bind_i64(s, 1, account, &rc);
		bind_i64(s, 2, limit_of(max), &rc);
		r = fetch_list(st, s, rc, decode_home, out, sizeof(*out), max, n,
			       "cannot list homes");
	}
	read_leave(st, locked);
	return r;
}

int
pt_store_home_update(struct pt_store *st, const struct pt_home *h)
{
	const char *what = "cannot update a home";
	sqlite3_stmt *s;
	int r, rc = SQLITE_OK;

	if (st == NULL || h == NULL)
		return PT_EINVAL;
	if ((r = write_enter(st, what)) != PT_OK)
		return r;
	if (!str_fits(h->id, sizeof(h->id)) || !home_strings_fit(h))
		return PT_EINVAL;
	if ((s = get(st, S_HOME_UPDATE)) == NULL)
		return PT_EIO;
	bind_str(s, 1, h->id, &rc);
	bind_str(s, 2, h->name, &rc);
	bind_str(s, 3, h->tz, &rc);
	bind_str(s, 4, h->notes, &rc);
	bind_str(s, 5, h->policy, &rc);
	bind_i64(s, 6, now_or(h->updated_at), &rc);
	return run_changing(st, s, rc, what);
}

int
pt_store_home_delete(struct pt_store *st, const char *home_id)
{
	const char *what = "cannot delete a home";
	sqlite3_stmt *s;
	int r, rc = SQLITE_OK;

	if (st == NULL || home_id == NULL)
		return PT_EINVAL;
	if ((r = write_enter(st, what)) != PT_OK)
		return r;
	if (!arg_fits(home_id, PT_ID_MAX))
		return PT_ENOTFOUND;
	if ((s = get(st, S_HOME_DELETE)) == NULL)
		return PT_EIO;
	/* Members, keys, grants and revocations go by ON DELETE CASCADE. */
	bind_str(s, 1, home_id, &rc);
	return run_changing(st, s, rc, what);
}

int
pt_store_member_add(struct pt_store *st, const char *home_id, int64_t account, int role)
{
	const char *what = "cannot add a member";
	sqlite3_stmt *s;
	int r, rc = SQLITE_OK;

	if (st == NULL || home_id == NULL)
		return PT_EINVAL;
	if ((r = write_enter(st, what)) != PT_OK)
		return r;
	if (role != PT_HOME_OWNER && role != PT_HOME_MEMBER)
		return PT_EINVAL;
	if (!arg_fits(home_id, PT_ID_MAX))
		return PT_ENOTFOUND;
	if ((s = get(st, S_MEMBER_ADD)) == NULL)
		return PT_EIO;
	bind_str(s, 1, home_id, &rc);
	bind_i64(s, 2, account, &rc);
	bind_i64(s, 3, role, &rc);
	return run_changing(st, s, rc, what);
}

/* The internal id of a home, under the caller's lock. */
static int
home_rowid(struct pt_store *st, const char *home_id, int64_t *rowid, const char *what)
{
	sqlite3_stmt *s;
	int r = PT_OK, rc = SQLITE_OK;

	*rowid = 0;
	if (!arg_fits(home_id, PT_ID_MAX))
		return PT_ENOTFOUND;
	if ((s = get(st, S_HOME_ROWID)) == NULL)
		return PT_EIO;
	bind_str(s, 1, home_id, &rc);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*rowid = sqlite3_column_int64(s, 0);
	else
		r = rc == SQLITE_DONE ? PT_ENOTFOUND : map_err(st, rc, what);
	done(s);
	return r;
}

/* List rows of a home: PT_ENOTFOUND if the home does not exist. */
static int
home_list_of(struct pt_store *st, enum sid id, const char *home_id, const int64_t *since,
	     bool (*decode)(sqlite3_stmt *, void *), void *out, size_t size, size_t max,
	     size_t *n, const char *what)
{
	sqlite3_stmt *s;
	int64_t rowid;
	bool locked;
	int r, rc = SQLITE_OK, i = 1;

	*n = 0;
	if (st == NULL || home_id == NULL || (out == NULL && max != 0))
		return PT_EINVAL;
	locked = read_enter(st);
	if ((r = home_rowid(st, home_id, &rowid, what)) != PT_OK)
		goto out;
	if ((s = get(st, id)) == NULL) {
		r = PT_EIO;
		goto out;
	}
	bind_i64(s, i++, rowid, &rc);
	if (since != NULL)
		bind_i64(s, i++, *since, &rc);
	bind_i64(s, i, limit_of(max), &rc);
	r = fetch_list(st, s, rc, decode, out, size, max, n, what);
out:
	read_leave(st, locked);
	return r;
}

/* ---- owner keys ---- */

int
pt_store_owner_key_insert(struct pt_store *st, struct pt_owner_key *k)
{
	const char *what = "cannot insert an owner key";
	sqlite3_stmt *s;
	int r, rc = SQLITE_OK;

	if (k == NULL)
		return PT_EINVAL;
	k->id = 0;
	if (st == NULL)
		return PT_EINVAL;
	if ((r = write_enter(st, what)) != PT_OK)
		return r;
	if (!str_fits(k->home_id, sizeof(k->home_id)) || !str_fits(k->label, sizeof(k->label)))
		return PT_EINVAL;
	if ((s = get(st, S_KEY_INSERT)) == NULL)
		return PT_EIO;
	k->created_at = now_or(k->created_at);
	bind_str(s, 1, k->home_id, &rc);
	bind_blob(s, 2, k->pk, sizeof(k->pk), &rc);
	bind_str(s, 3, k->label, &rc);
	bind_i64(s, 4, k->added_by, &rc);
	bind_i64(s, 5, k->created_at, &rc);
	return run_returning(st, s, rc, &k->id, what);
}

int
pt_store_owner_key_list(struct pt_store *st, const char *home_id, struct pt_owner_key *out,
			size_t max, size_t *n)
{
	if (n == NULL)
		return PT_EINVAL;
	return home_list_of(st, S_KEY_LIST, home_id, NULL, decode_key, out, sizeof(*out), max, n,
			    "cannot list owner keys");
}

/* ---- grants ---- */

int
pt_store_grant_insert(struct pt_store *st, struct pt_grant_row *g)
{
	const char *what = "cannot insert a grant";
	sqlite3_stmt *s;
	int r, rc = SQLITE_OK;

	if (g == NULL)
		return PT_EINVAL;
	g->id = 0;
	if (st == NULL)
		return PT_EINVAL;
	if ((r = write_enter(st, what)) != PT_OK)
		return r;
	if (!str_fits(g->home_id, sizeof(g->home_id)) || !str_fits(g->label, sizeof(g->label)) ||
	    g->chain_len == 0 || g->chain_len > sizeof(g->chain))
		return PT_EINVAL;
	if ((s = get(st, S_GRANT_INSERT)) == NULL)
		return PT_EIO;
	g->created_at = now_or(g->created_at);
	bind_str(s, 1, g->home_id, &rc);
	bind_blob(s, 2, g->chain, g->chain_len, &rc);
	bind_blob(s, 3, g->cti, sizeof(g->cti), &rc);
	bind_blob(s, 4, g->holder, sizeof(g->holder), &rc);
	bind_i64(s, 5, g->n_links, &rc);
	bind_i64(s, 6, g->purpose, &rc);
	bind_i64(s, 7, g->exp, &rc);
	bind_str(s, 8, g->label, &rc);
	bind_i64(s, 9, g->created_by, &rc);
	bind_i64(s, 10, g->created_at, &rc);
	return run_returning(st, s, rc, &g->id, what);
}

int
pt_store_grant_list(struct pt_store *st, const char *home_id, struct pt_grant_row *out,
		    size_t max, size_t *n)
{
	if (n == NULL)
		return PT_EINVAL;
	return home_list_of(st, S_GRANT_LIST, home_id, NULL, decode_grant, out, sizeof(*out), max,
			    n, "cannot list grants");
}

/* ---- revocations ---- */

int
pt_store_revocation_insert(struct pt_store *st, struct pt_revocation_row *v)
{
	const char *what = "cannot insert a revocation";
	sqlite3_stmt *s;
	int r, rc = SQLITE_OK;

	if (v == NULL)
		return PT_EINVAL;
	v->version = 0;
	if (st == NULL)
		return PT_EINVAL;
	if ((r = write_enter(st, what)) != PT_OK)
		return r;
	if (!str_fits(v->home_id, sizeof(v->home_id)) || v->envelope_len == 0 ||
	    v->envelope_len > sizeof(v->envelope) || v->target_len > sizeof(v->target))
		return PT_EINVAL;
	if ((s = get(st, S_REV_INSERT)) == NULL)
		return PT_EIO;
	v->created_at = now_or(v->created_at);
	bind_str(s, 1, v->home_id, &rc);
	bind_blob(s, 2, v->envelope, v->envelope_len, &rc);
	bind_i64(s, 3, v->kind, &rc);
	bind_blob(s, 4, v->target, v->target_len, &rc);
	bind_i64(s, 5, v->created_by, &rc);
	bind_i64(s, 6, v->created_at, &rc);
	return run_returning(st, s, rc, &v->version, what);
}

int
pt_store_revocation_list(struct pt_store *st, const char *home_id, int64_t since_version,
			 struct pt_revocation_row *out, size_t max, size_t *n)
{
	if (n == NULL)
		return PT_EINVAL;
	return home_list_of(st, S_REV_LIST, home_id, &since_version, decode_revocation, out,
			    sizeof(*out), max, n, "cannot list revocations");
}

/* ---- audit ---- */

static uint8_t *
put_be64(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
	return p + 8;
}

static uint8_t *
put_field(uint8_t *p, const unsigned char *s, size_t len)
{
	p[0] = (uint8_t)(len >> 24);
	p[1] = (uint8_t)(len >> 16);
	p[2] = (uint8_t)(len >> 8);
	p[3] = (uint8_t)len;
	if (len != 0)
		memcpy(p + 4, s, len);
	return p + 4 + len;
}

/*
 * hash = SHA-256(prev || be64(seq) || be64(at) || be64(actor) ||
 *                be32(len) action || be32(len) target || be32(len) detail)
 * Integers are two's complement. The exact input of docs/api.md and
 * docs/storage.md: an independent verifier recomputes it.
 */
static int
audit_hash(uint8_t out[PT_HASH_LEN], const uint8_t prev[PT_HASH_LEN], int64_t seq, int64_t at,
	   int64_t actor, const unsigned char *action, size_t alen, const unsigned char *target,
	   size_t tlen, const unsigned char *detail, size_t dlen)
{
	uint8_t *buf, *p;
	size_t len;

	if (alen > UINT32_MAX || tlen > UINT32_MAX || dlen > UINT32_MAX)
		return log_eio_msg("cannot hash an audit row", "field too long");
	len = PT_HASH_LEN + 3 * 8 + 3 * 4 + alen + tlen + dlen;
	if ((buf = malloc(len)) == NULL)
		return log_eio_msg("cannot hash an audit row", "out of memory");
	memcpy(buf, prev, PT_HASH_LEN);
	p = put_be64(buf + PT_HASH_LEN, (uint64_t)seq);
	p = put_be64(p, (uint64_t)at);
	p = put_be64(p, (uint64_t)actor);
	p = put_field(p, action, alen);
	p = put_field(p, target, tlen);
	p = put_field(p, detail, dlen);
	pt_crypto_sodium()->sha256(out, buf, (size_t)(p - buf));
	free(buf);
	return PT_OK;
}

int
pt_store_audit_append(struct pt_store *st, int64_t at, int64_t actor, const char *action,
		      const char *target, const char *detail)
{
	const char *what = "cannot append to the audit trail";
	struct pt_audit_row row;	/* for its field sizes */
	uint8_t prev[PT_HASH_LEN], hash[PT_HASH_LEN];
	size_t alen, tlen, dlen;
	sqlite3_stmt *s;
	int64_t seq = 0;
	int r, rc = SQLITE_OK;

	if (st == NULL || action == NULL || target == NULL || detail == NULL)
		return PT_EINVAL;
	if ((r = write_enter(st, what)) != PT_OK)
		return r;
	alen = strnlen(action, sizeof(row.action));
	tlen = strnlen(target, sizeof(row.target));
	dlen = strnlen(detail, sizeof(row.detail));
	if (alen == 0 || alen == sizeof(row.action) || tlen == sizeof(row.target) ||
	    dlen == sizeof(row.detail))
		return PT_EINVAL;

	memset(prev, 0, sizeof(prev));
	if ((s = get(st, S_AUDIT_LAST)) == NULL)
		return PT_EIO;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		seq = sqlite3_column_int64(s, 0);
		if (seq < 1 || seq == INT64_MAX || !col_blob_exact(s, 1, prev, sizeof(prev))) {
			done(s);
			return log_eio_msg(what, "the last row is damaged");
		}
	} else if (rc != SQLITE_DONE) {
		r = log_eio(st, what);
		done(s);
		return r;
	}
	done(s);
	seq++;

	r = audit_hash(hash, prev, seq, at, actor, (const unsigned char *)action, alen,
		       (const unsigned char *)target, tlen, (const unsigned char *)detail, dlen);
	if (r != PT_OK)
		return r;
	if ((s = get(st, S_AUDIT_INSERT)) == NULL)
		return PT_EIO;
	rc = SQLITE_OK;
	bind_i64(s, 1, seq, &rc);
	bind_i64(s, 2, at, &rc);
	bind_i64(s, 3, actor, &rc);
	bind_str(s, 4, action, &rc);
	bind_str(s, 5, target, &rc);
	bind_str(s, 6, detail, &rc);
	bind_blob(s, 7, prev, sizeof(prev), &rc);
	bind_blob(s, 8, hash, sizeof(hash), &rc);
	return run(st, s, rc, what);
}

/* The text of a column as bytes; NULL-safe for empty values. */
static const unsigned char *
col_bytes(sqlite3_stmt *s, int col, size_t *len)
{
	const unsigned char *p = sqlite3_column_text(s, col);

	*len = (size_t)sqlite3_column_bytes(s, col);
	return p != NULL ? p : (const unsigned char *)"";
}

int
pt_store_audit_verify(struct pt_store *st, int64_t *bad_seq, int64_t *rows)
{
	const char *what = "cannot verify the audit trail";
	uint8_t last[PT_HASH_LEN], prev[PT_HASH_LEN], hash[PT_HASH_LEN], want[PT_HASH_LEN];
	const unsigned char *action, *target, *detail;
	size_t alen, tlen, dlen;
	int64_t seq, expect = 1, good = 0, bad = 0;
	sqlite3_stmt *s;
	bool locked, broken = false;
	int r = PT_OK, rc;

	if (bad_seq == NULL || rows == NULL)
		return PT_EINVAL;
	*bad_seq = 0;
	*rows = 0;
	if (st == NULL)
		return PT_EINVAL;
	memset(last, 0, sizeof(last));
	locked = read_enter(st);
	if ((s = get(st, S_AUDIT_ALL)) == NULL) {
		r = PT_EIO;
		goto out;
	}
	/* One SELECT: one consistent snapshot of the whole chain. */
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		seq = sqlite3_column_int64(s, 0);
		if (seq != expect || !col_blob_exact(s, 6, prev, sizeof(prev)) ||
		    memcmp(prev, last, sizeof(last)) != 0 ||
		    !col_blob_exact(s, 7, hash, sizeof(hash))) {
			bad = seq;
			broken = true;
			break;
		}
		action = col_bytes(s, 3, &alen);
		target = col_bytes(s, 4, &tlen);
		detail = col_bytes(s, 5, &dlen);
		r = audit_hash(want, prev, seq, sqlite3_column_int64(s, 1),
			       sqlite3_column_int64(s, 2), action, alen, target, tlen, detail, dlen);
		if (r != PT_OK)
			break;
		if (memcmp(want, hash, sizeof(hash)) != 0) {
			bad = seq;
			broken = true;
			break;
		}
		memcpy(last, hash, sizeof(last));
		good++;
		if (seq == INT64_MAX)
			expect = 0;	/* no row can follow */
		else
			expect = seq + 1;
	}
	if (r == PT_OK && !broken && rc != SQLITE_DONE)
		r = log_eio(st, what);
	done(s);
	if (r == PT_OK && broken) {
		r = PT_EBADSIG;
		*bad_seq = bad;
	}
	if (r == PT_OK || r == PT_EBADSIG)
		*rows = good;
out:
	read_leave(st, locked);
	return r;
}
