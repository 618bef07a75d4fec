/*
 * porterd: porter's authority server.
 *
 *   porterd [-f FILE] [-n] [-d] [-v] [-R FILE]
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "porterd.h"

static const char usage[] =
	"usage: porterd [-f FILE] [-n] [-d] [-v] [-R FILE]\n"
	"\n"
	"porter's authority server: accounts, homes, owner keys, grants and\n"
	"revocations over an HTTP JSON API (docs/api.md), stored in SQLite.\n"
	"\n"
	"  -f FILE   configuration file (INI; see docs/man/porterd.conf.5);\n"
	"            without it, the built-in defaults\n"
	"  -n        check the configuration and exit (with -v: print it)\n"
	"  -d        stay in the foreground (systemd and tests run it so)\n"
	"  -v        verbose: log at debug level\n"
	"  -R FILE   once listening, write the port number to FILE\n"
	"\n"
	"Signals: SIGTERM/SIGINT finish the requests in flight and exit;\n"
	"SIGHUP reloads the configuration, or keeps the old one if the new one\n"
	"is invalid; listen, threads, per_ip_connections, TLS, [store], [mqtt]\n"
	"and [clips] change on restart only (porterd(8), SIGNALS).\n";

/*
 * jansson's memory is wiped when freed: request bodies carry passwords and
 * replies session tokens. Not while this thread serves a GET without a
 * body (json_wipe_set), whose request and reply carry no secret: that
 * saves the read routes a memset of every block they free.
 */
static _Thread_local bool wipe_off;

void
json_wipe_set(bool on)
{
	wipe_off = !on;
}

static void *
wipe_malloc(size_t n)
{
	size_t *p = malloc(n + sizeof(size_t));

	if (p == NULL)
		return NULL;
	*p = n;
	return p + 1;
}

static void
wipe_free(void *q)
{
	size_t *p;

	if (q == NULL)
		return;
	p = (size_t *)q - 1;
	if (!wipe_off)
		pt_wipe(q, *p);
	free(p);
}

static int
write_ready(const char *path, uint16_t port)
{
	char tmp[PATH_MAX + 8], text[16];
	int fd, n;

	n = snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return -1;
	n = snprintf(text, sizeof(text), "%u\n", (unsigned)port);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0)
		return -1;
	if (write(fd, text, (size_t)n) != n || close(fd) != 0)
		return -1;
	return rename(tmp, path);
}

/* The keys of a that only a restart applies and b changes, in out (empty:
 * none). */
static void
restart_only(const struct config *a, const struct config *b, char *out, size_t cap)
{
	struct {
		const char *name;
		bool changed;
	} k[] = {
		{"listen", strcmp(a->listen, b->listen) != 0},
		{"threads", a->threads != b->threads},
		{"per_ip_connections", a->per_ip_connections != b->per_ip_connections},
		{"tls", strcmp(a->tls_cert, b->tls_cert) != 0 || strcmp(a->tls_key, b->tls_key) != 0},
		{"store.path", strcmp(a->store_path, b->store_path) != 0},
		{"store.sealing_key", strcmp(a->sealing_key, b->sealing_key) != 0},
		{"[mqtt]", strcmp(a->mqtt_broker, b->mqtt_broker) != 0 ||
				   strcmp(a->mqtt_username, b->mqtt_username) != 0 ||
				   strcmp(a->mqtt_password_file, b->mqtt_password_file) != 0 ||
				   strcmp(a->mqtt_tls_ca, b->mqtt_tls_ca) != 0 ||
				   strcmp(a->mqtt_tls_cert, b->mqtt_tls_cert) != 0 ||
				   strcmp(a->mqtt_tls_key, b->mqtt_tls_key) != 0 ||
				   strcmp(a->mqtt_client_id, b->mqtt_client_id) != 0 ||
				   strcmp(a->mqtt_share_group, b->mqtt_share_group) != 0 ||
				   a->mqtt_beacon != b->mqtt_beacon},
		{"[clips]", strcmp(a->clips_dir, b->clips_dir) != 0 ||
				    a->clips_max_segment != b->clips_max_segment ||
				    a->clips_quota != b->clips_quota ||
				    a->clips_max_uploads != b->clips_max_uploads},
	};
	size_t i, used = 0;
	int n;

	/* cap holds every name: 81 bytes and the NUL as they are now. */
	out[0] = '\0';
	for (i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
		if (!k[i].changed)
			continue;
		n = snprintf(out + used, cap - used, "%s%s", used > 0 ? "," : "", k[i].name);
		if (n < 0 || (size_t)n >= cap - used) {
			(void)snprintf(out, cap, "(many)");	/* never a silent cut */
			return;
		}
		used += (size_t)n;
	}
}

