/*
 * porter/issue.h: just-in-time leaf credentials, for a carrier key.
 *
 * porterd, holding a hosted carrier's key, turns the owner's delegation to
 * that carrier into a credential for one courier device, for one entry, for
 * a few minutes, at the moment the courier stands at the door. The leaf
 * only narrows its parent (the chain's last link), so the hub accepts it
 * without trusting porterd: porterd can re-issue inside what the owner
 * delegated, never more.
 */
#ifndef PORTER_ISSUE_H
#define PORTER_ISSUE_H

#include <stddef.h>
#include <stdint.h>

#include "porter/cred.h"
#include "porter/crypto.h"
#include "porter/err.h"

#define PT_ISSUE_BACKDATE 30	/* seconds of nbf before now, for clock skew */

struct pt_tz;

/*
 * Append to the encoded chain (whose last link's holder must be sg's key)
 * a leaf for holder, signed by sg:
 *   aud, locks, purpose, conditions, door-open limit, schedule (windows and
 *   week-day intervals) and note: copied from the parent;
 *   nbf = max(now - PT_ISSUE_BACKDATE, parent nbf);
 *   exp = min(now + window, parent exp); iat = now; cti as given;
 *   entries = 1; depth = 0.
 * Before signing, the parent must admit now (pt_grant_time_check with tz
 * and tz_name, which may be NULL when the parent has no week-day
 * intervals), allow delegation (depth >= 1) and at least one entry.
 * After signing, the whole chain is decoded and its links checked to
 * narrow (pt_grant_narrows), so an output is never one a hub refuses for
 * its shape. out gets the new encoded chain.
 *
 * PT_OK; PT_EINVAL (window 0, or bad arguments); PT_EMALFORMED (chain);
 * PT_EBROKENCHAIN (sg is not the parent's holder); PT_EWIDENED (depth 0 or
 * no entries left in the parent); PT_ENOTYET, PT_EEXPIRED, PT_ESCHEDULE
 * (the parent does not admit now); PT_ETOOBIG, PT_ECHAINLEN, PT_ENOSPC;
 * signer errors.
 */
int pt_issue_leaf(const struct pt_crypto_ops *ops, const struct pt_signer *sg,
		  const uint8_t *chain, size_t chain_len, const uint8_t holder[PT_PK_LEN],
		  const uint8_t cti[PT_CTI_LEN], int64_t now, uint32_t window,
		  const struct pt_tz *tz, const char *tz_name, uint8_t *out, size_t cap,
		  size_t *out_len) PT_MUST_CHECK;

#endif
