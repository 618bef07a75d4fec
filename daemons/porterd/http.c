/*
 * libmicrohttpd glue: collect the request (bounded), hand it to the API,
 * send the reply. No request logic lives here.
 *
 * The first call of the access handler for a request only sets up its
 * context and returns: answering in that call makes libmicrohttpd 0.9.75
 * close every keep-alive connection (see FACTS).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "jsonout.h"
#include "porter/clip.h"
#include "porter/live.h"
#include "porterd.h"
#include "web.h"

/* docs/web.md: every /app answer, and every API answer. */
#define CSP_APP                                                                                   \
	"default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src"     \
	" 'self' data: blob:; media-src 'self' blob:; connect-src 'self'; manifest-src 'self';"    \
	" base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
#define CSP_API "default-src 'none'; frame-ancestors 'none'"
/* Seconds a camera's live upload may be silent (docs/live.md). */
#define LIVE_UPLOAD_TIMEOUT_S 5

int64_t
now_utc(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec;
}

uint64_t
now_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* a.b.c.d into out (at least 16 bytes), without printf: once per request. */
static void
ipv4_text(const struct in_addr *a, char *out)
{
	const uint8_t *b = (const uint8_t *)&a->s_addr;	/* network order */
	size_t k = 0;
	int i;

	for (i = 0; i < 4; i++) {
		if (b[i] >= 100)
			out[k++] = (char)('0' + b[i] / 100);
		if (b[i] >= 10)
			out[k++] = (char)('0' + b[i] / 10 % 10);
		out[k++] = (char)('0' + b[i] % 10);
		out[k++] = i < 3 ? '.' : '\0';
	}
}

