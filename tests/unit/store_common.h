/*
 * tests/unit/store_common.h: the checks of porter/store.h that hold for
 * every backend, shared by test_store.c (SQLite) and test_store_pg.c
 * (PostgreSQL). Each runs on a fresh database, in this order; later checks
 * rely on rows made by earlier ones.
 *
 * A few checks look past the store, the way an intruder with the database
 * would (counting rows a cascade removed, damaging the audit chain). The
 * includer provides that access, before including this file:
 *
 *   struct raw;                          a connection of its own
 *   struct raw *raw_open(void);          NULL on failure
 *   void raw_close(struct raw *db);
 *   long long raw_int(struct raw *db, const char *sql, int64_t arg);
 *                                        the first column of the first row;
 *                                        $1 is arg when the SQL names it
 *   int raw_exec(struct raw *db, const char *sql);   0 on success
 *   const char *raw_errmsg(struct raw *db);
 *   bool raw_blob(struct raw *db, const char *sql, uint8_t *out, size_t len);
 *                                        the first column of the first row,
 *                                        exactly len bytes
 *   RAW_ZERO32                           an SQL expression: 32 zero bytes
 *   RAW_DROP_AUDIT_TRIGGERS              SQL that drops the audit triggers
 */
#ifndef PORTER_TEST_STORE_COMMON_H
#define PORTER_TEST_STORE_COMMON_H

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "porter/keyfile.h"
#include "porter/store.h"
#include "t.h"

/* The schema version this store writes (store_sqlite.c, store_pg.c). */
#define STORE_SCHEMA 11

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
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

