/*
 * tests/unit/test_store_pg.c: the PostgreSQL store against porter/store.h,
 * on a real server.
 *
 * The server: PORTER_PG_URL if set (a libpq URI of a role that may create
 * databases; each test makes its own and drops it), otherwise a throwaway
 * cluster that scripts/pg.sh starts in a temporary directory (under
 * PORTER_SRC) and stops at the end. If neither works the test fails: it
 * never skips.
 *
 * Every check of store_common.h runs here as it runs on SQLite, then what
 * is PostgreSQL's own: opening by URI, migrating a version-1 database, the
 * pool, and several "porterd instances" (struct pt_store opens) sharing one
 * database: the audit chain, revocation versions, the delivery
 * compare-and-set, event idempotency and first-ack-wins hold under races.
 */
#define _GNU_SOURCE	/* pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "porter/keyfile.h"
#include "porter/store.h"
#include "t.h"

static char g_base[512];	/* the server's URI (its maintenance database) */
static char g_dburi[600];	/* the database the current checks use */
static char g_cluster[64];	/* our own cluster's directory, if we started one */
static char g_pgsh[512];	/* scripts/pg.sh */
static char g_made[16][40];	/* databases made, dropped at the end */
static int g_nmade;

static void
bail(const char *why)
{
	printf("Bail out! %s\n", why);
	fflush(stdout);
	exit(1);
}

/* ---- the server ---- */

/* Run sh scripts/pg.sh with args; its first output line into out. */
static int
pg_sh(const char *const args[], char *out, size_t cap)
{
	int fd[2], st;
	pid_t pid;
	size_t n = 0;
	ssize_t got;

	if (out != NULL)
		out[0] = '\0';
	/* Close-on-exec: the server pg.sh starts must not hold the pipe open. */
	if (pipe2(fd, O_CLOEXEC) != 0)
		return -1;
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		const char *argv[8] = {"sh", g_pgsh};
		int i;

		for (i = 0; args[i] != NULL && i < 5; i++)
			argv[2 + i] = args[i];
		argv[2 + i] = NULL;
		close(fd[0]);
		if (dup2(fd[1], 1) < 0)
			_exit(126);
		execv("/bin/sh", (char *const *)(uintptr_t)argv);
		_exit(127);
	}
	close(fd[1]);
	/* Up to the first line: that is all pg.sh prints. */
	while (out != NULL && n + 1 < cap && memchr(out, '\n', n) == NULL &&
	       (got = read(fd[0], out + n, cap - 1 - n)) > 0)
		n += (size_t)got;
	if (out != NULL) {
		out[n] = '\0';
		out[strcspn(out, "\n")] = '\0';
	}
	close(fd[0]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void
cluster_stop(void)
{
	const char *args[] = {"stop", g_cluster, NULL};

	if (g_cluster[0] != '\0') {
		(void)pg_sh(args, NULL, 0);
		(void)rmdir(g_cluster);	/* gone already, unless start failed early */
		g_cluster[0] = '\0';
	}
}

static void
on_signal(int sig)
{
	static const char msg[] = "Bail out! interrupted\n";
	ssize_t w;
	pid_t p;

	if (g_cluster[0] != '\0' && (p = fork()) == 0) {
		char *const argv[] = {(char[]){"sh"}, g_pgsh, (char[]){"stop"}, g_cluster, NULL};
		char *const envp[] = {(char[]){"PATH=/usr/sbin:/usr/bin:/sbin:/bin"}, NULL};

		execve("/bin/sh", argv, envp);
		_exit(127);
	} else if (g_cluster[0] != '\0' && p > 0) {
		waitpid(p, NULL, 0);
	}
	w = write(1, msg, sizeof(msg) - 1);
	(void)w;
	_exit(128 + sig);
}

/* The URI of database name on the server of g_base. */
static void
uri_with_db(const char *name, char *out, size_t cap)
{
	const char *auth = strstr(g_base, "://"), *path, *query;

	auth = auth != NULL ? auth + 3 : g_base;
	query = strchr(auth, '?');
	path = strchr(auth, '/');
	if (path == NULL || (query != NULL && path > query))
		path = query != NULL ? query : auth + strlen(auth);
	if (snprintf(out, cap, "%.*s/%s%s", (int)(path - g_base), g_base, name,
		     query != NULL ? query : "") >= (int)cap)
		bail("URI too long");
}

static PGconn *
admin(void)
{
	PGconn *c = PQconnectdb(g_base);

	if (PQstatus(c) != CONNECTION_OK) {
		printf("# %s", PQerrorMessage(c));
		PQfinish(c);
		bail("cannot connect to the PostgreSQL server");
	}
	return c;
}

/* A fresh database; its URI into uri. */
static void
db_new(char *uri, size_t cap)
{
	char name[40], sql[80];
	PGconn *c = admin();
	PGresult *res;

	if (g_nmade == (int)(sizeof(g_made) / sizeof(g_made[0])))
		bail("too many databases");
	(void)snprintf(name, sizeof(name), "porter_t%d_%d", (int)getpid(), g_nmade);
	(void)snprintf(sql, sizeof(sql), "CREATE DATABASE %s", name);	/* our own name */
	res = PQexec(c, sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		printf("# %s", PQerrorMessage(c));
		bail("cannot create a database (the role needs CREATEDB)");
	}
	PQclear(res);
	PQfinish(c);
	(void)snprintf(g_made[g_nmade++], sizeof(g_made[0]), "%s", name);
	uri_with_db(name, uri, cap);
}

static void
dbs_drop(void)
{
	char sql[80];
	PGconn *c;
	int i;

	if (g_nmade == 0 || g_cluster[0] != '\0')
		return;		/* our own cluster goes as a whole */
	c = PQconnectdb(g_base);
	for (i = 0; i < g_nmade && PQstatus(c) == CONNECTION_OK; i++) {
		(void)snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)", g_made[i]);
		PQclear(PQexec(c, sql));
	}
	PQfinish(c);
	g_nmade = 0;
}

static void
at_exit(void)
{
	dbs_drop();
	cluster_stop();
}

static void
server_init(void)
{
	const char *url = getenv("PORTER_PG_URL"), *src = getenv("PORTER_SRC");
	struct sigaction sa;
	const char *args[3];

	if (src == NULL || src[0] == '\0')
		src = ".";
	if (snprintf(g_pgsh, sizeof(g_pgsh), "%s/scripts/pg.sh", src) >= (int)sizeof(g_pgsh))
		bail("PORTER_SRC too long");
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);
	atexit(at_exit);
	if (url != NULL && url[0] != '\0') {
		if (snprintf(g_base, sizeof(g_base), "%s", url) >= (int)sizeof(g_base))
			bail("PORTER_PG_URL too long");
		printf("# PostgreSQL from PORTER_PG_URL\n");
		return;
	}
	(void)snprintf(g_cluster, sizeof(g_cluster), "/tmp/porter-pgstore-XXXXXX");
	if (mkdtemp(g_cluster) == NULL) {
		g_cluster[0] = '\0';
		bail("mkdtemp failed");
	}
	args[0] = "start";
	args[1] = g_cluster;
	args[2] = NULL;
	if (pg_sh(args, g_base, sizeof(g_base)) != 0 || strncmp(g_base, "postgresql://", 13) != 0) {
		cluster_stop();
		bail("cannot start PostgreSQL with scripts/pg.sh (set PORTER_PG_URL to use a server)");
	}
	printf("# PostgreSQL cluster in %s: %s\n", g_cluster, g_base);
}

/* ---- raw access for store_common.h: a connection of its own ---- */

struct raw {
	PGconn *c;
	char err[256];
};

#define RAW_ZERO32 "decode(repeat('00', 32), 'hex')"
#define RAW_DROP_AUDIT_TRIGGERS                                                                   \
	"DROP TRIGGER audit_no_update ON audit; DROP TRIGGER audit_no_delete ON audit"

static struct raw *
raw_open(void)
{
	struct raw *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	r->c = PQconnectdb(g_dburi);
	if (PQstatus(r->c) != CONNECTION_OK) {
		PQfinish(r->c);
		free(r);
		return NULL;
	}
	PQclear(PQexec(r->c, "SET client_min_messages = warning"));
	return r;
}

