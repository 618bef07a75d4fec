/*
 * Civil time and IANA time zones without libc's global TZ.
 *
 * A TZif file (RFC 8536) is untrusted bytes: every count in it is checked
 * against the length before anything is read, in 64-bit arithmetic so that
 * no product of 32-bit counts can wrap. The parser writes straight into the
 * caller's struct and zeroes all of it on the first error, so nothing half
 * decoded escapes.
 *
 * Calendar arithmetic follows Howard Hinnant's days_from_civil and
 * civil_from_days (proleptic Gregorian, 400-year eras), with floor division
 * so that instants before 1970 come out right.
 */
#include "porter/tz.h"

#include <string.h>

#define HDR_LEN 44
#define UTOFF_MIN (-89999)	/* RFC 8536 3.2: -25h < utoff < 26h */
#define UTOFF_MAX 93599
#define RULE_TIME_MAX (167 * 3600 + 59 * 60 + 59) /* RFC 8536 3.3.1: hours -167..167 */

/*
 * Rule evaluation clamps instants here: the calendar is documented for
 * |t| < 2^50, and clamping keeps every product below well inside int64.
 */
#define T_LIM ((int64_t)1 << 50)

struct hdr {
	uint8_t version;
	uint32_t isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt;
};

/* ---- calendar ---- */

static int64_t
floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b < 0);
}

static int64_t
floor_mod(int64_t a, int64_t b)
{
	int64_t r = a % b;
	return r < 0 ? r + b : r;
}

