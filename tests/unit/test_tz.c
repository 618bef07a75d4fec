/*
 * Unit tests for porter/tz.h.
 *
 * The oracle is the system tz database read through glibc: for each zone we
 * parse /usr/share/zoneinfo/ZONE ourselves and compare with localtime_r()
 * under TZ=":ZONE". tzdata is a dependency of porter (the install script
 * installs it), so a missing database is a failure, not a skip.
 */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE 1
#endif

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "porter/tz.h"
#include "t.h"

#define ZONEINFO "/usr/share/zoneinfo"
#define Y2100 4102444800LL	/* 2100-01-01T00:00:00Z */
#define DIAG_MAX 5		/* mismatches printed per group */

static uint8_t filebuf[PT_TZ_FILE_MAX + 2];
static uint8_t buildbuf[64 * 1024];
static struct pt_tz tzs, tzp;	/* big structs: keep them off the stack */
static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static const char *const zones[] = {
	"Europe/Berlin", "America/New_York", "America/Sao_Paulo",
	"Australia/Lord_Howe", "Asia/Kolkata", "Pacific/Chatham",
	"America/St_Johns", "Europe/Dublin", "Africa/Casablanca", "UTC",
	/* rule features: negative and >24h rule times, southern DST, 2h DST */
	"America/Nuuk", "Asia/Jerusalem", "America/Santiago", "Antarctica/Troll",
};

static uint64_t
rnd(void)
{
	/* splitmix64: fixed seed, so failures reproduce. */
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static int64_t
rnd_range(int64_t lo, int64_t hi)
{
	return lo + (int64_t)(rnd() % (uint64_t)(hi - lo));
}

static size_t
read_file(const char *path, uint8_t *buf, size_t cap)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	if (f == NULL)
		return 0;
	n = fread(buf, 1, cap, f);
	fclose(f);
	return n;
}

static size_t
read_zone(const char *zone, uint8_t *buf, size_t cap)
{
	char path[512];
	int n = snprintf(path, sizeof path, "%s/%s", ZONEINFO, zone);

	if (n < 0 || (size_t)n >= sizeof path)
		return 0;
	return read_file(path, buf, cap);
}

static void
set_tz(const char *spec)
{
	setenv("TZ", spec, 1);
	tzset();
}

static void
set_zone(const char *zone)
{
	char spec[1100];
	int n = snprintf(spec, sizeof spec, ":%s", zone);

	if (n < 0 || (size_t)n >= sizeof spec)
		spec[0] = 0;	/* UTC: the comparison then fails loudly */
	set_tz(spec);
}

/* Compare tz at t with glibc under the current TZ; 1 on mismatch. */
static int
cmp_glibc(const struct pt_tz *tz, int64_t t, const char *what, int *diags)
{
	struct tm tm;
	struct pt_civil c;
	time_t tt = (time_t)t;
	int32_t off = 0;
	int bad;

	if (localtime_r(&tt, &tm) == NULL)
		return 1;
	bad = pt_tz_offset(tz, t, &off) != PT_OK || off != tm.tm_gmtoff ||
	    pt_tz_local(tz, t, &c) != PT_OK || c.year != tm.tm_year + 1900LL ||
	    c.month != tm.tm_mon + 1 || c.day != tm.tm_mday || c.hour != tm.tm_hour ||
	    c.min != tm.tm_min || c.sec != tm.tm_sec || c.wday != tm.tm_wday ||
	    c.yday != tm.tm_yday;
	if (bad && (*diags)++ < DIAG_MAX)
		printf("# %s: t=%lld ours off=%d %lld-%02d-%02d %02d:%02d:%02d, "
		    "glibc off=%ld %d-%02d-%02d %02d:%02d:%02d\n", what, (long long)t,
		    off, (long long)c.year, c.month, c.day, c.hour, c.min, c.sec,
		    tm.tm_gmtoff, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
		    tm.tm_hour, tm.tm_min, tm.tm_sec);
	return bad;
}

/* The footer rule of a v2+ file: the text between the last two newlines. */
static size_t
footer(const uint8_t *p, size_t len, char *out, size_t cap)
{
	size_t e, s;

	if (len < 2 || p[len - 1] != '\n')
		return 0;
	e = len - 1;
	for (s = e; s > 0 && p[s - 1] != '\n'; s--)
		;
	if (e - s >= cap)
		return 0;
	memcpy(out, p + s, e - s);
	out[e - s] = 0;
	return e - s;
}

static void
test_zone(const char *zone)
{
	size_t len = read_zone(zone, filebuf, sizeof filebuf);
	char foot[128];
	int i, bad, diags;
	int64_t last;

	T_OK(len > 0, "%s: read zone file", zone);
	T_EQ(pt_tz_parse_tzif(&tzs, filebuf, len), PT_OK, "%s: parse TZif", zone);
	set_zone(zone);

	bad = diags = 0;
	for (i = 0; i < 5000; i++)
		bad += cmp_glibc(&tzs, rnd_range(0, Y2100), zone, &diags);
	T_EQ(bad, 0, "%s: 5000 random instants 1970..2100 match glibc", zone);

	/* The footer on its own, against the file and against glibc. */
	T_OK(footer(filebuf, len, foot, sizeof foot) > 0, "%s: has footer '%s'", zone, foot);
	T_EQ(pt_tz_parse_posix(&tzp, foot, strlen(foot)), PT_OK, "%s: parse footer", zone);
	T_OK(tzs.has_rule, "%s: TZif footer rule kept", zone);
	T_OK(memcmp(&tzs.rule, &tzp.rule, sizeof tzp.rule) == 0, "%s: same rule both ways", zone);
	last = tzs.n_trans > 0 ? tzs.trans_at[tzs.n_trans - 1] : 0;
	bad = 0;
	for (i = 0; i < 2000; i++) {
		int64_t t = rnd_range(last, last + 200LL * 365 * 86400);
		int32_t a = 1, b = 2;

		bad += pt_tz_offset(&tzs, t, &a) != PT_OK ||
		    pt_tz_offset(&tzp, t, &b) != PT_OK || a != b;
	}
	T_EQ(bad, 0, "%s: file and footer agree after the last transition", zone);
	set_tz(foot);
	bad = diags = 0;
	for (i = 0; i < 2000; i++)
		bad += cmp_glibc(&tzp, rnd_range(0, Y2100), foot, &diags);
	T_EQ(bad, 0, "%s: footer '%s' matches glibc TZ=footer", zone, foot);
}