static void
raw_close(struct raw *r)
{
	PQfinish(r->c);
	free(r);
}

static PGresult *
raw_query(struct raw *r, const char *sql, int64_t arg, int binary)
{
	char a[24];
	const char *vals[1] = {a};

	(void)snprintf(a, sizeof(a), "%lld", (long long)arg);
	return PQexecParams(r->c, sql, strstr(sql, "$1") != NULL ? 1 : 0, NULL, vals, NULL, NULL,
			    binary);
}

static long long
raw_int(struct raw *r, const char *sql, int64_t arg)
{
	PGresult *res = raw_query(r, sql, arg, 0);
	long long v = -1;

	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		v = -2;
	else if (PQntuples(res) > 0 && !PQgetisnull(res, 0, 0))
		v = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return v;
}

static int
raw_exec(struct raw *r, const char *sql)
{
	PGresult *res = PQexec(r->c, sql);
	ExecStatusType s = PQresultStatus(res);
	int rc = s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK ? 0 : -1;

	if (rc != 0) {	/* the first line: TAP descriptions are one line */
		(void)snprintf(r->err, sizeof(r->err), "%s", PQerrorMessage(r->c));
		r->err[strcspn(r->err, "\n")] = '\0';
	}
	PQclear(res);
	return rc;
}

static const char *
raw_errmsg(struct raw *r)
{
	return r->err;
}

static bool
raw_blob(struct raw *r, const char *sql, uint8_t *out, size_t len)
{
	PGresult *res = raw_query(r, sql, 0, 1);
	bool ok = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) > 0 &&
		  !PQgetisnull(res, 0, 0) && (size_t)PQgetlength(res, 0, 0) == len;

	if (ok)
		memcpy(out, PQgetvalue(res, 0, 0), len);
	PQclear(res);
	return ok;
}

/* The first column of the first row as text (caller frees), or NULL. */
static char *
raw_text(struct raw *r, const char *sql)
{
	PGresult *res = PQexec(r->c, sql);
	char *out = NULL;

	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) > 0 && !PQgetisnull(res, 0, 0))
		out = strdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	return out;
}

#include "store_common.h"

/* ---- open ---- */

static void
test_open(struct pt_store **stp)
{
	struct pt_errbuf err = { "" };
	struct pt_store *st = NULL, *st2 = NULL;
	char bad[700];

	T_EQ(pt_store_open(g_dburi, &st, &err), PT_OK, "open by URI migrates a new database: %s",
	     err.msg);
	T_EQ(pt_store_schema_version(st), STORE_SCHEMA, "the newest schema version after the migrations");
	pt_store_close(st);
	st = NULL;
	T_EQ(pt_store_open(g_dburi, &st, &err), PT_OK, "reopen: %s", err.msg);
	T_EQ(pt_store_schema_version(st), STORE_SCHEMA, "reopen: migrations are idempotent, still the newest version");
	pt_store_close(st);

	(void)snprintf(bad, sizeof(bad),
		       "postgresql://porter:s3cret-pw@/nodb?host=/nonexistent-dir&connect_timeout=2");
	err.msg[0] = '\0';
	T_EQ(pt_store_open(bad, &st2, &err), PT_EIO, "a server that is not there: EIO");
	T_OK(st2 == NULL, "no store on failure");
	T_OK(err.msg[0] != '\0' && strstr(err.msg, "s3cret") == NULL,
	     "the error says why, without the password: %s", err.msg);
	(void)snprintf(bad, sizeof(bad), "postgresql://porter:s3cret%%zz@/x?host=/tmp");
	err.msg[0] = '\0';
	T_EQ(pt_store_open(bad, &st2, &err), PT_EINVAL, "a malformed URI: EINVAL");
	T_OK(err.msg[0] != '\0' && strstr(err.msg, "s3cret") == NULL,
	     "the error does not quote it: %s", err.msg);
	(void)snprintf(bad, sizeof(bad), "postgresql:///%s?host=/tmp&nosuchparam=1", "x");
	T_EQ(pt_store_open(bad, &st2, &err), PT_EINVAL, "an unknown URI parameter: EINVAL");

	T_EQ(pt_store_open(g_dburi, stp, &err), PT_OK, "open for the tests: %s", err.msg);
}

/* ---- the key revocation lookup's plan ---- */

/*
 * pt_store_revocation_key_find is one search of revocations_target, not a
 * scan of the home's revocations, also when the home has thousands (made
 * here with raw SQL in h-two, analysed, then removed). The statement is
 * store_pg.c's S_REV_KEY_FIND with values for its parameters: keep the two
 * alike.
 */
static void
test_key_find_plan(void)
{
	static const char explain[] =
		"EXPLAIN (COSTS OFF)"
		" SELECT EXISTS (SELECT 1 FROM revocations r WHERE r.home = h.id"
		" AND r.kind = 2 AND r.target = decode(repeat('ab', 32), 'hex'))"
		" FROM homes h WHERE h.public_id = 'h-two'";
	struct raw *db = raw_open();
	char plan[4096] = "";
	PGresult *res;
	size_t used = 0;
	int i;

	T_OK(db != NULL, "a raw connection");
	if (db == NULL)
		return;
	T_EQ(raw_exec(db, "INSERT INTO revocations (home, version, envelope, kind, target,"
			  " created_by, created_at)"
			  " SELECT h.id, 100000 + g, int8send(g), 1 + g % 2,"
			  " sha256(int8send(g)), 1, 1"
			  " FROM homes h, generate_series(1, 5000) g WHERE h.public_id = 'h-two';"
			  " ANALYZE revocations"), 0,
	     "5000 revocations in h-two, analysed: %s", raw_errmsg(db));
	res = PQexec(db->c, explain);
	for (i = 0; PQresultStatus(res) == PGRES_TUPLES_OK && i < PQntuples(res) &&
		    used < sizeof(plan); i++)
		used += (size_t)snprintf(plan + used, sizeof(plan) - used, "%s\n",
					 PQgetvalue(res, i, 0));
	PQclear(res);
	T_OK(used < sizeof(plan) && strstr(plan, "revocations_target") != NULL &&
		     strstr(plan, "Seq Scan on revocations") == NULL,
	     "the lookup searches revocations_target (home, kind, target), no scan");
	if (strstr(plan, "revocations_target") == NULL)
		printf("# plan:\n# %s\n", plan);
	T_EQ(raw_exec(db, "DELETE FROM revocations WHERE version > 100000; ANALYZE revocations"), 0,
	     "remove them");
	raw_close(db);
}

/* ---- what the database holds ---- */

static void
test_schema(void)
{
	struct raw *db = raw_open();

	T_OK(db != NULL, "a raw connection");
	if (db == NULL)
		return;
	T_EQ(raw_int(db, "SELECT count(*) FROM schema_version", 0), STORE_SCHEMA, "four schema_version rows");
	T_EQ(raw_int(db, "SELECT count(*) FROM information_schema.tables"
			 " WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'", 0),
	     21, "21 tables: schema_version and the 20 of store_sqlite.c");
	T_OK(raw_exec(db, "INSERT INTO audit VALUES (1, 1, 0, 'x', 't', '{}',"
			  " decode(repeat('00', 32), 'hex'), decode(repeat('00', 31), 'hex'))") != 0,
	     "a CHECK refuses a 31-byte hash");
	T_OK(raw_exec(db, "INSERT INTO accounts (email, name, role, pwhash, created_at)"
			  " VALUES ('Ana@example.org', 'x', 1, 'x', 1)") != 0,
	     "a CHECK refuses an e-mail that is not lowercase");
	T_EQ(raw_exec(db, "INSERT INTO accounts (email, name, role, pwhash, created_at)"
			  " VALUES ('\xc3\x84na@example.org', 'x', 1, 'x', 1)"), 0,
	     "lower() folds ASCII only (COLLATE \"C\"), as SQLite's: an upper-case A-umlaut stays");
	T_EQ(raw_exec(db, "DELETE FROM accounts"), 0, "(remove it)");
	raw_close(db);
}