static bool
is_leap(int64_t y)
{
	return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

static int
month_days(int64_t y, int m)
{
	static const int8_t md[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	return m == 2 && is_leap(y) ? 29 : md[m - 1];
}

/* Days since 1970-01-01 of y-m-d, m in 1..12, d linear (may overflow the month). */
static int64_t
days_from_civil(int64_t y, int m, int64_t d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = floor_div(y, 400);
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void
civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = floor_div(z, 146097);
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

void
pt_civil_from_unix(int64_t t, struct pt_civil *c)
{
	/* Split without forming days * 86400, which could pass INT64_MIN. */
	int64_t secs = t % 86400;
	int64_t days = t / 86400;

	if (secs < 0) {
		secs += 86400;
		days--;
	}
	civil_from_days(days, &c->year, &c->month, &c->day);
	c->hour = (int)(secs / 3600);
	c->min = (int)(secs / 60 % 60);
	c->sec = (int)(secs % 60);
	c->wday = (int)floor_mod(days + 4, 7);	/* 1970-01-01 was a Thursday */
	c->yday = (int)(days - days_from_civil(c->year, 1, 1));
}

int64_t
pt_unix_from_civil(int64_t year, int month, int day, int hour, int min, int sec)
{
	int64_t mm = (int64_t)month - 1;
	const int64_t ylim = (int64_t)1 << 33;

	/*
	 * Saturate far outside the documented range so that no input can
	 * overflow, then normalise the month so any input has an answer.
	 */
	if (year > ylim)
		year = ylim;
	if (year < -ylim)
		year = -ylim;
	year += floor_div(mm, 12);
	month = (int)floor_mod(mm, 12) + 1;
	return days_from_civil(year, month, day) * 86400 + (int64_t)hour * 3600 +
	    (int64_t)min * 60 + sec;
}

/* ---- POSIX TZ rules ---- */

struct cur {
	const char *s;
	size_t len, pos;
};

static bool
at_end(const struct cur *c)
{
	return c->pos >= c->len;
}

static bool
eat(struct cur *c, char ch)
{
	if (at_end(c) || c->s[c->pos] != ch)
		return false;
	c->pos++;
	return true;
}

static bool
is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

static bool
is_alpha(char ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z');
}

/* 1..maxdig decimal digits with value <= max; digit count bounds the value. */
static bool
num(struct cur *c, unsigned maxdig, int32_t max, int32_t *v)
{
	unsigned n = 0;
	int32_t x = 0;

	while (!at_end(c) && is_digit(c->s[c->pos]) && n < maxdig) {
		x = x * 10 + (c->s[c->pos] - '0');
		c->pos++;
		n++;
	}
	/* A further digit means the number is longer than allowed. */
	if (n == 0 || x > max || (!at_end(c) && is_digit(c->s[c->pos])))
		return false;
	*v = x;
	return true;
}

/* A zone abbreviation: "ABC" (letters) or "<+0330>" (letters, digits, signs). */
static bool
name(struct cur *c)
{
	size_t n = 0;

	if (eat(c, '<')) {
		while (!at_end(c) && (is_alpha(c->s[c->pos]) || is_digit(c->s[c->pos]) ||
		    c->s[c->pos] == '+' || c->s[c->pos] == '-')) {
			c->pos++;
			n++;
		}
		return n >= 3 && eat(c, '>');
	}
	while (!at_end(c) && is_alpha(c->s[c->pos])) {
		c->pos++;
		n++;
	}
	return n >= 3;
}

/* [+-]hh[:mm[:ss]] in seconds, hours at most hmax (of hdig digits). */
static bool
hms(struct cur *c, unsigned hdig, int32_t hmax, int32_t *secs)
{
	int32_t h, m = 0, s = 0, sign = 1;

	if (eat(c, '-'))
		sign = -1;
	else
		(void)eat(c, '+');
	if (!num(c, hdig, hmax, &h))
		return false;
	if (eat(c, ':')) {
		if (!num(c, 2, 59, &m))
			return false;
		if (eat(c, ':') && !num(c, 2, 59, &s))
			return false;
	}
	*secs = sign * (h * 3600 + m * 60 + s);
	return true;
}

static bool
date(struct cur *c, struct pt_tz_date *d)
{
	int32_t a, b, e;

	memset(d, 0, sizeof *d);
	if (eat(c, 'M')) {
		if (!num(c, 2, 12, &a) || a < 1 || !eat(c, '.') || !num(c, 1, 5, &b) ||
		    b < 1 || !eat(c, '.') || !num(c, 1, 6, &e))
			return false;
		d->kind = 0;
		d->month = (uint8_t)a;
		d->week = (uint8_t)b;
		d->wday = (uint8_t)e;
	} else if (eat(c, 'J')) {
		if (!num(c, 3, 365, &a) || a < 1)
			return false;
		d->kind = 1;
		d->day = (uint16_t)a;
	} else {
		if (!num(c, 3, 365, &a))
			return false;
		d->kind = 2;
		d->day = (uint16_t)a;
	}
	d->time = 2 * 3600;	/* POSIX default: 02:00 */
	if (eat(c, '/') && !hms(c, 3, 167, &d->time))
		return false;
	return true;
}

/* A rule as the parser would have produced it; guards hand-built structs. */
static bool
date_ok(const struct pt_tz_date *d)
{
	if (d->time < -RULE_TIME_MAX || d->time > RULE_TIME_MAX)
		return false;
	switch (d->kind) {
	case 0:
		return d->month >= 1 && d->month <= 12 && d->week >= 1 && d->week <= 5 &&
		    d->wday <= 6;
	case 1:
		return d->day >= 1 && d->day <= 365;
	case 2:
		return d->day <= 365;
	default:
		return false;
	}
}

static bool
rule_ok(const struct pt_tz_rule *r)
{
	if (r->std_off < UTOFF_MIN || r->std_off > UTOFF_MAX)
		return false;
	if (!r->has_dst)
		return true;
	return r->dst_off >= UTOFF_MIN && r->dst_off <= UTOFF_MAX && date_ok(&r->start) &&
	    date_ok(&r->end);
}

/* The rule grammar of RFC 8536 3.3 (POSIX TZ plus the 167h extension). */
static bool
parse_rule(struct pt_tz_rule *r, const char *s, size_t len)
{
	struct cur c = { s, len, 0 };
	int32_t w;

	memset(r, 0, sizeof *r);
	if (len > PT_TZ_POSIX_MAX)
		return false;
	if (!name(&c) || !hms(&c, 2, 24, &w))
		return false;
	r->std_off = -w;	/* POSIX counts west of Greenwich */
	if (at_end(&c))
		return true;
	if (!name(&c))
		return false;
	r->has_dst = true;
	r->dst_off = r->std_off + 3600;
	if (!at_end(&c) && c.s[c.pos] != ',') {
		if (!hms(&c, 2, 24, &w))
			return false;
		r->dst_off = -w;
	}
	/* "EST5EDT" alone would mean "some default rules": TZif footers never do it. */
	if (!eat(&c, ',') || !date(&c, &r->start) || !eat(&c, ',') || !date(&c, &r->end))
		return false;
	return at_end(&c);
}

int
pt_tz_parse_posix(struct pt_tz *tz, const char *s, size_t len)
{
	if (tz == NULL)
		return PT_EINVAL;
	memset(tz, 0, sizeof *tz);
	if (s == NULL || !parse_rule(&tz->rule, s, len)) {
		memset(tz, 0, sizeof *tz);
		return PT_EMALFORMED;
	}
	tz->has_rule = true;
	return PT_OK;
}

/* UTC instant at which date rule d fires in year y, its time read at offset off. */
static int64_t
date_instant(const struct pt_tz_date *d, int64_t y, int32_t off)
{
	int64_t days, jan1 = days_from_civil(y, 1, 1);

	switch (d->kind) {
	case 0: {
		int64_t first = days_from_civil(y, d->month, 1);
		int wd1 = (int)floor_mod(first + 4, 7);
		int md = 1 + (d->wday - wd1 + 7) % 7 + 7 * (d->week - 1);

		if (md > month_days(y, d->month))
			md -= 7;	/* week 5 means "last" */
		days = first + md - 1;
		break;
	}
	case 1:
		/* Jn never counts February 29. */
		days = jan1 + d->day - 1 + (is_leap(y) && d->day >= 60);
		break;
	default:
		days = jan1 + d->day;
		break;
	}
	return days * 86400 + d->time - off;
}

static int32_t
rule_off(const struct pt_tz_rule *r, int64_t t)
{
	int64_t y, yy;
	int m, d;

	if (!r->has_dst)
		return r->std_off;
	if (t > T_LIM)
		t = T_LIM;
	if (t < -T_LIM)
		t = -T_LIM;
	civil_from_days(floor_div(t + r->std_off, 86400), &y, &m, &d);
	/*
	 * Each year contributes one DST interval [start, end). When end comes
	 * before start in the calendar year (southern hemisphere, or Dublin's
	 * negative DST) the interval runs to the next year's end. Rule times
	 * reach +-167h, so a year's interval can start in the year before or
	 * end in the year after; looking at y-2..y+1 covers every interval
	 * that can contain t. An all-year rule ("J1/0 ... J365/25") makes
	 * each year's interval end where the next one starts: DST throughout.
	 */
	for (yy = y - 2; yy <= y + 1; yy++) {
		int64_t s = date_instant(&r->start, yy, r->std_off);
		int64_t e = date_instant(&r->end, yy, r->dst_off);

		if (e < s)
			e = date_instant(&r->end, yy + 1, r->dst_off);
		if (t >= s && t < e)
			return r->dst_off;
	}
	return r->std_off;
}

/* ---- zone lookup ---- */

int
pt_tz_offset(const struct pt_tz *tz, int64_t t, int32_t *off)
{
	size_t lo, hi, n;

	if (off == NULL)
		return PT_EINVAL;
	*off = 0;
	if (tz == NULL || tz->n_trans > PT_TZ_TRANS_MAX || tz->n_types > PT_TZ_TYPES_MAX)
		return PT_EINVAL;
	if (tz->has_rule && !rule_ok(&tz->rule))
		return PT_EINVAL;
	n = tz->n_trans;
	if (n > 0 && tz->n_types == 0)
		return PT_EINVAL;
	if (n == 0) {
		if (tz->has_rule)
			*off = rule_off(&tz->rule, t);
		else if (tz->n_types > 0)
			*off = tz->type_off[0];
		else
			return PT_EINVAL;
		return PT_OK;
	}
	if (t < tz->trans_at[0]) {
		/* RFC 8536 3.2: type 0 rules before the first transition. */
		*off = tz->type_off[0];
		return PT_OK;
	}
	/* Largest i with trans_at[i] <= t: invariant trans_at[lo] <= t < trans_at[hi]. */
	lo = 0;
	hi = n;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (tz->trans_at[mid] <= t)
			lo = mid;
		else
			hi = mid;
	}
	if (lo == n - 1 && tz->has_rule) {
		*off = rule_off(&tz->rule, t);
		return PT_OK;
	}
	if (tz->trans_type[lo] >= tz->n_types)
		return PT_EINVAL;
	*off = tz->type_off[tz->trans_type[lo]];
	return PT_OK;
}

int
pt_tz_local(const struct pt_tz *tz, int64_t t, struct pt_civil *c)
{
	int32_t off;
	int rc;

	if (c == NULL)
		return PT_EINVAL;
	memset(c, 0, sizeof *c);
	rc = pt_tz_offset(tz, t, &off);
	if (rc != PT_OK)
		return rc;
	/* t + off must not overflow; such instants have no calendar anyway. */
	if ((off > 0 && t > INT64_MAX - off) || (off < 0 && t < INT64_MIN - off))
		return PT_EINVAL;
	pt_civil_from_unix(t + off, c);
	return PT_OK;
}

/* ---- TZif ---- */

static uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int32_t
be32s(const uint8_t *p)
{
	uint32_t u = be32(p);

	/* Two's complement by arithmetic, not by an implementation-defined cast. */
	return u <= INT32_MAX ? (int32_t)u : -(int32_t)(~u) - 1;
}

static int64_t
be64s(const uint8_t *p)
{
	uint64_t u = (uint64_t)be32(p) << 32 | be32(p + 4);

	return u <= INT64_MAX ? (int64_t)u : -(int64_t)(~u) - 1;
}

static bool
read_hdr(const uint8_t *p, size_t len, size_t pos, struct hdr *h)
{
	if (len - pos < HDR_LEN || memcmp(p + pos, "TZif", 4) != 0)
		return false;
	p += pos;
	h->version = p[4];
	if (h->version != 0 && h->version != '2' && h->version != '3' && h->version != '4')
		return false;
	h->isutcnt = be32(p + 20);
	h->isstdcnt = be32(p + 24);
	h->leapcnt = be32(p + 28);
	h->timecnt = be32(p + 32);
	h->typecnt = be32(p + 36);
	h->charcnt = be32(p + 40);
	return true;
}

/* Data block size; each term is < 2^36, so the uint64 sum cannot wrap. */
static uint64_t
block_len(const struct hdr *h, unsigned tsz)
{
	return (uint64_t)h->timecnt * (tsz + 1) + (uint64_t)h->typecnt * 6 + h->charcnt +
	    (uint64_t)h->leapcnt * (tsz + 4) + h->isstdcnt + h->isutcnt;
}

/* Decode one data block, already known to lie within the buffer. */
static bool
read_block(struct pt_tz *tz, const uint8_t *p, const struct hdr *h, unsigned tsz)
{
	const uint8_t *times = p;
	const uint8_t *idx = times + (size_t)h->timecnt * tsz;
	const uint8_t *tt = idx + h->timecnt;
	const uint8_t *chars = tt + (size_t)h->typecnt * 6;
	const uint8_t *isstd = chars + h->charcnt + (size_t)h->leapcnt * (tsz + 4);
	const uint8_t *isut = isstd + h->isstdcnt;
	uint32_t i, keep, skip;
	int64_t prev = 0;

	if (h->typecnt < 1 || h->typecnt > PT_TZ_TYPES_MAX)
		return false;
	if ((h->isstdcnt != 0 && h->isstdcnt != h->typecnt) ||
	    (h->isutcnt != 0 && h->isutcnt != h->typecnt))
		return false;

	for (i = 0; i < h->typecnt; i++) {
		const uint8_t *e = tt + (size_t)i * 6;
		int32_t utoff = be32s(e);
		uint8_t desig = e[5];

		if (utoff < UTOFF_MIN || utoff > UTOFF_MAX || e[4] > 1)
			return false;
		/* The abbreviation must be a NUL-terminated string inside chars. */
		if (desig >= h->charcnt || memchr(chars + desig, 0, h->charcnt - desig) == NULL)
			return false;
		tz->type_off[i] = utoff;
	}
	for (i = 0; i < h->isstdcnt; i++)
		if (isstd[i] > 1)
			return false;
	for (i = 0; i < h->isutcnt; i++)
		if (isut[i] > 1 || (isut[i] == 1 && (h->isstdcnt == 0 || isstd[i] != 1)))
			return false;

	keep = h->timecnt < PT_TZ_TRANS_MAX ? h->timecnt : PT_TZ_TRANS_MAX;
	skip = h->timecnt - keep;
	for (i = 0; i < h->timecnt; i++) {
		int64_t at = tsz == 8 ? be64s(times + (size_t)i * 8) : be32s(times + (size_t)i * 4);

		if ((i > 0 && at <= prev) || idx[i] >= h->typecnt)
			return false;
		prev = at;
		if (i >= skip) {
			tz->trans_at[i - skip] = at;
			tz->trans_type[i - skip] = idx[i];
		}
	}
	tz->n_trans = (uint16_t)keep;
	tz->n_types = (uint16_t)h->typecnt;

	if (skip > 0) {
		/*
		 * Lookups before the first transition use type 0. With old
		 * transitions dropped, the type in force just before the first
		 * kept one is the right answer there, so swap it into slot 0.
		 */
		uint8_t b = idx[skip - 1];
		int32_t o = tz->type_off[0];

		tz->type_off[0] = tz->type_off[b];
		tz->type_off[b] = o;
		for (i = 0; i < keep; i++) {
			if (tz->trans_type[i] == b)
				tz->trans_type[i] = 0;
			else if (tz->trans_type[i] == 0)
				tz->trans_type[i] = b;
		}
	}
	return true;
}

int
pt_tz_parse_tzif(struct pt_tz *tz, const uint8_t *p, size_t len)
{
	struct hdr h1, h2;
	uint64_t bl;
	size_t pos, nl, rlen;
	int rc = PT_EMALFORMED;

	if (tz == NULL)
		return PT_EINVAL;
	memset(tz, 0, sizeof *tz);
	if (len > PT_TZ_FILE_MAX) {
		rc = PT_ETOOBIG;
		goto bad;
	}
	if (p == NULL || !read_hdr(p, len, 0, &h1))
		goto bad;
	pos = HDR_LEN;
	bl = block_len(&h1, 4);
	if (bl > len - pos)
		goto bad;
	if (h1.version == 0) {
		/* Version 1 ends with its data block: nothing may follow. */
		if (bl != len - pos || !read_block(tz, p + pos, &h1, 4))
			goto bad;
		return PT_OK;
	}
	/* Version 2+: the 32-bit block is only for old readers; skip it. */
	pos += (size_t)bl;
	if (!read_hdr(p, len, pos, &h2) || h2.version != h1.version)
		goto bad;
	pos += HDR_LEN;
	bl = block_len(&h2, 8);
	if (bl > len - pos || !read_block(tz, p + pos, &h2, 8))
		goto bad;
	pos += (size_t)bl;

	/* Footer: "\n" rule "\n", and that is the end of the file. */
	if (pos >= len || p[pos] != '\n')
		goto bad;
	pos++;
	for (nl = pos; nl < len && p[nl] != '\n'; nl++)
		;
	if (nl + 1 != len)
		goto bad;
	rlen = nl - pos;
	if (rlen > 0) {
		if (!parse_rule(&tz->rule, (const char *)(p + pos), rlen))
			goto bad;
		tz->has_rule = true;
	}
	return PT_OK;
bad:
	memset(tz, 0, sizeof *tz);
	return rc;
}
