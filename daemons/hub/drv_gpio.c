/*
 * daemons/hub/drv_gpio.c: the "gpio" driver (not written yet: open fails).
 */
#include <stdio.h>

#include "hub.h"

static int
gpio_open(const struct hub_config *cfg, unsigned roles, const struct hub_drv_sink *sink, void **drv,
	struct pt_errbuf *err)
{
	(void)cfg;
	(void)roles;
	(void)sink;
	*drv = NULL;
	(void)snprintf(err->msg, sizeof(err->msg), "driver 'gpio' is not implemented yet");
	return -1;
}

const struct hub_drv_ops hub_drv_gpio = {
	.name = "gpio",
	.open = gpio_open,
};
