/*
 * porter approval list | approve | deny: the owner's side of "Ask the
 * owner" (docs/alarm.md). The hubs' open requests to let a credential in
 * are read from the home's open alerts (approval-request); an answer is
 * signed here with an owner key (PT_ENV_APPROVAL: the request id as its
 * nonce, the credential's session id as its target) and porterd relays it
 * to the home's hubs (POST /v1/homes/{id}/approvals, docs/api.md).
 *
 * What porterd sends is shown through client_text (terminal-safe) and
 * never used as more than text: the request and session the owner signs
 * are the ones given on the command line.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "porter/crypto.h"
#include "porter/envelope.h"
#include "porter/keyfile.h"
#include "porter/text.h"
#include "client.h"
#include "porter.h"

#define ALERT_TYPE "approval-request"
#define PAGE_LIMIT "200"	/* alerts per page, porterd's most */
#define PAGES_MAX 25		/* open alerts read: 5000 at most */
#define PATH_CAP (PT_ID_MAX + 128)

int cmd_approval(int argc, char **argv);

static const char usage[] =
	"usage: porter approval list --home ID\n"
	"       porter approval approve|deny --home ID --request HEX --session HEX\n"
	"                                    --key OWNER_KEY\n"
	"\n"
	"Answer a hub that asks the owners to let someone in (docs/alarm.md, \"Ask the\n"
	"owner\"). A hub set to ask ([alarm] cannot_bypass = ask) that cannot bypass\n"
	"the alarm panel's entry zones for a credential that needs it refuses the\n"
	"courier for now (owner-asked) and raises the alert approval-request: the\n"
	"request id, the credential (its session: the token id of its last link),\n"
	"the lock, the purpose, the panel's state and when the request expires.\n"
	"\n"
	"  list      the open approval-request alerts of the home (members), with the\n"
	"            delivery whose credential it is, when there is one\n"
	"  approve   let that one credential in once, before the request expires. The\n"
	"            panel is left as it is: never disarmed, no zone bypassed, so an\n"
	"            armed panel sees the door open and does what it is set up to do\n"
	"            (its entry delay, then its siren, unless someone disarms it)\n"
	"  deny      refuse that credential until the request expires\n"
	"\n"
	"The answer is signed here with your owner key (it never leaves this machine)\n"
	"for that request and that credential only, dated now; porterd checks it\n"
	"against the home's owner keys and relays it to the home's hubs, which check\n"
	"it again and record approval.answer or approval.refuse in the home's events\n"
	"('porter events --home ID'). Then the courier tries the door again.\n"
	"\n"
	"  --home ID           the home (h-...)\n"
	"  --request HEX       the request id (32 hex digits, from 'approval list')\n"
	"  --session HEX       the credential's session id (32 hex digits, ditto)\n"
	"  --key FILE          your owner secret key file (mode 0600)\n" COMMON_HELP
	"\n"
	"Exit status: 0 listed, or relayed (the hub has yet to check it); 1 usage;\n"
	"2 bad input, I/O, network, or porterd's forbidden (not an owner), no-hub\n"
	"and mqtt-unavailable; 10 + n for a refusal with reason n: 41\n"
	"untrusted-signer (the key is not an owner key of the home), 33 stale (this\n"
	"machine's clock is off).\n"
	"\n"
	"Examples:\n"
	"  porter approval list --home h-0123456789abcdef\n"
	"  porter approval approve --home h-0123456789abcdef \\\n"
	"      --request 0f1e2d3c4b5a69788796a5b4c3d2e1f0 \\\n"
	"      --session 00112233445566778899aabbccddeeff --key owner.key\n";

struct opts {
	const char *home, *request, *session, *key;
};

/* Exactly 2 * len hex digits (either case) into out[len]. 0 or -1. */
static int
hex_parse(const char *s, uint8_t *out, size_t len)
{
	size_t i;
	int v, hi = 0;

	if (strnlen(s, 2 * len + 1) != 2 * len)
		return -1;
	for (i = 0; i < 2 * len; i++) {
		char ch = s[i];

		v = ch >= '0' && ch <= '9'   ? ch - '0'
		    : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
		    : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10
					     : -1;
		if (v < 0)
			return -1;
		if (i % 2 == 0)
			hi = v;
		else
			out[i / 2] = (uint8_t)(hi << 4 | v);
	}
	return 0;
}

