/*
 * The porter tool as a client of porterd (docs/api.md): the session file,
 * HTTP through libcurl, passwords, and output. Internal to tools/porter.
 *
 * Secrets (the session token, passwords) live in fixed buffers that are
 * wiped when done; jansson and libcurl allocate through wiping allocators
 * (client_global_init), so their copies are wiped when freed too. No
 * secret is ever printed, logged or put in an argument.
 */
#ifndef PORTER_CLIENT_H
#define PORTER_CLIENT_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

#define CLIENT_URL_MAX 512
#define CLIENT_TOKEN_LEN 43		/* base64url of porterd's 32-byte tokens */
#define CLIENT_PASSWORD_MAX 256		/* docs/api.md: passwords, bytes */
#define CLIENT_TIMEOUT_S 30		/* a whole request */
#define CLIENT_CONNECT_TIMEOUT_S 10

struct client {
	char conf[PATH_MAX];			/* the session file's path */
	char server[CLIENT_URL_MAX + 1];	/* base URL, no trailing '/'; "" if none */
	char token[CLIENT_TOKEN_LEN + 1];	/* secret; "" when signed out */
	const char *cacert;			/* borrowed (argv or environment); or NULL */
	bool json;				/* --json: print the server's JSON */
	bool loaded;				/* the session file was read */
	bool quiet;				/* this call: do not print the error */
	char err_code[32];			/* the last call's error code, or "" */
	char err_line[320];			/* and its line, as printed */
};

/* Request flags. */
#define CALL_AUTH 0x1	/* send the session token */
#define CALL_SECRET 0x2	/* the body holds a password */
#define CALL_QUIET 0x4	/* leave the server's error in err_line, unprinted */

/* Once, first thing in main: route jansson's allocations through an
 * allocator that wipes what it frees. */
void client_global_init(void);

/* Zero c and take PORTER_CACERT. */
void client_init(struct client *c);
/* Find the session file ($PORTER_CONFIG, else $XDG_CONFIG_HOME or
 * ~/.config, then porter/client.conf), set up libcurl (with wiping
 * allocators) and read the file if there is one (a missing file is no
 * session). Refuses a file that group or others may read, or another
 * user's. 0 or an exit code, the problem printed. */
int client_load(struct client *c);
/* Take the token from porterd's sign-in answer (checked). 0 or an exit code. */
int client_set_token(struct client *c, const json_t *v);
/* 0 if c has a server (and, with need_token, a session); else prints how
 * to get one and returns an exit code. */
int client_need(const struct client *c, bool need_token);
/* Write server and token to the session file: 0600, atomically, its
 * directory created 0700 if missing. 0 or an exit code. */
int client_save(const struct client *c);
/* Wipe the token and release libcurl. */
void client_close(struct client *c);

/* Check and set the server's base URL (http or https, no user, query or
 * fragment; trailing '/' dropped). 0 or an exit code. */
int client_set_server(struct client *c, const char *url);

/*
 * method path (starting "/v1/") with body (NULL: none; borrowed), flags
 * CALL_*. On a 2xx answer: 0 and *reply the parsed JSON (NULL when the
 * answer has no body; caller decrefs). Otherwise prints one line,
 * "porter: <server's message> (<code>)", and returns the exit code: the
 * reason table's for a reason code, else 2.
 */
int client_call(struct client *c, const char *method, const char *path, json_t *body,
		unsigned flags, json_t **reply);

/*
 * A password into pw[CLIENT_PASSWORD_MAX + 1]: from stdin (one line) if
 * from_stdin, else $PORTER_PASSWORD if set, else from the terminal with
 * echo off (asked twice if confirm). 0 or an exit code. The caller wipes pw.
 */
int client_password(char *pw, bool from_stdin, bool confirm);

/* Pretty-print j on stdout (the --json output). */
void client_print_json(const json_t *j);

/* Text from the server, made safe for a terminal (control characters
 * shown as '?'), into buf; returns buf. NULL or non-strings give "". */
const char *client_text(const json_t *v, char *buf, size_t cap);
/* A Unix time from the server as "2026-11-25T10:00:00Z", or "-" for null. */
const char *client_time(const json_t *v, char *buf, size_t cap);

/* An aligned table: add rows of n_cols strings (copied), then print. */
struct table {
	size_t n_cols, n_rows, cap;
	char **cells;
};
void table_init(struct table *t, size_t n_cols);
void table_row(struct table *t, const char *const *cells);
/* Print with two spaces between columns, and free. */
void table_print(struct table *t);

#endif
