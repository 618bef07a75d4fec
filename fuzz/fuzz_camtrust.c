/*
 * libFuzzer target for the viewer's reading of porterd's answers about
 * who to believe (tools/porter/camtrust.c, compiled in): the owner keys
 * with their endorsement statements, the revocation pages, the camera
 * object; the walk, the key revocations that count, and the decision
 * (docs/cam.md, "Who a viewer believes").
 *
 * The input is one JSON document, all of it porterd's word:
 *   {"anchors": [base64url keys], "owner_keys": <GET .../owner-keys answer>,
 *    "revocations": <one GET .../revocations page>, "camera": <a camera>}
 * client_call is stubbed to answer owner-keys and the first revocations
 * page from it (then an empty page), so cam_trust_key runs its whole
 * road. Properties (a break is __builtin_trap()):
 *   - the walk holds the anchors first, no key twice, never more than
 *     CAM_TRUST_SET_MAX, and no key it was told is revoked;
 *   - every key revocation that counts names a wanted key, once;
 *   - cam_trust_key answers 0, EXIT_INPUT or EXIT_CAM_UNTRUSTED, with pk
 *     zeroed unless 0, and 0 only for porterd's camera key.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "porter/crypto.h"
#include "porter/keyfile.h"
#include "porter/text.h"
#include "camtrust.h"
#include "client.h"
#include "porter.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x) do { if (!(x)) __builtin_trap(); } while (0)

static json_t *doc;
static int rev_calls;

/* ---- the porter tool's functions camtrust.c calls, stubbed ---- */

void
warnx_(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
}

int64_t
now_utc(void)
{
	return 1796000000;
}

const char *
client_text(const json_t *v, char *buf, size_t cap)
{
	const char *s = json_string_value(v);
	size_t i, n = 0;

	if (cap == 0)
		return buf;
	for (i = 0; s != NULL && s[i] != '\0' && n + 1 < cap; i++)
		buf[n++] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	buf[n] = '\0';
	return buf;
}

int
client_call(struct client *c, const char *method, const char *path, json_t *body,
	    unsigned flags, json_t **reply)
{
	json_t *v = NULL;

	(void)c, (void)method, (void)body, (void)flags;
	*reply = NULL;
	if (strstr(path, "/owner-keys") != NULL) {
		v = json_object_get(doc, "owner_keys");
	} else if (strstr(path, "/revocations") != NULL) {
		if (rev_calls++ > 0) {
			*reply = json_pack("{s:I,s:[]}", "version", (json_int_t)1 << 40, "revocations");
			return 0;
		}
		v = json_object_get(doc, "revocations");
	}
	if (v == NULL)
		return EXIT_INPUT;	/* an HTTP error */
	*reply = json_incref(v);
	return 0;
}

/* ---- the target ---- */

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	if (pt_crypto_init() != PT_OK)
		__builtin_trap();
	return 0;
}

static bool
has(const uint8_t (*keys)[PT_PK_LEN], size_t n, const uint8_t pk[PT_PK_LEN])
{
	size_t i;

	for (i = 0; i < n; i++)
		if (memcmp(keys[i], pk, PT_PK_LEN) == 0)
			return true;
	return false;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t w0[CAM_TRUST_SET_MAX][PT_PK_LEN], w1[CAM_TRUST_SET_MAX][PT_PK_LEN];
	static struct cam_trust_rev rev[CAM_TRUST_SET_MAX + 1];
	struct cam_trust t;
	json_error_t jerr;
	const json_t *v;
	uint8_t pk[PT_PK_LEN], cam_pk[PT_PK_LEN], revoked[CAM_TRUST_SET_MAX + 1][PT_PK_LEN];
	size_t i, j, n0, n1, n_rev = 0, ignored = 0, ai = 0;
	bool cam_ok;
	int rc;

	doc = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &jerr);
	if (doc == NULL)
		return 0;
	rev_calls = 0;
	cam_trust_init(&t);
	json_array_foreach(json_object_get(doc, "anchors"), ai, v) {
		const char *s = json_string_value(v);
		if (s != NULL && strlen(s) == PT_PK_TEXT_LEN &&
		    pt_b64_decode(pk, PT_PK_LEN, s, PT_PK_TEXT_LEN) == PT_OK && pt_pk_is_valid(pk))
			cam_trust_add_pk(&t, pk);
	}
	/* The walk without revocations. */
	n0 = cam_trust_walk(&t, "h-fuzz", json_object_get(json_object_get(doc, "owner_keys"), "keys"),
			    NULL, 0, w0);
	CHECK(n0 <= CAM_TRUST_SET_MAX);
	for (i = 0; i < n0; i++)
		for (j = i + 1; j < n0; j++)
			CHECK(memcmp(w0[i], w0[j], PT_PK_LEN) != 0);
	for (i = 0; i < t.n; i++)
		CHECK(has((const uint8_t(*)[PT_PK_LEN])w0, n0, t.keys[i]));
	/* The revocations that count, the set's keys wanted. */
	cam_trust_revocations("h-fuzz", json_object_get(json_object_get(doc, "revocations"),
							 "revocations"),
			      (const uint8_t(*)[PT_PK_LEN])w0, n0, (const uint8_t(*)[PT_PK_LEN])w0, n0,
			      rev, CAM_TRUST_SET_MAX + 1, &n_rev, &ignored);
	CHECK(n_rev <= CAM_TRUST_SET_MAX + 1);
	for (i = 0; i < n_rev; i++) {
		CHECK(has((const uint8_t(*)[PT_PK_LEN])w0, n0, rev[i].target));
		for (j = i + 1; j < n_rev; j++)
			CHECK(memcmp(rev[i].target, rev[j].target, PT_PK_LEN) != 0);
		memcpy(revoked[i], rev[i].target, PT_PK_LEN);
	}
	/* The walk again, the revoked left out. */
	n1 = cam_trust_walk(&t, "h-fuzz", json_object_get(json_object_get(doc, "owner_keys"), "keys"),
			    (const uint8_t(*)[PT_PK_LEN])revoked, n_rev, w1);
	CHECK(n1 <= n0);
	for (i = 0; i < n1; i++)
		CHECK(!has((const uint8_t(*)[PT_PK_LEN])revoked, n_rev, w1[i]));
	/* The whole decision, porterd's answers through the stub. */
	v = json_object_get(doc, "camera");
	if (json_is_object(v)) {
		const char *s = json_string_value(json_object_get(v, "public_key"));
		cam_ok = s != NULL && strlen(s) == PT_PK_TEXT_LEN &&
			 pt_b64_decode(cam_pk, PT_PK_LEN, s, PT_PK_TEXT_LEN) == PT_OK;
		rc = cam_trust_key(&t, (struct client *)(void *)&t, "h-fuzz", v, pk);
		CHECK(rc == 0 || rc == EXIT_INPUT || rc == EXIT_CAM_UNTRUSTED);
		if (rc != 0) {
			static const uint8_t zero[PT_PK_LEN];
			CHECK(memcmp(pk, zero, PT_PK_LEN) == 0);
		} else {
			CHECK(cam_ok && memcmp(pk, cam_pk, PT_PK_LEN) == 0);
		}
	}
	json_decref(doc);
	doc = NULL;
	return 0;
}
