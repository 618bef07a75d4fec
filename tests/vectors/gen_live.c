/*
 * tests/vectors/gen_live.c: writes porter-live-01.json, the known-answer
 * vector of live view (include/porter/live.h, docs/live.md):
 *
 *   a live request (PT_ENV_LIVE) by the owner key, for camera cam-front of
 *   home home-7f3a, to a viewer X25519 key pair from a fixed seed;
 *   the hub's order to the camera; the camera's key record with the live
 *   key sealed to the viewer; fragment 0 and fragment 1 sealed under the
 *   live key, and their fragment signatures.
 *
 * Ed25519 is deterministic, so every signature follows from the fixed
 * inputs. crypto_box_seal and the secretstream header are randomized: the
 * sealed key and the sealed fragments are whatever this run drew, recorded
 * with what opens them (the viewer's secret key, the live key). Running
 * this again changes those bytes only; tests/unit/test_vectors.c recomputes
 * everything else from the seeds and opens what is sealed, so the file
 * cannot drift from the code.
 *
 * Built by hand, not by meson (run from the source root):
 *
 *   ninja -C build libporter_core.a libporter_crypto.a
 *   gcc -std=c17 -Iinclude tests/vectors/gen_live.c build/libporter_crypto.a \
 *       build/libporter_core.a $(pkg-config --libs libsodium libcbor) -o /tmp/gen_live
 *   /tmp/gen_live tests/vectors
 *
 * The fixed inputs are repeated, on purpose, in test_vectors.c's check.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "porter/cbor.h"
#include "porter/clipseal.h"
#include "porter/cose.h"
#include "porter/cred.h"
#include "porter/crypto.h"
#include "porter/envelope.h"
#include "porter/live.h"

/* ---- fixed inputs (keep in step with tests/unit/test_vectors.c) ---- */

/* RFC 8032 section 7.1 TEST 1: the owner key of the other vectors. */
static const char *const SEED_OWNER =
	"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
static const char *const SEED_HUB =
	"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
static const char *const SEED_CAMERA =
	"202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f";
/* crypto_box_seed_keypair(seed) gives the viewer's key pair. */
static const char *const SEED_VIEWER =
	"404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f";
/* The session id: the request's nonce. */
static const char *const SESSION = "6c697665206c697665206c6976652031";
static const char *const LIVE_KEY =
	"606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f";

#define HOME "home-7f3a"
#define CAMERA "cam-front"
#define IAT 1796121000LL		/* 2026-12-01T10:30:00Z */
#define EXP (IAT + 300)			/* 2026-12-01T10:35:00Z */
#define SKEW 60
#define EVENT_SEQ 17
#define ORDER_TIME_MS 1796121001250ull	/* the hub's clock when it ordered */
#define ORDER_EXPIRY_MS (EXP * 1000ull)
#define START_MS 1796121001430ull	/* the camera's clock when it took the order */
#define CAPTURE1_MS 1796121002330ull	/* fragment 1's first picture */
#define DURATION1_MS 1001u

/* Opaque stand-ins for the fMP4 bytes (not playable): an ftyp box for
 * fragment 0, the head of a moof box for fragment 1. */
static const char *const BODY0 = "00000018667479706973366d00000200697336366d7034316d";
static const char *const BODY1 = "0000001c6d6f6f66000000106d66686400000000000000016d64617400";

/* ---- helpers ---- */

static void
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("gen_live: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static size_t
unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t i, n = strlen(s) / 2;

	if (strlen(s) % 2 != 0 || n > cap)
		die("bad hex %s", s);
	for (i = 0; i < n; i++) {
		unsigned v;
		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			die("bad hex %s", s);
		out[i] = (uint8_t)v;
	}
	return n;
}

static void
jhex(FILE *f, const char *name, const uint8_t *p, size_t n, bool last)
{
	size_t i;

	fprintf(f, "\"%s\": \"", name);
	for (i = 0; i < n; i++)
		fprintf(f, "%02x", p[i]);
	fprintf(f, "\"%s", last ? "" : ", ");
}

struct key {
	struct pt_secret *s;
	struct pt_signer sg;
	uint8_t seed[PT_SEED_LEN], pk[PT_PK_LEN], kid[PT_KID_LEN];
};

