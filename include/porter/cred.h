/*
 * porter/cred.h: porter credentials: grants, delegation chains, their
 * encoding, and narrowing.
 *
 * A grant is a CWT (RFC 8392) claims set signed as a COSE_Sign1 (RFC 9052)
 * with EdDSA; its holder's key is a proof-of-possession key in `cnf`
 * (RFC 8747). A credential is a chain of 1..PT_CHAIN_MAX grants: the first
 * signed by an owner key the hub trusts as a root, each next one by the
 * key the previous one names as holder. docs/credentials.md specifies the
 * bytes.
 *
 * Everything here is pure: no allocation, no I/O, no clock. Decoded grants
 * copy what they need, except struct pt_link's pointers, which borrow the
 * encoded chain.
 */
#ifndef PORTER_CRED_H
#define PORTER_CRED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "porter/cose.h"
#include "porter/crypto.h"
#include "porter/err.h"

#define PT_CHAIN_MAX 4		/* links in a chain */
#define PT_LINK_SIZE_MAX 1024	/* one encoded link */
#define PT_CHAIN_SIZE_MAX 2048	/* one encoded chain (9 BLE writes of 244 bytes) */
#define PT_ID_MAX 64		/* home, hub and lock ids, bytes */
#define PT_LOCKS_MAX 8
#define PT_WINDOWS_MAX 8
#define PT_WEEKLY_MAX 16
#define PT_NOTE_MAX 280		/* bytes of UTF-8 */
#define PT_TZNAME_MAX 64
#define PT_KID_LEN 8		/* key id: first 8 bytes of SHA-256(pk) */
#define PT_CTI_LEN 16		/* token id */
#define PT_DEPTH_MAX (PT_CHAIN_MAX - 1)
#define PT_ENTRIES_MAX 1000000u
#define PT_DOOR_OPEN_MAX 86400u
#define PT_TIME_MAX 253402300799LL	/* 9999-12-31T23:59:59Z */

/* CWT claim keys (RFC 8392) and porter's private claim. */
#define PT_CWT_AUD 3
#define PT_CWT_EXP 4
#define PT_CWT_NBF 5
#define PT_CWT_IAT 6
#define PT_CWT_CTI 7
#define PT_CWT_CNF 8
#define PT_CWT_PORTER (-65537)	/* private-use range, RFC 8392 section 9.1 */

/* Keys inside the porter claim map. */
enum {
	PT_PC_LOCKS = 1,
	PT_PC_PURPOSE = 2,
	PT_PC_ENTRIES = 3,
	PT_PC_DEPTH = 4,
	PT_PC_COND = 5,
	PT_PC_DOOR_OPEN = 6,
	PT_PC_TZ = 7,
	PT_PC_WINDOWS = 8,
	PT_PC_WEEKLY = 9,
	PT_PC_NOTE = 10,
	PT_PC_DURESS = 11,	/* true: the owner's duress ("forced user") credential */
};

enum pt_purpose {
	PT_PURPOSE_RESIDENT = 1,
	PT_PURPOSE_GUEST = 2,
	PT_PURPOSE_SERVICE = 3,
	PT_PURPOSE_DELIVERY = 4,
};

#define PT_COND_CAMERA 0x1u		/* camera must be healthy */
#define PT_COND_ALARM_BYPASS 0x2u	/* alarm stays armed; entry zone bypassed */
#define PT_COND_KNOWN (PT_COND_CAMERA | PT_COND_ALARM_BYPASS)

/* External AAD of each kind of signed object: domain separation. */
#define PT_AAD_GRANT "porter/grant/v1"
#define PT_AAD_COMMAND "porter/command/v1"
#define PT_AAD_REVOCATION "porter/revocation/v1"
#define PT_PROOF_DOMAIN "porter/proof/v1"

/* [start, end) in UTC seconds. */
struct pt_window {
	int64_t start, end;
};

/* Days (bit 0 Sunday .. bit 6 Saturday), [start, end) in local minutes
 * of the day, 0 <= start < end <= 1440. Overnight: two intervals. */
struct pt_weekly {
	uint8_t days;
	uint16_t start_min, end_min;
};

struct pt_schedule {
	char tz[PT_TZNAME_MAX + 1];	/* IANA name; "" when no weekly intervals */
	uint8_t n_windows, n_weekly;
	struct pt_window windows[PT_WINDOWS_MAX];
	struct pt_weekly weekly[PT_WEEKLY_MAX];
};

struct pt_grant {
	uint8_t kid[PT_KID_LEN];	/* issuer's key id (protected header) */
	char aud[PT_ID_MAX + 1];	/* home id */
	bool has_nbf, has_exp, has_iat;
	int64_t nbf, exp, iat;
	uint8_t cti[PT_CTI_LEN];
	uint8_t holder[PT_PK_LEN];	/* cnf: the holder's Ed25519 key */
	uint8_t n_locks;		/* 0: every lock of the home */
	char locks[PT_LOCKS_MAX][PT_ID_MAX + 1];
	uint8_t purpose;		/* enum pt_purpose */
	bool has_entries;		/* false: unlimited (never for deliveries) */
	uint32_t entries;
	uint8_t depth;			/* further delegations allowed below */
	uint32_t cond;			/* PT_COND_* */
	bool has_door_open;
	uint32_t door_open_max;		/* seconds the door may stand open */
	struct pt_schedule sched;
	char note[PT_NOTE_MAX + 1];	/* shown to the holder; printable UTF-8 */
	/* A duress credential (docs/credentials.md, "Duress"): it opens as
	 * the same credential without the marker would, and the hub silently
	 * raises a duress alert. Only with purpose resident and depth 0, and
	 * only in a chain of one link: the owner key that signs it is the
	 * one whose holder is under duress. */
	bool duress;
};

