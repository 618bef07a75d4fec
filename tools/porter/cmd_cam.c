/*
 * porter cam health: listen where the hub would, and check porter-cam's
 * signed health messages with the hub's own check (pt_cam_watch_*,
 * porter/cam_health.h). For setting a camera up, and for the tests.
 *
 * porter cam mark: send porter-cam a START or END mark as the hub does
 * (porter/clip.h), to record a clip by hand and in the tests.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "porter/cam_health.h"
#include "porter/clip.h"
#include "porter/keyfile.h"
#include "porter/text.h"
#include "porter.h"

/* The entry point, called from porter.c: argv[0] is "cam". */
int cmd_cam(int argc, char **argv);

static const char usage[] =
	"usage: porter cam health --socket PATH --key KEY [--id ID] [--count N]\n"
	"                         [--until STATUS] [--timeout SECONDS] [--max-age MS]\n"
	"                         [--mode OCTAL]\n"
	"\n"
	"Bind a Unix datagram socket at PATH (as the hub does), receive porter-cam's\n"
	"health messages and check each as the hub does: the camera's signature\n"
	"(KEY: its public key, or a key file), its id, freshness and order. One line\n"
	"per message: seq, status, metrics, and whether the hub would take the camera\n"
	"as healthy; or 'refused <reason>'.\n"
	"\n"
	"  --id ID          the camera id expected (default: cam)\n"
	"  --count N        stop after N accepted messages (default 1)\n"
	"  --until STATUS   stop at the first accepted message with this status bit\n"
	"                   (ok, stalled, frozen, black, moved, starting, noref);\n"
	"                   replaces --count\n"
	"  --timeout S      give up after S seconds (default 10): exit 2\n"
	"  --max-age MS     how old a message may be (default 3000)\n"
	"  --mode OCTAL     the socket's mode (default 0660)\n"
	"\n"
	"usage: porter cam mark --socket PATH start|end [--clip HEX] [--seq N]\n"
	"\n"
	"Send porter-cam's clip marks socket (clips.marks) a START or END mark, as\n"
	"the hub does at an access session's start and end. --clip: the clip id,\n"
	"32 hex digits (start: a random one if not given; end: required); --seq:\n"
	"the hub event's sequence number (default 1). Prints the clip id.\n";

static uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int
status_bit(const char *name, uint32_t *bit)
{
	static const struct {
		const char *name;
		uint32_t bit;
	} bits[] = {
		{"ok", PT_CAM_OK},	   {"stalled", PT_CAM_STALLED},	  {"frozen", PT_CAM_FROZEN},
		{"black", PT_CAM_BLACK},   {"moved", PT_CAM_MOVED},	  {"starting", PT_CAM_STARTING},
		{"noref", PT_CAM_NOREF},
	};
	size_t i;

	for (i = 0; i < sizeof(bits) / sizeof(bits[0]); i++) {
		if (strcmp(name, bits[i].name) == 0) {
			*bit = bits[i].bit;
			return 0;
		}
	}
	return -1;
}

static void
print_msg(const struct pt_cam_health *h, bool healthy)
{
	char st[64], run[2 * PT_CAM_RUN_LEN + 1];

	pt_cam_status_text(h->status, st, sizeof(st));
	pt_hex(h->run, PT_CAM_RUN_LEN, run);
	printf("seq=%llu id=%s run=%.8s status=%s pps=%u fps=%u packet_age_ms=%u luma=%u "
	       "contrast=%u change=%u match=",
	       (unsigned long long)h->seq, h->id, run, st, h->m.pps, h->m.fps, h->m.packet_age_ms,
	       h->m.luma, h->m.contrast, h->m.change);
	if (h->m.has_match)
		printf("%u", h->m.match);
	else
		printf("-");
	printf(" restarts=%u healthy=%s\n", h->m.restarts, healthy ? "yes" : "no");
	fflush(stdout);
}