/* Find glibc's offset changes in UTC year y: hourly scan, then bisect. */
static int
find_transitions(int64_t y, int64_t *out, int max)
{
	int64_t t0 = pt_unix_from_civil(y, 1, 1, 0, 0, 0);
	int64_t t1 = pt_unix_from_civil(y + 1, 1, 1, 0, 0, 0);
	int64_t t;
	int n = 0;
	struct tm a, b;

	for (t = t0; t + 3600 <= t1; t += 3600) {
		time_t ta = (time_t)t, tb = (time_t)(t + 3600);
		int64_t lo = t, hi = t + 3600;

		localtime_r(&ta, &a);
		localtime_r(&tb, &b);
		if (a.tm_gmtoff == b.tm_gmtoff)
			continue;
		while (hi - lo > 1) {	/* offset at lo is old, at hi new */
			int64_t mid = lo + (hi - lo) / 2;
			time_t tm_ = (time_t)mid;
			struct tm m;

			localtime_r(&tm_, &m);
			if (m.tm_gmtoff == a.tm_gmtoff)
				lo = mid;
			else
				hi = mid;
		}
		if (n < max)
			out[n] = hi;
		n++;
	}
	return n;
}

static void
test_dst_edges(const char *zone, int64_t y)
{
	size_t len = read_zone(zone, filebuf, sizeof filebuf);
	char foot[128];
	int64_t tr[4];
	int n, k, rc, up = 0, down = 0;

	T_EQ(pt_tz_parse_tzif(&tzs, filebuf, len), PT_OK, "%s: parse", zone);
	footer(filebuf, len, foot, sizeof foot);
	T_EQ(pt_tz_parse_posix(&tzp, foot, strlen(foot)), PT_OK, "%s: parse footer", zone);
	set_zone(zone);
	n = find_transitions(y, tr, 4);
	T_EQ(n, 2, "%s %lld: two DST changes", zone, (long long)y);
	for (k = 0; k < n && k < 4; k++) {
		int64_t t;
		int32_t before = 0, after = 0;
		int bad = 0, badp = 0, diags = 0, in_range = 0;
		int64_t lo, hi;
		struct pt_civil c;

		rc = pt_tz_offset(&tzs, tr[k] - 1, &before) | pt_tz_offset(&tzs, tr[k], &after);
		T_OK(rc == PT_OK && before != after && (before == 3600 * (after / 3600 - 1) ||
		    before == 3600 * (after / 3600 + 1)),
		    "%s: change at %lld: %d -> %d", zone, (long long)tr[k], before, after);
		if (after > before)
			up++;
		else
			down++;
		/* Local times skipped (spring) or repeated (autumn) by this change. */
		lo = tr[k] + (after > before ? before : after);
		hi = tr[k] + (after > before ? after : before);
		for (t = tr[k] - 7200; t <= tr[k] + 7200; t++) {
			bad += cmp_glibc(&tzs, t, zone, &diags);
			badp += cmp_glibc(&tzp, t, foot, &diags);
			if (pt_tz_local(&tzs, t, &c) == PT_OK) {
				int64_t l = pt_unix_from_civil(c.year, c.month, c.day, c.hour,
				    c.min, c.sec);
				in_range += l >= lo && l < hi;
			}
		}
		T_EQ(bad, 0, "%s %lld: every second within 2h of change %d matches glibc", zone,
		    (long long)y, k);
		T_EQ(badp, 0, "%s %lld: footer rule too, change %d", zone, (long long)y, k);
		T_EQ(in_range, after > before ? 0 : 2 * (before - after),
		    "%s %lld: local times in the %s occur %d times", zone, (long long)y,
		    after > before ? "gap" : "overlap", in_range);
	}
	T_OK(up == 1 && down == 1, "%s %lld: one spring forward and one fall back", zone,
	    (long long)y);
}

/* Every TZif file of the system parses; non-leap-second ones match glibc. */
static int zf_files, zf_parse_bad, zf_cmp_bad, zf_diags;

static void
walk(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		char path[1024];
		struct stat st;
		size_t len;
		int i, n;

		if (e->d_name[0] == '.')
			continue;
		n = snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		if (n < 0 || (size_t)n >= sizeof path || lstat(path, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			walk(path);
			continue;
		}
		if (!S_ISREG(st.st_mode))
			continue;	/* symlinks: their targets are visited anyway */
		len = read_file(path, filebuf, sizeof filebuf);
		if (len < 4 || memcmp(filebuf, "TZif", 4) != 0)
			continue;
		zf_files++;
		if (pt_tz_parse_tzif(&tzs, filebuf, len) != PT_OK) {
			if (zf_parse_bad++ < DIAG_MAX)
				printf("# does not parse: %s\n", path);
			continue;
		}
		if (strstr(path, "/right/") != NULL)
			continue;	/* leap-second clocks: not POSIX time */
		set_zone(path);
		for (i = 0; i < 40; i++)
			zf_cmp_bad += cmp_glibc(&tzs, rnd_range(0, Y2100), path, &zf_diags);
	}
	closedir(d);
}

