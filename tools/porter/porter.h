/* Internal to the porter command-line tool. */
#ifndef PORTER_TOOL_H
#define PORTER_TOOL_H

#include <stddef.h>
#include <stdint.h>
#include <getopt.h>

#include <jansson.h>

#include "porter/cred.h"

/* Exit codes besides the reason table's: */
#define EXIT_USAGE 1
#define EXIT_INPUT 2

void die_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));
/* "porter: <msg>" on stderr. */
void warnx_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int64_t now_utc(void);
/* --code of 'porter hub pair' and 'pair-local': the pairing code's 22
 * characters, or "-": one line from stdin (kept out of ps and the shell's
 * history). 0, or EXIT_INPUT (said); code wiped on failure. */
int pairing_code_arg(const char *arg, uint8_t code[16]);

int cmd_keygen(int argc, char **argv);
int cmd_pubkey(int argc, char **argv);
int cmd_grant(int argc, char **argv);
int cmd_cred(int argc, char **argv);
int cmd_audit(int argc, char **argv);

/* The client verbs (cmd_client.c): they speak to porterd. */
int cmd_signup(int argc, char **argv);
int cmd_login(int argc, char **argv);
int cmd_logout(int argc, char **argv);
int cmd_whoami(int argc, char **argv);
int cmd_home(int argc, char **argv);
int cmd_key(int argc, char **argv);
int cmd_grant_client(int argc, char **argv);	/* grant create | upload | list */
int cmd_revoke(int argc, char **argv);
int cmd_revocations(int argc, char **argv);

/* cmd_org.c: carrier, courier, device, delivery, hub, events, alerts, alert;
 * argv[0] is the command. */
int cmd_org(int argc, char **argv);

/* cmd_live.c: porter live, the viewer's side of live view (docs/live.md). */
int cmd_live(int argc, char **argv);

/* ---- shared by the client verbs (clientutil.c) ---- */

/* The --help lines of the options every client verb takes. */
#define COMMON_HELP                                                                   \
	"  --json              print the server's JSON answer instead of a summary\n" \
	"  --cacert FILE       trust this CA for https (default: PORTER_CACERT, then\n"  \
	"                      the system's)\n"

struct client;
struct table;

/* Label: value rows from an object's members, by kind: 's' text ("" when
 * missing), '-' text or "-" when missing or empty, 'i' integer (else as
 * 's'), 'n' integer or "-", 't' time, 'e' expiry (null is "never"),
 * 'b' yes/no. Arrays of them end with a NULL label. */
struct field {
	const char *label, *key;
	char kind;
};

/* v as a decimal integer, or "-"; into buf, returned. */
const char *num_text(const json_t *v, char *buf, size_t cap);
/* v as text made safe for a terminal (client_text), or "-" when null or
 * empty; into buf, returned. */
const char *text_or_dash(const json_t *v, char *buf, size_t cap);
void add_row2(struct table *t, const char *label, const char *value);
void add_fields(struct table *t, const json_t *o, const struct field *f);
/* The fields of o as a two-column table on stdout. */
void print_fields(const json_t *o, const struct field *f);
/* Print j (a reply, may be NULL) as JSON with --json, else through show
 * (NULL: nothing); then decref it. Returns 0. */
int print_reply(const struct client *c, json_t *j, void (*show)(const json_t *));
/* Load the session if not yet loaded, call method path with body (borrowed,
 * or NULL) as the session's account, and print the answer as print_reply
 * does, after title (or NULL) when not --json. 0 or an exit code, the
 * problem printed. */
int call_show(struct client *c, const char *method, const char *path, json_t *body,
	      const char *title, void (*show)(const json_t *));

/*
 * Sign a grant from `porter grant`'s options (cmd_grant.c), into memory.
 * x (NULL for `porter grant` itself) adds the caller's long options, each
 * with a val >= GRANT_EXTRA_FIRST, handed to x->take as they come; once
 * every option is read, x->take is called once more with val 0 and the
 * -o FILE (or NULL), for the caller's own checks. With x, -o is optional.
 * Returns 0 with *gs filled, GRANT_DONE after printing --help, or an exit
 * code (the problem already printed). Usage errors exit.
 */
#define GRANT_EXTRA_FIRST 256
#define GRANT_DONE (-1)

struct grant_extra {
	const char *cmd;		/* for messages: "grant create" */
	const char *usage;		/* the --help text */
	const struct option *opts;	/* NULL-terminated */
	void (*take)(void *ctx, int val, const char *arg);
	void *ctx;
};

struct grant_signed {
	uint8_t chain[PT_CHAIN_SIZE_MAX];
	size_t chain_len, n_links;
	uint8_t cti[PT_CTI_LEN];		/* the new link's token id */
	char home[PT_ID_MAX + 1];		/* its audience */
	const char *out;			/* -o FILE or NULL; borrows argv */
};

int grant_sign_argv(int argc, char **argv, const struct grant_extra *x,
		    struct grant_signed *gs);

/*
 * A reason code as porterd sends it ("untrusted-root") -> its PT_E* value
 * (PT_OK for "ok"), or 1 if the code is not in the reason table.
 */
int pt_err_from_code(const char *code);

/* The chain as JSON (caller decrefs). */
json_t *chain_to_json(const struct pt_chain *c, const uint8_t *raw, size_t raw_len);

#endif
