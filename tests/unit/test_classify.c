/* test_classify.c: the classifier's parts and promises: the lexicon and
 * rule file parsers (with file:line errors), the prefilter's literals, the
 * text reader on hostile input, VADER's reference scores, contributions
 * that add up, thread safety, flat memory, the configuration, JSON and the
 * mention adapter, and the evaluation metrics. The brand-care judgements
 * themselves are in cases.txt (test_classify_cases.c). */
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "../../classifier/classify_int.h"
#include "heed/cfg.h"
#include "heed/classify.h"
#include "heed/mention.h"
#include "heed/xalloc.h"
#include "support.h"

static char *data_dir(void)
{
	const char *d = getenv("HEED_DATA_DIR");

	return d && *d ? xstrdup(d) : xasprintf("%s/share/heed", ht_builddir());
}

static struct heed_classifier *shipped(unsigned flags)
{
	struct heed_classifier_opts o;
	struct heed_classifier *c;
	struct heed_err err;
	char *dir = data_dir();

	heed_classifier_opts_init(&o);
	o.data_dir = dir;
	o.flags = flags;
	heed_err_clear(&err);
	c = heed_classifier_new(&o, &err);
	if (!c)
		fail_msg("loading %s: %s", dir, heed_err_msg(&err));
	free(dir);
	return c;
}

static const struct heed_verdict *judge(struct heed_classify_ctx *x,
					const char *text)
{
	struct heed_classify_in in = { text, strlen(text), NULL, -1, false,
				       false, false };
	const struct heed_verdict *v;

	assert_int_equal(heed_classify(x, &in, &v), HEED_OK);
	return v;
}

/* ---- lexicon files ---- */

static int parse_lex(struct cls_lexicon *lx, const char *text,
		     struct heed_err *err)
{
	heed_err_clear(err);
	return lex_parse(lx, "t.lex", text, strlen(text), err);
}

static void lexicon_parses_vader_format(void **state)
{
	struct cls_lexicon lx;
	struct heed_err err;
	int32_t e;
	(void)state;

	lex_init(&lx);
	assert_int_equal(parse_lex(&lx, "# a comment\n\ngood\t1.9\t0.9\t[2, 2]\r\n"
				   ":-D\t2.0\n:-d\t2.3\nGREAT\t3.1\n"
				   "waste of money\t-2.6\n\xf0\x9f\x98\xa1\t-2.8\n", &err),
			 HEED_OK);
	e = lex_find(&lx, "good", 4);
	assert_true(e >= 0 && lx.e[e].valence > 1.89f && lx.e[e].valence < 1.91f);
	/* folded keys: "GREAT" is found as "great" */
	assert_true(lex_find(&lx, "great", 5) >= 0);
	/* a key written folded beats one that only folds to it */
	e = lex_find(&lx, ":-d", 3);
	assert_true(lx.e[e].valence > 2.29f);
	/* phrases mark their first word, emoji are keys like words */
	e = lex_find(&lx, "waste", 5);
	assert_true(e >= 0 && (lx.e[e].flags & W_PHRASE));
	assert_true(lex_find(&lx, "waste of money", 14) >= 0);
	assert_true(lex_find(&lx, "\xf0\x9f\x98\xa1", 4) >= 0);
	assert_int_equal(lx.rated, 5);	/* ":-D" and ":-d" are one key */
	lex_release(&lx);
}

static void lexicon_errors_name_file_and_line(void **state)
{
	static const struct { const char *text, *msg; } bad[] = {
		{ "good\t1\nbad -2\n", "t.lex:2: expected TOKEN<TAB>VALENCE" },
		{ "good\tvery\n", "t.lex:1: valence is not a number from -4 to 4" },
		{ "\n\ngood\t9\n", "t.lex:3: valence is not a number from -4 to 4" },
		{ "good\tnan\n", "t.lex:1: valence is not a number from -4 to 4" },
		{ "\t1\n", "t.lex:1: empty token" },
		{ "a b c d\t1\n", "t.lex:1: phrases have at most three words" },
		{ "a  b\t1\n", "t.lex:1: two spaces in a row" },
	};
	(void)state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		struct cls_lexicon lx;
		struct heed_err err;

		lex_init(&lx);
		assert_int_equal(parse_lex(&lx, bad[i].text, &err), HEED_EPARSE);
		assert_string_equal(heed_err_msg(&err), bad[i].msg);
		lex_release(&lx);
	}
}

