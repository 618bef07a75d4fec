/*
 * porter-cam's clips, monitor side (docs/cam.md, "Clips"): the hub's
 * marks, the clip key, sealing, signing and the spool.
 *
 * The marks socket (clips.marks, a Unix datagram socket, mode 0660)
 * takes the hub's START and END (porter/clip.h, pt_clip_mark_decode).
 * START makes a fresh clip key (guarded memory, this process only),
 * seals it to every owner in clips.owners, and tells the worker to
 * BEGIN; END schedules FINISH after clips.postroll; clips.max_length
 * finishes a clip without END. The worker sends each segment's plaintext
 * in chunks (untrusted: bounded, checked against the state here); this
 * process seals it (pt_seg_seal), hashes the sealed bytes, signs
 * (pt_clip_segment_sign) and writes both into the spool, then after the
 * last one signs the manifest. Plaintext exists only in memory, and is
 * wiped once sealed.
 *
 * Spool (clips.spool, 0700): one directory per clip, named by its id in
 * hex, holding "keyrec" (the signed key record, written at START before
 * anything else), NNNNNN.sig (the 64-byte segment signature, written
 * first), NNNNNN.seg (the sealed segment) and, last, "manifest" (the
 * signed manifest, whose keys are the key record's). Each file is written to a temporary name, fsync'd, renamed,
 * and the directory fsync'd: a file the uploader sees is complete.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "porter/clip.h"
#include "porter/clipseal.h"
#include "porter/cred.h"
#include "clips.h"

static uint64_t
real_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int
fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), r;

	if (fd < 0)
		return -1;
	r = fsync(fd);
	close(fd);
	return r;
}

/* dir/name, complete or not at all: temporary name, fsync, rename. */
static int
spool_write(const char *dir, const char *name, const uint8_t *p, size_t len)
{
	char tmp[CAM_PATH_MAX + 64], path[CAM_PATH_MAX + 64];
	size_t off = 0;
	ssize_t n;
	int fd, r = -1;

	if (snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, name) >= (int)sizeof(tmp) ||
	    snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
		return -1;
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0)
		return -1;
	while (off < len) {
		n = write(fd, p + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto out;
		off += (size_t)n;
	}
	if (fsync(fd) != 0)
		goto out;
	r = 0;
out:
	if (close(fd) != 0)
		r = -1;
	if (r == 0 && rename(tmp, path) != 0)
		r = -1;
	if (r != 0)
		(void)unlink(tmp);
	return r;
}

int
clips_open(struct clips *c, const struct cam_config *cfg, const struct pt_signer *signer)
{
	struct sockaddr_un sa;
	struct stat st;
	socklen_t sl;
	mode_t old;

	memset(c, 0, sizeof(*c));
	c->cfg = cfg;
	c->signer = signer;
	c->fd = -1;
	if (cfg->marks[0] == '\0')
		return 0;
	if (mkdir(cfg->spool, 0700) != 0 && errno != EEXIST) {
		camlog(CAMLOG_ERR, "event=start error=\"cannot create the spool '%s': %s\"", cfg->spool,
		       strerror(errno));
		return -1;
	}
	if ((c->man = calloc(1, sizeof(*c->man))) == NULL ||
	    (c->msg = malloc(PT_CLIP_MANIFEST_MAX)) == NULL)
		return -1;
	if (strlen(cfg->marks) >= sizeof(sa.sun_path)) {
		camlog(CAMLOG_ERR, "event=start error=\"clips.marks: the path is too long\"");
		return -1;
	}
	/* A socket left by an earlier run goes; anything else stays. */
	if (lstat(cfg->marks, &st) == 0 && S_ISSOCK(st.st_mode))
		(void)unlink(cfg->marks);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, cfg->marks, strlen(cfg->marks) + 1);
	sl = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(cfg->marks) + 1);
	if ((c->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) < 0)
		return -1;
	old = umask(0117);
	if (bind(c->fd, (struct sockaddr *)&sa, sl) != 0 || chmod(cfg->marks, 0660) != 0) {
		umask(old);
		camlog(CAMLOG_ERR, "event=start error=\"cannot bind clips.marks '%s': %s\"", cfg->marks,
		       strerror(errno));
		return -1;
	}
	umask(old);
	camlog(CAMLOG_INFO, "event=clips marks=\"%s\" spool=\"%s\" owners=%zu server=\"%s\"",
	       cfg->marks, cfg->spool, cfg->n_owners, cfg->server);
	return 0;
}

