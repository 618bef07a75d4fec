/*
 * test_proto: porterd's JSON request decoders (lib/proto/api_json.c),
 * checked against the contract in docs/api.md.
 *
 * For every decoder: the happy path; bodies that are not one JSON object
 * (empty, invalid, an array, a scalar, duplicate keys, trailing bytes);
 * an unknown field; each field missing, of the wrong type, too short and
 * too long, each with the exact status, code and field of the refusal.
 * Then the details: e-mail rules and lowercasing, password lengths, text
 * fields that refuse control characters, the home policy (defaults, every
 * field, limits, its canonical JSON and round trip), owner keys (length,
 * alphabet, small-order points), grant chains and revocation envelopes
 * (size limits: 413 past the protocol maximum, 400 for bad base64url).
 *
 * Schema 2 (lib/proto/api_json_org.c): the home's location; carriers
 * (exactly one of a key or hosted), couriers (levels, attestation
 * envelopes), couriers' devices, hubs (pairing envelopes), deliveries
 * (ids, package ids, the window's bounds), dispatch, arrival (positions),
 * reasons (an empty body is {}); every key field refuses what the
 * owner-key decoder refuses; every refusal leaves the struct all zeros.
 * Then the paging query (after, limit) and the names of levels, delivery
 * states and approvals, both ways.
 *
 * Where docs/api.md and the code differ, the check asserts what the
 * document promises (and says so in its description).
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "porter/crypto.h"
#include "porter/proto.h"
#include "porter/store.h"
#include "t.h"

/* ---- helpers ---- */

static struct pt_api_err e;
static struct pt_req_signup su;
static struct pt_req_signin si;
static struct pt_req_home hm;
static struct pt_req_member mb;
static struct pt_req_owner_key okey;
static struct pt_req_grant gr;
static struct pt_req_revocation rv;

/* A ring of buffers for bodies built on the fly. */
#define NBUF 8
#define BUFSZ 16384
static char bufs[NBUF][BUFSZ];
static unsigned bi;

static char *
next_buf(void)
{
	char *b = bufs[bi++ % NBUF];

	b[0] = '\0';
	return b;
}

__attribute__((format(printf, 1, 2))) static const char *
B(const char *fmt, ...)
{
	char *b = next_buf();
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(b, BUFSZ, fmt, ap);
	va_end(ap);
	if (n < 0 || n >= BUFSZ) {
		printf("Bail out! body too long for the test buffer\n");
		exit(1);
	}
	return b;
}

/* s repeated n times. */
static const char *
rep(const char *s, size_t n)
{
	char *b = next_buf();
	size_t l = strlen(s), i;

	if (l * n + 1 > BUFSZ) {
		printf("Bail out! rep too long\n");
		exit(1);
	}
	for (i = 0; i < n; i++)
		memcpy(b + i * l, s, l);
	b[l * n] = '\0';
	return b;
}

/* n bytes of a fixed pattern, and their base64url. */
static uint8_t blob[4200];

static const char *
b64_of(const uint8_t *p, size_t n)
{
	char *b = next_buf();

	if (pt_b64_encode(b, BUFSZ, p, n) != PT_OK) {
		printf("Bail out! b64\n");
		exit(1);
	}
	return b;
}

static const char *
b64(size_t n)
{
	return b64_of(blob, n);
}

static void
reset(void)
{
	memset(&e, 0x5a, sizeof(e));	/* a refusal must fill every byte it uses */
	e.code[sizeof(e.code) - 1] = '\0';
	e.field[sizeof(e.field) - 1] = '\0';
	e.message[sizeof(e.message) - 1] = '\0';
}

static int
d_signup(const char *p, size_t n)
{
	reset();
	return pt_req_signup_decode(p, n, &su, &e);
}

static int
d_signin(const char *p, size_t n)
{
	reset();
	return pt_req_signin_decode(p, n, &si, &e);
}

static int
d_home(const char *p, size_t n)
{
	reset();
	return pt_req_home_decode(p, n, false, &hm, &e);
}

static int
d_patch(const char *p, size_t n)
{
	reset();
	return pt_req_home_decode(p, n, true, &hm, &e);
}

static int
d_member(const char *p, size_t n)
{
	reset();
	return pt_req_member_decode(p, n, &mb, &e);
}

static int
d_key(const char *p, size_t n)
{
	reset();
	return pt_req_owner_key_decode(p, n, &okey, &e);
}

static int
d_grant(const char *p, size_t n)
{
	reset();
	return pt_req_grant_decode(p, n, &gr, &e);
}

static int
d_rev(const char *p, size_t n)
{
	reset();
	return pt_req_revocation_decode(p, n, &rv, &e);
}

typedef int (*decoder)(const char *, size_t);
static int d_reason(const char *p, size_t n);

static int
dec(decoder d, const char *s)
{
	return d(s, strlen(s));
}

/* A refusal: PT_EMALFORMED with exactly this status, code and field. */
static void
is_err(int r, int status, const char *code, const char *field, const char *what)
{
	T_EQ(r, PT_EMALFORMED, "%s: refused", what);
	T_EQ(e.status, status, "%s: status %d", what, status);
	T_OK(strcmp(e.code, code) == 0, "%s: code '%s' (got '%s')", what, code, e.code);
	T_OK(strcmp(e.field, field) == 0, "%s: field '%s' (got '%s')", what, field, e.field);
	T_OK(e.message[0] != '\0' && strlen(e.message) < sizeof(e.message), "%s: a message",
	     what);
}

static void
is_ok(int r, const char *what)
{
	if (!T_EQ(r, PT_OK, "%s: accepted", what))
		printf("# refused: %d %s field '%s': %s\n", e.status, e.code, e.field, e.message);
}

/* ---- every decoder: bodies that are not one JSON object ---- */

struct dec_case {
	const char *name;
	decoder fn;
	const char *valid;	/* a minimal body that is accepted */
	const char *first;	/* its first field, for the duplicate-key body */
	const char *dupval;	/* a valid value for it */
};

static void
test_common(const struct dec_case *c)
{
	char what[96];
	size_t vl = strlen(c->valid);
	const char *b;
	char raw[512];

	(void)snprintf(what, sizeof(what), "%s: valid body", c->name);
	is_ok(dec(c->fn, c->valid), what);

	(void)snprintf(what, sizeof(what), "%s: empty body", c->name);
	if (c->fn == d_reason) {
		/* proto.h: for a reason, an empty body is {} */
		is_ok(c->fn("", 0), what);
		(void)snprintf(what, sizeof(what), "%s: empty body (NULL, 0)", c->name);
		is_ok(c->fn(NULL, 0), what);
	} else {
		is_err(c->fn("", 0), 400, "bad-request", "", what);
		(void)snprintf(what, sizeof(what), "%s: empty body (NULL, 0)", c->name);
		is_err(c->fn(NULL, 0), 400, "bad-request", "", what);
	}
	(void)snprintf(what, sizeof(what), "%s: whitespace only", c->name);
	is_err(dec(c->fn, "  \n"), 400, "bad-request", "", what);
	(void)snprintf(what, sizeof(what), "%s: invalid JSON", c->name);
	is_err(dec(c->fn, "{\"email\": "), 400, "bad-request", "", what);
	(void)snprintf(what, sizeof(what), "%s: not JSON at all", c->name);
	is_err(dec(c->fn, "email=a@b.c"), 400, "bad-request", "", what);
	(void)snprintf(what, sizeof(what), "%s: a JSON array", c->name);
	is_err(dec(c->fn, B("[%s]", c->valid)), 400, "bad-request", "", what);
	(void)snprintf(what, sizeof(what), "%s: an empty array", c->name);
	is_err(dec(c->fn, "[]"), 400, "bad-request", "", what);
	(void)snprintf(what, sizeof(what), "%s: a JSON string", c->name);
	is_err(dec(c->fn, "\"{}\""), 400, "bad-request", "", what);
	(void)snprintf(what, sizeof(what), "%s: a number", c->name);
	is_err(dec(c->fn, "42"), 400, "bad-request", "", what);
	(void)snprintf(what, sizeof(what), "%s: null", c->name);
	is_err(dec(c->fn, "null"), 400, "bad-request", "", what);
	(void)snprintf(what, sizeof(what), "%s: two objects", c->name);
	is_err(dec(c->fn, B("%s %s", c->valid, c->valid)), 400, "bad-request", "", what);
	(void)snprintf(what, sizeof(what), "%s: trailing garbage", c->name);
	is_err(dec(c->fn, B("%s x", c->valid)), 400, "bad-request", "", what);
	(void)snprintf(what, sizeof(what), "%s: a raw NUL byte after the object", c->name);
	memcpy(raw, c->valid, vl + 1);
	is_err(c->fn(raw, vl + 1), 400, "bad-request", "", what);
	(void)snprintf(what, sizeof(what), "%s: invalid UTF-8", c->name);
	is_err(dec(c->fn, B("{\"%s\": \"\xff\xfe\"}", c->first)), 400, "bad-request", "", what);
	(void)snprintf(what, sizeof(what), "%s: duplicate key '%s'", c->name, c->first);
	is_err(dec(c->fn, B("{\"%s\": %s, %s", c->first, c->dupval, c->valid + 1)), 400,
	       "bad-request", "", what);
	(void)snprintf(what, sizeof(what), "%s: the length counts, not the NUL", c->name);
	is_err(c->fn(c->valid, vl - 1), 400, "bad-request", "", what);

	/* an unknown field is named */
	b = B("%.*s, \"colour\": \"red\"}", (int)(vl - 1), c->valid);
	(void)snprintf(what, sizeof(what), "%s: unknown field", c->name);
	is_err(dec(c->fn, b), 400, "unknown-field", "colour", what);
	b = B("{\"colour\": 1, %s", c->valid + 1);
	(void)snprintf(what, sizeof(what), "%s: unknown field first", c->name);
	is_err(dec(c->fn, b), 400, "unknown-field", "colour", what);
	b = B("{\"Email\": 1, %s", c->valid + 1);
	(void)snprintf(what, sizeof(what), "%s: field names are case-sensitive", c->name);
	is_err(dec(c->fn, b), 400, "unknown-field", "Email", what);
	/* a name that cannot be shown back is not echoed */
	b = B("%.*s, \"a\\u0007b\": 1}", (int)(vl - 1), c->valid);
	(void)snprintf(what, sizeof(what), "%s: unknown field with a control character", c->name);
	is_err(dec(c->fn, b), 400, "unknown-field", "?", what);
	/* a long name is cut to fit */
	b = B("%.*s, \"%s\": 1}", (int)(vl - 1), c->valid, rep("k", 80));
	(void)snprintf(what, sizeof(what), "%s: long unknown field name, cut", c->name);
	is_err(dec(c->fn, b), 400, "unknown-field", rep("k", 39), what);
}

/* ---- accounts ---- */

static void
test_signup(void)
{
	const char *pw = "correct horse battery";
	int r;

	r = dec(d_signup, "{\"email\": \"Ana@Example.ORG\", \"password\": \"correct horse battery\", "
			  "\"name\": \"Ana\"}");
	is_ok(r, "signup: the documented example");
	T_OK(strcmp(su.email, "ana@example.org") == 0, "signup: e-mail lowercased (%s)", su.email);
	T_OK(strcmp(su.password, pw) == 0, "signup: password copied");
	T_OK(strcmp(su.name, "Ana") == 0, "signup: name copied");
	T_EQ(su.role, PT_ROLE_OWNER, "signup: role defaults to owner");

	is_ok(dec(d_signup, B("{\"email\": \"a@b.c\", \"password\": \"%s\", \"name\": \"Ana\", "
			      "\"role\": \"owner\"}", pw)),
	      "signup: role owner");
	T_EQ(su.role, PT_ROLE_OWNER, "signup: role owner stored");
	is_ok(dec(d_signup, B("{\"role\": \"carrier-admin\", \"name\": \"Parcel Co\", "
			      "\"password\": \"%s\", \"email\": \"ops@parcel.example\"}", pw)),
	      "signup: role carrier-admin, fields in any order");
	T_EQ(su.role, PT_ROLE_CARRIER_ADMIN, "signup: role carrier-admin stored");
	/* docs/api.md: couriers sign up as `courier` and are then enrolled by their carrier */
	is_ok(dec(d_signup, B("{\"email\": \"ben@example.org\", \"password\": \"%s\", "
			      "\"name\": \"Ben K.\", \"role\": \"courier\"}", pw)),
	      "signup: role courier");
	T_EQ(su.role, PT_ROLE_COURIER, "signup: role courier stored");
	is_ok(dec(d_signup, B("{\"email\": \"a@b.c\", \"password\": \"%s\", \"name\": \"Zoë Ñúñez\"}",
			      pw)),
	      "signup: printable non-ASCII name");

	/* missing */
	is_err(dec(d_signup, B("{\"password\": \"%s\", \"name\": \"Ana\"}", pw)), 400, "missing-field",
	       "email", "signup: email missing");
	is_err(dec(d_signup, "{\"email\": \"a@b.c\", \"name\": \"Ana\"}"), 400, "missing-field",
	       "password", "signup: password missing");
	is_err(dec(d_signup, B("{\"email\": \"a@b.c\", \"password\": \"%s\"}", pw)), 400,
	       "missing-field", "name", "signup: name missing");
	is_err(dec(d_signup, "{}"), 400, "missing-field", "email", "signup: {} names email first");

	/* wrong types */
	is_err(dec(d_signup, B("{\"email\": 1, \"password\": \"%s\", \"name\": \"Ana\"}", pw)), 400,
	       "invalid-field", "email", "signup: email a number");
	is_err(dec(d_signup, B("{\"email\": null, \"password\": \"%s\", \"name\": \"Ana\"}", pw)),
	       400, "invalid-field", "email", "signup: email null");
	is_err(dec(d_signup, "{\"email\": \"a@b.c\", \"password\": true, \"name\": \"Ana\"}"), 400,
	       "invalid-field", "password", "signup: password a boolean");
	is_err(dec(d_signup, B("{\"email\": \"a@b.c\", \"password\": \"%s\", \"name\": [\"Ana\"]}",
			       pw)),
	       400, "invalid-field", "name", "signup: name an array");
	is_err(dec(d_signup, B("{\"email\": \"a@b.c\", \"password\": \"%s\", \"name\": \"Ana\", "
			       "\"role\": {}}", pw)),
	       400, "invalid-field", "role", "signup: role an object");

	/* name length and text */
	is_ok(dec(d_signup, B("{\"email\": \"a@b.c\", \"password\": \"%s\", \"name\": \"%s\"}", pw,
			      rep("n", 100))),
	      "signup: name of 100");
	T_EQ(strlen(su.name), 100, "signup: name of 100 copied");
	is_err(dec(d_signup, B("{\"email\": \"a@b.c\", \"password\": \"%s\", \"name\": \"%s\"}", pw,
			       rep("n", 101))),
	       400, "invalid-field", "name", "signup: name of 101");
	is_err(dec(d_signup, B("{\"email\": \"a@b.c\", \"password\": \"%s\", \"name\": \"\"}", pw)),
	       400, "invalid-field", "name", "signup: empty name");
	/* docs/api.md: "name (1..100 bytes of printable UTF-8)" */
	is_ok(dec(d_signup, B("{\"email\": \"a@b.c\", \"password\": \"%s\", \"name\": \"%s\"}", pw,
			      rep("\xc3\xa9", 50))),
	      "signup: name of 50 two-byte characters (100 bytes)");
	is_err(dec(d_signup, B("{\"email\": \"a@b.c\", \"password\": \"%s\", \"name\": \"%s\"}", pw,
			       rep("\xc3\xa9", 51))),
	       400, "invalid-field", "name", "signup: name of 51 two-byte characters (102 bytes)");
	{
		static const char *const bad[] = {"A\\u0001na", "A\\tna", "Ana\\n", "A\\u007fna",
						  "A\\u0085na", "\\u001b[31mAna"};
		size_t i;
		char what[80];
		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			(void)snprintf(what, sizeof(what), "signup: control character in name (%s)",
				       bad[i]);
			is_err(dec(d_signup, B("{\"email\": \"a@b.c\", \"password\": \"%s\", "
					       "\"name\": \"%s\"}", pw, bad[i])),
			       400, "invalid-field", "name", what);
		}
	}
	/* A NUL inside a string: the body is one JSON object (RFC 8259 allows
	 * \u0000), so docs/api.md promises 400 invalid-field naming the field. */
	r = dec(d_signup, B("{\"email\": \"a@b.c\", \"password\": \"%s\", \"name\": \"a\\u0000b\"}",
			    pw));
	T_EQ(r, PT_EMALFORMED, "signup: NUL inside name refused");
	T_EQ(e.status, 400, "signup: NUL inside name: 400");
	T_OK(strcmp(e.code, "invalid-field") == 0,
	     "signup: NUL inside name: code invalid-field (docs/api.md: a bad value names the "
	     "field; got '%s')", e.code);
	T_OK(strcmp(e.field, "name") == 0, "signup: NUL inside name: field name (got '%s')",
	     e.field);
	T_OK(su.password[0] == '\0', "signup: refused: password wiped");
	r = dec(d_signup, B("{\"email\": \"a\\u0000@b.c\", \"password\": \"%s\", \"name\": \"A\"}",
			    pw));
	T_EQ(r, PT_EMALFORMED, "signup: NUL inside email refused");
	T_EQ(e.status, 400, "signup: NUL inside email: 400");
	r = dec(d_signup, "{\"email\": \"a@b.c\", \"password\": \"correct\\u0000horse\", "
			  "\"name\": \"A\"}");
	T_EQ(r, PT_EMALFORMED, "signup: NUL inside password refused");
	T_EQ(e.status, 400, "signup: NUL inside password: 400");

	/* passwords: 12..256 bytes */
	is_err(dec(d_signup, B("{\"email\": \"a@b.c\", \"password\": \"%s\", \"name\": \"A\"}",
			       rep("p", 11))),
	       400, "invalid-field", "password", "signup: password of 11 bytes");
	is_ok(dec(d_signup, B("{\"email\": \"a@b.c\", \"password\": \"%s\", \"name\": \"A\"}",
			      rep("p", 12))),
	      "signup: password of 12 bytes");
	T_EQ(strlen(su.password), 12, "signup: password of 12 copied");
	is_ok(dec(d_signup, B("{\"email\": \"a@b.c\", \"password\": \"%s\", \"name\": \"A\"}",
			      rep("p", 256))),
	      "signup: password of 256 bytes");
	T_EQ(strlen(su.password), 256, "signup: password of 256 copied");
	is_err(dec(d_signup, B("{\"email\": \"a@b.c\", \"password\": \"%s\", \"name\": \"A\"}",
			       rep("p", 257))),
	       400, "invalid-field", "password", "signup: password of 257 bytes");
	is_ok(dec(d_signup, B("{\"email\": \"a@b.c\", \"password\": \"%s\", \"name\": \"A\"}",
			      rep("\xc3\xa9", 6))),
	      "signup: password of 6 two-byte characters is 12 bytes");
	is_err(dec(d_signup, "{\"email\": \"a@b.c\", \"password\": \"\", \"name\": \"A\"}"), 400,
	       "invalid-field", "password", "signup: empty password");
	T_OK(su.password[0] == '\0' && su.email[0] == '\0', "signup: refused: struct wiped");

	/* role */
	{
		static const char *const bad[] = {"\"Courier\"", "\"member\"", "\"Owner\"", "\"\"",
						  "\"carrier-admin-and-more\"", "1", "null", "true"};
		size_t i;
		char what[80];
		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			(void)snprintf(what, sizeof(what), "signup: role %s", bad[i]);
			is_err(dec(d_signup, B("{\"email\": \"a@b.c\", \"password\": \"%s\", "
					       "\"name\": \"A\", \"role\": %s}", pw, bad[i])),
			       400, "invalid-field", "role", what);
		}
	}
}

