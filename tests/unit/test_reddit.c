/* test_reddit.c: the Reddit adapter on recorded listings (search, subreddit
 * comments, inbox mentions, a page without raw_json), its requests, its
 * after-keyed sweep (vanished anchors, ties, an interruption) and the pure
 * half of its OAuth token handling. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "heed/source.h"
#include "heed/xalloc.h"
#include "../../collectors/collect_int.h"
#include "fixture.h"

extern const struct heed_source_ops heed_ops_reddit;

#define NOW 1715679000000LL	/* 2024-05-14T09:30:00Z */

static struct heed_source *mk_src(const char *kind, const char *const *q)
{
	return ht_source(&heed_ops_reddit, kind, "https://oauth.reddit.example", q,
			 "acme_support", 0);
}

static void builds_requests(void **state)
{
	const char *plain[] = { "acme", NULL };
	const char *subs[] = { "r/acmesupport", "R/gadgets", "acme", "acme coffee", NULL };
	const char *csubs[] = { "r/acmesupport+gadgets", "acme", NULL };
	const char *legacy[] = { "acmesupport+gadgets", "acme", NULL };
	struct heed_source *s;
	char *url, *hdr;
	(void)state;

	s = mk_src("search", plain);
	url = ht_build_url(s, "{}", "tok", NOW, &hdr);
	assert_string_equal(url, "https://oauth.reddit.example/search?q=acme&sort=new&type=link"
			    "&limit=100&raw_json=1");
	assert_string_equal(hdr, "Authorization: bearer tok");
	free(url);
	free(hdr);
	heed_source_free(s);
	s = mk_src("search", subs);
	url = ht_build_url(s, "{\"wm\":1,\"ids\":[],\"after\":[\"t3_a\",\"t3_b\"]}", "tok", NOW,
			   NULL);
	assert_string_equal(url, "https://oauth.reddit.example/r/acmesupport+gadgets/search"
			    "?q=%28acme%29%20OR%20%28acme%20coffee%29&restrict_sr=1&sort=new"
			    "&type=link&limit=100&raw_json=1&after=t3_b");
	free(url);
	heed_source_free(s);
	s = mk_src("comments", csubs);
	s->page_size = 50;
	url = ht_build_url(s, "{}", "tok", NOW, NULL);
	assert_string_equal(url, "https://oauth.reddit.example/r/acmesupport+gadgets/comments"
			    "?limit=50&raw_json=1");
	free(url);
	heed_source_free(s);
	s = mk_src("comments", legacy);	/* no "r/": queries[0] is the subreddits */
	url = ht_build_url(s, "{}", "tok", NOW, NULL);
	assert_string_equal(url, "https://oauth.reddit.example/r/acmesupport+gadgets/comments"
			    "?limit=100&raw_json=1");
	free(url);
	heed_source_free(s);
	s = mk_src("mentions", NULL);
	url = ht_build_url(s, "{\"after\":[\"t1_x\"]}", "tok", NOW, NULL);
	assert_string_equal(url, "https://oauth.reddit.example/message/mentions?limit=100"
			    "&raw_json=1&after=t1_x");
	free(url);
	heed_source_free(s);
}

static void build_refuses_bad_config(void **state)
{
	const char *bad[] = { "r/acme/../x", "acme", NULL };
	const char *noterm[] = { "r/acmesupport", NULL };
	struct heed_req req = { 0 };
	struct heed_source *s;
	struct heed_err err;
	(void)state;

	heed_err_clear(&err);
	s = mk_src("search", bad);
	assert_int_equal(s->ops->build(s, "{}", "t", NOW, &req, &err), HEED_ECONFIG);
	heed_source_free(s);
	s = mk_src("search", noterm);
	assert_int_equal(s->ops->build(s, "{}", "t", NOW, &req, &err), HEED_ECONFIG);
	heed_source_free(s);
	s = mk_src("comments", NULL);
	assert_int_equal(s->ops->build(s, "{}", "t", NOW, &req, &err), HEED_ECONFIG);
	heed_source_free(s);
	s = mk_src("hot", NULL);
	assert_int_equal(s->ops->build(s, "{}", "t", NOW, &req, &err), HEED_ECONFIG);
	heed_source_free(s);
}

