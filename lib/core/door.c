/*
 * The door and session state machine (porter/door.h, docs/door.md).
 *
 * One call: advance time (fire what is due), apply the input, fire what
 * became due at once (zero delays). The state says what the session is
 * doing; door_open and bolt_locked say what the drivers last reported;
 * the held-open timer, the motion watch and the alarm bypass run beside
 * the state.
 */
#include "porter/door.h"

#include <string.h>

#define WATCH_PURPOSES_KNOWN                                                          \
	((1u << PT_PURPOSE_RESIDENT) | (1u << PT_PURPOSE_GUEST) | (1u << PT_PURPOSE_SERVICE) | \
	 (1u << PT_PURPOSE_DELIVERY))

/* The advance loop fires at most a few things per call (docs/door.md). */
#define ADVANCE_ROUNDS 8

_Static_assert(PT_DOOR_OPEN_MAX * 1000u == PT_DOOR_HELD_MAX_MS, "held-open bound");
_Static_assert((uint64_t)PT_DOOR_OPEN_MAX * 1000u <= UINT32_MAX, "limit fits in ms");
_Static_assert(PT_DOOR_STATE_COUNT_ < 256 && PT_DOOR_EV_COUNT_ < 256 && PT_DOOR_WHY_COUNT_ < 256,
	       "one byte each");
_Static_assert(PT_DOOR_EVENTS_MAX < 256 && PT_DOOR_ALERTS_MAX < 256 && PT_DOOR_ACTIONS_MAX < 256,
	       "counts are bytes");

static const char *const state_names[PT_DOOR_STATE_COUNT_] = {
	[PT_DOOR_SECURED] = "secured",
	[PT_DOOR_UNLOCKING] = "unlocking",
	[PT_DOOR_UNLOCKED] = "unlocked",
	[PT_DOOR_OPEN] = "open",
	[PT_DOOR_CLOSED] = "closed",
	[PT_DOOR_LOCKING] = "locking",
	[PT_DOOR_UNSECURED] = "unsecured",
	[PT_DOOR_JAMMED] = "jammed",
};

static const char *const event_names[PT_DOOR_EV_COUNT_] = {
	[PT_DOOR_EV_SESSION_START] = "session.start",
	[PT_DOOR_EV_LOCK_UNLOCKING] = "lock.unlocking",
	[PT_DOOR_EV_LOCK_UNLOCKED] = "lock.unlocked",
	[PT_DOOR_EV_DOOR_OPENED] = "door.opened",
	[PT_DOOR_EV_DOOR_CLOSED] = "door.closed",
	[PT_DOOR_EV_LOCK_LOCKING] = "lock.locking",
	[PT_DOOR_EV_LOCK_LOCKED] = "lock.locked",
	[PT_DOOR_EV_SESSION_END] = "session.end",
	[PT_DOOR_EV_HELD_OPEN] = "door.held-open",
	[PT_DOOR_EV_SECOND_OPENING] = "door.second-opening",
	[PT_DOOR_EV_INTRUSION] = "intrusion",
	[PT_DOOR_EV_FORCED] = "door.forced",
	[PT_DOOR_EV_LOCK_JAMMED] = "lock.jammed",
	[PT_DOOR_EV_BYPASS_END] = "alarm.bypass-end",
};

static const char *const why_names[PT_DOOR_WHY_COUNT_] = {
	[PT_DOOR_WHY_NONE] = "",
	[PT_DOOR_WHY_CLOSED_LOCKED] = "closed-and-locked",
	[PT_DOOR_WHY_NOT_OPENED] = "not-opened-in-time",
	[PT_DOOR_WHY_LOCK_FAILED] = "lock-failed",
	[PT_DOOR_WHY_LOCK_REQUEST] = "lock-request",
	[PT_DOOR_WHY_SECOND_OPENING] = "second-opening",
	[PT_DOOR_WHY_LATE_OPENING] = "late-opening",
	[PT_DOOR_WHY_NO_SESSION] = "opening-without-session",
	[PT_DOOR_WHY_MOTION_ENTRY] = "motion-entry",
	[PT_DOOR_WHY_MOTION_INTERIOR] = "motion-interior",
	[PT_DOOR_WHY_RELOCK] = "relock",
	[PT_DOOR_WHY_RETRY] = "retry",
	[PT_DOOR_WHY_UNLOCK_FAILED] = "unlock-failed",
	[PT_DOOR_WHY_UNCOMMANDED] = "uncommanded",
	[PT_DOOR_WHY_INFERRED] = "inferred",
	[PT_DOOR_WHY_WAS_HELD_OPEN] = "held-open",
};

