/*
 * The porter tool as a client of porterd: the session file, HTTP through
 * libcurl's easy API, passwords from the terminal, and output helpers.
 */
#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <curl/curl.h>

#include "porter/crypto.h"
#include "porter/keyfile.h"
#include "porter/text.h"
#include "client.h"
#include "porter.h"

#define CONF_SIZE_MAX 4096
#define RESPONSE_MAX (8u << 20)	/* 256 grants with their chains fit many times */

/* ---- allocation that wipes what it frees (jansson, libcurl) ---- */

/* Each block starts with its size, padded to keep malloc's alignment. */
#define WHDR 16
static_assert(WHDR >= alignof(max_align_t) && WHDR >= sizeof(size_t), "header");

static void *
wmalloc(size_t n)
{
	unsigned char *p;

	if (n > SIZE_MAX - WHDR || (p = malloc(n + WHDR)) == NULL)
		return NULL;
	memcpy(p, &n, sizeof(n));
	return p + WHDR;
}

static void
wfree(void *q)
{
	unsigned char *p;
	size_t n;

	if (q == NULL)
		return;
	p = (unsigned char *)q - WHDR;
	memcpy(&n, p, sizeof(n));
	pt_wipe(q, n);
	free(p);
}

static void *
wrealloc(void *q, size_t n)
{
	void *r;
	size_t old;

	if (q == NULL)
		return wmalloc(n);
	if ((r = wmalloc(n)) == NULL)
		return NULL;
	memcpy(&old, (unsigned char *)q - WHDR, sizeof(old));
	memcpy(r, q, old < n ? old : n);
	wfree(q);
	return r;
}

static char *
wstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *r = wmalloc(n);

	if (r != NULL)
		memcpy(r, s, n);
	return r;
}

static void *
wcalloc(size_t a, size_t b)
{
	void *r;

	if (b != 0 && a > SIZE_MAX / b)
		return NULL;
	if ((r = wmalloc(a * b)) != NULL)
		memset(r, 0, a * b);
	return r;
}

void
client_global_init(void)
{
	json_set_alloc_funcs(wmalloc, wfree);
}

/* ---- reason codes ---- */

int
pt_err_from_code(const char *code)
{
	int e;

	for (e = 0; e < PT_ERR_COUNT_; e++)
		if (strcmp(pt_err_code(-e), code) == 0)
			return -e;
	return 1;
}

static int
exit_for_code(const char *code)
{
	int e = pt_err_from_code(code);

	return e < 0 ? pt_err_info(e)->exit_code : EXIT_INPUT;
}

/* ---- text from the server, for a terminal ---- */

static void
safe_copy(char *out, size_t cap, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, o = 0;

	while (i < len && o + 1 < cap) {
		if (p[i] < 0x20 || p[i] == 0x7f) {
			out[o++] = '?';
			i++;
		} else if (p[i] == 0xc2 && i + 1 < len && p[i + 1] >= 0x80 && p[i + 1] <= 0x9f) {
			out[o++] = '?';	/* C1 controls */
			i += 2;
		} else if (p[i] == 0xe2 && i + 2 < len &&
			   ((p[i + 1] == 0x80 && p[i + 2] >= 0xaa && p[i + 2] <= 0xae) ||
			    (p[i + 1] == 0x81 && p[i + 2] >= 0xa6 && p[i + 2] <= 0xa9))) {
			out[o++] = '?';	/* bidirectional overrides */
			i += 3;
		} else {
			out[o++] = (char)p[i++];
		}
	}
	/* Never end inside a UTF-8 sequence. */
	if (i < len)
		while (o > 0 && ((unsigned char)out[o - 1] & 0xc0) == 0x80)
			o--;
	if (i < len && o > 0 && ((unsigned char)out[o - 1] & 0xc0) == 0xc0)
		o--;
	out[o] = '\0';
}

const char *
client_text(const json_t *v, char *buf, size_t cap)
{
	if (cap == 0)
		return "";
	buf[0] = '\0';
	if (json_is_string(v))
		safe_copy(buf, cap, json_string_value(v), json_string_length(v));
	return buf;
}

const char *
client_time(const json_t *v, char *buf, size_t cap)
{
	if (json_is_integer(v))
		pt_time_format((int64_t)json_integer_value(v), buf, cap);
	else
		(void)snprintf(buf, cap, "-");
	return buf;
}

void
client_print_json(const json_t *j)
{
	json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', stdout);
}

