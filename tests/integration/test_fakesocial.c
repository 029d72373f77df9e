/* test_fakesocial.c: the fake social server, part 1: startup, shutdown and
 * each platform's read endpoints (shapes against tests/fixtures, quirks, and
 * paging: every post seen exactly once by following the platform's own
 * paging). Part 2 (test_fakesocial_faults.c) covers rate limits, faults and
 * replies. No database; libcurl on loopback only. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>

#include "heed/buf.h"
#include "heed/xalloc.h"

#include "fakeserver.h"

#define NMASTODON 25
#define NBLUESKY 30
#define NREDDIT 30
#define NREDDIT_COMMENTS 15
#define NX 35
#define NHN 30

static struct fakesrv srv;
static char bsky_token[2048];
static char reddit_token[256];

static void control(const char *path, const char *json)
{
	assert_int_equal(fakesrv_control(&srv, path, json), 200);
}

static const char *jstr(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* ---- the timeline ---- */

static char *timeline(void)
{
	struct heed_buf b;

	heed_buf_init(&b, 0);
#define ADD(...) assert_int_equal(heed_buf_addf(&b, __VA_ARGS__), HEED_OK)
	for (int i = 0; i < NMASTODON; i++)
		ADD("{\"platform\":\"mastodon\",\"id\":\"m%03d\",\"at\":%d,\"author\":"
		    "{\"id\":\"%d\",\"handle\":\"%s\",\"name\":\"M %d\",\"followers\":%d},"
		    "\"text\":\"%s #acme\",\"lang\":\"en\",\"channels\":[\"tag:acme\"%s%s]}\n",
		    i, -1000 + i, 700 + i % 4, i % 4 ? "user" : "remote@other.social", i,
		    i * 10, i == 0 ? "Don't & <b> @acme" : "hello @acme",
		    i % 2 ? "" : ",\"mention\"", i % 3 ? "" : ",\"search\"");
	ADD("{\"platform\":\"mastodon\",\"id\":\"m-future\",\"at\":86400,\"author\":"
	    "{\"id\":\"1\",\"handle\":\"late\"},\"text\":\"later #acme\","
	    "\"channels\":[\"tag:acme\",\"mention\",\"search\"]}\n");
	for (int i = 0; i < NBLUESKY; i++)
		ADD("{\"platform\":\"bluesky\",\"id\":\"b%03d\",\"at\":%d,\"author\":"
		    "{\"id\":\"did:plc:user%05d\",\"handle\":\"user%d\",\"name\":\"B\","
		    "\"followers\":%d},\"text\":\"%s\",\"lang\":\"en\",\"channels\":"
		    "[\"search\"%s%s]%s}\n",
		    i, -900 + i, i % 3, i % 3, 100 + i,
		    i == 0 ? "\\u2728 @acme.bsky.social hi #acme" : "acme post",
		    i % 3 ? "" : ",\"mention\"", i % 5 ? "" : ",\"reply\"",
		    i == 5 ? ",\"reply_to\":\"b000\"" : "");
	ADD("{\"platform\":\"bluesky\",\"id\":\"b-future\",\"at\":86400,\"author\":"
	    "{\"id\":\"did:plc:late\",\"handle\":\"late\"},\"text\":\"later\","
	    "\"channels\":[\"search\",\"mention\"]}\n");
	for (int i = 0; i < NREDDIT; i++)
		ADD("{\"platform\":\"reddit\",\"id\":\"rp%03d\",\"at\":%d,\"author\":"
		    "%s,\"title\":\"Acme & <things> %d\",\"text\":\"body %d & <b>\","
		    "\"channels\":[\"search\",\"sub:acmesupport\"]%s}\n",
		    i, -800 + i, i == 3 ? "null" : "{\"handle\":\"redditor\"}", i, i,
		    i == 4 ? ",\"edited\":120.5" : "");
	for (int i = 0; i < NREDDIT_COMMENTS; i++)
		ADD("{\"platform\":\"reddit\",\"id\":\"rc%03d\",\"at\":%d,\"author\":"
		    "{\"handle\":\"commenter%d\"},\"text\":\"u/acme comment %d\","
		    "\"kind\":\"comment\",\"reply_to\":\"rp000\",\"thread\":\"rp000\","
		    "\"channels\":[\"sub:acmesupport\"%s]}\n",
		    i, -700 + i, i, i, i % 3 ? "" : ",\"mention\"");
	for (int i = 0; i < NX; i++)
		ADD("{\"platform\":\"x\",\"id\":\"x%03d\",\"at\":%d,\"author\":"
		    "{\"id\":\"%d\",\"handle\":\"tweeter%d\",\"name\":\"T\",\"followers\":%d},"
		    "\"text\":\"%sacme thing %d\",\"lang\":\"en\",\"channels\":[\"search\"%s]}\n",
		    i, -600 + i, 5000 + i % 5, i % 5, 1000 + i, i % 3 ? "" : "@acme ", i,
		    i % 3 ? "" : ",\"mention\"");
	ADD("{\"platform\":\"x\",\"id\":\"x-edit\",\"at\":-100,\"author\":{\"id\":\"5001\","
	    "\"handle\":\"tweeter1\"},\"text\":\"acme thing 1 (fixed typo)\","
	    "\"edit_of\":\"x001\",\"channels\":[\"search\"]}\n");
	for (int i = 0; i < NHN; i++)
		ADD("{\"platform\":\"hn\",\"id\":\"h%03d\",\"at\":%d,\"author\":%s,"
		    "%s\"text\":\"I'd say \\\"acme\\\" & <i>%d</i>\",\"channels\":[\"search\"]%s}\n",
		    i, -500 + i, i == 7 ? "null" : "{\"handle\":\"hacker\"}",
		    i % 2 ? "" : "\"title\":\"Acme story\",", i,
		    i % 2 ? ",\"kind\":\"comment\",\"reply_to\":\"h000\"" : "");
#undef ADD
	return heed_buf_detach(&b, NULL);
}

