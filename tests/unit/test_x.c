/* test_x.c: the X API v2 adapter on recorded pages (recent search, the
 * mentions timeline, empty pages, edits, problem JSON), its requests, and
 * its since_id + next_token sweep, interrupted and resumed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "heed/clock.h"
#include "heed/source.h"
#include "heed/xalloc.h"
#include "../../collectors/collect_int.h"
#include "fixture.h"

extern const struct heed_source_ops heed_ops_x;

#define NOW 1715679000000LL	/* 2024-05-14T09:30:00Z */
#define TWITTER_EPOCH 1288834974657LL

static struct heed_source *mk_src(const char *kind, const char *const *q,
				  const char *account, unsigned page_size)
{
	return ht_source(&heed_ops_x, kind, "https://api.x.example", q, account,
			 page_size);
}

static const char fields[] = "&tweet.fields=created_at%2Cauthor_id%2Cconversation_id"
	"%2Cin_reply_to_user_id%2Creferenced_tweets%2Clang%2Centities%2Cedit_history_tweet_ids"
	"&expansions=author_id&user.fields=public_metrics";

static void builds_requests(void **state)
{
	const char *one[] = { "acme -is:retweet", NULL };
	const char *two[] = { "acme", "\"acme coffee\"", NULL };
	struct heed_source *s1 = mk_src("search", one, NULL, 0);
	struct heed_source *s2 = mk_src("search", two, NULL, 5);
	struct heed_source *men = mk_src("mentions", NULL, "1600000000000000001", 0);
	char *url, *auth, *want;
	(void)state;

	url = ht_build_url(s1, "{\"since_id\":\"1790341002139871532\"}", "tok", NOW, &auth);
	want = xasprintf("https://api.x.example/2/tweets/search/recent?query=acme%%20-is%%3Aretweet"
			 "&max_results=100%s&since_id=1790341002139871532", fields);
	assert_string_equal(url, want);
	assert_string_equal(auth, "Authorization: Bearer tok");
	free(url);
	free(want);
	free(auth);
	/* OR-ed queries, max_results clamped to 10..100, during a sweep */
	url = ht_build_url(s2, "{\"since_id\":\"1790341002139871532\",\"next_token\":\"abc\","
			   "\"newest\":\"1790342181716615213\"}", NULL, NOW, &auth);
	want = xasprintf("https://api.x.example/2/tweets/search/recent?query=%%28acme%%29%%20OR"
			 "%%20%%28%%22acme%%20coffee%%22%%29&max_results=10%s"
			 "&since_id=1790341002139871532&next_token=abc", fields);
	assert_string_equal(url, want);
	assert_null(auth);
	free(url);
	free(want);
	/* a first poll: start_time an hour back, in whole seconds */
	url = ht_build_url(s1, "{}", "tok", NOW + 999, NULL);
	want = xasprintf("https://api.x.example/2/tweets/search/recent?query=acme%%20-is%%3Aretweet"
			 "&max_results=100%s&start_time=2024-05-14T08%%3A30%%3A00Z", fields);
	assert_string_equal(url, want);
	free(url);
	free(want);
	/* heed poll --since */
	url = ht_build_url(s1, "{\"since_ms\":1715671800000}", "tok", NOW, NULL);
	assert_non_null(strstr(url, "&start_time=2024-05-14T07%3A30%3A00Z"));
	free(url);
	/* mentions: the user id in the path, pagination_token */
	url = ht_build_url(men, "{\"since_id\":\"5\",\"next_token\":\"7140dib\"}", "tok", NOW, NULL);
	want = xasprintf("https://api.x.example/2/users/1600000000000000001/mentions"
			 "?max_results=100%s&since_id=5&pagination_token=7140dib", fields);
	assert_string_equal(url, want);
	free(url);
	free(want);
	heed_source_free(s1);
	heed_source_free(s2);
	heed_source_free(men);
}