static void parses_search(void **state)
{
	const char *q[] = { "acme", NULL };
	struct heed_source *src = mk_src("search", q);
	const struct heed_mention *m;
	struct heed_page page;
	(void)state;

	assert_int_equal(ht_parse_fixture(src, "{\"wm\":1715670000000,\"ids\":[]}",
					  "reddit/search.json", "reddit/search.headers", NOW,
					  &page), HEED_OK);
	assert_int_equal(page.n, 2);
	assert_int_equal(page.nbad, 0);
	m = &page.items[0];
	assert_string_equal(m->platform, "reddit");
	assert_string_equal(m->external_id, "t3_1crq3zx");
	assert_string_equal(m->text, "Acme app & <sync> broken since update\n\n"
			    "Anyone else? It's been 2h & counting.");
	/* created_utc, never the 8 h-off `created` */
	assert_int_equal(m->posted_at_ms, 1715678467000LL);
	assert_string_equal(m->url, "https://www.reddit.com/r/acmesupport/comments/1crq3zx/"
			    "acme_app__sync_broken_since_update/");
	assert_string_equal(m->author_id, "jdoe42");
	assert_string_equal(m->author_handle, "jdoe42");
	assert_null(m->author_name);
	assert_int_equal(m->author_followers, -1);
	assert_null(m->in_reply_to);
	assert_string_equal(m->thread_key, "t3_1crq3zx");
	assert_null(m->lang);
	assert_false(m->mentions_account);
	assert_non_null(strstr(m->raw, "\"edited\":1715678712.0"));
	m = &page.items[1];	/* deleted author, "[deleted]" selftext */
	assert_string_equal(m->author_id, "[deleted]");
	assert_string_equal(m->author_handle, "[deleted]");
	assert_string_equal(m->text, "Acme refund?");
	assert_false(m->is_own);
	assert_true(page.more);
	assert_string_equal(page.cursor, "{\"after\":[\"t3_1crq3zx\",\"t3_1crq1ab\"],\"ids\":[],"
			    "\"new_ids\":[\"t3_1crq3zx\"],\"new_wm\":1715678467000,"
			    "\"wm\":1715670000000}");
	heed_page_release(&page);
	/* the same page without raw_json=1: entities decoded */
	assert_int_equal(ht_parse_fixture(src, "{}", "reddit/search_without_raw_json.json", NULL,
					  NOW, &page), HEED_OK);
	assert_int_equal(page.n, 1);
	assert_string_equal(page.items[0].text, "Acme app & <sync> broken since update\n\n"
			    "Anyone else? It's been 2h & counting.");
	assert_false(page.more);	/* after: null */
	heed_page_release(&page);
	heed_source_free(src);
}

static void parses_comments_matched_locally(void **state)
{
	const char *q[] = { "r/acmesupport", "sync", NULL };
	const char *all[] = { "r/acmesupport", NULL };
	struct heed_source *src = mk_src("comments", q);
	const struct heed_mention *m;
	struct heed_page page;
	(void)state;

	assert_int_equal(ht_parse_fixture(src, "{}", "reddit/subreddit_comments.json", NULL, NOW,
					  &page), HEED_OK);
	assert_int_equal(page.n, 1);	/* "[removed]" has no term */
	m = &page.items[0];
	assert_string_equal(m->external_id, "t1_l3x9b7k");
	assert_string_equal(m->text, "u/acme_support any ETA? Still getting 'sync failed' "
			    "<3 times a day>");
	assert_string_equal(m->in_reply_to, "t3_1crq3zx");
	assert_string_equal(m->thread_key, "t3_1crq3zx");
	assert_int_equal(m->posted_at_ms, 1715678801000LL);
	assert_true(m->mentions_account);
	/* the unmatched comment still moves the sweep down */
	assert_non_null(strstr(page.cursor, "\"after\":[\"t1_l3x9b7k\",\"t1_l3x9a2c\"]"));
	heed_page_release(&page);
	heed_source_free(src);
	src = mk_src("comments", all);	/* no terms: every comment */
	assert_int_equal(ht_parse_fixture(src, "{}", "reddit/subreddit_comments.json", NULL, NOW,
					  &page), HEED_OK);
	assert_int_equal(page.n, 2);
	assert_string_equal(page.items[1].author_id, "[deleted]");
	assert_string_equal(page.items[1].in_reply_to, "t1_l3x8zzz");
	assert_string_equal(page.items[1].thread_key, "t3_1crq3zx");
	heed_page_release(&page);
	heed_source_free(src);
}

