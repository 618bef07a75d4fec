/*
 * porter-hub's sandbox (daemons/hub/sandbox.c), the real filter: each case
 * forks, the child enters the sandbox with hub_sandbox_apply() and makes
 * one call; the parent checks how the child ended. A forbidden call must
 * kill it with SIGSYS (execve, fork, ptrace, PROT_EXEC, a packet socket,
 * an unlisted ioctl, setuid, listen ...); what the hub needs must not (a
 * thread, a file, an AF_INET socket, the GPIO ioctls, SQLite-style locks,
 * bind, a netlink socket refused with EAFNOSUPPORT, getaddrinfo of a name
 * with two addresses).
 * As root: sandbox.user = nobody really becomes nobody, for good.
 *
 * The part porter-cam shares (lib/sys/sandbox.c, porter/sandbox.h) is
 * checked on its own too: a table's printing, each kind of argument rule
 * on a small table (allowed as the rule says, else killed), a rule that is
 * not well formed refused before anything is loaded, the messages as
 * porter-cam words them, and the drop without supplementary groups.
 *
 * Children leave with exit_group(2) itself: no atexit work and no
 * LeakSanitizer pass in a child (its tracer is allowed in sanitizer builds
 * only for the hub's own exit; the checks below say where it matters).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <fcntl.h>
#include <pthread.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/gpio.h>
#include <linux/netlink.h>

#include "t.h"
#include "porter/sandbox.h"
#include "hub.h"

#if defined(__SANITIZE_ADDRESS__)
#define SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(leak_sanitizer)
#define SANITIZER 1
#endif
#endif
#ifndef SANITIZER
#define SANITIZER 0
#endif

static struct hub_config cfg;
static char dir[64];

static void
quit(int code)
{
	for (;;)
		(void)syscall(SYS_exit_group, code);
}

/* A child enters a sandbox with enter (none: NULL), then runs fn. How it
 * ended: the signal that killed it (> 0), or -(exit code). */
static int
run_in(int (*enter)(struct pt_errbuf *), void (*fn)(void))
{
	struct pt_errbuf err;
	pid_t pid;
	int st;

	fflush(stdout);
	if ((pid = fork()) < 0)
		return -999;
	if (pid == 0) {
		if (enter != NULL && enter(&err) != 0) {
			fprintf(stderr, "# sandbox: %s\n", err.msg);
			quit(100);
		}
		fn();
		quit(0);
	}
	if (waitpid(pid, &st, 0) != pid)
		return -998;
	return WIFSIGNALED(st) ? WTERMSIG(st) : -WEXITSTATUS(st);
}

static int
enter_hub(struct pt_errbuf *err)
{
	return hub_sandbox_apply(&cfg, err);
}

/* The hub's sandbox as configured in cfg. */
static int
run(void (*fn)(void))
{
	return run_in(enter_hub, fn);
}

/* ---- forbidden ---- */

static void
do_execve(void)
{
	char *const argv[] = {(char *)"true", NULL};

	execve("/bin/true", argv, argv + 1);
	quit(1);	/* refused without a kill: also a failure */
}

static void
do_execveat(void)
{
	char *const argv[] = {(char *)"true", NULL};

	(void)syscall(SYS_execveat, AT_FDCWD, "/bin/true", argv, argv + 1, 0);
	quit(1);
}

static void
do_fork(void)
{
	pid_t p = fork();	/* clone without CLONE_THREAD */

	if (p == 0)
		quit(0);
	quit(1);
}

static void
do_vfork(void)
{
	(void)syscall(SYS_vfork);
	quit(1);
}

static void
do_ptrace(void)
{
	(void)ptrace(PTRACE_TRACEME, 0, NULL, NULL);
	quit(1);
}

static void
do_mmap_exec(void)
{
	(void)mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	quit(1);
}

static void
do_mprotect_exec(void)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		quit(2);
	(void)mprotect(p, 4096, PROT_READ | PROT_EXEC);
	quit(1);
}

