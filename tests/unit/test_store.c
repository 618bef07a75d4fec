/*
 * tests/unit/test_store.c: the SQLite store against porter/store.h.
 *
 * Every check runs on a fresh database in a temporary directory, removed at
 * the end. Damage to the audit chain is done through a second, raw SQLite
 * connection, the way an intruder with the file would do it.
 */
#define _GNU_SOURCE	/* nftw's FTW_DEPTH and FTW_PHYS */
#include <errno.h>
#include <ftw.h>
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

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* A raw connection to the same file, past the store's checks. */
static sqlite3 *
raw_open(void)
{
	sqlite3 *db = NULL;

	if (sqlite3_open_v2(dbpath, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		sqlite3_close(db);
		return NULL;
	}
	sqlite3_busy_timeout(db, 5000);
	return db;
}

/* One integer from a query with an optional integer parameter ?1. */
static long long
raw_int(sqlite3 *db, const char *sql, int64_t arg)
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

static int
raw_exec(sqlite3 *db, const char *sql)
{
	return sqlite3_exec(db, sql, NULL, NULL, NULL);
}

static bool
all_zero(const void *p, size_t len)
{
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i < len; i++)
		if (b[i] != 0)
			return false;
	return true;
}

static void
fill(uint8_t *p, size_t len, uint8_t seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(seed + i * 7);
}

static int64_t
new_account(struct pt_store *st, const char *email, int role)
{
	struct pt_account a;

	memset(&a, 0, sizeof(a));
	(void)snprintf(a.email, sizeof(a.email), "%s", email);
	(void)snprintf(a.name, sizeof(a.name), "name of %s", email);
	(void)snprintf(a.pwhash, sizeof(a.pwhash), "$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA");
	a.role = role;
	a.created_at = 1700000000;
	if (pt_store_begin(st) != PT_OK)
		return -1;
	if (pt_store_account_insert(st, &a) != PT_OK) {
		pt_store_rollback(st);
		return -1;
	}
	return pt_store_commit(st) == PT_OK ? a.id : -1;
}

static void
home_init(struct pt_home *h, const char *id, const char *name)
{
	memset(h, 0, sizeof(*h));
	(void)snprintf(h->id, sizeof(h->id), "%s", id);
	(void)snprintf(h->name, sizeof(h->name), "%s", name);
	(void)snprintf(h->tz, sizeof(h->tz), "Europe/Berlin");
	(void)snprintf(h->notes, sizeof(h->notes), "dog inside");
	(void)snprintf(h->policy, sizeof(h->policy), "{\"in_home_delivery\":true}");
	h->created_at = h->updated_at = 1700000100;
}

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
	T_EQ(pt_store_schema_version(st), 1, "schema version 1 after the migrations");
	(void)snprintf(wal, sizeof(wal), "%s-wal", dbpath);
	T_EQ(mode_of(wal), 0600, "the -wal file has mode 0600 (WAL mode is on)");
	pt_store_close(st);

	T_EQ(chmod(dbpath, 0644), 0, "loosen the file's mode");
	T_EQ(pt_store_open(dbpath, &st, &err), PT_OK, "reopen: %s", err.msg);
	T_EQ(pt_store_schema_version(st), 1, "reopen: migrations are idempotent, still version 1");
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

/* ---- transactions ---- */

static void
test_tx(struct pt_store *st)
{
	struct pt_account a;

	memset(&a, 0, sizeof(a));
	(void)snprintf(a.email, sizeof(a.email), "outside@example.org");
	a.role = PT_ROLE_OWNER;
	a.id = 42;
	T_EQ(pt_store_account_insert(st, &a), PT_EINVAL, "a write outside a transaction: EINVAL");
	T_EQ(a.id, 0, "and its output id is zeroed");
	T_EQ(pt_store_audit_append(st, 1, 0, "x", "", "{}"), PT_EINVAL,
	     "audit append outside a transaction: EINVAL");
	T_EQ(pt_store_commit(st), PT_EINVAL, "commit without begin: EINVAL");
	pt_store_rollback(st);	/* harmless */
	T_EQ(pt_store_begin(st), PT_OK, "begin");
	T_EQ(pt_store_begin(st), PT_EINVAL, "begin twice in one thread: EINVAL, no deadlock");
	T_EQ(pt_store_account_insert(st, &a), PT_OK, "insert inside the transaction");
	T_OK(a.id > 0, "id set");
	T_EQ(pt_store_account_by_email(st, "outside@example.org", &a), PT_OK,
	     "a read inside the transaction sees its own write");
	pt_store_rollback(st);
	T_EQ(pt_store_account_by_email(st, "outside@example.org", &a), PT_ENOTFOUND,
	     "after rollback the row is gone");
	T_OK(all_zero(&a, sizeof(a)), "and the output struct is zeroed");
	T_EQ(pt_store_begin(st), PT_OK, "begin again after rollback");
	T_EQ(pt_store_commit(st), PT_OK, "an empty commit");
}

/* ---- accounts ---- */

