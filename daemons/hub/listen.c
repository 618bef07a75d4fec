/*
 * The link's listeners and connections, and the line-oriented control
 * sockets (admin, sim).
 *
 * Link connections are non-blocking, each with a receive buffer of one
 * frame (PT_LINK_FRAME_MAX) and a send buffer of two. The frame reader
 * (pt_link_frame_scan) decides from the first two bytes whether a frame
 * can be taken at all: a length over the cap is answered with ERROR
 * too-large before any more of it is read. Bytes are read exactly as
 * the reader asks for them, so the buffer never holds more than the
 * frame being received. A connection may carry several exchanges in
 * turn (docs/link-protocol.md: "After a DECISION the device may send a
 * new HELLO"); it is closed after an ERROR (once the ERROR is written),
 * after idle_timeout without a complete frame, or when the peer closes.
 * A connection beyond max_connections is closed as soon as it is accepted.
 */
#define _GNU_SOURCE	/* accept4 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include "hub.h"

#define LINK_SLOTS 128
#define LINE_TIMEOUT_MS 5000u

/* ---- small socket helpers ---- */

static int
unix_listen(const char *path, unsigned mode, struct pt_errbuf *err)
{
	struct sockaddr_un sa;
	struct stat st;
	mode_t old;
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		(void)snprintf(err->msg, sizeof(err->msg), "socket path '%.100s' is too long (%zu bytes max)",
			       path, sizeof(sa.sun_path) - 1);
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	/* A socket left by an earlier run goes; anything else stays. */
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			(void)snprintf(err->msg, sizeof(err->msg),
				       "'%.100s' exists and is not a socket", path);
			return -1;
		}
		(void)unlink(path);
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0)
		goto fail;
	/* The mode from the start: no moment where others could connect. */
	old = umask((mode_t)(~mode & 0777));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		umask(old);
		goto fail_fd;
	}
	umask(old);
	if (chmod(path, (mode_t)mode) != 0 || listen(fd, 16) != 0)
		goto fail_fd;
	return fd;
fail_fd:
	(void)snprintf(err->msg, sizeof(err->msg), "cannot listen on '%.100s': %s", path,
		       strerror(errno));
	close(fd);
	return -1;
fail:
	(void)snprintf(err->msg, sizeof(err->msg), "cannot listen on '%.100s': %s", path,
		       strerror(errno));
	return -1;
}

static int
tcp_listen(const char *addr, unsigned *port, struct pt_errbuf *err)
{
	struct sockaddr_storage ss;
	unsigned sl;
	socklen_t gl;
	int fd, one = 1;

	if (config_parse_addr(addr, &ss, &sl) != 0) {
		(void)snprintf(err->msg, sizeof(err->msg), "link.tcp: '%.100s' is not host:port", addr);
		return -1;
	}
	if ((fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0)
		goto fail;
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, (socklen_t)sl) != 0 || listen(fd, 16) != 0) {
		close(fd);
		goto fail;
	}
	gl = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &gl) == 0)
		*port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
						       : ((struct sockaddr_in *)&ss)->sin_port);
	return fd;
fail:
	(void)snprintf(err->msg, sizeof(err->msg), "cannot listen on '%.100s': %s", addr,
		       strerror(errno));
	return -1;
}

/* ---- line control sockets ---- */

int
hub_lines_open(struct hub_lines *l, const char *what, const char *path, unsigned mode,
	       hub_line_fn fn, void *arg, struct pt_errbuf *err)
{
	size_t i;

	memset(l, 0, sizeof(*l));
	l->what = what;
	l->fn = fn;
	l->arg = arg;
	for (i = 0; i < HUB_LINE_CONNS; i++) {
		l->c[i].fd = -1;
		l->c[i].owner = l;
	}
	if ((l->fd = unix_listen(path, mode, err)) < 0)
		return -1;
	return 0;
}

static void
line_conn_close(struct hub_line_conn *c)
{
	struct hub_lines *owner = c->owner;

	if (c->fd >= 0)
		close(c->fd);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->owner = owner;
}

void
hub_lines_close(struct hub_lines *l, const char *path)
{
	size_t i;

	for (i = 0; i < HUB_LINE_CONNS; i++)
		line_conn_close(&l->c[i]);
	if (l->fd >= 0) {
		close(l->fd);
		l->fd = -1;
		if (path != NULL)
			(void)unlink(path);
	}
}

