/*
 * porter signup, login, logout, whoami, home, key, grant create | upload |
 * list, revoke, revocations: the client side of porterd's API
 * (docs/api.md). Keys stay here: grants and revocations are signed
 * locally and only their signed bytes are uploaded.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "porter/crypto.h"
#include "porter/envelope.h"
#include "porter/keyfile.h"
#include "porter/text.h"
#include "client.h"
#include "porter.h"

#define COMMON_OPTS                                   \
	{"json", no_argument, NULL, 'J'},             \
	{"cacert", required_argument, NULL, 'C'},     \
	{"help", no_argument, NULL, 'h'},             \
	{NULL, 0, NULL, 0}

#define HOME_OPTS_MAX 16	/* docs/api.md: hours and carriers per policy */

/* The options every client verb takes. true after --help. */
static bool
common_opt(struct client *c, int ch, const char *cmd, const char *usage, char **argv)
{
	switch (ch) {
	case 'J': c->json = true; return false;
	case 'C': c->cacert = optarg; return false;
	case 'h': fputs(usage, stdout); return true;
	default: die_usage(cmd, "unknown option, or one without its value: '%s'", argv[optind - 1]);
	}
}

static void
start_opts(void)
{
	optind = 1;
	opterr = 0;
}

/* Exactly want positional arguments left after the options. */
static void
positional(int argc, char **argv, int want, const char *cmd, const char *what)
{
	if (argc - optind < want)
		die_usage(cmd, "expected %s", what);
	if (argc - optind > want)
		die_usage(cmd, "unexpected argument '%s'", argv[optind + want]);
}

static int
check_home_id(const char *id)
{
	if (!pt_id_is_valid(id, strlen(id))) {
		warnx_("'%s' is not a home id (letters, digits, '.', '_', '-', e.g. h-0123456789abcdef)",
		       id);
		return EXIT_INPUT;
	}
	return 0;
}

/* path = fmt with the home id; ids are checked, so they are safe in a path. */
static int
home_path(char *out, size_t cap, const char *home, const char *sub)
{
	int n;

	if (check_home_id(home) != 0)
		return EXIT_INPUT;
	n = snprintf(out, cap, "/v1/homes/%s%s", home, sub);
	if (n < 0 || (size_t)n >= cap) {
		warnx_("home id too long");
		return EXIT_INPUT;
	}
	return 0;
}

/* ---- accounts and sessions ---- */

static const struct field account_fields[] = {
	{"email", "email", 's'}, {"name", "name", 's'},	      {"role", "role", 's'},
	{"account", "id", 'i'},	 {"created", "created_at", 't'}, {NULL, NULL, 0},
};

static const char signup_usage[] =
	"usage: porter signup --email E --name N [--server URL] [--role ROLE]\n"
	"\n"
	"Create an account on porterd; then sign in with 'porter login'. The password\n"
	"(12 to 256 bytes) is never an argument: with --password-stdin it is the first\n"
	"line of stdin; else the environment variable PORTER_PASSWORD if set (for\n"
	"scripts); else it is asked twice on the terminal, with echo off.\n"
	"\n"
	"  --server URL        porterd's address (https://porter.example.org); default:\n"
	"                      the session file's. Plain http:// only to loopback.\n"
	"                      Stored in the session file if it has no session yet.\n"
	"  --email E           the account's e-mail address, its sign-in name\n"
	"  --name N            your name, as the people you share a home with see it\n"
	"  --role ROLE         owner (default; household members too), carrier-admin\n"
	"                      (a delivery company's admin) or courier (then enrolled\n"
	"                      by a carrier's admin: tell them your e-mail and the\n"
	"                      account id this prints)\n"
	"  --password-stdin    read the password from stdin\n" COMMON_HELP;

int
cmd_signup(int argc, char **argv)
{
	static const struct option opts[] = {
		{"server", required_argument, NULL, 's'},
		{"email", required_argument, NULL, 'e'},
		{"name", required_argument, NULL, 'n'},
		{"role", required_argument, NULL, 'r'},
		{"password-stdin", no_argument, NULL, 'p'},
		COMMON_OPTS,
	};
	const char *server = NULL, *email = NULL, *name = NULL, *role = NULL;
	char pw[CLIENT_PASSWORD_MAX + 1];
	bool from_stdin = false, had_token;
	struct client c;
	json_t *body = NULL, *reply = NULL;
	int ch, rc;

	client_init(&c);
	start_opts();
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 's': server = optarg; break;
		case 'e': email = optarg; break;
		case 'n': name = optarg; break;
		case 'r': role = optarg; break;
		case 'p': from_stdin = true; break;
		default:
			if (common_opt(&c, ch, "signup", signup_usage, argv))
				return 0;
		}
	}
	positional(argc, argv, 0, "signup", "no arguments");
	if (email == NULL || name == NULL)
		die_usage("signup", "--email and --name are required");
	if (role != NULL && strcmp(role, "owner") != 0 && strcmp(role, "carrier-admin") != 0 &&
	    strcmp(role, "courier") != 0)
		die_usage("signup", "--role is owner, carrier-admin or courier");
	if ((rc = client_load(&c)) != 0)
		goto out;
	had_token = c.token[0] != '\0';
	if (server != NULL && (rc = client_set_server(&c, server)) != 0)
		goto out;
	if ((rc = client_need(&c, false)) != 0)
		goto out;
	if ((rc = client_password(pw, from_stdin, true)) != 0)
		goto out;
	body = json_pack("{s:s,s:s,s:s}", "email", email, "password", pw, "name", name);
	pt_wipe(pw, sizeof(pw));
	if (body != NULL && role != NULL)
		json_object_set_new(body, "role", json_string(role));
	if (body == NULL) {
		warnx_("out of memory, or --email or --name is not UTF-8");
		rc = EXIT_INPUT;
		goto out;
	}
	if ((rc = client_call(&c, "POST", "/v1/accounts", body, CALL_SECRET, &reply)) != 0)
		goto out;
	/* Remember the server, unless the file holds a session (maybe elsewhere). */
	if (!had_token && (rc = client_save(&c)) != 0)
		goto out;
	if (!c.json) {
		char who[300], id[32];
		(void)snprintf(id, sizeof(id), "%lld",
			       (long long)json_integer_value(json_object_get(reply, "id")));
		client_text(json_object_get(reply, "email"), who, sizeof(who));
		printf("created account %s for %s on %s; sign in with: porter login%s%s --email %s\n",
		       id, who, c.server, had_token ? " --server " : "", had_token ? c.server : "",
		       who);
	}
	rc = print_reply(&c, reply, NULL);
	reply = NULL;
out:
	json_decref(body);
	json_decref(reply);
	client_close(&c);
	return rc;
}

static const char login_usage[] =
	"usage: porter login --email E [--server URL] [--password-stdin]\n"
	"\n"
	"Sign in to porterd and keep the session in the session file (mode 0600):\n"
	"$PORTER_CONFIG, else $XDG_CONFIG_HOME/porter/client.conf, else\n"
	"~/.config/porter/client.conf. The password is never an argument: with\n"
	"--password-stdin it is the first line of stdin; else PORTER_PASSWORD if set;\n"
	"else it is asked on the terminal with echo off. The session token is never\n"
	"printed, not even with --json.\n"
	"\n"
	"  --server URL        porterd's address (https://porter.example.org); default:\n"
	"                      the session file's. Plain http:// only to loopback.\n"
	"  --email E           your account's e-mail address\n"
	"  --password-stdin    read the password from stdin\n" COMMON_HELP;

int
cmd_login(int argc, char **argv)
{
	static const struct option opts[] = {
		{"server", required_argument, NULL, 's'},
		{"email", required_argument, NULL, 'e'},
		{"password-stdin", no_argument, NULL, 'p'},
		COMMON_OPTS,
	};
	const char *server = NULL, *email = NULL;
	char pw[CLIENT_PASSWORD_MAX + 1], old[CLIENT_URL_MAX + 1];
	bool from_stdin = false;
	struct client c;
	json_t *body = NULL, *reply = NULL;
	int ch, rc;

	client_init(&c);
	start_opts();
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 's': server = optarg; break;
		case 'e': email = optarg; break;
		case 'p': from_stdin = true; break;
		default:
			if (common_opt(&c, ch, "login", login_usage, argv))
				return 0;
		}
	}
	positional(argc, argv, 0, "login", "no arguments");
	if (email == NULL)
		die_usage("login", "--email is required");
	if ((rc = client_load(&c)) != 0)
		goto out;
	memcpy(old, c.server, sizeof(old));
	if (server != NULL && (rc = client_set_server(&c, server)) != 0)
		goto out;
	if ((rc = client_need(&c, false)) != 0)
		goto out;
	pt_wipe(c.token, sizeof(c.token));	/* the old session is not sent anywhere */
	if ((rc = client_password(pw, from_stdin, false)) != 0)
		goto out;
	body = json_pack("{s:s,s:s}", "email", email, "password", pw);
	pt_wipe(pw, sizeof(pw));
	if (body == NULL) {
		warnx_("out of memory, or --email is not UTF-8");
		rc = EXIT_INPUT;
		goto out;
	}
	if ((rc = client_call(&c, "POST", "/v1/sessions", body, CALL_SECRET, &reply)) != 0)
		goto out;
	if ((rc = client_set_token(&c, json_object_get(reply, "token"))) != 0 ||
	    (rc = client_save(&c)) != 0)
		goto out;
	json_object_del(reply, "token");
	if (!c.json) {
		const json_t *a = json_object_get(reply, "account");
		char who[300], role[32], until[40];
		client_text(json_object_get(a, "email"), who, sizeof(who));
		client_text(json_object_get(a, "role"), role, sizeof(role));
		client_time(json_object_get(reply, "expires_at"), until, sizeof(until));
		printf("signed in to %s as %s (%s) until %s%s\n", c.server, who, role, until,
		       old[0] != '\0' && strcmp(old, c.server) != 0 ? " (was another server)" : "");
	}
	rc = print_reply(&c, reply, NULL);
	reply = NULL;
