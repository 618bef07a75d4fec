/*
 * porter-cam's uploader (docs/cam.md, "Upload"): a process of its own,
 * exec'd afresh by the monitor, so neither the camera key nor the clip
 * keys are in the address space that talks HTTP, and a slow or dead
 * server never delays a health message (the monitor does not wait on it).
 *
 * It walks the spool (clips.c writes it), every clip directory, the
 * newest clip first (the one being recorded is never held up by older
 * ones): for each, first the key record (written at START),
 *
 *   PUT {server}/v1/clips/{clip hex}/key
 *       Porter-Camera: <camera id>
 *       Content-Type: application/cbor   body: the signed key record
 *
 * then the sealed segments in index order,
 *
 *   PUT {server}/v1/clips/{clip hex}/segments/{n}
 *       Porter-Camera: <camera id>
 *       Porter-Signature: <base64url of the segment signature>
 *       body: the sealed segment
 *
 * and once no segment is left and the manifest is there,
 *
 *   PUT {server}/v1/clips/{clip hex}/manifest   body: the signed manifest
 *
 * One file is sent at a time, then the spool is looked at again, so a new
 * segment of the clip being recorded goes next.
 *
 * A file is deleted only after a 2xx answer that shows porterd stored it:
 * its "clip" is this clip, and its "size" and "sha256" are those of the
 * bytes sent (a segment, the key record, the manifest). Other answers:
 *   - no answer, 5xx, 507 (quota), 429, another 4xx, a 2xx that does not
 *     show the file stored: the file stays, and this clip (only this one)
 *     waits 1 s, doubling up to 60 s (the newest clip at most 4 s);
 *   - 401, 403 (perhaps the camera is not enrolled yet): this clip waits
 *     60 s each time;
 *   - 400, 404, 409, 413 (a retry cannot change the answer): the clip's
 *     directory moves to spool/refused/ with a log line and the status
 *     beside it (refused/<clip>/status): the evidence is kept, and no
 *     longer sent; porter-cam refused lists these, porter-cam requeue
 *     moves one back into the spool (upload_refused_list, upload_requeue).
 * PUT is idempotent (the same bytes at the same place), so a crash between
 * the answer and the delete only sends a file twice; a restart picks up
 * whatever the spool holds.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>

#include "porter/clip.h"
#include "porter/crypto.h"
#include "porter/keyfile.h"
#include "porter/text.h"
#include "cam.h"
#include "clips.h"

#define BACKOFF_MIN_MS 1000u
#define BACKOFF_MAX_MS 60000u
#define BACKOFF_NEWEST_MAX_MS 4000u	/* the clip perhaps being recorded */
#define IDLE_SCAN_MS 500u
#define ANSWER_MAX 4096u

/* What one PUT came to. */
enum put_result {
	PUT_STORED,	/* 2xx, and the answer shows it stored */
	PUT_RETRY,	/* no answer, 5xx, 507, another 4xx, an answer that does not show it */
	PUT_SLOW,	/* 401, 403: retry this clip once a minute */
	PUT_REFUSED,	/* 400, 404, 409, 413: never accepted as it is */
};

/* One clip directory's state, kept across passes. */
struct clipst {
	char hex[2 * PT_CLIP_ID_LEN + 1];
	int64_t age;		/* newest file's mtime (ns) when first seen: the order */
	uint64_t next_ms;	/* not before (CLOCK_MONOTONIC) */
	uint32_t backoff_ms;
	long refused;		/* refused for good with this status; moved once complete */
	bool seen;		/* in the spool at the last scan */
};

struct answer {
	char b[ANSWER_MAX + 1];
	size_t n;
};

static volatile sig_atomic_t stopping;

static void
on_term(int sig)
{
	(void)sig;
	stopping = 1;
}

static void
sleep_ms(uint64_t ms)
{
	struct timespec t = {(time_t)(ms / 1000u), (long)(ms % 1000u) * 1000000L};

	while (!stopping && nanosleep(&t, &t) != 0 && errno == EINTR)
		continue;
}

static uint32_t
get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t
now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000u + (uint64_t)t.tv_nsec / 1000000u;
}

/* The answer's first ANSWER_MAX bytes; the rest is dropped. */
static size_t
keep(char *p, size_t size, size_t n, void *arg)
{
	struct answer *a = arg;
	size_t len = size * n, room = ANSWER_MAX - a->n;

	if (len < room)
		room = len;
	memcpy(a->b + a->n, p, room);
	a->n += room;
	a->b[a->n] = '\0';
	return len;
}

/* The value of "key" in a JSON object (porterd's answer): a string into
 * out (at most cap - 1 characters) or a number's digits. Not a JSON
 * parser: enough to read the fields porterd writes. */
static bool
answer_field(const struct answer *a, const char *key, char *out, size_t cap)
{
	char pat[32];
	const char *p;
	size_t n = 0;

	(void)snprintf(pat, sizeof(pat), "\"%s\"", key);
	if ((p = strstr(a->b, pat)) == NULL)
		return false;
	p += strlen(pat);
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	if (*p++ != ':')
		return false;
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	if (*p == '"') {
		for (p++; *p != '\0' && *p != '"' && *p != '\\'; p++) {
			if (n + 1 >= cap)
				return false;
			out[n++] = *p;
		}
		if (*p != '"')
			return false;
	} else {
		for (; *p >= '0' && *p <= '9'; p++) {
			if (n + 1 >= cap)
				return false;
			out[n++] = *p;
		}
		if (n == 0)
			return false;
	}
	out[n] = '\0';
	return true;
}

/* Does porterd's 2xx answer show the file stored? Its clip id, and the
 * size and SHA-256 of the bytes sent: porterd answers
 *   the key record  {"clip","camera","start_seq","recipients","size","sha256"}
 *   a segment       {"clip","index","size","sha256"}
 *   the manifest    {"clip","camera","segments","stored","missing","size","sha256"}
 * (a porterd older than the key record's hash leaves every clip's key
 * record in the spool, retried, and sends no segment of it). */
