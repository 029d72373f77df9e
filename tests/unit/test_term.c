/* test_term.c: hostile text made inert for a terminal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "heed/term.h"

static void check(const char *in, size_t len, unsigned flags, const char *want)
{
	char *got = heed_term_clean(in, len, flags);

	if (strcmp(got, want))
		fail_msg("clean(%zu bytes) = '%s', want '%s'", len, got, want);
	free(got);
}
#define CHECK(in, want) check((in), sizeof(in) - 1, 0, (want))

static void escape_sequences_are_removed(void **state)
{
	(void)state;
	/* OSC 52 clipboard write, terminated by BEL and by ST */
	CHECK("a\x1b]52;c;cm0gLXJmIH4=\x07z", "az");
	CHECK("a\x1b]52;c;cm0gLXJmIH4=\x1b\\z", "az");
	/* window title */
	CHECK("\x1b]0;pwned\x07hi", "hi");
	/* cursor movement, clear screen, colours */
	CHECK("x\x1b[2J\x1b[H\x1b[31;1mred\x1b[0m", "xred");
	CHECK("\x1b[?1049h\x1b[10;20Hy", "y");
	/* DCS string, two-byte and charset escapes */
	CHECK("\x1bPq#0;2;0;0;0\x1b\\ok", "ok");
	CHECK("\x1b" "c\x1b(Bplain", "plain");
	/* an escape cut off at the end */
	CHECK("end\x1b[31", "end");
	CHECK("end\x1b", "end");
}

static void controls_and_bidi_are_removed(void **state)
{
	(void)state;
	CHECK("bell\x07 bs\x08 del\x7f", "bell bs del");
	/* C1 controls as UTF-8, including 8-bit CSI U+009B */
	CHECK("a\xc2\x9b" "31mb\xc2\x85" "c", "a31mbc");
	/* bidi overrides (RLO U+202E, LRI U+2066, PDI U+2069) */
	CHECK("invoice\xe2\x80\xae" "fdp.exe", "invoicefdp.exe");
	CHECK("\xe2\x81\xa6x\xe2\x81\xa9", "x");
	/* tabs and newlines become spaces unless kept */
	CHECK("a\tb\r\nc", "a b  c");
	check("a\nb", 3, HEED_TERM_KEEP_NEWLINES, "a\nb");
}

static void utf8_is_kept_or_repaired(void **state)
{
	(void)state;
	CHECK("caf\xc3\xa9 \xf0\x9f\x98\xa0 \xe6\x97\xa5", "caf\xc3\xa9 \xf0\x9f\x98\xa0 \xe6\x97\xa5");
	CHECK("bad\xff\xfe!", "bad\xef\xbf\xbd\xef\xbf\xbd!");
	CHECK("over\xc0\xaflong", "over\xef\xbf\xbd\xef\xbf\xbdlong");
	CHECK("surrogate\xed\xa0\x80", "surrogate\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	CHECK("cut\xe2\x82", "cut\xef\xbf\xbd\xef\xbf\xbd");
	check("nul\0after", 9, 0, "nulafter");
}

static void sanitize_cuts_on_a_character(void **state)
{
	char out[8];
	(void)state;

	heed_term_sanitize(out, sizeof(out), "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9");
	assert_string_equal(out, "\xc3\xa9\xc3\xa9...");
	heed_term_sanitize(out, sizeof(out), "short");
	assert_string_equal(out, "short");
	heed_term_sanitize(out, sizeof(out), NULL);
	assert_string_equal(out, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(escape_sequences_are_removed),
		cmocka_unit_test(controls_and_bidi_are_removed),
		cmocka_unit_test(utf8_is_kept_or_repaired),
		cmocka_unit_test(sanitize_cuts_on_a_character),
	};
	return cmocka_run_group_tests_name("term", tests, NULL, NULL);
}
