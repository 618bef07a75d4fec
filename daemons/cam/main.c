/*
 * porter-cam: the camera agent (docs/cam.md).
 *
 *   porter-cam [-f FILE] [-n] [-d] [-v]     run (or -n: check the configuration)
 *   porter-cam reference [-f FILE] [-v]     take the reference picture
 *   porter-cam key [-f FILE]                print the camera's id and public key
 *   porter-cam refused [-f FILE]            list the clips porterd refused for good
 *   porter-cam requeue [-f FILE] CLIP...    send refused clips again
 *
 * and, started by porter-cam itself only, the input worker and the
 * clip uploader:
 *
 *   porter-cam worker -f FILE [-r] [-v]     (with the report socket on fd 3)
 *   porter-cam upload -f FILE [-v]          (clips.server set)
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cam.h"

static const char usage[] =
	"usage: porter-cam [-f FILE] [-n] [-d] [-v]\n"
	"       porter-cam reference [-f FILE] [-v]\n"
	"       porter-cam key [-f FILE]\n"
	"       porter-cam refused [-f FILE]\n"
	"       porter-cam requeue [-f FILE] CLIP...\n"
	"\n"
	"porter's camera agent: watches a video source (RTSP, V4L2, a file, or\n"
	"FFmpeg's lavfi test sources) for a stalled stream, a frozen, black or\n"
	"covered picture and a moved camera, and sends the hub a signed health\n"
	"message every second (docs/cam.md). With [clips] marks set it records the\n"
	"hub's access sessions as clips: pre-roll, session and post-roll in fMP4\n"
	"segments, sealed to the owners' keys, signed, spooled and uploaded. With\n"
	"[live] hub_key set it streams live view on the hub's signed order: fMP4\n"
	"fragments sealed to the viewer's key, uploaded at once, never spooled.\n"
	"\n"
	"  -f FILE   configuration file (INI; see porter-cam(8)); cam.input is required\n"
	"  -n        check the configuration and exit (with -v: print it and the\n"
	"            input worker's seccomp allow-list)\n"
	"  -d        stay in the foreground (systemd and tests run it so)\n"
	"  -v        verbose: log at debug level\n"
	"  -h, --help  this text\n"
	"\n"
	"reference opens the source, averages two seconds of pictures and keeps\n"
	"them as the view the camera must keep (cam.reference); signal a running\n"
	"porter-cam with SIGHUP to use it.\n"
	"key makes the camera key if there is none, and prints the camera's id and\n"
	"public key: the hub's configuration needs both.\n"
	"refused lists the clips the server refused for good (400, 404, 409, 413),\n"
	"kept in <clips.spool>/refused: one line each, the clip id, the status,\n"
	"segments, manifest and key record left, bytes, when it was refused (UTC).\n"
	"requeue moves each CLIP (its id, 32 hex digits) from there back into the\n"
	"spool; the running uploader sends it again (and moves it back if the\n"
	"server refuses it again). Run them as cam.user, or as root: they become\n"
	"cam.user first.\n"
	"\n"
	"Signals: SIGTERM/SIGINT stop; SIGHUP re-reads the file and restarts the\n"
	"input worker with it (or keeps everything if the file is invalid).\n";

/* ---- logging: one line per event, key=value, one write(2) ---- */

static int log_level = CAMLOG_INFO;
static const char *log_proc = "monitor";
static const char *const level_names[] = {"error", "warn", "info", "debug"};

void
camlog_set(int level, const char *proc)
{
	log_level = level;
	if (proc != NULL)
		log_proc = proc;
}

uint64_t
cam_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void
camlog(int l, const char *fmt, ...)
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
	n = snprintf(line, sizeof(line),
		     "ts=%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ level=%s proc=%s ", tm.tm_year + 1900,
		     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		     ts.tv_nsec / 1000000, level_names[l < 0 ? 0 : l > 3 ? 3 : l], log_proc);
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

