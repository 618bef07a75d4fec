/*
 * porter/sandbox.h: the parts of a daemon's sandbox that porter-hub and
 * porter-cam share (lib/sys/sandbox.c, Linux only): becoming an
 * unprivileged user for good, no_new_privs, and a seccomp allow-list
 * given as a table, one row per system call with its argument rule and
 * the reason, that is both loaded and printed (`-n -v`).
 *
 * Each daemon keeps its own table and what only it needs (the hub hands
 * its state over and preloads NSS modules; the cam has its V4L2 calls).
 * Anything a loaded filter does not allow kills the whole process with
 * SIGSYS (SCMP_ACT_KILL_PROCESS), every thread (TSYNC).
 *
 * Errors come back as a sentence in err (struct pt_errbuf); the functions
 * return 0 or -1. None is thread-safe: call them at start-up, before any
 * thread but those the caller started knowingly.
 */
#ifndef PORTER_SANDBOX_H
#define PORTER_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "porter/keyfile.h"	/* struct pt_errbuf */

#define PT_SANDBOX_NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* How a row's arguments are checked. */
enum pt_sandbox_how {
	PT_SANDBOX_ANY,		/* any arguments (a row without a rule is the same) */
	PT_SANDBOX_ONE_OF,	/* argument arg equals one of values[0..n_values) */
	PT_SANDBOX_MASKED,	/* (argument arg & mask) == value */
	PT_SANDBOX_SELF,	/* argument arg equals this process's pid (at load time) */
	PT_SANDBOX_ENOSYS,	/* not allowed, not killed: fails with ENOSYS */
	PT_SANDBOX_ERRNO_EQ,	/* argument arg equals value: not allowed, not killed,
				 * fails with errno err (the call's other rows still
				 * allow what they allow; a row allowing the call with
				 * any arguments would allow this value too, and one
				 * allowing this same value fails the load) */
};

/* An argument rule; static storage, shared by the rows that use it. */
struct pt_sandbox_rule {
	enum pt_sandbox_how how;
	unsigned arg;			/* which argument, 0 to 5 */
	uint64_t mask, value;		/* PT_SANDBOX_MASKED; value: PT_SANDBOX_ERRNO_EQ */
	int err;			/* PT_SANDBOX_ERRNO_EQ: the errno, > 0 */
	const uint64_t *values;		/* PT_SANDBOX_ONE_OF: borrowed, static */
	size_t n_values;
	const char *text;		/* what -n -v prints after the name: " (...)" */
};

/* The rules both daemons use: mmap/mprotect's prot (argument 2) without
 * PROT_EXEC, and tgkill's tgid (argument 0) this process only. */
extern const struct pt_sandbox_rule pt_sandbox_noexec;
extern const struct pt_sandbox_rule pt_sandbox_self;

/* One row of an allow-list: a system call by name (one missing on this
 * architecture, e.g. open or poll on arm64, is left out of the filter and
 * marked so by the printing), its rule (NULL: any arguments), the reason. */
struct pt_sandbox_allow {
	const char *name;
	const struct pt_sandbox_rule *rule;
	const char *why;
};

/* A table of rows; note is appended to each row's reason when printed
 * ("" for none). */
struct pt_sandbox_table {
	const struct pt_sandbox_allow *rows;
	size_t n;
	const char *note;
};

/*
 * Print the tables to out, one line per row:
 *     KEY = NAME[ RULE TEXT]    # WHY[NOTE][ [not on this architecture]]
 * (key: "sandbox.allow" for the hub, "seccomp.allow" for the cam).
 */
void pt_sandbox_print(FILE *out, const char *key, const struct pt_sandbox_table *t, size_t n);

/*
 * Load the tables as one seccomp filter for every thread: the rows
 * allowed as their rules say, anything else killing the process. The
 * filter also sets no_new_privs. Errors: "seccomp_init failed",
 * "seccomp: cannot set the filter attributes", "seccomp: cannot allow
 * 'NAME'" (a rule libseccomp refuses, or one that is not well formed),
 * "seccomp: cannot load the filter: REASON".
 */
int pt_sandbox_load(const struct pt_sandbox_table *t, size_t n, struct pt_errbuf *err)
	__attribute__((warn_unused_result));

/* no_new_privs for this process and what it starts; "cannot set
 * no_new_privs: REASON". */
int pt_sandbox_no_new_privs(struct pt_errbuf *err) __attribute__((warn_unused_result));

/*
 * Whom to become, and how the daemon's messages name it. All strings are
 * borrowed for the call.
 */
struct pt_sandbox_user {
	const char *user;		/* the user name: must exist and not be root */
	const char *group;		/* NULL or "": the user's login group; else must not be root's */
	bool supplementary;		/* take the user's supplementary groups; false: none */
	const char *user_key;		/* "<user_key> 'NAME' is root: name an unprivileged user" */
	const char *find_prefix;	/* "<find_prefix>cannot find user 'NAME'[: REASON]" */
	const char *group_key;		/* "<group_key>: cannot find group 'NAME'[: REASON]",
					 * "<group_key> 'NAME' is root's: ..." */
	const char *drop_prefix;	/* "<drop_prefix>cannot become user 'NAME': REASON",
					 * "<drop_prefix>dropping to user 'NAME' did not hold" */
};

/* u's user (and group) to ids; refused: a name not found, root, root's
 * group. On failure *uid and *gid are left as they were. */
int pt_sandbox_lookup(const struct pt_sandbox_user *u, uid_t *uid, gid_t *gid,
		      struct pt_errbuf *err) __attribute__((warn_unused_result));

/*
 * Become uid and gid (from pt_sandbox_lookup) for good, as root: the
 * supplementary groups (the user's, or none), setresgid, setresuid; then
 * check there is no way back: setuid(0) and seteuid(0) fail, and the real
 * and effective ids are the new ones. -1: the process is in an unknown
 * state, exit.
 */
int pt_sandbox_become(const struct pt_sandbox_user *u, uid_t uid, gid_t gid,
		      struct pt_errbuf *err) __attribute__((warn_unused_result));

#endif
