/*
 * tests/unit/test_tpi.c: the EnvisaLink TPI (DSC) line codec
 * (porter/tpi.h): checksums against the document's and the EnvisaLink
 * forum's worked examples, every message the hub acts on, malformed and
 * oversized lines, the stream scanner.
 */
#include <stdint.h>
#include <string.h>

#include "porter/tpi.h"
#include "t.h"

static int
dec(const char *s, struct pt_tpi_msg *m)
{
	return pt_tpi_decode((const uint8_t *)s, strlen(s), m);
}

/* Build "CCC" + data + checksum for a received line. */
static const char *
line(unsigned code, const char *data)
{
	static char buf[PT_TPI_LINE_MAX + 8];
	uint8_t out[PT_TPI_LINE_MAX + 8];
	size_t n = 0;

	if (pt_tpi_encode(code, data, strlen(data), out, sizeof(out), &n) != PT_OK || n < 2)
		return "";
	memcpy(buf, out, n - 2);
	buf[n - 2] = '\0';
	return buf;
}

static void
test_checksum(void)
{
	uint8_t out[64];
	size_t n;
	char ck[2];

	/* Worked examples (EnvisaLink forum, from Envisacor's test tool). */
	pt_tpi_checksum((const uint8_t *)"0321", 4, ck);
	T_OK(ck[0] == 'C' && ck[1] == '6', "checksum of 0321 is C6");
	pt_tpi_checksum((const uint8_t *)"500032", 6, ck);
	T_OK(ck[0] == '2' && ck[1] == 'A', "checksum of 500032 is 2A");
	pt_tpi_checksum((const uint8_t *)"900", 3, ck);
	T_OK(ck[0] == '9' && ck[1] == '9', "checksum of 900 is 99");
	pt_tpi_checksum((const uint8_t *)"2001234", 7, ck);
	T_OK(ck[0] == '5' && ck[1] == 'C', "checksum of 2001234 is 5C (sum 0x15C, modulo 256)");
	pt_tpi_checksum((const uint8_t *)"5053", 4, ck);
	T_OK(ck[0] == 'C' && ck[1] == 'D', "checksum of 5053 is CD (the login prompt)");
	pt_tpi_checksum((const uint8_t *)"005123456", 9, ck);
	T_OK(ck[0] == 'C' && ck[1] == 'A', "checksum of 005123456 is CA (sum 0x1CA)");

	T_EQ(pt_tpi_encode(30, "1", 1, out, sizeof(out), &n), PT_OK, "encode 030 1");
	T_OK(n == 8 && memcmp(out, "0301C4\r\n", 8) == 0, "030 1 is 0301C4 CR LF");
	T_EQ(pt_tpi_encode(0, NULL, 0, out, sizeof(out), &n), PT_OK, "encode poll");
	T_OK(n == 7 && memcmp(out, "00090\r\n", 7) == 0, "poll is 00090 CR LF");
	T_EQ(pt_tpi_encode(71, "1*105#", 6, out, sizeof(out), &n), PT_OK, "encode 071");
	T_OK(n == 13 && memcmp(out, "0711*105#", 9) == 0, "071 carries the keys");
	T_EQ(pt_tpi_encode(1000, "", 0, out, sizeof(out), &n), PT_EINVAL, "command 1000 refused");
	T_EQ(pt_tpi_encode(5, "us er", 5, out, sizeof(out), &n), PT_EINVAL, "a space in data refused");
	T_EQ(pt_tpi_encode(5, "a\r\n", 3, out, sizeof(out), &n), PT_EINVAL, "CR LF in data refused");
	T_EQ(pt_tpi_encode(5, "user", 4, out, 10, &n), PT_ENOSPC, "short buffer: ENOSPC");
	T_EQ(n, 0, "nothing written on ENOSPC");
	T_EQ(pt_tpi_encode(5, "user", 4, out, 11, &n), PT_OK, "exact buffer fits");
	{
		char big[PT_TPI_DATA_MAX + 2];
		uint8_t o[PT_TPI_DATA_MAX + 16];
		memset(big, 'A', sizeof(big));
		T_EQ(pt_tpi_encode(5, big, PT_TPI_DATA_MAX + 1, o, sizeof(o), &n), PT_EINVAL,
		     "data over PT_TPI_DATA_MAX refused");
		T_EQ(pt_tpi_encode(615, big, PT_TPI_DATA_MAX, o, sizeof(o), &n), PT_OK,
		     "data of PT_TPI_DATA_MAX taken");
	}
}

