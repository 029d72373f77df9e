/* test_ratelimit.c: every rate-limit header shape the platforms send, and
 * the decision of when the next request may go. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "heed/ratelimit.h"

/* 2020-09-08T13:25:00Z */
#define T0 1599571500000LL

/* A response holding the given lowercase name/value pairs. */
static void resp_with(struct heed_http_resp *r, long status,
		      struct heed_http_header *h, size_t n)
{
	heed_http_resp_init(r);
	r->status = status;
	r->headers = h;
	r->nheaders = n;
}

#define H(n, v) { (char *)(n), (char *)(v) }

static void mastodon_iso_reset(void **state)
{
	struct heed_http_header h[] = {
		H("x-ratelimit-limit", "300"), H("x-ratelimit-remaining", "0"),
		H("x-ratelimit-reset", "2020-09-08T13:30:00.019685Z"),
	};
	struct heed_http_resp r;
	struct heed_ratelimit rl;
	(void)state;

	resp_with(&r, 200, h, 3);
	heed_ratelimit_from_resp(&rl, &r, T0);
	assert_true(rl.known);
	assert_true(rl.limit == 300 && rl.remaining == 0);
	assert_int_equal(rl.reset_at_ms, T0 + 300019);
	/* none left: wait for the reset plus a second */
	assert_int_equal(heed_ratelimit_wait_ms(&rl, T0, 1.0), 301019);
	assert_int_equal(heed_ratelimit_wait_ms(&rl, T0 + 301019, 1.0), 0);
}

static void bluesky_epoch_and_policy(void **state)
{
	struct heed_http_header h[] = {
		H("ratelimit-limit", "3000"), H("ratelimit-remaining", "2999"),
		H("ratelimit-reset", "1599571800"), H("ratelimit-policy", "3000;w=300"),
	};
	struct heed_http_resp r;
	struct heed_ratelimit rl;
	(void)state;

	resp_with(&r, 200, h, 4);
	heed_ratelimit_from_resp(&rl, &r, T0);
	assert_int_equal(rl.reset_at_ms, 1599571800000LL);
	assert_int_equal(rl.window_ms, 300000);
	assert_int_equal(heed_ratelimit_wait_ms(&rl, T0, 1.0), 0);
}

static void reddit_float_delta_and_used(void **state)
{
	struct heed_http_header h[] = {
		H("x-ratelimit-used", "1"), H("x-ratelimit-remaining", "599.0"),
		H("x-ratelimit-reset", "369"),
	};
	struct heed_http_resp r;
	struct heed_ratelimit rl;
	(void)state;

	resp_with(&r, 200, h, 3);
	heed_ratelimit_from_resp(&rl, &r, T0);
	assert_true(rl.remaining == 599.0);
	assert_true(rl.limit == 600.0);
	assert_int_equal(rl.reset_at_ms, T0 + 369000);
}

/* prawcore#173: "991, 98" must not break the parser: the smallest count
 * and the latest reset win. */
static void reddit_comma_pairs(void **state)
{
	struct heed_http_header h[] = {
		H("x-ratelimit-remaining", "991, 98"), H("x-ratelimit-reset", "12, 369"),
	};
	struct heed_http_resp r;
	struct heed_ratelimit rl;
	(void)state;

	resp_with(&r, 200, h, 2);
	heed_ratelimit_from_resp(&rl, &r, T0);
	assert_true(rl.remaining == 98);
	assert_int_equal(rl.reset_at_ms, T0 + 369000);
}

