/*
 * daemons/hub/drv_gpio.c: the "gpio" driver (libgpiod 1.6, the character
 * device /dev/gpiochipN): an electric strike on an output line, a reed
 * contact and PIR motion sensors on input lines, and optionally a
 * lock-sense input (docs/drivers.md).
 *
 *   strike       output, active = released (the door can be pushed open).
 *                hold: active from UNLOCK until LOCK; pulse: active for
 *                strike_pulse_time, then inactive again by itself.
 *                strike_active_low inverts the electrical level, which
 *                also serves a fail-safe (power-to-lock) strike.
 *   lock_sense   input, active = bolt thrown. With it, the bolt is what
 *                the input says, and a command not confirmed by it within
 *                90% of [door] lock_timeout is lock_failed. Without it a
 *                strike has no feedback: the bolt reported is what the
 *                output drives (reported on the next loop turn, never
 *                from inside the command).
 *   contact      input, active = door OPEN (a reed switch to ground with
 *                a pull-up: shut = low, so active high by default).
 *   motion_*     inputs, active = motion.
 *
 * Inputs are watched through their edge-event file descriptors in the
 * hub's poll loop; an edge only wakes the driver, which reads the level
 * and takes it once it has held for [gpio] debounce (contact bounce, PIR
 * glitches). The pure parts (debounce, the strike's timing, line specs)
 * are at the top and unit-tested by tests/unit/test_gpio.c, which
 * includes this file with HUB_GPIO_LOGIC_ONLY; the hardware part needs
 * libgpiod (HAVE_LIBGPIOD, meson finds it): without it open fails, saying
 * so.
 *
 * Not tested against hardware nor against gpio-sim here: the build
 * machine's kernel has no GPIO support at all (docs/drivers.md, "What is
 * verified").
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* ---- pure logic ---- */

/* A debounced input: the raw level must hold for debounce_ms. */
struct gpio_deb {
	bool stable;		/* the level in force */
	bool raw;		/* the level last read */
	uint64_t raw_since_ms;	/* when raw last changed */
};

static void
gpio_deb_init(struct gpio_deb *d, bool level, uint64_t now)
{
	d->stable = level;
	d->raw = level;
	d->raw_since_ms = now;
}

/* A level read at now. */
static void
gpio_deb_input(struct gpio_deb *d, bool level, uint64_t now)
{
	if (level != d->raw) {
		d->raw = level;
		d->raw_since_ms = now;
	}
}

/* When the pending level becomes stable; UINT64_MAX: nothing pending. */
static uint64_t
gpio_deb_deadline(const struct gpio_deb *d, uint32_t debounce_ms)
{
	return d->raw == d->stable ? UINT64_MAX : d->raw_since_ms + debounce_ms;
}

/* true when the stable level changed at now (*level: the new one). */
static bool
gpio_deb_poll(struct gpio_deb *d, uint64_t now, uint32_t debounce_ms, bool *level)
{
	if (d->raw == d->stable || now < d->raw_since_ms + debounce_ms)
		return false;
	d->stable = d->raw;
	*level = d->stable;
	return true;
}

/* The strike's output: active (released) or not, and when a pulse ends. */
struct gpio_strike {
	bool pulse;
	uint32_t pulse_ms;
	bool active;
	uint64_t release_end_ms;	/* pulse mode: when it drops again */
};

/* UNLOCK: the level to drive now. */
static bool
gpio_strike_unlock(struct gpio_strike *s, uint64_t now)
{
	s->active = true;
	s->release_end_ms = s->pulse ? now + s->pulse_ms : UINT64_MAX;
	return s->active;
}

/* LOCK: the level to drive now. */
static bool
gpio_strike_lock(struct gpio_strike *s)
{
	s->active = false;
	s->release_end_ms = UINT64_MAX;
	return s->active;
}

static uint64_t
gpio_strike_deadline(const struct gpio_strike *s)
{
	return s->active ? s->release_end_ms : UINT64_MAX;
}

/* true when a pulse ended at now: drive the line inactive. */
static bool
gpio_strike_tick(struct gpio_strike *s, uint64_t now)
{
	if (!s->active || now < s->release_end_ms)
		return false;
	s->active = false;
	s->release_end_ms = UINT64_MAX;
	return true;
}