/* E-mail rules shared by sign-up and members. */
static void
test_emails(const char *name, decoder d, const char *rest, const char *(*stored)(void))
{
	static const char *const bad[] = {
		"anaexample.org",	/* no @ */
		"ana@exa@mple.org",	/* two @ */
		"@example.org",		/* leading @ */
		"ana@",			/* trailing @ */
		"ana @example.org",	/* a space */
		"ana@example.org ",	/* a trailing space */
		"ana@ex\\u00e4mple.org",	/* non-ASCII */
		"\\u00e4na@example.org",	/* non-ASCII */
		"ana\\t@example.org",	/* a control character */
		"ana@example.org\\r\\n", /* CR LF */
		"ana\\u007f@example.org", /* DEL */
		"@",
		"@@@",
	};
	char what[96];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		(void)snprintf(what, sizeof(what), "%s: invalid e-mail \"%s\"", name, bad[i]);
		is_err(dec(d, B("{\"email\": \"%s\"%s}", bad[i], rest)), 400, "invalid-field", "email",
		       what);
	}
	(void)snprintf(what, sizeof(what), "%s: e-mail of 2 bytes", name);
	is_err(dec(d, B("{\"email\": \"a@\"%s}", rest)), 400, "invalid-field", "email", what);
	(void)snprintf(what, sizeof(what), "%s: empty e-mail", name);
	is_err(dec(d, B("{\"email\": \"\"%s}", rest)), 400, "invalid-field", "email", what);
	(void)snprintf(what, sizeof(what), "%s: e-mail of 3 bytes", name);
	is_ok(dec(d, B("{\"email\": \"a@b\"%s}", rest)), what);
	(void)snprintf(what, sizeof(what), "%s: e-mail of 254 bytes", name);
	is_ok(dec(d, B("{\"email\": \"%s@%s\"%s}", rep("a", 64), rep("B", 189), rest)), what);
	(void)snprintf(what, sizeof(what), "%s: e-mail of 254 bytes stored lowercased", name);
	T_OK(strlen(stored()) == 254 && strcmp(stored() + 65, rep("b", 189)) == 0, "%s", what);
	(void)snprintf(what, sizeof(what), "%s: e-mail of 255 bytes", name);
	is_err(dec(d, B("{\"email\": \"%s@%s\"%s}", rep("a", 64), rep("b", 190), rest)), 400,
	       "invalid-field", "email", what);
	(void)snprintf(what, sizeof(what), "%s: mixed case", name);
	is_ok(dec(d, B("{\"email\": \"Ana.Maria+Tag@Example.ORG\"%s}", rest)), what);
	(void)snprintf(what, sizeof(what), "%s: stored lowercased", name);
	T_OK(strcmp(stored(), "ana.maria+tag@example.org") == 0, "%s (%s)", what, stored());
}

static const char *
su_email(void)
{
	return su.email;
}

static const char *
mb_email(void)
{
	return mb.email;
}

static void
test_signin(void)
{
	is_ok(dec(d_signin, "{\"email\": \"Ana@Example.ORG\", \"password\": \"correct horse battery\"}"),
	      "signin: the documented body");
	T_OK(strcmp(si.email, "ana@example.org") == 0, "signin: e-mail lowercased (%s)", si.email);
	T_OK(strcmp(si.password, "correct horse battery") == 0, "signin: password copied");
	/* a wrong e-mail or password is 401 bad-credentials, not a 400 */
	is_ok(dec(d_signin, "{\"email\": \"NOT-AN-EMAIL\", \"password\": \"x\"}"),
	      "signin: any e-mail text and a short password pass the decoder");
	T_OK(strcmp(si.email, "not-an-email") == 0, "signin: lowercased all the same");
	is_ok(dec(d_signin, B("{\"email\": \"a@b.c\", \"password\": \"%s\"}", rep("p", 11))),
	      "signin: password of 11 bytes");
	is_ok(dec(d_signin, B("{\"email\": \"a@b.c\", \"password\": \"%s\"}", rep("p", 256))),
	      "signin: password of 256 bytes");
	is_err(dec(d_signin, B("{\"email\": \"a@b.c\", \"password\": \"%s\"}", rep("p", 257))), 400,
	       "invalid-field", "password", "signin: password of 257 bytes");
	T_OK(si.password[0] == '\0', "signin: refused: password wiped");
	is_err(dec(d_signin, "{\"email\": \"a@b.c\", \"password\": \"\"}"), 400, "invalid-field",
	       "password", "signin: empty password");
	is_ok(dec(d_signin, B("{\"email\": \"%s\", \"password\": \"p\"}", rep("a", 254))),
	      "signin: e-mail of 254 bytes");
	is_err(dec(d_signin, B("{\"email\": \"%s\", \"password\": \"p\"}", rep("a", 255))), 400,
	       "invalid-field", "email", "signin: e-mail of 255 bytes");
	is_err(dec(d_signin, "{\"email\": \"\", \"password\": \"p\"}"), 400, "invalid-field", "email",
	       "signin: empty e-mail");
	is_err(dec(d_signin, "{\"password\": \"p\"}"), 400, "missing-field", "email",
	       "signin: email missing");
	is_err(dec(d_signin, "{\"email\": \"a@b.c\"}"), 400, "missing-field", "password",
	       "signin: password missing");
	is_err(dec(d_signin, "{\"email\": [], \"password\": \"p\"}"), 400, "invalid-field", "email",
	       "signin: email an array");
	is_err(dec(d_signin, "{\"email\": \"a@b.c\", \"password\": 123456789012}"), 400,
	       "invalid-field", "password", "signin: password a number");
	is_err(dec(d_signin, "{\"email\": \"a@b.c\", \"password\": \"p\", \"name\": \"A\"}"), 400,
	       "unknown-field", "name", "signin: name is not a sign-in field");
	T_EQ(dec(d_signin, "{\"email\": \"a@b.c\", \"password\": \"a\\u0000b\"}"), PT_EMALFORMED,
	     "signin: NUL inside password refused");
}

/* ---- homes and policy ---- */

static void
test_home(void)
{
	int r;

	r = dec(d_home, "{\"name\": \"Flat\", \"tz\": \"Europe/Berlin\", \"notes\": \"dog inside: "
			"leave parcels in the hall\",\n \"policy\": {\"in_home_delivery\": true, "
			"\"hours\": [\"mon-fri 08:00-20:00\"]}}");
	is_ok(r, "home: the documented example");
	T_OK(hm.has_name && strcmp(hm.name, "Flat") == 0, "home: name");
	T_OK(hm.has_tz && strcmp(hm.tz, "Europe/Berlin") == 0, "home: tz");
	T_OK(hm.has_notes && strcmp(hm.notes, "dog inside: leave parcels in the hall") == 0,
	     "home: notes");
	T_OK(hm.has_policy, "home: policy given");
	T_OK(hm.policy.in_home_delivery, "home: policy.in_home_delivery");
	T_EQ(hm.policy.n_hours, 1, "home: one interval");
	T_EQ(hm.policy.hours[0].days, 0x3e, "home: mon-fri");
	T_EQ(hm.policy.hours[0].start_min, 8 * 60, "home: from 08:00");
	T_EQ(hm.policy.hours[0].end_min, 20 * 60, "home: to 20:00");
	T_OK(hm.policy.camera_required && hm.policy.alarm_bypass_required &&
		     !hm.policy.standing_approval && hm.policy.n_carriers == 0,
	     "home: policy fields not given keep their defaults");

	is_ok(dec(d_home, "{\"name\": \"Flat\", \"tz\": \"Europe/Berlin\"}"), "home: name and tz only");
	T_OK(!hm.has_notes && hm.notes[0] == '\0' && !hm.has_policy, "home: no notes, no policy");
	T_OK(!hm.policy.in_home_delivery && hm.policy.n_carriers == 0 && hm.policy.n_hours == 0 &&
		     hm.policy.camera_required && hm.policy.alarm_bypass_required &&
		     !hm.policy.standing_approval,
	     "home: policy defaults when absent");

	/* required on create */
	is_err(dec(d_home, "{\"tz\": \"Europe/Berlin\"}"), 400, "missing-field", "name",
	       "home: name missing");
	is_err(dec(d_home, "{\"name\": \"Flat\"}"), 400, "missing-field", "tz", "home: tz missing");
	is_err(dec(d_home, "{\"notes\": \"x\", \"policy\": {}}"), 400, "missing-field", "name",
	       "home: notes and policy only");
	/* wrong types */
	is_err(dec(d_home, "{\"name\": 7, \"tz\": \"Europe/Berlin\"}"), 400, "invalid-field", "name",
	       "home: name a number");
	is_err(dec(d_home, "{\"name\": \"Flat\", \"tz\": false}"), 400, "invalid-field", "tz",
	       "home: tz a boolean");
	is_err(dec(d_home, "{\"name\": \"Flat\", \"tz\": \"UTC\", \"notes\": null}"), 400,
	       "invalid-field", "notes", "home: notes null");
	is_err(dec(d_home, "{\"name\": \"Flat\", \"tz\": \"UTC\", \"policy\": \"none\"}"), 400,
	       "invalid-field", "policy", "home: policy a string");
	is_err(dec(d_home, "{\"name\": \"Flat\", \"tz\": \"UTC\", \"policy\": null}"), 400,
	       "invalid-field", "policy", "home: policy null");
	is_err(dec(d_home, "{\"name\": \"Flat\", \"tz\": \"UTC\", \"policy\": []}"), 400,
	       "invalid-field", "policy", "home: policy an array");
	/* lengths */
	is_ok(dec(d_home, B("{\"name\": \"%s\", \"tz\": \"UTC\"}", rep("n", 100))), "home: name of 100");
	is_err(dec(d_home, B("{\"name\": \"%s\", \"tz\": \"UTC\"}", rep("n", 101))), 400,
	       "invalid-field", "name", "home: name of 101");
	is_err(dec(d_home, "{\"name\": \"\", \"tz\": \"UTC\"}"), 400, "invalid-field", "name",
	       "home: empty name");
	is_ok(dec(d_home, "{\"name\": \"Flat\", \"tz\": \"UTC\", \"notes\": \"\"}"), "home: empty notes");
	T_OK(hm.has_notes && hm.notes[0] == '\0', "home: empty notes given");
	is_ok(dec(d_home, B("{\"name\": \"Flat\", \"tz\": \"UTC\", \"notes\": \"%s\"}", rep("x", 500))),
	      "home: notes of 500");
	T_EQ(strlen(hm.notes), 500, "home: notes of 500 copied");
	is_err(dec(d_home, B("{\"name\": \"Flat\", \"tz\": \"UTC\", \"notes\": \"%s\"}", rep("x", 501))),
	       400, "invalid-field", "notes", "home: notes of 501");
	/* docs/api.md: "notes (0..500 bytes of printable UTF-8)" */
	is_ok(dec(d_home, B("{\"name\": \"Flat\", \"tz\": \"UTC\", \"notes\": \"%s\"}",
			    rep("\xc3\xa9", 250))),
	      "home: notes of 250 two-byte characters (500 bytes)");
	is_err(dec(d_home, B("{\"name\": \"Flat\", \"tz\": \"UTC\", \"notes\": \"%s\"}",
			     rep("\xc3\xa9", 251))),
	       400, "invalid-field", "notes", "home: notes of 251 two-byte characters (502 bytes)");
	/* control characters in text */
	{
		static const char *const bad[] = {"a\\u0001b", "a\\tb", "line\\nline", "a\\rb",
						  "a\\u007fb", "a\\u009fb", "a\\u0085b"};
		size_t i;
		char what[80];
		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			(void)snprintf(what, sizeof(what), "home: control character in name (%s)",
				       bad[i]);
			is_err(dec(d_home, B("{\"name\": \"%s\", \"tz\": \"UTC\"}", bad[i])), 400,
			       "invalid-field", "name", what);
			(void)snprintf(what, sizeof(what), "home: control character in notes (%s)",
				       bad[i]);
			is_err(dec(d_home, B("{\"name\": \"Flat\", \"tz\": \"UTC\", \"notes\": \"%s\"}",
					     bad[i])),
			       400, "invalid-field", "notes", what);
		}
	}
	is_ok(dec(d_home, "{\"name\": \"Wohnung \\u00fc \\u2713 \\ud83d\\udce6\", \"tz\": \"UTC\", "
			  "\"notes\": \"Hund im Flur \\u2014 bitte klingeln\"}"),
	      "home: printable non-ASCII in name and notes");
	r = dec(d_home, "{\"name\": \"a\\u0000b\", \"tz\": \"UTC\"}");
	T_EQ(r, PT_EMALFORMED, "home: NUL inside name refused");
	T_EQ(e.status, 400, "home: NUL inside name: 400");
	r = dec(d_home, "{\"name\": \"Flat\", \"tz\": \"UTC\", \"notes\": \"a\\u0000b\"}");
	T_EQ(r, PT_EMALFORMED, "home: NUL inside notes refused");
	T_EQ(e.status, 400, "home: NUL inside notes: 400");

	/* tz: an IANA name (existence is porterd's check) */
	{
		static const char *const good[] = {"UTC", "Europe/Berlin", "America/Argentina/Buenos_Aires",
						   "Etc/GMT+5", "Etc/GMT-14", "America/Port-au-Prince",
						   "Nowhere/Atlantis"};
		static const char *const bad[] = {"", "../etc/passwd", "Europe/../../etc",
						  "/etc/localtime", "Europe/", "Europe//Berlin",
						  "Europe/Berlin ", "Europe\\\\Berlin", "Europe/Ber.lin",
						  "Europe/Berlin\\n", "Europe/Berl\\u00efn"};
		size_t i;
		char what[96];
		for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
			(void)snprintf(what, sizeof(what), "home: tz %s", good[i]);
			is_ok(dec(d_home, B("{\"name\": \"Flat\", \"tz\": \"%s\"}", good[i])), what);
		}
		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			(void)snprintf(what, sizeof(what), "home: tz \"%s\"", bad[i]);
			is_err(dec(d_home, B("{\"name\": \"Flat\", \"tz\": \"%s\"}", bad[i])), 400,
			       "invalid-field", "tz", what);
		}
		is_ok(dec(d_home, B("{\"name\": \"Flat\", \"tz\": \"%s\"}", rep("Z", 64))),
		      "home: tz of 64");
		is_err(dec(d_home, B("{\"name\": \"Flat\", \"tz\": \"%s\"}", rep("Z", 65))), 400,
		       "invalid-field", "tz", "home: tz of 65");
	}
	T_OK(hm.name[0] == '\0' && !hm.has_name, "home: refused: struct cleared");
}

