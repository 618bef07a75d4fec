/*
 * Camera revocation at porterd (camrevoke.h). A camera's key is revoked
 * in its home when a key revocation porterd stored for the home (verified
 * with the home's owner keys when it was uploaded: POST .../revocations,
 * `porter camera revoke`) names it. The store is asked each time, one
 * indexed lookup per key (pt_store_revocation_key_find): nothing to keep
 * in step, a camera revoked a moment ago is refused at its next request,
 * and the cost does not grow with the home's revocations.
 */
#include <string.h>

#include "porter/store.h"
#include "api.h"
#include "camrevoke.h"

/* One lookup per key: GET .../cameras asks for at most the home's few
 * cameras (32), an upload for one. */
int
camera_keys_revoked(struct server *s, const char *home, const uint8_t (*pks)[PT_PK_LEN], size_t n,
		    bool *revoked)
{
	size_t i;

	memset(revoked, 0, n * sizeof(*revoked));
	for (i = 0; i < n; i++) {
		if (pt_store_revocation_key_find(s->st, home, pks[i], &revoked[i]) != PT_OK) {
			memset(revoked, 0, n * sizeof(*revoked));
			return PT_EIO;
		}
	}
	return PT_OK;
}

bool
camera_upload_allowed(struct server *s, struct reply *rp, const char *home, const char *camera,
		      const uint8_t pk[PT_PK_LEN])
{
	bool revoked = false;

	if (pt_store_revocation_key_find(s->st, home, pk, &revoked) != PT_OK) {
		fail_internal(rp);
		return false;
	}
	if (!revoked)
		return true;
	plog(LOG_WARN_, "event=camera_upload result=refused reason=revoked home=%s camera=%s", home,
	     camera);
	fail(rp, 403, "revoked", NULL,
	     "this camera's key is revoked in its home: nothing it sends is taken");
	return false;
}
