/*
 * daemons/hub/camwatch.c: porter-cam's health messages and the clip
 * marks (hub.h, "the camera"; docs/cam.md, docs/hub.md).
 *
 * The hub parses nothing itself: each datagram goes whole to
 * pt_cam_watch_receive (lib/core/cam_health.c, fuzzed), which checks the
 * signature with the configured key before it reads a field, then the
 * camera id, the freshness and the order. Refused datagrams change
 * nothing; the camera's state ages out on its own (silence is unhealthy).
 * With [camera] uid set, the kernel's SO_PASSCRED credentials of each
 * datagram must name that uid (porter-cam's user), or the datagram is
 * dropped before the verifier sees it: a local process that can write
 * to the socket cannot make the hub spend signature checks on it.
 * Marks (pt_clip_mark_encode) and live view orders (pt_live_order_sign,
 * docs/live.md) go to porter-cam's marks socket with one non-blocking
 * sendto each: the hub never waits for the camera. So does the list of
 * owner keys the camera seals clips to (pt_cam_owners_sign,
 * porter/cam_owners.h): sent when the hub's roots change, at start, and
 * again every minute (every 5 s while the camera's socket is not there).
 *
 * A camera whose key the hub holds a key revocation of (a revocation by
 * an owner key the hub trusts, stored in its state: docs/cam.md, "Who a
 * viewer believes") is unhealthy for good: its health messages are
 * refused unread (reason camera-key-revoked) and the last one it had is
 * forgotten, so a credential that requires the camera is refused
 * (camera-unhealthy), and it is sent no more marks or live orders
 * (hub_cam_mark, hub_cam_order: PT_EREVOKED, recorded as clip.mark-failed
 * or live.order-failed with the error "revoked"). The hub's state is
 * looked at from hub_cam_owners, which runs on every tick (after every
 * wake-up of the loop, so after
 * the uplink handler that stored a revocation): the revocation version
 * each tick, the key revocations themselves when it moved, and every
 * REVOKED_POLL_MS in any case.
 */
#define _GNU_SOURCE	/* struct ucred, SCM_CREDENTIALS */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "porter/cam_health.h"
#include "porter/cam_owners.h"
#include "porter/clip.h"
#include "porter/live.h"
#include "hub.h"
#include "state.h"

#define DRAIN_MAX 16	/* datagrams read per wake-up: a flood cannot hold the loop */
#define OWNERS_EVERY_MS 60000u	/* the owners again: a camera restarted meanwhile gets them */
#define OWNERS_RETRY_MS 5000u	/* ... sooner while the camera's socket is not there */
#define OWNERS_SERIAL_KEY "cam_owners_serial"	/* hub state meta: the last serial made */
#define REVOKED_POLL_MS 1000u	/* the key revocations looked at again at least this often */

struct hub_cam {
	struct pt_cam_watch w;
	const struct pt_crypto_ops *ops;
	bool watched;
	int fd;			/* the health socket, -1: none */
	char path[PATH_MAX];
	int mfd;		/* the marks sender, -1: none */
	struct sockaddr_un marks;
	uint64_t refused;
	int last_refusal;
	bool any_uid;		/* [camera] uid empty: any sender */
	uid_t uid;		/* else only datagrams from this uid */
	/* The owner keys for the camera (hub_cam_owners) */
	char cam_id[PT_ID_MAX + 1];	/* [camera] id; "": none sent */
	uint8_t sent_pk[PT_CAM_OWNERS_MAX][PT_PK_LEN];	/* the set of msg */
	size_t n_sent;			/* 0: no message made yet */
	uint8_t msg[PT_CAM_OWNERS_MSG_MAX];	/* the signed message, sent again */
	size_t msg_len;
	uint64_t serial;		/* its serial */
	uint64_t owners_next_ms;	/* monotonic: when to send it again; 0: now */
	bool owners_failing;		/* the last send failed (logged once) */
	bool owners_no_id;		/* "no camera id" logged */
	/* The camera's key revoked at the hub (revoked_refresh) */
	bool key_revoked;
	bool rev_known;			/* looked at once at least */
	bool rev_refusal_logged;	/* the first refused message since, logged */
	int64_t rev_version, rev_at;	/* hub_state_revocation_version last seen */
	uint64_t rev_next_ms;		/* monotonic: the next look in any case */
};