static void parses_inbox_mentions(void **state)
{
	struct heed_source *src = mk_src("mentions", NULL);
	const struct heed_mention *m;
	struct heed_page page;
	(void)state;

	assert_int_equal(ht_parse_fixture(src, "{}", "reddit/message_mentions.json", NULL, NOW,
					  &page), HEED_OK);
	assert_int_equal(page.n, 1);
	m = &page.items[0];
	assert_string_equal(m->external_id, "t1_l3x9b7k");
	assert_true(m->mentions_account);
	assert_string_equal(m->url, "https://www.reddit.com/r/acmesupport/comments/1crq3zx/"
			    "acme_app_sync_broken_since_update/l3x9b7k/");
	assert_string_equal(m->thread_key, "t3_1crq3zx");	/* from the context path */
	assert_string_equal(m->in_reply_to, "t3_1crq3zx");
	assert_false(page.more);
	assert_string_equal(page.cursor, "{\"ids\":[\"t1_l3x9b7k\"],\"wm\":1715678801000}");
	heed_page_release(&page);
	heed_source_free(src);
}

static void bad_things_and_pages(void **state)
{
	struct heed_source *src = mk_src("mentions", NULL);
	struct heed_page page;
	(void)state;

	assert_int_equal(ht_parse_body(src, "{}", "{\"kind\":\"Listing\",\"data\":{\"after\":null,"
				       "\"children\":[{\"kind\":\"t1\",\"data\":{\"name\":\"t1_a\","
				       "\"created\":1715707601.0,\"body\":\"x\"}},"
				       "{\"kind\":\"t1\",\"data\":{\"created_utc\":1715678801.0}},"
				       "{\"kind\":\"t1\",\"data\":{\"name\":\"t1_b\","
				       "\"created_utc\":1715678802.5,\"author\":null,\"edited\":false,"
				       "\"body\":\"ok\"}},\"junk\"]}}", NULL, NOW, &page), HEED_OK);
	assert_int_equal(page.n, 1);
	assert_string_equal(page.items[0].external_id, "t1_b");
	assert_string_equal(page.items[0].author_id, "[deleted]");	/* null author */
	assert_int_equal(page.items[0].posted_at_ms, 1715678802500LL);
	assert_int_equal(page.nbad, 3);
	assert_string_equal(page.bad[0].id, "t1_a");	/* `created` alone is not enough */
	assert_non_null(strstr(page.bad[0].reason, "created_utc"));
	heed_page_release(&page);
	assert_int_equal(ht_parse_body(src, "{}", "{\"json\":{\"errors\":[[\"RATELIMIT\"]]}}",
				       NULL, NOW, &page), HEED_EPARSE);
	assert_int_equal(ht_parse_body(src, "{}", "[]", NULL, NOW, &page), HEED_EPARSE);
	assert_null(page.cursor);
	heed_source_free(src);
}