/* Listing and removing members, on a home of accounts of its own. */
static void
test_members(struct pt_store *st)
{
	int64_t a = new_account(st, "mem-a@example.org", PT_ROLE_OWNER);
	int64_t b = new_account(st, "mem-b@example.org", PT_ROLE_OWNER);
	int64_t c = new_account(st, "mem-c@example.org", PT_ROLE_MEMBER);
	struct pt_member ms[4];
	struct pt_home h;
	size_t n = 99;
	int role = -1;

	T_OK(a > 0 && b > 0 && c > 0, "three accounts");
	home_init(&h, "h-mem", "Members");
	T_EQ(pt_store_begin(st), PT_OK, "begin");
	T_EQ(pt_store_home_insert(st, &h, a), PT_OK, "home h-mem, owner a");
	T_EQ(pt_store_member_add(st, "h-mem", b, PT_HOME_OWNER), PT_OK, "b: owner");
	T_EQ(pt_store_member_add(st, "h-mem", c, PT_HOME_MEMBER), PT_OK, "c: member");
	T_EQ(pt_store_commit(st), PT_OK, "commit");

	T_EQ(pt_store_member_list(st, "h-mem", ms, 4, &n), PT_OK, "list the members");
	T_EQ(n, 3, "three");
	T_OK(n == 3 && ms[0].account == a && ms[0].role == PT_HOME_OWNER &&
		     strcmp(ms[0].email, "mem-a@example.org") == 0 &&
		     strcmp(ms[0].name, "name of mem-a@example.org") == 0,
	     "a first: owner, its e-mail and name");
	T_OK(n == 3 && ms[1].account == b && ms[1].role == PT_HOME_OWNER && ms[2].account == c &&
		     ms[2].role == PT_HOME_MEMBER && strcmp(ms[2].email, "mem-c@example.org") == 0,
	     "then b (owner) and c (member), in account order");
	T_EQ(pt_store_member_list(st, "h-mem", ms, 2, &n), PT_OK, "list with max 2");
	T_EQ(n, 2, "two");
	T_EQ(pt_store_member_list(st, "h-none", ms, 4, &n), PT_ENOTFOUND,
	     "members of an unknown home: ENOTFOUND");
	T_EQ(n, 0, "none");
	T_EQ(pt_store_member_list(st, "h-mem", NULL, 0, &n), PT_OK, "max 0");
	T_EQ(n, 0, "nothing");

	T_EQ(pt_store_member_remove(st, "h-mem", c, &role), PT_EINVAL,
	     "remove outside a transaction: EINVAL");
	T_EQ(pt_store_begin(st), PT_OK, "begin");
	T_EQ(pt_store_member_remove(st, "h-mem", 9999, &role), PT_ENOTFOUND,
	     "remove a non-member: ENOTFOUND");
	T_EQ(role, 0, "no role");
	T_EQ(pt_store_member_remove(st, "h-none", c, &role), PT_ENOTFOUND,
	     "remove from an unknown home: ENOTFOUND");
	T_EQ(pt_store_member_remove(st, "h-mem", c, &role), PT_OK, "remove member c");
	T_EQ(role, PT_HOME_MEMBER, "it was a member");
	T_EQ(pt_store_member_remove(st, "h-mem", c, &role), PT_ENOTFOUND, "c again: ENOTFOUND");
	T_EQ(pt_store_member_remove(st, "h-mem", a, &role), PT_OK, "remove owner a (b remains)");
	T_EQ(role, PT_HOME_OWNER, "it was an owner");
	T_EQ(pt_store_member_remove(st, "h-mem", b, &role), PT_ECONFLICT,
	     "remove b, the last owner: ECONFLICT");
	T_EQ(role, 0, "no role on a refusal");
	T_EQ(pt_store_member_add(st, "h-mem", c, PT_HOME_MEMBER), PT_OK,
	     "the transaction is still usable after the refusal: add c back");
	T_EQ(pt_store_commit(st), PT_OK, "commit");

	T_EQ(pt_store_home_get(st, "h-mem", a, &h, &role), PT_ENOTFOUND,
	     "a removed account does not see the home");
	T_EQ(pt_store_home_get(st, "h-mem", b, &h, &role), PT_OK, "the last owner does");
	T_EQ(role, PT_HOME_OWNER, "as owner");
	T_EQ(pt_store_member_list(st, "h-mem", ms, 4, &n), PT_OK, "list again");
	T_OK(n == 2 && ms[0].account == b && ms[1].account == c, "b and c");

	/* A refusal in a transaction that is then rolled back changes nothing. */
	T_EQ(pt_store_begin(st), PT_OK, "begin");
	T_EQ(pt_store_member_remove(st, "h-mem", c, &role), PT_OK, "remove c");
	pt_store_rollback(st);
	T_EQ(pt_store_member_list(st, "h-mem", ms, 4, &n), PT_OK, "list after the rollback");
	T_EQ(n, 2, "c is still there");
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
	/* Schema 5: key 2 with its owner statement (the bytes are not checked
	 * here: porterd verifies before it stores). */
	fill(k2.statement, sizeof(k2.statement), 13);
	k2.statement_len = PT_ENVELOPE_SIZE_MAX + 1;
	T_EQ(pt_store_owner_key_insert(st, &k2), PT_EINVAL, "statement of 513 bytes: EINVAL");
	k2.statement_len = PT_ENVELOPE_SIZE_MAX;
	T_EQ(pt_store_owner_key_insert(st, &k2), PT_OK, "key 2");
	T_EQ(pt_store_commit(st), PT_OK, "commit");

	T_EQ(pt_store_owner_key_list(st, "h-one", list, 4, &n), PT_OK, "list h-one's keys");
	T_EQ(n, 2, "two keys");
	T_OK(memcmp(&list[0], &k, sizeof(k)) == 0, "the first as inserted");
	T_OK(memcmp(&list[1], &k2, sizeof(k2)) == 0, "the second as inserted");
	T_EQ(pt_store_owner_key_list(st, "h-none", list, 4, &n), PT_ENOTFOUND,
	     "list of an unknown home: ENOTFOUND");
	T_EQ(n, 0, "n zeroed");
	T_OK(list[0].statement_len == 0, "a key stored without a statement has none");
	T_OK(list[1].statement_len == PT_ENVELOPE_SIZE_MAX &&
		     memcmp(list[1].statement, k2.statement, PT_ENVELOPE_SIZE_MAX) == 0,
	     "key 2's 512-byte statement read back");
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

/* ---- key revocation lookup (schema 8) ---- */

/* A revocation of home: kind, target[target_len]; its envelope is made
 * unique per home from n. */
static int
add_rev_kind(struct pt_store *st, const char *home, uint8_t kind, const uint8_t *target,
	     size_t target_len, uint32_t n)
{
	struct pt_revocation_row v;

	memset(&v, 0, sizeof(v));
	(void)snprintf(v.home_id, sizeof(v.home_id), "%s", home);
	v.envelope_len = 64;
	fill(v.envelope, v.envelope_len, (uint8_t)(kind + 0x40));
	v.envelope[0] = (uint8_t)(n >> 24);
	v.envelope[1] = (uint8_t)(n >> 16);
	v.envelope[2] = (uint8_t)(n >> 8);
	v.envelope[3] = (uint8_t)n;
	v.kind = kind;
	v.target_len = (uint8_t)target_len;
	memcpy(v.target, target, target_len);
	v.created_by = 1;
	v.created_at = 1700000700;
	return pt_store_revocation_insert(st, &v);
}

/* The many-revocations home's key number i (a different key per i). */
static void
many_key(uint8_t pk[PT_PK_LEN], uint32_t i)
{
	fill(pk, PT_PK_LEN, 0x77);
	pk[0] = (uint8_t)(i >> 8);
	pk[1] = (uint8_t)i;
}

/* pt_store_revocation_key_find in homes of its own (h-rk1, h-rk2),
 * deleted again at the end, so the other checks' counts stay. */
#define MANY_REVS 3000
static void
test_revocation_key_find(struct pt_store *st, int64_t owner)
{
	uint8_t a[PT_PK_LEN], b[PT_PK_LEN], c[PT_PK_LEN], pk[PT_PK_LEN];
	struct pt_home h;
	bool found = true;
	uint32_t i, nfound = 0, nwrong = 0;
	int r;

	fill(a, sizeof(a), 0xa1);
	fill(b, sizeof(b), 0xb2);
	fill(c, sizeof(c), 0xc3);
	T_EQ(pt_store_begin(st), PT_OK, "begin");
	home_init(&h, "h-rk1", "Revoked keys 1");
	T_EQ(pt_store_home_insert(st, &h, owner), PT_OK, "home h-rk1");
	home_init(&h, "h-rk2", "Revoked keys 2");
	T_EQ(pt_store_home_insert(st, &h, owner), PT_OK, "home h-rk2");
	T_EQ(pt_store_commit(st), PT_OK, "commit");

	T_EQ(pt_store_revocation_key_find(st, "h-rk1", a, &found), PT_OK, "key find, no revocation");
	T_OK(!found, "not found");
	found = true;
	T_EQ(pt_store_revocation_key_find(st, "h-none", a, &found), PT_ENOTFOUND,
	     "key find in an unknown home: ENOTFOUND");
	T_OK(!found, "found false on failure");
	found = true;
	T_EQ(pt_store_revocation_key_find(st, "h-rk1\xff", a, &found), PT_ENOTFOUND,
	     "not a home id: ENOTFOUND");
	T_OK(!found, "found false");
	found = true;
	T_EQ(pt_store_revocation_key_find(st, NULL, a, &found), PT_EINVAL, "no home: EINVAL");
	T_OK(!found, "found false");
	found = true;
	T_EQ(pt_store_revocation_key_find(st, "h-rk1", NULL, &found), PT_EINVAL, "no key: EINVAL");
	T_OK(!found, "found false");
	T_EQ(pt_store_revocation_key_find(st, "h-rk1", a, NULL), PT_EINVAL, "no out: EINVAL");
	T_EQ(pt_store_revocation_key_find(NULL, "h-rk1", a, &found), PT_EINVAL, "no store: EINVAL");

	/* Another home's revocation of the key, and near misses in h-rk1. */
	T_EQ(pt_store_begin(st), PT_OK, "begin");
	T_EQ(add_rev_kind(st, "h-rk2", PT_REVOKE_KEY, a, PT_PK_LEN, 1), PT_OK,
	     "h-rk2 revokes key a");
	T_EQ(add_rev_kind(st, "h-rk1", PT_REVOKE_TOKEN, b, 16, 1), PT_OK,
	     "h-rk1 revokes a token id: key b's first 16 bytes");
	T_EQ(add_rev_kind(st, "h-rk1", PT_REVOKE_TOKEN, c, PT_PK_LEN, 2), PT_OK,
	     "h-rk1: a token revocation whose 32-byte target is key c");
	T_EQ(add_rev_kind(st, "h-rk1", PT_REVOKE_KEY, c, 16, 3), PT_OK,
	     "h-rk1: a key revocation of c's first 16 bytes only");
	T_EQ(pt_store_commit(st), PT_OK, "commit");
	T_EQ(pt_store_revocation_key_find(st, "h-rk2", a, &found), PT_OK, "key a in h-rk2");
	T_OK(found, "found: h-rk2 revoked it");
	T_EQ(pt_store_revocation_key_find(st, "h-rk1", a, &found), PT_OK, "key a in h-rk1");
	T_OK(!found, "not found: another home's revocation of the same key");
	T_EQ(pt_store_revocation_key_find(st, "h-rk1", b, &found), PT_OK, "key b in h-rk1");
	T_OK(!found, "not found: a token id with the key's first bytes");
	T_EQ(pt_store_revocation_key_find(st, "h-rk1", c, &found), PT_OK, "key c in h-rk1");
	T_OK(!found, "not found: a token revocation of the same 32 bytes, a shorter key target");

	/* Inside a transaction its own writes count; a rollback takes them. */
	T_EQ(pt_store_begin(st), PT_OK, "begin");
	T_EQ(add_rev_kind(st, "h-rk1", PT_REVOKE_KEY, b, PT_PK_LEN, 4), PT_OK,
	     "h-rk1 revokes key b");
	T_EQ(pt_store_revocation_key_find(st, "h-rk1", b, &found), PT_OK, "key b, same transaction");
	T_OK(found, "found: the transaction reads its own write");
	pt_store_rollback(st);
	T_EQ(pt_store_revocation_key_find(st, "h-rk1", b, &found), PT_OK, "key b after rollback");
	T_OK(!found, "not found");
	T_EQ(pt_store_begin(st), PT_OK, "begin");
	T_EQ(add_rev_kind(st, "h-rk1", PT_REVOKE_KEY, b, PT_PK_LEN, 4), PT_OK,
	     "h-rk1 revokes key b again");
	T_EQ(pt_store_commit(st), PT_OK, "commit");
	T_EQ(pt_store_revocation_key_find(st, "h-rk1", b, &found), PT_OK, "key b after commit");
	T_OK(found, "found at once");
	T_EQ(pt_store_revocation_key_find(st, "h-rk2", b, &found), PT_OK, "key b in h-rk2");
	T_OK(!found, "not found there");

	/* Many revocations: every 10th a key revocation, the rest token ids
	 * whose first 16 bytes are the key's. */
	T_EQ(pt_store_begin(st), PT_OK, "begin");
	r = PT_OK;
	for (i = 0; i < MANY_REVS && r == PT_OK; i++) {
		many_key(pk, i);
		r = i % 10 == 0 ? add_rev_kind(st, "h-rk1", PT_REVOKE_KEY, pk, PT_PK_LEN, 100 + i)
				: add_rev_kind(st, "h-rk1", PT_REVOKE_TOKEN, pk, 16, 100 + i);
	}
	T_EQ(r, PT_OK, "%d more revocations in h-rk1", MANY_REVS);
	T_EQ(pt_store_commit(st), PT_OK, "commit");
	for (i = 0; i < MANY_REVS; i++) {
		many_key(pk, i);
		if (pt_store_revocation_key_find(st, "h-rk1", pk, &found) != PT_OK ||
		    found != (i % 10 == 0))
			nwrong++;
		else if (found)
			nfound++;
	}
	T_EQ(nwrong, 0, "each of the %d keys: found exactly when a key revocation names it",
	     MANY_REVS);
	T_EQ(nfound, MANY_REVS / 10, "%d found", MANY_REVS / 10);
	many_key(pk, MANY_REVS);
	T_EQ(pt_store_revocation_key_find(st, "h-rk1", pk, &found), PT_OK, "a key never revoked");
	T_OK(!found, "not found");
	T_EQ(pt_store_revocation_key_find(st, "h-rk1", b, &found), PT_OK, "key b among them");
	T_OK(found, "still found");
	many_key(pk, 0);
	T_EQ(pt_store_revocation_key_find(st, "h-rk2", pk, &found), PT_OK, "h-rk1's key 0 in h-rk2");
	T_OK(!found, "not found");

	T_EQ(pt_store_begin(st), PT_OK, "begin");
	T_EQ(pt_store_home_delete(st, "h-rk1"), PT_OK, "delete h-rk1");
	T_EQ(pt_store_home_delete(st, "h-rk2"), PT_OK, "delete h-rk2");
	T_EQ(pt_store_commit(st), PT_OK, "commit");
	found = true;
	T_EQ(pt_store_revocation_key_find(st, "h-rk2", a, &found), PT_ENOTFOUND,
	     "a deleted home: ENOTFOUND");
	T_OK(!found, "found false");
}

/* ---- home locations ---- */

static void
test_location(struct pt_store *st, int64_t owner)
{
	struct pt_home h, g, list[8];
	size_t n = 0, i;
	int role = -1;
	bool found = false;

	home_init(&h, "h-loc", "Cabin");
	h.has_location = true;
	h.lat = -33.8688;
	h.lon = 151.2093;
	T_EQ(pt_store_begin(st), PT_OK, "begin");
	T_EQ(pt_store_home_insert(st, &h, owner), PT_OK, "a home with a location");
	home_init(&g, "h-bad", "Bad");
	g.has_location = true;
	g.lat = 90.0;
	g.lon = -180.0;
	T_EQ(pt_store_home_insert(st, &g, owner), PT_OK, "lat 90, lon -180: the edges are in");
	T_EQ(pt_store_home_delete(st, "h-bad"), PT_OK, "(remove it)");
	g.rowid = 0;
	g.lat = 90.000001;
	T_EQ(pt_store_home_insert(st, &g, owner), PT_EINVAL, "lat just above 90: EINVAL");
	g.lat = -90.000001;
	T_EQ(pt_store_home_insert(st, &g, owner), PT_EINVAL, "lat just below -90: EINVAL");
	g.lat = 0.0;
	g.lon = 180.000001;
	T_EQ(pt_store_home_insert(st, &g, owner), PT_EINVAL, "lon above 180: EINVAL");
	g.lon = NAN;
	T_EQ(pt_store_home_insert(st, &g, owner), PT_EINVAL, "lon NaN: EINVAL");
	g.has_location = false;
	T_EQ(pt_store_home_insert(st, &g, owner), PT_OK,
	     "without a location the coordinates are not looked at");
	T_EQ(pt_store_commit(st), PT_OK, "commit");

	T_EQ(pt_store_home_get(st, "h-bad", owner, &g, &role), PT_OK, "get it");
	T_OK(!g.has_location && g.lat == 0.0 && g.lon == 0.0, "no location is stored as 0, 0");
	T_EQ(pt_store_home_get(st, "h-loc", owner, &g, &role), PT_OK, "get the cabin");
	T_OK(memcmp(&g, &h, sizeof(g)) == 0, "every field as inserted, location included");
	T_EQ(pt_store_home_list(st, owner, list, 8, &n), PT_OK, "list the owner's homes");
	for (i = 0; i < n; i++)
		if (strcmp(list[i].id, "h-loc") == 0)
			found = list[i].has_location && list[i].lat == h.lat && list[i].lon == h.lon;
	T_OK(found, "the list carries the location");

	g.lat = 51.5074;
	g.lon = -0.1278;
	g.updated_at = 1700000900;
	T_EQ(pt_store_begin(st), PT_OK, "begin");
	T_EQ(pt_store_home_update(st, &g), PT_OK, "move it");
	g.lat = 100.0;
	T_EQ(pt_store_home_update(st, &g), PT_EINVAL, "update to lat 100: EINVAL");
	T_EQ(pt_store_commit(st), PT_OK, "commit");
	T_EQ(pt_store_home_get(st, "h-loc", owner, &h, &role), PT_OK, "get");
	T_OK(h.has_location && h.lat == 51.5074 && h.lon == -0.1278, "the new location");
	h.has_location = false;
	T_EQ(pt_store_begin(st), PT_OK, "begin");
	T_EQ(pt_store_home_update(st, &h), PT_OK, "clear the location");
	T_EQ(pt_store_home_delete(st, "h-bad"), PT_OK, "(remove h-bad)");
	T_EQ(pt_store_commit(st), PT_OK, "commit");
	T_EQ(pt_store_home_get(st, "h-loc", owner, &g, &role), PT_OK, "get");
	T_OK(!g.has_location && g.lat == 0.0 && g.lon == 0.0, "no location, coordinates 0");
}

/* ---- carriers, couriers, devices ---- */

struct org {
	int64_t admin, admin2, cole, cody, dev_cole;
	struct pt_carrier c1, c2;
};

static void
carrier_init(struct pt_carrier *c, const char *id, uint8_t seed, int64_t admin, bool hosted)
{
	memset(c, 0, sizeof(*c));
	(void)snprintf(c->id, sizeof(c->id), "%s", id);
	(void)snprintf(c->name, sizeof(c->name), "Carrier %u", seed);
	fill(c->pk, sizeof(c->pk), seed);
	c->hosted = hosted;
	if (hosted) {
		c->sealed_seed_len = 72;
		fill(c->sealed_seed, c->sealed_seed_len, (uint8_t)(seed + 1));
	}
	c->admin = admin;
	c->created_at = 1700001000 + seed;
}

static void
test_carriers(struct pt_store *st, struct org *o)
{
	struct pt_carrier c, list[4];
	size_t n = 99;

	o->admin = new_account(st, "cara@example.org", PT_ROLE_CARRIER_ADMIN);
	o->admin2 = new_account(st, "cato@example.org", PT_ROLE_CARRIER_ADMIN);
	o->cole = new_account(st, "cole@example.org", PT_ROLE_COURIER);
	o->cody = new_account(st, "cody@example.org", PT_ROLE_COURIER);
	T_OK(o->admin > 0 && o->admin2 > 0 && o->cole > 0 && o->cody > 0,
	     "two carrier admins, two couriers");

	carrier_init(&o->c1, "c-0000000000000001", 40, o->admin, false);
	carrier_init(&o->c2, "c-0000000000000002", 41, o->admin2, true);
	T_EQ(pt_store_carrier_insert(st, &o->c1), PT_EINVAL, "carrier insert outside a transaction");
	T_EQ(pt_store_begin(st), PT_OK, "begin");
	T_EQ(pt_store_carrier_insert(st, &o->c1), PT_OK, "carrier 1, not hosted");
	T_EQ(pt_store_carrier_insert(st, &o->c2), PT_OK, "carrier 2, hosted with a sealed seed");
	T_OK(o->c1.rowid > 0 && o->c2.rowid > o->c1.rowid, "rowids ascending");
	carrier_init(&c, "c-0000000000000001", 42, o->admin, false);
	T_EQ(pt_store_carrier_insert(st, &c), PT_EEXISTS, "a taken id: EEXISTS");
	T_EQ(c.rowid, 0, "no rowid on failure");
	carrier_init(&c, "c-0000000000000003", 40, o->admin, false);
	T_EQ(pt_store_carrier_insert(st, &c), PT_EEXISTS, "a taken key: EEXISTS");
	carrier_init(&c, "c-0000000000000003", 43, 9999, false);
	T_EQ(pt_store_carrier_insert(st, &c), PT_ENOTFOUND, "an unknown admin: ENOTFOUND");
	carrier_init(&c, "c-0000000000000003", 43, o->admin, true);
	c.sealed_seed_len = 0;
	T_EQ(pt_store_carrier_insert(st, &c), PT_EINVAL, "hosted without a sealed seed: EINVAL");
	carrier_init(&c, "c-0000000000000003", 43, o->admin, false);
	c.sealed_seed_len = 8;
	T_EQ(pt_store_carrier_insert(st, &c), PT_EINVAL, "a sealed seed, not hosted: EINVAL");
	carrier_init(&c, "c-0000000000000003", 43, o->admin, true);
	c.sealed_seed_len = sizeof(c.sealed_seed) + 1;
	T_EQ(pt_store_carrier_insert(st, &c), PT_EINVAL, "sealed_seed_len too large: EINVAL");
	carrier_init(&c, "c 3", 43, o->admin, false);
	T_EQ(pt_store_carrier_insert(st, &c), PT_EINVAL, "an invalid id: EINVAL");
	T_EQ(pt_store_commit(st), PT_OK, "commit");

	T_EQ(pt_store_carrier_get(st, o->c1.id, &c), PT_OK, "get carrier 1");
	T_OK(memcmp(&c, &o->c1, sizeof(c)) == 0, "every field as inserted");
	T_EQ(pt_store_carrier_get(st, o->c2.id, &c), PT_OK, "get carrier 2");
	T_OK(memcmp(&c, &o->c2, sizeof(c)) == 0, "every field as inserted, sealed seed included");
	T_EQ(pt_store_carrier_get(st, "c-none", &c), PT_ENOTFOUND, "unknown carrier: ENOTFOUND");
	T_OK(all_zero(&c, sizeof(c)), "output zeroed");

	T_EQ(pt_store_carrier_list(st, 0, list, 4, &n), PT_OK, "list carriers");
	T_OK(n == 2 && list[0].rowid == o->c1.rowid && list[1].rowid == o->c2.rowid,
	     "both, in rowid order");
	T_EQ(pt_store_carrier_list(st, o->c1.rowid, list, 4, &n), PT_OK, "list after carrier 1");
	T_OK(n == 1 && strcmp(list[0].id, o->c2.id) == 0, "carrier 2");
	T_EQ(pt_store_carrier_list(st, 0, list, 1, &n), PT_OK, "list with max 1");
	T_OK(n == 1 && list[0].rowid == o->c1.rowid, "carrier 1");
	T_EQ(pt_store_carrier_list(st, o->c2.rowid, list, 4, &n), PT_OK, "list after the last");
	T_EQ(n, 0, "empty");
}

static void
courier_init(struct pt_courier *c, int64_t account, const char *carrier, uint8_t level)
{
	memset(c, 0, sizeof(*c));
	c->account = account;
	(void)snprintf(c->carrier_id, sizeof(c->carrier_id), "%s", carrier);
	(void)snprintf(c->name, sizeof(c->name), "Courier %lld", (long long)account);
	c->level = level;
	c->attestation_len = 150 + level;
	fill(c->attestation, c->attestation_len, level);
	c->active = true;
	c->created_at = 1700001100;
	c->updated_at = 1700001100;
}

static void
test_couriers(struct pt_store *st, struct org *o)
{
	struct pt_courier c, k, list[4];
	size_t n = 99;

	courier_init(&c, o->cole, o->c1.id, PT_LEVEL_ID);
	T_EQ(pt_store_courier_insert(st, &c), PT_EINVAL, "courier insert outside a transaction");
	T_EQ(pt_store_begin(st), PT_OK, "begin");
	T_EQ(pt_store_courier_insert(st, &c), PT_OK, "enrol cole with carrier 1");
	courier_init(&k, o->cody, o->c1.id, PT_LEVEL_BACKGROUND);
	T_EQ(pt_store_courier_insert(st, &k), PT_OK, "enrol cody with carrier 1");
	courier_init(&k, o->cole, o->c2.id, PT_LEVEL_BASIC);
	T_EQ(pt_store_courier_insert(st, &k), PT_EEXISTS,
	     "cole with another carrier: EEXISTS (one carrier per courier)");
	courier_init(&k, o->admin, "c-none", PT_LEVEL_BASIC);
	T_EQ(pt_store_courier_insert(st, &k), PT_ENOTFOUND, "an unknown carrier: ENOTFOUND");
	courier_init(&k, 9999, o->c2.id, PT_LEVEL_BASIC);
	T_EQ(pt_store_courier_insert(st, &k), PT_ENOTFOUND, "an unknown account: ENOTFOUND");
	courier_init(&k, o->admin, o->c2.id, 4);
	T_EQ(pt_store_courier_insert(st, &k), PT_EINVAL, "level 4: EINVAL");
	courier_init(&k, o->admin, o->c2.id, 0);
	T_EQ(pt_store_courier_insert(st, &k), PT_EINVAL, "level 0: EINVAL");
	courier_init(&k, o->admin, o->c2.id, PT_LEVEL_BASIC);
	k.attestation_len = 0;
	T_EQ(pt_store_courier_insert(st, &k), PT_EINVAL, "no attestation: EINVAL");
	T_EQ(pt_store_commit(st), PT_OK, "commit");

	T_EQ(pt_store_courier_get(st, o->cole, &k), PT_OK, "get cole");
	T_OK(memcmp(&k, &c, sizeof(k)) == 0, "every field as inserted");
	T_EQ(pt_store_courier_get(st, o->admin, &k), PT_ENOTFOUND, "not a courier: ENOTFOUND");
	T_OK(all_zero(&k, sizeof(k)), "output zeroed");

	T_EQ(pt_store_courier_list(st, o->c1.id, 0, list, 4, &n), PT_OK, "carrier 1's couriers");
	T_OK(n == 2 && list[0].account == o->cole && list[1].account == o->cody, "in account order");
	T_EQ(pt_store_courier_list(st, o->c1.id, o->cole, list, 4, &n), PT_OK, "after cole");
	T_OK(n == 1 && list[0].account == o->cody && list[0].level == PT_LEVEL_BACKGROUND, "cody");
	T_EQ(pt_store_courier_list(st, o->c2.id, 0, list, 4, &n), PT_OK, "carrier 2's couriers");
	T_EQ(n, 0, "none");
	T_EQ(pt_store_courier_list(st, "c-none", 0, list, 4, &n), PT_ENOTFOUND,
	     "an unknown carrier: ENOTFOUND");

	T_EQ(pt_store_courier_deactivate(st, o->c1.id, o->cole, 1700001200), PT_EINVAL,
	     "deactivate outside a transaction");
	T_EQ(pt_store_begin(st), PT_OK, "begin");
	T_EQ(pt_store_courier_deactivate(st, o->c2.id, o->cole, 1700001200), PT_ENOTFOUND,
	     "deactivate through another carrier: ENOTFOUND");
	T_EQ(pt_store_courier_deactivate(st, o->c1.id, o->admin, 1700001200), PT_ENOTFOUND,
	     "deactivate a non-courier: ENOTFOUND");
	T_EQ(pt_store_courier_deactivate(st, o->c1.id, o->cody, 1700001200), PT_OK,
	     "deactivate cody");
	T_EQ(pt_store_commit(st), PT_OK, "commit");
	T_EQ(pt_store_courier_get(st, o->cody, &k), PT_OK, "get cody");
	T_OK(!k.active && k.updated_at == 1700001200 && k.created_at == 1700001100,
	     "inactive, updated_at set, created_at kept");
	T_EQ(pt_store_courier_get(st, o->cole, &k), PT_OK, "get cole");
	T_OK(k.active, "cole stays active");
}

static void
test_devices(struct pt_store *st, struct org *o)
{
	struct pt_device d, e, list[4];
	size_t n = 99;

	memset(&d, 0, sizeof(d));
	d.account = o->cole;
	fill(d.pk, sizeof(d.pk), 60);
	(void)snprintf(d.label, sizeof(d.label), "scanner 1");
	d.created_at = 1700001300;
	T_EQ(pt_store_device_insert(st, &d), PT_EINVAL, "device insert outside a transaction");
	T_EQ(pt_store_begin(st), PT_OK, "begin");
	T_EQ(pt_store_device_insert(st, &d), PT_OK, "cole's device");
	T_OK(d.id > 0, "id set");
	e = d;
	e.account = o->cody;
	T_EQ(pt_store_device_insert(st, &e), PT_EEXISTS, "the same key for cody: EEXISTS");
	T_EQ(e.id, 0, "no id on failure");
	fill(e.pk, sizeof(e.pk), 61);
	e.account = 9999;
	T_EQ(pt_store_device_insert(st, &e), PT_ENOTFOUND, "an unknown account: ENOTFOUND");
	e.account = o->cody;
	T_EQ(pt_store_device_insert(st, &e), PT_OK, "cody's device");
	T_EQ(pt_store_commit(st), PT_OK, "commit");
	o->dev_cole = d.id;

	T_EQ(pt_store_device_list(st, o->cole, list, 4, &n), PT_OK, "cole's devices");
	T_OK(n == 1 && memcmp(&list[0], &d, sizeof(d)) == 0, "one, as inserted");
	T_EQ(pt_store_device_list(st, o->admin, list, 4, &n), PT_OK, "a non-courier's devices");
	T_EQ(n, 0, "none");
	T_EQ(pt_store_device_by_pk(st, o->cole, d.pk, &e), PT_OK, "cole's device by its key");
	T_OK(memcmp(&e, &d, sizeof(e)) == 0, "as inserted");
	T_EQ(pt_store_device_by_pk(st, o->cody, d.pk, &e), PT_ENOTFOUND,
	     "cole's key asked for by cody: ENOTFOUND");
	T_OK(all_zero(&e, sizeof(e)), "output zeroed");

	T_EQ(pt_store_device_list(st, o->cody, list, 4, &n), PT_OK, "cody's devices");
	T_EQ(n, 1, "one");
	T_EQ(pt_store_device_delete(st, o->cody, list[0].id), PT_EINVAL,
	     "device delete outside a transaction");
	T_EQ(pt_store_begin(st), PT_OK, "begin");
	T_EQ(pt_store_device_delete(st, o->cole, list[0].id), PT_ENOTFOUND,
	     "cody's device deleted by cole: ENOTFOUND");
	T_EQ(pt_store_device_delete(st, o->cody, list[0].id), PT_OK, "deleted by cody");
	T_EQ(pt_store_device_delete(st, o->cody, list[0].id), PT_ENOTFOUND, "again: ENOTFOUND");
	T_EQ(pt_store_commit(st), PT_OK, "commit");
	T_EQ(pt_store_device_list(st, o->cody, list, 4, &n), PT_OK, "cody's devices");
	T_EQ(n, 0, "none left");
	T_EQ(pt_store_device_list(st, o->cole, list, 4, &n), PT_OK, "cole's devices");
	T_EQ(n, 1, "cole's stays");
}

/* ---- hubs ---- */

static void
hub_init(struct pt_hub *h, const char *id, const char *home, uint8_t seed, int64_t by)
{
	memset(h, 0, sizeof(*h));
	(void)snprintf(h->id, sizeof(h->id), "%s", id);
	(void)snprintf(h->home_id, sizeof(h->home_id), "%s", home);
	fill(h->pk, sizeof(h->pk), seed);
	(void)snprintf(h->label, sizeof(h->label), "hall %u", seed);
	h->pairing_len = 120 + seed;
	fill(h->pairing, h->pairing_len, (uint8_t)(seed + 3));
	h->paired_by = by;
	h->created_at = 1700001400;
}

static int
add_hub_event(struct pt_store *st, const char *home, const char *hub, int64_t seq, uint8_t seed)
{
	struct pt_event_row e;

	memset(&e, 0, sizeof(e));
	(void)snprintf(e.home_id, sizeof(e.home_id), "%s", home);
	(void)snprintf(e.source, sizeof(e.source), "hub:%s", hub);
	(void)snprintf(e.type, sizeof(e.type), "door.open");
	(void)snprintf(e.data, sizeof(e.data), "{\"door\":\"front\"}");
	e.at = 1700002000 + seq;
	e.hub_seq = seq;
	if (seed != 0)
		fill(e.hash, sizeof(e.hash), seed);
	return pt_store_event_append(st, &e);
}

/*
 * Schema 3, the MQTT side of hubs: a hub found by its id in any home, its
 * online flag (a compare-and-set) and last_seen, the online list, the
 * events' chain hashes, a home's newest revocation. In a home of its own
 * (h-mqtt, ben's), so the counts of the other checks stay as they are.
 */
static void
test_hubs_mqtt(struct pt_store *st, int64_t other, const struct pt_hub *b)
{
	static const char *const c1 = "hub-00000000000000c1";
	struct pt_home h;
	struct pt_hub c, x, list[4];
	struct pt_event_row ev[8];
	uint8_t hash[PT_HASH_LEN], want[PT_HASH_LEN];
	int64_t seq = -1, v = -1;
	bool changed = true;
	size_t n = 99;

	T_EQ(pt_store_begin(st), PT_OK, "begin");
	home_init(&h, "h-mqtt", "Mqtt");
	T_EQ(pt_store_home_insert(st, &h, other), PT_OK, "home h-mqtt");
	hub_init(&c, c1, "h-mqtt", 74, other);
	T_EQ(pt_store_hub_insert(st, &c), PT_OK, "hub c1 in h-mqtt");
	T_EQ(pt_store_commit(st), PT_OK, "commit");

	T_EQ(pt_store_hub_by_id(st, c1, &x), PT_OK, "hub by id");
	T_OK(memcmp(&x, &c, sizeof(x)) == 0 && !x.online && x.last_seen == 0,
	     "as inserted, offline, never seen");
	T_EQ(pt_store_hub_by_id(st, b->id, &x), PT_OK, "a hub of another home, by id");
	T_OK(strcmp(x.home_id, "h-four") == 0, "with its home");
	memset(&x, 0xaa, sizeof(x));
	T_EQ(pt_store_hub_by_id(st, "hub-none", &x), PT_ENOTFOUND, "an unknown hub: ENOTFOUND");
	T_OK(all_zero(&x, sizeof(x)), "zeroed on failure");
	T_EQ(pt_store_hub_by_id(st, "hub/x\xff", &x), PT_ENOTFOUND, "not an id: ENOTFOUND");

	T_EQ(pt_store_hub_seen(st, c1, 100, true, &changed), PT_EINVAL, "seen outside a transaction");
	T_OK(!changed, "no change");
	T_EQ(pt_store_begin(st), PT_OK, "begin");
	T_EQ(pt_store_hub_seen(st, c1, 100, true, &changed), PT_OK, "online at 100");
	T_OK(changed, "a transition");
	T_EQ(pt_store_hub_seen(st, c1, 90, true, &changed), PT_OK, "online again at 90");
	T_OK(!changed, "no transition");
	T_EQ(pt_store_hub_by_id(st, c1, &x), PT_OK, "read it inside the transaction");
	T_OK(x.online && x.last_seen == 100, "online, last_seen 100 (never moves back)");
	T_EQ(pt_store_hub_seen(st, c1, 200, true, &changed), PT_OK, "online at 200");
	T_OK(!changed, "no transition");
	T_EQ(pt_store_hub_seen(st, c1, 300, false, &changed), PT_OK, "offline at 300 (the will)");
	T_OK(changed, "a transition");
	T_EQ(pt_store_hub_seen(st, c1, 310, false, &changed), PT_OK, "offline again");
	T_OK(!changed, "once per transition");
	changed = true;
	T_EQ(pt_store_hub_seen(st, "hub-none", 1, true, &changed), PT_ENOTFOUND,
	     "an unknown hub: ENOTFOUND");
	T_OK(!changed, "no change");
	T_EQ(pt_store_commit(st), PT_OK, "commit: the ENOTFOUND did not spoil the transaction");
	T_EQ(pt_store_hub_by_id(st, c1, &x), PT_OK, "read it");
	T_OK(!x.online && x.last_seen == 200, "offline, last seen at 200");
	T_EQ(pt_store_hub_list(st, "h-mqtt", list, 4, &n), PT_OK, "the home's hubs");
	T_OK(n == 1 && !list[0].online && list[0].last_seen == 200, "the list says the same");

	T_EQ(pt_store_hub_list_online(st, 0, list, 4, &n), PT_OK, "online hubs");
	T_EQ(n, 0, "none");
	T_EQ(pt_store_begin(st), PT_OK, "begin");
	T_EQ(pt_store_hub_seen(st, c1, 400, true, &changed), PT_OK, "c1 back online");
	T_OK(changed, "a transition");
	T_EQ(pt_store_commit(st), PT_OK, "commit");
	T_EQ(pt_store_hub_list_online(st, 0, list, 4, &n), PT_OK, "online hubs");
	T_OK(n == 1 && strcmp(list[0].id, c1) == 0 && list[0].online && list[0].last_seen == 400,
	     "c1, every home's");
	T_EQ(pt_store_hub_list_online(st, list[0].rowid, list, 4, &n), PT_OK, "after it");
	T_EQ(n, 0, "none");
	T_EQ(pt_store_hub_list_online(st, 0, NULL, 4, &n), PT_EINVAL, "no output: EINVAL");

	T_EQ(pt_store_hub_event_last(st, c1, &seq, hash), PT_OK, "last event, none yet");
	T_OK(seq == 0 && all_zero(hash, sizeof(hash)), "seq 0, a zero hash");
	T_EQ(pt_store_hub_event_last(st, "hub-none", &seq, hash), PT_ENOTFOUND,
	     "an unknown hub: ENOTFOUND");
	T_EQ(pt_store_begin(st), PT_OK, "begin");
	T_EQ(add_hub_event(st, "h-mqtt", c1, 1, 81), PT_OK, "c1's seq 1 with its hash");
	T_EQ(add_hub_event(st, "h-mqtt", c1, 2, 82), PT_OK, "c1's seq 2");
	T_EQ(add_hub_event(st, "h-mqtt", c1, 2, 83), PT_EEXISTS, "seq 2 again: EEXISTS");
	T_EQ(add_hub_event(st, "h-mqtt", "hub-00000000000000c9", 7, 84), PT_OK,
	     "another source's seq 7 in the same home");
	T_EQ(pt_store_commit(st), PT_OK, "commit");
	fill(want, sizeof(want), 82);
	T_EQ(pt_store_hub_event_last(st, c1, &seq, hash), PT_OK, "last event");
	T_OK(seq == 2 && memcmp(hash, want, sizeof(want)) == 0, "seq 2 and its hash (not 83's)");
	fill(want, sizeof(want), 81);
	T_EQ(pt_store_hub_event_hash(st, c1, 1, hash), PT_OK, "seq 1's hash");
	T_OK(memcmp(hash, want, sizeof(want)) == 0, "as stored");
	T_EQ(pt_store_hub_event_hash(st, c1, 3, hash), PT_ENOTFOUND, "seq 3: ENOTFOUND");
	T_OK(all_zero(hash, sizeof(hash)), "zeroed");
	T_EQ(pt_store_hub_event_hash(st, c1, 0, hash), PT_ENOTFOUND, "seq 0: ENOTFOUND");
	T_EQ(pt_store_hub_event_hash(st, "hub-none", 1, hash), PT_ENOTFOUND,
	     "an unknown hub: ENOTFOUND");
	T_EQ(pt_store_event_list(st, "h-mqtt", 0, ev, 8, &n), PT_OK, "h-mqtt's events");
	fill(want, sizeof(want), 81);
	T_OK(n == 3 && ev[0].hub_seq == 1 && memcmp(ev[0].hash, want, sizeof(want)) == 0,
	     "listed with their hashes");
	T_EQ(pt_store_begin(st), PT_OK, "begin");
	T_EQ(add_hub_event(st, "h-mqtt", c1, 3, 0), PT_OK, "c1's seq 3 without a hash");
	T_EQ(pt_store_commit(st), PT_OK, "commit");
	T_EQ(pt_store_hub_event_last(st, c1, &seq, hash), PT_OK, "last event");
	T_OK(seq == 3 && all_zero(hash, sizeof(hash)), "seq 3, read as a zero hash");

	T_EQ(pt_store_revocation_newest(st, "h-one", &v), PT_OK, "h-one's newest revocation");
	T_EQ(v, 3, "version 3");
	T_EQ(pt_store_revocation_newest(st, "h-mqtt", &v), PT_OK, "h-mqtt's");
	T_EQ(v, 0, "none: 0");
	T_EQ(pt_store_revocation_newest(st, "h-none", &v), PT_ENOTFOUND, "an unknown home");

	/* Schema 11: the hub's own word on its home. */
	T_EQ(pt_store_hub_by_id(st, c1, &x), PT_OK, "read c1");
	T_OK(!x.confirmed, "unconfirmed at first");
	changed = true;
	T_EQ(pt_store_hub_confirm_set(st, "h-mqtt", c1, true, &changed), PT_EINVAL,
	     "confirm outside a transaction");
	T_OK(!changed, "no change");
	T_EQ(pt_store_begin(st), PT_OK, "begin");
	T_EQ(pt_store_hub_confirm_set(st, "h-mqtt", c1, true, &changed), PT_OK, "confirm c1");
	T_OK(changed, "a flip");
	T_EQ(pt_store_hub_confirm_set(st, "h-mqtt", c1, true, &changed), PT_OK, "confirm it again");
	T_OK(!changed, "no flip");
	changed = true;
	T_EQ(pt_store_hub_confirm_set(st, "h-four", c1, true, &changed), PT_ENOTFOUND,
	     "in a home it is not paired in: ENOTFOUND");
	T_OK(!changed, "no change");
	T_EQ(pt_store_hub_confirm_set(st, "h-mqtt", "hub-none", true, &changed), PT_ENOTFOUND,
	     "an unknown hub: ENOTFOUND");
	T_EQ(pt_store_hub_confirm_set(st, "h-none", c1, false, &changed), PT_ENOTFOUND,
	     "an unknown home: ENOTFOUND");
	T_EQ(pt_store_commit(st), PT_OK, "commit: the ENOTFOUNDs did not spoil the transaction");
	T_EQ(pt_store_hub_by_id(st, c1, &x), PT_OK, "read c1");
	T_OK(x.confirmed && x.online && x.last_seen == 400, "confirmed, the rest as it was");
	T_EQ(pt_store_hub_list(st, "h-mqtt", list, 4, &n), PT_OK, "the home's hubs");
	T_OK(n == 1 && list[0].confirmed, "the list says so");
	T_EQ(pt_store_hub_get(st, "h-mqtt", c1, &x), PT_OK, "hub_get");
	T_OK(x.confirmed && x.removed_at == 0, "says so too, removed_at 0");
	T_EQ(pt_store_hub_by_id(st, b->id, &x), PT_OK, "the other home's hub");
	T_OK(!x.confirmed, "is not confirmed");
	T_EQ(pt_store_begin(st), PT_OK, "begin");
	T_EQ(pt_store_hub_confirm_set(st, "h-mqtt", c1, false, &changed), PT_OK, "unconfirm c1");
	T_OK(changed, "a flip");
	pt_store_rollback(st);
	T_EQ(pt_store_hub_by_id(st, c1, &x), PT_OK, "read c1");
	T_OK(x.confirmed, "still confirmed");
	T_EQ(pt_store_begin(st), PT_OK, "begin");
	T_EQ(pt_store_hub_confirm_set(st, "h-mqtt", c1, false, &changed), PT_OK, "unconfirm c1");
	T_OK(changed, "a flip");
	T_EQ(pt_store_commit(st), PT_OK, "commit");
	T_EQ(pt_store_hub_by_id(st, c1, &x), PT_OK, "read c1");
	T_OK(!x.confirmed, "unconfirmed");
}

/*
 * Schema 10: hub e1, removed from h-chain at 1700009000 (test_hub_chain),
 * is gone for everything that reads paired hubs, and its chain stays
 * readable through h-chain alone; pairing its key again (in h-chain, then
 * in h-chain2) is a new hub, and a second removal replaces the copy.
 */
static void
test_hub_removed(struct pt_store *st, struct raw *db, int64_t other, int64_t chain_rowid)
{
	static const char *const e1 = "hub-00000000000000e1";
	struct pt_event_row *ev = calloc(16, sizeof(*ev));
	struct pt_hub_checkpoint cp[8], one;
	struct pt_hub b, g, want, list[4];
	uint8_t hash[PT_HASH_LEN], sig[PT_SIG_LEN];
	int64_t seq = -1;
	bool changed = true;
	size_t n = 99;

	T_OK(ev != NULL, "room for 16 events");
	if (ev == NULL)
		return;
	fill(sig, sizeof(sig), 92);
	hub_init(&want, e1, "h-chain", 76, other);
	/* what the MQTT side and the lists see: nothing */
	T_EQ(pt_store_hub_by_id(st, e1, &g), PT_ENOTFOUND, "removed: hub_by_id ENOTFOUND");
	T_EQ(pt_store_hub_list(st, "h-chain", list, 4, &n), PT_OK, "h-chain's hubs");
	T_EQ(n, 0, "not listed");
	T_EQ(pt_store_hub_list_online(st, 0, list, 4, &n), PT_OK, "the online hubs");
	T_OK(n == 0 || (strcmp(list[0].id, e1) != 0 && (n < 2 || strcmp(list[1].id, e1) != 0)),
	     "e1 not among them");
	T_EQ(pt_store_hub_event_last(st, e1, &seq, hash), PT_ENOTFOUND, "event_last: ENOTFOUND");
	T_EQ(pt_store_hub_event_hash(st, e1, 1, hash), PT_ENOTFOUND, "event_hash: ENOTFOUND");
	T_EQ(pt_store_begin(st), PT_OK, "begin");
	T_EQ(pt_store_hub_seen(st, e1, 1700009100, true, &changed), PT_ENOTFOUND,
	     "seen (a state saying online): ENOTFOUND");
	T_OK(!changed, "nothing changed");
	T_EQ(pt_store_hub_state_set(st, e1, "{\"bolt\":\"locked\"}"), PT_ENOTFOUND,
	     "state_set: ENOTFOUND");
	T_EQ(pt_store_hub_checkpoint_add(st, e1, 7, sig), PT_ENOTFOUND,
	     "checkpoint_add (MQTT ingest): ENOTFOUND");
	T_EQ(pt_store_hub_delete(st, "h-chain", e1, 1700009001), PT_ENOTFOUND,
	     "removed again: ENOTFOUND (it is not paired)");
	T_EQ(pt_store_commit(st), PT_OK, "commit");
	T_EQ(raw_int(db, "SELECT removed_at FROM hubs_removed WHERE home = $1", chain_rowid),
	     1700009000, "the copy kept its removal time");

	/* what the chain route sees */
	T_EQ(pt_store_hub_get(st, "h-chain", e1, &g), PT_OK, "hub_get through h-chain");
	T_OK(g.removed_at == 1700009000 && strcmp(g.id, e1) == 0 &&
		     strcmp(g.home_id, "h-chain") == 0 && memcmp(g.pk, want.pk, PT_PK_LEN) == 0 &&
		     strcmp(g.label, want.label) == 0 && g.pairing_len == want.pairing_len &&
		     memcmp(g.pairing, want.pairing, want.pairing_len) == 0 &&
		     g.paired_by == other && g.created_at == want.created_at && !g.online &&
		     g.state[0] == '\0' && g.rowid == 0,
	     "the removed hub as paired: key, label, pairing, removal time; offline, no state");
	memset(&g, 0xaa, sizeof(g));
	T_EQ(pt_store_hub_get(st, "h-chain2", e1, &g), PT_ENOTFOUND,
	     "through h-chain2 (never its home): ENOTFOUND");
	T_OK(all_zero(&g, sizeof(g)), "zeroed on failure");
	T_EQ(pt_store_hub_get(st, "h-none", e1, &g), PT_ENOTFOUND, "an unknown home: ENOTFOUND");
	T_EQ(pt_store_hub_get(st, "h-chain", "hub-none", &g), PT_ENOTFOUND,
	     "an unknown hub: ENOTFOUND");
	T_EQ(pt_store_hub_event_range(st, "h-chain", e1, 1, 10, ev, 16, &n), PT_OK,
	     "its events through h-chain");
	T_OK(n == 6 && ev[0].hub_seq == 1 && ev[5].hub_seq == 7, "all six, as before");
	T_EQ(pt_store_hub_checkpoint_range(st, "h-chain", e1, 1, 10, cp, 8, &n), PT_OK,
	     "its checkpoints");
	T_OK(n == 2 && cp[0].seq == 3 && cp[1].seq == 6, "3 and 6");
	T_EQ(pt_store_hub_checkpoint_next(st, "h-chain", e1, 4, &one), PT_OK, "next from 4");
	T_EQ(one.seq, 6, "6");
	T_EQ(pt_store_hub_event_range(st, "h-chain2", e1, 1, 10, ev, 16, &n), PT_ENOTFOUND,
	     "through h-chain2, which holds an event of source hub:e1 but never the hub: ENOTFOUND");
	T_EQ(pt_store_hub_checkpoint_next(st, "h-chain2", e1, 1, &one), PT_ENOTFOUND,
	     "checkpoint_next through h-chain2: ENOTFOUND");

	/* paired again in h-chain: a new hub; the paired one is what hub_get gives */
	hub_init(&b, e1, "h-chain", 76, other);
	b.created_at = 1700009500;
	T_EQ(pt_store_begin(st), PT_OK, "begin");
	T_EQ(pt_store_hub_insert(st, &b), PT_OK, "pair e1's key in h-chain again");
	T_EQ(pt_store_commit(st), PT_OK, "commit");
	T_EQ(pt_store_hub_by_id(st, e1, &g), PT_OK, "hub_by_id finds it again");
	T_EQ(pt_store_hub_get(st, "h-chain", e1, &g), PT_OK, "hub_get");
	T_OK(g.removed_at == 0 && g.rowid == b.rowid && g.created_at == 1700009500,
	     "the paired hub, not the copy");
	T_EQ(pt_store_hub_event_last(st, e1, &seq, hash), PT_OK, "event_last");
	T_EQ(seq, 7, "its chain goes on from the events stored before its removal");
	T_EQ(raw_int(db, "SELECT count(*) FROM hubs_removed WHERE home = $1", chain_rowid), 1,
	     "the copy stays while it is paired");
	T_EQ(pt_store_begin(st), PT_OK, "begin");
	T_EQ(pt_store_hub_delete(st, "h-chain", e1, 1700009900), PT_OK, "removed a second time");
	T_EQ(pt_store_commit(st), PT_OK, "commit");
	T_OK(raw_int(db, "SELECT count(*) FROM hubs_removed WHERE home = $1", chain_rowid) == 1 &&
		     raw_int(db, "SELECT removed_at FROM hubs_removed WHERE home = $1", chain_rowid) ==
			     1700009900,
	     "one copy, replaced: removed at 1700009900");
	T_EQ(pt_store_hub_get(st, "h-chain", e1, &g), PT_OK, "hub_get");
	T_OK(g.removed_at == 1700009900 && g.created_at == 1700009500,
	     "the copy of the second pairing");

	/* paired in another home: h-chain keeps its copy and its rows */
	hub_init(&b, e1, "h-chain2", 76, other);
	T_EQ(pt_store_begin(st), PT_OK, "begin");
	T_EQ(pt_store_hub_insert(st, &b), PT_OK, "pair e1's key in h-chain2");
	T_EQ(pt_store_commit(st), PT_OK, "commit");
	T_EQ(pt_store_hub_get(st, "h-chain", e1, &g), PT_OK, "through h-chain");
	T_OK(g.removed_at == 1700009900, "still the removed copy");
	T_EQ(pt_store_hub_get(st, "h-chain2", e1, &g), PT_OK, "through h-chain2");
	T_OK(g.removed_at == 0 && strcmp(g.home_id, "h-chain2") == 0, "the paired hub");
	T_EQ(pt_store_hub_event_range(st, "h-chain", e1, 1, 10, ev, 16, &n), PT_OK, "h-chain's rows");
	T_EQ(n, 6, "its six");
	T_EQ(pt_store_hub_event_range(st, "h-chain2", e1, 1, 10, ev, 16, &n), PT_OK,
	     "h-chain2's rows");
	T_OK(n == 1 && ev[0].hub_seq == 5 && strcmp(ev[0].home_id, "h-chain2") == 0,
	     "its own one (seq 5), none of h-chain's");
	free(ev);
}

/*
 * Schema 9: a hub's chain for evidence bundles (docs/api.md, GET
 * .../hubs/{hub_id}/chain): its checkpoints (idempotent, the first
 * signature stays), its events by seq, both bounded and scoped to the
 * hub's home, and gone with the home. Homes of their own, h-chain with hub
 * e1 and h-chain2 with hub e2 (ben's), both deleted at the end, so the
 * counts of the other checks stay as they are.
 */
static void
test_hub_chain(struct pt_store *st, int64_t other)
{
	static const char *const e1 = "hub-00000000000000e1", *const e2 = "hub-00000000000000e2";
	struct pt_event_row *ev = calloc(PT_STORE_CHAIN_EVENTS_MAX + 1, sizeof(*ev));
	struct pt_hub_checkpoint cp[PT_STORE_CHAIN_CPS_MAX + 1], one;
	uint8_t sig[PT_SIG_LEN], sig2[PT_SIG_LEN], want[PT_HASH_LEN];
	struct pt_home h, h2;
	struct pt_hub b;
	struct raw *db = raw_open();
	int64_t k;
	size_t n = 99;
	int role;

	T_OK(ev != NULL && db != NULL, "room for 1025 events, a raw connection");
	if (ev == NULL || db == NULL)
		goto out;
	fill(sig, sizeof(sig), 90);
	fill(sig2, sizeof(sig2), 91);
	T_EQ(pt_store_begin(st), PT_OK, "begin");
	home_init(&h, "h-chain", "Chain");
	T_EQ(pt_store_home_insert(st, &h, other), PT_OK, "home h-chain");
	home_init(&h2, "h-chain2", "Chain 2");
	T_EQ(pt_store_home_insert(st, &h2, other), PT_OK, "home h-chain2");
	hub_init(&b, e1, "h-chain", 76, other);
	T_EQ(pt_store_hub_insert(st, &b), PT_OK, "hub e1 in h-chain");
	hub_init(&b, e2, "h-chain2", 77, other);
	T_EQ(pt_store_hub_insert(st, &b), PT_OK, "hub e2 in h-chain2");
	T_EQ(pt_store_commit(st), PT_OK, "commit");

	T_EQ(pt_store_hub_checkpoint_add(st, e1, 3, sig), PT_EINVAL,
	     "a checkpoint outside a transaction: EINVAL");
	T_EQ(pt_store_begin(st), PT_OK, "begin");
	for (k = 1; k <= 6; k++)
		if (k != 5)
			T_EQ(add_hub_event(st, "h-chain", e1, k, (uint8_t)(100 + k)), PT_OK,
			     "e1's event %lld", (long long)k);
	T_EQ(add_hub_event(st, "h-chain", e1, 7, 0), PT_OK, "e1's event 7, without a hash");
	T_EQ(add_hub_event(st, "h-chain2", e1, 5, 120), PT_OK,
	     "an event of source hub:e1 in another home (h-chain2), seq 5");
	T_EQ(add_hub_event(st, "h-chain2", e2, 1, 121), PT_OK, "e2's event 1");
	T_EQ(add_hub_event(st, "h-chain2", e2, 2, 122), PT_OK, "e2's event 2");
	T_EQ(pt_store_hub_checkpoint_add(st, e1, 3, sig), PT_OK, "e1's checkpoint at 3");
	T_EQ(pt_store_hub_checkpoint_add(st, e1, 3, sig), PT_OK, "the same again (a resend): OK");
	T_EQ(pt_store_hub_checkpoint_add(st, e1, 3, sig2), PT_EEXISTS,
	     "another signature of 3: EEXISTS");
	T_EQ(pt_store_hub_checkpoint_add(st, e1, 6, sig2), PT_OK, "e1's checkpoint at 6");
	T_EQ(pt_store_hub_checkpoint_add(st, e1, 0, sig), PT_EINVAL, "seq 0: EINVAL");
	T_EQ(pt_store_hub_checkpoint_add(st, e1, -1, sig), PT_EINVAL, "seq -1: EINVAL");
	T_EQ(pt_store_hub_checkpoint_add(st, e1, 4, NULL), PT_EINVAL, "no signature: EINVAL");
	T_EQ(pt_store_hub_checkpoint_add(st, "hub-none", 1, sig), PT_ENOTFOUND,
	     "an unknown hub: ENOTFOUND");
	T_EQ(pt_store_hub_checkpoint_add(st, "hub/x\xff", 1, sig), PT_ENOTFOUND,
	     "not an id: ENOTFOUND");
	T_EQ(pt_store_hub_checkpoint_add(st, e2, 2, sig), PT_OK, "e2's checkpoint at 2");
	T_EQ(pt_store_commit(st), PT_OK, "commit: the refusals did not spoil the transaction");
	T_EQ(raw_int(db, "SELECT count(*) FROM hub_checkpoints WHERE home = $1", h.rowid), 2,
	     "h-chain holds 2 checkpoints (3 once, 6)");

	T_EQ(pt_store_hub_checkpoint_next(st, "h-chain", e1, 1, &one), PT_OK, "e1's first checkpoint from 1");
	T_OK(one.seq == 3 && memcmp(one.sig, sig, sizeof(sig)) == 0,
	     "3, with the first signature stored");
	T_EQ(pt_store_hub_checkpoint_next(st, "h-chain", e1, 3, &one), PT_OK, "from 3");
	T_EQ(one.seq, 3, "3 itself");
	T_EQ(pt_store_hub_checkpoint_next(st, "h-chain", e1, 4, &one), PT_OK, "from 4");
	T_OK(one.seq == 6 && memcmp(one.sig, sig2, sizeof(sig2)) == 0, "6");
	memset(&one, 0xaa, sizeof(one));
	T_EQ(pt_store_hub_checkpoint_next(st, "h-chain", e1, 7, &one), PT_ENOTFOUND, "from 7: none, ENOTFOUND");
	T_OK(all_zero(&one, sizeof(one)), "zeroed on failure");
	T_EQ(pt_store_hub_checkpoint_next(st, "h-chain", e1, 0, &one), PT_EINVAL, "from 0: EINVAL");
	T_EQ(pt_store_hub_checkpoint_next(st, "h-chain", "hub-none", 1, &one), PT_ENOTFOUND,
	     "an unknown hub: ENOTFOUND");
	T_EQ(pt_store_hub_checkpoint_next(st, "h-chain2", e2, 1, &one), PT_OK, "e2's from 1");
	T_EQ(one.seq, 2, "its own, 2");

	T_EQ(pt_store_hub_checkpoint_range(st, "h-chain", e1, 1, 10, cp, 8, &n), PT_OK, "e1's checkpoints 1..10");
	T_OK(n == 2 && cp[0].seq == 3 && cp[1].seq == 6 && memcmp(cp[0].sig, sig, sizeof(sig)) == 0 &&
		     memcmp(cp[1].sig, sig2, sizeof(sig2)) == 0,
	     "3 and 6, ascending, with their signatures");
	T_EQ(pt_store_hub_checkpoint_range(st, "h-chain", e1, 1, 10, cp, 1, &n), PT_OK, "at most 1");
	T_OK(n == 1 && cp[0].seq == 6, "the last one: 6");
	T_EQ(pt_store_hub_checkpoint_range(st, "h-chain", e1, 3, 3, cp, 8, &n), PT_OK, "3..3");
	T_OK(n == 1 && cp[0].seq == 3, "3 (the bounds are included)");
	T_EQ(pt_store_hub_checkpoint_range(st, "h-chain", e1, 4, 5, cp, 8, &n), PT_OK, "4..5");
	T_EQ(n, 0, "none");
	n = 99;
	T_EQ(pt_store_hub_checkpoint_range(st, "h-chain", e1, 5, 4, cp, 8, &n), PT_EINVAL, "to < from: EINVAL");
	T_EQ(n, 0, "n 0");
	T_EQ(pt_store_hub_checkpoint_range(st, "h-chain", e1, 0, 4, cp, 8, &n), PT_EINVAL, "from 0: EINVAL");
	T_EQ(pt_store_hub_checkpoint_range(st, "h-chain", e1, 1, 4, cp, PT_STORE_CHAIN_CPS_MAX + 1, &n),
	     PT_EINVAL, "max over 256: EINVAL");
	T_EQ(pt_store_hub_checkpoint_range(st, "h-chain", e1, 1, 4, NULL, 8, &n), PT_EINVAL, "no output: EINVAL");
	T_EQ(pt_store_hub_checkpoint_range(st, "h-chain", "hub-none", 1, 4, cp, 8, &n), PT_ENOTFOUND,
	     "an unknown hub: ENOTFOUND");
	T_EQ(pt_store_hub_checkpoint_range(st, "h-chain2", e2, 1, 10, cp, 8, &n), PT_OK, "e2's");
	T_OK(n == 1 && cp[0].seq == 2, "only its own: 2");

	T_EQ(pt_store_hub_event_range(st, "h-chain", e1, 1, 10, ev, PT_STORE_CHAIN_EVENTS_MAX, &n), PT_OK,
	     "e1's events 1..10");
	T_OK(n == 6 && ev[0].hub_seq == 1 && ev[1].hub_seq == 2 && ev[2].hub_seq == 3 &&
		     ev[3].hub_seq == 4 && ev[4].hub_seq == 6 && ev[5].hub_seq == 7,
	     "1, 2, 3, 4, 6, 7 by seq: 5 is absent (the one in h-chain2 is not e1's home's)");
	fill(want, sizeof(want), 106);
	T_OK(strcmp(ev[4].home_id, "h-chain") == 0 && strcmp(ev[4].source, "hub:" "hub-00000000000000e1") == 0 &&
		     ev[4].at == 1700002006 && strcmp(ev[4].type, "door.open") == 0 &&
		     strcmp(ev[4].data, "{\"door\":\"front\"}") == 0 &&
		     memcmp(ev[4].hash, want, sizeof(want)) == 0,
	     "each row as stored, with its hash");
	T_OK(all_zero(ev[5].hash, sizeof(ev[5].hash)), "7, stored without one, reads a zero hash");
	T_EQ(pt_store_hub_event_range(st, "h-chain", e1, 2, 6, ev, 2, &n), PT_OK, "2..6, at most 2");
	T_OK(n == 2 && ev[0].hub_seq == 2 && ev[1].hub_seq == 3, "2 and 3");
	T_EQ(pt_store_hub_event_range(st, "h-chain", e1, 8, 8, ev, 4, &n), PT_OK, "8..8");
	T_EQ(n, 0, "none");
	n = 99;
	T_EQ(pt_store_hub_event_range(st, "h-chain", e1, 1, 10, ev, PT_STORE_CHAIN_EVENTS_MAX + 1, &n),
	     PT_EINVAL, "max over 1024: EINVAL");
	T_EQ(n, 0, "n 0");
	T_EQ(pt_store_hub_event_range(st, "h-chain", e1, 3, 2, ev, 4, &n), PT_EINVAL, "to < from: EINVAL");
	T_EQ(pt_store_hub_event_range(st, "h-chain", e1, 0, 2, ev, 4, &n), PT_EINVAL, "from 0: EINVAL");
	T_EQ(pt_store_hub_event_range(st, "h-chain", e1, 1, 2, ev, 4, NULL), PT_EINVAL, "no n: EINVAL");
	T_EQ(pt_store_hub_event_range(st, "h-chain", "hub-none", 1, 2, ev, 4, &n), PT_ENOTFOUND,
	     "an unknown hub: ENOTFOUND");
	T_EQ(pt_store_hub_event_range(st, "h-chain2", e2, 1, 10, ev, 4, &n), PT_OK, "e2's events");
	T_OK(n == 2 && ev[0].hub_seq == 1 && ev[1].hub_seq == 2 &&
		     strcmp(ev[0].source, "hub:" "hub-00000000000000e2") == 0,
	     "its own: 1 and 2");

	T_EQ(pt_store_home_get(st, "h-chain2", other, &h2, &role), PT_OK, "h-chain2's rowid");
	T_EQ(raw_int(db, "SELECT count(*) FROM hub_checkpoints WHERE home = $1", h2.rowid), 1,
	     "h-chain2 holds 1 checkpoint");
	T_EQ(pt_store_begin(st), PT_OK, "begin");
	T_EQ(pt_store_hub_delete(st, "h-chain", e1, 1700009000), PT_OK, "remove hub e1");
	T_EQ(pt_store_commit(st), PT_OK, "commit");
	T_EQ(raw_int(db, "SELECT count(*) FROM hub_checkpoints WHERE home = $1", h.rowid), 2,
	     "its checkpoints stay with the home, as its events do");
	test_hub_removed(st, db, other, h.rowid);
	T_EQ(pt_store_begin(st), PT_OK, "begin");
	T_EQ(pt_store_home_delete(st, "h-chain"), PT_OK, "delete h-chain");
	T_EQ(pt_store_home_delete(st, "h-chain2"), PT_OK, "delete h-chain2");
	T_EQ(pt_store_commit(st), PT_OK, "commit");
	T_OK(raw_int(db, "SELECT count(*) FROM hub_checkpoints WHERE home = $1", h.rowid) == 0 &&
		     raw_int(db, "SELECT count(*) FROM hub_checkpoints WHERE home = $1", h2.rowid) == 0,
	     "their checkpoints went with them (ON DELETE CASCADE)");
	T_EQ(raw_int(db, "SELECT count(*) FROM hubs_removed WHERE home = $1", h.rowid), 0,
	     "and the copy of the removed hub (ON DELETE CASCADE)");
out:
	if (db != NULL)
		raw_close(db);
	free(ev);
}

/*
 * Schemas 10 and 11 on a database that version 9 left, with a paired hub,
 * its events and a checkpoint in it. Migration 10 only adds hubs_removed
 * and 11 only hubs.confirmed, so dropping them and their schema_version
 * rows gives back the version-9 database (test_migrate_v1 checks that the whole path from version 1
 * gives the schema of a fresh one). After the migration the hub is still
 * paired, and its removal keeps its chain. where: the database to reopen.
 */
static void
test_migrate_v9(struct pt_store **stp, const char *where, int64_t owner)
{
	static const char *const m1 = "hub-00000000000000f1";
	struct pt_errbuf err = { "" };
	struct pt_event_row ev[4];
	struct pt_hub_checkpoint one;
	uint8_t sig[PT_SIG_LEN];
	struct pt_home h;
	struct pt_hub b, g, list[2];
	struct raw *db;
	size_t n = 99;

	fill(sig, sizeof(sig), 93);
	T_EQ(pt_store_begin(*stp), PT_OK, "begin");
	home_init(&h, "h-mig", "Mig");
	T_EQ(pt_store_home_insert(*stp, &h, owner), PT_OK, "home h-mig");
	hub_init(&b, m1, "h-mig", 78, owner);
	T_EQ(pt_store_hub_insert(*stp, &b), PT_OK, "hub m1 in h-mig");
	T_EQ(add_hub_event(*stp, "h-mig", m1, 1, 130), PT_OK, "m1's event 1");
	T_EQ(add_hub_event(*stp, "h-mig", m1, 2, 131), PT_OK, "m1's event 2");
	T_EQ(pt_store_hub_checkpoint_add(*stp, m1, 2, sig), PT_OK, "its checkpoint at 2");
	T_EQ(pt_store_commit(*stp), PT_OK, "commit");
	pt_store_close(*stp);
	*stp = NULL;

	db = raw_open();
	T_OK(db != NULL && raw_exec(db, "DROP TABLE hubs_removed") == 0 &&
		     raw_exec(db, "ALTER TABLE hubs DROP COLUMN confirmed") == 0 &&
		     raw_exec(db, "DELETE FROM schema_version WHERE version >= 10") == 0,
	     "back to version 9: hubs_removed, hubs.confirmed and their version rows dropped");
	T_EQ(raw_int(db, "SELECT max(version) FROM schema_version", 0), 9, "version 9");
	if (db != NULL)
		raw_close(db);
	T_EQ(pt_store_open(where, stp, &err), PT_OK, "open migrates it: %s", err.msg);
	if (*stp == NULL)
		return;
	T_EQ(pt_store_schema_version(*stp), STORE_SCHEMA, "the newest version");
	db = raw_open();
	T_OK(db != NULL && raw_int(db, "SELECT count(*) FROM hubs_removed", 0) == 0,
	     "hubs_removed is there, empty");
	T_EQ(pt_store_hub_list(*stp, "h-mig", list, 2, &n), PT_OK, "h-mig's hubs");
	T_OK(n == 1 && strcmp(list[0].id, m1) == 0, "m1 still paired");
	T_OK(n == 1 && !list[0].confirmed, "and unconfirmed (schema 11: existing rows 0)");
	T_EQ(pt_store_begin(*stp), PT_OK, "begin");
	T_EQ(pt_store_hub_delete(*stp, "h-mig", m1, 1700009700), PT_OK, "remove m1");
	T_EQ(pt_store_commit(*stp), PT_OK, "commit");
	T_EQ(pt_store_hub_by_id(*stp, m1, &g), PT_ENOTFOUND, "gone for the MQTT side");
	T_EQ(pt_store_hub_get(*stp, "h-mig", m1, &g), PT_OK, "kept for its chain");
	T_OK(g.removed_at == 1700009700 && memcmp(g.pk, b.pk, PT_PK_LEN) == 0,
	     "removed at 1700009700, with its key");
	T_EQ(pt_store_hub_event_range(*stp, "h-mig", m1, 1, 2, ev, 4, &n), PT_OK, "its events");
	T_OK(n == 2 && ev[1].hub_seq == 2, "1 and 2");
	T_EQ(pt_store_hub_checkpoint_next(*stp, "h-mig", m1, 1, &one), PT_OK, "its checkpoint");
	T_OK(one.seq == 2 && memcmp(one.sig, sig, sizeof(sig)) == 0, "2, as stored");
	T_EQ(pt_store_begin(*stp), PT_OK, "begin");
	T_EQ(pt_store_home_delete(*stp, "h-mig"), PT_OK, "delete h-mig");
	T_EQ(pt_store_commit(*stp), PT_OK, "commit");
	T_OK(db != NULL && raw_int(db, "SELECT count(*) FROM hubs_removed", 0) == 0,
	     "its copy went with it");
	if (db != NULL)
		raw_close(db);
}

/*
 * Security review 107: the writes that depend on a hub's confirmation
 * check it in the statement that writes, inside the caller's transaction.
 * L1: a registration replaces another home's unconfirmed row only while it
 * is still the row it read and still unconfirmed
 * (pt_store_hub_delete_unconfirmed); L2: what the MQTT side stores of a
 * hub's needs the row still confirmed in the home it read, held until the
 * transaction ends (pt_store_hub_hold). "Meanwhile" is played here in
 * sequence: the read, another transaction's change, then the call with
 * the stale expectation; test_store_pg.c plays it with two connections
 * at once. In homes of their own (h-rc1, ana's; h-rc2, ben's), deleted at
 * the end so the counts of the other checks stay as they are.
 */
static void
test_hub_confirmed_writes(struct pt_store *st, struct raw *db, int64_t owner, int64_t other)
{
	static const char *const r1 = "hub-00000000000000d1";
	struct pt_home h;
	struct pt_hub a, x, y;
	bool changed = false;

	T_EQ(pt_store_begin(st), PT_OK, "begin");
	home_init(&h, "h-rc1", "Rc1");
	T_EQ(pt_store_home_insert(st, &h, owner), PT_OK, "home h-rc1");
	home_init(&h, "h-rc2", "Rc2");
	T_EQ(pt_store_home_insert(st, &h, other), PT_OK, "home h-rc2");
	hub_init(&a, r1, "h-rc1", 79, owner);
	T_EQ(pt_store_hub_insert(st, &a), PT_OK, "hub r1 in h-rc1");
	T_EQ(pt_store_commit(st), PT_OK, "commit");

	/* L1: h-rc2's registration reads r1 unconfirmed; the hub confirms
	 * h-rc1 before the replacement removes it. */
	T_EQ(pt_store_hub_by_id(st, r1, &x), PT_OK, "the registration reads r1");
	T_OK(!x.confirmed && x.rowid == a.rowid && strcmp(x.home_id, "h-rc1") == 0,
	     "unconfirmed, in h-rc1");
	T_EQ(pt_store_hub_delete_unconfirmed(st, "h-rc1", r1, x.rowid, 0), PT_EINVAL,
	     "delete_unconfirmed outside a transaction: EINVAL");
	T_EQ(pt_store_begin(st), PT_OK, "begin");
	T_EQ(pt_store_hub_confirm_set(st, "h-rc1", r1, true, &changed), PT_OK,
	     "meanwhile the hub confirms h-rc1");
	T_EQ(pt_store_commit(st), PT_OK, "commit");
	T_EQ(pt_store_begin(st), PT_OK, "begin");
	T_EQ(pt_store_hub_delete_unconfirmed(st, "h-rc1", r1, x.rowid, 0), PT_EEXISTS,
	     "the replacement, on the stale read: EEXISTS");
	T_EQ(pt_store_hub_delete_unconfirmed(st, "h-rc1", r1, 0, 0), PT_EINVAL, "rowid 0: EINVAL");
	T_EQ(pt_store_commit(st), PT_OK, "commit: the refusal did not spoil the transaction");
	T_EQ(pt_store_hub_by_id(st, r1, &y), PT_OK, "r1 is still there");
	T_OK(y.confirmed && y.rowid == a.rowid && strcmp(y.home_id, "h-rc1") == 0,
	     "the same row, confirmed, in h-rc1");
	T_EQ(raw_int(db, "SELECT count(*) FROM hubs_removed WHERE public_id = 'hub-00000000000000d1'",
		     0), 0, "no removed copy: nothing was removed");

	/* Unconfirmed again (reset); then removed and paired again in h-rc1,
	 * a new row, while a registration holds the old one's rowid. */
	T_EQ(pt_store_begin(st), PT_OK, "begin");
	T_EQ(pt_store_hub_confirm_set(st, "h-rc1", r1, false, &changed), PT_OK, "r1 disowns h-rc1");
	T_EQ(pt_store_hub_delete_unconfirmed(st, "h-rc2", r1, a.rowid, 0), PT_EEXISTS,
	     "through a home it is not in: EEXISTS");
	T_EQ(pt_store_hub_delete_unconfirmed(st, "h-rc1", "hub-none", a.rowid, 0), PT_EEXISTS,
	     "an unknown hub: EEXISTS");
	T_EQ(pt_store_hub_delete(st, "h-rc1", r1, 1700009800), PT_OK, "h-rc1 removes r1");
	hub_init(&y, r1, "h-rc1", 79, owner);
	T_EQ(pt_store_hub_insert(st, &y), PT_OK, "and pairs it again: a new row");
	T_OK(y.rowid != a.rowid, "another rowid");
	T_EQ(pt_store_hub_delete_unconfirmed(st, "h-rc1", r1, a.rowid, 0), PT_EEXISTS,
	     "the old row's rowid: EEXISTS");
	T_EQ(pt_store_commit(st), PT_OK, "commit");
	T_EQ(pt_store_hub_by_id(st, r1, &x), PT_OK, "r1 read again");
	T_OK(x.rowid == y.rowid && !x.confirmed, "the new row, unconfirmed");
	T_EQ(pt_store_begin(st), PT_OK, "begin");
	T_EQ(pt_store_hub_delete_unconfirmed(st, "h-rc1", r1, x.rowid, 1700009900), PT_OK,
	     "the row read, still unconfirmed: removed");
	hub_init(&y, r1, "h-rc2", 79, other);
	T_EQ(pt_store_hub_insert(st, &y), PT_OK, "and registered in h-rc2");
	T_EQ(pt_store_commit(st), PT_OK, "commit");
	T_EQ(pt_store_hub_get(st, "h-rc1", r1, &x), PT_OK, "h-rc1's copy");
	T_OK(x.removed_at == 1700009900, "kept as pt_store_hub_delete keeps it");

	/* L2: r1 is in h-rc2, unconfirmed. */
	T_EQ(pt_store_hub_hold(st, "h-rc2", r1), PT_EINVAL, "hold outside a transaction: EINVAL");
	T_EQ(pt_store_begin(st), PT_OK, "begin");
	T_EQ(pt_store_hub_hold(st, "h-rc1", r1), PT_ENOTFOUND,
	     "in the home it was read in before, h-rc1: ENOTFOUND");
	T_EQ(pt_store_hub_hold(st, "h-rc2", r1), PT_ECONFLICT, "in h-rc2, unconfirmed: ECONFLICT");
	T_EQ(pt_store_hub_hold(st, "h-rc2", "hub-none"), PT_ENOTFOUND, "an unknown hub: ENOTFOUND");
	T_EQ(pt_store_hub_hold(st, "h-none", r1), PT_ENOTFOUND, "an unknown home: ENOTFOUND");
	T_EQ(pt_store_hub_confirm_set(st, "h-rc2", r1, true, &changed), PT_OK, "r1 confirms h-rc2");
	T_EQ(pt_store_hub_hold(st, "h-rc2", r1), PT_OK, "now held");
	T_EQ(pt_store_hub_hold(st, "h-rc2", r1), PT_OK, "again (the holder)");
	T_EQ(pt_store_commit(st), PT_OK, "commit: the refusals did not spoil the transaction");

	/* A message read r1 confirmed in h-rc2; meanwhile it disowns h-rc2. */
	T_EQ(pt_store_hub_by_id(st, r1, &x), PT_OK, "a message reads r1");
	T_OK(x.confirmed && strcmp(x.home_id, "h-rc2") == 0, "confirmed in h-rc2");
	T_EQ(pt_store_begin(st), PT_OK, "begin");
	T_EQ(pt_store_hub_confirm_set(st, "h-rc2", r1, false, &changed), PT_OK,
	     "meanwhile r1 disowns h-rc2");
	T_EQ(pt_store_commit(st), PT_OK, "commit");
	T_EQ(pt_store_begin(st), PT_OK, "begin");
	T_EQ(pt_store_hub_hold(st, x.home_id, x.id), PT_ECONFLICT, "the stale read: ECONFLICT");
	pt_store_rollback(st);
	/* Confirmed again, read; meanwhile removed from h-rc2 and registered
	 * in h-rc1. */
	T_EQ(pt_store_begin(st), PT_OK, "begin");
	T_EQ(pt_store_hub_confirm_set(st, "h-rc2", r1, true, &changed), PT_OK, "r1 confirms h-rc2");
	T_EQ(pt_store_commit(st), PT_OK, "commit");
	T_EQ(pt_store_hub_by_id(st, r1, &x), PT_OK, "a message reads r1");
	T_OK(x.confirmed && strcmp(x.home_id, "h-rc2") == 0, "confirmed in h-rc2");
	T_EQ(pt_store_begin(st), PT_OK, "begin");
	T_EQ(pt_store_hub_delete(st, "h-rc2", r1, 0), PT_OK, "meanwhile h-rc2 removes it");
	hub_init(&y, r1, "h-rc1", 79, owner);
	T_EQ(pt_store_hub_insert(st, &y), PT_OK, "and h-rc1 registers it");
	T_EQ(pt_store_commit(st), PT_OK, "commit");
	T_EQ(pt_store_begin(st), PT_OK, "begin");
	T_EQ(pt_store_hub_hold(st, x.home_id, x.id), PT_ENOTFOUND, "the stale read: ENOTFOUND");
	T_EQ(pt_store_hub_hold(st, "h-rc1", x.id), PT_ECONFLICT, "where it is now: unconfirmed");
	pt_store_rollback(st);

	T_EQ(pt_store_begin(st), PT_OK, "begin");
	T_EQ(pt_store_home_delete(st, "h-rc1"), PT_OK, "delete h-rc1");
	T_EQ(pt_store_home_delete(st, "h-rc2"), PT_OK, "delete h-rc2");
	T_EQ(pt_store_commit(st), PT_OK, "commit");
}

/* Two more homes: h-three (ana, owner) and h-four (ben, owner). */
static void
test_hubs(struct pt_store *st, int64_t owner, int64_t other)
{
	struct pt_home h;
	struct pt_hub a, b, x, list[4];
	struct raw *db;
	size_t n = 99;

	T_EQ(pt_store_begin(st), PT_OK, "begin");
	home_init(&h, "h-three", "Three");
	T_EQ(pt_store_home_insert(st, &h, owner), PT_OK, "home h-three, ana's");
	home_init(&h, "h-four", "Four");
	T_EQ(pt_store_home_insert(st, &h, other), PT_OK, "home h-four, ben's");
	T_EQ(pt_store_commit(st), PT_OK, "commit");

	hub_init(&a, "hub-000000000000000a", "h-three", 70, owner);
	hub_init(&b, "hub-000000000000000b", "h-four", 71, other);
	T_EQ(pt_store_hub_insert(st, &a), PT_EINVAL, "hub insert outside a transaction");
	T_EQ(pt_store_begin(st), PT_OK, "begin");
	T_EQ(pt_store_hub_insert(st, &a), PT_OK, "hub a in h-three");
	T_EQ(pt_store_hub_insert(st, &b), PT_OK, "hub b in h-four");
	T_OK(a.rowid > 0 && b.rowid > a.rowid, "rowids ascending");
	hub_init(&x, a.id, "h-four", 72, other);
	T_EQ(pt_store_hub_insert(st, &x), PT_EEXISTS, "a taken id: EEXISTS");
	T_EQ(x.rowid, 0, "no rowid on failure");
	hub_init(&x, "hub-000000000000000c", "h-four", 70, other);
	T_EQ(pt_store_hub_insert(st, &x), PT_EEXISTS, "a taken key: EEXISTS");
	hub_init(&x, "hub-000000000000000c", "h-none", 72, other);
	T_EQ(pt_store_hub_insert(st, &x), PT_ENOTFOUND, "an unknown home: ENOTFOUND");
	hub_init(&x, "hub-000000000000000c", "h-four", 72, other);
	x.pairing_len = 0;
	T_EQ(pt_store_hub_insert(st, &x), PT_EINVAL, "no pairing statement: EINVAL");
	hub_init(&x, "hub/c", "h-four", 72, other);
	T_EQ(pt_store_hub_insert(st, &x), PT_EINVAL, "an invalid id: EINVAL");
	T_EQ(pt_store_commit(st), PT_OK, "commit");

	T_EQ(pt_store_hub_list(st, "h-three", list, 4, &n), PT_OK, "h-three's hubs");
	T_OK(n == 1 && memcmp(&list[0], &a, sizeof(a)) == 0, "hub a, as inserted");
	T_EQ(pt_store_hub_list(st, "h-none", list, 4, &n), PT_ENOTFOUND,
	     "an unknown home: ENOTFOUND");

	T_EQ(pt_store_hub_delete(st, "h-three", a.id, 0), PT_EINVAL, "hub delete outside a transaction");
	T_EQ(pt_store_begin(st), PT_OK, "begin");
	T_EQ(pt_store_hub_delete(st, "h-four", a.id, 0), PT_ENOTFOUND,
	     "h-three's hub deleted through h-four: ENOTFOUND");
	T_EQ(pt_store_hub_delete(st, "h-three", "hub-none", 0), PT_ENOTFOUND, "an unknown hub");
	T_EQ(pt_store_hub_delete(st, "h-three", a.id, 0), PT_OK, "deleted through its home");
	T_EQ(pt_store_hub_delete(st, "h-three", a.id, 0), PT_ENOTFOUND, "again: ENOTFOUND");
	T_EQ(pt_store_commit(st), PT_OK, "commit");
	T_EQ(pt_store_hub_list(st, "h-three", list, 4, &n), PT_OK, "h-three's hubs");
	T_EQ(n, 0, "none");
	T_EQ(pt_store_hub_get(st, "h-three", a.id, &x), PT_OK, "hub_get: the removed copy");
	T_OK(x.removed_at > 0 && memcmp(x.pk, a.pk, PT_PK_LEN) == 0,
	     "removed (at the store's clock: 0 given), with its key");
	T_EQ(pt_store_hub_get(st, "h-four", b.id, &x), PT_OK, "hub_get of a paired hub");
	T_OK(x.removed_at == 0 && memcmp(&x, &b, sizeof(b)) == 0, "as inserted, removed_at 0");
	T_EQ(pt_store_hub_list(st, "h-four", list, 4, &n), PT_OK, "h-four's hubs");
	T_OK(n == 1 && strcmp(list[0].id, b.id) == 0, "hub b stays");
	test_hubs_mqtt(st, other, &b);
	test_hub_chain(st, other);
	db = raw_open();
	T_OK(db != NULL, "a connection of the test's own");
	if (db != NULL) {
		test_hub_confirmed_writes(st, db, owner, other);
		raw_close(db);
	}
}

/* ---- deliveries ---- */

static void
delivery_init(struct pt_delivery *d, const char *id, const char *home, const char *carrier,
	      int64_t at)
{
	memset(d, 0, sizeof(*d));
	(void)snprintf(d->id, sizeof(d->id), "%s", id);
	(void)snprintf(d->home_id, sizeof(d->home_id), "%s", home);
	(void)snprintf(d->carrier_id, sizeof(d->carrier_id), "%s", carrier);
	(void)snprintf(d->package_id, sizeof(d->package_id), "PKG-%s", id);
	d->state = PT_D_SCHEDULED;
	d->approval = PT_APPROVAL_PENDING;
	d->in_home = true;
	d->window_start = at + 3600;
	d->window_end = at + 7200;
	d->created_at = at;
	d->updated_at = at;
}

static long long
steps_of(struct pt_store *st, const char *id)
{
	struct pt_delivery_step s[16];
	size_t n = 0;

	return pt_store_delivery_steps(st, id, s, 16, &n) == PT_OK ? (long long)n : -1;
}

/* The ids of a filtered list, as "d-1 d-3", for compact checks. */
static const char *
list_ids(struct pt_store *st, const struct pt_delivery_filter *f, int64_t after, size_t max)
{
	static char buf[256];
	struct pt_delivery list[8];
	size_t n = 0, i, len = 0;

	buf[0] = '\0';
	if (max > 8 || pt_store_delivery_list(st, f, after, list, max, &n) != PT_OK)
		return "(error)";
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s", i ? " " : "",
					list[i].id);
	return buf;
}

