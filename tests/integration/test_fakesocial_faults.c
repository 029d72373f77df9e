/* test_fakesocial_faults.c: the fake social server, part 2: rate-limit
 * headers in every shape, 429s and the "early" log flag, each fault kind and
 * rule selection, and the reply endpoints (Mastodon Idempotency-Key, Bluesky
 * rkey, Reddit errors inside 200, X's reply rule, commit-then-fail). No
 * database; libcurl on loopback only. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>

#include "heed/buf.h"
#include "heed/xalloc.h"

#include "fakeserver.h"

#define NMASTODON 6

static struct fakesrv srv;
static char bsky_token[2048];
static char reddit_token[256];

static void control(const char *path, const char *json)
{
	assert_int_equal(fakesrv_control(&srv, path, json), 200);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static const char *jstr(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static const char *bsky_auth(void)
{
	static char hdr[2100];

	if (!bsky_token[0])
		assert_int_equal(fakesrv_bluesky_login(&srv, bsky_token,
						       sizeof(bsky_token)), 0);
	snprintf(hdr, sizeof(hdr), "Bearer %s", bsky_token);
	return hdr;
}

static const char *reddit_auth(void)
{
	static char hdr[300];

	if (!reddit_token[0])
		assert_int_equal(fakesrv_reddit_login(&srv, reddit_token,
						      sizeof(reddit_token)), 0);
	snprintf(hdr, sizeof(hdr), "bearer %s", reddit_token);
	return hdr;
}

/* Native id of a timeline post; the caller frees it. */
static char *native_of(const char *platform, const char *key)
{
	char *id = fakesrv_native_id(&srv, platform, key);

	assert_non_null(id);
	return id;
}

/* A few posts per platform; x%3 == 0 mention the brand. */
static const char timeline[] =
"{\"platform\":\"mastodon\",\"id\":\"m000\",\"at\":-60,\"author\":{\"id\":\"700\",\"handle\":\"user\"},\"text\":\"@acme hi #acme\",\"channels\":[\"tag:acme\",\"mention\"]}\n"
"{\"platform\":\"mastodon\",\"id\":\"m001\",\"at\":-50,\"author\":{\"id\":\"700\",\"handle\":\"user\"},\"text\":\"more #acme\",\"channels\":[\"tag:acme\"]}\n"
"{\"platform\":\"mastodon\",\"id\":\"m002\",\"at\":-40,\"author\":{\"id\":\"701\",\"handle\":\"other\"},\"text\":\"and #acme\",\"channels\":[\"tag:acme\"]}\n"
"{\"platform\":\"mastodon\",\"id\":\"m003\",\"at\":-30,\"author\":{\"id\":\"701\",\"handle\":\"other\"},\"text\":\"@acme broken #acme\",\"channels\":[\"tag:acme\",\"mention\"]}\n"
"{\"platform\":\"mastodon\",\"id\":\"m004\",\"at\":-20,\"author\":{\"id\":\"702\",\"handle\":\"third\"},\"text\":\"#acme ok\",\"channels\":[\"tag:acme\"]}\n"
"{\"platform\":\"mastodon\",\"id\":\"m005\",\"at\":-10,\"author\":{\"id\":\"702\",\"handle\":\"third\"},\"text\":\"#acme bye\",\"channels\":[\"tag:acme\"]}\n"
"{\"platform\":\"bluesky\",\"id\":\"b000\",\"at\":-60,\"author\":{\"id\":\"did:plc:user00000\",\"handle\":\"user0\",\"followers\":5},\"text\":\"acme is down\",\"channels\":[\"search\",\"mention\"]}\n"
"{\"platform\":\"bluesky\",\"id\":\"b001\",\"at\":-50,\"author\":{\"id\":\"did:plc:user00001\",\"handle\":\"user1\"},\"text\":\"acme again\",\"channels\":[\"search\"]}\n"
"{\"platform\":\"reddit\",\"id\":\"rp000\",\"at\":-60,\"author\":{\"handle\":\"redditor\"},\"title\":\"Acme 0\",\"text\":\"body 0\",\"channels\":[\"search\",\"sub:acmesupport\"]}\n"
"{\"platform\":\"reddit\",\"id\":\"rp001\",\"at\":-50,\"author\":{\"handle\":\"redditor\"},\"title\":\"Acme 1\",\"text\":\"body 1\",\"channels\":[\"search\",\"sub:acmesupport\"]}\n"
"{\"platform\":\"reddit\",\"id\":\"rp002\",\"at\":-40,\"author\":{\"handle\":\"redditor\"},\"title\":\"Acme 2\",\"text\":\"body 2\",\"channels\":[\"search\",\"sub:acmesupport\"]}\n"
"{\"platform\":\"x\",\"id\":\"x000\",\"at\":-60,\"author\":{\"id\":\"5000\",\"handle\":\"tweeter0\"},\"text\":\"@acme thing 0\",\"channels\":[\"search\",\"mention\"]}\n"
"{\"platform\":\"x\",\"id\":\"x001\",\"at\":-50,\"author\":{\"id\":\"5001\",\"handle\":\"tweeter1\"},\"text\":\"acme thing 1\",\"channels\":[\"search\"]}\n"
"{\"platform\":\"x\",\"id\":\"x002\",\"at\":-40,\"author\":{\"id\":\"5002\",\"handle\":\"tweeter2\"},\"text\":\"acme thing 2\",\"channels\":[\"search\"]}\n"
"{\"platform\":\"x\",\"id\":\"x003\",\"at\":-30,\"author\":{\"id\":\"5003\",\"handle\":\"tweeter3\"},\"text\":\"@acme thing 3\",\"channels\":[\"search\",\"mention\"]}\n"
"{\"platform\":\"hn\",\"id\":\"h000\",\"at\":-60,\"author\":{\"handle\":\"hacker\"},\"title\":\"Acme story\",\"text\":\"acme\",\"channels\":[\"search\"]}\n"
"{\"platform\":\"hn\",\"id\":\"h001\",\"at\":-50,\"author\":{\"handle\":\"hacker\"},\"text\":\"I'd say acme\",\"kind\":\"comment\",\"reply_to\":\"h000\",\"channels\":[\"search\"]}\n";

