/* test_json.c: capped parsing with located errors, and getters that survive
 * missing keys, wrong types and NULL objects. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "heed/json.h"

static json_t *parse_ok(const char *text)
{
	struct heed_err err;
	json_t *root;

	heed_err_clear(&err);
	root = heed_json_parse(text, strlen(text), 0, &err);
	if (!root)
		fail_msg("parse failed: %s", heed_err_msg(&err));
	return root;
}

static void parse_reports_line_and_column(void **state)
{
	const char *text = "{\n  \"a\": 1,\n  \"b\": tru\n}";
	struct heed_err err;
	(void)state;

	heed_err_clear(&err);
	assert_null(heed_json_parse(text, strlen(text), 0, &err));
	assert_int_equal(err.code, HEED_EPARSE);
	assert_non_null(strstr(err.msg, "line 3 column "));
	/* the offending token is not quoted back */
	assert_null(strstr(err.msg, "tru"));

	heed_err_clear(&err);
	assert_null(heed_json_parse("{\"a\": [1, 2", 11, 0, &err));
	assert_int_equal(err.code, HEED_EPARSE);
	assert_non_null(strstr(err.msg, "line 1 column "));
	assert_non_null(strstr(err.msg, "end of file"));

	/* a scalar is not a page */
	heed_err_clear(&err);
	assert_null(heed_json_parse("42", 2, 0, &err));
	assert_int_equal(err.code, HEED_EPARSE);

	/* empty input and a NULL err pointer do not crash */
	assert_null(heed_json_parse("", 0, 0, NULL));
	assert_null(heed_json_parse(NULL, 0, 0, NULL));
}

static void parse_says_invalid_utf8(void **state)
{
	/* 0xff never occurs in UTF-8; 0xc3 0x28 is a broken sequence */
	const char bad1[] = "{\"text\": \"caf\xff\"}";
	const char bad2[] = "[\"ok\",\n \"\xc3\x28\"]";
	struct heed_err err;
	(void)state;

	heed_err_clear(&err);
	assert_null(heed_json_parse(bad1, sizeof(bad1) - 1, 0, &err));
	assert_int_equal(err.code, HEED_EPARSE);
	assert_non_null(strstr(err.msg, "invalid UTF-8"));
	assert_non_null(strstr(err.msg, "line 1 column "));

	heed_err_clear(&err);
	assert_null(heed_json_parse(bad2, sizeof(bad2) - 1, 0, &err));
	assert_int_equal(err.code, HEED_EPARSE);
	assert_non_null(strstr(err.msg, "invalid UTF-8"));
	assert_non_null(strstr(err.msg, "line 2 "));
}

static void parse_honours_cap_and_length(void **state)
{
	const char *text = "{\"k\": \"0123456789\"}";	/* 19 bytes */
	struct heed_err err;
	json_t *root;
	(void)state;

	heed_err_clear(&err);
	assert_null(heed_json_parse(text, strlen(text), 18, &err));
	assert_int_equal(err.code, HEED_ETOOBIG);

	root = heed_json_parse(text, strlen(text), 19, &err);
	assert_non_null(root);
	assert_string_equal(heed_json_str(root, "k"), "0123456789");
	json_decref(root);

	/* only len bytes are read: the trailing garbage is outside */
	root = heed_json_parse("[1]garbage", 3, 0, &err);
	assert_non_null(root);
	assert_int_equal(json_array_size(root), 1);
	json_decref(root);

	/* and what is inside len must all be JSON */
	heed_err_clear(&err);
	assert_null(heed_json_parse("[1]x", 4, 0, &err));
	assert_int_equal(err.code, HEED_EPARSE);
}

static void getters_return_typed_values(void **state)
{
	json_t *o = parse_ok("{\"s\": \"héllo\", \"i\": -9007199254740993,"
			     " \"r\": 2.5, \"t\": true, \"f\": false,"
			     " \"o\": {\"x\": 1}, \"a\": [1, 2], \"n\": null,"
			     " \"big\": 9223372036854775807, \"z\": 0}");
	bool found = false;
	(void)state;

	assert_string_equal(heed_json_str(o, "s"), "héllo");
	assert_int_equal(heed_json_int(o, "i", 0, &found),
			 -9007199254740993LL);
	assert_true(found);
	assert_int_equal(heed_json_int(o, "big", 0, NULL), INT64_MAX);
	assert_int_equal(heed_json_int(o, "z", 7, &found), 0);
	assert_true(found);
	assert_true(heed_json_number(o, "r", 0, &found) == 2.5);
	assert_true(found);
	assert_true(heed_json_number(o, "z", 1, &found) == 0.0);
	assert_true(found);
	assert_true(heed_json_number(o, "i", 0, NULL) ==
		    (double)-9007199254740993LL);
	assert_true(heed_json_bool(o, "t", false, &found));
	assert_true(found);
	assert_false(heed_json_bool(o, "f", true, &found));
	assert_true(found);
	assert_non_null(heed_json_obj(o, "o"));
	assert_int_equal(heed_json_int(heed_json_obj(o, "o"), "x", 0, NULL),
			 1);
	assert_int_equal(json_array_size(heed_json_arr(o, "a")), 2);
	json_decref(o);
}

