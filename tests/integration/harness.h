/*
 * tests/integration/harness.h: what test_api and test_deliv share to drive a
 * real porterd: its processes on free loopback ports in a temporary
 * directory, PostgreSQL instead of SQLite (PORTER_TEST_STORE=pg), HTTP
 * requests with libcurl, JSON helpers, accounts, keys and chains, and the
 * TAP checks that show the server's log when they fail.
 *
 * Single-threaded unless said otherwise: the worker threads of a test use
 * their own struct client and resp with creq(), cjreq() and the JSON
 * helpers only. Whatever cannot go on (out of memory, a path too long, a
 * dead porterd) bails out: a "Bail out!" line, the servers killed, the
 * temporary directory and cluster removed, exit 1.
 */
#ifndef PORTER_TEST_HARNESS_H
#define PORTER_TEST_HARNESS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <curl/curl.h>
#include <jansson.h>

#include "porter/cred.h"
#include "porter/crypto.h"
#include "porter/keyfile.h"

/* ---- TAP: one count for the test and the harness (tests/unit/t.h) ---- */

__attribute__((format(printf, 4, 5))) int harness_ok(int cond, const char *file, int line,
						     const char *fmt, ...);
/* On a failed check, the tail of the current porterd's log (the first 8). */
int harness_check(int ok);

#define T_OK(cond, ...) harness_ok(!!(cond), __FILE__, __LINE__, __VA_ARGS__)
#define CHECK(cond, ...) harness_check(T_OK((cond), __VA_ARGS__))

/*
 * Check argv (PORTERD PORTER, else a usage line naming test_<name>), catch
 * SIGINT, SIGTERM and SIGALRM, arm a watchdog of watchdog_s seconds, set up
 * libporter's crypto (ops), jansson and libcurl, make g_root
 * (/tmp/porter-<name>-XXXXXX) and, with PORTER_TEST_STORE=pg, start a
 * throwaway PostgreSQL cluster with scripts/pg.sh (under PORTER_SRC).
 */
void harness_init(int argc, char **argv, const char *name, unsigned watchdog_s);
/* Free g_cl, kill what still runs, remove g_root and the cluster; the exit
 * status of the test (the TAP plan printed). */
int harness_done(void);

extern const char *g_porterd, *g_porter;	/* argv[1], argv[2] */
extern const struct pt_crypto_ops *ops;
extern char g_root[64];		/* the temporary directory; everything lives under it */
extern bool g_pg;		/* PORTER_TEST_STORE=pg: porterd on PostgreSQL */

/* ---- small helpers ---- */

__attribute__((noreturn)) void bail(const char *why);
/* snprintf that bails when out cannot hold it all. */
__attribute__((format(printf, 3, 4))) void fmt(char *out, size_t cap, const char *f, ...);
/* A path for the main thread, in one of 8 rotating buffers. */
__attribute__((format(printf, 1, 2))) const char *pathf(const char *f, ...);
int64_t now_s(void);
double mono(void);
void sleep_ms(long ms);
bool is_hex(const char *s, size_t n);		/* exactly n lowercase hex digits */
bool is_b64url(const char *s, size_t n);	/* exactly n base64url characters */
char *b64(const uint8_t *p, size_t n);	/* base64url; caller frees with free() */
char *xstrdup(const char *s);		/* caller frees with free() */

/* ---- porterd processes ---- */

struct server {
	char name[8];
	char dir[128], cfg[192], ready[192], log[192], db[192];	/* db: a file or a URI */
	pid_t pid;
	int port;
	char base[64];		/* http://127.0.0.1:port */
};

/*
 * Make <g_root>/<name> and its porterd.ini: listen on 127.0.0.1:0, open
 * sign-up, a fresh store (a SQLite file, or a fresh database of the
 * cluster); the sealing key in the server's directory when own_key or on
 * PostgreSQL; then extra (more sections, or NULL) verbatim. s must outlive
 * the test: harness_done() and bail() kill it if it still runs.
 */
void server_init(struct server *s, const char *name, bool own_key, const char *extra);
/* Start porterd -d -R ready and wait (10 s at most) for its port. Its log is
 * the one a failing check shows from then on. */
bool server_start(struct server *s);
/* Send sig and wait up to timeout_ms (then SIGKILL); true if it exited in
 * time, its wait status in *st. */
bool server_stop(struct server *s, int sig, long timeout_ms, int *st);
/* Print the last lines of a server's log as TAP diagnostics. */
void log_tail(const struct server *s, int lines);

/* Run argv (argv[0] a path) with stdout and stderr to out_path; its exit
 * status, or -1 (a signal, or killed after timeout_s). */
