/*
 * porter-cam internals: the configuration, the log, the two processes.
 *
 *   monitor  (main.c, monitor.c) holds the camera key, runs the input
 *            worker, adds "stalled", signs and sends the health message
 *            to the hub every second. Never touches video.
 *   worker   (worker.c) opens the source with FFmpeg, then drops
 *            privileges and enters its seccomp sandbox (sandbox.c),
 *            decodes and analyses (analysis.c), reports to the monitor
 *            on fd 3 with the health payload (unsigned). One worker per
 *            connection: a lost source ends it, the monitor starts a
 *            new one after a back-off. It is exec'd afresh, so it never
 *            shares an address space with the key.
 *            With clips on, it also keeps the pre-roll ring and muxes
 *            clip segments (record.c), sent to the monitor as bytes.
 *   clips    (clips.c, in the monitor) the hub's marks, the clip key,
 *            sealing and signing segments and manifests, the spool.
 *   uploader (upload.c) a third exec'd process, no key: the spool to
 *            porterd over HTTP with libcurl.
 *   live     with [live] hub_key: the hub's signed orders come on the
 *            marks socket; the worker muxes live fragments (record.c),
 *            the monitor seals and signs them per session (clips.c),
 *            the uploader PUTs them from a thread of its own, fed over
 *            a socketpair (its fd CAM_LIVE_FD), never the spool.
 *
 * docs/cam.md is the description; docs/man/porter-cam.8 the manual.
 */
#ifndef PORTER_CAM_CAM_H
#define PORTER_CAM_CAM_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "porter/cam_health.h"
#include "porter/keyfile.h"
#include "analysis.h"

#define CAM_VERSION "0.1.0"
#define CAM_PATH_MAX 512
#define CAM_INPUT_MAX 1024
#define CAM_USER_MAX 64
#define CAM_REPORT_FD 3		/* the worker's end of the socketpair */
#define CAM_OWNERS_MAX 8	/* = PT_CLIP_RECIPIENTS_MAX */
#define CAM_URL_MAX 512

enum { CAMLOG_ERR, CAMLOG_WARN, CAMLOG_INFO, CAMLOG_DEBUG };
enum cam_pace { CAM_PACE_AUTO, CAM_PACE_YES, CAM_PACE_NO };
enum cam_decode { CAM_DECODE_ALL, CAM_DECODE_KEY };

struct cam_config {
	char id[PT_ID_MAX + 1];
	char input[CAM_INPUT_MAX];
	char state_dir[CAM_PATH_MAX];
	char key[CAM_PATH_MAX];
	char reference[CAM_PATH_MAX];
	char hub_socket[CAM_PATH_MAX];
	char user[CAM_USER_MAX];
	uint32_t interval_ms;
	/* [input] */
	uint32_t open_timeout_ms, io_timeout_ms, backoff_min_ms, backoff_max_ms;
	int pace;			/* enum cam_pace */
	int decode;			/* enum cam_decode */
	char rtsp_transport[8];		/* tcp | udp */
	/* [health] */
	uint32_t analyse_fps, stall_ms;
	struct cam_limits lim;
	/* [clips] */
	char marks[CAM_PATH_MAX];
	char owners[2048];
	char server[CAM_URL_MAX];
	char spool[CAM_PATH_MAX];
	char cacert[CAM_PATH_MAX];	/* a private CA for clips.server; empty: the system's */
	char encoder[32];
	uint32_t preroll_ms, postroll_ms, segment_ms, max_length_ms;
	size_t n_owners;
	uint8_t owner_pk[CAM_OWNERS_MAX][PT_PK_LEN];
	/* [live] (docs/cam.md, "Live view") */
	char live_hub_key[CAM_PATH_MAX];	/* as set; empty: live view off */
	uint32_t live_sessions, live_fragment_ms;
	bool live_on;
	uint8_t hub_pk[PT_PK_LEN];
	int log_level;
};

/* config.c */
void config_defaults(struct cam_config *c);
int config_load(const char *path, struct cam_config *c, struct pt_errbuf *err);
void config_print(const struct cam_config *c);

