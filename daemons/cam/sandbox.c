/*
 * porter-cam's sandbox: privilege drop and the input worker's seccomp
 * allow-list.
 *
 * The worker enters the sandbox once its source is open and its decoder
 * set up (with threads=1): from then on it only reads packets from
 * descriptors it already has, decodes, scales, analyses and writes
 * reports. It cannot open a file or a socket, start a program or a
 * thread, map executable memory, or talk to any device but through the
 * two V4L2 buffer calls. Anything else kills the process (SIGSYS); the
 * monitor logs it and starts a new worker after the back-off.
 *
 * The allow-list is allow[] below, one row per system call with the
 * reason; docs/cam.md shows the same table, `porter-cam -n -v` prints it.
 */
#define _GNU_SOURCE	/* setresuid, setresgid */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <unistd.h>

#include <linux/videodev2.h>
#include <seccomp.h>

#include "cam.h"

enum argrule {
	A_ANY,		/* any arguments */
	A_NOEXEC,	/* arg 2 (prot) without PROT_EXEC */
	A_V4L2,		/* ioctl: VIDIOC_QBUF / VIDIOC_DQBUF only */
	A_FCNTL,	/* fcntl: F_GETFL, F_SETFL, F_GETFD, F_SETFD only */
	A_SELF,		/* tgkill: to this process only (abort()) */
};

static const struct {
	const char *name;
	enum argrule arg;
	const char *why;
} allow[] = {
	{"read", A_ANY, "packets from the source (files, sockets, devices)"},
	{"readv", A_ANY, "packets (some protocols read vectors)"},
	{"pread64", A_ANY, "files read at an offset"},
	{"lseek", A_ANY, "files: seeking within the open file"},
	{"recvfrom", A_ANY, "RTSP/RTP over the sockets opened before the filter; the"
			    " monitor's clip orders on fd 3"},
	{"recvmsg", A_ANY, "RTP over UDP"},
	{"write", A_ANY, "log lines to stderr; RTSP keep-alives on the open connection"},
	{"writev", A_ANY, "log lines, RTSP requests"},
	{"sendto", A_ANY, "reports and clip segments to the monitor (fd 3); RTCP receiver"
			  " reports"},
	{"sendmsg", A_ANY, "reports to the monitor; RTCP"},
	{"poll", A_ANY, "waiting for network input (FFmpeg's network layer)"},
	{"ppoll", A_ANY, "the same, where poll does not exist (arm64)"},
	{"clock_gettime", A_ANY, "time stamps, deadlines (when the vDSO is not used)"},
	{"gettimeofday", A_ANY, "FFmpeg's av_gettime"},
	{"clock_nanosleep", A_ANY, "pacing files and lavfi to their own rate"},
	{"nanosleep", A_ANY, "short waits in FFmpeg"},
	{"mmap", A_NOEXEC, "memory for frames and packets: never executable"},
	{"munmap", A_ANY, "freeing it"},
	{"mremap", A_ANY, "growing it (realloc)"},
	{"brk", A_ANY, "the heap"},
	{"madvise", A_ANY, "the allocator returning memory"},
	{"mprotect", A_NOEXEC, "the allocator's guard pages: never executable"},
	{"futex", A_ANY, "locks; the threads of a lavfi graph started before the filter"},
	{"sched_yield", A_ANY, "the same threads"},
	{"getrandom", A_ANY, "FFmpeg's random seeds (RTP) and the allocator"},
	{"ioctl", A_V4L2, "V4L2 capture: dequeue and queue buffers, nothing else"},
	{"fcntl", A_FCNTL, "descriptor flags (non-blocking sockets)"},
	{"close", A_ANY, "closing what FFmpeg is done with"},
	{"fstat", A_ANY, "stdio on stderr"},
	{"newfstatat", A_ANY, "the same (glibc's fstat)"},
	{"getpid", A_ANY, "abort() and logs"},
	{"gettid", A_ANY, "abort()"},
	{"tgkill", A_SELF, "abort(): a signal to itself only"},
	{"rt_sigprocmask", A_ANY, "abort(), signal masks in libraries"},
	{"rt_sigreturn", A_ANY, "returning from a signal handler"},
	{"sigaltstack", A_ANY, "signal stacks (the sanitizer builds set them up on exit)"},
	{"restart_syscall", A_ANY, "an interrupted sleep resumed by the kernel"},
	{"exit", A_ANY, "a thread ends"},
	{"exit_group", A_ANY, "the worker ends"},
};
#define NALLOW (sizeof(allow) / sizeof(allow[0]))

static const char *const argrule_text[] = {
	[A_ANY] = "",
	[A_NOEXEC] = " (prot without PROT_EXEC)",
	[A_V4L2] = " (VIDIOC_QBUF, VIDIOC_DQBUF)",
	[A_FCNTL] = " (F_GETFL, F_SETFL, F_GETFD, F_SETFD)",
	[A_SELF] = " (own pid)",
};

void
sandbox_print(void)
{
	size_t i;

	for (i = 0; i < NALLOW; i++) {
		int nr = seccomp_syscall_resolve_name(allow[i].name);
		printf("seccomp.allow = %s%s    # %s%s\n", allow[i].name, argrule_text[allow[i].arg],
		       allow[i].why, nr == __NR_SCMP_ERROR ? " [not on this architecture]" : "");
	}
}

