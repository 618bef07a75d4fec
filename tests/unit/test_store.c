/*
 * tests/unit/test_store.c: the SQLite store against porter/store.h.
 *
 * Every check runs on a fresh database in a temporary directory, removed at
 * the end. The checks every backend must pass are in store_common.h (the
 * PostgreSQL backend runs them in test_store_pg.c); this file adds what is
 * SQLite's own: the file, its mode and WAL, migration of a version-1 file,
 * one writer at a time. Damage to the audit chain is done through a second,
 * raw SQLite connection, the way an intruder with the file would do it.
 */
#define _GNU_SOURCE	/* nftw's FTW_DEPTH and FTW_PHYS */
#include <errno.h>
#include <ftw.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "porter/keyfile.h"
#include "porter/store.h"
#include "t.h"

static char tmpdir[64];
static char dbdir[128];
static char dbpath[192];

static int
rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void
rm_tree(const char *path)
{
	(void)nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static unsigned
mode_of(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0 ? (unsigned)(sb.st_mode & 07777) : 01000u;
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- raw access for store_common.h: a second connection to the file ---- */

struct raw {
	sqlite3 *db;
};

#define RAW_ZERO32 "zeroblob(32)"
#define RAW_DROP_AUDIT_TRIGGERS "DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete"

/* A raw connection to the same file, past the store's checks. */
static struct raw *
raw_open(void)
{
	struct raw *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	if (sqlite3_open_v2(dbpath, &r->db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		sqlite3_close(r->db);
		free(r);
		return NULL;
	}
	sqlite3_busy_timeout(r->db, 5000);
	return r;
}

static void
raw_close(struct raw *r)
{
	sqlite3_close(r->db);
	free(r);
}

/* One integer from a query with an optional integer parameter $1. */
static long long
sql_int(sqlite3 *db, const char *sql, int64_t arg)
{
	sqlite3_stmt *s = NULL;
	long long v = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return -2;
	if (sqlite3_bind_parameter_count(s) > 0)
		sqlite3_bind_int64(s, 1, arg);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

static long long
raw_int(struct raw *r, const char *sql, int64_t arg)
{
	return sql_int(r->db, sql, arg);
}

static int
sql_exec(sqlite3 *db, const char *sql)
{
	return sqlite3_exec(db, sql, NULL, NULL, NULL);
}

static int
raw_exec(struct raw *r, const char *sql)
{
	return sql_exec(r->db, sql) == SQLITE_OK ? 0 : -1;
}

static const char *
raw_errmsg(struct raw *r)
{
	return sqlite3_errmsg(r->db);
}

static bool
raw_blob(struct raw *r, const char *sql, uint8_t *out, size_t len)
{
	sqlite3_stmt *s = NULL;
	bool ok = false;

	if (sqlite3_prepare_v2(r->db, sql, -1, &s, NULL) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW && sqlite3_column_type(s, 0) == SQLITE_BLOB &&
	    (size_t)sqlite3_column_bytes(s, 0) == len) {
		memcpy(out, sqlite3_column_blob(s, 0), len);
		ok = true;
	}
	sqlite3_finalize(s);
	return ok;
}

#include "store_common.h"

/* ---- open ---- */

static void
test_open(struct pt_store **stp)
{
	struct pt_errbuf err = { "" };
	char wal[256], link[256];
	struct pt_store *st = NULL, *st2 = NULL;

	T_EQ(pt_store_open(dbpath, &st, &err), PT_OK, "open creates the database: %s", err.msg);
	T_EQ(mode_of(dbdir), 0700, "the parent directory is created with mode 0700");
	T_EQ(mode_of(dbpath), 0600, "the database file has mode 0600");
	T_EQ(pt_store_schema_version(st), STORE_SCHEMA, "the newest schema version after the migrations");
	(void)snprintf(wal, sizeof(wal), "%s-wal", dbpath);
	T_EQ(mode_of(wal), 0600, "the -wal file has mode 0600 (WAL mode is on)");
	pt_store_close(st);

	T_EQ(chmod(dbpath, 0644), 0, "loosen the file's mode");
	T_EQ(pt_store_open(dbpath, &st, &err), PT_OK, "reopen: %s", err.msg);
	T_EQ(pt_store_schema_version(st), STORE_SCHEMA, "reopen: migrations are idempotent, still the newest version");
	T_EQ(mode_of(dbpath), 0600, "reopen tightens the file's mode to 0600");
	pt_store_close(st);

	(void)snprintf(link, sizeof(link), "%s/link.db", dbdir);
	T_EQ(symlink(dbpath, link), 0, "make a symlink to the database");
	T_EQ(pt_store_open(link, &st2, &err), PT_EIO, "open refuses a symlink");
	T_OK(st2 == NULL, "no store on failure");
	T_OK(err.msg[0] != '\0', "the error says why: %s", err.msg);
	(void)unlink(link);
	T_EQ(pt_store_open(NULL, &st2, &err), PT_EINVAL, "open without a path");

	T_EQ(pt_store_open(dbpath, stp, &err), PT_OK, "open for the tests: %s", err.msg);
}

/* ---- schema 2: migration from version 1 ---- */

/*
 * Migration 1 as released (store_sqlite.c, migrations[0]): released
 * migrations never change, so this copy is what a version-1 porter left in
 * its files. test_migrate_v1 also checks that it still matches: a file made
 * from it and migrated has the schema of a fresh file, byte for byte.
 */
static const char v1_schema[] =
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
	"  BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;";

/* Every schema object of the file at path, as one string. */
static char *
schema_of(const char *path)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	char *out = NULL;
	const unsigned char *t;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db,
			       "SELECT group_concat(type || ' ' || name || ' ' || tbl_name || ' ' ||"
			       " coalesce(sql, ''), char(10)) FROM (SELECT * FROM sqlite_master"
			       " ORDER BY type, name)",
			       -1, &s, NULL) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW && (t = sqlite3_column_text(s, 0)) != NULL)
		out = strdup((const char *)t);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return out;
}

static void
test_migrate_v1(void)
{
	char dir[160], path[192], fresh[192];
	struct pt_errbuf err = { "" };
	struct pt_store *st = NULL;
	struct pt_home h;
	struct pt_carrier c;
	char *want, *got;
	sqlite3 *db = NULL;
	int role = -1, ok;

	(void)snprintf(dir, sizeof(dir), "%s/v1", tmpdir);
	(void)snprintf(path, sizeof(path), "%s/porter.db", dir);
	(void)snprintf(fresh, sizeof(fresh), "%s/fresh.db", dir);
	ok = mkdir(dir, 0700) == 0 &&
	     sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) ==
		     SQLITE_OK &&
	     sql_exec(db, "PRAGMA journal_mode = WAL; BEGIN IMMEDIATE;"
			  "CREATE TABLE IF NOT EXISTS schema_version ( version INTEGER PRIMARY KEY,"
			  " applied_at INTEGER NOT NULL) STRICT") == SQLITE_OK &&
	     sql_exec(db, v1_schema) == SQLITE_OK &&
	     sql_exec(db, "INSERT INTO schema_version VALUES (1, 1600000000);"
			  "INSERT INTO accounts VALUES (7, 'old@example.org', 'Old', 1, 'x', 1600000000);"
			  "INSERT INTO homes VALUES (3, 'h-old', 'Old flat', 'Europe/Paris', 'n', '{}',"
			  " 1600000001, 1600000002);"
			  "INSERT INTO home_members VALUES (3, 7, 1); COMMIT") == SQLITE_OK;
	T_OK(ok, "a version-1 file with a home, written as porter 1 wrote it: %s",
	     db != NULL ? sqlite3_errmsg(db) : "no db");
	sqlite3_close(db);

	T_EQ(pt_store_open(path, &st, &err), PT_OK, "open migrates it: %s", err.msg);
	T_EQ(pt_store_schema_version(st), STORE_SCHEMA, "to the newest version");
	T_EQ(pt_store_home_get(st, "h-old", 7, &h, &role), PT_OK, "the old home is there");
	T_OK(h.rowid == 3 && strcmp(h.name, "Old flat") == 0 && strcmp(h.tz, "Europe/Paris") == 0 &&
		     strcmp(h.policy, "{}") == 0 && h.created_at == 1600000001 &&
		     h.updated_at == 1600000002 && role == PT_HOME_OWNER,
	     "with its fields");
	T_OK(!h.has_location && h.lat == 0.0 && h.lon == 0.0, "and no location");
	T_EQ(pt_store_carrier_get(st, "c-none", &c), PT_ENOTFOUND, "the new tables answer");
	T_EQ(pt_store_begin(st), PT_OK, "begin");
	h.has_location = true;
	h.lat = 48.8566;
	h.lon = 2.3522;
	T_EQ(pt_store_home_update(st, &h), PT_OK, "the old home gets a location");
	T_EQ(pt_store_commit(st), PT_OK, "commit");
	pt_store_close(st);
	st = NULL;

	db = NULL;
	T_EQ(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK, "a raw connection");
	T_EQ(sql_int(db, "SELECT count(*) FROM schema_version", 0), STORE_SCHEMA, "four schema_version rows");
	T_EQ(sql_int(db, "SELECT count(*) FROM pragma_foreign_key_check", 0), 0,
	     "no foreign key violations");
	sqlite3_close(db);

	T_EQ(pt_store_open(fresh, &st, &err), PT_OK, "a fresh file: %s", err.msg);
	pt_store_close(st);
	st = NULL;
	want = schema_of(fresh);
	got = schema_of(path);
	T_OK(want != NULL && got != NULL && strcmp(want, got) == 0,
	     "the migrated file has the schema of a fresh one, byte for byte");
	free(want);
	free(got);
	T_EQ(pt_store_open(path, &st, &err), PT_OK, "reopen the migrated file: %s", err.msg);
	T_EQ(pt_store_home_get(st, "h-old", 7, &h, &role), PT_OK, "the home");
	T_OK(h.has_location && h.lat == 48.8566 && h.lon == 2.3522, "its location survived");
	pt_store_close(st);
}

