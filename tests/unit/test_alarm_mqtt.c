/*
 * tests/unit/test_alarm_mqtt.c: Home Assistant / Alarmo alarm payloads
 * (porter/alarm_mqtt.h): state words, commands, Alarmo events, sensor
 * payloads, the zone map; malformed and oversized input.
 */
#include <stdint.h>
#include <string.h>

#include "porter/alarm_mqtt.h"
#include "t.h"

#define B(s) (const uint8_t *)(s), strlen(s)

static void
test_state(void)
{
	int s;

	T_EQ(pt_amq_state_decode(B("armed_away"), &s), PT_OK, "armed_away");
	T_EQ(s, PT_AMQ_ARMED_AWAY, "is armed away");
	T_EQ(pt_amq_state_decode(B("disarmed\n"), &s), PT_OK, "a trailing newline");
	T_EQ(s, PT_AMQ_DISARMED, "is disarmed");
	T_EQ(pt_amq_state_decode(B("pending"), &s), PT_OK, "pending");
	T_EQ(s, PT_AMQ_PENDING, "entry delay");
	T_EQ(pt_amq_state_decode(B("arming"), &s), PT_OK, "arming");
	T_EQ(pt_amq_state_decode(B("triggered"), &s), PT_OK, "triggered");
	T_EQ(s, PT_AMQ_TRIGGERED, "is triggered");
	T_EQ(pt_amq_state_decode(B("armed_custom_bypass"), &s), PT_OK, "custom bypass");
	T_EQ(pt_amq_state_decode(B("unavailable"), &s), PT_OK, "unavailable");
	T_EQ(s, PT_AMQ_UNKNOWN, "is unknown");
	T_EQ(pt_amq_state_decode(B("ARMED_AWAY"), &s), PT_EMALFORMED, "upper case refused");
	T_EQ(pt_amq_state_decode(B("armed"), &s), PT_EMALFORMED, "a prefix refused");
	T_EQ(pt_amq_state_decode(B("armed_away "), &s), PT_EMALFORMED, "a trailing space refused");
	T_EQ(pt_amq_state_decode(B(""), &s), PT_EMALFORMED, "empty refused");
	T_EQ(pt_amq_state_decode((const uint8_t *)"armed_away", PT_AMQ_PAYLOAD_MAX + 1, &s),
	     PT_ETOOBIG, "oversized refused before reading");
	T_OK(strcmp(pt_amq_state_name(PT_AMQ_ARMED_HOME), "armed_home") == 0, "names");
	T_OK(pt_amq_state_name(99) == NULL, "name out of range");
}

static void
test_command(void)
{
	uint8_t out[PT_AMQ_COMMAND_MAX];
	size_t n;

	T_EQ(pt_amq_command_encode(PT_AMQ_PLAIN, PT_AMQ_ARM_AWAY, NULL, 0, NULL, 0, out,
				   sizeof(out), &n), PT_OK, "plain ARM_AWAY");
	T_OK(n == 8 && memcmp(out, "ARM_AWAY", 8) == 0, "ARM_AWAY");
	T_EQ(pt_amq_command_encode(PT_AMQ_PLAIN, PT_AMQ_TRIGGER, NULL, 0, NULL, 0, out,
				   sizeof(out), &n), PT_OK, "plain TRIGGER");
	T_EQ(pt_amq_command_encode(PT_AMQ_PLAIN, PT_AMQ_DISARM, "1234", 4, NULL, 0, out,
				   sizeof(out), &n), PT_EINVAL, "plain cannot carry a code");
	T_EQ(pt_amq_command_encode(PT_AMQ_JSON_HA, PT_AMQ_DISARM, "1234", 4, NULL, 0, out,
				   sizeof(out), &n), PT_OK, "HA JSON with code");
	T_OK(n == strlen("{\"action\":\"DISARM\",\"code\":\"1234\"}") &&
	     memcmp(out, "{\"action\":\"DISARM\",\"code\":\"1234\"}", n) == 0, "HA JSON bytes");
	T_EQ(pt_amq_command_encode(PT_AMQ_JSON_ALARMO, PT_AMQ_ARM_HOME, "12\"4", 4, "house", 5,
				   out, sizeof(out), &n), PT_OK, "Alarmo JSON, code with a quote");
	T_OK(n == strlen("{\"command\":\"ARM_HOME\",\"code\":\"12\\\"4\",\"area\":\"house\"}") &&
	     memcmp(out, "{\"command\":\"ARM_HOME\",\"code\":\"12\\\"4\",\"area\":\"house\"}", n) == 0,
	     "Alarmo JSON bytes, quote escaped");
	T_EQ(pt_amq_command_encode(PT_AMQ_JSON_ALARMO, PT_AMQ_TRIGGER, NULL, 0, NULL, 0, out,
				   sizeof(out), &n), PT_EUNSUPPORTED, "Alarmo has no TRIGGER");
	T_EQ(pt_amq_command_encode(PT_AMQ_JSON_HA, PT_AMQ_ARM_AWAY, "1\n", 2, NULL, 0, out,
				   sizeof(out), &n), PT_EINVAL, "a control character in the code");
	T_EQ(pt_amq_command_encode(PT_AMQ_JSON_HA, PT_AMQ_ARM_AWAY, "1234", 4, NULL, 0, out, 20,
				   &n), PT_ENOSPC, "short buffer");
	T_EQ(n, 0, "nothing on ENOSPC");
	T_EQ(pt_amq_command_encode(PT_AMQ_JSON_HA, 9, NULL, 0, NULL, 0, out, sizeof(out), &n),
	     PT_EINVAL, "unknown command");
}