/* ---- rule files ---- */

static int parse_rules(struct heed_classifier *c, const char *name,
		       const char *text, struct heed_err *err)
{
	heed_err_clear(err);
	return rules_parse(c, name, text, strlen(text), err);
}

static void rules_parse_and_fire(void **state)
{
	struct heed_classifier *c = cls_model_new_empty();
	struct heed_classify_ctx *x;
	const struct heed_verdict *v;
	struct heed_err err;
	(void)state;

	assert_int_equal(parse_rules(c, "a.rules",
		"# topics first\n"
		"topic outage   the product is down\n"
		"topic praise   thanks\n"
		"rule outage.down topic=outage urgency=40 valence=-1.5\n"
		"  match \\b(?:is|are) down\\b\n"
		"  match \\boutage\\b\n"
		"  unless \\bno outage\\b\n"
		"rule ask min_urgency=15\n"
		"  match \\?\n"
		"rule thanks topic=praise\n"
		"  match \\bthanks?\\b\n", &err), HEED_OK);
	rules_finish(c);
	c->negativity_urgency = 0;	/* only the rules' points here */
	x = heed_classify_ctx_new(c);
	v = judge(x, "The site is down again");
	assert_int_equal(v->topics, 1);
	assert_int_equal(v->urgency, 40);
	assert_true(v->compound < -0.3);
	v = judge(x, "No outage today, thanks");
	assert_int_equal(v->topics, 2);
	assert_int_equal(v->urgency, 0);
	v = judge(x, "what?");
	assert_int_equal(v->urgency, 15);
	heed_classify_ctx_free(x);
	heed_classifier_free(c);
}

static void rule_errors_name_file_and_line(void **state)
{
	static const struct { const char *text, *msg; } bad[] = {
		{ "topic x help\nfrobnicate\n",
		  "b.rules:2: unknown keyword (expected topic, rule, match, unless or disable)" },
		{ "match foo\n", "b.rules:1: 'match' before any 'rule' line" },
		{ "rule r\n  match (unclosed\n",
		  "b.rules:2: rule 'r': bad pattern: missing closing parenthesis at offset 9" },
		{ "rule r topic=nope\n", "b.rules:1: unknown topic 'nope' (declare it with a 'topic' line first)" },
		{ "rule r\nrule s\n  match x\n", "b.rules:1: rule 'r' has no match line" },
		{ "rule r\n  match x\nrule r\n  match y\n", "b.rules:3: rule 'r' defined twice in this file" },
		{ "rule r urgency=500\n", "b.rules:1: bad attribute 'urgency=500' (topic=, urgency=-100..100, min_urgency=0..100, valence=-4..4, group=, flip, flip=all, spam, reply=no)" },
		{ "rule r\n  match a*\n", "b.rules:2: pattern matches empty text, so it would fire on every mention" },
		{ "rule r\n  match caf\xc3\xa9\n", "b.rules:2: pattern has '\xc3\xa9', which folded text never has (write it without accents, in lower case)" },
		{ "disable nothing\n", "b.rules:1: no rule 'nothing' to disable" },
		{ "topic x a\ntopic x b\n", "b.rules:2: topic 'x' declared twice" },
		{ "rule Bad!\n", "b.rules:1: rule needs a name of a-z, 0-9, '_', '-' or '.'" },
		{ "rule r\n  match \\bRefund\\D\n", "b.rules:2: pattern has 'R', which folded text never has (write patterns in lower case)" },
	};
	(void)state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		struct heed_classifier *c = cls_model_new_empty();
		struct heed_err err;

		assert_int_equal(parse_rules(c, "b.rules", bad[i].text, &err), HEED_EPARSE);
		assert_string_equal(heed_err_msg(&err), bad[i].msg);
		heed_classifier_free(c);
	}
}

static void later_files_replace_and_disable(void **state)
{
	struct heed_classifier *c = cls_model_new_empty();
	struct heed_classify_ctx *x;
	struct heed_err err;
	(void)state;

	assert_int_equal(parse_rules(c, "ours.rules",
		"topic t x\nrule a topic=t urgency=10\n  match alpha\n"
		"rule b urgency=20\n  match beta\n", &err), HEED_OK);
	assert_int_equal(parse_rules(c, "yours.rules",
		"rule a topic=t urgency=30\n  match alpha\ndisable b\n", &err), HEED_OK);
	rules_finish(c);
	x = heed_classify_ctx_new(c);
	assert_int_equal(judge(x, "alpha")->urgency, 30);
	assert_int_equal(judge(x, "beta")->urgency, 0);
	heed_classify_ctx_free(x);
	heed_classifier_free(c);
}

