/*
 * tests/unit/test_hub_state.c: porter-hub's durable state (daemons/hub/
 * state.h) and the event records it chains (porter/event.h).
 *
 * Every check runs in a temporary directory, removed at the end. Damage to
 * the event chain is done through a second, raw SQLite connection, the way
 * an intruder with the file would do it. Crash safety: a child charges an
 * entry in a loop and reports each count after the call returns; the
 * parent kills it with SIGKILL at a random moment and checks that no
 * acknowledged entry was lost and at most one unacknowledged one kept.
 */
#define _GNU_SOURCE	/* nftw's FTW_DEPTH and FTW_PHYS */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>

#include "porter/event.h"
#include "state.h"
#include "t.h"

static char tmpdir[64];
static char dbpath[256];
static unsigned seed;

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

static void
sleep_us(long us)
{
	struct timespec ts = { us / 1000000, (us % 1000000) * 1000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* A fresh database path under tmpdir, its files removed first. */
static const char *
fresh(const char *name)
{
	char p[300];

	(void)snprintf(dbpath, sizeof(dbpath), "%s/%s", tmpdir, name);
	(void)unlink(dbpath);
	(void)snprintf(p, sizeof(p), "%s-wal", dbpath);
	(void)unlink(p);
	(void)snprintf(p, sizeof(p), "%s-shm", dbpath);
	(void)unlink(p);
	return dbpath;
}

static struct hub_state *
open_or_die(const char *path)
{
	struct hub_state *hs = NULL;
	struct pt_errbuf err;

	if (hub_state_open(path, &hs, &err) != PT_OK) {
		printf("Bail out! cannot open '%s': %s\n", path, err.msg);
		exit(1);
	}
	return hs;
}

/* A raw connection to the same file, past the state's checks. */
static sqlite3 *
raw_open(const char *path)
{
	sqlite3 *db = NULL;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		printf("Bail out! raw open: %s\n", db != NULL ? sqlite3_errmsg(db) : "?");
		exit(1);
	}
	sqlite3_busy_timeout(db, 5000);
	return db;
}

static int
raw_exec(sqlite3 *db, const char *sql)
{
	return sqlite3_exec(db, sql, NULL, NULL, NULL);
}

static void
hex_to(uint8_t *out, size_t n, const char *hex)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned v = 0;
		(void)sscanf(hex + 2 * i, "%2x", &v);
		out[i] = (uint8_t)v;
	}
}

static void
fill(uint8_t *p, size_t n, uint8_t v)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(v + i);
}

static void
key_pair(struct pt_secret **s, uint8_t pk[PT_PK_LEN])
{
	*s = pt_secret_new();
	if (*s == NULL || pt_secret_generate(*s) != PT_OK) {
		printf("Bail out! cannot make a key\n");
		exit(1);
	}
	pt_secret_public(*s, pk);
}

static void
set_event(struct hub_event *e, int64_t at, const char *type, const char *data)
{
	memset(e, 0, sizeof(*e));
	e->at = at;
	(void)snprintf(e->type, sizeof(e->type), "%s", type);
	(void)snprintf(e->data, sizeof(e->data), "%s", data);
}

/* The documented layout, built by hand, hashed with libsodium directly. */
static void
by_hand(const uint8_t prev[32], int64_t seq, int64_t at, const char *type, const char *data,
	uint8_t out[32])
{
	crypto_hash_sha256_state st;
	uint8_t b[8];
	size_t tl = strlen(type), dl = strlen(data);
	int i;

	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const uint8_t *)"porter/event/v1", 16); /* with 0x00 */
	crypto_hash_sha256_update(&st, prev, 32);
	for (i = 0; i < 8; i++)
		b[i] = (uint8_t)((uint64_t)seq >> (56 - 8 * i));
	crypto_hash_sha256_update(&st, b, 8);
	for (i = 0; i < 8; i++)
		b[i] = (uint8_t)((uint64_t)at >> (56 - 8 * i));
	crypto_hash_sha256_update(&st, b, 8);
	b[0] = (uint8_t)(tl >> 24), b[1] = (uint8_t)(tl >> 16), b[2] = (uint8_t)(tl >> 8),
	b[3] = (uint8_t)tl;
	crypto_hash_sha256_update(&st, b, 4);
	crypto_hash_sha256_update(&st, (const uint8_t *)type, tl);
	b[0] = (uint8_t)(dl >> 24), b[1] = (uint8_t)(dl >> 16), b[2] = (uint8_t)(dl >> 8),
	b[3] = (uint8_t)dl;
	crypto_hash_sha256_update(&st, b, 4);
	crypto_hash_sha256_update(&st, (const uint8_t *)data, dl);
	crypto_hash_sha256_final(&st, out);
}

/* ---- porter/event.h ---- */

static void
test_event_type(void)
{
	char t49[50];

	T_OK(pt_event_type_is_valid("door.open", 9), "type: door.open");
	T_OK(pt_event_type_is_valid("a", 1), "type: one byte");
	T_OK(pt_event_type_is_valid("cam-1.health.0", 14), "type: digits, dots, dashes");
	memset(t49, 'a', sizeof(t49));
	T_OK(pt_event_type_is_valid(t49, 48), "type: 48 bytes");
	T_OK(!pt_event_type_is_valid(t49, 49), "type: 49 bytes refused");
	T_OK(!pt_event_type_is_valid("", 0), "type: empty refused");
	T_OK(!pt_event_type_is_valid(NULL, 3), "type: NULL refused");
	T_OK(!pt_event_type_is_valid("Door.open", 9), "type: upper case refused");
	T_OK(!pt_event_type_is_valid("door_open", 9), "type: underscore refused");
	T_OK(!pt_event_type_is_valid("door open", 9), "type: space refused");
	T_OK(!pt_event_type_is_valid("door\0open", 9), "type: NUL inside refused");
	T_OK(!pt_event_type_is_valid("door\xc3\xa9", 6), "type: non-ASCII refused");
}

static void
test_event_hash(void)
{
	const struct pt_crypto_ops *ops = pt_crypto_sodium();
	uint8_t prev[32], out[32], want[32], zero[32] = {0};
	uint8_t data[PT_EVENT_DATA_MAX + 1];
	char big[PT_EVENT_DATA_MAX + 1];
	int i;

	/* Known answers, computed independently (Python's hashlib). */
	fill(prev, 32, 0);
	T_EQ(pt_event_hash(ops, prev, 7, 1700000000, "door.open", 9,
			   (const uint8_t *)"{\"a\":1}", 7, out),
	     PT_OK, "hash: known answer 1");
	hex_to(want, 32, "a0681eda69e5eea70492989447b96e941880dc0895c170cf6793e54e5b19a18f");
	T_OK(memcmp(out, want, 32) == 0, "hash: known answer 1 matches");
	T_EQ(pt_event_hash(ops, zero, 1, -2, "hub.start", 9, NULL, 0, out), PT_OK,
	     "hash: known answer 2 (first event, negative time, no data)");
	hex_to(want, 32, "317c565cbc7beea1ecaffa9a2ae0f91605b382f210983506e6d19f37e6fe3d13");
	T_OK(memcmp(out, want, 32) == 0, "hash: known answer 2 matches");

	/* Against the layout built by hand, over a spread of values. */
	for (i = 0; i < 4; i++) {
		static const int64_t seqs[] = { 1, 2, 0x0102030405060708LL, INT64_MAX };
		static const int64_t ats[] = { 0, -1, INT64_MIN, 253402300799LL };
		randombytes_buf(prev, sizeof(prev));
		by_hand(prev, seqs[i], ats[i], "lock.state", "{\"locked\":true}", want);
		T_EQ(pt_event_hash(ops, prev, seqs[i], ats[i], "lock.state", 10,
				   (const uint8_t *)"{\"locked\":true}", 15, out),
		     PT_OK, "hash: by hand %d", i);
		T_OK(memcmp(out, want, 32) == 0, "hash: equals the documented layout %d", i);
	}

	/* Bounds, both ways. */
	memset(big, 'x', sizeof(big));
	big[PT_EVENT_DATA_MAX] = '\0';
	memcpy(data, big, sizeof(data));
	by_hand(prev, 3, 4, "a", big, want);
	T_EQ(pt_event_hash(ops, prev, 3, 4, "a", 1, data, PT_EVENT_DATA_MAX, out), PT_OK,
	     "hash: data of PT_EVENT_DATA_MAX bytes");
	T_OK(memcmp(out, want, 32) == 0, "hash: largest data as documented");
	memset(out, 0xff, sizeof(out));
	T_EQ(pt_event_hash(ops, prev, 3, 4, "a", 1, data, PT_EVENT_DATA_MAX + 1, out), PT_EINVAL,
	     "hash: data one byte too long");
	T_OK(memcmp(out, zero, 32) == 0, "hash: output zeroed on failure");
	T_EQ(pt_event_hash(ops, prev, 0, 4, "a", 1, NULL, 0, out), PT_EINVAL, "hash: seq 0");
	T_EQ(pt_event_hash(ops, prev, -5, 4, "a", 1, NULL, 0, out), PT_EINVAL, "hash: seq < 0");
	T_EQ(pt_event_hash(ops, prev, 1, 4, "A", 1, NULL, 0, out), PT_EINVAL, "hash: bad type");
	T_EQ(pt_event_hash(ops, prev, 1, 4, "", 0, NULL, 0, out), PT_EINVAL, "hash: empty type");
	T_EQ(pt_event_hash(ops, prev, 1, 4, big, 49, NULL, 0, out), PT_EINVAL,
	     "hash: type too long");
	T_EQ(pt_event_hash(ops, prev, 1, 4, "a", 1, NULL, 1, out), PT_EINVAL,
	     "hash: NULL data with a length");
	T_EQ(pt_event_hash(NULL, prev, 1, 4, "a", 1, NULL, 0, out), PT_EINVAL, "hash: no ops");
	T_EQ(pt_event_hash(ops, NULL, 1, 4, "a", 1, NULL, 0, out), PT_EINVAL, "hash: no prev");
	T_EQ(pt_event_hash(ops, prev, 1, 4, "a", 1, NULL, 0, NULL), PT_EINVAL, "hash: no out");
}

static void
test_checkpoint(void)
{
	const struct pt_crypto_ops *ops = pt_crypto_sodium();
	uint8_t msg[PT_CHECKPOINT_MSG_MAX], want[68], hash[32], sig[64], pk[32], pk2[32];
	struct pt_secret *s, *s2;
	char id65[66];
	size_t n = 99;

	fill(hash, 32, 0);
	T_EQ(pt_checkpoint_message("hub-01", 42, hash, msg, sizeof(msg), &n), PT_OK,
	     "checkpoint: message");
	hex_to(want, sizeof(want),
	       "706f727465722f636865636b706f696e742f763100066875622d3031000000000000002a"
	       "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
	T_EQ(n, sizeof(want), "checkpoint: message length as documented");
	T_OK(memcmp(msg, want, sizeof(want)) == 0, "checkpoint: message layout as documented");
	T_EQ(pt_checkpoint_message("hub-01", 42, hash, msg, sizeof(want) - 1, &n), PT_ENOSPC,
	     "checkpoint: buffer one byte short");
	T_EQ(n, 0, "checkpoint: no length on failure");
	T_EQ(pt_checkpoint_message("hub-01", 42, hash, msg, sizeof(want), &n), PT_OK,
	     "checkpoint: buffer exactly long enough");
	memset(id65, 'h', sizeof(id65));
	id65[65] = '\0';
	T_EQ(pt_checkpoint_message(id65, 1, hash, msg, sizeof(msg), &n), PT_EINVAL,
	     "checkpoint: hub id of 65 bytes");
	id65[64] = '\0';
	T_EQ(pt_checkpoint_message(id65, 1, hash, msg, sizeof(msg), &n), PT_OK,
	     "checkpoint: hub id of 64 bytes (PT_CHECKPOINT_MSG_MAX holds it)");
	T_EQ(n, PT_CHECKPOINT_MSG_MAX, "checkpoint: the longest message is PT_CHECKPOINT_MSG_MAX");
	T_EQ(pt_checkpoint_message("", 1, hash, msg, sizeof(msg), &n), PT_EINVAL,
	     "checkpoint: empty hub id");
	T_EQ(pt_checkpoint_message("hub 1", 1, hash, msg, sizeof(msg), &n), PT_EINVAL,
	     "checkpoint: hub id with a space");
	T_EQ(pt_checkpoint_message("hub-01", 0, hash, msg, sizeof(msg), &n), PT_EINVAL,
	     "checkpoint: seq 0");
	T_EQ(pt_checkpoint_message(NULL, 1, hash, msg, sizeof(msg), &n), PT_EINVAL,
	     "checkpoint: NULL hub id");

	key_pair(&s, pk);
	key_pair(&s2, pk2);
	T_EQ(pt_checkpoint_message("hub-01", 42, hash, msg, sizeof(msg), &n), PT_OK,
	     "checkpoint: message to sign");
	T_EQ(pt_sign_detached(s, sig, msg, n), PT_OK, "checkpoint: signed with a pt_secret");
	T_EQ(pt_checkpoint_verify(ops, pk, "hub-01", 42, hash, sig), PT_OK, "checkpoint: verifies");
	T_EQ(pt_checkpoint_verify(ops, pk2, "hub-01", 42, hash, sig), PT_EBADSIG,
	     "checkpoint: another key");
	T_EQ(pt_checkpoint_verify(ops, pk, "hub-02", 42, hash, sig), PT_EBADSIG,
	     "checkpoint: another hub id");
	T_EQ(pt_checkpoint_verify(ops, pk, "hub-01", 43, hash, sig), PT_EBADSIG,
	     "checkpoint: another seq");
	hash[31] ^= 1;
	T_EQ(pt_checkpoint_verify(ops, pk, "hub-01", 42, hash, sig), PT_EBADSIG,
	     "checkpoint: another hash");
	hash[31] ^= 1;
	sig[0] ^= 1;
	T_EQ(pt_checkpoint_verify(ops, pk, "hub-01", 42, hash, sig), PT_EBADSIG,
	     "checkpoint: a flipped signature bit");
	sig[0] ^= 1;
	T_EQ(pt_checkpoint_verify(ops, pk, "", 42, hash, sig), PT_EBADSIG,
	     "checkpoint: an invalid hub id is not signed");
	T_EQ(pt_checkpoint_verify(NULL, pk, "hub-01", 42, hash, sig), PT_EBADSIG,
	     "checkpoint: no ops");
	pt_secret_free(s);
	pt_secret_free(s2);
}

/* ---- open ---- */

static void
test_open(void)
{
	struct hub_state *hs = NULL;
	struct pt_errbuf err;
	char p[200], q[300];
	sqlite3 *db;
	int fd;

	T_EQ(hub_state_open(NULL, &hs, &err), PT_EINVAL, "open: NULL path");
	T_EQ(hub_state_open("", &hs, &err), PT_EINVAL, "open: empty path");
	T_EQ(hub_state_open("x", NULL, &err), PT_EINVAL, "open: NULL out");

	/* A directory that does not exist yet, several levels deep. */
	(void)snprintf(p, sizeof(p), "%s/state/deeper/hub.db", tmpdir);
	T_EQ(hub_state_open(p, &hs, &err), PT_OK, "open: creates its directories");
	T_OK(hs != NULL, "open: a state");
	(void)snprintf(q, sizeof(q), "%s/state/deeper", tmpdir);
	T_EQ(mode_of(q), 0700, "open: parent directory is 0700");
	(void)snprintf(q, sizeof(q), "%s/state", tmpdir);
	T_EQ(mode_of(q), 0700, "open: grandparent directory is 0700");
	T_EQ(mode_of(p), 0600, "open: file is 0600");
	T_EQ(hub_state_meta_set(hs, "k", 1), PT_OK, "open: a write (creates the WAL)");
	(void)snprintf(q, sizeof(q), "%s-wal", p);
	T_EQ(mode_of(q), 0600, "open: -wal is 0600");
	(void)snprintf(q, sizeof(q), "%s-shm", p);
	T_EQ(mode_of(q), 0600, "open: -shm is 0600");
	hub_state_close(hs);
	hs = NULL;

	/* The settings state.h promises, as another connection sees them. */
	db = raw_open(p);
	{
		sqlite3_stmt *s = NULL;
		const char *mode = "";
		if (sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &s, NULL) == SQLITE_OK &&
		    sqlite3_step(s) == SQLITE_ROW)
			mode = (const char *)sqlite3_column_text(s, 0);
		T_OK(mode != NULL && strcmp(mode, "wal") == 0, "open: journal mode is WAL");
		sqlite3_finalize(s);
		s = NULL;
		T_EQ(sqlite3_prepare_v2(db,
					"SELECT count(*) FROM sqlite_schema WHERE type = 'table'"
					" AND name IN ('owners', 'meta', 'usage', 'revocations',"
					" 'lockout', 'events', 'checkpoints')"
					" AND sql LIKE '%STRICT%'",
					-1, &s, NULL),
		     SQLITE_OK, "open: schema readable");
		T_EQ(sqlite3_step(s), SQLITE_ROW, "open: schema row");
		T_EQ(sqlite3_column_int(s, 0), 7, "open: the seven tables exist, all STRICT");
		sqlite3_finalize(s);
	}
	sqlite3_close(db);

	/* An existing file that is too open gets tightened. */
	fresh("loose.db");
	fd = open(dbpath, O_CREAT | O_WRONLY, 0644);
	close(fd);
	(void)chmod(dbpath, 0644);
	T_EQ(hub_state_open(dbpath, &hs, &err), PT_OK, "open: an existing empty file");
	T_EQ(mode_of(dbpath), 0600, "open: an existing file's mode tightened to 0600");
	hub_state_close(hs);
	hs = NULL;

	/* A symlink at the path is refused. */
	(void)snprintf(p, sizeof(p), "%s/link.db", tmpdir);
	T_EQ(symlink(dbpath, p), 0, "open: make a symlink");
	memset(&err, 0, sizeof(err));
	T_EQ(hub_state_open(p, &hs, &err), PT_EIO, "open: a symlink is refused");
	T_OK(hs == NULL && strstr(err.msg, "link.db") != NULL, "open: the error names the path");

	/* A parent that is a file. */
	(void)snprintf(p, sizeof(p), "%s/loose.db/hub.db", tmpdir);
	T_EQ(hub_state_open(p, &hs, &err), PT_EIO, "open: parent is a file");
	T_OK(err.msg[0] != '\0', "open: with a message (%s)", err.msg);

	/* A directory at the path. */
	T_EQ(hub_state_open(tmpdir, &hs, &err), PT_EIO, "open: a directory is refused");

	/* A file that is not a database. */
	fresh("garbage.db");
	fd = open(dbpath, O_CREAT | O_WRONLY, 0600);
	T_EQ(write(fd, "this is not a database, not at all; just some text\n", 51), 51,
	     "open: write garbage");
	{
		char pad[4096];
		memset(pad, 'g', sizeof(pad));
		T_EQ(write(fd, pad, sizeof(pad)), (long)sizeof(pad), "open: more garbage");
	}
	close(fd);
	T_EQ(hub_state_open(dbpath, &hs, &err), PT_EIO, "open: not a database");
	T_OK(hs == NULL, "open: no state on failure");

	/* A schema from the future. */
	fresh("future.db");
	hs = open_or_die(dbpath);
	hub_state_close(hs);
	hs = NULL;
	db = raw_open(dbpath);
	T_EQ(raw_exec(db, "INSERT INTO schema_version VALUES (99, 0)"), SQLITE_OK,
	     "open: pretend a newer program migrated");
	sqlite3_close(db);
	T_EQ(hub_state_open(dbpath, &hs, &err), PT_EIO, "open: unknown schema version refused");
	T_OK(strstr(err.msg, "99") != NULL, "open: message names the version (%s)", err.msg);

	/* Open twice in one process, and reopen: migrations run once. */
	fresh("twice.db");
	hs = open_or_die(dbpath);
	{
		struct hub_state *hs2 = NULL;
		T_EQ(hub_state_open(dbpath, &hs2, &err), PT_OK, "open: a second connection");
		hub_state_close(hs2);
	}
	hub_state_close(hs);
	hub_state_close(NULL);
	T_OK(1, "close: NULL is a no-op");
}

