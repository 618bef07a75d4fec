/*
 * Event records and checkpoints (porter/event.h): the hash of one event
 * and the checkpoint message, laid out exactly as the header documents so
 * an independent verifier recomputes them byte for byte.
 */
#include "porter/event.h"

#include <string.h>

/* Everything pt_event_hash feeds SHA-256, at its largest: on the stack. */
#define EVENT_HASH_IN_MAX                                                                        \
	(sizeof(PT_EVENT_DOMAIN) + PT_HASH_LEN + 8 + 8 + 4 + PT_EVENT_TYPE_LEN_MAX + 4 +         \
	 PT_EVENT_DATA_MAX)

_Static_assert(PT_EVENT_TYPE_LEN_MAX <= UINT32_MAX && PT_EVENT_DATA_MAX <= UINT32_MAX,
	       "lengths fit their 4-byte fields");
_Static_assert(PT_ID_MAX <= 255, "hub id length fits one byte");

bool
pt_event_type_is_valid(const char *type, size_t len)
{
	size_t i;

	if (type == NULL || len == 0 || len > PT_EVENT_TYPE_LEN_MAX)
		return false;
	for (i = 0; i < len; i++) {
		char c = type[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-'))
			return false;
	}
	return true;
}

static size_t
put_be64(uint8_t *p, uint64_t v)
{
	size_t i;

	for (i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (56 - 8 * i));
	return 8;
}

static size_t
put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
	return 4;
}

int
pt_event_hash(const struct pt_crypto_ops *ops, const uint8_t prev[PT_HASH_LEN], int64_t seq,
	      int64_t at, const char *type, size_t type_len, const uint8_t *data, size_t data_len,
	      uint8_t out[PT_HASH_LEN])
{
	uint8_t in[EVENT_HASH_IN_MAX];
	size_t n;

	if (out == NULL)
		return PT_EINVAL;
	memset(out, 0, PT_HASH_LEN);
	if (ops == NULL || ops->sha256 == NULL || prev == NULL || seq < 1 ||
	    !pt_event_type_is_valid(type, type_len) || data_len > PT_EVENT_DATA_MAX ||
	    (data == NULL && data_len != 0))
		return PT_EINVAL;

	memcpy(in, PT_EVENT_DOMAIN, sizeof(PT_EVENT_DOMAIN)); /* with its NUL: the 0x00 */
	n = sizeof(PT_EVENT_DOMAIN);
	memcpy(in + n, prev, PT_HASH_LEN);
	n += PT_HASH_LEN;
	n += put_be64(in + n, (uint64_t)seq);
	n += put_be64(in + n, (uint64_t)at);	/* two's complement */
	n += put_be32(in + n, (uint32_t)type_len);
	memcpy(in + n, type, type_len);
	n += type_len;
	n += put_be32(in + n, (uint32_t)data_len);
	if (data_len != 0)
		memcpy(in + n, data, data_len);
	n += data_len;
	ops->sha256(out, in, n);
	return PT_OK;
}

int
pt_checkpoint_message(const char *hub_id, int64_t seq, const uint8_t hash[PT_HASH_LEN],
		      uint8_t *out, size_t cap, size_t *out_len)
{
	size_t id_len, n;

	if (out_len == NULL)
		return PT_EINVAL;
	*out_len = 0;
	if (hub_id == NULL || hash == NULL || (out == NULL && cap != 0) || seq < 1)
		return PT_EINVAL;
	for (id_len = 0; id_len <= PT_ID_MAX && hub_id[id_len] != '\0'; id_len++)
		continue;
	if (!pt_id_is_valid(hub_id, id_len))
		return PT_EINVAL;
	if (out == NULL || cap < sizeof(PT_CHECKPOINT_DOMAIN) + 1 + id_len + 8 + PT_HASH_LEN)
		return PT_ENOSPC;
	memcpy(out, PT_CHECKPOINT_DOMAIN, sizeof(PT_CHECKPOINT_DOMAIN)); /* with its NUL */
	n = sizeof(PT_CHECKPOINT_DOMAIN);
	out[n++] = (uint8_t)id_len;
	memcpy(out + n, hub_id, id_len);
	n += id_len;
	n += put_be64(out + n, (uint64_t)seq);
	memcpy(out + n, hash, PT_HASH_LEN);
	n += PT_HASH_LEN;
	*out_len = n;
	return PT_OK;
}

int
pt_checkpoint_verify(const struct pt_crypto_ops *ops, const uint8_t hub_pk[PT_PK_LEN],
		     const char *hub_id, int64_t seq, const uint8_t hash[PT_HASH_LEN],
		     const uint8_t sig[PT_SIG_LEN])
{
	uint8_t msg[PT_CHECKPOINT_MSG_MAX];
	size_t n;

	/* Anything that cannot be checked has not been shown to be signed. */
	if (ops == NULL || ops->ed25519_verify == NULL || hub_pk == NULL || sig == NULL)
		return PT_EBADSIG;
	if (pt_checkpoint_message(hub_id, seq, hash, msg, sizeof(msg), &n) != PT_OK)
		return PT_EBADSIG;
	return ops->ed25519_verify(sig, msg, n, hub_pk) ? PT_OK : PT_EBADSIG;
}
