/*
 * tests/integration/mqtt_peer.c: porterd's side of docs/mqtt.md, offline,
 * for tests/integration/test_hub_mqtt.sh. The script moves the bytes with
 * mosquitto_pub and mosquitto_sub (real MQTT clients); this program makes
 * and checks them with the same codec the daemons use (lib/proto/mqtt.c)
 * and signs what an owner's device would sign.
 *
 *   mqtt_peer batch HUB_ID HUB_PUBKEY < HEX_LINES
 *       each line a batch payload in hex (mosquitto_sub -F %x): decode,
 *       verify (hash chain, checkpoint signature by the hub key); prints
 *       "batch first=F last=L n=N hash=H" and "event SEQ TYPE DATA" lines.
 *       Exit 1 if any batch fails ("bad ..." printed).
 *   mqtt_peer ack SEQ [HASH_HEX]              ack payload on stdout
 *   mqtt_peer revoke KEY HOME token|key HEX   owner-signed revocation envelope
 *   mqtt_peer revocations NEWEST [VERSION ENVELOPE_FILE]...
 *                                             revocations payload
 *   mqtt_peer command KEY HOME lock|unlock [IAT_OFFSET_S [LOCK]]
 *                                             command payload (signed now + offset)
 *   mqtt_peer approval KEY HOME approve|deny REQUEST_HEX SESSION_HEX [IAT_OFFSET_S]
 *                                             owner's approval envelope (PT_ENV_APPROVAL,
 *                                             as porterd relays it: the envelope itself)
 *   mqtt_peer time OFFSET_MS REV              time beacon: now + offset
 *   mqtt_peer state < JSON                    decode a state strictly, print it
 *
 * Binary output goes to stdout. Exit 0 ok, 1 refused, 2 usage or I/O.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "porter/envelope.h"
#include "porter/keyfile.h"
#include "porter/mqtt.h"
#include "porter/text.h"

static int
usage(void)
{
	fputs("usage: mqtt_peer batch HUB_ID HUB_PUBKEY < HEX_LINES\n"
	      "       mqtt_peer ack SEQ [HASH_HEX]\n"
	      "       mqtt_peer revoke KEY HOME token|key HEX\n"
	      "       mqtt_peer revocations NEWEST [VERSION ENVELOPE_FILE]...\n"
	      "       mqtt_peer command KEY HOME lock|unlock [IAT_OFFSET_S [LOCK]]\n"
	      "       mqtt_peer approval KEY HOME approve|deny REQUEST_HEX SESSION_HEX"
	      " [IAT_OFFSET_S]\n"
	      "       mqtt_peer time OFFSET_MS REV\n"
	      "       mqtt_peer state < JSON\n"
	      "       mqtt_peer home HUB_PUBKEY HOME OWNER_PUBKEY < HEX_LINE\n",
	      stderr);
	return 2;
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

/* Exactly 2 * cap hex digits (or fewer with len_out): bytes into out. */
static int
unhex(const char *s, size_t n, uint8_t *out, size_t cap, size_t *len_out)
{
	size_t i;

	if (n % 2 != 0 || n / 2 > cap)
		return -1;
	for (i = 0; i < n / 2; i++) {
		int hi = hexval((unsigned char)s[2 * i]), lo = hexval((unsigned char)s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	*len_out = n / 2;
	return 0;
}

static int64_t
parse_i64(const char *s)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0') {
		fprintf(stderr, "mqtt_peer: '%s' is not a number\n", s);
		exit(2);
	}
	return (int64_t)v;
}

