/*
 * test_api: porterd's HTTP API, driven over HTTP against docs/api.md.
 *
 * Runs the real porterd (argv[1]) on a free loopback port with a fresh
 * SQLite file in a temporary directory and checks, as TAP: health; the
 * happy path of every route (accounts, sessions, homes, members, owner
 * keys, grants built and signed with libporter, revocations); every
 * documented refusal with its status, code and field; the cross-tenant
 * matrix (another owner's home answers exactly like a home that does not
 * exist, and nothing changes); that nothing is stored from rejected
 * requests; the sign-in brute-force delay; 64 concurrent keep-alive
 * clients; crash safety (kill -9 in the middle of writes, every
 * acknowledged write survives, `porter audit verify` (argv[2]) passes);
 * and a clean SIGTERM with a request in flight.
 *
 * PORTER_TEST_STORE=pg runs all of it with porterd on PostgreSQL instead: a
 * throwaway cluster from scripts/pg.sh (under PORTER_SRC), a fresh database
 * per porterd, its URI as [store] path; the audit chain is then checked
 * through the store library, as `porter audit verify` does for a file.
 *
 * Written from the document, not from the implementation: when the two
 * disagree, the check fails.
 */
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "porter/cred.h"
#include "porter/crypto.h"
#include "porter/envelope.h"
#include "porter/keyfile.h"
#include "porter/store.h"
#include "porter/text.h"
#include "t.h"

#define MAX_BODY 65536		/* docs/api.md: max_body default */
#define SESSION_TTL 43200	/* docs/api.md: session_ttl default, 12 h */
#define RESP_CAP (1u << 20)	/* responses are capped at 1 MiB */
#define N_CONC 64		/* concurrent clients */
#define CONC_GETS 50		/* GET /v1/homes per client */
#define CONC_KEYS 3		/* owner keys per client */
#define CRASH_THREADS 4
#define MISSING_HOME "h-0123456789abcdef"	/* well-formed, never created */

static const char *g_porterd, *g_porter;
static const struct pt_crypto_ops *ops;
static char g_root[64];	/* the temporary directory; everything lives under it */
static bool g_pg;		/* PORTER_TEST_STORE=pg: porterd on PostgreSQL */
static char g_pgdir[64];	/* the cluster's directory (pg.sh start), while it runs */
static char g_pgsh[PATH_MAX];	/* scripts/pg.sh */

/* ---- small helpers ---- */

static void cleanup(void);

static void
bail(const char *why)
{
	printf("Bail out! %s\n", why);
	fflush(stdout);
	cleanup();
	exit(1);
}

__attribute__((format(printf, 3, 4))) static void
fmt(char *out, size_t cap, const char *f, ...)
{
	va_list ap;
	int n;

	va_start(ap, f);
	n = vsnprintf(out, cap, f, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= cap)
		bail("a formatted string does not fit its buffer");
}

/* Paths for the main thread: a few rotating buffers. */
__attribute__((format(printf, 1, 2))) static const char *
pathf(const char *f, ...)
{
	static char buf[8][512];
	static unsigned i;
	char *out = buf[i++ % 8];
	va_list ap;
	int n;

	va_start(ap, f);
	n = vsnprintf(out, sizeof(buf[0]), f, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(buf[0]))
		bail("a path does not fit its buffer");
	return out;
}

static int64_t
now_s(void)
{
	return (int64_t)time(NULL);
}

static double
mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static bool
is_hex(const char *s, size_t n)
{
	size_t i;

	if (s == NULL || strlen(s) != n)
		return false;
	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

static bool
is_b64url(const char *s, size_t n)
{
	size_t i;

	if (s == NULL || strlen(s) != n)
		return false;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_'))
			return false;
	return true;
}

static bool
is_home_id(const char *s)
{
	return s != NULL && strlen(s) == 18 && s[0] == 'h' && s[1] == '-' && is_hex(s + 2, 16);
}

static char *
b64(const uint8_t *p, size_t n)
{
	size_t cap = pt_b64_len(n) + 1;
	char *out = malloc(cap);

	if (out == NULL || pt_b64_encode(out, cap, p, n) != PT_OK)
		bail("base64url encoding failed");
	return out;
}

static char *
xstrdup(const char *s)
{
	char *d = strdup(s);

	if (d == NULL)
		bail("out of memory");
	return d;
}

/* ---- porterd processes ---- */

struct server {
	char name[8];
	char dir[128], cfg[192], ready[192], log[192], db[192];
	pid_t pid;
	int port;
	char base[64];
};

static struct server g_s1, g_s2, g_s3;
static struct server *g_cur;	/* whose log a failing check shows */
static volatile sig_atomic_t g_live[2];	/* pids, for the signal handler */

static void
live_set(pid_t old, pid_t pid)
{
	int i;

	for (i = 0; i < 2; i++)
		if (g_live[i] == old) {
			g_live[i] = pid;
			return;
		}
}

/* Print the last lines of a server's log as TAP diagnostics. */
static void
log_tail(const struct server *s, int lines)
{
	FILE *f;
	char *buf;
	long size, from;
	size_t n, i, start;
	int seen = 0;

	if (s == NULL || (f = fopen(s->log, "r")) == NULL)
		return;
	if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0) {
		fclose(f);
		return;
	}
	from = size > 16384 ? size - 16384 : 0;
	buf = malloc(16385);
	if (buf == NULL || fseek(f, from, SEEK_SET) != 0) {
		free(buf);
		fclose(f);
		return;
	}
	n = fread(buf, 1, 16384, f);
	fclose(f);
	buf[n] = '\0';
	start = 0;
	for (i = n; i > 0; i--)
		if (buf[i - 1] == '\n' && i != n && ++seen > lines) {
			start = i;
			break;
		}
	printf("# --- tail of porterd %s log ---\n", s->name);
	for (i = start; i < n;) {
		size_t e = i;
		while (e < n && buf[e] != '\n')
			e++;
		printf("#   %.*s\n", (int)(e - i), buf + i);
		i = e + 1;
	}
	free(buf);
}

static int g_fail_dumps;

static void
fail_diag(void)
{
	if (g_fail_dumps++ < 8)
		log_tail(g_cur, 10);
	else if (g_fail_dumps == 9)
		printf("# (further porterd log tails suppressed)\n");
}

static int
chk_(int ok)
{
	if (!ok)
		fail_diag();
	return ok;
}

#define CHECK(cond, ...) chk_(T_OK((cond), __VA_ARGS__))

/* ---- PORTER_TEST_STORE=pg: a PostgreSQL cluster ---- */

/* sh scripts/pg.sh a b [c]; its first output line into out. Exit status. */
static int
pg_sh(const char *a, const char *b, const char *c, char *out, size_t cap)
{
	int fd[2], st;
	size_t n = 0;
	ssize_t got;
	pid_t pid;

	out[0] = '\0';
	if (pipe(fd) != 0)
		return -1;
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		char *argv[6];

		argv[0] = (char[]){"sh"};
		argv[1] = g_pgsh;
		argv[2] = (char *)(uintptr_t)a;
		argv[3] = (char *)(uintptr_t)b;
		argv[4] = (char *)(uintptr_t)c;
		argv[5] = NULL;
		/* Only stdout on the pipe: the server must not keep it open. */
		if (dup2(fd[1], 1) < 0)
			_exit(126);
		close(fd[0]);
		close(fd[1]);
		execv("/bin/sh", argv);
		_exit(127);
	}
	close(fd[1]);
	while (n + 1 < cap && memchr(out, '\n', n) == NULL &&
	       (got = read(fd[0], out + n, cap - 1 - n)) > 0)
		n += (size_t)got;
	out[n] = '\0';
	out[strcspn(out, "\n")] = '\0';
	close(fd[0]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void
pg_start(void)
{
	const char *src = getenv("PORTER_SRC");
	char uri[256];

	fmt(g_pgsh, sizeof(g_pgsh), "%s/scripts/pg.sh", src != NULL && src[0] != '\0' ? src : ".");
	fmt(g_pgdir, sizeof(g_pgdir), "%s", "/tmp/porter-api-pg-XXXXXX");
	if (mkdtemp(g_pgdir) == NULL) {
		g_pgdir[0] = '\0';
		bail("mkdtemp failed");
	}
	if (pg_sh("start", g_pgdir, NULL, uri, sizeof(uri)) != 0 ||
	    strncmp(uri, "postgresql://", 13) != 0) {
		pg_sh("stop", g_pgdir, NULL, uri, sizeof(uri));
		g_pgdir[0] = '\0';
		bail("PORTER_TEST_STORE=pg: cannot start PostgreSQL with scripts/pg.sh");
	}
	printf("# PostgreSQL cluster in %s\n", g_pgdir);
}

static void
pg_stop(void)
{
	char out[64];

	if (g_pgdir[0] != '\0') {
		pg_sh("stop", g_pgdir, NULL, out, sizeof(out));
		(void)rmdir(g_pgdir);	/* gone already, unless start failed early */
		g_pgdir[0] = '\0';
	}
}

/* A fresh database for the porterd called name; its URI into uri. */
static void
pg_createdb(const char *name, char *uri, size_t cap)
{
	char db[32];

	fmt(db, sizeof(db), "porter_%s", name);
	if (pg_sh("createdb", g_pgdir, db, uri, cap) != 0 || strncmp(uri, "postgresql://", 13) != 0)
		bail("PORTER_TEST_STORE=pg: cannot create a database");
}

static void
server_init(struct server *s, const char *name)
{
	char dbdir[192];
	FILE *f;

	fmt(s->name, sizeof(s->name), "%s", name);
	fmt(s->dir, sizeof(s->dir), "%s/%s", g_root, name);
	fmt(s->cfg, sizeof(s->cfg), "%s/porterd.ini", s->dir);
	fmt(s->ready, sizeof(s->ready), "%s/ready", s->dir);
	fmt(s->log, sizeof(s->log), "%s/porterd.log", s->dir);
	fmt(dbdir, sizeof(dbdir), "%s/db", s->dir);
	fmt(s->db, sizeof(s->db), "%s/porter.db", dbdir);
	if (mkdir(s->dir, 0700) != 0 || mkdir(dbdir, 0700) != 0)
		bail("cannot make the server's directory");
	if (g_pg)
		pg_createdb(s->name, s->db, sizeof(s->db));
	f = fopen(s->cfg, "w");
	if (f == NULL)
		bail("cannot write the config");
	fprintf(f, "[server]\nlisten = 127.0.0.1:0\nsignup = open\n[store]\npath = %s\n", s->db);
	if (g_pg)	/* not the URI default under ./var: each porterd its own */
		fprintf(f, "sealing_key = %s/sealing.key\n", s->dir);
	if (fclose(f) != 0)
		bail("cannot write the config");
}

/* Start porterd and wait (10 s at most) for its ready file. */
static bool
server_start(struct server *s)
{
	pid_t pid;
	int i, st;

	unlink(s->ready);
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return false;
	if (pid == 0) {
		int fd = open(s->log, O_WRONLY | O_CREAT | O_APPEND, 0600);
		int nul = open("/dev/null", O_RDONLY);

		if (fd < 0 || nul < 0 || dup2(nul, 0) < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
			_exit(126);
		execl(g_porterd, "porterd", "-f", s->cfg, "-d", "-R", s->ready, (char *)NULL);
		_exit(127);
	}
	s->pid = pid;
	live_set(0, pid);
	g_cur = s;
	for (i = 0; i < 500; i++) {
		FILE *f = fopen(s->ready, "r");

		if (f != NULL) {
			char buf[32];
			size_t n = fread(buf, 1, sizeof(buf) - 1, f);

			fclose(f);
			buf[n] = '\0';
			if (memchr(buf, '\n', n) != NULL) {
				long port = strtol(buf, NULL, 10);

				if (port > 0 && port < 65536) {
					s->port = (int)port;
					fmt(s->base, sizeof(s->base), "http://127.0.0.1:%d", s->port);
					return true;
				}
				printf("# ready file holds %s\n", buf);
				break;
			}
		}
		if (waitpid(pid, &st, WNOHANG) == pid) {
			printf("# porterd exited before it was ready (status 0x%x)\n", (unsigned)st);
			live_set(pid, 0);
			s->pid = 0;
			return false;
		}
		sleep_ms(20);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	live_set(pid, 0);
	s->pid = 0;
	return false;
}

/* Send sig and wait up to timeout_ms; true if it exited (status in *st). */
static bool
server_stop(struct server *s, int sig, long timeout_ms, int *st)
{
	long waited;

	*st = -1;
	if (s->pid <= 0)
		return false;
	kill(s->pid, sig);
	for (waited = 0; waited <= timeout_ms; waited += 10) {
		if (waitpid(s->pid, st, WNOHANG) == s->pid) {
			live_set(s->pid, 0);
			s->pid = 0;
			return true;
		}
		sleep_ms(10);
	}
	kill(s->pid, SIGKILL);
	waitpid(s->pid, st, 0);
	live_set(s->pid, 0);
	s->pid = 0;
	return false;
}

/* rm -rf path (no symlinks followed: lstat). */
static void
rm_rf(const char *path)
{
	struct stat sb;
	DIR *d;
	struct dirent *e;
	char sub[PATH_MAX];

	if (lstat(path, &sb) != 0)
		return;
	if (S_ISDIR(sb.st_mode) && (d = opendir(path)) != NULL) {
		while ((e = readdir(d)) != NULL) {
			int n;

			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
				continue;
			n = snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
			if (n > 0 && (size_t)n < sizeof(sub))
				rm_rf(sub);
		}
		closedir(d);
	}
	remove(path);
}

static void
cleanup(void)
{
	static bool done;
	int st;

	if (done)
		return;
	done = true;
	if (g_s1.pid > 0)
		server_stop(&g_s1, SIGKILL, 5000, &st);
	if (g_s2.pid > 0)
		server_stop(&g_s2, SIGKILL, 5000, &st);
	if (g_s3.pid > 0)
		server_stop(&g_s3, SIGKILL, 5000, &st);
	pg_stop();
	if (g_root[0] != '\0')
		rm_rf(g_root);
}

static void
on_signal(int sig)
{
	static const char msg[] = "Bail out! interrupted (signal or watchdog)\n";
	ssize_t w;
	pid_t p;
	int i;

	for (i = 0; i < 2; i++)
		if (g_live[i] > 0)
			kill((pid_t)g_live[i], SIGKILL);
	if (g_pgdir[0] != '\0') {
		p = fork();
		if (p == 0) {
			char *const argv[] = {(char[]){"sh"}, g_pgsh, (char[]){"stop"}, g_pgdir, NULL};
			char *const envp[] = {(char[]){"PATH=/usr/sbin:/usr/bin:/sbin:/bin"}, NULL};

			execve("/bin/sh", argv, envp);
			_exit(127);
		}
		if (p > 0)
			waitpid(p, NULL, 0);
	}
	if (g_root[0] != '\0') {
		p = fork();
		if (p == 0) {
			char *const argv[] = {"rm", "-rf", g_root, NULL};
			char *const envp[] = {NULL};

			execve("/bin/rm", argv, envp);
			_exit(127);
		}
		if (p > 0)
			waitpid(p, NULL, 0);
	}
	w = write(1, msg, sizeof(msg) - 1);
	(void)w;
	_exit(128 + sig);
}

/* Run argv with output to out_path; exit status, or -1 (signal, timeout). */
static int
run_cmd(char *const argv[], const char *out_path, int timeout_s)
{
	pid_t pid;
	int st, waited;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int nul = open("/dev/null", O_RDONLY);

		if (fd < 0 || nul < 0 || dup2(nul, 0) < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
			_exit(126);
		execv(argv[0], argv);
		_exit(127);
	}
	for (waited = 0; waited < timeout_s * 100; waited++) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
		sleep_ms(10);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return -1;
}

static void
print_file_diag(const char *path, const char *prefix)
{
	FILE *f = fopen(path, "r");
	char line[512];
	int n = 0;

	if (f == NULL)
		return;
	while (n++ < 12 && fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		printf("# %s%s\n", prefix, line);
	}
	fclose(f);
}

/* `porter audit verify --db db` must exit 0. */
static void
audit_verify(const char *db, const char *what)
{
	char out[192], porter[PATH_MAX], dbc[192];
	char *argv[6];
	int rc;

	if (g_pg) {
		/* `porter audit verify --db` takes a file; the store library is
		 * what it runs, so run that on the database porterd used. */
		struct pt_errbuf err = {""};
		struct pt_store *st = NULL;
		int64_t bad = 0, rows = 0;

		rc = pt_store_open(db, &st, &err);
		if (rc == PT_OK)
			rc = pt_store_audit_verify(st, &bad, &rows);
		pt_store_close(st);
		T_OK(rc == PT_OK && rows > 0,
		     "the audit chain on PostgreSQL verifies (%s): %lld rows, %s%s", what,
		     (long long)rows, rc == PT_OK ? "ok" : rc == PT_EBADSIG ? "broken at a row" : "error",
		     err.msg);
		if (rc == PT_EBADSIG)
			printf("# first bad row %lld\n", (long long)bad);
		return;
	}
	fmt(out, sizeof(out), "%s/audit-verify.out", g_root);
	fmt(porter, sizeof(porter), "%s", g_porter);
	fmt(dbc, sizeof(dbc), "%s", db);
	argv[0] = porter;
	argv[1] = (char[]){"audit"};
	argv[2] = (char[]){"verify"};
	argv[3] = (char[]){"--db"};
	argv[4] = dbc;
	argv[5] = NULL;
	rc = run_cmd(argv, out, 60);
	if (!T_OK(rc == 0, "porter audit verify --db (%s): the audit chain verifies, exit 0 (got %d)",
		  what, rc)) {
		FILE *f = fopen(out, "r");
		char line[256] = "";

		if (f != NULL) {
			if (fgets(line, sizeof(line), f) == NULL)
				line[0] = '\0';
			fclose(f);
		}
		if (strstr(line, "unknown command") != NULL || strstr(line, "usage") != NULL ||
		    strstr(line, "Usage") != NULL)
			printf("# the porter CLI has no 'audit verify' verb yet: %s", line);
		print_file_diag(out, "porter: ");
	}
}

/* ---- HTTP ---- */

struct resp {
	long status;
	CURLcode cc;
	char *body;
	size_t len, cap;
	json_t *json;
	char retry_after[32], allow[128], reqid[128];
	double secs;
	long connects;
};

static atomic_long g_nresp, g_noreqid, g_badshape;
struct client;
static struct client g_cl;	/* the main thread's client */
static void alive_or_bail(const struct resp *r, const char *method, const char *path);

static void
resp_free(struct resp *r)
{
	free(r->body);
	json_decref(r->json);
	memset(r, 0, sizeof(*r));
}

struct client {
	CURL *h;
	char base[64];
	curl_xferinfo_callback xfer;
	void *xfer_arg;
};

static void
client_init(struct client *c, const char *base)
{
	memset(c, 0, sizeof(*c));
	c->h = curl_easy_init();
	if (c->h == NULL)
		bail("curl_easy_init failed");
	fmt(c->base, sizeof(c->base), "%s", base);
}

static void
client_free(struct client *c)
{
	if (c->h != NULL)
		curl_easy_cleanup(c->h);
	c->h = NULL;
}

static size_t
write_cb(char *p, size_t size, size_t n, void *arg)
{
	struct resp *r = arg;
	size_t len = size * n;

	if (r->len + len > RESP_CAP)
		return 0;
	if (r->len + len + 1 > r->cap) {
		size_t cap = r->cap != 0 ? r->cap : 1024;
		char *nb;

		while (cap < r->len + len + 1)
			cap *= 2;
		nb = realloc(r->body, cap);
		if (nb == NULL)
			return 0;
		r->body = nb;
		r->cap = cap;
	}
	memcpy(r->body + r->len, p, len);
	r->len += len;
	r->body[r->len] = '\0';
	return len;
}

static bool
hdr_is(const char *p, size_t len, const char *name)
{
	size_t k = strlen(name);

	return len > k && strncasecmp(p, name, k) == 0 && p[k] == ':';
}

static void
hdr_value(char *dst, size_t cap, const char *p, size_t len, const char *name)
{
	size_t k = strlen(name) + 1, e = len;

	while (k < len && (p[k] == ' ' || p[k] == '\t'))
		k++;
	while (e > k && (p[e - 1] == '\r' || p[e - 1] == '\n' || p[e - 1] == ' '))
		e--;
	if (e - k >= cap)
		e = k + cap - 1;
	memcpy(dst, p + k, e - k);
	dst[e - k] = '\0';
}

static size_t
hdr_cb(char *p, size_t size, size_t n, void *arg)
{
	struct resp *r = arg;
	size_t len = size * n;

	if (len >= 5 && memcmp(p, "HTTP/", 5) == 0) {
		r->retry_after[0] = r->allow[0] = r->reqid[0] = '\0';
	} else if (hdr_is(p, len, "retry-after")) {
		hdr_value(r->retry_after, sizeof(r->retry_after), p, len, "retry-after");
	} else if (hdr_is(p, len, "allow")) {
		hdr_value(r->allow, sizeof(r->allow), p, len, "allow");
	} else if (hdr_is(p, len, "x-request-id")) {
		hdr_value(r->reqid, sizeof(r->reqid), p, len, "x-request-id");
	}
	return len;
}

static const char *
js(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s != NULL ? s : "";
}

static long long
ji(const json_t *o, const char *k)
{
	const json_t *v = json_object_get(o, k);

	return json_is_integer(v) ? (long long)json_integer_value(v) : LLONG_MIN;
}

static const char *
ecode(const struct resp *r)
{
	return js(json_object_get(r->json, "error"), "code");
}

static const char *
efield(const struct resp *r)
{
	return js(json_object_get(r->json, "error"), "field");
}

static struct curl_slist *
hl_add(struct curl_slist *l, const char *h)
{
	struct curl_slist *n = curl_slist_append(l, h);

	if (n == NULL)
		bail("curl_slist_append failed");
	return n;
}

/*
 * One request. authz: the whole Authorization value or NULL; ctype: the
 * Content-Type or NULL; body NULL for none; extra: a header replacing the
 * default "Expect:" (which turns 100-continue off).
 */
static void
http(struct client *c, struct resp *r, const char *method, const char *path, const char *authz,
     const char *ctype, const char *body, size_t body_len, const char *extra)
{
	char url[640], hbuf[640];
	struct curl_slist *hl = NULL;
	CURL *h = c->h;
	double t0;

	resp_free(r);
	fmt(url, sizeof(url), "%s%s", c->base, path);
	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 5L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, hdr_cb);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, r);
	if (c->xfer != NULL) {
		curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
		curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, c->xfer);
		curl_easy_setopt(h, CURLOPT_XFERINFODATA, c->xfer_arg);
	}
	hl = hl_add(hl, extra != NULL ? extra : "Expect:");
	if (authz != NULL) {
		fmt(hbuf, sizeof(hbuf), "Authorization: %s", authz);
		hl = hl_add(hl, hbuf);
	}
	if (ctype != NULL) {
		fmt(hbuf, sizeof(hbuf), "Content-Type: %s", ctype);
		hl = hl_add(hl, hbuf);
	}
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
	if (body != NULL) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
		if (strcmp(method, "POST") != 0)
			curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	} else if (strcmp(method, "GET") != 0) {
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	}
	t0 = mono();
	r->cc = curl_easy_perform(h);
	r->secs = mono() - t0;
	curl_slist_free_all(hl);
	if (r->cc != CURLE_OK) {
		r->status = 0;
		if (c == &g_cl)
			alive_or_bail(r, method, path);
		return;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
	curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &r->connects);
	if (r->len > 0)
		r->json = json_loadb(r->body, r->len, 0, NULL);
	atomic_fetch_add(&g_nresp, 1);
	if (r->reqid[0] == '\0')
		atomic_fetch_add(&g_noreqid, 1);
	if (r->status >= 400 &&
	    (ecode(r)[0] == '\0' || js(json_object_get(r->json, "error"), "message")[0] == '\0'))
		atomic_fetch_add(&g_badshape, 1);
}