static void
test_all_zone_files(void)
{
	walk(ZONEINFO);
	T_OK(zf_files > 300, "found %d TZif files", zf_files);
	T_EQ(zf_parse_bad, 0, "every system TZif file parses");
	T_EQ(zf_cmp_bad, 0, "every system zone matches glibc at 40 random instants");
}

static int
cmp_gmtime(int64_t t, int *diags)
{
	struct tm tm;
	struct pt_civil c;
	time_t tt = (time_t)t;
	int bad;

	if (gmtime_r(&tt, &tm) == NULL)
		return 1;
	pt_civil_from_unix(t, &c);
	bad = c.year != tm.tm_year + 1900LL || c.month != tm.tm_mon + 1 ||
	    c.day != tm.tm_mday || c.hour != tm.tm_hour || c.min != tm.tm_min ||
	    c.sec != tm.tm_sec || c.wday != tm.tm_wday || c.yday != tm.tm_yday ||
	    pt_unix_from_civil(c.year, c.month, c.day, c.hour, c.min, c.sec) != t;
	if (bad && (*diags)++ < DIAG_MAX)
		printf("# civil: t=%lld ours %lld-%02d-%02d %02d:%02d:%02d w%d y%d\n",
		    (long long)t, (long long)c.year, c.month, c.day, c.hour, c.min, c.sec,
		    c.wday, c.yday);
	return bad;
}

static void
test_civil(void)
{
	struct pt_civil c;
	int64_t y, t;
	int i, bad = 0, diags = 0;

	pt_civil_from_unix(-1, &c);
	T_OK(c.year == 1969 && c.month == 12 && c.day == 31 && c.hour == 23 &&
	    c.min == 59 && c.sec == 59 && c.wday == 3 && c.yday == 364, "t=-1 is 1969-12-31T23:59:59 Wed");
	pt_civil_from_unix(951782400, &c);
	T_OK(c.year == 2000 && c.month == 2 && c.day == 29 && c.wday == 2 && c.yday == 59,
	    "2000-02-29 is a Tuesday, yday 59");
	T_EQ(pt_unix_from_civil(1970, 1, 1, 0, 0, 0), 0, "epoch");
	T_EQ(pt_unix_from_civil(2000, 3, 1, 0, 0, 0), 951868800, "2000-03-01");
	T_EQ(pt_unix_from_civil(2000, 13, 1, 0, 0, 0), pt_unix_from_civil(2001, 1, 1, 0, 0, 0),
	    "month 13 rolls into the next year");
	T_EQ(pt_unix_from_civil(2000, 0, 1, 0, 0, 0), pt_unix_from_civil(1999, 12, 1, 0, 0, 0),
	    "month 0 is December of the year before");
	T_EQ(pt_unix_from_civil(2000, 3, 0, 0, 0, 0), pt_unix_from_civil(2000, 2, 29, 0, 0, 0),
	    "day 0 is the last day of the month before");
	T_EQ(pt_unix_from_civil(1969, 12, 31, 23, 59, 59), -1, "one second before the epoch");
	T_EQ(pt_unix_from_civil(0, 1, 1, 0, 0, 0), -62167219200LL, "year 0 (1 BC) starts");
	/* Extremes: defined behaviour, no trap under UBSan. */
	pt_civil_from_unix(INT64_MIN, &c);
	pt_civil_from_unix(INT64_MAX, &c);
	(void)pt_unix_from_civil(INT64_MAX, INT32_MAX, INT32_MAX, INT32_MAX, INT32_MAX, INT32_MAX);
	(void)pt_unix_from_civil(INT64_MIN, INT32_MIN, INT32_MIN, INT32_MIN, INT32_MIN, INT32_MIN);
	T_OK(1, "extreme inputs do not trap");

	/* Both ends of every day from year -1000 to 3000. */
	for (t = pt_unix_from_civil(-1000, 1, 1, 0, 0, 0);
	    t < pt_unix_from_civil(3001, 1, 1, 0, 0, 0); t += 86400) {
		bad += cmp_gmtime(t, &diags);
		bad += cmp_gmtime(t - 1, &diags);
	}
	T_EQ(bad, 0, "every day boundary from -1000 to 3000 matches gmtime_r");

	bad = 0;
	for (y = -5000; y <= 5000; y++) {
		bad += cmp_gmtime(pt_unix_from_civil(y, 2, 28, 23, 59, 59), &diags);
		bad += cmp_gmtime(pt_unix_from_civil(y, 3, 1, 0, 0, 0) - 1, &diags);
		bad += cmp_gmtime(pt_unix_from_civil(y, 12, 31, 23, 59, 59), &diags);
	}
	T_EQ(bad, 0, "leap days and year ends from -5000 to 5000");

	bad = 0;
	for (i = 0; i < 200000; i++)
		bad += cmp_gmtime(rnd_range(-(1LL << 50) + 1, 1LL << 50), &diags);
	for (i = 0; i < 200000; i++)
		bad += cmp_gmtime(rnd_range(-(1LL << 34), 1LL << 34), &diags);
	T_EQ(bad, 0, "400000 random instants within +-2^50 s round-trip and match gmtime_r");
}

struct posix_case {
	const char *s;
	int32_t std_off, dst_off;
	int has_dst;
	int32_t start_time, end_time;
};

