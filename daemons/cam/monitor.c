/*
 * porter-cam's monitor: the process that holds the camera key.
 *
 * It drops privileges at start (when root), makes or loads the key, and
 * then runs one poll(2) loop: it starts the input worker (a fresh exec of
 * this program, so the worker's address space never held the key), reads
 * the worker's reports (untrusted: one strict decoder), restarts the
 * worker with exponential back-off when the source is lost, and every
 * interval signs and sends the health message to the hub. "Stalled" is
 * decided here, from the time of the last packet the worker saw, so a
 * worker that hangs or dies cannot hide it.
 *
 * No seccomp filter here: filters are inherited by children, and the
 * workers this process starts must still open their source. The systemd
 * unit confines it (dist/porter-cam.service).
 */
#define _GNU_SOURCE	/* O_PATH */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "cam.h"
#include "clips.h"

extern char **environ;

#define BACKOFF_RESET_MS 10000u	/* a worker that streamed this long resets the back-off */
#define STOP_GRACE_MS 2000u	/* SIGTERM, then SIGKILL */

struct monitor {
	struct cam_config cfg;
	const char *conf;
	bool verbose;
	int exe_fd;			/* O_PATH to our own binary, for fexecve */

	struct pt_secret *key;
	struct pt_signer signer;
	uint8_t run[PT_CAM_RUN_LEN];
	uint64_t seq;

	int sock;			/* datagram socket towards the hub */
	struct sockaddr_un hub;
	socklen_t hub_len;
	bool hub_down;
	uint64_t sent, dropped;

	/* the worker */
	pid_t pid;
	int fd;
	uint64_t spawned_ms, restart_at_ms;
	unsigned failures;
	uint32_t starts;
	bool streamed;			/* the current worker reported a packet */

	/* what it told us */
	bool have_report;
	uint64_t report_rx_ms;
	struct pt_cam_health report;
	uint64_t last_packet_ms;	/* across workers */
	bool noref;			/* the last word on the reference */

	uint64_t next_send_ms;
	uint32_t last_status;

	/* spool/refused, for the health message (refused_refresh) */
	struct pt_cam_refused refused;
	bool refused_known, refused_complete;
	ino_t refused_ino;
	struct timespec refused_mtim;
	uint64_t refused_next_ms;

	/* clips (clips.c) and the uploader process (upload.c) */
	struct clips clips;
	struct live live;		/* live view (clips.c) */
	pid_t up_pid;
	uint64_t up_restart_at_ms;
};

/* ---- start-up shared by run, reference and key ---- */

/* Make state_dir (0700) if missing; as root, hand it to the user. */
static int
prepare_state_dir(const struct cam_config *cfg, struct pt_errbuf *err)
{
	unsigned uid, gid;
	bool root = geteuid() == 0;

	if (root && cfg->user[0] != '\0' && sandbox_user(cfg->user, &uid, &gid, err) != 0)
		return -1;
	if (mkdir(cfg->state_dir, 0700) != 0) {
		if (errno == EEXIST)
			return 0;
		(void)snprintf(err->msg, sizeof(err->msg), "cannot create '%.200s': %s", cfg->state_dir,
			       strerror(errno));
		return -1;
	}
	if (root && cfg->user[0] != '\0' && chown(cfg->state_dir, (uid_t)uid, (gid_t)gid) != 0) {
		(void)snprintf(err->msg, sizeof(err->msg), "cannot hand '%.120s' to '%.60s': %.50s",
			       cfg->state_dir, cfg->user, strerror(errno));
		return -1;
	}
	return 0;
}

/* As root: become the configured user, with its groups (video, for
 * /dev/video*), before the key is touched, so the key belongs to it. */
static int
start(const struct cam_config *cfg, struct pt_errbuf *err)
{
	if (prepare_state_dir(cfg, err) != 0)
		return -1;
	return sandbox_drop(cfg->user, true, err);
}

