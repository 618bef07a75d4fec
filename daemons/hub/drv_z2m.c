/*
 * daemons/hub/drv_z2m.c: the "zigbee2mqtt" driver (not written yet: open fails).
 */
#include <stdio.h>

#include "hub.h"

static int
z2m_open(const struct hub_config *cfg, unsigned roles, const struct hub_drv_sink *sink, void **drv,
	struct pt_errbuf *err)
{
	(void)cfg;
	(void)roles;
	(void)sink;
	*drv = NULL;
	(void)snprintf(err->msg, sizeof(err->msg), "driver 'zigbee2mqtt' is not implemented yet");
	return -1;
}

const struct hub_drv_ops hub_drv_z2m = {
	.name = "zigbee2mqtt",
	.open = z2m_open,
};