out:
	json_decref(body);
	json_decref(reply);
	client_close(&c);
	return rc;
}

static const char logout_usage[] =
	"usage: porter logout [--everywhere]\n"
	"\n"
	"End the session on porterd and remove its token from the session file (the\n"
	"server's address stays). A session that had already ended on the server is\n"
	"removed all the same.\n"
	"\n"
	"  --everywhere        end every session of the account, on every device\n" COMMON_HELP;

int
cmd_logout(int argc, char **argv)
{
	static const struct option opts[] = {
		{"everywhere", no_argument, NULL, 'E'},
		COMMON_OPTS,
	};
	bool all = false;
	struct client c;
	json_t *reply = NULL;
	int ch, rc;

	client_init(&c);
	start_opts();
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (ch == 'E')
			all = true;
		else if (common_opt(&c, ch, "logout", logout_usage, argv))
			return 0;
	}
	positional(argc, argv, 0, "logout", "no arguments");
	if ((rc = client_load(&c)) != 0 || (rc = client_need(&c, true)) != 0)
		goto out;
	rc = client_call(&c, "DELETE", all ? "/v1/sessions" : "/v1/sessions/current", NULL,
			 CALL_AUTH | CALL_QUIET, &reply);
	json_decref(reply);
	if (rc != 0 && strcmp(c.err_code, "unauthenticated") != 0) {
		if (c.err_line[0] != '\0')
			warnx_("%s", c.err_line);
		goto out;
	}
	pt_wipe(c.token, sizeof(c.token));
	if ((rc = client_save(&c)) != 0)
		goto out;
	if (!c.json) {
		if (c.err_code[0] != '\0')
			printf("the session had already ended on %s; removed it from %s\n", c.server,
			       c.conf);
		else
			printf("signed out of %s%s\n", c.server,
			       all ? " everywhere: every session of the account has ended" : "");
	}
out:
	client_close(&c);
	return rc;
}

static const char whoami_usage[] =
	"usage: porter whoami\n"
	"\n"
	"Show the account of the current session, and the server.\n" COMMON_HELP;

int
cmd_whoami(int argc, char **argv)
{
	static const struct option opts[] = {COMMON_OPTS};
	struct client c;
	json_t *reply = NULL;
	int ch, rc;

	client_init(&c);
	start_opts();
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1)
		if (common_opt(&c, ch, "whoami", whoami_usage, argv))
			return 0;
	positional(argc, argv, 0, "whoami", "no arguments");
	if ((rc = client_load(&c)) != 0 ||
	    (rc = client_call(&c, "GET", "/v1/me", NULL, CALL_AUTH, &reply)) != 0)
		goto out;
	if (!c.json) {
		struct table t;
		table_init(&t, 2);
		add_fields(&t, reply, account_fields);
		add_row2(&t, "server", c.server);
		table_print(&t);
	}
	rc = print_reply(&c, reply, NULL);
out:
	client_close(&c);
	return rc;
}

/* ---- homes ---- */

static void
join_strings(const json_t *a, char *out, size_t cap, const char *none)
{
	char item[128];
	size_t i, used = 0;
	int n;

	out[0] = '\0';
	for (i = 0; i < json_array_size(a); i++) {
		client_text(json_array_get(a, i), item, sizeof(item));
		n = snprintf(out + used, cap - used, "%s%s", i > 0 ? ", " : "", item);
		if (n < 0 || (size_t)n >= cap - used)
			break;
		used += (size_t)n;
	}
	if (out[0] == '\0')
		(void)snprintf(out, cap, "%s", none);
}

static void
show_home(const json_t *h)
{
	static const struct field fields[] = {
		{"id", "id", 's'},	    {"name", "name", 's'},	     {"time zone", "tz", 's'},
		{"notes", "notes", 's'},    {"your role", "role", 's'},     {NULL, NULL, 0},
	};
	static const struct field tail[] = {
		{"created", "created_at", 't'}, {"updated", "updated_at", 't'}, {NULL, NULL, 0},
	};
	const json_t *p = json_object_get(h, "policy"), *loc;
	char hours[1024], carriers[1200], approval[32], where[80];
	struct table t;

	join_strings(json_object_get(p, "hours"), hours, sizeof(hours), "any time");
	join_strings(json_object_get(p, "carriers"), carriers, sizeof(carriers), "none listed");
	client_text(json_object_get(p, "approval"), approval, sizeof(approval));
	table_init(&t, 2);
	add_fields(&t, h, fields);
	add_row2(&t, "in-home delivery",
		 json_is_true(json_object_get(p, "in_home_delivery")) ? "allowed" : "no");
	add_row2(&t, "hours", hours);
	add_row2(&t, "carriers", carriers);
	add_row2(&t, "camera",
		 json_is_true(json_object_get(p, "camera_required")) ? "required" : "not required");
	add_row2(&t, "alarm bypass",
		 json_is_true(json_object_get(p, "alarm_bypass_required")) ? "required" :
									     "not required");
	add_row2(&t, "approval", approval);
	loc = json_object_get(h, "location");
	if (json_is_object(loc)) {
		(void)snprintf(where, sizeof(where), "%.6f, %.6f",
			       json_number_value(json_object_get(loc, "lat")),
			       json_number_value(json_object_get(loc, "lon")));
		add_row2(&t, "location", where);
	} else {
		add_row2(&t, "location", "not set");
	}
	add_fields(&t, h, tail);
	table_print(&t);
}

struct home_args {
	const char *name, *tz, *notes, *approval;
	const char *lat, *lon;		/* the location, or NULL */
	bool no_location;		/* --no-location: clear it */
	int in_home, camera, alarm;	/* -1: not given */
	const char *hours[HOME_OPTS_MAX], *carriers[HOME_OPTS_MAX];
	size_t n_hours, n_carriers;
	bool hours_set, carriers_set;
};

#define HOME_OPTS                                                   \
	{"name", required_argument, NULL, 'n'},                     \
	{"tz", required_argument, NULL, 'z'},                       \
	{"notes", required_argument, NULL, 'N'},                    \
	{"in-home-delivery", no_argument, NULL, 'i'},               \
	{"no-in-home-delivery", no_argument, NULL, 'I'},            \
	{"hours", required_argument, NULL, 'H'},                    \
	{"no-hours", no_argument, NULL, 'x'},                       \
	{"carrier", required_argument, NULL, 'c'},                  \
	{"no-carriers", no_argument, NULL, 'X'},                    \
	{"camera-required", no_argument, NULL, 'k'},                \
	{"no-camera-required", no_argument, NULL, 'K'},             \
	{"alarm-bypass-required", no_argument, NULL, 'a'},          \
	{"no-alarm-bypass-required", no_argument, NULL, 'A'},       \
	{"approval", required_argument, NULL, 'p'},                 \
	{"lat", required_argument, NULL, 'y'},                      \
	{"lon", required_argument, NULL, 'Y'},                      \
	{"no-location", no_argument, NULL, 'G'}

#define HOME_HELP                                                                             \
	"  --notes TEXT        shown to couriers (\"dog inside\"); up to 500 bytes\n"           \
	"  --in-home-delivery, --no-in-home-delivery\n"                                         \
	"                      may couriers leave parcels inside (default no)\n"                \
	"  --hours SPEC        when deliveries may come, e.g. 'mon-fri 08:00-20:00';\n"        \
	"                      repeat (up to 16); default any time; --no-hours clears\n"       \
	"  --carrier ID        a carrier allowed to deliver; repeat (up to 16);\n"              \
	"                      --no-carriers clears\n"                                          \
	"  --camera-required, --no-camera-required\n"                                           \
	"                      refuse entry unless the camera works (default required)\n"       \
	"  --alarm-bypass-required, --no-alarm-bypass-required\n"                               \
	"                      keep the alarm armed, bypassing the entry zone only\n"           \
	"                      (default required)\n"                                            \
	"  --approval A        per-delivery (default: you approve each one) or standing\n"  \
	"  --lat LAT --lon LON the home's location, degrees (WGS 84): couriers must be\n"   \
	"                      near it to get an in-home credential; shown to members\n"   \
	"                      only. --no-location clears it\n"

