/* test_html.c: HTML and entities to plain text, and the UTF-8 sanitiser
 * (heed/html.h), on the shapes Mastodon, HN and Reddit send. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "heed/html.h"

static void check_text(const char *html, const char *want)
{
	char *got = heed_html_to_text(html, strlen(html), HEED_HTML_TEXT_MAX);

	if (strcmp(got, want))
		print_error("html:  %s\nwant: [%s]\ngot:  [%s]\n", html, want, got);
	assert_string_equal(got, want);
	assert_true(heed_html_utf8_valid(got, strlen(got)));
	free(got);
}

static void check_entities(const char *s, const char *want)
{
	char *got = heed_html_decode_entities(s, strlen(s), 0);

	assert_string_equal(got, want);
	free(got);
}

static void check_clean(const char *s, size_t len, const char *want)
{
	char *got = heed_html_clean(s, len, 0);

	assert_string_equal(got, want);
	assert_true(heed_html_utf8_valid(got, strlen(got)));
	free(got);
}

static void mastodon_content(void **state)
{
	(void)state;
	/* the tag_timeline fixture's first status, in full */
	check_text("<p><span class=\"h-card\" translate=\"no\"><a href=\"https://mastodon.social/@acme\" "
		   "class=\"u-url mention\">@<span>acme</span></a></span> the app won&#39;t sync since "
		   "the &quot;update&quot; &amp; support hasn&#39;t answered <a href=\"https://mastodon"
		   ".social/tags/acme\" class=\"mention hashtag\" rel=\"tag\">#<span>acme</span></a></p>"
		   "<p>details: <a href=\"https://status.example.com/incidents/2024-05-14/sync-failures\" "
		   "target=\"_blank\" rel=\"nofollow noopener noreferrer\" translate=\"no\"><span class="
		   "\"invisible\">https://</span><span class=\"ellipsis\">status.example.com/incidents/2"
		   "</span><span class=\"invisible\">024-05-14/sync-failures</span></a><br />still broken "
		   ":blobcatangry:</p>",
		   "@acme the app won't sync since the \"update\" & support hasn't answered #acme\n\n"
		   "details: https://status.example.com/incidents/2024-05-14/sync-failures\n"
		   "still broken :blobcatangry:");
	check_text("<p>same here, <a href=\"x\" class=\"mention hashtag\">#<span>Acme</span></a> "
		   "sync is down &gt; 2h</p>", "same here, #Acme sync is down > 2h");
}

static void hn_comment_text(void **state)
{
	(void)state;
	check_text("I&#x27;ve used Acme for years &amp; the new &quot;sync&quot; is broken: "
		   "<a href=\"https:&#x2F;&#x2F;status.example.com&#x2F;incidents\" rel=\"nofollow\">"
		   "https:&#x2F;&#x2F;status.example.com&#x2F;incidents</a><p>Anyone from <i>Acme</i> here?",
		   "I've used Acme for years & the new \"sync\" is broken: "
		   "https://status.example.com/incidents\n\nAnyone from Acme here?");
	check_text("code:<p><pre><code>  int x;\n  x = 1;\n</code></pre>after",
		   "code:\n\n  int x;\n  x = 1;\n\nafter");
	check_text("[flagged]", "[flagged]");
}

static void whitespace_and_breaks(void **state)
{
	(void)state;
	check_text("  a \n\t b  ", "a b");
	check_text("<p>  one  </p>\n\n<p>\ttwo</p>", "one\n\ntwo");
	check_text("a<br>b<br/>c<BR />d", "a\nb\nc\nd");
	check_text("a<br><br>b", "a\n\nb");
	check_text("a<br><br><br><br>b", "a\n\nb");
	check_text("<p>a<br></p><p>b</p>", "a\n\nb");
	check_text("<ul><li>x</li><li>y</li></ul>", "x\ny");
	check_text("<p></p><p></p>", "");
	check_text("", "");
	check_text("a &nbsp; b", "a \xc2\xa0 b");	/* nbsp is not collapsed */
}

static void tags_and_oddities(void **state)
{
	(void)state;
	check_text("x <3 y", "x <3 y");			/* not a tag */
	check_text("a < b > c", "a < b > c");
	check_text("<a href=\"a>b\" title='c>d'>link</a>", "link");
	check_text("a<!-- hidden <p> -->b", "ab");
	check_text("a<script>alert('<p>')</script>b<style>p{}</style>c", "abc");
	check_text("a<!DOCTYPE html>b", "ab");
	check_text("unterminated <a href=\"x", "unterminated");
	check_text("<P>Upper</P><DIV>case</DIV>", "Upper\n\ncase");
	check_text("fish &amp chips", "fish &amp chips");	/* no ';': literal */
	check_text("&unknown; &", "&unknown; &");
}

