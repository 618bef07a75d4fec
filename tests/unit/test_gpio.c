/*
 * tests/unit/test_gpio.c: the gpio driver's pure parts (daemons/hub/drv_gpio.c
 * with HUB_GPIO_LOGIC_ONLY): debounce, the strike's hold and pulse timing,
 * line specs.
 *
 * This is all that runs here of the gpio driver: the build machine's kernel
 * has no GPIO support (no /dev/gpiochip*, no gpio-sim, no gpio-mockup, no
 * configfs), so the libgpiod side is compiled but not exercised; nothing
 * below pretends to be a GPIO line.
 */
#define HUB_GPIO_LOGIC_ONLY
#include "../../daemons/hub/drv_gpio.c"

#include <stdio.h>

#include "t.h"

static void
test_debounce(void)
{
	struct gpio_deb d;
	bool level = false;

	gpio_deb_init(&d, false, 1000);
	T_EQ(gpio_deb_deadline(&d, 50) == UINT64_MAX, 1, "debounce: nothing pending at start");
	T_OK(!gpio_deb_poll(&d, 5000, 50, &level), "debounce: no change without input");

	/* A reed contact bouncing as the door opens: 1,0,1,0,1 within 20 ms. */
	gpio_deb_input(&d, true, 2000);
	gpio_deb_input(&d, false, 2004);
	gpio_deb_input(&d, true, 2009);
	gpio_deb_input(&d, false, 2013);
	gpio_deb_input(&d, true, 2020);
	T_EQ(gpio_deb_deadline(&d, 50), 2070, "bounce: the deadline counts from the last edge");
	T_OK(!gpio_deb_poll(&d, 2069, 50, &level), "bounce: 49 ms after the last edge, not yet");
	T_OK(gpio_deb_poll(&d, 2070, 50, &level) && level, "bounce: 50 ms held: active (open)");
	T_OK(d.stable, "  ... stable active");
	T_EQ(gpio_deb_deadline(&d, 50) == UINT64_MAX, 1, "  ... nothing pending after");
	T_OK(!gpio_deb_poll(&d, 3000, 50, &level), "  ... and reported once");

	/* A glitch shorter than the debounce is never reported. */
	gpio_deb_input(&d, false, 4000);
	gpio_deb_input(&d, true, 4030);
	T_OK(!gpio_deb_poll(&d, 4100, 50, &level), "glitch of 30 ms: ignored");
	T_OK(d.stable, "  ... still active");

	/* Debounce 0: the next poll takes it. */
	gpio_deb_input(&d, false, 5000);
	T_OK(gpio_deb_poll(&d, 5000, 0, &level) && !level, "debounce 0: taken at once");

	/* A level read again unchanged does not restart the wait. */
	gpio_deb_input(&d, true, 6000);
	gpio_deb_input(&d, true, 6040);
	T_OK(gpio_deb_poll(&d, 6050, 50, &level) && level,
	     "the same level read twice: counted from its first edge");
}

static void
test_strike_hold(void)
{
	struct gpio_strike s;

	memset(&s, 0, sizeof(s));
	s.release_end_ms = UINT64_MAX;
	T_OK(gpio_strike_unlock(&s, 100), "hold: UNLOCK drives the line active (released)");
	T_EQ(gpio_strike_deadline(&s) == UINT64_MAX, 1, "hold: no deadline while held");
	T_OK(!gpio_strike_tick(&s, 1000000), "hold: it stays released whatever the time");
	T_OK(!gpio_strike_lock(&s), "hold: LOCK drives it inactive (latched)");
	T_OK(!s.active, "  ... latched");
}

static void
test_strike_pulse(void)
{
	struct gpio_strike s;

	memset(&s, 0, sizeof(s));
	s.pulse = true;
	s.pulse_ms = 5000;
	s.release_end_ms = UINT64_MAX;
	T_OK(gpio_strike_unlock(&s, 1000), "pulse: UNLOCK releases");
	T_EQ(gpio_strike_deadline(&s), 6000, "pulse: ends 5 s later");
	T_OK(!gpio_strike_tick(&s, 5999), "pulse: still released at 4.999 s");
	T_OK(gpio_strike_tick(&s, 6000), "pulse: latched again at 5 s");
	T_OK(!s.active, "  ... inactive");
	T_EQ(gpio_strike_deadline(&s) == UINT64_MAX, 1, "  ... no deadline after");
	T_OK(!gpio_strike_tick(&s, 7000), "  ... and it ends once");
	T_OK(gpio_strike_unlock(&s, 8000), "pulse: UNLOCK again");
	T_OK(!gpio_strike_lock(&s), "pulse: LOCK before the end latches at once");
	T_OK(!gpio_strike_tick(&s, 13000), "  ... and the old end does nothing");
}

static void
test_line_spec(void)
{
	unsigned off = 99;

	T_EQ(gpio_line_spec("", &off), 0, "empty: no line");
	T_EQ(gpio_line_spec("17", &off), 1, "17: an offset");
	T_EQ(off, 17, "  ... 17");
	T_EQ(gpio_line_spec("0", &off), 1, "0: an offset");
	T_EQ(gpio_line_spec("1023", &off), 1, "1023: the largest offset");
	T_EQ(gpio_line_spec("1024", &off), -1, "1024: refused");
	T_EQ(gpio_line_spec("017", &off), -1, "a leading zero: refused");
	T_EQ(gpio_line_spec("GPIO17", &off), 2, "GPIO17: a line name");
	T_EQ(gpio_line_spec("door-reed_1.a", &off), 2, "door-reed_1.a: a line name");
	T_EQ(gpio_line_spec("a b", &off), -1, "a space: refused");
	T_EQ(gpio_line_spec("-1", &off), 2, "-1: a name (no sign), not an offset");
	T_EQ(gpio_line_spec("abcdefghijabcdefghijabcdefghijab", &off), -1, "32 characters: refused");
}

int
main(void)
{
	test_debounce();
	test_strike_hold();
	test_strike_pulse();
	test_line_spec();
	return t_done();
}
