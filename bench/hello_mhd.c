/*
 * The baseline for porterd's HTTP benchmark: a bare libmicrohttpd server
 * with porterd's threading (internal epoll thread, pool of 2, ITC) that
 * answers every request with a small JSON body, responding on the second
 * call of the access handler as porterd does (see FACTS on keep-alive).
 *
 *   hello_mhd PORTFILE [POOL]
 *
 * listens on 127.0.0.1, a free port written to PORTFILE. POOL: the bytes of
 * memory per connection (MHD_OPTION_CONNECTION_MEMORY_LIMIT); without it,
 * libmicrohttpd's default (32 KiB in 0.9.75), which is the baseline of the
 * goals. bench/http.sh also runs it with porterd's POOL_SIZE (http.c), to
 * show how much of porterd's gain from its smaller pool a bare server gets.
 */
#include <arpa/inet.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <microhttpd.h>

static const char body[] = "{\"status\":\"ok\",\"version\":\"0.1.0\",\"schema\":1}";

static enum MHD_Result
handler(void *cls, struct MHD_Connection *c, const char *url, const char *method,
	const char *version, const char *upload, size_t *upload_size, void **ctx)
{
	static int marker;
	struct MHD_Response *r;
	enum MHD_Result ret;

	(void)cls, (void)url, (void)method, (void)version, (void)upload;
	if (*ctx == NULL) {
		*ctx = &marker;
		return MHD_YES;
	}
	*upload_size = 0;
	r = MHD_create_response_from_buffer(sizeof(body) - 1, (void *)(uintptr_t)body,
					    MHD_RESPMEM_PERSISTENT);
	MHD_add_response_header(r, "Content-Type", "application/json");
	ret = MHD_queue_response(c, 200, r);
	MHD_destroy_response(r);
	return ret;
}

int
main(int argc, char **argv)
{
	struct sockaddr_in sa;
	struct MHD_Daemon *d;
	const union MHD_DaemonInfo *di;
	sigset_t set;
	FILE *f;
	int sig;

	size_t pool = 0;

	if (argc != 2 && argc != 3) {
		fprintf(stderr, "usage: hello_mhd PORTFILE [POOL]\n");
		return 1;
	}
	if (argc == 3 && ((pool = strtoul(argv[2], NULL, 10)) < 4096 || pool > (1u << 24))) {
		fprintf(stderr, "hello_mhd: POOL is 4096..16777216 bytes\n");
		return 1;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (pool != 0)
		d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC, 0,
				     NULL, NULL, handler, NULL, MHD_OPTION_SOCK_ADDR, &sa,
				     MHD_OPTION_THREAD_POOL_SIZE, 2u, MHD_OPTION_CONNECTION_TIMEOUT,
				     30u, MHD_OPTION_CONNECTION_MEMORY_LIMIT, pool, MHD_OPTION_END);
	else
		d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC, 0,
				     NULL, NULL, handler, NULL, MHD_OPTION_SOCK_ADDR, &sa,
				     MHD_OPTION_THREAD_POOL_SIZE, 2u, MHD_OPTION_CONNECTION_TIMEOUT,
				     30u, MHD_OPTION_END);
	if (d == NULL)
		return 1;
	di = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	if ((f = fopen(argv[1], "w")) == NULL)
		return 1;
	fprintf(f, "%u\n", (unsigned)di->port);
	fclose(f);
	sigwait(&set, &sig);
	MHD_stop_daemon(d);
	return 0;
}
