/*
 * lib/proto/tpi.c: the EnvisaLink TPI (DSC) line codec (porter/tpi.h).
 *
 * Every byte of a line is read through the bounds given; nothing here
 * indexes past len, allocates or keeps state.
 */
#include <string.h>

#include "porter/tpi.h"

static const char hexdig[] = "0123456789ABCDEF";

void
pt_tpi_checksum(const uint8_t *p, size_t len, char out[2])
{
	unsigned sum = 0;
	size_t i;

	for (i = 0; i < len; i++)
		sum += p[i];
	out[0] = hexdig[(sum >> 4) & 0xfu];
	out[1] = hexdig[sum & 0xfu];
}

static bool
is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

static int
hexval(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* n decimal digits at p (n <= 4). -1 if any is not a digit. */
static int
digits(const uint8_t *p, size_t n)
{
	int v = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (!is_digit(p[i]))
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v;
}

bool
pt_tpi_code_is_valid(const char *s, size_t len)
{
	size_t i;

	if (len != 4 && len != 6)
		return false;
	for (i = 0; i < len; i++)
		if (!is_digit((uint8_t)s[i]))
			return false;
	return true;
}

int
pt_tpi_encode(unsigned cmd, const char *data, size_t data_len, uint8_t *out, size_t cap,
	      size_t *out_len)
{
	size_t n, i;

	*out_len = 0;
	if (cmd > 999 || data_len > PT_TPI_DATA_MAX || (data_len > 0 && data == NULL))
		return PT_EINVAL;
	for (i = 0; i < data_len; i++)
		if ((uint8_t)data[i] < 0x21 || (uint8_t)data[i] > 0x7e)
			return PT_EINVAL;
	n = 3 + data_len + 2 + 2;
	if (out == NULL || cap < n)
		return PT_ENOSPC;
	out[0] = (uint8_t)('0' + cmd / 100);
	out[1] = (uint8_t)('0' + cmd / 10 % 10);
	out[2] = (uint8_t)('0' + cmd % 10);
	if (data_len > 0)
		memcpy(out + 3, data, data_len);
	pt_tpi_checksum(out, 3 + data_len, (char *)out + 3 + data_len);
	out[n - 2] = '\r';
	out[n - 1] = '\n';
	*out_len = n;
	return PT_OK;
}

int
pt_tpi_line_scan(const uint8_t *buf, size_t len, size_t *line_len, size_t *used)
{
	const uint8_t *lf;
	size_t n;

	*line_len = 0;
	*used = 0;
	n = len < PT_TPI_LINE_MAX + 2 ? len : PT_TPI_LINE_MAX + 2;
	lf = n > 0 ? memchr(buf, '\n', n) : NULL;
	if (lf == NULL)
		return len >= PT_TPI_LINE_MAX + 2 ? PT_ETOOBIG : PT_OK;
	*used = (size_t)(lf - buf) + 1;
	*line_len = (size_t)(lf - buf);
	if (*line_len > 0 && buf[*line_len - 1] == '\r')
		(*line_len)--;
	return PT_OK;
}

/* "HH:MM:SS " in front of a line (command 055 turns it on). */
static bool
has_timestamp(const uint8_t *p, size_t len)
{
	return len >= 9 && is_digit(p[0]) && is_digit(p[1]) && p[2] == ':' && is_digit(p[3]) &&
	       is_digit(p[4]) && p[5] == ':' && is_digit(p[6]) && is_digit(p[7]) && p[8] == ' ';
}

static int
decode_data(struct pt_tpi_msg *m)
{
	const uint8_t *d = m->data;
	size_t n = m->data_len;
	int v, i;

	switch (m->code) {
	case 500:
		if (n != 3 || (v = digits(d, 3)) < 0)
			return PT_EMALFORMED;
		m->kind = PT_TPI_ACK;
		m->ack = (unsigned)v;
		return PT_OK;
	case 501:
		if (n != 0)
			return PT_EMALFORMED;
		m->kind = PT_TPI_CMD_ERROR;
		return PT_OK;
	case 502:
		if (n != 3 || (v = digits(d, 3)) < 0)
			return PT_EMALFORMED;
		m->kind = PT_TPI_SYS_ERROR;
		m->error = (unsigned)v;
		return PT_OK;
	case 505:
		if (n != 1 || (v = digits(d, 1)) < 0 || v > 3)
			return PT_EMALFORMED;
		m->kind = PT_TPI_LOGIN_RESULT;
		m->login = (uint8_t)v;
		return PT_OK;
	case 601: case 602: case 603: case 604:
		/* partition (1 digit) + zone (3 digits) */
		if (n != 4 || (v = digits(d, 1)) < 1 || v > PT_TPI_PARTITIONS)
			return PT_EMALFORMED;
		m->partition = (uint8_t)v;
		if ((v = digits(d + 1, 3)) < 1 || v > PT_TPI_ZONES)
			return PT_EMALFORMED;
		m->zone = (uint8_t)v;
		m->kind = m->code <= 602 ? PT_TPI_ZONE_ALARM : PT_TPI_ZONE_TAMPER;
		m->on = m->code % 2 == 1;
		return PT_OK;
	case 605: case 606: case 609: case 610:
		/* zone (3 digits) */
		if (n != 3 || (v = digits(d, 3)) < 1 || v > PT_TPI_ZONES)
			return PT_EMALFORMED;
		m->zone = (uint8_t)v;
		m->kind = m->code <= 606 ? PT_TPI_ZONE_FAULT : PT_TPI_ZONE_OPEN;
		m->on = m->code == 605 || m->code == 609;
		return PT_OK;
	case 616:
		/* 8 bytes as 16 hex digits; byte k holds zones 8k+1..8k+8, LSB first */
		if (n != 16)
			return PT_EMALFORMED;
		for (i = 0; i < 8; i++) {
			int hi = hexval(d[2 * i]), lo = hexval(d[2 * i + 1]);
			if (hi < 0 || lo < 0)
				return PT_EMALFORMED;
			m->bypassed |= (uint64_t)(unsigned)(hi << 4 | lo) << (8 * i);
		}
		m->kind = PT_TPI_BYPASS_DUMP;
		return PT_OK;
	case 652:
		if (n != 2 || (v = digits(d, 1)) < 1 || v > PT_TPI_PARTITIONS)
			return PT_EMALFORMED;
		m->partition = (uint8_t)v;
		if ((v = digits(d + 1, 1)) < 0 || v > 3)
			return PT_EMALFORMED;
		m->mode = (uint8_t)v;
		m->kind = PT_TPI_ARMED;
		return PT_OK;
	case 650: case 651: case 653: case 654: case 655: case 656: case 657: case 658: case 659:
	case 670: case 671: case 672: case 673: case 674:
		if (n != 1 || (v = digits(d, 1)) < 1 || v > PT_TPI_PARTITIONS)
			return PT_EMALFORMED;
		m->partition = (uint8_t)v;
		m->pstate = m->code;
		m->kind = PT_TPI_PARTITION;
		return PT_OK;
	case 700: case 750:
		if (n != 5 || (v = digits(d, 1)) < 1 || v > PT_TPI_PARTITIONS)
			return PT_EMALFORMED;
		m->partition = (uint8_t)v;
		if ((v = digits(d + 1, 4)) < 0)
			return PT_EMALFORMED;
		m->user = (unsigned)v;
		m->kind = m->code == 700 ? PT_TPI_USER_CLOSING : PT_TPI_USER_OPENING;
		return PT_OK;
	case 621: case 622: case 623: case 624: case 625: case 626:
		if (n != 0)
			return PT_EMALFORMED;
		m->key = m->code <= 622 ? 'F' : m->code <= 624 ? 'A' : 'P';
		m->on = m->code % 2 == 1;
		m->kind = PT_TPI_PANIC_ALARM;
		return PT_OK;
	case 900:
		/* Older firmware sends no data; the document gives partition and
		 * code length. */
		if (n == 0) {
			m->kind = PT_TPI_CODE_REQUIRED;
			return PT_OK;
		}
		if (n != 2 || (v = digits(d, 1)) < 1 || v > PT_TPI_PARTITIONS)
			return PT_EMALFORMED;
		m->partition = (uint8_t)v;
		if ((v = digits(d + 1, 1)) != 4 && v != 6)
			return PT_EMALFORMED;
		m->code_len = (uint8_t)v;
		m->kind = PT_TPI_CODE_REQUIRED;
		return PT_OK;
	default:
		m->kind = PT_TPI_OTHER;
		return PT_OK;
	}
}

int
pt_tpi_decode(const uint8_t *line, size_t len, struct pt_tpi_msg *m)
{
	char ck[2];
	size_t i;
	int v, r;

	memset(m, 0, sizeof(*m));
	if (len > PT_TPI_LINE_MAX)
		return PT_ETOOBIG;
	if (has_timestamp(line, len)) {
		line += 9;
		len -= 9;
	}
	if (len < 5 || len > 3 + PT_TPI_DATA_MAX + 2)
		goto bad;
	for (i = 0; i < len; i++)
		if (line[i] < 0x20 || line[i] > 0x7e)
			goto bad;
	if ((v = digits(line, 3)) < 0)
		goto bad;
	pt_tpi_checksum(line, len - 2, ck);
	/* The EnvisaLink sends upper case; a lower-case checksum is the same
	 * number, so it is taken too. */
	if (hexval(line[len - 2]) != hexval((uint8_t)ck[0]) ||
	    hexval(line[len - 1]) != hexval((uint8_t)ck[1]))
		goto bad;
	m->code = (unsigned)v;
	m->data = line + 3;
	m->data_len = len - 5;
	if ((r = decode_data(m)) != PT_OK)
		goto bad;
	if (m->data_len == 0)
		m->data = NULL;
	return PT_OK;
bad:
	memset(m, 0, sizeof(*m));
	return PT_EMALFORMED;
}

int
pt_tpi_bypass_keys(unsigned zone, char out[PT_TPI_KEYS_MAX + 1], size_t *len)
{
	*len = 0;
	out[0] = '\0';
	if (zone > PT_TPI_ZONES)
		return PT_EINVAL;
	if (zone == 0) {
		memcpy(out, "*1#", 4);
		*len = 3;
		return PT_OK;
	}
	out[0] = '*';
	out[1] = '1';
	out[2] = (char)('0' + zone / 10);
	out[3] = (char)('0' + zone % 10);
	out[4] = '#';
	out[5] = '\0';
	*len = 5;
	return PT_OK;
}