static void
key_init(struct key *k, const char *seed_hex)
{
	unhex(seed_hex, k->seed, PT_SEED_LEN);
	if ((k->s = pt_secret_new()) == NULL || pt_secret_from_seed(k->s, k->seed) != PT_OK)
		die("key");
	pt_secret_public(k->s, k->pk);
	pt_signer_sodium(&k->sg, k->s);
	pt_kid(pt_crypto_sodium(), k->pk, k->kid);
}

static void
jkey(FILE *f, const char *name, const char *role, const struct key *k, bool last)
{
	fprintf(f, "    \"%s\": {\"role\": \"%s\", ", name, role);
	jhex(f, "seed", k->seed, PT_SEED_LEN, false);
	jhex(f, "public_key", k->pk, PT_PK_LEN, false);
	jhex(f, "kid", k->kid, PT_KID_LEN, true);
	fprintf(f, "}%s\n", last ? "" : ",");
}

/* [payload, signature]: the payload and the signed bytes, taken apart. */
static void
jsigned(FILE *f, const char *domain, const uint8_t *msg, size_t n)
{
	static uint8_t tbs[1024];
	const uint8_t *payload, *sig;
	struct pt_cbor_rd rd;
	size_t pl, sl, dl = strlen(domain) + 1;
	uint64_t k;

	pt_cbor_rd_init(&rd, msg, n);
	if (pt_cbor_array(&rd, &k) != PT_OK || k != 2 || pt_cbor_bytes(&rd, &payload, &pl) != PT_OK ||
	    pt_cbor_bytes(&rd, &sig, &sl) != PT_OK || sl != PT_SIG_LEN || dl + pl > sizeof(tbs))
		die("cannot take apart %s", domain);
	memcpy(tbs, domain, dl);
	memcpy(tbs + dl, payload, pl);
	fprintf(f, "    \"domain\": \"%s\",\n    ", domain);
	jhex(f, "payload", payload, pl, true);
	fprintf(f, ",\n    ");
	jhex(f, "signed_bytes", tbs, dl + pl, true);
	fprintf(f, ",\n    ");
	jhex(f, "signature", sig, PT_SIG_LEN, true);
	fprintf(f, ",\n    ");
	jhex(f, "message", msg, n, true);
	fprintf(f, ",\n    \"message_len\": %zu", n);
}

