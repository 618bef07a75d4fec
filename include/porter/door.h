/*
 * porter/door.h: the door and session state machine of porter-hub
 * (docs/door.md has the state table, the diagram and the reasons).
 *
 * porter-hub feeds it what happens at the door, one input per call: a
 * granted entry, the door contact, the bolt's reported state, motion in a
 * zone, a lock driver failure, an owner's request to lock, and the
 * passage of time. Each call answers, in a struct pt_door_out, what to do
 * (LOCK, UNLOCK, in order), what happened (events, for the hash-chained
 * log and porterd), what needs a person (alerts) and when to call again
 * (the next deadline). The machine moves nothing itself.
 *
 * Invariant (the reason the machine exists): it outputs UNLOCK only in the
 * call that takes a grant, at most once per grant, and only when it takes
 * the grant (PT_OK), which it does only when the door is closed, the bolt
 * is thrown and no session is running. Nothing else (no report, no timer,
 * no failure) ever makes it unlock. LOCK is only ever asked for with the
 * door closed.
 *
 * Pure: no allocation, no I/O, no clock, no globals. Time comes in every
 * input as monotonic milliseconds (the same clock throughout; a value
 * smaller than the previous one is taken as the previous one). The caller
 * owns struct pt_door and every input and output; one struct pt_door is
 * one door, to be driven from one thread at a time (or under a lock).
 * Distinct doors are independent.
 */
#ifndef PORTER_DOOR_H
#define PORTER_DOOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "porter/cred.h"
#include "porter/err.h"

#define PT_DOOR_SESSION_LEN PT_CTI_LEN	/* a session id: the token id */
#define PT_DOOR_ACTIONS_MAX 2		/* per call (at most 1 is ever used) */
#define PT_DOOR_EVENTS_MAX 8		/* per call (at most 5 are ever used) */
#define PT_DOOR_ALERTS_MAX 4		/* per call (at most 2 are ever used) */
#define PT_DOOR_NO_DEADLINE UINT64_MAX	/* nothing to wait for */

/* Bounds of the configuration (pt_door_cfg_check), milliseconds. */
#define PT_DOOR_TIMER_MAX_MS 3600000u		/* open timeout, relock, quiet */
#define PT_DOOR_HELD_MAX_MS (PT_DOOR_OPEN_MAX * 1000u)	/* a day */
#define PT_DOOR_WINDOW_MAX_MS 86400000u		/* intrusion window */
#define PT_DOOR_LOCK_TIMEOUT_MAX_MS 600000u	/* backstop for the driver */

/* States. Zero is not a state: a zeroed struct pt_door is refused. */
enum pt_door_state {
	PT_DOOR_SECURED = 1,	/* no session; door closed; bolt thrown */
	PT_DOOR_UNLOCKING = 2,	/* session; UNLOCK sent; waiting for the bolt */
	PT_DOOR_UNLOCKED = 3,	/* session; bolt drawn; waiting for the door to open */
	PT_DOOR_OPEN = 4,	/* session; the door stands open */
	PT_DOOR_CLOSED = 5,	/* session; shut after opening; relock delay */
	PT_DOOR_LOCKING = 6,	/* LOCK sent; waiting for the bolt (session or not) */
	PT_DOOR_UNSECURED = 7,	/* no session; door open or bolt drawn */
	PT_DOOR_JAMMED = 8,	/* no session; the lock failed to move */
	PT_DOOR_STATE_COUNT_ = 9
};

enum pt_door_zone {
	PT_DOOR_ZONE_ENTRY = 1,		/* the alarm's entry zone, by the door */
	PT_DOOR_ZONE_INTERIOR = 2,
};

/* Inputs. */
enum pt_door_input_type {
	PT_DOOR_IN_TICK = 1,		/* time passes (call at the deadline) */
	PT_DOOR_IN_GRANT = 2,		/* pt_decide granted: in.grant */
	PT_DOOR_IN_CONTACT = 3,		/* the door contact: in.open */
	PT_DOOR_IN_BOLT = 4,		/* the lock reports its bolt: in.locked */
	PT_DOOR_IN_MOTION = 5,		/* motion in in.zone */
	PT_DOOR_IN_LOCK_FAILED = 6,	/* driver: the lock did not move in time */
	PT_DOOR_IN_LOCK_REQUEST = 7,	/* lock now (owner's remote lock, retry) */
};