/* true if ch was a home option. */
static bool
home_opt(struct home_args *h, int ch, const char *cmd)
{
	switch (ch) {
	case 'n': h->name = optarg; return true;
	case 'z': h->tz = optarg; return true;
	case 'N': h->notes = optarg; return true;
	case 'i': h->in_home = 1; return true;
	case 'I': h->in_home = 0; return true;
	case 'k': h->camera = 1; return true;
	case 'K': h->camera = 0; return true;
	case 'a': h->alarm = 1; return true;
	case 'A': h->alarm = 0; return true;
	case 'p': h->approval = optarg; return true;
	case 'y': h->lat = optarg; return true;
	case 'Y': h->lon = optarg; return true;
	case 'G': h->no_location = true; return true;
	case 'x': h->hours_set = true; h->n_hours = 0; return true;
	case 'X': h->carriers_set = true; h->n_carriers = 0; return true;
	case 'H':
		if (h->n_hours == HOME_OPTS_MAX)
			die_usage(cmd, "at most %d --hours", HOME_OPTS_MAX);
		h->hours[h->n_hours++] = optarg;
		h->hours_set = true;
		return true;
	case 'c':
		if (h->n_carriers == HOME_OPTS_MAX)
			die_usage(cmd, "at most %d --carrier", HOME_OPTS_MAX);
		h->carriers[h->n_carriers++] = optarg;
		h->carriers_set = true;
		return true;
	default: return false;
	}
}

static void
home_args_init(struct home_args *h)
{
	memset(h, 0, sizeof(*h));
	h->in_home = h->camera = h->alarm = -1;
}

static bool
policy_given(const struct home_args *h)
{
	return h->in_home >= 0 || h->camera >= 0 || h->alarm >= 0 || h->approval != NULL ||
	       h->hours_set || h->carriers_set;
}

static json_t *
str_array(const char *const *v, size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

/* Apply the policy options to p (the current policy, or {} for a new home). */
static void
policy_apply(const struct home_args *h, json_t *p)
{
	if (h->in_home >= 0)
		json_object_set_new(p, "in_home_delivery", json_boolean(h->in_home));
	if (h->camera >= 0)
		json_object_set_new(p, "camera_required", json_boolean(h->camera));
	if (h->alarm >= 0)
		json_object_set_new(p, "alarm_bypass_required", json_boolean(h->alarm));
	if (h->approval != NULL)
		json_object_set_new(p, "approval", json_string(h->approval));
	if (h->hours_set)
		json_object_set_new(p, "hours", str_array(h->hours, h->n_hours));
	if (h->carriers_set)
		json_object_set_new(p, "carriers", str_array(h->carriers, h->n_carriers));
}

/* A degree value in [-max, max]. */
static int
degrees(const char *s, double max, const char *opt, double *out)
{
	char *end;
	double d = strtod(s, &end);

	if (end == s || *end != '\0' || !(d >= -max && d <= max)) {
		warnx_("%s '%s': degrees from %g to %g", opt, s, -max, max);
		return EXIT_INPUT;
	}
	*out = d;
	return 0;
}

/* name, tz, notes, location into body; NULL strings (not UTF-8) are refused. */
static int
home_fields(const struct home_args *h, json_t *body)
{
	const char *names[] = {"name", "tz", "notes"};
	const char *vals[] = {h->name, h->tz, h->notes};
	json_t *s;
	size_t i;

	for (i = 0; i < 3; i++) {
		if (vals[i] == NULL)
			continue;
		if ((s = json_string(vals[i])) == NULL) {
			warnx_("--%s is not UTF-8 text", names[i]);
			return EXIT_INPUT;
		}
		json_object_set_new(body, names[i], s);
	}
	if (h->no_location) {
		json_object_set_new(body, "location", json_null());
	} else if (h->lat != NULL) {
		double lat, lon;
		if (degrees(h->lat, 90, "--lat", &lat) != 0 || degrees(h->lon, 180, "--lon", &lon) != 0)
			return EXIT_INPUT;
		json_object_set_new(body, "location", json_pack("{s:f,s:f}", "lat", lat, "lon", lon));
	}
	return 0;
}

/* --lat and --lon go together, and not with --no-location. */
static void
location_check(const struct home_args *h, const char *cmd)
{
	if ((h->lat == NULL) != (h->lon == NULL))
		die_usage(cmd, "--lat and --lon go together");
	if (h->no_location && h->lat != NULL)
		die_usage(cmd, "--no-location clears the location: not with --lat and --lon");
}

static const char home_create_usage[] =
	"usage: porter home create --name N --tz ZONE [options]\n"
	"\n"
	"Create a home; you become its owner (owner accounts only). Prints the home,\n"
	"with its id (h-...): the audience of every credential for it.\n"
	"\n"
	"  --name N            what you call it (\"Flat\"), up to 100 bytes\n"
	"  --tz ZONE           its IANA time zone, e.g. Europe/Berlin\n" HOME_HELP COMMON_HELP;

static int
home_create(struct client *c, int argc, char **argv)
{
	static const struct option opts[] = {HOME_OPTS, COMMON_OPTS};
	struct home_args h;
	json_t *body = NULL, *reply = NULL, *p;
	int ch, rc;

	home_args_init(&h);
	start_opts();
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1)
		if (!home_opt(&h, ch, "home create") &&
		    common_opt(c, ch, "home create", home_create_usage, argv))
			return 0;
	positional(argc, argv, 0, "home create", "no arguments");
	if (h.name == NULL || h.tz == NULL)
		die_usage("home create", "--name and --tz are required");
	location_check(&h, "home create");
	if ((rc = client_load(c)) != 0)
		return rc;
	body = json_object();
	if ((rc = home_fields(&h, body)) != 0)
		goto out;
	if (policy_given(&h)) {
		p = json_object();
		policy_apply(&h, p);
		json_object_set_new(body, "policy", p);
	}
	if ((rc = client_call(c, "POST", "/v1/homes", body, CALL_AUTH, &reply)) != 0)
		goto out;
	rc = print_reply(c, reply, show_home);
out:
	json_decref(body);
	return rc;
}

static const char home_update_usage[] =
	"usage: porter home update ID [options]\n"
	"\n"
	"Change a home (its owners only). Only what is given changes: policy options\n"
	"are applied to the home's current policy.\n"
	"\n"
	"  --name N            a new name\n"
	"  --tz ZONE           a new IANA time zone\n" HOME_HELP COMMON_HELP;

static int
home_update(struct client *c, int argc, char **argv)
{
	static const struct option opts[] = {HOME_OPTS, COMMON_OPTS};
	struct home_args h;
	char path[128];
	json_t *body = NULL, *reply = NULL, *cur = NULL, *p;
	int ch, rc;

	home_args_init(&h);
	start_opts();
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1)
		if (!home_opt(&h, ch, "home update") &&
		    common_opt(c, ch, "home update", home_update_usage, argv))
			return 0;
	positional(argc, argv, 1, "home update", "the home's id");
	location_check(&h, "home update");
	if (h.name == NULL && h.tz == NULL && h.notes == NULL && h.lat == NULL && !h.no_location &&
	    !policy_given(&h))
		die_usage("home update", "nothing to change: give --name, --tz, --notes, a "
					 "location or a policy option");
	if ((rc = home_path(path, sizeof(path), argv[optind], "")) != 0 ||
	    (rc = client_load(c)) != 0)
		return rc;
	body = json_object();
	if ((rc = home_fields(&h, body)) != 0)
		goto out;
	if (policy_given(&h)) {
		/* A PATCHed policy replaces the whole policy: start from the current one. */
		if ((rc = client_call(c, "GET", path, NULL, CALL_AUTH, &cur)) != 0)
			goto out;
		p = json_deep_copy(json_object_get(cur, "policy"));
		if (!json_is_object(p)) {
			json_decref(p);
			p = json_object();
		}
		policy_apply(&h, p);
		json_object_set_new(body, "policy", p);
	}
	if ((rc = client_call(c, "PATCH", path, body, CALL_AUTH, &reply)) != 0)
		goto out;
	rc = print_reply(c, reply, show_home);
out:
	json_decref(cur);
	json_decref(body);
	return rc;
}

static void
show_homes(const json_t *j)
{
	const json_t *hs = json_object_get(j, "homes"), *h;
	static const char *const head[] = {"ID", "ROLE", "TIME ZONE", "NAME"};
	char id[80], role[16], tz[80], name[256];
	const char *cells[4];
	struct table t;
	size_t i;

	if (json_array_size(hs) == 0) {
		printf("no homes: create one with 'porter home create', or ask an owner to add you\n");
		return;
	}
	table_init(&t, 4);
	table_row(&t, head);
	json_array_foreach(hs, i, h) {
		cells[0] = client_text(json_object_get(h, "id"), id, sizeof(id));
		cells[1] = client_text(json_object_get(h, "role"), role, sizeof(role));
		cells[2] = client_text(json_object_get(h, "tz"), tz, sizeof(tz));
		cells[3] = client_text(json_object_get(h, "name"), name, sizeof(name));
		table_row(&t, cells);
	}
	table_print(&t);
}