static void
line_write(struct hub_line_conn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = write(c->fd, c->out + c->out_off, c->out_len - c->out_off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			line_conn_close(c);
			return;
		}
		c->out_off += (size_t)n;
	}
	line_conn_close(c);	/* one request, one reply */
}

static void
line_on_conn(void *arg, short revents)
{
	struct hub_line_conn *c = arg;
	struct hub_lines *l = c->owner;
	char *nl;
	ssize_t n;

	if (c->fd < 0)
		return;
	if (c->out_len > 0) {
		if (revents & (POLLOUT | POLLERR | POLLHUP))
			line_write(c);
		return;
	}
	if (!(revents & (POLLIN | POLLERR | POLLHUP)))
		return;
	n = read(c->fd, c->in + c->in_len, HUB_LINE_MAX - c->in_len);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		line_conn_close(c);
		return;
	}
	c->in_len += (size_t)n;
	c->in[c->in_len] = '\0';
	if ((nl = memchr(c->in, '\n', c->in_len)) == NULL) {
		if (c->in_len < HUB_LINE_MAX)
			return;
		(void)snprintf(c->out, sizeof(c->out), "error line too long\n");
	} else {
		*nl = '\0';
		if (nl > c->in && nl[-1] == '\r')
			nl[-1] = '\0';
		if (memchr(c->in, '\0', (size_t)(nl - c->in)) != NULL) {
			(void)snprintf(c->out, sizeof(c->out), "error not text\n");
		} else {
			size_t rl;
			c->out[0] = '\0';
			l->fn(l->arg, c->in, c->out, HUB_REPLY_MAX);
			c->out[HUB_REPLY_MAX - 1] = '\0';
			rl = strlen(c->out);	/* out holds HUB_REPLY_MAX + 1 */
			c->out[rl] = '\n';
			c->out[rl + 1] = '\0';
		}
	}
	c->out_len = strlen(c->out);
	c->out_off = 0;
	line_write(c);
}

static void
line_on_listen(void *arg, short revents)
{
	struct hub_lines *l = arg;
	size_t i;
	int fd;

	if (!(revents & POLLIN))
		return;
	while ((fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		for (i = 0; i < HUB_LINE_CONNS && l->c[i].fd >= 0; i++)
			continue;
		if (i == HUB_LINE_CONNS) {
			hlog(HLOG_WARN, "event=%s_refused reason=busy", l->what);
			close(fd);
			continue;
		}
		line_conn_close(&l->c[i]);
		l->c[i].fd = fd;
		l->c[i].since_ms = hub_mono_ms();
	}
}

void
hub_lines_poll(struct hub_lines *l, struct hub_poll *p)
{
	size_t i;

	if (l->fd < 0)
		return;
	hub_poll_add(p, l->fd, POLLIN, line_on_listen, l);
	for (i = 0; i < HUB_LINE_CONNS; i++) {
		if (l->c[i].fd < 0)
			continue;
		hub_poll_add(p, l->c[i].fd, l->c[i].out_len > 0 ? POLLOUT : POLLIN, line_on_conn,
			     &l->c[i]);
	}
}

uint64_t
hub_lines_deadline(const struct hub_lines *l)
{
	uint64_t d = UINT64_MAX;
	size_t i;

	for (i = 0; i < HUB_LINE_CONNS; i++)
		if (l->c[i].fd >= 0 && l->c[i].since_ms + LINE_TIMEOUT_MS < d)
			d = l->c[i].since_ms + LINE_TIMEOUT_MS;
	return d;
}

void
hub_lines_tick(struct hub_lines *l, uint64_t now_ms)
{
	size_t i;

	for (i = 0; i < HUB_LINE_CONNS; i++)
		if (l->c[i].fd >= 0 && now_ms >= l->c[i].since_ms + LINE_TIMEOUT_MS)
			line_conn_close(&l->c[i]);
}

int
hub_lines_request(const char *path, const char *line, char *reply, size_t cap,
		  struct pt_errbuf *err)
{
	struct sockaddr_un sa;
	struct pollfd pfd;
	size_t len = 0, ll = strlen(line);
	ssize_t n;
	int fd = -1;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path) || ll + 1 > HUB_LINE_MAX || cap == 0) {
		(void)snprintf(err->msg, sizeof(err->msg), "socket path '%.100s' is too long", path);
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		(void)snprintf(err->msg, sizeof(err->msg), "cannot connect to '%.100s': %s", path,
			       strerror(errno));
		goto fail;
	}
	if (write(fd, line, ll) != (ssize_t)ll || write(fd, "\n", 1) != 1) {
		(void)snprintf(err->msg, sizeof(err->msg), "cannot write to '%.100s': %s", path,
			       strerror(errno));
		goto fail;
	}
	for (;;) {
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, (int)LINE_TIMEOUT_MS) <= 0) {
			(void)snprintf(err->msg, sizeof(err->msg), "no answer from '%.100s'", path);
			goto fail;
		}
		n = read(fd, reply + len, cap - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		if (memchr(reply, '\n', len) != NULL || len == cap - 1)
			break;
	}
	reply[len] = '\0';
	if (len > 0 && reply[len - 1] == '\n')
		reply[len - 1] = '\0';
	close(fd);
	if (len == 0) {
		(void)snprintf(err->msg, sizeof(err->msg), "empty answer from '%.100s'", path);
		return -1;
	}
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	return -1;
}