static void since_id_older_than_a_week(void **state)
{
	const char *q[] = { "acme", NULL };
	struct heed_source *src = mk_src("search", q, NULL, 0);
	char id[64], *url;
	(void)state;

	/* an id from 8 days ago: search would answer 400, so start_time */
	snprintf(id, sizeof(id), "{\"since_id\":\"%lld\"}",
		 (long long)((NOW - 8 * 86400000LL - TWITTER_EPOCH) << 22));
	url = ht_build_url(src, id, "tok", NOW, NULL);
	assert_null(strstr(url, "since_id="));
	assert_non_null(strstr(url, "&start_time=2024-05-07T10%3A30%3A00Z"));
	free(url);
	/* a small id (not a snowflake) is left alone */
	url = ht_build_url(src, "{\"since_id\":\"5\"}", "tok", NOW, NULL);
	assert_non_null(strstr(url, "&since_id=5"));
	free(url);
	assert_int_equal(heed_x_snowflake_ms("1790342181716615213"),
			 (1790342181716615213LL >> 22) + TWITTER_EPOCH);
	assert_int_equal(heed_x_snowflake_ms("x1"), -1);
	assert_int_equal(heed_x_snowflake_ms("99999999999999999999"), -1);
	heed_source_free(src);
}

static void build_refuses_bad_config(void **state)
{
	struct heed_source *men = mk_src("mentions", NULL, "acme_support", 0);
	struct heed_source *sea = mk_src("search", NULL, NULL, 0);
	struct heed_req req = { 0 };
	struct heed_err err;
	(void)state;

	heed_err_clear(&err);
	assert_int_equal(men->ops->build(men, "{}", "t", NOW, &req, &err), HEED_ECONFIG);
	assert_non_null(strstr(err.msg, "numeric"));
	assert_int_equal(sea->ops->build(sea, "{}", "t", NOW, &req, &err), HEED_ECONFIG);
	heed_source_free(men);
	heed_source_free(sea);
}

static void parses_search_page(void **state)
{
	const char *q[] = { "acme", NULL };
	struct heed_source *src = mk_src("search", q, "acme_support", 0);
	const struct heed_mention *m;
	struct heed_page page;
	(void)state;

	assert_int_equal(ht_parse_fixture(src, "{\"since_id\":\"1790000000000000000\"}",
					  "x/search_recent.json", "x/search_recent.headers",
					  NOW, &page), HEED_OK);
	assert_int_equal(page.n, 2);
	assert_int_equal(page.nbad, 0);
	m = &page.items[0];
	assert_string_equal(m->platform, "x");
	/* edited: deduplicated by its first id, the newest text kept */
	assert_string_equal(m->external_id, "1790341891634372618");
	assert_non_null(strstr(m->text, "(edited: it's on Android)"));
	assert_string_equal(m->url, "https://x.com/erin_codes/status/1790342181716615213");
	assert_string_equal(m->author_id, "1466796521412771840");
	assert_string_equal(m->author_handle, "erin_codes");
	assert_string_equal(m->author_name, "Erin");
	assert_int_equal(m->author_followers, 1204);
	assert_int_equal(m->posted_at_ms, 1715678444000LL);
	assert_string_equal(m->thread_key, "1790341891634372618");
	assert_null(m->in_reply_to);
	assert_string_equal(m->lang, "en");
	assert_true(m->mentions_account);
	assert_false(m->is_share);
	assert_non_null(strstr(m->raw, "\"edit_history_tweet_ids\""));
	m = &page.items[1];
	assert_string_equal(m->external_id, "1790341002139871532");
	assert_string_equal(m->author_handle, "fayq");
	assert_int_equal(m->author_followers, 87);
	assert_false(m->mentions_account);
	assert_true(page.more);
	assert_string_equal(page.cursor, "{\"newest\":\"1790342181716615213\",\"next_token\":"
			    "\"b26v89c19zqg8o3fpe17zd5ql4k9ek6cdr3uaqi6gpamt\",\"since_id\":"
			    "\"1790000000000000000\"}");
	heed_page_release(&page);
	heed_source_free(src);
}