static void
test_event(void)
{
	struct pt_amq_event ev;

	T_EQ(pt_amq_event_decode(B("{\"event\":\"ARM_AWAY\",\"delay\":30}"), &ev), PT_OK, "ARM_AWAY");
	T_OK(ev.kind == PT_AMQ_EV_ARM && ev.state == PT_AMQ_ARMED_AWAY && ev.has_delay &&
	     ev.delay == 30, "arm away, 30 s");
	T_EQ(pt_amq_event_decode(B("{\"event\":\"FAILED_TO_ARM\",\"sensors\":[{\"entity_id\":"
				   "\"binary_sensor.door\",\"name\":\"Door\"}]}"), &ev), PT_OK,
	     "FAILED_TO_ARM");
	T_OK(ev.kind == PT_AMQ_EV_FAILED_TO_ARM && ev.sensors == 1, "one open sensor");
	T_EQ(pt_amq_event_decode(B("{\"event\":\"INVALID_CODE_PROVIDED\"}"), &ev), PT_OK, "invalid code");
	T_EQ(ev.kind, PT_AMQ_EV_INVALID_CODE, "kind");
	T_EQ(pt_amq_event_decode(B("{\"event\":\"COMMAND_NOT_ALLOWED\",\"state\":\"triggered\","
				   "\"command\":\"ARM_AWAY\"}"), &ev), PT_OK, "not allowed");
	T_EQ(ev.kind, PT_AMQ_EV_COMMAND_NOT_ALLOWED, "kind");
	T_EQ(pt_amq_event_decode(B("{\"event\":\"SOMETHING_NEW\"}"), &ev), PT_OK, "unknown event");
	T_OK(ev.kind == PT_AMQ_EV_OTHER && strcmp(ev.name, "SOMETHING_NEW") == 0, "other, named");
	T_EQ(pt_amq_event_decode(B("{\"event\":7}"), &ev), PT_EMALFORMED, "event not a string");
	T_EQ(pt_amq_event_decode(B("{}"), &ev), PT_EMALFORMED, "no event");
	T_EQ(pt_amq_event_decode(B("[\"event\"]"), &ev), PT_EMALFORMED, "not an object");
	T_EQ(pt_amq_event_decode(B("{\"event\":\"TRIGGER\",\"delay\":-1}"), &ev), PT_EMALFORMED,
	     "negative delay");
	T_EQ(pt_amq_event_decode(B("{\"event\":\"TRIGGER\",\"sensors\":[1]}"), &ev), PT_EMALFORMED,
	     "sensor not an object");
	T_EQ(pt_amq_event_decode(B("{\"event\":\"A\",\"event\":\"B\"}"), &ev), PT_EMALFORMED,
	     "duplicate keys refused");
	T_EQ(pt_amq_event_decode(B("{\"event\":\"ARM_AWAY\"} x"), &ev), PT_EMALFORMED,
	     "trailing bytes refused");
	T_EQ(pt_amq_event_decode(B("{\"event\":\"A\\u0000B\"}"), &ev), PT_EMALFORMED,
	     "a NUL inside the word refused");
	T_EQ(ev.kind, 0, "output zeroed");
}

