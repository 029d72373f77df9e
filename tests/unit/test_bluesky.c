/* test_bluesky.c: the Bluesky adapter on recorded pages (searchPosts,
 * listNotifications), UTF-8 facet offsets, its requests, its cursor sweep
 * down to an indexedAt/sortAt watermark (interrupted and resumed), and the
 * pure half of its session handling (JWT expiry, state JSON). */
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

extern const struct heed_source_ops heed_ops_bluesky;

#define NOW 1715679000000LL	/* 2024-05-14T09:30:00Z */
#define CAROL "at://did:plc:4fkbjyvtoxvzr6kkjvbsfzxw/app.bsky.feed.post/3kslwqzbdeq2a"
#define DAN "at://did:plc:ewvi7nxzyoun6zhxrhs64oiz/app.bsky.feed.post/3kslwpa7ywk2c"
#define ROOT "at://did:plc:z72i7hdynmk6r22z27h6tvur/app.bsky.feed.post/3kslvz6fmlc2x"

static struct heed_source *mk_src(const char *kind, const char *account)
{
	const char *q[] = { "acme", NULL };

	return ht_source(&heed_ops_bluesky, kind, "https://pds.example",
			 !strcmp(kind, "search") ? q : NULL, account, 0);
}

static void builds_requests(void **state)
{
	struct heed_source *sea = mk_src("search", NULL);
	struct heed_source *men = mk_src("mentions", NULL);
	char *url, *hdr;
	(void)state;

	url = ht_build_url(sea, "{}", "jwt", NOW, &hdr);
	assert_string_equal(url, "https://pds.example/xrpc/app.bsky.feed.searchPosts?q=acme"
			    "&sort=latest&since=2024-05-14T08%3A30%3A00.000Z&limit=100");
	assert_string_equal(hdr, "Authorization: Bearer jwt");
	free(url);
	free(hdr);
	url = ht_build_url(sea, "{\"wm\":1715678458112,\"ids\":[\"" CAROL "\"],\"cursor\":\"2\"}",
			   "jwt", NOW, NULL);
	assert_string_equal(url, "https://pds.example/xrpc/app.bsky.feed.searchPosts?q=acme"
			    "&sort=latest&since=2024-05-14T09%3A20%3A58.112Z&limit=100&cursor=2");
	free(url);
	men->page_size = 25;
	url = ht_build_url(men, "{\"wm\":1,\"ids\":[],\"cursor\":\"2024-05-14T09:20:01.803Z\"}",
			   "jwt", NOW, NULL);
	assert_string_equal(url, "https://pds.example/xrpc/app.bsky.notification.listNotifications"
			    "?reasons=mention&reasons=reply&reasons=quote&limit=25"
			    "&cursor=2024-05-14T09%3A20%3A01.803Z");
	free(url);
	heed_source_free(sea);
	heed_source_free(men);
}

static void parses_search_posts(void **state)
{
	struct heed_source *src = mk_src("search", "acme.bsky.social");
	const struct heed_mention *m;
	struct heed_page page;
	(void)state;

	assert_int_equal(ht_parse_fixture(src, "{\"wm\":1715678000000,\"ids\":[]}",
					  "bluesky/search_posts.json", "bluesky/search_posts.headers",
					  NOW, &page), HEED_OK);
	assert_int_equal(page.n, 2);
	assert_int_equal(page.nbad, 0);
	m = &page.items[0];
	assert_string_equal(m->platform, "bluesky");
	assert_string_equal(m->external_id, CAROL);
	assert_string_equal(m->url, "https://bsky.app/profile/did:plc:4fkbjyvtoxvzr6kkjvbsfzxw"
			    "/post/3kslwqzbdeq2a");
	assert_string_equal(m->author_id, "did:plc:4fkbjyvtoxvzr6kkjvbsfzxw");
	assert_string_equal(m->author_handle, "carol.bsky.social");
	assert_string_equal(m->author_name, "Carol \xf0\x9f\x8c\xbf");
	assert_int_equal(m->author_followers, -1);	/* not in a profileViewBasic */
	assert_string_equal(m->text, "\xe2\x9c\xa8 great support, @acme.bsky.social thanks!");
	/* indexedAt, not the client's createdAt (09:20:58.112) */
	assert_int_equal(m->posted_at_ms, 1715678460517LL);
	assert_null(m->in_reply_to);
	assert_string_equal(m->thread_key, CAROL);
	assert_string_equal(m->lang, "en");
	/* the facet's bytes 19..36 (after a 3-byte sparkle) read the handle */
	assert_true(m->mentions_account);
	m = &page.items[1];
	assert_string_equal(m->in_reply_to, ROOT);
	assert_string_equal(m->thread_key, ROOT);
	assert_false(m->mentions_account);
	assert_true(page.more);
	/* the mark is the newest sortAt: the earlier of createdAt, indexedAt */
	assert_string_equal(page.cursor, "{\"cursor\":\"2\",\"ids\":[],\"new_ids\":[\"" CAROL "\"],"
			    "\"new_wm\":1715678458112,\"wm\":1715678000000}");
	heed_page_release(&page);
	heed_source_free(src);
}

