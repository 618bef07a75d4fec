/*
 * porterd's web app, its pure parts (web.c, docs/web.md): no libmicrohttpd,
 * no server state, so the fuzz target (fuzz/fuzz_web.c) calls them as
 * porterd does. Thread-safe: no state at all.
 */
#ifndef PORTERD_WEB_H
#define PORTERD_WEB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WEB_TOKEN_TEXT_LEN 43		/* a 32-byte session token, base64url */
#define WEB_COOKIE_HEADER_MAX 8192	/* longer Cookie headers are no session */
#define WEB_PATH_MAX 200		/* bytes after "/app/" */
#define WEB_FILE_MAX (8u * 1024u * 1024u)

enum { WEB_COOKIE_NONE = 0, WEB_COOKIE_OK = 1, WEB_COOKIE_BAD = -1 };
enum { WEB_SECURE_AUTO = 0, WEB_SECURE_ALWAYS = 1, WEB_SECURE_NEVER = 2 };

/* The session cookie's names: plain, and with Secure ([web] cookie_secure)
 * the __Host- one (Path=/, no Domain, Secure: a browser takes it only from
 * an https origin and no subdomain can set it). Only one is accepted. */
#define WEB_COOKIE_NAME "porter_session"
#define WEB_COOKIE_NAME_SECURE "__Host-porter_session"

/*
 * The porter_session cookie of a Cookie header (h, len bytes, not
 * necessarily NUL-terminated). WEB_COOKIE_OK: out holds its 43 base64url
 * characters (NUL-terminated); WEB_COOKIE_NONE: there is none;
 * WEB_COOKIE_BAD: there are two, or its value is not exactly 43 base64url
 * characters, or the header is longer than WEB_COOKIE_HEADER_MAX. out is ""
 * unless OK. Whether the 43 characters decode is the caller's check.
 */
int web_cookie_session(const char *h, size_t len, char out[WEB_TOKEN_TEXT_LEN + 1]);
/* The same for the cookie named name (WEB_COOKIE_NAME or _SECURE). */
int web_cookie_session_named(const char *h, size_t len, const char *name,
			     char out[WEB_TOKEN_TEXT_LEN + 1]);

/* p (len bytes: what follows "/app/") names a file the app may serve:
 * A-Z a-z 0-9 . _ - and "/", no empty segment, no segment starting with
 * ".", 1..WEB_PATH_MAX bytes. */
bool web_path_is_valid(const char *p, size_t len);

/* The Content-Type for the extension of p (len bytes), NULL if the app
 * serves no file of that type. */
const char *web_type(const char *p, size_t len);

/*
 * The URL's %XX escapes of s, decoded in place (libmicrohttpd's unescape
 * callback): but for %00, which stays "%00" (a NUL would cut a path short
 * of what was asked, "/app/a.js%00.html" read as "/app/a.js"). Returns the
 * new length; s stays NUL-terminated and never grows.
 */
size_t web_unescape(char *s);

/*
 * s (NUL-terminated, what a client sent: a path, a method, a header) as a
 * log field may hold it: bytes below 0x20, 0x7f, '"' and '\\' become
 * \xHH, so no line break or quote of a client's forges a log line or a
 * field. At most max bytes of s are read; out (outsz > 0) is always
 * NUL-terminated, an escape never cut in half, and ends with "..." when s
 * did not fit. Returns out.
 */
#define WEB_LOG_FIELD_MAX 420		/* 100 bytes escaped, "..." and NUL */
const char *web_log_escape(const char *s, size_t max, char *out, size_t outsz);

enum { WEB_OPEN_OK = 0, WEB_OPEN_NOTFOUND = -1, WEB_OPEN_TOOBIG = -2, WEB_OPEN_ERROR = -3 };

/*
 * Open dir/rel (rel valid by web_path_is_valid, NUL-terminated) for
 * reading without following a symbolic link anywhere below dir: a regular
 * file of at most WEB_FILE_MAX bytes. WEB_OPEN_OK: *fd (the caller closes
 * it) and *size; else *fd is -1. WEB_OPEN_ERROR: dir cannot be opened.
 */
int web_open(const char *dir, const char *rel, int *fd, size_t *size);

#endif
