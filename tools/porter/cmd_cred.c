/*
 * porter cred inspect | verify.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "porter/crypto.h"
#include "porter/decide.h"
#include "porter/keyfile.h"
#include "porter/text.h"
#include "porter/tz.h"
#include "porter.h"

#define TRUST_MAX 16

static const char cred_usage[] =
	"usage: porter cred inspect FILE\n"
	"       porter cred verify FILE --trust PUBKEY... --hub ID --lock ID [options]\n"
	"\n"
	"inspect prints the chain as JSON. It does not check signatures: never trust\n"
	"what it shows without 'verify'.\n"
	"\n"
	"verify runs the hub's decision engine offline, as the hub HUB would for lock\n"
	"LOCK, and exits 0 only if it grants.\n"
	"  --trust KEY         an owner key the hub trusts (repeat)\n"
	"  --hub ID            the hub's id (bound into the holder's proof)\n"
	"  --lock ID           the lock to open\n"
	"  --home ID           the home (default: the credential's own, unchecked)\n"
	"  --at TIME           decide at TIME instead of now (2026-11-25T09:00:00Z,\n"
	"                      @UNIX, +2h)\n"
	"  --holder-key FILE   the holder's secret key: also prove possession, as a\n"
	"                      device does at the door; without it, possession is not\n"
	"                      checked and a copied credential would pass this check\n"
	"  --tz ZONE           the home's IANA time zone (default: the credential's)\n"
	"  --zoneinfo DIR      where time zone files are (default /usr/share/zoneinfo)\n"
	"\n"
	"The camera, alarm and door are taken to be ready; the hub checks them live.\n"
	"Exit status: 0 grant; 1 usage; 2 unreadable input; 10 + n refused with\n"
	"reason n (docs/reasons.md).\n";

static int
load_chain(const char *path, uint8_t **buf, size_t *len)
{
	struct pt_errbuf err;
	int r;

	/* Read a little more than the protocol allows, to say "too large". */
	if ((r = pt_file_read(path, PT_CHAIN_SIZE_MAX, buf, len, &err)) != PT_OK) {
		warnx_("%s", err.msg);
		return r == PT_ETOOBIG ? pt_err_info(r)->exit_code : EXIT_INPUT;
	}
	return 0;
}

static int
inspect(const char *path)
{
	static struct pt_chain c;
	uint8_t *buf = NULL;
	size_t len;
	json_t *j;
	int r, rc;

	if ((rc = load_chain(path, &buf, &len)) != 0)
		return rc;
	if ((r = pt_chain_decode(buf, len, &c)) != PT_OK) {
		warnx_("'%s' is not a valid credential: %s (%s)", path, pt_err_text(r), pt_err_code(r));
		free(buf);
		return pt_err_info(r)->exit_code;
	}
	j = chain_to_json(&c, buf, len);
	json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', stdout);
	json_decref(j);
	free(buf);
	return 0;
}

static int
load_zone(const char *dir, const char *zone, struct pt_tz *tz)
{
	struct pt_errbuf err;
	char path[512];
	uint8_t *buf = NULL;
	size_t len;
	int n, r;

	if (!pt_tzname_is_valid(zone, strlen(zone))) {
		warnx_("'%s' is not an IANA time zone name", zone);
		return -1;
	}
	n = snprintf(path, sizeof(path), "%s/%s", dir, zone);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		warnx_("time zone path too long");
		return -1;
	}
	if (pt_file_read(path, PT_TZ_FILE_MAX, &buf, &len, &err) != PT_OK) {
		warnx_("unknown time zone '%s': %s", zone, err.msg);
		return -1;
	}
	r = pt_tz_parse_tzif(tz, buf, len);
	free(buf);
	if (r != PT_OK) {
		warnx_("cannot read time zone '%s': %s", path, pt_err_text(r));
		return -1;
	}
	return 0;
}

static void
print_decision(const struct pt_decision *d, const struct pt_chain *c, bool proven)
{
	char tbuf[40];
	uint8_t i;

	if (d->reason == PT_OK) {
		printf("decision: grant\n");
		printf("purpose: %s\n", pt_purpose_name(d->purpose));
		printf("conditions:%s%s%s\n", d->cond == 0 ? " none" : "",
		       (d->cond & PT_COND_CAMERA) ? " camera" : "",
		       (d->cond & PT_COND_ALARM_BYPASS) ? " alarm-bypass" : "");
		if (d->door_open_max != 0)
			printf("door may stand open: %u s\n", d->door_open_max);
		printf("entries charged: %u token id%s\n", d->n_charge, d->n_charge == 1 ? "" : "s");
		if (c->link[c->n - 1].g.has_exp) {
			pt_time_format(c->link[c->n - 1].g.exp, tbuf, sizeof(tbuf));
			printf("valid until: %s\n", tbuf);
		}
		printf("proof of possession: %s\n",
		       proven ? "checked (signed a fresh challenge with --holder-key)"
			      : "NOT checked (no --holder-key): a copy of this credential passes "
				"this check, never the hub's");
	} else {
		printf("decision: deny\n");
		printf("reason: %s", pt_err_code(d->reason));
		if (d->link >= 0)
			printf(" (link %d of %u)", d->link + 1, c->n ? c->n : 0);
		printf(": %s\n", pt_err_text(d->reason));
	}
	for (i = 0; i < c->n; i++)
		if (c->link[i].g.note[0] != '\0')
			printf("note for the holder: %s\n", c->link[i].g.note);
}