static void
creq(struct client *c, struct resp *r, const char *method, const char *path, const char *token,
     const char *body)
{
	char authz[256];

	if (token != NULL)
		fmt(authz, sizeof(authz), "Bearer %s", token);
	http(c, r, method, path, token != NULL ? authz : NULL, body != NULL ? "application/json" : NULL,
	     body, body != NULL ? strlen(body) : 0, NULL);
}

/* body is stolen. */
static void
cjreq(struct client *c, struct resp *r, const char *method, const char *path, const char *token,
      json_t *body)
{
	char *s;

	if (body == NULL)
		bail("json_pack failed");
	s = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	if (s == NULL)
		bail("json_dumps failed");
	creq(c, r, method, path, token, s);
	free(s);
}

/* After a transport error: if porterd died, nothing after this can pass. */
static void
alive_or_bail(const struct resp *r, const char *method, const char *path)
{
	int st, i;
	char why[600];

	if (r->cc == CURLE_OK || g_cur == NULL || g_cur->pid <= 0)
		return;
	for (i = 0; i < 50; i++) {	/* a crashing process takes a moment to go */
		if (waitpid(g_cur->pid, &st, WNOHANG) == g_cur->pid)
			break;
		sleep_ms(10);
	}
	if (i == 50)
		return;
	live_set(g_cur->pid, 0);
	g_cur->pid = 0;
	printf("# porterd died (%s %d) during %s %s (curl: %s)\n",
	       WIFSIGNALED(st) ? "signal" : "exit status",
	       WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st), method, path,
	       curl_easy_strerror(r->cc));
	log_tail(g_cur, 30);
	fmt(why, sizeof(why), "porterd died during %s %.400s", method, path);
	bail(why);
}

static void
hreq(struct resp *r, const char *method, const char *path, const char *authz, const char *ctype,
     const char *body, size_t body_len, const char *extra)
{
	http(&g_cl, r, method, path, authz, ctype, body, body_len, extra);
	alive_or_bail(r, method, path);
}

static void
req(struct resp *r, const char *method, const char *path, const char *token, const char *body)
{
	creq(&g_cl, r, method, path, token, body);
	alive_or_bail(r, method, path);
}

static void
jreq(struct resp *r, const char *method, const char *path, const char *token, json_t *body)
{
	cjreq(&g_cl, r, method, path, token, body);
	alive_or_bail(r, method, path);
}

static void
body_diag(const struct resp *r)
{
	if (r->cc != CURLE_OK)
		printf("# curl: %s\n", curl_easy_strerror(r->cc));
	else
		printf("# response %ld: %.300s\n", r->status, r->body != NULL ? r->body : "(empty)");
}

static int
expect_status(const struct resp *r, long status, const char *what)
{
	int ok = CHECK(r->status == status, "%s -> %ld (got %ld)", what, status, r->status);

	if (!ok)
		body_diag(r);
	return ok;
}

/* field: NULL (not checked), exact, or "~part" (the field must contain part). */
static int
expect_err(const struct resp *r, long status, const char *code, const char *field, const char *what)
{
	const char *gc = ecode(r), *gf = efield(r);
	bool fok = field == NULL ||
		   (field[0] == '~' ? strstr(gf, field + 1) != NULL : strcmp(gf, field) == 0);
	int ok = CHECK(r->status == status && strcmp(gc, code) == 0 && fok,
		       "%s -> %ld %s%s%s (got %ld %s%s%s)", what, status, code,
		       field != NULL ? " field " : "", field != NULL ? field + (field[0] == '~') : "",
		       r->status, gc, gf[0] != '\0' ? " field " : "", gf);

	if (!ok)
		body_diag(r);
	return ok;
}

/* ---- accounts ---- */

struct acct {
	char email[96], pw[64], name[64];
	long long id;
	char token[128];
};

static struct acct A, B, C, D, E, F;

static void
acct_set(struct acct *a, const char *email, const char *name)
{
	memset(a, 0, sizeof(*a));
	fmt(a->email, sizeof(a->email), "%s", email);
	fmt(a->name, sizeof(a->name), "%s", name);
	fmt(a->pw, sizeof(a->pw), "pw of %s: correct horse battery", name);
}

static long
signup_as(struct client *c, struct resp *r, struct acct *a, const char *email, const char *role)
{
	json_t *b = json_pack("{s:s, s:s, s:s}", "email", email != NULL ? email : a->email,
			      "password", a->pw, "name", a->name);

	if (b != NULL && role != NULL)
		json_object_set_new(b, "role", json_string(role));
	cjreq(c, r, "POST", "/v1/accounts", NULL, b);
	if (r->status == 201)
		a->id = ji(r->json, "id");
	return r->status;
}

static long
signin_pw(struct client *c, struct resp *r, const char *email, const char *pw)
{
	cjreq(c, r, "POST", "/v1/sessions", NULL,
	      json_pack("{s:s, s:s}", "email", email, "password", pw));
	return r->status;
}

static long
signin(struct client *c, struct resp *r, struct acct *a)
{
	if (signin_pw(c, r, a->email, a->pw) == 201 && strlen(js(r->json, "token")) < sizeof(a->token))
		fmt(a->token, sizeof(a->token), "%s", js(r->json, "token"));
	return r->status;
}

/* ---- keys, grants, revocations ---- */

struct key {
	struct pt_secret *sec;
	struct pt_signer sg;
	uint8_t pk[PT_PK_LEN];
	char text[PT_PK_TEXT_LEN + 1];
	char kid[2 * PT_KID_LEN + 1];
};

static void
key_new(struct key *k)
{
	uint8_t kid[PT_KID_LEN];

	k->sec = pt_secret_new();
	if (k->sec == NULL || pt_secret_generate(k->sec) != PT_OK)
		bail("cannot make a key");
	pt_secret_public(k->sec, k->pk);
	pt_signer_sodium(&k->sg, k->sec);
	pt_pubkey_text(k->pk, k->text);
	pt_kid(ops, k->pk, kid);
	pt_hex(kid, PT_KID_LEN, k->kid);
}

static void
key_free(struct key *k)
{
	pt_secret_free(k->sec);
	k->sec = NULL;
}

struct chain {
	uint8_t b[PT_CHAIN_SIZE_MAX];
	size_t n;
	int links;
	char cti[PT_CHAIN_MAX][2 * PT_CTI_LEN + 1];
	uint8_t cti_raw[PT_CHAIN_MAX][PT_CTI_LEN];
	char holder[PT_CHAIN_MAX][PT_PK_TEXT_LEN + 1];
	int64_t exp[PT_CHAIN_MAX];
	char *b64;
};

static void
grant_init(struct pt_grant *g, const char *aud, const uint8_t holder[PT_PK_LEN], int64_t exp,
	   uint32_t entries, uint8_t depth)
{
	memset(g, 0, sizeof(*g));
	fmt(g->aud, sizeof(g->aud), "%s", aud);
	g->has_exp = true;
	g->exp = exp;
	pt_random(g->cti, PT_CTI_LEN);
	g->cti[0] |= 1;
	memcpy(g->holder, holder, PT_PK_LEN);
	g->purpose = PT_PURPOSE_DELIVERY;
	g->has_entries = true;
	g->entries = entries;
	g->depth = depth;
	g->cond = PT_COND_CAMERA | PT_COND_ALARM_BYPASS;
}

static void
chain_add(struct chain *c, const struct key *signer, struct pt_grant *g)
{
	uint8_t link[PT_LINK_SIZE_MAX], out[PT_CHAIN_SIZE_MAX];
	size_t ln, on;

	if (c->links >= PT_CHAIN_MAX ||
	    pt_grant_sign(ops, &signer->sg, g, link, sizeof(link), &ln) != PT_OK ||
	    pt_chain_append(c->n != 0 ? c->b : NULL, c->n, link, ln, out, sizeof(out), &on) != PT_OK)
		bail("cannot sign a grant");
	memcpy(c->b, out, on);
	c->n = on;
	memcpy(c->cti_raw[c->links], g->cti, PT_CTI_LEN);
	pt_hex(g->cti, PT_CTI_LEN, c->cti[c->links]);
	pt_pubkey_text(g->holder, c->holder[c->links]);
	c->exp[c->links] = g->exp;
	c->links++;
	free(c->b64);
	c->b64 = b64(c->b, c->n);
}