static void
test_accounts(struct pt_store *st, int64_t *owner, int64_t *other)
{
	struct pt_account a, b;

	*owner = new_account(st, "ana@example.org", PT_ROLE_OWNER);
	*other = new_account(st, "ben@example.org", PT_ROLE_MEMBER);
	T_OK(*owner > 0 && *other > *owner, "two accounts, ids ascending");

	memset(&a, 0, sizeof(a));
	(void)snprintf(a.email, sizeof(a.email), "ana@example.org");
	a.role = PT_ROLE_OWNER;
	T_EQ(pt_store_begin(st), PT_OK, "begin");
	T_EQ(pt_store_account_insert(st, &a), PT_EEXISTS, "duplicate e-mail: EEXISTS");
	T_EQ(a.id, 0, "no id on failure");
	(void)snprintf(a.email, sizeof(a.email), "Carl@example.org");
	T_EQ(pt_store_account_insert(st, &a), PT_EINVAL, "an e-mail not lowercased: EINVAL");
	(void)snprintf(a.email, sizeof(a.email), "carl@example.org");
	a.role = 9;
	T_EQ(pt_store_account_insert(st, &a), PT_EINVAL, "an unknown role: EINVAL");
	memset(a.name, 'x', sizeof(a.name));
	a.role = PT_ROLE_COURIER;
	T_EQ(pt_store_account_insert(st, &a), PT_EINVAL, "a name without its NUL: EINVAL");
	pt_store_rollback(st);

	T_EQ(pt_store_account_by_email(st, "ana@example.org", &a), PT_OK, "by e-mail");
	T_EQ(a.id, *owner, "the right id");
	T_OK(strcmp(a.name, "name of ana@example.org") == 0, "name");
	T_EQ(a.role, PT_ROLE_OWNER, "role");
	T_OK(strncmp(a.pwhash, "$argon2id$", 10) == 0, "pwhash");
	T_EQ(a.created_at, 1700000000, "created_at");
	T_EQ(pt_store_account_by_email(st, "ANA@example.org", &b), PT_OK,
	     "the lookup lowercases its argument");
	T_EQ(b.id, *owner, "same account");
	T_EQ(pt_store_account_by_id(st, *owner, &b), PT_OK, "by id");
	T_OK(memcmp(&a, &b, sizeof(a)) == 0, "by id and by e-mail agree");
	T_EQ(pt_store_account_by_email(st, "nobody@example.org", &b), PT_ENOTFOUND,
	     "unknown e-mail: ENOTFOUND");
	T_OK(all_zero(&b, sizeof(b)), "output zeroed");
	T_EQ(pt_store_account_by_id(st, 9999, &b), PT_ENOTFOUND, "unknown id: ENOTFOUND");
	T_OK(all_zero(&b, sizeof(b)), "output zeroed");
}

/* ---- sessions ---- */

static void
test_sessions(struct pt_store *st, int64_t owner, int64_t other)
{
	uint8_t t1[PT_HASH_LEN], t2[PT_HASH_LEN], t3[PT_HASH_LEN], t4[PT_HASH_LEN];
	int64_t id = -1;

	fill(t1, sizeof(t1), 1);
	fill(t2, sizeof(t2), 2);
	fill(t3, sizeof(t3), 3);
	fill(t4, sizeof(t4), 4);
	T_EQ(pt_store_session_insert(st, t1, owner, 2000), PT_EINVAL,
	     "session insert outside a transaction: EINVAL");
	T_EQ(pt_store_begin(st), PT_OK, "begin");
	T_EQ(pt_store_session_insert(st, t1, owner, 2000), PT_OK, "session 1");
	T_EQ(pt_store_session_insert(st, t1, other, 2000), PT_EEXISTS, "same token hash: EEXISTS");
	T_EQ(pt_store_session_insert(st, t2, 9999, 2000), PT_ENOTFOUND,
	     "session of an unknown account: ENOTFOUND");
	T_EQ(pt_store_session_insert(st, t2, owner, 3000), PT_OK, "session 2");
	T_EQ(pt_store_session_insert(st, t3, owner, 3000), PT_OK, "session 3");
	T_EQ(pt_store_session_insert(st, t4, other, 3000), PT_OK, "session 4 (other account)");
	T_EQ(pt_store_commit(st), PT_OK, "commit");

	T_EQ(pt_store_session_lookup(st, t1, 1999, &id), PT_OK, "valid one second before expiry");
	T_EQ(id, owner, "the session's account");
	T_EQ(pt_store_session_lookup(st, t1, 2000, &id), PT_ENOTFOUND, "expired at expires_at");
	T_EQ(id, 0, "account id zeroed");
	T_EQ(pt_store_session_lookup(st, t1, 2001, &id), PT_ENOTFOUND, "expired after");
	fill(t1, sizeof(t1), 99);
	T_EQ(pt_store_session_lookup(st, t1, 0, &id), PT_ENOTFOUND, "unknown token: ENOTFOUND");
	fill(t1, sizeof(t1), 1);

	T_EQ(pt_store_begin(st), PT_OK, "begin");
	T_EQ(pt_store_session_delete(st, t1), PT_OK, "delete session 1");
	T_EQ(pt_store_session_delete(st, t1), PT_ENOTFOUND, "delete it again: ENOTFOUND");
	T_EQ(pt_store_session_delete_all(st, owner), PT_OK, "delete all of the owner's sessions");
	T_EQ(pt_store_session_delete_all(st, 9999), PT_OK, "delete all of nobody: OK, nothing");
	T_EQ(pt_store_commit(st), PT_OK, "commit");
	T_EQ(pt_store_session_lookup(st, t2, 0, &id), PT_ENOTFOUND, "session 2 is gone");
	T_EQ(pt_store_session_lookup(st, t3, 0, &id), PT_ENOTFOUND, "session 3 is gone");
	T_EQ(pt_store_session_lookup(st, t4, 0, &id), PT_OK, "the other account's session stays");
	T_EQ(id, other, "its account");
}

