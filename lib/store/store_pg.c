/*
 * store_pg.c: porterd's storage in PostgreSQL (see porter/store.h for the
 * contract and docs/storage.md, "PostgreSQL", for the design).
 *
 * Several porterd processes may share one database: that is what this
 * backend is for, so nothing here relies on being the only writer.
 *
 * Connections: a struct pt_store holds a small pool. A transaction pins one
 * connection to the calling thread from pt_store_begin() to commit or
 * rollback; conn->owner names that thread (the address of a thread-local
 * variable, as store_sqlite.c's st->owner), so its calls inside the
 * transaction use that connection and see their own writes, and writes
 * from any other thread, or outside a transaction, are refused. Reads
 * outside a transaction borrow any free connection for the one call.
 * Unlike SQLite, transactions of different threads (and processes) run at
 * the same time.
 *
 * Isolation: READ COMMITTED, with explicit locks where SQLite's single
 * writer made a read-then-write safe:
 *  - revocation versions, event and alert ids: the home's row is locked
 *    (SELECT ... FOR NO KEY UPDATE) before the insert, so per home they are
 *    assigned in commit order, without gaps or duplicates;
 *  - the audit chain: a transaction-level advisory lock before the tail is
 *    read, held to the end of the transaction (readers are not blocked, nor
 *    is VACUUM, as a table lock strong enough would);
 *  - deliveries move by UPDATE ... WHERE state = from: a racing update waits
 *    for the first, then finds the state changed (PT_ECONFLICT);
 *  - hub events are idempotent through their unique index (ON CONFLICT DO
 *    NOTHING: a resend is PT_EEXISTS, a concurrent one waits and is too).
 * Every write runs inside a savepoint: PostgreSQL aborts the whole
 * transaction on any error, SQLite only the statement; rolling back to the
 * savepoint keeps the caller's transaction usable after a refused write
 * (a unique value taken, a CHECK), as store.h promises.
 *
 * Statements are constant text, prepared once per connection on first use;
 * values travel as typed binary parameters, never inside the SQL.
 */
#include "porter/store.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "porter/keyfile.h"
#include "backend.h"

/* Connections per store: porterd's request threads share them; a thread
 * waits in begin (or a read) while all are lent out. */
#define POOL_SIZE 8
/* Transaction-level advisory locks (keys: ASCII, big-endian). Migrations of
 * two processes starting at once: one waits for the other ("porter"). The
 * audit chain's tail: one appender at a time, until its commit ("porter.a"). */
#define MIGRATION_LOCK "123623963911538"
#define AUDIT_LOCK "8101820098906566241"
#define MAX_PARAMS 16

/* Type OIDs (PostgreSQL's catalog/pg_type.dat; fixed forever). */
#define OID_BOOL 16
#define OID_BYTEA 17
#define OID_INT8 20
#define OID_INT2 21
#define OID_INT4 23
#define OID_TEXT 25
#define OID_FLOAT8 701

/*
 * Schema migrations: the same schema as store_sqlite.c, version for version,
 * in PostgreSQL's types (BIGSERIAL for AUTOINCREMENT ids, BIGINT for
 * integers, BYTEA for blobs, BOOLEAN for 0/1 flags, DOUBLE PRECISION for
 * REAL). Migration i brings the schema to version i + 1, in its own
 * transaction together with its schema_version row. Released entries never
 * change. Parts are run in order (C guarantees literals of 4095 bytes only).
 */
#define MIGRATION_PARTS 4
static const char *const migrations[][MIGRATION_PARTS] = {
	/* 1: accounts, sessions, homes, members, owner keys, grants,
	 * revocations, the audit trail. */
	{
	/* COLLATE "C": lower() folds ASCII only and comparisons are bytewise,
	 * as SQLite's lower() and BINARY collation. */
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
	");",

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
	"  UNIQUE (home, cti)"	/* per home: no cross-tenant existence oracle */
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
	/* Row triggers refuse UPDATE and DELETE, a statement trigger TRUNCATE
	 * (which fires no row triggers). */
	"CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS"
	"  $$BEGIN RAISE EXCEPTION 'audit is append-only'; END$$;"
	"CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit"
	"  FOR EACH ROW EXECUTE FUNCTION audit_append_only();"
	"CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit"
	"  FOR EACH ROW EXECUTE FUNCTION audit_append_only();"
	"CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit"
	"  FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();",
	},

	/* 2: home locations; carriers, couriers, devices, hubs, deliveries,
	 * events and alerts (see store_sqlite.c). */
	{
	"ALTER TABLE homes ADD COLUMN has_location BOOLEAN NOT NULL DEFAULT false;"
	"ALTER TABLE homes ADD COLUMN lat DOUBLE PRECISION NOT NULL DEFAULT 0"
	"  CHECK (lat BETWEEN -90 AND 90);"
	"ALTER TABLE homes ADD COLUMN lon DOUBLE PRECISION NOT NULL DEFAULT 0"
	"  CHECK (lon BETWEEN -180 AND 180);"
	"CREATE TABLE carriers ("
	"  id BIGSERIAL PRIMARY KEY,"
	"  public_id TEXT NOT NULL UNIQUE CHECK (length(public_id) BETWEEN 1 AND 64),"
	"  name TEXT NOT NULL,"
	"  pk BYTEA NOT NULL UNIQUE CHECK (length(pk) = 32),"
	"  hosted BOOLEAN NOT NULL,"
	"  sealed_seed BYTEA,"	/* NULL unless hosted */
	"  admin BIGINT NOT NULL REFERENCES accounts(id),"
	"  created_at BIGINT NOT NULL,"
	"  CHECK (NOT hosted AND sealed_seed IS NULL"
	"    OR hosted AND length(sealed_seed) BETWEEN 1 AND 96)"
	");"
	"CREATE INDEX carriers_admin ON carriers(admin);"
	"CREATE TABLE couriers ("
	"  account BIGINT PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,"
	"  carrier BIGINT NOT NULL REFERENCES carriers(id),"
	"  name TEXT NOT NULL,"
	"  level BIGINT NOT NULL CHECK (level BETWEEN 1 AND 3),"
	"  attestation BYTEA NOT NULL CHECK (length(attestation) BETWEEN 1 AND 512),"
	"  active BOOLEAN NOT NULL,"
	"  created_at BIGINT NOT NULL,"
	"  updated_at BIGINT NOT NULL"
	");"
	"CREATE INDEX couriers_carrier ON couriers(carrier);"
	"CREATE TABLE devices ("
	"  id BIGSERIAL PRIMARY KEY,"
	"  account BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,"
	"  pk BYTEA NOT NULL UNIQUE CHECK (length(pk) = 32),"
	"  label TEXT NOT NULL,"
	"  created_at BIGINT NOT NULL"
	");"
	"CREATE INDEX devices_account ON devices(account);"
	"CREATE TABLE hubs ("
	"  id BIGSERIAL PRIMARY KEY,"
	"  public_id TEXT NOT NULL UNIQUE CHECK (length(public_id) BETWEEN 1 AND 64),"
	"  home BIGINT NOT NULL REFERENCES homes(id) ON DELETE CASCADE,"
	"  pk BYTEA NOT NULL UNIQUE CHECK (length(pk) = 32),"
	"  label TEXT NOT NULL,"
	"  pairing BYTEA NOT NULL CHECK (length(pairing) BETWEEN 1 AND 512),"
	"  paired_by BIGINT NOT NULL,"
	"  created_at BIGINT NOT NULL,"
	"  last_seen BIGINT NOT NULL"
	");"
	"CREATE INDEX hubs_home ON hubs(home);",

	"CREATE TABLE deliveries ("
	"  id BIGSERIAL PRIMARY KEY,"
	"  public_id TEXT NOT NULL UNIQUE CHECK (length(public_id) BETWEEN 1 AND 64),"
	"  home BIGINT NOT NULL REFERENCES homes(id) ON DELETE CASCADE,"
	"  carrier BIGINT NOT NULL REFERENCES carriers(id),"
	"  package_id TEXT NOT NULL CHECK (length(package_id) <= 64),"
	"  courier BIGINT NOT NULL,"
	"  device BIGINT NOT NULL,"
	"  state BIGINT NOT NULL CHECK (state BETWEEN 1 AND 9),"
	"  approval BIGINT NOT NULL CHECK (approval BETWEEN 0 AND 2),"
	"  in_home BOOLEAN NOT NULL,"
	"  window_start BIGINT NOT NULL,"
	"  window_end BIGINT NOT NULL,"
	"  token_id BYTEA CHECK (token_id IS NULL OR length(token_id) = 16),"
	"  reason TEXT NOT NULL,"
	"  created_at BIGINT NOT NULL,"
	"  updated_at BIGINT NOT NULL,"
	"  CHECK (window_start <= window_end)"
	");"
	"CREATE INDEX deliveries_home ON deliveries(home);"
	"CREATE INDEX deliveries_carrier ON deliveries(carrier);"
	"CREATE INDEX deliveries_courier ON deliveries(courier);"
	"CREATE TABLE delivery_steps ("
	"  id BIGSERIAL PRIMARY KEY,"
	"  delivery BIGINT NOT NULL REFERENCES deliveries(id) ON DELETE CASCADE,"
	"  state BIGINT NOT NULL CHECK (state BETWEEN 1 AND 9),"
	"  at BIGINT NOT NULL,"
	"  actor BIGINT NOT NULL"
	");"
	"CREATE INDEX delivery_steps_delivery ON delivery_steps(delivery);",

	"CREATE TABLE events ("
	"  id BIGSERIAL PRIMARY KEY,"
	"  home BIGINT NOT NULL REFERENCES homes(id) ON DELETE CASCADE,"
	"  at BIGINT NOT NULL,"
	"  source TEXT NOT NULL CHECK (length(source) BETWEEN 1 AND 80),"
	"  type TEXT NOT NULL CHECK (length(type) BETWEEN 1 AND 48),"
	"  data TEXT NOT NULL,"
	"  hub_seq BIGINT NOT NULL CHECK (hub_seq >= 0)"
	");"
	"CREATE INDEX events_home ON events(home);"
	"CREATE UNIQUE INDEX events_hub_seq ON events(home, source, hub_seq) WHERE hub_seq > 0;"
	"CREATE TABLE alerts ("
	"  id BIGSERIAL PRIMARY KEY,"
	"  home BIGINT NOT NULL REFERENCES homes(id) ON DELETE CASCADE,"
	"  at BIGINT NOT NULL,"
	"  type TEXT NOT NULL CHECK (length(type) BETWEEN 1 AND 48),"
	"  data TEXT NOT NULL,"
	"  event_id BIGINT NOT NULL CHECK (event_id >= 0),"
	"  acked_by BIGINT CHECK (acked_by > 0),"
	"  acked_at BIGINT,"
	"  CHECK ((acked_by IS NULL) = (acked_at IS NULL))"
	");"
	"CREATE INDEX alerts_home ON alerts(home);"
	"CREATE INDEX alerts_open ON alerts(home) WHERE acked_by IS NULL;"
	"CREATE INDEX grants_holder ON grants(home, holder);",
	},

	/* 3: MQTT: whether a hub's last state said online, and each hub
	 * event's chain hash (store_sqlite.c says why). */
	{
	"ALTER TABLE hubs ADD COLUMN online BOOLEAN NOT NULL DEFAULT false;"
	"ALTER TABLE events ADD COLUMN hash BYTEA CHECK (hash IS NULL OR length(hash) = 32);"
	"CREATE INDEX hubs_online ON hubs(id) WHERE online;",
	},

	/* 4: cameras and clips (store_sqlite.c says why). */
	{
	"CREATE TABLE cameras ("
	"  id BIGSERIAL PRIMARY KEY,"
	"  public_id TEXT NOT NULL UNIQUE CHECK (length(public_id) BETWEEN 1 AND 64),"
	"  home BIGINT NOT NULL REFERENCES homes(id) ON DELETE CASCADE,"
	"  pk BYTEA NOT NULL UNIQUE CHECK (length(pk) = 32),"
	"  name TEXT NOT NULL CHECK (length(name) <= 100),"
	"  added_by BIGINT NOT NULL,"
	"  created_at BIGINT NOT NULL"
	");"
	"CREATE INDEX cameras_home ON cameras(home);"
	"CREATE TABLE clips ("
	"  id BIGSERIAL PRIMARY KEY,"
	"  clip BYTEA NOT NULL CHECK (length(clip) = 16),"
	"  home BIGINT NOT NULL REFERENCES homes(id) ON DELETE CASCADE,"
	"  camera TEXT NOT NULL CHECK (length(camera) BETWEEN 1 AND 64),"
	"  camera_pk BYTEA NOT NULL CHECK (length(camera_pk) = 32),"
	"  segments BIGINT NOT NULL CHECK (segments >= 0),"
	"  bytes BIGINT NOT NULL CHECK (bytes >= 0),"
	"  manifest BYTEA CHECK (manifest IS NULL OR length(manifest) BETWEEN 1 AND 65536),"
	"  declared BIGINT NOT NULL CHECK (declared >= 0),"
	"  start_ms BIGINT NOT NULL,"
	"  end_ms BIGINT NOT NULL,"
	"  created_at BIGINT NOT NULL,"
	"  updated_at BIGINT NOT NULL,"
	"  UNIQUE (home, clip)"
	");"
	"CREATE INDEX clips_home ON clips(home, id);",
	},

	/* 5: the web app: a hub's last state, an owner key's endorsement
	 * (store_sqlite.c says why). */
	{
	"ALTER TABLE hubs ADD COLUMN state TEXT CHECK (state IS NULL OR length(state) BETWEEN 2 AND 256);"
	"ALTER TABLE owner_keys ADD COLUMN statement BYTEA CHECK (statement IS NULL OR length(statement) BETWEEN 1 AND 512);"
	"ALTER TABLE clips ADD COLUMN keyrec BYTEA CHECK (keyrec IS NULL OR length(keyrec) BETWEEN 1 AND 8192);",
	},

	/* 6: the owner-signed camera statement (store_sqlite.c says why). */
	{
	"ALTER TABLE cameras ADD COLUMN statement BYTEA CHECK (statement IS NULL OR length(statement) BETWEEN 1 AND 512);",
	},

	/* 7: a home's events and alerts are read in id order from a cursor
	 * (WHERE home = ? AND id > ? ORDER BY id): an index on (home, id)
	 * serves that without a sort. SQLite's index on home held the rowid
	 * already; PostgreSQL's did not. */
	{
	"CREATE INDEX events_home_id ON events(home, id);"
	"DROP INDEX events_home;"
	"CREATE INDEX alerts_home_id ON alerts(home, id);"
	"DROP INDEX alerts_home;"
	"CREATE INDEX alerts_open_id ON alerts(home, id) WHERE acked_by IS NULL;"
	"DROP INDEX alerts_open;",
	},

	/* 8: whether a key revocation of a home names a key, asked by every
	 * camera upload: one search of (home, kind, target) (store_sqlite.c
	 * says why). */
	{
	"CREATE INDEX revocations_target ON revocations(home, kind, target);",
	},

	/* 9: the hubs' checkpoints, keyed as their events (store_sqlite.c
	 * says why). */
	{
	"CREATE TABLE hub_checkpoints ("
	"  home BIGINT NOT NULL REFERENCES homes(id) ON DELETE CASCADE,"
	"  source TEXT NOT NULL CHECK (length(source) BETWEEN 1 AND 80),"
	"  seq BIGINT NOT NULL CHECK (seq > 0),"
	"  sig BYTEA NOT NULL CHECK (length(sig) = 64),"
	"  PRIMARY KEY (home, source, seq)"
	");",
	},

	/* 10: removed hubs, the copy a removal keeps for the chain route
	 * (store_sqlite.c says why). */
	{
	"CREATE TABLE hubs_removed ("
	"  home BIGINT NOT NULL REFERENCES homes(id) ON DELETE CASCADE,"
	"  public_id TEXT NOT NULL CHECK (length(public_id) BETWEEN 1 AND 64),"
	"  pk BYTEA NOT NULL CHECK (length(pk) = 32),"
	"  label TEXT NOT NULL,"
	"  pairing BYTEA NOT NULL CHECK (length(pairing) BETWEEN 1 AND 512),"
	"  paired_by BIGINT NOT NULL,"
	"  created_at BIGINT NOT NULL,"
	"  last_seen BIGINT NOT NULL,"
	"  removed_at BIGINT NOT NULL,"
	"  PRIMARY KEY (home, public_id)"
	");",
	},

	/* 11: a hub's own word on its home (store_sqlite.c says why). */
	{
	"ALTER TABLE hubs ADD COLUMN confirmed BOOLEAN NOT NULL DEFAULT false;",
	},
};

#define SCHEMA_VERSION ((int)(sizeof(migrations) / sizeof(migrations[0])))

enum sid {
	S_ACCOUNT_INSERT,
	S_ACCOUNT_BY_EMAIL,
	S_ACCOUNT_BY_ID,
	S_SESSION_INSERT,
	S_SESSION_LOOKUP,
	S_SESSION_DELETE,
	S_SESSION_DELETE_ALL,
	S_HOME_INSERT,
	S_HOME_GET,
	S_HOME_BY_ID,
	S_HOME_LIST,
	S_HOME_UPDATE,
	S_HOME_DELETE,
	S_HOME_ROWID,
	S_HOME_LOCK,
	S_MEMBER_ADD,
	S_MEMBER_LIST,
	S_MEMBER_REMOVE,
	S_MEMBER_ROLE,
	S_KEY_INSERT,
	S_KEY_LIST,
	S_GRANT_INSERT,
	S_GRANT_LIST,
	S_GRANT_BY_HOLDER,
	S_REV_INSERT,
	S_REV_LIST,
	S_AUDIT_LAST,
	S_AUDIT_INSERT,
	S_AUDIT_ALL,
	S_CARRIER_INSERT,
	S_CARRIER_GET,
	S_CARRIER_LIST,
	S_CARRIER_ROWID,
	S_COURIER_INSERT,
	S_COURIER_GET,
	S_COURIER_LIST,
	S_COURIER_DEACTIVATE,
	S_DEVICE_INSERT,
	S_DEVICE_LIST,
	S_DEVICE_DELETE,
	S_DEVICE_BY_PK,
	S_HUB_INSERT,
	S_HUB_LIST,
	S_HUB_DELETE,
	S_HUB_BY_ID,
	S_HUB_GET,
	S_HUB_HOME_OF,
	S_HUB_SEEN_FLIP,
	S_HUB_SEEN,
	S_HUB_STATE,
	S_HUB_CONFIRM_FLIP,
	S_HUB_CONFIRM_SAME,
	S_HUB_HOLD,
	S_HUB_ONLINE,
	S_HUB_EVENT_LAST,
	S_HUB_EVENT_HASH,
	S_REV_NEWEST,
	S_REV_KEY_FIND,
	S_DELIVERY_INSERT,
	S_DELIVERY_GET,
	S_DELIVERY_ROWID,
	S_DELIVERY_UPDATE,
	S_DELIVERY_LIST_ALL,
	S_DELIVERY_LIST_HOME,
	S_DELIVERY_LIST_CARRIER,
	S_DELIVERY_LIST_COURIER,
	S_DELIVERY_LIST_MEMBER,
	S_DELIVERY_LIST_ADMIN,
	S_STEP_LIST,
	S_EVENT_INSERT,
	S_EVENT_LIST,
	S_EVENT_BACK_ID,
	S_ALERT_INSERT,
	S_ALERT_LIST,
	S_ALERT_LIST_OPEN,
	S_ALERT_ACK,
	S_ALERT_GET,
	S_CAMERA_INSERT,
	S_CAMERA_LIST,
	S_CAMERA_DELETE,
	S_CAMERA_BY_ID,
	S_CLIP_GET,
	S_CLIP_LIST,
	S_CLIP_PUT,
	S_CLIP_MANIFEST,
	S_CLIP_USAGE,
	S_CLIP_KEYREC_PUT,
	S_CLIP_KEYREC,
	S_HUB_HOME,
	S_HUB_CP_ADD,
	S_HUB_CP_GET,
	S_HUB_CP_RANGE,
	S_HUB_CP_NEXT,
	S_HUB_EVENT_RANGE,
	S_COUNT_
};

#define HOME_COLS                                                                                 \
	"h.id, h.public_id, h.name, h.tz, h.notes, h.policy, h.created_at, h.updated_at,"         \
	" h.has_location, h.lat, h.lon"
#define CARRIER_COLS                                                                              \
	"c.id, c.public_id, c.name, c.pk, c.hosted, c.sealed_seed, c.admin, c.created_at"
#define COURIER_FROM                                                                              \
	"SELECT k.account, c.public_id, k.name, k.level, k.attestation, k.active, k.created_at,"  \
	" k.updated_at FROM couriers k JOIN carriers c ON c.id = k.carrier"
#define DEVICE_COLS "id, account, pk, label, created_at"
#define GRANT_FROM                                                                                \
	"SELECT g.id, h.public_id, g.chain, g.cti, g.holder, g.n_links, g.purpose, g.exp,"        \
	" g.label, g.created_by, g.created_at FROM grants g JOIN homes h ON h.id = g.home"
#define DELIVERY_FROM                                                                             \
	"SELECT d.id, d.public_id, h.public_id, c.public_id, d.package_id, d.courier, d.device,"  \
	" d.state, d.approval, d.in_home, d.window_start, d.window_end, d.token_id, d.reason,"    \
	" d.created_at, d.updated_at"                                                             \
	" FROM deliveries d JOIN homes h ON h.id = d.home JOIN carriers c ON c.id = d.carrier"
/*
 * The delivery list: $1 after, $2 home, $3 carrier, $4 courier, $5 member,
 * $6 carrier admin, $7 state, $8 limit; an unset filter (NULL or 0) matches
 * everything. As in store_sqlite.c, each statement leads with one set
 * filter as a plain condition an index serves (a generic plan of
 * "$2 IS NULL OR ..." cannot use one), then repeats all the filters.
 */
#define DELIVERY_FILTER                                                                           \
	" d.id > $1 AND ($2 IS NULL OR h.public_id = $2) AND ($3 IS NULL OR c.public_id = $3)"    \
	" AND ($4 = 0 OR d.courier = $4)"                                                         \
	" AND ($5 = 0 OR EXISTS (SELECT 1 FROM home_members m"                                    \
	" WHERE m.home = d.home AND m.account = $5))"                                             \
	" AND ($6 = 0 OR c.admin = $6) AND ($7 = 0 OR d.state = $7)"                              \
	" ORDER BY d.id LIMIT $8"
#define DELIVERY_TYPES "ittiiiii"
#define EVENT_FROM                                                                                \
	"SELECT e.id, h.public_id, e.at, e.source, e.type, e.data, e.hub_seq, e.hash"             \
	" FROM events e JOIN homes h ON h.id = e.home"
#define HUB_FROM                                                                                  \
	"SELECT b.id, b.public_id, h.public_id, b.pk, b.label, b.pairing, b.paired_by,"           \
	" b.created_at, b.last_seen, b.online, b.state, b.confirmed"                               \
	" FROM hubs b JOIN homes h ON h.id = b.home"
#define ALERT_FROM                                                                                \
	"SELECT a.id, h.public_id, a.at, a.type, a.data, a.event_id, coalesce(a.acked_by, 0),"    \
	" coalesce(a.acked_at, 0) FROM alerts a JOIN homes h ON h.id = a.home"
#define CAMERA_FROM                                                                               \
	"SELECT k.id, k.public_id, h.public_id, k.pk, k.name, k.added_by, k.created_at,"          \
	" k.statement FROM cameras k JOIN homes h ON h.id = k.home"