/* ---- tables ---- */

void
table_init(struct table *t, size_t n_cols)
{
	memset(t, 0, sizeof(*t));
	t->n_cols = n_cols;
}

void
table_row(struct table *t, const char *const *cells)
{
	size_t i, n;

	if (t->n_rows == t->cap) {
		size_t cap = t->cap == 0 ? 16 : 2 * t->cap;
		char **p = realloc(t->cells, cap * t->n_cols * sizeof(*p));
		if (p == NULL)
			return;	/* out of memory: the row is left out */
		t->cells = p;
		t->cap = cap;
	}
	for (i = 0; i < t->n_cols; i++) {
		n = strlen(cells[i]) + 1;
		if ((t->cells[t->n_rows * t->n_cols + i] = malloc(n)) != NULL)
			memcpy(t->cells[t->n_rows * t->n_cols + i], cells[i], n);
	}
	t->n_rows++;
}

/* Columns a string takes: its UTF-8 code points. */
static size_t
text_width(const char *s)
{
	size_t w = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

void
table_print(struct table *t)
{
	size_t widths[16] = {0};
	size_t r, i, w;
	const char *s;

	for (r = 0; r < t->n_rows; r++)
		for (i = 0; i < t->n_cols && i < 16; i++) {
			s = t->cells[r * t->n_cols + i];
			if (s != NULL && (w = text_width(s)) > widths[i])
				widths[i] = w;
		}
	for (r = 0; r < t->n_rows; r++) {
		for (i = 0; i < t->n_cols; i++) {
			s = t->cells[r * t->n_cols + i];
			if (s == NULL)
				s = "?";
			fputs(s, stdout);
			if (i + 1 < t->n_cols)
				for (w = text_width(s); w < widths[i < 16 ? i : 15] + 2; w++)
					fputc(' ', stdout);
		}
		fputc('\n', stdout);
	}
	for (r = 0; r < t->n_rows * t->n_cols; r++)
		free(t->cells[r]);
	free(t->cells);
	memset(t, 0, sizeof(*t));
}

/* ---- the session file ---- */

static int
conf_path(char *out, size_t cap)
{
	const char *e = getenv("PORTER_CONFIG"), *base, *rel = "/porter/client.conf";
	struct passwd pw, *res = NULL;
	char pwbuf[4096];
	int n;

	if (e != NULL && e[0] != '\0') {
		base = e;
		rel = "";
	} else if ((e = getenv("XDG_CONFIG_HOME")) != NULL && e[0] == '/') {
		base = e;
	} else {
		rel = "/.config/porter/client.conf";
		if ((e = getenv("HOME")) != NULL && e[0] == '/')
			base = e;
		else if (getpwuid_r(getuid(), &pw, pwbuf, sizeof(pwbuf), &res) == 0 && res != NULL &&
			 pw.pw_dir[0] == '/')
			base = pw.pw_dir;
		else {
			warnx_("cannot find a home directory for the session file: set PORTER_CONFIG");
			return EXIT_INPUT;
		}
	}
	n = snprintf(out, cap, "%s%s", base, rel);
	if (n < 0 || (size_t)n >= cap) {
		warnx_("the session file's path is too long");
		return EXIT_INPUT;
	}
	return 0;
}

void
client_init(struct client *c)
{
	const char *ca = getenv("PORTER_CACERT");

	memset(c, 0, sizeof(*c));
	if (ca != NULL && ca[0] != '\0')
		c->cacert = ca;
}

/* The session file's path and libcurl, once. */
static int
client_setup(struct client *c)
{
	static bool curl_ready;
	int rc;

	if ((rc = conf_path(c->conf, sizeof(c->conf))) != 0)
		return rc;
	if (!curl_ready) {
		if (curl_global_init_mem(CURL_GLOBAL_DEFAULT, wmalloc, wfree, wrealloc, wstrdup,
					 wcalloc) != CURLE_OK) {
			warnx_("cannot initialise libcurl");
			return EXIT_INPUT;
		}
		curl_ready = true;
	}
	return 0;
}

void
client_close(struct client *c)
{
	pt_wipe(c->token, sizeof(c->token));
}

static bool
token_is_valid(const char *s, size_t len)
{
	size_t i;

	if (len != CLIENT_TOKEN_LEN)
		return false;
	for (i = 0; i < len; i++) {
		char ch = s[i];
		if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
		      ch == '-' || ch == '_'))
			return false;
	}
	return true;
}

