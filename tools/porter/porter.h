/* Internal to the porter command-line tool. */
#ifndef PORTER_TOOL_H
#define PORTER_TOOL_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "porter/cred.h"

/* Exit codes besides the reason table's: */
#define EXIT_USAGE 1
#define EXIT_INPUT 2

void die_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));
/* "porter: <msg>" on stderr. */
void warnx_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int64_t now_utc(void);

int cmd_keygen(int argc, char **argv);
int cmd_pubkey(int argc, char **argv);
int cmd_grant(int argc, char **argv);
int cmd_cred(int argc, char **argv);
int cmd_audit(int argc, char **argv);

/* The chain as JSON (caller decrefs). */
json_t *chain_to_json(const struct pt_chain *c, const uint8_t *raw, size_t raw_len);

#endif
