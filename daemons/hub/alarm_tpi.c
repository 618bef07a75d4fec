/*
 * daemons/hub/alarm_tpi.c: the "envisalink" alarm panel driver (not written yet:
 * open fails).
 */
#include <stdio.h>

#include "hub.h"

static int
tpi_open(const struct hub_config *cfg, const struct hub_alarm_sink *sink, void **drv,
	struct pt_errbuf *err)
{
	(void)cfg;
	(void)sink;
	*drv = NULL;
	(void)snprintf(err->msg, sizeof(err->msg), "alarm driver 'envisalink' is not implemented yet");
	return -1;
}

const struct hub_alarm_ops hub_alarm_tpi = {
	.name = "envisalink",
	.open = tpi_open,
};