/* A line as configured: "" none (0), an offset 0..1023 (1, *offset), or a
 * line name of 1..31 characters [A-Za-z0-9_.-] (2). -1: invalid. */
static int
gpio_line_spec(const char *s, unsigned *offset)
{
	size_t n = strlen(s), i;
	unsigned v = 0;
	bool digits = true;

	*offset = 0;
	if (n == 0)
		return 0;
	if (n > 31)
		return -1;
	for (i = 0; i < n; i++) {
		char c = s[i];
		if (c < '0' || c > '9')
			digits = false;
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      c == '_' || c == '.' || c == '-'))
			return -1;
	}
	if (!digits)
		return 2;
	if (n > 4 || (n > 1 && s[0] == '0'))
		return -1;
	for (i = 0; i < n; i++)
		v = v * 10u + (unsigned)(s[i] - '0');
	if (v > 1023)
		return -1;
	*offset = v;
	return 1;
}

#ifndef HUB_GPIO_LOGIC_ONLY

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>

#include "hub.h"

#ifdef HAVE_LIBGPIOD
#include <gpiod.h>

#define CONSUMER "porter-hub"

enum { IN_SENSE = 0, IN_CONTACT = 1, IN_MOT_ENTRY = 2, IN_MOT_INTERIOR = 3, IN_N = 4 };
static const char *const in_key[IN_N] = {"lock_sense", "contact", "motion_entry", "motion_interior"};

struct gpio;
struct gin {
	struct gpio *g;
	int idx;
	struct gpiod_line *line;
	struct gpio_deb deb;
};

struct gpio {
	struct hub_drv_sink sink;
	unsigned roles;
	struct gpiod_chip *chip;
	struct gpiod_line *strike_line;
	struct gpio_strike strike;
	struct gin in[IN_N];
	uint32_t debounce_ms, cmd_timeout_ms;
	bool bolt_thrown;		/* the bolt as last reported */
	bool report_due;		/* no sense input: report on the next tick */
	uint8_t pending;		/* with a sense input: the command awaiting it */
	uint64_t pending_due_ms;
};

static int
line_get(struct gpio *g, const char *key, const char *spec, struct gpiod_line **out,
	 struct pt_errbuf *err)
{
	unsigned off;
	int k = gpio_line_spec(spec, &off);

	*out = NULL;
	if (k < 0) {
		(void)snprintf(err->msg, sizeof(err->msg),
			       "gpio.%s: '%.40s' is not a line offset (0..1023) or a line name", key,
			       spec);
		return -1;
	}
	if (k == 0)
		return 0;
	errno = 0;
	*out = k == 1 ? gpiod_chip_get_line(g->chip, off) : gpiod_chip_find_line(g->chip, spec);
	if (*out == NULL) {
		(void)snprintf(err->msg, sizeof(err->msg), "gpio.%s: no line '%.40s' on the chip: %s",
			       key, spec, errno != 0 ? strerror(errno) : "not found");
		return -1;
	}
	return 0;
}

static void
input_read(struct gin *gi, uint64_t now)
{
	int v = gpiod_line_get_value(gi->line);

	if (v < 0) {
		hlog(HLOG_WARN, "event=gpio_read input=%s error=\"%s\"", in_key[gi->idx],
		     strerror(errno));
		return;
	}
	gpio_deb_input(&gi->deb, v == 1, now);
}

/* An edge only wakes us: the level is read, and taken once it holds. */
static void
on_edge(void *arg, short revents)
{
	struct gin *gi = arg;
	struct gpiod_line_event ev;

	(void)revents;
	if (gpiod_line_event_read(gi->line, &ev) != 0)
		hlog(HLOG_WARN, "event=gpio_edge input=%s error=\"%s\"", in_key[gi->idx],
		     strerror(errno));
	input_read(gi, hub_mono_ms());
}

static void
drive(struct gpio *g, bool active)
{
	if (gpiod_line_set_value(g->strike_line, active ? 1 : 0) != 0)
		hlog(HLOG_ERR, "event=gpio_strike error=\"%s\"", strerror(errno));
	hlog(HLOG_INFO, "event=gpio_strike output=%s", active ? "released" : "latched");
}

static void
report_bolt(struct gpio *g, bool thrown)
{
	g->bolt_thrown = thrown;
	g->sink.bolt(g->sink.arg, thrown);
}

