/*
 * tests/unit/test_ratelimit_chain.c: porterd's limit on an account's hub
 * chain reads (daemons/porterd/ratelimit.c, ratelimit_chain_take/_done;
 * docs/api.md "Hubs"): RL_CHAIN_AT_ONCE in flight, RL_CHAIN_PER_MIN in a
 * window of a minute that begins with the first read after the last one
 * ended, per account; a full table admits nothing; and the sign-in counts,
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

	/* a full table admits nothing; sign-in counts are apart */
	for (k = 1000, refused = 0; k < 10000; k++)
		if (ratelimit_chain_take(rl, k, t0 + 70000, &at_once) != 0)
			refused++;	/* each stays in flight: never pushed out */
	T_OK(refused >= 9000 - 4096 && refused < 9000,
	     "9000 accounts in flight in a table of 4096: the reads past its room are refused (%d)",
	     refused);
	for (i = 0; i < 5; i++)
		T_EQ(ratelimit_attempt(rl, "ana@example.org", "192.0.2.1", t0 + 70000), 0,
		     "sign-in attempt %d of 5 free ones: counted, not refused", i + 1);
	T_OK(ratelimit_attempt(rl, "ana@example.org", "192.0.2.1", t0 + 70000) > 0,
	     "the 6th waits: the sign-in limit still counts with the chain table full");
	ratelimit_free(rl);
	return t_done();
}
