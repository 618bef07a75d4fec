/*
 * test_vectors: the COSE working group's examples (github.com/cose-wg/Examples)
 * against porter's COSE_Sign1 code, and porter's CWT profile against the
 * RFC 8392 appendix A tokens.
 *
 * The vectors live in $PORTER_VECTORS (meson sets it to tests/vectors),
 * or ../shared/vectors beside $PORTER_SRC. Either may hold them directly or
 * under cose-wg/. Not finding them is a failure, not a skip.
 *
 * What each vector must give:
 *   eddsa-sig-01 (Ed25519): decodes, its Sig_structure matches ToBeSign_hex,
 *     verifies with x, and d (the seed) signs the same bytes again (Ed25519
 *     is deterministic).
 *   eddsa-sig-02 (Ed448): decodes, Sig_structure matches, refused as
 *     unsupported (a 114-byte signature is not Ed25519).
 *   eddsa-01/-02: COSE_Sign (tag 98), not Sign1: malformed.
 *   sign1-tests (ES256): the passing ones decode and their Sig_structures
 *     match; verification is unsupported (porter signs and accepts EdDSA
 *     only). sign-fail-01 (tag 998) is malformed; -03/-04 (alg -999 and
 *     "unknown") unsupported.
 *   CWT A_3 (Sign1, ES256): decodes, Sig_structure matches, unsupported;
 *     its claims (iss, sub, ...) are refused by porter's claims decoder.
 *   CWT A_4..A_7: COSE_Mac0 (tag 17) and COSE_Encrypt0 (tag 16): malformed
 *     as Sign1; A_7's claims hold a float and the strict reader refuses it.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "porter/cbor.h"
#include "porter/cose.h"
#include "porter/cred.h"
#include "porter/crypto.h"
#include "t.h"

static const struct pt_crypto_ops *ops;
static char base[1024];

/* ---- files and hex ---- */

