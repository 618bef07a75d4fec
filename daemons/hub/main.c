/*
 * porter-hub: the home agent. It alone moves the bolt.
 *
 *   porter-hub [-f FILE] [-n] [-d] [-v] [-R FILE]   run (or -n: check the configuration)
 *   porter-hub [-f FILE] -V                          verify the event chain and checkpoint
 *   porter-hub [-f FILE] -E                          print the events
 *   porter-hub pair [-f FILE] [-q]                   show a one-time pairing code
 *
 * One thread, one poll(2) loop. Signals arrive through a signalfd (they
 * are blocked, as porterd blocks them for sigwait): SIGTERM and SIGINT
 * stop the loop, SIGHUP reloads what may change live. Once everything is
 * open and bound, and before the loop, the hub enters its sandbox
 * (sandbox.c): sandbox.user, no_new_privs, the seccomp allow-list.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#ifdef HAVE_QRENCODE
#include <qrencode.h>
#endif

#include "porter/event.h"
#include "porter/text.h"
#include "hub.h"
#include "state.h"

static const char usage[] =
	"usage: porter-hub [-f FILE] [-n] [-d] [-v] [-R FILE]\n"
	"       porter-hub [-f FILE] -V | -E\n"
	"       porter-hub pair [-f FILE] [-q]\n"
	"\n"
	"porter's home agent: decides at the door with the owners' keys it was\n"
	"paired with, drives the lock, watches the door, keeps the hash-chained\n"
	"event log (docs/hub.md).\n"
	"\n"
	"  -f FILE   configuration file (INI; see porter-hub.conf(5)); without it,\n"
	"            the built-in defaults\n"
	"  -n        check the configuration and exit (with -v: print it and the\n"
	"            seccomp allow-list, one system call per line)\n"
	"  -d        stay in the foreground (systemd and tests run it so)\n"
	"  -v        verbose: log at debug level\n"
	"  -R FILE   once listening and sandboxed, write the link's TCP port to FILE\n"
	"  -V        verify the event chain and the last signed checkpoint, exit\n"
	"            0 if they hold (works while the hub runs)\n"
	"  -E        print the events, one per line: seq time type data\n"
	"\n"
	"pair asks the running hub for a one-time pairing code and shows it, with\n"
	"the hub's id and key, the porter-pair:v1?... line the web app takes (and\n"
	"it as a QR code; -q: without). The owner's device\n"
	"sends the signed pairing statement over the link ('porter hub pair-local'),\n"
	"or through porterd while the hub is online ('porter hub pair'): either way\n"
	"the statement carries a MAC of the code, never the code.\n"
	"\n"
	"Signals: SIGTERM/SIGINT sign a final checkpoint and exit; SIGHUP reloads\n"
	"the values that may change live, or keeps the old ones if the file is\n"
	"invalid.\n";

/* ---- logging: one line per event, key=value, one write(2) ---- */

static int log_level = HLOG_INFO;
static const char *const level_names[] = {"error", "warn", "info", "debug"};

void
hlog_set_level(int l)
{
	log_level = l;
}

void
hlog(int l, const char *fmt, ...)
{
	char line[2048];
	struct timespec ts;
	struct tm tm;
	va_list ap;
	int n, m;

	if (l > log_level)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = snprintf(line, sizeof(line), "ts=%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ level=%s ",
		     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		     ts.tv_nsec / 1000000, level_names[l < 0 ? 0 : l > 3 ? 3 : l]);
	if (n < 0 || (size_t)n >= sizeof(line))
		return;
	va_start(ap, fmt);
	m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (m < 0)
		return;
	n += m;
	if ((size_t)n > sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	(void)!write(STDERR_FILENO, line, (size_t)n);
}

/* ---- the poll registry ---- */

void
hub_poll_add(struct hub_poll *p, int fd, short events, hub_poll_fn fn, void *arg)
{
	if (p->n >= HUB_POLL_MAX) {
		/* Bounded by construction (listeners + max_connections + control
		 * sockets + drivers); more is a bug, not a load to shed. */
		hlog(HLOG_ERR, "event=poll_overflow max=%d", HUB_POLL_MAX);
		abort();
	}
	p->pfd[p->n].fd = fd;
	p->pfd[p->n].events = events;
	p->pfd[p->n].revents = 0;
	p->fn[p->n] = fn;
	p->arg[p->n] = arg;
	p->n++;
}

/* ---- modes ---- */

static int
write_ready(const char *path, unsigned port)
{
	char tmp[PATH_MAX + 8], text[16];
	int fd, n;

	n = snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return -1;
	n = snprintf(text, sizeof(text), "%u\n", port);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0)
		return -1;
	if (write(fd, text, (size_t)n) != n || close(fd) != 0)
		return -1;
	return rename(tmp, path);
}

