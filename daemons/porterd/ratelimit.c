/*
 * Sign-in brute-force limits, per account and per client address; and the
 * chain reads of each account (ratelimit_chain_take, below).
 *
 * After FREE failures, every further attempt must wait a delay that doubles
 * with each failure (1 s, 2 s, 4 s, ... up to 15 min) counted from the last
 * failure's answer (not its start: Argon2id on a loaded machine can take a
 * second), in milliseconds (a delay measured in whole seconds could shrink
 * to nothing across a second boundary). A bounded open-addressing table; when full, the entry idle the
 * longest is reused. In memory: a restart forgets (documented).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "porterd.h"

#define SLOTS 4096
#define KEY_MAX 256
#define ACCOUNT_FREE 5
#define ADDR_FREE 20
#define DELAY_MAX 900
#define CHAIN_WINDOW_MS 60000
#define CHAIN_SLOTS 4096

struct slot {
	char key[KEY_MAX + 2];	/* "a:", "i:" or "c:" prefix + key */
	unsigned failures;	/* "c:": chain reads started in the window */
	int64_t last;		/* "c:": when the window began */
	unsigned busy;		/* "c:": chain reads in flight */
};

struct ratelimit {
	pthread_mutex_t mu;
	/* The tables' hash key, random per process: which keys share a run
	 * of slots cannot be worked out from outside (account ids are
	 * sequential, and a run of 64 live entries refuses the next one). */
	uint8_t hkey[PT_SHORTHASH_KEY_LEN];
	struct slot slots[SLOTS];
	/* The chain reads' own table: however many accounts hold entries
	 * here, they never push out (or keep out) a sign-in count. */
	struct slot chain[CHAIN_SLOTS];
	unsigned chain_busy;	/* chain reads in flight, all accounts */
};

struct ratelimit *
ratelimit_new(void)
{
	struct ratelimit *rl = calloc(1, sizeof(*rl));

	if (rl != NULL) {
		pthread_mutex_init(&rl->mu, NULL);
		pt_random(rl->hkey, sizeof(rl->hkey));
	}
	return rl;
}

void
ratelimit_free(struct ratelimit *rl)
{
	if (rl != NULL)
		pthread_mutex_destroy(&rl->mu);
	free(rl);
}


/* Find or (create) the slot of key; NULL if absent and !create. */
static int64_t wait_for(const struct slot *s, unsigned free_failures, int64_t now);

static struct slot *
find_at(struct ratelimit *rl, char kind, const char *key, bool create, int64_t now)
{
	char k[KEY_MAX + 2];
	struct slot *oldest = NULL, *s, *tab = kind == 'c' ? rl->chain : rl->slots;
	size_t i, start, n = kind == 'c' ? CHAIN_SLOTS : SLOTS;

	k[0] = kind;
	k[1] = ':';
	(void)snprintf(k + 2, sizeof(k) - 2, "%s", key);
	start = (size_t)(pt_shorthash(rl->hkey, k, strlen(k)) % n);
	for (i = 0; i < 64; i++) {
		s = &tab[(start + i) % n];
		if (strcmp(s->key, k) == 0)
			return s;
		if (s->key[0] == '\0') {
			if (!create)
				return NULL;
			oldest = s;
			break;
		}
		/* Never push out an entry whose delay still runs: filling the
		 * table with junk must not reset a victim's count. Nor a chain
		 * entry whose reads are in flight (its release must find it);
		 * an idle one may go, its window running or not: pushing it out
		 * only forgets that account's reads of the minute, while keeping
		 * it would let accounts that read once fill a run of the table
		 * and refuse everyone whose entry falls there. */
		if (s->key[0] == 'c' ? s->busy > 0
				     : wait_for(s, s->key[0] == 'a' ? ACCOUNT_FREE : ADDR_FREE,
						now) > 0)
			continue;
		if (oldest == NULL || s->last < oldest->last)
			oldest = s;
	}
	if (!create || oldest == NULL)
		return NULL;	/* table full of running delays: not counted */
	memset(oldest, 0, sizeof(*oldest));
	memcpy(oldest->key, k, sizeof(k));
	return oldest;
}

static int64_t
wait_for(const struct slot *s, unsigned free_failures, int64_t now)
{
	int64_t delay, until;
	unsigned over;

	if (s == NULL || s->failures < free_failures)
		return 0;
	over = s->failures - free_failures;
	delay = over >= 10 ? DELAY_MAX * 1000 : (int64_t)1000 << over;
	if (delay > DELAY_MAX * 1000)
		delay = DELAY_MAX * 1000;
	until = s->last + delay;
	return until > now ? until - now : 0;
}