/* ---- prefilter ---- */

static int by_lit(const void *a, const void *b)
{
	const struct cls_req_lit *x = a, *y = b;

	return x->conj != y->conj ? (int)x->conj - (int)y->conj : strcmp(x->s, y->s);
}

/* The literals of pattern as "[a] [^b] & [~c]": sorted within each set,
 * sets in order, "^" where a literal only starts a word, "~" for a late
 * set (searched for after the scan); "-" for none. */
static bool lits_are(const char *pattern, const char *want)
{
	struct cls_req_lit *l;
	char buf[512] = "";
	size_t n, len = 0;
	bool ok = cls_literals(pattern, strlen(pattern), &l, &n);

	if (!ok)
		return !strcmp(want, "-");
	qsort(l, n, sizeof(*l), by_lit);
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s[%s%s%s]",
					!i ? "" : l[i].conj != l[i - 1].conj ? " & " : " ",
					l[i].late ? "~" : "", l[i].word_start ? "^" : "",
					l[i].s);
	cls_literals_free(l, n);
	if (strcmp(buf, want))
		print_message("%s: got %s, want %s\n", pattern, buf, want);
	return !strcmp(buf, want);
}

static void prefilter_proves_literals(void **state)
{
	(void)state;
	assert_true(lits_are("\\boutage\\b", "[^outage]"));
	assert_true(lits_are("colou?r", "[color] [colour]"));
	/* a word start inside the phrase is cheaper to look for */
	assert_true(lits_are("(?:cancel|close)\\s+my\\s+account", "[^my accou]"));
	assert_true(lits_are("\\b(?:cancel|close)\\s+my\\s+account", "[^cancel m] [^close my]"));
	assert_true(lits_are("foo|b.r", "[b] [foo]"));
	assert_true(lits_are("foo|\\d+", "-"));
	assert_true(lits_are("(?i)x", "-"));
	assert_true(lits_are("\\d+ (?:days|weeks)", "[^days] [^weeks]"));
	assert_true(lits_are("(?!no )refund", "[refund]"));
	assert_true(lits_are("a+b", "[a] & [~b]"));
	assert_true(lits_are("waiting+", "[waitin] & [~g]"));
	assert_true(lits_are("[$\xe2\x82\xac]\\d", "[$] [\xe2\x82\xac]"));
	assert_true(lits_are("\\Qx\\E", "-"));
	assert_true(lits_are("\\?", "[?]"));
	/* several sets, each needed: any word start is known after \s */
	assert_true(lits_are("\\b(?:foo|b\\w+)\\s+bar", "[^bar] & [~^b] [~^foo]"));
	/* common words, and literals found anywhere, are searched for late */
	assert_true(lits_are("\\bgreat\\b.*\\bthe\\b.{0,5}outage",
			     "[^great] & [~^the] & [~outage]"));
	assert_true(lits_are("\\bis\\s+(?:completely\\s+)?down\\b", "[^is compl] [^is down]"));
	assert_true(lits_are("\\bdon'?t\\b.*\\bwork", "[^work] & [^don't] [^dont]"));
	/* "/s" after a space need not start a word ('/' is none) */
	assert_true(lits_are("(?:^|\\s)/s\\b", "[/s]"));
	/* after a word byte, no word starts there */
	assert_true(lits_are("\\w+foo", "[foo]"));
	assert_true(lits_are("^\\s*hello", "[^hello]"));
}

/* The literals every match of pattern starts with, sorted, "-" for none. */
static bool starts_are(const char *pattern, const char *want)
{
	struct cls_req_lit *l;
	char buf[512] = "";
	size_t n, len = 0;
	bool ok = cls_prefixes(pattern, strlen(pattern), &l, &n);

	if (!ok)
		return !strcmp(want, "-");
	qsort(l, n, sizeof(*l), by_lit);
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s",
					i ? " " : "", l[i].s);
	cls_literals_free(l, n);
	if (strcmp(buf, want))
		print_message("%s: got %s, want %s\n", pattern, buf, want);
	return !strcmp(buf, want);
}