static void parses_mentions_and_empty_page(void **state)
{
	struct heed_source *src = mk_src("mentions", NULL, "1600000000000000001", 0);
	struct heed_page page;
	(void)state;

	assert_int_equal(ht_parse_fixture(src, "{\"since_id\":\"1790000000000000000\"}",
					  "x/mentions.json", NULL, NOW, &page), HEED_OK);
	assert_int_equal(page.n, 1);
	assert_true(page.items[0].mentions_account);
	assert_string_equal(page.items[0].external_id, "1790341891634372618");
	assert_true(page.more);
	heed_page_release(&page);
	/* the last page of the sweep: no data at all, no next_token */
	assert_int_equal(ht_parse_fixture(src, "{\"newest\":\"1790342181716615213\","
					  "\"next_token\":\"7140\",\"since_id\":\"1790000000000000000\"}",
					  "x/search_recent_empty.json", NULL, NOW, &page), HEED_OK);
	assert_int_equal(page.n, 0);
	assert_false(page.more);
	assert_string_equal(page.cursor, "{\"since_id\":\"1790342181716615213\"}");
	heed_page_release(&page);
	/* nothing new at all: the mark stays */
	assert_int_equal(ht_parse_fixture(src, "{\"since_id\":\"42\"}",
					  "x/search_recent_empty.json", NULL, NOW, &page), HEED_OK);
	assert_string_equal(page.cursor, "{\"since_id\":\"42\"}");
	heed_page_release(&page);
	/* an empty page that still has a next_token goes on (deleted posts) */
	assert_int_equal(ht_parse_body(src, "{\"since_id\":\"42\"}",
				       "{\"meta\":{\"result_count\":0,\"next_token\":\"n2\"}}",
				       NULL, NOW, &page), HEED_OK);
	assert_true(page.more);
	assert_string_equal(page.cursor, "{\"next_token\":\"n2\",\"since_id\":\"42\"}");
	heed_page_release(&page);
	heed_source_free(src);
}

static void edits_retweets_and_partial_errors(void **state)
{
	const char *q[] = { "acme", NULL };
	struct heed_source *src = mk_src("search", q, "@acme_support", 0);
	const struct heed_mention *m;
	struct heed_page page;
	(void)state;

	src->own_accounts = xreallocarray(src->own_accounts, 2, sizeof(char *));
	src->own_accounts[0] = xstrdup("1600000000000000001");
	src->own_accounts[1] = NULL;
	assert_int_equal(ht_parse_fixture(src, "{\"since_id\":\"1\"}", "x/unit_search_quirks.json",
					  NULL, NOW, &page), HEED_OK);
	assert_int_equal(page.n, 4);
	assert_int_equal(page.nbad, 1);
	assert_string_equal(page.bad[0].id, "1790342222000000000");
	assert_non_null(strstr(page.bad[0].reason, "created_at"));
	m = &page.items[0];
	assert_true(m->is_share);
	assert_string_equal(m->author_handle, "fayq");
	/* two versions of one post on the page: one mention, newest text */
	m = &page.items[1];
	assert_string_equal(m->external_id, "1790342111000000000");
	assert_string_equal(m->text, "@acme_support acme lost my order, edited twice now");
	assert_string_equal(m->url, "https://x.com/erin_codes/status/1790342777000000002");
	assert_null(m->lang);		/* "und" */
	assert_true(m->mentions_account);	/* username compared without case */
	assert_string_equal(m->thread_key, "1790342111000000000");
	/* a reply whose author is missing from includes (partial error) */
	m = &page.items[2];
	assert_string_equal(m->author_id, "999");
	assert_string_equal(m->author_handle, "999");
	assert_int_equal(m->author_followers, -1);
	assert_string_equal(m->url, "https://x.com/i/web/status/1790342333000000000");
	assert_string_equal(m->in_reply_to, "1790300000000000000");
	assert_string_equal(m->thread_key, "1790300000000000000");
	assert_string_equal(m->lang, "pt");
	assert_string_equal(m->text, "replying about acme with a NUL and [31mescapes");
	assert_non_null(strstr(m->raw, "\\ufffd"));
	assert_null(strstr(m->raw, "\\u0000"));
	m = &page.items[3];
	assert_true(m->is_own);
	assert_false(page.more);
	assert_string_equal(page.cursor, "{\"since_id\":\"1790342999000000003\"}");
	heed_page_release(&page);
	heed_source_free(src);
}