static void
clip_reset(struct clips *c)
{
	if (c->key != NULL)
		pt_clip_key_free(c->key);
	c->key = NULL;
	if (c->plain != NULL) {
		pt_wipe(c->plain, c->plain_cap);
		free(c->plain);
	}
	c->plain = NULL;
	c->plain_len = c->plain_cap = 0;
	c->state = CLIP_IDLE;
	c->seg_bad = false;
	c->finish_sent = false;
	c->have_end = false;
}

static void
send_worker(int wfd, uint8_t b)
{
	if (wfd >= 0)
		(void)send(wfd, &b, 1, MSG_DONTWAIT | MSG_NOSIGNAL);
}

static void
clip_id_remember(struct clips *c, const uint8_t id[PT_CLIP_ID_LEN])
{
	memcpy(c->recent[c->recent_next], id, PT_CLIP_ID_LEN);
	c->recent_next = (c->recent_next + 1) % CLIPS_RECENT;
	if (c->n_recent < CLIPS_RECENT)
		c->n_recent++;
}

/*
 * The key record (porter/clip.h): the clip key sealed to each owner, as
 * the manifest will carry it, signed now and spooled as "keyrec" before
 * any segment, so the uploader sends it first and a clip whose camera
 * dies before END can still be opened and checked segment by segment.
 * A failure is logged and the clip recorded all the same (the manifest
 * at END still carries the keys).
 */
/* A clip with no video: its key record (if not sent yet) goes too. */
static void
spool_drop_keyrec(const struct clips *c)
{
	char path[CAM_PATH_MAX + 64];

	if (snprintf(path, sizeof(path), "%s/" CAM_SPOOL_KEYREC, c->dir) < (int)sizeof(path))
		(void)unlink(path);
}

static void
keyrec_spool(struct clips *c)
{
	struct pt_clip_keyrec k;
	uint8_t msg[PT_CLIP_KEYREC_MAX];
	size_t n;

	memset(&k, 0, sizeof(k));
	memcpy(k.camera, c->man->camera, sizeof(k.camera));
	memcpy(k.clip, c->man->clip, PT_CLIP_ID_LEN);
	k.start_seq = c->man->start_seq;
	k.start_ms = real_ms();
	memcpy(k.container, c->man->container, sizeof(k.container));
	k.n_keys = c->man->n_keys;
	memcpy(k.key, c->man->key, sizeof(k.key));
	if (pt_clip_keyrec_sign(c->signer, &k, msg, sizeof(msg), &n) != PT_OK ||
	    spool_write(c->dir, CAM_SPOOL_KEYREC, msg, n) != 0 || fsync_dir(c->dir) != 0) {
		camlog(CAMLOG_ERR, "event=clip clip=%s error=\"cannot sign or spool the key record:"
				   " %s\" note=\"a clip cut short will not open without its manifest\"",
		       c->hex, strerror(errno));
		return;
	}
	camlog(CAMLOG_DEBUG, "event=keyrec clip=%s bytes=%zu", c->hex, n);
}

static void
clip_start(struct clips *c, const struct pt_clip_mark *m, int wfd)
{
	uint64_t now = cam_mono_ms();
	size_t i;

	clip_reset(c);
	memset(c->man, 0, sizeof(*c->man));
	clip_id_remember(c, m->clip);
	pt_clip_id_text(m->clip, c->hex);
	if (snprintf(c->dir, sizeof(c->dir), "%s/%s", c->cfg->spool, c->hex) >= (int)sizeof(c->dir) ||
	    (mkdir(c->dir, 0700) != 0 && errno != EEXIST)) {
		camlog(CAMLOG_ERR, "event=clip clip=%s error=\"cannot create '%s': %s\"", c->hex,
		       c->dir, strerror(errno));
		return;
	}
	if ((c->key = pt_clip_key_new()) == NULL) {
		camlog(CAMLOG_ERR, "event=clip clip=%s error=\"out of memory\"", c->hex);
		return;
	}
	for (i = 0; i < c->cfg->n_owners; i++) {
		struct pt_clip_recipient *rc = &c->man->key[i];
		pt_kid(pt_crypto_sodium(), c->cfg->owner_pk[i], rc->kid);
		if (pt_clip_key_seal(c->key, c->cfg->owner_pk[i], rc->sealed) != PT_OK) {
			camlog(CAMLOG_ERR, "event=clip clip=%s error=\"cannot seal to owner %zu\"",
			       c->hex, i);
			clip_reset(c);
			return;
		}
	}
	c->man->n_keys = c->cfg->n_owners;
	memcpy(c->man->camera, c->cfg->id, sizeof(c->man->camera));
	memcpy(c->man->clip, m->clip, PT_CLIP_ID_LEN);
	c->man->start_seq = m->event_seq;
	memcpy(c->man->container, "mp4", 4);
	keyrec_spool(c);
	c->mark = *m;
	c->state = CLIP_WAITING;
	c->started_ms = now;
	c->begun = wfd >= 0;
	send_worker(wfd, CAM_MSG_CLIP_BEGIN);
	camlog(CAMLOG_INFO, "event=clip_start clip=%s seq=%llu owners=%zu", c->hex,
	       (unsigned long long)m->event_seq, c->man->n_keys);
}

