/*
 * porter/link.h: the link protocol between a courier device and the hub at
 * the door (docs/link-protocol.md specifies the bytes).
 *
 * (Not to be confused with struct pt_link of porter/cred.h, one link of a
 * credential chain: this "link" is the local connection, BLE in the field,
 * a Unix or TCP socket here.)
 *
 * A frame is
 *
 *   length (2 bytes, big-endian: the bytes that follow it)
 *   version (1 byte, PT_LINK_VERSION)
 *   type (1 byte, enum pt_link_type)
 *   body (a CBOR map in core deterministic encoding, one grammar per type)
 *
 * at most PT_LINK_FRAME_MAX bytes in all. The exchange is
 *
 *   device -> hub   HELLO      only after the courier's explicit action
 *   hub -> device   CHALLENGE  hub id, fresh 32-byte nonce, hub time, expiry
 *   device -> hub   PROOF      nonce echoed, the chain, the holder's signature
 *   hub -> device   DECISION   reason, failing link, what the holder is told
 *
 * or, in place of the PROOF, a call for help (docs/alarm.md, "Panic"):
 *
 *   device -> hub   PANIC      nonce echoed, the chain, the holder's signature
 *                              under PT_PANIC_DOMAIN
 *   hub -> device   DECISION   panic-received (the door stays shut), or why not
 *
 * and either side may answer a frame it cannot take with ERROR (malformed,
 * unsupported version, too large, or locked out with a retry-after).
 *
 * Pairing (hub enrolment, at the door): the owner's device sends
 *
 *   device -> hub   PAIR       home id, the owner's key, the owner-signed
 *                              PT_ENV_PAIRING statement (nonce = the MAC
 *                              of the code the hub shows, pt_pairing_nonce;
 *                              target = the hub's key)
 *   hub -> device   DECISION   ok, or why not (no link, no notes)
 *
 * The codec only carries bytes: the holder's signature is made by
 * pt_proof_sign() and checked by pt_decide() (porter/decide.h); nothing
 * here verifies anything but the shape of the messages.
 *
 * Everything here is pure (no allocation, no I/O, no clock, no globals)
 * and safe to call from several threads on distinct outputs. Decoders are
 * strict: exact types, keys in deterministic order, unknown keys refused,
 * every length bounded, nothing after the body, never a read outside the
 * frame given; a failing decoder leaves its output zeroed. Encoders refuse
 * (PT_EINVAL) what the decoders would refuse, so whatever they write
 * decodes back to the same struct.
 *
 * BLE: pt_link_frag_*() cut a frame into GATT writes/notifications of at
 * most PT_LINK_BLE_FRAG_MAX bytes with a one-byte fragment header, and
 * struct pt_link_reasm puts them back together with bounds.
 */
#ifndef PORTER_LINK_H
#define PORTER_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "porter/cred.h"
#include "porter/crypto.h"
#include "porter/decide.h"
#include "porter/envelope.h"
#include "porter/err.h"

#define PT_LINK_VERSION 1
#define PT_LINK_PREFIX_LEN 2	/* the length prefix */
#define PT_LINK_HDR_LEN 4	/* prefix, version, type */

/*
 * The hard cap on a frame, prefix included: the payload of nine BLE
 * fragments of 244 bytes (9 x 243). The largest v1 frame is a PROOF with a
 * chain of PT_CHAIN_SIZE_MAX bytes: 4 (header) + 1 (map) + 35 (nonce) +
 * 2052 (chain) + 67 (signature) = 2159 bytes; link.c checks it fits.
 */
#define PT_LINK_FRAME_MAX 2187
#define PT_LINK_BODY_MAX (PT_LINK_FRAME_MAX - PT_LINK_HDR_LEN)