static int
open_state(const struct hub_config *cfg, struct hub_state **st)
{
	char db[PATH_MAX + 16];
	struct pt_errbuf err;
	int n;

	n = snprintf(db, sizeof(db), "%s/hub.db", cfg->state_dir);
	if (n < 0 || (size_t)n >= sizeof(db)) {
		fprintf(stderr, "porter-hub: hub.state_dir: the path is too long\n");
		return -1;
	}
	if (access(db, F_OK) != 0) {
		fprintf(stderr, "porter-hub: no state at '%s': has the hub ever run?\n", db);
		return -1;
	}
	if (hub_state_open(db, st, &err) != PT_OK) {
		fprintf(stderr, "porter-hub: %s\n", err.msg);
		return -1;
	}
	return 0;
}

/* The hub's public key: key.pub if there, else the secret key file. */
static int
hub_public(const struct hub_config *cfg, uint8_t pk[PT_PK_LEN])
{
	char pub[PATH_MAX + 8];
	struct pt_errbuf err;
	struct pt_secret *s;
	bool created;

	(void)snprintf(pub, sizeof(pub), "%s.pub", cfg->key);
	if (pt_pubkey_parse(pub, pk, &err) == PT_OK)
		return 0;
	if ((s = hub_key_load(cfg, false, &created, &err)) == NULL) {
		fprintf(stderr, "porter-hub: %s\n", err.msg);
		return -1;
	}
	pt_secret_public(s, pk);
	pt_secret_free(s);
	return 0;
}

/* -V: the chain recomputed, the last checkpoint's signature and hash. */
static int
verify(const struct hub_config *cfg)
{
	struct hub_state *st = NULL;
	struct hub_event *page = NULL;
	uint8_t pk[PT_PK_LEN], cp_hash[PT_HASH_LEN], sig[PT_SIG_LEN];
	char id[PT_ID_MAX + 1];
	int64_t bad = 0, cp = 0, after = 0, count = 0;
	bool cp_found = false;
	size_t n, i;
	int r, rc = 1;

	if (hub_public(cfg, pk) != 0 || open_state(cfg, &st) != 0)
		return 1;
	if (cfg->id[0] != '\0')
		memcpy(id, cfg->id, sizeof(id));
	else
		hub_id_from_key(pk, id);
	r = hub_state_event_verify(st, &bad);
	if (r != PT_OK) {
		printf("chain: BROKEN at event %lld (%s)\n", (long long)bad, pt_err_code(r));
		goto out;
	}
	r = hub_state_checkpoint_last(st, &cp, cp_hash, sig);
	if (r != PT_OK && r != PT_ENOTFOUND) {
		printf("checkpoint: unreadable (%s)\n", pt_err_code(r));
		goto out;
	}
	if ((page = calloc(64, sizeof(*page))) == NULL)
		goto out;
	do {
		if (hub_state_event_list(st, after, false, page, 64, &n) != PT_OK) {
			printf("events: unreadable\n");
			goto out;
		}
		for (i = 0; i < n; i++) {
			count++;
			after = page[i].seq;
			if (r == PT_OK && page[i].seq == cp) {
				cp_found = memcmp(page[i].hash, cp_hash, PT_HASH_LEN) == 0;
			}
		}
	} while (n == 64);
	printf("events: %lld\nchain: ok\n", (long long)count);
	if (r == PT_ENOTFOUND) {
		/* A hub killed before its first checkpoint: the chain holds,
		 * but nothing in it is signed yet. */
		printf("checkpoint: none yet (%lld unsigned event(s))\n", (long long)count);
		rc = 0;
		goto out;
	}
	if (!cp_found) {
		printf("checkpoint: seq %lld does not match the chain\n", (long long)cp);
		goto out;
	}
	if (pt_checkpoint_verify(pt_crypto_sodium(), pk, id, cp, cp_hash, sig) != PT_OK) {
		printf("checkpoint: seq %lld: BAD SIGNATURE (hub %s)\n", (long long)cp, id);
		goto out;
	}
	printf("checkpoint: seq %lld signed by %s: ok\n", (long long)cp, id);
	printf("unsigned tail: %lld event(s) after the checkpoint\n", (long long)(count - cp));
	rc = 0;
out:
	free(page);
	if (st != NULL)
		hub_state_close(st);
	return rc;
}