#define CLIP_FROM                                                                                 \
	"SELECT c.id, c.clip, h.public_id, c.camera, c.camera_pk, c.segments, c.bytes,"           \
	" coalesce(length(c.manifest), 0)::bigint, c.declared, c.start_ms, c.end_ms,"             \
	" c.created_at, c.updated_at, coalesce(length(c.keyrec), 0)::bigint"                      \
	" FROM clips c JOIN homes h ON h.id = c.home"

/* A statement and the types of its parameters, one letter each: i int8,
 * t text, b bytea, f float8, o boolean. */
struct stmt {
	const char *sql;
	const char *types;
};

static const struct stmt stmts[S_COUNT_] = {
	[S_ACCOUNT_INSERT] = {"INSERT INTO accounts (email, name, role, pwhash, created_at)"
			      " VALUES ($1, $2, $3, $4, $5) RETURNING id", "ttiti"},
	[S_ACCOUNT_BY_EMAIL] = {"SELECT id, email, name, role, pwhash, created_at FROM accounts"
				" WHERE email = lower($1 COLLATE \"C\")", "t"},
	[S_ACCOUNT_BY_ID] = {"SELECT id, email, name, role, pwhash, created_at FROM accounts"
			     " WHERE id = $1", "i"},
	[S_SESSION_INSERT] = {"INSERT INTO sessions (token_hash, account_id, expires_at, created_at)"
			      " VALUES ($1, $2, $3, $4)", "biii"},
	[S_SESSION_LOOKUP] = {"SELECT account_id, expires_at FROM sessions WHERE token_hash = $1"
			      " AND expires_at > $2", "bi"},
	[S_SESSION_DELETE] = {"DELETE FROM sessions WHERE token_hash = $1", "b"},
	[S_SESSION_DELETE_ALL] = {"DELETE FROM sessions WHERE account_id = $1", "i"},
	/* The home and its owner's membership in one statement (one round
	 * trip): an unknown owner fails it whole (foreign key). */
	[S_HOME_INSERT] = {"WITH h AS (INSERT INTO homes (public_id, name, tz, notes, policy,"
			   " created_at, updated_at, has_location, lat, lon)"
			   " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id)"
			   " INSERT INTO home_members (home, account, role)"
			   " SELECT id, $11, 1 FROM h RETURNING home", "tttttiioffi"},
	[S_HOME_GET] = {"SELECT " HOME_COLS ", m.role FROM homes h"
			" JOIN home_members m ON m.home = h.id"
			" WHERE h.public_id = $1 AND m.account = $2", "ti"},
	[S_HOME_BY_ID] = {"SELECT " HOME_COLS " FROM homes h WHERE h.public_id = $1", "t"},
	[S_HOME_LIST] = {"SELECT " HOME_COLS " FROM homes h"
			 " JOIN home_members m ON m.home = h.id"
			 " WHERE m.account = $1 ORDER BY h.id LIMIT $2", "ii"},
	[S_HOME_UPDATE] = {"UPDATE homes SET name = $2, tz = $3, notes = $4, policy = $5,"
			   " updated_at = $6, has_location = $7, lat = $8, lon = $9"
			   " WHERE public_id = $1", "tttttioff"},
	[S_HOME_DELETE] = {"DELETE FROM homes WHERE public_id = $1", "t"},
	[S_HOME_ROWID] = {"SELECT id FROM homes WHERE public_id = $1", "t"},
	/* Serialises, per home, what is numbered per home (revocation versions)
	 * or read with an id cursor (events, alerts), until commit. NO KEY:
	 * inserts of other rows that refer to the home are not held up. */
	[S_HOME_LOCK] = {"SELECT id FROM homes WHERE public_id = $1 FOR NO KEY UPDATE", "t"},
	[S_MEMBER_ADD] = {"INSERT INTO home_members (home, account, role)"
			  " SELECT id, $2, $3 FROM homes WHERE public_id = $1", "tii"},
	[S_MEMBER_LIST] = {"SELECT m.account, a.email, a.name, m.role FROM home_members m"
			   " JOIN homes h ON h.id = m.home JOIN accounts a ON a.id = m.account"
			   " WHERE h.public_id = $1 ORDER BY m.account LIMIT $2", "ti"},
	/* $1: the home's row, locked by S_HOME_LOCK in an earlier statement,
	 * so two removals of a home's owners cannot both see the other one
	 * and leave the home without an owner. */
	[S_MEMBER_REMOVE] = {"DELETE FROM home_members WHERE home = $1 AND account = $2"
			     " AND (role <> 1 OR (SELECT count(*) FROM home_members o"
			     " WHERE o.home = $1 AND o.role = 1) > 1) RETURNING role", "ii"},
	[S_MEMBER_ROLE] = {"SELECT role FROM home_members WHERE home = $1 AND account = $2",
			   "ii"},
	[S_KEY_INSERT] = {"INSERT INTO owner_keys (home, pk, label, added_by, created_at, statement)"
			  " SELECT id, $2, $3, $4, $5, $6 FROM homes WHERE public_id = $1 RETURNING id",
			  "tbtiib"},
	[S_KEY_LIST] = {"SELECT k.id, h.public_id, k.pk, k.label, k.added_by, k.created_at,"
			" k.statement"
			" FROM owner_keys k JOIN homes h ON h.id = k.home"
			" WHERE h.public_id = $1 ORDER BY k.id LIMIT $2", "ti"},
	[S_GRANT_INSERT] = {"INSERT INTO grants (home, chain, cti, holder, n_links, purpose, exp,"
			    " label, created_by, created_at)"
			    " SELECT id, $2, $3, $4, $5, $6, $7, $8, $9, $10 FROM homes"
			    " WHERE public_id = $1 RETURNING id", "tbbbiiitii"},
	[S_GRANT_LIST] = {GRANT_FROM " WHERE h.public_id = $1 AND g.id > $2 ORDER BY g.id LIMIT $3",
			  "tii"},
	[S_GRANT_BY_HOLDER] = {GRANT_FROM " WHERE h.public_id = $1 AND g.holder = $2"
			       " ORDER BY g.id DESC LIMIT $3", "tbi"},
	/* $1 is the home's row, locked by S_HOME_LOCK in an earlier statement
	 * (so this one's snapshot sees every version committed before). */
	[S_REV_INSERT] = {"INSERT INTO revocations (home, version, envelope, kind, target,"
			  " created_by, created_at)"
			  " SELECT $1, 1 + coalesce(max(r.version), 0), $2, $3, $4, $5, $6"
			  " FROM revocations r WHERE r.home = $1 RETURNING version", "ibibii"},
	[S_REV_LIST] = {"SELECT r.version, h.public_id, r.envelope, r.kind, r.target,"
			" r.created_by, r.created_at"
			" FROM revocations r JOIN homes h ON h.id = r.home"
			" WHERE h.public_id = $1 AND r.version > $2 ORDER BY r.version LIMIT $3",
			"tii"},
	[S_AUDIT_LAST] = {"SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1", ""},
	[S_AUDIT_INSERT] = {"INSERT INTO audit (seq, at, actor, action, target, detail, prev, hash)"
			    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)", "iiitttbb"},
	[S_AUDIT_ALL] = {"SELECT seq, at, actor, action, target, detail, prev, hash FROM audit"
			 " ORDER BY seq", ""},
	[S_CARRIER_INSERT] = {"INSERT INTO carriers (public_id, name, pk, hosted, sealed_seed,"
			      " admin, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
			      "ttbobii"},
	[S_CARRIER_GET] = {"SELECT " CARRIER_COLS " FROM carriers c WHERE c.public_id = $1", "t"},
	[S_CARRIER_LIST] = {"SELECT " CARRIER_COLS " FROM carriers c WHERE c.id > $1"
			    " ORDER BY c.id LIMIT $2", "ii"},
	[S_CARRIER_ROWID] = {"SELECT id FROM carriers WHERE public_id = $1", "t"},
	[S_COURIER_INSERT] = {"INSERT INTO couriers (account, carrier, name, level, attestation,"
			      " active, created_at, updated_at)"
			      " SELECT $1, id, $3, $4, $5, $6, $7, $8 FROM carriers"
			      " WHERE public_id = $2", "ittiboii"},
	[S_COURIER_GET] = {COURIER_FROM " WHERE k.account = $1", "i"},
	[S_COURIER_LIST] = {COURIER_FROM " WHERE c.public_id = $1 AND k.account > $2"
			    " ORDER BY k.account LIMIT $3", "tii"},
	[S_COURIER_DEACTIVATE] = {"UPDATE couriers SET active = false, updated_at = $3"
				  " WHERE account = $2"
				  " AND carrier = (SELECT id FROM carriers WHERE public_id = $1)",
				  "tii"},
	[S_DEVICE_INSERT] = {"INSERT INTO devices (account, pk, label, created_at)"
			     " VALUES ($1, $2, $3, $4) RETURNING id", "ibti"},
	[S_DEVICE_LIST] = {"SELECT " DEVICE_COLS " FROM devices WHERE account = $1"
			   " ORDER BY id LIMIT $2", "ii"},
	[S_DEVICE_DELETE] = {"DELETE FROM devices WHERE id = $2 AND account = $1", "ii"},
	[S_DEVICE_BY_PK] = {"SELECT " DEVICE_COLS " FROM devices WHERE pk = $2 AND account = $1",
			    "ib"},
	[S_HUB_INSERT] = {"INSERT INTO hubs (public_id, home, pk, label, pairing, paired_by,"
			  " created_at, last_seen)"
			  " SELECT $1, id, $3, $4, $5, $6, $7, $8 FROM homes WHERE public_id = $2"
			  " RETURNING id", "ttbtbiii"},
	[S_HUB_LIST] = {HUB_FROM " WHERE h.public_id = $1 ORDER BY b.id LIMIT $2", "ti"},
	/* Schema 10: the row leaves hubs and its copy goes to hubs_removed
	 * in one statement (a second removal from the home replaces the
	 * copy); no row changed: no such hub in that home. Of two concurrent
	 * removals the second waits for the row lock, then deletes nothing.
	 * $4: 0, any row; else only that row while unconfirmed
	 * (pt_store_hub_delete_unconfirmed): READ COMMITTED re-checks it on
	 * the row as a concurrent confirmation left it. */
	[S_HUB_DELETE] = {"WITH d AS (DELETE FROM hubs WHERE public_id = $2"
			  " AND home = (SELECT id FROM homes WHERE public_id = $1)"
			  " AND ($4 = 0 OR (id = $4 AND NOT confirmed))"
			  " RETURNING home, public_id, pk, label, pairing, paired_by, created_at,"
			  " last_seen)"
			  " INSERT INTO hubs_removed (home, public_id, pk, label, pairing, paired_by,"
			  " created_at, last_seen, removed_at)"
			  " SELECT home, public_id, pk, label, pairing, paired_by, created_at,"
			  " last_seen, $3 FROM d"
			  " ON CONFLICT (home, public_id) DO UPDATE SET pk = excluded.pk,"
			  " label = excluded.label, pairing = excluded.pairing,"
			  " paired_by = excluded.paired_by, created_at = excluded.created_at,"
			  " last_seen = excluded.last_seen, removed_at = excluded.removed_at", "ttii"},
	/* Paired in the home (removed_at 0) first, else removed from it. */
	[S_HUB_GET] = {"SELECT b.id, b.public_id, h.public_id, b.pk, b.label, b.pairing, b.paired_by,"
		       " b.created_at, b.last_seen, b.online, b.state, b.confirmed,"
		       " 0::bigint AS removed_at"
		       " FROM hubs b JOIN homes h ON h.id = b.home"
		       " WHERE h.public_id = $1 AND b.public_id = $2"
		       " UNION ALL"
		       " SELECT 0::bigint, r.public_id, h.public_id, r.pk, r.label, r.pairing,"
		       " r.paired_by, r.created_at, r.last_seen, false, NULL::text, false,"
		       " r.removed_at"
		       " FROM hubs_removed r JOIN homes h ON h.id = r.home"
		       " WHERE h.public_id = $1 AND r.public_id = $2"
		       " ORDER BY 13 LIMIT 1", "tt"},
	/* The home (rowid) of a hub paired in it or removed from it. */
	[S_HUB_HOME_OF] = {"SELECT h.id FROM homes h WHERE h.public_id = $1"
			   " AND (EXISTS (SELECT 1 FROM hubs b WHERE b.home = h.id"
			   " AND b.public_id = $2) OR EXISTS (SELECT 1 FROM hubs_removed r"
			   " WHERE r.home = h.id AND r.public_id = $2))", "tt"},
	[S_HUB_BY_ID] = {HUB_FROM " WHERE b.public_id = $1", "t"},
	/* A compare-and-set on the flag: of two concurrent calls, the second
	 * waits for the first's row lock, then finds the flag already set
	 * (READ COMMITTED re-checks the condition) and changes nothing. */
	[S_HUB_SEEN_FLIP] = {"UPDATE hubs SET online = $2,"
			     " last_seen = CASE WHEN $2 AND $3 > last_seen THEN $3 ELSE last_seen END"
			     " WHERE public_id = $1 AND online <> $2", "toi"},
	[S_HUB_SEEN] = {"UPDATE hubs SET"
			" last_seen = CASE WHEN $2 AND $3 > last_seen THEN $3 ELSE last_seen END"
			" WHERE public_id = $1", "toi"},
	[S_HUB_STATE] = {"UPDATE hubs SET state = $2 WHERE public_id = $1", "tt"},
	/* Schema 11: a compare-and-set as S_HUB_SEEN_FLIP, then the same
	 * value, to tell "no such hub in the home" apart. */
	[S_HUB_CONFIRM_FLIP] = {"UPDATE hubs SET confirmed = $3 WHERE public_id = $2"
				" AND home = (SELECT id FROM homes WHERE public_id = $1)"
				" AND confirmed <> $3", "tto"},
	[S_HUB_CONFIRM_SAME] = {"UPDATE hubs SET confirmed = $3 WHERE public_id = $2"
				" AND home = (SELECT id FROM homes WHERE public_id = $1)", "tto"},
	/* pt_store_hub_hold: 1 confirmed, 0 not; the row stays locked until
	 * the transaction ends (a removal, a replacement or an un-confirmation
	 * waits; if one got there first, the row as it committed it is
	 * re-checked, or is gone). */
	[S_HUB_HOLD] = {"SELECT CASE WHEN confirmed THEN 1 ELSE 0 END::bigint FROM hubs"
			" WHERE public_id = $2 AND home = (SELECT id FROM homes WHERE public_id = $1)"
			" FOR NO KEY UPDATE", "tt"},
	[S_HUB_ONLINE] = {HUB_FROM " WHERE b.online AND b.id > $1 ORDER BY b.id LIMIT $2", "ii"},
	/* No row: no such hub; a row of NULLs: no event stored yet. */
	[S_HUB_EVENT_LAST] = {"SELECT e.hub_seq, e.hash FROM hubs b LEFT JOIN LATERAL"
			      " (SELECT hub_seq, hash FROM events WHERE home = b.home AND source = $2"
			      " AND hub_seq > 0 ORDER BY hub_seq DESC LIMIT 1) e ON true"
			      " WHERE b.public_id = $1", "tt"},
	[S_HUB_EVENT_HASH] = {"SELECT e.id, e.hash FROM hubs b LEFT JOIN events e"
			      " ON e.home = b.home AND e.source = $2 AND e.hub_seq = $3"
			      " AND e.hub_seq > 0 WHERE b.public_id = $1", "tti"},
	[S_REV_NEWEST] = {"SELECT coalesce((SELECT max(r.version) FROM revocations r"
			  " WHERE r.home = h.id), 0) FROM homes h WHERE h.public_id = $1", "t"},
	/* No row: no such home. The subquery is one search of
	 * revocations_target (home, kind, target). */
	[S_REV_KEY_FIND] = {"SELECT EXISTS (SELECT 1 FROM revocations r WHERE r.home = h.id"
			    " AND r.kind = $2 AND r.target = $3) FROM homes h WHERE h.public_id = $1",
			    "tib"},
	/* The delivery and its first step ($16: the actor): no row if the
	 * home or the carrier does not exist. */
	[S_DELIVERY_INSERT] = {"WITH d AS (INSERT INTO deliveries (public_id, home, carrier,"
			       " package_id, courier, device, state, approval, in_home, window_start,"
			       " window_end, token_id, reason, created_at, updated_at)"
			       " SELECT $1, h.id, c.id, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13,"
			       " $14, $15 FROM homes h, carriers c"
			       " WHERE h.public_id = $2 AND c.public_id = $3 RETURNING id)"
			       " INSERT INTO delivery_steps (delivery, state, at, actor)"
			       " SELECT id, $7, $14, $16 FROM d RETURNING delivery",
			       "ttttiiiioiibtiii"},
	[S_DELIVERY_GET] = {DELIVERY_FROM " WHERE d.public_id = $1", "t"},
	[S_DELIVERY_ROWID] = {"SELECT id FROM deliveries WHERE public_id = $1", "t"},
	/* Compare-and-set: the row changes only if its state is still $2. A
	 * concurrent update of the row waits for the first to commit, then
	 * re-checks the condition against the new row (READ COMMITTED). A
	 * change of state records a step ($10: the actor) in the same
	 * statement; no row: nothing changed. */
	[S_DELIVERY_UPDATE] = {"WITH u AS (UPDATE deliveries SET state = $3, approval = $4,"
			       " courier = $5, device = $6, token_id = $7, reason = $8,"
			       " updated_at = $9 WHERE public_id = $1 AND state = $2 RETURNING id),"
			       " s AS (INSERT INTO delivery_steps (delivery, state, at, actor)"
			       " SELECT id, $3, $9, $10 FROM u WHERE $3 <> $2)"
			       " SELECT id FROM u", "tiiiiibtii"},
	[S_DELIVERY_LIST_ALL] = {DELIVERY_FROM " WHERE" DELIVERY_FILTER, DELIVERY_TYPES},
	[S_DELIVERY_LIST_HOME] = {DELIVERY_FROM
	" WHERE d.home = (SELECT id FROM homes WHERE public_id = $2) AND" DELIVERY_FILTER,
	DELIVERY_TYPES},
	[S_DELIVERY_LIST_CARRIER] = {DELIVERY_FROM
	" WHERE d.carrier = (SELECT id FROM carriers WHERE public_id = $3) AND" DELIVERY_FILTER,
	DELIVERY_TYPES},
	[S_DELIVERY_LIST_COURIER] = {DELIVERY_FROM " WHERE d.courier = $4 AND" DELIVERY_FILTER,
				     DELIVERY_TYPES},
	[S_DELIVERY_LIST_MEMBER] = {DELIVERY_FROM
	" WHERE d.home IN (SELECT home FROM home_members WHERE account = $5) AND" DELIVERY_FILTER,
	DELIVERY_TYPES},
	[S_DELIVERY_LIST_ADMIN] = {DELIVERY_FROM
	" WHERE d.carrier IN (SELECT id FROM carriers WHERE admin = $6) AND" DELIVERY_FILTER,
	DELIVERY_TYPES},
	[S_STEP_LIST] = {"SELECT s.state, s.at, s.actor FROM delivery_steps s"
			 " JOIN deliveries d ON d.id = s.delivery"
			 " WHERE d.public_id = $1 ORDER BY s.id LIMIT $2", "ti"},
	/* $1: the home's row, locked by S_HOME_LOCK. A hub's resend meets
	 * events_hub_seq and inserts nothing (no error to roll back). */
	[S_EVENT_INSERT] = {"INSERT INTO events (home, at, source, type, data, hub_seq, hash)"
			    " VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING RETURNING id",
			    "iittti" "b"},
	[S_EVENT_LIST] = {EVENT_FROM " WHERE h.public_id = $1 AND e.id > $2 ORDER BY e.id LIMIT $3",
			  "tii"},
	[S_EVENT_BACK_ID] = {"SELECT id FROM events WHERE home = (SELECT id FROM homes WHERE public_id = $1)"
			     " ORDER BY id DESC LIMIT 1 OFFSET $2", "ti"},
	/* $1: the home's row, locked. The event an alert names must be of the
	 * same home. */
	[S_ALERT_INSERT] = {"INSERT INTO alerts (home, at, type, data, event_id)"
			    " SELECT $1, $2, $3, $4, $5"
			    " WHERE $5 = 0 OR EXISTS (SELECT 1 FROM events e"
			    " WHERE e.id = $5 AND e.home = $1) RETURNING id", "iitti"},
	[S_ALERT_LIST] = {ALERT_FROM " WHERE h.public_id = $1 AND a.id > $2 ORDER BY a.id LIMIT $3",
			  "tii"},
	[S_ALERT_LIST_OPEN] = {ALERT_FROM " WHERE h.public_id = $1 AND a.id > $2"
			       " AND a.acked_by IS NULL ORDER BY a.id LIMIT $3", "tii"},
	/* First ack wins: an acked row no longer matches (a concurrent ack
	 * waits for the first, then finds acked_by set). */
	[S_ALERT_ACK] = {"UPDATE alerts SET acked_by = $3, acked_at = $4"
			 " WHERE id = $2 AND acked_by IS NULL"
			 " AND home = (SELECT id FROM homes WHERE public_id = $1)", "tiii"},
	[S_ALERT_GET] = {ALERT_FROM " WHERE a.id = $2 AND h.public_id = $1", "ti"},
	[S_CAMERA_INSERT] = {"INSERT INTO cameras (public_id, home, pk, name, added_by, created_at,"
			     " statement) SELECT $1, id, $3, $4, $5, $6, $7 FROM homes"
			     " WHERE public_id = $2 RETURNING id", "ttbtiib"},
	[S_CAMERA_LIST] = {CAMERA_FROM " WHERE h.public_id = $1 ORDER BY k.id LIMIT $2", "ti"},
	[S_CAMERA_DELETE] = {"DELETE FROM cameras WHERE public_id = $2"
			     " AND home = (SELECT id FROM homes WHERE public_id = $1)", "tt"},
	[S_CAMERA_BY_ID] = {CAMERA_FROM " WHERE k.public_id = $1", "t"},
	[S_CLIP_GET] = {CLIP_FROM " WHERE c.clip = $1 AND h.public_id = $2", "bt"},
	[S_CLIP_LIST] = {CLIP_FROM " WHERE h.public_id = $1 AND c.id > $2 ORDER BY c.id LIMIT $3",
			 "tii"},
	/* Create the clip or add to it; a NULL manifest ($7) leaves the
	 * stored one and its facts alone. Concurrent puts of one clip wait
	 * on its row and then add. */
	[S_CLIP_PUT] = {"INSERT INTO clips (clip, home, camera, camera_pk, segments, bytes, manifest,"
			" declared, start_ms, end_ms, created_at, updated_at)"
			" SELECT $1, id, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11 FROM homes"
			" WHERE public_id = $2"
			" ON CONFLICT (home, clip) DO UPDATE SET segments = clips.segments + EXCLUDED.segments,"
			" bytes = clips.bytes + EXCLUDED.bytes,"
			" manifest = coalesce(EXCLUDED.manifest, clips.manifest),"
			" declared = CASE WHEN EXCLUDED.manifest IS NULL THEN clips.declared"
			" ELSE EXCLUDED.declared END,"
			" start_ms = CASE WHEN EXCLUDED.manifest IS NULL THEN clips.start_ms"
			" ELSE EXCLUDED.start_ms END,"
			" end_ms = CASE WHEN EXCLUDED.manifest IS NULL THEN clips.end_ms"
			" ELSE EXCLUDED.end_ms END,"
			" updated_at = EXCLUDED.updated_at RETURNING id", "bttbiibiiii"},
	[S_CLIP_MANIFEST] = {"SELECT manifest FROM clips WHERE clip = $1 AND manifest IS NOT NULL"
			     " AND home = (SELECT id FROM homes WHERE public_id = $2)", "bt"},
	/* Create the clip or set its key record; a stored one stays. */
	[S_CLIP_KEYREC_PUT] = {"INSERT INTO clips (clip, home, camera, camera_pk, segments, bytes,"
			       " manifest, declared, start_ms, end_ms, created_at, updated_at, keyrec)"
			       " SELECT $1, id, $3, $4, 0, 0, NULL, 0, 0, 0, $5, $5, $6 FROM homes"
			       " WHERE public_id = $2"
			       " ON CONFLICT (home, clip) DO UPDATE SET"
			       " keyrec = coalesce(clips.keyrec, EXCLUDED.keyrec),"
			       " updated_at = EXCLUDED.updated_at RETURNING id", "bttbib"},
	[S_CLIP_KEYREC] = {"SELECT keyrec FROM clips WHERE clip = $1 AND keyrec IS NOT NULL"
			   " AND home = (SELECT id FROM homes WHERE public_id = $2)", "bt"},
	[S_CLIP_USAGE] = {"SELECT coalesce(sum(c.bytes + coalesce(length(c.manifest), 0)"
			  " + coalesce(length(c.keyrec), 0) + 256), 0)"
			  "::bigint FROM clips c"
			  " JOIN homes h ON h.id = c.home WHERE h.public_id = $1", "t"},
	[S_HUB_HOME] = {"SELECT home FROM hubs WHERE public_id = $1", "t"},
	/* $1 the hub's home (rowid), $2 its source "hub:<id>". A resend
	 * inserts nothing (a concurrent one waits for the first to commit);
	 * S_HUB_CP_GET then says whether it is the same. */
	[S_HUB_CP_ADD] = {"INSERT INTO hub_checkpoints (home, source, seq, sig)"
			  " VALUES ($1, $2, $3, $4) ON CONFLICT (home, source, seq) DO NOTHING",
			  "itib"},
	[S_HUB_CP_GET] = {"SELECT seq, sig FROM hub_checkpoints WHERE home = $1 AND source = $2"
			  " AND seq = $3", "iti"},
	/* The last $5 of the range: newest first, the caller reverses them. */
	[S_HUB_CP_RANGE] = {"SELECT seq, sig FROM hub_checkpoints WHERE home = $1 AND source = $2"
			    " AND seq BETWEEN $3 AND $4 ORDER BY seq DESC LIMIT $5", "itiii"},
	[S_HUB_CP_NEXT] = {"SELECT seq, sig FROM hub_checkpoints WHERE home = $1 AND source = $2"
			   " AND seq BETWEEN $3 AND $4 ORDER BY seq LIMIT $5", "itiii"},
	/* "hub_seq > 0" lets the partial index events_hub_seq serve it. */
	[S_HUB_EVENT_RANGE] = {EVENT_FROM " WHERE e.home = $1 AND e.source = $2 AND e.hub_seq > 0"
			       " AND e.hub_seq BETWEEN $3 AND $4 ORDER BY e.hub_seq LIMIT $5",
			       "itiii"},
};