static void facet_offsets_are_utf8_bytes(void **state)
{
	struct heed_source *src = mk_src("search", "@acme.bsky.social");
	struct heed_page page;
	const char *fmt = "{\"posts\":[{\"uri\":\"at://d/app.bsky.feed.post/r\",\"indexedAt\":"
		"\"2024-05-14T09:21:00Z\",\"author\":{\"did\":\"did:plc:x\",\"handle\":\"x\"},"
		"\"record\":{\"text\":\"\\u2728 great support, @acme.bsky.social thanks!\","
		"\"facets\":[{\"index\":{\"byteStart\":%d,\"byteEnd\":%d},\"features\":[{\"$type\":"
		"\"app.bsky.richtext.facet#mention\",\"did\":\"did:plc:other\"}]}]}}]}";
	char body[600];
	(void)state;

	snprintf(body, sizeof(body), fmt, 19, 36);
	assert_int_equal(ht_parse_body(src, "{}", body, NULL, NOW, &page), HEED_OK);
	assert_true(page.items[0].mentions_account);
	heed_page_release(&page);
	/* UTF-16 offsets (17..34) are off by the sparkle's extra bytes */
	snprintf(body, sizeof(body), fmt, 17, 34);
	assert_int_equal(ht_parse_body(src, "{}", body, NULL, NOW, &page), HEED_OK);
	assert_false(page.items[0].mentions_account);
	heed_page_release(&page);
	/* offsets past the text never read out of it */
	snprintf(body, sizeof(body), fmt, 40, 400);
	assert_int_equal(ht_parse_body(src, "{}", body, NULL, NOW, &page), HEED_OK);
	assert_false(page.items[0].mentions_account);
	heed_page_release(&page);
	heed_source_free(src);
	/* the account given as a DID matches the facet's did */
	src = mk_src("search", "did:plc:z72i7hdynmk6r22z27h6tvur");
	assert_int_equal(ht_parse_fixture(src, "{}", "bluesky/search_posts.json", NULL, NOW,
					  &page), HEED_OK);
	assert_true(page.items[0].mentions_account);
	heed_page_release(&page);
	heed_source_free(src);
}

static void parses_notifications(void **state)
{
	struct heed_source *src = mk_src("mentions", "did:plc:nobody");
	struct heed_page page;
	(void)state;

	assert_int_equal(ht_parse_fixture(src, "{\"wm\":1715678000000,\"ids\":[]}",
					  "bluesky/list_notifications.json", NULL, NOW, &page),
			 HEED_OK);
	assert_int_equal(page.n, 2);
	assert_string_equal(page.items[0].external_id, CAROL);
	assert_true(page.items[0].mentions_account);	/* reason: mention */
	assert_non_null(strstr(page.items[0].raw, "\"reason\":\"mention\""));
	assert_string_equal(page.items[1].external_id, DAN);
	assert_false(page.items[1].mentions_account);	/* a reply */
	assert_string_equal(page.items[1].thread_key, ROOT);
	assert_int_equal(page.items[1].posted_at_ms, 1715678401803LL);
	/* notifications are marked by indexedAt */
	assert_true(page.more);
	assert_string_equal(page.cursor, "{\"cursor\":\"2024-05-14T09:20:01.803Z\",\"ids\":[],"
			    "\"new_ids\":[\"" CAROL "\"],\"new_wm\":1715678460517,"
			    "\"wm\":1715678000000}");
	heed_page_release(&page);
	/* the watermark met: Carol's notification was stored last time */
	assert_int_equal(ht_parse_fixture(src, "{\"wm\":1715678460517,\"ids\":[\"" CAROL "\"]}",
					  "bluesky/list_notifications.json", NULL, NOW, &page),
			 HEED_OK);
	assert_int_equal(page.n, 0);
	assert_false(page.more);
	assert_string_equal(page.cursor, "{\"ids\":[\"" CAROL "\"],\"wm\":1715678460517}");
	heed_page_release(&page);
	heed_source_free(src);
}