static const char home_list_usage[] =
	"usage: porter home list\n"
	"\n"
	"List the homes you belong to, with your role in each.\n" COMMON_HELP;

static const char home_show_usage[] =
	"usage: porter home show ID\n"
	"\n"
	"Show a home you belong to: name, time zone, notes and delivery policy.\n" COMMON_HELP;

static const char home_delete_usage[] =
	"usage: porter home delete ID\n"
	"\n"
	"Delete a home (its owners only), with its owner keys, grants, revocations and\n"
	"memberships; the audit trail stays. This cannot be undone.\n" COMMON_HELP;

/* list, show ID, delete ID: no options but the common ones. */
static int
home_simple(struct client *c, int argc, char **argv, const char *cmd, const char *usage)
{
	static const struct option opts[] = {COMMON_OPTS};
	bool list = strcmp(argv[0], "list") == 0, del = strcmp(argv[0], "delete") == 0;
	char path[128];
	json_t *reply = NULL;
	int ch, rc;

	start_opts();
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1)
		if (common_opt(c, ch, cmd, usage, argv))
			return 0;
	positional(argc, argv, list ? 0 : 1, cmd, list ? "no arguments" : "the home's id");
	if (list)
		(void)snprintf(path, sizeof(path), "/v1/homes");
	else if ((rc = home_path(path, sizeof(path), argv[optind], "")) != 0)
		return rc;
	if ((rc = client_load(c)) != 0 ||
	    (rc = client_call(c, del ? "DELETE" : "GET", path, NULL, CALL_AUTH, &reply)) != 0)
		return rc;
	if (del && !c->json)
		printf("deleted home %s\n", argv[optind]);
	return print_reply(c, reply, list ? show_homes : show_home);
}

static const char member_usage[] =
	"usage: porter home member add ID --email E [--role member|owner]\n"
	"       porter home member list ID\n"
	"       porter home member remove ID (--account N | --email E)\n"
	"\n"
	"The household of home ID (docs/api.md, \"Homes\").\n"
	"\n"
	"add (owners only) adds the account with e-mail E. A member sees the home,\n"
	"its keys, grants and revocations; an owner may also change them.\n"
	"  --email E           the account's e-mail address (it must exist)\n"
	"  --role R            member (default) or owner\n"
	"\n"
	"list (members) shows every account of the home: account id, role, e-mail,\n"
	"name and the key ids of the owner keys that account enrolled.\n"
	"\n"
	"remove (owners; a member may remove themself: leave the home) takes the\n"
	"home from an account at once. The last owner cannot be removed\n"
	"(last-owner): make another account owner first, or delete the home.\n"
	"Removing an owner does not revoke their owner keys at the hubs: a hub\n"
	"trusts keys, not accounts. The key ids that account enrolled are printed;\n"
	"revoke them with 'porter revoke --key' ('porter key list' shows their\n"
	"public keys), signed with your own key.\n"
	"  --account N         the account id (as 'member list' shows it)\n"
	"  --email E           the account's e-mail (looked up in 'member list')\n" COMMON_HELP;

static const struct option member_opts[] = {
	{"email", required_argument, NULL, 'e'},
	{"role", required_argument, NULL, 'r'},
	{"account", required_argument, NULL, 'a'},
	COMMON_OPTS,
};

static void
show_members(const json_t *j)
{
	const json_t *ms = json_object_get(j, "members"), *m, *k;
	static const char *const head[] = {"ACCOUNT", "ROLE", "EMAIL", "NAME", "KEY IDS"};
	char id[24], role[16], email[300], name[256], kids[64 * 18 + 1], one[40];
	const char *cells[5];
	struct table t;
	size_t i, x, used;

	if (json_array_size(ms) == 0) {
		printf("no members\n");
		return;
	}
	table_init(&t, 5);
	table_row(&t, head);
	json_array_foreach(ms, i, m) {
		(void)snprintf(id, sizeof(id), "%lld",
			       (long long)json_integer_value(json_object_get(m, "account_id")));
		cells[0] = id;
		cells[1] = client_text(json_object_get(m, "role"), role, sizeof(role));
		cells[2] = client_text(json_object_get(m, "email"), email, sizeof(email));
		cells[3] = client_text(json_object_get(m, "name"), name, sizeof(name));
		kids[0] = '\0';
		used = 0;
		json_array_foreach(json_object_get(m, "key_ids"), x, k) {
			int w;
			client_text(k, one, sizeof(one));
			w = snprintf(kids + used, sizeof(kids) - used, "%s%s", used ? "," : "", one);
			if (w < 0 || (size_t)w >= sizeof(kids) - used)
				break;
			used += (size_t)w;
		}
		cells[4] = used ? kids : "-";
		table_row(&t, cells);
	}
	table_print(&t);
}

/* --account: a positive decimal number without a leading zero (as porterd
 * wants it in the path); 0 or not a number. */
static long long
member_account(const char *s)
{
	char *end;
	long long v;

	if (s[0] < '1' || s[0] > '9')
		return 0;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v <= 0)
		return 0;
	return v;
}

/* The member of list whose account id is want, or (want 0) whose e-mail is
 * email (porterd stores e-mails lowercased: compared without case). */
static const json_t *
member_find(const json_t *list, long long want, const char *email)
{
	const json_t *m;
	size_t i;

	json_array_foreach(json_object_get(list, "members"), i, m) {
		const char *e = json_string_value(json_object_get(m, "email"));
		if (want != 0 ? json_integer_value(json_object_get(m, "account_id")) == want
			      : e != NULL && strcasecmp(e, email) == 0)
			return m;
	}
	return NULL;
}

static int
member_remove(struct client *c, const char *home, const char *account, const char *email)
{
	char path[160], who[300], role[16], kids[64 * 18 + 1], one[40];
	json_t *list = NULL, *reply = NULL, *out = NULL, *ks;
	const json_t *m, *k;
	long long id = 0;
	size_t i, used = 0;
	int rc;

	if ((account == NULL) == (email == NULL))
		die_usage("home member remove", "give exactly one of --account and --email");
	if (account != NULL && (id = member_account(account)) == 0)
		die_usage("home member remove", "--account is an account id (a positive number)");
	if ((rc = home_path(path, sizeof(path), home, "/members")) != 0 ||
	    (rc = client_load(c)) != 0)
		return rc;
	/* Read the household first: the e-mail's account id, and the keys an
	 * owner enrolled (no longer listed once removed). */
	if ((rc = client_call(c, "GET", path, NULL, CALL_AUTH, &list)) != 0)
		return rc;
	if ((m = member_find(list, id, email)) == NULL) {
		if (id != 0)
			warnx_("account %lld is not a member of home %s (not-found)", id, home);
		else
			warnx_("no member of home %s has the e-mail '%s' (not-found)", home, email);
		rc = EXIT_INPUT;
		goto out;
	}
	id = (long long)json_integer_value(json_object_get(m, "account_id"));
	client_text(json_object_get(m, "email"), who, sizeof(who));
	client_text(json_object_get(m, "role"), role, sizeof(role));
	ks = json_deep_copy(json_object_get(m, "key_ids"));
	if (!json_is_array(ks)) {
		json_decref(ks);
		ks = json_array();
	}
	if (snprintf(path, sizeof(path), "/v1/homes/%s/members/%lld", home, id) >= (int)sizeof(path)) {
		json_decref(ks);
		warnx_("home id too long");
		rc = EXIT_INPUT;
		goto out;
	}
	if ((rc = client_call(c, "DELETE", path, NULL, CALL_AUTH, &reply)) != 0) {
		json_decref(ks);
		goto out;
	}
	if (c->json) {
		out = json_pack("{s:I,s:s,s:s,s:o}", "account_id", (json_int_t)id, "email", who,
				"role", role, "key_ids", ks);
		rc = print_reply(c, out, NULL);
		out = NULL;
		goto out;
	}
	printf("removed account %lld (%s, %s) from home %s\n", id, who, role, home);
	json_array_foreach(ks, i, k) {
		int w;
		client_text(k, one, sizeof(one));
		w = snprintf(kids + used, sizeof(kids) - used, "%s%s", used ? ", " : "", one);
		if (w < 0 || (size_t)w >= sizeof(kids) - used)
			break;
		used += (size_t)w;
	}
	if (strcmp(role, "owner") == 0)
		printf("the hubs still trust the owner keys this account enrolled until you revoke "
		       "them: %s\n",
		       used ? kids : "none enrolled by it (revoke any key it holds that another "
				     "account enrolled)");
	json_decref(ks);
out:
	json_decref(out);
	json_decref(reply);
	json_decref(list);
	return rc;
}