struct pt_link {
	struct pt_grant g;
	struct pt_sign1 cose;	/* borrows the encoded chain */
};

struct pt_chain {
	uint8_t n;
	struct pt_link link[PT_CHAIN_MAX];
};

/* Key id of pk: first PT_KID_LEN bytes of SHA-256(pk). */
void pt_kid(const struct pt_crypto_ops *ops, const uint8_t pk[PT_PK_LEN], uint8_t kid[PT_KID_LEN]);

/*
 * Check a grant's own rules (ranges, sizes, required claims, schedule
 * shape). The encoder refuses to encode what the decoder would refuse.
 * PT_OK or PT_EMALFORMED.
 */
int pt_grant_check(const struct pt_grant *g) PT_MUST_CHECK;

/* Claims of g as a deterministic CBOR map. PT_OK, PT_EMALFORMED, PT_ENOSPC. */
int pt_grant_encode_claims(const struct pt_grant *g, uint8_t *out, size_t cap,
			   size_t *out_len) PT_MUST_CHECK;
/* Strict decode of a claims map (exactly the bytes, nothing after).
 * PT_OK, PT_EMALFORMED, PT_EUNSUPPORTED (unknown claim). g zeroed on error. */
int pt_grant_decode_claims(const uint8_t *p, size_t len, struct pt_grant *g) PT_MUST_CHECK;

/*
 * Sign g as one link with sg (g->kid is set from sg's key) and write it.
 * PT_OK, PT_EMALFORMED (g breaks its rules), PT_ETOOBIG (the link would
 * exceed PT_LINK_SIZE_MAX), PT_ENOSPC, signer errors.
 */
int pt_grant_sign(const struct pt_crypto_ops *ops, const struct pt_signer *sg,
		  struct pt_grant *g, uint8_t *out, size_t cap, size_t *out_len) PT_MUST_CHECK;

/*
 * Decode an encoded chain: CBOR array of 1..PT_CHAIN_MAX tagged COSE_Sign1
 * links, each in porter's profile (protected {1: -8, 4: kid}, unprotected
 * {}, 64-byte signature), claims decoded strictly. Signatures are NOT
 * checked here: use pt_chain_verify (or pt_decide) before trusting any
 * field. PT_OK, PT_ETOOBIG, PT_ECHAINLEN, PT_EMALFORMED, PT_EUNSUPPORTED;
 * *c zeroed on error.
 */
int pt_chain_decode(const uint8_t *p, size_t len, struct pt_chain *c) PT_MUST_CHECK;

/*
 * Append one encoded link to an encoded chain (prev may be NULL/0 for the
 * first link). PT_OK, PT_ECHAINLEN, PT_ETOOBIG, PT_EMALFORMED, PT_ENOSPC.
 */
int pt_chain_append(const uint8_t *prev, size_t prev_len, const uint8_t *link,
		    size_t link_len, uint8_t *out, size_t cap, size_t *out_len) PT_MUST_CHECK;

/*
 * Does child only narrow parent? PT_OK or PT_EWIDENED. (Linkage, i.e.
 * who signed child, is checked by pt_chain_verify.)
 */
int pt_grant_narrows(const struct pt_grant *parent, const struct pt_grant *child) PT_MUST_CHECK;

/*
 * Verify a decoded chain: the first link is signed by one of roots
 * (matching kid, then signature), every next link by the previous
 * holder, every link narrows its parent. *failed_link gets the index of
 * the offending link (or -1). PT_OK, PT_EUNTRUSTED, PT_EBADSIG,
 * PT_EBROKENCHAIN, PT_EWIDENED, PT_EUNSUPPORTED.
 */
int pt_chain_verify(const struct pt_crypto_ops *ops, const struct pt_chain *c,
		    const uint8_t (*roots)[PT_PK_LEN], size_t n_roots,
		    int *failed_link) PT_MUST_CHECK;

/*
 * The duress marker's own chain rule (decide.c; pt_decide applies it
 * after pt_chain_verify): only link 0, signed by an owner root, may carry
 * it. PT_OK, or PT_EWIDENED with *link set to the link that adds it.
 */
int pt_chain_duress_check(const struct pt_chain *c, int *link) PT_MUST_CHECK;

/* Schedule evaluation and containment (sched.c). */
struct pt_tz;
/* Is t inside g's time bounds and schedule? PT_OK, PT_ENOTYET, PT_EEXPIRED,
 * PT_ESCHEDULE (also when weekly intervals name a zone other than tz_name,
 * or tz is NULL while they exist). */
int pt_grant_time_check(const struct pt_grant *g, int64_t t, const struct pt_tz *tz,
			const char *tz_name) PT_MUST_CHECK;
/* Is every instant child's schedule admits also admitted by parent's?
 * Conservative: each child interval must lie inside one parent interval. */
bool pt_schedule_is_within(const struct pt_grant *parent, const struct pt_grant *child);
/* Does g carry any time bound (nbf, exp, windows, weekly)? */
bool pt_grant_is_time_bound(const struct pt_grant *g);

/* Ids (home, hub, lock): 1..PT_ID_MAX bytes of [A-Za-z0-9._-], not starting
 * with '.'. They end up in topics, paths and logs: nothing else gets in. */
bool pt_id_is_valid(const char *s, size_t len);
/* IANA zone names: [A-Za-z0-9/_+-], no leading, trailing or double '/',
 * no '.', at most PT_TZNAME_MAX: safe to append to a zoneinfo directory. */
bool pt_tzname_is_valid(const char *s, size_t len);

const char *pt_purpose_name(unsigned purpose);	/* "delivery"; NULL if unknown */
int pt_purpose_parse(const char *s, uint8_t *purpose) PT_MUST_CHECK;

#endif