static void
client_addr(struct MHD_Connection *c, char *out, size_t cap, char *rl_out, size_t rl_cap)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci != NULL ? ci->client_addr : NULL;
	struct in6_addr prefix;

	if (sa != NULL && sa->sa_family == AF_INET && cap >= INET_ADDRSTRLEN &&
	    rl_cap >= INET_ADDRSTRLEN) {
		ipv4_text(&((const struct sockaddr_in *)(const void *)sa)->sin_addr, out);
		memcpy(rl_out, out, INET_ADDRSTRLEN);
		return;
	}
	(void)snprintf(out, cap, "unknown");
	(void)snprintf(rl_out, rl_cap, "unknown");
	if (sa != NULL && sa->sa_family == AF_INET6) {
		prefix = ((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
		inet_ntop(AF_INET6, &prefix, out, (socklen_t)cap);
		/* One holder of a /64 has 2^64 addresses: limit the prefix. */
		memset(prefix.s6_addr + 8, 0, 8);
		inet_ntop(AF_INET6, &prefix, rl_out, (socklen_t)rl_cap);
	}
}

enum upload { UP_NONE, UP_SEGMENT, UP_MANIFEST };

/*
 * A camera's upload, by method and exact path: PUT
 * /v1/clips/<32 lowercase hex>/segments/<0..1023, no leading zero> or PUT
 * /v1/clips/<32 hex>/manifest. Anything else is an ordinary request.
 */
static enum upload
upload_kind(const char *url, const char *method)
{
	const char *p;
	size_t i;

	if (strcmp(method, "PUT") != 0 || strncmp(url, "/v1/clips/", 10) != 0)
		return UP_NONE;
	p = url + 10;
	for (i = 0; i < 2 * PT_CLIP_ID_LEN; i++)
		if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f')))
			return UP_NONE;
	p += 2 * PT_CLIP_ID_LEN;
	if (strcmp(p, "/manifest") == 0)
		return UP_MANIFEST;
	if (strncmp(p, "/segments/", 10) != 0)
		return UP_NONE;
	p += 10;
	if (p[0] == '\0' || (p[0] == '0' && p[1] != '\0') || strlen(p) > 4 ||
	    strspn(p, "0123456789") != strlen(p) || strtoul(p, NULL, 10) >= PT_CLIP_SEGMENTS_MAX)
		return UP_NONE;
	return UP_SEGMENT;
}

/*
 * The body limit of a request: [server] max_body, except for the cameras'
 * uploads, whose sealed segments are bigger: [clips] max_segment for a
 * segment, the largest manifest for a manifest. Only an exact upload path
 * and method gets them.
 */
static size_t
max_body(struct server *s, const char *url, const char *method)
{
	enum upload k = upload_kind(url, method);
	size_t n;
	bool fragment = false;

	if (k == UP_MANIFEST)
		return PT_CLIP_MANIFEST_MAX;
	/* A camera's live upload (live.c): a key record or a fragment. */
	if (k == UP_NONE && live_upload_path(url, method, &fragment))
		return fragment ? PT_LIVE_FRAGMENT_MAX : PT_LIVE_KEYREC_MAX;
	pthread_rwlock_rdlock(&s->cfg_lock);
	n = k == UP_SEGMENT ? s->cfg.clips_max_segment : s->cfg.max_body;
	pthread_rwlock_unlock(&s->cfg_lock);
	return n;
}

/* Porter-Camera names an enrolled camera and Porter-Signature is 64 bytes
 * of base64url: checked before a segment body is read. */
static bool
upload_headers_ok(struct server *s, struct MHD_Connection *c)
{
	const char *cam = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Porter-Camera");
	const char *sig = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Porter-Signature");
	uint8_t raw[PT_SIG_LEN];
	struct pt_camera k;

	if (cam == NULL || sig == NULL || strlen(sig) != pt_b64_len(PT_SIG_LEN) ||
	    pt_b64_decode(raw, sizeof(raw), sig, strlen(sig)) != PT_OK ||
	    !pt_id_is_valid(cam, strnlen(cam, PT_ID_MAX + 1)))
		return false;
	return pt_store_camera_by_id(s->st, cam, &k) == PT_OK;
}

/*
 * Request ids correlate log lines; they need to be unique, not secret: a
 * random per-process prefix and a counter, without a system call each.
 */
static void
request_id(struct server *s, char out[17])
{
	static const char hx[] = "0123456789abcdef";
	uint64_t v = s->id_base + atomic_fetch_add(&s->id_next, 1);
	int i;

	for (i = 15; i >= 0; i--) {
		out[i] = hx[v & 15];
		v >>= 4;
	}
	out[16] = '\0';
}

static enum MHD_Result
send_reply(struct MHD_Connection *c, struct request *rq, struct reply *rp)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;
	char small[4096];
	struct jbuf b = {small, 0, sizeof(small), false, false};
	char mbuf[WEB_LOG_FIELD_MAX], pbuf[WEB_LOG_FIELD_MAX];
	uint64_t us;

	if (rp->stream != NULL) {
		/* A live stream (stream.c): it owns itself from here on. */
		json_decref(rp->body);
		rp->body = NULL;
		resp = stream_response(rp->stream, c);
		rp->stream = NULL;
		if (resp == NULL)
			return MHD_NO;
		MHD_add_response_header(resp, "Content-Type", "text/event-stream");
		MHD_add_response_header(resp, "X-Accel-Buffering", "no");
		goto headers;
	}
	if (rp->has_fd) {
		/* A file of the web app (web_open): libmicrohttpd closes fd. */
		json_decref(rp->body);
		rp->body = NULL;
		resp = MHD_create_response_from_fd(rp->fd_len, rp->fd);
		rp->has_fd = false;
		if (resp == NULL) {
			close(rp->fd);
			return MHD_NO;
		}
		MHD_add_response_header(resp, "Content-Type", rp->content_type);
		goto headers;
	}
	if (rp->data != NULL) {
		/* Binary (clip downloads): handed over, libmicrohttpd frees it. */
		json_decref(rp->body);
		rp->body = NULL;
		if (rp->data_free != NULL)	/* lent (live.c): given back by the callback */
			resp = MHD_create_response_from_buffer_with_free_callback_cls(
				rp->data_len, rp->data, rp->data_free, rp->data_cls);
		else
			resp = MHD_create_response_from_buffer(rp->data_len, rp->data,
							       MHD_RESPMEM_MUST_FREE);
		if (resp == NULL) {
			if (rp->data_free != NULL)
				rp->data_free(rp->data_cls);
			else
				free(rp->data);
			rp->data = NULL;
			rp->data_free = NULL;
			return MHD_NO;
		}
		rp->data = NULL;
		rp->data_free = NULL;
		MHD_add_response_header(resp, "Content-Type", rp->content_type != NULL
								     ? rp->content_type
								     : "application/octet-stream");
		goto headers;
	}
	if (rp->body != NULL) {
		if (!jb_dump(&b, rp->body))
			plog(LOG_ERR_, "event=reply_unwritable id=%s status=%d", rq->id, rp->status);
		json_decref(rp->body);
		rp->body = NULL;
	}
	resp = MHD_create_response_from_buffer(b.len, b.p, MHD_RESPMEM_MUST_COPY);
	if (b.heap) {
		pt_wipe(b.p, b.cap);
		free(b.p);
	} else {
		pt_wipe(small, b.len);	/* a session token or CSRF value, maybe */
	}
	if (resp == NULL)
		return MHD_NO;
	if (rp->status != 204 && rp->status != 302)
		MHD_add_response_header(resp, "Content-Type", "application/json");
headers:
	MHD_add_response_header(resp, "X-Request-Id", rq->id);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	if (rp->app) {
		MHD_add_response_header(resp, "Content-Security-Policy", CSP_APP);
		MHD_add_response_header(resp, "X-Frame-Options", "DENY");
		MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
		MHD_add_response_header(resp, "Cross-Origin-Opener-Policy", "same-origin");
		MHD_add_response_header(resp, "Cache-Control", "no-cache");
	} else {
		MHD_add_response_header(resp, "Content-Security-Policy", CSP_API);
		MHD_add_response_header(resp, "Cache-Control", "no-store");
	}
	if (rp->location != NULL)
		MHD_add_response_header(resp, "Location", rp->location);
	if (rp->set_cookie[0] != '\0') {
		MHD_add_response_header(resp, "Set-Cookie", rp->set_cookie);
		pt_wipe(rp->set_cookie, sizeof(rp->set_cookie));
	}
	if (rp->retry_after[0] != '\0')
		MHD_add_response_header(resp, "Retry-After", rp->retry_after);
	if (rp->allow != NULL)
		MHD_add_response_header(resp, "Allow", rp->allow);
	ret = MHD_queue_response(c, (unsigned)rp->status, resp);
	MHD_destroy_response(resp);
	/* milliseconds with one decimal, without floating point */
	us = (now_mono_ns() - rq->started_ns) / 1000u;
	/* The method and the path are the client's (the path decoded, %0A a
	 * line break): escaped, so they cannot forge a line or a field. */
	plog(LOG_INFO_, "event=request id=%s addr=%s method=%s path=\"%s\" status=%d ms=%llu.%llu account=%lld",
	     rq->id, rq->addr, web_log_escape(rq->method, 16, mbuf, sizeof(mbuf)),
	     web_log_escape(rq->path, 100, pbuf, sizeof(pbuf)), rp->status,
	     (unsigned long long)(us / 1000u), (unsigned long long)(us / 100u % 10u),
	     (long long)rq->actor);
	return ret;
}