static void problem_json_and_bad_pages(void **state)
{
	const char *q[] = { "acme", NULL };
	struct heed_source *src = mk_src("search", q, NULL, 0);
	struct heed_http_resp resp;
	struct heed_page page;
	struct heed_err err;
	(void)state;

	heed_err_clear(&err);
	ht_resp_fixture(&resp, "x/since_id_too_old.json", NULL);
	heed_page_init(&page);
	assert_int_equal(src->ops->parse(src, "{}", &resp, NOW, &page, &err), HEED_EPARSE);
	assert_non_null(strstr(err.msg, "Invalid Request: One or more parameters"));
	assert_null(page.cursor);
	heed_http_resp_release(&resp);
	heed_err_clear(&err);
	ht_resp_fixture(&resp, "x/reply_forbidden.json", NULL);
	assert_int_equal(src->ops->parse(src, "{}", &resp, NOW, &page, &err), HEED_EPARSE);
	assert_non_null(strstr(err.msg, "Forbidden: Reply to this conversation"));
	heed_http_resp_release(&resp);
	heed_err_clear(&err);
	ht_resp_fixture(&resp, "x/error_429.json", "x/error_429.headers");
	assert_int_equal(src->ops->parse(src, "{}", &resp, NOW, &page, &err), HEED_EPARSE);
	assert_non_null(strstr(err.msg, "Rate limit exceeded"));
	heed_http_resp_release(&resp);
	assert_int_equal(ht_parse_body(src, "{}", "[]", NULL, NOW, &page), HEED_EPARSE);
	assert_int_equal(ht_parse_body(src, "{}", "{\"data\":{},\"meta\":{}}", NULL, NOW, &page),
			 HEED_EPARSE);
	assert_int_equal(ht_parse_body(src, "{}", "{\"data\":[", NULL, NOW, &page), HEED_EPARSE);
	assert_int_equal(ht_parse_body(src, "not json", "{}", NULL, NOW, &page), HEED_EINVAL);
	assert_int_equal(page.n, 0);
	heed_source_free(src);
}

/* ---- a recent-search server, for sweeps ---- */

struct sim {
	long long id[64];
	int64_t ms[64];
	size_t n;
	unsigned seq;
};

static void sim_add(struct sim *s, int64_t ms)
{
	s->ms[s->n] = ms;
	s->id[s->n++] = (long long)((ms - TWITTER_EPOCH) << 22 | (s->seq++ & 0x3fffff));
}

/* Newest first within since_id / start_time and the next_token bound
 * ("t<id>": below that id). */