static void
test_deliveries(struct pt_store *st, const struct org *o, int64_t owner, int64_t other)
{
	struct pt_delivery d1, d2, d3, d4, x, y;
	struct pt_delivery_step steps[8];
	struct pt_delivery_filter f;
	size_t n = 99;

	delivery_init(&d1, "d-1", "h-three", o->c1.id, 1700002000);
	delivery_init(&d2, "d-2", "h-four", o->c1.id, 1700002001);
	delivery_init(&d3, "d-3", "h-three", o->c2.id, 1700002002);
	delivery_init(&d4, "d-4", "h-one", o->c2.id, 1700002003);
	d4.in_home = false;
	d4.approval = PT_APPROVAL_NOT_NEEDED;
	T_EQ(pt_store_delivery_insert(st, &d1, o->admin), PT_EINVAL,
	     "delivery insert outside a transaction");
	T_EQ(pt_store_begin(st), PT_OK, "begin");
	T_EQ(pt_store_delivery_insert(st, &d1, o->admin), PT_OK, "d-1: h-three, carrier 1");
	T_EQ(pt_store_delivery_insert(st, &d2, o->admin), PT_OK, "d-2: h-four, carrier 1");
	T_EQ(pt_store_delivery_insert(st, &d3, o->admin2), PT_OK, "d-3: h-three, carrier 2");
	T_EQ(pt_store_delivery_insert(st, &d4, o->admin2), PT_OK, "d-4: h-one, carrier 2");
	T_OK(d1.rowid > 0 && d2.rowid > d1.rowid && d3.rowid > d2.rowid && d4.rowid > d3.rowid,
	     "rowids ascending");
	delivery_init(&x, "d-1", "h-four", o->c2.id, 1700002004);
	T_EQ(pt_store_delivery_insert(st, &x, o->admin), PT_EEXISTS, "a taken id: EEXISTS");
	T_EQ(x.rowid, 0, "no rowid on failure");
	delivery_init(&x, "d-x", "h-none", o->c1.id, 1700002004);
	T_EQ(pt_store_delivery_insert(st, &x, o->admin), PT_ENOTFOUND, "an unknown home: ENOTFOUND");
	delivery_init(&x, "d-x", "h-four", "c-none", 1700002004);
	T_EQ(pt_store_delivery_insert(st, &x, o->admin), PT_ENOTFOUND,
	     "an unknown carrier: ENOTFOUND");
	delivery_init(&x, "d-x", "h-four", o->c1.id, 1700002004);
	x.state = 0;
	T_EQ(pt_store_delivery_insert(st, &x, o->admin), PT_EINVAL, "state 0: EINVAL");
	x.state = 10;
	T_EQ(pt_store_delivery_insert(st, &x, o->admin), PT_EINVAL, "state 10: EINVAL");
	x.state = PT_D_SCHEDULED;
	x.approval = 3;
	T_EQ(pt_store_delivery_insert(st, &x, o->admin), PT_EINVAL, "approval 3: EINVAL");
	x.approval = PT_APPROVAL_PENDING;
	x.window_end = x.window_start - 1;
	T_EQ(pt_store_delivery_insert(st, &x, o->admin), PT_EINVAL,
	     "a window that ends before it starts: EINVAL");
	delivery_init(&x, "d x", "h-four", o->c1.id, 1700002004);
	T_EQ(pt_store_delivery_insert(st, &x, o->admin), PT_EINVAL, "an invalid id: EINVAL");
	T_EQ(pt_store_commit(st), PT_OK, "commit");

	T_EQ(pt_store_delivery_get(st, "d-1", &x), PT_OK, "get d-1");
	T_OK(memcmp(&x, &d1, sizeof(x)) == 0, "every field as inserted");
	T_OK(!x.has_token && x.courier == 0 && x.device == 0, "no token, courier or device yet");
	T_EQ(pt_store_delivery_get(st, "d-4", &x), PT_OK, "get d-4");
	T_OK(memcmp(&x, &d4, sizeof(x)) == 0, "every field as inserted");
	T_EQ(pt_store_delivery_get(st, "d-x", &x), PT_ENOTFOUND, "an unknown id: ENOTFOUND");
	T_OK(all_zero(&x, sizeof(x)), "output zeroed");
	T_EQ(pt_store_delivery_steps(st, "d-1", steps, 8, &n), PT_OK, "d-1's steps");
	T_OK(n == 1 && steps[0].state == PT_D_SCHEDULED && steps[0].at == 1700002000 &&
		     steps[0].actor == o->admin,
	     "one: scheduled, at created_at, by its actor");
	T_EQ(steps_of(st, "d-x"), -1, "steps of an unknown delivery: ENOTFOUND");
	T_EQ(pt_store_delivery_steps(st, "d-x", steps, 8, &n), PT_ENOTFOUND, "(the code)");
	T_EQ(n, 0, "n zeroed");

	/* Dispatch: scheduled -> out, with a courier. */
	T_EQ(pt_store_delivery_get(st, "d-1", &x), PT_OK, "read d-1");
	x.state = PT_D_OUT;
	x.courier = o->cole;
	x.updated_at = 1700002100;
	T_EQ(pt_store_delivery_update(st, &x, PT_D_SCHEDULED, o->admin), PT_EINVAL,
	     "update outside a transaction");
	T_EQ(pt_store_begin(st), PT_OK, "begin");
	T_EQ(pt_store_delivery_update(st, &x, PT_D_SCHEDULED, o->admin), PT_OK,
	     "scheduled -> out");
	y = x;
	y.state = PT_D_CANCELLED;
	(void)snprintf(y.reason, sizeof(y.reason), "stale");
	T_EQ(pt_store_delivery_update(st, &y, PT_D_SCHEDULED, owner), PT_ECONFLICT,
	     "a second move from scheduled: ECONFLICT");
	(void)snprintf(y.id, sizeof(y.id), "d-x");
	T_EQ(pt_store_delivery_update(st, &y, PT_D_SCHEDULED, owner), PT_ENOTFOUND,
	     "an unknown id: ENOTFOUND");
	T_EQ(pt_store_commit(st), PT_OK, "commit");
	T_EQ(pt_store_delivery_get(st, "d-1", &y), PT_OK, "read d-1");
	T_OK(memcmp(&y, &x, sizeof(y)) == 0, "out, cole, updated_at: the conflict changed nothing");
	T_EQ(steps_of(st, "d-1"), 2, "two steps");

	/* Same state, other fields: no step. */
	x.approval = PT_APPROVAL_APPROVED;
	x.updated_at = 1700002150;
	T_EQ(pt_store_begin(st), PT_OK, "begin");
	T_EQ(pt_store_delivery_update(st, &x, PT_D_OUT, owner), PT_OK, "approve, still out");
	T_EQ(pt_store_commit(st), PT_OK, "commit");
	T_EQ(steps_of(st, "d-1"), 2, "no step for an unchanged state");

	/* Issue a credential: token and device. */
	x.state = PT_D_ISSUED;
	x.has_token = true;
	fill(x.token_id, sizeof(x.token_id), 80);
	x.device = o->dev_cole;
	x.updated_at = 1700002200;
	T_EQ(pt_store_begin(st), PT_OK, "begin");
	T_EQ(pt_store_delivery_update(st, &x, PT_D_OUT, 0), PT_OK, "out -> credential-issued");
	T_EQ(pt_store_commit(st), PT_OK, "commit");
	T_EQ(pt_store_delivery_get(st, "d-1", &y), PT_OK, "read d-1");
	T_OK(memcmp(&y, &x, sizeof(y)) == 0, "issued, with its token and device");

	/* Two requests read "issued"; the first to commit wins. */
	y = x;
	x.state = PT_D_ENTERED;
	x.updated_at = 1700002300;
	y.state = PT_D_CANCELLED;
	y.updated_at = 1700002301;
	(void)snprintf(y.reason, sizeof(y.reason), "owner cancelled");
	T_EQ(pt_store_begin(st), PT_OK, "begin (request A)");
	T_EQ(pt_store_delivery_update(st, &x, PT_D_ISSUED, 0), PT_OK, "A: issued -> entered");
	T_EQ(pt_store_commit(st), PT_OK, "commit A");
	T_EQ(pt_store_begin(st), PT_OK, "begin (request B)");
	T_EQ(pt_store_delivery_update(st, &y, PT_D_ISSUED, owner), PT_ECONFLICT,
	     "B: issued -> cancelled: ECONFLICT");
	x.state = 10;
	T_EQ(pt_store_delivery_update(st, &x, PT_D_ENTERED, 0), PT_EINVAL, "state 10: EINVAL");
	x.state = PT_D_ENTERED;
	T_EQ(pt_store_commit(st), PT_OK, "commit B");
	T_EQ(pt_store_delivery_get(st, "d-1", &y), PT_OK, "read d-1");
	T_OK(y.state == PT_D_ENTERED && y.reason[0] == '\0' && y.updated_at == 1700002300,
	     "entered: A's write stands");
	T_EQ(pt_store_delivery_steps(st, "d-1", steps, 8, &n), PT_OK, "d-1's steps");
	T_OK(n == 4 && steps[0].state == PT_D_SCHEDULED && steps[1].state == PT_D_OUT &&
		     steps[2].state == PT_D_ISSUED && steps[3].state == PT_D_ENTERED,
	     "scheduled, out, issued, entered: in order, nothing from B or the EINVAL");
	T_OK(steps[1].at == 1700002100 && steps[1].actor == o->admin && steps[2].at == 1700002200 &&
		     steps[2].actor == 0 && steps[3].at == 1700002300,
	     "each at its updated_at, by its actor");
	T_EQ(pt_store_delivery_steps(st, "d-1", steps, 2, &n), PT_OK, "steps with max 2");
	T_EQ(n, 2, "two");

	/* d-2 refused, with a reason. */
	T_EQ(pt_store_delivery_get(st, "d-2", &x), PT_OK, "read d-2");
	x.state = PT_D_REFUSED;
	(void)snprintf(x.reason, sizeof(x.reason), "dog in the hall");
	x.updated_at = 1700002400;
	T_EQ(pt_store_begin(st), PT_OK, "begin");
	T_EQ(pt_store_delivery_update(st, &x, PT_D_SCHEDULED, other), PT_OK, "d-2 refused");
	T_EQ(pt_store_commit(st), PT_OK, "commit");
	T_EQ(pt_store_delivery_get(st, "d-2", &y), PT_OK, "read d-2");
	T_OK(y.state == PT_D_REFUSED && strcmp(y.reason, "dog in the hall") == 0, "with its reason");

	/* Filters: d-1 h-three/c1 (cole, entered), d-2 h-four/c1 (refused),
	 * d-3 h-three/c2, d-4 h-one/c2. Ana owns h-one and h-three, ben owns
	 * h-four and is a member of h-one; admin runs c1, admin2 runs c2. */
	memset(&f, 0, sizeof(f));
	T_OK(strcmp(list_ids(st, &f, 0, 8), "d-1 d-2 d-3 d-4") == 0, "no filter: all, in order");
	T_OK(strcmp(list_ids(st, &f, 0, 2), "d-1 d-2") == 0, "page 1 of 2");
	T_OK(strcmp(list_ids(st, &f, d2.rowid, 2), "d-3 d-4") == 0, "page 2: after d-2");
	T_OK(strcmp(list_ids(st, &f, d4.rowid, 2), "") == 0, "after the last: empty");
	T_EQ(pt_store_delivery_list(st, &f, 0, NULL, 0, &n), PT_OK, "max 0");
	T_EQ(n, 0, "nothing");
	f.home_id = "h-three";
	T_OK(strcmp(list_ids(st, &f, 0, 8), "d-1 d-3") == 0, "home h-three: d-1 d-3");
	T_OK(strcmp(list_ids(st, &f, d1.rowid, 8), "d-3") == 0, "home h-three after d-1: d-3");
	f.carrier_id = o->c2.id;
	T_OK(strcmp(list_ids(st, &f, 0, 8), "d-3") == 0, "home h-three and carrier 2: d-3");
	f.home_id = "h-none";
	f.carrier_id = NULL;
	T_OK(strcmp(list_ids(st, &f, 0, 8), "") == 0, "an unknown home: empty, not an error");
	f.home_id = "h-0123456789012345678901234567890123456789012345678901234567890123456789";
	T_OK(strcmp(list_ids(st, &f, 0, 8), "") == 0, "a home id too long: empty");
	memset(&f, 0, sizeof(f));
	f.carrier_id = o->c1.id;
	T_OK(strcmp(list_ids(st, &f, 0, 8), "d-1 d-2") == 0, "carrier 1: d-1 d-2");
	f.state = PT_D_REFUSED;
	T_OK(strcmp(list_ids(st, &f, 0, 8), "d-2") == 0, "carrier 1 and refused: d-2");
	memset(&f, 0, sizeof(f));
	f.courier = o->cole;
	T_OK(strcmp(list_ids(st, &f, 0, 8), "d-1") == 0, "courier cole: d-1");
	f.member = other;
	T_OK(strcmp(list_ids(st, &f, 0, 8), "") == 0, "cole's and ben's homes: none");
	memset(&f, 0, sizeof(f));
	f.member = other;
	T_OK(strcmp(list_ids(st, &f, 0, 8), "d-2 d-4") == 0,
	     "member ben: d-2 (his h-four) and d-4 (h-one, as a member)");
	f.member = owner;
	T_OK(strcmp(list_ids(st, &f, 0, 8), "d-1 d-3 d-4") == 0, "member ana: h-three and h-one");
	T_OK(strcmp(list_ids(st, &f, d1.rowid, 1), "d-3") == 0, "member ana, after d-1, max 1");
	f.carrier_admin = o->admin;
	T_OK(strcmp(list_ids(st, &f, 0, 8), "d-1") == 0, "member ana and carrier admin 1: d-1");
	memset(&f, 0, sizeof(f));
	f.carrier_admin = o->admin2;
	T_OK(strcmp(list_ids(st, &f, 0, 8), "d-3 d-4") == 0, "carrier admin 2: d-3 d-4");
	f.carrier_admin = o->cole;
	T_OK(strcmp(list_ids(st, &f, 0, 8), "") == 0, "a courier administers nothing");
	memset(&f, 0, sizeof(f));
	f.state = PT_D_SCHEDULED;
	T_OK(strcmp(list_ids(st, &f, 0, 8), "d-3 d-4") == 0, "state scheduled: d-3 d-4");
	f.state = PT_D_ENTERED;
	T_OK(strcmp(list_ids(st, &f, 0, 8), "d-1") == 0, "state entered: d-1");
	memset(&f, 0, sizeof(f));
	T_EQ(pt_store_delivery_list(st, NULL, 0, &x, 1, &n), PT_EINVAL, "no filter struct: EINVAL");
}

