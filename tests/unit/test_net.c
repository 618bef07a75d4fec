/*
 * Reaching a broker by name (porter/net.h, lib/util/net.c; docs/mqtt.md,
 * "A broker name with several addresses", "An address that never
 * answers"): the bind address by failed attempts, the connect deadline,
 * and pt_net_connect_error on real loopback sockets: a refused connect
 * reports ECONNREFUSED, a connect whose SYNs are dropped reports nothing
 * (which is why the clients need the deadline), and
 * pt_net_connect_abandon ends such a connect at the deadline.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "porter/net.h"
#include "t.h"

static void
bind_rotation(void)
{
	static const char *const numeric[] = {"127.0.0.1", "::1", "192.0.2.7", "2001:db8::1"};
	const char *b;
	unsigned i, f;

	for (i = 0; i < sizeof(numeric) / sizeof(numeric[0]); i++)
		for (f = 0; f < 4; f++)
			T_OK(pt_net_bind_for(numeric[i], f) == NULL, "%s after %u failed: NULL", numeric[i], f);
	T_OK(pt_net_bind_for(NULL, 1) == NULL, "no host: NULL");
	T_OK(pt_net_bind_for("localhost", 0) == NULL, "a name, first attempt: every address");
	b = pt_net_bind_for("localhost", 1);
	T_OK(b != NULL && strcmp(b, "0.0.0.0") == 0, "after one failed: 0.0.0.0 (IPv4 only)");
	b = pt_net_bind_for("localhost", 2);
	T_OK(b != NULL && strcmp(b, "::") == 0, "after two: :: (IPv6 only)");
	T_OK(pt_net_bind_for("localhost", 3) == NULL, "after three: every address again");
	b = pt_net_bind_for("broker.example", 4);
	T_OK(b != NULL && strcmp(b, "0.0.0.0") == 0, "and round again");
}

static void
deadline(void)
{
	uint64_t by = pt_net_connect_by(5000);

	T_EQ(PT_NET_CONNECT_WAIT_MS, 10000, "the wait is 10 s (docs/mqtt.md)");
	T_EQ(by, 5000 + PT_NET_CONNECT_WAIT_MS, "by = now + the wait");
	T_OK(!pt_net_connect_is_late(by, by - 1), "1 ms before: not late");
	T_OK(pt_net_connect_is_late(by, by), "at the deadline: late");
	T_OK(pt_net_connect_is_late(by, by + 1), "after it: late");
	T_OK(pt_net_connect_by(UINT64_MAX - 1) == UINT64_MAX, "near the clock's end: saturates");
	T_OK(!pt_net_connect_is_late(pt_net_connect_by(UINT64_MAX - 1), UINT64_MAX - 1),
	     "... and is not late at once");
}

static int
loopback4(struct sockaddr_in *sa, int fd)
{
	socklen_t len = sizeof(*sa);

	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)sa, sizeof(*sa)) != 0 ||
	    getsockname(fd, (struct sockaddr *)sa, &len) != 0)
		return -1;
	return 0;
}

static int
connect_nb(const struct sockaddr_in *sa)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) != 0 && errno != EINPROGRESS) {
		close(fd);
		return -1;
	}
	return fd;
}

/* poll(2) for POLLOUT: 1 when the connect has an answer, 0 when none came. */
static int
answered(int fd, int ms)
{
	struct pollfd p = {.fd = fd, .events = POLLOUT};

	return poll(&p, 1, ms);
}

static void
connect_error(void)
{
	struct sockaddr_in sa;
	int lfd, held, fd;

	T_EQ(pt_net_connect_error(-1), 0, "no socket: 0");

	/* Refused: a port bound and closed again, nobody listening. */
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	T_OK(lfd >= 0 && loopback4(&sa, lfd) == 0, "a free loopback port");
	close(lfd);
	fd = connect_nb(&sa);
	T_OK(fd >= 0, "a non-blocking connect to it");
	if (fd >= 0) {
		T_EQ(answered(fd, 10000), 1, "answered");
		T_EQ(pt_net_connect_error(fd), ECONNREFUSED, "refused: ECONNREFUSED");
		T_EQ(pt_net_connect_error(fd), ECONNREFUSED,
		     "asked again (SO_ERROR taken): still ECONNREFUSED, from the TCP state");
		close(fd);
	}

	/* Dropped: listen(0), its one accept-queue place held by a
	 * connection never accepted; Linux drops every further SYN. */
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	held = -1;
	T_OK(lfd >= 0 && loopback4(&sa, lfd) == 0 && listen(lfd, 0) == 0, "a listener, backlog 0");
	held = socket(AF_INET, SOCK_STREAM, 0);
	T_OK(held >= 0 && connect(held, (struct sockaddr *)&sa, sizeof(sa)) == 0,
	     "its accept queue held by a connection never accepted");
	fd = connect_nb(&sa);
	T_OK(fd >= 0, "a non-blocking connect to it");
	if (fd >= 0) {
		T_EQ(answered(fd, 300), 0, "no answer (the SYN dropped)");
		T_EQ(pt_net_connect_error(fd), 0,
		     "pt_net_connect_error: nothing (still connecting): only a deadline ends it");
		/* The deadline passed: the attempt ends now, the descriptor
		 * stays open (libmosquitto's to close). */
		pt_net_connect_abandon(fd);
		T_EQ(answered(fd, 1000), 1, "pt_net_connect_abandon: the connect is over at once");
		T_OK(pt_net_connect_error(fd) != 0, "... and failed (no SYN sent any more)");
		T_OK(fcntl(fd, F_GETFD) != -1, "... the descriptor still open");
		close(fd);
	}
	pt_net_connect_abandon(-1);	/* no socket: nothing (and no crash) */
	if (held >= 0)
		close(held);
	if (lfd >= 0)
		close(lfd);
}

int
main(void)
{
	bind_rotation();
	deadline();
	connect_error();
	return t_done();
}
