/* test_clock.c: system and fake clocks, and RFC 3339 formatting/parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "heed/clock.h"

/* 2020-09-08T13:25:00Z */
#define T0 1599571500000LL

static void system_clock_tracks_real_time(void **state)
{
	const struct heed_clock *c = heed_clock_system();
	int64_t now, mono1, mono2;
	time_t t;
	(void)state;

	assert_non_null(c);
	assert_ptr_equal(c, heed_clock_system());
	t = time(NULL);
	now = heed_clock_now_ms(c);
	/* time() truncates to the second: allow it to trail by up to 2 s */
	assert_true(now >= (int64_t)t * 1000 - 2000);
	assert_true(now <= (int64_t)t * 1000 + 2000);
	mono1 = heed_clock_mono_ms(c);
	mono2 = heed_time_mono_ms();
	assert_true(mono2 >= mono1);
	assert_true(heed_time_real_ms() >= now);
}

static void fake_clock_moves_only_when_told(void **state)
{
	struct heed_clock_fake fc;
	const struct heed_clock *c = &fc.clock;
	int64_t m0;
	(void)state;

	heed_clock_fake_init(&fc, T0);
	assert_int_equal(heed_clock_now_ms(c), T0);
	m0 = heed_clock_mono_ms(c);
	assert_true(m0 > 0);
	assert_int_equal(heed_clock_now_ms(c), T0);	/* no drift */

	heed_clock_fake_advance(&fc, 1500);
	assert_int_equal(heed_clock_now_ms(c), T0 + 1500);
	assert_int_equal(heed_clock_mono_ms(c), m0 + 1500);

	/* a wall-clock jump backwards leaves the monotonic reading alone */
	heed_clock_fake_set(&fc, T0 - 3600000);
	assert_int_equal(heed_clock_now_ms(c), T0 - 3600000);
	assert_int_equal(heed_clock_mono_ms(c), m0 + 1500);

	heed_clock_fake_advance(&fc, -5);	/* time never runs backwards */
	assert_int_equal(heed_clock_mono_ms(c), m0 + 1500);
}

/* A hand-made implementation, as a test or another module would plug in. */
static int64_t fixed_now(void *arg)
{
	return *(int64_t *)arg;
}

static int64_t fixed_mono(void *arg)
{
	return *(int64_t *)arg / 2;
}

static void clock_dispatches_through_ops(void **state)
{
	static const struct heed_clock_ops ops = { fixed_now, fixed_mono };
	int64_t v = 4242;
	struct heed_clock c = { &ops, &v };
	(void)state;

	assert_int_equal(heed_clock_now_ms(&c), 4242);
	assert_int_equal(heed_clock_mono_ms(&c), 2121);
	v = 10;
	assert_int_equal(heed_clock_now_ms(&c), 10);
}

static void format_iso8601(void **state)
{
	char buf[HEED_TIME_ISO8601_SIZE], small[11];
	(void)state;

	assert_string_equal(heed_time_format_iso8601(0, buf, sizeof(buf)),
			    "1970-01-01T00:00:00.000Z");
	assert_string_equal(heed_time_format_iso8601(T0 + 19, buf,
						     sizeof(buf)),
			    "2020-09-08T13:25:00.019Z");
	assert_string_equal(heed_time_format_iso8601(-1, buf, sizeof(buf)),
			    "1969-12-31T23:59:59.999Z");
	assert_string_equal(heed_time_format_iso8601(-1000, buf, sizeof(buf)),
			    "1969-12-31T23:59:59.000Z");
	assert_string_equal(heed_time_format_iso8601(951782400000LL, buf,
						     sizeof(buf)),
			    "2000-02-29T00:00:00.000Z");
	assert_string_equal(heed_time_format_iso8601(253402300799999LL, buf,
						     sizeof(buf)),
			    "9999-12-31T23:59:59.999Z");
	/* a short buffer is cut, never overrun */
	memset(small, 'x', sizeof(small));
	heed_time_format_iso8601(T0, small, sizeof(small));
	assert_string_equal(small, "2020-09-08");
}

