/*
 * daemons/hub/alarm_sim.c: the "sim" alarm panel (docs/alarm.md), for
 * tests and `make run`. It implements struct hub_alarm_ops exactly as a
 * real panel's driver does: commands return at once and the panel's
 * answer comes back later as a report (sim_lock_delay after the command),
 * never from inside the command.
 *
 * It behaves like a plain panel: armed (home or away), a zone that faults
 * while it is not bypassed sounds the alarm (triggered) at once: no entry
 * delay, so a missing bypass shows. It is driven through the sim control
 * socket, lines that start with "alarm" (drv_sim.c routes them here, or
 * the hub opens the socket for them when no other device is simulated):
 *
 *   alarm arm away | alarm arm home | alarm disarm    at the keypad
 *   alarm zone N open | alarm zone N close            a zone faults / restores
 *   alarm bypass-support on | off                     off: can_bypass is false
 *   alarm confirm on | off                            off: bypass commands are
 *                                                     taken but never confirmed
 *   alarm status                                      one JSON line
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hub.h"

struct asim {
	struct hub_alarm_sink sink;
	uint32_t delay_ms;
	int state;			/* enum hub_alarm_state, as the panel is */
	int reported;			/* as last reported to the hub */
	uint64_t faulted, bypassed;	/* bit zone-1 */
	bool support, confirm;
	/* bypass changes the panel has taken and will confirm at due_ms */
	uint64_t pend_on, pend_off;
	uint64_t due_ms;
	bool state_due;
	/* what the hub asked for, counted (alarm status shows them) */
	unsigned n_bypass, n_unbypass, n_trigger, n_disarm, n_arm;
};

static bool
armed(int s)
{
	return s == HUB_ALARM_ARMED_HOME || s == HUB_ALARM_ARMED_AWAY;
}

static void
report_state(struct asim *a)
{
	if (a->reported == a->state)
		return;
	a->reported = a->state;
	a->sink.state(a->sink.arg, a->state);
}

static json_t *
zones_json(uint64_t m)
{
	json_t *arr = json_array();
	unsigned z;

	for (z = 1; z <= HUB_ALARM_ZONES; z++)
		if (m & ((uint64_t)1 << (z - 1)))
			json_array_append_new(arr, json_integer(z));
	return arr;
}

static void
status_line(struct asim *a, char *out, size_t cap)
{
	json_t *o = json_object();
	char *txt;

	json_object_set_new(o, "state", json_string(hub_alarm_state_name(a->state)));
	json_object_set_new(o, "faulted", zones_json(a->faulted));
	json_object_set_new(o, "bypassed", zones_json(a->bypassed));
	json_object_set_new(o, "bypass_support", json_boolean(a->support));
	json_object_set_new(o, "confirm", json_boolean(a->confirm));
	json_object_set_new(o, "commands",
			    json_pack("{s:I,s:I,s:I,s:I,s:I}", "bypass", (json_int_t)a->n_bypass,
				      "unbypass", (json_int_t)a->n_unbypass, "trigger",
				      (json_int_t)a->n_trigger, "disarm", (json_int_t)a->n_disarm,
				      "arm", (json_int_t)a->n_arm));
	txt = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	if (txt == NULL || strlen(txt) >= cap)
		(void)snprintf(out, cap, "error status too large");
	else
		memcpy(out, txt, strlen(txt) + 1);
	free(txt);
}

void
hub_alarm_sim_line(void *drv, const char *line, char *out, size_t cap)
{
	struct asim *a = drv;
	char word[16];
	unsigned z = 0;
	int k = 0;

	if (strcmp(line, "status") == 0) {
		status_line(a, out, cap);
		return;
	}
	hlog(HLOG_INFO, "event=sim_input input=\"alarm %s\"", line);
	if (strcmp(line, "arm away") == 0 || strcmp(line, "arm home") == 0) {
		a->state = line[4] == 'a' ? HUB_ALARM_ARMED_AWAY : HUB_ALARM_ARMED_HOME;
	} else if (strcmp(line, "disarm") == 0) {
		a->state = HUB_ALARM_DISARMED;
	} else if (sscanf(line, "zone %2u %5s%n", &z, word, &k) == 2 && line[k] == '\0' &&
		   z >= 1 && z <= HUB_ALARM_ZONES &&
		   (strcmp(word, "open") == 0 || strcmp(word, "close") == 0)) {
		uint64_t bit = (uint64_t)1 << (z - 1);
		bool open = strcmp(word, "open") == 0;

		if (open == ((a->faulted & bit) != 0)) {
			(void)snprintf(out, cap, "ok");
			return;	/* no change, no report */
		}
		a->faulted = open ? a->faulted | bit : a->faulted & ~bit;
		a->sink.zone(a->sink.arg, z, open);
		if (open && armed(a->state) && !(a->bypassed & bit))
			a->state = HUB_ALARM_TRIGGERED;
	} else if (strcmp(line, "bypass-support on") == 0 || strcmp(line, "bypass-support off") == 0) {
		a->support = strcmp(line + 15, "on") == 0;
	} else if (strcmp(line, "confirm on") == 0 || strcmp(line, "confirm off") == 0) {
		a->confirm = strcmp(line + 8, "on") == 0;
	} else {
		(void)snprintf(out, cap,
			       "error unknown alarm command: arm away|home, disarm, zone N open|close,"
			       " bypass-support on|off, confirm on|off, status");
		return;
	}
	report_state(a);
	(void)snprintf(out, cap, "ok");
}