/* A granted entry, from struct pt_decision and the alarm layer. */
struct pt_door_grant {
	uint8_t session[PT_DOOR_SESSION_LEN];	/* e.g. the token id charged */
	uint8_t purpose;			/* enum pt_purpose */
	uint32_t door_open_max_s;		/* 0..PT_DOOR_OPEN_MAX; 0: cfg default */
	bool alarm_bypassed;			/* the entry zone was bypassed for it */
};

struct pt_door_input {
	uint8_t type;		/* enum pt_door_input_type */
	uint64_t now_ms;	/* monotonic */
	struct pt_door_grant grant;	/* GRANT */
	bool open;		/* CONTACT: true open, false closed */
	bool locked;		/* BOLT: true thrown, false drawn */
	uint8_t zone;		/* MOTION: enum pt_door_zone */
};

/* Actions, to carry out in order. */
enum pt_door_action {
	PT_DOOR_ACT_LOCK = 1,
	PT_DOOR_ACT_UNLOCK = 2,
};

/* Events; pt_door_event_name() gives their stable names. */
enum pt_door_event_type {
	PT_DOOR_EV_SESSION_START = 1,	/* "session.start" */
	PT_DOOR_EV_LOCK_UNLOCKING = 2,	/* "lock.unlocking": UNLOCK sent */
	PT_DOOR_EV_LOCK_UNLOCKED = 3,	/* "lock.unlocked" */
	PT_DOOR_EV_DOOR_OPENED = 4,	/* "door.opened" */
	PT_DOOR_EV_DOOR_CLOSED = 5,	/* "door.closed" */
	PT_DOOR_EV_LOCK_LOCKING = 6,	/* "lock.locking": LOCK sent */
	PT_DOOR_EV_LOCK_LOCKED = 7,	/* "lock.locked" */
	PT_DOOR_EV_SESSION_END = 8,	/* "session.end"; why says why */
	PT_DOOR_EV_HELD_OPEN = 9,	/* "door.held-open" (raised once per opening) */
	PT_DOOR_EV_SECOND_OPENING = 10,	/* "door.second-opening" */
	PT_DOOR_EV_INTRUSION = 11,	/* "intrusion"; why says what */
	PT_DOOR_EV_FORCED = 12,		/* "door.forced": opened with the bolt thrown */
	PT_DOOR_EV_LOCK_JAMMED = 13,	/* "lock.jammed" */
	PT_DOOR_EV_BYPASS_END = 14,	/* "alarm.bypass-end": re-arm the entry zone */
	PT_DOOR_EV_COUNT_ = 15
};

/* Why, for the events that say (pt_door_why_name(): stable names). */
enum pt_door_why {
	PT_DOOR_WHY_NONE = 0,			/* "" */
	/* session.end */
	PT_DOOR_WHY_CLOSED_LOCKED = 1,		/* "closed-and-locked" */
	PT_DOOR_WHY_NOT_OPENED = 2,		/* "not-opened-in-time" (also lock.locking) */
	PT_DOOR_WHY_LOCK_FAILED = 3,		/* "lock-failed" (also lock.jammed) */
	PT_DOOR_WHY_LOCK_REQUEST = 4,		/* "lock-request" (also lock.locking) */
	/* intrusion */
	PT_DOOR_WHY_SECOND_OPENING = 5,		/* "second-opening": reopened in the session */
	PT_DOOR_WHY_LATE_OPENING = 6,		/* "late-opening": after the open timeout */
	PT_DOOR_WHY_NO_SESSION = 7,		/* "opening-without-session" (bolt drawn) */
	PT_DOOR_WHY_MOTION_ENTRY = 8,		/* "motion-entry" */
	PT_DOOR_WHY_MOTION_INTERIOR = 9,	/* "motion-interior" */
	/* lock.locking */
	PT_DOOR_WHY_RELOCK = 10,		/* "relock": shut (or drawn) for the delay */
	PT_DOOR_WHY_RETRY = 11,			/* "retry": jammed, the door shut again */
	/* lock.jammed */
	PT_DOOR_WHY_UNLOCK_FAILED = 12,		/* "unlock-failed" */
	/* lock.unlocked, lock.locked */
	PT_DOOR_WHY_UNCOMMANDED = 13,		/* "uncommanded": no command was pending
						 * (a key, a thumb-turn, the lock itself) */
	PT_DOOR_WHY_INFERRED = 14,		/* "inferred": the door opened while
						 * unlocking, before the report */
	/* door.closed */
	PT_DOOR_WHY_WAS_HELD_OPEN = 15,		/* "held-open": it had been held open */
	PT_DOOR_WHY_COUNT_ = 16
};

