/*
 * store_sqlite.c: porterd's storage in one SQLite file (see porter/store.h
 * for the contract and docs/storage.md for the design).
 *
 * One connection, opened without SQLite's own mutex: st->mu serialises every
 * use of it. A transaction holds st->mu from pt_store_begin() to commit or
 * rollback; st->owner names the thread that holds it, so that calls made by
 * that thread inside the transaction do not lock again, and writes from
 * anywhere else are refused.
 *
 * Group commit. A commit is durable before pt_store_commit() returns, but
 * the fsync that makes it so happens after st->mu is released, so that the
 * commits of other threads can write their WAL frames meanwhile and share
 * the next fsync. The connection runs with synchronous=NORMAL (COMMIT
 * writes the WAL frames and does not sync; SQLite still syncs around
 * checkpoints), and every commit counts itself in st->written once its
 * frames are written. One thread at a time then calls fdatasync() on the
 * WAL file (its own descriptor of it) and, when that returns, marks every
 * commit counted before the call began as durable; the others wait for
 * their number. Nothing is answered from data that is not durable yet: a
 * read, and a transaction that ends in a rollback, also wait for every
 * commit they could have seen (usually none is pending: an atomic
 * compare). If fdatasync() fails, what reached the disk is unknown, and
 * the process stops (abort) rather than answer from it; SQLite's recovery
 * on the next start keeps the commits whose frames are intact. If the WAL
 * cannot be opened for syncing, the connection stays at synchronous=FULL
 * (an fsync inside every COMMIT).
 */
#include "porter/store.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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
#include "backend.h"

#define BUSY_TIMEOUT_MS 5000

/*
 * Schema migrations: migration i (from 0) brings the schema to version i + 1.
 * Released entries never change; a new version appends an entry. Each runs in
 * its own transaction together with its schema_version row. An entry is one
 * or more SQL texts, run in order (C guarantees string literals of 4095
 * bytes only); unused parts are NULL.
 */