/* A one-link delivery chain: signer -> holder, for home aud. */
static void
chain1(struct chain *c, const struct key *signer, const char *aud, const uint8_t holder[PT_PK_LEN],
       int64_t exp)
{
	struct pt_grant g;

	memset(c, 0, sizeof(*c));
	grant_init(&g, aud, holder, exp, 10, 1);
	chain_add(c, signer, &g);
}

static void
chain_free(struct chain *c)
{
	free(c->b64);
	c->b64 = NULL;
}

/* A revocation envelope, raw bytes into out (PT_ENVELOPE_SIZE_MAX). */
static size_t
revocation_raw(const struct key *k, const char *aud, int64_t iat, uint8_t kind,
	       const uint8_t *target, size_t tlen, uint8_t *out)
{
	struct pt_envelope e;
	size_t n;

	memset(&e, 0, sizeof(e));
	e.kind = PT_ENV_REVOCATION;
	fmt(e.aud, sizeof(e.aud), "%s", aud);
	e.iat = iat;
	pt_random(e.nonce, PT_CTI_LEN);
	e.op = kind;
	memcpy(e.target, target, tlen);
	e.target_len = (uint8_t)tlen;
	if (pt_envelope_sign(ops, &k->sg, &e, out, PT_ENVELOPE_SIZE_MAX, &n) != PT_OK)
		bail("cannot sign a revocation");
	return n;
}

static char *
revocation(const struct key *k, const char *aud, int64_t iat, uint8_t kind, const uint8_t *target,
	   size_t tlen)
{
	uint8_t out[PT_ENVELOPE_SIZE_MAX];
	size_t n = revocation_raw(k, aud, iat, kind, target, tlen, out);

	return b64(out, n);
}

/* ---- shared state of the main sequence ---- */

static char H1[40], H2[40], HB[40];	/* A's homes, B's home */
static struct key K1, K2, K3, KB, KX, carrier, courier;
static struct chain G1, G2;
static char *R1, *R2;
static long long V1, V2;

static void
post_key(struct resp *r, const char *home, const char *token, const char *pk, const char *label)
{
	jreq(r, "POST", pathf("/v1/homes/%s/owner-keys", home), token,
	     json_pack("{s:s, s:s}", "public_key", pk, "label", label));
}

static void
post_grant(struct resp *r, const char *home, const char *token, const char *chain, const char *label)
{
	jreq(r, "POST", pathf("/v1/homes/%s/grants", home), token,
	     json_pack("{s:s, s:s}", "chain", chain, "label", label));
}

static void
post_rev(struct resp *r, const char *home, const char *token, const char *env)
{
	jreq(r, "POST", pathf("/v1/homes/%s/revocations", home), token,
	     json_pack("{s:s}", "revocation", env));
}

/* The home's state as its owner sees it: home, keys, grants, revocations. */
static char *
snapshot(const char *token, const char *home)
{
	static const char *const sfx[] = {"", "/owner-keys", "/grants", "/revocations?since=0"};
	struct resp r = {0};
	size_t i, len = 0;
	char *out = NULL;

	for (i = 0; i < 4; i++) {
		char *s, *n;
		size_t sl;

		req(&r, "GET", pathf("/v1/homes/%s%s", home, sfx[i]), token, NULL);
		s = r.json != NULL ? json_dumps(r.json, JSON_SORT_KEYS | JSON_COMPACT) : NULL;
		if (s == NULL)
			s = xstrdup(r.body != NULL ? r.body : "");
		sl = strlen(s);
		n = realloc(out, len + sl + 32);
		if (n == NULL)
			bail("out of memory");
		out = n;
		len += (size_t)snprintf(out + len, sl + 32, "%ld %s\n", r.status, s);
		free(s);
	}
	resp_free(&r);
	return out;
}

static json_t *
find_by(const json_t *arr, const char *key, const char *value)
{
	size_t i;
	json_t *v;

	json_array_foreach(arr, i, v)
		if (strcmp(js(v, key), value) == 0)
			return v;
	return NULL;
}

static bool
policy_is(const json_t *p, const char *expect)
{
	json_t *e = json_loads(expect, 0, NULL);
	bool ok = e != NULL && json_equal(p, e);

	if (!ok) {
		char *s = p != NULL ? json_dumps(p, JSON_SORT_KEYS | JSON_COMPACT) : NULL;

		printf("# policy %s, expected %s\n", s != NULL ? s : "(none)", expect);
		free(s);
	}
	json_decref(e);
	return ok;
}

static bool
near_now(long long t)
{
	int64_t n = now_s();

	return t >= n - 120 && t <= n + 5;
}

/* ---- 1. health ---- */

static void
test_health(void)
{
	struct resp r = {0};

	req(&r, "GET", "/v1/health", NULL, NULL);
	expect_status(&r, 200, "GET /v1/health");
	CHECK(strcmp(js(r.json, "status"), "ok") == 0 &&
		      json_is_string(json_object_get(r.json, "version")) &&
		      json_is_integer(json_object_get(r.json, "schema")),
	      "health: {\"status\": \"ok\", \"version\": string, \"schema\": integer}");
	CHECK(r.reqid[0] != '\0', "health: the response carries X-Request-Id");
	resp_free(&r);
}

/* ---- 2a. accounts and sessions ---- */

static void
test_accounts(void)
{
	struct resp r = {0};
	char big[400];
	long long t;

	acct_set(&A, "ana@example.org", "Ana");
	acct_set(&B, "bo@example.org", "Bo");
	acct_set(&C, "cy@example.org", "Cy");
	acct_set(&D, "dora@carrier.example", "Dora");
	acct_set(&E, "eve@example.org", "Eve");
	acct_set(&F, "fay@example.org", "Fay");

	signup_as(&g_cl, &r, &A, "Ana@Example.ORG", NULL);
	expect_status(&r, 201, "POST /v1/accounts (A, mixed-case e-mail)");
	CHECK(A.id > 0 && strcmp(js(r.json, "email"), "ana@example.org") == 0 &&
		      strcmp(js(r.json, "name"), "Ana") == 0 && strcmp(js(r.json, "role"), "owner") == 0 &&
		      near_now(ji(r.json, "created_at")),
	      "sign up: the account with id, e-mail stored lowercased, name, role owner by default, created_at");
	CHECK(json_object_get(r.json, "password") == NULL && r.body != NULL &&
		      strstr(r.body, A.pw) == NULL && strstr(r.body, "argon2") == NULL,
	      "sign up: neither the password nor its hash comes back");
	signup_as(&g_cl, &r, &B, NULL, "owner");
	expect_status(&r, 201, "POST /v1/accounts (B, role owner)");
	signup_as(&g_cl, &r, &C, NULL, NULL);
	expect_status(&r, 201, "POST /v1/accounts (C)");
	signup_as(&g_cl, &r, &D, NULL, "carrier-admin");
	expect_status(&r, 201, "POST /v1/accounts (D, role carrier-admin)");
	CHECK(strcmp(js(r.json, "role"), "carrier-admin") == 0, "sign up: role carrier-admin kept");
	signup_as(&g_cl, &r, &E, NULL, NULL);
	expect_status(&r, 201, "POST /v1/accounts (E)");
	signup_as(&g_cl, &r, &F, NULL, NULL);
	expect_status(&r, 201, "POST /v1/accounts (F)");
	CHECK(A.id != B.id && B.id != C.id && C.id != D.id && D.id != E.id && E.id != F.id,
	      "sign up: distinct account ids");

	/* Duplicates. */
	signup_as(&g_cl, &r, &A, NULL, NULL);
	expect_err(&r, 409, "exists", NULL, "sign up with a taken e-mail");
	signup_as(&g_cl, &r, &A, "ANA@EXAMPLE.ORG", NULL);
	expect_err(&r, 409, "exists", NULL, "sign up with a taken e-mail in other case");

	/* Strict bodies; none of these may store ghost@example.org. */
	jreq(&r, "POST", "/v1/accounts", NULL,
	     json_pack("{s:s, s:s, s:s}", "email", "ghost@example.org", "password", "elevenchars",
		       "name", "Ghost"));
	expect_err(&r, 400, "invalid-field", "password", "sign up with an 11-byte password");
	memset(big, 'p', 257);
	big[257] = '\0';
	jreq(&r, "POST", "/v1/accounts", NULL,
	     json_pack("{s:s, s:s, s:s}", "email", "ghost@example.org", "password", big, "name", "Ghost"));
	expect_err(&r, 400, "invalid-field", "password", "sign up with a 257-byte password");
	jreq(&r, "POST", "/v1/accounts", NULL,
	     json_pack("{s:s, s:s, s:s}", "email", "ghost.example.org", "password", "long enough pw",
		       "name", "Ghost"));
	expect_err(&r, 400, "invalid-field", "email", "sign up with an e-mail without '@'");
	jreq(&r, "POST", "/v1/accounts", NULL,
	     json_pack("{s:s, s:s, s:s}", "email", "gh@st@example.org", "password", "long enough pw",
		       "name", "Ghost"));
	expect_err(&r, 400, "invalid-field", "email", "sign up with an e-mail with two '@'");
	jreq(&r, "POST", "/v1/accounts", NULL,
	     json_pack("{s:s, s:s, s:s}", "email", "gho st@example.org", "password", "long enough pw",
		       "name", "Ghost"));
	expect_err(&r, 400, "invalid-field", "email", "sign up with a space in the e-mail");
	memset(big, 'e', 251);
	memcpy(big + 251, "@x.y", 5);
	jreq(&r, "POST", "/v1/accounts", NULL,
	     json_pack("{s:s, s:s, s:s}", "email", big, "password", "long enough pw", "name", "Ghost"));
	expect_err(&r, 400, "invalid-field", "email", "sign up with a 255-byte e-mail (254 max)");
	jreq(&r, "POST", "/v1/accounts", NULL,
	     json_pack("{s:s, s:s, s:s}", "email", "ghost@example.org", "password", "long enough pw",
		       "name", ""));
	expect_err(&r, 400, "invalid-field", "name", "sign up with an empty name");
	memset(big, 'n', 101);
	big[101] = '\0';
	jreq(&r, "POST", "/v1/accounts", NULL,
	     json_pack("{s:s, s:s, s:s}", "email", "ghost@example.org", "password", "long enough pw",
		       "name", big));
	expect_err(&r, 400, "invalid-field", "name", "sign up with a 101-character name");
	jreq(&r, "POST", "/v1/accounts", NULL,
	     json_pack("{s:s, s:s, s:s, s:s}", "email", "ghost@example.org", "password",
		       "long enough pw", "name", "Ghost", "role", "admin"));
	expect_err(&r, 400, "invalid-field", "role", "sign up with role \"admin\"");
	jreq(&r, "POST", "/v1/accounts", NULL,
	     json_pack("{s:s, s:s, s:s, s:b}", "email", "ghost@example.org", "password",
		       "long enough pw", "name", "Ghost", "admin", 1));
	expect_err(&r, 400, "unknown-field", "admin", "sign up with an unknown field");
	jreq(&r, "POST", "/v1/accounts", NULL,
	     json_pack("{s:s, s:s, s:i}", "email", "ghost@example.org", "password", "long enough pw",
		       "name", 42));
	expect_err(&r, 400, "invalid-field", "name", "sign up with a number for name (wrong type)");
	jreq(&r, "POST", "/v1/accounts", NULL,
	     json_pack("{s:s, s:b, s:s}", "email", "ghost@example.org", "password", 1, "name", "Ghost"));
	expect_err(&r, 400, "invalid-field", "password", "sign up with true for password (wrong type)");
	jreq(&r, "POST", "/v1/accounts", NULL,
	     json_pack("{s:s, s:s}", "email", "ghost@example.org", "name", "Ghost"));
	expect_err(&r, 400, "missing-field", "password", "sign up without password");
	jreq(&r, "POST", "/v1/accounts", NULL,
	     json_pack("{s:s, s:s}", "password", "long enough pw", "name", "Ghost"));
	expect_err(&r, 400, "missing-field", "email", "sign up without email");
	req(&r, "POST", "/v1/accounts", NULL, "[\"ghost@example.org\"]");
	expect_err(&r, 400, "bad-request", NULL, "sign up with a JSON array");
	req(&r, "POST", "/v1/accounts", NULL, "{\"email\": \"ghost@example.org\", ");
	expect_err(&r, 400, "bad-request", NULL, "sign up with invalid JSON");
	req(&r, "POST", "/v1/accounts", NULL, "");
	expect_err(&r, 400, "bad-request", NULL, "sign up with an empty body");
	{
		const char *body = "{\"email\":\"ghost@example.org\",\"password\":\"long enough pw\","
				   "\"name\":\"Ghost\"}";
		hreq(&r, "POST", "/v1/accounts", NULL, "text/plain", body, strlen(body), NULL);
		expect_err(&r, 415, "unsupported-media-type", NULL, "sign up with Content-Type text/plain");
	}
	jreq(&r, "POST", "/v1/accounts", NULL,
	     json_pack("{s:s, s:s, s:s}", "email", "ghost@example.org", "password", "twelve bytes",
		       "name", "Ghost"));
	expect_status(&r, 201, "sign up ghost@ after all those refusals, 12-byte password (nothing was stored)");

	/* Sign in. */
	t = now_s();
	signin(&g_cl, &r, &A);
	expect_status(&r, 201, "POST /v1/sessions (A)");
	CHECK(is_b64url(A.token, 43), "sign in: token is 43 characters of base64url (got '%s')", A.token);
	CHECK(ji(r.json, "expires_at") >= t + SESSION_TTL - 120 &&
		      ji(r.json, "expires_at") <= t + SESSION_TTL + 120,
	      "sign in: expires_at is about now + 12 h (got %lld, now %lld)", ji(r.json, "expires_at"), t);
	CHECK(ji(json_object_get(r.json, "account"), "id") == A.id &&
		      strcmp(js(json_object_get(r.json, "account"), "email"), A.email) == 0,
	      "sign in: the account comes with the token");
	signin(&g_cl, &r, &B);
	expect_status(&r, 201, "sign in B");
	signin(&g_cl, &r, &C);
	expect_status(&r, 201, "sign in C");
	signin(&g_cl, &r, &D);
	expect_status(&r, 201, "sign in D");
	CHECK(strcmp(A.token, B.token) != 0, "sign in: tokens differ");

	req(&r, "GET", "/v1/me", A.token, NULL);
	expect_status(&r, 200, "GET /v1/me (A)");
	CHECK(ji(r.json, "id") == A.id && strcmp(js(r.json, "email"), A.email) == 0 &&
		      strcmp(js(r.json, "name"), "Ana") == 0 && strcmp(js(r.json, "role"), "owner") == 0 &&
		      json_is_integer(json_object_get(r.json, "created_at")),
	      "GET /v1/me: A's account");
	req(&r, "GET", "/v1/me", D.token, NULL);
	CHECK(r.status == 200 && ji(r.json, "id") == D.id && strcmp(js(r.json, "role"), "carrier-admin") == 0,
	      "GET /v1/me (D): D's account, role carrier-admin");

	/* Wrong credentials: the same answer, about the same time. */
	{
		double t_wrong, t_unknown;

		signin_pw(&g_cl, &r, B.email, "not the password at all");
		t_wrong = r.secs;
		expect_err(&r, 401, "bad-credentials", NULL, "sign in with a wrong password");
		signin_pw(&g_cl, &r, "nobody@example.org", "not the password at all");
		t_unknown = r.secs;
		expect_err(&r, 401, "bad-credentials", NULL, "sign in with an unknown e-mail");
		printf("# wrong password %.3f s, unknown e-mail %.3f s\n", t_wrong, t_unknown);
		CHECK(t_unknown >= 0.3 * t_wrong,
		      "sign in: an unknown e-mail takes about as long as a wrong password (%.3f vs %.3f s)",
		      t_unknown, t_wrong);
	}
	jreq(&r, "POST", "/v1/sessions", NULL, json_pack("{s:s}", "email", B.email));
	expect_err(&r, 400, "missing-field", "password", "sign in without password");
	signin(&g_cl, &r, &B);
	expect_status(&r, 201, "sign in B again with the right password");

	/* Authentication. */
	req(&r, "GET", "/v1/me", NULL, NULL);
	expect_err(&r, 401, "unauthenticated", NULL, "GET /v1/me without Authorization");
	hreq(&r, "GET", "/v1/me", "Bearer garbage", NULL, NULL, 0, NULL);
	expect_err(&r, 401, "unauthenticated", NULL, "GET /v1/me with a garbage token");
	hreq(&r, "GET", "/v1/me", "Bearer AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", NULL, NULL, 0,
	     NULL);
	expect_err(&r, 401, "unauthenticated", NULL, "GET /v1/me with a well-formed unknown token");
	{
		char authz[200];

		fmt(authz, sizeof(authz), "Basic %s", A.token);
		hreq(&r, "GET", "/v1/me", authz, NULL, NULL, 0, NULL);
		expect_err(&r, 401, "unauthenticated", NULL, "GET /v1/me with A's token under scheme Basic");
	}
	req(&r, "GET", "/v1/homes", NULL, NULL);
	expect_err(&r, 401, "unauthenticated", NULL, "GET /v1/homes without Authorization");
	jreq(&r, "POST", "/v1/homes", NULL,
	     json_pack("{s:s, s:s}", "name", "Anon", "tz", "Europe/Berlin"));
	expect_err(&r, 401, "unauthenticated", NULL, "POST /v1/homes without Authorization");
	req(&r, "DELETE", "/v1/sessions/current", NULL, NULL);
	expect_err(&r, 401, "unauthenticated", NULL, "DELETE /v1/sessions/current without Authorization");
	resp_free(&r);
}

