/* test_hn.c: the Hacker News (Algolia) adapter on recorded pages, its
 * requests, and its narrowing created_at_i window: a sweep through more
 * than the 1000 reachable hits, with ties, interrupted and resumed. */
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

extern const struct heed_source_ops heed_ops_hn;

#define NOW 1715679000000LL	/* 2024-05-14T09:30:00Z */

static struct heed_source *mk_src(unsigned page_size)
{
	const char *q[] = { "acme", NULL };

	return ht_source(&heed_ops_hn, "search", "https://hn.example", q, "pat", page_size);
}

static void builds_requests(void **state)
{
	struct heed_source *src = mk_src(0);
	char *url, *hdr;
	(void)state;

	url = ht_build_url(src, "{}", NULL, NOW, &hdr);
	assert_string_equal(url, "https://hn.example/api/v1/search_by_date?query=acme"
			    "&tags=%28story%2Ccomment%29&numericFilters=created_at_i%3E%3D1715675400"
			    "&hitsPerPage=1000");
	assert_null(hdr);	/* no auth */
	free(url);
	url = ht_build_url(src, "{\"wm\":1715678000,\"ids\":[\"1\"],\"hi\":1715678300,"
			   "\"seen\":[\"2\"],\"new_wm\":1715678900,\"new_ids\":[\"3\"]}",
			   NULL, NOW, NULL);
	assert_string_equal(url, "https://hn.example/api/v1/search_by_date?query=acme"
			    "&tags=%28story%2Ccomment%29&numericFilters=created_at_i%3E%3D1715678000"
			    "%2Ccreated_at_i%3C%3D1715678300&hitsPerPage=1000");
	free(url);
	url = ht_build_url(src, "{\"wm\":5,\"hi\":9,\"page\":2}", NULL, NOW, NULL);
	assert_non_null(strstr(url, "&hitsPerPage=1000&page=2"));
	free(url);
	url = ht_build_url(src, "{\"since_ms\":1715671800999}", NULL, NOW, NULL);
	assert_non_null(strstr(url, "created_at_i%3E%3D1715671800&"));
	free(url);
	heed_source_free(src);
}

static void build_refuses_two_queries(void **state)
{
	const char *q[] = { "acme", "widgetco", NULL };
	struct heed_source *src = ht_source(&heed_ops_hn, "search", "https://hn.example", q,
					    NULL, 0);
	struct heed_req req = { 0 };
	struct heed_err err;
	(void)state;

	heed_err_clear(&err);
	assert_int_equal(src->ops->build(src, "{}", NULL, NOW, &req, &err), HEED_ECONFIG);
	heed_source_free(src);
}

static void parses_page(void **state)
{
	struct heed_source *src = mk_src(20);
	const struct heed_mention *m;
	struct heed_page page;
	(void)state;

	assert_int_equal(ht_parse_fixture(src, "{\"wm\":1715677000,\"ids\":[]}",
					  "hn/search_by_date.json", NULL, NOW, &page), HEED_OK);
	assert_int_equal(page.n, 4);
	assert_int_equal(page.nbad, 0);
	m = &page.items[0];
	assert_string_equal(m->platform, "hn");
	assert_string_equal(m->external_id, "40356188");
	assert_string_equal(m->url, "https://news.ycombinator.com/item?id=40356188");
	assert_string_equal(m->author_id, "throwaway_7");
	assert_string_equal(m->author_handle, "throwaway_7");
	assert_int_equal(m->author_followers, -1);
	assert_string_equal(m->text, "I've used Acme for years & the new \"sync\" is broken: "
			    "https://status.example.com/incidents\n\nAnyone from Acme here?");
	assert_int_equal(m->posted_at_ms, 1715678371000LL);
	assert_string_equal(m->in_reply_to, "40356120");
	assert_string_equal(m->thread_key, "40356120");
	assert_null(m->lang);
	assert_false(m->mentions_account);
	assert_null(strstr(m->raw, "_highlightResult"));
	assert_non_null(strstr(m->raw, "\"objectID\":\"40356188\""));
	m = &page.items[1];	/* deleted: null author */
	assert_string_equal(m->author_id, "[deleted]");
	assert_string_equal(m->author_handle, "[deleted]");
	assert_string_equal(m->text, "[flagged]");
	assert_string_equal(m->in_reply_to, "40356150");
	m = &page.items[2];	/* a link story */
	assert_string_equal(m->text, "Acme sync outage");
	assert_null(m->in_reply_to);
	assert_string_equal(m->thread_key, "40356120");
	assert_true(m->is_own);	/* "pat" is the source's account */
	m = &page.items[3];	/* Ask HN with story_text */
	assert_string_equal(m->text, "Ask HN: Is Acme down for anyone else?\n\n"
			    "Getting \"sync failed\" since this morning. Anyone?");
	assert_string_equal(m->thread_key, "40355901");
	assert_false(page.more);
	assert_string_equal(page.cursor, "{\"ids\":[\"40356188\"],\"wm\":1715678371}");
	heed_page_release(&page);
	heed_source_free(src);
}

