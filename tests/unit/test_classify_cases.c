/* test_classify_cases.c: runs every case of tests/fixtures/classifier/
 * cases.txt (format in that file's header) through the classifier with the
 * shipped data, and checks across all of them that every rule of our rule
 * file and every VADER heuristic was exercised. Each verdict is also
 * checked for its invariants (contributions add up, spans inside the text)
 * and against a classifier without the prefilter (same verdict). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../classifier/classify_int.h"
#include "heed/classify.h"
#include "heed/xalloc.h"
#include "support.h"

struct expect {
	const char *label, *level, *topics, *reply;
	char extra[8][64];
	size_t n_extra;
};

struct tcase {
	unsigned line;
	char *text;
	size_t len;
	struct heed_classify_in in;
	char lang[16];
	struct expect e;
	char *expect_line;
};

static char *data_dir(void)
{
	const char *d = getenv("HEED_DATA_DIR");

	return d && *d ? xstrdup(d) : xasprintf("%s/share/heed", ht_builddir());
}

static struct heed_classifier *load(unsigned flags)
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
		fail_msg("cannot load the classifier from %s: %s", dir,
			 heed_err_msg(&err));
	free(dir);
	return c;
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'f')
		return (ch | 0x20) - 'a' + 10;
	return -1;
}

static size_t put_utf8(char *out, unsigned long c)
{
	if (c < 0x80) {
		out[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		out[0] = (char)(0xc0 | (c >> 6));
		out[1] = (char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		out[0] = (char)(0xe0 | (c >> 12));
		out[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		out[2] = (char)(0x80 | (c & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (c >> 18));
	out[1] = (char)(0x80 | ((c >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((c >> 6) & 0x3f));
	out[3] = (char)(0x80 | (c & 0x3f));
	return 4;
}

/* Undo the escapes of a text: line (\n \t \r \e \0 \\ \xHH \u{H...}). */
static char *unescape(const char *s, size_t *len)
{
	char *out = xmalloc(strlen(s) * 4 + 1);
	size_t o = 0;

	while (*s) {
		if (*s != '\\' || !s[1]) {
			out[o++] = *s++;
			continue;
		}
		s++;
		switch (*s) {
		case 'n': out[o++] = '\n'; s++; break;
		case 't': out[o++] = '\t'; s++; break;
		case 'r': out[o++] = '\r'; s++; break;
		case 'e': out[o++] = 0x1b; s++; break;
		case '0': out[o++] = '\0'; s++; break;
		case 'x':
			if (hexval(s[1]) >= 0 && hexval(s[2]) >= 0) {
				out[o++] = (char)(hexval(s[1]) * 16 + hexval(s[2]));
				s += 3;
			} else {
				out[o++] = 'x';
				s++;
			}
			break;
		case 'u':
			if (s[1] == '{') {
				unsigned long c = strtoul(s + 2, (char **)&s, 16);

				o += put_utf8(out + o, c);
				if (*s == '}')
					s++;
			} else {
				out[o++] = 'u';
				s++;
			}
			break;
		default: out[o++] = *s++; break;
		}
	}
	out[o] = '\0';
	*len = o;
	return out;
}