/* Bounds on fields (the decoders refuse anything outside them). */
#define PT_LINK_CODE_MAX 32			/* reason code string, [a-z0-9-] */
#define PT_LINK_REASON_MIN (-255)		/* reasons: PT_LINK_REASON_MIN..0 */
#define PT_LINK_EXPIRY_MAX_MS 60000u		/* challenge lifetime (relay bound) */
#define PT_LINK_RELOCK_MAX 3600u		/* s: relock if the door is not opened */
#define PT_LINK_RETRY_MAX_MS 86400000u		/* a lockout's retry-after: a day */

enum pt_link_type {
	PT_LINK_HELLO = 1,	/* device -> hub: give me a challenge */
	PT_LINK_CHALLENGE = 2,	/* hub -> device */
	PT_LINK_PROOF = 3,	/* device -> hub */
	PT_LINK_DECISION = 4,	/* hub -> device */
	PT_LINK_ERROR = 5,	/* either way; the sender then closes */
	PT_LINK_PAIR = 6,	/* device -> hub: an owner pairs the hub */
	PT_LINK_PANIC = 7,	/* device -> hub: a call for help, after a CHALLENGE */
};
#define PT_LINK_TYPE_MAX PT_LINK_PANIC	/* types are 1..PT_LINK_TYPE_MAX */

/* The panic signature's domain (pt_link_panic_message). */
#define PT_PANIC_DOMAIN "porter/panic/v1"

/* HELLO: carries nothing secret. panic: the challenge asked for is for a
 * PANIC only (key 2, true; absent: false): the hub gives one even during
 * a lockout, and takes no PROOF on it. */
struct pt_link_hello {
	char lock[PT_ID_MAX + 1];	/* the lock to open; "": the hub's default */
	bool panic;
};

/* CHALLENGE. */
struct pt_link_challenge {
	char hub_id[PT_ID_MAX + 1];	/* bound into the proof */
	uint8_t nonce[PT_NONCE_LEN];	/* fresh, single use */
	bool has_time;			/* false: the hub does not know the time */
	int64_t time;			/* hub's UTC seconds, 0..PT_TIME_MAX */
	uint32_t expires_ms;		/* 1..PT_LINK_EXPIRY_MAX_MS: the proof must
					 * reach the hub this long after it sent
					 * the challenge (the relay bound) */
};

/*
 * PROOF. chain borrows: after a decode, the frame passed in (valid while it
 * lives); for an encode, the caller's buffer. sig is pt_proof_sign()'s
 * signature over pt_proof_message(hub id, nonce, SHA-256(chain)).
 */
struct pt_link_proof {
	uint8_t nonce[PT_NONCE_LEN];	/* the challenge answered */
	const uint8_t *chain;		/* 1..PT_CHAIN_SIZE_MAX bytes */
	size_t chain_len;
	uint8_t sig[PT_SIG_LEN];
};

/*
 * DECISION. A refusal carries no conditions, door-open limit or relock
 * time (so it cannot be mistaken for a grant); a grant names no link.
 * Notes are the non-empty notes of the chain's links, in chain order
 * (owner's first): what the credential tells its holder.
 */
struct pt_link_decision {
	int reason;			/* PT_OK or a PT_E* (PT_LINK_REASON_MIN..0) */
	char code[PT_LINK_CODE_MAX + 1];	/* its stable code (decode fills it;
						 * encode derives it from reason) */
	int link;			/* failing link, -1 if none */
	uint32_t cond;			/* grant: PT_COND_* in force */
	uint32_t door_open_max;		/* grant: s the door may stand open; 0 none */
	uint32_t relock_s;		/* grant: s until relock if not opened; 0 none */
	uint8_t n_notes;
	char notes[PT_CHAIN_MAX][PT_NOTE_MAX + 1];
};

/* ERROR: why a frame was not taken. */
struct pt_link_error {
	int reason;	/* PT_EMALFORMED, PT_EUNSUPPORTED (version), PT_ETOOBIG, PT_ELOCKEDOUT */
	char code[PT_LINK_CODE_MAX + 1];	/* pt_err_code(reason) (decode fills it) */
	uint32_t retry_after_ms;	/* locked out only: 1..PT_LINK_RETRY_MAX_MS */
	uint8_t version;		/* unsupported only: the version the sender speaks */
};

