/*
 * libFuzzer target for the TZif and POSIX TZ parsers (lib/core/tz.c).
 *
 * The bytes go to pt_tz_parse_tzif(); a zone that parses must answer for
 * any instant, so we ask it about instants taken from the input itself
 * (near transitions, at the extremes) and check the answers stay in range.
 * The same bytes then go to pt_tz_parse_posix().
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "porter/tz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct pt_tz tz;	/* ~6 KiB: keep it off the fuzzer's stack */

static int64_t
tail64(const uint8_t *data, size_t size, size_t k)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < 8 && k * 8 + i < size; i++)
		v = v << 8 | data[size - 1 - k * 8 - i];
	return (int64_t)v;
}

static void
probe(const struct pt_tz *z, int64_t t)
{
	struct pt_civil c;
	int32_t off;

	if (pt_tz_offset(z, t, &off) != PT_OK)
		abort();	/* a zone that parsed must always answer */
	if (off < -89999 || off > 93599)
		abort();
	if (pt_tz_local(z, t, &c) == PT_OK &&
	    (c.month < 1 || c.month > 12 || c.day < 1 || c.day > 31 || c.hour < 0 ||
	    c.hour > 23 || c.min < 0 || c.min > 59 || c.sec < 0 || c.sec > 59 ||
	    c.wday < 0 || c.wday > 6 || c.yday < 0 || c.yday > 365))
		abort();
}

static void
probe_all(const struct pt_tz *z, const uint8_t *data, size_t size)
{
	static const int64_t fixed[] = { 0, -1, 1700000000, 2208988800, 4102444800,
		INT64_MIN, INT64_MAX, (int64_t)1 << 50, -((int64_t)1 << 50) };
	size_t i;

	for (i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
		probe(z, fixed[i]);
	for (i = 0; i < 4; i++)
		probe(z, tail64(data, size, i));
	if (z->n_trans > 0) {
		int64_t a = z->trans_at[0], b = z->trans_at[z->n_trans - 1];

		probe(z, a);
		probe(z, b);
		if (a > INT64_MIN)
			probe(z, a - 1);
		if (b < INT64_MAX - 0x400000000)
			probe(z, b + (tail64(data, size, 0) & 0x3ffffffff));
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (pt_tz_parse_tzif(&tz, data, size) == PT_OK)
		probe_all(&tz, data, size);
	if (pt_tz_parse_posix(&tz, (const char *)data, size) == PT_OK) {
		if (!tz.has_rule || tz.n_trans != 0)
			abort();
		probe_all(&tz, data, size);
	}
	return 0;
}
