/*
 * porter/event.h: the hub's event records and signed checkpoints.
 *
 * Every decision and every door, lock, alarm and camera transition at a
 * hub is an event {seq, at, type, data} chained by hash to the one before
 * it; the hub signs checkpoints over (hub id, seq, hash) with its key, so
 * a slice of events verifies offline, without trusting porterd.
 *
 *   hash(e) = SHA-256( "porter/event/v1" 0x00 || prev (32) || seq (8, BE) ||
 *                      at (8, BE, signed) || len(type) (4, BE) || type ||
 *                      len(data) (4, BE) || data )
 *   the first event's prev is 32 zero bytes; seq starts at 1 and has no gaps.
 *
 *   checkpoint message = "porter/checkpoint/v1" 0x00 || len(hub id) (1) ||
 *                        hub id || seq (8, BE) || hash (32); Ed25519 by the hub key.
 *
 * type is 1..PT_EVENT_TYPE_LEN_MAX bytes of [a-z0-9.-]; data is canonical
 * JSON (the writer's business), 0..PT_EVENT_DATA_MAX bytes. Pure: no I/O.
 */
#ifndef PORTER_EVENT_H
#define PORTER_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "porter/cred.h"
#include "porter/crypto.h"
#include "porter/err.h"

#define PT_EVENT_DOMAIN "porter/event/v1"
#define PT_CHECKPOINT_DOMAIN "porter/checkpoint/v1"
#define PT_EVENT_TYPE_LEN_MAX 48
#define PT_EVENT_DATA_MAX 1024
#define PT_CHECKPOINT_MSG_MAX (sizeof(PT_CHECKPOINT_DOMAIN) + 1 + PT_ID_MAX + 8 + PT_HASH_LEN)

/* Is type a valid event type? */
bool pt_event_type_is_valid(const char *type, size_t len);

/* hash of one event given the previous hash. PT_OK, PT_EINVAL (type or
 * sizes out of bounds, seq < 1). */
int pt_event_hash(const struct pt_crypto_ops *ops, const uint8_t prev[PT_HASH_LEN], int64_t seq,
		  int64_t at, const char *type, size_t type_len, const uint8_t *data,
		  size_t data_len, uint8_t out[PT_HASH_LEN]) PT_MUST_CHECK;

/* The checkpoint message to sign / verify. */
int pt_checkpoint_message(const char *hub_id, int64_t seq, const uint8_t hash[PT_HASH_LEN],
			  uint8_t *out, size_t cap, size_t *out_len) PT_MUST_CHECK;
/* PT_OK or PT_EBADSIG. */
int pt_checkpoint_verify(const struct pt_crypto_ops *ops, const uint8_t hub_pk[PT_PK_LEN],
			 const char *hub_id, int64_t seq, const uint8_t hash[PT_HASH_LEN],
			 const uint8_t sig[PT_SIG_LEN]) PT_MUST_CHECK;

#endif