static const struct pt_store_ops pg_ops;

struct pg_store;

struct pg_conn {
	struct pg_store *st;		/* the store it belongs to */
	PGconn *pq;			/* NULL until first needed */
	bool busy;			/* lent out; under st->mu */
	/* The transaction holder's thread tag (&tx_tag of that thread), 0 if
	 * none. Only that thread sets or clears it; others only compare. */
	_Atomic uintptr_t owner;
	/* In a transaction (the holder's only): BEGIN goes out with the first
	 * statement, not in pt_store_begin (one round trip less, none for an
	 * empty transaction); the last call's savepoint is released with the
	 * next call's SAVEPOINT, or by COMMIT. */
	bool begun, sp_held;
	bool prepared[S_COUNT_];
};

struct pg_store {
	struct pt_store base;	/* first: a struct pt_store * is a struct pg_store * */
	char *conninfo;
	pthread_mutex_t mu;	/* guards conn[].busy */
	pthread_cond_t freed;	/* a connection was given back */
	int version;
	struct pg_conn conn[POOL_SIZE];
};

/* Its address identifies the calling thread. */
static _Thread_local char tx_tag;

static uintptr_t
self_tag(void)
{
	return (uintptr_t)&tx_tag;
}

/* The connection of this thread's transaction, or NULL. */
static struct pg_conn *
tx_conn(struct pg_store *st)
{
	size_t i;

	for (i = 0; i < POOL_SIZE; i++)
		if (atomic_load_explicit(&st->conn[i].owner, memory_order_relaxed) == self_tag())
			return &st->conn[i];
	return NULL;
}

/* ---- errors ---- */

/* One log line, key=value; msg from the server or libpq, made one line.
 * Never the connection string (it may hold a password) nor a DETAIL (it
 * may quote a row's values). */
static void
log_line(const char *what, const char *sqlstate, const char *msg)
{
	char clean[256];
	size_t i, j = 0;

	for (i = 0; msg != NULL && msg[i] != '\0' && j < sizeof(clean) - 1; i++) {
		unsigned char ch = (unsigned char)msg[i];

		if (ch == '\n' && msg[i + 1] == '\0')
			break;
		clean[j++] = ch < 0x20 || ch == 0x7f ? ' ' : ch == '"' ? '\'' : (char)ch;
	}
	clean[j] = '\0';
	fprintf(stderr, "store: backend=postgresql what=\"%s\" sqlstate=%s error=\"%s\"\n", what,
		sqlstate != NULL ? sqlstate : "-", clean);
}

static int
log_eio_msg(const char *what, const char *msg)
{
	log_line(what, NULL, msg);
	return PT_EIO;
}

static int
log_eio_conn(PGconn *pq, const char *what)
{
	log_line(what, NULL, pq != NULL ? PQerrorMessage(pq) : "no connection");
	return PT_EIO;
}

/*
 * A failed result as a PT_E* value: unique_violation is PT_EEXISTS,
 * foreign_key_violation PT_ENOTFOUND (the account or home referred to),
 * check and not-null violations and data exceptions (a value out of range,
 * text that is not UTF-8) PT_EINVAL, a serialization failure or deadlock
 * PT_ECONFLICT (the caller may retry the request). Anything else is PT_EIO,
 * logged.
 */
static int
map_err(PGconn *pq, const PGresult *res, const char *what)
{
	const char *state = res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

	if (state == NULL)
		return log_eio_conn(pq, what);
	if (strcmp(state, "23505") == 0)
		return PT_EEXISTS;
	if (strcmp(state, "23503") == 0)
		return PT_ENOTFOUND;
	if (strcmp(state, "23514") == 0 || strcmp(state, "23502") == 0 ||
	    strncmp(state, "22", 2) == 0)
		return PT_EINVAL;
	if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0)
		return PT_ECONFLICT;
	log_line(what, state, PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY));
	return PT_EIO;
}

/* ---- parameters ---- */

struct params {
	int n;
	char kind[MAX_PARAMS];			/* the letters of struct stmt */
	const char *val[MAX_PARAMS];
	int len[MAX_PARAMS];
	int fmt[MAX_PARAMS];
	unsigned char num[MAX_PARAMS][8];	/* integers and doubles, big-endian */
	bool overflow;
};

static void
params_init(struct params *p)
{
	p->n = 0;
	p->overflow = false;
}

static int
p_slot(struct params *p, char kind)
{
	if (p->n == MAX_PARAMS) {
		p->overflow = true;
		return -1;
	}
	p->kind[p->n] = kind;
	p->fmt[p->n] = 1;	/* binary */
	return p->n++;
}

static void
put_be64(unsigned char *b, uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--) {
		b[i] = (unsigned char)v;
		v >>= 8;
	}
}

static uint64_t
get_be64(const unsigned char *b)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | b[i];
	return v;
}

static void
p_i64(struct params *p, int64_t v)
{
	int i = p_slot(p, 'i');

	if (i < 0)
		return;
	put_be64(p->num[i], (uint64_t)v);
	p->val[i] = (const char *)p->num[i];
	p->len[i] = 8;
}

static void
p_f64(struct params *p, double v)
{
	uint64_t bits;
	int i = p_slot(p, 'f');

	if (i < 0)
		return;
	memcpy(&bits, &v, sizeof(bits));
	put_be64(p->num[i], bits);
	p->val[i] = (const char *)p->num[i];
	p->len[i] = 8;
}

static void
p_bool(struct params *p, bool v)
{
	int i = p_slot(p, 'o');

	if (i < 0)
		return;
	p->num[i][0] = v ? 1 : 0;
	p->val[i] = (const char *)p->num[i];
	p->len[i] = 1;
}

/* Text: the bytes as they are (the server checks they are UTF-8). */
static void
p_str(struct params *p, const char *s)
{
	int i = p_slot(p, 't');
	size_t len = strlen(s);

	if (i < 0)
		return;
	if (len > INT32_MAX) {
		p->overflow = true;
		return;
	}
	p->val[i] = s;
	p->len[i] = (int)len;
}

/* A NULL of the kind the statement declares for this position. */
static void
p_null(struct params *p, char kind)
{
	int i = p_slot(p, kind);

	if (i < 0)
		return;
	p->val[i] = NULL;
	p->len[i] = 0;
}

static void
p_opt_str(struct params *p, const char *s)
{
	if (s != NULL)
		p_str(p, s);
	else
		p_null(p, 't');
}

/* A blob; a zero-length one is empty, not NULL. */
static void
p_blob(struct params *p, const void *b, size_t len)
{
	int i = p_slot(p, 'b');

	if (i < 0)
		return;
	if (len > INT32_MAX) {
		p->overflow = true;
		return;
	}
	p->val[i] = len != 0 ? (const char *)b : "";
	p->len[i] = (int)len;
}

static int64_t
limit_of(size_t max)
{
	return max > (size_t)INT64_MAX ? INT64_MAX : (int64_t)max;
}

/* ---- connections ---- */

