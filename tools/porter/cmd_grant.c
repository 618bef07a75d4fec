/*
 * porter keygen, pubkey, grant.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "porter/crypto.h"
#include "porter/keyfile.h"
#include "porter/text.h"
#include "porter.h"

static const char keygen_usage[] =
	"usage: porter keygen [-o FILE] [--force]\n"
	"\n"
	"Make an Ed25519 key pair. The secret key goes to FILE (default porter.key)\n"
	"with mode 0600; the public key to FILE.pub, and is printed on stdout.\n"
	"Refuses to replace an existing FILE unless --force is given.\n";

int
cmd_keygen(int argc, char **argv)
{
	static const struct option opts[] = {
		{"out", required_argument, NULL, 'o'},
		{"force", no_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *out = "porter.key";
	char text[PT_PK_TEXT_LEN + 1];
	struct pt_errbuf err;
	struct pt_secret *s;
	uint8_t pk[PT_PK_LEN];
	bool force = false;
	int c, r;

	optind = 1;
	while ((c = getopt_long(argc, argv, "o:fh", opts, NULL)) != -1) {
		switch (c) {
		case 'o': out = optarg; break;
		case 'f': force = true; break;
		case 'h': fputs(keygen_usage, stdout); return 0;
		default: die_usage("keygen", "bad option");
		}
	}
	if (optind != argc)
		die_usage("keygen", "unexpected argument '%s'", argv[optind]);
	if ((s = pt_secret_new()) == NULL) {
		warnx_("out of memory");
		return EXIT_INPUT;
	}
	if ((r = pt_secret_generate(s)) != PT_OK ||
	    (r = pt_keyfile_save(out, s, force, &err)) != PT_OK) {
		if (r == PT_ECRYPTO)
			warnx_("cannot make a key: %s", pt_err_text(r));
		else
			warnx_("%s", err.msg);
		pt_secret_free(s);
		return EXIT_INPUT;
	}
	pt_secret_public(s, pk);
	pt_secret_free(s);
	pt_pubkey_text(pk, text);
	printf("%s\n", text);
	return 0;
}

int
cmd_pubkey(int argc, char **argv)
{
	char text[PT_PK_TEXT_LEN + 1];
	struct pt_errbuf err;
	uint8_t pk[PT_PK_LEN];

	if (argc == 2 && strcmp(argv[1], "--help") == 0) {
		fputs("usage: porter pubkey KEYFILE\n\nPrint the public key of a secret or "
		      "public key file, as base64url.\n", stdout);
		return 0;
	}
	if (argc != 2)
		die_usage("pubkey", "expected one key file");
	if (pt_pubkey_parse(argv[1], pk, &err) != PT_OK) {
		warnx_("%s", err.msg);
		return EXIT_INPUT;
	}
	pt_pubkey_text(pk, text);
	printf("%s\n", text);
	return 0;
}

static const char grant_usage[] =
	"usage: porter grant --key ISSUER_KEY --holder PUBKEY -o FILE [options]\n"
	"\n"
	"Sign a grant. Without --parent it is a root grant: ISSUER_KEY must be an\n"
	"owner key the hub trusts. With --parent CHAIN it is a delegation appended\n"
	"to CHAIN: ISSUER_KEY must be the key CHAIN's last link names as holder,\n"
	"and the new link may only narrow (checked before signing).\n"
	"\n"
	"  --key FILE             issuer's secret key file\n"
	"  --holder KEY           holder's public key (base64url or key file)\n"
	"  -o, --out FILE         where to write the credential chain (CBOR)\n"
	"  --parent FILE          delegate from this chain\n"
	"  --home ID              home id (default with --parent: the parent's)\n"
	"  --lock ID              a lock it opens; repeat; none = every lock\n"
	"  --purpose P            resident, guest, service or delivery\n"
	"  --not-before TIME      TIME: 2026-11-25T09:00:00Z, @UNIX, now, +2h, -1d\n"
	"  --expires TIME         required for all but residents\n"
	"  --window START/END     an absolute window; repeat\n"
	"  --tz ZONE              IANA zone of --weekly, e.g. Europe/Berlin\n"
	"  --weekly SPEC          e.g. 'mon-fri 09:00-12:00', 'sat,sun 10:00-14:00'\n"
	"  --entries N            entries allowed (default: unlimited, residents only)\n"
	"  --depth N              further delegations allowed below (0..3, default 0)\n"
	"  --camera               refuse unless the camera is healthy\n"
	"  --alarm-bypass         keep the alarm armed, bypass only the entry zone\n"
	"  --duress               an owner's duress credential: opens as asked and\n"
	"                         silently alerts the other owners (resident root\n"
	"                         grants only, depth 0; docs/alarm.md)\n"
	"  --door-open-max DUR    longest the door may stand open (90, 2m)\n"
	"  --note TEXT            shown to the holder at the door\n"
	"  --unchecked            sign even if it widens the parent (to test hubs)\n"
	"\n"
	"To sign and upload to porterd in one step: 'porter grant create --upload';\n"
	"see also 'porter grant upload' and 'porter grant list'.\n";

struct grant_opts {
	const char *key, *holder, *out, *parent, *home, *purpose, *nbf, *exp, *tz, *note;
	const char *entries, *depth, *door;
	const char *locks[PT_LOCKS_MAX + 1];
	const char *windows[PT_WINDOWS_MAX + 1];
	const char *weekly[PT_WEEKLY_MAX + 1];
	size_t n_locks, n_windows, n_weekly;
	bool camera, alarm, duress, unchecked;
};

static int
lock_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

static int
copy_id(char *dst, const char *src, const char *what)
{
	size_t n = strlen(src);

	if (n == 0 || n > PT_ID_MAX) {
		warnx_("%s '%s' must be 1 to %d characters", what, src, PT_ID_MAX);
		return -1;
	}
	memcpy(dst, src, n + 1);
	return 0;
}

/* Fill g from options (and the parent's link, when delegating). */
static int
build_grant(const struct grant_opts *o, const struct pt_grant *parent, struct pt_grant *g)
{
	struct pt_schedule *s = &g->sched;
	struct pt_errbuf err;
	int64_t now = now_utc(), secs;
	uint64_t v;
	size_t i;

	memset(g, 0, sizeof(*g));
	if (pt_pubkey_parse(o->holder, g->holder, &err) != PT_OK) {
		warnx_("--holder: %s", err.msg);
		return -1;
	}
	pt_random(g->cti, PT_CTI_LEN);
	g->has_iat = true;
	g->iat = now;
	if (o->home != NULL) {
		if (copy_id(g->aud, o->home, "home id") != 0)
			return -1;
	} else if (parent != NULL) {
		memcpy(g->aud, parent->aud, sizeof(g->aud));
	} else {
		warnx_("--home is required for a root grant");
		return -1;
	}
	if (o->purpose != NULL) {
		if (pt_purpose_parse(o->purpose, &g->purpose) != PT_OK) {
			warnx_("--purpose '%s': use resident, guest, service or delivery", o->purpose);
			return -1;
		}
	} else if (parent != NULL) {
		g->purpose = parent->purpose;
	} else {
		warnx_("--purpose is required for a root grant");
		return -1;
	}
	for (i = 0; i < o->n_locks; i++)
		if (copy_id(g->locks[i], o->locks[i], "lock id") != 0)
			return -1;
	g->n_locks = (uint8_t)o->n_locks;
	if (g->n_locks == 0 && parent != NULL) {
		g->n_locks = parent->n_locks;
		memcpy(g->locks, parent->locks, sizeof(g->locks));
	}
	qsort(g->locks, g->n_locks, sizeof(g->locks[0]), lock_cmp);
	if (o->nbf != NULL) {
		if (pt_time_parse(o->nbf, now, &g->nbf) != PT_OK) {
			warnx_("--not-before '%s' is not a time", o->nbf);
			return -1;
		}
		g->has_nbf = true;
	} else if (parent != NULL && parent->has_nbf) {
		g->has_nbf = true;
		g->nbf = parent->nbf;
	}
	if (o->exp != NULL) {
		if (pt_time_parse(o->exp, now, &g->exp) != PT_OK) {
			warnx_("--expires '%s' is not a time", o->exp);
			return -1;
		}
		g->has_exp = true;
	} else if (parent != NULL && parent->has_exp) {
		g->has_exp = true;
		g->exp = parent->exp;
	}
	for (i = 0; i < o->n_windows; i++) {
		char buf[128];
		char *slash;
		size_t wl = strlen(o->windows[i]);
		if (wl >= sizeof(buf) ||
		    (slash = strchr(memcpy(buf, o->windows[i], wl + 1), '/')) == NULL) {
			warnx_("--window '%s': use START/END", o->windows[i]);
			return -1;
		}
		*slash = '\0';
		if (pt_time_parse(buf, now, &s->windows[i].start) != PT_OK ||
		    pt_time_parse(slash + 1, now, &s->windows[i].end) != PT_OK) {
			warnx_("--window '%s': START and END must be times", o->windows[i]);
			return -1;
		}
	}
	s->n_windows = (uint8_t)o->n_windows;
	for (i = 0; i < o->n_weekly; i++) {
		if (pt_weekly_parse(o->weekly[i], &s->weekly[i]) != PT_OK) {
			warnx_("--weekly '%s': use e.g. 'mon-fri 09:00-12:00'", o->weekly[i]);
			return -1;
		}
	}
	s->n_weekly = (uint8_t)o->n_weekly;
	if (o->tz != NULL) {
		if (strlen(o->tz) > PT_TZNAME_MAX) {
			warnx_("--tz '%s' is too long", o->tz);
			return -1;
		}
		memcpy(s->tz, o->tz, strlen(o->tz) + 1);
	}
	if (s->n_weekly == 0 && parent != NULL && parent->sched.n_weekly > 0) {
		s->n_weekly = parent->sched.n_weekly;
		memcpy(s->weekly, parent->sched.weekly, sizeof(s->weekly));
		if (o->tz == NULL)
			memcpy(s->tz, parent->sched.tz, sizeof(s->tz));
	}
	if (s->n_weekly > 0 && s->tz[0] == '\0') {
		warnx_("--weekly needs --tz (the home's IANA time zone)");
		return -1;
	}
	if (o->entries != NULL) {
		if (pt_uint_parse(o->entries, 1, PT_ENTRIES_MAX, &v) != PT_OK) {
			warnx_("--entries '%s': a number from 1 to %u", o->entries, PT_ENTRIES_MAX);
			return -1;
		}
		g->has_entries = true;
		g->entries = (uint32_t)v;
	} else if (parent != NULL && parent->has_entries) {
		g->has_entries = true;
		g->entries = parent->entries;
	}
	if (o->depth != NULL) {
		if (pt_uint_parse(o->depth, 0, PT_DEPTH_MAX, &v) != PT_OK) {
			warnx_("--depth '%s': a number from 0 to %d", o->depth, PT_DEPTH_MAX);
			return -1;
		}
		g->depth = (uint8_t)v;
	}
	g->cond = (o->camera ? PT_COND_CAMERA : 0) | (o->alarm ? PT_COND_ALARM_BYPASS : 0) |
		  (parent != NULL ? parent->cond : 0);
	if (o->door != NULL) {
		if (pt_duration_parse(o->door, &secs) != PT_OK || secs < 1 ||
		    secs > PT_DOOR_OPEN_MAX) {
			warnx_("--door-open-max '%s': 1 s to 24 h", o->door);
			return -1;
		}
		g->has_door_open = true;
		g->door_open_max = (uint32_t)secs;
	} else if (parent != NULL && parent->has_door_open) {
		g->has_door_open = true;
		g->door_open_max = parent->door_open_max;
	}
	g->duress = o->duress;
	if (o->note != NULL) {
		if (strlen(o->note) > PT_NOTE_MAX) {
			warnx_("--note is longer than %d bytes", PT_NOTE_MAX);
			return -1;
		}
		memcpy(g->note, o->note, strlen(o->note) + 1);
	}
	return 0;
}

