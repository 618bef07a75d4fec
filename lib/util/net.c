/*
 * Reaching a broker by name when one address family does not answer
 * (porter/net.h).
 */
#include "porter/net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/tcp.h>
#include <string.h>
#include <netinet/in.h>
#include <stddef.h>
#include <sys/socket.h>

const char *
pt_net_bind_for(const char *host, unsigned failed)
{
	static const char *const by[] = {NULL, "0.0.0.0", "::"};
	unsigned char a[sizeof(struct in6_addr)];

	if (host == NULL || inet_pton(AF_INET, host, a) == 1 || inet_pton(AF_INET6, host, a) == 1)
		return NULL;
	return by[failed % (sizeof(by) / sizeof(by[0]))];
}

int
pt_net_connect_error(int fd)
{
	struct tcp_info ti;
	socklen_t len;
	int e = 0;

	if (fd < 0)
		return 0;
	len = sizeof(e);
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len) == 0 && e != 0)
		return e;
	/* The error may have been taken already by a read or write that
	 * failed with it (OpenSSL's handshake): the state says it all. A
	 * connect still under way is SYN_SENT; one that failed, CLOSE. */
	memset(&ti, 0, sizeof(ti));
	len = sizeof(ti);
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) == 0 && len >= 1 &&
	    ti.tcpi_state == TCP_CLOSE)
		return ECONNREFUSED;
	return 0;
}

uint64_t
pt_net_connect_by(uint64_t now_ms)
{
	return now_ms > UINT64_MAX - PT_NET_CONNECT_WAIT_MS ? UINT64_MAX
							    : now_ms + PT_NET_CONNECT_WAIT_MS;
}

bool
pt_net_connect_is_late(uint64_t by_ms, uint64_t now_ms)
{
	return now_ms >= by_ms;
}

void
pt_net_connect_abandon(int fd)
{
	if (fd >= 0)
		(void)shutdown(fd, SHUT_RDWR);
}