static int group_setup(void **state)
{
	const char *args[] = { "--budget", "0", "--seed", "7", NULL };

	(void)state;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	return fakesrv_start(&srv, timeline, args);
}

static int group_teardown(void **state)
{
	(void)state;
	if (fakesrv_stop(&srv) != 0)
		return -1;
	curl_global_cleanup();
	return 0;
}

/* Each test leaves no faults and unlimited budgets behind. */
static int test_reset(void **state)
{
	(void)state;
	control("/_fake/faults/clear", "{}");
	control("/_fake/ratelimit", "{\"platform\":\"all\",\"budget\":0,"
		"\"shape\":\"default\",\"reset\":true}");
	return 0;
}

/* ---- rate limits ---- */

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* "2020-09-08T13:25:00.019685Z": ISO 8601 with 6 fractional digits. */
static bool iso_us(const char *s)
{
	char frac[7];

	if (strlen(s) != 27 || s[4] != '-' || s[10] != 'T' || s[19] != '.' ||
	    s[26] != 'Z')
		return false;
	snprintf(frac, sizeof(frac), "%.6s", s + 20);
	return all_digits(frac);
}

static long long num(const char *s)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	return errno || end == s ? -1 : v;
}

static void ratelimit_default_shapes(void **state)
{
	struct fakesrv_resp r;
	char v[128];

	(void)state;
	control("/_fake/ratelimit", "{\"budget\":100,\"window\":600,\"reset\":true}");
	fakesrv_get(&srv, &r, NULL, "/api/v1/timelines/tag/acme?limit=1");
	assert_string_equal(fakesrv_header(&r, "X-RateLimit-Limit", v, sizeof(v)), "100");
	assert_string_equal(fakesrv_header(&r, "X-RateLimit-Remaining", v, sizeof(v)), "99");
	assert_true(iso_us(fakesrv_header(&r, "X-RateLimit-Reset", v, sizeof(v))));
	fakesrv_resp_release(&r);
	fakesrv_get(&srv, &r, bsky_auth(), "/xrpc/app.bsky.feed.searchPosts?q=acme&limit=1");
	assert_true(num(fakesrv_header(&r, "RateLimit-Reset", v, sizeof(v))) > 1000000000LL);
	assert_string_equal(fakesrv_header(&r, "RateLimit-Policy", v, sizeof(v)), "100;w=600");
	fakesrv_resp_release(&r);
	fakesrv_get(&srv, &r, reddit_auth(), "/search?q=acme&limit=1");
	assert_string_equal(fakesrv_header(&r, "X-Ratelimit-Remaining", v, sizeof(v)), "99.0");
	assert_string_equal(fakesrv_header(&r, "X-Ratelimit-Used", v, sizeof(v)), "1");
	assert_true(all_digits(fakesrv_header(&r, "X-Ratelimit-Reset", v, sizeof(v))));
	assert_true(num(v) <= 600);
	fakesrv_resp_release(&r);
	fakesrv_get(&srv, &r, "Bearer app", "/2/tweets/search/recent?query=acme");
	assert_true(num(fakesrv_header(&r, "x-rate-limit-reset", v, sizeof(v))) > 1000000000LL);
	assert_string_equal(fakesrv_header(&r, "x-rate-limit-remaining", v, sizeof(v)), "99");
	fakesrv_resp_release(&r);
	fakesrv_get(&srv, &r, NULL, "/api/v1/search_by_date?query=acme");
	assert_string_equal(fakesrv_header(&r, "X-RateLimit-Remaining", v, sizeof(v)), "");
	fakesrv_resp_release(&r);
}

static void ratelimit_forced_shapes(void **state)
{
	static const char *const shapes[] = { "iso", "epoch", "delta", "float",
					      "comma-pair" };
	char body[160], v[128], rem[64];
	struct fakesrv_resp r;

	(void)state;
	for (size_t i = 0; i < 5; i++) {
		snprintf(body, sizeof(body), "{\"platform\":\"mastodon\",\"budget\":50,"
			 "\"window\":900,\"shape\":\"%s\",\"reset\":true}", shapes[i]);
		control("/_fake/ratelimit", body);
		fakesrv_get(&srv, &r, NULL, "/api/v1/timelines/tag/acme?limit=1");
		fakesrv_header(&r, "X-RateLimit-Reset", v, sizeof(v));
		fakesrv_header(&r, "X-RateLimit-Remaining", rem, sizeof(rem));
		switch (i) {
		case 0:
			assert_true(iso_us(v));
			assert_string_equal(rem, "49");
			break;
		case 1:
			assert_true(all_digits(v) && num(v) > 1000000000LL);
			break;
		case 2:
			assert_true(all_digits(v) && num(v) <= 900);
			break;
		case 3:
			assert_string_equal(rem, "49.0");
			assert_true(all_digits(v) && num(v) <= 900);
			break;
		default:
			assert_string_equal(rem, "99, 49");
			assert_non_null(strstr(v, ", "));
			break;
		}
		fakesrv_resp_release(&r);
	}
}