/* ---- events and alerts ---- */

static int
add_event(struct pt_store *st, const char *home, const char *source, int64_t seq, int64_t *id)
{
	struct pt_event_row e;
	int r;

	memset(&e, 0, sizeof(e));
	(void)snprintf(e.home_id, sizeof(e.home_id), "%s", home);
	(void)snprintf(e.source, sizeof(e.source), "%s", source);
	(void)snprintf(e.type, sizeof(e.type), "door.opened");
	(void)snprintf(e.data, sizeof(e.data), "{\"seq\":%lld}", (long long)seq);
	e.at = 1700003000 + seq;
	e.hub_seq = seq;
	r = pt_store_event_append(st, &e);
	if (id != NULL)
		*id = e.id;
	return r;
}

static void
test_events(struct pt_store *st, int64_t *event_three, int64_t *event_four)
{
	struct pt_event_row e, list[8];
	int64_t id = -1, first = 0;
	size_t n = 99;

	T_EQ(add_event(st, "h-three", "server", 0, &id), PT_EINVAL, "append outside a transaction");
	T_EQ(id, 0, "no id");
	T_EQ(pt_store_begin(st), PT_OK, "begin");
	T_EQ(add_event(st, "h-three", "server", 0, &first), PT_OK, "a server event (hub_seq 0)");
	T_EQ(add_event(st, "h-three", "server", 0, &id), PT_OK, "the same again: stored again");
	T_OK(first > 0 && id > first, "ids ascending");
	T_EQ(add_event(st, "h-three", "hub:hub-000000000000000a", 1, event_three), PT_OK,
	     "hub a, seq 1");
	T_EQ(add_event(st, "h-three", "hub:hub-000000000000000a", 1, &id), PT_EEXISTS,
	     "hub a resends seq 1: EEXISTS");
	T_EQ(id, 0, "no id on failure");
	T_EQ(add_event(st, "h-three", "hub:hub-000000000000000a", 2, NULL), PT_OK, "hub a, seq 2");
	T_EQ(add_event(st, "h-three", "hub:hub-000000000000000z", 1, NULL), PT_OK,
	     "another source's seq 1");
	T_EQ(add_event(st, "h-four", "hub:hub-000000000000000a", 1, event_four), PT_OK,
	     "the same source and seq in another home");
	T_EQ(add_event(st, "h-none", "server", 0, NULL), PT_ENOTFOUND, "an unknown home: ENOTFOUND");
	T_EQ(add_event(st, "h-three", "server", -1, NULL), PT_EINVAL, "hub_seq -1: EINVAL");
	T_EQ(add_event(st, "h-three", "", 0, NULL), PT_EINVAL, "an empty source: EINVAL");
	T_EQ(pt_store_commit(st), PT_OK, "commit: the EEXISTS did not spoil the transaction");

	T_EQ(pt_store_event_list(st, "h-three", 0, list, 8, &n), PT_OK, "h-three's events");
	T_EQ(n, 5, "five");
	T_OK(list[0].id == first && list[2].id == *event_three && list[1].id < list[2].id &&
		     list[3].id < list[4].id,
	     "in id order");
	memset(&e, 0, sizeof(e));
	e.id = *event_three;
	(void)snprintf(e.home_id, sizeof(e.home_id), "h-three");
	(void)snprintf(e.source, sizeof(e.source), "hub:hub-000000000000000a");
	(void)snprintf(e.type, sizeof(e.type), "door.opened");
	(void)snprintf(e.data, sizeof(e.data), "{\"seq\":1}");
	e.at = 1700003001;
	e.hub_seq = 1;
	T_OK(memcmp(&list[2], &e, sizeof(e)) == 0, "hub a's seq 1, every field");
	T_EQ(pt_store_event_list(st, "h-three", *event_three, list, 8, &n), PT_OK, "after it");
	T_OK(n == 2 && list[0].hub_seq == 2, "two: seq 2 and the other source's");
	T_EQ(pt_store_event_list(st, "h-three", 0, list, 1, &n), PT_OK, "max 1");
	T_OK(n == 1 && list[0].id == first, "the first");
	T_EQ(pt_store_event_list(st, "h-four", 0, list, 8, &n), PT_OK, "h-four's events");
	T_OK(n == 1 && list[0].id == *event_four, "only its own");
	T_EQ(pt_store_event_list(st, "h-none", 0, list, 8, &n), PT_ENOTFOUND,
	     "an unknown home: ENOTFOUND");
}

