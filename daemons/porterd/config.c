/*
 * porterd's configuration: every key declared once, in keys[], which drives
 * the parser, the defaults, the range checks and `porterd -n -v`.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <ini.h>

#include "porter/text.h"
#include "porterd.h"

enum ctype { C_STR, C_UINT, C_BOOLWORD, C_DURATION, C_LEVEL };

struct key {
	const char *section, *name;
	enum ctype type;
	size_t off, size;
	const char *def;
	uint64_t min, max;
	const char *doc;
};

#define F(m) offsetof(struct config, m), sizeof(((struct config *)0)->m)

static const struct key keys[] = {
	{"server", "listen", C_STR, F(listen), "127.0.0.1:8480", 0, 0,
	 "address:port to listen on; port 0 picks a free port"},
	{"server", "threads", C_UINT, F(threads), "2", 1, 64, "request threads"},
	{"server", "max_body", C_UINT, F(max_body), "65536", 1024, 1048576,
	 "largest request body in bytes; larger ones get 413"},
	{"server", "signup", C_BOOLWORD, F(signup_open), "open", 0, 0,
	 "open: anyone may create an account; closed: nobody"},
	{"server", "session_ttl", C_DURATION, F(session_ttl), "12h", 60, 30 * 86400,
	 "how long a sign-in lasts (60s .. 30d)"},
	{"server", "tls_cert", C_STR, F(tls_cert), "", 0, 0,
	 "PEM certificate; with tls_key, porterd speaks HTTPS"},
	{"server", "tls_key", C_STR, F(tls_key), "", 0, 0, "PEM private key (mode 0600)"},
	{"server", "zoneinfo", C_STR, F(zoneinfo), "/usr/share/zoneinfo", 0, 0,
	 "IANA time zone files, to check homes' zones"},
	{"store", "path", C_STR, F(store_path), "var/porterd/porter.db", 0, 0,
	 "the SQLite database (created with mode 0600)"},
	{"log", "level", C_LEVEL, F(log_level), "info", 0, 0, "error, warn, info or debug"},
};

static int
set(struct config *c, const struct key *k, const char *v, struct pt_errbuf *err)
{
	char *dst = (char *)c + k->off;
	uint64_t u;
	int64_t d;
	size_t n = strlen(v);

	switch (k->type) {
	case C_STR:
		if (n >= k->size)
			goto bad;
		memcpy(dst, v, n + 1);
		return 0;
	case C_UINT:
		if (pt_uint_parse(v, k->min, k->max, &u) != PT_OK)
			goto bad;
		if (k->size == sizeof(unsigned))
			*(unsigned *)(void *)dst = (unsigned)u;
		else
			*(size_t *)(void *)dst = (size_t)u;
		return 0;
	case C_BOOLWORD:
		if (strcmp(v, "open") != 0 && strcmp(v, "closed") != 0)
			goto bad;
		*(bool *)(void *)dst = strcmp(v, "open") == 0;
		return 0;
	case C_DURATION:
		if (pt_duration_parse(v, &d) != PT_OK || (uint64_t)d < k->min || (uint64_t)d > k->max)
			goto bad;
		*(int64_t *)(void *)dst = d;
		return 0;
	case C_LEVEL: {
		static const char *const lv[] = {"error", "warn", "info", "debug"};
		for (int i = 0; i < 4; i++) {
			if (strcmp(v, lv[i]) == 0) {
				*(int *)(void *)dst = i;
				return 0;
			}
		}
		goto bad;
	}
	}
bad:
	(void)snprintf(err->msg, sizeof(err->msg), "%s.%s: '%.64s' is not valid (%s)", k->section,
		       k->name, v, k->doc);
	return -1;
}

void
config_defaults(struct config *c)
{
	struct pt_errbuf err;
	size_t i;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (set(c, &keys[i], keys[i].def, &err) != 0)
			abort();	/* a default that does not parse is a bug */
}

struct parse_ctx {
	struct config *c;
	struct pt_errbuf *err;
	bool failed;
};

static int
handler(void *user, const char *section, const char *name, const char *value)
{
	struct parse_ctx *pc = user;
	size_t i;

	if (pc->failed)
		return 0;
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (strcmp(keys[i].section, section) == 0 && strcmp(keys[i].name, name) == 0) {
			if (set(pc->c, &keys[i], value, pc->err) != 0) {
				pc->failed = true;
				return 0;
			}
			return 1;
		}
	}
	(void)snprintf(pc->err->msg, sizeof(pc->err->msg), "unknown key '%.40s' in section [%.40s]",
		       name, section);
	pc->failed = true;
	return 0;
}

int
config_load(const char *path, struct config *c, struct pt_errbuf *err)
{
	struct parse_ctx pc = {c, err, false};
	char msg[sizeof(err->msg)];
	int line;

	config_defaults(c);
	err->msg[0] = '\0';
	line = ini_parse(path, handler, &pc);
	if (line == -1) {
		(void)snprintf(err->msg, sizeof(err->msg), "cannot open '%.100s': %s", path,
			       strerror(errno));
		return -1;
	}
	if (line != 0 || pc.failed) {
		memcpy(msg, err->msg, sizeof(msg));
		(void)snprintf(err->msg, sizeof(err->msg), "'%.64s' line %d: %.180s", path, line,
			       msg[0] ? msg : "syntax error");
		return -1;
	}
	if ((c->tls_cert[0] != '\0') != (c->tls_key[0] != '\0')) {
		(void)snprintf(err->msg, sizeof(err->msg),
			       "'%.100s': tls_cert and tls_key go together", path);
		return -1;
	}
	return 0;
}

void
config_print(const struct config *c)
{
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const struct key *k = &keys[i];
		const char *p = (const char *)c + k->off;
		printf("%s.%s = ", k->section, k->name);
		switch (k->type) {
		case C_STR: printf("%s", p); break;
		case C_UINT:
			printf("%zu", k->size == sizeof(unsigned) ? *(const unsigned *)(const void *)p
								  : *(const size_t *)(const void *)p);
			break;
		case C_BOOLWORD: printf("%s", *(const bool *)(const void *)p ? "open" : "closed"); break;
		case C_DURATION: printf("%llds", (long long)*(const int64_t *)(const void *)p); break;
		case C_LEVEL: printf("%d", *(const int *)(const void *)p); break;
		}
		printf("    # %s\n", k->doc);
	}
}