static void ratelimit_429_and_early_flag(void **state)
{
	struct fakesrv_resp r;
	char v[64];
	long mark;
	json_t *log;

	(void)state;
	control("/_fake/ratelimit", "{\"platform\":\"x\",\"budget\":2,\"window\":3600,"
		"\"reset\":true}");
	mark = fakesrv_log_mark(&srv);
	for (int i = 0; i < 4; i++) {
		fakesrv_get(&srv, &r, "Bearer app", "/2/tweets/search/recent?query=acme");
		assert_int_equal(r.status, i < 2 ? 200 : 429);
		assert_string_equal(fakesrv_header(&r, "x-rate-limit-remaining", v, sizeof(v)),
				    i == 0 ? "1" : "0");
		if (i >= 2) {
			assert_true(num(fakesrv_header(&r, "Retry-After", v, sizeof(v))) > 0);
			assert_int_equal(json_integer_value(json_object_get(json_array_get(
				json_object_get(r.json, "errors"), 0), "code")), 88);
		}
		fakesrv_resp_release(&r);
	}
	log = fakesrv_log_since(&srv, mark);
	assert_int_equal(json_array_size(log), 4);
	for (int i = 0; i < 4; i++) {
		json_t *l = json_array_get(log, (size_t)i);

		assert_string_equal(jstr(l, "platform"), "x");
		assert_int_equal(json_integer_value(json_object_get(l, "remaining")),
				 i < 2 ? 2 - i : 0);
		assert_true(json_integer_value(json_object_get(l, "reset")) > 1000000000000LL);
		/* requests 3 and 4 came while 0 remained and before the reset */
		assert_int_equal(json_is_true(json_object_get(l, "early")), i >= 2);
	}
	json_decref(log);
	control("/_fake/ratelimit", "{\"platform\":\"x\",\"reset\":true}");
	mark = fakesrv_log_mark(&srv);
	fakesrv_get(&srv, &r, "Bearer app", "/2/tweets/search/recent?query=acme");
	assert_int_equal(r.status, 200);
	fakesrv_resp_release(&r);
	log = fakesrv_log_since(&srv, mark);
	assert_false(json_is_true(json_object_get(json_array_get(log, 0), "early")));
	json_decref(log);
}

/* A client that waits for the announced reset is never early. */
static void ratelimit_honouring_reset_is_not_early(void **state)
{
	struct fakesrv_resp r;
	char v[64];
	long mark;
	json_t *log;
	double reset;

	(void)state;
	control("/_fake/ratelimit", "{\"platform\":\"bluesky\",\"budget\":1,"
		"\"window\":1,\"reset\":true}");
	mark = fakesrv_log_mark(&srv);
	fakesrv_get(&srv, &r, bsky_auth(), "/xrpc/app.bsky.feed.searchPosts?q=acme&limit=1");
	assert_int_equal(r.status, 200);
	assert_string_equal(fakesrv_header(&r, "RateLimit-Remaining", v, sizeof(v)), "0");
	reset = (double)num(fakesrv_header(&r, "RateLimit-Reset", v, sizeof(v)));
	fakesrv_resp_release(&r);
	while (now_s() < reset)
		sleep_ms(10);
	fakesrv_get(&srv, &r, bsky_auth(), "/xrpc/app.bsky.feed.searchPosts?q=acme&limit=1");
	assert_int_equal(r.status, 200);
	fakesrv_resp_release(&r);
	log = fakesrv_log_since(&srv, mark);
	assert_int_equal(json_array_size(log), 2);
	assert_false(json_is_true(json_object_get(json_array_get(log, 1), "early")));
	json_decref(log);
}

/* Injected 429s in every shape carry Remaining 0 and Retry-After, and a
 * request straight after one is logged early. */
static void ratelimit_injected_429_every_shape(void **state)
{
	static const char *const shapes[] = { "iso", "epoch", "delta", "float",
					      "comma-pair", "none" };
	char rule[300], v[128];
	struct fakesrv_resp r;
	long mark;
	json_t *log;

	(void)state;
	for (size_t i = 0; i < 6; i++) {
		snprintf(rule, sizeof(rule), "[{\"platform\":\"reddit\",\"path_prefix\":"
			 "\"/search\",\"kind\":\"status\",\"status\":429,\"shape\":\"%s\","
			 "\"retry_after\":30,\"count\":1}]", shapes[i]);
		control("/_fake/faults", rule);
		mark = fakesrv_log_mark(&srv);
		fakesrv_get(&srv, &r, reddit_auth(), "/search?q=acme&limit=1");
		assert_int_equal(r.status, 429);
		assert_string_equal(fakesrv_header(&r, "Retry-After", v, sizeof(v)), "30");
		fakesrv_header(&r, "X-Ratelimit-Remaining", v, sizeof(v));
		if (i == 5)
			assert_string_equal(v, "");
		else if (i == 4)
			assert_non_null(strstr(v, ", 0"));
		else
			assert_true(!strcmp(v, "0") || !strcmp(v, "0.0"));
		fakesrv_resp_release(&r);
		fakesrv_get(&srv, &r, reddit_auth(), "/search?q=acme&limit=1");
		assert_int_equal(r.status, 200);
		fakesrv_resp_release(&r);
		log = fakesrv_log_since(&srv, mark);
		assert_string_equal(jstr(json_array_get(log, 0), "fault"), "status");
		assert_true(json_is_true(json_object_get(json_array_get(log, 1), "early")));
		json_decref(log);
		control("/_fake/ratelimit", "{\"platform\":\"reddit\",\"reset\":true}");
	}
}

