/*
 * Times, durations, week-day intervals and numbers as people type them.
 */
#include "porter/text.h"

#include <stdio.h>
#include <string.h>

#include "porter/tz.h"

int
pt_uint_parse(const char *s, uint64_t min, uint64_t max, uint64_t *v)
{
	uint64_t x = 0;
	size_t i;

	*v = 0;
	if (s == NULL || s[0] == '\0' || strlen(s) > 20)
		return PT_EINVAL;
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9')
			return PT_EINVAL;
		if (x > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
			return PT_EINVAL;
		x = x * 10 + (uint64_t)(s[i] - '0');
	}
	if (x < min || x > max)
		return PT_EINVAL;
	*v = x;
	return PT_OK;
}

int
pt_duration_parse(const char *s, int64_t *secs)
{
	char num[24];
	size_t len = strlen(s);
	uint64_t v, unit = 1;

	*secs = 0;
	if (len == 0 || len >= sizeof(num))
		return PT_EINVAL;
	memcpy(num, s, len + 1);
	switch (num[len - 1]) {
	case 's': unit = 1; num[--len] = '\0'; break;
	case 'm': unit = 60; num[--len] = '\0'; break;
	case 'h': unit = 3600; num[--len] = '\0'; break;
	case 'd': unit = 86400; num[--len] = '\0'; break;
	default: break;
	}
	if (pt_uint_parse(num, 0, (uint64_t)PT_TIME_MAX / unit, &v) != PT_OK)
		return PT_EINVAL;
	*secs = (int64_t)(v * unit);
	return PT_OK;
}

static int
digits(const char *s, size_t n, int *v)
{
	size_t i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		*v = *v * 10 + (s[i] - '0');
	}
	return 0;
}

int
pt_time_parse(const char *s, int64_t now, int64_t *t)
{
	int y, mo, d, h, mi, se, oh = 0, om = 0, sign = 0;
	int64_t dur, x;
	uint64_t u;
	size_t len = strlen(s);

	*t = 0;
	if (strcmp(s, "now") == 0) {
		*t = now;
		return PT_OK;
	}
	if (s[0] == '@')
		return pt_uint_parse(s + 1, 0, (uint64_t)PT_TIME_MAX, &u) == PT_OK ?
		       (*t = (int64_t)u, PT_OK) : PT_EINVAL;
	if (s[0] == '+' || s[0] == '-') {
		if (pt_duration_parse(s + 1, &dur) != PT_OK)
			return PT_EINVAL;
		x = s[0] == '+' ? now + dur : now - dur;
		if (x < 0 || x > PT_TIME_MAX)
			return PT_EINVAL;
		*t = x;
		return PT_OK;
	}
	/* YYYY-MM-DDTHH:MM:SS then Z or +hh:mm / -hh:mm */
	if (len != 20 && len != 25)
		return PT_EINVAL;
	if (digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) || s[7] != '-' ||
	    digits(s + 8, 2, &d) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
	    digits(s + 11, 2, &h) || s[13] != ':' || digits(s + 14, 2, &mi) || s[16] != ':' ||
	    digits(s + 17, 2, &se))
		return PT_EINVAL;
	if (len == 20) {
		if (s[19] != 'Z' && s[19] != 'z')
			return PT_EINVAL;
	} else {
		if ((s[19] != '+' && s[19] != '-') || digits(s + 20, 2, &oh) || s[22] != ':' ||
		    digits(s + 23, 2, &om) || oh > 23 || om > 59)
			return PT_EINVAL;
		sign = s[19] == '+' ? 1 : -1;
	}
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 59)
		return PT_EINVAL;
	x = pt_unix_from_civil(y, mo, d, h, mi, se);
	{
		/* Reject 2026-02-30 and the like: it must round-trip. */
		struct pt_civil c;
		pt_civil_from_unix(x, &c);
		if (c.day != d || c.month != mo)
			return PT_EINVAL;
	}
	x -= sign * (oh * 3600 + om * 60);
	if (x < 0 || x > PT_TIME_MAX)
		return PT_EINVAL;
	*t = x;
	return PT_OK;
}

