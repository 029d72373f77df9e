/* test_jsonout.c: lib/jsonout.c writes what jansson's json_dumps writes,
 * byte for byte: every recorded platform page, random trees of every type
 * (strings with quotes, controls, NULs and non-ASCII; reals near every
 * formatting edge, at 17 and at 10 digits), and the failures (strings that
 * are not UTF-8) where jansson fails too. */
#include <dirent.h>
#include <math.h>
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
#include "heed/jsonout.h"
#include "heed/xalloc.h"
#include "support.h"

/* Both writers on v; fails the test when they differ. */
static void same(const json_t *v, int precision)
{
	char *want = json_dumps(v, JSON_COMPACT | JSON_REAL_PRECISION(precision));
	struct heed_buf b;
	int rc;

	heed_buf_init(&b, 0);
	rc = heed_jsonout_value(&b, v, precision);
	if (!want) {
		assert_int_equal(rc, HEED_EINVAL);
	} else {
		assert_int_equal(rc, HEED_OK);
		if (strcmp(heed_buf_str(&b), want))
			fail_msg("\n got %.300s\nwant %.300s", heed_buf_str(&b), want);
	}
	free(want);
	heed_buf_release(&b);
}

static void recorded_pages(void **state)
{
	static const char *const dirs[] = { "bluesky", "hn", "mastodon", "reddit", "x" };
	size_t files = 0;
	(void)state;

	for (size_t d = 0; d < sizeof(dirs) / sizeof(*dirs); d++) {
		char *path = xasprintf("%s/tests/fixtures/%s", ht_srcdir(), dirs[d]);
		DIR *dir = opendir(path);
		struct dirent *e;

		assert_non_null(dir);
		while ((e = readdir(dir))) {
			size_t n = strlen(e->d_name);
			char *file;
			json_t *v;

			if (n < 5 || strcmp(e->d_name + n - 5, ".json"))
				continue;
			file = xasprintf("%s/%s", path, e->d_name);
			v = json_load_file(file, JSON_ALLOW_NUL | JSON_DECODE_ANY, NULL);
			if (v) {
				same(v, 0);
				files++;
			}
			json_decref(v);
			free(file);
		}
		closedir(dir);
		free(path);
	}
	assert_true(files >= 20);
}

static unsigned rnd(unsigned *seed, unsigned n)
{
	*seed = *seed * 1103515245u + 12345u;
	return (*seed >> 8) % n;
}

static double random_real(unsigned *seed)
{
	static const double edge[] = {
		0.0, -0.0, 1.0, -5.0, 0.1, 1.7000000476837158, 1e-5, 1e-10, 1e20,
		1e21, 1e22, 1e100, 1e-300, 5e-324, 1.7976931348623157e308,
		123456789012345678.0, 0.30000000000000004, 2.5e-7, 99999999999.0,
	};

	switch (rnd(seed, 3)) {
	case 0:
		return edge[rnd(seed, sizeof(edge) / sizeof(*edge))];
	case 1:
		return ((double)rnd(seed, 2000001) - 1000000.0) / (double)(1 + rnd(seed, 100000));
	default:
		return ldexp((double)rnd(seed, 1u << 30), (int)rnd(seed, 200) - 100) *
		       (rnd(seed, 2) ? 1 : -1);
	}
}

static json_t *random_string(unsigned *seed)
{
	static const char *const parts[] = {
		"plain", "\"", "\\", "/", "\b\f\n\r\t", "\x01\x1f\x7f", "caf\xc3\xa9",
		"\xe2\x82\xac", "\xf0\x9f\x98\x80", " ", "{}[],:",
	};
	char buf[256];
	size_t n = 0, k = rnd(seed, 6);

	for (size_t i = 0; i < k; i++) {
		const char *p = parts[rnd(seed, sizeof(parts) / sizeof(*parts))];

		memcpy(buf + n, p, strlen(p));
		n += strlen(p);
	}
	if (rnd(seed, 8) == 0)
		buf[n++] = '\0';	/* a NUL inside, as \u0000 decodes */
	return json_stringn(buf, n);
}

static json_t *random_value(unsigned *seed, unsigned depth)
{
	unsigned kind = rnd(seed, depth > 4 ? 6 : 8);
	json_t *v;

	switch (kind) {
	case 0: return json_null();
	case 1: return json_boolean(rnd(seed, 2));
	case 2: return json_integer((json_int_t)rnd(seed, 100000) * (rnd(seed, 2) ? 1 : -1) *
				    (rnd(seed, 10) ? 1 : 92233720368547LL));
	case 3: return json_real(random_real(seed));
	case 4: case 5: return random_string(seed);
	case 6:
		v = json_array();
		for (unsigned i = rnd(seed, 5); i > 0; i--)
			json_array_append_new(v, random_value(seed, depth + 1));
		return v;
	default:
		v = json_object();
		for (unsigned i = rnd(seed, 5); i > 0; i--) {
			json_t *k = random_string(seed);

			json_object_setn_new(v, json_string_value(k), json_string_length(k),
					     random_value(seed, depth + 1));
			json_decref(k);
		}
		return v;
	}
}

static void random_trees(void **state)
{
	unsigned seed = 42;
	(void)state;

	for (int i = 0; i < 3000; i++) {
		json_t *v = json_array();

		json_array_append_new(v, random_value(&seed, 0));
		same(v, 0);
		same(v, 10);
		json_decref(v);
	}
}

static void not_utf8_fails_as_in_jansson(void **state)
{
	static const char *const bad[] = { "\xff", "a\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe2\x82" };
	(void)state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		json_t *v = json_array();

		json_array_append_new(v, json_stringn_nocheck(bad[i], strlen(bad[i])));
		same(v, 0);
		json_decref(v);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(recorded_pages),
		cmocka_unit_test(random_trees),
		cmocka_unit_test(not_utf8_fails_as_in_jansson),
	};
	return cmocka_run_group_tests_name("jsonout", tests, NULL, NULL);
}