static void
trim(char **s, size_t *len)
{
	while (*len > 0 && ((*s)[0] == ' ' || (*s)[0] == '\t')) {
		(*s)++;
		(*len)--;
	}
	while (*len > 0 && ((*s)[*len - 1] == ' ' || (*s)[*len - 1] == '\t' || (*s)[*len - 1] == '\r'))
		(*len)--;
}

/* "key = value" lines; '#' starts a comment line. */
static int
conf_parse(struct client *c, char *buf, size_t len)
{
	char *line = buf, *end = buf + len, *nl, *eq, *key, *val;
	size_t klen, vlen, lineno = 0;
	char server[CLIENT_URL_MAX + 1];

	server[0] = '\0';
	while (line < end) {
		lineno++;
		nl = memchr(line, '\n', (size_t)(end - line));
		if (nl == NULL)
			nl = end;
		key = line;
		klen = (size_t)(nl - line);
		line = nl + 1;
		trim(&key, &klen);
		if (klen == 0 || key[0] == '#')
			continue;
		if ((eq = memchr(key, '=', klen)) == NULL) {
			warnx_("'%s' line %zu: expected 'key = value'", c->conf, lineno);
			return EXIT_INPUT;
		}
		val = eq + 1;
		vlen = klen - (size_t)(val - key);
		klen = (size_t)(eq - key);
		trim(&key, &klen);
		trim(&val, &vlen);
		if (klen == 6 && memcmp(key, "server", 6) == 0) {
			if (vlen == 0 || vlen > CLIENT_URL_MAX) {
				warnx_("'%s' line %zu: the server URL is empty or too long", c->conf, lineno);
				return EXIT_INPUT;
			}
			memcpy(server, val, vlen);
			server[vlen] = '\0';
		} else if (klen == 5 && memcmp(key, "token", 5) == 0) {
			if (!token_is_valid(val, vlen)) {
				warnx_("'%s' line %zu: the session token is malformed: run 'porter login'",
				       c->conf, lineno);
				return EXIT_INPUT;
			}
			memcpy(c->token, val, vlen);
			c->token[vlen] = '\0';
		} else {
			warnx_("'%s' line %zu: unknown key (expected 'server' or 'token')", c->conf, lineno);
			return EXIT_INPUT;
		}
	}
	if (server[0] != '\0' && client_set_server(c, server) != 0)
		return EXIT_INPUT;
	if (c->token[0] != '\0' && c->server[0] == '\0') {
		warnx_("'%s' has a token but no server: run 'porter login --server URL'", c->conf);
		return EXIT_INPUT;
	}
	return 0;
}