/* ---- owners, home ---- */

static void
test_owners(void)
{
	struct hub_state *hs = open_or_die(fresh("owners.db"));
	uint8_t pk[HUB_OWNERS_MAX + 1][PT_PK_LEN], list[HUB_OWNERS_MAX + 1][PT_PK_LEN];
	uint8_t bad[PT_PK_LEN] = {0}, statement[PT_ENVELOPE_SIZE_MAX + 1];
	char label[HUB_LABEL_MAX + 2], home[PT_ID_MAX + 1], id65[66];
	struct pt_secret *s;
	size_t n = 99, i;
	int r = PT_OK;

	for (i = 0; i <= HUB_OWNERS_MAX; i++) {
		key_pair(&s, pk[i]);
		pt_secret_free(s);
	}
	memset(statement, 0xa5, sizeof(statement));

	T_EQ(hub_state_owner_list(hs, list, HUB_OWNERS_MAX, &n), PT_OK, "owners: empty list");
	T_EQ(n, 0, "owners: none yet");
	T_EQ(hub_state_owner_add(hs, pk[0], "alice's phone", statement, 100, 1000), PT_OK,
	     "owners: add the first");
	T_EQ(hub_state_owner_add(hs, pk[0], "again", statement, 100, 1001), PT_EEXISTS,
	     "owners: a known key is PT_EEXISTS");
	T_EQ(hub_state_owner_add(hs, pk[1], "", NULL, 0, 1002), PT_OK,
	     "owners: empty label, no statement");
	T_EQ(hub_state_owner_add(hs, pk[2], "max statement", statement, PT_ENVELOPE_SIZE_MAX, 1003),
	     PT_OK, "owners: statement of PT_ENVELOPE_SIZE_MAX");
	T_EQ(hub_state_owner_add(hs, pk[3], "x", statement, PT_ENVELOPE_SIZE_MAX + 1, 1003),
	     PT_EINVAL, "owners: statement too long");
	memset(label, 'l', sizeof(label));
	label[HUB_LABEL_MAX] = '\0';
	T_EQ(hub_state_owner_add(hs, pk[3], label, statement, 1, 1004), PT_OK,
	     "owners: label of HUB_LABEL_MAX bytes");
	label[HUB_LABEL_MAX] = 'l';
	label[HUB_LABEL_MAX + 1] = '\0';
	T_EQ(hub_state_owner_add(hs, pk[4], label, statement, 1, 1004), PT_EINVAL,
	     "owners: label too long");
	T_EQ(hub_state_owner_add(hs, bad, "zero", statement, 1, 1005), PT_EINVAL,
	     "owners: an invalid public key (small order)");
	T_EQ(hub_state_owner_add(hs, pk[4], NULL, statement, 1, 1005), PT_EINVAL,
	     "owners: NULL label");
	T_EQ(hub_state_owner_add(hs, pk[4], "x", NULL, 3, 1005), PT_EINVAL,
	     "owners: NULL statement with a length");
	T_EQ(hub_state_owner_add(NULL, pk[4], "x", NULL, 0, 1005), PT_EINVAL, "owners: NULL state");
	T_EQ(hub_state_owner_add(hs, NULL, "x", NULL, 0, 1005), PT_EINVAL, "owners: NULL key");

	T_EQ(hub_state_owner_list(hs, list, HUB_OWNERS_MAX, &n), PT_OK, "owners: list");
	T_EQ(n, 4, "owners: four");
	T_OK(memcmp(list[0], pk[0], 32) == 0 && memcmp(list[1], pk[1], 32) == 0 &&
		     memcmp(list[2], pk[2], 32) == 0 && memcmp(list[3], pk[3], 32) == 0,
	     "owners: in enrolment order");
	T_EQ(hub_state_owner_list(hs, list, 4, &n), PT_OK, "owners: a list that just fits");
	T_EQ(n, 4, "owners: all four");
	n = 99;
	T_EQ(hub_state_owner_list(hs, list, 3, &n), PT_ENOSPC,
	     "owners: never a silently short list of roots");
	T_EQ(n, 0, "owners: none on failure");
	T_EQ(hub_state_owner_list(hs, NULL, 0, &n), PT_ENOSPC, "owners: no room at all");
	T_EQ(hub_state_owner_list(hs, NULL, 5, &n), PT_EINVAL, "owners: NULL out with room");
	T_EQ(hub_state_owner_list(hs, list, 5, NULL), PT_EINVAL, "owners: NULL n");
	T_EQ(hub_state_owner_list(NULL, list, 5, &n), PT_EINVAL, "owners: NULL state");

	for (i = 4; i < HUB_OWNERS_MAX && r == PT_OK; i++)
		r = hub_state_owner_add(hs, pk[i], "more", NULL, 0, 2000);
	T_EQ(r, PT_OK, "owners: up to HUB_OWNERS_MAX");
	T_EQ(hub_state_owner_add(hs, pk[HUB_OWNERS_MAX], "one too many", NULL, 0, 2000), PT_ENOSPC,
	     "owners: no more than HUB_OWNERS_MAX");
	T_EQ(hub_state_owner_list(hs, list, HUB_OWNERS_MAX, &n), PT_OK, "owners: list all");
	T_EQ(n, HUB_OWNERS_MAX, "owners: HUB_OWNERS_MAX of them");

	/* The paired home. */
	memset(home, 'x', sizeof(home));
	T_EQ(hub_state_home_get(hs, home), PT_OK, "home: get before pairing");
	T_EQ(home[0], '\0', "home: \"\" before pairing");
	T_EQ(hub_state_home_set(hs, "home-1"), PT_OK, "home: set");
	T_EQ(hub_state_home_get(hs, home), PT_OK, "home: get");
	T_OK(strcmp(home, "home-1") == 0, "home: as set");
	memset(id65, 'h', sizeof(id65));
	id65[64] = '\0';
	T_EQ(hub_state_home_set(hs, id65), PT_OK, "home: id of PT_ID_MAX bytes");
	T_EQ(hub_state_home_get(hs, home), PT_OK, "home: get the long one");
	T_OK(strcmp(home, id65) == 0, "home: long id kept whole");
	id65[64] = 'h';
	id65[65] = '\0';
	T_EQ(hub_state_home_set(hs, id65), PT_EINVAL, "home: id too long");
	T_EQ(hub_state_home_set(hs, "a/b"), PT_EINVAL, "home: not an id");
	T_EQ(hub_state_home_set(hs, ".hidden"), PT_EINVAL, "home: leading dot");
	T_EQ(hub_state_home_set(hs, NULL), PT_EINVAL, "home: NULL");
	T_EQ(hub_state_home_set(NULL, "h"), PT_EINVAL, "home: NULL state");
	T_EQ(hub_state_home_get(NULL, home), PT_EINVAL, "home: get, NULL state");
	T_EQ(hub_state_home_get(hs, NULL), PT_EINVAL, "home: get, NULL out");
	T_EQ(hub_state_home_set(hs, "home-1"), PT_OK, "home: set back");
	T_EQ(hub_state_home_set(hs, ""), PT_OK, "home: \"\" forgets the pairing");
	T_EQ(hub_state_home_get(hs, home), PT_OK, "home: get after forgetting");
	T_EQ(home[0], '\0', "home: \"\" again");
	T_EQ(hub_state_home_set(hs, "home-1"), PT_OK, "home: paired again");
	hub_state_close(hs);
}

/* ---- entries ---- */

static void
test_usage(void)
{
	struct hub_state *hs = open_or_die(fresh("usage.db"));
	uint8_t ctis[4][PT_CTI_LEN];
	struct pt_usage u[4];
	sqlite3 *db;
	int i;

	for (i = 0; i < 4; i++)
		fill(ctis[i], PT_CTI_LEN, (uint8_t)(16 * i));

	memset(u, 0xff, sizeof(u));
	T_EQ(hub_state_usage_load(hs, (const uint8_t(*)[PT_CTI_LEN])ctis, 4, u), PT_OK,
	     "usage: load unknown ids");
	T_OK(u[0].used == 0 && u[3].used == 0, "usage: 0 for unknown ids");
	T_OK(memcmp(u[2].cti, ctis[2], PT_CTI_LEN) == 0, "usage: cti copied");

	T_EQ(hub_state_charge(hs, (const uint8_t(*)[PT_CTI_LEN])ctis, 3, 100), PT_OK,
	     "charge: three ids");
	T_EQ(hub_state_charge(hs, (const uint8_t(*)[PT_CTI_LEN])ctis, 1, 101), PT_OK,
	     "charge: the first again");
	T_EQ(hub_state_usage_load(hs, (const uint8_t(*)[PT_CTI_LEN])ctis, 4, u), PT_OK,
	     "usage: load");
	T_EQ(u[0].used, 2, "usage: first charged twice");
	T_EQ(u[1].used, 1, "usage: second once");
	T_EQ(u[2].used, 1, "usage: third once");
	T_EQ(u[3].used, 0, "usage: fourth never");

	/* The same id twice in one call: charged twice (fail closed). */
	memcpy(ctis[3], ctis[1], PT_CTI_LEN);
	T_EQ(hub_state_charge(hs, (const uint8_t(*)[PT_CTI_LEN])ctis + 1, 3, 102), PT_OK,
	     "charge: an id twice in one call");
	T_EQ(hub_state_usage_load(hs, (const uint8_t(*)[PT_CTI_LEN])ctis + 1, 1, u), PT_OK,
	     "usage: load it");
	T_EQ(u[0].used, 3, "usage: charged once per occurrence");

	T_EQ(hub_state_charge(hs, NULL, 0, 1), PT_OK, "charge: nothing to charge");
	T_EQ(hub_state_usage_load(hs, NULL, 0, NULL), PT_OK, "usage: nothing to load");
	T_EQ(hub_state_charge(hs, NULL, 1, 1), PT_EINVAL, "charge: NULL ids");
	T_EQ(hub_state_charge(NULL, (const uint8_t(*)[PT_CTI_LEN])ctis, 1, 1), PT_EINVAL,
	     "charge: NULL state");
	T_EQ(hub_state_usage_load(hs, NULL, 1, u), PT_EINVAL, "usage: NULL ids");
	T_EQ(hub_state_usage_load(hs, (const uint8_t(*)[PT_CTI_LEN])ctis, 1, NULL), PT_EINVAL,
	     "usage: NULL out");
	T_EQ(hub_state_usage_load(NULL, (const uint8_t(*)[PT_CTI_LEN])ctis, 1, u), PT_EINVAL,
	     "usage: NULL state");

	/* The count cannot wrap: a charge past UINT32_MAX is refused whole. */
	db = raw_open(dbpath);
	T_EQ(raw_exec(db, "UPDATE usage SET used = 4294967295"
			  " WHERE cti = x'000102030405060708090a0b0c0d0e0f'"),
	     SQLITE_OK, "usage: raw: first id at UINT32_MAX");
	sqlite3_close(db);
	T_EQ(hub_state_charge(hs, (const uint8_t(*)[PT_CTI_LEN])ctis, 2, 103), PT_EINVAL,
	     "charge: past UINT32_MAX refused");
	T_EQ(hub_state_usage_load(hs, (const uint8_t(*)[PT_CTI_LEN])ctis, 2, u), PT_OK,
	     "usage: load after the refusal");
	T_OK(u[0].used == UINT32_MAX && u[1].used == 3,
	     "usage: nothing of the refused transaction stays");
	hub_state_close(hs);
}

/* ---- revocations ---- */

static int
cmp16(const void *a, const void *b)
{
	return memcmp(a, b, 16);
}

static int
cmp32(const void *a, const void *b)
{
	return memcmp(a, b, 32);
}

