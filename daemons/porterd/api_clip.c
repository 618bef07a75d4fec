/*
 * daemons/porterd/api_clip.c: cameras and clips (docs/clips.md): owners
 * enrol a home's camera keys; cameras upload sealed segments and signed
 * manifests; owners list and fetch them. Not written yet: every route
 * answers 404.
 */
#include "api.h"

bool
api_home_clip(struct server *s, struct request *rq, struct reply *rp, const struct pt_account *a,
	      const struct pt_home *h, int role, const char *sub)
{
	(void)s;
	(void)rq;
	(void)rp;
	(void)a;
	(void)h;
	(void)role;
	(void)sub;
	return false;
}

void
api_clips(struct server *s, struct request *rq, struct reply *rp, const char *rest)
{
	(void)s;
	(void)rq;
	(void)rest;
	not_found(rp);
}