/*
 * PAIR: the owner's signed statement that this hub belongs to the home.
 * The codec checks only its shape; the hub verifies the statement with
 * pt_envelope_verify(PT_ENV_PAIRING, signers = {owner}, home_id = home),
 * then that its nonce is pt_pairing_nonce(the code it shows, home, its
 * own key, owner) and its target its own key. statement borrows, as a PROOF's chain does. The hub answers
 * with a DECISION (ok, or the reason), without link or notes.
 */
struct pt_link_pair {
	char home[PT_ID_MAX + 1];	/* the statement's audience */
	uint8_t owner[PT_PK_LEN];	/* the key that signed it: the new root */
	const uint8_t *statement;	/* 1..PT_ENVELOPE_SIZE_MAX bytes */
	size_t statement_len;
};

/*
 * PANIC: the body of a PROOF (same keys, same bounds), another type, and
 * a signature by the last holder over pt_link_panic_message(hub id,
 * nonce, SHA-256(chain)), which differs from the proof's only in its
 * domain: a PROOF's signature is never a PANIC's, nor the other way
 * round. chain borrows as a PROOF's does.
 */
struct pt_link_panic {
	uint8_t nonce[PT_NONCE_LEN];	/* the challenge answered */
	const uint8_t *chain;		/* 1..PT_CHAIN_SIZE_MAX bytes */
	size_t chain_len;
	uint8_t sig[PT_SIG_LEN];
};

/* Any message, by type (pt_link_decode). */
struct pt_link_msg {
	uint8_t type;	/* enum pt_link_type */
	union {
		struct pt_link_hello hello;
		struct pt_link_challenge challenge;
		struct pt_link_proof proof;
		struct pt_link_decision decision;
		struct pt_link_error error;
		struct pt_link_pair pair;
		struct pt_link_panic panic;
	} u;
};

/* A frame's header, its body borrowed from the frame. */
struct pt_link_frame {
	uint8_t version;
	uint8_t type;
	const uint8_t *body;
	size_t body_len;
};

/*
 * The streaming frame reader. p, len: the bytes received so far, from the
 * start of a frame (more may follow it). Returns
 *   PT_OK with *frame_len > 0: a complete frame of *frame_len bytes is at p
 *         (bytes after it belong to the next frame); *need = 0;
 *   PT_OK with *frame_len == 0: incomplete; at least *need more bytes are
 *         needed (exactly that many once the prefix is in);
 *   PT_ETOOBIG: the prefix announces more than PT_LINK_FRAME_MAX bytes;
 *   PT_EMALFORMED: the prefix announces a frame without version and type.
 * It reads p[0] and p[1] only and decides as soon as the prefix is in: a
 * too-big frame is refused before it is buffered. The version is not
 * looked at, so a frame of another version is still delimited (and can
 * be answered with ERROR unsupported).
 */
int pt_link_frame_scan(const uint8_t *p, size_t len, size_t *frame_len,
		       size_t *need) PT_MUST_CHECK;

/*
 * Split exactly one frame (len bytes) into its header and body. In this
 * order: PT_ETOOBIG (len > PT_LINK_FRAME_MAX), PT_EMALFORMED (prefix does
 * not match len, or no version/type), PT_EUNSUPPORTED (version is not
 * PT_LINK_VERSION), PT_EMALFORMED (unknown type). *f zeroed on error.
 */
int pt_link_frame_parse(const uint8_t *p, size_t len, struct pt_link_frame *f) PT_MUST_CHECK;

/*
 * Encoders: one whole frame into out. PT_OK, PT_EINVAL (a field the
 * decoder would refuse), PT_ETOOBIG (proof chain over PT_CHAIN_SIZE_MAX,
 * pairing statement over PT_ENVELOPE_SIZE_MAX),
 * PT_ENOSPC (cap too small; PT_LINK_FRAME_MAX always suffices). *out_len
 * is 0 on error.
 */