static bool
answer_shows_stored(const struct answer *a, const char *hex, const uint8_t *body, size_t len)
{
	uint8_t h[PT_HASH_LEN];
	char want[2 * PT_HASH_LEN + 1], got[2 * PT_HASH_LEN + 2], size[24], clip[40];

	if (!answer_field(a, "clip", clip, sizeof(clip)) || strcmp(clip, hex) != 0)
		return false;
	pt_crypto_sodium()->sha256(h, body, len);
	pt_hex(h, sizeof(h), want);
	return answer_field(a, "sha256", got, sizeof(got)) && strcasecmp(got, want) == 0 &&
	       answer_field(a, "size", size, sizeof(size)) && strtoull(size, NULL, 10) == len &&
	       strlen(size) < 20;
}

/* One PUT (logged unless stored). */
static enum put_result
put(CURL *h, const struct cam_config *cfg, const char *url, const char *hex, const uint8_t *body,
    size_t len, const char *sig_b64, long *status)
{
	struct curl_slist *hd = NULL;
	struct answer *a;
	char line[256];
	long code = 0;
	CURLcode e;
	enum put_result r = PUT_RETRY;

	*status = 0;
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return PUT_RETRY;

	(void)snprintf(line, sizeof(line), "Porter-Camera: %s", cfg->id);
	hd = curl_slist_append(hd, line);
	if (sig_b64 != NULL) {
		(void)snprintf(line, sizeof(line), "Porter-Signature: %s", sig_b64);
		hd = curl_slist_append(hd, line);
	}
	hd = curl_slist_append(hd, sig_b64 != NULL ? "Content-Type: application/octet-stream"
						   : "Content-Type: application/cbor");
	hd = curl_slist_append(hd, "Expect:");
	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "PUT");
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, (const char *)body);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hd);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, keep);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, a);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 120000L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	/* config.c allows http:// only to a loopback address. */
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	if (cfg->cacert[0] != '\0')
		curl_easy_setopt(h, CURLOPT_CAINFO, cfg->cacert);
	e = curl_easy_perform(h);
	if (e == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	*status = code;
	if (e != CURLE_OK) {
		camlog(CAMLOG_WARN, "event=upload url=\"%s\" result=failed error=\"%s\"", url,
		       curl_easy_strerror(e));
	} else if (code >= 200 && code < 300) {
		if (answer_shows_stored(a, hex, body, len))
			r = PUT_STORED;
		else
			camlog(CAMLOG_WARN, "event=upload url=\"%s\" result=unconfirmed status=%ld"
					    " note=\"the answer does not show the file stored: kept\"",
			       url, code);
	} else {
		camlog(CAMLOG_WARN, "event=upload url=\"%s\" result=failed status=%ld", url, code);
		if (code == 400 || code == 404 || code == 409 || code == 413)
			r = PUT_REFUSED;
		else if (code == 401 || code == 403)
			r = PUT_SLOW;
	}
	curl_slist_free_all(hd);
	free(a);
	return r;
}

static bool
is_clip_dir(const char *name)
{
	uint8_t id[PT_CLIP_ID_LEN];

	return strlen(name) == 2 * PT_CLIP_ID_LEN && pt_clip_id_parse(name, id) == PT_OK;
}

/* "000012.seg" -> 12. */
static bool
seg_index(const char *name, unsigned *idx)
{
	unsigned v = 0;
	size_t i;

	if (strlen(name) != 10 || strcmp(name + 6, ".seg") != 0)
		return false;
	for (i = 0; i < 6; i++) {
		if (name[i] < '0' || name[i] > '9')
			return false;
		v = v * 10u + (unsigned)(name[i] - '0');
	}
	*idx = v;
	return true;
}

/* The lowest segment index left in dir; -1: none. */
static long
lowest_segment(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	long best = -1;
	unsigned idx;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (seg_index(e->d_name, &idx) && (best < 0 || (long)idx < best))
			best = (long)idx;
	closedir(d);
	return best;
}

/* Send one file of a clip: its lowest segment, else its manifest once
 * the clip is complete. PUT_STORED with *did set when a file was sent
 * and deleted, PUT_STORED with *did clear when there is nothing to send
 * (still recording), or the failure. */
