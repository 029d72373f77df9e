/* test_mastodon.c: the Mastodon adapter on recorded pages (tag timeline,
 * notifications, v2 search), its requests, and its cursor across paging,
 * backfill sweeps and an interrupted sweep. */
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

extern const struct heed_source_ops heed_ops_mastodon;

#define NOW 1715679000000LL	/* 2024-05-14T09:30:00Z */

static struct heed_source *mk_src(const char *kind, const char *query,
				  unsigned page_size)
{
	const char *q[] = { query, NULL };
	struct heed_source *s = ht_source(&heed_ops_mastodon, kind,
					  "https://mastodon.example", q, "acme",
					  page_size);

	s->own_accounts = xreallocarray(s->own_accounts, 2, sizeof(char *));
	s->own_accounts[0] = xstrdup("@erin");
	s->own_accounts[1] = NULL;
	return s;
}

static char *build_url(const struct heed_source *src, const char *cursor,
		       const char *bearer, char **auth)
{
	return ht_build_url(src, cursor, bearer, NOW, auth);
}

static int parse_fixture(const struct heed_source *src, const char *cursor,
			 const char *json, const char *headers,
			 struct heed_page *page)
{
	return ht_parse_fixture(src, cursor, json, headers, NOW, page);
}

static int parse_text(const struct heed_source *src, const char *cursor,
		      const char *body, const char *const *headers,
		      struct heed_page *page)
{
	return ht_parse_body(src, cursor, body, headers, NOW, page);
}

static void builds_requests(void **state)
{
	struct heed_source *tag = mk_src("tag", "#acme", 0);
	struct heed_source *men = mk_src("mentions", NULL, 500);
	struct heed_source *sea = mk_src("search", "acme coffee", 10);
	char *url, *auth;
	(void)state;

	url = build_url(tag, "{\"min_id\":\"112446281739564322\"}", "tok", &auth);
	assert_string_equal(url, "https://mastodon.example/api/v1/timelines/tag/acme"
			    "?limit=40&min_id=112446281739564322");
	assert_string_equal(auth, "Authorization: Bearer tok");
	free(url);
	free(auth);
	url = build_url(tag, "{}", NULL, &auth);
	assert_string_equal(url, "https://mastodon.example/api/v1/timelines/tag/acme?limit=40");
	assert_null(auth);
	free(url);
	url = build_url(tag, "{\"since_ms\":1,\"max_id\":\"5\",\"newest\":\"9\"}", NULL, NULL);
	assert_string_equal(url, "https://mastodon.example/api/v1/timelines/tag/acme"
			    "?limit=40&max_id=5");
	free(url);
	url = build_url(men, "{\"min_id\":\"34975861\"}", "tok", NULL);
	assert_string_equal(url, "https://mastodon.example/api/v1/notifications"
			    "?types%5B%5D=mention&limit=80&min_id=34975861");
	free(url);
	url = build_url(sea, "{\"min_id\":\"7\",\"max_id\":\"9\"}", "tok", NULL);
	assert_string_equal(url, "https://mastodon.example/api/v2/search?type=statuses"
			    "&q=acme%20coffee&limit=10&min_id=7&max_id=9");
	free(url);
	heed_source_free(tag);
	heed_source_free(men);
	heed_source_free(sea);
}

static void build_refuses_bad_config_and_cursor(void **state)
{
	struct heed_source *tag = mk_src("tag", NULL, 0);
	struct heed_req req = { 0 };
	struct heed_err err;
	(void)state;

	heed_err_clear(&err);
	assert_int_equal(tag->ops->build(tag, "{}", NULL, NOW, &req, &err), HEED_ECONFIG);
	heed_source_free(tag);
	tag = mk_src("tag", "acme", 0);
	assert_int_equal(tag->ops->build(tag, "[1]", NULL, NOW, &req, &err), HEED_EINVAL);
	assert_int_equal(tag->ops->build(tag, "{bad", NULL, NOW, &req, &err), HEED_EINVAL);
	heed_source_free(tag);
}