/* ---- 2b. homes and members ---- */

static const char *const POLICY_H1 =
	"{\"in_home_delivery\": true, \"carriers\": [], \"hours\": [\"mon-fri 08:00-20:00\"],"
	" \"camera_required\": true, \"alarm_bypass_required\": true, \"approval\": \"per-delivery\"}";
static const char *const POLICY_DEFAULT =
	"{\"in_home_delivery\": false, \"carriers\": [], \"hours\": [], \"camera_required\": true,"
	" \"alarm_bypass_required\": true, \"approval\": \"per-delivery\"}";
static const char *const POLICY_PATCHED =
	"{\"in_home_delivery\": false, \"carriers\": [], \"hours\": [\"mon-fri 09:00-17:00\"],"
	" \"camera_required\": false, \"alarm_bypass_required\": true, \"approval\": \"standing\"}";

static void
test_homes(void)
{
	struct resp r = {0};
	json_t *h, *saved = NULL;
	long long created;

	jreq(&r, "POST", "/v1/homes", A.token,
	     json_pack("{s:s, s:s, s:s, s:{s:b, s:[s]}}", "name", "Flat", "tz", "Europe/Berlin", "notes",
		       "dog inside: leave parcels in the hall", "policy", "in_home_delivery", 1, "hours",
		       "mon-fri 08:00-20:00"));
	expect_status(&r, 201, "POST /v1/homes (A: Flat, the doc's example)");
	if (is_home_id(js(r.json, "id")))
		fmt(H1, sizeof(H1), "%s", js(r.json, "id"));
	CHECK(is_home_id(H1), "home: id is h- and 16 hex digits (got '%s')", js(r.json, "id"));
	CHECK(strcmp(js(r.json, "name"), "Flat") == 0 && strcmp(js(r.json, "tz"), "Europe/Berlin") == 0 &&
		      strcmp(js(r.json, "notes"), "dog inside: leave parcels in the hall") == 0 &&
		      strcmp(js(r.json, "role"), "owner") == 0,
	      "home: name, tz, notes back; the creator's role is owner");
	CHECK(policy_is(json_object_get(r.json, "policy"), POLICY_H1),
	      "home: policy as given, the other fields at their documented defaults");
	created = ji(r.json, "created_at");
	CHECK(near_now(created) && ji(r.json, "updated_at") >= created,
	      "home: created_at now, updated_at >= created_at");
	if (H1[0] == '\0')
		fmt(H1, sizeof(H1), "%s", "h-ffffffffffffff01");

	jreq(&r, "POST", "/v1/homes", A.token,
	     json_pack("{s:s, s:s}", "name", "Cabin", "tz", "America/Argentina/Buenos_Aires"));
	expect_status(&r, 201, "POST /v1/homes (A: Cabin, no notes, no policy)");
	fmt(H2, sizeof(H2), "%s", is_home_id(js(r.json, "id")) ? js(r.json, "id") : "h-ffffffffffffff02");
	CHECK(policy_is(json_object_get(r.json, "policy"), POLICY_DEFAULT),
	      "home without policy: the documented default policy");
	CHECK(strcmp(js(r.json, "notes"), "") == 0, "home without notes: notes \"\"");
	CHECK(strcmp(H1, H2) != 0, "homes: distinct ids");

	jreq(&r, "POST", "/v1/homes", B.token, json_pack("{s:s, s:s}", "name", "Bo's", "tz", "UTC"));
	expect_status(&r, 201, "POST /v1/homes (B)");
	fmt(HB, sizeof(HB), "%s", is_home_id(js(r.json, "id")) ? js(r.json, "id") : "h-ffffffffffffff03");

	req(&r, "GET", "/v1/homes", A.token, NULL);
	expect_status(&r, 200, "GET /v1/homes (A)");
	h = json_object_get(r.json, "homes");
	CHECK(json_array_size(h) == 2 && find_by(h, "id", H1) != NULL && find_by(h, "id", H2) != NULL,
	      "GET /v1/homes: exactly A's two homes (got %zu)", json_array_size(h));
	CHECK(strcmp(js(find_by(h, "id", H1), "role"), "owner") == 0, "GET /v1/homes: role owner");
	req(&r, "GET", "/v1/homes", B.token, NULL);
	h = json_object_get(r.json, "homes");
	CHECK(r.status == 200 && json_array_size(h) == 1 && find_by(h, "id", HB) != NULL,
	      "GET /v1/homes (B): only B's home");
	req(&r, "GET", "/v1/homes", D.token, NULL);
	CHECK(r.status == 200 && json_is_array(json_object_get(r.json, "homes")) &&
		      json_array_size(json_object_get(r.json, "homes")) == 0,
	      "GET /v1/homes (D, no homes): an empty list");

	req(&r, "GET", pathf("/v1/homes/%s", H1), A.token, NULL);
	expect_status(&r, 200, "GET /v1/homes/{id}");
	CHECK(strcmp(js(r.json, "id"), H1) == 0 && strcmp(js(r.json, "name"), "Flat") == 0 &&
		      ji(r.json, "created_at") == created &&
		      policy_is(json_object_get(r.json, "policy"), POLICY_H1),
	      "GET /v1/homes/{id}: the home as created");

	/* PATCH: one field at a time, the rest unchanged. */
	jreq(&r, "PATCH", pathf("/v1/homes/%s", H1), A.token, json_pack("{s:s}", "name", "Flat 2"));
	expect_status(&r, 200, "PATCH name");
	CHECK(strcmp(js(r.json, "name"), "Flat 2") == 0 && strcmp(js(r.json, "tz"), "Europe/Berlin") == 0 &&
		      strcmp(js(r.json, "notes"), "dog inside: leave parcels in the hall") == 0 &&
		      policy_is(json_object_get(r.json, "policy"), POLICY_H1) &&
		      ji(r.json, "created_at") == created && ji(r.json, "updated_at") >= created,
	      "PATCH name: name changed, tz, notes, policy, created_at unchanged");
	jreq(&r, "PATCH", pathf("/v1/homes/%s", H1), A.token,
	     json_pack("{s:s, s:s}", "tz", "America/New_York", "notes", "ring twice"));
	expect_status(&r, 200, "PATCH tz and notes");
	CHECK(strcmp(js(r.json, "tz"), "America/New_York") == 0 &&
		      strcmp(js(r.json, "notes"), "ring twice") == 0 &&
		      strcmp(js(r.json, "name"), "Flat 2") == 0,
	      "PATCH tz and notes: both changed, name kept");
	jreq(&r, "PATCH", pathf("/v1/homes/%s", H1), A.token,
	     json_pack("{s:{s:s, s:b, s:[s]}}", "policy", "approval", "standing", "camera_required", 0,
		       "hours", "mon-fri 09:00-17:00"));
	expect_status(&r, 200, "PATCH policy");
	CHECK(policy_is(json_object_get(r.json, "policy"), POLICY_PATCHED),
	      "PATCH policy replaces the whole policy (in_home_delivery back to false, hours replaced)");
	saved = json_incref(r.json);
	req(&r, "GET", pathf("/v1/homes/%s", H1), A.token, NULL);
	CHECK(r.status == 200 && json_equal(r.json, saved), "GET after PATCH: the same home PATCH returned");
	json_decref(saved);

	/* Members. */
	jreq(&r, "POST", pathf("/v1/homes/%s/members", H1), A.token,
	     json_pack("{s:s, s:s}", "email", C.email, "role", "member"));
	expect_status(&r, 201, "POST /v1/homes/{id}/members (C as member)");
	CHECK(ji(r.json, "account_id") == C.id && strcmp(js(r.json, "role"), "member") == 0,
	      "add member: {account_id: C, role: member} (got %lld)", ji(r.json, "account_id"));
	jreq(&r, "POST", pathf("/v1/homes/%s/members", H1), A.token,
	     json_pack("{s:s, s:s}", "email", C.email, "role", "member"));
	expect_err(&r, 409, "exists", NULL, "add the same member twice");
	jreq(&r, "POST", pathf("/v1/homes/%s/members", H1), A.token,
	     json_pack("{s:s, s:s}", "email", "nobody@example.org", "role", "member"));
	expect_err(&r, 404, "not-found", NULL, "add a member by an e-mail no account has");
	jreq(&r, "POST", pathf("/v1/homes/%s/members", H1), A.token,
	     json_pack("{s:s, s:s}", "email", D.email, "role", "landlord"));
	expect_err(&r, 400, "invalid-field", "role", "add a member with role \"landlord\"");
	req(&r, "GET", "/v1/homes", C.token, NULL);
	h = find_by(json_object_get(r.json, "homes"), "id", H1);
	CHECK(r.status == 200 && json_array_size(json_object_get(r.json, "homes")) == 1 && h != NULL &&
		      strcmp(js(h, "role"), "member") == 0,
	      "C lists the home with role member");
	req(&r, "GET", pathf("/v1/homes/%s", H1), C.token, NULL);
	CHECK(r.status == 200 && strcmp(js(r.json, "role"), "member") == 0 &&
		      strcmp(js(r.json, "name"), "Flat 2") == 0,
	      "C gets the home, role member");
	jreq(&r, "POST", pathf("/v1/homes/%s/members", H2), A.token,
	     json_pack("{s:s, s:s}", "email", C.email, "role", "owner"));
	expect_status(&r, 201, "add C to Cabin as owner");
	CHECK(ji(r.json, "account_id") == C.id && strcmp(js(r.json, "role"), "owner") == 0,
	      "add member: role owner");
	req(&r, "GET", pathf("/v1/homes/%s", H2), C.token, NULL);
	CHECK(r.status == 200 && strcmp(js(r.json, "role"), "owner") == 0, "C gets Cabin, role owner");
	jreq(&r, "PATCH", pathf("/v1/homes/%s", H2), C.token, json_pack("{s:s}", "notes", "co-owned"));
	expect_status(&r, 200, "a co-owner (C) may PATCH");

	/* Carrier admins do not own homes. */
	jreq(&r, "POST", "/v1/homes", D.token, json_pack("{s:s, s:s}", "name", "Depot", "tz", "UTC"));
	expect_err(&r, 403, "forbidden", NULL, "a carrier-admin creates a home");
	resp_free(&r);
}

/* ---- 2c. owner keys ---- */

static void
test_owner_keys(void)
{
	struct resp r = {0};
	json_t *k;

	post_key(&r, H1, A.token, K1.text, "Ana's phone");
	expect_status(&r, 201, "POST owner-keys (K1)");
	CHECK(ji(r.json, "id") > 0 && strcmp(js(r.json, "public_key"), K1.text) == 0 &&
		      strcmp(js(r.json, "key_id"), K1.kid) == 0 &&
		      strcmp(js(r.json, "label"), "Ana's phone") == 0 && near_now(ji(r.json, "created_at")),
	      "owner key: id, public_key, key_id (first 8 bytes of SHA-256, hex), label, created_at");
	post_key(&r, H1, A.token, K2.text, "Ana's laptop");
	expect_status(&r, 201, "POST owner-keys (K2)");
	post_key(&r, H2, A.token, K1.text, "Ana's phone");
	expect_status(&r, 201, "POST owner-keys: K1 for the second home too (409 is per home)");
	post_key(&r, HB, B.token, KB.text, "Bo's phone");
	expect_status(&r, 201, "POST owner-keys (B: KB)");

	req(&r, "GET", pathf("/v1/homes/%s/owner-keys", H1), A.token, NULL);
	expect_status(&r, 200, "GET owner-keys");
	k = json_object_get(r.json, "keys");
	CHECK(json_array_size(k) == 2 && strcmp(js(find_by(k, "public_key", K1.text), "key_id"), K1.kid) == 0 &&
		      strcmp(js(find_by(k, "public_key", K2.text), "label"), "Ana's laptop") == 0,
	      "GET owner-keys: exactly K1 and K2 with key ids and labels (got %zu)", json_array_size(k));
	req(&r, "GET", pathf("/v1/homes/%s/owner-keys", H1), C.token, NULL);
	CHECK(r.status == 200 && json_array_size(json_object_get(r.json, "keys")) == 2,
	      "GET owner-keys as member C -> 200, 2 keys");
	resp_free(&r);
}

/* ---- 2d. grants ---- */

