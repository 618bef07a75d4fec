/*
 * porter courier unlock, porter hub pair-local, porter sim: the device's
 * side of the link protocol (docs/link-protocol.md) and the sim drivers'
 * control socket (docs/hub.md).
 *
 * The link here is a Unix or TCP socket; in the field it is BLE, with the
 * same frames. Everything received goes through the strict decoders of
 * lib/core/link.c before any field is used; notes are printable UTF-8
 * by then (the decoder refuses control characters).
 */
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "porter/crypto.h"
#include "porter/envelope.h"
#include "porter/keyfile.h"
#include "porter/link.h"
#include "porter/text.h"
#include "client.h"
#include "porter.h"

#define TIMEOUT_DEFAULT_MS 10000

/* The entry points, called from porter.c: argv[0] is the verb. */
int cmd_courier_unlock(int argc, char **argv);
int cmd_courier_panic(int argc, char **argv);
int cmd_hub_pair_local(int argc, char **argv);
int cmd_sim(int argc, char **argv);
int cmd_remote(int argc, char **argv);

/* ---- the link, device side ---- */

struct link {
	int fd;
	int timeout_ms;
	uint8_t buf[PT_LINK_FRAME_MAX];
};

/* "unix:/path" or "host:port" ("[::1]:8490"). 0, or an exit code. */
static int
link_connect(struct link *l, const char *addr, int timeout_ms)
{
	l->fd = -1;
	l->timeout_ms = timeout_ms;
	if (strncmp(addr, "unix:", 5) == 0) {
		struct sockaddr_un sa;
		const char *path = addr + 5;

		memset(&sa, 0, sizeof(sa));
		sa.sun_family = AF_UNIX;
		if (path[0] == '\0' || strlen(path) >= sizeof(sa.sun_path)) {
			warnx_("--hub '%s': the socket path is empty or too long", addr);
			return EXIT_USAGE;
		}
		memcpy(sa.sun_path, path, strlen(path) + 1);
		if ((l->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
		    connect(l->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
			warnx_("cannot connect to the hub at '%s': %s", addr, strerror(errno));
			if (l->fd >= 0)
				close(l->fd);
			l->fd = -1;
			return EXIT_INPUT;
		}
		return 0;
	} else {
		char host[256];
		const char *colon = strrchr(addr, ':'), *h = addr;
		struct addrinfo hints, *res = NULL, *ai;
		size_t hl;
		int e;

		if (colon == NULL || colon == addr || colon[1] == '\0') {
			warnx_("--hub '%s' is neither unix:PATH nor HOST:PORT", addr);
			return EXIT_USAGE;
		}
		hl = (size_t)(colon - addr);
		if (addr[0] == '[' && hl >= 2 && colon[-1] == ']') {
			h = addr + 1;
			hl -= 2;
		}
		if (hl >= sizeof(host)) {
			warnx_("--hub '%s': the host name is too long", addr);
			return EXIT_USAGE;
		}
		memcpy(host, h, hl);
		host[hl] = '\0';
		memset(&hints, 0, sizeof(hints));
		hints.ai_socktype = SOCK_STREAM;
		hints.ai_flags = AI_NUMERICSERV;
		if ((e = getaddrinfo(host, colon + 1, &hints, &res)) != 0) {
			warnx_("cannot resolve '%s': %s", addr, gai_strerror(e));
			return EXIT_INPUT;
		}
		for (ai = res; ai != NULL; ai = ai->ai_next) {
			l->fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
			if (l->fd >= 0 && connect(l->fd, ai->ai_addr, ai->ai_addrlen) == 0)
				break;
			if (l->fd >= 0)
				close(l->fd);
			l->fd = -1;
		}
		freeaddrinfo(res);
		if (l->fd < 0) {
			warnx_("cannot connect to the hub at '%s': %s", addr, strerror(errno));
			return EXIT_INPUT;
		}
		return 0;
	}
}

static void
link_close(struct link *l)
{
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
}

static int
link_send(struct link *l, const uint8_t *p, size_t len)
{
	while (len > 0) {
		ssize_t n = send(l->fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			warnx_("cannot send to the hub: %s", strerror(errno));
			return EXIT_INPUT;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* One frame into l->buf, exactly as the reader delimits it. */
static int
link_recv(struct link *l, size_t *len)
{
	size_t have = 0, fl, need;
	struct pollfd pfd;
	int r;

	*len = 0;
	for (;;) {
		if ((r = pt_link_frame_scan(l->buf, have, &fl, &need)) != PT_OK) {
			warnx_("the hub sent a frame that cannot be read (%s)", pt_err_code(r));
			return pt_err_info(r)->exit_code;
		}
		if (fl != 0) {
			*len = fl;
			return 0;
		}
		pfd.fd = l->fd;
		pfd.events = POLLIN;
		if ((r = poll(&pfd, 1, l->timeout_ms)) == 0) {
			warnx_("no answer from the hub within %d ms", l->timeout_ms);
			return EXIT_INPUT;
		}
		if (r < 0) {
			if (errno == EINTR)
				continue;
			warnx_("cannot read from the hub: %s", strerror(errno));
			return EXIT_INPUT;
		} else {
			ssize_t n = read(l->fd, l->buf + have, need);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				warnx_("the hub closed the connection%s", n == 0 ? "" : " (read error)");
				return EXIT_INPUT;
			}
			have += (size_t)n;
		}
	}
}

/* An ERROR from the hub: say what, return its exit code. */
static int
show_error(const uint8_t *f, size_t len)
{
	struct pt_link_error e;

	if (pt_link_error_decode(f, len, &e) != PT_OK) {
		warnx_("the hub sent a malformed ERROR");
		return EXIT_INPUT;
	}
	printf("decision: refused: %s (%s)\n", pt_err_text(e.reason), e.code);
	if (e.reason == PT_ELOCKEDOUT)
		printf("retry-after: %u ms\n", e.retry_after_ms);
	if (e.reason == PT_EUNSUPPORTED)
		printf("the hub speaks link protocol version %u\n", e.version);
	return pt_err_info(e.reason)->exit_code;
}

/* Receive the answer to a request: DECISION (into *d), or ERROR shown.
 * 0 with a DECISION, else an exit code. */
static int
recv_decision(struct link *l, struct pt_link_decision *d)
{
	struct pt_link_frame fr;
	size_t n;
	int rc;

	if ((rc = link_recv(l, &n)) != 0)
		return rc;
	if (pt_link_frame_parse(l->buf, n, &fr) == PT_OK && fr.type == PT_LINK_ERROR)
		return show_error(l->buf, n);
	if (pt_link_decision_decode(l->buf, n, d) != PT_OK) {
		warnx_("the hub's answer is not a DECISION");
		return EXIT_INPUT;
	}
	return 0;
}

static int
reason_exit(int reason)
{
	return reason == PT_OK ? 0 : pt_err_info(reason)->exit_code;
}

/* ---- courier unlock ---- */

static const char unlock_usage[] =
	"usage: porter courier unlock --hub ADDR --cred FILE --key KEY [--lock ID]\n"
	"                             [--timeout SECONDS]\n"
	"\n"
	"Open the door with a credential, at the door (the courier presses \"unlock\"):\n"
	"ask the hub for a challenge, prove with the device key that this device holds\n"
	"the credential, and print the hub's decision and what the credential tells\n"
	"its holder (the notes, how long the door may stand open).\n"
	"\n"
	"  --hub ADDR          the hub's link: unix:/path/to/link.sock or HOST:PORT\n"
	"  --cred FILE         the credential chain (CBOR), as issued\n"
	"  --key FILE          this device's secret key: the credential's holder\n"
	"  --lock ID           the lock to open (default: the hub's own)\n"
	"  --timeout SECONDS   wait this long for each answer (default 10)\n"
	"\n"
	"Exit status: 0 granted; 1 usage; 2 unreadable input, no hub; 10 + n refused\n"
	"with reason n (docs/reasons.md), e.g. 22 no-entries-left, 28 locked-out.\n"
	"\n"
	"Example: porter courier unlock --hub unix:/var/lib/porter-hub/link.sock \\\n"
	"           --cred delivery.cbor --key device.key\n";

static const char panic_usage[] =
	"usage: porter courier panic --hub ADDR --cred FILE --key KEY [--lock ID]\n"
	"                            [--timeout SECONDS]\n"
	"\n"
	"Call for help at the door (docs/alarm.md, \"Panic\"): ask the hub for a\n"
	"challenge and answer it with a PANIC signed by this device's key, the holder\n"
	"of a credential the home's owners issued. The hub raises a panic alert to the\n"
	"owners (and sounds the alarm if the home says so); the door stays shut. It\n"
	"works outside the credential's hours, with its entries used up and while the\n"
	"hub's link is locked out by failed attempts (its HELLO asks for a panic-only\n"
	"challenge): only a revoked credential, or one not issued by this home's\n"
	"owners, is refused. Also\n"
	"raise it with porterd ('porter delivery panic') when the network is there.\n"
	"\n"
	"  --hub ADDR          the hub's link: unix:/path/to/link.sock or HOST:PORT\n"
	"  --cred FILE         the credential chain (CBOR), as issued\n"
	"  --key FILE          this device's secret key: the credential's holder\n"
	"  --lock ID           the lock (default: the hub's own)\n"
	"  --timeout SECONDS   wait this long for each answer (default 10)\n"
	"\n"
	"Exit status: 0 the hub received the call (panic-received); 1 usage; 2\n"
	"unreadable input, no hub; 10 + n refused with reason n (docs/reasons.md).\n";

static void
show_decision(const struct pt_link_decision *d, const char *hub_id)
{
	uint8_t i;

	if (d->reason == PT_OK)
		printf("decision: granted (ok)\n");
	else if (d->reason == PT_EPANIC)
		printf("decision: %s (%s)\n", pt_err_text(d->reason), d->code);
	else if (d->link >= 0)
		printf("decision: refused: %s (%s), link %d\n",
		       d->reason > -PT_ERR_COUNT_ ? pt_err_text(d->reason) : "the hub's own reason",
		       d->code, d->link);
	else
		printf("decision: refused: %s (%s)\n",
		       d->reason > -PT_ERR_COUNT_ ? pt_err_text(d->reason) : "the hub's own reason",
		       d->code);
	printf("hub: %s\n", hub_id);
	for (i = 0; i < d->n_notes; i++)
		printf("note: %s\n", d->notes[i]);
	if (d->reason != PT_OK)
		return;
	if (d->door_open_max != 0)
		printf("door: may stand open at most %u s\n", d->door_open_max);
	if (d->relock_s != 0)
		printf("relock: if the door is not opened within %u s\n", d->relock_s);
	if (d->cond != 0)
		printf("conditions:%s%s\n", d->cond & PT_COND_CAMERA ? " camera recording" : "",
		       d->cond & PT_COND_ALARM_BYPASS ? " alarm-armed (entry zone bypassed)" : "");
}

static int
load_holder(const char *path, struct pt_secret **s)
{
	struct pt_errbuf err;

	if ((*s = pt_secret_new()) == NULL) {
		warnx_("out of memory");
		return EXIT_INPUT;
	}
	if (pt_keyfile_load(path, *s, &err) != PT_OK) {
		warnx_("%s", err.msg);
		pt_secret_free(*s);
		*s = NULL;
		return EXIT_INPUT;
	}
	return 0;
}

/* courier unlock (PROOF) and courier panic (PANIC): the same exchange. */
static int
courier_at_door(int argc, char **argv, bool panic)
{
	const char *cmd = panic ? "courier panic" : "courier unlock";
	static const struct option opts[] = {
		{"hub", required_argument, NULL, 'H'},	{"cred", required_argument, NULL, 'c'},
		{"key", required_argument, NULL, 'k'},	{"lock", required_argument, NULL, 'l'},
		{"timeout", required_argument, NULL, 't'}, {"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	static struct pt_chain chain;
	const char *hub = NULL, *cred = NULL, *key = NULL, *lock = "";
	uint8_t frame[PT_LINK_FRAME_MAX], sig[PT_SIG_LEN], *raw = NULL, pk[PT_PK_LEN];
	struct pt_link_hello hello;
	struct pt_link_challenge ch;
	struct pt_link_proof proof;
	struct pt_link_decision d;
	struct pt_link_frame fr;
	struct pt_secret *sec = NULL;
	struct pt_signer sg;
	struct pt_errbuf err;
	struct link l = {.fd = -1};
	uint64_t secs = 10;
	size_t raw_len = 0, n;
	char tbuf[40];
	int c, r, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'H': hub = optarg; break;
		case 'c': cred = optarg; break;
		case 'k': key = optarg; break;
		case 'l': lock = optarg; break;
		case 't':
			if (pt_uint_parse(optarg, 1, 600, &secs) != PT_OK)
				die_usage(cmd, "--timeout: 1 to 600 seconds");
			break;
		case 'h': fputs(panic ? panic_usage : unlock_usage, stdout); return 0;
		default: die_usage(cmd, "unknown option, or one without its value");
		}
	}
	if (optind != argc)
		die_usage(cmd, "unexpected argument '%s'", argv[optind]);
	if (hub == NULL || cred == NULL || key == NULL)
		die_usage(cmd, "--hub, --cred and --key are required");
	if (lock[0] != '\0' && !pt_id_is_valid(lock, strlen(lock)))
		die_usage(cmd, "--lock '%s' is not a lock id", lock);

	if ((r = pt_file_read(cred, PT_CHAIN_SIZE_MAX, &raw, &raw_len, &err)) != PT_OK) {
		warnx_("%s", err.msg);
		return r == PT_ETOOBIG ? pt_err_info(r)->exit_code : EXIT_INPUT;
	}
	/* What the credential says, for the holder (the hub verifies it). */
	if ((r = pt_chain_decode(raw, raw_len, &chain)) != PT_OK) {
		warnx_("'%s' is not a credential: %s (%s)", cred, pt_err_text(r), pt_err_code(r));
		rc = pt_err_info(r)->exit_code;
		goto out;
	}
	if ((rc = load_holder(key, &sec)) != 0)
		goto out;
	pt_signer_sodium(&sg, sec);
	pt_secret_public(sec, pk);
	if (memcmp(pk, chain.link[chain.n - 1].g.holder, PT_PK_LEN) != 0)
		warnx_("'%s' is not the key this credential was issued to: the hub will refuse it", key);
	{
		const struct pt_grant *g = &chain.link[chain.n - 1].g;
		printf("credential: %s for home %s", pt_purpose_name(g->purpose) ? pt_purpose_name(g->purpose) : "?",
		       g->aud);
		if (g->has_entries)
			printf(", %u entr%s", g->entries, g->entries == 1 ? "y" : "ies");
		if (g->has_exp) {
			pt_time_format(g->exp, tbuf, sizeof(tbuf));
			printf(", until %s", tbuf);
		}
		printf("\n");
	}

	if ((rc = link_connect(&l, hub, (int)secs * 1000)) != 0)
		goto out;
	/* 1. HELLO, only because the courier asked (this command). */
	memset(&hello, 0, sizeof(hello));
	memcpy(hello.lock, lock, strlen(lock) + 1);
	hello.panic = panic;	/* a challenge even during a lockout */
	if (pt_link_hello_encode(&hello, frame, sizeof(frame), &n) != PT_OK ||
	    (rc = link_send(&l, frame, n)) != 0) {
		rc = rc != 0 ? rc : EXIT_INPUT;
		goto out;
	}
	/* 2. CHALLENGE (or ERROR: locked out). */
	if ((rc = link_recv(&l, &n)) != 0)
		goto out;
	if (pt_link_frame_parse(l.buf, n, &fr) == PT_OK && fr.type == PT_LINK_ERROR) {
		rc = show_error(l.buf, n);
		goto out;
	}
	if (pt_link_challenge_decode(l.buf, n, &ch) != PT_OK) {
		warnx_("the hub's answer to HELLO is not a CHALLENGE");
		rc = EXIT_INPUT;
		goto out;
	}
	/* 3. PROOF (or PANIC): the holder's signature over hub id, nonce and
	 * chain, under the proof's domain (or the panic's). */
	r = panic ? pt_link_panic_sign(pt_crypto_sodium(), &sg, ch.hub_id, ch.nonce, raw, raw_len,
				       sig)
		  : pt_proof_sign(pt_crypto_sodium(), &sg, ch.hub_id, ch.nonce, raw, raw_len, sig);
	if (r != PT_OK) {
		warnx_("cannot sign the %s: %s", panic ? "panic call" : "proof", pt_err_text(r));
		rc = EXIT_INPUT;
		goto out;
	}
	memset(&proof, 0, sizeof(proof));
	memcpy(proof.nonce, ch.nonce, PT_NONCE_LEN);
	proof.chain = raw;
	proof.chain_len = raw_len;
	memcpy(proof.sig, sig, PT_SIG_LEN);
	if (panic) {
		struct pt_link_panic pm;

		memset(&pm, 0, sizeof(pm));
		memcpy(pm.nonce, ch.nonce, PT_NONCE_LEN);
		pm.chain = raw;
		pm.chain_len = raw_len;
		memcpy(pm.sig, sig, PT_SIG_LEN);
		r = pt_link_panic_encode(&pm, frame, sizeof(frame), &n);
	} else {
		r = pt_link_proof_encode(&proof, frame, sizeof(frame), &n);
	}
	if (r != PT_OK) {
		warnx_("cannot send this credential: %s", pt_err_text(r));
		rc = pt_err_info(r)->exit_code;
		goto out;
	}
	if ((rc = link_send(&l, frame, n)) != 0)
		goto out;
	/* 4. DECISION. */
	if ((rc = recv_decision(&l, &d)) != 0)
		goto out;
	show_decision(&d, ch.hub_id);
	rc = panic && d.reason == PT_EPANIC ? 0 : reason_exit(d.reason);
	if (panic && d.reason == PT_OK) {
		warnx_("the hub answered a panic call with a grant: it is not a porter hub");
		rc = EXIT_INPUT;
	}
	if (d.reason != PT_OK && d.reason <= -PT_ERR_COUNT_)
		rc = EXIT_INPUT;	/* a newer hub's reason: no exit code of its own */
out:
	link_close(&l);
	pt_secret_free(sec);
	free(raw);
	fflush(stdout);
	return rc;
}

int
cmd_courier_unlock(int argc, char **argv)
{
	return courier_at_door(argc, argv, false);
}

int
cmd_courier_panic(int argc, char **argv)
{
	return courier_at_door(argc, argv, true);
}

/* ---- hub pair-local ---- */

static const char pair_usage[] =
	"usage: porter hub pair-local --hub ADDR --key OWNER_KEY --home HOME_ID\n"
	"                             --code CODE --hub-key HUBKEY [--timeout SECONDS]\n"
	"\n"
	"Pair a hub at the door, over its link (owners). Run 'porter-hub pair' on the\n"
	"hub: it shows a one-time code and its key. This signs, with your owner key\n"
	"(it never leaves this machine), the statement that this hub belongs to HOME_ID,\n"
	"with a MAC of the code (never the code), and sends it with your public key.\n"
	"The hub checks the MAC against the code it shows and from then on trusts your\n"
	"key as an owner (a root of every credential).\n"
	"\n"
	"  --hub ADDR          the hub's link: unix:/path/to/link.sock or HOST:PORT\n"
	"  --key FILE          your owner secret key file\n"
	"  --home ID           the home (as in your credentials' audience)\n"
	"  --code CODE         the code the hub shows: 22 base64url characters; '-'\n"
	"                      reads it from stdin (one line), out of ps and history\n"
	"  --hub-key PUBKEY    the hub's public key as it shows it (or a key file)\n"
	"  --timeout SECONDS   wait this long for the answer (default 10)\n"
	"\n"
	"To register the hub with porterd as well, see 'porter hub pair'.\n"
	"\n"
	"Example: porter hub pair-local --hub 127.0.0.1:8490 --key owner.key \\\n"
	"           --home h-0123456789abcdef --code q3Zf1u0bG7x9c2KpLm4vAw \\\n"
	"           --hub-key MqDWPcT4smrM5exzXBwdiNPh0bK1N368czdKJ8Kg4YI\n";

int
cmd_hub_pair_local(int argc, char **argv)
{
	static const struct option opts[] = {
		{"hub", required_argument, NULL, 'H'},	 {"key", required_argument, NULL, 'k'},
		{"home", required_argument, NULL, 'm'},	 {"code", required_argument, NULL, 'P'},
		{"hub-key", required_argument, NULL, 'K'}, {"timeout", required_argument, NULL, 't'},
		{"help", no_argument, NULL, 'h'},	 {NULL, 0, NULL, 0},
	};
	const char *hub = NULL, *key = NULL, *home = NULL, *code = NULL, *hub_key = NULL;
	uint8_t frame[PT_LINK_FRAME_MAX], st[PT_ENVELOPE_SIZE_MAX], hub_pk[PT_PK_LEN];
	uint8_t pcode[PT_PAIRING_CODE_LEN];
	char own[PT_PK_TEXT_LEN + 1];
	struct pt_link_pair m;
	struct pt_link_decision d;
	struct pt_envelope e;
	struct pt_secret *sec = NULL;
	struct pt_signer sg;
	struct pt_errbuf err;
	struct link l = {.fd = -1};
	uint64_t secs = 10;
	size_t st_len, n;
	int c, r, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'H': hub = optarg; break;
		case 'k': key = optarg; break;
		case 'm': home = optarg; break;
		case 'P': code = optarg; break;
		case 'K': hub_key = optarg; break;
		case 't':
			if (pt_uint_parse(optarg, 1, 600, &secs) != PT_OK)
				die_usage("hub pair-local", "--timeout: 1 to 600 seconds");
			break;
		case 'h': fputs(pair_usage, stdout); return 0;
		default: die_usage("hub pair-local", "unknown option, or one without its value");
		}
	}
	if (optind != argc)
		die_usage("hub pair-local", "unexpected argument '%s'", argv[optind]);
	if (hub == NULL || key == NULL || home == NULL || code == NULL || hub_key == NULL)
		die_usage("hub pair-local", "--hub, --key, --home, --code and --hub-key are required");
	if (!pt_id_is_valid(home, strlen(home)))
		die_usage("hub pair-local", "--home '%s' is not a home id", home);
	memset(&e, 0, sizeof(e));
	if ((rc = pairing_code_arg(code, pcode)) != 0)
		return rc;
	if (pt_pubkey_parse(hub_key, hub_pk, &err) != PT_OK) {
		warnx_("--hub-key: %s", err.msg);
		pt_wipe(pcode, sizeof(pcode));
		return EXIT_INPUT;
	}
	if ((rc = load_holder(key, &sec)) != 0) {
		pt_wipe(pcode, sizeof(pcode));
		return rc;
	}
	pt_signer_sodium(&sg, sec);
	e.kind = PT_ENV_PAIRING;
	memcpy(e.aud, home, strlen(home) + 1);
	memcpy(e.target, hub_pk, PT_PK_LEN);
	e.target_len = PT_PK_LEN;
	e.iat = now_utc();
	/* The nonce is the code's MAC under the home and both keys
	 * (pt_pairing_nonce): the code itself never leaves this machine. */
	r = pt_pairing_nonce(e.nonce, pcode, home, hub_pk, sg.pk);
	pt_wipe(pcode, sizeof(pcode));
	if (r != PT_OK) {
		warnx_("cannot make the pairing nonce: %s", pt_err_text(r));
		rc = EXIT_INPUT;
		goto out;
	}
	if ((r = pt_envelope_sign(pt_crypto_sodium(), &sg, &e, st, sizeof(st), &st_len)) != PT_OK) {
		warnx_("cannot sign the pairing statement: %s (%s)", pt_err_text(r), pt_err_code(r));
		rc = EXIT_INPUT;
		goto out;
	}
	memset(&m, 0, sizeof(m));
	memcpy(m.home, home, strlen(home) + 1);
	memcpy(m.owner, sg.pk, PT_PK_LEN);
	m.statement = st;
	m.statement_len = st_len;
	if ((r = pt_link_pair_encode(&m, frame, sizeof(frame), &n)) != PT_OK) {
		warnx_("cannot encode PAIR: %s", pt_err_text(r));
		rc = EXIT_INPUT;
		goto out;
	}
	if ((rc = link_connect(&l, hub, (int)secs * 1000)) != 0 || (rc = link_send(&l, frame, n)) != 0 ||
	    (rc = recv_decision(&l, &d)) != 0)
		goto out;
	pt_pubkey_text(sg.pk, own);
	if (d.reason == PT_OK) {
		printf("paired: the hub trusts owner key %s for home %s\n", own, home);
	} else {
		printf("pairing refused: %s (%s)\n",
		       d.reason > -PT_ERR_COUNT_ ? pt_err_text(d.reason) : "the hub's own reason", d.code);
	}
	rc = d.reason > -PT_ERR_COUNT_ ? reason_exit(d.reason) : EXIT_INPUT;
out:
	link_close(&l);
	pt_secret_free(sec);
	pt_wipe(&e, sizeof(e));
	return rc;
}

/* ---- sim ---- */

static const char sim_usage[] =
	"usage: porter sim --hub-control PATH COMMAND...\n"
	"\n"
	"Drive porter-hub's simulated devices through their control socket\n"
	"([drivers] sim_control, default <state_dir>/sim.sock). Commands:\n"
	"\n"
	"  door open | door close        the door contact opens / shuts\n"
	"  motion entry | motion interior\n"
	"                                motion in the entry zone / inside\n"
	"  lock jam | lock unjam         every lock command fails / works again\n"
	"  lock turn                     the bolt moves by hand (key, thumb-turn)\n"
	"  status                        one JSON line: lock, moving, jammed, door,\n"
	"                                the door machine's state and session, the\n"
	"                                alarm's state, the camera's health\n"
	"\n"
	"The sim alarm panel ([alarm] driver = sim, docs/alarm.md):\n"
	"\n"
	"  alarm arm away | alarm arm home | alarm disarm\n"
	"                                at the panel's keypad\n"
	"  alarm zone N open | close     zone N faults / restores (armed and not\n"
	"                                bypassed: the panel sounds at once)\n"
	"  alarm bypass-support on|off   off: the panel cannot bypass a zone\n"
	"  alarm confirm on|off          off: bypass commands are never confirmed\n"
	"  alarm status                  one JSON line: state, faulted, bypassed,\n"
	"                                the commands the hub sent, counted\n"
	"\n"
	"Exit status: 0 done; 1 usage; 2 no hub, or the hub refused the command.\n"
	"\n"
	"Example: porter sim --hub-control var/hub/sim.sock door open\n";

int
cmd_sim(int argc, char **argv)
{
	static const struct option opts[] = {
		{"hub-control", required_argument, NULL, 'C'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *path = NULL;
	char line[256], reply[4096];
	struct sockaddr_un sa;
	struct pollfd pfd;
	size_t len = 0, ll = 0;
	int c, i, fd = -1;

	optind = 1;
	/* "+": stop at the first command word ("door open" has no options). */
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 'C': path = optarg; break;
		case 'h': fputs(sim_usage, stdout); return 0;
		default: die_usage("sim", "unknown option, or one without its value");
		}
	}
	if (path == NULL)
		die_usage("sim", "--hub-control PATH is required");
	if (optind == argc)
		die_usage("sim", "expected a command: door open|close, motion ZONE, lock jam|unjam|turn,"
				 " status, alarm ...");
	for (i = optind; i < argc; i++) {
		int k = snprintf(line + ll, sizeof(line) - ll, "%s%s", i > optind ? " " : "", argv[i]);
		if (k < 0 || (size_t)k >= sizeof(line) - ll - 1)
			die_usage("sim", "the command is too long");
		ll += (size_t)k;
	}
	line[ll++] = '\n';
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path))
		die_usage("sim", "--hub-control: the path is too long");
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		warnx_("cannot connect to '%s': %s (is porter-hub running with sim drivers?)", path,
		       strerror(errno));
		if (fd >= 0)
			close(fd);
		return EXIT_INPUT;
	}
	if (write(fd, line, ll) != (ssize_t)ll) {
		warnx_("cannot write to '%s': %s", path, strerror(errno));
		close(fd);
		return EXIT_INPUT;
	}
	for (;;) {
		ssize_t n;
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, TIMEOUT_DEFAULT_MS) <= 0)
			break;
		n = read(fd, reply + len, sizeof(reply) - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		if (memchr(reply, '\n', len) != NULL || len == sizeof(reply) - 1)
			break;
	}
	close(fd);
	reply[len] = '\0';
	if (len > 0 && reply[len - 1] == '\n')
		reply[--len] = '\0';
	if (len == 0) {
		warnx_("no answer from '%s'", path);
		return EXIT_INPUT;
	}
	if (strncmp(reply, "error ", 6) == 0) {
		warnx_("%s", reply + 6);
		return EXIT_INPUT;
	}
	printf("%s\n", reply);
	return 0;
}

