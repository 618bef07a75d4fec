/*
 * pair_peer: pairing statements for tests/integration/test_hub_pair_uplink.sh,
 * made with libporter as an owner's device (or an attacker holding a
 * server) would: the body porterd publishes on porter/v1/hub/<id>/pair,
 * or a whole link PAIR frame.
 *
 *   pair_peer -k SIGNER_KEY -m HOME -K HUB_PUBKEY NONCE -o OUT [-f] [-N]
 *     NONCE, one of:
 *       -c CODE    the MAC of the code (pt_pairing_nonce), as porter does
 *       -r CODE    the code itself, as the nonce (the old format)
 *       -n HEX     these 16 bytes (a nonce taken from another statement)
 *     -f   write a link PAIR frame, not the body
 *     -N   print the statement's nonce in hex on stdout
 *     -O PUBKEY  the key carried in the message's owner field (default:
 *                the signer's)
 *     -B HOME    the home carried in the message's home field (default:
 *                the statement's, -m)
 *     -1   sign under the old AAD, porter/pairing/v1 (an older porter's
 *          statement; with -r, exactly what it made)
 *     -s PATH    also write the statement alone, base64url, to PATH (for
 *                POST /v1/homes/{id}/hubs)
 *
 * Exit 0, or 1 with a message on stderr.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "porter/cose.h"
#include "porter/crypto.h"
#include "porter/envelope.h"
#include "porter/keyfile.h"
#include "porter/link.h"
#include "porter/text.h"

static int
fail(const char *what)
{
	fprintf(stderr, "pair_peer: %s\n", what);
	return 1;
}

static int
unhex(const char *s, uint8_t *out, size_t n)
{
	size_t i;
	unsigned v;

	if (strlen(s) != 2 * n)
		return -1;
	for (i = 0; i < n; i++) {
		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (uint8_t)v;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	static uint8_t out[PT_LINK_FRAME_MAX];
	const char *key = NULL, *home = NULL, *hub = NULL, *path = NULL, *owner_arg = NULL;
	const char *code = NULL, *raw = NULL, *nhex = NULL, *body_home = NULL, *st_path = NULL;
	uint8_t hub_pk[PT_PK_LEN], st[PT_ENVELOPE_SIZE_MAX], c[PT_PAIRING_CODE_LEN];
	uint8_t v2[PT_ENVELOPE_SIZE_MAX], kid[PT_KID_LEN];
	char hex[2 * PT_CTI_LEN + 1], b64[2 * PT_ENVELOPE_SIZE_MAX];
	struct pt_sign1 s1;
	struct pt_secret *s = NULL;
	struct pt_signer sg;
	struct pt_envelope e;
	struct pt_link_pair m;
	struct pt_errbuf err;
	size_t st_len, n;
	bool frame = false, show = false, v1 = false;
	FILE *fp;
	int ch, rc = 1;

	while ((ch = getopt(argc, argv, "k:m:K:c:r:n:o:O:B:s:fN1")) != -1) {
		switch (ch) {
		case 'k': key = optarg; break;
		case 'm': home = optarg; break;
		case 'K': hub = optarg; break;
		case 'c': code = optarg; break;
		case 'r': raw = optarg; break;
		case 'n': nhex = optarg; break;
		case 'o': path = optarg; break;
		case 'O': owner_arg = optarg; break;
		case 'B': body_home = optarg; break;
		case 's': st_path = optarg; break;
		case '1': v1 = true; break;
		case 'f': frame = true; break;
		case 'N': show = true; break;
		default: return fail("usage: pair_peer -k KEY -m HOME -K HUBKEY -c|-r CODE|-n HEX -o OUT [-f] [-N] [-1] [-O PUB] [-B HOME] [-s PATH]");
		}
	}
	if (key == NULL || home == NULL || hub == NULL || path == NULL ||
	    (code != NULL) + (raw != NULL) + (nhex != NULL) != 1)
		return fail("-k, -m, -K, -o and one of -c, -r, -n are required");
	if (pt_crypto_init() != PT_OK || (s = pt_secret_new()) == NULL)
		return fail("no crypto");
	if (pt_keyfile_load(key, s, &err) != PT_OK || pt_pubkey_parse(hub, hub_pk, &err) != PT_OK) {
		fprintf(stderr, "pair_peer: %s\n", err.msg);
		goto out;
	}
	pt_signer_sodium(&sg, s);
	memset(&e, 0, sizeof(e));
	e.kind = PT_ENV_PAIRING;
	if (strlen(home) > PT_ID_MAX) {
		fail("home too long");
		goto out;
	}
	memcpy(e.aud, home, strlen(home) + 1);
	memcpy(e.target, hub_pk, PT_PK_LEN);
	e.target_len = PT_PK_LEN;
	e.iat = (int64_t)time(NULL);
	if (code != NULL || raw != NULL) {
		const char *t = code != NULL ? code : raw;

		if (strlen(t) != 22 || pt_b64_decode(c, sizeof(c), t, 22) != PT_OK) {
			fail("not a pairing code");
			goto out;
		}
		if (raw != NULL)
			memcpy(e.nonce, c, sizeof(c));
		else if (pt_pairing_nonce(e.nonce, c, home, hub_pk, sg.pk) != PT_OK) {
			fail("pt_pairing_nonce refused");
			goto out;
		}
	} else if (unhex(nhex, e.nonce, sizeof(e.nonce)) != 0) {
		fail("-n: 32 hex digits");
		goto out;
	}
	if (pt_envelope_sign(pt_crypto_sodium(), &sg, &e, st, sizeof(st), &st_len) != PT_OK) {
		fail("cannot sign");
		goto out;
	}
	/* The old format: the same claims, signed under the v1 AAD. */
	if (v1) {
		memcpy(v2, st, st_len);
		pt_kid(pt_crypto_sodium(), sg.pk, kid);
		if (pt_sign1_decode(v2, st_len, &s1) != PT_OK ||
		    pt_sign1_sign(&sg, kid, PT_KID_LEN, (const uint8_t *)"porter/pairing/v1", 17,
				  s1.payload, s1.payload_len, st, sizeof(st), &st_len) != PT_OK) {
			fail("cannot sign under v1");
			goto out;
		}
	}
	if (st_path != NULL) {
		if (pt_b64_encode(b64, sizeof(b64), st, st_len) != PT_OK ||
		    (fp = fopen(st_path, "w")) == NULL || fputs(b64, fp) == EOF || fclose(fp) != 0) {
			fail("cannot write the statement");
			goto out;
		}
	}
	if (body_home == NULL)
		body_home = home;
	if (strlen(body_home) > PT_ID_MAX) {
		fail("-B: home too long");
		goto out;
	}
	memset(&m, 0, sizeof(m));
	memcpy(m.home, body_home, strlen(body_home) + 1);
	memcpy(m.owner, sg.pk, PT_PK_LEN);
	if (owner_arg != NULL && pt_pubkey_parse(owner_arg, m.owner, &err) != PT_OK) {
		fprintf(stderr, "pair_peer: -O: %s\n", err.msg);
		goto out;
	}
	m.statement = st;
	m.statement_len = st_len;
	if ((frame ? pt_link_pair_encode(&m, out, sizeof(out), &n)
		   : pt_link_pair_body_encode(&m, out, sizeof(out), &n)) != PT_OK) {
		fail("cannot encode");
		goto out;
	}
	if ((fp = fopen(path, "wb")) == NULL || fwrite(out, 1, n, fp) != n || fclose(fp) != 0) {
		fail("cannot write the output");
		goto out;
	}
	if (show) {
		pt_hex(e.nonce, sizeof(e.nonce), hex);
		printf("%s\n", hex);
	}
	rc = 0;
out:
	pt_wipe(c, sizeof(c));
	pt_secret_free(s);
	return rc;
}
