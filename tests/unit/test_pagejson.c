/* test_pagejson.c: the page JSON that heed_ingest_page() takes, written by
 * hand in collectors/pagejson.c: it must mean exactly what the jansson
 * version it replaced produced (reference below), escape every string, and
 * nest raw and reasons texts only when the database's jsonb will take them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "heed/buf.h"
#include "heed/clock.h"
#include "heed/source.h"
#include "heed/xalloc.h"
#include "../../collectors/store.h"

/* ---- the jansson version (store.c before 0006), as the reference ---- */

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *ref_mention(const struct heed_mention *m)
{
	json_t *o = json_object(), *a = json_object(), *topics = json_array();
	char when[40];

	json_object_set_new(a, "id", json_string(m->author_id));
	json_object_set_new(a, "handle", str_or_null(m->author_handle));
	json_object_set_new(a, "name", str_or_null(m->author_name));
	json_object_set_new(a, "followers", json_integer(m->author_followers));
	json_object_set_new(o, "author", a);
	json_object_set_new(o, "external_id", json_string(m->external_id));
	json_object_set_new(o, "url", str_or_null(m->url));
	json_object_set_new(o, "text", json_string(m->text ? m->text : ""));
	json_object_set_new(o, "raw", m->raw ? json_loads(m->raw, 0, NULL) : json_null());
	if (!json_object_get(o, "raw"))
		json_object_set_new(o, "raw", json_null());
	json_object_set_new(o, "posted_at",
			    json_string(heed_time_format_iso8601(m->posted_at_ms, when,
								 sizeof(when))));
	json_object_set_new(o, "in_reply_to", str_or_null(m->in_reply_to));
	json_object_set_new(o, "thread_key",
			    json_string(m->thread_key ? m->thread_key : m->external_id));
	json_object_set_new(o, "lang", str_or_null(m->lang));
	json_object_set_new(o, "is_own", json_boolean(m->is_own));
	json_object_set_new(o, "mentions_account", json_boolean(m->mentions_account));
	if (m->classified) {
		json_object_set_new(o, "sentiment", json_real(m->sentiment));
		json_object_set_new(o, "sentiment_label", json_string(m->sentiment_label));
		json_object_set_new(o, "urgency", json_integer(m->urgency));
		json_object_set_new(o, "urgency_level", json_string(m->urgency_level));
		for (size_t i = 0; m->topics && m->topics[i]; i++)
			json_array_append_new(topics, json_string(m->topics[i]));
		json_object_set_new(o, "reasons", m->reasons_json
				    ? json_loads(m->reasons_json, 0, NULL) : json_null());
		if (!json_object_get(o, "reasons"))
			json_object_set_new(o, "reasons", json_null());
		json_object_set_new(o, "needs_reply_reason", str_or_null(m->needs_reply_reason));
		json_object_set_new(o, "is_spam", json_boolean(m->is_spam));
	}
	json_object_set_new(o, "topics", topics);
	json_object_set_new(o, "needs_reply",
			    json_boolean(m->needs_reply && !m->is_own && !m->is_spam));
	return o;
}

/* Numbers compare by value: the reference holds reals, the parse of our
 * text may hold the integer 0 for "0". */
static bool same(json_t *a, json_t *b)
{
	if (json_is_number(a) && json_is_number(b))
		return json_number_value(a) == json_number_value(b);
	if (json_is_object(a) && json_is_object(b)) {
		const char *k;
		json_t *v;

		if (json_object_size(a) != json_object_size(b))
			return false;
		json_object_foreach(a, k, v)
			if (!same(v, json_object_get(b, k)))
				return false;
		return true;
	}
	if (json_is_array(a) && json_is_array(b)) {
		if (json_array_size(a) != json_array_size(b))
			return false;
		for (size_t i = 0; i < json_array_size(a); i++)
			if (!same(json_array_get(a, i), json_array_get(b, i)))
				return false;
		return true;
	}
	return json_equal(a, b);
}