static void prefilter_proves_starts(void **state)
{
	(void)state;
	assert_true(starts_are("\\boutage\\b", "outage"));
	assert_true(starts_are("\\b(?:is|are)\\s+down", "are down is down"));
	/* a shorter literal covers the longer ones it begins */
	assert_true(starts_are("\\b(?:is|is not)\\b", "is"));
	assert_true(starts_are("\\b(?:the )?foo", "foo the foo"));
	assert_true(starts_are("\\b(?:a|b)c*d", "ac ad bc bd"));
	assert_true(starts_are("\\bwaiting+", "waiting"));
	assert_true(starts_are("\\b(?:foo|b\\w+)", "b foo"));
	assert_true(starts_are("\\b(?:x|)y", "xy y"));
	assert_true(starts_are("\\bab(?=c)d", "abd"));
	assert_true(starts_are("\\b(?<!no )refund", "refund"));
	/* named groups, in each of PCRE2's spellings */
	assert_true(starts_are("\\b(?<w>refund)", "refund"));
	assert_true(starts_are("\\b(?'w'refund)", "refund"));
	assert_true(starts_are("\\b(?P<w>refund)", "refund"));
	assert_true(starts_are("\\b(?'w refund)", "-"));
	assert_true(starts_are("^hello", "hello"));
	assert_true(starts_are("\\bcancellation", "cancella"));
	/* not where a word starts, or not known */
	assert_true(starts_are("outage", "-"));
	assert_true(starts_are("\\boutage|bar", "-"));
	assert_true(starts_are("\\b\\d+th", "-"));
	assert_true(starts_are("\\b(?:foo)?\\w", "-"));
	assert_true(starts_are("\\b\\?", "-"));
	assert_true(starts_are("(?i)\\bx", "-"));
	assert_true(starts_are("\\b(*COMMIT)x", "-"));
}

/* Whatever the prefilter proves, a pattern never matches without it: the
 * same verdicts with and without, on texts that exercise each rule. */
static void prefilter_never_hides_a_match(void **state)
{
	static const char *texts[] = {
		"app is down!!", "  double charged twice  ", "cancel   my subscription",
		"I\xe2\x80\x99m switching to BrandX", "Lost $300 on this", "\xf0\x9f\x99\x84 great",
		"never again. Great.", "ＣＡＮＣＥＬ ＭＹ ＡＣＣＯＵＮＴ", "how do i reset my password",
		"refund\xc2\xa0please", "no power\u2028since noon", "@a @b #NotWorking #Refund",
	};
	struct heed_classifier *a = shipped(0), *b = shipped(HEED_CLASSIFY_NO_PREFILTER);
	struct heed_classify_ctx *xa = heed_classify_ctx_new(a), *xb = heed_classify_ctx_new(b);
	(void)state;

	for (size_t i = 0; i < sizeof(texts) / sizeof(*texts); i++) {
		struct heed_verdict va = *judge(xa, texts[i]);
		const struct heed_verdict *vb = judge(xb, texts[i]);

		assert_int_equal(va.topics, vb->topics);
		assert_int_equal(va.urgency, vb->urgency);
		assert_true(va.compound == vb->compound);
	}
	heed_classify_ctx_free(xa);
	heed_classify_ctx_free(xb);
	heed_classifier_free(a);
	heed_classifier_free(b);
}

/* ---- the text reader ---- */

static char *keys(struct heed_classify_ctx *x)
{
	char *out = xstrdup("");

	for (size_t i = 0; i < x->n_toks; i++) {
		char *n = xasprintf("%s%s%.*s", out, i ? "|" : "",
				    (int)x->toks[i].klen, x->rt + x->toks[i].key);

		free(out);
		out = n;
	}
	return out;
}

