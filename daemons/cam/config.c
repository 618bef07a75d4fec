/*
 * porter-cam's configuration: every key declared once, in keys[], which
 * drives the parser, the defaults, the range checks and `porter-cam -n -v`
 * (docs/man/porter-cam.8 and dist/porter-cam.conf list the same keys).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ini.h>

#include "porter/cbor.h"
#include "porter/keyfile.h"
#include "porter/text.h"
#include "cam.h"

enum ctype { C_STR, C_ID, C_INPUT, C_USER, C_MS, C_UINT, C_CENTI, C_LEVEL, C_PACE, C_DECODE,
	     C_TRANSPORT };

struct key {
	const char *section, *name;
	enum ctype type;
	size_t off, size;
	const char *def;
	uint64_t min, max;	/* C_UINT: value; C_MS: ms; C_CENTI: hundredths */
	const char *doc;
};

#define F(m) offsetof(struct cam_config, m), sizeof(((struct cam_config *)0)->m)
#define SEC 1000u
#define MIN (60u * SEC)

static const char *const level_names[] = {"error", "warn", "info", "debug"};
static const char *const pace_names[] = {"auto", "yes", "no"};
static const char *const decode_names[] = {"all", "keyframes"};
static const char *const transport_names[] = {"tcp", "udp"};