static enum put_result
upload_one(CURL *h, const struct cam_config *cfg, const char *hex, bool *did, long *status)
{
	char dir[CAM_PATH_MAX + 40], path[CAM_PATH_MAX + 64], url[CAM_URL_MAX + 128];
	char sig_b64[128];
	struct pt_errbuf err;
	uint8_t *body = NULL, *sig = NULL;
	size_t len, slen;
	long idx;
	enum put_result r;
	const char *base = cfg->server;
	size_t bl = strlen(base);

	*did = false;
	*status = 0;
	while (bl > 0 && base[bl - 1] == '/')
		bl--;
	(void)snprintf(dir, sizeof(dir), "%s/%.32s", cfg->spool, hex);
	/* The key record before anything else: without it a clip whose
	 * manifest never comes cannot be opened. */
	(void)snprintf(path, sizeof(path), "%s/" CAM_SPOOL_KEYREC, dir);
	if (access(path, F_OK) == 0) {
		if (pt_file_read(path, PT_CLIP_KEYREC_MAX, &body, &len, &err) != PT_OK) {
			camlog(CAMLOG_ERR, "event=upload clip=%s error=\"%s\"", hex, err.msg);
			return PUT_RETRY;
		}
		(void)snprintf(url, sizeof(url), "%.*s/v1/clips/%.32s/key", (int)bl, base, hex);
		r = put(h, cfg, url, hex, body, len, NULL, status);
		free(body);
		if (r != PUT_STORED)
			return r;
		camlog(CAMLOG_INFO, "event=uploaded clip=%s keyrec bytes=%zu", hex, len);
		if (unlink(path) != 0)
			return PUT_RETRY;
		*did = true;
		return PUT_STORED;
	}
	if ((idx = lowest_segment(dir)) >= 0) {
		(void)snprintf(path, sizeof(path), "%s/%06ld.sig", dir, idx);
		if (pt_file_read(path, PT_SIG_LEN, &sig, &slen, &err) != PT_OK || slen != PT_SIG_LEN) {
			camlog(CAMLOG_ERR, "event=upload clip=%s index=%ld error=\"no signature: %s\"",
			       hex, idx, err.msg);
			free(sig);
			return PUT_RETRY;
		}
		if (pt_b64_encode(sig_b64, sizeof(sig_b64), sig, PT_SIG_LEN) != PT_OK) {
			free(sig);
			return PUT_RETRY;
		}
		free(sig);
		(void)snprintf(path, sizeof(path), "%s/%06ld.seg", dir, idx);
		if (pt_file_read(path, PT_CLIP_SEGMENT_SIZE_MAX, &body, &len, &err) != PT_OK) {
			camlog(CAMLOG_ERR, "event=upload clip=%s index=%ld error=\"%s\"", hex, idx,
			       err.msg);
			return PUT_RETRY;
		}
		(void)snprintf(url, sizeof(url), "%.*s/v1/clips/%.32s/segments/%ld", (int)bl, base, hex,
			       idx);
		r = put(h, cfg, url, hex, body, len, sig_b64, status);
		free(body);
		if (r != PUT_STORED)
			return r;
		camlog(CAMLOG_INFO, "event=uploaded clip=%s index=%ld bytes=%zu", hex, idx, len);
		if (unlink(path) != 0)
			return PUT_RETRY;
		(void)snprintf(path, sizeof(path), "%s/%06ld.sig", dir, idx);
		(void)unlink(path);
		*did = true;
		return PUT_STORED;
	}
	(void)snprintf(path, sizeof(path), "%s/manifest", dir);
	if (access(path, F_OK) != 0)
		return PUT_STORED;	/* still recording */
	if (pt_file_read(path, PT_CLIP_MANIFEST_MAX, &body, &len, &err) != PT_OK) {
		camlog(CAMLOG_ERR, "event=upload clip=%s error=\"%s\"", hex, err.msg);
		return PUT_RETRY;
	}
	(void)snprintf(url, sizeof(url), "%.*s/v1/clips/%.32s/manifest", (int)bl, base, hex);
	r = put(h, cfg, url, hex, body, len, NULL, status);
	free(body);
	if (r != PUT_STORED)
		return r;
	camlog(CAMLOG_INFO, "event=uploaded clip=%s manifest bytes=%zu", hex, len);
	if (unlink(path) != 0 || rmdir(dir) != 0)
		camlog(CAMLOG_WARN, "event=upload clip=%s error=\"cannot clear '%s': %s\"", hex, dir,
		       strerror(errno));
	*did = true;
	return PUT_STORED;
}

/* refused/<clip>/status: the HTTP status, as decimal digits and '\n'. */
static void
status_write(const char *path, long status)
{
	char b[24];
	int fd, n = snprintf(b, sizeof(b), "%ld\n", status);

	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0)
		return;
	if (n > 0 && write(fd, b, (size_t)n) != n)
		camlog(CAMLOG_WARN, "event=upload_refused error=\"cannot write '%s'\"", path);
	(void)fsync(fd);
	close(fd);
}

/* A clip the server will never take as it is: out of the way, kept.
 * While it has no manifest it may still be recording (the monitor writes
 * into its directory): then it stays where it is, is no longer sent, and
 * moves once the manifest is there. true: moved. */
static bool
refuse_clip(const struct cam_config *cfg, const char *hex, long status)
{
	char from[CAM_PATH_MAX + 64], to[CAM_PATH_MAX + 64], st[CAM_PATH_MAX + 80];

	(void)snprintf(from, sizeof(from), "%s/%.32s/manifest", cfg->spool, hex);
	if (access(from, F_OK) != 0)
		return false;

	(void)snprintf(from, sizeof(from), "%s/" CAM_SPOOL_REFUSED, cfg->spool);
	if (mkdir(from, 0700) != 0 && errno != EEXIST) {
		camlog(CAMLOG_ERR, "event=upload_refused clip=%s status=%ld error=\"cannot create"
				   " '%s': %s\"", hex, status, from, strerror(errno));
		return false;
	}
	(void)snprintf(to, sizeof(to), "%s/" CAM_SPOOL_REFUSED "/%.32s", cfg->spool, hex);
	(void)snprintf(from, sizeof(from), "%s/%.32s", cfg->spool, hex);
	if (rename(from, to) != 0) {
		camlog(CAMLOG_ERR, "event=upload_refused clip=%s status=%ld error=\"cannot move"
				   " to '%s': %s\"", hex, status, to, strerror(errno));
		return false;
	}
	camlog(CAMLOG_ERR, "event=upload_refused clip=%s status=%ld kept=\"%s\" note=\"the server"
			   " refused the clip for good: kept, no longer uploaded; porter-cam refused"
			   " lists, porter-cam requeue sends again\"", hex, status, to);
	/* The status, for porter-cam refused (a failure only loses it). */
	if (snprintf(st, sizeof(st), "%s/" CAM_SPOOL_REFUSED_STATUS, to) < (int)sizeof(st))
		status_write(st, status);
	return true;
}

/* The newest file's mtime in a directory (the directory's own if empty):
 * taken when a clip is first seen, as deleting uploaded files changes the
 * directory's mtime. */
static int64_t
clip_age(const char *spool, const char *hex)
{
	char dir[CAM_PATH_MAX + 40];
	struct stat st;
	struct dirent *e;
	int64_t best = 0, t;
	DIR *d;

	(void)snprintf(dir, sizeof(dir), "%s/%.32s", spool, hex);
	if ((d = opendir(dir)) == NULL)
		return 0;
	if (fstat(dirfd(d), &st) == 0)
		best = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.' || fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
			continue;
		t = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
		if (t > best)
			best = t;
	}
	closedir(d);
	return best;
}

