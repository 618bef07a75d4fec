/*
 * porterd's configuration: every key declared once, in keys[], which drives
 * the parser, the defaults, the range checks and `porterd -n -v`.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <netdb.h>
#include <sys/socket.h>

#include <ini.h>

#include "porter/text.h"
#include "porterd.h"

enum ctype { C_STR, C_LISTEN, C_UINT, C_BOOLWORD, C_DURATION, C_LEVEL, C_BROKER, C_WORD, C_SECURE };

static const char *const secure_names[] = {"auto", "always", "never"};

struct key {
	const char *section, *name;
	enum ctype type;
	size_t off, size;
	const char *def;
	uint64_t min, max;
	const char *doc;
};

#define F(m) offsetof(struct config, m), sizeof(((struct config *)0)->m)

static const char *const level_names[] = {"error", "warn", "info", "debug"};

int
config_parse_listen(const char *listen, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[128];
	const char *colon = strrchr(listen, ':'), *h = listen;
	struct addrinfo hints, *res = NULL;
	size_t hl;

	if (colon == NULL || colon == listen || colon[1] == '\0')
		return -1;
	hl = (size_t)(colon - listen);
	if (listen[0] == '[') {
		if (hl < 2 || colon[-1] != ']')
			return -1;
		h = listen + 1;
		hl -= 2;
	}
	if (hl >= sizeof(host))
		return -1;
	memcpy(host, h, hl);
	host[hl] = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, colon + 1, &hints, &res) != 0 || res == NULL)
		return -1;
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

/* "host:port" (a name or an address; "[v6]:port"), port 1..65535; or "". */
static bool
broker_is_valid(const char *v)
{
	const char *colon = strrchr(v, ':');
	uint64_t port;
	size_t hl, i;

	if (v[0] == '\0')
		return true;
	if (colon == NULL || colon == v || pt_uint_parse(colon + 1, 1, 65535, &port) != PT_OK)
		return false;
	hl = (size_t)(colon - v);
	if (v[0] == '[')
		return hl >= 3 && colon[-1] == ']';
	for (i = 0; i < hl; i++)
		if (!((v[i] >= 'a' && v[i] <= 'z') || (v[i] >= 'A' && v[i] <= 'Z') ||
		      (v[i] >= '0' && v[i] <= '9') || v[i] == '.' || v[i] == '-' || v[i] == '_'))
			return false;
	return true;
}