void
pt_time_format(int64_t t, char *out, size_t cap)
{
	struct pt_civil c;

	pt_civil_from_unix(t, &c);
	(void)snprintf(out, cap, "%04lld-%02d-%02dT%02d:%02d:%02dZ", (long long)c.year, c.month,
		       c.day, c.hour, c.min, c.sec);
}

static const char *const days[7] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

static int
day_index(const char *s, size_t n)
{
	int i;

	if (n != 3)
		return -1;
	for (i = 0; i < 7; i++)
		if (memcmp(s, days[i], 3) == 0)
			return i;
	return -1;
}

static int
hhmm(const char *s, unsigned *min)
{
	int h, m;

	if (digits(s, 2, &h) || s[2] != ':' || digits(s + 3, 2, &m) || m > 59 || h > 24 ||
	    (h == 24 && m != 0))
		return -1;
	*min = (unsigned)(h * 60 + m);
	return 0;
}

int
pt_weekly_parse(const char *s, struct pt_weekly *w)
{
	const char *sp = strchr(s, ' '), *p, *end;
	unsigned a, b;
	uint8_t mask = 0;

	memset(w, 0, sizeof(*w));
	if (sp == NULL || strlen(sp + 1) != 11 || sp[6] != '-')
		return PT_EINVAL;
	if (hhmm(sp + 1, &a) || hhmm(sp + 7, &b) || a >= b)
		return PT_EINVAL;
	if (sp == s || sp[-1] == ',')
		return PT_EINVAL;	/* "wed, 09:00-10:00": a day is missing */
	if ((size_t)(sp - s) == 5 && memcmp(s, "daily", 5) == 0) {
		mask = 0x7f;
	} else {
		for (p = s; p < sp; p = end + 1) {
			const char *comma = memchr(p, ',', (size_t)(sp - p));
			const char *dash;
			int d0, d1, i;

			end = comma != NULL ? comma : sp;
			dash = memchr(p, '-', (size_t)(end - p));
			if (dash == NULL) {
				if ((d0 = day_index(p, (size_t)(end - p))) < 0)
					return PT_EINVAL;
				mask |= (uint8_t)(1u << d0);
			} else {
				if ((d0 = day_index(p, (size_t)(dash - p))) < 0 ||
				    (d1 = day_index(dash + 1, (size_t)(end - dash - 1))) < 0)
					return PT_EINVAL;
				for (i = d0;; i = (i + 1) % 7) {	/* "fri-mon" wraps */
					mask |= (uint8_t)(1u << i);
					if (i == d1)
						break;
				}
			}
			if (end == sp)
				break;
		}
	}
	if (mask == 0)
		return PT_EINVAL;
	w->days = mask;
	w->start_min = (uint16_t)a;
	w->end_min = (uint16_t)b;
	return PT_OK;
}

void
pt_weekly_format(const struct pt_weekly *w, char *out, size_t cap)
{
	size_t n = 0;
	int i, k;

	out[0] = '\0';
	if (w->days == 0x7f) {
		n = (size_t)snprintf(out, cap, "daily");
	} else {
		for (i = 0; i < 7 && n < cap; i++) {
			if (!(w->days & (1u << i)))
				continue;
			for (k = i; k + 1 < 7 && (w->days & (1u << (k + 1))); k++)
				continue;
			if (k - i >= 2)
				n += (size_t)snprintf(out + n, cap - n, "%s%s-%s", n ? "," : "", days[i],
						      days[k]);
			else
				n += (size_t)snprintf(out + n, cap - n, "%s%s", n ? "," : "", days[i]),
				    k = i;
			i = k;
		}
	}
	if (n < cap)
		(void)snprintf(out + n, cap - n, " %02u:%02u-%02u:%02u", w->start_min / 60u,
			       w->start_min % 60u, w->end_min / 60u, w->end_min % 60u);
}

void
pt_hex(const uint8_t *p, size_t len, char *out)
{
	static const char hx[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = hx[p[i] >> 4];
		out[2 * i + 1] = hx[p[i] & 15];
	}
	out[2 * len] = '\0';
}