/* ---- faults ---- */

static void add_fault(const char *rule)
{
	control("/_fake/faults", rule);
}

static void fault_statuses(void **state)
{
	struct fakesrv_resp r;

	(void)state;
	add_fault("{\"platform\":\"mastodon\",\"path_prefix\":\"/api/v1/timelines/\","
		  "\"kind\":\"status\",\"status\":500,\"count\":1}");
	fakesrv_get(&srv, &r, NULL, "/api/v1/timelines/tag/acme");
	assert_int_equal(r.status, 500);
	assert_non_null(jstr(r.json, "error"));
	fakesrv_resp_release(&r);
	fakesrv_get(&srv, &r, NULL, "/api/v1/timelines/tag/acme");
	assert_int_equal(r.status, 200);
	fakesrv_resp_release(&r);

	add_fault("[{\"platform\":\"reddit\",\"kind\":\"status\",\"status\":503,\"count\":1},"
		  "{\"platform\":\"x\",\"kind\":\"status\",\"status\":401,\"count\":1},"
		  "{\"platform\":\"bluesky\",\"kind\":\"status\",\"status\":400,\"count\":1},"
		  "{\"platform\":\"hn\",\"kind\":\"status\",\"status\":502,\"count\":1},"
		  "{\"platform\":\"mastodon\",\"kind\":\"status\",\"status\":403,\"count\":1}]");
	fakesrv_get(&srv, &r, reddit_auth(), "/search?q=acme");
	assert_int_equal(r.status, 503);
	assert_null(r.json);	/* an HTML error page */
	fakesrv_resp_release(&r);
	fakesrv_get(&srv, &r, "Bearer app", "/2/tweets/search/recent?query=acme");
	assert_int_equal(r.status, 401);
	assert_string_equal(jstr(r.json, "title"), "Unauthorized");
	fakesrv_resp_release(&r);
	fakesrv_get(&srv, &r, bsky_auth(), "/xrpc/app.bsky.feed.searchPosts?q=acme");
	assert_int_equal(r.status, 400);
	assert_string_equal(jstr(r.json, "error"), "ExpiredToken");
	fakesrv_resp_release(&r);
	fakesrv_get(&srv, &r, NULL, "/api/v1/search_by_date?query=acme");
	assert_int_equal(r.status, 502);
	fakesrv_resp_release(&r);
	fakesrv_get(&srv, &r, NULL, "/api/v1/timelines/tag/acme");
	assert_int_equal(r.status, 403);
	fakesrv_resp_release(&r);
}

static void fault_slow_truncate_oversize(void **state)
{
	struct fakesrv_resp r;
	char url[128], v[64];

	(void)state;
	snprintf(url, sizeof(url), "%s/api/v1/search_by_date?query=acme", srv.base);
	add_fault("{\"platform\":\"hn\",\"kind\":\"slow\",\"delay_ms\":800,\"count\":1}");
	fakesrv_http(&r, "GET", url, NULL, NULL, 200);
	assert_int_equal(r.rc, CURLE_OPERATION_TIMEDOUT);
	fakesrv_resp_release(&r);
	add_fault("{\"platform\":\"hn\",\"kind\":\"slow\",\"trickle_ms\":100,"
		  "\"trickle_bytes\":8,\"count\":1}");
	fakesrv_http(&r, "GET", url, NULL, NULL, 400);
	assert_int_equal(r.rc, CURLE_OPERATION_TIMEDOUT);
	assert_true(heed_buf_len(&r.body) > 0);	/* it started, then crawled */
	fakesrv_resp_release(&r);
	add_fault("{\"platform\":\"hn\",\"kind\":\"slow\",\"delay_ms\":50,\"count\":1}");
	fakesrv_http(&r, "GET", url, NULL, NULL, 5000);
	assert_int_equal(r.status, 200);
	assert_non_null(r.json);
	fakesrv_resp_release(&r);

	add_fault("{\"platform\":\"hn\",\"kind\":\"truncate\",\"count\":1}");
	fakesrv_http(&r, "GET", url, NULL, NULL, 0);
	assert_int_equal(r.rc, CURLE_OK);
	assert_int_equal(r.status, 200);
	assert_null(r.json);
	assert_int_equal(heed_buf_str(&r.body)[0], '{');
	fakesrv_resp_release(&r);
	add_fault("{\"platform\":\"hn\",\"kind\":\"truncate\",\"mode\":\"connection\","
		  "\"count\":1}");
	fakesrv_http(&r, "GET", url, NULL, NULL, 0);
	assert_int_equal(r.rc, CURLE_PARTIAL_FILE);
	fakesrv_resp_release(&r);

	add_fault("{\"platform\":\"hn\",\"kind\":\"oversize\",\"mb\":3,\"count\":1}");
	fakesrv_http(&r, "GET", url, NULL, NULL, 0);
	assert_int_equal(r.status, 200);
	assert_int_equal(heed_buf_len(&r.body), 3u << 20);
	assert_non_null(json_object_get(r.json, "padding"));
	assert_string_equal(fakesrv_header(&r, "Content-Length", v, sizeof(v)), "3145728");
	fakesrv_resp_release(&r);
}