/* -E: the events, oldest first. */
static int
events(const struct hub_config *cfg)
{
	struct hub_state *st = NULL;
	struct hub_event *page;
	char at[40];
	int64_t after = 0;
	size_t n, i;
	int rc = 0;

	if (open_state(cfg, &st) != 0)
		return 1;
	if ((page = calloc(64, sizeof(*page))) == NULL) {
		hub_state_close(st);
		return 1;
	}
	do {
		if (hub_state_event_list(st, after, false, page, 64, &n) != PT_OK) {
			fprintf(stderr, "porter-hub: cannot read the events\n");
			rc = 1;
			break;
		}
		for (i = 0; i < n; i++) {
			pt_time_format(page[i].at, at, sizeof(at));
			printf("%lld %s %s %s\n", (long long)page[i].seq, at, page[i].type, page[i].data);
			after = page[i].seq;
		}
	} while (n == 64);
	free(page);
	hub_state_close(st);
	return rc;
}

/* The value of key=value in a reply line ("" if absent). */
static void
reply_field(const char *reply, const char *key, char *out, size_t cap)
{
	size_t kl = strlen(key), n;
	const char *p = reply;

	out[0] = '\0';
	while ((p = strstr(p, key)) != NULL) {
		if ((p == reply || p[-1] == ' ') && p[kl] == '=') {
			p += kl + 1;
			n = strcspn(p, " ");
			if (n >= cap)
				n = cap - 1;
			memcpy(out, p, n);
			out[n] = '\0';
			return;
		}
		p += kl;
	}
}

static void
print_qr(const char *text)
{
#ifdef HAVE_QRENCODE
	QRcode *q = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	const int quiet = 2;
	int x, y, w;

	if (q == NULL) {
		printf("(no QR code: %s)\n", strerror(errno));
		return;
	}
	w = q->width;
	/* Two rows of modules per line; light modules are printed (the usual
	 * light-on-dark terminal), dark ones left blank. */
	for (y = -quiet; y < w + quiet; y += 2) {
		for (x = -quiet; x < w + quiet; x++) {
			bool top = y >= 0 && y < w && x >= 0 && x < w && (q->data[y * w + x] & 1);
			bool bot = y + 1 >= 0 && y + 1 < w && x >= 0 && x < w &&
				   (q->data[(y + 1) * w + x] & 1);
			fputs(!top && !bot ? "\xe2\x96\x88" : !top ? "\xe2\x96\x80"
						      : !bot ? "\xe2\x96\x84"
							     : " ",
			      stdout);
		}
		fputc('\n', stdout);
	}
	QRcode_free(q);
#else
	(void)text;
	printf("(this porter-hub was built without libqrencode: no QR code)\n");
#endif
}

static int
pair(const struct hub_config *cfg, bool quiet)
{
	char reply[HUB_REPLY_MAX], code[64], exp[16], id[PT_ID_MAX + 1], key[64], home[PT_ID_MAX + 1];
	char uri[512];
	struct pt_errbuf err;

	if (hub_lines_request(cfg->admin, "pair", reply, sizeof(reply), &err) != 0) {
		fprintf(stderr, "porter-hub: %s (is porter-hub running with this configuration?)\n",
			err.msg);
		return 1;
	}
	if (strncmp(reply, "ok ", 3) != 0) {
		fprintf(stderr, "porter-hub: %s\n", strncmp(reply, "error ", 6) == 0 ? reply + 6 : reply);
		return 1;
	}
	reply_field(reply, "code", code, sizeof(code));
	reply_field(reply, "expires_in", exp, sizeof(exp));
	reply_field(reply, "hub_id", id, sizeof(id));
	reply_field(reply, "hub_key", key, sizeof(key));
	reply_field(reply, "home", home, sizeof(home));
	pt_wipe(reply, sizeof(reply));
	printf("pairing code: %s\n", code);
	printf("valid for:    %s s, once\n", exp);
	printf("hub id:       %s\n", id);
	printf("hub key:      %s\n", key);
	if (strcmp(home, "-") != 0)
		printf("home:         %s\n", home);
	/* --code - reads the code from stdin: typed or pasted there, it is
	 * in neither ps nor the shell's history. */
	printf("\nOn the owner's device, within %s s, at the door:\n"
	       "  porter hub pair-local --hub ADDR --key OWNER_KEY --home HOME_ID \\\n"
	       "      --hub-key %s --code -\n"
	       "or, while this hub is online, through porterd (it never sees the code):\n"
	       "  porter hub pair --home HOME_ID --key OWNER_KEY --hub-key %s --code -\n"
	       "then type or paste the code on the line it waits for (--code - reads one\n"
	       "line from stdin: the code stays out of ps and the shell's history).\n",
	       exp, key, key);
	(void)snprintf(uri, sizeof(uri), "porter-pair:v1?hub=%s&key=%s&code=%s", id, key, code);
	printf("\nor paste this line into the web app's \"Pair a hub\":\n%s\n", uri);
	if (!quiet) {
		printf("\n");
		print_qr(uri);
	}
	pt_wipe(uri, sizeof(uri));
	pt_wipe(code, sizeof(code));
	fflush(stdout);
	return 0;
}