/* Refused, not killed: glibc's getaddrinfo opens one to order a name's
 * several addresses, and does without when it cannot. */
static void
do_netlink(void)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);

	quit(fd < 0 && errno == EAFNOSUPPORT ? 0 : 3);
}

/* What getaddrinfo does with two addresses to order (a broker name with
 * an A and an AAAA record, "localhost" as ::1 and 127.0.0.1; here the two
 * wildcard addresses, which need no hosts file): it opens a netlink
 * socket first. In the sandbox it still answers both, and the process
 * lives. */
static void
do_resolve_two(void)
{
	struct addrinfo hints, *res = NULL, *p;
	int n = 0;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_family = AF_UNSPEC;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if (getaddrinfo(NULL, "1883", &hints, &res) != 0)
		quit(3);
	for (p = res; p != NULL; p = p->ai_next)
		n++;
	freeaddrinfo(res);
	quit(n == 2 ? 0 : 4);
}

static void
do_packet(void)
{
	(void)socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	quit(1);
}

static void
do_ioctl_tty(void)
{
	char c = 'x';

	(void)ioctl(STDIN_FILENO, TIOCSTI, &c);
	quit(1);
}

static void
do_setuid(void)
{
	if (setuid(0) == 0)
		quit(2);
	quit(1);
}

/* bind is allowed (an MQTT connection bound to one address family's
 * wildcard address, porter/net.h); listen is not: no new listener. */
static void
do_bind_wildcard(void)
{
	struct sockaddr_in sa;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		quit(2);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_ANY);
	quit(bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 ? 0 : 3);
}

static void
do_listen(void)
{
	struct sockaddr_un sa;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		quit(2);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	(void)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/new.sock", dir);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		quit(2);
	(void)listen(fd, 1);
	quit(1);
}

static void
do_mount(void)
{
	(void)syscall(SYS_mount, "none", "/mnt", "tmpfs", 0UL, NULL);
	quit(1);
}

static void
do_chroot(void)
{
	(void)syscall(SYS_chroot, "/");
	quit(1);
}

static void
do_bpf(void)
{
	(void)syscall(SYS_bpf, 0, NULL, 0);
	quit(1);
}

static void
do_keyctl(void)
{
	(void)syscall(SYS_keyctl, 0, 0, 0, 0, 0);
	quit(1);
}

static void
do_personality(void)
{
	(void)syscall(SYS_personality, 0xffffffffUL);
	quit(1);
}

static void
do_init_module(void)
{
	(void)syscall(SYS_init_module, NULL, 0UL, "");
	quit(1);
}

static void
do_prctl(void)
{
	(void)prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
	quit(1);
}

/* ---- allowed ---- */

static void *
thread_main(void *arg)
{
	return arg;
}

static void
do_thread(void)
{
	pthread_t t;
	void *r = NULL;

	/* getaddrinfo_a's way: clone3 refused with ENOSYS, clone with
	 * CLONE_THREAD allowed. */
	static int token;

	if (pthread_create(&t, NULL, thread_main, &token) != 0 || pthread_join(t, &r) != 0 ||
	    r != (void *)&token)
		quit(3);
	quit(0);
}

static void
do_files(void)
{
	char path[128], buf[4];
	struct flock fl;
	int fd;

	(void)snprintf(path, sizeof(path), "%s/f-wal", dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 || pwrite(fd, "abc", 3, 0) != 3 || fdatasync(fd) != 0 || fsync(fd) != 0 ||
	    pread(fd, buf, 3, 0) != 3 || ftruncate(fd, 0) != 0)
		quit(3);
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	if (fcntl(fd, F_SETLK, &fl) != 0 || fcntl(fd, F_GETLK, &fl) != 0 ||
	    fcntl(fd, F_SETFL, O_NONBLOCK) != 0 || close(fd) != 0 || unlink(path) != 0)
		quit(4);
	quit(0);
}

static void
do_inet(void)
{
	int a = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int b = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int c = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	quit(a >= 0 && c >= 0 && (b >= 0 || errno == EAFNOSUPPORT) ? 0 : 3);
}