/* Notices ("relation already exists, skipping") are not errors. */
static void
drop_notice(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

/* PQexec of constant SQL (possibly several statements); true on success. */
static bool
exec_ok(PGconn *pq, const char *sql, PGresult **keep)
{
	PGresult *res = PQexec(pq, sql);
	ExecStatusType s = res != NULL ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	bool ok = s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK;

	if (keep != NULL && !ok)
		*keep = res;
	else
		PQclear(res);
	return ok;
}

/* The first line of libpq's or the server's message, for an errbuf. */
static void
first_line(char *dst, size_t cap, const char *msg)
{
	size_t n = msg != NULL ? strcspn(msg, "\n") : 0;

	if (n >= cap)
		n = cap - 1;
	if (n != 0)
		memcpy(dst, msg, n);
	dst[n] = '\0';
}

/*
 * Connect. application_name and connect_timeout come first, so the address
 * may override them; client_encoding comes after it: porter's text is UTF-8.
 */
static PGconn *
pg_connect(const char *conninfo)
{
	const char *const keys[] = {"application_name", "connect_timeout", "dbname",
				    "client_encoding", NULL};
	const char *const vals[] = {"porter", "10", conninfo, "UTF8", NULL};

	return PQconnectdbParams(keys, vals, 1);
}

/*
 * Check the server and set the session up; msg gets the reason on failure.
 * READ COMMITTED whatever the server's default: the locks described at the
 * top are what make writes correct, and a SERIALIZABLE default would add
 * failures at commit that porterd cannot retry. Commits are durable on
 * return: synchronous_commit = off is turned on for our sessions (other
 * values, local or replication-waiting, are left as the operator set them).
 * A lock wait gives up after 5 s (unless the server sets a limit), like
 * SQLite's busy timeout.
 */
static bool
setup(PGconn *pq, char *msg, size_t cap)
{
	PGresult *res = NULL;
	const char *enc;

	if (PQstatus(pq) != CONNECTION_OK) {
		first_line(msg, cap, PQerrorMessage(pq));
		return false;
	}
	PQsetNoticeProcessor(pq, drop_notice, NULL);
	if (PQserverVersion(pq) < 110000) {
		(void)snprintf(msg, cap, "PostgreSQL %d is too old: porter needs 11 or later",
			       PQserverVersion(pq) / 10000);
		return false;
	}
	enc = PQparameterStatus(pq, "server_encoding");
	if (enc == NULL || strcmp(enc, "UTF8") != 0) {
		(void)snprintf(msg, cap, "the database's encoding is %s: porter needs UTF8",
			       enc != NULL ? enc : "unknown");
		return false;
	}
	if (!exec_ok(pq,
		     "SET default_transaction_isolation = 'read committed';"
		     "SELECT set_config('synchronous_commit', 'on', false)"
		     "  WHERE current_setting('synchronous_commit') = 'off';"
		     "SELECT set_config('lock_timeout', '5s', false)"
		     "  WHERE current_setting('lock_timeout') = '0'",
		     &res)) {
		first_line(msg, cap, res != NULL ? PQresultErrorMessage(res) : PQerrorMessage(pq));
		PQclear(res);
		return false;
	}
	return true;
}

/* (Re)connect c; its prepared statements are gone with the old session. */
static int
conn_open(struct pg_conn *c, const char *what)
{
	struct pg_store *st = c->st;
	char msg[200];

	if (c->pq != NULL)
		PQfinish(c->pq);
	memset(c->prepared, 0, sizeof(c->prepared));
	c->pq = pg_connect(st->conninfo);
	if (c->pq == NULL)
		return log_eio_msg(what, "cannot connect: out of memory");
	if (!setup(c->pq, msg, sizeof(msg))) {
		log_eio_msg(what, msg);
		PQfinish(c->pq);
		c->pq = NULL;
		return PT_EIO;
	}
	return PT_OK;
}

/* Borrow a free connection, waiting while all are lent out; connect it if
 * it is new or broken. */
static int
conn_get(struct pg_store *st, struct pg_conn **out, const char *what)
{
	struct pg_conn *c = NULL;
	size_t i;
	int r = PT_OK;

	pthread_mutex_lock(&st->mu);
	for (;;) {
		/* An open connection first; a new one only when none is free. */
		for (i = 0; i < POOL_SIZE && c == NULL; i++)
			if (!st->conn[i].busy && st->conn[i].pq != NULL)
				c = &st->conn[i];
		for (i = 0; i < POOL_SIZE && c == NULL; i++)
			if (!st->conn[i].busy)
				c = &st->conn[i];
		if (c != NULL)
			break;
		pthread_cond_wait(&st->freed, &st->mu);
	}
	c->busy = true;
	pthread_mutex_unlock(&st->mu);
	if (c->pq == NULL || PQstatus(c->pq) != CONNECTION_OK)
		r = conn_open(c, what);
	else if (PQtransactionStatus(c->pq) != PQTRANS_IDLE && !exec_ok(c->pq, "ROLLBACK", NULL))
		r = conn_open(c, what);	/* left in a transaction: start afresh */
	if (r != PT_OK) {
		pthread_mutex_lock(&st->mu);
		c->busy = false;
		pthread_cond_signal(&st->freed);
		pthread_mutex_unlock(&st->mu);
		*out = NULL;
		return r;
	}
	*out = c;
	return PT_OK;
}

static void
conn_put(struct pg_store *st, struct pg_conn *c)
{
	pthread_mutex_lock(&st->mu);
	c->busy = false;
	pthread_cond_signal(&st->freed);
	pthread_mutex_unlock(&st->mu);
}

static bool
in_tx(struct pg_conn *c)
{
	return atomic_load_explicit(&c->owner, memory_order_relaxed) != 0;
}

/* ---- statements ---- */

/* The name a statement is prepared under, on every connection. */
static void
stmt_name(enum sid id, char name[16])
{
	(void)snprintf(name, 16, "pt%d", (int)id);
}

static int
prepare(struct pg_conn *c, enum sid id, const char *what)
{
	Oid types[MAX_PARAMS];
	char name[16];
	const char *t = stmts[id].types;
	PGresult *res;
	size_t i, n = strlen(t);
	int r = PT_OK;

	if (c->prepared[id])
		return PT_OK;
	if (n > MAX_PARAMS)
		return log_eio_msg(what, "too many parameters");
	for (i = 0; i < n; i++)
		types[i] = t[i] == 'i' ? OID_INT8 : t[i] == 't' ? OID_TEXT : t[i] == 'b' ? OID_BYTEA
			 : t[i] == 'f' ? OID_FLOAT8 : OID_BOOL;
	stmt_name(id, name);
	res = PQprepare(c->pq, name, stmts[id].sql, (int)n, types);
	if (res == NULL || PQresultStatus(res) != PGRES_COMMAND_OK)
		r = map_err(c->pq, res, what);
	else
		c->prepared[id] = true;
	PQclear(res);
	return r == PT_OK ? PT_OK : PT_EIO;
}

/* The parameters match the statement's declaration: a bug otherwise. */
static bool
params_match(const struct params *p, enum sid id)
{
	const char *t = stmts[id].types;

	return !p->overflow && strlen(t) == (size_t)p->n && memcmp(t, p->kind, (size_t)p->n) == 0;
}

/*
 * Run a prepared statement with binary parameters and results; *out gets
 * the result (the caller PQclear()s it) on PT_OK. A connection found broken
 * is reopened and the statement run again, but only outside a transaction,
 * where a statement is all there is to redo.
 */
static int
exec_stmt(struct pg_conn *c, enum sid id, const struct params *p, PGresult **out,
	  const char *what)
{
	char name[16];
	PGresult *res = NULL;
	ExecStatusType s;
	int attempt, r;

	*out = NULL;
	if (!params_match(p, id))
		return log_eio_msg(what, "parameters do not match the statement");
	stmt_name(id, name);
	for (attempt = 0;; attempt++) {
		r = prepare(c, id, what);
		if (r == PT_OK) {
			res = PQexecPrepared(c->pq, name, p->n, p->val, p->len, p->fmt, 1);
			s = res != NULL ? PQresultStatus(res) : PGRES_FATAL_ERROR;
			if (s == PGRES_TUPLES_OK || s == PGRES_COMMAND_OK) {
				*out = res;
				return PT_OK;
			}
		}
		if (attempt == 0 && !in_tx(c) && PQstatus(c->pq) != CONNECTION_OK) {
			PQclear(res);
			res = NULL;
			memset(c->prepared, 0, sizeof(c->prepared));
			PQreset(c->pq);
			if (PQstatus(c->pq) == CONNECTION_OK) {
				char msg[200];

				if (setup(c->pq, msg, sizeof(msg)))
					continue;
				return log_eio_msg(what, msg);
			}
			return log_eio_conn(c->pq, what);
		}
		if (r == PT_OK)
			r = map_err(c->pq, res, what);
		PQclear(res);
		return r;
	}
}

/* Run a statement for its effect; *changes (if not NULL) gets the row count. */
static int
run(struct pg_conn *c, enum sid id, const struct params *p, int64_t *changes, const char *what)
{
	PGresult *res;
	int r = exec_stmt(c, id, p, &res, what);

	if (r == PT_OK && changes != NULL)
		*changes = strtoll(PQcmdTuples(res), NULL, 10);
	PQclear(res);
	return r;
}

/* Run a statement that returns no row and must change one (UPDATE, DELETE,
 * INSERT ... SELECT): PT_ENOTFOUND if it changed none. */
static int
run_changing(struct pg_conn *c, enum sid id, const struct params *p, const char *what)
{
	int64_t changes = 0;
	int r = run(c, id, p, &changes, what);

	return r == PT_OK && changes == 0 ? PT_ENOTFOUND : r;
}

/* ---- columns ---- */

static bool
col_i64(const PGresult *res, int row, int col, int64_t *v)
{
	const unsigned char *p = (const unsigned char *)PQgetvalue(res, row, col);
	int len = PQgetlength(res, row, col);

	if (PQgetisnull(res, row, col))
		return false;
	switch (PQftype(res, col)) {
	case OID_INT8:
		if (len != 8)
			return false;
		*v = (int64_t)get_be64(p);
		return true;
	case OID_INT4:
		if (len != 4)
			return false;
		*v = (int32_t)((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]);
		return true;
	case OID_INT2:
		if (len != 2)
			return false;
		*v = (int16_t)(uint16_t)((unsigned)p[0] << 8 | p[1]);
		return true;
	default:
		return false;
	}
}

/* An integer column into an int64_t field: false (the row is refused) if
 * it is NULL or not an integer. */
#define COL_I64(res, row, col, dst) col_i64(res, row, col, &(dst))

static bool
col_int(const PGresult *res, int row, int col, int *dst)
{
	int64_t v;

	if (!col_i64(res, row, col, &v) || v < INT32_MIN || v > INT32_MAX)
		return false;
	*dst = (int)v;
	return true;
}

static bool
col_u8(const PGresult *res, int row, int col, uint8_t *dst)
{
	int64_t v;

	if (!col_i64(res, row, col, &v) || v < 0 || v > 255)
		return false;
	*dst = (uint8_t)v;
	return true;
}

static bool
col_bool(const PGresult *res, int row, int col, bool *dst)
{
	int64_t v;

	if (PQgetisnull(res, row, col))
		return false;
	if (PQftype(res, col) == OID_BOOL) {
		if (PQgetlength(res, row, col) != 1)
			return false;
		v = (unsigned char)PQgetvalue(res, row, col)[0];
	} else if (!col_i64(res, row, col, &v)) {
		return false;
	}
	if (v != 0 && v != 1)
		return false;
	*dst = v == 1;
	return true;
}

static bool
col_f64(const PGresult *res, int row, int col, double *dst)
{
	uint64_t bits;

	if (PQgetisnull(res, row, col) || PQftype(res, col) != OID_FLOAT8 ||
	    PQgetlength(res, row, col) != 8)
		return false;
	bits = get_be64((const unsigned char *)PQgetvalue(res, row, col));
	memcpy(dst, &bits, sizeof(*dst));
	return true;
}

/* Copy a text column into dst[cap]; false if too long, NULL or with a NUL. */
static bool
col_str(const PGresult *res, int row, int col, char *dst, size_t cap)
{
	const char *p = PQgetvalue(res, row, col);
	size_t len = (size_t)PQgetlength(res, row, col);

	if (PQgetisnull(res, row, col) || len >= cap || memchr(p, 0, len) != NULL)
		return false;
	memcpy(dst, p, len);
	dst[len] = '\0';
	return true;
}

static bool
col_blob(const PGresult *res, int row, int col, uint8_t *dst, size_t cap, size_t *len)
{
	size_t n = (size_t)PQgetlength(res, row, col);

	if (PQgetisnull(res, row, col) || PQftype(res, col) != OID_BYTEA || n > cap)
		return false;
	if (n != 0)
		memcpy(dst, PQgetvalue(res, row, col), n);
	*len = n;
	return true;
}

static bool
col_blob_exact(const PGresult *res, int row, int col, uint8_t *dst, size_t n)
{
	size_t len;

	return col_blob(res, row, col, dst, n, &len) && len == n;
}

/* ---- rows ---- */

typedef bool (*decode_fn)(const PGresult *res, int row, void *out);

/* Inside the ranges; false for NaN too. No location is stored as 0, 0. */
static bool
location_is_valid(const struct pt_home *h)
{
	if (!h->has_location)
		return true;
	return h->lat >= -90.0 && h->lat <= 90.0 && h->lon >= -180.0 && h->lon <= 180.0;
}

static bool
decode_account(const PGresult *r, int i, void *out)
{
	struct pt_account *a = out;

	return COL_I64(r, i, 0, a->id) && col_str(r, i, 1, a->email, sizeof(a->email)) &&
	       col_str(r, i, 2, a->name, sizeof(a->name)) && col_int(r, i, 3, &a->role) &&
	       col_str(r, i, 4, a->pwhash, sizeof(a->pwhash)) && COL_I64(r, i, 5, a->created_at);
}

static bool
decode_home(const PGresult *r, int i, void *out)
{
	struct pt_home *h = out;

	return COL_I64(r, i, 0, h->rowid) && col_str(r, i, 1, h->id, sizeof(h->id)) &&
	       col_str(r, i, 2, h->name, sizeof(h->name)) && col_str(r, i, 3, h->tz, sizeof(h->tz)) &&
	       col_str(r, i, 4, h->notes, sizeof(h->notes)) &&
	       col_str(r, i, 5, h->policy, sizeof(h->policy)) && COL_I64(r, i, 6, h->created_at) &&
	       COL_I64(r, i, 7, h->updated_at) && col_bool(r, i, 8, &h->has_location) &&
	       col_f64(r, i, 9, &h->lat) && col_f64(r, i, 10, &h->lon) && location_is_valid(h);
}

static bool
decode_key(const PGresult *r, int i, void *out)
{
	struct pt_owner_key *k = out;

	if (!COL_I64(r, i, 0, k->id) || !col_str(r, i, 1, k->home_id, sizeof(k->home_id)) ||
	    !col_blob_exact(r, i, 2, k->pk, sizeof(k->pk)) ||
	    !col_str(r, i, 3, k->label, sizeof(k->label)) || !COL_I64(r, i, 4, k->added_by) ||
	    !COL_I64(r, i, 5, k->created_at))
		return false;
	/* The statement: NULL for a key stored without one (schema 5). */
	k->statement_len = 0;
	if (PQgetisnull(r, i, 6))
		return true;
	return col_blob(r, i, 6, k->statement, sizeof(k->statement), &k->statement_len) &&
	       k->statement_len != 0;
}

static bool
decode_grant(const PGresult *r, int i, void *out)
{
	struct pt_grant_row *g = out;

	return COL_I64(r, i, 0, g->id) && col_str(r, i, 1, g->home_id, sizeof(g->home_id)) &&
	       col_blob(r, i, 2, g->chain, sizeof(g->chain), &g->chain_len) &&
	       col_blob_exact(r, i, 3, g->cti, sizeof(g->cti)) &&
	       col_blob_exact(r, i, 4, g->holder, sizeof(g->holder)) &&
	       col_u8(r, i, 5, &g->n_links) && col_u8(r, i, 6, &g->purpose) &&
	       COL_I64(r, i, 7, g->exp) && col_str(r, i, 8, g->label, sizeof(g->label)) &&
	       COL_I64(r, i, 9, g->created_by) && COL_I64(r, i, 10, g->created_at);
}

static bool
decode_revocation(const PGresult *r, int i, void *out)
{
	struct pt_revocation_row *v = out;
	size_t tlen = 0;

	if (!COL_I64(r, i, 0, v->version) || !col_str(r, i, 1, v->home_id, sizeof(v->home_id)) ||
	    !col_blob(r, i, 2, v->envelope, sizeof(v->envelope), &v->envelope_len) ||
	    !col_u8(r, i, 3, &v->kind) || !col_blob(r, i, 4, v->target, sizeof(v->target), &tlen) ||
	    !COL_I64(r, i, 5, v->created_by) || !COL_I64(r, i, 6, v->created_at))
		return false;
	v->target_len = (uint8_t)tlen;
	return true;
}

static bool
decode_carrier(const PGresult *r, int i, void *out)
{
	struct pt_carrier *c = out;

	if (!COL_I64(r, i, 0, c->rowid) || !col_str(r, i, 1, c->id, sizeof(c->id)) ||
	    !col_str(r, i, 2, c->name, sizeof(c->name)) ||
	    !col_blob_exact(r, i, 3, c->pk, sizeof(c->pk)) || !col_bool(r, i, 4, &c->hosted) ||
	    !COL_I64(r, i, 6, c->admin) || !COL_I64(r, i, 7, c->created_at))
		return false;
	if (PQgetisnull(r, i, 5)) {
		c->sealed_seed_len = 0;
		return !c->hosted;
	}
	return col_blob(r, i, 5, c->sealed_seed, sizeof(c->sealed_seed), &c->sealed_seed_len) &&
	       c->hosted && c->sealed_seed_len != 0;
}

static bool
decode_courier(const PGresult *r, int i, void *out)
{
	struct pt_courier *c = out;

	return COL_I64(r, i, 0, c->account) &&
	       col_str(r, i, 1, c->carrier_id, sizeof(c->carrier_id)) &&
	       col_str(r, i, 2, c->name, sizeof(c->name)) && col_u8(r, i, 3, &c->level) &&
	       col_blob(r, i, 4, c->attestation, sizeof(c->attestation), &c->attestation_len) &&
	       col_bool(r, i, 5, &c->active) && COL_I64(r, i, 6, c->created_at) &&
	       COL_I64(r, i, 7, c->updated_at);
}

static bool
decode_device(const PGresult *r, int i, void *out)
{
	struct pt_device *d = out;

	return COL_I64(r, i, 0, d->id) && COL_I64(r, i, 1, d->account) &&
	       col_blob_exact(r, i, 2, d->pk, sizeof(d->pk)) &&
	       col_str(r, i, 3, d->label, sizeof(d->label)) && COL_I64(r, i, 4, d->created_at);
}

static bool
decode_hub(const PGresult *r, int i, void *out)
{
	struct pt_hub *h = out;

	return COL_I64(r, i, 0, h->rowid) && col_str(r, i, 1, h->id, sizeof(h->id)) &&
	       col_str(r, i, 2, h->home_id, sizeof(h->home_id)) &&
	       col_blob_exact(r, i, 3, h->pk, sizeof(h->pk)) &&
	       col_str(r, i, 4, h->label, sizeof(h->label)) &&
	       col_blob(r, i, 5, h->pairing, sizeof(h->pairing), &h->pairing_len) &&
	       COL_I64(r, i, 6, h->paired_by) && COL_I64(r, i, 7, h->created_at) &&
	       COL_I64(r, i, 8, h->last_seen) && col_bool(r, i, 9, &h->online) &&
	       /* schema 5: NULL before the first state */
	       (PQgetisnull(r, i, 10) ? (h->state[0] = '\0', true)
				      : col_str(r, i, 10, h->state, sizeof(h->state))) &&
	       col_bool(r, i, 11, &h->confirmed);
}

static bool
decode_delivery(const PGresult *r, int i, void *out)
{
	struct pt_delivery *d = out;

	if (!COL_I64(r, i, 0, d->rowid) || !col_str(r, i, 1, d->id, sizeof(d->id)) ||
	    !col_str(r, i, 2, d->home_id, sizeof(d->home_id)) ||
	    !col_str(r, i, 3, d->carrier_id, sizeof(d->carrier_id)) ||
	    !col_str(r, i, 4, d->package_id, sizeof(d->package_id)) ||
	    !COL_I64(r, i, 5, d->courier) || !COL_I64(r, i, 6, d->device) ||
	    !col_u8(r, i, 7, &d->state) || !col_u8(r, i, 8, &d->approval) ||
	    !col_bool(r, i, 9, &d->in_home) || !COL_I64(r, i, 10, d->window_start) ||
	    !COL_I64(r, i, 11, d->window_end) || !col_str(r, i, 13, d->reason, sizeof(d->reason)) ||
	    !COL_I64(r, i, 14, d->created_at) || !COL_I64(r, i, 15, d->updated_at))
		return false;
	d->has_token = !PQgetisnull(r, i, 12);
	return !d->has_token || col_blob_exact(r, i, 12, d->token_id, sizeof(d->token_id));
}

static bool
decode_step(const PGresult *r, int i, void *out)
{
	struct pt_delivery_step *s = out;

	return col_u8(r, i, 0, &s->state) && COL_I64(r, i, 1, s->at) && COL_I64(r, i, 2, s->actor);
}

static bool
decode_event(const PGresult *r, int i, void *out)
{
	struct pt_event_row *e = out;

	return COL_I64(r, i, 0, e->id) && col_str(r, i, 1, e->home_id, sizeof(e->home_id)) &&
	       COL_I64(r, i, 2, e->at) && col_str(r, i, 3, e->source, sizeof(e->source)) &&
	       col_str(r, i, 4, e->type, sizeof(e->type)) &&
	       col_str(r, i, 5, e->data, sizeof(e->data)) && COL_I64(r, i, 6, e->hub_seq) &&
	       (PQgetisnull(r, i, 7) || col_blob_exact(r, i, 7, e->hash, sizeof(e->hash)));
}

static bool
decode_alert(const PGresult *r, int i, void *out)
{
	struct pt_alert_row *a = out;

	return COL_I64(r, i, 0, a->id) && col_str(r, i, 1, a->home_id, sizeof(a->home_id)) &&
	       COL_I64(r, i, 2, a->at) && col_str(r, i, 3, a->type, sizeof(a->type)) &&
	       col_str(r, i, 4, a->data, sizeof(a->data)) && COL_I64(r, i, 5, a->event_id) &&
	       COL_I64(r, i, 6, a->acked_by) && COL_I64(r, i, 7, a->acked_at);
}

/* One row into out; PT_ENOTFOUND if none. */
static int
fetch_one(struct pg_conn *c, enum sid id, const struct params *p, decode_fn decode, void *out,
	  const char *what)
{
	PGresult *res;
	int r = exec_stmt(c, id, p, &res, what);

	if (r != PT_OK)
		return r;
	if (PQntuples(res) == 0)
		r = PT_ENOTFOUND;
	else if (!decode(res, 0, out))
		r = log_eio_msg(what, "stored value out of range");
	PQclear(res);
	return r;
}

/* Up to max rows into out[], elements of size bytes; on error the rows
 * written are wiped and *n is 0. */
static int
fetch_list(struct pg_conn *c, enum sid id, const struct params *p, decode_fn decode, void *out,
	   size_t size, size_t max, size_t *n, const char *what)
{
	unsigned char *base = out;
	PGresult *res;
	size_t i, rows;
	int r = exec_stmt(c, id, p, &res, what);

	*n = 0;
	if (r != PT_OK)
		return r;
	rows = (size_t)PQntuples(res);
	if (rows > max)
		rows = max;
	for (i = 0; i < rows; i++) {
		memset(base + i * size, 0, size);
		if (!decode(res, (int)i, base + i * size)) {
			pt_wipe(base, (i + 1) * size);
			PQclear(res);
			return log_eio_msg(what, "stored value out of range");
		}
	}
	PQclear(res);
	*n = rows;
	return PT_OK;
}

/* A single integer (an id) from a one-column statement; PT_ENOTFOUND if no row. */
static int
fetch_id(struct pg_conn *c, enum sid id, const struct params *p, int64_t *out, const char *what)
{
	PGresult *res;
	int r = exec_stmt(c, id, p, &res, what);

	*out = 0;
	if (r != PT_OK)
		return r;
	if (PQntuples(res) == 0)
		r = PT_ENOTFOUND;
	else if (!col_i64(res, 0, 0, out))
		r = log_eio_msg(what, "stored value out of range");
	PQclear(res);
	return r;
}

/* ---- locking ---- */

/*
 * Send constant SQL inside this thread's transaction, BEGIN first if it has
 * not gone out yet. A connection found broken before the transaction did
 * anything is reopened and the SQL sent again: nothing is lost. On failure
 * *fail (if not NULL) gets the result, for map_err.
 */
static int
tx_exec(struct pg_conn *c, const char *sql, PGresult **fail, const char *what)
{
	char buf[256];
	const char *q = sql;
	bool first = !c->begun;
	int attempt, n;

	if (fail != NULL)
		*fail = NULL;
	if (first) {
		n = snprintf(buf, sizeof(buf), "BEGIN ISOLATION LEVEL READ COMMITTED;%s", sql);
		if (n < 0 || (size_t)n >= sizeof(buf))
			return log_eio_msg(what, "statement too long");
		q = buf;
	}
	for (attempt = 0;; attempt++) {
		if (exec_ok(c->pq, q, fail)) {
			c->begun = true;
			return PT_OK;
		}
		c->begun = PQtransactionStatus(c->pq) != PQTRANS_IDLE;
		if (first && attempt == 0 && PQstatus(c->pq) != CONNECTION_OK &&
		    conn_open(c, what) == PT_OK) {
			if (fail != NULL) {
				PQclear(*fail);
				*fail = NULL;
			}
			continue;
		}
		return PT_EIO;	/* the caller maps *fail, or logs */
	}
}

/* Reads: this thread's transaction connection (its BEGIN sent), or a
 * borrowed one. */
static int
read_enter(struct pg_store *st, struct pg_conn **c, bool *borrowed, const char *what)
{
	*c = tx_conn(st);
	*borrowed = *c == NULL;
	if (*c == NULL)
		return conn_get(st, c, what);
	if (!(*c)->begun && tx_exec(*c, "", NULL, what) != PT_OK)
		return log_eio_conn((*c)->pq, what);
	return PT_OK;
}

static void
read_leave(struct pg_store *st, struct pg_conn *c, bool borrowed)
{
	if (borrowed && c != NULL)
		conn_put(st, c);
}

/* Writes: only inside this thread's transaction, and only if the server
 * has not aborted it (a failure outside a savepoint, a lost connection). */
static int
write_enter(struct pg_store *st, struct pg_conn **c, const char *what)
{
	*c = tx_conn(st);
	if (*c == NULL)
		return PT_EINVAL;
	if ((*c)->begun && PQtransactionStatus((*c)->pq) != PQTRANS_INTRANS)
		return log_eio_msg(what, "the transaction was rolled back by the database");
	return PT_OK;
}

/* r, or PT_EIO if the savepoint cannot be rolled back to. */
static int
sp_undo(struct pg_conn *c, int r, const char *what)
{
	c->sp_held = false;
	if (!exec_ok(c->pq, "ROLLBACK TO SAVEPOINT pt_call; RELEASE SAVEPOINT pt_call", NULL))
		return log_eio_conn(c->pq, what);
	return r;
}

/*
 * Every write call runs in a savepoint: all or nothing, and a refused
 * statement does not abort the caller's transaction. One round trip
 * releases the previous call's savepoint (its work joins the transaction),
 * opens this call's, and runs then (constant SQL, or NULL) under it.
 */
static int
sp_begin(struct pg_conn *c, const char *then, const char *what)
{
	char sql[160];
	PGresult *fail = NULL;
	int n, r;

	n = snprintf(sql, sizeof(sql), "%sSAVEPOINT pt_call%s%s",
		     c->sp_held ? "RELEASE SAVEPOINT pt_call;" : "", then != NULL ? ";" : "",
		     then != NULL ? then : "");
	if (n < 0 || (size_t)n >= sizeof(sql))
		return log_eio_msg(what, "statement too long");
	c->sp_held = false;
	if (tx_exec(c, sql, &fail, what) == PT_OK) {
		c->sp_held = true;
		return PT_OK;
	}
	r = fail != NULL ? map_err(c->pq, fail, what) : log_eio_conn(c->pq, what);
	PQclear(fail);
	if (r == PT_OK || r == PT_EEXISTS || r == PT_ENOTFOUND || r == PT_EINVAL)
		r = log_eio_msg(what, "cannot open a savepoint");
	/* then failed after SAVEPOINT (a lock timeout, a deadlock): undo it,
	 * so the transaction stays usable. */
	if (PQtransactionStatus(c->pq) == PQTRANS_INERROR)
		(void)exec_ok(c->pq, "ROLLBACK TO SAVEPOINT pt_call; RELEASE SAVEPOINT pt_call", NULL);
	return r;
}

/* The end of a write call: r. On success the savepoint stays until the
 * next call or the commit; on failure the call's work is undone. */
static int
sp_end(struct pg_conn *c, int r, const char *what)
{
	return r == PT_OK ? PT_OK : sp_undo(c, r, what);
}

/* One write statement in its savepoint; PT_ENOTFOUND if it changed no row
 * (when changing) or returned none (when id is not NULL: *id gets it). */
static int
write_one(struct pg_conn *c, enum sid id, const struct params *p, bool changing, int64_t *rid,
	  const char *what)
{
	int r = sp_begin(c, NULL, what);

	if (r != PT_OK)
		return r;
	if (rid != NULL)
		r = fetch_id(c, id, p, rid, what);
	else if (changing)
		r = run_changing(c, id, p, what);
	else
		r = run(c, id, p, NULL, what);
	if (r != PT_OK && rid != NULL)
		*rid = 0;
	return sp_end(c, r, what);
}

/* ---- checks of caller-provided strings ---- */

/* A hash that is not there (a server event's) is all zero. */
static bool
all_zero(const uint8_t *p, size_t len)
{
	uint8_t acc = 0;
	size_t i;

	for (i = 0; i < len; i++)
		acc |= p[i];
	return acc == 0;
}

/* NUL-terminated inside its array. */
static bool
str_fits(const char *s, size_t cap)
{
	return memchr(s, '\0', cap) != NULL;
}

/* Well-formed UTF-8 (what PostgreSQL accepts as text: no overlong forms,
 * no surrogates, nothing above U+10FFFF). */
static bool
utf8_ok(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n, i;

	while (*p != 0) {
		if (*p < 0x80) {
			p++;
			continue;
		}
		if (*p >= 0xc2 && *p <= 0xdf)
			n = 1;
		else if (*p >= 0xe0 && *p <= 0xef)
			n = 2;
		else if (*p >= 0xf0 && *p <= 0xf4)
			n = 3;
		else
			return false;
		for (i = 1; i <= n; i++)
			if (p[i] < 0x80 || p[i] > 0xbf)
				return false;
		if ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] > 0x9f) ||
		    (p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] > 0x8f))
			return false;
		p += n + 1;
	}
	return true;
}

/* A string argument that may name a row: too long, or not text at all,
 * names none (PostgreSQL would refuse the statement; SQLite finds nothing). */
static bool
arg_fits(const char *s, size_t max)
{
	return s != NULL && strnlen(s, max + 1) <= max && utf8_ok(s);
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

/* The highest applied migration, inside the current transaction. */
static bool
read_version(PGconn *pq, int *version, PGresult **keep)
{
	PGresult *res = PQexec(pq, "SELECT coalesce(max(version), 0) FROM schema_version");
	long long v;

	*version = 0;
	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		*keep = res;
		return false;
	}
	v = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	*version = v < 0 || v > 1000000 ? -1 : (int)v;
	PQclear(res);
	return true;
}

static bool
record_version(PGconn *pq, int version, PGresult **keep)
{
	char v[24], at[24];
	const char *vals[2] = {v, at};
	PGresult *res;

	(void)snprintf(v, sizeof(v), "%d", version);
	(void)snprintf(at, sizeof(at), "%lld", (long long)time(NULL));
	res = PQexecParams(pq, "INSERT INTO schema_version (version, applied_at) VALUES ($1, $2)", 2,
			   NULL, vals, NULL, NULL, 0);
	if (res == NULL || PQresultStatus(res) != PGRES_COMMAND_OK) {
		*keep = res;
		return false;
	}
	PQclear(res);
	return true;
}

/*
 * Apply the migrations not yet applied, each in its own transaction. The
 * advisory lock comes first, before even CREATE TABLE IF NOT EXISTS (which
 * races with itself): a second porterd starting at the same moment waits,
 * then reads the version the first one committed and applies nothing twice.
 */
static int
migrate(struct pg_store *st, PGconn *pq, struct pt_errbuf *err)
{
	PGresult *res = NULL;
	char msg[200];
	int i, j, v = 0;

	for (i = 0; i < SCHEMA_VERSION; i++) {
		if (!exec_ok(pq, "BEGIN ISOLATION LEVEL READ COMMITTED", &res))
			goto fail;
		if (!exec_ok(pq, "SELECT pg_advisory_xact_lock(" MIGRATION_LOCK ")", &res) ||
		    !exec_ok(pq, "CREATE TABLE IF NOT EXISTS schema_version ("
				 " version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)", &res) ||
		    !read_version(pq, &v, &res))
			goto fail_rollback;
		if (v < 0 || v > SCHEMA_VERSION) {
			(void)exec_ok(pq, "ROLLBACK", NULL);
			errf(err, "database schema version %d is not one this program knows (1..%d)",
			     v, SCHEMA_VERSION);
			return PT_EIO;
		}
		if (v <= i) {
			for (j = 0; j < MIGRATION_PARTS; j++)
				if (migrations[i][j] != NULL && !exec_ok(pq, migrations[i][j], &res))
					goto fail_rollback;
			if (!record_version(pq, i + 1, &res))
				goto fail_rollback;
		}
		if (!exec_ok(pq, "COMMIT", &res))
			goto fail_rollback;
	}
	if (!read_version(pq, &v, &res))
		goto fail;
	st->version = v;
	return PT_OK;
fail_rollback:
	first_line(msg, sizeof(msg), res != NULL ? PQresultErrorMessage(res) : PQerrorMessage(pq));
	PQclear(res);
	(void)exec_ok(pq, "ROLLBACK", NULL);
	errf(err, "cannot migrate the schema to version %d: %s", i + 1, msg);
	return PT_EIO;
fail:
	first_line(msg, sizeof(msg), res != NULL ? PQresultErrorMessage(res) : PQerrorMessage(pq));
	PQclear(res);
	errf(err, "cannot migrate the schema to version %d: %s", i + 1, msg);
	return PT_EIO;
}

static void
store_free(struct pg_store *st)
{
	size_t i;

	for (i = 0; i < POOL_SIZE; i++)
		if (st->conn[i].pq != NULL)
			PQfinish(st->conn[i].pq);
	pthread_cond_destroy(&st->freed);
	pthread_mutex_destroy(&st->mu);
	if (st->conninfo != NULL) {
		pt_wipe(st->conninfo, strlen(st->conninfo));	/* may hold a password */
		free(st->conninfo);
	}
	free(st);
}

int
pt_store_pg_open(const char *conninfo, struct pt_store **out, struct pt_errbuf *err)
{
	struct pg_store *st;
	PQconninfoOption *opts;
	char *perr = NULL;
	char msg[200];
	size_t i;
	int r;

	if (out == NULL)
		return PT_EINVAL;
	*out = NULL;
	if (conninfo == NULL || conninfo[0] == '\0') {
		errf(err, "cannot open the store: no address");
		return PT_EINVAL;
	}
	/* Parse first: libpq's own parse errors may quote the text, which may
	 * hold a password. */
	if ((opts = PQconninfoParse(conninfo, &perr)) == NULL) {
		PQfreemem(perr);
		errf(err, "cannot open the store: not a valid PostgreSQL URI");
		return PT_EINVAL;
	}
	PQconninfoFree(opts);
	if (!PQisthreadsafe()) {
		errf(err, "cannot open the store: libpq was built without thread support");
		return PT_EIO;
	}
	if ((st = calloc(1, sizeof(*st))) == NULL || (st->conninfo = strdup(conninfo)) == NULL) {
		free(st);
		errf(err, "cannot open the store: out of memory");
		return PT_EIO;
	}
	if (pthread_mutex_init(&st->mu, NULL) != 0) {
		free(st->conninfo);
		free(st);
		errf(err, "cannot open the store: cannot create a mutex");
		return PT_EIO;
	}
	if (pthread_cond_init(&st->freed, NULL) != 0) {
		pthread_mutex_destroy(&st->mu);
		free(st->conninfo);
		free(st);
		errf(err, "cannot open the store: cannot create a condition variable");
		return PT_EIO;
	}
	for (i = 0; i < POOL_SIZE; i++) {
		st->conn[i].st = st;
		atomic_init(&st->conn[i].owner, 0);
	}
	/* One connection now, to migrate and to fail early; the rest on demand. */
	st->conn[0].pq = pg_connect(st->conninfo);
	if (st->conn[0].pq == NULL) {
		errf(err, "cannot connect to PostgreSQL: out of memory");
		r = PT_EIO;
		goto out_free;
	}
	if (!setup(st->conn[0].pq, msg, sizeof(msg))) {
		errf(err, "cannot connect to PostgreSQL: %s", msg);
		r = PT_EIO;
		goto out_free;
	}
	if ((r = migrate(st, st->conn[0].pq, err)) != PT_OK)
		goto out_free;
	st->base.ops = &pg_ops;
	*out = &st->base;
	return PT_OK;
out_free:
	store_free(st);
	return r;
}

static void pg_rollback(struct pt_store *base);