static struct pt_secret *
key_load(const struct cam_config *cfg, bool *created, struct pt_errbuf *err)
{
	struct pt_secret *s = pt_secret_new();
	struct stat st;

	*created = false;
	if (s == NULL) {
		(void)snprintf(err->msg, sizeof(err->msg), "out of memory");
		return NULL;
	}
	if (stat(cfg->key, &st) != 0 && errno == ENOENT) {
		if (pt_secret_generate(s) != PT_OK) {
			(void)snprintf(err->msg, sizeof(err->msg), "cannot make a key");
			goto fail;
		}
		if (pt_keyfile_save(cfg->key, s, false, err) != PT_OK)
			goto fail;
		*created = true;
		return s;
	}
	if (pt_keyfile_load(cfg->key, s, err) != PT_OK)
		goto fail;
	return s;
fail:
	pt_secret_free(s);
	return NULL;
}

int
monitor_key(const struct cam_config *cfg)
{
	struct pt_errbuf err;
	struct pt_secret *s;
	uint8_t pk[PT_PK_LEN];
	char text[PT_PK_TEXT_LEN + 1];
	bool created;

	if (start(cfg, &err) != 0 || (s = key_load(cfg, &created, &err)) == NULL) {
		fprintf(stderr, "porter-cam: %s\n", err.msg);
		return 1;
	}
	pt_secret_public(s, pk);
	pt_secret_free(s);
	pt_pubkey_text(pk, text);
	printf("camera id:  %s\npublic key: %s\nkey file:   %s%s\n", cfg->id, text, cfg->key,
	       created ? " (new)" : "");
	return 0;
}

/* ---- the worker ---- */

/* The uploader: a fresh exec too, without the key and without fd 3;
 * it needs the network, the monitor does not. */
static void
spawn_uploader(struct monitor *m)
{
	static char conf[CAM_PATH_MAX];
	char *argv[6];
	int n = 0, sv[2] = {-1, -1};
	sigset_t none;
	pid_t pid;

	if (m->cfg.server[0] == '\0' || m->cfg.marks[0] == '\0' || strlen(m->conf) >= sizeof(conf))
		return;
	/* Live fragments go to the uploader over a socketpair, its fd
	 * CAM_LIVE_FD, never through the spool. */
	if (m->cfg.live_on && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
		camlog(CAMLOG_ERR, "event=uploader_start error=\"socketpair: %s\"", strerror(errno));
		m->up_restart_at_ms = cam_mono_ms() + 5000u;
		return;
	}
	memcpy(conf, m->conf, strlen(m->conf) + 1);
	argv[n++] = (char *)"porter-cam";
	argv[n++] = (char *)"upload";
	argv[n++] = (char *)"-f";
	argv[n++] = conf;
	if (m->verbose)
		argv[n++] = (char *)"-v";
	argv[n] = NULL;
	if ((pid = fork()) < 0) {
		camlog(CAMLOG_ERR, "event=uploader_start error=\"fork: %s\"", strerror(errno));
		m->up_restart_at_ms = cam_mono_ms() + 5000u;
		if (sv[0] >= 0) {
			close(sv[0]);
			close(sv[1]);
		}
		return;
	}
	if (pid == 0) {
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (sv[1] == CAM_LIVE_FD) {
			if (fcntl(sv[1], F_SETFD, 0) != 0)
				_exit(127);
		} else if (sv[1] >= 0 && dup2(sv[1], CAM_LIVE_FD) != CAM_LIVE_FD) {
			_exit(127);
		}
		fexecve(m->exe_fd, argv, environ);
		_exit(127);
	}
	if (sv[0] >= 0) {
		/* A small buffer: what waits for the uploader waits in the
		 * monitor's queue, where the oldest can be dropped (about one
		 * fragment of a 1 Mb/s stream in the kernel at most). */
		int sb = 64 * 1024;
		close(sv[1]);
		(void)setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sb, sizeof(sb));
		(void)fcntl(sv[0], F_SETFL, O_NONBLOCK);
		live_set_uploader(&m->live, sv[0], m->fd);
	}
	m->up_pid = pid;
	camlog(CAMLOG_INFO, "event=uploader_start pid=%ld server=\"%s\"", (long)pid, m->cfg.server);
}

