/*
 * libFuzzer target for Zigbee2MQTT's messages (lib/proto/z2m.c,
 * porter/z2m.h): every input is decoded as a device state report and as
 * an availability / bridge state payload, and used as a friendly name.
 *
 * Properties checked (a break is __builtin_trap()):
 *   - the report decoder answers PT_OK, PT_ETOOBIG or PT_EMALFORMED, and a
 *     refusal leaves the output zeroed; an accepted report's fields are in
 *     their enums and pt_z2m_report_bolt answers -1, 0 or 1;
 *   - over PT_Z2M_PAYLOAD_MAX bytes both decoders answer PT_ETOOBIG;
 *   - the availability decoder answers PT_OK or a refusal with *online
 *     false; the two legacy words are the only non-JSON inputs accepted;
 *   - a name accepted by pt_z2m_name_is_valid builds its topics, and the
 *     built topic is exactly base "/" name suffix; a refused one does not.
 *
 * Seed corpus (fuzz/corpus/z2m/): real-looking Z2M payloads written by
 * the unit test:
 *     PORTER_Z2M_CORPUS=fuzz/corpus/z2m build/tests/test_z2m
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "porter/z2m.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(bool cond)
{
	if (!cond)
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pt_z2m_report r;
	char name[PT_Z2M_NAME_MAX + 2], t[PT_Z2M_TOPIC_CAP];
	bool online = true;
	size_t len;
	int rc;

	rc = pt_z2m_report_decode(data, size, &r);
	check(rc == PT_OK || rc == PT_ETOOBIG || rc == PT_EMALFORMED);
	if (rc != PT_OK) {
		check(r.state == 0 && r.lock_state == 0 && r.contact == 0 && r.occupancy == 0);
	} else {
		check(r.state <= PT_Z2M_STATE_OTHER && r.lock_state <= PT_Z2M_LOCK_NOT_FULLY);
		check(r.contact <= PT_Z2M_TRUE && r.occupancy <= PT_Z2M_TRUE);
		rc = pt_z2m_report_bolt(&r);
		check(rc >= -1 && rc <= 1);
	}
	if (size > PT_Z2M_PAYLOAD_MAX)
		check(pt_z2m_report_decode(data, size, &r) == PT_ETOOBIG);

	rc = pt_z2m_avail_decode(data, size, &online);
	check(rc == PT_OK || rc == PT_ETOOBIG || rc == PT_EMALFORMED);
	if (rc != PT_OK)
		check(!online);
	if (rc == PT_OK && size > 0 && data[0] != '{' && data[0] != ' ' && data[0] != '\t' &&
	    data[0] != '\n' && data[0] != '\r')
		check((size == 6 && memcmp(data, "online", 6) == 0 && online) ||
		      (size == 7 && memcmp(data, "offline", 7) == 0 && !online));

	if (size <= PT_Z2M_NAME_MAX && memchr(data, 0, size) == NULL) {
		memcpy(name, data, size);
		name[size] = '\0';
		rc = pt_z2m_topic_build("zigbee2mqtt", name, "/set", t, sizeof(t), &len);
		if (pt_z2m_name_is_valid(name, size)) {
			check(rc == PT_OK && len == 12 + size + 4);
			check(memcmp(t, "zigbee2mqtt/", 12) == 0 && memcmp(t + 12, name, size) == 0 &&
			      strcmp(t + 12 + size, "/set") == 0);
		} else {
			check(rc == PT_EINVAL && len == 0);
		}
	}
	return 0;
}