static void
gpio_close(void *drv)
{
	struct gpio *g = drv;
	int i;

	if (g == NULL)
		return;
	if (g->strike_line != NULL) {
		/* Leave the strike latched (inactive) when the hub stops. */
		(void)gpiod_line_set_value(g->strike_line, 0);
		gpiod_line_release(g->strike_line);
	}
	for (i = 0; i < IN_N; i++)
		if (g->in[i].line != NULL)
			gpiod_line_release(g->in[i].line);
	if (g->chip != NULL)
		gpiod_chip_close(g->chip);
	free(g);
}

static int
gpio_open(const struct hub_config *cfg, unsigned roles, const struct hub_drv_sink *sink, void **drv,
	  struct pt_errbuf *err)
{
	const char *spec[IN_N] = {cfg->gpio_lock_sense, cfg->gpio_contact, cfg->gpio_motion_entry,
				  cfg->gpio_motion_interior};
	const bool low[IN_N] = {cfg->gpio_lock_sense_active_low, cfg->gpio_contact_active_low,
				cfg->gpio_motion_active_low, cfg->gpio_motion_active_low};
	bool want[IN_N];
	uint64_t now = hub_mono_ms();
	struct gpio *g;
	int i, flags;

	*drv = NULL;
	if ((g = calloc(1, sizeof(*g))) == NULL) {
		(void)snprintf(err->msg, sizeof(err->msg), "out of memory");
		return -1;
	}
	g->sink = *sink;
	g->roles = roles;
	g->debounce_ms = cfg->gpio_debounce_ms;
	g->cmd_timeout_ms = cfg->door.lock_timeout_ms - cfg->door.lock_timeout_ms / 10u;
	if (g->cmd_timeout_ms == 0)
		g->cmd_timeout_ms = 1;
	g->strike.pulse = cfg->gpio_strike_pulse;
	g->strike.pulse_ms = cfg->gpio_strike_pulse_ms;
	g->strike.release_end_ms = UINT64_MAX;
	want[IN_SENSE] = (roles & HUB_ROLE_LOCK) != 0;
	want[IN_CONTACT] = (roles & HUB_ROLE_DOOR) != 0;
	want[IN_MOT_ENTRY] = want[IN_MOT_INTERIOR] = (roles & HUB_ROLE_MOTION) != 0;
	if ((roles & HUB_ROLE_LOCK) && cfg->gpio_strike[0] == '\0') {
		(void)snprintf(err->msg, sizeof(err->msg),
			       "drivers.lock = gpio needs gpio.strike (the strike's output line)");
		goto fail;
	}
	if ((roles & HUB_ROLE_DOOR) && cfg->gpio_contact[0] == '\0') {
		(void)snprintf(err->msg, sizeof(err->msg),
			       "drivers.door = gpio needs gpio.contact (the reed contact's input line)");
		goto fail;
	}
	if ((roles & HUB_ROLE_MOTION) && cfg->gpio_motion_entry[0] == '\0' &&
	    cfg->gpio_motion_interior[0] == '\0') {
		(void)snprintf(err->msg, sizeof(err->msg),
			       "drivers.motion = gpio needs gpio.motion_entry or motion_interior");
		goto fail;
	}
	/* The configuration first, so its mistakes are named even on a
	 * machine without the chip. */
	{
		unsigned off;
		if (gpio_line_spec(cfg->gpio_strike, &off) < 0) {
			(void)snprintf(err->msg, sizeof(err->msg),
				       "gpio.strike: '%.40s' is not a line offset (0..1023) or a line"
				       " name",
				       cfg->gpio_strike);
			goto fail;
		}
		for (i = 0; i < IN_N; i++) {
			if (gpio_line_spec(spec[i], &off) < 0) {
				(void)snprintf(err->msg, sizeof(err->msg),
					       "gpio.%s: '%.40s' is not a line offset (0..1023) or a"
					       " line name",
					       in_key[i], spec[i]);
				goto fail;
			}
		}
	}
	errno = 0;
	if ((g->chip = gpiod_chip_open_lookup(cfg->gpio_chip)) == NULL) {
		(void)snprintf(err->msg, sizeof(err->msg),
			       "gpio.chip: cannot open '%.60s': %s (is there a /dev/gpiochip*? the"
			       " hub's user needs access to it)",
			       cfg->gpio_chip, errno != 0 ? strerror(errno) : "no such chip");
		goto fail;
	}
	if ((roles & HUB_ROLE_LOCK) &&
	    line_get(g, "strike", cfg->gpio_strike, &g->strike_line, err) != 0)
		goto fail;
	if (g->strike_line != NULL) {
		flags = cfg->gpio_strike_active_low ? GPIOD_LINE_REQUEST_FLAG_ACTIVE_LOW : 0;
		if (gpiod_line_request_output_flags(g->strike_line, CONSUMER, flags, 0) != 0) {
			(void)snprintf(err->msg, sizeof(err->msg),
				       "gpio.strike: cannot take line '%.40s' as an output: %s",
				       cfg->gpio_strike, strerror(errno));
			g->strike_line = NULL;	/* not requested: nothing to release */
			goto fail;
		}
	}
	for (i = 0; i < IN_N; i++) {
		int v;
		g->in[i].g = g;
		g->in[i].idx = i;
		if (!want[i] || spec[i][0] == '\0')
			continue;
		if (line_get(g, in_key[i], spec[i], &g->in[i].line, err) != 0)
			goto fail;
		flags = (low[i] ? GPIOD_LINE_REQUEST_FLAG_ACTIVE_LOW : 0) |
			(cfg->gpio_pull_up ? GPIOD_LINE_REQUEST_FLAG_BIAS_PULL_UP : 0);
		if (gpiod_line_request_both_edges_events_flags(g->in[i].line, CONSUMER, flags) != 0) {
			(void)snprintf(err->msg, sizeof(err->msg),
				       "gpio.%s: cannot watch line '%.40s': %s", in_key[i], spec[i],
				       strerror(errno));
			g->in[i].line = NULL;
			goto fail;
		}
		if ((v = gpiod_line_get_value(g->in[i].line)) < 0) {
			(void)snprintf(err->msg, sizeof(err->msg), "gpio.%s: cannot read line '%.40s': %s",
				       in_key[i], spec[i], strerror(errno));
			goto fail;
		}
		gpio_deb_init(&g->in[i].deb, v == 1, now);
	}
	/* The strike starts latched; its bolt is the sense input if there
	 * is one, else what the output drives. */
	g->bolt_thrown = g->in[IN_SENSE].line != NULL ? g->in[IN_SENSE].deb.stable : true;
	hlog(HLOG_INFO, "event=gpio state=open chip=%s strike=%s mode=%s lock_sense=%s contact=%s",
	     cfg->gpio_chip, cfg->gpio_strike[0] ? cfg->gpio_strike : "-",
	     g->strike.pulse ? "pulse" : "hold", g->in[IN_SENSE].line ? cfg->gpio_lock_sense : "-",
	     g->in[IN_CONTACT].line ? cfg->gpio_contact : "-");
	*drv = g;
	return 0;
fail:
	gpio_close(g);
	return -1;
}