static void
test_messages(void)
{
	struct pt_tpi_msg m;

	T_EQ(dec("5053CD", &m), PT_OK, "505 3 decodes");
	T_OK(m.kind == PT_TPI_LOGIN_RESULT && m.login == 3, "login prompt");
	T_EQ(dec(line(505, "1"), &m), PT_OK, "505 1");
	T_EQ(m.login, 1, "login accepted");
	T_EQ(dec(line(505, "0"), &m), PT_OK, "505 0");
	T_EQ(m.login, 0, "login refused");
	T_EQ(dec(line(505, "4"), &m), PT_EMALFORMED, "505 4 refused");
	T_EQ(dec(line(505, "11"), &m), PT_EMALFORMED, "505 11 refused");

	T_EQ(dec("5000322A", &m), PT_OK, "500 032 (the forum's example)");
	T_OK(m.kind == PT_TPI_ACK && m.ack == 32, "ack of 032");
	T_EQ(dec(line(500, "0a0"), &m), PT_EMALFORMED, "500 with a letter refused");
	T_EQ(dec(line(501, ""), &m), PT_OK, "501");
	T_EQ(m.kind, PT_TPI_CMD_ERROR, "501 is a command error");
	T_EQ(dec(line(502, "024"), &m), PT_OK, "502 024");
	T_OK(m.kind == PT_TPI_SYS_ERROR && m.error == 24, "system error 24");
	T_EQ(dec(line(502, "24"), &m), PT_EMALFORMED, "502 of two digits refused");

	T_EQ(dec(line(609, "005"), &m), PT_OK, "609 005");
	T_OK(m.kind == PT_TPI_ZONE_OPEN && m.zone == 5 && m.on, "zone 5 open");
	T_EQ(dec(line(610, "064"), &m), PT_OK, "610 064");
	T_OK(m.kind == PT_TPI_ZONE_OPEN && m.zone == 64 && !m.on, "zone 64 restored");
	T_EQ(dec(line(609, "000"), &m), PT_EMALFORMED, "zone 0 refused");
	T_EQ(dec(line(609, "065"), &m), PT_EMALFORMED, "zone 65 refused");
	T_EQ(dec(line(609, "5"), &m), PT_EMALFORMED, "zone of one digit refused");
	T_EQ(dec(line(605, "012"), &m), PT_OK, "605");
	T_OK(m.kind == PT_TPI_ZONE_FAULT && m.on && m.zone == 12, "zone 12 fault");
	T_EQ(dec(line(606, "012"), &m), PT_OK, "606");
	T_OK(m.kind == PT_TPI_ZONE_FAULT && !m.on, "zone fault restore");
	T_EQ(dec(line(601, "1003"), &m), PT_OK, "601 1003");
	T_OK(m.kind == PT_TPI_ZONE_ALARM && m.partition == 1 && m.zone == 3 && m.on,
	     "zone alarm p1 z3");
	T_EQ(dec(line(602, "2003"), &m), PT_OK, "602");
	T_OK(m.kind == PT_TPI_ZONE_ALARM && m.partition == 2 && !m.on, "zone alarm restore p2");
	T_EQ(dec(line(603, "9003"), &m), PT_EMALFORMED, "partition 9 refused");
	T_EQ(dec(line(604, "1003"), &m), PT_OK, "604");
	T_OK(m.kind == PT_TPI_ZONE_TAMPER && !m.on, "tamper restore");

	T_EQ(dec(line(616, "0100000000000080"), &m), PT_OK, "616");
	T_OK(m.kind == PT_TPI_BYPASS_DUMP && m.bypassed == ((1ull << 0) | (1ull << 63)),
	     "616: zone 1 (byte 0 bit 0) and zone 64 (byte 7 bit 7)");
	T_EQ(dec(line(616, "1000000000000000"), &m), PT_OK, "616 zone 5");
	T_OK(m.bypassed == (1ull << 4), "byte 0 = 0x10 is zone 5");
	T_EQ(dec(line(616, "0002000000000000"), &m), PT_OK, "616 zone 10");
	T_OK(m.bypassed == (1ull << 9), "byte 1 = 0x02 is zone 10");
	T_EQ(dec(line(616, "00000000000000"), &m), PT_EMALFORMED, "616 short refused");
	T_EQ(dec(line(616, "000000000000000G"), &m), PT_EMALFORMED, "616 non-hex refused");

	T_EQ(dec(line(650, "1"), &m), PT_OK, "650");
	T_OK(m.kind == PT_TPI_PARTITION && m.pstate == PT_TPI_P_READY && m.partition == 1, "ready");
	T_EQ(dec(line(651, "1"), &m), PT_OK, "651");
	T_EQ(m.pstate, PT_TPI_P_NOT_READY, "not ready");
	T_EQ(dec(line(654, "1"), &m), PT_OK, "654");
	T_EQ(m.pstate, PT_TPI_P_ALARM, "in alarm");
	T_EQ(dec(line(655, "1"), &m), PT_OK, "655");
	T_EQ(m.pstate, PT_TPI_P_DISARMED, "disarmed");
	T_EQ(dec(line(656, "1"), &m), PT_OK, "656");
	T_EQ(m.pstate, PT_TPI_P_EXIT_DELAY, "exit delay");
	T_EQ(dec(line(657, "1"), &m), PT_OK, "657");
	T_EQ(m.pstate, PT_TPI_P_ENTRY_DELAY, "entry delay");
	T_EQ(dec(line(659, "1"), &m), PT_OK, "659");
	T_EQ(m.pstate, PT_TPI_P_ARM_FAILED, "failed to arm");
	T_EQ(dec(line(670, "1"), &m), PT_OK, "670");
	T_EQ(m.pstate, PT_TPI_P_INVALID_CODE, "invalid access code");
	T_EQ(dec(line(673, "1"), &m), PT_OK, "673");
	T_EQ(m.pstate, PT_TPI_P_BUSY, "busy");
	{
		static const unsigned all[] = {650, 651, 653, 654, 655, 656, 657, 658, 659,
					       670, 671, 672, 673, 674};
		for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
			T_EQ(dec(line(all[i], "8"), &m), PT_OK, "%u 8 decodes", all[i]);
			T_OK(m.kind == PT_TPI_PARTITION && m.pstate == all[i] && m.partition == 8,
			     "%u: partition 8, its state", all[i]);
			T_EQ(dec(line(all[i], "18"), &m), PT_EMALFORMED, "%u with 2 digits refused",
			     all[i]);
		}
	}
	T_EQ(dec(line(650, "0"), &m), PT_EMALFORMED, "partition 0 refused");
	T_EQ(dec(line(650, ""), &m), PT_EMALFORMED, "650 without partition refused");

	T_EQ(dec(line(652, "10"), &m), PT_OK, "652 10");
	T_OK(m.kind == PT_TPI_ARMED && m.partition == 1 && m.mode == PT_TPI_ARM_MODE_AWAY, "away");
	T_EQ(dec(line(652, "11"), &m), PT_OK, "652 11");
	T_EQ(m.mode, PT_TPI_ARM_MODE_STAY, "stay");
	T_EQ(dec(line(652, "13"), &m), PT_OK, "652 13");
	T_EQ(m.mode, PT_TPI_ARM_MODE_ZERO_STAY, "zero-entry stay");
	T_EQ(dec(line(652, "14"), &m), PT_EMALFORMED, "mode 4 refused");
	T_EQ(dec(line(652, "1"), &m), PT_EMALFORMED, "652 without mode refused");

	T_EQ(dec(line(700, "10040"), &m), PT_OK, "700");
	T_OK(m.kind == PT_TPI_USER_CLOSING && m.user == 40, "closing by user 40");
	T_EQ(dec(line(750, "10001"), &m), PT_OK, "750");
	T_OK(m.kind == PT_TPI_USER_OPENING && m.user == 1, "opening by user 1");

	T_EQ(dec(line(625, ""), &m), PT_OK, "625");
	T_OK(m.kind == PT_TPI_PANIC_ALARM && m.key == 'P' && m.on, "P key alarm");
	T_EQ(dec(line(622, ""), &m), PT_OK, "622");
	T_OK(m.key == 'F' && !m.on, "F key restore");

	T_EQ(dec("90099", &m), PT_OK, "900 without data (older firmware)");
	T_OK(m.kind == PT_TPI_CODE_REQUIRED && m.code_len == 0, "code required");
	T_EQ(dec(line(900, "14"), &m), PT_OK, "900 14");
	T_OK(m.partition == 1 && m.code_len == 4, "partition 1, 4 digits");
	T_EQ(dec(line(900, "15"), &m), PT_EMALFORMED, "code length 5 refused");

	T_EQ(dec(line(510, "81"), &m), PT_OK, "510 (not acted on)");
	T_OK(m.kind == PT_TPI_OTHER && m.data_len == 2 && memcmp(m.data, "81", 2) == 0,
	     "other: data kept");
	T_EQ(dec(line(849, "00"), &m), PT_OK, "849 other");

	T_EQ(dec("12:34:56 5053CD", &m), PT_OK, "a time-stamped line");
	T_EQ(m.login, 3, "time stamp skipped");
}