static const char *const alert_names[PT_DOOR_AL_COUNT_] = {
	[PT_DOOR_AL_HELD_OPEN] = "door-held-open",
	[PT_DOOR_AL_INTRUSION] = "intrusion",
	[PT_DOOR_AL_FORCED] = "door-forced",
	[PT_DOOR_AL_JAMMED] = "lock-jammed",
};

static const char *
name_of(const char *const *table, int n, int v)
{
	if (v < 0 || v >= n || table[v] == NULL)
		return "unknown";
	return table[v];
}

const char *
pt_door_state_name(int state)
{
	return name_of(state_names, PT_DOOR_STATE_COUNT_, state);
}

const char *
pt_door_event_name(int type)
{
	return name_of(event_names, PT_DOOR_EV_COUNT_, type);
}

const char *
pt_door_why_name(int why)
{
	return name_of(why_names, PT_DOOR_WHY_COUNT_, why);
}

const char *
pt_door_alert_name(int type)
{
	return name_of(alert_names, PT_DOOR_AL_COUNT_, type);
}

const char *
pt_door_action_name(int action)
{
	switch (action) {
	case PT_DOOR_ACT_LOCK:
		return "lock";
	case PT_DOOR_ACT_UNLOCK:
		return "unlock";
	default:
		return "unknown";
	}
}

/* ---- configuration ---- */

void
pt_door_cfg_default(struct pt_door_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->open_timeout_ms = 20000;
	cfg->relock_delay_ms = 2000;
	cfg->held_open_ms = 60000;
	cfg->intrusion_window_ms = 300000;
	cfg->bypass_quiet_ms = 30000;
	cfg->lock_timeout_ms = 15000;
	cfg->watch_purposes = 1u << PT_PURPOSE_DELIVERY;
}

int
pt_door_cfg_check(const struct pt_door_cfg *cfg)
{
	if (cfg == NULL)
		return PT_EINVAL;
	if (cfg->open_timeout_ms < 1 || cfg->open_timeout_ms > PT_DOOR_TIMER_MAX_MS)
		return PT_EINVAL;
	if (cfg->relock_delay_ms > PT_DOOR_TIMER_MAX_MS)
		return PT_EINVAL;
	if (cfg->held_open_ms < 1 || cfg->held_open_ms > PT_DOOR_HELD_MAX_MS)
		return PT_EINVAL;
	if (cfg->intrusion_window_ms > PT_DOOR_WINDOW_MAX_MS)
		return PT_EINVAL;
	if (cfg->bypass_quiet_ms > PT_DOOR_TIMER_MAX_MS)
		return PT_EINVAL;
	if (cfg->lock_timeout_ms < 1 || cfg->lock_timeout_ms > PT_DOOR_LOCK_TIMEOUT_MAX_MS)
		return PT_EINVAL;
	if ((cfg->watch_purposes & ~WATCH_PURPOSES_KNOWN) != 0)
		return PT_EINVAL;
	return PT_OK;
}

/* ---- outputs ---- */

static uint64_t
after(uint64_t now, uint32_t ms)
{
	return now > PT_DOOR_NO_DEADLINE - 1 - ms ? PT_DOOR_NO_DEADLINE - 1 : now + ms;
}

