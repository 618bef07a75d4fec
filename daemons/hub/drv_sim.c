/*
 * The sim drivers: a lock, a door contact and motion sensors that exist
 * only in this process, driven through a control socket (tests, `make
 * run`, `porter sim ...`). They implement struct hub_drv_ops exactly as
 * the real drivers will (zigbee2mqtt, gpio): commands return at once,
 * outcomes come back later as reports.
 *
 * The control socket speaks one newline-terminated line per connection:
 *
 *   door open | door close       the contact reports open / closed
 *   motion entry | motion interior
 *   lock jam | lock unjam        jammed: every command fails (lock_failed)
 *   lock turn                    the bolt moves by hand (a key, a
 *                                thumb-turn): an uncommanded report
 *   status                       one JSON line: {"lock", "moving", "jammed",
 *                                "door", "state", "session", ...}
 *   alarm ...                    the sim alarm panel's lines (alarm_sim.c),
 *                                when [alarm] driver = sim
 *
 * and answers "ok", a JSON line (status) or "error <why>".
 *
 * The simulated lock starts thrown, the door shut. It reports its bolt
 * sim_lock_delay after a command (a real motor takes a moment), and not
 * from inside the command: the hub never gets a report in the middle of
 * carrying out the door machine's actions.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hub.h"

struct sim {
	struct hub_drv_sink sink;
	unsigned roles;
	struct hub_lines ctl;
	char ctl_path[PATH_MAX];
	uint32_t delay_ms;
	bool bolt_locked;	/* the bolt as it is */
	bool door_open;
	bool jammed;
	uint8_t pending;	/* PT_DOOR_ACT_LOCK / _UNLOCK moving, 0 none */
	uint64_t due_ms;
	hub_line_fn alarm_fn;	/* "alarm ..." lines go there (NULL: none) */
	void *alarm_arg;
};

void
hub_drv_sim_route_alarm(void *drv, hub_line_fn fn, void *arg)
{
	struct sim *s = drv;

	s->alarm_fn = fn;
	s->alarm_arg = arg;
}

static void
reply_status(struct sim *s, char *out, size_t cap)
{
	json_t *o = json_object();
	char *txt;

	if (o == NULL) {
		(void)snprintf(out, cap, "error out of memory");
		return;
	}
	json_object_set_new(o, "lock", json_string(s->bolt_locked ? "locked" : "unlocked"));
	json_object_set_new(o, "moving", s->pending == PT_DOOR_ACT_LOCK	    ? json_string("lock")
					 : s->pending == PT_DOOR_ACT_UNLOCK ? json_string("unlock")
									    : json_null());
	json_object_set_new(o, "jammed", json_boolean(s->jammed));
	json_object_set_new(o, "door", json_string(s->door_open ? "open" : "closed"));
	if (s->sink.status != NULL)
		s->sink.status(s->sink.arg, o);
	txt = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	if (txt == NULL || strlen(txt) >= cap)
		(void)snprintf(out, cap, "error status too large");
	else
		memcpy(out, txt, strlen(txt) + 1);
	free(txt);
}

static void
on_line(void *arg, const char *line, char *out, size_t cap)
{
	struct sim *s = arg;

	if (strcmp(line, "status") == 0) {
		reply_status(s, out, cap);
		return;
	}
	if (strncmp(line, "alarm", 5) == 0 && (line[5] == ' ' || line[5] == '\0')) {
		if (s->alarm_fn == NULL)
			(void)snprintf(out, cap, "error the alarm panel is not simulated");
		else
			s->alarm_fn(s->alarm_arg, line[5] == ' ' ? line + 6 : line + 5, out, cap);
		return;
	}
	if (strcmp(line, "door open") == 0 || strcmp(line, "door close") == 0) {
		if (!(s->roles & HUB_ROLE_DOOR)) {
			(void)snprintf(out, cap, "error the door contact is not simulated");
			return;
		}
		s->door_open = strcmp(line, "door open") == 0;
		hlog(HLOG_INFO, "event=sim_input input=\"%s\"", line);
		s->sink.contact(s->sink.arg, s->door_open);
	} else if (strcmp(line, "motion entry") == 0 || strcmp(line, "motion interior") == 0) {
		if (!(s->roles & HUB_ROLE_MOTION)) {
			(void)snprintf(out, cap, "error motion is not simulated");
			return;
		}
		hlog(HLOG_INFO, "event=sim_input input=\"%s\"", line);
		s->sink.motion(s->sink.arg, strcmp(line, "motion entry") == 0 ? PT_DOOR_ZONE_ENTRY
									      : PT_DOOR_ZONE_INTERIOR);
	} else if (strcmp(line, "lock jam") == 0 || strcmp(line, "lock unjam") == 0 ||
		   strcmp(line, "lock turn") == 0) {
		if (!(s->roles & HUB_ROLE_LOCK)) {
			(void)snprintf(out, cap, "error the lock is not simulated");
			return;
		}
		hlog(HLOG_INFO, "event=sim_input input=\"%s\"", line);
		if (strcmp(line, "lock turn") == 0) {
			s->bolt_locked = !s->bolt_locked;
			s->sink.bolt(s->sink.arg, s->bolt_locked);
		} else {
			s->jammed = strcmp(line, "lock jam") == 0;
		}
	} else {
		(void)snprintf(out, cap,
			       "error unknown command: door open|close, motion entry|interior,"
			       " lock jam|unjam|turn, status, alarm ...");
		return;
	}
	(void)snprintf(out, cap, "ok");
}