/* ---- homes ---- */

static void
test_homes(struct pt_store *st, int64_t owner, int64_t other)
{
	struct pt_home h, g, list[4];
	size_t n = 99;
	int role = -1;

	home_init(&h, "h-one", "Flat");
	T_EQ(pt_store_home_insert(st, &h, owner), PT_EINVAL, "home insert outside a transaction");
	T_EQ(pt_store_begin(st), PT_OK, "begin");
	T_EQ(pt_store_home_insert(st, &h, owner), PT_OK, "home h-one");
	T_OK(h.rowid > 0, "rowid set");
	home_init(&g, "h-one", "Copy");
	T_EQ(pt_store_home_insert(st, &g, owner), PT_EEXISTS, "same public id: EEXISTS");
	T_EQ(g.rowid, 0, "no rowid on failure");
	home_init(&g, "h two", "Bad id");
	T_EQ(pt_store_home_insert(st, &g, owner), PT_EINVAL, "an invalid public id: EINVAL");
	home_init(&g, "h-two", "House");
	T_EQ(pt_store_home_insert(st, &g, 9999), PT_ENOTFOUND, "an unknown owner: ENOTFOUND");
	T_EQ(pt_store_home_insert(st, &g, owner), PT_OK,
	     "the failed insert left no home behind: the same id inserts now");
	T_EQ(pt_store_commit(st), PT_OK, "commit");

	T_EQ(pt_store_home_get(st, "h-one", owner, &g, &role), PT_OK, "get by its owner");
	T_EQ(role, PT_HOME_OWNER, "role owner");
	T_OK(memcmp(&g, &h, sizeof(g)) == 0, "every field as inserted");
	T_EQ(pt_store_home_get(st, "h-one", other, &g, &role), PT_ENOTFOUND,
	     "get by a non-member: ENOTFOUND");
	T_OK(all_zero(&g, sizeof(g)) && role == 0, "outputs zeroed");
	T_EQ(pt_store_home_get(st, "h-none", owner, &g, &role), PT_ENOTFOUND,
	     "unknown home: ENOTFOUND");

	T_EQ(pt_store_member_add(st, "h-one", other, PT_HOME_MEMBER), PT_EINVAL,
	     "member add outside a transaction");
	T_EQ(pt_store_begin(st), PT_OK, "begin");
	T_EQ(pt_store_member_add(st, "h-one", other, PT_HOME_MEMBER), PT_OK, "add a member");
	T_EQ(pt_store_member_add(st, "h-one", other, PT_HOME_OWNER), PT_EEXISTS,
	     "already a member: EEXISTS");
	T_EQ(pt_store_member_add(st, "h-none", other, PT_HOME_MEMBER), PT_ENOTFOUND,
	     "unknown home: ENOTFOUND");
	T_EQ(pt_store_member_add(st, "h-two", 9999, PT_HOME_MEMBER), PT_ENOTFOUND,
	     "unknown account: ENOTFOUND");
	T_EQ(pt_store_member_add(st, "h-two", other, 7), PT_EINVAL, "unknown role: EINVAL");
	T_EQ(pt_store_commit(st), PT_OK, "commit");
	T_EQ(pt_store_home_get(st, "h-one", other, &g, &role), PT_OK, "get by the member");
	T_EQ(role, PT_HOME_MEMBER, "role member");

	T_EQ(pt_store_home_list(st, owner, list, 4, &n), PT_OK, "list the owner's homes");
	T_EQ(n, 2, "two");
	T_OK(strcmp(list[0].id, "h-one") == 0 && strcmp(list[1].id, "h-two") == 0,
	     "in creation order");
	T_EQ(pt_store_home_list(st, owner, list, 1, &n), PT_OK, "list with max 1");
	T_EQ(n, 1, "one");
	T_EQ(pt_store_home_list(st, other, list, 4, &n), PT_OK, "list the member's homes");
	T_OK(n == 1 && strcmp(list[0].id, "h-one") == 0, "only h-one");
	T_EQ(pt_store_home_list(st, 9999, list, 4, &n), PT_OK, "list of nobody");
	T_EQ(n, 0, "empty");
	T_EQ(pt_store_home_list(st, owner, NULL, 0, &n), PT_OK, "max 0");
	T_EQ(n, 0, "nothing");

	home_init(&g, "h-one", "Flat 2");
	(void)snprintf(g.tz, sizeof(g.tz), "Europe/Lisbon");
	g.notes[0] = '\0';
	(void)snprintf(g.policy, sizeof(g.policy), "{}");
	g.updated_at = 1700000200;
	T_EQ(pt_store_home_update(st, &g), PT_EINVAL, "update outside a transaction");
	T_EQ(pt_store_begin(st), PT_OK, "begin");
	T_EQ(pt_store_home_update(st, &g), PT_OK, "update h-one");
	(void)snprintf(g.id, sizeof(g.id), "h-none");
	T_EQ(pt_store_home_update(st, &g), PT_ENOTFOUND, "update an unknown home: ENOTFOUND");
	T_EQ(pt_store_commit(st), PT_OK, "commit");
	T_EQ(pt_store_home_get(st, "h-one", owner, &g, &role), PT_OK, "get after update");
	T_OK(strcmp(g.name, "Flat 2") == 0 && strcmp(g.tz, "Europe/Lisbon") == 0 &&
		     g.notes[0] == '\0' && strcmp(g.policy, "{}") == 0,
	     "new name, tz, notes, policy");
	T_EQ(g.created_at, 1700000100, "created_at unchanged");
	T_EQ(g.updated_at, 1700000200, "updated_at changed");
	T_EQ(g.rowid, h.rowid, "same rowid");
}