static void
test_revocations(void)
{
	struct hub_state *hs = open_or_die(fresh("rev.db"));
	uint8_t t[6][PT_CTI_LEN], k[3][PT_PK_LEN], env[PT_ENVELOPE_SIZE_MAX + 1];
	uint8_t(*ctis)[PT_CTI_LEN] = (void *)1, (*keys)[PT_PK_LEN] = (void *)1;
	size_t nc = 9, nk = 9;
	int64_t v = 9, at = 9;
	int i;

	for (i = 0; i < 6; i++)
		randombytes_buf(t[i], sizeof(t[i]));
	for (i = 0; i < 3; i++)
		randombytes_buf(k[i], sizeof(k[i]));
	memset(env, 0x5a, sizeof(env));

	T_EQ(hub_state_revoked_load(hs, &ctis, &nc, &keys, &nk), PT_OK, "revoked: empty set");
	T_OK(ctis == NULL && keys == NULL && nc == 0 && nk == 0, "revoked: nothing, no arrays");
	T_EQ(hub_state_revocation_version(hs, &v, &at), PT_OK, "revocation version: empty");
	T_OK(v == 0 && at == 0, "revocation version: 0, never refreshed");

	for (i = 0; i < 6; i++)
		T_EQ(hub_state_revocation_add(hs, i + 1, PT_REVOKE_TOKEN, t[i], PT_CTI_LEN, env,
					      100, 500 + i),
		     PT_OK, "revocation: token %d", i);
	T_EQ(hub_state_revocation_add(hs, 0, PT_REVOKE_KEY, k[0], PT_PK_LEN, env, 1, 600), PT_OK,
	     "revocation: a key, received at the door (version 0)");
	T_EQ(hub_state_revocation_add(hs, 9, PT_REVOKE_KEY, k[1], PT_PK_LEN, env,
				      PT_ENVELOPE_SIZE_MAX, 601),
	     PT_OK, "revocation: a key, envelope of PT_ENVELOPE_SIZE_MAX");
	T_EQ(hub_state_revocation_add(hs, 7, PT_REVOKE_KEY, k[2], PT_PK_LEN, env, 10, 602), PT_OK,
	     "revocation: a third key");
	T_EQ(hub_state_revocation_add(hs, 10, PT_REVOKE_TOKEN, t[2], PT_CTI_LEN, env, 10, 603),
	     PT_EEXISTS, "revocation: token already revoked");
	T_EQ(hub_state_revocation_add(hs, 10, PT_REVOKE_KEY, k[1], PT_PK_LEN, env, 10, 603),
	     PT_EEXISTS, "revocation: key already revoked");
	T_EQ(hub_state_revocation_add(hs, 10, PT_REVOKE_KEY, t[0], PT_CTI_LEN, env, 10, 603),
	     PT_EINVAL, "revocation: a key of 16 bytes");
	T_EQ(hub_state_revocation_add(hs, 10, PT_REVOKE_TOKEN, k[0], PT_PK_LEN, env, 10, 603),
	     PT_EINVAL, "revocation: a token id of 32 bytes");
	T_EQ(hub_state_revocation_add(hs, 10, 3, k[0], PT_PK_LEN, env, 10, 603), PT_EINVAL,
	     "revocation: unknown kind");
	T_EQ(hub_state_revocation_add(hs, 10, 0, k[0], PT_PK_LEN, env, 10, 603), PT_EINVAL,
	     "revocation: kind 0");
	T_EQ(hub_state_revocation_add(hs, 10, PT_REVOKE_KEY, k[0], PT_PK_LEN, env, 0, 603),
	     PT_EINVAL, "revocation: empty envelope");
	T_EQ(hub_state_revocation_add(hs, 10, PT_REVOKE_KEY, k[0], PT_PK_LEN, env,
				      PT_ENVELOPE_SIZE_MAX + 1, 603),
	     PT_EINVAL, "revocation: envelope too long");
	T_EQ(hub_state_revocation_add(hs, -1, PT_REVOKE_KEY, k[0], PT_PK_LEN, env, 10, 603),
	     PT_EINVAL, "revocation: negative version");
	T_EQ(hub_state_revocation_add(hs, 10, PT_REVOKE_KEY, NULL, PT_PK_LEN, env, 10, 603),
	     PT_EINVAL, "revocation: NULL target");
	T_EQ(hub_state_revocation_add(hs, 10, PT_REVOKE_KEY, k[0], PT_PK_LEN, NULL, 10, 603),
	     PT_EINVAL, "revocation: NULL envelope");
	T_EQ(hub_state_revocation_add(NULL, 10, PT_REVOKE_KEY, k[0], PT_PK_LEN, env, 10, 603),
	     PT_EINVAL, "revocation: NULL state");

	T_EQ(hub_state_revoked_load(hs, &ctis, &nc, &keys, &nk), PT_OK, "revoked: load");
	T_EQ(nc, 6, "revoked: six token ids");
	T_EQ(nk, 3, "revoked: three keys");
	qsort(t, 6, 16, cmp16);
	qsort(k, 3, 32, cmp32);
	T_OK(ctis != NULL && memcmp(ctis, t, sizeof(t)) == 0,
	     "revoked: token ids ascending (memcmp)");
	T_OK(keys != NULL && memcmp(keys, k, sizeof(k)) == 0, "revoked: keys ascending (memcmp)");
	free(ctis);
	free(keys);
	T_EQ(hub_state_revoked_load(hs, NULL, &nc, &keys, &nk), PT_EINVAL, "revoked: NULL ctis");
	T_EQ(hub_state_revoked_load(NULL, &ctis, &nc, &keys, &nk), PT_EINVAL,
	     "revoked: NULL state");
	T_OK(ctis == NULL && keys == NULL && nc == 0 && nk == 0, "revoked: outputs cleared");

	T_EQ(hub_state_revocation_version(hs, &v, &at), PT_OK, "revocation version");
	T_EQ(v, 9, "revocation version: the highest stored");
	T_EQ(at, 0, "revocation version: never refreshed yet");
	T_EQ(hub_state_revocation_refreshed(hs, 1700000000), PT_OK, "revocation refreshed");
	T_EQ(hub_state_revocation_version(hs, &v, &at), PT_OK, "revocation version again");
	T_EQ(at, 1700000000, "revocation version: refreshed at");
	T_EQ(hub_state_revocation_refreshed(hs, -1), PT_EINVAL, "revocation refreshed: negative");
	T_EQ(hub_state_revocation_refreshed(NULL, 1), PT_EINVAL, "revocation refreshed: NULL");
	T_EQ(hub_state_revocation_version(hs, NULL, &at), PT_EINVAL, "revocation version: NULL");
	T_EQ(hub_state_revocation_version(NULL, &v, &at), PT_EINVAL,
	     "revocation version: NULL state");
	T_OK(v == 0 && at == 0, "revocation version: outputs cleared on error");

	/* The lockout survives restarts (checked again after reopening). */
	{
		uint32_t f = 9;
		int64_t until = 9;
		T_EQ(hub_state_lockout_get(hs, &f, &until), PT_OK, "lockout: get");
		T_OK(f == 0 && until == 0, "lockout: none at first");
		T_EQ(hub_state_lockout_set(hs, 3, 1700000100), PT_OK, "lockout: set");
		T_EQ(hub_state_lockout_get(hs, &f, &until), PT_OK, "lockout: get again");
		T_OK(f == 3 && until == 1700000100, "lockout: as set");
		T_EQ(hub_state_lockout_set(hs, UINT32_MAX, 0), PT_OK,
		     "lockout: UINT32_MAX failures");
		T_EQ(hub_state_lockout_get(hs, &f, &until), PT_OK, "lockout: get the largest");
		T_OK(f == UINT32_MAX && until == 0, "lockout: largest as set");
		T_EQ(hub_state_lockout_set(hs, 1, -1), PT_EINVAL, "lockout: negative time");
		T_EQ(hub_state_lockout_set(NULL, 1, 1), PT_EINVAL, "lockout: NULL state");
		T_EQ(hub_state_lockout_get(hs, NULL, &until), PT_EINVAL, "lockout: NULL out");
		T_EQ(hub_state_lockout_get(NULL, &f, &until), PT_EINVAL, "lockout: NULL state get");
		T_OK(f == 0 && until == 0, "lockout: outputs cleared on error");
	}
	/* Saved with the time of the last failure, both in one commit. */
	{
		uint32_t f = 9;
		int64_t until = 9, last = 9;
		T_EQ(hub_state_lockout_save(hs, 5, 1700000200, 1700000140), PT_OK,
		     "lockout save: with the last failure's time");
		T_EQ(hub_state_lockout_get(hs, &f, &until), PT_OK, "lockout save: get");
		T_OK(f == 5 && until == 1700000200, "lockout save: the row as saved");
		T_EQ(hub_state_meta_get(hs, "lockout_last_failure", &last), PT_OK,
		     "lockout save: the last failure's time stored");
		T_OK(last == 1700000140, "lockout save: the time as saved");
		T_EQ(hub_state_lockout_save(hs, 6, -1, 1), PT_EINVAL, "lockout save: negative until");
		T_EQ(hub_state_lockout_save(hs, 6, 1, -1), PT_EINVAL, "lockout save: negative time");
		T_EQ(hub_state_lockout_save(NULL, 6, 1, 1), PT_EINVAL, "lockout save: NULL state");
		T_OK(hub_state_lockout_get(hs, &f, &until) == PT_OK && f == 5 &&
			     until == 1700000200 &&
			     hub_state_meta_get(hs, "lockout_last_failure", &last) == PT_OK &&
			     last == 1700000140,
		     "lockout save: a refused save changes neither");
		T_EQ(hub_state_lockout_set(hs, UINT32_MAX, 0), PT_OK, "lockout: back as it was");
	}

	/* Small values. */
	{
		int64_t x = 9;
		char k65[66];
		T_EQ(hub_state_meta_get(hs, "last_contact", &x), PT_ENOTFOUND, "meta: unknown key");
		T_EQ(x, 0, "meta: 0 when unknown");
		T_EQ(hub_state_meta_set(hs, "last_contact", 1700000200), PT_OK, "meta: set");
		T_EQ(hub_state_meta_get(hs, "last_contact", &x), PT_OK, "meta: get");
		T_EQ(x, 1700000200, "meta: as set");
		T_EQ(hub_state_meta_set(hs, "last_contact", INT64_MIN), PT_OK, "meta: overwrite");
		T_EQ(hub_state_meta_get(hs, "last_contact", &x), PT_OK, "meta: get overwritten");
		T_EQ(x, INT64_MIN, "meta: INT64_MIN kept");
		T_EQ(hub_state_meta_set(hs, "time.trusted", INT64_MAX), PT_OK, "meta: second key");
		memset(k65, 'k', sizeof(k65));
		k65[64] = '\0';
		T_EQ(hub_state_meta_set(hs, k65, 1), PT_OK, "meta: key of PT_ID_MAX bytes");
		k65[64] = 'k';
		k65[65] = '\0';
		T_EQ(hub_state_meta_set(hs, k65, 1), PT_EINVAL, "meta: key too long");
		T_EQ(hub_state_meta_get(hs, k65, &x), PT_EINVAL, "meta: get, key too long");
		T_EQ(hub_state_meta_set(hs, "", 1), PT_EINVAL, "meta: empty key");
		T_EQ(hub_state_meta_set(hs, "a key", 1), PT_EINVAL, "meta: key with a space");
		T_EQ(hub_state_meta_set(hs, NULL, 1), PT_EINVAL, "meta: NULL key");
		T_EQ(hub_state_meta_set(NULL, "k", 1), PT_EINVAL, "meta: NULL state");
		T_EQ(hub_state_meta_get(hs, "k", NULL), PT_EINVAL, "meta: NULL out");
	}
	hub_state_close(hs);

	/* Everything above after a reopen. */
	hs = open_or_die(dbpath);
	{
		uint32_t f = 0;
		int64_t until = 9, x = 0;
		T_EQ(hub_state_revoked_load(hs, &ctis, &nc, &keys, &nk), PT_OK, "reopen: revoked");
		T_OK(nc == 6 && nk == 3 && memcmp(ctis, t, sizeof(t)) == 0 &&
			     memcmp(keys, k, sizeof(k)) == 0,
		     "reopen: the same revocation set");
		free(ctis);
		free(keys);
		T_EQ(hub_state_revocation_version(hs, &v, &at), PT_OK,
		     "reopen: revocation version");
		T_OK(v == 9 && at == 1700000000, "reopen: version and refresh kept");
		T_EQ(hub_state_lockout_get(hs, &f, &until), PT_OK, "reopen: lockout");
		T_OK(f == UINT32_MAX && until == 0, "reopen: lockout kept");
		T_EQ(hub_state_meta_get(hs, "last_contact", &x), PT_OK, "reopen: meta");
		T_EQ(x, INT64_MIN, "reopen: meta kept");
		T_EQ(hub_state_meta_get(hs, "time.trusted", &x), PT_OK, "reopen: second meta");
		T_EQ(x, INT64_MAX, "reopen: second meta kept");
	}
	hub_state_close(hs);
}

/* ---- events ---- */

static void
test_events(void)
{
	const struct pt_crypto_ops *ops = pt_crypto_sodium();
	struct hub_state *hs = open_or_die(fresh("events.db"));
	struct hub_event e, list[8];
	uint8_t zero[32] = {0}, want[32], hash[32], sig[64], pk[32], msg[PT_CHECKPOINT_MSG_MAX];
	struct pt_secret *key;
	int64_t bad = 9, seq = 9;
	size_t n = 9, mlen;
	int i, ok;

	T_EQ(hub_state_event_verify(hs, &bad), PT_OK, "events: an empty chain verifies");
	T_EQ(hub_state_event_list(hs, 0, false, list, 8, &n), PT_OK, "events: empty list");
	T_EQ(n, 0, "events: none");

	ok = 1;
	for (i = 1; i <= 5; i++) {
		char data[64];
		(void)snprintf(data, sizeof(data), "{\"n\":%d}", i);
		set_event(&e, 1700000000 + i, i % 2 ? "door.open" : "door.closed", data);
		ok &= hub_state_event_append(hs, &e) == PT_OK && e.seq == i && !e.sent;
		ok &= pt_event_hash(ops, i == 1 ? zero : want, i, e.at, e.type, strlen(e.type),
				    (const uint8_t *)data, strlen(data), hash) == PT_OK;
		ok &= memcmp(e.hash, hash, 32) == 0;
		ok &= memcmp(e.prev, i == 1 ? zero : want, 32) == 0;
		memcpy(want, e.hash, 32);
	}
	T_OK(ok, "events: five appended, seq 1..5, each hash = pt_event_hash over the previous");

	set_event(&e, 1, "", "{}");
	T_EQ(hub_state_event_append(hs, &e), PT_EINVAL, "append: empty type");
	T_EQ(e.seq, 0, "append: no seq on failure");
	set_event(&e, 1, "Door", "{}");
	T_EQ(hub_state_event_append(hs, &e), PT_EINVAL, "append: invalid type");
	set_event(&e, 1, "door", "{}");
	memset(e.type, 'a', sizeof(e.type));
	T_EQ(hub_state_event_append(hs, &e), PT_EINVAL, "append: type not terminated");
	set_event(&e, 1, "door", "");
	memset(e.data, ' ', sizeof(e.data));
	T_EQ(hub_state_event_append(hs, &e), PT_EINVAL, "append: data not terminated");
	T_OK(memcmp(e.hash, zero, 32) == 0, "append: hash zeroed on failure");
	T_EQ(hub_state_event_append(hs, NULL), PT_EINVAL, "append: NULL event");
	T_EQ(hub_state_event_append(NULL, &e), PT_EINVAL, "append: NULL state");
	e.data[PT_EVENT_DATA_MAX] = '\0';
	T_EQ(hub_state_event_append(hs, &e), PT_OK, "append: data of PT_EVENT_DATA_MAX bytes");
	T_EQ(e.seq, 6, "append: failures took no seq");
	set_event(&e, -5, "x", "");
	T_EQ(hub_state_event_append(hs, &e), PT_OK, "append: empty data, negative time");
	T_EQ(e.seq, 7, "append: seq 7");

	T_EQ(hub_state_event_list(hs, 0, false, list, 8, &n), PT_OK, "list: all");
	T_EQ(n, 7, "list: seven");
	ok = 1;
	for (i = 0; i < 7; i++) {
		ok &= list[i].seq == i + 1 && !list[i].sent;
		if (i > 0)
			ok &= memcmp(list[i].prev, list[i - 1].hash, 32) == 0;
	}
	T_OK(ok, "list: in order, chained");
	T_OK(strcmp(list[1].type, "door.closed") == 0 && strcmp(list[1].data, "{\"n\":2}") == 0 &&
		     list[1].at == 1700000002,
	     "list: fields as appended");
	T_EQ(strlen(list[5].data), PT_EVENT_DATA_MAX, "list: the longest data whole");
	T_OK(list[6].at == -5 && list[6].data[0] == '\0', "list: negative time, empty data");
	T_EQ(hub_state_event_list(hs, 2, false, list, 3, &n), PT_OK, "list: after 2, at most 3");
	T_OK(n == 3 && list[0].seq == 3 && list[2].seq == 5, "list: 3, 4, 5");
	T_EQ(hub_state_event_list(hs, 7, false, list, 8, &n), PT_OK, "list: after the last");
	T_EQ(n, 0, "list: nothing after the last");
	T_EQ(hub_state_event_list(hs, 0, false, NULL, 0, &n), PT_OK, "list: max 0");
	T_EQ(hub_state_event_list(hs, 0, false, NULL, 1, &n), PT_EINVAL, "list: NULL out");
	T_EQ(hub_state_event_list(hs, 0, false, list, 1, NULL), PT_EINVAL, "list: NULL n");
	T_EQ(hub_state_event_list(NULL, 0, false, list, 1, &n), PT_EINVAL, "list: NULL state");

	/* The outbox. */
	T_EQ(hub_state_event_mark_sent(hs, 3), PT_OK, "mark sent: up to 3");
	T_EQ(hub_state_event_list(hs, 0, true, list, 8, &n), PT_OK, "list: unsent only");
	T_OK(n == 4 && list[0].seq == 4 && list[3].seq == 7, "list: 4..7 unsent");
	T_EQ(hub_state_event_list(hs, 0, false, list, 8, &n), PT_OK, "list: all again");
	T_OK(n == 7 && list[0].sent && list[2].sent && !list[3].sent, "list: 1..3 marked sent");
	T_EQ(hub_state_event_mark_sent(hs, 2), PT_OK, "mark sent: an older ack changes nothing");
	T_EQ(hub_state_event_mark_sent(hs, 8), PT_ENOTFOUND, "mark sent: beyond the last event");
	T_EQ(hub_state_event_list(hs, 0, true, list, 8, &n), PT_OK, "list: unsent after that");
	T_EQ(n, 4, "mark sent: a refused ack marked nothing");
	T_EQ(hub_state_event_mark_sent(hs, 0), PT_OK, "mark sent: 0 is a no-op");
	T_EQ(hub_state_event_mark_sent(hs, -1), PT_EINVAL, "mark sent: negative");
	T_EQ(hub_state_event_mark_sent(NULL, 1), PT_EINVAL, "mark sent: NULL state");

	T_EQ(hub_state_event_verify(hs, &bad), PT_OK, "verify: the chain is whole");
	T_EQ(bad, 0, "verify: no bad seq");
	T_EQ(hub_state_event_verify(hs, NULL), PT_EINVAL, "verify: NULL out");
	T_EQ(hub_state_event_verify(NULL, &bad), PT_EINVAL, "verify: NULL state");

	/* Checkpoints. */
	T_EQ(hub_state_checkpoint_last(hs, &seq, hash, sig), PT_ENOTFOUND, "checkpoint: none yet");
	T_OK(seq == 0 && memcmp(hash, zero, 32) == 0, "checkpoint: outputs cleared");
	key_pair(&key, pk);
	T_EQ(hub_state_event_list(hs, 4, false, list, 1, &n), PT_OK, "checkpoint: event 5");
	T_EQ(pt_checkpoint_message("hub-1", 5, list[0].hash, msg, sizeof(msg), &mlen), PT_OK,
	     "checkpoint: message for 5");
	T_EQ(pt_sign_detached(key, sig, msg, mlen), PT_OK, "checkpoint: sign 5");
	T_EQ(hub_state_checkpoint_add(hs, 5, list[0].hash, sig), PT_OK, "checkpoint: add 5");
	T_EQ(hub_state_checkpoint_add(hs, 5, list[0].hash, sig), PT_EEXISTS,
	     "checkpoint: one per seq");
	T_EQ(hub_state_checkpoint_add(hs, 6, list[0].hash, sig), PT_ENOTFOUND,
	     "checkpoint: a hash that is not event 6's");
	T_EQ(hub_state_checkpoint_add(hs, 99, list[0].hash, sig), PT_ENOTFOUND,
	     "checkpoint: no event 99");
	T_EQ(hub_state_checkpoint_add(hs, 0, list[0].hash, sig), PT_EINVAL, "checkpoint: seq 0");
	T_EQ(hub_state_checkpoint_add(hs, 5, NULL, sig), PT_EINVAL, "checkpoint: NULL hash");
	T_EQ(hub_state_checkpoint_add(hs, 5, list[0].hash, NULL), PT_EINVAL,
	     "checkpoint: NULL sig");
	T_EQ(hub_state_checkpoint_add(NULL, 5, list[0].hash, sig), PT_EINVAL,
	     "checkpoint: NULL state");
	memset(sig, 0, sizeof(sig));
	T_EQ(hub_state_checkpoint_last(hs, &seq, hash, sig), PT_OK, "checkpoint: last");
	T_EQ(seq, 5, "checkpoint: at 5");
	T_OK(memcmp(hash, list[0].hash, 32) == 0, "checkpoint: its hash");
	T_EQ(pt_checkpoint_verify(ops, pk, "hub-1", seq, hash, sig), PT_OK,
	     "checkpoint: the stored signature verifies");
	T_EQ(hub_state_checkpoint_last(hs, NULL, hash, sig), PT_EINVAL, "checkpoint last: NULL");
	T_EQ(hub_state_checkpoint_last(NULL, &seq, hash, sig), PT_EINVAL,
	     "checkpoint last: NULL state");
	pt_secret_free(key);
	hub_state_close(hs);

	/* Reopen: the chain continues where it stopped. */
	hs = open_or_die(dbpath);
	T_EQ(hub_state_event_list(hs, 6, false, list, 8, &n), PT_OK, "reopen: last event");
	memcpy(want, list[0].hash, 32);
	set_event(&e, 1700000100, "hub.start", "{}");
	T_EQ(hub_state_event_append(hs, &e), PT_OK, "reopen: append");
	T_EQ(e.seq, 8, "reopen: seq continues at 8");
	T_OK(memcmp(e.prev, want, 32) == 0, "reopen: prev is the stored hash of 7");
	T_EQ(hub_state_event_list(hs, 0, true, list, 8, &n), PT_OK, "reopen: unsent");
	T_OK(n == 5 && list[0].seq == 4, "reopen: sent marks kept");
	T_EQ(hub_state_checkpoint_last(hs, &seq, hash, sig), PT_OK, "reopen: checkpoint");
	T_EQ(seq, 5, "reopen: checkpoint kept");
	T_EQ(hub_state_event_verify(hs, &bad), PT_OK, "reopen: chain verifies");
	hub_state_close(hs);
}

