/*
 * tests/unit/t.h: a tiny TAP producer for porter's C unit tests.
 *
 * Each check prints "ok N - what" or "not ok N - what" with the file and
 * line; t_done() prints the plan and returns the exit status. Meson runs the
 * executables with the TAP protocol, so every check counts.
 */
#ifndef PORTER_TEST_T_H
#define PORTER_TEST_T_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int t_n, t_failed;

#define T_OK(cond, ...) t_ok_(!!(cond), __FILE__, __LINE__, __VA_ARGS__)
#define T_EQ(a, b, ...) t_eq_((long long)(a), (long long)(b), #a, #b, __FILE__, __LINE__, __VA_ARGS__)

/* A check's name on one line: control characters (a newline in a name
 * built from test input) would break the TAP line, so they print as '?'. */
__attribute__((format(printf, 1, 0))) static inline void
t_name_(const char *fmt, __builtin_va_list ap)
{
	char buf[1024];
	size_t i;

	vsnprintf(buf, sizeof(buf), fmt, ap);
	for (i = 0; buf[i] != '\0'; i++)
		if ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7f)
			buf[i] = '?';
	fputs(buf, stdout);
}

__attribute__((format(printf, 4, 5))) static inline int
t_ok_(int cond, const char *file, int line, const char *fmt, ...)
{
	__builtin_va_list ap;
	t_n++;
	printf("%sok %d - ", cond ? "" : "not ", t_n);
	__builtin_va_start(ap, fmt);
	t_name_(fmt, ap);
	__builtin_va_end(ap);
	printf("\n");
	if (!cond) {
		t_failed++;
		printf("# failed at %s:%d\n", file, line);
	}
	fflush(stdout);
	return cond;
}

__attribute__((format(printf, 7, 8))) static inline int
t_eq_(long long a, long long b, const char *as, const char *bs, const char *file, int line,
      const char *fmt, ...)
{
	__builtin_va_list ap;
	int cond = a == b;
	t_n++;
	printf("%sok %d - ", cond ? "" : "not ", t_n);
	__builtin_va_start(ap, fmt);
	t_name_(fmt, ap);
	__builtin_va_end(ap);
	printf("\n");
	if (!cond) {
		t_failed++;
		printf("# failed at %s:%d: %s = %lld, %s = %lld\n", file, line, as, a, bs, b);
	}
	fflush(stdout);
	return cond;
}

static inline int
t_done(void)
{
	printf("1..%d\n", t_n);
	return t_failed ? 1 : 0;
}

#endif