static void
test_patch(void)
{
	is_ok(dec(d_patch, "{\"name\": \"Flat 2\"}"), "patch: name only");
	T_OK(hm.has_name && !hm.has_tz && !hm.has_notes && !hm.has_policy, "patch: only name given");
	T_OK(strcmp(hm.name, "Flat 2") == 0, "patch: name copied");
	is_ok(dec(d_patch, "{\"tz\": \"Europe/Lisbon\"}"), "patch: tz only");
	T_OK(hm.has_tz && !hm.has_name && strcmp(hm.tz, "Europe/Lisbon") == 0, "patch: tz given");
	is_ok(dec(d_patch, "{\"notes\": \"\"}"), "patch: clear the notes");
	T_OK(hm.has_notes && hm.notes[0] == '\0', "patch: notes given, empty");
	is_ok(dec(d_patch, "{\"policy\": {\"approval\": \"standing\"}}"), "patch: policy only");
	T_OK(hm.has_policy && hm.policy.standing_approval && hm.policy.camera_required &&
		     !hm.policy.in_home_delivery,
	     "patch: a given policy replaces the whole policy (defaults for the rest)");
	is_ok(dec(d_patch, "{\"name\": \"F\", \"tz\": \"UTC\", \"notes\": \"n\", \"policy\": {}}"),
	      "patch: every field");
	T_OK(hm.has_name && hm.has_tz && hm.has_notes && hm.has_policy, "patch: every field given");
	/* Not in docs/api.md: an empty patch is refused (lib/proto/api_json.c). */
	is_err(dec(d_patch, "{}"), 400, "bad-request", "", "patch: nothing to change");
	is_err(dec(d_patch, "{\"name\": \"\"}"), 400, "invalid-field", "name", "patch: empty name");
	is_err(dec(d_patch, "{\"tz\": \"../x\"}"), 400, "invalid-field", "tz", "patch: bad tz");
	is_err(dec(d_patch, "{\"tz\": null}"), 400, "invalid-field", "tz", "patch: tz null");
	is_err(dec(d_patch, "{\"notes\": 1}"), 400, "invalid-field", "notes", "patch: notes a number");
	is_err(dec(d_patch, "{\"policy\": {\"hours\": \"always\"}}"), 400, "invalid-field",
	       "policy.hours", "patch: bad policy");
	is_err(dec(d_patch, "{\"id\": \"h-0011223344556677\"}"), 400, "unknown-field", "id",
	       "patch: id is not writable");
	is_err(dec(d_patch, "{\"role\": \"owner\"}"), 400, "unknown-field", "role",
	       "patch: role is not writable");
}

static int
d_policy(const char *policy)
{
	return dec(d_home, B("{\"name\": \"Flat\", \"tz\": \"UTC\", \"policy\": %s}", policy));
}

static void
test_policy(void)
{
	const struct pt_policy *p = &hm.policy;
	char what[128];
	size_t i;

	is_ok(d_policy("{}"), "policy: {}");
	T_OK(hm.has_policy, "policy: {} given");
	T_OK(!p->in_home_delivery && p->n_carriers == 0 && p->n_hours == 0 && p->camera_required &&
		     p->alarm_bypass_required && !p->standing_approval,
	     "policy: {} is the documented defaults");

	is_ok(d_policy("{\"in_home_delivery\": true, \"carriers\": [\"dhl\", \"ups.de\", \"c_9-X\"], "
		       "\"hours\": [\"mon-fri 08:00-20:00\", \"sat 09:00-12:30\", \"daily 00:00-24:00\"], "
		       "\"camera_required\": false, \"alarm_bypass_required\": false, "
		       "\"approval\": \"standing\"}"),
	      "policy: every field");
	T_OK(p->in_home_delivery, "policy: in_home_delivery true");
	T_EQ(p->n_carriers, 3, "policy: three carriers");
	T_OK(strcmp(p->carriers[0], "dhl") == 0 && strcmp(p->carriers[1], "ups.de") == 0 &&
		     strcmp(p->carriers[2], "c_9-X") == 0,
	     "policy: carriers in order");
	T_EQ(p->n_hours, 3, "policy: three intervals");
	T_OK(p->hours[0].days == 0x3e && p->hours[0].start_min == 480 && p->hours[0].end_min == 1200,
	     "policy: mon-fri 08:00-20:00");
	T_OK(p->hours[1].days == 0x40 && p->hours[1].start_min == 540 && p->hours[1].end_min == 750,
	     "policy: sat 09:00-12:30");
	T_OK(p->hours[2].days == 0x7f && p->hours[2].start_min == 0 && p->hours[2].end_min == 1440,
	     "policy: daily 00:00-24:00");
	T_OK(!p->camera_required, "policy: camera_required false");
	T_OK(!p->alarm_bypass_required, "policy: alarm_bypass_required false");
	T_OK(p->standing_approval, "policy: approval standing");
	is_ok(d_policy("{\"approval\": \"per-delivery\", \"camera_required\": true, "
		       "\"alarm_bypass_required\": true, \"in_home_delivery\": false, "
		       "\"carriers\": [], \"hours\": []}"),
	      "policy: the documented defaults, spelled out");
	T_OK(!p->standing_approval && p->camera_required && p->alarm_bypass_required &&
		     !p->in_home_delivery,
	     "policy: approval per-delivery");

	/* unknown fields are named policy.<name> */
	is_err(d_policy("{\"colour\": \"red\"}"), 400, "unknown-field", "policy.colour",
	       "policy: unknown field");
	is_err(d_policy("{\"approval\": \"standing\", \"Approval\": \"standing\"}"), 400,
	       "unknown-field", "policy.Approval", "policy: field names are case-sensitive");
	is_err(d_policy(B("{\"%s\": 1}", rep("q", 40))), 400, "unknown-field",
	       B("policy.%s", rep("q", 24)), "policy: long unknown field name, cut");
	is_err(d_policy("{\"a\\u0001\": 1}"), 400, "unknown-field", "policy.?",
	       "policy: unknown field with a control character");
	is_err(d_policy("{\"hours\": [], \"hours\": []}"), 400, "bad-request", "",
	       "policy: duplicate key");

	/* wrong types for the booleans */
	{
		static const char *const names[] = {"in_home_delivery", "camera_required",
						    "alarm_bypass_required"};
		static const char *const vals[] = {"\"true\"", "1", "0", "null", "[]", "{}"};
		size_t k;
		for (i = 0; i < 3; i++) {
			for (k = 0; k < sizeof(vals) / sizeof(vals[0]); k++) {
				(void)snprintf(what, sizeof(what), "policy: %s = %s", names[i], vals[k]);
				is_err(d_policy(B("{\"%s\": %s}", names[i], vals[k])), 400,
				       "invalid-field", B("policy.%s", names[i]), what);
			}
		}
	}

	/* carriers: up to 16 carrier ids */
	{
		static const char *const bad[] = {"\"dhl\"", "{}", "[1]", "[null]", "[\"\"]",
						  "[\"a b\"]", "[\".hidden\"]", "[\"dhl/de\"]",
						  "[\"d\\u00e4l\"]", "[\"dhl\", 2]", "[[\"dhl\"]]"};
		char list[16 * 70 + 8], *cut;
		size_t n = 0;
		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			(void)snprintf(what, sizeof(what), "policy: carriers %s", bad[i]);
			is_err(d_policy(B("{\"carriers\": %s}", bad[i])), 400, "invalid-field",
			       "policy.carriers", what);
		}
		is_ok(d_policy(B("{\"carriers\": [\"%s\"]}", rep("c", 64))), "policy: carrier id of 64");
		T_EQ(strlen(p->carriers[0]), 64, "policy: carrier id of 64 copied");
		is_err(d_policy(B("{\"carriers\": [\"%s\"]}", rep("c", 65))), 400, "invalid-field",
		       "policy.carriers", "policy: carrier id of 65");
		list[n++] = '[';
		for (i = 0; i < 17; i++)
			n += (size_t)snprintf(list + n, sizeof(list) - n, "%s\"c%zu\"", i ? "," : "", i);
		list[n++] = ']';
		list[n] = '\0';
		is_err(d_policy(B("{\"carriers\": %s}", list)), 400, "invalid-field", "policy.carriers",
		       "policy: 17 carriers");
		/* drop the last one: 16 */
		cut = strrchr(list, ',');
		cut[0] = ']';
		cut[1] = '\0';
		is_ok(d_policy(B("{\"carriers\": %s}", list)), "policy: 16 carriers");
		T_EQ(p->n_carriers, 16, "policy: 16 carriers stored");
		T_OK(strcmp(p->carriers[15], "c15") == 0, "policy: the 16th carrier");
		n = 0;
		list[n++] = '[';
		for (i = 0; i < 16; i++)
			n += (size_t)snprintf(list + n, sizeof(list) - n, "%s\"%s%c\"", i ? "," : "",
					      rep("c", 63), (char)('a' + i));
		list[n++] = ']';
		list[n] = '\0';
		is_ok(d_policy(B("{\"carriers\": %s}", list)), "policy: 16 carrier ids of 64");
		T_OK(p->n_carriers == 16 && strlen(p->carriers[15]) == 64 && p->carriers[15][63] == 'p',
		     "policy: 16 carrier ids of 64 stored");
	}

	/* hours: up to 16 week-day intervals */
	{
		static const char *const good[] = {"mon 00:00-00:01", "sun 23:59-24:00",
						   "fri-mon 18:00-22:00", "mon,wed,fri 08:00-12:00",
						   "sat-sun 10:00-16:00", "daily 09:00-17:00"};
		static const char *const bad[] = {
			"\"mon-fri\"", "[\"mon-fri 8:00-20:00\"]", "[\"mon-fri 20:00-08:00\"]",
			"[\"mon-fri 08:00-08:00\"]", "[\"mon-fri 08:00-25:00\"]",
			"[\"mon-fri 08:60-09:00\"]", "[\"mon-fri 24:30-24:45\"]",
			"[\"monday 08:00-20:00\"]", "[\"Mon-Fri 08:00-20:00\"]",
			"[\"mon-fri  08:00-20:00\"]", "[\"mon-fri 08:00 - 20:00\"]",
			"[\"mon-fri\"]", "[\"08:00-20:00\"]", "[\"\"]", "[5]", "[null]",
			"[\"mon-fri 08:00-20:00x\"]", "[\"xyz 08:00-20:00\"]", "[\"mon- 08:00-20:00\"]",
			"[\"mon,,fri 08:00-20:00\"]", "{\"mon\": \"08:00-20:00\"}", "true"};
		char list[17 * 24 + 8], *cut;
		size_t n = 0;
		for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
			(void)snprintf(what, sizeof(what), "policy: hours \"%s\"", good[i]);
			is_ok(d_policy(B("{\"hours\": [\"%s\"]}", good[i])), what);
		}
		T_OK(p->hours[0].days == 0x7f, "policy: daily is every day");
		is_ok(d_policy("{\"hours\": [\"fri-mon 18:00-22:00\"]}"), "policy: fri-mon wraps");
		T_EQ(p->hours[0].days, 0x63, "policy: fri-mon is fri, sat, sun, mon");
		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			(void)snprintf(what, sizeof(what), "policy: hours %s", bad[i]);
			is_err(d_policy(B("{\"hours\": %s}", bad[i])), 400, "invalid-field",
			       "policy.hours", what);
		}
		is_err(d_policy(B("{\"hours\": [\"mon-fri 08:00-20:00%s\"]}", rep(" ", 20))), 400,
		       "invalid-field", "policy.hours", "policy: a long interval string");
		list[n++] = '[';
		for (i = 0; i < 17; i++)
			n += (size_t)snprintf(list + n, sizeof(list) - n, "%s\"mon %02zu:00-%02zu:30\"",
					      i ? "," : "", i, i);
		list[n++] = ']';
		list[n] = '\0';
		is_err(d_policy(B("{\"hours\": %s}", list)), 400, "invalid-field", "policy.hours",
		       "policy: 17 intervals");
		cut = strrchr(list, ',');
		cut[0] = ']';
		cut[1] = '\0';
		is_ok(d_policy(B("{\"hours\": %s}", list)), "policy: 16 intervals");
		T_EQ(p->n_hours, 16, "policy: 16 intervals stored");
		T_OK(p->hours[15].start_min == 15 * 60 && p->hours[15].end_min == 15 * 60 + 30,
		     "policy: the 16th interval");
	}

	/* approval */
	{
		static const char *const bad[] = {"\"always\"", "\"Standing\"", "\"per_delivery\"",
						  "\"\"", "true", "1", "null", "[\"standing\"]",
						  "\"standing \""};
		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			(void)snprintf(what, sizeof(what), "policy: approval %s", bad[i]);
			is_err(d_policy(B("{\"approval\": %s}", bad[i])), 400, "invalid-field",
			       "policy.approval", what);
		}
		is_ok(d_policy("{\"approval\": \"standing\"}"), "policy: approval standing");
		T_OK(p->standing_approval, "policy: standing stored");
		is_ok(d_policy("{\"approval\": \"per-delivery\"}"), "policy: approval per-delivery");
		T_OK(!p->standing_approval, "policy: per-delivery stored");
	}
}

static void
test_policy_json(void)
{
	static const char def[] = "{\"alarm_bypass_required\":true,\"approval\":\"per-delivery\","
				  "\"camera_required\":true,\"carriers\":[],\"hours\":[],"
				  "\"in_home_delivery\":false}";
	struct pt_policy a, b;
	char out[PT_POLICY_MAX + 1], out2[PT_POLICY_MAX + 1], small[sizeof(def)];
	size_t n;
	int r;

	pt_policy_default(&a);
	r = pt_policy_to_json(&a, out, sizeof(out));
	T_EQ(r, PT_OK, "policy json: defaults encode");
	T_OK(strcmp(out, def) == 0, "policy json: canonical defaults (sorted keys, compact): %s", out);

	memset(&b, 0x77, sizeof(b));
	T_EQ(pt_policy_from_json(def, &b), PT_OK, "policy json: defaults decode");
	T_OK(memcmp(&a, &b, sizeof(a)) == 0, "policy json: defaults round trip");

	/* a full policy, through the decoder, the encoder and back */
	is_ok(d_policy("{\"in_home_delivery\": true, \"carriers\": [\"dhl\", \"ups.de\"], "
		       "\"hours\": [\"mon-fri 08:00-20:00\", \"sat 09:00-12:30\", \"fri-mon 18:00-22:00\", "
		       "\"daily 00:00-24:00\"], \"camera_required\": false, "
		       "\"alarm_bypass_required\": true, \"approval\": \"standing\"}"),
	      "policy json: a full policy decodes");
	a = hm.policy;
	T_EQ(pt_policy_to_json(&a, out, sizeof(out)), PT_OK, "policy json: full policy encodes");
	T_OK(strcmp(out, "{\"alarm_bypass_required\":true,\"approval\":\"standing\","
			 "\"camera_required\":false,\"carriers\":[\"dhl\",\"ups.de\"],"
			 "\"hours\":[\"mon-fri 08:00-20:00\",\"sat 09:00-12:30\","
			 "\"sun,mon,fri,sat 18:00-22:00\",\"daily 00:00-24:00\"],"
			 "\"in_home_delivery\":true}") == 0,
	     "policy json: full policy, canonical text: %s", out);
	memset(&b, 0x77, sizeof(b));
	T_EQ(pt_policy_from_json(out, &b), PT_OK, "policy json: full policy decodes back");
	T_OK(b.in_home_delivery == a.in_home_delivery && b.n_carriers == a.n_carriers &&
		     strcmp(b.carriers[0], a.carriers[0]) == 0 &&
		     strcmp(b.carriers[1], a.carriers[1]) == 0 && b.n_hours == a.n_hours &&
		     memcmp(b.hours, a.hours, sizeof(a.hours)) == 0 &&
		     b.camera_required == a.camera_required &&
		     b.alarm_bypass_required == a.alarm_bypass_required &&
		     b.standing_approval == a.standing_approval,
	     "policy json: every field survives the round trip");
	T_EQ(pt_policy_to_json(&b, out2, sizeof(out2)), PT_OK, "policy json: re-encodes");
	T_OK(strcmp(out, out2) == 0, "policy json: the encoding is canonical (stable)");

	/* a policy at the limits fits in the store's column */
	{
		char list[16 * 70], hl[16 * 32];
		size_t k, m = 0, h = 0;
		static const char *const days[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
		for (k = 0; k < 16; k++)
			m += (size_t)snprintf(list + m, sizeof(list) - m, "%s\"%s%02zu\"", k ? "," : "",
					      rep("x", 62), k);
		for (k = 0; k < 16; k++)
			h += (size_t)snprintf(hl + h, sizeof(hl) - h, "%s\"sun,tue,thu,%s 10:00-11:00\"",
					      k ? "," : "", days[k % 7]);
		is_ok(d_policy(B("{\"carriers\": [%s], \"hours\": [%s], \"approval\": \"per-delivery\"}",
				 list, hl)),
		      "policy json: 16 carrier ids of 64 and 16 intervals decode");
		T_EQ(pt_policy_to_json(&hm.policy, out, sizeof(out)), PT_OK,
		     "policy json: they fit PT_POLICY_MAX");
		T_OK(strlen(out) <= PT_POLICY_MAX, "policy json: %zu bytes", strlen(out));
		T_EQ(pt_policy_from_json(out, &b), PT_OK, "policy json: and decodes back");
	}

	/* too small a buffer: PT_ENOSPC and an empty string */
	pt_policy_default(&a);
	n = strlen(def);
	memset(small, 'x', sizeof(small));
	T_EQ(pt_policy_to_json(&a, small, n + 1), PT_OK, "policy json: exactly enough room");
	T_OK(strcmp(small, def) == 0, "policy json: exact fit is complete");
	memset(small, 'x', sizeof(small));
	T_EQ(pt_policy_to_json(&a, small, n), PT_ENOSPC, "policy json: one byte short -> PT_ENOSPC");
	T_EQ(small[0], '\0', "policy json: one byte short leaves an empty string");
	memset(small, 'x', sizeof(small));
	T_EQ(pt_policy_to_json(&a, small, 10), PT_ENOSPC, "policy json: 10 bytes -> PT_ENOSPC");
	T_EQ(small[0], '\0', "policy json: 10 bytes leaves an empty string");
	memset(small, 'x', sizeof(small));
	T_EQ(pt_policy_to_json(&a, small, 1), PT_ENOSPC, "policy json: 1 byte -> PT_ENOSPC");
	T_EQ(small[0], '\0', "policy json: 1 byte leaves an empty string");
	memset(small, 'x', sizeof(small));
	T_EQ(pt_policy_to_json(&a, small, 0), PT_ENOSPC, "policy json: 0 bytes -> PT_ENOSPC");
	T_EQ(small[0], 'x', "policy json: 0 bytes writes nothing");

	/* from_json refuses what the decoder refuses, and leaves the defaults */
	{
		static const char *const bad[] = {"", "not json", "[]", "null", "{\"approval\": \"x\"}",
						  "{\"colour\": 1}", "{\"hours\": [\"mon\"]}",
						  "{\"approval\": \"standing\", \"approval\": \"standing\"}",
						  "{\"carriers\": [\"a b\"]}"};
		size_t k;
		char what[96];
		for (k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
			memset(&b, 0x77, sizeof(b));
			pt_policy_default(&a);
			r = pt_policy_from_json(bad[k], &b);
			(void)snprintf(what, sizeof(what), "policy json: from_json refuses '%s'", bad[k]);
			T_EQ(r, PT_EMALFORMED, "%s", what);
			T_OK(memcmp(&a, &b, sizeof(a)) == 0, "%s: defaults left", what);
		}
	}
	T_EQ(pt_policy_from_json("{}", &b), PT_OK, "policy json: {} decodes");
	pt_policy_default(&a);
	T_OK(memcmp(&a, &b, sizeof(a)) == 0, "policy json: {} is the defaults");
}

/* ---- members ---- */

static void
test_member(void)
{
	is_ok(dec(d_member, "{\"email\": \"Bo@Example.org\", \"role\": \"member\"}"),
	      "member: the documented body");
	T_OK(strcmp(mb.email, "bo@example.org") == 0, "member: e-mail lowercased (%s)", mb.email);
	T_EQ(mb.role, PT_HOME_MEMBER, "member: role member");
	is_ok(dec(d_member, "{\"email\": \"bo@example.org\", \"role\": \"owner\"}"), "member: role owner");
	T_EQ(mb.role, PT_HOME_OWNER, "member: role owner stored");
	is_ok(dec(d_member, "{\"email\": \"bo@example.org\"}"), "member: role absent");
	T_EQ(mb.role, PT_HOME_MEMBER, "member: role defaults to member");
	is_err(dec(d_member, "{\"role\": \"member\"}"), 400, "missing-field", "email",
	       "member: email missing");
	is_err(dec(d_member, "{\"email\": 5}"), 400, "invalid-field", "email", "member: email a number");
	{
		static const char *const bad[] = {"\"carrier-admin\"", "\"courier\"", "\"Member\"",
						  "\"admin\"", "\"\"", "\"owner-and-more-and-more\"",
						  "null", "1", "[\"owner\"]"};
		size_t i;
		char what[80];
		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			(void)snprintf(what, sizeof(what), "member: role %s", bad[i]);
			is_err(dec(d_member, B("{\"email\": \"bo@example.org\", \"role\": %s}", bad[i])),
			       400, "invalid-field", "role", what);
		}
	}
	is_err(dec(d_member, "{\"email\": \"bo@example.org\", \"account_id\": 2}"), 400,
	       "unknown-field", "account_id", "member: account_id is not accepted");
}

