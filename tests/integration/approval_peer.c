/*
 * approval_peer: owner approvals (PT_ENV_APPROVAL, docs/alarm.md "Ask the
 * owner") for tests/integration/test_approval_relay.sh, made and read with
 * libporter, so that the test can send what `porter approval` would not
 * (an old one, one for another home) and check what reached the hub's topic.
 *
 *   approval_peer sign --key OWNER_KEY --home H --request HEX --session HEX
 *                      --op approve|deny [--age SECONDS]
 *       the signed approval, base64url, on stdout; issued SECONDS ago
 *       (negative: in the future)
 *   approval_peer show --pub OWNER_PUB --home H
 *       one line of hex on stdin (mosquitto_sub -F %x): verified as an
 *       approval of home H by that key (skew 600 s), then
 *       "<approve|deny> <request hex> <session hex>" on stdout
 *
 * Exit 0 on success, 1 on a usage error, 2 otherwise (the reason on stderr).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "porter/crypto.h"
#include "porter/envelope.h"
#include "porter/keyfile.h"
#include "porter/text.h"

static int
hex_parse(const char *s, uint8_t *out, size_t len)
{
	size_t i;
	unsigned v;

	if (strlen(s) != 2 * len)
		return -1;
	for (i = 0; i < len; i++) {
		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (uint8_t)v;
	}
	return 0;
}

static int
sign(const char *key, const char *home, const char *request, const char *session,
     const char *op, long age)
{
	uint8_t buf[PT_ENVELOPE_SIZE_MAX];
	char b64[PT_ENVELOPE_SIZE_MAX * 2];
	struct pt_envelope e;
	struct pt_secret *s;
	struct pt_errbuf err;
	struct pt_signer sg;
	size_t len;
	int r;

	memset(&e, 0, sizeof(e));
	e.kind = PT_ENV_APPROVAL;
	if (strlen(home) > PT_ID_MAX || hex_parse(request, e.nonce, PT_CTI_LEN) != 0 ||
	    hex_parse(session, e.target, PT_CTI_LEN) != 0) {
		fprintf(stderr, "approval_peer: bad --home, --request or --session\n");
		return 1;
	}
	memcpy(e.aud, home, strlen(home) + 1);
	e.target_len = PT_CTI_LEN;
	e.op = strcmp(op, "approve") == 0 ? PT_APPROVE : strcmp(op, "deny") == 0 ? PT_DENY : 0;
	if (e.op == 0) {
		fprintf(stderr, "approval_peer: --op approve or deny\n");
		return 1;
	}
	e.iat = (int64_t)time(NULL) - age;
	if ((s = pt_secret_new()) == NULL || pt_keyfile_load(key, s, &err) != PT_OK) {
		fprintf(stderr, "approval_peer: %s\n", s == NULL ? "out of memory" : err.msg);
		pt_secret_free(s);
		return 2;
	}
	pt_signer_sodium(&sg, s);
	r = pt_envelope_sign(pt_crypto_sodium(), &sg, &e, buf, sizeof(buf), &len);
	pt_secret_free(s);
	if (r != PT_OK || pt_b64_encode(b64, sizeof(b64), buf, len) != PT_OK) {
		fprintf(stderr, "approval_peer: cannot sign: %s\n", pt_err_text(r));
		return 2;
	}
	printf("%s\n", b64);
	return 0;
}

static int
show(const char *pub, const char *home)
{
	uint8_t pk[1][PT_PK_LEN], buf[PT_ENVELOPE_SIZE_MAX];
	char line[4 * PT_ENVELOPE_SIZE_MAX], req[2 * PT_CTI_LEN + 1], ses[2 * PT_CTI_LEN + 1];
	struct pt_envelope e;
	struct pt_errbuf err;
	size_t n, idx;
	int r;

	if (pt_pubkey_parse(pub, pk[0], &err) != PT_OK) {
		fprintf(stderr, "approval_peer: %s\n", err.msg);
		return 2;
	}
	if (fgets(line, sizeof(line), stdin) == NULL) {
		fprintf(stderr, "approval_peer: nothing on stdin\n");
		return 2;
	}
	n = strcspn(line, "\r\n");
	line[n] = '\0';
	if (n == 0 || n % 2 != 0 || n / 2 > sizeof(buf) || hex_parse(line, buf, n / 2) != 0) {
		fprintf(stderr, "approval_peer: not one line of hex\n");
		return 2;
	}
	r = pt_envelope_verify(pt_crypto_sodium(), buf, n / 2, PT_ENV_APPROVAL,
			       (const uint8_t (*)[PT_PK_LEN])pk, 1, home, (int64_t)time(NULL), 600,
			       &e, &idx);
	if (r != PT_OK) {
		fprintf(stderr, "approval_peer: refused: %s\n", pt_err_text(r));
		return 2;
	}
	pt_hex(e.nonce, PT_CTI_LEN, req);
	pt_hex(e.target, PT_CTI_LEN, ses);
	printf("%s %s %s\n", e.op == PT_APPROVE ? "approve" : "deny", req, ses);
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"key", required_argument, NULL, 'k'},	   {"pub", required_argument, NULL, 'p'},
		{"home", required_argument, NULL, 'm'},	   {"request", required_argument, NULL, 'r'},
		{"session", required_argument, NULL, 's'}, {"op", required_argument, NULL, 'o'},
		{"age", required_argument, NULL, 'a'},	   {NULL, 0, NULL, 0},
	};
	const char *key = NULL, *pub = NULL, *home = NULL, *request = NULL, *session = NULL;
	const char *op = NULL;
	long age = 0;
	char *end;
	int ch;

	if (argc < 2 || pt_crypto_init() != PT_OK)
		return 1;
	optind = 2;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'k': key = optarg; break;
		case 'p': pub = optarg; break;
		case 'm': home = optarg; break;
		case 'r': request = optarg; break;
		case 's': session = optarg; break;
		case 'o': op = optarg; break;
		case 'a':
			age = strtol(optarg, &end, 10);
			if (*end != '\0')
				return 1;
			break;
		default: return 1;
		}
	}
	if (strcmp(argv[1], "sign") == 0 && key && home && request && session && op)
		return sign(key, home, request, session, op, age);
	if (strcmp(argv[1], "show") == 0 && pub && home)
		return show(pub, home);
	fprintf(stderr, "usage: approval_peer sign|show ... (see the file)\n");
	return 1;
}
