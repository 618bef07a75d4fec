/*
 * bench_decide: the cost of one full decision at the door against the
 * bare signature checks it cannot avoid.
 *
 *     bench_decide MODE N
 *
 *   none      the setup only (keys, zone, chain, proof, messages)
 *   decide    N x pt_decide() on the typical 2-link chain plus its proof
 *   verify3   N x the three crypto_sign_verify_detached() calls that
 *             decision makes: link 0 by the owner, link 1 by the carrier,
 *             the proof by the courier, over the very same messages
 *   wall      N rounds of one decide and one verify3, each timed with
 *             CLOCK_MONOTONIC; prints the medians in ns
 *
 * The chain is owner -> carrier -> courier, as fuzz/mkcorpus.c writes it:
 * delivery, weekly intervals in Europe/Berlin (loaded from
 * /usr/share/zoneinfo), camera and alarm conditions, one lock, entries, a
 * note. The hub has two owner keys enrolled (the signing one second, so
 * both key ids are computed), a few revoked token ids and one revoked key.
 * bench/run.sh runs the modes under callgrind and subtracts 'N = 0' runs,
 * so the setup cancels out. Any failed check exits 1.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "porter/cose.h"
#include "porter/cred.h"
#include "porter/crypto.h"
#include "porter/decide.h"
#include "porter/tz.h"

#define NOW 1795597200LL	/* 2026-11-25T09:00:00Z: Wednesday, 10:00 in Berlin */
#define HOME "home-1"
#define HUB "hub-1"
#define TZNAME "Europe/Berlin"
#define ZONEINFO "/usr/share/zoneinfo/" TZNAME

enum { OWNER, PARTNER, CARRIER, COURIER, STRANGER, N_KEYS };
static const uint8_t seed_fill[N_KEYS] = {0x01, 0x02, 0x03, 0x06, 0x07};

static const struct pt_crypto_ops *ops;
static struct pt_secret *sec[N_KEYS];
static struct pt_signer sg[N_KEYS];
static uint8_t pk[N_KEYS][PT_PK_LEN];

static struct pt_tz tz;
static uint8_t chain[PT_CHAIN_SIZE_MAX];
static size_t chain_len;
static uint8_t proof[PT_SIG_LEN];
static struct pt_challenge ch;
static struct pt_context ctx;
static uint8_t roots[2][PT_PK_LEN];
static uint8_t revoked_ctis[3][PT_CTI_LEN];
static uint8_t revoked_keys[1][PT_PK_LEN];
static struct pt_usage usage[2];
static struct pt_chain decoded;

/* The three signature checks of a decision. */
static struct {
	uint8_t msg[PT_LINK_SIZE_MAX + 64];
	size_t len;
	uint8_t sig[PT_SIG_LEN];
	uint8_t pk[PT_PK_LEN];
} v[3];

static void
die(const char *what, int r)
{
	fprintf(stderr, "bench_decide: %s: %s\n", what, r < 0 ? pt_err_text(r) : "failed");
	exit(1);
}

static void
grant(struct pt_grant *g, uint8_t depth, int holder, uint8_t cti_fill)
{
	memset(g, 0, sizeof(*g));
	memcpy(g->aud, HOME, sizeof(HOME));
	g->has_iat = true;
	g->iat = NOW - 86400;
	memset(g->cti, cti_fill, PT_CTI_LEN);
	memcpy(g->holder, pk[holder], PT_PK_LEN);
	g->purpose = PT_PURPOSE_DELIVERY;
	g->depth = depth;
	g->cond = PT_COND_CAMERA | PT_COND_ALARM_BYPASS;
	g->has_entries = true;
	g->has_door_open = true;
	g->has_exp = true;
	memcpy(g->sched.tz, TZNAME, sizeof(TZNAME));
}

static void
weekly(struct pt_grant *g, uint8_t days, uint16_t start_min, uint16_t end_min)
{
	struct pt_weekly *w = &g->sched.weekly[g->sched.n_weekly++];

	w->days = days;
	w->start_min = start_min;
	w->end_min = end_min;
}

static void
add_link(int issuer, struct pt_grant *g)
{
	uint8_t link[PT_LINK_SIZE_MAX], out[PT_CHAIN_SIZE_MAX];
	size_t link_len, out_len;
	int r;

	if ((r = pt_grant_sign(ops, &sg[issuer], g, link, sizeof(link), &link_len)) != PT_OK)
		die("sign link", r);
	if ((r = pt_chain_append(chain, chain_len, link, link_len, out, sizeof(out), &out_len)) !=
	    PT_OK)
		die("append link", r);
	memcpy(chain, out, out_len);
	chain_len = out_len;
}

