/*
 * daemons/hub/alarm.c: the alarm panel drivers' registry and names
 * (hub.h, "the alarm panel").
 */
#include <stddef.h>
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