static int
cam_health(int argc, char **argv)
{
	static const struct option opts[] = {
		{"socket", required_argument, NULL, 's'}, {"key", required_argument, NULL, 'k'},
		{"id", required_argument, NULL, 'i'},	  {"count", required_argument, NULL, 'c'},
		{"until", required_argument, NULL, 'u'},  {"timeout", required_argument, NULL, 't'},
		{"max-age", required_argument, NULL, 'a'}, {"mode", required_argument, NULL, 'm'},
		{"help", no_argument, NULL, 'h'},	  {NULL, 0, NULL, 0},
	};
	const char *path = NULL, *key = NULL, *id = "cam";
	uint64_t count = 1, timeout_s = 10, max_age = 3000, got = 0, deadline;
	unsigned long mode = 0660;
	uint32_t until = 0;
	uint8_t pk[PT_PK_LEN], buf[PT_CAM_HEALTH_MAX + 1];
	struct pt_cam_watch w;
	struct pt_errbuf err;
	struct sockaddr_un sa;
	struct stat st;
	char *end;
	int c, fd = -1, rc = EXIT_INPUT;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 's': path = optarg; break;
		case 'k': key = optarg; break;
		case 'i': id = optarg; break;
		case 'c':
			if (pt_uint_parse(optarg, 1, 1000000, &count) != PT_OK)
				die_usage("cam health", "--count: 1 .. 1000000");
			break;
		case 'u':
			if (status_bit(optarg, &until) != 0)
				die_usage("cam health", "--until: '%s' is not a status", optarg);
			break;
		case 't':
			if (pt_uint_parse(optarg, 1, 86400, &timeout_s) != PT_OK)
				die_usage("cam health", "--timeout: 1 .. 86400 seconds");
			break;
		case 'a':
			if (pt_uint_parse(optarg, 1, 3600000, &max_age) != PT_OK)
				die_usage("cam health", "--max-age: 1 .. 3600000 ms");
			break;
		case 'm':
			errno = 0;
			mode = strtoul(optarg, &end, 8);
			if (errno != 0 || *end != '\0' || end == optarg || mode > 0777)
				die_usage("cam health", "--mode: an octal mode such as 0660");
			break;
		case 'h': fputs(usage, stdout); return 0;
		default: fputs(usage, stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc || path == NULL || key == NULL)
		die_usage("cam health", "--socket and --key are required");
	if (pt_pubkey_parse(key, pk, &err) != PT_OK) {
		warnx_("%s", err.msg);
		return EXIT_INPUT;
	}
	if (pt_cam_watch_init(&w, id, pk, (uint32_t)max_age) != PT_OK)
		die_usage("cam health", "--id '%s' is not a valid id", id);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (path[0] == '\0' || strlen(path) >= sizeof(sa.sun_path))
		die_usage("cam health", "--socket: the path is empty or too long");
	memcpy(sa.sun_path, path, strlen(path) + 1);
	/* A socket left by an earlier listener goes; anything else stays. */
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			warnx_("'%s' exists and is not a socket", path);
			return EXIT_INPUT;
		}
		(void)unlink(path);
	}
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || chmod(path, (mode_t)mode) != 0) {
		warnx_("cannot listen at '%s': %s", path, strerror(errno));
		goto out;
	}
	deadline = mono_ms() + timeout_s * 1000u;
	for (;;) {
		struct pollfd p = {fd, POLLIN, 0};
		struct pt_cam_health h;
		uint64_t now = mono_ms();
		ssize_t n;
		int r;

		if (now >= deadline) {
			warnx_("timed out after %llu s (%llu message(s) accepted)",
			       (unsigned long long)timeout_s, (unsigned long long)got);
			goto out;
		}
		if (poll(&p, 1, (int)(deadline - now)) <= 0)
			continue;
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0)
			continue;
		now = mono_ms();
		r = pt_cam_watch_receive(&w, pt_crypto_sodium(), buf, (size_t)n, now, &h);
		if (r != PT_OK) {
			printf("refused %s\n", pt_err_code(r));
			fflush(stdout);
			continue;
		}
		got++;
		print_msg(&h, pt_cam_watch_is_healthy(&w, now));
		if (until != 0 ? (h.status & until) != 0 : got >= count)
			break;
	}
	rc = 0;
out:
	if (fd >= 0) {
		close(fd);
		(void)unlink(path);
	}
	return rc;
}

static int
cam_mark(int argc, char **argv)
{
	static const struct option opts[] = {
		{"socket", required_argument, NULL, 's'}, {"clip", required_argument, NULL, 'c'},
		{"seq", required_argument, NULL, 'q'},	  {"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *path = NULL, *clip = NULL, *seq = "1";
	struct pt_clip_mark m;
	struct sockaddr_un sa;
	struct timespec ts;
	uint8_t buf[PT_CLIP_MARK_MAX];
	char hex[2 * PT_CLIP_ID_LEN + 1];
	uint64_t v;
	size_t n;
	int c, fd;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 's': path = optarg; break;
		case 'c': clip = optarg; break;
		case 'q': seq = optarg; break;
		case 'h': fputs(usage, stdout); return 0;
		default: die_usage("cam mark", "unknown option");
		}
	}
	if (path == NULL || optind + 1 != argc)
		die_usage("cam mark", "--socket and one of start, end are required");
	memset(&m, 0, sizeof(m));
	if (strcmp(argv[optind], "start") == 0)
		m.kind = PT_CLIP_MARK_START;
	else if (strcmp(argv[optind], "end") == 0)
		m.kind = PT_CLIP_MARK_END;
	else
		die_usage("cam mark", "'%s' is neither start nor end", argv[optind]);
	if (clip != NULL) {
		if (pt_clip_id_parse(clip, m.clip) != PT_OK)
			die_usage("cam mark", "--clip '%s' is not 32 hex digits", clip);
	} else if (m.kind == PT_CLIP_MARK_END) {
		die_usage("cam mark", "end needs --clip");
	} else {
		pt_random(m.clip, sizeof(m.clip));
	}
	if (pt_uint_parse(seq, 1, INT64_MAX, &v) != PT_OK)
		die_usage("cam mark", "--seq '%s' is not a number from 1", seq);
	m.event_seq = v;
	clock_gettime(CLOCK_REALTIME, &ts);
	m.time_ms = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
	if (pt_clip_mark_encode(&m, buf, sizeof(buf), &n) != PT_OK) {
		warnx_("cannot encode the mark");
		return EXIT_INPUT;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (path[0] == '\0' || strlen(path) >= sizeof(sa.sun_path))
		die_usage("cam mark", "--socket: the path is empty or too long");
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0 ||
	    sendto(fd, buf, n, 0, (struct sockaddr *)&sa, sizeof(sa)) != (ssize_t)n) {
		warnx_("cannot send to '%s': %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return EXIT_INPUT;
	}
	close(fd);
	pt_clip_id_text(m.clip, hex);
	printf("%s\n", hex);
	return 0;
}

int
cmd_cam(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "health") == 0)
		return cam_health(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "mark") == 0)
		return cam_mark(argc - 1, argv + 1);
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs(usage, stdout);
		return 0;
	}
	fputs(usage, stderr);
	return EXIT_USAGE;
}