static void
act(struct pt_door_out *out, uint8_t action)
{
	if (out->n_actions >= PT_DOOR_ACTIONS_MAX) {
		out->overflow = true;
		return;
	}
	out->actions[out->n_actions++] = action;
}

/* An event about the session sid (NULL: none). */
static void
emit_sid(struct pt_door_out *out, uint64_t now, uint8_t type, uint8_t why, uint64_t ms,
	 const uint8_t *sid)
{
	struct pt_door_event *e;

	if (out->n_events >= PT_DOOR_EVENTS_MAX) {
		out->overflow = true;
		return;
	}
	e = &out->events[out->n_events++];
	e->type = type;
	e->why = why;
	e->at_ms = now;
	e->ms = ms;
	e->has_session = sid != NULL;
	if (sid != NULL)
		memcpy(e->session, sid, PT_DOOR_SESSION_LEN);
}

/* An event about the running session, if any. */
static void
emit(const struct pt_door *d, struct pt_door_out *out, uint64_t now, uint8_t type, uint8_t why,
     uint64_t ms)
{
	emit_sid(out, now, type, why, ms, d->in_session ? d->session : NULL);
}

static void
alert_sid(struct pt_door_out *out, uint64_t now, uint8_t type, const uint8_t *sid)
{
	struct pt_door_alert *a;

	if (out->n_alerts >= PT_DOOR_ALERTS_MAX) {
		out->overflow = true;
		return;
	}
	a = &out->alerts[out->n_alerts++];
	a->type = type;
	a->at_ms = now;
	a->has_session = sid != NULL;
	if (sid != NULL)
		memcpy(a->session, sid, PT_DOOR_SESSION_LEN);
}

static void
alert(const struct pt_door *d, struct pt_door_out *out, uint64_t now, uint8_t type)
{
	alert_sid(out, now, type, d->in_session ? d->session : NULL);
}

/* ---- transitions shared by several states ---- */

static uint32_t
held_limit(const struct pt_door *d)
{
	return d->in_session ? d->held_limit_ms : d->cfg.held_open_ms;
}

static bool
purpose_is_watched(const struct pt_door *d)
{
	return d->purpose <= 31 && (d->cfg.watch_purposes & (1u << d->purpose)) != 0;
}

/* The session ends: its event, then the motion watch's window starts. */
static void
end_session(struct pt_door *d, struct pt_door_out *out, uint64_t now, uint8_t why)
{
	emit(d, out, now, PT_DOOR_EV_SESSION_END, why, 0);
	if (d->watch && d->watch_until_ms == PT_DOOR_NO_DEADLINE)
		d->watch_until_ms = after(now, d->cfg.intrusion_window_ms);
	d->in_session = false;
	memset(d->session, 0, sizeof(d->session));
	d->purpose = 0;
	d->held_limit_ms = 0;
	d->openings = 0;
	d->end_why = PT_DOOR_WHY_NONE;
}

/* Send LOCK. Only ever called with the door closed. */
static void
send_lock(struct pt_door *d, struct pt_door_out *out, uint64_t now, uint8_t why)
{
	if (d->door_open)	/* never reached: callers check; fail safe anyway */
		return;
	act(out, PT_DOOR_ACT_LOCK);
	emit(d, out, now, PT_DOOR_EV_LOCK_LOCKING, why, 0);
	d->state = PT_DOOR_LOCKING;
	d->cmd = PT_DOOR_ACT_LOCK;
	d->cmd_ms = now;
	d->locking_why = why;
	d->timer_ms = after(now, d->cfg.lock_timeout_ms);
}

/* The bolt is thrown and the door shut: the session (if any) is over. */
static void
secured(struct pt_door *d, struct pt_door_out *out, uint64_t now)
{
	if (d->in_session)
		end_session(d, out, now, d->end_why != PT_DOOR_WHY_NONE ? d->end_why
									 : PT_DOOR_WHY_CLOSED_LOCKED);
	d->state = PT_DOOR_SECURED;
	d->timer_ms = PT_DOOR_NO_DEADLINE;
}