/* ---- the audit triggers and TRUNCATE ---- */

static void
test_truncate(void)
{
	struct raw *db = raw_open();

	T_OK(db != NULL, "a raw connection");
	if (db == NULL)
		return;
	T_OK(raw_exec(db, "TRUNCATE audit") != 0, "a trigger refuses TRUNCATE of the audit table");
	T_OK(strstr(raw_errmsg(db), "append-only") != NULL, "with its reason");
	raw_close(db);
}

/* ---- migration from version 1 ---- */

/*
 * Migration 1 as released (store_pg.c, migrations[0]): released migrations
 * never change, so this copy is what a version-1 porter left in its
 * databases. test_migrate_v1 checks that a database made from it and
 * migrated has the schema of a fresh one.
 */
static const char v1_schema_a[] =
	"CREATE TABLE accounts ("
	"  id BIGSERIAL PRIMARY KEY,"
	"  email TEXT COLLATE \"C\" NOT NULL UNIQUE"
	"    CHECK (length(email) BETWEEN 1 AND 254 AND email = lower(email)),"
	"  name TEXT NOT NULL,"
	"  role BIGINT NOT NULL CHECK (role BETWEEN 1 AND 4),"
	"  pwhash TEXT NOT NULL,"
	"  created_at BIGINT NOT NULL"
	");"
	"CREATE TABLE sessions ("
	"  token_hash BYTEA PRIMARY KEY CHECK (length(token_hash) = 32),"
	"  account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,"
	"  expires_at BIGINT NOT NULL,"
	"  created_at BIGINT NOT NULL"
	");"
	"CREATE INDEX sessions_account ON sessions(account_id);"
	"CREATE TABLE homes ("
	"  id BIGSERIAL PRIMARY KEY,"
	"  public_id TEXT NOT NULL UNIQUE CHECK (length(public_id) BETWEEN 1 AND 64),"
	"  name TEXT NOT NULL,"
	"  tz TEXT NOT NULL,"
	"  notes TEXT NOT NULL,"
	"  policy TEXT NOT NULL,"
	"  created_at BIGINT NOT NULL,"
	"  updated_at BIGINT NOT NULL"
	");"
	"CREATE TABLE home_members ("
	"  home BIGINT NOT NULL REFERENCES homes(id) ON DELETE CASCADE,"
	"  account BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,"
	"  role BIGINT NOT NULL CHECK (role IN (1, 2)),"
	"  PRIMARY KEY (home, account)"
	");"
	"CREATE INDEX home_members_account ON home_members(account);"
	"CREATE TABLE owner_keys ("
	"  id BIGSERIAL PRIMARY KEY,"
	"  home BIGINT NOT NULL REFERENCES homes(id) ON DELETE CASCADE,"
	"  pk BYTEA NOT NULL CHECK (length(pk) = 32),"
	"  label TEXT NOT NULL,"
	"  added_by BIGINT NOT NULL,"
	"  created_at BIGINT NOT NULL,"
	"  UNIQUE (home, pk)"
	");";
static const char v1_schema_b[] =
	"CREATE TABLE grants ("
	"  id BIGSERIAL PRIMARY KEY,"
	"  home BIGINT NOT NULL REFERENCES homes(id) ON DELETE CASCADE,"
	"  chain BYTEA NOT NULL CHECK (length(chain) BETWEEN 1 AND 2048),"
	"  cti BYTEA NOT NULL CHECK (length(cti) = 16),"
	"  holder BYTEA NOT NULL CHECK (length(holder) = 32),"
	"  n_links BIGINT NOT NULL CHECK (n_links BETWEEN 1 AND 255),"
	"  purpose BIGINT NOT NULL CHECK (purpose BETWEEN 0 AND 255),"
	"  exp BIGINT NOT NULL,"
	"  label TEXT NOT NULL,"
	"  created_by BIGINT NOT NULL,"
	"  created_at BIGINT NOT NULL,"
	"  UNIQUE (home, cti)"
	");"
	"CREATE INDEX grants_home ON grants(home);"
	"CREATE TABLE revocations ("
	"  home BIGINT NOT NULL REFERENCES homes(id) ON DELETE CASCADE,"
	"  version BIGINT NOT NULL CHECK (version >= 1),"
	"  envelope BYTEA NOT NULL CHECK (length(envelope) BETWEEN 1 AND 512),"
	"  kind BIGINT NOT NULL CHECK (kind BETWEEN 0 AND 255),"
	"  target BYTEA NOT NULL CHECK (length(target) <= 32),"
	"  created_by BIGINT NOT NULL,"
	"  created_at BIGINT NOT NULL,"
	"  PRIMARY KEY (home, version),"
	"  UNIQUE (home, envelope)"
	");"
	"CREATE TABLE audit ("
	"  seq BIGINT PRIMARY KEY CHECK (seq >= 1),"
	"  at BIGINT NOT NULL,"
	"  actor BIGINT NOT NULL,"
	"  action TEXT NOT NULL,"
	"  target TEXT NOT NULL,"
	"  detail TEXT NOT NULL,"
	"  prev BYTEA NOT NULL CHECK (length(prev) = 32),"
	"  hash BYTEA NOT NULL CHECK (length(hash) = 32)"
	");"
	"CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS"
	"  $$BEGIN RAISE EXCEPTION 'audit is append-only'; END$$;"
	"CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit"
	"  FOR EACH ROW EXECUTE FUNCTION audit_append_only();"
	"CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit"
	"  FOR EACH ROW EXECUTE FUNCTION audit_append_only();"
	"CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit"
	"  FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();";

/* Every schema object of the current database, as one string. */
static char *
schema_of(struct raw *db)
{
	return raw_text(db,
		"SELECT string_agg(x, E'\\n' ORDER BY x) FROM ("
		" SELECT 'col ' || table_name || '.' || column_name || ' ' || ordinal_position || ' '"
		"  || data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '') || ' '"
		"  || coalesce(collation_name, '') AS x"
		"  FROM information_schema.columns WHERE table_schema = current_schema()"
		" UNION ALL SELECT 'idx ' || indexdef FROM pg_indexes"
		"  WHERE schemaname = current_schema()"
		" UNION ALL SELECT 'con ' || conrelid::regclass || ' ' || conname || ' '"
		"  || pg_get_constraintdef(oid) FROM pg_constraint"
		"  WHERE connamespace = current_schema()::regnamespace"
		" UNION ALL SELECT 'trg ' || pg_get_triggerdef(oid) FROM pg_trigger"
		"  WHERE NOT tgisinternal"
		" UNION ALL SELECT 'fn ' || proname || ' ' || md5(prosrc) FROM pg_proc"
		"  WHERE pronamespace = current_schema()::regnamespace) s");
}

