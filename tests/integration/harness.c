/*
 * tests/integration/harness.c: the harness test_api and test_deliv share
 * (see harness.h): porterd processes, PostgreSQL, HTTP, JSON, accounts,
 * keys, and the TAP count.
 */
#include "harness.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "porter/store.h"
#include "porter/text.h"
/* Here T_OK is t.h's own: this file holds the one TAP count. */
#undef T_OK
#include "t.h"

#define N_SERVERS 4		/* porterd processes one test may make */

const char *g_porterd, *g_porter;
const struct pt_crypto_ops *ops;
char g_root[64];
bool g_pg;
static char g_pgdir[64];	/* the cluster's directory (pg.sh start), while it runs */
static char g_pgsh[PATH_MAX];	/* scripts/pg.sh */

static struct server *g_servers[N_SERVERS];	/* for cleanup() */
static size_t g_nservers;

/* ---- TAP ---- */

int
harness_ok(int cond, const char *file, int line, const char *f, ...)
{
	va_list ap;
	char *msg;
	int n;

	va_start(ap, f);
	n = vsnprintf(NULL, 0, f, ap);
	va_end(ap);
	if (n < 0 || (msg = malloc((size_t)n + 1)) == NULL)
		bail("cannot format a check's description");
	va_start(ap, f);
	vsnprintf(msg, (size_t)n + 1, f, ap);
	va_end(ap);
	cond = t_ok_(cond, file, line, "%s", msg);
	free(msg);
	return cond;
}

/* ---- small helpers ---- */

static void cleanup(void);

void
bail(const char *why)
{
	printf("Bail out! %s\n", why);
	fflush(stdout);
	cleanup();
	exit(1);
}

__attribute__((format(printf, 3, 4))) void
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
__attribute__((format(printf, 1, 2))) const char *
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

int64_t
now_s(void)
{
	struct timespec ts;

	/* Not time(): glibc reads the coarse clock for it, up to a tick
	 * behind the CLOCK_REALTIME porterd reads, so a check that porterd
	 * acted at second N could still read N - 1 here (it did, in CI). */
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec;
}

double
mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void
sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

bool
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

bool
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

char *
b64(const uint8_t *p, size_t n)
{
	size_t cap = pt_b64_len(n) + 1;
	char *out = malloc(cap);

	if (out == NULL || pt_b64_encode(out, cap, p, n) != PT_OK)
		bail("base64url encoding failed");
	return out;
}

char *
xstrdup(const char *s)
{
	char *d = strdup(s);

	if (d == NULL)
		bail("out of memory");
	return d;
}

/* ---- porterd processes ---- */

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
void
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

