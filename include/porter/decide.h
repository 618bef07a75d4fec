/*
 * porter/decide.h: the offline decision at the door.
 *
 *   pt_decide(chain, proof, challenge, context) -> grant, or the first
 *   reason to refuse.
 *
 * Pure: no I/O, no allocation, no globals, no clock (time comes in the
 * context). The caller owns every buffer; the decoded chain lands in the
 * caller's struct pt_chain so it can show the holder the notes. Safe to
 * call from several threads with distinct outputs.
 *
 * Order of the checks (also the order reasons are reported in): lockout,
 * nonce reuse, proof age; decoding; root, signatures, linkage, narrowing;
 * the holder's proof; home and lock; revocation; time known; revocation
 * freshness; validity and schedule of every link; entries; camera; alarm;
 * door. Nothing about the home's state (camera, alarm, door) is revealed
 * to a caller who has not first shown a valid chain and proof.
 */
#ifndef PORTER_DECIDE_H
#define PORTER_DECIDE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "porter/cred.h"
#include "porter/crypto.h"
#include "porter/err.h"

#define PT_NONCE_LEN 32
#define PT_PROOF_MSG_MAX (sizeof(PT_PROOF_DOMAIN) + 1 + PT_ID_MAX + PT_NONCE_LEN + PT_HASH_LEN)

/* What the hub issued to the device (step 2 of the exchange). */
struct pt_challenge {
	uint8_t nonce[PT_NONCE_LEN];
	uint64_t issued_ms;	/* monotonic ms, same clock as ctx->mono_ms */
	bool used;		/* the hub marks it used when a proof arrives */
};

/* Entries already used under one token id. */
struct pt_usage {
	uint8_t cti[PT_CTI_LEN];
	uint32_t used;
};

struct pt_context {
	int64_t now;			/* UTC seconds, the hub's clock */
	bool time_trusted;		/* false until RTC/NTP says otherwise */
	uint64_t mono_ms;		/* monotonic now, for proof age and lockout */
	uint32_t proof_max_ms;		/* relay bound: challenge to proof */
	uint64_t locked_out_until_ms;	/* monotonic; 0 when not locked out */

	const char *hub_id;		/* bound into the proof */
	const char *home_id;
	const char *lock_id;
	const char *tz_name;		/* the home's IANA zone */
	const struct pt_tz *tz;		/* its rules (NULL: weekly intervals fail) */

	const uint8_t (*roots)[PT_PK_LEN];	/* owner keys enrolled at the hub */
	size_t n_roots;
	const struct pt_usage *usage;
	size_t n_usage;
	const uint8_t (*revoked_ctis)[PT_CTI_LEN];	/* ascending (memcmp) */
	size_t n_revoked_ctis;
	const uint8_t (*revoked_keys)[PT_PK_LEN];	/* ascending (memcmp) */
	size_t n_revoked_keys;
	int64_t revocations_at;		/* UTC s of the last refresh from porterd */
	uint32_t revocations_max_age;	/* s; 0: no limit */

	bool camera_healthy;
	bool alarm_can_bypass;
	bool door_closed;
	bool bolt_locked;
};

struct pt_decision {
	int reason;		/* PT_OK: grant; else the PT_E* that refused */
	int link;		/* index of the offending link, -1 if none */
	uint8_t n_charge;	/* token ids to charge one entry each (persist first!) */
	uint8_t charge[PT_CHAIN_MAX][PT_CTI_LEN];
	uint8_t purpose;
	uint32_t cond;		/* union of the links' conditions */
	uint32_t door_open_max;	/* smallest limit of the chain; 0: none */
	uint8_t chain_hash[PT_HASH_LEN];
};

/*
 * Decide. proof is the holder's 64-byte signature over the proof message.
 * Returns the same value as out->reason. *decoded holds the chain once its
 * signatures and narrowing have verified (for the holder's notes and the
 * log), and is zeroed otherwise: no unverified field ever escapes. On any
 * refusal out->n_charge is 0.
 */
int pt_decide(const struct pt_crypto_ops *ops, const uint8_t *chain, size_t chain_len,
	      const uint8_t *proof, size_t proof_len, const struct pt_challenge *ch,
	      const struct pt_context *ctx, struct pt_chain *decoded,
	      struct pt_decision *out) PT_MUST_CHECK;

/*
 * Every check of pt_decide except the challenge and the holder's proof:
 * what a credential would allow here and now, for offline inspection
 * (porter cred verify without the holder's key) and for servers checking
 * what they store. NEVER a reason to move a bolt: without the proof, a
 * copied credential passes.
 */
int pt_evaluate(const struct pt_crypto_ops *ops, const uint8_t *chain, size_t chain_len,
		const struct pt_context *ctx, struct pt_chain *decoded,
		struct pt_decision *out) PT_MUST_CHECK;

/*
 * The proof message: PT_PROOF_DOMAIN, a zero byte, len(hub_id) as one
 * byte, hub_id, the nonce, SHA-256 of the encoded chain.
 */
int pt_proof_message(const char *hub_id, const uint8_t nonce[PT_NONCE_LEN],
		     const uint8_t chain_hash[PT_HASH_LEN], uint8_t *out, size_t cap,
		     size_t *out_len) PT_MUST_CHECK;

/* The device side: sign the proof for a chain with the holder's signer. */
int pt_proof_sign(const struct pt_crypto_ops *ops, const struct pt_signer *holder,
		  const char *hub_id, const uint8_t nonce[PT_NONCE_LEN], const uint8_t *chain,
		  size_t chain_len, uint8_t sig[PT_SIG_LEN]) PT_MUST_CHECK;

#endif
