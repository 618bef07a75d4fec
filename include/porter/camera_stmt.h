/*
 * porter/camera_stmt.h: the owner-signed camera enrolment statement
 * (docs/cam.md "Enrolling a camera", docs/credentials.md).
 *
 * An owner key says "this camera of my home has this key". Viewers
 * (porter clip decrypt, porter live) believe a camera key porterd hands
 * out only when such a statement, signed by an owner key they trust,
 * names it: a porterd that swaps a camera's key for one of its own (and
 * then forges video sealed to the owner's public key, which
 * crypto_box_seal allows anyone to do) cannot sign the statement.
 *
 * An EdDSA COSE_Sign1 (RFC 9052), tagged 18, protected header
 * {1: -8, 4: owner key id (8 bytes, pt_kid)}, empty unprotected header,
 * external AAD "porter/camera/v1" (no other porter statement uses it, so
 * no signature of another kind passes for this one), payload in core
 * deterministic CBOR, every key required, nothing unknown:
 *
 *   { 1: version (1),
 *     2: home id (tstr, a porter id),
 *     3: camera id (tstr, a porter id: as porter-cam's config names it),
 *     4: the camera's Ed25519 public key (bstr .size 32),
 *     5: name (tstr, 0..100 bytes of printable UTF-8; "" for none),
 *     6: issued at (uint, seconds since the Unix epoch, <= PT_TIME_MAX) }
 *
 * At most PT_CAMERA_STMT_MAX bytes in all. The statement does not expire:
 * it is a certificate of an enrolment, checked whenever a viewer fetches
 * the camera's key. Whether the camera key is a valid point is for the
 * caller (pt_pk_is_valid: the core has no point arithmetic).
 */
#ifndef PORTER_CAMERA_STMT_H
#define PORTER_CAMERA_STMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "porter/cred.h"
#include "porter/crypto.h"
#include "porter/err.h"

#define PT_CAMERA_STMT_DOMAIN "porter/camera/v1"	/* the COSE external AAD */
#define PT_CAMERA_STMT_VERSION 1
#define PT_CAMERA_STMT_MAX 512		/* bytes of a whole statement */
#define PT_CAMERA_NAME_MAX 100		/* bytes of the name (PT_LABEL_MAX) */

struct pt_camera_stmt {
	uint8_t kid[PT_KID_LEN];		/* the signer's key id (sign and verify set it) */
	char home[PT_ID_MAX + 1];
	char camera[PT_ID_MAX + 1];
	uint8_t camera_pk[PT_PK_LEN];
	char name[PT_CAMERA_NAME_MAX + 1];	/* "" for none */
	int64_t iat;
};

/*
 * Sign st (home, camera, camera_pk, name, iat set by the caller; kid is
 * set here from sg->pk) into out[0..cap). PT_OK; PT_EMALFORMED for what
 * verify would refuse (an id that is not a porter id, a name too long or
 * not printable, iat < 0 or > PT_TIME_MAX); PT_ENOSPC; PT_ETOOBIG; the
 * signer's error. out is zeroed and *out_len 0 on failure.
 */
int pt_camera_stmt_sign(const struct pt_crypto_ops *ops, const struct pt_signer *sg,
			struct pt_camera_stmt *st, uint8_t *out, size_t cap,
			size_t *out_len) PT_MUST_CHECK;

/*
 * Decode and verify a statement. The signer must be one of signers
 * (matched by key id, then signature; *signer_index tells which); the
 * signature is checked before any field of the payload is read. PT_OK,
 * PT_ETOOBIG (more than PT_CAMERA_STMT_MAX), PT_EMALFORMED,
 * PT_EUNSUPPORTED (not EdDSA), PT_EUNTRUSTEDCMD (no signer with its key
 * id), PT_EBADSIG. *st zeroed and *signer_index 0 on failure. Matching it
 * with what it is for is the caller's: pt_camera_stmt_matches.
 */
int pt_camera_stmt_verify(const struct pt_crypto_ops *ops, const uint8_t *p, size_t len,
			  const uint8_t (*signers)[PT_PK_LEN], size_t n_signers,
			  struct pt_camera_stmt *st, size_t *signer_index) PT_MUST_CHECK;

/*
 * The signer's key id of a statement, unverified: for display only
 * (porterd's GET .../cameras, which verified it when it stored it).
 * PT_OK or PT_EMALFORMED (kid zeroed).
 */
int pt_camera_stmt_kid(const uint8_t *p, size_t len, uint8_t kid[PT_KID_LEN]) PT_MUST_CHECK;

/* Does a verified statement name this home, this camera and this key?
 * (NULL name: not compared; else the name must be equal too.) */
bool pt_camera_stmt_matches(const struct pt_camera_stmt *st, const char *home,
			    const char *camera, const uint8_t camera_pk[PT_PK_LEN],
			    const char *name);

#endif
