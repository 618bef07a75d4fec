/*
 * Chains: who signed each link, and that each link only narrows.
 */
#include "porter/cred.h"

#include <string.h>

/* Room for a link's Sig_structure: the link plus the context and AAD. */
#define TBS_MAX (PT_LINK_SIZE_MAX + 64)

static bool
lock_is_in(const struct pt_grant *g, const char *lock)
{
	size_t i;

	for (i = 0; i < g->n_locks; i++)
		if (strcmp(g->locks[i], lock) == 0)
			return true;
	return false;
}

int
pt_grant_narrows(const struct pt_grant *p, const struct pt_grant *c)
{
	size_t i;

	if (p->depth == 0 || c->depth >= p->depth)
		return PT_EWIDENED;
	if (strcmp(p->aud, c->aud) != 0 || p->purpose != c->purpose)
		return PT_EWIDENED;
	if (p->n_locks > 0) {
		if (c->n_locks == 0)
			return PT_EWIDENED;
		for (i = 0; i < c->n_locks; i++)
			if (!lock_is_in(p, c->locks[i]))
				return PT_EWIDENED;
	}
	if (p->has_entries && (!c->has_entries || c->entries > p->entries))
		return PT_EWIDENED;
	if (p->has_nbf && (!c->has_nbf || c->nbf < p->nbf))
		return PT_EWIDENED;
	if (p->has_exp && (!c->has_exp || c->exp > p->exp))
		return PT_EWIDENED;
	if ((p->cond & ~c->cond) != 0)
		return PT_EWIDENED;
	if (p->has_door_open && (!c->has_door_open || c->door_open_max > p->door_open_max))
		return PT_EWIDENED;
	if (!pt_schedule_is_within(p, c))
		return PT_EWIDENED;
	return PT_OK;
}

static int
verify_link(const struct pt_crypto_ops *ops, const struct pt_link *l, const uint8_t pk[PT_PK_LEN])
{
	uint8_t tbs[TBS_MAX];

	return pt_sign1_verify(ops, &l->cose, (const uint8_t *)PT_AAD_GRANT,
			       sizeof(PT_AAD_GRANT) - 1, pk, tbs, sizeof(tbs));
}

int
pt_chain_verify(const struct pt_crypto_ops *ops, const struct pt_chain *c,
		const uint8_t (*roots)[PT_PK_LEN], size_t n_roots, int *failed_link)
{
	uint8_t kid[PT_KID_LEN];
	size_t i, k;
	bool matched = false, ok = false;
	int r;

	*failed_link = 0;
	if (c->n == 0)
		return PT_EMALFORMED;
	if (c->n > PT_CHAIN_MAX)
		return PT_ECHAINLEN;
	/* Link 0: a root whose key id matches and whose signature verifies. */
	for (k = 0; k < n_roots && !ok; k++) {
		pt_kid(ops, roots[k], kid);
		if (memcmp(kid, c->link[0].g.kid, PT_KID_LEN) != 0)
			continue;
		matched = true;
		r = verify_link(ops, &c->link[0], roots[k]);
		if (r == PT_OK)
			ok = true;
		else if (r != PT_EBADSIG)
			return r;
	}
	if (!ok)
		return matched ? PT_EBADSIG : PT_EUNTRUSTED;
	for (i = 1; i < c->n; i++) {
		const struct pt_grant *parent = &c->link[i - 1].g;

		*failed_link = (int)i;
		pt_kid(ops, parent->holder, kid);
		if (memcmp(kid, c->link[i].g.kid, PT_KID_LEN) != 0)
			return PT_EBROKENCHAIN;
		if ((r = verify_link(ops, &c->link[i], parent->holder)) != PT_OK)
			return r;
		if ((r = pt_grant_narrows(parent, &c->link[i].g)) != PT_OK)
			return r;
	}
	*failed_link = -1;
	return PT_OK;
}