static void fault_garbage_utf8_drop(void **state)
{
	struct fakesrv_resp r;
	json_error_t jerr;
	json_t *j;
	char v[64];

	(void)state;
	add_fault("{\"platform\":\"bluesky\",\"kind\":\"garbage\",\"status\":403,\"count\":1}");
	fakesrv_get(&srv, &r, bsky_auth(), "/xrpc/app.bsky.feed.searchPosts?q=acme");
	assert_int_equal(r.status, 403);
	assert_null(r.json);
	assert_non_null(strstr(heed_buf_str(&r.body), "<html>"));
	assert_non_null(strstr(fakesrv_header(&r, "Content-Type", v, sizeof(v)), "text/html"));
	fakesrv_resp_release(&r);

	add_fault("{\"platform\":\"mastodon\",\"kind\":\"invalid-utf8\",\"count\":1}");
	fakesrv_get(&srv, &r, NULL, "/api/v1/timelines/tag/acme?limit=2");
	assert_int_equal(r.status, 200);
	assert_non_null(memchr(heed_buf_str(&r.body), 0xff, heed_buf_len(&r.body)));
	j = json_loadb(heed_buf_str(&r.body), heed_buf_len(&r.body), 0, &jerr);
	assert_null(j);
	assert_non_null(strstr(jerr.text, "decode byte"));
	fakesrv_resp_release(&r);

	add_fault("{\"platform\":\"x\",\"kind\":\"drop\",\"count\":1}");
	fakesrv_get(&srv, &r, "Bearer app", "/2/tweets/search/recent?query=acme");
	assert_int_equal(r.rc, CURLE_GOT_NOTHING);
	fakesrv_resp_release(&r);
	fakesrv_get(&srv, &r, "Bearer app", "/2/tweets/search/recent?query=acme");
	assert_int_equal(r.status, 200);
	fakesrv_resp_release(&r);
}

static void fault_selection_rules(void **state)
{
	struct fakesrv_resp r;
	int hit = 0;
	size_t i;
	json_t *f;

	(void)state;
	add_fault("{\"platform\":\"hn\",\"kind\":\"status\",\"status\":500,\"every_n\":2}");
	for (int k = 0; k < 6; k++) {
		fakesrv_get(&srv, &r, NULL, "/api/v1/search_by_date?query=acme");
		hit += r.status == 500;
		assert_int_equal(r.status, k % 2 ? 500 : 200);
		fakesrv_resp_release(&r);
	}
	assert_int_equal(hit, 3);
	control("/_fake/faults/clear", "{}");

	add_fault("{\"path_prefix\":\"/api/v1/search_by_date\",\"kind\":\"status\","
		  "\"status\":503,\"after_n\":2,\"count\":1}");
	for (int k = 0; k < 4; k++) {
		fakesrv_get(&srv, &r, NULL, "/api/v1/search_by_date?query=acme");
		assert_int_equal(r.status, k == 2 ? 503 : 200);
		fakesrv_resp_release(&r);
	}
	control("/_fake/faults/clear", "{}");

	add_fault("{\"platform\":\"hn\",\"kind\":\"status\",\"status\":500,"
		  "\"probability\":0.5}");
	hit = 0;
	for (int k = 0; k < 40; k++) {
		fakesrv_get(&srv, &r, NULL, "/api/v1/search_by_date?query=acme&hitsPerPage=1");
		hit += r.status == 500;
		fakesrv_resp_release(&r);
	}
	assert_true(hit > 5 && hit < 35);
	fakesrv_get(&srv, &r, NULL, "/_fake/faults");
	json_array_foreach(r.json, i, f) {
		assert_int_equal(json_integer_value(json_object_get(f, "seen")), 40);
		assert_int_equal(json_integer_value(json_object_get(f, "fired")), hit);
	}
	fakesrv_resp_release(&r);

	/* a bad rule is refused and changes nothing */
	{
		const char *h[] = { "Content-Type: application/json", NULL };

		fakesrv_post(&srv, &r, "/_fake/faults", h, "[{\"kind\":\"status\"},{\"kind\":\"nope\"}]");
		assert_int_equal(r.status, 400);
		fakesrv_resp_release(&r);
	}
	fakesrv_get(&srv, &r, NULL, "/_fake/faults");
	assert_int_equal(json_array_size(r.json), 1);
	fakesrv_resp_release(&r);
	control("/_fake/faults/clear", "{}");
	/* after all that, the timeline is intact */
	fakesrv_get(&srv, &r, NULL, "/api/v1/timelines/tag/acme?limit=40");
	assert_int_equal(json_array_size(r.json), NMASTODON);
	fakesrv_resp_release(&r);
}

