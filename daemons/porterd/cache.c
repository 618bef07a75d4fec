/*
 * A small in-memory cache of what every authenticated request needs: the
 * session behind a token (with its account), and a home with the caller's
 * membership (and its policy, parsed). It saves the three SQLite lookups a
 * read would otherwise do.
 *
 * Invalidation is by generation, coarse and simple to trust: every write
 * that could change an answer (sign-out, sign-out everywhere, a home
 * changed or deleted, a member added or removed) bumps the generation
 * after its commit, and an entry is served only if it was filled under the
 * current generation. A reader takes the generation before it reads the
 * store, so an entry filled from data older than a commit never outlives
 * the bump. Session expiry is checked on every hit. A bump reaches this
 * process only: with a shared store (PostgreSQL: s->shared_store) porterd
 * does not use the session and home cache at all (api.c, live.c); the
 * digests of verified delegations (below) are kept either way.
 */
#include <stdlib.h>
#include <string.h>

#include "porterd.h"

#define SLOTS 1024
#define VERIFIED_SLOTS 256

struct session_slot {
	uint64_t gen;		/* 0: empty */
	uint8_t th[PT_HASH_LEN];
	int64_t expires_at;
	struct pt_account a;
};

struct home_slot {
	uint64_t gen;
	int64_t account;
	int role;
	struct pt_home h;
	json_t *policy;		/* h.policy parsed (one reference), or NULL */
};

struct cache {
	pthread_mutex_t mu;
	atomic_uint_fast64_t gen;
	struct session_slot sessions[SLOTS];
	struct home_slot homes[SLOTS];
	uint8_t verified[VERIFIED_SLOTS][PT_HASH_LEN];	/* all zero: empty */
};

struct cache *
cache_new(void)
{
	struct cache *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	pthread_mutex_init(&c->mu, NULL);
	atomic_store(&c->gen, 1);
	return c;
}

void
cache_free(struct cache *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < SLOTS; i++)
		json_decref(c->homes[i].policy);
	pthread_mutex_destroy(&c->mu);
	pt_wipe(c, sizeof(*c));	/* holds account rows (password hashes) */
	free(c);
}

uint64_t
cache_gen(struct cache *c)
{
	return atomic_load(&c->gen);
}

void
cache_bump(struct cache *c)
{
	atomic_fetch_add(&c->gen, 1);
}

static size_t
slot_of(const uint8_t *p, size_t n)
{
	uint64_t h = 1469598103934665603ull;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ p[i]) * 1099511628211ull;
	return (size_t)(h % SLOTS);
}

bool
cache_session_get(struct cache *c, const uint8_t th[PT_HASH_LEN], int64_t now, struct pt_account *a)
{
	struct session_slot *s = &c->sessions[slot_of(th, PT_HASH_LEN)];
	bool hit;

	pthread_mutex_lock(&c->mu);
	hit = s->gen != 0 && s->gen == atomic_load(&c->gen) && now < s->expires_at &&
	      memcmp(s->th, th, PT_HASH_LEN) == 0;
	if (hit)
		*a = s->a;
	pthread_mutex_unlock(&c->mu);
	return hit;
}

void
cache_session_put(struct cache *c, uint64_t gen, const uint8_t th[PT_HASH_LEN], int64_t expires_at,
		  const struct pt_account *a)
{
	struct session_slot *s = &c->sessions[slot_of(th, PT_HASH_LEN)];

	pthread_mutex_lock(&c->mu);
	s->gen = gen;
	memcpy(s->th, th, PT_HASH_LEN);
	s->expires_at = expires_at;
	s->a = *a;
	pthread_mutex_unlock(&c->mu);
}

static size_t
home_slot_of(const char *home_id, int64_t account)
{
	uint8_t key[PT_ID_MAX + 8];
	size_t n = strlen(home_id);

	memcpy(key, home_id, n);
	memcpy(key + n, &account, sizeof(account));
	return slot_of(key, n + sizeof(account));
}

bool
cache_home_get(struct cache *c, const char *home_id, int64_t account, struct pt_home *h, int *role,
	       json_t **policy)
{
	struct home_slot *s = &c->homes[home_slot_of(home_id, account)];
	bool hit;

	if (policy != NULL)
		*policy = NULL;
	pthread_mutex_lock(&c->mu);
	hit = s->gen != 0 && s->gen == atomic_load(&c->gen) && s->account == account &&
	      strcmp(s->h.id, home_id) == 0;
	if (hit) {
		*h = s->h;
		*role = s->role;
		if (policy != NULL)
			*policy = json_incref(s->policy);
	}
	pthread_mutex_unlock(&c->mu);
	return hit;
}

void
cache_home_put(struct cache *c, uint64_t gen, int64_t account, const struct pt_home *h, int role)
{
	struct home_slot *s = &c->homes[home_slot_of(h->id, account)];
	/* Parsed outside the lock; never changed after (readers share it). */
	json_t *policy = json_loads(h->policy, 0, NULL), *old;

	pthread_mutex_lock(&c->mu);
	s->gen = gen;
	s->account = account;
	s->role = role;
	s->h = *h;
	old = s->policy;
	s->policy = policy;
	pthread_mutex_unlock(&c->mu);
	json_decref(old);
}

/*
 * Digests of delegation chains that verified: bytes alone decide it, so an
 * entry never goes stale and is kept even when the store is shared (see
 * api_delivery.c, delegation_verify). A full table overwrites by digest.
 */
bool
cache_verified_has(struct cache *c, const uint8_t digest[PT_HASH_LEN])
{
	bool hit;

	pthread_mutex_lock(&c->mu);
	hit = memcmp(c->verified[slot_of(digest, PT_HASH_LEN) % VERIFIED_SLOTS], digest,
		     PT_HASH_LEN) == 0;
	pthread_mutex_unlock(&c->mu);
	return hit;
}

void
cache_verified_put(struct cache *c, const uint8_t digest[PT_HASH_LEN])
{
	pthread_mutex_lock(&c->mu);
	memcpy(c->verified[slot_of(digest, PT_HASH_LEN) % VERIFIED_SLOTS], digest, PT_HASH_LEN);
	pthread_mutex_unlock(&c->mu);
}