static void
test_malformed(void)
{
	struct pt_tpi_msg m;
	uint8_t big[PT_TPI_LINE_MAX + 10];

	T_EQ(dec("5053CE", &m), PT_EMALFORMED, "a wrong checksum refused");
	T_EQ(m.code, 0, "output zeroed");
	T_EQ(dec("5053cd", &m), PT_OK, "a lower-case checksum is the same number");
	T_EQ(dec("", &m), PT_EMALFORMED, "empty");
	T_EQ(dec("5053", &m), PT_EMALFORMED, "too short for a checksum");
	T_EQ(dec("50X3CD", &m), PT_EMALFORMED, "a letter in the command");
	T_EQ(dec("5053\tC", &m), PT_EMALFORMED, "a control character");
	T_EQ(pt_tpi_decode((const uint8_t *)"505\0003", 5, &m), PT_EMALFORMED, "a NUL");
	T_EQ(dec("5053ZZ", &m), PT_EMALFORMED, "a non-hex checksum");
	T_EQ(dec("12:34:5 5053CD", &m), PT_EMALFORMED, "a broken time stamp is not skipped");
	memset(big, 'A', sizeof(big));
	T_EQ(pt_tpi_decode(big, PT_TPI_LINE_MAX + 1, &m), PT_ETOOBIG, "a line over the limit");
	memcpy(big, "615", 3);
	T_EQ(pt_tpi_decode(big, 3 + PT_TPI_DATA_MAX + 1 + 2, &m), PT_EMALFORMED,
	     "data over PT_TPI_DATA_MAX");
}