static bool
gpio_ready(void *drv, bool *door_open, bool *bolt_locked)
{
	struct gpio *g = drv;

	*door_open = g->in[IN_CONTACT].line != NULL && g->in[IN_CONTACT].deb.stable;
	*bolt_locked = g->bolt_thrown;
	return true;	/* the levels are read at open */
}

static int
command(struct gpio *g, uint8_t act, uint64_t now)
{
	if (g->strike_line == NULL)
		return PT_EINVAL;
	drive(g, act == PT_DOOR_ACT_UNLOCK ? gpio_strike_unlock(&g->strike, now)
					   : gpio_strike_lock(&g->strike));
	if (g->in[IN_SENSE].line != NULL) {
		g->pending = act;	/* the sense input will say */
		g->pending_due_ms = now + g->cmd_timeout_ms;
	} else {
		g->report_due = true;	/* no feedback: what we drive */
	}
	return PT_OK;
}

static int
gpio_lock(void *drv, uint64_t now_ms)
{
	return command(drv, PT_DOOR_ACT_LOCK, now_ms);
}

static int
gpio_unlock(void *drv, uint64_t now_ms)
{
	return command(drv, PT_DOOR_ACT_UNLOCK, now_ms);
}

static void
gpio_poll(void *drv, struct hub_poll *p)
{
	struct gpio *g = drv;
	int i, fd;

	for (i = 0; i < IN_N; i++)
		if (g->in[i].line != NULL && (fd = gpiod_line_event_get_fd(g->in[i].line)) >= 0)
			hub_poll_add(p, fd, POLLIN, on_edge, &g->in[i]);
}