/* ---- replies ---- */

static size_t replies_with_key(const char *platform, const char *key)
{
	struct fakesrv_resp r;
	size_t i, n = 0;
	json_t *x;

	fakesrv_get(&srv, &r, NULL, "/_fake/replies?platform=%s", platform);
	json_array_foreach(r.json, i, x)
		if (key && jstr(x, "key") && !strcmp(jstr(x, "key"), key))
			n++;
	fakesrv_resp_release(&r);
	return n;
}

static void mastodon_post(struct fakesrv_resp *r, const char *key, const char *body,
			  bool json)
{
	char k[128];
	const char *h[] = { "Authorization: Bearer user",
			    json ? "Content-Type: application/json"
				 : "Content-Type: application/x-www-form-urlencoded",
			    k, NULL };

	snprintf(k, sizeof(k), "Idempotency-Key: %s", key);
	fakesrv_post(&srv, r, "/api/v1/statuses", h, body);
}

static void replies_mastodon_idempotency(void **state)
{
	char *parent = native_of("mastodon", "m003"), body[256], id[32], me[32];
	struct fakesrv_resp r;

	(void)state;
	snprintf(body, sizeof(body), "status=%%40user+thanks%%2C+looking&in_reply_to_id=%s",
		 parent);
	mastodon_post(&r, "k-1", body, false);
	assert_int_equal(r.status, 200);
	assert_string_equal(jstr(r.json, "in_reply_to_id"), parent);
	assert_non_null(strstr(jstr(r.json, "content"), "thanks, looking"));
	snprintf(id, sizeof(id), "%s", jstr(r.json, "id"));
	fakesrv_resp_release(&r);
	mastodon_post(&r, "k-1", body, false);
	assert_int_equal(r.status, 200);
	assert_string_equal(jstr(r.json, "id"), id);
	fakesrv_resp_release(&r);
	assert_int_equal(replies_with_key("mastodon", "k-1"), 1);

	snprintf(body, sizeof(body), "{\"status\":\"json reply\",\"in_reply_to_id\":\"%s\"}",
		 parent);
	mastodon_post(&r, "k-2", body, true);
	assert_int_equal(r.status, 200);
	assert_string_not_equal(jstr(r.json, "id"), id);
	fakesrv_resp_release(&r);
	mastodon_post(&r, "k-x", "{\"status\":\"x\",\"in_reply_to_id\":\"1\"}", true);
	assert_int_equal(r.status, 404);
	fakesrv_resp_release(&r);
	mastodon_post(&r, "k-y", "{\"status\":\"\"}", true);
	assert_int_equal(r.status, 422);
	fakesrv_resp_release(&r);

	/* mastodon#40399: a repeated key answered 500 */
	control("/_fake/config", "{\"mastodon_idempotency_bug\":true}");
	mastodon_post(&r, "k-1", "status=again", false);
	assert_int_equal(r.status, 500);
	fakesrv_resp_release(&r);
	control("/_fake/config", "{\"mastodon_idempotency_bug\":false}");

	/* applied, then failed: the retry with the same key finds it */
	add_fault("{\"path_prefix\":\"/api/v1/statuses\",\"method\":\"POST\","
		  "\"kind\":\"commit-then-fail\",\"count\":1}");
	mastodon_post(&r, "k-3", "status=crash+one", false);
	assert_int_equal(r.status, 500);
	fakesrv_resp_release(&r);
	assert_int_equal(replies_with_key("mastodon", "k-3"), 1);
	mastodon_post(&r, "k-3", "status=crash+one", false);
	assert_int_equal(r.status, 200);
	fakesrv_resp_release(&r);
	assert_int_equal(replies_with_key("mastodon", "k-3"), 1);

	add_fault("{\"path_prefix\":\"/api/v1/statuses\",\"kind\":\"commit-then-fail\","
		  "\"drop\":true,\"count\":1}");
	mastodon_post(&r, "k-4", "status=crash+two", false);
	assert_int_equal(r.rc, CURLE_GOT_NOTHING);
	fakesrv_resp_release(&r);
	/* reconcile from the account's own statuses */
	fakesrv_get(&srv, &r, "Bearer user", "/api/v1/accounts/verify_credentials");
	snprintf(me, sizeof(me), "%s", jstr(r.json, "id"));
	fakesrv_resp_release(&r);
	fakesrv_get(&srv, &r, NULL, "/api/v1/accounts/%s/statuses?limit=40", me);
	assert_int_equal(r.status, 200);
	assert_int_equal(json_array_size(r.json), 4);
	assert_string_equal(jstr(json_array_get(r.json, 0), "content"), "<p>crash two</p>");
	fakesrv_resp_release(&r);
	assert_int_equal(replies_with_key("mastodon", "k-4"), 1);
	free(parent);
}

