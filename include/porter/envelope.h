/*
 * porter/envelope.h: signed remote commands (lock, unlock), revocations
 * and the other statements below (PT_ENV_*), in the same envelope as
 * grants: an EdDSA COSE_Sign1 over a CWT claims map, with its own
 * external AAD so that no signature of one kind can ever pass for
 * another.
 *
 *   claims: {3: home id, 6: issued-at, 7: nonce (16 bytes),
 *            -65537: {1: op or kind, 2: lock id (command, optional) or
 *                     target (revocation: 16-byte token id or 32-byte key)}}
 *
 * Among them (schema 2):
 *
 *   pairing (PT_ENV_PAIRING): an owner key says "this hub belongs to my
 *     home". aud = home id, nonce = pt_pairing_nonce(the one-time pairing
 *     code the hub shows, home, hub key, owner key) (16 bytes: a MAC of
 *     the code, never the code itself), -65537 {1: 0, 2: the hub's
 *     Ed25519 key (32 bytes)}, AAD "porter/pairing/v2" (v1, whose nonce
 *     was the code, is refused; see pt_envelope_verify_pairing_v1). porterd
 *     stores the hub after checking the
 *     signer is an owner key of the home; the hub checks the nonce is the
 *     MAC of the code it showed and from then on trusts the signer as a
 *     root.
 *   attestation (PT_ENV_ATTESTATION): a carrier key says "this courier is
 *     who we say, checked to this level". aud = carrier id, nonce random,
 *     -65537 {1: level (enum pt_level, 1..3), 2: courier id (text: the
 *     courier's account id in decimal), 3: the courier's name (1..100
 *     bytes printable UTF-8)}.
 *
 * The server relays these; it cannot forge them, because only the keys
 * the verifier passes in (owners enrolled at the hub) are accepted.
 * Freshness is checked here against a skew; replay of a nonce inside the
 * skew is for the caller to refuse (it keeps the nonces it has seen).
 */
#ifndef PORTER_ENVELOPE_H
#define PORTER_ENVELOPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "porter/cred.h"
#include "porter/crypto.h"
#include "porter/err.h"

#define PT_ENVELOPE_SIZE_MAX 512

enum pt_envelope_kind {
	PT_ENV_COMMAND = 1,
	PT_ENV_REVOCATION = 2,
	PT_ENV_PAIRING = 3,
	PT_ENV_ATTESTATION = 4,
	PT_ENV_OWNER = 5,	/* an owner key endorses another owner key (docs/web.md) */
	PT_ENV_LIVE = 6,	/* an owner asks for live view (porter/live.h, docs/live.md) */
	PT_ENV_APPROVAL = 7,	/* an owner answers a hub's request to let someone in (docs/alarm.md) */
	PT_ENV_HUB_HOME = 8,	/* a hub says which home it belongs to (docs/mqtt.md, "home") */
};

/* PT_ENV_HUB_HOME: signed by the hub's own key, not an owner's. aud = the
 * home the hub is paired with, nonce random, AAD "porter/hub-home/v1"
 * (PT_AAD_HUB_HOME), -65537 {1: 1 (PT_HUB_HOME_PAIRED), 2: the owner key
 * whose pairing statement the hub accepted (32 bytes)}: op 1, target that
 * key, target_len 32. The hub publishes it (retained) on its "home" topic
 * whenever it connects paired and right after it pairs; porterd files the
 * hub's events and state under a home only once the hub's key has said
 * so, so that pairing a hub's public key at porterd from another home
 * gains nothing (docs/threat-model.md). */
#define PT_AAD_HUB_HOME "porter/hub-home/v1"
#define PT_HUB_HOME_PAIRED 1

/* PT_ENV_APPROVAL: aud = home id, AAD "porter/approval/v1"
 * (PT_AAD_APPROVAL), nonce = the request id the hub chose (16 bytes, in
 * its alert.approval-request), -65537 {1: PT_APPROVE or PT_DENY, 2: the
 * session id the request names (the token id of the credential's last
 * link, 16 bytes)}: op, target, target_len 16. The hub accepts it only
 * from an owner key it trusts, for a request it has open with that very
 * session id, once; porterd, which relays it, cannot make one, nor move
 * one to another request or credential. */
#define PT_AAD_APPROVAL "porter/approval/v1"
#define PT_APPROVE 1	/* let this one credential in once, the panel as it is */
#define PT_DENY 2	/* refuse it until the request expires */

/* PT_ENV_OWNER: aud = home id, nonce random, AAD "porter/owner/v1",
 * -65537 {1: 1 (add), 2: the new owner's Ed25519 key (32 bytes)}: op 1,
 * target the key, target_len 32. A hub that trusts the signer trusts the
 * new key from then on, as an owner key (a root), until a key revocation
 * names it. */
#define PT_OWNER_ADD 1