static void
test_sensor(void)
{
	bool known, f;

	T_EQ(pt_amq_sensor_decode(B("{\"contact\":false,\"battery\":90}"), &known, &f), PT_OK,
	     "z2m contact false");
	T_OK(known && f, "contact false = open");
	T_EQ(pt_amq_sensor_decode(B("{\"contact\":true}"), &known, &f), PT_OK, "contact true");
	T_OK(known && !f, "shut");
	T_EQ(pt_amq_sensor_decode(B("{\"occupancy\":true}"), &known, &f), PT_OK, "occupancy");
	T_OK(known && f, "motion");
	T_EQ(pt_amq_sensor_decode(B("{\"battery\":90}"), &known, &f), PT_OK, "battery only");
	T_OK(!known, "says nothing");
	T_EQ(pt_amq_sensor_decode(B("{\"state\":\"ON\"}"), &known, &f), PT_OK, "state ON");
	T_OK(known && f, "on");
	T_EQ(pt_amq_sensor_decode(B("OFF"), &known, &f), PT_OK, "plain OFF");
	T_OK(known && !f, "off");
	T_EQ(pt_amq_sensor_decode(B("open"), &known, &f), PT_OK, "plain open");
	T_OK(known && f, "open");
	T_EQ(pt_amq_sensor_decode(B("{\"contact\":\"false\"}"), &known, &f), PT_EMALFORMED,
	     "contact as a string refused");
	T_EQ(pt_amq_sensor_decode(B("maybe"), &known, &f), PT_EMALFORMED, "unknown word");
	T_EQ(pt_amq_sensor_decode(B("{\"contact\":"), &known, &f), PT_EMALFORMED, "broken JSON");
	T_OK(!known && !f, "outputs cleared");
}

static void
test_zones(void)
{
	struct pt_amq_zone z[4];
	char why[128];
	size_t n;

	T_EQ(pt_amq_zones_parse("1=zigbee2mqtt/front_door, 3=zigbee2mqtt/hall pir", z, 4, &n, why,
				sizeof(why)), PT_OK, "two zones");
	T_OK(n == 2 && z[0].zone == 1 && strcmp(z[0].topic, "zigbee2mqtt/front_door") == 0 &&
	     z[1].zone == 3 && strcmp(z[1].topic, "zigbee2mqtt/hall pir") == 0, "parsed");
	T_EQ(pt_amq_zones_parse("", z, 4, &n, why, sizeof(why)), PT_OK, "empty");
	T_EQ(n, 0, "no zones");
	T_EQ(pt_amq_zones_parse("0=a", z, 4, &n, why, sizeof(why)), PT_EINVAL, "zone 0");
	T_EQ(pt_amq_zones_parse("65=a", z, 4, &n, why, sizeof(why)), PT_EINVAL, "zone 65");
	T_EQ(pt_amq_zones_parse("1=a/#", z, 4, &n, why, sizeof(why)), PT_EINVAL, "a wildcard");
	T_EQ(pt_amq_zones_parse("1=a,1=b", z, 4, &n, why, sizeof(why)), PT_EINVAL, "a duplicate");
	T_EQ(pt_amq_zones_parse("1=", z, 4, &n, why, sizeof(why)), PT_EINVAL, "empty topic");
	T_EQ(pt_amq_zones_parse("x=a", z, 4, &n, why, sizeof(why)), PT_EINVAL, "not a number");
	T_EQ(pt_amq_zones_parse("1=a,2=b,3=c", z, 2, &n, why, sizeof(why)), PT_EINVAL, "too many");
	T_OK(why[0] != '\0', "says why: %s", why);
}

int
main(void)
{
	test_state();
	test_command();
	test_event();
	test_sensor();
	test_zones();
	return t_done();
}
