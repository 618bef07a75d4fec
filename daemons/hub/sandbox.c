/*
 * porter-hub's sandbox: privilege drop, no_new_privs and the seccomp
 * allow-list, entered once start-up is over (main.c, just before the loop).
 *
 * By then the configuration is read, the state opened, the key loaded, the
 * listeners bound, the drivers opened and the uplink set up. From then on
 * the hub reads and writes its SQLite files, accepts on the sockets it
 * has, connects out (MQTT reconnects, the alarm panel, zigbee2mqtt; a
 * broker given by name is resolved in a getaddrinfo_a thread), sends to
 * porter-cam's marks socket and to systemd, signs checkpoints, and drives
 * GPIO lines it already holds. It cannot start a program or a process,
 * map executable memory, trace, mount, load modules or BPF, touch keys in
 * the kernel's keyring, bind or listen anew, or change its uid. Anything
 * not in allow[] kills the whole process (SIGSYS, SCMP_ACT_KILL_PROCESS):
 * the service manager starts it again and the state is durable.
 *
 * The allow-list is allow[] below, one row per system call with the
 * reason; docs/hub.md shows it, `porter-hub -n -v` prints it. What
 * porter-cam's worker shares (the table's printing and loading, the user
 * lookup and the drop, no_new_privs) is lib/sys/sandbox.c
 * (porter/sandbox.h); the hub's own parts are here: its tables, handing
 * the state over, the NSS modules and the thread warm-up.
 */
#define _GNU_SOURCE	/* CLONE_* */
#include <ctype.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <linux/gpio.h>

#include "porter/sandbox.h"
#include "hub.h"

/* The sanitizer builds (tests only): LeakSanitizer checks at exit from a
 * tracer it clones and attaches to the process with ptrace. Those calls are
 * allowed there and only there (allow_sanitizer[]). */
#if defined(__SANITIZE_ADDRESS__)
#define HUB_SANDBOX_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(leak_sanitizer)
#define HUB_SANDBOX_SANITIZER 1
#endif
#endif
#ifndef HUB_SANDBOX_SANITIZER
#define HUB_SANDBOX_SANITIZER 0
#endif

/* The argument rules (porter/sandbox.h); A_ANY: any arguments. */
#define A_ANY NULL
#define A_NOEXEC (&pt_sandbox_noexec)	/* arg 2 (prot) without PROT_EXEC */
#define A_SELF (&pt_sandbox_self)	/* tgkill: to this process only (abort()) */

/* socket: AF_UNIX, AF_INET, AF_INET6 only */
static const uint64_t families[] = {AF_UNIX, AF_INET, AF_INET6};
static const struct pt_sandbox_rule a_family = {
	.how = PT_SANDBOX_ONE_OF, .arg = 0,
	.values = families, .n_values = PT_SANDBOX_NELEM(families),
	.text = " (AF_UNIX, AF_INET, AF_INET6)",
};
#define A_FAMILY (&a_family)

/*
 * socket(AF_NETLINK): refused with EAFNOSUPPORT, never killed. glibc's
 * getaddrinfo opens one (NETLINK_ROUTE) to read the interfaces' addresses
 * whenever a name has more than one address, to order them (RFC 6724):
 * a broker name with an A and an AAAA record, or "localhost" where
 * /etc/hosts lists ::1 too, as Debian's does. Refused, glibc orders them
 * as if both families were configured. (Killed, the hub died at its
 * first connection to such a name.)
 */
static const struct pt_sandbox_rule a_netlink = {
	.how = PT_SANDBOX_ERRNO_EQ, .arg = 0, .value = AF_NETLINK, .err = EAFNOSUPPORT,
	.text = " (AF_NETLINK: fails with EAFNOSUPPORT)",
};
#define A_NETLINK (&a_netlink)

