/*
 * tests/unit/test_z2m.c: Zigbee2MQTT's messages (lib/proto/z2m.c): real
 * payloads as Z2M publishes them, and what is refused, both ways.
 *
 * With PORTER_Z2M_CORPUS=DIR it also writes the accepted samples there
 * (the seed corpus of fuzz/fuzz_z2m.c):
 *     PORTER_Z2M_CORPUS=fuzz/corpus/z2m build/tests/test_z2m
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "porter/z2m.h"
#include "t.h"

static int
rep(const char *s, struct pt_z2m_report *r)
{
	return pt_z2m_report_decode((const uint8_t *)s, strlen(s), r);
}

static int
avail(const char *s, bool *on)
{
	return pt_z2m_avail_decode((const uint8_t *)s, strlen(s), on);
}

static void
corpus(const char *name, const char *s)
{
	const char *dir = getenv("PORTER_Z2M_CORPUS");
	char path[512];
	FILE *f;

	if (dir == NULL)
		return;
	(void)snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "wb")) != NULL) {
		fwrite(s, 1, strlen(s), f);
		fclose(f);
	}
}

static void
test_lock(void)
{
	struct pt_z2m_report r;
	/* A Yale / Danalock state report as Z2M publishes it. */
	const char *locked = "{\"battery\":87,\"linkquality\":120,\"lock_state\":\"locked\","
			     "\"state\":\"LOCK\",\"action\":\"\",\"auto_relock\":false}";
	const char *unlocked = "{\"battery\":87,\"linkquality\":116,\"lock_state\":\"unlocked\","
			       "\"state\":\"UNLOCK\"}";
	const char *jam = "{\"lock_state\":\"not_fully_locked\",\"state\":\"UNLOCK\"}";

	T_EQ(rep(locked, &r), PT_OK, "lock report: locked decodes");
	T_EQ(r.lock_state, PT_Z2M_LOCK_LOCKED, "lock_state locked");
	T_EQ(r.state, PT_Z2M_STATE_LOCK, "state LOCK");
	T_EQ(pt_z2m_report_bolt(&r), 1, "bolt thrown");
	T_EQ(r.contact, PT_Z2M_ABSENT, "no contact in a lock report");
	corpus("lock_locked", locked);
	T_EQ(rep(unlocked, &r), PT_OK, "lock report: unlocked decodes");
	T_EQ(pt_z2m_report_bolt(&r), 0, "bolt drawn");
	corpus("lock_unlocked", unlocked);
	T_EQ(rep(jam, &r), PT_OK, "lock report: not_fully_locked decodes");
	T_EQ(r.lock_state, PT_Z2M_LOCK_NOT_FULLY, "not_fully_locked");
	T_EQ(pt_z2m_report_bolt(&r), 0, "not fully locked counts as drawn");
	corpus("lock_jammed", jam);
	T_EQ(rep("{\"state\":\"LOCK\"}", &r), PT_OK, "state alone");
	T_EQ(pt_z2m_report_bolt(&r), 1, "state LOCK alone: thrown");
	T_EQ(rep("{\"state\":\"UNLOCK\",\"lock_state\":\"locked\"}", &r), PT_OK, "both, disagreeing");
	T_EQ(pt_z2m_report_bolt(&r), 1, "lock_state (the sensed bolt) wins over state");
	T_EQ(rep("{\"state\":\"ON\",\"brightness\":200}", &r), PT_OK, "a lamp's report decodes");
	T_EQ(r.state, PT_Z2M_STATE_OTHER, "state ON is OTHER");
	T_EQ(pt_z2m_report_bolt(&r), -1, "... and says nothing about a bolt");
	T_EQ(rep("{\"battery\":50}", &r), PT_OK, "a battery-only report");
	T_EQ(pt_z2m_report_bolt(&r), -1, "battery only: nothing about the bolt");
	T_EQ(rep("{\"state\":\"lock\"}", &r), PT_OK, "lower-case lock decodes ...");
	T_EQ(pt_z2m_report_bolt(&r), -1, "... but is not LOCK (exact words only)");
}