/* ---- the daemon ---- */

static int
enter_sandbox(const struct hub_config *cfg)
{
	struct pt_errbuf err;
	bool root = getuid() == 0 || geteuid() == 0;

	if (root && cfg->sb_user[0] == '\0')
		hlog(HLOG_WARN, "event=sandbox user=root note=\"started as root without"
				" sandbox.user: the hub keeps running as root\"");
	else if (!root && cfg->sb_user[0] != '\0')
		hlog(HLOG_INFO, "event=sandbox note=\"not started as root: sandbox.user '%s' not"
				" needed, running as uid %u\"", cfg->sb_user, (unsigned)getuid());
	if (!cfg->sb_seccomp)
		hlog(HLOG_WARN, "event=sandbox seccomp=off note=\"sandbox.seccomp = no: no"
				" system call filter, every system call is allowed\"");
	if (hub_sandbox_apply(cfg, &err) != 0) {
		hlog(HLOG_ERR, "event=sandbox error=\"%s\"", err.msg);
		return -1;
	}
	hlog(HLOG_INFO, "event=sandbox uid=%u gid=%u no_new_privs=1 seccomp=%s syscalls=%zu",
	     (unsigned)getuid(), (unsigned)getgid(), cfg->sb_seccomp ? "on" : "off",
	     cfg->sb_seccomp ? hub_sandbox_count() : (size_t)0);
	return 0;
}

static void
reload(struct hub *h, const char *path)
{
	struct hub_config nc;
	struct pt_errbuf err;

	sd_notify(0, "RELOADING=1");
	if (path == NULL) {
		hlog(HLOG_INFO, "event=reload result=kept reason=\"no config file\"");
	} else if (config_load(path, &nc, &err) != 0 || hub_alarm_config_check(&nc, &err) != 0 ||
		   hub_cam_config_check(&nc, &err) != 0) {
		hlog(HLOG_ERR, "event=reload result=kept error=\"%s\"", err.msg);
	} else {
		hub_reconfigure(h, &nc);
		hlog_set_level(nc.log_level);
		hlog(HLOG_INFO, "event=reload result=applied note=\"[hub] ids, keys, paths, [door],"
				" [drivers], [mqtt] (but command_skew, drift_max), [sandbox] and"
				" the listeners change on restart only\"");
	}
	sd_notify(0, "READY=1");
}

struct loop {
	int sfd;
	bool stop, hup;
	int sig;
};

static void
on_signal(void *arg, short revents)
{
	struct loop *lp = arg;
	struct signalfd_siginfo si;

	if (!(revents & POLLIN))
		return;
	while (read(lp->sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			lp->hup = true;
		} else {
			lp->stop = true;
			lp->sig = (int)si.ssi_signo;
		}
	}
}