/* ioctl: the GPIO line values and FIONREAD only */
static const uint64_t ioctls[] = {GPIOHANDLE_GET_LINE_VALUES_IOCTL,
				  GPIOHANDLE_SET_LINE_VALUES_IOCTL, FIONREAD};
static const struct pt_sandbox_rule a_ioctl = {
	.how = PT_SANDBOX_ONE_OF, .arg = 1,
	.values = ioctls, .n_values = PT_SANDBOX_NELEM(ioctls),
	.text = " (GPIOHANDLE_GET/SET_LINE_VALUES, FIONREAD)",
};
#define A_IOCTL (&a_ioctl)

/* fcntl: descriptor flags and SQLite's record locks */
static const uint64_t fcntls[] = {F_GETFD, F_SETFD, F_GETFL, F_SETFL, F_GETLK,
				  F_SETLK, F_SETLKW, F_DUPFD_CLOEXEC};
static const struct pt_sandbox_rule a_fcntl = {
	.how = PT_SANDBOX_ONE_OF, .arg = 1,
	.values = fcntls, .n_values = PT_SANDBOX_NELEM(fcntls),
	.text = (" (F_GETFD, F_SETFD, F_GETFL, F_SETFL, F_GETLK, F_SETLK, F_SETLKW,"
		 " F_DUPFD_CLOEXEC)"),
};
#define A_FCNTL (&a_fcntl)

/* clone: CLONE_THREAD set (threads, never processes) */
static const struct pt_sandbox_rule a_thread = {
	.how = PT_SANDBOX_MASKED, .arg = 0, .mask = CLONE_THREAD, .value = CLONE_THREAD,
	.text = " (flags with CLONE_THREAD)",
};
#define A_THREAD (&a_thread)

/* refused with ENOSYS, not killed (clone3: glibc falls back) */
static const struct pt_sandbox_rule a_enosys = {
	.how = PT_SANDBOX_ENOSYS, .text = " (fails with ENOSYS)",
};
#define A_ENOSYS (&a_enosys)

/* rt_sigaction: glibc's own two thread signals only, its internal
 * real-time signals 32 and 33, below SIGRTMIN */
static const uint64_t nptl_signals[] = {__SIGRTMIN, __SIGRTMIN + 1};
static const struct pt_sandbox_rule a_nptl = {
	.how = PT_SANDBOX_ONE_OF, .arg = 0,
	.values = nptl_signals, .n_values = PT_SANDBOX_NELEM(nptl_signals),
	.text = " (glibc's SIGCANCEL, SIGSETXID)",
};
#define A_NPTL (&a_nptl)

/* clone: LeakSanitizer's tracer's flags exactly (sanitizer builds) */
static const uint64_t tracer_flags[] = {CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_UNTRACED};
static const struct pt_sandbox_rule a_tracer = {
	.how = PT_SANDBOX_ONE_OF, .arg = 0,
	.values = tracer_flags, .n_values = PT_SANDBOX_NELEM(tracer_flags),
	.text = " (CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_UNTRACED exactly)",
};
#define A_TRACER (&a_tracer)