static int
spawn(struct monitor *m, bool reference)
{
	static char conf[CAM_PATH_MAX];
	char *argv[8];
	int sv[2], n = 0;
	sigset_t none;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
		camlog(CAMLOG_ERR, "event=worker_start error=\"socketpair: %s\"", strerror(errno));
		return -1;
	}
	argv[n++] = (char *)"porter-cam";
	argv[n++] = (char *)"worker";
	argv[n++] = (char *)"-f";
	if (strlen(m->conf) >= sizeof(conf)) {
		camlog(CAMLOG_ERR, "event=worker_start error=\"the configuration path is too long\"");
		return -1;
	}
	memcpy(conf, m->conf, strlen(m->conf) + 1);
	argv[n++] = conf;
	if (reference)
		argv[n++] = (char *)"-r";
	if (m->verbose)
		argv[n++] = (char *)"-v";
	argv[n] = NULL;
	if ((pid = fork()) < 0) {
		camlog(CAMLOG_ERR, "event=worker_start error=\"fork: %s\"", strerror(errno));
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (pid == 0) {
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (sv[1] == CAM_REPORT_FD) {
			if (fcntl(sv[1], F_SETFD, 0) != 0)
				_exit(127);
		} else if (dup2(sv[1], CAM_REPORT_FD) != CAM_REPORT_FD) {
			_exit(127);
		}
		fexecve(m->exe_fd, argv, environ);
		_exit(127);
	}
	close(sv[1]);
	(void)fcntl(sv[0], F_SETFL, O_NONBLOCK);
	m->pid = pid;
	m->fd = sv[0];
	m->spawned_ms = cam_mono_ms();
	m->streamed = false;
	m->have_report = false;
	m->starts++;
	camlog(CAMLOG_INFO, "event=worker_start pid=%ld attempt=%u", (long)pid, m->failures + 1);
	return 0;
}

static void
worker_gone(struct monitor *m, int status)
{
	uint64_t now = cam_mono_ms(), delay;
	char how[64];
	int code = -1;

	if (WIFEXITED(status)) {
		code = WEXITSTATUS(status);
		(void)snprintf(how, sizeof(how), "exit=%d", code);
	} else if (WIFSIGNALED(status)) {
		(void)snprintf(how, sizeof(how), "signal=%d", WTERMSIG(status));
	} else {
		(void)snprintf(how, sizeof(how), "status=%d", status);
	}
	if (m->fd >= 0)
		close(m->fd);
	m->fd = -1;
	m->pid = 0;
	m->have_report = false;
	if (m->streamed && now - m->spawned_ms >= BACKOFF_RESET_MS)
		m->failures = 0;
	delay = (uint64_t)m->cfg.backoff_min_ms << (m->failures < 16 ? m->failures : 16);
	if (delay > m->cfg.backoff_max_ms)
		delay = m->cfg.backoff_max_ms;
	if (m->failures < 1000)
		m->failures++;
	m->restart_at_ms = now + delay;
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS)
		camlog(CAMLOG_ERR, "event=worker_exit %s reason=\"killed by its seccomp filter: a"
			       " forbidden system call (a bug, or an exploit of the decoder)\"",
		     how);
	else
		camlog(code == CAM_WORKER_OK ? CAMLOG_INFO : CAMLOG_WARN, "event=worker_exit %s reason=\"%s\"",
		     how, WIFEXITED(status) ? worker_exit_text(code) : "killed");
	camlog(CAMLOG_WARN, "event=reconnect attempt=%u delay_ms=%llu", m->failures + 0u,
	     (unsigned long long)delay);
}

static void
reap(struct monitor *m)
{
	int status;
	pid_t p;

	while ((p = waitpid(-1, &status, WNOHANG)) > 0) {
		if (p == m->pid) {
			worker_gone(m, status);
			clips_worker_gone(&m->clips);
			live_worker_gone(&m->live);
		} else if (p == m->up_pid) {
			m->up_pid = 0;
			live_set_uploader(&m->live, -1, m->fd);
			m->up_restart_at_ms = cam_mono_ms() + 5000u;
			camlog(CAMLOG_WARN, "event=uploader_exit status=%d note=\"restarts in 5 s\"",
			       status);
		}
	}
}

static void
stop_worker(struct monitor *m)
{
	uint64_t until;
	int status;

	if (m->pid <= 0)
		return;
	kill(m->pid, SIGTERM);
	until = cam_mono_ms() + STOP_GRACE_MS;
	while (waitpid(m->pid, &status, WNOHANG) == 0) {
		if (cam_mono_ms() > until) {
			kill(m->pid, SIGKILL);
			(void)waitpid(m->pid, &status, 0);
			break;
		}
		(void)poll(NULL, 0, 20);
	}
	if (m->fd >= 0)
		close(m->fd);
	m->fd = -1;
	m->pid = 0;
	m->have_report = false;
}