int
client_load(struct client *c)
{
	char buf[CONF_SIZE_MAX + 1];
	struct stat st;
	size_t got = 0;
	ssize_t n;
	int fd, rc = EXIT_INPUT;

	if ((rc = client_setup(c)) != 0)
		return rc;
	rc = EXIT_INPUT;
	fd = open(c->conf, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		if (errno == ENOENT) {
			c->loaded = true;
			return 0;
		}
		warnx_("cannot open '%s': %s", c->conf, strerror(errno));
		return EXIT_INPUT;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		warnx_("cannot read '%s': not a regular file", c->conf);
		goto out;
	}
	if ((st.st_mode & 077) != 0) {
		warnx_("session file '%s' can be read by others (mode %04o): chmod 600 it, then run "
		       "'porter logout --everywhere' and sign in again",
		       c->conf, (unsigned)(st.st_mode & 07777));
		goto out;
	}
	if (st.st_uid != geteuid()) {
		warnx_("session file '%s' belongs to another user", c->conf);
		goto out;
	}
	while (got <= CONF_SIZE_MAX) {
		n = read(fd, buf + got, CONF_SIZE_MAX + 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			warnx_("cannot read '%s': %s", c->conf, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	if (got > CONF_SIZE_MAX) {
		warnx_("cannot read '%s': larger than %d bytes", c->conf, CONF_SIZE_MAX);
		goto out;
	}
	if ((rc = conf_parse(c, buf, got)) != 0)
		pt_wipe(c->token, sizeof(c->token));
	else
		c->loaded = true;
out:
	pt_wipe(buf, sizeof(buf));
	close(fd);
	return rc;
}

int
client_set_token(struct client *c, const json_t *v)
{
	if (!json_is_string(v) || !token_is_valid(json_string_value(v), json_string_length(v))) {
		warnx_("the server's answer has no valid session token");
		return EXIT_INPUT;
	}
	memcpy(c->token, json_string_value(v), CLIENT_TOKEN_LEN + 1);
	return 0;
}

int
client_need(const struct client *c, bool need_token)
{
	if (c->server[0] == '\0') {
		warnx_("no server: run 'porter login --server URL --email E' first");
		return EXIT_INPUT;
	}
	if (need_token && c->token[0] == '\0') {
		warnx_("not signed in to '%s': run 'porter login --email E' first", c->server);
		return EXIT_INPUT;
	}
	return 0;
}

/* mkdir -p the directory of path, new directories 0700. */
static int
make_parent(const char *path)
{
	char dir[PATH_MAX];
	size_t n = strlen(path), i;

	while (n > 0 && path[n - 1] != '/')
		n--;
	while (n > 1 && path[n - 1] == '/')
		n--;
	if (n == 0 || n >= sizeof(dir))
		return 0;	/* the working directory, or too long: let the write say */
	memcpy(dir, path, n);
	dir[n] = '\0';
	for (i = 1; i <= n; i++) {
		if (dir[i] != '/' && dir[i] != '\0')
			continue;
		dir[i] = '\0';
		if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
			warnx_("cannot create '%s': %s", dir, strerror(errno));
			return EXIT_INPUT;
		}
		if (i < n)
			dir[i] = '/';
	}
	return 0;
}

int
client_save(const struct client *c)
{
	char buf[CLIENT_URL_MAX + CLIENT_TOKEN_LEN + 256];
	struct pt_errbuf err;
	int n, rc = EXIT_INPUT;

	if (make_parent(c->conf) != 0)
		return EXIT_INPUT;
	n = snprintf(buf, sizeof(buf),
		     "# porter's session with porterd (porter login). Keep it private: mode 0600.\n"
		     "server = %s\n%s%s%s",
		     c->server, c->token[0] != '\0' ? "token = " : "", c->token,
		     c->token[0] != '\0' ? "\n" : "");
	if (n < 0 || (size_t)n >= sizeof(buf)) {
		warnx_("cannot write '%s': too long", c->conf);
		goto out;
	}
	if (pt_file_write(c->conf, (const uint8_t *)buf, (size_t)n, 0600, &err) != PT_OK) {
		warnx_("%s", err.msg);
		goto out;
	}
	rc = 0;
out:
	pt_wipe(buf, sizeof(buf));
	return rc;
}

/* ---- the server's address ---- */

int
client_set_server(struct client *c, const char *url)
{
	CURLU *u = NULL;
	char *part = NULL;
	size_t n = strlen(url), i;
	int rc = EXIT_INPUT;

	for (i = 0; i < n; i++)
		if ((unsigned char)url[i] <= 0x20 || (unsigned char)url[i] >= 0x7f) {
			warnx_("the server URL must be printable ASCII without spaces");
			return EXIT_INPUT;
		}
	if (n == 0 || n > CLIENT_URL_MAX) {
		warnx_("the server URL must be 1 to %d characters", CLIENT_URL_MAX);
		return EXIT_INPUT;
	}
	if ((u = curl_url()) == NULL) {
		warnx_("out of memory");
		return EXIT_INPUT;
	}
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &part, 0) != CURLUE_OK ||
	    (strcmp(part, "http") != 0 && strcmp(part, "https") != 0)) {
		warnx_("'%s' is not an http:// or https:// URL (e.g. https://porter.example.org)", url);
		goto out;
	}
	curl_free(part);
	part = NULL;
	if (curl_url_get(u, CURLUPART_USER, &part, 0) == CURLUE_OK ||
	    curl_url_get(u, CURLUPART_QUERY, &part, 0) == CURLUE_OK ||
	    curl_url_get(u, CURLUPART_FRAGMENT, &part, 0) == CURLUE_OK) {
		warnx_("'%s': give the server's base URL, without a user, query or fragment", url);
		goto out;
	}
	while (n > 0 && url[n - 1] == '/')
		n--;
	memcpy(c->server, url, n);
	c->server[n] = '\0';
	rc = 0;
out:
	curl_free(part);
	curl_url_cleanup(u);
	return rc;
}

