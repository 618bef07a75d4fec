/*
 * Cameras and clips (docs/clips.md, docs/api.md "Cameras and clips").
 *
 * Owners enrol a home's camera keys and read the home's clips. Cameras
 * upload, without a session, authenticated by their enrolled key's
 * signatures: the signed key record at START (the clip key sealed to each
 * owner), a sealed segment with a segment signature (Porter-Signature)
 * over its SHA-256, and the signed manifest. porterd checks all three,
 * keeps the ciphertext in files under [clips] dir, each segment's
 * signature beside it, the key record, the manifest and the facts in the
 * store, and can open nothing: it never sees a clip key. The key record
 * and the kept signatures let an owner open and check a clip whose
 * manifest never came (the camera destroyed mid-entry).
 *
 * Files: <dir>/<home id>/<clip id hex>/<index, 4 digits>.seg and beside
 * it <index>.sig (SHA-256 || segment signature, linked before the
 * segment), names made from the camera's enrolled home and the parsed
 * clip id and index only, never from request text. Clips are keyed by
 * (home, clip id): a camera of another home cannot squat this home's clip
 * id. A segment is written to a temporary file, fsync'd, then linked to
 * its name (link
 * fails if the name exists: two uploads of one segment cannot both win)
 * and the directory fsync'd. Idempotent: the same bytes again are 200,
 * other bytes for a stored (clip, index) 409.
 */
#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "porter/camera_stmt.h"
#include "porter/cbor.h"
#include "porter/clip.h"
#include "porter/clipseal.h"
#include "porter/keyfile.h"
#include "porter/text.h"
#include "api.h"
#include "camrevoke.h"

#define CAMERAS_PER_HOME 32
#define CAMERA_BODY_MAX 2048	/* id, key, name, and a statement of 512 bytes */
#define CLIP_HEX (2 * PT_CLIP_ID_LEN)
#define SEG_NAME_MAX (PATH_MAX + CLIP_HEX + 32)

static_assert(PT_CLIP_MANIFEST_MAX <= PT_CLIP_MANIFEST_STORE_MAX, "manifests fit the store");
static_assert(PT_CLIP_SEGMENTS_MAX <= 9999, "four digits name a segment");
static_assert(PT_CAMERA_STMT_MAX <= PT_CAMERA_STORE_STMT_MAX, "statements fit the store");

/* ---- answers ---- */

/* Unknown camera and bad signature look the same. */
static void
fail_camera(struct reply *rp)
{
	fail(rp, 401, "unauthenticated", NULL, "unknown camera or bad signature");
}

/* ---- files ---- */

static void
clips_dir(struct server *s, char out[PATH_MAX])
{
	pthread_rwlock_rdlock(&s->cfg_lock);
	memcpy(out, s->cfg.clips_dir, PATH_MAX);
	pthread_rwlock_unlock(&s->cfg_lock);
	out[PATH_MAX - 1] = '\0';
}

/* <dir>/<home>/<hex> and <dir>/<home>/<hex>/<index>.seg. false if too
 * long or the home id is not a porter id (never '.'-led: one component). */
static bool
clip_paths(struct server *s, const char *home, const uint8_t clip[PT_CLIP_ID_LEN],
	   uint32_t index, char dir[SEG_NAME_MAX], char file[SEG_NAME_MAX])
{
	char root[PATH_MAX], hx[CLIP_HEX + 1];
	int n;

	if (!pt_id_is_valid(home, strnlen(home, PT_ID_MAX + 1)))
		return false;
	clips_dir(s, root);
	pt_clip_id_text(clip, hx);
	n = snprintf(dir, SEG_NAME_MAX, "%s/%s/%s", root, home, hx);
	if (n < 0 || n >= SEG_NAME_MAX)
		return false;
	if (file == NULL)
		return true;
	n = snprintf(file, SEG_NAME_MAX, "%s/%s/%s/%04u.seg", root, home, hx, (unsigned)index);
	return n > 0 && n < SEG_NAME_MAX;
}

/* A segment's sidecar: <index>.sig beside <index>.seg. */
#define SIDECAR_LEN (PT_HASH_LEN + PT_SIG_LEN)

static bool
sidecar_path(const char *file, char out[SEG_NAME_MAX])
{
	size_t n = strlen(file);

	if (n < 4 || n >= SEG_NAME_MAX || strcmp(file + n - 4, ".seg") != 0)
		return false;
	memcpy(out, file, n - 4);
	memcpy(out + n - 4, ".sig", 5);
	return true;
}

static int
mkdir_0700(const char *path)
{
	if (mkdir(path, 0700) == 0 || errno == EEXIST)
		return PT_OK;
	plog(LOG_ERR_, "event=clip_store_error op=mkdir path=\"%s\" errno=%d", path, errno);
	return PT_EIO;
}

static int
fsync_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC), r = PT_OK;

	if (fd < 0 || fsync(fd) != 0)
		r = PT_EIO;
	if (fd >= 0)
		close(fd);
	return r;
}

/* The root, the home's and the clip's directory (made on first use);
 * *made: the clip's directory was made here (removed again on refusal). */
static int
clip_dirs(struct server *s, const char *home, const char *dir, bool *made)
{
	char root[PATH_MAX], hd[SEG_NAME_MAX];
	int n;

	*made = false;
	clips_dir(s, root);
	n = snprintf(hd, sizeof(hd), "%s/%s", root, home);
	if (n < 0 || n >= (int)sizeof(hd) || mkdir_0700(root) != PT_OK || mkdir_0700(hd) != PT_OK)
		return PT_EIO;
	if (mkdir(dir, 0700) == 0) {
		*made = true;
		return PT_OK;
	}
	return mkdir_0700(dir);
}