static void
test_migrate_v1(void)
{
	char saved[sizeof(g_dburi)], fresh[sizeof(g_dburi)], v1[sizeof(g_dburi)];
	struct pt_errbuf err = { "" };
	struct pt_store *st = NULL;
	struct pt_home h;
	struct pt_carrier c;
	struct raw *db;
	char *want = NULL, *got = NULL;
	int role = -1, ok;

	memcpy(saved, g_dburi, sizeof(saved));
	db_new(v1, sizeof(v1));
	db_new(fresh, sizeof(fresh));
	memcpy(g_dburi, v1, sizeof(g_dburi));
	db = raw_open();
	ok = db != NULL &&
	     raw_exec(db, "BEGIN; CREATE TABLE IF NOT EXISTS schema_version ("
			  " version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)") == 0 &&
	     raw_exec(db, v1_schema_a) == 0 && raw_exec(db, v1_schema_b) == 0 &&
	     raw_exec(db, "INSERT INTO schema_version VALUES (1, 1600000000);"
			  "INSERT INTO accounts VALUES (7, 'old@example.org', 'Old', 1, 'x', 1600000000);"
			  "INSERT INTO homes VALUES (3, 'h-old', 'Old flat', 'Europe/Paris', 'n', '{}',"
			  " 1600000001, 1600000002);"
			  "INSERT INTO home_members VALUES (3, 7, 1); COMMIT") == 0;
	T_OK(ok, "a version-1 database with a home, as porter 1 wrote it: %s",
	     db != NULL ? raw_errmsg(db) : "no connection");

	T_EQ(pt_store_open(g_dburi, &st, &err), PT_OK, "open migrates it: %s", err.msg);
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
	if (db != NULL) {
		T_EQ(raw_int(db, "SELECT count(*) FROM schema_version", 0), STORE_SCHEMA,
		     "four schema_version rows");
		got = schema_of(db);
		raw_close(db);
	}

	memcpy(g_dburi, fresh, sizeof(g_dburi));
	T_EQ(pt_store_open(g_dburi, &st, &err), PT_OK, "a fresh database: %s", err.msg);
	pt_store_close(st);
	st = NULL;
	if ((db = raw_open()) != NULL) {
		want = schema_of(db);
		raw_close(db);
	}
	T_OK(want != NULL && got != NULL && strcmp(want, got) == 0,
	     "the migrated database has the schema of a fresh one (columns, indexes,"
	     " constraints, triggers, functions)");
	free(want);
	free(got);
	memcpy(g_dburi, v1, sizeof(g_dburi));
	T_EQ(pt_store_open(g_dburi, &st, &err), PT_OK, "reopen the migrated database: %s", err.msg);
	T_EQ(pt_store_home_get(st, "h-old", 7, &h, &role), PT_OK, "the home");
	T_OK(h.has_location && h.lat == 48.8566 && h.lon == 2.3522, "its location survived");
	pt_store_close(st);
	memcpy(g_dburi, saved, sizeof(g_dburi));
}

/* ---- two threads, one store: transactions run side by side ---- */

struct race {
	struct pt_store *st;
	atomic_int a_in_tx, b_done, a_committed;
	int a_rc, b_write_rc, b_begin_rc, b_saw_uncommitted, b_saw_committed, b_began_before_commit;
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
	while (atomic_load(&r->b_done) == 0)
		sleep_ms(1);
	if (r->a_rc == PT_OK)
		r->a_rc = pt_store_commit(r->st);
	else
		pt_store_rollback(r->st);
	atomic_store(&r->a_committed, 1);
	return NULL;
}