/* The pending UNLOCK failed (driver report or timeout). The bolt was last
 * reported thrown and the door has not opened: back to SECURED. */
static void
unlock_failed(struct pt_door *d, struct pt_door_out *out, uint64_t now)
{
	emit(d, out, now, PT_DOOR_EV_LOCK_JAMMED, PT_DOOR_WHY_UNLOCK_FAILED, now - d->cmd_ms);
	alert(d, out, now, PT_DOOR_AL_JAMMED);
	d->cmd = 0;
	end_session(d, out, now, PT_DOOR_WHY_LOCK_FAILED);
	d->state = PT_DOOR_SECURED;
	d->timer_ms = PT_DOOR_NO_DEADLINE;
}

/* The pending LOCK failed (driver report or timeout). */
static void
lock_failed(struct pt_door *d, struct pt_door_out *out, uint64_t now)
{
	emit(d, out, now, PT_DOOR_EV_LOCK_JAMMED, PT_DOOR_WHY_LOCK_FAILED, now - d->cmd_ms);
	alert(d, out, now, PT_DOOR_AL_JAMMED);
	d->cmd = 0;
	if (d->in_session)
		end_session(d, out, now, PT_DOOR_WHY_LOCK_FAILED);
	d->state = PT_DOOR_JAMMED;
	d->timer_ms = PT_DOOR_NO_DEADLINE;
}

/* The state's own timer fired. */
static void
on_timer(struct pt_door *d, struct pt_door_out *out, uint64_t now)
{
	d->timer_ms = PT_DOOR_NO_DEADLINE;
	switch (d->state) {
	case PT_DOOR_UNLOCKING:
		unlock_failed(d, out, now);
		break;
	case PT_DOOR_UNLOCKED:
		d->end_why = PT_DOOR_WHY_NOT_OPENED;
		send_lock(d, out, now, PT_DOOR_WHY_NOT_OPENED);
		break;
	case PT_DOOR_CLOSED:
		send_lock(d, out, now, PT_DOOR_WHY_RELOCK);
		break;
	case PT_DOOR_LOCKING:
		lock_failed(d, out, now);
		break;
	case PT_DOOR_UNSECURED:
		send_lock(d, out, now, PT_DOOR_WHY_RELOCK);
		break;
	default:
		break;
	}
}

/* The alarm bypass may end once the door is shut, nobody is in a session,
 * and the bolt is thrown (SECURED) or cannot be (JAMMED: re-arming the
 * entry zone then protects a door the lock cannot). */
static void
update_quiet(struct pt_door *d, uint64_t now)
{
	bool cond = d->bypass && !d->in_session && !d->door_open &&
		    (d->state == PT_DOOR_SECURED || d->state == PT_DOOR_JAMMED);

	if (cond && !d->quiet_running) {
		d->quiet_running = true;
		d->quiet_since_ms = now;
	} else if (!cond) {
		d->quiet_running = false;
	}
}

/* Fire everything due at now; new timers start from now. */
static void
advance(struct pt_door *d, struct pt_door_out *out, uint64_t now)
{
	int round;
	bool fired = true;

	for (round = 0; fired && round < ADVANCE_ROUNDS; round++) {
		fired = false;
		if (d->door_open && !d->held_alerted &&
		    now >= after(d->opened_ms, held_limit(d))) {
			d->held_alerted = true;
			emit(d, out, now, PT_DOOR_EV_HELD_OPEN, PT_DOOR_WHY_NONE, held_limit(d));
			alert(d, out, now, PT_DOOR_AL_HELD_OPEN);
			fired = true;
		}
		if (d->timer_ms != PT_DOOR_NO_DEADLINE && now >= d->timer_ms) {
			on_timer(d, out, now);
			fired = true;
		}
		update_quiet(d, now);
		if (d->quiet_running && now >= after(d->quiet_since_ms, d->cfg.bypass_quiet_ms)) {
			emit_sid(out, now, PT_DOOR_EV_BYPASS_END, PT_DOOR_WHY_NONE, 0,
				 d->bypass_session);
			d->bypass = false;
			d->quiet_running = false;
			memset(d->bypass_session, 0, sizeof(d->bypass_session));
			fired = true;
		}
		if (d->watch && d->watch_until_ms != PT_DOOR_NO_DEADLINE && now >= d->watch_until_ms) {
			d->watch = false;
			d->watch_alerted = false;
			memset(d->watch_session, 0, sizeof(d->watch_session));
		}
	}
}