/* One message from the worker: untrusted, decoded strictly. */
static void
on_worker(struct monitor *m)
{
	static uint8_t buf[CAM_MSG_MAX + 1];
	struct pt_cam_health h;
	uint64_t now;
	ssize_t n;

	for (;;) {
		n = recv(m->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {	/* the worker closed its end: SIGCHLD follows */
			close(m->fd);
			m->fd = -1;
			return;
		}
		now = cam_mono_ms();
		if (buf[0] == CAM_MSG_LIVE_DATA || buf[0] == CAM_MSG_LIVE_FRAG) {
			if (!live_worker_msg(&m->live, buf, (size_t)n, m->fd))
				camlog(CAMLOG_WARN, "event=worker_live result=refused type=%u bytes=%zd",
				       buf[0], n);
			continue;
		}
		if (buf[0] != CAM_MSG_REPORT && buf[0] != CAM_MSG_REF) {
			if (!clips_worker_msg(&m->clips, buf, (size_t)n))
				camlog(CAMLOG_WARN, "event=worker_clip result=refused type=%u bytes=%zd",
				       buf[0], n);
			continue;
		}
		/* refused clips are the monitor's word (the spool), never the worker's */
		if (buf[0] != CAM_MSG_REPORT ||
		    pt_cam_payload_decode(buf + 1, (size_t)n - 1, &h) != PT_OK ||
		    strcmp(h.id, m->cfg.id) != 0 || h.time_ms > now + PT_CAM_FUTURE_MAX_MS ||
		    h.refused.count != 0) {
			camlog(CAMLOG_WARN, "event=worker_report result=refused bytes=%zd", n);
			continue;
		}
		m->report = h;
		m->report_rx_ms = now;
		m->have_report = true;
		m->noref = (h.status & PT_CAM_NOREF) != 0;
		/* A packet this worker saw (PT_CAM_AGE_MAX: none yet) moves the
		 * stall clock; nothing else does. */
		if (h.m.packet_age_ms < PT_CAM_AGE_MAX && h.m.packet_age_ms <= h.time_ms &&
		    h.time_ms - h.m.packet_age_ms > m->last_packet_ms &&
		    h.time_ms - h.m.packet_age_ms >= m->spawned_ms) {
			m->last_packet_ms = h.time_ms - h.m.packet_age_ms;
			m->streamed = true;
		}
	}
}

/* ---- the health message ---- */

/*
 * The clips porterd refused for good (spool/refused, moved there by the
 * uploader) go into each health message, so the hub hears of them
 * (docs/cam.md, "Refused clips reach the owner"). spool/refused is read
 * again when its inode or mtime moved (a clip moved in or out), while
 * the newest has no status file yet, and every REFUSED_RESCAN_MS anyway.
 */
#define REFUSED_RESCAN_MS 30000u
static void
refused_refresh(struct monitor *m, uint64_t now)
{
	char dir[CAM_PATH_MAX + 16];
	struct pt_cam_refused f;
	struct stat sb;
	bool complete, same;

	(void)snprintf(dir, sizeof(dir), "%s/" CAM_SPOOL_REFUSED, m->cfg.spool);
	if (stat(dir, &sb) != 0) {
		memset(&m->refused, 0, sizeof(m->refused));	/* none (never made, or gone) */
		m->refused_known = false;
		return;
	}
	same = m->refused_known && m->refused_complete && sb.st_ino == m->refused_ino &&
	       sb.st_mtim.tv_sec == m->refused_mtim.tv_sec &&
	       sb.st_mtim.tv_nsec == m->refused_mtim.tv_nsec;
	if (same && now < m->refused_next_ms)
		return;
	if (upload_refused_newest(&m->cfg, &f, &complete) != 0) {
		if (m->refused_known)
			camlog(CAMLOG_WARN, "event=health error=\"cannot read '%s'\"", dir);
		m->refused_known = false;
		return;	/* what was known stays in the messages */
	}
	if (f.count != m->refused.count || memcmp(f.clip, m->refused.clip, sizeof(f.clip)) != 0 ||
	    f.status != m->refused.status || f.at != m->refused.at) {
		char hex[2 * PT_CAM_CLIP_LEN + 1];
		size_t i;

		for (i = 0; i < PT_CAM_CLIP_LEN; i++)
			(void)snprintf(hex + 2 * i, 3, "%02x", f.clip[i]);
		camlog(f.count > 0 ? CAMLOG_INFO : CAMLOG_DEBUG,
		       "event=health refused=%u newest=%s status=%u note=\"the hub is told\"",
		       f.count, f.count > 0 ? hex : "-", f.status);
	}
	m->refused = f;
	m->refused_known = true;
	m->refused_complete = complete;
	m->refused_ino = sb.st_ino;
	m->refused_mtim = sb.st_mtim;
	m->refused_next_ms = now + REFUSED_RESCAN_MS;
}

static void
compose(const struct monitor *m, uint64_t now, struct pt_cam_health *h)
{
	uint64_t age = now - m->last_packet_ms;
	uint32_t s;

	memset(h, 0, sizeof(*h));
	memcpy(h->id, m->cfg.id, sizeof(h->id));
	memcpy(h->run, m->run, PT_CAM_RUN_LEN);
	h->time_ms = now;
	if (m->have_report && now - m->report_rx_ms <= m->cfg.stall_ms) {
		s = m->report.status & (PT_CAM_FROZEN | PT_CAM_BLACK | PT_CAM_MOVED |
					PT_CAM_STARTING | PT_CAM_NOREF);
		h->m = m->report.m;
	} else {
		/* No verdict from the pictures: nothing is known to be fine. */
		s = PT_CAM_STARTING | (m->noref ? PT_CAM_NOREF : 0u);
		h->m.has_match = !m->noref;
	}
	if (age > m->cfg.stall_ms)
		s |= PT_CAM_STALLED;
	h->status = pt_cam_status_settle(s);
	h->m.packet_age_ms = age > PT_CAM_AGE_MAX ? PT_CAM_AGE_MAX : (uint32_t)age;
	h->m.restarts = m->starts > 0 ? m->starts - 1 : 0;
	if (!h->m.has_match)
		h->m.match = 0;
	h->refused = m->refused;
}

static void
send_health(struct monitor *m, uint64_t now)
{
	struct pt_cam_health h;
	uint8_t msg[PT_CAM_HEALTH_MAX];
	char st[64], prev[64];
	size_t n;
	ssize_t r;

	refused_refresh(m, now);
	compose(m, now, &h);
	h.seq = ++m->seq;
	if (h.status != m->last_status) {
		pt_cam_status_text(h.status, st, sizeof(st));
		pt_cam_status_text(m->last_status, prev, sizeof(prev));
		camlog((h.status & PT_CAM_OK) ? CAMLOG_INFO : CAMLOG_WARN,
		     "event=status status=%s prev=%s luma=%u contrast=%u change=%u match=%s%u"
		     " packet_age_ms=%u",
		     st, prev, h.m.luma, h.m.contrast, h.m.change, h.m.has_match ? "" : "-",
		     h.m.match, h.m.packet_age_ms);
		m->last_status = h.status;
	}
	if (pt_cam_health_sign(&m->signer, &h, msg, sizeof(msg), &n) != PT_OK) {
		camlog(CAMLOG_ERR, "event=health error=\"cannot sign\"");
		return;
	}
	do
		r = sendto(m->sock, msg, n, MSG_DONTWAIT | MSG_NOSIGNAL,
			   (const struct sockaddr *)&m->hub, m->hub_len);
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		m->dropped++;
		if (!m->hub_down)
			camlog(errno == EAGAIN ? CAMLOG_DEBUG : CAMLOG_WARN,
			     "event=hub_unreachable socket=\"%s\" error=\"%s\"", m->cfg.hub_socket,
			     strerror(errno));
		m->hub_down = errno != EAGAIN;
		return;
	}
	if (m->hub_down)
		camlog(CAMLOG_INFO, "event=hub_reachable socket=\"%s\" dropped=%llu", m->cfg.hub_socket,
		     (unsigned long long)m->dropped);
	m->hub_down = false;
	m->sent++;
	camlog(CAMLOG_DEBUG, "event=health seq=%llu status=%#x bytes=%zu",
	     (unsigned long long)h.seq, h.status, n);
}