static int
add_alert(struct pt_store *st, const char *home, int64_t event_id, int64_t *id)
{
	struct pt_alert_row a;
	int r;

	memset(&a, 0, sizeof(a));
	(void)snprintf(a.home_id, sizeof(a.home_id), "%s", home);
	(void)snprintf(a.type, sizeof(a.type), "intrusion");
	(void)snprintf(a.data, sizeof(a.data), "{\"zone\":\"hall\"}");
	a.at = 1700004000;
	a.event_id = event_id;
	r = pt_store_alert_insert(st, &a);
	*id = a.id;
	return r;
}

static void
test_alerts(struct pt_store *st, int64_t owner, int64_t other, int64_t event_three,
	    int64_t event_four)
{
	struct pt_alert_row a, list[4];
	int64_t a1 = -1, a2 = -1, x = -1;
	size_t n = 99;

	T_EQ(add_alert(st, "h-three", event_three, &a1), PT_EINVAL, "insert outside a transaction");
	T_EQ(pt_store_begin(st), PT_OK, "begin");
	T_EQ(add_alert(st, "h-three", event_three, &a1), PT_OK, "alert 1, raised by an event");
	T_EQ(add_alert(st, "h-three", 0, &a2), PT_OK, "alert 2, by no event");
	T_OK(a1 > 0 && a2 > a1, "ids ascending");
	T_EQ(add_alert(st, "h-three", event_four, &x), PT_ENOTFOUND,
	     "naming another home's event: ENOTFOUND");
	T_EQ(x, 0, "no id on failure");
	T_EQ(add_alert(st, "h-none", 0, &x), PT_ENOTFOUND, "an unknown home: ENOTFOUND");
	T_EQ(pt_store_commit(st), PT_OK, "commit");

	T_EQ(pt_store_alert_list(st, "h-three", true, 0, list, 4, &n), PT_OK, "open alerts");
	T_OK(n == 2 && list[0].id == a1 && list[1].id == a2, "both, in order");
	T_OK(list[0].event_id == event_three && list[0].acked_by == 0 && list[0].acked_at == 0 &&
		     list[0].at == 1700004000 && strcmp(list[0].type, "intrusion") == 0 &&
		     strcmp(list[0].home_id, "h-three") == 0,
	     "fields as inserted, open");

	T_EQ(pt_store_alert_ack(st, "h-three", a1, owner, 1700004100, &a), PT_EINVAL,
	     "ack outside a transaction");
	T_EQ(pt_store_begin(st), PT_OK, "begin");
	T_EQ(pt_store_alert_ack(st, "h-three", a1, owner, 1700004100, &a), PT_OK, "ana acks 1");
	T_OK(a.id == a1 && a.acked_by == owner && a.acked_at == 1700004100, "the row, acked by ana");
	T_EQ(pt_store_alert_ack(st, "h-three", a1, other, 1700004200, &a), PT_OK,
	     "ben acks it again: OK");
	T_OK(a.acked_by == owner && a.acked_at == 1700004100, "the first ack stands");
	T_EQ(pt_store_alert_ack(st, "h-four", a1, other, 1700004200, &a), PT_ENOTFOUND,
	     "ack through another home: ENOTFOUND");
	T_OK(all_zero(&a, sizeof(a)), "output zeroed");
	T_EQ(pt_store_alert_ack(st, "h-four", a2, other, 1700004200, &a), PT_ENOTFOUND,
	     "an open alert, through another home: ENOTFOUND");
	T_EQ(pt_store_alert_ack(st, "h-three", a2 + 100, owner, 1700004200, &a), PT_ENOTFOUND,
	     "an unknown alert: ENOTFOUND");
	T_EQ(pt_store_alert_ack(st, "h-three", a2, 0, 1700004200, &a), PT_EINVAL,
	     "acked by account 0: EINVAL");
	T_EQ(pt_store_commit(st), PT_OK, "commit");

	T_EQ(pt_store_alert_list(st, "h-three", true, 0, list, 4, &n), PT_OK, "open alerts");
	T_OK(n == 1 && list[0].id == a2 && list[0].acked_by == 0, "alert 2 only: untouched");
	T_EQ(pt_store_alert_list(st, "h-three", false, 0, list, 4, &n), PT_OK, "all alerts");
	T_OK(n == 2 && list[0].acked_by == owner && list[0].acked_at == 1700004100,
	     "both, alert 1 acked by ana");
	T_EQ(pt_store_alert_list(st, "h-three", false, a1, list, 4, &n), PT_OK, "after alert 1");
	T_OK(n == 1 && list[0].id == a2, "alert 2");
	T_EQ(pt_store_alert_list(st, "h-four", false, 0, list, 4, &n), PT_OK, "h-four's alerts");
	T_EQ(n, 0, "none");
	T_EQ(pt_store_alert_list(st, "h-none", false, 0, list, 4, &n), PT_ENOTFOUND,
	     "an unknown home: ENOTFOUND");
}