static const struct pt_sandbox_allow allow[] = {
	/* files: hub.db, its -wal, -shm and -journal, the ready file */
	{"read", A_ANY, "SQLite, sockets, the signalfd, GPIO line events"},
	{"readv", A_ANY, "libmosquitto and OpenSSL reading vectors"},
	{"pread64", A_ANY, "SQLite pages"},
	{"write", A_ANY, "log lines to stderr (the journal), SQLite, sockets"},
	{"writev", A_ANY, "libmosquitto packets, log lines"},
	{"pwrite64", A_ANY, "SQLite pages, the WAL and its index"},
	{"lseek", A_ANY, "SQLite, stdio reading /etc files for the resolver"},
	{"openat", A_ANY, "SQLite's -wal/-shm/-journal and directory (fsync), TLS CA and"
			  " client files at a reconnect, /etc/hosts and resolv.conf for a"
			  " broker's name"},
	{"open", A_ANY, "the same, where libraries call open(2) itself"},
	{"close", A_ANY, "connections, files"},
	{"fstat", A_ANY, "SQLite's file sizes and owners, stdio"},
	{"newfstatat", A_ANY, "the same (glibc's fstat and stat)"},
	{"stat", A_ANY, "SQLite: does a journal exist"},
	{"lstat", A_ANY, "SQLite: symbolic links in a path"},
	{"access", A_ANY, "SQLite: may a journal be written"},
	{"faccessat", A_ANY, "the same"},
	{"faccessat2", A_ANY, "the same"},
	{"readlink", A_ANY, "SQLite resolving a path"},
	{"getcwd", A_ANY, "SQLite: a relative state_dir"},
	{"fsync", A_ANY, "SQLite commits (synchronous = FULL)"},
	{"fdatasync", A_ANY, "the same"},
	{"ftruncate", A_ANY, "SQLite: WAL reset, the -shm file"},
	{"fallocate", A_ANY, "SQLite: growing the -shm file"},
	{"unlink", A_ANY, "SQLite's journals; the sockets at exit"},
	{"unlinkat", A_ANY, "the same"},
	{"rename", A_ANY, "-R FILE: the ready file, written once the sandbox is on"},
	{"fchown", A_ANY, "SQLite gives a new journal its database's owner (only when root)"},
	{"fchmod", A_ANY, "SQLite: a new journal gets its database's mode"},
	{"fcntl", A_FCNTL, "descriptor flags (non-blocking sockets) and SQLite's locks"},
	{"ioctl", A_IOCTL, "gpio: read and set the values of the lines requested at start;"
			   " FIONREAD: the resolver's DNS replies"},
	/* memory */
	{"mmap", A_NOEXEC, "the allocator, SQLite's -shm, thread stacks: never executable"},
	{"munmap", A_ANY, "freeing it"},
	{"mremap", A_ANY, "growing it (realloc)"},
	{"mprotect", A_NOEXEC, "guard pages, libsodium's secrets: never executable"},
	{"brk", A_ANY, "the heap"},
	{"madvise", A_ANY, "the allocator returning memory, libsodium (no dump)"},
	{"mlock", A_ANY, "libsodium's secret memory"},
	{"munlock", A_ANY, "the same"},
	/* the network */
	{"socket", A_FAMILY, "MQTT, TPI and DNS connections, sd_notify: AF_UNIX, AF_INET,"
			     " AF_INET6 only"},
	{"socket", A_NETLINK, "the resolver's look at the interfaces when a name has several"
			      " addresses: refused, it orders them without"},
	{"connect", A_ANY, "MQTT reconnects, the alarm panel, zigbee2mqtt, DNS, sd_notify"},
	{"bind", A_ANY, "an MQTT connection bound to one address family's wildcard address"
			" (porter/net.h); listen stays forbidden"},
	{"accept4", A_ANY, "link and control connections on the listeners bound at start"},
	{"accept", A_ANY, "the same"},
	{"shutdown", A_ANY, "closing connections"},
	{"getsockopt", A_ANY, "SO_ERROR after a non-blocking connect, SO_PEERCRED"},
	{"setsockopt", A_ANY, "TCP_NODELAY and the like on new connections"},
	{"getsockname", A_ANY, "libmosquitto, the resolver"},
	{"getpeername", A_ANY, "peer addresses in the log"},
	{"sendto", A_ANY, "clip marks to porter-cam, DNS queries, TCP sends"},
	{"sendmsg", A_ANY, "sd_notify, link frames"},
	{"sendmmsg", A_ANY, "the resolver's A and AAAA queries at once"},
	{"recvfrom", A_ANY, "TCP and DNS replies"},
	{"recvmsg", A_ANY, "porter-cam's health datagrams with the sender's credentials"},
	{"poll", A_ANY, "the loop, the resolver"},
	{"ppoll", A_ANY, "the same, where poll does not exist (arm64)"},
	/* time */
	{"clock_gettime", A_ANY, "deadlines, time stamps (when the vDSO is not used)"},
	{"gettimeofday", A_ANY, "the same"},
	{"time", A_ANY, "the same"},
	{"clock_nanosleep", A_ANY, "SQLite's busy wait"},
	{"nanosleep", A_ANY, "the same"},
	/* threads: only the resolver's (getaddrinfo_a) */
	{"clone", A_THREAD, "getaddrinfo_a's helper thread: threads only, never a process"},
	{"clone3", A_ENOSYS, "refused with ENOSYS, so glibc uses clone (whose flags are checked)"},
	{"set_robust_list", A_ANY, "a new thread"},
	{"rseq", A_ANY, "a new thread"},
	{"futex", A_ANY, "the resolver thread's locks"},
	{"sched_yield", A_ANY, "the same"},
	{"exit", A_ANY, "a thread ends"},
	{"exit_group", A_ANY, "the hub ends"},
	/* the rest */
	{"getrandom", A_ANY, "libsodium (nonces), OpenSSL, SQLite"},
	{"getpid", A_ANY, "SQLite, abort(), sd_notify"},
	{"gettid", A_ANY, "abort()"},
	{"tgkill", A_SELF, "abort(): a signal to itself only"},
	{"getuid", A_ANY, "SQLite, sd_notify"},
	{"geteuid", A_ANY, "SQLite (fchown only as root)"},
	{"getgid", A_ANY, "the same"},
	{"getegid", A_ANY, "the same"},
	{"uname", A_ANY, "the resolver, OpenSSL"},
	{"sysinfo", A_ANY, "qsort's memory check (the resolver sorting addresses)"},
	{"rt_sigprocmask", A_ANY, "signals stay blocked for the signalfd; new threads"},
	{"rt_sigaction", A_NPTL, "the first thread: glibc sets up its cancel and setxid signals"},
	{"rt_sigreturn", A_ANY, "returning from a signal handler"},
	{"restart_syscall", A_ANY, "an interrupted sleep resumed by the kernel"},
};
#define NALLOW (sizeof(allow) / sizeof(allow[0]))