/* ---- owner keys ---- */

static char key_text[64];
static uint8_t key_pk[PT_PK_LEN];

static void
test_owner_key(void)
{
	static const uint8_t order8[PT_PK_LEN] = {
		0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b,
		0x76, 0x0d, 0x10, 0x67, 0x0f, 0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39,
		0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac, 0x03, 0x7a};
	uint8_t zeros[PT_PK_LEN] = {0}, ident[PT_PK_LEN] = {1};
	char t[64], what[96];
	size_t i;

	T_EQ(strlen(key_text), 43, "key: a valid key is 43 characters");
	is_ok(dec(d_key, B("{\"public_key\": \"%s\", \"label\": \"Ana's phone\"}", key_text)),
	      "key: the documented body");
	T_OK(memcmp(okey.pk, key_pk, PT_PK_LEN) == 0, "key: the decoded key is the key");
	T_OK(strcmp(okey.label, "Ana's phone") == 0, "key: label copied");
	is_ok(dec(d_key, B("{\"public_key\": \"%s\"}", key_text)), "key: label absent");
	T_OK(okey.label[0] == '\0', "key: no label is empty");
	T_OK(okey.statement_len == 0, "key: no statement is length 0");
	is_ok(dec(d_key, B("{\"public_key\": \"%s\", \"statement\": \"0oRDoQEnoFhA\"}", key_text)),
	      "key: with a statement");
	T_OK(okey.statement_len == 9 && okey.statement[0] == 0xd2 && okey.statement[8] == 0x40,
	     "key: statement decoded from base64url (not verified here)");
	is_err(dec(d_key, B("{\"public_key\": \"%s\", \"statement\": \"\"}", key_text)), 400,
	       "invalid-field", "statement", "key: empty statement");
	is_err(dec(d_key, B("{\"public_key\": \"%s\", \"statement\": 1}", key_text)), 400,
	       "invalid-field", "statement", "key: statement a number");
	is_err(dec(d_key, B("{\"public_key\": \"%s\", \"statement\": \"a+b/\"}", key_text)), 400,
	       "invalid-field", "statement", "key: statement in base64 (not url)");
	is_err(dec(d_key, B("{\"public_key\": \"%s\", \"statement\": \"%s\"}", key_text,
			    rep("A", 684))),
	       413, "too-large", "statement", "key: statement of 513 bytes");
	is_ok(dec(d_key, B("{\"public_key\": \"%s\", \"statement\": \"%s\"}", key_text,
			   rep("A", 683))),
	      "key: statement of 512 bytes");
	T_OK(okey.statement_len == 512, "key: 512 bytes decoded");
	is_ok(dec(d_key, B("{\"public_key\": \"%s\", \"label\": \"\"}", key_text)), "key: empty label");
	is_ok(dec(d_key, B("{\"public_key\": \"%s\", \"label\": \"%s\"}", key_text, rep("l", 100))),
	      "key: label of 100");
	is_err(dec(d_key, B("{\"public_key\": \"%s\", \"label\": \"%s\"}", key_text, rep("l", 101))),
	       400, "invalid-field", "label", "key: label of 101");
	is_err(dec(d_key, B("{\"public_key\": \"%s\", \"label\": 1}", key_text)), 400,
	       "invalid-field", "label", "key: label a number");
	is_err(dec(d_key, B("{\"public_key\": \"%s\", \"label\": \"Ana\\u0007s phone\"}", key_text)),
	       400, "invalid-field", "label", "key: control character in label");
	is_err(dec(d_key, B("{\"public_key\": \"%s\", \"label\": \"Ana\\nphone\"}", key_text)), 400,
	       "invalid-field", "label", "key: newline in label");
	T_EQ(dec(d_key, B("{\"public_key\": \"%s\", \"label\": \"a\\u0000b\"}", key_text)),
	     PT_EMALFORMED, "key: NUL inside label refused");
	is_ok(dec(d_key, B("{\"public_key\": \"%s\", \"label\": \"Ana\\u2019s \\ud83d\\udcf1\"}",
			   key_text)),
	      "key: printable non-ASCII label");

	is_err(dec(d_key, "{\"label\": \"x\"}"), 400, "missing-field", "public_key",
	       "key: public_key missing");
	is_err(dec(d_key, "{\"public_key\": 32}"), 400, "invalid-field", "public_key",
	       "key: public_key a number");
	is_err(dec(d_key, "{\"public_key\": null}"), 400, "invalid-field", "public_key",
	       "key: public_key null");
	is_err(dec(d_key, "{\"public_key\": \"\"}"), 400, "invalid-field", "public_key",
	       "key: public_key empty");
	is_err(dec(d_key, B("{\"public_key\": \"%.42s\"}", key_text)), 400, "invalid-field",
	       "public_key", "key: 42 characters");
	is_err(dec(d_key, B("{\"public_key\": \"%sA\"}", key_text)), 400, "invalid-field",
	       "public_key", "key: 44 characters");
	is_err(dec(d_key, B("{\"public_key\": \"%s=\"}", key_text)), 400, "invalid-field",
	       "public_key", "key: padded with =");
	is_err(dec(d_key, B("{\"public_key\": \"%.41s\"}", key_text)), 400, "invalid-field",
	       "public_key", "key: 41 characters");
	is_err(dec(d_key, B("{\"public_key\": \"%.40s\"}", key_text)), 400, "invalid-field",
	       "public_key", "key: 40 characters");
	is_err(dec(d_key, B("{\"public_key\": \"%s%s\"}", key_text, key_text)), 400, "invalid-field",
	       "public_key", "key: 86 characters");
	/* not the base64url alphabet */
	{
		static const char subst[] = {'+', '/', '=', '.', ' ', '*'};
		for (i = 0; i < sizeof(subst); i++) {
			memcpy(t, key_text, 44);
			t[10] = subst[i];
			(void)snprintf(what, sizeof(what), "key: '%c' is not base64url", subst[i]);
			is_err(dec(d_key, B("{\"public_key\": \"%s\"}", t)), 400, "invalid-field",
			       "public_key", what);
		}
		memcpy(t, key_text, 44);
		t[10] = '\\';
		t[11] = 'n';
		is_err(dec(d_key, B("{\"public_key\": \"%s\"}", t)), 400, "invalid-field", "public_key",
		       "key: a newline inside");
	}
	/* standard base64 of the same key ('+' and '/' for '-' and '_') */
	{
		bool changed = false;
		memcpy(t, key_text, 44);
		for (i = 0; t[i] != '\0'; i++) {
			if (t[i] == '-')
				t[i] = '+', changed = true;
			else if (t[i] == '_')
				t[i] = '/', changed = true;
		}
		if (changed)
			is_err(dec(d_key, B("{\"public_key\": \"%s\"}", t)), 400, "invalid-field",
			       "public_key", "key: standard base64 alphabet refused");
		else
			T_OK(1, "key: (no '-' or '_' in this key)");
	}
	/* small-order and non-canonical points */
	is_err(dec(d_key, B("{\"public_key\": \"%s\"}", b64_of(zeros, PT_PK_LEN))), 400,
	       "invalid-field", "public_key", "key: all zeros (small order)");
	T_OK(strcmp(b64_of(ident, PT_PK_LEN), "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA") == 0,
	     "key: the identity point in base64url");
	is_err(dec(d_key, "{\"public_key\": \"AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}"), 400,
	       "invalid-field", "public_key", "key: the identity point (small order)");
	is_err(dec(d_key, B("{\"public_key\": \"%s\"}", b64_of(order8, PT_PK_LEN))), 400,
	       "invalid-field", "public_key", "key: a point of order 8");
	T_OK(okey.pk[0] == 0 && memcmp(okey.pk, zeros, PT_PK_LEN) == 0,
	     "key: refused: no key left in the struct");
	is_err(dec(d_key, B("{\"public_key\": \"%s\", \"chain\": \"AAAA\"}", key_text)), 400,
	       "unknown-field", "chain", "key: chain is not an owner-key field");
	is_err(dec(d_key, B("{\"public_key\": \"%s\", \"key_id\": \"215d16e429c81ada\"}", key_text)),
	       400, "unknown-field", "key_id", "key: key_id is not accepted");
}

/* ---- grants and revocations ---- */

static void
test_blob(const char *name, decoder d, const char *field, size_t max, const uint8_t *out,
	  const size_t *out_len, const char *extra, bool required)
{
	static const size_t sizes[] = {1, 2, 3, 100, 255, 256, 257};
	char what[128];
	size_t i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		(void)snprintf(what, sizeof(what), "%s: %zu bytes", name, sizes[i]);
		is_ok(dec(d, B("{\"%s\": \"%s\"%s}", field, b64(sizes[i]), extra)), what);
		T_OK(*out_len == sizes[i] && memcmp(out, blob, sizes[i]) == 0, "%s decoded", what);
	}
	(void)snprintf(what, sizeof(what), "%s: %zu bytes (the maximum)", name, max - 1);
	is_ok(dec(d, B("{\"%s\": \"%s\"%s}", field, b64(max - 1), extra)), what);
	(void)snprintf(what, sizeof(what), "%s: %zu bytes (the maximum)", name, max);
	is_ok(dec(d, B("{\"%s\": \"%s\"%s}", field, b64(max), extra)), what);
	T_OK(*out_len == max && memcmp(out, blob, max) == 0, "%s decoded", what);
	T_EQ(strlen(b64(max)), pt_b64_len(max), "%s: %zu characters", name, pt_b64_len(max));

	(void)snprintf(what, sizeof(what), "%s: %zu bytes (one too many)", name, max + 1);
	is_err(dec(d, B("{\"%s\": \"%s\"%s}", field, b64(max + 1), extra)), 413, "too-large", field,
	       what);
	T_EQ(*out_len, 0, "%s: refused: nothing left", name);
	(void)snprintf(what, sizeof(what), "%s: %zu bytes", name, max + 2);
	is_err(dec(d, B("{\"%s\": \"%s\"%s}", field, b64(max + 2), extra)), 413, "too-large", field,
	       what);
	(void)snprintf(what, sizeof(what), "%s: %zu bytes", name, 2 * max);
	is_err(dec(d, B("{\"%s\": \"%s\"%s}", field, b64(2 * max), extra)), 413, "too-large", field,
	       what);
	(void)snprintf(what, sizeof(what), "%s: oversized and not base64url", name);
	is_err(dec(d, B("{\"%s\": \"%s\"%s}", field, rep("!", pt_b64_len(max) + 1), extra)), 413,
	       "too-large", field, what);

	/* bad base64url: 400 invalid-field */
	{
		static const char *const bad[] = {"", "A", "AAAAA", "AA==", "AAA=", "AA AA",
						  "AA+/", "AA/A", "AA.A", "AA\\nA", "!!!!",
						  "AAAA\\u00e9", "====", "AB", "AAB", "AAAAB"};
		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			(void)snprintf(what, sizeof(what), "%s: not base64url \"%s\"", name, bad[i]);
			is_err(dec(d, B("{\"%s\": \"%s\"%s}", field, bad[i], extra)), 400,
			       "invalid-field", field, what);
		}
	}
	/* invalid characters at the maximum length: 400, not 413 */
	(void)snprintf(what, sizeof(what), "%s: %zu characters, not base64url", name,
		       pt_b64_len(max));
	is_err(dec(d, B("{\"%s\": \"%s\"%s}", field, rep("*", pt_b64_len(max)), extra)), 400,
	       "invalid-field", field, what);
	(void)snprintf(what, sizeof(what), "%s: missing", name);
	if (required) {
		is_err(dec(d, extra[0] != '\0' ? B("{%s}", extra + 2) : "{}"), 400, "missing-field",
		       field, what);
	} else {
		is_ok(dec(d, extra[0] != '\0' ? B("{%s}", extra + 2) : "{}"), what);
		T_EQ(*out_len, 0, "%s: absent: length 0", name);
	}
	(void)snprintf(what, sizeof(what), "%s: a number", name);
	is_err(dec(d, B("{\"%s\": 1%s}", field, extra)), 400, "invalid-field", field, what);
	(void)snprintf(what, sizeof(what), "%s: null", name);
	is_err(dec(d, B("{\"%s\": null%s}", field, extra)), 400, "invalid-field", field, what);
	(void)snprintf(what, sizeof(what), "%s: an array of bytes", name);
	is_err(dec(d, B("{\"%s\": [1, 2, 3]%s}", field, extra)), 400, "invalid-field", field, what);
	(void)snprintf(what, sizeof(what), "%s: NUL inside", name);
	T_EQ(dec(d, B("{\"%s\": \"AA\\u0000A\"%s}", field, extra)), PT_EMALFORMED, "%s", what);
}