static uint64_t
gpio_deadline(void *drv)
{
	struct gpio *g = drv;
	uint64_t d = gpio_strike_deadline(&g->strike), x;
	int i;

	if (g->report_due)
		return 0;
	if (g->pending != 0 && g->pending_due_ms < d)
		d = g->pending_due_ms;
	for (i = 0; i < IN_N; i++)
		if (g->in[i].line != NULL && (x = gpio_deb_deadline(&g->in[i].deb, g->debounce_ms)) < d)
			d = x;
	return d;
}

static void
gpio_tick(void *drv, uint64_t now)
{
	struct gpio *g = drv;
	bool level;
	int i;

	if (gpio_strike_tick(&g->strike, now)) {
		drive(g, false);	/* the pulse is over: the strike latches */
		if (g->in[IN_SENSE].line == NULL)
			g->report_due = true;
	}
	if (g->report_due) {
		g->report_due = false;
		report_bolt(g, !g->strike.active);
	}
	for (i = 0; i < IN_N; i++) {
		if (g->in[i].line == NULL || !gpio_deb_poll(&g->in[i].deb, now, g->debounce_ms, &level))
			continue;
		hlog(HLOG_INFO, "event=gpio_input input=%s level=%s", in_key[i],
		     level ? "active" : "inactive");
		switch (i) {
		case IN_SENSE:
			if (g->pending != 0 && (g->pending == PT_DOOR_ACT_LOCK) == level)
				g->pending = 0;	/* confirmed */
			report_bolt(g, level);
			break;
		case IN_CONTACT: g->sink.contact(g->sink.arg, level); break;
		case IN_MOT_ENTRY:
			if (level)
				g->sink.motion(g->sink.arg, PT_DOOR_ZONE_ENTRY);
			break;
		default:
			if (level)
				g->sink.motion(g->sink.arg, PT_DOOR_ZONE_INTERIOR);
			break;
		}
	}
	if (g->pending != 0 && now >= g->pending_due_ms) {
		hlog(HLOG_WARN, "event=gpio_lock result=failed command=%s why=no-sense-in-time",
		     pt_door_action_name(g->pending));
		g->pending = 0;
		g->sink.lock_failed(g->sink.arg);
	}
}

const struct hub_drv_ops hub_drv_gpio = {
	.name = "gpio",
	.open = gpio_open,
	.close = gpio_close,
	.ready = gpio_ready,
	.lock = gpio_lock,
	.unlock = gpio_unlock,
	.poll = gpio_poll,
	.deadline = gpio_deadline,
	.tick = gpio_tick,
};

#else /* !HAVE_LIBGPIOD */

static int
gpio_open(const struct hub_config *cfg, unsigned roles, const struct hub_drv_sink *sink, void **drv,
	  struct pt_errbuf *err)
{
	(void)roles;
	(void)sink;
	(void)cfg;
	*drv = NULL;
	(void)snprintf(err->msg, sizeof(err->msg),
		       "driver 'gpio': porter-hub was built without libgpiod (install libgpiod-dev,"
		       " scripts/deps.sh, and rebuild)");
	return -1;
}

static void
gpio_close(void *drv)
{
	(void)drv;
}

/* Keep the pure logic compiled (and warning-free) without libgpiod. */
const struct hub_drv_ops hub_drv_gpio = {
	.name = "gpio",
	.open = gpio_open,
	.close = gpio_close,
};

static void gpio_logic_used(void) __attribute__((unused));
static void
gpio_logic_used(void)
{
	struct gpio_deb d;
	struct gpio_strike s = {0};
	unsigned off;
	bool l;

	gpio_deb_init(&d, false, 0);
	gpio_deb_input(&d, true, 0);
	(void)gpio_deb_deadline(&d, 0);
	(void)gpio_deb_poll(&d, 0, 0, &l);
	(void)gpio_strike_unlock(&s, 0);
	(void)gpio_strike_lock(&s);
	(void)gpio_strike_deadline(&s);
	(void)gpio_strike_tick(&s, 0);
	(void)gpio_line_spec("", &off);
}

#endif /* HAVE_LIBGPIOD */
#endif /* HUB_GPIO_LOGIC_ONLY */
