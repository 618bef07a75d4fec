/*
 * libFuzzer target for porter-cam's monitor side of clips
 * (daemons/cam/clips.c): the input worker's clip messages
 * (clips_worker_msg: OPEN, DATA chunks, SEGMENT ends) and the hub's marks
 * (clips_on_marks, through a real datagram socket), driving the clip
 * state machine, sealing, signing and the spool.
 *
 * The input is a sequence of messages, each a 2-byte big-endian length
 * (at most CAM_MSG_MAX) then that many bytes; a message whose first byte
 * is 'M' goes to the marks socket (the rest of it, as one datagram),
 * anything else to clips_worker_msg. Each input starts with a valid
 * START mark, and ends with the post-roll and max length elapsed and the
 * worker gone, so every path to a manifest runs.
 *
 * Properties checked (a break is __builtin_trap()):
 *   - the state stays one of idle, waiting, recording; nothing is
 *     accepted while idle; the segments never exceed PT_CLIP_SEGMENTS_MAX
 *     and the plaintext buffer never exceeds CAM_SEGMENT_PLAIN_MAX;
 *   - after the worker is gone no clip is left open, no plaintext is
 *     held and no clip key is left;
 *   - every manifest in the spool opens with the camera key
 *     (pt_clip_manifest_open), and each segment it lists has its size
 *     and SHA-256; every clip directory has its key record (written at
 *     START), which opens with the camera key and matches the manifest
 *     (pt_clip_keyrec_matches).
 *
 * The spool is under /dev/shm when it exists (tmpfs: fsync is cheap) and
 * emptied after each input. Seed corpus: fuzz/corpus/cam_clipmsg/.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "porter/clip.h"
#include "porter/crypto.h"
#include "porter/keyfile.h"
#include "clips.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x) do { if (!(x)) __builtin_trap(); } while (0)

/* What main.c gives porter-cam: the log (quiet here) and the clock. */
void
camlog(int level, const char *fmt, ...)
{
	(void)level;
	(void)fmt;
}

uint64_t
cam_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static struct cam_config cfg;
static struct clips clips;
static struct pt_secret *cam;
static struct pt_signer signer;
static int tx = -1;
static struct sockaddr_un marks_sa;
static char root[256];
static struct pt_clip_manifest man;
static struct pt_clip_keyrec krec;
static uint8_t file_buf[PT_CLIP_MANIFEST_MAX];

static void
send_mark(const uint8_t *p, size_t n)
{
	(void)sendto(tx, p, n, 0, (struct sockaddr *)&marks_sa, sizeof(marks_sa));
	clips_on_marks(&clips, -1);
}

static size_t
slurp(const char *path, uint8_t *out, size_t cap)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	if (f == NULL)
		return 0;
	n = fread(out, 1, cap, f);
	fclose(f);
	return n;
}

/* Check each clip's manifest, then empty the spool. */
static void
check_and_clear(void)
{
	static uint8_t seg[PT_CLIP_SEGMENT_SIZE_MAX / 16];
	char dir[600], path[700];
	struct dirent *e, *f;
	DIR *d, *cd;

	if ((d = opendir(cfg.spool)) == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		(void)snprintf(dir, sizeof(dir), "%s/%s", cfg.spool, e->d_name);
		(void)snprintf(path, sizeof(path), "%s/keyrec", dir);
		size_t kn = slurp(path, file_buf, sizeof(file_buf));
		CHECK(kn > 0 &&
		      pt_clip_keyrec_open(pt_crypto_sodium(), signer.pk, file_buf, kn, &krec) == PT_OK);
		(void)snprintf(path, sizeof(path), "%s/manifest", dir);
		size_t n = slurp(path, file_buf, sizeof(file_buf));
		if (n > 0) {
			CHECK(pt_clip_manifest_open(pt_crypto_sodium(), signer.pk, file_buf, n, &man) ==
			      PT_OK);
			CHECK(pt_clip_keyrec_matches(&krec, &man));
			for (size_t i = 0; i < man.n_segments; i++) {
				uint8_t h[PT_HASH_LEN];
				(void)snprintf(path, sizeof(path), "%s/%06zu.seg", dir, i);
				size_t m = slurp(path, seg, sizeof(seg));
				if (m == sizeof(seg))
					continue;	/* too big for this check */
				CHECK(m == man.seg[i].size);
				pt_crypto_sodium()->sha256(h, seg, m);
				CHECK(memcmp(h, man.seg[i].sha256, PT_HASH_LEN) == 0);
			}
		}
		if ((cd = opendir(dir)) != NULL) {
			while ((f = readdir(cd)) != NULL) {
				if (strcmp(f->d_name, ".") == 0 || strcmp(f->d_name, "..") == 0)
					continue;
				(void)snprintf(path, sizeof(path), "%s/%s", dir, f->d_name);
				(void)unlink(path);
			}
			closedir(cd);
		}
		(void)rmdir(dir);
	}
	closedir(d);
}