static void vanished_anchor_falls_back(void **state)
{
	struct heed_source *src = mk_src("mentions", NULL);
	const char *empty = "{\"kind\":\"Listing\",\"data\":{\"after\":null,\"children\":[]}}";
	struct heed_page page;
	(void)state;

	assert_int_equal(ht_parse_body(src, "{\"wm\":5,\"ids\":[],\"after\":[\"t1_a\",\"t1_b\"],"
				       "\"new_wm\":9,\"new_ids\":[\"t1_z\"]}", empty, NULL, NOW,
				       &page), HEED_OK);
	assert_true(page.more);
	assert_string_equal(page.cursor, "{\"after\":[\"t1_a\"],\"ids\":[],\"new_ids\":[\"t1_z\"],"
			    "\"new_wm\":9,\"wm\":5}");
	heed_page_release(&page);
	/* the last anchor gone too: from the top again, counted */
	assert_int_equal(ht_parse_body(src, "{\"wm\":5,\"ids\":[],\"after\":[\"t1_a\"],"
				       "\"new_wm\":9,\"new_ids\":[\"t1_z\"]}", empty, NULL, NOW,
				       &page), HEED_OK);
	assert_true(page.more);
	assert_string_equal(page.cursor, "{\"ids\":[],\"new_ids\":[\"t1_z\"],\"new_wm\":9,"
			    "\"restarts\":1,\"wm\":5}");
	heed_page_release(&page);
	/* twice restarted: the sweep ends */
	assert_int_equal(ht_parse_body(src, "{\"wm\":5,\"ids\":[],\"after\":[\"t1_a\"],"
				       "\"restarts\":2,\"new_wm\":9,\"new_ids\":[\"t1_z\"]}", empty,
				       NULL, NOW, &page), HEED_OK);
	assert_false(page.more);
	assert_string_equal(page.cursor, "{\"ids\":[\"t1_z\"],\"wm\":9}");
	heed_page_release(&page);
	heed_source_free(src);
}

/* ---- a listing server, for sweeps ---- */

struct sim {
	char name[64][16];
	double utc[64];
	bool gone[64];
	size_t n;
};

static void sim_add(struct sim *s, double utc)
{
	snprintf(s->name[s->n], sizeof(s->name[0]), "t1_%zu", s->n + 100);
	s->utc[s->n] = utc;
	s->gone[s->n++] = false;
}

/* A post listed late: inserted at position pos (chronological order). */
static void sim_insert(struct sim *s, size_t pos, double utc)
{
	memmove(s->name[pos + 1], s->name[pos], (s->n - pos) * sizeof(s->name[0]));
	memmove(&s->utc[pos + 1], &s->utc[pos], (s->n - pos) * sizeof(s->utc[0]));
	memmove(&s->gone[pos + 1], &s->gone[pos], (s->n - pos) * sizeof(s->gone[0]));
	snprintf(s->name[pos], sizeof(s->name[0]), "t1_%zu", s->n + 100);
	s->utc[pos] = utc;
	s->gone[pos] = false;
	s->n++;
}

/* Newest first (created_utc, then name); after=NAME below it; an unknown
 * or deleted anchor gives an empty page, as Reddit does. */
static char *sim_serve(struct sim *s, const char *url)
{
	char *after = ht_url_param(url, "after", 0), *lim = ht_url_param(url, "limit", 0);
	size_t limit = (size_t)strtol(lim, NULL, 10), got = 0, start = s->n;
	json_t *children = json_array(), *o;
	const char *last = NULL;
	bool more = false;
	char *body;

	if (after) {
		start = SIZE_MAX;
		for (size_t i = 0; i < s->n; i++)
			if (!strcmp(s->name[i], after) && !s->gone[i])
				start = i;
	}
	for (size_t i = start == SIZE_MAX ? 0 : start; start != SIZE_MAX && i-- > 0;) {
		if (s->gone[i])
			continue;
		if (got == limit) {
			more = true;
			break;
		}
		json_array_append_new(children, json_pack(
			"{s:s, s:{s:s, s:f, s:s, s:s, s:s}}", "kind", "t1", "data",
			"name", s->name[i], "created_utc", s->utc[i], "author", "u",
			"body", "hi", "link_id", "t3_x"));
		last = s->name[i];
		got++;
	}
	o = json_pack("{s:s, s:{s:o, s:s?}}", "kind", "Listing", "data", "children", children,
		      "after", more ? last : NULL);
	body = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	free(after);
	free(lim);
	return body;
}