static int
sim_open(const struct hub_config *cfg, unsigned roles, const struct hub_drv_sink *sink,
	 void **drv, struct pt_errbuf *err)
{
	struct sim *s = calloc(1, sizeof(*s));

	*drv = NULL;
	if (s == NULL) {
		(void)snprintf(err->msg, sizeof(err->msg), "out of memory");
		return -1;
	}
	s->sink = *sink;
	s->roles = roles;
	s->delay_ms = cfg->sim_lock_delay_ms;
	s->bolt_locked = true;
	s->door_open = false;
	memcpy(s->ctl_path, cfg->sim_control, strlen(cfg->sim_control) + 1);
	if (hub_lines_open(&s->ctl, "sim", s->ctl_path, 0660, on_line, s, err) != 0) {
		free(s);
		return -1;
	}
	*drv = s;
	return 0;
}

static void
sim_close(void *drv)
{
	struct sim *s = drv;

	if (s == NULL)
		return;
	hub_lines_close(&s->ctl, s->ctl_path);
	free(s);
}

static bool
sim_ready(void *drv, bool *door_open, bool *bolt_locked)
{
	struct sim *s = drv;

	*door_open = s->door_open;
	*bolt_locked = s->bolt_locked;
	return true;
}

static int
command(struct sim *s, uint8_t act, uint64_t now_ms)
{
	if (!(s->roles & HUB_ROLE_LOCK))
		return PT_EINVAL;
	s->pending = act;
	s->due_ms = now_ms + s->delay_ms;
	return PT_OK;
}

static int
sim_lock(void *drv, uint64_t now_ms)
{
	return command(drv, PT_DOOR_ACT_LOCK, now_ms);
}

static int
sim_unlock(void *drv, uint64_t now_ms)
{
	return command(drv, PT_DOOR_ACT_UNLOCK, now_ms);
}

static void
sim_poll(void *drv, struct hub_poll *p)
{
	struct sim *s = drv;

	hub_lines_poll(&s->ctl, p);
}

static uint64_t
sim_deadline(void *drv)
{
	struct sim *s = drv;
	uint64_t d = hub_lines_deadline(&s->ctl);

	if (s->pending != 0 && s->due_ms < d)
		d = s->due_ms;
	return d;
}

static void
sim_tick(void *drv, uint64_t now_ms)
{
	struct sim *s = drv;
	uint8_t act = s->pending;

	hub_lines_tick(&s->ctl, now_ms);
	if (act == 0 || now_ms < s->due_ms)
		return;
	s->pending = 0;
	if (s->jammed) {
		hlog(HLOG_INFO, "event=sim_lock result=jammed command=%s", pt_door_action_name(act));
		s->sink.lock_failed(s->sink.arg);
		return;
	}
	s->bolt_locked = act == PT_DOOR_ACT_LOCK;
	s->sink.bolt(s->sink.arg, s->bolt_locked);
}

const struct hub_drv_ops hub_drv_sim = {
	.name = "sim",
	.open = sim_open,
	.close = sim_close,
	.ready = sim_ready,
	.lock = sim_lock,
	.unlock = sim_unlock,
	.poll = sim_poll,
	.deadline = sim_deadline,
	.tick = sim_tick,
};

const struct hub_drv_ops *
hub_drv_find(const char *name)
{
	static const struct hub_drv_ops *const all[] = {&hub_drv_sim, &hub_drv_z2m, &hub_drv_gpio};
	size_t i;

	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (strcmp(all[i]->name, name) == 0)
			return all[i];
	return NULL;
}
