/*
 * porter: the command-line tool for owners, carriers and couriers, and
 * for offline work on keys and credentials.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "porter/crypto.h"
#include "porter/envelope.h"
#include "client.h"
#include "porter.h"

/* cmd_hub.c: at the door, over the hub's link; and the hub's sim devices. */
int cmd_courier_unlock(int argc, char **argv);
int cmd_courier_panic(int argc, char **argv);
int cmd_hub_pair_local(int argc, char **argv);
int cmd_sim(int argc, char **argv);
int cmd_remote(int argc, char **argv);	/* porter remote lock|unlock */
int cmd_cam(int argc, char **argv);
int cmd_camera(int argc, char **argv);	/* cmd_clip.c */
int cmd_clip(int argc, char **argv);
int cmd_evidence(int argc, char **argv);
int cmd_approval(int argc, char **argv);	/* cmd_approval.c */

static const char usage[] =
	"usage: porter <command> [options]\n"
	"\n"
	"Keys and credentials, offline:\n"
	"  keygen [-o FILE] [--force]   make an Ed25519 key pair (FILE 0600, FILE.pub)\n"
	"  pubkey KEYFILE               print the public key of a key file\n"
	"  grant [options] -o FILE      sign a root grant, or delegate from --parent\n"
	"  cred inspect FILE            show a credential chain as JSON (unverified)\n"
	"  cred verify FILE [options]   run the hub's decision offline\n"
	"\n"
	"With porterd (the session is kept in ~/.config/porter/client.conf):\n"
	"  signup --email E --name N    create an account (--server URL)\n"
	"  login --email E              sign in (--server URL); logout [--everywhere]\n"
	"  whoami                       the account signed in\n"
	"  home create|list|show|update|delete|member add\n"
	"                               homes, their policy and members\n"
	"  key add|list --home ID       the home's owner keys (public halves)\n"
	"  key endorse --home ID --key OWNER_KEY --public-key NEW\n"
	"                               a second owner key, trusted by the hubs\n"
	"  grant create ... --upload    sign a grant here and upload it\n"
	"  grant upload FILE | list     upload a chain made offline; list a home's\n"
	"  revoke --home ID --signer KEY (--token HEX | --key PUBKEY)\n"
	"                               sign a revocation here and upload it\n"
	"  revocations --home ID        list a home's revocations\n"
	"\n"
	"Deliveries, with porterd:\n"
	"  carrier create|list|show     carriers (carrier admins register them)\n"
	"  carrier attest ...           sign a courier attestation offline\n"
	"  courier enrol|list|remove    a carrier's couriers (its admin)\n"
	"  device add|list|remove       a courier's devices (their keys)\n"
	"  delivery create|list|show|dispatch|approve|refuse|cancel|fail|complete|\n"
	"           panic|arrive|credential\n"
	"                               deliveries, and credentials at the door\n"
	"  hub pair|list|remove --home ID\n"
	"                               pair a hub with its one-time code\n"
	"  events --home ID             a home's timeline\n"
	"  alerts --home ID [--open]; alert ack --home ID N\n"
	"                               a home's alerts, and acknowledging them\n"
	"  remote lock|unlock --home ID --key OWNER_KEY\n"
	"                               sign a remote lock or unlock here; porterd\n"
	"                               relays it to the home's hubs\n"
	"  approval list --home ID      the hubs' open requests to let someone in\n"
	"  approval approve|deny --home ID --request HEX --session HEX --key OWNER_KEY\n"
	"                               answer one, signed here; porterd relays it\n"
	"  camera add|sign|list|remove|revoke --home ID\n"
	"                               a home's cameras (their keys)\n"
	"  clip list|get|decrypt --home ID\n"
	"                               a home's sealed clips; decrypt one with your\n"
	"                               key to a playable file\n"
	"  live --home ID --key OWNER_KEY --out FILE|-\n"
	"                               watch the camera live, end to end encrypted\n"
	"\n"
	"At the door, over the hub's link (porter-hub):\n"
	"  courier unlock --hub ADDR --cred FILE --key KEY\n"
	"                               open the door with a credential\n"
	"  courier panic --hub ADDR --cred FILE --key KEY\n"
	"                               call for help at the door (the door stays shut)\n"
	"  hub pair-local --hub ADDR --key OWNER_KEY --home ID --code CODE --hub-key K\n"
	"                               pair a hub with its one-time code, locally\n"
	"  sim --hub-control PATH COMMAND...\n"
	"                               drive the hub's simulated devices: door, motion,\n"
	"                               lock (jam, unjam, turn), alarm, status\n"
	"                               (porter sim --help)\n"
	"\n"
	"Server records:\n"
	"  audit verify --db FILE       check porterd's hash-chained audit trail\n"
	"  evidence export --home ID CLIP --out FILE; evidence verify FILE\n"
	"                               a clip's evidence bundle, checked offline\n"
	"\n"
	"Run 'porter <command> --help' for the options of a command.\n"
	"Exit status: 0 success or grant; 1 usage; 2 bad input, I/O, network, or a\n"
	"server error without a reason code; 10 + n for a refusal with reason n, by\n"
	"porter or by porterd (see docs/reasons.md).\n";