/* ---- set-up and the loop ---- */

static int
common_init(struct monitor *m, const struct cam_config *cfg, const char *conf, bool verbose)
{
	struct pt_errbuf err;
	struct stat st;

	memset(m, 0, sizeof(*m));
	m->cfg = *cfg;
	m->conf = conf;
	m->verbose = verbose;
	m->fd = m->sock = m->exe_fd = -1;
	m->clips.fd = -1;
	m->live.up = -1;
	if (conf == NULL) {
		camlog(CAMLOG_ERR, "event=start error=\"the worker needs the configuration file: -f\"");
		return -1;
	}
	/* Our own binary, opened now: the workers are this very file even if
	 * a package upgrade replaces the path meanwhile. */
	if ((m->exe_fd = open("/proc/self/exe", O_PATH | O_CLOEXEC)) < 0) {
		camlog(CAMLOG_ERR, "event=start error=\"cannot open /proc/self/exe: %s\"",
		     strerror(errno));
		return -1;
	}
	/* Above the worker's fd 3, which the child's dup2 takes over. */
	if (m->exe_fd <= CAM_REPORT_FD) {
		int fd = fcntl(m->exe_fd, F_DUPFD_CLOEXEC, CAM_REPORT_FD + 1);
		close(m->exe_fd);
		if ((m->exe_fd = fd) < 0) {
			camlog(CAMLOG_ERR, "event=start error=\"fcntl: %s\"", strerror(errno));
			return -1;
		}
	}
	if (start(cfg, &err) != 0) {
		camlog(CAMLOG_ERR, "event=start error=\"%s\"", err.msg);
		return -1;
	}
	m->noref = stat(cfg->reference, &st) != 0;
	return 0;
}

