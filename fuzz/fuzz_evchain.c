/*
 * libFuzzer target for `porter evidence export`'s reading of porterd's
 * chain answer (tools/porter/evchain.c, compiled in; docs/clips.md,
 * "Evidence bundles"): GET /v1/homes/{id}/hubs/{hub}/chain?from=A&to=B.
 *
 * Input: 4 bytes of A (big-endian; 0 reads as 1), 1 byte of B - A, then
 * the JSON answer, all of it porterd's word. The hub asked for is
 * "hub-0123456789abcdef". Properties (a break is __builtin_trap()):
 *   - a refusal (-1) leaves no hub part (has_hub false, no events, no
 *     checkpoints) and says why in a NUL-terminated line of at most
 *     EV_CHAIN_WHY_MAX bytes;
 *   - an acceptance (0) is of the hub asked for, with 1..1024 events
 *     consecutive from A through at least B, types valid, data of at most
 *     PT_EVENT_DATA_MAX bytes, 1..256 checkpoints ascending inside the
 *     slice; the bundle made of it (a one-byte manifest, no segments)
 *     encodes, decodes back to the same hub part and re-encodes to the
 *     same bytes;
 *   - ev_chain_names_clip is true only for a first event session.start.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "porter/evidence.h"
#include "evchain.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x) do { if (!(x)) __builtin_trap(); } while (0)
#define HUB "hub-0123456789abcdef"
#define OUT_CAP ((size_t)2 << 20)

static struct pt_evidence e, back;
static uint8_t out[OUT_CAP], out2[OUT_CAP];

static void
check_same_hub_part(const struct pt_evidence *a, const struct pt_evidence *b)
{
	size_t i;

	CHECK(a->has_hub && b->has_hub && strcmp(a->hub_id, b->hub_id) == 0);
	CHECK(memcmp(a->hub_pk, b->hub_pk, PT_PK_LEN) == 0 &&
	      memcmp(a->prev, b->prev, PT_HASH_LEN) == 0);
	CHECK(a->n_events == b->n_events && a->n_cps == b->n_cps);
	for (i = 0; i < a->n_events; i++) {
		const struct pt_evidence_event *x = &a->ev[i], *y = &b->ev[i];
		CHECK(x->seq == y->seq && x->at == y->at && x->type_len == y->type_len &&
		      x->data_len == y->data_len && memcmp(x->type, y->type, x->type_len) == 0 &&
		      (x->data_len == 0 || memcmp(x->data, y->data, x->data_len) == 0) &&
		      memcmp(x->hash, y->hash, PT_HASH_LEN) == 0);
	}
	for (i = 0; i < a->n_cps; i++)
		CHECK(a->cp[i].seq == b->cp[i].seq &&
		      memcmp(a->cp[i].sig, b->cp[i].sig, PT_SIG_LEN) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t manifest[1] = {0xa0};
	static const uint8_t clip[PT_CLIP_ID_LEN] = {0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
						     0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef};
	char why[EV_CHAIN_WHY_MAX];
	json_error_t jerr;
	json_t *j;
	int64_t from, to;
	size_t i, len = 0, len2 = 0;
	int r;

	if (size < 5)
		return 0;
	from = (int64_t)(((uint32_t)data[0] << 24) | ((uint32_t)data[1] << 16) |
			 ((uint32_t)data[2] << 8) | data[3]);
	if (from == 0)
		from = 1;
	to = from + data[4];
	j = json_loadb((const char *)data + 5, size - 5, JSON_REJECT_DUPLICATES, &jerr);
	if (j == NULL)
		return 0;
	memset(&e, 0xa5, sizeof(e));
	e.manifest = manifest;
	e.manifest_len = sizeof(manifest);
	e.n_segs = 0;
	/* No owner's part (keys 10..13): the chain answer does not fill it. */
	e.has_owner = false;
	memset(e.home, 0, sizeof(e.home));
	memset(&e.camera_stmt, 0, sizeof(e.camera_stmt));
	memset(&e.pairing, 0, sizeof(e.pairing));
	memset(e.owner_stmt, 0, sizeof(e.owner_stmt));
	e.n_owner_stmts = 0;
	memset(why, 0x5a, sizeof(why));
	r = ev_chain_take(j, HUB, from, to, &e, why, sizeof(why));
	CHECK(r == 0 || r == -1);
	if (r != 0) {
		CHECK(!e.has_hub && e.n_events == 0 && e.n_cps == 0);
		CHECK(memchr(why, '\0', sizeof(why)) != NULL && why[0] != '\0');
		CHECK(!ev_chain_names_clip(&e, clip));
		json_decref(j);
		return 0;
	}
	CHECK(e.has_hub && strcmp(e.hub_id, HUB) == 0);
	CHECK(e.n_events >= 1 && e.n_events <= PT_EVIDENCE_EVENTS_MAX);
	CHECK(e.ev[0].seq == from && e.ev[e.n_events - 1].seq >= to);
	for (i = 0; i < e.n_events; i++) {
		CHECK(i == 0 || e.ev[i].seq == e.ev[i - 1].seq + 1);
		CHECK(pt_event_type_is_valid(e.ev[i].type, e.ev[i].type_len));
		CHECK(e.ev[i].data_len <= PT_EVENT_DATA_MAX);
	}
	CHECK(e.n_cps >= 1 && e.n_cps <= PT_EVIDENCE_CHECKPOINTS_MAX);
	for (i = 0; i < e.n_cps; i++)
		CHECK(e.cp[i].seq >= e.ev[0].seq && e.cp[i].seq <= e.ev[e.n_events - 1].seq &&
		      (i == 0 || e.cp[i].seq > e.cp[i - 1].seq));
	if (ev_chain_names_clip(&e, clip))
		CHECK(e.ev[0].type_len == 13 && memcmp(e.ev[0].type, "session.start", 13) == 0);
	/* The bundle made of it: encodes, and reads back the same. */
	CHECK(pt_evidence_encode(&e, out, sizeof(out), &len) == PT_OK);
	CHECK(pt_evidence_decode(out, len, &back) == PT_OK);
	check_same_hub_part(&e, &back);
	CHECK(pt_evidence_encode(&back, out2, sizeof(out2), &len2) == PT_OK);
	CHECK(len == len2 && memcmp(out, out2, len) == 0);
	ev_chain_clear(&e);
	CHECK(!e.has_hub && e.n_events == 0 && e.n_cps == 0);
	json_decref(j);
	return 0;
}