static void
test_grants(void)
{
	struct resp r = {0};
	struct pt_grant g;
	json_t *gs, *it;
	long long id1 = 0, id2 = 0;

	chain1(&G1, &K1, H1, carrier.pk, now_s() + 86400);
	post_grant(&r, H1, A.token, G1.b64, "carrier");
	expect_status(&r, 201, "POST grants (one link, signed by K1)");
	id1 = ji(r.json, "id");
	CHECK(id1 > 0 && strcmp(js(r.json, "token_id"), G1.cti[0]) == 0 &&
		      strcmp(js(r.json, "holder"), G1.holder[0]) == 0 && ji(r.json, "links") == 1 &&
		      strcmp(js(r.json, "purpose"), "delivery") == 0 &&
		      ji(r.json, "expires_at") == G1.exp[0] && strcmp(js(r.json, "label"), "carrier") == 0 &&
		      near_now(ji(r.json, "created_at")),
	      "grant: id, token_id, holder, links 1, purpose delivery, expires_at, label, created_at");
	if (!json_is_object(r.json) || strcmp(js(r.json, "token_id"), G1.cti[0]) != 0)
		body_diag(&r);

	memset(&G2, 0, sizeof(G2));
	grant_init(&g, H1, carrier.pk, now_s() + 86400, 10, 1);
	chain_add(&G2, &K1, &g);
	grant_init(&g, H1, courier.pk, now_s() + 3600, 1, 0);
	chain_add(&G2, &carrier, &g);
	post_grant(&r, H1, A.token, G2.b64, "cleaner");
	expect_status(&r, 201, "POST grants (two links: K1 -> carrier -> courier)");
	id2 = ji(r.json, "id");
	CHECK(id2 > 0 && id2 != id1 && ji(r.json, "links") == 2 &&
		      strcmp(js(r.json, "purpose"), "delivery") == 0 &&
		      strcmp(js(r.json, "label"), "cleaner") == 0,
	      "grant (2 links): new id, links 2, purpose, label");
	CHECK((strcmp(js(r.json, "token_id"), G2.cti[0]) == 0 ||
	       strcmp(js(r.json, "token_id"), G2.cti[1]) == 0) &&
		      (strcmp(js(r.json, "holder"), G2.holder[0]) == 0 ||
		       strcmp(js(r.json, "holder"), G2.holder[1]) == 0) &&
		      (ji(r.json, "expires_at") == G2.exp[0] || ji(r.json, "expires_at") == G2.exp[1]),
	      "grant (2 links): token_id, holder, expires_at are those of one of its links");
	printf("# 2-link grant: token_id is link %d's, holder link %d's, expires_at link %d's\n",
	       strcmp(js(r.json, "token_id"), G2.cti[1]) == 0 ? 1 : 0,
	       strcmp(js(r.json, "holder"), G2.holder[1]) == 0 ? 1 : 0,
	       ji(r.json, "expires_at") == G2.exp[1] ? 1 : 0);

	req(&r, "GET", pathf("/v1/homes/%s/grants", H1), A.token, NULL);
	expect_status(&r, 200, "GET grants");
	gs = json_object_get(r.json, "grants");
	CHECK(json_array_size(gs) == 2, "GET grants: 2 grants (got %zu)", json_array_size(gs));
	it = find_by(gs, "token_id", G1.cti[0]);
	CHECK(it != NULL && strcmp(js(it, "chain"), G1.b64) == 0 && ji(it, "id") == id1 &&
		      strcmp(js(it, "label"), "carrier") == 0,
	      "GET grants: the one-link chain comes back byte for byte");
	{
		size_t i;
		json_t *v;
		bool found = false;

		json_array_foreach(gs, i, v)
			if (ji(v, "id") == id2)
				found = strcmp(js(v, "chain"), G2.b64) == 0;
		CHECK(found, "GET grants: the two-link chain comes back byte for byte");
	}
	req(&r, "GET", pathf("/v1/homes/%s/grants", H1), C.token, NULL);
	CHECK(r.status == 200 && json_array_size(json_object_get(r.json, "grants")) == 2,
	      "GET grants as member C -> 200, 2 grants");
	resp_free(&r);
}

/* ---- 2e. revocations ---- */

static void
test_revocations(void)
{
	struct resp r = {0};
	json_t *rv;

	R1 = revocation(&K1, H1, now_s(), PT_REVOKE_TOKEN, G2.cti_raw[1], PT_CTI_LEN);
	post_rev(&r, H1, A.token, R1);
	expect_status(&r, 201, "POST revocations (token id, signed by K1)");
	V1 = ji(r.json, "version");
	CHECK(V1 >= 1 && strcmp(js(r.json, "kind"), "token") == 0 &&
		      strcmp(js(r.json, "target"), G2.cti[1]) == 0 && near_now(ji(r.json, "created_at")),
	      "revocation: version, kind token, target = hex token id, created_at (version %lld)", V1);
	R2 = revocation(&K2, H1, now_s(), PT_REVOKE_KEY, courier.pk, PT_PK_LEN);
	post_rev(&r, H1, A.token, R2);
	expect_status(&r, 201, "POST revocations (key, signed by K2)");
	V2 = ji(r.json, "version");
	CHECK(V2 == V1 + 1 && strcmp(js(r.json, "kind"), "key") == 0 &&
		      strcmp(js(r.json, "target"), courier.text) == 0,
	      "revocation: version grows by one, kind key, target = base64url key (version %lld)", V2);

	req(&r, "GET", pathf("/v1/homes/%s/revocations?since=0", H1), A.token, NULL);
	expect_status(&r, 200, "GET revocations?since=0");
	rv = json_object_get(r.json, "revocations");
	CHECK(ji(r.json, "version") == V2 && json_array_size(rv) == 2 &&
		      ji(find_by(rv, "revocation", R1), "version") == V1 &&
		      ji(find_by(rv, "revocation", R2), "version") == V2,
	      "since=0: version %lld, both envelopes byte for byte, each with its version", V2);
	req(&r, "GET", pathf("/v1/homes/%s/revocations", H1), A.token, NULL);
	CHECK(r.status == 200 && ji(r.json, "version") == V2 &&
		      json_array_size(json_object_get(r.json, "revocations")) == 2,
	      "no since: the same as since=0");
	req(&r, "GET", pathf("/v1/homes/%s/revocations?since=%lld", H1, V1), A.token, NULL);
	rv = json_object_get(r.json, "revocations");
	CHECK(r.status == 200 && ji(r.json, "version") == V2 && json_array_size(rv) == 1 &&
		      strcmp(js(json_array_get(rv, 0), "revocation"), R2) == 0,
	      "since=%lld: only the newer one", V1);
	req(&r, "GET", pathf("/v1/homes/%s/revocations?since=%lld", H1, V2), A.token, NULL);
	CHECK(r.status == 200 && ji(r.json, "version") == V2 &&
		      json_is_array(json_object_get(r.json, "revocations")) &&
		      json_array_size(json_object_get(r.json, "revocations")) == 0,
	      "since=%lld (current): nothing, version %lld", V2, V2);
	/* A hub ahead of the server (a restored database) is told to start over. */
	req(&r, "GET", pathf("/v1/homes/%s/revocations?since=%lld", H1, V2 + 5), A.token, NULL);
	expect_err(&r, 400, "invalid-field", "since", "since beyond the newest version");
	req(&r, "GET", pathf("/v1/homes/%s/revocations?since=0", H1), C.token, NULL);
	CHECK(r.status == 200 && json_array_size(json_object_get(r.json, "revocations")) == 2,
	      "GET revocations as member C -> 200");
	resp_free(&r);
}

/* ---- 3. refusals ---- */