int pt_link_hello_encode(const struct pt_link_hello *m, uint8_t *out, size_t cap,
			 size_t *out_len) PT_MUST_CHECK;
int pt_link_challenge_encode(const struct pt_link_challenge *m, uint8_t *out, size_t cap,
			     size_t *out_len) PT_MUST_CHECK;
int pt_link_proof_encode(const struct pt_link_proof *m, uint8_t *out, size_t cap,
			 size_t *out_len) PT_MUST_CHECK;
/* reason must be a known PT_E* value (its code comes from pt_err_code). */
int pt_link_decision_encode(const struct pt_link_decision *m, uint8_t *out, size_t cap,
			    size_t *out_len) PT_MUST_CHECK;
int pt_link_error_encode(const struct pt_link_error *m, uint8_t *out, size_t cap,
			 size_t *out_len) PT_MUST_CHECK;
int pt_link_pair_encode(const struct pt_link_pair *m, uint8_t *out, size_t cap,
			size_t *out_len) PT_MUST_CHECK;
int pt_link_panic_encode(const struct pt_link_panic *m, uint8_t *out, size_t cap,
			 size_t *out_len) PT_MUST_CHECK;
/* Dispatch on m->type. */
int pt_link_encode(const struct pt_link_msg *m, uint8_t *out, size_t cap,
		   size_t *out_len) PT_MUST_CHECK;

/*
 * Strict decoders of one whole frame (p, len: exactly the frame, as
 * pt_link_frame_scan delimits it). The frame errors of pt_link_frame_parse,
 * then PT_EMALFORMED for a frame of another type or a body that breaks its
 * grammar. The output is zeroed on error (decision->link is then 0, not -1:
 * nothing half-decoded escapes).
 *
 * A DECISION's reason may be one this build does not know (a newer hub):
 * it is kept with the code string sent; a known reason must come with its
 * own code (pt_err_code), else PT_EMALFORMED.
 */
int pt_link_hello_decode(const uint8_t *p, size_t len, struct pt_link_hello *m) PT_MUST_CHECK;
int pt_link_challenge_decode(const uint8_t *p, size_t len,
			     struct pt_link_challenge *m) PT_MUST_CHECK;
int pt_link_proof_decode(const uint8_t *p, size_t len, struct pt_link_proof *m) PT_MUST_CHECK;
int pt_link_decision_decode(const uint8_t *p, size_t len,
			    struct pt_link_decision *m) PT_MUST_CHECK;
int pt_link_error_decode(const uint8_t *p, size_t len, struct pt_link_error *m) PT_MUST_CHECK;
/* PAIR: PT_ETOOBIG for a statement over PT_ENVELOPE_SIZE_MAX bytes. */
int pt_link_pair_decode(const uint8_t *p, size_t len, struct pt_link_pair *m) PT_MUST_CHECK;

/*
 * A PAIR's body alone, the CBOR map {1: home, 2: owner, 3: statement}
 * without the frame header: what porterd publishes on the hub's uplink
 * topic "pair" (docs/mqtt.md), read by the same code as the link's PAIR.
 * The body is at most PT_LINK_PAIR_BODY_MAX bytes: map(3), key 1 and a
 * 64-byte id (2-byte head), key 2 and 32 bytes, key 3 and a 512-byte
 * statement (3-byte head). encode: PT_OK, PT_EINVAL, PT_ETOOBIG, PT_ENOSPC
 * as pt_link_pair_encode. decode (p, len: exactly the body): PT_OK,
 * PT_ETOOBIG (len over PT_LINK_PAIR_BODY_MAX, or a statement over
 * PT_ENVELOPE_SIZE_MAX), PT_EMALFORMED; *m zeroed on error, its statement
 * borrows p.
 */