/* ---- inputs ---- */

static int
on_grant(struct pt_door *d, struct pt_door_out *out, uint64_t now, const struct pt_door_grant *g)
{
	if (d->state != PT_DOOR_SECURED || d->in_session || d->door_open || !d->bolt_locked)
		return PT_EDOOR;
	d->in_session = true;
	memcpy(d->session, g->session, sizeof(d->session));
	d->purpose = g->purpose;
	d->held_limit_ms = g->door_open_max_s != 0 ? g->door_open_max_s * 1000u
						   : d->cfg.held_open_ms;
	d->openings = 0;
	d->end_why = PT_DOOR_WHY_NONE;
	/* A new holder is expected to move about: the last watch is over. */
	d->watch = false;
	d->watch_alerted = false;
	memset(d->watch_session, 0, sizeof(d->watch_session));
	if (g->alarm_bypassed) {
		d->bypass = true;
		memcpy(d->bypass_session, g->session, sizeof(d->bypass_session));
	}
	emit(d, out, now, PT_DOOR_EV_SESSION_START, PT_DOOR_WHY_NONE, 0);
	/* The one place UNLOCK is ever produced. */
	act(out, PT_DOOR_ACT_UNLOCK);
	emit(d, out, now, PT_DOOR_EV_LOCK_UNLOCKING, PT_DOOR_WHY_NONE, 0);
	d->state = PT_DOOR_UNLOCKING;
	d->cmd = PT_DOOR_ACT_UNLOCK;
	d->cmd_ms = now;
	d->timer_ms = after(now, d->cfg.lock_timeout_ms);
	return PT_OK;
}

/* An opening outside the session's one permitted opening. */
static void
unpermitted_opening(struct pt_door *d, struct pt_door_out *out, uint64_t now)
{
	if (d->in_session) {
		if (d->openings > 0) {
			emit(d, out, now, PT_DOOR_EV_SECOND_OPENING, PT_DOOR_WHY_NONE, 0);
			emit(d, out, now, PT_DOOR_EV_INTRUSION, PT_DOOR_WHY_SECOND_OPENING, 0);
		} else {
			emit(d, out, now, PT_DOOR_EV_INTRUSION, PT_DOOR_WHY_LATE_OPENING, 0);
		}
		alert(d, out, now, PT_DOOR_AL_INTRUSION);
	} else if (d->bolt_locked) {
		emit(d, out, now, PT_DOOR_EV_FORCED, PT_DOOR_WHY_NONE, 0);
		alert(d, out, now, PT_DOOR_AL_FORCED);
	} else {
		emit(d, out, now, PT_DOOR_EV_INTRUSION, PT_DOOR_WHY_NO_SESSION, 0);
		alert(d, out, now, PT_DOOR_AL_INTRUSION);
	}
}

