/*
 * tests/unit/test_ratelimit_chain.c: porterd's limit on an account's hub
 * chain reads (daemons/porterd/ratelimit.c, ratelimit_chain_take/_done;
 * docs/api.md "Hubs"): RL_CHAIN_AT_ONCE in flight, RL_CHAIN_PER_MIN in a
 * window of a minute that begins with the first read after the last one
 * ended, per account; a table full of reads in flight admits nothing, one
 * full of idle entries makes room; and the sign-in counts,
 * in the same struct, are untouched by any number of chain entries. Times
 * are given, never read from a clock: nothing here depends on speed.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "porterd.h"
#include "t.h"

int
main(void)
{
	struct ratelimit *rl = ratelimit_new();
	const int64_t t0 = 5000000;	/* ms, any monotonic time */
	bool at_once = true;
	int64_t w, k;
	int i, admitted, refused;

	T_OK(rl != NULL, "a table");
	if (rl == NULL)
		return t_done();
	{
		/* The tables' hash (pt_shorthash): SipHash-2-4's reference
		 * answer for key 00..0f and the empty message (Aumasson and
		 * Bernstein, vector 0: bytes 31 0e 0e dd 47 db 6f 72). */
		uint8_t hk[PT_SHORTHASH_KEY_LEN];

		for (i = 0; i < PT_SHORTHASH_KEY_LEN; i++)
			hk[i] = (uint8_t)i;
		T_OK(pt_shorthash(hk, "", 0) == 0x310e0edd47db6f72ull,
		     "pt_shorthash: SipHash-2-4 vector 0");
		hk[0] ^= 1;
		T_OK(pt_shorthash(hk, "", 0) != 0x310e0edd47db6f72ull, "another key: another hash");
	}
	T_EQ(RL_CHAIN_AT_ONCE, 2, "2 at once");
	T_EQ(RL_CHAIN_PER_MIN, 10, "10 a minute");

	/* in flight */
	T_EQ(ratelimit_chain_take(rl, 7, t0, &at_once), 0, "account 7's first read: taken");
	T_OK(!at_once, "at_once false when taken");
	T_EQ(ratelimit_chain_take(rl, 7, t0, &at_once), 0, "its second at once: taken");
	w = ratelimit_chain_take(rl, 7, t0, &at_once);
	T_OK(w == 1000 && at_once, "a third while two are in flight: wait 1000 ms, at once (%lld)",
	     (long long)w);
	T_EQ(ratelimit_chain_take(rl, 8, t0, &at_once), 0, "account 8 meanwhile: taken (per account)");
	ratelimit_chain_done(rl, 8);
	ratelimit_chain_done(rl, 7);
	T_EQ(ratelimit_chain_take(rl, 7, t0 + 1, &at_once), 0, "one ended: the next is taken (3)");
	ratelimit_chain_done(rl, 7);
	ratelimit_chain_done(rl, 7);
	ratelimit_chain_done(rl, 7);	/* one more than taken: no underflow */
	ratelimit_chain_done(rl, 99);	/* never taken: nothing */

	/* a minute */
	for (i = 4, admitted = 0; i <= 10; i++) {
		if (ratelimit_chain_take(rl, 7, t0 + 100 * i, &at_once) == 0)
			admitted++;
		ratelimit_chain_done(rl, 7);
	}
	T_EQ(admitted, 7, "reads 4..10 of the minute, one at a time: taken");
	w = ratelimit_chain_take(rl, 7, t0 + 2000, &at_once);
	T_OK(w == 58000 && !at_once, "the 11th, 2 s into the window: wait the 58 s left (%lld)",
	     (long long)w);
	w = ratelimit_chain_take(rl, 7, t0 + 59999, &at_once);
	T_EQ(w, 1, "1 ms before the window ends: still refused, 1 ms left");
	T_EQ(ratelimit_chain_take(rl, 7, t0 + 60000, &at_once), 0, "a minute on: a new window, taken");
	ratelimit_chain_done(rl, 7);
	for (i = 0, admitted = 0; i < 20; i++) {
		if (ratelimit_chain_take(rl, 7, t0 + 60000 + i, &at_once) == 0)
			admitted++;
		ratelimit_chain_done(rl, 7);
	}
	T_EQ(admitted, 9, "9 more in the new window (10 in all), then refused");
	T_EQ(ratelimit_chain_take(rl, 8, t0 + 60000, &at_once), 0, "account 8 is not touched by 7's");
	ratelimit_chain_done(rl, 8);

	/* reads in flight fill nothing beyond RL_CHAIN_ALL; sign-in counts
	 * are apart */
	for (k = 1000, refused = 0; k < 10000; k++)
		if (ratelimit_chain_take(rl, k, t0 + 70000, &at_once) != 0)
			refused++;	/* each stays in flight: never pushed out */
	T_EQ(refused, 9000 - RL_CHAIN_ALL,
	     "9000 accounts' reads, none answered: 16 in flight, the rest refused (%d)", refused);
	for (i = 0; i < 5; i++)
		T_EQ(ratelimit_attempt(rl, "ana@example.org", "192.0.2.1", t0 + 70000), 0,
		     "sign-in attempt %d of 5 free ones: counted, not refused", i + 1);
	T_OK(ratelimit_attempt(rl, "ana@example.org", "192.0.2.1", t0 + 70000) > 0,
	     "the 6th waits: the sign-in limit still counts with the chain table full");
	ratelimit_free(rl);

	/* Idle entries (their window running, no read in flight) never keep
	 * an account out: 9000 accounts that each read once, then a victim. */
	rl = ratelimit_new();
	T_OK(rl != NULL, "a second table");
	if (rl == NULL)
		return t_done();
	for (k = 1000, refused = 0; k < 10000; k++) {
		if (ratelimit_chain_take(rl, k, t0 + (k - 1000), &at_once) != 0)
			refused++;
		else
			ratelimit_chain_done(rl, k);
	}
	T_EQ(refused, 0, "9000 accounts reading once each within the minute: none refused");
	T_EQ(ratelimit_chain_take(rl, 7, t0 + 9000, &at_once), 0,
	     "then another account: taken (idle entries make room)");
	ratelimit_chain_done(rl, 7);
	for (i = 0, admitted = 0; i < 20; i++) {
		if (ratelimit_chain_take(rl, 7, t0 + 9001 + i, &at_once) == 0)
			admitted++;
		ratelimit_chain_done(rl, 7);
	}
	T_EQ(admitted, 9, "its own count still holds: 9 more, then refused");

	/* RL_CHAIN_ALL in flight for all accounts together */
	T_EQ(RL_CHAIN_ALL, 16, "16 in flight for all accounts");
	for (k = 20000; k < 20000 + RL_CHAIN_ALL; k++)
		T_EQ(ratelimit_chain_take(rl, k, t0 + 70000, &at_once), 0,
		     "account %lld's read in flight: taken", (long long)k);
	w = ratelimit_chain_take(rl, 30000, t0 + 70000, &at_once);
	T_OK(w == 1000 && at_once, "one more account's read with 16 in flight: wait 1000 ms (%lld)",
	     (long long)w);
	ratelimit_chain_done(rl, 20000);
	T_EQ(ratelimit_chain_take(rl, 30000, t0 + 70001, &at_once), 0,
	     "one answered: the next account's read taken");
	ratelimit_chain_done(rl, 30000);
	ratelimit_chain_done(rl, 30000);	/* once too often: no underflow */
	for (k = 20001; k < 20000 + RL_CHAIN_ALL; k++)
		ratelimit_chain_done(rl, k);
	for (k = 40000, admitted = 0; k < 40000 + RL_CHAIN_ALL; k++)
		if (ratelimit_chain_take(rl, k, t0 + 70002, &at_once) == 0)
			admitted++;
	T_EQ(admitted, RL_CHAIN_ALL, "all answered: 16 in flight again, no more, no fewer");
	ratelimit_free(rl);
	return t_done();
}