static void
pg_close(struct pt_store *base)
{
	struct pg_store *st = (struct pg_store *)base;

	if (st == NULL)
		return;
	if (tx_conn(st) != NULL)
		pg_rollback(&st->base);
	store_free(st);
}

static int
pg_schema_version(struct pt_store *base)
{
	struct pg_store *st = (struct pg_store *)base;

	return st != NULL ? st->version : 0;
}

/* The connection is this thread's until commit or rollback; BEGIN goes out
 * with the transaction's first statement (tx_exec). */
static int
pg_begin(struct pt_store *base)
{
	struct pg_store *st = (struct pg_store *)base;
	struct pg_conn *c;
	int r;

	if (st == NULL || tx_conn(st) != NULL)	/* not recursive */
		return PT_EINVAL;
	if ((r = conn_get(st, &c, "cannot begin a transaction")) != PT_OK)
		return r;
	c->begun = false;
	c->sp_held = false;
	atomic_store_explicit(&c->owner, self_tag(), memory_order_relaxed);
	return PT_OK;
}

static void
tx_end(struct pg_store *st, struct pg_conn *c)
{
	c->begun = false;
	c->sp_held = false;
	atomic_store_explicit(&c->owner, 0, memory_order_relaxed);
	conn_put(st, c);
}

static int
pg_commit(struct pt_store *base)
{
	struct pg_store *st = (struct pg_store *)base;
	const char *what = "cannot commit";
	struct pg_conn *c;
	PGresult *res;
	int r = PT_OK;

	if (st == NULL || (c = tx_conn(st)) == NULL)
		return PT_EINVAL;
	if (!c->begun) {
		/* Nothing was sent: nothing to commit. */
	} else if (PQtransactionStatus(c->pq) != PQTRANS_INTRANS) {
		r = log_eio_msg(what, "the transaction was rolled back by the database");
	} else {
		res = PQexec(c->pq, "COMMIT");
		if (res == NULL || PQresultStatus(res) != PGRES_COMMAND_OK)
			r = map_err(c->pq, res, what);
		else if (strcmp(PQcmdStatus(res), "COMMIT") != 0)	/* "ROLLBACK" */
			r = log_eio_msg(what, "the transaction was rolled back by the database");
		PQclear(res);
		if (r != PT_OK && r != PT_EIO && r != PT_ECONFLICT)
			r = log_eio_msg(what, "the commit was refused");
	}
	/* On failure nothing of the transaction stays. */
	if (c->begun && (PQtransactionStatus(c->pq) == PQTRANS_INTRANS ||
			 PQtransactionStatus(c->pq) == PQTRANS_INERROR)) {
		if (!exec_ok(c->pq, "ROLLBACK", NULL))
			log_eio_conn(c->pq, "cannot roll back");
	}
	tx_end(st, c);
	return r;
}

static void
pg_rollback(struct pt_store *base)
{
	struct pg_store *st = (struct pg_store *)base;
	struct pg_conn *c;

	if (st == NULL)
		return;
	if ((c = tx_conn(st)) == NULL) {
		fprintf(stderr, "store: backend=postgresql what=\"rollback outside a transaction:"
				" ignored\"\n");
		return;
	}
	if (c->begun && PQtransactionStatus(c->pq) != PQTRANS_IDLE &&
	    !exec_ok(c->pq, "ROLLBACK", NULL))
		log_eio_conn(c->pq, "cannot roll back");
	tx_end(st, c);
}

/* ---- accounts ---- */

static int
pg_account_insert(struct pt_store *base, struct pt_account *a)
{
	struct pg_store *st = (struct pg_store *)base;
	const char *what = "cannot insert an account";
	struct pg_conn *c;
	struct params p;
	int r;

	if (a == NULL)
		return PT_EINVAL;
	a->id = 0;
	if (st == NULL)
		return PT_EINVAL;
	if ((r = write_enter(st, &c, what)) != PT_OK)
		return r;
	if (!str_fits(a->email, sizeof(a->email)) || !str_fits(a->name, sizeof(a->name)) ||
	    !str_fits(a->pwhash, sizeof(a->pwhash)))
		return PT_EINVAL;
	a->created_at = now_or(a->created_at);
	params_init(&p);
	p_str(&p, a->email);
	p_str(&p, a->name);
	p_i64(&p, a->role);
	p_str(&p, a->pwhash);
	p_i64(&p, a->created_at);
	r = write_one(c, S_ACCOUNT_INSERT, &p, false, &a->id, what);
	return r == PT_ENOTFOUND ? log_eio_msg(what, "no row inserted") : r;
}

/* Read one row by a text key (key != NULL) or an integer key; out (size
 * bytes) is wiped on any error. */
static int
read_one(struct pg_store *st, enum sid id, const char *key, int64_t ikey, decode_fn decode,
	 void *out, size_t size, const char *what)
{
	struct pg_conn *c;
	struct params p;
	bool borrowed;
	int r;

	params_init(&p);
	if (key != NULL)
		p_str(&p, key);
	else
		p_i64(&p, ikey);
	if ((r = read_enter(st, &c, &borrowed, what)) == PT_OK) {
		r = fetch_one(c, id, &p, decode, out, what);
		read_leave(st, c, borrowed);
	}
	if (r != PT_OK)
		pt_wipe(out, size);
	return r;
}

static int
pg_account_by_email(struct pt_store *base, const char *email, struct pt_account *a)
{
	struct pg_store *st = (struct pg_store *)base;

	if (a == NULL)
		return PT_EINVAL;
	memset(a, 0, sizeof(*a));
	if (st == NULL || email == NULL)
		return PT_EINVAL;
	if (!arg_fits(email, PT_EMAIL_MAX))
		return PT_ENOTFOUND;
	return read_one(st, S_ACCOUNT_BY_EMAIL, email, 0, decode_account, a, sizeof(*a),
			"cannot read an account");
}

static int
pg_account_by_id(struct pt_store *base, int64_t id, struct pt_account *a)
{
	struct pg_store *st = (struct pg_store *)base;

	if (a == NULL)
		return PT_EINVAL;
	memset(a, 0, sizeof(*a));
	if (st == NULL)
		return PT_EINVAL;
	return read_one(st, S_ACCOUNT_BY_ID, NULL, id, decode_account, a, sizeof(*a),
			"cannot read an account");
}

/* ---- sessions ---- */

static int
pg_session_insert(struct pt_store *base, const uint8_t token_hash[PT_HASH_LEN],
		  int64_t account_id, int64_t expires_at)
{
	struct pg_store *st = (struct pg_store *)base;
	const char *what = "cannot insert a session";
	struct pg_conn *c;
	struct params p;
	int r;

	if (st == NULL || token_hash == NULL)
		return PT_EINVAL;
	if ((r = write_enter(st, &c, what)) != PT_OK)
		return r;
	params_init(&p);
	p_blob(&p, token_hash, PT_HASH_LEN);
	p_i64(&p, account_id);
	p_i64(&p, expires_at);
	p_i64(&p, (int64_t)time(NULL));
	return write_one(c, S_SESSION_INSERT, &p, false, NULL, what);
}

static int
pg_session_get(struct pt_store *base, const uint8_t token_hash[PT_HASH_LEN], int64_t now,
	       int64_t *account_id, int64_t *expires_at)
{
	struct pg_store *st = (struct pg_store *)base;
	const char *what = "cannot look up a session";
	struct pg_conn *c;
	struct params p;
	PGresult *res;
	bool borrowed;
	int r;

	if (account_id == NULL || expires_at == NULL)
		return PT_EINVAL;
	*account_id = 0;
	*expires_at = 0;
	if (st == NULL || token_hash == NULL)
		return PT_EINVAL;
	params_init(&p);
	p_blob(&p, token_hash, PT_HASH_LEN);
	p_i64(&p, now);
	if ((r = read_enter(st, &c, &borrowed, what)) != PT_OK)
		return r;
	if ((r = exec_stmt(c, S_SESSION_LOOKUP, &p, &res, what)) == PT_OK) {
		if (PQntuples(res) == 0)
			r = PT_ENOTFOUND;
		else if (!col_i64(res, 0, 0, account_id) || !col_i64(res, 0, 1, expires_at))
			r = log_eio_msg(what, "stored value out of range");
		PQclear(res);
	}
	read_leave(st, c, borrowed);
	if (r != PT_OK) {
		*account_id = 0;
		*expires_at = 0;
	}
	return r;
}

static int
pg_session_lookup(struct pt_store *base, const uint8_t token_hash[PT_HASH_LEN], int64_t now,
		  int64_t *account_id)
{
	int64_t expires;

	return pg_session_get(base, token_hash, now, account_id, &expires);
}

static int
pg_session_delete(struct pt_store *base, const uint8_t token_hash[PT_HASH_LEN])
{
	struct pg_store *st = (struct pg_store *)base;
	const char *what = "cannot delete a session";
	struct pg_conn *c;
	struct params p;
	int r;

	if (st == NULL || token_hash == NULL)
		return PT_EINVAL;
	if ((r = write_enter(st, &c, what)) != PT_OK)
		return r;
	params_init(&p);
	p_blob(&p, token_hash, PT_HASH_LEN);
	return write_one(c, S_SESSION_DELETE, &p, true, NULL, what);
}

static int
pg_session_delete_all(struct pt_store *base, int64_t account_id)
{
	struct pg_store *st = (struct pg_store *)base;
	const char *what = "cannot delete sessions";
	struct pg_conn *c;
	struct params p;
	int r;

	if (st == NULL)
		return PT_EINVAL;
	if ((r = write_enter(st, &c, what)) != PT_OK)
		return r;
	params_init(&p);
	p_i64(&p, account_id);
	return write_one(c, S_SESSION_DELETE_ALL, &p, false, NULL, what);
}

/* ---- homes ---- */

static bool
home_strings_fit(const struct pt_home *h)
{
	return str_fits(h->name, sizeof(h->name)) && str_fits(h->tz, sizeof(h->tz)) &&
	       str_fits(h->notes, sizeof(h->notes)) && str_fits(h->policy, sizeof(h->policy));
}

/* has_location, lat, lon; without a location the coordinates are
 * meaningless and stored as 0, 0. */
static void
p_location(struct params *p, const struct pt_home *h)
{
	p_bool(p, h->has_location);
	p_f64(p, h->has_location ? h->lat : 0.0);
	p_f64(p, h->has_location ? h->lon : 0.0);
}

static int
pg_home_insert(struct pt_store *base, struct pt_home *h, int64_t owner_account)
{
	struct pg_store *st = (struct pg_store *)base;
	const char *what = "cannot insert a home";
	struct pg_conn *c;
	struct params p;
	int r;

	if (h == NULL)
		return PT_EINVAL;
	h->rowid = 0;
	if (st == NULL)
		return PT_EINVAL;
	if ((r = write_enter(st, &c, what)) != PT_OK)
		return r;
	if (!str_fits(h->id, sizeof(h->id)) || !pt_id_is_valid(h->id, strlen(h->id)) ||
	    !home_strings_fit(h) || !location_is_valid(h))
		return PT_EINVAL;
	if ((r = sp_begin(c, NULL, what)) != PT_OK)
		return r;
	h->created_at = now_or(h->created_at);
	h->updated_at = h->updated_at != 0 ? h->updated_at : h->created_at;
	params_init(&p);
	p_str(&p, h->id);
	p_str(&p, h->name);
	p_str(&p, h->tz);
	p_str(&p, h->notes);
	p_str(&p, h->policy);
	p_i64(&p, h->created_at);
	p_i64(&p, h->updated_at);
	p_location(&p, h);
	p_i64(&p, owner_account);
	/* PT_ENOTFOUND: the owner's account does not exist (foreign key). */
	r = fetch_id(c, S_HOME_INSERT, &p, &h->rowid, what);
	if (r != PT_OK)
		h->rowid = 0;
	return sp_end(c, r, what);
}

static int
pg_home_get(struct pt_store *base, const char *home_id, int64_t account, struct pt_home *h,
	    int *role)
{
	struct pg_store *st = (struct pg_store *)base;
	const char *what = "cannot read a home";
	struct pg_conn *c;
	struct params p;
	PGresult *res;
	bool borrowed;
	int r;

	if (h == NULL || role == NULL)
		return PT_EINVAL;
	memset(h, 0, sizeof(*h));
	*role = 0;
	if (st == NULL || home_id == NULL)
		return PT_EINVAL;
	if (!arg_fits(home_id, PT_ID_MAX))
		return PT_ENOTFOUND;
	params_init(&p);
	p_str(&p, home_id);
	p_i64(&p, account);
	if ((r = read_enter(st, &c, &borrowed, what)) != PT_OK)
		return r;
	if ((r = exec_stmt(c, S_HOME_GET, &p, &res, what)) == PT_OK) {
		if (PQntuples(res) == 0)
			r = PT_ENOTFOUND;
		else if (!col_int(res, 0, 11, role) || !decode_home(res, 0, h))
			r = log_eio_msg(what, "stored value out of range");
		PQclear(res);
	}
	read_leave(st, c, borrowed);
	if (r != PT_OK) {
		pt_wipe(h, sizeof(*h));
		*role = 0;
	}
	return r;
}

static int
pg_home_by_id(struct pt_store *base, const char *home_id, struct pt_home *h)
{
	struct pg_store *st = (struct pg_store *)base;

	if (h == NULL)
		return PT_EINVAL;
	memset(h, 0, sizeof(*h));
	if (st == NULL || home_id == NULL)
		return PT_EINVAL;
	if (!arg_fits(home_id, PT_ID_MAX))
		return PT_ENOTFOUND;
	return read_one(st, S_HOME_BY_ID, home_id, 0, decode_home, h, sizeof(*h),
			"cannot read a home");
}

/* A list with integer parameters: $1 = a, then $2 = *b if given, then the
 * limit. No parent to check: an unknown a lists nothing. */
static int
read_list(struct pg_store *st, enum sid id, int64_t a, const int64_t *b, decode_fn decode,
	  void *out, size_t size, size_t max, size_t *n, const char *what)
{
	struct pg_conn *c;
	struct params p;
	bool borrowed;
	int r;

	*n = 0;
	if (st == NULL || (out == NULL && max != 0))
		return PT_EINVAL;
	params_init(&p);
	p_i64(&p, a);
	if (b != NULL)
		p_i64(&p, *b);
	p_i64(&p, limit_of(max));
	if ((r = read_enter(st, &c, &borrowed, what)) != PT_OK)
		return r;
	r = fetch_list(c, id, &p, decode, out, size, max, n, what);
	read_leave(st, c, borrowed);
	return r;
}

static int
pg_home_list(struct pt_store *base, int64_t account, struct pt_home *out, size_t max, size_t *n)
{
	struct pg_store *st = (struct pg_store *)base;

	if (n == NULL)
		return PT_EINVAL;
	return read_list(st, S_HOME_LIST, account, NULL, decode_home, out, sizeof(*out), max, n,
			 "cannot list homes");
}

static int
pg_home_update(struct pt_store *base, const struct pt_home *h)
{
	struct pg_store *st = (struct pg_store *)base;
	const char *what = "cannot update a home";
	struct pg_conn *c;
	struct params p;
	int r;

	if (st == NULL || h == NULL)
		return PT_EINVAL;
	if ((r = write_enter(st, &c, what)) != PT_OK)
		return r;
	if (!str_fits(h->id, sizeof(h->id)) || !home_strings_fit(h) || !location_is_valid(h))
		return PT_EINVAL;
	if (!utf8_ok(h->id))
		return PT_ENOTFOUND;
	params_init(&p);
	p_str(&p, h->id);
	p_str(&p, h->name);
	p_str(&p, h->tz);
	p_str(&p, h->notes);
	p_str(&p, h->policy);
	p_i64(&p, now_or(h->updated_at));
	p_location(&p, h);
	return write_one(c, S_HOME_UPDATE, &p, true, NULL, what);
}

static int
pg_home_delete(struct pt_store *base, const char *home_id)
{
	struct pg_store *st = (struct pg_store *)base;
	const char *what = "cannot delete a home";
	struct pg_conn *c;
	struct params p;
	int r;

	if (st == NULL || home_id == NULL)
		return PT_EINVAL;
	if ((r = write_enter(st, &c, what)) != PT_OK)
		return r;
	if (!arg_fits(home_id, PT_ID_MAX))
		return PT_ENOTFOUND;
	/* Members, keys, grants, revocations, hubs, deliveries (and their
	 * steps), events and alerts go by ON DELETE CASCADE. */
	params_init(&p);
	p_str(&p, home_id);
	return write_one(c, S_HOME_DELETE, &p, true, NULL, what);
}

static int
pg_member_add(struct pt_store *base, const char *home_id, int64_t account, int role)
{
	struct pg_store *st = (struct pg_store *)base;
	const char *what = "cannot add a member";
	struct pg_conn *c;
	struct params p;
	int r;

	if (st == NULL || home_id == NULL)
		return PT_EINVAL;
	if ((r = write_enter(st, &c, what)) != PT_OK)
		return r;
	if (role != PT_HOME_OWNER && role != PT_HOME_MEMBER)
		return PT_EINVAL;
	if (!arg_fits(home_id, PT_ID_MAX))
		return PT_ENOTFOUND;
	params_init(&p);
	p_str(&p, home_id);
	p_i64(&p, account);
	p_i64(&p, role);
	return write_one(c, S_MEMBER_ADD, &p, true, NULL, what);
}

/* ---- members ---- */

static bool
decode_member(const PGresult *r, int i, void *out)
{
	struct pt_member *m = out;

	return COL_I64(r, i, 0, m->account) && col_str(r, i, 1, m->email, sizeof(m->email)) &&
	       col_str(r, i, 2, m->name, sizeof(m->name)) && col_int(r, i, 3, &m->role) &&
	       (m->role == PT_HOME_OWNER || m->role == PT_HOME_MEMBER);
}

static int list_of(struct pg_store *st, enum sid lookup, enum sid id, const char *parent,
		   const int64_t *since, decode_fn decode, void *out, size_t size, size_t max,
		   size_t *n, const char *what);

static int
pg_member_list(struct pt_store *base, const char *home_id, struct pt_member *out, size_t max,
	       size_t *n)
{
	struct pg_store *st = (struct pg_store *)base;

	if (n == NULL)
		return PT_EINVAL;
	return list_of(st, S_HOME_ROWID, S_MEMBER_LIST, home_id, NULL, decode_member, out,
		       sizeof(*out), max, n, "cannot list members");
}

static int home_lock(struct pg_conn *c, const char *home_id, int64_t *rowid, const char *what);

static int
pg_member_remove(struct pt_store *base, const char *home_id, int64_t account, int *role)
{
	struct pg_store *st = (struct pg_store *)base;
	const char *what = "cannot remove a member";
	struct pg_conn *c;
	struct params p;
	int64_t home, had = 0;
	int r;

	if (role != NULL)
		*role = 0;
	if (st == NULL || home_id == NULL)
		return PT_EINVAL;
	if ((r = write_enter(st, &c, what)) != PT_OK)
		return r;
	if (!arg_fits(home_id, PT_ID_MAX))
		return PT_ENOTFOUND;
	if ((r = sp_begin(c, NULL, what)) != PT_OK)
		return r;
	if ((r = home_lock(c, home_id, &home, what)) == PT_OK) {
		params_init(&p);
		p_i64(&p, home);
		p_i64(&p, account);
		r = fetch_id(c, S_MEMBER_REMOVE, &p, &had, what);
		if (r == PT_ENOTFOUND) {
			/* Nothing removed: not a member, or the last owner. */
			r = fetch_id(c, S_MEMBER_ROLE, &p, &had, what);
			if (r == PT_OK)
				r = PT_ECONFLICT;
		}
	}
	if (r == PT_OK && role != NULL)
		*role = (int)had;
	return sp_end(c, r, what);
}

/*
 * List the rows of a parent (a home, a carrier, a delivery) named by its
 * public id: PT_ENOTFOUND if it does not exist. The list statement finds
 * the parent itself ($1), then takes since if given, then the limit; only
 * when it returns no row does a second statement (lookup) tell an empty
 * list from a missing parent. Either answer is one the database gave.
 */
static int
list_of(struct pg_store *st, enum sid lookup, enum sid id, const char *parent,
	const int64_t *since, decode_fn decode, void *out, size_t size, size_t max, size_t *n,
	const char *what)
{
	struct pg_conn *c;
	struct params p;
	int64_t rowid;
	bool borrowed;
	int r;

	*n = 0;
	if (st == NULL || parent == NULL || (out == NULL && max != 0))
		return PT_EINVAL;
	if (!arg_fits(parent, PT_ID_MAX))
		return PT_ENOTFOUND;
	params_init(&p);
	p_str(&p, parent);
	if (since != NULL)
		p_i64(&p, *since);
	p_i64(&p, limit_of(max));
	if ((r = read_enter(st, &c, &borrowed, what)) != PT_OK)
		return r;
	r = fetch_list(c, id, &p, decode, out, size, max, n, what);
	if (r == PT_OK && *n == 0) {
		params_init(&p);
		p_str(&p, parent);
		r = fetch_id(c, lookup, &p, &rowid, what);
	}
	read_leave(st, c, borrowed);
	return r;
}

/* ---- owner keys ---- */

static int
pg_owner_key_insert(struct pt_store *base, struct pt_owner_key *k)
{
	struct pg_store *st = (struct pg_store *)base;
	const char *what = "cannot insert an owner key";
	struct pg_conn *c;
	struct params p;
	int r;

	if (k == NULL)
		return PT_EINVAL;
	k->id = 0;
	if (st == NULL)
		return PT_EINVAL;
	if ((r = write_enter(st, &c, what)) != PT_OK)
		return r;
	if (!str_fits(k->home_id, sizeof(k->home_id)) || !str_fits(k->label, sizeof(k->label)) ||
	    k->statement_len > sizeof(k->statement))
		return PT_EINVAL;
	if (!utf8_ok(k->home_id))
		return PT_ENOTFOUND;
	k->created_at = now_or(k->created_at);
	params_init(&p);
	p_str(&p, k->home_id);
	p_blob(&p, k->pk, sizeof(k->pk));
	p_str(&p, k->label);
	p_i64(&p, k->added_by);
	p_i64(&p, k->created_at);
	if (k->statement_len > 0)
		p_blob(&p, k->statement, k->statement_len);
	else
		p_null(&p, 'b');
	return write_one(c, S_KEY_INSERT, &p, false, &k->id, what);
}

static int
pg_owner_key_list(struct pt_store *base, const char *home_id, struct pt_owner_key *out,
		  size_t max, size_t *n)
{
	struct pg_store *st = (struct pg_store *)base;

	if (n == NULL)
		return PT_EINVAL;
	return list_of(st, S_HOME_ROWID, S_KEY_LIST, home_id, NULL, decode_key, out, sizeof(*out),
		       max, n, "cannot list owner keys");
}

/* ---- grants ---- */

static int
pg_grant_insert(struct pt_store *base, struct pt_grant_row *g)
{
	struct pg_store *st = (struct pg_store *)base;
	const char *what = "cannot insert a grant";
	struct pg_conn *c;
	struct params p;
	int r;

	if (g == NULL)
		return PT_EINVAL;
	g->id = 0;
	if (st == NULL)
		return PT_EINVAL;
	if ((r = write_enter(st, &c, what)) != PT_OK)
		return r;
	if (!str_fits(g->home_id, sizeof(g->home_id)) || !str_fits(g->label, sizeof(g->label)) ||
	    g->chain_len == 0 || g->chain_len > sizeof(g->chain))
		return PT_EINVAL;
	if (!utf8_ok(g->home_id))
		return PT_ENOTFOUND;
	g->created_at = now_or(g->created_at);
	params_init(&p);
	p_str(&p, g->home_id);
	p_blob(&p, g->chain, g->chain_len);
	p_blob(&p, g->cti, sizeof(g->cti));
	p_blob(&p, g->holder, sizeof(g->holder));
	p_i64(&p, g->n_links);
	p_i64(&p, g->purpose);
	p_i64(&p, g->exp);
	p_str(&p, g->label);
	p_i64(&p, g->created_by);
	p_i64(&p, g->created_at);
	return write_one(c, S_GRANT_INSERT, &p, false, &g->id, what);
}