/* [camera] uid: "" (any sender), a number, or a user name. 0 or -1. */
static int
uid_parse(const char *text, bool *any, uid_t *uid)
{
	struct passwd pw, *res = NULL;
	char buf[1024], *end = NULL;
	unsigned long v;

	*any = text[0] == '\0';
	*uid = 0;
	if (*any)
		return 0;
	if (text[0] >= '0' && text[0] <= '9') {
		errno = 0;
		v = strtoul(text, &end, 10);
		if (errno != 0 || *end != '\0' || v > 0x7fffffffUL)
			return -1;
		*uid = (uid_t)v;
		return 0;
	}
	if (getpwnam_r(text, &pw, buf, sizeof(buf), &res) != 0 || res == NULL)
		return -1;
	*uid = pw.pw_uid;
	return 0;
}

int
hub_cam_config_check(const struct hub_config *c, struct pt_errbuf *err)
{
	uint8_t pk[PT_PK_LEN];
	struct sockaddr_un sa;
	bool any;
	uid_t uid;

	if (strlen(c->cam_socket) >= sizeof(sa.sun_path) || strlen(c->cam_marks) >= sizeof(sa.sun_path)) {
		(void)snprintf(err->msg, sizeof(err->msg), "camera: a socket path is longer than %zu bytes",
			       sizeof(sa.sun_path) - 1);
		return -1;
	}
	if (c->cam_socket[0] == '\0')
		return 0;
	if (uid_parse(c->cam_uid, &any, &uid) != 0) {
		(void)snprintf(err->msg, sizeof(err->msg),
			       "camera.uid: '%.40s' is neither a uid nor a known user", c->cam_uid);
		return -1;
	}
	if (c->cam_id[0] == '\0') {
		(void)snprintf(err->msg, sizeof(err->msg), "camera.id is required with camera.socket");
		return -1;
	}
	if (c->cam_key[0] == '\0') {
		(void)snprintf(err->msg, sizeof(err->msg), "camera.key is required with camera.socket");
		return -1;
	}
	if (pt_pubkey_parse(c->cam_key, pk, err) != PT_OK) {
		char msg[sizeof(err->msg)];
		memcpy(msg, err->msg, sizeof(msg));
		(void)snprintf(err->msg, sizeof(err->msg), "camera.key: %.200s", msg);
		return -1;
	}
	return 0;
}

static int
dgram_bind(const char *path, struct pt_errbuf *err)
{
	struct sockaddr_un sa;
	struct stat st;
	mode_t old;
	int fd, one = 1;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			(void)snprintf(err->msg, sizeof(err->msg), "'%.100s' exists and is not a socket",
				       path);
			return -1;
		}
		(void)unlink(path);
	}
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0)
		goto fail;
	if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) != 0) {
		close(fd);
		goto fail;
	}
	/* 0660 from the start, and no chmod after: a chmod by path would
	 * follow whatever was put there meanwhile (a symlink). */
	old = umask(0117);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		umask(old);
		close(fd);
		goto fail;
	}
	umask(old);
	return fd;
fail:
	(void)snprintf(err->msg, sizeof(err->msg), "cannot bind '%.100s': %s", path, strerror(errno));
	return -1;
}