int
monitor_run(const struct cam_config *cfg, const char *conf, bool verbose)
{
	static struct monitor mon;	/* not on the stack: holds a config */
	struct monitor *m = &mon;
	struct signalfd_siginfo si;
	struct pollfd pfd[4];
	struct pt_errbuf err;
	uint8_t pk[PT_PK_LEN];
	char pk_text[PT_PK_TEXT_LEN + 1];
	bool created, stop = false;
	sigset_t set;
	int sfd = -1, rc = 1;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (common_init(m, cfg, conf, verbose) != 0)
		goto out;
	if ((sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC)) < 0) {
		camlog(CAMLOG_ERR, "event=start error=\"signalfd: %s\"", strerror(errno));
		goto out;
	}
	if ((m->key = key_load(cfg, &created, &err)) == NULL) {
		camlog(CAMLOG_ERR, "event=start error=\"%s\"", err.msg);
		goto out;
	}
	pt_signer_sodium(&m->signer, m->key);
	pt_secret_public(m->key, pk);
	pt_pubkey_text(pk, pk_text);
	if (created)
		camlog(CAMLOG_INFO, "event=key_created path=\"%s\" public=%s", cfg->key, pk_text);
	pt_random(m->run, sizeof(m->run));
	if (strlen(cfg->hub_socket) >= sizeof(m->hub.sun_path)) {
		camlog(CAMLOG_ERR, "event=start error=\"cam.hub_socket: the path is too long\"");
		goto out;
	}
	m->hub.sun_family = AF_UNIX;
	memcpy(m->hub.sun_path, cfg->hub_socket, strlen(cfg->hub_socket) + 1);
	m->hub_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(cfg->hub_socket) + 1);
	if ((m->sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) < 0) {
		camlog(CAMLOG_ERR, "event=start error=\"socket: %s\"", strerror(errno));
		goto out;
	}
	m->last_packet_ms = m->next_send_ms = cam_mono_ms();
	m->last_status = PT_CAM_OK | PT_CAM_STALLED;	/* impossible: the first is logged */
	if (clips_open(&m->clips, &m->cfg, &m->signer) != 0)
		goto out;
	live_init(&m->live, &m->cfg, &m->signer);
	if (m->cfg.live_on)
		m->clips.live = &m->live;
	spawn_uploader(m);
	camlog(CAMLOG_INFO, "event=started id=%s public=%s input=\"%s\" hub_socket=\"%s\" uid=%u"
			" version=%s",
	     cfg->id, pk_text, cfg->input, cfg->hub_socket, (unsigned)getuid(), CAM_VERSION);
	/* systemd (Type=notify, dist/porter-cam.service): started, as root
	 * already the camera's user; nothing without NOTIFY_SOCKET. */
	(void)sd_notify(0, "READY=1");
	(void)spawn(m, false);

	while (!stop) {
		uint64_t now = cam_mono_ms(), next;
		int timeout, n, nfds = 1, wi = -1, ci = -1, li = -1;

		if (m->pid == 0 && now >= m->restart_at_ms && spawn(m, false) != 0)
			m->restart_at_ms = now + m->cfg.backoff_max_ms;
		if (m->up_pid == 0 && now >= m->up_restart_at_ms)
			spawn_uploader(m);
		if (m->clips.fd >= 0)
			clips_tick(&m->clips, now, m->fd);
		live_tick(&m->live, m->fd);
		if (now >= m->next_send_ms) {
			send_health(m, now);
			m->next_send_ms += m->cfg.interval_ms;
			if (m->next_send_ms <= now)	/* we were held up: no burst */
				m->next_send_ms = now + m->cfg.interval_ms;
		}
		next = m->next_send_ms;
		if (m->pid == 0 && m->restart_at_ms < next)
			next = m->restart_at_ms;
		if (m->clips.fd >= 0 && clips_next_ms(&m->clips) < next)
			next = clips_next_ms(&m->clips);
		if ((m->live.s[0].used || m->live.s[1].used) && now + 250u < next)
			next = now + 250u;	/* expiries */
		timeout = next <= now ? 0 : next - now > (uint64_t)INT_MAX ? INT_MAX : (int)(next - now);
		pfd[0].fd = sfd;
		pfd[0].events = POLLIN;
		if (m->fd >= 0) {
			wi = nfds++;
			pfd[wi].fd = m->fd;
			pfd[wi].events = POLLIN;
		}
		if (m->clips.fd >= 0) {
			ci = nfds++;
			pfd[ci].fd = m->clips.fd;
			pfd[ci].events = POLLIN;
		}
		if (m->live.up >= 0) {
			li = nfds++;
			pfd[li].fd = m->live.up;
			pfd[li].events = (short)(POLLIN | (live_wants_write(&m->live) ? POLLOUT : 0));
		}
		n = poll(pfd, (nfds_t)nfds, timeout);
		if (n < 0 && errno != EINTR) {
			camlog(CAMLOG_ERR, "event=poll error=\"%s\"", strerror(errno));
			break;
		}
		if (n <= 0)
			continue;
		if (wi >= 0 && (pfd[wi].revents & (POLLIN | POLLHUP | POLLERR)))
			on_worker(m);
		if (ci >= 0 && (pfd[ci].revents & POLLIN))
			clips_on_marks(&m->clips, m->fd);
		if (li >= 0 && m->live.up == pfd[li].fd) {
			if (pfd[li].revents & POLLOUT)
				live_flush(&m->live);
			if (pfd[li].revents & (POLLIN | POLLHUP | POLLERR))
				live_on_uploader(&m->live, m->fd);
		}
		if (!(pfd[0].revents & POLLIN))
			continue;
		while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
			if (si.ssi_signo == SIGCHLD) {
				if (m->fd >= 0)
					on_worker(m);	/* its last words first */
				reap(m);
			} else if (si.ssi_signo == SIGHUP) {
				struct cam_config nc;
				(void)sd_notify(0, "RELOADING=1");
				if (config_load(conf, &nc, &err) != 0 || nc.input[0] == '\0') {
					camlog(CAMLOG_ERR, "event=reload result=kept error=\"%s\"",
					     nc.input[0] == '\0' ? "cam.input is empty" : err.msg);
					(void)sd_notify(0, "READY=1");
					continue;
				}
				m->cfg.interval_ms = nc.interval_ms;
				m->cfg.stall_ms = nc.stall_ms;
				m->cfg.backoff_min_ms = nc.backoff_min_ms;
				m->cfg.backoff_max_ms = nc.backoff_max_ms;
				camlog_set(verbose ? CAMLOG_DEBUG : nc.log_level, NULL);
				camlog(CAMLOG_INFO, "event=reload result=applied note=\"the input worker"
						" restarts with it; [cam] id, key, hub_socket, user and"
						" [clips] change on restart only\"");
				stop_worker(m);
				clips_worker_gone(&m->clips);
				live_worker_gone(&m->live);
				m->failures = 0;
				m->restart_at_ms = 0;
				(void)sd_notify(0, "READY=1");
			} else {
				camlog(CAMLOG_INFO, "event=stopping signal=%u", si.ssi_signo);
				(void)sd_notify(0, "STOPPING=1");
				stop = true;
			}
		}
	}
	rc = 0;