static void parses_tag_timeline(void **state)
{
	struct heed_source *src = mk_src("tag", "acme", 2);
	const struct heed_mention *m;
	struct heed_page page;
	(void)state;

	assert_int_equal(parse_fixture(src, "{\"min_id\":\"112446000000000000\"}",
				       "mastodon/tag_timeline.json",
				       "mastodon/tag_timeline.headers", &page), HEED_OK);
	assert_int_equal(page.n, 2);
	assert_int_equal(page.nbad, 0);
	m = &page.items[0];
	assert_string_equal(m->platform, "mastodon");
	assert_string_equal(m->external_id, "112446281739564322");
	assert_string_equal(m->url, "https://mastodon.social/@alice/112446281739564322");
	assert_string_equal(m->author_id, "109371843620543215");
	assert_string_equal(m->author_handle, "alice");
	assert_string_equal(m->author_name, "Alice \xe2\x98\x95");
	assert_int_equal(m->author_followers, 1204);
	assert_string_equal(m->text, "@acme the app won't sync since the \"update\" & support "
			    "hasn't answered #acme\n\ndetails: https://status.example.com/"
			    "incidents/2024-05-14/sync-failures\nstill broken :blobcatangry:");
	assert_int_equal(m->posted_at_ms, 1715678467118LL);
	assert_null(m->in_reply_to);
	assert_string_equal(m->thread_key, "112446281739564322");
	assert_string_equal(m->lang, "en");
	assert_true(m->mentions_account);
	assert_false(m->is_own);
	assert_false(m->is_share);
	assert_non_null(strstr(m->raw, "\"id\":\"112446281739564322\""));
	m = &page.items[1];
	assert_string_equal(m->author_handle, "bob@fosstodon.org");
	assert_string_equal(m->in_reply_to, "112446255500031234");
	assert_string_equal(m->thread_key, "112446255500031234");
	assert_null(m->lang);
	assert_false(m->mentions_account);
	assert_string_equal(m->text, "same here, #Acme sync is down > 2h");
	/* a full page: more, and the Link header's prev min_id is the mark */
	assert_true(page.more);
	assert_string_equal(page.cursor, "{\"min_id\":\"112446281739564322\"}");
	heed_page_release(&page);
	heed_source_free(src);
}

static void ids_by_length_reblogs_and_bad_items(void **state)
{
	struct heed_source *src = mk_src("tag", "acme", 40);
	const struct heed_mention *m;
	struct heed_page page;
	(void)state;

	assert_int_equal(parse_fixture(src, "{\"min_id\":\"9999999999999000\"}",
				       "mastodon/unit_tag_quirks.json", NULL, &page), HEED_OK);
	assert_int_equal(page.n, 2);
	/* the boost is unwrapped: the boosted status is the mention */
	m = &page.items[0];
	assert_string_equal(m->external_id, "9000000000000555");
	assert_string_equal(m->author_handle, "gus@chaos.social");
	assert_null(m->author_name);	/* empty display_name */
	assert_string_equal(m->text, "Acme Kundendienst antwortet nicht \xf0\x9f\x98\xa0");
	assert_string_equal(m->lang, "de");
	assert_false(m->is_share);
	assert_false(m->is_own);	/* the booster (erin) is own, the author not */
	/* a content warning is part of the text */
	m = &page.items[1];
	assert_string_equal(m->text, "rant about Acme\n\n@acme refund please");
	assert_string_equal(m->thread_key, "9999999999999990");
	assert_true(m->mentions_account);
	assert_int_equal(page.nbad, 3);
	assert_string_equal(page.bad[0].id, "9999999999999999");
	assert_non_null(strstr(page.bad[0].reason, "account"));
	assert_null(page.bad[1].id);
	assert_string_equal(page.bad[2].id, "9999999999999998");
	assert_non_null(strstr(page.bad[2].reason, "created_at"));
	/* "10000000000000001" > "9999999999999999": by length, not bytes */
	assert_string_equal(page.cursor, "{\"min_id\":\"10000000000000001\"}");
	assert_false(page.more);
	heed_page_release(&page);
	assert_int_equal(heed_collect_id_cmp("9999999999999999", "10000000000000000"), -1);
	assert_int_equal(heed_collect_id_cmp("10", "10"), 0);
	assert_int_equal(heed_collect_id_cmp("11", "10"), 1);
	heed_source_free(src);
}