/* Native id of a timeline post; the caller frees it. */
static char *native_of(const char *platform, const char *key)
{
	char *id = fakesrv_native_id(&srv, platform, key);

	assert_non_null(id);
	return id;
}

/* A set of ids with counts, to check "every post exactly once". */
struct seen {
	json_t *ids;
};

static void seen_add(struct seen *s, const char *id)
{
	json_t *v = json_object_get(s->ids, id);

	json_object_set_new(s->ids, id, json_integer(v ? json_integer_value(v) + 1 : 1));
}

/* Every id seen exactly once, and n of them. */
static void seen_check(struct seen *s, size_t n)
{
	const char *k;
	json_t *v;

	json_object_foreach(s->ids, k, v)
		if (json_integer_value(v) != 1)
			fail_msg("id %s seen %lld times", k, (long long)json_integer_value(v));
	assert_int_equal(json_object_size(s->ids), n);
	json_decref(s->ids);
}

/* ---- setup ---- */

static int group_setup(void **state)
{
	char *tl;
	const char *args[] = { "--budget", "0", "--seed", "7", NULL };
	int rc;

	(void)state;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	tl = timeline();
	rc = fakesrv_start(&srv, tl, args);
	free(tl);
	return rc;
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

/* ---- startup and shutdown ---- */

static void startup_help_and_bad_flags(void **state)
{
	struct fakesrv f;
	const char *bad[] = { "--budget", "mastodon=x", NULL };
	char cmd[600];

	(void)state;
	snprintf(cmd, sizeof(cmd), "'%s' --help | grep -q 'usage: fakesocial'",
		 fakesrv_binary());
	assert_int_equal(system(cmd), 0);
	assert_int_equal(fakesrv_start(&f, NULL, bad), 2);
	fakesrv_stop(&f);
	assert_int_equal(fakesrv_start(&f, "{\"platform\":\"myspace\",\"text\":\"x\"}\n",
				    NULL), 2);
	fakesrv_stop(&f);
}

static void startup_loopback_only_and_clean_exit(void **state)
{
	struct fakesrv f;
	struct fakesrv_resp r;
	char url[64];

	(void)state;
	assert_int_equal(fakesrv_start(&f, NULL, NULL), 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/_fake/health", f.port);
	fakesrv_http(&r, "GET", url, NULL, NULL, 0);
	assert_int_equal(r.status, 200);
	fakesrv_resp_release(&r);
	/* bound to 127.0.0.1 only: another loopback address is refused */
	snprintf(url, sizeof(url), "http://127.0.0.2:%d/_fake/health", f.port);
	fakesrv_http(&r, "GET", url, NULL, NULL, 2000);
	assert_int_equal(r.rc, CURLE_COULDNT_CONNECT);
	fakesrv_resp_release(&r);
	assert_int_equal(fakesrv_stop(&f), 0);
}

/* ---- Mastodon ---- */

/* Follow Link rel="next" from the newest page to the end. */
static void mastodon_tag_paging(void **state)
{
	struct seen s = { json_object() };
	char link[1024], next[1024] = "/api/v1/timelines/tag/acme?limit=7";
	struct fakesrv_resp r;
	int pages = 0;

	(void)state;
	while (next[0] && pages++ < 20) {
		size_t i;
		json_t *st;
		char *lt, *gt;

		fakesrv_get(&srv, &r, NULL, "%s", next);
		assert_int_equal(r.status, 200);
		assert_true(json_is_array(r.json));
		json_array_foreach(r.json, i, st) {
			assert_non_null(jstr(st, "id"));
			assert_non_null(strstr(jstr(st, "content"), "<p>"));
			assert_non_null(jstr(json_object_get(st, "account"), "acct"));
			seen_add(&s, jstr(st, "id"));
		}
		fakesrv_header(&r, "Link", link, sizeof(link));
		next[0] = '\0';
		lt = strstr(link, "<");
		gt = lt ? strstr(lt, ">; rel=\"next\"") : NULL;
		if (gt)
			snprintf(next, sizeof(next), "%.*s", (int)(gt - lt - 1), lt + 1);
		if (json_array_size(r.json))
			assert_non_null(strstr(link, "rel=\"prev\""));
		fakesrv_resp_release(&r);
	}
	seen_check(&s, NMASTODON);
}

/* Catch up forward with min_id, as a poller does. */
static void mastodon_min_id_catch_up(void **state)
{
	struct seen s = { json_object() };
	char last[32] = "0";
	struct fakesrv_resp r;
	int pages = 0;

	(void)state;
	for (;;) {
		size_t i, n;
		json_t *st;

		fakesrv_get(&srv, &r, NULL, "/api/v1/timelines/tag/ACME?limit=4&min_id=%s", last);
		assert_int_equal(r.status, 200);
		n = json_array_size(r.json);
		json_array_foreach(r.json, i, st)
			seen_add(&s, jstr(st, "id"));
		if (n) {
			/* newest first within the page; the next cursor is the first */
			snprintf(last, sizeof(last), "%s", jstr(json_array_get(r.json, 0), "id"));
			assert_true(strlen(jstr(json_array_get(r.json, 0), "id")) >=
				    strlen(jstr(json_array_get(r.json, n - 1), "id")));
		}
		fakesrv_resp_release(&r);
		if (!n || ++pages > 20)
			break;
	}
	seen_check(&s, NMASTODON);
}

static void mastodon_html_notifications_search(void **state)
{
	struct seen s = { json_object() };
	char *m0 = native_of("mastodon", "m000");
	char max[32] = "";
	struct fakesrv_resp r;
	json_t *st;

	(void)state;
	fakesrv_get(&srv, &r, NULL, "/api/v1/statuses/%s", m0);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(jstr(r.json, "content"), "Don&#39;t &amp; &lt;b&gt;"));
	assert_non_null(strstr(jstr(r.json, "content"), "class=\"u-url mention\""));
	assert_string_equal(jstr(json_object_get(r.json, "account"), "acct"),
			    "remote@other.social");
	fakesrv_resp_release(&r);
	free(m0);

	fakesrv_get(&srv, &r, NULL, "/api/v1/notifications?types[]=mention");
	assert_int_equal(r.status, 401);
	fakesrv_resp_release(&r);
	for (int pages = 0; pages < 20; pages++) {
		size_t i;

		fakesrv_get(&srv, &r, "Bearer tok", "/api/v1/notifications?types[]=mention&limit=5%s%s",
		    max[0] ? "&max_id=" : "", max);
		assert_int_equal(r.status, 200);
		json_array_foreach(r.json, i, st) {
			assert_string_equal(jstr(st, "type"), "mention");
			assert_string_not_equal(jstr(st, "id"),
						jstr(json_object_get(st, "status"), "id"));
			seen_add(&s, jstr(json_object_get(st, "status"), "id"));
			snprintf(max, sizeof(max), "%s", jstr(st, "id"));
		}
		i = json_array_size(r.json);
		fakesrv_resp_release(&r);
		if (!i)
			break;
	}
	seen_check(&s, (NMASTODON + 1) / 2);
	fakesrv_get(&srv, &r, "Bearer tok", "/api/v1/notifications?types[]=follow");
	assert_int_equal(json_array_size(r.json), 0);
	fakesrv_resp_release(&r);

	/* v2 search: nothing without a user token, offset paging with one */
	fakesrv_get(&srv, &r, NULL, "/api/v2/search?type=statuses&q=acme+thing");
	assert_int_equal(json_array_size(json_object_get(r.json, "statuses")), 0);
	fakesrv_resp_release(&r);
	fakesrv_get(&srv, &r, "Bearer tok", "/api/v2/search?type=statuses&q=acme+thing&limit=5&offset=5");
	assert_int_equal(r.status, 200);
	assert_int_equal(json_array_size(json_object_get(r.json, "statuses")),
			 (NMASTODON + 2) / 3 - 5);
	assert_true(json_is_array(json_object_get(r.json, "accounts")));
	fakesrv_resp_release(&r);
	fakesrv_get(&srv, &r, "Bearer tok", "/api/v2/search?type=statuses&q=%%23acme");
	assert_int_equal(json_array_size(json_object_get(r.json, "statuses")), 0);
	fakesrv_resp_release(&r);
}

/* ---- Bluesky ---- */

static void bluesky_search_paging_and_facets(void **state)
{
	struct seen s = { json_object() };
	char cursor[256] = "";
	struct fakesrv_resp r;
	int pages = 0;

	(void)state;
	fakesrv_get(&srv, &r, NULL, "/xrpc/app.bsky.feed.searchPosts?q=acme");
	assert_int_equal(r.status, 403);
	fakesrv_resp_release(&r);
	do {
		size_t i;
		json_t *p;

		fakesrv_get(&srv, &r, bsky_auth(), "/xrpc/app.bsky.feed.searchPosts?q=acme&sort=latest"
		    "&limit=7%s%s", cursor[0] ? "&cursor=" : "", cursor);
		assert_int_equal(r.status, 200);
		json_array_foreach(json_object_get(r.json, "posts"), i, p) {
			json_t *rec = json_object_get(p, "record");
			json_t *author = json_object_get(p, "author");

			assert_non_null(jstr(p, "cid"));
			assert_non_null(jstr(p, "indexedAt"));
			assert_non_null(jstr(rec, "createdAt"));
			assert_non_null(jstr(author, "did"));
			assert_null(json_object_get(author, "followersCount"));
			assert_int_equal(strncmp(jstr(p, "uri"), "at://did:", 9), 0);
			seen_add(&s, jstr(p, "uri"));
			if (!strcmp(jstr(rec, "text"), "\xe2\x9c\xa8 @acme.bsky.social hi #acme")) {
				json_t *idx = json_object_get(json_array_get(
					json_object_get(rec, "facets"), 0), "index");

				/* UTF-8 bytes: the sparkle is 3 bytes, so 4 (UTF-16: 2) */
				assert_int_equal(json_integer_value(json_object_get(idx, "byteStart")), 4);
				assert_int_equal(json_integer_value(json_object_get(idx, "byteEnd")), 21);
			}
		}
		cursor[0] = '\0';
		if (jstr(r.json, "cursor"))
			snprintf(cursor, sizeof(cursor), "%s", jstr(r.json, "cursor"));
		fakesrv_resp_release(&r);
	} while (cursor[0] && pages++ < 20);
	seen_check(&s, NBLUESKY);

	fakesrv_get(&srv, &r, bsky_auth(), "/xrpc/app.bsky.feed.searchPosts?q=acme&limit=101");
	assert_int_equal(r.status, 400);
	fakesrv_resp_release(&r);
}

static void bluesky_notifications_profile_and_session(void **state)
{
	struct seen s = { json_object() };
	const char *h[] = { "Content-Type: application/json", NULL };
	char cursor[256] = "", refresh[2048], hdr[2100];
	struct fakesrv_resp r;
	int pages = 0;

	(void)state;
	do {
		size_t i;
		json_t *n;

		fakesrv_get(&srv, &r, bsky_auth(), "/xrpc/app.bsky.notification.listNotifications?"
		    "reasons=mention&reasons=reply&limit=4%s%s",
		    cursor[0] ? "&cursor=" : "", cursor);
		assert_int_equal(r.status, 200);
		json_array_foreach(json_object_get(r.json, "notifications"), i, n) {
			assert_true(!strcmp(jstr(n, "reason"), "mention") ||
				    !strcmp(jstr(n, "reason"), "reply"));
			assert_non_null(jstr(json_object_get(n, "record"), "text"));
			seen_add(&s, jstr(n, "uri"));
		}
		cursor[0] = '\0';
		if (jstr(r.json, "cursor"))
			snprintf(cursor, sizeof(cursor), "%s", jstr(r.json, "cursor"));
		fakesrv_resp_release(&r);
	} while (cursor[0] && pages++ < 20);
	{
		size_t want = 0;

		for (int i = 0; i < NBLUESKY; i++)
			want += i % 3 == 0 || i % 5 == 0;
		seen_check(&s, want);
	}

	fakesrv_get(&srv, &r, bsky_auth(), "/xrpc/app.bsky.actor.getProfile?actor=user2.bsky.social");
	assert_int_equal(r.status, 200);
	assert_true(json_integer_value(json_object_get(r.json, "followersCount")) >= 100);
	fakesrv_resp_release(&r);

	/* expired access token: ExpiredToken, then refreshSession works */
	fakesrv_post(&srv, &r, "/xrpc/com.atproto.server.createSession", h,
	     "{\"identifier\":\"acme.bsky.social\",\"password\":\"app-pw\"}");
	snprintf(refresh, sizeof(refresh), "Authorization: Bearer %s",
		 jstr(r.json, "refreshJwt"));
	snprintf(bsky_token, sizeof(bsky_token), "%s", jstr(r.json, "accessJwt"));
	fakesrv_resp_release(&r);
	control("/_fake/expire", "{\"platform\":\"bluesky\"}");
	fakesrv_get(&srv, &r, bsky_auth(), "/xrpc/app.bsky.feed.searchPosts?q=acme");
	assert_int_equal(r.status, 400);
	assert_string_equal(jstr(r.json, "error"), "ExpiredToken");
	fakesrv_resp_release(&r);
	{
		const char *rh[] = { refresh, NULL };

		fakesrv_post(&srv, &r, "/xrpc/com.atproto.server.refreshSession", rh, NULL);
		assert_int_equal(r.status, 200);
		snprintf(bsky_token, sizeof(bsky_token), "%s", jstr(r.json, "accessJwt"));
		fakesrv_resp_release(&r);
		fakesrv_post(&srv, &r, "/xrpc/com.atproto.server.refreshSession", rh, NULL);
		assert_int_equal(r.status, 400);	/* refresh tokens rotate */
		fakesrv_resp_release(&r);
	}
	fakesrv_get(&srv, &r, bsky_auth(), "/xrpc/app.bsky.feed.searchPosts?q=acme&limit=1");
	assert_int_equal(r.status, 200);
	fakesrv_resp_release(&r);

	/* createSession is counted and limited on its own */
	control("/_fake/ratelimit", "{\"platform\":\"bluesky-session\",\"budget\":1,"
		"\"window\":3600,\"reset\":true}");
	fakesrv_post(&srv, &r, "/xrpc/com.atproto.server.createSession", h,
	     "{\"identifier\":\"acme.bsky.social\",\"password\":\"app-pw\"}");
	assert_int_equal(r.status, 200);
	assert_string_equal(fakesrv_header(&r, "RateLimit-Policy", hdr, sizeof(hdr)), "1;w=3600");
	fakesrv_resp_release(&r);
	fakesrv_post(&srv, &r, "/xrpc/com.atproto.server.createSession", h,
	     "{\"identifier\":\"acme.bsky.social\",\"password\":\"app-pw\"}");
	assert_int_equal(r.status, 429);
	assert_string_equal(jstr(r.json, "error"), "RateLimitExceeded");
	fakesrv_resp_release(&r);
	control("/_fake/ratelimit", "{\"platform\":\"bluesky-session\",\"budget\":30,"
		"\"window\":300,\"reset\":true}");
	fakesrv_get(&srv, &r, NULL, "/_fake/stats");
	assert_true(json_integer_value(json_object_get(r.json, "create_session")) >= 3);
	fakesrv_resp_release(&r);
}

/* ---- Reddit ---- */

static void reddit_listing_paging(void **state)
{
	struct seen s = { json_object() }, back = { json_object() };
	char after[64] = "", before[64] = "", first_before[64] = "";
	struct fakesrv_resp r;
	int pages = 0;

	(void)state;
	fakesrv_get(&srv, &r, NULL, "/search?q=acme&sort=new");
	assert_int_equal(r.status, 401);
	fakesrv_resp_release(&r);
	do {
		size_t i;
		json_t *c, *data;

		fakesrv_get(&srv, &r, reddit_auth(), "/search.json?q=acme&sort=new&limit=7&raw_json=1%s%s",
		    after[0] ? "&after=" : "", after);
		assert_int_equal(r.status, 200);
		assert_string_equal(jstr(r.json, "kind"), "Listing");
		data = json_object_get(r.json, "data");
		json_array_foreach(json_object_get(data, "children"), i, c) {
			json_t *d = json_object_get(c, "data");

			assert_string_equal(jstr(c, "kind"), "t3");
			assert_true(json_is_real(json_object_get(d, "created_utc")));
			assert_non_null(strstr(jstr(d, "title"), "& <things>"));
			seen_add(&s, jstr(d, "name"));
			if (!strcmp(jstr(d, "name"), "t3_rp003"))
				assert_string_equal(jstr(d, "author"), "[deleted]");
			if (!strcmp(jstr(d, "name"), "t3_rp004"))
				assert_true(json_is_real(json_object_get(d, "edited")));
			else
				assert_true(json_is_false(json_object_get(d, "edited")));
			snprintf(before, sizeof(before), "%s", jstr(d, "name"));
		}
		assert_int_equal(json_integer_value(json_object_get(data, "dist")),
				 json_array_size(json_object_get(data, "children")));
		after[0] = '\0';
		if (jstr(data, "after"))
			snprintf(after, sizeof(after), "%s", jstr(data, "after"));
		if (!pages)
			assert_true(json_is_null(json_object_get(data, "before")));
		fakesrv_resp_release(&r);
	} while (after[0] && pages++ < 20);
	seen_check(&s, NREDDIT);

	/* and back up with before=, from the oldest */
	snprintf(first_before, sizeof(first_before), "%s", before);
	seen_add(&back, first_before);
	for (pages = 0; before[0] && pages < 20; pages++) {
		json_t *data, *kids;
		size_t n;

		fakesrv_get(&srv, &r, reddit_auth(), "/search?q=acme&sort=new&limit=6&before=%s", before);
		data = json_object_get(r.json, "data");
		kids = json_object_get(data, "children");
		n = json_array_size(kids);
		for (size_t i = 0; i < n; i++)
			seen_add(&back, jstr(json_object_get(json_array_get(kids, i), "data"),
					     "name"));
		before[0] = '\0';
		if (n)
			snprintf(before, sizeof(before), "%s",
				 jstr(json_object_get(json_array_get(kids, 0), "data"), "name"));
		fakesrv_resp_release(&r);
	}
	seen_check(&back, NREDDIT);
}

static void reddit_escaping_comments_mentions_expiry(void **state)
{
	struct fakesrv_resp r;
	json_t *d;
	char hdr[200];

	(void)state;
	fakesrv_get(&srv, &r, reddit_auth(), "/search?q=acme&sort=new&limit=1");
	d = json_object_get(json_array_get(json_object_get(json_object_get(r.json, "data"),
							   "children"), 0), "data");
	assert_non_null(strstr(jstr(d, "title"), "&amp; &lt;things&gt;"));
	assert_non_null(strstr(jstr(d, "selftext_html"), "&lt;div class=\"md\"&gt;"));
	fakesrv_resp_release(&r);

	fakesrv_get(&srv, &r, reddit_auth(), "/r/acmesupport/comments?limit=100&raw_json=1");
	assert_int_equal(json_array_size(json_object_get(json_object_get(r.json, "data"),
							 "children")), NREDDIT_COMMENTS);
	d = json_object_get(json_array_get(json_object_get(json_object_get(r.json, "data"),
							   "children"), 0), "data");
	assert_string_equal(jstr(d, "link_id"), "t3_rp000");
	assert_string_equal(jstr(d, "parent_id"), "t3_rp000");
	assert_int_equal(strncmp(jstr(d, "name"), "t1_", 3), 0);
	fakesrv_resp_release(&r);

	fakesrv_get(&srv, &r, reddit_auth(), "/message/mentions?limit=100");
	assert_int_equal(json_array_size(json_object_get(json_object_get(r.json, "data"),
							 "children")), NREDDIT_COMMENTS / 3);
	d = json_object_get(json_array_get(json_object_get(json_object_get(r.json, "data"),
							   "children"), 0), "data");
	assert_string_equal(jstr(d, "type"), "username_mention");
	fakesrv_resp_release(&r);

	control("/_fake/expire", "{\"platform\":\"reddit\"}");
	fakesrv_get(&srv, &r, reddit_auth(), "/message/mentions");
	assert_int_equal(r.status, 401);
	assert_non_null(strstr(fakesrv_header(&r, "www-authenticate", hdr, sizeof(hdr)),
			       "invalid_token"));
	fakesrv_resp_release(&r);
	reddit_token[0] = '\0';
	fakesrv_get(&srv, &r, reddit_auth(), "/message/mentions");
	assert_int_equal(r.status, 200);
	fakesrv_resp_release(&r);
}

/* ---- X ---- */

static void x_search_paging_and_edits(void **state)
{
	struct seen s = { json_object() };
	char token[256] = "", newest[32] = "";
	struct fakesrv_resp r;
	int pages = 0;
	bool edit_seen = false;

	(void)state;
	do {
		size_t i;
		json_t *t, *meta;

		fakesrv_get(&srv, &r, "Bearer app", "/2/tweets/search/recent?query=acme&max_results=10"
		    "&tweet.fields=created_at,author_id&expansions=author_id"
		    "&user.fields=public_metrics%s%s", token[0] ? "&next_token=" : "", token);
		assert_int_equal(r.status, 200);
		meta = json_object_get(r.json, "meta");
		if (!pages)
			snprintf(newest, sizeof(newest), "%s", jstr(meta, "newest_id"));
		json_array_foreach(json_object_get(r.json, "data"), i, t) {
			json_t *hist = json_object_get(t, "edit_history_tweet_ids");

			seen_add(&s, jstr(t, "id"));
			assert_non_null(jstr(t, "author_id"));
			if (json_array_size(hist) == 2)
				edit_seen = true;
		}
		assert_true(json_array_size(json_object_get(json_object_get(r.json, "includes"),
							    "users")) > 0);
		assert_non_null(json_object_get(json_array_get(json_object_get(
			json_object_get(r.json, "includes"), "users"), 0), "public_metrics"));
		token[0] = '\0';
		if (jstr(meta, "next_token"))
			snprintf(token, sizeof(token), "%s", jstr(meta, "next_token"));
		fakesrv_resp_release(&r);
	} while (token[0] && pages++ < 20);
	seen_check(&s, NX + 1);
	assert_true(edit_seen);

	/* the edit lists the original first */
	{
		char *orig = native_of("x", "x001"), *edit = native_of("x", "x-edit");
		json_t *hist;

		fakesrv_get(&srv, &r, "Bearer app", "/2/tweets/%s", edit);
		hist = json_object_get(json_object_get(r.json, "data"), "edit_history_tweet_ids");
		assert_int_equal(json_array_size(hist), 2);
		assert_string_equal(json_string_value(json_array_get(hist, 0)), orig);
		assert_string_equal(json_string_value(json_array_get(hist, 1)), edit);
		fakesrv_resp_release(&r);
		free(orig);
		free(edit);
	}
	/* an empty page has no data, and result_count 0 */
	fakesrv_get(&srv, &r, "Bearer app", "/2/tweets/search/recent?query=acme&since_id=%s", newest);
	assert_int_equal(r.status, 200);
	assert_null(json_object_get(r.json, "data"));
	assert_int_equal(json_integer_value(json_object_get(json_object_get(r.json, "meta"),
							    "result_count")), 0);
	fakesrv_resp_release(&r);
	fakesrv_get(&srv, &r, "Bearer app", "/2/tweets/search/recent?query=acme&max_results=5");
	assert_int_equal(r.status, 400);
	fakesrv_resp_release(&r);
	fakesrv_get(&srv, &r, NULL, "/2/tweets/search/recent?query=acme");
	assert_int_equal(r.status, 401);
	fakesrv_resp_release(&r);
}

static void x_mentions_and_users(void **state)
{
	struct seen s = { json_object() };
	char token[256] = "", id[32];
	struct fakesrv_resp r;
	int pages = 0;

	(void)state;
	fakesrv_get(&srv, &r, "Bearer app", "/2/users/by/username/acme?user.fields=public_metrics");
	assert_int_equal(r.status, 200);
	snprintf(id, sizeof(id), "%s", jstr(json_object_get(r.json, "data"), "id"));
	fakesrv_resp_release(&r);
	fakesrv_get(&srv, &r, "Bearer app", "/2/users/by/username/nobody_here");
	assert_non_null(json_object_get(r.json, "errors"));
	fakesrv_resp_release(&r);
	do {
		size_t i;
		json_t *t;

		fakesrv_get(&srv, &r, "Bearer user", "/2/users/%s/mentions?max_results=5%s%s", id,
		    token[0] ? "&pagination_token=" : "", token);
		assert_int_equal(r.status, 200);
		json_array_foreach(json_object_get(r.json, "data"), i, t)
			seen_add(&s, jstr(t, "id"));
		token[0] = '\0';
		if (jstr(json_object_get(r.json, "meta"), "next_token"))
			snprintf(token, sizeof(token), "%s",
				 jstr(json_object_get(r.json, "meta"), "next_token"));
		fakesrv_resp_release(&r);
	} while (token[0] && pages++ < 20);
	seen_check(&s, (NX + 2) / 3);
}

/* ---- Hacker News ---- */

static void hn_paging_filters_and_cap(void **state)
{
	struct seen s = { json_object() };
	struct fakesrv_resp r;
	long nb_pages = 1;
	json_t *h;
	size_t i;
	bool null_author = false;

	(void)state;
	for (long page = 0; page < nb_pages; page++) {
		fakesrv_get(&srv, &r, NULL, "/api/v1/search_by_date?query=acme&tags=(story,comment)"
		    "&hitsPerPage=7&page=%ld", page);
		assert_int_equal(r.status, 200);
		nb_pages = (long)json_integer_value(json_object_get(r.json, "nbPages"));
		json_array_foreach(json_object_get(r.json, "hits"), i, h) {
			seen_add(&s, jstr(h, "objectID"));
			assert_true(json_is_integer(json_object_get(h, "created_at_i")));
			if (json_is_null(json_object_get(h, "author")))
				null_author = true;
			if (jstr(h, "comment_text"))
				assert_non_null(strstr(jstr(h, "comment_text"),
						       "I&#x27;d say &quot;acme&quot; &amp; &lt;i&gt;"));
		}
		fakesrv_resp_release(&r);
	}
	seen_check(&s, NHN);
	assert_true(null_author);

	fakesrv_get(&srv, &r, NULL, "/api/v1/search_by_date?tags=comment&numericFilters=created_at_i>0");
	assert_int_equal(json_integer_value(json_object_get(r.json, "nbHits")), NHN / 2);
	json_array_foreach(json_object_get(r.json, "hits"), i, h)
		assert_true(json_is_null(json_object_get(h, "title")) ||
			    !json_object_get(h, "title"));
	fakesrv_resp_release(&r);

	/* only the first 1000 hits of a query are reachable */
	{
		struct heed_buf b;
		const char *ct[] = { "Content-Type: application/x-ndjson", NULL };

		heed_buf_init(&b, 0);
		for (int k = 0; k < 1100; k++)
			assert_int_equal(heed_buf_addf(&b, "{\"platform\":\"hn\",\"at\":-50,"
						       "\"author\":{\"handle\":\"bulk\"},\"text\":"
						       "\"bulk %d\",\"kind\":\"comment\","
						       "\"channels\":[\"search:bulkword\"]}\n", k),
					 HEED_OK);
		fakesrv_post(&srv, &r, "/_fake/posts", ct, heed_buf_str(&b));
		assert_int_equal(r.status, 200);
		assert_int_equal(json_integer_value(json_object_get(r.json, "added")), 1100);
		fakesrv_resp_release(&r);
		heed_buf_release(&b);
	}
	fakesrv_get(&srv, &r, NULL, "/api/v1/search_by_date?query=bulkword&hitsPerPage=400&page=2");
	/* channel "search" posts match every query, "search:bulkword" this one */
	assert_int_equal(json_integer_value(json_object_get(r.json, "nbHits")),
			 1100 + NHN);
	assert_int_equal(json_integer_value(json_object_get(r.json, "nbPages")), 3);
	assert_int_equal(json_array_size(json_object_get(r.json, "hits")), 200);
	fakesrv_resp_release(&r);
	fakesrv_get(&srv, &r, NULL, "/api/v1/search_by_date?query=bulkword&hitsPerPage=500&page=2");
	assert_int_equal(json_array_size(json_object_get(r.json, "hits")), 0);
	assert_non_null(jstr(r.json, "message"));
	fakesrv_resp_release(&r);
}

/* Posts added at run time and the timeline clock: visibility follows "at",
 * a bad batch adds nothing, and a min_id poller sees each new post once. */
static void timeline_runtime_posts_and_clock(void **state)
{
	const char *ct[] = { "Content-Type: application/x-ndjson", NULL };
	struct fakesrv_resp r;
	char newest[32];

	(void)state;
	fakesrv_get(&srv, &r, NULL, "/api/v1/timelines/tag/acme?limit=40");
	assert_int_equal(json_array_size(r.json), NMASTODON);
	snprintf(newest, sizeof(newest), "%s", jstr(json_array_get(r.json, 0), "id"));
	fakesrv_resp_release(&r);
	control("/_fake/clock", "{\"advance\":86400}");
	fakesrv_get(&srv, &r, NULL, "/api/v1/timelines/tag/acme?limit=40");
	assert_int_equal(json_array_size(r.json), NMASTODON + 1);
	fakesrv_resp_release(&r);
	control("/_fake/clock", "{\"advance\":-86400}");

	fakesrv_post(&srv, &r, "/_fake/posts", ct,
		     "{\"platform\":\"mastodon\",\"id\":\"m-new\",\"at\":0,\"at_now\":true,"
		     "\"author\":{\"id\":\"9\",\"handle\":\"new\"},\"text\":\"fresh #acme\","
		     "\"channels\":[\"tag:acme\"]}\n"
		     "{\"platform\":\"mastodon\",\"id\":\"m-bad\"}\n");
	assert_int_equal(r.status, 400);
	assert_non_null(strstr(jstr(r.json, "error"), "line 2"));
	fakesrv_resp_release(&r);
	fakesrv_post(&srv, &r, "/_fake/posts", ct,
		     "{\"platform\":\"bluesky\",\"id\":\"3kundo2222222\",\"author\":"
		     "{\"id\":\"did:plc:undo\",\"handle\":\"undo\"},\"text\":\"x\"}\n"
		     "not json\n");
	assert_int_equal(r.status, 400);
	fakesrv_resp_release(&r);
	fakesrv_get(&srv, &r, NULL, "/xrpc/com.atproto.repo.getRecord?repo=did:plc:undo"
		    "&collection=app.bsky.feed.post&rkey=3kundo2222222");
	assert_string_equal(jstr(r.json, "error"), "RecordNotFound");
	fakesrv_resp_release(&r);
	fakesrv_get(&srv, &r, NULL, "/api/v1/timelines/tag/acme?limit=40&min_id=%s", newest);
	assert_int_equal(json_array_size(r.json), 0);
	fakesrv_resp_release(&r);
	fakesrv_post(&srv, &r, "/_fake/posts", ct,
		     "{\"platform\":\"mastodon\",\"id\":\"m-new\",\"at\":0,\"at_now\":true,"
		     "\"author\":{\"id\":\"9\",\"handle\":\"new\"},\"text\":\"fresh #acme\","
		     "\"channels\":[\"tag:acme\"]}\n"
		     "{\"platform\":\"mastodon\",\"id\":\"m-later\",\"at\":3600,\"at_now\":true,"
		     "\"author\":{\"id\":\"9\",\"handle\":\"new\"},\"text\":\"later #acme\","
		     "\"channels\":[\"tag:acme\"]}\n");
	assert_int_equal(r.status, 200);
	fakesrv_resp_release(&r);
	fakesrv_get(&srv, &r, NULL, "/api/v1/timelines/tag/acme?limit=40&min_id=%s", newest);
	assert_int_equal(json_array_size(r.json), 1);
	assert_string_equal(jstr(json_object_get(json_array_get(r.json, 0), "account"),
				 "acct"), "new");
	fakesrv_resp_release(&r);
}

/* ---- shapes against the recorded fixtures ---- */

static json_t *merge(json_t *a, json_t *b)
{
	const char *k;
	json_t *v;

	if (!a)
		return b;
	if (!b)
		return a;
	if (json_is_object(a) && json_is_object(b)) {
		json_object_foreach(b, k, v)
			json_object_set_new(a, k, merge(json_incref(json_object_get(a, k)),
							json_incref(v)));
		json_decref(b);
		return a;
	}
	if (json_is_array(a) && json_is_array(b)) {
		json_t *m = merge(json_incref(json_array_get(a, 0)),
				  json_incref(json_array_get(b, 0)));

		json_decref(a);
		json_decref(b);
		return m ? json_pack("[o]", m) : json_array();
	}
	/* prefer the one with structure (a null in one fixture item) */
	if (json_is_object(b) || json_is_array(b)) {
		json_decref(a);
		return b;
	}
	json_decref(b);
	return a;
}

/* Every key any object at that place in the fixture has, folded. */
static json_t *universe(json_t *v)
{
	json_t *out = NULL, *x;
	const char *k;
	size_t i;

	if (json_is_object(v)) {
		out = json_object();
		json_object_foreach(v, k, x)
			json_object_set_new(out, k, universe(x));
		return out;
	}
	if (json_is_array(v)) {
		json_array_foreach(v, i, x)
			out = merge(out, universe(x));
		return out ? json_pack("[o]", out) : json_array();
	}
	return json_incref(v);
}

/* Fail unless every field the fake sent appears in the fixture. */
static void check_fields(json_t *fake, json_t *uni, const char *where)
{
	char path[512];
	const char *k;
	json_t *v;
	size_t i;

	if (json_is_object(fake) && json_is_object(uni)) {
		json_object_foreach(fake, k, v) {
			snprintf(path, sizeof(path), "%s.%s", where, k);
			if (!json_object_get(uni, k))
				fail_msg("fake sends %s, the fixture has no such field", path);
			check_fields(v, json_object_get(uni, k), path);
		}
	} else if (json_is_array(fake) && json_is_array(uni) && json_array_size(uni)) {
		json_array_foreach(fake, i, v)
			check_fields(v, json_array_get(uni, 0), where);
	}
}

static void shapes_match_fixtures(void **state)
{
	static const struct {
		const char *fixture, *path;
		int auth;	/* 0 none, 1 bearer, 2 bluesky, 3 reddit */
	} pairs[] = {
		{ "mastodon/tag_timeline.json", "/api/v1/timelines/tag/acme", 0 },
		{ "mastodon/notifications.json", "/api/v1/notifications", 1 },
		{ "mastodon/search.json", "/api/v2/search?q=acme+thing&type=statuses", 1 },
		{ "bluesky/search_posts.json", "/xrpc/app.bsky.feed.searchPosts?q=acme"
		  "&limit=3", 2 },
		{ "bluesky/list_notifications.json",
		  "/xrpc/app.bsky.notification.listNotifications", 2 },
		{ "bluesky/get_profile.json", "/xrpc/app.bsky.actor.getProfile?actor="
		  "user1.bsky.social", 2 },
		{ "reddit/search.json", "/search?q=acme&sort=new&raw_json=1", 3 },
		{ "reddit/subreddit_comments.json", "/r/acmesupport/comments?raw_json=1", 3 },
		{ "reddit/message_mentions.json", "/message/mentions?raw_json=1", 3 },
		{ "x/search_recent.json", "/2/tweets/search/recent?query=acme&max_results=10"
		  "&tweet.fields=created_at,author_id,conversation_id,lang,public_metrics,"
		  "entities,reply_settings&expansions=author_id"
		  "&user.fields=public_metrics", 1 },
		{ "x/mentions.json", "/2/users/1600000000000000001/mentions", 1 },
		{ "hn/search_by_date.json", "/api/v1/search_by_date?query=acme", 0 },
	};
	const char *dir = getenv("HEED_FIXTURES");
	char file[512];

	(void)state;
	if (!dir)
		dir = "tests/fixtures";
	snprintf(file, sizeof(file), "%s/%s", dir, pairs[0].fixture);
	if (access(file, R_OK))
		skip();
	for (size_t i = 0; i < sizeof(pairs) / sizeof(*pairs); i++) {
		const char *auth = pairs[i].auth == 1 ? "Bearer app" :
				   pairs[i].auth == 2 ? bsky_auth() :
				   pairs[i].auth == 3 ? reddit_auth() : NULL;
		struct fakesrv_resp r;
		json_t *fx, *uni;

		snprintf(file, sizeof(file), "%s/%s", dir, pairs[i].fixture);
		fx = json_load_file(file, 0, NULL);
		assert_non_null(fx);
		uni = universe(fx);
		fakesrv_get(&srv, &r, auth, "%s", pairs[i].path);
		assert_int_equal(r.status, 200);
		check_fields(r.json, uni, pairs[i].fixture);
		fakesrv_resp_release(&r);
		json_decref(uni);
		json_decref(fx);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(startup_help_and_bad_flags),
		cmocka_unit_test(startup_loopback_only_and_clean_exit),
		cmocka_unit_test_teardown(mastodon_tag_paging, test_reset),
		cmocka_unit_test_teardown(mastodon_min_id_catch_up, test_reset),
		cmocka_unit_test_teardown(mastodon_html_notifications_search, test_reset),
		cmocka_unit_test_teardown(bluesky_search_paging_and_facets, test_reset),
		cmocka_unit_test_teardown(bluesky_notifications_profile_and_session,
					  test_reset),
		cmocka_unit_test_teardown(reddit_listing_paging, test_reset),
		cmocka_unit_test_teardown(reddit_escaping_comments_mentions_expiry,
					  test_reset),
		cmocka_unit_test_teardown(x_search_paging_and_edits, test_reset),
		cmocka_unit_test_teardown(x_mentions_and_users, test_reset),
		cmocka_unit_test_teardown(hn_paging_filters_and_cap, test_reset),
		cmocka_unit_test_teardown(shapes_match_fixtures, test_reset),
		cmocka_unit_test_teardown(timeline_runtime_posts_and_clock, test_reset),
	};

	/* a missing prerequisite is a skip, not a failure */
	if (access(fakesrv_binary(), X_OK)) {
		printf("[  SKIPPED ] %zu test(s), fakesocial not built at %s\n",
		       sizeof(tests) / sizeof(*tests), fakesrv_binary());
		return 0;
	}
	return cmocka_run_group_tests_name("fakesocial", tests, group_setup,
					   group_teardown);
}