int
harness_check(int ok)
{
	if (!ok)
		fail_diag();
	return ok;
}

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
pg_start(const char *name)
{
	const char *src = getenv("PORTER_SRC");
	char uri[256];

	fmt(g_pgsh, sizeof(g_pgsh), "%s/scripts/pg.sh", src != NULL && src[0] != '\0' ? src : ".");
	fmt(g_pgdir, sizeof(g_pgdir), "/tmp/porter-%s-pg-XXXXXX", name);
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

void
server_init(struct server *s, const char *name, bool own_key, const char *extra)
{
	char dbdir[192];
	FILE *f;
	size_t i;

	for (i = 0; i < g_nservers && g_servers[i] != s; i++)
		;
	if (i == g_nservers) {
		if (g_nservers == N_SERVERS)
			bail("too many porterd servers for the harness");
		g_servers[g_nservers++] = s;
	}
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
	if (own_key || g_pg)	/* on PostgreSQL not the URI default under ./var: each porterd its own */
		fprintf(f, "sealing_key = %s/sealing.key\n", s->dir);
	if (extra != NULL)
		fputs(extra, f);
	if (fclose(f) != 0)
		bail("cannot write the config");
}

/* Start porterd and wait (10 s at most) for its ready file. */
bool
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
bool
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
	size_t i;
	int st;

	if (done)
		return;
	done = true;
	for (i = 0; i < g_nservers; i++)
		if (g_servers[i]->pid > 0)
			server_stop(g_servers[i], SIGKILL, 5000, &st);
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
int
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

void
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
void
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

#define RESP_CAP (1u << 20)	/* responses are capped at 1 MiB */

atomic_long g_nresp, g_noreqid, g_badshape;
struct client g_cl;
static void alive_or_bail(const struct resp *r, const char *method, const char *path);

void
resp_free(struct resp *r)
{
	free(r->body);
	json_decref(r->json);
	memset(r, 0, sizeof(*r));
}

void
client_init(struct client *c, const char *base)
{
	memset(c, 0, sizeof(*c));
	c->h = curl_easy_init();
	if (c->h == NULL)
		bail("curl_easy_init failed");
	fmt(c->base, sizeof(c->base), "%s", base);
}

void
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

const char *
js(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s != NULL ? s : "";
}

long long
ji(const json_t *o, const char *k)
{
	const json_t *v = json_object_get(o, k);

	return json_is_integer(v) ? (long long)json_integer_value(v) : LLONG_MIN;
}

const char *
ecode(const struct resp *r)
{
	return js(json_object_get(r->json, "error"), "code");
}

const char *
efield(const struct resp *r)
{
	return js(json_object_get(r->json, "error"), "field");
}

json_t *
find_by(const json_t *arr, const char *key, const char *value)
{
	size_t i;
	json_t *v;

	json_array_foreach(arr, i, v)
		if (strcmp(js(v, key), value) == 0)
			return v;
	return NULL;
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
void
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
	/* 64 concurrent sign-ins queue behind porterd's threads at one
	 * Argon2id each (~0.1 s idle): on a shared machine with a load of 15
	 * the last waited more than 30 s. A hang still fails, after 120 s. */
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 120L);
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

void
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
void
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

void
hreq(struct resp *r, const char *method, const char *path, const char *authz, const char *ctype,
     const char *body, size_t body_len, const char *extra)
{
	http(&g_cl, r, method, path, authz, ctype, body, body_len, extra);
	alive_or_bail(r, method, path);
}

void
req(struct resp *r, const char *method, const char *path, const char *token, const char *body)
{
	creq(&g_cl, r, method, path, token, body);
	alive_or_bail(r, method, path);
}

void
jreq(struct resp *r, const char *method, const char *path, const char *token, json_t *body)
{
	cjreq(&g_cl, r, method, path, token, body);
	alive_or_bail(r, method, path);
}

void
body_diag(const struct resp *r)
{
	if (r->cc != CURLE_OK)
		printf("# curl: %s\n", curl_easy_strerror(r->cc));
	else
		printf("# response %ld: %.300s\n", r->status, r->body != NULL ? r->body : "(empty)");
}

int
expect_status(const struct resp *r, long status, const char *what)
{
	int ok = CHECK(r->status == status, "%s -> %ld (got %ld)", what, status, r->status);

	if (!ok)
		body_diag(r);
	return ok;
}

/* field: NULL (not checked), exact, or "~part" (the field must contain part). */
int
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

void
acct_set(struct acct *a, const char *email, const char *name)
{
	memset(a, 0, sizeof(*a));
	fmt(a->email, sizeof(a->email), "%s", email);
	fmt(a->name, sizeof(a->name), "%s", name);
	fmt(a->pw, sizeof(a->pw), "pw of %s: correct horse battery", name);
}

long
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

long
signin_pw(struct client *c, struct resp *r, const char *email, const char *pw)
{
	cjreq(c, r, "POST", "/v1/sessions", NULL,
	      json_pack("{s:s, s:s}", "email", email, "password", pw));
	return r->status;
}

long
signin(struct client *c, struct resp *r, struct acct *a)
{
	if (signin_pw(c, r, a->email, a->pw) == 201 && strlen(js(r->json, "token")) < sizeof(a->token))
		fmt(a->token, sizeof(a->token), "%s", js(r->json, "token"));
	return r->status;
}

/* ---- keys and chains ---- */

void
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

void
key_free(struct key *k)
{
	pt_secret_free(k->sec);
	k->sec = NULL;
}


void
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

void
chain_free(struct chain *c)
{
	free(c->b64);
	c->b64 = NULL;
}

/* ---- the test's start and end ---- */

void
harness_init(int argc, char **argv, const char *name, unsigned watchdog_s)
{
	struct sigaction sa;
	const char *store = getenv("PORTER_TEST_STORE");

	if (argc != 3) {
		printf("Bail out! usage: test_%s PORTERD PORTER\n", name);
		exit(1);
	}
	g_porterd = argv[1];
	g_porter = argv[2];
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	alarm(watchdog_s);
	if (pt_crypto_init() != PT_OK)
		bail("pt_crypto_init failed");
	ops = pt_crypto_sodium();
	json_object_seed(0);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		bail("curl_global_init failed");
	fmt(g_root, sizeof(g_root), "/tmp/porter-%s-XXXXXX", name);
	if (mkdtemp(g_root) == NULL) {
		g_root[0] = '\0';
		bail("mkdtemp failed");
	}
	atexit(cleanup);
	printf("# porterd %s, porter %s, in %s\n", g_porterd, g_porter, g_root);
	if (store != NULL && strcmp(store, "pg") == 0) {
		g_pg = true;
		pg_start(name);
	} else if (store != NULL && store[0] != '\0' && strcmp(store, "sqlite") != 0) {
		bail("PORTER_TEST_STORE is sqlite (the default) or pg");
	}
}

int
harness_done(void)
{
	client_free(&g_cl);
	cleanup();
	curl_global_cleanup();
	return t_done();
}