static void parses_notifications_and_search(void **state)
{
	struct heed_source *men = mk_src("mentions", NULL, 0);
	struct heed_source *sea = mk_src("search", "acme", 0);
	struct heed_page page;
	(void)state;

	assert_int_equal(parse_fixture(men, "{\"min_id\":\"34975000\"}",
				       "mastodon/notifications.json",
				       "mastodon/notifications.headers", &page), HEED_OK);
	assert_int_equal(page.n, 1);
	assert_string_equal(page.items[0].external_id, "112446281739564322");
	assert_true(page.items[0].mentions_account);
	assert_non_null(strstr(page.items[0].raw, "\"type\":\"mention\""));
	/* paging is by notification id, not status id */
	assert_string_equal(page.cursor, "{\"min_id\":\"34975861\"}");
	assert_false(page.more);
	heed_page_release(&page);

	assert_int_equal(parse_fixture(sea, "{\"min_id\":\"1\"}", "mastodon/search.json",
				       NULL, &page), HEED_OK);
	assert_int_equal(page.n, 1);
	assert_string_equal(page.cursor, "{\"min_id\":\"112446281739564322\"}");
	heed_page_release(&page);
	/* without a user token or Elasticsearch: silently empty */
	assert_int_equal(parse_fixture(sea, "{\"min_id\":\"5\"}",
				       "mastodon/search_without_token.json", NULL, &page),
			 HEED_OK);
	assert_int_equal(page.n, 0);
	assert_string_equal(page.cursor, "{\"min_id\":\"5\"}");
	heed_page_release(&page);
	heed_source_free(men);
	heed_source_free(sea);
}

static void rejects_unusable_pages(void **state)
{
	struct heed_source *tag = mk_src("tag", "acme", 0);
	struct heed_source *sea = mk_src("search", "acme", 0);
	struct heed_page page;
	(void)state;

	assert_int_equal(parse_text(tag, "{}", "<html>502</html>", NULL, &page), HEED_EPARSE);
	assert_int_equal(page.n, 0);
	assert_null(page.cursor);
	assert_int_equal(parse_text(tag, "{}", "{\"error\":\"x\"}", NULL, &page), HEED_EPARSE);
	assert_int_equal(parse_text(tag, "{}", "[{\"id\":\"1\"", NULL, &page), HEED_EPARSE);
	assert_int_equal(parse_text(sea, "{}", "[]", NULL, &page), HEED_EPARSE);
	assert_int_equal(page.nbad, 0);
	heed_source_free(tag);
	heed_source_free(sea);
}

static void link_header(void **state)
{
	char *v;
	(void)state;

	v = heed_mastodon_link_min_id("<https://h/api/v1/notifications?max_id=3&types%5B%5D=mention>; "
				      "rel=\"next\", <https://h/api/v1/notifications?min_id=34975861"
				      "&types%5B%5D=mention>; rel=\"prev\"");
	assert_string_equal(v, "34975861");
	free(v);
	v = heed_mastodon_link_min_id("<https://h/x?limit=2&min_id=9>; rel=\"prev\"");
	assert_string_equal(v, "9");
	free(v);
	assert_null(heed_mastodon_link_min_id("<https://h/x?max_id=3>; rel=\"next\""));
	assert_null(heed_mastodon_link_min_id("<https://h/x?xmin_id=3>; rel=\"prev\""));
	assert_null(heed_mastodon_link_min_id("garbage"));
	assert_null(heed_mastodon_link_min_id(NULL));
}

/* ---- a small tag timeline server, for sweeps ---- */

struct post {
	char id[24];
	int64_t ms;
	bool visible;
};

struct sim {
	struct post p[64];
	size_t n;
	unsigned requests;
};

static void sim_add(struct sim *s, int64_t ms)
{
	struct post *p = &s->p[s->n++];

	/* snowflake-like ids that grow by a digit part way: 9.. then 10.. */
	snprintf(p->id, sizeof(p->id), "%lld", 99990LL + (long long)s->n * 7);
	p->ms = ms;
	p->visible = true;
}

