/*
 * bench/exchange: unlock exchanges with a running porter-hub over its local
 * link (a Unix socket), timed from the device's side, with the unavoidable
 * parts measured in the same run, interleaved with the exchanges (so both
 * see the same machine): three Ed25519 verifications (libsodium, as the
 * hub's pt_decide makes them for a two-link chain and the proof) and one
 * 4 KiB append + fdatasync in the hub's state directory (the charge's WAL
 * commit, synchronous = FULL). The reference is taken before the exchange,
 * after the same idle pause as the exchange itself: a sync right after
 * another one (the hub's) costs a fraction of one after an idle pause
 * (helper 106 measured 207 against 640 us on the quiet machine), and the
 * charge's sync always comes after the pause.
 *
 *   exchange LINK_SOCK SIM_SOCK CRED KEY STATE_DIR N
 *
 * Each exchange: HELLO -> CHALLENGE, the device signs the proof, PROOF ->
 * DECISION (must be a grant). Between exchanges, untimed, it waits until
 * the door machine is secured again (sim status), so each exchange is
 * decided on a closed, locked door as in the field, then BENCH_PAUSE_US
 * more (default 20,000: the hub finishes recording the previous entry's
 * events; 0 measures back-to-back entries), then the reference parts
 * (timed), then BENCH_PAUSE_US again, then the link's floor (timed,
 * below), then BENCH_PAUSE_US again. Prints one line per exchange:
 *
 *   x TOTAL_US HELLO_CHALLENGE_US SIGN_US PROOF_DECISION_US VERIFY3_US FSYNC_US FLOOR_US
 *
 * FLOOR_US is not part of the goal's sum (BENCH_FLOOR=0: not measured):
 * the exchange's two round trips with nothing done at the other end. A child process waits in poll(2) on
 * a Unix socket pair, as the hub does, and answers each message at once
 * with one of the size the hub sends back (HELLO -> CHALLENGE, PROOF ->
 * DECISION, the same sizes as the exchange's). After an idle pause both
 * sides wake from sleep, which costs more on some machines (a virtual
 * one's halted vCPUs) than all the hub's work.
 *
 * and exits 0, or 1 on a refusal or an error (with a message on stderr).
 * bench/exchange.sh starts the hub and turns these lines into tables.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "porter/crypto.h"
#include "porter/keyfile.h"
#include "porter/link.h"

static uint64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static int
unix_connect(const char *path)
{
	struct sockaddr_un sa;
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path))
		return -1;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int
send_all(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t k = write(fd, p, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

static int
recv_exact(int fd, uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t k = read(fd, p, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

/* One frame into buf (PT_LINK_FRAME_MAX); its length in *len. */
static int
recv_frame(int fd, uint8_t *buf, size_t *len)
{
	size_t fl = 0, need = 0;

	if (recv_exact(fd, buf, 2) != 0 || pt_link_frame_scan(buf, 2, &fl, &need) != PT_OK ||
	    fl != 0 || need + 2 > PT_LINK_FRAME_MAX || recv_exact(fd, buf + 2, need) != 0)
		return -1;
	*len = need + 2;
	return 0;
}

/* The floor's far end: waits in poll(2) like the hub, answers each
 * message (2 bytes of length, then that many) with as many bytes as the
 * message's next two ask for; exits at EOF. */
static void
echo_child(int fd)
{
	uint8_t buf[PT_LINK_FRAME_MAX];
	struct pollfd p = { .fd = fd, .events = POLLIN };

	for (;;) {
		size_t len;

		if (poll(&p, 1, -1) < 0 && errno != EINTR)
			_exit(1);
		if (recv_exact(fd, buf, 2) != 0)
			_exit(0);
		len = (size_t)buf[0] << 8 | buf[1];
		if (len < 2 || len > sizeof(buf) - 2 || recv_exact(fd, buf + 2, len) != 0)
			_exit(1);
		len = (size_t)buf[2] << 8 | buf[3];	/* the answer's size, as the hub's */
		if (len < 2 || len > sizeof(buf))
			_exit(1);
		if (send_all(fd, buf, len) != 0)
			_exit(1);
	}
}

/* One round trip to echo_child: out bytes out (>= 4), back bytes back
 * (>= 2), both at most PT_LINK_FRAME_MAX. */