/* ---- two threads ---- */

struct race {
	struct pt_store *st;
	atomic_int a_in_tx;
	atomic_int b_waiting;
	atomic_int clock;
	int a_commit_tick, b_begun_tick;
	int a_rc, b_rc, b_write_rc, b_found;
	int64_t b_waited_ms;
};

static void *
race_a(void *arg)
{
	struct race *r = arg;
	struct pt_account a;

	memset(&a, 0, sizeof(a));
	(void)snprintf(a.email, sizeof(a.email), "race@example.org");
	a.role = PT_ROLE_COURIER;
	r->a_rc = pt_store_begin(r->st);
	if (r->a_rc == PT_OK)
		r->a_rc = pt_store_account_insert(r->st, &a);
	atomic_store(&r->a_in_tx, 1);
	while (atomic_load(&r->b_waiting) == 0)
		sleep_ms(1);
	sleep_ms(200);	/* B is inside pt_store_begin by now */
	r->a_commit_tick = atomic_fetch_add(&r->clock, 1) + 1;
	if (r->a_rc == PT_OK)
		r->a_rc = pt_store_commit(r->st);
	else
		pt_store_rollback(r->st);
	return NULL;
}

static void *
race_b(void *arg)
{
	struct race *r = arg;
	struct pt_account a;
	int64_t t0;

	while (atomic_load(&r->a_in_tx) == 0)
		sleep_ms(1);
	memset(&a, 0, sizeof(a));
	(void)snprintf(a.email, sizeof(a.email), "b@example.org");
	a.role = PT_ROLE_COURIER;
	/* A holds the transaction: B's write is refused at once, not queued. */
	r->b_write_rc = pt_store_account_insert(r->st, &a);
	t0 = now_ms();	/* before A is told: A's 200 ms then all fall after it */
	atomic_store(&r->b_waiting, 1);
	r->b_rc = pt_store_begin(r->st);
	r->b_begun_tick = atomic_fetch_add(&r->clock, 1) + 1;
	r->b_waited_ms = now_ms() - t0;
	if (r->b_rc == PT_OK) {
		r->b_found = pt_store_account_by_email(r->st, "race@example.org", &a) == PT_OK;
		pt_store_rollback(r->st);
	}
	return NULL;
}