/* Serve GET /api/v1/timelines/tag/acme with min_id / max_id / limit, as
 * Mastodon does: min_id gives the items just above it, newest first. */
static char *sim_serve(struct sim *s, const char *url)
{
	char *min = ht_url_param(url, "min_id", 0), *max = ht_url_param(url, "max_id", 0);
	char *lim = ht_url_param(url, "limit", 0);
	size_t limit = lim ? (size_t)strtoul(lim, NULL, 10) : 20, got = 0;
	json_t *arr = json_array();
	struct post *sel[64];
	char *body;

	s->requests++;
	if (min) {	/* ascending from min_id, then reversed */
		for (size_t i = 0; i < s->n && got < limit; i++)
			if (s->p[i].visible && heed_collect_id_cmp(s->p[i].id, min) > 0 &&
			    (!max || heed_collect_id_cmp(s->p[i].id, max) < 0))
				sel[got++] = &s->p[i];
		for (size_t a = 0, b = got; a + 1 < b; a++, b--) {
			struct post *t = sel[a];

			sel[a] = sel[b - 1];
			sel[b - 1] = t;
		}
	} else {
		for (size_t i = s->n; i-- > 0 && got < limit;)
			if (s->p[i].visible && (!max || heed_collect_id_cmp(s->p[i].id, max) < 0))
				sel[got++] = &s->p[i];
	}
	for (size_t i = 0; i < got; i++) {
		char when[HEED_TIME_ISO8601_SIZE];

		heed_time_format_iso8601(sel[i]->ms, when, sizeof(when));
		json_array_append_new(arr, json_pack(
			"{s:s, s:s, s:s, s:n, s:{s:s, s:s}}", "id", sel[i]->id,
			"created_at", when, "content", "<p>#acme</p>", "in_reply_to_id",
			"account", "id", "1", "acct", "u"));
	}
	body = json_dumps(arr, JSON_COMPACT);
	json_decref(arr);
	free(min);
	free(max);
	free(lim);
	return body;
}

/* One page: build, serve, parse. Returns the page's cursor; ids seen are
 * appended to seen. */
static char *sim_page(struct sim *s, const struct heed_source *src,
		      const char *cursor, json_t *seen, bool *more)
{
	char *url = build_url(src, cursor, "tok", NULL), *body = sim_serve(s, url), *next;
	struct heed_page page;

	assert_int_equal(parse_text(src, cursor, body, NULL, &page), HEED_OK);
	for (size_t i = 0; i < page.n; i++) {
		assert_false(heed_collect_ids_has(seen, page.items[i].external_id));
		json_array_append_new(seen, json_string(page.items[i].external_id));
	}
	*more = page.more;
	next = page.cursor;
	page.cursor = NULL;
	heed_page_release(&page);
	free(url);
	free(body);
	return next;
}

static void backfill_then_forward_with_interruption(void **state)
{
	struct heed_source *src = mk_src("tag", "acme", 2);
	struct sim s = { .n = 0 };
	json_t *seen = json_array();
	char *c = xstrdup("{}"), *lost;
	bool more;
	(void)state;

	sim_add(&s, NOW - 2 * 3600000);		/* before the backfill window */
	for (int i = 5; i >= 1; i--)
		sim_add(&s, NOW - i * 600000);	/* five in the last hour */
	/* page 1 of the backfill sweep: the two newest */
	lost = c;
	c = sim_page(&s, src, lost, seen, &more);
	free(lost);
	assert_true(more);
	assert_non_null(strstr(c, "\"max_id\""));
	assert_non_null(strstr(c, "\"newest\":\"100032\""));
	assert_non_null(strstr(c, "\"since_ms\":1715675400000"));
	/* a post arrives mid-sweep; the next page is fetched, then the poller
	 * dies before committing it: the committed cursor is still c */
	sim_add(&s, NOW);
	{
		json_t *scratch = json_array();
		char *uncommitted = sim_page(&s, src, c, scratch, &more);

		free(uncommitted);
		json_decref(scratch);
	}
	/* restart from c and finish the sweep */
	do {
		lost = c;
		c = sim_page(&s, src, lost, seen, &more);
		free(lost);
	} while (more);
	assert_string_equal(c, "{\"min_id\":\"100032\"}");
	assert_int_equal(json_array_size(seen), 5);
	/* the next cycle pages forward and catches the late one */
	lost = c;
	c = sim_page(&s, src, lost, seen, &more);
	free(lost);
	assert_false(more);
	assert_string_equal(c, "{\"min_id\":\"100039\"}");
	assert_int_equal(json_array_size(seen), 6);
	/* a burst larger than a page: forward paging, oldest first */
	for (int i = 0; i < 5; i++)
		sim_add(&s, NOW + 1000 + i);
	do {
		lost = c;
		c = sim_page(&s, src, lost, seen, &more);
		free(lost);
	} while (more);
	assert_int_equal(json_array_size(seen), 11);
	assert_false(heed_collect_ids_has(seen, s.p[0].id));	/* too old */
	free(c);
	json_decref(seen);
	heed_source_free(src);
}

