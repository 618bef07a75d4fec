/*
 * The web app's pure parts (docs/web.md): the session cookie out of a
 * Cookie header, the path of a static file under [web] dir, its type, and
 * opening it without following a symbolic link. No libmicrohttpd and no
 * server state here, so fuzz/fuzz_web.c runs the parsers as they are.
 */
#include <errno.h>
#include <ctype.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "web.h"

static bool
is_b64url_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_';
}

/*
 * RFC 6265 cookie-string: cookie-pair *( ";" SP cookie-pair ), read
 * leniently about the spaces around pairs (browsers differ) and strictly
 * about everything else. Each pair is name=value; a pair without "=" is
 * skipped as browsers do. One porter_session pair, whose value is exactly
 * WEB_TOKEN_TEXT_LEN base64url characters, is the session.
 */
int
web_cookie_session(const char *h, size_t len, char out[WEB_TOKEN_TEXT_LEN + 1])
{
	return web_cookie_session_named(h, len, WEB_COOKIE_NAME, out);
}

int
web_cookie_session_named(const char *h, size_t len, const char *name,
			 char out[WEB_TOKEN_TEXT_LEN + 1])
{
	const size_t nlen = strlen(name);
	size_t i = 0, found = 0;
	int r = WEB_COOKIE_NONE;

	out[0] = '\0';
	if (h == NULL)
		return WEB_COOKIE_NONE;
	if (len > WEB_COOKIE_HEADER_MAX)
		return WEB_COOKIE_BAD;
	while (i < len) {
		size_t start, end, eq, vs, vl, k;

		while (i < len && (h[i] == ' ' || h[i] == '\t'))
			i++;
		start = i;
		while (i < len && h[i] != ';')
			i++;
		end = i;
		if (i < len)
			i++;	/* the ';' */
		while (end > start && (h[end - 1] == ' ' || h[end - 1] == '\t'))
			end--;
		if (end == start)
			continue;
		for (eq = start; eq < end && h[eq] != '='; eq++)
			;
		if (eq == end)
			continue;	/* not name=value */
		if (eq - start != nlen || memcmp(h + start, name, nlen) != 0)
			continue;
		if (++found > 1) {
			r = WEB_COOKIE_BAD;	/* two sessions: neither */
			break;
		}
		vs = eq + 1;
		vl = end - vs;
		/* RFC 6265 allows a value in double quotes */
		if (vl >= 2 && h[vs] == '"' && h[end - 1] == '"') {
			vs++;
			vl -= 2;
		}
		if (vl != WEB_TOKEN_TEXT_LEN) {
			r = WEB_COOKIE_BAD;
			continue;
		}
		for (k = 0; k < vl; k++)
			if (!is_b64url_char(h[vs + k]))
				break;
		if (k != vl) {
			r = WEB_COOKIE_BAD;
			continue;
		}
		memcpy(out, h + vs, vl);
		out[vl] = '\0';
		r = WEB_COOKIE_OK;
	}
	if (r != WEB_COOKIE_OK)
		out[0] = '\0';
	return r;
}

/*
 * The part of an /app/ path after "/app/": characters A-Z a-z 0-9 . _ - /,
 * segments separated by one "/", none empty and none starting with "."
 * (no "..", no hidden files), 1..WEB_PATH_MAX bytes.
 */
bool
web_path_is_valid(const char *p, size_t len)
{
	size_t i;
	bool seg_start = true;

	if (p == NULL || len == 0 || len > WEB_PATH_MAX)
		return false;
	for (i = 0; i < len; i++) {
		char c = p[i];

		if (c == '/') {
			if (seg_start)
				return false;	/* an empty segment */
			seg_start = true;
			continue;
		}
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return false;
		if (seg_start && c == '.')
			return false;
		seg_start = false;
	}
	return !seg_start;	/* no trailing "/" */
}