/* ---- the link ---- */

struct link_conn {
	int fd;				/* -1: free slot */
	struct hub_session s;
	char peer[64];
	uint8_t in[PT_LINK_FRAME_MAX];
	size_t in_len;
	uint8_t out[2 * PT_LINK_FRAME_MAX];
	size_t out_len, out_off;
	bool closing;			/* close once out is written */
	bool waiting;			/* the core answers later (HUB_WAIT) */
	bool half_closed;		/* the peer shut its side (POLLRDHUP) while waiting */
	uint64_t last_ms;		/* accept, or the last complete frame */
	struct hub_link *l;
};

struct hub_link {
	struct hub *h;
	int unix_fd, tcp_fd;
	char unix_path[PATH_MAX];
	unsigned tcp_port;
	uint32_t idle_ms, max_conns;
	uint64_t next_id;
	size_t n_open;
	struct link_conn c[LINK_SLOTS];
};

static void
conn_close(struct link_conn *c, const char *why)
{
	struct hub_link *l = c->l;

	hlog(HLOG_DEBUG, "event=link_close conn=%llu why=%s", (unsigned long long)c->s.id, why);
	if (c->waiting) {
		c->waiting = false;
		hub_on_session_closed(l->h, &c->s);
	}
	close(c->fd);
	pt_wipe(c->in, sizeof(c->in));
	memset(c, 0, offsetof(struct link_conn, in));
	c->fd = -1;
	c->in_len = c->out_len = c->out_off = 0;
	c->closing = false;
	c->waiting = false;
	c->half_closed = false;
	c->l = l;
	l->n_open--;
}

/* Write what is queued; false if the connection was closed. */
static bool
conn_flush(struct link_conn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return true;
		if (n <= 0) {
			conn_close(c, "write-failed");
			return false;
		}
		c->out_off += (size_t)n;
	}
	c->out_off = c->out_len = 0;
	if (c->closing) {
		shutdown(c->fd, SHUT_WR);
		conn_close(c, "after-error");
		return false;
	}
	return true;
}

/* Room for one more reply? */
static bool
conn_has_room(const struct link_conn *c)
{
	return sizeof(c->out) - c->out_len >= PT_LINK_FRAME_MAX;
}

static void
queue_error(struct link_conn *c, int reason)
{
	struct pt_link_error e;
	size_t n;

	memset(&e, 0, sizeof(e));
	e.reason = reason;
	if (pt_link_error_encode(&e, c->out + c->out_len, sizeof(c->out) - c->out_len, &n) == PT_OK)
		c->out_len += n;
	c->closing = true;
}