/* The sanitizer builds only: LeakSanitizer at exit (see above). */
static const struct pt_sandbox_allow allow_sanitizer[] = {
	{"clone", A_TRACER, "LeakSanitizer's tracer (not a thread, but no fork either)"},
	{"ptrace", A_ANY, "LeakSanitizer's tracer stops the threads"},
	{"wait4", A_ANY, "the tracer's end"},
	{"prctl", A_ANY, "the tracer's PR_SET_PDEATHSIG, PR_SET_DUMPABLE"},
	{"getppid", A_ANY, "the tracer"},
	{"getdents64", A_ANY, "the tracer lists /proc/self/task"},
	{"getdents", A_ANY, "the same, the older call the x86-64 runtime uses"},
	{"rt_sigaction", A_ANY, "the tracer's signal handlers (any signal)"},
	{"sigaltstack", A_ANY, "the sanitizer's signal stacks"},
	{"sched_getaffinity", A_ANY, "the sanitizer runtime"},
	{"process_vm_readv", A_ANY, "the sanitizer runtime reading registers"},
};
#define NALLOW_SANITIZER (HUB_SANDBOX_SANITIZER ? \
	sizeof(allow_sanitizer) / sizeof(allow_sanitizer[0]) : 0)

/* Both, as one filter and one printed list. */
static const struct pt_sandbox_table tables[] = {
	{allow, NALLOW, ""},
	{allow_sanitizer, NALLOW_SANITIZER, " [sanitizer build only]"},
};

void
hub_sandbox_print(void)
{
	pt_sandbox_print(stdout, "sandbox.allow", tables, PT_SANDBOX_NELEM(tables));
	printf("sandbox.default = kill the process (SIGSYS)\n");
}