static void
test_refusals(void)
{
	struct resp r = {0};
	struct chain ch;
	struct pt_grant g;
	char *before, *after, *env, big[600];
	uint8_t raw[PT_CHAIN_SIZE_MAX + 64];
	size_t n;

	before = snapshot(A.token, H1);

	/* A member may read but not change. */
	jreq(&r, "PATCH", pathf("/v1/homes/%s", H1), C.token, json_pack("{s:s}", "name", "Cy's now"));
	expect_err(&r, 403, "forbidden", NULL, "member C: PATCH the home");
	req(&r, "DELETE", pathf("/v1/homes/%s", H1), C.token, NULL);
	expect_err(&r, 403, "forbidden", NULL, "member C: DELETE the home");
	jreq(&r, "POST", pathf("/v1/homes/%s/members", H1), C.token,
	     json_pack("{s:s, s:s}", "email", D.email, "role", "owner"));
	expect_err(&r, 403, "forbidden", NULL, "member C: add a member");
	post_key(&r, H1, C.token, K3.text, "Cy's key");
	expect_err(&r, 403, "forbidden", NULL, "member C: add an owner key");
	chain1(&ch, &K1, H1, courier.pk, now_s() + 3600);
	post_grant(&r, H1, C.token, ch.b64, "by member");
	expect_err(&r, 403, "forbidden", NULL, "member C: upload a (valid) grant");
	chain_free(&ch);
	env = revocation(&K1, H1, now_s(), PT_REVOKE_TOKEN, G1.cti_raw[0], PT_CTI_LEN);
	post_rev(&r, H1, C.token, env);
	expect_err(&r, 403, "forbidden", NULL, "member C: upload a (valid) revocation");
	free(env);

	/* Homes. */
	jreq(&r, "POST", "/v1/homes", A.token, json_pack("{s:s, s:s}", "name", "Base", "tz", "Mars/Olympus"));
	expect_err(&r, 400, "invalid-field", "tz", "home with tz Mars/Olympus");
	jreq(&r, "POST", "/v1/homes", A.token, json_pack("{s:s, s:s}", "name", "Base", "tz", "../../etc/passwd"));
	expect_err(&r, 400, "invalid-field", "tz", "home with tz ../../etc/passwd");
	jreq(&r, "PATCH", pathf("/v1/homes/%s", H1), A.token, json_pack("{s:s}", "tz", "Mars/Olympus"));
	expect_err(&r, 400, "invalid-field", "tz", "PATCH tz Mars/Olympus");
	jreq(&r, "POST", "/v1/homes", A.token,
	     json_pack("{s:s, s:s, s:{s:b, s:s}}", "name", "Base", "tz", "UTC", "policy",
		       "in_home_delivery", 1, "colour", "red"));
	expect_err(&r, 400, "unknown-field", "~colour", "policy with an unknown field");
	jreq(&r, "POST", "/v1/homes", A.token,
	     json_pack("{s:s, s:s, s:{s:[s]}}", "name", "Base", "tz", "UTC", "policy", "hours",
		       "mon-fri 25:00-26:00"));
	expect_err(&r, 400, "invalid-field", "~hours", "policy with hours 25:00-26:00");
	jreq(&r, "PATCH", pathf("/v1/homes/%s", H1), A.token,
	     json_pack("{s:{s:[s]}}", "policy", "hours", "someday 08:00-20:00"));
	expect_err(&r, 400, "invalid-field", "~hours", "PATCH policy with hours \"someday 08:00-20:00\"");
	jreq(&r, "POST", "/v1/homes", A.token,
	     json_pack("{s:s, s:s, s:{s:s}}", "name", "Base", "tz", "UTC", "policy", "approval", "sometimes"));
	expect_err(&r, 400, "invalid-field", "~approval", "policy with approval \"sometimes\"");
	{
		json_t *hours = json_array();
		int i;

		for (i = 0; i < 17; i++)
			json_array_append_new(hours, json_string("mon-fri 08:00-20:00"));
		jreq(&r, "POST", "/v1/homes", A.token,
		     json_pack("{s:s, s:s, s:{s:o}}", "name", "Base", "tz", "UTC", "policy", "hours", hours));
		expect_err(&r, 400, "invalid-field", "~hours", "policy with 17 hours (16 max)");
	}
	jreq(&r, "POST", "/v1/homes", A.token, json_pack("{s:s, s:s}", "name", "", "tz", "UTC"));
	expect_err(&r, 400, "invalid-field", "name", "home with an empty name");
	jreq(&r, "POST", "/v1/homes", A.token, json_pack("{s:s}", "name", "Base"));
	expect_err(&r, 400, "missing-field", "tz", "home without tz");
	memset(big, 'n', 501);
	big[501] = '\0';
	jreq(&r, "POST", "/v1/homes", A.token, json_pack("{s:s, s:s, s:s}", "name", "Base", "tz", "UTC", "notes", big));
	expect_err(&r, 400, "invalid-field", "notes", "home with 501 characters of notes");
	jreq(&r, "POST", "/v1/homes", A.token,
	     json_pack("{s:s, s:s, s:s}", "name", "Base", "tz", "UTC", "notes", "bell \033[2J"));
	expect_err(&r, 400, "invalid-field", "notes", "home with an escape sequence in the notes");
	jreq(&r, "POST", "/v1/homes", A.token,
	     json_pack("{s:s, s:s, s:s}", "name", "Base", "tz", "UTC", "owner", "me"));
	expect_err(&r, 400, "unknown-field", "owner", "home with an unknown field");
	jreq(&r, "PATCH", pathf("/v1/homes/%s", H1), A.token, json_pack("{s:i}", "name", 7));
	expect_err(&r, 400, "invalid-field", "name", "PATCH name with a number");
	jreq(&r, "PATCH", pathf("/v1/homes/%s", H1), A.token, json_pack("{s:s}", "id", "h-0000000000000000"));
	expect_err(&r, 400, "unknown-field", "id", "PATCH the home's id");

	/* Owner keys. */
	fmt(big, sizeof(big), "%.42s", K3.text);
	post_key(&r, H1, A.token, big, "short");
	expect_err(&r, 400, "invalid-field", "public_key", "owner key of 42 characters");
	fmt(big, sizeof(big), "%sA", K3.text);
	post_key(&r, H1, A.token, big, "long");
	expect_err(&r, 400, "invalid-field", "public_key", "owner key of 44 characters");
	fmt(big, sizeof(big), "%s", K3.text);
	big[5] = '+';
	big[9] = '/';
	post_key(&r, H1, A.token, big, "b64");
	expect_err(&r, 400, "invalid-field", "public_key", "owner key in standard base64, not base64url");
	post_key(&r, H1, A.token, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "zeros");
	expect_err(&r, 400, "invalid-field", "public_key", "owner key of 32 zero bytes (small order)");
	{
		/* The order-8 point 0x26e8...05: a small-order key that is not all zeros. */
		static const uint8_t so[PT_PK_LEN] = {
			0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4,
			0x89, 0xf2, 0xef, 0x98, 0xf0, 0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6,
			0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53, 0xfc, 0x05};
		char t[PT_PK_TEXT_LEN + 1];

		pt_pubkey_text(so, t);
		post_key(&r, H1, A.token, t, "order 8");
		expect_err(&r, 400, "invalid-field", "public_key", "owner key of order 8 (small order)");
	}
	post_key(&r, H1, A.token, K1.text, "again");
	expect_err(&r, 409, "exists", NULL, "the same owner key twice for a home");
	jreq(&r, "POST", pathf("/v1/homes/%s/owner-keys", H1), A.token, json_pack("{s:s}", "label", "no key"));
	expect_err(&r, 400, "missing-field", "public_key", "owner key without public_key");
	jreq(&r, "POST", pathf("/v1/homes/%s/owner-keys", H1), A.token,
	     json_pack("{s:s, s:s, s:s}", "public_key", K3.text, "label", "x", "secret_key", K3.text));
	expect_err(&r, 400, "unknown-field", "secret_key", "owner key with an unknown field");

	/* Grants. */
	chain1(&ch, &KX, H1, courier.pk, now_s() + 3600);
	post_grant(&r, H1, A.token, ch.b64, "stranger");
	expect_err(&r, 403, "untrusted-root", NULL, "grant rooted in a key enrolled nowhere");
	chain_free(&ch);
	chain1(&ch, &KB, H1, courier.pk, now_s() + 3600);
	post_grant(&r, H1, A.token, ch.b64, "bo's key");
	expect_err(&r, 403, "untrusted-root", NULL, "grant rooted in another home's owner key");
	chain_free(&ch);
	chain1(&ch, &K1, HB, courier.pk, now_s() + 3600);
	post_grant(&r, H1, A.token, ch.b64, "audience");
	expect_err(&r, 403, "wrong-home-or-lock", NULL, "grant by K1 whose audience is another home's id");
	chain_free(&ch);
	chain1(&ch, &K1, H1, courier.pk, now_s() - 3600);
	post_grant(&r, H1, A.token, ch.b64, "old");
	expect_err(&r, 403, "expired", NULL, "grant that expired an hour ago");
	chain_free(&ch);
	{
		static const uint8_t junk[] = "hello, I am not a credential";
		char *s = b64(junk, sizeof(junk) - 1);

		post_grant(&r, H1, A.token, s, "garbage");
		expect_err(&r, 400, "malformed", NULL, "grant chain of garbage bytes");
		free(s);
	}
	post_grant(&r, H1, A.token, G1.b64, "again");
	expect_err(&r, 409, "exists", NULL, "the same chain twice");
	memset(&ch, 0, sizeof(ch));
	grant_init(&g, H1, carrier.pk, now_s() + 86400, 10, 1);
	chain_add(&ch, &K1, &g);
	grant_init(&g, H1, courier.pk, now_s() + 3600, 20, 0);	/* 20 entries > 10 */
	chain_add(&ch, &carrier, &g);
	post_grant(&r, H1, A.token, ch.b64, "wider");
	expect_err(&r, 403, "widened-link", NULL, "second link with more entries than its parent");
	chain_free(&ch);
	memset(&ch, 0, sizeof(ch));
	grant_init(&g, H1, carrier.pk, now_s() + 86400, 10, 1);
	chain_add(&ch, &K1, &g);
	grant_init(&g, H1, courier.pk, now_s() + 3600, 1, 0);
	chain_add(&ch, &KX, &g);	/* not the carrier's key */
	post_grant(&r, H1, A.token, ch.b64, "broken");
	expect_err(&r, 403, "broken-chain", NULL, "second link not signed by the first link's holder");
	chain_free(&ch);
	chain1(&ch, &K1, H1, courier.pk, now_s() + 3600);
	ch.b[ch.n - 1] ^= 0x01;	/* in the signature */
	free(ch.b64);
	ch.b64 = b64(ch.b, ch.n);
	post_grant(&r, H1, A.token, ch.b64, "flipped");
	expect_err(&r, 403, "bad-signature", NULL, "grant with one bit of its signature flipped");
	chain_free(&ch);
	{
		/* Five copies of a valid link in one array: too many links. */
		uint8_t link[PT_LINK_SIZE_MAX];
		size_t ln, i;
		char *s;

		grant_init(&g, H1, courier.pk, now_s() + 3600, 1, 0);
		if (pt_grant_sign(ops, &K1.sg, &g, link, sizeof(link), &ln) != PT_OK || 1 + 5 * ln > sizeof(raw))
			bail("cannot sign a link");
		raw[0] = 0x85;
		for (i = 0; i < 5; i++)
			memcpy(raw + 1 + i * ln, link, ln);
		s = b64(raw, 1 + 5 * ln);
		post_grant(&r, H1, A.token, s, "five links");
		expect_err(&r, 403, "chain-too-long", NULL, "chain of 5 links");
		free(s);
	}
	pt_random(raw, PT_CHAIN_SIZE_MAX + 1);
	raw[0] = 0x82;
	{
		char *s = b64(raw, PT_CHAIN_SIZE_MAX + 1);

		post_grant(&r, H1, A.token, s, "huge");
		expect_err(&r, 413, "too-large", NULL, "chain of 2049 bytes");
		free(s);
	}
	jreq(&r, "POST", pathf("/v1/homes/%s/grants", H1), A.token, json_pack("{s:s}", "label", "empty"));
	expect_err(&r, 400, "missing-field", "chain", "grant without chain");

	/* Revocations. */
	env = revocation(&KX, H1, now_s(), PT_REVOKE_TOKEN, G1.cti_raw[0], PT_CTI_LEN);
	post_rev(&r, H1, A.token, env);
	expect_err(&r, 403, "untrusted-signer", NULL, "revocation signed by a key enrolled nowhere");
	free(env);
	env = revocation(&KB, H1, now_s(), PT_REVOKE_TOKEN, G1.cti_raw[0], PT_CTI_LEN);
	post_rev(&r, H1, A.token, env);
	expect_err(&r, 403, "untrusted-signer", NULL, "revocation signed by another home's owner key");
	free(env);
	env = revocation(&K1, H1, now_s() - 3600, PT_REVOKE_TOKEN, G1.cti_raw[0], PT_CTI_LEN);
	post_rev(&r, H1, A.token, env);
	expect_err(&r, 403, "stale", NULL, "revocation issued an hour ago");
	free(env);
	env = revocation(&K1, H1, now_s() + 3600, PT_REVOKE_TOKEN, G1.cti_raw[0], PT_CTI_LEN);
	post_rev(&r, H1, A.token, env);
	expect_err(&r, 403, "stale", NULL, "revocation issued an hour in the future");
	free(env);
	env = revocation(&K1, HB, now_s(), PT_REVOKE_TOKEN, G1.cti_raw[0], PT_CTI_LEN);
	post_rev(&r, H1, A.token, env);
	expect_err(&r, 403, "wrong-home-or-lock", NULL, "revocation addressed to another home");
	free(env);
	{
		uint8_t e[PT_ENVELOPE_SIZE_MAX];

		n = revocation_raw(&K1, H1, now_s(), PT_REVOKE_TOKEN, G1.cti_raw[0], PT_CTI_LEN, e);
		e[n - 1] ^= 0x01;
		env = b64(e, n);
		post_rev(&r, H1, A.token, env);
		expect_err(&r, 403, "bad-signature", NULL, "revocation with a flipped signature bit");
		free(env);
	}
	{
		static const uint8_t junk[] = "revoke everything, trust me";

		env = b64(junk, sizeof(junk) - 1);
		post_rev(&r, H1, A.token, env);
		expect_err(&r, 400, "malformed", NULL, "revocation of garbage bytes");
		free(env);
	}
	env = b64(G1.b, G1.n);
	post_rev(&r, H1, A.token, env);
	CHECK(r.status >= 400 && r.status < 500,
	      "a grant chain presented as a revocation is refused (got %ld %s)", r.status, ecode(&r));
	free(env);
	jreq(&r, "POST", pathf("/v1/homes/%s/revocations", H1), A.token, json_pack("{}"));
	expect_err(&r, 400, "missing-field", "revocation", "revocation body without revocation");

	/* Bodies. */
	{
		char *body = malloc(MAX_BODY + 2);
		size_t len;

		if (body == NULL)
			bail("out of memory");
		/* Exactly max_body bytes is read (and refused for its content). */
		len = MAX_BODY;
		memset(body, 'x', len);
		memcpy(body, "{\"name\":\"", 9);
		memcpy(body + len - 16, "\",\"tz\":\"UTC\"}   ", 16);
		hreq(&r, "POST", "/v1/homes", pathf("Bearer %s", A.token), "application/json", body, len,
		     NULL);
		CHECK(r.status == 400, "a body of exactly max_body (65536) bytes is read: 400, not 413 (got %ld %s)",
		      r.status, ecode(&r));
		len = MAX_BODY + 1;
		memset(body, 'x', len);
		memcpy(body, "{\"name\":\"", 9);
		memcpy(body + len - 16, "\",\"tz\":\"UTC\"}   ", 16);
		hreq(&r, "POST", "/v1/homes", pathf("Bearer %s", A.token), "application/json", body, len,
		     "Expect: 100-continue");
		expect_err(&r, 413, "too-large", NULL, "a body of max_body + 1 bytes");
		free(body);
	}
	req(&r, "GET", "/v1/health", NULL, NULL);
	CHECK(r.status == 200, "after the 413 the server still answers (GET /v1/health -> %ld)", r.status);
	{
		const char *body = "{\"name\":\"Plain\",\"tz\":\"UTC\"}";

		hreq(&r, "POST", "/v1/homes", pathf("Bearer %s", A.token), "text/plain", body,
		     strlen(body), NULL);
		expect_err(&r, 415, "unsupported-media-type", NULL, "POST /v1/homes with Content-Type text/plain");
		hreq(&r, "PATCH", pathf("/v1/homes/%s", H1), pathf("Bearer %s", A.token),
		     "application/x-www-form-urlencoded", body, strlen(body), NULL);
		expect_err(&r, 415, "unsupported-media-type", NULL, "PATCH with a form Content-Type");
	}
	req(&r, "POST", "/v1/homes", A.token, "[{\"name\":\"Arr\",\"tz\":\"UTC\"}]");
	expect_err(&r, 400, "bad-request", NULL, "POST /v1/homes with a JSON array");
	req(&r, "POST", "/v1/homes", A.token, "{\"name\":\"Bad\",\"tz\":");
	expect_err(&r, 400, "bad-request", NULL, "POST /v1/homes with invalid JSON");
	req(&r, "POST", "/v1/homes", A.token, "");
	expect_err(&r, 400, "bad-request", NULL, "POST /v1/homes with an empty body");
	req(&r, "POST", "/v1/homes", A.token, "{\"name\":\"Two\",\"tz\":\"UTC\"}{}");
	expect_err(&r, 400, "bad-request", NULL, "POST /v1/homes with two JSON objects");
	req(&r, "PATCH", pathf("/v1/homes/%s", H1), A.token, "null");
	expect_err(&r, 400, "bad-request", NULL, "PATCH with null");

	/* Routes and methods. */
	req(&r, "GET", "/v1/nope", A.token, NULL);
	expect_err(&r, 404, "not-found", NULL, "GET /v1/nope (unknown route)");
	req(&r, "GET", "/v2/health", NULL, NULL);
	expect_err(&r, 404, "not-found", NULL, "GET /v2/health (unknown route)");
	req(&r, "GET", pathf("/v1/homes/%s/nope", H1), A.token, NULL);
	expect_err(&r, 404, "not-found", NULL, "GET /v1/homes/{id}/nope (unknown route)");
	req(&r, "PUT", "/v1/health", NULL, NULL);
	expect_err(&r, 405, "method-not-allowed", NULL, "PUT /v1/health");
	CHECK(strstr(r.allow, "GET") != NULL, "405 carries Allow with GET (got '%s')", r.allow);
	req(&r, "DELETE", "/v1/homes", A.token, NULL);
	expect_err(&r, 405, "method-not-allowed", NULL, "DELETE /v1/homes");
	CHECK(strstr(r.allow, "GET") != NULL && strstr(r.allow, "POST") != NULL,
	      "405 on /v1/homes: Allow has GET and POST (got '%s')", r.allow);
	req(&r, "POST", pathf("/v1/homes/%s", H1), A.token, "{}");
	expect_err(&r, 405, "method-not-allowed", NULL, "POST /v1/homes/{id}");
	CHECK(strstr(r.allow, "GET") != NULL && strstr(r.allow, "PATCH") != NULL &&
		      strstr(r.allow, "DELETE") != NULL,
	      "405 on /v1/homes/{id}: Allow has GET, PATCH, DELETE (got '%s')", r.allow);
	req(&r, "GET", "/v1/accounts", A.token, NULL);
	expect_err(&r, 405, "method-not-allowed", NULL, "GET /v1/accounts");
	req(&r, "DELETE", "/v1/me", A.token, NULL);
	expect_err(&r, 405, "method-not-allowed", NULL, "DELETE /v1/me");

	/* 5. Nothing stored. */
	after = snapshot(A.token, H1);
	CHECK(strcmp(before, after) == 0, "nothing stored from the rejected requests: A's home, keys, grants, "
					  "revocations unchanged");
	if (strcmp(before, after) != 0)
		printf("# before: %.600s\n# after:  %.600s\n", before, after);
	free(before);
	free(after);
	req(&r, "GET", "/v1/homes", A.token, NULL);
	CHECK(r.status == 200 && json_array_size(json_object_get(r.json, "homes")) == 2,
	      "nothing stored: A still has exactly 2 homes (got %zu)",
	      json_array_size(json_object_get(r.json, "homes")));
	req(&r, "GET", "/v1/homes", D.token, NULL);
	CHECK(r.status == 200 && json_array_size(json_object_get(r.json, "homes")) == 0,
	      "nothing stored: the carrier-admin has no home");
	req(&r, "GET", "/v1/homes", C.token, NULL);
	CHECK(r.status == 200 && json_array_size(json_object_get(r.json, "homes")) == 2,
	      "nothing stored: C still belongs to exactly 2 homes");
	resp_free(&r);
}

/* ---- 4. the cross-tenant matrix ---- */

enum body_kind { BODY_NONE, BODY_PATCH, BODY_MEMBER, BODY_KEY, BODY_GRANT, BODY_REV };

static char *
matrix_body(enum body_kind k)
{
	struct chain ch;
	char *s = NULL, *env;
	json_t *j = NULL;

	switch (k) {
	case BODY_NONE:
		return NULL;
	case BODY_PATCH:
		j = json_pack("{s:s, s:s}", "name", "taken over", "notes", "mine now");
		break;
	case BODY_MEMBER:
		j = json_pack("{s:s, s:s}", "email", B.email, "role", "owner");
		break;
	case BODY_KEY:
		j = json_pack("{s:s, s:s}", "public_key", K3.text, "label", "intruder");
		break;
	case BODY_GRANT:
		/* A chain that A's home would accept. */
		chain1(&ch, &K1, H1, courier.pk, now_s() + 3600);
		j = json_pack("{s:s, s:s}", "chain", ch.b64, "label", "intruder");
		chain_free(&ch);
		break;
	case BODY_REV:
		env = revocation(&K1, H1, now_s(), PT_REVOKE_TOKEN, G1.cti_raw[0], PT_CTI_LEN);
		j = json_pack("{s:s}", "revocation", env);
		free(env);
		break;
	}
	if (j == NULL || (s = json_dumps(j, JSON_COMPACT)) == NULL)
		bail("cannot build a body");
	json_decref(j);
	return s;
}

static void
test_cross_tenant(void)
{
	static const struct {
		const char *method, *suffix;
		enum body_kind body;
	} routes[] = {
		{"GET", "", BODY_NONE},
		{"PATCH", "", BODY_PATCH},
		{"DELETE", "", BODY_NONE},
		{"POST", "/members", BODY_MEMBER},
		{"GET", "/owner-keys", BODY_NONE},
		{"POST", "/owner-keys", BODY_KEY},
		{"GET", "/grants", BODY_NONE},
		{"POST", "/grants", BODY_GRANT},
		{"GET", "/revocations", BODY_NONE},
		{"GET", "/revocations?since=0", BODY_NONE},
		{"POST", "/revocations", BODY_REV},
	};
	static const char *const unsupported[][2] = {
		{"PUT", ""}, {"GET", "/members"}, {"DELETE", "/owner-keys"}, {"PATCH", "/grants"},
		{"DELETE", "/revocations"},
	};
	struct resp r = {0}, m = {0};
	char *before, *after, *homes_b;
	size_t i;

	before = snapshot(A.token, H1);
	req(&r, "GET", "/v1/homes", B.token, NULL);
	homes_b = json_dumps(r.json, JSON_SORT_KEYS | JSON_COMPACT);
	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		char *body = matrix_body(routes[i].body);
		char what[160];

		fmt(what, sizeof(what), "owner B: %s /v1/homes/{A's home}%s", routes[i].method, routes[i].suffix);
		req(&r, routes[i].method, pathf("/v1/homes/%s%s", H1, routes[i].suffix), B.token, body);
		expect_err(&r, 404, "not-found", NULL, what);
		req(&m, routes[i].method, pathf("/v1/homes/%s%s", MISSING_HOME, routes[i].suffix), B.token, body);
		CHECK(r.status == m.status && strcmp(ecode(&r), ecode(&m)) == 0,
		      "owner B: %s %s on A's home answers exactly like on a missing home (%ld %s vs %ld %s)",
		      routes[i].method, routes[i].suffix[0] != '\0' ? routes[i].suffix : "/",
		      r.status, ecode(&r), m.status, ecode(&m));
		req(&r, routes[i].method, pathf("/v1/homes/%s%s", H1, routes[i].suffix), D.token, body);
		CHECK(r.status == 404 && strcmp(ecode(&r), "not-found") == 0,
		      "carrier-admin D: %s /v1/homes/{A's home}%s -> 404 not-found (got %ld %s)",
		      routes[i].method, routes[i].suffix, r.status, ecode(&r));
		free(body);
	}
	for (i = 0; i < sizeof(unsupported) / sizeof(unsupported[0]); i++) {
		req(&r, unsupported[i][0], pathf("/v1/homes/%s%s", H1, unsupported[i][1]), B.token, NULL);
		req(&m, unsupported[i][0], pathf("/v1/homes/%s%s", MISSING_HOME, unsupported[i][1]), B.token, NULL);
		CHECK(r.status == m.status && strcmp(ecode(&r), ecode(&m)) == 0 &&
			      strcmp(r.allow, m.allow) == 0,
		      "owner B: unsupported %s %s on A's home answers like on a missing home (%ld %s vs %ld %s)",
		      unsupported[i][0], unsupported[i][1][0] != '\0' ? unsupported[i][1] : "/", r.status,
		      ecode(&r), m.status, ecode(&m));
	}
	after = snapshot(A.token, H1);
	CHECK(strcmp(before, after) == 0, "cross-tenant: A's home, keys, grants, revocations unchanged");
	if (strcmp(before, after) != 0)
		printf("# before: %.600s\n# after:  %.600s\n", before, after);
	req(&r, "GET", "/v1/homes", B.token, NULL);
	{
		char *now_b = json_dumps(r.json, JSON_SORT_KEYS | JSON_COMPACT);

		CHECK(now_b != NULL && homes_b != NULL && strcmp(now_b, homes_b) == 0,
		      "cross-tenant: B's homes unchanged (B did not become a member)");
		free(now_b);
	}
	req(&r, "GET", pathf("/v1/homes/%s", H1), C.token, NULL);
	CHECK(r.status == 200 && strcmp(js(r.json, "role"), "member") == 0,
	      "cross-tenant: C is still a member of A's home");
	free(before);
	free(after);
	free(homes_b);
	resp_free(&r);
	resp_free(&m);
}