int
sandbox_user(const char *user, unsigned *uid, unsigned *gid, struct pt_errbuf *err)
{
	struct passwd pw, *res = NULL;
	char buf[4096];
	int r;

	r = getpwnam_r(user, &pw, buf, sizeof(buf), &res);
	if (r != 0 || res == NULL) {
		(void)snprintf(err->msg, sizeof(err->msg), "cannot find user '%s'%s%s", user,
			       r != 0 ? ": " : "", r != 0 ? strerror(r) : "");
		return -1;
	}
	if (pw.pw_uid == 0) {
		(void)snprintf(err->msg, sizeof(err->msg),
			       "cam.user '%s' is root: name an unprivileged user", user);
		return -1;
	}
	*uid = (unsigned)pw.pw_uid;
	*gid = (unsigned)pw.pw_gid;
	return 0;
}

int
sandbox_drop(const char *user, bool supplementary, struct pt_errbuf *err)
{
	unsigned uid, gid;

	if (geteuid() == 0 || getuid() == 0) {
		if (user == NULL || user[0] == '\0') {
			(void)snprintf(err->msg, sizeof(err->msg),
				       "started as root without cam.user: refusing to run as root");
			return -1;
		}
		if (sandbox_user(user, &uid, &gid, err) != 0)
			return -1;
		/* Supplementary groups first, while still allowed to set them:
		 * the user's own (video, for /dev/video*) or none at all. */
		if ((supplementary ? initgroups(user, (gid_t)gid) : setgroups(0, NULL)) != 0 ||
		    setresgid((gid_t)gid, (gid_t)gid, (gid_t)gid) != 0 ||
		    setresuid((uid_t)uid, (uid_t)uid, (uid_t)uid) != 0) {
			(void)snprintf(err->msg, sizeof(err->msg), "cannot become user '%s': %s", user,
				       strerror(errno));
			return -1;
		}
		/* There is no way back. */
		if (setuid(0) == 0 || geteuid() != (uid_t)uid || getegid() != (gid_t)gid) {
			(void)snprintf(err->msg, sizeof(err->msg),
				       "dropping to user '%s' did not hold", user);
			return -1;
		}
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
		(void)snprintf(err->msg, sizeof(err->msg), "cannot set no_new_privs: %s",
			       strerror(errno));
		return -1;
	}
	return 0;
}

/* libseccomp's SCMP_A* macros leave datum_b out of the initializer, which
 * clang's -Wmissing-field-initializers refuses: every field, here. */
static struct scmp_arg_cmp
arg_cmp(unsigned arg, enum scmp_compare op, scmp_datum_t a, scmp_datum_t b)
{
	struct scmp_arg_cmp c = {arg, op, a, b};

	return c;
}

static int
add(scmp_filter_ctx ctx, int nr, enum argrule a)
{
	int r = 0;

	switch (a) {
	case A_ANY:
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
		break;
	case A_NOEXEC:
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
				     arg_cmp(2, SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
		break;
	case A_V4L2:
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
				     arg_cmp(1, SCMP_CMP_EQ, VIDIOC_QBUF, 0));
		if (r == 0)
			r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
					     arg_cmp(1, SCMP_CMP_EQ, VIDIOC_DQBUF, 0));
		break;
	case A_FCNTL: {
		static const int cmds[] = {F_GETFL, F_SETFL, F_GETFD, F_SETFD};
		for (size_t i = 0; r == 0 && i < sizeof(cmds) / sizeof(cmds[0]); i++)
			r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
					     arg_cmp(1, SCMP_CMP_EQ, (scmp_datum_t)cmds[i], 0));
		break;
	}
	case A_SELF:
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
				     arg_cmp(0, SCMP_CMP_EQ, (scmp_datum_t)getpid(), 0));
		break;
	}
	return r;
}

int
sandbox_enter(struct pt_errbuf *err)
{
	scmp_filter_ctx ctx;
	size_t i;
	int r = -1, nr;

	/* Anything not allowed kills the whole process, every thread. */
	if ((ctx = seccomp_init(SCMP_ACT_KILL_PROCESS)) == NULL) {
		(void)snprintf(err->msg, sizeof(err->msg), "seccomp_init failed");
		return -1;
	}
	/* Every thread: a lavfi graph may have started workers already. */
	if (seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1) != 0 ||
	    seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 1) != 0) {
		(void)snprintf(err->msg, sizeof(err->msg), "seccomp: cannot set the filter attributes");
		goto out;
	}
	for (i = 0; i < NALLOW; i++) {
		nr = seccomp_syscall_resolve_name(allow[i].name);
		if (nr == __NR_SCMP_ERROR)
			continue;	/* not on this architecture (poll on arm64) */
		if (add(ctx, nr, allow[i].arg) != 0) {
			(void)snprintf(err->msg, sizeof(err->msg), "seccomp: cannot allow '%s'",
				       allow[i].name);
			goto out;
		}
	}
	if ((r = seccomp_load(ctx)) != 0) {
		(void)snprintf(err->msg, sizeof(err->msg), "seccomp: cannot load the filter: %s",
			       strerror(-r));
		r = -1;
		goto out;
	}
	r = 0;
out:
	seccomp_release(ctx);
	return r;
}
