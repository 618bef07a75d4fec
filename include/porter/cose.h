/*
 * porter/cose.h: COSE_Sign1 (RFC 9052 section 4.2) structure, headers and
 * Sig_structure, independent of what the payload means.
 *
 * Decoding borrows: every pointer in struct pt_sign1 points into the input
 * buffer and is valid only while that buffer is.
 */
#ifndef PORTER_COSE_H
#define PORTER_COSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "porter/crypto.h"
#include "porter/err.h"

#define PT_COSE_TAG_SIGN1 18
#define PT_COSE_ALG_EDDSA (-8)
#define PT_COSE_HDR_ALG 1
#define PT_COSE_HDR_CRIT 2
#define PT_COSE_HDR_CTY 3
#define PT_COSE_HDR_KID 4
#define PT_COSE_KID_MAX 64

struct pt_sign1 {
	const uint8_t *prot;	/* protected header bucket (encoded map or empty) */
	size_t prot_len;
	const uint8_t *unprot;	/* unprotected header map, encoded */
	size_t unprot_len;
	const uint8_t *payload;
	size_t payload_len;
	const uint8_t *sig;
	size_t sig_len;
	bool tagged;	/* carried CBOR tag 18 */
};

struct pt_cose_hdr {
	bool has_alg;
	int64_t alg;
	const uint8_t *kid;	/* borrowed; NULL if absent */
	size_t kid_len;
	bool kid_protected;
};

/*
 * Decode one COSE_Sign1 from the reader's position: optional tag 18, then
 * [bstr, map, bstr, bstr]. A different tag or shape is PT_EMALFORMED.
 * Detached payloads (nil) are not supported (PT_EMALFORMED).
 */
struct pt_cbor_rd;
int pt_sign1_read(struct pt_cbor_rd *rd, struct pt_sign1 *s) PT_MUST_CHECK;
/* Same, for a buffer holding exactly one COSE_Sign1 and nothing after it. */
int pt_sign1_decode(const uint8_t *p, size_t len, struct pt_sign1 *s) PT_MUST_CHECK;

/*
 * Both header buckets: alg and kid are understood; crit must list only
 * those (else PT_EUNSUPPORTED); a label in both buckets, or alg anywhere
 * but the protected bucket, is PT_EMALFORMED; other labels are ignored,
 * as RFC 9052 allows for non-critical parameters.
 */
int pt_cose_headers(const struct pt_sign1 *s, struct pt_cose_hdr *h) PT_MUST_CHECK;

/*
 * Sig_structure ["Signature1", protected, external_aad, payload] into
 * out[0..cap). PT_OK or PT_ENOSPC.
 */
int pt_sign1_tbs(const struct pt_sign1 *s, const uint8_t *aad, size_t aad_len, uint8_t *out,
		 size_t cap, size_t *out_len) PT_MUST_CHECK;

/*
 * Verify an EdDSA (Ed25519) COSE_Sign1 against pk with external_aad.
 * scratch (cap bytes) holds the Sig_structure. PT_OK, PT_EUNSUPPORTED (not
 * EdDSA / wrong signature size), PT_EBADSIG, PT_ETOOBIG (scratch too small:
 * the message is larger than the caller allows).
 */
int pt_sign1_verify(const struct pt_crypto_ops *ops, const struct pt_sign1 *s,
		    const uint8_t *aad, size_t aad_len, const uint8_t pk[PT_PK_LEN],
		    uint8_t *scratch, size_t cap) PT_MUST_CHECK;

/*
 * Produce a tagged EdDSA COSE_Sign1 over payload with protected header
 * {1: -8, 4: kid} and an empty unprotected header, signed by sg. out is
 * also the scratch space for the Sig_structure, so cap must hold the
 * larger of the two (they differ only when aad is 56 bytes or longer).
 * PT_OK, PT_ENOSPC, PT_EINVAL (kid longer than PT_COSE_KID_MAX), or the
 * signer's error. out is zeroed on failure.
 */
int pt_sign1_sign(const struct pt_signer *sg, const uint8_t *kid, size_t kid_len,
		  const uint8_t *aad, size_t aad_len, const uint8_t *payload, size_t payload_len,
		  uint8_t *out, size_t cap, size_t *out_len) PT_MUST_CHECK;

#endif
