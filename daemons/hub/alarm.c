/*
 * daemons/hub/alarm.c: the alarm panel drivers' registry and names
 * (hub.h, "the alarm panel"), and the [alarm] core keys' checks: the
 * zone lists and what must go together (docs/alarm.md). The policy
 * itself (bypass before the bolt, triggers, never disarm for a
 * non-resident) is the core's, in hub.c.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "hub.h"

const char *
hub_alarm_state_name(int state)
{
	static const char *const names[] = {"unknown", "disarmed", "armed_home", "armed_away",
					    "arming", "pending", "triggered"};

	if (state < 0 || (size_t)state >= sizeof(names) / sizeof(names[0]))
		return NULL;
	return names[state];
}

const struct hub_alarm_ops *
hub_alarm_find(const char *name)
{
	static const struct hub_alarm_ops *const all[] = {&hub_alarm_sim, &hub_alarm_mqtt,
							  &hub_alarm_tpi};
	size_t i;

	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (strcmp(all[i]->name, name) == 0)
			return all[i];
	return NULL;
}

int
hub_alarm_state_parse(const char *name)
{
	int i;

	for (i = HUB_ALARM_UNKNOWN; hub_alarm_state_name(i) != NULL; i++)
		if (strcmp(hub_alarm_state_name(i), name) == 0)
			return i;
	return -1;
}

int
hub_alarm_zones_parse(const char *text, uint64_t *mask)
{
	const char *p = text;
	uint64_t m = 0;

	*mask = 0;
	for (;;) {
		unsigned z = 0;
		size_t digits = 0;

		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0' && p == text)
			break;	/* the empty list */
		while (*p >= '0' && *p <= '9' && digits < 3) {
			z = z * 10u + (unsigned)(*p - '0');
			p++;
			digits++;
		}
		if (digits == 0 || z < 1 || z > HUB_ALARM_ZONES || (*p >= '0' && *p <= '9'))
			return -1;
		m |= (uint64_t)1 << (z - 1);
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		if (*p++ != ',')
			return -1;
	}
	*mask = m;
	return 0;
}

int
hub_alarm_config_check(const struct hub_config *c, struct pt_errbuf *err)
{
	uint64_t entry, interior;
	int st;

	if (strcmp(c->alarm_driver, "none") != 0 && hub_alarm_find(c->alarm_driver) == NULL) {
		(void)snprintf(err->msg, sizeof(err->msg),
			       "alarm.driver: '%.20s' is not none, sim, mqtt or envisalink",
			       c->alarm_driver);
		return -1;
	}
	if (hub_alarm_zones_parse(c->alarm_entry_zones, &entry) != 0) {
		(void)snprintf(err->msg, sizeof(err->msg),
			       "alarm.entry_zones: '%.64s' is not a list of zones 1..%d", c->alarm_entry_zones,
			       HUB_ALARM_ZONES);
		return -1;
	}
	if (hub_alarm_zones_parse(c->alarm_interior_zones, &interior) != 0) {
		(void)snprintf(err->msg, sizeof(err->msg),
			       "alarm.interior_zones: '%.64s' is not a list of zones 1..%d",
			       c->alarm_interior_zones, HUB_ALARM_ZONES);
		return -1;
	}
	if ((entry & interior) != 0) {
		(void)snprintf(err->msg, sizeof(err->msg),
			       "alarm: a zone is both an entry zone and an interior zone");
		return -1;
	}
	if (strcmp(c->alarm_driver, "none") != 0 && entry == 0) {
		(void)snprintf(err->msg, sizeof(err->msg),
			       "alarm.entry_zones: a panel needs at least one entry zone (the door's)");
		return -1;
	}
	if (strcmp(c->alarm_cannot_bypass, "refuse") != 0 && strcmp(c->alarm_cannot_bypass, "ask") != 0) {
		(void)snprintf(err->msg, sizeof(err->msg),
			       "alarm.cannot_bypass: '%.20s' is not refuse or ask", c->alarm_cannot_bypass);
		return -1;
	}
	st = hub_alarm_state_parse(c->alarm_sim_state);
	if (st != HUB_ALARM_DISARMED && st != HUB_ALARM_ARMED_HOME && st != HUB_ALARM_ARMED_AWAY) {
		(void)snprintf(err->msg, sizeof(err->msg),
			       "alarm.sim_state: '%.20s' is not disarmed, armed_home or armed_away",
			       c->alarm_sim_state);
		return -1;
	}
	return 0;
}