/* ---- the web app (docs/web.md) ---- */

struct cookie_scan {
	unsigned n;
	const char *value;
};

static enum MHD_Result
on_header(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct cookie_scan *cs = cls;

	(void)kind;
	if (strcasecmp(key, "Cookie") == 0) {
		cs->n++;
		cs->value = value;
	}
	return MHD_YES;
}

/* The headers web sessions and streams use. The cookie is parsed here,
 * once, by web_cookie_session: a malformed one, two of them, or two
 * Cookie headers, is no session. */
static void
web_headers(struct server *s, struct MHD_Connection *c, struct request *rq)
{
	struct cookie_scan cs = {0, NULL};
	int secure;

	rq->csrf = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Porter-CSRF");
	rq->origin = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin");
	rq->host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Host");
	rq->last_event_id = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Last-Event-ID");
	rq->tls = s->cfg.tls_cert[0] != '\0';	/* fixed until a restart */
	pthread_rwlock_rdlock(&s->cfg_lock);
	secure = s->cfg.web_cookie_secure;
	pthread_rwlock_unlock(&s->cfg_lock);
	/* auto: Secure when porterd serves TLS; always: behind a proxy that
	 * does (docs/run.md). The cookie's name follows: only one is read. */
	rq->cookie_secure = secure == WEB_SECURE_ALWAYS || (secure == WEB_SECURE_AUTO && rq->tls);
	rq->cookie[0] = '\0';
	MHD_get_connection_values(c, MHD_HEADER_KIND, on_header, &cs);
	if (cs.n == 1 && cs.value != NULL &&
	    web_cookie_session_named(cs.value, strnlen(cs.value, WEB_COOKIE_HEADER_MAX + 1),
				     rq->cookie_secure ? WEB_COOKIE_NAME_SECURE : WEB_COOKIE_NAME,
				     rq->cookie) != WEB_COOKIE_OK)
		rq->cookie[0] = '\0';
}

