/*
 * Camera revocation at porterd (camrevoke.h). A camera's key is revoked
 * in its home when a key revocation porterd stored for the home (verified
 * with the home's owner keys when it was uploaded: POST .../revocations,
 * `porter camera revoke`) names it. Revocations are read from the store
 * each time, a page at a time: nothing to keep in step, and a camera
 * revoked a moment ago is refused at its next request.
 */
#include <stdlib.h>
#include <string.h>

#include "porter/envelope.h"
#include "porter/store.h"
#include "api.h"
#include "camrevoke.h"

#define REV_PAGE 64	/* revocation rows read at a time (about 40 KiB) */

/* Every key revocation of home, in version order: fn(arg, target) for
 * each. PT_OK or PT_EIO. */
static int
each_revoked_key(struct server *s, const char *home,
		 bool (*fn)(void *arg, const uint8_t pk[PT_PK_LEN]), void *arg)
{
	struct pt_revocation_row *rows;
	int64_t since = 0, before;
	size_t n, i;
	int r = PT_OK;

	if ((rows = calloc(REV_PAGE, sizeof(*rows))) == NULL)
		return PT_EIO;
	for (;;) {
		n = 0;
		before = since;
		if (pt_store_revocation_list(s->st, home, since, rows, REV_PAGE, &n) != PT_OK) {
			r = PT_EIO;
			break;
		}
		for (i = 0; i < n; i++) {
			if (rows[i].version > since)
				since = rows[i].version;
			if (rows[i].kind == PT_REVOKE_KEY && rows[i].target_len == PT_PK_LEN &&
			    !fn(arg, rows[i].target))
				goto out;	/* the caller has its answer */
		}
		if (n < REV_PAGE || since == before)
			break;
	}
out:
	free(rows);
	return r;
}

struct mark_arg {
	const uint8_t (*pks)[PT_PK_LEN];
	size_t n;
	bool *revoked;
};

static bool
mark_cb(void *arg, const uint8_t pk[PT_PK_LEN])
{
	struct mark_arg *a = arg;
	size_t i;

	for (i = 0; i < a->n; i++)
		if (memcmp(pk, a->pks[i], PT_PK_LEN) == 0)
			a->revoked[i] = true;
	return true;
}

int
camera_keys_revoked(struct server *s, const char *home, const uint8_t (*pks)[PT_PK_LEN], size_t n,
		    bool *revoked)
{
	struct mark_arg a = {pks, n, revoked};

	memset(revoked, 0, n * sizeof(*revoked));
	if (n == 0)
		return PT_OK;
	return each_revoked_key(s, home, mark_cb, &a);
}

bool
camera_upload_allowed(struct server *s, struct reply *rp, const char *home, const char *camera,
		      const uint8_t pk[PT_PK_LEN])
{
	uint8_t one[1][PT_PK_LEN];
	bool revoked = false;

	memcpy(one[0], pk, PT_PK_LEN);
	if (camera_keys_revoked(s, home, (const uint8_t(*)[PT_PK_LEN])one, 1, &revoked) != PT_OK) {
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