static void text_reader_tokens(void **state)
{
	static const struct { const char *in, *toks, *rt; } t[] = {
		{ "Great!!! thanks:) https://x.y/z @Acme #EpicFail",
		  "great|thanks|:)|epic|fail", "great!!! thanks:) <url> @acme #epic fail" },
		{ "fine,but   no", "fine|but|no", "fine,but no" },
		{ "sooo gooood", "sooo|gooood", "sooo gooood" },
		{ "\xef\xbc\xa7\xef\xbc\xb2\xef\xbc\xa5\xef\xbc\xa1\xef\xbc\xb4", "great", "great" },
		{ "g\xcc\xb7r\xcc\xb6" "eat", "great", "great" },
		{ "sc\xd0\xb0m", "scam", "scam" },
		{ "bad\xff\xfeword", "bad|word", "bad word" },
		{ "a\x1b[31mred\x1b[0m b", "a|red|b", "a red b" },
		{ "don\xe2\x80\x99t", "don't", "don't" },
		{ "Acme\xe2\x84\xa2 rocks", "acme|rocks", "acme rocks" },
		{ "love\xf0\x9f\x98\x8d\xf0\x9f\x8f\xbd", "love|\xf0\x9f\x98\x8d", "love\xf0\x9f\x98\x8d" },
	};
	struct heed_classifier *c = shipped(0);
	struct heed_classify_ctx *x = heed_classify_ctx_new(c);
	(void)state;

	for (size_t i = 0; i < sizeof(t) / sizeof(*t); i++) {
		char *k;

		text_scan(x, t[i].in, strlen(t[i].in));
		k = keys(x);
		if (strcmp(k, t[i].toks) || strcmp(x->rt, t[i].rt))
			fail_msg("'%s': tokens '%s' rt '%s'", t[i].in, k, x->rt);
		for (size_t j = 0; j < x->n_toks; j++)
			assert_true(x->toks[j].end <= strlen(t[i].in));
		free(k);
	}
	/* elongated words are found squeezed, ALL CAPS is noticed */
	text_scan(x, "sooo GOOOOD", 11);
	assert_true(x->toks[1].flags & TF_ELONG);
	assert_true(x->toks[1].flags & TF_UPPER);
	heed_classify_ctx_free(x);
	heed_classifier_free(c);
}

static void hostile_input_never_breaks(void **state)
{
	struct heed_classifier *c = shipped(0);
	struct heed_classify_ctx *x = heed_classify_ctx_new(c);
	char *big = xmalloc(1 << 20);
	const struct heed_verdict *v;
	struct heed_classify_in in;
	unsigned seed = 12345;
	(void)state;

	for (size_t i = 0; i < (1u << 20); i++) {
		seed = seed * 1103515245u + 12345u;
		big[i] = (char)(seed >> 16);
	}
	memset(&in, 0, sizeof(in));
	in.followers = -1;
	for (size_t len = 0; len < 4096; len += 97) {
		in.text = big + len;
		in.len = len;
		assert_int_equal(heed_classify(x, &in, &v), HEED_OK);
	}
	in.text = big;
	in.len = 1u << 20;
	assert_int_equal(heed_classify(x, &in, &v), HEED_OK);
	assert_true(v->truncated);
	assert_int_equal(v->used_len, CLS_DEFAULT_MAX_TEXT);
	in.text = NULL;
	in.len = 3;
	assert_int_equal(heed_classify(x, &in, &v), HEED_EINVAL);
	in.len = 0;
	assert_int_equal(heed_classify(x, &in, &v), HEED_OK);
	assert_string_equal(v->reply_reason, "no: no text to answer");
	free(big);
	heed_classify_ctx_free(x);
	heed_classifier_free(c);
}

/* ---- VADER ---- */

/* The published examples of vaderSentiment's README, which our port
 * reproduces to the fourth decimal. */
static void vader_reference_scores(void **state)
{
	static const struct { const char *text; double compound; } t[] = {
		{ "VADER is smart, handsome, and funny.", 0.8316 },
		{ "VADER is smart, handsome, and funny!", 0.8439 },
		{ "VADER is very smart, handsome, and funny.", 0.8545 },
		{ "VADER is VERY SMART, handsome, and FUNNY.", 0.9227 },
		{ "VADER is VERY SMART, handsome, and FUNNY!!!", 0.9342 },
		{ "VADER is VERY SMART, uber handsome, and FRIGGIN FUNNY!!!", 0.9469 },
		{ "VADER is not smart, handsome, nor funny.", -0.7424 },
		{ "The book was good.", 0.4404 },
		{ "At least it isn't a horrible book.", 0.431 },
		{ "The book was only kind of good.", 0.3832 },
		{ "The plot was good, but the characters are uncompelling and the dialog is not great.", -0.7042 },
		{ "Today SUX!", -0.5461 },
		{ "Today only kinda sux! But I'll get by, lol", 0.5249 },
		{ "Make sure you :) or :D today!", 0.8633 },
		{ "Not bad at all", 0.431 },
	};
	struct heed_classifier *c = shipped(0);
	struct heed_classify_ctx *x = heed_classify_ctx_new(c);
	(void)state;

	for (size_t i = 0; i < sizeof(t) / sizeof(*t); i++) {
		double got = judge(x, t[i].text)->compound;

		if (fabs(got - t[i].compound) > 0.00005)
			fail_msg("'%s': %.4f, want %.4f", t[i].text, got, t[i].compound);
	}
	heed_classify_ctx_free(x);
	heed_classifier_free(c);
}