static void
reload(struct server *s, const char *path)
{
	struct config nc;
	struct pt_errbuf err;
	char later[160];	/* restart-only keys that changed */

	sd_notify(0, "RELOADING=1");
	if (path == NULL) {
		plog(LOG_INFO_, "event=reload result=kept reason=\"no config file\"");
	} else if (config_load(path, &nc, &err) != 0) {
		plog(LOG_ERR_, "event=reload result=kept error=\"%s\"", err.msg);
	} else {
		pthread_rwlock_wrlock(&s->cfg_lock);
		restart_only(&s->cfg, &nc, later, sizeof(later));
		/* What can change live: */
		s->cfg.max_body = nc.max_body;
		s->cfg.signup_open = nc.signup_open;
		s->cfg.session_ttl = nc.session_ttl;
		s->cfg.log_level = nc.log_level;
		memcpy(s->cfg.zoneinfo, nc.zoneinfo, sizeof(nc.zoneinfo));
		s->cfg.arrival_radius = nc.arrival_radius;
		s->cfg.issue_window = nc.issue_window;
		memcpy(s->cfg.web_dir, nc.web_dir, sizeof(nc.web_dir));
		s->cfg.web_stream_max = nc.web_stream_max;
		s->cfg.web_streams = nc.web_streams;
		s->cfg.web_streams_per_account = nc.web_streams_per_account;
		s->cfg.web_cookie_secure = nc.web_cookie_secure;
		s->cfg.web_streams_per_address = nc.web_streams_per_address;
		/* [live]: new sessions take the new values (buffer too). */
		s->cfg.live_sessions = nc.live_sessions;
		s->cfg.live_viewers_per_home = nc.live_viewers_per_home;
		s->cfg.live_memory = nc.live_memory;
		s->cfg.live_session_memory = nc.live_session_memory;
		s->cfg.live_buffer = nc.live_buffer;
		s->cfg.live_idle_timeout = nc.live_idle_timeout;
		s->cfg.live_wait = nc.live_wait;
		s->cfg.live_skew = nc.live_skew;
		pthread_rwlock_unlock(&s->cfg_lock);
		log_set_level(nc.log_level);
		if (later[0] != '\0')	/* logged outside the lock: a slow log stalls no request */
			plog(LOG_WARN_, "event=reload note=\"changed, applied on restart only\" keys=%s",
			     later);
		plog(LOG_INFO_, "event=reload result=applied");
	}
	sd_notify(0, "READY=1");
}