static void
on_opened(struct pt_door *d, struct pt_door_out *out, uint64_t now)
{
	d->door_open = true;
	d->opened_ms = now;
	d->held_alerted = false;
	emit(d, out, now, PT_DOOR_EV_DOOR_OPENED, PT_DOOR_WHY_NONE, 0);
	switch (d->state) {
	case PT_DOOR_UNLOCKING:
	case PT_DOOR_UNLOCKED:
		/* The one opening the grant allows (in UNLOCKING the bolt's
		 * report is late: the door could open, so the UNLOCK worked). */
		d->openings = 1;
		d->state = PT_DOOR_OPEN;
		break;
	case PT_DOOR_SECURED:
	case PT_DOOR_CLOSED:
	case PT_DOOR_LOCKING:
	case PT_DOOR_UNSECURED:
	case PT_DOOR_JAMMED:
		unpermitted_opening(d, out, now);
		if (d->in_session) {
			if (d->openings < UINT8_MAX)
				d->openings++;
			d->state = PT_DOOR_OPEN;
		} else if (d->state != PT_DOOR_JAMMED) {
			d->state = PT_DOOR_UNSECURED;
		}
		break;
	default:
		break;
	}
	/* Nothing is locked with the door open; a pending command is moot. */
	d->timer_ms = PT_DOOR_NO_DEADLINE;
}

static void
on_closed(struct pt_door *d, struct pt_door_out *out, uint64_t now)
{
	d->door_open = false;
	emit(d, out, now, PT_DOOR_EV_DOOR_CLOSED,
	     d->held_alerted ? PT_DOOR_WHY_WAS_HELD_OPEN : PT_DOOR_WHY_NONE, now - d->opened_ms);
	d->held_alerted = false;
	switch (d->state) {
	case PT_DOOR_OPEN:
		/* The holder should be outside now: watch for motion. */
		if (purpose_is_watched(d) && !d->watch) {
			d->watch = true;
			d->watch_alerted = false;
			d->watch_until_ms = PT_DOOR_NO_DEADLINE;
			memcpy(d->watch_session, d->session, sizeof(d->watch_session));
		}
		d->state = PT_DOOR_CLOSED;
		d->timer_ms = after(now, d->cfg.relock_delay_ms);
		break;
	case PT_DOOR_UNSECURED:
		/* Whatever the bolt said while the door stood open, only a
		 * report after the shut secures it: relock after the delay. */
		d->timer_ms = after(now, d->cfg.relock_delay_ms);
		break;
	case PT_DOOR_JAMMED:
		send_lock(d, out, now, PT_DOOR_WHY_RETRY);
		break;
	default:
		break;
	}
}

static void
on_bolt(struct pt_door *d, struct pt_door_out *out, uint64_t now, bool locked)
{
	bool changed = locked != d->bolt_locked;
	bool commanded = d->cmd == (locked ? PT_DOOR_ACT_LOCK : PT_DOOR_ACT_UNLOCK);
	uint8_t why = commanded ? PT_DOOR_WHY_NONE : PT_DOOR_WHY_UNCOMMANDED;
	uint64_t took = commanded ? now - d->cmd_ms : 0;

	if (!locked) {
		if (!changed)
			return;
		d->bolt_locked = false;
		if (commanded)
			d->cmd = 0;
		emit(d, out, now, PT_DOOR_EV_LOCK_UNLOCKED, why, took);
		switch (d->state) {
		case PT_DOOR_UNLOCKING:
			d->state = PT_DOOR_UNLOCKED;
			d->timer_ms = after(now, d->cfg.open_timeout_ms);
			break;
		case PT_DOOR_SECURED:
			d->state = PT_DOOR_UNSECURED;
			d->timer_ms = after(now, d->cfg.relock_delay_ms);
			break;
		case PT_DOOR_UNSECURED:
			if (!d->door_open && d->timer_ms == PT_DOOR_NO_DEADLINE)
				d->timer_ms = after(now, d->cfg.relock_delay_ms);
			break;
		default:
			break;
		}
		return;
	}

	/* "Thrown". With the door shut it secures the door even when the
	 * machine already thought so, except in SECURED (nothing to do) and
	 * UNLOCKING (the lock has not moved yet). */
	if (commanded)
		d->cmd = 0;
	switch (d->state) {
	case PT_DOOR_LOCKING:
	case PT_DOOR_UNLOCKED:
	case PT_DOOR_CLOSED:
		d->bolt_locked = true;
		emit(d, out, now, PT_DOOR_EV_LOCK_LOCKED, why, took);
		secured(d, out, now);
		break;
	case PT_DOOR_UNSECURED:
	case PT_DOOR_JAMMED:
		d->bolt_locked = true;
		if (!d->door_open) {
			emit(d, out, now, PT_DOOR_EV_LOCK_LOCKED, why, took);
			secured(d, out, now);
		} else if (changed) {
			emit(d, out, now, PT_DOOR_EV_LOCK_LOCKED, why, took);
		}
		break;
	default:	/* SECURED, UNLOCKING, OPEN */
		if (changed) {
			d->bolt_locked = true;
			emit(d, out, now, PT_DOOR_EV_LOCK_LOCKED, why, took);
		}
		break;
	}
}