static void getters_survive_wrong_types_and_missing_keys(void **state)
{
	json_t *o = parse_ok("{\"s\": \"text\", \"i\": 3, \"r\": 3.0,"
			     " \"t\": true, \"n\": null, \"o\": {},"
			     " \"a\": [], \"num_str\": \"3\"}");
	static const char *const keys[] = { "s", "i", "r", "t", "n", "o", "a",
					    "num_str", "missing" };
	bool found = true;
	(void)state;

	/* each getter refuses every key of another type */
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const char *k = keys[i];

		if (strcmp(k, "s") && strcmp(k, "num_str"))
			assert_null(heed_json_str(o, k));
		if (strcmp(k, "i")) {
			assert_int_equal(heed_json_int(o, k, -1, &found), -1);
			assert_false(found);
		}
		if (strcmp(k, "i") && strcmp(k, "r")) {
			assert_true(heed_json_number(o, k, -1, &found) == -1);
			assert_false(found);
		}
		if (strcmp(k, "t")) {
			assert_false(heed_json_bool(o, k, false, &found));
			assert_false(found);
		}
		if (strcmp(k, "o"))
			assert_null(heed_json_obj(o, k));
		if (strcmp(k, "a"))
			assert_null(heed_json_arr(o, k));
	}

	/* a NULL or non-object container is just a missing key */
	assert_null(heed_json_str(NULL, "s"));
	assert_int_equal(heed_json_int(NULL, "i", 5, &found), 5);
	assert_false(found);
	assert_null(heed_json_str(heed_json_arr(o, "a"), "s"));
	assert_null(heed_json_obj(heed_json_obj(o, "missing"), "deeper"));
	assert_true(heed_json_bool(json_object_get(o, "s"), "x", true, NULL));
	json_decref(o);
}

static void getters_with_null_key_read_the_value_itself(void **state)
{
	json_t *a = parse_ok("[\"x\", 7, true, 1.5]");
	(void)state;

	assert_string_equal(heed_json_str(json_array_get(a, 0), NULL), "x");
	assert_int_equal(heed_json_int(json_array_get(a, 1), NULL, 0, NULL),
			 7);
	assert_true(heed_json_bool(json_array_get(a, 2), NULL, false, NULL));
	assert_true(heed_json_number(json_array_get(a, 3), NULL, 0, NULL) ==
		    1.5);
	assert_null(heed_json_str(json_array_get(a, 1), NULL));
	assert_null(heed_json_str(json_array_get(a, 9), NULL));
	assert_non_null(heed_json_arr(a, NULL));
	json_decref(a);
}

static void str_refuses_embedded_nul(void **state)
{
	json_t *o = parse_ok("{\"id\": \"12\\u00003\", \"ok\": \"a\"}");
	char buf[16];
	(void)state;

	assert_null(heed_json_str(o, "id"));
	assert_null(heed_json_str_or_num(o, "id", buf, sizeof(buf)));
	assert_string_equal(buf, "");
	assert_string_equal(heed_json_str(o, "ok"), "a");
	json_decref(o);
}