int run_cmd(char *const argv[], const char *out_path, int timeout_s);
/* The first 12 lines of path as TAP diagnostics, each after prefix. */
void print_file_diag(const char *path, const char *prefix);
/* One check: the audit chain of db (a file: `porter audit verify --db`; on
 * PostgreSQL: pt_store_audit_verify) verifies. */
void audit_verify(const char *db, const char *what);

/* ---- HTTP ---- */

struct resp {
	long status;		/* 0 after a transport error (cc) */
	CURLcode cc;
	char *body;		/* NUL-terminated, RESP_CAP at most */
	size_t len, cap;
	json_t *json;		/* the body parsed, or NULL */
	char retry_after[32], allow[128], reqid[128];
	double secs;
	long connects;
};

struct client {
	CURL *h;
	char base[64];
	curl_xferinfo_callback xfer;	/* a progress callback, or NULL */
	void *xfer_arg;
};

#define RESP_CAP (1u << 20)	/* responses are capped at 1 MiB */

extern struct client g_cl;	/* the main thread's client */
/* Responses; those without X-Request-Id; error answers of the wrong shape. */
extern atomic_long g_nresp, g_noreqid, g_badshape;

void client_init(struct client *c, const char *base);
void client_free(struct client *c);
void resp_free(struct resp *r);	/* r may be reused after */

/*
 * One request on c into r (freed first). authz: the whole Authorization
 * value or NULL; ctype: the Content-Type or NULL; body NULL for none;
 * extra: a header replacing the default "Expect:" (which turns 100-continue
 * off). On g_cl, a transport error with porterd gone bails out.
 */
void http(struct client *c, struct resp *r, const char *method, const char *path, const char *authz,
	  const char *ctype, const char *body, size_t body_len, const char *extra);
/* JSON body (or NULL), Bearer token (or NULL). */
void creq(struct client *c, struct resp *r, const char *method, const char *path, const char *token,
	  const char *body);
/* body is stolen; NULL (a failed json_pack) bails. */
void cjreq(struct client *c, struct resp *r, const char *method, const char *path,
	   const char *token, json_t *body);
/* The same three on g_cl. */
void hreq(struct resp *r, const char *method, const char *path, const char *authz,
	  const char *ctype, const char *body, size_t body_len, const char *extra);
void req(struct resp *r, const char *method, const char *path, const char *token, const char *body);
void jreq(struct resp *r, const char *method, const char *path, const char *token, json_t *body);

/* ---- JSON ---- */

const char *js(const json_t *o, const char *k);	/* the string member k, or "" */
long long ji(const json_t *o, const char *k);	/* the integer member k, or LLONG_MIN */
const char *ecode(const struct resp *r);	/* error.code, or "" */
const char *efield(const struct resp *r);	/* error.field, or "" */
/* The first object of arr whose string member key is value, or NULL. */
json_t *find_by(const json_t *arr, const char *key, const char *value);

/* The response (or curl's error) as a TAP diagnostic. */
void body_diag(const struct resp *r);
/* Checks: the status; the status, error code and field (NULL: not checked,
 * "~part": the field must contain part). */
int expect_status(const struct resp *r, long status, const char *what);
int expect_err(const struct resp *r, long status, const char *code, const char *field,
	       const char *what);

/* ---- accounts ---- */

struct acct {
	char email[96], pw[64], name[64];
	long long id;
	char token[128];
};

void acct_set(struct acct *a, const char *email, const char *name);
/* POST /v1/accounts as a (email: another spelling, or NULL; role NULL: the
 * default); sets a->id on 201. The status. */
long signup_as(struct client *c, struct resp *r, struct acct *a, const char *email,
	       const char *role);
long signin_pw(struct client *c, struct resp *r, const char *email, const char *pw);
/* Sign in as a; sets a->token on 201. The status. */
long signin(struct client *c, struct resp *r, struct acct *a);

/* ---- keys and chains ---- */

struct key {
	struct pt_secret *sec;
	struct pt_signer sg;
	uint8_t pk[PT_PK_LEN];
	char text[PT_PK_TEXT_LEN + 1];
	char kid[2 * PT_KID_LEN + 1];
};

void key_new(struct key *k);	/* a fresh key; free with key_free() */
void key_free(struct key *k);

struct chain {
	uint8_t b[PT_CHAIN_SIZE_MAX];
	size_t n;
	int links;
	char cti[PT_CHAIN_MAX][2 * PT_CTI_LEN + 1];
	uint8_t cti_raw[PT_CHAIN_MAX][PT_CTI_LEN];
	char holder[PT_CHAIN_MAX][PT_PK_TEXT_LEN + 1];
	int64_t exp[PT_CHAIN_MAX];
	char *b64;		/* the chain as base64url; chain_free() frees it */
};

/* Sign g with signer and append it to c (zeroed before the first). */
void chain_add(struct chain *c, const struct key *signer, struct pt_grant *g);
void chain_free(struct chain *c);

#endif