size_t
hub_sandbox_count(void)
{
	return NALLOW + NALLOW_SANITIZER;
}

/* sandbox.user and sandbox.group, and how the messages name them. The
 * user's supplementary groups are taken (porter, for porter-cam's marks
 * socket, sent to by path). */
static struct pt_sandbox_user
who(const struct hub_config *c)
{
	struct pt_sandbox_user u = {
		.user = c->sb_user, .group = c->sb_group, .supplementary = true,
		.user_key = "sandbox.user", .find_prefix = "sandbox.user: ",
		.group_key = "sandbox.group", .drop_prefix = "sandbox: ",
	};

	return u;
}

int
hub_sandbox_check(const struct hub_config *c, struct pt_errbuf *err)
{
	const struct pt_sandbox_user u = who(c);
	uid_t uid;
	gid_t gid;

	if (c->sb_user[0] == '\0') {
		if (c->sb_group[0] != '\0') {
			(void)snprintf(err->msg, sizeof(err->msg),
				       "sandbox.group needs sandbox.user");
			return -1;
		}
		return 0;
	}
	/* The user must exist and not be root, the group not root's. */
	return pt_sandbox_lookup(&u, &uid, &gid, err);
}

/*
 * The state directory and the database's files become the user's, as
 * systemd's StateDirectory= does: SQLite makes and removes its -wal,
 * -shm and -journal files there. Each by descriptor, never following a
 * link; the key file and the sockets stay as they are (the key is in
 * memory already, the sockets are bound).
 */
static int
give_state(const struct hub_config *c, uid_t uid, gid_t gid, struct pt_errbuf *err)
{
	static const char *const names[] = {"hub.db", "hub.db-wal", "hub.db-shm", "hub.db-journal"};
	struct stat st;
	size_t i;
	int dfd, fd, rc = -1;

	dfd = open(c->state_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0 || fchown(dfd, uid, gid) != 0) {
		(void)snprintf(err->msg, sizeof(err->msg),
			       "sandbox: cannot hand '%.100s' to sandbox.user: %s", c->state_dir,
			       strerror(errno));
		goto out;
	}
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		fd = openat(dfd, names[i], O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
		if (fd < 0) {
			if (errno == ENOENT)
				continue;
			goto fail;
		}
		if (fstat(fd, &st) != 0 || (!S_ISREG(st.st_mode) && (errno = EINVAL) != 0) ||
		    fchown(fd, uid, gid) != 0) {
			int e = errno;
			close(fd);
			errno = e;
			goto fail;
		}
		close(fd);
	}
	rc = 0;
	goto out;
fail:
	(void)snprintf(err->msg, sizeof(err->msg), "sandbox: cannot hand '%.100s/%s' to sandbox.user: %s",
		       c->state_dir, names[i], strerror(errno));
out:
	if (dfd >= 0)
		close(dfd);
	return rc;
}

static int
drop(const struct hub_config *c, struct pt_errbuf *err)
{
	const struct pt_sandbox_user u = who(c);
	uid_t uid;
	gid_t gid;

	if (pt_sandbox_lookup(&u, &uid, &gid, err) != 0 || give_state(c, uid, gid, err) != 0 ||
	    pt_sandbox_become(&u, uid, gid, err) != 0)
		return -1;
	return 0;
}

static void *
thread_exit(void *arg)
{
	pthread_exit(arg);
}

/*
 * The NSS modules of the "hosts:" line of nsswitch.conf text, other than
 * files and dns (inside glibc since 2.34): mdns4_minimal, resolve,
 * myhostname, ... glibc dlopens one the first time a lookup reaches it:
 * an executable mapping, which the filter kills. Names of [a-z0-9_]
 * only, at most cap of them; the [STATUS=action] groups are skipped.
 */