struct spool_state {
	struct clipst *c;
	size_t n, cap;
};

static int
by_age(const void *a, const void *b)
{
	const struct clipst *x = a, *y = b;

	if (x->age != y->age)
		return x->age > y->age ? -1 : 1;	/* newest first */
	return strcmp(x->hex, y->hex);
}

/* Every clip directory of the spool into ss (new ones appended, gone ones
 * dropped), newest first. -1: out of memory. */
static int
scan(const struct cam_config *cfg, struct spool_state *ss)
{
	struct dirent *e;
	size_t i, k;
	DIR *d;

	for (i = 0; i < ss->n; i++)
		ss->c[i].seen = false;
	if ((d = opendir(cfg->spool)) != NULL) {
		while ((e = readdir(d)) != NULL) {
			if (!is_clip_dir(e->d_name))
				continue;
			for (i = 0; i < ss->n && strcmp(ss->c[i].hex, e->d_name) != 0; i++)
				continue;
			if (i == ss->n) {
				if (ss->n == ss->cap) {
					size_t cap = ss->cap ? ss->cap * 2 : 16;
					struct clipst *c = realloc(ss->c, cap * sizeof(*c));
					if (c == NULL) {
						closedir(d);
						return -1;
					}
					ss->c = c;
					ss->cap = cap;
				}
				memset(&ss->c[i], 0, sizeof(ss->c[i]));
				memcpy(ss->c[i].hex, e->d_name, 2 * PT_CLIP_ID_LEN + 1);
				ss->c[i].age = clip_age(cfg->spool, e->d_name);
				ss->c[i].backoff_ms = BACKOFF_MIN_MS;
				ss->n++;
			}
			ss->c[i].seen = true;
		}
		closedir(d);
	}
	for (i = k = 0; i < ss->n; i++)
		if (ss->c[i].seen)
			ss->c[k++] = ss->c[i];
	ss->n = k;
	if (ss->n > 1)
		qsort(ss->c, ss->n, sizeof(*ss->c), by_age);
	return 0;
}

/* One step: one file of the newest clip that is due and has one. 1: sent
 * something, 0: nothing due; *wake: when the next clip is due. */
static int
step(CURL *h, const struct cam_config *cfg, struct spool_state *ss, uint64_t *wake)
{
	uint64_t now = now_ms();
	enum put_result r;
	long status;
	bool did;
	size_t i;

	*wake = now + IDLE_SCAN_MS;
	if (scan(cfg, ss) != 0)
		return 0;
	for (i = 0; i < ss->n && !stopping; i++) {
		struct clipst *c = &ss->c[i];
		uint32_t cap = i == 0 ? BACKOFF_NEWEST_MAX_MS : BACKOFF_MAX_MS;

		if (c->refused != 0) {
			(void)refuse_clip(cfg, c->hex, c->refused);	/* once complete */
			continue;
		}
		if (c->next_ms > now) {
			if (c->next_ms < *wake)
				*wake = c->next_ms;
			continue;
		}
		r = upload_one(h, cfg, c->hex, &did, &status);
		switch (r) {
		case PUT_STORED:
			c->backoff_ms = BACKOFF_MIN_MS;
			c->next_ms = 0;
			if (did)
				return 1;
			break;	/* nothing to send yet: the next clip */
		case PUT_REFUSED:
			if (!refuse_clip(cfg, c->hex, status)) {
				c->refused = status > 0 ? status : 400;
				camlog(CAMLOG_ERR, "event=upload_refused clip=%s status=%ld note=\"the"
						   " server refused the clip for good: no longer uploaded,"
						   " moved to refused/ once complete\"", c->hex, status);
			}
			return 1;
		case PUT_SLOW:
			c->next_ms = now_ms() + BACKOFF_MAX_MS;
			camlog(CAMLOG_INFO, "event=upload_retry delay_ms=%u clip=%s status=%ld"
					    " note=\"not enrolled yet?\"", BACKOFF_MAX_MS, c->hex, status);
			return 1;
		case PUT_RETRY:
		default:
			if (c->backoff_ms > cap)
				c->backoff_ms = cap;
			c->next_ms = now_ms() + c->backoff_ms;
			camlog(CAMLOG_INFO, "event=upload_retry delay_ms=%u clip=%s", c->backoff_ms,
			       c->hex);
			c->backoff_ms = c->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS
									  : c->backoff_ms * 2;
			return 1;	/* look again: newer files may be waiting */
		}
	}
	return 0;
}


/* ==== live view: fragments from the monitor, PUT at once ====
 *
 * A thread of its own, with its own libcurl handle, so a clip upload
 * (up to two minutes) never holds a live fragment up. It reads the
 * monitor's frames from CAM_LIVE_FD (clips.h gives the framing) and
 *
 *   PUT {server}/v1/live/{session hex}/key            the key record
 *   PUT {server}/v1/live/{session hex}/fragments/{n}  each fragment,
 *       Porter-Signature: <base64url of the fragment signature>
 *
 * with short time-outs. 410 (the session is over), or another 4xx but
 * 429: the session ends here and the monitor is told ('E'). 429, 5xx, no
 * answer: that fragment is dropped; live view does not catch up. */

#define LIVE_UP_SESSIONS 4
#define LIVE_CONNECT_MS 2000L
#define LIVE_TIMEOUT_MS 3000L

struct live_up_sess {
	bool used, key_ok;
	uint64_t expiry_ms;		/* wall clock: nothing is sent after it */
	uint8_t id[PT_LIVE_ID_LEN];
	char hex[2 * PT_LIVE_ID_LEN + 1];
	uint8_t keyrec[PT_LIVE_KEYREC_MAX];
	size_t keyrec_len;
	uint64_t put, dropped;
};

