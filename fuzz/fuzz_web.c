/*
 * libFuzzer target for porterd's web app parsers (daemons/porterd/web.c,
 * compiled in; docs/web.md): the session cookie out of a Cookie header
 * (web_cookie_session), the path of a static file (web_path_is_valid) and
 * its type (web_type), as porterd runs them on what a browser sends.
 *
 * The first byte picks what the rest is: 'C' a Cookie header, 'P' a path
 * after "/app/", 'U' a URL to unescape (web_unescape) and log
 * (web_log_escape), anything else all of them.
 *
 * Properties checked (a break is __builtin_trap()):
 *   - the cookie parser answers NONE, OK or BAD; OK gives exactly 43
 *     base64url characters that follow "porter_session=" (or its quote)
 *     in the input, once; otherwise the output is "";
 *   - a header without "porter_session" is NONE, one longer than the
 *     limit is BAD;
 *   - the path validator agrees with a reference written from the
 *     contract: 1..200 bytes of A-Z a-z 0-9 . _ - /, segments split on
 *     "/" none empty and none starting with "."; so an accepted path has
 *     no "." or ".." segment, no "//", no "/" at either end;
 *   - a type is given only to a name ending in ".<one of the ten
 *     extensions>";
 *   - web_unescape agrees with a reference decoder (every %XX but %00
 *     decoded, nothing else touched), never grows the string and never
 *     writes a NUL inside it;
 *   - web_log_escape's output is NUL-terminated within its buffer, holds
 *     no byte below 0x20, no 0x7f and no '"', every '\\' starts a \xHH
 *     escape, and read back it is a prefix of the input (all of it unless
 *     it ends with "...").
 *
 * Seed corpus: fuzz/corpus/web/.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "web.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x) do { if (!(x)) __builtin_trap(); } while (0)

static bool
b64c(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_';
}

static const char *
find(const char *h, size_t hl, const char *n, size_t nl, size_t from)
{
	size_t i;

	for (i = from; nl <= hl && i <= hl - nl; i++)
		if (memcmp(h + i, n, nl) == 0)
			return h + i;
	return NULL;
}

static void
cookie(const char *p, size_t len)
{
	char out[WEB_TOKEN_TEXT_LEN + 1];
	const char *at;
	size_t i;
	int r;

	/* the __Host- name ([web] cookie_secure): only that name counts */
	memset(out, 'x', sizeof(out));
	r = web_cookie_session_named(p, len, WEB_COOKIE_NAME_SECURE, out);
	CHECK(r == WEB_COOKIE_NONE || r == WEB_COOKIE_OK || r == WEB_COOKIE_BAD);
	if (find(p, len, WEB_COOKIE_NAME_SECURE, sizeof(WEB_COOKIE_NAME_SECURE) - 1, 0) == NULL)
		CHECK(r == WEB_COOKIE_NONE && out[0] == '\0');
	if (r == WEB_COOKIE_OK)
		CHECK(strlen(out) == WEB_TOKEN_TEXT_LEN);
	else
		CHECK(out[0] == '\0');

	memset(out, 'x', sizeof(out));
	r = web_cookie_session(p, len, out);
	CHECK(r == WEB_COOKIE_NONE || r == WEB_COOKIE_OK || r == WEB_COOKIE_BAD);
	if (len > WEB_COOKIE_HEADER_MAX)
		CHECK(r == WEB_COOKIE_BAD);
	if (find(p, len, "porter_session", 14, 0) == NULL)
		CHECK(r == WEB_COOKIE_NONE);
	if (r != WEB_COOKIE_OK) {
		CHECK(out[0] == '\0');
		return;
	}
	CHECK(strlen(out) == WEB_TOKEN_TEXT_LEN);
	for (i = 0; i < WEB_TOKEN_TEXT_LEN; i++)
		CHECK(b64c(out[i]));
	/* it came from the input, after the name and "=" (or "=\"") */
	for (at = find(p, len, "porter_session=", 15, 0); at != NULL;
	     at = find(p, len, "porter_session=", 15, (size_t)(at - p) + 1)) {
		size_t off = (size_t)(at - p) + 15;
		if (off < len && p[off] == '"')
			off++;
		if (off + WEB_TOKEN_TEXT_LEN <= len && memcmp(p + off, out, WEB_TOKEN_TEXT_LEN) == 0)
			return;
	}
	CHECK(0);
}