static void bad_items_and_pages(void **state)
{
	struct heed_source *src = mk_src("mentions", NULL);
	struct heed_page page;
	(void)state;

	assert_int_equal(ht_parse_body(src, "{}", "{\"notifications\":["
				       "{\"uri\":\"at://a/app.bsky.feed.post/1\",\"reason\":\"like\","
				       "\"indexedAt\":\"2024-05-14T09:29:00Z\"},"
				       "{\"reason\":\"mention\",\"indexedAt\":\"2024-05-14T09:28:00Z\"},"
				       "{\"uri\":\"at://b/app.bsky.feed.post/2\",\"reason\":\"mention\"},"
				       "{\"uri\":\"at://c/app.bsky.feed.post/3\",\"reason\":\"reply\","
				       "\"indexedAt\":\"2024-05-14T09:27:00Z\",\"author\":{},"
				       "\"record\":{\"text\":\"x\"}},"
				       "{\"uri\":\"at://d/app.bsky.feed.post/4\",\"reason\":\"quote\","
				       "\"indexedAt\":\"2024-05-14T09:26:00Z\",\"author\":{\"did\":"
				       "\"did:plc:d\"},\"record\":{\"text\":\"a\\u0000b\"}},3]}",
				       NULL, NOW, &page), HEED_OK);
	assert_int_equal(page.n, 1);
	assert_string_equal(page.items[0].author_handle, "did:plc:d");	/* no handle */
	assert_string_equal(page.items[0].text, "ab");
	assert_int_equal(page.nbad, 4);
	assert_null(page.bad[0].id);
	assert_string_equal(page.bad[1].id, "at://b/app.bsky.feed.post/2");
	assert_string_equal(page.bad[2].id, "at://c/app.bsky.feed.post/3");
	assert_non_null(strstr(page.bad[2].reason, "DID"));
	heed_page_release(&page);
	{
		struct heed_http_resp resp;
		struct heed_err err;

		heed_err_clear(&err);
		ht_resp_fixture(&resp, "bluesky/error_403_forbidden.html", NULL);
		heed_page_init(&page);
		assert_int_equal(src->ops->parse(src, "{}", &resp, NOW, &page, &err), HEED_EPARSE);
		heed_http_resp_release(&resp);
	}
	assert_int_equal(ht_parse_body(src, "{}", "{\"posts\":[]}", NULL, NOW, &page), HEED_EPARSE);
	/* empty pages with a moving cursor: on, three times at most */
	assert_int_equal(ht_parse_body(src, "{\"wm\":1,\"ids\":[],\"cursor\":\"a\"}",
				       "{\"notifications\":[],\"cursor\":\"b\"}", NULL, NOW, &page),
			 HEED_OK);
	assert_true(page.more);
	assert_string_equal(page.cursor, "{\"cursor\":\"b\",\"empty\":1,\"ids\":[],\"wm\":1}");
	heed_page_release(&page);
	assert_int_equal(ht_parse_body(src, "{\"wm\":1,\"ids\":[],\"cursor\":\"b\",\"empty\":3}",
				       "{\"notifications\":[],\"cursor\":\"c\"}", NULL, NOW, &page),
			 HEED_OK);
	assert_false(page.more);
	assert_string_equal(page.cursor, "{\"ids\":[],\"wm\":1}");
	heed_page_release(&page);
	/* a cursor that stands still ends the sweep */
	assert_int_equal(ht_parse_body(src, "{\"wm\":1,\"ids\":[],\"cursor\":\"b\"}",
				       "{\"notifications\":[],\"cursor\":\"b\"}", NULL, NOW, &page),
			 HEED_OK);
	assert_false(page.more);
	heed_page_release(&page);
	heed_source_free(src);
}