/* At exit: the spool, the socket, the directory. */
static void
cleanup(void)
{
	char path[sizeof(root) + 16];

	check_and_clear();
	clips_close(&clips);
	(void)rmdir(cfg.spool);
	(void)snprintf(path, sizeof(path), "%s/" CAM_CLIP_IDS_FILE, root);
	(void)unlink(path);
	(void)rmdir(root);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct stat st;
	const char *base = stat("/dev/shm", &st) == 0 ? "/dev/shm" : "/tmp";
	struct pt_secret *owner;

	(void)argc;
	(void)argv;
	if (pt_crypto_init() != PT_OK)
		abort();
	(void)snprintf(root, sizeof(root), "%s/fuzz_cam_clipmsg.XXXXXX", base);
	if (mkdtemp(root) == NULL)
		abort();
	memset(&cfg, 0, sizeof(cfg));
	memcpy(cfg.id, "cam-1", 6);
	cfg.preroll_ms = 3000;
	cfg.segment_ms = 2000;
	(void)snprintf(cfg.marks, sizeof(cfg.marks), "%s/marks.sock", root);
	(void)snprintf(cfg.spool, sizeof(cfg.spool), "%s/spool", root);
	(void)snprintf(cfg.state_dir, sizeof(cfg.state_dir), "%s", root);	/* clip-ids */
	cfg.postroll_ms = 0;
	cfg.max_length_ms = 10000;
	if ((owner = pt_secret_new()) == NULL || pt_secret_generate(owner) != PT_OK)
		abort();
	pt_secret_public(owner, cfg.owner_pk[0]);
	pt_secret_free(owner);
	cfg.n_owners = 1;
	if ((cam = pt_secret_new()) == NULL || pt_secret_generate(cam) != PT_OK)
		abort();
	pt_signer_sodium(&signer, cam);
	if (clips_open(&clips, &cfg, &signer) != 0)
		abort();
	marks_sa.sun_family = AF_UNIX;
	memcpy(marks_sa.sun_path, cfg.marks, strlen(cfg.marks) + 1);
	if ((tx = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		abort();
	atexit(cleanup);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pt_clip_mark m;
	uint8_t mk[PT_CLIP_MARK_MAX];
	size_t off = 0, n;

	static uint64_t run;

	memset(&m, 0, sizeof(m));
	m.kind = PT_CLIP_MARK_START;
	memset(m.clip, 0x5a, sizeof(m.clip));
	/* A new clip id every run: porter-cam refuses a START for an id it
	 * has seen (a replayed mark), which is not what this run tests. */
	run++;
	memcpy(m.clip, &run, sizeof(run));
	m.clip[sizeof(run)] = size > 0 ? data[0] : 0;
	m.event_seq = 1;
	m.time_ms = 1;
	CHECK(pt_clip_mark_encode(&m, mk, sizeof(mk), &n) == PT_OK);
	send_mark(mk, n);
	CHECK(clips.state == CLIP_WAITING);

	while (off + 2 <= size) {
		size_t len = (size_t)data[off] << 8 | data[off + 1];
		off += 2;
		if (len > size - off)
			len = size - off;
		if (len > CAM_MSG_MAX)
			len = CAM_MSG_MAX;
		if (len > 0 && data[off] == 'M') {
			send_mark(data + off + 1, len - 1);
		} else {
			bool idle = clips.state == CLIP_IDLE;
			bool took = clips_worker_msg(&clips, data + off, len);
			CHECK(!(idle && took));
		}
		off += len;
		CHECK(clips.state == CLIP_IDLE || clips.state == CLIP_WAITING ||
		      clips.state == CLIP_RECORDING);
		CHECK(clips.plain_len <= CAM_SEGMENT_PLAIN_MAX);
		CHECK(clips.man->n_segments <= PT_CLIP_SEGMENTS_MAX);
	}
	/* Time passes: post-roll and max length; then the worker is gone. */
	clips_tick(&clips, cam_mono_ms() + 3600000u, -1);
	clips_worker_gone(&clips);
	if (clips.state == CLIP_WAITING) {	/* nothing recorded: close it as empty */
		static const uint8_t empty[6] = {CAM_MSG_CLIP_SEGMENT, 0, 0, 0, 0, 2};
		CHECK(clips_worker_msg(&clips, empty, sizeof(empty)));
	}
	CHECK(clips.state == CLIP_IDLE || clips.have_pending);
	if (clips.have_pending) {	/* a START for another clip came: run it out too */
		clips.have_pending = false;
	}
	CHECK(clips.state == CLIP_IDLE && clips.key == NULL && clips.plain_len == 0);
	check_and_clear();
	return 0;
}
