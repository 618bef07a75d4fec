/* Internal to porterd. */
#ifndef PORTERD_H
#define PORTERD_H

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <jansson.h>

#include "porter/crypto.h"
#include "porter/keyfile.h"
#include "porter/store.h"

#define PORTERD_VERSION "0.1.0"

/* log.c: one line per event, key=value, to stderr (the journal under systemd). */
enum { LOG_ERR_ = 0, LOG_WARN_ = 1, LOG_INFO_ = 2, LOG_DEBUG_ = 3 };
void log_set_level(int level);
void plog(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* config.c: declared once in a table that drives parsing, checks and docs. */
struct config {
	char listen[128];	/* host:port; port 0 picks a free one */
	unsigned threads;
	size_t max_body;
	unsigned per_ip_connections;	/* MHD_OPTION_PER_IP_CONNECTION_LIMIT */
	bool signup_open;
	int64_t session_ttl;	/* seconds */
	char tls_cert[PATH_MAX];
	char tls_key[PATH_MAX];
	char store_path[PATH_MAX];
	char zoneinfo[PATH_MAX];
	char sealing_key[PATH_MAX];	/* seals hosted carriers' keys at rest */
	unsigned arrival_radius;	/* metres: how near the home a courier must be */
	int64_t issue_window;		/* seconds a just-in-time credential lasts */
	int log_level;
	/* [mqtt] (mqtt.c, docs/mqtt.md): read at start; a change needs a restart. */
	char mqtt_broker[262];		/* host:port; "" = no MQTT */
	char mqtt_username[128];
	char mqtt_password_file[PATH_MAX];
	char mqtt_tls_ca[PATH_MAX];	/* set: TLS to the broker */
	char mqtt_tls_cert[PATH_MAX];
	char mqtt_tls_key[PATH_MAX];
	char mqtt_client_id[PT_ID_MAX + 1];	/* "" = porterd-<16 random hex digits> */
	char mqtt_share_group[PT_ID_MAX + 1];	/* "" = plain subscriptions */
	int64_t mqtt_beacon;		/* seconds between time beacons */
	/* [clips] (api_clip.c, docs/clips.md) */
	char clips_dir[PATH_MAX];	/* sealed segments: <dir>/<home>/<clip hex>/<index> */
	size_t clips_max_segment;	/* bytes of one sealed segment upload */
	size_t clips_quota;		/* bytes of sealed segments per home */
	unsigned clips_max_uploads;	/* segment bodies received at once */
	/* [web] (web.c, stream.c, docs/web.md) */
	char web_dir[PATH_MAX];		/* the built app; "" = no app */
	int64_t web_stream_max;		/* seconds one live stream lasts */
	unsigned web_streams;		/* live streams open at once */
	int web_cookie_secure;		/* WEB_SECURE_AUTO (TLS), _ALWAYS, _NEVER */
	unsigned web_streams_per_account; /* of them, one account's */
	unsigned web_streams_per_address; /* of them, one address's (IPv6: its /64) */
	/* [live] (live.c, docs/live.md) */
	unsigned live_sessions;		/* live sessions open at once */
	unsigned live_viewers_per_home;	/* of them, one home's */
	size_t live_memory;		/* bytes of key records and fragments held */
	size_t live_session_memory;	/* of them, one session's at most */
	unsigned live_buffer;		/* media fragments kept per session */
	int64_t live_idle_timeout;	/* seconds without a viewer's fetch: ended */
	int64_t live_wait;		/* seconds a fragment GET waits (then 204) */
	int64_t live_skew;		/* seconds a request's iat may be off */
};
void config_defaults(struct config *c);
int config_load(const char *path, struct config *c, struct pt_errbuf *err);
void config_print(const struct config *c);
/* Is the store a database server that several porterd may share? */
bool config_store_is_shared(const struct config *c);
/* v with a URI's password replaced by "***", for logs and screens. */
void config_redact(const char *v, char *out, size_t cap);	/* `porterd -n -v`: the values in force */
/* "127.0.0.1:8480", "[::1]:8480": numeric address and port only. 0 or -1. */
struct sockaddr_storage;
int config_parse_listen(const char *listen, struct sockaddr_storage *ss, socklen_t *len);

/* ratelimit.c: sign-in attempts per account and per address. */
struct ratelimit;
struct ratelimit *ratelimit_new(void);
void ratelimit_free(struct ratelimit *rl);
/* Times in milliseconds (monotonic). 0 if an attempt may proceed now (and
 * it is then counted as a failure already), else the milliseconds to wait.
 * addr is the client's IPv4 address or IPv6 /64 prefix. */
int64_t ratelimit_attempt(struct ratelimit *rl, const char *account, const char *addr,
			  int64_t now_ms);
/* The attempt succeeded: clear the account's count, take back the address's. */
void ratelimit_success(struct ratelimit *rl, const char *account, const char *addr);
/* The attempt failed, its check now done: the delay runs from now (the
 * password check's time does not eat into it). */
void ratelimit_failed(struct ratelimit *rl, const char *account, const char *addr,
		      int64_t now_ms);
/*
 * Chain reads of one account (GET .../hubs/{hub_id}/chain): at most
 * RL_CHAIN_AT_ONCE in flight, RL_CHAIN_PER_MIN started a minute, and
 * RL_CHAIN_ALL in flight for all accounts together (each answer holds a
 * few megabytes until it is sent, however many accounts ask). 0: taken
 * (counted; ratelimit_chain_done once its answer is sent or dropped), else
 * the milliseconds to wait, *at_once telling which limit it met.
 */
#define RL_CHAIN_AT_ONCE 2
#define RL_CHAIN_PER_MIN 10
#define RL_CHAIN_ALL 16
int64_t ratelimit_chain_take(struct ratelimit *rl, int64_t account, int64_t now_ms,
			     bool *at_once);
void ratelimit_chain_done(struct ratelimit *rl, int64_t account);

/* cache.c: sessions and home memberships, invalidated by generation; and
 * the digests of delegation chains that verified. */
struct cache;
struct cache *cache_new(void);
void cache_free(struct cache *c);
uint64_t cache_gen(struct cache *c);
void cache_bump(struct cache *c);	/* after every commit that may change an answer */
bool cache_session_get(struct cache *c, const uint8_t th[PT_HASH_LEN], int64_t now,
		       struct pt_account *a);
void cache_session_put(struct cache *c, uint64_t gen, const uint8_t th[PT_HASH_LEN],
		       int64_t expires_at, const struct pt_account *a);
/* *policy (if policy is not NULL): the home's policy parsed, shared: a
 * reference the caller json_decref()s, never to be changed; NULL if the
 * stored text did not parse. */
bool cache_home_get(struct cache *c, const char *home_id, int64_t account, struct pt_home *h,
		    int *role, json_t **policy);
void cache_home_put(struct cache *c, uint64_t gen, int64_t account, const struct pt_home *h,
		    int role);
/* A chain whose SHA-256 (with its root set) is digest verified. */
bool cache_verified_has(struct cache *c, const uint8_t digest[PT_HASH_LEN]);
void cache_verified_put(struct cache *c, const uint8_t digest[PT_HASH_LEN]);

/*
 * mqtt.c: porterd's side of MQTT (docs/mqtt.md) with libmosquitto, in a
 * thread of its own. It reads hubs' state and events and writes acks,
 * revocations, commands and time beacons; every store access is a normal
 * store transaction on its thread. HTTP never waits for the broker: the
 * calls below publish (libmosquitto queues) and return.
 */
struct mqtt;
struct server;
/* Start when [mqtt] broker is set: *out NULL (and 0) when it is not. 0, or
 * -1 with err (a password file that is unreadable or not 0600, TLS files).
 * Connecting happens in the background, with backoff, for as long as it
 * takes. */
int mqtt_start(struct server *s, struct mqtt **out, struct pt_errbuf *err);
/* Disconnect, join the thread, free. NULL is fine. */
void mqtt_stop(struct mqtt *m);
/* A revocation of home_id was committed: publish the home's newest 32 to
 * each of its hubs (retained). No-op without MQTT; failures are logged. */
void mqtt_revocations_changed(struct server *s, const char *home_id);
/* The home's owner-key statements changed (committed): publish them,
 * retained, to each of its hubs' porter/v1/hub/<id>/owners (docs/web.md,
 * "Endorsing an owner key"). No-op without MQTT; failures are logged. */
void mqtt_owners_changed(struct server *s, const char *home_id);
/* A hub was paired through the API (committed): if it published its state
 * before porterd knew it, take that state now (online, revocation
 * catch-up). No-op without MQTT. */
void mqtt_hub_paired(struct server *s, const char *hub_id);
/* A hub was paired through the API (committed): relay the pairing to it
 * on porter/v1/hub/<hub_id>/pair (QoS 1, not retained; docs/mqtt.md):
 * the body of a link PAIR, {home_id, owner (the owner key that verified
 * the statement), the statement as uploaded}. The hub takes it only while
 * it shows a code (the statement's nonce is a MAC of that code, which
 * porterd never sees). Best effort: without MQTT, not connected, or a
 * failed publish, it logs event=pair_relay result=failed and returns
 * false; true once published (the caller's 201 says "relayed"). */
bool mqtt_pair_relay(struct server *s, const char *hub_id, const char *home_id,
		     const uint8_t owner[PT_PK_LEN], const uint8_t *statement,
		     size_t statement_len);
/* Relay an owner-signed envelope (verified by the caller), byte for byte,
 * to porter/v1/hub/<hub>/<leaf> of each hub of the home (QoS 1, not
 * retained); leaf is MQTT_RELAY_LIVE (a live request, PT_ENV_LIVE) or
 * MQTT_RELAY_APPROVAL (an owner's approval, PT_ENV_APPROVAL); *n the hubs
 * it went to. PT_OK; PT_EINVAL: another leaf, or env_len not
 * 1..PT_ENVELOPE_SIZE_MAX; PT_EUNSUPPORTED: no MQTT here; PT_EIO: not
 * connected now, or a publish failed (*n tells how many went out before);
 * PT_ENOTFOUND: the home has no hub. */
#define MQTT_RELAY_LIVE "live"
#define MQTT_RELAY_APPROVAL "approval"
int mqtt_hub_relay(struct server *s, const char *home_id, const char *leaf, const uint8_t *env,
		   size_t env_len, size_t *n) PT_MUST_CHECK;
/* Relay an owner-signed command envelope (already verified by the caller)
 * to the home's hubs, or only to hub_id (non-NULL). ids gets the hubs it
 * went to (max of them), *n their count. PT_OK; PT_EUNSUPPORTED: no MQTT
 * here; PT_EIO: not connected to the broker now, or the publish failed;
 * PT_ENOTFOUND: hub_id is not a hub of the home, or the home has none. */
int mqtt_command_relay(struct server *s, const char *home_id, const char *hub_id,
		       const uint8_t *env, size_t env_len, char (*ids)[PT_ID_MAX + 1], size_t max,
		       size_t *n) PT_MUST_CHECK;

struct server {
	pthread_rwlock_t cfg_lock;	/* cfg may be swapped by SIGHUP */
	struct config cfg;
	struct pt_store *st;
	struct ratelimit *rl;
	struct cache *cache;
	char dummy_hash[PT_PWHASH_STR_MAX];	/* equal time for unknown accounts */
	uint8_t *sealing_key;			/* PT_AEAD_KEY_LEN bytes, sodium_malloc'd */
	bool shared_store;			/* other porterd may change it: no cache */
	atomic_int inflight;
	atomic_int seg_inflight;	/* segment bodies being received */
	atomic_bool stopping;
	uint64_t id_base;			/* request ids: random base + counter */
	atomic_uint_fast64_t id_next;
	struct mqtt *mqtt;			/* NULL: no MQTT (mqtt.c) */
	struct streams *streams;		/* live streams (stream.c) */
	struct lives *lives;			/* live view sessions (live.c) */
};

struct request {
	char id[17];
	const char *method;
	const char *path;
	const char *content_type;
	const char *authorization;
	char addr[64];
	char rl_addr[64];		/* addr, IPv6 cut to its /64: the rate-limit key */
	const char *query_since;	/* ?since= */
	const char *query_after;	/* ?after= (paging cursor) */
	const char *query_limit;	/* ?limit= */
	const char *query_open;		/* ?open= (alerts) */
	const char *query_home;		/* ?home= (deliveries) */
	const char *query_state;	/* ?state= (deliveries) */
	const char *query_from;		/* ?from= (a hub's chain) */
	const char *query_to;		/* ?to= (a hub's chain) */
	const char *camera;		/* Porter-Camera (clip uploads) */
	const char *signature;		/* Porter-Signature (clip uploads) */
	/* Web sessions (docs/web.md): the porter_session cookie, checked by
	 * web_cookie_session (43 base64url characters) or "" (none, or a
	 * malformed one: no session); the CSRF header, Origin and Host as
	 * sent (NULL if absent); whether porterd serves TLS. */
	char cookie[44];
	const char *csrf;
	const char *origin;
	const char *host;
	const char *last_event_id;	/* Last-Event-ID (streams) */
	bool tls;
	bool cookie_secure;		/* [web] cookie_secure: Secure and __Host- */
	bool by_cookie;			/* authenticate() used the cookie */
	char *body;
	size_t len, cap;
	bool too_large;
	bool replied;			/* a response is queued (early 413) */
	bool seg_counted;		/* counted in seg_inflight */
	bool chain_counted;		/* a chain read taken (ratelimit_chain_take) */
	uint64_t started_ns;
	int64_t actor;			/* account id once authenticated */
	struct MHD_Connection *conn;	/* the request's connection (live.c suspends it) */
	struct live_waiter *live;	/* a live fragment GET's waiter (live.c owns it) */
	bool live_counted;		/* counted in live.c's uploads of live_up_id */
	uint8_t live_up_id[16];		/* that session (PT_LIVE_ID_LEN) */
};

struct reply {
	int status;
	json_t *body;			/* NULL: empty body */
	char retry_after[24];
	const char *allow;
	/* A binary body instead of JSON (clip downloads): malloc'd, sent
	 * and freed by http.c; content_type is a static string. */
	uint8_t *data;
	size_t data_len;
	const char *content_type;
	/* With data_free: data is not malloc'd but lent (live.c's fragments);
	 * http.c calls data_free(data_cls) once the answer is sent or
	 * dropped, instead of free(data). */
	void (*data_free)(void *cls);
	void *data_cls;
	/* Set-Cookie (web sign-in and sign-out), or "": wiped after sending. */
	char set_cookie[160];
	/* A live stream (stream.c): http.c sends it with stream_response. */
	struct stream *stream;
	/* The web app's answers (http.c): its headers instead of the API's;
	 * a file to send (fd, closed by http.c) and a redirect. */
	bool app;
	bool has_fd;
	int fd;
	size_t fd_len;
	const char *location;
	/* live.c suspended the connection (a long poll): no answer now; it is
	 * asked again (live_again) when the connection is resumed. */
	bool suspended;
};

/* stream.c: GET /v1/homes/{id}/stream (docs/web.md "Live state"). */
struct stream;
struct streams;
struct MHD_Connection;
struct MHD_Response;
/* With http_start: the registry and its watcher thread. 0 or -1. */
int streams_start(struct server *s);
/* With http_stop, before MHD_stop_daemon: end every stream (resumed and
 * never suspended again), wait for them (5 s at most), stop the watcher. */
void streams_stop(struct server *s);
/* main.c, after http_stop and mqtt_stop (the MQTT thread calls
 * stream_notify): NULL-safe. */
void streams_free(struct server *s);
/* A commit that may change what a stream shows (an event, a hub's state):
 * resume the waiting streams now rather than at the next tick. Any thread;
 * never blocks for long. */
void stream_notify(struct server *s);
/* The route, once the member and the home are known: rp->stream (200) or
 * an error answer (503 past [web] streams; 429 past streams_per_account or
 * streams_per_address). last_event_id may be NULL; addr: rq->rl_addr. */
void stream_open(struct server *s, struct reply *rp, int64_t account, const char *home_id,
		 const uint8_t th[PT_HASH_LEN], const char *last_event_id, const char *addr);
/* The response that sends st on connection c (it owns st from then on,
 * freed with the response); NULL (st freed) on failure. */
struct MHD_Response *stream_response(struct stream *st, struct MHD_Connection *c);
/* A stream that will not be sent after all. */
void stream_discard(struct stream *st);

/*
 * live.c: live view (docs/live.md, "porterd API"): sessions in memory,
 * the camera's uploads, the viewer's long polls.
 * live_start with http_start (the table and its reaper thread); live_stop
 * with http_stop, before MHD_stop_daemon (every waiting request resumed,
 * none suspended after); live_free in main.c after http_stop.
 */
struct live_waiter;
int live_start(struct server *s);
void live_stop(struct server *s);
void live_free(struct server *s);
/* POST /v1/homes/{id}/live, the home found and the role known. */
void live_open(struct server *s, struct request *rq, struct reply *rp, const struct pt_home *h,
	       int role);
/* /v1/live/... (rest after "/v1/live/"; api.c routes the methods): the
 * camera's PUT of .../key or .../fragments/{n}, authenticated by its key;
 * the viewer's GET and DELETE, account authenticated by a session. 404 for
 * a path that is not one of them (a malformed session id or index). */
void live_camera_put(struct server *s, struct request *rq, struct reply *rp, const char *rest);
void live_viewer(struct server *s, struct request *rq, struct reply *rp, int64_t account,
		 const char *rest);
/* Is this a camera's live upload (PUT .../key or .../fragments/{n})? */
bool live_upload_path(const char *url, const char *method, bool *fragment);
/* Before a fragment body is read (http.c): 415, 410 (no such open
 * session), 503 (not relayed yet, or this session's bodies at once), 401
 * (not its camera, or no well-formed Porter-Signature): true with the
 * reply filled. *counted: live_upload_done(s, id) is owed (id filled). */
bool live_upload_early(struct server *s, const char *url, const char *ctype, const char *camera,
		       const char *signature, struct reply *rp, bool *counted,
		       uint8_t id[16]);
void live_upload_done(struct server *s, const uint8_t id[16]);
/* The account is no longer an owner of the home (api.c's member removal):
 * its live sessions of the home end now (the camera's next PUT 410). */
void live_end_account(struct server *s, const char *home, int64_t account);
/* A suspended fragment GET was resumed: answer it (or suspend again). */
void live_again(struct server *s, struct request *rq, struct reply *rp);
/* The request is over (http.c's completed callback): its waiter freed. */
void live_request_done(struct server *s, struct request *rq);

/* api_org.c: a hub as GET /v1/homes/{id}/hubs shows it (a new reference). */
json_t *hub_json(const struct pt_hub *h);

/* api.c */
void api_dispatch(struct server *s, struct request *rq, struct reply *rp);
/* main.c: does this thread wipe the JSON memory it frees? Yes unless
 * turned off; api_dispatch turns it off for a GET without a body (nothing
 * secret in it or in its reply) and on for every other request. */
void json_wipe_set(bool on);
/* http.c */
struct MHD_Daemon;
struct MHD_Daemon *http_start(struct server *s, uint16_t *port, struct pt_errbuf *err);
void http_stop(struct server *s, struct MHD_Daemon *d);

int64_t now_utc(void);
uint64_t now_mono_ns(void);

#endif