static bool
is_file(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

static bool
try_base(const char *dir)
{
	char p[1200];

	if (dir == NULL || dir[0] == '\0')
		return false;
	snprintf(p, sizeof(p), "%s/cose-wg/eddsa-examples/eddsa-sig-01.json", dir);
	if (is_file(p)) {
		snprintf(base, sizeof(base), "%s/cose-wg", dir);
		return true;
	}
	snprintf(p, sizeof(p), "%s/eddsa-examples/eddsa-sig-01.json", dir);
	if (is_file(p)) {
		snprintf(base, sizeof(base), "%s", dir);
		return true;
	}
	return false;
}

static bool
find_vectors(void)
{
	const char *v = getenv("PORTER_VECTORS"), *src = getenv("PORTER_SRC");
	char p[1100];

	if (try_base(v))
		return true;
	if (src != NULL) {
		snprintf(p, sizeof(p), "%s/../shared/vectors", src);
		if (try_base(p))
			return true;
	}
	return try_base("../shared/vectors");
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Hex string to bytes; false on odd length, bad digits or overflow. */
static bool
unhex(const char *s, uint8_t *out, size_t cap, size_t *len)
{
	size_t n = strlen(s), i;

	*len = 0;
	if (n % 2 != 0 || n / 2 > cap)
		return false;
	for (i = 0; i < n / 2; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return false;
		out[i] = (uint8_t)(hi * 16 + lo);
	}
	*len = n / 2;
	return true;
}

static json_t *
load(const char *rel)
{
	char p[1400];
	json_error_t err;
	json_t *j;

	snprintf(p, sizeof(p), "%s/%s", base, rel);
	j = json_load_file(p, 0, &err);
	if (j == NULL)
		printf("# %s: %s (line %d)\n", rel, err.text, err.line);
	return j;
}

/* A string at a dotted path ("output.cbor"), or NULL. */
static const char *
jstr(json_t *j, const char *path)
{
	char buf[256], *tok, *save = NULL;

	snprintf(buf, sizeof(buf), "%s", path);
	for (tok = strtok_r(buf, ".", &save); tok != NULL && j != NULL;
	     tok = strtok_r(NULL, ".", &save))
		j = json_object_get(j, tok);
	return json_is_string(j) ? json_string_value(j) : NULL;
}

static bool
jfail(json_t *j)
{
	return json_is_true(json_object_get(j, "fail"));
}

/* ---- per-vector expectations ---- */

struct expect {
	const char *file;
	int decode;	/* pt_sign1_decode */
	bool tagged;
	int verify;	/* pt_sign1_verify with x (or a dummy key) */
	bool tbs;	/* compare the Sig_structure with ToBeSign_hex */
	const char *why;
};

static const struct expect table[] = {
	{"eddsa-examples/eddsa-sig-01.json", PT_OK, true, PT_OK, true, "Ed25519 Sign1"},
	{"eddsa-examples/eddsa-sig-02.json", PT_OK, true, PT_EUNSUPPORTED, true,
	 "Ed448: the 114-byte signature is not Ed25519"},
	{"eddsa-examples/eddsa-01.json", PT_EMALFORMED, false, 0, false, "COSE_Sign (tag 98)"},
	{"eddsa-examples/eddsa-02.json", PT_EMALFORMED, false, 0, false, "COSE_Sign (tag 98)"},
	/*
	 * sign-pass-01 ("Redo protected") moves alg to the unprotected bucket
	 * and then replaced the output's protected bucket h'' by h'A0' (an
	 * encoded empty map) after computing ToBeSign_hex, so the Sig_structure
	 * of the bytes as sent (with h'A0') deliberately differs from the one
	 * listed (with h''): no TBS comparison. porter refuses the token as
	 * malformed rather than unsupported, because alg in the unprotected
	 * bucket could be chosen by an attacker.
	 */
	{"sign1-tests/sign-pass-01.json", PT_OK, true, PT_EMALFORMED, false,
	 "alg only in the unprotected bucket"},
	{"sign1-tests/sign-pass-02.json", PT_OK, true, PT_EUNSUPPORTED, true,
	 "ES256 with external AAD"},
	{"sign1-tests/sign-pass-03.json", PT_OK, false, PT_EUNSUPPORTED, true, "ES256, untagged"},
	{"sign1-tests/sign-fail-01.json", PT_EMALFORMED, false, 0, false, "tag 998"},
	{"sign1-tests/sign-fail-02.json", PT_OK, true, PT_EUNSUPPORTED, false,
	 "ES256, payload changed"},
	{"sign1-tests/sign-fail-03.json", PT_OK, true, PT_EUNSUPPORTED, false, "alg -999"},
	{"sign1-tests/sign-fail-04.json", PT_OK, true, PT_EUNSUPPORTED, false, "alg \"unknown\""},
	{"sign1-tests/sign-fail-06.json", PT_OK, true, PT_EUNSUPPORTED, false,
	 "ES256, protected attribute added"},
	{"sign1-tests/sign-fail-07.json", PT_OK, true, PT_EUNSUPPORTED, false,
	 "ES256, protected attribute removed"},
	{"CWT/A_3.json", PT_OK, true, PT_EUNSUPPORTED, true, "CWT signed with ES256"},
	{"CWT/A_4.json", PT_EMALFORMED, false, 0, false, "COSE_Mac0 (tag 17)"},
	{"CWT/A_5.json", PT_EMALFORMED, false, 0, false, "COSE_Encrypt0 (tag 16)"},
	{"CWT/A_6.json", PT_EMALFORMED, false, 0, false, "COSE_Encrypt0 (tag 16) around a Sign1"},
	{"CWT/A_7.json", PT_EMALFORMED, false, 0, false, "COSE_Mac0 (tag 17)"},
};

static const struct expect *
find_expect(const char *file)
{
	size_t i;

	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (strcmp(table[i].file, file) == 0)
			return &table[i];
	return NULL;
}

static uint8_t cbor_buf[4096], tbs_want[4096], tbs_got[4096], aad[256], pk[256];

static void
run_vector(const char *file, const struct expect *x)
{
	json_t *j = load(file);
	const char *hex, *s;
	size_t n = 0, tn = 0, an = 0, pn = 0, gn = 0;
	struct pt_sign1 sg;
	int r;

	T_OK(j != NULL, "%s: loads", file);
	if (j == NULL)
		return;
	hex = jstr(j, "output.cbor");
	T_OK(hex != NULL && unhex(hex, cbor_buf, sizeof(cbor_buf), &n), "%s: output.cbor (%zu bytes)",
	     file, n);
	if (x == NULL) {
		/* Not in the table: at least a failing vector must not verify. */
		r = pt_sign1_decode(cbor_buf, n, &sg);
		if (r == PT_OK)
			r = pt_sign1_verify(ops, &sg, NULL, 0, pk, tbs_got, sizeof(tbs_got));
		T_OK(!jfail(j) || r != PT_OK, "%s (not in the table): a failing vector is refused (%s)",
		     file, pt_err_code(r));
		json_decref(j);
		return;
	}
	r = pt_sign1_decode(cbor_buf, n, &sg);
	T_OK(r == x->decode, "%s: pt_sign1_decode %s (%s)", file, pt_err_code(x->decode), x->why);
	if (r != PT_OK || x->decode != PT_OK) {
		json_decref(j);
		return;
	}
	T_EQ(sg.tagged, x->tagged, "%s: tagged %s", file, x->tagged ? "yes" : "no");
	s = jstr(j, "input.sign0.external");
	T_OK(s == NULL || unhex(s, aad, sizeof(aad), &an), "%s: external AAD (%zu bytes)", file,
	     s == NULL ? (size_t)0 : an);
	if (x->tbs) {
		hex = jstr(j, "intermediates.ToBeSign_hex");
		T_OK(hex != NULL && unhex(hex, tbs_want, sizeof(tbs_want), &tn), "%s: ToBeSign_hex", file);
		r = pt_sign1_tbs(&sg, aad, an, tbs_got, sizeof(tbs_got), &gn);
		T_OK(r == PT_OK && gn == tn && memcmp(tbs_got, tbs_want, tn) == 0,
		     "%s: Sig_structure equals ToBeSign_hex (%zu bytes)", file, tn);
		T_OK(pt_sign1_tbs(&sg, aad, an, tbs_got, tn, &gn) == PT_OK && gn == tn,
		     "%s: Sig_structure fits exactly %zu bytes", file, tn);
		T_OK(pt_sign1_tbs(&sg, aad, an, tbs_got, tn - 1, &gn) == PT_ENOSPC && gn == 0,
		     "%s: Sig_structure in %zu bytes: buffer-too-small", file, tn - 1);
	}
	/* The signer's public key where it is an Ed25519 x; a dummy otherwise. */
	memset(pk, 0x55, PT_PK_LEN);
	s = jstr(j, "input.sign0.key.x_hex");
	if (s != NULL && (!unhex(s, pk, sizeof(pk), &pn) || pn != PT_PK_LEN))
		memset(pk, 0x55, PT_PK_LEN);
	r = pt_sign1_verify(ops, &sg, aad, an, pk, tbs_got, sizeof(tbs_got));
	T_OK(r == x->verify, "%s: pt_sign1_verify %s (got %s)", file, pt_err_code(x->verify),
	     pt_err_code(r));
	json_decref(j);
}

static void
test_table(void)
{
	size_t i;
	DIR *d;
	struct dirent *de;
	char dir[1200];
	int seen = 0;

	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (strncmp(table[i].file, "sign1-tests/", 12) != 0)
			run_vector(table[i].file, &table[i]);
	/* Every file in sign1-tests/, whether or not the table knows it. */
	snprintf(dir, sizeof(dir), "%s/sign1-tests", base);
	d = opendir(dir);
	T_OK(d != NULL, "sign1-tests/ opens");
	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		char rel[600];
		size_t l = strlen(de->d_name);
		if (l < 6 || strcmp(de->d_name + l - 5, ".json") != 0)
			continue;
		snprintf(rel, sizeof(rel), "sign1-tests/%s", de->d_name);
		run_vector(rel, find_expect(rel));
		seen++;
	}
	closedir(d);
	T_OK(seen >= 9, "sign1-tests: %d vectors run", seen);
}

/* ---- eddsa-sig-01 in depth ---- */

static void
test_eddsa_sig_01(void)
{
	json_t *j = load("eddsa-examples/eddsa-sig-01.json");
	uint8_t msg[512], x[64], dseed[64], sig[PT_SIG_LEN], scratch[512], kpk[PT_PK_LEN];
	size_t n = 0, xn = 0, dn = 0, tn = 0, bit;
	struct pt_sign1 s;
	struct pt_cose_hdr h;
	struct pt_secret *sec;
	int r, bad;

	T_OK(j != NULL, "eddsa-sig-01: loads");
	if (j == NULL)
		return;
	T_OK(unhex(jstr(j, "output.cbor"), msg, sizeof(msg), &n) &&
		     unhex(jstr(j, "input.sign0.key.x_hex"), x, sizeof(x), &xn) && xn == 32 &&
		     unhex(jstr(j, "input.sign0.key.d_hex"), dseed, sizeof(dseed), &dn) && dn == 32,
	     "eddsa-sig-01: message, x and d");
	T_EQ(pt_sign1_decode(msg, n, &s), PT_OK, "eddsa-sig-01: decodes");
	T_OK(s.payload_len == 20 && memcmp(s.payload, "This is the content.", 20) == 0,
	     "eddsa-sig-01: payload \"This is the content.\"");
	T_EQ(pt_cose_headers(&s, &h), PT_OK, "eddsa-sig-01: headers");
	T_OK(h.has_alg && h.alg == PT_COSE_ALG_EDDSA && h.kid_len == 2 && memcmp(h.kid, "11", 2) == 0 &&
		     !h.kid_protected,
	     "eddsa-sig-01: alg EdDSA, kid '11' unprotected (ctyp ignored)");
	T_EQ(pt_sign1_verify(ops, &s, NULL, 0, x, scratch, sizeof(scratch)), PT_OK,
	     "eddsa-sig-01: verifies with x");
	T_EQ(pt_sign1_verify(ops, &s, (const uint8_t *)"x", 1, x, scratch, sizeof(scratch)), PT_EBADSIG,
	     "eddsa-sig-01: with external AAD 'x': bad-signature");
	T_EQ(pt_sign1_verify(ops, &s, (const uint8_t *)PT_AAD_GRANT, sizeof(PT_AAD_GRANT) - 1, x,
			     scratch, sizeof(scratch)),
	     PT_EBADSIG, "eddsa-sig-01: with porter's grant AAD: bad-signature");
	T_EQ(pt_sign1_verify(ops, &s, NULL, 0, x, scratch, 40), PT_OK,
	     "eddsa-sig-01: 40-byte scratch (the Sig_structure's size): fine");
	T_EQ(pt_sign1_verify(ops, &s, NULL, 0, x, scratch, 39), PT_ETOOBIG,
	     "eddsa-sig-01: 39-byte scratch: too-large");

	/* Deterministic Ed25519: the seed reproduces the signature. */
	sec = pt_secret_new();
	T_OK(sec != NULL && pt_secret_from_seed(sec, dseed) == PT_OK, "eddsa-sig-01: key from d");
	if (sec != NULL) {
		pt_secret_public(sec, kpk);
		T_OK(memcmp(kpk, x, 32) == 0, "eddsa-sig-01: d's public key is x");
		T_OK(pt_sign1_tbs(&s, NULL, 0, scratch, sizeof(scratch), &tn) == PT_OK &&
			     pt_sign_detached(sec, sig, scratch, tn) == PT_OK,
		     "eddsa-sig-01: signed again");
		T_OK(s.sig_len == PT_SIG_LEN && memcmp(sig, s.sig, PT_SIG_LEN) == 0,
		     "eddsa-sig-01: the same 64 signature bytes");
		pt_secret_free(sec);
	}
	T_EQ(pt_crypto_sodium()->ed25519_verify(s.sig, scratch, tn, x), true,
	     "eddsa-sig-01: ops->ed25519_verify on the Sig_structure");

	/* Bit flips in the payload and the signature: bad-signature. */
	{
		size_t pay = (size_t)(s.payload - msg), sg = (size_t)(s.sig - msg);
		struct pt_sign1 t;
		bad = 0;
		for (bit = 0; bit < 20 * 8; bit++) {
			msg[pay + bit / 8] ^= (uint8_t)(1u << (bit % 8));
			r = pt_sign1_decode(msg, n, &t);
			if (r != PT_OK ||
			    pt_sign1_verify(ops, &t, NULL, 0, x, scratch, sizeof(scratch)) != PT_EBADSIG)
				bad++;
			msg[pay + bit / 8] ^= (uint8_t)(1u << (bit % 8));
		}
		T_EQ(bad, 0, "eddsa-sig-01: each of 160 payload bit flips: bad-signature");
		bad = 0;
		for (bit = 0; bit < PT_SIG_LEN * 8; bit++) {
			msg[sg + bit / 8] ^= (uint8_t)(1u << (bit % 8));
			r = pt_sign1_decode(msg, n, &t);
			if (r != PT_OK ||
			    pt_sign1_verify(ops, &t, NULL, 0, x, scratch, sizeof(scratch)) != PT_EBADSIG)
				bad++;
			msg[sg + bit / 8] ^= (uint8_t)(1u << (bit % 8));
		}
		T_EQ(bad, 0, "eddsa-sig-01: each of 512 signature bit flips: bad-signature");
		/*
		 * Every bit of the whole message outside the unprotected bucket:
		 * never accepted. The unprotected bucket ({4: h'3131'}) is not
		 * covered by the signature (RFC 9052 section 3): flips there that
		 * leave a well-formed map (another kid, or an ignored label) still
		 * verify. porter's own profile requires that bucket to be empty.
		 */
		{
			size_t u0 = (size_t)(s.unprot - msg), u1 = u0 + s.unprot_len;
			int unprot_ok = 0;
			bad = 0;
			for (bit = 0; bit < n * 8; bit++) {
				bool in_unprot = bit / 8 >= u0 && bit / 8 < u1;
				msg[bit / 8] ^= (uint8_t)(1u << (bit % 8));
				if (pt_sign1_decode(msg, n, &t) == PT_OK &&
				    pt_sign1_verify(ops, &t, NULL, 0, x, scratch, sizeof(scratch)) == PT_OK) {
					if (in_unprot)
						unprot_ok++;
					else
						bad++;
				}
				msg[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			}
			T_EQ(bad, 0,
			     "eddsa-sig-01: every one of %zu bit flips outside the unprotected bucket refused",
			     n * 8 - 8 * s.unprot_len);
			printf("# eddsa-sig-01: %d of %zu bit flips in the (unsigned) unprotected bucket "
			       "still verify, as RFC 9052 allows\n",
			       unprot_ok, 8 * s.unprot_len);
		}
		/* Truncated at every length. */
		bad = 0;
		for (bit = 0; bit < n; bit++)
			if (pt_sign1_decode(msg, bit, &t) != PT_EMALFORMED)
				bad++;
		T_EQ(bad, 0, "eddsa-sig-01: every strict prefix is malformed");
		T_OK(pt_sign1_decode(msg, n, &t) == PT_OK &&
			     pt_sign1_verify(ops, &t, NULL, 0, x, scratch, sizeof(scratch)) == PT_OK,
		     "eddsa-sig-01: the unflipped message still verifies");
	}

	/* Not porter's link profile: refused as a chain link. */
	{
		uint8_t chain[600];
		struct pt_chain c;
		chain[0] = 0x81;
		memcpy(chain + 1, msg, n);
		T_EQ(pt_chain_decode(chain, n + 1, &c), PT_EMALFORMED,
		     "eddsa-sig-01 as a porter chain link: malformed (profile, payload)");
	}
	/* A detached payload (nil) is not supported. */
	{
		uint8_t det[600];
		struct pt_sign1 t;
		size_t pay = (size_t)(s.payload - msg) - 1;	/* the 0x54 head */
		memcpy(det, msg, pay);
		det[pay] = 0xf6;
		memcpy(det + pay + 1, msg + pay + 21, n - pay - 21);
		T_EQ(pt_sign1_decode(det, n - 20, &t), PT_EMALFORMED,
		     "eddsa-sig-01 with a detached (nil) payload: malformed");
	}
	json_decref(j);
}

/* ---- CWT claims ---- */

static void
test_cwt_claims(void)
{
	json_t *j3 = load("CWT/A_3.json"), *j7 = load("CWT/A_7.json");
	uint8_t msg[600], plain[300], a7[64];
	size_t n = 0, pn = 0, an = 0;
	struct pt_sign1 s;
	struct pt_grant g;

	T_OK(j3 != NULL && j7 != NULL, "CWT A_3 and A_7 load");
	if (j3 == NULL || j7 == NULL)
		goto out;
	T_OK(unhex(jstr(j3, "output.cbor"), msg, sizeof(msg), &n) &&
		     unhex(jstr(j3, "input.plaintext_hex"), plain, sizeof(plain), &pn),
	     "A_3: message and claims");
	T_OK(pt_sign1_decode(msg, n, &s) == PT_OK && s.payload_len == pn &&
		     memcmp(s.payload, plain, pn) == 0,
	     "A_3: the Sign1 payload is the listed claims set");
	/*
	 * {1: iss, 2: sub, 3: aud, 4: exp, 5: nbf, 6: iat, 7: cti}: all well
	 * formed, deterministic CBOR, so nothing fails before the first key;
	 * key 1 (iss) is not a claim porter knows, and every claim is critical
	 * in porter's profile: unsupported, not malformed.
	 */
	T_EQ(pt_grant_decode_claims(s.payload, s.payload_len, &g), PT_EUNSUPPORTED,
	     "A_3's claims (iss, sub, ...): pt_grant_decode_claims unsupported");
	{
		static const struct pt_grant zero;
		T_OK(memcmp(&g, &zero, sizeof(g)) == 0, "A_3: grant zeroed");
	}
	/* The same claims as a strict CBOR item: well formed (they skip). */
	{
		struct pt_cbor_rd rd;
		pt_cbor_rd_init(&rd, plain, pn);
		T_OK(pt_cbor_skip(&rd, 2) == PT_OK && pt_cbor_rd_done(&rd),
		     "A_3's claims are deterministic CBOR (the strict reader skips them)");
	}

	/* A_7: {6: 1443944944.5}, a float iat. */
	T_OK(unhex(jstr(j7, "input.plaintext_hex"), a7, sizeof(a7), &an) && an == 11,
	     "A_7: claims a106fb41d584367c200000");
	{
		struct pt_cbor_rd rd;
		struct pt_cbor_keys k;
		struct pt_cbor_item it;
		uint64_t m;
		int64_t key;
		pt_cbor_rd_init(&rd, a7, an);
		pt_cbor_key_init(&k);
		T_OK(pt_cbor_map(&rd, &m) == PT_OK && m == 1 && pt_cbor_key(&rd, &k, &key) == PT_OK &&
			     key == 6,
		     "A_7: a map with key 6 (iat)");
		T_EQ(pt_cbor_next(&rd, &it), PT_EMALFORMED, "A_7: the float iat is refused by the strict reader");
		pt_cbor_rd_init(&rd, a7, an);
		T_EQ(pt_cbor_skip(&rd, 4), PT_EMALFORMED, "A_7: skipping the claims fails too");
	}
	T_EQ(pt_grant_decode_claims(a7, an, &g), PT_EMALFORMED,
	     "A_7's claims: pt_grant_decode_claims malformed (float)");
	/* A_4 with its tag stripped is a 4-array like Sign1, but alg 5 (HMAC). */
	{
		json_t *j4 = load("CWT/A_4.json");
		uint8_t m4[300];
		size_t n4 = 0;
		uint8_t scratch[512], x[PT_PK_LEN];
		memset(x, 0x55, sizeof(x));
		T_OK(j4 != NULL && unhex(jstr(j4, "output.cbor"), m4, sizeof(m4), &n4) && m4[0] == 0xd1,
		     "A_4: COSE_Mac0, tag 17");
		T_EQ(pt_sign1_decode(m4, n4, &s), PT_EMALFORMED, "A_4 tagged 17: malformed");
		T_EQ(pt_sign1_decode(m4 + 1, n4 - 1, &s), PT_OK, "A_4 untagged: decodes as a 4-array");
		T_EQ(pt_sign1_verify(ops, &s, NULL, 0, x, scratch, sizeof(scratch)), PT_EUNSUPPORTED,
		     "A_4 untagged: HMAC alg, unsupported (an 8-byte tag is no signature)");
		json_decref(j4);
	}
out:
	json_decref(j3);
	json_decref(j7);
}

/* ---- porter's own COSE API edges ---- */

static void
test_sign1_api(void)
{
	struct pt_secret *sec = pt_secret_new();
	struct pt_signer sg;
	uint8_t seed[PT_SEED_LEN], out[1024], kid[PT_COSE_KID_MAX + 1], bigaad[200];
	uint8_t scratch[1024];
	size_t n = 0, full = 0, i;
	struct pt_sign1 s;
	int r;
	bool zero;

	memset(seed, 0x61, sizeof(seed));
	if (sec == NULL || pt_secret_from_seed(sec, seed) != PT_OK) {
		T_OK(0, "sign1 api: key");
		return;
	}
	pt_signer_sodium(&sg, sec);
	memset(kid, 0x4b, sizeof(kid));
	memset(bigaad, 0x41, sizeof(bigaad));

	/* Round trip of pt_sign1_sign. */
	r = pt_sign1_sign(&sg, kid, 8, (const uint8_t *)"aad", 3, (const uint8_t *)"hello", 5, out,
			  sizeof(out), &full);
	T_OK(r == PT_OK && out[0] == 0xd2 && pt_sign1_decode(out, full, &s) == PT_OK && s.tagged &&
		     pt_sign1_verify(ops, &s, (const uint8_t *)"aad", 3, sg.pk, scratch,
				     sizeof(scratch)) == PT_OK,
	     "pt_sign1_sign: a tagged Sign1 that verifies (%zu bytes)", full);
	/* Exactly the size it needs; one less fails and leaves nothing behind. */
	r = pt_sign1_sign(&sg, kid, 8, (const uint8_t *)"aad", 3, (const uint8_t *)"hello", 5, out,
			  full, &n);
	T_OK(r == PT_OK && n == full, "pt_sign1_sign: fits exactly %zu bytes", full);
	memset(out, 0xaa, sizeof(out));
	r = pt_sign1_sign(&sg, kid, 8, (const uint8_t *)"aad", 3, (const uint8_t *)"hello", 5, out,
			  full - 1, &n);
	for (zero = true, i = 0; i < full - 1; i++)
		zero = zero && out[i] == 0;
	T_OK(r == PT_ENOSPC && n == 0 && zero && out[full - 1] == 0xaa,
	     "pt_sign1_sign: one byte short: buffer-too-small, out zeroed, nothing past cap");

	/* "out is zeroed on failure": also for a kid that is too long. */
	memset(out, 0xaa, sizeof(out));
	r = pt_sign1_sign(&sg, kid, PT_COSE_KID_MAX + 1, NULL, 0, (const uint8_t *)"hello", 5, out,
			  sizeof(out), &n);
	for (zero = true, i = 0; i < sizeof(out); i++)
		zero = zero && out[i] == 0;
	T_OK(r != PT_OK && n == 0, "pt_sign1_sign: kid of %d bytes refused (%s)", PT_COSE_KID_MAX + 1,
	     pt_err_code(r));
	T_OK(zero, "pt_sign1_sign: kid too long: out zeroed (\"out is zeroed on failure\")");

	/* A long external AAD: the output needs no room for the Sig_structure. */
	r = pt_sign1_sign(&sg, kid, 8, bigaad, sizeof(bigaad), (const uint8_t *)"hello", 5, out,
			  sizeof(out), &full);
	T_OK(r == PT_OK && pt_sign1_decode(out, full, &s) == PT_OK &&
		     pt_sign1_verify(ops, &s, bigaad, sizeof(bigaad), sg.pk, scratch, sizeof(scratch)) ==
			     PT_OK,
	     "pt_sign1_sign with a 200-byte AAD: verifies (%zu bytes)", full);
	r = pt_sign1_sign(&sg, kid, 8, bigaad, sizeof(bigaad), (const uint8_t *)"hello", 5, out, full,
			  &n);
	/* cose.h: out is also the Sig_structure's scratch, so with an AAD
	 * this long the exact message size is not enough: refused cleanly. */
	T_OK(r == PT_ENOSPC && n == 0,
	     "pt_sign1_sign with a 200-byte AAD into exactly %zu bytes: buffer-too-small (got %s)",
	     full, pt_err_code(r));

	/* Header rules. */
	{
		static const struct {
			const char *what;
			uint8_t prot[16];
			size_t plen;
			uint8_t unprot[16];
			size_t ulen;
			int want;
		} hc[] = {
			{"alg in both buckets", {0xa1, 0x01, 0x27}, 3, {0xa1, 0x01, 0x27}, 3, PT_EMALFORMED},
			{"alg only unprotected", {0}, 0, {0xa1, 0x01, 0x27}, 3, PT_EMALFORMED},
			{"crit in the unprotected bucket", {0xa1, 0x01, 0x27}, 3, {0xa1, 0x02, 0x81, 0x01}, 4,
			 PT_EMALFORMED},
			{"crit naming an absent label", {0xa2, 0x01, 0x27, 0x02, 0x81, 0x04}, 6, {0xa0}, 1,
			 PT_EMALFORMED},
			{"crit [99]", {0xa2, 0x01, 0x27, 0x02, 0x81, 0x18, 0x63}, 7, {0xa0}, 1, PT_EUNSUPPORTED},
			{"crit []", {0xa2, 0x01, 0x27, 0x02, 0x80}, 5, {0xa0}, 1, PT_EMALFORMED},
			{"crit [1] (alg present)", {0xa2, 0x01, 0x27, 0x02, 0x81, 0x01}, 6, {0xa0}, 1, PT_OK},
			{"protected labels out of order", {0xa2, 0x03, 0x00, 0x01, 0x27}, 5, {0xa0}, 1,
			 PT_EMALFORMED},
			{"a text label (ignored)", {0xa2, 0x01, 0x27, 0x61, 'z', 0x01}, 6, {0xa0}, 1, PT_OK},
			{"protected bucket not a map", {0x81, 0x01}, 2, {0xa0}, 1, PT_EMALFORMED},
		};
		size_t k;

		for (k = 0; k < sizeof(hc) / sizeof(hc[0]); k++) {
			struct pt_cbor_wr w;
			struct pt_cose_hdr h;
			uint8_t m[256];
			int rd, rh;

			pt_cbor_wr_init(&w, m, sizeof(m));
			pt_cbor_put_tag(&w, 18);
			pt_cbor_put_array(&w, 4);
			pt_cbor_put_bytes(&w, hc[k].prot, hc[k].plen);
			pt_cbor_put_raw(&w, hc[k].unprot, hc[k].ulen);
			pt_cbor_put_bytes(&w, (const uint8_t *)"p", 1);
			pt_cbor_put_bytes(&w, scratch, PT_SIG_LEN);
			rd = pt_sign1_decode(m, w.len, &s);
			rh = rd == PT_OK ? pt_cose_headers(&s, &h) : rd;
			T_OK(pt_cbor_wr_status(&w) == PT_OK && rh == hc[k].want,
			     "headers: %s: %s (got %s)", hc[k].what, pt_err_code(hc[k].want),
			     pt_err_code(rh));
		}
	}
	pt_secret_free(sec);
}

int
main(void)
{
	if (pt_crypto_init() != PT_OK) {
		printf("Bail out! crypto init\n");
		return 1;
	}
	ops = pt_crypto_sodium();
	if (!find_vectors()) {
		T_OK(0, "COSE vectors found ($PORTER_VECTORS=%s, $PORTER_SRC=%s)",
		     getenv("PORTER_VECTORS") ? getenv("PORTER_VECTORS") : "(unset)",
		     getenv("PORTER_SRC") ? getenv("PORTER_SRC") : "(unset)");
		return t_done();
	}
	printf("# vectors in %s\n", base);
	test_table();
	test_eddsa_sig_01();
	test_cwt_claims();
	test_sign1_api();
	return t_done();
}
