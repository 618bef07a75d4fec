/*
 * porter/text.h: parsing and formatting for the programs: times,
 * durations, week-day intervals, hex.
 */
#ifndef PORTER_TEXT_H
#define PORTER_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "porter/cred.h"
#include "porter/err.h"

/*
 * A point in time: "2026-11-25T10:00:00Z", "2026-11-25T11:00:00+01:00",
 * "@1795600000" (Unix seconds), "now", or now plus/minus a duration
 * ("+2h", "-30m", "+7d"; units s m h d). PT_OK or PT_EINVAL.
 */
int pt_time_parse(const char *s, int64_t now, int64_t *t) PT_MUST_CHECK;
/* "2026-11-25T10:00:00Z"; out holds at least 32 bytes. */
void pt_time_format(int64_t t, char *out, size_t cap);
/* A duration: "90", "90s", "15m", "2h", "1d". PT_OK or PT_EINVAL. */
int pt_duration_parse(const char *s, int64_t *secs) PT_MUST_CHECK;
/* Week-day interval: "mon-fri 09:00-12:00", "sat,sun 10:00-14:30",
 * "daily 00:00-24:00". PT_OK or PT_EINVAL. */
int pt_weekly_parse(const char *s, struct pt_weekly *w) PT_MUST_CHECK;
/* "mon-fri 09:00-12:00" style, for display. */
void pt_weekly_format(const struct pt_weekly *w, char *out, size_t cap);
/* Lowercase hex, out holds 2 * len + 1 bytes. */
void pt_hex(const uint8_t *p, size_t len, char *out);
/* Strict unsigned decimal in [min, max]. */
int pt_uint_parse(const char *s, uint64_t min, uint64_t max, uint64_t *v) PT_MUST_CHECK;

#endif