static void session_state_and_expiry(void **state)
{
	char *body, *st, *exp;
	struct heed_err err;
	size_t len;
	(void)state;

	heed_err_clear(&err);
	assert_int_equal(heed_bluesky_auth_step(NULL, NOW), HEED_BLUESKY_CREATE);
	assert_int_equal(heed_bluesky_auth_step("not json", NOW), HEED_BLUESKY_CREATE);
	body = ht_fixture_read("bluesky/create_session.json", &len);
	st = heed_bluesky_session_state(body, len, &err);
	assert_non_null(st);
	assert_non_null(strstr(st, "\"did\":\"did:plc:z72i7hdynmk6r22z27h6tvur\""));
	assert_non_null(strstr(st, "\"handle\":\"acme.bsky.social\""));
	assert_null(strstr(st, "email"));
	free(body);
	{
		char *jwt = heed_collect_state_get(st, "accessJwt");

		assert_int_equal(heed_collect_jwt_exp_ms(jwt), 1715685200000LL);
		free(jwt);
	}
	/* access valid until 11:13:20: reuse it; refresh a minute before */
	assert_int_equal(heed_bluesky_auth_step(st, NOW), HEED_BLUESKY_REUSE);
	assert_int_equal(heed_bluesky_auth_step(st, 1715685200000LL - 61000), HEED_BLUESKY_REUSE);
	assert_int_equal(heed_bluesky_auth_step(st, 1715685200000LL - 59000), HEED_BLUESKY_REFRESH);
	assert_int_equal(heed_bluesky_auth_step(st, 1715685200000LL + 1), HEED_BLUESKY_REFRESH);
	/* a previous call got ExpiredToken: refresh even if exp says fine */
	exp = heed_collect_state_expire(st);
	assert_int_equal(heed_bluesky_auth_step(exp, NOW), HEED_BLUESKY_REFRESH);
	free(exp);
	/* the refresh token itself expired (Aug 2024): log in again */
	assert_int_equal(heed_bluesky_auth_step(st, 1723454000000LL), HEED_BLUESKY_CREATE);
	free(st);
	/* a refreshed session's refresh token has no exp: keep refreshing */
	body = ht_fixture_read("bluesky/refresh_session.json", &len);
	st = heed_bluesky_session_state(body, len, &err);
	assert_non_null(st);
	assert_int_equal(heed_bluesky_auth_step(st, 1715692400000LL), HEED_BLUESKY_REFRESH);
	assert_int_equal(heed_bluesky_auth_step(st, 1715685300000LL), HEED_BLUESKY_REUSE);
	free(st);
	free(body);
	/* an unreadable access token is refreshed, not trusted */
	assert_int_equal(heed_bluesky_auth_step("{\"accessJwt\":\"x.y.z\",\"refreshJwt\":\"r\"}",
						NOW), HEED_BLUESKY_REFRESH);
	assert_int_equal(heed_bluesky_auth_step("{\"accessJwt\":\"a\"}", NOW), HEED_BLUESKY_CREATE);
	/* error bodies are no session */
	body = ht_fixture_read("bluesky/error_expired_token.json", &len);
	assert_null(heed_bluesky_session_state(body, len, &err));
	assert_int_equal(err.code, HEED_EPARSE);
	free(body);
	assert_null(heed_bluesky_session_state("<html>", 6, &err));
	assert_int_equal(heed_collect_jwt_exp_ms("nodots"), -1);
	assert_int_equal(heed_collect_jwt_exp_ms("a.!!!.c"), -1);
	assert_int_equal(heed_collect_jwt_exp_ms("a.eyJleHAiOiJzb29uIn0.c"), -1);	/* "soon" */
	assert_null(heed_collect_state_expire("[]"));
	assert_null(heed_collect_state_expire(NULL));
}

/* ---- a searchPosts server, for sweeps ---- */

struct sim {
	int64_t created[64], indexed[64];
	size_t n;
};

static int64_t sort_at(const struct sim *s, size_t i)
{
	return s->created[i] < s->indexed[i] ? s->created[i] : s->indexed[i];
}

static void sim_add(struct sim *s, int64_t created, int64_t indexed)
{
	s->created[s->n] = created;
	s->indexed[s->n++] = indexed;
}

/* Newest sortAt first, since inclusive; the cursor "o<N>" is an offset,
 * as the AppView's search backend gives. */