static bool
is_app_path(const char *url)
{
	return strcmp(url, "/") == 0 || strcmp(url, "/app") == 0 || strncmp(url, "/app/", 5) == 0;
}

static void
app_fail(struct reply *rp, int status, const char *code, const char *message)
{
	rp->status = status;
	rp->body = json_pack("{s:{s:s,s:s}}", "error", "code", code, "message", message);
}

/*
 * GET / and /app -> 302 /app/; GET /app/ -> index.html; GET /app/<path>:
 * a file under [web] dir, the path checked by web_path_is_valid and the
 * file opened by web_open (no symbolic links, regular, 8 MiB at most),
 * its type from its extension. GET and HEAD only. Every answer carries
 * the app's headers (send_reply).
 */
static void
app_reply(struct server *s, const struct request *rq, struct reply *rp)
{
	char dir[PATH_MAX];
	const char *rel, *type;
	size_t len;
	int r;

	rp->app = true;
	json_wipe_set(false);
	if (strcmp(rq->method, "GET") != 0 && strcmp(rq->method, "HEAD") != 0) {
		rp->allow = "GET, HEAD";
		app_fail(rp, 405, "method-not-allowed", "this method is not allowed here");
		return;
	}
	if (strcmp(rq->path, "/") == 0 || strcmp(rq->path, "/app") == 0) {
		rp->status = 302;
		rp->location = "/app/";
		return;
	}
	rel = rq->path + 5;
	if (rel[0] == '\0')
		rel = "index.html";
	len = strlen(rel);
	if (!web_path_is_valid(rel, len) || (type = web_type(rel, len)) == NULL) {
		app_fail(rp, 404, "not-found", "not found");
		return;
	}
	pthread_rwlock_rdlock(&s->cfg_lock);
	memcpy(dir, s->cfg.web_dir, sizeof(dir));
	pthread_rwlock_unlock(&s->cfg_lock);
	if (dir[0] == '\0') {
		app_fail(rp, 404, "not-found", "this server serves no web app");
		return;
	}
	r = web_open(dir, rel, &rp->fd, &rp->fd_len);
	if (r == WEB_OPEN_ERROR)
		plog(LOG_ERR_, "event=web error=\"cannot open web.dir '%s'\"", dir);
	if (r != WEB_OPEN_OK) {
		app_fail(rp, 404, "not-found", "not found");
		return;
	}
	rp->has_fd = true;
	rp->content_type = type;
	rp->status = 200;
}

static enum MHD_Result
on_query(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct request *rq = cls;
	const char *v = value != NULL ? value : "";

	(void)kind;
	if (strcmp(key, "since") == 0)
		rq->query_since = v;
	else if (strcmp(key, "after") == 0)
		rq->query_after = v;
	else if (strcmp(key, "limit") == 0)
		rq->query_limit = v;
	else if (strcmp(key, "open") == 0)
		rq->query_open = v;
	else if (strcmp(key, "home") == 0)
		rq->query_home = v;
	else if (strcmp(key, "state") == 0)
		rq->query_state = v;
	else if (strcmp(key, "from") == 0)
		rq->query_from = v;
	else if (strcmp(key, "to") == 0)
		rq->query_to = v;
	return MHD_YES;
}