static void
test_posix(void)
{
	static const struct posix_case good[] = {
		{ "UTC0", 0, 0, 0, 0, 0 },
		{ "<+0330>-3:30", 12600, 0, 0, 0, 0 },
		{ "<-03>3", -10800, 0, 0, 0, 0 },
		{ "IST-5:30", 19800, 0, 0, 0, 0 },
		{ "EST5EDT,M3.2.0,M11.1.0", -18000, -14400, 1, 7200, 7200 },
		{ "NST3:30NDT,M3.2.0,M11.1.0", -12600, -9000, 1, 7200, 7200 },
		{ "<+1245>-12:45<+1345>,M9.5.0/2:45,M4.1.0/3:45", 45900, 49500, 1, 9900, 13500 },
		{ "IST-1GMT0,M10.5.0,M3.5.0/1", 3600, 0, 1, 7200, 3600 },
		{ "<-02>2<-01>,M3.5.0/-1,M10.5.0/0", -7200, -3600, 1, -3600, 0 },
		{ "IST-2IDT,M3.4.4/26,M10.5.0", 7200, 10800, 1, 93600, 7200 },
		{ "<-03>3<-02>,0/0,J365/25", -10800, -7200, 1, 0, 90000 },
		{ "AAA+24:59:59BBB-24:59:59,J1/167:59:59,365/-167:59:59", -89999, 89999, 1,
		    604799, -604799 },
		{ "<+00>0<+02>-2,M3.5.0/1,M10.5.0/3", 0, 7200, 1, 3600, 10800 },
		{ "abc-1xyz,M1.1.0,M12.5.6", 3600, 7200, 1, 7200, 7200 },
	};
	static const char *const bad[] = {
		"", "E", "ES5", "EST", "EST5EDT", "EST5EDT,M3.2.0", "EST5EDT,M3.2.0,",
		"EST5EDT,M3.2.0,M11.1.0,", "EST5EDT,M3.2.0,M11.1.0x", "EST5EDT,M13.2.0,M11.1.0",
		"EST5EDT,M0.2.0,M11.1.0", "EST5EDT,M3.6.0,M11.1.0", "EST5EDT,M3.0.0,M11.1.0",
		"EST5EDT,M3.2.7,M11.1.0", "EST5EDT,J0,J365", "EST5EDT,J1,J366", "EST5EDT,0,366",
		"EST5EDT,M3.2.0/168,M11.1.0", "EST5EDT,M3.2.0/2:60,M11.1.0",
		"EST5EDT,M3.2.0/2:00:60,M11.1.0", "EST5EDT,M3.2.0/1000,M11.1.0", "EST25",
		"EST5:60", "EST5:5:5:5", "EST+", "EST-", "EST 5", "<EST5", "<E>5", "<E T>5",
		"<ESTT>", "EST5EDT4", "EST5EDT,", "5EST", ":Europe/Berlin", "Europe/Berlin",
		"EST005", "EST5EDT,M03.2.0,M11.1.0x", "EST5EDT,M3.2.0/-168,M11.1.0",
		"EST5EDT,M3.2.0/,M11.1.0", "EST5EDT,M3..0,M11.1.0", "EST5EDT;M3.2.0,M11.1.0",
		"ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGHIJKLM0",
	};
	size_t i;
	int32_t off;

	for (i = 0; i < sizeof good / sizeof good[0]; i++) {
		const struct posix_case *g = &good[i];
		int rc = pt_tz_parse_posix(&tzp, g->s, strlen(g->s));

		T_OK(rc == PT_OK && tzp.has_rule && tzp.n_trans == 0 &&
		    tzp.rule.std_off == g->std_off && tzp.rule.has_dst == (g->has_dst != 0) &&
		    (!g->has_dst || (tzp.rule.dst_off == g->dst_off &&
		    tzp.rule.start.time == g->start_time && tzp.rule.end.time == g->end_time)),
		    "posix '%s' parses (rc %d std %d dst %d start %d end %d)", g->s, rc,
		    tzp.rule.std_off, tzp.rule.dst_off, tzp.rule.start.time, tzp.rule.end.time);
		T_EQ(pt_tz_offset(&tzp, 1700000000, &off), PT_OK, "posix '%s' evaluates", g->s);
	}
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int rc = pt_tz_parse_posix(&tzp, bad[i], strlen(bad[i]));
		T_OK(rc == PT_EMALFORMED && !tzp.has_rule && tzp.rule.std_off == 0,
		    "posix '%s' rejected", bad[i]);
	}
	/* The length bounds the parse: no NUL needed, none looked for. */
	T_EQ(pt_tz_parse_posix(&tzp, "EST5EDT,M3.2.0,M11.1.0", 4), PT_OK, "prefix 'EST5' of a longer buffer");
	T_EQ(tzp.rule.std_off, -18000, "EST5 is UTC-5");
	T_EQ(pt_tz_parse_posix(&tzp, "EST5\0", 5), PT_EMALFORMED, "embedded NUL rejected");
	T_EQ(pt_tz_parse_posix(&tzp, NULL, 0), PT_EMALFORMED, "NULL string rejected");
	T_EQ(pt_tz_offset(&tzp, 0, &off), PT_EINVAL, "zeroed zone: PT_EINVAL");
	T_EQ(off, 0, "zeroed zone: offset zeroed");
	{
		struct pt_civil c;
		c.year = 99;
		T_EQ(pt_tz_local(&tzp, 0, &c), PT_EINVAL, "zeroed zone: pt_tz_local PT_EINVAL");
		T_EQ(c.year, 0, "zeroed zone: civil zeroed");
	}
}