static int
run(const struct hub_config *cfg, const char *conf, const char *ready)
{
	static struct hub_poll p;	/* 4 KiB of pollfds: not on the stack */
	struct hub *h = NULL;
	struct pt_errbuf err;
	struct loop lp = {-1, false, false, 0};
	sigset_t set;
	size_t i;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	if ((lp.sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC)) < 0) {
		hlog(HLOG_ERR, "event=start error=\"signalfd: %s\"", strerror(errno));
		return 1;
	}
	if (hub_open(&h, cfg, &err) != 0) {
		hlog(HLOG_ERR, "event=start error=\"%s\"", err.msg);
		close(lp.sfd);
		return 1;
	}
	hlog(HLOG_INFO, "event=listening unix=\"%s\" tcp=%s port=%u version=%s",
	     cfg->unix_path[0] ? cfg->unix_path : "-", cfg->tcp[0] ? cfg->tcp : "-", hub_tcp_port(h),
	     HUB_VERSION);
	/* Start-up is over: from here on, the sandbox. The ready file and
	 * READY=1 come after it, so "ready" means sandboxed. */
	if (enter_sandbox(cfg) != 0) {
		hub_close(h);
		close(lp.sfd);
		return 1;
	}
	if (ready != NULL && write_ready(ready, hub_tcp_port(h)) != 0)
		hlog(HLOG_WARN, "event=ready_file error=\"%s\"", strerror(errno));
	sd_notify(0, "READY=1");

	while (!lp.stop) {
		uint64_t now, dl;
		int timeout, n;

		p.n = 0;
		hub_poll_add(&p, lp.sfd, POLLIN, on_signal, &lp);
		hub_poll(h, &p);
		now = hub_mono_ms();
		dl = hub_deadline(h);
		if (dl == UINT64_MAX)
			timeout = -1;
		else if (dl <= now)
			timeout = 0;
		else
			timeout = dl - now > (uint64_t)INT_MAX ? INT_MAX : (int)(dl - now);
		n = poll(p.pfd, (nfds_t)p.n, timeout);
		if (n < 0 && errno != EINTR) {
			hlog(HLOG_ERR, "event=poll error=\"%s\"", strerror(errno));
			break;
		}
		for (i = 0; n > 0 && i < p.n; i++)
			if (p.pfd[i].revents != 0)
				p.fn[i](p.arg[i], p.pfd[i].revents);
		if (lp.hup) {
			lp.hup = false;
			reload(h, conf);
		}
		hub_tick(h, hub_mono_ms());
	}
	sd_notify(0, "STOPPING=1");
	hlog(HLOG_INFO, "event=stopping signal=%d", lp.sig);
	hub_close(h);
	close(lp.sfd);
	hlog(HLOG_INFO, "event=stopped");
	return 0;
}

int
main(int argc, char **argv)
{
	static struct hub_config cfg;
	struct pt_errbuf err;
	const char *conf = NULL, *ready = NULL;
	bool check = false, foreground = false, verbose = false, do_verify = false,
	     do_events = false, do_pair = false, quiet = false;
	int c;

	if (argc > 1 && strcmp(argv[1], "pair") == 0) {
		do_pair = true;
		argc--;
		argv++;
	}
	while ((c = getopt(argc, argv, do_pair ? "f:qh" : "f:ndvR:VEh")) != -1) {
		switch (c) {
		case 'f': conf = optarg; break;
		case 'n': check = true; break;
		case 'd': foreground = true; break;
		case 'v': verbose = true; break;
		case 'R': ready = optarg; break;
		case 'V': do_verify = true; break;
		case 'E': do_events = true; break;
		case 'q': quiet = true; break;
		case 'h': fputs(usage, stdout); return 0;
		default: fputs(usage, stderr); return 1;
		}
	}
	if (optind != argc || (do_verify && do_events)) {
		fputs(usage, stderr);
		return 1;
	}
	if (pt_crypto_init() != PT_OK) {
		fprintf(stderr, "porter-hub: cannot initialise libsodium\n");
		return 1;
	}
	if (conf != NULL) {
		if (config_load(conf, &cfg, &err) != 0) {
			fprintf(stderr, "porter-hub: %s\n", err.msg);
			return 1;
		}
		/* The [alarm] and [camera] keys that go together. */
		if (hub_alarm_config_check(&cfg, &err) != 0 || hub_cam_config_check(&cfg, &err) != 0) {
			fprintf(stderr, "porter-hub: '%s': %s\n", conf, err.msg);
			return 1;
		}
	} else {
		config_defaults(&cfg);
	}
	/* sandbox.user must exist: refused now, before anything is opened. */
	if (!do_pair && !do_verify && !do_events && hub_sandbox_check(&cfg, &err) != 0) {
		fprintf(stderr, "porter-hub: %s%s%s%s\n", conf ? "'" : "", conf ? conf : "",
			conf ? "': " : "", err.msg);
		return 1;
	}
	if (check) {
		if (verbose) {
			config_print(&cfg);
			hub_sandbox_print();
		}
		printf("porter-hub: configuration ok\n");
		return 0;
	}
	if (do_pair)
		return pair(&cfg, quiet);
	if (do_verify)
		return verify(&cfg);
	if (do_events)
		return events(&cfg);
	if (verbose)
		cfg.log_level = HLOG_DEBUG;
	hlog_set_level(cfg.log_level);
	if (!foreground && daemon(1, 1) != 0) {
		fprintf(stderr, "porter-hub: cannot daemonize: %s\n", strerror(errno));
		return 1;
	}
	return run(&cfg, conf, ready);
}
