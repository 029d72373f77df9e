/* test_queue_fmt.c: time left before a case's deadline, as the queue shows
 * it, and when it turns urgent (under 10 minutes) or late (negative). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "heed/queue.h"

static void check(int64_t secs, const char *want)
{
	char buf[32];

	heed_queue_fmt_left(secs, buf, sizeof(buf));
	if (strcmp(buf, want))
		fail_msg("%lld s: '%s', want '%s'", (long long)secs, buf, want);
}

static void minutes_and_seconds_under_an_hour(void **state)
{
	(void)state;
	check(0, "0:00");
	check(59, "0:59");
	check(600, "10:00");
	check(1799, "29:59");
	check(3599, "59:59");
}

static void hours_and_days_beyond(void **state)
{
	(void)state;
	check(3600, "1h00m");
	check(3900, "1h05m");
	check(86399, "23h59m");
	check(86400, "1d00h");
	check(3 * 86400 + 7200 + 59, "3d02h");
}

static void negative_once_late(void **state)
{
	(void)state;
	check(-1, "-0:01");
	check(-190, "-3:10");
	check(-3600, "-1h00m");
	check(-90000, "-1d01h");
	check(INT64_MIN, "-106751991167300d15h");
}

static void urgency_levels(void **state)
{
	(void)state;
	assert_int_equal(heed_queue_left_level(3600), 0);
	assert_int_equal(heed_queue_left_level(600), 0);
	assert_int_equal(heed_queue_left_level(599), 1);
	assert_int_equal(heed_queue_left_level(0), 1);
	assert_int_equal(heed_queue_left_level(-1), 2);
}

static void small_buffers_are_cut_not_overrun(void **state)
{
	char buf[4] = "xyz";
	(void)state;

	heed_queue_fmt_left(-90000, buf, sizeof(buf));
	assert_int_equal(strlen(buf), 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(minutes_and_seconds_under_an_hour),
		cmocka_unit_test(hours_and_days_beyond),
		cmocka_unit_test(negative_once_late),
		cmocka_unit_test(urgency_levels),
		cmocka_unit_test(small_buffers_are_cut_not_overrun),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
