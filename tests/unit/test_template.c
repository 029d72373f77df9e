/* test_template.c: reply templates: placeholder syntax, filling, and the
 * rule that a missing or empty variable is an error, never a hole. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "heed/template.h"

static const struct heed_template_var vars[] = {
	{ "author", "@carol" }, { "agent", "Alice" }, { "brand", "Acme" },
	{ "case", "42" },
};
#define NVARS (sizeof(vars) / sizeof(vars[0]))

static void render_ok(const char *body, const char *want)
{
	struct heed_err err;
	char *out = NULL;

	heed_err_clear(&err);
	if (heed_template_render(body, vars, NVARS, &out, &err))
		fail_msg("render '%s': %s", body, heed_err_msg(&err));
	assert_string_equal(out, want);
	free(out);
}

static void render_fails(const struct heed_template_var *v, size_t n,
			 const char *body, int code, const char *msg)
{
	struct heed_err err;
	char *out = (char *)"untouched";

	heed_err_clear(&err);
	assert_int_equal(heed_template_render(body, v, n, &out, &err), code);
	assert_null(out);
	if (!strstr(err.msg, msg))
		fail_msg("'%s': message '%s' lacks '%s'", body, err.msg, msg);
}

static void fills_every_known_variable(void **state)
{
	(void)state;
	render_ok("Hi {{author}}, {{agent}} from {{brand}} here (case {{case}}).",
		  "Hi @carol, Alice from Acme here (case 42).");
	render_ok("{{ author }}!", "@carol!");		/* spaces inside braces */
	render_ok("no variables at all", "no variables at all");
	render_ok("", "");
	render_ok("{{case}}{{case}}", "4242");
	render_ok("a { single brace } is text", "a { single brace } is text");
}

static void later_values_override_earlier_ones(void **state)
{
	const struct heed_template_var v[] = {
		{ "author", "@carol" }, { "author", "Carol" }, { "order", "A-7" },
	};
	struct heed_err err;
	char *out;
	(void)state;

	heed_err_clear(&err);
	assert_int_equal(heed_template_render("{{author}}: order {{order}}", v, 3, &out, &err),
			 HEED_OK);
	assert_string_equal(out, "Carol: order A-7");
	free(out);
}

static void values_are_not_expanded_again(void **state)
{
	const struct heed_template_var v[] = { { "author", "{{agent}}" }, { "agent", "x" } };
	struct heed_err err;
	char *out;
	(void)state;

	heed_err_clear(&err);
	assert_int_equal(heed_template_render("{{author}}", v, 2, &out, &err), HEED_OK);
	assert_string_equal(out, "{{agent}}");
	free(out);
}

static void a_missing_variable_is_an_error(void **state)
{
	const struct heed_template_var empty[] = { { "order", "" }, { "note", " \t" } };
	(void)state;

	render_fails(vars, NVARS, "Your order {{order}} ships today", HEED_EINVAL,
		     "no value for {{order}}");
	render_fails(vars, 0, "Hi {{author}}", HEED_EINVAL, "no value for {{author}}");
	/* an empty value would leave a hole just the same */
	render_fails(empty, 2, "Order {{order}}.", HEED_EINVAL, "empty value for {{order}}");
	render_fails(empty, 2, "Note: {{note}}", HEED_EINVAL, "empty value for {{note}}");
}

static void bad_syntax_is_refused(void **state)
{
	static const char *const bad[] = {
		"Hi {{author", "Hi {{}}", "Hi {{Author}}", "Hi {{1st}}", "Hi }} there",
		"{{au thor}}", "{{author}", "{{ author } }", "{{x-y}}",
		"{{a_very_long_variable_name_beyond_limit_x}}",
	};
	struct heed_err err;
	(void)state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		heed_err_clear(&err);
		if (heed_template_check(bad[i], &err) != HEED_EPARSE)
			fail_msg("'%s' passed the syntax check", bad[i]);
		render_fails(vars, NVARS, bad[i], HEED_EPARSE, "the template");
	}
	heed_err_clear(&err);
	assert_int_equal(heed_template_check("{{a}} {{ b_2 }} text", &err), HEED_OK);
}

static void names_lists_each_variable_once(void **state)
{
	char *n;
	(void)state;

	n = heed_template_names("{{author}} {{order}} {{author}} {{ case }}");
	assert_string_equal(n, "author, order, case");
	free(n);
	n = heed_template_names("plain");
	assert_string_equal(n, "");
	free(n);
	n = heed_template_names("broken {{");
	assert_string_equal(n, "");
	free(n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fills_every_known_variable),
		cmocka_unit_test(later_values_override_earlier_ones),
		cmocka_unit_test(values_are_not_expanded_again),
		cmocka_unit_test(a_missing_variable_is_an_error),
		cmocka_unit_test(bad_syntax_is_refused),
		cmocka_unit_test(names_lists_each_variable_once),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