static void
test_threads(struct pt_store *st)
{
	struct race r;
	pthread_t ta, tb;

	memset(&r, 0, sizeof(r));
	r.st = st;
	atomic_init(&r.a_in_tx, 0);
	atomic_init(&r.b_waiting, 0);
	atomic_init(&r.clock, 0);
	T_EQ(pthread_create(&ta, NULL, race_a, &r), 0, "thread A");
	T_EQ(pthread_create(&tb, NULL, race_b, &r), 0, "thread B");
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	T_EQ(r.a_rc, PT_OK, "A: begin, insert, commit");
	T_EQ(r.b_write_rc, PT_EINVAL, "B: a write while A holds the transaction: EINVAL");
	T_EQ(r.b_rc, PT_OK, "B: begin");
	T_OK(r.a_commit_tick < r.b_begun_tick, "B's begin returned after A started its commit");
	T_OK(r.b_waited_ms >= 150, "B waited in begin (%lld ms)", (long long)r.b_waited_ms);
	T_OK(r.b_found, "B sees A's committed row");
}

/* ---- the key revocation lookup's plan ---- */

/*
 * pt_store_revocation_key_find is one search of revocations_target, never
 * a scan of the home's revocations. The statement is store_sqlite.c's
 * S_REV_KEY_FIND, copied: keep the two alike.
 */