/* ---- list ---- */

/* A string member of o made safe for a terminal, or "-". */
static const char *
text_of(const json_t *o, const char *key, char *buf, size_t cap)
{
	const json_t *v = json_object_get(o, key);

	if (!json_is_string(v) || json_string_length(v) == 0) {
		(void)snprintf(buf, cap, "-");
		return buf;
	}
	return client_text(v, buf, cap);
}

/* The request's expiry: a time, "expired" past it, or why there is none. */
static const char *
expires_text(const json_t *v, char *buf, size_t cap)
{
	char t[40];

	if (json_is_null(v))
		(void)snprintf(buf, cap, "- (the hub's clock was not trusted)");
	else if (!json_is_integer(v))
		(void)snprintf(buf, cap, "-");
	else if (json_integer_value(v) <= now_utc())
		(void)snprintf(buf, cap, "%s (expired)", client_time(v, t, sizeof(t)));
	else
		(void)snprintf(buf, cap, "%s (in %lld s)", client_time(v, t, sizeof(t)),
			       (long long)(json_integer_value(v) - now_utc()));
	return buf;
}

/* The home's open alerts, page after page, kept when of ALERT_TYPE into
 * out (an array). 0 or an exit code. */
static int
open_requests(struct client *c, const char *home, json_t *out)
{
	char path[PATH_CAP], after[24] = "";
	json_t *reply = NULL, *as, *a;
	const json_t *next;
	size_t page, i;
	int rc, k;

	for (page = 0; page < PAGES_MAX; page++) {
		k = snprintf(path, sizeof(path), "/v1/homes/%s/alerts?open=true&limit=" PAGE_LIMIT
						 "%s%s",
			     home, after[0] != '\0' ? "&after=" : "", after);
		if (k < 0 || (size_t)k >= sizeof(path))
			return EXIT_INPUT;
		if ((rc = client_call(c, "GET", path, NULL, CALL_AUTH, &reply)) != 0)
			return rc;
		as = json_object_get(reply, "alerts");
		json_array_foreach(as, i, a) {
			const json_t *t = json_object_get(a, "type");
			if (json_is_string(t) && strcmp(json_string_value(t), ALERT_TYPE) == 0)
				json_array_append(out, a);
		}
		next = json_object_get(reply, "next");
		if (!json_is_string(next) || json_string_length(next) == 0 ||
		    json_string_length(next) >= sizeof(after) ||
		    strspn(json_string_value(next), "0123456789") != json_string_length(next)) {
			json_decref(reply);
			return 0;
		}
		memcpy(after, json_string_value(next), json_string_length(next) + 1);
		json_decref(reply);
		reply = NULL;
	}
	warnx_("more than %d pages of open alerts: showing the first ones", PAGES_MAX);
	return 0;
}

/* The home's deliveries whose credential is issued (for the name of the
 * one a request is about); NULL if porterd would not say. */
static json_t *
issued_deliveries(struct client *c, const char *home)
{
	char path[PATH_CAP];
	json_t *reply = NULL;
	int k;

	k = snprintf(path, sizeof(path),
		     "/v1/deliveries?home=%s&state=credential-issued&limit=" PAGE_LIMIT, home);
	if (k < 0 || (size_t)k >= sizeof(path) ||
	    client_call(c, "GET", path, NULL, CALL_AUTH | CALL_QUIET, &reply) != 0) {
		json_decref(reply);
		return NULL;
	}
	return reply;
}

/* "d-... (package)" of the delivery whose credential is session, or "". */
static const char *
delivery_of(const json_t *deliveries, const char *session, char *buf, size_t cap)
{
	const json_t *d, *tok;
	char id[PT_ID_MAX + 1], pkg[96];
	size_t i;

	buf[0] = '\0';
	json_array_foreach(json_object_get(deliveries, "deliveries"), i, d) {
		tok = json_object_get(d, "token_id");
		if (!json_is_string(tok) || strcmp(json_string_value(tok), session) != 0)
			continue;
		(void)snprintf(buf, cap, "%s (package %s)",
			       text_of(d, "id", id, sizeof(id)),
			       text_of(d, "package_id", pkg, sizeof(pkg)));
		break;
	}
	return buf;
}

