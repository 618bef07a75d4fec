/*
 * porter carrier, courier, device, delivery, hub, events, alerts, alert:
 * the client side of porterd's delivery API (docs/api.md: Carriers,
 * Couriers, Couriers' devices, Deliveries, Arrival and just-in-time
 * credentials, Hubs, Events and alerts, Paging).
 *
 * Keys stay here: courier attestations and hub pairing statements are
 * signed locally and only their signed bytes are uploaded; credentials
 * issued by porterd are written to a file mode 0600.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "porter/crypto.h"
#include "porter/envelope.h"
#include "porter/keyfile.h"
#include "porter/store.h"
#include "porter/text.h"
#include "client.h"
#include "porter.h"

#define PAGE_HELP                                                                   \
	"  --limit N           at most N items (1..200, default 50)\n"                \
	"  --after CURSOR      the page after the one that answered 'next' CURSOR\n"

#define OPTS_MAX 24
#define POS_MAX 2
#define PATH_CAP 512
#define ENV_B64_MAX (PT_ENVELOPE_SIZE_MAX / 3 * 4 + 8)
#define CHAIN_B64_MAX (PT_CHAIN_SIZE_MAX / 3 * 4 + 8)

/* Options as given, by their short letter ("" for flags); positionals. */
struct args {
	const char *v[128];
	const char *pos[POS_MAX];
};

struct verb {
	const char *group, *name;	/* name NULL: the group is the verb */
	const char *cmd;		/* for messages: "carrier create" */
	const char *usage;
	const struct option *opts;	/* the verb's own, NULL-terminated */
	int n_pos;
	const char *pos_what;
	int (*run)(struct client *c, const struct verb *vb, const struct args *a);
};

/* ---- arguments ---- */

/* true after --help; usage errors exit. */
static bool
parse_args(struct client *c, const struct verb *vb, int argc, char **argv, struct args *a)
{
	static const struct option common[] = {
		{"json", no_argument, NULL, 'J'},
		{"cacert", required_argument, NULL, 'C'},
		{"help", no_argument, NULL, 'h'},
	};
	struct option opts[OPTS_MAX];
	const char *shorts = "h";
	size_t n = 0, i;
	int ch, k;

	memset(a, 0, sizeof(*a));
	for (i = 0; vb->opts != NULL && vb->opts[i].name != NULL && n < OPTS_MAX - 4; i++) {
		opts[n++] = vb->opts[i];
		if (vb->opts[i].val == 'o')
			shorts = "ho:";	/* -o FILE for --out FILE */
	}
	for (i = 0; i < sizeof(common) / sizeof(common[0]); i++)
		opts[n++] = common[i];
	memset(&opts[n], 0, sizeof(opts[n]));
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, shorts, opts, NULL)) != -1) {
		switch (ch) {
		case 'J': c->json = true; break;
		case 'C': c->cacert = optarg; break;
		case 'h': fputs(vb->usage, stdout); return true;
		case '?':
		case ':':
			die_usage(vb->cmd, "unknown option, or one without its value: '%s'",
				  argv[optind - 1]);
		default:
			if (ch <= 0 || ch >= 128)
				die_usage(vb->cmd, "unknown option '%s'", argv[optind - 1]);
			a->v[ch] = optarg != NULL ? optarg : "";
		}
	}
	if (argc - optind < vb->n_pos)
		die_usage(vb->cmd, "expected %s", vb->pos_what);
	if (argc - optind > vb->n_pos)
		die_usage(vb->cmd, "unexpected argument '%s'", argv[optind + vb->n_pos]);
	for (k = 0; k < vb->n_pos && k < POS_MAX; k++)
		a->pos[k] = argv[optind + k];
	return false;
}

/* Every listed option letter must have been given; else msg. */
static void
need(const struct verb *vb, const struct args *a, const char *letters, const char *msg)
{
	for (; *letters != '\0'; letters++)
		if (a->v[(unsigned char)*letters] == NULL)
			die_usage(vb->cmd, "%s", msg);
}

static int
check_id(const char *id, const char *what)
{
	if (!pt_id_is_valid(id, strlen(id))) {
		warnx_("'%s' is not a %s id (letters, digits, '.', '_', '-')", id, what);
		return EXIT_INPUT;
	}
	return 0;
}

/* out = prefix + id + suffix, the id checked (safe in a path). */
static int
id_path(char *out, size_t cap, const char *prefix, const char *id, const char *what,
	const char *suffix)
{
	int n;

	if (check_id(id, what) != 0)
		return EXIT_INPUT;
	n = snprintf(out, cap, "%s%s%s", prefix, id, suffix);
	if (n < 0 || (size_t)n >= cap) {
		warnx_("the %s id is too long", what);
		return EXIT_INPUT;
	}
	return 0;
}

/* An account, device or alert id: a decimal number >= 1. */
static int64_t
number_arg(const struct verb *vb, const char *s, const char *what)
{
	uint64_t v;

	if (pt_uint_parse(s, 1, (uint64_t)INT64_MAX, &v) != PT_OK)
		die_usage(vb->cmd, "%s '%s' is not a number", what, s);
	return (int64_t)v;
}

/* Append "?name=value" or "&name=value"; value already checked safe. */
static int
query_add(char *path, size_t cap, const char *name, const char *value)
{
	size_t used = strlen(path);
	int n;

	if (value == NULL)
		return 0;
	n = snprintf(path + used, cap - used, "%c%s=%s", strchr(path, '?') != NULL ? '&' : '?',
		     name, value);
	if (n < 0 || (size_t)n >= cap - used) {
		warnx_("the request URL is too long");
		return EXIT_INPUT;
	}
	return 0;
}

/* --after and --limit (letters 'A', 'L') onto path. */
static int
query_page(const struct verb *vb, const struct args *a, char *path, size_t cap)
{
	uint64_t v;

	if (a->v['L'] != NULL && pt_uint_parse(a->v['L'], 1, 200, &v) != PT_OK)
		die_usage(vb->cmd, "--limit is a number from 1 to 200");
	if (a->v['A'] != NULL && pt_uint_parse(a->v['A'], 0, (uint64_t)INT64_MAX, &v) != PT_OK)
		die_usage(vb->cmd, "--after is the 'next' cursor of a previous page (a number)");
	if (query_add(path, cap, "after", a->v['A']) != 0 ||
	    query_add(path, cap, "limit", a->v['L']) != 0)
		return EXIT_INPUT;
	return 0;
}

/* body[key] = s, refused if not UTF-8. */
static int
set_text(json_t *body, const char *key, const char *s, const char *opt)
{
	json_t *v;

	if (s == NULL)
		return 0;
	if ((v = json_string(s)) == NULL || json_object_set_new(body, key, v) != 0) {
		warnx_("%s is not UTF-8 text", opt);
		return EXIT_INPUT;
	}
	return 0;
}

/* A public key argument (base64url or key file) as base64url text. */
static int
pubkey_arg(const char *arg, const char *opt, uint8_t pk[PT_PK_LEN], char text[PT_PK_TEXT_LEN + 1])
{
	struct pt_errbuf err;

	if (pt_pubkey_parse(arg, pk, &err) != PT_OK) {
		warnx_("%s: %s", opt, err.msg);
		return EXIT_INPUT;
	}
	pt_pubkey_text(pk, text);
	return 0;
}

static const char *const level_names[] = {"basic", "id-checked", "background-checked"};

