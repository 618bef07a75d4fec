/*
 * cam_live_open: the viewer's side of a live session, for
 * test_cam_live.sh (porter/live.h; docs/live.md, "The viewer").
 *
 *   cam_live_open keygen PREFIX
 *       a fresh X25519 key pair (crypto_box_keypair): PREFIX.xpk and
 *       PREFIX.xsk (0600), 64 hex digits each; prints the public key.
 *   cam_live_open open DIR CAMERA_PUBKEY CAMERA_ID PREFIX OUT [gaps]
 *       DIR is what cam_live_sink.py stored for one session (keyrec,
 *       NNNNNN.frag, NNNNNN.sig). Verifies the key record with the
 *       camera key and checks that it names DIR's session, CAMERA_ID and
 *       this viewer key, opens the live key with PREFIX.xsk, then for
 *       fragments 0, 1, ... in order: the fragment signature (as porterd
 *       checks it), the header (session, index), the sealed segment, and
 *       that the sealed capture time and duration are the header's; the
 *       plaintext goes to OUT (fragment 0, the init, first). Prints one
 *       line per fragment: index= capture_ms= duration_ms= bytes=, then
 *       fragments=N. A missing fragment fails, unless "gaps": then it is
 *       skipped as a viewer skips what porterd dropped (gap= lines).
 *
 * Exit: 0 opened; 3 the live key does not open with this viewer key; 4
 * a signature, header, seal or gap does not check out; 1 other.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sodium.h>

#include "porter/clipseal.h"
#include "porter/crypto.h"
#include "porter/keyfile.h"
#include "porter/live.h"
#include "porter/text.h"

static int
fail(int code, const char *what, long index)
{
	if (index >= 0)
		fprintf(stderr, "cam_live_open: fragment %ld: %s\n", index, what);
	else
		fprintf(stderr, "cam_live_open: %s\n", what);
	return code;
}

static int
hexparse(const char *s, size_t slen, uint8_t *out, size_t len)
{
	size_t i;
	unsigned v;

	while (slen > 0 && (s[slen - 1] == '\n' || s[slen - 1] == ' '))
		slen--;
	if (slen != 2 * len)
		return -1;
	for (i = 0; i < len; i++) {
		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (uint8_t)v;
	}
	return 0;
}

static int
read_hex(const char *path, uint8_t *out, size_t len)
{
	struct pt_errbuf err;
	uint8_t *b = NULL;
	size_t n;
	int r;

	if (pt_file_read(path, 200, &b, &n, &err) != PT_OK)
		return -1;
	r = hexparse((const char *)b, n, out, len);
	sodium_memzero(b, n);
	free(b);
	return r;
}

static uint64_t
get64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static int
keygen(const char *prefix)
{
	uint8_t pk[PT_LIVE_XPK_LEN], sk[PT_LIVE_XSK_LEN];
	char hex[2 * PT_LIVE_XSK_LEN + 2], path[4096];
	struct pt_errbuf err;

	if (crypto_box_keypair(pk, sk) != 0 || !pt_live_xpk_is_valid(pk))
		return 1;
	pt_hex(sk, sizeof(sk), hex);
	sodium_memzero(sk, sizeof(sk));
	hex[2 * PT_LIVE_XSK_LEN] = '\n';
	hex[2 * PT_LIVE_XSK_LEN + 1] = '\0';
	(void)snprintf(path, sizeof(path), "%s.xsk", prefix);
	if (pt_file_write(path, (const uint8_t *)hex, strlen(hex), 0600, &err) != PT_OK)
		return fail(1, err.msg, -1);
	sodium_memzero(hex, sizeof(hex));
	pt_hex(pk, sizeof(pk), hex);
	hex[2 * PT_LIVE_XPK_LEN] = '\n';
	hex[2 * PT_LIVE_XPK_LEN + 1] = '\0';
	(void)snprintf(path, sizeof(path), "%s.xpk", prefix);
	if (pt_file_write(path, (const uint8_t *)hex, strlen(hex), 0644, &err) != PT_OK)
		return fail(1, err.msg, -1);
	fputs(hex, stdout);
	return 0;
}

int
main(int argc, char **argv)
{
	const struct pt_crypto_ops *ops;
	struct pt_live_keyrec k;
	struct pt_live_hdr h;
	struct pt_errbuf err;
	struct stat st;
	uint8_t cam_pk[PT_PK_LEN], session[PT_LIVE_ID_LEN], xpk[PT_LIVE_XPK_LEN];
	uint8_t xsk[PT_LIVE_XSK_LEN], sha[PT_HASH_LEN];
	uint8_t *key = NULL, *buf = NULL, *sig = NULL, *plain = NULL;
	const char *dir, *base;
	char path[4096];
	size_t len, slen, plen;
	uint32_t n, got = 0;
	FILE *out = NULL;
	int rc = 1;

	if (pt_crypto_init() != PT_OK)
		return 1;
	ops = pt_crypto_sodium();
	if (argc == 3 && strcmp(argv[1], "keygen") == 0)
		return keygen(argv[2]);
	if ((argc != 7 && !(argc == 8 && strcmp(argv[7], "gaps") == 0)) ||
	    strcmp(argv[1], "open") != 0) {
		fprintf(stderr, "usage: cam_live_open keygen PREFIX\n"
				"       cam_live_open open DIR CAMERA_PUBKEY CAMERA_ID PREFIX OUT [gaps]\n");
		return 1;
	}
	dir = argv[2];
	base = strrchr(dir, '/') != NULL ? strrchr(dir, '/') + 1 : dir;
	if (pt_live_id_parse(base, session) != PT_OK)
		return fail(1, "DIR is not named by a session id", -1);
	if (pt_pubkey_parse(argv[3], cam_pk, &err) != PT_OK)
		return fail(1, err.msg, -1);
	(void)snprintf(path, sizeof(path), "%s.xpk", argv[5]);
	if (read_hex(path, xpk, sizeof(xpk)) != 0)
		return fail(1, "cannot read the viewer's public key", -1);
	(void)snprintf(path, sizeof(path), "%s.xsk", argv[5]);
	if (read_hex(path, xsk, sizeof(xsk)) != 0)
		return fail(1, "cannot read the viewer's secret key", -1);

	/* The key record: the camera's signature before any field. */
	(void)snprintf(path, sizeof(path), "%s/keyrec", dir);
	if (pt_file_read(path, PT_LIVE_KEYREC_MAX + 1, &buf, &len, &err) != PT_OK) {
		rc = fail(4, err.msg, -1);
		goto out;
	}
	if (pt_live_keyrec_open(ops, cam_pk, buf, len, &k) != PT_OK) {
		rc = fail(4, "the key record does not verify with the camera key", -1);
		goto out;
	}
	free(buf);
	buf = NULL;
	if (strcmp(k.camera, argv[4]) != 0 || memcmp(k.session, session, PT_LIVE_ID_LEN) != 0 ||
	    memcmp(k.viewer_xpk, xpk, PT_LIVE_XPK_LEN) != 0 || strcmp(k.container, "mp4") != 0) {
		rc = fail(4, "the key record names another camera, session or viewer key", -1);
		goto out;
	}
	if ((key = pt_guarded_alloc(PT_LIVE_KEY_LEN)) == NULL)
		goto out;
	if (pt_live_key_open(xpk, xsk, k.sealed, key) != PT_OK) {
		rc = fail(3, "the live key does not open with this viewer key", -1);
		goto out;
	}
	printf("keyrec camera=%s seq=%llu start_ms=%llu expiry_ms=%llu\n", k.camera,
	       (unsigned long long)k.event_seq, (unsigned long long)k.start_ms,
	       (unsigned long long)k.expiry_ms);
	if ((out = fopen(argv[6], "wb")) == NULL)
		goto out;
	for (n = 0;; n++) {
		(void)snprintf(path, sizeof(path), "%s/%06u.frag", dir, n);
		if (stat(path, &st) != 0 && argc == 8 && n > 0) {
			uint32_t m;
			for (m = n + 1; m < n + 100; m++) {
				(void)snprintf(path, sizeof(path), "%s/%06u.frag", dir, m);
				if (stat(path, &st) == 0)
					break;
			}
			if (m == n + 100)
				break;
			printf("gap=%u-%u\n", n, m - 1);
			n = m;
		} else if (stat(path, &st) != 0) {
			break;
		}
		got++;
		if (pt_file_read(path, PT_LIVE_FRAGMENT_MAX + 1, &buf, &len, &err) != PT_OK) {
			rc = fail(4, err.msg, n);
			goto out;
		}
		(void)snprintf(path, sizeof(path), "%s/%06u.sig", dir, n);
		if (pt_file_read(path, PT_SIG_LEN + 1, &sig, &slen, &err) != PT_OK ||
		    slen != PT_SIG_LEN) {
			rc = fail(4, "no signature", n);
			goto out;
		}
		ops->sha256(sha, buf, len);
		if (pt_live_fragment_verify(ops, cam_pk, session, n, sha, sig) != PT_OK) {
			rc = fail(4, "the fragment signature does not verify", n);
			goto out;
		}
		if (pt_live_hdr_decode(buf, len, &h) != PT_OK || h.index != n ||
		    memcmp(h.session, session, PT_LIVE_ID_LEN) != 0) {
			rc = fail(4, "the header does not decode or names another place", n);
			goto out;
		}
		if ((plain = malloc(len)) == NULL)
			goto out;
		if (pt_seg_open(key, session, n, buf + PT_LIVE_HDR_LEN, len - PT_LIVE_HDR_LEN, plain,
				&plen) != PT_OK || plen < PT_LIVE_PREFIX_LEN) {
			rc = fail(4, "the sealed segment does not open", n);
			goto out;
		}
		if (get64(plain) != h.capture_ms ||
		    (uint32_t)(get64(plain + 4) & 0xffffffffu) != h.duration_ms) {
			rc = fail(4, "the header's capture time or duration is not the sealed one", n);
			goto out;
		}
		if (fwrite(plain + PT_LIVE_PREFIX_LEN, 1, plen - PT_LIVE_PREFIX_LEN, out) !=
		    plen - PT_LIVE_PREFIX_LEN)
			goto out;
		printf("index=%u capture_ms=%llu duration_ms=%u bytes=%zu\n", n,
		       (unsigned long long)h.capture_ms, h.duration_ms, plen - PT_LIVE_PREFIX_LEN);
		sodium_memzero(plain, plen);
		free(plain);
		free(buf);
		free(sig);
		plain = buf = sig = NULL;
	}
	/* Nothing stored after a gap. */
	for (len = 1; n > 0 && len < 100; len++) {
		(void)snprintf(path, sizeof(path), "%s/%06zu.frag", dir, n + len);
		if (stat(path, &st) == 0) {
			rc = fail(4, "a fragment is missing", n);
			goto out;
		}
	}
	if (n == 0) {
		rc = fail(4, "no fragment 0", 0);
		goto out;
	}
	printf("fragments=%u\n", got);
	rc = 0;
out:
	sodium_memzero(xsk, sizeof(xsk));
	if (key != NULL)
		pt_guarded_free(key);
	if (plain != NULL)
		free(plain);
	free(buf);
	free(sig);
	if (out != NULL && fclose(out) != 0 && rc == 0)
		rc = 1;
	return rc;
}
