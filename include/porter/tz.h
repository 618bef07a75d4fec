/*
 * porter/tz.h: civil time and IANA time zones, without libc's global TZ.
 *
 * Pure code: no I/O, no allocation, no globals. The caller reads a TZif
 * file (RFC 8536, e.g. /usr/share/zoneinfo/Europe/Berlin) into memory and
 * hands the bytes to pt_tz_parse_tzif(), or hands a POSIX TZ rule string
 * ("CET-1CEST,M3.5.0,M10.5.0/3") to pt_tz_parse_posix(). A struct pt_tz is
 * plain data of bounded size: it can be copied and shared read-only between
 * threads.
 *
 * The TZif file is untrusted input: the parser bounds-checks every field
 * and fails closed (the output is zeroed on error).
 */
#ifndef PORTER_TZ_H
#define PORTER_TZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "porter/err.h"

/*
 * Transitions kept from a TZif file. Files with more keep only the most
 * recent PT_TZ_TRANS_MAX (credentials are about the present and future;
 * older instants resolve with the oldest kept type).
 */
#define PT_TZ_TRANS_MAX 512
#define PT_TZ_TYPES_MAX 256
#define PT_TZ_POSIX_MAX 64	/* longest POSIX rule string accepted */
#define PT_TZ_FILE_MAX (256 * 1024) /* largest TZif file accepted */

/* One "Mm.w.d/time" / "Jn/time" / "n/time" date rule of a POSIX TZ string. */
struct pt_tz_date {
	uint8_t kind;	/* 0: Mm.w.d, 1: Jn (1..365, no leap day), 2: n (0..365) */
	uint8_t month;	/* 1..12 for kind 0 */
	uint8_t week;	/* 1..5 for kind 0 (5 = last) */
	uint8_t wday;	/* 0..6, Sunday = 0, for kind 0 */
	uint16_t day;	/* for kinds 1 and 2 */
	int32_t time;	/* seconds after local midnight, -167h..167h */
};

struct pt_tz_rule {
	int32_t std_off;	/* seconds EAST of UTC (note: POSIX strings say west) */
	int32_t dst_off;	/* seconds east of UTC while DST is in force */
	bool has_dst;
	struct pt_tz_date start, end; /* DST start (in std time), end (in dst time) */
};

struct pt_tz {
	uint16_t n_trans;
	uint16_t n_types;
	int64_t trans_at[PT_TZ_TRANS_MAX];	/* ascending, UTC seconds */
	uint8_t trans_type[PT_TZ_TRANS_MAX];	/* index into type_off */
	int32_t type_off[PT_TZ_TYPES_MAX];	/* seconds east of UTC */
	bool has_rule;	/* rule applies after the last transition */
	struct pt_tz_rule rule;
};

/* Broken-down UTC or local time. */
struct pt_civil {
	int64_t year;
	int month;	/* 1..12 */
	int day;	/* 1..31 */
	int hour, min, sec;
	int wday;	/* 0..6, Sunday = 0 */
	int yday;	/* 0..365 */
};

/*
 * Parse a TZif (version 1, 2, 3 or 4) file held in p[0..len).
 * Version 2+ files are read from their 64-bit section and their footer
 * rule. Returns PT_OK, PT_ETOOBIG (len > PT_TZ_FILE_MAX) or PT_EMALFORMED.
 * On error *tz is zeroed.
 */
int pt_tz_parse_tzif(struct pt_tz *tz, const uint8_t *p, size_t len) PT_MUST_CHECK;

/*
 * Parse a POSIX TZ rule (the TZif footer form, e.g. "EST5EDT,M3.2.0,M11.1.0"
 * or "<+0330>-3:30"), s[0..len) with no NUL needed. Sets *tz to a zone with
 * no transitions and this rule. PT_OK or PT_EMALFORMED (tz zeroed).
 */
int pt_tz_parse_posix(struct pt_tz *tz, const char *s, size_t len) PT_MUST_CHECK;

/*
 * UTC offset (seconds east) in force at UTC instant t.
 * Returns PT_OK, or PT_EINVAL for a zeroed/empty zone (no types, no rule).
 */
int pt_tz_offset(const struct pt_tz *tz, int64_t t, int32_t *off) PT_MUST_CHECK;

/* Proleptic Gregorian calendar, for |t| < 2^50 seconds. */
void pt_civil_from_unix(int64_t t, struct pt_civil *c);
int64_t pt_unix_from_civil(int64_t year, int month, int day, int hour, int min, int sec);

/* Local civil time of t in tz. PT_OK or PT_EINVAL (as pt_tz_offset). */
int pt_tz_local(const struct pt_tz *tz, int64_t t, struct pt_civil *c) PT_MUST_CHECK;

#endif