static void contributions_add_up(void **state)
{
	static const char *texts[] = {
		"Great, another outage!! Still waiting on my refund, 3rd time asking",
		"I'm not very happy, but the staff were AMAZING :)",
		"Your charger caught fire and burned my hand. Lawyer is next.",
		"", "meh", "\xf0\x9f\x98\xa1\xf0\x9f\x98\xa1 refund now!!!",
	};
	struct heed_classifier *c = shipped(0);
	struct heed_classify_ctx *x = heed_classify_ctx_new(c);
	(void)state;

	for (size_t i = 0; i < sizeof(texts) / sizeof(*texts); i++) {
		const struct heed_verdict *v = judge(x, texts[i]);
		double s = 0;
		long u = 0;

		for (size_t k = 0; k < v->n_reasons; k++) {
			if (v->reasons[k].target == HEED_TARGET_SENTIMENT)
				s += v->reasons[k].value;
			if (v->reasons[k].target == HEED_TARGET_URGENCY)
				u += lround(v->reasons[k].value);
			assert_true(v->reasons[k].end <= strlen(texts[i]));
			assert_non_null(v->reasons[k].name);
		}
		assert_true(fabs(s - v->compound) < 1e-9);
		assert_int_equal(u, v->urgency);
	}
	heed_classify_ctx_free(x);
	heed_classifier_free(c);
}

/* ---- threads and memory ---- */

struct worker {
	const struct heed_classifier *c;
	double sum;
};

static const char *const thread_texts[] = {
	"my order never arrived", "love it!!", "app is down, lawyer time",
	"No funciona la app", "\xf0\x9f\x98\x8d\xf0\x9f\x98\x8d", "thanks for nothing",
};

static void *work(void *arg)
{
	struct worker *w = arg;
	struct heed_classify_ctx *x = heed_classify_ctx_new(w->c);

	for (int i = 0; i < 3000; i++) {
		const char *t = thread_texts[i % 6];
		struct heed_classify_in in = { t, strlen(t), NULL, -1, false, false, false };
		const struct heed_verdict *v;

		if (heed_classify(x, &in, &v) == HEED_OK)
			w->sum += v->compound + v->urgency;
	}
	heed_classify_ctx_free(x);
	return NULL;
}

static void threads_share_one_model(void **state)
{
	struct heed_classifier *c = shipped(0);
	struct worker w[4];
	pthread_t th[4];
	(void)state;

	for (int i = 0; i < 4; i++) {
		w[i].c = c;
		w[i].sum = 0;
		assert_int_equal(pthread_create(&th[i], NULL, work, &w[i]), 0);
	}
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	for (int i = 1; i < 4; i++)
		assert_true(w[i].sum == w[0].sum);
	heed_classifier_free(c);
}

/* After a warm-up, classifying allocates nothing more: the scratch of the
 * context has reached its size. */
static void scratch_stops_growing(void **state)
{
	struct heed_classifier *c = shipped(0);
	struct heed_classify_ctx *x = heed_classify_ctx_new(c);
	size_t a[5];
	(void)state;

	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < 600; i++)
			judge(x, thread_texts[i % 6]);
		if (round == 0) {
			a[0] = x->rt_alloc; a[1] = x->toks_alloc; a[2] = x->reasons_alloc;
			a[3] = x->sent_alloc; a[4] = x->segs_alloc;
		}
	}
	assert_int_equal(a[0], x->rt_alloc);
	assert_int_equal(a[1], x->toks_alloc);
	assert_int_equal(a[2], x->reasons_alloc);
	assert_int_equal(a[3], x->sent_alloc);
	assert_int_equal(a[4], x->segs_alloc);
	heed_classify_ctx_free(x);
	heed_classifier_free(c);
}

/* ---- configuration, JSON, mentions ---- */

static struct heed_cfg *cfg_of(const char *text)
{
	struct heed_err err;
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	struct heed_cfg *cfg = heed_cfg_parse(heed_cfg_keys, "t.conf", f, &err);