static void
test_grant(void)
{
	is_ok(dec(d_grant, B("{\"chain\": \"%s\", \"label\": \"cleaner\"}", b64(300))),
	      "grant: the documented body");
	T_EQ(gr.chain_len, 300, "grant: chain length");
	T_OK(strcmp(gr.label, "cleaner") == 0, "grant: label copied");
	is_ok(dec(d_grant, B("{\"chain\": \"%s\"}", b64(300))), "grant: label absent");
	T_OK(gr.label[0] == '\0', "grant: no label is empty");
	test_blob("grant: chain", d_grant, "chain", PT_CHAIN_SIZE_MAX, gr.chain, &gr.chain_len, "",
		  true);
	test_blob("grant: chain (with label)", d_grant, "chain", PT_CHAIN_SIZE_MAX, gr.chain,
		  &gr.chain_len, ", \"label\": \"x\"", true);
	T_EQ(PT_CHAIN_SIZE_MAX, 2048, "grant: the limit is 2048 bytes");
	is_ok(dec(d_grant, B("{\"chain\": \"AAAA\", \"label\": \"%s\"}", rep("l", 100))),
	      "grant: label of 100");
	is_err(dec(d_grant, B("{\"chain\": \"AAAA\", \"label\": \"%s\"}", rep("l", 101))), 400,
	       "invalid-field", "label", "grant: label of 101");
	is_err(dec(d_grant, "{\"chain\": \"AAAA\", \"label\": false}"), 400, "invalid-field", "label",
	       "grant: label a boolean");
	is_err(dec(d_grant, "{\"chain\": \"AAAA\", \"label\": \"clea\\u001bner\"}"), 400,
	       "invalid-field", "label", "grant: control character in label");
	is_err(dec(d_grant, "{\"chain\": \"AAAA\", \"label\": \"a\\tb\"}"), 400, "invalid-field",
	       "label", "grant: tab in label");
	T_EQ(dec(d_grant, "{\"chain\": \"AAAA\", \"label\": \"a\\u0000b\"}"), PT_EMALFORMED,
	     "grant: NUL inside label refused");
	is_err(dec(d_grant, "{\"chain\": \"AAAA\", \"purpose\": \"delivery\"}"), 400, "unknown-field",
	       "purpose", "grant: purpose is not accepted");
	is_err(dec(d_grant, "{\"chain\": \"AAAA\", \"revocation\": \"AAAA\"}"), 400, "unknown-field",
	       "revocation", "grant: revocation is not a grant field");
}

static void
test_revocation(void)
{
	is_ok(dec(d_rev, B("{\"revocation\": \"%s\"}", b64(180))), "revocation: the documented body");
	T_EQ(rv.envelope_len, 180, "revocation: envelope length");
	test_blob("revocation", d_rev, "revocation", PT_ENVELOPE_SIZE_MAX, rv.envelope,
		  &rv.envelope_len, "", true);
	T_EQ(PT_ENVELOPE_SIZE_MAX, 512, "revocation: the limit is 512 bytes");
	is_err(dec(d_rev, "{\"revocation\": \"AAAA\", \"label\": \"x\"}"), 400, "unknown-field",
	       "label", "revocation: label is not a revocation field");
	is_err(dec(d_rev, "{\"revocation\": \"AAAA\", \"since\": 0}"), 400, "unknown-field", "since",
	       "revocation: since is not a body field");
}

/* ---- schema 2: carriers, couriers, devices, hubs, deliveries ---- */

/* tmpl with each "@V@" replaced by v (a JSON value, quotes included). */
static const char *
sub(const char *tmpl, const char *v)
{
	char *b = next_buf();
	size_t n = 0, vl = strlen(v);
	const char *p = tmpl, *m;

	while ((m = strstr(p, "@V@")) != NULL) {
		if (n + (size_t)(m - p) + vl >= BUFSZ)
			goto too_long;
		memcpy(b + n, p, (size_t)(m - p));
		n += (size_t)(m - p);
		memcpy(b + n, v, vl);
		n += vl;
		p = m + 3;
	}
	if (n + strlen(p) >= BUFSZ)
		goto too_long;
	memcpy(b + n, p, strlen(p) + 1);
	return b;
too_long:
	printf("Bail out! sub too long\n");
	exit(1);
}

/* A copy of s that the ring of buffers does not reuse (one per helper depth). */
static const char *
keep(const char *s)
{
	static char kept[4][2048];
	static unsigned ki;
	char *k = kept[ki++ % 4];

	if (strlen(s) >= sizeof(kept[0])) {
		printf("Bail out! template too long\n");
		exit(1);
	}
	memcpy(k, s, strlen(s) + 1);
	return k;
}

/* A quoted JSON string of s. */
static const char *
q(const char *s)
{
	return B("\"%s\"", s);
}

static const uint8_t small_order8[PT_PK_LEN] = {
	0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b,
	0x76, 0x0d, 0x10, 0x67, 0x0f, 0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39,
	0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac, 0x03, 0x7a};

/*
 * A public-key field, as the owner-key decoder checks it: tmpl is a valid
 * body with "@V@" where the key goes; pk is where the decoder puts it.
 */
static void
test_key_field(const char *name, decoder d, const char *tmpl, const char *field, const uint8_t *pk)
{
	static const uint8_t zeros[PT_PK_LEN];
	char t[64], what[128];
	size_t i;
	tmpl = keep(tmpl);

	(void)snprintf(what, sizeof(what), "%s: %s valid", name, field);
	is_ok(dec(d, sub(tmpl, q(key_text))), what);
	T_OK(memcmp(pk, key_pk, PT_PK_LEN) == 0, "%s: %s decoded", name, field);
	{
		static const char *const wrong[] = {"32", "null", "true", "[]", "{}", "\"\""};
		for (i = 0; i < sizeof(wrong) / sizeof(wrong[0]); i++) {
			(void)snprintf(what, sizeof(what), "%s: %s = %s", name, field, wrong[i]);
			is_err(dec(d, sub(tmpl, wrong[i])), 400, "invalid-field", field, what);
		}
	}
	(void)snprintf(what, sizeof(what), "%s: %s of 42 characters", name, field);
	is_err(dec(d, sub(tmpl, B("\"%.42s\"", key_text))), 400, "invalid-field", field, what);
	(void)snprintf(what, sizeof(what), "%s: %s of 44 characters", name, field);
	is_err(dec(d, sub(tmpl, B("\"%sA\"", key_text))), 400, "invalid-field", field, what);
	(void)snprintf(what, sizeof(what), "%s: %s padded with =", name, field);
	is_err(dec(d, sub(tmpl, B("\"%s=\"", key_text))), 400, "invalid-field", field, what);
	(void)snprintf(what, sizeof(what), "%s: %s of 86 characters", name, field);
	is_err(dec(d, sub(tmpl, B("\"%s%s\"", key_text, key_text))), 400, "invalid-field", field,
	       what);
	(void)snprintf(what, sizeof(what), "%s: %s of 32 bytes as 44 characters of base64", name,
		       field);
	is_err(dec(d, sub(tmpl, B("\"%s\"", rep("A", 44)))), 400, "invalid-field", field, what);
	{
		static const char subst[] = {'+', '/', '.', '*', '!'};
		for (i = 0; i < sizeof(subst); i++) {
			memcpy(t, key_text, 44);
			t[7] = subst[i];
			(void)snprintf(what, sizeof(what), "%s: %s with '%c' (not base64url)", name,
				       field, subst[i]);
			is_err(dec(d, sub(tmpl, q(t))), 400, "invalid-field", field, what);
		}
	}
	(void)snprintf(what, sizeof(what), "%s: %s all zeros (small order)", name, field);
	is_err(dec(d, sub(tmpl, q(b64_of(zeros, PT_PK_LEN)))), 400, "invalid-field", field, what);
	T_OK(memcmp(pk, zeros, PT_PK_LEN) == 0, "%s: refused: no key left", name);
	(void)snprintf(what, sizeof(what), "%s: %s the identity (small order)", name, field);
	is_err(dec(d, sub(tmpl, "\"AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"")), 400,
	       "invalid-field", field, what);
	(void)snprintf(what, sizeof(what), "%s: %s of order 8", name, field);
	is_err(dec(d, sub(tmpl, q(b64_of(small_order8, PT_PK_LEN)))), 400, "invalid-field", field,
	       what);
	(void)snprintf(what, sizeof(what), "%s: %s NUL inside", name, field);
	T_EQ(dec(d, sub(tmpl, "\"AA\\u0000A\"")), PT_EMALFORMED, "%s", what);
}

/* A text field of min..max bytes of printable UTF-8 (tmpl as above). */
static void
test_text_field(const char *name, decoder d, const char *tmpl, const char *field, size_t min,
		size_t max, const char *out)
{
	static const char *const ctl[] = {"a\\u0001b", "a\\tb", "a\\nb", "a\\u007fb", "a\\u0085b",
					  "\\u001b[31m"};
	char what[128];
	size_t i;
	tmpl = keep(tmpl);

	(void)snprintf(what, sizeof(what), "%s: %s of %zu bytes", name, field, max);
	is_ok(dec(d, sub(tmpl, q(rep("x", max)))), what);
	T_EQ(strlen(out), max, "%s: %s of %zu bytes copied", name, field, max);
	(void)snprintf(what, sizeof(what), "%s: %s of %zu bytes", name, field, max + 1);
	is_err(dec(d, sub(tmpl, q(rep("x", max + 1)))), 400, "invalid-field", field, what);
	(void)snprintf(what, sizeof(what), "%s: %s of %zu two-byte characters", name, field,
		       max / 2);
	is_ok(dec(d, sub(tmpl, q(rep("\xc3\xa9", max / 2)))), what);
	(void)snprintf(what, sizeof(what), "%s: %s of %zu two-byte characters", name, field,
		       max / 2 + 1);
	is_err(dec(d, sub(tmpl, q(rep("\xc3\xa9", max / 2 + 1)))), 400, "invalid-field", field,
	       what);
	(void)snprintf(what, sizeof(what), "%s: %s empty", name, field);
	if (min == 0) {
		is_ok(dec(d, sub(tmpl, "\"\"")), what);
		T_OK(out[0] == '\0', "%s: %s empty copied", name, field);
	} else {
		is_err(dec(d, sub(tmpl, "\"\"")), 400, "invalid-field", field, what);
	}
	for (i = 0; i < sizeof(ctl) / sizeof(ctl[0]); i++) {
		(void)snprintf(what, sizeof(what), "%s: %s with a control character (%s)", name,
			       field, ctl[i]);
		is_err(dec(d, sub(tmpl, q(ctl[i]))), 400, "invalid-field", field, what);
	}
	{
		static const char *const wrong[] = {"1", "null", "true", "[\"x\"]", "{}"};
		for (i = 0; i < sizeof(wrong) / sizeof(wrong[0]); i++) {
			(void)snprintf(what, sizeof(what), "%s: %s = %s", name, field, wrong[i]);
			is_err(dec(d, sub(tmpl, wrong[i])), 400, "invalid-field", field, what);
		}
	}
	(void)snprintf(what, sizeof(what), "%s: %s NUL inside", name, field);
	T_EQ(dec(d, sub(tmpl, "\"a\\u0000b\"")), PT_EMALFORMED, "%s", what);
	(void)snprintf(what, sizeof(what), "%s: %s printable non-ASCII", name, field);
	is_ok(dec(d, sub(tmpl, "\"Z\\u00fc\\u2019s \\ud83d\\udce6\"")), what);
}

/* A package id: 1..64 printable ASCII characters, no spaces. */
static void
test_package_field(const char *name, decoder d, const char *tmpl, const char *out)
{
	static const char *const good[] = {"PKG-1234567", "x", "1Z999AA10123456784", "a/b:c#d?e=f",
					   "~!@$%^&*()_+{}|<>", "\\\"q\\\""};
	static const char *const bad[] = {"", "PKG 1", " PKG", "PKG ", "PKG\\t1", "PKG\\n",
					  "P\\u00e4ket", "\\u007f", "\\u0085", "PKG\\u00a01"};
	static const char *const wrong[] = {"1234567", "null", "true", "[\"PKG\"]", "{}"};
	char what[128];
	size_t i;
	tmpl = keep(tmpl);

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		(void)snprintf(what, sizeof(what), "%s: package_id \"%s\"", name, good[i]);
		is_ok(dec(d, sub(tmpl, q(good[i]))), what);
	}
	T_OK(strcmp(out, "\"q\"") == 0, "%s: package_id with quotes copied (%s)", name, out);
	(void)snprintf(what, sizeof(what), "%s: package_id of 64", name);
	is_ok(dec(d, sub(tmpl, q(rep("P", 64)))), what);
	T_EQ(strlen(out), 64, "%s: package_id of 64 copied", name);
	(void)snprintf(what, sizeof(what), "%s: package_id of 65", name);
	is_err(dec(d, sub(tmpl, q(rep("P", 65)))), 400, "invalid-field", "package_id", what);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		(void)snprintf(what, sizeof(what), "%s: package_id \"%s\"", name, bad[i]);
		is_err(dec(d, sub(tmpl, q(bad[i]))), 400, "invalid-field", "package_id", what);
	}
	for (i = 0; i < sizeof(wrong) / sizeof(wrong[0]); i++) {
		(void)snprintf(what, sizeof(what), "%s: package_id = %s", name, wrong[i]);
		is_err(dec(d, sub(tmpl, wrong[i])), 400, "invalid-field", "package_id", what);
	}
	(void)snprintf(what, sizeof(what), "%s: package_id NUL inside", name);
	T_EQ(dec(d, sub(tmpl, "\"a\\u0000b\"")), PT_EMALFORMED, "%s", what);
}

/* A coordinate: a finite number in -lim..lim; errors name `shown`. */
static void
test_degrees(const char *name, decoder d, const char *tmpl, const char *shown, int lim,
	     const double *out)
{
	char what[128];
	size_t i;
	tmpl = keep(tmpl);

	(void)snprintf(what, sizeof(what), "%s: %s = %d", name, shown, lim);
	is_ok(dec(d, sub(tmpl, B("%d", lim))), what);
	T_OK(*out == lim, "%s: %s = %d stored", name, shown, lim);
	(void)snprintf(what, sizeof(what), "%s: %s = -%d", name, shown, lim);
	is_ok(dec(d, sub(tmpl, B("-%d", lim))), what);
	T_OK(*out == -lim, "%s: %s = -%d stored", name, shown, lim);
	(void)snprintf(what, sizeof(what), "%s: %s = %d.0", name, shown, lim);
	is_ok(dec(d, sub(tmpl, B("%d.0", lim))), what);
	(void)snprintf(what, sizeof(what), "%s: %s = 0", name, shown);
	is_ok(dec(d, sub(tmpl, "0")), what);
	(void)snprintf(what, sizeof(what), "%s: %s = -0.0", name, shown);
	is_ok(dec(d, sub(tmpl, "-0.0")), what);
	(void)snprintf(what, sizeof(what), "%s: %s = 12.345678901", name, shown);
	is_ok(dec(d, sub(tmpl, "12.345678901")), what);
	T_OK(*out > 12.3456789 && *out < 12.3456790, "%s: %s fraction kept", name, shown);
	(void)snprintf(what, sizeof(what), "%s: %s = 1.2e1", name, shown);
	is_ok(dec(d, sub(tmpl, "1.2e1")), what);
	T_OK(*out == 12, "%s: %s exponent read", name, shown);
	{
		char b0[24], b1[24], b2[24], b3[24];
		const char *bad[] = {b0, b1, b2, b3, "1e3", "-1e300", "1e308"};
		(void)snprintf(b0, sizeof(b0), "%d.000001", lim);
		(void)snprintf(b1, sizeof(b1), "-%d.000001", lim);
		(void)snprintf(b2, sizeof(b2), "%d", lim + 1);
		(void)snprintf(b3, sizeof(b3), "-%d", lim + 1);
		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			(void)snprintf(what, sizeof(what), "%s: %s = %s", name, shown, bad[i]);
			is_err(dec(d, sub(tmpl, bad[i])), 400, "invalid-field", shown, what);
		}
	}
	{
		static const char *const wrong[] = {"\"52.5\"", "null", "true", "[52.5]", "{}"};
		for (i = 0; i < sizeof(wrong) / sizeof(wrong[0]); i++) {
			(void)snprintf(what, sizeof(what), "%s: %s = %s", name, shown, wrong[i]);
			is_err(dec(d, sub(tmpl, wrong[i])), 400, "invalid-field", shown, what);
		}
	}
	/* out of the range of a double: the JSON parser refuses it first */
	(void)snprintf(what, sizeof(what), "%s: %s = 1e400 (not a double)", name, shown);
	is_err(dec(d, sub(tmpl, "1e400")), 400, "bad-request", "", what);
	(void)snprintf(what, sizeof(what), "%s: %s = NaN (not JSON)", name, shown);
	is_err(dec(d, sub(tmpl, "NaN")), 400, "bad-request", "", what);
	(void)snprintf(what, sizeof(what), "%s: %s = Infinity (not JSON)", name, shown);
	is_err(dec(d, sub(tmpl, "Infinity")), 400, "bad-request", "", what);
}

static struct pt_req_carrier ca;
static struct pt_req_courier cr;
static struct pt_req_device dv;
static struct pt_req_hub hb;
static struct pt_req_delivery dl;
static struct pt_req_dispatch dp;
static struct pt_req_arrive ar;
static struct pt_req_reason rs;

static int
d_carrier(const char *p, size_t n)
{
	reset();
	return pt_req_carrier_decode(p, n, &ca, &e);
}

static int
d_courier(const char *p, size_t n)
{
	reset();
	return pt_req_courier_decode(p, n, &cr, &e);
}

static int
d_device(const char *p, size_t n)
{
	reset();
	return pt_req_device_decode(p, n, &dv, &e);
}

static int
d_hub(const char *p, size_t n)
{
	reset();
	return pt_req_hub_decode(p, n, &hb, &e);
}

static int
d_delivery(const char *p, size_t n)
{
	reset();
	return pt_req_delivery_decode(p, n, &dl, &e);
}

static int
d_dispatch(const char *p, size_t n)
{
	reset();
	return pt_req_dispatch_decode(p, n, &dp, &e);
}

static int
d_arrive(const char *p, size_t n)
{
	reset();
	return pt_req_arrive_decode(p, n, &ar, &e);
}