static void
show_request(const json_t *a, const json_t *deliveries, const char *home)
{
	const json_t *d = json_object_get(a, "data");
	char req[80], ses[80], buf[160], at[40], id[24];
	struct table t;

	text_of(d, "request", req, sizeof(req));
	text_of(d, "session", ses, sizeof(ses));
	table_init(&t, 2);
	add_row2(&t, "request", req);
	add_row2(&t, "session", ses);
	add_row2(&t, "lock", text_of(d, "lock", buf, sizeof(buf)));
	add_row2(&t, "purpose", text_of(d, "purpose", buf, sizeof(buf)));
	add_row2(&t, "alarm", text_of(d, "alarm", buf, sizeof(buf)));
	add_row2(&t, "expires", expires_text(json_object_get(d, "expires"), buf, sizeof(buf)));
	if (deliveries != NULL && delivery_of(deliveries, ses, buf, sizeof(buf))[0] != '\0')
		add_row2(&t, "delivery", buf);
	(void)snprintf(buf, sizeof(buf), "%s at %s",
		       num_text(json_object_get(a, "id"), id, sizeof(id)),
		       client_time(json_object_get(a, "at"), at, sizeof(at)));
	add_row2(&t, "alert", buf);
	table_print(&t);
	/* A line to paste into a shell: only ids that are what they claim
	 * (porterd's words are not trusted to be shell-safe). */
	if (strlen(req) == 32 && strspn(req, "0123456789abcdef") == 32 && strlen(ses) == 32 &&
	    strspn(ses, "0123456789abcdef") == 32 && pt_id_is_valid(home, strlen(home)))
		printf("answer: porter approval approve|deny --home %s --request %s --session %s "
		       "--key OWNER_KEY\n",
		       home, req, ses);
	else
		printf("answer: (not shown: the request's ids are not 32 hex digits each)\n");
}

static int
approval_list(struct client *c, const struct opts *o)
{
	json_t *reqs = json_array(), *deliveries = NULL, *out;
	const json_t *a;
	size_t i;
	int rc;

	if (reqs == NULL)
		return EXIT_INPUT;
	if ((rc = client_load(c)) != 0 || (rc = client_need(c, true)) != 0 ||
	    (rc = open_requests(c, o->home, reqs)) != 0)
		goto out;
	if (c->json) {
		out = json_pack("{s:O}", "approvals", reqs);
		client_print_json(out);
		json_decref(out);
		goto out;
	}
	if (json_array_size(reqs) == 0) {
		printf("no open approval requests\n");
		goto out;
	}
	deliveries = issued_deliveries(c, o->home);
	json_array_foreach(reqs, i, a) {
		if (i > 0)
			putchar('\n');
		show_request(a, deliveries, o->home);
	}
out:
	json_decref(deliveries);
	json_decref(reqs);
	return rc;
}

/* ---- approve, deny ---- */