#define MIGRATION_PARTS 4
static const char *const migrations[][MIGRATION_PARTS] = {
	/* 1: everything store.h needs. */
	{
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
	},

	/* 2: home locations; carriers, couriers, devices, hubs, deliveries,
	 * events and alerts. Rows that belong to a home cascade with it; account
	 * ids kept as history (actor, courier, device, paired_by) are plain
	 * integers, 0 for none. */
	{
	"ALTER TABLE homes ADD COLUMN has_location INTEGER NOT NULL DEFAULT 0"
	"  CHECK (has_location IN (0, 1));"
	"ALTER TABLE homes ADD COLUMN lat REAL NOT NULL DEFAULT 0 CHECK (lat BETWEEN -90 AND 90);"
	"ALTER TABLE homes ADD COLUMN lon REAL NOT NULL DEFAULT 0"
	"  CHECK (lon BETWEEN -180 AND 180);"
	"CREATE TABLE carriers ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  public_id TEXT NOT NULL UNIQUE CHECK (length(public_id) BETWEEN 1 AND 64),"
	"  name TEXT NOT NULL,"
	"  pk BLOB NOT NULL UNIQUE CHECK (length(pk) = 32),"
	"  hosted INTEGER NOT NULL CHECK (hosted IN (0, 1)),"
	"  sealed_seed BLOB,"	/* NULL unless hosted */
	"  admin INTEGER NOT NULL REFERENCES accounts(id),"
	"  created_at INTEGER NOT NULL,"
	"  CHECK (hosted = 0 AND sealed_seed IS NULL"
	"    OR hosted = 1 AND length(sealed_seed) BETWEEN 1 AND 96)"
	") STRICT;"
	"CREATE INDEX carriers_admin ON carriers(admin);"
	"CREATE TABLE couriers ("
	"  account INTEGER PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,"
	"  carrier INTEGER NOT NULL REFERENCES carriers(id),"
	"  name TEXT NOT NULL,"
	"  level INTEGER NOT NULL CHECK (level BETWEEN 1 AND 3),"
	"  attestation BLOB NOT NULL CHECK (length(attestation) BETWEEN 1 AND 512),"
	"  active INTEGER NOT NULL CHECK (active IN (0, 1)),"
	"  created_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL"
	") STRICT;"
	"CREATE INDEX couriers_carrier ON couriers(carrier);"
	"CREATE TABLE devices ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  account INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,"
	"  pk BLOB NOT NULL UNIQUE CHECK (length(pk) = 32),"
	"  label TEXT NOT NULL,"
	"  created_at INTEGER NOT NULL"
	") STRICT;"
	"CREATE INDEX devices_account ON devices(account);"
	"CREATE TABLE hubs ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  public_id TEXT NOT NULL UNIQUE CHECK (length(public_id) BETWEEN 1 AND 64),"
	"  home INTEGER NOT NULL REFERENCES homes(id) ON DELETE CASCADE,"
	"  pk BLOB NOT NULL UNIQUE CHECK (length(pk) = 32),"
	"  label TEXT NOT NULL,"
	"  pairing BLOB NOT NULL CHECK (length(pairing) BETWEEN 1 AND 512),"
	"  paired_by INTEGER NOT NULL,"
	"  created_at INTEGER NOT NULL,"
	"  last_seen INTEGER NOT NULL"
	") STRICT;"
	"CREATE INDEX hubs_home ON hubs(home);",

	"CREATE TABLE deliveries ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  public_id TEXT NOT NULL UNIQUE CHECK (length(public_id) BETWEEN 1 AND 64),"
	"  home INTEGER NOT NULL REFERENCES homes(id) ON DELETE CASCADE,"
	"  carrier INTEGER NOT NULL REFERENCES carriers(id),"
	"  package_id TEXT NOT NULL CHECK (length(package_id) <= 64),"
	"  courier INTEGER NOT NULL,"
	"  device INTEGER NOT NULL,"
	"  state INTEGER NOT NULL CHECK (state BETWEEN 1 AND 9),"
	"  approval INTEGER NOT NULL CHECK (approval BETWEEN 0 AND 2),"
	"  in_home INTEGER NOT NULL CHECK (in_home IN (0, 1)),"
	"  window_start INTEGER NOT NULL,"
	"  window_end INTEGER NOT NULL,"
	"  token_id BLOB CHECK (token_id IS NULL OR length(token_id) = 16),"
	"  reason TEXT NOT NULL,"
	"  created_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL,"
	"  CHECK (window_start <= window_end)"
	") STRICT;"
	/* An index on (x) also orders by id: these serve "x = ? AND id > ?
	 * ORDER BY id", the paged lists. */
	"CREATE INDEX deliveries_home ON deliveries(home);"
	"CREATE INDEX deliveries_carrier ON deliveries(carrier);"
	"CREATE INDEX deliveries_courier ON deliveries(courier);"
	"CREATE TABLE delivery_steps ("
	"  id INTEGER PRIMARY KEY,"
	"  delivery INTEGER NOT NULL REFERENCES deliveries(id) ON DELETE CASCADE,"
	"  state INTEGER NOT NULL CHECK (state BETWEEN 1 AND 9),"
	"  at INTEGER NOT NULL,"
	"  actor INTEGER NOT NULL"
	") STRICT;"
	"CREATE INDEX delivery_steps_delivery ON delivery_steps(delivery);"
	"CREATE TABLE events ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  home INTEGER NOT NULL REFERENCES homes(id) ON DELETE CASCADE,"
	"  at INTEGER NOT NULL,"
	"  source TEXT NOT NULL CHECK (length(source) BETWEEN 1 AND 80),"
	"  type TEXT NOT NULL CHECK (length(type) BETWEEN 1 AND 48),"
	"  data TEXT NOT NULL,"
	"  hub_seq INTEGER NOT NULL CHECK (hub_seq >= 0)"
	") STRICT;"
	"CREATE INDEX events_home ON events(home);"
	/* Hubs resend until acknowledged: a known (home, source, hub_seq) is
	 * PT_EEXISTS. The server's own events (hub_seq 0) are not numbered. */
	"CREATE UNIQUE INDEX events_hub_seq ON events(home, source, hub_seq) WHERE hub_seq > 0;"
	"CREATE TABLE alerts ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  home INTEGER NOT NULL REFERENCES homes(id) ON DELETE CASCADE,"
	"  at INTEGER NOT NULL,"
	"  type TEXT NOT NULL CHECK (length(type) BETWEEN 1 AND 48),"
	"  data TEXT NOT NULL,"
	"  event_id INTEGER NOT NULL CHECK (event_id >= 0),"
	"  acked_by INTEGER CHECK (acked_by > 0),"
	"  acked_at INTEGER,"
	"  CHECK ((acked_by IS NULL) = (acked_at IS NULL))"
	") STRICT;"
	"CREATE INDEX alerts_home ON alerts(home);"
	"CREATE INDEX alerts_open ON alerts(home) WHERE acked_by IS NULL;"
	"CREATE INDEX grants_holder ON grants(home, holder);",
	},

	/* 3: MQTT (docs/mqtt.md): whether a hub's last state said online, and
	 * each hub event's chain hash, so porterd checks a batch's continuity
	 * and tells a resend from a fork. */
	{
	"ALTER TABLE hubs ADD COLUMN online INTEGER NOT NULL DEFAULT 0 CHECK (online IN (0, 1));"
	"ALTER TABLE events ADD COLUMN hash BLOB CHECK (hash IS NULL OR length(hash) = 32);"
	"CREATE INDEX hubs_online ON hubs(id) WHERE online = 1;",
	},

	/* 4: cameras and clips (docs/clips.md). Clip ciphertext lives in
	 * files, never here; the manifest is the camera-signed bytes. */
	{
	"CREATE TABLE cameras ("
	"  id INTEGER PRIMARY KEY,"
	"  public_id TEXT NOT NULL UNIQUE CHECK (length(public_id) BETWEEN 1 AND 64),"
	"  home INTEGER NOT NULL REFERENCES homes(id) ON DELETE CASCADE,"
	"  pk BLOB NOT NULL UNIQUE CHECK (length(pk) = 32),"
	"  name TEXT NOT NULL CHECK (length(name) <= 100),"
	"  added_by INTEGER NOT NULL,"
	"  created_at INTEGER NOT NULL"
	") STRICT;"
	"CREATE INDEX cameras_home ON cameras(home);"
	"CREATE TABLE clips ("
	"  id INTEGER PRIMARY KEY,"
	"  clip BLOB NOT NULL CHECK (length(clip) = 16),"
	"  home INTEGER NOT NULL REFERENCES homes(id) ON DELETE CASCADE,"
	"  camera TEXT NOT NULL CHECK (length(camera) BETWEEN 1 AND 64),"
	"  camera_pk BLOB NOT NULL CHECK (length(camera_pk) = 32),"
	"  segments INTEGER NOT NULL CHECK (segments >= 0),"
	"  bytes INTEGER NOT NULL CHECK (bytes >= 0),"
	"  manifest BLOB CHECK (manifest IS NULL OR length(manifest) BETWEEN 1 AND 65536),"
	"  declared INTEGER NOT NULL CHECK (declared >= 0),"
	"  start_ms INTEGER NOT NULL,"
	"  end_ms INTEGER NOT NULL,"
	"  created_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL,"
	"  UNIQUE (home, clip)"
	") STRICT;"
	"CREATE INDEX clips_home ON clips(home, id);",
	},

	/* 5: the web app (docs/web.md). A hub's last state as porterd
	 * re-encoded it from the decoded MQTT message (never the hub's own
	 * bytes), for the live view of homes; and the owner-signed statement
	 * that endorsed an owner key (NULL for a home's first key, which the
	 * hub pairing binds), relayed to the hubs. And a clip's key record
	 * (docs/clips.md: the camera-signed sealed clip keys uploaded at
	 * START), so a clip cut short before its manifest can still be opened. */
	{
	"ALTER TABLE hubs ADD COLUMN state TEXT CHECK (state IS NULL OR length(state) BETWEEN 2 AND 256);"
	"ALTER TABLE owner_keys ADD COLUMN statement BLOB CHECK (statement IS NULL OR length(statement) BETWEEN 1 AND 512);"
	"ALTER TABLE clips ADD COLUMN keyrec BLOB CHECK (keyrec IS NULL OR length(keyrec) BETWEEN 1 AND 8192);",
	},

	/* 6: the owner-signed camera statement (docs/cam.md, "Enrolling a
	 * camera"; porter/camera_stmt.h) a camera is enrolled with. NULL for
	 * a camera enrolled before: viewers show it as unsigned. */
	{
	"ALTER TABLE cameras ADD COLUMN statement BLOB CHECK (statement IS NULL OR length(statement) BETWEEN 1 AND 512);",
	},

	/* 7: the indexes a home's events and alerts are paged with, by
	 * (home, id) by name as in store_pg.c (there it spares a sort; here
	 * the index on home held the rowid already). */
	{
	"CREATE INDEX events_home_id ON events(home, id);"
	"DROP INDEX events_home;"
	"CREATE INDEX alerts_home_id ON alerts(home, id);"
	"DROP INDEX alerts_home;"
	"CREATE INDEX alerts_open_id ON alerts(home, id) WHERE acked_by IS NULL;"
	"DROP INDEX alerts_open;",
	},

	/* 8: every camera upload asks whether a key revocation of its home
	 * names the camera's key (daemons/porterd/camrevoke.c): an index on
	 * (home, kind, target) answers that with one lookup, where reading
	 * the home's revocations grew with their number. */
	{
	"CREATE INDEX revocations_target ON revocations(home, kind, target);",
	},

	/* 9: the hubs' checkpoints (docs/mqtt.md, "events"): the signature
	 * each stored batch came with, over its last event, kept so that an
	 * evidence bundle carries the hub's own proof of a slice of its chain
	 * (docs/api.md, GET .../hubs/{hub_id}/chain). Keyed as the hub's
	 * events are, (home, source "hub:<id>", seq): they stay when the hub
	 * is removed, and go with the home. */
	{
	"CREATE TABLE hub_checkpoints ("
	"  home INTEGER NOT NULL REFERENCES homes(id) ON DELETE CASCADE,"
	"  source TEXT NOT NULL CHECK (length(source) BETWEEN 1 AND 80),"
	"  seq INTEGER NOT NULL CHECK (seq > 0),"
	"  sig BLOB NOT NULL CHECK (length(sig) = 64),"
	"  PRIMARY KEY (home, source, seq)"
	") STRICT, WITHOUT ROWID;",
	},

	/* 10: removed hubs (docs/storage.md, "Version 10"). Removing a hub
	 * deletes its row from hubs as before, so nothing that reads paired
	 * hubs (the MQTT side, the lists, the beacons) can meet it again;
	 * what its chain needs (its key above all: the events and checkpoints
	 * stay with the home) is kept here, per (home, hub), so the home's
	 * owners can still export its evidence. A hub paired again is a new
	 * row of hubs; this one stays, and goes with the home. */
	{
	"CREATE TABLE hubs_removed ("
	"  home INTEGER NOT NULL REFERENCES homes(id) ON DELETE CASCADE,"
	"  public_id TEXT NOT NULL CHECK (length(public_id) BETWEEN 1 AND 64),"
	"  pk BLOB NOT NULL CHECK (length(pk) = 32),"
	"  label TEXT NOT NULL,"
	"  pairing BLOB NOT NULL CHECK (length(pairing) BETWEEN 1 AND 512),"
	"  paired_by INTEGER NOT NULL,"
	"  created_at INTEGER NOT NULL,"
	"  last_seen INTEGER NOT NULL,"
	"  removed_at INTEGER NOT NULL,"
	"  PRIMARY KEY (home, public_id)"
	") STRICT, WITHOUT ROWID;",
	},

	/* 11: a hub's own word on its home (docs/storage.md, "Version 11";
	 * docs/mqtt.md, "home"). A hub's public key is no secret, so an
	 * owner's pairing statement over it says nothing about which home
	 * the hub itself is paired with: until the hub's key has said so,
	 * porterd files nothing the hub sends under the row's home. Rows
	 * from before start unconfirmed: an upgraded hub says so again each
	 * time it connects. */
	{
	"ALTER TABLE hubs ADD COLUMN confirmed INTEGER NOT NULL DEFAULT 0 CHECK (confirmed IN (0, 1));",
	},
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
	S_HOME_BY_ID,
	S_HOME_LIST,
	S_HOME_UPDATE,
	S_HOME_DELETE,
	S_HOME_ROWID,
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
	S_HUB_REMOVE_KEEP,
	S_HUB_GET,
	S_HUB_HOME_OF,
	S_HUB_BY_ID,
	S_HUB_HOME,
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
	S_STEP_INSERT,
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
	S_HOME_EXISTS,
	S_CLIP_KEYREC_PUT,
	S_CLIP_KEYREC,
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
#define DELIVERY_FROM                                                                             \
	"SELECT d.id, d.public_id, h.public_id, c.public_id, d.package_id, d.courier, d.device,"  \
	" d.state, d.approval, d.in_home, d.window_start, d.window_end, d.token_id, d.reason,"    \
	" d.created_at, d.updated_at"                                                             \
	" FROM deliveries d JOIN homes h ON h.id = d.home JOIN carriers c ON c.id = d.carrier"
/*
 * The delivery list: ?1 after, ?2 home, ?3 carrier, ?4 courier, ?5 member,
 * ?6 carrier admin, ?7 state, ?8 limit; an unset filter (NULL or 0) matches
 * everything. SQLite cannot use an index for "(?2 IS NULL OR ...)", so each
 * statement leads with one set filter as a plain condition its index serves,
 * and repeats all the filters after it.
 */
#define DELIVERY_FILTER                                                                           \
	" d.id > ?1 AND (?2 IS NULL OR h.public_id = ?2) AND (?3 IS NULL OR c.public_id = ?3)"    \
	" AND (?4 = 0 OR d.courier = ?4)"                                                         \
	" AND (?5 = 0 OR EXISTS (SELECT 1 FROM home_members m"                                    \
	" WHERE m.home = d.home AND m.account = ?5))"                                             \
	" AND (?6 = 0 OR c.admin = ?6) AND (?7 = 0 OR d.state = ?7)"                              \
	" ORDER BY d.id LIMIT ?8"
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
	" coalesce(length(c.manifest), 0), c.declared, c.start_ms, c.end_ms, c.created_at,"       \
	" c.updated_at, coalesce(length(c.keyrec), 0) FROM clips c JOIN homes h ON h.id = c.home"

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
			  " updated_at, has_location, lat, lon)"
			  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) RETURNING id",
	[S_HOME_OWNER_ADD] = "INSERT INTO home_members (home, account, role) VALUES (?1, ?2, 1)",
	[S_HOME_GET] = "SELECT " HOME_COLS ", m.role FROM homes h"
		       " JOIN home_members m ON m.home = h.id"
		       " WHERE h.public_id = ?1 AND m.account = ?2",
	[S_HOME_BY_ID] = "SELECT " HOME_COLS " FROM homes h WHERE h.public_id = ?1",
	[S_HOME_LIST] = "SELECT " HOME_COLS " FROM homes h"
			" JOIN home_members m ON m.home = h.id"
			" WHERE m.account = ?1 ORDER BY h.id LIMIT ?2",
	[S_HOME_UPDATE] = "UPDATE homes SET name = ?2, tz = ?3, notes = ?4, policy = ?5,"
			  " updated_at = ?6, has_location = ?7, lat = ?8, lon = ?9"
			  " WHERE public_id = ?1",
	[S_HOME_DELETE] = "DELETE FROM homes WHERE public_id = ?1",
	[S_HOME_ROWID] = "SELECT id FROM homes WHERE public_id = ?1",
	[S_MEMBER_ADD] = "INSERT INTO home_members (home, account, role)"
			 " SELECT id, ?2, ?3 FROM homes WHERE public_id = ?1",
	[S_MEMBER_LIST] = "SELECT m.account, a.email, a.name, m.role FROM home_members m"
			  " JOIN accounts a ON a.id = m.account"
			  " WHERE m.home = ?1 ORDER BY m.account LIMIT ?2",
	/* Never the last owner: the count is read in the same statement,
	 * under the single writer's lock. */
	[S_MEMBER_REMOVE] = "DELETE FROM home_members WHERE home = ?1 AND account = ?2"
			    " AND (role <> 1 OR (SELECT count(*) FROM home_members o"
			    " WHERE o.home = ?1 AND o.role = 1) > 1) RETURNING role",
	[S_MEMBER_ROLE] = "SELECT role FROM home_members WHERE home = ?1 AND account = ?2",
	[S_KEY_INSERT] = "INSERT INTO owner_keys (home, pk, label, added_by, created_at, statement)"
			 " SELECT id, ?2, ?3, ?4, ?5, ?6 FROM homes WHERE public_id = ?1 RETURNING id",
	[S_KEY_LIST] = "SELECT k.id, h.public_id, k.pk, k.label, k.added_by, k.created_at,"
		       " k.statement"
		       " FROM owner_keys k JOIN homes h ON h.id = k.home"
		       " WHERE k.home = ?1 ORDER BY k.id LIMIT ?2",
	[S_GRANT_INSERT] = "INSERT INTO grants (home, chain, cti, holder, n_links, purpose, exp,"
			   " label, created_by, created_at)"
			   " SELECT id, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10 FROM homes"
			   " WHERE public_id = ?1 RETURNING id",
	[S_GRANT_LIST] = "SELECT g.id, h.public_id, g.chain, g.cti, g.holder, g.n_links,"
			 " g.purpose, g.exp, g.label, g.created_by, g.created_at"
			 " FROM grants g JOIN homes h ON h.id = g.home"
			 " WHERE g.home = ?1 AND g.id > ?2 ORDER BY g.id LIMIT ?3",
	[S_GRANT_BY_HOLDER] = "SELECT g.id, h.public_id, g.chain, g.cti, g.holder, g.n_links,"
			      " g.purpose, g.exp, g.label, g.created_by, g.created_at"
			      " FROM grants g JOIN homes h ON h.id = g.home"
			      " WHERE h.public_id = ?1 AND g.holder = ?2 ORDER BY g.id DESC LIMIT ?3",
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
	[S_CARRIER_INSERT] = "INSERT INTO carriers (public_id, name, pk, hosted, sealed_seed, admin,"
			     " created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id",
	[S_CARRIER_GET] = "SELECT " CARRIER_COLS " FROM carriers c WHERE c.public_id = ?1",
	[S_CARRIER_LIST] = "SELECT " CARRIER_COLS " FROM carriers c WHERE c.id > ?1"
			   " ORDER BY c.id LIMIT ?2",
	[S_CARRIER_ROWID] = "SELECT id FROM carriers WHERE public_id = ?1",
	[S_COURIER_INSERT] = "INSERT INTO couriers (account, carrier, name, level, attestation,"
			     " active, created_at, updated_at)"
			     " SELECT ?1, id, ?3, ?4, ?5, ?6, ?7, ?8 FROM carriers"
			     " WHERE public_id = ?2",
	[S_COURIER_GET] = COURIER_FROM " WHERE k.account = ?1",
	[S_COURIER_LIST] = COURIER_FROM " WHERE k.carrier = ?1 AND k.account > ?2"
			   " ORDER BY k.account LIMIT ?3",
	[S_COURIER_DEACTIVATE] = "UPDATE couriers SET active = 0, updated_at = ?3"
				 " WHERE account = ?2"
				 " AND carrier = (SELECT id FROM carriers WHERE public_id = ?1)",
	[S_DEVICE_INSERT] = "INSERT INTO devices (account, pk, label, created_at)"
			    " VALUES (?1, ?2, ?3, ?4) RETURNING id",
	[S_DEVICE_LIST] = "SELECT " DEVICE_COLS " FROM devices WHERE account = ?1"
			  " ORDER BY id LIMIT ?2",
	[S_DEVICE_DELETE] = "DELETE FROM devices WHERE id = ?2 AND account = ?1",
	[S_DEVICE_BY_PK] = "SELECT " DEVICE_COLS " FROM devices WHERE pk = ?2 AND account = ?1",
	[S_HUB_INSERT] = "INSERT INTO hubs (public_id, home, pk, label, pairing, paired_by,"
			 " created_at, last_seen)"
			 " SELECT ?1, id, ?3, ?4, ?5, ?6, ?7, ?8 FROM homes WHERE public_id = ?2"
			 " RETURNING id",
	[S_HUB_LIST] = HUB_FROM " WHERE b.home = ?1 ORDER BY b.id LIMIT ?2",
	/* ?3 (S_HUB_DELETE) and ?4 (S_HUB_REMOVE_KEEP): 0, any row; else only
	 * that row while unconfirmed (pt_store_hub_delete_unconfirmed). */
	[S_HUB_DELETE] = "DELETE FROM hubs WHERE public_id = ?2"
			 " AND home = (SELECT id FROM homes WHERE public_id = ?1)"
			 " AND (?3 = 0 OR (id = ?3 AND confirmed = 0))",
	/* The copy a removal keeps (schema 10), made before the DELETE in
	 * the same savepoint; a second removal from the home replaces it. */
	[S_HUB_REMOVE_KEEP] = "INSERT INTO hubs_removed (home, public_id, pk, label, pairing,"
			      " paired_by, created_at, last_seen, removed_at)"
			      " SELECT home, public_id, pk, label, pairing, paired_by, created_at,"
			      " last_seen, ?3 FROM hubs WHERE public_id = ?2"
			      " AND home = (SELECT id FROM homes WHERE public_id = ?1)"
			      " AND (?4 = 0 OR (id = ?4 AND confirmed = 0))"
			      " ON CONFLICT (home, public_id) DO UPDATE SET pk = excluded.pk,"
			      " label = excluded.label, pairing = excluded.pairing,"
			      " paired_by = excluded.paired_by, created_at = excluded.created_at,"
			      " last_seen = excluded.last_seen, removed_at = excluded.removed_at",
	/* Paired in the home (removed_at 0) first, else removed from it. */
	[S_HUB_GET] = "SELECT b.id, b.public_id, h.public_id, b.pk, b.label, b.pairing, b.paired_by,"
		      " b.created_at, b.last_seen, b.online, b.state, b.confirmed, 0 AS removed_at"
		      " FROM hubs b JOIN homes h ON h.id = b.home"
		      " WHERE h.public_id = ?1 AND b.public_id = ?2"
		      " UNION ALL"
		      " SELECT 0, r.public_id, h.public_id, r.pk, r.label, r.pairing, r.paired_by,"
		      " r.created_at, r.last_seen, 0, NULL, 0, r.removed_at"
		      " FROM hubs_removed r JOIN homes h ON h.id = r.home"
		      " WHERE h.public_id = ?1 AND r.public_id = ?2"
		      " ORDER BY 13 LIMIT 1",
	/* The home (rowid) of a hub paired in it or removed from it. */
	[S_HUB_HOME_OF] = "SELECT h.id FROM homes h WHERE h.public_id = ?1"
			  " AND (EXISTS (SELECT 1 FROM hubs b WHERE b.home = h.id AND b.public_id = ?2)"
			  " OR EXISTS (SELECT 1 FROM hubs_removed r WHERE r.home = h.id"
			  " AND r.public_id = ?2))",
	[S_HUB_BY_ID] = HUB_FROM " WHERE b.public_id = ?1",
	[S_HUB_HOME] = "SELECT home FROM hubs WHERE public_id = ?1",
	/* The flag changes in one place only: the caller that flips it is told. */
	[S_HUB_SEEN_FLIP] = "UPDATE hubs SET online = ?2,"
			    " last_seen = CASE WHEN ?2 = 1 AND ?3 > last_seen THEN ?3 ELSE last_seen END"
			    " WHERE public_id = ?1 AND online <> ?2",
	[S_HUB_SEEN] = "UPDATE hubs SET"
		       " last_seen = CASE WHEN ?2 = 1 AND ?3 > last_seen THEN ?3 ELSE last_seen END"
		       " WHERE public_id = ?1",
	[S_HUB_STATE] = "UPDATE hubs SET state = ?2 WHERE public_id = ?1",
	/* Schema 11: the flip first (the caller that flips it is told), then
	 * the same value, to tell "no such hub in the home" apart. */
	[S_HUB_CONFIRM_FLIP] = "UPDATE hubs SET confirmed = ?3 WHERE public_id = ?2"
			       " AND home = (SELECT id FROM homes WHERE public_id = ?1)"
			       " AND confirmed <> ?3",
	[S_HUB_CONFIRM_SAME] = "UPDATE hubs SET confirmed = ?3 WHERE public_id = ?2"
			       " AND home = (SELECT id FROM homes WHERE public_id = ?1)",
	/* pt_store_hub_hold: the transaction holds the write lock already. */
	[S_HUB_HOLD] = "SELECT confirmed FROM hubs WHERE public_id = ?2"
		       " AND home = (SELECT id FROM homes WHERE public_id = ?1)",
	[S_HUB_ONLINE] = HUB_FROM " WHERE b.online = 1 AND b.id > ?1 ORDER BY b.id LIMIT ?2",
	[S_HUB_EVENT_LAST] = "SELECT hub_seq, hash FROM events WHERE home = ?1 AND source = ?2"
			     " AND hub_seq > 0 ORDER BY hub_seq DESC LIMIT 1",
	[S_HUB_EVENT_HASH] = "SELECT hash FROM events WHERE home = ?1 AND source = ?2"
			     " AND hub_seq = ?3 AND hub_seq > 0",
	[S_REV_NEWEST] = "SELECT coalesce(max(version), 0) FROM revocations WHERE home = ?1",
	/* No row: no such home. The subquery is one search of
	 * revocations_target (home, kind, target). */
	[S_REV_KEY_FIND] = "SELECT EXISTS (SELECT 1 FROM revocations r WHERE r.home = h.id"
			   " AND r.kind = ?2 AND r.target = ?3) FROM homes h WHERE h.public_id = ?1",
	[S_DELIVERY_INSERT] = "INSERT INTO deliveries (public_id, home, carrier, package_id,"
			      " courier, device, state, approval, in_home, window_start,"
			      " window_end, token_id, reason, created_at, updated_at)"
			      " SELECT ?1, h.id, c.id, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13,"
			      " ?14, ?15 FROM homes h, carriers c"
			      " WHERE h.public_id = ?2 AND c.public_id = ?3 RETURNING id",
	[S_DELIVERY_GET] = DELIVERY_FROM " WHERE d.public_id = ?1",
	[S_DELIVERY_ROWID] = "SELECT id FROM deliveries WHERE public_id = ?1",
	/* Compare-and-set: the row changes only if its state is still ?2. */
	[S_DELIVERY_UPDATE] = "UPDATE deliveries SET state = ?3, approval = ?4, courier = ?5,"
			      " device = ?6, token_id = ?7, reason = ?8, updated_at = ?9"
			      " WHERE public_id = ?1 AND state = ?2 RETURNING id",
	[S_DELIVERY_LIST_ALL] = DELIVERY_FROM " WHERE" DELIVERY_FILTER,
	[S_DELIVERY_LIST_HOME] = DELIVERY_FROM
	" WHERE d.home = (SELECT id FROM homes WHERE public_id = ?2) AND" DELIVERY_FILTER,
	[S_DELIVERY_LIST_CARRIER] = DELIVERY_FROM
	" WHERE d.carrier = (SELECT id FROM carriers WHERE public_id = ?3) AND" DELIVERY_FILTER,
	[S_DELIVERY_LIST_COURIER] = DELIVERY_FROM " WHERE d.courier = ?4 AND" DELIVERY_FILTER,
	[S_DELIVERY_LIST_MEMBER] = DELIVERY_FROM
	" WHERE d.home IN (SELECT home FROM home_members WHERE account = ?5) AND" DELIVERY_FILTER,
	[S_DELIVERY_LIST_ADMIN] = DELIVERY_FROM
	" WHERE d.carrier IN (SELECT id FROM carriers WHERE admin = ?6) AND" DELIVERY_FILTER,
	[S_STEP_INSERT] = "INSERT INTO delivery_steps (delivery, state, at, actor)"
			  " VALUES (?1, ?2, ?3, ?4)",
	[S_STEP_LIST] = "SELECT state, at, actor FROM delivery_steps WHERE delivery = ?1"
			" ORDER BY id LIMIT ?2",
	[S_EVENT_INSERT] = "INSERT INTO events (home, at, source, type, data, hub_seq, hash)"
			   " SELECT id, ?2, ?3, ?4, ?5, ?6, ?7 FROM homes WHERE public_id = ?1"
			   " RETURNING id",
	[S_EVENT_LIST] = EVENT_FROM " WHERE e.home = ?1 AND e.id > ?2 ORDER BY e.id LIMIT ?3",
	/* events_home_id holds (home, id): newest first from the index. */
	[S_EVENT_BACK_ID] = "SELECT id FROM events WHERE home = (SELECT id FROM homes WHERE public_id = ?1)"
			    " ORDER BY id DESC LIMIT 1 OFFSET ?2",
	/* The event an alert names must be of the same home. */
	[S_ALERT_INSERT] = "INSERT INTO alerts (home, at, type, data, event_id)"
			   " SELECT h.id, ?2, ?3, ?4, ?5 FROM homes h WHERE h.public_id = ?1"
			   " AND (?5 = 0 OR EXISTS (SELECT 1 FROM events e"
			   " WHERE e.id = ?5 AND e.home = h.id)) RETURNING id",
	[S_ALERT_LIST] = ALERT_FROM " WHERE a.home = ?1 AND a.id > ?2 ORDER BY a.id LIMIT ?3",
	[S_ALERT_LIST_OPEN] = ALERT_FROM " WHERE a.home = ?1 AND a.id > ?2 AND a.acked_by IS NULL"
				" ORDER BY a.id LIMIT ?3",
	/* First ack wins: an acked row no longer matches. */
	[S_ALERT_ACK] = "UPDATE alerts SET acked_by = ?3, acked_at = ?4"
			" WHERE id = ?2 AND acked_by IS NULL"
			" AND home = (SELECT id FROM homes WHERE public_id = ?1)",
	[S_ALERT_GET] = ALERT_FROM " WHERE a.id = ?2 AND h.public_id = ?1",
	[S_CAMERA_INSERT] = "INSERT INTO cameras (public_id, home, pk, name, added_by, created_at,"
			    " statement) SELECT ?1, id, ?3, ?4, ?5, ?6, ?7 FROM homes WHERE public_id = ?2"
			    " RETURNING id",
	[S_CAMERA_LIST] = CAMERA_FROM " WHERE k.home = ?1 ORDER BY k.id LIMIT ?2",
	[S_CAMERA_DELETE] = "DELETE FROM cameras WHERE public_id = ?2"
			    " AND home = (SELECT id FROM homes WHERE public_id = ?1)",
	[S_CAMERA_BY_ID] = CAMERA_FROM " WHERE k.public_id = ?1",
	[S_CLIP_GET] = CLIP_FROM " WHERE c.clip = ?1 AND h.public_id = ?2",
	[S_CLIP_LIST] = CLIP_FROM " WHERE c.home = ?1 AND c.id > ?2 ORDER BY c.id LIMIT ?3",
	/* One statement: create the clip or add to it. A NULL manifest (?7)
	 * leaves the stored one and its facts alone. */
	[S_CLIP_PUT] = "INSERT INTO clips (clip, home, camera, camera_pk, segments, bytes, manifest,"
		       " declared, start_ms, end_ms, created_at, updated_at)"
		       " SELECT ?1, id, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11 FROM homes"
		       " WHERE public_id = ?2"
		       " ON CONFLICT (home, clip) DO UPDATE SET segments = segments + excluded.segments,"
		       " bytes = bytes + excluded.bytes,"
		       " manifest = coalesce(excluded.manifest, manifest),"
		       " declared = CASE WHEN excluded.manifest IS NULL THEN declared"
		       " ELSE excluded.declared END,"
		       " start_ms = CASE WHEN excluded.manifest IS NULL THEN start_ms"
		       " ELSE excluded.start_ms END,"
		       " end_ms = CASE WHEN excluded.manifest IS NULL THEN end_ms"
		       " ELSE excluded.end_ms END,"
		       " updated_at = excluded.updated_at RETURNING id",
	[S_CLIP_MANIFEST] = "SELECT manifest FROM clips WHERE clip = ?1 AND manifest IS NOT NULL"
			    " AND home = (SELECT id FROM homes WHERE public_id = ?2)",
	/* Create the clip or set its key record; a stored one stays. */
	[S_CLIP_KEYREC_PUT] = "INSERT INTO clips (clip, home, camera, camera_pk, segments, bytes,"
			      " manifest, declared, start_ms, end_ms, created_at, updated_at, keyrec)"
			      " SELECT ?1, id, ?3, ?4, 0, 0, NULL, 0, 0, 0, ?5, ?5, ?6 FROM homes"
			      " WHERE public_id = ?2"
			      " ON CONFLICT (home, clip) DO UPDATE SET"
			      " keyrec = coalesce(keyrec, excluded.keyrec),"
			      " updated_at = excluded.updated_at RETURNING id",
	[S_CLIP_KEYREC] = "SELECT keyrec FROM clips WHERE clip = ?1 AND keyrec IS NOT NULL"
			  " AND home = (SELECT id FROM homes WHERE public_id = ?2)",
	[S_CLIP_USAGE] = "SELECT coalesce(sum(c.bytes + coalesce(length(c.manifest), 0)"
			 " + coalesce(length(c.keyrec), 0) + 256), 0)"
			 " FROM clips c"
			 " WHERE c.home = (SELECT id FROM homes WHERE public_id = ?1)",
	[S_HOME_EXISTS] = "SELECT id FROM homes WHERE public_id = ?1",
	/* ?1 the hub's home (rowid), ?2 its source "hub:<id>". A resend
	 * inserts nothing; S_HUB_CP_GET then says whether it is the same. */
	[S_HUB_CP_ADD] = "INSERT INTO hub_checkpoints (home, source, seq, sig)"
			 " VALUES (?1, ?2, ?3, ?4) ON CONFLICT (home, source, seq) DO NOTHING",
	[S_HUB_CP_GET] = "SELECT sig FROM hub_checkpoints WHERE home = ?1 AND source = ?2"
			 " AND seq = ?3",
	/* The last ?5 of the range: newest first, the caller reverses them. */
	[S_HUB_CP_RANGE] = "SELECT seq, sig FROM hub_checkpoints WHERE home = ?1 AND source = ?2"
			   " AND seq BETWEEN ?3 AND ?4 ORDER BY seq DESC LIMIT ?5",
	[S_HUB_CP_NEXT] = "SELECT seq, sig FROM hub_checkpoints WHERE home = ?1 AND source = ?2"
			  " AND seq BETWEEN ?3 AND ?4 ORDER BY seq LIMIT ?5",
	/* "hub_seq > 0" lets the partial index events_hub_seq serve it. */
	[S_HUB_EVENT_RANGE] = EVENT_FROM " WHERE e.home = ?1 AND e.source = ?2 AND e.hub_seq > 0"
			      " AND e.hub_seq BETWEEN ?3 AND ?4 ORDER BY e.hub_seq LIMIT ?5",
};