	fclose(f);
	if (!cfg)
		fail_msg("%s", heed_err_msg(&err));
	return cfg;
}

static void configuration_finds_the_data(void **state)
{
	char *dir = data_dir(), *exe, *bad, *tmp = ht_mkdtemp("heed-cls"), *conf;
	struct heed_classifier_opts o;
	struct heed_cfg *cfg;
	struct heed_classifier *c;
	struct heed_err err;
	char buf[4096];
	FILE *f;
	(void)state;

	/* $HEED_DATA_DIR, then the binary's share/heed */
	cfg = cfg_of("");
	assert_int_equal(heed_classifier_opts_from_cfg(&o, cfg, dir, NULL, buf,
						       sizeof(buf), &err), HEED_OK);
	assert_string_equal(o.data_dir, dir);
	assert_int_equal(o.urgency_critical, 85);
	exe = xasprintf("%s/../heed", dir);	/* share/heed/../heed: the build tree */
	assert_int_equal(heed_classifier_opts_from_cfg(&o, cfg, NULL, exe, buf,
						       sizeof(buf), &err), HEED_OK);
	free(exe);
	assert_int_equal(heed_classifier_opts_from_cfg(&o, cfg, NULL, "/nonexistent/bin/heed",
						       buf, sizeof(buf), &err), HEED_ECONFIG);
	heed_cfg_free(cfg);

	/* [classifier] data_dir wins; extra rules load after ours; a bad one
	 * says file:line */
	bad = xasprintf("%s/mine.rules", tmp);
	f = fopen(bad, "w");
	fputs("topic pets our pet products\nrule pets.dog topic=pets urgency=30\n  match \\bdog\n", f);
	fclose(f);
	conf = xasprintf("[classifier]\ndata_dir = %s\nextra_rules = %s\ntopics = pets, outage\n", dir, bad);
	cfg = cfg_of(conf);
	c = heed_classifier_new_cfg(cfg, "/elsewhere", NULL, &err);
	assert_non_null(c);
	{
		struct heed_classify_ctx *x = heed_classify_ctx_new(c);
		const struct heed_verdict *v = judge(x, "my dog hates the new food");
		size_t t = heed_classifier_topic_count(c);

		assert_true(t > 10);
		assert_string_equal(heed_classifier_topic(c, t - 1), "pets");
		assert_int_equal(v->topics, 1ull << (t - 1));
		/* praise is not among the reported topics */
		assert_int_equal(judge(x, "thank you so much!")->topics, 0);
		heed_classify_ctx_free(x);
	}
	heed_classifier_free(c);
	heed_cfg_free(cfg);
	free(conf);
	f = fopen(bad, "w");
	fputs("rule broken\n  match (oops\n", f);
	fclose(f);
	conf = xasprintf("[classifier]\ndata_dir = %s\nextra_rules = %s\n", dir, bad);
	cfg = cfg_of(conf);
	heed_err_clear(&err);
	assert_null(heed_classifier_new_cfg(cfg, NULL, NULL, &err));
	assert_int_equal(err.code, HEED_EPARSE);
	assert_non_null(strstr(heed_err_msg(&err), "mine.rules:2: rule 'broken': bad pattern"));
	heed_cfg_free(cfg);
	free(conf);
	conf = xasprintf("[classifier]\ndata_dir = %s\ntopics = unicorns\n", dir);
	cfg = cfg_of(conf);
	assert_null(heed_classifier_new_cfg(cfg, NULL, NULL, &err));
	assert_int_equal(err.code, HEED_ECONFIG);
	heed_cfg_free(cfg);
	free(conf);
	conf = xasprintf("[classifier]\ndata_dir = %s/missing\n", tmp);
	cfg = cfg_of(conf);
	assert_null(heed_classifier_new_cfg(cfg, NULL, NULL, &err));
	assert_int_equal(err.code, HEED_EIO);
	heed_cfg_free(cfg);
	free(conf);
	free(bad);
	ht_rmtree(tmp);
	free(tmp);
	free(dir);
}