/* The events and checkpoints tables refuse changes, whoever asks. */
static void
test_triggers(void)
{
	struct hub_state *hs = open_or_die(fresh("triggers.db"));
	struct hub_event e;
	uint8_t sig[64] = {0};
	sqlite3 *db;
	int i, ok = 1;

	for (i = 0; i < 3; i++) {
		set_event(&e, i, "door.open", "{}");
		ok &= hub_state_event_append(hs, &e) == PT_OK;
	}
	ok &= hub_state_checkpoint_add(hs, 3, e.hash, sig) == PT_OK;
	T_OK(ok, "triggers: three events and a checkpoint");
	hub_state_close(hs);

	db = raw_open(dbpath);
	T_EQ(raw_exec(db, "UPDATE events SET data = '{\"x\":1}' WHERE seq = 2"),
	     SQLITE_CONSTRAINT, "triggers: UPDATE of data refused");
	T_EQ(raw_exec(db, "UPDATE events SET at = 99 WHERE seq = 2"), SQLITE_CONSTRAINT,
	     "triggers: UPDATE of at refused");
	T_EQ(raw_exec(db, "UPDATE events SET type = 'door.closed' WHERE seq = 2"),
	     SQLITE_CONSTRAINT, "triggers: UPDATE of type refused");
	T_EQ(raw_exec(db, "UPDATE events SET hash = prev WHERE seq = 2"), SQLITE_CONSTRAINT,
	     "triggers: UPDATE of hash refused");
	T_EQ(raw_exec(db, "UPDATE events SET prev = hash WHERE seq = 2"), SQLITE_CONSTRAINT,
	     "triggers: UPDATE of prev refused");
	T_EQ(raw_exec(db, "UPDATE events SET seq = 10 WHERE seq = 3"), SQLITE_CONSTRAINT,
	     "triggers: UPDATE of seq refused");
	T_EQ(raw_exec(db, "UPDATE events SET rowid = 10 WHERE seq = 3"), SQLITE_CONSTRAINT,
	     "triggers: UPDATE of rowid refused");
	T_EQ(raw_exec(db, "UPDATE events SET sent = 1, data = '' WHERE seq = 1"), SQLITE_CONSTRAINT,
	     "triggers: sent together with data refused");
	T_EQ(raw_exec(db, "DELETE FROM events WHERE seq = 3"), SQLITE_CONSTRAINT,
	     "triggers: DELETE refused");
	T_EQ(raw_exec(db, "DELETE FROM events"), SQLITE_CONSTRAINT, "triggers: DELETE all refused");
	T_EQ(raw_exec(db, "UPDATE events SET sent = 1 WHERE seq = 1"), SQLITE_OK,
	     "triggers: UPDATE of sent alone allowed");
	T_EQ(raw_exec(db, "UPDATE events SET sent = 0 WHERE seq = 1"), SQLITE_CONSTRAINT,
	     "triggers: un-sending refused");
	T_EQ(raw_exec(db, "UPDATE checkpoints SET seq = 2"), SQLITE_CONSTRAINT,
	     "triggers: UPDATE of a checkpoint refused");
	T_EQ(raw_exec(db, "DELETE FROM checkpoints"), SQLITE_CONSTRAINT,
	     "triggers: DELETE of a checkpoint refused");
	T_EQ(raw_exec(db, "PRAGMA recursive_triggers = ON;"
			  " INSERT OR REPLACE INTO events SELECT * FROM events WHERE seq = 2"),
	     SQLITE_CONSTRAINT,
	     "triggers: REPLACE refused (with recursive triggers on, as the hub runs)");
	sqlite3_close(db);

	hs = open_or_die(dbpath);
	{
		int64_t bad = 9;
		T_EQ(hub_state_event_verify(hs, &bad), PT_OK,
		     "triggers: chain whole after all that");
	}
	hub_state_close(hs);
}

/* Five events and a checkpoint at 5 in a fresh file. */
static void
five_events(const char *name, bool checkpoint)
{
	struct hub_state *hs = open_or_die(fresh(name));
	struct hub_event e;
	uint8_t sig[64] = {0};
	int i;

	for (i = 1; i <= 5; i++) {
		char data[32];
		(void)snprintf(data, sizeof(data), "{\"n\":%d}", i);
		set_event(&e, 1000 + i, "door.open", data);
		if (hub_state_event_append(hs, &e) != PT_OK) {
			printf("Bail out! append\n");
			exit(1);
		}
	}
	if (checkpoint && hub_state_checkpoint_add(hs, 5, e.hash, sig) != PT_OK) {
		printf("Bail out! checkpoint\n");
		exit(1);
	}
	hub_state_close(hs);
}

static void
tamper(const char *sql, const char *what, int64_t want_bad)
{
	struct hub_state *hs;
	int64_t bad = 0;
	sqlite3 *db;

	db = raw_open(dbpath);
	T_EQ(raw_exec(db, "DROP TRIGGER events_no_update; DROP TRIGGER events_no_delete;"),
	     SQLITE_OK, "tamper (%s): drop the triggers", what);
	T_EQ(raw_exec(db, sql), SQLITE_OK, "tamper (%s): edit", what);
	sqlite3_close(db);
	hs = open_or_die(dbpath);
	T_EQ(hub_state_event_verify(hs, &bad), PT_EBADSIG, "tamper (%s): verify fails", what);
	T_EQ(bad, want_bad, "tamper (%s): names seq %lld", what, (long long)want_bad);
	hub_state_close(hs);
}

/* Recompute the hashes of rows from..5 the way an intruder who knows the
 * layout would, so the chain itself verifies again. */
static void
rechain_from(int64_t from)
{
	const struct pt_crypto_ops *ops = pt_crypto_sodium();
	uint8_t prev[32], h[32];
	sqlite3_stmt *s = NULL, *u = NULL;
	sqlite3 *db = raw_open(dbpath);
	int64_t seq;

	(void)sqlite3_prepare_v2(db, "SELECT seq, at, type, data, prev FROM events WHERE seq >= ?1"
				     " ORDER BY seq", -1, &s, NULL);
	(void)sqlite3_prepare_v2(db, "UPDATE events SET prev = ?2, hash = ?3 WHERE seq = ?1", -1,
				 &u, NULL);
	sqlite3_bind_int64(s, 1, from);
	raw_exec(db, "BEGIN");
	while (sqlite3_step(s) == SQLITE_ROW) {
		seq = sqlite3_column_int64(s, 0);
		if (seq == from)
			memcpy(prev, sqlite3_column_blob(s, 4), 32);
		if (pt_event_hash(ops, prev, seq, sqlite3_column_int64(s, 1),
				  (const char *)sqlite3_column_text(s, 2),
				  (size_t)sqlite3_column_bytes(s, 2), sqlite3_column_text(s, 3),
				  (size_t)sqlite3_column_bytes(s, 3), h) != PT_OK)
			break;
		sqlite3_bind_int64(u, 1, seq);
		sqlite3_bind_blob(u, 2, prev, 32, SQLITE_TRANSIENT);
		sqlite3_bind_blob(u, 3, h, 32, SQLITE_TRANSIENT);
		(void)sqlite3_step(u);
		sqlite3_reset(u);
		memcpy(prev, h, 32);
	}
	raw_exec(db, "COMMIT");
	sqlite3_finalize(s);
	sqlite3_finalize(u);
	sqlite3_close(db);
}

static void
test_tamper(void)
{
	five_events("tamper1.db", false);
	tamper("UPDATE events SET data = '{\"n\":9}' WHERE seq = 3", "data of 3", 3);
	five_events("tamper2.db", false);
	tamper("UPDATE events SET at = at + 1 WHERE seq = 4", "time of 4", 4);
	five_events("tamper3.db", false);
	tamper("UPDATE events SET type = 'door.closed' WHERE seq = 1", "type of 1", 1);
	five_events("tamper4.db", false);
	tamper("DELETE FROM events WHERE seq = 2", "row 2 removed", 2);
	five_events("tamper5.db", false);
	tamper("UPDATE events SET prev = zeroblob(32) WHERE seq = 5", "prev of 5", 5);
	five_events("tamper6.db", false);
	tamper("UPDATE events SET hash = zeroblob(32) WHERE seq = 5", "hash of 5", 5);
	five_events("tamper7.db", false);
	tamper("UPDATE events SET type = 'BAD TYPE' WHERE seq = 2", "invalid type in 2", 2);

	/* Without a checkpoint, a rewritten tail is invisible to the chain
	 * alone; with one, it shows. */
	five_events("tamper8.db", true);
	tamper("DELETE FROM events WHERE seq = 5", "tail cut under a checkpoint", 5);
	five_events("tamper9.db", true);
	tamper("UPDATE events SET data = '{\"n\":0}' WHERE seq = 4", "4 rewritten", 4);
	rechain_from(4);
	{
		struct hub_state *hs = open_or_die(dbpath);
		int64_t bad = 0;
		T_EQ(hub_state_event_verify(hs, &bad), PT_EBADSIG,
		     "tamper: a rechained rewrite still fails against the checkpoint");
		T_EQ(bad, 5, "tamper: names the checkpoint's seq");
		hub_state_close(hs);
	}
}

/* ---- errors are logged, one key=value line ---- */

static void
test_eio_log(void)
{
	struct hub_state *hs = open_or_die(fresh("eio.db"));
	uint8_t cti[1][PT_CTI_LEN];
	static const char l1[] =
		"level=error component=hub-state op=\"cannot charge an entry\" error=\"";
	static const char l2[] =
		"level=error component=hub-state op=\"cannot read entries used\" error=\"";
	char logpath[300], buf[2048], *nl1, *nl2;
	struct pt_usage u;
	int saved, fd, r, r2;
	ssize_t len;
	sqlite3 *db;

	fill(cti[0], PT_CTI_LEN, 0xc0);
	db = raw_open(dbpath);
	T_EQ(raw_exec(db, "DROP TABLE usage"), SQLITE_OK, "eio: raw: drop a table");
	sqlite3_close(db);

	(void)snprintf(logpath, sizeof(logpath), "%s/stderr.log", tmpdir);
	fd = open(logpath, O_CREAT | O_TRUNC | O_RDWR, 0600);
	fflush(stderr);
	saved = dup(2);
	dup2(fd, 2);
	r = hub_state_charge(hs, (const uint8_t(*)[PT_CTI_LEN])cti, 1, 5);
	u.used = 77;
	r2 = hub_state_usage_load(hs, (const uint8_t(*)[PT_CTI_LEN])cti, 1, &u);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	T_EQ(r, PT_EIO, "eio: charge into a broken database is PT_EIO");
	T_EQ(r2, PT_EIO, "eio: load from it too");
	T_EQ(u.used, 0, "eio: output zeroed");
	len = pread(fd, buf, sizeof(buf) - 1, 0);
	close(fd);
	buf[len > 0 ? len : 0] = '\0';
	nl1 = strchr(buf, '\n');
	nl2 = nl1 != NULL ? strchr(nl1 + 1, '\n') : NULL;
	printf("# logged:\n# %.*s# %s", nl1 != NULL ? (int)(nl1 - buf + 1) : 0, buf,
	       nl1 != NULL ? nl1 + 1 : "\n");
	T_OK(len > 0 && nl1 != NULL && nl2 == buf + len - 1, "eio: one line per failure");
	T_OK(strncmp(buf, l1, strlen(l1)) == 0, "eio: key=value, saying what failed first");
	T_OK(nl1 != NULL && strncmp(nl1 + 1, l2, strlen(l2)) == 0,
	     "eio: the second failure, its own line");
	T_OK(strstr(buf, "no such table: usage") != NULL, "eio: with SQLite's reason");
	T_OK(strstr(buf, " code=") != NULL, "eio: and its code");
	/* The connection is still usable for the rest (no transaction left open). */
	T_EQ(hub_state_meta_set(hs, "after", 1), PT_OK, "eio: other writes still work");
	hub_state_close(hs);
}

/* ---- crash safety: kill -9 ---- */

static const uint8_t crash_cti[1][PT_CTI_LEN] = {
	{ 0xcc, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 }
};

static uint32_t
stored_count(const char *path)
{
	struct hub_state *hs = open_or_die(path);
	struct pt_usage u;

	if (hub_state_usage_load(hs, crash_cti, 1, &u) != PT_OK) {
		printf("Bail out! load\n");
		exit(1);
	}
	hub_state_close(hs);
	return u.used;
}

