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

/* cache.c: sessions and home memberships, invalidated by generation. */
struct cache;
struct cache *cache_new(void);
void cache_free(struct cache *c);
uint64_t cache_gen(struct cache *c);
void cache_bump(struct cache *c);	/* after every commit that may change an answer */
bool cache_session_get(struct cache *c, const uint8_t th[PT_HASH_LEN], int64_t now,
		       struct pt_account *a);
void cache_session_put(struct cache *c, uint64_t gen, const uint8_t th[PT_HASH_LEN],
		       int64_t expires_at, const struct pt_account *a);
bool cache_home_get(struct cache *c, const char *home_id, int64_t account, struct pt_home *h,
		    int *role);
void cache_home_put(struct cache *c, uint64_t gen, int64_t account, const struct pt_home *h,
		    int role);

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
	atomic_bool stopping;
	uint64_t id_base;			/* request ids: random base + counter */
	atomic_uint_fast64_t id_next;
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
	char *body;
	size_t len, cap;
	bool too_large;
	bool replied;			/* a response is queued (early 413) */
	uint64_t started_ns;
	int64_t actor;			/* account id once authenticated */
};

struct reply {
	int status;
	json_t *body;			/* NULL: empty body */
	char retry_after[24];
	const char *allow;
};

/* api.c */
void api_dispatch(struct server *s, struct request *rq, struct reply *rp);
/* http.c */
struct MHD_Daemon;
struct MHD_Daemon *http_start(struct server *s, uint16_t *port, struct pt_errbuf *err);
void http_stop(struct server *s, struct MHD_Daemon *d);

int64_t now_utc(void);
uint64_t now_mono_ns(void);

#endif
