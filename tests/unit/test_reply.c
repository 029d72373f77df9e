/* test_reply.c: reply text against each platform's length rules (Bluesky
 * graphemes and bytes, X weighted characters, Mastodon links) and against
 * control characters; editor text tidied as git commit does. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "heed/reply.h"
#include "heed/xalloc.h"

static const struct heed_reply_limits lim = { 300, 500, 10000, 280 };

/* s repeated n times */
static char *rep(const char *s, size_t n)
{
	size_t len = strlen(s);
	char *out = xmalloc(len * n + 1);

	for (size_t i = 0; i < n; i++)
		memcpy(out + i * len, s, len);
	out[len * n] = '\0';
	return out;
}

static size_t len_of(const char *platform, const char *s)
{
	return heed_reply_length(platform, s, strlen(s));
}

static void graphemes_count_what_people_see(void **state)
{
	(void)state;
	assert_int_equal(heed_utf8_graphemes("abc", 3), 3);
	assert_int_equal(heed_utf8_graphemes("", 0), 0);
	/* e + combining acute is one grapheme */
	assert_int_equal(heed_utf8_graphemes("e\xcc\x81", 3), 1);
	/* family emoji: man ZWJ woman ZWJ girl */
	assert_int_equal(heed_utf8_graphemes("\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x91\xa9"
					     "\xe2\x80\x8d\xf0\x9f\x91\xa7", 18), 1);
	/* two flags (regional indicator pairs) */
	assert_int_equal(heed_utf8_graphemes("\xf0\x9f\x87\xab\xf0\x9f\x87\xb7"
					     "\xf0\x9f\x87\xa9\xf0\x9f\x87\xaa", 16), 2);
	/* thumbs up with skin tone */
	assert_int_equal(heed_utf8_graphemes("\xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd", 8), 1);
	/* CR LF is one grapheme; an invalid byte counts one */
	assert_int_equal(heed_utf8_graphemes("a\r\nb", 4), 3);
	assert_int_equal(heed_utf8_graphemes("a\xffz", 3), 3);
}

static void bluesky_allows_300_graphemes_and_3000_bytes(void **state)
{
	struct heed_err err;
	char *ok = rep("\xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd", 300);	/* 300 graphemes, 2400 bytes */
	char *over = rep("a", 301);
	char *bytes = rep("\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x91\xa9", 200); /* 200 g, 2200 B */
	char *fat = rep("e\xcc\x81\xcc\x81\xcc\x81\xcc\x81\xcc\x81", 280);	/* 280 g, 3080 B */
	size_t n;
	(void)state;

	heed_err_clear(&err);
	assert_int_equal(heed_reply_check("bluesky", ok, &lim, &n, &err), HEED_OK);
	assert_int_equal(n, 300);
	assert_int_equal(heed_reply_check("bluesky", over, &lim, &n, &err), HEED_ETOOBIG);
	assert_int_equal(n, 301);
	assert_non_null(strstr(err.msg, "301 graphemes; bluesky allows 300"));
	assert_int_equal(heed_reply_check("bluesky", bytes, &lim, &n, &err), HEED_OK);
	assert_int_equal(heed_reply_check("bluesky", fat, &lim, &n, &err), HEED_ETOOBIG);
	assert_non_null(strstr(err.msg, "bytes; bluesky allows 3000"));
	free(ok);
	free(over);
	free(bytes);
	free(fat);
}

