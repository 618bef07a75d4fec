/*
 * bench/seg_put.c: a camera's clip uploads for bench/camrevoke.sh.
 *
 *   seg_put PORT CAMERA_ID KEYFILE N
 *
 * PUTs N new segments (indices 0..N-1 of a fresh random clip id) to porterd
 * on 127.0.0.1:PORT, as porter-cam does (docs/clips.md): each body a
 * sealed segment's framing (PT_SEG_MAGIC, header, one chunk of 4 KiB; the
 * bytes are random, porterd never opens them), Porter-Camera and
 * Porter-Signature (the camera's signature over clip, index and the
 * body's SHA-256, made with KEYFILE). One keep-alive connection; every
 * answer must be 201, else exit 1. N = 0 connects and sends nothing.
 */
#define _GNU_SOURCE	/* strcasestr */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "porter/clip.h"
#include "porter/clipseal.h"
#include "porter/crypto.h"
#include "porter/keyfile.h"

#define PAYLOAD 4096u
#define BODY_LEN (PT_SEG_HEADER_LEN + PT_SEG_CHUNK_OVERHEAD + PAYLOAD)

static int
write_all(int fd, const void *p, size_t len)
{
	const char *b = p;
	ssize_t w;

	while (len > 0) {
		if ((w = write(fd, b, len)) <= 0)
			return -1;
		b += w;
		len -= (size_t)w;
	}
	return 0;
}

/* Read one answer: its status; the body is skipped (Content-Length). */
static int
read_answer(int fd)
{
	static char buf[65536];
	size_t have = 0, need;
	ssize_t r;
	char *end, *cl;
	long body = 0;
	int status = -1;

	for (;;) {
		if (have == sizeof(buf) - 1 || (r = read(fd, buf + have, sizeof(buf) - 1 - have)) <= 0)
			return -1;
		have += (size_t)r;
		buf[have] = '\0';
		if ((end = strstr(buf, "\r\n\r\n")) != NULL)
			break;
	}
	if (sscanf(buf, "HTTP/1.%*d %d", &status) != 1)
		return -1;
	if ((cl = strcasestr(buf, "\r\ncontent-length:")) != NULL && cl < end)
		body = strtol(cl + 17, NULL, 10);
	if (body < 0 || body > (long)sizeof(buf))
		return -1;
	need = (size_t)(end + 4 - buf) + (size_t)body;
	while (have < need) {
		if ((r = read(fd, buf, sizeof(buf) - 1)) <= 0)
			return -1;
		have += (size_t)r;
	}
	return status;
}

int
main(int argc, char **argv)
{
	struct pt_errbuf err = { "" };
	struct pt_secret *sec = NULL;
	struct pt_signer sg;
	struct sockaddr_in sa;
	uint8_t clip[PT_CLIP_ID_LEN], body[BODY_LEN], h[PT_HASH_LEN], sig[PT_SIG_LEN];
	char hex[2 * PT_CLIP_ID_LEN + 1], sig64[128], head[512];
	long n, i, port;
	int fd = -1, st, len, rc = 1;
	uint32_t c = PT_SEG_CHUNK_OVERHEAD - 4 + PAYLOAD;

	if (argc != 5) {
		fprintf(stderr, "usage: seg_put PORT CAMERA_ID KEYFILE N\n");
		return 2;
	}
	port = strtol(argv[1], NULL, 10);
	n = strtol(argv[4], NULL, 10);
	if (port < 1 || port > 65535 || n < 0 || n > 1000000 || pt_crypto_init() != PT_OK ||
	    (sec = pt_secret_new()) == NULL || pt_keyfile_load(argv[3], sec, &err) != PT_OK) {
		fprintf(stderr, "seg_put: bad arguments or key: %s\n", err.msg);
		goto out;
	}
	pt_signer_sodium(&sg, sec);
	pt_random(clip, sizeof(clip));
	pt_clip_id_text(clip, hex);
	memcpy(body, PT_SEG_MAGIC, PT_SEG_MAGIC_LEN);
	memset(body + PT_SEG_MAGIC_LEN, 0, PT_SEG_HEADER_LEN - PT_SEG_MAGIC_LEN);
	body[PT_SEG_HEADER_LEN] = (uint8_t)(c >> 24);
	body[PT_SEG_HEADER_LEN + 1] = (uint8_t)(c >> 16);
	body[PT_SEG_HEADER_LEN + 2] = (uint8_t)(c >> 8);
	body[PT_SEG_HEADER_LEN + 3] = (uint8_t)c;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		perror("seg_put: connect");
		goto out;
	}
	for (i = 0; i < n; i++) {
		pt_random(body + PT_SEG_HEADER_LEN + 4, BODY_LEN - PT_SEG_HEADER_LEN - 4);
		pt_crypto_sodium()->sha256(h, body, sizeof(body));
		if (pt_clip_segment_sign(&sg, clip, (uint32_t)i, h, sig) != PT_OK ||
		    pt_b64_encode(sig64, sizeof(sig64), sig, sizeof(sig)) != PT_OK) {
			fprintf(stderr, "seg_put: cannot sign\n");
			goto out;
		}
		len = snprintf(head, sizeof(head),
			       "PUT /v1/clips/%s/segments/%ld HTTP/1.1\r\nHost: 127.0.0.1\r\n"
			       "Porter-Camera: %s\r\nPorter-Signature: %s\r\n"
			       "Content-Type: application/octet-stream\r\nContent-Length: %zu\r\n\r\n",
			       hex, i, argv[2], sig64, sizeof(body));
		if (len < 0 || (size_t)len >= sizeof(head) || write_all(fd, head, (size_t)len) != 0 ||
		    write_all(fd, body, sizeof(body)) != 0) {
			fprintf(stderr, "seg_put: cannot send\n");
			goto out;
		}
		if ((st = read_answer(fd)) != 201) {
			fprintf(stderr, "seg_put: segment %ld: status %d\n", i, st);
			goto out;
		}
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	pt_secret_free(sec);
	return rc;
}