static void entities(void **state)
{
	(void)state;
	check_entities("&amp; &lt; &gt; &quot; &apos; &#39; &#34; &#x27; &#X2F;",
		       "& < > \" ' ' \" ' /");
	check_entities("&nbsp;&copy;&eacute;&Eacute;&hellip;&mdash;&euro;&trade;",
		       "\xc2\xa0\xc2\xa9\xc3\xa9\xc3\x89\xe2\x80\xa6\xe2\x80\x94\xe2\x82\xac\xe2\x84\xa2");
	check_entities("&#128512; &#x1F600;", "\xf0\x9f\x98\x80 \xf0\x9f\x98\x80");
	/* invalid or huge numeric references */
	check_entities("&#0;|&#xD800;|&#x110000;|&#99999999999999999999;|&#xFFFFFFFFFFFF;",
		       "\xef\xbf\xbd|\xef\xbf\xbd|\xef\xbf\xbd|\xef\xbf\xbd|\xef\xbf\xbd");
	/* 128..159 as Windows-1252; an unmapped one is a C1 control: dropped */
	check_entities("&#146;&#150;&#129;", "\xe2\x80\x99\xe2\x80\x93");
	/* a reference to a control character never gets through */
	check_entities("a&#7;b&#10;c&#9;d&#13;e", "ab\nc\tde");
	check_entities("&#;&#x;&#xG;", "&#;&#x;&#xG;");
	check_entities("&#65", "A");	/* no ';' for numeric refs: as browsers */
	/* Reddit without raw_json=1 */
	check_entities("Acme app &amp; &lt;sync&gt; broken", "Acme app & <sync> broken");
	check_entities("&amp;lt;", "&lt;");	/* decoded once only */
}

static void clean_utf8(void **state)
{
	(void)state;
	check_clean("plain", 5, "plain");
	check_clean("caf\xc3\xa9 \xe2\x9c\xa8 \xf0\x9f\x98\xa4", 14,
		    "caf\xc3\xa9 \xe2\x9c\xa8 \xf0\x9f\x98\xa4");
	/* NUL, C0 (not \t \n), DEL, C1 are dropped */
	check_clean("a\0b\x01\x1b[31m\tc\r\nd\x7f" "e\xc2\x85" "f\xc2\x9b" "g", 22,
		    "ab[31m\tc\ndefg");
	/* invalid: lone continuation, overlong, surrogate, past U+10FFFF,
	 * truncated sequences, 0xFF */
	check_clean("\x80", 1, "\xef\xbf\xbd");
	check_clean("\xc0\xaf", 2, "\xef\xbf\xbd\xef\xbf\xbd");
	check_clean("\xed\xa0\x80", 3, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	check_clean("\xf4\x90\x80\x80", 4,
		    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	check_clean("\xe2\x9c" "x", 3, "\xef\xbf\xbdx");	/* maximal subpart: one */
	check_clean("\xf0\x9f\x98", 3, "\xef\xbf\xbd");
	check_clean("\xff" "a\xfe", 3, "\xef\xbf\xbd" "a\xef\xbf\xbd");
	assert_false(heed_html_utf8_valid("\xc3", 1));
	assert_true(heed_html_utf8_valid("\x01", 1));
}

static void cap_on_boundary(void **state)
{
	const char *s = "ab\xe2\x9c\xa8" "cd";	/* a b sparkle(3) c d */
	char *got;
	(void)state;

	got = heed_html_clean(s, strlen(s), 4);
	assert_string_equal(got, "ab");		/* the sparkle does not fit */
	free(got);
	got = heed_html_clean(s, strlen(s), 5);
	assert_string_equal(got, "ab\xe2\x9c\xa8");
	free(got);
	got = heed_html_to_text("<p>ab</p><p>cd</p>", 18, 3);
	assert_string_equal(got, "ab\n");
	free(got);
}

static void big_input_is_capped(void **state)
{
	size_t n = 200 * 1024;
	char *html = malloc(n + 1), *got;
	(void)state;

	for (size_t i = 0; i < n; i++)
		html[i] = (i % 7 == 0) ? ' ' : (char)('a' + i % 26);
	html[n] = '\0';
	got = heed_html_to_text(html, n, HEED_HTML_TEXT_MAX);
	assert_true(strlen(got) <= HEED_HTML_TEXT_MAX);
	assert_true(strlen(got) > HEED_HTML_TEXT_MAX - 8);
	free(got);
	free(html);
}

/* No input, however hostile, gives invalid UTF-8 or a control byte. */
static void never_invalid(void **state)
{
	unsigned seed = 12345;
	char buf[256];
	(void)state;

	for (int round = 0; round < 2000; round++) {
		size_t n = (size_t)(rand_r(&seed) % sizeof(buf));
		char *a, *b, *c;

		for (size_t i = 0; i < n; i++) {
			int r = rand_r(&seed) % 10;

			buf[i] = r == 0 ? '<' : r == 1 ? '&' : r == 2 ? '#' : r == 3 ? ';'
				: (char)(rand_r(&seed) & 0xff);
		}
		a = heed_html_to_text(buf, n, 100);
		b = heed_html_decode_entities(buf, n, 100);
		c = heed_html_clean(buf, n, 100);
		for (char **s = (char *[]){ a, b, c, NULL }; *s; s++) {
			assert_true(strlen(*s) <= 100);
			assert_true(heed_html_utf8_valid(*s, strlen(*s)));
			for (const unsigned char *p = (const unsigned char *)*s; *p; p++)
				assert_true(*p >= 0x20 || *p == '\n' || *p == '\t');
			free(*s);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(mastodon_content),
		cmocka_unit_test(hn_comment_text),
		cmocka_unit_test(whitespace_and_breaks),
		cmocka_unit_test(tags_and_oddities),
		cmocka_unit_test(entities),
		cmocka_unit_test(clean_utf8),
		cmocka_unit_test(cap_on_boundary),
		cmocka_unit_test(big_input_is_capped),
		cmocka_unit_test(never_invalid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