struct pt_door_event {
	uint8_t type;		/* enum pt_door_event_type */
	uint8_t why;		/* enum pt_door_why */
	bool has_session;	/* false: session is all zero */
	uint8_t session[PT_DOOR_SESSION_LEN];
	uint64_t at_ms;		/* monotonic: when the machine saw it */
	uint64_t ms;		/* a duration, else 0: door.closed how long it
				 * stood open; door.held-open the limit;
				 * lock.locked, lock.unlocked (commanded) and
				 * lock.jammed the time since the command */
};

/* Alerts: events that need a person. Names match porterd's alert types. */
enum pt_door_alert_type {
	PT_DOOR_AL_HELD_OPEN = 1,	/* "door-held-open" */
	PT_DOOR_AL_INTRUSION = 2,	/* "intrusion" */
	PT_DOOR_AL_FORCED = 3,		/* "door-forced" */
	PT_DOOR_AL_JAMMED = 4,		/* "lock-jammed" */
	PT_DOOR_AL_COUNT_ = 5
};

struct pt_door_alert {
	uint8_t type;		/* enum pt_door_alert_type */
	bool has_session;
	uint8_t session[PT_DOOR_SESSION_LEN];
	uint64_t at_ms;
};

/* What one call produced. Every call zeroes it first. */
struct pt_door_out {
	uint8_t n_actions;
	uint8_t actions[PT_DOOR_ACTIONS_MAX];	/* enum pt_door_action */
	uint8_t n_events;
	struct pt_door_event events[PT_DOOR_EVENTS_MAX];
	uint8_t n_alerts;
	struct pt_door_alert alerts[PT_DOOR_ALERTS_MAX];
	uint64_t deadline_ms;	/* call again with a TICK at (or after) this
				 * time; PT_DOOR_NO_DEADLINE: nothing pending */
	bool overflow;		/* never set (the bounds above are proven in
				 * docs/door.md and tested); if ever set,
				 * something was dropped: treat as a bug */
};

/*
 * Timers, milliseconds (pt_door_cfg_default gives the values in
 * brackets; pt_door_cfg_check the ranges).
 */
struct pt_door_cfg {
	uint32_t open_timeout_ms;	/* [20000] 1..TIMER_MAX: relock if the
					 * door is not opened this long after the
					 * bolt reports drawn */
	uint32_t relock_delay_ms;	/* [2000] 0..TIMER_MAX: relock this long
					 * after the door shuts (0: at once) */
	uint32_t held_open_ms;		/* [60000] 1..HELD_MAX: alert when the door
					 * stands open longer, unless the grant
					 * carries its own limit */
	uint32_t intrusion_window_ms;	/* [300000] 0..WINDOW_MAX: motion this long
					 * after a watched session ends is an
					 * intrusion */
	uint32_t bypass_quiet_ms;	/* [30000] 0..TIMER_MAX: the entry zone must
					 * be quiet this long, with the door shut and
					 * locked, before the alarm bypass ends */
	uint32_t lock_timeout_ms;	/* [15000] 1..LOCK_TIMEOUT_MAX: a LOCK or
					 * UNLOCK not confirmed by then failed (a
					 * backstop: drivers report their own) */
	uint32_t watch_purposes;	/* [1 << PT_PURPOSE_DELIVERY] bit 1 << purpose
					 * for each purpose whose holder leaves
					 * before the door shuts: motion after the
					 * shut is an intrusion. Bits 1..4 only. */
};

/* The machine. Caller-provided storage: the fields are private. */
struct pt_door {
	struct pt_door_cfg cfg;
	uint8_t state;			/* enum pt_door_state */
	bool door_open;			/* as last reported */
	bool bolt_locked;		/* as last reported (or inferred) */
	uint64_t last_ms;		/* latest time seen */