static void replies_bluesky_rkey(void **state)
{
	char *parent = native_of("bluesky", "b000"), body[1024], auth[2200], me[128];
	const char *h[] = { auth, "Content-Type: application/json", NULL };
	struct fakesrv_resp r;
	json_t *rec;

	(void)state;
	snprintf(auth, sizeof(auth), "Authorization: %s", bsky_auth());
	fakesrv_get(&srv, &r, bsky_auth(), "/xrpc/com.atproto.server.getSession");
	snprintf(me, sizeof(me), "%s", jstr(r.json, "did"));
	fakesrv_resp_release(&r);
	fakesrv_get(&srv, &r, NULL, "/xrpc/com.atproto.repo.getRecord?repo=%s&collection="
	    "app.bsky.feed.post&rkey=%s", "did:plc:user00000", strrchr(parent, '/') + 1);
	assert_int_equal(r.status, 200);
	snprintf(body, sizeof(body), "{\"repo\":\"%s\",\"collection\":\"app.bsky.feed.post\","
		 "\"rkey\":\"3kfakereply22\",\"record\":{\"$type\":\"app.bsky.feed.post\","
		 "\"text\":\"we're on it\",\"createdAt\":\"2025-01-01T00:00:00.000Z\","
		 "\"reply\":{\"root\":{\"uri\":\"%s\",\"cid\":\"%s\"},\"parent\":"
		 "{\"uri\":\"%s\",\"cid\":\"%s\"}}}}", me, parent, jstr(r.json, "cid"),
		 parent, jstr(r.json, "cid"));
	fakesrv_resp_release(&r);
	fakesrv_post(&srv, &r, "/xrpc/com.atproto.repo.createRecord", h, body);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(jstr(r.json, "uri"), "/app.bsky.feed.post/3kfakereply22"));
	fakesrv_resp_release(&r);
	fakesrv_post(&srv, &r, "/xrpc/com.atproto.repo.createRecord", h, body);
	assert_int_equal(r.status, 500);
	assert_string_equal(jstr(r.json, "error"), "InternalServerError");
	fakesrv_resp_release(&r);
	assert_int_equal(replies_with_key("bluesky", "3kfakereply22"), 1);
	fakesrv_get(&srv, &r, NULL, "/xrpc/com.atproto.repo.getRecord?repo=%s&collection="
	    "app.bsky.feed.post&rkey=3kfakereply22", me);
	assert_int_equal(r.status, 200);
	rec = json_object_get(r.json, "value");
	assert_string_equal(jstr(rec, "text"), "we're on it");
	assert_string_equal(jstr(json_object_get(json_object_get(rec, "reply"), "parent"),
				 "uri"), parent);
	fakesrv_resp_release(&r);
	fakesrv_get(&srv, &r, NULL, "/xrpc/com.atproto.repo.getRecord?repo=%s&collection="
	    "app.bsky.feed.post&rkey=3kfakereply33", me);
	assert_int_equal(r.status, 400);
	assert_string_equal(jstr(r.json, "error"), "RecordNotFound");
	fakesrv_resp_release(&r);
	free(parent);
}

static void replies_reddit_and_x(void **state)
{
	char auth[320], *xparent, body[256], me[32];
	const char *h[] = { auth, "Content-Type: application/x-www-form-urlencoded", NULL };
	const char *xh[] = { "Authorization: Bearer user",
			     "Content-Type: application/json", NULL };
	struct fakesrv_resp r;
	json_t *errs, *d;
	size_t before;

	(void)state;
	snprintf(auth, sizeof(auth), "Authorization: %s", reddit_auth());
	fakesrv_post(&srv, &r, "/api/comment", h, "api_type=json&thing_id=t3_rp001&text=Sorry+about+that");
	assert_int_equal(r.status, 200);
	errs = json_object_get(json_object_get(r.json, "json"), "errors");
	assert_int_equal(json_array_size(errs), 0);
	d = json_object_get(json_array_get(json_object_get(json_object_get(
		json_object_get(r.json, "json"), "data"), "things"), 0), "data");
	assert_string_equal(jstr(d, "parent_id"), "t3_rp001");
	assert_string_equal(jstr(d, "author"), "acme");
	fakesrv_resp_release(&r);

	fakesrv_get(&srv, &r, NULL, "/_fake/replies?platform=reddit");
	before = json_array_size(r.json);
	fakesrv_resp_release(&r);
	add_fault("{\"path_prefix\":\"/api/comment\",\"kind\":\"api-error\","
		  "\"error\":\"RATELIMIT\",\"count\":1}");
	fakesrv_post(&srv, &r, "/api/comment", h, "api_type=json&thing_id=t3_rp002&text=hello");
	assert_int_equal(r.status, 200);
	errs = json_object_get(json_object_get(r.json, "json"), "errors");
	assert_string_equal(json_string_value(json_array_get(json_array_get(errs, 0), 0)),
			    "RATELIMIT");
	fakesrv_resp_release(&r);
	fakesrv_post(&srv, &r, "/api/comment", h, "api_type=json&thing_id=t3_nope&text=hello");
	errs = json_object_get(json_object_get(r.json, "json"), "errors");
	assert_int_equal(json_array_size(errs), 1);
	fakesrv_resp_release(&r);
	fakesrv_get(&srv, &r, NULL, "/_fake/replies?platform=reddit");
	assert_int_equal(json_array_size(r.json), before);
	fakesrv_resp_release(&r);
	fakesrv_get(&srv, &r, reddit_auth(), "/user/acme/comments?limit=10&raw_json=1");
	assert_int_equal(json_array_size(json_object_get(json_object_get(r.json, "data"),
							 "children")), 1);
	fakesrv_resp_release(&r);

	/* X: only posts that mention the brand can be answered */
	xparent = native_of("x", "x001");
	snprintf(body, sizeof(body), "{\"text\":\"hi there\",\"reply\":"
		 "{\"in_reply_to_tweet_id\":\"%s\"}}", xparent);
	free(xparent);
	fakesrv_post(&srv, &r, "/2/tweets", xh, body);
	assert_int_equal(r.status, 403);
	assert_non_null(strstr(jstr(r.json, "detail"), "you have not been mentioned"));
	fakesrv_resp_release(&r);
	xparent = native_of("x", "x003");
	snprintf(body, sizeof(body), "{\"text\":\"hi there\",\"reply\":"
		 "{\"in_reply_to_tweet_id\":\"%s\"}}", xparent);
	fakesrv_post(&srv, &r, "/2/tweets", xh, body);
	assert_int_equal(r.status, 201);
	assert_string_equal(jstr(json_object_get(r.json, "data"), "text"), "hi there");
	fakesrv_resp_release(&r);
	fakesrv_post(&srv, &r, "/2/tweets", xh, body);
	assert_int_equal(r.status, 403);
	assert_non_null(strstr(jstr(r.json, "detail"), "duplicate content"));
	fakesrv_resp_release(&r);
	fakesrv_get(&srv, &r, "Bearer user", "/2/users/me");
	snprintf(me, sizeof(me), "%s", jstr(json_object_get(r.json, "data"), "id"));
	fakesrv_resp_release(&r);
	fakesrv_get(&srv, &r, "Bearer user", "/2/users/%s/tweets?tweet.fields=referenced_tweets", me);
	d = json_array_get(json_object_get(r.json, "data"), 0);
	assert_string_equal(jstr(json_array_get(json_object_get(d, "referenced_tweets"), 0),
				 "id"), xparent);
	fakesrv_resp_release(&r);
	free(xparent);
	fakesrv_get(&srv, &r, NULL, "/_fake/replies?platform=x");
	assert_int_equal(json_array_size(r.json), 1);
	fakesrv_resp_release(&r);
}