static bool
host_is_loopback(const char *host)
{
	struct in_addr a4;
	struct in6_addr a6;
	char h[64];
	size_t n = strlen(host);

	if (strcasecmp(host, "localhost") == 0)
		return true;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (n > 2 && n - 2 < sizeof(h) && host[0] == '[' && host[n - 1] == ']') {
		memcpy(h, host + 1, n - 2);
		h[n - 2] = '\0';
		return inet_pton(AF_INET6, h, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
	}
	return false;
}

/* May a secret go to c->server? https anywhere, plain http to loopback. */
static bool
transport_ok(const struct client *c, const char *what)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL;
	bool ok = false;

	if (u != NULL && curl_url_set(u, CURLUPART_URL, c->server, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
		ok = strcmp(scheme, "https") == 0 || host_is_loopback(host);
		if (!ok)
			warnx_("refusing to send %s to '%s' over plain http, where anyone on the way "
			       "could read it: use an https:// server (plain http is for loopback only)",
			       what, host);
	} else {
		warnx_("'%s' is not a URL", c->server);
	}
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return ok;
}

/* ---- HTTP ---- */

struct body {
	char *p;
	size_t len, cap;
	bool too_big;
};

static size_t
on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct body *b = arg;
	size_t add = size * nmemb, cap;
	char *p;

	if (add > RESPONSE_MAX - b->len) {
		b->too_big = true;
		return 0;
	}
	if (b->len + add + 1 > b->cap) {
		cap = b->cap == 0 ? 4096 : b->cap;
		while (cap < b->len + add + 1)
			cap *= 2;
		if ((p = wrealloc(b->p, cap)) == NULL)
			return 0;
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, add);
	b->len += add;
	b->p[b->len] = '\0';
	return add;
}

struct headers {
	char retry_after[16];
	char request_id[64];
	char location[160];
};

/* If line is "Name: value", copy the value (made safe) into out. */
static void
header_value(const char *line, size_t len, const char *name, char *out, size_t cap)
{
	size_t nl = strlen(name);

	if (len <= nl || strncasecmp(line, name, nl) != 0 || line[nl] != ':')
		return;
	line += nl + 1;
	len -= nl + 1;
	while (len > 0 && (line[0] == ' ' || line[0] == '\t')) {
		line++;
		len--;
	}
	while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == '\n' || line[len - 1] == ' '))
		len--;
	safe_copy(out, cap, line, len);
}

static size_t
on_header(char *data, size_t size, size_t nmemb, void *arg)
{
	struct headers *h = arg;
	size_t len = size * nmemb;

	header_value(data, len, "Retry-After", h->retry_after, sizeof(h->retry_after));
	header_value(data, len, "X-Request-Id", h->request_id, sizeof(h->request_id));
	header_value(data, len, "Location", h->location, sizeof(h->location));
	return len;
}

/* The error line for a non-2xx answer; returns the exit code. */
static int
report_error(struct client *c, long status, const json_t *j, const struct headers *h)
{
	const json_t *e = json_object_get(j, "error");
	char code[sizeof(c->err_code)], msg[256];

	if (status >= 300 && status < 400) {
		warnx_("'%s' answered with a redirect (HTTP %ld%s%s): porter follows none; if the "
		       "server moved, sign in at its new address",
		       c->server, status, h->location[0] != '\0' ? " to " : "", h->location);
		return EXIT_INPUT;
	}
	if (!json_is_string(json_object_get(e, "code"))) {
		warnx_("'%s' answered HTTP %ld without a porter error: is it porterd?", c->server,
		       status);
		return EXIT_INPUT;
	}
	client_text(json_object_get(e, "code"), code, sizeof(code));
	client_text(json_object_get(e, "message"), msg, sizeof(msg));
	if (msg[0] == '\0')
		(void)snprintf(msg, sizeof(msg), "the server refused the request (HTTP %ld)", status);
	memcpy(c->err_code, code, sizeof(c->err_code));
	if (strcmp(code, "rate-limited") == 0 && h->retry_after[0] != '\0')
		(void)snprintf(c->err_line, sizeof(c->err_line), "%s (%s: retry in %s s)", msg, code,
			       h->retry_after);
	else if (status >= 500 && h->request_id[0] != '\0')
		(void)snprintf(c->err_line, sizeof(c->err_line), "%s (%s, request %s)", msg, code,
			       h->request_id);
	else
		(void)snprintf(c->err_line, sizeof(c->err_line), "%s (%s)", msg, code);
	if (!c->quiet)
		warnx_("%s", c->err_line);
	return exit_for_code(code);
}