static int
verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{"trust", required_argument, NULL, 't'},
		{"hub", required_argument, NULL, 'b'},
		{"lock", required_argument, NULL, 'l'},
		{"home", required_argument, NULL, 'm'},
		{"at", required_argument, NULL, 'a'},
		{"holder-key", required_argument, NULL, 'k'},
		{"tz", required_argument, NULL, 'z'},
		{"zoneinfo", required_argument, NULL, 'Z'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	static uint8_t roots[TRUST_MAX][PT_PK_LEN];
	static struct pt_chain c, peek;
	static struct pt_tz tz;
	const char *hub = NULL, *lock = NULL, *home = NULL, *at = NULL, *holder_key = NULL;
	const char *zone = NULL, *zdir = "/usr/share/zoneinfo", *file;
	struct pt_context ctx;
	struct pt_challenge ch;
	struct pt_decision d;
	struct pt_errbuf err;
	struct pt_secret *s = NULL;
	struct pt_signer sg;
	uint8_t proof[PT_SIG_LEN], *buf = NULL;
	size_t n_roots = 0, len;
	int64_t now = now_utc();
	int c_, r, rc = EXIT_INPUT, i;

	optind = 1;
	while ((c_ = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c_) {
		case 't':
			if (n_roots == TRUST_MAX)
				die_usage("cred", "at most %d --trust", TRUST_MAX);
			if (pt_pubkey_parse(optarg, roots[n_roots], &err) != PT_OK) {
				warnx_("--trust: %s", err.msg);
				return EXIT_INPUT;
			}
			n_roots++;
			break;
		case 'b': hub = optarg; break;
		case 'l': lock = optarg; break;
		case 'm': home = optarg; break;
		case 'a': at = optarg; break;
		case 'k': holder_key = optarg; break;
		case 'z': zone = optarg; break;
		case 'Z': zdir = optarg; break;
		case 'h': fputs(cred_usage, stdout); return 0;
		default: die_usage("cred", "bad option");
		}
	}
	if (optind + 1 != argc)
		die_usage("cred", "verify takes one credential file");
	file = argv[optind];
	if (n_roots == 0 || hub == NULL || lock == NULL)
		die_usage("cred", "--trust, --hub and --lock are required");
	if (strlen(hub) == 0 || strlen(hub) > PT_ID_MAX)
		die_usage("cred", "--hub must be 1 to %d characters", PT_ID_MAX);
	if (at != NULL && pt_time_parse(at, now, &now) != PT_OK)
		die_usage("cred", "--at '%s' is not a time", at);

	if ((rc = load_chain(file, &buf, &len)) != 0)
		return rc;
	rc = EXIT_INPUT;
	/* Peek (unverified) only to choose defaults; the engine decides. */
	if (pt_chain_decode(buf, len, &peek) == PT_OK) {
		if (home == NULL)
			home = peek.link[0].g.aud;
		for (i = 0; i < peek.n && zone == NULL; i++)
			if (peek.link[i].g.sched.n_weekly > 0)
				zone = peek.link[i].g.sched.tz;
	}
	if (zone != NULL && load_zone(zdir, zone, &tz) != 0)
		goto out;

	memset(&ctx, 0, sizeof(ctx));
	ctx.now = now;
	ctx.time_trusted = true;
	ctx.mono_ms = 1000;
	ctx.proof_max_ms = 1000;
	ctx.hub_id = hub;
	ctx.home_id = home != NULL ? home : "";
	ctx.lock_id = lock;
	ctx.tz_name = zone;
	ctx.tz = zone != NULL ? &tz : NULL;
	ctx.roots = (const uint8_t (*)[PT_PK_LEN])roots;
	ctx.n_roots = n_roots;
	ctx.revocations_at = now;
	ctx.camera_healthy = ctx.alarm_can_bypass = ctx.door_closed = ctx.bolt_locked = true;

	if (holder_key != NULL) {
		if ((s = pt_secret_new()) == NULL || pt_keyfile_load(holder_key, s, &err) != PT_OK) {
			warnx_("%s", s == NULL ? "out of memory" : err.msg);
			goto out;
		}
		pt_signer_sodium(&sg, s);
		memset(&ch, 0, sizeof(ch));
		pt_random(ch.nonce, sizeof(ch.nonce));
		ch.issued_ms = ctx.mono_ms;
		if ((r = pt_proof_sign(pt_crypto_sodium(), &sg, hub, ch.nonce, buf, len, proof)) !=
		    PT_OK) {
			warnx_("cannot sign the proof: %s", pt_err_text(r));
			goto out;
		}
		r = pt_decide(pt_crypto_sodium(), buf, len, proof, sizeof(proof), &ch, &ctx, &c, &d);
	} else {
		r = pt_evaluate(pt_crypto_sodium(), buf, len, &ctx, &c, &d);
	}
	print_decision(&d, &c, holder_key != NULL);
	if (r == PT_EBADSIG && holder_key != NULL && c.n > 0 && d.link == c.n - 1)
		printf("hint: --holder-key is not the key this credential was issued to\n");
	rc = pt_err_info(r)->exit_code;
out:
	pt_secret_free(s);
	free(buf);
	return rc;
}

int
cmd_cred(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(cred_usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : 0;
	}
	if (strcmp(argv[1], "inspect") == 0) {
		if (argc == 3 && strcmp(argv[2], "--help") == 0) {
			fputs(cred_usage, stdout);
			return 0;
		}
		if (argc != 3)
			die_usage("cred", "inspect takes one credential file");
		return inspect(argv[2]);
	}
	if (strcmp(argv[1], "verify") == 0)
		return verify(argc - 1, argv + 1);
	die_usage("cred", "unknown subcommand '%s'", argv[1]);
}