static void str_or_num_normalises_ids(void **state)
{
	json_t *o = parse_ok("{\"s\": \"1302473461834612736\","
			     " \"i\": 1302473461834612736, \"neg\": -5,"
			     " \"r\": 1.0e3, \"b\": true, \"n\": null,"
			     " \"o\": {}, \"e\": \"\"}");
	char buf[32], tiny[4];
	(void)state;

	assert_string_equal(heed_json_str_or_num(o, "s", buf, sizeof(buf)),
			    "1302473461834612736");
	assert_ptr_equal(heed_json_str_or_num(o, "i", buf, sizeof(buf)), buf);
	assert_string_equal(buf, "1302473461834612736");
	assert_string_equal(heed_json_str_or_num(o, "neg", buf, sizeof(buf)),
			    "-5");
	assert_string_equal(heed_json_str_or_num(o, "e", buf, sizeof(buf)),
			    "");
	assert_null(heed_json_str_or_num(o, "r", buf, sizeof(buf)));
	assert_null(heed_json_str_or_num(o, "b", buf, sizeof(buf)));
	assert_null(heed_json_str_or_num(o, "n", buf, sizeof(buf)));
	assert_null(heed_json_str_or_num(o, "o", buf, sizeof(buf)));
	assert_null(heed_json_str_or_num(o, "missing", buf, sizeof(buf)));
	assert_string_equal(buf, "");
	assert_null(heed_json_str_or_num(NULL, "s", buf, sizeof(buf)));

	/* does not fit: refused, and tiny stays a valid empty string */
	memset(tiny, 'x', sizeof(tiny));
	assert_null(heed_json_str_or_num(o, "s", tiny, sizeof(tiny)));
	assert_string_equal(tiny, "");
	memset(tiny, 'x', sizeof(tiny));
	assert_null(heed_json_str_or_num(o, "i", tiny, sizeof(tiny)));
	assert_string_equal(tiny, "");
	assert_string_equal(heed_json_str_or_num(o, "neg", tiny, sizeof(tiny)),
			    "-5");
	assert_null(heed_json_str_or_num(o, "s", tiny, 0));
	json_decref(o);
}

static void path_walks_objects_and_arrays(void **state)
{
	json_t *root = parse_ok(
		"{\"data\": {\"after\": \"t3_x\", \"children\": ["
		"{\"kind\": \"t3\", \"data\": {\"id\": \"a1\"}},"
		"{\"kind\": \"t1\", \"data\": {\"id\": \"b2\", \"n\": [[0, 1], [2]]}}"
		"]}, \"items\": [{\"id\": 11}], \"\": {\"e\": 1}}");
	(void)state;

	assert_ptr_equal(heed_json_path(root, ""), root);
	assert_string_equal(heed_json_str(heed_json_path(root, "data"),
					  "after"), "t3_x");
	assert_int_equal(json_array_size(heed_json_path(root,
							"data.children")), 2);
	assert_string_equal(heed_json_str(heed_json_path(root,
				"data.children[1].data"), "id"), "b2");
	assert_string_equal(heed_json_str(heed_json_path(root,
				"data.children[0].data.id"), NULL), "a1");
	assert_int_equal(heed_json_int(heed_json_path(root,
				"data.children[1].data.n[0][1]"), NULL, -1,
				NULL), 1);
	assert_int_equal(heed_json_int(heed_json_path(root, "items[0].id"),
				       NULL, 0, NULL), 11);
	assert_int_equal(heed_json_int(heed_json_path(
				heed_json_path(root, "items"), "[0].id"),
				NULL, 0, NULL), 11);

	/* missing steps and wrong types give NULL */
	assert_null(heed_json_path(root, "data.nope"));
	assert_null(heed_json_path(root, "data.children[2]"));
	assert_null(heed_json_path(root, "data.after.x"));
	assert_null(heed_json_path(root, "data[0]"));
	assert_null(heed_json_path(root, "items.id"));
	assert_null(heed_json_path(NULL, "data"));
	assert_null(heed_json_path(root, NULL));

	/* malformed paths give NULL, never a partial walk */
	static const char *const bad[] = {
		".data", "data.", "data..after", "data.[0]", "items[",
		"items[]", "items[x]", "items[0", "items[-1]", "items[0]id", "items[0]]",
		"items[1234567890]", "data.children[0]x",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (heed_json_path(root, bad[i]))
			fail_msg("path '%s' should not resolve", bad[i]);
	json_decref(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_reports_line_and_column),
		cmocka_unit_test(parse_says_invalid_utf8),
		cmocka_unit_test(parse_honours_cap_and_length),
		cmocka_unit_test(getters_return_typed_values),
		cmocka_unit_test(getters_survive_wrong_types_and_missing_keys),
		cmocka_unit_test(getters_with_null_key_read_the_value_itself),
		cmocka_unit_test(str_refuses_embedded_nul),
		cmocka_unit_test(str_or_num_normalises_ids),
		cmocka_unit_test(path_walks_objects_and_arrays),
	};
	return cmocka_run_group_tests_name("json", tests, NULL, NULL);
}