static void *
race_b(void *arg)
{
	struct race *r = arg;
	struct pt_account a;

	while (atomic_load(&r->a_in_tx) == 0)
		sleep_ms(1);
	memset(&a, 0, sizeof(a));
	(void)snprintf(a.email, sizeof(a.email), "b@example.org");
	a.role = PT_ROLE_COURIER;
	/* A holds a transaction, B none: B's write is refused at once. */
	r->b_write_rc = pt_store_account_insert(r->st, &a);
	r->b_begin_rc = pt_store_begin(r->st);
	r->b_began_before_commit = atomic_load(&r->a_committed) == 0;
	if (r->b_begin_rc == PT_OK) {
		r->b_saw_uncommitted =
			pt_store_account_by_email(r->st, "race@example.org", &a) == PT_OK;
		atomic_store(&r->b_done, 1);
		while (atomic_load(&r->a_committed) == 0)
			sleep_ms(1);
		/* READ COMMITTED: the next statement sees A's commit. */
		r->b_saw_committed = pt_store_account_by_email(r->st, "race@example.org", &a) == PT_OK;
		pt_store_rollback(r->st);
	} else {
		atomic_store(&r->b_done, 1);
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
	T_EQ(pthread_create(&ta, NULL, race_a, &r), 0, "thread A");
	T_EQ(pthread_create(&tb, NULL, race_b, &r), 0, "thread B");
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	T_EQ(r.a_rc, PT_OK, "A: begin, insert, commit");
	T_EQ(r.b_write_rc, PT_EINVAL, "B: a write outside its own transaction: EINVAL");
	T_EQ(r.b_begin_rc, PT_OK, "B: begin");
	T_OK(r.b_began_before_commit,
	     "B's transaction began while A's was open (each has its own connection)");
	T_OK(!r.b_saw_uncommitted, "B does not see A's uncommitted row");
	T_OK(r.b_saw_committed, "B sees it once A has committed");
}

/* ---- pt_store_home_lock: uploads to one home wait for each other ---- */

struct hlock {
	struct pt_store *st;
	atomic_int a_locked, b_seen_waiting, a_committed, b_done;
	int a_rc, b_rc, b_after_a, b_saw_row;
};

static void *
hlock_a(void *arg)
{
	struct hlock *h = arg;
	struct pt_account a;

	memset(&a, 0, sizeof(a));
	(void)snprintf(a.email, sizeof(a.email), "hlock@example.org");
	a.role = PT_ROLE_COURIER;
	h->a_rc = pt_store_begin(h->st);
	if (h->a_rc == PT_OK)
		h->a_rc = pt_store_home_lock(h->st, "h-lock");
	if (h->a_rc == PT_OK)
		h->a_rc = pt_store_account_insert(h->st, &a);
	atomic_store(&h->a_locked, 1);
	/* Hold the home until the main thread has seen B wait for it (or
	 * gave up looking). */
	while (atomic_load(&h->b_seen_waiting) == 0)
		sleep_ms(1);
	atomic_store(&h->a_committed, 1);
	if (h->a_rc == PT_OK)
		h->a_rc = pt_store_commit(h->st);
	else
		pt_store_rollback(h->st);
	return NULL;
}

static void *
hlock_b(void *arg)
{
	struct hlock *h = arg;
	struct pt_account a;

	while (atomic_load(&h->a_locked) == 0)
		sleep_ms(1);
	h->b_rc = pt_store_begin(h->st);
	if (h->b_rc == PT_OK)
		h->b_rc = pt_store_home_lock(h->st, "h-lock");
	h->b_after_a = atomic_load(&h->a_committed);
	/* READ COMMITTED: what A wrote before letting go is seen now. */
	h->b_saw_row = pt_store_account_by_email(h->st, "hlock@example.org", &a) == PT_OK;
	if (h->b_rc == PT_OK)
		h->b_rc = pt_store_commit(h->st);
	else
		pt_store_rollback(h->st);
	atomic_store(&h->b_done, 1);
	return NULL;
}

/* Whether some backend of the test database waits for a row lock. */
static bool
lock_waiter(void)
{
	struct raw *r = raw_open();
	PGresult *res;
	bool yes = false;

	if (r == NULL)
		return false;
	res = PQexec(r->c, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
			   " AND wait_event_type = 'Lock'");
	yes = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 &&
	      strcmp(PQgetvalue(res, 0, 0), "0") != 0;
	PQclear(res);
	raw_close(r);
	return yes;
}

static void
test_home_lock(struct pt_store *st)
{
	struct hlock h;
	pthread_t ta, tb;
	int i;
	bool waited = false;

	memset(&h, 0, sizeof(h));
	h.st = st;
	T_EQ(pthread_create(&ta, NULL, hlock_a, &h), 0, "thread A");
	T_EQ(pthread_create(&tb, NULL, hlock_b, &h), 0, "thread B");
	while (atomic_load(&h.a_locked) == 0)
		sleep_ms(1);
	/* B must be seen waiting on a lock while A holds the home (10 s at
	 * most: without the lock B runs through and is never seen). */
	for (i = 0; i < 1000 && !waited && atomic_load(&h.b_done) == 0; i++) {
		waited = lock_waiter();
		if (!waited)
			sleep_ms(10);
	}
	atomic_store(&h.b_seen_waiting, 1);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	T_OK(waited, "B's home_lock waits on A's (a backend seen waiting for a lock)");
	T_EQ(h.a_rc, PT_OK, "A: begin, lock, write, commit");
	T_EQ(h.b_rc, PT_OK, "B: begin, lock, commit");
	T_OK(h.b_after_a, "B got the home only once A had let go of it");
	T_OK(h.b_saw_row, "B's next read sees what A committed");
}

/*
 * ---- security review 107: a hub's confirmation against concurrent writes ----
 *
 * What test_hub_confirmed_writes (store_common.h) plays in sequence, with
 * two connections at once, as two porterd sharing the database would:
 * A's transaction writes (and holds its row lock) first; B, in its own,
 * reads what A has not committed yet, then makes the call that must wait
 * for A (seen waiting on a lock) and see what A committed.
 */

struct duel {
	struct pt_store *st;
	const char *home, *hub;		/* where the hub is when the duel starts */
	const char *to;			/* duel_move: the home that registers it */
	int (*a_op)(struct duel *);	/* inside A's transaction, before A waits */
	int (*b_op)(struct duel *);	/* inside B's transaction: must wait for A */
	atomic_int a_ready, go, a_committed, b_done;
	int a_rc, b_rc, b_after_a;
	struct pt_hub seen;		/* what B read, before the call */
};

static void *
duel_a(void *arg)
{
	struct duel *d = arg;

	d->a_rc = pt_store_begin(d->st);
	if (d->a_rc == PT_OK)
		d->a_rc = d->a_op(d);
	atomic_store(&d->a_ready, 1);
	while (atomic_load(&d->go) == 0)
		sleep_ms(1);
	atomic_store(&d->a_committed, 1);
	if (d->a_rc == PT_OK)
		d->a_rc = pt_store_commit(d->st);
	else
		pt_store_rollback(d->st);
	return NULL;
}

static void *
duel_b(void *arg)
{
	struct duel *d = arg;

	while (atomic_load(&d->a_ready) == 0)
		sleep_ms(1);
	d->b_rc = pt_store_begin(d->st);
	if (d->b_rc == PT_OK) {
		d->b_rc = d->b_op(d);
		d->b_after_a = atomic_load(&d->a_committed);
		if (d->b_rc == PT_OK)
			d->b_rc = pt_store_commit(d->st);
		else
			pt_store_rollback(d->st);
	}
	atomic_store(&d->b_done, 1);
	return NULL;
}

/* B must be seen waiting on a lock while A holds it (10 s at most:
 * without the lock B runs through and is never seen); then A commits. */
static bool
duel_run(struct duel *d)
{
	pthread_t ta, tb;
	bool waited = false;
	int i;

	T_EQ(pthread_create(&ta, NULL, duel_a, d), 0, "thread A");
	T_EQ(pthread_create(&tb, NULL, duel_b, d), 0, "thread B");
	while (atomic_load(&d->a_ready) == 0)
		sleep_ms(1);
	for (i = 0; i < 1000 && !waited && atomic_load(&d->b_done) == 0; i++) {
		waited = lock_waiter();
		if (!waited)
			sleep_ms(10);
	}
	atomic_store(&d->go, 1);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	return waited;
}

static int
duel_confirm(struct duel *d)
{
	bool changed = false;

	return pt_store_hub_confirm_set(d->st, d->home, d->hub, true, &changed);
}

static int
duel_disown(struct duel *d)
{
	bool changed = false;

	return pt_store_hub_confirm_set(d->st, d->home, d->hub, false, &changed);
}

/* Another home's registration, as hub_pair does it: the read, then the
 * replacement of the row read. */
static int
duel_replace(struct duel *d)
{
	int r = pt_store_hub_by_id(d->st, d->hub, &d->seen);

	if (r != PT_OK || d->seen.confirmed)
		return r != PT_OK ? r : PT_EEXISTS;
	return pt_store_hub_delete_unconfirmed(d->st, d->seen.home_id, d->hub, d->seen.rowid, 0);
}

/* The hub leaves d->home and d->to registers it. */
static int
duel_move(struct duel *d)
{
	struct pt_hub h;
	int r;

	if ((r = pt_store_hub_delete(d->st, d->home, d->hub, 0)) != PT_OK)
		return r;
	hub_init(&h, d->hub, d->to, 80, 0);
	return pt_store_hub_insert(d->st, &h);
}

/* on_events/on_state: the row read (confirmed, in d->home), then held. */
static int
duel_hold_read(struct duel *d)
{
	int r = pt_store_hub_by_id(d->st, d->hub, &d->seen);

	return r != PT_OK ? r : pt_store_hub_hold(d->st, d->seen.home_id, d->hub);
}

/* A holds the row and stores the hub's event under d->home. */
static int
duel_hold_store(struct duel *d)
{
	int r = pt_store_hub_hold(d->st, d->home, d->hub);

	return r != PT_OK ? r : add_hub_event(d->st, d->home, d->hub, 1, 141);
}

static void
duel_init(struct duel *d, struct pt_store *st, const char *home, const char *hub,
	  int (*a_op)(struct duel *), int (*b_op)(struct duel *))
{
	memset(d, 0, sizeof(*d));
	d->st = st;
	d->home = home;
	d->hub = hub;
	d->a_op = a_op;
	d->b_op = b_op;
}

static void
test_hub_duels(struct pt_store *st, int64_t owner)
{
	static const char *const d1 = "hub-00000000000000d2";
	struct pt_home h;
	struct pt_hub b, x;
	struct duel d;
	int64_t seq = 0;
	uint8_t hash[PT_HASH_LEN];
	bool changed = false, waited;

	T_EQ(pt_store_begin(st), PT_OK, "begin");
	home_init(&h, "h-duel1", "Duel1");
	T_EQ(pt_store_home_insert(st, &h, owner), PT_OK, "home h-duel1");
	home_init(&h, "h-duel2", "Duel2");
	T_EQ(pt_store_home_insert(st, &h, owner), PT_OK, "home h-duel2");
	hub_init(&b, d1, "h-duel1", 80, owner);
	T_EQ(pt_store_hub_insert(st, &b), PT_OK, "hub d2 in h-duel1, unconfirmed");
	T_EQ(pt_store_commit(st), PT_OK, "commit");

	/* L1: A confirms h-duel1 (porterd 1, on_home); B replaces the row
	 * it read unconfirmed (porterd 2, another home's registration). */
	duel_init(&d, st, "h-duel1", d1, duel_confirm, duel_replace);
	waited = duel_run(&d);
	T_OK(waited, "L1: the replacement waits for the confirmation's row lock");
	T_EQ(d.a_rc, PT_OK, "A: confirmed, committed");
	T_OK(!d.seen.confirmed && strcmp(d.seen.home_id, "h-duel1") == 0,
	     "B read the row unconfirmed (A had not committed)");
	T_EQ(d.b_rc, PT_EEXISTS, "B's replacement: EEXISTS (409), not a lost confirmation");
	T_OK(d.b_after_a, "B was answered only once A had committed");
	T_EQ(pt_store_hub_by_id(st, d1, &x), PT_OK, "d2 read");
	T_OK(x.confirmed && x.rowid == b.rowid && strcmp(x.home_id, "h-duel1") == 0,
	     "the same row, in h-duel1, confirmed");

	/* L2: B (on_events) read d2 confirmed in h-duel1; A moves it to
	 * h-duel2 meanwhile. */
	duel_init(&d, st, "h-duel1", d1, duel_move, duel_hold_read);
	d.to = "h-duel2";
	waited = duel_run(&d);
	T_OK(waited, "L2: the hold waits for the removal's row lock");
	T_EQ(d.a_rc, PT_OK, "A: removed from h-duel1, registered in h-duel2, committed");
	T_OK(d.seen.confirmed && strcmp(d.seen.home_id, "h-duel1") == 0,
	     "B read it confirmed in h-duel1 (A had not committed)");
	T_EQ(d.b_rc, PT_ENOTFOUND, "B's hold: ENOTFOUND, nothing stored");
	T_OK(d.b_after_a, "B was answered only once A had committed");

	/* And the other way: A holds d2 (confirmed in h-duel2) and stores
	 * its event; B (the hub disowns h-duel2) waits until A is done. */
	T_EQ(pt_store_begin(st), PT_OK, "begin");
	T_EQ(pt_store_hub_confirm_set(st, "h-duel2", d1, true, &changed), PT_OK,
	     "d2 confirms h-duel2");
	T_EQ(pt_store_commit(st), PT_OK, "commit");
	duel_init(&d, st, "h-duel2", d1, duel_hold_store, duel_disown);
	waited = duel_run(&d);
	T_OK(waited, "L2: the un-confirmation waits for the hold");
	T_EQ(d.a_rc, PT_OK, "A: held, stored its event, committed");
	T_EQ(d.b_rc, PT_OK, "B: disowned once A was done");
	T_OK(d.b_after_a, "after A's commit");
	T_EQ(pt_store_hub_event_last(st, d1, &seq, hash), PT_OK, "d2's last event");
	T_EQ(seq, 1, "seq 1, stored while d2 was confirmed in h-duel2");
	T_EQ(pt_store_hub_by_id(st, d1, &x), PT_OK, "d2 read");
	T_OK(!x.confirmed && strcmp(x.home_id, "h-duel2") == 0, "unconfirmed now");

	T_EQ(pt_store_begin(st), PT_OK, "begin");
	T_EQ(pt_store_home_delete(st, "h-duel1"), PT_OK, "delete h-duel1");
	T_EQ(pt_store_home_delete(st, "h-duel2"), PT_OK, "delete h-duel2");
	T_EQ(pt_store_commit(st), PT_OK, "commit");
}

/* ---- the pool: more threads than connections ---- */

#define POOL_THREADS 20
#define POOL_TX 15

struct pool_arg {
	struct pt_store *st;
	int n, ok;
};

static void *
pool_run(void *p)
{
	struct pool_arg *a = p;
	struct pt_account acct, back;
	int i;

	for (i = 0; i < POOL_TX; i++) {
		memset(&acct, 0, sizeof(acct));
		(void)snprintf(acct.email, sizeof(acct.email), "pool-%d-%d@example.org", a->n, i);
		(void)snprintf(acct.name, sizeof(acct.name), "pool");
		(void)snprintf(acct.pwhash, sizeof(acct.pwhash), "x");
		acct.role = PT_ROLE_COURIER;
		if (pt_store_begin(a->st) != PT_OK)
			continue;
		if (pt_store_account_insert(a->st, &acct) != PT_OK ||
		    pt_store_account_by_email(a->st, acct.email, &back) != PT_OK ||
		    back.id != acct.id) {
			pt_store_rollback(a->st);
			continue;
		}
		if (pt_store_commit(a->st) == PT_OK &&
		    pt_store_account_by_id(a->st, acct.id, &back) == PT_OK)
			a->ok++;
	}
	return NULL;
}

static void
test_pool(struct pt_store *st)
{
	struct pool_arg args[POOL_THREADS];
	pthread_t th[POOL_THREADS];
	int i, started = 0, ok = 0;

	for (i = 0; i < POOL_THREADS; i++) {
		args[i].st = st;
		args[i].n = i;
		args[i].ok = 0;
		if (pthread_create(&th[i], NULL, pool_run, &args[i]) == 0)
			started++;
		else
			break;
	}
	for (i = 0; i < started; i++) {
		pthread_join(th[i], NULL);
		ok += args[i].ok;
	}
	T_EQ(started, POOL_THREADS, "%d threads on one store (more than its connections)",
	     POOL_THREADS);
	T_EQ(ok, POOL_THREADS * POOL_TX,
	     "every transaction committed and read back: they wait for a connection, never fail");
}

/* ---- several porterd instances on one database ---- */

#define SHARED_THREADS 6	/* split over two stores */
#define SHARED_ROUNDS 25
#define SHARED_HOMES 2

struct shared_arg {
	struct pt_store *st;
	int n, ok, rev_fail, audit_fail;
};

static void *
shared_run(void *p)
{
	struct shared_arg *a = p;
	struct pt_revocation_row v;
	char home[16], target[32];
	int i;

	for (i = 0; i < SHARED_ROUNDS; i++) {
		(void)snprintf(home, sizeof(home), "h-s%d", (a->n + i) % SHARED_HOMES);
		(void)snprintf(target, sizeof(target), "home:%s", home);
		memset(&v, 0, sizeof(v));
		(void)snprintf(v.home_id, sizeof(v.home_id), "%s", home);
		v.envelope_len = 12;
		(void)snprintf((char *)v.envelope, sizeof(v.envelope), "%03d-%07d", a->n, i);
		v.kind = 1;
		v.target_len = 16;
		fill(v.target, v.target_len, (uint8_t)i);
		v.created_by = 1;
		v.created_at = 1700000000 + i;
		if (pt_store_begin(a->st) != PT_OK)
			continue;
		if (pt_store_revocation_insert(a->st, &v) != PT_OK) {
			a->rev_fail++;
			pt_store_rollback(a->st);
			continue;
		}
		/* Something else between the two, as a request would. */
		if (i % 3 == 0)
			sleep_ms(1);
		if (pt_store_audit_append(a->st, 1700000000 + i, a->n, "revocation.create", target,
					  "{}") != PT_OK) {
			a->audit_fail++;
			pt_store_rollback(a->st);
			continue;
		}
		if (pt_store_commit(a->st) == PT_OK)
			a->ok++;
	}
	return NULL;
}

struct cas_arg {
	struct pt_store *st;
	pthread_barrier_t *b;
	int n, rc;
};

static void *
cas_run(void *p)
{
	struct cas_arg *a = p;
	struct pt_delivery d;
	int r;

	a->rc = -1;
	if (pt_store_delivery_get(a->st, "d-race", &d) != PT_OK)
		return NULL;
	d.state = PT_D_CANCELLED;
	d.updated_at = 1700009000 + a->n;
	(void)snprintf(d.reason, sizeof(d.reason), "by %d", a->n);
	pthread_barrier_wait(a->b);
	if (pt_store_begin(a->st) != PT_OK)
		return NULL;
	r = pt_store_delivery_update(a->st, &d, PT_D_SCHEDULED, a->n);
	if (r == PT_OK) {
		sleep_ms(100);	/* the others queue on the row meanwhile */
		r = pt_store_commit(a->st);
	} else {
		pt_store_rollback(a->st);
	}
	a->rc = r;
	return NULL;
}

/* Two owners of one home removed at once, from two stores: the home's
 * row lock makes the second wait and then see that it is the last owner. */
struct unown_arg {
	struct pt_store *st;
	pthread_barrier_t *b;
	int64_t account;
	int rc;
};

static void *
unown_run(void *p)
{
	struct unown_arg *a = p;
	int role = 0, r;

	a->rc = -1;
	pthread_barrier_wait(a->b);
	if (pt_store_begin(a->st) != PT_OK)
		return NULL;
	r = pt_store_member_remove(a->st, "h-s1", a->account, &role);
	if (r == PT_OK) {
		sleep_ms(100);	/* the other waits on the home's row meanwhile */
		r = pt_store_commit(a->st);
	} else {
		pt_store_rollback(a->st);
	}
	a->rc = r;
	return NULL;
}

struct event_arg {
	struct pt_store *st;
	pthread_barrier_t *b;
	int rc;
	int64_t id;
};

static void *
event_run(void *p)
{
	struct event_arg *a = p;
	int r;

	a->rc = -1;
	pthread_barrier_wait(a->b);
	if (pt_store_begin(a->st) != PT_OK)
		return NULL;
	r = add_event(a->st, "h-s0", "hub:hub-00000000000000aa", 77, &a->id);
	if (r == PT_OK) {
		sleep_ms(100);
		r = pt_store_commit(a->st);
	} else {
		pt_store_rollback(a->st);
	}
	a->rc = r;
	return NULL;
}

struct ack_arg {
	struct pt_store *st;
	pthread_barrier_t *b;
	int64_t alert, account;
	int rc;
	struct pt_alert_row row;
};

static void *
ack_run(void *p)
{
	struct ack_arg *a = p;
	int r;

	a->rc = -1;
	pthread_barrier_wait(a->b);
	if (pt_store_begin(a->st) != PT_OK)
		return NULL;
	r = pt_store_alert_ack(a->st, "h-s0", a->alert, a->account, 1700009100 + a->account,
			       &a->row);
	if (r == PT_OK)
		r = pt_store_commit(a->st);
	else
		pt_store_rollback(a->st);
	a->rc = r;
	return NULL;
}

static void
test_shared(void)
{
	struct pt_errbuf err = { "" };
	struct pt_store *s[2] = {NULL, NULL};
	struct shared_arg args[SHARED_THREADS];
	struct cas_arg cas[8];
	struct event_arg ev[6];
	struct ack_arg ack[6];
	pthread_t th[8];
	pthread_barrier_t b;
	static struct pt_revocation_row revs[SHARED_THREADS * SHARED_ROUNDS + 1];
	struct pt_carrier car;
	struct pt_delivery d;
	struct pt_home h;
	struct pt_event_row evs[4];
	int64_t owner, bad = -1, rows = -1, alert = 0;
	size_t n = 0, k;
	int i, ok = 0, fails = 0, wins, conflicts, exists, gaps, total;

	memset(&car, 0, sizeof(car));
	T_EQ(pt_store_open(g_dburi, &s[0], &err), PT_OK, "porterd 1 opens the database: %s",
	     err.msg);
	T_EQ(pt_store_open(g_dburi, &s[1], &err), PT_OK, "porterd 2 opens the same database: %s",
	     err.msg);
	if (s[0] == NULL || s[1] == NULL)
		goto out;
	owner = new_account(s[0], "shared@example.org", PT_ROLE_OWNER);
	T_EQ(pt_store_begin(s[0]), PT_OK, "begin");
	for (i = 0; i < SHARED_HOMES; i++) {
		char id[16];

		(void)snprintf(id, sizeof(id), "h-s%d", i);
		home_init(&h, id, "Shared");
		T_EQ(pt_store_home_insert(s[0], &h, owner), PT_OK, "home %s", id);
	}
	T_EQ(pt_store_commit(s[0]), PT_OK, "commit");
	T_EQ(pt_store_home_get(s[1], "h-s1", owner, &h, &i), PT_OK,
	     "porterd 2 sees what porterd 1 committed");
	T_EQ(pt_store_audit_verify(s[0], &bad, &rows), PT_OK, "the chain verifies before");
	total = (int)rows;

	/* Audit rows and revocations from both, at once. */
	for (i = 0; i < SHARED_THREADS; i++) {
		memset(&args[i], 0, sizeof(args[i]));
		args[i].st = s[i % 2];
		args[i].n = i;
		if (pthread_create(&th[i], NULL, shared_run, &args[i]) != 0)
			bail("pthread_create");
	}
	for (i = 0; i < SHARED_THREADS; i++) {
		pthread_join(th[i], NULL);
		ok += args[i].ok;
		fails += args[i].rev_fail + args[i].audit_fail;
	}
	T_EQ(ok, SHARED_THREADS * SHARED_ROUNDS,
	     "%d threads on two stores: every revocation + audit transaction committed (%d failed)",
	     SHARED_THREADS, fails);
	T_EQ(pt_store_audit_verify(s[1], &bad, &rows), PT_OK,
	     "the audit chain verifies (first bad row: %lld)", (long long)bad);
	T_EQ(rows, total + SHARED_THREADS * SHARED_ROUNDS, "with every row, none lost");
	total = 0;
	gaps = 0;
	for (i = 0; i < SHARED_HOMES; i++) {
		char id[16];

		(void)snprintf(id, sizeof(id), "h-s%d", i);
		if (pt_store_revocation_list(s[i % 2], id, 0, revs, sizeof(revs) / sizeof(revs[0]),
					     &n) != PT_OK) {
			gaps++;
			continue;
		}
		for (k = 0; k < n; k++)
			if (revs[k].version != (int64_t)k + 1)
				gaps++;
		total += (int)n;
	}
	T_EQ(total, SHARED_THREADS * SHARED_ROUNDS, "every revocation stored");
	T_EQ(gaps, 0, "each home's versions are 1..N: no gap, no duplicate");

	/* The delivery compare-and-set: one of eight racing updates wins. */
	carrier_init(&car, "c-00000000000000ff", 90, owner, false);
	delivery_init(&d, "d-race", "h-s0", car.id, 1700008000);
	T_EQ(pt_store_begin(s[0]), PT_OK, "begin");
	T_EQ(pt_store_carrier_insert(s[0], &car), PT_OK, "a carrier");
	T_EQ(pt_store_delivery_insert(s[0], &d, owner), PT_OK, "a scheduled delivery");
	T_EQ(pt_store_commit(s[0]), PT_OK, "commit");
	pthread_barrier_init(&b, NULL, 8);
	for (i = 0; i < 8; i++) {
		cas[i].st = s[i % 2];
		cas[i].b = &b;
		cas[i].n = i + 1;
		if (pthread_create(&th[i], NULL, cas_run, &cas[i]) != 0)
			bail("pthread_create");
	}
	wins = conflicts = 0;
	for (i = 0; i < 8; i++) {
		pthread_join(th[i], NULL);
		wins += cas[i].rc == PT_OK;
		conflicts += cas[i].rc == PT_ECONFLICT;
	}
	pthread_barrier_destroy(&b);
	T_EQ(wins, 1, "eight racing updates from scheduled, on two stores: exactly one wins");
	T_EQ(conflicts, 7, "the other seven get ECONFLICT");
	T_EQ(steps_of(s[1], "d-race"), 2, "two steps: scheduled and the winner's");
	T_EQ(pt_store_delivery_get(s[1], "d-race", &d), PT_OK, "read it");
	for (i = 0; i < 8; i++)
		if (cas[i].rc == PT_OK)
			T_OK(d.state == PT_D_CANCELLED && d.updated_at == 1700009000 + cas[i].n,
			     "the winner's write stands (%s)", d.reason);

	/* Two owners removing each other at once: one home owner stays. */
	{
		struct unown_arg un[2];
		struct pt_member ms[4];
		int64_t second = new_account(s[0], "shared2@example.org", PT_ROLE_OWNER);

		T_EQ(pt_store_begin(s[0]), PT_OK, "begin");
		T_EQ(pt_store_member_add(s[0], "h-s1", second, PT_HOME_OWNER), PT_OK,
		     "a second owner of h-s1");
		T_EQ(pt_store_commit(s[0]), PT_OK, "commit");
		pthread_barrier_init(&b, NULL, 2);
		for (i = 0; i < 2; i++) {
			un[i].st = s[i];
			un[i].b = &b;
			un[i].account = i == 0 ? owner : second;
			if (pthread_create(&th[i], NULL, unown_run, &un[i]) != 0)
				bail("pthread_create");
		}
		for (i = 0; i < 2; i++)
			pthread_join(th[i], NULL);
		pthread_barrier_destroy(&b);
		T_EQ((un[0].rc == PT_OK) + (un[1].rc == PT_OK), 1,
		     "two owners removed at once, on two stores: one removal wins");
		T_EQ((un[0].rc == PT_ECONFLICT) + (un[1].rc == PT_ECONFLICT), 1,
		     "the other is ECONFLICT (last owner)");
		T_EQ(pt_store_member_list(s[1], "h-s1", ms, 4, &n), PT_OK, "h-s1's members");
		T_OK(n == 1 && ms[0].role == PT_HOME_OWNER, "one owner is left");
		/* Put the first owner back for what follows. */
		if (un[0].rc == PT_OK) {
			T_EQ(pt_store_begin(s[0]), PT_OK, "begin");
			T_EQ(pt_store_member_add(s[0], "h-s1", owner, PT_HOME_OWNER), PT_OK,
			     "the first owner back");
			T_EQ(pt_store_commit(s[0]), PT_OK, "commit");
		}
	}

	/* A hub's event sent to several instances at once: stored once. */
	pthread_barrier_init(&b, NULL, 6);
	for (i = 0; i < 6; i++) {
		ev[i].st = s[i % 2];
		ev[i].b = &b;
		if (pthread_create(&th[i], NULL, event_run, &ev[i]) != 0)
			bail("pthread_create");
	}
	wins = exists = 0;
	for (i = 0; i < 6; i++) {
		pthread_join(th[i], NULL);
		wins += ev[i].rc == PT_OK;
		exists += ev[i].rc == PT_EEXISTS;
	}
	pthread_barrier_destroy(&b);
	T_EQ(wins, 1, "six racing appends of one (home, source, hub_seq): one is stored");
	T_EQ(exists, 5, "the other five get EEXISTS");
	T_EQ(pt_store_event_list(s[0], "h-s0", 0, evs, 4, &n), PT_OK, "h-s0's events");
	T_EQ(n, 1, "one event");
	for (i = 0; i < 6; i++)
		if (ev[i].rc == PT_OK)
			T_EQ(evs[0].id, ev[i].id, "the winner's");

	/* First acknowledgement wins, across instances. */
	T_EQ(pt_store_begin(s[1]), PT_OK, "begin");
	T_EQ(add_alert(s[1], "h-s0", evs[0].id, &alert), PT_OK, "an alert for that event");
	T_EQ(pt_store_commit(s[1]), PT_OK, "commit");
	pthread_barrier_init(&b, NULL, 6);
	for (i = 0; i < 6; i++) {
		ack[i].st = s[i % 2];
		ack[i].b = &b;
		ack[i].alert = alert;
		ack[i].account = 100 + i;
		if (pthread_create(&th[i], NULL, ack_run, &ack[i]) != 0)
			bail("pthread_create");
	}
	wins = 0;
	for (i = 0; i < 6; i++) {
		pthread_join(th[i], NULL);
		wins += ack[i].rc == PT_OK;
	}
	pthread_barrier_destroy(&b);
	T_EQ(wins, 6, "six racing acknowledgements: all PT_OK");
	for (i = 1, ok = 1; i < 6; i++)
		ok = ok && ack[i].row.acked_by == ack[0].row.acked_by &&
		     ack[i].row.acked_at == ack[0].row.acked_at && ack[0].row.acked_by >= 100;
	T_OK(ok, "and every one returns the same, first, acknowledgement (by %lld)",
	     (long long)ack[0].row.acked_by);
out:
	pt_store_close(s[0]);
	pt_store_close(s[1]);
}

/* ---- two porterd starting at once on an empty database ---- */

struct open_arg {
	pthread_barrier_t *b;
	struct pt_store *st;
	struct pt_errbuf err;
	int rc;
};

static void *
open_run(void *p)
{
	struct open_arg *a = p;

	pthread_barrier_wait(a->b);
	a->rc = pt_store_open(g_dburi, &a->st, &a->err);
	return NULL;
}

static void
test_open_race(void)
{
	char saved[sizeof(g_dburi)];
	struct open_arg a[4];
	pthread_barrier_t b;
	pthread_t th[4];
	struct raw *db;
	int i, ok = 1;

	memcpy(saved, g_dburi, sizeof(saved));
	db_new(g_dburi, sizeof(g_dburi));
	pthread_barrier_init(&b, NULL, 4);
	for (i = 0; i < 4; i++) {
		memset(&a[i], 0, sizeof(a[i]));
		a[i].b = &b;
		if (pthread_create(&th[i], NULL, open_run, &a[i]) != 0)
			bail("pthread_create");
	}
	for (i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		if (a[i].rc != PT_OK || pt_store_schema_version(a[i].st) != STORE_SCHEMA) {
			printf("# open %d: %s\n", i, a[i].err.msg);
			ok = 0;
		}
		pt_store_close(a[i].st);
	}
	pthread_barrier_destroy(&b);
	T_OK(ok, "four stores opening an empty database at once all migrate it to the newest version");
	db = raw_open();
	T_EQ(db != NULL ? raw_int(db, "SELECT count(*) FROM schema_version", 0) : -1, STORE_SCHEMA,
	     "each migration applied once");
	if (db != NULL)
		raw_close(db);
	memcpy(g_dburi, saved, sizeof(g_dburi));
}

/* ---- lost connections ---- */

static void
test_reconnect(struct pt_store *st)
{
	struct raw *db = raw_open();
	struct pt_account a;
	const char *kill_all = "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
			       " WHERE datname = current_database() AND pid <> pg_backend_pid()";

	T_OK(db != NULL, "a raw connection");
	if (db == NULL)
		return;
	T_OK(raw_int(db, kill_all, 0) >= 1, "the server drops the store's connections");
	sleep_ms(100);
	T_EQ(pt_store_account_by_email(st, "ana@example.org", &a), PT_OK,
	     "a read outside a transaction reconnects and succeeds");
	T_EQ(pt_store_begin(st), PT_OK, "begin after the reconnect");
	T_EQ(pt_store_account_by_email(st, "ana@example.org", &a), PT_OK, "a read in it");
	T_OK(raw_int(db, kill_all, 0) >= 1, "the server drops them again, mid-transaction");
	sleep_ms(100);
	memset(&a, 0, sizeof(a));
	(void)snprintf(a.email, sizeof(a.email), "lost@example.org");
	a.role = PT_ROLE_COURIER;
	T_EQ(pt_store_account_insert(st, &a), PT_EIO, "a write in the lost transaction: EIO");
	T_EQ(pt_store_commit(st), PT_EIO, "its commit: EIO");
	T_EQ(pt_store_account_by_email(st, "lost@example.org", &a), PT_ENOTFOUND,
	     "nothing of it was stored");
	(void)snprintf(a.email, sizeof(a.email), "lost@example.org");	/* zeroed by the lookup */
	a.role = PT_ROLE_COURIER;
	T_EQ(pt_store_begin(st), PT_OK, "the next transaction begins");
	T_EQ(pt_store_account_insert(st, &a), PT_OK, "and writes");
	T_EQ(pt_store_commit(st), PT_OK, "and commits");
	raw_close(db);
}

/* ---- reopen ---- */

static void
test_reopen(struct pt_store **stp)
{
	struct pt_errbuf err = { "" };
	struct pt_account a;
	struct pt_delivery d;
	int64_t bad = -1, rows = -1;
	struct raw *db;

	pt_store_close(*stp);
	*stp = NULL;
	T_EQ(pt_store_open(g_dburi, stp, &err), PT_OK, "reopen: %s", err.msg);
	T_EQ(pt_store_schema_version(*stp), STORE_SCHEMA, "still the newest version");
	T_EQ(pt_store_account_by_email(*stp, "ana@example.org", &a), PT_OK, "data survived");
	T_EQ(pt_store_delivery_get(*stp, "d-2", &d), PT_OK, "a delivery survived");
	T_OK(d.state == PT_D_REFUSED && strcmp(d.reason, "dog in the hall") == 0, "as it was");
	T_EQ(pt_store_audit_verify(*stp, &bad, &rows), PT_OK, "the chain verifies");
	T_EQ(rows, 102, "102 rows");
	pt_store_close(*stp);
	*stp = NULL;

	db = raw_open();
	T_OK(db != NULL && raw_exec(db, "INSERT INTO schema_version VALUES (12, 0)") == 0,
	     "a newer program's migration 12 in the database");
	T_EQ(pt_store_open(g_dburi, stp, &err), PT_EIO, "open refuses a newer schema");
	T_OK(strstr(err.msg, "version 12") != NULL, "and says so: %s", err.msg);
	T_OK(db != NULL && raw_exec(db, "DELETE FROM schema_version WHERE version = 12") == 0,
	     "remove it");
	if (db != NULL)
		raw_close(db);
	T_EQ(pt_store_open(g_dburi, stp, &err), PT_OK, "open again: %s", err.msg);
}

int
main(void)
{
	struct pt_store *st = NULL;
	struct pt_home h;
	struct org org = { 0 };
	int64_t owner = 0, other = 0, ev3 = 0, ev4 = 0;
	int role;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (pt_crypto_init() != PT_OK)
		return 1;
	server_init();
	db_new(g_dburi, sizeof(g_dburi));

	test_open(&st);
	if (st == NULL)
		bail("cannot open the store");
	test_schema();
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
	test_truncate();
	test_audit_tamper(st);
	test_threads(st);
	test_home_lock_basic(st, owner);
	test_home_lock(st);
	test_hub_duels(st, owner);
	test_migrate_v9(&st, g_dburi, owner);
	if (st == NULL)
		bail("cannot reopen the store");
	test_reopen(&st);
	if (st != NULL) {
		test_pool(st);
		test_reconnect(st);
		pt_store_close(st);
	}
	/* A database of its own: the shared-database races. */
	db_new(g_dburi, sizeof(g_dburi));
	test_shared();
	test_open_race();
	dbs_drop();
	cluster_stop();
	T_OK(g_cluster[0] == '\0', "the PostgreSQL server and its databases are gone");
	return t_done();
}