static const struct key keys[] = {
	{"cam", "id", C_ID, F(id), "cam", 0, 0,
	 "the camera's id, in every health message; the hub expects it"},
	{"cam", "input", C_INPUT, F(input), "", 0, 0,
	 "the source: rtsp://..., /dev/videoN, a file, or lavfi:GRAPH (tests); required"},
	{"cam", "state_dir", C_STR, F(state_dir), "var/cam", 0, 0,
	 "the key and the reference picture; created 0700"},
	{"cam", "key", C_STR, F(key), "", 0, 0,
	 "the camera's Ed25519 key file, created 0600 on first start; default <state_dir>/cam.key"},
	{"cam", "reference", C_STR, F(reference), "", 0, 0,
	 "the reference picture ('porter-cam reference'); default <state_dir>/reference.pgm"},
	{"cam", "hub_socket", C_STR, F(hub_socket), "var/hub/cam.sock", 0, 0,
	 "the hub's Unix datagram socket for health messages"},
	{"cam", "user", C_USER, F(user), "", 0, 0,
	 "started as root: run as this user (required then); empty: the user started as"},
	{"cam", "interval", C_MS, F(interval_ms), "1s", 100, 10 * SEC,
	 "a signed health message this often (100ms .. 10s)"},
	{"input", "open_timeout", C_MS, F(open_timeout_ms), "10s", SEC, 2 * MIN,
	 "opening the source (connect, probe) gives up after this"},
	{"input", "io_timeout", C_MS, F(io_timeout_ms), "5s", 500, 2 * MIN,
	 "a read that brings nothing for this long ends the connection"},
	{"input", "backoff_min", C_MS, F(backoff_min_ms), "1s", 100, 10 * MIN,
	 "first wait before reconnecting; it doubles on every failure"},
	{"input", "backoff_max", C_MS, F(backoff_max_ms), "60s", 100, 60 * MIN,
	 "longest wait before reconnecting"},
	{"input", "pace", C_PACE, F(pace), "auto", 0, 0,
	 "read at the stream's own rate: auto (files and lavfi), yes, no"},
	{"input", "decode", C_DECODE, F(decode), "all", 0, 0,
	 "all: decode every frame; keyframes: only key frames (far cheaper, coarser)"},
	{"input", "rtsp_transport", C_TRANSPORT, F(rtsp_transport), "tcp", 0, 0,
	 "RTSP: tcp (interleaved) or udp"},
	{"health", "analyse_fps", C_UINT, F(analyse_fps), "5", 1, 30,
	 "pictures analysed per second (1 .. 30)"},
	{"health", "stall", C_MS, F(stall_ms), "3s", 500, 5 * MIN,
	 "no packet for this long: stalled"},
	{"health", "frozen", C_MS, F(lim.frozen_ms), "5s", 500, 10 * MIN,
	 "the picture unchanged this long: frozen"},
	{"health", "frozen_change", C_CENTI, F(lim.frozen_change), "0.02", 1, 2000,
	 "a picture whose full-resolution samples change by this much on average (luma"
	 " levels) is alive; frozen: under half alive and no local change (0.01 .. 20.00)"},
	{"health", "black", C_MS, F(lim.black_ms), "3s", 500, 10 * MIN,
	 "black or covered this long: black"},
	{"health", "black_luma", C_UINT, F(lim.black_luma), "24", 0, 255,
	 "mean luma below this is black (0 .. 255)"},
	{"health", "covered_contrast", C_CENTI, F(lim.covered_contrast), "3.00", 0, 12800,
	 "luma standard deviation below this is a covered lens (levels)"},
	{"health", "moved", C_MS, F(lim.moved_ms), "10s", 500, 60 * MIN,
	 "away from the reference picture this long: moved"},
	{"health", "moved_match", C_UINT, F(lim.moved_match), "400", 1, 1000,
	 "per mille of the reference's textured blocks that must still match (1 .. 1000)"},
	{"clips", "marks", C_STR, F(marks), "", 0, 0,
	 "the Unix datagram socket (mode 0660) where the hub sends START/END marks;"
	 " empty: no clips"},
	{"clips", "owners", C_STR, F(owners), "", 0, 0,
	 "the owners' Ed25519 public keys (base64url, as 'porter key' prints them, or"
	 " key files), separated by commas or spaces; each clip key is sealed to every"
	 " one (1 .. 8), and to the hub's owner keys with live.hub_key; required with marks"},
	{"clips", "server", C_STR, F(server), "", 0, 0,
	 "porterd's base URL (https://...; http:// only to a loopback address: 127.0.0.0/8,"
	 " [::1], localhost); clips are uploaded to it; empty: spool only"},
	{"clips", "cacert", C_STR, F(cacert), "", 0, 0,
	 "a PEM file of the CA that signed clips.server's certificate (a private CA);"
	 " empty: the system's CAs"},
	{"clips", "spool", C_STR, F(spool), "", 0, 0,
	 "sealed segments and manifests wait here (0700) until uploaded;"
	 " default <state_dir>/spool"},
	{"clips", "preroll", C_MS, F(preroll_ms), "10s", 0, MIN,
	 "video kept before START (from the key frame before it; 0 .. 60s)"},
	{"clips", "postroll", C_MS, F(postroll_ms), "5s", 0, MIN,
	 "video kept after END (0 .. 60s)"},
	{"clips", "segment", C_MS, F(segment_ms), "2s", 500, 10 * SEC,
	 "segments are cut at the first key frame after this much video (500ms .. 10s)"},
	{"clips", "max_length", C_MS, F(max_length_ms), "10m", 10 * SEC, 30 * MIN,
	 "a clip without END closes after this long (10s .. 30m)"},
	{"clips", "encoder", C_STR, F(encoder), "libx264", 0, 0,
	 "raw sources only (H.264/H.265 are remuxed, never re-encoded): the FFmpeg"
	 " encoder; mpeg4 if it is missing"},
	{"live", "hub_key", C_STR, F(live_hub_key), "", 0, 0,
	 "the hub's Ed25519 public key (base64url, or a key file): live-view orders and"
	 " the hub's owner keys (clips are sealed to them too) on clips.marks must be"
	 " signed by it; empty: live view off (needs clips.marks and clips.server)"},
	{"live", "sessions", C_UINT, F(live_sessions), "2", 1, 2,
	 "live sessions at once at most (1 .. 2)"},
	{"live", "fragment_ms", C_UINT, F(live_fragment_ms), "1000", 250, 5000,
	 "a live fragment is cut at the first key frame after this many ms (250 .. 5000)"},
	{"log", "level", C_LEVEL, F(log_level), "info", 0, 0, "error, warn, info or debug"},
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

/* "250ms", or a duration of porter/text.h ("5s", "2m", "1h", "90"). */
static int
parse_ms(const char *v, uint64_t *ms)
{
	size_t n = strlen(v);
	int64_t s;

	if (n > 2 && strcmp(v + n - 2, "ms") == 0) {
		char num[24];
		if (n - 2 >= sizeof(num))
			return -1;
		memcpy(num, v, n - 2);
		num[n - 2] = '\0';
		return pt_uint_parse(num, 0, UINT32_MAX, ms) == PT_OK ? 0 : -1;
	}
	if (pt_duration_parse(v, &s) != PT_OK || s < 0 || s > (int64_t)(UINT32_MAX / 1000u))
		return -1;
	*ms = (uint64_t)s * 1000u;
	return 0;
}

/* "3", "3.5", "0.50": hundredths. */
static int
parse_centi(const char *v, uint64_t *out)
{
	char whole[16];
	const char *dot = strchr(v, '.');
	size_t wl = dot != NULL ? (size_t)(dot - v) : strlen(v);
	uint64_t w, f = 0;

	if (wl == 0 || wl >= sizeof(whole))
		return -1;
	memcpy(whole, v, wl);
	whole[wl] = '\0';
	if (pt_uint_parse(whole, 0, 1000000, &w) != PT_OK)
		return -1;
	if (dot != NULL) {
		size_t fl = strlen(dot + 1);
		if (fl == 0 || fl > 2 || dot[1] < '0' || dot[1] > '9' ||
		    (fl == 2 && (dot[2] < '0' || dot[2] > '9')))
			return -1;
		f = (uint64_t)(dot[1] - '0') * 10u + (fl == 2 ? (uint64_t)(dot[2] - '0') : 0u);
	}
	*out = w * 100u + f;
	return 0;
}

static int
parse_enum(const char *v, const char *const *names, int n, int *out)
{
	for (int i = 0; i < n; i++) {
		if (strcmp(v, names[i]) == 0) {
			*out = i;
			return 0;
		}
	}
	return -1;
}

static bool
user_is_valid(const char *v, size_t n)
{
	size_t i;

	if (n == 0)
		return true;
	if (v[0] == '-')
		return false;
	for (i = 0; i < n; i++)
		if (!((v[i] >= 'a' && v[i] <= 'z') || (v[i] >= 'A' && v[i] <= 'Z') ||
		      (v[i] >= '0' && v[i] <= '9') || v[i] == '_' || v[i] == '-' || v[i] == '.'))
			return false;
	return true;
}

static int
set(struct cam_config *c, const struct key *k, const char *v, struct pt_errbuf *err)
{
	char *dst = (char *)c + k->off;
	uint64_t u;
	size_t n = strlen(v);

	switch (k->type) {
	case C_STR:
		if (n >= k->size)
			goto bad;
		memcpy(dst, v, n + 1);
		return 0;
	case C_INPUT:
		/* Shown in logs: printable, no controls. */
		if (n >= k->size || !pt_text_is_printable((const uint8_t *)v, n))
			goto bad;
		memcpy(dst, v, n + 1);
		return 0;
	case C_ID:
		if (n >= k->size || !pt_id_is_valid(v, n))
			goto bad;
		memcpy(dst, v, n + 1);
		return 0;
	case C_USER:
		if (n >= k->size || !user_is_valid(v, n))
			goto bad;
		memcpy(dst, v, n + 1);
		return 0;
	case C_UINT:
		if (pt_uint_parse(v, k->min, k->max, &u) != PT_OK)
			goto bad;
		*(uint32_t *)(void *)dst = (uint32_t)u;
		return 0;
	case C_MS:
		if (parse_ms(v, &u) != 0 || u < k->min || u > k->max)
			goto bad;
		*(uint32_t *)(void *)dst = (uint32_t)u;
		return 0;
	case C_CENTI:
		if (parse_centi(v, &u) != 0 || u < k->min || u > k->max)
			goto bad;
		*(uint32_t *)(void *)dst = (uint32_t)u;
		return 0;
	case C_LEVEL:
		if (parse_enum(v, level_names, 4, (int *)(void *)dst) != 0)
			goto bad;
		return 0;
	case C_PACE:
		if (parse_enum(v, pace_names, 3, (int *)(void *)dst) != 0)
			goto bad;
		return 0;
	case C_DECODE:
		if (parse_enum(v, decode_names, 2, (int *)(void *)dst) != 0)
			goto bad;
		return 0;
	case C_TRANSPORT: {
		int t;
		if (parse_enum(v, transport_names, 2, &t) != 0)
			goto bad;
		memcpy(dst, v, n + 1);
		return 0;
	}
	}
bad:
	(void)snprintf(err->msg, sizeof(err->msg), "%s.%s: '%.64s' is not valid (%s)", k->section,
		       k->name, v, k->doc);
	return -1;
}

static int parse_owners(struct cam_config *c, struct pt_errbuf *err);

static int
derive(char *dst, size_t cap, const char *dir, const char *name, const char *what,
       struct pt_errbuf *err)
{
	int n;

	if (dst[0] != '\0')
		return 0;
	n = snprintf(dst, cap, "%s/%s", dir, name);
	if (n < 0 || (size_t)n >= cap) {
		(void)snprintf(err->msg, sizeof(err->msg), "%s: the path under state_dir is too long",
			       what);
		return -1;
	}
	return 0;
}

/* The authority of an http:// URL (after "http://") names a loopback
 * address: 127.0.0.0/8, [::1] or localhost, no user info. */
static bool
loopback_url(const char *a)
{
	size_t n = strcspn(a, "/?#"), h;
	char host[64];
	struct in_addr in;

	if (memchr(a, '@', n) != NULL || n == 0)
		return false;
	if (a[0] == '[') {
		const char *e = memchr(a, ']', n);
		if (e == NULL || (size_t)(e - a) != 4 || memcmp(a, "[::1]", 5) != 0)
			return false;
		return e + 1 == a + n || e[1] == ':';
	}
	h = strcspn(a, ":/?#");
	if (h == 0 || h >= sizeof(host))
		return false;
	memcpy(host, a, h);
	host[h] = '\0';
	if (strcasecmp(host, "localhost") == 0)
		return true;
	return inet_pton(AF_INET, host, &in) == 1 && (ntohl(in.s_addr) >> 24) == 127;
}

static int
finish(struct cam_config *c, struct pt_errbuf *err)
{
	if (derive(c->key, sizeof(c->key), c->state_dir, "cam.key", "cam.key", err) != 0 ||
	    derive(c->reference, sizeof(c->reference), c->state_dir, "reference.pgm",
		   "cam.reference", err) != 0)
		return -1;
	if (derive(c->spool, sizeof(c->spool), c->state_dir, "spool", "clips.spool", err) != 0 ||
	    parse_owners(c, err) != 0)
		return -1;
	if (c->marks[0] != '\0' && c->n_owners == 0) {
		(void)snprintf(err->msg, sizeof(err->msg),
			       "clips.owners is empty: a clip must be sealed to at least one owner");
		return -1;
	}
	if (c->server[0] != '\0' && strncmp(c->server, "https://", 8) != 0 &&
	    strncmp(c->server, "http://", 7) != 0) {
		(void)snprintf(err->msg, sizeof(err->msg),
			       "clips.server: '%.100s' is not an https:// URL", c->server);
		return -1;
	}
	/* Plain http lets anyone on the path answer "stored" and have the
	 * camera delete its evidence: only to this host. */
	if (strncmp(c->server, "http://", 7) == 0 && !loopback_url(c->server + 7)) {
		(void)snprintf(err->msg, sizeof(err->msg),
			       "clips.server: '%.100s': http:// is allowed only to a loopback address"
			       " (127.0.0.0/8, [::1], localhost); use https://", c->server);
		return -1;
	}
	c->live_on = false;
	if (c->live_hub_key[0] != '\0') {
		struct pt_errbuf e;
		if (pt_pubkey_parse(c->live_hub_key, c->hub_pk, &e) != PT_OK) {
			(void)snprintf(err->msg, sizeof(err->msg), "live.hub_key: %.200s", e.msg);
			return -1;
		}
		if (c->marks[0] == '\0' || c->server[0] == '\0') {
			(void)snprintf(err->msg, sizeof(err->msg),
				       "live.hub_key needs clips.marks (where orders come) and"
				       " clips.server (where fragments go)");
			return -1;
		}
		c->live_on = true;
	}
	if (c->backoff_max_ms < c->backoff_min_ms) {
		(void)snprintf(err->msg, sizeof(err->msg),
			       "input.backoff_max is shorter than input.backoff_min");
		return -1;
	}
	if (c->hub_socket[0] == '\0') {
		(void)snprintf(err->msg, sizeof(err->msg), "cam.hub_socket is empty");
		return -1;
	}
	return 0;
}

/* clips.owners: keys or key files, split at commas and blanks. */
static int
parse_owners(struct cam_config *c, struct pt_errbuf *err)
{
	const char *p = c->owners;
	char one[CAM_PATH_MAX];
	struct pt_errbuf e;
	size_t n, i;

	c->n_owners = 0;
	for (;;) {
		while (*p == ',' || *p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			return 0;
		n = strcspn(p, ", \t");
		if (n >= sizeof(one) || c->n_owners == CAM_OWNERS_MAX) {
			(void)snprintf(err->msg, sizeof(err->msg),
				       "clips.owners: more than %d keys, or a path too long",
				       CAM_OWNERS_MAX);
			return -1;
		}
		memcpy(one, p, n);
		one[n] = '\0';
		if (pt_pubkey_parse(one, c->owner_pk[c->n_owners], &e) != PT_OK) {
			(void)snprintf(err->msg, sizeof(err->msg), "clips.owners: %.200s", e.msg);
			return -1;
		}
		for (i = 0; i < c->n_owners; i++)
			if (memcmp(c->owner_pk[i], c->owner_pk[c->n_owners], PT_PK_LEN) == 0)
				break;
		if (i == c->n_owners)
			c->n_owners++;	/* the same key twice counts once */
		p += n;
	}
}

static void
load_defaults(struct cam_config *c)
{
	struct pt_errbuf err;
	size_t i;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < NKEYS; i++)
		if (set(c, &keys[i], keys[i].def, &err) != 0 && keys[i].type != C_INPUT)
			abort();	/* a default that does not parse is a bug */
}

void
config_defaults(struct cam_config *c)
{
	struct pt_errbuf err;

	load_defaults(c);
	if (finish(c, &err) != 0)
		abort();
}

struct parse_ctx {
	struct cam_config *c;
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
	for (i = 0; i < NKEYS; i++) {
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

static bool
section_known(const char *name)
{
	size_t i;

	for (i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].section, name) == 0)
			return true;
	return false;
}

/* inih calls us for keys only: a misspelt section without keys would
 * pass unseen, so one pass checks every [section] name. */
static int
scan_sections(const char *path, struct pt_errbuf *err)
{
	char line[1200];
	FILE *f = fopen(path, "r");
	int n = 0;

	if (f == NULL)
		return 0;	/* ini_parse reports it */
	while (fgets(line, sizeof(line), f) != NULL) {
		char *p = line, *end;
		n++;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p != '[' || (end = strchr(p, ']')) == NULL)
			continue;
		*end = '\0';
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

int
config_load(const char *path, struct cam_config *c, struct pt_errbuf *err)
{
	struct parse_ctx pc = {c, err, false};
	char msg[sizeof(err->msg)];
	int line;

	load_defaults(c);
	err->msg[0] = '\0';
	if (scan_sections(path, err) != 0)
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
	if (finish(c, err) != 0) {
		memcpy(msg, err->msg, sizeof(msg));
		(void)snprintf(err->msg, sizeof(err->msg), "'%.64s': %.180s", path, msg);
		return -1;
	}
	return 0;
}

static void
print_ms(uint32_t ms)
{
	if (ms % 1000u == 0)
		printf("%us", ms / 1000u);
	else
		printf("%ums", ms);
}

void
config_print(const struct cam_config *c)
{
	size_t i;

	for (i = 0; i < NKEYS; i++) {
		const struct key *k = &keys[i];
		const char *p = (const char *)c + k->off;
		uint32_t u = 0;
		int e = 0;

		if (k->type == C_UINT || k->type == C_MS || k->type == C_CENTI)
			memcpy(&u, p, sizeof(u));
		if (k->type == C_LEVEL || k->type == C_PACE || k->type == C_DECODE)
			memcpy(&e, p, sizeof(e));
		printf("%s.%s = ", k->section, k->name);
		switch (k->type) {
		case C_STR:
		case C_ID:
		case C_INPUT:
		case C_USER:
		case C_TRANSPORT: printf("%s", p); break;
		case C_UINT: printf("%u", u); break;
		case C_MS: print_ms(u); break;
		case C_CENTI: printf("%u.%02u", u / 100u, u % 100u); break;
		case C_LEVEL: printf("%s", level_names[e < 0 ? 0 : e > 3 ? 3 : e]); break;
		case C_PACE: printf("%s", pace_names[e < 0 ? 0 : e > 2 ? 2 : e]); break;
		case C_DECODE: printf("%s", decode_names[e ? 1 : 0]); break;
		}
		printf("    # %s\n", k->doc);
	}
}