static void
test_sensors(void)
{
	struct pt_z2m_report r;
	/* Aqara MCCGQ11LM door sensor, and an IKEA / Aqara motion sensor. */
	const char *shut = "{\"battery\":100,\"contact\":true,\"device_temperature\":22,"
			   "\"linkquality\":90,\"power_outage_count\":3,\"voltage\":3025}";
	const char *open = "{\"battery\":100,\"contact\":false,\"linkquality\":87,\"voltage\":3025}";
	const char *motion = "{\"battery\":74,\"illuminance\":12,\"linkquality\":60,\"occupancy\":true}";

	T_EQ(rep(shut, &r), PT_OK, "contact sensor report decodes");
	T_EQ(r.contact, PT_Z2M_TRUE, "contact true (Z2M: closed)");
	corpus("contact_closed", shut);
	T_EQ(rep(open, &r), PT_OK, "contact false decodes");
	T_EQ(r.contact, PT_Z2M_FALSE, "contact false (Z2M: open)");
	corpus("contact_open", open);
	T_EQ(rep(motion, &r), PT_OK, "occupancy report decodes");
	T_EQ(r.occupancy, PT_Z2M_TRUE, "occupancy true");
	corpus("occupancy", motion);
	T_EQ(rep("{\"occupancy\":false}", &r), PT_OK, "occupancy false");
	T_EQ(r.occupancy, PT_Z2M_FALSE, "occupancy false is FALSE");
}

static void
test_refused(void)
{
	static const char *const bad[] = {
		"",
		"[]",
		"\"online\"",
		"{\"contact\":\"true\"}",		/* a string, not a boolean */
		"{\"contact\":1}",
		"{\"contact\":null}",
		"{\"occupancy\":\"yes\"}",
		"{\"state\":1}",
		"{\"state\":null}",
		"{\"lock_state\":\"open\"}",		/* not one of Z2M's three words */
		"{\"lock_state\":true}",
		"{\"contact\":true,\"contact\":false}",	/* duplicate key */
		"{\"state\":\"LOCK\"",			/* cut short */
		"{\"state\":\"LO\\u0000CK\"}",		/* NUL inside */
		"{} {}",
	};
	struct pt_z2m_report r;
	size_t i;
	char *big;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&r, 0xaa, sizeof(r));
		T_EQ(rep(bad[i], &r), PT_EMALFORMED, "refused: %s", bad[i]);
		T_OK(r.state == 0 && r.lock_state == 0 && r.contact == 0 && r.occupancy == 0,
		     "  ... and the output is zeroed");
	}
	big = malloc(PT_Z2M_PAYLOAD_MAX + 2);
	memset(big, ' ', PT_Z2M_PAYLOAD_MAX + 1);
	big[0] = '{';
	big[PT_Z2M_PAYLOAD_MAX - 1] = '}';
	T_EQ(pt_z2m_report_decode((const uint8_t *)big, PT_Z2M_PAYLOAD_MAX, &r), PT_OK,
	     "a report of exactly PT_Z2M_PAYLOAD_MAX bytes is read");
	big[PT_Z2M_PAYLOAD_MAX - 1] = ' ';
	big[PT_Z2M_PAYLOAD_MAX] = '}';
	T_EQ(pt_z2m_report_decode((const uint8_t *)big, PT_Z2M_PAYLOAD_MAX + 1, &r), PT_ETOOBIG,
	     "one byte more: too big");
	free(big);
}

static void
test_avail(void)
{
	bool on = true;

	T_EQ(avail("online", &on), PT_OK, "legacy availability: online");
	T_OK(on, "  ... online");
	T_EQ(avail("offline", &on), PT_OK, "legacy availability: offline");
	T_OK(!on, "  ... offline");
	T_EQ(avail("{\"state\":\"online\"}", &on), PT_OK, "JSON availability: online");
	T_OK(on, "  ... online");
	corpus("avail_json_online", "{\"state\":\"online\"}");
	corpus("avail_legacy_offline", "offline");
	T_EQ(avail("{\"state\":\"offline\"}", &on), PT_OK, "JSON availability: offline");
	T_OK(!on, "  ... offline");
	on = true;
	T_EQ(avail("Online", &on), PT_EMALFORMED, "exact words only: Online refused");
	T_OK(!on, "  ... and not online");
	T_EQ(avail("online ", &on), PT_EMALFORMED, "trailing space refused");
	T_EQ(avail("{\"state\":true}", &on), PT_EMALFORMED, "JSON state not a string: refused");
	T_EQ(avail("{\"status\":\"online\"}", &on), PT_EMALFORMED, "no state key: refused");
	T_EQ(avail("{\"state\":\"online\",\"state\":\"offline\"}", &on), PT_EMALFORMED,
	     "duplicate state: refused");
	T_EQ(avail("", &on), PT_EMALFORMED, "empty: refused");
}

