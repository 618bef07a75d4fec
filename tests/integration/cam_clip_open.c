/*
 * cam_clip_open: the owner's side of a clip, for test_cam_clip.sh.
 *
 *   cam_clip_open DIR CAMERA_PUBKEY OWNER_KEYFILE OUT
 *
 * DIR is one clip's spool directory (porter-cam's clips.spool/<clip hex>:
 * NNNNNN.seg, NNNNNN.sig, manifest). Checks the manifest's signature by
 * the camera key and its clip id against DIR's name, opens the clip key
 * with the owner's secret key, and for each segment in the manifest
 * checks size, SHA-256 and the segment signature, opens it and appends
 * the plaintext to OUT (which is then one fragmented MP4 file). Prints
 * one line: clip= segments= duration_ms= preroll_ms= postroll_ms=
 * start_seq= end_seq= container= keys=.
 *
 * Exit: 0 opened; 3 the owner key is not a recipient or does not open
 * the clip key; 4 a signature, hash or size does not check out; 1 other.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "porter/clip.h"
#include "porter/clipseal.h"
#include "porter/cred.h"
#include "porter/crypto.h"
#include "porter/keyfile.h"

static struct pt_clip_manifest man;

static int
fail(int code, const char *what)
{
	fprintf(stderr, "cam_clip_open: %s\n", what);
	return code;
}

int
main(int argc, char **argv)
{
	const struct pt_crypto_ops *ops;
	struct pt_errbuf err;
	struct pt_secret *owner = NULL;
	uint8_t cam_pk[PT_PK_LEN], owner_pk[PT_PK_LEN], kid[PT_KID_LEN], clip[PT_CLIP_ID_LEN];
	uint8_t hash[PT_HASH_LEN], *buf = NULL, *plain = NULL, *sig = NULL, *key = NULL;
	const char *dir, *base;
	char path[4096], hex[2 * PT_CLIP_ID_LEN + 1];
	size_t len, plen, slen, i;
	uint64_t total = 0;
	FILE *out = NULL;
	int rc = 1;

	if (argc != 5) {
		fprintf(stderr, "usage: cam_clip_open DIR CAMERA_PUBKEY OWNER_KEYFILE OUT\n");
		return 1;
	}
	if (pt_crypto_init() != PT_OK)
		return 1;
	ops = pt_crypto_sodium();
	dir = argv[1];
	base = strrchr(dir, '/') != NULL ? strrchr(dir, '/') + 1 : dir;
	if (pt_clip_id_parse(base, clip) != PT_OK)
		return fail(1, "DIR is not named by a clip id");
	if (pt_pubkey_parse(argv[2], cam_pk, &err) != PT_OK)
		return fail(1, err.msg);
	if ((owner = pt_secret_new()) == NULL || pt_keyfile_load(argv[3], owner, &err) != PT_OK)
		return fail(1, "cannot load the owner key");
	pt_secret_public(owner, owner_pk);
	pt_kid(ops, owner_pk, kid);

	(void)snprintf(path, sizeof(path), "%s/manifest", dir);
	if (pt_file_read(path, PT_CLIP_MANIFEST_MAX, &buf, &len, &err) != PT_OK) {
		rc = fail(1, err.msg);
		goto out;
	}
	if (pt_clip_manifest_open(ops, cam_pk, buf, len, &man) != PT_OK) {
		rc = fail(4, "the manifest does not verify with the camera key");
		goto out;
	}
	free(buf);
	buf = NULL;
	if (memcmp(man.clip, clip, PT_CLIP_ID_LEN) != 0) {
		rc = fail(4, "the manifest is for another clip");
		goto out;
	}
	for (i = 0; i < man.n_keys; i++)
		if (memcmp(man.key[i].kid, kid, PT_KID_LEN) == 0)
			break;
	if (i == man.n_keys) {
		rc = fail(3, "the clip key is not sealed to this owner");
		goto out;
	}
	if ((key = pt_guarded_alloc(PT_CLIP_KEY_LEN)) == NULL)
		goto out;
	if (pt_clip_key_open(owner, man.key[i].sealed, key) != PT_OK) {
		rc = fail(3, "the owner key does not open the clip key");
		goto out;
	}
	if ((out = fopen(argv[4], "wb")) == NULL) {
		rc = fail(1, "cannot create OUT");
		goto out;
	}
	for (i = 0; i < man.n_segments; i++) {
		const struct pt_clip_segment *s = &man.seg[i];
		(void)snprintf(path, sizeof(path), "%s/%06zu.seg", dir, i);
		if (pt_file_read(path, PT_CLIP_SEGMENT_SIZE_MAX, &buf, &len, &err) != PT_OK) {
			rc = fail(1, err.msg);
			goto out;
		}
		ops->sha256(hash, buf, len);
		if (len != s->size || memcmp(hash, s->sha256, PT_HASH_LEN) != 0) {
			rc = fail(4, "a segment's size or hash is not the manifest's");
			goto out;
		}
		(void)snprintf(path, sizeof(path), "%s/%06zu.sig", dir, i);
		if (pt_file_read(path, PT_SIG_LEN, &sig, &slen, &err) != PT_OK || slen != PT_SIG_LEN ||
		    pt_clip_segment_verify(ops, cam_pk, clip, (uint32_t)i, hash, sig) != PT_OK) {
			rc = fail(4, "a segment signature does not verify");
			goto out;
		}
		free(sig);
		sig = NULL;
		if ((plain = malloc(len)) == NULL)
			goto out;
		if (pt_seg_open(key, clip, (uint32_t)i, buf, len, plain, &plen) != PT_OK) {
			rc = fail(4, "a segment does not open");
			goto out;
		}
		if (fwrite(plain, 1, plen, out) != plen) {
			rc = fail(1, "cannot write OUT");
			goto out;
		}
		total += s->duration_ms;
		free(plain);
		free(buf);
		plain = buf = NULL;
	}
	if (fclose(out) != 0) {
		out = NULL;
		goto out;
	}
	out = NULL;
	pt_clip_id_text(man.clip, hex);
	printf("clip=%s segments=%zu duration_ms=%llu preroll_ms=%u postroll_ms=%u start_seq=%llu"
	       " end_seq=%llu container=%s keys=%zu span_ms=%llu\n",
	       hex, man.n_segments, (unsigned long long)total, man.preroll_ms, man.postroll_ms,
	       (unsigned long long)man.start_seq, (unsigned long long)man.end_seq, man.container,
	       man.n_keys, (unsigned long long)(man.end_ms - man.start_ms));
	rc = 0;
out:
	if (out != NULL)
		fclose(out);
	free(buf);
	free(plain);
	free(sig);
	if (key != NULL)
		pt_guarded_free(key);
	pt_secret_free(owner);
	return rc;
}