/* pt_tz is plain data: a hand-made inconsistent one must be refused, not read. */
static void
test_bad_structs(void)
{
	static const char berlin[] = "CET-1CEST,M3.5.0,M10.5.0/3";
	int32_t off;

	T_EQ(pt_tz_parse_posix(&tzp, berlin, strlen(berlin)), PT_OK, "Berlin rule");
	T_OK(pt_tz_offset(&tzp, INT64_MAX, &off) == PT_OK && (off == 3600 || off == 7200),
	    "DST rule at INT64_MAX: clamped, answers %d", off);
	T_OK(pt_tz_offset(&tzp, INT64_MIN, &off) == PT_OK && (off == 3600 || off == 7200),
	    "DST rule at INT64_MIN: clamped, answers %d", off);
	tzp.rule.start.month = 13;
	T_EQ(pt_tz_offset(&tzp, 0, &off), PT_EINVAL, "rule with month 13 refused");
	tzp.rule.start.month = 3;
	tzp.rule.end.kind = 3;
	T_EQ(pt_tz_offset(&tzp, 0, &off), PT_EINVAL, "rule with date kind 3 refused");
	tzp.rule.end.kind = 1;
	tzp.rule.end.day = 0;
	T_EQ(pt_tz_offset(&tzp, 0, &off), PT_EINVAL, "rule with J0 refused");
	tzp.rule.end.kind = 0;
	tzp.rule.end.time = 200 * 3600;
	T_EQ(pt_tz_offset(&tzp, 0, &off), PT_EINVAL, "rule time 200h refused");
	tzp.rule.end.time = 0;
	tzp.rule.dst_off = 100000;
	T_EQ(pt_tz_offset(&tzp, 0, &off), PT_EINVAL, "dst offset 100000 refused");
	tzp.rule.has_dst = false;
	tzp.rule.std_off = -100000;
	T_EQ(pt_tz_offset(&tzp, 0, &off), PT_EINVAL, "std offset -100000 refused");

	memset(&tzp, 0, sizeof tzp);
	tzp.n_types = 1;
	tzp.type_off[0] = 3600;
	T_OK(pt_tz_offset(&tzp, 0, &off) == PT_OK && off == 3600, "one type, no transitions");
	tzp.n_trans = 1;
	tzp.trans_type[0] = 1;
	T_EQ(pt_tz_offset(&tzp, 10, &off), PT_EINVAL, "transition type >= n_types refused");
	tzp.n_types = 0;
	T_EQ(pt_tz_offset(&tzp, 10, &off), PT_EINVAL, "transitions without types refused");
	tzp.n_types = 2;
	tzp.n_trans = PT_TZ_TRANS_MAX + 1;
	T_EQ(pt_tz_offset(&tzp, 10, &off), PT_EINVAL, "n_trans > PT_TZ_TRANS_MAX refused");
	tzp.n_trans = 1;
	tzp.n_types = PT_TZ_TYPES_MAX + 1;
	T_EQ(pt_tz_offset(&tzp, 10, &off), PT_EINVAL, "n_types > PT_TZ_TYPES_MAX refused");
	T_EQ(pt_tz_offset(NULL, 10, &off), PT_EINVAL, "NULL zone");
	T_EQ(pt_tz_offset(&tzp, 10, NULL), PT_EINVAL, "NULL offset");
	T_EQ(pt_tz_local(&tzp, 10, NULL), PT_EINVAL, "NULL civil");
	T_EQ(pt_tz_parse_tzif(NULL, filebuf, 10), PT_EINVAL, "NULL output (tzif)");
	T_EQ(pt_tz_parse_posix(NULL, "UTC0", 4), PT_EINVAL, "NULL output (posix)");
}

static void
test_all_year_dst(void)
{
	static const char s[] = "<-03>3<-02>,0/0,J365/25";
	int64_t y, t;
	int bad = 0, i;
	int32_t off;

	T_EQ(pt_tz_parse_posix(&tzp, s, strlen(s)), PT_OK, "parse all-year DST rule");
	for (y = 1960; y <= 2200; y++) {
		int64_t j1 = pt_unix_from_civil(y, 1, 1, 3, 0, 0);	/* local midnight */

		for (t = j1 - 4 * 3600; t <= j1 + 4 * 3600; t += 60)
			bad += pt_tz_offset(&tzp, t, &off) != PT_OK || off != -7200;
	}
	for (i = 0; i < 10000; i++)
		bad += pt_tz_offset(&tzp, rnd_range(-Y2100, 2 * Y2100), &off) != PT_OK ||
		    off != -7200;
	T_EQ(bad, 0, "all-year DST rule: DST at every instant, year ends included");

	/* Southern hemisphere by rule alone: DST over the new year. */
	T_EQ(pt_tz_parse_posix(&tzp, "<-04>4<-03>,M9.1.6/24,M4.1.6/24", 31), PT_OK, "Santiago rule");
	T_OK(pt_tz_offset(&tzp, pt_unix_from_civil(2030, 1, 1, 0, 0, 0), &off) == PT_OK &&
	    off == -10800, "Santiago: DST on New Year");
	T_OK(pt_tz_offset(&tzp, pt_unix_from_civil(2030, 7, 1, 0, 0, 0), &off) == PT_OK &&
	    off == -14400, "Santiago: standard time in July");
}

/* ---- hand-built TZif files ---- */

struct tb {
	uint8_t version;
	size_t n;
	int64_t at[700];
	uint8_t idx[700];
	size_t ntypes;
	int32_t utoff[300];
	uint8_t isdst[300], desig[300];
	size_t charcnt;
	char chars[32];
	size_t leapcnt, isstdcnt, isutcnt;
	const char *footer;	/* the rule, without newlines */
};