static const struct pt_store_ops sq_ops;
static void sq_close(struct pt_store *base);
static int sq_schema_version(struct pt_store *base);
static int sq_begin(struct pt_store *base);
static int sq_commit(struct pt_store *base);
static void sq_rollback(struct pt_store *base);
static int sq_account_insert(struct pt_store *base, struct pt_account *a);
static int sq_account_by_email(struct pt_store *base, const char *email, struct pt_account *a);
static int sq_account_by_id(struct pt_store *base, int64_t id, struct pt_account *a);
static int sq_session_insert(struct pt_store *base, const uint8_t token_hash[PT_HASH_LEN], int64_t account_id, int64_t expires_at);
static int sq_session_lookup(struct pt_store *base, const uint8_t token_hash[PT_HASH_LEN], int64_t now, int64_t *account_id);
static int sq_session_get(struct pt_store *base, const uint8_t token_hash[PT_HASH_LEN], int64_t now, int64_t *account_id, int64_t *expires_at);
static int sq_session_delete(struct pt_store *base, const uint8_t token_hash[PT_HASH_LEN]);
static int sq_session_delete_all(struct pt_store *base, int64_t account_id);
static int sq_home_insert(struct pt_store *base, struct pt_home *h, int64_t owner_account);
static int sq_home_get(struct pt_store *base, const char *home_id, int64_t account, struct pt_home *h, int *role);
static int sq_home_list(struct pt_store *base, int64_t account, struct pt_home *out, size_t max, size_t *n);
static int sq_home_by_id(struct pt_store *base, const char *home_id, struct pt_home *h);
static int sq_home_update(struct pt_store *base, const struct pt_home *h);
static int sq_home_delete(struct pt_store *base, const char *home_id);
static int sq_member_add(struct pt_store *base, const char *home_id, int64_t account, int role);
static int sq_member_list(struct pt_store *base, const char *home_id, struct pt_member *out, size_t max, size_t *n);
static int sq_member_remove(struct pt_store *base, const char *home_id, int64_t account, int *role);
static int sq_owner_key_insert(struct pt_store *base, struct pt_owner_key *k);
static int sq_owner_key_list(struct pt_store *base, const char *home_id, struct pt_owner_key *out, size_t max, size_t *n);
static int sq_grant_insert(struct pt_store *base, struct pt_grant_row *g);
static int sq_grant_list(struct pt_store *base, const char *home_id, int64_t after, struct pt_grant_row *out, size_t max, size_t *n);
static int sq_grant_list_by_holder(struct pt_store *base, const char *home_id, const uint8_t holder[PT_PK_LEN], struct pt_grant_row *out, size_t max, size_t *n);
static int sq_revocation_insert(struct pt_store *base, struct pt_revocation_row *r);
static int sq_revocation_list(struct pt_store *base, const char *home_id, int64_t since_version, struct pt_revocation_row *out, size_t max, size_t *n);
static int sq_audit_append(struct pt_store *base, int64_t at, int64_t actor, const char *action, const char *target, const char *detail);
static int sq_audit_verify(struct pt_store *base, int64_t *bad_seq, int64_t *rows);
static int sq_carrier_insert(struct pt_store *base, struct pt_carrier *c);
static int sq_carrier_get(struct pt_store *base, const char *id, struct pt_carrier *c);
static int sq_carrier_list(struct pt_store *base, int64_t after, struct pt_carrier *out, size_t max, size_t *n);
static int sq_courier_insert(struct pt_store *base, const struct pt_courier *c);
static int sq_courier_get(struct pt_store *base, int64_t account, struct pt_courier *c);
static int sq_courier_list(struct pt_store *base, const char *carrier_id, int64_t after, struct pt_courier *out, size_t max, size_t *n);
static int sq_courier_deactivate(struct pt_store *base, const char *carrier_id, int64_t account, int64_t at);
static int sq_device_insert(struct pt_store *base, struct pt_device *d);
static int sq_device_list(struct pt_store *base, int64_t account, struct pt_device *out, size_t max, size_t *n);
static int sq_device_delete(struct pt_store *base, int64_t account, int64_t id);
static int sq_device_by_pk(struct pt_store *base, int64_t account, const uint8_t pk[PT_PK_LEN], struct pt_device *d);
static int sq_hub_insert(struct pt_store *base, struct pt_hub *h);
static int sq_hub_list(struct pt_store *base, const char *home_id, struct pt_hub *out, size_t max, size_t *n);
static int sq_hub_delete(struct pt_store *base, const char *home_id, const char *hub_id, int64_t rowid, int64_t removed_at);
static int sq_hub_get(struct pt_store *base, const char *home_id, const char *hub_id, struct pt_hub *h);
static int sq_hub_by_id(struct pt_store *base, const char *hub_id, struct pt_hub *h);
static int sq_hub_seen(struct pt_store *base, const char *hub_id, int64_t at, bool online, bool *changed);
static int sq_hub_confirm_set(struct pt_store *base, const char *home_id, const char *hub_id, bool confirmed, bool *changed);
static int sq_hub_hold(struct pt_store *base, const char *home_id, const char *hub_id);
static int sq_hub_state_set(struct pt_store *base, const char *hub_id, const char *state);
static int sq_hub_list_online(struct pt_store *base, int64_t after, struct pt_hub *out, size_t max, size_t *n);
static int sq_hub_event_last(struct pt_store *base, const char *hub_id, int64_t *seq, uint8_t hash[PT_HASH_LEN]);
static int sq_hub_event_hash(struct pt_store *base, const char *hub_id, int64_t seq, uint8_t hash[PT_HASH_LEN]);
static int sq_revocation_newest(struct pt_store *base, const char *home_id, int64_t *version);
static int sq_revocation_key_find(struct pt_store *base, const char *home_id, const uint8_t pk[PT_PK_LEN], bool *found);
static int sq_delivery_insert(struct pt_store *base, struct pt_delivery *d, int64_t actor);
static int sq_delivery_get(struct pt_store *base, const char *id, struct pt_delivery *d);
static int sq_delivery_update(struct pt_store *base, const struct pt_delivery *d, uint8_t from_state, int64_t actor);
static int sq_delivery_list(struct pt_store *base, const struct pt_delivery_filter *f, int64_t after, struct pt_delivery *out, size_t max, size_t *n);
static int sq_delivery_steps(struct pt_store *base, const char *id, struct pt_delivery_step *out, size_t max, size_t *n);
static int sq_event_append(struct pt_store *base, struct pt_event_row *e);
static int sq_event_list(struct pt_store *base, const char *home_id, int64_t after, struct pt_event_row *out, size_t max, size_t *n);
static int sq_alert_insert(struct pt_store *base, struct pt_alert_row *a);
static int sq_alert_list(struct pt_store *base, const char *home_id, bool only_open, int64_t after, struct pt_alert_row *out, size_t max, size_t *n);
static int sq_alert_ack(struct pt_store *base, const char *home_id, int64_t id, int64_t account, int64_t at, struct pt_alert_row *a);
static int sq_camera_insert(struct pt_store *base, struct pt_camera *c);
static int sq_camera_list(struct pt_store *base, const char *home_id, struct pt_camera *out, size_t max, size_t *n);
static int sq_camera_delete(struct pt_store *base, const char *home_id, const char *camera_id);
static int sq_camera_by_id(struct pt_store *base, const char *camera_id, struct pt_camera *c);
static int sq_clip_get(struct pt_store *base, const char *home_id, const uint8_t clip[16], struct pt_clip_row *c);
static int sq_clip_list(struct pt_store *base, const char *home_id, int64_t after, struct pt_clip_row *out, size_t max, size_t *n);
static int sq_clip_put(struct pt_store *base, const struct pt_clip_row *c, int64_t seg_bytes, const uint8_t *manifest, size_t manifest_len);
static int sq_clip_manifest(struct pt_store *base, const char *home_id, const uint8_t clip[16], uint8_t *out, size_t cap, size_t *len);
static int sq_clip_usage(struct pt_store *base, const char *home_id, int64_t *bytes);
static int sq_home_lock(struct pt_store *base, const char *home_id);
static int sq_clip_keyrec_put(struct pt_store *base, const struct pt_clip_row *c, const uint8_t *keyrec, size_t keyrec_len);
static int sq_clip_keyrec(struct pt_store *base, const char *home_id, const uint8_t clip[16], uint8_t *out, size_t cap, size_t *len);
static int sq_hub_checkpoint_add(struct pt_store *base, const char *hub_id, int64_t seq, const uint8_t sig[PT_SIG_LEN]);
static int sq_hub_event_range(struct pt_store *base, const char *home_id, const char *hub_id, int64_t from, int64_t to, struct pt_event_row *out, size_t max, size_t *n);
static int sq_hub_checkpoint_range(struct pt_store *base, const char *home_id, const char *hub_id, int64_t from, int64_t to, struct pt_hub_checkpoint *out, size_t max, size_t *n);
static int sq_hub_checkpoint_next(struct pt_store *base, const char *home_id, const char *hub_id, int64_t from, struct pt_hub_checkpoint *cp);

struct sq_store {
	struct pt_store base;	/* first: a struct pt_store * is a struct sq_store * */
	sqlite3 *db;
	pthread_mutex_t mu;
	/* The transaction holder's thread tag (&tx_tag of that thread), 0 if
	 * none. Atomic: threads that do not hold st->mu compare it. */
	_Atomic uintptr_t owner;
	int version;
	sqlite3_stmt *stmt[S_COUNT_];
	/* Group commit (see the top of the file); wal_fd -1: synchronous=FULL. */
	int wal_fd;
	_Atomic uint64_t written;	/* commits with their frames written; grows under mu */
	_Atomic uint64_t durable;	/* commits known durable; grows under sync_mu */
	pthread_mutex_t sync_mu;
	pthread_cond_t sync_cv;
	bool syncing;			/* a thread is in fdatasync (under sync_mu) */
};

/* Its address identifies the calling thread. */
static _Thread_local char tx_tag;

static uintptr_t
self_tag(void)
{
	return (uintptr_t)&tx_tag;
}

static bool
holds_tx(struct sq_store *st)
{
	return atomic_load_explicit(&st->owner, memory_order_relaxed) == self_tag();
}

/* ---- errors ---- */

static int
log_eio(struct sq_store *st, const char *what)
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
map_err(struct sq_store *st, int rc, const char *what)
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
get(struct sq_store *st, enum sid id)
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
bind_f64(sqlite3_stmt *s, int i, double v, int *rc)
{
	if (*rc == SQLITE_OK)
		*rc = sqlite3_bind_double(s, i, v);
}

static void
bind_null(sqlite3_stmt *s, int i, int *rc)
{
	if (*rc == SQLITE_OK)
		*rc = sqlite3_bind_null(s, i);
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
run(struct sq_store *st, sqlite3_stmt *s, int rc, const char *what)
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
run_returning(struct sq_store *st, sqlite3_stmt *s, int rc, int64_t *id, const char *what)
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
run_changing(struct sq_store *st, sqlite3_stmt *s, int rc, const char *what)
{
	int r = run(st, s, rc, what);

	if (r == PT_OK && sqlite3_changes(st->db) == 0)
		r = PT_ENOTFOUND;
	return r;
}

/* Execute constant SQL, possibly several statements, ignoring rows. */
static int
exec_sql(struct sq_store *st, const char *sql)
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

static bool
col_bool(sqlite3_stmt *s, int col, bool *dst)
{
	int64_t v = sqlite3_column_int64(s, col);

	if (v != 0 && v != 1)
		return false;
	*dst = v == 1;
	return true;
}

/* ---- rows ---- */

/* Inside the ranges; false for NaN too. No location is stored as 0, 0. */
static bool
location_is_valid(const struct pt_home *h)
{
	if (!h->has_location)
		return true;
	return h->lat >= -90.0 && h->lat <= 90.0 && h->lon >= -180.0 && h->lon <= 180.0;
}

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
	h->lat = sqlite3_column_double(s, 9);
	h->lon = sqlite3_column_double(s, 10);
	return col_str(s, 1, h->id, sizeof(h->id)) && col_str(s, 2, h->name, sizeof(h->name)) &&
	       col_str(s, 3, h->tz, sizeof(h->tz)) && col_str(s, 4, h->notes, sizeof(h->notes)) &&
	       col_str(s, 5, h->policy, sizeof(h->policy)) && col_bool(s, 8, &h->has_location) &&
	       location_is_valid(h);
}