/* ---- lists are complete; owner keys stop at the documented 64 per home ---- */

#define LIST_N 70

static void
test_lists_complete(void)
{
	struct resp r = {0};
	struct key k[LIST_N];
	struct chain ch;
	char *env;
	int i, keys = 0, limited = 0, grants = 0, revs = 0, found;
	json_t *l;

	for (i = 0; i < LIST_N; i++) {
		key_new(&k[i]);
		post_key(&r, HB, B.token, k[i].text, "many");
		keys += r.status == 201;
		limited += r.status == 409 && r.json != NULL &&
			   strcmp(js(json_object_get(r.json, "error"), "code"), "limit-reached") == 0;
		chain1(&ch, &KB, HB, k[i].pk, now_s() + 3600);
		post_grant(&r, HB, B.token, ch.b64, "many");
		grants += r.status == 201;
		chain_free(&ch);
		env = revocation(&KB, HB, now_s(), PT_REVOKE_KEY, k[i].pk, PT_PK_LEN);
		post_rev(&r, HB, B.token, env);
		revs += r.status == 201;
		free(env);
	}
	/* B's home had one key: 63 more fit, the rest get 409 limit-reached. */
	CHECK(keys == 63 && limited == LIST_N - 63 && grants == LIST_N && revs == LIST_N,
	      "B's home: 63 more owner keys (then %d x 409 limit-reached), %d grants and revocations "
	      "(%d, %d, %d, %d)", LIST_N - 63, LIST_N, keys, limited, grants, revs);
	req(&r, "GET", pathf("/v1/homes/%s/owner-keys", HB), B.token, NULL);
	l = json_object_get(r.json, "keys");
	for (i = 0, found = 0; i < LIST_N; i++)
		found += find_by(l, "public_key", k[i].text) != NULL;
	CHECK(r.status == 200 && found == keys && json_array_size(l) == 64,
	      "GET owner-keys lists all 64 keys (listed %zu)", json_array_size(l));
	req(&r, "GET", pathf("/v1/homes/%s/grants", HB), B.token, NULL);
	l = json_object_get(r.json, "grants");
	for (i = 0, found = 0; i < LIST_N; i++)
		found += find_by(l, "holder", k[i].text) != NULL;
	CHECK(r.status == 200 && found == LIST_N && json_array_size(l) == LIST_N,
	      "GET grants lists all %d grants (listed %zu)", LIST_N, json_array_size(l));
	req(&r, "GET", pathf("/v1/homes/%s/revocations?since=0", HB), B.token, NULL);
	l = json_object_get(r.json, "revocations");
	for (i = 0, found = 0; i < LIST_N; i++)
		found += find_by(l, "target", k[i].text) != NULL;
	CHECK(r.status == 200 && found == LIST_N && json_array_size(l) == LIST_N,
	      "GET revocations?since=0 lists all %d revocations (listed %zu, version %lld)", LIST_N,
	      json_array_size(l), ji(r.json, "version"));
	for (i = 0; i < LIST_N; i++)
		key_free(&k[i]);
	resp_free(&r);
}

/* ---- 2f. sign out ---- */

static void
test_sessions(void)
{
	struct resp r = {0};
	char t1[128], t2[128], t3[128];

	signin(&g_cl, &r, &F);
	fmt(t1, sizeof(t1), "%s", F.token);
	signin(&g_cl, &r, &F);
	fmt(t2, sizeof(t2), "%s", F.token);
	CHECK(t1[0] != '\0' && t2[0] != '\0' && strcmp(t1, t2) != 0, "F signed in twice: two tokens");
	req(&r, "DELETE", "/v1/sessions/current", t1, NULL);
	expect_status(&r, 204, "DELETE /v1/sessions/current");
	CHECK(r.len == 0, "204 has no body");
	req(&r, "GET", "/v1/me", t1, NULL);
	expect_err(&r, 401, "unauthenticated", NULL, "the signed-out token");
	req(&r, "GET", "/v1/me", t2, NULL);
	CHECK(r.status == 200 && ji(r.json, "id") == F.id, "the other session still works (got %ld)", r.status);
	signin(&g_cl, &r, &F);
	fmt(t3, sizeof(t3), "%s", F.token);
	req(&r, "DELETE", "/v1/sessions", t2, NULL);
	expect_status(&r, 204, "DELETE /v1/sessions (everywhere)");
	req(&r, "GET", "/v1/me", t2, NULL);
	expect_err(&r, 401, "unauthenticated", NULL, "sign out everywhere: the token used");
	req(&r, "GET", "/v1/me", t3, NULL);
	expect_err(&r, 401, "unauthenticated", NULL, "sign out everywhere: the account's other token");
	req(&r, "DELETE", "/v1/sessions/current", t3, NULL);
	expect_err(&r, 401, "unauthenticated", NULL, "sign out with a dead token");
	req(&r, "GET", "/v1/me", A.token, NULL);
	CHECK(r.status == 200, "other accounts' sessions live on (A: %ld)", r.status);
	resp_free(&r);
}

/* ---- 2g. delete a home ---- */

static void
test_delete_home(void)
{
	struct resp r = {0};
	struct chain ch;

	chain1(&ch, &K1, H2, courier.pk, now_s() + 3600);
	post_grant(&r, H2, A.token, ch.b64, "cabin");
	expect_status(&r, 201, "a grant for Cabin");
	chain_free(&ch);
	req(&r, "GET", pathf("/v1/homes/%s/grants", H2), A.token, NULL);
	CHECK(json_array_size(json_object_get(r.json, "grants")) == 1, "Cabin has its grant");
	req(&r, "DELETE", pathf("/v1/homes/%s", H2), A.token, NULL);
	expect_status(&r, 204, "DELETE /v1/homes/{id}");
	req(&r, "GET", pathf("/v1/homes/%s", H2), A.token, NULL);
	expect_err(&r, 404, "not-found", NULL, "GET the deleted home");
	req(&r, "GET", pathf("/v1/homes/%s/grants", H2), A.token, NULL);
	expect_err(&r, 404, "not-found", NULL, "GET the deleted home's grants");
	req(&r, "GET", pathf("/v1/homes/%s/owner-keys", H2), A.token, NULL);
	expect_err(&r, 404, "not-found", NULL, "GET the deleted home's owner keys");
	req(&r, "GET", pathf("/v1/homes/%s/revocations", H2), C.token, NULL);
	expect_err(&r, 404, "not-found", NULL, "GET the deleted home's revocations (its co-owner C)");
	req(&r, "DELETE", pathf("/v1/homes/%s", H2), A.token, NULL);
	expect_err(&r, 404, "not-found", NULL, "DELETE the deleted home again");
	req(&r, "GET", "/v1/homes", A.token, NULL);
	CHECK(r.status == 200 && json_array_size(json_object_get(r.json, "homes")) == 1 &&
		      find_by(json_object_get(r.json, "homes"), "id", H1) != NULL,
	      "A's list: only the first home left");
	req(&r, "GET", "/v1/homes", C.token, NULL);
	CHECK(r.status == 200 && json_array_size(json_object_get(r.json, "homes")) == 1 &&
		      find_by(json_object_get(r.json, "homes"), "id", H2) == NULL,
	      "the membership went with the home (C lists 1 home)");
	req(&r, "GET", pathf("/v1/homes/%s/grants", H1), A.token, NULL);
	CHECK(r.status == 200 && json_array_size(json_object_get(r.json, "grants")) == 2,
	      "the other home's grants are untouched");
	resp_free(&r);
}

/* ---- 6. brute force ---- */

static void
test_brute_force(void)
{
	struct resp r = {0};
	int i, ok = 0;
	long ra;

	struct timespec t5s, t5e, t6;

	for (i = 0; i < 5; i++) {
		clock_gettime(CLOCK_REALTIME, &t5s);
		signin_pw(&g_cl, &r, E.email, "wrong password, again");
		ok += r.status == 401 && strcmp(ecode(&r), "bad-credentials") == 0;
	}
	clock_gettime(CLOCK_REALTIME, &t5e);
	CHECK(ok == 5, "5 wrong passwords for E: 5 x 401 bad-credentials (got %d)", ok);
	clock_gettime(CLOCK_REALTIME, &t6);
	signin(&g_cl, &r, &E);
	if (!expect_err(&r, 429, "rate-limited", NULL, "6th attempt, with the right password, inside the delay"))
		printf("# 5th failure sent at %lld.%03ld, answered at %lld.%03ld; 6th attempt sent at %lld.%03ld\n",
		       (long long)t5s.tv_sec, t5s.tv_nsec / 1000000, (long long)t5e.tv_sec,
		       t5e.tv_nsec / 1000000, (long long)t6.tv_sec, t6.tv_nsec / 1000000);
	ra = strtol(r.retry_after, NULL, 10);
	CHECK(ra >= 1, "429 carries Retry-After >= 1 (got '%s')", r.retry_after);
	signin_pw(&g_cl, &r, E.email, "wrong password, again");
	expect_err(&r, 429, "rate-limited", NULL, "a wrong password inside the delay is not checked either");
	if (ra >= 1 && ra <= 2) {
		long left = strtol(r.retry_after, NULL, 10);

		sleep_ms((left >= 1 && left <= 2 ? left : ra) * 1000 + 250);
		signin(&g_cl, &r, &E);
		expect_status(&r, 201, "after Retry-After seconds the right password works");
	} else {
		CHECK(false, "Retry-After is %ld s: the first delay should be 1 s (not waited)", ra);
	}
	signin(&g_cl, &r, &A);
	expect_status(&r, 201, "another account signs in meanwhile (A)");
	resp_free(&r);
}

/* ---- 7. 64 concurrent clients ---- */

struct conc {
	pthread_t th;
	int idx;
	struct acct a;
	char base[64];
	char home[40];
	pthread_barrier_t *barrier;
	long signup_status, signin_status, home_status;
	int gets_ok, keys_ok, list_ok, me_ok;
	long connects;
	char err[256];
};

static void
conc_err(struct conc *w, const char *what, const struct resp *r)
{
	if (w->err[0] == '\0')
		snprintf(w->err, sizeof(w->err), "client %d: %s: %ld %.120s", w->idx, what, r->status,
			 r->cc != CURLE_OK ? curl_easy_strerror(r->cc) : (r->body != NULL ? r->body : ""));
}

static void *
conc_signup(void *arg)
{
	struct conc *w = arg;
	struct client c;
	struct resp r = {0};

	client_init(&c, w->base);
	w->signup_status = signup_as(&c, &r, &w->a, NULL, NULL);
	if (w->signup_status != 201)
		conc_err(w, "sign up", &r);
	resp_free(&r);
	client_free(&c);
	return NULL;
}

static void *
conc_run(void *arg)
{
	struct conc *w = arg;
	struct client c;
	struct resp r = {0};
	struct key keys[CONC_KEYS];
	char path[128], name[32];
	int i, nk = 0;

	memset(keys, 0, sizeof(keys));
	client_init(&c, w->base);
	w->signin_status = signin(&c, &r, &w->a);
	if (w->signin_status != 201)
		conc_err(w, "sign in", &r);
	pthread_barrier_wait(w->barrier);
	if (w->signin_status != 201)
		goto out;
	creq(&c, &r, "GET", "/v1/me", w->a.token, NULL);
	w->me_ok = r.status == 200 && strcmp(js(r.json, "email"), w->a.email) == 0 && ji(r.json, "id") == w->a.id;
	if (!w->me_ok)
		conc_err(w, "GET /v1/me", &r);
	snprintf(name, sizeof(name), "conc-%02d", w->idx);
	cjreq(&c, &r, "POST", "/v1/homes", w->a.token, json_pack("{s:s, s:s}", "name", name, "tz", "Europe/Berlin"));
	w->home_status = r.status;
	if (r.status != 201 || !is_home_id(js(r.json, "id"))) {
		conc_err(w, "POST /v1/homes", &r);
		goto out;
	}
	snprintf(w->home, sizeof(w->home), "%s", js(r.json, "id"));
	snprintf(path, sizeof(path), "/v1/homes/%s/owner-keys", w->home);
	for (i = 0; i < CONC_GETS; i++) {
		json_t *hs, *h;

		if (i % 16 == 5 && nk < CONC_KEYS) {
			key_new(&keys[nk]);
			cjreq(&c, &r, "POST", path, w->a.token,
			      json_pack("{s:s, s:s}", "public_key", keys[nk].text, "label", name));
			if (r.status == 201 && strcmp(js(r.json, "public_key"), keys[nk].text) == 0)
				w->keys_ok++;
			else
				conc_err(w, "POST owner-keys", &r);
			w->connects += r.connects;
			nk++;
		}
		creq(&c, &r, "GET", "/v1/homes", w->a.token, NULL);
		hs = json_object_get(r.json, "homes");
		h = json_array_get(hs, 0);
		if (r.status == 200 && json_array_size(hs) == 1 && strcmp(js(h, "id"), w->home) == 0 &&
		    strcmp(js(h, "name"), name) == 0 && strcmp(js(h, "role"), "owner") == 0)
			w->gets_ok++;
		else
			conc_err(w, "GET /v1/homes", &r);
		w->connects += r.connects;
	}
	creq(&c, &r, "GET", path, w->a.token, NULL);
	{
		json_t *ks = json_object_get(r.json, "keys");
		int found = 0;

		for (i = 0; i < nk; i++)
			found += find_by(ks, "public_key", keys[i].text) != NULL;
		w->list_ok = r.status == 200 && json_array_size(ks) == (size_t)nk && found == nk;
		if (!w->list_ok)
			conc_err(w, "GET owner-keys", &r);
	}
out:
	for (i = 0; i < CONC_KEYS; i++)
		if (keys[i].sec != NULL)
			key_free(&keys[i]);
	resp_free(&r);
	client_free(&c);
	return NULL;
}

static void
test_concurrency(void)
{
	struct conc *w = calloc(N_CONC, sizeof(*w));
	pthread_barrier_t barrier;
	int i, j, signed_up = 0, signed_in = 0, homes = 0, gets = 0, keys = 0, lists = 0, mes = 0;
	long connects = 0;
	double t0;

	if (w == NULL || pthread_barrier_init(&barrier, NULL, N_CONC) != 0)
		bail("cannot set up the concurrency test");
	for (i = 0; i < N_CONC; i++) {
		char email[64], name[32];

		fmt(email, sizeof(email), "client%02d@conc.example", i);
		fmt(name, sizeof(name), "Client %02d", i);
		acct_set(&w[i].a, email, name);
		w[i].idx = i;
		w[i].barrier = &barrier;
		fmt(w[i].base, sizeof(w[i].base), "%s", g_cl.base);
	}
	/* Sign up in waves of 8 (Argon2id is ~0.1 s and 64 MiB each). */
	t0 = mono();
	for (i = 0; i < N_CONC; i += 8) {
		for (j = i; j < i + 8; j++)
			if (pthread_create(&w[j].th, NULL, conc_signup, &w[j]) != 0)
				bail("pthread_create failed");
		for (j = i; j < i + 8; j++)
			pthread_join(w[j].th, NULL);
	}
	for (i = 0; i < N_CONC; i++)
		signed_up += w[i].signup_status == 201;
	printf("# 64 sign-ups: %.2f s\n", mono() - t0);
	CHECK(signed_up == N_CONC, "64 accounts signed up (%d)", signed_up);

	t0 = mono();
	for (i = 0; i < N_CONC; i++)
		if (pthread_create(&w[i].th, NULL, conc_run, &w[i]) != 0)
			bail("pthread_create failed");
	for (i = 0; i < N_CONC; i++)
		pthread_join(w[i].th, NULL);
	printf("# 64 clients: %.2f s\n", mono() - t0);
	for (i = 0; i < N_CONC; i++) {
		signed_in += w[i].signin_status == 201;
		homes += w[i].home_status == 201;
		gets += w[i].gets_ok;
		keys += w[i].keys_ok;
		lists += w[i].list_ok;
		mes += w[i].me_ok;
		connects += w[i].connects;
		if (w[i].err[0] != '\0')
			printf("# %s\n", w[i].err);
	}
	for (i = 0; i < N_CONC; i++)
		for (j = i + 1; j < N_CONC; j++)
			if (w[i].home[0] != '\0' && strcmp(w[i].home, w[j].home) == 0)
				homes = -1;
	printf("# new connections over %d requests: %ld\n", N_CONC * (CONC_GETS + CONC_KEYS), connects);
	CHECK(signed_in == N_CONC, "64 concurrent clients: all signed in (%d)", signed_in);
	CHECK(mes == N_CONC, "64 concurrent clients: GET /v1/me is each client's own account (%d)", mes);
	CHECK(homes == N_CONC, "64 concurrent clients: each created its own home, ids distinct (%d)", homes);
	CHECK(gets == N_CONC * CONC_GETS,
	      "64 concurrent clients: %d GET /v1/homes, each 200 with exactly the client's own home (%d ok)",
	      N_CONC * CONC_GETS, gets);
	CHECK(keys == N_CONC * CONC_KEYS, "64 concurrent clients: %d owner keys uploaded, 201 each (%d ok)",
	      N_CONC * CONC_KEYS, keys);
	CHECK(lists == N_CONC, "64 concurrent clients: each home lists exactly its own keys (%d)", lists);
	pthread_barrier_destroy(&barrier);
	free(w);
}