static void
test_encode_topics(void)
{
	char buf[64], t[PT_Z2M_TOPIC_CAP];
	size_t len;

	T_EQ(pt_z2m_set_encode(false, buf, sizeof(buf), &len), PT_OK, "UNLOCK command");
	T_OK(len == 18 && memcmp(buf, "{\"state\":\"UNLOCK\"}", len) == 0, "  ... {\"state\":\"UNLOCK\"}");
	T_EQ(pt_z2m_set_encode(true, buf, sizeof(buf), &len), PT_OK, "LOCK command");
	T_OK(len == 16 && memcmp(buf, "{\"state\":\"LOCK\"}", len) == 0, "  ... {\"state\":\"LOCK\"}");
	T_EQ(pt_z2m_set_encode(true, buf, 15, &len), PT_ENOSPC, "LOCK into 15 bytes: no space");
	T_EQ(pt_z2m_get_encode(buf, sizeof(buf), &len), PT_OK, "read request");
	T_OK(len == 12 && memcmp(buf, "{\"state\":\"\"}", len) == 0, "  ... {\"state\":\"\"}");

	T_EQ(pt_z2m_topic_build("zigbee2mqtt", "Front door/lock", "/set", t, sizeof(t), &len), PT_OK,
	     "a name with a space and a slash");
	T_OK(strcmp(t, "zigbee2mqtt/Front door/lock/set") == 0, "  ... %s", t);
	T_EQ(pt_z2m_topic_build("z2m", NULL, "", t, sizeof(t), &len), PT_OK, "the bridge state");
	T_OK(strcmp(t, "z2m/bridge/state") == 0, "  ... %s", t);
	T_EQ(pt_z2m_topic_build("z2m", "door", "/availability", t, sizeof(t), &len), PT_OK,
	     "availability");
	T_OK(strcmp(t, "z2m/door/availability") == 0 && len == strlen(t), "  ... %s", t);
	T_EQ(pt_z2m_topic_build("z2m", "door", "/other", t, sizeof(t), &len), PT_EINVAL,
	     "another suffix: refused");
	T_EQ(pt_z2m_topic_build("z2m", "door", "", t, 8, &len), PT_ENOSPC, "no space");
	T_OK(!pt_z2m_name_is_valid("a/+/b", 5), "name with +: invalid");
	T_OK(!pt_z2m_name_is_valid("#", 1), "name #: invalid");
	T_OK(!pt_z2m_name_is_valid("bridge", 6), "bridge: invalid");
	T_OK(!pt_z2m_name_is_valid("bridge/state", 12), "bridge/...: invalid");
	T_OK(pt_z2m_name_is_valid("bridges", 7), "bridges: valid");
	T_OK(!pt_z2m_name_is_valid("lock/set", 8), "ending in /set: invalid");
	T_OK(!pt_z2m_name_is_valid("/lock", 5), "leading /: invalid");
	T_OK(!pt_z2m_name_is_valid("a//b", 4), "double /: invalid");
	T_OK(!pt_z2m_name_is_valid("a\nb", 3), "control character: invalid");
	T_OK(!pt_z2m_name_is_valid("", 0), "empty: invalid");
	memset(buf, 'a', sizeof(buf));
	T_OK(pt_z2m_name_is_valid(buf, 64), "64 letters: valid");
	T_OK(!pt_z2m_base_is_valid("z2m/#", 5), "base with #: invalid");
}

int
main(void)
{
	test_lock();
	test_sensors();
	test_refused();
	test_avail();
	test_encode_topics();
	return t_done();
}