#define PT_LINK_PAIR_BODY_MAX (1 + (1 + 2 + PT_ID_MAX) + (1 + 2 + PT_PK_LEN) + (1 + 3 + PT_ENVELOPE_SIZE_MAX))
int pt_link_pair_body_encode(const struct pt_link_pair *m, uint8_t *out, size_t cap,
			     size_t *out_len) PT_MUST_CHECK;
int pt_link_pair_body_decode(const uint8_t *p, size_t len,
			     struct pt_link_pair *m) PT_MUST_CHECK;
/* PANIC: as a PROOF (PT_ETOOBIG for a chain over PT_CHAIN_SIZE_MAX). */
int pt_link_panic_decode(const uint8_t *p, size_t len, struct pt_link_panic *m) PT_MUST_CHECK;
/* Any type: m->type says which member holds the message. */
int pt_link_decode(const uint8_t *p, size_t len, struct pt_link_msg *m) PT_MUST_CHECK;

/*
 * The message a PANIC's signature covers: PT_PANIC_DOMAIN with its NUL,
 * the hub id's length (1 byte) and bytes, the nonce, the chain's hash;
 * the layout of pt_proof_message() under another domain. PT_OK,
 * PT_EINVAL (hub id empty or over PT_ID_MAX), PT_ENOSPC.
 */
#define PT_PANIC_MSG_MAX (sizeof(PT_PANIC_DOMAIN) + 1 + PT_ID_MAX + PT_NONCE_LEN + PT_HASH_LEN)
int pt_link_panic_message(const char *hub_id, const uint8_t nonce[PT_NONCE_LEN],
			  const uint8_t chain_hash[PT_HASH_LEN], uint8_t *out, size_t cap,
			  size_t *out_len) PT_MUST_CHECK;
/* The holder's signature for a PANIC. PT_OK, PT_ETOOBIG, PT_EINVAL, signer errors. */
int pt_link_panic_sign(const struct pt_crypto_ops *ops, const struct pt_signer *holder,
		       const char *hub_id, const uint8_t nonce[PT_NONCE_LEN], const uint8_t *chain,
		       size_t chain_len, uint8_t sig[PT_SIG_LEN]) PT_MUST_CHECK;

/*
 * The hub's check of a PANIC (decide.c, beside pt_decide): who may call
 * for help, and nothing else. In this order: the challenge unused
 * (nonce-reused) and answered in time (proof-too-late); the chain decodes
 * (too-large, malformed, chain-too-long, unsupported), its link 0 is
 * signed by one of ctx->roots and every next link by the previous holder
 * and narrows (untrusted-root, bad-signature, broken-chain,
 * widened-link); the last holder signed pt_link_panic_message for
 * ctx->hub_id and this nonce (bad-signature); every link is for
 * ctx->home_id (wrong-home-or-lock; the lock is not looked at); no token
 * id or holder key of the chain and not the root's key is revoked
 * (revoked). NOT checked, on purpose: the lockout, the time and the
 * schedule, entries, camera, alarm, door, the freshness of revocations:
 * a courier attacked a minute after the window closed, or at a door that
 * is open, must still be able to call for help. *link gets the failing
 * link (-1: none); *decoded keeps the chain once it verified (zeroed
 * otherwise). PT_OK or the reason.
 */
int pt_link_panic_verify(const struct pt_crypto_ops *ops, const struct pt_link_panic *m,
			 const struct pt_challenge *ch, const struct pt_context *ctx,
			 struct pt_chain *decoded, int *link) PT_MUST_CHECK;

/*
 * The DECISION for what pt_decide() returned: reason, link, and for a
 * grant the conditions and door-open limit; the notes of every link of
 * *decoded (pt_decide keeps it only once the chain verified); relock_s,
 * the hub's relock time, is sent with a grant only. (A PT_E* outside
 * err.h's table cannot come from pt_decide; the encoder refuses it.)
 */
void pt_link_decision_init(struct pt_link_decision *m, const struct pt_decision *d,
			   const struct pt_chain *decoded, uint32_t relock_s);