static int
pg_grant_list(struct pt_store *base, const char *home_id, int64_t after,
	      struct pt_grant_row *out, size_t max, size_t *n)
{
	struct pg_store *st = (struct pg_store *)base;

	if (n == NULL)
		return PT_EINVAL;
	return list_of(st, S_HOME_ROWID, S_GRANT_LIST, home_id, &after, decode_grant, out,
		       sizeof(*out), max, n, "cannot list grants");
}

static int
pg_grant_list_by_holder(struct pt_store *base, const char *home_id,
			const uint8_t holder[PT_PK_LEN], struct pt_grant_row *out, size_t max,
			size_t *n)
{
	struct pg_store *st = (struct pg_store *)base;
	const char *what = "cannot list grants by holder";
	struct pg_conn *c;
	struct params p;
	bool borrowed;
	int r;

	if (n == NULL)
		return PT_EINVAL;
	*n = 0;
	if (st == NULL || home_id == NULL || holder == NULL || (out == NULL && max != 0))
		return PT_EINVAL;
	if (!arg_fits(home_id, PT_ID_MAX))
		return PT_OK;
	params_init(&p);
	p_str(&p, home_id);
	p_blob(&p, holder, PT_PK_LEN);
	p_i64(&p, limit_of(max));
	if ((r = read_enter(st, &c, &borrowed, what)) != PT_OK)
		return r;
	r = fetch_list(c, S_GRANT_BY_HOLDER, &p, decode_grant, out, sizeof(*out), max, n, what);
	read_leave(st, c, borrowed);
	return r;
}

/* ---- revocations ---- */

/* Lock the home's row until commit (S_HOME_LOCK); *rowid gets its id.
 * PT_ENOTFOUND if there is no such home. Under the caller's savepoint. */
static int
home_lock(struct pg_conn *c, const char *home_id, int64_t *rowid, const char *what)
{
	struct params p;

	params_init(&p);
	p_str(&p, home_id);
	return fetch_id(c, S_HOME_LOCK, &p, rowid, what);
}

static int
pg_revocation_insert(struct pt_store *base, struct pt_revocation_row *v)
{
	struct pg_store *st = (struct pg_store *)base;
	const char *what = "cannot insert a revocation";
	struct pg_conn *c;
	struct params p;
	int64_t home;
	int r;

	if (v == NULL)
		return PT_EINVAL;
	v->version = 0;
	if (st == NULL)
		return PT_EINVAL;
	if ((r = write_enter(st, &c, what)) != PT_OK)
		return r;
	if (!str_fits(v->home_id, sizeof(v->home_id)) || v->envelope_len == 0 ||
	    v->envelope_len > sizeof(v->envelope) || v->target_len > sizeof(v->target))
		return PT_EINVAL;
	if (!utf8_ok(v->home_id))
		return PT_ENOTFOUND;
	if ((r = sp_begin(c, NULL, what)) != PT_OK)
		return r;
	v->created_at = now_or(v->created_at);
	/* Versions are 1 + the home's highest: two transactions must not both
	 * read the same highest. The lock is taken by a statement of its own,
	 * so the insert's snapshot, taken after it, sees every version
	 * committed before the lock was granted. */
	if ((r = home_lock(c, v->home_id, &home, what)) == PT_OK) {
		params_init(&p);
		p_i64(&p, home);
		p_blob(&p, v->envelope, v->envelope_len);
		p_i64(&p, v->kind);
		p_blob(&p, v->target, v->target_len);
		p_i64(&p, v->created_by);
		p_i64(&p, v->created_at);
		r = fetch_id(c, S_REV_INSERT, &p, &v->version, what);
		if (r == PT_ENOTFOUND)
			r = log_eio_msg(what, "no row inserted");
	}
	if (r != PT_OK)
		v->version = 0;
	return sp_end(c, r, what);
}

static int
pg_revocation_list(struct pt_store *base, const char *home_id, int64_t since_version,
		   struct pt_revocation_row *out, size_t max, size_t *n)
{
	struct pg_store *st = (struct pg_store *)base;

	if (n == NULL)
		return PT_EINVAL;
	return list_of(st, S_HOME_ROWID, S_REV_LIST, home_id, &since_version, decode_revocation,
		       out, sizeof(*out), max, n, "cannot list revocations");
}

static int
pg_revocation_newest(struct pt_store *base, const char *home_id, int64_t *version)
{
	struct pg_store *st = (struct pg_store *)base;
	const char *what = "cannot read the newest revocation";
	struct pg_conn *c;
	struct params p;
	bool borrowed;
	int r;

	if (version == NULL)
		return PT_EINVAL;
	*version = 0;
	if (st == NULL || home_id == NULL)
		return PT_EINVAL;
	if (!arg_fits(home_id, PT_ID_MAX))
		return PT_ENOTFOUND;
	params_init(&p);
	p_str(&p, home_id);
	if ((r = read_enter(st, &c, &borrowed, what)) == PT_OK) {
		r = fetch_id(c, S_REV_NEWEST, &p, version, what);
		read_leave(st, c, borrowed);
	}
	if (r != PT_OK)
		*version = 0;
	return r;
}

static int
pg_revocation_key_find(struct pt_store *base, const char *home_id, const uint8_t pk[PT_PK_LEN],
		       bool *found)
{
	struct pg_store *st = (struct pg_store *)base;
	const char *what = "cannot look up a key revocation";
	struct pg_conn *c;
	struct params p;
	PGresult *res;
	bool borrowed;
	int r;

	if (found == NULL)
		return PT_EINVAL;
	*found = false;
	if (st == NULL || home_id == NULL || pk == NULL)
		return PT_EINVAL;
	if (!arg_fits(home_id, PT_ID_MAX))
		return PT_ENOTFOUND;
	params_init(&p);
	p_str(&p, home_id);
	p_i64(&p, PT_REVOKE_KEY);
	p_blob(&p, pk, PT_PK_LEN);
	if ((r = read_enter(st, &c, &borrowed, what)) != PT_OK)
		return r;
	if ((r = exec_stmt(c, S_REV_KEY_FIND, &p, &res, what)) == PT_OK) {
		if (PQntuples(res) == 0)
			r = PT_ENOTFOUND;
		else if (!col_bool(res, 0, 0, found))
			r = log_eio_msg(what, "stored value out of range");
		PQclear(res);
	}
	read_leave(st, c, borrowed);
	if (r != PT_OK)
		*found = false;
	return r;
}

/* ---- audit ---- */

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
 * Byte for byte the input of store_sqlite.c, docs/api.md and
 * docs/storage.md: a chain verifies whichever backend wrote it.
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
	p = buf + PT_HASH_LEN;
	put_be64(p, (uint64_t)seq);
	put_be64(p + 8, (uint64_t)at);
	put_be64(p + 16, (uint64_t)actor);
	p += 24;
	p = put_field(p, action, alen);
	p = put_field(p, target, tlen);
	p = put_field(p, detail, dlen);
	pt_crypto_sodium()->sha256(out, buf, (size_t)(p - buf));
	free(buf);
	return PT_OK;
}

static int
pg_audit_append(struct pt_store *base, int64_t at, int64_t actor, const char *action,
		const char *target, const char *detail)
{
	struct pg_store *st = (struct pg_store *)base;
	const char *what = "cannot append to the audit trail";
	struct pt_audit_row row;	/* for its field sizes */
	uint8_t prev[PT_HASH_LEN], hash[PT_HASH_LEN];
	size_t alen, tlen, dlen;
	struct pg_conn *c;
	struct params p;
	PGresult *res;
	int64_t seq = 0;
	int r;

	if (st == NULL || action == NULL || target == NULL || detail == NULL)
		return PT_EINVAL;
	if ((r = write_enter(st, &c, what)) != PT_OK)
		return r;
	alen = strnlen(action, sizeof(row.action));
	tlen = strnlen(target, sizeof(row.target));
	dlen = strnlen(detail, sizeof(row.detail));
	if (alen == 0 || alen == sizeof(row.action) || tlen == sizeof(row.target) ||
	    dlen == sizeof(row.detail))
		return PT_EINVAL;
	/* One chain for every porterd: whoever appends holds the tail until
	 * its transaction ends, so seq and prev follow commit order. Readers
	 * (verify) are not blocked. */
	if ((r = sp_begin(c, "SELECT pg_advisory_xact_lock(" AUDIT_LOCK ")", what)) != PT_OK)
		return r;
	memset(prev, 0, sizeof(prev));
	params_init(&p);
	if ((r = exec_stmt(c, S_AUDIT_LAST, &p, &res, what)) != PT_OK)
		goto out;
	if (PQntuples(res) == 1 &&
	    (!col_i64(res, 0, 0, &seq) || seq < 1 || seq == INT64_MAX ||
	     !col_blob_exact(res, 0, 1, prev, sizeof(prev))))
		r = log_eio_msg(what, "the last row is damaged");
	PQclear(res);
	if (r != PT_OK)
		goto out;
	seq++;
	r = audit_hash(hash, prev, seq, at, actor, (const unsigned char *)action, alen,
		       (const unsigned char *)target, tlen, (const unsigned char *)detail, dlen);
	if (r != PT_OK)
		goto out;
	params_init(&p);
	p_i64(&p, seq);
	p_i64(&p, at);
	p_i64(&p, actor);
	p_str(&p, action);
	p_str(&p, target);
	p_str(&p, detail);
	p_blob(&p, prev, sizeof(prev));
	p_blob(&p, hash, sizeof(hash));
	r = run(c, S_AUDIT_INSERT, &p, NULL, what);
out:
	return sp_end(c, r, what);
}

/* The audit walk's state, row after row. */
struct walk {
	uint8_t last[PT_HASH_LEN];
	int64_t expect, good, bad;
	bool broken;
	int r;
};

static void
walk_row(struct walk *w, const PGresult *res, int i)
{
	uint8_t prev[PT_HASH_LEN], hash[PT_HASH_LEN], want[PT_HASH_LEN];
	int64_t seq, at, actor;

	if (!col_i64(res, i, 0, &seq) || !col_i64(res, i, 1, &at) || !col_i64(res, i, 2, &actor) ||
	    PQgetisnull(res, i, 3) || PQgetisnull(res, i, 4) || PQgetisnull(res, i, 5)) {
		w->r = log_eio_msg("cannot verify the audit trail", "stored value out of range");
		return;
	}
	if (seq != w->expect || !col_blob_exact(res, i, 6, prev, sizeof(prev)) ||
	    memcmp(prev, w->last, sizeof(prev)) != 0 ||
	    !col_blob_exact(res, i, 7, hash, sizeof(hash))) {
		w->bad = seq;
		w->broken = true;
		return;
	}
	w->r = audit_hash(want, prev, seq, at, actor,
			  (const unsigned char *)PQgetvalue(res, i, 3),
			  (size_t)PQgetlength(res, i, 3),
			  (const unsigned char *)PQgetvalue(res, i, 4),
			  (size_t)PQgetlength(res, i, 4),
			  (const unsigned char *)PQgetvalue(res, i, 5),
			  (size_t)PQgetlength(res, i, 5));
	if (w->r != PT_OK)
		return;
	if (memcmp(want, hash, sizeof(hash)) != 0) {
		w->bad = seq;
		w->broken = true;
		return;
	}
	memcpy(w->last, hash, sizeof(w->last));
	w->good++;
	w->expect = seq == INT64_MAX ? 0 : seq + 1;	/* no row can follow INT64_MAX */
}

static int
pg_audit_verify(struct pt_store *base, int64_t *bad_seq, int64_t *rows)
{
	struct pg_store *st = (struct pg_store *)base;
	const char *what = "cannot verify the audit trail";
	struct pg_conn *c;
	struct walk w;
	PGresult *res;
	char name[16];
	bool borrowed;
	int i, r;

	if (bad_seq == NULL || rows == NULL)
		return PT_EINVAL;
	*bad_seq = 0;
	*rows = 0;
	if (st == NULL)
		return PT_EINVAL;
	memset(&w, 0, sizeof(w));
	w.expect = 1;
	if ((r = read_enter(st, &c, &borrowed, what)) != PT_OK)
		return r;
	if ((r = prepare(c, S_AUDIT_ALL, what)) != PT_OK)
		goto out;
	/* One SELECT: one consistent snapshot of the whole chain, streamed a
	 * row at a time (the chain may be longer than memory should hold). */
	stmt_name(S_AUDIT_ALL, name);
	if (!PQsendQueryPrepared(c->pq, name, 0, NULL, NULL, NULL, 1)) {
		r = log_eio_conn(c->pq, what);
		goto out;
	}
	(void)PQsetSingleRowMode(c->pq);
	while ((res = PQgetResult(c->pq)) != NULL) {
		ExecStatusType s = PQresultStatus(res);

		if (s == PGRES_SINGLE_TUPLE || s == PGRES_TUPLES_OK) {
			for (i = 0; i < PQntuples(res) && w.r == PT_OK && !w.broken; i++)
				walk_row(&w, res, i);
		} else if (r == PT_OK) {
			r = map_err(c->pq, res, what);
			if (r != PT_EIO)
				r = log_eio_msg(what, "the walk failed");
		}
		PQclear(res);	/* and read on: the connection must be drained */
	}
	if (r == PT_OK)
		r = w.r;
	if (r == PT_OK && w.broken) {
		r = PT_EBADSIG;
		*bad_seq = w.bad;
	}
	if (r == PT_OK || r == PT_EBADSIG)
		*rows = w.good;
out:
	read_leave(st, c, borrowed);
	return r;
}

/* ---- carriers ---- */

static int
pg_carrier_insert(struct pt_store *base, struct pt_carrier *c)
{
	struct pg_store *st = (struct pg_store *)base;
	const char *what = "cannot insert a carrier";
	struct pg_conn *k;
	struct params p;
	int r;

	if (c == NULL)
		return PT_EINVAL;
	c->rowid = 0;
	if (st == NULL)
		return PT_EINVAL;
	if ((r = write_enter(st, &k, what)) != PT_OK)
		return r;
	/* A hosted carrier comes with its sealed seed, any other without. */
	if (!str_fits(c->id, sizeof(c->id)) || !pt_id_is_valid(c->id, strlen(c->id)) ||
	    !str_fits(c->name, sizeof(c->name)) || c->sealed_seed_len > sizeof(c->sealed_seed) ||
	    c->hosted != (c->sealed_seed_len != 0))
		return PT_EINVAL;
	c->created_at = now_or(c->created_at);
	params_init(&p);
	p_str(&p, c->id);
	p_str(&p, c->name);
	p_blob(&p, c->pk, sizeof(c->pk));
	p_bool(&p, c->hosted);
	if (c->hosted)
		p_blob(&p, c->sealed_seed, c->sealed_seed_len);
	else
		p_null(&p, 'b');
	p_i64(&p, c->admin);
	p_i64(&p, c->created_at);
	/* PT_ENOTFOUND: the admin account does not exist. */
	return write_one(k, S_CARRIER_INSERT, &p, false, &c->rowid, what);
}

static int
pg_carrier_get(struct pt_store *base, const char *id, struct pt_carrier *c)
{
	struct pg_store *st = (struct pg_store *)base;

	if (c == NULL)
		return PT_EINVAL;
	memset(c, 0, sizeof(*c));
	if (st == NULL || id == NULL)
		return PT_EINVAL;
	if (!arg_fits(id, PT_ID_MAX))
		return PT_ENOTFOUND;
	return read_one(st, S_CARRIER_GET, id, 0, decode_carrier, c, sizeof(*c),
			"cannot read a carrier");
}

static int
pg_carrier_list(struct pt_store *base, int64_t after, struct pt_carrier *out, size_t max,
		size_t *n)
{
	struct pg_store *st = (struct pg_store *)base;

	if (n == NULL)
		return PT_EINVAL;
	return read_list(st, S_CARRIER_LIST, after, NULL, decode_carrier, out, sizeof(*out), max, n,
			 "cannot list carriers");
}

/* ---- couriers ---- */

static int
pg_courier_insert(struct pt_store *base, const struct pt_courier *c)
{
	struct pg_store *st = (struct pg_store *)base;
	const char *what = "cannot insert a courier";
	struct pg_conn *k;
	struct params p;
	int64_t created;
	int r;

	if (st == NULL || c == NULL)
		return PT_EINVAL;
	if ((r = write_enter(st, &k, what)) != PT_OK)
		return r;
	if (!str_fits(c->carrier_id, sizeof(c->carrier_id)) || !str_fits(c->name, sizeof(c->name)) ||
	    c->attestation_len == 0 || c->attestation_len > sizeof(c->attestation))
		return PT_EINVAL;
	if (!utf8_ok(c->carrier_id))
		return PT_ENOTFOUND;
	created = now_or(c->created_at);
	params_init(&p);
	p_i64(&p, c->account);
	p_str(&p, c->carrier_id);
	p_str(&p, c->name);
	p_i64(&p, c->level);
	p_blob(&p, c->attestation, c->attestation_len);
	p_bool(&p, c->active);
	p_i64(&p, created);
	p_i64(&p, c->updated_at != 0 ? c->updated_at : created);
	/* Nothing inserted: the carrier does not exist (an unknown account is
	 * the foreign key's PT_ENOTFOUND). */
	return write_one(k, S_COURIER_INSERT, &p, true, NULL, what);
}

static int
pg_courier_get(struct pt_store *base, int64_t account, struct pt_courier *c)
{
	struct pg_store *st = (struct pg_store *)base;

	if (c == NULL)
		return PT_EINVAL;
	memset(c, 0, sizeof(*c));
	if (st == NULL)
		return PT_EINVAL;
	return read_one(st, S_COURIER_GET, NULL, account, decode_courier, c, sizeof(*c),
			"cannot read a courier");
}

static int
pg_courier_list(struct pt_store *base, const char *carrier_id, int64_t after,
		struct pt_courier *out, size_t max, size_t *n)
{
	struct pg_store *st = (struct pg_store *)base;

	if (n == NULL)
		return PT_EINVAL;
	return list_of(st, S_CARRIER_ROWID, S_COURIER_LIST, carrier_id, &after, decode_courier, out,
		       sizeof(*out), max, n, "cannot list couriers");
}

static int
pg_courier_deactivate(struct pt_store *base, const char *carrier_id, int64_t account,
		      int64_t at)
{
	struct pg_store *st = (struct pg_store *)base;
	const char *what = "cannot deactivate a courier";
	struct pg_conn *c;
	struct params p;
	int r;

	if (st == NULL || carrier_id == NULL)
		return PT_EINVAL;
	if ((r = write_enter(st, &c, what)) != PT_OK)
		return r;
	if (!arg_fits(carrier_id, PT_ID_MAX))
		return PT_ENOTFOUND;
	params_init(&p);
	p_str(&p, carrier_id);
	p_i64(&p, account);
	p_i64(&p, now_or(at));
	return write_one(c, S_COURIER_DEACTIVATE, &p, true, NULL, what);
}

/* ---- devices ---- */

static int
pg_device_insert(struct pt_store *base, struct pt_device *d)
{
	struct pg_store *st = (struct pg_store *)base;
	const char *what = "cannot insert a device";
	struct pg_conn *c;
	struct params p;
	int r;

	if (d == NULL)
		return PT_EINVAL;
	d->id = 0;
	if (st == NULL)
		return PT_EINVAL;
	if ((r = write_enter(st, &c, what)) != PT_OK)
		return r;
	if (!str_fits(d->label, sizeof(d->label)))
		return PT_EINVAL;
	d->created_at = now_or(d->created_at);
	params_init(&p);
	p_i64(&p, d->account);
	p_blob(&p, d->pk, sizeof(d->pk));
	p_str(&p, d->label);
	p_i64(&p, d->created_at);
	/* PT_ENOTFOUND: the account does not exist. */
	return write_one(c, S_DEVICE_INSERT, &p, false, &d->id, what);
}

static int
pg_device_list(struct pt_store *base, int64_t account, struct pt_device *out, size_t max,
	       size_t *n)
{
	struct pg_store *st = (struct pg_store *)base;

	if (n == NULL)
		return PT_EINVAL;
	return read_list(st, S_DEVICE_LIST, account, NULL, decode_device, out, sizeof(*out), max, n,
			 "cannot list devices");
}

static int
pg_device_delete(struct pt_store *base, int64_t account, int64_t id)
{
	struct pg_store *st = (struct pg_store *)base;
	const char *what = "cannot delete a device";
	struct pg_conn *c;
	struct params p;
	int r;

	if (st == NULL)
		return PT_EINVAL;
	if ((r = write_enter(st, &c, what)) != PT_OK)
		return r;
	params_init(&p);
	p_i64(&p, account);
	p_i64(&p, id);
	return write_one(c, S_DEVICE_DELETE, &p, true, NULL, what);
}

static int
pg_device_by_pk(struct pt_store *base, int64_t account, const uint8_t pk[PT_PK_LEN],
		struct pt_device *d)
{
	struct pg_store *st = (struct pg_store *)base;
	const char *what = "cannot read a device";
	struct pg_conn *c;
	struct params p;
	bool borrowed;
	int r;

	if (d == NULL)
		return PT_EINVAL;
	memset(d, 0, sizeof(*d));
	if (st == NULL || pk == NULL)
		return PT_EINVAL;
	params_init(&p);
	p_i64(&p, account);
	p_blob(&p, pk, PT_PK_LEN);
	if ((r = read_enter(st, &c, &borrowed, what)) == PT_OK) {
		r = fetch_one(c, S_DEVICE_BY_PK, &p, decode_device, d, what);
		read_leave(st, c, borrowed);
	}
	if (r != PT_OK)
		pt_wipe(d, sizeof(*d));
	return r;
}

/* ---- hubs ---- */

static int
pg_hub_insert(struct pt_store *base, struct pt_hub *h)
{
	struct pg_store *st = (struct pg_store *)base;
	const char *what = "cannot insert a hub";
	struct pg_conn *c;
	struct params p;
	int r;

	if (h == NULL)
		return PT_EINVAL;
	h->rowid = 0;
	if (st == NULL)
		return PT_EINVAL;
	if ((r = write_enter(st, &c, what)) != PT_OK)
		return r;
	if (!str_fits(h->id, sizeof(h->id)) || !pt_id_is_valid(h->id, strlen(h->id)) ||
	    !str_fits(h->home_id, sizeof(h->home_id)) || !str_fits(h->label, sizeof(h->label)) ||
	    h->pairing_len == 0 || h->pairing_len > sizeof(h->pairing))
		return PT_EINVAL;
	if (!utf8_ok(h->home_id))
		return PT_ENOTFOUND;
	h->created_at = now_or(h->created_at);
	params_init(&p);
	p_str(&p, h->id);
	p_str(&p, h->home_id);
	p_blob(&p, h->pk, sizeof(h->pk));
	p_str(&p, h->label);
	p_blob(&p, h->pairing, h->pairing_len);
	p_i64(&p, h->paired_by);
	p_i64(&p, h->created_at);
	p_i64(&p, h->last_seen);
	return write_one(c, S_HUB_INSERT, &p, false, &h->rowid, what);
}

static int
pg_hub_list(struct pt_store *base, const char *home_id, struct pt_hub *out, size_t max, size_t *n)
{
	struct pg_store *st = (struct pg_store *)base;

	if (n == NULL)
		return PT_EINVAL;
	return list_of(st, S_HOME_ROWID, S_HUB_LIST, home_id, NULL, decode_hub, out, sizeof(*out),
		       max, n, "cannot list hubs");
}