static uint8_t *
put32(uint8_t *o, uint32_t v)
{
	o[0] = (uint8_t)(v >> 24);
	o[1] = (uint8_t)(v >> 16);
	o[2] = (uint8_t)(v >> 8);
	o[3] = (uint8_t)v;
	return o + 4;
}

static uint8_t *
put_t(uint8_t *o, int64_t v, int tsz)
{
	if (tsz == 8)
		o = put32(o, (uint32_t)((uint64_t)v >> 32));
	return put32(o, (uint32_t)(uint64_t)v);
}

static uint8_t *
put_block(uint8_t *o, const struct tb *b, int tsz)
{
	size_t i;

	memcpy(o, "TZif", 4);
	o[4] = b->version;
	memset(o + 5, 0, 15);
	o += 20;
	o = put32(o, (uint32_t)b->isutcnt);
	o = put32(o, (uint32_t)b->isstdcnt);
	o = put32(o, (uint32_t)b->leapcnt);
	o = put32(o, (uint32_t)b->n);
	o = put32(o, (uint32_t)b->ntypes);
	o = put32(o, (uint32_t)b->charcnt);
	for (i = 0; i < b->n; i++)
		o = put_t(o, b->at[i], tsz);
	for (i = 0; i < b->n; i++)
		*o++ = b->idx[i];
	for (i = 0; i < b->ntypes; i++) {
		o = put32(o, (uint32_t)b->utoff[i]);
		*o++ = b->isdst[i];
		*o++ = b->desig[i];
	}
	memcpy(o, b->chars, b->charcnt);
	o += b->charcnt;
	for (i = 0; i < b->leapcnt; i++) {
		o = put_t(o, 78796800 + (int64_t)i * 15778800, tsz);
		o = put32(o, (uint32_t)(i + 1));
	}
	for (i = 0; i < b->isstdcnt; i++)
		*o++ = 1;
	for (i = 0; i < b->isutcnt; i++)
		*o++ = 1;
	return o;
}

/* Serialise b; *h2 gets the offset of the 64-bit header (0 for v1). */
static size_t
tb_build(const struct tb *b, uint8_t *out, size_t *h2)
{
	uint8_t *o = put_block(out, b, 4);

	*h2 = 0;
	if (b->version != 0) {
		size_t fl = strlen(b->footer ? b->footer : "");

		*h2 = (size_t)(o - out);
		o = put_block(o, b, 8);
		*o++ = '\n';
		memcpy(o, b->footer ? b->footer : "", fl);
		o += fl;
		*o++ = '\n';
	}
	return (size_t)(o - out);
}

/* A small valid zone: types 0 (+0 LMT), 1 (+3600 STD), 2 (+7200 DST). */
static void
tb_default(struct tb *b, uint8_t version)
{
	size_t i;

	memset(b, 0, sizeof *b);
	b->version = version;
	b->ntypes = 3;
	b->utoff[0] = 0;
	b->utoff[1] = 3600;
	b->utoff[2] = 7200;
	b->isdst[2] = 1;
	b->desig[0] = 0;
	b->desig[1] = 4;
	b->desig[2] = 8;
	memcpy(b->chars, "LMT\0STD\0DST\0", 12);
	b->charcnt = 12;
	b->n = 5;
	for (i = 0; i < b->n; i++) {
		b->at[i] = 100000000 + (int64_t)i * 10000000;
		b->idx[i] = (uint8_t)(1 + i % 2);
	}
	b->footer = "STD-1";
}

static int
parse_tb(const struct tb *b, size_t *lenp)
{
	size_t h2, len = tb_build(b, buildbuf, &h2);

	if (lenp)
		*lenp = len;
	return pt_tz_parse_tzif(&tzs, buildbuf, len);
}

static int
is_zero(const struct pt_tz *tz)
{
	static const struct pt_tz zero;
	return memcmp(tz, &zero, sizeof zero) == 0;
}

static void
patch32(size_t at, uint32_t v)
{
	put32(buildbuf + at, v);
}