static int
asim_open(const struct hub_config *cfg, const struct hub_alarm_sink *sink, void **drv,
	  struct pt_errbuf *err)
{
	struct asim *a = calloc(1, sizeof(*a));
	int st = hub_alarm_state_parse(cfg->alarm_sim_state);

	*drv = NULL;
	if (a == NULL) {
		(void)snprintf(err->msg, sizeof(err->msg), "out of memory");
		return -1;
	}
	if (st < 0) {
		free(a);
		(void)snprintf(err->msg, sizeof(err->msg), "alarm.sim_state: '%.20s' is not a state",
			       cfg->alarm_sim_state);
		return -1;
	}
	a->sink = *sink;
	a->delay_ms = cfg->sim_lock_delay_ms;
	a->state = st;
	a->reported = HUB_ALARM_UNKNOWN;
	a->support = true;
	a->confirm = true;
	a->state_due = true;	/* the first report, from the first tick */
	a->due_ms = 0;
	*drv = a;
	return 0;
}

static void
asim_close(void *drv)
{
	free(drv);
}

static bool
asim_ready(void *drv)
{
	struct asim *a = drv;

	return a->reported != HUB_ALARM_UNKNOWN;
}

static bool
asim_can_bypass(void *drv)
{
	struct asim *a = drv;

	return a->support && a->state != HUB_ALARM_TRIGGERED;
}

static int
asim_bypass(void *drv, unsigned zone, bool on, uint64_t now_ms)
{
	struct asim *a = drv;
	uint64_t bit;

	if (zone < 1 || zone > HUB_ALARM_ZONES)
		return PT_EINVAL;
	bit = (uint64_t)1 << (zone - 1);
	if (on) {
		a->n_bypass++;
		if (!a->support)
			return PT_EINVAL;
		a->pend_on |= bit;
		a->pend_off &= ~bit;
	} else {
		a->n_unbypass++;
		a->pend_off |= bit;
		a->pend_on &= ~bit;
	}
	if (a->confirm)
		a->due_ms = now_ms + a->delay_ms;
	return PT_OK;
}

static int
asim_arm(void *drv, int state, uint64_t now_ms)
{
	struct asim *a = drv;

	if (state != HUB_ALARM_ARMED_HOME && state != HUB_ALARM_ARMED_AWAY)
		return PT_EINVAL;
	a->n_arm++;
	a->state = state;
	a->state_due = true;
	a->due_ms = now_ms + a->delay_ms;
	return PT_OK;
}

static int
asim_disarm(void *drv, uint64_t now_ms)
{
	struct asim *a = drv;

	a->n_disarm++;
	a->state = HUB_ALARM_DISARMED;
	a->state_due = true;
	a->due_ms = now_ms + a->delay_ms;
	return PT_OK;
}

static int
asim_trigger(void *drv, uint64_t now_ms)
{
	struct asim *a = drv;

	a->n_trigger++;
	a->state = HUB_ALARM_TRIGGERED;
	a->state_due = true;
	a->due_ms = now_ms + a->delay_ms;
	return PT_OK;
}

static void
asim_poll(void *drv, struct hub_poll *p)
{
	(void)drv;
	(void)p;	/* driven through the sim control socket */
}

static bool
asim_busy(const struct asim *a)
{
	return a->state_due || (a->confirm && (a->pend_on | a->pend_off) != 0);
}

static uint64_t
asim_deadline(void *drv)
{
	struct asim *a = drv;

	return asim_busy(a) ? a->due_ms : UINT64_MAX;
}

static void
asim_tick(void *drv, uint64_t now_ms)
{
	struct asim *a = drv;
	uint64_t on, off;
	unsigned z;

	if (!asim_busy(a) || now_ms < a->due_ms)
		return;
	if (a->state_due) {
		a->state_due = false;
		report_state(a);
	}
	if (!a->confirm)
		return;
	on = a->pend_on;
	off = a->pend_off;
	a->pend_on = a->pend_off = 0;
	a->bypassed = (a->bypassed | on) & ~off;
	for (z = 1; z <= HUB_ALARM_ZONES; z++) {
		uint64_t bit = (uint64_t)1 << (z - 1);
		if ((on | off) & bit)
			a->sink.bypassed(a->sink.arg, z, (on & bit) != 0);
	}
}

const struct hub_alarm_ops hub_alarm_sim = {
	.name = "sim",
	.open = asim_open,
	.close = asim_close,
	.ready = asim_ready,
	.can_bypass = asim_can_bypass,
	.bypass = asim_bypass,
	.arm = asim_arm,
	.disarm = asim_disarm,
	.trigger = asim_trigger,
	.poll = asim_poll,
	.deadline = asim_deadline,
	.tick = asim_tick,
};