/* The contract, written again without looking at web.c's loop. */
static bool
path_reference(const char *p, size_t len)
{
	size_t i, seg = 0;

	if (len < 1 || len > 200)
		return false;
	for (i = 0; i < len; i++)
		if (strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-/", p[i]) ==
			    NULL ||
		    p[i] == '\0')
			return false;
	for (i = 0; i <= len; i++) {
		if (i == len || p[i] == '/') {
			if (i == seg || p[seg] == '.')
				return false;
			seg = i + 1;
		}
	}
	return true;
}

static void
path(const char *p, size_t len)
{
	static const char *const exts[] = {".html", ".js", ".mjs", ".css", ".svg", ".png",
					   ".ico", ".json", ".wasm", ".webmanifest"};
	bool ok = web_path_is_valid(p, len), typed = false;
	const char *t = web_type(p, len);
	size_t i;

	CHECK(ok == path_reference(p, len));
	if (ok) {
		/* no segment is "." or ".." (none starts with "."), none empty */
		CHECK(p[0] != '.' && find(p, len, "/.", 2, 0) == NULL);
		CHECK(find(p, len, "//", 2, 0) == NULL && p[0] != '/' && p[len - 1] != '/');
	}
	for (i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
		size_t el = strlen(exts[i]);
		if (len >= el && memcmp(p + len - el, exts[i], el) == 0)
			typed = true;
	}
	CHECK((t != NULL) == typed);
}

static int
hexv(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static void
url(const char *p, size_t len)
{
	char *s, *ref, esc[WEB_LOG_FIELD_MAX], small[9];
	size_t i, o = 0, n, sl, max;

	/* a C string: up to the first NUL, as libmicrohttpd hands it over */
	sl = strnlen(p, len);
	if ((s = malloc(sl + 1)) == NULL || (ref = malloc(sl + 1)) == NULL) {
		free(s);
		return;
	}
	memcpy(s, p, sl);
	s[sl] = '\0';
	for (i = 0; i < sl;) {
		if (s[i] == '%' && hexv(s[i + 1]) >= 0 && hexv(s[i + 2]) >= 0 &&
		    !(s[i + 1] == '0' && s[i + 2] == '0')) {
			ref[o++] = (char)(hexv(s[i + 1]) << 4 | hexv(s[i + 2]));
			i += 3;
		} else {
			ref[o++] = s[i++];
		}
	}
	n = web_unescape(s);
	CHECK(n == o && n <= sl && s[n] == '\0' && memcmp(s, ref, n) == 0);
	CHECK(strlen(s) == n);

	/* the decoded bytes, logged: a big buffer and a small one */
	max = 100;
	web_log_escape(s, max, esc, sizeof(esc));
	{
		char *e = esc, back[128];
		size_t b = 0, elen = strnlen(esc, sizeof(esc));

		CHECK(elen < sizeof(esc));
		for (i = 0; i < elen && b < sizeof(back); b++) {
			unsigned char c = (unsigned char)e[i];

			CHECK(c >= 0x20 && c != 0x7f && c != '"');
			if (c == '\\') {
				CHECK(i + 3 < elen && e[i + 1] == 'x' && hexv(e[i + 2]) >= 0 &&
				      hexv(e[i + 3]) >= 0);
				back[b] = (char)(hexv(e[i + 2]) << 4 | hexv(e[i + 3]));
				i += 4;
			} else if (c == '.' && elen - i == 3 && memcmp(e + i, "...", 3) == 0 && n > b) {
				break;	/* cut short: the rest was not logged */
			} else {
				back[b] = (char)c;
				i++;
			}
		}
		CHECK(b <= n && memcmp(back, s, b) == 0);
		if (i == elen)	/* not cut: all of it, up to max */
			CHECK(b == (n < max ? n : max) || (n > max && b <= max));
	}
	web_log_escape(s, n, small, sizeof(small));
	CHECK(strnlen(small, sizeof(small)) < sizeof(small));
	for (i = 0; small[i] != '\0'; i++)
		CHECK((unsigned char)small[i] >= 0x20 && small[i] != 0x7f && small[i] != '"');
	free(s);
	free(ref);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data + 1;
	char *copy;

	if (size < 1)
		return 0;
	/* a copy of exactly the input, so ASan sees any read past it */
	if ((copy = malloc(size - 1 > 0 ? size - 1 : 1)) == NULL)
		return 0;
	memcpy(copy, p, size - 1);
	if (data[0] == 'C') {
		cookie(copy, size - 1);
	} else if (data[0] == 'P') {
		path(copy, size - 1);
	} else if (data[0] == 'U') {
		url(copy, size - 1);
	} else {
		cookie(copy, size - 1);
		path(copy, size - 1);
		url(copy, size - 1);
	}
	free(copy);
	return 0;
}