static void
do_gpio_ioctl(void)
{
	struct gpiohandle_data d;
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC), n = 0;

	/* Allowed by the filter; /dev/null then refuses it itself. */
	memset(&d, 0, sizeof(d));
	if (fd < 0 || ioctl(fd, GPIOHANDLE_GET_LINE_VALUES_IOCTL, &d) == 0 ||
	    ioctl(fd, GPIOHANDLE_SET_LINE_VALUES_IOCTL, &d) == 0)
		quit(3);
	(void)ioctl(fd, FIONREAD, &n);
	quit(0);
}

static void
do_time_random(void)
{
	struct timespec ts = {0, 1000000};
	unsigned char r[16];

	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0 || getrandom(r, sizeof(r), 0) != sizeof(r))
		quit(3);
	ts.tv_sec = 0;
	ts.tv_nsec = 1000000;
	quit(nanosleep(&ts, NULL) == 0 ? 0 : 4);
}

static void
do_status(void)
{
	char line[256];
	FILE *f = fopen("/proc/self/status", "r");
	int nnp = -1, sc = -1;

	if (f == NULL)
		quit(3);
	while (fgets(line, sizeof(line), f) != NULL) {
		(void)sscanf(line, "NoNewPrivs: %d", &nnp);
		(void)sscanf(line, "Seccomp: %d", &sc);
	}
	fclose(f);
	/* exit code: 10 * NoNewPrivs + Seccomp mode */
	quit(10 * nnp + sc);
}

static uid_t nobody_uid;

static void
do_am_nobody(void)
{
	char line[256];
	unsigned r = 0, e = 0, s = 0, fs = 0;
	FILE *f = fopen("/proc/self/status", "r");
	bool found = false;

	if (f == NULL)
		quit(3);
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "Uid: %u %u %u %u", &r, &e, &s, &fs) == 4)
			found = true;
	fclose(f);
	quit(found && r == nobody_uid && e == nobody_uid && s == nobody_uid && fs == nobody_uid &&
		     getuid() == nobody_uid ? 0 : 4);
}

static void
do_execve_plain(void)
{
	char *const argv[] = {(char *)"true", NULL};

	execve("/bin/true", argv, argv + 1);
	quit(5);
}

/* ---- the shared part (lib/sys/sandbox.c) on a small table ---- */

static pid_t self_pid, self_tid, parent_pid;

static const uint64_t unix_only[] = {AF_UNIX};
static const struct pt_sandbox_rule r_unix = {
	.how = PT_SANDBOX_ONE_OF, .arg = 0, .values = unix_only,
	.n_values = PT_SANDBOX_NELEM(unix_only), .text = " (AF_UNIX)",
};
static const struct pt_sandbox_rule r_enosys = {.how = PT_SANDBOX_ENOSYS, .text = " (ENOSYS)"};
static const struct pt_sandbox_rule r_netlink = {
	.how = PT_SANDBOX_ERRNO_EQ, .arg = 0, .value = AF_NETLINK, .err = EAFNOSUPPORT,
	.text = " (AF_NETLINK: EAFNOSUPPORT)",
};
static const struct pt_sandbox_rule r_broken = {.how = PT_SANDBOX_ONE_OF, .arg = 0};
static const struct pt_sandbox_rule r_arg9 = {.how = PT_SANDBOX_MASKED, .arg = 9};

static const struct pt_sandbox_allow small_rows[] = {
	{"exit_group", NULL, "the child ends"},
	{"brk", NULL, "free() after the load"},
	{"munmap", NULL, "the same"},
	{"madvise", NULL, "the same"},
	{"sigaltstack", NULL, "the sanitizer builds, at exit"},
	{"socket", &r_unix, "AF_UNIX only"},
	{"mmap", &pt_sandbox_noexec, "never executable"},
	{"tgkill", &pt_sandbox_self, "to itself only"},
	{"clone3", &r_enosys, "fails with ENOSYS"},
	{"porter_no_such_call", NULL, "left out of the filter"},
	{"socket", &r_netlink, "AF_NETLINK fails with EAFNOSUPPORT"},
};
static const struct pt_sandbox_table small = {small_rows, PT_SANDBOX_NELEM(small_rows), ""};