static enum MHD_Result
access_cb(void *cls, struct MHD_Connection *c, const char *url, const char *method,
	  const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	struct server *s = cls;
	struct request *rq = *con_cls;
	struct reply rp;
	const char *cl;
	size_t limit = max_body(s, url, method);

	(void)version;
	if (rq == NULL) {
		if ((rq = calloc(1, sizeof(*rq))) == NULL)
			return MHD_NO;
		request_id(s, rq->id);
		rq->started_ns = now_mono_ns();
		rq->method = method;
		rq->path = url;
		client_addr(c, rq->addr, sizeof(rq->addr), rq->rl_addr, sizeof(rq->rl_addr));
		atomic_fetch_add(&s->inflight, 1);
		*con_cls = rq;
		/*
		 * A declared length over the limit is answered now, before any
		 * of the body is read. libmicrohttpd only takes a response
		 * here or after the whole body, and closes the connection
		 * after this one, which is what an oversized upload deserves.
		 */
		cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
		if (cl != NULL && strtoull(cl, NULL, 10) > limit) {
			rq->too_large = rq->replied = true;
			memset(&rp, 0, sizeof(rp));
			rp.status = 413;
			rp.body = json_pack("{s:{s:s,s:s}}", "error", "code", "too-large", "message",
					    "the body is larger than allowed");
			return send_reply(c, rq, &rp);
		}
		/*
		 * A camera's segment upload of another type, without an
		 * enrolled camera or a well-formed signature header, would be
		 * refused once its body (up to [clips] max_segment) was read:
		 * refuse it now, in the order the API answers (415, then 401).
		 * The signature itself is checked with the body. At most
		 * [clips] max_uploads segment bodies are received at once.
		 */
		if (upload_kind(url, method) == UP_SEGMENT) {
			unsigned cap;
			const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
			memset(&rp, 0, sizeof(rp));
			if (ct == NULL || strncasecmp(ct, "application/octet-stream", 24) != 0 ||
			    (ct[24] != '\0' && ct[24] != ';' && ct[24] != ' ')) {
				rp.status = 415;
				rp.body = json_pack("{s:{s:s,s:s}}", "error", "code",
						    "unsupported-media-type", "message",
						    "send the segment as application/octet-stream");
			} else if (!upload_headers_ok(s, c)) {
				rp.status = 401;
				rp.body = json_pack("{s:{s:s,s:s}}", "error", "code", "unauthenticated",
						    "message", "unknown camera or bad signature");
			} else {
				pthread_rwlock_rdlock(&s->cfg_lock);
				cap = s->cfg.clips_max_uploads;
				pthread_rwlock_unlock(&s->cfg_lock);
				if (atomic_fetch_add(&s->seg_inflight, 1) >= (int)cap) {
					atomic_fetch_sub(&s->seg_inflight, 1);
					rp.status = 503;
					rp.body = json_pack("{s:{s:s,s:s}}", "error", "code",
							    "unavailable", "message",
							    "too many uploads at once; try again");
				} else {
					rq->seg_counted = true;
				}
			}
			if (rp.status != 0) {
				rq->replied = true;
				return send_reply(c, rq, &rp);
			}
		}
		/*
		 * A camera's live fragment (up to PT_LIVE_FRAGMENT_MAX): of
		 * another type, for a session that is not open, from another
		 * camera or without a well-formed signature header, refused
		 * before the body is read; and only so many bodies of one
		 * session at once (live.c). A live upload (key record or
		 * fragment) gets a short time-out: a camera sends at once,
		 * and a trickling body must not hold its slot.
		 */
		{
			bool fragment = false, counted = false;

			if (live_upload_path(url, method, &fragment)) {
				(void)MHD_set_connection_option(c, MHD_CONNECTION_OPTION_TIMEOUT,
								(unsigned int)LIVE_UPLOAD_TIMEOUT_S);
			}
			if (live_upload_path(url, method, &fragment) && fragment) {
				memset(&rp, 0, sizeof(rp));
				if (live_upload_early(s, url,
						      MHD_lookup_connection_value(c, MHD_HEADER_KIND,
										  "Content-Type"),
						      MHD_lookup_connection_value(c, MHD_HEADER_KIND,
										  "Porter-Camera"),
						      MHD_lookup_connection_value(c, MHD_HEADER_KIND,
										  "Porter-Signature"),
						      &rp, &counted, rq->live_up_id)) {
					rq->replied = true;
					return send_reply(c, rq, &rp);
				}
				rq->live_counted = counted;
			}
		}
		return MHD_YES;
	}
	memset(&rp, 0, sizeof(rp));
	if (rq->replied) {
		*upload_size = 0;	/* discard what is still coming */
		return MHD_YES;
	}
	if (*upload_size > 0) {
		if (!rq->too_large && rq->len + *upload_size > limit)
			rq->too_large = true;	/* chunked: discard the rest */
		if (!rq->too_large) {
			if (rq->cap < rq->len + *upload_size + 1) {
				size_t ncap = rq->len + *upload_size + 1;
				char *nb;
				ncap = ncap < 4096 ? 4096 : ncap * 2;
				if (ncap > limit + 1)
					ncap = limit + 1;
				if ((nb = malloc(ncap)) == NULL)
					return MHD_NO;
				if (rq->body != NULL) {
					memcpy(nb, rq->body, rq->len);
					pt_wipe(rq->body, rq->cap);
					free(rq->body);
				}
				rq->body = nb;
				rq->cap = ncap;
			}
			memcpy(rq->body + rq->len, upload, *upload_size);
			rq->len += *upload_size;
		}
		*upload_size = 0;
		return MHD_YES;
	}
	/* A live fragment GET that waited, resumed (live.c): answer it now,
	 * or it waits again. */
	if (rq->live != NULL) {
		live_again(s, rq, &rp);
		if (rp.suspended)
			return MHD_YES;
		return send_reply(c, rq, &rp);
	}
	rq->conn = c;
	rq->content_type = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
	rq->authorization = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
	web_headers(s, c, rq);
	rq->camera = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Porter-Camera");
	rq->signature = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Porter-Signature");
	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, on_query, rq);
	if (rq->too_large) {
		rp.status = 413;
		rp.body = json_pack("{s:{s:s,s:s}}", "error", "code", "too-large", "message",
				    "the body is larger than allowed");
	} else if (is_app_path(url)) {
		app_reply(s, rq, &rp);
	} else {
		api_dispatch(s, rq, &rp);
	}
	if (rp.suspended)
		return MHD_YES;	/* a long poll (live.c): answered once resumed */
	return send_reply(c, rq, &rp);
}