static void
test_key_find_plan(void)
{
	static const char sql[] =
		"EXPLAIN QUERY PLAN"
		" SELECT EXISTS (SELECT 1 FROM revocations r WHERE r.home = h.id"
		" AND r.kind = ?2 AND r.target = ?3) FROM homes h WHERE h.public_id = ?1";
	struct raw *db = raw_open();
	sqlite3_stmt *s = NULL;
	const char *d;
	int rows = 0, searched = 0, scans = 0;

	T_OK(db != NULL && sqlite3_prepare_v2(db->db, sql, -1, &s, NULL) == SQLITE_OK,
	     "explain the key revocation lookup");
	while (s != NULL && sqlite3_step(s) == SQLITE_ROW) {
		d = (const char *)sqlite3_column_text(s, 3);
		rows++;
		if (d != NULL && strstr(d, "SEARCH r USING COVERING INDEX revocations_target") != NULL)
			searched++;
		if (d != NULL && strncmp(d, "SCAN", 4) == 0)
			scans++;
	}
	sqlite3_finalize(s);
	T_OK(rows > 0 && searched == 1 && scans == 0,
	     "one search of revocations_target (home, kind, target), no scan");
	if (db != NULL)
		raw_close(db);
}

/* The chain route's read of a hub's events by seq (S_HUB_EVENT_RANGE in
 * store_sqlite.c) searches events_hub_seq (home, source, hub_seq), in its
 * order: no scan, no sort. */
static void
test_hub_range_plan(void)
{
	static const char sql[] =
		"EXPLAIN QUERY PLAN"
		" SELECT e.id, h.public_id, e.at, e.source, e.type, e.data, e.hub_seq, e.hash"
		" FROM events e JOIN homes h ON h.id = e.home WHERE e.home = ?1 AND e.source = ?2"
		" AND e.hub_seq > 0 AND e.hub_seq BETWEEN ?3 AND ?4 ORDER BY e.hub_seq LIMIT ?5";
	struct raw *db = raw_open();
	sqlite3_stmt *s = NULL;
	const char *d;
	int rows = 0, searched = 0, bad = 0;

	T_OK(db != NULL && sqlite3_prepare_v2(db->db, sql, -1, &s, NULL) == SQLITE_OK,
	     "explain the read of a hub's events by seq");
	while (s != NULL && sqlite3_step(s) == SQLITE_ROW) {
		d = (const char *)sqlite3_column_text(s, 3);
		rows++;
		if (d != NULL && strstr(d, "SEARCH e USING INDEX events_hub_seq") != NULL)
			searched++;
		if (d != NULL && (strncmp(d, "SCAN", 4) == 0 || strstr(d, "TEMP B-TREE") != NULL))
			bad++;
	}
	sqlite3_finalize(s);
	T_OK(rows > 0 && searched == 1 && bad == 0,
	     "one search of events_hub_seq (home, source, hub_seq), no scan, no sort");
	if (db != NULL)
		raw_close(db);
}