static void parse_iso8601_accepts_rfc3339_forms(void **state)
{
	static const struct {
		const char *s;
		int64_t ms;
	} cases[] = {
		{ "2020-09-08T13:25:00.019685Z", T0 + 19 },
		{ "2020-09-08T13:25:00Z", T0 },
		{ "2020-09-08T13:25:00z", T0 },
		{ "2020-09-08t13:25:00Z", T0 },
		{ "2020-09-08 13:25:00Z", T0 },
		{ "2020-09-08T13:25:00.5Z", T0 + 500 },
		{ "2020-09-08T13:25:00.123456789Z", T0 + 123 },
		{ "2020-09-08T15:25:00+02:00", T0 },
		{ "2020-09-08T15:25:00.019+02:00", T0 + 19 },
		{ "2020-09-08T07:55:00-05:30", T0 },
		{ "2020-09-08T07:55:00-0530", T0 },
		{ "2020-09-08T15:25:00+02", T0 },
		{ "2020-09-08T13:25:00+00:00", T0 },
		{ "2020-09-08T13:25:00-00:00", T0 },
		{ "2020-09-09T00:25:00+11:00", T0 },	/* next day */
		{ "1970-01-01T00:00:00Z", 0 },
		{ "1969-12-31T23:59:59.999Z", -1 },
		{ "2000-02-29T00:00:00Z", 951782400000LL },
		/* a leap second reads as the next minute's :00 */
		{ "2016-12-31T23:59:60Z", 1483228800000LL },
	};
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t ms = -42;

		if (heed_time_parse_iso8601(cases[i].s, &ms) != HEED_OK)
			fail_msg("refused '%s'", cases[i].s);
		if (ms != cases[i].ms)
			fail_msg("'%s' gave %lld, want %lld", cases[i].s,
				 (long long)ms, (long long)cases[i].ms);
	}
}

static void parse_iso8601_rejects_bad_input(void **state)
{
	static const char *const bad[] = {
		"",
		"2020",
		"2020-09-08",			/* no time */
		"2020-09-08T13:25:00",		/* no zone: ambiguous */
		"2020-09-08T13:25Z",		/* no seconds */
		"2020-09-08T13:25:00.Z",	/* empty fraction */
		"2020-09-08T13:25:00ZZ",	/* trailing garbage */
		"2020-09-08T13:25:00Z ",
		" 2020-09-08T13:25:00Z",
		"2020-09-08X13:25:00Z",
		"2020-9-08T13:25:00Z",
		"2020-13-01T00:00:00Z",
		"2020-00-01T00:00:00Z",
		"2020-02-30T00:00:00Z",
		"2019-02-29T00:00:00Z",		/* not a leap year */
		"1900-02-29T00:00:00Z",		/* nor is 1900 */
		"2020-04-31T00:00:00Z",
		"2020-09-00T00:00:00Z",
		"2020-09-08T24:00:00Z",
		"2020-09-08T13:60:00Z",
		"2020-09-08T13:25:61Z",
		"2020-09-08T13:25:00+24:00",
		"2020-09-08T13:25:00+02:60",
		"2020-09-08T13:25:00+2:00",
		"2020-09-08T13:25:00+02:0",
		"2020-09-08T13:25:00 +02:00",
		"2020-09-08T13:25:00.019685",
		"+2020-09-08T13:25:00Z",
		"1599571500",
	};
	(void)state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int64_t ms = 77;

		if (heed_time_parse_iso8601(bad[i], &ms) != HEED_EPARSE)
			fail_msg("accepted '%s'", bad[i]);
		assert_int_equal(ms, 77);	/* untouched on failure */
	}
	{
		int64_t ms = 77;

		assert_int_equal(heed_time_parse_iso8601(NULL, &ms),
				 HEED_EPARSE);
	}
}

static void format_and_parse_round_trip(void **state)
{
	char buf[HEED_TIME_ISO8601_SIZE];
	(void)state;

	/* every 7919 s plus a changing ms over roughly 1950-2090 */
	for (int64_t ms = -631152000000LL; ms < 3786912000000LL;
	     ms += 7919000LL * 97 + 13) {
		int64_t back = 0;

		heed_time_format_iso8601(ms, buf, sizeof(buf));
		assert_int_equal(heed_time_parse_iso8601(buf, &back), HEED_OK);
		if (back != ms)
			fail_msg("%lld -> '%s' -> %lld", (long long)ms, buf,
				 (long long)back);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(system_clock_tracks_real_time),
		cmocka_unit_test(fake_clock_moves_only_when_told),
		cmocka_unit_test(clock_dispatches_through_ops),
		cmocka_unit_test(format_iso8601),
		cmocka_unit_test(parse_iso8601_accepts_rfc3339_forms),
		cmocka_unit_test(parse_iso8601_rejects_bad_input),
		cmocka_unit_test(format_and_parse_round_trip),
	};
	return cmocka_run_group_tests_name("clock", tests, NULL, NULL);
}