static void search_sweeps_down_to_min_id(void **state)
{
	struct heed_source *src = mk_src("search", "acme", 2);
	struct heed_page page;
	const char *body = "{\"accounts\":[],\"hashtags\":[],\"statuses\":["
		"{\"id\":\"30\",\"created_at\":\"2024-05-14T09:29:00Z\",\"content\":\"a\","
		"\"account\":{\"id\":\"1\",\"acct\":\"u\"}},"
		"{\"id\":\"29\",\"created_at\":\"2024-05-14T09:28:00Z\",\"content\":\"b\","
		"\"account\":{\"id\":\"1\",\"acct\":\"u\"}}]}";
	const char *tail = "{\"accounts\":[],\"hashtags\":[],\"statuses\":["
		"{\"id\":\"21\",\"created_at\":\"2024-05-14T09:20:00Z\",\"content\":\"c\","
		"\"account\":{\"id\":\"1\",\"acct\":\"u\"}}]}";
	(void)state;

	assert_int_equal(parse_text(src, "{\"min_id\":\"20\"}", body, NULL, &page), HEED_OK);
	assert_true(page.more);
	assert_string_equal(page.cursor, "{\"max_id\":\"29\",\"min_id\":\"20\",\"newest\":\"30\"}");
	heed_page_release(&page);
	assert_int_equal(parse_text(src, "{\"max_id\":\"29\",\"min_id\":\"20\",\"newest\":\"30\"}",
				    tail, NULL, &page), HEED_OK);
	assert_false(page.more);
	assert_string_equal(page.cursor, "{\"min_id\":\"30\"}");
	heed_page_release(&page);
	heed_source_free(src);
}

static void since_ms_starts_a_backfill(void **state)
{
	struct heed_source *src = mk_src("tag", "acme", 40);
	struct heed_page page;
	(void)state;

	/* heed poll --since: everything newer than since_ms, nothing older */
	assert_int_equal(parse_fixture(src, "{\"since_ms\":1715678400000}",
				       "mastodon/tag_timeline.json", NULL, &page), HEED_OK);
	assert_int_equal(page.n, 1);	/* 09:21:07 kept, 09:18:08 older */
	assert_false(page.more);
	assert_string_equal(page.cursor, "{\"min_id\":\"112446281739564322\"}");
	heed_page_release(&page);
	/* nothing new in the window: the backfill start is kept */
	assert_int_equal(parse_text(src, "{\"since_ms\":1715678400000}", "[]", NULL, &page),
			 HEED_OK);
	assert_string_equal(page.cursor, "{\"since_ms\":1715678400000}");
	heed_page_release(&page);
	heed_source_free(src);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(builds_requests),
		cmocka_unit_test(build_refuses_bad_config_and_cursor),
		cmocka_unit_test(parses_tag_timeline),
		cmocka_unit_test(ids_by_length_reblogs_and_bad_items),
		cmocka_unit_test(parses_notifications_and_search),
		cmocka_unit_test(rejects_unusable_pages),
		cmocka_unit_test(link_header),
		cmocka_unit_test(backfill_then_forward_with_interruption),
		cmocka_unit_test(search_sweeps_down_to_min_id),
		cmocka_unit_test(since_ms_starts_a_backfill),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