/* ---- porter remote lock|unlock: an owner-signed command, relayed by porterd ---- */

static const char remote_usage[] =
	"usage: porter remote lock|unlock --home ID --key OWNER_KEY [--lock ID] [--hub HUB_ID]\n"
	"\n"
	"Lock or unlock the door from anywhere (owners). The command is signed here\n"
	"with your owner key (enrolled with 'porter key add'; it never leaves this\n"
	"machine), dated now with a fresh nonce, and handed to porterd, which checks\n"
	"it against the home's owner keys and relays it, byte for byte, to the home's\n"
	"hubs over MQTT. porterd cannot make or change one: each hub checks the\n"
	"signature against the owner keys enrolled at it, the home, the freshness and\n"
	"the nonce before it moves the bolt. The hub's outcome appears in the home's\n"
	"events ('porter events --home ID'), with the command's nonce.\n"
	"\n"
	"  --home ID           the home (h-...)\n"
	"  --key FILE          your owner secret key file\n"
	"  --lock ID           one lock of the home (default: every lock)\n"
	"  --hub HUB_ID        only this hub of the home (default: all of them)\n"
	"  --json              print the server's JSON answer instead of a summary\n"
	"  --cacert FILE       trust this CA for https (default: PORTER_CACERT, then\n"
	"                      the system's)\n"
	"\n"
	"Example: porter remote unlock --home h-0123456789abcdef --key owner.key\n";