/* ---- home delete: schema 2 rows ---- */

static void
test_home_delete_v2(struct pt_store *st, const struct org *o, int64_t owner)
{
	static const char *const counts[] = {
		"SELECT count(*) FROM hubs WHERE home = $1",
		"SELECT count(*) FROM deliveries WHERE home = $1",
		("SELECT count(*) FROM delivery_steps WHERE delivery IN"
		 " (SELECT id FROM deliveries WHERE home = $1)"),
		"SELECT count(*) FROM events WHERE home = $1",
		"SELECT count(*) FROM alerts WHERE home = $1",
	};
	struct raw *db = raw_open();
	struct pt_home h;
	struct pt_carrier c;
	struct pt_courier k;
	struct pt_delivery d;
	long long before[5], after[5], steps, audit;
	int64_t id;
	size_t i;
	int role;

	T_OK(db != NULL, "a raw connection");
	if (db == NULL)
		return;
	T_EQ(pt_store_home_get(st, "h-three", owner, &h, &role), PT_OK, "h-three's rowid");
	T_EQ(pt_store_begin(st), PT_OK, "begin");
	{
		struct pt_hub b;

		hub_init(&b, "hub-000000000000000d", "h-three", 73, owner);
		T_EQ(pt_store_hub_insert(st, &b), PT_OK, "a hub for h-three");
	}
	T_EQ(pt_store_commit(st), PT_OK, "commit");
	for (i = 0; i < 5; i++)
		before[i] = raw_int(db, counts[i], h.rowid);
	T_OK(before[0] == 1 && before[1] == 2 && before[2] == 5 && before[3] == 5 && before[4] == 2,
	     "h-three has 1 hub, 2 deliveries with 5 steps, 5 events, 2 alerts");
	steps = raw_int(db, "SELECT count(*) FROM delivery_steps", 0);
	audit = raw_int(db, "SELECT count(*) FROM audit", 0);

	T_EQ(pt_store_begin(st), PT_OK, "begin");
	T_EQ(pt_store_home_delete(st, "h-three"), PT_OK, "delete h-three");
	T_EQ(pt_store_commit(st), PT_OK, "commit");
	for (i = 0; i < 5; i++)
		after[i] = raw_int(db, counts[i], h.rowid);
	T_OK(after[0] == 0 && after[1] == 0 && after[2] == 0 && after[3] == 0 && after[4] == 0,
	     "its hubs, deliveries, their steps, events and alerts are gone");
	T_EQ(raw_int(db, "SELECT count(*) FROM delivery_steps", 0), steps - 5,
	     "other deliveries' steps stay");
	T_EQ(raw_int(db, "SELECT count(*) FROM audit", 0), audit, "the audit trail is untouched");
	T_EQ(pt_store_delivery_get(st, "d-1", &d), PT_ENOTFOUND, "d-1 is gone");
	T_EQ(pt_store_delivery_get(st, "d-2", &d), PT_OK, "d-2 (h-four) stays");
	T_EQ(pt_store_carrier_get(st, o->c1.id, &c), PT_OK, "the carrier stays");
	T_EQ(pt_store_courier_get(st, o->cole, &k), PT_OK, "its courier stays");
	T_EQ(pt_store_begin(st), PT_OK, "begin");
	T_EQ(add_event(st, "h-three", "server", 0, &id), PT_ENOTFOUND,
	     "no events for a deleted home");
	pt_store_rollback(st);
	raw_close(db);
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
	struct raw *db = raw_open();
	uint8_t buf[256], want[PT_HASH_LEN], prev[PT_HASH_LEN], hash[PT_HASH_LEN], *p = buf;
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
	if (db != NULL && raw_blob(db, "SELECT prev FROM audit WHERE seq = 1", prev, sizeof(prev)) &&
	    raw_blob(db, "SELECT hash FROM audit WHERE seq = 1", hash, sizeof(hash)))
		ok = all_zero(prev, PT_HASH_LEN) && memcmp(hash, want, PT_HASH_LEN) == 0;
	T_OK(ok, "row 1: prev is 32 zero bytes, hash is SHA-256 of the documented input");
	if (db != NULL)
		raw_close(db);
}