static void
test_built(void)
{
	static struct tb b;
	size_t len, h2, i;
	int32_t off;
	int rc, bad;
	uint8_t v;

	for (v = 0; v <= '4'; v = (uint8_t)(v == 0 ? '2' : v + 1)) {
		tb_default(&b, v);
		b.leapcnt = 3;	/* records must be skipped at the right width */
		b.isstdcnt = b.isutcnt = 3;
		T_EQ(parse_tb(&b, NULL), PT_OK, "built v%c file with leap records parses",
		    v ? v : '1');
		T_OK(tzs.n_trans == 5 && tzs.n_types == 3 && tzs.has_rule == (v != 0),
		    "v%c: counts", v ? v : '1');
		T_OK(pt_tz_offset(&tzs, 0, &off) == PT_OK && off == 0, "v%c: type 0 before", v ? v : '1');
		T_OK(pt_tz_offset(&tzs, 110000000, &off) == PT_OK && off == 7200, "v%c: lookup",
		    v ? v : '1');
	}

	/* The v1 block of a v2 file is skipped, whatever its contents. */
	tb_default(&b, '2');
	tb_build(&b, buildbuf, &h2);
	len = tb_build(&b, buildbuf, &h2);
	memset(buildbuf + 44, 0xff, h2 - 44);
	T_EQ(pt_tz_parse_tzif(&tzs, buildbuf, len), PT_OK, "v2: garbage in the v1 block is skipped");
	/* v2 with an empty footer: no rule, last type stays. */
	tb_default(&b, '2');
	b.footer = "";
	T_EQ(parse_tb(&b, NULL), PT_OK, "v2 with empty footer");
	T_OK(!tzs.has_rule && pt_tz_offset(&tzs, Y2100, &off) == PT_OK && off == 3600,
	    "empty footer: last type after the last transition");
	/* v1 zone, no rule: last type. */
	tb_default(&b, 0);
	T_OK(parse_tb(&b, NULL) == PT_OK && pt_tz_offset(&tzs, Y2100, &off) == PT_OK &&
	    off == 3600, "v1: last type after the last transition");
	/* Extremes of utoff. */
	tb_default(&b, '2');
	b.utoff[1] = -89999;
	b.utoff[2] = 93599;
	T_EQ(parse_tb(&b, NULL), PT_OK, "utoff -89999 and 93599 accepted");
	{
		struct pt_civil c;

		T_EQ(pt_tz_local(&tzs, INT64_MAX, &c), PT_EINVAL, "local time past INT64_MAX: PT_EINVAL");
		T_EQ(pt_tz_local(&tzs, INT64_MIN, &c), PT_OK, "local time at INT64_MIN (offset 0)");
		T_EQ(pt_tz_offset(&tzs, INT64_MAX, &off), PT_OK, "offset at INT64_MAX");
	}

	/* More than PT_TZ_TRANS_MAX transitions: the newest are kept. */
	tb_default(&b, '2');
	b.footer = "";
	b.n = 600;
	for (i = 0; i < b.n; i++) {
		b.at[i] = 1000000 + (int64_t)i * 1000;
		b.idx[i] = (uint8_t)((i + 1) % 3);
	}
	T_EQ(parse_tb(&b, NULL), PT_OK, "600 transitions parse");
	T_EQ(tzs.n_trans, PT_TZ_TRANS_MAX, "kept PT_TZ_TRANS_MAX transitions");
	T_EQ(tzs.trans_at[0], b.at[600 - PT_TZ_TRANS_MAX], "kept the newest");
	bad = 0;
	for (i = 600 - PT_TZ_TRANS_MAX; i < 600; i++)
		bad += pt_tz_offset(&tzs, b.at[i] + 500, &off) != PT_OK ||
		    off != b.utoff[b.idx[i]];
	T_EQ(bad, 0, "kept transitions resolve as in the file");
	T_OK(pt_tz_offset(&tzs, b.at[600 - PT_TZ_TRANS_MAX] - 1, &off) == PT_OK &&
	    off == b.utoff[b.idx[600 - PT_TZ_TRANS_MAX - 1]],
	    "before the first kept: the type then in force (%d)", off);

	/* ---- malformed ---- */
#define BAD(what)                                                              \
	do {                                                                   \
		rc = parse_tb(&b, NULL);                                       \
		T_OK(rc == PT_EMALFORMED && is_zero(&tzs), "rejected: %s", what); \
	} while (0)
	tb_default(&b, '2');
	b.footer = "STD-1DST,M3.5.0";
	BAD("garbage footer");
	b.footer = "STD-1 ";
	BAD("footer with trailing space");
	b.footer = "ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGHIJKLM0";
	BAD("footer too long");
	b.footer = "STD-1\nX";
	BAD("footer with two lines");
	for (v = 0; v <= '2'; v = (uint8_t)(v == 0 ? '2' : v + 1)) {
		tb_default(&b, v);
		b.ntypes = 0;
		BAD("typecnt 0");
		tb_default(&b, v);
		b.ntypes = 257;
		BAD("typecnt 257");
		tb_default(&b, v);
		b.idx[2] = 3;
		BAD("transition type index == typecnt");
		tb_default(&b, v);
		b.at[3] = b.at[2];
		BAD("equal transition times");
		tb_default(&b, v);
		b.at[3] = b.at[2] - 1;
		BAD("descending transition times");
		tb_default(&b, v);
		b.utoff[1] = 93600;
		BAD("utoff 26h");
		tb_default(&b, v);
		b.utoff[1] = -90000;
		BAD("utoff -25h");
		tb_default(&b, v);
		b.utoff[1] = INT32_MIN;
		BAD("utoff INT32_MIN");
		tb_default(&b, v);
		b.isdst[1] = 2;
		BAD("isdst 2");
		tb_default(&b, v);
		b.desig[1] = 12;
		BAD("abbreviation index == charcnt");
		tb_default(&b, v);
		b.charcnt = 11;
		BAD("last abbreviation not NUL-terminated");
		tb_default(&b, v);
		b.isstdcnt = 2;
		BAD("isstdcnt neither 0 nor typecnt");
		tb_default(&b, v);
		b.isutcnt = 1;
		BAD("isutcnt neither 0 nor typecnt");
	}
	tb_default(&b, 0);
	len = tb_build(&b, buildbuf, &h2);
	buildbuf[3] = 'F';
	T_EQ(pt_tz_parse_tzif(&tzs, buildbuf, len), PT_EMALFORMED, "bad magic");
	len = tb_build(&b, buildbuf, &h2);
	buildbuf[4] = '1';
	T_EQ(pt_tz_parse_tzif(&tzs, buildbuf, len), PT_EMALFORMED, "version '1'");
	buildbuf[4] = '5';
	T_EQ(pt_tz_parse_tzif(&tzs, buildbuf, len), PT_EMALFORMED, "version '5'");
	buildbuf[len] = 0;
	buildbuf[4] = 0;
	T_EQ(pt_tz_parse_tzif(&tzs, buildbuf, len + 1), PT_EMALFORMED, "v1 with a trailing byte");
	tb_default(&b, '3');
	len = tb_build(&b, buildbuf, &h2);
	buildbuf[h2 + 4] = '2';
	T_EQ(pt_tz_parse_tzif(&tzs, buildbuf, len), PT_EMALFORMED, "v2 header version differs");
	len = tb_build(&b, buildbuf, &h2);
	buildbuf[h2] = 'x';
	T_EQ(pt_tz_parse_tzif(&tzs, buildbuf, len), PT_EMALFORMED, "v2 header bad magic");
	len = tb_build(&b, buildbuf, &h2);
	buildbuf[len++] = '\n';
	T_EQ(pt_tz_parse_tzif(&tzs, buildbuf, len), PT_EMALFORMED, "v3 with a byte after the footer");
	len = tb_build(&b, buildbuf, &h2);
	T_EQ(pt_tz_parse_tzif(&tzs, buildbuf, len - 1), PT_EMALFORMED, "footer without final newline");

	/* Oversized counts, in the header read and in the one skipped. */
	{
		static const uint32_t big[] = { 0xffffffffu, 0x80000000u, 0x7fffffffu, 0x10000000u,
			0x2aaaaaabu, 0x40000000u };
		static const size_t field[] = { 20, 24, 28, 32, 36, 40 };
		size_t f, k, hh;
		int ok = 1;

		for (k = 0; k < 2; k++) {
			tb_default(&b, k ? '2' : 0);
			for (f = 0; f < 6; f++) {
				for (i = 0; i < sizeof big / sizeof big[0]; i++) {
					len = tb_build(&b, buildbuf, &h2);
					hh = k ? h2 : 0;
					patch32(hh + field[f], big[i]);
					rc = pt_tz_parse_tzif(&tzs, buildbuf, len);
					ok &= rc == PT_EMALFORMED && is_zero(&tzs);
					if (k) {
						len = tb_build(&b, buildbuf, &h2);
						patch32(field[f], big[i]);
						rc = pt_tz_parse_tzif(&tzs, buildbuf, len);
						ok &= rc == PT_EMALFORMED;
					}
				}
			}
		}
		T_OK(ok, "oversized counts in every header field rejected");
	}
	T_EQ(pt_tz_parse_tzif(&tzs, filebuf, PT_TZ_FILE_MAX + 1), PT_ETOOBIG, "file too big");
	T_OK(is_zero(&tzs), "too big: zeroed");
	T_EQ(pt_tz_parse_tzif(&tzs, NULL, 0), PT_EMALFORMED, "empty input");
	T_EQ(pt_tz_parse_tzif(&tzs, NULL, 100), PT_EMALFORMED, "NULL input");

	/* Every proper prefix of a built v1 file fails. */
	tb_default(&b, 0);
	len = tb_build(&b, buildbuf, &h2);
	bad = 0;
	for (i = 0; i < len; i++)
		bad += pt_tz_parse_tzif(&tzs, buildbuf, i) != PT_EMALFORMED || !is_zero(&tzs);
	T_EQ(bad, 0, "every prefix of a built v1 file (%zu bytes) rejected", len);
#undef BAD
}