static const struct key keys[] = {
	{"server", "listen", C_LISTEN, F(listen), "127.0.0.1:8480", 0, 0,
	 "address:port to listen on; port 0 picks a free port"},
	{"server", "threads", C_UINT, F(threads), "2", 1, 64, "request threads"},
	{"server", "max_body", C_UINT, F(max_body), "65536", 1024, 1048576,
	 "largest request body in bytes; larger ones get 413"},
	{"server", "per_ip_connections", C_UINT, F(per_ip_connections), "100", 1, 1000,
	 "open connections one client address may hold (of 1000 in all)"},
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
	 "the SQLite database (created with mode 0600), or a postgresql:// URI"},
	{"store", "sealing_key", C_STR, F(sealing_key), "", 0, 0,
	 "key that seals hosted carriers' signing keys at rest (created 0600 if missing);"
	 " default: sealing.key beside the database (var/porterd/sealing.key with a URI)"},
	{"delivery", "arrival_radius", C_UINT, F(arrival_radius), "150", 10, 5000,
	 "metres from the home within which a courier's arrival counts"},
	{"delivery", "issue_window", C_DURATION, F(issue_window), "5m", 30, 3600,
	 "how long a just-in-time delivery credential lasts (30s .. 1h)"},
	{"log", "level", C_LEVEL, F(log_level), "info", 0, 0, "error, warn, info or debug"},
	{"mqtt", "broker", C_BROKER, F(mqtt_broker), "", 0, 0,
	 "host:port of the MQTT broker that hubs use (docs/mqtt.md); empty: no MQTT"},
	{"mqtt", "username", C_STR, F(mqtt_username), "", 0, 0, "porterd's account at the broker"},
	{"mqtt", "password_file", C_STR, F(mqtt_password_file), "", 0, 0,
	 "file whose first line is the broker password (mode 0600)"},
	{"mqtt", "tls_ca", C_STR, F(mqtt_tls_ca), "", 0, 0,
	 "CA certificates (PEM) to check the broker with; set: MQTT over TLS"},
	{"mqtt", "tls_cert", C_STR, F(mqtt_tls_cert), "", 0, 0,
	 "client certificate (PEM), with tls_key, for a broker that asks for one"},
	{"mqtt", "tls_key", C_STR, F(mqtt_tls_key), "", 0, 0, "client private key (PEM, mode 0600)"},
	{"mqtt", "client_id", C_WORD, F(mqtt_client_id), "", 0, 0,
	 "MQTT client id; empty: porterd-<16 random hex digits>, new at each start"},
	{"mqtt", "share_group", C_WORD, F(mqtt_share_group), "porterd", 0, 0,
	 "shared subscription group for hubs' state and events ($share/<group>/...), so"
	 " several porterd share the stream; empty: plain subscriptions (one porterd)"},
	{"mqtt", "beacon_interval", C_DURATION, F(mqtt_beacon), "60s", 1, 3600,
	 "how often every online hub gets a time beacon (1s .. 1h)"},
	{"clips", "dir", C_STR, F(clips_dir), "", 0, 0,
	 "where sealed clip segments are kept (mode 0700; docs/clips.md); default: clips/"
	 " beside the database (var/porterd/clips with a URI)"},
	{"clips", "max_segment", C_UINT, F(clips_max_segment), "8388608", 4096, 16777216,
	 "largest sealed segment a camera may upload, in bytes; larger ones get 413"},
	{"clips", "quota", C_UINT, F(clips_quota), "1073741824", 0, 1099511627776ull,
	 "bytes of sealed segments, manifests and 256 per clip kept per home; an upload"
	 " beyond it gets 507"},
	{"clips", "max_uploads", C_UINT, F(clips_max_uploads), "16", 1, 1000,
	 "segment bodies received at once (each up to max_segment); more get 503"},
	{"web", "dir", C_STR, F(web_dir), "", 0, 0,
	 "the built web app (docs/web.md), served under /app/; empty: no app"},
	{"web", "stream_max", C_DURATION, F(web_stream_max), "300s", 10, 3600,
	 "how long one live stream (GET /v1/homes/{id}/stream) lasts before the browser"
	 " reconnects (10s .. 1h)"},
	{"web", "streams", C_UINT, F(web_streams), "64", 1, 1000,
	 "live streams open at once; more get 503"},
	{"web", "cookie_secure", C_SECURE, F(web_cookie_secure), "auto", 0, 0,
	 "the session cookie's Secure attribute: auto (when porterd serves TLS), always"
	 " (behind a TLS-terminating proxy) or never; with Secure it is named"
	 " __Host-porter_session"},
	{"web", "streams_per_account", C_UINT, F(web_streams_per_account), "4", 1, 1000,
	 "live streams one account may have open at once; more get 429"},
	{"web", "streams_per_address", C_UINT, F(web_streams_per_address), "4", 1, 1000,
	 "live streams one client address (IPv6: its /64) may have open at once; more get 429"},
	{"live", "sessions", C_UINT, F(live_sessions), "64", 1, 10000,
	 "live view sessions open at once (docs/live.md); more get 503"},
	{"live", "viewers_per_home", C_UINT, F(live_viewers_per_home), "2", 1, 64,
	 "live view sessions one home may have open at once; more get 429"},
	{"live", "memory", C_UINT, F(live_memory), "67108864", 1048576, 17179869184ull,
	 "bytes of live key records and fragments held in memory in all; an upload beyond"
	 " it gets 503"},
	{"live", "session_memory", C_UINT, F(live_session_memory), "8388608", 65536,
	 17179869184ull,
	 "bytes of key records and fragments one live session may hold (at most [live]"
	 " memory); an upload beyond it gets 507"},
	{"live", "buffer", C_UINT, F(live_buffer), "4", 1, 32,
	 "newest media fragments kept per live session (and fragment 0); older ones are"
	 " dropped"},
	{"live", "idle_timeout", C_DURATION, F(live_idle_timeout), "10s", 2, 300,
	 "a live session without a viewer's fetch for this long ends (2s .. 5m)"},
	{"live", "wait", C_DURATION, F(live_wait), "10s", 1, 25,
	 "how long GET .../fragments/{n} waits for the fragment before 204 (1s .. 25s)"},
	{"live", "skew", C_DURATION, F(live_skew), "60s", 5, 600,
	 "how far a live request's signing time may be from porterd's clock (5s .. 10m)"},
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
	case C_LISTEN: {
		struct sockaddr_storage ss;
		socklen_t sl;
		if (n >= k->size || config_parse_listen(v, &ss, &sl) != 0)
			goto bad;
		memcpy(dst, v, n + 1);
		return 0;
	}
	case C_UINT:
		if (pt_uint_parse(v, k->min, k->max, &u) != PT_OK)
			goto bad;
		if (k->size == sizeof(unsigned))
			*(unsigned *)(void *)dst = (unsigned)u;
		else
			*(size_t *)(void *)dst = (size_t)u;
		return 0;
	case C_SECURE:
		for (u = 0; u < 3; u++)
			if (strcmp(v, secure_names[u]) == 0)
				break;
		if (u == 3)
			goto bad;
		*(int *)(void *)dst = (int)u;	/* WEB_SECURE_AUTO, _ALWAYS, _NEVER */
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
	case C_BROKER:
		if (n >= k->size || !broker_is_valid(v))
			goto bad;
		memcpy(dst, v, n + 1);
		return 0;
	case C_WORD:
		if (n >= k->size || (n > 0 && !pt_id_is_valid(v, n)))
			goto bad;
		memcpy(dst, v, n + 1);
		return 0;
	case C_LEVEL: {
		for (int i = 0; i < 4; i++) {
			if (strcmp(v, level_names[i]) == 0) {
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

/* A store path that is a PostgreSQL URI (store.c picks the backend the same way). */
static bool
store_is_uri(const char *path)
{
	return strncmp(path, "postgresql://", 13) == 0 || strncmp(path, "postgres://", 11) == 0;
}

bool
config_store_is_shared(const struct config *c)
{
	return store_is_uri(c->store_path);
}

/* A URI's password ("postgresql://user:secret@host/db") never reaches a
 * log or a screen: it is shown as "***". Anything else is copied. */
void
config_redact(const char *v, char *out, size_t cap)
{
	const char *scheme = strstr(v, "://"), *at, *colon;

	(void)snprintf(out, cap, "%s", v);
	if (scheme == NULL || !store_is_uri(v))
		return;
	at = strchr(scheme + 3, '@');
	colon = memchr(scheme + 3, ':', at != NULL ? (size_t)(at - (scheme + 3)) : 0);
	if (at == NULL || colon == NULL)
		return;
	(void)snprintf(out, cap, "%.*s:***%s", (int)(colon - v), v, at);
}

/* An unset sealing_key lives beside the database: one directory to guard.
 * A database on a server has no directory here: the key goes under ./var
 * like the SQLite default, never into a path made from the URI. */
static int
sealing_default(struct config *c, struct pt_errbuf *err)
{
	const char *slash;
	int n;

	if (c->sealing_key[0] != '\0')
		return 0;
	slash = strrchr(c->store_path, '/');
	if (store_is_uri(c->store_path))
		n = snprintf(c->sealing_key, sizeof(c->sealing_key), "var/porterd/sealing.key");
	else if (slash == NULL)
		n = snprintf(c->sealing_key, sizeof(c->sealing_key), "sealing.key");
	else
		n = snprintf(c->sealing_key, sizeof(c->sealing_key), "%.*s/sealing.key",
			     (int)(slash - c->store_path), c->store_path);
	if (n < 0 || (size_t)n >= sizeof(c->sealing_key)) {
		(void)snprintf(err->msg, sizeof(err->msg), "store.sealing_key: the path is too long");
		return -1;
	}
	return 0;
}

/* An unset clips.dir lives beside the database too, as sealing_key. */
static int
clips_default(struct config *c, struct pt_errbuf *err)
{
	const char *slash;
	int n;

	if (c->clips_dir[0] != '\0')
		return 0;
	slash = strrchr(c->store_path, '/');
	if (store_is_uri(c->store_path))
		n = snprintf(c->clips_dir, sizeof(c->clips_dir), "var/porterd/clips");
	else if (slash == NULL)
		n = snprintf(c->clips_dir, sizeof(c->clips_dir), "clips");
	else
		n = snprintf(c->clips_dir, sizeof(c->clips_dir), "%.*s/clips",
			     (int)(slash - c->store_path), c->store_path);
	if (n < 0 || (size_t)n >= sizeof(c->clips_dir)) {
		(void)snprintf(err->msg, sizeof(err->msg), "clips.dir: the path is too long");
		return -1;
	}
	return 0;
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
	if (sealing_default(c, &err) != 0 || clips_default(c, &err) != 0)
		abort();
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

/*
 * inih only calls us for keys, so a section without keys would pass
 * unseen: one pass over the lines checks every [section] name, and notes
 * where the TLS keys are for the error that needs them together.
 */
/* A section is known when some key of the table lives in it. */
static bool
section_known(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcmp(keys[i].section, name) == 0)
			return true;
	return false;
}

static int
scan_sections(const char *path, int *cert_line, int *key_line, struct pt_errbuf *err)
{
	char line[512];
	FILE *f = fopen(path, "r");
	bool server = false;	/* inside [server]: [mqtt] has keys of the same names */
	int n = 0;

	*cert_line = *key_line = 0;
	if (f == NULL)
		return 0;	/* ini_parse reports it */
	while (fgets(line, sizeof(line), f) != NULL) {
		char *p = line, *end;
		n++;
		while (*p == ' ' || *p == '\t')
			p++;
		if (server && strncmp(p, "tls_cert", 8) == 0)
			*cert_line = n;
		if (server && strncmp(p, "tls_key", 7) == 0)
			*key_line = n;
		if (*p != '[')
			continue;
		if ((end = strchr(p, ']')) == NULL)
			continue;	/* ini_parse reports the syntax */
		*end = '\0';
		server = strcmp(p + 1, "server") == 0;
		if (!section_known(p + 1)) {
			(void)snprintf(err->msg, sizeof(err->msg),
				       "'%.100s' line %d: unknown section [%.40s]", path, n, p + 1);
			fclose(f);
			return -1;
		}
	}
	fclose(f);
	return 0;
}

/* A file that holds a secret: a regular file, not readable by group or
 * others (0600 or stricter). */
static int
secret_file_ok(const char *path, const char *key, struct pt_errbuf *err)
{
	struct stat st;

	if (stat(path, &st) != 0) {
		(void)snprintf(err->msg, sizeof(err->msg), "mqtt.%s: cannot read '%.100s': %s", key,
			       path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode) || (st.st_mode & 077) != 0) {
		(void)snprintf(err->msg, sizeof(err->msg),
			       "mqtt.%s: '%.100s' must be a file only its owner can read (mode 0600)",
			       key, path);
		return -1;
	}
	return 0;
}

/* The [mqtt] keys that go together, and the secrets' modes. */
static int
mqtt_check(const char *path, const struct config *c, struct pt_errbuf *err)
{
	if ((c->mqtt_tls_cert[0] != '\0') != (c->mqtt_tls_key[0] != '\0')) {
		(void)snprintf(err->msg, sizeof(err->msg),
			       "'%.100s': mqtt.%s is set without mqtt.%s: they go together", path,
			       c->mqtt_tls_cert[0] != '\0' ? "tls_cert" : "tls_key",
			       c->mqtt_tls_cert[0] != '\0' ? "tls_key" : "tls_cert");
		return -1;
	}
	if (c->mqtt_password_file[0] != '\0' && c->mqtt_username[0] == '\0') {
		(void)snprintf(err->msg, sizeof(err->msg),
			       "'%.100s': mqtt.password_file is set without mqtt.username", path);
		return -1;
	}
	if (c->mqtt_broker[0] == '\0')
		return 0;
	if (c->mqtt_password_file[0] != '\0' &&
	    secret_file_ok(c->mqtt_password_file, "password_file", err) != 0)
		return -1;
	if (c->mqtt_tls_key[0] != '\0' && secret_file_ok(c->mqtt_tls_key, "tls_key", err) != 0)
		return -1;
	return 0;
}

int
config_load(const char *path, struct config *c, struct pt_errbuf *err)
{
	struct parse_ctx pc = {c, err, false};
	char msg[sizeof(err->msg)];
	int line, cert_line, key_line;

	config_defaults(c);
	c->sealing_key[0] = '\0';	/* derived from the file's store.path unless set */
	c->clips_dir[0] = '\0';	/* the same */
	err->msg[0] = '\0';
	if (scan_sections(path, &cert_line, &key_line, err) != 0)
		return -1;
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
			       "'%.100s' line %d: %s is set without %s: they go together", path,
			       c->tls_cert[0] != '\0' ? cert_line : key_line,
			       c->tls_cert[0] != '\0' ? "tls_cert" : "tls_key",
			       c->tls_cert[0] != '\0' ? "tls_key" : "tls_cert");
		return -1;
	}
	if (mqtt_check(path, c, err) != 0)
		return -1;
	if (clips_default(c, err) != 0)
		return -1;
	return sealing_default(c, err);
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
		case C_STR: {
			char shown[PATH_MAX];
			config_redact(p, shown, sizeof(shown));
			printf("%s", shown);
			break;
		}
		case C_LISTEN:
		case C_BROKER:
		case C_WORD: printf("%s", p); break;
		case C_UINT:
			printf("%zu", k->size == sizeof(unsigned) ? *(const unsigned *)(const void *)p
								  : *(const size_t *)(const void *)p);
			break;
		case C_BOOLWORD: printf("%s", *(const bool *)(const void *)p ? "open" : "closed"); break;
		case C_SECURE: {
			int m = *(const int *)(const void *)p;
			printf("%s", secure_names[m < 0 || m > 2 ? 0 : m]);
			break;
		}
		case C_DURATION: printf("%llds", (long long)*(const int64_t *)(const void *)p); break;
		case C_LEVEL: {
			int l = *(const int *)(const void *)p;
			printf("%s", level_names[l < 0 ? 0 : l > 3 ? 3 : l]);
			break;
		}
		}
		printf("    # %s\n", k->doc);
	}
}