/* PT_ENV_LIVE: aud = home id, AAD "porter/live/v1" (PT_LIVE_REQUEST_DOMAIN),
 * nonce = the live session id, exp (CWT claim 4, the only kind that has
 * it, and it must: iat < exp <= iat + PT_LIVE_SECONDS_MAX),
 * -65537 {1: 1 (PT_LIVE_VIEW), 2: the viewer's X25519 public key (32
 * bytes; neither all zero nor of small order: pt_live_xpk_is_valid),
 * 3: camera id (a porter id)}: op 1, target the key, target_len 32, lock
 * the camera id. pt_envelope_verify also refuses exp <= now (PT_EEXPIRED).
 * Every other kind refuses claim 4 as it refuses any claim it does not
 * know, and pt_envelope_sign refuses exp != 0 for them. */

enum pt_command_op {
	PT_CMD_LOCK = 1,
	PT_CMD_UNLOCK = 2,
};

enum pt_revocation_kind {
	PT_REVOKE_TOKEN = 1,
	PT_REVOKE_KEY = 2,
};

struct pt_envelope {
	uint8_t kind;			/* enum pt_envelope_kind */
	uint8_t kid[PT_KID_LEN];
	char aud[PT_ID_MAX + 1];	/* home id */
	int64_t iat;
	int64_t exp;			/* live only (claim 4); 0 for every other kind */
	uint8_t nonce[PT_CTI_LEN];
	uint8_t op;			/* command op, revocation kind, attested level; 0 for pairing */
	char lock[PT_ID_MAX + 1];	/* command: "" means every lock; attestation: courier id;
					 * live: camera id */
	uint8_t target[PT_PK_LEN];	/* revocation: token id (16) or key (32); pairing: hub key;
					 * live: the viewer's X25519 key; approval: session id */
	uint8_t target_len;
	char name[100 + 1];		/* attestation: the courier's name */
};

/* Sign e (kind, aud, iat, exp (live only), nonce, op, lock/target set by
 * the caller). PT_EMALFORMED for what verify would refuse. */
int pt_envelope_sign(const struct pt_crypto_ops *ops, const struct pt_signer *sg,
		     struct pt_envelope *e, uint8_t *out, size_t cap, size_t *out_len) PT_MUST_CHECK;

/*
 * Decode and verify an envelope of the given kind. The signer must be one
 * of signers (matched by key id, then signature); *signer_index tells
 * which. Then: audience == home_id, |now - iat| <= skew, and for
 * PT_ENV_LIVE exp > now.
 * PT_OK, PT_ETOOBIG, PT_EMALFORMED, PT_EUNSUPPORTED, PT_EUNTRUSTEDCMD,
 * PT_EBADSIG, PT_EAUDIENCE, PT_ESTALE, PT_EEXPIRED (live only); PT_EINVAL
 * for a kind that does not exist. *e zeroed on failure. A pairing's hub
 * key is not checked to be a valid point here: callers check it with
 * pt_pk_is_valid.
 */
int pt_envelope_verify(const struct pt_crypto_ops *ops, const uint8_t *p, size_t len,
		       enum pt_envelope_kind kind, const uint8_t (*signers)[PT_PK_LEN],
		       size_t n_signers, const char *home_id, int64_t now, uint32_t skew,
		       struct pt_envelope *e, size_t *signer_index) PT_MUST_CHECK;

/*
 * A pairing statement of the old format (AAD "porter/pairing/v1", its
 * nonce the code itself, docs/credentials.md): verification only, the
 * same checks and results as pt_envelope_verify with PT_ENV_PAIRING. For
 * a hub's stored evidence of the pairing it made before v2, and to tell a
 * statement made by an older porter apart; never for a new pairing.
 * Nothing signs one any more.
 */
int pt_envelope_verify_pairing_v1(const struct pt_crypto_ops *ops, const uint8_t *p, size_t len,
				  const uint8_t (*signers)[PT_PK_LEN], size_t n_signers,
				  const char *home_id, int64_t now, uint32_t skew,
				  struct pt_envelope *e, size_t *signer_index) PT_MUST_CHECK;

/*
 * The nonce of a pairing statement (PT_ENV_PAIRING), docs/credentials.md:
 * a MAC of the one-time code the hub shows, bound to both keys and the
 * home, so the statement can travel through porterd (which must never
 * learn the code) and be good for this one owner key only:
 *
 *   out = BLAKE2b-128(key = code (16 bytes),
 *                     PT_PAIRING_NONCE_DOMAIN || 0x00 || hub_pk (32) ||
 *                     owner_pk (32) || len(home) (1 byte) || home)
 *
 * (crypto_generichash, 16-byte output; lib/crypto/pairing.c). Whoever
 * holds a statement learns neither the code nor a nonce for any other
 * signer key. out is always written: the MAC, or zeros on failure.
 * PT_OK; PT_EINVAL (a NULL pointer, home not a valid id). Thread-safe;
 * the hash state and the message are wiped before return.
 */
#define PT_PAIRING_NONCE_DOMAIN "porter/pairing-code/v1"
#define PT_PAIRING_CODE_LEN 16
int pt_pairing_nonce(uint8_t out[PT_CTI_LEN], const uint8_t code[PT_PAIRING_CODE_LEN],
		     const char *home, const uint8_t hub_pk[PT_PK_LEN],
		     const uint8_t owner_pk[PT_PK_LEN]) PT_MUST_CHECK;

#endif