static int
d_reason(const char *p, size_t n)
{
	reset();
	return pt_req_reason_decode(p, n, &rs, &e);
}

static bool
all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i < n; i++)
		if (b[i] != 0)
			return false;
	return true;
}

/* ---- homes: location ---- */

static void
test_location(void)
{
	static const char *const wrong[] = {"\"52.52,13.405\"", "[52.52, 13.405]", "true", "52",
					    "\"\""};
	const char *tmpl_lat = "{\"name\": \"Flat\", \"tz\": \"UTC\", \"location\": "
			       "{\"lat\": @V@, \"lon\": 13.405}}";
	const char *tmpl_lon = "{\"name\": \"Flat\", \"tz\": \"UTC\", \"location\": "
			       "{\"lat\": 52.52, \"lon\": @V@}}";
	char what[96];
	size_t i;

	is_ok(dec(d_home, "{\"name\": \"Flat\", \"tz\": \"Europe/Berlin\", \"location\": "
			  "{\"lat\": 52.52, \"lon\": 13.405}}"),
	      "location: the documented example");
	T_OK(hm.has_location && hm.location_set, "location: given, set");
	T_OK(hm.lat == 52.52 && hm.lon == 13.405, "location: lat and lon kept");
	is_ok(dec(d_home, "{\"location\": {\"lon\": 13.405, \"lat\": 52.52}, \"name\": \"Flat\", "
			  "\"tz\": \"UTC\"}"),
	      "location: keys in any order");
	T_OK(hm.lat == 52.52 && hm.lon == 13.405, "location: lat and lon by name");
	is_ok(dec(d_home, "{\"name\": \"Flat\", \"tz\": \"UTC\"}"), "location: absent");
	T_OK(!hm.has_location && !hm.location_set && hm.lat == 0 && hm.lon == 0,
	     "location: absent: not given");
	is_ok(dec(d_home, "{\"name\": \"Flat\", \"tz\": \"UTC\", \"location\": null}"),
	      "location: null on create");
	T_OK(hm.has_location && !hm.location_set, "location: null: given, not set");
	is_ok(dec(d_patch, "{\"location\": null}"), "location: patch with null only (clears it)");
	T_OK(hm.has_location && !hm.location_set && !hm.has_name && !hm.has_policy,
	     "location: patch null: only location given");
	is_ok(dec(d_patch, "{\"location\": {\"lat\": -33.8688, \"lon\": 151.2093}}"),
	      "location: patch with a location only");
	T_OK(hm.has_location && hm.location_set && hm.lat == -33.8688 && hm.lon == 151.2093,
	     "location: patch: set");
	is_ok(dec(d_patch, "{\"name\": \"N\", \"location\": {\"lat\": 0, \"lon\": 0}}"),
	      "location: patch with a name and a location of integers");
	T_OK(hm.has_name && hm.location_set && hm.lat == 0 && hm.lon == 0, "location: 0, 0 set");

	test_degrees("location", d_home, tmpl_lat, "location.lat", 90, &hm.lat);
	test_degrees("location", d_home, tmpl_lon, "location.lon", 180, &hm.lon);
	test_degrees("location (patch)", d_patch, "{\"location\": {\"lat\": @V@, \"lon\": 0}}",
		     "location.lat", 90, &hm.lat);

	for (i = 0; i < sizeof(wrong) / sizeof(wrong[0]); i++) {
		(void)snprintf(what, sizeof(what), "location: %s", wrong[i]);
		is_err(dec(d_home, B("{\"name\": \"Flat\", \"tz\": \"UTC\", \"location\": %s}",
				     wrong[i])),
		       400, "invalid-field", "location", what);
	}
	is_err(dec(d_patch, "{\"location\": 1}"), 400, "invalid-field", "location",
	       "location: patch with a number");
	is_err(dec(d_home, "{\"name\": \"Flat\", \"tz\": \"UTC\", \"location\": {}}"), 400,
	       "missing-field", "location.lat", "location: {} (lat missing first)");
	is_err(dec(d_home, "{\"name\": \"Flat\", \"tz\": \"UTC\", \"location\": {\"lon\": 1}}"),
	       400, "missing-field", "location.lat", "location: lat missing");
	is_err(dec(d_home, "{\"name\": \"Flat\", \"tz\": \"UTC\", \"location\": {\"lat\": 1}}"),
	       400, "missing-field", "location.lon", "location: lon missing");
	is_err(dec(d_home, "{\"name\": \"Flat\", \"tz\": \"UTC\", \"location\": "
			   "{\"lat\": 1, \"lon\": 2, \"alt\": 3}}"),
	       400, "unknown-field", "location.alt", "location: unknown field alt");
	is_err(dec(d_home, "{\"name\": \"Flat\", \"tz\": \"UTC\", \"location\": "
			   "{\"latitude\": 1, \"longitude\": 2}}"),
	       400, "unknown-field", "location.latitude", "location: latitude is not lat");
	is_err(dec(d_home, "{\"name\": \"Flat\", \"tz\": \"UTC\", \"location\": "
			   "{\"lat\": 1, \"lon\": 2, \"Lat\": 1}}"),
	       400, "unknown-field", "location.Lat", "location: names are case-sensitive");
	is_err(dec(d_home, B("{\"name\": \"Flat\", \"tz\": \"UTC\", \"location\": "
			     "{\"lat\": 1, \"lon\": 2, \"%s\": 1}}", rep("k", 60))),
	       400, "unknown-field", B("location.%s", rep("k", 30)),
	       "location: long unknown name, cut");
	is_err(dec(d_home, "{\"name\": \"Flat\", \"tz\": \"UTC\", \"location\": "
			   "{\"lat\": 1, \"lon\": 2, \"a\\u0007\": 1}}"),
	       400, "unknown-field", "location.?", "location: unknown name not printable");
	is_err(dec(d_home, "{\"name\": \"Flat\", \"tz\": \"UTC\", \"location\": "
			   "{\"lat\": 1, \"lat\": 2, \"lon\": 3}}"),
	       400, "bad-request", "", "location: duplicate lat");
	is_err(dec(d_home, "{\"name\": \"Flat\", \"tz\": \"UTC\", \"location\": null, "
			   "\"location\": null}"),
	       400, "bad-request", "", "location: duplicate location");
	T_OK(all_zero(&hm, sizeof(hm)), "location: refused: the struct is all zeros");
	/* a refusal in location is a refusal of the body: nothing from it is kept */
	is_err(dec(d_patch, "{\"name\": \"N\", \"location\": {\"lat\": 91, \"lon\": 0}}"), 400,
	       "invalid-field", "location.lat", "location: patch with a bad location and a name");
	T_OK(all_zero(&hm, sizeof(hm)), "location: refused patch: the struct is all zeros");
	is_err(dec(d_home, "["), 400, "bad-request", "", "home: not JSON");
	T_OK(all_zero(&hm, sizeof(hm)), "home: refused before any field: the struct is all zeros");
}

/* ---- carriers ---- */

static void
test_carrier(void)
{
	is_ok(dec(d_carrier, B("{\"name\": \"Parcelo\", \"public_key\": \"%s\"}", key_text)),
	      "carrier: the documented body with a key");
	T_OK(strcmp(ca.name, "Parcelo") == 0, "carrier: name copied");
	T_OK(!ca.hosted, "carrier: with a key, not hosted");
	T_OK(memcmp(ca.pk, key_pk, PT_PK_LEN) == 0, "carrier: the key");
	is_ok(dec(d_carrier, "{\"name\": \"Parcelo\", \"hosted\": true}"),
	      "carrier: the documented hosted body");
	T_OK(ca.hosted && all_zero(ca.pk, PT_PK_LEN), "carrier: hosted, no key");
	is_ok(dec(d_carrier, B("{\"hosted\": false, \"public_key\": \"%s\", \"name\": \"P\"}",
			       key_text)),
	      "carrier: hosted false with a key (docs/api.md: allowed)");
	T_OK(!ca.hosted && memcmp(ca.pk, key_pk, PT_PK_LEN) == 0, "carrier: hosted false: the key");

	/* exactly one of the two */
	is_err(dec(d_carrier, "{\"name\": \"Parcelo\"}"), 400, "missing-field", "public_key",
	       "carrier: neither a key nor hosted");
	is_err(dec(d_carrier, "{\"name\": \"Parcelo\", \"hosted\": false}"), 400, "missing-field",
	       "public_key", "carrier: hosted false without a key");
	is_err(dec(d_carrier, B("{\"name\": \"Parcelo\", \"public_key\": \"%s\", \"hosted\": true}",
				key_text)),
	       400, "invalid-field", "hosted", "carrier: both a key and hosted true");
	T_OK(all_zero(&ca, sizeof(ca)), "carrier: refused: the struct is all zeros");
	is_err(dec(d_carrier, "{\"name\": \"Parcelo\", \"public_key\": null, \"hosted\": true}"),
	       400, "invalid-field", "public_key", "carrier: hosted with a null key");

	/* hosted */
	{
		static const char *const wrong[] = {"\"true\"", "1", "0", "null", "[]", "{}"};
		char what[80];
		size_t i;
		for (i = 0; i < sizeof(wrong) / sizeof(wrong[0]); i++) {
			(void)snprintf(what, sizeof(what), "carrier: hosted = %s", wrong[i]);
			is_err(dec(d_carrier, B("{\"name\": \"P\", \"hosted\": %s}", wrong[i])), 400,
			       "invalid-field", "hosted", what);
		}
	}
	/* name */
	is_err(dec(d_carrier, "{\"hosted\": true}"), 400, "missing-field", "name",
	       "carrier: name missing");
	is_err(dec(d_carrier, "{}"), 400, "missing-field", "name", "carrier: {} names name first");
	test_text_field("carrier", d_carrier, "{\"name\": @V@, \"hosted\": true}", "name", 1,
			PT_NAME_MAX, ca.name);
	/* the key: as an owner key */
	test_key_field("carrier", d_carrier, "{\"name\": \"P\", \"public_key\": @V@}", "public_key",
		       ca.pk);
	/* not writable */
	is_err(dec(d_carrier, "{\"name\": \"P\", \"hosted\": true, \"id\": \"c-0011223344556677\"}"),
	       400, "unknown-field", "id", "carrier: id is not writable");
	is_err(dec(d_carrier, "{\"name\": \"P\", \"hosted\": true, \"key_id\": \"00\"}"), 400,
	       "unknown-field", "key_id", "carrier: key_id is not writable");
	is_err(dec(d_carrier, "{\"name\": \"P\", \"hosted\": true, \"secret_key\": \"AAAA\"}"), 400,
	       "unknown-field", "secret_key", "carrier: no secret key is taken");
}

/* ---- couriers ---- */

static const char *
cr_email(void)
{
	return cr.email;
}

static void
test_courier(void)
{
	static const char *const levels[] = {"basic", "id-checked", "background-checked"};
	char what[96];
	size_t i;

	is_ok(dec(d_courier, B("{\"email\": \"Ben@Example.ORG\", \"name\": \"Ben K.\", \"level\": "
			       "\"id-checked\", \"attestation\": \"%s\"}", b64(200))),
	      "courier: the documented body");
	T_OK(strcmp(cr.email, "ben@example.org") == 0, "courier: e-mail lowercased (%s)", cr.email);
	T_OK(strcmp(cr.name, "Ben K.") == 0, "courier: name copied");
	T_EQ(cr.level, PT_LEVEL_ID, "courier: level id-checked");
	T_OK(cr.has_attestation && cr.attestation_len == 200 &&
		     memcmp(cr.attestation, blob, 200) == 0,
	     "courier: attestation decoded");
	is_ok(dec(d_courier, "{\"email\": \"ben@example.org\", \"name\": \"Ben\", \"level\": "
			     "\"basic\"}"),
	      "courier: without attestation (a hosted carrier)");
	T_OK(!cr.has_attestation && cr.attestation_len == 0, "courier: no attestation");
	for (i = 0; i < 3; i++) {
		(void)snprintf(what, sizeof(what), "courier: level %s", levels[i]);
		is_ok(dec(d_courier, B("{\"email\": \"b@e.org\", \"name\": \"B\", \"level\": \"%s\"}",
				       levels[i])),
		      what);
		T_EQ(cr.level, i + 1, "courier: level %s is %zu", levels[i], i + 1);
	}
	{
		static const char *const bad[] = {"\"Basic\"", "\"BASIC\"", "\"\"", "\"id checked\"",
						  "\"id_checked\"", "\"basic \"", "\"none\"",
						  "\"background-checked-twice\"", "\"b\\u0000asic\"",
						  "1", "2", "null", "true", "[\"basic\"]", "{}"};
		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			(void)snprintf(what, sizeof(what), "courier: level %s", bad[i]);
			is_err(dec(d_courier, B("{\"email\": \"b@e.org\", \"name\": \"B\", "
						"\"level\": %s}", bad[i])),
			       400, "invalid-field", "level", what);
		}
		is_err(dec(d_courier, B("{\"email\": \"b@e.org\", \"name\": \"B\", \"level\": \"%s\"}",
					rep("basic", 40))),
		       400, "invalid-field", "level", "courier: level of 200 bytes");
	}
	is_err(dec(d_courier, "{\"email\": \"b@e.org\", \"name\": \"B\"}"), 400, "missing-field",
	       "level", "courier: level missing");
	is_err(dec(d_courier, "{\"email\": \"b@e.org\", \"level\": \"basic\"}"), 400,
	       "missing-field", "name", "courier: name missing");
	is_err(dec(d_courier, "{\"name\": \"B\", \"level\": \"basic\"}"), 400, "missing-field",
	       "email", "courier: email missing");
	is_err(dec(d_courier, "{}"), 400, "missing-field", "email", "courier: {} names email first");
	is_err(dec(d_courier, "{\"email\": 7, \"name\": \"B\", \"level\": \"basic\"}"), 400,
	       "invalid-field", "email", "courier: email a number");
	is_err(dec(d_courier, "{\"email\": [\"b@e.org\"], \"name\": \"B\", \"level\": \"basic\"}"),
	       400, "invalid-field", "email", "courier: email an array");
	test_text_field("courier", d_courier,
			"{\"email\": \"b@e.org\", \"name\": @V@, \"level\": \"basic\"}", "name", 1,
			PT_NAME_MAX, cr.name);
	test_blob("courier: attestation", d_courier, "attestation", PT_ENVELOPE_SIZE_MAX,
		  cr.attestation, &cr.attestation_len,
		  ", \"email\": \"b@e.org\", \"name\": \"B\", \"level\": \"basic\"", false);
	is_err(dec(d_courier, "{\"email\": \"b@e.org\", \"name\": \"B\", \"level\": \"basic\", "
			      "\"attestation\": \"AAAA\", \"account_id\": 7}"),
	       400, "unknown-field", "account_id", "courier: account_id is not taken");
	is_err(dec(d_courier, "{\"email\": \"b@e.org\", \"name\": \"B\", \"level\": \"basic\", "
			      "\"active\": true}"),
	       400, "unknown-field", "active", "courier: active is not writable");
	T_OK(all_zero(&cr, sizeof(cr)), "courier: refused: the struct is all zeros");
}

/* ---- couriers' devices and hubs ---- */

static void
test_device(void)
{
	is_ok(dec(d_device, B("{\"public_key\": \"%s\", \"label\": \"phone\"}", key_text)),
	      "device: the documented body");
	T_OK(memcmp(dv.pk, key_pk, PT_PK_LEN) == 0 && strcmp(dv.label, "phone") == 0,
	     "device: key and label");
	is_ok(dec(d_device, B("{\"public_key\": \"%s\"}", key_text)), "device: label absent");
	T_OK(dv.label[0] == '\0', "device: no label is empty");
	is_err(dec(d_device, "{\"label\": \"phone\"}"), 400, "missing-field", "public_key",
	       "device: public_key missing");
	is_err(dec(d_device, "{}"), 400, "missing-field", "public_key", "device: {}");
	test_key_field("device", d_device, "{\"public_key\": @V@, \"label\": \"phone\"}",
		       "public_key", dv.pk);
	test_text_field("device", d_device, B("{\"public_key\": \"%s\", \"label\": @V@}", key_text),
			"label", 0, PT_LABEL_MAX, dv.label);
	is_err(dec(d_device, B("{\"public_key\": \"%s\", \"id\": 3}", key_text)), 400,
	       "unknown-field", "id", "device: id is not writable");
	is_err(dec(d_device, B("{\"device_key\": \"%s\"}", key_text)), 400, "unknown-field",
	       "device_key", "device: device_key is the arrival's name, not this one");
	T_OK(all_zero(&dv, sizeof(dv)), "device: refused: the struct is all zeros");
}