static bool
decode_key(sqlite3_stmt *s, void *out)
{
	struct pt_owner_key *k = out;

	k->id = sqlite3_column_int64(s, 0);
	k->added_by = sqlite3_column_int64(s, 4);
	k->created_at = sqlite3_column_int64(s, 5);
	/* The statement: NULL for a key stored without one (schema 5). */
	k->statement_len = 0;
	if (sqlite3_column_type(s, 6) != SQLITE_NULL &&
	    (!col_blob(s, 6, k->statement, sizeof(k->statement), &k->statement_len) ||
	     k->statement_len == 0))
		return false;
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
fetch_one(struct sq_store *st, sqlite3_stmt *s, int rc, bool (*decode)(sqlite3_stmt *, void *),
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
fetch_list(struct sq_store *st, sqlite3_stmt *s, int rc, bool (*decode)(sqlite3_stmt *, void *),
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
read_enter(struct sq_store *st)
{
	if (holds_tx(st))
		return false;
	pthread_mutex_lock(&st->mu);
	return true;
}

/*
 * Return once the first seen commits are durable: share a sync in flight
 * or start one. Called without st->mu.
 */
static void
wait_durable(struct sq_store *st, uint64_t seen)
{
	struct stat sb;
	uint64_t target;

	if (atomic_load(&st->durable) >= seen)
		return;
	pthread_mutex_lock(&st->sync_mu);
	while (atomic_load(&st->durable) < seen) {
		if (st->syncing) {
			pthread_cond_wait(&st->sync_cv, &st->sync_mu);
			continue;
		}
		st->syncing = true;
		/* Every commit counted by now has written its frames: the
		 * sync that starts after this load covers them. */
		target = atomic_load(&st->written);
		pthread_mutex_unlock(&st->sync_mu);
		errno = 0;
		if (fstat(st->wal_fd, &sb) != 0 || sb.st_nlink == 0 || fdatasync(st->wal_fd) != 0) {
			/* unlinked under us (nlink 0) reads as ENOENT */
			fprintf(stderr, "store: cannot sync the write-ahead log: %s: stopping, "
					"acknowledged writes are on disk and the rest is unknown\n",
				strerror(errno != 0 ? errno : ENOENT));
			abort();
		}
		pthread_mutex_lock(&st->sync_mu);
		st->syncing = false;
		if (target > atomic_load(&st->durable))
			atomic_store(&st->durable, target);
		pthread_cond_broadcast(&st->sync_cv);
	}
	pthread_mutex_unlock(&st->sync_mu);
}

/* After a read: what it saw must be durable before its caller answers. */
static void
read_leave(struct sq_store *st, bool locked)
{
	uint64_t seen;

	if (!locked)
		return;	/* inside this thread's transaction: its end waits */
	seen = atomic_load(&st->written);
	pthread_mutex_unlock(&st->mu);
	wait_durable(st, seen);
}

/* Writes: only inside this thread's transaction, and only if SQLite has
 * not rolled it back behind our back (it does on some I/O errors). */
static int
write_enter(struct sq_store *st, const char *what)
{
	if (!holds_tx(st))
		return PT_EINVAL;
	if (sqlite3_get_autocommit(st->db))
		return log_eio_msg(what, "the transaction was rolled back by the database");
	return PT_OK;
}

/* The end of a transaction, committed or not: return once its commit, and
 * every commit it could have read, are durable. */
static void
tx_end(struct sq_store *st)
{
	uint64_t seen = atomic_load(&st->written);

	atomic_store_explicit(&st->owner, 0, memory_order_relaxed);
	pthread_mutex_unlock(&st->mu);
	wait_durable(st, seen);
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
pragma(struct sq_store *st, const char *sql, char *val, size_t cap)
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
configure(struct sq_store *st, struct pt_errbuf *err)
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
read_version(struct sq_store *st, int *version)
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
record_version(struct sq_store *st, int version)
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
migrate(struct sq_store *st, struct pt_errbuf *err)
{
	int i, j, v = 0, rc;

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
			for (j = 0; j < MIGRATION_PARTS && rc == SQLITE_OK; j++)
				if (migrations[i][j] != NULL)
					rc = exec_sql(st, migrations[i][j]);
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

/*
 * Group commit (see the top of the file): open the WAL that SQLite keeps
 * for as long as this connection is open (it deletes it only when the last
 * connection closes, and this one holds its lock until then), make its
 * directory entry durable (SQLite would on its first sync of a new WAL),
 * then drop COMMIT's own sync. On any failure stay at synchronous=FULL.
 */
static void
group_commit_open(struct sq_store *st, const char *path)
{
	const char *db = sqlite3_db_filename(st->db, "main");
	const char *wal = db != NULL ? sqlite3_filename_wal(db) : NULL;
	char dir[PATH_MAX];
	const char *slash;
	struct stat sb;
	int fd, dfd;
	size_t n;

	if (wal == NULL || wal[0] == '\0')
		goto full;
	fd = open(wal, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		goto full;
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode))
		goto full_close;
	slash = strrchr(wal, '/');
	n = slash == NULL ? 1 : slash == wal ? 1 : (size_t)(slash - wal);
	if (n >= sizeof(dir))
		goto full_close;
	if (slash == NULL)
		memcpy(dir, ".", 2);
	else {
		memcpy(dir, wal, n);
		dir[n] = '\0';
	}
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		goto full_close;
	if (fsync(dfd) != 0 || fdatasync(fd) != 0) {
		close(dfd);
		goto full_close;
	}
	close(dfd);
	if (pragma(st, "PRAGMA synchronous = NORMAL", NULL, 0) != SQLITE_OK)
		goto full_close;
	st->wal_fd = fd;
	return;
full_close:
	close(fd);
full:
	fprintf(stderr, "store: '%s': no group commit, every commit syncs itself\n", path);
}

int
pt_store_sqlite_open(const char *path, struct pt_store **out, struct pt_errbuf *err)
{
	struct sq_store *st;
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
	atomic_init(&st->written, 0);
	atomic_init(&st->durable, 0);
	st->wal_fd = -1;
	if (pthread_mutex_init(&st->sync_mu, NULL) != 0) {
		pthread_mutex_destroy(&st->mu);
		free(st);
		errf(err, "cannot open '%s': cannot create a mutex", path);
		return PT_EIO;
	}
	if (pthread_cond_init(&st->sync_cv, NULL) != 0) {
		pthread_mutex_destroy(&st->sync_mu);
		pthread_mutex_destroy(&st->mu);
		free(st);
		errf(err, "cannot open '%s': cannot create a condition variable", path);
		return PT_EIO;
	}
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
	group_commit_open(st, path);
	st->base.ops = &sq_ops;
	*out = &st->base;
	return PT_OK;
out_close:
	sqlite3_close(st->db);
	pthread_cond_destroy(&st->sync_cv);
	pthread_mutex_destroy(&st->sync_mu);
	pthread_mutex_destroy(&st->mu);
	free(st);
	return r;
}

static void
sq_close(struct pt_store *base)
{
	struct sq_store *st = (struct sq_store *)base;
	size_t i;

	if (st == NULL)
		return;
	if (holds_tx(st))
		sq_rollback(&st->base);
	pthread_mutex_lock(&st->mu);
	for (i = 0; i < S_COUNT_; i++)
		sqlite3_finalize(st->stmt[i]);
	if (sqlite3_close(st->db) != SQLITE_OK)
		log_eio(st, "cannot close the database");
	if (st->wal_fd >= 0)
		close(st->wal_fd);
	pthread_mutex_unlock(&st->mu);
	pthread_mutex_destroy(&st->mu);
	pthread_cond_destroy(&st->sync_cv);
	pthread_mutex_destroy(&st->sync_mu);
	free(st);
}

static int
sq_schema_version(struct pt_store *base)
{
	struct sq_store *st = (struct sq_store *)base;
	return st != NULL ? st->version : 0;
}

static int
sq_begin(struct pt_store *base)
{
	struct sq_store *st = (struct sq_store *)base;
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

static int
sq_commit(struct pt_store *base)
{
	struct sq_store *st = (struct sq_store *)base;
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
		else if (st->wal_fd >= 0)
			atomic_fetch_add(&st->written, 1);	/* frames written; tx_end syncs */
		done(s);
	}
	/* On failure nothing of the transaction stays. */
	if (r != PT_OK && !sqlite3_get_autocommit(st->db) &&
	    exec_sql(st, "ROLLBACK") != SQLITE_OK)
		log_eio(st, "cannot roll back");
	tx_end(st);
	return r;
}

static void
sq_rollback(struct pt_store *base)
{
	struct sq_store *st = (struct sq_store *)base;
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

static int
sq_account_insert(struct pt_store *base, struct pt_account *a)
{
	struct sq_store *st = (struct sq_store *)base;
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
account_get(struct sq_store *st, enum sid id, const char *email, int64_t account,
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

static int
sq_account_by_email(struct pt_store *base, const char *email, struct pt_account *a)
{
	struct sq_store *st = (struct sq_store *)base;
	if (a == NULL)
		return PT_EINVAL;
	memset(a, 0, sizeof(*a));
	if (st == NULL || email == NULL)
		return PT_EINVAL;
	if (!arg_fits(email, PT_EMAIL_MAX))
		return PT_ENOTFOUND;
	return account_get(st, S_ACCOUNT_BY_EMAIL, email, 0, a);
}

static int
sq_account_by_id(struct pt_store *base, int64_t id, struct pt_account *a)
{
	struct sq_store *st = (struct sq_store *)base;
	if (a == NULL)
		return PT_EINVAL;
	memset(a, 0, sizeof(*a));
	if (st == NULL)
		return PT_EINVAL;
	return account_get(st, S_ACCOUNT_BY_ID, NULL, id, a);
}

/* ---- sessions ---- */

static int
sq_session_insert(struct pt_store *base, const uint8_t token_hash[PT_HASH_LEN],
			int64_t account_id, int64_t expires_at)
{
	struct sq_store *st = (struct sq_store *)base;
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

static int
sq_session_lookup(struct pt_store *base, const uint8_t token_hash[PT_HASH_LEN], int64_t now,
			int64_t *account_id)
{
	struct sq_store *st = (struct sq_store *)base;
	int64_t expires;

	return sq_session_get(&st->base, token_hash, now, account_id, &expires);
}

static int
sq_session_get(struct pt_store *base, const uint8_t token_hash[PT_HASH_LEN], int64_t now,
		     int64_t *account_id, int64_t *expires_at)
{
	struct sq_store *st = (struct sq_store *)base;
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

static int
sq_session_delete(struct pt_store *base, const uint8_t token_hash[PT_HASH_LEN])
{
	struct sq_store *st = (struct sq_store *)base;
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

static int
sq_session_delete_all(struct pt_store *base, int64_t account_id)
{
	struct sq_store *st = (struct sq_store *)base;
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

/* has_location, lat, lon at i, i + 1, i + 2; without a location the
 * coordinates are meaningless and stored as 0, 0. */
static void
bind_location(sqlite3_stmt *s, int i, const struct pt_home *h, int *rc)
{
	bind_i64(s, i, h->has_location ? 1 : 0, rc);
	bind_f64(s, i + 1, h->has_location ? h->lat : 0.0, rc);
	bind_f64(s, i + 2, h->has_location ? h->lon : 0.0, rc);
}

/* Savepoints make a call of several statements all-or-nothing inside the
 * caller's transaction. */
static int
savepoint(struct sq_store *st, enum sid id, const char *what)
{
	sqlite3_stmt *s = get(st, id);

	return s != NULL ? run(st, s, SQLITE_OK, what) : PT_EIO;
}

static int
sq_home_insert(struct pt_store *base, struct pt_home *h, int64_t owner_account)
{
	struct sq_store *st = (struct sq_store *)base;
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
	    !home_strings_fit(h) || !location_is_valid(h))
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
	bind_location(s, 8, h, &rc);
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

static int
sq_home_get(struct pt_store *base, const char *home_id, int64_t account, struct pt_home *h,
		  int *role)
{
	struct sq_store *st = (struct sq_store *)base;
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
		*role = sqlite3_column_int(s, 11);
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

static int
sq_home_by_id(struct pt_store *base, const char *home_id, struct pt_home *h)
{
	struct sq_store *st = (struct sq_store *)base;
	const char *what = "cannot read a home";
	sqlite3_stmt *s;
	bool locked;
	int r = PT_OK, rc = SQLITE_OK;

	if (h == NULL)
		return PT_EINVAL;
	memset(h, 0, sizeof(*h));
	if (st == NULL || home_id == NULL)
		return PT_EINVAL;
	if (!arg_fits(home_id, PT_ID_MAX))
		return PT_ENOTFOUND;
	locked = read_enter(st);
	if ((s = get(st, S_HOME_BY_ID)) == NULL) {
		r = PT_EIO;
		goto out;
	}
	bind_str(s, 1, home_id, &rc);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		if (!decode_home(s, h))
			r = log_eio_msg(what, "stored value out of range");
	} else {
		r = rc == SQLITE_DONE ? PT_ENOTFOUND : map_err(st, rc, what);
	}
	done(s);
out:
	read_leave(st, locked);
	if (r != PT_OK)
		pt_wipe(h, sizeof(*h));
	return r;
}

static int
sq_home_list(struct pt_store *base, int64_t account, struct pt_home *out, size_t max,
		   size_t *n)
{
	struct sq_store *st = (struct sq_store *)base;
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

static int
sq_home_update(struct pt_store *base, const struct pt_home *h)
{
	struct sq_store *st = (struct sq_store *)base;
	const char *what = "cannot update a home";
	sqlite3_stmt *s;
	int r, rc = SQLITE_OK;

	if (st == NULL || h == NULL)
		return PT_EINVAL;
	if ((r = write_enter(st, what)) != PT_OK)
		return r;
	if (!str_fits(h->id, sizeof(h->id)) || !home_strings_fit(h) || !location_is_valid(h))
		return PT_EINVAL;
	if ((s = get(st, S_HOME_UPDATE)) == NULL)
		return PT_EIO;
	bind_str(s, 1, h->id, &rc);
	bind_str(s, 2, h->name, &rc);
	bind_str(s, 3, h->tz, &rc);
	bind_str(s, 4, h->notes, &rc);
	bind_str(s, 5, h->policy, &rc);
	bind_i64(s, 6, now_or(h->updated_at), &rc);
	bind_location(s, 7, h, &rc);
	return run_changing(st, s, rc, what);
}

static int
sq_home_delete(struct pt_store *base, const char *home_id)
{
	struct sq_store *st = (struct sq_store *)base;
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
	/* Members, keys, grants, revocations, hubs, deliveries (and their
	 * steps), events and alerts go by ON DELETE CASCADE. */
	bind_str(s, 1, home_id, &rc);
	return run_changing(st, s, rc, what);
}

static int
sq_member_add(struct pt_store *base, const char *home_id, int64_t account, int role)
{
	struct sq_store *st = (struct sq_store *)base;
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

/* The internal id of a home (carrier, delivery: lookup names the
 * statement) from its public id, under the caller's lock. */
static int
rowid_of(struct sq_store *st, enum sid lookup, const char *public_id, int64_t *rowid,
	 const char *what)
{
	sqlite3_stmt *s;
	int r = PT_OK, rc = SQLITE_OK;

	*rowid = 0;
	if (!arg_fits(public_id, PT_ID_MAX))
		return PT_ENOTFOUND;
	if ((s = get(st, lookup)) == NULL)
		return PT_EIO;
	bind_str(s, 1, public_id, &rc);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*rowid = sqlite3_column_int64(s, 0);
	else
		r = rc == SQLITE_DONE ? PT_ENOTFOUND : map_err(st, rc, what);
	done(s);
	return r;
}

/* List rows of a parent (a home, a carrier, a delivery) named by its public
 * id: PT_ENOTFOUND if it does not exist. The statement takes the parent's
 * rowid, then since if given, then the limit. */
static int
list_of(struct sq_store *st, enum sid lookup, enum sid id, const char *parent,
	const int64_t *since, bool (*decode)(sqlite3_stmt *, void *), void *out, size_t size,
	size_t max, size_t *n, const char *what)
{
	sqlite3_stmt *s;
	int64_t rowid;
	bool locked;
	int r, rc = SQLITE_OK, i = 1;

	*n = 0;
	if (st == NULL || parent == NULL || (out == NULL && max != 0))
		return PT_EINVAL;
	locked = read_enter(st);
	if ((r = rowid_of(st, lookup, parent, &rowid, what)) != PT_OK)
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

static int
home_list_of(struct sq_store *st, enum sid id, const char *home_id, const int64_t *since,
	     bool (*decode)(sqlite3_stmt *, void *), void *out, size_t size, size_t max,
	     size_t *n, const char *what)
{
	return list_of(st, S_HOME_ROWID, id, home_id, since, decode, out, size, max, n, what);
}

/* ---- members ---- */

static bool
decode_member(sqlite3_stmt *s, void *out)
{
	struct pt_member *m = out;

	m->account = sqlite3_column_int64(s, 0);
	m->role = sqlite3_column_int(s, 3);
	return col_str(s, 1, m->email, sizeof(m->email)) && col_str(s, 2, m->name, sizeof(m->name)) &&
	       (m->role == PT_HOME_OWNER || m->role == PT_HOME_MEMBER);
}

static int
sq_member_list(struct pt_store *base, const char *home_id, struct pt_member *out, size_t max,
	       size_t *n)
{
	struct sq_store *st = (struct sq_store *)base;

	if (n == NULL)
		return PT_EINVAL;
	return home_list_of(st, S_MEMBER_LIST, home_id, NULL, decode_member, out, sizeof(*out),
			    max, n, "cannot list members");
}

static int
sq_member_remove(struct pt_store *base, const char *home_id, int64_t account, int *role)
{
	struct sq_store *st = (struct sq_store *)base;
	const char *what = "cannot remove a member";
	sqlite3_stmt *s;
	int64_t home, had = 0;
	int r, rc = SQLITE_OK;

	if (role != NULL)
		*role = 0;
	if (st == NULL || home_id == NULL)
		return PT_EINVAL;
	if ((r = write_enter(st, what)) != PT_OK)
		return r;
	if ((r = rowid_of(st, S_HOME_ROWID, home_id, &home, what)) != PT_OK)
		return r;
	if ((s = get(st, S_MEMBER_REMOVE)) == NULL)
		return PT_EIO;
	bind_i64(s, 1, home, &rc);
	bind_i64(s, 2, account, &rc);
	r = run_returning(st, s, rc, &had, what);
	if (r == PT_ENOTFOUND) {
		/* Nothing removed: not a member, or the last owner. */
		rc = SQLITE_OK;
		if ((s = get(st, S_MEMBER_ROLE)) == NULL)
			return PT_EIO;
		bind_i64(s, 1, home, &rc);
		bind_i64(s, 2, account, &rc);
		r = run_returning(st, s, rc, &had, what);
		return r == PT_OK ? PT_ECONFLICT : r;
	}
	if (r == PT_OK && role != NULL)
		*role = (int)had;
	return r;
}

/* ---- owner keys ---- */

static int
sq_owner_key_insert(struct pt_store *base, struct pt_owner_key *k)
{
	struct sq_store *st = (struct sq_store *)base;
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
	if (!str_fits(k->home_id, sizeof(k->home_id)) || !str_fits(k->label, sizeof(k->label)) ||
	    k->statement_len > sizeof(k->statement))
		return PT_EINVAL;
	if ((s = get(st, S_KEY_INSERT)) == NULL)
		return PT_EIO;
	k->created_at = now_or(k->created_at);
	bind_str(s, 1, k->home_id, &rc);
	bind_blob(s, 2, k->pk, sizeof(k->pk), &rc);
	bind_str(s, 3, k->label, &rc);
	bind_i64(s, 4, k->added_by, &rc);
	bind_i64(s, 5, k->created_at, &rc);
	if (k->statement_len > 0)
		bind_blob(s, 6, k->statement, k->statement_len, &rc);
	else
		bind_null(s, 6, &rc);
	return run_returning(st, s, rc, &k->id, what);
}

static int
sq_owner_key_list(struct pt_store *base, const char *home_id, struct pt_owner_key *out,
			size_t max, size_t *n)
{
	struct sq_store *st = (struct sq_store *)base;
	if (n == NULL)
		return PT_EINVAL;
	return home_list_of(st, S_KEY_LIST, home_id, NULL, decode_key, out, sizeof(*out), max, n,
			    "cannot list owner keys");
}

/* ---- grants ---- */

static int
sq_grant_insert(struct pt_store *base, struct pt_grant_row *g)
{
	struct sq_store *st = (struct sq_store *)base;
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

static int
sq_grant_list(struct pt_store *base, const char *home_id, int64_t after, struct pt_grant_row *out,
		    size_t max, size_t *n)
{
	struct sq_store *st = (struct sq_store *)base;
	if (n == NULL)
		return PT_EINVAL;
	return home_list_of(st, S_GRANT_LIST, home_id, &after, decode_grant, out, sizeof(*out), max,
			    n, "cannot list grants");
}

static int
sq_grant_list_by_holder(struct pt_store *base, const char *home_id,
			      const uint8_t holder[PT_PK_LEN], struct pt_grant_row *out, size_t max,
			      size_t *n)
{
	struct sq_store *st = (struct sq_store *)base;
	sqlite3_stmt *s;
	bool locked;
	int r, rc = SQLITE_OK;

	if (n == NULL)
		return PT_EINVAL;
	*n = 0;
	if (st == NULL || home_id == NULL || holder == NULL || (out == NULL && max != 0))
		return PT_EINVAL;
	if (!arg_fits(home_id, PT_ID_MAX))
		return PT_OK;
	locked = read_enter(st);
	if ((s = get(st, S_GRANT_BY_HOLDER)) == NULL) {
		r = PT_EIO;
		goto out;
	}
	bind_str(s, 1, home_id, &rc);
	bind_blob(s, 2, holder, PT_PK_LEN, &rc);
	bind_i64(s, 3, limit_of(max), &rc);
	r = fetch_list(st, s, rc, decode_grant, out, sizeof(*out), max, n,
		       "cannot list grants by holder");
out:
	read_leave(st, locked);
	return r;
}

/* ---- revocations ---- */

static int
sq_revocation_insert(struct pt_store *base, struct pt_revocation_row *v)
{
	struct sq_store *st = (struct sq_store *)base;
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

static int
sq_revocation_list(struct pt_store *base, const char *home_id, int64_t since_version,
			 struct pt_revocation_row *out, size_t max, size_t *n)
{
	struct sq_store *st = (struct sq_store *)base;
	if (n == NULL)
		return PT_EINVAL;
	return home_list_of(st, S_REV_LIST, home_id, &since_version, decode_revocation, out,
			    sizeof(*out), max, n, "cannot list revocations");
}

static int
sq_revocation_newest(struct pt_store *base, const char *home_id, int64_t *version)
{
	struct sq_store *st = (struct sq_store *)base;
	const char *what = "cannot read the newest revocation";
	sqlite3_stmt *s;
	int64_t home;
	bool locked;
	int r, rc = SQLITE_OK;

	if (version == NULL)
		return PT_EINVAL;
	*version = 0;
	if (st == NULL || home_id == NULL)
		return PT_EINVAL;
	locked = read_enter(st);
	if ((r = rowid_of(st, S_HOME_ROWID, home_id, &home, what)) != PT_OK)
		goto out;
	if ((s = get(st, S_REV_NEWEST)) == NULL) {
		r = PT_EIO;
		goto out;
	}
	bind_i64(s, 1, home, &rc);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*version = sqlite3_column_int64(s, 0);
	else
		r = rc == SQLITE_DONE ? PT_ENOTFOUND : map_err(st, rc, what);
	done(s);
out:
	read_leave(st, locked);
	if (r != PT_OK)
		*version = 0;
	return r;
}

static int
sq_revocation_key_find(struct pt_store *base, const char *home_id, const uint8_t pk[PT_PK_LEN],
		       bool *found)
{
	struct sq_store *st = (struct sq_store *)base;
	const char *what = "cannot look up a key revocation";
	sqlite3_stmt *s;
	bool locked;
	int r = PT_OK, rc = SQLITE_OK;

	if (found == NULL)
		return PT_EINVAL;
	*found = false;
	if (st == NULL || home_id == NULL || pk == NULL)
		return PT_EINVAL;
	locked = read_enter(st);
	if ((s = get(st, S_REV_KEY_FIND)) == NULL) {
		r = PT_EIO;
		goto out;
	}
	bind_str(s, 1, home_id, &rc);
	bind_i64(s, 2, PT_REVOKE_KEY, &rc);
	bind_blob(s, 3, pk, PT_PK_LEN, &rc);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*found = sqlite3_column_int64(s, 0) != 0;
	else
		r = rc == SQLITE_DONE ? PT_ENOTFOUND : map_err(st, rc, what);
	done(s);
out:
	read_leave(st, locked);
	if (r != PT_OK)
		*found = false;
	return r;
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

static int
sq_audit_append(struct pt_store *base, int64_t at, int64_t actor, const char *action,
		      const char *target, const char *detail)
{
	struct sq_store *st = (struct sq_store *)base;
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

static int
sq_audit_verify(struct pt_store *base, int64_t *bad_seq, int64_t *rows)
{
	struct sq_store *st = (struct sq_store *)base;
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

/* ---- schema 2: shared helpers ---- */

/* A string argument that may be NULL (SQL NULL), for the optional filters. */
static void
bind_opt_str(sqlite3_stmt *s, int i, const char *v, int *rc)
{
	if (v != NULL)
		bind_str(s, i, v, rc);
	else
		bind_null(s, i, rc);
}

/* Read one row by a text key (?1) or, with key NULL, an integer key (?1);
 * out (size bytes) is wiped on any error. */
static int
read_one(struct sq_store *st, enum sid id, const char *key, int64_t ikey,
	 bool (*decode)(sqlite3_stmt *, void *), void *out, size_t size, const char *what)
{
	sqlite3_stmt *s;
	bool locked;
	int r, rc = SQLITE_OK;

	locked = read_enter(st);
	if ((s = get(st, id)) == NULL) {
		r = PT_EIO;
	} else {
		if (key != NULL)
			bind_str(s, 1, key, &rc);
		else
			bind_i64(s, 1, ikey, &rc);
		r = fetch_one(st, s, rc, decode, out, what);
	}
	read_leave(st, locked);
	if (r != PT_OK)
		pt_wipe(out, size);
	return r;
}

/* A list with integer parameters: ?1 = a, then ?2 = *b if given, then the
 * limit. No parent to check: an unknown a lists nothing. */
static int
read_list(struct sq_store *st, enum sid id, int64_t a, const int64_t *b,
	  bool (*decode)(sqlite3_stmt *, void *), void *out, size_t size, size_t max, size_t *n,
	  const char *what)
{
	sqlite3_stmt *s;
	bool locked;
	int r, rc = SQLITE_OK, i = 1;

	*n = 0;
	if (st == NULL || (out == NULL && max != 0))
		return PT_EINVAL;
	locked = read_enter(st);
	if ((s = get(st, id)) == NULL) {
		r = PT_EIO;
	} else {
		bind_i64(s, i++, a, &rc);
		if (b != NULL)
			bind_i64(s, i++, *b, &rc);
		bind_i64(s, i, limit_of(max), &rc);
		r = fetch_list(st, s, rc, decode, out, size, max, n, what);
	}
	read_leave(st, locked);
	return r;
}

/* Undo a failed call made of several statements, keep the caller's
 * transaction: r, or PT_EIO if even that failed. */
static int
savepoint_undo(struct sq_store *st, int r, const char *what)
{
	if (savepoint(st, S_ROLLBACK_TO, what) != PT_OK || savepoint(st, S_RELEASE, what) != PT_OK)
		return PT_EIO;
	return r;
}

/* ---- carriers ---- */

static bool
decode_carrier(sqlite3_stmt *s, void *out)
{
	struct pt_carrier *c = out;

	c->rowid = sqlite3_column_int64(s, 0);
	c->admin = sqlite3_column_int64(s, 6);
	c->created_at = sqlite3_column_int64(s, 7);
	if (!col_str(s, 1, c->id, sizeof(c->id)) || !col_str(s, 2, c->name, sizeof(c->name)) ||
	    !col_blob_exact(s, 3, c->pk, sizeof(c->pk)) || !col_bool(s, 4, &c->hosted))
		return false;
	if (sqlite3_column_type(s, 5) == SQLITE_NULL) {
		c->sealed_seed_len = 0;
		return !c->hosted;
	}
	return col_blob(s, 5, c->sealed_seed, sizeof(c->sealed_seed), &c->sealed_seed_len) &&
	       c->hosted && c->sealed_seed_len != 0;
}

static int
sq_carrier_insert(struct pt_store *base, struct pt_carrier *c)
{
	struct sq_store *st = (struct sq_store *)base;
	const char *what = "cannot insert a carrier";
	sqlite3_stmt *s;
	int r, rc = SQLITE_OK;

	if (c == NULL)
		return PT_EINVAL;
	c->rowid = 0;
	if (st == NULL)
		return PT_EINVAL;
	if ((r = write_enter(st, what)) != PT_OK)
		return r;
	/* A hosted carrier comes with its sealed seed, any other without. */
	if (!str_fits(c->id, sizeof(c->id)) || !pt_id_is_valid(c->id, strlen(c->id)) ||
	    !str_fits(c->name, sizeof(c->name)) || c->sealed_seed_len > sizeof(c->sealed_seed) ||
	    c->hosted != (c->sealed_seed_len != 0))
		return PT_EINVAL;
	if ((s = get(st, S_CARRIER_INSERT)) == NULL)
		return PT_EIO;
	c->created_at = now_or(c->created_at);
	bind_str(s, 1, c->id, &rc);
	bind_str(s, 2, c->name, &rc);
	bind_blob(s, 3, c->pk, sizeof(c->pk), &rc);
	bind_i64(s, 4, c->hosted ? 1 : 0, &rc);
	if (c->hosted)
		bind_blob(s, 5, c->sealed_seed, c->sealed_seed_len, &rc);
	else
		bind_null(s, 5, &rc);
	bind_i64(s, 6, c->admin, &rc);
	bind_i64(s, 7, c->created_at, &rc);
	/* PT_ENOTFOUND: the admin account does not exist. */
	return run_returning(st, s, rc, &c->rowid, what);
}

static int
sq_carrier_get(struct pt_store *base, const char *id, struct pt_carrier *c)
{
	struct sq_store *st = (struct sq_store *)base;
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
sq_carrier_list(struct pt_store *base, int64_t after, struct pt_carrier *out, size_t max,
		      size_t *n)
{
	struct sq_store *st = (struct sq_store *)base;
	if (n == NULL)
		return PT_EINVAL;
	return read_list(st, S_CARRIER_LIST, after, NULL, decode_carrier, out, sizeof(*out), max,
			 n, "cannot list carriers");
}

/* ---- couriers ---- */

static bool
decode_courier(sqlite3_stmt *s, void *out)
{
	struct pt_courier *c = out;

	c->account = sqlite3_column_int64(s, 0);
	c->created_at = sqlite3_column_int64(s, 6);
	c->updated_at = sqlite3_column_int64(s, 7);
	return col_str(s, 1, c->carrier_id, sizeof(c->carrier_id)) &&
	       col_str(s, 2, c->name, sizeof(c->name)) && col_u8(s, 3, &c->level) &&
	       col_blob(s, 4, c->attestation, sizeof(c->attestation), &c->attestation_len) &&
	       col_bool(s, 5, &c->active);
}

static int
sq_courier_insert(struct pt_store *base, const struct pt_courier *c)
{
	struct sq_store *st = (struct sq_store *)base;
	const char *what = "cannot insert a courier";
	sqlite3_stmt *s;
	int64_t created;
	int r, rc = SQLITE_OK;

	if (st == NULL || c == NULL)
		return PT_EINVAL;
	if ((r = write_enter(st, what)) != PT_OK)
		return r;
	if (!str_fits(c->carrier_id, sizeof(c->carrier_id)) || !str_fits(c->name, sizeof(c->name)) ||
	    c->attestation_len == 0 || c->attestation_len > sizeof(c->attestation))
		return PT_EINVAL;
	if ((s = get(st, S_COURIER_INSERT)) == NULL)
		return PT_EIO;
	created = now_or(c->created_at);
	bind_i64(s, 1, c->account, &rc);
	bind_str(s, 2, c->carrier_id, &rc);
	bind_str(s, 3, c->name, &rc);
	bind_i64(s, 4, c->level, &rc);
	bind_blob(s, 5, c->attestation, c->attestation_len, &rc);
	bind_i64(s, 6, c->active ? 1 : 0, &rc);
	bind_i64(s, 7, created, &rc);
	bind_i64(s, 8, c->updated_at != 0 ? c->updated_at : created, &rc);
	/* Nothing inserted: the carrier does not exist (an unknown account is
	 * the foreign key's PT_ENOTFOUND). */
	return run_changing(st, s, rc, what);
}

static int
sq_courier_get(struct pt_store *base, int64_t account, struct pt_courier *c)
{
	struct sq_store *st = (struct sq_store *)base;
	if (c == NULL)
		return PT_EINVAL;
	memset(c, 0, sizeof(*c));
	if (st == NULL)
		return PT_EINVAL;
	return read_one(st, S_COURIER_GET, NULL, account, decode_courier, c, sizeof(*c),
			"cannot read a courier");
}

static int
sq_courier_list(struct pt_store *base, const char *carrier_id, int64_t after,
		      struct pt_courier *out, size_t max, size_t *n)
{
	struct sq_store *st = (struct sq_store *)base;
	if (n == NULL)
		return PT_EINVAL;
	return list_of(st, S_CARRIER_ROWID, S_COURIER_LIST, carrier_id, &after, decode_courier,
		       out, sizeof(*out), max, n, "cannot list couriers");
}

static int
sq_courier_deactivate(struct pt_store *base, const char *carrier_id, int64_t account,
			    int64_t at)
{
	struct sq_store *st = (struct sq_store *)base;
	const char *what = "cannot deactivate a courier";
	sqlite3_stmt *s;
	int r, rc = SQLITE_OK;

	if (st == NULL || carrier_id == NULL)
		return PT_EINVAL;
	if ((r = write_enter(st, what)) != PT_OK)
		return r;
	if (!arg_fits(carrier_id, PT_ID_MAX))
		return PT_ENOTFOUND;
	if ((s = get(st, S_COURIER_DEACTIVATE)) == NULL)
		return PT_EIO;
	bind_str(s, 1, carrier_id, &rc);
	bind_i64(s, 2, account, &rc);
	bind_i64(s, 3, now_or(at), &rc);
	return run_changing(st, s, rc, what);
}

/* ---- devices ---- */

static bool
decode_device(sqlite3_stmt *s, void *out)
{
	struct pt_device *d = out;

	d->id = sqlite3_column_int64(s, 0);
	d->account = sqlite3_column_int64(s, 1);
	d->created_at = sqlite3_column_int64(s, 4);
	return col_blob_exact(s, 2, d->pk, sizeof(d->pk)) &&
	       col_str(s, 3, d->label, sizeof(d->label));
}

static int
sq_device_insert(struct pt_store *base, struct pt_device *d)
{
	struct sq_store *st = (struct sq_store *)base;
	const char *what = "cannot insert a device";
	sqlite3_stmt *s;
	int r, rc = SQLITE_OK;

	if (d == NULL)
		return PT_EINVAL;
	d->id = 0;
	if (st == NULL)
		return PT_EINVAL;
	if ((r = write_enter(st, what)) != PT_OK)
		return r;
	if (!str_fits(d->label, sizeof(d->label)))
		return PT_EINVAL;
	if ((s = get(st, S_DEVICE_INSERT)) == NULL)
		return PT_EIO;
	d->created_at = now_or(d->created_at);
	bind_i64(s, 1, d->account, &rc);
	bind_blob(s, 2, d->pk, sizeof(d->pk), &rc);
	bind_str(s, 3, d->label, &rc);
	bind_i64(s, 4, d->created_at, &rc);
	/* PT_ENOTFOUND: the account does not exist. */
	return run_returning(st, s, rc, &d->id, what);
}

static int
sq_device_list(struct pt_store *base, int64_t account, struct pt_device *out, size_t max,
		     size_t *n)
{
	struct sq_store *st = (struct sq_store *)base;
	if (n == NULL)
		return PT_EINVAL;
	return read_list(st, S_DEVICE_LIST, account, NULL, decode_device, out, sizeof(*out), max,
			 n, "cannot list devices");
}

static int
sq_device_delete(struct pt_store *base, int64_t account, int64_t id)
{
	struct sq_store *st = (struct sq_store *)base;
	const char *what = "cannot delete a device";
	sqlite3_stmt *s;
	int r, rc = SQLITE_OK;

	if (st == NULL)
		return PT_EINVAL;
	if ((r = write_enter(st, what)) != PT_OK)
		return r;
	if ((s = get(st, S_DEVICE_DELETE)) == NULL)
		return PT_EIO;
	bind_i64(s, 1, account, &rc);
	bind_i64(s, 2, id, &rc);
	return run_changing(st, s, rc, what);
}

static int
sq_device_by_pk(struct pt_store *base, int64_t account, const uint8_t pk[PT_PK_LEN],
		      struct pt_device *d)
{
	struct sq_store *st = (struct sq_store *)base;
	const char *what = "cannot read a device";
	sqlite3_stmt *s;
	bool locked;
	int r, rc = SQLITE_OK;

	if (d == NULL)
		return PT_EINVAL;
	memset(d, 0, sizeof(*d));
	if (st == NULL || pk == NULL)
		return PT_EINVAL;
	locked = read_enter(st);
	if ((s = get(st, S_DEVICE_BY_PK)) == NULL) {
		r = PT_EIO;
	} else {
		bind_i64(s, 1, account, &rc);
		bind_blob(s, 2, pk, PT_PK_LEN, &rc);
		r = fetch_one(st, s, rc, decode_device, d, what);
	}
	read_leave(st, locked);
	if (r != PT_OK)
		pt_wipe(d, sizeof(*d));
	return r;
}

/* ---- hubs ---- */

static bool
decode_hub(sqlite3_stmt *s, void *out)
{
	struct pt_hub *h = out;

	h->rowid = sqlite3_column_int64(s, 0);
	h->paired_by = sqlite3_column_int64(s, 6);
	h->created_at = sqlite3_column_int64(s, 7);
	h->last_seen = sqlite3_column_int64(s, 8);
	/* schema 5: NULL before the first state */
	if (sqlite3_column_type(s, 10) == SQLITE_NULL)
		h->state[0] = '\0';
	else if (!col_str(s, 10, h->state, sizeof(h->state)))
		return false;
	return col_bool(s, 9, &h->online) && col_bool(s, 11, &h->confirmed) &&
	       col_str(s, 1, h->id, sizeof(h->id)) &&
	       col_str(s, 2, h->home_id, sizeof(h->home_id)) &&
	       col_blob_exact(s, 3, h->pk, sizeof(h->pk)) &&
	       col_str(s, 4, h->label, sizeof(h->label)) &&
	       col_blob(s, 5, h->pairing, sizeof(h->pairing), &h->pairing_len);
}

static int
sq_hub_insert(struct pt_store *base, struct pt_hub *h)
{
	struct sq_store *st = (struct sq_store *)base;
	const char *what = "cannot insert a hub";
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
	    !str_fits(h->home_id, sizeof(h->home_id)) || !str_fits(h->label, sizeof(h->label)) ||
	    h->pairing_len == 0 || h->pairing_len > sizeof(h->pairing))
		return PT_EINVAL;
	if ((s = get(st, S_HUB_INSERT)) == NULL)
		return PT_EIO;
	h->created_at = now_or(h->created_at);
	bind_str(s, 1, h->id, &rc);
	bind_str(s, 2, h->home_id, &rc);
	bind_blob(s, 3, h->pk, sizeof(h->pk), &rc);
	bind_str(s, 4, h->label, &rc);
	bind_blob(s, 5, h->pairing, h->pairing_len, &rc);
	bind_i64(s, 6, h->paired_by, &rc);
	bind_i64(s, 7, h->created_at, &rc);
	bind_i64(s, 8, h->last_seen, &rc);
	return run_returning(st, s, rc, &h->rowid, what);
}

static int
sq_hub_list(struct pt_store *base, const char *home_id, struct pt_hub *out, size_t max,
		  size_t *n)
{
	struct sq_store *st = (struct sq_store *)base;
	if (n == NULL)
		return PT_EINVAL;
	return home_list_of(st, S_HUB_LIST, home_id, NULL, decode_hub, out, sizeof(*out), max, n,
			    "cannot list hubs");
}

/* The copy for the chain (S_HUB_REMOVE_KEEP), then the row: one savepoint.
 * rowid > 0: only that row, only while unconfirmed (both statements say
 * so; nothing else writes inside this transaction). */
static int
sq_hub_delete(struct pt_store *base, const char *home_id, const char *hub_id, int64_t rowid,
	      int64_t removed_at)
{
	struct sq_store *st = (struct sq_store *)base;
	const char *what = "cannot delete a hub";
	sqlite3_stmt *s;
	int r, rc = SQLITE_OK;

	if (st == NULL || home_id == NULL || hub_id == NULL)
		return PT_EINVAL;
	if ((r = write_enter(st, what)) != PT_OK)
		return r;
	if (!arg_fits(home_id, PT_ID_MAX) || !arg_fits(hub_id, PT_ID_MAX))
		return PT_ENOTFOUND;
	if ((r = savepoint(st, S_SAVEPOINT, what)) != PT_OK)
		return r;
	if ((s = get(st, S_HUB_REMOVE_KEEP)) == NULL) {
		r = PT_EIO;
		goto undo;
	}
	bind_str(s, 1, home_id, &rc);
	bind_str(s, 2, hub_id, &rc);
	bind_i64(s, 3, now_or(removed_at), &rc);
	bind_i64(s, 4, rowid, &rc);
	if ((r = run(st, s, rc, what)) != PT_OK)
		goto undo;
	rc = SQLITE_OK;
	if ((s = get(st, S_HUB_DELETE)) == NULL) {
		r = PT_EIO;
		goto undo;
	}
	bind_str(s, 1, home_id, &rc);
	bind_str(s, 2, hub_id, &rc);
	bind_i64(s, 3, rowid, &rc);
	if ((r = run_changing(st, s, rc, what)) != PT_OK)
		goto undo;
	if ((r = savepoint(st, S_RELEASE, what)) != PT_OK)
		goto undo;
	return PT_OK;
undo:
	return savepoint_undo(st, r, what);
}

static bool
decode_hub_get(sqlite3_stmt *s, void *out)
{
	struct pt_hub *h = out;

	h->removed_at = sqlite3_column_int64(s, 12);
	return decode_hub(s, out);
}

static int
sq_hub_get(struct pt_store *base, const char *home_id, const char *hub_id, struct pt_hub *h)
{
	struct sq_store *st = (struct sq_store *)base;
	const char *what = "cannot read a hub";
	sqlite3_stmt *s;
	bool locked;
	int r, rc = SQLITE_OK;

	if (!arg_fits(home_id, PT_ID_MAX) || !arg_fits(hub_id, PT_ID_MAX))
		return PT_ENOTFOUND;
	locked = read_enter(st);
	if ((s = get(st, S_HUB_GET)) == NULL) {
		r = PT_EIO;
	} else {
		bind_str(s, 1, home_id, &rc);
		bind_str(s, 2, hub_id, &rc);
		r = fetch_one(st, s, rc, decode_hub_get, h, what);
	}
	read_leave(st, locked);
	if (r != PT_OK)
		memset(h, 0, sizeof(*h));
	return r;
}

static int
sq_hub_by_id(struct pt_store *base, const char *hub_id, struct pt_hub *h)
{
	struct sq_store *st = (struct sq_store *)base;
	const char *what = "cannot read a hub";
	sqlite3_stmt *s;
	bool locked;
	int r, rc = SQLITE_OK;

	if (h == NULL)
		return PT_EINVAL;
	memset(h, 0, sizeof(*h));
	if (st == NULL || hub_id == NULL)
		return PT_EINVAL;
	if (!arg_fits(hub_id, PT_ID_MAX))
		return PT_ENOTFOUND;
	locked = read_enter(st);
	if ((s = get(st, S_HUB_BY_ID)) == NULL) {
		r = PT_EIO;
	} else {
		bind_str(s, 1, hub_id, &rc);
		r = fetch_one(st, s, rc, decode_hub, h, what);
	}
	read_leave(st, locked);
	if (r != PT_OK)
		pt_wipe(h, sizeof(*h));
	return r;
}

static int
sq_hub_seen(struct pt_store *base, const char *hub_id, int64_t at, bool online, bool *changed)
{
	struct sq_store *st = (struct sq_store *)base;
	const char *what = "cannot record a hub's state";
	sqlite3_stmt *s;
	int r, rc = SQLITE_OK;

	if (changed == NULL)
		return PT_EINVAL;
	*changed = false;
	if (st == NULL || hub_id == NULL)
		return PT_EINVAL;
	if ((r = write_enter(st, what)) != PT_OK)
		return r;
	if (!arg_fits(hub_id, PT_ID_MAX))
		return PT_ENOTFOUND;
	if ((s = get(st, S_HUB_SEEN_FLIP)) == NULL)
		return PT_EIO;
	bind_str(s, 1, hub_id, &rc);
	bind_i64(s, 2, online ? 1 : 0, &rc);
	bind_i64(s, 3, at, &rc);
	if ((r = run(st, s, rc, what)) != PT_OK)
		return r;
	if (sqlite3_changes(st->db) == 1) {
		*changed = true;
		return PT_OK;
	}
	if ((s = get(st, S_HUB_SEEN)) == NULL)
		return PT_EIO;
	rc = SQLITE_OK;
	bind_str(s, 1, hub_id, &rc);
	bind_i64(s, 2, online ? 1 : 0, &rc);
	bind_i64(s, 3, at, &rc);
	return run_changing(st, s, rc, what);
}

static int
sq_hub_confirm_set(struct pt_store *base, const char *home_id, const char *hub_id, bool confirmed,
		   bool *changed)
{
	struct sq_store *st = (struct sq_store *)base;
	const char *what = "cannot record a hub's confirmation";
	sqlite3_stmt *s;
	int r, rc = SQLITE_OK;

	*changed = false;
	if ((r = write_enter(st, what)) != PT_OK)
		return r;
	if (!arg_fits(home_id, PT_ID_MAX) || !arg_fits(hub_id, PT_ID_MAX))
		return PT_ENOTFOUND;
	if ((s = get(st, S_HUB_CONFIRM_FLIP)) == NULL)
		return PT_EIO;
	bind_str(s, 1, home_id, &rc);
	bind_str(s, 2, hub_id, &rc);
	bind_i64(s, 3, confirmed ? 1 : 0, &rc);
	if ((r = run(st, s, rc, what)) != PT_OK)
		return r;
	if (sqlite3_changes(st->db) == 1) {
		*changed = true;
		return PT_OK;
	}
	if ((s = get(st, S_HUB_CONFIRM_SAME)) == NULL)
		return PT_EIO;
	rc = SQLITE_OK;
	bind_str(s, 1, home_id, &rc);
	bind_str(s, 2, hub_id, &rc);
	bind_i64(s, 3, confirmed ? 1 : 0, &rc);
	return run_changing(st, s, rc, what);
}

static int
sq_hub_hold(struct pt_store *base, const char *home_id, const char *hub_id)
{
	struct sq_store *st = (struct sq_store *)base;
	const char *what = "cannot read a hub's confirmation";
	sqlite3_stmt *s;
	int r = PT_OK, rc = SQLITE_OK;

	if ((r = write_enter(st, what)) != PT_OK)
		return r;
	if (!arg_fits(home_id, PT_ID_MAX) || !arg_fits(hub_id, PT_ID_MAX))
		return PT_ENOTFOUND;
	if ((s = get(st, S_HUB_HOLD)) == NULL)
		return PT_EIO;
	bind_str(s, 1, home_id, &rc);
	bind_str(s, 2, hub_id, &rc);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		r = sqlite3_column_int64(s, 0) == 1 ? PT_OK : PT_ECONFLICT;
	else
		r = rc == SQLITE_DONE ? PT_ENOTFOUND : map_err(st, rc, what);
	done(s);
	return r;
}

/* Its own transaction when the caller has none (the MQTT thread stores the
 * state after the commit that recorded online/offline). */
static int
sq_hub_state_set(struct pt_store *base, const char *hub_id, const char *state)
{
	struct sq_store *st = (struct sq_store *)base;
	const char *what = "cannot store a hub's state";
	sqlite3_stmt *s;
	bool own;
	size_t n;
	int r, rc = SQLITE_OK;

	if (st == NULL || hub_id == NULL || state == NULL)
		return PT_EINVAL;
	n = strnlen(state, PT_HUB_STATE_MAX + 1);
	if (n < 2 || n > PT_HUB_STATE_MAX)
		return PT_EINVAL;
	if (!arg_fits(hub_id, PT_ID_MAX))
		return PT_ENOTFOUND;
	own = !holds_tx(st);
	if (own && (r = sq_begin(base)) != PT_OK)
		return r;
	if ((r = write_enter(st, what)) != PT_OK)
		goto out;
	if ((s = get(st, S_HUB_STATE)) == NULL) {
		r = PT_EIO;
		goto out;
	}
	bind_str(s, 1, hub_id, &rc);
	bind_str(s, 2, state, &rc);
	r = run_changing(st, s, rc, what);
out:
	if (own) {
		if (r == PT_OK)
			r = sq_commit(base);
		else
			sq_rollback(base);
	}
	return r;
}

static int
sq_hub_list_online(struct pt_store *base, int64_t after, struct pt_hub *out, size_t max,
		   size_t *n)
{
	struct sq_store *st = (struct sq_store *)base;
	sqlite3_stmt *s;
	bool locked;
	int r, rc = SQLITE_OK;

	if (n == NULL)
		return PT_EINVAL;
	*n = 0;
	if (st == NULL || (out == NULL && max != 0))
		return PT_EINVAL;
	locked = read_enter(st);
	if ((s = get(st, S_HUB_ONLINE)) == NULL) {
		r = PT_EIO;
	} else {
		bind_i64(s, 1, after, &rc);
		bind_i64(s, 2, limit_of(max), &rc);
		r = fetch_list(st, s, rc, decode_hub, out, sizeof(*out), max, n,
			       "cannot list online hubs");
	}
	read_leave(st, locked);
	return r;
}

/* A hub's home (rowid) and its events' source, "hub:<id>", under the
 * caller's lock. */
static int
hub_source(struct sq_store *st, const char *hub_id, int64_t *home, char source[PT_SOURCE_MAX + 1],
	   const char *what)
{
	int n;

	if (!arg_fits(hub_id, PT_ID_MAX))
		return PT_ENOTFOUND;
	n = snprintf(source, PT_SOURCE_MAX + 1, "hub:%s", hub_id);
	if (n < 0 || n > PT_SOURCE_MAX)
		return PT_ENOTFOUND;
	return rowid_of(st, S_HUB_HOME, hub_id, home, what);
}

/* Step s for the (optional) seq in column seq_col and the hash in hash_col. */
static int
fetch_seq_hash(struct sq_store *st, sqlite3_stmt *s, int rc, int seq_col, int hash_col,
	       int64_t *seq, uint8_t hash[PT_HASH_LEN], const char *what)
{
	int r = PT_OK;

	if (rc == SQLITE_OK)
		rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		if (seq_col >= 0)
			*seq = sqlite3_column_int64(s, seq_col);
		if (sqlite3_column_type(s, hash_col) != SQLITE_NULL &&
		    !col_blob_exact(s, hash_col, hash, PT_HASH_LEN))
			r = log_eio_msg(what, "stored value out of range");
	} else if (rc == SQLITE_DONE) {
		r = PT_ENOTFOUND;
	} else {
		r = map_err(st, rc, what);
	}
	done(s);
	return r;
}

static int
sq_hub_event_last(struct pt_store *base, const char *hub_id, int64_t *seq,
		  uint8_t hash[PT_HASH_LEN])
{
	struct sq_store *st = (struct sq_store *)base;
	const char *what = "cannot read a hub's last event";
	char source[PT_SOURCE_MAX + 1];
	sqlite3_stmt *s;
	int64_t home;
	bool locked;
	int r, rc = SQLITE_OK;

	if (seq == NULL || hash == NULL)
		return PT_EINVAL;
	*seq = 0;
	memset(hash, 0, PT_HASH_LEN);
	if (st == NULL || hub_id == NULL)
		return PT_EINVAL;
	locked = read_enter(st);
	if ((r = hub_source(st, hub_id, &home, source, what)) != PT_OK)
		goto out;
	if ((s = get(st, S_HUB_EVENT_LAST)) == NULL) {
		r = PT_EIO;
		goto out;
	}
	bind_i64(s, 1, home, &rc);
	bind_str(s, 2, source, &rc);
	r = fetch_seq_hash(st, s, rc, 0, 1, seq, hash, what);
	if (r == PT_ENOTFOUND)
		r = PT_OK;	/* none stored yet */
out:
	read_leave(st, locked);
	if (r != PT_OK) {
		*seq = 0;
		memset(hash, 0, PT_HASH_LEN);
	}
	return r;
}

static int
sq_hub_event_hash(struct pt_store *base, const char *hub_id, int64_t seq,
		  uint8_t hash[PT_HASH_LEN])
{
	struct sq_store *st = (struct sq_store *)base;
	const char *what = "cannot read a hub's event";
	char source[PT_SOURCE_MAX + 1];
	sqlite3_stmt *s;
	int64_t home;
	bool locked;
	int r, rc = SQLITE_OK;

	if (hash == NULL)
		return PT_EINVAL;
	memset(hash, 0, PT_HASH_LEN);
	if (st == NULL || hub_id == NULL)
		return PT_EINVAL;
	if (seq < 1)
		return PT_ENOTFOUND;
	locked = read_enter(st);
	if ((r = hub_source(st, hub_id, &home, source, what)) != PT_OK)
		goto out;
	if ((s = get(st, S_HUB_EVENT_HASH)) == NULL) {
		r = PT_EIO;
		goto out;
	}
	bind_i64(s, 1, home, &rc);
	bind_str(s, 2, source, &rc);
	bind_i64(s, 3, seq, &rc);
	r = fetch_seq_hash(st, s, rc, -1, 0, NULL, hash, what);
out:
	read_leave(st, locked);
	if (r != PT_OK)
		memset(hash, 0, PT_HASH_LEN);
	return r;
}

/* ---- a hub's chain: checkpoints and events by seq (schema 9) ---- */

static bool decode_event(sqlite3_stmt *s, void *out);

static bool
decode_checkpoint(sqlite3_stmt *s, void *out)
{
	struct pt_hub_checkpoint *c = out;

	c->seq = sqlite3_column_int64(s, 0);
	return c->seq > 0 && col_blob_exact(s, 1, c->sig, sizeof(c->sig));
}

static int
sq_hub_checkpoint_add(struct pt_store *base, const char *hub_id, int64_t seq,
		      const uint8_t sig[PT_SIG_LEN])
{
	struct sq_store *st = (struct sq_store *)base;
	const char *what = "cannot store a hub's checkpoint";
	char source[PT_SOURCE_MAX + 1];
	uint8_t old[PT_SIG_LEN];
	sqlite3_stmt *s;
	int64_t home;
	int r, rc = SQLITE_OK;

	if ((r = write_enter(st, what)) != PT_OK)
		return r;
	if ((r = hub_source(st, hub_id, &home, source, what)) != PT_OK)
		return r;
	if ((s = get(st, S_HUB_CP_ADD)) == NULL)
		return PT_EIO;
	bind_i64(s, 1, home, &rc);
	bind_str(s, 2, source, &rc);
	bind_i64(s, 3, seq, &rc);
	bind_blob(s, 4, sig, PT_SIG_LEN, &rc);
	if ((r = run(st, s, rc, what)) != PT_OK || sqlite3_changes(st->db) == 1)
		return r;
	/* Known: a resend (the same signature) or another signature of it. */
	rc = SQLITE_OK;
	if ((s = get(st, S_HUB_CP_GET)) == NULL)
		return PT_EIO;
	bind_i64(s, 1, home, &rc);
	bind_i64(s, 3, seq, &rc);
	bind_str(s, 2, source, &rc);
	memset(old, 0, sizeof(old));
	if (rc == SQLITE_OK)
		rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		r = col_blob_exact(s, 0, old, sizeof(old)) ? PT_OK
		    : log_eio_msg(what, "stored value out of range");
	else
		r = rc == SQLITE_DONE ? log_eio_msg(what, "a checkpoint vanished") : map_err(st, rc, what);
	done(s);
	if (r == PT_OK && memcmp(old, sig, PT_SIG_LEN) != 0)
		r = PT_EEXISTS;
	return r;
}

/* The home (rowid) named home_id if the hub is paired in it or was
 * removed from it (schema 10), and the hub's source, under the caller's
 * lock. */
static int
hub_home_source(struct sq_store *st, const char *home_id, const char *hub_id, int64_t *home,
		char source[PT_SOURCE_MAX + 1], const char *what)
{
	sqlite3_stmt *s;
	int n, r = PT_OK, rc = SQLITE_OK;

	*home = 0;
	if (!arg_fits(home_id, PT_ID_MAX) || !arg_fits(hub_id, PT_ID_MAX))
		return PT_ENOTFOUND;
	n = snprintf(source, PT_SOURCE_MAX + 1, "hub:%s", hub_id);
	if (n < 0 || n > PT_SOURCE_MAX)
		return PT_ENOTFOUND;
	if ((s = get(st, S_HUB_HOME_OF)) == NULL)
		return PT_EIO;
	bind_str(s, 1, home_id, &rc);
	bind_str(s, 2, hub_id, &rc);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*home = sqlite3_column_int64(s, 0);
	else
		r = rc == SQLITE_DONE ? PT_ENOTFOUND : map_err(st, rc, what);
	done(s);
	return r;
}

/* A range of the hub's rows: ?1 home, ?2 source, ?3 from, ?4 to, ?5 limit. */
static int
hub_range(struct sq_store *st, enum sid id, const char *home_id, const char *hub_id, int64_t from,
	  int64_t to, bool (*decode)(sqlite3_stmt *, void *), void *out, size_t size, size_t max,
	  size_t *n, const char *what)
{
	char source[PT_SOURCE_MAX + 1];
	sqlite3_stmt *s;
	int64_t home;
	bool locked;
	int r, rc = SQLITE_OK;

	*n = 0;
	locked = read_enter(st);
	if ((r = hub_home_source(st, home_id, hub_id, &home, source, what)) != PT_OK)
		goto out;
	if ((s = get(st, id)) == NULL) {
		r = PT_EIO;
		goto out;
	}
	bind_i64(s, 1, home, &rc);
	bind_str(s, 2, source, &rc);
	bind_i64(s, 3, from, &rc);
	bind_i64(s, 4, to, &rc);
	bind_i64(s, 5, limit_of(max), &rc);
	r = fetch_list(st, s, rc, decode, out, size, max, n, what);
out:
	read_leave(st, locked);
	return r;
}

static int
sq_hub_event_range(struct pt_store *base, const char *home_id, const char *hub_id, int64_t from,
		   int64_t to, struct pt_event_row *out, size_t max, size_t *n)
{
	return hub_range((struct sq_store *)base, S_HUB_EVENT_RANGE, home_id, hub_id, from, to,
			 decode_event, out, sizeof(*out), max, n, "cannot read a hub's events");
}

/* Newest first (the last max of the range): store.c turns them round. */
static int
sq_hub_checkpoint_range(struct pt_store *base, const char *home_id, const char *hub_id,
			int64_t from, int64_t to, struct pt_hub_checkpoint *out, size_t max,
			size_t *n)
{
	return hub_range((struct sq_store *)base, S_HUB_CP_RANGE, home_id, hub_id, from, to,
			 decode_checkpoint, out, sizeof(*out), max, n,
			 "cannot read a hub's checkpoints");
}

static int
sq_hub_checkpoint_next(struct pt_store *base, const char *home_id, const char *hub_id,
		       int64_t from, struct pt_hub_checkpoint *cp)
{
	size_t n = 0;
	int r;

	r = hub_range((struct sq_store *)base, S_HUB_CP_NEXT, home_id, hub_id, from, INT64_MAX,
		      decode_checkpoint, cp, sizeof(*cp), 1, &n, "cannot read a hub's checkpoint");
	if (r == PT_OK && n == 0)
		r = PT_ENOTFOUND;
	if (r != PT_OK)
		memset(cp, 0, sizeof(*cp));
	return r;
}

/* ---- deliveries ---- */

static bool
decode_delivery(sqlite3_stmt *s, void *out)
{
	struct pt_delivery *d = out;

	d->rowid = sqlite3_column_int64(s, 0);
	d->courier = sqlite3_column_int64(s, 5);
	d->device = sqlite3_column_int64(s, 6);
	d->window_start = sqlite3_column_int64(s, 10);
	d->window_end = sqlite3_column_int64(s, 11);
	d->created_at = sqlite3_column_int64(s, 14);
	d->updated_at = sqlite3_column_int64(s, 15);
	if (!col_str(s, 1, d->id, sizeof(d->id)) ||
	    !col_str(s, 2, d->home_id, sizeof(d->home_id)) ||
	    !col_str(s, 3, d->carrier_id, sizeof(d->carrier_id)) ||
	    !col_str(s, 4, d->package_id, sizeof(d->package_id)) || !col_u8(s, 7, &d->state) ||
	    !col_u8(s, 8, &d->approval) || !col_bool(s, 9, &d->in_home) ||
	    !col_str(s, 13, d->reason, sizeof(d->reason)))
		return false;
	d->has_token = sqlite3_column_type(s, 12) != SQLITE_NULL;
	return !d->has_token || col_blob_exact(s, 12, d->token_id, sizeof(d->token_id));
}

static bool
decode_step(sqlite3_stmt *s, void *out)
{
	struct pt_delivery_step *p = out;

	p->at = sqlite3_column_int64(s, 1);
	p->actor = sqlite3_column_int64(s, 2);
	return col_u8(s, 0, &p->state);
}

/* Under the caller's savepoint. */
static int
step_insert(struct sq_store *st, int64_t delivery, uint8_t state, int64_t at, int64_t actor,
	    const char *what)
{
	sqlite3_stmt *s;
	int rc = SQLITE_OK;

	if ((s = get(st, S_STEP_INSERT)) == NULL)
		return PT_EIO;
	bind_i64(s, 1, delivery, &rc);
	bind_i64(s, 2, state, &rc);
	bind_i64(s, 3, at, &rc);
	bind_i64(s, 4, actor, &rc);
	return run(st, s, rc, what);
}

/* The token column: NULL until a credential is issued. */
static void
bind_token(sqlite3_stmt *s, int i, const struct pt_delivery *d, int *rc)
{
	if (d->has_token)
		bind_blob(s, i, d->token_id, sizeof(d->token_id), rc);
	else
		bind_null(s, i, rc);
}

static int
sq_delivery_insert(struct pt_store *base, struct pt_delivery *d, int64_t actor)
{
	struct sq_store *st = (struct sq_store *)base;
	const char *what = "cannot insert a delivery";
	sqlite3_stmt *s;
	int r, rc = SQLITE_OK;

	if (d == NULL)
		return PT_EINVAL;
	d->rowid = 0;
	if (st == NULL)
		return PT_EINVAL;
	if ((r = write_enter(st, what)) != PT_OK)
		return r;
	if (!str_fits(d->id, sizeof(d->id)) || !pt_id_is_valid(d->id, strlen(d->id)) ||
	    !str_fits(d->home_id, sizeof(d->home_id)) ||
	    !str_fits(d->carrier_id, sizeof(d->carrier_id)) ||
	    !str_fits(d->package_id, sizeof(d->package_id)) ||
	    !str_fits(d->reason, sizeof(d->reason)))
		return PT_EINVAL;
	if ((r = savepoint(st, S_SAVEPOINT, what)) != PT_OK)
		return r;
	if ((s = get(st, S_DELIVERY_INSERT)) == NULL) {
		r = PT_EIO;
		goto out_rollback;
	}
	d->created_at = now_or(d->created_at);
	d->updated_at = d->updated_at != 0 ? d->updated_at : d->created_at;
	bind_str(s, 1, d->id, &rc);
	bind_str(s, 2, d->home_id, &rc);
	bind_str(s, 3, d->carrier_id, &rc);
	bind_str(s, 4, d->package_id, &rc);
	bind_i64(s, 5, d->courier, &rc);
	bind_i64(s, 6, d->device, &rc);
	bind_i64(s, 7, d->state, &rc);
	bind_i64(s, 8, d->approval, &rc);
	bind_i64(s, 9, d->in_home ? 1 : 0, &rc);
	bind_i64(s, 10, d->window_start, &rc);
	bind_i64(s, 11, d->window_end, &rc);
	bind_token(s, 12, d, &rc);
	bind_str(s, 13, d->reason, &rc);
	bind_i64(s, 14, d->created_at, &rc);
	bind_i64(s, 15, d->updated_at, &rc);
	/* PT_ENOTFOUND: the home or the carrier does not exist. */
	if ((r = run_returning(st, s, rc, &d->rowid, what)) != PT_OK)
		goto out_rollback;
	if ((r = step_insert(st, d->rowid, d->state, d->created_at, actor, what)) != PT_OK)
		goto out_rollback;
	if ((r = savepoint(st, S_RELEASE, what)) != PT_OK)
		goto out_rollback;
	return PT_OK;
out_rollback:
	d->rowid = 0;
	return savepoint_undo(st, r, what);
}

static int
sq_delivery_get(struct pt_store *base, const char *id, struct pt_delivery *d)
{
	struct sq_store *st = (struct sq_store *)base;
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
sq_delivery_update(struct pt_store *base, const struct pt_delivery *d, uint8_t from_state,
			 int64_t actor)
{
	struct sq_store *st = (struct sq_store *)base;
	const char *what = "cannot update a delivery";
	sqlite3_stmt *s;
	int64_t rowid = 0, updated;
	int r, rc = SQLITE_OK;

	if (st == NULL || d == NULL)
		return PT_EINVAL;
	if ((r = write_enter(st, what)) != PT_OK)
		return r;
	if (!str_fits(d->id, sizeof(d->id)) || !str_fits(d->reason, sizeof(d->reason)))
		return PT_EINVAL;
	if ((r = savepoint(st, S_SAVEPOINT, what)) != PT_OK)
		return r;
	if ((s = get(st, S_DELIVERY_UPDATE)) == NULL) {
		r = PT_EIO;
		goto out_rollback;
	}
	updated = now_or(d->updated_at);
	bind_str(s, 1, d->id, &rc);
	bind_i64(s, 2, from_state, &rc);
	bind_i64(s, 3, d->state, &rc);
	bind_i64(s, 4, d->approval, &rc);
	bind_i64(s, 5, d->courier, &rc);
	bind_i64(s, 6, d->device, &rc);
	bind_token(s, 7, d, &rc);
	bind_str(s, 8, d->reason, &rc);
	bind_i64(s, 9, updated, &rc);
	r = run_returning(st, s, rc, &rowid, what);
	if (r == PT_ENOTFOUND) {
		/* No row in from_state: moved on by someone else, or none at all. */
		r = rowid_of(st, S_DELIVERY_ROWID, d->id, &rowid, what);
		if (r == PT_OK)
			r = PT_ECONFLICT;
		goto out_rollback;
	}
	if (r != PT_OK)
		goto out_rollback;
	if (d->state != from_state &&
	    (r = step_insert(st, rowid, d->state, updated, actor, what)) != PT_OK)
		goto out_rollback;
	if ((r = savepoint(st, S_RELEASE, what)) != PT_OK)
		goto out_rollback;
	return PT_OK;
out_rollback:
	return savepoint_undo(st, r, what);
}

static int
sq_delivery_list(struct pt_store *base, const struct pt_delivery_filter *f, int64_t after,
		       struct pt_delivery *out, size_t max, size_t *n)
{
	struct sq_store *st = (struct sq_store *)base;
	sqlite3_stmt *s;
	enum sid id;
	bool locked;
	int r, rc = SQLITE_OK;

	if (n == NULL)
		return PT_EINVAL;
	*n = 0;
	if (st == NULL || f == NULL || (out == NULL && max != 0))
		return PT_EINVAL;
	/* An id too long to exist matches nothing. */
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
	locked = read_enter(st);
	if ((s = get(st, id)) == NULL) {
		r = PT_EIO;
	} else {
		bind_i64(s, 1, after, &rc);
		bind_opt_str(s, 2, f->home_id, &rc);
		bind_opt_str(s, 3, f->carrier_id, &rc);
		bind_i64(s, 4, f->courier, &rc);
		bind_i64(s, 5, f->member, &rc);
		bind_i64(s, 6, f->carrier_admin, &rc);
		bind_i64(s, 7, f->state, &rc);
		bind_i64(s, 8, limit_of(max), &rc);
		r = fetch_list(st, s, rc, decode_delivery, out, sizeof(*out), max, n,
			       "cannot list deliveries");
	}
	read_leave(st, locked);
	return r;
}

static int
sq_delivery_steps(struct pt_store *base, const char *id, struct pt_delivery_step *out,
			size_t max, size_t *n)
{
	struct sq_store *st = (struct sq_store *)base;
	if (n == NULL)
		return PT_EINVAL;
	return list_of(st, S_DELIVERY_ROWID, S_STEP_LIST, id, NULL, decode_step, out, sizeof(*out),
		       max, n, "cannot list delivery steps");
}

/* ---- events ---- */

static bool
decode_event(sqlite3_stmt *s, void *out)
{
	struct pt_event_row *e = out;

	e->id = sqlite3_column_int64(s, 0);
	e->at = sqlite3_column_int64(s, 2);
	e->hub_seq = sqlite3_column_int64(s, 6);
	if (sqlite3_column_type(s, 7) != SQLITE_NULL &&
	    !col_blob_exact(s, 7, e->hash, sizeof(e->hash)))
		return false;
	return col_str(s, 1, e->home_id, sizeof(e->home_id)) &&
	       col_str(s, 3, e->source, sizeof(e->source)) &&
	       col_str(s, 4, e->type, sizeof(e->type)) && col_str(s, 5, e->data, sizeof(e->data));
}

static int
sq_event_append(struct pt_store *base, struct pt_event_row *e)
{
	struct sq_store *st = (struct sq_store *)base;
	const char *what = "cannot append an event";
	sqlite3_stmt *s;
	int r, rc = SQLITE_OK;

	if (e == NULL)
		return PT_EINVAL;
	e->id = 0;
	if (st == NULL)
		return PT_EINVAL;
	if ((r = write_enter(st, what)) != PT_OK)
		return r;
	if (!str_fits(e->home_id, sizeof(e->home_id)) || !str_fits(e->source, sizeof(e->source)) ||
	    !str_fits(e->type, sizeof(e->type)) || !str_fits(e->data, sizeof(e->data)))
		return PT_EINVAL;
	if ((s = get(st, S_EVENT_INSERT)) == NULL)
		return PT_EIO;
	e->at = now_or(e->at);
	bind_str(s, 1, e->home_id, &rc);
	bind_i64(s, 2, e->at, &rc);
	bind_str(s, 3, e->source, &rc);
	bind_str(s, 4, e->type, &rc);
	bind_str(s, 5, e->data, &rc);
	bind_i64(s, 6, e->hub_seq, &rc);
	if (all_zero(e->hash, sizeof(e->hash)))
		bind_null(s, 7, &rc);
	else
		bind_blob(s, 7, e->hash, sizeof(e->hash), &rc);
	/* PT_EEXISTS: a hub's resend (events_hub_seq); PT_ENOTFOUND: no home. */
	return run_returning(st, s, rc, &e->id, what);
}

static int
sq_event_list(struct pt_store *base, const char *home_id, int64_t after,
		    struct pt_event_row *out, size_t max, size_t *n)
{
	struct sq_store *st = (struct sq_store *)base;
	if (n == NULL)
		return PT_EINVAL;
	return home_list_of(st, S_EVENT_LIST, home_id, &after, decode_event, out, sizeof(*out),
			    max, n, "cannot list events");
}

static int
sq_event_back_id(struct pt_store *base, const char *home_id, int64_t back, int64_t *id)
{
	struct sq_store *st = (struct sq_store *)base;
	const char *what = "cannot read a home's newest event";
	sqlite3_stmt *s;
	bool locked;
	int r, rc = SQLITE_OK;

	*id = 0;
	if (!arg_fits(home_id, PT_ID_MAX))
		return PT_OK;
	locked = read_enter(st);
	if ((s = get(st, S_EVENT_BACK_ID)) == NULL) {
		r = PT_EIO;
		goto out;
	}
	bind_str(s, 1, home_id, &rc);
	bind_i64(s, 2, back, &rc);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*id = sqlite3_column_int64(s, 0);
		r = PT_OK;
	} else if (rc == SQLITE_DONE) {
		r = PT_OK;	/* no such event: 0 */
	} else {
		r = map_err(st, rc, what);
	}
	done(s);
out:
	read_leave(st, locked);
	if (r != PT_OK)
		*id = 0;
	return r;
}

/* ---- alerts ---- */

static bool
decode_alert(sqlite3_stmt *s, void *out)
{
	struct pt_alert_row *a = out;

	a->id = sqlite3_column_int64(s, 0);
	a->at = sqlite3_column_int64(s, 2);
	a->event_id = sqlite3_column_int64(s, 5);
	a->acked_by = sqlite3_column_int64(s, 6);
	a->acked_at = sqlite3_column_int64(s, 7);
	return col_str(s, 1, a->home_id, sizeof(a->home_id)) &&
	       col_str(s, 3, a->type, sizeof(a->type)) && col_str(s, 4, a->data, sizeof(a->data));
}

static int
sq_alert_insert(struct pt_store *base, struct pt_alert_row *a)
{
	struct sq_store *st = (struct sq_store *)base;
	const char *what = "cannot insert an alert";
	sqlite3_stmt *s;
	int r, rc = SQLITE_OK;

	if (a == NULL)
		return PT_EINVAL;
	a->id = 0;
	if (st == NULL)
		return PT_EINVAL;
	if ((r = write_enter(st, what)) != PT_OK)
		return r;
	if (!str_fits(a->home_id, sizeof(a->home_id)) || !str_fits(a->type, sizeof(a->type)) ||
	    !str_fits(a->data, sizeof(a->data)))
		return PT_EINVAL;
	if ((s = get(st, S_ALERT_INSERT)) == NULL)
		return PT_EIO;
	a->at = now_or(a->at);
	bind_str(s, 1, a->home_id, &rc);
	bind_i64(s, 2, a->at, &rc);
	bind_str(s, 3, a->type, &rc);
	bind_str(s, 4, a->data, &rc);
	bind_i64(s, 5, a->event_id, &rc);
	/* A new alert is open (acked_by and acked_at are not stored).
	 * PT_ENOTFOUND: no such home, or event_id is not one of its events. */
	return run_returning(st, s, rc, &a->id, what);
}

static int
sq_alert_list(struct pt_store *base, const char *home_id, bool only_open, int64_t after,
		    struct pt_alert_row *out, size_t max, size_t *n)
{
	struct sq_store *st = (struct sq_store *)base;
	if (n == NULL)
		return PT_EINVAL;
	return home_list_of(st, only_open ? S_ALERT_LIST_OPEN : S_ALERT_LIST, home_id, &after,
			    decode_alert, out, sizeof(*out), max, n, "cannot list alerts");
}

static int
sq_alert_ack(struct pt_store *base, const char *home_id, int64_t id, int64_t account,
		   int64_t at, struct pt_alert_row *a)
{
	struct sq_store *st = (struct sq_store *)base;
	const char *what = "cannot acknowledge an alert";
	sqlite3_stmt *s;
	int r, rc = SQLITE_OK;

	if (a == NULL)
		return PT_EINVAL;
	memset(a, 0, sizeof(*a));
	if (st == NULL || home_id == NULL)
		return PT_EINVAL;
	if ((r = write_enter(st, what)) != PT_OK)
		return r;
	if (account <= 0)	/* acked_by 0 means open */
		return PT_EINVAL;
	if (!arg_fits(home_id, PT_ID_MAX))
		return PT_ENOTFOUND;
	if ((r = savepoint(st, S_SAVEPOINT, what)) != PT_OK)
		return r;
	if ((s = get(st, S_ALERT_ACK)) == NULL) {
		r = PT_EIO;
		goto out_rollback;
	}
	bind_str(s, 1, home_id, &rc);
	bind_i64(s, 2, id, &rc);
	bind_i64(s, 3, account, &rc);
	bind_i64(s, 4, now_or(at), &rc);
	/* Changes nothing if already acknowledged, or not of this home. */
	if ((r = run(st, s, rc, what)) != PT_OK)
		goto out_rollback;
	if ((s = get(st, S_ALERT_GET)) == NULL) {
		r = PT_EIO;
		goto out_rollback;
	}
	rc = SQLITE_OK;
	bind_str(s, 1, home_id, &rc);
	bind_i64(s, 2, id, &rc);
	if ((r = fetch_one(st, s, rc, decode_alert, a, what)) != PT_OK)
		goto out_rollback;
	if ((r = savepoint(st, S_RELEASE, what)) != PT_OK)
		goto out_rollback;
	return PT_OK;
out_rollback:
	pt_wipe(a, sizeof(*a));
	return savepoint_undo(st, r, what);
}

/* ---- the backend ---- */

static const struct pt_store_ops sq_ops = {
	.close = sq_close,
	.schema_version = sq_schema_version,
	.begin = sq_begin,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.account_insert = sq_account_insert,
	.account_by_email = sq_account_by_email,
	.account_by_id = sq_account_by_id,
	.session_insert = sq_session_insert,
	.session_lookup = sq_session_lookup,
	.session_get = sq_session_get,
	.session_delete = sq_session_delete,
	.session_delete_all = sq_session_delete_all,
	.home_insert = sq_home_insert,
	.home_get = sq_home_get,
	.home_by_id = sq_home_by_id,
	.home_list = sq_home_list,
	.home_update = sq_home_update,
	.home_delete = sq_home_delete,
	.member_add = sq_member_add,
	.member_list = sq_member_list,
	.member_remove = sq_member_remove,
	.owner_key_insert = sq_owner_key_insert,
	.owner_key_list = sq_owner_key_list,
	.grant_insert = sq_grant_insert,
	.grant_list = sq_grant_list,
	.grant_list_by_holder = sq_grant_list_by_holder,
	.revocation_insert = sq_revocation_insert,
	.revocation_list = sq_revocation_list,
	.revocation_newest = sq_revocation_newest,
	.revocation_key_find = sq_revocation_key_find,
	.audit_append = sq_audit_append,
	.audit_verify = sq_audit_verify,
	.carrier_insert = sq_carrier_insert,
	.carrier_get = sq_carrier_get,
	.carrier_list = sq_carrier_list,
	.courier_insert = sq_courier_insert,
	.courier_get = sq_courier_get,
	.courier_list = sq_courier_list,
	.courier_deactivate = sq_courier_deactivate,
	.device_insert = sq_device_insert,
	.device_list = sq_device_list,
	.device_delete = sq_device_delete,
	.device_by_pk = sq_device_by_pk,
	.hub_insert = sq_hub_insert,
	.hub_list = sq_hub_list,
	.hub_delete = sq_hub_delete,
	.hub_by_id = sq_hub_by_id,
	.hub_seen = sq_hub_seen,
	.hub_confirm_set = sq_hub_confirm_set,
	.hub_hold = sq_hub_hold,
	.hub_state_set = sq_hub_state_set,
	.hub_list_online = sq_hub_list_online,
	.hub_event_last = sq_hub_event_last,
	.hub_event_hash = sq_hub_event_hash,
	.delivery_insert = sq_delivery_insert,
	.delivery_get = sq_delivery_get,
	.delivery_update = sq_delivery_update,
	.delivery_list = sq_delivery_list,
	.delivery_steps = sq_delivery_steps,
	.event_append = sq_event_append,
	.event_list = sq_event_list,
	.event_back_id = sq_event_back_id,
	.alert_insert = sq_alert_insert,
	.alert_list = sq_alert_list,
	.alert_ack = sq_alert_ack,
	.camera_insert = sq_camera_insert,
	.camera_list = sq_camera_list,
	.camera_delete = sq_camera_delete,
	.camera_by_id = sq_camera_by_id,
	.clip_get = sq_clip_get,
	.clip_list = sq_clip_list,
	.clip_put = sq_clip_put,
	.clip_manifest = sq_clip_manifest,
	.clip_usage = sq_clip_usage,
	.home_lock = sq_home_lock,
	.clip_keyrec_put = sq_clip_keyrec_put,
	.clip_keyrec = sq_clip_keyrec,
	.hub_checkpoint_add = sq_hub_checkpoint_add,
	.hub_event_range = sq_hub_event_range,
	.hub_checkpoint_range = sq_hub_checkpoint_range,
	.hub_checkpoint_next = sq_hub_checkpoint_next,
	.hub_get = sq_hub_get,
};

/* ---- cameras and clips (schema 4) ---- */

static bool
decode_camera(sqlite3_stmt *s, void *out)
{
	struct pt_camera *c = out;

	c->rowid = sqlite3_column_int64(s, 0);
	c->added_by = sqlite3_column_int64(s, 5);
	c->created_at = sqlite3_column_int64(s, 6);
	/* The statement: NULL for a camera enrolled without one (schema 6). */
	c->statement_len = 0;
	if (sqlite3_column_type(s, 7) != SQLITE_NULL &&
	    (!col_blob(s, 7, c->statement, sizeof(c->statement), &c->statement_len) ||
	     c->statement_len == 0))
		return false;
	return col_str(s, 1, c->id, sizeof(c->id)) && col_str(s, 2, c->home_id, sizeof(c->home_id)) &&
	       col_blob_exact(s, 3, c->pk, sizeof(c->pk)) && col_str(s, 4, c->name, sizeof(c->name));
}

static bool
decode_clip(sqlite3_stmt *s, void *out)
{
	struct pt_clip_row *c = out;

	c->rowid = sqlite3_column_int64(s, 0);
	c->segments = sqlite3_column_int64(s, 5);
	c->bytes = sqlite3_column_int64(s, 6);
	c->manifest_len = sqlite3_column_int64(s, 7);
	c->declared = sqlite3_column_int64(s, 8);
	c->start_ms = sqlite3_column_int64(s, 9);
	c->end_ms = sqlite3_column_int64(s, 10);
	c->created_at = sqlite3_column_int64(s, 11);
	c->updated_at = sqlite3_column_int64(s, 12);
	c->keyrec_len = sqlite3_column_int64(s, 13);
	return col_blob_exact(s, 1, c->clip, sizeof(c->clip)) &&
	       col_str(s, 2, c->home_id, sizeof(c->home_id)) &&
	       col_str(s, 3, c->camera, sizeof(c->camera)) &&
	       col_blob_exact(s, 4, c->camera_pk, sizeof(c->camera_pk));
}

static int
sq_camera_insert(struct pt_store *base, struct pt_camera *c)
{
	struct sq_store *st = (struct sq_store *)base;
	const char *what = "cannot insert a camera";
	sqlite3_stmt *s;
	int r, rc = SQLITE_OK;

	if (c == NULL)
		return PT_EINVAL;
	c->rowid = 0;
	if (st == NULL)
		return PT_EINVAL;
	if ((r = write_enter(st, what)) != PT_OK)
		return r;
	if (!str_fits(c->id, sizeof(c->id)) || !pt_id_is_valid(c->id, strlen(c->id)) ||
	    !str_fits(c->home_id, sizeof(c->home_id)) || !str_fits(c->name, sizeof(c->name)) ||
	    c->statement_len > sizeof(c->statement))
		return PT_EINVAL;
	if ((s = get(st, S_CAMERA_INSERT)) == NULL)
		return PT_EIO;
	c->created_at = now_or(c->created_at);
	bind_str(s, 1, c->id, &rc);
	bind_str(s, 2, c->home_id, &rc);
	bind_blob(s, 3, c->pk, sizeof(c->pk), &rc);
	bind_str(s, 4, c->name, &rc);
	bind_i64(s, 5, c->added_by, &rc);
	bind_i64(s, 6, c->created_at, &rc);
	if (c->statement_len > 0)
		bind_blob(s, 7, c->statement, c->statement_len, &rc);
	else
		bind_null(s, 7, &rc);
	return run_returning(st, s, rc, &c->rowid, what);
}

static int
sq_camera_list(struct pt_store *base, const char *home_id, struct pt_camera *out, size_t max,
	       size_t *n)
{
	struct sq_store *st = (struct sq_store *)base;

	if (n == NULL)
		return PT_EINVAL;
	return home_list_of(st, S_CAMERA_LIST, home_id, NULL, decode_camera, out, sizeof(*out), max,
			    n, "cannot list cameras");
}

static int
sq_camera_delete(struct pt_store *base, const char *home_id, const char *camera_id)
{
	struct sq_store *st = (struct sq_store *)base;
	const char *what = "cannot delete a camera";
	sqlite3_stmt *s;
	int r, rc = SQLITE_OK;

	if (st == NULL || home_id == NULL || camera_id == NULL)
		return PT_EINVAL;
	if ((r = write_enter(st, what)) != PT_OK)
		return r;
	if (!arg_fits(home_id, PT_ID_MAX) || !arg_fits(camera_id, PT_ID_MAX))
		return PT_ENOTFOUND;
	if ((s = get(st, S_CAMERA_DELETE)) == NULL)
		return PT_EIO;
	bind_str(s, 1, home_id, &rc);
	bind_str(s, 2, camera_id, &rc);
	return run_changing(st, s, rc, what);
}

/* One row by a text or blob key (blob_len 0: text). */
static int
sq_read_one(struct sq_store *st, enum sid id, const void *key, size_t blob_len,
	    bool (*decode)(sqlite3_stmt *, void *), void *out, size_t size, const char *what)
{
	sqlite3_stmt *s;
	bool locked;
	int r, rc = SQLITE_OK;

	locked = read_enter(st);
	if ((s = get(st, id)) == NULL) {
		r = PT_EIO;
	} else {
		if (blob_len != 0)
			bind_blob(s, 1, key, blob_len, &rc);
		else
			bind_str(s, 1, key, &rc);
		r = fetch_one(st, s, rc, decode, out, what);
	}
	read_leave(st, locked);
	if (r != PT_OK)
		pt_wipe(out, size);
	return r;
}

static int
sq_camera_by_id(struct pt_store *base, const char *camera_id, struct pt_camera *c)
{
	struct sq_store *st = (struct sq_store *)base;

	if (c == NULL)
		return PT_EINVAL;
	memset(c, 0, sizeof(*c));
	if (st == NULL || camera_id == NULL)
		return PT_EINVAL;
	if (!arg_fits(camera_id, PT_ID_MAX))
		return PT_ENOTFOUND;
	return sq_read_one(st, S_CAMERA_BY_ID, camera_id, 0, decode_camera, c, sizeof(*c),
			   "cannot read a camera");
}

static int
sq_clip_get(struct pt_store *base, const char *home_id, const uint8_t clip[16],
	    struct pt_clip_row *c)
{
	struct sq_store *st = (struct sq_store *)base;
	sqlite3_stmt *s;
	bool locked;
	int r, rc = SQLITE_OK;

	if (c == NULL)
		return PT_EINVAL;
	memset(c, 0, sizeof(*c));
	if (st == NULL || clip == NULL || home_id == NULL)
		return PT_EINVAL;
	locked = read_enter(st);
	if ((s = get(st, S_CLIP_GET)) == NULL) {
		r = PT_EIO;
	} else {
		bind_blob(s, 1, clip, 16, &rc);
		bind_str(s, 2, home_id, &rc);
		r = fetch_one(st, s, rc, decode_clip, c, "cannot read a clip");
	}
	read_leave(st, locked);
	if (r != PT_OK)
		pt_wipe(c, sizeof(*c));
	return r;
}

static int
sq_clip_list(struct pt_store *base, const char *home_id, int64_t after, struct pt_clip_row *out,
	     size_t max, size_t *n)
{
	struct sq_store *st = (struct sq_store *)base;

	if (n == NULL)
		return PT_EINVAL;
	return home_list_of(st, S_CLIP_LIST, home_id, &after, decode_clip, out, sizeof(*out), max, n,
			    "cannot list clips");
}

static int
sq_clip_put(struct pt_store *base, const struct pt_clip_row *c, int64_t seg_bytes,
	    const uint8_t *manifest, size_t manifest_len)
{
	struct sq_store *st = (struct sq_store *)base;
	const char *what = "cannot store a clip";
	sqlite3_stmt *s;
	int64_t id;
	int r, rc = SQLITE_OK;

	if (st == NULL || c == NULL || seg_bytes < 0 ||
	    (manifest != NULL && (manifest_len == 0 || manifest_len > PT_CLIP_MANIFEST_STORE_MAX)))
		return PT_EINVAL;
	if ((r = write_enter(st, what)) != PT_OK)
		return r;
	if (!str_fits(c->home_id, sizeof(c->home_id)) || !str_fits(c->camera, sizeof(c->camera)))
		return PT_EINVAL;
	if ((s = get(st, S_CLIP_PUT)) == NULL)
		return PT_EIO;
	bind_blob(s, 1, c->clip, sizeof(c->clip), &rc);
	bind_str(s, 2, c->home_id, &rc);
	bind_str(s, 3, c->camera, &rc);
	bind_blob(s, 4, c->camera_pk, sizeof(c->camera_pk), &rc);
	bind_i64(s, 5, seg_bytes > 0 ? 1 : 0, &rc);
	bind_i64(s, 6, seg_bytes, &rc);
	if (manifest != NULL)
		bind_blob(s, 7, manifest, manifest_len, &rc);
	else
		bind_null(s, 7, &rc);
	bind_i64(s, 8, manifest != NULL ? c->declared : 0, &rc);
	bind_i64(s, 9, manifest != NULL ? c->start_ms : 0, &rc);
	bind_i64(s, 10, manifest != NULL ? c->end_ms : 0, &rc);
	bind_i64(s, 11, now_or(c->updated_at), &rc);
	return run_returning(st, s, rc, &id, what);
}

/* A clip's manifest or key record (stmt id) into out[cap]. */
static int
sq_clip_blob(struct sq_store *st, enum sid id, const char *what, const char *home_id,
	     const uint8_t clip[16], uint8_t *out, size_t cap, size_t *len)
{
	sqlite3_stmt *s;
	bool locked;
	int r = PT_OK, rc = SQLITE_OK;

	if (len == NULL)
		return PT_EINVAL;
	*len = 0;
	if (st == NULL || clip == NULL || home_id == NULL || (out == NULL && cap != 0))
		return PT_EINVAL;
	locked = read_enter(st);
	if ((s = get(st, id)) == NULL) {
		r = PT_EIO;
	} else {
		bind_blob(s, 1, clip, 16, &rc);
		bind_str(s, 2, home_id, &rc);
		if (rc == SQLITE_OK)
			rc = sqlite3_step(s);
		if (rc == SQLITE_ROW) {
			size_t n = (size_t)sqlite3_column_bytes(s, 0);
			const void *p = sqlite3_column_blob(s, 0);
			if (n > cap)
				r = PT_ENOSPC;
			else if (p == NULL)
				r = log_eio_msg(what, "stored value out of range");
			else {
				memcpy(out, p, n);
				*len = n;
			}
		} else {
			r = rc == SQLITE_DONE ? PT_ENOTFOUND : map_err(st, rc, what);
		}
		done(s);
	}
	read_leave(st, locked);
	return r;
}

static int
sq_clip_manifest(struct pt_store *base, const char *home_id, const uint8_t clip[16],
		 uint8_t *out, size_t cap, size_t *len)
{
	return sq_clip_blob((struct sq_store *)base, S_CLIP_MANIFEST, "cannot read a manifest",
			    home_id, clip, out, cap, len);
}

static int
sq_clip_keyrec(struct pt_store *base, const char *home_id, const uint8_t clip[16], uint8_t *out,
	       size_t cap, size_t *len)
{
	return sq_clip_blob((struct sq_store *)base, S_CLIP_KEYREC, "cannot read a key record",
			    home_id, clip, out, cap, len);
}

static int
sq_clip_keyrec_put(struct pt_store *base, const struct pt_clip_row *c, const uint8_t *keyrec,
		   size_t keyrec_len)
{
	struct sq_store *st = (struct sq_store *)base;
	const char *what = "cannot store a key record";
	sqlite3_stmt *s;
	int64_t id;
	int r, rc = SQLITE_OK;

	if (st == NULL || c == NULL || keyrec == NULL || keyrec_len == 0 ||
	    keyrec_len > PT_CLIP_KEYREC_STORE_MAX)
		return PT_EINVAL;
	if ((r = write_enter(st, what)) != PT_OK)
		return r;
	if (!str_fits(c->home_id, sizeof(c->home_id)) || !str_fits(c->camera, sizeof(c->camera)))
		return PT_EINVAL;
	if ((s = get(st, S_CLIP_KEYREC_PUT)) == NULL)
		return PT_EIO;
	bind_blob(s, 1, c->clip, sizeof(c->clip), &rc);
	bind_str(s, 2, c->home_id, &rc);
	bind_str(s, 3, c->camera, &rc);
	bind_blob(s, 4, c->camera_pk, sizeof(c->camera_pk), &rc);
	bind_i64(s, 5, now_or(c->updated_at), &rc);
	bind_blob(s, 6, keyrec, keyrec_len, &rc);
	return run_returning(st, s, rc, &id, what);
}

static int
sq_clip_usage(struct pt_store *base, const char *home_id, int64_t *bytes)
{
	struct sq_store *st = (struct sq_store *)base;
	const char *what = "cannot sum a home's clips";
	sqlite3_stmt *s;
	bool locked;
	int r = PT_OK, rc = SQLITE_OK;

	if (bytes == NULL)
		return PT_EINVAL;
	*bytes = 0;
	if (st == NULL || home_id == NULL)
		return PT_EINVAL;
	if (!arg_fits(home_id, PT_ID_MAX))
		return PT_ENOTFOUND;
	locked = read_enter(st);
	if ((s = get(st, S_CLIP_USAGE)) == NULL) {
		r = PT_EIO;
	} else {
		bind_str(s, 1, home_id, &rc);
		if (rc == SQLITE_OK)
			rc = sqlite3_step(s);
		if (rc == SQLITE_ROW)
			*bytes = sqlite3_column_int64(s, 0);
		else
			r = map_err(st, rc, what);
		done(s);
	}
	read_leave(st, locked);
	return r;
}

/* A transaction here holds the store's one writer lock (BEGIN IMMEDIATE,
 * and st->mu): every other is serialised already. The home must exist, as
 * with PostgreSQL. */
static int
sq_home_lock(struct pt_store *base, const char *home_id)
{
	struct sq_store *st = (struct sq_store *)base;
	const char *what = "cannot lock a home";
	sqlite3_stmt *s;
	int r = PT_OK, rc = SQLITE_OK;

	if (st == NULL || home_id == NULL || !holds_tx(st))
		return PT_EINVAL;
	if (!arg_fits(home_id, PT_ID_MAX))
		return PT_ENOTFOUND;
	if ((s = get(st, S_HOME_EXISTS)) == NULL)
		return PT_EIO;
	bind_str(s, 1, home_id, &rc);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(s);
	if (rc == SQLITE_DONE)
		r = PT_ENOTFOUND;
	else if (rc != SQLITE_ROW)
		r = map_err(st, rc, what);
	done(s);
	return r;
}