static char *topics_a[] = { "delivery", "billing \"x\"", NULL };

static void fill(struct heed_mention *m, int variant)
{
	heed_mention_init(m);
	m->platform = "x";
	m->external_id = xstrdup(variant ? "1790000000000000002" : "t3_abc");
	m->author_id = xstrdup("a1");
	m->author_handle = xstrdup("@user\\one");
	m->posted_at_ms = 1715679000123LL;
	m->text = xstrdup("line\none\ttab \"quoted\" \xc3\xa9\xe2\x9c\xa8 \x01 ctl");
	if (variant == 0) {
		m->url = xstrdup("https://example.com/p?q=1&r=</script>");
		m->author_name = xstrdup("Ann \xf0\x9f\x98\x80");
		m->author_followers = 1234;
		m->raw = xstrdup("{\"id\":\"t3_abc\",\"n\":[1,-2.5e3,true,null],\"s\":\"\\u00e9\\ud83d\\ude00\"}");
		m->in_reply_to = xstrdup("t3_root");
		m->thread_key = xstrdup("t3_root");
		m->lang = xstrdup("en");
		m->mentions_account = true;
		m->classified = true;
		m->sentiment = -0.4767;
		m->sentiment_label = "negative";
		m->urgency = 80;
		m->urgency_level = "high";
		m->topics = xcalloc(3, sizeof(char *));
		m->topics[0] = xstrdup(topics_a[0]);
		m->topics[1] = xstrdup(topics_a[1]);
		m->reasons_json = xstrdup("[{\"kind\":\"rule\",\"value\":5.0,\"span\":[0,4]}]");
		m->needs_reply = true;
		m->needs_reply_reason = xstrdup("yes: a question");
	} else if (variant == 1) {
		m->is_own = true;
		m->needs_reply = true;	/* never stored as needing a reply */
		m->classified = true;
		m->sentiment = 0;
		m->sentiment_label = "neutral";
		m->urgency = 0;
		m->urgency_level = "low";
		m->is_spam = true;
	}
}

static void items_match_the_jansson_version(void **state)
{
	struct heed_mention ms[3];
	struct heed_page page = { 0 };
	json_t *ref = json_array(), *got;
	json_error_t jerr;
	char *text;
	(void)state;

	for (int i = 0; i < 3; i++) {
		fill(&ms[i], i);
		json_array_append_new(ref, ref_mention(&ms[i]));
	}
	page.items = ms;
	page.n = 3;
	text = store_page_items_json(&page);
	got = json_loads(text, 0, &jerr);
	if (!got)
		fail_msg("not JSON: %s: %s", jerr.text, text);
	assert_true(same(ref, got));
	json_decref(got);
	json_decref(ref);
	free(text);
	for (int i = 0; i < 3; i++)
		heed_mention_release(&ms[i]);
}

static void empty_page_and_bad_items(void **state)
{
	struct heed_bad_item bad[2] = { { "t1_x", "truncated \"item\"" }, { NULL, "no id" } };
	struct heed_page page = { 0 };
	char *text;
	(void)state;

	text = store_page_items_json(&page);
	assert_string_equal(text, "[]");
	free(text);
	text = store_page_bad_json(&page);
	assert_string_equal(text, "[]");
	free(text);
	page.bad = bad;
	page.nbad = 2;
	text = store_page_bad_json(&page);
	assert_string_equal(text, "[{\"id\":\"t1_x\",\"reason\":\"truncated \\\"item\\\"\"},"
			    "{\"id\":null,\"reason\":\"no id\"}]");
	free(text);
}

/* Bytes that are not UTF-8 become U+FFFD, so the page stays one the
 * database accepts; control characters are escaped. */