int
client_call(struct client *c, const char *method, const char *path, json_t *body,
	    unsigned flags, json_t **reply)
{
	char url[CLIENT_URL_MAX + 512], auth[CLIENT_TOKEN_LEN + 32], errbuf[CURL_ERROR_SIZE];
	struct curl_slist *hdrs = NULL, *tmp;
	struct headers h;
	struct body b;
	json_error_t jerr;
	json_t *j = NULL;
	CURL *curl = NULL;
	CURLcode cr;
	char *text = NULL;
	long status = 0;
	int n, rc = EXIT_INPUT;

	*reply = NULL;
	c->err_code[0] = c->err_line[0] = '\0';
	c->quiet = (flags & CALL_QUIET) != 0;
	memset(&b, 0, sizeof(b));
	memset(&h, 0, sizeof(h));
	errbuf[0] = '\0';
	if (client_need(c, (flags & CALL_AUTH) != 0) != 0)
		return EXIT_INPUT;
	if (((flags & CALL_AUTH) && !transport_ok(c, "the session token")) ||
	    ((flags & CALL_SECRET) && !transport_ok(c, "a password")))
		return EXIT_INPUT;
	n = snprintf(url, sizeof(url), "%s%s", c->server, path);
	if (n < 0 || (size_t)n >= sizeof(url)) {
		warnx_("the request URL is too long");
		return EXIT_INPUT;
	}
	if (body != NULL && (text = json_dumps(body, JSON_COMPACT)) == NULL) {
		warnx_("out of memory");
		return EXIT_INPUT;
	}
	if ((curl = curl_easy_init()) == NULL)
		goto oom;
#define ADD_HEADER(s)                                          \
	do {                                                   \
		if ((tmp = curl_slist_append(hdrs, (s))) == NULL) \
			goto oom;                              \
		hdrs = tmp;                                    \
	} while (0)
	ADD_HEADER("Accept: application/json");
	ADD_HEADER("Expect:");
	if (text != NULL)
		ADD_HEADER("Content-Type: application/json");
	if (flags & CALL_AUTH) {
		n = snprintf(auth, sizeof(auth), "Authorization: Bearer %s", c->token);
		if (n < 0 || (size_t)n >= sizeof(auth)) {
			pt_wipe(auth, sizeof(auth));
			goto oom;
		}
		tmp = curl_slist_append(hdrs, auth);	/* copied, and wiped when freed */
		pt_wipe(auth, sizeof(auth));
		if (tmp == NULL)
			goto oom;
		hdrs = tmp;
	}
#undef ADD_HEADER
	if (curl_easy_setopt(curl, CURLOPT_URL, url) != CURLE_OK ||
#if LIBCURL_VERSION_NUM >= 0x075500
	    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK ||
#endif
	    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_TIMEOUT, (long)CLIENT_TIMEOUT_S) != CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, (long)CLIENT_CONNECT_TIMEOUT_S) !=
		    CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf) != CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_USERAGENT, "porter/0.1.0") != CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hdrs) != CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body) != CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &b) != CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header) != CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &h) != CURLE_OK ||
	    (c->cacert != NULL && curl_easy_setopt(curl, CURLOPT_CAINFO, c->cacert) != CURLE_OK))
		goto oom;
	if (strcmp(method, "GET") != 0 &&
	    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method) != CURLE_OK)
		goto oom;
	if (text != NULL &&
	    (curl_easy_setopt(curl, CURLOPT_POSTFIELDS, text) != CURLE_OK ||
	     curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)strlen(text)) != CURLE_OK))
		goto oom;
	if ((cr = curl_easy_perform(curl)) != CURLE_OK) {
		if (b.too_big)
			warnx_("the answer from '%s' is larger than %u bytes", c->server, RESPONSE_MAX);
		else
			warnx_("cannot talk to '%s': %s", c->server,
			       errbuf[0] != '\0' ? errbuf : curl_easy_strerror(cr));
		goto out;
	}
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	if (b.len > 0)
		j = json_loadb(b.p, b.len, JSON_REJECT_DUPLICATES, &jerr);
	if (status >= 200 && status < 300) {
		if (b.len > 0 && j == NULL) {
			warnx_("the answer from '%s' is not JSON (HTTP %ld): is it porterd?", c->server,
			       status);
			goto out;
		}
		*reply = j;
		j = NULL;
		rc = 0;
	} else {
		rc = report_error(c, status, j, &h);
	}
	goto out;