/* Read and take frames while there are bytes and room for replies. */
static void
conn_read(struct link_conn *c)
{
	struct hub_link *l = c->l;
	size_t fl, need;
	int frames = 0, r;
	bool alive;

	while (!c->closing && !c->waiting && conn_has_room(c) && frames < 8) {
		ssize_t n;

		r = pt_link_frame_scan(c->in, c->in_len, &fl, &need);
		if (r != PT_OK) {
			/* The prefix alone says it cannot be a frame: answer
			 * without reading the rest. */
			hlog(HLOG_INFO, "event=link_error conn=%llu frame=prefix reason=%s",
			     (unsigned long long)c->s.id, pt_err_code(r));
			hub_on_frame_error(l->h, &c->s, r);
			queue_error(c, r);
			break;
		}
		if (fl == 0) {
			n = read(c->fd, c->in + c->in_len, need);
			if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
				break;
			if (n < 0 && errno == EINTR)
				continue;
			if (n == 0 && c->out_len > c->out_off) {
				/* The peer is done sending: the answer still goes out. */
				c->closing = true;
				break;
			}
			if (n <= 0) {
				conn_close(c, n == 0 ? "peer-closed" : "read-failed");
				return;
			}
			c->in_len += (size_t)n;
			continue;
		}
		/* A whole frame: the core answers it. */
		{
			size_t out_n = 0;
			int v = hub_on_frame(l->h, &c->s, c->in, fl, c->out + c->out_len, &out_n);
			c->out_len += out_n;
			if (v == HUB_CLOSE)
				c->closing = true;
			else if (v == HUB_WAIT)
				c->waiting = true;
		}
		pt_wipe(c->in, fl);
		c->in_len = 0;
		c->last_ms = hub_mono_ms();
		frames++;
		/* The answer goes out before anything else is read or done;
		 * then what the core left for after it (a grant's door step),
		 * whether or not the send worked. */
		alive = c->out_len == 0 || conn_flush(c);
		hub_after_answer(l->h);
		if (!alive)
			return;
	}
	(void)conn_flush(c);
}

static void
conn_on_event(void *arg, short revents)
{
	struct link_conn *c = arg;

	if (c->fd < 0)
		return;
	if (revents & POLLNVAL) {
		conn_close(c, "invalid");
		return;
	}
	if (revents & POLLOUT) {
		if (!conn_flush(c))
			return;
	}
	if (c->waiting) {
		/* Only a hangup is of interest until the core answers. A
		 * half-close (the peer shut its writing side, POLLRDHUP) is
		 * not one: it may still read the answer; it is noted and no
		 * longer polled for (it would wake us at once, again and
		 * again). Gone is POLLHUP, POLLERR, or the answer's write
		 * failing. */
		if (revents & (POLLHUP | POLLERR))
			conn_close(c, "peer-closed-while-waiting");
		else if (revents & POLLRDHUP)
			c->half_closed = true;
		return;
	}
	if (revents & (POLLIN | POLLHUP | POLLERR)) {
		if (c->closing) {
			/* Draining: ignore what the peer still sends. */
			uint8_t junk[512];
			ssize_t n = read(c->fd, junk, sizeof(junk));
			if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
				conn_close(c, "peer-closed");
			return;
		}
		conn_read(c);
	}
}

static void
peer_name(const struct sockaddr_storage *ss, char *out, size_t cap)
{
	char ip[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
		inet_ntop(AF_INET, &s4->sin_addr, ip, sizeof(ip));
		(void)snprintf(out, cap, "%s:%u", ip, ntohs(s4->sin_port));
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
		inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof(ip));
		(void)snprintf(out, cap, "[%s]:%u", ip, ntohs(s6->sin6_port));
	} else {
		(void)snprintf(out, cap, "unix");
	}
}

