/*
 * porter-cam's clips, monitor side (docs/cam.md, "Clips"): the hub's
 * marks, the clip key, sealing, signing and the spool.
 *
 * The marks socket (clips.marks, a Unix datagram socket, mode 0660)
 * takes the hub's START and END (porter/clip.h, pt_clip_mark_decode).
 * START makes a fresh clip key (guarded memory, this process only),
 * seals it to every owner in clips.owners and in the hub's last owners
 * message (porter/cam_owners.h, with live.hub_key), and tells the worker to
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

/*
 * ==== the owner keys from the hub (porter/cam_owners.h; docs/cam.md,
 * "Owner keys from the hub") ====
 *
 * With live.hub_key set, the hub's signed owners message on the marks
 * socket adds its keys to clips.owners for the clips started after it.
 * The last accepted message is kept in <state_dir>/hub-owners (0600) and
 * opened again at start, so its serial survives a restart: an older
 * message replayed on the socket cannot roll the set back (and bring back
 * a key the hub has dropped).
 */
_Static_assert(PT_CAM_OWNERS_MSG_MAX >= PT_LIVE_ORDER_MAX && PT_CAM_OWNERS_MSG_MAX >= PT_CLIP_MARK_MAX,
	       "the marks socket's buffer holds each kind of datagram");
_Static_assert(CAM_OWNERS_MAX == PT_CLIP_RECIPIENTS_MAX, "clips.owners fits a key record");

static bool
pk_in(const uint8_t (*set)[PT_PK_LEN], size_t n, const uint8_t pk[PT_PK_LEN])
{
	size_t i;

	for (i = 0; i < n; i++)
		if (memcmp(set[i], pk, PT_PK_LEN) == 0)
			return true;
	return false;
}

/* "kid,kid,...": key ids (not secret) for the log. */
static void
kids_text(const uint8_t (*pk)[PT_PK_LEN], size_t n, char *out, size_t cap)
{
	static const char digits[] = "0123456789abcdef";
	uint8_t kid[PT_KID_LEN];
	char hex[2 * PT_KID_LEN + 1];
	size_t i, j, off = 0;

	out[0] = '\0';
	for (i = 0; i < n; i++) {
		int w;
		pt_kid(pt_crypto_sodium(), pk[i], kid);
		for (j = 0; j < PT_KID_LEN; j++) {
			hex[2 * j] = digits[kid[j] >> 4];
			hex[2 * j + 1] = digits[kid[j] & 15];
		}
		hex[2 * PT_KID_LEN] = '\0';
		w = snprintf(out + off, cap - off, "%s%s", i > 0 ? "," : "", hex);
		if (w < 0 || (size_t)w >= cap - off)
			return;
		off += (size_t)w;
	}
}

/* clips.owners first, then the hub's keys not among them, up to the cap. */
static void
seal_set(struct clips *c)
{
	const struct cam_config *cfg = c->cfg;
	uint8_t left[PT_CAM_OWNERS_MAX][PT_PK_LEN];
	char kids[PT_CAM_OWNERS_MAX * (2 * PT_KID_LEN + 1) + 1];
	size_t i, n_left = 0;

	c->n_seal = 0;
	for (i = 0; i < cfg->n_owners && c->n_seal < PT_CLIP_RECIPIENTS_MAX; i++)
		memcpy(c->seal_pk[c->n_seal++], cfg->owner_pk[i], PT_PK_LEN);
	for (i = 0; c->hub_have && i < c->hub.n; i++) {
		if (pk_in((const uint8_t(*)[PT_PK_LEN])c->seal_pk, c->n_seal, c->hub.pk[i]))
			continue;
		if (c->n_seal < PT_CLIP_RECIPIENTS_MAX)
			memcpy(c->seal_pk[c->n_seal++], c->hub.pk[i], PT_PK_LEN);
		else
			memcpy(left[n_left++], c->hub.pk[i], PT_PK_LEN);
	}
	if (n_left > 0) {
		kids_text((const uint8_t(*)[PT_PK_LEN])left, n_left, kids, sizeof(kids));
		camlog(CAMLOG_WARN, "event=hub_owners note=\"a clip holds %d keys: clips.owners"
				    " first, these of the hub's are left out\" left_out=%s",
		       PT_CLIP_RECIPIENTS_MAX, kids);
	}
}

/* Open and check a message (not its serial): NULL, or why not. */
static const char *
hub_owners_check(const struct clips *c, const uint8_t *p, size_t n, struct pt_cam_owners *o)
{
	size_t i;
	int r;

	if (!c->cfg->live_on)
		return "no-hub-key";
	r = pt_cam_owners_open(pt_crypto_sodium(), c->cfg->hub_pk, p, n, o);
	if (r == PT_EUNTRUSTED)
		return "other-hub";
	if (r == PT_EBADSIG)
		return "bad-signature";
	if (r == PT_ETOOBIG)
		return "too-large";
	if (r != PT_OK)
		return "malformed";
	if (strcmp(o->camera, c->cfg->id) != 0)
		return "other-camera";
	for (i = 0; i < o->n; i++)
		if (!pt_pk_is_valid(o->pk[i]))
			return "bad-owner-key";	/* it could not be sealed to */
	return NULL;
}

