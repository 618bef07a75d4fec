/*
 * tests/integration/alarm_drv_peer.c: runs one real alarm panel driver
 * (daemons/hub/alarm_tpi.c or alarm_mqtt.c) in a poll loop of its own, the
 * way porter-hub's loop runs it, with its configuration read by the hub's
 * own config.c, so the drivers can be tested before and besides the hub's
 * alarm core (test_alarm_panels.sh).
 *
 * Usage: alarm_drv_peer CONFIG
 *   The driver is [alarm] driver ("envisalink" or "mqtt").
 *
 * stdin, one command per line (the answer is "ok <code>" or "error ..."):
 *   ready | can_bypass | state       -> "ok yes|no" / "ok <state>"
 *   bypass Z on|off | arm away|home | disarm | trigger -> the op's return code
 *   quit
 * stdout, what the driver reports through the sink, one line each:
 *   state <name> | zone <z> <0|1> | bypassed <z> <0|1> | failed <text>
 * Logs (hlog) go to stderr.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hub.h"

/* ---- what main.c and the registries give a driver ---- */

static int log_level = HLOG_DEBUG;

void
hlog_set_level(int level)
{
	log_level = level;
}

void
hlog(int level, const char *fmt, ...)
{
	va_list ap;

	if (level > log_level)
		return;
	va_start(ap, fmt);
	fprintf(stderr, "level=%d ", level);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

uint64_t
hub_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void
hub_poll_add(struct hub_poll *p, int fd, short events, hub_poll_fn fn, void *arg)
{
	if (p->n >= HUB_POLL_MAX)
		abort();
	p->pfd[p->n].fd = fd;
	p->pfd[p->n].events = events;
	p->pfd[p->n].revents = 0;
	p->fn[p->n] = fn;
	p->arg[p->n] = arg;
	p->n++;
}

/* config.c checks [drivers] names against the lock drivers' registry,
 * which is not linked here: any name of the three passes. */
static const struct hub_drv_ops named = {.name = "sim"};

const struct hub_drv_ops *
hub_drv_find(const char *name)
{
	return strcmp(name, "sim") == 0 || strcmp(name, "zigbee2mqtt") == 0 ||
		       strcmp(name, "gpio") == 0
		       ? &named
		       : NULL;
}

/* ---- the sink ---- */

static const char *const names[] = {"unknown", "disarmed", "armed_home", "armed_away",
				    "arming", "pending", "triggered"};

__attribute__((format(printf, 1, 2))) static void
out(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static void
s_state(void *arg, int state)
{
	(void)arg;
	out("state %s", state >= 0 && state <= HUB_ALARM_TRIGGERED ? names[state] : "?");
}

static void
s_zone(void *arg, unsigned zone, bool faulted)
{
	(void)arg;
	out("zone %u %d", zone, faulted);
}

static void
s_bypassed(void *arg, unsigned zone, bool on)
{
	(void)arg;
	out("bypassed %u %d", zone, on);
}

static void
s_failed(void *arg, const char *what)
{
	(void)arg;
	out("failed %s", what);
}

/* ---- the loop ---- */

static const struct hub_alarm_ops *ops;
static void *drv;
static char in[1024];
static size_t in_len;
static bool quit;

static void
command(char *line)
{
	char *save = NULL, *w = strtok_r(line, " ", &save), *a1 = strtok_r(NULL, " ", &save),
	     *a2 = strtok_r(NULL, " ", &save);
	uint64_t now = hub_mono_ms();
	int r;

	if (w == NULL)
		return;
	if (strcmp(w, "ready") == 0) {
		out("ok %s", ops->ready(drv) ? "yes" : "no");
	} else if (strcmp(w, "can_bypass") == 0) {
		out("ok %s", ops->can_bypass(drv) ? "yes" : "no");
	} else if (strcmp(w, "bypass") == 0 && a1 != NULL && a2 != NULL) {
		r = ops->bypass(drv, (unsigned)strtoul(a1, NULL, 10), strcmp(a2, "on") == 0, now);
		out("ok %s", pt_err_code(r));
	} else if (strcmp(w, "arm") == 0 && a1 != NULL) {
		r = ops->arm(drv, strcmp(a1, "away") == 0 ? HUB_ALARM_ARMED_AWAY : HUB_ALARM_ARMED_HOME,
			     now);
		out("ok %s", pt_err_code(r));
	} else if (strcmp(w, "disarm") == 0) {
		out("ok %s", pt_err_code(ops->disarm(drv, now)));
	} else if (strcmp(w, "trigger") == 0) {
		out("ok %s", pt_err_code(ops->trigger(drv, now)));
	} else if (strcmp(w, "quit") == 0) {
		quit = true;
		out("ok bye");
	} else {
		out("error unknown command");
	}
}

static void
on_stdin(void *arg, short revents)
{
	ssize_t n;
	char *nl;

	(void)arg;
	(void)revents;
	n = read(0, in + in_len, sizeof(in) - 1 - in_len);
	if (n <= 0) {
		quit = true;
		return;
	}
	in_len += (size_t)n;
	while ((nl = memchr(in, '\n', in_len)) != NULL) {
		size_t used = (size_t)(nl - in) + 1;
		*nl = '\0';
		command(in);
		memmove(in, in + used, in_len - used);
		in_len -= used;
	}
	if (in_len == sizeof(in) - 1)
		in_len = 0;
}

int
main(int argc, char **argv)
{
	static struct hub_config cfg;
	struct hub_alarm_sink sink = {s_state, s_zone, s_bypassed, s_failed, NULL};
	struct pt_errbuf err;
	struct hub_poll p;
	uint64_t now, d;
	size_t i;
	int timeout;

	if (argc != 2) {
		fprintf(stderr, "usage: alarm_drv_peer CONFIG\n");
		return 2;
	}
	if (config_load(argv[1], &cfg, &err) != 0) {
		fprintf(stderr, "alarm_drv_peer: %s\n", err.msg);
		return 1;
	}
	ops = strcmp(cfg.alarm_driver, "envisalink") == 0 ? &hub_alarm_tpi
	      : strcmp(cfg.alarm_driver, "mqtt") == 0	    ? &hub_alarm_mqtt
							    : NULL;
	if (ops == NULL) {
		fprintf(stderr, "alarm_drv_peer: [alarm] driver is neither envisalink nor mqtt\n");
		return 1;
	}
	if (ops->open(&cfg, &sink, &drv, &err) != 0) {
		fprintf(stderr, "alarm_drv_peer: %s\n", err.msg);
		out("open-failed %s", err.msg);
		return 1;
	}
	out("opened %s", ops->name);
	while (!quit) {
		p.n = 0;
		hub_poll_add(&p, 0, POLLIN, on_stdin, NULL);
		ops->poll(drv, &p);
		now = hub_mono_ms();
		d = ops->deadline(drv);
		timeout = d == UINT64_MAX ? 1000 : d <= now ? 0 : d - now > 1000 ? 1000 : (int)(d - now);
		if (poll(p.pfd, p.n, timeout) < 0 && errno != EINTR)
			break;
		for (i = 0; i < p.n && !quit; i++)
			if (p.pfd[i].revents != 0)
				p.fn[i](p.arg[i], p.pfd[i].revents);
		ops->tick(drv, hub_mono_ms());
	}
	ops->close(drv);
	return 0;
}