static void
completed_cb(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	struct server *s = cls;
	struct request *rq = *con_cls;

	(void)c;
	(void)toe;
	if (rq == NULL)
		return;
	if (rq->seg_counted)
		atomic_fetch_sub(&s->seg_inflight, 1);
	if (rq->chain_counted)
		ratelimit_chain_done(s->rl, rq->actor);	/* its answer is sent, or dropped */
	if (rq->live_counted)
		live_upload_done(s, rq->live_up_id);
	live_request_done(s, rq);
	if (rq->body != NULL) {
		pt_wipe(rq->body, rq->cap);	/* bodies carry passwords */
		free(rq->body);
	}
	pt_wipe(rq->cookie, sizeof(rq->cookie));	/* a session token */
	free(rq);
	*con_cls = NULL;
	atomic_fetch_sub(&s->inflight, 1);
}

/*
 * The URL's %XX escapes, decoded in place as libmicrohttpd would, but for
 * %00: a NUL would cut the path short of what was asked ("/app/a.js%00.html"
 * read as "/app/a.js"), so it stays "%00", which no route or file name
 * accepts.
 */
static size_t
unescape(void *cls, struct MHD_Connection *c, char *s)
{
	(void)cls;
	(void)c;
	return web_unescape(s);	/* %00 stays: web.h */
}

static int
parse_listen(const char *listen, struct sockaddr_storage *ss, socklen_t *len, struct pt_errbuf *err)
{
	if (config_parse_listen(listen, ss, len) == 0)
		return 0;
	(void)snprintf(err->msg, sizeof(err->msg),
		       "server.listen '%s' is not address:port (numeric, e.g. 127.0.0.1:8480)", listen);
	return -1;
}

/* libmicrohttpd's own messages, as porterd log lines. */
__attribute__((format(printf, 2, 0))) static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[256], esc[4 * 256];
	size_t n;

	(void)cls;
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '.'))
		msg[--n] = '\0';
	plog(LOG_WARN_, "event=http msg=\"%s\"", web_log_escape(msg, n, esc, sizeof(esc)));
}

static char *
read_pem(const char *path, struct pt_errbuf *err)
{
	uint8_t *buf = NULL;
	size_t len;
	char *s;

	if (pt_file_read(path, 1 << 20, &buf, &len, err) != PT_OK)
		return NULL;
	if ((s = realloc(buf, len + 1)) == NULL) {
		free(buf);
		return NULL;
	}
	s[len] = '\0';
	return s;
}

/*
 * Each connection's memory for the request line, headers, body chunks and
 * the reply's headers. libmicrohttpd 0.9.75 zeroes the whole of it (and
 * half of it again) between requests on a keep-alive connection: with its
 * default of 32 KiB that was the largest single cost of a cached read
 * (docs/performance.md). 16 KiB still takes request headers up to about
 * 15 KiB (431 beyond); bodies arrive in smaller chunks, collected by
 * access_cb up to max_body as before.
 */
#define POOL_SIZE (16u * 1024u)