/* ---- keys, grants, revocations ---- */

static void
test_keys(struct pt_store *st, int64_t owner)
{
	struct pt_owner_key k, k2, list[4];
	size_t n = 99;

	memset(&k, 0, sizeof(k));
	(void)snprintf(k.home_id, sizeof(k.home_id), "h-one");
	fill(k.pk, sizeof(k.pk), 10);
	(void)snprintf(k.label, sizeof(k.label), "Ana's phone");
	k.added_by = owner;
	k.created_at = 1700000300;
	T_EQ(pt_store_owner_key_insert(st, &k), PT_EINVAL, "key insert outside a transaction");
	T_EQ(pt_store_begin(st), PT_OK, "begin");
	T_EQ(pt_store_owner_key_insert(st, &k), PT_OK, "key 1");
	T_OK(k.id > 0, "id set");
	k2 = k;
	T_EQ(pt_store_owner_key_insert(st, &k2), PT_EEXISTS, "same key for the home: EEXISTS");
	T_EQ(k2.id, 0, "no id on failure");
	(void)snprintf(k2.home_id, sizeof(k2.home_id), "h-two");
	T_EQ(pt_store_owner_key_insert(st, &k2), PT_OK, "the same key for another home");
	(void)snprintf(k2.home_id, sizeof(k2.home_id), "h-none");
	T_EQ(pt_store_owner_key_insert(st, &k2), PT_ENOTFOUND, "unknown home: ENOTFOUND");
	(void)snprintf(k2.home_id, sizeof(k2.home_id), "h-one");
	fill(k2.pk, sizeof(k2.pk), 11);
	memset(k2.label, 0, sizeof(k2.label));
	(void)snprintf(k2.label, sizeof(k2.label), "laptop");
	T_EQ(pt_store_owner_key_insert(st, &k2), PT_OK, "key 2");
	T_EQ(pt_store_commit(st), PT_OK, "commit");

	T_EQ(pt_store_owner_key_list(st, "h-one", list, 4, &n), PT_OK, "list h-one's keys");
	T_EQ(n, 2, "two keys");
	T_OK(memcmp(&list[0], &k, sizeof(k)) == 0, "the first as inserted");
	T_OK(memcmp(&list[1], &k2, sizeof(k2)) == 0, "the second as inserted");
	T_EQ(pt_store_owner_key_list(st, "h-none", list, 4, &n), PT_ENOTFOUND,
	     "list of an unknown home: ENOTFOUND");
	T_EQ(n, 0, "n zeroed");
}

static void
grant_init(struct pt_grant_row *g, const char *home, uint8_t seed, int64_t by)
{
	memset(g, 0, sizeof(*g));
	(void)snprintf(g->home_id, sizeof(g->home_id), "%s", home);
	g->chain_len = 300 + seed;
	fill(g->chain, g->chain_len, seed);
	fill(g->cti, sizeof(g->cti), seed);
	fill(g->holder, sizeof(g->holder), (uint8_t)(seed + 1));
	g->n_links = 2;
	g->purpose = 1;
	g->exp = 1796731200;
	(void)snprintf(g->label, sizeof(g->label), "cleaner %u", seed);
	g->created_by = by;
	g->created_at = 1700000400;
}