	bool in_session;
	uint8_t session[PT_DOOR_SESSION_LEN];
	uint8_t purpose;
	uint32_t held_limit_ms;		/* this session's door-open limit */
	uint8_t openings;		/* openings in this session (saturates) */
	uint8_t end_why;		/* why the session will end when locked */

	uint64_t timer_ms;		/* the state's timer; NO_DEADLINE if none */
	uint8_t cmd;			/* the command awaiting its report: enum
					 * pt_door_action, 0 none (says whether a
					 * report was commanded) */
	uint64_t cmd_ms;		/* when it was sent */
	uint8_t locking_why;		/* why the pending LOCK was sent */

	uint64_t opened_ms;		/* when the door last opened */
	bool held_alerted;		/* door.held-open raised for this opening */

	bool watch;			/* motion watch armed */
	bool watch_alerted;		/* its intrusion alert raised */
	uint64_t watch_until_ms;	/* after the session: end of the window */
	uint8_t watch_session[PT_DOOR_SESSION_LEN];

	bool bypass;			/* the alarm's entry zone is bypassed */
	bool quiet_running;		/* shut, locked, no session: counting */
	uint64_t quiet_since_ms;	/* start of the quiet count */
	uint8_t bypass_session[PT_DOOR_SESSION_LEN];
};

/* The defaults above. */
void pt_door_cfg_default(struct pt_door_cfg *cfg);

/* PT_OK, or PT_EINVAL for a value out of its range. */
int pt_door_cfg_check(const struct pt_door_cfg *cfg) PT_MUST_CHECK;

/*
 * Start a machine from what the drivers report now (the caller waits for
 * the door contact and the bolt before calling). Closed and thrown:
 * SECURED; anything else: UNSECURED, and a door that is closed with the
 * bolt drawn is relocked cfg->relock_delay_ms from now (the first TICK at
 * pt_door_next_deadline() sends LOCK). No session, no watch, no bypass.
 * PT_OK, or PT_EINVAL (bad cfg; *d is zeroed).
 */
int pt_door_init(struct pt_door *d, const struct pt_door_cfg *cfg, bool door_open,
		 bool bolt_locked, uint64_t now_ms) PT_MUST_CHECK;

/*
 * Take one input. First time advances to in->now_ms (timers that are due
 * fire, in order), then the input applies, then timers due at once (zero
 * delays) fire. *out is zeroed, then filled; out->deadline_ms is always
 * set. Returns
 *   PT_OK      the input was taken;
 *   PT_EDOOR   a GRANT refused because the machine is not SECURED (door
 *              open, bolt drawn, a session running, the lock jammed), or a
 *              LOCK_REQUEST with the door open (it locks when it shuts):
 *              nothing but the passage of time changed, *out says what
 *              that did (no UNLOCK, ever);
 *   PT_EINVAL  a zeroed or corrupt machine, an unknown input type or zone,
 *              a grant with an unknown purpose or a limit over
 *              PT_DOOR_OPEN_MAX: nothing changed, *out zeroed except the
 *              deadline (PT_DOOR_NO_DEADLINE for a corrupt machine).
 * Reports equal to what the machine already knows (door still closed,
 * bolt still drawn) change nothing and emit nothing, with one exception:
 * with the door shut, a "thrown" report completes a pending LOCK and
 * secures a door that has shut since the bolt was last confirmed, even if
 * the bolt was already reported thrown (only a report after the shut
 * counts).
 */
int pt_door_step(struct pt_door *d, const struct pt_door_input *in,
		 struct pt_door_out *out) PT_MUST_CHECK;

/* Current state (enum pt_door_state); 0 for a zeroed machine. */
int pt_door_state(const struct pt_door *d);

/* When to TICK next; PT_DOOR_NO_DEADLINE if nothing is pending. */
uint64_t pt_door_next_deadline(const struct pt_door *d);

/* Stable names; never NULL ("unknown" for values out of range). */
const char *pt_door_state_name(int state);
const char *pt_door_event_name(int type);
const char *pt_door_why_name(int why);
const char *pt_door_alert_name(int type);
const char *pt_door_action_name(int action);

#endif