int
main(int argc, char **argv)
{
	static struct server srv;
	struct MHD_Daemon *d;
	struct pt_errbuf err;
	const char *conf = NULL, *ready = NULL;
	bool check = false, foreground = false, verbose = false;
	uint8_t rnd[32];
	char pw[64];
	sigset_t set;
	uint16_t port;
	int c, sig;
	bool created = false;
	char shown[PATH_MAX];

	while ((c = getopt(argc, argv, "f:ndvR:h")) != -1) {
		switch (c) {
		case 'f': conf = optarg; break;
		case 'n': check = true; break;
		case 'd': foreground = true; break;
		case 'v': verbose = true; break;
		case 'R': ready = optarg; break;
		case 'h': fputs(usage, stdout); return 0;
		default: fputs(usage, stderr); return 1;
		}
	}
	if (optind != argc) {
		fputs(usage, stderr);
		return 1;
	}
	json_set_alloc_funcs(wipe_malloc, wipe_free);
	if (pt_crypto_init() != PT_OK) {
		fprintf(stderr, "porterd: cannot initialise libsodium\n");
		return 1;
	}
	if (conf != NULL) {
		if (config_load(conf, &srv.cfg, &err) != 0) {
			fprintf(stderr, "porterd: %s\n", err.msg);
			return 1;
		}
	} else {
		config_defaults(&srv.cfg);
	}
	if (check) {
		if (verbose)
			config_print(&srv.cfg);	/* the file's values, before -v */
		printf("porterd: configuration ok\n");
		return 0;
	}
	if (verbose)
		srv.cfg.log_level = LOG_DEBUG_;
	log_set_level(srv.cfg.log_level);
	if (!foreground && daemon(1, 1) != 0) {
		fprintf(stderr, "porterd: cannot daemonize: %s\n", strerror(errno));
		return 1;
	}

	/* Signals go to this thread only: block them before any thread starts. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	pthread_rwlock_init(&srv.cfg_lock, NULL);
	/* Sessions, sign-outs and memberships change in other processes too
	 * when the store is shared: this process must not answer from memory. */
	srv.shared_store = config_store_is_shared(&srv.cfg);
	if (pt_store_open(srv.cfg.store_path, &srv.st, &err) != PT_OK) {
		plog(LOG_ERR_, "event=start error=\"%s\"", err.msg);
		return 1;
	}
	if ((srv.sealing_key = pt_guarded_alloc(PT_AEAD_KEY_LEN)) == NULL) {
		plog(LOG_ERR_, "event=start error=\"out of memory\"");
		return 1;
	}
	if (pt_symkey_load_or_create(srv.cfg.sealing_key, srv.sealing_key, &created, &err) != PT_OK) {
		plog(LOG_ERR_, "event=start error=\"%s\"", err.msg);
		return 1;
	}
	if (created)
		plog(LOG_INFO_, "event=sealing_key_created path=\"%s\"", srv.cfg.sealing_key);
	if ((srv.rl = ratelimit_new()) == NULL || (srv.cache = cache_new()) == NULL) {
		plog(LOG_ERR_, "event=start error=\"out of memory\"");
		return 1;
	}
	pt_random((uint8_t *)&srv.id_base, sizeof(srv.id_base));
	srv.id_base &= ~(uint64_t)0xffffffff;	/* room for the counter */
	/* A hash of a random password: sign-ins for unknown accounts cost the same. */
	pt_random(rnd, sizeof(rnd));
	if (pt_b64_encode(pw, sizeof(pw), rnd, sizeof(rnd)) != PT_OK ||
	    pt_pwhash_str(srv.dummy_hash, pw, strlen(pw)) != PT_OK) {
		plog(LOG_ERR_, "event=start error=\"cannot hash\"");
		return 1;
	}
	pt_wipe(pw, sizeof(pw));
	/* Before the request threads, which read srv.mqtt. It connects in
	 * the background: the API serves whether or not a broker answers. */
	if (mqtt_start(&srv, &srv.mqtt, &err) != 0) {
		plog(LOG_ERR_, "event=start error=\"%s\"", err.msg);
		pt_store_close(srv.st);
		return 1;
	}
	if ((d = http_start(&srv, &port, &err)) == NULL) {
		plog(LOG_ERR_, "event=start error=\"%s\"", err.msg);
		mqtt_stop(srv.mqtt);
		streams_free(&srv);
		live_free(&srv);
		pt_store_close(srv.st);
		return 1;
	}
	config_redact(srv.cfg.store_path, shown, sizeof(shown));
	plog(LOG_INFO_, "event=listening listen=%s port=%u tls=%s store=\"%s\" schema=%d version=%s",
	     srv.cfg.listen, (unsigned)port, srv.cfg.tls_cert[0] ? "on" : "off", shown,
	     pt_store_schema_version(srv.st), PORTERD_VERSION);
	if (ready != NULL && write_ready(ready, port) != 0)
		plog(LOG_WARN_, "event=ready_file error=\"%s\"", strerror(errno));
	sd_notify(0, "READY=1");

	for (;;) {
		if (sigwait(&set, &sig) != 0)
			continue;
		if (sig == SIGHUP) {
			reload(&srv, conf);
			continue;
		}
		break;
	}
	sd_notify(0, "STOPPING=1");
	plog(LOG_INFO_, "event=stopping signal=%d inflight=%d", sig, atomic_load(&srv.inflight));
	atomic_store(&srv.stopping, true);
	http_stop(&srv, d);
	mqtt_stop(srv.mqtt);
	srv.mqtt = NULL;
	streams_free(&srv);	/* after mqtt_stop: no stream_notify from here on */
	live_free(&srv);	/* after http_stop: no request and no reaper any more */
	pt_store_close(srv.st);
	ratelimit_free(srv.rl);
	cache_free(srv.cache);
	pt_guarded_free(srv.sealing_key);
	plog(LOG_INFO_, "event=stopped");
	return 0;
}
