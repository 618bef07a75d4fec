/*
 * The decision at the door. See porter/decide.h for the order of checks.
 */
#include "porter/decide.h"

#include <string.h>

#include "porter/link.h"
#include "porter/tz.h"

static bool
sorted_contains(const uint8_t *base, size_t n, size_t width, const uint8_t *key)
{
	size_t lo = 0, hi = n;

	if (n == 0 || base == NULL)
		return false;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = memcmp(base + mid * width, key, width);
		if (c == 0)
			return true;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

static uint32_t
entries_used(const struct pt_context *ctx, const uint8_t cti[PT_CTI_LEN])
{
	size_t i;

	for (i = 0; i < ctx->n_usage; i++)
		if (memcmp(ctx->usage[i].cti, cti, PT_CTI_LEN) == 0)
			return ctx->usage[i].used;
	return 0;
}

/* The message a holder signs at the door: domain (with its NUL) || len(hub
 * id) || hub id || nonce || SHA-256(chain). PROOF and PANIC differ only in
 * the domain. */
static int
holder_message(const char *domain, size_t domain_size, const char *hub_id,
	       const uint8_t nonce[PT_NONCE_LEN], const uint8_t chain_hash[PT_HASH_LEN],
	       uint8_t *out, size_t cap, size_t *out_len)
{
	size_t id_len, n = 0;

	*out_len = 0;
	if (hub_id == NULL)
		return PT_EINVAL;
	for (id_len = 0; id_len <= PT_ID_MAX && hub_id[id_len] != '\0'; id_len++)
		continue;
	if (id_len == 0 || id_len > PT_ID_MAX)
		return PT_EINVAL;
	if (cap < domain_size + 1 + id_len + PT_NONCE_LEN + PT_HASH_LEN)
		return PT_ENOSPC;
	memcpy(out, domain, domain_size);
	n = domain_size;
	out[n++] = (uint8_t)id_len;
	memcpy(out + n, hub_id, id_len);
	n += id_len;
	memcpy(out + n, nonce, PT_NONCE_LEN);
	n += PT_NONCE_LEN;
	memcpy(out + n, chain_hash, PT_HASH_LEN);
	n += PT_HASH_LEN;
	*out_len = n;
	return PT_OK;
}

static int
holder_sign(const char *domain, size_t domain_size, const struct pt_crypto_ops *ops,
	    const struct pt_signer *holder, const char *hub_id, const uint8_t nonce[PT_NONCE_LEN],
	    const uint8_t *chain, size_t chain_len, uint8_t sig[PT_SIG_LEN])
{
	uint8_t msg[PT_PROOF_MSG_MAX > PT_PANIC_MSG_MAX ? PT_PROOF_MSG_MAX : PT_PANIC_MSG_MAX];
	uint8_t h[PT_HASH_LEN];
	size_t n;
	int r;

	memset(sig, 0, PT_SIG_LEN);
	if (chain_len > PT_CHAIN_SIZE_MAX)
		return PT_ETOOBIG;
	ops->sha256(h, chain, chain_len);
	r = holder_message(domain, domain_size, hub_id, nonce, h, msg, sizeof(msg), &n);
	if (r != PT_OK)
		return r;
	return holder->sign(holder->arg, sig, msg, n);
}

int
pt_proof_message(const char *hub_id, const uint8_t nonce[PT_NONCE_LEN],
		 const uint8_t chain_hash[PT_HASH_LEN], uint8_t *out, size_t cap, size_t *out_len)
{
	return holder_message(PT_PROOF_DOMAIN, sizeof(PT_PROOF_DOMAIN), hub_id, nonce, chain_hash,
			      out, cap, out_len);
}

int
pt_proof_sign(const struct pt_crypto_ops *ops, const struct pt_signer *holder, const char *hub_id,
	      const uint8_t nonce[PT_NONCE_LEN], const uint8_t *chain, size_t chain_len,
	      uint8_t sig[PT_SIG_LEN])
{
	return holder_sign(PT_PROOF_DOMAIN, sizeof(PT_PROOF_DOMAIN), ops, holder, hub_id, nonce,
			   chain, chain_len, sig);
}

int
pt_link_panic_message(const char *hub_id, const uint8_t nonce[PT_NONCE_LEN],
		      const uint8_t chain_hash[PT_HASH_LEN], uint8_t *out, size_t cap,
		      size_t *out_len)
{
	return holder_message(PT_PANIC_DOMAIN, sizeof(PT_PANIC_DOMAIN), hub_id, nonce, chain_hash,
			      out, cap, out_len);
}

int
pt_link_panic_sign(const struct pt_crypto_ops *ops, const struct pt_signer *holder,
		   const char *hub_id, const uint8_t nonce[PT_NONCE_LEN], const uint8_t *chain,
		   size_t chain_len, uint8_t sig[PT_SIG_LEN])
{
	return holder_sign(PT_PANIC_DOMAIN, sizeof(PT_PANIC_DOMAIN), ops, holder, hub_id, nonce,
			   chain, chain_len, sig);
}

int
pt_chain_duress_check(const struct pt_chain *c, int *link)
{
	uint8_t i;

	/* Only the owner's own link may say duress: a delegate that adds it
	 * would raise duress alerts in the owner's name (and hide them from
	 * the owner's account at porterd). A duress link has depth 0
	 * (pt_grant_check), so it is never a parent and none can drop it. */
	for (i = 1; i < c->n; i++) {
		if (c->link[i].g.duress) {
			*link = i;
			return PT_EWIDENED;
		}
	}
	return PT_OK;
}

static int
check_revoked(const struct pt_context *ctx, const struct pt_chain *c, int *link)
{
	uint8_t i;

	for (i = 0; i < c->n; i++) {
		*link = i;
		if (sorted_contains((const uint8_t *)ctx->revoked_ctis, ctx->n_revoked_ctis, PT_CTI_LEN,
				    c->link[i].g.cti) ||
		    sorted_contains((const uint8_t *)ctx->revoked_keys, ctx->n_revoked_keys, PT_PK_LEN,
				    c->link[i].g.holder))
			return PT_EREVOKED;
	}
	*link = -1;
	return PT_OK;
}

/* The root that signed link 0 is found by key id; a revoked owner key
 * must stop everything it signed. */
static bool
root_is_revoked(const struct pt_crypto_ops *ops, const struct pt_context *ctx,
		const struct pt_chain *c)
{
	uint8_t kid[PT_KID_LEN];
	size_t k;

	for (k = 0; k < ctx->n_roots; k++) {
		pt_kid(ops, ctx->roots[k], kid);
		if (memcmp(kid, c->link[0].g.kid, PT_KID_LEN) == 0 &&
		    sorted_contains((const uint8_t *)ctx->revoked_keys, ctx->n_revoked_keys, PT_PK_LEN,
				    ctx->roots[k]))
			return true;
	}
	return false;
}

/* ch == NULL: evaluate the credential alone (pt_evaluate), no proof. */
static int
decide(const struct pt_crypto_ops *ops, const uint8_t *chain, size_t chain_len,
       const uint8_t *proof, size_t proof_len, const struct pt_challenge *ch,
       const struct pt_context *ctx, struct pt_chain *c, struct pt_decision *out)
{
	uint8_t msg[PT_PROOF_MSG_MAX];
	const struct pt_grant *last;
	bool time_bound = false;
	size_t n;
	uint8_t i;
	int r, link = -1;

	memset(out, 0, sizeof(*out));
	memset(c, 0, sizeof(*c));

	/* Cheap refusals first: a locked-out or replaying caller costs us
	 * no signature checks. */
	if (ctx->locked_out_until_ms != 0 && ctx->mono_ms < ctx->locked_out_until_ms) {
		r = PT_ELOCKEDOUT;
		goto deny;
	}
	if (ch != NULL && ch->used) {
		r = PT_ENONCE;
		goto deny;
	}
	if (ch != NULL &&
	    (ctx->mono_ms < ch->issued_ms || ctx->mono_ms - ch->issued_ms > ctx->proof_max_ms)) {
		r = PT_ETOOLATE;
		goto deny;
	}
	if (chain_len > PT_CHAIN_SIZE_MAX) {
		r = PT_ETOOBIG;
		goto deny;
	}
	if ((r = pt_chain_decode(chain, chain_len, c)) != PT_OK) {
		link = -1;
		goto deny;
	}
	if ((r = pt_chain_verify(ops, c, ctx->roots, ctx->n_roots, &link)) != PT_OK ||
	    (r = pt_chain_duress_check(c, &link)) != PT_OK) {
		memset(c, 0, sizeof(*c));	/* no unverified field escapes */
		goto deny;
	}
	last = &c->link[c->n - 1].g;

	/* Possession: the holder of the last link signed this challenge. */
	link = c->n - 1;
	ops->sha256(out->chain_hash, chain, chain_len);
	if (ch == NULL)
		goto proven;	/* pt_evaluate: the caller has no holder here */
	if (proof == NULL || proof_len != PT_SIG_LEN) {
		r = PT_EMALFORMED;
		goto deny;
	}
	if ((r = pt_proof_message(ctx->hub_id, ch->nonce, out->chain_hash, msg, sizeof(msg), &n)) !=
	    PT_OK)
		goto deny;
	if (!ops->ed25519_verify(proof, msg, n, last->holder)) {
		r = PT_EBADSIG;
		goto deny;
	}
proven:
	for (i = 0; i < c->n; i++) {
		const struct pt_grant *g = &c->link[i].g;
		link = i;
		if (ctx->home_id == NULL || strcmp(g->aud, ctx->home_id) != 0) {
			r = PT_EAUDIENCE;
			goto deny;
		}
		if (g->n_locks > 0) {
			uint8_t k;
			bool found = false;
			for (k = 0; k < g->n_locks && !found; k++)
				found = ctx->lock_id != NULL && strcmp(g->locks[k], ctx->lock_id) == 0;
			if (!found) {
				r = PT_EAUDIENCE;
				goto deny;
			}
		}
		time_bound = time_bound || pt_grant_is_time_bound(g);
	}

	if ((r = check_revoked(ctx, c, &link)) != PT_OK)
		goto deny;
	if (root_is_revoked(ops, ctx, c)) {
		link = 0;
		r = PT_EREVOKED;
		goto deny;
	}
	link = -1;
	if (time_bound && !ctx->time_trusted) {
		r = PT_ETIMEUNKNOWN;
		goto deny;
	}
	/* Stale revocations: fail safe for strangers, stay usable for residents. */
	if (last->purpose != PT_PURPOSE_RESIDENT && ctx->revocations_max_age != 0 &&
	    (!ctx->time_trusted || ctx->now < ctx->revocations_at ||
	     ctx->now - ctx->revocations_at > (int64_t)ctx->revocations_max_age)) {
		r = PT_EREVSTALE;
		goto deny;
	}
	for (i = 0; i < c->n; i++) {
		link = i;
		if ((r = pt_grant_time_check(&c->link[i].g, ctx->now, ctx->tz, ctx->tz_name)) !=
		    PT_OK)
			goto deny;
	}
	for (i = 0; i < c->n; i++) {
		const struct pt_grant *g = &c->link[i].g;
		link = i;
		if (g->has_entries && entries_used(ctx, g->cti) >= g->entries) {
			r = PT_ENOENTRIES;
			goto deny;
		}
		out->cond |= g->cond;
		if (g->has_door_open && (out->door_open_max == 0 || g->door_open_max < out->door_open_max))
			out->door_open_max = g->door_open_max;
	}
	link = -1;
	if ((out->cond & PT_COND_CAMERA) && !ctx->camera_healthy) {
		r = PT_ECAMERA;
		goto deny;
	}
	if ((out->cond & PT_COND_ALARM_BYPASS) && !ctx->alarm_can_bypass) {
		r = PT_EALARM;
		goto deny;
	}
	if (!ctx->door_closed || !ctx->bolt_locked) {
		r = PT_EDOOR;
		goto deny;
	}

	for (i = 0; i < c->n; i++) {
		if (c->link[i].g.has_entries)
			memcpy(out->charge[out->n_charge++], c->link[i].g.cti, PT_CTI_LEN);
	}
	out->purpose = last->purpose;
	out->link = -1;
	out->reason = PT_OK;
	return PT_OK;
deny:
	/* Keep the decoded chain for the holder's message, the hash for the
	 * log; drop everything that could be mistaken for a grant. */
	out->n_charge = 0;
	memset(out->charge, 0, sizeof(out->charge));
	out->cond = 0;
	out->door_open_max = 0;
	out->purpose = 0;
	out->link = link;
	out->reason = r;
	return r;
}

int
pt_link_panic_verify(const struct pt_crypto_ops *ops, const struct pt_link_panic *m,
		     const struct pt_challenge *ch, const struct pt_context *ctx,
		     struct pt_chain *c, int *link)
{
	uint8_t msg[PT_PANIC_MSG_MAX], h[PT_HASH_LEN];
	size_t n;
	uint8_t i;
	int r;

	memset(c, 0, sizeof(*c));
	*link = -1;
	if (ch == NULL || m->chain == NULL)
		return PT_EINVAL;
	if (ch->used)
		return PT_ENONCE;
	if (ctx->mono_ms < ch->issued_ms || ctx->mono_ms - ch->issued_ms > ctx->proof_max_ms)
		return PT_ETOOLATE;
	if (m->chain_len > PT_CHAIN_SIZE_MAX)
		return PT_ETOOBIG;
	if ((r = pt_chain_decode(m->chain, m->chain_len, c)) != PT_OK)
		return r;
	if ((r = pt_chain_verify(ops, c, ctx->roots, ctx->n_roots, link)) != PT_OK ||
	    (r = pt_chain_duress_check(c, link)) != PT_OK)
		goto fail;
	*link = c->n - 1;
	ops->sha256(h, m->chain, m->chain_len);
	if ((r = pt_link_panic_message(ctx->hub_id, m->nonce, h, msg, sizeof(msg), &n)) != PT_OK)
		goto fail;
	if (!ops->ed25519_verify(m->sig, msg, n, c->link[c->n - 1].g.holder)) {
		r = PT_EBADSIG;
		goto fail;
	}
	for (i = 0; i < c->n; i++) {
		*link = i;
		if (ctx->home_id == NULL || strcmp(c->link[i].g.aud, ctx->home_id) != 0) {
			r = PT_EAUDIENCE;
			goto fail;
		}
	}
	if ((r = check_revoked(ctx, c, link)) != PT_OK)
		goto fail;
	if (root_is_revoked(ops, ctx, c)) {
		*link = 0;
		r = PT_EREVOKED;
		goto fail;
	}
	*link = -1;
	return PT_OK;
fail:
	memset(c, 0, sizeof(*c));	/* nothing unverified escapes */
	return r;
}

int
pt_decide(const struct pt_crypto_ops *ops, const uint8_t *chain, size_t chain_len,
	  const uint8_t *proof, size_t proof_len, const struct pt_challenge *ch,
	  const struct pt_context *ctx, struct pt_chain *decoded, struct pt_decision *out)
{
	if (ch == NULL) {	/* never let a missing challenge skip the proof */
		memset(out, 0, sizeof(*out));
		memset(decoded, 0, sizeof(*decoded));
		out->link = -1;
		out->reason = PT_EINVAL;
		return PT_EINVAL;
	}
	return decide(ops, chain, chain_len, proof, proof_len, ch, ctx, decoded, out);
}

int
pt_evaluate(const struct pt_crypto_ops *ops, const uint8_t *chain, size_t chain_len,
	    const struct pt_context *ctx, struct pt_chain *decoded, struct pt_decision *out)
{
	return decide(ops, chain, chain_len, NULL, 0, NULL, ctx, decoded, out);
}