/* ---- reopen ---- */

static void
test_reopen(struct pt_store **stp)
{
	struct pt_errbuf err = { "" };
	struct pt_account a;
	struct pt_carrier c;
	struct pt_delivery d;
	int64_t bad = -1, rows = -1;
	struct raw *db;

	pt_store_close(*stp);
	*stp = NULL;
	T_EQ(pt_store_open(dbpath, stp, &err), PT_OK, "reopen: %s", err.msg);
	T_EQ(pt_store_schema_version(*stp), STORE_SCHEMA, "still the newest version");
	T_EQ(pt_store_account_by_email(*stp, "ana@example.org", &a), PT_OK, "data survived");
	T_EQ(pt_store_carrier_get(*stp, "c-0000000000000001", &c), PT_OK, "a carrier survived");
	T_EQ(pt_store_delivery_get(*stp, "d-2", &d), PT_OK, "a delivery survived");
	T_OK(d.state == PT_D_REFUSED && strcmp(d.reason, "dog in the hall") == 0, "as it was");
	T_EQ(pt_store_audit_verify(*stp, &bad, &rows), PT_OK, "the chain verifies");
	T_EQ(rows, 102, "102 rows");
	pt_store_close(*stp);
	*stp = NULL;

	db = raw_open();
	T_OK(db != NULL && raw_exec(db, "INSERT INTO schema_version VALUES (12, 0)") == 0,
	     "a newer program's migration 12 in the file");
	T_EQ(pt_store_open(dbpath, stp, &err), PT_EIO, "open refuses a newer schema");
	T_OK(strstr(err.msg, "version 12") != NULL, "and says so: %s", err.msg);
	T_OK(db != NULL && raw_exec(db, "DELETE FROM schema_version WHERE version = 12") == 0,
	     "remove it");
	if (db != NULL)
		raw_close(db);
	T_EQ(pt_store_open(dbpath, stp, &err), PT_OK, "open again: %s", err.msg);
}

int
main(void)
{
	struct pt_store *st = NULL;
	struct pt_home h;
	struct org org = { 0 };
	int64_t owner = 0, other = 0, ev3 = 0, ev4 = 0;
	int role;

	if (pt_crypto_init() != PT_OK)
		return 1;
	(void)snprintf(tmpdir, sizeof(tmpdir), "/tmp/porter-store-XXXXXX");
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	(void)snprintf(dbdir, sizeof(dbdir), "%s/db", tmpdir);
	(void)snprintf(dbpath, sizeof(dbpath), "%s/porter.db", dbdir);

	test_open(&st);
	if (st != NULL) {
		test_tx(st);
		test_accounts(st, &owner, &other);
		test_sessions(st, owner, other);
		test_homes(st, owner, other);
		test_members(st);
		test_keys(st, owner);
		test_grants(st, owner);
		test_revocations(st);
		test_migrate_v1();
		test_location(st, owner);
		test_carriers(st, &org);
		test_couriers(st, &org);
		test_devices(st, &org);
		test_hubs(st, owner, other);
		test_deliveries(st, &org, owner, other);
		test_events(st, &ev3, &ev4);
		test_alerts(st, owner, other, ev3, ev4);
		test_home_delete_v2(st, &org, owner);
		test_audit_append(st);
		test_audit_hash_input();
		T_EQ(pt_store_home_get(st, "h-one", owner, &h, &role), PT_OK, "h-one's rowid");
		test_cameras(st, owner);
		test_home_delete(st, owner, h.rowid);
		test_revocation_key_find(st, owner);
		test_key_find_plan();
		test_hub_range_plan();
		test_audit_tamper(st);
		test_threads(st);
		test_home_lock_basic(st, owner);
		test_migrate_v9(&st, dbpath, owner);
		if (st != NULL)
			test_reopen(&st);
		if (st != NULL)
			pt_store_close(st);
	}
	rm_tree(tmpdir);
	T_OK(access(tmpdir, F_OK) != 0, "the temporary directory is removed");
	return t_done();
}