static void x_weighs_cjk_emoji_and_links(void **state)
{
	struct heed_err err;
	char *latin = rep("a", 280), *cjk = rep("\xe6\x97\xa5", 141), *cjk_ok = rep("\xe6\x97\xa5", 140);
	(void)state;

	assert_int_equal(len_of("x", "hello"), 5);
	assert_int_equal(len_of("x", "\xe6\x97\xa5\xe6\x9c\xac"), 4);		/* two CJK */
	assert_int_equal(len_of("x", "\xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd"), 2);	/* one emoji */
	assert_int_equal(len_of("x", "see https://example.com/a/very/long/path?q=1"), 4 + 23);
	assert_int_equal(len_of("x", "e\xcc\x81"), 1);	/* NFC first: one é */
	assert_int_equal(len_of("x", "\xe2\x80\x9cquoted\xe2\x80\x9d"), 8);	/* light punctuation */
	heed_err_clear(&err);
	assert_int_equal(heed_reply_check("x", latin, &lim, NULL, &err), HEED_OK);
	assert_int_equal(heed_reply_check("x", cjk_ok, &lim, NULL, &err), HEED_OK);
	assert_int_equal(heed_reply_check("x", cjk, &lim, NULL, &err), HEED_ETOOBIG);
	assert_non_null(strstr(err.msg, "282 weighted characters; x allows 280"));
	free(latin);
	free(cjk);
	free(cjk_ok);
}

static void mastodon_counts_links_as_23(void **state)
{
	struct heed_err err;
	char *long_link = rep("x", 600), *text, *big = rep("b", 501);
	(void)state;

	text = xasprintf("read https://%s", long_link);
	assert_int_equal(len_of("mastodon", text), 5 + 23);
	heed_err_clear(&err);
	assert_int_equal(heed_reply_check("mastodon", text, &lim, NULL, &err), HEED_OK);
	assert_int_equal(heed_reply_check("mastodon", big, &lim, NULL, &err), HEED_ETOOBIG);
	/* a link only counts as one where a word starts */
	assert_int_equal(len_of("mastodon", "xhttps://a"), 10);
	free(long_link);
	free(text);
	free(big);
}

static void mastodon_replies_mention_the_customer(void **state)
{
	struct heed_err err;
	char *t, *fits = rep("a", 494), *over = rep("a", 495);
	size_t n;
	(void)state;

	t = heed_reply_addressed("mastodon", "On it!", "ann@other.example");
	assert_string_equal(t, "@ann@other.example On it!");
	free(t);
	/* already mentioned (any case): unchanged */
	t = heed_reply_addressed("mastodon", "Thanks @Ann, on it", "ann");
	assert_string_equal(t, "Thanks @Ann, on it");
	free(t);
	/* a longer handle, or the same name on another server, is not them */
	t = heed_reply_addressed("mastodon", "cc @anna and @ann@elsewhere.example", "ann");
	assert_string_equal(t, "@ann cc @anna and @ann@elsewhere.example");
	free(t);
	/* no handle known, or another platform: unchanged */
	t = heed_reply_addressed("mastodon", "On it", NULL);
	assert_string_equal(t, "On it");
	free(t);
	t = heed_reply_addressed("bluesky", "On it", "ann.bsky.social");
	assert_string_equal(t, "On it");
	free(t);
	/* the limit counts what goes out: "@ann " is 5 more */
	heed_err_clear(&err);
	assert_int_equal(heed_reply_check_to("mastodon", fits, "bob", &lim, &n, &err), HEED_OK);
	assert_int_equal(n, 499);
	assert_int_equal(heed_reply_check_to("mastodon", over, "bob", &lim, &n, &err), HEED_OK);
	assert_int_equal(n, 500);
	assert_int_equal(heed_reply_check_to("mastodon", over, "carol", &lim, NULL, &err),
			 HEED_ETOOBIG);
	free(fits);
	free(over);
}

/* Mastodon counts "@user@domain" as "@user", as its StatusLengthValidator
 * does, so a remote customer's prefix costs what the server charges. */