/* The small table only (no drop, no no_new_privs of ours: the filter
 * sets it). */
static int
enter_small(struct pt_errbuf *err)
{
	self_pid = getpid();
	self_tid = (pid_t)syscall(SYS_gettid);
	return pt_sandbox_load(&small, 1, err);
}

static int
run_small(void (*fn)(void))
{
	parent_pid = getpid();
	return run_in(enter_small, fn);
}

/* Raw system calls: no library wrapper making calls of its own. */
static void
sm_unix(void)
{
	quit(syscall(SYS_socket, (long)AF_UNIX, (long)(SOCK_DGRAM | SOCK_CLOEXEC), 0L) >= 0 ? 0 : 3);
}

static void
sm_inet(void)
{
	(void)syscall(SYS_socket, (long)AF_INET, (long)(SOCK_DGRAM | SOCK_CLOEXEC), 0L);
	quit(1);
}

static void
sm_netlink(void)
{
	long fd = syscall(SYS_socket, (long)AF_NETLINK, (long)(SOCK_RAW | SOCK_CLOEXEC),
			  (long)NETLINK_ROUTE);

	quit(fd == -1 && errno == EAFNOSUPPORT ? 0 : 3);
}

static void
sm_mmap(void)
{
	long p = syscall(SYS_mmap, NULL, 4096UL, (long)(PROT_READ | PROT_WRITE),
			 (long)(MAP_PRIVATE | MAP_ANONYMOUS), -1L, 0L);

	quit(p != -1 ? 0 : 3);
}

static void
sm_mmap_exec(void)
{
	(void)syscall(SYS_mmap, NULL, 4096UL, (long)(PROT_READ | PROT_EXEC),
		      (long)(MAP_PRIVATE | MAP_ANONYMOUS), -1L, 0L);
	quit(1);
}

static void
sm_tgkill_self(void)
{
	quit(syscall(SYS_tgkill, (long)self_pid, (long)self_tid, 0L) == 0 ? 0 : 3);
}

static void
sm_tgkill_parent(void)
{
	(void)syscall(SYS_tgkill, (long)parent_pid, (long)parent_pid, 0L);
	quit(1);
}

static void
sm_clone3(void)
{
	long r = syscall(SYS_clone3, NULL, 0UL);

	quit(r == -1 && errno == ENOSYS ? 0 : 3);
}

static void
sm_getppid(void)
{
	(void)syscall(SYS_getppid);
	quit(1);
}

/* A table with a rule that is not well formed: refused, nothing loaded
 * (the child then reads its own status: Seccomp 0). */
static const struct pt_sandbox_allow broken_rows[] = {
	{"exit_group", NULL, "the child ends"},
	{"socket", &r_broken, "ONE_OF without values"},
};
static const struct pt_sandbox_allow arg9_rows[] = {
	{"socket", &r_arg9, "an argument that does not exist"},
};

static void
load_refused(const struct pt_sandbox_allow *rows, size_t n)
{
	const struct pt_sandbox_table t = {rows, n, ""};
	struct pt_errbuf err;

	if (pt_sandbox_load(&t, 1, &err) != -1 || strcmp(err.msg, "seccomp: cannot allow 'socket'") != 0)
		quit(3);
	do_status();	/* 10 * NoNewPrivs + Seccomp */
}

static void
ld_broken(void)
{
	load_refused(broken_rows, PT_SANDBOX_NELEM(broken_rows));
}

static void
ld_arg9(void)
{
	load_refused(arg9_rows, PT_SANDBOX_NELEM(arg9_rows));
}

/* A plain child (no filter) for what must not touch the test itself. */
static int
run_plain(void (*fn)(void))
{
	return run_in(NULL, fn);
}

