/*
 * porter-cam's uploader (docs/cam.md, "Upload"): a process of its own,
 * exec'd afresh by the monitor, so neither the camera key nor the clip
 * keys are in the address space that talks HTTP, and a slow or dead
 * server never delays a health message (the monitor does not wait on it).
 *
 * It walks the spool (clips.c writes it): for each clip directory, the
 * sealed segments in index order,
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
 * A file is deleted only after a 2xx answer; anything else (no answer,
 * 4xx, 5xx) keeps it and waits (1 s, doubling up to 60 s) before trying
 * again. PUT is idempotent (the same bytes at the same place), so a crash
 * between the answer and the delete only sends a file twice; a restart
 * picks up whatever the spool holds.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "porter/clip.h"
#include "porter/crypto.h"
#include "porter/keyfile.h"
#include "cam.h"

#define BACKOFF_MIN_MS 1000u
#define BACKOFF_MAX_MS 60000u
#define IDLE_SCAN_MS 500u

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

static size_t
discard(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

/* One PUT; 0 on a 2xx, -1 otherwise (logged). */
static int
put(CURL *h, const struct cam_config *cfg, const char *url, const uint8_t *body, size_t len,
    const char *sig_b64)
{
	struct curl_slist *hd = NULL;
	char line[256];
	long code = 0;
	CURLcode e;
	int r = -1;

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
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 120000L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	e = curl_easy_perform(h);
	if (e == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	if (e == CURLE_OK && code >= 200 && code < 300) {
		r = 0;
	} else if (e != CURLE_OK) {
		camlog(CAMLOG_WARN, "event=upload url=\"%s\" result=failed error=\"%s\"", url,
		       curl_easy_strerror(e));
	} else {
		camlog(CAMLOG_WARN, "event=upload url=\"%s\" result=failed status=%ld", url, code);
	}
	curl_slist_free_all(hd);
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

/* Upload what one clip directory holds. 1: something was sent, 0:
 * nothing to do, -1: a failure (back off). */
static int
upload_clip(CURL *h, const struct cam_config *cfg, const char *hex)
{
	char dir[CAM_PATH_MAX + 40], path[CAM_PATH_MAX + 64], url[CAM_URL_MAX + 128];
	char sig_b64[128];
	struct pt_errbuf err;
	uint8_t *body = NULL, *sig = NULL;
	size_t len, slen;
	long idx;
	int r = -1, did = 0;
	const char *base = cfg->server;
	size_t bl = strlen(base);

	while (bl > 0 && base[bl - 1] == '/')
		bl--;
	(void)snprintf(dir, sizeof(dir), "%s/%.32s", cfg->spool, hex);
	while (!stopping && (idx = lowest_segment(dir)) >= 0) {
		(void)snprintf(path, sizeof(path), "%s/%06ld.sig", dir, idx);
		if (pt_file_read(path, PT_SIG_LEN, &sig, &slen, &err) != PT_OK || slen != PT_SIG_LEN) {
			camlog(CAMLOG_ERR, "event=upload clip=%s index=%ld error=\"no signature: %s\"",
			       hex, idx, err.msg);
			free(sig);
			return -1;
		}
		if (pt_b64_encode(sig_b64, sizeof(sig_b64), sig, PT_SIG_LEN) != PT_OK) {
			free(sig);
			return -1;
		}
		free(sig);
		sig = NULL;
		(void)snprintf(path, sizeof(path), "%s/%06ld.seg", dir, idx);
		if (pt_file_read(path, PT_CLIP_SEGMENT_SIZE_MAX, &body, &len, &err) != PT_OK) {
			camlog(CAMLOG_ERR, "event=upload clip=%s index=%ld error=\"%s\"", hex, idx,
			       err.msg);
			return -1;
		}
		(void)snprintf(url, sizeof(url), "%.*s/v1/clips/%.32s/segments/%ld", (int)bl, base, hex,
			       idx);
		r = put(h, cfg, url, body, len, sig_b64);
		free(body);
		body = NULL;
		if (r != 0)
			return -1;
		camlog(CAMLOG_INFO, "event=uploaded clip=%s index=%ld bytes=%zu", hex, idx, len);
		if (unlink(path) != 0)
			return -1;
		(void)snprintf(path, sizeof(path), "%s/%06ld.sig", dir, idx);
		(void)unlink(path);
		did = 1;
	}
	if (stopping)
		return did;
	(void)snprintf(path, sizeof(path), "%s/manifest", dir);
	if (access(path, F_OK) != 0)
		return did;	/* still recording */
	if (pt_file_read(path, PT_CLIP_MANIFEST_MAX, &body, &len, &err) != PT_OK) {
		camlog(CAMLOG_ERR, "event=upload clip=%s error=\"%s\"", hex, err.msg);
		return -1;
	}
	(void)snprintf(url, sizeof(url), "%.*s/v1/clips/%.32s/manifest", (int)bl, base, hex);
	r = put(h, cfg, url, body, len, NULL);
	free(body);
	if (r != 0)
		return -1;
	camlog(CAMLOG_INFO, "event=uploaded clip=%s manifest bytes=%zu", hex, len);
	if (unlink(path) != 0 || rmdir(dir) != 0)
		camlog(CAMLOG_WARN, "event=upload clip=%s error=\"cannot clear '%s': %s\"", hex, dir,
		       strerror(errno));
	return 1;
}

/* One pass over the spool: 1 sent something, 0 idle, -1 failed. */
static int
pass(CURL *h, const struct cam_config *cfg)
{
	char names[64][2 * PT_CLIP_ID_LEN + 1];
	size_t n = 0, i, j;
	struct dirent *e;
	DIR *d;
	bool failed = false;
	int r, any = 0;

	if ((d = opendir(cfg->spool)) == NULL)
		return 0;
	while (n < 64 && (e = readdir(d)) != NULL)
		if (is_clip_dir(e->d_name))
			memcpy(names[n++], e->d_name, 2 * PT_CLIP_ID_LEN + 1);
	closedir(d);
	/* The same order every pass (by name: ids are random, not by age). */
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
			char t[2 * PT_CLIP_ID_LEN + 1];
			memcpy(t, names[j], sizeof(t));
			memcpy(names[j], names[j - 1], sizeof(t));
			memcpy(names[j - 1], t, sizeof(t));
		}
	/* A clip the server refuses does not hold up the others. */
	for (i = 0; i < n && !stopping; i++) {
		if ((r = upload_clip(h, cfg, names[i])) < 0)
			failed = true;
		else
			any |= r;
	}
	return failed ? -1 : any;
}

int
upload_main(const struct cam_config *cfg)
{
	uint64_t backoff = BACKOFF_MIN_MS;
	CURL *h;
	int r;

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
	camlog(CAMLOG_INFO, "event=upload_started spool=\"%s\" server=\"%s\"", cfg->spool,
	       cfg->server);
	while (!stopping) {
		if (getppid() == 1)
			break;	/* the monitor is gone */
		r = pass(h, cfg);
		if (r < 0) {
			camlog(CAMLOG_INFO, "event=upload_retry delay_ms=%llu",
			       (unsigned long long)backoff);
			sleep_ms(backoff);
			backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
			continue;
		}
		backoff = BACKOFF_MIN_MS;
		if (r == 0)
			sleep_ms(IDLE_SCAN_MS);
	}
	curl_easy_cleanup(h);
	curl_global_cleanup();
	return 0;
}