static void
hub_owners_take(struct clips *c, const struct pt_cam_owners *o, const uint8_t *p, size_t n,
		const char *how)
{
	char kids[PT_CAM_OWNERS_MAX * (2 * PT_KID_LEN + 1) + 1];

	c->hub = *o;
	c->hub_have = true;
	memcpy(c->hub_msg, p, n);
	c->hub_msg_len = n;
	seal_set(c);
	kids_text((const uint8_t(*)[PT_PK_LEN])o->pk, o->n, kids, sizeof(kids));
	camlog(CAMLOG_INFO, "event=hub_owners result=%s hub=%s serial=%llu owners=%zu keys=%s"
			    " sealing_to=%zu", how, o->hub, (unsigned long long)o->serial, o->n, kids,
	       c->n_seal);
}

/* At start: the message kept by the last run, checked again (the hub key
 * may have changed since). */
static void
hub_owners_load(struct clips *c)
{
	struct pt_cam_owners o;
	uint8_t buf[PT_CAM_OWNERS_MSG_MAX + 1];
	char path[CAM_PATH_MAX + 64];
	const char *why;
	ssize_t n;
	int fd;

	if (!c->cfg->live_on ||
	    snprintf(path, sizeof(path), "%s/" CAM_HUB_OWNERS_FILE, c->cfg->state_dir) >=
		    (int)sizeof(path))
		return;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0) {
		if (errno != ENOENT)
			camlog(CAMLOG_WARN, "event=hub_owners result=ignored file=\"%s\" error=\"%s\"",
			       path, strerror(errno));
		return;
	}
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n < 0) {
		camlog(CAMLOG_WARN, "event=hub_owners result=ignored file=\"%s\" error=\"%s\"", path,
		       strerror(errno));
		return;
	}
	if ((why = hub_owners_check(c, buf, (size_t)n, &o)) != NULL) {
		camlog(CAMLOG_WARN, "event=hub_owners result=ignored file=\"%s\" reason=%s", path, why);
		return;
	}
	hub_owners_take(c, &o, buf, (size_t)n, "loaded");
}

/*
 * Each message costs an Ed25519 verify on the monitor loop: at most
 * OWNERS_PER_S a second are looked at, the rest dropped unverified; a
 * refusal is one log line a second at most, the others counted in it.
 * The monitor is one thread: file scope is its.
 */
#define OWNERS_PER_S 5u

static struct {
	uint64_t win_ms;
	unsigned n;
	unsigned long long quiet;	/* refusals not logged since the last line */
	uint64_t logged_ms;
} owners_rl;

static void
hub_owners_refused(const char *reason, size_t bytes, uint64_t serial)
{
	uint64_t now = cam_mono_ms();

	if (owners_rl.logged_ms != 0 && now - owners_rl.logged_ms < 1000u) {
		owners_rl.quiet++;
		return;
	}
	camlog(CAMLOG_WARN, "event=hub_owners result=refused reason=%s serial=%llu bytes=%zu"
			    " dropped=%llu", reason, (unsigned long long)serial, bytes,
	       owners_rl.quiet);
	owners_rl.logged_ms = now != 0 ? now : 1;
	owners_rl.quiet = 0;
}

static void
hub_owners_msg(struct clips *c, const uint8_t *p, size_t n)
{
	struct pt_cam_owners o;
	char dir[CAM_PATH_MAX];
	const char *why;
	uint64_t now = cam_mono_ms();

	if (owners_rl.win_ms == 0 || now - owners_rl.win_ms >= 1000u) {
		owners_rl.win_ms = now != 0 ? now : 1;
		owners_rl.n = 0;
	}
	if (owners_rl.n >= OWNERS_PER_S) {
		hub_owners_refused("rate-limited", n, 0);
		return;
	}
	owners_rl.n++;
	if ((why = hub_owners_check(c, p, n, &o)) != NULL) {
		hub_owners_refused(why, n, o.serial);
		return;
	}
	if (c->hub_have && o.serial <= c->hub.serial) {
		/* The hub sends its current message again every minute. */
		if (n == c->hub_msg_len && memcmp(p, c->hub_msg, n) == 0) {
			camlog(CAMLOG_DEBUG, "event=hub_owners result=unchanged serial=%llu",
			       (unsigned long long)o.serial);
			return;
		}
		hub_owners_refused("replayed", n, o.serial);
		return;
	}
	/* Kept before it is used: a restart then knows its serial. */
	memcpy(dir, c->cfg->state_dir, sizeof(dir));
	if (spool_write(dir, CAM_HUB_OWNERS_FILE, p, n) != 0 || fsync_dir(dir) != 0)
		camlog(CAMLOG_ERR, "event=hub_owners error=\"cannot keep it in '%s': %s\" note=\"used"
				   " until the next restart only\"", dir, strerror(errno));
	hub_owners_take(c, &o, p, n, "accepted");
}