/* porter-cam's worker: nobody without supplementary groups, for good. */
static void
become_nobody_no_groups(void)
{
	const struct pt_sandbox_user u = {.user = "nobody", .supplementary = false,
					  .user_key = "cam.user"};
	struct pt_errbuf err;
	gid_t groups[4];
	uid_t uid;
	gid_t gid;

	if (pt_sandbox_lookup(&u, &uid, &gid, &err) != 0 || pt_sandbox_become(&u, uid, gid, &err) != 0)
		quit(3);
	if (getgroups(4, groups) != 0)
		quit(4);
	if (getuid() != nobody_uid || geteuid() != nobody_uid || setuid(0) == 0 || seteuid(0) == 0)
		quit(5);
	quit(0);
}

static void
check_shared(void)
{
	static const struct pt_sandbox_allow second[] = {
		{"read", NULL, "r"},
	};
	const struct pt_sandbox_table two[] = {
		{small_rows, 8, ""},
		{second, 1, " [note]"},
	};
	const char *want =
		"k.allow = exit_group    # the child ends\n"
		"k.allow = brk    # free() after the load\n"
		"k.allow = munmap    # the same\n"
		"k.allow = madvise    # the same\n"
		"k.allow = sigaltstack    # the sanitizer builds, at exit\n"
		"k.allow = socket (AF_UNIX)    # AF_UNIX only\n"
		"k.allow = mmap (prot without PROT_EXEC)    # never executable\n"
		"k.allow = tgkill (own pid)    # to itself only\n"
		"k.allow = read    # r [note]\n";
	const struct pt_sandbox_user cam = {.user = "porter-no-such-user", .user_key = "cam.user",
					    .find_prefix = ""};
	const struct pt_sandbox_user cam_root = {.user = "root", .user_key = "cam.user"};
	struct pt_errbuf err;
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	uid_t uid = 7;
	gid_t gid = 7;

	/* The printing: rows, rule texts, notes, a name not on this machine. */
	if ((f = open_memstream(&text, &len)) == NULL) {
		printf("Bail out! open_memstream: %s\n", strerror(errno));
		exit(1);
	}
	pt_sandbox_print(f, "k.allow", two, 2);
	fclose(f);
	T_OK(strcmp(text, want) == 0, "pt_sandbox_print: key, name, rule text, reason, note");
	if (strcmp(text, want) != 0)
		printf("# got:\n%s", text);
	free(text);
	text = NULL;
	if ((f = open_memstream(&text, &len)) == NULL) {
		printf("Bail out! open_memstream: %s\n", strerror(errno));
		exit(1);
	}
	pt_sandbox_print(f, "k.allow", &small, 1);
	fclose(f);
	T_OK(strstr(text, "k.allow = porter_no_such_call    # left out of the filter"
			  " [not on this architecture]\n") != NULL &&
	     strstr(text, "k.allow = clone3 (ENOSYS)    # fails with ENOSYS\n") != NULL,
	     "pt_sandbox_print: a call this architecture lacks is marked so");
	free(text);

	/* Each kind of rule, allowed as it says and killed otherwise. */
	T_EQ(run_small(sm_unix), 0, "small table: socket(AF_UNIX) allowed (one of)");
	T_EQ(run_small(sm_inet), SIGSYS, "small table: socket(AF_INET) killed");
	T_EQ(run_small(sm_netlink), 0,
	     "small table: socket(AF_NETLINK) fails with EAFNOSUPPORT, not killed (errno if equal)");
	T_EQ(run_small(sm_mmap), 0, "small table: mmap without PROT_EXEC allowed (masked)");
	T_EQ(run_small(sm_mmap_exec), SIGSYS, "small table: mmap with PROT_EXEC killed");
	T_EQ(run_small(sm_tgkill_self), 0, "small table: tgkill to itself allowed (own pid)");
	T_EQ(run_small(sm_tgkill_parent), SIGSYS, "small table: tgkill to another process killed");
	T_EQ(run_small(sm_clone3), 0, "small table: clone3 fails with ENOSYS, not killed");
	T_EQ(run_small(sm_getppid), SIGSYS, "small table: a call not in it (getppid) killed");
	T_EQ(run_small(do_status), SIGSYS, "small table: even opening a file is killed");
	/* exit 0: the load said "cannot allow 'socket'", then NoNewPrivs 0, Seccomp 0. */
	T_EQ(run_plain(ld_broken), 0, "a rule without values: refused by name, nothing loaded");
	T_EQ(run_plain(ld_arg9), 0, "a rule on argument 9: refused by name, nothing loaded");

	/* The user lookup, worded as porter-cam words it. */
	T_EQ(pt_sandbox_lookup(&cam, &uid, &gid, &err), -1, "lookup: no such user refused");
	T_OK(strcmp(err.msg, "cannot find user 'porter-no-such-user'") == 0, "... %s", err.msg);
	T_EQ(pt_sandbox_lookup(&cam_root, &uid, &gid, &err), -1, "lookup: root refused");
	T_OK(strcmp(err.msg, "cam.user 'root' is root: name an unprivileged user") == 0, "... %s",
	     err.msg);
	T_OK(uid == 7 && gid == 7, "lookup: the ids are left as they were on failure");
	if (getuid() != 0 || nobody_uid == 0)
		printf("ok %d - as root, nobody without supplementary groups, for good # SKIP %s\n",
		       ++t_n, getuid() != 0 ? "not root" : "no user nobody");
	else
		T_EQ(run_plain(become_nobody_no_groups), 0,
		     "as root: nobody without supplementary groups, setuid(0) and seteuid(0) fail");
}