static void full_page_narrows_the_window(void **state)
{
	struct heed_source *src = mk_src(4);
	struct heed_page page;
	(void)state;

	assert_int_equal(ht_parse_fixture(src, "{\"wm\":1715677000,\"ids\":[]}",
					  "hn/search_by_date.json", NULL, NOW, &page), HEED_OK);
	assert_true(page.more);
	assert_string_equal(page.cursor, "{\"hi\":1715677120,\"ids\":[],\"new_ids\":[\"40356188\"],"
			    "\"new_wm\":1715678371,\"seen\":[\"40355901\"],\"wm\":1715677000}");
	heed_page_release(&page);
	/* the reach limit's empty page ends a sweep rather than looping */
	assert_int_equal(ht_parse_fixture(src, "{\"wm\":1715677000,\"ids\":[],\"hi\":9,\"page\":10}",
					  "hn/search_by_date_past_1000.json", NULL, NOW, &page),
			 HEED_OK);
	assert_false(page.more);
	assert_string_equal(page.cursor, "{\"ids\":[],\"wm\":1715677000}");
	heed_page_release(&page);
	heed_source_free(src);
}

static void ties_at_the_watermark_and_bad_hits(void **state)
{
	struct heed_source *src = mk_src(10);
	struct heed_page page;
	(void)state;

	/* 200 was stored by the last sweep; 201 is new at the same second */
	assert_int_equal(ht_parse_body(src, "{\"wm\":1000,\"ids\":[\"200\"]}",
				       "{\"hits\":[{\"objectID\":\"300\",\"created_at_i\":1002,"
				       "\"author\":\"a\",\"comment_text\":\"x\",\"story_id\":1},"
				       "{\"objectID\":\"201\",\"created_at_i\":1000,\"author\":\"b\","
				       "\"title\":\"t\"},{\"objectID\":\"200\",\"created_at_i\":1000},"
				       "{\"created_at_i\":1000},7,{\"objectID\":\"202\","
				       "\"created_at\":\"1970-01-01T00:16:41Z\",\"title\":\"iso\"}]}",
				       NULL, NOW, &page), HEED_OK);
	assert_int_equal(page.n, 3);
	assert_string_equal(page.items[0].external_id, "300");
	assert_string_equal(page.items[1].external_id, "201");
	assert_string_equal(page.items[2].external_id, "202");
	assert_int_equal(page.items[2].posted_at_ms, 1001000);
	assert_int_equal(page.nbad, 2);
	assert_null(page.bad[0].id);
	assert_false(page.more);
	assert_string_equal(page.cursor, "{\"ids\":[\"300\"],\"wm\":1002}");
	heed_page_release(&page);
	/* a full page all in one second pages within that second */
	src->page_size = 2;
	assert_int_equal(ht_parse_body(src, "{\"wm\":1000,\"ids\":[],\"hi\":1500,\"seen\":[\"9\"]}",
				       "{\"hits\":[{\"objectID\":\"8\",\"created_at_i\":1500},"
				       "{\"objectID\":\"7\",\"created_at_i\":1500}]}",
				       NULL, NOW, &page), HEED_OK);
	assert_true(page.more);
	assert_string_equal(page.cursor, "{\"hi\":1500,\"ids\":[],\"new_ids\":[\"8\",\"7\"],"
			    "\"new_wm\":1500,\"page\":1,\"seen\":[\"9\",\"8\",\"7\"],\"wm\":1000}");
	heed_page_release(&page);
	assert_int_equal(ht_parse_body(src, "{}", "{\"message\":\"x\"}", NULL, NOW, &page),
			 HEED_EPARSE);
	assert_int_equal(ht_parse_body(src, "{}", "<html>", NULL, NOW, &page), HEED_EPARSE);
	heed_source_free(src);
}

/* ---- an Algolia search_by_date server, for sweeps ---- */

#define REACH 1000

struct sim {
	int64_t t[4096];	/* created_at_i, ascending */
	size_t n;
	unsigned requests;
};

/* numericFilters "created_at_i>=A[,created_at_i<=B]", page, hitsPerPage;
 * newest first; nothing past the first REACH hits. */