static void
test_truncated_and_mutated(const char *zone)
{
	size_t len = read_zone(zone, filebuf, sizeof filebuf), i;
	int bad = 0, ok = 0;
	int32_t off;
	struct pt_civil c;

	T_OK(len > 0, "%s: read", zone);
	for (i = 0; i < len; i++) {
		uint8_t *copy = malloc(i ? i : 1);	/* exact size: ASan sees overreads */

		memcpy(copy, filebuf, i);
		bad += pt_tz_parse_tzif(&tzs, copy, i) != PT_EMALFORMED || !is_zero(&tzs);
		free(copy);
	}
	T_EQ(bad, 0, "%s: every one of %zu truncations rejected", zone, len);

	/* Random byte flips: any result, but never a crash, and usable if OK. */
	for (i = 0; i < 20000; i++) {
		uint8_t *copy = malloc(len);
		size_t k, nflip = 1 + rnd() % 4;

		memcpy(copy, filebuf, len);
		for (k = 0; k < nflip; k++)
			copy[rnd() % len] ^= (uint8_t)(1u << (rnd() % 8));
		if (pt_tz_parse_tzif(&tzs, copy, len) == PT_OK) {
			ok++;
			if (pt_tz_offset(&tzs, rnd_range(-Y2100, Y2100), &off) != PT_OK ||
			    pt_tz_local(&tzs, rnd_range(-Y2100, Y2100), &c) != PT_OK)
				bad++;
		}
		free(copy);
	}
	T_EQ(bad, 0, "%s: 20000 mutated copies never crash (%d still valid)", zone, ok);
}

int
main(void)
{
	struct stat st;
	size_t i;

	if (stat(ZONEINFO "/Europe/Berlin", &st) != 0) {
		T_OK(0, "%s missing: install the tzdata package", ZONEINFO);
		return t_done();
	}
	for (i = 0; i < sizeof zones / sizeof zones[0]; i++)
		test_zone(zones[i]);
	test_dst_edges("Europe/Berlin", 2026);
	test_dst_edges("Europe/Berlin", 2040);
	test_dst_edges("America/New_York", 2026);
	test_dst_edges("America/New_York", 2040);
	test_all_zone_files();
	test_civil();
	test_posix();
	test_all_year_dst();
	test_bad_structs();
	test_built();
	test_truncated_and_mutated("Europe/Berlin");
	test_truncated_and_mutated("America/New_York");
	test_truncated_and_mutated("Australia/Lord_Howe");
	return t_done();
}