int
cmd_remote(int argc, char **argv)
{
	static const struct option opts[] = {
		{"home", required_argument, NULL, 'm'},
		{"key", required_argument, NULL, 'k'},
		{"lock", required_argument, NULL, 'l'},
		{"hub", required_argument, NULL, 'u'},
		{"json", no_argument, NULL, 'J'},
		{"cacert", required_argument, NULL, 'C'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *home = NULL, *key = NULL, *lock = NULL, *hub = NULL, *op;
	char path[PT_ID_MAX + 32], b64[PT_ENVELOPE_SIZE_MAX / 3 * 4 + 8], nonce[2 * PT_CTI_LEN + 1];
	uint8_t env_buf[PT_ENVELOPE_SIZE_MAX];
	struct pt_secret *s = NULL;
	struct pt_envelope e;
	struct pt_errbuf err;
	struct pt_signer sg;
	struct client c;
	json_t *body = NULL, *reply = NULL, *to, *v;
	size_t env_len, i;
	int ch, r, rc = EXIT_INPUT;

	client_init(&c);
	if (argc < 2 || (strcmp(argv[1], "lock") != 0 && strcmp(argv[1], "unlock") != 0)) {
		if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
			fputs(remote_usage, stdout);
			return 0;
		}
		die_usage("remote", "lock or unlock?");
	}
	op = argv[1];
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc - 1, argv + 1, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'm': home = optarg; break;
		case 'k': key = optarg; break;
		case 'l': lock = optarg; break;
		case 'u': hub = optarg; break;
		case 'J': c.json = true; break;
		case 'C': c.cacert = optarg; break;
		case 'h': fputs(remote_usage, stdout); return 0;
		default:
			die_usage("remote", "unknown option, or one without its value: '%s'",
				  argv[optind]);
		}
	}
	if (optind != argc - 1)
		die_usage("remote", "unexpected argument '%s'", argv[optind + 1]);
	if (home == NULL || key == NULL)
		die_usage("remote", "--home and --key are required");
	if (!pt_id_is_valid(home, strlen(home)) ||
	    (lock != NULL && !pt_id_is_valid(lock, strlen(lock))) ||
	    (hub != NULL && !pt_id_is_valid(hub, strlen(hub)))) {
		warnx_("--home, --lock and --hub take ids (letters, digits, '.', '_', '-')");
		goto out;
	}
	(void)snprintf(path, sizeof(path), "/v1/homes/%s/commands", home);
	memset(&e, 0, sizeof(e));
	e.kind = PT_ENV_COMMAND;
	e.op = strcmp(op, "lock") == 0 ? PT_CMD_LOCK : PT_CMD_UNLOCK;
	memcpy(e.aud, home, strlen(home) + 1);
	if (lock != NULL)
		memcpy(e.lock, lock, strlen(lock) + 1);
	if ((rc = client_load(&c)) != 0 || (rc = client_need(&c, true)) != 0)
		goto out;
	rc = EXIT_INPUT;
	if ((s = pt_secret_new()) == NULL || pt_keyfile_load(key, s, &err) != PT_OK) {
		warnx_("%s", s == NULL ? "out of memory" : err.msg);
		goto out;
	}
	pt_signer_sodium(&sg, s);
	e.iat = now_utc();
	pt_random(e.nonce, sizeof(e.nonce));
	if ((r = pt_envelope_sign(pt_crypto_sodium(), &sg, &e, env_buf, sizeof(env_buf),
				  &env_len)) != PT_OK) {
		warnx_("cannot sign the command: %s", pt_err_text(r));
		goto out;
	}
	if (pt_b64_encode(b64, sizeof(b64), env_buf, env_len) != PT_OK) {
		warnx_("cannot encode the command");
		goto out;
	}
	body = json_pack("{s:s}", "command", b64);
	if (body != NULL && hub != NULL)
		json_object_set_new(body, "hub_id", json_string(hub));
	if ((rc = client_call(&c, "POST", path, body, CALL_AUTH, &reply)) != 0)
		goto out;
	if (c.json) {
		client_print_json(reply);
	} else {
		pt_hex(e.nonce, sizeof(e.nonce), nonce);
		printf("relayed %s to", op);
		to = json_object_get(reply, "relayed_to");
		json_array_foreach(to, i, v) {
			char id[PT_ID_MAX + 1];
			printf("%s %s", i > 0 ? "," : "", client_text(v, id, sizeof(id)));
		}
		printf(" (nonce %s)\nthe hub checks it and records the outcome: porter events --home %s\n",
		       nonce, home);
	}
	rc = 0;
out:
	pt_secret_free(s);
	json_decref(body);
	json_decref(reply);
	client_close(&c);
	return rc;
}