static void
test_grants(struct pt_store *st, int64_t owner)
{
	static struct pt_grant_row g1, g2, dup, list[3];
	size_t n = 99;

	grant_init(&g1, "h-one", 1, owner);
	grant_init(&g2, "h-one", 2, owner);
	T_EQ(pt_store_grant_insert(st, &g1), PT_EINVAL, "grant insert outside a transaction");
	T_EQ(pt_store_begin(st), PT_OK, "begin");
	T_EQ(pt_store_grant_insert(st, &g1), PT_OK, "grant 1");
	T_EQ(pt_store_grant_insert(st, &g2), PT_OK, "grant 2");
	T_OK(g1.id > 0 && g2.id > g1.id, "ids ascending");
	grant_init(&dup, "h-one", 1, owner);
	T_EQ(pt_store_grant_insert(st, &dup), PT_EEXISTS, "a known cti in the same home: EEXISTS");
	/* Token ids are unique per home: another tenant's cti is no oracle. */
	grant_init(&dup, "h-two", 1, owner);
	T_EQ(pt_store_grant_insert(st, &dup), PT_OK, "the same cti in another home: stored");
	grant_init(&dup, "h-none", 3, owner);
	T_EQ(pt_store_grant_insert(st, &dup), PT_ENOTFOUND, "unknown home: ENOTFOUND");
	grant_init(&dup, "h-one", 4, owner);
	dup.chain_len = sizeof(dup.chain) + 1;
	T_EQ(pt_store_grant_insert(st, &dup), PT_EINVAL, "chain_len too large: EINVAL");
	grant_init(&dup, "h-two", 5, owner);
	T_EQ(pt_store_grant_insert(st, &dup), PT_OK, "a grant for h-two");
	T_EQ(pt_store_commit(st), PT_OK, "commit");

	T_EQ(pt_store_grant_list(st, "h-one", list, 3, &n), PT_OK, "list h-one's grants");
	T_EQ(n, 2, "two");
	T_OK(memcmp(&list[0], &g1, sizeof(g1)) == 0, "grant 1 as inserted (chain included)");
	T_OK(memcmp(&list[1], &g2, sizeof(g2)) == 0, "grant 2 as inserted");
	T_EQ(pt_store_grant_list(st, "h-none", list, 3, &n), PT_ENOTFOUND, "unknown home");
}

static int
add_revocation(struct pt_store *st, const char *home, uint8_t seed, int64_t *version)
{
	struct pt_revocation_row v;
	int r;

	memset(&v, 0, sizeof(v));
	(void)snprintf(v.home_id, sizeof(v.home_id), "%s", home);
	v.envelope_len = 100 + seed;
	fill(v.envelope, v.envelope_len, seed);
	v.kind = 1;
	v.target_len = 16;
	fill(v.target, v.target_len, seed);
	v.created_by = 1;
	v.created_at = 1700000500 + seed;
	r = pt_store_revocation_insert(st, &v);
	*version = v.version;
	return r;
}

static void
test_revocations(struct pt_store *st)
{
	struct pt_revocation_row list[4];
	int64_t v = -1;
	size_t n = 99;

	T_EQ(add_revocation(st, "h-one", 1, &v), PT_EINVAL, "revocation outside a transaction");
	T_EQ(v, 0, "no version");
	T_EQ(pt_store_begin(st), PT_OK, "begin");
	T_EQ(add_revocation(st, "h-one", 1, &v), PT_OK, "h-one revocation");
	T_EQ(v, 1, "h-one version 1");
	T_EQ(add_revocation(st, "h-two", 2, &v), PT_OK, "h-two revocation");
	T_EQ(v, 1, "h-two version 1: versions are per home");
	T_EQ(add_revocation(st, "h-one", 3, &v), PT_OK, "h-one revocation");
	T_EQ(v, 2, "h-one version 2");
	T_EQ(pt_store_commit(st), PT_OK, "commit");
	T_EQ(pt_store_begin(st), PT_OK, "begin");
	T_EQ(add_revocation(st, "h-one", 4, &v), PT_OK, "h-one revocation");
	T_EQ(v, 3, "h-one version 3 in a later transaction");
	T_EQ(add_revocation(st, "h-two", 5, &v), PT_OK, "h-two revocation");
	T_EQ(v, 2, "h-two version 2");
	T_EQ(add_revocation(st, "h-one", 4, &v), PT_EEXISTS, "the same envelope again: EEXISTS");
	T_EQ(add_revocation(st, "h-none", 6, &v), PT_ENOTFOUND, "unknown home: ENOTFOUND");
	T_EQ(pt_store_commit(st), PT_OK, "commit");

	T_EQ(pt_store_revocation_list(st, "h-one", 0, list, 4, &n), PT_OK, "list all of h-one");
	T_EQ(n, 3, "three");
	T_OK(list[0].version == 1 && list[1].version == 2 && list[2].version == 3,
	     "versions 1, 2, 3 in order");
	T_OK(list[2].envelope_len == 104 && list[2].envelope[0] == 4 && list[2].target_len == 16 &&
		     list[2].kind == 1 && list[2].created_at == 1700000504 &&
		     strcmp(list[2].home_id, "h-one") == 0,
	     "fields as inserted");
	T_EQ(pt_store_revocation_list(st, "h-one", 1, list, 4, &n), PT_OK, "list since 1");
	T_OK(n == 2 && list[0].version == 2 && list[1].version == 3, "versions 2 and 3");
	T_EQ(pt_store_revocation_list(st, "h-one", 3, list, 4, &n), PT_OK, "list since 3");
	T_EQ(n, 0, "nothing newer");
	T_EQ(pt_store_revocation_list(st, "h-none", 0, list, 4, &n), PT_ENOTFOUND,
	     "unknown home: ENOTFOUND");
}