size_t
hub_sandbox_nss_modules(const char *text, char (*out)[HUB_NSS_NAME_MAX], size_t cap)
{
	const char *p = text, *line, *e;
	size_t n = 0, len, i;

	while (p != NULL && *p != '\0') {
		line = p;
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
		while (*line == ' ' || *line == '\t')
			line++;
		if (strncmp(line, "hosts:", 6) != 0)
			continue;
		for (line += 6; *line != '\0' && *line != '\n' && *line != '#';) {
			if (isspace((unsigned char)*line)) {
				line++;
				continue;
			}
			if (*line == '[') {	/* [NOTFOUND=return] */
				while (*line != '\0' && *line != '\n' && *line != ']')
					line++;
				if (*line == ']')
					line++;
				continue;
			}
			for (e = line; *e != '\0' && !isspace((unsigned char)*e) && *e != '[' &&
				       *e != '#'; e++)
				;
			len = (size_t)(e - line);
			for (i = 0; i < len && (islower((unsigned char)line[i]) ||
						isdigit((unsigned char)line[i]) || line[i] == '_');
			     i++)
				;
			if (i == len && len > 0 && len < HUB_NSS_NAME_MAX && n < cap &&
			    !(len == 5 && memcmp(line, "files", 5) == 0) &&
			    !(len == 3 && memcmp(line, "dns", 3) == 0)) {
				memcpy(out[n], line, len);
				out[n][len] = '\0';
				n++;
			}
			line = e;
		}
	}
	return n;
}

/* Those modules loaded now, so that glibc finds them loaded (no new
 * mapping) at the first lookup. One that cannot be loaded is left: glibc
 * will not load it either (no mapping made). */
static void
nss_preload(void)
{
	char text[16384], names[8][HUB_NSS_NAME_MAX], so[HUB_NSS_NAME_MAX + 16];
	size_t len = 0, n, i;
	ssize_t r;
	int fd;

	if ((fd = open("/etc/nsswitch.conf", O_RDONLY | O_CLOEXEC)) < 0)
		return;
	while (len < sizeof(text) - 1 && (r = read(fd, text + len, sizeof(text) - 1 - len)) > 0)
		len += (size_t)r;
	close(fd);
	text[len] = '\0';
	n = hub_sandbox_nss_modules(text, names, 8);
	for (i = 0; i < n; i++) {
		(void)snprintf(so, sizeof(so), "libnss_%s.so.2", names[i]);
		(void)dlopen(so, RTLD_NOW);	/* kept for good: never dlclosed */
	}
}

/*
 * What glibc loads lazily, loaded before the filter: a thread that ends
 * with pthread_exit (as getaddrinfo_a's helper does when idle) makes glibc
 * dlopen libgcc_s for the unwinding, an executable mapping the filter
 * would kill. The first thread also sets up glibc's thread signals.
 */
static int
warm_up(struct pt_errbuf *err)
{
	pthread_t t;
	void *r;
	int e;

	nss_preload();
	if ((e = pthread_create(&t, NULL, thread_exit, NULL)) != 0 ||
	    (e = pthread_join(t, &r)) != 0) {
		(void)snprintf(err->msg, sizeof(err->msg), "sandbox: cannot start a thread: %s",
			       strerror(e));
		return -1;
	}
	return 0;
}

int
hub_sandbox_apply(const struct hub_config *c, struct pt_errbuf *err)
{
	bool root = getuid() == 0 || geteuid() == 0;

	err->msg[0] = '\0';
	if (root && c->sb_user[0] != '\0' && drop(c, err) != 0)
		return -1;
	if (pt_sandbox_no_new_privs(err) != 0)
		return -1;
	/* For every thread: an idle resolver thread may be there already. */
	if (c->sb_seccomp && (warm_up(err) != 0 ||
			      pt_sandbox_load(tables, PT_SANDBOX_NELEM(tables), err) != 0))
		return -1;
	return 0;
}
