/*
 * test_door: the door and session state machine (porter/door.h,
 * lib/core/door.c, docs/door.md).
 *
 * Driven entirely with synthetic monotonic milliseconds:
 * - the names (stable strings) and the configuration bounds, both ways;
 * - every cell of the state table of docs/door.md: twelve starting
 *   situations times eleven inputs, each checked for return value, next
 *   state, events (with their why), actions and alerts;
 * - every timer at its boundary (one millisecond before: nothing; at it:
 *   fires), zero delays, late ticks, a clock that steps back;
 * - the scenarios of the issue: a courier enters and the door relocks
 *   after it shuts; not opened in time; held open; a second opening; an
 *   opening and motion after the session; the door forced; the lock
 *   jammed both ways; grants refused; the alarm bypass and its quiet time;
 * - randomized sequences (a deterministic PRNG, thousands of sequences of
 *   arbitrary, adversarial inputs and timings) checking the invariants:
 *   UNLOCK only in the call of an accepted grant, once; a grant accepted
 *   only when SECURED; every opening outside the one a grant allows
 *   yields "intrusion" or "door.forced"; LOCK never with the door open;
 *   the state and the recorded facts always consistent; the output never
 *   overflows and stays within the documented bounds; the deadline is
 *   exact (a tick one millisecond earlier does nothing).
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "porter/cred.h"
#include "porter/door.h"
#include "porter/err.h"
#include "t.h"

#define NO PT_DOOR_NO_DEADLINE

/* ---- helpers ---- */

struct rig {
	struct pt_door d;
	struct pt_door_out out;
	int rc;
	uint64_t now;
};

static const uint8_t SID[PT_DOOR_SESSION_LEN] = {0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
						 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11};
static const uint8_t SID2[PT_DOOR_SESSION_LEN] = {0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22,
						  0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22};

static struct pt_door_cfg
cfg_test(void)
{
	struct pt_door_cfg c;

	pt_door_cfg_default(&c);	/* 20 s, 2 s, 60 s, 300 s, 30 s, 15 s, delivery */
	return c;
}

static void
rig_init(struct rig *r, const struct pt_door_cfg *c, bool open, bool locked, uint64_t now)
{
	memset(r, 0, sizeof(*r));
	r->now = now;
	if (pt_door_init(&r->d, c, open, locked, now) != PT_OK) {
		printf("Bail out! pt_door_init\n");
		exit(1);
	}
}

static int
step(struct rig *r, const struct pt_door_input *in)
{
	r->now = in->now_ms;
	r->rc = pt_door_step(&r->d, in, &r->out);
	return r->rc;
}

static int
tick(struct rig *r, uint64_t t)
{
	struct pt_door_input in = {.type = PT_DOOR_IN_TICK, .now_ms = t};
	return step(r, &in);
}

static int
grant_full(struct rig *r, uint64_t t, const uint8_t *sid, uint8_t purpose, uint32_t limit_s,
	   bool bypass)
{
	struct pt_door_input in = {.type = PT_DOOR_IN_GRANT, .now_ms = t};

	memcpy(in.grant.session, sid, PT_DOOR_SESSION_LEN);
	in.grant.purpose = purpose;
	in.grant.door_open_max_s = limit_s;
	in.grant.alarm_bypassed = bypass;
	return step(r, &in);
}

static int
grant(struct rig *r, uint64_t t)
{
	return grant_full(r, t, SID, PT_PURPOSE_DELIVERY, 0, false);
}

static int
contact(struct rig *r, uint64_t t, bool open)
{
	struct pt_door_input in = {.type = PT_DOOR_IN_CONTACT, .now_ms = t, .open = open};
	return step(r, &in);
}

static int
bolt(struct rig *r, uint64_t t, bool locked)
{
	struct pt_door_input in = {.type = PT_DOOR_IN_BOLT, .now_ms = t, .locked = locked};
	return step(r, &in);
}

static int
motion(struct rig *r, uint64_t t, uint8_t zone)
{
	struct pt_door_input in = {.type = PT_DOOR_IN_MOTION, .now_ms = t, .zone = zone};
	return step(r, &in);
}

static int
lock_failed(struct rig *r, uint64_t t)
{
	struct pt_door_input in = {.type = PT_DOOR_IN_LOCK_FAILED, .now_ms = t};
	return step(r, &in);
}

static int
lock_request(struct rig *r, uint64_t t)
{
	struct pt_door_input in = {.type = PT_DOOR_IN_LOCK_REQUEST, .now_ms = t};
	return step(r, &in);
}

/* "name(why) name ..." of the last output's events. */
static const char *
evs(const struct pt_door_out *o)
{
	static char buf[1024];
	size_t n = 0;
	uint8_t i;

	buf[0] = '\0';
	for (i = 0; i < o->n_events && n < sizeof(buf); i++) {
		const struct pt_door_event *e = &o->events[i];
		int w;

		if (e->why != PT_DOOR_WHY_NONE)
			w = snprintf(buf + n, sizeof(buf) - n, "%s%s(%s)", i ? " " : "",
				     pt_door_event_name(e->type), pt_door_why_name(e->why));
		else
			w = snprintf(buf + n, sizeof(buf) - n, "%s%s", i ? " " : "",
				     pt_door_event_name(e->type));
		if (w < 0)
			break;
		n += (size_t)w;
	}
	return buf;
}

static const char *
acts(const struct pt_door_out *o)
{
	static char buf[128];
	size_t n = 0;
	uint8_t i;

	buf[0] = '\0';
	for (i = 0; i < o->n_actions && n < sizeof(buf); i++) {
		int w = snprintf(buf + n, sizeof(buf) - n, "%s%s", i ? " " : "",
				 pt_door_action_name(o->actions[i]));
		if (w < 0)
			break;
		n += (size_t)w;
	}
	return buf;
}

static const char *
alerts(const struct pt_door_out *o)
{
	static char buf[256];
	size_t n = 0;
	uint8_t i;

	buf[0] = '\0';
	for (i = 0; i < o->n_alerts && n < sizeof(buf); i++) {
		int w = snprintf(buf + n, sizeof(buf) - n, "%s%s", i ? " " : "",
				 pt_door_alert_name(o->alerts[i].type));
		if (w < 0)
			break;
		n += (size_t)w;
	}
	return buf;
}

static int
count_ev(const struct pt_door_out *o, uint8_t type)
{
	int n = 0;
	uint8_t i;

	for (i = 0; i < o->n_events; i++)
		n += o->events[i].type == type;
	return n;
}

static int
count_act(const struct pt_door_out *o, uint8_t a)
{
	int n = 0;
	uint8_t i;

	for (i = 0; i < o->n_actions; i++)
		n += o->actions[i] == a;
	return n;
}

static const struct pt_door_event *
find_ev(const struct pt_door_out *o, uint8_t type)
{
	uint8_t i;

	for (i = 0; i < o->n_events; i++)
		if (o->events[i].type == type)
			return &o->events[i];
	return NULL;
}

/* One check of a whole output: state, events, actions, alerts. */
static int
expect(const struct rig *r, const char *what, int state, const char *ev, const char *ac,
       const char *al)
{
	bool ok = pt_door_state(&r->d) == state && strcmp(evs(&r->out), ev) == 0 &&
		  strcmp(acts(&r->out), ac) == 0 && strcmp(alerts(&r->out), al) == 0 &&
		  !r->out.overflow;

	if (!T_OK(ok, "%s", what)) {
		printf("#   state  %s, want %s\n", pt_door_state_name(pt_door_state(&r->d)),
		       pt_door_state_name(state));
		printf("#   events [%s], want [%s]\n", evs(&r->out), ev);
		printf("#   actions [%s], want [%s]\n", acts(&r->out), ac);
		printf("#   alerts [%s], want [%s]\n", alerts(&r->out), al);
	}
	return ok;
}

/* ---- names and configuration ---- */

static void
test_names(void)
{
	static const char *const evn[] = {
		NULL, "session.start", "lock.unlocking", "lock.unlocked", "door.opened",
		"door.closed", "lock.locking", "lock.locked", "session.end", "door.held-open",
		"door.second-opening", "intrusion", "door.forced", "lock.jammed",
		"alarm.bypass-end",
	};
	static const char *const stn[] = {
		NULL, "secured", "unlocking", "unlocked", "open", "closed", "locking", "unsecured",
		"jammed",
	};
	static const char *const whyn[] = {
		"", "closed-and-locked", "not-opened-in-time", "lock-failed", "lock-request",
		"second-opening", "late-opening", "opening-without-session", "motion-entry",
		"motion-interior", "relock", "retry", "unlock-failed", "uncommanded", "inferred",
		"held-open",
	};
	static const char *const aln[] = {
		NULL, "door-held-open", "intrusion", "door-forced", "lock-jammed",
	};
	int i, j;
	bool ok;

	_Static_assert(sizeof(evn) / sizeof(evn[0]) == PT_DOOR_EV_COUNT_, "event names");
	_Static_assert(sizeof(stn) / sizeof(stn[0]) == PT_DOOR_STATE_COUNT_, "state names");
	_Static_assert(sizeof(whyn) / sizeof(whyn[0]) == PT_DOOR_WHY_COUNT_, "why names");
	_Static_assert(sizeof(aln) / sizeof(aln[0]) == PT_DOOR_AL_COUNT_, "alert names");

	ok = true;
	for (i = 1; i < PT_DOOR_EV_COUNT_; i++)
		ok &= strcmp(pt_door_event_name(i), evn[i]) == 0;
	T_OK(ok, "event names are the stable strings");
	ok = true;
	for (i = 1; i < PT_DOOR_STATE_COUNT_; i++)
		ok &= strcmp(pt_door_state_name(i), stn[i]) == 0;
	T_OK(ok, "state names are the stable strings");
	ok = true;
	for (i = 0; i < PT_DOOR_WHY_COUNT_; i++)
		ok &= strcmp(pt_door_why_name(i), whyn[i]) == 0;
	T_OK(ok, "why names are the stable strings");
	ok = true;
	for (i = 1; i < PT_DOOR_AL_COUNT_; i++)
		ok &= strcmp(pt_door_alert_name(i), aln[i]) == 0;
	T_OK(ok, "alert names match porterd's alert types");
	T_OK(strcmp(pt_door_action_name(PT_DOOR_ACT_LOCK), "lock") == 0 &&
		     strcmp(pt_door_action_name(PT_DOOR_ACT_UNLOCK), "unlock") == 0,
	     "action names");

	ok = true;
	for (i = 1; i < PT_DOOR_EV_COUNT_; i++)
		for (j = i + 1; j < PT_DOOR_EV_COUNT_; j++)
			ok &= strcmp(pt_door_event_name(i), pt_door_event_name(j)) != 0;
	T_OK(ok, "event names are distinct");

	T_OK(strcmp(pt_door_event_name(0), "unknown") == 0 &&
		     strcmp(pt_door_event_name(PT_DOOR_EV_COUNT_), "unknown") == 0 &&
		     strcmp(pt_door_event_name(-1), "unknown") == 0,
	     "unknown event values are named \"unknown\"");
	T_OK(strcmp(pt_door_state_name(0), "unknown") == 0 &&
		     strcmp(pt_door_state_name(PT_DOOR_STATE_COUNT_), "unknown") == 0 &&
		     strcmp(pt_door_why_name(PT_DOOR_WHY_COUNT_), "unknown") == 0 &&
		     strcmp(pt_door_alert_name(0), "unknown") == 0 &&
		     strcmp(pt_door_action_name(0), "unknown") == 0 &&
		     strcmp(pt_door_why_name(-5), "unknown") == 0,
	     "unknown states, whys, alerts, actions are named \"unknown\"");
}