void
warnx_(const char *fmt, ...)
{
	va_list ap;

	fputs("porter: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void
die_usage(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fputs("porter: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'porter %s --help'.\n", cmd);
	exit(EXIT_USAGE);
}

int64_t
now_utc(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec;
}

/* --code: the 22 characters, or "-": one line read from stdin, trimmed,
 * so that the code is in neither ps nor the shell's history. 0, or
 * EXIT_INPUT (said). Nothing read is left behind. */
int
pairing_code_arg(const char *arg, uint8_t code[PT_PAIRING_CODE_LEN])
{
	char line[64];
	const char *t = arg;
	size_t n;
	int rc = 0;

	memset(line, 0, sizeof(line));
	if (strcmp(arg, "-") == 0) {
		if (fgets(line, sizeof(line), stdin) == NULL) {
			warnx_("--code -: no line on stdin");
			return EXIT_INPUT;
		}
		n = strlen(line);
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r' || line[n - 1] == ' ' ||
				 line[n - 1] == '\t'))
			line[--n] = '\0';
		for (t = line; *t == ' ' || *t == '\t'; t++)
			;
	}
	if (strlen(t) != 22 || pt_b64_decode(code, PT_PAIRING_CODE_LEN, t, 22) != PT_OK) {
		if (t == arg)
			warnx_("--code '%s' is not a pairing code (22 base64url characters: 16 bytes)",
			       arg);
		else
			warnx_("--code -: the line read is not a pairing code (22 base64url"
			       " characters: 16 bytes)");
		pt_wipe(code, PT_PAIRING_CODE_LEN);
		rc = EXIT_INPUT;
	}
	pt_wipe(line, sizeof(line));
	return rc;
}

int
main(int argc, char **argv)
{
	client_global_init();	/* before any use of jansson */
	if (pt_crypto_init() != 0) {
		warnx_("cannot initialise libsodium");
		return EXIT_INPUT;
	}
	if (argc < 2) {
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		fputs(usage, stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0) {
		puts("porter 0.1.0");
		return 0;
	}
	if (strcmp(argv[1], "keygen") == 0)
		return cmd_keygen(argc - 1, argv + 1);
	if (strcmp(argv[1], "pubkey") == 0)
		return cmd_pubkey(argc - 1, argv + 1);
	if (strcmp(argv[1], "grant") == 0) {
		if (argc > 2 && (strcmp(argv[2], "create") == 0 || strcmp(argv[2], "upload") == 0 ||
				 strcmp(argv[2], "list") == 0))
			return cmd_grant_client(argc - 1, argv + 1);
		return cmd_grant(argc - 1, argv + 1);
	}
	if (strcmp(argv[1], "cred") == 0)
		return cmd_cred(argc - 1, argv + 1);
	if (strcmp(argv[1], "audit") == 0)
		return cmd_audit(argc - 1, argv + 1);
	if (strcmp(argv[1], "signup") == 0)
		return cmd_signup(argc - 1, argv + 1);
	if (strcmp(argv[1], "login") == 0)
		return cmd_login(argc - 1, argv + 1);
	if (strcmp(argv[1], "logout") == 0)
		return cmd_logout(argc - 1, argv + 1);
	if (strcmp(argv[1], "whoami") == 0)
		return cmd_whoami(argc - 1, argv + 1);
	if (strcmp(argv[1], "home") == 0)
		return cmd_home(argc - 1, argv + 1);
	if (strcmp(argv[1], "key") == 0)
		return cmd_key(argc - 1, argv + 1);
	if (strcmp(argv[1], "revoke") == 0)
		return cmd_revoke(argc - 1, argv + 1);
	if (strcmp(argv[1], "revocations") == 0)
		return cmd_revocations(argc - 1, argv + 1);
	if (strcmp(argv[1], "courier") == 0 && argc > 2 && strcmp(argv[2], "unlock") == 0)
		return cmd_courier_unlock(argc - 2, argv + 2);
	if (strcmp(argv[1], "courier") == 0 && argc > 2 && strcmp(argv[2], "panic") == 0)
		return cmd_courier_panic(argc - 2, argv + 2);
	if (strcmp(argv[1], "hub") == 0 && argc > 2 && strcmp(argv[2], "pair-local") == 0)
		return cmd_hub_pair_local(argc - 2, argv + 2);
	if (strcmp(argv[1], "sim") == 0)
		return cmd_sim(argc - 1, argv + 1);
	if (strcmp(argv[1], "remote") == 0)
		return cmd_remote(argc - 1, argv + 1);
	if (strcmp(argv[1], "cam") == 0)
		return cmd_cam(argc - 1, argv + 1);	/* cmd_cam.c: porter cam health */
	if (strcmp(argv[1], "camera") == 0)
		return cmd_camera(argc - 1, argv + 1);
	if (strcmp(argv[1], "clip") == 0)
		return cmd_clip(argc - 1, argv + 1);
	if (strcmp(argv[1], "evidence") == 0)
		return cmd_evidence(argc - 1, argv + 1);
	if (strcmp(argv[1], "live") == 0)
		return cmd_live(argc - 1, argv + 1);
	if (strcmp(argv[1], "approval") == 0)
		return cmd_approval(argc - 1, argv + 1);
	if (strcmp(argv[1], "carrier") == 0 || strcmp(argv[1], "courier") == 0 ||
	    strcmp(argv[1], "device") == 0 || strcmp(argv[1], "delivery") == 0 ||
	    strcmp(argv[1], "hub") == 0 || strcmp(argv[1], "events") == 0 ||
	    strcmp(argv[1], "alerts") == 0 || strcmp(argv[1], "alert") == 0)
		return cmd_org(argc - 1, argv + 1);
	warnx_("unknown command '%s'", argv[1]);
	fputs("Try 'porter --help'.\n", stderr);
	return EXIT_USAGE;
}