static void
test_scan(void)
{
	uint8_t buf[PT_TPI_LINE_MAX + 4];
	size_t ll, used;

	T_EQ(pt_tpi_line_scan((const uint8_t *)"5053CD\r\n5051CB\r\n", 16, &ll, &used), PT_OK,
	     "scan two lines");
	T_OK(ll == 6 && used == 8, "first line: 6 bytes, 8 with CR LF");
	T_EQ(pt_tpi_line_scan((const uint8_t *)"5053CD\n", 7, &ll, &used), PT_OK, "LF only");
	T_OK(ll == 6 && used == 7, "LF alone ends a line");
	T_EQ(pt_tpi_line_scan((const uint8_t *)"5053C", 5, &ll, &used), PT_OK, "partial");
	T_EQ(used, 0, "needs more");
	memset(buf, 'A', sizeof(buf));
	T_EQ(pt_tpi_line_scan(buf, PT_TPI_LINE_MAX + 1, &ll, &used), PT_OK, "long but may end");
	T_EQ(pt_tpi_line_scan(buf, PT_TPI_LINE_MAX + 2, &ll, &used), PT_ETOOBIG,
	     "no LF within the limit: too big");
	buf[PT_TPI_LINE_MAX + 1] = '\n';
	T_EQ(pt_tpi_line_scan(buf, PT_TPI_LINE_MAX + 2, &ll, &used), PT_OK, "LF at the last place");
	T_EQ(ll, PT_TPI_LINE_MAX + 1, "then decode refuses it as too big");
}

static void
test_keys(void)
{
	char k[PT_TPI_KEYS_MAX + 1];
	size_t n;

	T_EQ(pt_tpi_bypass_keys(5, k, &n), PT_OK, "bypass keys zone 5");
	T_OK(n == 5 && strcmp(k, "*105#") == 0, "*105#");
	T_EQ(pt_tpi_bypass_keys(64, k, &n), PT_OK, "zone 64");
	T_OK(strcmp(k, "*164#") == 0, "*164#");
	T_EQ(pt_tpi_bypass_keys(0, k, &n), PT_OK, "zone 0");
	T_OK(strcmp(k, "*1#") == 0, "*1# (dump only)");
	T_EQ(pt_tpi_bypass_keys(65, k, &n), PT_EINVAL, "zone 65 refused");
	T_OK(pt_tpi_code_is_valid("1234", 4), "4-digit code");
	T_OK(pt_tpi_code_is_valid("123456", 6), "6-digit code");
	T_OK(!pt_tpi_code_is_valid("12345", 5), "5 digits refused");
	T_OK(!pt_tpi_code_is_valid("12a4", 4), "a letter refused");
}

int
main(void)
{
	test_checksum();
	test_messages();
	test_malformed();
	test_scan();
	test_keys();
	return t_done();
}