static int
approval_answer(struct client *c, const struct opts *o, uint8_t op)
{
	char path[PATH_CAP], b64[PT_ENVELOPE_SIZE_MAX / 3 * 4 + 8];
	char req[2 * PT_CTI_LEN + 1], ses[2 * PT_CTI_LEN + 1];
	uint8_t env_buf[PT_ENVELOPE_SIZE_MAX];
	struct pt_secret *s = NULL;
	struct pt_envelope e;
	struct pt_errbuf err;
	struct pt_signer sg;
	json_t *body = NULL, *reply = NULL;
	size_t env_len;
	int r, rc = EXIT_INPUT;

	memset(&e, 0, sizeof(e));
	e.kind = PT_ENV_APPROVAL;
	e.op = op;
	memcpy(e.aud, o->home, strlen(o->home) + 1);
	if (hex_parse(o->request, e.nonce, PT_CTI_LEN) != 0 ||
	    hex_parse(o->session, e.target, PT_CTI_LEN) != 0)
		die_usage("approval", "--request and --session take 32 hex digits each");
	e.target_len = PT_CTI_LEN;
	pt_hex(e.nonce, PT_CTI_LEN, req);
	pt_hex(e.target, PT_CTI_LEN, ses);
	(void)snprintf(path, sizeof(path), "/v1/homes/%s/approvals", o->home);
	if ((rc = client_load(c)) != 0 || (rc = client_need(c, true)) != 0)
		goto out;
	rc = EXIT_INPUT;
	if ((s = pt_secret_new()) == NULL || pt_keyfile_load(o->key, s, &err) != PT_OK) {
		warnx_("%s", s == NULL ? "out of memory" : err.msg);
		goto out;
	}
	pt_signer_sodium(&sg, s);
	e.iat = now_utc();
	r = pt_envelope_sign(pt_crypto_sodium(), &sg, &e, env_buf, sizeof(env_buf), &env_len);
	pt_secret_free(s);	/* the key is not needed any more */
	s = NULL;
	if (r != PT_OK) {
		warnx_("cannot sign the answer: %s", pt_err_text(r));
		goto out;
	}
	if (pt_b64_encode(b64, sizeof(b64), env_buf, env_len) != PT_OK ||
	    (body = json_pack("{s:s}", "approval", b64)) == NULL) {
		warnx_("cannot encode the answer");
		goto out;
	}
	if ((rc = client_call(c, "POST", path, body, CALL_AUTH, &reply)) != 0)
		goto out;
	if (c->json) {
		client_print_json(reply);
	} else {
		const json_t *n = json_object_get(reply, "hubs");
		printf("relayed %s of request %s (session %s) to %lld hub%s\n"
		       "the hub checks it and records approval.answer or approval.refuse: "
		       "porter events --home %s\n",
		       op == PT_APPROVE ? "approve" : "deny", req, ses,
		       json_is_integer(n) ? (long long)json_integer_value(n) : 0LL,
		       json_is_integer(n) && json_integer_value(n) == 1 ? "" : "s", o->home);
	}
	rc = 0;
out:
	pt_secret_free(s);
	json_decref(body);
	json_decref(reply);
	return rc;
}

int
cmd_approval(int argc, char **argv)
{
	static const struct option opts[] = {
		{"home", required_argument, NULL, 'm'},
		{"request", required_argument, NULL, 'r'},
		{"session", required_argument, NULL, 's'},
		{"key", required_argument, NULL, 'k'},
		{"json", no_argument, NULL, 'J'},
		{"cacert", required_argument, NULL, 'C'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct opts o = {NULL, NULL, NULL, NULL};
	const char *verb;
	struct client c;
	int ch, rc;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		if (argc >= 2) {
			fputs(usage, stdout);
			return 0;
		}
		die_usage("approval", "list, approve or deny?");
	}
	verb = argv[1];
	if (strcmp(verb, "list") != 0 && strcmp(verb, "approve") != 0 &&
	    strcmp(verb, "deny") != 0)
		die_usage("approval", "unknown verb '%s': list, approve or deny", verb);
	client_init(&c);
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc - 1, argv + 1, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'm': o.home = optarg; break;
		case 'r': o.request = optarg; break;
		case 's': o.session = optarg; break;
		case 'k': o.key = optarg; break;
		case 'J': c.json = true; break;
		case 'C': c.cacert = optarg; break;
		case 'h': fputs(usage, stdout); return 0;
		default:
			die_usage("approval", "unknown option, or one without its value: '%s'",
				  argv[optind]);
		}
	}
	if (optind != argc - 1)
		die_usage("approval", "unexpected argument '%s'", argv[optind + 1]);
	if (o.home == NULL)
		die_usage("approval", "--home is required");
	if (!pt_id_is_valid(o.home, strlen(o.home)))
		die_usage("approval", "--home takes an id (letters, digits, '.', '_', '-')");
	if (strcmp(verb, "list") == 0) {
		if (o.request != NULL || o.session != NULL || o.key != NULL)
			die_usage("approval", "list takes only --home");
		rc = approval_list(&c, &o);
	} else {
		if (o.request == NULL || o.session == NULL || o.key == NULL)
			die_usage("approval", "%s needs --request, --session and --key", verb);
		rc = approval_answer(&c, &o, strcmp(verb, "approve") == 0 ? PT_APPROVE : PT_DENY);
	}
	client_close(&c);
	return rc;
}