static void parse_meta(struct tcase *t, char *s)
{
	char *save;

	for (char *w = strtok_r(s, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
		if (!strncmp(w, "lang=", 5)) {
			snprintf(t->lang, sizeof(t->lang), "%s", w + 5);
			t->in.lang = t->lang;
		} else if (!strncmp(w, "followers=", 10)) {
			t->in.followers = strtoll(w + 10, NULL, 10);
		} else if (!strcmp(w, "own")) {
			t->in.is_own = true;
		} else if (!strcmp(w, "share")) {
			t->in.is_share = true;
		} else if (!strcmp(w, "direct")) {
			t->in.mentions_account = true;
		} else {
			fail_msg("cases.txt:%u: unknown meta '%s'", t->line, w);
		}
	}
}

static void parse_expect(struct tcase *t, char *s)
{
	char *w[12], *save;
	size_t n = 0;

	t->expect_line = xstrdup(s);
	for (char *p = strtok_r(s, " ", &save); p && n < 12; p = strtok_r(NULL, " ", &save))
		w[n++] = p;
	if (n < 4)
		fail_msg("cases.txt:%u: expect needs LABEL LEVEL TOPICS REPLY", t->line);
	t->e.label = w[0];
	t->e.level = w[1];
	t->e.topics = w[2];
	t->e.reply = w[3];
	for (size_t i = 4; i < n && t->e.n_extra < 8; i++)
		snprintf(t->e.extra[t->e.n_extra++], 64, "%s", w[i]);
}

/* Read all cases; the strings point into buf (kept by the caller). */
static struct tcase *read_cases(char *buf, size_t *n)
{
	struct tcase *cases = NULL, *cur = NULL;
	size_t count = 0;
	unsigned line = 0;
	char *p = buf;

	while (p && *p) {
		char *eol = strchr(p, '\n'), *l = p;

		if (eol)
			*eol = '\0';
		p = eol ? eol + 1 : NULL;
		line++;
		if (!strncmp(l, "text: ", 6)) {
			cases = xreallocarray(cases, count + 1, sizeof(*cases));
			cur = &cases[count++];
			memset(cur, 0, sizeof(*cur));
			cur->line = line;
			cur->in.followers = -1;
			cur->text = unescape(l + 6, &cur->len);
		} else if (!strncmp(l, "repeat: ", 8) && cur) {
			unsigned long k = strtoul(l + 8, NULL, 10);
			char *big = xmalloc(cur->len * k + 1);

			for (unsigned long i = 0; i < k; i++)
				memcpy(big + i * cur->len, cur->text, cur->len);
			big[cur->len * k] = '\0';
			free(cur->text);
			cur->text = big;
			cur->len *= k;
		} else if (!strncmp(l, "meta: ", 6) && cur) {
			parse_meta(cur, l + 6);
		} else if (!strncmp(l, "expect: ", 8) && cur) {
			parse_expect(cur, l + 8);
		} else if (l[0] && l[0] != '#') {
			fail_msg("cases.txt:%u: unknown line '%.40s'", line, l);
		}
	}
	*n = count;
	return cases;
}

static void topics_of(const struct heed_classifier *c, uint64_t t, char *out,
		      size_t outsz)
{
	size_t len = 0;

	out[0] = '\0';
	for (size_t i = 0; i < heed_classifier_topic_count(c); i++)
		if (t >> i & 1)
			len += (size_t)snprintf(out + len, outsz - len, "%s%s",
						len ? "," : "", heed_classifier_topic(c, i));
	if (!len)
		snprintf(out, outsz, "-");
}

/* The expected topics, as a set, equal the verdict's? */
static bool topics_equal(const struct heed_classifier *c, uint64_t got,
			 const char *want)
{
	uint64_t mask = 0;
	char buf[512];

	if (strcmp(want, "-")) {
		snprintf(buf, sizeof(buf), "%s", want);
		for (char *save, *t = strtok_r(buf, ",", &save); t;
		     t = strtok_r(NULL, ",", &save)) {
			size_t i;

			for (i = 0; i < heed_classifier_topic_count(c); i++)
				if (!strcmp(heed_classifier_topic(c, i), t))
					break;
			if (i == heed_classifier_topic_count(c))
				return false;
			mask |= 1ull << i;
		}
	}
	return mask == got;
}

static bool has_reason(const struct heed_verdict *v, const char *what)
{
	bool rule = !strncmp(what, "rule=", 5);

	for (size_t i = 0; i < v->n_reasons; i++) {
		const struct heed_reason *r = &v->reasons[i];

		if (rule && (r->kind == HEED_R_RULE || r->kind == HEED_R_GROUP) &&
		    !strcmp(r->name, what + 5))
			return true;
		if (!rule && !strcmp(heed_reason_kind_name(r->kind), what + 5))
			return true;
	}
	return false;
}

/* What must hold for any verdict. */
static void check_invariants(const struct heed_verdict *v, size_t len,
			     unsigned line)
{
	double sum = 0;
	long points = 0;

	for (size_t i = 0; i < v->n_reasons; i++) {
		const struct heed_reason *r = &v->reasons[i];

		if (r->end < r->start || r->end > len)
			fail_msg("cases.txt:%u: reason span %zu-%zu outside the text",
				 line, r->start, r->end);
		if (r->target == HEED_TARGET_SENTIMENT)
			sum += r->value;
		else if (r->target == HEED_TARGET_URGENCY)
			points += (long)r->value;
	}
	if (sum - v->compound > 1e-9 || v->compound - sum > 1e-9)
		fail_msg("cases.txt:%u: sentiment shares add up to %.12f, not %.12f",
			 line, sum, v->compound);
	if (points != v->urgency)
		fail_msg("cases.txt:%u: urgency points add up to %ld, not %d",
			 line, points, v->urgency);
	if (v->compound < -1 || v->compound > 1 || v->urgency < 0 || v->urgency > 100)
		fail_msg("cases.txt:%u: score out of range", line);
}

static bool same_verdict(const struct heed_verdict *a,
			 const struct heed_verdict *b)
{
	return a->compound == b->compound && a->urgency == b->urgency &&
	       a->topics == b->topics && a->needs_reply == b->needs_reply &&
	       a->spam == b->spam && a->n_reasons == b->n_reasons;
}

/* One case: empty string when it passes, else what was wrong. */
static void run_case(const struct heed_classifier *c, struct heed_classify_ctx *x,
		     struct heed_classify_ctx *plain, struct tcase *t,
		     uint64_t *rules_seen, char *kinds_seen, char *why,
		     size_t whysz)
{
	const struct heed_verdict *v, *w;
	char topics[512];
	size_t n = 0;

	why[0] = '\0';
	t->in.text = t->text;
	t->in.len = t->len;
	t->in.lang = t->lang[0] ? t->lang : NULL;	/* the array moved since */
	assert_int_equal(heed_classify(plain, &t->in, &w), HEED_OK);
	struct heed_verdict wcopy = *w;
	assert_int_equal(heed_classify(x, &t->in, &v), HEED_OK);
	check_invariants(v, v->used_len, t->line);
	if (!same_verdict(v, &wcopy))
		n += (size_t)snprintf(why + n, whysz - n, " [prefilter changed the verdict]");
	for (size_t i = 0; i < v->n_reasons; i++) {
		const struct heed_reason *r = &v->reasons[i];

		kinds_seen[r->kind] = 1;
		if (r->kind == HEED_R_RULE || r->kind == HEED_R_GROUP)
			for (size_t k = 0; k < c->n_rules; k++)
				if (r->name == c->rules[k].name)
					rules_seen[k / 64] |= 1ull << (k % 64);
	}
	topics_of(c, v->topics, topics, sizeof(topics));
	if (strcmp(t->e.label, heed_sentiment_name(v->label)) ||
	    strcmp(t->e.level, heed_urgency_name(v->level)) ||
	    !topics_equal(c, v->topics, t->e.topics) ||
	    strcmp(t->e.reply, v->needs_reply ? "reply" : "noreply"))
		n += (size_t)snprintf(why + n, whysz - n, " got: %s %s %s %s",
				      heed_sentiment_name(v->label),
				      heed_urgency_name(v->level), topics,
				      v->needs_reply ? "reply" : "noreply");
	for (size_t i = 0; i < t->e.n_extra && n < whysz; i++) {
		const char *e = t->e.extra[i];
		bool ok = false;

		if (!strcmp(e, "spam"))
			ok = v->spam;
		else if (!strcmp(e, "unscored"))
			ok = !v->scored;
		else if (!strcmp(e, "truncated"))
			ok = v->truncated;
		else if (!strncmp(e, "lang=", 5))
			ok = !strcmp(v->lang, e + 5);
		else if (!strncmp(e, "rule=", 5) || !strncmp(e, "kind=", 5))
			ok = has_reason(v, e);
		else
			fail_msg("cases.txt:%u: unknown expectation '%s'", t->line, e);
		if (!ok)
			n += (size_t)snprintf(why + n, whysz - n, " [missing %s]", e);
	}
	if (n)
		n += (size_t)snprintf(why + n, whysz - n, " (compound %+.4f, urgency %d: %s)",
				      v->compound, v->urgency, v->reply_reason);
}

static void all_cases_pass(void **state)
{
	struct heed_classifier *c = load(0), *c2 = load(HEED_CLASSIFY_NO_PREFILTER);
	struct heed_classify_ctx *x = heed_classify_ctx_new(c);
	struct heed_classify_ctx *plain = heed_classify_ctx_new(c2);
	char *path = xasprintf("%s/tests/fixtures/classifier/cases.txt", ht_srcdir());
	FILE *f = fopen(path, "rb");
	char *buf, why[1024], kinds_seen[32] = { 0 };
	uint64_t rules_seen[8] = { 0 };
	size_t len, n, failed = 0, ours = 0, missing = 0;
	struct tcase *cases;
	(void)state;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	len = (size_t)ftell(f);
	rewind(f);
	buf = xmalloc(len + 1);
	assert_int_equal(fread(buf, 1, len, f), len);
	buf[len] = '\0';
	fclose(f);
	cases = read_cases(buf, &n);
	print_message("%zu cases\n", n);
	assert_true(n >= 300);
	for (size_t i = 0; i < n; i++) {
		if (!cases[i].expect_line)
			fail_msg("cases.txt:%u: case without expect", cases[i].line);
		run_case(c, x, plain, &cases[i], rules_seen, kinds_seen, why, sizeof(why));
		if (why[0]) {
			print_message("cases.txt:%u: want %s;%s\n", cases[i].line,
				      cases[i].expect_line, why);
			failed++;
		}
	}
	assert_true(c->n_rules <= 512);
	for (size_t k = 0; k < c->n_rules; k++) {
		if (c->rules[k].disabled || strcmp(c->rules[k].file + strlen(c->rules[k].file) -
						   strlen(HEED_CLASSIFY_OWN_RULES),
						   HEED_CLASSIFY_OWN_RULES))
			continue;
		ours++;
		if (!(rules_seen[k / 64] >> (k % 64) & 1)) {
			print_message("rule %s fired in no case\n", c->rules[k].name);
			missing++;
		}
	}
	for (int k = HEED_R_LEXICON; k <= HEED_R_CLAMP; k++)
		if (!kinds_seen[k]) {
			print_message("no case shows a '%s' reason\n",
				      heed_reason_kind_name((enum heed_reason_kind)k));
			missing++;
		}
	print_message("%zu of %zu cases failed; %zu rules of ours, %zu uncovered rules or heuristics\n",
		      failed, n, ours, missing);
	for (size_t i = 0; i < n; i++) {
		free(cases[i].text);
		free(cases[i].expect_line);
	}
	free(cases);
	free(buf);
	free(path);
	heed_classify_ctx_free(x);
	heed_classify_ctx_free(plain);
	heed_classifier_free(c);
	heed_classifier_free(c2);
	assert_int_equal(failed, 0);
	assert_int_equal(missing, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(all_cases_pass),
	};
	return cmocka_run_group_tests_name("classify_cases", tests, NULL, NULL);
}
