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
 * Its printing and loading, the user lookup, the drop and no_new_privs are
 * lib/sys/sandbox.c (porter/sandbox.h), shared with porter-hub.
 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/types.h>
#include <unistd.h>

#include <linux/videodev2.h>

#include "porter/sandbox.h"
#include "cam.h"

/* The argument rules (porter/sandbox.h); A_ANY: any arguments. */
#define A_ANY NULL
#define A_NOEXEC (&pt_sandbox_noexec)	/* arg 2 (prot) without PROT_EXEC */
#define A_SELF (&pt_sandbox_self)	/* tgkill: to this process only (abort()) */

/* ioctl: VIDIOC_QBUF / VIDIOC_DQBUF only */
static const uint64_t v4l2_ioctls[] = {VIDIOC_QBUF, VIDIOC_DQBUF};
static const struct pt_sandbox_rule a_v4l2 = {
	.how = PT_SANDBOX_ONE_OF, .arg = 1,
	.values = v4l2_ioctls, .n_values = PT_SANDBOX_NELEM(v4l2_ioctls),
	.text = " (VIDIOC_QBUF, VIDIOC_DQBUF)",
};
#define A_V4L2 (&a_v4l2)

/* fcntl: F_GETFL, F_SETFL, F_GETFD, F_SETFD only */
static const uint64_t fcntls[] = {F_GETFL, F_SETFL, F_GETFD, F_SETFD};
static const struct pt_sandbox_rule a_fcntl = {
	.how = PT_SANDBOX_ONE_OF, .arg = 1,
	.values = fcntls, .n_values = PT_SANDBOX_NELEM(fcntls),
	.text = " (F_GETFL, F_SETFL, F_GETFD, F_SETFD)",
};
#define A_FCNTL (&a_fcntl)

static const struct pt_sandbox_allow allow[] = {
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

static const struct pt_sandbox_table table = {allow, NALLOW, ""};

void
sandbox_print(void)
{
	pt_sandbox_print(stdout, "seccomp.allow", &table, 1);
}

/* user, and how the messages name it. */
static struct pt_sandbox_user
who(const char *user, bool supplementary)
{
	struct pt_sandbox_user u = {
		.user = user, .supplementary = supplementary,
		.user_key = "cam.user", .find_prefix = "", .drop_prefix = "",
	};

	return u;
}

int
sandbox_user(const char *user, unsigned *uid, unsigned *gid, struct pt_errbuf *err)
{
	const struct pt_sandbox_user u = who(user, false);
	uid_t pu;
	gid_t pg;

	if (pt_sandbox_lookup(&u, &pu, &pg, err) != 0)
		return -1;
	*uid = (unsigned)pu;
	*gid = (unsigned)pg;
	return 0;
}

int
sandbox_drop(const char *user, bool supplementary, struct pt_errbuf *err)
{
	const struct pt_sandbox_user u = who(user, supplementary);
	uid_t uid;
	gid_t gid;

	if (geteuid() == 0 || getuid() == 0) {
		if (user == NULL || user[0] == '\0') {
			(void)snprintf(err->msg, sizeof(err->msg),
				       "started as root without cam.user: refusing to run as root");
			return -1;
		}
		/* Supplementary groups: the user's own (video, for
		 * /dev/video*) or none at all. */
		if (pt_sandbox_lookup(&u, &uid, &gid, err) != 0 ||
		    pt_sandbox_become(&u, uid, gid, err) != 0)
			return -1;
	}
	return pt_sandbox_no_new_privs(err);
}

int
sandbox_enter(struct pt_errbuf *err)
{
	/* For every thread: a lavfi graph may have started workers already. */
	return pt_sandbox_load(&table, 1, err);
}