int
hub_cam_open(struct hub_cam **out, const struct hub_config *c, struct pt_errbuf *err)
{
	struct hub_cam *cam;
	uint8_t pk[PT_PK_LEN];

	*out = NULL;
	if (c->cam_socket[0] == '\0' && c->cam_marks[0] == '\0')
		return 0;
	if (hub_cam_config_check(c, err) != 0)
		return -1;
	if ((cam = calloc(1, sizeof(*cam))) == NULL) {
		(void)snprintf(err->msg, sizeof(err->msg), "out of memory");
		return -1;
	}
	cam->fd = cam->mfd = -1;
	cam->ops = pt_crypto_sodium();
	if (c->cam_socket[0] != '\0') {
		if (pt_pubkey_parse(c->cam_key, pk, err) != PT_OK ||
		    pt_cam_watch_init(&cam->w, c->cam_id, pk, c->cam_max_age_ms) != PT_OK) {
			if (err->msg[0] == '\0')
				(void)snprintf(err->msg, sizeof(err->msg), "camera: bad id or max_age");
			goto fail;
		}
		if (uid_parse(c->cam_uid, &cam->any_uid, &cam->uid) != 0) {
			(void)snprintf(err->msg, sizeof(err->msg), "camera.uid: '%.40s' is not known",
				       c->cam_uid);
			goto fail;
		}
		if ((cam->fd = dgram_bind(c->cam_socket, err)) < 0)
			goto fail;
		memcpy(cam->path, c->cam_socket, strlen(c->cam_socket) + 1);
		cam->watched = true;
	}
	memcpy(cam->cam_id, c->cam_id, sizeof(cam->cam_id));
	if (c->cam_marks[0] != '\0') {
		cam->marks.sun_family = AF_UNIX;
		memcpy(cam->marks.sun_path, c->cam_marks, strlen(c->cam_marks) + 1);
		if ((cam->mfd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0) {
			(void)snprintf(err->msg, sizeof(err->msg), "cannot make the marks socket: %s",
				       strerror(errno));
			goto fail;
		}
	}
	*out = cam;
	return 0;
fail:
	hub_cam_close(cam);
	return -1;
}

void
hub_cam_close(struct hub_cam *cam)
{
	if (cam == NULL)
		return;
	if (cam->fd >= 0) {
		close(cam->fd);
		(void)unlink(cam->path);
	}
	if (cam->mfd >= 0)
		close(cam->mfd);
	free(cam);
}

static void
on_health(void *arg, short revents)
{
	struct hub_cam *cam = arg;
	uint8_t buf[PT_CAM_HEALTH_MAX + 1];
	union {
		struct cmsghdr h;
		uint8_t b[CMSG_SPACE(sizeof(struct ucred))];
	} cb;
	struct iovec iov;
	struct msghdr mh;
	struct cmsghdr *cm;
	struct ucred cr;
	bool have_cr;
	int i, r;

	if (!(revents & POLLIN))
		return;
	for (i = 0; i < DRAIN_MAX; i++) {
		/* One byte more than a message may have: a longer datagram is
		 * truncated to that, and the decoder refuses it as too large. */
		ssize_t n;
		iov.iov_base = buf;
		iov.iov_len = sizeof(buf);
		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = cb.b;
		mh.msg_controllen = sizeof(cb.b);
		n = recvmsg(cam->fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (n < 0)
			break;
		have_cr = false;
		memset(&cr, 0, sizeof(cr));
		for (cm = CMSG_FIRSTHDR(&mh); cm != NULL; cm = CMSG_NXTHDR(&mh, cm))
			if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_CREDENTIALS &&
			    cm->cmsg_len >= CMSG_LEN(sizeof(cr))) {
				memcpy(&cr, CMSG_DATA(cm), sizeof(cr));
				have_cr = true;
			}
		if (!cam->any_uid && (!have_cr || cr.uid != cam->uid)) {
			/* Not porter-cam's user: dropped unverified. */
			cam->refused++;
			cam->last_refusal = PT_EUNTRUSTED;
			hlog(HLOG_DEBUG, "event=camera_message result=refused reason=sender uid=%ld",
			     have_cr ? (long)cr.uid : -1L);
			continue;
		}
		if (cam->key_revoked) {
			/* The key is revoked: nothing it signs counts. */
			cam->refused++;
			cam->last_refusal = PT_EREVOKED;
			hlog(cam->rev_refusal_logged ? HLOG_DEBUG : HLOG_WARN,
			     "event=camera_message result=refused reason=camera-key-revoked camera=%s",
			     cam->w.id);
			cam->rev_refusal_logged = true;
			continue;
		}
		r = pt_cam_watch_receive(&cam->w, cam->ops, buf, (size_t)n, hub_mono_ms(), NULL);
		if (r != PT_OK) {
			cam->refused++;
			cam->last_refusal = r;
			hlog(HLOG_DEBUG, "event=camera_message result=refused reason=%s", pt_err_code(r));
		}
	}
}

void
hub_cam_poll(struct hub_cam *cam, struct hub_poll *p)
{
	if (cam != NULL && cam->fd >= 0)
		hub_poll_add(p, cam->fd, POLLIN, on_health, cam);
}

uint64_t
hub_cam_deadline(const struct hub_cam *cam)
{
	uint64_t d = UINT64_MAX;

	if (cam == NULL)
		return d;
	/* healthy while time_ms >= now - max_age: unhealthy from one ms later */
	if (cam->watched && cam->w.have)
		d = cam->w.last.time_ms + cam->w.max_age_ms + 1u;
	/* the owners message again (only once one was made) */
	if (cam->mfd >= 0 && cam->n_sent > 0 && cam->owners_next_ms < d)
		d = cam->owners_next_ms;
	return d;
}

bool
hub_cam_is_watched(const struct hub_cam *cam)
{
	return cam != NULL && cam->watched;
}

bool
hub_cam_is_healthy(const struct hub_cam *cam, uint64_t now_ms, uint32_t *status)
{
	bool fresh;

	if (status != NULL)
		*status = 0;
	if (!hub_cam_is_watched(cam) || cam->key_revoked)
		return false;
	fresh = cam->w.have && cam->w.last.time_ms + cam->w.max_age_ms >= now_ms;
	if (status != NULL && fresh)
		*status = cam->w.last.status;
	return pt_cam_watch_is_healthy(&cam->w, now_ms);
}

uint64_t
hub_cam_refused(struct hub_cam *cam, int *last_reason)
{
	uint64_t n = cam != NULL ? cam->refused : 0;

	if (last_reason != NULL)
		*last_reason = cam != NULL ? cam->last_refusal : PT_OK;
	if (cam != NULL)
		cam->refused = 0;
	return n;
}

bool
hub_cam_clips_refused(const struct hub_cam *cam, struct pt_cam_refused *f)
{
	memset(f, 0, sizeof(*f));
	if (!hub_cam_is_watched(cam) || cam->key_revoked || !cam->w.have ||
	    cam->w.last.refused.count == 0)
		return false;
	*f = cam->w.last.refused;
	return true;
}

bool
hub_cam_has_marks(const struct hub_cam *cam)
{
	return cam != NULL && cam->mfd >= 0;
}

int
hub_cam_mark(struct hub_cam *cam, const struct pt_clip_mark *m, int *sys_errno)
{
	uint8_t buf[PT_CLIP_MARK_MAX];
	size_t n;
	int r;

	*sys_errno = 0;
	if (!hub_cam_has_marks(cam))
		return PT_EINVAL;
	if (cam->key_revoked)
		return PT_EREVOKED;	/* a revoked camera is told nothing (below) */
	if ((r = pt_clip_mark_encode(m, buf, sizeof(buf), &n)) != PT_OK)
		return r;
	if (sendto(cam->mfd, buf, n, MSG_DONTWAIT | MSG_NOSIGNAL, (const struct sockaddr *)&cam->marks,
		   sizeof(cam->marks)) != (ssize_t)n) {
		*sys_errno = errno;
		return PT_EIO;
	}
	return PT_OK;
}

int
hub_cam_order(struct hub_cam *cam, const uint8_t *order, size_t len, int *sys_errno)
{
	*sys_errno = 0;
	if (!hub_cam_has_marks(cam) || order == NULL || len == 0 || len > PT_LIVE_ORDER_MAX)
		return PT_EINVAL;
	/* A camera whose key is revoked is told nothing: not when someone
	 * comes in (a mark), not a viewer's key (an order). Whoever holds
	 * its key may hold the camera too; what it would record is refused
	 * by porterd and the viewers anyway. */
	if (cam->key_revoked)
		return PT_EREVOKED;
	/* As a mark: one datagram, never waiting for the camera. */
	if (sendto(cam->mfd, order, len, MSG_DONTWAIT | MSG_NOSIGNAL,
		   (const struct sockaddr *)&cam->marks, sizeof(cam->marks)) != (ssize_t)len) {
		*sys_errno = errno;
		return PT_EIO;
	}
	return PT_OK;
}

/*
 * The owner keys the camera seals clips to (porter/cam_owners.h;
 * docs/hub.md, "The camera"). A new set gets a new serial, larger than
 * both the last one made (kept in the hub's state, so a restart never
 * goes back) and the UTC time in ms (so a hub whose state was lost still
 * starts above what it sent before, with a sane clock). The same set is
 * sent again, byte for byte, every OWNERS_EVERY_MS: the camera takes the
 * same message again silently.
 */
static bool
owners_same(const struct hub_cam *cam, const uint8_t (*roots)[PT_PK_LEN], size_t n)
{
	return cam->n_sent == n && memcmp(cam->sent_pk, roots, n * PT_PK_LEN) == 0;
}

static int
owners_make(struct hub_cam *cam, struct pt_secret *key, struct hub_state *st, const char *hub_id,
	    const uint8_t (*roots)[PT_PK_LEN], size_t n, int64_t now_utc)
{
	struct pt_cam_owners o;
	struct pt_signer sg;
	int64_t last = 0;
	uint64_t serial;
	size_t len = 0;
	int r;

	if (hub_state_meta_get(st, OWNERS_SERIAL_KEY, &last) != PT_OK || last < 0)
		last = 0;
	serial = now_utc > 0 ? (uint64_t)now_utc * 1000u : 1u;
	if ((uint64_t)last >= serial)
		serial = (uint64_t)last + 1u;
	if (cam->serial >= serial)
		serial = cam->serial + 1u;
	memset(&o, 0, sizeof(o));
	memcpy(o.hub, hub_id, strnlen(hub_id, PT_ID_MAX));
	memcpy(o.camera, cam->cam_id, sizeof(o.camera));
	o.serial = serial;
	o.n = n;
	memcpy(o.pk, roots, n * PT_PK_LEN);
	pt_signer_sodium(&sg, key);
	r = pt_cam_owners_sign(cam->ops, &sg, &o, cam->msg, sizeof(cam->msg), &len);
	if (r != PT_OK) {
		hlog(HLOG_ERR, "event=camera_owners result=failed error=\"cannot sign: %s\"",
		     pt_err_code(r));
		return r;
	}
	if (hub_state_meta_set(st, OWNERS_SERIAL_KEY, (int64_t)serial) != PT_OK)
		hlog(HLOG_WARN, "event=camera_owners note=\"cannot store serial %llu: a restart"
				" with the clock set back may send a serial the camera refuses\"",
		     (unsigned long long)serial);
	cam->msg_len = len;
	cam->serial = serial;
	memcpy(cam->sent_pk, roots, n * PT_PK_LEN);
	cam->n_sent = n;
	cam->owners_next_ms = 0;
	return PT_OK;
}

bool
hub_cam_key_in(const struct hub_cam *cam, const uint8_t (*keys)[PT_PK_LEN], size_t n)
{
	size_t i;

	if (!hub_cam_is_watched(cam) || keys == NULL)
		return false;
	for (i = 0; i < n; i++)
		if (memcmp(keys[i], cam->w.pk, PT_PK_LEN) == 0)
			return true;
	return false;
}

/*
 * Is the watched camera's key revoked at the hub? Looked at when the
 * revocation version or refresh time moved, and every REVOKED_POLL_MS
 * (a revocation applied past a hole in the versions moves neither). A
 * revocation is never taken back: once revoked, the camera stays so. A
 * state that cannot be read keeps what was known (logged by state.c).
 */
static void
revoked_refresh(struct hub_cam *cam, struct hub_state *st, uint64_t now_ms)
{
	struct hub_key_revocation *kr = NULL;
	uint8_t kid[PT_KID_LEN];
	char kid_hex[2 * PT_KID_LEN + 1];
	int64_t v = 0, at = 0;
	size_t n = 0, i;
	bool moved;

	if (!cam->watched || cam->key_revoked || st == NULL)
		return;
	if (hub_state_revocation_version(st, &v, &at) != PT_OK)
		return;
	moved = !cam->rev_known || v != cam->rev_version || at != cam->rev_at;
	if (!moved && now_ms < cam->rev_next_ms)
		return;
	cam->rev_next_ms = now_ms + REVOKED_POLL_MS;
	if (hub_state_key_revocations(st, &kr, &n) != PT_OK)
		return;
	cam->rev_known = true;
	cam->rev_version = v;
	cam->rev_at = at;
	for (i = 0; i < n && !cam->key_revoked; i++)
		cam->key_revoked = memcmp(kr[i].target, cam->w.pk, PT_PK_LEN) == 0;
	free(kr);
	if (!cam->key_revoked)
		return;
	/* Forget the last message: nothing this key signed counts now. */
	cam->w.have = false;
	memset(&cam->w.last, 0, sizeof(cam->w.last));
	pt_kid(cam->ops, cam->w.pk, kid);
	for (i = 0; i < PT_KID_LEN; i++)
		(void)snprintf(kid_hex + 2 * i, 3, "%02x", kid[i]);
	hlog(HLOG_WARN, "event=camera_key_revoked camera=%s key_id=%s note=\"its health messages"
			" are refused (camera-key-revoked): the camera is unhealthy\"",
	     cam->w.id, kid_hex);
}

void
hub_cam_owners(struct hub_cam *cam, struct pt_secret *key, struct hub_state *st,
	       const char *hub_id, const uint8_t (*roots)[PT_PK_LEN], size_t n_roots,
	       int64_t now_utc, uint64_t now_ms)
{
	size_t n = n_roots < PT_CAM_OWNERS_MAX ? n_roots : PT_CAM_OWNERS_MAX;
	bool fresh = false;
	ssize_t sent;

	if (cam != NULL)
		revoked_refresh(cam, st, now_ms);	/* every tick: camwatch.c's header */
	if (cam == NULL || cam->mfd < 0 || key == NULL || n == 0)
		return;	/* no camera, or not paired yet: nothing to hand over */
	if (cam->cam_id[0] == '\0') {
		if (!cam->owners_no_id)
			hlog(HLOG_WARN, "event=camera_owners result=off note=\"[camera] id is not"
					" set: the camera seals clips to clips.owners only\"");
		cam->owners_no_id = true;
		return;
	}
	if (!owners_same(cam, roots, n)) {
		if (owners_make(cam, key, st, hub_id, roots, n, now_utc) != PT_OK) {
			cam->owners_next_ms = now_ms + OWNERS_RETRY_MS;
			return;
		}
		fresh = true;
		if (n_roots > n)
			hlog(HLOG_WARN, "event=camera_owners note=\"the hub trusts %zu owner keys, a"
					" clip holds %d: the first %zu are sent\" left_out=%zu",
			     n_roots, PT_CAM_OWNERS_MAX, n, n_roots - n);
	}
	if (!fresh && now_ms < cam->owners_next_ms)
		return;
	sent = sendto(cam->mfd, cam->msg, cam->msg_len, MSG_DONTWAIT | MSG_NOSIGNAL,
		      (const struct sockaddr *)&cam->marks, sizeof(cam->marks));
	if (sent != (ssize_t)cam->msg_len) {
		if (!cam->owners_failing || fresh)
			hlog(HLOG_WARN, "event=camera_owners result=failed serial=%llu error=\"%s\""
					" note=\"sent again every %u s\"",
			     (unsigned long long)cam->serial, strerror(errno),
			     OWNERS_RETRY_MS / 1000u);
		cam->owners_failing = true;
		cam->owners_next_ms = now_ms + OWNERS_RETRY_MS;
		return;
	}
	if (fresh || cam->owners_failing)
		hlog(HLOG_INFO, "event=camera_owners result=sent camera=%s serial=%llu owners=%zu",
		     cam->cam_id, (unsigned long long)cam->serial, n);
	else
		hlog(HLOG_DEBUG, "event=camera_owners result=sent camera=%s serial=%llu owners=%zu",
		     cam->cam_id, (unsigned long long)cam->serial, n);
	cam->owners_failing = false;
	cam->owners_next_ms = now_ms + OWNERS_EVERY_MS;
}
