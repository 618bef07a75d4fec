/*
 * Camera revocation at porterd (docs/cam.md, "Who a viewer believes";
 * docs/api.md, "Cameras and clips"): a camera whose Ed25519 key a stored
 * key revocation of its home names uploads nothing more (clip key
 * records, segments, manifests, live key records and fragments), and GET
 * .../cameras says "revoked". camrevoke.c; the one place that decides.
 */
#ifndef PORTERD_CAMREVOKE_H
#define PORTERD_CAMREVOKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "porter/crypto.h"

struct server;
struct reply;

/* Which of the n keys pks a key revocation stored for home (any version)
 * names: revoked[i]. One indexed store lookup per key
 * (pt_store_revocation_key_find): meant for a home's few cameras.
 * PT_OK, or PT_EIO (revoked[] all false). */
int camera_keys_revoked(struct server *s, const char *home, const uint8_t (*pks)[PT_PK_LEN],
			size_t n, bool *revoked);

/*
 * An upload by camera (of home, key pk), its signature checked already:
 * false when it must be refused, with the answer in rp (403 revoked, or
 * 500) and a log line; nothing is stored. true: go on.
 */
bool camera_upload_allowed(struct server *s, struct reply *rp, const char *home,
			   const char *camera, const uint8_t pk[PT_PK_LEN]);

#endif