struct MHD_Daemon *
http_start(struct server *s, uint16_t *port, struct pt_errbuf *err)
{
	struct sockaddr_storage ss;
	const union MHD_DaemonInfo *di;
	struct MHD_Daemon *d;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC |
			 MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME;
	char *cert = NULL, *key = NULL;
	socklen_t sl;

	if (parse_listen(s->cfg.listen, &ss, &sl, err) != 0)
		return NULL;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	if (s->cfg.tls_cert[0] != '\0') {
		if ((cert = read_pem(s->cfg.tls_cert, err)) == NULL ||
		    (key = read_pem(s->cfg.tls_key, err)) == NULL) {
			free(cert);
			return NULL;
		}
		flags |= MHD_USE_TLS;
	}
	/* The live streams' watcher (stream.c) and the live view table with
	 * its reaper (live.c), before any request. */
	if (live_start(s) != 0) {
		(void)snprintf(err->msg, sizeof(err->msg), "cannot start the live view reaper");
		if (key != NULL) {
			pt_wipe(key, strlen(key));
			free(key);
		}
		free(cert);
		return NULL;
	}
	if (streams_start(s) != 0) {
		live_stop(s);
		(void)snprintf(err->msg, sizeof(err->msg), "cannot start the stream watcher");
		if (key != NULL) {
			pt_wipe(key, strlen(key));
			free(key);
		}
		free(cert);
		return NULL;
	}
	/* The logger first: libmicrohttpd 0.9.75 warns otherwise, and would
	 * report problems with the options before it on its own stderr. */
	if (cert != NULL)
		d = MHD_start_daemon(flags, 0, NULL, NULL, access_cb, s,
				     MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
				     MHD_OPTION_SOCK_ADDR, &ss,
				     MHD_OPTION_THREAD_POOL_SIZE, s->cfg.threads,
				     MHD_OPTION_NOTIFY_COMPLETED, completed_cb, s,
				     MHD_OPTION_CONNECTION_TIMEOUT, 30u,
				     MHD_OPTION_CONNECTION_LIMIT, 1000u,
				     MHD_OPTION_PER_IP_CONNECTION_LIMIT, s->cfg.per_ip_connections,
				     MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)POOL_SIZE,
				     MHD_OPTION_UNESCAPE_CALLBACK, unescape, NULL,
				     MHD_OPTION_HTTPS_MEM_CERT, cert, MHD_OPTION_HTTPS_MEM_KEY, key,
				     MHD_OPTION_END);
	else
		d = MHD_start_daemon(flags, 0, NULL, NULL, access_cb, s,
				     MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
				     MHD_OPTION_SOCK_ADDR, &ss,
				     MHD_OPTION_THREAD_POOL_SIZE, s->cfg.threads,
				     MHD_OPTION_NOTIFY_COMPLETED, completed_cb, s,
				     MHD_OPTION_CONNECTION_TIMEOUT, 30u,
				     MHD_OPTION_CONNECTION_LIMIT, 1000u,
				     MHD_OPTION_PER_IP_CONNECTION_LIMIT, s->cfg.per_ip_connections,
				     MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)POOL_SIZE,
				     MHD_OPTION_UNESCAPE_CALLBACK, unescape, NULL,
				     MHD_OPTION_END);
	if (key != NULL) {
		pt_wipe(key, strlen(key));
		free(key);
	}
	free(cert);
	if (d == NULL) {
		(void)snprintf(err->msg, sizeof(err->msg), "cannot listen on '%s'", s->cfg.listen);
		/* streams_free: main.c's, once the MQTT thread (which calls
		 * stream_notify) has stopped. */
		streams_stop(s);
		live_stop(s);
		return NULL;
	}
	di = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	*port = di != NULL ? di->port : 0;
	return d;
}

void
http_stop(struct server *s, struct MHD_Daemon *d)
{
	uint64_t deadline = now_mono_ns() + 10ull * 1000000000u;
	struct timespec pause = {0, 20 * 1000000};

	/* Stop accepting; end the live streams (libmicrohttpd must find none
	 * suspended); let requests in flight finish (10 s at most). */
	(void)MHD_quiesce_daemon(d);
	streams_stop(s);
	live_stop(s);	/* every long poll resumed; none suspends after this */
	while (atomic_load(&s->inflight) > 0 && now_mono_ns() < deadline)
		nanosleep(&pause, NULL);
	MHD_stop_daemon(d);
	/* The registry stays (stopped) until main.c's streams_free, after
	 * mqtt_stop: the MQTT thread may call stream_notify until then. */
}