/*
 * An attempt is counted as a failure before the password is checked, in the
 * same locked step as the check: requests in flight together cannot all
 * pass the limit before any of them is counted. A success takes it back.
 */
int64_t
ratelimit_attempt(struct ratelimit *rl, const char *account, const char *addr, int64_t now)
{
	struct slot *a, *i;
	int64_t wa, wi;

	pthread_mutex_lock(&rl->mu);
	wa = wait_for(find_at(rl, 'a', account, false, now), ACCOUNT_FREE, now);
	wi = wait_for(find_at(rl, 'i', addr, false, now), ADDR_FREE, now);
	if (wa == 0 && wi == 0) {
		if ((a = find_at(rl, 'a', account, true, now)) != NULL) {
			a->failures++;
			a->last = now;
		}
		if ((i = find_at(rl, 'i', addr, true, now)) != NULL) {
			i->failures++;
			i->last = now;
		}
	}
	pthread_mutex_unlock(&rl->mu);
	return wa > wi ? wa : wi;
}

void
ratelimit_success(struct ratelimit *rl, const char *account, const char *addr)
{
	struct slot *s;

	pthread_mutex_lock(&rl->mu);
	if ((s = find_at(rl, 'a', account, false, 0)) != NULL)
		s->failures = 0;
	if ((s = find_at(rl, 'i', addr, false, 0)) != NULL && s->failures > 0)
		s->failures--;	/* this attempt was counted up front */
	pthread_mutex_unlock(&rl->mu);
}

void
ratelimit_failed(struct ratelimit *rl, const char *account, const char *addr, int64_t now)
{
	struct slot *s;

	pthread_mutex_lock(&rl->mu);
	if ((s = find_at(rl, 'a', account, false, now)) != NULL && s->failures > 0 && now > s->last)
		s->last = now;
	if ((s = find_at(rl, 'i', addr, false, now)) != NULL && s->failures > 0 && now > s->last)
		s->last = now;
	pthread_mutex_unlock(&rl->mu);
}

/*
 * Chain reads (GET .../hubs/{hub_id}/chain, docs/api.md): each allocates
 * about 1.3 MB of rows and up to 2.3 MB of JSON, so one account may have
 * RL_CHAIN_AT_ONCE in flight and start RL_CHAIN_PER_MIN in a window of a
 * minute (it begins with the first read after the last window ended).
 * Counted under the lock with the check, so reads that arrive together
 * cannot all pass. In a table of their own (CHAIN_SLOTS), apart from the
 * sign-in counts; an idle entry (no read in flight) may be pushed out for
 * another account's, so only 64 neighbouring entries with reads in flight
 * refuse a new account (a 429 too): the in-flight bound holds whatever
 * happens to the table, the per-minute count is kept while there is room.
 * And RL_CHAIN_ALL in flight for all accounts together: many accounts
 * cannot hold more than that many answers' megabytes at once (a 429 with
 * a second's wait, as for one account's).
 */
int64_t
ratelimit_chain_take(struct ratelimit *rl, int64_t account, int64_t now, bool *at_once)
{
	char key[24];
	struct slot *s;
	int64_t wait = 0;

	*at_once = false;
	(void)snprintf(key, sizeof(key), "%lld", (long long)account);
	pthread_mutex_lock(&rl->mu);
	if ((s = find_at(rl, 'c', key, true, now)) == NULL) {
		wait = 1000;
	} else {
		if (now - s->last >= CHAIN_WINDOW_MS) {
			s->failures = 0;
			s->last = now;
		}
		if (s->busy >= RL_CHAIN_AT_ONCE || rl->chain_busy >= RL_CHAIN_ALL) {
			*at_once = true;
			wait = 1000;
		} else if (s->failures >= RL_CHAIN_PER_MIN) {
			wait = s->last + CHAIN_WINDOW_MS - now;
		} else {
			s->failures++;
			s->busy++;
			rl->chain_busy++;
		}
	}
	pthread_mutex_unlock(&rl->mu);
	return wait;
}

void
ratelimit_chain_done(struct ratelimit *rl, int64_t account)
{
	char key[24];
	struct slot *s;

	(void)snprintf(key, sizeof(key), "%lld", (long long)account);
	pthread_mutex_lock(&rl->mu);
	/* A slot in flight is never pushed out, so it is still there. */
	if ((s = find_at(rl, 'c', key, false, 0)) != NULL && s->busy > 0) {
		s->busy--;
		if (rl->chain_busy > 0)
			rl->chain_busy--;
	}
	pthread_mutex_unlock(&rl->mu);
}