int
main(int argc, char **argv)
{
	static struct cam_config cfg;
	struct pt_errbuf err;
	const char *conf = NULL, *test = NULL, *mode = "run";
	bool check = false, foreground = false, verbose = false, reference = false;
	const char *opts = "f:ndvh";
	int c;

	for (c = 1; c < argc; c++) {
		if (strcmp(argv[c], "--help") == 0) {
			fputs(usage, stdout);
			return 0;
		}
		if (strcmp(argv[c], "--") == 0)
			break;
	}
	if (argc > 1 && argv[1][0] != '-') {
		mode = argv[1];
		if (strcmp(mode, "reference") == 0 || strcmp(mode, "key") == 0 ||
		    strcmp(mode, "refused") == 0 || strcmp(mode, "requeue") == 0) {
			opts = "f:vh";
		} else if (strcmp(mode, "upload") == 0) {
			opts = "f:v";
		} else if (strcmp(mode, "worker") == 0) {
			opts = "f:rvX:";
		} else {
			fprintf(stderr, "porter-cam: unknown command '%s'\n", mode);
			fputs(usage, stderr);
			return 1;
		}
		argc--;
		argv++;
	}
	while ((c = getopt(argc, argv, opts)) != -1) {
		switch (c) {
		case 'f': conf = optarg; break;
		case 'n': check = true; break;
		case 'd': foreground = true; break;
		case 'v': verbose = true; break;
		case 'r': reference = true; break;
		case 'X': test = optarg; break;	/* hidden: the sandbox test */
		case 'h': fputs(usage, stdout); return 0;
		default: fputs(usage, stderr); return 1;
		}
	}
	if ((strcmp(mode, "requeue") == 0) != (optind != argc)) {
		if (strcmp(mode, "requeue") == 0)
			fprintf(stderr, "porter-cam: requeue needs the id of a refused clip\n");
		fputs(usage, stderr);
		return 1;
	}
	if (conf != NULL) {
		if (config_load(conf, &cfg, &err) != 0) {
			fprintf(stderr, "porter-cam: %s\n", err.msg);
			return strcmp(mode, "worker") == 0 ? CAM_WORKER_CONFIG : 1;
		}
	} else {
		config_defaults(&cfg);
	}
	if (verbose)
		cfg.log_level = CAMLOG_DEBUG;

	if (strcmp(mode, "worker") == 0) {
		camlog_set(cfg.log_level, "worker");
		worker_quit(worker_main(&cfg, reference, test));
	}
	if (pt_crypto_init() != PT_OK) {
		fprintf(stderr, "porter-cam: cannot initialise libsodium\n");
		return 1;
	}
	if (strcmp(mode, "upload") == 0) {
		camlog_set(cfg.log_level, "upload");
		return upload_main(&cfg);
	}
	if (strcmp(mode, "key") == 0)
		return monitor_key(&cfg);
	if (strcmp(mode, "refused") == 0 || strcmp(mode, "requeue") == 0) {
		/* The spool is cam.user's, and so is anything a compromised
		 * uploader could plant in it (a symlink for refused/ or for a
		 * clip): as root, become cam.user first, so these commands
		 * can do there only what cam.user can (review 110). */
		if (sandbox_drop(cfg.user, false, &err) != 0) {
			fprintf(stderr, "porter-cam: %s\n", err.msg);
			return 1;
		}
	}
	if (strcmp(mode, "refused") == 0)
		return upload_refused_list(&cfg, stdout);
	if (strcmp(mode, "requeue") == 0) {
		int r = 0;
		for (c = optind; c < argc; c++)
			if (upload_requeue(&cfg, argv[c]) != 0)
				r = 1;
		return r;
	}
	if (cfg.input[0] == '\0') {
		fprintf(stderr, "porter-cam: cam.input is required (%s)\n",
			conf != NULL ? conf : "no configuration file given: -f FILE");
		return 1;
	}
	if (check) {
		if (verbose) {
			config_print(&cfg);
			sandbox_print();
		}
		printf("porter-cam: configuration ok\n");
		return 0;
	}
	camlog_set(cfg.log_level, "monitor");
	if (strcmp(mode, "reference") == 0)
		return monitor_reference(&cfg, conf, verbose);
	if (!foreground && daemon(1, 1) != 0) {
		fprintf(stderr, "porter-cam: cannot daemonize: %s\n", strerror(errno));
		return 1;
	}
	return monitor_run(&cfg, conf, verbose);
}