static void sweep(struct sim *s, const struct heed_source *src, char **c,
		  unsigned char *got, unsigned stop_after)
{
	unsigned pages = 0;
	bool more;

	do {
		char *url = ht_build_url(src, *c, "tok", NOW, NULL), *body = sim_serve(s, url);
		struct heed_page page;

		assert_int_equal(ht_parse_body(src, *c, body, NULL, NOW, &page), HEED_OK);
		for (size_t i = 0; i < page.n; i++)
			got[strtol(page.items[i].external_id + 3, NULL, 10) - 100] = 1;
		more = page.more;
		free(*c);
		*c = page.cursor;
		page.cursor = NULL;
		heed_page_release(&page);
		free(url);
		free(body);
	} while (more && ++pages != stop_after);
}

static void sweep_with_interruption_ties_and_deletion(void **state)
{
	struct heed_source *src = mk_src("mentions", NULL);
	unsigned char got[64] = { 0 };
	struct sim s = { .n = 0 };
	char *c = xstrdup("{}"), *lost;
	size_t n = 0;
	(void)state;

	src->page_size = 3;
	sim_add(&s, (double)(NOW / 1000 - 7200));	/* too old */
	for (int i = 0; i < 20; i++)
		sim_add(&s, (double)(NOW / 1000 - 1800 + i / 2));	/* pairs share a second */
	sweep(&s, src, &c, got, 2);
	/* the anchor the committed cursor names is deleted, a post arrives
	 * at the watermark's second, and a page is read and lost */
	{
		json_t *cur = json_loads(c, 0, NULL);
		const char *a = json_string_value(json_array_get(json_object_get(cur, "after"),
								 json_array_size(json_object_get(cur, "after")) - 1));

		for (size_t i = 0; i < s.n; i++)
			if (!strcmp(s.name[i], a))
				s.gone[i] = true;
		json_decref(cur);
	}
	sim_add(&s, s.utc[20]);
	{
		char *url = ht_build_url(src, c, "tok", NOW, NULL);

		lost = sim_serve(&s, url);
		free(url);
		free(lost);
	}
	sweep(&s, src, &c, got, 0);
	for (size_t i = 1; i <= 20; i++)
		n += got[i];
	/* everything but the deleted one (which was read before it went) */
	assert_int_equal(n, 20);
	assert_int_equal(got[0], 0);
	assert_int_equal(got[21], 0);
	assert_non_null(strstr(c, "\"wm\":1715677209000"));
	/* the late post shares the mark's second and is not among its ids */
	sweep(&s, src, &c, got, 0);
	assert_int_equal(got[21], 1);
	memset(got, 0, sizeof(got));
	sweep(&s, src, &c, got, 0);	/* nothing twice */
	for (size_t i = 0; i < s.n; i++)
		assert_int_equal(got[i], 0);
	free(c);
	heed_source_free(src);
}

/* Search lags: a post that shows up after newer ones were read, dated
 * below the watermark, is still found within SEARCH_LAG_MS (15 minutes);
 * the other listings are read once. */