static void
link_accept(struct hub_link *l, int lfd)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	size_t i;
	int fd, one = 1;

	for (;;) {
		sl = sizeof(ss);
		fd = accept4(lfd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		if (l->n_open >= l->max_conns) {
			hlog(HLOG_WARN, "event=link_refused reason=max_connections max=%u", l->max_conns);
			close(fd);
			continue;
		}
		for (i = 0; i < LINK_SLOTS && l->c[i].fd >= 0; i++)
			continue;
		if (i == LINK_SLOTS) {
			close(fd);
			continue;
		}
		if (ss.ss_family != AF_UNIX)
			(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		l->c[i].fd = fd;
		l->c[i].s.id = ++l->next_id;
		l->c[i].last_ms = hub_mono_ms();
		peer_name(&ss, l->c[i].peer, sizeof(l->c[i].peer));
		l->n_open++;
		hlog(HLOG_DEBUG, "event=link_accept conn=%llu peer=%s", (unsigned long long)l->c[i].s.id,
		     l->c[i].peer);
	}
}

static void
on_unix(void *arg, short revents)
{
	struct hub_link *l = arg;

	if (revents & POLLIN)
		link_accept(l, l->unix_fd);
}

static void
on_tcp(void *arg, short revents)
{
	struct hub_link *l = arg;

	if (revents & POLLIN)
		link_accept(l, l->tcp_fd);
}

int
hub_link_open(struct hub_link **out, struct hub *h, const struct hub_config *cfg,
	      struct pt_errbuf *err)
{
	struct hub_link *l = calloc(1, sizeof(*l));
	size_t i;

	*out = NULL;
	if (l == NULL) {
		(void)snprintf(err->msg, sizeof(err->msg), "out of memory");
		return -1;
	}
	l->h = h;
	l->unix_fd = l->tcp_fd = -1;
	for (i = 0; i < LINK_SLOTS; i++) {
		l->c[i].fd = -1;
		l->c[i].l = l;
	}
	hub_link_reconfigure(l, cfg);
	if (cfg->unix_path[0] != '\0') {
		if ((l->unix_fd = unix_listen(cfg->unix_path, 0660, err)) < 0)
			goto fail;
		memcpy(l->unix_path, cfg->unix_path, strlen(cfg->unix_path) + 1);
	}
	if (cfg->tcp[0] != '\0' && (l->tcp_fd = tcp_listen(cfg->tcp, &l->tcp_port, err)) < 0)
		goto fail;
	*out = l;
	return 0;
fail:
	hub_link_close(l);
	return -1;
}

void
hub_link_close(struct hub_link *l)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < LINK_SLOTS; i++)
		if (l->c[i].fd >= 0)
			conn_close(&l->c[i], "shutdown");
	if (l->unix_fd >= 0) {
		close(l->unix_fd);
		(void)unlink(l->unix_path);
	}
	if (l->tcp_fd >= 0)
		close(l->tcp_fd);
	free(l);
}

void
hub_link_reconfigure(struct hub_link *l, const struct hub_config *cfg)
{
	l->idle_ms = cfg->idle_timeout_ms;
	l->max_conns = cfg->max_connections > LINK_SLOTS ? LINK_SLOTS : cfg->max_connections;
}

void
hub_link_poll(struct hub_link *l, struct hub_poll *p)
{
	size_t i;

	if (l->unix_fd >= 0)
		hub_poll_add(p, l->unix_fd, POLLIN, on_unix, l);
	if (l->tcp_fd >= 0)
		hub_poll_add(p, l->tcp_fd, POLLIN, on_tcp, l);
	for (i = 0; i < LINK_SLOTS; i++) {
		struct link_conn *c = &l->c[i];
		short ev = 0;
		if (c->fd < 0)
			continue;
		if (c->out_len > c->out_off)
			ev |= POLLOUT;
		if (c->waiting && !c->half_closed)
			ev |= POLLRDHUP;	/* bytes the peer sends wait in the kernel */
		else if (c->closing || conn_has_room(c))
			ev |= POLLIN;
		hub_poll_add(p, c->fd, ev, conn_on_event, c);
	}
}

uint64_t
hub_link_deadline(const struct hub_link *l)
{
	uint64_t d = UINT64_MAX;
	size_t i;

	for (i = 0; i < LINK_SLOTS; i++)
		if (l->c[i].fd >= 0 && !l->c[i].waiting && l->c[i].last_ms + l->idle_ms < d)
			d = l->c[i].last_ms + l->idle_ms;
	return d;
}

void
hub_link_tick(struct hub_link *l, uint64_t now_ms)
{
	size_t i;

	/* A waiting connection is bounded by the core's own timeout. */
	for (i = 0; i < LINK_SLOTS; i++)
		if (l->c[i].fd >= 0 && !l->c[i].waiting && now_ms >= l->c[i].last_ms + l->idle_ms)
			conn_close(&l->c[i], "idle");
}

int
hub_link_reply(struct hub_link *l, uint64_t conn_id, const uint8_t *frame, size_t len)
{
	struct link_conn *c = NULL;
	size_t i;

	for (i = 0; i < LINK_SLOTS; i++)
		if (l->c[i].fd >= 0 && l->c[i].s.id == conn_id) {
			c = &l->c[i];
			break;
		}
	if (c == NULL || !c->waiting || len > sizeof(c->out) - c->out_len)
		return -1;
	memcpy(c->out + c->out_len, frame, len);
	c->out_len += len;
	c->waiting = false;
	c->last_ms = hub_mono_ms();
	(void)conn_flush(c);
	return 0;
}

unsigned
hub_link_tcp_port(const struct hub_link *l)
{
	return l->tcp_port;
}