static void
test_audit_tamper(struct pt_store *st)
{
	struct raw *db = raw_open();
	int64_t bad = -1, rows = -1;

	T_OK(db != NULL, "a raw connection");
	if (db == NULL)
		return;
	T_OK(raw_exec(db, "UPDATE audit SET detail = 'x' WHERE seq = 5") != 0,
	     "the trigger refuses UPDATE of an audit row");
	T_OK(strstr(raw_errmsg(db), "append-only") != NULL, "with its reason: %s",
	     raw_errmsg(db));
	T_OK(raw_exec(db, "DELETE FROM audit WHERE seq = 5") != 0,
	     "the trigger refuses DELETE of an audit row");
	T_OK(raw_exec(db, "DELETE FROM audit") != 0, "and DELETE of all rows");
	T_EQ(raw_int(db, "SELECT count(*) FROM audit", 0), 101, "still 101 rows");

	T_EQ(raw_exec(db, RAW_DROP_AUDIT_TRIGGERS), 0,
	     "an intruder drops the triggers");

	/* A changed detail. */
	T_EQ(raw_exec(db, "UPDATE audit SET detail = '{\"n\":51}' WHERE seq = 50"), 0,
	     "change row 50's detail");
	T_EQ(pt_store_audit_verify(st, &bad, &rows), PT_EBADSIG, "verify: EBADSIG");
	T_EQ(bad, 50, "first bad row: 50");
	T_EQ(rows, 49, "49 good rows before it");
	T_EQ(raw_exec(db, "UPDATE audit SET detail = '{\"n\":50}' WHERE seq = 50"), 0,
	     "put it back");
	T_EQ(pt_store_audit_verify(st, &bad, &rows), PT_OK, "verify: OK again");
	T_EQ(rows, 101, "101 rows");

	/* A changed actor (an integer field). */
	T_EQ(raw_exec(db, "UPDATE audit SET actor = actor + 1 WHERE seq = 60"), 0,
	     "change row 60's actor");
	T_EQ(pt_store_audit_verify(st, &bad, &rows), PT_EBADSIG, "verify: EBADSIG");
	T_EQ(bad, 60, "first bad row: 60");
	T_EQ(raw_exec(db, "UPDATE audit SET actor = actor - 1 WHERE seq = 60"), 0,
	     "put it back");

	/* A changed prev. */
	T_EQ(raw_exec(db, "UPDATE audit SET prev = " RAW_ZERO32 " WHERE seq = 70"), 0,
	     "change row 70's prev");
	T_EQ(pt_store_audit_verify(st, &bad, &rows), PT_EBADSIG, "verify: EBADSIG");
	T_EQ(bad, 70, "first bad row: 70");
	T_EQ(rows, 69, "69 good rows");
	T_EQ(raw_exec(db, "UPDATE audit SET prev = (SELECT hash FROM audit WHERE seq = 69)"
			  " WHERE seq = 70"),
	     0, "put it back");
	T_EQ(pt_store_audit_verify(st, &bad, &rows), PT_OK, "verify: OK again");

	/* A row rewritten with a consistent hash: the next row's prev gives it away. */
	T_EQ(raw_exec(db, "UPDATE audit SET hash = " RAW_ZERO32 " WHERE seq = 80"), 0,
	     "change row 80's hash");
	T_EQ(pt_store_audit_verify(st, &bad, &rows), PT_EBADSIG, "verify: EBADSIG");
	T_EQ(bad, 80, "first bad row: 80");
	T_EQ(raw_exec(db, "UPDATE audit SET hash = (SELECT prev FROM audit WHERE seq = 81)"
			  " WHERE seq = 80"),
	     0, "put it back");

	/* A deleted row. */
	T_EQ(raw_exec(db, "CREATE TEMP TABLE saved AS SELECT * FROM audit WHERE seq = 30;"
			  "DELETE FROM audit WHERE seq = 30"),
	     0, "delete row 30");
	T_EQ(pt_store_audit_verify(st, &bad, &rows), PT_EBADSIG, "verify: EBADSIG");
	T_EQ(bad, 31, "first bad row: 31, the gap");
	T_EQ(rows, 29, "29 good rows");
	T_EQ(raw_exec(db, "INSERT INTO audit SELECT * FROM saved; DELETE FROM saved"), 0,
	     "put it back");
	T_EQ(pt_store_audit_verify(st, &bad, &rows), PT_OK, "verify: OK again");

	/* The first row deleted. */
	T_EQ(raw_exec(db, "INSERT INTO saved SELECT * FROM audit WHERE seq = 1;"
			  "DELETE FROM audit WHERE seq = 1"),
	     0, "delete row 1");
	T_EQ(pt_store_audit_verify(st, &bad, &rows), PT_EBADSIG, "verify: EBADSIG");
	T_EQ(bad, 2, "first bad row: 2");
	T_EQ(rows, 0, "no good rows");
	T_EQ(raw_exec(db, "INSERT INTO audit SELECT * FROM saved; DROP TABLE saved"), 0,
	     "put it back");
	T_EQ(pt_store_audit_verify(st, &bad, &rows), PT_OK, "verify: OK again");
	T_EQ(rows, 101, "101 rows");

	/* The store keeps appending after the repair. */
	T_EQ(pt_store_begin(st), PT_OK, "begin");
	T_EQ(pt_store_audit_append(st, 1, 0, "home.create", "home:h-x", "{}"), PT_OK, "append 101");
	T_EQ(pt_store_commit(st), PT_OK, "commit");
	T_EQ(pt_store_audit_verify(st, &bad, &rows), PT_OK, "verify");
	T_EQ(rows, 102, "102 rows");
	raw_close(db);
}