static char *sim_serve(struct sim *s, const char *url)
{
	char *since = ht_url_param(url, "since_id", 0), *start = ht_url_param(url, "start_time", 0);
	char *tok = ht_url_param(url, "next_token", 0), *max = ht_url_param(url, "max_results", 0);
	long long lo = since ? strtoll(since, NULL, 10) : 0;
	long long hi = tok ? strtoll(tok + 1, NULL, 10) : -1;
	int64_t from = 0;
	size_t limit = (size_t)strtol(max, NULL, 10), got = 0;
	json_t *data = json_array(), *o;
	long long oldest = 0;
	bool more = false;
	char *body;

	if (start)
		assert_int_equal(heed_time_parse_iso8601(start, &from), HEED_OK);
	for (size_t i = s->n; i-- > 0;) {
		char id[24], when[HEED_TIME_ISO8601_SIZE];

		if (s->id[i] <= lo || s->ms[i] < from || (hi >= 0 && s->id[i] >= hi))
			continue;
		if (got == limit) {
			more = true;
			break;
		}
		snprintf(id, sizeof(id), "%lld", s->id[i]);
		heed_time_format_iso8601(s->ms[i], when, sizeof(when));
		json_array_append_new(data, json_pack("{s:s, s:s, s:[s], s:s, s:s}", "id", id,
						      "text", "acme", "edit_history_tweet_ids", id,
						      "created_at", when, "author_id", "7"));
		oldest = s->id[i];
		got++;
	}
	o = json_pack("{s:o, s:{s:i}}", "data", data, "meta", "result_count", (int)got);
	if (more) {
		char t[32];

		snprintf(t, sizeof(t), "t%lld", oldest);
		json_object_set_new(json_object_get(o, "meta"), "next_token", json_string(t));
	}
	body = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	free(since);
	free(start);
	free(tok);
	free(max);
	return body;
}

static char *sim_page(struct sim *s, const struct heed_source *src, const char *cursor,
		      int64_t now, json_t *seen, bool *more)
{
	char *url = ht_build_url(src, cursor, "tok", now, NULL), *body = sim_serve(s, url), *next;
	struct heed_page page;

	assert_int_equal(ht_parse_body(src, cursor, body, NULL, now, &page), HEED_OK);
	for (size_t i = 0; i < page.n; i++)
		if (seen && !heed_collect_ids_has(seen, page.items[i].external_id))
			json_array_append_new(seen, json_string(page.items[i].external_id));
	*more = page.more;
	next = page.cursor;
	page.cursor = NULL;
	heed_page_release(&page);
	free(url);
	free(body);
	return next;
}

static void sweep_interrupted_and_resumed(void **state)
{
	const char *q[] = { "acme", NULL };
	struct heed_source *src = mk_src("search", q, NULL, 10);
	struct sim s = { .n = 0 };
	json_t *seen = json_array();
	char *c = xstrdup("{}"), *old, *lost;
	bool more;
	(void)state;

	sim_add(&s, NOW - 2 * 3600000);	/* before the backfill */
	for (int i = 0; i < 25; i++)
		sim_add(&s, NOW - 3000000 + i * 60000);
	/* first page of the first sweep: start_time, then a next_token */
	old = c;
	c = sim_page(&s, src, old, NOW, seen, &more);
	free(old);
	assert_true(more);
	assert_non_null(strstr(c, "\"since_ms\":1715675400000"));
	assert_non_null(strstr(c, "\"next_token\""));
	/* posts arrive; the next page is read but never committed */
	sim_add(&s, NOW + 1000);
	sim_add(&s, NOW + 2000);
	lost = sim_page(&s, src, c, NOW + 3000, NULL, &more);
	free(lost);
	/* resume from the committed cursor */
	do {
		old = c;
		c = sim_page(&s, src, old, NOW + 4000, seen, &more);
		free(old);
	} while (more);
	assert_int_equal(json_array_size(seen), 25);
	{	/* the mark is the newest of the first page, not "now" */
		char want[64];

		snprintf(want, sizeof(want), "{\"since_id\":\"%lld\"}", s.id[25]);
		assert_string_equal(c, want);
	}
	/* the next sweep catches what arrived during the last one */
	do {
		old = c;
		c = sim_page(&s, src, old, NOW + 60000, seen, &more);
		free(old);
	} while (more);
	assert_int_equal(json_array_size(seen), 27);
	free(c);
	json_decref(seen);
	heed_source_free(src);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(builds_requests),
		cmocka_unit_test(since_id_older_than_a_week),
		cmocka_unit_test(build_refuses_bad_config),
		cmocka_unit_test(parses_search_page),
		cmocka_unit_test(parses_mentions_and_empty_page),
		cmocka_unit_test(edits_retweets_and_partial_errors),
		cmocka_unit_test(problem_json_and_bad_pages),
		cmocka_unit_test(sweep_interrupted_and_resumed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