static int
emit(const uint8_t *p, size_t len)
{
	if (fwrite(p, 1, len, stdout) != len || fflush(stdout) != 0) {
		fprintf(stderr, "mqtt_peer: cannot write: %s\n", strerror(errno));
		return 2;
	}
	return 0;
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct pt_secret *
load_key(const char *path)
{
	struct pt_secret *s = pt_secret_new();
	struct pt_errbuf err;

	if (s == NULL || pt_keyfile_load(path, s, &err) != PT_OK) {
		fprintf(stderr, "mqtt_peer: %s\n", s == NULL ? "out of memory" : err.msg);
		exit(2);
	}
	return s;
}

static int
cmd_batch(const char *hub_id, const char *pubkey)
{
	static char line[2 * PT_MQTT_PAYLOAD_MAX + 4];
	static uint8_t payload[PT_MQTT_PAYLOAD_MAX + 1];
	static struct pt_mqtt_events b;
	char hash[2 * PT_HASH_LEN + 1];
	uint8_t pk[PT_PK_LEN];
	struct pt_errbuf err;
	size_t len, n, bad, i;
	int r, rc = 0;

	if (pt_pubkey_parse(pubkey, pk, &err) != PT_OK) {
		fprintf(stderr, "mqtt_peer: %s\n", err.msg);
		return 2;
	}
	while (fgets(line, sizeof(line), stdin) != NULL) {
		n = strcspn(line, "\r\n");
		if (n == 0)
			continue;
		if (unhex(line, n, payload, sizeof(payload), &len) != 0) {
			printf("bad hex\n");
			rc = 1;
			continue;
		}
		if ((r = pt_mqtt_events_decode(payload, len, &b)) != PT_OK) {
			printf("bad decode %s\n", pt_err_code(r));
			rc = 1;
			continue;
		}
		if ((r = pt_mqtt_events_verify(pt_crypto_sodium(), pk, hub_id, &b, &bad)) != PT_OK) {
			printf("bad verify %s at %zu\n", pt_err_code(r), bad);
			rc = 1;
			continue;
		}
		pt_hex(b.ev[b.n - 1].hash, PT_HASH_LEN, hash);
		printf("batch first=%lld last=%lld n=%zu hash=%s\n", (long long)b.ev[0].seq,
		       (long long)b.ev[b.n - 1].seq, b.n, hash);
		for (i = 0; i < b.n; i++)
			printf("event %lld %.*s %.*s\n", (long long)b.ev[i].seq, (int)b.ev[i].type_len,
			       b.ev[i].type, (int)b.ev[i].data_len, (const char *)b.ev[i].data);
	}
	return rc;
}

static int
cmd_ack(int argc, char **argv)
{
	uint8_t out[PT_MQTT_ACK_PAYLOAD_MAX];
	struct pt_mqtt_ack a;
	size_t len, hl;

	memset(&a, 0, sizeof(a));
	a.seq = parse_i64(argv[0]);
	if (argc > 1 && (unhex(argv[1], strlen(argv[1]), a.hash, sizeof(a.hash), &hl) != 0 ||
			 hl != PT_HASH_LEN))
		return usage();
	if (pt_mqtt_ack_encode(&a, out, sizeof(out), &len) != PT_OK) {
		fprintf(stderr, "mqtt_peer: cannot encode the ack\n");
		return 1;
	}
	return emit(out, len);
}

static int
cmd_revoke(char **argv)
{
	uint8_t out[PT_ENVELOPE_SIZE_MAX];
	struct pt_secret *s = load_key(argv[0]);
	struct pt_envelope e;
	struct pt_signer sg;
	size_t len, tl;
	int r;

	memset(&e, 0, sizeof(e));
	e.kind = PT_ENV_REVOCATION;
	(void)snprintf(e.aud, sizeof(e.aud), "%s", argv[1]);
	e.iat = (int64_t)time(NULL);
	pt_random(e.nonce, sizeof(e.nonce));
	e.op = strcmp(argv[2], "key") == 0 ? PT_REVOKE_KEY : PT_REVOKE_TOKEN;
	if (unhex(argv[3], strlen(argv[3]), e.target, sizeof(e.target), &tl) != 0)
		return usage();
	e.target_len = (uint8_t)tl;
	pt_signer_sodium(&sg, s);
	r = pt_envelope_sign(pt_crypto_sodium(), &sg, &e, out, sizeof(out), &len);
	pt_secret_free(s);
	if (r != PT_OK) {
		fprintf(stderr, "mqtt_peer: cannot sign: %s\n", pt_err_text(r));
		return 1;
	}
	return emit(out, len);
}

static int
cmd_revocations(int argc, char **argv)
{
	static uint8_t env[PT_MQTT_REVOCATIONS_MAX][PT_ENVELOPE_SIZE_MAX + 1];
	static uint8_t out[PT_MQTT_REVOCATIONS_PAYLOAD_MAX];
	struct pt_mqtt_revocations m;
	size_t len;
	int i;

	memset(&m, 0, sizeof(m));
	m.newest = parse_i64(argv[0]);
	if ((argc - 1) % 2 != 0 || (argc - 1) / 2 > PT_MQTT_REVOCATIONS_MAX)
		return usage();
	for (i = 1; i + 1 < argc; i += 2) {
		struct pt_mqtt_revocation *x = &m.r[m.n];
		FILE *f = fopen(argv[i + 1], "rb");
		if (f == NULL) {
			fprintf(stderr, "mqtt_peer: cannot open '%s': %s\n", argv[i + 1], strerror(errno));
			return 2;
		}
		x->version = parse_i64(argv[i]);
		x->envelope_len = fread(env[m.n], 1, sizeof(env[m.n]), f);
		fclose(f);
		x->envelope = env[m.n];
		m.n++;
	}
	if (pt_mqtt_revocations_encode(&m, out, sizeof(out), &len) != PT_OK) {
		fprintf(stderr, "mqtt_peer: cannot encode the revocations\n");
		return 1;
	}
	return emit(out, len);
}

static int
cmd_command(int argc, char **argv)
{
	uint8_t envb[PT_ENVELOPE_SIZE_MAX], out[PT_MQTT_COMMAND_PAYLOAD_MAX];
	struct pt_secret *s = load_key(argv[0]);
	struct pt_mqtt_command c;
	struct pt_envelope e;
	struct pt_signer sg;
	size_t len;
	int r;

	memset(&e, 0, sizeof(e));
	e.kind = PT_ENV_COMMAND;
	(void)snprintf(e.aud, sizeof(e.aud), "%s", argv[1]);
	e.iat = (int64_t)time(NULL) + (argc > 3 ? parse_i64(argv[3]) : 0);
	pt_random(e.nonce, sizeof(e.nonce));
	if (strcmp(argv[2], "unlock") == 0)
		e.op = PT_CMD_UNLOCK;
	else if (strcmp(argv[2], "lock") == 0)
		e.op = PT_CMD_LOCK;
	else
		return usage();
	if (argc > 4)
		(void)snprintf(e.lock, sizeof(e.lock), "%s", argv[4]);
	pt_signer_sodium(&sg, s);
	r = pt_envelope_sign(pt_crypto_sodium(), &sg, &e, envb, sizeof(envb), &len);
	pt_secret_free(s);
	if (r != PT_OK) {
		fprintf(stderr, "mqtt_peer: cannot sign: %s\n", pt_err_text(r));
		return 1;
	}
	c.envelope = envb;
	c.envelope_len = len;
	if (pt_mqtt_command_encode(&c, out, sizeof(out), &len) != PT_OK) {
		fprintf(stderr, "mqtt_peer: cannot encode the command\n");
		return 1;
	}
	return emit(out, len);
}

static int
cmd_approval(int argc, char **argv)
{
	uint8_t envb[PT_ENVELOPE_SIZE_MAX];
	struct pt_secret *s;
	struct pt_envelope e;
	struct pt_signer sg;
	size_t len, n1 = 0, n2 = 0;
	int r;

	memset(&e, 0, sizeof(e));
	e.kind = PT_ENV_APPROVAL;
	(void)snprintf(e.aud, sizeof(e.aud), "%s", argv[1]);
	e.iat = (int64_t)time(NULL) + (argc > 5 ? parse_i64(argv[5]) : 0);
	if (strcmp(argv[2], "approve") == 0)
		e.op = PT_APPROVE;
	else if (strcmp(argv[2], "deny") == 0)
		e.op = PT_DENY;
	else
		return usage();
	if (unhex(argv[3], strlen(argv[3]), e.nonce, sizeof(e.nonce), &n1) != 0 ||
	    n1 != PT_CTI_LEN || unhex(argv[4], strlen(argv[4]), e.target, PT_CTI_LEN, &n2) != 0 ||
	    n2 != PT_CTI_LEN) {
		fprintf(stderr, "mqtt_peer: REQUEST and SESSION are 32 hex digits\n");
		return 2;
	}
	e.target_len = PT_CTI_LEN;
	if ((s = load_key(argv[0])) == NULL)
		return 2;
	pt_signer_sodium(&sg, s);
	r = pt_envelope_sign(pt_crypto_sodium(), &sg, &e, envb, sizeof(envb), &len);
	pt_secret_free(s);
	if (r != PT_OK) {
		fprintf(stderr, "mqtt_peer: cannot sign: %s\n", pt_err_text(r));
		return 1;
	}
	return emit(envb, len);
}

static int
cmd_time(char **argv)
{
	uint8_t out[PT_MQTT_TIME_PAYLOAD_MAX];
	struct pt_mqtt_time t;
	size_t len;

	t.now_ms = now_ms() + parse_i64(argv[0]);
	t.rev = parse_i64(argv[1]);
	if (pt_mqtt_time_encode(&t, out, sizeof(out), &len) != PT_OK) {
		fprintf(stderr, "mqtt_peer: cannot encode the beacon\n");
		return 1;
	}
	return emit(out, len);
}

static int
cmd_state(void)
{
	uint8_t in[PT_MQTT_STATE_PAYLOAD_MAX + 2];
	struct pt_mqtt_state s;
	size_t len = fread(in, 1, sizeof(in), stdin);
	int r;

	while (len > 0 && (in[len - 1] == '\n' || in[len - 1] == '\r'))
		len--;
	if ((r = pt_mqtt_state_decode(in, len, &s)) != PT_OK) {
		printf("bad %s\n", pt_err_code(r));
		return 1;
	}
	printf("online=%s bolt=%s door=%s alarm=%s camera=%s", s.online ? "true" : "false",
	       pt_mqtt_bolt_name(s.bolt), pt_mqtt_door_name(s.door), pt_mqtt_alarm_name(s.alarm),
	       pt_mqtt_camera_name(s.camera));
	if (s.has_at)
		printf(" at=%lld", (long long)s.at);
	else
		printf(" at=null");
	if (s.has_rev)
		printf(" rev=%lld\n", (long long)s.rev);
	else
		printf(" rev=null\n");
	return 0;
}

/* The hub's retained home statement (PT_ENV_HUB_HOME), as porterd checks
 * it: signed by the hub key, for HOME, naming OWNER_PUBKEY. Prints
 * "home HOME owner_key_id KID" and exits 0 only then. */
static int
cmd_home(char **argv)
{
	static char line[2 * PT_ENVELOPE_SIZE_MAX + 4];
	uint8_t payload[PT_ENVELOPE_SIZE_MAX], hub[1][PT_PK_LEN], owner[PT_PK_LEN], kid[PT_KID_LEN];
	char kid_hex[2 * PT_KID_LEN + 1];
	struct pt_envelope e;
	struct pt_errbuf err;
	size_t len, n, idx;
	int r;

	if (pt_pubkey_parse(argv[0], hub[0], &err) != PT_OK ||
	    pt_pubkey_parse(argv[2], owner, &err) != PT_OK) {
		fprintf(stderr, "mqtt_peer: %s\n", err.msg);
		return 2;
	}
	if (fgets(line, sizeof(line), stdin) == NULL ||
	    (n = strcspn(line, "\r\n")) == 0 || unhex(line, n, payload, sizeof(payload), &len) != 0) {
		printf("bad hex\n");
		return 1;
	}
	r = pt_envelope_verify(pt_crypto_sodium(), payload, len, PT_ENV_HUB_HOME,
			       (const uint8_t(*)[PT_PK_LEN])hub, 1, argv[1], time(NULL), UINT32_MAX,
			       &e, &idx);
	if (r != PT_OK) {
		printf("bad verify %s\n", pt_err_code(r));
		return 1;
	}
	if (e.op != PT_HUB_HOME_PAIRED || e.target_len != PT_PK_LEN ||
	    memcmp(e.target, owner, PT_PK_LEN) != 0) {
		printf("bad owner\n");
		return 1;
	}
	pt_kid(pt_crypto_sodium(), e.target, kid);
	pt_hex(kid, PT_KID_LEN, kid_hex);
	printf("home %s owner_key_id %s\n", e.aud, kid_hex);
	return 0;
}

int
main(int argc, char **argv)
{
	if (pt_crypto_init() != PT_OK)
		return 2;
	if (argc < 2)
		return usage();
	argc -= 2;
	if (strcmp(argv[1], "batch") == 0 && argc == 2)
		return cmd_batch(argv[2], argv[3]);
	if (strcmp(argv[1], "ack") == 0 && (argc == 1 || argc == 2))
		return cmd_ack(argc, argv + 2);
	if (strcmp(argv[1], "revoke") == 0 && argc == 4)
		return cmd_revoke(argv + 2);
	if (strcmp(argv[1], "revocations") == 0 && argc >= 1)
		return cmd_revocations(argc, argv + 2);
	if (strcmp(argv[1], "command") == 0 && argc >= 3 && argc <= 5)
		return cmd_command(argc, argv + 2);
	if (strcmp(argv[1], "approval") == 0 && argc >= 5 && argc <= 6)
		return cmd_approval(argc, argv + 2);
	if (strcmp(argv[1], "time") == 0 && argc == 2)
		return cmd_time(argv + 2);
	if (strcmp(argv[1], "state") == 0 && argc == 0)
		return cmd_state();
	if (strcmp(argv[1], "home") == 0 && argc == 3)
		return cmd_home(argv + 2);
	return usage();
}