static void clip_ids_load(struct clips *c);

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
	seal_set(c);
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
	hub_owners_load(c);
	clip_ids_load(c);
	camlog(CAMLOG_INFO, "event=clips marks=\"%s\" spool=\"%s\" owners=%zu server=\"%s\""
			    " hub_owners=%s", cfg->marks, cfg->spool, c->n_seal, cfg->server,
	       cfg->live_on ? "on" : "off");
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
 * The recent clip ids survive a restart in <state_dir>/clip-ids (0600):
 * one id a line, 32 lowercase hex digits and '\n', oldest first, at most
 * CLIPS_RECENT lines (8448 bytes). Written whole (temporary name, fsync,
 * rename, directory fsync) at every START, before the clip's key is made:
 * once a clip can reach porterd its id is on disk, so a START for it
 * after a restart is refused as one from this run is, instead of making
 * a clip porterd refuses (409) for good.
 */
#define CLIP_IDS_LINE (2 * PT_CLIP_ID_LEN + 1)
#define CLIP_IDS_MAX (CLIPS_RECENT * CLIP_IDS_LINE)

/* 0, or -1 with errno (logged by the caller). */
static int
clip_ids_save(const struct clips *c)
{
	char buf[CLIP_IDS_MAX], dir[CAM_PATH_MAX];
	size_t i, k, n = 0;

	if (c->cfg->state_dir[0] == '\0')
		return 0;	/* no state directory (a harness): this run only */
	for (i = 0; i < c->n_recent; i++) {
		k = (c->recent_next + CLIPS_RECENT - c->n_recent + i) % CLIPS_RECENT;
		pt_clip_id_text(c->recent[k], buf + n);
		buf[n + 2 * PT_CLIP_ID_LEN] = '\n';
		n += CLIP_IDS_LINE;
	}
	memcpy(dir, c->cfg->state_dir, sizeof(dir));
	if (spool_write(dir, CAM_CLIP_IDS_FILE, (const uint8_t *)buf, n) != 0)
		return -1;
	return fsync_dir(dir);
}

/* At start: the ids of earlier runs. A damaged file (a line that is not
 * an id, or too long) is logged and its ids up to the damage are kept;
 * none is invented. */