static void
test_hub(void)
{
	is_ok(dec(d_hub, B("{\"public_key\": \"%s\", \"pairing\": \"%s\", \"label\": \"hall\"}",
			   key_text, b64(150))),
	      "hub: the documented body");
	T_OK(memcmp(hb.pk, key_pk, PT_PK_LEN) == 0, "hub: key");
	T_OK(hb.pairing_len == 150 && memcmp(hb.pairing, blob, 150) == 0, "hub: pairing decoded");
	T_OK(strcmp(hb.label, "hall") == 0, "hub: label");
	is_ok(dec(d_hub, B("{\"public_key\": \"%s\", \"pairing\": \"AAAA\"}", key_text)),
	      "hub: label absent");
	T_OK(hb.label[0] == '\0' && hb.pairing_len == 3, "hub: no label");
	is_err(dec(d_hub, "{\"pairing\": \"AAAA\"}"), 400, "missing-field", "public_key",
	       "hub: public_key missing");
	is_err(dec(d_hub, B("{\"public_key\": \"%s\"}", key_text)), 400, "missing-field", "pairing",
	       "hub: pairing missing");
	is_err(dec(d_hub, "{}"), 400, "missing-field", "public_key", "hub: {} names public_key");
	test_key_field("hub", d_hub, "{\"public_key\": @V@, \"pairing\": \"AAAA\"}", "public_key",
		       hb.pk);
	{
		static char extra[96];
		(void)snprintf(extra, sizeof(extra), ", \"public_key\": \"%s\"", key_text);
		test_blob("hub: pairing", d_hub, "pairing", PT_ENVELOPE_SIZE_MAX, hb.pairing,
			  &hb.pairing_len, extra, true);
	}
	test_text_field("hub", d_hub,
			B("{\"public_key\": \"%s\", \"pairing\": \"AAAA\", \"label\": @V@}", key_text),
			"label", 0, PT_LABEL_MAX, hb.label);
	is_err(dec(d_hub, B("{\"public_key\": \"%s\", \"pairing\": \"AAAA\", \"id\": \"hub-1\"}",
			    key_text)),
	       400, "unknown-field", "id", "hub: id is not writable");
	is_err(dec(d_hub, B("{\"public_key\": \"%s\", \"pairing\": \"AAAA\", \"code\": \"123\"}",
			    key_text)),
	       400, "unknown-field", "code", "hub: the pairing code travels inside the statement");
	T_OK(all_zero(&hb, sizeof(hb)), "hub: refused: the struct is all zeros");
}

/* ---- deliveries ---- */

#define DL_BODY(cid, hid, pkg, ws, we)                                                        \
	"{\"carrier_id\": " cid ", \"home_id\": " hid ", \"package_id\": " pkg                  \
	", \"window_start\": " ws ", \"window_end\": " we "}"

static void
test_delivery(void)
{
	char what[128];
	size_t i;

	is_ok(dec(d_delivery, "{\"carrier_id\": \"c-3f9a0c2b7d1e4a55\", \"home_id\": "
			      "\"h-8c1f2a9b3d4e5f60\", \"package_id\": \"PKG-1234567\", "
			      "\"window_start\": 1795600000, \"window_end\": 1795614400, "
			      "\"in_home\": true}"),
	      "delivery: the documented body");
	T_OK(strcmp(dl.carrier_id, "c-3f9a0c2b7d1e4a55") == 0, "delivery: carrier_id");
	T_OK(strcmp(dl.home_id, "h-8c1f2a9b3d4e5f60") == 0, "delivery: home_id");
	T_OK(strcmp(dl.package_id, "PKG-1234567") == 0, "delivery: package_id");
	T_EQ(dl.window_start, 1795600000, "delivery: window_start");
	T_EQ(dl.window_end, 1795614400, "delivery: window_end");
	T_OK(dl.in_home, "delivery: in_home");
	is_ok(dec(d_delivery, DL_BODY("\"c-1\"", "\"h-1\"", "\"P\"", "1795600000", "1795614400")),
	      "delivery: in_home absent");
	T_OK(!dl.in_home, "delivery: in_home defaults to false");
	is_ok(dec(d_delivery, "{\"in_home\": false, \"window_end\": 2, \"window_start\": 1, "
			      "\"package_id\": \"P\", \"home_id\": \"h\", \"carrier_id\": \"c\"}"),
	      "delivery: fields in any order");
	T_OK(!dl.in_home && dl.window_start == 1 && dl.window_end == 2, "delivery: read by name");

	/* missing, in order */
	is_err(dec(d_delivery, "{}"), 400, "missing-field", "carrier_id", "delivery: {}");
	{
		static const char *const fields[] = {"carrier_id", "home_id", "package_id",
						     "window_start", "window_end"};
		static const char *const vals[] = {"\"c-1\"", "\"h-1\"", "\"P\"", "1795600000",
						   "1795614400"};
		size_t k, n;
		char body[512];
		for (i = 0; i < 5; i++) {
			n = 0;
			body[n++] = '{';
			for (k = 0; k < 5; k++) {
				if (k == i)
					continue;
				n += (size_t)snprintf(body + n, sizeof(body) - n, "%s\"%s\": %s",
						      n > 1 ? ", " : "", fields[k], vals[k]);
			}
			body[n++] = '}';
			body[n] = '\0';
			(void)snprintf(what, sizeof(what), "delivery: %s missing", fields[i]);
			is_err(dec(d_delivery, body), 400, "missing-field", fields[i], what);
		}
	}
	/* ids */
	{
		static const char *const bad[] = {"\"\"", "\"a b\"", "\".hidden\"", "\"c/1\"",
						  "\"c\\u00e4\"", "\"c\\n\"", "\"c\\u0000\"", "1",
						  "null", "[\"c-1\"]", "true"};
		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			(void)snprintf(what, sizeof(what), "delivery: carrier_id %s", bad[i]);
			is_err(dec(d_delivery, sub(DL_BODY("@V@", "\"h-1\"", "\"P\"", "1", "2"),
						   bad[i])),
			       400, "invalid-field", "carrier_id", what);
			(void)snprintf(what, sizeof(what), "delivery: home_id %s", bad[i]);
			is_err(dec(d_delivery, sub(DL_BODY("\"c-1\"", "@V@", "\"P\"", "1", "2"),
						   bad[i])),
			       400, "invalid-field", "home_id", what);
		}
		is_ok(dec(d_delivery, sub(DL_BODY("@V@", "@V@", "\"P\"", "1", "2"), q(rep("i", 64)))),
		      "delivery: ids of 64");
		T_OK(strlen(dl.carrier_id) == 64 && strlen(dl.home_id) == 64,
		     "delivery: ids of 64 copied");
		is_err(dec(d_delivery, sub(DL_BODY("@V@", "\"h\"", "\"P\"", "1", "2"), q(rep("i", 65)))),
		       400, "invalid-field", "carrier_id", "delivery: carrier_id of 65");
		is_err(dec(d_delivery, sub(DL_BODY("\"c\"", "@V@", "\"P\"", "1", "2"), q(rep("i", 65)))),
		       400, "invalid-field", "home_id", "delivery: home_id of 65");
		is_ok(dec(d_delivery, DL_BODY("\"dhl.de_2-X\"", "\"Home.1\"", "\"P\"", "1", "2")),
		      "delivery: ids with . _ - and capitals");
	}
	test_package_field("delivery", d_delivery,
			   DL_BODY("\"c\"", "\"h\"", "@V@", "1795600000", "1795614400"),
			   dl.package_id);

	/* the window: times 0..2^40, end after start, at most 24 h */
	is_ok(dec(d_delivery, DL_BODY("\"c\"", "\"h\"", "\"P\"", "0", "1")), "delivery: window 0..1");
	is_ok(dec(d_delivery, DL_BODY("\"c\"", "\"h\"", "\"P\"", "1795600000", "1795686400")),
	      "delivery: window of exactly 24 h");
	T_EQ(dl.window_end - dl.window_start, 86400, "delivery: 86400 s kept");
	is_err(dec(d_delivery, DL_BODY("\"c\"", "\"h\"", "\"P\"", "1795600000", "1795686401")), 400,
	       "invalid-field", "window_end", "delivery: window of 24 h and 1 s");
	is_err(dec(d_delivery, DL_BODY("\"c\"", "\"h\"", "\"P\"", "0", "1099511627776")), 400,
	       "invalid-field", "window_end", "delivery: window of 2^40 s");
	is_err(dec(d_delivery, DL_BODY("\"c\"", "\"h\"", "\"P\"", "1795600000", "1795600000")), 400,
	       "invalid-field", "window_end", "delivery: window ends when it starts");
	is_err(dec(d_delivery, DL_BODY("\"c\"", "\"h\"", "\"P\"", "1795614400", "1795600000")), 400,
	       "invalid-field", "window_end", "delivery: window ends before it starts");
	is_ok(dec(d_delivery, DL_BODY("\"c\"", "\"h\"", "\"P\"", "1099511541376", "1099511627776")),
	      "delivery: window ending at 2^40");
	T_EQ(dl.window_end, (int64_t)1 << 40, "delivery: 2^40 kept");
	is_err(dec(d_delivery, DL_BODY("\"c\"", "\"h\"", "\"P\"", "1099511541377", "1099511627777")),
	       400, "invalid-field", "window_end", "delivery: window ending at 2^40 + 1");
	is_err(dec(d_delivery, DL_BODY("\"c\"", "\"h\"", "\"P\"", "1099511627777", "1099511627778")),
	       400, "invalid-field", "window_start", "delivery: window starting at 2^40 + 1");
	is_err(dec(d_delivery, DL_BODY("\"c\"", "\"h\"", "\"P\"", "-1", "100")), 400,
	       "invalid-field", "window_start", "delivery: window_start -1");
	is_err(dec(d_delivery, DL_BODY("\"c\"", "\"h\"", "\"P\"", "-100", "-1")), 400,
	       "invalid-field", "window_start", "delivery: negative window");
	is_err(dec(d_delivery, DL_BODY("\"c\"", "\"h\"", "\"P\"", "1", "-1")), 400, "invalid-field",
	       "window_end", "delivery: window_end -1");
	is_err(dec(d_delivery, DL_BODY("\"c\"", "\"h\"", "\"P\"", "1", "9223372036854775807")), 400,
	       "invalid-field", "window_end", "delivery: window_end INT64_MAX");
	is_err(dec(d_delivery, DL_BODY("\"c\"", "\"h\"", "\"P\"", "-9223372036854775808", "1")),
	       400, "invalid-field", "window_start", "delivery: window_start INT64_MIN");
	{
		static const char *const wrong[] = {"\"1795600000\"", "1795600000.0", "1795600000.5",
						    "1.7956e9", "null", "true", "[1795600000]",
						    "{}"};
		for (i = 0; i < sizeof(wrong) / sizeof(wrong[0]); i++) {
			(void)snprintf(what, sizeof(what), "delivery: window_start = %s", wrong[i]);
			is_err(dec(d_delivery, sub(DL_BODY("\"c\"", "\"h\"", "\"P\"", "@V@",
							   "1795614400"), wrong[i])),
			       400, "invalid-field", "window_start", what);
			(void)snprintf(what, sizeof(what), "delivery: window_end = %s", wrong[i]);
			is_err(dec(d_delivery, sub(DL_BODY("\"c\"", "\"h\"", "\"P\"", "1795600000",
							   "@V@"), wrong[i])),
			       400, "invalid-field", "window_end", what);
		}
	}
	/* beyond 64 bits the JSON parser refuses the number itself */
	is_err(dec(d_delivery, DL_BODY("\"c\"", "\"h\"", "\"P\"", "1", "99999999999999999999")), 400,
	       "bad-request", "", "delivery: window_end beyond 64 bits (parse error)");
	/* in_home */
	{
		static const char *const wrong[] = {"\"true\"", "1", "0", "null", "[]", "{}"};
		for (i = 0; i < sizeof(wrong) / sizeof(wrong[0]); i++) {
			(void)snprintf(what, sizeof(what), "delivery: in_home = %s", wrong[i]);
			is_err(dec(d_delivery, B("{\"carrier_id\": \"c\", \"home_id\": \"h\", "
						 "\"package_id\": \"P\", \"window_start\": 1, "
						 "\"window_end\": 2, \"in_home\": %s}", wrong[i])),
			       400, "invalid-field", "in_home", what);
		}
	}
	{
		static const char *const extra[] = {"id", "state", "courier", "approval", "token_id",
						    "created_at", "reason"};
		for (i = 0; i < sizeof(extra) / sizeof(extra[0]); i++) {
			(void)snprintf(what, sizeof(what), "delivery: %s is not writable", extra[i]);
			is_err(dec(d_delivery, B("{\"carrier_id\": \"c\", \"home_id\": \"h\", "
						 "\"package_id\": \"P\", \"window_start\": 1, "
						 "\"window_end\": 2, \"%s\": 1}", extra[i])),
			       400, "unknown-field", extra[i], what);
		}
	}
	T_OK(all_zero(&dl, sizeof(dl)), "delivery: refused: the struct is all zeros");
}

static void
test_dispatch(void)
{
	static const char *const bad[] = {"0", "-1", "-9223372036854775808"};
	static const char *const wrong[] = {"\"7\"", "7.0", "7.5", "7e0", "null", "true", "[7]",
					    "{\"account_id\": 7}"};
	char what[96];
	size_t i;

	is_ok(dec(d_dispatch, "{\"courier\": 7}"), "dispatch: the documented body");
	T_EQ(dp.courier, 7, "dispatch: courier 7");
	is_ok(dec(d_dispatch, "{\"courier\": 1}"), "dispatch: courier 1");
	T_EQ(dp.courier, 1, "dispatch: courier 1 kept");
	is_ok(dec(d_dispatch, "{\"courier\": 9223372036854775807}"), "dispatch: courier INT64_MAX");
	T_EQ(dp.courier, INT64_MAX, "dispatch: INT64_MAX kept");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		(void)snprintf(what, sizeof(what), "dispatch: courier %s", bad[i]);
		is_err(dec(d_dispatch, B("{\"courier\": %s}", bad[i])), 400, "invalid-field", "courier",
		       what);
	}
	for (i = 0; i < sizeof(wrong) / sizeof(wrong[0]); i++) {
		(void)snprintf(what, sizeof(what), "dispatch: courier = %s", wrong[i]);
		is_err(dec(d_dispatch, B("{\"courier\": %s}", wrong[i])), 400, "invalid-field",
		       "courier", what);
	}
	is_err(dec(d_dispatch, "{\"courier\": 9223372036854775808}"), 400, "bad-request", "",
	       "dispatch: courier beyond 64 bits (parse error)");
	is_err(dec(d_dispatch, "{}"), 400, "missing-field", "courier", "dispatch: {}");
	is_err(dec(d_dispatch, ""), 400, "bad-request", "", "dispatch: no body");
	is_err(dec(d_dispatch, "{\"courier\": 7, \"device\": 3}"), 400, "unknown-field", "device",
	       "dispatch: device is not chosen by the carrier");
	is_err(dec(d_dispatch, "{\"courier_id\": 7}"), 400, "unknown-field", "courier_id",
	       "dispatch: courier_id is not the name");
	T_OK(all_zero(&dp, sizeof(dp)), "dispatch: refused: the struct is all zeros");
}

#define AR_TMPL(k, lat, lon, pkg) \
	"{\"device_key\": " k ", \"lat\": " lat ", \"lon\": " lon ", \"package_id\": " pkg "}"

static void
test_arrive(void)
{
	static char kq[80];

	(void)snprintf(kq, sizeof(kq), "\"%s\"", key_text);
	is_ok(dec(d_arrive, B("{\"device_key\": \"%s\", \"lat\": 52.5201, \"lon\": 13.4049, "
			      "\"package_id\": \"PKG-1234567\"}", key_text)),
	      "arrive: the documented body");
	T_OK(memcmp(ar.device_pk, key_pk, PT_PK_LEN) == 0, "arrive: device key");
	T_OK(ar.lat == 52.5201 && ar.lon == 13.4049, "arrive: position");
	T_OK(strcmp(ar.package_id, "PKG-1234567") == 0, "arrive: package_id");

	is_err(dec(d_arrive, "{}"), 400, "missing-field", "device_key", "arrive: {}");
	is_err(dec(d_arrive, "{\"lat\": 1, \"lon\": 2, \"package_id\": \"P\"}"), 400,
	       "missing-field", "device_key", "arrive: device_key missing");
	is_err(dec(d_arrive, B("{\"device_key\": %s, \"lon\": 2, \"package_id\": \"P\"}", kq)), 400,
	       "missing-field", "lat", "arrive: lat missing");
	is_err(dec(d_arrive, B("{\"device_key\": %s, \"lat\": 1, \"package_id\": \"P\"}", kq)), 400,
	       "missing-field", "lon", "arrive: lon missing");
	is_err(dec(d_arrive, B("{\"device_key\": %s, \"lat\": 1, \"lon\": 2}", kq)), 400,
	       "missing-field", "package_id", "arrive: package_id missing");
	test_key_field("arrive", d_arrive, AR_TMPL("@V@", "1", "2", "\"P\""), "device_key",
		       ar.device_pk);
	is_err(dec(d_arrive, B("{\"device_key\": %s, \"lat\": 1, \"lon\": 2, \"package_id\": \"P\", "
			       "\"accuracy\": 5}", kq)),
	       400, "unknown-field", "accuracy", "arrive: accuracy is not taken");
	is_err(dec(d_arrive, B("{\"public_key\": %s, \"lat\": 1, \"lon\": 2, \"package_id\": \"P\"}",
			       kq)),
	       400, "unknown-field", "public_key", "arrive: the key is device_key");
	is_err(dec(d_arrive, B("{\"device_key\": %s, \"location\": {\"lat\": 1, \"lon\": 2}, "
			       "\"package_id\": \"P\"}", kq)),
	       400, "unknown-field", "location", "arrive: lat and lon are top-level");
	T_OK(all_zero(&ar, sizeof(ar)), "arrive: refused: the struct is all zeros");
}