struct live_up {
	const struct cam_config *cfg;
	int fd;
	CURL *h;
	struct live_up_sess s[LIVE_UP_SESSIONS];
	uint8_t *buf;
	size_t cap;
};

static size_t
discard(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

static uint64_t
wall_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	return (uint64_t)t.tv_sec * 1000u + (uint64_t)t.tv_nsec / 1000000u;
}

/* One PUT: the HTTP status, 0 for no answer. */
static long
live_put(struct live_up *u, const char *url, const uint8_t *body, size_t len, const char *sig_b64)
{
	struct curl_slist *hd = NULL;
	char line[256];
	long code = 0;
	CURLcode e;

	(void)snprintf(line, sizeof(line), "Porter-Camera: %s", u->cfg->id);
	hd = curl_slist_append(hd, line);
	if (sig_b64 != NULL) {
		(void)snprintf(line, sizeof(line), "Porter-Signature: %s", sig_b64);
		hd = curl_slist_append(hd, line);
	}
	hd = curl_slist_append(hd, sig_b64 != NULL ? "Content-Type: application/octet-stream"
						   : "Content-Type: application/cbor");
	hd = curl_slist_append(hd, "Expect:");
	curl_easy_reset(u->h);
	curl_easy_setopt(u->h, CURLOPT_URL, url);
	curl_easy_setopt(u->h, CURLOPT_CUSTOMREQUEST, "PUT");
	curl_easy_setopt(u->h, CURLOPT_POSTFIELDS, (const char *)body);
	curl_easy_setopt(u->h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(u->h, CURLOPT_HTTPHEADER, hd);
	curl_easy_setopt(u->h, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(u->h, CURLOPT_CONNECTTIMEOUT_MS, LIVE_CONNECT_MS);
	curl_easy_setopt(u->h, CURLOPT_TIMEOUT_MS, LIVE_TIMEOUT_MS);
	curl_easy_setopt(u->h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(u->h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(u->h, CURLOPT_FOLLOWLOCATION, 0L);
	if (u->cfg->cacert[0] != '\0')
		curl_easy_setopt(u->h, CURLOPT_CAINFO, u->cfg->cacert);
	e = curl_easy_perform(u->h);
	if (e == CURLE_OK)
		curl_easy_getinfo(u->h, CURLINFO_RESPONSE_CODE, &code);
	else
		camlog(CAMLOG_WARN, "event=live_upload url=\"%s\" result=failed error=\"%s\"", url,
		       curl_easy_strerror(e));
	curl_slist_free_all(hd);
	return code;
}

/* The session is over for porterd: forget it, tell the monitor. */
static void
live_up_end(struct live_up *u, struct live_up_sess *s, long status)
{
	uint8_t f[4 + 1 + PT_LIVE_ID_LEN + 2];
	ssize_t n;

	camlog(status == 410 ? CAMLOG_INFO : CAMLOG_WARN,
	       "event=live_upload session=%s result=ended status=%ld fragments=%llu dropped=%llu",
	       s->hex, status, (unsigned long long)s->put, (unsigned long long)s->dropped);
	f[0] = 0;
	f[1] = 0;
	f[2] = 0;
	f[3] = 1 + PT_LIVE_ID_LEN + 2;
	f[4] = 'E';
	memcpy(f + 5, s->id, PT_LIVE_ID_LEN);
	f[5 + PT_LIVE_ID_LEN] = (uint8_t)((unsigned long)status >> 8);
	f[6 + PT_LIVE_ID_LEN] = (uint8_t)status;
	do
		n = send(u->fd, f, sizeof(f), MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	memset(s, 0, sizeof(*s));
}

static bool
ends_session(long status)
{
	return status >= 400 && status < 500 && status != 429;
}

static struct live_up_sess *
live_up_find(struct live_up *u, const uint8_t *id)
{
	size_t i;

	for (i = 0; i < LIVE_UP_SESSIONS; i++)
		if (u->s[i].used && memcmp(u->s[i].id, id, PT_LIVE_ID_LEN) == 0)
			return &u->s[i];
	return NULL;
}

/* The key record; true when porterd has it. */
static bool
live_up_key(struct live_up *u, struct live_up_sess *s)
{
	char url[CAM_URL_MAX + 128];
	size_t bl = strlen(u->cfg->server);
	long st;

	while (bl > 0 && u->cfg->server[bl - 1] == '/')
		bl--;
	(void)snprintf(url, sizeof(url), "%.*s/v1/live/%s/key", (int)bl, u->cfg->server, s->hex);
	st = live_put(u, url, s->keyrec, s->keyrec_len, NULL);
	if (st >= 200 && st < 300) {
		s->key_ok = true;
		camlog(CAMLOG_INFO, "event=live_upload session=%s keyrec status=%ld", s->hex, st);
		return true;
	}
	if (st != 0)
		camlog(CAMLOG_WARN, "event=live_upload url=\"%s\" result=failed status=%ld", url, st);
	if (ends_session(st))
		live_up_end(u, s, st);
	return false;
}

/* One frame from the monitor (trusted more than the network, checked all
 * the same). false: not a frame this code writes; live stops. */
static bool
live_up_frame(struct live_up *u, const uint8_t *p, size_t n)
{
	struct live_up_sess *s;
	char url[CAM_URL_MAX + 128], sig_b64[128];
	size_t i, bl = strlen(u->cfg->server);
	uint32_t index;
	long st;

	while (bl > 0 && u->cfg->server[bl - 1] == '/')
		bl--;
	if (n < 1 + PT_LIVE_ID_LEN)
		return false;
	s = live_up_find(u, p + 1);
	switch (p[0]) {
	case 'K':
		if (n - 1 - PT_LIVE_ID_LEN > 8 + PT_LIVE_KEYREC_MAX || n <= 1 + PT_LIVE_ID_LEN + 8)
			return false;
		if (s == NULL) {
			for (i = 0; i < LIVE_UP_SESSIONS && u->s[i].used; i++)
				continue;
			if (i == LIVE_UP_SESSIONS)
				return false;	/* the monitor keeps at most 2 */
			s = &u->s[i];
		}
		memset(s, 0, sizeof(*s));
		s->used = true;
		memcpy(s->id, p + 1, PT_LIVE_ID_LEN);
		pt_clip_id_text(s->id, s->hex);
		s->expiry_ms = (uint64_t)get_u32(p + 1 + PT_LIVE_ID_LEN) << 32 |
			       get_u32(p + 1 + PT_LIVE_ID_LEN + 4);
		s->keyrec_len = n - 1 - PT_LIVE_ID_LEN - 8;
		memcpy(s->keyrec, p + 1 + PT_LIVE_ID_LEN + 8, s->keyrec_len);
		(void)live_up_key(u, s);
		return true;
	case 'X':
		if (n != 1 + PT_LIVE_ID_LEN)
			return false;
		if (s != NULL) {
			camlog(CAMLOG_INFO, "event=live_upload session=%s result=ended reason=camera"
					    " fragments=%llu dropped=%llu", s->hex,
			       (unsigned long long)s->put, (unsigned long long)s->dropped);
			memset(s, 0, sizeof(*s));
		}
		return true;
	case 'F':
		if (n < 1 + PT_LIVE_ID_LEN + 4 + PT_SIG_LEN + PT_LIVE_HDR_LEN)
			return false;
		if (s == NULL)
			return true;	/* ended already: dropped */
		if (wall_ms() >= s->expiry_ms) {
			/* porterd would answer 410; the monitor's X is on its way */
			s->dropped++;
			return true;
		}
		if (!s->key_ok && !live_up_key(u, s)) {
			if (s->used)
				s->dropped++;
			return true;
		}
		index = get_u32(p + 1 + PT_LIVE_ID_LEN);
		if (pt_b64_encode(sig_b64, sizeof(sig_b64), p + 1 + PT_LIVE_ID_LEN + 4, PT_SIG_LEN) !=
		    PT_OK)
			return false;
		(void)snprintf(url, sizeof(url), "%.*s/v1/live/%s/fragments/%u", (int)bl,
			       u->cfg->server, s->hex, index);
		i = 1 + PT_LIVE_ID_LEN + 4 + PT_SIG_LEN;
		st = live_put(u, url, p + i, n - i, sig_b64);
		if (st >= 200 && st < 300) {
			s->put++;
			camlog(CAMLOG_DEBUG, "event=live_uploaded session=%s index=%u bytes=%zu", s->hex,
			       index, n - i);
		} else if (ends_session(st)) {
			live_up_end(u, s, st);
		} else {
			s->dropped++;
			if (st != 0)
				camlog(CAMLOG_WARN, "event=live_upload session=%s index=%u result=dropped"
						    " status=%ld", s->hex, index, st);
		}
		return true;
	default:
		return false;
	}
}

/* Read exactly len bytes, waking up to see stopping. 1, 0 (closed or
 * stopping), -1. */
static int
live_read(int fd, uint8_t *p, size_t len)
{
	size_t off = 0;
	ssize_t n;

	while (off < len) {
		struct pollfd pf = {fd, POLLIN, 0};
		if (stopping)
			return 0;
		if (poll(&pf, 1, 500) <= 0)
			continue;
		n = read(fd, p + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			return 0;
		off += (size_t)n;
	}
	return 1;
}

static void *
live_thread(void *arg)
{
	struct live_up *u = arg;
	uint8_t hd[4];
	uint32_t len;

	for (;;) {
		if (live_read(u->fd, hd, 4) != 1)
			break;
		len = get_u32(hd);
		if (len < 1 + PT_LIVE_ID_LEN || len > LIVE_FRAME_MAX - 4) {
			camlog(CAMLOG_ERR, "event=live_upload error=\"a frame of %u bytes from the"
					   " monitor: live stops\"", len);
			break;
		}
		if (len > u->cap) {
			uint8_t *q = realloc(u->buf, len);
			if (q == NULL)
				break;
			u->buf = q;
			u->cap = len;
		}
		if (live_read(u->fd, u->buf, len) != 1)
			break;
		if (!live_up_frame(u, u->buf, len)) {
			camlog(CAMLOG_ERR, "event=live_upload error=\"a frame the monitor does not"
					   " write (type %u, %u bytes): live stops\"", u->buf[0], len);
			break;
		}
	}
	close(u->fd);
	u->fd = -1;
	return NULL;
}

/* ==== porter-cam refused / porter-cam requeue (docs/cam.md, "Refused
 * clips") ====
 *
 * Run by hand (as cam.user or root) beside a running porter-cam: they
 * only read spool/refused, or rename one clip directory from it back
 * into the spool, where the running uploader finds it at its next scan
 * (and sends it from the start of what is left, with a fresh back-off). */

static size_t
refused_count(const struct cam_config *cfg)
{
	char dir[CAM_PATH_MAX + 16];
	struct dirent *e;
	size_t n = 0;
	DIR *d;

	(void)snprintf(dir, sizeof(dir), "%s/" CAM_SPOOL_REFUSED, cfg->spool);
	if ((d = opendir(dir)) == NULL)
		return 0;
	while ((e = readdir(d)) != NULL)
		if (is_clip_dir(e->d_name))
			n++;
	closedir(d);
	return n;
}

/* name under dirfd opened for reading only if it is a regular file (the
 * open never blocks: a FIFO planted in the spool by whoever holds the
 * uploader's user must not hang the monitor, review 114); -1 else. */
static int
open_regular_ro(int dirfd, const char *name)
{
	struct stat sb;
	int fd;

	if ((fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)) < 0)
		return -1;
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	return fd;
}

/* A refused clip's status file: three digits of 400..499 and '\n', else 0. */
static uint32_t
refused_status_read(int cfd)
{
	char st[8];
	ssize_t n;
	int fd;
	uint32_t v;

	if ((fd = open_regular_ro(cfd, CAM_SPOOL_REFUSED_STATUS)) < 0)
		return 0;
	n = read(fd, st, sizeof(st));
	close(fd);
	if (n != 4 || st[3] != '\n' || strspn(st, "0123456789") < 3)
		return 0;
	v = (uint32_t)(st[0] - '0') * 100u + (uint32_t)(st[1] - '0') * 10u + (uint32_t)(st[2] - '0');
	return v >= PT_CAM_REFUSED_STATUS_MIN && v <= PT_CAM_REFUSED_STATUS_MAX ? v : 0;
}

int
upload_refused_newest(const struct cam_config *cfg, struct pt_cam_refused *f, bool *complete)
{
	char dir[CAM_PATH_MAX + 16], best[2 * PT_CLIP_ID_LEN + 1] = "";
	struct timespec bt = {0, 0}, t;
	struct dirent *e;
	struct stat sb;
	uint64_t count = 0;
	bool has_status = false, st_here;
	int dfd, cfd;
	DIR *d;

	memset(f, 0, sizeof(*f));
	*complete = true;
	(void)snprintf(dir, sizeof(dir), "%s/" CAM_SPOOL_REFUSED, cfg->spool);
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return errno == ENOENT ? 0 : -1;
	if ((d = fdopendir(dfd)) == NULL) {
		close(dfd);
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		if (!is_clip_dir(e->d_name))
			continue;
		if ((cfd = openat(dfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
			continue;
		count++;
		/* when it was refused: its status file's time, else its directory's */
		st_here = fstatat(cfd, CAM_SPOOL_REFUSED_STATUS, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
			  S_ISREG(sb.st_mode);
		if (st_here || fstat(cfd, &sb) == 0) {
			t = sb.st_mtim;
			if (best[0] == '\0' || t.tv_sec > bt.tv_sec ||
			    (t.tv_sec == bt.tv_sec && t.tv_nsec > bt.tv_nsec) ||
			    (t.tv_sec == bt.tv_sec && t.tv_nsec == bt.tv_nsec &&
			     strcmp(e->d_name, best) > 0)) {
				bt = t;
				memcpy(best, e->d_name, sizeof(best));
				f->status = st_here ? refused_status_read(cfd) : 0;
				has_status = st_here;
			}
		}
		close(cfd);
	}
	closedir(d);
	if (count == 0 || best[0] == '\0') {
		memset(f, 0, sizeof(*f));
		return 0;
	}
	f->count = count > UINT32_MAX ? UINT32_MAX : (uint32_t)count;
	_Static_assert(PT_CLIP_ID_LEN == PT_CAM_CLIP_LEN, "a clip id is what the message carries");
	if (pt_clip_id_parse(best, f->clip) != PT_OK) {	/* checked by is_clip_dir */
		memset(f, 0, sizeof(*f));
		return -1;
	}
	f->at = bt.tv_sec <= 0 ? 0 : (uint64_t)bt.tv_sec > UINT32_MAX ? UINT32_MAX : (uint64_t)bt.tv_sec;
	*complete = has_status;
	return 0;
}

/* One refused clip: what is left of it, one line on out. */
static void
refused_line(FILE *out, int dfd, const char *hex)
{
	char st[16] = "?", when[32] = "?";
	struct dirent *e;
	struct stat sb;
	struct tm tm;
	unsigned long long bytes = 0;
	unsigned segs = 0, idx;
	bool manifest = false, keyrec = false;
	time_t t = 0;
	ssize_t n;
	DIR *d;
	int fd, cfd;

	if ((cfd = openat(dfd, hex, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0 ||
	    (d = fdopendir(cfd)) == NULL) {
		if (cfd >= 0)
			close(cfd);
		fprintf(out, "%s unreadable=\"%s\"\n", hex, strerror(errno));
		return;
	}
	if (fstat(cfd, &sb) == 0)
		t = sb.st_mtim.tv_sec;
	while ((e = readdir(d)) != NULL) {
		if (fstatat(cfd, e->d_name, &sb, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(sb.st_mode))
			continue;
		if (seg_index(e->d_name, &idx)) {
			segs++;
			bytes += (unsigned long long)sb.st_size;
		} else if (strcmp(e->d_name, "manifest") == 0) {
			manifest = true;
			bytes += (unsigned long long)sb.st_size;
		} else if (strcmp(e->d_name, CAM_SPOOL_KEYREC) == 0) {
			keyrec = true;
			bytes += (unsigned long long)sb.st_size;
		} else if (strcmp(e->d_name, CAM_SPOOL_REFUSED_STATUS) == 0) {
			t = sb.st_mtim.tv_sec;	/* when it was refused */
			if ((fd = open_regular_ro(cfd, e->d_name)) >= 0) {
				n = read(fd, st, sizeof(st) - 1);
				close(fd);
				st[n > 0 ? n : 0] = '\0';
				/* three digits and a newline, as status_write wrote them */
				if (n != 4 || st[3] != '\n' || strspn(st, "0123456789") != 3)
					memcpy(st, "?", 2);
				else
					st[3] = '\0';
			}
		}
	}
	closedir(d);
	if (t != 0 && gmtime_r(&t, &tm) != NULL)
		(void)strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	fprintf(out, "%s status=%s segments=%u manifest=%s keyrec=%s bytes=%llu refused_at=%s\n",
		hex, st, segs, manifest ? "yes" : "no", keyrec ? "yes" : "no", bytes, when);
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
upload_refused_list(const struct cam_config *cfg, FILE *out)
{
	char dir[CAM_PATH_MAX + 16], (*names)[2 * PT_CLIP_ID_LEN + 1] = NULL;
	char **order = NULL;
	struct dirent *e;
	size_t n = 0, cap = 0, i;
	int dfd, r = 1;
	DIR *d;

	if (access(cfg->spool, F_OK) != 0) {
		/* a wrong -f, or clips never ran: say so rather than list nothing */
		fprintf(stderr, "porter-cam: no spool at '%s': %s\n", cfg->spool, strerror(errno));
		return 1;
	}
	(void)snprintf(dir, sizeof(dir), "%s/" CAM_SPOOL_REFUSED, cfg->spool);
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		if (errno == ENOENT)
			return 0;	/* nothing was ever refused */
		fprintf(stderr, "porter-cam: cannot open '%s': %s\n", dir, strerror(errno));
		return 1;
	}
	if ((d = fdopendir(dup(dfd))) == NULL) {
		fprintf(stderr, "porter-cam: cannot read '%s': %s\n", dir, strerror(errno));
		goto out;
	}
	while ((e = readdir(d)) != NULL) {
		if (!is_clip_dir(e->d_name))
			continue;
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 16;
			void *p = realloc(names, nc * sizeof(*names));
			if (p == NULL) {
				closedir(d);
				fprintf(stderr, "porter-cam: out of memory\n");
				goto out;
			}
			names = p;
			cap = nc;
		}
		memcpy(names[n++], e->d_name, 2 * PT_CLIP_ID_LEN + 1);
	}
	closedir(d);
	if (n > 0 && (order = calloc(n, sizeof(*order))) == NULL) {
		fprintf(stderr, "porter-cam: out of memory\n");
		goto out;
	}
	for (i = 0; i < n; i++)
		order[i] = names[i];
	if (n > 1)
		qsort(order, n, sizeof(*order), by_name);
	for (i = 0; i < n; i++)
		refused_line(out, dfd, order[i]);
	r = fflush(out) == 0 ? 0 : 1;
out:
	close(dfd);
	free(order);
	free(names);
	return r;
}

int
upload_requeue(const struct cam_config *cfg, const char *hex)
{
	char from[CAM_PATH_MAX + 64], to[CAM_PATH_MAX + 64], st[CAM_PATH_MAX + 80];
	struct stat sb;

	if (!is_clip_dir(hex) || strspn(hex, "0123456789abcdef") != 2 * PT_CLIP_ID_LEN) {
		fprintf(stderr, "porter-cam: '%.64s' is not a clip id (32 lowercase hex digits)\n",
			hex);
		return 1;
	}
	(void)snprintf(from, sizeof(from), "%s/" CAM_SPOOL_REFUSED "/%s", cfg->spool, hex);
	(void)snprintf(to, sizeof(to), "%s/%s", cfg->spool, hex);
	if (lstat(from, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
		fprintf(stderr, "porter-cam: no refused clip '%s' in '%s/" CAM_SPOOL_REFUSED "'\n",
			hex, cfg->spool);
		return 1;
	}
	if (lstat(to, &sb) == 0 || errno != ENOENT) {
		fprintf(stderr, "porter-cam: cannot requeue '%s': '%s' exists\n", hex, to);
		return 1;
	}
	(void)snprintf(st, sizeof(st), "%s/" CAM_SPOOL_REFUSED_STATUS, from);
	if (unlink(st) != 0 && errno != ENOENT) {
		fprintf(stderr, "porter-cam: cannot remove '%s': %s\n", st, strerror(errno));
		return 1;
	}
	/* rename(2) does not replace a directory that is not empty, and
	 * RENAME_NOREPLACE refuses one made since the check. */
	if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) != 0) {
		fprintf(stderr, "porter-cam: cannot move '%s' to '%s': %s\n", from, to,
			strerror(errno));
		return 1;
	}
	printf("%s requeued: the running uploader sends it again\n", hex);
	return 0;
}

int
upload_main(const struct cam_config *cfg)
{
	struct spool_state ss = {NULL, 0, 0};
	static struct live_up lu;
	pthread_t lt;
	bool live = false;
	uint64_t wake, now;
	size_t n_refused;
	CURL *h;

	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	signal(SIGPIPE, SIG_IGN);
	if (cfg->server[0] == '\0' || cfg->marks[0] == '\0') {
		camlog(CAMLOG_ERR, "event=upload error=\"clips.server or clips.marks is empty\"");
		return 2;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0 || (h = curl_easy_init()) == NULL) {
		camlog(CAMLOG_ERR, "event=upload error=\"cannot initialise libcurl\"");
		return 1;
	}
	n_refused = refused_count(cfg);
	camlog(n_refused > 0 ? CAMLOG_WARN : CAMLOG_INFO, "event=upload_started spool=\"%s\""
	       " server=\"%s\" live=%d refused=%zu%s", cfg->spool, cfg->server, cfg->live_on,
	       n_refused, n_refused > 0 ? " note=\"clips the server refused for good are kept:"
					  " porter-cam refused lists them\"" : "");
	if (cfg->live_on && fcntl(CAM_LIVE_FD, F_GETFD) >= 0) {
		memset(&lu, 0, sizeof(lu));
		lu.cfg = cfg;
		lu.fd = CAM_LIVE_FD;
		(void)fcntl(CAM_LIVE_FD, F_SETFD, FD_CLOEXEC);
		if ((lu.h = curl_easy_init()) == NULL || pthread_create(&lt, NULL, live_thread, &lu) != 0)
			camlog(CAMLOG_ERR, "event=upload error=\"cannot start live uploads\"");
		else
			live = true;
	}
	while (!stopping) {
		if (getppid() == 1)
			break;	/* the monitor is gone */
		if (step(h, cfg, &ss, &wake) > 0)
			continue;
		now = now_ms();
		if (wake > now + IDLE_SCAN_MS)
			wake = now + IDLE_SCAN_MS;	/* new clips and segments */
		if (wake > now)
			sleep_ms(wake - now);
	}
	stopping = 1;
	if (live) {
		(void)pthread_join(lt, NULL);
		free(lu.buf);
	}
	if (lu.h != NULL)
		curl_easy_cleanup(lu.h);
	free(ss.c);
	curl_easy_cleanup(h);
	curl_global_cleanup();
	return 0;
}