/* main.c: one line per event, key=value, on stderr; proc= names the process. */
void camlog_set(int level, const char *proc);
void camlog(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
uint64_t cam_mono_ms(void);

/* sandbox.c */
/* Resolve the configured user (getpwnam_r): uid, gid. 0, or -1 with err. */
int sandbox_user(const char *user, unsigned *uid, unsigned *gid, struct pt_errbuf *err);
/* Started as root: become user (its supplementary groups with
 * supplementary true, none otherwise); refuses root without a user.
 * Not root: nothing to drop. Then no_new_privs. */
int sandbox_drop(const char *user, bool supplementary, struct pt_errbuf *err);
/* The worker's seccomp allow-list, loaded for every thread. */
int sandbox_enter(struct pt_errbuf *err);
/* For docs and `porter-cam -n -v`: the allow-list, one line per entry. */
void sandbox_print(void);

/* worker.c: porter-cam worker [-r] [-X TEST]. Returns the exit code. */
enum {
	CAM_WORKER_OK = 0,		/* reference taken, or monitor gone */
	CAM_WORKER_CONFIG = 2,		/* configuration refused */
	CAM_WORKER_SANDBOX = 3,		/* could not drop privileges / load the filter */
	CAM_WORKER_EOF = 10,		/* the source ended */
	CAM_WORKER_IO = 11,		/* read error or timeout */
	CAM_WORKER_OPEN = 12,		/* could not open the source */
	CAM_WORKER_NOVIDEO = 13,	/* no video stream or decoder */
};
int worker_main(const struct cam_config *cfg, bool reference, const char *test);
/* End the worker (exit_group, nothing else runs). */
void worker_quit(int code) __attribute__((noreturn));
const char *worker_exit_text(int code);

/* Messages on the socketpair, worker -> monitor: one type byte, then */
#define CAM_MSG_REPORT 'H'	/* a health payload (porter/cam_health.h), unsigned */
#define CAM_MSG_REF 'R'		/* CAM_PIX bytes: the reference picture */
/* Clips (record.c -> clips.c). Worker -> monitor: */
#define CAM_MSG_CLIP_OPEN 'O'	/* u32 BE: pre-roll recorded, ms */
#define CAM_MSG_CLIP_DATA 'D'	/* 1..CAM_CLIP_CHUNK bytes of the open segment */
#define CAM_MSG_CLIP_SEGMENT 'G'	/* u32 BE duration ms, u8: 0 more follow, 1 last,
				 * 2 nothing was recorded (no data before it) */
/* Monitor -> worker, one byte each: */
#define CAM_MSG_CLIP_BEGIN 'B'	/* start a clip from the pre-roll */
#define CAM_MSG_CLIP_FINISH 'F'	/* close it now */
#define CAM_CLIP_CHUNK 60000u
/* Live view (record.c -> live in clips.c). Worker -> monitor: */
#define CAM_MSG_LIVE_DATA 'V'	/* 1..CAM_CLIP_CHUNK bytes of the open live fragment */
#define CAM_MSG_LIVE_FRAG 'W'	/* u8 kind (CAM_LIVE_*), u64 BE capture ms (wall clock),
				 * u32 BE duration ms: the fragment is complete */
#define CAM_LIVE_INIT 0		/* the initialization segment (ftyp + moov) */
#define CAM_LIVE_MEDIA 1	/* moof + mdat, from a key frame */
#define CAM_LIVE_FAILED 2	/* the live muxer stopped on an error (no data) */
/* Monitor -> worker, one byte each: */
#define CAM_MSG_LIVE_START 'S'	/* produce live fragments (init first, from a key frame) */
#define CAM_MSG_LIVE_STOP 'T'	/* stop producing them */
/* A live fragment's fMP4 bytes at most: sealed, with the header, it stays
 * within PT_LIVE_FRAGMENT_MAX (4 MiB). */
#define CAM_LIVE_PLAIN_MAX (4u * 1024u * 1024u - 8192u)
/* The uploader's end of the live socketpair (SOCK_STREAM; framing in
 * clips.h), when [live] is on. */
#define CAM_LIVE_FD 3
/* A segment's plaintext at most: its sealed form (30 + 21 per 64 KiB
 * chunk + the plaintext: 8 MiB - 1,378 bytes at most) stays within
 * porterd's default [clips] max_segment, 8 MiB, so no segment the camera
 * makes is refused as too large (413) by a porterd with its defaults. */
#define CAM_SEGMENT_PLAIN_MAX (8u * 1024u * 1024u - 4096u)
#define CAM_MSG_MAX (1u + CAM_CLIP_CHUNK)

/* reference.c: the reference picture file (binary PGM, 64 x 36).
 * load: PT_OK, PT_ENOTFOUND (no file: no reference), another PT_E*. */
int reference_load(const char *path, uint8_t pix[CAM_PIX], struct pt_errbuf *err);
int reference_save(const char *path, const uint8_t pix[CAM_PIX], struct pt_errbuf *err);

/* The spool's directory for clips the server refused for good (a 4xx
 * that a retry cannot change): kept as evidence, no longer uploaded. */
#define CAM_SPOOL_REFUSED "refused"
/* A clip directory's key record (clips.c writes it at START, upload.c
 * sends it first). */
#define CAM_SPOOL_KEYREC "keyrec"

/* refused/<clip>/status: the HTTP status that refused it (upload.c). */
#define CAM_SPOOL_REFUSED_STATUS "status"

/* upload.c: porter-cam upload: the spool to clips.server. Exit code. */
int upload_main(const struct cam_config *cfg);
/* porter-cam refused: one line per clip in spool/refused on out, sorted
 * by id. Exit code (0: listed, or nothing was ever refused). */
int upload_refused_list(const struct cam_config *cfg, FILE *out);
/* porter-cam requeue CLIP: spool/refused/CLIP back into the spool (its
 * status file removed). Exit code; errors on stderr. */
int upload_requeue(const struct cam_config *cfg, const char *hex);

/* For the health message (monitor.c, docs/cam.md "Refused clips reach
 * the owner"): how many clips spool/refused holds and the newest of them
 * (by its status file's time, else its directory's; ties: the larger
 * id), with its status (0: unreadable) and that time. f zeroed when
 * there is none. *complete is false when the newest has no status file
 * yet (the uploader writes it just after the move): look again soon.
 * 0, or -1 when spool/refused cannot be read (f zeroed). */
int upload_refused_newest(const struct cam_config *cfg, struct pt_cam_refused *f, bool *complete);

/* monitor.c */
int monitor_run(const struct cam_config *cfg, const char *conf, bool verbose);
int monitor_reference(const struct cam_config *cfg, const char *conf, bool verbose);
/* `porter-cam key`: load or create the key, print its public half. */
int monitor_key(const struct cam_config *cfg);

#endif