static int
home_member(struct client *c, int argc, char **argv)
{
	const char *email = NULL, *role = NULL, *account = NULL, *verb;
	char path[128];
	json_t *body = NULL, *reply = NULL;
	int ch, rc;

	if (argc < 2 || (strcmp(argv[1], "add") != 0 && strcmp(argv[1], "list") != 0 &&
			 strcmp(argv[1], "remove") != 0)) {
		if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
			fputs(member_usage, stdout);
			return 0;
		}
		die_usage("home member", "expected 'add', 'list' or 'remove'");
	}
	verb = argv[1];
	argc--;
	argv++;
	start_opts();
	while ((ch = getopt_long(argc, argv, "h", member_opts, NULL)) != -1) {
		switch (ch) {
		case 'e': email = optarg; break;
		case 'r': role = optarg; break;
		case 'a': account = optarg; break;
		default:
			if (common_opt(c, ch, "home member", member_usage, argv))
				return 0;
		}
	}
	positional(argc, argv, 1, "home member", "the home's id");
	if (strcmp(verb, "list") == 0) {
		if (email != NULL || role != NULL || account != NULL)
			die_usage("home member list", "takes no --email, --role or --account");
		if ((rc = home_path(path, sizeof(path), argv[optind], "/members")) != 0 ||
		    (rc = client_load(c)) != 0 ||
		    (rc = client_call(c, "GET", path, NULL, CALL_AUTH, &reply)) != 0)
			return rc;
		return print_reply(c, reply, show_members);
	}
	if (strcmp(verb, "remove") == 0) {
		if (role != NULL)
			die_usage("home member remove", "takes no --role");
		return member_remove(c, argv[optind], account, email);
	}
	if (account != NULL)
		die_usage("home member add", "takes --email, not --account");
	if (email == NULL)
		die_usage("home member", "--email is required");
	if (role != NULL && strcmp(role, "member") != 0 && strcmp(role, "owner") != 0)
		die_usage("home member", "--role is member or owner");
	if ((rc = home_path(path, sizeof(path), argv[optind], "/members")) != 0 ||
	    (rc = client_load(c)) != 0)
		return rc;
	if ((body = json_pack("{s:s,s:s}", "email", email, "role", role != NULL ? role : "member")) ==
	    NULL) {
		warnx_("--email is not UTF-8 text");
		return EXIT_INPUT;
	}
	rc = client_call(c, "POST", path, body, CALL_AUTH, &reply);
	json_decref(body);
	if (rc != 0)
		return rc;
	if (!c->json)
		printf("added %s to home %s as %s (account %lld)\n", email, argv[optind],
		       role != NULL ? role : "member",
		       (long long)json_integer_value(json_object_get(reply, "account_id")));
	return print_reply(c, reply, NULL);
}

static const char home_usage[] =
	"usage: porter home create --name N --tz ZONE [options]\n"
	"       porter home list\n"
	"       porter home show ID\n"
	"       porter home update ID [options]\n"
	"       porter home delete ID\n"
	"       porter home member add ID --email E [--role member|owner]\n"
	"       porter home member list ID\n"
	"       porter home member remove ID (--account N | --email E)\n"
	"\n"
	"Homes on porterd: each has owners (who change it) and members (who see it).\n"
	"Run 'porter home <command> --help' for the options of each.\n";

int
cmd_home(int argc, char **argv)
{
	struct client c;
	int rc;

	if (argc < 2)
		die_usage("home", "expected a command: create, list, show, update, delete, member");
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(home_usage, stdout);
		return 0;
	}
	client_init(&c);
	if (strcmp(argv[1], "create") == 0)
		rc = home_create(&c, argc - 1, argv + 1);
	else if (strcmp(argv[1], "update") == 0)
		rc = home_update(&c, argc - 1, argv + 1);
	else if (strcmp(argv[1], "list") == 0)
		rc = home_simple(&c, argc - 1, argv + 1, "home list", home_list_usage);
	else if (strcmp(argv[1], "show") == 0)
		rc = home_simple(&c, argc - 1, argv + 1, "home show", home_show_usage);
	else if (strcmp(argv[1], "delete") == 0)
		rc = home_simple(&c, argc - 1, argv + 1, "home delete", home_delete_usage);
	else if (strcmp(argv[1], "member") == 0)
		rc = home_member(&c, argc - 1, argv + 1);
	else
		die_usage("home", "unknown command '%s'", argv[1]);
	client_close(&c);
	return rc;
}

/* ---- owner keys ---- */

static void
show_key(const json_t *k)
{
	static const struct field fields[] = {
		{"id", "id", 'i'},	   {"key id", "key_id", 's'},	     {"public key", "public_key", 's'},
		{"label", "label", 's'}, {"added", "created_at", 't'}, {NULL, NULL, 0},
	};
	const json_t *by = json_object_get(k, "endorsed_by");

	print_fields(k, fields);
	/* docs/web.md: a key without a statement is trusted by no hub. */
	printf("%-12s%s\n", "endorsed by",
	       json_is_string(by) ? json_string_value(by) : "- (no hub trusts it unless it paired one)");
}

static void
show_keys(const json_t *j)
{
	const json_t *ks = json_object_get(j, "keys"), *k;
	static const char *const head[] = {"ID", "KEY ID", "PUBLIC KEY", "ADDED", "LABEL"};
	char id[24], kid[40], pk[64], added[40], label[256];
	const char *cells[5];
	struct table t;
	size_t i;

	if (json_array_size(ks) == 0) {
		printf("no owner keys: enrol one with 'porter key add'\n");
		return;
	}
	table_init(&t, 5);
	table_row(&t, head);
	json_array_foreach(ks, i, k) {
		(void)snprintf(id, sizeof(id), "%lld",
			       (long long)json_integer_value(json_object_get(k, "id")));
		cells[0] = id;
		cells[1] = client_text(json_object_get(k, "key_id"), kid, sizeof(kid));
		cells[2] = client_text(json_object_get(k, "public_key"), pk, sizeof(pk));
		cells[3] = client_time(json_object_get(k, "created_at"), added, sizeof(added));
		cells[4] = client_text(json_object_get(k, "label"), label, sizeof(label));
		table_row(&t, cells);
	}
	table_print(&t);
}

static const char key_usage[] =
	"usage: porter key add --home ID --key KEY [--label L]\n"
	"       porter key endorse --home ID --key OWNER_KEY --public-key NEW [--label L]\n"
	"                          [--print] [--yes]\n"
	"       porter key list --home ID\n"
	"\n"
	"Owner keys: the public keys porterd accepts as roots of the home's grants and\n"
	"as signers of its revocations. Only the public half is sent.\n"
	"\n"
	"add (owners only) enrols a key; list (members) shows them.\n"
	"endorse (owners only) enrols NEW with an owner statement signed here with\n"
	"OWNER_KEY: hubs that trust OWNER_KEY trust NEW from then on (a key enrolled\n"
	"with add only is trusted by no hub). porterd checks it within 10 minutes of\n"
	"signing and relays it to the home's hubs. Before signing it prints NEW's\n"
	"key id (first 8 bytes of SHA-256, computed here) and the home: compare it\n"
	"with the key id the new device shows, on a device not served by porterd.\n"
	"On a terminal it asks for confirmation unless --yes is given.\n"
	"  --home ID           the home\n"
	"  --key KEY           add: a public key (base64url), or a public or secret key\n"
	"                      file (porter keygen); of a secret key only the public\n"
	"                      half leaves this machine\n"
	"                      endorse: the secret key file of an owner key the hubs\n"
	"                      trust (the one that paired them, or one it endorsed)\n"
	"  --public-key NEW    endorse: the key to endorse (base64url, or a key file)\n"
	"  --print             endorse: only print the statement (base64url); send\n"
	"                      nothing\n"
	"  --yes               endorse: do not ask for confirmation on a terminal\n"
	"  --label L           what the key is (\"Ana's phone\"), up to 100 bytes\n" COMMON_HELP;

/* porter key endorse: a PT_ENV_OWNER statement naming NEW, signed with
 * the owner key, uploaded with NEW (docs/web.md, "Endorsing an owner key"). */