/* The arrive templates above hold "@K@" for the key: fill it in. */
static int
d_arrive_k(const char *p, size_t n)
{
	static char body[BUFSZ];
	const char *m = strstr(p, "@K@");
	size_t kl = strlen(key_text), pre;

	if (m == NULL || n + kl + 2 >= sizeof(body))
		return d_arrive(p, n);
	pre = (size_t)(m - p);
	memcpy(body, p, pre);
	body[pre] = '"';
	memcpy(body + pre + 1, key_text, kl);
	body[pre + 1 + kl] = '"';
	memcpy(body + pre + 2 + kl, m + 3, n - pre - 3);
	return d_arrive(body, n - 3 + kl + 2);
}

static void
test_arrive_fields(void)
{
	test_degrees("arrive", d_arrive_k, AR_TMPL("@K@", "@V@", "13.4", "\"P\""), "lat", 90,
		     &ar.lat);
	test_degrees("arrive", d_arrive_k, AR_TMPL("@K@", "52.5", "@V@", "\"P\""), "lon", 180,
		     &ar.lon);
	test_package_field("arrive", d_arrive_k, AR_TMPL("@K@", "1", "2", "@V@"), ar.package_id);
}

static void
test_reason(void)
{
	is_ok(d_reason("", 0), "reason: an empty body is {}");
	T_OK(rs.reason[0] == '\0', "reason: empty body: no reason");
	is_ok(d_reason(NULL, 0), "reason: no body at all (NULL, 0)");
	is_ok(dec(d_reason, "{}"), "reason: {}");
	T_OK(rs.reason[0] == '\0', "reason: {}: no reason");
	is_ok(dec(d_reason, "{\"reason\": \"not today\"}"), "reason: the documented body");
	T_OK(strcmp(rs.reason, "not today") == 0, "reason: copied");
	is_ok(dec(d_reason, " {\"reason\": \"x\"}\n"), "reason: whitespace around the object");
	test_text_field("reason", d_reason, "{\"reason\": @V@}", "reason", 0, PT_REASON_MAX,
			rs.reason);
	is_err(dec(d_reason, " "), 400, "bad-request", "", "reason: a space is not an empty body");
	is_err(dec(d_reason, "\n"), 400, "bad-request", "", "reason: a newline is not an empty body");
	is_ok(d_reason("{\"reason\": 1}", 0), "reason: length 0 is an empty body, whatever p holds");
	is_err(dec(d_reason, "{\"reason\": \"x\", \"code\": 1}"), 400, "unknown-field", "code",
	       "reason: code is not taken");
	is_err(dec(d_reason, "{\"note\": \"x\"}"), 400, "unknown-field", "note",
	       "reason: note is not the name");
	T_OK(all_zero(&rs, sizeof(rs)), "reason: refused: the struct is all zeros");
}

/* ---- paging ---- */

static void
page_ok(const char *after, const char *limit, int64_t want_after, size_t want_limit)
{
	int64_t a = -7;
	size_t l = 7;
	int r;

	reset();
	r = pt_query_page(after, limit, &a, &l, &e);
	if (!T_EQ(r, PT_OK, "page: after %s%s%s, limit %s%s%s: accepted", after ? "\"" : "",
		  after ? after : "NULL", after ? "\"" : "", limit ? "\"" : "",
		  limit ? limit : "NULL", limit ? "\"" : ""))
		printf("# refused: %d %s field '%s': %s\n", e.status, e.code, e.field, e.message);
	T_OK(a == want_after && l == want_limit, "page: after %lld, limit %zu (got %lld, %zu)",
	     (long long)want_after, want_limit, (long long)a, l);
}

static void
page_bad(const char *after, const char *limit, const char *field)
{
	char what[128];
	int64_t a = -7;
	size_t l = 7;

	(void)snprintf(what, sizeof(what), "page: after %s%s%s, limit %s%s%s", after ? "\"" : "",
		       after ? after : "NULL", after ? "\"" : "", limit ? "\"" : "",
		       limit ? limit : "NULL", limit ? "\"" : "");
	reset();
	is_err(pt_query_page(after, limit, &a, &l, &e), 400, "invalid-field", field, what);
	T_OK(a == 0 && l == 0, "%s: outputs zeroed", what);
}

static void
test_page(void)
{
	static const char *const bad_after[] = {"", "-1", "abc", "18446744073709551616",
						"18446744073709551615", "9223372036854775808",
						"99999999999999999999999", " 1", "1 ", "+1", "0x10",
						"1.5", "1e3", "１", "1\n"};
	static const char *const bad_limit[] = {"", "0", "-1", "201", "1000", "abc",
						"18446744073709551616", "4294967297", " 5", "5 ",
						"+5", "5.0", "1e2", "00"};
	size_t i;

	T_EQ(PT_PAGE_DEFAULT, 50, "page: the default is 50");
	T_EQ(PT_PAGE_MAX, 200, "page: the maximum is 200");
	page_ok(NULL, NULL, 0, 50);
	page_ok("0", NULL, 0, 50);
	page_ok("1", NULL, 1, 50);
	page_ok("123", "10", 123, 10);
	page_ok(NULL, "1", 0, 1);
	page_ok(NULL, "200", 0, 200);
	page_ok(NULL, "199", 0, 199);
	page_ok(NULL, "50", 0, 50);
	page_ok("9223372036854775807", "200", INT64_MAX, 200);
	page_ok("007", "007", 7, 7);
	for (i = 0; i < sizeof(bad_after) / sizeof(bad_after[0]); i++)
		page_bad(bad_after[i], NULL, "after");
	for (i = 0; i < sizeof(bad_limit) / sizeof(bad_limit[0]); i++)
		page_bad(NULL, bad_limit[i], "limit");
	page_bad("5", "0", "limit");
	page_bad("-1", "201", "after");
	page_bad("x", "10", "after");
}

/* ---- a hub's chain slice: ?from=&to= ---- */

static void
chain_q(const char *from, const char *to, int want, int64_t wf, int64_t wt, const char *field)
{
	char what[160];
	int64_t f = -7, t = -7;

	(void)snprintf(what, sizeof(what), "chain: from %s, to %s", from ? from : "NULL",
		       to ? to : "NULL");
	reset();
	if (want == PT_OK) {
		T_EQ(pt_query_chain(from, to, &f, &t, &e), PT_OK, "%s: accepted", what);
		T_OK(f == wf && t == wt, "%s: %lld..%lld (got %lld..%lld)", what, (long long)wf,
		     (long long)wt, (long long)f, (long long)t);
	} else {
		is_err(pt_query_chain(from, to, &f, &t, &e), 400, "invalid-field", field, what);
		T_OK(f == 0 && t == 0, "%s: outputs zeroed", what);
	}
}

static void
test_query_chain(void)
{
	static const char *const bad[] = {"", "0", "-1", "+1", " 1", "1 ", "0x1", "1.0", "1e3",
					  "9223372036854775808", "18446744073709551616", "１"};
	size_t i;

	T_EQ(PT_CHAIN_SPAN_MAX, 1024, "chain: a slice spans at most 1024 events");
	chain_q("1", "1", PT_OK, 1, 1, NULL);
	chain_q("1", "1024", PT_OK, 1, 1024, NULL);
	chain_q("41", "48", PT_OK, 41, 48, NULL);
	chain_q("007", "8", PT_OK, 7, 8, NULL);
	chain_q("9223372036854775807", "9223372036854775807", PT_OK, INT64_MAX, INT64_MAX, NULL);
	chain_q("9223372036854775000", "9223372036854775807", PT_OK, 9223372036854775000LL,
		INT64_MAX, NULL);
	chain_q("1", "1025", PT_EMALFORMED, 0, 0, "to");
	chain_q("2", "1", PT_EMALFORMED, 0, 0, "to");
	chain_q("1", NULL, PT_EMALFORMED, 0, 0, "to");
	chain_q(NULL, "1", PT_EMALFORMED, 0, 0, "from");
	chain_q(NULL, NULL, PT_EMALFORMED, 0, 0, "from");
	chain_q("x", "-1", PT_EMALFORMED, 0, 0, "from");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		chain_q(bad[i], "5", PT_EMALFORMED, 0, 0, "from");
		chain_q("1", bad[i], PT_EMALFORMED, 0, 0, "to");
	}
}

/* ---- names on the wire ---- */

static void
test_names(void)
{
	static const char *const levels[] = {NULL, "basic", "id-checked", "background-checked"};
	static const char *const states[] = {NULL, "scheduled", "out-for-delivery", "at-the-door",
					     "credential-issued", "entered", "completed", "refused",
					     "failed", "cancelled"};
	static const char *const approvals[] = {"not-needed", "pending", "approved"};
	static const char *const bad[] = {"", "Basic", "basic ", " basic", "scheduled\n", "SCHEDULED",
					  "id_checked", "out for delivery", "0", "1", "pending"};
	uint8_t v;
	unsigned i;

	T_EQ(PT_LEVEL_BASIC, 1, "names: basic is 1");
	T_EQ(PT_LEVEL_BACKGROUND, 3, "names: background-checked is 3");
	for (i = 1; i <= 3; i++) {
		const char *n = pt_level_name(i);
		T_OK(n != NULL && strcmp(n, levels[i]) == 0, "level %u is \"%s\" (got %s)", i,
		     levels[i], n ? n : "NULL");
		v = 0;
		T_EQ(pt_level_parse(levels[i], &v), PT_OK, "level \"%s\" parses", levels[i]);
		T_EQ(v, i, "level \"%s\" round trip", levels[i]);
	}
	T_OK(pt_level_name(0) == NULL, "level 0 has no name");
	T_OK(pt_level_name(4) == NULL, "level 4 has no name");
	T_OK(pt_level_name(255) == NULL, "level 255 has no name");
	T_OK(pt_level_name(~0u) == NULL, "level UINT_MAX has no name");
	for (i = 1; i <= 9; i++) {
		const char *n = pt_dstate_name(i);
		T_OK(n != NULL && strcmp(n, states[i]) == 0, "state %u is \"%s\" (got %s)", i,
		     states[i], n ? n : "NULL");
		v = 0;
		T_EQ(pt_dstate_parse(states[i], &v), PT_OK, "state \"%s\" parses", states[i]);
		T_EQ(v, i, "state \"%s\" round trip", states[i]);
	}
	T_EQ(PT_D_OUT, 2, "names: out-for-delivery is 2");
	v = 0;
	T_OK(pt_dstate_parse("at-the-door", &v) == PT_OK && v == PT_D_AT_DOOR, "state at-the-door");
	T_OK(pt_dstate_parse("credential-issued", &v) == PT_OK && v == PT_D_ISSUED,
	     "state credential-issued");
	T_OK(pt_dstate_name(0) == NULL, "state 0 has no name");
	T_OK(pt_dstate_name(10) == NULL, "state 10 has no name");
	T_OK(pt_dstate_name(~0u) == NULL, "state UINT_MAX has no name");
	for (i = 0; i <= 2; i++) {
		const char *n = pt_approval_name(i);
		T_OK(n != NULL && strcmp(n, approvals[i]) == 0, "approval %u is \"%s\" (got %s)", i,
		     approvals[i], n ? n : "NULL");
	}
	T_EQ(PT_APPROVAL_PENDING, 1, "names: pending is 1");
	T_OK(pt_approval_name(3) == NULL, "approval 3 has no name");
	T_OK(pt_approval_name(~0u) == NULL, "approval UINT_MAX has no name");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = 77;
		T_OK(pt_level_parse(bad[i], &v) == PT_EMALFORMED && v == 0,
		     "level \"%s\" refused, output zeroed", bad[i]);
		v = 77;
		T_OK(pt_dstate_parse(bad[i], &v) == PT_EMALFORMED && v == 0,
		     "state \"%s\" refused, output zeroed", bad[i]);
	}
	v = 77;
	T_OK(pt_level_parse(NULL, &v) == PT_EMALFORMED && v == 0, "level NULL refused");
	v = 77;
	T_OK(pt_dstate_parse(NULL, &v) == PT_EMALFORMED && v == 0, "state NULL refused");
	v = 77;
	T_OK(pt_level_parse("scheduled", &v) == PT_EMALFORMED, "a state is not a level");
	T_OK(pt_dstate_parse("basic", &v) == PT_EMALFORMED, "a level is not a state");
}

int
main(void)
{
	struct pt_secret *sec;
	uint8_t seed[PT_SEED_LEN];
	size_t i;

	if (pt_crypto_init() != PT_OK) {
		printf("Bail out! pt_crypto_init\n");
		return 1;
	}
	for (i = 0; i < sizeof(blob); i++)
		blob[i] = (uint8_t)(i * 7u + 3u);
	/* a real owner key; the seed is chosen so its text has '-' or '_' */
	for (i = 0; i < 64; i++) {
		memset(seed, (int)(0x41 + i), sizeof(seed));
		if ((sec = pt_secret_new()) == NULL || pt_secret_from_seed(sec, seed) != PT_OK) {
			printf("Bail out! key\n");
			return 1;
		}
		pt_secret_public(sec, key_pk);
		pt_secret_free(sec);
		if (pt_b64_encode(key_text, sizeof(key_text), key_pk, PT_PK_LEN) != PT_OK) {
			printf("Bail out! b64\n");
			return 1;
		}
		if (strpbrk(key_text, "-_") != NULL)
			break;
	}

	{
		const struct dec_case cases[] = {
			{"signup", d_signup,
			 "{\"email\": \"ana@example.org\", \"password\": \"correct horse battery\", "
			 "\"name\": \"Ana\"}",
			 "email", "\"bo@example.org\""},
			{"signin", d_signin, "{\"email\": \"ana@example.org\", \"password\": \"pw\"}",
			 "email", "\"bo@example.org\""},
			{"home", d_home, "{\"name\": \"Flat\", \"tz\": \"Europe/Berlin\"}", "name",
			 "\"Other\""},
			{"home patch", d_patch, "{\"notes\": \"ring twice\"}", "notes", "\"n\""},
			{"member", d_member, "{\"email\": \"bo@example.org\", \"role\": \"member\"}",
			 "email", "\"cy@example.org\""},
			{"owner key", d_key, B("{\"public_key\": \"%s\", \"label\": \"phone\"}", key_text),
			 "public_key", B("\"%s\"", key_text)},
			{"grant", d_grant, "{\"chain\": \"AAAA\", \"label\": \"cleaner\"}", "chain",
			 "\"AAAA\""},
			{"revocation", d_rev, "{\"revocation\": \"AAAA\"}", "revocation", "\"AAAA\""},
		};
		/* the ring is reused below: keep the two owner-key strings */
		static char kv[128], kd[64];
		struct dec_case c;
		(void)snprintf(kv, sizeof(kv), "%s", cases[5].valid);
		(void)snprintf(kd, sizeof(kd), "%s", cases[5].dupval);
		for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			c = cases[i];
			if (i == 5) {
				c.valid = kv;
				c.dupval = kd;
			}
			test_common(&c);
		}
	}
	{
		static char v_car[192], v_dev[192], v_hub[192], v_arr[256], kd[80];
		(void)snprintf(kd, sizeof(kd), "\"%s\"", key_text);
		(void)snprintf(v_car, sizeof(v_car), "{\"name\": \"Parcelo\", \"public_key\": %s}",
			       kd);
		(void)snprintf(v_dev, sizeof(v_dev), "{\"public_key\": %s, \"label\": \"phone\"}",
			       kd);
		(void)snprintf(v_hub, sizeof(v_hub), "{\"public_key\": %s, \"pairing\": \"AAAA\"}",
			       kd);
		(void)snprintf(v_arr, sizeof(v_arr),
			       "{\"device_key\": %s, \"lat\": 52.5201, \"lon\": 13.4049, "
			       "\"package_id\": \"PKG-1\"}", kd);
		{
			const struct dec_case cases[] = {
				{"carrier", d_carrier, v_car, "name", "\"Other\""},
				{"carrier (hosted)", d_carrier, "{\"name\": \"P\", \"hosted\": true}",
				 "hosted", "false"},
				{"courier", d_courier,
				 "{\"email\": \"ben@example.org\", \"name\": \"Ben\", "
				 "\"level\": \"basic\"}",
				 "email", "\"cy@example.org\""},
				{"device", d_device, v_dev, "public_key", kd},
				{"hub", d_hub, v_hub, "public_key", kd},
				{"delivery", d_delivery,
				 "{\"carrier_id\": \"c-1\", \"home_id\": \"h-1\", "
				 "\"package_id\": \"P\", \"window_start\": 1, \"window_end\": 2}",
				 "carrier_id", "\"c-2\""},
				{"dispatch", d_dispatch, "{\"courier\": 7}", "courier", "8"},
				{"arrive", d_arrive, v_arr, "device_key", kd},
				{"reason", d_reason, "{\"reason\": \"not today\"}", "reason", "\"x\""},
			};
			for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
				test_common(&cases[i]);
		}
	}

	test_signup();
	test_emails("signup", d_signup,
		    ", \"password\": \"correct horse battery\", \"name\": \"Ana\"", su_email);
	test_emails("member", d_member, ", \"role\": \"member\"", mb_email);
	test_signin();
	test_home();
	test_patch();
	test_policy();
	test_policy_json();
	test_member();
	test_owner_key();
	test_grant();
	test_revocation();
	test_location();
	test_carrier();
	test_courier();
	test_emails("courier", d_courier, ", \"name\": \"Ben\", \"level\": \"basic\"", cr_email);
	test_device();
	test_hub();
	test_delivery();
	test_dispatch();
	test_arrive();
	test_arrive_fields();
	test_reason();
	test_page();
	test_query_chain();
	test_names();
	return t_done();
}