/* ---- audit ---- */

static void
test_audit_append(struct pt_store *st)
{
	char detail[64], target[64];
	int64_t bad = -1, rows = -1;
	int i, ok = 1;

	T_EQ(pt_store_audit_verify(st, &bad, &rows), PT_OK, "an empty chain verifies");
	T_EQ(rows, 0, "zero rows");
	for (i = 1; i <= 100 && ok; i++) {
		(void)snprintf(detail, sizeof(detail), "{\"n\":%d}", i);
		(void)snprintf(target, sizeof(target), "home:h-%d", i);
		ok = pt_store_begin(st) == PT_OK &&
		     pt_store_audit_append(st, 1700000000 + i, i % 3, "home.update", target,
					   i == 7 ? "" : detail) == PT_OK &&
		     pt_store_commit(st) == PT_OK;
	}
	T_OK(ok, "100 audit rows appended, each in its own transaction");
	T_EQ(pt_store_audit_verify(st, &bad, &rows), PT_OK, "the chain verifies");
	T_EQ(rows, 100, "100 rows checked");
	T_EQ(bad, 0, "no bad row");

	T_EQ(pt_store_begin(st), PT_OK, "begin");
	T_EQ(pt_store_audit_append(st, 1, 0, "", "t", "{}"), PT_EINVAL, "an empty action: EINVAL");
	memset(detail, 'a', sizeof(detail));
	detail[63] = '\0';
	T_EQ(pt_store_audit_append(st, 1, 0, detail, "t", "{}"), PT_OK, "an action of 63 bytes");
	detail[63] = 'a';
	T_EQ(pt_store_audit_append(st, 1, 0, detail, "t", "{}"), PT_EINVAL,
	     "an action of 64 bytes (or unterminated): EINVAL");
	pt_store_rollback(st);
}

/* The hash of the first row, computed here from the documented input. */
static void
test_audit_hash_input(void)
{
	sqlite3 *db = raw_open();
	sqlite3_stmt *s = NULL;
	uint8_t buf[256], want[PT_HASH_LEN], *p = buf;
	const char *fields[3] = { "home.update", "home:h-1", "{\"n\":1}" };
	int64_t ints[3] = { 1, 1700000001, 1 };
	int i, j, ok = 0;

	memset(p, 0, PT_HASH_LEN);
	p += PT_HASH_LEN;
	for (i = 0; i < 3; i++)
		for (j = 7; j >= 0; j--)
			*p++ = (uint8_t)((uint64_t)ints[i] >> (8 * j));
	for (i = 0; i < 3; i++) {
		size_t len = strlen(fields[i]);
		*p++ = 0;
		*p++ = 0;
		*p++ = 0;
		*p++ = (uint8_t)len;
		memcpy(p, fields[i], len);
		p += len;
	}
	pt_crypto_sodium()->sha256(want, buf, (size_t)(p - buf));
	if (db != NULL &&
	    sqlite3_prepare_v2(db, "SELECT prev, hash FROM audit WHERE seq = 1", -1, &s, NULL) ==
		    SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW && sqlite3_column_bytes(s, 1) == PT_HASH_LEN)
		ok = all_zero(sqlite3_column_blob(s, 0), PT_HASH_LEN) &&
		     memcmp(sqlite3_column_blob(s, 1), want, PT_HASH_LEN) == 0;
	T_OK(ok, "row 1: prev is 32 zero bytes, hash is SHA-256 of the documented input");
	sqlite3_finalize(s);
	sqlite3_close(db);
}