static int
key_endorse(int argc, char **argv)
{
	static const struct option opts[] = {
		{"home", required_argument, NULL, 'm'},
		{"key", required_argument, NULL, 'k'},
		{"public-key", required_argument, NULL, 'p'},
		{"label", required_argument, NULL, 'l'},
		{"print", no_argument, NULL, 'P'},
		{"yes", no_argument, NULL, 'Y'},
		COMMON_OPTS,
	};
	const char *home = NULL, *key = NULL, *pub = NULL, *label = NULL;
	char kid_hex[2 * PT_KID_LEN + 1], answer[16];
	uint8_t kid[PT_KID_LEN];
	bool yes = false;
	char path[128], text[PT_PK_TEXT_LEN + 1], b64[PT_ENVELOPE_SIZE_MAX / 3 * 4 + 8];
	uint8_t env_buf[PT_ENVELOPE_SIZE_MAX];
	struct pt_secret *s = NULL;
	struct pt_envelope e;
	struct pt_errbuf err;
	struct pt_signer sg;
	struct client c;
	json_t *body = NULL, *reply = NULL;
	size_t env_len;
	bool print = false;
	int ch, r, rc = EXIT_INPUT;

	client_init(&c);
	start_opts();
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'm': home = optarg; break;
		case 'k': key = optarg; break;
		case 'p': pub = optarg; break;
		case 'l': label = optarg; break;
		case 'P': print = true; break;
		case 'Y': yes = true; break;
		default:
			if (common_opt(&c, ch, "key", key_usage, argv))
				return 0;
		}
	}
	positional(argc, argv, 0, "key", "no arguments");
	if (home == NULL || key == NULL || pub == NULL)
		die_usage("key", "endorse: --home, --key and --public-key are required");
	if (print && label != NULL)
		die_usage("key", "endorse: --print sends nothing, so no --label");
	if (home_path(path, sizeof(path), home, "/owner-keys") != 0)
		goto out;
	memset(&e, 0, sizeof(e));
	e.kind = PT_ENV_OWNER;
	e.op = PT_OWNER_ADD;
	memcpy(e.aud, home, strlen(home) + 1);	/* length checked by home_path */
	if (pt_pubkey_parse(pub, e.target, &err) != PT_OK) {
		warnx_("--public-key: %s", err.msg);
		goto out;
	}
	e.target_len = PT_PK_LEN;
	if ((s = pt_secret_new()) == NULL || pt_keyfile_load(key, s, &err) != PT_OK) {
		warnx_("--key: %s", s == NULL ? "out of memory" : err.msg);
		goto out;
	}
	if (!print) {
		body = json_pack("{s:s}", "public_key", "");
		if (label != NULL && json_object_set_new(body, "label", json_string(label)) != 0) {
			warnx_("--label is not UTF-8 text");
			goto out;
		}
		if ((rc = client_load(&c)) != 0 || (rc = client_need(&c, true)) != 0)
			goto out;
		rc = EXIT_INPUT;
	}
	pt_signer_sodium(&sg, s);
	if (memcmp(sg.pk, e.target, PT_PK_LEN) == 0) {
		warnx_("--public-key is the key that signs: a key cannot endorse itself");
		goto out;
	}
	/* What is signed, shown first: the page that showed NEW may be
	 * porterd's (docs/web.md, "Limits"); its key id, computed here, is
	 * to be compared with the one the new device shows. */
	pt_kid(pt_crypto_sodium(), e.target, kid);
	pt_hex(kid, PT_KID_LEN, kid_hex);
	fprintf(stderr, "porter: key to endorse: key id %s, as an owner of home %s\n", kid_hex,
		home);
	if (!yes && isatty(STDIN_FILENO)) {
		fprintf(stderr, "Endorse key %s as an owner of %s? [y/N] ", kid_hex, home);
		fflush(stderr);
		if (fgets(answer, sizeof(answer), stdin) == NULL ||
		    (strcmp(answer, "y\n") != 0 && strcmp(answer, "Y\n") != 0 &&
		     strcmp(answer, "yes\n") != 0)) {
			warnx_("not endorsed");
			rc = EXIT_INPUT;
			goto out;
		}
	}
	e.iat = now_utc();
	pt_random(e.nonce, sizeof(e.nonce));
	if ((r = pt_envelope_sign(pt_crypto_sodium(), &sg, &e, env_buf, sizeof(env_buf),
				  &env_len)) != PT_OK) {
		warnx_("cannot sign the statement: %s", pt_err_text(r));
		goto out;
	}
	if (pt_b64_encode(b64, sizeof(b64), env_buf, env_len) != PT_OK) {
		warnx_("cannot encode the statement");
		goto out;
	}
	if (print) {
		printf("%s\n", b64);
		rc = 0;
		goto out;
	}
	pt_pubkey_text(e.target, text);
	if (json_object_set_new(body, "public_key", json_string(text)) != 0 ||
	    json_object_set_new(body, "statement", json_string(b64)) != 0) {
		warnx_("out of memory");
		goto out;
	}
	if ((rc = client_call(&c, "POST", path, body, CALL_AUTH, &reply)) != 0)
		goto out;
	if (!c.json)
		printf("endorsed an owner key for home %s:\n", home);
	rc = print_reply(&c, reply, show_key);
out:
	pt_secret_free(s);
	json_decref(body);
	client_close(&c);
	return rc;
}

int
cmd_key(int argc, char **argv)
{
	static const struct option opts[] = {
		{"home", required_argument, NULL, 'm'},
		{"key", required_argument, NULL, 'k'},
		{"label", required_argument, NULL, 'l'},
		COMMON_OPTS,
	};
	const char *home = NULL, *key = NULL, *label = NULL;
	char path[128], text[PT_PK_TEXT_LEN + 1];
	uint8_t pk[PT_PK_LEN];
	struct pt_errbuf err;
	struct client c;
	json_t *body = NULL, *reply = NULL;
	bool add;
	int ch, rc;

	if (argc < 2)
		die_usage("key", "expected a command: add, endorse, list");
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(key_usage, stdout);
		return 0;
	}
	if (strcmp(argv[1], "endorse") == 0)
		return key_endorse(argc - 1, argv + 1);
	if (strcmp(argv[1], "add") != 0 && strcmp(argv[1], "list") != 0)
		die_usage("key", "unknown command '%s'", argv[1]);
	add = strcmp(argv[1], "add") == 0;
	argc--;
	argv++;
	client_init(&c);
	start_opts();
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'm': home = optarg; break;
		case 'k': key = optarg; break;
		case 'l': label = optarg; break;
		default:
			if (common_opt(&c, ch, "key", key_usage, argv))
				return 0;
		}
	}
	positional(argc, argv, 0, "key", "no arguments");
	if (home == NULL || (add && key == NULL))
		die_usage("key", add ? "--home and --key are required" : "--home is required");
	if (!add && (key != NULL || label != NULL))
		die_usage("key", "list takes only --home");
	if ((rc = home_path(path, sizeof(path), home, "/owner-keys")) != 0)
		goto out;
	if (add) {
		if (pt_pubkey_parse(key, pk, &err) != PT_OK) {
			warnx_("%s", err.msg);
			rc = EXIT_INPUT;
			goto out;
		}
		pt_pubkey_text(pk, text);
		body = json_pack("{s:s}", "public_key", text);
		if (label != NULL && json_object_set_new(body, "label", json_string(label)) != 0) {
			warnx_("--label is not UTF-8 text");
			rc = EXIT_INPUT;
			goto out;
		}
	}
	if ((rc = client_load(&c)) != 0 ||
	    (rc = client_call(&c, add ? "POST" : "GET", path, body, CALL_AUTH, &reply)) != 0)
		goto out;
	if (add && !c.json)
		printf("enrolled an owner key for home %s:\n", home);
	rc = print_reply(&c, reply, add ? show_key : show_keys);
out:
	json_decref(body);
	client_close(&c);
	return rc;
}

/* ---- grants ---- */

static void
show_grant(const json_t *g)
{
	static const struct field fields[] = {
		{"id", "id", 'i'},	       {"token id", "token_id", 's'}, {"holder", "holder", 's'},
		{"purpose", "purpose", 's'}, {"links", "links", 'i'},	   {"expires", "expires_at", 'e'},
		{"label", "label", 's'},     {"uploaded", "created_at", 't'}, {NULL, NULL, 0},
	};

	print_fields(g, fields);
}

static void
show_grants(const json_t *j)
{
	const json_t *gs = json_object_get(j, "grants"), *g, *e;
	static const char *const head[] = {"ID", "TOKEN ID", "PURPOSE", "LINKS", "EXPIRES", "LABEL"};
	char id[24], cti[40], purpose[24], links[8], exp[40], label[256];
	const char *cells[6];
	struct table t;
	size_t i;

	if (json_array_size(gs) == 0) {
		printf("no grants\n");
		return;
	}
	table_init(&t, 6);
	table_row(&t, head);
	json_array_foreach(gs, i, g) {
		(void)snprintf(id, sizeof(id), "%lld",
			       (long long)json_integer_value(json_object_get(g, "id")));
		(void)snprintf(links, sizeof(links), "%lld",
			       (long long)json_integer_value(json_object_get(g, "links")));
		e = json_object_get(g, "expires_at");
		cells[0] = id;
		cells[1] = client_text(json_object_get(g, "token_id"), cti, sizeof(cti));
		cells[2] = client_text(json_object_get(g, "purpose"), purpose, sizeof(purpose));
		cells[3] = links;
		cells[4] = json_is_null(e) ? "never" : client_time(e, exp, sizeof(exp));
		cells[5] = client_text(json_object_get(g, "label"), label, sizeof(label));
		table_row(&t, cells);
	}
	table_print(&t);
}

/* POST chain to the home's grants and print the answer. */
static int
upload_chain(struct client *c, const char *home, const uint8_t *chain, size_t len,
	     const char *label)
{
	char path[128], b64[PT_CHAIN_SIZE_MAX / 3 * 4 + 8];
	json_t *body, *reply = NULL;
	int rc;

	if ((rc = home_path(path, sizeof(path), home, "/grants")) != 0)
		return rc;
	if (pt_b64_encode(b64, sizeof(b64), chain, len) != PT_OK) {
		warnx_("the chain is too large");
		return EXIT_INPUT;
	}
	body = json_pack("{s:s}", "chain", b64);
	if (label != NULL && json_object_set_new(body, "label", json_string(label)) != 0) {
		warnx_("--label is not UTF-8 text");
		json_decref(body);
		return EXIT_INPUT;
	}
	rc = client_call(c, "POST", path, body, CALL_AUTH, &reply);
	json_decref(body);
	if (rc != 0)
		return rc;
	if (!c->json)
		printf("uploaded to home %s:\n", home);
	return print_reply(c, reply, show_grant);
}