struct kase {
	const char *what;
	void (*fn)(void);
	bool lsan_allows;	/* allowed in sanitizer builds (LeakSanitizer's tracer) */
};

int
main(void)
{
	static const struct kase killed[] = {
		{"execve", do_execve, false},
		{"execveat", do_execveat, false},
		{"fork (clone without CLONE_THREAD)", do_fork, false},	/* even in sanitizer builds */
		{"vfork", do_vfork, false},
		{"ptrace", do_ptrace, true},
		{"mmap with PROT_EXEC", do_mmap_exec, false},
		{"mprotect to PROT_EXEC", do_mprotect_exec, false},
		{"socket(AF_PACKET)", do_packet, false},
		{"ioctl(TIOCSTI)", do_ioctl_tty, false},
		{"setuid", do_setuid, false},
		{"listen (no new listener)", do_listen, false},
		{"mount", do_mount, false},
		{"chroot", do_chroot, false},
		{"bpf", do_bpf, false},
		{"keyctl", do_keyctl, false},
		{"personality", do_personality, false},
		{"init_module", do_init_module, false},
		{"prctl", do_prctl, true},
	};
	static const struct kase allowed[] = {
		{"a thread (pthread_create, clone3 -> ENOSYS -> clone)", do_thread, false},
		{"SQLite's file calls: open, pwrite, fdatasync, fsync, pread, ftruncate,"
		 " F_SETLK/F_GETLK, unlink", do_files, false},
		{"AF_INET, AF_INET6, AF_UNIX sockets", do_inet, false},
		{"socket(AF_NETLINK): fails with EAFNOSUPPORT, not killed", do_netlink, false},
		{"getaddrinfo of a name with two addresses (its netlink socket refused)",
		 do_resolve_two, false},
		{"bind to 0.0.0.0 (one address family for MQTT)", do_bind_wildcard, false},
		{"the GPIO line-value ioctls and FIONREAD", do_gpio_ioctl, false},
		{"clock, getrandom, nanosleep", do_time_random, false},
	};
	struct pt_errbuf err;
	struct passwd *pw;
	size_t i;
	int r;

	memset(&cfg, 0, sizeof(cfg));
	cfg.sb_seccomp = true;	/* the default */
	(void)snprintf(dir, sizeof(dir), "/tmp/porter-sbx-unit.XXXXXX");
	if (mkdtemp(dir) == NULL) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	(void)snprintf(cfg.state_dir, sizeof(cfg.state_dir), "%s", dir);

	T_EQ(hub_sandbox_count() > 40, 1, "the allow-list has its rows");
	T_EQ(run(do_status), -12, "in the sandbox: NoNewPrivs 1, Seccomp 2 (filter)");
	for (i = 0; i < sizeof(killed) / sizeof(killed[0]); i++) {
		if (SANITIZER && killed[i].lsan_allows) {
			printf("ok %d - %s: killed # SKIP allowed in sanitizer builds for"
			       " LeakSanitizer's tracer\n", ++t_n, killed[i].what);
			continue;
		}
		r = run(killed[i].fn);
		T_EQ(r, SIGSYS, "%s: killed by SIGSYS", killed[i].what);
	}
	for (i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
		T_EQ(run(allowed[i].fn), 0, "allowed: %s", allowed[i].what);

	/* seccomp = no: no_new_privs only; execve works (without new privileges). */
	cfg.sb_seccomp = false;
	T_EQ(run(do_status), -10, "seccomp = no: NoNewPrivs 1, Seccomp 0");
	T_EQ(run(do_execve_plain), 0, "seccomp = no: execve is not filtered");
	cfg.sb_seccomp = true;

	/* sandbox.user: checked; as root, become it for good. */
	(void)snprintf(cfg.sb_user, sizeof(cfg.sb_user), "porter-no-such-user");
	T_EQ(hub_sandbox_check(&cfg, &err), -1, "a sandbox.user that does not exist is refused");
	T_OK(strstr(err.msg, "cannot find user 'porter-no-such-user'") != NULL, "... saying so: %s",
	     err.msg);
	(void)snprintf(cfg.sb_user, sizeof(cfg.sb_user), "root");
	T_EQ(hub_sandbox_check(&cfg, &err), -1, "sandbox.user = root is refused");
	pw = getpwnam("nobody");
	if (getuid() != 0 || pw == NULL) {
		printf("ok %d - as root, user = nobody: the child is nobody, for good # SKIP %s\n",
		       ++t_n, getuid() != 0 ? "not root" : "no user nobody");
	} else {
		nobody_uid = pw->pw_uid;
		(void)snprintf(cfg.sb_user, sizeof(cfg.sb_user), "nobody");
		T_EQ(hub_sandbox_check(&cfg, &err), 0, "sandbox.user = nobody exists");
		T_EQ(run(do_am_nobody), 0, "as root, user = nobody: real, effective, saved and fs uid nobody's");
		T_EQ(run(do_setuid), SIGSYS, "... and setuid(0) kills it");
		T_EQ(run(do_execve), SIGSYS, "... execve too");
	}
	if (pw != NULL)
		nobody_uid = pw->pw_uid;
	check_shared();
	{
		/* The NSS modules loaded before the filter (sandbox.c). */
		char m[8][HUB_NSS_NAME_MAX];
		size_t k;

		k = hub_sandbox_nss_modules("passwd: files\nhosts:          files dns\n", m, 8);
		T_EQ(k, 0, "nsswitch hosts: files dns: nothing to load (inside glibc)");
		k = hub_sandbox_nss_modules("# c\nhosts: files mdns4_minimal [NOTFOUND=return] dns"
					    " myhostname # mdns\nnetworks: files\n", m, 8);
		T_OK(k == 2 && strcmp(m[0], "mdns4_minimal") == 0 && strcmp(m[1], "myhostname") == 0,
		     "hosts: files mdns4_minimal [NOTFOUND=return] dns myhostname: those two (%zu)", k);
		k = hub_sandbox_nss_modules("hosts: files resolve [!UNAVAIL=return] ../evil X dns\n", m, 8);
		T_OK(k == 1 && strcmp(m[0], "resolve") == 0,
		     "a name that is not [a-z0-9_] (a path, upper case) is never loaded (%zu)", k);
		k = hub_sandbox_nss_modules("hosts: a b c d\n", m, 2);
		T_EQ(k, 2, "at most cap of them");
	}
	(void)rmdir(dir);
	return t_done();
}