static void mastodon_counts_remote_mentions_as_local(void **state)
{
	struct heed_err err;
	char *over = rep("a", 495), *t;
	size_t n;
	(void)state;

	assert_int_equal(len_of("mastodon", "@ann@other.example hi"), 4 + 3);
	assert_int_equal(len_of("mastodon", "@ann hi"), 7);
	assert_int_equal(len_of("mastodon", "cc @a.b-c_d@x.y.z."), 3 + 8 + 1);
	/* the name ends in [a-z0-9_]: a dot after it is text */
	assert_int_equal(len_of("mastodon", "@ann. ok"), 8);
	/* a domain of one character is no domain: it stays text */
	assert_int_equal(len_of("mastodon", "@ann@x"), 6);
	/* no mention after a word character, '=' or '/': an address, a link */
	assert_int_equal(len_of("mastodon", "mail bob@example.org"), 20);
	assert_int_equal(len_of("mastodon", "a=@b@c.de"), 9);
	assert_int_equal(len_of("mastodon", "@"), 1);
	assert_int_equal(len_of("mastodon", "@@x.org"), 7);
	/* X counts them in full */
	assert_int_equal(len_of("x", "@ann@other.example"), 18);
	/* 495 characters to a remote customer: "@ann " makes 500, not 514 */
	heed_err_clear(&err);
	assert_int_equal(heed_reply_check_to("mastodon", over, "ann@other.example", &lim, &n,
					     &err), HEED_OK);
	assert_int_equal(n, 500);
	t = heed_reply_addressed("mastodon", over, "ann@other.example");
	assert_int_equal(strlen(t), 495 + 19);
	free(t);
	free(over);
}

static void limits_are_configurable(void **state)
{
	struct heed_reply_limits small = { 10, 10, 10, 10 };
	struct heed_err err;
	(void)state;

	heed_err_clear(&err);
	assert_int_equal(heed_reply_check("reddit", "eleven char", &small, NULL, &err), HEED_ETOOBIG);
	assert_int_equal(heed_reply_check("reddit", "ten chars!", &small, NULL, &err), HEED_OK);
	assert_int_equal(heed_reply_limit("hn", &lim), 0);
	assert_string_equal(heed_reply_unit("bluesky"), "graphemes");
	assert_string_equal(heed_reply_unit("x"), "weighted characters");
	assert_string_equal(heed_reply_unit("reddit"), "characters");
}

static void control_characters_and_empty_text_are_refused(void **state)
{
	static const char *const bad[] = {
		"bell\x07", "esc \x1b[2J", "osc \x1b]0;t\x07", "c1 \xc2\x9b", "del\x7f",
		"bidi \xe2\x80\xae", "iso \xe2\x81\xa6x", "cr\r\n", "bad utf8 \xff",
	};
	struct heed_err err;
	(void)state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		heed_err_clear(&err);
		if (heed_reply_check("mastodon", bad[i], &lim, NULL, &err) != HEED_EINVAL)
			fail_msg("reply #%zu was not refused", i);
	}
	assert_int_equal(heed_reply_check("mastodon", " \n\t ", &lim, NULL, &err), HEED_EINVAL);
	assert_non_null(strstr(err.msg, "empty"));
	assert_int_equal(heed_reply_check("mastodon", "line one\n\ttwo", &lim, NULL, &err),
			 HEED_OK);
}

static void tidy_drops_comments_and_blank_edges(void **state)
{
	static const char in[] = "\n\nThanks, we are on it.  \r\n# Reply to case 4\n"
				 "\nSecond paragraph\t\n#   quoted\n\n\n";
	char *t;
	(void)state;

	t = heed_reply_tidy(in, sizeof(in) - 1, true);
	assert_string_equal(t, "Thanks, we are on it.\n\nSecond paragraph");
	free(t);
	t = heed_reply_tidy(in, sizeof(in) - 1, false);
	assert_string_equal(t, "Thanks, we are on it.\n# Reply to case 4\n\nSecond paragraph\n#   quoted");
	free(t);
	t = heed_reply_tidy("# only comments\n#\n", 18, true);
	assert_string_equal(t, "");
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(graphemes_count_what_people_see),
		cmocka_unit_test(bluesky_allows_300_graphemes_and_3000_bytes),
		cmocka_unit_test(x_weighs_cjk_emoji_and_links),
		cmocka_unit_test(mastodon_counts_links_as_23),
		cmocka_unit_test(mastodon_replies_mention_the_customer),
		cmocka_unit_test(mastodon_counts_remote_mentions_as_local),
		cmocka_unit_test(limits_are_configurable),
		cmocka_unit_test(control_characters_and_empty_text_are_refused),
		cmocka_unit_test(tidy_drops_comments_and_blank_edges),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
