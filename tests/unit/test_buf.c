/* test_buf.c: the bounded buffer, the error codes and the log line format. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "heed/buf.h"
#include "heed/err.h"
#include "heed/log.h"

static void buf_grows_and_stays_terminated(void **state)
{
	struct heed_buf b;
	(void)state;

	heed_buf_init(&b, 0);
	assert_string_equal(heed_buf_str(&b), "");
	for (int i = 0; i < 1000; i++)
		assert_int_equal(heed_buf_addf(&b, "%d,", i % 10), HEED_OK);
	assert_int_equal(heed_buf_len(&b), 2000);
	assert_int_equal(strlen(heed_buf_str(&b)), 2000);
	assert_memory_equal(heed_buf_str(&b), "0,1,2,", 6);
	heed_buf_truncate(&b, 3);
	assert_string_equal(heed_buf_str(&b), "0,1");
	heed_buf_release(&b);
	assert_int_equal(heed_buf_len(&b), 0);
	heed_buf_release(&b); /* twice is harmless */
}

static void buf_cap_refuses_and_keeps_content(void **state)
{
	struct heed_buf b;
	(void)state;

	heed_buf_init(&b, 10);
	assert_int_equal(heed_buf_adds(&b, "0123456789"), HEED_OK);
	assert_int_equal(heed_buf_addc(&b, 'x'), HEED_ETOOBIG);
	assert_int_equal(heed_buf_addf(&b, "%s", "y"), HEED_ETOOBIG);
	assert_string_equal(heed_buf_str(&b), "0123456789");
	heed_buf_reset(&b);
	assert_int_equal(heed_buf_add(&b, "abcdefghijk", 11), HEED_ETOOBIG);
	assert_int_equal(heed_buf_len(&b), 0);
	heed_buf_release(&b);
}

static void buf_detach_hands_over(void **state)
{
	struct heed_buf b;
	size_t len;
	char *s;
	(void)state;

	heed_buf_init(&b, 100);
	s = heed_buf_detach(&b, &len);
	assert_string_equal(s, "");
	assert_int_equal(len, 0);
	free(s);
	assert_int_equal(heed_buf_adds(&b, "hello"), HEED_OK);
	s = heed_buf_detach(&b, &len);
	assert_string_equal(s, "hello");
	assert_int_equal(len, 5);
	assert_int_equal(heed_buf_len(&b), 0);
	assert_int_equal(heed_buf_adds(&b, "again"), HEED_OK);
	assert_string_equal(heed_buf_str(&b), "again");
	free(s);
	heed_buf_release(&b);
}

static void err_codes_have_messages_and_policy(void **state)
{
	struct heed_err e;
	(void)state;

	for (int c = 0; c >= HEED_ESTATE; c--)
		assert_string_not_equal(heed_strerror(c), "unknown error");
	assert_true(heed_err_is_retryable(HEED_ETIMEOUT));
	assert_true(heed_err_is_retryable(HEED_EHTTP5));
	assert_true(heed_err_is_retryable(HEED_ERATELIMIT));
	assert_true(heed_err_is_retryable(HEED_EDBCONN));
	assert_false(heed_err_is_retryable(HEED_EPARSE));
	assert_false(heed_err_is_retryable(HEED_EAUTH));
	assert_false(heed_err_is_retryable(HEED_ETOOBIG));
	heed_err_clear(&e);
	assert_string_equal(heed_err_msg(&e), "success");
	assert_int_equal(heed_err_set(&e, HEED_EPARSE, "bad '%s'", "x"),
			 HEED_EPARSE);
	assert_string_equal(heed_err_msg(&e), "bad 'x'");
	assert_int_equal(heed_err_set(NULL, HEED_EIO, "ignored"), HEED_EIO);
}

struct captured {
	int n;
	char line[512];
};

static void capture(void *arg, int level, const char *line)
{
	struct captured *c = arg;
	(void)level;

	c->n++;
	snprintf(c->line, sizeof(c->line), "%s", line);
}

static void log_filters_by_level_and_prefixes(void **state)
{
	struct captured c = { 0, "" };
	(void)state;

	heed_log_set_sink(capture, &c);
	heed_log_set_prefix("prog=test src=x");
	heed_log_set_level(HEED_LOG_WARN);
	heed_log_info("hidden %d", 1);
	assert_int_equal(c.n, 0);
	heed_log_warn("shown n=%d", 2);
	assert_int_equal(c.n, 1);
	assert_non_null(strstr(c.line, " warn prog=test src=x shown n=2"));
	heed_log_set_sink(NULL, NULL);
	heed_log_set_prefix(NULL);
	assert_int_equal(heed_log_level_parse("debug"), HEED_LOG_DEBUG);
	assert_int_equal(heed_log_level_parse("loud"), -1);
}

static void log_value_defuses_control_characters(void **state)
{
	char out[32];
	(void)state;

	heed_log_value(out, sizeof(out), "a\nb\x1b]52;c\"");
	assert_string_equal(out, "a\\x0ab\\x1b]52;c\\\"");
	heed_log_value(out, 12, "abcdefghijklmnopqrstuvwxyz");
	assert_int_equal(strlen(out), 11);
	assert_string_equal(out + 8, "...");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(buf_grows_and_stays_terminated),
		cmocka_unit_test(buf_cap_refuses_and_keeps_content),
		cmocka_unit_test(buf_detach_hands_over),
		cmocka_unit_test(err_codes_have_messages_and_policy),
		cmocka_unit_test(log_filters_by_level_and_prefixes),
		cmocka_unit_test(log_value_defuses_control_characters),
	};
	return cmocka_run_group_tests_name("buf_err_log", tests, NULL, NULL);
}
