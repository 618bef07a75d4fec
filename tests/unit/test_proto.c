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
	is_err(c->fn("", 0), 400, "bad-request", "", what);
	(void)snprintf(what, sizeof(what), "%s: empty body (NULL, 0)", c->name);
	is_err(c->fn(NULL, 0), 400, "bad-request", "", what);
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
		static const char *const bad[] = {"\"courier\"", "\"member\"", "\"Owner\"", "\"\"",
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
	  const size_t *out_len, const char *extra)
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
	is_err(dec(d, extra[0] != '\0' ? B("{%s}", extra + 2) : "{}"), 400, "missing-field", field,
	       what);
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
	test_blob("grant: chain", d_grant, "chain", PT_CHAIN_SIZE_MAX, gr.chain, &gr.chain_len, "");
	test_blob("grant: chain (with label)", d_grant, "chain", PT_CHAIN_SIZE_MAX, gr.chain,
		  &gr.chain_len, ", \"label\": \"x\"");
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
		  &rv.envelope_len, "");
	T_EQ(PT_ENVELOPE_SIZE_MAX, 512, "revocation: the limit is 512 bytes");
	is_err(dec(d_rev, "{\"revocation\": \"AAAA\", \"label\": \"x\"}"), 400, "unknown-field",
	       "label", "revocation: label is not a revocation field");
	is_err(dec(d_rev, "{\"revocation\": \"AAAA\", \"since\": 0}"), 400, "unknown-field", "since",
	       "revocation: since is not a body field");
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
	return t_done();
}