static void strings_escaped_and_made_utf8(void **state)
{
	struct heed_mention m;
	struct heed_page page = { 0 };
	json_t *got;
	char *text;
	(void)state;

	heed_mention_init(&m);
	m.external_id = xstrdup("1");
	m.author_id = xstrdup("a");
	m.author_handle = xstrdup("h");
	/* stray continuation byte, overlong '/', a surrogate, cut sequence */
	m.text = xstrdup("a\x80" "b\xc0\xaf" "c\xed\xa0\x80" "d\x1f\x7f\xe2\x9c");
	page.items = &m;
	page.n = 1;
	text = store_page_items_json(&page);
	assert_non_null(strstr(text, "\"text\":\"a\xef\xbf\xbd" "b\xef\xbf\xbd\xef\xbf\xbd"
				     "c\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
				     "d\\u001f\x7f\xef\xbf\xbd\xef\xbf\xbd\""));
	got = json_loads(text, 0, NULL);
	assert_non_null(got);
	json_decref(got);
	free(text);
	heed_mention_release(&m);
}

static void raw_that_jsonb_refuses_goes_in_as_null(void **state)
{
	static const char *const refused[] = {
		"{\"a\":\"\\u0000\"}", "[\"\\ud800\"]", "[\"\\udc00\\ud800\"]",
		"{\"a\":1", "{\"a\":1}x", "[01]", "[1.]", "[-]", "[1e]", "[.5]",
		"{a:1}", "[\"\x01\"]", "[\"\xc3\"]", "[\"\xff\"]", "[tru]", "",
		"[1,]", "{\"a\":1,}", "[\"\\x\"]", "[\"\\u12g4\"]", "{\"a\" 1}",
	};
	static const char *const taken[] = {
		"{}", "[]", " [ 1 , -0.5e+3 , 2E-2, 0, -0 ] ", "\"s\"", "true",
		"null", "{\"a\":{\"b\":[{\"c\":\"\\ud83d\\ude00 \\\" \\\\ \\/ \\n\"}]}}",
		"[\"\xe2\x9c\xa8 \xf0\x9f\x98\x80\"]", "123",
	};
	struct heed_buf deep;
	char *text;
	struct heed_mention m;
	struct heed_page page = { 0 };
	(void)state;

	for (size_t i = 0; i < sizeof(refused) / sizeof(*refused); i++)
		if (store_json_ok(refused[i]))
			fail_msg("took '%s'", refused[i]);
	for (size_t i = 0; i < sizeof(taken) / sizeof(*taken); i++)
		if (!store_json_ok(taken[i]))
			fail_msg("refused '%s'", taken[i]);
	assert_false(store_json_ok(NULL));
	heed_buf_init(&deep, 0);
	for (int i = 0; i < 600; i++)
		assert_int_equal(heed_buf_addc(&deep, '['), HEED_OK);
	for (int i = 0; i < 600; i++)
		assert_int_equal(heed_buf_addc(&deep, ']'), HEED_OK);
	assert_false(store_json_ok(heed_buf_str(&deep)));
	heed_buf_truncate(&deep, 200);
	for (int i = 0; i < 200; i++)
		assert_int_equal(heed_buf_addc(&deep, ']'), HEED_OK);
	assert_true(store_json_ok(heed_buf_str(&deep)));
	heed_buf_release(&deep);

	heed_mention_init(&m);
	m.external_id = xstrdup("1");
	m.author_id = xstrdup("a");
	m.author_handle = xstrdup("h");
	m.raw = xstrdup("{\"a\":\"\\u0000\"}");
	page.items = &m;
	page.n = 1;
	text = store_page_items_json(&page);
	assert_non_null(strstr(text, "\"raw\":null"));
	free(text);
	heed_mention_release(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(items_match_the_jansson_version),
		cmocka_unit_test(empty_page_and_bad_items),
		cmocka_unit_test(strings_escaped_and_made_utf8),
		cmocka_unit_test(raw_that_jsonb_refuses_goes_in_as_null),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