static const struct {
	const char *ext, *type;
} types[] = {
	{"html", "text/html; charset=utf-8"},
	{"js", "text/javascript; charset=utf-8"},
	{"mjs", "text/javascript; charset=utf-8"},
	{"css", "text/css; charset=utf-8"},
	{"svg", "image/svg+xml"},
	{"png", "image/png"},
	{"ico", "image/x-icon"},
	{"json", "application/json"},
	{"wasm", "application/wasm"},
	{"webmanifest", "application/manifest+json"},
};

const char *
web_type(const char *p, size_t len)
{
	size_t i, dot, elen;

	for (dot = len; dot > 0 && p[dot - 1] != '.' && p[dot - 1] != '/'; dot--)
		;
	if (dot == 0 || p[dot - 1] != '.')
		return NULL;
	elen = len - dot;
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strlen(types[i].ext) == elen && memcmp(types[i].ext, p + dot, elen) == 0)
			return types[i].type;
	return NULL;
}

/*
 * Walk rel (valid by web_path_is_valid) from dir one segment at a time,
 * each opened with O_NOFOLLOW: a symbolic link anywhere on the way is
 * ENOENT-like (ELOOP, ENOTDIR), so nothing outside dir is reached.
 */
int
web_open(const char *dir, const char *rel, int *fd_out, size_t *size_out)
{
	char seg[WEB_PATH_MAX + 1];
	const char *p = rel, *slash;
	struct stat st;
	int dfd, fd, r = WEB_OPEN_NOTFOUND;

	*fd_out = -1;
	*size_out = 0;
	if (dir == NULL || dir[0] == '\0' || !web_path_is_valid(rel, strlen(rel)))
		return WEB_OPEN_NOTFOUND;
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return WEB_OPEN_ERROR;
	while ((slash = strchr(p, '/')) != NULL) {
		size_t n = (size_t)(slash - p);

		memcpy(seg, p, n);
		seg[n] = '\0';
		fd = openat(dfd, seg, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(dfd);
		if (fd < 0)
			return WEB_OPEN_NOTFOUND;
		dfd = fd;
		p = slash + 1;
	}
	fd = openat(dfd, p, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	close(dfd);
	if (fd < 0)
		return WEB_OPEN_NOTFOUND;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		r = WEB_OPEN_NOTFOUND;
		goto fail;
	}
	if (st.st_size < 0 || (uint64_t)st.st_size > WEB_FILE_MAX) {
		r = WEB_OPEN_TOOBIG;
		goto fail;
	}
	*fd_out = fd;
	*size_out = (size_t)st.st_size;
	return WEB_OPEN_OK;
fail:
	close(fd);
	return r;
}

size_t
web_unescape(char *s)
{
	static const char hex[] = "0123456789abcdef";
	char *r = s, *w = s;

	while (*r != '\0') {
		if (r[0] == '%' && isxdigit((unsigned char)r[1]) && isxdigit((unsigned char)r[2]) &&
		    !(r[1] == '0' && r[2] == '0')) {
			unsigned hi = (unsigned)(strchr(hex, tolower((unsigned char)r[1])) - hex);
			unsigned lo = (unsigned)(strchr(hex, tolower((unsigned char)r[2])) - hex);

			*w++ = (char)(hi << 4 | lo);
			r += 3;
		} else {
			*w++ = *r++;
		}
	}
	*w = '\0';
	return (size_t)(w - s);
}

const char *
web_log_escape(const char *s, size_t max, char *out, size_t outsz)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, o = 0;

	if (outsz == 0)
		return out;
	if (s == NULL)
		s = "";
	for (i = 0; i < max && s[i] != '\0'; i++) {
		unsigned char c = (unsigned char)s[i];
		size_t need = c < 0x20 || c == 0x7f || c == '"' || c == '\\' ? 4 : 1;

		/* room for this, "..." and the NUL */
		if (o + need + 4 > outsz)
			break;
		if (need == 4) {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		} else {
			out[o++] = (char)c;
		}
	}
	if (s[i] != '\0') {
		/* cut short: mark it, if there is room */
		if (o + 4 <= outsz) {
			memcpy(out + o, "...", 3);
			o += 3;
		}
	}
	out[o] = '\0';
	return out;
}
