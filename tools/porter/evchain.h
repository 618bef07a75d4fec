/*
 * tools/porter/evchain.h: the hub's part of an evidence bundle (keys 5..9
 * of porter/evidence.h) from porterd's answer to
 *
 *   GET /v1/homes/{id}/hubs/{hub_id}/chain?from=A&to=B   (docs/api.md)
 *   {"hub": "<hub id>", "hub_key": "<base64url 32>", "prev": "<base64url 32>",
 *    "events": [{"seq", "at", "type", "data", "hash"}, ...],
 *    "checkpoints": [{"seq", "sig"}, ...]}
 *
 * All of it is porterd's word: read strictly here, in one place (base64url
 * of the exact length, integers in range, types and data within the event
 * chain's bounds, seqs consecutive from A through at least B, checkpoints
 * ascending inside the slice, at most PT_EVIDENCE_EVENTS_MAX events and
 * PT_EVIDENCE_CHECKPOINTS_MAX checkpoints). Whether the events are the
 * hub's is not decided here: pt_evidence_verify_pinned does that, on the
 * bundle, with the hashes and signatures. Unknown members are ignored.
 * Pure: no I/O, no allocation; fuzzed by fuzz/fuzz_evchain.c.
 */
#ifndef PORTER_TOOLS_EVCHAIN_H
#define PORTER_TOOLS_EVCHAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "porter/evidence.h"

#define EV_CHAIN_WHY_MAX 160	/* bytes of the reason a chain is refused */

/*
 * Fill e's hub part (has_hub, hub_id, hub_pk, prev, ev, cp) from reply, the
 * chain of hub_id asked for with from (>= 1) and to (>= from, to - from <
 * PT_EVIDENCE_EVENTS_MAX). The events' type and data borrow from reply's
 * strings: keep reply until e is encoded. e's clip part is left alone.
 * 0, or -1 with e's hub part zeroed and why (why_cap bytes, NUL-terminated)
 * saying what is malformed first.
 */
int ev_chain_take(const json_t *reply, const char *hub_id, int64_t from, int64_t to,
		  struct pt_evidence *e, char *why, size_t why_cap);

/* Zero e's hub part (the bundle then holds keys 1..4 only). */
void ev_chain_clear(struct pt_evidence *e);

/*
 * Is e's first event a session.start naming clip (its data holding
 * "clip":"<32 lowercase hex>", as lib/core/evidence.c checks it)? false
 * without a hub part.
 */
bool ev_chain_names_clip(const struct pt_evidence *e, const uint8_t clip[PT_CLIP_ID_LEN]);

#endif