/* Sign and spool the manifest: the clip is complete. */
static void
clip_close(struct clips *c, bool cut_short)
{
	size_t n, i;
	uint64_t total = 0;

	if (c->man->n_segments == 0) {
		camlog(CAMLOG_WARN, "event=clip_empty clip=%s note=\"no video was recorded\"", c->hex);
		spool_drop_keyrec(c);
		(void)rmdir(c->dir);
		clip_reset(c);
		return;
	}
	for (i = 0; i < c->man->n_segments; i++)
		total += c->man->seg[i].duration_ms;
	c->man->end_seq = c->have_end && !cut_short ? c->end_seq : 0;
	c->man->start_ms = c->open_real_ms > c->man->preroll_ms ? c->open_real_ms - c->man->preroll_ms
								  : c->open_real_ms;
	c->man->end_ms = c->man->start_ms + total;
	c->man->postroll_ms = c->man->end_seq != 0 ? c->cfg->postroll_ms : 0;
	if (pt_clip_manifest_sign(c->signer, c->man, c->msg, PT_CLIP_MANIFEST_MAX, &n) != PT_OK ||
	    spool_write(c->dir, "manifest", c->msg, n) != 0 || fsync_dir(c->dir) != 0) {
		camlog(CAMLOG_ERR, "event=clip clip=%s error=\"cannot sign or spool the manifest: %s\"",
		       c->hex, strerror(errno));
	} else {
		camlog(CAMLOG_INFO, "event=clip_closed clip=%s segments=%zu duration_ms=%llu"
				    " preroll_ms=%u postroll_ms=%u end_seq=%llu manifest_bytes=%zu%s",
		       c->hex, c->man->n_segments, (unsigned long long)total, c->man->preroll_ms,
		       c->man->postroll_ms, (unsigned long long)c->man->end_seq, n,
		       cut_short ? " cut_short=1" : "");
	}
	clip_reset(c);
	c->closed++;
}