out:
	stop_worker(m);
	if (m->fd < 0)
		clips_worker_gone(&m->clips);
	clips_close(&m->clips);
	live_close(&m->live, m->fd);
	if (m->up_pid > 0) {
		int st;
		kill(m->up_pid, SIGTERM);
		(void)waitpid(m->up_pid, &st, 0);
	}
	if (m->sock >= 0)
		close(m->sock);
	if (m->exe_fd >= 0)
		close(m->exe_fd);
	if (sfd >= 0)
		close(sfd);
	if (m->key != NULL)
		pt_secret_free(m->key);
	if (rc == 0)
		camlog(CAMLOG_INFO, "event=stopped sent=%llu dropped=%llu", (unsigned long long)m->sent,
		     (unsigned long long)m->dropped);
	return rc;
}

/* ---- porter-cam reference ---- */

int
monitor_reference(const struct cam_config *cfg, const char *conf, bool verbose)
{
	static struct monitor mon;
	struct monitor *m = &mon;
	struct cam_reference ref;
	struct pt_errbuf err;
	uint8_t buf[1 + CAM_PIX + 16];
	uint64_t until;
	unsigned long sum = 0;
	int status, rc = 1;
	ssize_t n = -1;
	size_t i;

	signal(SIGPIPE, SIG_IGN);
	if (common_init(m, cfg, conf, verbose) != 0)
		return 1;
	if (spawn(m, true) != 0)
		goto out;
	until = cam_mono_ms() + cfg->open_timeout_ms + 5000u + 10000u / cfg->analyse_fps * 2u;
	for (;;) {
		struct pollfd p = {m->fd, POLLIN, 0};
		uint64_t now = cam_mono_ms();
		if (now >= until) {
			fprintf(stderr, "porter-cam: no pictures from '%s' in time\n", cfg->input);
			goto out;
		}
		if (poll(&p, 1, (int)(until - now)) <= 0)
			continue;
		n = recv(m->fd, buf, sizeof(buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		break;
	}
	if (n <= 0) {
		(void)waitpid(m->pid, &status, 0);
		m->pid = 0;
		fprintf(stderr, "porter-cam: the input worker gave no picture (%s): see the log\n",
			WIFEXITED(status) ? worker_exit_text(WEXITSTATUS(status)) : "killed");
		goto out;
	}
	if (n != 1 + CAM_PIX || buf[0] != CAM_MSG_REF) {
		fprintf(stderr, "porter-cam: the input worker sent something else than a picture\n");
		goto out;
	}
	for (i = 0; i < CAM_PIX; i++)
		sum += buf[1 + i];
	if (!cam_reference_init(&ref, buf + 1) || sum / CAM_PIX < cfg->lim.black_luma) {
		fprintf(stderr,
			"porter-cam: the picture has too little detail to be a reference (%u of %d"
			" blocks textured, %d needed; mean luma %lu): is the lens covered or the room"
			" dark?\n",
			ref.textured, CAM_BLOCKS, CAM_REF_TEXTURED_MIN, sum / CAM_PIX);
		goto out;
	}
	if (reference_save(cfg->reference, buf + 1, &err) != 0) {
		fprintf(stderr, "porter-cam: %s\n", err.msg);
		goto out;
	}
	printf("reference: '%s' (%u of %d blocks textured, mean luma %lu)\n", cfg->reference,
	       ref.textured, CAM_BLOCKS, sum / CAM_PIX);
	printf("signal a running porter-cam with SIGHUP to use it\n");
	rc = 0;
out:
	stop_worker(m);
	if (m->exe_fd >= 0)
		close(m->exe_fd);
	return rc;
}