/*
 * BLE fragmentation. A fragment is one GATT write (device -> hub) or
 * notification (hub -> device): a header byte, then up to frag_max - 1
 * bytes of the frame. frag_max is the usable ATT payload (ATT_MTU - 3),
 * PT_LINK_BLE_FRAG_MIN..PT_LINK_BLE_FRAG_MAX; porter asks for an MTU of
 * 247, hence 244. Header: PT_LINK_FRAG_FIRST on the first fragment of a
 * frame, PT_LINK_FRAG_LAST on its last (both on a frame of one fragment),
 * bits 5-4 zero, bits 3-0 the fragment's index modulo 16. Every fragment
 * but the last is full (frag_max bytes); the last carries the rest, at
 * least one byte unless the whole message is empty.
 */
#define PT_LINK_BLE_FRAG_MAX 244	/* ATT_MTU 247 - 3 */
#define PT_LINK_BLE_FRAG_MIN 20		/* the default ATT_MTU 23 - 3 */
#define PT_LINK_FRAG_FIRST 0x80u
#define PT_LINK_FRAG_LAST 0x40u
#define PT_LINK_FRAG_RESERVED 0x30u
#define PT_LINK_FRAG_SEQ 0x0fu

/* The GATT service (docs/link-protocol.md): the device writes fragments
 * to RX (write, write without response), the hub notifies them on TX. */
#define PT_LINK_BLE_SERVICE_UUID "d01f0001-2875-43e4-addb-7de29b9031c6"
#define PT_LINK_BLE_RX_UUID "d01f0002-2875-43e4-addb-7de29b9031c6"
#define PT_LINK_BLE_TX_UUID "d01f0003-2875-43e4-addb-7de29b9031c6"

/* Number of fragments for len bytes (0 if frag_max is out of range). */
size_t pt_link_frag_count(size_t len, size_t frag_max);

/*
 * Fragment i (0 .. pt_link_frag_count() - 1) of msg into out. PT_OK,
 * PT_EINVAL (frag_max out of range, i out of range, len over
 * PT_LINK_FRAME_MAX), PT_ENOSPC (cap < the fragment). *out_len 0 on error.
 */
int pt_link_frag_get(const uint8_t *msg, size_t len, size_t frag_max, size_t i, uint8_t *out,
		     size_t cap, size_t *out_len) PT_MUST_CHECK;

/*
 * Reassembly, one per connection and direction; the caller provides the
 * storage (about 2.2 KiB). pt_link_reasm_add() takes one fragment as
 * received:
 *   PT_OK, *complete false: more fragments expected;
 *   PT_OK, *complete true: r->buf[0 .. r->len) is the message (valid until
 *         the next add, which must then start a new message);
 *   PT_EMALFORMED: an empty write, reserved bits set, a continuation with
 *         no first fragment, a first fragment in the middle of a message or
 *         with a sequence number, a sequence number out of order (a
 *         duplicate, a gap), a non-last first fragment shorter than
 *         PT_LINK_BLE_FRAG_MIN, a non-last fragment of another length than
 *         the first, a last one longer than the first or without payload;
 *   PT_ETOOBIG: a fragment over PT_LINK_BLE_FRAG_MAX bytes, or the message
 *         would exceed PT_LINK_FRAME_MAX.
 * On an error the message in progress is dropped (r is reset): the caller
 * answers ERROR and closes the connection.
 */
struct pt_link_reasm {
	uint8_t buf[PT_LINK_FRAME_MAX];
	size_t len;
	size_t frag_len;	/* payload bytes of the message's first fragment */
	uint8_t next_seq;
	bool active;		/* a first fragment came, its last not yet */
};

void pt_link_reasm_init(struct pt_link_reasm *r);
int pt_link_reasm_add(struct pt_link_reasm *r, const uint8_t *frag, size_t len,
		      bool *complete) PT_MUST_CHECK;

#endif