/* One whole segment: seal, hash, sign, spool. */
static int
segment_done(struct clips *c, uint32_t duration_ms)
{
	struct pt_clip_segment *sg;
	uint8_t sig[PT_SIG_LEN], *sealed;
	char name[32];
	size_t cap, slen;
	uint32_t idx = (uint32_t)c->man->n_segments;
	int r = -1;

	if (c->man->n_segments >= PT_CLIP_SEGMENTS_MAX || c->plain_len == 0)
		return -1;
	cap = pt_seg_sealed_size(c->plain_len);
	if (cap == 0 || cap > PT_CLIP_SEGMENT_SIZE_MAX || (sealed = malloc(cap)) == NULL)
		return -1;
	sg = &c->man->seg[idx];
	if (pt_seg_seal(c->key, c->mark.clip, idx, c->plain, c->plain_len, sealed, &slen) != PT_OK)
		goto out;
	pt_wipe(c->plain, c->plain_len);
	pt_crypto_sodium()->sha256(sg->sha256, sealed, slen);
	if (pt_clip_segment_sign(c->signer, c->mark.clip, idx, sg->sha256, sig) != PT_OK)
		goto out;
	(void)snprintf(name, sizeof(name), "%06u.sig", idx);
	if (spool_write(c->dir, name, sig, sizeof(sig)) != 0)
		goto out;
	(void)snprintf(name, sizeof(name), "%06u.seg", idx);
	if (spool_write(c->dir, name, sealed, slen) != 0 || fsync_dir(c->dir) != 0)
		goto out;
	sg->index = idx;
	sg->duration_ms = duration_ms;
	sg->size = (uint32_t)slen;
	c->man->n_segments++;
	camlog(CAMLOG_DEBUG, "event=segment clip=%s index=%u plain=%zu sealed=%zu duration_ms=%u",
	       c->hex, idx, c->plain_len, slen, duration_ms);
	r = 0;
out:
	if (r != 0)
		camlog(CAMLOG_ERR, "event=segment clip=%s index=%u error=\"cannot seal or spool: %s\"",
		       c->hex, idx, strerror(errno));
	pt_wipe(c->plain, c->plain_len);
	c->plain_len = 0;
	free(sealed);
	return r;
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

bool
clips_worker_msg(struct clips *c, const uint8_t *p, size_t n)
{
	if (n == 0)
		return false;
	switch (p[0]) {
	case CAM_MSG_CLIP_OPEN:
		if (n != 5 || c->state != CLIP_WAITING)
			return false;
		c->state = CLIP_RECORDING;
		c->open_real_ms = real_ms();
		c->man->preroll_ms = get32(p + 1) > c->cfg->preroll_ms + 60000u
					     ? c->cfg->preroll_ms : get32(p + 1);
		return true;
	case CAM_MSG_CLIP_DATA:
		if (c->state != CLIP_RECORDING)
			return false;
		if (n < 2 || n > CAM_MSG_MAX || c->plain_len + n - 1 > CAM_SEGMENT_PLAIN_MAX) {
			camlog(CAMLOG_ERR, "event=segment clip=%s error=\"a chunk too large, or the"
					   " segment over %u bytes\"", c->hex, CAM_SEGMENT_PLAIN_MAX);
			c->seg_bad = true;	/* never seal a segment with a hole */
			return false;
		}
		if (c->plain_len + n - 1 > c->plain_cap) {
			size_t cap = c->plain_cap ? c->plain_cap : 1024u * 1024u;
			uint8_t *q;
			while (cap < c->plain_len + n - 1)
				cap *= 2;
			/* Not realloc: the old copy of plaintext must be wiped. */
			if ((q = malloc(cap)) == NULL) {
				c->seg_bad = true;
				return false;
			}
			if (c->plain != NULL) {
				memcpy(q, c->plain, c->plain_len);
				pt_wipe(c->plain, c->plain_cap);
				free(c->plain);
			}
			c->plain = q;
			c->plain_cap = cap;
		}
		memcpy(c->plain + c->plain_len, p + 1, n - 1);
		c->plain_len += n - 1;
		return true;
	case CAM_MSG_CLIP_SEGMENT:
		if (n != 6 || p[5] > 2)
			return false;
		if (p[5] == 2) {	/* FINISH before anything was recorded */
			if (c->state != CLIP_WAITING)
				return false;
			clip_close(c, true);
			return true;
		}
		if (c->state != CLIP_RECORDING)
			return false;
		if (c->seg_bad) {
			camlog(CAMLOG_ERR, "event=segment clip=%s error=\"the segment lost a chunk:"
					   " the clip ends before it\"", c->hex);
			pt_wipe(c->plain, c->plain_len);
			c->plain_len = 0;
			clip_close(c, true);
			return true;
		}
		if (segment_done(c, get32(p + 1)) != 0) {
			clip_close(c, true);
			return true;
		}
		if (p[5] == 1)
			clip_close(c, false);
		return true;
	default:
		return false;
	}
}

/* Was this clip id started before: in this run, or in the spool (being
 * uploaded, or refused by the server)? */
static bool
clip_id_used(const struct clips *c, const uint8_t id[PT_CLIP_ID_LEN], const char *hex)
{
	char path[CAM_PATH_MAX + 64];
	struct stat st;
	size_t i;

	for (i = 0; i < c->n_recent; i++)
		if (memcmp(c->recent[i], id, PT_CLIP_ID_LEN) == 0)
			return true;
	(void)snprintf(path, sizeof(path), "%s/%s", c->cfg->spool, hex);
	if (lstat(path, &st) == 0 || errno != ENOENT)
		return true;
	(void)snprintf(path, sizeof(path), "%s/" CAM_SPOOL_REFUSED "/%s", c->cfg->spool, hex);
	return lstat(path, &st) == 0 || errno != ENOENT;
}

void
clips_on_marks(struct clips *c, int wfd)
{
	uint8_t buf[PT_CLIP_MARK_MAX + 1];
	struct pt_clip_mark m;
	char hex[2 * PT_CLIP_ID_LEN + 1];
	ssize_t n;

	for (;;) {
		n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return;
		if (pt_clip_mark_decode(buf, (size_t)n, &m) != PT_OK) {
			camlog(CAMLOG_WARN, "event=mark result=refused bytes=%zd", n);
			continue;
		}
		pt_clip_id_text(m.clip, hex);
		camlog(CAMLOG_INFO, "event=mark kind=%s clip=%s seq=%llu",
		       m.kind == PT_CLIP_MARK_START ? "start" : "end", hex,
		       (unsigned long long)m.event_seq);
		if (m.kind == PT_CLIP_MARK_START) {
			if (c->state != CLIP_IDLE && memcmp(m.clip, c->mark.clip, PT_CLIP_ID_LEN) == 0)
				continue;	/* the same START again */
			if ((c->have_pending && memcmp(m.clip, c->pending.clip, PT_CLIP_ID_LEN) == 0))
				continue;	/* the pending START again */
			if (clip_id_used(c, m.clip, hex)) {
				/* A repeated or forged START: a new key would replace
				 * files not yet uploaded, or be refused forever. */
				camlog(CAMLOG_WARN, "event=mark result=refused clip=%s reason=\"the clip"
						    " id was used before (spool or recent clips)\"", hex);
				continue;
			}
			if (c->state != CLIP_IDLE) {
				/* Another session: close this one now, then start. */
				c->pending = m;
				c->have_pending = true;
				if (!c->finish_sent) {
					send_worker(wfd, CAM_MSG_CLIP_FINISH);
					c->finish_sent = true;
				}
				continue;
			}
			clip_start(c, &m, wfd);
		} else {
			if (c->state == CLIP_IDLE || memcmp(m.clip, c->mark.clip, PT_CLIP_ID_LEN) != 0 ||
			    c->have_end) {
				camlog(CAMLOG_INFO, "event=mark result=ignored clip=%s note=\"not the"
						    " clip being recorded\"", hex);
				continue;
			}
			c->have_end = true;
			c->end_seq = m.event_seq;
			c->finish_at_ms = cam_mono_ms() + c->cfg->postroll_ms;
		}
	}
}

void
clips_tick(struct clips *c, uint64_t now, int wfd)
{
	if (c->state == CLIP_IDLE) {
		if (c->have_pending) {
			c->have_pending = false;
			clip_start(c, &c->pending, wfd);
		}
		return;
	}
	if (!c->begun && wfd >= 0) {	/* START came while no worker ran */
		c->begun = true;
		send_worker(wfd, CAM_MSG_CLIP_BEGIN);
	}
	if (c->finish_sent)
		return;
	if ((c->have_end && now >= c->finish_at_ms) || now - c->started_ms >= c->cfg->max_length_ms) {
		if (!c->have_end)
			camlog(CAMLOG_WARN, "event=clip clip=%s note=\"no END within clips.max_length\"",
			       c->hex);
		if (wfd < 0) {
			/* No worker (the source is down): nothing more will come. */
			clip_close(c, !c->have_end);
			return;
		}
		send_worker(wfd, CAM_MSG_CLIP_FINISH);
		c->finish_sent = true;
	}
}

uint64_t
clips_next_ms(const struct clips *c)
{
	if (c->state == CLIP_IDLE)
		return c->have_pending ? 0 : UINT64_MAX;
	if (c->finish_sent)
		return UINT64_MAX;
	if (c->have_end)
		return c->finish_at_ms;
	return c->started_ms + c->cfg->max_length_ms;
}

void
clips_worker_gone(struct clips *c)
{
	if (c->state == CLIP_IDLE)
		return;
	if (c->state == CLIP_WAITING) {
		/* Nothing recorded yet: the next worker begins it (and is told
		 * to finish it if that time has come). */
		c->begun = false;
		c->finish_sent = false;
		return;
	}
	camlog(CAMLOG_WARN, "event=clip clip=%s note=\"the input worker ended: the clip is cut"
			    " short\"", c->hex);
	c->plain_len = 0;
	clip_close(c, true);
}

void
clips_close(struct clips *c)
{
	if (c->state == CLIP_RECORDING)
		clip_close(c, true);
	else if (c->state == CLIP_WAITING) {
		spool_drop_keyrec(c);
		(void)rmdir(c->dir);	/* nothing recorded: no empty directory left */
	}
	clip_reset(c);
	if (c->fd >= 0) {
		close(c->fd);
		(void)unlink(c->cfg->marks);
	}
	c->fd = -1;
	free(c->man);
	free(c->msg);
	c->man = NULL;
	c->msg = NULL;
}