#define OPT_UPLOAD (GRANT_EXTRA_FIRST + 0)
#define OPT_LABEL (GRANT_EXTRA_FIRST + 1)
#define OPT_JSON (GRANT_EXTRA_FIRST + 2)
#define OPT_CACERT (GRANT_EXTRA_FIRST + 3)

static const char grant_create_usage[] =
	"usage: porter grant create --key OWNER_KEY --holder PUBKEY --home ID [options]\n"
	"                           (--upload | -o FILE)\n"
	"\n"
	"Sign a grant here, with the key in OWNER_KEY (which never leaves this\n"
	"machine), as 'porter grant' does, then with --upload send the signed chain to\n"
	"porterd. porterd stores it only if its root is one of the home's owner keys\n"
	"('porter key add'), every link narrows, and it is for this home and not\n"
	"expired. With -o FILE the chain is also written to FILE (before the upload).\n"
	"\n"
	"  --upload            upload the chain to the home it is for (the home of\n"
	"                      --home, or of --parent's chain)\n"
	"  --label L           a label for the uploaded grant (\"cleaner\"), up to 100 bytes\n"
	"  -o, --out FILE      also write the chain to FILE\n"
	"\n"
	"The grant's options are those of 'porter grant' (see 'porter grant --help'):\n"
	"  --key FILE, --holder KEY, --parent FILE, --home ID, --lock ID, --purpose P,\n"
	"  --not-before TIME, --expires TIME, --window START/END, --tz ZONE,\n"
	"  --weekly SPEC, --entries N, --depth N, --camera, --alarm-bypass, --duress,\n"
	"  --door-open-max DUR, --note TEXT, --unchecked\n"
	"A duress credential is best signed offline ('porter grant --duress') and not\n"
	"uploaded: anyone who reads the home's grants can see its marker\n"
	"(docs/alarm.md, \"Duress\").\n" COMMON_HELP;

struct create_ctx {
	struct client *c;
	bool upload;
	const char *label;
};

static void
create_take(void *arg, int val, const char *value)
{
	struct create_ctx *x = arg;

	switch (val) {
	case OPT_UPLOAD: x->upload = true; break;
	case OPT_LABEL: x->label = value; break;
	case OPT_JSON: x->c->json = true; break;
	case OPT_CACERT: x->c->cacert = value; break;
	case 0:	/* every option read; value is -o FILE or NULL */
		if (!x->upload && value == NULL)
			die_usage("grant create", "give --upload, -o FILE, or both");
		if (x->label != NULL && !x->upload)
			die_usage("grant create", "--label needs --upload");
		break;
	default: break;
	}
}

static int
grant_create(struct client *c, int argc, char **argv)
{
	static const struct option extra[] = {
		{"upload", no_argument, NULL, OPT_UPLOAD},
		{"label", required_argument, NULL, OPT_LABEL},
		{"json", no_argument, NULL, OPT_JSON},
		{"cacert", required_argument, NULL, OPT_CACERT},
		{NULL, 0, NULL, 0},
	};
	static struct grant_signed gs;
	struct create_ctx ctx = {c, false, NULL};
	struct grant_extra x = {"grant create", grant_create_usage, extra, create_take, &ctx};
	struct pt_errbuf err;
	char hex[2 * PT_CTI_LEN + 1];
	int rc;

	if ((rc = grant_sign_argv(argc, argv, &x, &gs)) != 0)
		return rc == GRANT_DONE ? 0 : rc;
	if (ctx.upload && ((rc = client_load(c)) != 0 || (rc = client_need(c, true)) != 0))
		return rc;
	if (gs.out != NULL) {
		if (pt_file_write(gs.out, gs.chain, gs.chain_len, 0644, &err) != PT_OK) {
			warnx_("%s", err.msg);
			return EXIT_INPUT;
		}
		pt_hex(gs.cti, PT_CTI_LEN, hex);
		if (!c->json)
			printf("wrote %s: %zu link%s, %zu bytes, token id %s\n", gs.out, gs.n_links,
			       gs.n_links > 1 ? "s" : "", gs.chain_len, hex);
	}
	if (!ctx.upload)
		return 0;
	return upload_chain(c, gs.home, gs.chain, gs.chain_len, ctx.label);
}

static const char grant_upload_usage[] =
	"usage: porter grant upload FILE [--home ID] [--label L]\n"
	"\n"
	"Upload a credential chain made offline ('porter grant') to porterd (owners\n"
	"only). porterd stores it only if its root is one of the home's owner keys,\n"
	"every link is signed by the holder before it and narrows, it is for this home\n"
	"and not expired; refusals exit with the reason's code (docs/reasons.md).\n"
	"\n"
	"  --home ID           the home (default: the chain's own)\n"
	"  --label L           a label (\"cleaner\"), up to 100 bytes\n" COMMON_HELP;

static int
grant_upload(struct client *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{"home", required_argument, NULL, 'm'},
		{"label", required_argument, NULL, 'l'},
		COMMON_OPTS,
	};
	static struct pt_chain chain;
	const char *home = NULL, *label = NULL, *file;
	struct pt_errbuf err;
	uint8_t *buf = NULL;
	size_t len;
	int ch, r, rc;

	start_opts();
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'm': home = optarg; break;
		case 'l': label = optarg; break;
		default:
			if (common_opt(c, ch, "grant upload", grant_upload_usage, argv))
				return 0;
		}
	}
	positional(argc, argv, 1, "grant upload", "one credential file");
	file = argv[optind];
	if ((r = pt_file_read(file, PT_CHAIN_SIZE_MAX, &buf, &len, &err)) != PT_OK) {
		warnx_("%s", err.msg);
		return r == PT_ETOOBIG ? pt_err_info(r)->exit_code : EXIT_INPUT;
	}
	/* Decoded here only to refuse garbage early; porterd verifies it. */
	if ((r = pt_chain_decode(buf, len, &chain)) != PT_OK) {
		warnx_("'%s' is not a valid credential: %s (%s)", file, pt_err_text(r),
		       pt_err_code(r));
		rc = pt_err_info(r)->exit_code;
		goto out;
	}
	if (home == NULL)
		home = chain.link[0].g.aud;
	if ((rc = client_load(c)) != 0)
		goto out;
	rc = upload_chain(c, home, buf, len, label);
out:
	free(buf);
	return rc;
}

/*
 * GET path's pages (?limit=200&after=<next>) until "next" is null, the
 * grants gathered into one answer of the same shape. A cursor that does
 * not move forward is a server fault (exit 1), not a loop.
 */
static int
grants_all(struct client *c, const char *path)
{
	char url[192];
	json_t *all = json_array(), *page = NULL, *next;
	long long after = 0, cur;
	const char *txt;
	char *end;
	int rc;

	if (!c->loaded && (rc = client_load(c)) != 0)
		goto out;
	for (;;) {
		if (snprintf(url, sizeof(url), "%s?limit=200&after=%lld", path, after) >=
		    (int)sizeof(url)) {
			rc = EXIT_INPUT;
			goto out;
		}
		if ((rc = client_call(c, "GET", url, NULL, CALL_AUTH, &page)) != 0)
			goto out;
		if (!json_is_array(json_object_get(page, "grants")) ||
		    json_array_extend(all, json_object_get(page, "grants")) != 0) {
			warnx_("the server's answer has no grants list");
			rc = 1;
			goto out;
		}
		next = json_object_get(page, "next");
		if (json_is_null(next))
			break;
		txt = json_string_value(next);
		errno = 0;
		cur = txt != NULL ? strtoll(txt, &end, 10) : 0;
		if (txt == NULL || *txt == '\0' || *end != '\0' || errno != 0 || cur <= after) {
			warnx_("the server's 'next' cursor does not move forward");
			rc = 1;
			goto out;
		}
		after = cur;
		json_decref(page);
		page = NULL;
	}
	json_decref(page);
	page = json_pack("{s:O,s:n}", "grants", all, "next");
	rc = print_reply(c, page, show_grants);
	page = NULL;
out:
	json_decref(page);
	json_decref(all);
	return rc;
}

static const char grant_list_usage[] =
	"usage: porter grant list --home ID\n"
	"\n"
	"List the grants uploaded for a home (members), oldest first: every page\n"
	"the server answers, followed to the last. With --json each comes with its\n"
	"chain (base64url), all in one {\"grants\": [...], \"next\": null}.\n"
	"\n"
	"  --home ID           the home\n" COMMON_HELP;