/* Write p to a new temporary file in dir, synced. tmp gets its name. */
static int
write_temp(const char *dir, const uint8_t *p, size_t len, char tmp[SEG_NAME_MAX])
{
	uint8_t rnd[8];
	char rh[17];
	size_t off = 0;
	ssize_t w;
	int fd, n;

	pt_random(rnd, sizeof(rnd));
	pt_hex(rnd, sizeof(rnd), rh);
	n = snprintf(tmp, SEG_NAME_MAX, "%s/.tmp-%s", dir, rh);
	if (n < 0 || n >= SEG_NAME_MAX)
		return PT_EIO;
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0)
		return PT_EIO;
	while (off < len) {
		w = write(fd, p + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	if (off != len || fsync(fd) != 0) {
		close(fd);
		unlink(tmp);
		return PT_EIO;
	}
	if (close(fd) != 0) {
		unlink(tmp);
		return PT_EIO;
	}
	return PT_OK;
}

/*
 * A stored segment's sidecar: the SHA-256 of the sealed segment and the
 * camera's segment signature over it, as checked on upload. PT_OK,
 * PT_ENOTFOUND (none: a segment stored before porterd kept them), PT_EIO.
 */
static int
sidecar_read(const char *sfile, uint8_t h[PT_HASH_LEN], uint8_t sig[PT_SIG_LEN])
{
	uint8_t rec[SIDECAR_LEN + 1];
	ssize_t n;
	int fd;

	if ((fd = open(sfile, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return errno == ENOENT ? PT_ENOTFOUND : PT_EIO;
	do
		n = read(fd, rec, sizeof(rec));
	while (n < 0 && errno == EINTR);
	close(fd);
	if (n != SIDECAR_LEN)
		return PT_EIO;
	memcpy(h, rec, PT_HASH_LEN);
	memcpy(sig, rec + PT_HASH_LEN, PT_SIG_LEN);
	return PT_OK;
}

/* Leftovers older than this are a crashed upload's, never one in flight:
 * an upload links its files seconds after writing them (porterd is the
 * only writer of the clip store). */
#define LEFTOVER_S 60

static bool
is_old(const struct stat *sb)
{
	return now_utc() - (int64_t)sb->st_mtim.tv_sec > LEFTOVER_S;
}

/*
 * The temporaries (.tmp-*) a porterd killed between write and link left
 * in a clip's directory, removed when the clip is written to again (L6,
 * docs/clips.md: part of it). Those younger than LEFTOVER_S may be
 * another upload's, in flight: kept.
 */
static void
sweep_temporaries(const char *dir)
{
	struct dirent *e;
	struct stat sb;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((e = readdir(d)) != NULL)
		if (strncmp(e->d_name, ".tmp-", 5) == 0 &&
		    fstatat(dirfd(d), e->d_name, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISREG(sb.st_mode) && is_old(&sb) &&
		    unlinkat(dirfd(d), e->d_name, 0) == 0)
			plog(LOG_INFO_, "event=clip_store_cleanup removed=\"%s/%s\"", dir, e->d_name);
	closedir(d);
}

/*
 * Link the sidecar of a segment (before the segment itself, so a stored
 * segment always has one). *made: linked here (the caller removes it if
 * the upload is refused). One there already for the same SHA-256 is this
 * body's, its signature checked when it was written: PT_OK, kept.
 * PT_ECONFLICT: one for other bytes (another upload of this index).
 */
static int
sidecar_put(const char *dir, const char *sfile, const uint8_t h[PT_HASH_LEN],
	    const uint8_t sig[PT_SIG_LEN], bool *made)
{
	uint8_t rec[SIDECAR_LEN], oh[PT_HASH_LEN], osig[PT_SIG_LEN];
	char tmp[SEG_NAME_MAX];
	int r;

	*made = false;
	memcpy(rec, h, PT_HASH_LEN);
	memcpy(rec + PT_HASH_LEN, sig, PT_SIG_LEN);
	if (write_temp(dir, rec, sizeof(rec), tmp) != PT_OK)
		return PT_EIO;
	if (link(tmp, sfile) == 0) {
		*made = true;
		unlink(tmp);
		return PT_OK;
	}
	r = errno == EEXIST ? PT_OK : PT_EIO;
	unlink(tmp);
	if (r != PT_OK)
		return r;
	if ((r = sidecar_read(sfile, oh, osig)) != PT_OK)
		return PT_EIO;
	if (pt_ct_equal(oh, h, PT_HASH_LEN))
		return PT_OK;
	return PT_ECONFLICT;
}

/* A sidecar for other bytes with no segment beside it, older than
 * LEFTOVER_S: an upload that died between the two links. Removed (true),
 * so this upload can store its own. */
static bool
sidecar_stale(const char *sfile, const char *file)
{
	struct stat sb;

	if (stat(file, &sb) == 0 || errno != ENOENT)
		return false;
	if (lstat(sfile, &sb) != 0 || !S_ISREG(sb.st_mode) || !is_old(&sb))
		return false;
	if (unlink(sfile) != 0)
		return false;
	plog(LOG_INFO_, "event=clip_store_cleanup removed=\"%s\" note=\"a signature without its"
			" segment\"", sfile);
	return true;
}

static int
read_segment(const char *file, uint8_t **out, size_t *len)
{
	struct pt_errbuf err;
	struct stat sb;

	*out = NULL;
	*len = 0;
	if (stat(file, &sb) != 0)
		return errno == ENOENT ? PT_ENOTFOUND : PT_EIO;
	return pt_file_read(file, PT_CLIP_SEGMENT_SIZE_MAX, out, len, &err) == PT_OK ? PT_OK
										       : PT_EIO;
}

/* ---- request parts ---- */

/* A clip id from the path: exactly 32 lowercase hex digits. */
static bool
path_clip(const char *p, size_t n, uint8_t clip[PT_CLIP_ID_LEN])
{
	char t[CLIP_HEX + 1];

	if (n != CLIP_HEX)
		return false;
	memcpy(t, p, n);
	t[n] = '\0';
	return pt_clip_id_parse(t, clip) == PT_OK;
}

/* A segment index: 0..PT_CLIP_SEGMENTS_MAX-1, decimal, no leading zero. */
static bool
path_index(const char *p, uint32_t *index)
{
	uint64_t v;

	if (p[0] == '0' && p[1] != '\0')
		return false;
	if (pt_uint_parse(p, 0, PT_CLIP_SEGMENTS_MAX - 1, &v) != PT_OK)
		return false;
	*index = (uint32_t)v;
	return true;
}

/*
 * The framing of a sealed segment (porter/clipseal.h), checkable without
 * the key: magic, stream header, then length-prefixed chunks of 17 ..
 * PT_SEG_CHUNK + 17 bytes filling the body exactly. What is inside only
 * the owners can check.
 */
static bool
seg_framing_ok(const uint8_t *p, size_t len)
{
	size_t o = PT_SEG_HEADER_LEN, c;

	if (len < PT_SEG_HEADER_LEN + PT_SEG_CHUNK_OVERHEAD ||
	    memcmp(p, PT_SEG_MAGIC, PT_SEG_MAGIC_LEN) != 0)
		return false;
	while (o < len) {
		if (len - o < 4)
			return false;
		c = (size_t)p[o] << 24 | (size_t)p[o + 1] << 16 | (size_t)p[o + 2] << 8 | p[o + 3];
		o += 4;
		if (c < PT_SEG_CHUNK_OVERHEAD - 4 || c > PT_SEG_CHUNK + PT_SEG_CHUNK_OVERHEAD - 4 ||
		    c > len - o)
			return false;
		o += c;
	}
	return true;
}

/* The camera named by the Porter-Camera header (or by id if not NULL). */
static bool
camera_get(struct server *s, const char *id, struct pt_camera *cam)
{
	if (id == NULL || !pt_id_is_valid(id, strnlen(id, PT_ID_MAX + 1)))
		return false;
	return pt_store_camera_by_id(s->st, id, cam) == PT_OK;
}

/* The stored manifest of a clip, verified again with the key kept with the
 * clip (m: caller's, about 50 KiB). */
static int
manifest_load(struct server *s, const struct pt_clip_row *row, uint8_t *buf, size_t *len,
	      struct pt_clip_manifest *m)
{
	int r;

	if ((r = pt_store_clip_manifest(s->st, row->home_id, row->clip, buf, PT_CLIP_MANIFEST_MAX,
					len)) != PT_OK)
		return r;
	if (pt_clip_manifest_open(pt_crypto_sodium(), row->camera_pk, buf, *len, m) != PT_OK) {
		plog(LOG_ERR_, "event=clip_store_error op=manifest_reopen");
		return PT_EIO;
	}
	return PT_OK;
}

/* ---- uploads (cameras) ---- */

/* The home's clip bytes quota, and whether used + more fits it. */
static int
quota_check(struct server *s, const char *home, uint64_t more, bool *fits)
{
	int64_t used = 0;
	size_t quota;

	pthread_rwlock_rdlock(&s->cfg_lock);
	quota = s->cfg.clips_quota;
	pthread_rwlock_unlock(&s->cfg_lock);
	if (pt_store_clip_usage(s->st, home, &used) != PT_OK || used < 0)
		return PT_EIO;
	*fits = (uint64_t)used <= quota && more <= quota - (uint64_t)used;
	return PT_OK;
}

/* A stored segment file against the upload: 200 (the same bytes), 409
 * (others) or 500 answered. Linked segment files never change, so this
 * runs outside any store transaction. */
static void
segment_compare(const char *file, const struct request *rq, struct reply *rp)
{
	uint8_t *old = NULL;
	size_t old_len = 0;

	if (read_segment(file, &old, &old_len) != PT_OK)
		fail_internal(rp);
	else if (old_len != rq->len || memcmp(old, rq->body, old_len) != 0)
		fail(rp, 409, "conflict", "body", "another segment is stored at this index");
	else
		rp->status = 200;
	free(old);
}

/* The clip row as this camera's: false with a 409 if another camera's. */
static bool
clip_is_cameras(const struct pt_clip_row *row, const struct pt_camera *cam, struct reply *rp)
{
	/* The same camera id and key (a camera re-enrolled with a new key
	 * starts new clips); the home is the key already. */
	if (strcmp(row->home_id, cam->home_id) != 0 || strcmp(row->camera, cam->id) != 0 ||
	    memcmp(row->camera_pk, cam->pk, PT_PK_LEN) != 0) {
		fail(rp, 409, "conflict", NULL, "the clip belongs to another camera");
		return false;
	}
	return true;
}

static void
segment_put(struct server *s, struct request *rq, struct reply *rp,
	    const uint8_t clip[PT_CLIP_ID_LEN], uint32_t index)
{
	const struct pt_crypto_ops *ops = pt_crypto_sodium();
	struct pt_clip_manifest *m = NULL;
	struct pt_clip_row row;
	struct pt_camera cam;
	uint8_t sig[PT_SIG_LEN], h[PT_HASH_LEN], *mbuf = NULL;
	char dir[SEG_NAME_MAX], file[SEG_NAME_MAX], tmp[SEG_NAME_MAX], hx[2 * PT_HASH_LEN + 1];
	char clip_hex[CLIP_HEX + 1], sfile[SEG_NAME_MAX];
	size_t mlen;
	struct stat sb;
	bool linked = false, in_tx = false, made = false, fits = false, sig_made = false;
	int x;

	tmp[0] = '\0';
	/* Who: the enrolled camera's signature over this body, first. */
	if (rq->signature == NULL || strlen(rq->signature) != pt_b64_len(PT_SIG_LEN) ||
	    pt_b64_decode(sig, sizeof(sig), rq->signature, strlen(rq->signature)) != PT_OK ||
	    !camera_get(s, rq->camera, &cam)) {
		fail_camera(rp);
		return;
	}
	ops->sha256(h, (const uint8_t *)rq->body, rq->len);
	if (pt_clip_segment_verify(ops, cam.pk, clip, index, h, sig) != PT_OK) {
		fail_camera(rp);
		return;
	}
	if (!camera_upload_allowed(s, rp, cam.home_id, cam.id, cam.pk))
		return;	/* revoked: nothing stored (camrevoke.h) */
	if (rq->body == NULL || !seg_framing_ok((const uint8_t *)rq->body, rq->len)) {
		fail(rp, 400, "malformed", "body", "not a sealed segment (docs/clips.md)");
		return;
	}
	if (!clip_paths(s, cam.home_id, clip, index, dir, file) || !sidecar_path(file, sfile)) {
		fail_internal(rp);
		return;
	}
	/* Reads outside the transaction: the clip is this camera's, and a
	 * segment already stored is compared, not written again. */
	x = pt_store_clip_get(s->st, cam.home_id, clip, &row);
	if (x != PT_OK && x != PT_ENOTFOUND) {
		fail_internal(rp);
		return;
	}
	if (x == PT_OK && !clip_is_cameras(&row, &cam, rp))
		return;
	if (stat(file, &sb) == 0) {
		segment_compare(file, rq, rp);
		if (rp->status != 200)
			return;
		/* Stored before porterd kept signatures: keep this one now. */
		if (stat(sfile, &sb) != 0 && sidecar_put(dir, sfile, h, sig, &sig_made) == PT_OK &&
		    sig_made)
			(void)fsync_dir(dir);
		sig_made = false;
		goto answer;
	}
	/* The quota before a byte is written (checked again in the
	 * transaction: uploads in flight). */
	if (quota_check(s, cam.home_id, rq->len + (x == PT_ENOTFOUND ? PT_STORE_CLIP_ROW_BYTES : 0),
			&fits) != PT_OK) {
		fail_internal(rp);
		return;
	}
	if (!fits) {
		fail(rp, 507, "quota", NULL, "the home's clip storage is full");
		return;
	}
	if (clip_dirs(s, cam.home_id, dir, &made) != PT_OK ||
	    write_temp(dir, (const uint8_t *)rq->body, rq->len, tmp) != PT_OK) {
		fail_internal(rp);
		goto out;
	}
	sweep_temporaries(dir);
	/* The signature first: a segment file never exists without it. */
	x = sidecar_put(dir, sfile, h, sig, &sig_made);
	if (x == PT_ECONFLICT && sidecar_stale(sfile, file))
		x = sidecar_put(dir, sfile, h, sig, &sig_made);
	if (x == PT_ECONFLICT) {
		if (stat(file, &sb) == 0) {
			segment_compare(file, rq, rp);
			if (rp->status == 200) {
				/* The stored segment is these bytes but its sidecar
				 * names others: the store is damaged. */
				plog(LOG_ERR_, "event=clip_store_error op=sidecar path=\"%s\"", sfile);
				rp->status = 0;
				fail_internal(rp);
			}
		} else
			fail(rp, 409, "conflict", "body",
			     "another segment is being stored at this index");
		goto out;
	}
	if (x != PT_OK) {
		fail_internal(rp);
		goto out;
	}
	if (link(tmp, file) != 0) {
		if (errno != EEXIST) {
			fail_internal(rp);
			goto out;
		}
		/* Stored meanwhile: the same bytes are a resend, others a conflict. */
		segment_compare(file, rq, rp);
		if (rp->status == 200) {
			unlink(tmp);
			tmp[0] = '\0';
			sig_made = false;	/* this body's: kept */
			goto answer;
		}
		goto out;
	}
	linked = true;
	if (fsync_dir(dir) != PT_OK) {
		fail_internal(rp);
		goto out;
	}

	/* Checks and the row in one transaction: a manifest stored meanwhile
	 * is seen (SQLite runs one at a time; PostgreSQL: the home lock below). */
	if (pt_store_begin(s->st) != PT_OK) {
		fail_internal(rp);
		goto out;
	}
	in_tx = true;
	/* Uploads to the home run one at a time from here (L5, docs/clips.md):
	 * "another camera's clip" and the quota, then the write. */
	if (pt_store_home_lock(s->st, cam.home_id) != PT_OK) {
		fail_internal(rp);
		goto out;
	}
	/* Again under the lock: a key revocation stored since the check
	 * above (it takes the same lock) is seen now. */
	if (!camera_upload_allowed(s, rp, cam.home_id, cam.id, cam.pk))
		goto out;
	x = pt_store_clip_get(s->st, cam.home_id, clip, &row);
	if (x != PT_OK && x != PT_ENOTFOUND) {
		fail_internal(rp);
		goto out;
	}
	if (x == PT_OK && !clip_is_cameras(&row, &cam, rp))
		goto out;
	if (x == PT_OK && row.manifest_len > 0) {
		if ((m = malloc(sizeof(*m))) == NULL || (mbuf = malloc(PT_CLIP_MANIFEST_MAX)) == NULL ||
		    manifest_load(s, &row, mbuf, &mlen, m) != PT_OK) {
			fail_internal(rp);
			goto out;
		}
		if (index >= m->n_segments || m->seg[index].size != rq->len ||
		    !pt_ct_equal(m->seg[index].sha256, h, PT_HASH_LEN)) {
			fail(rp, 409, "conflict", "body", "the segment does not match the clip's manifest");
			goto out;
		}
	}
	if (quota_check(s, cam.home_id, rq->len + (x == PT_ENOTFOUND ? PT_STORE_CLIP_ROW_BYTES : 0),
			&fits) != PT_OK) {
		fail_internal(rp);
		goto out;
	}
	if (!fits) {
		fail(rp, 507, "quota", NULL, "the home's clip storage is full");
		goto out;
	}
	memset(&row, 0, sizeof(row));
	memcpy(row.clip, clip, PT_CLIP_ID_LEN);
	memcpy(row.home_id, cam.home_id, sizeof(row.home_id));
	memcpy(row.camera, cam.id, sizeof(row.camera));
	memcpy(row.camera_pk, cam.pk, PT_PK_LEN);
	row.updated_at = now_utc();
	if (pt_store_clip_put(s->st, &row, (int64_t)rq->len, NULL, 0) != PT_OK ||
	    pt_store_commit(s->st) != PT_OK) {
		fail_internal(rp);
		goto out;
	}
	in_tx = linked = made = sig_made = false;	/* kept */
	rp->status = 201;
answer:
	pt_clip_id_text(clip, clip_hex);
	pt_hex(h, sizeof(h), hx);
	rp->body = json_pack("{s:s,s:i,s:I,s:s}", "clip", clip_hex, "index", (int)index, "size",
			     (json_int_t)rq->len, "sha256", hx);
out:
	if (in_tx)
		pt_store_rollback(s->st);
	if (linked)
		unlink(file);	/* refused after the link: nothing stays */
	if (sig_made)
		unlink(sfile);	/* after the segment: never one without the other */
	if (tmp[0] != '\0')
		unlink(tmp);
	if (made)
		(void)rmdir(dir);	/* made for this upload: empty again (or in use: kept) */
	free(m);
	free(mbuf);
}

/* The stored segments against a manifest, outside any transaction (linked
 * segment files never change): present counted, missing listed; false with
 * 409/500 answered if one does not match. hash false: existence only. */
static bool
segments_check(struct server *s, const char *home, const struct pt_clip_manifest *m,
	       bool hash, size_t *present, json_t *missing, struct reply *rp)
{
	const struct pt_crypto_ops *ops = pt_crypto_sodium();
	char dir[SEG_NAME_MAX], file[SEG_NAME_MAX];
	uint8_t *seg = NULL, h[PT_HASH_LEN];
	size_t seg_len, i;
	struct stat sb;
	int x;

	*present = 0;
	for (i = 0; i < m->n_segments; i++) {
		if (!clip_paths(s, home, m->clip, (uint32_t)i, dir, file)) {
			fail_internal(rp);
			return false;
		}
		if (!hash) {
			if (stat(file, &sb) == 0)
				(*present)++;
			else
				json_array_append_new(missing, json_integer((json_int_t)i));
			continue;
		}
		x = read_segment(file, &seg, &seg_len);
		if (x == PT_ENOTFOUND) {
			json_array_append_new(missing, json_integer((json_int_t)i));
			continue;
		}
		if (x != PT_OK) {
			fail_internal(rp);
			return false;
		}
		ops->sha256(h, seg, seg_len);
		free(seg);
		seg = NULL;
		if (seg_len != m->seg[i].size || !pt_ct_equal(h, m->seg[i].sha256, PT_HASH_LEN)) {
			fail(rp, 409, "conflict", "body", "a stored segment does not match the manifest");
			return false;
		}
		(*present)++;
	}
	return true;
}

/* The stored manifest against the upload: true if the same bytes; false
 * with 409/500 answered otherwise. */
static bool
manifest_same(struct server *s, const struct pt_clip_row *row, const struct request *rq,
	      struct reply *rp)
{
	uint8_t *old = malloc(PT_CLIP_MANIFEST_MAX);
	size_t old_len = 0;
	bool same = false;

	if (old == NULL || pt_store_clip_manifest(s->st, row->home_id, row->clip, old,
						  PT_CLIP_MANIFEST_MAX, &old_len) != PT_OK)
		fail_internal(rp);
	else if (old_len != rq->len || memcmp(old, rq->body, old_len) != 0)
		fail(rp, 409, "conflict", "body", "the clip has another manifest");
	else
		same = true;
	free(old);
	return same;
}

/* The stored key record of a clip, verified again with the key kept with
 * the clip. PT_ENOTFOUND (none yet), PT_EIO. */
static int
keyrec_load(struct server *s, const struct pt_clip_row *row, uint8_t buf[PT_CLIP_KEYREC_MAX],
	    size_t *len, struct pt_clip_keyrec *k)
{
	int r;

	if ((r = pt_store_clip_keyrec(s->st, row->home_id, row->clip, buf, PT_CLIP_KEYREC_MAX,
				      len)) != PT_OK)
		return r == PT_ENOTFOUND ? r : PT_EIO;
	if (pt_clip_keyrec_open(pt_crypto_sodium(), row->camera_pk, buf, *len, k) != PT_OK) {
		plog(LOG_ERR_, "event=clip_store_error op=keyrec_reopen");
		return PT_EIO;
	}
	return PT_OK;
}

/* A manifest against the clip's key record, if one is stored: true if
 * there is none or it names the same camera, clip, START and recipients;
 * false with 409/500 answered otherwise. */
static bool
manifest_keys_match(struct server *s, const struct pt_clip_row *row,
		    const struct pt_clip_manifest *m, struct reply *rp)
{
	uint8_t buf[PT_CLIP_KEYREC_MAX];
	struct pt_clip_keyrec k;
	size_t len;
	int x;

	if (row->keyrec_len == 0)
		return true;
	if ((x = keyrec_load(s, row, buf, &len, &k)) != PT_OK) {
		fail_internal(rp);
		return false;
	}
	if (!pt_clip_keyrec_matches(&k, m)) {
		fail(rp, 409, "conflict", "body",
		     "the manifest's keys or START are not the clip's key record's");
		return false;
	}
	return true;
}

static void
manifest_put(struct server *s, struct request *rq, struct reply *rp,
	     const uint8_t clip[PT_CLIP_ID_LEN])
{
	const struct pt_crypto_ops *ops = pt_crypto_sodium();
	struct pt_clip_manifest *m = NULL;
	struct pt_clip_row row;
	struct pt_camera cam;
	char cam_id[PT_ID_MAX + 1], clip_hex[CLIP_HEX + 1], hx[2 * PT_HASH_LEN + 1];
	uint8_t h[PT_HASH_LEN];
	size_t present = 0;
	bool in_tx = false, exists, fits = false;
	json_t *missing = NULL;
	int x;

	if (rq->body == NULL ||
	    pt_clip_manifest_camera((const uint8_t *)rq->body, rq->len, cam_id) != PT_OK) {
		fail(rp, 400, "malformed", "body", "not a clip manifest (docs/clips.md)");
		return;
	}
	if (!camera_get(s, cam_id, &cam) ||
	    (rq->camera != NULL && strcmp(rq->camera, cam_id) != 0)) {
		fail_camera(rp);
		return;
	}
	if ((m = malloc(sizeof(*m))) == NULL || (missing = json_array()) == NULL) {
		fail_internal(rp);
		goto out;
	}
	x = pt_clip_manifest_open(ops, cam.pk, (const uint8_t *)rq->body, rq->len, m);
	if (x == PT_EBADSIG) {
		fail_camera(rp);
		goto out;
	}
	if (x == PT_OK && !camera_upload_allowed(s, rp, cam.home_id, cam.id, cam.pk))
		goto out;	/* revoked: nothing stored (camrevoke.h) */
	if (x != PT_OK) {
		fail(rp, 400, "malformed", "body", "not a valid clip manifest (docs/clips.md)");
		goto out;
	}
	if (memcmp(m->clip, clip, PT_CLIP_ID_LEN) != 0) {
		fail(rp, 400, "invalid-field", "clip", "the manifest is of another clip");
		goto out;
	}
	/* Outside the transaction: an identical manifest again is 200 before
	 * any segment file is read; otherwise every stored segment is hashed
	 * here, not while holding the store. */
	x = pt_store_clip_get(s->st, cam.home_id, clip, &row);
	if (x != PT_OK && x != PT_ENOTFOUND) {
		fail_internal(rp);
		goto out;
	}
	exists = x == PT_OK;
	if (exists && !clip_is_cameras(&row, &cam, rp))
		goto out;
	if (exists && row.manifest_len > 0) {
		if (manifest_same(s, &row, rq, rp) &&
		    segments_check(s, cam.home_id, m, false, &present, missing, rp)) {
			rp->status = 200;
			goto answer;
		}
		goto out;
	}
	if (exists && !manifest_keys_match(s, &row, m, rp))
		goto out;
	if (!segments_check(s, cam.home_id, m, true, &present, missing, rp))
		goto out;

	if (pt_store_begin(s->st) != PT_OK) {
		fail_internal(rp);
		goto out;
	}
	in_tx = true;
	/* Uploads to the home run one at a time from here (L5, docs/clips.md):
	 * "another camera's clip" and the quota, then the write. */
	if (pt_store_home_lock(s->st, cam.home_id) != PT_OK) {
		fail_internal(rp);
		goto out;
	}
	/* Again under the lock: a key revocation stored since the check
	 * above (it takes the same lock) is seen now. */
	if (!camera_upload_allowed(s, rp, cam.home_id, cam.id, cam.pk))
		goto out;
	x = pt_store_clip_get(s->st, cam.home_id, clip, &row);
	if (x != PT_OK && x != PT_ENOTFOUND) {
		fail_internal(rp);
		goto out;
	}
	exists = x == PT_OK;
	if (exists && !clip_is_cameras(&row, &cam, rp))
		goto out;
	if (exists && row.manifest_len > 0) {
		/* Stored meanwhile. */
		if (!manifest_same(s, &row, rq, rp))
			goto out;
		pt_store_rollback(s->st);
		in_tx = false;
		rp->status = 200;
		goto answer;
	}
	/* A key record stored meanwhile is checked here, in the transaction. */
	if (exists && !manifest_keys_match(s, &row, m, rp))
		goto out;
	/* A segment stored since the files were hashed: the camera sends the
	 * manifest again. */
	if (exists && (size_t)row.segments > present) {
		fail(rp, 409, "conflict", "body", "a stored segment is not in the manifest");
		goto out;
	}
	if (quota_check(s, cam.home_id, rq->len + (exists ? 0 : PT_STORE_CLIP_ROW_BYTES), &fits) !=
	    PT_OK) {
		fail_internal(rp);
		goto out;
	}
	if (!fits) {
		fail(rp, 507, "quota", NULL, "the home's clip storage is full");
		goto out;
	}
	memset(&row, 0, sizeof(row));
	memcpy(row.clip, clip, PT_CLIP_ID_LEN);
	memcpy(row.home_id, cam.home_id, sizeof(row.home_id));
	memcpy(row.camera, cam.id, sizeof(row.camera));
	memcpy(row.camera_pk, cam.pk, PT_PK_LEN);
	row.declared = (int64_t)m->n_segments;
	row.start_ms = (int64_t)m->start_ms;
	row.end_ms = (int64_t)m->end_ms;
	row.updated_at = now_utc();
	pt_clip_id_text(clip, clip_hex);
	if (pt_store_clip_put(s->st, &row, 0, (const uint8_t *)rq->body, rq->len) != PT_OK ||
	    record_event(s, cam.home_id, "clip.stored",
			 json_pack("{s:s,s:s,s:I,s:I,s:i}", "clip", clip_hex, "camera", cam.id,
				   "start_seq", (json_int_t)m->start_seq, "end_seq",
				   (json_int_t)m->end_seq, "segments", (int)m->n_segments),
			 NULL) != PT_OK ||
	    pt_store_commit(s->st) != PT_OK) {
		fail_internal(rp);
		goto out;
	}
	stream_notify(s);	/* clip.stored: live streams look now */
	in_tx = false;
	rp->status = 201;
answer:
	/* The stored manifest is these bytes (stored now, or found identical
	 * by manifest_same): its hash lets the camera delete its copy. */
	ops->sha256(h, (const uint8_t *)rq->body, rq->len);
	pt_hex(h, sizeof(h), hx);
	pt_clip_id_text(clip, clip_hex);
	rp->body = json_pack("{s:s,s:s,s:i,s:i,s:O,s:I,s:s}", "clip", clip_hex, "camera", cam.id,
			     "segments", (int)m->n_segments, "stored", (int)present, "missing",
			     missing, "size", (json_int_t)rq->len, "sha256", hx);
out:
	if (in_tx)
		pt_store_rollback(s->st);
	json_decref(missing);
	free(m);
}

/* A key record against one to store: true if the same bytes; false with
 * 409/500 answered otherwise. */
static bool
keyrec_same(struct server *s, const struct pt_clip_row *row, const struct request *rq,
	    struct reply *rp)
{
	uint8_t old[PT_CLIP_KEYREC_MAX];
	size_t old_len = 0;

	if (pt_store_clip_keyrec(s->st, row->home_id, row->clip, old, sizeof(old), &old_len) !=
	    PT_OK) {
		fail_internal(rp);
		return false;
	}
	if (old_len != rq->len || memcmp(old, rq->body, old_len) != 0) {
		fail(rp, 409, "conflict", "body", "the clip has another key record");
		return false;
	}
	return true;
}

/* The key record against a stored manifest, if any (a manifest that came
 * first): false with 409/500 answered if they differ. */
static bool
keyrec_fits_manifest(struct server *s, const struct pt_clip_row *row,
		     const struct pt_clip_keyrec *k, struct reply *rp)
{
	struct pt_clip_manifest *m;
	uint8_t *buf;
	size_t len;
	bool ok = false;

	if (row->manifest_len == 0)
		return true;
	m = malloc(sizeof(*m));
	buf = malloc(PT_CLIP_MANIFEST_MAX);
	if (m == NULL || buf == NULL || manifest_load(s, row, buf, &len, m) != PT_OK)
		fail_internal(rp);
	else if (!pt_clip_keyrec_matches(k, m))
		fail(rp, 409, "conflict", "body",
		     "the key record's keys or START are not the clip's manifest's");
	else
		ok = true;
	free(m);
	free(buf);
	return ok;
}

/*
 * PUT /v1/clips/{clip}/key: the key record, sent at START before segment
 * 0. Porter-Camera names the camera (and must be the one the record
 * names); the record's signature by that enrolled key is checked before
 * anything is read. The clip is this home's: it belongs to the first
 * camera that uploads anything of it, as with segments. The same bytes
 * again: 200; others: 409. Stored in the clips row (keyrec).
 */
static void
keyrec_put(struct server *s, struct request *rq, struct reply *rp,
	   const uint8_t clip[PT_CLIP_ID_LEN])
{
	struct pt_clip_keyrec k;
	struct pt_clip_row row;
	struct pt_camera cam;
	char cam_id[PT_ID_MAX + 1], clip_hex[CLIP_HEX + 1], hx[2 * PT_HASH_LEN + 1];
	uint8_t h[PT_HASH_LEN];
	bool in_tx = false, fits = false, exists;
	int x;

	if (rq->camera == NULL || !camera_get(s, rq->camera, &cam)) {
		fail_camera(rp);
		return;
	}
	if (rq->body == NULL ||
	    pt_clip_keyrec_camera((const uint8_t *)rq->body, rq->len, cam_id) != PT_OK) {
		fail(rp, 400, "malformed", "body", "not a clip key record (docs/clips.md)");
		return;
	}
	if (strcmp(cam_id, cam.id) != 0) {
		fail_camera(rp);
		return;
	}
	x = pt_clip_keyrec_open(pt_crypto_sodium(), cam.pk, (const uint8_t *)rq->body, rq->len, &k);
	if (x == PT_EBADSIG) {
		fail_camera(rp);
		return;
	}
	if (x == PT_OK && !camera_upload_allowed(s, rp, cam.home_id, cam.id, cam.pk))
		return;	/* revoked: nothing stored (camrevoke.h) */
	if (x != PT_OK) {
		fail(rp, 400, "malformed", "body", "not a valid clip key record (docs/clips.md)");
		return;
	}
	if (memcmp(k.clip, clip, PT_CLIP_ID_LEN) != 0) {
		fail(rp, 400, "invalid-field", "clip", "the key record is of another clip");
		return;
	}
	if (pt_store_begin(s->st) != PT_OK) {
		fail_internal(rp);
		return;
	}
	in_tx = true;
	/* Uploads to the home run one at a time from here (L5, docs/clips.md):
	 * "another camera's clip" and the quota, then the write. */
	if (pt_store_home_lock(s->st, cam.home_id) != PT_OK) {
		fail_internal(rp);
		goto out;
	}
	/* Again under the lock: a key revocation stored since the check
	 * above (it takes the same lock) is seen now. */
	if (!camera_upload_allowed(s, rp, cam.home_id, cam.id, cam.pk))
		goto out;
	x = pt_store_clip_get(s->st, cam.home_id, clip, &row);
	if (x != PT_OK && x != PT_ENOTFOUND) {
		fail_internal(rp);
		goto out;
	}
	exists = x == PT_OK;
	if (exists && !clip_is_cameras(&row, &cam, rp))
		goto out;
	if (exists && row.keyrec_len > 0) {
		if (!keyrec_same(s, &row, rq, rp))
			goto out;
		pt_store_rollback(s->st);
		in_tx = false;
		rp->status = 200;
		goto answer;
	}
	if (exists && !keyrec_fits_manifest(s, &row, &k, rp))
		goto out;
	if (quota_check(s, cam.home_id, rq->len + (exists ? 0 : PT_STORE_CLIP_ROW_BYTES), &fits) !=
	    PT_OK) {
		fail_internal(rp);
		goto out;
	}
	if (!fits) {
		fail(rp, 507, "quota", NULL, "the home's clip storage is full");
		goto out;
	}
	memset(&row, 0, sizeof(row));
	memcpy(row.clip, clip, PT_CLIP_ID_LEN);
	memcpy(row.home_id, cam.home_id, sizeof(row.home_id));
	memcpy(row.camera, cam.id, sizeof(row.camera));
	memcpy(row.camera_pk, cam.pk, PT_PK_LEN);
	row.updated_at = now_utc();
	if (pt_store_clip_keyrec_put(s->st, &row, (const uint8_t *)rq->body, rq->len) != PT_OK ||
	    pt_store_commit(s->st) != PT_OK) {
		fail_internal(rp);
		goto out;
	}
	in_tx = false;
	rp->status = 201;
answer:
	/* The stored key record is these bytes (stored now, or found
	 * identical by keyrec_same): its hash lets the camera delete its copy. */
	pt_crypto_sodium()->sha256(h, (const uint8_t *)rq->body, rq->len);
	pt_hex(h, sizeof(h), hx);
	pt_clip_id_text(clip, clip_hex);
	rp->body = json_pack("{s:s,s:s,s:I,s:i,s:I,s:s}", "clip", clip_hex, "camera", cam.id,
			     "start_seq", (json_int_t)k.start_seq, "recipients", (int)k.n_keys,
			     "size", (json_int_t)rq->len, "sha256", hx);
out:
	if (in_tx)
		pt_store_rollback(s->st);
}

/* Content-Type is want (parameters after ';' allowed); else a 415. */
static bool
need_type(const struct request *rq, struct reply *rp, const char *want)
{
	const char *ct = rq->content_type;
	size_t n = strlen(want);

	if (ct != NULL && strncasecmp(ct, want, n) == 0 &&
	    (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' '))
		return true;
	fail(rp, 415, "unsupported-media-type", NULL,
	     strcmp(want, "application/cbor") == 0 ? "send the manifest or key record as application/cbor"
						   : "send the segment as application/octet-stream");
	return false;
}

/* /v1/clips/{clip}/segments/{n}, /v1/clips/{clip}/manifest,
 * /v1/clips/{clip}/key: PUT by cameras. */
void
api_clips(struct server *s, struct request *rq, struct reply *rp, const char *rest)
{
	const char *slash = strchr(rest, '/');
	uint8_t clip[PT_CLIP_ID_LEN];
	uint32_t index;

	if (slash == NULL || !path_clip(rest, (size_t)(slash - rest), clip)) {
		not_found(rp);
		return;
	}
	rest = slash + 1;
	if (strcmp(rest, "manifest") == 0) {
		if (!method_is(rq, "PUT")) {
			not_allowed(rp, "PUT");
			return;
		}
		if (need_type(rq, rp, "application/cbor"))
			manifest_put(s, rq, rp, clip);
	} else if (strcmp(rest, "key") == 0) {
		if (!method_is(rq, "PUT")) {
			not_allowed(rp, "PUT");
			return;
		}
		if (need_type(rq, rp, "application/cbor"))
			keyrec_put(s, rq, rp, clip);
	} else if (strncmp(rest, "segments/", 9) == 0 && path_index(rest + 9, &index)) {
		if (!method_is(rq, "PUT")) {
			not_allowed(rp, "PUT");
			return;
		}
		if (need_type(rq, rp, "application/octet-stream"))
			segment_put(s, rq, rp, clip, index);
	} else {
		not_found(rp);
	}
}

/* ---- owners: cameras ---- */

/*
 * A camera, with the owner-signed statement it was enrolled with
 * (base64url) and its signer's key id, or null for both: a camera
 * enrolled before statements (schema 6), which viewers call unsigned.
 * The statement was verified when it was stored; only its kid is read.
 */
static json_t *
camera_json(const struct pt_camera *c, bool revoked)
{
	char kid_hex[2 * PT_KID_LEN + 1], by_hex[2 * PT_KID_LEN + 1];
	uint8_t kid[PT_KID_LEN], by[PT_KID_LEN];
	bool signed_ = c->statement_len > 0 &&
		       pt_camera_stmt_kid(c->statement, c->statement_len, by) == PT_OK;

	pt_kid(pt_crypto_sodium(), c->pk, kid);
	hex(kid, sizeof(kid), kid_hex);
	if (signed_)
		hex(by, sizeof(by), by_hex);
	return json_pack("{s:s,s:s,s:o,s:s,s:I,s:I,s:o,s:o,s:b}", "id", c->id, "name", c->name,
			 "public_key", b64_json(c->pk, PT_PK_LEN), "key_id", kid_hex, "added_by",
			 (json_int_t)c->added_by, "created_at", (json_int_t)c->created_at,
			 "statement", signed_ ? b64_json(c->statement, c->statement_len) : json_null(),
			 "signed_by", signed_ ? json_string(by_hex) : json_null(), "revoked",
			 (int)revoked);
}

/*
 * {"id": camera id, "public_key": base64url Ed25519, "name": optional,
 *  "statement": base64url, the owner-signed camera statement (required)}:
 * the one decoder of this body, bounded, every field checked, nothing
 * unknown. The statement is only decoded from base64url here; camera_add
 * verifies it. 0, or -1 with a 400 answered.
 */
static int
camera_decode(const struct request *rq, struct reply *rp, struct pt_camera *c)
{
	json_error_t je;
	json_t *j = NULL, *v;
	const char *key, *str;
	size_t len;
	int r = -1;

	memset(c, 0, sizeof(*c));
	if (rq->body == NULL || rq->len > CAMERA_BODY_MAX ||
	    (j = json_loadb(rq->body, rq->len, JSON_REJECT_DUPLICATES, &je)) == NULL ||
	    !json_is_object(j)) {
		fail(rp, 400, "malformed", NULL, "the body is not a JSON object");
		goto out;
	}
	json_object_foreach(j, key, v) {
		if (strcmp(key, "id") != 0 && strcmp(key, "public_key") != 0 &&
		    strcmp(key, "name") != 0 && strcmp(key, "statement") != 0) {
			fail(rp, 400, "unknown-field", key, "unknown field");
			goto out;
		}
	}
	v = json_object_get(j, "id");
	if (!json_is_string(v) || (len = json_string_length(v)) == 0 || len > PT_ID_MAX ||
	    !pt_id_is_valid((str = json_string_value(v)), len)) {
		fail(rp, 400, "invalid-field", "id",
		     "a camera id: 1..64 of A-Z a-z 0-9 . _ - (as porter-cam's config names it)");
		goto out;
	}
	memcpy(c->id, str, len + 1);
	v = json_object_get(j, "public_key");
	if (!json_is_string(v) || json_string_length(v) != pt_b64_len(PT_PK_LEN) ||
	    pt_b64_decode(c->pk, PT_PK_LEN, json_string_value(v), json_string_length(v)) != PT_OK ||
	    !pt_pk_is_valid(c->pk)) {
		fail(rp, 400, "invalid-field", "public_key",
		     "the camera's Ed25519 public key, base64url (porter-cam key)");
		goto out;
	}
	v = json_object_get(j, "name");
	if (v != NULL) {
		if (!json_is_string(v) || (len = json_string_length(v)) > PT_LABEL_MAX ||
		    !pt_text_is_printable((const uint8_t *)(str = json_string_value(v)), len) ||
		    memchr(str, '\0', len) != NULL) {
			fail(rp, 400, "invalid-field", "name", "at most 100 printable characters");
			goto out;
		}
		memcpy(c->name, str, len + 1);
	}
	/* Base64url of 1..PT_CAMERA_STMT_MAX bytes: 2..683 characters. */
	v = json_object_get(j, "statement");
	if (!json_is_string(v) || (len = json_string_length(v)) < 2 ||
	    len > pt_b64_len(PT_CAMERA_STMT_MAX) || len % 4 == 1 ||
	    (c->statement_len = len / 4 * 3 + (len % 4 != 0 ? len % 4 - 1 : 0)) == 0 ||
	    c->statement_len > PT_CAMERA_STMT_MAX ||
	    pt_b64_decode(c->statement, c->statement_len, json_string_value(v), len) != PT_OK) {
		c->statement_len = 0;
		fail(rp, 400, "invalid-field", "statement",
		     "the owner-signed camera statement, base64url (porter camera add --key"
		     " OWNER_KEY signs it)");
		goto out;
	}
	r = 0;
out:
	json_decref(j);
	return r;
}

/*
 * The statement names this home, this camera, this key and this name,
 * and is signed by one of the home's owner keys. Viewers check it again
 * with the keys they trust themselves: this check only answers early.
 * true, or false with the answer set.
 */
static bool
camera_statement_check(struct server *s, const struct pt_home *home, const struct pt_camera *c,
		       struct reply *rp, char by_hex[2 * PT_KID_LEN + 1])
{
	uint8_t (*roots)[PT_PK_LEN];
	struct pt_camera_stmt st;
	size_t n = 0, idx;
	int x;

	by_hex[0] = '\0';
	if ((roots = load_roots(s, home->id, &n)) == NULL) {
		fail_internal(rp);
		return false;
	}
	x = pt_camera_stmt_verify(pt_crypto_sodium(), c->statement, c->statement_len,
				  (const uint8_t(*)[PT_PK_LEN])roots, n, &st, &idx);
	free(roots);
	if (x != PT_OK) {
		fail_reason(rp, x, "statement");
		return false;
	}
	if (!pt_camera_stmt_matches(&st, home->id, c->id, c->pk, c->name)) {
		fail(rp, 400, "invalid-field", "statement",
		     "the statement names another home, camera id, key or name than the request");
		return false;
	}
	hex(st.kid, PT_KID_LEN, by_hex);
	return true;
}

static void
camera_add(struct server *s, struct request *rq, struct reply *rp, const struct pt_home *home,
	   int role)
{
	struct pt_camera c, *cs = NULL;
	char target[PT_ID_MAX + 8], by[2 * PT_KID_LEN + 1];
	bool revoked = false;
	size_t n = 0;
	int x;

	if (!need_owner(role, rp) || !need_json(rq, rp) || camera_decode(rq, rp, &c) != 0)
		return;
	memcpy(c.home_id, home->id, sizeof(c.home_id));
	c.added_by = rq->actor;
	c.created_at = now_utc();
	if (pt_store_begin(s->st) != PT_OK) {
		fail_internal(rp);
		return;
	}
	/* The count and the insert against another enrolment of the home. */
	if (pt_store_home_lock(s->st, home->id) != PT_OK) {
		pt_store_rollback(s->st);
		fail_internal(rp);
		return;
	}
	cs = calloc(CAMERAS_PER_HOME + 1, sizeof(*cs));
	x = cs != NULL ? pt_store_camera_list(s->st, home->id, cs, CAMERAS_PER_HOME + 1, &n)
		       : PT_ENOMEM;
	free(cs);
	if (x != PT_OK || n >= CAMERAS_PER_HOME) {
		pt_store_rollback(s->st);
		if (x != PT_OK)
			fail_internal(rp);
		else
			fail(rp, 409, "limit-reached", "id", "a home has at most 32 cameras");
		return;
	}
	/* Against the owner keys read in this transaction. */
	if (!camera_statement_check(s, home, &c, rp, by)) {
		pt_store_rollback(s->st);
		return;
	}
	if ((x = pt_store_camera_insert(s->st, &c)) != PT_OK) {
		pt_store_rollback(s->st);
		fail_store(rp, x, "id", "this camera id or key is enrolled already");
		return;
	}
	if (record_event(s, home->id, "camera.added",
			 json_pack("{s:s,s:I}", "camera", c.id, "added_by", (json_int_t)c.added_by),
			 NULL) != PT_OK) {
		pt_store_rollback(s->st);
		fail_internal(rp);
		return;
	}
	(void)snprintf(target, sizeof(target), "home:%s", home->id);
	if (!commit_audited(s, rq, rp, "camera.add", target,
			    json_pack("{s:s,s:s}", "camera", c.id, "signed_by", by)))
		return;
	rp->status = 201;
	/* A key revoked before it was enrolled stays revoked: say so. */
	if (camera_keys_revoked(s, home->id, (const uint8_t(*)[PT_PK_LEN])c.pk, 1, &revoked) !=
	    PT_OK)
		revoked = false;	/* committed already; GET .../cameras tells */
	rp->body = camera_json(&c, revoked);
}

static void
camera_list(struct server *s, struct reply *rp, const struct pt_home *home)
{
	struct pt_camera *cs = calloc(CAMERAS_PER_HOME, sizeof(*cs));
	uint8_t pks[CAMERAS_PER_HOME][PT_PK_LEN];
	bool revoked[CAMERAS_PER_HOME];
	size_t n = 0, i;
	json_t *arr;

	if (cs == NULL || pt_store_camera_list(s->st, home->id, cs, CAMERAS_PER_HOME, &n) != PT_OK) {
		free(cs);
		fail_internal(rp);
		return;
	}
	for (i = 0; i < n; i++)
		memcpy(pks[i], cs[i].pk, PT_PK_LEN);
	if (camera_keys_revoked(s, home->id, (const uint8_t(*)[PT_PK_LEN])pks, n, revoked) != PT_OK) {
		free(cs);
		fail_internal(rp);
		return;
	}
	arr = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(arr, camera_json(&cs[i], revoked[i]));
	free(cs);
	rp->status = 200;
	rp->body = json_pack("{s:o}", "cameras", arr);
}

static void
camera_delete(struct server *s, struct request *rq, struct reply *rp, const struct pt_home *home,
	      int role, const char *cam_id)
{
	char target[PT_ID_MAX + 8];
	int x;

	if (!need_owner(role, rp))
		return;
	if (pt_store_begin(s->st) != PT_OK) {
		fail_internal(rp);
		return;
	}
	if ((x = pt_store_camera_delete(s->st, home->id, cam_id)) != PT_OK) {
		pt_store_rollback(s->st);
		fail_store(rp, x, NULL, "not found");
		return;
	}
	if (record_event(s, home->id, "camera.removed",
			 json_pack("{s:s,s:I}", "camera", cam_id, "removed_by", (json_int_t)rq->actor),
			 NULL) != PT_OK) {
		pt_store_rollback(s->st);
		fail_internal(rp);
		return;
	}
	(void)snprintf(target, sizeof(target), "home:%s", home->id);
	if (!commit_audited(s, rq, rp, "camera.delete", target, json_pack("{s:s}", "camera", cam_id)))
		return;
	rp->status = 204;
}

/* ---- owners: clips ---- */

static json_t *
clip_json(const struct pt_clip_row *c)
{
	char hx[CLIP_HEX + 1];

	pt_clip_id_text(c->clip, hx);
	return json_pack("{s:s,s:s,s:o,s:I,s:I,s:b,s:b,s:I,s:I,s:I,s:I,s:I}", "id", hx, "camera",
			 c->camera, "camera_key", b64_json(c->camera_pk, PT_PK_LEN), "segments",
			 (json_int_t)c->segments, "bytes", (json_int_t)c->bytes, "manifest",
			 c->manifest_len > 0, "key", c->keyrec_len > 0, "declared",
			 (json_int_t)c->declared, "start_ms",
			 (json_int_t)c->start_ms, "end_ms", (json_int_t)c->end_ms, "created_at",
			 (json_int_t)c->created_at, "updated_at", (json_int_t)c->updated_at);
}

static void
clip_list(struct server *s, struct request *rq, struct reply *rp, const struct pt_home *home)
{
	struct pt_clip_row *cs;
	int64_t after;
	size_t limit, n = 0, i;
	json_t *arr;

	if (!page_query(rq, rp, &after, &limit))
		return;
	if ((cs = calloc(limit, sizeof(*cs))) == NULL ||
	    pt_store_clip_list(s->st, home->id, after, cs, limit, &n) != PT_OK) {
		free(cs);
		fail_internal(rp);
		return;
	}
	arr = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(arr, clip_json(&cs[i]));
	rp->status = 200;
	rp->body = page_json("clips", arr, n, limit, n > 0 ? cs[n - 1].rowid : after);
	free(cs);
}

/* The clip, only if it is of this home: another home's reads as absent. */
static bool
clip_of_home(struct server *s, struct reply *rp, const struct pt_home *home,
	     const uint8_t clip[PT_CLIP_ID_LEN], struct pt_clip_row *row)
{
	int x = pt_store_clip_get(s->st, home->id, clip, row);

	if (x == PT_OK && strcmp(row->home_id, home->id) == 0)
		return true;
	if (x == PT_OK || x == PT_ENOTFOUND)
		not_found(rp);
	else
		fail_internal(rp);
	return false;
}

/* "0012.seg" -> 12. */
static bool
seg_name_index(const char *name, uint32_t *index)
{
	uint32_t v = 0;
	size_t i;

	if (strlen(name) != 8 || strcmp(name + 4, ".seg") != 0)
		return false;
	for (i = 0; i < 4; i++) {
		if (name[i] < '0' || name[i] > '9')
			return false;
		v = v * 10u + (uint32_t)(name[i] - '0');
	}
	if (v >= PT_CLIP_SEGMENTS_MAX)
		return false;
	*index = v;
	return true;
}

/*
 * Every segment file stored for the clip, in index order, with its size
 * and, from its sidecar, the SHA-256 and the camera's signature checked
 * on upload (null for a segment stored before porterd kept them): what an
 * owner needs to check a clip without a manifest, one segment at a time.
 * Nothing is hashed here. NULL on an I/O error.
 */
static json_t *
stored_segments_json(struct server *s, const char *home, const uint8_t clip[PT_CLIP_ID_LEN])
{
	char dir[SEG_NAME_MAX], file[SEG_NAME_MAX], sfile[SEG_NAME_MAX], hx[2 * PT_HASH_LEN + 1];
	uint8_t h[PT_HASH_LEN], sig[PT_SIG_LEN];
	bool *have;
	struct dirent *e;
	struct stat sb;
	uint32_t i, idx;
	json_t *arr;
	DIR *d;

	if (!clip_paths(s, home, clip, 0, dir, NULL) || (arr = json_array()) == NULL)
		return NULL;
	if ((d = opendir(dir)) == NULL)
		return errno == ENOENT ? arr : (json_decref(arr), NULL);
	if ((have = calloc(PT_CLIP_SEGMENTS_MAX, sizeof(*have))) == NULL) {
		closedir(d);
		json_decref(arr);
		return NULL;
	}
	while ((e = readdir(d)) != NULL)
		if (seg_name_index(e->d_name, &idx))
			have[idx] = true;
	closedir(d);
	for (i = 0; i < PT_CLIP_SEGMENTS_MAX; i++) {
		json_t *o;
		int x;

		if (!have[i] || !clip_paths(s, home, clip, i, dir, file) ||
		    !sidecar_path(file, sfile) || stat(file, &sb) != 0)
			continue;
		o = json_pack("{s:i,s:I}", "index", (int)i, "size", (json_int_t)sb.st_size);
		x = sidecar_read(sfile, h, sig);
		if (x == PT_OK) {
			pt_hex(h, sizeof(h), hx);
			json_object_set_new(o, "sha256", json_string(hx));
			json_object_set_new(o, "signature", b64_json(sig, PT_SIG_LEN));
		} else {
			if (x != PT_ENOTFOUND)
				plog(LOG_ERR_, "event=clip_store_error op=sidecar_read path=\"%s\"",
				     sfile);
			json_object_set_new(o, "sha256", json_null());
			json_object_set_new(o, "signature", json_null());
		}
		json_array_append_new(arr, o);
	}
	free(have);
	return arr;
}

static void
clip_get(struct server *s, struct reply *rp, const struct pt_home *home,
	 const uint8_t clip[PT_CLIP_ID_LEN])
{
	struct pt_clip_manifest *m = NULL;
	struct pt_clip_row row;
	char dir[SEG_NAME_MAX], file[SEG_NAME_MAX], hx[2 * PT_HASH_LEN + 1];
	char kid[2 * PT_KID_LEN + 1];
	uint8_t *buf = NULL;
	size_t len, i;
	struct stat sb;
	json_t *j, *segs, *keys, *missing;

	if (!clip_of_home(s, rp, home, clip, &row))
		return;
	j = clip_json(&row);
	if (row.manifest_len > 0) {
		if ((m = malloc(sizeof(*m))) == NULL || (buf = malloc(PT_CLIP_MANIFEST_MAX)) == NULL ||
		    manifest_load(s, &row, buf, &len, m) != PT_OK) {
			json_decref(j);
			fail_internal(rp);
			goto out;
		}
		segs = json_array();
		missing = json_array();
		for (i = 0; i < m->n_segments; i++) {
			bool stored = clip_paths(s, home->id, clip, (uint32_t)i, dir, file) &&
				      stat(file, &sb) == 0;
			pt_hex(m->seg[i].sha256, PT_HASH_LEN, hx);
			json_array_append_new(segs, json_pack("{s:i,s:I,s:I,s:s,s:b}", "index", (int)i,
							      "duration_ms",
							      (json_int_t)m->seg[i].duration_ms,
							      "size", (json_int_t)m->seg[i].size,
							      "sha256", hx, "stored", stored));
			if (!stored)
				json_array_append_new(missing, json_integer((json_int_t)i));
		}
		keys = json_array();
		for (i = 0; i < m->n_keys; i++) {
			pt_hex(m->key[i].kid, PT_KID_LEN, kid);
			json_array_append_new(keys, json_string(kid));
		}
		json_object_set_new(
			j, "manifest",
			json_pack("{s:I,s:I,s:I,s:I,s:s,s:I,s:I,s:o,s:o,s:o}", "start_seq",
				  (json_int_t)m->start_seq, "end_seq", (json_int_t)m->end_seq,
				  "start_ms", (json_int_t)m->start_ms, "end_ms",
				  (json_int_t)m->end_ms, "container", m->container, "preroll_ms",
				  (json_int_t)m->preroll_ms, "postroll_ms",
				  (json_int_t)m->postroll_ms, "segments", segs, "recipients", keys,
				  "signed", b64_json(buf, len)));
		json_object_set_new(j, "missing", missing);
	} else {
		json_object_set_new(j, "manifest", json_null());
	}
	if ((segs = stored_segments_json(s, home->id, clip)) == NULL) {
		json_decref(j);
		fail_internal(rp);
		goto out;
	}
	json_object_set_new(j, "stored_segments", segs);
	rp->status = 200;
	rp->body = j;
out:
	free(m);
	free(buf);
}

static void
clip_manifest_get(struct server *s, struct reply *rp, const struct pt_home *home,
		  const uint8_t clip[PT_CLIP_ID_LEN])
{
	struct pt_clip_row row;
	uint8_t *buf;
	size_t len;
	int x;

	if (!clip_of_home(s, rp, home, clip, &row))
		return;
	if ((buf = malloc(PT_CLIP_MANIFEST_MAX)) == NULL) {
		fail_internal(rp);
		return;
	}
	x = pt_store_clip_manifest(s->st, home->id, clip, buf, PT_CLIP_MANIFEST_MAX, &len);
	if (x != PT_OK) {
		free(buf);
		if (x == PT_ENOTFOUND)
			fail(rp, 404, "not-found", NULL, "the camera has not uploaded the manifest yet");
		else
			fail_internal(rp);
		return;
	}
	rp->status = 200;
	rp->data = buf;
	rp->data_len = len;
	rp->content_type = "application/cbor";
}

static void
clip_keyrec_get(struct server *s, struct reply *rp, const struct pt_home *home,
		const uint8_t clip[PT_CLIP_ID_LEN])
{
	struct pt_clip_row row;
	uint8_t *buf;
	size_t len;
	int x;

	if (!clip_of_home(s, rp, home, clip, &row))
		return;
	if ((buf = malloc(PT_CLIP_KEYREC_MAX)) == NULL) {
		fail_internal(rp);
		return;
	}
	x = pt_store_clip_keyrec(s->st, home->id, clip, buf, PT_CLIP_KEYREC_MAX, &len);
	if (x != PT_OK) {
		free(buf);
		if (x == PT_ENOTFOUND)
			fail(rp, 404, "not-found", NULL, "the camera has not uploaded the key record");
		else
			fail_internal(rp);
		return;
	}
	rp->status = 200;
	rp->data = buf;
	rp->data_len = len;
	rp->content_type = "application/cbor";
}

static void
clip_segment_get(struct server *s, struct reply *rp, const struct pt_home *home,
		 const uint8_t clip[PT_CLIP_ID_LEN], uint32_t index)
{
	struct pt_clip_row row;
	char dir[SEG_NAME_MAX], file[SEG_NAME_MAX];
	uint8_t *buf = NULL;
	size_t len = 0;
	int x;

	if (!clip_of_home(s, rp, home, clip, &row))
		return;
	if (!clip_paths(s, home->id, clip, index, dir, file)) {
		fail_internal(rp);
		return;
	}
	if ((x = read_segment(file, &buf, &len)) != PT_OK) {
		if (x == PT_ENOTFOUND)
			fail(rp, 404, "not-found", NULL, "this segment is not stored");
		else
			fail_internal(rp);
		return;
	}
	rp->status = 200;
	rp->data = buf;
	rp->data_len = len;
	rp->content_type = "application/octet-stream";
}

/* /v1/homes/{id}/cameras[/{cam}], /clips[/{clip}[/manifest|/key|/segments/{n}]] */
bool
api_home_clip(struct server *s, struct request *rq, struct reply *rp, const struct pt_account *a,
	      const struct pt_home *h, int role, const char *sub)
{
	const char *rest, *slash, *tail;
	uint8_t clip[PT_CLIP_ID_LEN];
	uint32_t index;
	size_t n;

	(void)a;
	if (strcmp(sub, "cameras") == 0) {
		if (method_is(rq, "POST"))
			camera_add(s, rq, rp, h, role);
		else if (method_is(rq, "GET"))
			camera_list(s, rp, h);
		else
			not_allowed(rp, "GET, POST");
		return true;
	}
	if (strncmp(sub, "cameras/", 8) == 0) {
		rest = sub + 8;
		n = strlen(rest);
		if (n == 0 || n > PT_ID_MAX || !pt_id_is_valid(rest, n))
			return false;
		if (method_is(rq, "DELETE"))
			camera_delete(s, rq, rp, h, role, rest);
		else
			not_allowed(rp, "DELETE");
		return true;
	}
	if (strcmp(sub, "clips") == 0) {
		if (method_is(rq, "GET"))
			clip_list(s, rq, rp, h);
		else
			not_allowed(rp, "GET");
		return true;
	}
	if (strncmp(sub, "clips/", 6) != 0)
		return false;
	rest = sub + 6;
	slash = strchr(rest, '/');
	if (!path_clip(rest, slash != NULL ? (size_t)(slash - rest) : strlen(rest), clip))
		return false;
	if (slash == NULL) {
		if (method_is(rq, "GET"))
			clip_get(s, rp, h, clip);
		else
			not_allowed(rp, "GET");
		return true;
	}
	tail = slash + 1;
	if (strcmp(tail, "manifest") == 0) {
		if (method_is(rq, "GET"))
			clip_manifest_get(s, rp, h, clip);
		else
			not_allowed(rp, "GET");
	} else if (strcmp(tail, "key") == 0) {
		if (method_is(rq, "GET"))
			clip_keyrec_get(s, rp, h, clip);
		else
			not_allowed(rp, "GET");
	} else if (strncmp(tail, "segments/", 9) == 0 && path_index(tail + 9, &index)) {
		if (method_is(rq, "GET"))
			clip_segment_get(s, rp, h, clip, index);
		else
			not_allowed(rp, "GET");
	} else {
		return false;
	}
	return true;
}