oom:
	warnx_("cannot prepare the request: out of memory");
out:
	json_decref(j);
	curl_slist_free_all(hdrs);
	if (curl != NULL)
		curl_easy_cleanup(curl);
	wfree(text);
	wfree(b.p);
	return rc;
}

/* ---- passwords ---- */

static volatile sig_atomic_t got_signal;

static void
on_signal(int sig)
{
	got_signal = sig;
}

/* One line from fd into pw (CLIENT_PASSWORD_MAX + 1 bytes), without its
 * newline. 0, 1 if too long, -1 on a read error or signal. */
static int
read_line(int fd, char *pw)
{
	size_t n = 0;
	ssize_t r;
	char ch;
	bool too_long = false;

	for (;;) {
		r = read(fd, &ch, 1);
		if (r < 0 && errno == EINTR && got_signal == 0)
			continue;
		if (r < 0)
			return -1;
		if (r == 0 || ch == '\n')
			break;
		if (n < CLIENT_PASSWORD_MAX)
			pw[n++] = ch;
		else
			too_long = true;
	}
	ch = '\0';
	if (n > 0 && pw[n - 1] == '\r')
		n--;
	pw[n] = '\0';
	return too_long ? 1 : 0;
}

/* Ask on the terminal with echo off; 0, 1 (too long), -1 (error), or the
 * signal that interrupted it, re-raised after the terminal is restored. */
static int
ask(int fd, const char *prompt, char *pw)
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGQUIT, SIGHUP, SIGTSTP};
	struct sigaction sa, old[sizeof(sigs) / sizeof(sigs[0])];
	struct termios t, quiet;
	ssize_t w;
	size_t i;
	int r;

	if (tcgetattr(fd, &t) != 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;	/* no SA_RESTART: read returns EINTR */
	sigemptyset(&sa.sa_mask);
	got_signal = 0;
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, &old[i]);
	quiet = t;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK | ECHONL);
	if (write(fd, prompt, strlen(prompt)) < 0 || tcsetattr(fd, TCSAFLUSH, &quiet) != 0) {
		r = -1;
	} else {
		r = read_line(fd, pw);
		(void)tcsetattr(fd, TCSAFLUSH, &t);
		w = write(fd, "\n", 1);	/* the newline the user typed, not echoed */
		(void)w;
	}
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &old[i], NULL);
	if (got_signal != 0) {
		pt_wipe(pw, CLIENT_PASSWORD_MAX + 1);
		raise(got_signal);
		return -1;
	}
	return r;
}

int
client_password(char *pw, bool from_stdin, bool confirm)
{
	char again[CLIENT_PASSWORD_MAX + 1];
	const char *env = getenv("PORTER_PASSWORD");
	size_t n;
	int fd, r, rc = EXIT_INPUT;

	pw[0] = '\0';
	if (from_stdin) {
		if ((r = read_line(STDIN_FILENO, pw)) < 0) {
			warnx_("cannot read the password from stdin: %s", strerror(errno));
			goto out;
		}
	} else if (env != NULL) {
		n = strlen(env);
		r = n > CLIENT_PASSWORD_MAX;
		if (r == 0)
			memcpy(pw, env, n + 1);
	} else {
		if ((fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY)) < 0) {
			warnx_("no terminal to ask for the password: set PORTER_PASSWORD or use "
			       "--password-stdin");
			goto out;
		}
		r = ask(fd, "Password: ", pw);
		if (r == 0 && confirm) {
			r = ask(fd, "Password again: ", again);
			if (r == 0 && (strlen(pw) != strlen(again) ||
				       !pt_ct_equal((const uint8_t *)pw, (const uint8_t *)again,
						    strlen(pw)))) {
				warnx_("the passwords differ");
				r = -2;
			}
		}
		close(fd);
		if (r < 0) {
			if (r == -1)
				warnx_("cannot read the password from the terminal");
			goto out;
		}
	}
	if (r == 1) {
		warnx_("the password is longer than %d bytes", CLIENT_PASSWORD_MAX);
		goto out;
	}
	if (pw[0] == '\0') {
		warnx_("the password is empty");
		goto out;
	}
	rc = 0;
out:
	pt_wipe(again, sizeof(again));
	if (rc != 0)
		pt_wipe(pw, CLIENT_PASSWORD_MAX + 1);
	return rc;
}