static const char *
grant_problem(const struct pt_grant *g)
{
	if (g->purpose != PT_PURPOSE_RESIDENT && !g->has_exp)
		return "only residents may have no --expires";
	if (g->purpose == PT_PURPOSE_DELIVERY && !g->has_entries)
		return "a delivery needs --entries";
	if (g->has_nbf && g->has_exp && g->nbf >= g->exp)
		return "--not-before must be before --expires";
	for (size_t i = 1; i < g->n_locks; i++)
		if (strcmp(g->locks[i - 1], g->locks[i]) == 0)
			return "a --lock is given twice";
	return "a value is out of range (ids: letters, digits, '.', '_', '-'; windows in order "
	       "and not overlapping; note: printable text)";
}

/* The long options of `porter grant`, and room for a caller's extra ones. */
#define GRANT_OPTS_MAX 40

int
grant_sign_argv(int argc, char **argv, const struct grant_extra *x, struct grant_signed *gs)
{
	static const struct option base_opts[] = {
		{"key", required_argument, NULL, 'k'},
		{"holder", required_argument, NULL, 'H'},
		{"out", required_argument, NULL, 'o'},
		{"parent", required_argument, NULL, 'p'},
		{"home", required_argument, NULL, 'm'},
		{"lock", required_argument, NULL, 'l'},
		{"purpose", required_argument, NULL, 'P'},
		{"not-before", required_argument, NULL, 'n'},
		{"expires", required_argument, NULL, 'e'},
		{"window", required_argument, NULL, 'w'},
		{"tz", required_argument, NULL, 'z'},
		{"weekly", required_argument, NULL, 'W'},
		{"entries", required_argument, NULL, 'E'},
		{"depth", required_argument, NULL, 'd'},
		{"camera", no_argument, NULL, 'c'},
		{"alarm-bypass", no_argument, NULL, 'a'},
		{"duress", no_argument, NULL, 'R'},
		{"door-open-max", required_argument, NULL, 'D'},
		{"note", required_argument, NULL, 'N'},
		{"unchecked", no_argument, NULL, 'U'},
		{"help", no_argument, NULL, 'h'},
	};
	static struct pt_chain parent_chain;
	static uint8_t link[PT_LINK_SIZE_MAX];
	struct option opts[GRANT_OPTS_MAX];
	const char *cmd = x != NULL ? x->cmd : "grant";
	const struct pt_grant *parent = NULL;
	struct grant_opts o;
	struct pt_signer sg;
	struct pt_errbuf err;
	struct pt_secret *s = NULL;
	struct pt_grant g;
	uint8_t *pbuf = NULL;
	size_t plen = 0, link_len, n_opts = 0, i;
	int c, r, rc = EXIT_INPUT;

	memset(gs, 0, sizeof(*gs));
	for (i = 0; i < sizeof(base_opts) / sizeof(base_opts[0]); i++)
		opts[n_opts++] = base_opts[i];
	for (i = 0; x != NULL && x->opts[i].name != NULL && n_opts < GRANT_OPTS_MAX - 1; i++)
		opts[n_opts++] = x->opts[i];
	memset(&opts[n_opts], 0, sizeof(opts[n_opts]));

	memset(&o, 0, sizeof(o));
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'k': o.key = optarg; break;
		case 'H': o.holder = optarg; break;
		case 'o': o.out = optarg; break;
		case 'p': o.parent = optarg; break;
		case 'm': o.home = optarg; break;
		case 'l':
			if (o.n_locks == PT_LOCKS_MAX)
				die_usage(cmd, "at most %d --lock", PT_LOCKS_MAX);
			o.locks[o.n_locks++] = optarg;
			break;
		case 'P': o.purpose = optarg; break;
		case 'n': o.nbf = optarg; break;
		case 'e': o.exp = optarg; break;
		case 'w':
			if (o.n_windows == PT_WINDOWS_MAX)
				die_usage(cmd, "at most %d --window", PT_WINDOWS_MAX);
			o.windows[o.n_windows++] = optarg;
			break;
		case 'z': o.tz = optarg; break;
		case 'W':
			if (o.n_weekly == PT_WEEKLY_MAX)
				die_usage(cmd, "at most %d --weekly", PT_WEEKLY_MAX);
			o.weekly[o.n_weekly++] = optarg;
			break;
		case 'E': o.entries = optarg; break;
		case 'd': o.depth = optarg; break;
		case 'c': o.camera = true; break;
		case 'a': o.alarm = true; break;
		case 'R': o.duress = true; break;
		case 'D': o.door = optarg; break;
		case 'N': o.note = optarg; break;
		case 'U': o.unchecked = true; break;
		case 'h': fputs(x != NULL ? x->usage : grant_usage, stdout); return GRANT_DONE;
		default:
			if (x != NULL && c >= GRANT_EXTRA_FIRST) {
				x->take(x->ctx, c, optarg);
				break;
			}
			die_usage(cmd, "bad option");
		}
	}
	if (optind != argc)
		die_usage(cmd, "unexpected argument '%s'", argv[optind]);
	if (o.key == NULL || o.holder == NULL || (o.out == NULL && x == NULL))
		die_usage(cmd, "%s", x != NULL ? "--key and --holder are required" :
						 "--key, --holder and --out are required");
	if (x != NULL)
		x->take(x->ctx, 0, o.out);
	gs->out = o.out;

	if (o.parent != NULL) {
		if ((r = pt_file_read(o.parent, PT_CHAIN_SIZE_MAX, &pbuf, &plen, &err)) != PT_OK) {
			warnx_("%s", err.msg);
			goto out;
		}
		if ((r = pt_chain_decode(pbuf, plen, &parent_chain)) != PT_OK) {
			warnx_("'%s' is not a credential: %s", o.parent, pt_err_text(r));
			goto out;
		}
		parent = &parent_chain.link[parent_chain.n - 1].g;
	}
	if (o.duress && !o.unchecked &&
	    (parent != NULL || o.purpose == NULL || strcmp(o.purpose, "resident") != 0 ||
	     (o.depth != NULL && strcmp(o.depth, "0") != 0))) {
		warnx_("--duress is for an owner's own root grant: --purpose resident, no --parent, "
		       "depth 0");
		goto out;
	}
	if (build_grant(&o, parent, &g) != 0)
		goto out;
	if ((s = pt_secret_new()) == NULL || pt_keyfile_load(o.key, s, &err) != PT_OK) {
		warnx_("%s", s == NULL ? "out of memory" : err.msg);
		goto out;
	}
	pt_signer_sodium(&sg, s);
	if (parent != NULL && memcmp(sg.pk, parent->holder, PT_PK_LEN) != 0 && !o.unchecked) {
		warnx_("'%s' is not the holder key of '%s': only its holder can delegate it", o.key,
		       o.parent);
		goto out;
	}
	if (pt_grant_check(&g) != PT_OK) {
		warnx_("cannot make this grant: %s", grant_problem(&g));
		goto out;
	}
	if (parent != NULL && !o.unchecked && pt_grant_narrows(parent, &g) != PT_OK) {
		warnx_("refusing to sign: the new link would grant more than '%s' (%s); every "
		       "delegation may only narrow: depth, window, schedule, entries, locks, conditions",
		       o.parent, pt_err_code(PT_EWIDENED));
		rc = pt_err_info(PT_EWIDENED)->exit_code;
		goto out;
	}
	if ((r = pt_grant_sign(pt_crypto_sodium(), &sg, &g, link, sizeof(link), &link_len)) != PT_OK) {
		warnx_("cannot sign the grant: %s", pt_err_text(r));
		goto out;
	}
	if ((r = pt_chain_append(pbuf, plen, link, link_len, gs->chain, sizeof(gs->chain),
				 &gs->chain_len)) != PT_OK) {
		warnx_("cannot add the link: %s", pt_err_text(r));
		rc = r == PT_ECHAINLEN ? pt_err_info(r)->exit_code : EXIT_INPUT;
		goto out;
	}
	gs->n_links = parent != NULL ? (size_t)parent_chain.n + 1 : 1;
	memcpy(gs->cti, g.cti, PT_CTI_LEN);
	memcpy(gs->home, g.aud, sizeof(gs->home));
	rc = 0;
out:
	pt_secret_free(s);
	free(pbuf);
	return rc;
}

int
cmd_grant(int argc, char **argv)
{
	static struct grant_signed gs;
	struct pt_errbuf err;
	char hex[2 * PT_CTI_LEN + 1];
	int rc;

	if ((rc = grant_sign_argv(argc, argv, NULL, &gs)) != 0)
		return rc == GRANT_DONE ? 0 : rc;
	if (pt_file_write(gs.out, gs.chain, gs.chain_len, 0644, &err) != PT_OK) {
		warnx_("%s", err.msg);
		return EXIT_INPUT;
	}
	pt_hex(gs.cti, PT_CTI_LEN, hex);
	printf("wrote %s: %zu link%s, %zu bytes, token id %s\n", gs.out, gs.n_links,
	       gs.n_links > 1 ? "s" : "", gs.chain_len, hex);
	return 0;
}