/* ---- home delete ---- */

/* Schema 6: a camera's owner-signed statement, stored and read back byte
 * for byte; NULL (statement_len 0) for a camera enrolled without one. */
static void
test_cameras(struct pt_store *st, int64_t owner)
{
	struct pt_camera a, b, list[4];
	struct raw *db = raw_open();
	size_t n = 0, i;

	memset(&a, 0, sizeof(a));
	(void)snprintf(a.id, sizeof(a.id), "cam-signed");
	(void)snprintf(a.home_id, sizeof(a.home_id), "h-two");
	(void)snprintf(a.name, sizeof(a.name), "Front door");
	memset(a.pk, 0x5a, sizeof(a.pk));
	a.added_by = owner;
	for (i = 0; i < 300; i++)
		a.statement[i] = (uint8_t)(i * 7 + 1);
	a.statement_len = 300;
	b = a;
	(void)snprintf(b.id, sizeof(b.id), "cam-unsigned");
	memset(b.pk, 0x6b, sizeof(b.pk));
	b.statement_len = 0;
	T_EQ(pt_store_begin(st), PT_OK, "begin");
	T_EQ(pt_store_camera_insert(st, &a), PT_OK, "a camera with its statement");
	T_EQ(pt_store_camera_insert(st, &b), PT_OK, "a camera without one (enrolled before schema 6)");
	b.statement_len = sizeof(b.statement) + 1;
	(void)snprintf(b.id, sizeof(b.id), "cam-too-long");
	T_EQ(pt_store_camera_insert(st, &b), PT_EINVAL, "a statement longer than the store holds");
	T_EQ(pt_store_commit(st), PT_OK, "commit");
	T_EQ(pt_store_camera_list(st, "h-two", list, 4, &n), PT_OK, "list");
	T_EQ(n, 2, "two cameras");
	T_OK(n == 2 && strcmp(list[0].id, "cam-signed") == 0 && list[0].statement_len == 300 &&
	     memcmp(list[0].statement, a.statement, 300) == 0,
	     "the statement read back byte for byte");
	T_OK(n == 2 && strcmp(list[1].id, "cam-unsigned") == 0 && list[1].statement_len == 0,
	     "the unsigned camera has none");
	memset(&b, 0xff, sizeof(b));
	T_EQ(pt_store_camera_by_id(st, "cam-signed", &b), PT_OK, "by id");
	T_OK(b.statement_len == 300 && memcmp(b.statement, a.statement, 300) == 0,
	     "by id: the same statement");
	T_OK(db != NULL && raw_int(db, "SELECT count(*) FROM cameras WHERE statement IS NULL", 0) == 1,
	     "the unsigned camera's statement is NULL in the store");
	T_EQ(pt_store_begin(st), PT_OK, "begin");
	T_EQ(pt_store_camera_delete(st, "h-two", "cam-signed"), PT_OK, "remove one");
	T_EQ(pt_store_camera_delete(st, "h-two", "cam-unsigned"), PT_OK, "remove the other");
	T_EQ(pt_store_commit(st), PT_OK, "commit");
	if (db != NULL)
		raw_close(db);
}

/* pt_store_home_lock's contract, the same on both backends: a home of its
 * own, "h-lock" (pt_store_pg's threads then use it). */
static void
test_home_lock_basic(struct pt_store *st, int64_t owner)
{
	struct pt_home h;

	home_init(&h, "h-lock", "Lock");
	T_EQ(pt_store_begin(st), PT_OK, "begin");
	T_EQ(pt_store_home_insert(st, &h, owner), PT_OK, "home h-lock");
	T_EQ(pt_store_commit(st), PT_OK, "commit");
	T_EQ(pt_store_home_lock(st, "h-lock"), PT_EINVAL, "home_lock outside a transaction: EINVAL");
	T_EQ(pt_store_begin(st), PT_OK, "begin");
	T_EQ(pt_store_home_lock(st, "h-nobody"), PT_ENOTFOUND, "home_lock of no such home: ENOTFOUND");
	T_EQ(pt_store_home_lock(st, "h-lock"), PT_OK, "home_lock h-lock");
	T_EQ(pt_store_home_lock(st, "h-lock"), PT_OK, "home_lock h-lock again (the holder)");
	T_EQ(pt_store_commit(st), PT_OK, "commit");
}

static void
test_home_delete(struct pt_store *st, int64_t owner, int64_t rowid)
{
	static const char *const counts[] = {
		"SELECT count(*) FROM home_members WHERE home = $1",
		"SELECT count(*) FROM owner_keys WHERE home = $1",
		"SELECT count(*) FROM grants WHERE home = $1",
		"SELECT count(*) FROM revocations WHERE home = $1",
	};
	struct raw *db = raw_open();
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
	raw_close(db);
}


#endif