static void
load_zone(void)
{
	static uint8_t buf[PT_TZ_FILE_MAX];
	size_t n;
	FILE *f;
	int r;

	if ((f = fopen(ZONEINFO, "rb")) == NULL) {
		fprintf(stderr, "bench_decide: cannot open '%s': %s\n", ZONEINFO, strerror(errno));
		exit(1);
	}
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	if ((r = pt_tz_parse_tzif(&tz, buf, n)) != PT_OK)
		die("parse " ZONEINFO, r);
}

static void
setup(void)
{
	uint8_t seed[PT_SEED_LEN], h[PT_HASH_LEN];
	struct pt_grant g;
	size_t i;
	int r;

	if (pt_crypto_init() != PT_OK)
		die("libsodium init", -1);
	ops = pt_crypto_sodium();
	for (i = 0; i < N_KEYS; i++) {
		memset(seed, seed_fill[i], sizeof(seed));
		if ((sec[i] = pt_secret_new()) == NULL)
			die("secret", -1);
		if ((r = pt_secret_from_seed(sec[i], seed)) != PT_OK)
			die("key", r);
		pt_secret_public(sec[i], pk[i]);
		pt_signer_sodium(&sg[i], sec[i]);
	}
	load_zone();

	/* owner -> carrier: deliveries on weekdays and Saturday mornings */
	grant(&g, 1, CARRIER, 0x21);
	g.exp = NOW + 30 * 86400;
	g.n_locks = 2;
	memcpy(g.locks[0], "back", 5);
	memcpy(g.locks[1], "front", 6);
	g.entries = 100;
	g.door_open_max = 120;
	weekly(&g, 0x3e, 8 * 60, 18 * 60);
	weekly(&g, 0x40, 9 * 60, 13 * 60);
	snprintf(g.note, sizeof(g.note), "%s", "Parcels for the Weber household");
	add_link(OWNER, &g);
	/* carrier -> courier: this Wednesday morning, one entry */
	grant(&g, 0, COURIER, 0x22);
	g.iat = NOW - 3600;
	g.exp = NOW + 2 * 86400;
	g.n_locks = 1;
	memcpy(g.locks[0], "front", 6);
	g.entries = 1;
	g.door_open_max = 60;
	weekly(&g, 0x08, 9 * 60, 12 * 60);
	snprintf(g.note, sizeof(g.note), "%s", "Leave it inside, left of the door. Danke!");
	add_link(CARRIER, &g);

	memset(ch.nonce, 0x4e, sizeof(ch.nonce));
	ch.issued_ms = 1000000 - 800;
	if ((r = pt_proof_sign(ops, &sg[COURIER], HUB, ch.nonce, chain, chain_len, proof)) != PT_OK)
		die("sign proof", r);

	memcpy(roots[0], pk[PARTNER], PT_PK_LEN);
	memcpy(roots[1], pk[OWNER], PT_PK_LEN);
	for (i = 0; i < 3; i++)
		memset(revoked_ctis[i], (int)(0x10 + 0x40 * i), PT_CTI_LEN);	/* ascending */
	memcpy(revoked_keys[0], pk[STRANGER], PT_PK_LEN);
	memset(usage[0].cti, 0x21, PT_CTI_LEN);
	usage[0].used = 17;
	memset(usage[1].cti, 0x33, PT_CTI_LEN);
	usage[1].used = 1;

	ctx.now = NOW;
	ctx.time_trusted = true;
	ctx.mono_ms = 1000000;
	ctx.proof_max_ms = 30000;
	ctx.hub_id = HUB;
	ctx.home_id = HOME;
	ctx.lock_id = "front";
	ctx.tz_name = TZNAME;
	ctx.tz = &tz;
	ctx.roots = (const uint8_t (*)[PT_PK_LEN])roots;
	ctx.n_roots = 2;
	ctx.usage = usage;
	ctx.n_usage = 2;
	ctx.revoked_ctis = (const uint8_t (*)[PT_CTI_LEN])revoked_ctis;
	ctx.n_revoked_ctis = 3;
	ctx.revoked_keys = (const uint8_t (*)[PT_PK_LEN])revoked_keys;
	ctx.n_revoked_keys = 1;
	ctx.revocations_at = NOW - 600;
	ctx.revocations_max_age = 86400;
	ctx.camera_healthy = true;
	ctx.alarm_can_bypass = true;
	ctx.door_closed = true;
	ctx.bolt_locked = true;

	/* The messages the decision verifies, built once. */
	if ((r = pt_chain_decode(chain, chain_len, &decoded)) != PT_OK || decoded.n != 2)
		die("decode chain", r);
	for (i = 0; i < 2; i++) {
		const struct pt_sign1 *s = &decoded.link[i].cose;
		if ((r = pt_sign1_tbs(s, (const uint8_t *)PT_AAD_GRANT, sizeof(PT_AAD_GRANT) - 1,
				      v[i].msg, sizeof(v[i].msg), &v[i].len)) != PT_OK)
			die("Sig_structure", r);
		memcpy(v[i].sig, s->sig, PT_SIG_LEN);
	}
	memcpy(v[0].pk, pk[OWNER], PT_PK_LEN);
	memcpy(v[1].pk, pk[CARRIER], PT_PK_LEN);
	ops->sha256(h, chain, chain_len);
	if ((r = pt_proof_message(HUB, ch.nonce, h, v[2].msg, sizeof(v[2].msg), &v[2].len)) != PT_OK)
		die("proof message", r);
	memcpy(v[2].sig, proof, PT_SIG_LEN);
	memcpy(v[2].pk, pk[COURIER], PT_PK_LEN);
}

