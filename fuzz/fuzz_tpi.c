/*
 * libFuzzer target for the EnvisaLink TPI (DSC) codec (lib/proto/tpi.c,
 * porter/tpi.h): the stream scanner and the line decoder, as the hub's
 * envisalink driver runs them on what the panel's TCP socket sends.
 *
 * The input is a byte stream: pt_tpi_line_scan cuts it into lines exactly
 * as the driver does, and each line goes through pt_tpi_decode.
 *
 * Properties checked (a break is __builtin_trap()):
 *   - the scanner answers PT_OK or PT_ETOOBIG; a line it returns ends at a
 *     LF inside the input and is at most PT_TPI_LINE_MAX + 1 bytes;
 *   - the decoder answers PT_OK, PT_EMALFORMED or PT_ETOOBIG, and a refusal
 *     leaves the output zeroed;
 *   - an accepted line without a time stamp is exactly what pt_tpi_encode
 *     writes for its command and data (bar the checksum's case); its data
 *     pointer lies inside the line; numbers are in their ranges.
 *
 * Seed corpus: fuzz/corpus/tpi/ (a login, status dumps, every message the
 * hub acts on, a time-stamped line, malformed lines).
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "porter/tpi.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x) do { if (!(x)) __builtin_trap(); } while (0)

static bool
zeroed(const struct pt_tpi_msg *m)
{
	static const struct pt_tpi_msg z;
	return memcmp(m, &z, sizeof(z)) == 0;
}

static void
one_line(const uint8_t *p, size_t len)
{
	uint8_t out[PT_TPI_LINE_MAX + 8];
	struct pt_tpi_msg m;
	size_t n;
	int r = pt_tpi_decode(p, len, &m);

	CHECK(r == PT_OK || r == PT_EMALFORMED || r == PT_ETOOBIG);
	if (r != PT_OK) {
		CHECK(zeroed(&m));
		return;
	}
	CHECK(m.code <= 999);
	CHECK(m.data_len <= PT_TPI_DATA_MAX);
	CHECK(m.data_len == 0 || (m.data >= p && m.data + m.data_len <= p + len));
	CHECK(m.zone <= PT_TPI_ZONES && m.partition <= PT_TPI_PARTITIONS && m.mode <= 3 &&
	      m.login <= 3 && m.user <= 9999);
	if (m.kind == PT_TPI_ZONE_OPEN || m.kind == PT_TPI_ZONE_FAULT)
		CHECK(m.zone >= 1);
	if (m.kind == PT_TPI_PARTITION || m.kind == PT_TPI_ARMED)
		CHECK(m.partition >= 1);
	if (len == 3 + m.data_len + 2) {	/* no time stamp */
		/* Data is printable; spaces are not produced by the encoder. */
		bool spaces = m.data_len > 0 && memchr(m.data, ' ', m.data_len) != NULL;
		r = pt_tpi_encode(m.code, (const char *)m.data, m.data_len, out, sizeof(out), &n);
		if (spaces) {
			CHECK(r == PT_EINVAL);
		} else {
			CHECK(r == PT_OK && n == len + 2);
			CHECK(memcmp(out, p, len - 2) == 0);
			CHECK((out[len - 2] | 0x20) == (p[len - 2] | 0x20) &&
			      (out[len - 1] | 0x20) == (p[len - 1] | 0x20));
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t ll, used;
	int r;

	while (size > 0) {
		r = pt_tpi_line_scan(data, size, &ll, &used);
		CHECK(r == PT_OK || r == PT_ETOOBIG);
		if (r != PT_OK || used == 0) {
			CHECK(used == 0 && ll == 0);
			/* What is left is decoded as a last line anyway. */
			one_line(data, size < PT_TPI_LINE_MAX + 4 ? size : PT_TPI_LINE_MAX + 4);
			break;
		}
		CHECK(used <= size && data[used - 1] == '\n' && ll < used);
		CHECK(ll <= PT_TPI_LINE_MAX + 1);
		one_line(data, ll);
		data += used;
		size -= used;
	}
	return 0;
}