static void
test_audit_tamper(struct pt_store *st)
{
	sqlite3 *db = raw_open();
	int64_t bad = -1, rows = -1;

	T_OK(db != NULL, "a raw connection");
	if (db == NULL)
		return;
	T_OK(raw_exec(db, "UPDATE audit SET detail = 'x' WHERE seq = 5") != SQLITE_OK,
	     "the trigger refuses UPDATE of an audit row");
	T_OK(strstr(sqlite3_errmsg(db), "append-only") != NULL, "with its reason: %s",
	     sqlite3_errmsg(db));
	T_OK(raw_exec(db, "DELETE FROM audit WHERE seq = 5") != SQLITE_OK,
	     "the trigger refuses DELETE of an audit row");
	T_OK(raw_exec(db, "DELETE FROM audit") != SQLITE_OK, "and DELETE of all rows");
	T_EQ(raw_int(db, "SELECT count(*) FROM audit", 0), 101, "still 101 rows");

	T_EQ(raw_exec(db, "DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete"), SQLITE_OK,
	     "an intruder drops the triggers");

	/* A changed detail. */
	T_EQ(raw_exec(db, "UPDATE audit SET detail = '{\"n\":51}' WHERE seq = 50"), SQLITE_OK,
	     "change row 50's detail");
	T_EQ(pt_store_audit_verify(st, &bad, &rows), PT_EBADSIG, "verify: EBADSIG");
	T_EQ(bad, 50, "first bad row: 50");
	T_EQ(rows, 49, "49 good rows before it");
	T_EQ(raw_exec(db, "UPDATE audit SET detail = '{\"n\":50}' WHERE seq = 50"), SQLITE_OK,
	     "put it back");
	T_EQ(pt_store_audit_verify(st, &bad, &rows), PT_OK, "verify: OK again");
	T_EQ(rows, 101, "101 rows");

	/* A changed actor (an integer field). */
	T_EQ(raw_exec(db, "UPDATE audit SET actor = actor + 1 WHERE seq = 60"), SQLITE_OK,
	     "change row 60's actor");
	T_EQ(pt_store_audit_verify(st, &bad, &rows), PT_EBADSIG, "verify: EBADSIG");
	T_EQ(bad, 60, "first bad row: 60");
	T_EQ(raw_exec(db, "UPDATE audit SET actor = actor - 1 WHERE seq = 60"), SQLITE_OK,
	     "put it back");

	/* A changed prev. */
	T_EQ(raw_exec(db, "UPDATE audit SET prev = zeroblob(32) WHERE seq = 70"), SQLITE_OK,
	     "change row 70's prev");
	T_EQ(pt_store_audit_verify(st, &bad, &rows), PT_EBADSIG, "verify: EBADSIG");
	T_EQ(bad, 70, "first bad row: 70");
	T_EQ(rows, 69, "69 good rows");
	T_EQ(raw_exec(db, "UPDATE audit SET prev = (SELECT hash FROM audit WHERE seq = 69)"
			  " WHERE seq = 70"),
	     SQLITE_OK, "put it back");
	T_EQ(pt_store_audit_verify(st, &bad, &rows), PT_OK, "verify: OK again");

	/* A row rewritten with a consistent hash: the next row's prev gives it away. */
	T_EQ(raw_exec(db, "UPDATE audit SET hash = zeroblob(32) WHERE seq = 80"), SQLITE_OK,
	     "change row 80's hash");
	T_EQ(pt_store_audit_verify(st, &bad, &rows), PT_EBADSIG, "verify: EBADSIG");
	T_EQ(bad, 80, "first bad row: 80");
	T_EQ(raw_exec(db, "UPDATE audit SET hash = (SELECT prev FROM audit WHERE seq = 81)"
			  " WHERE seq = 80"),
	     SQLITE_OK, "put it back");

	/* A deleted row. */
	T_EQ(raw_exec(db, "CREATE TEMP TABLE saved AS SELECT * FROM audit WHERE seq = 30;"
			  "DELETE FROM audit WHERE seq = 30"),
	     SQLITE_OK, "delete row 30");
	T_EQ(pt_store_audit_verify(st, &bad, &rows), PT_EBADSIG, "verify: EBADSIG");
	T_EQ(bad, 31, "first bad row: 31, the gap");
	T_EQ(rows, 29, "29 good rows");
	T_EQ(raw_exec(db, "INSERT INTO audit SELECT * FROM saved; DELETE FROM saved"), SQLITE_OK,
	     "put it back");
	T_EQ(pt_store_audit_verify(st, &bad, &rows), PT_OK, "verify: OK again");

	/* The first row deleted. */
	T_EQ(raw_exec(db, "INSERT INTO saved SELECT * FROM audit WHERE seq = 1;"
			  "DELETE FROM audit WHERE seq = 1"),
	     SQLITE_OK, "delete row 1");
	T_EQ(pt_store_audit_verify(st, &bad, &rows), PT_EBADSIG, "verify: EBADSIG");
	T_EQ(bad, 2, "first bad row: 2");
	T_EQ(rows, 0, "no good rows");
	T_EQ(raw_exec(db, "INSERT INTO audit SELECT * FROM saved; DROP TABLE saved"), SQLITE_OK,
	     "put it back");
	T_EQ(pt_store_audit_verify(st, &bad, &rows), PT_OK, "verify: OK again");
	T_EQ(rows, 101, "101 rows");

	/* The store keeps appending after the repair. */
	T_EQ(pt_store_begin(st), PT_OK, "begin");
	T_EQ(pt_store_audit_append(st, 1, 0, "home.create", "home:h-x", "{}"), PT_OK, "append 101");
	T_EQ(pt_store_commit(st), PT_OK, "commit");
	T_EQ(pt_store_audit_verify(st, &bad, &rows), PT_OK, "verify");
	T_EQ(rows, 102, "102 rows");
	sqlite3_close(db);
}