static void x_epoch_and_gotosocial_epoch(void **state)
{
	struct heed_http_header h[] = {
		H("x-rate-limit-limit", "450"), H("x-rate-limit-remaining", "0"),
		H("x-rate-limit-reset", "1599571560"),
	};
	struct heed_http_resp r;
	struct heed_ratelimit rl;
	(void)state;

	resp_with(&r, 200, h, 3);
	heed_ratelimit_from_resp(&rl, &r, T0);
	assert_int_equal(rl.reset_at_ms, 1599571560000LL);
	assert_int_equal(heed_ratelimit_wait_ms(&rl, T0, 1.0), 61000);
	/* GoToSocial sends epoch where Mastodon sends ISO: same header name */
	assert_int_equal(heed_ratelimit_parse_reset("1599571560", T0), 1599571560000LL);
	assert_int_equal(heed_ratelimit_parse_reset("1599571560123", T0), 1599571560123LL);
	assert_int_equal(heed_ratelimit_parse_reset("2020-09-08T15:25:00+02:00", T0), T0);
	assert_int_equal(heed_ratelimit_parse_reset("soon", T0), 0);
	assert_int_equal(heed_ratelimit_parse_reset("-5", T0), 0);
	assert_true(heed_ratelimit_parse_count("lots") < 0);
}

static void retry_after_seconds_and_date(void **state)
{
	struct heed_http_header h1[] = { H("retry-after", "120") };
	struct heed_http_header h2[] = { H("retry-after", "Tue, 08 Sep 2020 13:26:00 GMT") };
	struct heed_http_resp r;
	struct heed_ratelimit rl;
	(void)state;

	resp_with(&r, 429, h1, 1);
	heed_ratelimit_from_resp(&rl, &r, T0);
	assert_int_equal(rl.retry_at_ms, T0 + 120000);
	assert_true(rl.remaining == 0);	/* a 429 means none left */
	assert_int_equal(heed_ratelimit_wait_ms(&rl, T0, 1.0), 120000);
	resp_with(&r, 429, h2, 1);
	heed_ratelimit_from_resp(&rl, &r, T0);
	assert_int_equal(rl.retry_at_ms, T0 + 60000);
	/* no headers at all on a 429: hold back a minute rather than hammer */
	resp_with(&r, 429, NULL, 0);
	heed_ratelimit_from_resp(&rl, &r, T0);
	assert_int_equal(heed_ratelimit_wait_ms(&rl, T0, 1.0), 60000);
}

/* With share 0.5 only half the budget is ours: stop at the reserve. */
static void share_of_the_budget(void **state)
{
	struct heed_ratelimit rl;
	(void)state;

	heed_ratelimit_init(&rl);
	rl.limit = 300;
	rl.remaining = 151;
	rl.reset_at_ms = T0 + 10000;
	assert_int_equal(heed_ratelimit_wait_ms(&rl, T0, 0.5), 0);
	rl.remaining = 150;
	assert_int_equal(heed_ratelimit_wait_ms(&rl, T0, 0.5), 11000);
	assert_int_equal(heed_ratelimit_wait_ms(&rl, T0, 1.0), 0);
	/* nothing known: no wait */
	heed_ratelimit_init(&rl);
	assert_int_equal(heed_ratelimit_wait_ms(&rl, T0, 0.5), 0);
}

static void json_round_trip(void **state)
{
	struct heed_ratelimit a, b;
	char *s;
	(void)state;

	heed_ratelimit_init(&a);
	a.limit = 100;
	a.remaining = 0;
	a.reset_at_ms = T0 + 5;
	a.retry_at_ms = T0 + 7;
	a.window_ms = 600000;
	s = heed_ratelimit_to_json(&a);
	heed_ratelimit_from_json(&b, s);
	free(s);
	assert_true(b.known && b.limit == 100 && b.remaining == 0);
	assert_int_equal(b.reset_at_ms, T0 + 5);
	assert_int_equal(b.retry_at_ms, T0 + 7);
	assert_int_equal(b.window_ms, 600000);
	heed_ratelimit_from_json(&b, "not json");
	assert_false(b.known);
	heed_ratelimit_from_json(&b, NULL);
	assert_false(b.known);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(mastodon_iso_reset),
		cmocka_unit_test(bluesky_epoch_and_policy),
		cmocka_unit_test(reddit_float_delta_and_used),
		cmocka_unit_test(reddit_comma_pairs),
		cmocka_unit_test(x_epoch_and_gotosocial_epoch),
		cmocka_unit_test(retry_after_seconds_and_date),
		cmocka_unit_test(share_of_the_budget),
		cmocka_unit_test(json_round_trip),
	};
	return cmocka_run_group_tests_name("ratelimit", tests, NULL, NULL);
}