static int
grant_list(struct client *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{"home", required_argument, NULL, 'm'},
		COMMON_OPTS,
	};
	const char *home = NULL;
	char path[128];
	int ch, rc;

	start_opts();
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (ch == 'm')
			home = optarg;
		else if (common_opt(c, ch, "grant list", grant_list_usage, argv))
			return 0;
	}
	positional(argc, argv, 0, "grant list", "no arguments");
	if (home == NULL)
		die_usage("grant list", "--home is required");
	if ((rc = home_path(path, sizeof(path), home, "/grants")) != 0)
		return rc;
	return grants_all(c, path);
}

int
cmd_grant_client(int argc, char **argv)
{
	struct client c;
	int rc;

	client_init(&c);
	if (strcmp(argv[1], "create") == 0)
		rc = grant_create(&c, argc - 1, argv + 1);
	else if (strcmp(argv[1], "upload") == 0)
		rc = grant_upload(&c, argc - 1, argv + 1);
	else
		rc = grant_list(&c, argc - 1, argv + 1);
	client_close(&c);
	return rc;
}

/* ---- revocations ---- */

static int
hex_parse(const char *s, uint8_t *out, size_t len)
{
	size_t i;
	int hi = 0, lo;

	if (strlen(s) != 2 * len)
		return -1;
	for (i = 0; i < 2 * len; i++) {
		char ch = s[i];
		int v = ch >= '0' && ch <= '9'	 ? ch - '0'
			: ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
			: ch >= 'A' && ch <= 'F' ? ch - 'A' + 10
						 : -1;
		if (v < 0)
			return -1;
		if (i % 2 == 0) {
			hi = v;
		} else {
			lo = v;
			out[i / 2] = (uint8_t)(hi << 4 | lo);
		}
	}
	return 0;
}

static void
show_revocation(const json_t *v)
{
	static const struct field fields[] = {
		{"version", "version", 'i'}, {"kind", "kind", 's'},		{"target", "target", 's'},
		{"stored", "created_at", 't'}, {NULL, NULL, 0},
	};

	print_fields(v, fields);
}

static const char revoke_usage[] =
	"usage: porter revoke --home ID --signer OWNER_KEY (--token HEX | --key PUBKEY)\n"
	"\n"
	"Revoke a credential, or every credential a key holds or issued, at a home's\n"
	"hubs. The revocation is signed here with OWNER_KEY (an owner key enrolled for\n"
	"the home: 'porter key add'), dated now, and uploaded (owners only); hubs\n"
	"fetch it from porterd. It can only be stored within 5 minutes of signing.\n"
	"\n"
	"  --home ID           the home\n"
	"  --signer FILE       the owner's secret key file\n"
	"  --token HEX         the token id to revoke (32 hex digits: 'porter grant\n"
	"                      list' shows them)\n"
	"  --key PUBKEY        a key to revoke (base64url, or a key file): every chain\n"
	"                      with a link issued to or by it stops working\n" COMMON_HELP;

int
cmd_revoke(int argc, char **argv)
{
	static const struct option opts[] = {
		{"home", required_argument, NULL, 'm'},
		{"signer", required_argument, NULL, 's'},
		{"token", required_argument, NULL, 't'},
		{"key", required_argument, NULL, 'k'},
		COMMON_OPTS,
	};
	const char *home = NULL, *signer = NULL, *token = NULL, *key = NULL;
	char path[128], b64[PT_ENVELOPE_SIZE_MAX / 3 * 4 + 8];
	uint8_t env_buf[PT_ENVELOPE_SIZE_MAX];
	struct pt_secret *s = NULL;
	struct pt_envelope e;
	struct pt_errbuf err;
	struct pt_signer sg;
	struct client c;
	json_t *body = NULL, *reply = NULL;
	size_t env_len;
	int ch, r, rc = EXIT_INPUT;

	client_init(&c);
	start_opts();
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'm': home = optarg; break;
		case 's': signer = optarg; break;
		case 't': token = optarg; break;
		case 'k': key = optarg; break;
		default:
			if (common_opt(&c, ch, "revoke", revoke_usage, argv))
				return 0;
		}
	}
	positional(argc, argv, 0, "revoke", "no arguments");
	if (home == NULL || signer == NULL)
		die_usage("revoke", "--home and --signer are required");
	if ((token == NULL) == (key == NULL))
		die_usage("revoke", "give one of --token and --key");
	if (home_path(path, sizeof(path), home, "/revocations") != 0)
		goto out;
	memset(&e, 0, sizeof(e));
	e.kind = PT_ENV_REVOCATION;
	memcpy(e.aud, home, strlen(home) + 1);	/* length checked by home_path */
	if (token != NULL) {
		if (hex_parse(token, e.target, PT_CTI_LEN) != 0) {
			warnx_("--token '%s' is not a token id (32 hex digits)", token);
			goto out;
		}
		e.op = PT_REVOKE_TOKEN;
		e.target_len = PT_CTI_LEN;
	} else {
		if (pt_pubkey_parse(key, e.target, &err) != PT_OK) {
			warnx_("--key: %s", err.msg);
			goto out;
		}
		e.op = PT_REVOKE_KEY;
		e.target_len = PT_PK_LEN;
	}
	if ((rc = client_load(&c)) != 0 || (rc = client_need(&c, true)) != 0)
		goto out;
	rc = EXIT_INPUT;
	if ((s = pt_secret_new()) == NULL || pt_keyfile_load(signer, s, &err) != PT_OK) {
		warnx_("%s", s == NULL ? "out of memory" : err.msg);
		goto out;
	}
	pt_signer_sodium(&sg, s);
	e.iat = now_utc();
	pt_random(e.nonce, sizeof(e.nonce));
	if ((r = pt_envelope_sign(pt_crypto_sodium(), &sg, &e, env_buf, sizeof(env_buf),
				  &env_len)) != PT_OK) {
		warnx_("cannot sign the revocation: %s", pt_err_text(r));
		goto out;
	}
	if (pt_b64_encode(b64, sizeof(b64), env_buf, env_len) != PT_OK) {
		warnx_("cannot encode the revocation");
		goto out;
	}
	body = json_pack("{s:s}", "revocation", b64);
	if ((rc = client_call(&c, "POST", path, body, CALL_AUTH, &reply)) != 0)
		goto out;
	if (!c.json)
		printf("revoked in home %s:\n", home);
	rc = print_reply(&c, reply, show_revocation);
out:
	pt_secret_free(s);
	json_decref(body);
	client_close(&c);
	return rc;
}

static void
show_revocations(const json_t *j)
{
	const json_t *vs = json_object_get(j, "revocations"), *v;
	static const char *const head[] = {"VERSION", "KIND", "TARGET", "STORED"};
	char ver[24], kind[16], target[80], at[40];
	const char *cells[4];
	struct table t;
	size_t i;

	printf("version %lld\n", (long long)json_integer_value(json_object_get(j, "version")));
	if (json_array_size(vs) == 0) {
		printf("no revocations\n");
		return;
	}
	table_init(&t, 4);
	table_row(&t, head);
	json_array_foreach(vs, i, v) {
		(void)snprintf(ver, sizeof(ver), "%lld",
			       (long long)json_integer_value(json_object_get(v, "version")));
		cells[0] = ver;
		cells[1] = client_text(json_object_get(v, "kind"), kind, sizeof(kind));
		cells[2] = client_text(json_object_get(v, "target"), target, sizeof(target));
		cells[3] = client_time(json_object_get(v, "created_at"), at, sizeof(at));
		table_row(&t, cells);
	}
	table_print(&t);
}

static const char revocations_usage[] =
	"usage: porter revocations --home ID [--since N]\n"
	"\n"
	"List a home's revocations (members), oldest first, at most 1024 per answer,\n"
	"and the latest version. With --json each comes with its signed envelope.\n"
	"\n"
	"  --home ID           the home\n"
	"  --since N           only versions above N (default 0: all)\n" COMMON_HELP;

int
cmd_revocations(int argc, char **argv)
{
	static const struct option opts[] = {
		{"home", required_argument, NULL, 'm'},
		{"since", required_argument, NULL, 's'},
		COMMON_OPTS,
	};
	const char *home = NULL, *since = NULL;
	char path[160], sub[64];
	struct client c;
	uint64_t v;
	int ch, rc;

	client_init(&c);
	start_opts();
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'm': home = optarg; break;
		case 's': since = optarg; break;
		default:
			if (common_opt(&c, ch, "revocations", revocations_usage, argv))
				return 0;
		}
	}
	positional(argc, argv, 0, "revocations", "no arguments");
	if (home == NULL)
		die_usage("revocations", "--home is required");
	if (since != NULL && pt_uint_parse(since, 0, (uint64_t)INT64_MAX, &v) != PT_OK)
		die_usage("revocations", "--since is a version number");
	(void)snprintf(sub, sizeof(sub), "/revocations%s%s", since != NULL ? "?since=" : "",
		       since != NULL ? since : "");
	if ((rc = home_path(path, sizeof(path), home, sub)) == 0)
		rc = call_show(&c, "GET", path, NULL, NULL, show_revocations);
	client_close(&c);
	return rc;
}