static void
teardown(void)
{
	size_t i;

	for (i = 0; i < N_KEYS; i++)
		pt_secret_free(sec[i]);
}

static int
verify3(void)
{
	int bad = 0;
	size_t i;

	for (i = 0; i < 3; i++)
		bad |= crypto_sign_verify_detached(v[i].sig, v[i].msg, v[i].len, v[i].pk) != 0;
	return bad;
}

static int
decide1(void)
{
	struct pt_decision d;

	return pt_decide(ops, chain, chain_len, proof, sizeof(proof), &ch, &ctx, &decoded, &d) !=
	       PT_OK || d.n_charge != 2;
}

/* One function per loop: callgrind --toggle-collect can name them. */
__attribute__((noinline)) static int
run_verify3(unsigned long n)
{
	int bad = 0;

	while (n-- > 0)
		bad |= verify3();
	return bad;
}

__attribute__((noinline)) static int
run_decide(unsigned long n)
{
	int bad = 0;

	while (n-- > 0)
		bad |= decide1();
	return bad;
}

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

static int
run_wall(unsigned long n)
{
	uint64_t *td, *tv, t0, t1, t2;
	unsigned long i;
	int bad = 0;

	if (n == 0)
		return 0;
	td = calloc(n, sizeof(*td));
	tv = calloc(n, sizeof(*tv));
	if (td == NULL || tv == NULL)
		die("out of memory", -1);
	bad |= run_decide(n / 10 + 1) | run_verify3(n / 10 + 1);	/* warm up */
	/* Interleaved, so that drift of the shared machine hits both alike. */
	for (i = 0; i < n; i++) {
		t0 = now_ns();
		bad |= decide1();
		t1 = now_ns();
		bad |= verify3();
		t2 = now_ns();
		td[i] = t1 - t0;
		tv[i] = t2 - t1;
	}
	qsort(td, n, sizeof(*td), cmp_u64);
	qsort(tv, n, sizeof(*tv), cmp_u64);
	printf("decide_ns %llu\nverify3_ns %llu\n", (unsigned long long)td[n / 2],
	       (unsigned long long)tv[n / 2]);
	free(td);
	free(tv);
	return bad;
}

int
main(int argc, char **argv)
{
	unsigned long n;
	char *end;
	int bad;

	if (argc != 3)
		goto usage;
	errno = 0;
	n = strtoul(argv[2], &end, 10);
	if (errno != 0 || end == argv[2] || *end != '\0' || argv[2][0] == '-' || n > 100000000ul)
		goto usage;
	setup();
	/* Both must work before either is measured. */
	if (verify3() != 0 || decide1() != 0)
		die("the decision or its signatures do not verify", -1);
	if (strcmp(argv[1], "none") == 0)
		bad = 0;
	else if (strcmp(argv[1], "decide") == 0)
		bad = run_decide(n);
	else if (strcmp(argv[1], "verify3") == 0)
		bad = run_verify3(n);
	else if (strcmp(argv[1], "wall") == 0)
		bad = run_wall(n);
	else
		goto usage;
	teardown();
	if (bad)
		die("a decision or a signature check failed", -1);
	return 0;
usage:
	fputs("usage: bench_decide none|decide|verify3|wall N\n", stderr);
	return 2;
}
