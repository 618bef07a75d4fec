/*
 * cam_owners_peer: the camera owners message (porter/cam_owners.h) for
 * tests/integration/test_hub_cam_owners.sh.
 *
 *   cam_owners_peer sign KEYFILE HUB_ID CAMERA_ID SERIAL PUBKEY... > MSG
 *       a message signed by the key in KEYFILE (the hub's, or a stranger's)
 *   cam_owners_peer open HUB_PUBKEY FILE
 *       prints "serial=N hub=ID camera=ID keys=KID,KID..." or
 *       "refused REASON" (exit 1)
 *   cam_owners_peer send SOCKET FILE
 *       FILE as one datagram to a Unix datagram socket
 *   cam_owners_peer kid PUBKEY
 *       the key id (pt_kid) in hex
 *
 * PUBKEY: base64url or a key file, as porter reads them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "porter/cam_owners.h"
#include "porter/crypto.h"
#include "porter/keyfile.h"
#include "porter/text.h"

static int
usage(void)
{
	fprintf(stderr, "usage: cam_owners_peer sign KEYFILE HUB CAMERA SERIAL PUBKEY...\n"
			"       cam_owners_peer open HUB_PUBKEY FILE\n"
			"       cam_owners_peer send SOCKET FILE\n"
			"       cam_owners_peer kid PUBKEY\n");
	return 2;
}

static size_t
slurp(const char *path, uint8_t *buf, size_t cap)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	if (f == NULL) {
		perror(path);
		exit(2);
	}
	n = fread(buf, 1, cap, f);
	fclose(f);
	return n;
}

static int
pk_arg(const char *arg, uint8_t pk[PT_PK_LEN])
{
	struct pt_errbuf e;

	if (pt_pubkey_parse(arg, pk, &e) != PT_OK) {
		fprintf(stderr, "cam_owners_peer: '%s': %s\n", arg, e.msg);
		exit(2);
	}
	return 0;
}

static void
kid_hex(const uint8_t pk[PT_PK_LEN], char out[2 * PT_KID_LEN + 1])
{
	uint8_t kid[PT_KID_LEN];

	pt_kid(pt_crypto_sodium(), pk, kid);
	pt_hex(kid, PT_KID_LEN, out);
}

static int
cmd_sign(int argc, char **argv)
{
	struct pt_cam_owners o;
	struct pt_secret *s;
	struct pt_signer sg;
	struct pt_errbuf e;
	uint8_t msg[PT_CAM_OWNERS_MSG_MAX];
	size_t n = 0;
	int i, r;

	if (argc < 5 || argc - 4 > PT_CAM_OWNERS_MAX)
		return usage();
	memset(&o, 0, sizeof(o));
	(void)snprintf(o.hub, sizeof(o.hub), "%s", argv[1]);
	(void)snprintf(o.camera, sizeof(o.camera), "%s", argv[2]);
	o.serial = strtoull(argv[3], NULL, 10);
	for (i = 4; i < argc; i++)
		(void)pk_arg(argv[i], o.pk[o.n++]);
	if ((s = pt_secret_new()) == NULL || pt_keyfile_load(argv[0], s, &e) != PT_OK) {
		fprintf(stderr, "cam_owners_peer: '%s': cannot load the key\n", argv[0]);
		return 2;
	}
	pt_signer_sodium(&sg, s);
	r = pt_cam_owners_sign(pt_crypto_sodium(), &sg, &o, msg, sizeof(msg), &n);
	pt_secret_free(s);
	if (r != PT_OK) {
		fprintf(stderr, "cam_owners_peer: cannot sign: %s\n", pt_err_code(r));
		return 1;
	}
	return fwrite(msg, 1, n, stdout) == n ? 0 : 1;
}

static int
cmd_open(int argc, char **argv)
{
	struct pt_cam_owners o;
	uint8_t pk[PT_PK_LEN], buf[PT_CAM_OWNERS_MSG_MAX + 1];
	char hex[2 * PT_KID_LEN + 1];
	size_t n, i;
	int r;

	if (argc != 2)
		return usage();
	(void)pk_arg(argv[0], pk);
	n = slurp(argv[1], buf, sizeof(buf));
	if ((r = pt_cam_owners_open(pt_crypto_sodium(), pk, buf, n, &o)) != PT_OK) {
		printf("refused %s\n", pt_err_code(r));
		return 1;
	}
	printf("serial=%llu hub=%s camera=%s keys=", (unsigned long long)o.serial, o.hub, o.camera);
	for (i = 0; i < o.n; i++) {
		kid_hex(o.pk[i], hex);
		printf("%s%s", i > 0 ? "," : "", hex);
	}
	printf("\n");
	return 0;
}

static int
cmd_send(int argc, char **argv)
{
	struct sockaddr_un sa;
	uint8_t buf[4096];
	size_t n;
	int fd;

	if (argc != 2 || strlen(argv[0]) >= sizeof(sa.sun_path))
		return usage();
	n = slurp(argv[1], buf, sizeof(buf));
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, argv[0], strlen(argv[0]) + 1);
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0 ||
	    sendto(fd, buf, n, 0, (struct sockaddr *)&sa, sizeof(sa)) != (ssize_t)n) {
		perror("sendto");
		return 1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	uint8_t pk[PT_PK_LEN];
	char hex[2 * PT_KID_LEN + 1];

	if (pt_crypto_init() != PT_OK || argc < 2)
		return usage();
	if (strcmp(argv[1], "sign") == 0)
		return cmd_sign(argc - 2, argv + 2);
	if (strcmp(argv[1], "open") == 0)
		return cmd_open(argc - 2, argv + 2);
	if (strcmp(argv[1], "send") == 0)
		return cmd_send(argc - 2, argv + 2);
	if (strcmp(argv[1], "kid") == 0 && argc == 3) {
		(void)pk_arg(argv[2], pk);
		kid_hex(pk, hex);
		printf("%s\n", hex);
		return 0;
	}
	return usage();
}