static void search_reads_late_posts_below_the_mark(void **state)
{
	const char *q[] = { "acme", NULL };
	struct heed_source *src = mk_src("search", q);
	unsigned char got[64] = { 0 };
	struct sim s = { .n = 0 };
	char *c = xstrdup("{}"), *wm;
	double newest;
	(void)state;

	src->page_size = 3;
	for (int i = 0; i < 10; i++)
		sim_add(&s, (double)(NOW / 1000 - 3000 + i * 10));
	newest = s.utc[9];
	sweep(&s, src, &c, got, 0);
	for (size_t i = 0; i < 10; i++)
		assert_int_equal(got[i], 1);
	wm = strstr(c, "\"wm\":");
	assert_non_null(wm);
	wm = xstrdup(wm);
	/* listed now, though posted 5 s and 20 min before the newest */
	sim_insert(&s, 9, newest - 5);		/* name t1_110: got[10] */
	sim_insert(&s, 0, newest - 1200);	/* t1_111: got[11], too late */
	memset(got, 0, sizeof(got));
	sweep(&s, src, &c, got, 0);
	assert_int_equal(got[10], 1);
	assert_int_equal(got[11], 0);
	/* the mark did not move: nothing newer than it came */
	assert_non_null(strstr(c, wm));
	free(wm);
	free(c);
	heed_source_free(src);
}

static void token_state(void **state)
{
	struct heed_source *src = mk_src("mentions", NULL);
	struct heed_err err;
	char *body, *st, *tok;
	size_t len;
	(void)state;

	heed_err_clear(&err);
	body = ht_fixture_read("reddit/access_token.json", &len);
	st = heed_reddit_token_state(body, len, NOW, &err);
	assert_non_null(st);
	assert_non_null(strstr(st, "\"expires_at_ms\":1715682600000"));
	tok = heed_collect_state_get(st, "access_token");
	assert_string_equal(tok, "eyJhbGciOiJSUzI1NiIsImtpZCI6IlNIQTI1NjpzS3dsMnlsV0VtMjVmcXhwTU40"
			    "cWY4MXE2OWFFdWFyMnpLMUdhVGxjdWNZIiwidHlwIjoiSldUIn0.fake");
	free(tok);
	assert_true(heed_reddit_token_fresh(st, NOW));
	assert_true(heed_reddit_token_fresh(st, NOW + 3600000 - 61000));
	assert_false(heed_reddit_token_fresh(st, NOW + 3600000 - 59000));	/* within a minute */
	tok = heed_collect_state_expire(st);
	assert_false(heed_reddit_token_fresh(tok, NOW));	/* a 401 said so */
	free(tok);
	free(st);
	free(body);
	assert_false(heed_reddit_token_fresh(NULL, NOW));
	assert_false(heed_reddit_token_fresh("{\"access_token\":\"x\"}", NOW));
	assert_false(heed_reddit_token_fresh("garbage", NOW));
	/* errors inside a 200 body */
	body = ht_fixture_read("reddit/access_token_invalid_grant.json", &len);
	assert_null(heed_reddit_token_state(body, len, NOW, &err));
	assert_int_equal(err.code, HEED_EAUTH);
	assert_non_null(strstr(err.msg, "invalid_grant"));
	free(body);
	heed_err_clear(&err);
	assert_null(heed_reddit_token_state("<html>", 6, NOW, &err));
	assert_int_equal(err.code, HEED_EPARSE);
	/* the token host */
	st = heed_reddit_token_url(src);
	assert_string_equal(st, "https://oauth.reddit.example/api/v1/access_token");
	free(st);
	free(src->base_url);
	src->base_url = xstrdup("https://oauth.reddit.com");
	st = heed_reddit_token_url(src);
	assert_string_equal(st, "https://www.reddit.com/api/v1/access_token");
	free(st);
	st = heed_collect_base64("client:s3cr", 11);
	assert_string_equal(st, "Y2xpZW50OnMzY3I=");
	free(st);
	heed_source_free(src);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(builds_requests),
		cmocka_unit_test(build_refuses_bad_config),
		cmocka_unit_test(parses_search),
		cmocka_unit_test(parses_comments_matched_locally),
		cmocka_unit_test(parses_inbox_mentions),
		cmocka_unit_test(bad_things_and_pages),
		cmocka_unit_test(vanished_anchor_falls_back),
		cmocka_unit_test(sweep_with_interruption_ties_and_deletion),
		cmocka_unit_test(search_reads_late_posts_below_the_mark),
		cmocka_unit_test(token_state),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
