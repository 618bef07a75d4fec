/*
 * libFuzzer target for the MQTT alarm panel payloads (lib/proto/
 * alarm_mqtt.c, porter/alarm_mqtt.h): what Home Assistant, Alarmo and
 * Zigbee2MQTT publish to the hub's mqtt alarm driver.
 *
 * Every input goes through the state, event and sensor decoders, and, as
 * a NUL-terminated string, through the zone map parser.
 *
 * Properties checked (a break is __builtin_trap()):
 *   - each decoder answers PT_OK, PT_EMALFORMED or PT_ETOOBIG; a refused
 *     state comes back PT_AMQ_UNKNOWN, a refused event zeroed, a refused
 *     sensor neither known nor faulted;
 *   - an accepted state is in range and its name, written back with the
 *     command-free state encoder (the name table), is the input bar a
 *     trailing newline ("unavailable" aside);
 *   - an accepted event has a kind in range, a printable name, a delay in
 *     0..86400 and at most PT_AMQ_SENSORS_MAX sensors;
 *   - a parsed zone map has zones in 1..64, distinct, topics valid.
 *
 * Seed corpus: fuzz/corpus/alarm_mqtt/.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "porter/alarm_mqtt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x) do { if (!(x)) __builtin_trap(); } while (0)

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct pt_amq_event zero_ev;
	struct pt_amq_zone z[8];
	struct pt_amq_event ev;
	char why[128], *s;
	bool known, faulted;
	size_t n, i, j, len;
	int r, st;

	r = pt_amq_state_decode(data, size, &st);
	CHECK(r == PT_OK || r == PT_EMALFORMED || r == PT_ETOOBIG);
	if (r != PT_OK) {
		CHECK(st == PT_AMQ_UNKNOWN);
	} else {
		const char *name = pt_amq_state_name(st);
		CHECK(name != NULL);
		len = size;
		if (len > 0 && data[len - 1] == '\n')
			len--;
		if (len > 0 && data[len - 1] == '\r')
			len--;
		CHECK((len == strlen(name) && memcmp(data, name, len) == 0) ||
		      (st == PT_AMQ_UNKNOWN && len == 11 && memcmp(data, "unavailable", 11) == 0));
	}

	r = pt_amq_event_decode(data, size, &ev);
	CHECK(r == PT_OK || r == PT_EMALFORMED || r == PT_ETOOBIG);
	if (r != PT_OK) {
		CHECK(memcmp(&ev, &zero_ev, sizeof(ev)) == 0);
	} else {
		CHECK(ev.kind >= PT_AMQ_EV_OTHER && ev.kind <= PT_AMQ_EV_NO_CODE);
		CHECK(ev.name[0] != '\0' && strlen(ev.name) < sizeof(ev.name));
		for (i = 0; ev.name[i] != '\0'; i++)	/* printable ASCII: it is logged */
			CHECK((unsigned char)ev.name[i] >= 0x20 && (unsigned char)ev.name[i] <= 0x7e);
		CHECK(ev.delay <= 86400 && ev.sensors <= PT_AMQ_SENSORS_MAX);
		CHECK(pt_amq_state_name(ev.state) != NULL);
	}

	r = pt_amq_sensor_decode(data, size, &known, &faulted);
	CHECK(r == PT_OK || r == PT_EMALFORMED || r == PT_ETOOBIG);
	if (r != PT_OK)
		CHECK(!known && !faulted);
	if (!known)
		CHECK(!faulted);

	if (size > 4096)
		return 0;
	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	r = pt_amq_zones_parse(s, z, sizeof(z) / sizeof(z[0]), &n, why, sizeof(why));
	CHECK(r == PT_OK || r == PT_EINVAL);
	if (r == PT_OK) {
		CHECK(n <= sizeof(z) / sizeof(z[0]));
		for (i = 0; i < n; i++) {
			CHECK(z[i].zone >= 1 && z[i].zone <= PT_AMQ_ZONES);
			CHECK(pt_amq_topic_is_valid(z[i].topic, strlen(z[i].topic)));
			for (j = 0; j < i; j++)
				CHECK(z[i].zone != z[j].zone);
		}
	} else {
		CHECK(n == 0 && why[0] != '\0');
	}
	free(s);
	return 0;
}