static char *sim_serve(struct sim *s, const char *url)
{
	char *nf = ht_url_param(url, "numericFilters", 0), *hp = ht_url_param(url, "hitsPerPage", 0);
	char *pg = ht_url_param(url, "page", 0), *le;
	long long lo = strtoll(nf + strlen("created_at_i>="), NULL, 10), hi = INT64_MAX;
	size_t hpp = (size_t)strtol(hp, NULL, 10), k = 0;
	size_t page = pg ? (size_t)strtol(pg, NULL, 10) : 0;
	json_t *hits = json_array(), *o;
	char *body;

	s->requests++;
	le = strstr(nf, "created_at_i<=");
	if (le)
		hi = strtoll(le + strlen("created_at_i<="), NULL, 10);
	for (size_t i = s->n; i-- > 0;) {
		char id[16];

		if (s->t[i] < lo || s->t[i] > hi)
			continue;
		if (k >= page * hpp && k < (page + 1) * hpp && k < REACH) {
			snprintf(id, sizeof(id), "%zu", 100000 + i);
			json_array_append_new(hits, json_pack("{s:s, s:I, s:s, s:s, s:I}",
				"objectID", id, "created_at_i", (json_int_t)s->t[i], "author", "u",
				"comment_text", "acme", "story_id", (json_int_t)1));
		}
		k++;
	}
	o = json_pack("{s:o, s:I}", "hits", hits, "nbHits", (json_int_t)k);
	body = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	free(nf);
	free(hp);
	free(pg);
	return body;
}

static char *sim_page(struct sim *s, const struct heed_source *src, const char *cursor,
		      json_t *seen, bool *more)
{
	char *url = ht_build_url(src, cursor, NULL, NOW, NULL), *body = sim_serve(s, url), *next;
	struct heed_page page;

	assert_int_equal(ht_parse_body(src, cursor, body, NULL, NOW, &page), HEED_OK);
	assert_int_equal(page.nbad, 0);
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

/* ids_has is linear and capped; count distinct hits with a bitmap. */
static size_t sweep_all(struct sim *s, const struct heed_source *src, char **c,
			unsigned char *got, unsigned stop_after)
{
	size_t pages = 0;
	bool more;

	do {
		char *url = ht_build_url(src, *c, NULL, NOW, NULL), *body = sim_serve(s, url);
		struct heed_page page;

		assert_int_equal(ht_parse_body(src, *c, body, NULL, NOW, &page), HEED_OK);
		for (size_t i = 0; i < page.n; i++)
			got[strtol(page.items[i].external_id, NULL, 10) - 100000] = 1;
		more = page.more;
		free(*c);
		*c = page.cursor;
		page.cursor = NULL;
		heed_page_release(&page);
		free(url);
		free(body);
		pages++;
	} while (more && pages != stop_after);
	return pages;
}

static void sweep_past_the_reach_limit(void **state)
{
	struct heed_source *src = mk_src(100);
	static struct sim s;
	static unsigned char got[4096];
	char *c = xstrdup("{}"), *lost;
	size_t n = 0;
	bool more;
	(void)state;

	s.n = 0;
	s.t[s.n++] = NOW / 1000 - 7200;		/* before the backfill */
	for (int64_t t = NOW / 1000 - 3000; s.n < 2501; t++)
		for (int k = 0; k < 3 && s.n < 2501; k++)	/* ties: 3 a second */
			s.t[s.n++] = t;
	/* part of the sweep, then one page read and never committed */
	sweep_all(&s, src, &c, got, 7);
	s.t[s.n++] = NOW / 1000 + 1;
	lost = sim_page(&s, src, c, NULL, &more);
	free(lost);
	assert_true(more);
	sweep_all(&s, src, &c, got, 0);
	for (size_t i = 1; i < 2501; i++)
		n += got[i];
	assert_int_equal(n, 2500);	/* all 2500, far past 1000 hits */
	assert_int_equal(got[0], 0);
	assert_int_equal(got[2501], 0);	/* arrived mid-sweep: next time */
	assert_non_null(strstr(c, "\"wm\":"));
	assert_null(strstr(c, "\"hi\""));
	sweep_all(&s, src, &c, got, 0);
	assert_int_equal(got[2501], 1);
	free(c);
	heed_source_free(src);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(builds_requests),
		cmocka_unit_test(build_refuses_two_queries),
		cmocka_unit_test(parses_page),
		cmocka_unit_test(full_page_narrows_the_window),
		cmocka_unit_test(ties_at_the_watermark_and_bad_hits),
		cmocka_unit_test(sweep_past_the_reach_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