static void
on_motion(struct pt_door *d, struct pt_door_out *out, uint64_t now, uint8_t zone)
{
	if (d->watch) {
		emit_sid(out, now, PT_DOOR_EV_INTRUSION,
			 zone == PT_DOOR_ZONE_ENTRY ? PT_DOOR_WHY_MOTION_ENTRY
						    : PT_DOOR_WHY_MOTION_INTERIOR,
			 0, d->watch_session);
		if (!d->watch_alerted) {
			d->watch_alerted = true;
			alert_sid(out, now, PT_DOOR_AL_INTRUSION, d->watch_session);
		}
	}
	if (zone == PT_DOOR_ZONE_ENTRY && d->quiet_running)
		d->quiet_since_ms = now;
}

static void
on_lock_failed(struct pt_door *d, struct pt_door_out *out, uint64_t now)
{
	switch (d->state) {
	case PT_DOOR_UNLOCKING:
		unlock_failed(d, out, now);
		break;
	case PT_DOOR_LOCKING:
		lock_failed(d, out, now);
		break;
	default:
		/* No command the state waits for (it may still name one the
		 * door made moot by opening): worth a person's look. */
		emit(d, out, now, PT_DOOR_EV_LOCK_JAMMED,
		     d->cmd == PT_DOOR_ACT_UNLOCK ? PT_DOOR_WHY_UNLOCK_FAILED
						  : PT_DOOR_WHY_LOCK_FAILED,
		     d->cmd != 0 ? now - d->cmd_ms : 0);
		alert(d, out, now, PT_DOOR_AL_JAMMED);
		d->cmd = 0;
		break;
	}
}

static int
on_lock_request(struct pt_door *d, struct pt_door_out *out, uint64_t now)
{
	switch (d->state) {
	case PT_DOOR_SECURED:
	case PT_DOOR_LOCKING:
		return PT_OK;
	case PT_DOOR_OPEN:
		return PT_EDOOR;
	case PT_DOOR_UNLOCKING:
	case PT_DOOR_UNLOCKED:
	case PT_DOOR_CLOSED:
		d->end_why = d->openings > 0 ? PT_DOOR_WHY_CLOSED_LOCKED : PT_DOOR_WHY_LOCK_REQUEST;
		send_lock(d, out, now, PT_DOOR_WHY_LOCK_REQUEST);
		return PT_OK;
	default:	/* UNSECURED, JAMMED */
		if (d->door_open)
			return PT_EDOOR;
		send_lock(d, out, now, PT_DOOR_WHY_LOCK_REQUEST);
		return PT_OK;
	}
}

/* ---- the machine ---- */

static bool
door_is_sane(const struct pt_door *d)
{
	return d != NULL && d->state >= PT_DOOR_SECURED && d->state < PT_DOOR_STATE_COUNT_ &&
	       pt_door_cfg_check(&d->cfg) == PT_OK;
}