static void
put_be(uint8_t *p, uint64_t v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

static void
fragment(FILE *f, const struct key *cam, const uint8_t *key, const uint8_t *sess, uint32_t index,
	 uint64_t capture, uint32_t duration, const char *body_hex, bool last)
{
	uint8_t body[256], plain[512], frag[1024], sha[PT_HASH_LEN], sig[PT_SIG_LEN];
	uint8_t msg[PT_LIVE_FRAGMENT_MSG_LEN], back[512];
	struct pt_live_hdr h;
	size_t bl, sl, bn;

	bl = unhex(body_hex, body, sizeof(body));
	put_be(plain, capture, 8);
	put_be(plain + 8, duration, 4);
	memcpy(plain + PT_LIVE_PREFIX_LEN, body, bl);
	if (pt_seg_seal(key, sess, index, plain, PT_LIVE_PREFIX_LEN + bl, frag + PT_LIVE_HDR_LEN,
			&sl) != PT_OK)
		die("seal fragment %u", index);
	memset(&h, 0, sizeof(h));
	memcpy(h.session, sess, PT_LIVE_ID_LEN);
	h.index = index;
	h.capture_ms = capture;
	h.duration_ms = duration;
	h.sealed_len = (uint32_t)sl;
	if (pt_live_hdr_encode(&h, frag) != PT_OK)
		die("header %u", index);
	pt_crypto_sodium()->sha256(sha, frag, PT_LIVE_HDR_LEN + sl);
	pt_live_fragment_msg(sess, index, sha, msg);
	if (pt_live_fragment_sign(&cam->sg, sess, index, sha, sig) != PT_OK)
		die("sign fragment %u", index);
	/* What a viewer does, before it is written down. */
	if (pt_live_hdr_decode(frag, PT_LIVE_HDR_LEN + sl, &h) != PT_OK ||
	    pt_seg_open(key, h.session, h.index, frag + PT_LIVE_HDR_LEN, h.sealed_len, back, &bn) !=
		    PT_OK ||
	    bn != PT_LIVE_PREFIX_LEN + bl || memcmp(back, plain, bn) != 0 ||
	    pt_live_fragment_verify(pt_crypto_sodium(), cam->pk, sess, index, sha, sig) != PT_OK)
		die("fragment %u does not open", index);
	fprintf(f, "    {\"index\": %u, \"capture_ms\": %llu, \"duration_ms\": %u,\n     ", index,
		(unsigned long long)capture, duration);
	jhex(f, "body", body, bl, false);
	fprintf(f, "\n     ");
	jhex(f, "plaintext", plain, PT_LIVE_PREFIX_LEN + bl, false);
	fprintf(f, "\n     ");
	jhex(f, "header", frag, PT_LIVE_HDR_LEN, false);
	fprintf(f, "\n     ");
	jhex(f, "sealed", frag + PT_LIVE_HDR_LEN, sl, false);
	fprintf(f, "\n     ");
	jhex(f, "fragment", frag, PT_LIVE_HDR_LEN + sl, false);
	fprintf(f, "\n     \"fragment_len\": %zu, ", PT_LIVE_HDR_LEN + sl);
	jhex(f, "sha256", sha, PT_HASH_LEN, false);
	fprintf(f, "\n     ");
	jhex(f, "signed_bytes", msg, sizeof(msg), false);
	fprintf(f, "\n     ");
	jhex(f, "signature", sig, PT_SIG_LEN, true);
	fprintf(f, "}%s\n", last ? "" : ",");
}

int
main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "tests/vectors";
	const struct pt_crypto_ops *ops;
	const uint8_t(*signers)[PT_PK_LEN];
	uint8_t vseed[32], vpk[32], vsk[32], sess[PT_LIVE_ID_LEN], opened[PT_LIVE_KEY_LEN];
	uint8_t env[PT_ENVELOPE_SIZE_MAX], omsg[PT_LIVE_ORDER_MAX], kmsg[PT_LIVE_KEYREC_MAX];
	uint8_t tbs[PT_ENVELOPE_SIZE_MAX + 64], *key;
	struct key owner, hub, cam;
	struct pt_envelope e, v;
	struct pt_live_order o;
	struct pt_live_keyrec k;
	struct pt_sign1 s1;
	size_t env_len, olen, klen, tl, idx;
	char path[1024];
	FILE *f;

	if (argc > 2)
		die("usage: gen_live [DIR]");
	if (pt_crypto_init() != PT_OK)
		die("crypto init");
	ops = pt_crypto_sodium();
	key_init(&owner, SEED_OWNER);
	key_init(&hub, SEED_HUB);
	key_init(&cam, SEED_CAMERA);
	unhex(SEED_VIEWER, vseed, sizeof(vseed));
	crypto_box_seed_keypair(vpk, vsk, vseed);
	unhex(SESSION, sess, sizeof(sess));
	if ((key = pt_guarded_alloc(PT_LIVE_KEY_LEN)) == NULL)
		die("memory");
	unhex(LIVE_KEY, key, PT_LIVE_KEY_LEN);

	/* 1. The request. */
	memset(&e, 0, sizeof(e));
	e.kind = PT_ENV_LIVE;
	memcpy(e.aud, HOME, sizeof(HOME));
	e.iat = IAT;
	e.exp = EXP;
	memcpy(e.nonce, sess, PT_CTI_LEN);
	e.op = PT_LIVE_VIEW;
	memcpy(e.target, vpk, PT_LIVE_XPK_LEN);
	e.target_len = PT_LIVE_XPK_LEN;
	memcpy(e.lock, CAMERA, sizeof(CAMERA));
	if (pt_envelope_sign(ops, &owner.sg, &e, env, sizeof(env), &env_len) != PT_OK)
		die("sign the request");
	signers = (const uint8_t(*)[PT_PK_LEN])owner.pk;
	if (pt_envelope_verify(ops, env, env_len, PT_ENV_LIVE, signers, 1, HOME, IAT + 2, SKEW, &v,
			       &idx) != PT_OK ||
	    pt_envelope_verify(ops, env, env_len, PT_ENV_LIVE, signers, 1, HOME, EXP, SKEW + 300, &v,
			       &idx) != PT_EEXPIRED ||
	    pt_envelope_verify(ops, env, env_len, PT_ENV_COMMAND, signers, 1, HOME, IAT + 2, SKEW,
			       &v, &idx) != PT_EBADSIG)
		die("the request does not verify as it should");
	if (pt_sign1_decode(env, env_len, &s1) != PT_OK ||
	    pt_sign1_tbs(&s1, (const uint8_t *)PT_LIVE_REQUEST_DOMAIN,
			 strlen(PT_LIVE_REQUEST_DOMAIN), tbs, sizeof(tbs), &tl) != PT_OK)
		die("take the request apart");

	/* 2. The order. */
	memset(&o, 0, sizeof(o));
	memcpy(o.camera, CAMERA, sizeof(CAMERA));
	memcpy(o.session, sess, PT_LIVE_ID_LEN);
	o.event_seq = EVENT_SEQ;
	o.time_ms = ORDER_TIME_MS;
	o.expiry_ms = ORDER_EXPIRY_MS;
	memcpy(o.viewer_xpk, vpk, PT_LIVE_XPK_LEN);
	memcpy(o.owner_kid, owner.kid, PT_KID_LEN);
	if (pt_live_order_sign(&hub.sg, &o, omsg, sizeof(omsg), &olen) != PT_OK)
		die("sign the order");

	/* 3. The key record. */
	memset(&k, 0, sizeof(k));
	memcpy(k.camera, CAMERA, sizeof(CAMERA));
	memcpy(k.session, sess, PT_LIVE_ID_LEN);
	k.event_seq = EVENT_SEQ;
	k.start_ms = START_MS;
	k.expiry_ms = ORDER_EXPIRY_MS;
	memcpy(k.viewer_xpk, vpk, PT_LIVE_XPK_LEN);
	memcpy(k.container, "mp4", 4);
	if (pt_live_key_seal(key, vpk, k.sealed) != PT_OK ||
	    pt_live_key_open(vpk, vsk, k.sealed, opened) != PT_OK ||
	    memcmp(opened, key, PT_LIVE_KEY_LEN) != 0)
		die("seal the live key");
	if (pt_live_keyrec_sign(&cam.sg, &k, kmsg, sizeof(kmsg), &klen) != PT_OK)
		die("sign the key record");

	(void)snprintf(path, sizeof(path), "%s/porter-live-01.json", dir);
	if ((f = fopen(path, "w")) == NULL)
		die("cannot write %s", path);
	fprintf(f, "{\n  \"title\": \"porter live view: request, order, key record, fragments\",\n");
	fprintf(f, "  \"description\": \"An owner asks for live view of camera " CAMERA
		   " of home " HOME " (PT_ENV_LIVE, external AAD porter/live/v1) for a viewer "
		   "X25519 key pair from a fixed seed; the hub orders the camera (signed by the "
		   "hub key over porter/live-order/v1 0x00 || payload); the camera signs a key "
		   "record (porter/live-key/v1) carrying the live key sealed to the viewer "
		   "(crypto_box_seal: random, so recorded), and seals fragment 0 and fragment 1 "
		   "under the live key (pt_seg_seal, clip id = session id; random stream headers, "
		   "so recorded) and signs each (porter/live-fragment/v1 0x00 || session || index "
		   "u32 BE || SHA-256 of the fragment). Every signature is deterministic "
		   "(Ed25519) and follows from the seeds.\",\n");
	fprintf(f, "  \"generator\": \"tests/vectors/gen_live.c\",\n");
	fprintf(f, "  \"checker\": \"tests/unit/test_vectors.c\",\n");
	fprintf(f, "  \"spec\": \"include/porter/live.h, docs/live.md\",\n");
	fprintf(f, "  \"keys\": {\n");
	jkey(f, "owner", "owner key (RFC 8032 TEST 1); signs the request", &owner, false);
	jkey(f, "hub", "hub key; signs the order", &hub, false);
	jkey(f, "camera", "camera key; signs the key record and the fragments", &cam, false);
	fprintf(f, "    \"viewer\": {\"role\": \"the viewer's X25519 key pair: "
		   "crypto_box_seed_keypair(seed)\", ");
	jhex(f, "seed", vseed, sizeof(vseed), false);
	jhex(f, "x25519_public_key", vpk, sizeof(vpk), false);
	jhex(f, "x25519_secret_key", vsk, sizeof(vsk), true);
	fprintf(f, "}\n  },\n");
	fprintf(f, "  \"home_id\": \"" HOME "\",\n  \"camera_id\": \"" CAMERA "\",\n  ");
	jhex(f, "session", sess, PT_LIVE_ID_LEN, true);
	fprintf(f, ",\n  \"request\": {\n    \"kind\": \"live\", \"iat\": %lld, \"exp\": %lld, ",
		(long long)IAT, (long long)EXP);
	fprintf(f, "\"external_aad\": \"" PT_LIVE_REQUEST_DOMAIN "\",\n    ");
	fprintf(f, "\"claims_diag\": \"{3: \\\"" HOME "\\\", 4: %lld, 6: %lld, 7: h'%s', -65537: "
		   "{1: 1, 2: h'", (long long)EXP, (long long)IAT, SESSION);
	for (size_t i = 0; i < PT_LIVE_XPK_LEN; i++)
		fprintf(f, "%02x", vpk[i]);
	fprintf(f, "', 3: \\\"" CAMERA "\\\"}}\",\n    ");
	jhex(f, "claims", s1.payload, s1.payload_len, true);
	fprintf(f, ",\n    ");
	jhex(f, "protected", s1.prot, s1.prot_len, true);
	fprintf(f, ",\n    ");
	jhex(f, "sig_structure", tbs, tl, true);
	fprintf(f, ",\n    ");
	jhex(f, "signature", s1.sig, PT_SIG_LEN, true);
	fprintf(f, ",\n    ");
	jhex(f, "cose_sign1", env, env_len, true);
	fprintf(f, ",\n    \"cose_sign1_len\": %zu,\n", env_len);
	fprintf(f, "    \"verify\": [\n");
	fprintf(f, "      {\"kind\": \"live\", \"signers\": [\"owner\"], \"home_id\": \"" HOME "\", "
		   "\"now\": %lld, \"skew\": %d, \"reason\": \"ok\"},\n", (long long)IAT + 2, SKEW);
	fprintf(f, "      {\"kind\": \"live\", \"signers\": [\"owner\"], \"home_id\": \"" HOME "\", "
		   "\"now\": %lld, \"skew\": %d, \"reason\": \"expired\"},\n", (long long)EXP,
		SKEW + 300);
	fprintf(f, "      {\"kind\": \"command\", \"signers\": [\"owner\"], \"home_id\": \"" HOME
		   "\", \"now\": %lld, \"skew\": %d, \"reason\": \"bad-signature\"}\n    ]\n  },\n",
		(long long)IAT + 2, SKEW);

	fprintf(f, "  \"order\": {\n    \"camera\": \"" CAMERA "\", \"event_seq\": %d, "
		   "\"time_ms\": %llu, \"expiry_ms\": %llu,\n    ", EVENT_SEQ,
		(unsigned long long)ORDER_TIME_MS, (unsigned long long)ORDER_EXPIRY_MS);
	jhex(f, "viewer_xpk", vpk, PT_LIVE_XPK_LEN, false);
	jhex(f, "owner_kid", owner.kid, PT_KID_LEN, true);
	fprintf(f, ",\n");
	jsigned(f, PT_LIVE_ORDER_DOMAIN, omsg, olen);
	fprintf(f, "\n  },\n");

	fprintf(f, "  \"key_record\": {\n    \"camera\": \"" CAMERA "\", \"event_seq\": %d, "
		   "\"start_ms\": %llu, \"expiry_ms\": %llu, \"container\": \"mp4\",\n    ",
		EVENT_SEQ, (unsigned long long)START_MS, (unsigned long long)ORDER_EXPIRY_MS);
	jhex(f, "viewer_xpk", vpk, PT_LIVE_XPK_LEN, true);
	fprintf(f, ",\n    ");
	jhex(f, "live_key", key, PT_LIVE_KEY_LEN, true);
	fprintf(f, ",\n    ");
	jhex(f, "sealed_key", k.sealed, PT_LIVE_SEALED_KEY_LEN, true);
	fprintf(f, ",\n");
	jsigned(f, PT_LIVE_KEYREC_DOMAIN, kmsg, klen);
	fprintf(f, "\n  },\n");

	fprintf(f, "  \"fragments\": [\n");
	fragment(f, &cam, key, sess, 0, 0, 0, BODY0, false);
	fragment(f, &cam, key, sess, 1, CAPTURE1_MS, DURATION1_MS, BODY1, true);
	fprintf(f, "  ]\n}\n");
	if (fclose(f) != 0)
		die("cannot write %s", path);
	printf("request %zu bytes, order %zu, key record %zu\n", env_len, olen, klen);
	pt_guarded_free(key);
	sodium_memzero(vsk, sizeof(vsk));
	pt_secret_free(owner.s);
	pt_secret_free(hub.s);
	pt_secret_free(cam.s);
	return 0;
}