static void
clip_ids_load(struct clips *c)
{
	char buf[CLIP_IDS_MAX + 1], path[CAM_PATH_MAX + 64], line[CLIP_IDS_LINE];
	uint8_t id[PT_CLIP_ID_LEN];
	size_t len = 0, off;
	ssize_t n;
	int fd;

	if (c->cfg->state_dir[0] == '\0' ||
	    snprintf(path, sizeof(path), "%s/" CAM_CLIP_IDS_FILE, c->cfg->state_dir) >=
		    (int)sizeof(path))
		return;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0) {
		if (errno != ENOENT)
			camlog(CAMLOG_ERR, "event=clip_ids result=unreadable file=\"%s\" error=\"%s\"",
			       path, strerror(errno));
		return;
	}
	while (len < sizeof(buf)) {
		n = read(fd, buf + len, sizeof(buf) - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	for (off = 0; off + CLIP_IDS_LINE <= len && off < CLIP_IDS_MAX; off += CLIP_IDS_LINE) {
		memcpy(line, buf + off, 2 * PT_CLIP_ID_LEN);
		line[2 * PT_CLIP_ID_LEN] = '\0';
		if (buf[off + 2 * PT_CLIP_ID_LEN] != '\n' || pt_clip_id_parse(line, id) != PT_OK)
			break;
		pt_clip_id_text(id, line);	/* lowercase only: what this code writes */
		if (memcmp(line, buf + off, 2 * PT_CLIP_ID_LEN) != 0)
			break;
		clip_id_remember(c, id);
	}
	if (off != len)
		camlog(CAMLOG_ERR, "event=clip_ids result=damaged file=\"%s\" bytes=%zu kept=%zu"
				   " note=\"ids after the damage are forgotten\"", path, len, c->n_recent);
	else
		camlog(CAMLOG_INFO, "event=clip_ids result=loaded ids=%zu", c->n_recent);
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
	if (clip_ids_save(c) != 0)
		camlog(CAMLOG_ERR, "event=clip_ids clip=%s error=\"cannot write '%s/" CAM_CLIP_IDS_FILE
				   "': %s\" note=\"this id is remembered until the next restart only\"",
		       c->hex, c->cfg->state_dir, strerror(errno));
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
	for (i = 0; i < c->n_seal; i++) {
		struct pt_clip_recipient *rc = &c->man->key[i];
		pt_kid(pt_crypto_sodium(), c->seal_pk[i], rc->kid);
		if (pt_clip_key_seal(c->key, c->seal_pk[i], rc->sealed) != PT_OK) {
			camlog(CAMLOG_ERR, "event=clip clip=%s error=\"cannot seal to owner %zu\"",
			       c->hex, i);
			clip_reset(c);
			return;
		}
	}
	c->man->n_keys = c->n_seal;
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

/* Was this clip id started before: among the last CLIPS_RECENT (this run
 * or earlier ones, <state_dir>/clip-ids), or in the spool (being
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
	uint8_t buf[PT_CAM_OWNERS_MSG_MAX + 1];
	struct pt_clip_mark m;
	char hex[2 * PT_CLIP_ID_LEN + 1];
	ssize_t n;

	for (;;) {
		n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return;
		if (c->live != NULL && pt_live_is_order(buf, (size_t)n)) {
			live_order(c->live, buf, (size_t)n, wfd);
			continue;
		}
		if (pt_cam_owners_is_msg(buf, (size_t)n)) {
			hub_owners_msg(c, buf, (size_t)n);
			continue;
		}
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

/* ==== live view, monitor side (docs/cam.md, "Live view"; clips.h) ==== */

static void
lput32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void
lput64(uint8_t *p, uint64_t v)
{
	lput32(p, (uint32_t)(v >> 32));
	lput32(p + 4, (uint32_t)v);
}

static uint64_t
lget64(const uint8_t *p)
{
	return (uint64_t)get32(p) << 32 | get32(p + 4);
}

void
live_init(struct live *l, const struct cam_config *cfg, const struct pt_signer *signer)
{
	memset(l, 0, sizeof(*l));
	l->cfg = cfg;
	l->signer = signer;
	l->up = -1;
	if (cfg->live_on)
		camlog(CAMLOG_INFO, "event=live sessions=%u fragment_ms=%u", cfg->live_sessions,
		       cfg->live_fragment_ms);
}

static size_t
live_active(const struct live *l)
{
	size_t i, n = 0;

	for (i = 0; i < LIVE_SESSIONS_MAX; i++)
		n += l->s[i].used;
	return n;
}

static void
out_free(struct live *l, size_t i)
{
	free(l->q[i].p);
	memmove(&l->q[i], &l->q[i + 1], (l->nq - i - 1) * sizeof(l->q[0]));
	l->nq--;
}

static struct live_sess *
sess_find(struct live *l, const uint8_t id[PT_LIVE_ID_LEN])
{
	size_t i;

	for (i = 0; i < LIVE_SESSIONS_MAX; i++)
		if (l->s[i].used && memcmp(l->s[i].id, id, PT_LIVE_ID_LEN) == 0)
			return &l->s[i];
	return NULL;
}

/* A frame for the uploader; takes p (malloc'd). A fragment replaces the
 * oldest of its session's that is still waiting when LIVE_PENDING_MAX
 * wait already: live view does not catch up. */
static void
enqueue(struct live *l, uint8_t *p, size_t len, const uint8_t session[PT_LIVE_ID_LEN],
	bool fragment)
{
	struct live_sess *s = sess_find(l, session);
	size_t i, waiting = 0, oldest = SIZE_MAX, any = SIZE_MAX;

	for (i = 0; i < l->nq; i++) {
		if (!l->q[i].fragment || l->q[i].off > 0)
			continue;
		if (any == SIZE_MAX)
			any = i;
		if (memcmp(l->q[i].session, session, PT_LIVE_ID_LEN) == 0) {
			waiting++;
			if (oldest == SIZE_MAX)
				oldest = i;
		}
	}
	if (fragment && waiting >= LIVE_PENDING_MAX) {
		out_free(l, oldest);
		if (s != NULL)
			s->dropped++;
	}
	if (l->nq == LIVE_QUEUE_MAX && any != SIZE_MAX && fragment) {
		struct live_sess *o = sess_find(l, l->q[any].session);
		out_free(l, any);
		if (o != NULL)
			o->dropped++;
	}
	if (l->nq == LIVE_QUEUE_MAX) {
		free(p);
		if (s != NULL)
			s->dropped++;
		return;
	}
	l->q[l->nq].p = p;
	l->q[l->nq].len = len;
	l->q[l->nq].off = 0;
	l->q[l->nq].fragment = fragment;
	memcpy(l->q[l->nq].session, session, PT_LIVE_ID_LEN);
	l->nq++;
	live_flush(l);
}

/* type || session || body, framed. */
static void
enqueue_simple(struct live *l, uint8_t type, const uint8_t session[PT_LIVE_ID_LEN],
	       const uint8_t *body, size_t blen)
{
	size_t len = 4 + 1 + PT_LIVE_ID_LEN + blen;
	uint8_t *p = malloc(len);

	if (p == NULL)
		return;
	lput32(p, (uint32_t)(len - 4));
	p[4] = type;
	memcpy(p + 5, session, PT_LIVE_ID_LEN);
	if (blen > 0)
		memcpy(p + 5 + PT_LIVE_ID_LEN, body, blen);
	enqueue(l, p, len, session, false);
}

static void
live_stop_muxer(struct live *l, int wfd)
{
	if (wfd < 0 && l->muxing)
		return;	/* live_tick stops it, with the worker's socket */
	if (l->muxing)
		send_worker(wfd, CAM_MSG_LIVE_STOP);
	l->muxing = false;
	free(l->init);
	l->init = NULL;
	l->init_len = 0;
}

/* The session ends: nothing more is sealed for it, its waiting fragments
 * go, its key is wiped; the worker's muxer stops with the last one. */
static void
sess_end(struct live *l, struct live_sess *s, const char *reason, bool tell_uploader, int wfd)
{
	size_t i;

	camlog(CAMLOG_INFO, "event=live_end session=%s reason=%s fragments=%llu dropped=%llu",
	       s->hex, reason, (unsigned long long)s->sent, (unsigned long long)s->dropped);
	for (i = l->nq; i-- > 0;)
		if (l->q[i].off == 0 && memcmp(l->q[i].session, s->id, PT_LIVE_ID_LEN) == 0)
			out_free(l, i);
	if (tell_uploader && l->up >= 0) {
		uint8_t id[PT_LIVE_ID_LEN];
		memcpy(id, s->id, sizeof(id));
		pt_clip_key_free(s->key);
		memset(s, 0, sizeof(*s));
		enqueue_simple(l, 'X', id, NULL, 0);
	} else {
		pt_clip_key_free(s->key);
		memset(s, 0, sizeof(*s));
	}
	if (live_active(l) == 0)
		live_stop_muxer(l, wfd);
}

static void
end_all(struct live *l, const char *reason, bool tell_uploader, int wfd)
{
	size_t i;

	for (i = 0; i < LIVE_SESSIONS_MAX; i++)
		if (l->s[i].used)
			sess_end(l, &l->s[i], reason, tell_uploader, wfd);
}

static void
uploader_lost(struct live *l, const char *why)
{
	size_t i;

	camlog(CAMLOG_WARN, "event=live error=\"the uploader's socket: %s\"", why);
	if (l->up >= 0)
		close(l->up);
	l->up = -1;
	for (i = l->nq; i-- > 0;)
		out_free(l, i);
	/* The worker socket is not known here: the muxer stops at the next
	 * tick (live_tick sees no session). */
	for (i = 0; i < LIVE_SESSIONS_MAX; i++)
		if (l->s[i].used)
			sess_end(l, &l->s[i], "uploader-gone", false, -1);
}

bool
live_wants_write(const struct live *l)
{
	return l->up >= 0 && l->nq > 0;
}

void
live_flush(struct live *l)
{
	ssize_t n;

	while (l->up >= 0 && l->nq > 0) {
		struct live_out *o = &l->q[0];
		n = send(l->up, o->p + o->off, o->len - o->off, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			uploader_lost(l, n < 0 ? strerror(errno) : "closed");
			return;
		}
		o->off += (size_t)n;
		if (o->off == o->len) {
			struct live_sess *s = o->fragment ? sess_find(l, o->session) : NULL;
			if (s != NULL)
				s->sent++;
			out_free(l, 0);
		}
	}
}

/* Seal, head, sign one fragment for one session and queue it. */
static void
seal_send(struct live *l, struct live_sess *s, uint64_t capture, uint32_t duration,
	  const uint8_t *bytes, size_t len)
{
	struct pt_live_hdr h;
	uint8_t sha[PT_HASH_LEN], *plain, *frame;
	size_t plen = PT_LIVE_PREFIX_LEN + len, scap = pt_seg_sealed_size(plen), slen = 0, pre, flen;
	uint32_t index = s->next;

	pre = 4 + 1 + PT_LIVE_ID_LEN + 4 + PT_SIG_LEN;
	if (scap == 0 || PT_LIVE_HDR_LEN + scap > PT_LIVE_FRAGMENT_MAX) {
		camlog(CAMLOG_WARN, "event=live session=%s index=%u result=dropped bytes=%zu"
				    " note=\"over the fragment limit\"", s->hex, index, len);
		s->dropped++;
		return;
	}
	if ((plain = malloc(plen)) == NULL || (frame = malloc(pre + PT_LIVE_HDR_LEN + scap)) == NULL) {
		free(plain);
		s->dropped++;
		return;
	}
	lput64(plain, capture);
	lput32(plain + 8, duration);
	memcpy(plain + PT_LIVE_PREFIX_LEN, bytes, len);
	memset(&h, 0, sizeof(h));
	if (pt_seg_seal(s->key, s->id, index, plain, plen, frame + pre + PT_LIVE_HDR_LEN, &slen) !=
	    PT_OK)
		goto fail;
	memcpy(h.session, s->id, PT_LIVE_ID_LEN);
	h.index = index;
	h.capture_ms = capture;
	h.duration_ms = duration;
	h.sealed_len = (uint32_t)slen;
	if (pt_live_hdr_encode(&h, frame + pre) != PT_OK)
		goto fail;
	flen = PT_LIVE_HDR_LEN + slen;
	pt_crypto_sodium()->sha256(sha, frame + pre, flen);
	if (pt_live_fragment_sign(l->signer, s->id, index, sha, frame + 4 + 1 + PT_LIVE_ID_LEN + 4) !=
	    PT_OK)
		goto fail;
	lput32(frame, (uint32_t)(pre - 4 + flen));
	frame[4] = 'F';
	memcpy(frame + 5, s->id, PT_LIVE_ID_LEN);
	lput32(frame + 5 + PT_LIVE_ID_LEN, index);
	pt_wipe(plain, plen);
	free(plain);
	s->next = index + 1;
	camlog(CAMLOG_DEBUG, "event=live_sealed session=%s index=%u bytes=%zu", s->hex, index, flen);
	enqueue(l, frame, pre + flen, s->id, true);
	return;
fail:
	camlog(CAMLOG_ERR, "event=live session=%s index=%u error=\"cannot seal or sign\"", s->hex,
	       index);
	pt_wipe(plain, plen);
	free(plain);
	free(frame);
	s->dropped++;
}

static void
seen_prune(struct live *l, uint64_t now)
{
	size_t i, k = 0;

	for (i = 0; i < l->n_seen; i++)
		if (l->seen[i].expiry_ms > now)
			l->seen[k++] = l->seen[i];
	l->n_seen = k;
}

static bool
seen_has(const struct live *l, const uint8_t id[PT_LIVE_ID_LEN])
{
	size_t i;

	for (i = 0; i < l->n_seen; i++)
		if (memcmp(l->seen[i].id, id, PT_LIVE_ID_LEN) == 0)
			return true;
	return false;
}

/*
 * Orders (datagrams starting 0x82 on the marks socket) each cost an
 * Ed25519 verify on the monitor loop: at most ORDERS_PER_S a second are
 * looked at, the rest dropped before verifying and counted, in one log
 * line a second at most. The monitor is one thread: file scope is its.
 */
#define ORDERS_PER_S 10u

static struct {
	uint64_t win_ms;		/* monotonic start of this second */
	unsigned n;			/* orders looked at in it */
	unsigned long long dropped;	/* not looked at, not yet logged */
	uint64_t logged_ms;		/* last "dropped" line (0: none) */
} order_rl;

static bool
order_admit(size_t bytes)
{
	uint64_t now = cam_mono_ms();

	if (order_rl.win_ms == 0 || now - order_rl.win_ms >= 1000u) {
		order_rl.win_ms = now != 0 ? now : 1;
		order_rl.n = 0;
	}
	if (order_rl.n < ORDERS_PER_S) {
		order_rl.n++;
		return true;
	}
	order_rl.dropped++;
	if (order_rl.logged_ms == 0 || now - order_rl.logged_ms >= 1000u) {
		camlog(CAMLOG_WARN,
		       "event=live result=refused reason=rate-limited dropped=%llu bytes=%zu",
		       order_rl.dropped, bytes);
		order_rl.logged_ms = now != 0 ? now : 1;
		order_rl.dropped = 0;
	}
	return false;
}

void
live_order(struct live *l, const uint8_t *p, size_t n, int wfd)
{
	const struct cam_config *cfg = l->cfg;
	struct pt_live_order o;
	struct pt_live_keyrec k;
	struct live_sess *s = NULL;
	uint8_t rec[PT_LIVE_KEYREC_MAX];
	char hex[2 * PT_LIVE_ID_LEN + 1] = "-";
	const char *reason = NULL;
	uint64_t now = real_ms();
	size_t i, rl = 0;
	int r;

	if (!order_admit(n))
		return;
	if (!cfg->live_on) {
		camlog(CAMLOG_WARN, "event=live result=refused reason=live-off bytes=%zu", n);
		return;
	}
	r = pt_live_order_open(pt_crypto_sodium(), cfg->hub_pk, p, n, &o);
	if (r != PT_OK) {
		camlog(CAMLOG_WARN, "event=live result=refused reason=%s bytes=%zu",
		       r == PT_EBADSIG ? "bad-signature" : "malformed", n);
		return;
	}
	pt_live_id_text(o.session, hex);
	seen_prune(l, now);
	if (strcmp(o.camera, cfg->id) != 0)
		reason = "other-camera";
	else if (o.time_ms > now + LIVE_SKEW_MS || o.time_ms + LIVE_SKEW_MS < now)
		reason = "stale";
	else if (o.expiry_ms <= now)
		reason = "expired";
	else if (o.expiry_ms <= o.time_ms ||
		 o.expiry_ms - o.time_ms > (uint64_t)PT_LIVE_SECONDS_MAX * 1000u)
		reason = "too-long";
	else if (seen_has(l, o.session))
		reason = "replayed";
	else if (l->n_seen == LIVE_SEEN_MAX)
		reason = "busy";
	if (reason == NULL) {
		/* Remembered whatever comes next: an order is used once. */
		memcpy(l->seen[l->n_seen].id, o.session, PT_LIVE_ID_LEN);
		l->seen[l->n_seen].expiry_ms = o.expiry_ms;
		l->n_seen++;
		if (live_active(l) >= cfg->live_sessions)
			reason = "too-many";
		else if (l->up < 0)
			reason = "no-uploader";
	}
	for (i = 0; reason == NULL && i < LIVE_SESSIONS_MAX; i++)
		if (!l->s[i].used)
			s = &l->s[i];
	if (reason == NULL && (s == NULL || (s->key = pt_clip_key_new()) == NULL))
		reason = "out-of-memory";
	if (reason == NULL) {
		memset(&k, 0, sizeof(k));
		memcpy(k.camera, cfg->id, sizeof(k.camera));
		memcpy(k.session, o.session, PT_LIVE_ID_LEN);
		k.event_seq = o.event_seq;
		k.start_ms = now;
		k.expiry_ms = o.expiry_ms;
		memcpy(k.viewer_xpk, o.viewer_xpk, PT_LIVE_XPK_LEN);
		memcpy(k.container, "mp4", 4);
		if (pt_live_key_seal(s->key, o.viewer_xpk, k.sealed) != PT_OK)
			reason = "bad-viewer-key";
		else if (pt_live_keyrec_sign(l->signer, &k, rec, sizeof(rec), &rl) != PT_OK)
			reason = "cannot-sign";
		if (reason != NULL) {
			pt_clip_key_free(s->key);
			s->key = NULL;
		}
	}
	if (reason != NULL) {
		camlog(CAMLOG_WARN, "event=live result=refused reason=%s session=%s seq=%llu", reason,
		       hex, (unsigned long long)o.event_seq);
		return;
	}
	s->used = true;
	memcpy(s->id, o.session, PT_LIVE_ID_LEN);
	memcpy(s->hex, hex, sizeof(s->hex));
	s->expiry_ms = o.expiry_ms;
	s->next = 0;
	s->sent = s->dropped = 0;
	camlog(CAMLOG_INFO, "event=live result=started session=%s seq=%llu expires_in_ms=%llu",
	       hex, (unsigned long long)o.event_seq, (unsigned long long)(o.expiry_ms - now));
	{
		uint8_t kb[8 + PT_LIVE_KEYREC_MAX];
		lput64(kb, o.expiry_ms);
		memcpy(kb + 8, rec, rl);
		enqueue_simple(l, 'K', s->id, kb, 8 + rl);
	}
	if (l->muxing && l->init != NULL)
		seal_send(l, s, 0, 0, l->init, l->init_len);
	live_tick(l, wfd);
}

static void
frag_reset(struct live *l)
{
	if (l->frag != NULL)
		pt_wipe(l->frag, l->frag_len);
	l->frag_len = 0;
	l->frag_bad = false;
}

bool
live_worker_msg(struct live *l, const uint8_t *p, size_t n, int wfd)
{
	uint64_t capture;
	uint32_t duration;
	size_t i;

	if (n == 0 || !l->cfg->live_on)
		return false;
	if (p[0] == CAM_MSG_LIVE_DATA) {
		if (n < 2)
			return false;
		if (!l->muxing)
			return true;	/* late, after a STOP: dropped */
		if (l->frag_bad || l->frag_len + n - 1 > CAM_LIVE_PLAIN_MAX) {
			l->frag_bad = true;
			return true;
		}
		if (l->frag_len + n - 1 > l->frag_cap) {
			size_t cap = l->frag_cap ? l->frag_cap : 256u * 1024u;
			uint8_t *q;
			while (cap < l->frag_len + n - 1)
				cap *= 2;
			if ((q = malloc(cap)) == NULL) {
				l->frag_bad = true;
				return true;
			}
			if (l->frag != NULL) {
				memcpy(q, l->frag, l->frag_len);
				pt_wipe(l->frag, l->frag_cap);
				free(l->frag);
			}
			l->frag = q;
			l->frag_cap = cap;
		}
		memcpy(l->frag + l->frag_len, p + 1, n - 1);
		l->frag_len += n - 1;
		return true;
	}
	if (p[0] != CAM_MSG_LIVE_FRAG || n != 1 + 1 + 8 + 4)
		return false;
	capture = lget64(p + 2);
	duration = get32(p + 10);
	if (p[1] == CAM_LIVE_FAILED) {
		frag_reset(l);
		l->muxing = false;	/* the worker stopped it */
		end_all(l, "muxer-failed", true, wfd);
		return true;
	}
	if (!l->muxing) {
		frag_reset(l);
		return true;
	}
	if (l->frag_bad || l->frag_len == 0 || p[1] > CAM_LIVE_MEDIA ||
	    (p[1] == CAM_LIVE_INIT && (capture != 0 || duration != 0)) ||
	    (p[1] == CAM_LIVE_MEDIA && (capture == 0 || duration == 0))) {
		camlog(CAMLOG_WARN, "event=live_fragment result=refused kind=%u bytes=%zu bad=%d",
		       p[1], l->frag_len, l->frag_bad);
		frag_reset(l);
		return true;
	}
	if (p[1] == CAM_LIVE_INIT) {
		uint8_t *q = malloc(l->frag_len);
		if (q == NULL) {
			frag_reset(l);
			return true;
		}
		memcpy(q, l->frag, l->frag_len);
		free(l->init);
		l->init = q;
		l->init_len = l->frag_len;
		for (i = 0; i < LIVE_SESSIONS_MAX; i++)
			if (l->s[i].used && l->s[i].next == 0)
				seal_send(l, &l->s[i], 0, 0, l->init, l->init_len);
	} else {
		for (i = 0; i < LIVE_SESSIONS_MAX; i++)
			if (l->s[i].used && l->s[i].next > 0)
				seal_send(l, &l->s[i], capture, duration, l->frag, l->frag_len);
	}
	frag_reset(l);
	return true;
}

void
live_worker_gone(struct live *l)
{
	size_t i;

	frag_reset(l);
	l->muxing = false;
	free(l->init);
	l->init = NULL;
	l->init_len = 0;
	/* A new worker makes a new init and starts its time at 0: a session
	 * that has had fragments cannot go on; one still waiting can. */
	for (i = 0; i < LIVE_SESSIONS_MAX; i++)
		if (l->s[i].used && l->s[i].next > 0)
			sess_end(l, &l->s[i], "source-lost", true, -1);
}

void
live_tick(struct live *l, int wfd)
{
	uint64_t now = real_ms();
	size_t i;

	for (i = 0; i < LIVE_SESSIONS_MAX; i++)
		if (l->s[i].used && l->s[i].expiry_ms <= now)
			sess_end(l, &l->s[i], "expired", true, wfd);
	if (live_active(l) > 0 && !l->muxing && wfd >= 0) {
		send_worker(wfd, CAM_MSG_LIVE_START);
		l->muxing = true;
	} else if (live_active(l) == 0 && l->muxing) {
		live_stop_muxer(l, wfd);
	}
}

void
live_on_uploader(struct live *l, int wfd)
{
	ssize_t n;

	while (l->up >= 0) {
		n = recv(l->up, l->in + l->in_len, sizeof(l->in) - l->in_len, MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			uploader_lost(l, n < 0 ? strerror(errno) : "closed");
			return;
		}
		l->in_len += (size_t)n;
		if (l->in_len < 5)
			continue;
		/* One kind of frame only: 'E', 19 bytes after the length. */
		if (get32(l->in) != 1 + PT_LIVE_ID_LEN + 2 || l->in[4] != 'E') {
			uploader_lost(l, "a frame that is not an end");
			return;
		}
		if (l->in_len < sizeof(l->in))
			continue;
		{
			struct live_sess *s = sess_find(l, l->in + 5);
			unsigned status = (unsigned)l->in[5 + PT_LIVE_ID_LEN] << 8 |
					  l->in[6 + PT_LIVE_ID_LEN];
			char why[24];
			(void)snprintf(why, sizeof(why), "server-%u", status);
			if (s != NULL)
				sess_end(l, s, status == 410 ? "gone" : why, false, wfd);
		}
		l->in_len = 0;
	}
}

void
live_set_uploader(struct live *l, int fd, int wfd)
{
	size_t i;

	if (l->up >= 0)
		close(l->up);
	l->up = -1;
	for (i = l->nq; i-- > 0;)
		out_free(l, i);
	l->in_len = 0;
	end_all(l, "uploader-restarted", false, wfd);
	l->up = fd;
}

void
live_close(struct live *l, int wfd)
{
	end_all(l, "stopping", false, wfd);
	live_set_uploader(l, -1, wfd);
	frag_reset(l);
	free(l->frag);
	free(l->init);
	l->frag = l->init = NULL;
}