static int
input_check(const struct pt_door_input *in)
{
	switch (in->type) {
	case PT_DOOR_IN_TICK:
	case PT_DOOR_IN_CONTACT:
	case PT_DOOR_IN_BOLT:
	case PT_DOOR_IN_LOCK_FAILED:
	case PT_DOOR_IN_LOCK_REQUEST:
		return PT_OK;
	case PT_DOOR_IN_GRANT:
		if (in->grant.purpose < PT_PURPOSE_RESIDENT ||
		    in->grant.purpose > PT_PURPOSE_DELIVERY ||
		    in->grant.door_open_max_s > PT_DOOR_OPEN_MAX)
			return PT_EINVAL;
		return PT_OK;
	case PT_DOOR_IN_MOTION:
		if (in->zone != PT_DOOR_ZONE_ENTRY && in->zone != PT_DOOR_ZONE_INTERIOR)
			return PT_EINVAL;
		return PT_OK;
	default:
		return PT_EINVAL;
	}
}

uint64_t
pt_door_next_deadline(const struct pt_door *d)
{
	uint64_t t, best = PT_DOOR_NO_DEADLINE;

	if (!door_is_sane(d))
		return PT_DOOR_NO_DEADLINE;
	if (d->timer_ms < best)
		best = d->timer_ms;
	if (d->door_open && !d->held_alerted) {
		t = after(d->opened_ms, held_limit(d));
		if (t < best)
			best = t;
	}
	if (d->quiet_running) {
		t = after(d->quiet_since_ms, d->cfg.bypass_quiet_ms);
		if (t < best)
			best = t;
	}
	return best;
}

int
pt_door_state(const struct pt_door *d)
{
	return d != NULL ? d->state : 0;
}

int
pt_door_init(struct pt_door *d, const struct pt_door_cfg *cfg, bool door_open, bool bolt_locked,
	     uint64_t now_ms)
{
	if (d == NULL)
		return PT_EINVAL;
	memset(d, 0, sizeof(*d));
	if (pt_door_cfg_check(cfg) != PT_OK)
		return PT_EINVAL;
	d->cfg = *cfg;
	d->door_open = door_open;
	d->bolt_locked = bolt_locked;
	d->last_ms = now_ms;
	d->opened_ms = now_ms;
	d->timer_ms = PT_DOOR_NO_DEADLINE;
	d->watch_until_ms = PT_DOOR_NO_DEADLINE;
	if (!door_open && bolt_locked) {
		d->state = PT_DOOR_SECURED;
	} else {
		d->state = PT_DOOR_UNSECURED;
		if (!door_open)
			d->timer_ms = after(now_ms, cfg->relock_delay_ms);
	}
	return PT_OK;
}

int
pt_door_step(struct pt_door *d, const struct pt_door_input *in, struct pt_door_out *out)
{
	uint64_t now;
	int rc = PT_OK;

	if (out == NULL)
		return PT_EINVAL;
	memset(out, 0, sizeof(*out));
	out->deadline_ms = PT_DOOR_NO_DEADLINE;
	if (!door_is_sane(d) || in == NULL)
		return PT_EINVAL;
	if (input_check(in) != PT_OK) {
		out->deadline_ms = pt_door_next_deadline(d);
		return PT_EINVAL;
	}

	now = in->now_ms > d->last_ms ? in->now_ms : d->last_ms;
	d->last_ms = now;
	advance(d, out, now);

	switch (in->type) {
	case PT_DOOR_IN_GRANT:
		rc = on_grant(d, out, now, &in->grant);
		break;
	case PT_DOOR_IN_CONTACT:
		if (in->open && !d->door_open)
			on_opened(d, out, now);
		else if (!in->open && d->door_open)
			on_closed(d, out, now);
		break;
	case PT_DOOR_IN_BOLT:
		on_bolt(d, out, now, in->locked);
		break;
	case PT_DOOR_IN_MOTION:
		on_motion(d, out, now, in->zone);
		break;
	case PT_DOOR_IN_LOCK_FAILED:
		on_lock_failed(d, out, now);
		break;
	case PT_DOOR_IN_LOCK_REQUEST:
		rc = on_lock_request(d, out, now);
		break;
	default:	/* TICK: advancing was all */
		break;
	}

	advance(d, out, now);
	out->deadline_ms = pt_door_next_deadline(d);
	return rc;
}