static void json_and_mentions(void **state)
{
	struct heed_classifier *c = shipped(0);
	struct heed_classify_ctx *x = heed_classify_ctx_new(c);
	const char *text = "Charged twice \x1b[31m!! \xff where is my refund?";
	const struct heed_verdict *v = judge(x, text);
	char *j = heed_verdict_json(c, v, text, v->used_len, true);
	json_t *root = json_loads(j, 0, NULL), *r, *o;
	struct heed_mention m;
	double sum = 0;
	size_t i;
	(void)state;

	assert_non_null(root);
	assert_string_equal(json_string_value(json_object_get(
		json_object_get(root, "sentiment"), "label")), "negative");
	r = json_object_get(root, "reasons");
	json_array_foreach(r, i, o) {
		if (!strcmp(json_string_value(json_object_get(o, "target")), "sentiment"))
			sum += json_real_value(json_object_get(o, "value"));
		assert_null(strchr(json_string_value(json_object_get(o, "text")), 0x1b));
	}
	assert_true(fabs(sum - v->compound) < 1e-6);
	json_decref(root);
	free(j);

	heed_mention_init(&m);
	m.text = xstrdup("Your app has been down for hours, I want a refund");
	m.author_followers = 50000;
	heed_classify_mention(x, &m);
	heed_classify_mention(x, &m);	/* again: frees what it held */
	assert_true(m.classified);
	assert_string_equal(m.sentiment_label, "negative");
	assert_true(m.needs_reply);
	assert_string_equal(m.topics[0], "outage");
	assert_string_equal(m.topics[1], "billing");
	assert_null(m.topics[2]);
	assert_non_null(strstr(m.reasons_json, "outage.down"));
	heed_mention_release(&m);
	heed_classify_ctx_free(x);
	heed_classifier_free(c);
}

/* ---- evaluation ---- */

static void evaluation_metrics(void **state)
{
	struct heed_classify_eval e;
	struct heed_classify_eval_result r;
	const char *id, *text;
	size_t il, tl;
	double rating;
	(void)state;

	assert_int_equal(heed_classify_eval_line("1_2\t-1.5\ta\tb c\r\n", 14,
						 &id, &il, &rating, &text, &tl), HEED_OK);
	assert_int_equal(il, 3);
	assert_true(rating == -1.5);
	assert_int_equal(tl, 5);
	assert_memory_equal(text, "a\tb c", 5);
	assert_int_equal(heed_classify_eval_line("x\ty\tz", 5, &id, &il, &rating,
						 &text, &tl), HEED_EPARSE);
	assert_int_equal(heed_classify_eval_line("nothing", 7, &id, &il, &rating,
						 &text, &tl), HEED_EPARSE);
	heed_classify_eval_init(&e);
	heed_classify_eval_add(&e, 0.5, 2);	/* pos, pos */
	heed_classify_eval_add(&e, -0.5, -2);	/* neg, neg */
	heed_classify_eval_add(&e, 0.0, 0.1);	/* neu, pos (0.05) / neu (0.2) */
	heed_classify_eval_add(&e, 0.3, -0.1);	/* pos, neg / neu */
	heed_classify_eval_result(&e, &r);
	assert_true(r.pearson_r > 0.9 && r.pearson_r < 1);
	assert_true(fabs(r.accuracy[0] - 0.5) < 1e-9);
	assert_true(fabs(r.accuracy[1] - 0.75) < 1e-9);
	assert_int_equal(r.neutral[1], 2);
	/* 0.05 cut: pos f1 0.5, neg f1 2/3, neu f1 0 */
	assert_true(fabs(r.macro_f1[0] - (0.5 + 2.0 / 3) / 3) < 1e-9);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(lexicon_parses_vader_format),
		cmocka_unit_test(lexicon_errors_name_file_and_line),
		cmocka_unit_test(rules_parse_and_fire),
		cmocka_unit_test(rule_errors_name_file_and_line),
		cmocka_unit_test(later_files_replace_and_disable),
		cmocka_unit_test(prefilter_proves_literals),
		cmocka_unit_test(prefilter_proves_starts),
		cmocka_unit_test(prefilter_never_hides_a_match),
		cmocka_unit_test(text_reader_tokens),
		cmocka_unit_test(hostile_input_never_breaks),
		cmocka_unit_test(vader_reference_scores),
		cmocka_unit_test(contributions_add_up),
		cmocka_unit_test(threads_share_one_model),
		cmocka_unit_test(scratch_stops_growing),
		cmocka_unit_test(configuration_finds_the_data),
		cmocka_unit_test(json_and_mentions),
		cmocka_unit_test(evaluation_metrics),
	};
	return cmocka_run_group_tests_name("classify", tests, NULL, NULL);
}