/* ---- the request log ---- */

static void log_lines_and_stats(void **state)
{
	FILE *f = fopen(srv.log, "r");
	char line[1 << 16];
	size_t n = 0, posts = 0, keys = 0;
	struct fakesrv_resp r;

	(void)state;
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		json_t *l = json_loads(line, 0, NULL);

		assert_non_null(l);
		assert_true(json_is_integer(json_object_get(l, "t")));
		assert_non_null(jstr(l, "method"));
		assert_non_null(jstr(l, "path"));
		assert_non_null(jstr(l, "query"));
		assert_true(json_is_integer(json_object_get(l, "status")));
		assert_non_null(json_object_get(l, "remaining"));
		assert_non_null(json_object_get(l, "reset"));
		assert_true(json_is_boolean(json_object_get(l, "early")));
		if (!strcmp(jstr(l, "method"), "POST")) {
			assert_true(json_is_string(json_object_get(l, "body")));
			posts++;
		}
		keys += jstr(l, "idempotency_key") != NULL;
		json_decref(l);
		n++;
	}
	fclose(f);
	assert_true(n > 50);
	assert_true(posts > 5);
	assert_true(keys > 3);
	fakesrv_get(&srv, &r, NULL, "/_fake/log");
	assert_int_equal(r.status, 200);
	{
		size_t lines = 0;

		for (const char *p = heed_buf_str(&r.body); *p; p++)
			lines += *p == '\n';
		assert_int_equal(lines, n);
	}
	fakesrv_resp_release(&r);
	fakesrv_get(&srv, &r, NULL, "/_fake/stats");
	assert_true(json_integer_value(json_object_get(json_object_get(
		json_object_get(json_object_get(r.json, "platforms"), "mastodon"),
		"mastodon.tag_timeline"), "requests")) > 5);
	assert_true(json_integer_value(json_object_get(r.json, "early")) >= 2);
	fakesrv_resp_release(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(ratelimit_default_shapes, test_reset),
		cmocka_unit_test_teardown(ratelimit_forced_shapes, test_reset),
		cmocka_unit_test_teardown(ratelimit_429_and_early_flag, test_reset),
		cmocka_unit_test_teardown(ratelimit_honouring_reset_is_not_early,
					  test_reset),
		cmocka_unit_test_teardown(ratelimit_injected_429_every_shape, test_reset),
		cmocka_unit_test_teardown(fault_statuses, test_reset),
		cmocka_unit_test_teardown(fault_slow_truncate_oversize, test_reset),
		cmocka_unit_test_teardown(fault_garbage_utf8_drop, test_reset),
		cmocka_unit_test_teardown(fault_selection_rules, test_reset),
		cmocka_unit_test_teardown(replies_mastodon_idempotency, test_reset),
		cmocka_unit_test_teardown(replies_bluesky_rkey, test_reset),
		cmocka_unit_test_teardown(replies_reddit_and_x, test_reset),
		cmocka_unit_test_teardown(log_lines_and_stats, test_reset),
	};

	/* a missing prerequisite is a skip, not a failure */
	if (access(fakesrv_binary(), X_OK)) {
		printf("[  SKIPPED ] %zu test(s), fakesocial not built at %s\n",
		       sizeof(tests) / sizeof(*tests), fakesrv_binary());
		return 0;
	}
	return cmocka_run_group_tests_name("fakesocial_faults", tests, group_setup,
					   group_teardown);
}