/* The child: charge, read the count back, report it; forever. */
static void __attribute__((noreturn))
crash_child(const char *path, int wfd)
{
	struct hub_state *hs = NULL;
	struct hub_event e;
	struct pt_usage u;

	if (hub_state_open(path, &hs, NULL) != PT_OK)
		_exit(2);
	for (;;) {
		if (hub_state_charge(hs, crash_cti, 1, 7) != PT_OK ||
		    hub_state_usage_load(hs, crash_cti, 1, &u) != PT_OK)
			_exit(3);
		/* Acknowledged: the caller would move the bolt now. */
		if (write(wfd, &u.used, sizeof(u.used)) != (ssize_t)sizeof(u.used))
			_exit(4);
		set_event(&e, 7, "entry.charged", "{}");
		if (hub_state_event_append(hs, &e) != PT_OK)
			_exit(5);
	}
}

static void
test_crash(void)
{
	const char *path = fresh("crash.db");
	uint32_t before, reported, got, v;
	int round, pfd[2], status, ok_all = 1, ok_sig = 1, ok_lost = 1, ok_extra = 1, ok_chain = 1;
	unsigned charged = 0;
	pid_t pid;

	hub_state_close(open_or_die(path));
	before = 0;
	for (round = 0; round < 20; round++) {
		if (pipe(pfd) != 0) {
			printf("Bail out! pipe\n");
			exit(1);
		}
		fflush(stdout);
		pid = fork();
		if (pid == 0) {
			close(pfd[0]);
			crash_child(path, pfd[1]);
		}
		close(pfd[1]);
		/* Let it get going some of the time, kill it at once some of the
		 * time; every other round only once it has charged one (on a
		 * busy machine opening the file can outlast the window). */
		reported = before;
		if (round % 2 == 1 && read(pfd[0], &v, sizeof(v)) == (ssize_t)sizeof(v))
			reported = v;
		sleep_us((long)(rand_r(&seed) % 40000));
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		ok_sig &= WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
		if (!(WIFSIGNALED(status)))
			printf("# round %d: child exited %d before the kill\n", round,
			       WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		while (read(pfd[0], &v, sizeof(v)) == (ssize_t)sizeof(v))
			reported = v;
		close(pfd[0]);

		got = stored_count(path);
		charged += reported - before;
		ok_lost &= got >= reported;
		ok_extra &= got <= reported + 1;
		if (got < reported || got > reported + 1)
			printf("# round %d: reported %u, stored %u\n", round, reported, got);
		{
			struct hub_state *hs = open_or_die(path);
			int64_t bad = 0;
			ok_chain &= hub_state_event_verify(hs, &bad) == PT_OK;
			hub_state_close(hs);
		}
		before = got;
	}
	ok_all = ok_sig && ok_lost && ok_extra && ok_chain;
	printf("# crash: 20 rounds, %u acknowledged charges, final count %u\n", charged, before);
	T_OK(ok_sig, "crash: every child died of SIGKILL (none failed on its own)");
	T_OK(ok_lost, "crash: no acknowledged charge lost in 20 kill -9 rounds");
	T_OK(ok_extra, "crash: at most one unacknowledged charge kept per round");
	T_OK(ok_chain, "crash: the event chain verifies after every kill");
	T_OK(charged > 0, "crash: the children did charge (%u)", charged);
	T_OK(ok_all, "crash: all of the above");
}

/* ---- batches: a turn's events in one transaction ---- */

/* A checkpoint signer for the batch tests: the key in arg, hub id "hub-t";
 * fail_at: the seq whose signature "cannot be made" (0: none). */
struct tsigner {
	struct pt_secret *key;
	int64_t fail_at;
	int calls;
};

static int
tsign(void *arg, int64_t seq, const uint8_t hash[PT_HASH_LEN], uint8_t sig[PT_SIG_LEN])
{
	struct tsigner *t = arg;
	uint8_t msg[PT_CHECKPOINT_MSG_MAX];
	size_t n;

	t->calls++;
	if (seq == t->fail_at)
		return PT_EIO;
	if (pt_checkpoint_message("hub-t", seq, hash, msg, sizeof(msg), &n) != PT_OK)
		return PT_EINVAL;
	return pt_sign_detached(t->key, sig, msg, n);
}

static int64_t
event_count(struct hub_state *hs)
{
	struct hub_event e[64];
	int64_t after = 0, total = 0;
	size_t n;

	do {
		if (hub_state_event_list(hs, after, false, e, 64, &n) != PT_OK)
			return -1;
		total += (int64_t)n;
		if (n > 0)
			after = e[n - 1].seq;
	} while (n == 64);
	return total;
}

/* The stored checkpoints' seqs, ascending, through a raw connection. */
static size_t
checkpoint_seqs(const char *path, int64_t *out, size_t max)
{
	sqlite3 *db = raw_open(path);
	sqlite3_stmt *s = NULL;
	size_t n = 0;

	if (sqlite3_prepare_v2(db, "SELECT seq FROM checkpoints ORDER BY seq", -1, &s, NULL) ==
	    SQLITE_OK)
		while (sqlite3_step(s) == SQLITE_ROW && n < max)
			out[n++] = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return n;
}

/* The stored lockout is exactly (f, until, last)? */
static bool
lockout_is(struct hub_state *hs, uint32_t f, int64_t until, int64_t last)
{
	uint32_t gf = 0;
	int64_t gu = 0, gl = 0;

	return hub_state_lockout_get(hs, &gf, &gu) == PT_OK &&
	       hub_state_meta_get(hs, "lockout_last_failure", &gl) == PT_OK && gf == f &&
	       gu == until && gl == last;
}

/* A counted refusal's commit: the events queued so far and the lockout
 * in one transaction (hub_state_event_append_lockout), both or neither.
 * b has the trigger that fails an insert of an alert.boom event. */
static void
test_events_lockout(struct hub_state *b, struct hub_ckpt *ck)
{
	struct hub_lockout lo = { 7, 1700000300, 1700000240 }, lo2;
	struct hub_event ev[2];
	int64_t before = event_count(b), cp = ck->last;
	sqlite3 *db;

	set_event(&ev[0], 6000, "link.error", "{\"reason\":\"malformed\"}");
	set_event(&ev[1], 6000, "lockout.start", "{\"failures\":7}");
	T_EQ(hub_state_event_append_lockout(b, ev, 2, ck, &lo), PT_OK,
	     "events+lockout: two events and the lockout");
	T_OK(ev[0].seq == before + 1 && ev[1].seq == before + 2 &&
		     memcmp(ev[1].prev, ev[0].hash, PT_HASH_LEN) == 0,
	     "events+lockout: the events chained on, no gap");
	T_EQ(event_count(b), before + 2, "events+lockout: both events stored");
	T_OK(lockout_is(b, 7, 1700000300, 1700000240),
	     "events+lockout: the lockout row and the last failure's time stored");
	before += 2;
	cp = ck->last;

	/* An insert that fails (the trigger): neither the events nor the
	 * lockout change. */
	lo2 = (struct hub_lockout){ 8, 0, 1700000250 };
	set_event(&ev[0], 6001, "link.error", "{}");
	set_event(&ev[1], 6001, "alert.boom", "{}");
	T_OK(hub_state_event_append_lockout(b, ev, 2, ck, &lo2) != PT_OK,
	     "events+lockout: a failing insert fails it");
	T_OK(ev[0].seq == 0 && ev[1].seq == 0, "events+lockout: no seq after the failure");
	T_EQ(event_count(b), before, "events+lockout: no event stored after the failure");
	T_OK(lockout_is(b, 7, 1700000300, 1700000240),
	     "events+lockout: the lockout unchanged after the failure");
	T_EQ(ck->last, cp, "events+lockout: ck.last unchanged after the failure");

	/* The lockout update that fails (a trigger): the events go with it. */
	db = raw_open(dbpath);
	T_EQ(raw_exec(db, "CREATE TRIGGER t_lo BEFORE UPDATE ON lockout WHEN NEW.failures = 99"
			  " BEGIN SELECT RAISE(ABORT, 'boom'); END"),
	     SQLITE_OK, "events+lockout: a trigger that fails the lockout update");
	sqlite3_close(db);
	lo2.failures = 99;
	set_event(&ev[1], 6001, "decision.refuse", "{}");
	T_OK(hub_state_event_append_lockout(b, ev, 2, ck, &lo2) != PT_OK,
	     "events+lockout: a failing lockout update fails it");
	T_EQ(event_count(b), before, "events+lockout: the events not stored with it");
	T_OK(ev[0].seq == 0 && ev[1].seq == 0,
	     "events+lockout: no seq after the failing lockout update");
	T_EQ(ck->last, cp, "events+lockout: ck.last unchanged after the failing lockout update");
	T_OK(lockout_is(b, 7, 1700000300, 1700000240),
	     "events+lockout: the lockout unchanged");

	/* Refused before anything is written. */
	lo2.failures = 8;
	ev[1].type[0] = 'X';
	T_EQ(hub_state_event_append_lockout(b, ev, 2, ck, &lo2), PT_EINVAL,
	     "events+lockout: a malformed event is PT_EINVAL");
	set_event(&ev[1], 6001, "decision.refuse", "{}");
	lo2.locked_until = -1;
	T_EQ(hub_state_event_append_lockout(b, ev, 2, ck, &lo2), PT_EINVAL,
	     "events+lockout: a negative locked_until is PT_EINVAL");
	lo2.locked_until = 0;
	lo2.last_failure_at = -1;
	T_EQ(hub_state_event_append_lockout(b, ev, 2, ck, &lo2), PT_EINVAL,
	     "events+lockout: a negative last failure is PT_EINVAL");
	T_EQ(hub_state_event_append_lockout(NULL, ev, 2, ck, &lo), PT_EINVAL,
	     "events+lockout: NULL state");
	T_EQ(event_count(b), before, "events+lockout: nothing stored by the refused calls");
	T_OK(lockout_is(b, 7, 1700000300, 1700000240),
	     "events+lockout: the lockout unchanged by the refused calls");

	/* The lockout alone (a grant's reset with no event), and events
	 * alone (NULL lockout: a plain batch). */
	lo2 = (struct hub_lockout){ 0, 0, 1700000250 };
	T_EQ(hub_state_event_append_lockout(b, NULL, 0, NULL, &lo2), PT_OK,
	     "events+lockout: the lockout alone");
	T_OK(lockout_is(b, 0, 0, 1700000250), "events+lockout: the reset stored");
	set_event(&ev[0], 6002, "door.opened", "{}");
	T_EQ(hub_state_event_append_lockout(b, ev, 1, ck, NULL), PT_OK,
	     "events+lockout: events alone");
	T_OK(ev[0].seq == before + 1 && event_count(b) == before + 1 &&
		     lockout_is(b, 0, 0, 1700000250),
	     "events+lockout: the event stored, the lockout untouched");
	db = raw_open(dbpath);
	T_EQ(raw_exec(db, "DROP TRIGGER t_lo"), SQLITE_OK, "events+lockout: trigger dropped");
	sqlite3_close(db);
}

#define BATCH_N 23

static void
test_batch(void)
{
	static const size_t sizes[] = { 1, 5, 2, 7, 8 };	/* 23 in all */
	struct hub_event one[BATCH_N], bat[BATCH_N], got[BATCH_N];
	struct hub_state *a, *b;
	struct tsigner ts = { NULL, 0, 0 };
	struct hub_ckpt ck;
	uint8_t pk[PT_PK_LEN];
	int64_t cps[16], last_cp = 0, bad = 0;
	char path_a[256], data[64];
	size_t i, k, n = 0, n_cps;
	int same = 1, ok_seq = 1;

	key_pair(&ts.key, pk);
	/* The same 23 events: one at a time (with a checkpoint check after
	 * each, every 4, as the hub did) into a, in batches into b. */
	for (i = 0; i < BATCH_N; i++) {
		(void)snprintf(data, sizeof(data), "{\"i\":%zu}", i);
		set_event(&one[i], 1000 + (int64_t)i, i % 3 == 0 ? "lock.unlocked" : "session.start",
			  data);
		bat[i] = one[i];
	}
	(void)snprintf(path_a, sizeof(path_a), "%s", fresh("batch-a.db"));
	a = open_or_die(path_a);
	for (i = 0; i < BATCH_N; i++) {
		if (hub_state_event_append(a, &one[i]) != PT_OK)
			break;
		if (one[i].seq - last_cp >= 4) {
			uint8_t sig[PT_SIG_LEN];
			if (tsign(&ts, one[i].seq, one[i].hash, sig) != PT_OK ||
			    hub_state_checkpoint_add(a, one[i].seq, one[i].hash, sig) != PT_OK)
				break;
			last_cp = one[i].seq;
		}
	}
	T_EQ(i, BATCH_N, "batch: %d events appended one at a time", BATCH_N);
	hub_state_close(a);

	b = open_or_die(fresh("batch-b.db"));
	ck.every = 4;
	ck.last = 0;
	ck.sign = tsign;
	ck.arg = &ts;
	for (i = 0, k = 0; k < sizeof(sizes) / sizeof(sizes[0]); i += sizes[k++])
		if (hub_state_event_append_batch(b, &bat[i], sizes[k], &ck) != PT_OK)
			break;
	T_EQ(i, BATCH_N, "batch: the same events in 5 batches (1, 5, 2, 7, 8)");
	for (i = 0; i < BATCH_N; i++) {
		same &= bat[i].seq == one[i].seq && memcmp(bat[i].prev, one[i].prev, 32) == 0 &&
			memcmp(bat[i].hash, one[i].hash, 32) == 0;
		ok_seq &= bat[i].seq == (int64_t)i + 1;
	}
	T_OK(ok_seq, "batch: seq 1..%d, no gap", BATCH_N);
	T_OK(same, "batch: seq, prev and hash identical to one-at-a-time appends");
	T_EQ(ck.last, 20, "batch: ck.last is the last checkpoint's seq (20)");
	T_EQ(hub_state_event_list(b, 0, false, got, BATCH_N, &n), PT_OK, "batch: list them");
	T_EQ(n, BATCH_N, "batch: all stored");
	for (i = 0, same = 1; i < n; i++)
		same &= got[i].seq == bat[i].seq && memcmp(got[i].hash, bat[i].hash, 32) == 0 &&
			strcmp(got[i].data, bat[i].data) == 0 && !got[i].sent;
	T_OK(same, "batch: stored as returned, unsent (in the outbox)");
	T_EQ(hub_state_event_verify(b, &bad), PT_OK, "batch: the chain verifies");
	n_cps = checkpoint_seqs(dbpath, cps, 16);
	T_OK(n_cps == 5 && cps[0] == 4 && cps[1] == 8 && cps[2] == 12 && cps[3] == 16 &&
		     cps[4] == 20,
	     "batch: checkpoints at 4, 8, 12, 16, 20, as one at a time (%zu)", n_cps);
	{
		uint8_t hh[32], sig[64];
		int64_t cs = 0;
		T_EQ(hub_state_checkpoint_last(b, &cs, hh, sig), PT_OK, "batch: the last checkpoint");
		T_EQ(pt_checkpoint_verify(pt_crypto_sodium(), pk, "hub-t", cs, hh, sig), PT_OK,
		     "batch: its signature verifies over seq %lld", (long long)cs);
	}
	n_cps = checkpoint_seqs(path_a, cps, 16);
	T_OK(n_cps == 5 && cps[4] == 20, "batch: file a has the same checkpoints");

	/* All or nothing: a malformed event anywhere refuses the batch
	 * before anything is written. */
	for (i = 0; i < 3; i++)
		set_event(&bat[i], 2000, "door.opened", "{}");
	bat[1].type[0] = 'X';
	T_EQ(hub_state_event_append_batch(b, bat, 3, &ck), PT_EINVAL,
	     "batch: a bad type in the middle is PT_EINVAL");
	for (i = 0, ok_seq = 1; i < 3; i++)
		ok_seq &= bat[i].seq == 0;
	T_OK(ok_seq, "batch: no event of a refused batch has a seq");
	T_EQ(event_count(b), BATCH_N, "batch: nothing of it stored");
	T_EQ(hub_state_event_append_batch(NULL, bat, 3, &ck), PT_EINVAL, "batch: NULL state");
	T_EQ(hub_state_event_append_batch(b, NULL, 3, &ck), PT_EINVAL, "batch: NULL events");
	T_EQ(hub_state_event_append_batch(b, bat, 0, &ck), PT_OK, "batch: none is nothing to do");
	ck.every = 0;
	bat[1].type[0] = 'd';
	T_EQ(hub_state_event_append_batch(b, bat, 3, &ck), PT_EINVAL, "batch: every 0 refused");
	ck.every = 4;

	/* A failure inside the transaction (a trigger, as a full disk or a
	 * constraint would fail an insert): nothing stored, no seq given,
	 * ck.last unchanged; then the chain goes on with no gap. */
	{
		sqlite3 *db = raw_open(dbpath);
		T_EQ(raw_exec(db, "CREATE TRIGGER t_boom BEFORE INSERT ON events"
				  " WHEN NEW.type = 'alert.boom'"
				  " BEGIN SELECT RAISE(ABORT, 'boom'); END"),
		     SQLITE_OK, "batch: a trigger that fails one insert");
		sqlite3_close(db);
	}
	hub_state_close(b);
	b = open_or_die(dbpath);
	for (i = 0; i < 4; i++)
		set_event(&bat[i], 3000, i == 2 ? "alert.boom" : "door.closed", "{}");
	T_OK(hub_state_event_append_batch(b, bat, 4, &ck) != PT_OK,
	     "batch: the third insert fails the batch");
	for (i = 0, ok_seq = 1; i < 4; i++)
		ok_seq &= bat[i].seq == 0;
	T_OK(ok_seq, "batch: no seq given after the failure");
	T_EQ(event_count(b), BATCH_N, "batch: the first two (before the failure) are not stored");
	T_EQ(ck.last, 20, "batch: ck.last unchanged");
	{
		uint8_t cti[1][PT_CTI_LEN];
		struct pt_usage u;
		fill(cti[0], PT_CTI_LEN, 0x61);
		T_OK(hub_state_charge_events(b, (const uint8_t(*)[PT_CTI_LEN])cti, 1, 5, bat, 4,
					     &ck) != PT_OK,
		     "charge+events: an event that fails fails the charge with it");
		T_EQ(hub_state_usage_load(b, (const uint8_t(*)[PT_CTI_LEN])cti, 1, &u), PT_OK,
		     "charge+events: usage readable");
		T_EQ(u.used, 0, "charge+events: the entry was not charged (one transaction)");
	}
	bat[2] = bat[3];
	T_EQ(hub_state_event_append_batch(b, bat, 3, &ck), PT_OK, "batch: without it, appended");
	T_OK(bat[0].seq == BATCH_N + 1 && bat[2].seq == BATCH_N + 3,
	     "batch: it goes on at %d with no gap", BATCH_N + 1);
	T_EQ(ck.last, 24, "batch: the checkpoint due at 24 made");

	/* A signature that cannot be made: that checkpoint skipped, the
	 * next event tries again. */
	ts.fail_at = 28;
	for (i = 0; i < 6; i++)
		set_event(&bat[i], 4000, "door.opened", "{}");
	T_EQ(hub_state_event_append_batch(b, bat, 6, &ck), PT_OK,
	     "batch: a signer failing at 28 does not fail the batch");
	T_EQ(ck.last, 29, "batch: the checkpoint due at 28 is made at 29");
	T_EQ(hub_state_event_verify(b, &bad), PT_OK, "batch: the chain still verifies");

	/* One transaction for an entry and its decision. */
	{
		uint8_t cti[2][PT_CTI_LEN];
		struct pt_usage u[2];
		fill(cti[0], PT_CTI_LEN, 0x71);
		fill(cti[1], PT_CTI_LEN, 0x81);
		set_event(&bat[0], 5000, "decision.grant", "{\"reason\":\"ok\"}");
		T_EQ(hub_state_charge_events(b, (const uint8_t(*)[PT_CTI_LEN])cti, 2, 5000, bat, 1,
					     &ck),
		     PT_OK, "charge+events: two token ids and decision.grant");
		T_EQ(bat[0].seq, 33, "charge+events: the event has the next seq");
		T_EQ(hub_state_usage_load(b, (const uint8_t(*)[PT_CTI_LEN])cti, 2, u), PT_OK,
		     "charge+events: usage");
		T_OK(u[0].used == 1 && u[1].used == 1, "charge+events: both charged");
		T_EQ(hub_state_charge_events(b, (const uint8_t(*)[PT_CTI_LEN])cti, 2, 5001, NULL, 0,
					     NULL),
		     PT_OK, "charge+events: no events is a plain charge");
		T_EQ(hub_state_usage_load(b, (const uint8_t(*)[PT_CTI_LEN])cti, 1, u), PT_OK,
		     "charge+events: usage again");
		T_EQ(u[0].used, 2, "charge+events: charged again");
		T_EQ(hub_state_charge_events(NULL, (const uint8_t(*)[PT_CTI_LEN])cti, 1, 1, NULL, 0,
					     NULL),
		     PT_EINVAL, "charge+events: NULL state");
	}
	test_events_lockout(b, &ck);
	T_EQ(hub_state_event_verify(b, &bad), PT_OK, "batch: the chain verifies at the end");
	hub_state_close(b);
	pt_secret_free(ts.key);
}

/* kill -9 while a child does what the hub does per entry: the charge
 * with decision.grant in one transaction (acknowledged: the bolt would
 * move), then the turn's other events in one batch. After every kill:
 * the chain verifies (no gap, no broken link), and there are exactly as
 * many decision.grant events as charged entries: a charge and its
 * decision are both stored or neither. */
static void __attribute__((noreturn))
batch_crash_child(const char *path, int wfd)
{
	struct hub_state *hs = NULL;
	struct hub_event e[3];
	struct pt_usage u;

	if (hub_state_open(path, &hs, NULL) != PT_OK)
		_exit(2);
	for (;;) {
		set_event(&e[0], 7, "decision.grant", "{\"reason\":\"ok\"}");
		if (hub_state_charge_events(hs, crash_cti, 1, 7, e, 1, NULL) != PT_OK ||
		    hub_state_usage_load(hs, crash_cti, 1, &u) != PT_OK)
			_exit(3);
		if (write(wfd, &u.used, sizeof(u.used)) != (ssize_t)sizeof(u.used))
			_exit(4);
		set_event(&e[0], 7, "session.start", "{}");
		set_event(&e[1], 7, "lock.unlocking", "{}");
		set_event(&e[2], 7, "lock.unlocked", "{}");
		if (hub_state_event_append_batch(hs, e, 3, NULL) != PT_OK)
			_exit(5);
	}
}

/* The decision.grant events stored, and whether every batch is whole:
 * a grant is followed by its three (session.start, lock.unlocking,
 * lock.unlocked) or by nothing of them (killed before that batch
 * committed: the next grant, or the end). */
static int64_t
grants_stored(const char *path, bool *whole)
{
	static const char *const three[] = { "session.start", "lock.unlocking", "lock.unlocked" };
	struct hub_state *hs = open_or_die(path);
	struct hub_event e[64];
	int64_t after = 0, grants = 0;
	size_t n, i, k = 3;	/* how many of the three seen since the last grant */

	*whole = true;
	do {
		if (hub_state_event_list(hs, after, false, e, 64, &n) != PT_OK) {
			*whole = false;
			break;
		}
		for (i = 0; i < n; i++) {
			after = e[i].seq;
			if (strcmp(e[i].type, "decision.grant") == 0) {
				grants++;
				*whole &= k == 0 || k == 3;
				k = 0;
			} else if (k < 3 && strcmp(e[i].type, three[k]) == 0) {
				k++;
			} else {
				*whole = false;
			}
		}
	} while (n == 64);
	*whole &= k == 0 || k == 3;
	hub_state_close(hs);
	return grants;
}

static void
test_batch_crash(void)
{
	const char *path = fresh("batch-crash.db");
	uint32_t before = 0, reported, got, v;
	int round, pfd[2], status, ok_sig = 1, ok_lost = 1, ok_chain = 1, ok_pair = 1;
	int ok_order = 1;
	unsigned charged = 0;
	pid_t pid;

	hub_state_close(open_or_die(path));
	for (round = 0; round < 20; round++) {
		if (pipe(pfd) != 0) {
			printf("Bail out! pipe\n");
			exit(1);
		}
		fflush(stdout);
		pid = fork();
		if (pid == 0) {
			close(pfd[0]);
			batch_crash_child(path, pfd[1]);
		}
		close(pfd[1]);
		/* Once it has charged one (open and migrations can take longer
		 * than the window on a busy machine), at a random moment. */
		reported = before;
		if (read(pfd[0], &v, sizeof(v)) == (ssize_t)sizeof(v))
			reported = v;
		sleep_us((long)(rand_r(&seed) % 40000));
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		ok_sig &= WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
		while (read(pfd[0], &v, sizeof(v)) == (ssize_t)sizeof(v))
			reported = v;
		close(pfd[0]);
		got = stored_count(path);
		charged += reported - before;
		ok_lost &= got >= reported && got <= reported + 1;
		{
			struct hub_state *hs = open_or_die(path);
			int64_t bad = 0;
			bool in_order = false;
			int64_t grants;
			ok_chain &= hub_state_event_verify(hs, &bad) == PT_OK;
			hub_state_close(hs);
			grants = grants_stored(path, &in_order);
			ok_pair &= grants == (int64_t)got;
			ok_order &= in_order;
			if (grants != (int64_t)got || !in_order)
				printf("# round %d: %u charged, %lld decision.grant, order %s\n", round,
				       got, (long long)grants, in_order ? "ok" : "broken");
		}
		before = got;
	}
	printf("# batch crash: 20 rounds, %u acknowledged charges, final count %u\n", charged,
	       before);
	T_OK(ok_sig, "batch crash: every child died of SIGKILL");
	T_OK(ok_lost, "batch crash: no acknowledged charge lost, at most one unacknowledged kept");
	T_OK(ok_chain, "batch crash: the chain verifies after every kill (no gap, no broken link)");
	T_OK(ok_pair, "batch crash: as many decision.grant events as entries charged, every round");
	T_OK(ok_order, "batch crash: a batch is stored whole or not at all");
	T_OK(charged > 0, "batch crash: the children did charge (%u)", charged);
}

/* ---- the revocation set kept in memory (state.c's rev_cache) ---- */

/* n_ctis, the first token id and the version, as read through hs. */
static bool
rev_view(struct hub_state *hs, size_t *n_ctis, size_t *n_keys, int64_t *version, int64_t *at)
{
	uint8_t (*c)[PT_CTI_LEN] = NULL, (*k)[PT_PK_LEN] = NULL;
	bool ok = hub_state_revoked_load(hs, &c, n_ctis, &k, n_keys) == PT_OK &&
		  hub_state_revocation_version(hs, version, at) == PT_OK;

	free(c);
	free(k);
	return ok;
}

static void
test_rev_cache(void)
{
	const char *path = fresh("revcache.db");
	struct hub_state *a = open_or_die(path), *b = open_or_die(path);
	uint8_t t[PT_CTI_LEN], pk[PT_PK_LEN], env[40];
	size_t nc = 99, nk = 99;
	int64_t v = -1, at = -1;
	sqlite3 *db;
	int i;

	fill(env, sizeof(env), 3);
	T_OK(rev_view(a, &nc, &nk, &v, &at) && nc == 0 && nk == 0 && v == 0 && at == 0,
	     "rev cache: empty set read (and kept)");
	T_OK(rev_view(a, &nc, &nk, &v, &at) && nc == 0 && v == 0, "rev cache: empty again");
	fill(t, sizeof(t), 0x11);
	T_EQ(hub_state_revocation_add(a, 5, PT_REVOKE_TOKEN, t, PT_CTI_LEN, env, sizeof(env), 9),
	     PT_OK, "rev cache: this connection adds one");
	T_OK(rev_view(a, &nc, &nk, &v, &at) && nc == 1 && v == 5,
	     "rev cache: seen at once by the same connection (version 5)");
	/* Another connection (a second process would be the same). */
	fill(pk, sizeof(pk), 0x22);
	T_EQ(hub_state_revocation_add(b, 6, PT_REVOKE_KEY, pk, PT_PK_LEN, env, sizeof(env), 9),
	     PT_OK, "rev cache: another connection adds a key");
	T_OK(rev_view(a, &nc, &nk, &v, &at) && nc == 1 && nk == 1 && v == 6,
	     "rev cache: seen by the first (data_version moved): 1 token, 1 key, version 6");
	T_EQ(hub_state_revocation_refreshed(b, 1234), PT_OK, "rev cache: the other marks a refresh");
	T_OK(rev_view(a, &nc, &nk, &v, &at) && at == 1234, "rev cache: refresh time seen");
	T_EQ(hub_state_revocation_refreshed(a, 1300), PT_OK, "rev cache: this one marks a refresh");
	T_OK(rev_view(a, &nc, &nk, &v, &at) && at == 1300, "rev cache: its own refresh time seen");
	/* Behind the state's back: a raw connection, as sqlite3 by hand. */
	db = raw_open(path);
	T_EQ(raw_exec(db, "INSERT INTO revocations (kind, target, version, envelope, at) VALUES"
			  " (1, x'33333333333333333333333333333333', 9, x'00', 1)"),
	     SQLITE_OK, "rev cache: a raw connection inserts a token revocation");
	sqlite3_close(db);
	T_OK(rev_view(a, &nc, &nk, &v, &at) && nc == 2 && v == 9,
	     "rev cache: seen: 2 tokens, version 9");
	/* Many reads in a row give the same, and unrelated writes of our
	 * own (events, charges) do not disturb it. */
	for (i = 0; i < 5; i++) {
		struct hub_event e;
		set_event(&e, 1, "door.opened", "{}");
		if (hub_state_event_append(a, &e) != PT_OK || !rev_view(a, &nc, &nk, &v, &at) ||
		    nc != 2 || nk != 1 || v != 9)
			break;
	}
	T_EQ(i, 5, "rev cache: steady across our own event appends");
	hub_state_close(a);
	hub_state_close(b);
}

/* hub_state_ctx_load: the same as the three reads it replaces, from one
 * snapshot; usage never kept (always read), the revocation copies shared
 * with hub_state_revoked_load / _version and dropped when another
 * connection commits. */
static bool
ctx_view(struct hub_state *hs, const uint8_t (*ctis)[PT_CTI_LEN], size_t n, struct pt_usage *u,
	 size_t *n_ctis, size_t *n_keys, int64_t *version, int64_t *at)
{
	uint8_t (*c)[PT_CTI_LEN] = NULL, (*k)[PT_PK_LEN] = NULL;
	bool ok = hub_state_ctx_load(hs, ctis, n, u, &c, n_ctis, &k, n_keys, version, at) == PT_OK;

	free(c);
	free(k);
	return ok;
}

static void
test_ctx_load(void)
{
	const char *path = fresh("ctx.db");
	struct hub_state *a = open_or_die(path), *b = open_or_die(path);
	uint8_t ids[2][PT_CTI_LEN], t[PT_CTI_LEN], pk[PT_PK_LEN], env[40];
	uint8_t (*c)[PT_CTI_LEN] = NULL, (*k)[PT_PK_LEN] = NULL;
	struct pt_usage u[2];
	size_t nc = 99, nk = 99, nc2 = 99, nk2 = 99;
	int64_t v = -1, at = -1, v2 = -1, at2 = -1;
	sqlite3 *db;

	fill(ids[0], PT_CTI_LEN, 0x61);
	fill(ids[1], PT_CTI_LEN, 0x71);
	fill(env, sizeof(env), 3);
	T_OK(ctx_view(a, (const uint8_t(*)[PT_CTI_LEN])ids, 2, u, &nc, &nk, &v, &at) &&
		     u[0].used == 0 && u[1].used == 0 && memcmp(u[1].cti, ids[1], PT_CTI_LEN) == 0 &&
		     nc == 0 && nk == 0 && v == 0 && at == 0,
	     "ctx: a new file: nothing used, nothing revoked, version 0");
	T_OK(ctx_view(a, NULL, 0, NULL, &nc, &nk, &v, &at) && nc == 0 && v == 0,
	     "ctx: no token ids (a chain that does not decode) reads the rest");
	T_EQ(hub_state_charge(b, (const uint8_t(*)[PT_CTI_LEN])ids, 1, 100), PT_OK,
	     "ctx: another connection charges the first id");
	T_EQ(hub_state_charge(b, (const uint8_t(*)[PT_CTI_LEN])ids, 1, 101), PT_OK,
	     "ctx: ... twice");
	T_OK(ctx_view(a, (const uint8_t(*)[PT_CTI_LEN])ids, 2, u, &nc, &nk, &v, &at) &&
		     u[0].used == 2 && u[1].used == 0,
	     "ctx: the other connection's charges are seen (2, 0)");
	T_EQ(hub_state_charge(a, (const uint8_t(*)[PT_CTI_LEN])ids, 2, 102), PT_OK,
	     "ctx: this connection charges both");
	T_OK(ctx_view(a, (const uint8_t(*)[PT_CTI_LEN])ids, 2, u, &nc, &nk, &v, &at) &&
		     u[0].used == 3 && u[1].used == 1,
	     "ctx: its own charges are seen at once (3, 1)");
	fill(t, sizeof(t), 0x11);
	T_EQ(hub_state_revocation_add(a, 5, PT_REVOKE_TOKEN, t, PT_CTI_LEN, env, sizeof(env), 9),
	     PT_OK, "ctx: this connection adds a revocation");
	T_OK(ctx_view(a, (const uint8_t(*)[PT_CTI_LEN])ids, 2, u, &nc, &nk, &v, &at) && nc == 1 &&
		     nk == 0 && v == 5,
	     "ctx: seen at once (1 token, version 5)");
	fill(pk, sizeof(pk), 0x22);
	T_EQ(hub_state_revocation_add(b, 6, PT_REVOKE_KEY, pk, PT_PK_LEN, env, sizeof(env), 9),
	     PT_OK, "ctx: another connection adds a key");
	T_EQ(hub_state_revocation_refreshed(b, 1234), PT_OK, "ctx: ... and marks a refresh");
	T_OK(ctx_view(a, (const uint8_t(*)[PT_CTI_LEN])ids, 2, u, &nc, &nk, &v, &at) && nc == 1 &&
		     nk == 1 && v == 6 && at == 1234,
	     "ctx: seen by the first (data_version moved): 1 token, 1 key, version 6, refresh");
	T_OK(hub_state_revoked_load(a, &c, &nc2, &k, &nk2) == PT_OK &&
		     hub_state_revocation_version(a, &v2, &at2) == PT_OK && nc2 == nc && nk2 == nk &&
		     v2 == v && at2 == at && c != NULL && memcmp(c[0], t, PT_CTI_LEN) == 0 &&
		     k != NULL && memcmp(k[0], pk, PT_PK_LEN) == 0,
	     "ctx: the single reads agree with it (the copies it kept)");
	free(c);
	free(k);
	/* Behind the state's back: a raw connection, as sqlite3 by hand. */
	db = raw_open(path);
	T_EQ(raw_exec(db, "INSERT INTO revocations (kind, target, version, envelope, at) VALUES"
			  " (1, x'33333333333333333333333333333333', 9, x'00', 1);"
			  " UPDATE usage SET used = 7 WHERE cti = x'7172737475767778797a7b7c7d7e7f80'"),
	     SQLITE_OK, "ctx: a raw connection revokes a token and sets a usage");
	sqlite3_close(db);
	T_OK(ctx_view(a, (const uint8_t(*)[PT_CTI_LEN])ids, 2, u, &nc, &nk, &v, &at) && nc == 2 &&
		     v == 9 && u[1].used == 7,
	     "ctx: seen: 2 tokens, version 9, the second id used 7 times");
	T_EQ(hub_state_ctx_load(a, (const uint8_t(*)[PT_CTI_LEN])ids, 2, u, NULL, &nc, &k, &nk, &v,
				&at),
	     PT_EINVAL, "ctx: a missing output is PT_EINVAL");
	T_EQ(hub_state_ctx_load(a, NULL, 2, u, &c, &nc, &k, &nk, &v, &at), PT_EINVAL,
	     "ctx: token ids missing is PT_EINVAL");
	T_OK(c == NULL && k == NULL && nc == 0 && v == 0, "ctx: ... with every output empty");
	hub_state_close(a);
	hub_state_close(b);
}

/* A decision's transaction: the write lock from the context's read to the
 * charge, which commits it; ended without a charge, nothing is written;
 * reads inside it leave it open. */
static bool
write_lock_free(const char *path)
{
	sqlite3 *db = raw_open(path);
	bool free_ = false;

	sqlite3_busy_timeout(db, 0);
	if (raw_exec(db, "BEGIN IMMEDIATE") == SQLITE_OK)
		free_ = raw_exec(db, "ROLLBACK") == SQLITE_OK;
	sqlite3_close(db);
	return free_;
}

static void
test_decision_tx(void)
{
	const char *path = fresh("dtx.db");
	struct hub_state *a = open_or_die(path), *b = open_or_die(path);
	uint8_t ids[2][PT_CTI_LEN];
	struct hub_event e;
	struct pt_usage u[2];
	size_t nc, nk;
	int64_t v, at;

	fill(ids[0], PT_CTI_LEN, 0x41);
	fill(ids[1], PT_CTI_LEN, 0x51);
	T_OK(write_lock_free(path), "dtx: the write lock is free at first");
	T_EQ(hub_state_decision_begin(a), PT_OK, "dtx: begin");
	T_OK(!write_lock_free(path), "dtx: ... takes the write lock");
	T_OK(ctx_view(a, (const uint8_t(*)[PT_CTI_LEN])ids, 2, u, &nc, &nk, &v, &at) &&
		     u[0].used == 0,
	     "dtx: the context read inside it");
	T_OK(hub_state_revocation_version(a, &v, &at) == PT_OK && !write_lock_free(path),
	     "dtx: another read inside it leaves it open");
	T_EQ(hub_state_charge_events(a, (const uint8_t(*)[PT_CTI_LEN])ids, 2, 50, NULL, 0, NULL),
	     PT_OK, "dtx: the charge");
	T_OK(write_lock_free(path), "dtx: ... commits it (the lock is free)");
	T_OK(ctx_view(b, (const uint8_t(*)[PT_CTI_LEN])ids, 2, u, &nc, &nk, &v, &at) &&
		     u[0].used == 1 && u[1].used == 1,
	     "dtx: another connection sees the charge (1, 1)");
	hub_state_decision_end(a);
	T_OK(write_lock_free(path), "dtx: end after the charge: nothing to do");

	T_EQ(hub_state_decision_begin(a), PT_OK, "dtx: begin again");
	T_OK(ctx_view(a, (const uint8_t(*)[PT_CTI_LEN])ids, 2, u, &nc, &nk, &v, &at) &&
		     u[0].used == 1,
	     "dtx: ... its read sees its own last charge");
	hub_state_decision_end(a);
	T_OK(write_lock_free(path), "dtx: end without a charge (a refusal): the lock is free");
	set_event(&e, 1, "dtx.after", "{}");
	T_EQ(hub_state_event_append(a, &e), PT_OK, "dtx: an event after it: its own transaction");
	T_OK(ctx_view(b, (const uint8_t(*)[PT_CTI_LEN])ids, 2, u, &nc, &nk, &v, &at) &&
		     u[0].used == 1 && u[1].used == 1,
	     "dtx: nothing more charged");

	T_EQ(hub_state_decision_begin(a), PT_OK, "dtx: begin, then an event append (a write)");
	set_event(&e, 2, "dtx.inside", "{}");
	T_OK(hub_state_event_append(a, &e) == PT_OK && write_lock_free(path),
	     "dtx: ... commits it as a charge would");
	T_EQ(hub_state_charge(a, (const uint8_t(*)[PT_CTI_LEN])ids, 1, 51), PT_OK,
	     "dtx: a charge after that: its own transaction");
	T_OK(ctx_view(b, (const uint8_t(*)[PT_CTI_LEN])ids, 2, u, &nc, &nk, &v, &at) &&
		     u[0].used == 2 && u[1].used == 1,
	     "dtx: ... committed (2, 1)");
	/* A plain write while it is open would be rolled back with it: refused. */
	T_EQ(hub_state_decision_begin(a), PT_OK, "dtx: begin, then a plain write");
	T_EQ(hub_state_revocation_refreshed(a, 777), PT_EIO, "dtx: ... is refused (PT_EIO)");
	T_OK(!write_lock_free(path), "dtx: ... the transaction still open");
	hub_state_decision_end(a);
	T_OK(hub_state_revocation_refreshed(a, 778) == PT_OK &&
		     hub_state_revocation_version(b, &v, &at) == PT_OK && at == 778,
	     "dtx: after its end the same write is made and seen");
	{
		/* Another process holds the write lock: begin does not wait
		 * for it (the busy timeout is 5 s), the caller reads apart. */
		sqlite3 *db = raw_open(path);
		struct timespec t0, t1;
		double secs;

		T_EQ(raw_exec(db, "BEGIN IMMEDIATE"), SQLITE_OK, "dtx: a raw connection writes");
		clock_gettime(CLOCK_MONOTONIC, &t0);
		T_EQ(hub_state_decision_begin(a), PT_EIO, "dtx: begin meanwhile: PT_EIO");
		clock_gettime(CLOCK_MONOTONIC, &t1);
		secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
		T_OK(secs < 2.0, "dtx: ... at once, not after the busy timeout");
		T_OK(ctx_view(a, (const uint8_t(*)[PT_CTI_LEN])ids, 2, u, &nc, &nk, &v, &at) &&
			     u[0].used == 2,
		     "dtx: ... and the context is read apart (WAL: a reader does not wait)");
		T_EQ(raw_exec(db, "ROLLBACK"), SQLITE_OK, "dtx: the raw connection lets go");
		sqlite3_close(db);
		T_EQ(hub_state_decision_begin(a), PT_OK, "dtx: begin works again");
		hub_state_decision_end(a);
	}
	T_EQ(hub_state_decision_begin(NULL), PT_EINVAL, "dtx: begin(NULL) is PT_EINVAL");
	hub_state_decision_end(NULL);
	hub_state_close(a);
	hub_state_close(b);
}

/* ---- two processes, one file ---- */

#define RACE_N 150

/* Two children on one file, released together; each does RACE_N of
 * charges (events false) or event appends (events true) back to back.
 * True if both finished without an error. */
static bool
race(const char *path, bool events)
{
	int status, i, gate[2];
	bool ok = true;
	pid_t pid[2];

	if (pipe(gate) != 0) {
		printf("Bail out! pipe\n");
		exit(1);
	}
	fflush(stdout);
	for (i = 0; i < 2; i++) {
		pid[i] = fork();
		if (pid[i] == 0) {
			struct hub_state *hs = NULL;
			struct hub_event e;
			char c;
			int j;

			close(gate[1]);
			if (hub_state_open(path, &hs, NULL) != PT_OK)
				_exit(2);
			(void)!read(gate[0], &c, 1);	/* EOF: the parent let go */
			for (j = 0; j < RACE_N; j++) {
				if (!events && hub_state_charge(hs, crash_cti, 1, j) != PT_OK)
					_exit(3);
				set_event(&e, j, i == 0 ? "race.a" : "race.b", "{}");
				if (events && hub_state_event_append(hs, &e) != PT_OK)
					_exit(4);
			}
			hub_state_close(hs);
			_exit(0);
		}
	}
	close(gate[0]);
	sleep_us(50000);	/* both open and waiting */
	close(gate[1]);
	for (i = 0; i < 2; i++) {
		waitpid(pid[i], &status, 0);
		ok &= WIFEXITED(status) && WEXITSTATUS(status) == 0;
	}
	return ok;
}

static void
test_two_processes(void)
{
	const char *path = fresh("race.db");

	hub_state_close(open_or_die(path));
	T_OK(race(path, false), "race: two processes charged without an error (busy timeout)");
	T_EQ(stored_count(path), 2 * RACE_N, "race: no lost increment: count == sum of charges");
	/* Appends read the last hash before they write: without the write
	 * lock taken first (BEGIN IMMEDIATE) this fails with SQLITE_BUSY. */
	T_OK(race(path, true), "race: two processes appended events without an error");
	{
		struct hub_state *hs = open_or_die(path);
		struct hub_event last;
		int64_t bad = 0;
		size_t n = 0;
		T_EQ(hub_state_event_verify(hs, &bad), PT_OK, "race: one unbroken chain");
		T_EQ(hub_state_event_list(hs, 2 * RACE_N - 1, false, &last, 1, &n), PT_OK,
		     "race: the last event");
		T_OK(n == 1 && last.seq == 2 * RACE_N, "race: seq 1..%d, no gap, no duplicate",
		     2 * RACE_N);
		hub_state_close(hs);
	}
}

/* ---- the command nonce replay cache (migration 2) ---- */

static void
test_nonces(void)
{
	struct hub_state *hs = open_or_die(fresh("nonces.db"));
	uint8_t a[PT_CTI_LEN], b[PT_CTI_LEN], c[PT_CTI_LEN];
	size_t n = 99;
	sqlite3 *db;

	fill(a, sizeof(a), 0x10);
	fill(b, sizeof(b), 0x20);
	fill(c, sizeof(c), 0x30);
	T_EQ(hub_state_nonce_count(hs, &n), PT_OK, "nonces: count, empty");
	T_EQ(n, 0, "nonces: none yet");
	T_EQ(hub_state_nonce_add(hs, a, 1000, 880), PT_OK, "nonces: add one");
	T_EQ(hub_state_nonce_add(hs, a, 5000, 4880), PT_EEXISTS,
	     "nonces: the same nonce again is PT_EEXISTS (a replay), whatever its times");
	T_EQ(hub_state_nonce_add(hs, b, 2000, 1880), PT_OK, "nonces: another");
	T_EQ(hub_state_nonce_count(hs, &n), PT_OK, "nonces: count");
	T_EQ(n, 2, "nonces: two kept");
	T_EQ(hub_state_nonce_add(NULL, c, 1, 1), PT_EINVAL, "nonces: add, NULL state");
	T_EQ(hub_state_nonce_add(hs, NULL, 1, 1), PT_EINVAL, "nonces: add, NULL nonce");
	T_EQ(hub_state_nonce_prune(NULL, 1, &n), PT_EINVAL, "nonces: prune, NULL state");
	T_EQ(hub_state_nonce_count(hs, NULL), PT_EINVAL, "nonces: count, NULL out");
	T_EQ(hub_state_nonce_count(NULL, &n), PT_EINVAL, "nonces: count, NULL state");

	/* They survive a restart: a command cannot be replayed across a reboot. */
	hub_state_close(hs);
	hs = open_or_die(dbpath);
	T_EQ(hub_state_nonce_add(hs, a, 1000, 880), PT_EEXISTS, "nonces: still there after reopen");
	T_EQ(hub_state_nonce_add(hs, b, 2000, 1880), PT_EEXISTS,
	     "nonces: the other one too after reopen");

	/* Pruning: strictly before, the boundary kept. */
	T_EQ(hub_state_nonce_prune(hs, 1000, &n), PT_OK, "nonces: prune before 1000");
	T_EQ(n, 0, "nonces: the one expiring at 1000 is kept (boundary)");
	T_EQ(hub_state_nonce_prune(hs, 1001, &n), PT_OK, "nonces: prune before 1001");
	T_EQ(n, 1, "nonces: the one expiring at 1000 is gone");
	T_EQ(hub_state_nonce_add(hs, b, 2000, 1880), PT_EEXISTS,
	     "nonces: the later one is still refused");
	T_EQ(hub_state_nonce_add(hs, a, 1000, 880), PT_OK,
	     "nonces: a pruned nonce is forgotten (it could no longer be fresh)");
	T_EQ(hub_state_nonce_prune(hs, INT64_MAX, NULL), PT_OK, "nonces: prune all, no count");
	T_EQ(hub_state_nonce_count(hs, &n), PT_OK, "nonces: count after pruning all");
	T_EQ(n, 0, "nonces: none left");
	hub_state_close(hs);

	/* The table's own checks, past the C code. */
	db = raw_open(dbpath);
	T_OK(raw_exec(db, "INSERT INTO command_nonces VALUES (x'00112233445566778899aabbccddee',"
			  " 1, 1)") != SQLITE_OK,
	     "nonces: a 15-byte nonce cannot be stored");
	T_OK(raw_exec(db, "INSERT INTO command_nonces VALUES ('0011223344556677', 1, 1)") !=
		     SQLITE_OK,
	     "nonces: a text nonce cannot be stored (STRICT)");

	/* A file of schema 1 (before the cache) is migrated on open, through
	 * every later migration. */
	T_EQ(raw_exec(db, "DROP TABLE command_nonces; DROP TABLE live_sessions;"
			  " DROP TABLE revocations_pending;"
			  " DELETE FROM schema_version WHERE version >= 2"),
	     SQLITE_OK, "nonces: make the file look like schema 1");
	sqlite3_close(db);
	hs = open_or_die(dbpath);
	T_EQ(hub_state_nonce_add(hs, c, 3000, 2880), PT_OK,
	     "nonces: a schema-1 file gets the table on open (migration 2)");
	hub_state_close(hs);
	db = raw_open(dbpath);
	{
		sqlite3_stmt *s = NULL;
		T_EQ(sqlite3_prepare_v2(db, "SELECT max(version) FROM schema_version", -1, &s, NULL),
		     SQLITE_OK, "nonces: schema version readable");
		T_EQ(sqlite3_step(s), SQLITE_ROW, "nonces: schema version row");
		T_EQ(sqlite3_column_int(s, 0), 5, "nonces: schema version 5 (the latest)");
		sqlite3_finalize(s);
	}
	sqlite3_close(db);
}

/* The count of rows of sqlite_master named name (an index, a table). */
static int
schema_has(const char *path, const char *name)
{
	sqlite3 *db = raw_open(path);
	sqlite3_stmt *s = NULL;
	int n = -1;

	if (sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_master WHERE name = ?1", -1, &s,
			       NULL) == SQLITE_OK &&
	    sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return n;
}

/* The unsent events without their index (migration 4): a schema-3 file
 * loses it on open, keeping every event and its sent flag; each
 * connection searches from where its own acknowledgements left the
 * unsent ones, which another connection's marks and appends, or a
 * refused mark, never make wrong. */
static void
test_unsent(void)
{
	const char *path = fresh("unsent.db");
	struct hub_state *a = open_or_die(path), *b;
	struct hub_event ev[12], list[16];
	size_t n = 0, i;
	sqlite3 *db;

	T_EQ(schema_has(path, "events_unsent"), 0, "unsent: a new file has no events_unsent index");
	hub_state_close(a);
	/* A file as schema 3 left it: the index, version 3, events 1..6 with
	 * 1..2 sent. */
	db = raw_open(path);
	T_EQ(raw_exec(db, "CREATE INDEX events_unsent ON events(seq) WHERE sent = 0;"
			  " DROP TABLE revocations_pending;"
			  " DELETE FROM schema_version WHERE version >= 4"),
	     SQLITE_OK, "unsent: make the file look like schema 3");
	sqlite3_close(db);
	T_EQ(schema_has(path, "events_unsent"), 1, "unsent: the schema-3 file has the index");
	a = open_or_die(path);
	hub_state_close(a);
	T_EQ(schema_has(path, "events_unsent"), 0, "unsent: gone after open (migration 4)");
	a = open_or_die(path);
	for (i = 0; i < 6; i++)
		set_event(&ev[i], 1000 + (int64_t)i, "door.opened", "{}");
	T_EQ(hub_state_event_append_batch(a, ev, 6, NULL), PT_OK, "unsent: 6 events");
	T_EQ(hub_state_event_mark_sent(a, 2), PT_OK, "unsent: a marks 1..2");
	hub_state_close(a);

	/* Through migration 4 again from a file with events, one sent. */
	db = raw_open(path);
	T_EQ(raw_exec(db, "CREATE INDEX events_unsent ON events(seq) WHERE sent = 0;"
			  " DROP TABLE revocations_pending;"
			  " DELETE FROM schema_version WHERE version >= 4"),
	     SQLITE_OK, "unsent: schema 3 again, with events");
	sqlite3_close(db);
	a = open_or_die(path);
	b = open_or_die(path);
	T_EQ(schema_has(path, "events_unsent"), 0, "unsent: migrated with events in it");
	T_EQ(hub_state_event_list(a, 0, true, list, 16, &n), PT_OK, "unsent: a lists");
	T_OK(n == 4 && list[0].seq == 3 && list[3].seq == 6 && !list[0].sent,
	     "unsent: 3..6 after the migration (n=%zu)", n);
	T_EQ(hub_state_event_list(a, 0, false, list, 16, &n), PT_OK, "unsent: a lists all");
	T_OK(n == 6 && list[0].sent && list[1].sent && !list[2].sent, "unsent: 1..2 still sent");

	/* b acknowledges up to 4; a (which knows nothing of it) still lists
	 * exactly 5..6; a's own mark below b's changes nothing. */
	T_EQ(hub_state_event_mark_sent(b, 4), PT_OK, "unsent: b marks 1..4");
	T_EQ(hub_state_event_list(a, 0, true, list, 16, &n), PT_OK, "unsent: a lists after b");
	T_OK(n == 2 && list[0].seq == 5 && list[1].seq == 6, "unsent: a sees 5..6 (n=%zu)", n);
	T_EQ(hub_state_event_mark_sent(a, 3), PT_OK, "unsent: a marks 1..3 (older)");
	T_EQ(hub_state_event_list(b, 0, true, list, 16, &n), PT_OK, "unsent: b lists");
	T_OK(n == 2 && list[0].seq == 5, "unsent: b still sees 5..6 (n=%zu)", n);
	/* A refused mark (beyond the last event) moves nothing. */
	T_EQ(hub_state_event_mark_sent(a, 9), PT_ENOTFOUND, "unsent: a marks beyond the last");
	T_EQ(hub_state_event_list(a, 0, true, list, 16, &n), PT_OK, "unsent: a lists again");
	T_OK(n == 2 && list[0].seq == 5, "unsent: 5..6 after the refused mark (n=%zu)", n);
	/* Appends by either connection are unsent for both, and an after
	 * beyond the start is honoured. */
	for (i = 0; i < 3; i++)
		set_event(&ev[i], 2000 + (int64_t)i, "door.closed", "{}");
	T_EQ(hub_state_event_append_batch(b, ev, 3, NULL), PT_OK, "unsent: b appends 7..9");
	T_EQ(hub_state_event_mark_sent(a, 6), PT_OK, "unsent: a marks 1..6");
	T_EQ(hub_state_event_list(b, 0, true, list, 16, &n), PT_OK, "unsent: b lists");
	T_OK(n == 3 && list[0].seq == 7 && list[2].seq == 9, "unsent: b sees 7..9 (n=%zu)", n);
	T_EQ(hub_state_event_list(a, 7, true, list, 16, &n), PT_OK, "unsent: a lists after 7");
	T_OK(n == 2 && list[0].seq == 8, "unsent: a sees 8..9 (n=%zu)", n);
	T_EQ(hub_state_event_list(a, 2, false, list, 16, &n), PT_OK, "unsent: a lists all after 2");
	T_OK(n == 7 && list[0].seq == 3 && list[0].sent && !list[4].sent,
	     "unsent: all of 3..9, sent as marked (n=%zu)", n);
	/* By hand: one event sent out of order (another program): still
	 * listed by neither, the rest as before. */
	db = raw_open(path);
	T_EQ(raw_exec(db, "UPDATE events SET sent = 1 WHERE seq = 8"), SQLITE_OK,
	     "unsent: raw: 8 sent by hand");
	sqlite3_close(db);
	T_EQ(hub_state_event_list(a, 0, true, list, 16, &n), PT_OK, "unsent: a lists");
	T_OK(n == 2 && list[0].seq == 7 && list[1].seq == 9, "unsent: 7 and 9 (n=%zu)", n);
	T_EQ(hub_state_event_mark_sent(b, 9), PT_OK, "unsent: b marks 1..9");
	T_EQ(hub_state_event_list(a, 0, true, list, 16, &n), PT_OK, "unsent: a lists");
	T_EQ(n, 0, "unsent: none left");
	hub_state_close(b);
	hub_state_close(a);
	a = open_or_die(path);
	T_EQ(hub_state_event_list(a, 0, true, list, 16, &n), PT_OK, "unsent: reopened, lists");
	T_EQ(n, 0, "unsent: none left after a reopen");
	hub_state_close(a);
}

/* Live view's replay memory (docs/live.md "The hub"): a session id once,
 * at most HUB_LIVE_MAX at once, forgotten after its expiry, kept across a
 * reopen. */
static void
test_live(void)
{
	const char *path = fresh("live.db");
	struct hub_state *hs = open_or_die(path);
	uint8_t id[PT_CTI_LEN];
	size_t n = 99;

	T_EQ(hub_state_live_count(hs, &n), PT_OK, "live: count, empty");
	T_EQ(n, 0, "live: none yet");
	fill(id, sizeof(id), 0x41);
	T_EQ(hub_state_live_add(hs, id, 1600, 1000), PT_OK, "live: a session id");
	T_EQ(hub_state_live_add(hs, id, 1600, 1001), PT_EEXISTS, "live: the same again is a replay");
	for (int i = 1; i < HUB_LIVE_MAX; i++) {
		id[0] = (uint8_t)i;
		id[1] = 0x99;
		if (hub_state_live_add(hs, id, 1000 + 10 * i, 1000) != PT_OK)
			break;
	}
	T_EQ(hub_state_live_count(hs, &n), PT_OK, "live: count, full");
	T_EQ(n, HUB_LIVE_MAX, "live: HUB_LIVE_MAX kept");
	id[0] = 0xee;
	T_EQ(hub_state_live_add(hs, id, 1700, 1000), PT_ENOSPC, "live: one more is PT_ENOSPC");
	fill(id, sizeof(id), 0x41);
	T_EQ(hub_state_live_add(hs, id, 1600, 1002), PT_EEXISTS,
	     "live: a replay is still a replay when the table is full");
	hub_state_close(hs);
	hs = open_or_die(path);
	T_EQ(hub_state_live_add(hs, id, 1600, 1003), PT_EEXISTS, "live: kept across a reopen");
	T_EQ(hub_state_live_prune(hs, 1300, &n), PT_OK, "live: prune before 1300");
	T_OK(n > 0 && n < HUB_LIVE_MAX, "live: prune forgets only the expired ones (%zu)", n);
	id[0] = 0xee;
	T_EQ(hub_state_live_add(hs, id, 1700, 1300), PT_OK, "live: room again after the prune");
	T_EQ(hub_state_live_prune(hs, 2000, NULL), PT_OK, "live: prune everything");
	fill(id, sizeof(id), 0x41);
	T_EQ(hub_state_live_add(hs, id, 2600, 2000), PT_OK,
	     "live: an id forgotten after its expiry can be stored again");
	hub_state_close(hs);
}

/* Revocations pending (docs/hub.md, "Pending revocations"): kept once,
 * at most HUB_REV_PENDING_MAX (then the oldest makes room, and says which),
 * listed oldest first, dropped one by one, kept across a reopen; bad
 * input stores nothing. */
static void
test_rev_pending(void)
{
	const char *path = fresh("pending.db");
	struct hub_state *hs = open_or_die(path);
	struct hub_rev_pending *p = NULL;
	uint8_t env[PT_ENVELOPE_SIZE_MAX];
	int64_t ev = 0;
	size_t n = 99;
	int i;

	T_EQ(hub_state_rev_pending_list(hs, &p, &n), PT_OK, "pending: list, empty");
	T_OK(n == 0 && p == NULL, "pending: none yet");
	fill(env, sizeof(env), 0x51);
	T_EQ(hub_state_rev_pending_add(hs, 7, env, 100, 1000, &ev), PT_OK, "pending: one kept");
	T_EQ(ev, -1, "pending: nothing evicted");
	T_EQ(hub_state_rev_pending_add(hs, 7, env, 100, 1001, &ev), PT_EEXISTS,
	     "pending: the same envelope again is kept already");
	T_EQ(hub_state_rev_pending_add(hs, 8, env, 0, 1000, &ev), PT_EINVAL, "pending: empty envelope");
	T_EQ(hub_state_rev_pending_add(hs, 8, env, PT_ENVELOPE_SIZE_MAX + 1, 1000, &ev), PT_EINVAL,
	     "pending: an envelope above the cap");
	T_EQ(hub_state_rev_pending_add(hs, -1, env, 100, 1000, &ev), PT_EINVAL, "pending: version < 0");
	T_EQ(hub_state_rev_pending_add(hs, 8, env, 100, 1000, NULL), PT_EINVAL, "pending: no evicted");
	for (i = 1; i < HUB_REV_PENDING_MAX; i++) {
		env[0] = (uint8_t)i;
		env[1] = (uint8_t)(i >> 8);
		env[2] = 0x99;
		if (hub_state_rev_pending_add(hs, 7 + i, env, PT_ENVELOPE_SIZE_MAX, 1000, &ev) != PT_OK ||
		    ev != -1)
			break;
	}
	T_EQ(i, HUB_REV_PENDING_MAX, "pending: HUB_REV_PENDING_MAX kept, none evicted");
	fill(env, sizeof(env), 0x51);
	T_EQ(hub_state_rev_pending_add(hs, 7, env, 100, 1002, &ev), PT_EEXISTS,
	     "pending: one kept is still kept already when full");
	T_EQ(ev, -1, "pending: ... and evicts nothing");
	hub_state_close(hs);
	hs = open_or_die(path);
	T_EQ(hub_state_rev_pending_list(hs, &p, &n), PT_OK, "pending: list after a reopen");
	T_OK(n == HUB_REV_PENDING_MAX && p != NULL && p[0].version == 7 &&
		     p[0].envelope_len == 100 && p[0].envelope[5] == 0x56 &&
		     p[1].version == 8 && p[1].envelope_len == PT_ENVELOPE_SIZE_MAX,
	     "pending: all kept, oldest first, with version and envelope");
	free(p);
	p = NULL;
	env[2] = 0xee;
	T_EQ(hub_state_rev_pending_add(hs, 999, env, 100, 1000, &ev), PT_OK,
	     "pending: one more when full is kept...");
	T_EQ(ev, 7, "pending: ... the oldest (version 7) made room");
	T_EQ(hub_state_rev_pending_list(hs, &p, &n), PT_OK, "pending: list again");
	T_OK(n == HUB_REV_PENDING_MAX && p != NULL && p[0].version == 8 &&
		     p[n - 1].version == 999,
	     "pending: the oldest is gone, the new one last");
	T_EQ(hub_state_rev_pending_del(hs, p != NULL ? p[0].id : 0), PT_OK, "pending: drop one");
	free(p);
	p = NULL;
	env[2] = 0xef;
	T_EQ(hub_state_rev_pending_add(hs, 1000, env, 100, 1000, &ev), PT_OK,
	     "pending: room again after the drop");
	T_EQ(ev, -1, "pending: ... nothing evicted");
	T_EQ(hub_state_rev_pending_list(hs, &p, &n), PT_OK, "pending: list a third time");
	T_OK(n == HUB_REV_PENDING_MAX && p != NULL && p[0].version == 9, "pending: 8 was dropped");
	free(p);
	hub_state_close(hs);
}

/* The WAL's checkpoint (state.h, hub_state_maintain): never inside a
 * commit, however large the WAL grows (SQLite's automatic one would run in
 * the commit crossing 1,000 frames, a charge's perhaps); from maintain once
 * past 1,000 frames, not inside a decision's transaction; nothing lost. */
static void
test_wal_maintain(void)
{
	const char *path = fresh("wal.db");
	struct hub_state *hs = open_or_die(path);
	uint8_t cti[1][PT_CTI_LEN];
	struct pt_usage u;
	int i, f;

	fill(cti[0], PT_CTI_LEN, 0x77);
	hub_state_maintain(hs);
	T_OK(hub_state_wal_frames(hs) < 100, "wal: a fresh state, a small WAL, nothing to do");
	for (i = 0; i < 1100; i++)
		if (hub_state_charge(hs, (const uint8_t(*)[PT_CTI_LEN])cti, 1, 1000 + i) != PT_OK)
			break;
	T_EQ(i, 1100, "wal: 1,100 charges");
	f = hub_state_wal_frames(hs);
	T_OK(f >= 1100, "wal: no checkpoint inside a commit: the WAL holds %d frames (>= 1,100)", f);
	T_EQ(hub_state_decision_begin(hs), PT_OK, "wal: a decision's transaction");
	hub_state_maintain(hs);
	T_EQ(hub_state_wal_frames(hs), f, "wal: maintain inside it does nothing");
	hub_state_decision_end(hs);
	hub_state_maintain(hs);
	T_EQ(hub_state_wal_frames(hs), 0, "wal: maintain between turns gets past its guards");
	T_EQ(hub_state_charge(hs, (const uint8_t(*)[PT_CTI_LEN])cti, 1, 3000), PT_OK,
	     "wal: one more charge");
	f = hub_state_wal_frames(hs);
	T_OK(f >= 1 && f <= 4, "wal: the WAL started over at that commit (%d frames)", f);
	hub_state_close(hs);
	hs = open_or_die(path);
	memset(&u, 0, sizeof(u));
	T_EQ(hub_state_usage_load(hs, (const uint8_t(*)[PT_CTI_LEN])cti, 1, &u), PT_OK,
	     "wal: usage after a reopen");
	T_EQ(u.used, 1101, "wal: every one of the 1,101 entries kept");
	/* The safety net: nobody calls maintain; the commit taking the WAL
	 * past 10,000 frames checkpoints, and the next starts it over. */
	for (i = 0; i < 10100; i++)
		if (hub_state_charge(hs, (const uint8_t(*)[PT_CTI_LEN])cti, 1, 4000 + i) != PT_OK)
			break;
	T_EQ(i, 10100, "wal: 10,100 charges, no maintain");
	f = hub_state_wal_frames(hs);
	T_OK(f < 200, "wal: bounded without maintain: the commit past 10,000 frames checkpointed"
		      " (%d frames now)", f);
	hub_state_close(hs);
}

int
main(void)
{
	const char *base = getenv("TMPDIR");

	if (pt_crypto_init() != PT_OK || sodium_init() < 0) {
		printf("Bail out! crypto\n");
		return 1;
	}
	(void)snprintf(tmpdir, sizeof(tmpdir), "%s/hubst-XXXXXX",
		       base != NULL && base[0] != '\0' && strlen(base) < 40 ? base : "/tmp");
	if (mkdtemp(tmpdir) == NULL) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	seed = (unsigned)time(NULL) ^ (unsigned)getpid();
	printf("# tmpdir %s, seed %u\n", tmpdir, seed);

	test_event_type();
	test_event_hash();
	test_checkpoint();
	test_open();
	test_owners();
	test_usage();
	test_revocations();
	test_nonces();
	test_live();
	test_rev_pending();
	test_ctx_load();
	test_decision_tx();
	test_unsent();
	test_events();
	test_triggers();
	test_tamper();
	test_eio_log();
	test_crash();
	test_batch();
	test_batch_crash();
	test_rev_cache();
	test_two_processes();
	test_wal_maintain();

	rm_tree(tmpdir);
	return t_done();
}