static char *sim_serve(struct sim *s, const char *url)
{
	char *since = ht_url_param(url, "since", 0), *cur = ht_url_param(url, "cursor", 0);
	char *lim = ht_url_param(url, "limit", 0);
	size_t limit = (size_t)strtol(lim, NULL, 10), k = 0;
	size_t skip = cur ? (size_t)strtol(cur + 1, NULL, 10) : 0;
	size_t order[64], n = 0;
	json_t *posts = json_array(), *o;
	int64_t from;
	char *body;

	assert_int_equal(heed_time_parse_iso8601(since, &from), HEED_OK);
	for (size_t i = 0; i < s->n; i++)
		if (sort_at(s, i) >= from)
			order[n++] = i;
	for (size_t a = 0; a < n; a++)	/* newest first */
		for (size_t b = a + 1; b < n; b++)
			if (sort_at(s, order[b]) > sort_at(s, order[a])) {
				size_t t = order[a];

				order[a] = order[b];
				order[b] = t;
			}
	for (k = skip; k < n && k < skip + limit; k++) {
		size_t i = order[k];
		char uri[64], ca[HEED_TIME_ISO8601_SIZE], ia[HEED_TIME_ISO8601_SIZE];

		snprintf(uri, sizeof(uri), "at://did:plc:u/app.bsky.feed.post/%zu", i);
		heed_time_format_iso8601(s->created[i], ca, sizeof(ca));
		heed_time_format_iso8601(s->indexed[i], ia, sizeof(ia));
		json_array_append_new(posts, json_pack("{s:s, s:s, s:{s:s, s:s}, s:{s:s, s:s}}",
			"uri", uri, "indexedAt", ia, "author", "did", "did:plc:u", "handle", "u",
			"record", "text", "acme", "createdAt", ca));
	}
	o = json_pack("{s:o}", "posts", posts);
	if (k < n) {
		char c[32];

		snprintf(c, sizeof(c), "o%zu", k);
		json_object_set_new(o, "cursor", json_string(c));
	}
	body = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	free(since);
	free(cur);
	free(lim);
	return body;
}

static void sweep(struct sim *s, const struct heed_source *src, char **c,
		  unsigned char *got, unsigned stop_after)
{
	unsigned pages = 0;
	bool more;

	do {
		char *url = ht_build_url(src, *c, "jwt", NOW, NULL), *body = sim_serve(s, url);
		struct heed_page page;

		assert_int_equal(ht_parse_body(src, *c, body, NULL, NOW, &page), HEED_OK);
		for (size_t i = 0; i < page.n; i++)
			got[strtol(strrchr(page.items[i].external_id, '/') + 1, NULL, 10)]++;
		more = page.more;
		free(*c);
		*c = page.cursor;
		page.cursor = NULL;
		heed_page_release(&page);
		free(url);
		free(body);
	} while (more && ++pages != stop_after);
}

static void sweep_interrupted_and_resumed(void **state)
{
	struct heed_source *src = mk_src("search", NULL);
	unsigned char got[64] = { 0 }, before[64];
	struct sim s = { .n = 0 };
	char *c = xstrdup("{}");
	(void)state;

	src->page_size = 4;
	sim_add(&s, NOW - 7200000, NOW - 7200000);		/* 0: too old */
	for (int i = 0; i < 12; i++)				/* 1..12 */
		sim_add(&s, NOW - 3000000 + i * 1000, NOW - 3000000 + i * 1000 + 500);
	sim_add(&s, NOW + 86400000, NOW - 2000000);		/* 13: createdAt ahead */
	sim_add(&s, NOW - 2500000, NOW - 2500000);		/* 14: ties with 15 */
	sim_add(&s, NOW - 2500000, NOW - 2500000);		/* 15 */
	sweep(&s, src, &c, got, 2);
	/* arrivals during the sweep, one of them at a tied instant */
	sim_add(&s, NOW - 100, NOW);				/* 16 */
	sim_add(&s, NOW - 2000000, NOW - 2000000);		/* 17: ties with 13 */
	sweep(&s, src, &c, got, 0);
	/* nothing lost; the cursor is an offset, so arrivals at the top can
	 * show an item twice (a duplicate the database drops), never skip one */
	for (size_t i = 1; i <= 15; i++)
		assert_true(got[i] >= 1);
	assert_int_equal(got[0], 0);
	assert_int_equal(got[16], 0);
	assert_int_equal(got[17], 0);
	/* the mark is 13's sortAt (indexedAt: its createdAt is ahead) */
	assert_string_equal(c, "{\"ids\":[\"at://did:plc:u/app.bsky.feed.post/13\"],"
			    "\"wm\":1715677000000}");
	memcpy(before, got, sizeof(got));
	sweep(&s, src, &c, got, 0);
	assert_int_equal(got[16], 1);
	assert_int_equal(got[17], 1);	/* same instant as 13, not among the ids */
	for (size_t i = 0; i <= 15; i++)
		assert_int_equal(got[i], before[i]);	/* nothing again */
	free(c);
	heed_source_free(src);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(builds_requests),
		cmocka_unit_test(parses_search_posts),
		cmocka_unit_test(facet_offsets_are_utf8_bytes),
		cmocka_unit_test(parses_notifications),
		cmocka_unit_test(bad_items_and_pages),
		cmocka_unit_test(session_state_and_expiry),
		cmocka_unit_test(sweep_interrupted_and_resumed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
