/*
 * Logging: one line per event, "ts=... level=... key=value ...", written
 * with one write(2) so lines from threads never interleave.
 *
 * At level info every request logs a line, so the timestamp is cheap: each
 * thread keeps the date and time of the second it last logged in, and only
 * the milliseconds are written per line (gmtime_r takes glibc's time-zone
 * lock, and formatting seven numbers with snprintf cost more than the rest
 * of the line).
 */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "porterd.h"

static atomic_int level = LOG_INFO_;
static const char *const names[] = {"error", "warn", "info", "debug"};

void
log_set_level(int l)
{
	atomic_store(&level, l);
}

/* "ts=2026-11-25T20:14:03." for the second t, cached per thread. */
static _Thread_local time_t stamp_sec = -1;
static _Thread_local char stamp[48];
static _Thread_local size_t stamp_len;

static bool
stamp_for(time_t t)
{
	struct tm tm;
	int n;

	if (t == stamp_sec)
		return true;
	stamp_sec = -1;
	if (gmtime_r(&t, &tm) == NULL)
		return false;
	n = snprintf(stamp, sizeof(stamp), "ts=%04d-%02d-%02dT%02d:%02d:%02d.", tm.tm_year + 1900,
		     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	if (n < 0 || (size_t)n >= sizeof(stamp))
		return false;
	stamp_len = (size_t)n;
	stamp_sec = t;
	return true;
}

void
plog(int l, const char *fmt, ...)
{
	char line[2048];
	struct timespec ts;
	const char *name = names[l < 0 ? 0 : l > 3 ? 3 : l];
	size_t k, nl = strlen(name);
	long ms;
	va_list ap;
	int n, m;

	if (l > atomic_load(&level))
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	if (!stamp_for(ts.tv_sec))
		return;
	/* stamp, milliseconds, "Z level=NAME " */
	memcpy(line, stamp, stamp_len);
	k = stamp_len;
	ms = ts.tv_nsec / 1000000;
	line[k++] = (char)('0' + ms / 100);
	line[k++] = (char)('0' + ms / 10 % 10);
	line[k++] = (char)('0' + ms % 10);
	memcpy(line + k, "Z level=", 8);
	k += 8;
	memcpy(line + k, name, nl);
	k += nl;
	line[k++] = ' ';
	n = (int)k;
	va_start(ap, fmt);
	m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (m < 0)
		return;
	n += m;
	if ((size_t)n > sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	(void)!write(STDERR_FILENO, line, (size_t)n);
}
