/*
 * Just-in-time leaf credentials: one courier device, one entry, a few
 * minutes, only ever narrowing what the chain's last link allows.
 */
#include "porter/issue.h"

#include <string.h>

#include "porter/tz.h"

/* A signed link, with room for its Sig_structure and COSE overhead, so
 * that an oversized leaf is reported as too large, never as the caller's
 * buffer being too small. */
#define LEAF_BUF (PT_LINK_SIZE_MAX + 128)

static bool
is_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;
	size_t i;

	for (i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

/* Do [a, a + alen) and [b, b + blen) share a byte? */
static bool
overlaps(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	uintptr_t x = (uintptr_t)a, y = (uintptr_t)b;

	return x < y + blen && y < x + alen;
}

/* The leaf: the parent's scope, one entry, no further delegation, valid
 * from a little before now until now + window (both inside the parent). */
static void
leaf_from(const struct pt_grant *parent, const uint8_t holder[PT_PK_LEN],
	  const uint8_t cti[PT_CTI_LEN], int64_t now, uint32_t window, struct pt_grant *g)
{
	int64_t nbf = now - PT_ISSUE_BACKDATE, exp = now + (int64_t)window;

	memset(g, 0, sizeof(*g));
	memcpy(g->aud, parent->aud, sizeof(g->aud));
	g->n_locks = parent->n_locks;
	memcpy(g->locks, parent->locks, sizeof(g->locks));
	g->purpose = parent->purpose;
	g->cond = parent->cond;
	g->has_door_open = parent->has_door_open;
	g->door_open_max = parent->door_open_max;
	g->sched = parent->sched;
	memcpy(g->note, parent->note, sizeof(g->note));

	if (nbf < 0)
		nbf = 0;
	if (parent->has_nbf && nbf < parent->nbf)
		nbf = parent->nbf;
	if (exp > PT_TIME_MAX)
		exp = PT_TIME_MAX;
	if (parent->has_exp && exp > parent->exp)
		exp = parent->exp;
	g->has_nbf = g->has_exp = g->has_iat = true;
	g->nbf = nbf;
	g->exp = exp;
	g->iat = now;
	memcpy(g->cti, cti, PT_CTI_LEN);
	memcpy(g->holder, holder, PT_PK_LEN);
	g->has_entries = true;
	g->entries = 1;
	g->depth = 0;
}

/* Every link of the decoded chain c is issued by its parent's holder (by
 * key id) and narrows it: the shape a hub will check. */
static int
check_shape(const struct pt_crypto_ops *ops, const struct pt_chain *c)
{
	uint8_t kid[PT_KID_LEN];
	size_t i;
	int r;

	for (i = 1; i < c->n; i++) {
		pt_kid(ops, c->link[i - 1].g.holder, kid);
		if (memcmp(kid, c->link[i].g.kid, PT_KID_LEN) != 0)
			return PT_EBROKENCHAIN;
		if ((r = pt_grant_narrows(&c->link[i - 1].g, &c->link[i].g)) != PT_OK)
			return r;
	}
	return PT_OK;
}

int
pt_issue_leaf(const struct pt_crypto_ops *ops, const struct pt_signer *sg, const uint8_t *chain,
	      size_t chain_len, const uint8_t holder[PT_PK_LEN], const uint8_t cti[PT_CTI_LEN],
	      int64_t now, uint32_t window, const struct pt_tz *tz, const char *tz_name,
	      uint8_t *out, size_t cap, size_t *out_len)
{
	/* The one decoded chain (about 5 KiB): first the input, then the output. */
	struct pt_chain c;
	struct pt_grant leaf;
	uint8_t link[LEAF_BUF];
	const struct pt_grant *parent;
	size_t link_len = 0;
	int r;

	if (out_len == NULL)
		return PT_EINVAL;
	*out_len = 0;
	if (ops == NULL || sg == NULL || chain == NULL || holder == NULL || cti == NULL ||
	    out == NULL || window == 0 || now < 0 || now > PT_TIME_MAX ||
	    is_zero(cti, PT_CTI_LEN) || overlaps(chain, chain_len, out, cap))
		return PT_EINVAL;

	if ((r = pt_chain_decode(chain, chain_len, &c)) != PT_OK)
		return r;
	parent = &c.link[c.n - 1].g;
	/* Only the parent's holder may issue below it: a hub would refuse
	 * anything else as a broken chain. */
	if (memcmp(parent->holder, sg->pk, PT_PK_LEN) != 0) {
		r = PT_EBROKENCHAIN;
		goto out;
	}
	if (c.n >= PT_CHAIN_MAX) {
		r = PT_ECHAINLEN;
		goto out;
	}
	if (parent->depth < 1 || (parent->has_entries && parent->entries < 1)) {
		r = PT_EWIDENED;
		goto out;
	}
	if ((r = pt_grant_time_check(parent, now, tz, tz_name)) != PT_OK)
		goto out;

	leaf_from(parent, holder, cti, now, window, &leaf);
	r = pt_grant_sign(ops, sg, &leaf, link, sizeof(link), &link_len);
	if (r == PT_ENOSPC)
		r = PT_ETOOBIG;	/* our buffer holds any link the protocol allows */
	if (r != PT_OK)
		goto out;
	if ((r = pt_chain_append(chain, chain_len, link, link_len, out, cap, out_len)) != PT_OK)
		goto out_clear;

	/* What we hand out must be what a hub accepts in shape: decode it
	 * back and check every link against its parent. */
	if ((r = pt_chain_decode(out, *out_len, &c)) != PT_OK)
		goto out_clear;
	if ((r = check_shape(ops, &c)) != PT_OK)
		goto out_clear;
	r = PT_OK;
	goto out;

out_clear:
	memset(out, 0, cap);
	*out_len = 0;
out:
	return r;
}