static void
test_cfg(void)
{
	struct pt_door_cfg c, b;

	pt_door_cfg_default(&c);
	T_EQ(pt_door_cfg_check(&c), PT_OK, "the defaults are valid");
	T_OK(c.open_timeout_ms == 20000 && c.relock_delay_ms == 2000 && c.held_open_ms == 60000 &&
		     c.intrusion_window_ms == 300000 && c.bypass_quiet_ms == 30000 &&
		     c.lock_timeout_ms == 15000 && c.watch_purposes == (1u << PT_PURPOSE_DELIVERY),
	     "the defaults are the documented ones");
	T_EQ(pt_door_cfg_check(NULL), PT_EINVAL, "NULL cfg refused");

#define BOUND(field, lo, hi)                                                                   \
	do {                                                                                   \
		b = c;                                                                         \
		b.field = (lo);                                                                \
		T_EQ(pt_door_cfg_check(&b), PT_OK, #field " = " #lo " taken");                 \
		b.field = (hi);                                                                \
		T_EQ(pt_door_cfg_check(&b), PT_OK, #field " = " #hi " taken");                 \
		b.field = (hi) + 1;                                                            \
		T_EQ(pt_door_cfg_check(&b), PT_EINVAL, #field " = " #hi " + 1 refused");       \
		if ((lo) > 0) {                                                                \
			b.field = (lo) - 1;                                                    \
			T_EQ(pt_door_cfg_check(&b), PT_EINVAL, #field " = " #lo " - 1 refused"); \
		}                                                                              \
	} while (0)

	BOUND(open_timeout_ms, 1u, PT_DOOR_TIMER_MAX_MS);
	BOUND(relock_delay_ms, 0u, PT_DOOR_TIMER_MAX_MS);
	BOUND(held_open_ms, 1u, PT_DOOR_HELD_MAX_MS);
	BOUND(intrusion_window_ms, 0u, PT_DOOR_WINDOW_MAX_MS);
	BOUND(bypass_quiet_ms, 0u, PT_DOOR_TIMER_MAX_MS);
	BOUND(lock_timeout_ms, 1u, PT_DOOR_LOCK_TIMEOUT_MAX_MS);
#undef BOUND

	b = c;
	b.watch_purposes = 0;
	T_EQ(pt_door_cfg_check(&b), PT_OK, "watch_purposes 0 taken");
	b.watch_purposes = 0x1e;
	T_EQ(pt_door_cfg_check(&b), PT_OK, "watch_purposes all four purposes taken");
	b.watch_purposes = 0x1;
	T_EQ(pt_door_cfg_check(&b), PT_EINVAL, "watch_purposes bit 0 refused");
	b.watch_purposes = 0x20;
	T_EQ(pt_door_cfg_check(&b), PT_EINVAL, "watch_purposes bit 5 refused");
}

static void
test_init(void)
{
	struct pt_door_cfg c = cfg_test(), bad = cfg_test();
	struct pt_door d, zero;
	struct pt_door_out out;
	struct pt_door_input in = {.type = PT_DOOR_IN_TICK, .now_ms = 5};
	struct rig r;

	T_EQ(pt_door_init(&d, &c, false, true, 100), PT_OK, "init closed and thrown");
	T_EQ(pt_door_state(&d), PT_DOOR_SECURED, "closed and thrown: secured");
	T_EQ(pt_door_next_deadline(&d), NO, "secured: no deadline");
	T_EQ(pt_door_init(&d, &c, true, true, 100), PT_OK, "init open and thrown");
	T_EQ(pt_door_state(&d), PT_DOOR_UNSECURED, "open and thrown: unsecured");
	T_EQ(pt_door_next_deadline(&d), 100 + 60000, "open at start: held-open counts from init");
	T_EQ(pt_door_init(&d, &c, true, false, 100), PT_OK, "init open and drawn");
	T_EQ(pt_door_state(&d), PT_DOOR_UNSECURED, "open and drawn: unsecured");
	T_EQ(pt_door_init(&d, &c, false, false, 100), PT_OK, "init closed and drawn");
	T_EQ(pt_door_state(&d), PT_DOOR_UNSECURED, "closed and drawn: unsecured");
	T_EQ(pt_door_next_deadline(&d), 2100, "closed and drawn: relock after the delay");

	rig_init(&r, &c, false, false, 100);
	tick(&r, 2099);
	expect(&r, "closed and drawn at start: nothing 1 ms before the relock", PT_DOOR_UNSECURED,
	       "", "", "");
	tick(&r, 2100);
	expect(&r, "closed and drawn at start: LOCK at the relock delay", PT_DOOR_LOCKING,
	       "lock.locking(relock)", "lock", "");
	bolt(&r, 2500, true);
	expect(&r, "then thrown: secured", PT_DOOR_SECURED, "lock.locked", "", "");

	bad.lock_timeout_ms = 0;
	memset(&d, 0xa5, sizeof(d));
	T_EQ(pt_door_init(&d, &bad, false, true, 0), PT_EINVAL, "init with a bad cfg refused");
	memset(&zero, 0, sizeof(zero));
	T_OK(memcmp(&d, &zero, sizeof(d)) == 0, "... and the machine is zeroed");
	T_EQ(pt_door_init(&d, NULL, false, true, 0), PT_EINVAL, "init with NULL cfg refused");
	T_EQ(pt_door_init(NULL, &c, false, true, 0), PT_EINVAL, "init of NULL refused");

	T_EQ(pt_door_step(&zero, &in, &out), PT_EINVAL, "a zeroed machine is refused");
	T_OK(out.n_events == 0 && out.n_actions == 0 && out.deadline_ms == NO,
	     "... with an empty output");
	T_EQ(pt_door_state(&zero), 0, "a zeroed machine has state 0");
	T_EQ(pt_door_state(NULL), 0, "NULL has state 0");
	T_EQ(pt_door_next_deadline(&zero), NO, "a zeroed machine has no deadline");
	d = zero;
	d.state = PT_DOOR_STATE_COUNT_;
	d.cfg = c;
	T_EQ(pt_door_step(&d, &in, &out), PT_EINVAL, "a machine with a state out of range is refused");
	T_EQ(pt_door_step(NULL, &in, &out), PT_EINVAL, "NULL machine refused");
	T_EQ(pt_door_step(&r.d, NULL, &out), PT_EINVAL, "NULL input refused");
	T_EQ(pt_door_step(&r.d, &in, NULL), PT_EINVAL, "NULL output refused");
}

/* Inputs a caller could get wrong: refused, and nothing changes. */
static void
test_bad_inputs(void)
{
	struct pt_door_cfg c = cfg_test();
	struct rig r;
	struct pt_door before;
	struct pt_door_input in;
	static const struct {
		const char *what;
		uint8_t type, purpose, zone;
		uint32_t limit;
	} bad[] = {
		{"input type 0", 0, 0, 0, 0},
		{"input type 8", 8, 0, 0, 0},
		{"input type 255", 255, 0, 0, 0},
		{"grant with purpose 0", PT_DOOR_IN_GRANT, 0, 0, 0},
		{"grant with purpose 5", PT_DOOR_IN_GRANT, 5, 0, 0},
		{"grant with a limit over PT_DOOR_OPEN_MAX", PT_DOOR_IN_GRANT, PT_PURPOSE_GUEST, 0,
		 PT_DOOR_OPEN_MAX + 1},
		{"motion in zone 0", PT_DOOR_IN_MOTION, 0, 0, 0},
		{"motion in zone 3", PT_DOOR_IN_MOTION, 0, 3, 0},
	};
	size_t i;

	rig_init(&r, &c, false, true, 1000);
	grant(&r, 2000);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&in, 0, sizeof(in));
		in.type = bad[i].type;
		in.now_ms = 100000;	/* past the unlock timeout: would fire */
		in.grant.purpose = bad[i].purpose;
		in.grant.door_open_max_s = bad[i].limit;
		in.zone = bad[i].zone;
		before = r.d;
		step(&r, &in);
		T_OK(r.rc == PT_EINVAL && memcmp(&before, &r.d, sizeof(before)) == 0 &&
			     r.out.n_events == 0 && r.out.n_actions == 0 &&
			     r.out.deadline_ms == pt_door_next_deadline(&r.d),
		     "%s: refused, nothing changes, not even time", bad[i].what);
	}
	memset(&in, 0, sizeof(in));
	in.type = PT_DOOR_IN_GRANT;
	in.now_ms = 2500;
	in.grant.purpose = PT_PURPOSE_GUEST;
	in.grant.door_open_max_s = PT_DOOR_OPEN_MAX;
	step(&r, &in);
	T_EQ(r.rc, PT_EDOOR, "a grant with the longest limit is valid (and refused: session running)");
}

/* ---- the state table (docs/door.md), cell by cell ---- */

enum setup {
	SU_S,	/* secured */
	SU_U,	/* unlocking */
	SU_W,	/* unlocked, waiting for the door */
	SU_O,	/* open in the session */
	SU_C,	/* closed in the session, relock delay */
	SU_LS,	/* locking after the shut (session) */
	SU_LT,	/* locking after the open timeout (session, never opened) */
	SU_XC,	/* unsecured: door shut, bolt drawn (uncommanded) */
	SU_XO,	/* unsecured: door forced open, bolt thrown */
	SU_LN,	/* locking, no session */
	SU_J,	/* jammed, door shut */
	SU_JO,	/* jammed, door open */
	SU_COUNT
};

static const char *const setup_names[SU_COUNT] = {
	"secured",	     "unlocking",	    "unlocked",		 "open",
	"closed",	     "locking (session)",   "locking (timeout)", "unsecured (shut)",
	"unsecured (open)", "locking (no session)", "jammed (shut)",	 "jammed (open)",
};

/* Bring a fresh machine (default cfg, delivery session SID without a
 * limit or bypass) into the situation; clear the output. */
static void
setup(struct rig *r, int which)
{
	struct pt_door_cfg c = cfg_test();

	rig_init(r, &c, false, true, 1000);
	switch (which) {
	case SU_S:
		break;
	case SU_U:
		grant(r, 2000);
		break;
	case SU_W:
		grant(r, 2000);
		bolt(r, 2100, false);
		break;
	case SU_O:
		grant(r, 2000);
		bolt(r, 2100, false);
		contact(r, 3000, true);
		break;
	case SU_C:
	case SU_LS:
		grant(r, 2000);
		bolt(r, 2100, false);
		contact(r, 3000, true);
		contact(r, 4000, false);
		if (which == SU_LS)
			tick(r, 6000);
		break;
	case SU_LT:
		grant(r, 2000);
		bolt(r, 2100, false);
		tick(r, 22100);
		break;
	case SU_XC:
	case SU_LN:
	case SU_J:
	case SU_JO:
		bolt(r, 2000, false);
		if (which != SU_XC)
			tick(r, 4000);
		if (which == SU_J || which == SU_JO)
			lock_failed(r, 5000);
		if (which == SU_JO)
			contact(r, 6000, true);
		break;
	case SU_XO:
		contact(r, 2000, true);
		break;
	default:
		break;
	}
	memset(&r->out, 0, sizeof(r->out));
}

enum input {
	I_TICK,		/* a tick before any deadline */
	I_GRANT,
	I_OPEN,
	I_CLOSE,
	I_THROWN,
	I_DRAWN,
	I_MOT_E,
	I_MOT_I,
	I_FAIL,
	I_REQ,
	I_TIMER,	/* a tick at the deadline */
	I_COUNT
};

static const char *const input_names[I_COUNT] = {
	"tick",	       "grant",		"contact open",	   "contact closed",
	"bolt thrown", "bolt drawn",	"motion (entry)",  "motion (interior)",
	"lock failed", "lock request",	"tick at the deadline",
};

static void
apply(struct rig *r, int input)
{
	uint64_t t = r->now + 1;
	uint64_t dl = pt_door_next_deadline(&r->d);

	switch (input) {
	case I_TICK:
		tick(r, t);
		break;
	case I_GRANT:
		grant_full(r, t, SID2, PT_PURPOSE_DELIVERY, 0, false);
		break;
	case I_OPEN:
		contact(r, t, true);
		break;
	case I_CLOSE:
		contact(r, t, false);
		break;
	case I_THROWN:
		bolt(r, t, true);
		break;
	case I_DRAWN:
		bolt(r, t, false);
		break;
	case I_MOT_E:
		motion(r, t, PT_DOOR_ZONE_ENTRY);
		break;
	case I_MOT_I:
		motion(r, t, PT_DOOR_ZONE_INTERIOR);
		break;
	case I_FAIL:
		lock_failed(r, t);
		break;
	case I_REQ:
		lock_request(r, t);
		break;
	default:
		tick(r, dl == NO ? t : dl);
		break;
	}
}

#define S PT_DOOR_SECURED
#define U PT_DOOR_UNLOCKING
#define W PT_DOOR_UNLOCKED
#define O PT_DOOR_OPEN
#define C PT_DOOR_CLOSED
#define L PT_DOOR_LOCKING
#define X PT_DOOR_UNSECURED
#define J PT_DOOR_JAMMED
#define OK PT_OK
#define ED PT_EDOOR

static const struct cell {
	int setup, input, rc, state;
	const char *ev, *ac, *al;
} table[] = {
	/* secured */
	{SU_S, I_TICK, OK, S, "", "", ""},
	{SU_S, I_GRANT, OK, U, "session.start lock.unlocking", "unlock", ""},
	{SU_S, I_OPEN, OK, X, "door.opened door.forced", "", "door-forced"},
	{SU_S, I_CLOSE, OK, S, "", "", ""},
	{SU_S, I_THROWN, OK, S, "", "", ""},
	{SU_S, I_DRAWN, OK, X, "lock.unlocked(uncommanded)", "", ""},
	{SU_S, I_MOT_E, OK, S, "", "", ""},
	{SU_S, I_MOT_I, OK, S, "", "", ""},
	{SU_S, I_FAIL, OK, S, "lock.jammed(lock-failed)", "", "lock-jammed"},
	{SU_S, I_REQ, OK, S, "", "", ""},
	{SU_S, I_TIMER, OK, S, "", "", ""},
	/* unlocking */
	{SU_U, I_TICK, OK, U, "", "", ""},
	{SU_U, I_GRANT, ED, U, "", "", ""},
	{SU_U, I_OPEN, OK, O, "door.opened", "", ""},
	{SU_U, I_CLOSE, OK, U, "", "", ""},
	{SU_U, I_THROWN, OK, U, "", "", ""},
	{SU_U, I_DRAWN, OK, W, "lock.unlocked", "", ""},
	{SU_U, I_MOT_E, OK, U, "", "", ""},
	{SU_U, I_MOT_I, OK, U, "", "", ""},
	{SU_U, I_FAIL, OK, S, "lock.jammed(unlock-failed) session.end(lock-failed)", "",
	 "lock-jammed"},
	{SU_U, I_REQ, OK, L, "lock.locking(lock-request)", "lock", ""},
	{SU_U, I_TIMER, OK, S, "lock.jammed(unlock-failed) session.end(lock-failed)", "",
	 "lock-jammed"},
	/* unlocked, waiting for the door */
	{SU_W, I_TICK, OK, W, "", "", ""},
	{SU_W, I_GRANT, ED, W, "", "", ""},
	{SU_W, I_OPEN, OK, O, "door.opened", "", ""},
	{SU_W, I_CLOSE, OK, W, "", "", ""},
	{SU_W, I_THROWN, OK, S, "lock.locked(uncommanded) session.end(closed-and-locked)", "", ""},
	{SU_W, I_DRAWN, OK, W, "", "", ""},
	{SU_W, I_MOT_E, OK, W, "", "", ""},
	{SU_W, I_MOT_I, OK, W, "", "", ""},
	{SU_W, I_FAIL, OK, W, "lock.jammed(lock-failed)", "", "lock-jammed"},
	{SU_W, I_REQ, OK, L, "lock.locking(lock-request)", "lock", ""},
	{SU_W, I_TIMER, OK, L, "lock.locking(not-opened-in-time)", "lock", ""},
	/* open */
	{SU_O, I_TICK, OK, O, "", "", ""},
	{SU_O, I_GRANT, ED, O, "", "", ""},
	{SU_O, I_OPEN, OK, O, "", "", ""},
	{SU_O, I_CLOSE, OK, C, "door.closed", "", ""},
	{SU_O, I_THROWN, OK, O, "lock.locked(uncommanded)", "", ""},
	{SU_O, I_DRAWN, OK, O, "", "", ""},
	{SU_O, I_MOT_E, OK, O, "", "", ""},
	{SU_O, I_MOT_I, OK, O, "", "", ""},
	{SU_O, I_FAIL, OK, O, "lock.jammed(lock-failed)", "", "lock-jammed"},
	{SU_O, I_REQ, ED, O, "", "", ""},
	{SU_O, I_TIMER, OK, O, "door.held-open", "", "door-held-open"},
	/* closed (relock delay; the delivery's motion watch is on) */
	{SU_C, I_TICK, OK, C, "", "", ""},
	{SU_C, I_GRANT, ED, C, "", "", ""},
	{SU_C, I_OPEN, OK, O, "door.opened door.second-opening intrusion(second-opening)", "",
	 "intrusion"},
	{SU_C, I_CLOSE, OK, C, "", "", ""},
	{SU_C, I_THROWN, OK, S, "lock.locked(uncommanded) session.end(closed-and-locked)", "", ""},
	{SU_C, I_DRAWN, OK, C, "", "", ""},
	{SU_C, I_MOT_E, OK, C, "intrusion(motion-entry)", "", "intrusion"},
	{SU_C, I_MOT_I, OK, C, "intrusion(motion-interior)", "", "intrusion"},
	{SU_C, I_FAIL, OK, C, "lock.jammed(lock-failed)", "", "lock-jammed"},
	{SU_C, I_REQ, OK, L, "lock.locking(lock-request)", "lock", ""},
	{SU_C, I_TIMER, OK, L, "lock.locking(relock)", "lock", ""},
	/* locking after the shut */
	{SU_LS, I_TICK, OK, L, "", "", ""},
	{SU_LS, I_GRANT, ED, L, "", "", ""},
	{SU_LS, I_OPEN, OK, O, "door.opened door.second-opening intrusion(second-opening)", "",
	 "intrusion"},
	{SU_LS, I_CLOSE, OK, L, "", "", ""},
	{SU_LS, I_THROWN, OK, S, "lock.locked session.end(closed-and-locked)", "", ""},
	{SU_LS, I_DRAWN, OK, L, "", "", ""},
	{SU_LS, I_MOT_E, OK, L, "intrusion(motion-entry)", "", "intrusion"},
	{SU_LS, I_MOT_I, OK, L, "intrusion(motion-interior)", "", "intrusion"},
	{SU_LS, I_FAIL, OK, J, "lock.jammed(lock-failed) session.end(lock-failed)", "",
	 "lock-jammed"},
	{SU_LS, I_REQ, OK, L, "", "", ""},
	{SU_LS, I_TIMER, OK, J, "lock.jammed(lock-failed) session.end(lock-failed)", "",
	 "lock-jammed"},
	/* locking after the open timeout: the door was never opened */
	{SU_LT, I_TICK, OK, L, "", "", ""},
	{SU_LT, I_GRANT, ED, L, "", "", ""},
	{SU_LT, I_OPEN, OK, O, "door.opened intrusion(late-opening)", "", "intrusion"},
	{SU_LT, I_CLOSE, OK, L, "", "", ""},
	{SU_LT, I_THROWN, OK, S, "lock.locked session.end(not-opened-in-time)", "", ""},
	{SU_LT, I_DRAWN, OK, L, "", "", ""},
	{SU_LT, I_MOT_E, OK, L, "", "", ""},
	{SU_LT, I_MOT_I, OK, L, "", "", ""},
	{SU_LT, I_FAIL, OK, J, "lock.jammed(lock-failed) session.end(lock-failed)", "",
	 "lock-jammed"},
	{SU_LT, I_REQ, OK, L, "", "", ""},
	{SU_LT, I_TIMER, OK, J, "lock.jammed(lock-failed) session.end(lock-failed)", "",
	 "lock-jammed"},
	/* unsecured, shut: the bolt was drawn without a command */
	{SU_XC, I_TICK, OK, X, "", "", ""},
	{SU_XC, I_GRANT, ED, X, "", "", ""},
	{SU_XC, I_OPEN, OK, X, "door.opened intrusion(opening-without-session)", "", "intrusion"},
	{SU_XC, I_CLOSE, OK, X, "", "", ""},
	{SU_XC, I_THROWN, OK, S, "lock.locked(uncommanded)", "", ""},
	{SU_XC, I_DRAWN, OK, X, "", "", ""},
	{SU_XC, I_MOT_E, OK, X, "", "", ""},
	{SU_XC, I_MOT_I, OK, X, "", "", ""},
	{SU_XC, I_FAIL, OK, X, "lock.jammed(lock-failed)", "", "lock-jammed"},
	{SU_XC, I_REQ, OK, L, "lock.locking(lock-request)", "lock", ""},
	{SU_XC, I_TIMER, OK, L, "lock.locking(relock)", "lock", ""},
	/* unsecured, open: forced with the bolt thrown */
	{SU_XO, I_TICK, OK, X, "", "", ""},
	{SU_XO, I_GRANT, ED, X, "", "", ""},
	{SU_XO, I_OPEN, OK, X, "", "", ""},
	{SU_XO, I_CLOSE, OK, X, "door.closed", "", ""},
	{SU_XO, I_THROWN, OK, X, "", "", ""},
	{SU_XO, I_DRAWN, OK, X, "lock.unlocked(uncommanded)", "", ""},
	{SU_XO, I_MOT_E, OK, X, "", "", ""},
	{SU_XO, I_MOT_I, OK, X, "", "", ""},
	{SU_XO, I_FAIL, OK, X, "lock.jammed(lock-failed)", "", "lock-jammed"},
	{SU_XO, I_REQ, ED, X, "", "", ""},
	{SU_XO, I_TIMER, OK, X, "door.held-open", "", "door-held-open"},
	/* locking without a session */
	{SU_LN, I_TICK, OK, L, "", "", ""},
	{SU_LN, I_GRANT, ED, L, "", "", ""},
	{SU_LN, I_OPEN, OK, X, "door.opened intrusion(opening-without-session)", "", "intrusion"},
	{SU_LN, I_CLOSE, OK, L, "", "", ""},
	{SU_LN, I_THROWN, OK, S, "lock.locked", "", ""},
	{SU_LN, I_DRAWN, OK, L, "", "", ""},
	{SU_LN, I_MOT_E, OK, L, "", "", ""},
	{SU_LN, I_MOT_I, OK, L, "", "", ""},
	{SU_LN, I_FAIL, OK, J, "lock.jammed(lock-failed)", "", "lock-jammed"},
	{SU_LN, I_REQ, OK, L, "", "", ""},
	{SU_LN, I_TIMER, OK, J, "lock.jammed(lock-failed)", "", "lock-jammed"},
	/* jammed, shut */
	{SU_J, I_TICK, OK, J, "", "", ""},
	{SU_J, I_GRANT, ED, J, "", "", ""},
	{SU_J, I_OPEN, OK, J, "door.opened intrusion(opening-without-session)", "", "intrusion"},
	{SU_J, I_CLOSE, OK, J, "", "", ""},
	{SU_J, I_THROWN, OK, S, "lock.locked(uncommanded)", "", ""},
	{SU_J, I_DRAWN, OK, J, "", "", ""},
	{SU_J, I_MOT_E, OK, J, "", "", ""},
	{SU_J, I_MOT_I, OK, J, "", "", ""},
	{SU_J, I_FAIL, OK, J, "lock.jammed(lock-failed)", "", "lock-jammed"},
	{SU_J, I_REQ, OK, L, "lock.locking(lock-request)", "lock", ""},
	{SU_J, I_TIMER, OK, J, "", "", ""},
	/* jammed, open */
	{SU_JO, I_TICK, OK, J, "", "", ""},
	{SU_JO, I_GRANT, ED, J, "", "", ""},
	{SU_JO, I_OPEN, OK, J, "", "", ""},
	{SU_JO, I_CLOSE, OK, L, "door.closed lock.locking(retry)", "lock", ""},
	{SU_JO, I_THROWN, OK, J, "lock.locked(uncommanded)", "", ""},
	{SU_JO, I_DRAWN, OK, J, "", "", ""},
	{SU_JO, I_MOT_E, OK, J, "", "", ""},
	{SU_JO, I_MOT_I, OK, J, "", "", ""},
	{SU_JO, I_FAIL, OK, J, "lock.jammed(lock-failed)", "", "lock-jammed"},
	{SU_JO, I_REQ, ED, J, "", "", ""},
	{SU_JO, I_TIMER, OK, J, "door.held-open", "", "door-held-open"},
};

static void
test_table(void)
{
	struct rig r;
	size_t i;
	bool seen[SU_COUNT][I_COUNT];

	memset(seen, 0, sizeof(seen));
	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		const struct cell *c = &table[i];
		char what[160];

		setup(&r, c->setup);
		apply(&r, c->input);
		snprintf(what, sizeof(what), "table: %s + %s -> %s", setup_names[c->setup],
			 input_names[c->input], pt_door_state_name(c->state));
		if (r.rc != c->rc) {
			T_OK(0, "%s: returns %s (got %s)", what, pt_err_code(c->rc),
			     pt_err_code(r.rc));
			continue;
		}
		expect(&r, what, c->state, c->ev, c->ac, c->al);
		seen[c->setup][c->input] = true;
	}
	{
		bool all = true;
		int s, in;

		for (s = 0; s < SU_COUNT; s++)
			for (in = 0; in < I_COUNT; in++)
				all &= seen[s][in];
		T_OK(all, "the table covers every situation x input");
	}
}

#undef S
#undef U
#undef W
#undef O
#undef C
#undef L
#undef X
#undef J
#undef OK
#undef ED

/* ---- scenarios ---- */

/* A courier enters, the door shuts, it relocks, the bypass ends. */
static void
test_courier(void)
{
	struct pt_door_cfg c = cfg_test();
	struct rig r;
	const struct pt_door_event *e;
	bool ok;
	uint8_t i;

	rig_init(&r, &c, false, true, 1000000);
	T_EQ(grant_full(&r, 1000000, SID, PT_PURPOSE_DELIVERY, 90, true), PT_OK,
	     "courier: the grant is taken");
	expect(&r, "courier: session.start, UNLOCK", PT_DOOR_UNLOCKING,
	       "session.start lock.unlocking", "unlock", "");
	ok = true;
	for (i = 0; i < r.out.n_events; i++)
		ok &= r.out.events[i].has_session &&
		      memcmp(r.out.events[i].session, SID, PT_DOOR_SESSION_LEN) == 0 &&
		      r.out.events[i].at_ms == 1000000;
	T_OK(ok, "courier: events carry the session id and the time");
	T_EQ(r.out.deadline_ms, 1000000 + 15000, "courier: deadline is the unlock timeout");

	bolt(&r, 1000400, false);
	expect(&r, "courier: the bolt draws", PT_DOOR_UNLOCKED, "lock.unlocked", "", "");
	T_EQ(r.out.deadline_ms, 1000400 + 20000, "courier: deadline is the open timeout");

	contact(&r, 1005000, true);
	expect(&r, "courier: the door opens", PT_DOOR_OPEN, "door.opened", "", "");
	T_EQ(r.out.deadline_ms, 1005000 + 90000, "courier: deadline is the credential's limit");
	motion(&r, 1006000, PT_DOOR_ZONE_ENTRY);
	expect(&r, "courier: entry motion while the courier is in: nothing", PT_DOOR_OPEN, "", "",
	       "");
	motion(&r, 1007000, PT_DOOR_ZONE_INTERIOR);
	expect(&r, "courier: interior motion during the session: nothing from the door "
		   "(the armed interior zone is the alarm's)",
	       PT_DOOR_OPEN, "", "", "");

	contact(&r, 1035000, false);
	expect(&r, "courier: the door shuts", PT_DOOR_CLOSED, "door.closed", "", "");
	e = find_ev(&r.out, PT_DOOR_EV_DOOR_CLOSED);
	T_OK(e != NULL && e->ms == 30000, "courier: door.closed says it stood open 30 s");
	T_EQ(r.out.deadline_ms, 1035000 + 2000, "courier: deadline is the relock delay");

	tick(&r, 1036999);
	expect(&r, "courier: 1 ms before the relock delay: nothing", PT_DOOR_CLOSED, "", "", "");
	tick(&r, 1037000);
	expect(&r, "courier: relock", PT_DOOR_LOCKING, "lock.locking(relock)", "lock", "");
	T_EQ(r.out.deadline_ms, 1037000 + 15000, "courier: deadline is the lock timeout");

	bolt(&r, 1037300, true);
	expect(&r, "courier: thrown: the session ends", PT_DOOR_SECURED,
	       "lock.locked session.end(closed-and-locked)", "", "");
	e = find_ev(&r.out, PT_DOOR_EV_LOCK_LOCKED);
	T_OK(e != NULL && e->ms == 300, "courier: lock.locked says the lock took 300 ms");
	e = find_ev(&r.out, PT_DOOR_EV_SESSION_END);
	T_OK(e != NULL && e->has_session && memcmp(e->session, SID, PT_DOOR_SESSION_LEN) == 0,
	     "courier: session.end carries the session id");
	T_EQ(r.out.deadline_ms, 1037300 + 30000, "courier: deadline is the bypass quiet time");

	motion(&r, 1040000, PT_DOOR_ZONE_ENTRY);
	expect(&r, "courier: entry motion after the shut: intrusion", PT_DOOR_SECURED,
	       "intrusion(motion-entry)", "", "intrusion");
	T_EQ(r.out.deadline_ms, 1040000 + 30000, "courier: entry motion restarts the quiet time");
	motion(&r, 1041000, PT_DOOR_ZONE_INTERIOR);
	expect(&r, "courier: more motion: another intrusion event, no second alert",
	       PT_DOOR_SECURED, "intrusion(motion-interior)", "", "");
	T_EQ(r.out.deadline_ms, 1040000 + 30000, "courier: interior motion does not restart it");
	tick(&r, 1069999);
	expect(&r, "courier: 1 ms before the quiet time: nothing", PT_DOOR_SECURED, "", "", "");
	tick(&r, 1070000);
	expect(&r, "courier: the bypass ends", PT_DOOR_SECURED, "alarm.bypass-end", "", "");
	e = find_ev(&r.out, PT_DOOR_EV_BYPASS_END);
	T_OK(e != NULL && e->has_session && memcmp(e->session, SID, PT_DOOR_SESSION_LEN) == 0,
	     "courier: alarm.bypass-end names the session that asked for it");
	T_EQ(r.out.deadline_ms, NO, "courier: nothing pending");

	/* The watch lasts intrusion_window after the session's end (1037300). */
	motion(&r, 1037300 + 300000 - 1, PT_DOOR_ZONE_INTERIOR);
	expect(&r, "courier: motion 1 ms before the window ends: intrusion", PT_DOOR_SECURED,
	       "intrusion(motion-interior)", "", "");
	motion(&r, 1037300 + 300000, PT_DOOR_ZONE_INTERIOR);
	expect(&r, "courier: motion at the window's end: nothing", PT_DOOR_SECURED, "", "", "");
	contact(&r, 1400000, true);
	expect(&r, "courier: an opening long after: door forced", PT_DOOR_UNSECURED,
	       "door.opened door.forced", "", "door-forced");
	T_OK(!r.out.events[1].has_session, "courier: door.forced belongs to no session");
}

static void
test_not_opened(void)
{
	struct pt_door_cfg c = cfg_test();
	struct rig r;

	rig_init(&r, &c, false, true, 0);
	grant_full(&r, 0, SID, PT_PURPOSE_GUEST, 0, true);
	bolt(&r, 500, false);
	tick(&r, 20499);
	expect(&r, "not opened: 1 ms before the open timeout: nothing", PT_DOOR_UNLOCKED, "", "",
	       "");
	tick(&r, 20500);
	expect(&r, "not opened: LOCK at the open timeout", PT_DOOR_LOCKING,
	       "lock.locking(not-opened-in-time)", "lock", "");
	bolt(&r, 21000, true);
	expect(&r, "not opened: the session ends, not opened in time", PT_DOOR_SECURED,
	       "lock.locked session.end(not-opened-in-time)", "", "");
	motion(&r, 22000, PT_DOOR_ZONE_ENTRY);
	expect(&r, "not opened: no watch (nobody went in)", PT_DOOR_SECURED, "", "", "");
	tick(&r, 22000 + 30000);
	expect(&r, "not opened: the bypass still waits for quiet", PT_DOOR_SECURED,
	       "alarm.bypass-end", "", "");
	T_EQ(grant(&r, 60000), PT_OK, "not opened: the next grant is taken");
}

static void
test_held_open(void)
{
	struct pt_door_cfg c = cfg_test();
	struct rig r;
	const struct pt_door_event *e;

	/* The default limit (the grant carries none). */
	rig_init(&r, &c, false, true, 0);
	grant(&r, 0);
	bolt(&r, 100, false);
	contact(&r, 1000, true);
	tick(&r, 60999);
	expect(&r, "held open: 1 ms before the default limit: nothing", PT_DOOR_OPEN, "", "", "");
	tick(&r, 61000);
	expect(&r, "held open: alert at the default limit", PT_DOOR_OPEN, "door.held-open", "",
	       "door-held-open");
	e = find_ev(&r.out, PT_DOOR_EV_HELD_OPEN);
	T_OK(e != NULL && e->ms == 60000 && e->has_session, "held open: the event says the limit");
	T_EQ(r.out.deadline_ms, NO, "held open: no further deadline while it stays open");
	tick(&r, 500000);
	expect(&r, "held open: once only", PT_DOOR_OPEN, "", "", "");
	contact(&r, 600000, false);
	expect(&r, "held open: closing says it had been held open", PT_DOOR_CLOSED,
	       "door.closed(held-open)", "", "");
	e = find_ev(&r.out, PT_DOOR_EV_DOOR_CLOSED);
	T_OK(e != NULL && e->ms == 599000, "held open: ... and for how long");

	/* The credential's own limit, longer than the default. */
	rig_init(&r, &c, false, true, 0);
	grant_full(&r, 0, SID, PT_PURPOSE_SERVICE, 90, false);
	bolt(&r, 100, false);
	contact(&r, 1000, true);
	tick(&r, 61000);
	expect(&r, "credential limit 90 s: nothing at the default's 60 s", PT_DOOR_OPEN, "", "",
	       "");
	tick(&r, 90999);
	expect(&r, "credential limit 90 s: nothing 1 ms before", PT_DOOR_OPEN, "", "", "");
	tick(&r, 91000);
	expect(&r, "credential limit 90 s: alert at 90 s", PT_DOOR_OPEN, "door.held-open", "",
	       "door-held-open");

	/* ... and shorter. */
	rig_init(&r, &c, false, true, 0);
	grant_full(&r, 0, SID, PT_PURPOSE_SERVICE, 5, false);
	bolt(&r, 100, false);
	contact(&r, 1000, true);
	tick(&r, 6000);
	expect(&r, "credential limit 5 s: alert at 5 s", PT_DOOR_OPEN, "door.held-open", "",
	       "door-held-open");
	contact(&r, 6500, false);
	expect(&r, "closed after being held open", PT_DOOR_CLOSED, "door.closed(held-open)", "",
	       "");

	/* A late tick still raises it, once, at the time it is seen. */
	rig_init(&r, &c, false, true, 0);
	grant(&r, 0);
	bolt(&r, 100, false);
	contact(&r, 1000, true);
	contact(&r, 900000, false);
	expect(&r, "held open, no tick came: raised when the door closes, before door.closed",
	       PT_DOOR_CLOSED, "door.held-open door.closed(held-open)", "", "door-held-open");

	/* Without a session: the default. */
	rig_init(&r, &c, false, true, 0);
	contact(&r, 1000, true);
	tick(&r, 61000);
	expect(&r, "forced and held open: alert at the default limit", PT_DOOR_UNSECURED,
	       "door.held-open", "", "door-held-open");
	T_OK(!r.out.alerts[0].has_session, "... for no session");
}

static void
test_second_opening(void)
{
	struct pt_door_cfg c = cfg_test();
	struct rig r;

	/* During the relock delay: the bolt is not thrown yet, still intrusion. */
	rig_init(&r, &c, false, true, 0);
	grant(&r, 0);
	bolt(&r, 100, false);
	contact(&r, 1000, true);
	contact(&r, 5000, false);
	contact(&r, 6000, true);
	expect(&r, "second opening in the relock delay: intrusion", PT_DOOR_OPEN,
	       "door.opened door.second-opening intrusion(second-opening)", "", "intrusion");
	T_OK(r.out.alerts[0].has_session &&
		     memcmp(r.out.alerts[0].session, SID, PT_DOOR_SESSION_LEN) == 0,
	     "second opening: the alert names the session");
	contact(&r, 7000, false);
	expect(&r, "second opening: shut again", PT_DOOR_CLOSED, "door.closed", "", "");
	contact(&r, 7500, true);
	expect(&r, "third opening: intrusion again", PT_DOOR_OPEN,
	       "door.opened door.second-opening intrusion(second-opening)", "", "intrusion");
	contact(&r, 8000, false);
	tick(&r, 10000);
	expect(&r, "after the extra openings it still relocks", PT_DOOR_LOCKING,
	       "lock.locking(relock)", "lock", "");
	contact(&r, 10100, true);
	expect(&r, "an opening while locking: intrusion, LOCK abandoned", PT_DOOR_OPEN,
	       "door.opened door.second-opening intrusion(second-opening)", "", "intrusion");
	T_EQ(r.out.deadline_ms, 10100 + 60000, "... only the held-open timer runs");
	bolt(&r, 10200, true);
	expect(&r, "the late answer to the abandoned LOCK, door open: recorded", PT_DOOR_OPEN,
	       "lock.locked", "", "");
	contact(&r, 11000, false);
	expect(&r, "shut with the bolt reported thrown while open: relock anyway", PT_DOOR_CLOSED,
	       "door.closed", "", "");
	tick(&r, 13000);
	expect(&r, "relock after the delay", PT_DOOR_LOCKING, "lock.locking(relock)", "lock", "");
	bolt(&r, 13100, true);
	expect(&r, "the answer ends the session", PT_DOOR_SECURED,
	       "lock.locked session.end(closed-and-locked)", "", "");
}

static void
test_after_session(void)
{
	struct pt_door_cfg c = cfg_test();
	struct rig r;

	/* A guest: no motion watch (the holder stays in), openings still count. */
	rig_init(&r, &c, false, true, 0);
	grant_full(&r, 0, SID, PT_PURPOSE_GUEST, 0, false);
	bolt(&r, 100, false);
	contact(&r, 1000, true);
	contact(&r, 2000, false);
	motion(&r, 3000, PT_DOOR_ZONE_ENTRY);
	expect(&r, "guest: motion after the shut is not an intrusion", PT_DOOR_CLOSED, "", "", "");
	tick(&r, 4000);
	bolt(&r, 4100, true);
	motion(&r, 5000, PT_DOOR_ZONE_INTERIOR);
	expect(&r, "guest: motion after the session is not an intrusion", PT_DOOR_SECURED, "", "",
	       "");
	bolt(&r, 6000, false);
	expect(&r, "after the session: the bolt drawn by hand", PT_DOOR_UNSECURED,
	       "lock.unlocked(uncommanded)", "", "");
	contact(&r, 6500, true);
	expect(&r, "after the session: opening with the bolt drawn: intrusion", PT_DOOR_UNSECURED,
	       "door.opened intrusion(opening-without-session)", "", "intrusion");
	T_OK(!r.out.events[1].has_session && !r.out.alerts[0].has_session,
	     "... belonging to no session");
	contact(&r, 7000, false);
	expect(&r, "shut: relock after the delay", PT_DOOR_UNSECURED, "door.closed", "", "");
	T_EQ(r.out.deadline_ms, 9000, "... deadline");
	tick(&r, 9000);
	bolt(&r, 9100, true);
	expect(&r, "relocked", PT_DOOR_SECURED, "lock.locked", "", "");

	/* Configured to watch guests too. */
	c.watch_purposes = (1u << PT_PURPOSE_GUEST) | (1u << PT_PURPOSE_DELIVERY);
	rig_init(&r, &c, false, true, 0);
	grant_full(&r, 0, SID, PT_PURPOSE_GUEST, 0, false);
	bolt(&r, 100, false);
	contact(&r, 1000, true);
	contact(&r, 2000, false);
	motion(&r, 3000, PT_DOOR_ZONE_ENTRY);
	expect(&r, "watched guest: motion after the shut is an intrusion", PT_DOOR_CLOSED,
	       "intrusion(motion-entry)", "", "intrusion");

	/* A new grant ends the watch of the previous session. */
	c = cfg_test();
	rig_init(&r, &c, false, true, 0);
	grant(&r, 0);
	bolt(&r, 100, false);
	contact(&r, 1000, true);
	contact(&r, 2000, false);
	tick(&r, 4000);
	bolt(&r, 4100, true);
	T_EQ(grant_full(&r, 10000, SID2, PT_PURPOSE_RESIDENT, 0, false), PT_OK,
	     "a resident comes home during the watch");
	motion(&r, 10500, PT_DOOR_ZONE_INTERIOR);
	expect(&r, "the resident's motion is no intrusion", PT_DOOR_UNLOCKING, "", "", "");

	/* Window 0: the watch ends with the session. */
	c.intrusion_window_ms = 0;
	rig_init(&r, &c, false, true, 0);
	grant(&r, 0);
	bolt(&r, 100, false);
	contact(&r, 1000, true);
	contact(&r, 2000, false);
	motion(&r, 3000, PT_DOOR_ZONE_ENTRY);
	expect(&r, "window 0: motion before the relock still counts", PT_DOOR_CLOSED,
	       "intrusion(motion-entry)", "", "intrusion");
	tick(&r, 4000);
	bolt(&r, 4100, true);
	motion(&r, 4100, PT_DOOR_ZONE_ENTRY);
	expect(&r, "window 0: motion right after the session: nothing", PT_DOOR_SECURED, "", "",
	       "");
}

static void
test_forced(void)
{
	struct pt_door_cfg c = cfg_test();
	struct rig r;

	rig_init(&r, &c, false, true, 0);
	contact(&r, 1000, true);
	expect(&r, "forced: opened with the bolt thrown, no session", PT_DOOR_UNSECURED,
	       "door.opened door.forced", "", "door-forced");
	T_EQ(grant(&r, 1500), PT_EDOOR, "forced: a grant is refused while it stands open");
	T_EQ(count_act(&r.out, PT_DOOR_ACT_UNLOCK), 0, "... and nothing unlocks");
	contact(&r, 2000, false);
	expect(&r, "forced: shut: not secured on the old report", PT_DOOR_UNSECURED, "door.closed",
	       "", "");
	T_EQ(grant(&r, 2500), PT_EDOOR, "forced: a grant is refused until the lock confirms");
	tick(&r, 4000);
	expect(&r, "forced: LOCK after the relock delay", PT_DOOR_LOCKING, "lock.locking(relock)",
	       "lock", "");
	bolt(&r, 4100, true);
	expect(&r, "forced: the lock confirms (same report as before): secured", PT_DOOR_SECURED,
	       "lock.locked", "", "");

	/* A thrown report right after the shut secures it at once. */
	rig_init(&r, &c, false, true, 0);
	contact(&r, 1000, true);
	contact(&r, 2000, false);
	bolt(&r, 2100, true);
	expect(&r, "forced: a fresh thrown report after the shut: secured", PT_DOOR_SECURED,
	       "lock.locked(uncommanded)", "", "");

	/* Forced while jammed shut with the bolt reported thrown. */
	rig_init(&r, &c, false, true, 0);
	grant(&r, 0);
	lock_request(&r, 100);
	expect(&r, "lock request while unlocking: LOCK", PT_DOOR_LOCKING,
	       "lock.locking(lock-request)", "lock", "");
	lock_failed(&r, 200);
	expect(&r, "... fails: jammed, session over", PT_DOOR_JAMMED,
	       "lock.jammed(lock-failed) session.end(lock-failed)", "", "lock-jammed");
	contact(&r, 300, true);
	expect(&r, "jammed with the bolt reported thrown, opened: forced", PT_DOOR_JAMMED,
	       "door.opened door.forced", "", "door-forced");
	contact(&r, 400, false);
	expect(&r, "... shut: not secured on the old report, LOCK again", PT_DOOR_LOCKING,
	       "door.closed lock.locking(retry)", "lock", "");
	bolt(&r, 500, true);
	expect(&r, "... confirmed: secured", PT_DOOR_SECURED, "lock.locked", "", "");
}

static void
test_jam(void)
{
	struct pt_door_cfg c = cfg_test();
	struct rig r;
	const struct pt_door_event *e;

	/* The relock fails: reported by the driver. */
	rig_init(&r, &c, false, true, 0);
	grant_full(&r, 0, SID, PT_PURPOSE_DELIVERY, 0, true);
	bolt(&r, 100, false);
	contact(&r, 1000, true);
	contact(&r, 2000, false);
	tick(&r, 4000);
	lock_failed(&r, 9000);
	expect(&r, "jam: the lock did not throw", PT_DOOR_JAMMED,
	       "lock.jammed(lock-failed) session.end(lock-failed)", "", "lock-jammed");
	e = find_ev(&r.out, PT_DOOR_EV_LOCK_JAMMED);
	T_OK(e != NULL && e->ms == 5000 && e->has_session,
	     "jam: the event says 5 s since LOCK and names the session");
	T_EQ(r.out.deadline_ms, 9000 + 30000,
	     "jam: the bypass quiet time starts (re-arm a door the lock cannot hold)");
	T_EQ(grant(&r, 9500), PT_EDOOR, "jam: grants are refused");
	tick(&r, 100000);
	expect(&r, "jam: no retry by itself, the bypass ends", PT_DOOR_JAMMED, "alarm.bypass-end",
	       "", "");
	lock_request(&r, 110000);
	expect(&r, "jam: the owner asks to lock: LOCK again", PT_DOOR_LOCKING,
	       "lock.locking(lock-request)", "lock", "");
	tick(&r, 110000 + 14999);
	expect(&r, "jam: 1 ms before the lock timeout: nothing", PT_DOOR_LOCKING, "", "", "");
	tick(&r, 110000 + 15000);
	expect(&r, "jam: the lock timeout (no driver report)", PT_DOOR_JAMMED,
	       "lock.jammed(lock-failed)", "", "lock-jammed");
	contact(&r, 130000, true);
	contact(&r, 131000, false);
	expect(&r, "jam: the door shut again: retry", PT_DOOR_LOCKING,
	       "door.closed lock.locking(retry)", "lock", "");
	bolt(&r, 131500, true);
	expect(&r, "jam: the retry works", PT_DOOR_SECURED, "lock.locked", "", "");
	T_EQ(grant(&r, 140000), PT_OK, "jam: grants are taken again");

	/* The unlock fails: the door stays locked, the session ends. */
	rig_init(&r, &c, false, true, 0);
	grant(&r, 0);
	tick(&r, 14999);
	expect(&r, "unlock jam: 1 ms before the timeout: nothing", PT_DOOR_UNLOCKING, "", "", "");
	tick(&r, 15000);
	expect(&r, "unlock jam: timeout", PT_DOOR_SECURED,
	       "lock.jammed(unlock-failed) session.end(lock-failed)", "", "lock-jammed");
	T_EQ(grant(&r, 16000), PT_OK, "unlock jam: the courier may try again");
	T_EQ(count_act(&r.out, PT_DOOR_ACT_UNLOCK), 1, "... one UNLOCK");
	bolt(&r, 16500, false);
	expect(&r, "unlock jam: this time it draws", PT_DOOR_UNLOCKED, "lock.unlocked", "", "");
	bolt(&r, 17000, false);
	expect(&r, "a repeated report changes nothing", PT_DOOR_UNLOCKED, "", "", "");

	/* A late unlock after the timeout: caught and relocked. */
	rig_init(&r, &c, false, true, 0);
	grant(&r, 0);
	lock_failed(&r, 1000);
	bolt(&r, 2000, false);
	expect(&r, "the lock moved after all: unsecured", PT_DOOR_UNSECURED,
	       "lock.unlocked(uncommanded)", "", "");
	tick(&r, 4000);
	expect(&r, "... relocked", PT_DOOR_LOCKING, "lock.locking(relock)", "lock", "");
}

static void
test_refused_grants(void)
{
	struct pt_door_cfg c = cfg_test();
	struct rig r;

	rig_init(&r, &c, true, true, 0);
	T_EQ(grant(&r, 10), PT_EDOOR, "refused: the door is open");
	rig_init(&r, &c, false, false, 0);
	T_EQ(grant(&r, 10), PT_EDOOR, "refused: the bolt is drawn");
	T_EQ(count_act(&r.out, PT_DOOR_ACT_UNLOCK), 0, "... no UNLOCK");
	rig_init(&r, &c, false, true, 0);
	T_EQ(grant(&r, 10), PT_OK, "the first grant is taken");
	T_EQ(grant_full(&r, 20, SID2, PT_PURPOSE_DELIVERY, 0, false), PT_EDOOR,
	     "refused: a session is unlocking");
	T_EQ(r.out.n_actions + r.out.n_events, 0, "... nothing at all happens");
	bolt(&r, 30, false);
	T_EQ(grant_full(&r, 40, SID2, PT_PURPOSE_DELIVERY, 0, false), PT_EDOOR,
	     "refused: unlocked for another session");
	T_EQ(grant(&r, 50), PT_EDOOR, "refused: the same session id again");

	/* A refused grant still lets time pass. */
	rig_init(&r, &c, false, true, 0);
	grant(&r, 0);
	bolt(&r, 100, false);
	T_EQ(grant_full(&r, 20100, SID2, PT_PURPOSE_DELIVERY, 0, false), PT_EDOOR,
	     "refused at the open timeout");
	expect(&r, "... the timeout fired in the same call", PT_DOOR_LOCKING,
	       "lock.locking(not-opened-in-time)", "lock", "");

	/* After the session: taken even while the bypass and the watch run. */
	rig_init(&r, &c, false, true, 0);
	grant_full(&r, 0, SID, PT_PURPOSE_DELIVERY, 0, true);
	bolt(&r, 100, false);
	contact(&r, 1000, true);
	contact(&r, 2000, false);
	tick(&r, 4000);
	bolt(&r, 4100, true);
	T_EQ(grant_full(&r, 5000, SID2, PT_PURPOSE_DELIVERY, 0, false), PT_OK,
	     "taken during the quiet time");
	bolt(&r, 5100, false);
	contact(&r, 6000, true);
	contact(&r, 7000, false);
	tick(&r, 9000);
	bolt(&r, 9100, true);
	T_EQ(r.out.deadline_ms, 9100 + 30000, "the first bypass outlives the second session");
	tick(&r, 9100 + 30000);
	expect(&r, "... and ends after it", PT_DOOR_SECURED, "alarm.bypass-end", "", "");
	T_OK(r.out.events[0].has_session &&
		     memcmp(r.out.events[0].session, SID, PT_DOOR_SESSION_LEN) == 0,
	     "... naming the session that asked for it");
}

static void
test_timers_edge(void)
{
	struct pt_door_cfg c = cfg_test();
	struct rig r;

	/* Zero relock delay: LOCK in the same call as the shut. */
	c.relock_delay_ms = 0;
	c.bypass_quiet_ms = 0;
	rig_init(&r, &c, false, true, 0);
	grant_full(&r, 0, SID, PT_PURPOSE_DELIVERY, 0, true);
	bolt(&r, 100, false);
	contact(&r, 1000, true);
	contact(&r, 2000, false);
	expect(&r, "relock delay 0: LOCK as it shuts", PT_DOOR_LOCKING,
	       "door.closed lock.locking(relock)", "lock", "");
	bolt(&r, 2100, true);
	expect(&r, "quiet 0: the bypass ends as it locks", PT_DOOR_SECURED,
	       "lock.locked session.end(closed-and-locked) alarm.bypass-end", "", "");

	/* A late tick fires one stage only; the next timer starts now. */
	c = cfg_test();
	rig_init(&r, &c, false, true, 0);
	grant(&r, 0);
	bolt(&r, 100, false);
	tick(&r, 3600000);
	expect(&r, "late tick: one stage (LOCK)", PT_DOOR_LOCKING,
	       "lock.locking(not-opened-in-time)", "lock", "");
	T_EQ(r.out.deadline_ms, 3600000 + 15000, "late tick: the lock timeout starts now");

	/* The opening comes after the open timeout but before any tick. */
	rig_init(&r, &c, false, true, 0);
	grant(&r, 0);
	bolt(&r, 100, false);
	contact(&r, 20100, true);
	expect(&r, "opened at the open timeout, no tick before: late opening",
	       PT_DOOR_OPEN,
	       "lock.locking(not-opened-in-time) door.opened intrusion(late-opening)", "lock",
	       "intrusion");
	contact(&r, 20099, true);
	T_EQ(r.out.n_events, 0, "a duplicate report changes nothing");

	/* 1 ms before: the normal opening. */
	rig_init(&r, &c, false, true, 0);
	grant(&r, 0);
	bolt(&r, 100, false);
	contact(&r, 20099, true);
	expect(&r, "opened 1 ms before the open timeout: fine", PT_DOOR_OPEN, "door.opened", "",
	       "");

	/* The clock steps back: taken as the latest time. */
	rig_init(&r, &c, false, true, 50000);
	grant(&r, 50000);
	bolt(&r, 40000, false);
	expect(&r, "an earlier time is taken as the latest", PT_DOOR_UNLOCKED, "lock.unlocked",
	       "", "");
	T_OK(r.out.events[0].at_ms == 50000 && r.out.deadline_ms == 50000 + 20000,
	     "... the event and the timer use the latest time");

	/* Near the end of time: deadlines saturate, never wrap. */
	rig_init(&r, &c, false, true, UINT64_MAX - 10);
	grant(&r, UINT64_MAX - 10);
	T_OK(r.out.deadline_ms == UINT64_MAX - 1 && r.out.deadline_ms > r.now,
	     "deadlines saturate below PT_DOOR_NO_DEADLINE");

	/* The door opens before the bolt's report comes. */
	rig_init(&r, &c, false, true, 0);
	grant(&r, 0);
	contact(&r, 200, true);
	expect(&r, "opened while unlocking: the grant's opening", PT_DOOR_OPEN, "door.opened", "",
	       "");
	T_EQ(r.out.deadline_ms, 200 + 60000, "... the unlock timeout is moot");
	bolt(&r, 300, false);
	expect(&r, "... the late report is recorded", PT_DOOR_OPEN, "lock.unlocked", "", "");
}

/* ---- randomized sequences ---- */

static uint64_t rng_state;

static uint64_t
rng(void)
{
	/* splitmix64: deterministic, good enough to pick inputs. */
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint32_t
pick(uint32_t n)
{
	return (uint32_t)(rng() % n);
}

struct inv {
	const char *name;
	long fails;
	char first[256];
};

enum {
	INV_STATE,		/* state is an enum value, facts consistent */
	INV_UNLOCK_ONLY_GRANT,	/* UNLOCK only in an accepted grant's call */
	INV_UNLOCK_ONCE,	/* exactly one UNLOCK per accepted grant */
	INV_GRANT_SECURED,	/* a grant is taken iff the machine was secured */
	INV_OPENING,		/* every opening outside the grant's yields intrusion/forced */
	INV_LEGIT_OPENING,	/* ... and the grant's one opening does not */
	INV_LOCK_CLOSED,	/* LOCK never with the door open */
	INV_BOUNDS,		/* output within the documented bounds, no overflow */
	INV_DEADLINE,		/* deadline >= now, equals pt_door_next_deadline */
	INV_DEADLINE_EXACT,	/* a tick 1 ms before the deadline does nothing */
	INV_SESSIONS,		/* session.start/end pair up */
	INV_HELD_ONCE,		/* at most one held-open per opening */
	INV_RC,			/* only OK/EDOOR for valid inputs, EINVAL changes nothing */
	INV_COUNT
};

static struct inv invs[INV_COUNT] = {
	{"state is always an enum value and agrees with the recorded facts", 0, ""},
	{"UNLOCK appears only in the call of an accepted grant", 0, ""},
	{"an accepted grant yields exactly one UNLOCK (never two per grant)", 0, ""},
	{"a grant is taken if and only if the machine is secured", 0, ""},
	{"every opening outside a grant's one opening yields intrusion or door.forced", 0, ""},
	{"a grant's one opening yields no intrusion", 0, ""},
	{"LOCK is never asked for with the door open", 0, ""},
	{"outputs stay within 1 action, 5 events, 2 alerts; never overflow", 0, ""},
	{"the deadline is never in the past and matches pt_door_next_deadline", 0, ""},
	{"a tick 1 ms before the deadline does nothing", 0, ""},
	{"session.start and session.end alternate", 0, ""},
	{"at most one door.held-open per opening", 0, ""},
	{"valid inputs return PT_OK or PT_EDOOR; invalid ones change nothing", 0, ""},
};

__attribute__((format(printf, 4, 5))) static void
inv_fail(int which, long seq, int stepno, const char *fmt, ...)
{
	__builtin_va_list ap;
	int n;

	if (invs[which].fails++ > 0)
		return;
	n = snprintf(invs[which].first, sizeof(invs[which].first), "seq %ld step %d: ", seq,
		     stepno);
	if (n < 0 || (size_t)n >= sizeof(invs[which].first))
		return;
	__builtin_va_start(ap, fmt);
	vsnprintf(invs[which].first + n, sizeof(invs[which].first) - (size_t)n, fmt, ap);
	__builtin_va_end(ap);
}

static uint32_t
rand_ms(uint32_t lo, uint32_t hi)
{
	/* Small values often, so timers meet and zeros occur. */
	switch (pick(4)) {
	case 0:
		return lo;
	case 1:
		return lo + pick(hi - lo < 10 ? hi - lo + 1 : 10);
	default:
		return lo + pick(hi - lo + 1);
	}
}

static bool
state_consistent(const struct pt_door *d)
{
	switch (d->state) {
	case PT_DOOR_SECURED:
		return !d->in_session && !d->door_open && d->bolt_locked;
	case PT_DOOR_UNLOCKING:
	case PT_DOOR_UNLOCKED:
	case PT_DOOR_CLOSED:
		return d->in_session && !d->door_open;
	case PT_DOOR_OPEN:
		return d->in_session && d->door_open;
	case PT_DOOR_LOCKING:
		return !d->door_open;
	case PT_DOOR_UNSECURED:
	case PT_DOOR_JAMMED:
		return !d->in_session;
	default:
		return false;
	}
}

static void
test_random(void)
{
	const long n_seq = 20000;
	const int n_steps = 80;
	long seq, steps = 0, grants_taken = 0, openings_flagged = 0, unlocks = 0;
	int max_act = 0, max_ev = 0, max_al = 0;
	long visits[PT_DOOR_STATE_COUNT_][9];
	int i;

	memset(visits, 0, sizeof(visits));

	rng_state = 0x706f72746572ull;	/* "porter" */
	for (seq = 0; seq < n_seq; seq++) {
		struct pt_door_cfg c;
		struct pt_door d, probe;
		struct pt_door_out out, pout;
		struct pt_door_input in, pin;
		uint64_t now;
		int open_sessions = 0, held_this_opening = 0, stepno;

		c.open_timeout_ms = rand_ms(1, 3000);
		c.relock_delay_ms = rand_ms(0, 3000);
		c.held_open_ms = rand_ms(1, 5000);
		c.intrusion_window_ms = rand_ms(0, 5000);
		c.bypass_quiet_ms = rand_ms(0, 3000);
		c.lock_timeout_ms = rand_ms(1, 3000);
		c.watch_purposes = pick(16) << 1;
		now = pick(4) == 0 ? UINT64_MAX - 100000000 : rng() % 1000000;
		if (pt_door_init(&d, &c, pick(4) == 0, pick(4) != 0, now) != PT_OK) {
			inv_fail(INV_RC, seq, 0, "init refused a valid cfg");
			continue;
		}
		for (stepno = 0; stepno < n_steps; stepno++) {
			int prev_state, pre_state, rc;
			bool pre_open, opening, valid = true;
			int n_unlock, n_lock;

			memset(&in, 0, sizeof(in));
			switch (pick(8)) {	/* time: often none, sometimes a lot */
			case 0:
			case 1:
				break;
			case 2:
				now += 1;
				break;
			case 4:	/* a clock that steps back: taken as the latest */
				now -= pick(500);
				break;
			case 3: {
				uint64_t dl = pt_door_next_deadline(&d);
				if (dl != NO && dl > now)
					now = dl;
				break;
			}
			default:
				now += pick(4000);
				break;
			}
			in.now_ms = now;
			switch (pick(20)) {
			case 0:
			case 1:
			case 2:
				in.type = PT_DOOR_IN_GRANT;
				memset(in.grant.session, (int)pick(256), PT_DOOR_SESSION_LEN);
				in.grant.purpose = (uint8_t)(1 + pick(4));
				in.grant.door_open_max_s = pick(3) == 0 ? 1 + pick(5) : 0;
				in.grant.alarm_bypassed = pick(2) != 0;
				break;
			case 3:
			case 4:
			case 5:
			case 6:
				in.type = PT_DOOR_IN_CONTACT;
				in.open = pick(2) != 0;
				break;
			case 7:
			case 8:
			case 9:
			case 10:
				in.type = PT_DOOR_IN_BOLT;
				in.locked = pick(2) != 0;
				break;
			case 11:
			case 12:
				in.type = PT_DOOR_IN_MOTION;
				in.zone = (uint8_t)(1 + pick(2));
				break;
			case 13:
				in.type = PT_DOOR_IN_LOCK_FAILED;
				break;
			case 14:
				in.type = PT_DOOR_IN_LOCK_REQUEST;
				break;
			case 15:	/* something invalid */
				valid = false;
				switch (pick(3)) {
				case 0:
					in.type = (uint8_t)(8 + pick(248));
					break;
				case 1:
					in.type = PT_DOOR_IN_MOTION;
					in.zone = (uint8_t)(3 + pick(250));
					break;
				default:
					in.type = PT_DOOR_IN_GRANT;
					in.grant.purpose = (uint8_t)(5 + pick(200));
					break;
				}
				break;
			default:
				in.type = PT_DOOR_IN_TICK;
				break;
			}

			/* Where the machine stands when the input applies:
			 * a tick at the same time runs the same advance. */
			prev_state = d.state;
			if (d.state < PT_DOOR_STATE_COUNT_ && in.type < 9)
				visits[d.state][in.type]++;
			probe = d;
			pin = in;
			pin.type = PT_DOOR_IN_TICK;
			if (pt_door_step(&probe, &pin, &pout) != PT_OK)
				inv_fail(INV_RC, seq, stepno, "a tick failed");
			pre_state = probe.state;
			pre_open = probe.door_open;

			probe = d;
			rc = pt_door_step(&d, &in, &out);
			steps++;

			if (!valid) {
				if (rc != PT_EINVAL || memcmp(&probe, &d, sizeof(d)) != 0 ||
				    out.n_events || out.n_actions || out.n_alerts)
					inv_fail(INV_RC, seq, stepno,
						 "invalid input type %u: rc %d or a change", in.type,
						 rc);
				continue;
			}
			if (rc != PT_OK && rc != PT_EDOOR)
				inv_fail(INV_RC, seq, stepno, "rc %d for input %u", rc, in.type);
			if (rc == PT_EDOOR && in.type != PT_DOOR_IN_GRANT &&
			    in.type != PT_DOOR_IN_LOCK_REQUEST)
				inv_fail(INV_RC, seq, stepno, "EDOOR for input %u", in.type);

			if (d.state < PT_DOOR_SECURED || d.state >= PT_DOOR_STATE_COUNT_ ||
			    !state_consistent(&d))
				inv_fail(INV_STATE, seq, stepno, "state %d open %d bolt %d session %d",
					 d.state, d.door_open, d.bolt_locked, d.in_session);

			n_unlock = count_act(&out, PT_DOOR_ACT_UNLOCK);
			n_lock = count_act(&out, PT_DOOR_ACT_LOCK);
			unlocks += n_unlock;
			if (n_unlock > 0 && !(in.type == PT_DOOR_IN_GRANT && rc == PT_OK))
				inv_fail(INV_UNLOCK_ONLY_GRANT, seq, stepno,
					 "UNLOCK for input %u rc %d in %s", in.type, rc,
					 pt_door_state_name(prev_state));
			if (in.type == PT_DOOR_IN_GRANT && rc == PT_OK) {
				grants_taken++;
				if (n_unlock != 1)
					inv_fail(INV_UNLOCK_ONCE, seq, stepno, "%d UNLOCKs", n_unlock);
			}
			if (in.type == PT_DOOR_IN_GRANT &&
			    (rc == PT_OK) != (pre_state == PT_DOOR_SECURED))
				inv_fail(INV_GRANT_SECURED, seq, stepno, "rc %d in %s", rc,
					 pt_door_state_name(pre_state));

			opening = in.type == PT_DOOR_IN_CONTACT && in.open && !pre_open;
			if (opening) {
				bool flagged = count_ev(&out, PT_DOOR_EV_INTRUSION) +
						       count_ev(&out, PT_DOOR_EV_FORCED) >
					       0;
				bool grants_one = pre_state == PT_DOOR_UNLOCKING ||
						  pre_state == PT_DOOR_UNLOCKED;

				if (!grants_one && !flagged)
					inv_fail(INV_OPENING, seq, stepno, "unflagged opening in %s",
						 pt_door_state_name(pre_state));
				if (grants_one && flagged)
					inv_fail(INV_LEGIT_OPENING, seq, stepno,
						 "flagged opening in %s",
						 pt_door_state_name(pre_state));
				openings_flagged += flagged;
				held_this_opening = 0;
			}
			if (n_lock > 0 && d.door_open && !opening)
				inv_fail(INV_LOCK_CLOSED, seq, stepno, "LOCK with the door open");
			if (n_lock != count_ev(&out, PT_DOOR_EV_LOCK_LOCKING))
				inv_fail(INV_LOCK_CLOSED, seq, stepno, "LOCK without lock.locking");

			if (out.overflow || out.n_actions > 1 || out.n_events > 5 ||
			    out.n_alerts > 2)
				inv_fail(INV_BOUNDS, seq, stepno, "%u actions %u events %u alerts",
					 out.n_actions, out.n_events, out.n_alerts);
			if (out.n_actions > max_act)
				max_act = out.n_actions;
			if (out.n_events > max_ev)
				max_ev = out.n_events;
			if (out.n_alerts > max_al)
				max_al = out.n_alerts;

			if (out.deadline_ms != pt_door_next_deadline(&d) ||
			    (out.deadline_ms != NO && out.deadline_ms <= d.last_ms))
				inv_fail(INV_DEADLINE, seq, stepno, "deadline %" PRIu64 " now %" PRIu64,
					 out.deadline_ms, d.last_ms);
			if (out.deadline_ms != NO && out.deadline_ms > d.last_ms + 1) {
				probe = d;
				pin.type = PT_DOOR_IN_TICK;
				pin.now_ms = out.deadline_ms - 1;
				if (pt_door_step(&probe, &pin, &pout) != PT_OK)
					inv_fail(INV_RC, seq, stepno, "a tick failed");
				if (pout.n_events || pout.n_actions || pout.n_alerts ||
				    probe.state != d.state)
					inv_fail(INV_DEADLINE_EXACT, seq, stepno, "tick at %" PRIu64
						 " did %s", pin.now_ms, evs(&pout));
			}

			for (i = 0; i < out.n_events; i++) {
				if (out.events[i].type == PT_DOOR_EV_SESSION_START) {
					if (open_sessions != 0)
						inv_fail(INV_SESSIONS, seq, stepno, "start in a session");
					open_sessions = 1;
				} else if (out.events[i].type == PT_DOOR_EV_SESSION_END) {
					if (open_sessions != 1)
						inv_fail(INV_SESSIONS, seq, stepno, "end without start");
					open_sessions = 0;
				} else if (out.events[i].type == PT_DOOR_EV_HELD_OPEN) {
					if (++held_this_opening > 1)
						inv_fail(INV_HELD_ONCE, seq, stepno, "two held-open");
				}
			}
			if (open_sessions != (d.in_session ? 1 : 0))
				inv_fail(INV_SESSIONS, seq, stepno, "session flag disagrees");
		}
	}
	for (i = 0; i < INV_COUNT; i++) {
		if (!T_OK(invs[i].fails == 0, "random: %s", invs[i].name))
			printf("#   %ld failures, first: %s\n", invs[i].fails, invs[i].first);
	}
	T_OK(grants_taken > 1000 && openings_flagged > 1000 && unlocks == grants_taken,
	     "random: %ld sequences, %ld steps, %ld grants taken, %ld UNLOCKs, %ld flagged "
	     "openings",
	     n_seq, steps, grants_taken, unlocks, openings_flagged);
	printf("# most per call: %d actions, %d events, %d alerts\n", max_act, max_ev, max_al);
	{
		bool all = true;
		int st, ty;

		for (st = PT_DOOR_SECURED; st < PT_DOOR_STATE_COUNT_; st++)
			for (ty = PT_DOOR_IN_TICK; ty <= PT_DOOR_IN_LOCK_REQUEST; ty++)
				if (visits[st][ty] < 100) {
					all = false;
					printf("# only %ld x %s + input %d\n", visits[st][ty],
					       pt_door_state_name(st), ty);
				}
		T_OK(all, "random: every state met every kind of input at least 100 times");
	}
}

int
main(void)
{
	test_names();
	test_cfg();
	test_init();
	test_bad_inputs();
	test_table();
	test_courier();
	test_not_opened();
	test_held_open();
	test_second_opening();
	test_after_session();
	test_forced();
	test_jam();
	test_refused_grants();
	test_timers_edge();
	test_random();
	return t_done();
}