/* rowid > 0: only that row, only while unconfirmed (S_HUB_DELETE). */
static int
pg_hub_delete(struct pt_store *base, const char *home_id, const char *hub_id, int64_t rowid,
	      int64_t removed_at)
{
	struct pg_store *st = (struct pg_store *)base;
	const char *what = "cannot delete a hub";
	struct pg_conn *c;
	struct params p;
	int r;

	if (st == NULL || home_id == NULL || hub_id == NULL)
		return PT_EINVAL;
	if ((r = write_enter(st, &c, what)) != PT_OK)
		return r;
	if (!arg_fits(home_id, PT_ID_MAX) || !arg_fits(hub_id, PT_ID_MAX))
		return PT_ENOTFOUND;
	if (!utf8_ok(home_id) || !utf8_ok(hub_id))
		return PT_ENOTFOUND;
	params_init(&p);
	p_str(&p, home_id);
	p_str(&p, hub_id);
	p_i64(&p, now_or(removed_at));
	p_i64(&p, rowid);
	return write_one(c, S_HUB_DELETE, &p, true, NULL, what);
}

static bool
decode_hub_get(const PGresult *r, int i, void *out)
{
	struct pt_hub *h = out;

	return decode_hub(r, i, out) && COL_I64(r, i, 12, h->removed_at);
}

static int
pg_hub_get(struct pt_store *base, const char *home_id, const char *hub_id, struct pt_hub *h)
{
	struct pg_store *st = (struct pg_store *)base;
	const char *what = "cannot read a hub";
	struct pg_conn *c;
	struct params p;
	bool borrowed;
	int r;

	if (!arg_fits(home_id, PT_ID_MAX) || !arg_fits(hub_id, PT_ID_MAX) || !utf8_ok(home_id) ||
	    !utf8_ok(hub_id))
		return PT_ENOTFOUND;
	params_init(&p);
	p_str(&p, home_id);
	p_str(&p, hub_id);
	if ((r = read_enter(st, &c, &borrowed, what)) == PT_OK) {
		r = fetch_one(c, S_HUB_GET, &p, decode_hub_get, h, what);
		read_leave(st, c, borrowed);
	}
	if (r != PT_OK)
		pt_wipe(h, sizeof(*h));
	return r;
}

static int
pg_hub_by_id(struct pt_store *base, const char *hub_id, struct pt_hub *h)
{
	struct pg_store *st = (struct pg_store *)base;

	if (h == NULL)
		return PT_EINVAL;
	memset(h, 0, sizeof(*h));
	if (st == NULL || hub_id == NULL)
		return PT_EINVAL;
	if (!arg_fits(hub_id, PT_ID_MAX))
		return PT_ENOTFOUND;
	return read_one(st, S_HUB_BY_ID, hub_id, 0, decode_hub, h, sizeof(*h), "cannot read a hub");
}

static int
pg_hub_seen(struct pt_store *base, const char *hub_id, int64_t at, bool online, bool *changed)
{
	struct pg_store *st = (struct pg_store *)base;
	const char *what = "cannot record a hub's state";
	struct pg_conn *c;
	struct params p;
	int64_t changes = 0;
	int r;

	if (changed == NULL)
		return PT_EINVAL;
	*changed = false;
	if (st == NULL || hub_id == NULL)
		return PT_EINVAL;
	if ((r = write_enter(st, &c, what)) != PT_OK)
		return r;
	if (!arg_fits(hub_id, PT_ID_MAX))
		return PT_ENOTFOUND;
	if ((r = sp_begin(c, NULL, what)) != PT_OK)
		return r;
	params_init(&p);
	p_str(&p, hub_id);
	p_bool(&p, online);
	p_i64(&p, at);
	r = run(c, S_HUB_SEEN_FLIP, &p, &changes, what);
	if (r == PT_OK && changes == 1)
		*changed = true;
	else if (r == PT_OK)
		r = run_changing(c, S_HUB_SEEN, &p, what);
	if (r != PT_OK)
		*changed = false;
	return sp_end(c, r, what);
}

static int
pg_hub_confirm_set(struct pt_store *base, const char *home_id, const char *hub_id, bool confirmed,
		   bool *changed)
{
	struct pg_store *st = (struct pg_store *)base;
	const char *what = "cannot record a hub's confirmation";
	struct pg_conn *c;
	struct params p;
	int64_t changes = 0;
	int r;

	*changed = false;
	if ((r = write_enter(st, &c, what)) != PT_OK)
		return r;
	if (!arg_fits(home_id, PT_ID_MAX) || !arg_fits(hub_id, PT_ID_MAX) || !utf8_ok(home_id) ||
	    !utf8_ok(hub_id))
		return PT_ENOTFOUND;
	if ((r = sp_begin(c, NULL, what)) != PT_OK)
		return r;
	params_init(&p);
	p_str(&p, home_id);
	p_str(&p, hub_id);
	p_bool(&p, confirmed);
	r = run(c, S_HUB_CONFIRM_FLIP, &p, &changes, what);
	if (r == PT_OK && changes == 1)
		*changed = true;
	else if (r == PT_OK)
		r = run_changing(c, S_HUB_CONFIRM_SAME, &p, what);
	if (r != PT_OK)
		*changed = false;
	return sp_end(c, r, what);
}

/* The hub's row locked (S_HUB_HOLD) in this thread's transaction; a
 * released savepoint keeps its row locks until the transaction ends. */
static int
pg_hub_hold(struct pt_store *base, const char *home_id, const char *hub_id)
{
	struct pg_store *st = (struct pg_store *)base;
	const char *what = "cannot read a hub's confirmation";
	struct pg_conn *c;
	struct params p;
	int64_t confirmed = 0;
	int r;

	if ((r = write_enter(st, &c, what)) != PT_OK)
		return r;
	if (!arg_fits(home_id, PT_ID_MAX) || !arg_fits(hub_id, PT_ID_MAX) || !utf8_ok(home_id) ||
	    !utf8_ok(hub_id))
		return PT_ENOTFOUND;
	if ((r = sp_begin(c, NULL, what)) != PT_OK)
		return r;
	params_init(&p);
	p_str(&p, home_id);
	p_str(&p, hub_id);
	r = fetch_id(c, S_HUB_HOLD, &p, &confirmed, what);
	if (r == PT_OK && confirmed != 1)
		r = PT_ECONFLICT;
	return sp_end(c, r, what);
}

/* Inside the caller's transaction (in a savepoint), or one statement on a
 * borrowed connection, committed on its own. */
static int
pg_hub_state_set(struct pt_store *base, const char *hub_id, const char *state)
{
	struct pg_store *st = (struct pg_store *)base;
	const char *what = "cannot store a hub's state";
	struct pg_conn *c;
	struct params p;
	size_t n;
	int r;

	if (st == NULL || hub_id == NULL || state == NULL)
		return PT_EINVAL;
	n = strnlen(state, PT_HUB_STATE_MAX + 1);
	if (n < 2 || n > PT_HUB_STATE_MAX || !utf8_ok(state))
		return PT_EINVAL;
	if (!arg_fits(hub_id, PT_ID_MAX) || !utf8_ok(hub_id))
		return PT_ENOTFOUND;
	params_init(&p);
	p_str(&p, hub_id);
	p_str(&p, state);
	if (tx_conn(st) != NULL) {
		if ((r = write_enter(st, &c, what)) != PT_OK)
			return r;
		return write_one(c, S_HUB_STATE, &p, true, NULL, what);
	}
	if ((r = conn_get(st, &c, what)) != PT_OK)
		return r;
	r = run_changing(c, S_HUB_STATE, &p, what);
	conn_put(st, c);
	return r;
}

static int
pg_hub_list_online(struct pt_store *base, int64_t after, struct pt_hub *out, size_t max, size_t *n)
{
	struct pg_store *st = (struct pg_store *)base;

	if (n == NULL)
		return PT_EINVAL;
	return read_list(st, S_HUB_ONLINE, after, NULL, decode_hub, out, sizeof(*out), max, n,
			 "cannot list online hubs");
}

/* The source of a hub's events: "hub:<id>". false if it cannot name one. */
static bool
hub_source(const char *hub_id, char source[PT_SOURCE_MAX + 1])
{
	int n;

	if (!arg_fits(hub_id, PT_ID_MAX))
		return false;
	n = snprintf(source, PT_SOURCE_MAX + 1, "hub:%s", hub_id);
	return n > 0 && n <= PT_SOURCE_MAX;
}

static int
pg_hub_event_last(struct pt_store *base, const char *hub_id, int64_t *seq,
		  uint8_t hash[PT_HASH_LEN])
{
	struct pg_store *st = (struct pg_store *)base;
	const char *what = "cannot read a hub's last event";
	char source[PT_SOURCE_MAX + 1];
	struct pg_conn *c;
	struct params p;
	PGresult *res;
	bool borrowed;
	int r;

	if (seq == NULL || hash == NULL)
		return PT_EINVAL;
	*seq = 0;
	memset(hash, 0, PT_HASH_LEN);
	if (st == NULL || hub_id == NULL)
		return PT_EINVAL;
	if (!hub_source(hub_id, source))
		return PT_ENOTFOUND;
	params_init(&p);
	p_str(&p, hub_id);
	p_str(&p, source);
	if ((r = read_enter(st, &c, &borrowed, what)) != PT_OK)
		return r;
	if ((r = exec_stmt(c, S_HUB_EVENT_LAST, &p, &res, what)) == PT_OK) {
		if (PQntuples(res) == 0)
			r = PT_ENOTFOUND;
		else if (!PQgetisnull(res, 0, 0) &&
			 (!col_i64(res, 0, 0, seq) ||
			  (!PQgetisnull(res, 0, 1) && !col_blob_exact(res, 0, 1, hash, PT_HASH_LEN))))
			r = log_eio_msg(what, "stored value out of range");
		PQclear(res);
	}
	read_leave(st, c, borrowed);
	if (r != PT_OK) {
		*seq = 0;
		memset(hash, 0, PT_HASH_LEN);
	}
	return r;
}

static int
pg_hub_event_hash(struct pt_store *base, const char *hub_id, int64_t seq,
		  uint8_t hash[PT_HASH_LEN])
{
	struct pg_store *st = (struct pg_store *)base;
	const char *what = "cannot read a hub's event";
	char source[PT_SOURCE_MAX + 1];
	struct pg_conn *c;
	struct params p;
	PGresult *res;
	bool borrowed;
	int r;

	if (hash == NULL)
		return PT_EINVAL;
	memset(hash, 0, PT_HASH_LEN);
	if (st == NULL || hub_id == NULL)
		return PT_EINVAL;
	if (seq < 1 || !hub_source(hub_id, source))
		return PT_ENOTFOUND;
	params_init(&p);
	p_str(&p, hub_id);
	p_str(&p, source);
	p_i64(&p, seq);
	if ((r = read_enter(st, &c, &borrowed, what)) != PT_OK)
		return r;
	if ((r = exec_stmt(c, S_HUB_EVENT_HASH, &p, &res, what)) == PT_OK) {
		if (PQntuples(res) == 0 || PQgetisnull(res, 0, 0))
			r = PT_ENOTFOUND;
		else if (!PQgetisnull(res, 0, 1) && !col_blob_exact(res, 0, 1, hash, PT_HASH_LEN))
			r = log_eio_msg(what, "stored value out of range");
		PQclear(res);
	}
	read_leave(st, c, borrowed);
	if (r != PT_OK)
		memset(hash, 0, PT_HASH_LEN);
	return r;
}

/* ---- deliveries ---- */

/* The token column: NULL until a credential is issued. */
static void
p_token(struct params *p, const struct pt_delivery *d)
{
	if (d->has_token)
		p_blob(p, d->token_id, sizeof(d->token_id));
	else
		p_null(p, 'b');
}

static int
pg_delivery_insert(struct pt_store *base, struct pt_delivery *d, int64_t actor)
{
	struct pg_store *st = (struct pg_store *)base;
	const char *what = "cannot insert a delivery";
	struct pg_conn *c;
	struct params p;
	int r;

	if (d == NULL)
		return PT_EINVAL;
	d->rowid = 0;
	if (st == NULL)
		return PT_EINVAL;
	if ((r = write_enter(st, &c, what)) != PT_OK)
		return r;
	if (!str_fits(d->id, sizeof(d->id)) || !pt_id_is_valid(d->id, strlen(d->id)) ||
	    !str_fits(d->home_id, sizeof(d->home_id)) ||
	    !str_fits(d->carrier_id, sizeof(d->carrier_id)) ||
	    !str_fits(d->package_id, sizeof(d->package_id)) ||
	    !str_fits(d->reason, sizeof(d->reason)))
		return PT_EINVAL;
	if (!utf8_ok(d->home_id) || !utf8_ok(d->carrier_id))
		return PT_ENOTFOUND;
	if ((r = sp_begin(c, NULL, what)) != PT_OK)
		return r;
	d->created_at = now_or(d->created_at);
	d->updated_at = d->updated_at != 0 ? d->updated_at : d->created_at;
	params_init(&p);
	p_str(&p, d->id);
	p_str(&p, d->home_id);
	p_str(&p, d->carrier_id);
	p_str(&p, d->package_id);
	p_i64(&p, d->courier);
	p_i64(&p, d->device);
	p_i64(&p, d->state);
	p_i64(&p, d->approval);
	p_bool(&p, d->in_home);
	p_i64(&p, d->window_start);
	p_i64(&p, d->window_end);
	p_token(&p, d);
	p_str(&p, d->reason);
	p_i64(&p, d->created_at);
	p_i64(&p, d->updated_at);
	p_i64(&p, actor);
	/* PT_ENOTFOUND: the home or the carrier does not exist. */
	r = fetch_id(c, S_DELIVERY_INSERT, &p, &d->rowid, what);
	if (r != PT_OK)
		d->rowid = 0;
	return sp_end(c, r, what);
}

static int
pg_delivery_get(struct pt_store *base, const char *id, struct pt_delivery *d)
{
	struct pg_store *st = (struct pg_store *)base;

	if (d == NULL)
		return PT_EINVAL;
	memset(d, 0, sizeof(*d));
	if (st == NULL || id == NULL)
		return PT_EINVAL;
	if (!arg_fits(id, PT_ID_MAX))
		return PT_ENOTFOUND;
	return read_one(st, S_DELIVERY_GET, id, 0, decode_delivery, d, sizeof(*d),
			"cannot read a delivery");
}

static int
pg_delivery_update(struct pt_store *base, const struct pt_delivery *d, uint8_t from_state,
		   int64_t actor)
{
	struct pg_store *st = (struct pg_store *)base;
	const char *what = "cannot update a delivery";
	struct pg_conn *c;
	struct params p;
	int64_t rowid = 0, updated;
	int r;

	if (st == NULL || d == NULL)
		return PT_EINVAL;
	if ((r = write_enter(st, &c, what)) != PT_OK)
		return r;
	if (!str_fits(d->id, sizeof(d->id)) || !str_fits(d->reason, sizeof(d->reason)))
		return PT_EINVAL;
	if (!utf8_ok(d->id))
		return PT_ENOTFOUND;
	if ((r = sp_begin(c, NULL, what)) != PT_OK)
		return r;
	updated = now_or(d->updated_at);
	params_init(&p);
	p_str(&p, d->id);
	p_i64(&p, from_state);
	p_i64(&p, d->state);
	p_i64(&p, d->approval);
	p_i64(&p, d->courier);
	p_i64(&p, d->device);
	p_token(&p, d);
	p_str(&p, d->reason);
	p_i64(&p, updated);
	p_i64(&p, actor);
	r = fetch_id(c, S_DELIVERY_UPDATE, &p, &rowid, what);
	if (r == PT_ENOTFOUND) {
		/* No row in from_state: moved on by someone else, or none at all. */
		params_init(&p);
		p_str(&p, d->id);
		r = fetch_id(c, S_DELIVERY_ROWID, &p, &rowid, what);
		if (r == PT_OK)
			r = PT_ECONFLICT;
	}
	return sp_end(c, r, what);
}

static int
pg_delivery_list(struct pt_store *base, const struct pt_delivery_filter *f, int64_t after,
		 struct pt_delivery *out, size_t max, size_t *n)
{
	struct pg_store *st = (struct pg_store *)base;
	const char *what = "cannot list deliveries";
	struct pg_conn *c;
	struct params p;
	enum sid id;
	bool borrowed;
	int r;

	if (n == NULL)
		return PT_EINVAL;
	*n = 0;
	if (st == NULL || f == NULL || (out == NULL && max != 0))
		return PT_EINVAL;
	/* An id too long (or not text) to exist matches nothing. */
	if ((f->home_id != NULL && !arg_fits(f->home_id, PT_ID_MAX)) ||
	    (f->carrier_id != NULL && !arg_fits(f->carrier_id, PT_ID_MAX)))
		return PT_OK;
	/* Lead with the filter that likely narrows most (see DELIVERY_FILTER). */
	if (f->home_id != NULL)
		id = S_DELIVERY_LIST_HOME;
	else if (f->courier != 0)
		id = S_DELIVERY_LIST_COURIER;
	else if (f->carrier_id != NULL)
		id = S_DELIVERY_LIST_CARRIER;
	else if (f->member != 0)
		id = S_DELIVERY_LIST_MEMBER;
	else if (f->carrier_admin != 0)
		id = S_DELIVERY_LIST_ADMIN;
	else
		id = S_DELIVERY_LIST_ALL;
	params_init(&p);
	p_i64(&p, after);
	p_opt_str(&p, f->home_id);
	p_opt_str(&p, f->carrier_id);
	p_i64(&p, f->courier);
	p_i64(&p, f->member);
	p_i64(&p, f->carrier_admin);
	p_i64(&p, f->state);
	p_i64(&p, limit_of(max));
	if ((r = read_enter(st, &c, &borrowed, what)) != PT_OK)
		return r;
	r = fetch_list(c, id, &p, decode_delivery, out, sizeof(*out), max, n, what);
	read_leave(st, c, borrowed);
	return r;
}

static int
pg_delivery_steps(struct pt_store *base, const char *id, struct pt_delivery_step *out,
		  size_t max, size_t *n)
{
	struct pg_store *st = (struct pg_store *)base;

	if (n == NULL)
		return PT_EINVAL;
	return list_of(st, S_DELIVERY_ROWID, S_STEP_LIST, id, NULL, decode_step, out, sizeof(*out),
		       max, n, "cannot list delivery steps");
}

/* ---- events ---- */

static int
pg_event_append(struct pt_store *base, struct pt_event_row *e)
{
	struct pg_store *st = (struct pg_store *)base;
	const char *what = "cannot append an event";
	struct pg_conn *c;
	struct params p;
	int64_t home;
	int r;

	if (e == NULL)
		return PT_EINVAL;
	e->id = 0;
	if (st == NULL)
		return PT_EINVAL;
	if ((r = write_enter(st, &c, what)) != PT_OK)
		return r;
	if (!str_fits(e->home_id, sizeof(e->home_id)) || !str_fits(e->source, sizeof(e->source)) ||
	    !str_fits(e->type, sizeof(e->type)) || !str_fits(e->data, sizeof(e->data)))
		return PT_EINVAL;
	if (!utf8_ok(e->home_id))
		return PT_ENOTFOUND;
	if ((r = sp_begin(c, NULL, what)) != PT_OK)
		return r;
	e->at = now_or(e->at);
	/* Readers page a home's events by id: ids must become visible in
	 * order, so a home's events are inserted one transaction at a time. */
	if ((r = home_lock(c, e->home_id, &home, what)) == PT_OK) {
		params_init(&p);
		p_i64(&p, home);
		p_i64(&p, e->at);
		p_str(&p, e->source);
		p_str(&p, e->type);
		p_str(&p, e->data);
		p_i64(&p, e->hub_seq);
		if (all_zero(e->hash, sizeof(e->hash)))
			p_null(&p, 'b');
		else
			p_blob(&p, e->hash, sizeof(e->hash));
		/* No row: a hub's resend of a known (home, source, hub_seq). */
		r = fetch_id(c, S_EVENT_INSERT, &p, &e->id, what);
		if (r == PT_ENOTFOUND)
			r = PT_EEXISTS;
	}
	if (r != PT_OK)
		e->id = 0;
	return sp_end(c, r, what);
}

static int
pg_event_list(struct pt_store *base, const char *home_id, int64_t after,
	      struct pt_event_row *out, size_t max, size_t *n)
{
	struct pg_store *st = (struct pg_store *)base;

	if (n == NULL)
		return PT_EINVAL;
	return list_of(st, S_HOME_ROWID, S_EVENT_LIST, home_id, &after, decode_event, out,
		       sizeof(*out), max, n, "cannot list events");
}

static int
pg_event_back_id(struct pt_store *base, const char *home_id, int64_t back, int64_t *id)
{
	struct pg_store *st = (struct pg_store *)base;
	const char *what = "cannot read a home's newest event";
	struct pg_conn *c;
	struct params p;
	bool borrowed;
	int r;

	*id = 0;
	if (!arg_fits(home_id, PT_ID_MAX) || !utf8_ok(home_id))
		return PT_OK;
	params_init(&p);
	p_str(&p, home_id);
	p_i64(&p, back);
	if ((r = read_enter(st, &c, &borrowed, what)) != PT_OK)
		return r;
	r = fetch_id(c, S_EVENT_BACK_ID, &p, id, what);
	if (r == PT_ENOTFOUND)
		r = PT_OK;	/* no such event: 0 */
	read_leave(st, c, borrowed);
	if (r != PT_OK)
		*id = 0;
	return r;
}

/* ---- alerts ---- */

static int
pg_alert_insert(struct pt_store *base, struct pt_alert_row *a)
{
	struct pg_store *st = (struct pg_store *)base;
	const char *what = "cannot insert an alert";
	struct pg_conn *c;
	struct params p;
	int64_t home;
	int r;

	if (a == NULL)
		return PT_EINVAL;
	a->id = 0;
	if (st == NULL)
		return PT_EINVAL;
	if ((r = write_enter(st, &c, what)) != PT_OK)
		return r;
	if (!str_fits(a->home_id, sizeof(a->home_id)) || !str_fits(a->type, sizeof(a->type)) ||
	    !str_fits(a->data, sizeof(a->data)))
		return PT_EINVAL;
	if (!utf8_ok(a->home_id))
		return PT_ENOTFOUND;
	if ((r = sp_begin(c, NULL, what)) != PT_OK)
		return r;
	a->at = now_or(a->at);
	/* Like events: ids of a home's alerts become visible in order. */
	if ((r = home_lock(c, a->home_id, &home, what)) == PT_OK) {
		params_init(&p);
		p_i64(&p, home);
		p_i64(&p, a->at);
		p_str(&p, a->type);
		p_str(&p, a->data);
		p_i64(&p, a->event_id);
		/* A new alert is open. PT_ENOTFOUND: event_id is not one of
		 * the home's events. */
		r = fetch_id(c, S_ALERT_INSERT, &p, &a->id, what);
	}
	if (r != PT_OK)
		a->id = 0;
	return sp_end(c, r, what);
}

static int
pg_alert_list(struct pt_store *base, const char *home_id, bool only_open, int64_t after,
	      struct pt_alert_row *out, size_t max, size_t *n)
{
	struct pg_store *st = (struct pg_store *)base;

	if (n == NULL)
		return PT_EINVAL;
	return list_of(st, S_HOME_ROWID, only_open ? S_ALERT_LIST_OPEN : S_ALERT_LIST, home_id,
		       &after, decode_alert, out, sizeof(*out), max, n, "cannot list alerts");
}

