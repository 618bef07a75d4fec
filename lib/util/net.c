/*
 * Reaching a broker by name when one address family does not answer
 * (porter/net.h).
 */
#include "porter/net.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stddef.h>

const char *
pt_net_bind_for(const char *host, unsigned failed)
{
	static const char *const by[] = {NULL, "0.0.0.0", "::"};
	unsigned char a[sizeof(struct in6_addr)];

	if (host == NULL || inet_pton(AF_INET, host, a) == 1 || inet_pton(AF_INET6, host, a) == 1)
		return NULL;
	return by[failed % (sizeof(by) / sizeof(by[0]))];
}