/* ---- 9. SIGTERM with a request in flight ---- */

struct inflight {
	struct client c;
	atomic_int sent;
	long status;
	CURLcode cc;
};

static int
inflight_xfer(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
	struct inflight *f = arg;

	(void)dltotal;
	(void)dlnow;
	if (ultotal > 0 && ulnow >= ultotal)
		atomic_store(&f->sent, 1);
	return 0;
}

static void *
inflight_run(void *arg)
{
	struct inflight *f = arg;
	struct resp r = {0};

	signin_pw(&f->c, &r, A.email, A.pw);
	f->status = r.status;
	f->cc = r.cc;
	resp_free(&r);
	return NULL;
}

static void
test_sigterm(struct server *s)
{
	struct inflight f;
	pthread_t th;
	int i, st;
	bool exited;

	memset(&f, 0, sizeof(f));
	client_init(&f.c, s->base);
	f.c.xfer = inflight_xfer;
	f.c.xfer_arg = &f;
	if (pthread_create(&th, NULL, inflight_run, &f) != 0)
		bail("pthread_create failed");
	for (i = 0; i < 500 && !atomic_load(&f.sent); i++)
		sleep_ms(2);
	sleep_ms(30);	/* the server is now hashing (Argon2id, ~0.1 s) */
	exited = server_stop(s, SIGTERM, 10000, &st);
	pthread_join(th, NULL);
	client_free(&f.c);
	CHECK(f.status == 201, "SIGTERM: the sign-in in flight still gets its answer (201; got %ld%s%s)",
	      f.status, f.cc != CURLE_OK ? ", curl: " : "", f.cc != CURLE_OK ? curl_easy_strerror(f.cc) : "");
	CHECK(exited && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      "SIGTERM: porterd exits with status 0 within 10 s (%s, status 0x%x)",
	      exited ? "exited" : "killed after timeout", (unsigned)st);
}

/* ---- 8. crash safety ---- */

struct crash_ack {
	char id[40], name[40];
};

struct crash {
	pthread_mutex_t mu;
	struct crash_ack *acked;
	size_t n_acked, cap;
	atomic_int stop, killed, next;
	atomic_int other, errors_before_kill, attempts;
	char base[64], token[128];
	char other_msg[256];
};

/* Create homes as fast as possible; record every acknowledged one. */
static void *
crash_run(void *arg)
{
	struct crash *cs = arg;
	struct client c;
	struct resp r = {0};

	client_init(&c, cs->base);
	while (!atomic_load(&cs->stop)) {
		char name[40];

		snprintf(name, sizeof(name), "crash %d", atomic_fetch_add(&cs->next, 1));
		atomic_fetch_add(&cs->attempts, 1);
		cjreq(&c, &r, "POST", "/v1/homes", cs->token, json_pack("{s:s, s:s}", "name", name, "tz", "UTC"));
		if (r.cc != CURLE_OK) {
			if (!atomic_load(&cs->killed))
				atomic_fetch_add(&cs->errors_before_kill, 1);
			break;
		}
		pthread_mutex_lock(&cs->mu);
		if (r.status == 201 && is_home_id(js(r.json, "id")) && strcmp(js(r.json, "name"), name) == 0) {
			if (cs->n_acked == cs->cap) {
				size_t cap = cs->cap != 0 ? cs->cap * 2 : 1024;
				void *nb = realloc(cs->acked, cap * sizeof(cs->acked[0]));

				if (nb == NULL)
					bail("out of memory");
				cs->acked = nb;
				cs->cap = cap;
			}
			memcpy(cs->acked[cs->n_acked].id, js(r.json, "id"), 19);
			memcpy(cs->acked[cs->n_acked].name, name, sizeof(name));
			cs->n_acked++;
		} else {
			atomic_fetch_add(&cs->other, 1);
			if (cs->other_msg[0] == '\0')
				snprintf(cs->other_msg, sizeof(cs->other_msg), "%ld %.200s", r.status,
					 r.body != NULL ? r.body : "");
		}
		pthread_mutex_unlock(&cs->mu);
	}
	resp_free(&r);
	client_free(&c);
	return NULL;
}

static void
test_crash(void)
{
	struct crash cs;
	struct acct G;
	struct resp r = {0};
	struct client c;
	pthread_t th[CRASH_THREADS];
	size_t i, missing = 0;
	int st, waited;

	memset(&cs, 0, sizeof(cs));
	pthread_mutex_init(&cs.mu, NULL);
	server_init(&g_s2, "s2");
	client_init(&c, "");
	if (!CHECK(server_start(&g_s2), "crash: a second porterd starts on a fresh database")) {
		log_tail(&g_s2, 20);
		goto out;
	}
	fmt(c.base, sizeof(c.base), "%s", g_s2.base);
	acct_set(&G, "gus@example.org", "Gus");
	signup_as(&c, &r, &G, NULL, NULL);
	signin(&c, &r, &G);
	if (!CHECK(r.status == 201 && G.token[0] != '\0', "crash: account and session ready")) {
		body_diag(&r);
		goto out;
	}
	fmt(cs.base, sizeof(cs.base), "%s", g_s2.base);
	fmt(cs.token, sizeof(cs.token), "%s", G.token);
	for (i = 0; i < CRASH_THREADS; i++)
		if (pthread_create(&th[i], NULL, crash_run, &cs) != 0)
			bail("pthread_create failed");
	sleep_ms(1000);
	for (waited = 0; waited < 50; waited++) {
		size_t n;

		pthread_mutex_lock(&cs.mu);
		n = cs.n_acked;
		pthread_mutex_unlock(&cs.mu);
		if (n >= 20)
			break;
		sleep_ms(100);
	}
	atomic_store(&cs.killed, 1);
	server_stop(&g_s2, SIGKILL, 5000, &st);
	atomic_store(&cs.stop, 1);
	for (i = 0; i < CRASH_THREADS; i++)
		pthread_join(th[i], NULL);
	printf("# crash: %d homes attempted, %zu acknowledged before kill -9\n", atomic_load(&cs.attempts),
	       cs.n_acked);
	CHECK(cs.n_acked >= 20, "crash: writes were acknowledged before the kill (%zu)", cs.n_acked);
	CHECK(atomic_load(&cs.other) == 0 && atomic_load(&cs.errors_before_kill) == 0,
	      "crash: every answer before the kill was 201 (%d other answers, %d transport errors%s%s)",
	      atomic_load(&cs.other), atomic_load(&cs.errors_before_kill), cs.other_msg[0] != '\0' ? ": " : "",
	      cs.other_msg);

	if (!CHECK(server_start(&g_s2), "crash: porterd restarts on the same database after kill -9")) {
		log_tail(&g_s2, 20);
		goto out;
	}
	fmt(c.base, sizeof(c.base), "%s", g_s2.base);
	signin(&c, &r, &G);
	expect_status(&r, 201, "crash: sign in after the restart");
	for (i = 0; i < cs.n_acked; i++) {
		creq(&c, &r, "GET", pathf("/v1/homes/%s", cs.acked[i].id), G.token, NULL);
		if (r.status != 200 || strcmp(js(r.json, "name"), cs.acked[i].name) != 0) {
			if (missing++ == 0)
				body_diag(&r);
		}
	}
	CHECK(missing == 0,
	      "crash: every acknowledged home is stored after kill -9 (%zu acknowledged, %zu missing)",
	      cs.n_acked, missing);
	{
		bool exited = server_stop(&g_s2, SIGTERM, 10000, &st);

		CHECK(exited && WIFEXITED(st) && WEXITSTATUS(st) == 0,
		      "crash: the restarted porterd stops cleanly on SIGTERM (status 0x%x)", (unsigned)st);
	}
	audit_verify(g_s2.db, "after kill -9 in the middle of writes");
out:
	resp_free(&r);
	client_free(&c);
	free(cs.acked);
	pthread_mutex_destroy(&cs.mu);
	if (g_s2.pid > 0)
		server_stop(&g_s2, SIGKILL, 5000, &st);
}

/* ---- main ---- */

/* ---- regressions from the security review, on a fresh porterd ---- */

struct race {
	pthread_t th;
	struct client c;
	struct resp r;
	pthread_barrier_t *b;
	const char *email;
};

static void *
race_run(void *p)
{
	struct race *x = p;

	pthread_barrier_wait(x->b);
	signin_pw(&x->c, &x->r, x->email, "wrong password, racing");
	return NULL;
}

static void
test_review_regressions(void)
{
	struct client c;
	struct resp r = {0};
	struct acct o, k, g;
	struct race rc[8];
	pthread_barrier_t b;
	char home[40];
	int i, n401 = 0, n429 = 0, st;

	server_init(&g_s3, "s3");
	if (!CHECK(server_start(&g_s3), "review: a third porterd starts (fresh sign-in counters)")) {
		log_tail(&g_s3, 20);
		return;
	}
	client_init(&c, g_s3.base);

	/* Concurrent sign-ins once a delay has run out: only one may be checked. */
	acct_set(&g, "racer@example.org", "Racer");
	signup_as(&c, &r, &g, NULL, NULL);
	for (i = 0; i < 5; i++)
		signin_pw(&c, &r, g.email, "wrong password, again");
	sleep_ms(1300);	/* the first delay (1 s) has run out */
	pthread_barrier_init(&b, NULL, 8);
	for (i = 0; i < 8; i++) {
		memset(&rc[i].r, 0, sizeof(rc[i].r));
		client_init(&rc[i].c, g_s3.base);
		rc[i].b = &b;
		rc[i].email = g.email;
		pthread_create(&rc[i].th, NULL, race_run, &rc[i]);
	}
	for (i = 0; i < 8; i++) {
		pthread_join(rc[i].th, NULL);
		n401 += rc[i].r.status == 401;
		n429 += rc[i].r.status == 429;
		resp_free(&rc[i].r);
		client_free(&rc[i].c);
	}
	pthread_barrier_destroy(&b);
	CHECK(n401 == 1 && n429 == 7,
	      "review: 8 wrong sign-ins at once after the delay: 1 checked, 7 x 429 (got %d x 401, "
	      "%d x 429)", n401, n429);

	/* A carrier-admin's account is never made a home owner. */
	acct_set(&o, "review-owner@example.org", "Review Owner");
	acct_set(&k, "review-carrier@example.org", "Review Carrier");
	signup_as(&c, &r, &o, NULL, NULL);
	signup_as(&c, &r, &k, NULL, "carrier-admin");
	signin(&c, &r, &o);
	cjreq(&c, &r, "POST", "/v1/homes", o.token,
	      json_pack("{s:s,s:s}", "name", "Review", "tz", "Europe/Berlin"));
	fmt(home, sizeof(home), "%s", r.json != NULL ? js(r.json, "id") : "");
	cjreq(&c, &r, "POST", pathf("/v1/homes/%s/members", home), o.token,
	      json_pack("{s:s,s:s}", "email", k.email, "role", "owner"));
	expect_err(&r, 403, "forbidden", "role", "review: a carrier-admin made home owner");
	cjreq(&c, &r, "POST", pathf("/v1/homes/%s/members", home), o.token,
	      json_pack("{s:s,s:s}", "email", k.email, "role", "member"));
	expect_status(&r, 201, "review: the same carrier-admin as a member");

	resp_free(&r);
	client_free(&c);
	server_stop(&g_s3, SIGTERM, 5000, &st);
}

int
main(int argc, char **argv)
{
	struct sigaction sa;
	double t0 = mono();

	if (argc != 3) {
		printf("Bail out! usage: test_api PORTERD PORTER\n");
		return 1;
	}
	g_porterd = argv[1];
	g_porter = argv[2];
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	alarm(400);
	if (pt_crypto_init() != PT_OK)
		bail("pt_crypto_init failed");
	ops = pt_crypto_sodium();
	json_object_seed(0);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		bail("curl_global_init failed");
	fmt(g_root, sizeof(g_root), "%s", "/tmp/porter-api-XXXXXX");
	if (mkdtemp(g_root) == NULL) {
		g_root[0] = '\0';
		bail("mkdtemp failed");
	}
	atexit(cleanup);
	printf("# porterd %s, porter %s, in %s\n", g_porterd, g_porter, g_root);
	{
		const char *store = getenv("PORTER_TEST_STORE");

		if (store != NULL && strcmp(store, "pg") == 0) {
			g_pg = true;
			pg_start();
		} else if (store != NULL && store[0] != '\0' && strcmp(store, "sqlite") != 0) {
			bail("PORTER_TEST_STORE is sqlite (the default) or pg");
		}
	}

	server_init(&g_s1, "s1");
	if (!T_OK(server_start(&g_s1), "porterd starts and writes its ready file")) {
		log_tail(&g_s1, 30);
		bail("porterd did not start");
	}
	printf("# porterd listening on port %d\n", g_s1.port);
	client_init(&g_cl, g_s1.base);
	key_new(&K1);
	key_new(&K2);
	key_new(&K3);
	key_new(&KB);
	key_new(&KX);
	key_new(&carrier);
	key_new(&courier);

	test_health();
	test_accounts();
	test_homes();
	test_owner_keys();
	test_grants();
	test_revocations();
	test_refusals();
	test_cross_tenant();
	test_lists_complete();
	test_sessions();
	test_delete_home();
	test_brute_force();
	printf("# %.1f s so far\n", mono() - t0);
	test_concurrency();
	printf("# %.1f s so far\n", mono() - t0);

	CHECK(atomic_load(&g_noreqid) == 0, "every response carried X-Request-Id (%ld of %ld without)",
	      atomic_load(&g_noreqid), atomic_load(&g_nresp));
	CHECK(atomic_load(&g_badshape) == 0,
	      "every error response is {\"error\": {\"code\", \"message\", ...}} (%ld not)",
	      atomic_load(&g_badshape));

	test_sigterm(&g_s1);
	audit_verify(g_s1.db, "after the whole suite");
	test_crash();
	test_review_regressions();
	printf("# %.1f s in all\n", mono() - t0);

	client_free(&g_cl);
	key_free(&K1);
	key_free(&K2);
	key_free(&K3);
	key_free(&KB);
	key_free(&KX);
	key_free(&carrier);
	key_free(&courier);
	chain_free(&G1);
	chain_free(&G2);
	free(R1);
	free(R2);
	cleanup();
	curl_global_cleanup();
	return t_done();
}