static uint8_t
level_arg(const struct verb *vb, const char *s)
{
	size_t i;

	for (i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
		if (strcmp(s, level_names[i]) == 0)
			return (uint8_t)(PT_LEVEL_BASIC + i);
	die_usage(vb->cmd, "--level is basic, id-checked or background-checked");
}

static bool
state_is_known(const char *s)
{
	static const char *const states[] = {
		"scheduled", "out-for-delivery", "at-the-door", "credential-issued", "entered",
		"completed", "refused", "failed", "cancelled",
	};
	size_t i;

	for (i = 0; i < sizeof(states) / sizeof(states[0]); i++)
		if (strcmp(s, states[i]) == 0)
			return true;
	return false;
}

/* A degree value in [-max, max]. */
static double
degrees_arg(const struct verb *vb, const char *s, double max, const char *opt)
{
	char *end;
	double d = strtod(s, &end);

	if (end == s || *end != '\0' || !isfinite(d) || d < -max || d > max)
		die_usage(vb->cmd, "%s '%s': degrees from %g to %g", opt, s, -max, max);
	return d;
}

/*
 * Sign e with the secret key in keyfile (e->iat, the key id and the
 * signature set here) and encode it as base64url into b64[ENV_B64_MAX].
 * pair_code: for a pairing, the hub's one-time code: the nonce is set
 * here to its MAC under the home, the hub key and the signing key
 * (pt_pairing_nonce); the code itself is never sent. NULL otherwise.
 */
static int
sign_envelope_code(const char *keyfile, struct pt_envelope *e, const uint8_t *pair_code,
		   char *b64, size_t cap)
{
	uint8_t buf[PT_ENVELOPE_SIZE_MAX];
	struct pt_secret *s = NULL;
	struct pt_errbuf err;
	struct pt_signer sg;
	size_t len;
	int r, rc = EXIT_INPUT;

	if ((s = pt_secret_new()) == NULL || pt_keyfile_load(keyfile, s, &err) != PT_OK) {
		warnx_("%s", s == NULL ? "out of memory" : err.msg);
		goto out;
	}
	pt_signer_sodium(&sg, s);
	if (pair_code != NULL &&
	    pt_pairing_nonce(e->nonce, pair_code, e->aud, e->target, sg.pk) != PT_OK) {
		warnx_("cannot make the pairing nonce for home '%s'", e->aud);
		goto out;
	}
	e->iat = now_utc();
	if ((r = pt_envelope_sign(pt_crypto_sodium(), &sg, e, buf, sizeof(buf), &len)) != PT_OK) {
		warnx_("cannot sign the statement: %s (%s)", pt_err_text(r), pt_err_code(r));
		goto out;
	}
	if (pt_b64_encode(b64, cap, buf, len) != PT_OK) {
		warnx_("cannot encode the signed statement");
		goto out;
	}
	rc = 0;
out:
	pt_secret_free(s);
	return rc;
}

static int
sign_envelope(const char *keyfile, struct pt_envelope *e, char *b64, size_t cap)
{
	return sign_envelope_code(keyfile, e, NULL, b64, cap);
}

/* ---- output ---- */

/* Compact JSON of v, made safe for a terminal, cut to fit. */
static const char *
json_text(const json_t *v, char *buf, size_t cap)
{
	char raw[512];
	size_t n;
	json_t *s;

	if (v == NULL || json_is_null(v)) {
		(void)snprintf(buf, cap, "-");
		return buf;
	}
	n = json_dumpb(v, raw, sizeof(raw) - 1, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	if (n >= sizeof(raw) - 1) {
		n = sizeof(raw) - 4;
		memcpy(raw + n, "...", 3);
		n += 3;
	}
	raw[n] = '\0';
	s = json_stringn(raw, n);
	client_text(s, buf, cap);
	json_decref(s);
	return buf;
}

/* "more: --after N" when the page says there is a next one. */
static void
print_next(const json_t *j)
{
	char next[32];

	if (json_is_string(json_object_get(j, "next")))
		printf("(more: add --after %s)\n",
		       client_text(json_object_get(j, "next"), next, sizeof(next)));
}

/* ---- carriers ---- */

static void
show_carrier(const json_t *o)
{
	static const struct field fields[] = {
		{"id", "id", '-'},	     {"name", "name", '-'},	   {"hosted", "hosted", 'b'},
		{"public key", "public_key", '-'}, {"key id", "key_id", '-'},
		{"created", "created_at", 't'},	   {NULL, NULL, 0},
	};

	print_fields(o, fields);
}

static void
show_carriers(const json_t *j)
{
	static const char *const head[] = {"ID", "NAME", "HOSTED", "KEY ID", "CREATED"};
	const json_t *cs = json_object_get(j, "carriers"), *o;
	char id[80], name[256], kid[40], at[40];
	const char *cells[5];
	struct table t;
	size_t i;

	if (json_array_size(cs) == 0) {
		printf("no carriers\n");
		print_next(j);
		return;
	}
	table_init(&t, 5);
	table_row(&t, head);
	json_array_foreach(cs, i, o) {
		cells[0] = text_or_dash(json_object_get(o, "id"), id, sizeof(id));
		cells[1] = text_or_dash(json_object_get(o, "name"), name, sizeof(name));
		cells[2] = json_is_true(json_object_get(o, "hosted")) ? "yes" : "no";
		cells[3] = text_or_dash(json_object_get(o, "key_id"), kid, sizeof(kid));
		cells[4] = client_time(json_object_get(o, "created_at"), at, sizeof(at));
		table_row(&t, cells);
	}
	table_print(&t);
	print_next(j);
}

static const char carrier_create_usage[] =
	"usage: porter carrier create --name N (--hosted | --key PUBKEY)\n"
	"\n"
	"Register a carrier (a delivery company); you become its admin (accounts with\n"
	"role carrier-admin, at most 8 carriers each). A carrier has an Ed25519 key:\n"
	"either its own (--key: only the public half is sent; the carrier signs\n"
	"courier attestations with it, 'porter carrier attest'), or one porterd makes\n"
	"and keeps sealed (--hosted: porterd signs attestations and issues\n"
	"just-in-time credentials at the door). Owners delegate in-home delivery to\n"
	"the carrier's public key, which this prints.\n"
	"\n"
	"  --name N            the carrier's name, up to 100 bytes\n"
	"  --hosted            let porterd make and hold the carrier's key\n"
	"  --key PUBKEY        the carrier's own public key (base64url, or a public or\n"
	"                      secret key file: only the public half is sent)\n" COMMON_HELP
	"\n"
	"Example: porter carrier create --name Parcelo --hosted\n";

static int
carrier_create(struct client *c, const struct verb *vb, const struct args *a)
{
	char text[PT_PK_TEXT_LEN + 1];
	uint8_t pk[PT_PK_LEN];
	json_t *body;
	int rc;

	if (a->v['n'] == NULL)
		die_usage(vb->cmd, "--name is required");
	if ((a->v['H'] == NULL) == (a->v['k'] == NULL))
		die_usage(vb->cmd, "give one of --hosted and --key");
	body = json_object();
	if ((rc = set_text(body, "name", a->v['n'], "--name")) != 0)
		goto out;
	if (a->v['H'] != NULL) {
		json_object_set_new(body, "hosted", json_true());
	} else {
		if ((rc = pubkey_arg(a->v['k'], "--key", pk, text)) != 0)
			goto out;
		json_object_set_new(body, "public_key", json_string(text));
	}
	rc = call_show(c, "POST", "/v1/carriers", body, "created carrier:", show_carrier);
out:
	json_decref(body);
	return rc;
}

static const char carrier_list_usage[] =
	"usage: porter carrier list [--after CURSOR] [--limit N]\n"
	"\n"
	"The directory of carriers (any account), oldest first, one page at a time:\n"
	"owners choose from it the carriers their homes accept ('porter home update\n"
	"ID --carrier C') and delegate to their keys ('porter grant').\n"
	"\n" PAGE_HELP COMMON_HELP
	"\n"
	"Example: porter carrier list --limit 20\n";

static int
carrier_list(struct client *c, const struct verb *vb, const struct args *a)
{
	char path[PATH_CAP] = "/v1/carriers";
	int rc;

	if ((rc = query_page(vb, a, path, sizeof(path))) != 0)
		return rc;
	return call_show(c, "GET", path, NULL, NULL, show_carriers);
}

static const char carrier_show_usage[] =
	"usage: porter carrier show ID\n"
	"\n"
	"Show a carrier: its name, whether porterd holds its key, and its public key\n"
	"(the holder of owners' delivery delegations).\n" COMMON_HELP
	"\n"
	"Example: porter carrier show c-3f9a0c2b7d1e4a55\n";

static int
carrier_show(struct client *c, const struct verb *vb, const struct args *a)
{
	char path[PATH_CAP];
	int rc;

	(void)vb;
	if ((rc = id_path(path, sizeof(path), "/v1/carriers/", a->pos[0], "carrier", "")) != 0)
		return rc;
	return call_show(c, "GET", path, NULL, NULL, show_carrier);
}

static const char carrier_attest_usage[] =
	"usage: porter carrier attest --key CARRIER_KEY --carrier ID --courier ACCOUNT_ID\n"
	"                             --name NAME --level LEVEL\n"
	"\n"
	"Offline: sign, with the carrier's own secret key, an attestation that the\n"
	"courier with account ACCOUNT_ID is NAME, checked to LEVEL, and print it\n"
	"(base64url) for 'porter courier enrol --attestation'. porterd accepts it for\n"
	"24 hours, and only for a carrier registered with this key. Hosted carriers\n"
	"need none: porterd signs for them.\n"
	"\n"
	"  --key FILE          the carrier's secret key file (never leaves this machine)\n"
	"  --carrier ID        the carrier's id (c-...)\n"
	"  --courier N         the courier's account id ('porter whoami' shows it)\n"
	"  --name NAME         the courier's name as owners will see it, up to 100 bytes\n"
	"  --level LEVEL       basic (contact details checked), id-checked (an identity\n"
	"                      document checked) or background-checked\n"
	"  --json              print {\"attestation\": ...} as JSON\n"
	"\n"
	"Example: porter carrier attest --key parcelo.key --carrier c-3f9a0c2b7d1e4a55 \\\n"
	"           --courier 7 --name 'Ben K.' --level id-checked\n";

/* Fill and sign an attestation into b64. */
static int
attest(const struct verb *vb, const char *key, const char *carrier, const char *courier,
       const char *name, const char *level, char *b64, size_t cap)
{
	struct pt_envelope e;
	int64_t id = number_arg(vb, courier, "the courier's account id");
	size_t n = strlen(name);

	if (check_id(carrier, "carrier") != 0)
		return EXIT_INPUT;
	if (n == 0 || n >= sizeof(e.name))
		die_usage(vb->cmd, "--name is 1 to %zu bytes", sizeof(e.name) - 1);
	memset(&e, 0, sizeof(e));
	e.kind = PT_ENV_ATTESTATION;
	memcpy(e.aud, carrier, strlen(carrier) + 1);
	pt_random(e.nonce, sizeof(e.nonce));
	e.op = level_arg(vb, level);
	(void)snprintf(e.lock, sizeof(e.lock), "%lld", (long long)id);
	memcpy(e.name, name, n + 1);
	return sign_envelope(key, &e, b64, cap);
}

static int
carrier_attest(struct client *c, const struct verb *vb, const struct args *a)
{
	char b64[ENV_B64_MAX];
	json_t *j;
	int rc;

	need(vb, a, "kcunl", "--key, --carrier, --courier, --name and --level are required");
	if ((rc = attest(vb, a->v['k'], a->v['c'], a->v['u'], a->v['n'], a->v['l'], b64,
			 sizeof(b64))) != 0)
		return rc;
	if (c->json) {
		j = json_pack("{s:s}", "attestation", b64);
		client_print_json(j);
		json_decref(j);
	} else {
		printf("%s\n", b64);
	}
	return 0;
}

/* ---- couriers ---- */

static void
courier_rows(struct table *t, const json_t *o)
{
	static const struct field fields[] = {
		{"account", "account_id", 'n'}, {"name", "name", '-'},	       {"carrier", "carrier_id", '-'},
		{"level", "level", '-'},	  {"active", "active", 'b'},	       {"enrolled", "created_at", 't'},
		{"updated", "updated_at", 't'}, {NULL, NULL, 0},
	};

	add_fields(t, o, fields);
	add_row2(t, "attested",
		 json_is_string(json_object_get(o, "attestation")) ? "yes (signed by the carrier's key)" :
								     "no");
}

static void
show_courier(const json_t *o)
{
	struct table t;

	table_init(&t, 2);
	courier_rows(&t, o);
	table_print(&t);
}

static void
show_couriers(const json_t *j)
{
	static const char *const head[] = {"ACCOUNT", "NAME", "LEVEL", "ACTIVE", "ENROLLED"};
	const json_t *cs = json_object_get(j, "couriers"), *o;
	char id[24], name[256], level[32], at[40];
	const char *cells[5];
	struct table t;
	size_t i;

	if (json_array_size(cs) == 0) {
		printf("no couriers: enrol one with 'porter courier enrol'\n");
		print_next(j);
		return;
	}
	table_init(&t, 5);
	table_row(&t, head);
	json_array_foreach(cs, i, o) {
		cells[0] = num_text(json_object_get(o, "account_id"), id, sizeof(id));
		cells[1] = text_or_dash(json_object_get(o, "name"), name, sizeof(name));
		cells[2] = text_or_dash(json_object_get(o, "level"), level, sizeof(level));
		cells[3] = json_is_true(json_object_get(o, "active")) ? "yes" : "no";
		cells[4] = client_time(json_object_get(o, "created_at"), at, sizeof(at));
		table_row(&t, cells);
	}
	table_print(&t);
	print_next(j);
}

static const char courier_enrol_usage[] =
	"usage: porter courier enrol --carrier ID --email E --name N --level LEVEL\n"
	"                            [--attestation B64 | --key CARRIER_KEY --courier-id N]\n"
	"\n"
	"Enrol a courier with a carrier (the carrier's admin). The courier signs up\n"
	"first ('porter signup --role courier') and tells you the e-mail address and\n"
	"account id ('porter whoami'). Owners see the name, the carrier and the level\n"
	"before the door opens; the carrier vouches for them with a signed attestation:\n"
	"  - hosted carrier: give neither option; porterd signs it;\n"
	"  - carrier with its own key: give --attestation (from 'porter carrier\n"
	"    attest'), or --key with --courier-id to sign it here. The API enrols by\n"
	"    e-mail and does not tell one account the id of another, so --key needs\n"
	"    the courier's account id; porterd checks it is the account of --email.\n"
	"\n"
	"  --carrier ID        the carrier (c-...)\n"
	"  --email E           the courier's account e-mail (role courier)\n"
	"  --name N            the courier's name as owners will see it\n"
	"  --level LEVEL       basic, id-checked or background-checked\n"
	"  --attestation B64   an attestation signed by the carrier's key\n"
	"  --key FILE          the carrier's secret key: sign the attestation here\n"
	"  --courier-id N      with --key: the courier's account id\n" COMMON_HELP
	"\n"
	"Example: porter courier enrol --carrier c-3f9a0c2b7d1e4a55 \\\n"
	"           --email ben@example.org --name 'Ben K.' --level id-checked\n";

static int
courier_enrol(struct client *c, const struct verb *vb, const struct args *a)
{
	char path[PATH_CAP], b64[ENV_B64_MAX], title[PT_ID_MAX + 32];
	json_t *body = NULL;
	int rc;

	need(vb, a, "celn", "--carrier, --email, --level and --name are required");
	if (a->v['a'] != NULL && a->v['k'] != NULL)
		die_usage(vb->cmd, "give --attestation or --key, not both");
	if (a->v['k'] != NULL && a->v['i'] == NULL)
		die_usage(vb->cmd, "--key needs --courier-id (the courier's account id)");
	if (a->v['i'] != NULL && a->v['k'] == NULL)
		die_usage(vb->cmd, "--courier-id goes with --key");
	(void)level_arg(vb, a->v['l']);
	if ((rc = id_path(path, sizeof(path), "/v1/carriers/", a->v['c'], "carrier", "/couriers")) != 0)
		return rc;
	body = json_object();
	if ((rc = set_text(body, "email", a->v['e'], "--email")) != 0 ||
	    (rc = set_text(body, "name", a->v['n'], "--name")) != 0 ||
	    (rc = set_text(body, "level", a->v['l'], "--level")) != 0 ||
	    (rc = set_text(body, "attestation", a->v['a'], "--attestation")) != 0)
		goto out;
	if (a->v['k'] != NULL) {
		if ((rc = attest(vb, a->v['k'], a->v['c'], a->v['i'], a->v['n'], a->v['l'], b64,
				 sizeof(b64))) != 0)
			goto out;
		json_object_set_new(body, "attestation", json_string(b64));
	}
	(void)snprintf(title, sizeof(title), "enrolled with carrier %s:", a->v['c']);
	rc = call_show(c, "POST", path, body, title, show_courier);
out:
	json_decref(body);
	return rc;
}

static const char courier_list_usage[] =
	"usage: porter courier list --carrier ID [--after CURSOR] [--limit N]\n"
	"\n"
	"The couriers of a carrier (its admin), with their level and whether they are\n"
	"active, by account id.\n"
	"\n"
	"  --carrier ID        the carrier (c-...)\n" PAGE_HELP COMMON_HELP
	"\n"
	"Example: porter courier list --carrier c-3f9a0c2b7d1e4a55\n";

static int
courier_list(struct client *c, const struct verb *vb, const struct args *a)
{
	char path[PATH_CAP];
	int rc;

	need(vb, a, "c", "--carrier is required");
	if ((rc = id_path(path, sizeof(path), "/v1/carriers/", a->v['c'], "carrier", "/couriers")) !=
		    0 ||
	    (rc = query_page(vb, a, path, sizeof(path))) != 0)
		return rc;
	return call_show(c, "GET", path, NULL, NULL, show_couriers);
}

static const char courier_remove_usage[] =
	"usage: porter courier remove --carrier ID ACCOUNT_ID\n"
	"\n"
	"Deactivate a courier (the carrier's admin): no new delivery can be dispatched\n"
	"to them and no credential is issued to them. Credentials already issued stay\n"
	"valid until they expire: revoke them at the home if needed.\n"
	"\n"
	"  --carrier ID        the carrier (c-...)\n" COMMON_HELP
	"\n"
	"Example: porter courier remove --carrier c-3f9a0c2b7d1e4a55 7\n";

static int
courier_remove(struct client *c, const struct verb *vb, const struct args *a)
{
	char path[PATH_CAP], sub[64];
	json_t *reply = NULL;
	int64_t id;
	int rc;

	need(vb, a, "c", "--carrier is required");
	id = number_arg(vb, a->pos[0], "the account id");
	(void)snprintf(sub, sizeof(sub), "/couriers/%lld", (long long)id);
	if ((rc = id_path(path, sizeof(path), "/v1/carriers/", a->v['c'], "carrier", sub)) != 0 ||
	    (rc = client_load(c)) != 0 ||
	    (rc = client_call(c, "DELETE", path, NULL, CALL_AUTH, &reply)) != 0)
		return rc;
	json_decref(reply);
	if (!c->json)
		printf("deactivated courier %lld of carrier %s\n", (long long)id, a->v['c']);
	return 0;
}

/* ---- devices ---- */

static void
show_device(const json_t *o)
{
	static const struct field fields[] = {
		{"id", "id", 'n'},	 {"key id", "key_id", '-'},	   {"public key", "public_key", '-'},
		{"label", "label", '-'}, {"added", "created_at", 't'}, {NULL, NULL, 0},
	};

	print_fields(o, fields);
}

static void
show_devices(const json_t *j)
{
	static const char *const head[] = {"ID", "KEY ID", "PUBLIC KEY", "ADDED", "LABEL"};
	const json_t *ds = json_object_get(j, "devices"), *o;
	char id[24], kid[40], pk[64], at[40], label[256];
	const char *cells[5];
	struct table t;
	size_t i;

	if (json_array_size(ds) == 0) {
		printf("no devices: enrol one with 'porter device add'\n");
		return;
	}
	table_init(&t, 5);
	table_row(&t, head);
	json_array_foreach(ds, i, o) {
		cells[0] = num_text(json_object_get(o, "id"), id, sizeof(id));
		cells[1] = text_or_dash(json_object_get(o, "key_id"), kid, sizeof(kid));
		cells[2] = text_or_dash(json_object_get(o, "public_key"), pk, sizeof(pk));
		cells[3] = client_time(json_object_get(o, "created_at"), at, sizeof(at));
		cells[4] = client_text(json_object_get(o, "label"), label, sizeof(label));
		table_row(&t, cells);
	}
	table_print(&t);
}

static const char device_add_usage[] =
	"usage: porter device add --key PUBKEY [--label L]\n"
	"\n"
	"Enrol one of your devices (couriers; at most 4). Make its key on the device\n"
	"with 'porter keygen': the secret half never leaves it. Credentials are issued\n"
	"to a device key, so a credential copied to another device opens nothing.\n"
	"\n"
	"  --key PUBKEY        the device's public key (base64url, or a public or secret\n"
	"                      key file: only the public half is sent)\n"
	"  --label L           what the device is (\"phone\"), up to 100 bytes\n" COMMON_HELP
	"\n"
	"Example: porter device add --key phone.key.pub --label phone\n";

static int
device_add(struct client *c, const struct verb *vb, const struct args *a)
{
	char text[PT_PK_TEXT_LEN + 1];
	uint8_t pk[PT_PK_LEN];
	json_t *body;
	int rc;

	need(vb, a, "k", "--key is required");
	if ((rc = pubkey_arg(a->v['k'], "--key", pk, text)) != 0)
		return rc;
	body = json_pack("{s:s}", "public_key", text);
	if ((rc = set_text(body, "label", a->v['b'], "--label")) == 0) {
		rc = call_show(c, "POST", "/v1/me/devices", body, "enrolled a device:", show_device);
	}
	json_decref(body);
	return rc;
}

static const char device_list_usage[] =
	"usage: porter device list\n"
	"\n"
	"Your enrolled devices (couriers).\n" COMMON_HELP
	"\n"
	"Example: porter device list --json\n";

static int
device_list(struct client *c, const struct verb *vb, const struct args *a)
{
	(void)vb;
	(void)a;
	return call_show(c, "GET", "/v1/me/devices", NULL, NULL, show_devices);
}

static const char device_remove_usage[] =
	"usage: porter device remove ID\n"
	"\n"
	"Remove one of your devices (by the id 'porter device list' shows): no new\n"
	"credential is issued to it.\n" COMMON_HELP
	"\n"
	"Example: porter device remove 3\n";

static int
device_remove(struct client *c, const struct verb *vb, const struct args *a)
{
	char path[PATH_CAP];
	json_t *reply = NULL;
	int64_t id = number_arg(vb, a->pos[0], "the device id");
	int rc;

	(void)snprintf(path, sizeof(path), "/v1/me/devices/%lld", (long long)id);
	if ((rc = client_load(c)) != 0 ||
	    (rc = client_call(c, "DELETE", path, NULL, CALL_AUTH, &reply)) != 0)
		return rc;
	json_decref(reply);
	if (!c->json)
		printf("removed device %lld\n", (long long)id);
	return 0;
}

/* ---- deliveries ---- */

static void
show_delivery(const json_t *d)
{
	static const struct field head[] = {
		{"delivery", "id", '-'}, {"state", "state", '-'}, {NULL, NULL, 0},
	};
	static const struct field rest[] = {
		{"home", "home_id", '-'},	  {"package", "package_id", '-'},
		{"in-home", "in_home", 'b'},	  {"approval", "approval", '-'},
		{"token id", "token_id", '-'},	  {"reason", "reason", '-'},
		{"created", "created_at", 't'}, {"updated", "updated_at", 't'},
		{NULL, NULL, 0},
	};
	static const char *const hhead[] = {"AT", "STATE", "BY ACCOUNT"};
	const json_t *co = json_object_get(d, "courier"), *hist = json_object_get(d, "history"), *h;
	char buf[600], name[256], cname[256], cid[80], level[40], t1[40], t2[40], who[24];
	const char *cells[3];
	struct table t;
	size_t i;

	table_init(&t, 2);
	add_fields(&t, d, head);
	text_or_dash(json_object_get(d, "carrier_name"), cname, sizeof(cname));
	text_or_dash(json_object_get(d, "carrier_id"), cid, sizeof(cid));
	if (json_is_object(co)) {
		(void)snprintf(buf, sizeof(buf), "%s (account %s)",
			       text_or_dash(json_object_get(co, "name"), name, sizeof(name)),
			       num_text(json_object_get(co, "account_id"), who, sizeof(who)));
		add_row2(&t, "courier", buf);
		text_or_dash(json_object_get(co, "level"), level, sizeof(level));
		(void)snprintf(buf, sizeof(buf), "%s, %s", level,
			       json_is_true(json_object_get(co, "attested")) ?
				       "attested by the carrier's signature" :
				       "NOT attested by the carrier");
		add_row2(&t, "verification", buf);
	} else {
		add_row2(&t, "courier", "not dispatched yet");
	}
	(void)snprintf(buf, sizeof(buf), "%s (%s)", cname, cid);
	add_row2(&t, "carrier", buf);
	(void)snprintf(buf, sizeof(buf), "%s to %s",
		       client_time(json_object_get(d, "window_start"), t1, sizeof(t1)),
		       client_time(json_object_get(d, "window_end"), t2, sizeof(t2)));
	add_row2(&t, "window", buf);
	add_fields(&t, d, rest);
	table_print(&t);
	if (json_array_size(hist) == 0)
		return;
	printf("\nhistory:\n");
	table_init(&t, 3);
	table_row(&t, hhead);
	json_array_foreach(hist, i, h) {
		cells[0] = client_time(json_object_get(h, "at"), t1, sizeof(t1));
		cells[1] = text_or_dash(json_object_get(h, "state"), name, sizeof(name));
		cells[2] = num_text(json_object_get(h, "actor"), who, sizeof(who));
		table_row(&t, cells);
	}
	table_print(&t);
}

static void
show_deliveries(const json_t *j)
{
	static const char *const head[] = {"ID", "STATE", "HOME", "CARRIER", "PACKAGE", "WINDOW START",
					   "COURIER"};
	const json_t *ds = json_object_get(j, "deliveries"), *o, *co;
	char id[80], state[40], home[80], carrier[256], pkg[80], at[40], courier[256];
	const char *cells[7];
	struct table t;
	size_t i;

	if (json_array_size(ds) == 0) {
		printf("no deliveries\n");
		print_next(j);
		return;
	}
	table_init(&t, 7);
	table_row(&t, head);
	json_array_foreach(ds, i, o) {
		co = json_object_get(o, "courier");
		cells[0] = text_or_dash(json_object_get(o, "id"), id, sizeof(id));
		cells[1] = text_or_dash(json_object_get(o, "state"), state, sizeof(state));
		cells[2] = text_or_dash(json_object_get(o, "home_id"), home, sizeof(home));
		cells[3] = text_or_dash(json_object_get(o, "carrier_name"), carrier, sizeof(carrier));
		cells[4] = text_or_dash(json_object_get(o, "package_id"), pkg, sizeof(pkg));
		cells[5] = client_time(json_object_get(o, "window_start"), at, sizeof(at));
		cells[6] = json_is_object(co) ?
				   text_or_dash(json_object_get(co, "name"), courier, sizeof(courier)) :
				   "-";
		table_row(&t, cells);
	}
	table_print(&t);
	print_next(j);
}

static const char delivery_create_usage[] =
	"usage: porter delivery create --carrier ID --home ID --package P --from TIME\n"
	"                              --until TIME [--in-home]\n"
	"\n"
	"Schedule a delivery (the carrier's admin) to a home whose policy accepts the\n"
	"carrier ('porter home update ID --carrier C'); a home that does not, or does\n"
	"not exist, is not-found. The window lasts at most 24 h and ends in the future.\n"
	"\n"
	"  --carrier ID        your carrier (c-...)\n"
	"  --home ID           the home (h-...)\n"
	"  --package P         the package id the courier will scan: 1 to 64 printable\n"
	"                      ASCII characters, no spaces\n"
	"  --from TIME         the window's start; TIME: 2026-11-25T09:00:00Z,\n"
	"                      2026-11-25T10:00:00+01:00, @UNIX, now, +2h, -30m\n"
	"  --until TIME        the window's end\n"
	"  --in-home           leave the parcel inside (the home must accept in-home\n"
	"                      delivery, else not-accepted)\n" COMMON_HELP
	"\n"
	"Example: porter delivery create --carrier c-3f9a0c2b7d1e4a55 \\\n"
	"           --home h-0123456789abcdef --package PKG-1234567 --from now --until +4h --in-home\n";

static int
delivery_create(struct client *c, const struct verb *vb, const struct args *a)
{
	int64_t now = now_utc(), from, until;
	json_t *body;
	int rc;

	need(vb, a, "cmpfU", "--carrier, --home, --package, --from and --until are required");
	if (pt_time_parse(a->v['f'], now, &from) != PT_OK)
		die_usage(vb->cmd, "--from '%s' is not a time", a->v['f']);
	if (pt_time_parse(a->v['U'], now, &until) != PT_OK)
		die_usage(vb->cmd, "--until '%s' is not a time", a->v['U']);
	if (until <= from)
		die_usage(vb->cmd, "--until must be after --from");
	if (check_id(a->v['c'], "carrier") != 0 || check_id(a->v['m'], "home") != 0)
		return EXIT_INPUT;
	body = json_object();
	if ((rc = set_text(body, "carrier_id", a->v['c'], "--carrier")) != 0 ||
	    (rc = set_text(body, "home_id", a->v['m'], "--home")) != 0 ||
	    (rc = set_text(body, "package_id", a->v['p'], "--package")) != 0)
		goto out;
	json_object_set_new(body, "window_start", json_integer((json_int_t)from));
	json_object_set_new(body, "window_end", json_integer((json_int_t)until));
	json_object_set_new(body, "in_home", json_boolean(a->v['I'] != NULL));
	rc = call_show(c, "POST", "/v1/deliveries", body, "scheduled:", show_delivery);
out:
	json_decref(body);
	return rc;
}

static const char delivery_list_usage[] =
	"usage: porter delivery list [--home ID] [--state S] [--after CURSOR] [--limit N]\n"
	"\n"
	"The deliveries you may see: your homes' (owners and members), your carriers'\n"
	"(carrier admins), or yours (couriers), oldest first.\n"
	"\n"
	"  --home ID           only this home's\n"
	"  --state S           only in state S: scheduled, out-for-delivery, at-the-door,\n"
	"                      credential-issued, entered, completed, refused, failed,\n"
	"                      cancelled\n" PAGE_HELP COMMON_HELP
	"\n"
	"Example: porter delivery list --home h-0123456789abcdef --state out-for-delivery\n";

static int
delivery_list(struct client *c, const struct verb *vb, const struct args *a)
{
	char path[PATH_CAP] = "/v1/deliveries";
	int rc;

	if (a->v['s'] != NULL && !state_is_known(a->v['s']))
		die_usage(vb->cmd, "--state '%s' is not a delivery state", a->v['s']);
	if (a->v['m'] != NULL && check_id(a->v['m'], "home") != 0)
		return EXIT_INPUT;
	if ((rc = query_add(path, sizeof(path), "home", a->v['m'])) != 0 ||
	    (rc = query_add(path, sizeof(path), "state", a->v['s'])) != 0 ||
	    (rc = query_page(vb, a, path, sizeof(path))) != 0)
		return rc;
	return call_show(c, "GET", path, NULL, NULL, show_deliveries);
}

static const char delivery_show_usage[] =
	"usage: porter delivery show ID\n"
	"\n"
	"Show a delivery: who is coming (the courier's name, carrier and verification\n"
	"level), its state, window and approval, and its history.\n" COMMON_HELP
	"\n"
	"Example: porter delivery show d-0c1d2e3f40516273\n";

static int
delivery_show(struct client *c, const struct verb *vb, const struct args *a)
{
	char path[PATH_CAP];
	int rc;

	(void)vb;
	if ((rc = id_path(path, sizeof(path), "/v1/deliveries/", a->pos[0], "delivery", "")) != 0)
		return rc;
	return call_show(c, "GET", path, NULL, NULL, show_delivery);
}

/* POST /v1/deliveries/ID/<action> with body; print the delivery. */
static int
delivery_action(struct client *c, const char *id, const char *action, json_t *body)
{
	char path[PATH_CAP], sub[32];

	(void)snprintf(sub, sizeof(sub), "/%s", action);
	if (id_path(path, sizeof(path), "/v1/deliveries/", id, "delivery", sub) != 0)
		return EXIT_INPUT;
	return call_show(c, "POST", path, body, NULL, show_delivery);
}

static const char delivery_dispatch_usage[] =
	"usage: porter delivery dispatch ID --courier ACCOUNT_ID\n"
	"\n"
	"Assign a delivery to one of the carrier's active couriers (the carrier's\n"
	"admin): it goes out for delivery, and the home's owners see who is coming.\n"
	"\n"
	"  --courier N         the courier's account id ('porter courier list')\n" COMMON_HELP
	"\n"
	"Example: porter delivery dispatch d-0c1d2e3f40516273 --courier 7\n";

static int
delivery_dispatch(struct client *c, const struct verb *vb, const struct args *a)
{
	json_t *body;
	int rc;

	need(vb, a, "u", "--courier is required");
	body = json_pack("{s:I}", "courier",
			 (json_int_t)number_arg(vb, a->v['u'], "the courier's account id"));
	rc = delivery_action(c, a->pos[0], "dispatch", body);
	json_decref(body);
	return rc;
}

/* approve, complete: no body. refuse, cancel, fail: an optional reason.
 * The verb's name is the action. */
static int
delivery_simple(struct client *c, const struct verb *vb, const struct args *a)
{
	const char *action = vb->name;
	json_t *body = NULL;
	int rc;

	if (a->v['r'] != NULL) {
		body = json_object();
		if ((rc = set_text(body, "reason", a->v['r'], "--reason")) != 0) {
			json_decref(body);
			return rc;
		}
	}
	rc = delivery_action(c, a->pos[0], action, body);
	json_decref(body);
	return rc;
}

static const char delivery_approve_usage[] =
	"usage: porter delivery approve ID\n"
	"\n"
	"Approve an in-home delivery (the home's owners), when the home's policy wants\n"
	"each one approved: porterd then issues the courier a one-entry credential at\n"
	"the door. Only while approval is pending and no credential has been issued.\n"
	COMMON_HELP
	"\n"
	"Example: porter delivery approve d-0c1d2e3f40516273\n";


static const char delivery_refuse_usage[] =
	"usage: porter delivery refuse ID [--reason R]\n"
	"\n"
	"Refuse a delivery (the home's owners), while it is scheduled, out for delivery\n"
	"or at the door. Once a credential is issued it is too late (wrong-state):\n"
	"revoke the credential's token id instead ('porter revoke --token').\n"
	"\n"
	"  --reason R          why (\"not today\"), shown to the carrier; up to 200 bytes\n"
	COMMON_HELP
	"\n"
	"Example: porter delivery refuse d-0c1d2e3f40516273 --reason 'not today'\n";


static const char delivery_cancel_usage[] =
	"usage: porter delivery cancel ID [--reason R]\n"
	"\n"
	"Cancel a delivery (the carrier's admin), while it is scheduled, out for\n"
	"delivery or at the door.\n"
	"\n"
	"  --reason R          why, up to 200 bytes\n" COMMON_HELP
	"\n"
	"Example: porter delivery cancel d-0c1d2e3f40516273 --reason 'address unknown'\n";


static const char delivery_fail_usage[] =
	"usage: porter delivery fail ID [--reason R]\n"
	"\n"
	"Mark a delivery failed (its courier or the carrier's admin), while it is out\n"
	"for delivery, at the door or has its credential issued.\n"
	"\n"
	"  --reason R          why (\"door blocked\"), up to 200 bytes\n" COMMON_HELP
	"\n"
	"Example: porter delivery fail d-0c1d2e3f40516273 --reason 'door blocked'\n";


static const char delivery_complete_usage[] =
	"usage: porter delivery complete ID\n"
	"\n"
	"Finish a delivery (its courier): from at the door (left at the door, no\n"
	"credential), credential issued, or entered.\n" COMMON_HELP
	"\n"
	"Example: porter delivery complete d-0c1d2e3f40516273\n";


static const char delivery_panic_usage[] =
	"usage: porter delivery panic ID [--reason R]\n"
	"\n"
	"Raise a courier-panic alert for the delivery's home at once, in any state\n"
	"(its courier); the delivery's state does not change. Prints the alert's id.\n"
	"\n"
	"  --reason R          what happened, up to 200 bytes\n" COMMON_HELP
	"\n"
	"Example: porter delivery panic d-0c1d2e3f40516273 --reason 'dog loose'\n";

static void
show_panic(const json_t *j)
{
	char id[24];

	printf("raised alert %s (courier-panic) for the delivery's home\n",
	       num_text(json_object_get(j, "alert_id"), id, sizeof(id)));
}

static int
delivery_panic(struct client *c, const struct verb *vb, const struct args *a)
{
	char path[PATH_CAP];
	json_t *body = NULL;
	int rc;

	(void)vb;
	if ((rc = id_path(path, sizeof(path), "/v1/deliveries/", a->pos[0], "delivery", "/panic")) !=
	    0)
		return rc;
	if (a->v['r'] != NULL) {
		body = json_object();
		if ((rc = set_text(body, "reason", a->v['r'], "--reason")) != 0)
			goto out;
	}
	rc = call_show(c, "POST", path, body, NULL, show_panic);
out:
	json_decref(body);
	return rc;
}

/*
 * The answer of arrive or credential: write the issued chain to out (raw
 * CBOR, 0600) after checking it decodes and is bound to the device key;
 * or say why none was issued. *issued tells which.
 */
static int
take_credential(const struct client *c, const json_t *d, const char *out,
		const uint8_t device_pk[PT_PK_LEN], bool quiet, bool *issued)
{
	static struct pt_chain chain;
	static uint8_t buf[PT_CHAIN_SIZE_MAX];
	const json_t *cred = json_object_get(d, "credential"), *issue;
	char code[40], msg[256], cti[2 * PT_CTI_LEN + 1], exp[40], entries[32];
	const struct pt_grant *last;
	struct pt_errbuf err;
	size_t slen, len;
	int r;

	*issued = false;
	if (!json_is_string(cred)) {
		issue = json_object_get(d, "issue");
		text_or_dash(json_object_get(issue, "code"), code, sizeof(code));
		client_text(json_object_get(issue, "message"), msg, sizeof(msg));
		if (!c->json && !quiet)
			printf("no credential issued: %s (%s)\n",
			       msg[0] != '\0' ? msg : "porterd gave no reason", code);
		return 0;
	}
	slen = json_string_length(cred);
	len = slen / 4 * 3 + (slen % 4 == 2 ? 1 : slen % 4 == 3 ? 2 : 0);
	if (slen % 4 == 1 || len == 0 || len > sizeof(buf) ||
	    pt_b64_decode(buf, len, json_string_value(cred), slen) != PT_OK) {
		warnx_("the credential in porterd's answer is not base64url of a chain");
		return EXIT_INPUT;
	}
	if ((r = pt_chain_decode(buf, len, &chain)) != PT_OK) {
		warnx_("the credential in porterd's answer is not valid: %s (%s)", pt_err_text(r),
		       pt_err_code(r));
		return pt_err_info(r)->exit_code;
	}
	last = &chain.link[chain.n - 1].g;
	if (memcmp(last->holder, device_pk, PT_PK_LEN) != 0) {
		warnx_("the credential porterd issued is not for --device-key: not saved");
		return EXIT_INPUT;
	}
	*issued = true;
	pt_hex(last->cti, PT_CTI_LEN, cti);
	if (out != NULL && pt_file_write(out, buf, len, 0600, &err) != PT_OK) {
		/* It is issued once: keep it on stdout rather than lose it (--json has it). */
		if (!c->json)
			printf("credential (base64url; it is issued once, keep it):\n%s\n",
			       json_string_value(cred));
		warnx_("%s", err.msg);
		return EXIT_INPUT;
	}
	if (c->json)
		return 0;
	if (last->has_exp)
		pt_time_format(last->exp, exp, sizeof(exp));
	else
		(void)snprintf(exp, sizeof(exp), "never");
	if (!last->has_entries)
		(void)snprintf(entries, sizeof(entries), "unlimited entries");
	else
		(void)snprintf(entries, sizeof(entries), "%u entr%s", (unsigned)last->entries,
			       last->entries == 1 ? "y" : "ies");
	if (out != NULL)
		printf("wrote %s: credential for this device, %u link%s, %zu bytes, token id %s, "
		       "%s, valid until %s\n",
		       out, (unsigned)chain.n, chain.n > 1 ? "s" : "", len, cti, entries, exp);
	else
		printf("credential issued (token id %s, valid until %s), not saved: give --out FILE;\n"
		       "it is issued once, so keep this base64url copy:\n%s\n",
		       cti, exp, json_string_value(cred));
	return 0;
}

static int
credential_call(struct client *c, const struct args *a, const char *action, json_t *body,
		const uint8_t pk[PT_PK_LEN], bool must)
{
	char path[PATH_CAP], sub[32], code[40], msg[256];
	json_t *reply = NULL;
	bool issued = false;
	int rc;

	(void)snprintf(sub, sizeof(sub), "/%s", action);
	if ((rc = id_path(path, sizeof(path), "/v1/deliveries/", a->pos[0], "delivery", sub)) != 0 ||
	    (rc = client_load(c)) != 0 ||
	    (rc = client_call(c, "POST", path, body, CALL_AUTH, &reply)) != 0)
		return rc;
	if (c->json)
		client_print_json(reply);
	else
		show_delivery(reply);
	if ((rc = take_credential(c, reply, a->v['o'], pk, must, &issued)) == 0 && must && !issued) {
		const json_t *issue = json_object_get(reply, "issue");
		text_or_dash(json_object_get(issue, "code"), code, sizeof(code));
		client_text(json_object_get(issue, "message"), msg, sizeof(msg));
		warnx_("no credential issued: %s (%s)", msg[0] != '\0' ? msg : "no reason given",
		       code);
		rc = EXIT_INPUT;
	}
	json_decref(reply);
	return rc;
}

static const char delivery_arrive_usage[] =
	"usage: porter delivery arrive ID --device-key KEY --lat LAT --lon LON --package P\n"
	"                              [--out FILE]\n"
	"\n"
	"Report arrival at the door (the delivery's courier): the package scanned and\n"
	"where you are. porterd checks, changing nothing when one fails: the delivery\n"
	"is out for delivery (wrong-state), KEY is one of your devices, the package is\n"
	"the delivery's (package-mismatch), now is in its window (outside-window), the\n"
	"home has a location (no-location) and you are near it (too-far). Then the\n"
	"delivery is at the door, and for an in-home delivery porterd issues a\n"
	"one-entry credential for KEY when it can; else it says why (e.g.\n"
	"approval-pending: ask again with 'porter delivery credential').\n"
	"\n"
	"  --device-key KEY    your device's public key (base64url or key file)\n"
	"  --lat LAT           your latitude, degrees (WGS 84, -90..90)\n"
	"  --lon LON           your longitude, degrees (-180..180)\n"
	"  --package P         the package id you scanned\n"
	"  -o, --out FILE      write the issued credential chain (CBOR) to FILE, mode\n"
	"                      0600; without it, it is printed as base64url. It is\n"
	"                      issued only once.\n" COMMON_HELP
	"\n"
	"Exit status 0 when the arrival is recorded, with or without a credential.\n"
	"\n"
	"Example: porter delivery arrive d-0c1d2e3f40516273 --device-key phone.key.pub \\\n"
	"           --lat 52.5201 --lon 13.4049 --package PKG-1234567 --out door.cred\n";

static int
delivery_arrive(struct client *c, const struct verb *vb, const struct args *a)
{
	char text[PT_PK_TEXT_LEN + 1];
	uint8_t pk[PT_PK_LEN];
	double lat, lon;
	json_t *body;
	int rc;

	need(vb, a, "dxyp", "--device-key, --lat, --lon and --package are required");
	lat = degrees_arg(vb, a->v['x'], 90, "--lat");
	lon = degrees_arg(vb, a->v['y'], 180, "--lon");
	if ((rc = pubkey_arg(a->v['d'], "--device-key", pk, text)) != 0)
		return rc;
	body = json_pack("{s:s,s:f,s:f}", "device_key", text, "lat", lat, "lon", lon);
	if ((rc = set_text(body, "package_id", a->v['p'], "--package")) == 0)
		rc = credential_call(c, a, "arrive", body, pk, false);
	json_decref(body);
	return rc;
}

static const char delivery_credential_usage[] =
	"usage: porter delivery credential ID --device-key KEY [--out FILE]\n"
	"\n"
	"Ask porterd to issue the delivery's credential now (its courier, at the door),\n"
	"e.g. after the owner approved. Issued once: afterwards this is wrong-state.\n"
	"\n"
	"  --device-key KEY    your device's public key (base64url or key file)\n"
	"  -o, --out FILE      write the credential chain (CBOR) to FILE, mode 0600;\n"
	"                      without it, it is printed as base64url\n" COMMON_HELP
	"\n"
	"Exit status 0 when a credential was issued; 2 when porterd says why not yet\n"
	"(the reason on stderr: approval-pending, not-accepted, no-delegation, ...).\n"
	"\n"
	"Example: porter delivery credential d-0c1d2e3f40516273 --device-key phone.key.pub \\\n"
	"           --out door.cred\n";

static int
delivery_credential(struct client *c, const struct verb *vb, const struct args *a)
{
	char text[PT_PK_TEXT_LEN + 1];
	uint8_t pk[PT_PK_LEN];
	json_t *body;
	int rc;

	need(vb, a, "d", "--device-key is required");
	if ((rc = pubkey_arg(a->v['d'], "--device-key", pk, text)) != 0)
		return rc;
	body = json_pack("{s:s}", "device_key", text);
	rc = credential_call(c, a, "credential", body, pk, true);
	json_decref(body);
	return rc;
}

/* ---- hubs ---- */

static void
show_hub(const json_t *o)
{
	static const struct field fields[] = {
		{"id", "id", '-'},	     {"label", "label", '-'},	     {"public key", "public_key", '-'},
		{"key id", "key_id", '-'},   {"paired by", "paired_by", 'n'}, {"paired", "created_at", 't'},
		{"last seen", "last_seen", 't'}, {NULL, NULL, 0},
	};

	print_fields(o, fields);
}

static void
show_hubs(const json_t *j)
{
	static const char *const head[] = {"ID", "KEY ID", "PAIRED", "LAST SEEN", "CONFIRMED",
					    "LABEL"};
	const json_t *hs = json_object_get(j, "hubs"), *o;
	char id[80], kid[40], at[40], seen[40], label[256];
	const char *cells[6];
	struct table t;
	size_t i;

	if (json_array_size(hs) == 0) {
		printf("no hubs: pair one with 'porter hub pair'\n");
		return;
	}
	table_init(&t, 6);
	table_row(&t, head);
	json_array_foreach(hs, i, o) {
		cells[0] = text_or_dash(json_object_get(o, "id"), id, sizeof(id));
		cells[1] = text_or_dash(json_object_get(o, "key_id"), kid, sizeof(kid));
		cells[2] = client_time(json_object_get(o, "created_at"), at, sizeof(at));
		cells[3] = client_time(json_object_get(o, "last_seen"), seen, sizeof(seen));
		/* the hub's own key named this home (docs/mqtt.md, "home") */
		cells[4] = json_is_true(json_object_get(o, "confirmed")) ? "yes" : "no";
		cells[5] = client_text(json_object_get(o, "label"), label, sizeof(label));
		table_row(&t, cells);
	}
	table_print(&t);
}

static const char hub_pair_usage[] =
	"usage: porter hub pair --home ID --hub-key PUBKEY --code CODE --key OWNER_KEY\n"
	"                       [--label L]\n"
	"\n"
	"Pair a hub with a home (owners). At the door, the hub shows its public key and\n"
	"a one-time pairing code; this signs, with your owner key (enrolled with 'porter\n"
	"key add'; it never leaves this machine), a statement that this hub belongs to\n"
	"the home, dated now, and uploads it. porterd checks it against the home's\n"
	"owner keys (within 600 s of signing) and relays it to the hub: a hub that is\n"
	"online and still shows the code is paired with your key at once (its events\n"
	"show pairing.ok via uplink); otherwise pair it at the door with 'porter hub\n"
	"pair-local'. The statement carries a MAC of the code, never the code: porterd\n"
	"cannot learn it, and the statement is good for your key only.\n"
	"\n"
	"  --home ID           the home (h-...)\n"
	"  --hub-key PUBKEY    the hub's public key (base64url, or a key file)\n"
	"  --code CODE         the hub's pairing code: base64url of 16 bytes, exactly 22\n"
	"                      characters (A-Z a-z 0-9 - _), as the hub shows it; '-'\n"
	"                      reads it from stdin (one line), out of ps and history\n"
	"  --key FILE          your owner secret key file\n"
	"  --label L           where the hub is (\"hall\"), up to 100 bytes\n" COMMON_HELP
	"\n"
	"Example: porter hub pair --home h-0123456789abcdef --hub-key hub.key.pub \\\n"
	"           --code q3Zf1u0bG7x9c2KpLm4vAw --key owner.key --label hall\n"
	"         porter hub pair --home h-0123456789abcdef --hub-key hub.key.pub \\\n"
	"           --code - --key owner.key <code.txt\n";

static int
hub_pair(struct client *c, const struct verb *vb, const struct args *a)
{
	char path[PATH_CAP], text[PT_PK_TEXT_LEN + 1], b64[ENV_B64_MAX], title[PT_ID_MAX + 32];
	uint8_t pk[PT_PK_LEN], code[PT_PAIRING_CODE_LEN];
	struct pt_envelope e;
	json_t *body = NULL;
	int rc;

	need(vb, a, "mKPk", "--home, --hub-key, --code and --key are required");
	if ((rc = id_path(path, sizeof(path), "/v1/homes/", a->v['m'], "home", "/hubs")) != 0 ||
	    (rc = pubkey_arg(a->v['K'], "--hub-key", pk, text)) != 0)
		return rc;
	memset(&e, 0, sizeof(e));
	if ((rc = pairing_code_arg(a->v['P'], code)) != 0)
		return rc;
	e.kind = PT_ENV_PAIRING;
	memcpy(e.aud, a->v['m'], strlen(a->v['m']) + 1);
	memcpy(e.target, pk, PT_PK_LEN);
	e.target_len = PT_PK_LEN;
	/* Signed last, just before it is sent: porterd allows 600 s of skew. */
	if ((rc = client_load(c)) != 0 || (rc = client_need(c, true)) != 0)
		goto out;
	/* The nonce is the code's MAC: porterd, which relays the statement
	 * to the hub, never learns the code. */
	if ((rc = sign_envelope_code(a->v['k'], &e, code, b64, sizeof(b64))) != 0)
		goto out;
	body = json_pack("{s:s,s:s}", "public_key", text, "pairing", b64);
	if ((rc = set_text(body, "label", a->v['b'], "--label")) == 0) {
		(void)snprintf(title, sizeof(title), "paired with home %s:", a->v['m']);
		rc = call_show(c, "POST", path, body, title, show_hub);
	}
	json_decref(body);
out:
	pt_wipe(code, sizeof(code));
	return rc;
}

static const char hub_list_usage[] =
	"usage: porter hub list --home ID\n"
	"\n"
	"The hubs paired with a home (members), and when each was last seen.\n"
	"\n"
	"  --home ID           the home (h-...)\n" COMMON_HELP
	"\n"
	"Example: porter hub list --home h-0123456789abcdef\n";

static int
hub_list(struct client *c, const struct verb *vb, const struct args *a)
{
	char path[PATH_CAP];
	int rc;

	need(vb, a, "m", "--home is required");
	if ((rc = id_path(path, sizeof(path), "/v1/homes/", a->v['m'], "home", "/hubs")) != 0)
		return rc;
	return call_show(c, "GET", path, NULL, NULL, show_hubs);
}

static const char hub_remove_usage[] =
	"usage: porter hub remove --home ID HUB_ID\n"
	"\n"
	"Unpair a hub from a home (owners). The hub itself keeps trusting the owner\n"
	"keys it was paired with until it is reset at the door.\n"
	"\n"
	"  --home ID           the home (h-...)\n" COMMON_HELP
	"\n"
	"Example: porter hub remove --home h-0123456789abcdef hub-5e1f0a9b3c2d7e68\n";

static int
hub_remove(struct client *c, const struct verb *vb, const struct args *a)
{
	char path[PATH_CAP], sub[PT_ID_MAX + 16];
	json_t *reply = NULL;
	int rc;

	need(vb, a, "m", "--home is required");
	if (check_id(a->pos[0], "hub") != 0)
		return EXIT_INPUT;
	(void)snprintf(sub, sizeof(sub), "/hubs/%s", a->pos[0]);
	if ((rc = id_path(path, sizeof(path), "/v1/homes/", a->v['m'], "home", sub)) != 0 ||
	    (rc = client_load(c)) != 0 ||
	    (rc = client_call(c, "DELETE", path, NULL, CALL_AUTH, &reply)) != 0)
		return rc;
	json_decref(reply);
	if (!c->json)
		printf("removed hub %s from home %s\n", a->pos[0], a->v['m']);
	return 0;
}

/* ---- events and alerts ---- */

static void
show_events(const json_t *j)
{
	static const char *const head[] = {"ID", "AT", "SOURCE", "TYPE", "DATA"};
	const json_t *es = json_object_get(j, "events"), *o;
	char id[24], at[40], src[96], type[64], data[600];
	const char *cells[5];
	struct table t;
	size_t i;

	if (json_array_size(es) == 0) {
		printf("no events\n");
		print_next(j);
		return;
	}
	table_init(&t, 5);
	table_row(&t, head);
	json_array_foreach(es, i, o) {
		cells[0] = num_text(json_object_get(o, "id"), id, sizeof(id));
		cells[1] = client_time(json_object_get(o, "at"), at, sizeof(at));
		cells[2] = text_or_dash(json_object_get(o, "source"), src, sizeof(src));
		cells[3] = text_or_dash(json_object_get(o, "type"), type, sizeof(type));
		cells[4] = json_text(json_object_get(o, "data"), data, sizeof(data));
		table_row(&t, cells);
	}
	table_print(&t);
	print_next(j);
}

static void
alert_row(const json_t *o, const char **cells, char (*buf)[600])
{
	const json_t *by = json_object_get(o, "acked_by");

	cells[0] = num_text(json_object_get(o, "id"), buf[0], sizeof(buf[0]));
	cells[1] = client_time(json_object_get(o, "at"), buf[1], sizeof(buf[1]));
	cells[2] = text_or_dash(json_object_get(o, "type"), buf[2], sizeof(buf[2]));
	if (json_is_integer(by)) {
		char when[40];
		(void)snprintf(buf[3], sizeof(buf[3]), "by account %lld at %s",
			       (long long)json_integer_value(by),
			       client_time(json_object_get(o, "acked_at"), when, sizeof(when)));
	} else {
		(void)snprintf(buf[3], sizeof(buf[3]), "OPEN");
	}
	cells[3] = buf[3];
	cells[4] = json_text(json_object_get(o, "data"), buf[4], sizeof(buf[4]));
}

static void
show_alerts(const json_t *j)
{
	static const char *const head[] = {"ID", "AT", "TYPE", "ACKNOWLEDGED", "DATA"};
	const json_t *as = json_object_get(j, "alerts"), *o;
	char buf[5][600];
	const char *cells[5];
	struct table t;
	size_t i;

	if (json_array_size(as) == 0) {
		printf("no alerts\n");
		print_next(j);
		return;
	}
	table_init(&t, 5);
	table_row(&t, head);
	json_array_foreach(as, i, o) {
		alert_row(o, cells, buf);
		table_row(&t, cells);
	}
	table_print(&t);
	print_next(j);
}

static void
show_alert(const json_t *o)
{
	static const char *const labels[] = {"alert", "at", "type", "acknowledged", "data"};
	char buf[5][600];
	const char *cells[5];
	struct table t;
	size_t i;

	alert_row(o, cells, buf);
	table_init(&t, 2);
	for (i = 0; i < 5; i++)
		add_row2(&t, labels[i], cells[i]);
	table_print(&t);
}

static const char events_usage[] =
	"usage: porter events --home ID [--after CURSOR] [--limit N]\n"
	"\n"
	"A home's timeline (members), oldest first: every delivery state change\n"
	"(delivery.<state>), hubs paired and removed, alerts, and what the home's hubs\n"
	"report.\n"
	"\n"
	"  --home ID           the home (h-...)\n" PAGE_HELP COMMON_HELP
	"\n"
	"Example: porter events --home h-0123456789abcdef --limit 20\n";

static int
events_list(struct client *c, const struct verb *vb, const struct args *a)
{
	char path[PATH_CAP];
	int rc;

	need(vb, a, "m", "--home is required");
	if ((rc = id_path(path, sizeof(path), "/v1/homes/", a->v['m'], "home", "/events")) != 0 ||
	    (rc = query_page(vb, a, path, sizeof(path))) != 0)
		return rc;
	return call_show(c, "GET", path, NULL, NULL, show_events);
}

static const char alerts_usage[] =
	"usage: porter alerts --home ID [--open] [--after CURSOR] [--limit N]\n"
	"\n"
	"A home's alerts (members), oldest first: the events that need a person\n"
	"(courier-panic, door-held-open, intrusion, camera-unhealthy, hub-offline,\n"
	"duress). Acknowledge one with 'porter alert ack'.\n"
	"\n"
	"  --home ID           the home (h-...)\n"
	"  --open              only those not acknowledged yet\n" PAGE_HELP COMMON_HELP
	"\n"
	"Example: porter alerts --home h-0123456789abcdef --open\n";

static int
alerts_list(struct client *c, const struct verb *vb, const struct args *a)
{
	char path[PATH_CAP];
	int rc;

	need(vb, a, "m", "--home is required");
	if ((rc = id_path(path, sizeof(path), "/v1/homes/", a->v['m'], "home", "/alerts")) != 0 ||
	    (rc = query_add(path, sizeof(path), "open", a->v['O'] != NULL ? "true" : NULL)) != 0 ||
	    (rc = query_page(vb, a, path, sizeof(path))) != 0)
		return rc;
	return call_show(c, "GET", path, NULL, NULL, show_alerts);
}

static const char alert_ack_usage[] =
	"usage: porter alert ack --home ID ALERT_ID\n"
	"\n"
	"Acknowledge an alert (members): it is no longer open. The first\n"
	"acknowledgement stands; acknowledging again changes nothing.\n"
	"\n"
	"  --home ID           the home (h-...)\n" COMMON_HELP
	"\n"
	"Example: porter alert ack --home h-0123456789abcdef 9\n";

static int
alert_ack(struct client *c, const struct verb *vb, const struct args *a)
{
	char path[PATH_CAP], sub[64];
	int64_t id;
	int rc;

	need(vb, a, "m", "--home is required");
	id = number_arg(vb, a->pos[0], "the alert id");
	(void)snprintf(sub, sizeof(sub), "/alerts/%lld/ack", (long long)id);
	if ((rc = id_path(path, sizeof(path), "/v1/homes/", a->v['m'], "home", sub)) != 0)
		return rc;
	return call_show(c, "POST", path, NULL, "acknowledged:", show_alert);
}

/* ---- dispatch ---- */

#define O_(name, arg, ch) {name, arg, NULL, ch}
static const struct option o_carrier_create[] = {
	O_("name", required_argument, 'n'), O_("hosted", no_argument, 'H'),
	O_("key", required_argument, 'k'), {NULL, 0, NULL, 0},
};
static const struct option o_page[] = {
	O_("after", required_argument, 'A'), O_("limit", required_argument, 'L'), {NULL, 0, NULL, 0},
};
static const struct option o_attest[] = {
	O_("key", required_argument, 'k'),     O_("carrier", required_argument, 'c'),
	O_("courier", required_argument, 'u'), O_("name", required_argument, 'n'),
	O_("level", required_argument, 'l'),   {NULL, 0, NULL, 0},
};
static const struct option o_enrol[] = {
	O_("carrier", required_argument, 'c'),	   O_("email", required_argument, 'e'),
	O_("name", required_argument, 'n'),	   O_("level", required_argument, 'l'),
	O_("attestation", required_argument, 'a'), O_("key", required_argument, 'k'),
	O_("courier-id", required_argument, 'i'),  {NULL, 0, NULL, 0},
};
static const struct option o_carrier_page[] = {
	O_("carrier", required_argument, 'c'), O_("after", required_argument, 'A'),
	O_("limit", required_argument, 'L'), {NULL, 0, NULL, 0},
};
static const struct option o_carrier[] = {
	O_("carrier", required_argument, 'c'), {NULL, 0, NULL, 0},
};
static const struct option o_device_add[] = {
	O_("key", required_argument, 'k'), O_("label", required_argument, 'b'), {NULL, 0, NULL, 0},
};
static const struct option o_delivery_create[] = {
	O_("carrier", required_argument, 'c'), O_("home", required_argument, 'm'),
	O_("package", required_argument, 'p'), O_("from", required_argument, 'f'),
	O_("until", required_argument, 'U'),   O_("in-home", no_argument, 'I'),
	{NULL, 0, NULL, 0},
};
static const struct option o_delivery_list[] = {
	O_("home", required_argument, 'm'),  O_("state", required_argument, 's'),
	O_("after", required_argument, 'A'), O_("limit", required_argument, 'L'),
	{NULL, 0, NULL, 0},
};
static const struct option o_dispatch[] = {
	O_("courier", required_argument, 'u'), {NULL, 0, NULL, 0},
};
static const struct option o_reason[] = {
	O_("reason", required_argument, 'r'), {NULL, 0, NULL, 0},
};
static const struct option o_arrive[] = {
	O_("device-key", required_argument, 'd'), O_("lat", required_argument, 'x'),
	O_("lon", required_argument, 'y'),	  O_("package", required_argument, 'p'),
	O_("out", required_argument, 'o'),	  {NULL, 0, NULL, 0},
};
static const struct option o_credential[] = {
	O_("device-key", required_argument, 'd'), O_("out", required_argument, 'o'),
	{NULL, 0, NULL, 0},
};
static const struct option o_hub_pair[] = {
	O_("home", required_argument, 'm'), O_("hub-key", required_argument, 'K'),
	O_("code", required_argument, 'P'), O_("key", required_argument, 'k'),
	O_("label", required_argument, 'b'), {NULL, 0, NULL, 0},
};
static const struct option o_home[] = {
	O_("home", required_argument, 'm'), {NULL, 0, NULL, 0},
};
static const struct option o_home_page[] = {
	O_("home", required_argument, 'm'), O_("after", required_argument, 'A'),
	O_("limit", required_argument, 'L'), {NULL, 0, NULL, 0},
};
static const struct option o_alerts[] = {
	O_("home", required_argument, 'm'),  O_("open", no_argument, 'O'),
	O_("after", required_argument, 'A'), O_("limit", required_argument, 'L'),
	{NULL, 0, NULL, 0},
};
#undef O_

static const struct verb verbs[] = {
	{"carrier", "create", "carrier create", carrier_create_usage, o_carrier_create, 0,
	 "no arguments", carrier_create},
	{"carrier", "list", "carrier list", carrier_list_usage, o_page, 0, "no arguments",
	 carrier_list},
	{"carrier", "show", "carrier show", carrier_show_usage, NULL, 1, "the carrier's id",
	 carrier_show},
	{"carrier", "attest", "carrier attest", carrier_attest_usage, o_attest, 0, "no arguments",
	 carrier_attest},
	{"courier", "enrol", "courier enrol", courier_enrol_usage, o_enrol, 0, "no arguments",
	 courier_enrol},
	{"courier", "list", "courier list", courier_list_usage, o_carrier_page, 0, "no arguments",
	 courier_list},
	{"courier", "remove", "courier remove", courier_remove_usage, o_carrier, 1,
	 "the courier's account id", courier_remove},
	{"device", "add", "device add", device_add_usage, o_device_add, 0, "no arguments",
	 device_add},
	{"device", "list", "device list", device_list_usage, NULL, 0, "no arguments", device_list},
	{"device", "remove", "device remove", device_remove_usage, NULL, 1, "the device's id",
	 device_remove},
	{"delivery", "create", "delivery create", delivery_create_usage, o_delivery_create, 0,
	 "no arguments", delivery_create},
	{"delivery", "list", "delivery list", delivery_list_usage, o_delivery_list, 0,
	 "no arguments", delivery_list},
	{"delivery", "show", "delivery show", delivery_show_usage, NULL, 1, "the delivery's id",
	 delivery_show},
	{"delivery", "dispatch", "delivery dispatch", delivery_dispatch_usage, o_dispatch, 1,
	 "the delivery's id", delivery_dispatch},
	{"delivery", "approve", "delivery approve", delivery_approve_usage, NULL, 1,
	 "the delivery's id", delivery_simple},
	{"delivery", "refuse", "delivery refuse", delivery_refuse_usage, o_reason, 1,
	 "the delivery's id", delivery_simple},
	{"delivery", "cancel", "delivery cancel", delivery_cancel_usage, o_reason, 1,
	 "the delivery's id", delivery_simple},
	{"delivery", "fail", "delivery fail", delivery_fail_usage, o_reason, 1, "the delivery's id",
	 delivery_simple},
	{"delivery", "complete", "delivery complete", delivery_complete_usage, NULL, 1,
	 "the delivery's id", delivery_simple},
	{"delivery", "panic", "delivery panic", delivery_panic_usage, o_reason, 1,
	 "the delivery's id", delivery_panic},
	{"delivery", "arrive", "delivery arrive", delivery_arrive_usage, o_arrive, 1,
	 "the delivery's id", delivery_arrive},
	{"delivery", "credential", "delivery credential", delivery_credential_usage, o_credential,
	 1, "the delivery's id", delivery_credential},
	{"hub", "pair", "hub pair", hub_pair_usage, o_hub_pair, 0, "no arguments", hub_pair},
	{"hub", "list", "hub list", hub_list_usage, o_home, 0, "no arguments", hub_list},
	{"hub", "remove", "hub remove", hub_remove_usage, o_home, 1, "the hub's id", hub_remove},
	{"events", NULL, "events", events_usage, o_home_page, 0, "no arguments", events_list},
	{"alerts", NULL, "alerts", alerts_usage, o_alerts, 0, "no arguments", alerts_list},
	{"alert", "ack", "alert ack", alert_ack_usage, o_home, 1, "the alert's id", alert_ack},
};

static const char *const group_text[][2] = {
	{"carrier", "Carriers (delivery companies): register one as its admin, browse the\n"
		    "directory, sign courier attestations offline with the carrier's key.\n"},
	{"courier", "A carrier's couriers (its admin): enrol with name and verification level,\n"
		    "list, deactivate. At the door: 'porter courier unlock --help'.\n"},
	{"device", "Your devices (couriers): the keys just-in-time credentials are issued to.\n"},
	{"delivery", "Deliveries: the carrier schedules and dispatches, the owner approves or\n"
		     "refuses, the courier arrives and gets a one-entry credential at the door.\n"},
	{"hub", "A home's hubs (owners): pair with the hub's key and one-time code, list,\n"
		"remove. Pairing the hub itself, over its link: 'porter hub pair-local --help'.\n"},
	{"alert", "Acknowledge a home's alert ('porter alerts' lists them).\n"},
};

/* "usage: ..." of every verb of group, then what the group is for. */
static void
group_usage(const char *group, FILE *f)
{
	const char *u, *end;
	bool first = true;
	size_t i;

	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		if (strcmp(verbs[i].group, group) != 0)
			continue;
		/* The synopsis: the usage text up to its first blank line. */
		u = verbs[i].usage + strlen("usage: ");
		if ((end = strstr(u, "\n\n")) == NULL)
			end = u + strlen(u);
		fprintf(f, "%s%.*s\n", first ? "usage: " : "       ", (int)(end - u), u);
		first = false;
	}
	for (i = 0; i < sizeof(group_text) / sizeof(group_text[0]); i++)
		if (strcmp(group_text[i][0], group) == 0)
			fprintf(f, "\n%s", group_text[i][1]);
	fprintf(f, "Run 'porter %s <command> --help' for the options of each.\n", group);
}

int
cmd_org(int argc, char **argv)
{
	const char *group = argv[0];
	const struct verb *vb = NULL;
	bool grouped = false;
	struct client c;
	struct args a;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		if (strcmp(verbs[i].group, group) != 0)
			continue;
		if (verbs[i].name == NULL) {
			vb = &verbs[i];
			break;
		}
		grouped = true;
		if (argc >= 2 && strcmp(verbs[i].name, argv[1]) == 0) {
			vb = &verbs[i];
			break;
		}
	}
	if (vb == NULL && grouped) {
		if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
				  strcmp(argv[1], "help") == 0)) {
			group_usage(group, stdout);
			return 0;
		}
		if (argc < 2)
			die_usage(group, "expected a command");
		die_usage(group, "unknown command '%s'", argv[1]);
	}
	if (vb == NULL)
		die_usage(group, "unknown command");
	if (vb->name != NULL) {
		argc--;
		argv++;
	}
	client_init(&c);
	if (parse_args(&c, vb, argc, argv, &a))
		rc = 0;
	else
		rc = vb->run(&c, vb, &a);
	client_close(&c);
	return rc;
}