static int
echo_rt(int fd, uint8_t *buf, size_t out, size_t back)
{
	memset(buf, 0, out);
	buf[0] = (uint8_t)((out - 2) >> 8);
	buf[1] = (uint8_t)(out - 2);
	buf[2] = (uint8_t)(back >> 8);
	buf[3] = (uint8_t)back;
	if (send_all(fd, buf, out) != 0)
		return -1;
	return recv_exact(fd, buf, back);
}

/* Is the door machine secured? (the sim control socket: "status"). */
static int
secured(const char *sim)
{
	char reply[4096];
	size_t n = 0;
	int fd = unix_connect(sim), ok = 0;

	if (fd < 0)
		return 0;
	if (send_all(fd, (const uint8_t *)"status\n", 7) == 0) {
		for (;;) {
			ssize_t k = read(fd, reply + n, sizeof(reply) - 1 - n);
			if (k <= 0)
				break;
			n += (size_t)k;
			if (memchr(reply, '\n', n) != NULL || n == sizeof(reply) - 1)
				break;
		}
		reply[n] = '\0';
		ok = strstr(reply, "\"state\":\"secured\"") != NULL;
	}
	close(fd);
	return ok;
}

int
main(int argc, char **argv)
{
	static uint8_t frame[PT_LINK_FRAME_MAX], in[PT_LINK_FRAME_MAX], page[4096];
	uint8_t *raw = NULL, sig[PT_SIG_LEN], bpk[crypto_sign_PUBLICKEYBYTES];
	uint8_t bsk[crypto_sign_SECRETKEYBYTES], msg[3][300], bsig[3][crypto_sign_BYTES];
	struct pt_link_hello hello;
	struct pt_link_challenge ch;
	struct pt_link_proof proof;
	struct pt_link_decision d;
	struct pt_secret *sec;
	struct pt_signer sg;
	struct pt_errbuf err;
	size_t raw_len = 0, n, sz_hello = 0, sz_ch = 0, sz_proof = 0, sz_dec = 0;
	char path[4200];
	pid_t echo = -1;
	int ep[2] = { -1, -1 };
	long count, pause_us = 20000;
	const char *pause = getenv("BENCH_PAUSE_US");
	const char *fl = getenv("BENCH_FLOOR");
	int floor_on = fl == NULL || strcmp(fl, "0") != 0;
	int i, fd, wfd, rc = 1;

	if (argc != 7 || (count = strtol(argv[6], NULL, 10)) < 1 || count > 1000000) {
		fputs("usage: exchange LINK_SOCK SIM_SOCK CRED KEY STATE_DIR N\n", stderr);
		return 2;
	}
	if (pause != NULL)
		pause_us = strtol(pause, NULL, 10);
	if (pause_us < 0 || pause_us > 10000000)
		pause_us = 20000;
	if (sodium_init() < 0 || (sec = pt_secret_new()) == NULL)
		return 2;
	if (pt_file_read(argv[3], PT_CHAIN_SIZE_MAX, &raw, &raw_len, &err) != PT_OK ||
	    pt_keyfile_load(argv[4], sec, &err) != PT_OK) {
		fprintf(stderr, "exchange: %s\n", err.msg);
		return 2;
	}
	pt_signer_sodium(&sg, sec);
	/* The baseline's three signatures: over messages of a COSE Sign1's
	 * size, by one key, made once; verifying them is what is timed. */
	crypto_sign_keypair(bpk, bsk);
	for (i = 0; i < 3; i++) {
		randombytes_buf(msg[i], sizeof(msg[i]));
		crypto_sign_detached(bsig[i], NULL, msg[i], sizeof(msg[i]), bsk);
	}
	randombytes_buf(page, sizeof(page));
	if (snprintf(path, sizeof(path), "%s/bench.fsync", argv[5]) >= (int)sizeof(path) ||
	    (wfd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0) {
		fprintf(stderr, "exchange: cannot open '%s': %s\n", path, strerror(errno));
		return 2;
	}
	if ((fd = unix_connect(argv[1])) < 0) {
		fprintf(stderr, "exchange: cannot connect to '%s': %s\n", argv[1], strerror(errno));
		return 2;
	}
	/* A peer gone (the hub, the echo child): an error to report, not a
	 * signal that kills the bench silently. */
	(void)signal(SIGPIPE, SIG_IGN);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ep) != 0 || (echo = fork()) < 0) {
		fprintf(stderr, "exchange: cannot start the floor's echo: %s\n", strerror(errno));
		return 2;
	}
	if (echo == 0) {
		close(ep[0]);
		echo_child(ep[1]);
	}
	close(ep[1]);
	memset(&hello, 0, sizeof(hello));
	for (long x = 0; x < count; x++) {
		uint64_t t0, t1, t2, t3, t4, v0, v1, f1, e0, e1;
		int ok = 1;

		for (i = 0; i < 2000 && !secured(argv[2]); i++)
			usleep(500);
		/* The hub records the previous entry's events (7, each its own
		 * fsync'd transaction) after the door is secured again; a
		 * courier never arrives within milliseconds of a relock, so
		 * let it finish, untimed. */
		usleep(pause_us);
		/* The unavoidable parts, on the same machine state as the
		 * exchange below: after the same idle pause. */
		v0 = now_us();
		for (i = 0; i < 3; i++)
			ok &= crypto_sign_verify_detached(bsig[i], msg[i], sizeof(msg[i]), bpk) == 0;
		v1 = now_us();
		if (!ok)
			goto out;
		if ((x % 256) == 0 && ftruncate(wfd, 0) != 0)
			goto out;
		if (write(wfd, page, sizeof(page)) != (ssize_t)sizeof(page) || fdatasync(wfd) != 0)
			goto out;
		f1 = now_us();
		/* The floor: the exchange's two round trips, the sizes of the
		 * last exchange's frames (the first exchange's are guesses).
		 * BENCH_FLOOR=0: not measured (0 printed), no pause for it. */
		e0 = e1 = 0;
		if (floor_on) {
			usleep(pause_us);
			e0 = now_us();
			if (echo_rt(ep[0], in, sz_hello ? sz_hello : 5, sz_ch ? sz_ch : 72) != 0 ||
			    echo_rt(ep[0], in, sz_proof ? sz_proof : 475, sz_dec ? sz_dec : 13) !=
				    0) {
				fprintf(stderr, "exchange %ld: the floor's echo failed\n", x);
				goto out;
			}
			e1 = now_us();
		}
		usleep(pause_us);
		t0 = now_us();
		if (pt_link_hello_encode(&hello, frame, sizeof(frame), &n) != PT_OK ||
		    (sz_hello = n, send_all(fd, frame, n)) != 0 || recv_frame(fd, in, &n) != 0 ||
		    (sz_ch = n, pt_link_challenge_decode(in, n, &ch)) != PT_OK) {
			fprintf(stderr, "exchange %ld: no CHALLENGE\n", x);
			goto out;
		}
		t1 = now_us();
		if (pt_proof_sign(pt_crypto_sodium(), &sg, ch.hub_id, ch.nonce, raw, raw_len, sig) !=
		    PT_OK)
			goto out;
		memset(&proof, 0, sizeof(proof));
		memcpy(proof.nonce, ch.nonce, PT_NONCE_LEN);
		proof.chain = raw;
		proof.chain_len = raw_len;
		memcpy(proof.sig, sig, PT_SIG_LEN);
		if (pt_link_proof_encode(&proof, frame, sizeof(frame), &n) != PT_OK)
			goto out;
		t2 = now_us();
		if ((sz_proof = n, send_all(fd, frame, n)) != 0 || recv_frame(fd, in, &n) != 0 ||
		    (sz_dec = n, pt_link_decision_decode(in, n, &d)) != PT_OK) {
			fprintf(stderr, "exchange %ld: no DECISION\n", x);
			goto out;
		}
		t3 = now_us();
		t4 = t3;
		if (d.reason != PT_OK) {
			fprintf(stderr, "exchange %ld: refused %s\n", x, d.code);
			goto out;
		}
		printf("x %llu %llu %llu %llu %llu %llu %llu\n", (unsigned long long)(t4 - t0),
		       (unsigned long long)(t1 - t0), (unsigned long long)(t2 - t1),
		       (unsigned long long)(t3 - t2), (unsigned long long)(v1 - v0),
		       (unsigned long long)(f1 - v1), (unsigned long long)(e1 - e0));
	}
	rc = 0;
out:
	close(fd);
	close(wfd);
	close(ep[0]);	/* the echo child's EOF */
	if (echo > 0)
		(void)waitpid(echo, NULL, 0);
	(void)unlink(path);
	free(raw);
	pt_secret_free(sec);
	sodium_memzero(bsk, sizeof(bsk));
	return rc;
}
