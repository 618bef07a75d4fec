/*
 * Time bounds and schedules: evaluation at an instant, and containment.
 */
#include "porter/cred.h"

#include <string.h>

#include "porter/tz.h"

bool
pt_grant_is_time_bound(const struct pt_grant *g)
{
	return g->has_nbf || g->has_exp || g->sched.n_windows > 0 || g->sched.n_weekly > 0;
}

int
pt_grant_time_check(const struct pt_grant *g, int64_t t, const struct pt_tz *tz,
		    const char *tz_name)
{
	const struct pt_schedule *s = &g->sched;
	struct pt_civil lc;
	unsigned minute;
	size_t i;
	bool in = false;

	if (g->has_nbf && t < g->nbf)
		return PT_ENOTYET;
	if (g->has_exp && t >= g->exp)
		return PT_EEXPIRED;
	if (s->n_windows > 0) {
		if (t < s->windows[0].start)
			return PT_ENOTYET;
		if (t >= s->windows[s->n_windows - 1].end)
			return PT_EEXPIRED;
		for (i = 0; i < s->n_windows && !in; i++)
			in = t >= s->windows[i].start && t < s->windows[i].end;
		if (!in)
			return PT_ESCHEDULE;
	}
	if (s->n_weekly > 0) {
		/* Week-day intervals are wall-clock times of the home's zone:
		 * a credential naming another zone cannot be evaluated. */
		if (tz == NULL || tz_name == NULL || strcmp(tz_name, s->tz) != 0)
			return PT_ESCHEDULE;
		if (pt_tz_local(tz, t, &lc) != PT_OK)
			return PT_ESCHEDULE;
		minute = (unsigned)(lc.hour * 60 + lc.min);
		in = false;
		for (i = 0; i < s->n_weekly && !in; i++) {
			const struct pt_weekly *w = &s->weekly[i];
			in = (w->days & (1u << lc.wday)) != 0 && minute >= w->start_min &&
			     minute < w->end_min;
		}
		if (!in)
			return PT_ESCHEDULE;
	}
	return PT_OK;
}

static bool
window_is_within(const struct pt_schedule *p, int64_t start, int64_t end)
{
	size_t i;

	for (i = 0; i < p->n_windows; i++)
		if (p->windows[i].start <= start && end <= p->windows[i].end)
			return true;
	return false;
}

bool
pt_schedule_is_within(const struct pt_grant *parent, const struct pt_grant *child)
{
	const struct pt_schedule *p = &parent->sched, *c = &child->sched;
	size_t i, j;
	bool in;

	if (p->n_windows > 0) {
		if (c->n_windows == 0) {
			if (!child->has_nbf || !child->has_exp ||
			    !window_is_within(p, child->nbf, child->exp))
				return false;
		}
		for (i = 0; i < c->n_windows; i++)
			if (!window_is_within(p, c->windows[i].start, c->windows[i].end))
				return false;
	}
	if (p->n_weekly > 0) {
		if (c->n_weekly == 0 || strcmp(p->tz, c->tz) != 0)
			return false;
		for (i = 0; i < c->n_weekly; i++) {
			const struct pt_weekly *cw = &c->weekly[i];
			in = false;
			for (j = 0; j < p->n_weekly && !in; j++) {
				const struct pt_weekly *pw = &p->weekly[j];
				in = (cw->days & ~pw->days) == 0 && pw->start_min <= cw->start_min &&
				     cw->end_min <= pw->end_min;
			}
			if (!in)
				return false;
		}
	}
	return true;
}