static int
pg_alert_ack(struct pt_store *base, const char *home_id, int64_t id, int64_t account,
	     int64_t at, struct pt_alert_row *a)
{
	struct pg_store *st = (struct pg_store *)base;
	const char *what = "cannot acknowledge an alert";
	struct pg_conn *c;
	struct params p;
	int r;

	if (a == NULL)
		return PT_EINVAL;
	memset(a, 0, sizeof(*a));
	if (st == NULL || home_id == NULL)
		return PT_EINVAL;
	if ((r = write_enter(st, &c, what)) != PT_OK)
		return r;
	if (account <= 0)	/* acked_by 0 means open */
		return PT_EINVAL;
	if (!arg_fits(home_id, PT_ID_MAX))
		return PT_ENOTFOUND;
	if ((r = sp_begin(c, NULL, what)) != PT_OK)
		return r;
	params_init(&p);
	p_str(&p, home_id);
	p_i64(&p, id);
	p_i64(&p, account);
	p_i64(&p, now_or(at));
	/* Changes nothing if already acknowledged, or not of this home. */
	r = run(c, S_ALERT_ACK, &p, NULL, what);
	if (r == PT_OK) {
		params_init(&p);
		p_str(&p, home_id);
		p_i64(&p, id);
		r = fetch_one(c, S_ALERT_GET, &p, decode_alert, a, what);
	}
	if (r != PT_OK)
		pt_wipe(a, sizeof(*a));
	return sp_end(c, r, what);
}

/* ---- cameras and clips (schema 4) ---- */

/* The statement: NULL for a camera enrolled without one (schema 6). */
static bool
decode_camera_statement(const PGresult *r, int i, int col, struct pt_camera *c)
{
	c->statement_len = 0;
	if (PQgetisnull(r, i, col))
		return true;
	return col_blob(r, i, col, c->statement, sizeof(c->statement), &c->statement_len) &&
	       c->statement_len != 0;
}

static bool
decode_camera(const PGresult *r, int i, void *out)
{
	struct pt_camera *c = out;

	return COL_I64(r, i, 0, c->rowid) && col_str(r, i, 1, c->id, sizeof(c->id)) &&
	       col_str(r, i, 2, c->home_id, sizeof(c->home_id)) &&
	       col_blob_exact(r, i, 3, c->pk, sizeof(c->pk)) &&
	       col_str(r, i, 4, c->name, sizeof(c->name)) && COL_I64(r, i, 5, c->added_by) &&
	       COL_I64(r, i, 6, c->created_at) && decode_camera_statement(r, i, 7, c);
}

static bool
decode_clip(const PGresult *r, int i, void *out)
{
	struct pt_clip_row *c = out;

	return COL_I64(r, i, 0, c->rowid) && col_blob_exact(r, i, 1, c->clip, sizeof(c->clip)) &&
	       col_str(r, i, 2, c->home_id, sizeof(c->home_id)) &&
	       col_str(r, i, 3, c->camera, sizeof(c->camera)) &&
	       col_blob_exact(r, i, 4, c->camera_pk, sizeof(c->camera_pk)) &&
	       COL_I64(r, i, 5, c->segments) && COL_I64(r, i, 6, c->bytes) &&
	       COL_I64(r, i, 7, c->manifest_len) && COL_I64(r, i, 8, c->declared) &&
	       COL_I64(r, i, 9, c->start_ms) && COL_I64(r, i, 10, c->end_ms) &&
	       COL_I64(r, i, 11, c->created_at) && COL_I64(r, i, 12, c->updated_at) &&
	       COL_I64(r, i, 13, c->keyrec_len);
}

static int
pg_camera_insert(struct pt_store *base, struct pt_camera *cam)
{
	struct pg_store *st = (struct pg_store *)base;
	const char *what = "cannot insert a camera";
	struct pg_conn *c;
	struct params p;
	int r;

	if (cam == NULL)
		return PT_EINVAL;
	cam->rowid = 0;
	if (st == NULL)
		return PT_EINVAL;
	if ((r = write_enter(st, &c, what)) != PT_OK)
		return r;
	if (!str_fits(cam->id, sizeof(cam->id)) || !pt_id_is_valid(cam->id, strlen(cam->id)) ||
	    !str_fits(cam->home_id, sizeof(cam->home_id)) ||
	    !str_fits(cam->name, sizeof(cam->name)) || !utf8_ok(cam->name) ||
	    cam->statement_len > sizeof(cam->statement))
		return PT_EINVAL;
	if (!utf8_ok(cam->home_id))
		return PT_ENOTFOUND;
	cam->created_at = now_or(cam->created_at);
	params_init(&p);
	p_str(&p, cam->id);
	p_str(&p, cam->home_id);
	p_blob(&p, cam->pk, sizeof(cam->pk));
	p_str(&p, cam->name);
	p_i64(&p, cam->added_by);
	p_i64(&p, cam->created_at);
	if (cam->statement_len > 0)
		p_blob(&p, cam->statement, cam->statement_len);
	else
		p_null(&p, 'b');
	return write_one(c, S_CAMERA_INSERT, &p, false, &cam->rowid, what);
}

static int
pg_camera_list(struct pt_store *base, const char *home_id, struct pt_camera *out, size_t max,
	       size_t *n)
{
	struct pg_store *st = (struct pg_store *)base;

	if (n == NULL)
		return PT_EINVAL;
	return list_of(st, S_HOME_ROWID, S_CAMERA_LIST, home_id, NULL, decode_camera, out,
		       sizeof(*out), max, n, "cannot list cameras");
}

static int
pg_camera_delete(struct pt_store *base, const char *home_id, const char *camera_id)
{
	struct pg_store *st = (struct pg_store *)base;
	const char *what = "cannot delete a camera";
	struct pg_conn *c;
	struct params p;
	int r;

	if (st == NULL || home_id == NULL || camera_id == NULL)
		return PT_EINVAL;
	if ((r = write_enter(st, &c, what)) != PT_OK)
		return r;
	if (!arg_fits(home_id, PT_ID_MAX) || !arg_fits(camera_id, PT_ID_MAX))
		return PT_ENOTFOUND;
	params_init(&p);
	p_str(&p, home_id);
	p_str(&p, camera_id);
	return write_one(c, S_CAMERA_DELETE, &p, true, NULL, what);
}

static int
pg_camera_by_id(struct pt_store *base, const char *camera_id, struct pt_camera *cam)
{
	struct pg_store *st = (struct pg_store *)base;

	if (cam == NULL)
		return PT_EINVAL;
	memset(cam, 0, sizeof(*cam));
	if (st == NULL || camera_id == NULL)
		return PT_EINVAL;
	if (!arg_fits(camera_id, PT_ID_MAX))
		return PT_ENOTFOUND;
	return read_one(st, S_CAMERA_BY_ID, camera_id, 0, decode_camera, cam, sizeof(*cam),
			"cannot read a camera");
}

static int
pg_clip_get(struct pt_store *base, const char *home_id, const uint8_t clip[16],
	    struct pt_clip_row *row)
{
	struct pg_store *st = (struct pg_store *)base;
	const char *what = "cannot read a clip";
	struct pg_conn *c;
	struct params p;
	bool borrowed;
	int r;

	if (row == NULL)
		return PT_EINVAL;
	memset(row, 0, sizeof(*row));
	if (st == NULL || clip == NULL || home_id == NULL)
		return PT_EINVAL;
	params_init(&p);
	p_blob(&p, clip, 16);
	p_str(&p, home_id);
	if ((r = read_enter(st, &c, &borrowed, what)) == PT_OK) {
		r = fetch_one(c, S_CLIP_GET, &p, decode_clip, row, what);
		read_leave(st, c, borrowed);
	}
	if (r != PT_OK)
		pt_wipe(row, sizeof(*row));
	return r;
}

static int
pg_clip_list(struct pt_store *base, const char *home_id, int64_t after, struct pt_clip_row *out,
	     size_t max, size_t *n)
{
	struct pg_store *st = (struct pg_store *)base;

	if (n == NULL)
		return PT_EINVAL;
	return list_of(st, S_HOME_ROWID, S_CLIP_LIST, home_id, &after, decode_clip, out,
		       sizeof(*out), max, n, "cannot list clips");
}

static int
pg_clip_put(struct pt_store *base, const struct pt_clip_row *row, int64_t seg_bytes,
	    const uint8_t *manifest, size_t manifest_len)
{
	struct pg_store *st = (struct pg_store *)base;
	const char *what = "cannot store a clip";
	struct pg_conn *c;
	struct params p;
	int64_t id;
	int r;

	if (st == NULL || row == NULL || seg_bytes < 0 ||
	    (manifest != NULL && (manifest_len == 0 || manifest_len > PT_CLIP_MANIFEST_STORE_MAX)))
		return PT_EINVAL;
	if ((r = write_enter(st, &c, what)) != PT_OK)
		return r;
	if (!str_fits(row->home_id, sizeof(row->home_id)) ||
	    !str_fits(row->camera, sizeof(row->camera)))
		return PT_EINVAL;
	if (!utf8_ok(row->home_id) || !utf8_ok(row->camera))
		return PT_ENOTFOUND;
	params_init(&p);
	p_blob(&p, row->clip, sizeof(row->clip));
	p_str(&p, row->home_id);
	p_str(&p, row->camera);
	p_blob(&p, row->camera_pk, sizeof(row->camera_pk));
	p_i64(&p, seg_bytes > 0 ? 1 : 0);
	p_i64(&p, seg_bytes);
	if (manifest != NULL)
		p_blob(&p, manifest, manifest_len);
	else
		p_null(&p, 'b');
	p_i64(&p, manifest != NULL ? row->declared : 0);
	p_i64(&p, manifest != NULL ? row->start_ms : 0);
	p_i64(&p, manifest != NULL ? row->end_ms : 0);
	p_i64(&p, now_or(row->updated_at));
	return write_one(c, S_CLIP_PUT, &p, false, &id, what);
}

/* A clip's manifest or key record (stmt id) into out[cap]. */
static int
pg_clip_blob(struct pg_store *st, enum sid id, const char *what, const char *home_id,
	     const uint8_t clip[16], uint8_t *out, size_t cap, size_t *len)
{
	struct pg_conn *c;
	struct params p;
	PGresult *res;
	bool borrowed;
	int r;

	if (len == NULL)
		return PT_EINVAL;
	*len = 0;
	if (st == NULL || clip == NULL || home_id == NULL || (out == NULL && cap != 0))
		return PT_EINVAL;
	params_init(&p);
	p_blob(&p, clip, 16);
	p_str(&p, home_id);
	if ((r = read_enter(st, &c, &borrowed, what)) != PT_OK)
		return r;
	if ((r = exec_stmt(c, id, &p, &res, what)) == PT_OK) {
		if (PQntuples(res) == 0)
			r = PT_ENOTFOUND;
		else if ((size_t)PQgetlength(res, 0, 0) > cap)
			r = PT_ENOSPC;
		else if (!col_blob(res, 0, 0, out, cap, len))
			r = log_eio_msg(what, "stored value out of range");
		PQclear(res);
	}
	read_leave(st, c, borrowed);
	return r;
}

static int
pg_clip_manifest(struct pt_store *base, const char *home_id, const uint8_t clip[16],
		 uint8_t *out, size_t cap, size_t *len)
{
	return pg_clip_blob((struct pg_store *)base, S_CLIP_MANIFEST, "cannot read a manifest",
			    home_id, clip, out, cap, len);
}

static int
pg_clip_keyrec(struct pt_store *base, const char *home_id, const uint8_t clip[16], uint8_t *out,
	       size_t cap, size_t *len)
{
	return pg_clip_blob((struct pg_store *)base, S_CLIP_KEYREC, "cannot read a key record",
			    home_id, clip, out, cap, len);
}

static int
pg_clip_keyrec_put(struct pt_store *base, const struct pt_clip_row *row, const uint8_t *keyrec,
		   size_t keyrec_len)
{
	struct pg_store *st = (struct pg_store *)base;
	const char *what = "cannot store a key record";
	struct pg_conn *c;
	struct params p;
	int64_t id;
	int r;

	if (st == NULL || row == NULL || keyrec == NULL || keyrec_len == 0 ||
	    keyrec_len > PT_CLIP_KEYREC_STORE_MAX)
		return PT_EINVAL;
	if ((r = write_enter(st, &c, what)) != PT_OK)
		return r;
	if (!str_fits(row->home_id, sizeof(row->home_id)) ||
	    !str_fits(row->camera, sizeof(row->camera)))
		return PT_EINVAL;
	if (!utf8_ok(row->home_id) || !utf8_ok(row->camera))
		return PT_ENOTFOUND;
	params_init(&p);
	p_blob(&p, row->clip, sizeof(row->clip));
	p_str(&p, row->home_id);
	p_str(&p, row->camera);
	p_blob(&p, row->camera_pk, sizeof(row->camera_pk));
	p_i64(&p, now_or(row->updated_at));
	p_blob(&p, keyrec, keyrec_len);
	return write_one(c, S_CLIP_KEYREC_PUT, &p, false, &id, what);
}

static int
pg_clip_usage(struct pt_store *base, const char *home_id, int64_t *bytes)
{
	struct pg_store *st = (struct pg_store *)base;
	const char *what = "cannot sum a home's clips";
	struct pg_conn *c;
	struct params p;
	bool borrowed;
	int r;

	if (bytes == NULL)
		return PT_EINVAL;
	*bytes = 0;
	if (st == NULL || home_id == NULL)
		return PT_EINVAL;
	if (!arg_fits(home_id, PT_ID_MAX))
		return PT_ENOTFOUND;
	params_init(&p);
	p_str(&p, home_id);
	if ((r = read_enter(st, &c, &borrowed, what)) == PT_OK) {
		r = fetch_id(c, S_CLIP_USAGE, &p, bytes, what);
		read_leave(st, c, borrowed);
	}
	return r;
}

/* The home's row locked (S_HOME_LOCK, FOR NO KEY UPDATE: what the
 * revocations and events of a home take too) in this thread's transaction;
 * a released savepoint keeps its row locks until the transaction ends. */
static int
pg_home_lock(struct pt_store *base, const char *home_id)
{
	struct pg_store *st = (struct pg_store *)base;
	const char *what = "cannot lock a home";
	struct pg_conn *c;
	int64_t id;
	int r;

	if (st == NULL || home_id == NULL)
		return PT_EINVAL;
	if ((r = write_enter(st, &c, what)) != PT_OK)
		return r;
	if (!arg_fits(home_id, PT_ID_MAX))
		return PT_ENOTFOUND;
	if ((r = sp_begin(c, NULL, what)) != PT_OK)
		return r;
	return sp_end(c, home_lock(c, home_id, &id, what), what);
}

/* ---- a hub's chain: checkpoints and events by seq (schema 9) ---- */

static bool
decode_checkpoint(const PGresult *r, int i, void *out)
{
	struct pt_hub_checkpoint *c = out;

	return COL_I64(r, i, 0, c->seq) && c->seq > 0 &&
	       col_blob_exact(r, i, 1, c->sig, sizeof(c->sig));
}

/* The hub's home (rowid) and source "hub:<id>" on connection c. */
static int
hub_home(struct pg_conn *c, const char *hub_id, int64_t *home, char source[PT_SOURCE_MAX + 1],
	 const char *what)
{
	struct params p;

	*home = 0;
	if (!hub_source(hub_id, source) || !utf8_ok(hub_id))
		return PT_ENOTFOUND;
	params_init(&p);
	p_str(&p, hub_id);
	return fetch_id(c, S_HUB_HOME, &p, home, what);
}

static int
pg_hub_checkpoint_add(struct pt_store *base, const char *hub_id, int64_t seq,
		      const uint8_t sig[PT_SIG_LEN])
{
	struct pg_store *st = (struct pg_store *)base;
	const char *what = "cannot store a hub's checkpoint";
	char source[PT_SOURCE_MAX + 1];
	struct pt_hub_checkpoint old;
	struct pg_conn *c;
	struct params p;
	int64_t home, changes = 0;
	int r;

	if ((r = write_enter(st, &c, what)) != PT_OK)
		return r;
	if ((r = sp_begin(c, NULL, what)) != PT_OK)
		return r;
	if ((r = hub_home(c, hub_id, &home, source, what)) != PT_OK)
		goto out;
	params_init(&p);
	p_i64(&p, home);
	p_str(&p, source);
	p_i64(&p, seq);
	p_blob(&p, sig, PT_SIG_LEN);
	if ((r = run(c, S_HUB_CP_ADD, &p, &changes, what)) != PT_OK || changes == 1)
		goto out;
	/* Known: a resend (the same signature) or another signature of it. */
	params_init(&p);
	p_i64(&p, home);
	p_str(&p, source);
	p_i64(&p, seq);
	memset(&old, 0, sizeof(old));
	r = fetch_one(c, S_HUB_CP_GET, &p, decode_checkpoint, &old, what);
	if (r == PT_ENOTFOUND)
		r = log_eio_msg(what, "a checkpoint vanished");
	if (r == PT_OK && memcmp(old.sig, sig, PT_SIG_LEN) != 0)
		r = PT_EEXISTS;
out:
	return sp_end(c, r, what);
}

/* The home (rowid) named home_id if the hub is paired in it or was
 * removed from it (schema 10), and the hub's source, on connection c. */
static int
hub_home_of(struct pg_conn *c, const char *home_id, const char *hub_id, int64_t *home,
	    char source[PT_SOURCE_MAX + 1], const char *what)
{
	struct params p;

	*home = 0;
	if (!arg_fits(home_id, PT_ID_MAX) || !utf8_ok(home_id) || !hub_source(hub_id, source) ||
	    !utf8_ok(hub_id))
		return PT_ENOTFOUND;
	params_init(&p);
	p_str(&p, home_id);
	p_str(&p, hub_id);
	return fetch_id(c, S_HUB_HOME_OF, &p, home, what);
}

/* A range of the hub's rows: $1 home, $2 source, $3 from, $4 to, $5 limit. */
static int
hub_range(struct pg_store *st, enum sid id, const char *home_id, const char *hub_id, int64_t from,
	  int64_t to, decode_fn decode, void *out, size_t size, size_t max, size_t *n,
	  const char *what)
{
	char source[PT_SOURCE_MAX + 1];
	struct pg_conn *c;
	struct params p;
	int64_t home;
	bool borrowed;
	int r;

	*n = 0;
	if ((r = read_enter(st, &c, &borrowed, what)) != PT_OK)
		return r;
	if ((r = hub_home_of(c, home_id, hub_id, &home, source, what)) == PT_OK) {
		params_init(&p);
		p_i64(&p, home);
		p_str(&p, source);
		p_i64(&p, from);
		p_i64(&p, to);
		p_i64(&p, limit_of(max));
		r = fetch_list(c, id, &p, decode, out, size, max, n, what);
	}
	read_leave(st, c, borrowed);
	return r;
}

static int
pg_hub_event_range(struct pt_store *base, const char *home_id, const char *hub_id, int64_t from,
		   int64_t to, struct pt_event_row *out, size_t max, size_t *n)
{
	return hub_range((struct pg_store *)base, S_HUB_EVENT_RANGE, home_id, hub_id, from, to,
			 decode_event, out, sizeof(*out), max, n, "cannot read a hub's events");
}

/* Newest first (the last max of the range): store.c turns them round. */
static int
pg_hub_checkpoint_range(struct pt_store *base, const char *home_id, const char *hub_id,
			int64_t from, int64_t to, struct pt_hub_checkpoint *out, size_t max,
			size_t *n)
{
	return hub_range((struct pg_store *)base, S_HUB_CP_RANGE, home_id, hub_id, from, to,
			 decode_checkpoint, out, sizeof(*out), max, n,
			 "cannot read a hub's checkpoints");
}

static int
pg_hub_checkpoint_next(struct pt_store *base, const char *home_id, const char *hub_id,
		       int64_t from, struct pt_hub_checkpoint *cp)
{
	size_t n = 0;
	int r;

	r = hub_range((struct pg_store *)base, S_HUB_CP_NEXT, home_id, hub_id, from, INT64_MAX,
		      decode_checkpoint, cp, sizeof(*cp), 1, &n, "cannot read a hub's checkpoint");
	if (r == PT_OK && n == 0)
		r = PT_ENOTFOUND;
	if (r != PT_OK)
		memset(cp, 0, sizeof(*cp));
	return r;
}

/* ---- the backend ---- */

static const struct pt_store_ops pg_ops = {
	.close = pg_close,
	.schema_version = pg_schema_version,
	.begin = pg_begin,
	.commit = pg_commit,
	.rollback = pg_rollback,
	.account_insert = pg_account_insert,
	.account_by_email = pg_account_by_email,
	.account_by_id = pg_account_by_id,
	.session_insert = pg_session_insert,
	.session_lookup = pg_session_lookup,
	.session_get = pg_session_get,
	.session_delete = pg_session_delete,
	.session_delete_all = pg_session_delete_all,
	.home_insert = pg_home_insert,
	.home_get = pg_home_get,
	.home_by_id = pg_home_by_id,
	.home_list = pg_home_list,
	.home_update = pg_home_update,
	.home_delete = pg_home_delete,
	.member_add = pg_member_add,
	.member_list = pg_member_list,
	.member_remove = pg_member_remove,
	.owner_key_insert = pg_owner_key_insert,
	.owner_key_list = pg_owner_key_list,
	.grant_insert = pg_grant_insert,
	.grant_list = pg_grant_list,
	.grant_list_by_holder = pg_grant_list_by_holder,
	.revocation_insert = pg_revocation_insert,
	.revocation_list = pg_revocation_list,
	.revocation_newest = pg_revocation_newest,
	.revocation_key_find = pg_revocation_key_find,
	.audit_append = pg_audit_append,
	.audit_verify = pg_audit_verify,
	.carrier_insert = pg_carrier_insert,
	.carrier_get = pg_carrier_get,
	.carrier_list = pg_carrier_list,
	.courier_insert = pg_courier_insert,
	.courier_get = pg_courier_get,
	.courier_list = pg_courier_list,
	.courier_deactivate = pg_courier_deactivate,
	.device_insert = pg_device_insert,
	.device_list = pg_device_list,
	.device_delete = pg_device_delete,
	.device_by_pk = pg_device_by_pk,
	.hub_insert = pg_hub_insert,
	.hub_list = pg_hub_list,
	.hub_delete = pg_hub_delete,
	.hub_by_id = pg_hub_by_id,
	.hub_seen = pg_hub_seen,
	.hub_confirm_set = pg_hub_confirm_set,
	.hub_hold = pg_hub_hold,
	.hub_state_set = pg_hub_state_set,
	.hub_list_online = pg_hub_list_online,
	.hub_event_last = pg_hub_event_last,
	.hub_event_hash = pg_hub_event_hash,
	.delivery_insert = pg_delivery_insert,
	.delivery_get = pg_delivery_get,
	.delivery_update = pg_delivery_update,
	.delivery_list = pg_delivery_list,
	.delivery_steps = pg_delivery_steps,
	.event_append = pg_event_append,
	.event_list = pg_event_list,
	.event_back_id = pg_event_back_id,
	.alert_insert = pg_alert_insert,
	.alert_list = pg_alert_list,
	.alert_ack = pg_alert_ack,
	.camera_insert = pg_camera_insert,
	.camera_list = pg_camera_list,
	.camera_delete = pg_camera_delete,
	.camera_by_id = pg_camera_by_id,
	.clip_get = pg_clip_get,
	.clip_list = pg_clip_list,
	.clip_put = pg_clip_put,
	.clip_manifest = pg_clip_manifest,
	.clip_usage = pg_clip_usage,
	.home_lock = pg_home_lock,
	.clip_keyrec_put = pg_clip_keyrec_put,
	.clip_keyrec = pg_clip_keyrec,
	.hub_checkpoint_add = pg_hub_checkpoint_add,
	.hub_event_range = pg_hub_event_range,
	.hub_checkpoint_range = pg_hub_checkpoint_range,
	.hub_checkpoint_next = pg_hub_checkpoint_next,
	.hub_get = pg_hub_get,
};