/* ---- home delete ---- */

static void
test_home_delete(struct pt_store *st, int64_t owner, int64_t rowid)
{
	static const char *const counts[] = {
		"SELECT count(*) FROM home_members WHERE home = ?1",
		"SELECT count(*) FROM owner_keys WHERE home = ?1",
		"SELECT count(*) FROM grants WHERE home = ?1",
		"SELECT count(*) FROM revocations WHERE home = ?1",
	};
	sqlite3 *db = raw_open();
	struct pt_home h;
	long long before[4], after[4], audit;
	size_t i;
	int role;

	T_OK(db != NULL, "a raw connection");
	if (db == NULL)
		return;
	for (i = 0; i < 4; i++)
		before[i] = raw_int(db, counts[i], rowid);
	T_OK(before[0] == 2 && before[1] == 2 && before[2] == 2 && before[3] == 3,
	     "h-one has 2 members, 2 keys, 2 grants, 3 revocations");
	audit = raw_int(db, "SELECT count(*) FROM audit", 0);

	T_EQ(pt_store_home_delete(st, "h-one"), PT_EINVAL, "delete outside a transaction");
	T_EQ(pt_store_begin(st), PT_OK, "begin");
	T_EQ(pt_store_home_delete(st, "h-one"), PT_OK, "delete h-one");
	T_EQ(pt_store_audit_append(st, 1700000600, owner, "home.delete", "home:h-one", "{}"), PT_OK,
	     "audit the deletion");
	T_EQ(pt_store_home_delete(st, "h-one"), PT_ENOTFOUND, "delete it again: ENOTFOUND");
	T_EQ(pt_store_commit(st), PT_OK, "commit");

	for (i = 0; i < 4; i++)
		after[i] = raw_int(db, counts[i], rowid);
	T_OK(after[0] == 0 && after[1] == 0 && after[2] == 0 && after[3] == 0,
	     "its members, keys, grants and revocations are gone");
	T_EQ(raw_int(db, "SELECT count(*) FROM audit", 0), audit + 1, "every audit row stays");
	T_EQ(raw_int(db, "SELECT count(*) FROM owner_keys", 0), 1, "h-two's key stays");
	T_EQ(raw_int(db, "SELECT count(*) FROM revocations", 0), 2, "h-two's revocations stay");
	T_EQ(pt_store_home_get(st, "h-one", owner, &h, &role), PT_ENOTFOUND, "h-one: ENOTFOUND");
	T_EQ(pt_store_home_get(st, "h-two", owner, &h, &role), PT_OK, "h-two is still there");
	sqlite3_close(db);
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
	atomic_store(&r->b_waiting, 1);
	t0 = now_ms();
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

/* ---- reopen ---- */

static void
test_reopen(struct pt_store **stp)
{
	struct pt_errbuf err = { "" };
	struct pt_account a;
	int64_t bad = -1, rows = -1;
	sqlite3 *db;

	pt_store_close(*stp);
	*stp = NULL;
	T_EQ(pt_store_open(dbpath, stp, &err), PT_OK, "reopen: %s", err.msg);
	T_EQ(pt_store_schema_version(*stp), 1, "still version 1");
	T_EQ(pt_store_account_by_email(*stp, "ana@example.org", &a), PT_OK, "data survived");
	T_EQ(pt_store_audit_verify(*stp, &bad, &rows), PT_OK, "the chain verifies");
	T_EQ(rows, 102, "102 rows");
	pt_store_close(*stp);
	*stp = NULL;

	db = raw_open();
	T_OK(db != NULL && raw_exec(db, "INSERT INTO schema_version VALUES (2, 0)") == SQLITE_OK,
	     "a newer program's migration 2 in the file");
	T_EQ(pt_store_open(dbpath, stp, &err), PT_EIO, "open refuses a newer schema");
	T_OK(strstr(err.msg, "version 2") != NULL, "and says so: %s", err.msg);
	T_OK(db != NULL && raw_exec(db, "DELETE FROM schema_version WHERE version = 2") == SQLITE_OK,
	     "remove it");
	sqlite3_close(db);
	T_EQ(pt_store_open(dbpath, stp, &err), PT_OK, "open again: %s", err.msg);
}

int
main(void)
{
	struct pt_store *st = NULL;
	struct pt_home h;
	int64_t owner = 0, other = 0;
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
		test_keys(st, owner);
		test_grants(st, owner);
		test_revocations(st);
		test_audit_append(st);
		test_audit_hash_input();
		T_EQ(pt_store_home_get(st, "h-one", owner, &h, &role), PT_OK, "h-one's rowid");
		test_home_delete(st, owner, h.rowid);
		test_audit_tamper(st);
		test_threads(st);
		test_reopen(&st);
		if (st != NULL)
			pt_store_close(st);
	}
	rm_tree(tmpdir);
	T_OK(access(tmpdir, F_OK) != 0, "the temporary directory is removed");
	return t_done();
}
