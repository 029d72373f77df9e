/* cmd_classify.c: `heed classify`: judge mentions given as arguments or
 * read from stdin (plain lines, JSONL with metadata, or id<TAB>text), print
 * one verdict per line, optionally with every contribution explained, or
 * score the classifier against a human-rated corpus (--eval). */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"
#include "heed/buf.h"
#include "heed/classify.h"
#include "heed/json.h"
#include "heed/term.h"
#include "heed/xalloc.h"

#define MAX_LINE (4u * 1024 * 1024)	/* longer input lines are cut */

const char cmd_classify_usage[] =
	"usage: heed classify [--explain] [--json | --tsv] [TEXT...]\n"
	"       heed classify --eval FILE [--eval FILE...]\n"
	"\n"
	"Judge mentions as the pollers do: sentiment (compound score -1..1 and\n"
	"label), urgency (0-100 and level), topics, and whether a mention needs a\n"
	"reply and why. Each TEXT argument is one mention; without any, stdin is\n"
	"read, one mention per line. A line holding a JSON object with a \"text\"\n"
	"member is a mention with metadata: \"id\", \"lang\", \"followers\",\n"
	"\"is_own\", \"is_share\", \"mentions_account\" (all optional).\n"
	"\n"
	"  --explain    after each verdict, every contribution: its span in the\n"
	"               text (bytes), the text, and its share; the shares of each\n"
	"               score add up to the score\n"
	"  --json       one JSON object per mention (with --explain: and reasons)\n"
	"  --tsv        input lines are ID<TAB>TEXT (the id is the first field, the\n"
	"               text the last); output ID<TAB>COMPOUND<TAB>LABEL<TAB>LEVEL\n"
	"               <TAB>TOPICS (comma-separated)\n"
	"  --eval FILE  score against human ratings (lines ID<TAB>MEAN<TAB>TEXT, as\n"
	"               in the VADER corpora): Pearson r, accuracy and macro-F1\n"
	"               under the paper's neutral cut (|mean| < 0.05) and the\n"
	"               stricter one (|mean| < 0.2)\n"
	"\n"
	"The lexicons and rules come from [classifier] in the configuration; see\n"
	"brandcare.rules in the data directory for the rule format.\n"
	"Exit codes: 0 done, 1 an --eval file could not be read, 2 usage,\n"
	"3 configuration or data files are wrong.\n";

enum mode { M_TEXT, M_JSON, M_TSV };

struct run {
	struct heed_classifier *c;
	struct heed_classify_ctx *x;
	enum mode mode;
	bool explain;
};

static const char *env_get(char **env, const char *name)
{
	size_t n = strlen(name);

	for (; env && *env; env++)
		if (!strncmp(*env, name, n) && (*env)[n] == '=')
			return *env + n + 1;
	return NULL;
}

/* Text for the terminal: controls and escapes removed, cut to width. */
static void excerpt(char *out, size_t outsz, const char *s, size_t len)
{
	char *clean = heed_term_clean(s, len, 0);

	heed_term_sanitize(out, outsz, clean);
	free(clean);
}

static void topics_csv(const struct heed_classifier *c, uint64_t topics,
		       FILE *out)
{
	bool first = true;

	for (size_t i = 0; i < heed_classifier_topic_count(c); i++) {
		if (!(topics >> i & 1))
			continue;
		fprintf(out, "%s%s", first ? "" : ",", heed_classifier_topic(c, i));
		first = false;
	}
	if (first)
		fputs("-", out);
}

/* Shares in units of 1e-4 that add up exactly to the rounded score
 * (largest remainder), so that what is printed adds up. */
static void round_shares(const struct heed_verdict *v, long *units)
{
	long target = lround(v->compound * 1e4), sum = 0;
	double *rem = xcalloc(v->n_reasons + 1, sizeof(*rem));

	for (size_t i = 0; i < v->n_reasons; i++) {
		double u = v->reasons[i].value * 1e4;

		units[i] = (long)floor(u);
		rem[i] = u - floor(u);
		if (v->reasons[i].target == HEED_TARGET_SENTIMENT)
			sum += units[i];
	}
	while (sum != target) {
		size_t best = v->n_reasons;

		for (size_t i = 0; i < v->n_reasons; i++) {
			if (v->reasons[i].target != HEED_TARGET_SENTIMENT)
				continue;
			if (best == v->n_reasons ||
			    (sum < target ? rem[i] > rem[best] : rem[i] < rem[best]))
				best = i;
		}
		if (best == v->n_reasons)
			break;
		units[best] += sum < target ? 1 : -1;
		rem[best] = sum < target ? -1 : 2;	/* used */
		sum += sum < target ? 1 : -1;
	}
	free(rem);
}

static void print_reason(const struct heed_reason *r, const char *text,
			 size_t len, const char *value)
{
	char span[48], ex[48] = "", name[64];

	if (r->end > r->start && r->end <= len) {
		snprintf(span, sizeof(span), "%zu-%zu", r->start, r->end);
		excerpt(ex, sizeof(ex), text + r->start, r->end - r->start);
	} else {
		snprintf(span, sizeof(span), "whole");
	}
	excerpt(name, sizeof(name), r->name, strlen(r->name));
	printf("    %9s  %-9s  %-11s %s (%s)%s%s%s\n", value, span,
	       heed_reason_kind_name(r->kind), name, r->note ? r->note : "",
	       ex[0] ? "  \"" : "", ex, ex[0] ? "\"" : "");
}

static void explain(const struct run *rn, const struct heed_verdict *v,
		    const char *text)
{
	long *units = xcalloc(v->n_reasons + 1, sizeof(*units));
	double raw = 0;
	char val[32];

	round_shares(v, units);
	for (size_t i = 0; i < v->n_reasons; i++)
		if (v->reasons[i].target == HEED_TARGET_SENTIMENT)
			raw += v->reasons[i].raw;
	if (!v->scored)
		printf("  sentiment not scored: language '%s'\n", v->lang);
	printf("  sentiment %+.4f = sum of the shares below (raw sum %+.4f, "
	       "scaled by 1/sqrt(raw^2 + 15)); pos %.3f neu %.3f neg %.3f\n",
	       v->compound, raw, v->pos, v->neu, v->neg);
	for (size_t i = 0; i < v->n_reasons; i++) {
		const struct heed_reason *r = &v->reasons[i];

		if (r->target != HEED_TARGET_SENTIMENT)
			continue;
		snprintf(val, sizeof(val), "%s%ld.%04ld", units[i] < 0 ? "-" : "+",
			 labs(units[i]) / 10000, labs(units[i]) % 10000);
		print_reason(r, text, v->used_len, val);
	}
	printf("  urgency %d (%s) = sum of the points below\n", v->urgency,
	       heed_urgency_name(v->level));
	for (size_t i = 0; i < v->n_reasons; i++) {
		const struct heed_reason *r = &v->reasons[i];

		if (r->target != HEED_TARGET_URGENCY)
			continue;
		snprintf(val, sizeof(val), "%+d", (int)lround(r->value));
		print_reason(r, text, v->used_len, val);
	}
	printf("  topics ");
	topics_csv(rn->c, v->topics, stdout);
	printf("; reply %s\n", v->reply_reason);
	for (size_t i = 0; i < v->n_reasons; i++) {
		const struct heed_reason *r = &v->reasons[i];

		if (r->target == HEED_TARGET_TOPIC)
			print_reason(r, text, v->used_len, r->topic ? r->topic : "");
	}
	if (v->lang[0])
		printf("  language %s%s\n", v->lang, v->lang_guessed ? " (guessed from the text)" : "");
	if (v->truncated)
		printf("  only the first %zu bytes were read\n", v->used_len);
	free(units);
}

static void print_text(const struct run *rn, const struct heed_verdict *v,
		       const char *text)
{
	printf("%s %+.4f  urgency %s %d  topics ", heed_sentiment_name(v->label),
	       v->compound, heed_urgency_name(v->level), v->urgency);
	topics_csv(rn->c, v->topics, stdout);
	printf("  reply %s%s\n", v->reply_reason, v->spam ? "  [spam]" : "");
	if (rn->explain)
		explain(rn, v, text);
}

static void print_json(const struct run *rn, const struct heed_verdict *v,
		       const char *text, const char *id)
{
	char *j = heed_verdict_json(rn->c, v, text, v->used_len, rn->explain);

	if (id) {
		char *clean = heed_term_clean(id, strlen(id), 0);
		json_t *s = json_string(clean);
		char *quoted = s ? json_dumps(s, JSON_ENCODE_ANY) : NULL;

		printf("{\"id\":%s,%s\n", quoted ? quoted : "null", j + 1);
		free(quoted);
		json_decref(s);
		free(clean);
	} else {
		printf("%s\n", j);
	}
	free(j);
}

static void print_tsv(const struct run *rn, const struct heed_verdict *v,
		      const char *id, size_t id_len)
{
	char *clean = heed_term_clean(id, id_len, 0);

	printf("%s\t%.4f\t%s\t%s\t", clean, v->compound,
	       heed_sentiment_name(v->label), heed_urgency_name(v->level));
	for (size_t i = 0, first = 1; i < heed_classifier_topic_count(rn->c); i++) {
		if (!(v->topics >> i & 1))
			continue;
		printf("%s%s", first ? "" : ",", heed_classifier_topic(rn->c, i));
		first = 0;
	}
	putchar('\n');
	free(clean);
}

static void one(struct run *rn, struct heed_classify_in *in, const char *id,
		size_t id_len)
{
	const struct heed_verdict *v;

	if (heed_classify(rn->x, in, &v))
		return;
	if (rn->mode == M_TSV)
		print_tsv(rn, v, id ? id : "", id ? id_len : 0);
	else if (rn->mode == M_JSON)
		print_json(rn, v, in->text, id);
	else
		print_text(rn, v, in->text);
}

/* A JSONL line: a mention with metadata. Returns false if it is not one. */
static bool one_json(struct run *rn, const char *line, size_t len)
{
	struct heed_classify_in in;
	json_t *j;
	const char *text, *id;
	char idbuf[64];

	if (!len || line[0] != '{')
		return false;
	j = heed_json_parse(line, len, MAX_LINE, NULL);
	text = j ? heed_json_str(j, "text") : NULL;
	if (!text) {
		json_decref(j);
		return false;
	}
	memset(&in, 0, sizeof(in));
	in.text = text;
	in.len = strlen(text);
	in.lang = heed_json_str(j, "lang");
	in.followers = heed_json_int(j, "followers", -1, NULL);
	in.is_own = heed_json_bool(j, "is_own", false, NULL);
	in.is_share = heed_json_bool(j, "is_share", false, NULL);
	in.mentions_account = heed_json_bool(j, "mentions_account", false, NULL);
	id = heed_json_str_or_num(j, "id", idbuf, sizeof(idbuf));
	one(rn, &in, id, id ? strlen(id) : 0);
	json_decref(j);
	return true;
}

static void one_line(struct run *rn, const char *line, size_t len)
{
	struct heed_classify_in in;
	const char *id = NULL, *tab;
	size_t id_len = 0;

	memset(&in, 0, sizeof(in));
	in.followers = -1;
	if (rn->mode == M_TSV) {
		tab = memchr(line, '\t', len);
		id = line;
		id_len = tab ? (size_t)(tab - line) : len;
		if (tab) {
			const char *last = memrchr(line, '\t', len);

			in.text = last + 1;
			in.len = len - (size_t)(last + 1 - line);
		} else {
			in.text = "";
		}
		one(rn, &in, id, id_len);
		return;
	}
	if (one_json(rn, line, len))
		return;
	in.text = line;
	in.len = len;
	one(rn, &in, NULL, 0);
}

static void emit(struct run *rn, struct heed_buf *b,
		 void (*fn)(struct run *, const char *, size_t, void *), void *arg)
{
	size_t n = heed_buf_len(b);

	if (n && heed_buf_str(b)[n - 1] == '\r')
		n--;
	fn(rn, heed_buf_str(b), n, arg);
	heed_buf_reset(b);
	fflush(stdout);
}

/* Read in line by line (any bytes, NUL included), as it arrives; a line
 * longer than MAX_LINE is cut there. */
static void read_lines(struct run *rn, FILE *in,
		       void (*fn)(struct run *, const char *, size_t, void *),
		       void *arg)
{
	struct heed_buf b;
	char chunk[65536];
	bool pending = false;
	ssize_t got;

	heed_buf_init(&b, MAX_LINE);
	while ((got = read(fileno(in), chunk, sizeof(chunk))) != 0) {
		const char *p = chunk, *end;

		if (got < 0) {
			if (errno == EINTR)
				continue;
			perror("heed: reading input");
			break;
		}
		end = chunk + got;
		while (p < end) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			size_t n = (size_t)((nl ? nl : end) - p);

			size_t room = MAX_LINE - heed_buf_len(&b);

			/* past the cap the rest of the line is dropped */
			if (n > room)
				n = room;
			if (n && heed_buf_add(&b, p, n) != HEED_OK)
				abort();	/* cannot happen: it fits */
			pending = true;
			if (!nl)
				break;
			emit(rn, &b, fn, arg);
			pending = false;
			p = nl + 1;
		}
	}
	if (pending)
		emit(rn, &b, fn, arg);
	heed_buf_release(&b);
}

static void line_cb(struct run *rn, const char *line, size_t len, void *arg)
{
	(void)arg;
	one_line(rn, line, len);
}

struct eval_state {
	struct heed_classify_eval e;
	size_t bad;
};

static void eval_cb(struct run *rn, const char *line, size_t len, void *arg)
{
	struct eval_state *st = arg;
	struct heed_classify_in in;
	const struct heed_verdict *v;
	const char *id, *text;
	size_t id_len, text_len;
	double rating;

	if (!len)
		return;
	if (heed_classify_eval_line(line, len, &id, &id_len, &rating, &text,
				    &text_len)) {
		st->bad++;
		return;
	}
	memset(&in, 0, sizeof(in));
	in.text = text;
	in.len = text_len;
	in.lang = "en";
	in.followers = -1;
	if (heed_classify(rn->x, &in, &v))
		return;
	heed_classify_eval_add(&st->e, v->compound, rating);
}

static int eval_file(struct run *rn, const char *path)
{
	struct eval_state st;
	struct heed_classify_eval_result r;
	FILE *f = fopen(path, "rb");

	if (!f) {
		perror(path);
		return CLI_FAIL;
	}
	heed_classify_eval_init(&st.e);
	st.bad = 0;
	read_lines(rn, f, eval_cb, &st);
	fclose(f);
	heed_classify_eval_result(&st.e, &r);
	printf("eval %s: %zu items%s, Pearson r %.4f\n", path, st.e.n,
	       st.bad ? " (malformed lines skipped)" : "", r.pearson_r);
	for (int k = 0; k < HEED_EVAL_CUTS; k++)
		printf("  neutral cut %.2f%s: accuracy %.4f, macro-F1 %.4f, "
		       "weighted F1 %.4f (%zu neutral)\n", heed_classify_eval_cut[k],
		       k == 0 ? " (paper)" : " (strict)", r.accuracy[k],
		       r.macro_f1[k], r.weighted_f1[k], r.neutral[k]);
	return CLI_OK;
}

struct heed_classifier *cli_classifier(struct cli_ctx *ctx)
{
	struct heed_cfg *cfg = cli_config(ctx);
	struct heed_classifier *c;
	struct heed_err err;
	char exe[4096];
	ssize_t n;

	if (!cfg)
		return NULL;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = '\0';
	heed_err_clear(&err);
	c = heed_classifier_new_cfg(cfg, env_get(ctx->env, "HEED_DATA_DIR"),
				    n > 0 ? exe : NULL, &err);
	if (!c)
		fprintf(stderr, "heed: %s\n", heed_err_msg(&err));
	return c;
}

int cmd_classify(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "explain", no_argument, NULL, 'x' },
		{ "json", no_argument, NULL, 'j' },
		{ "tsv", no_argument, NULL, 't' },
		{ "eval", required_argument, NULL, 'e' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct run rn = { NULL, NULL, M_TEXT, false };
	const char **evals = NULL;
	size_t n_evals = 0;
	int c, rc = CLI_OK;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'x': rn.explain = true; break;
		case 'j': rn.mode = rn.mode == M_TSV ? -1 : M_JSON; break;
		case 't': rn.mode = rn.mode == M_JSON ? -1 : M_TSV; break;
		case 'e':
			evals = xreallocarray(evals, n_evals + 1, sizeof(*evals));
			evals[n_evals++] = optarg;
			break;
		case 'h':
			free(evals);
			cli_usage(ctx->cmd, stdout);
			return CLI_OK;
		default:
			free(evals);
			return cli_bad_usage(ctx, "bad option");
		}
	}
	if ((int)rn.mode == -1 || (n_evals && optind < argc)) {
		free(evals);
		return cli_bad_usage(ctx, (int)rn.mode == -1
				     ? "--json and --tsv exclude each other"
				     : "--eval takes no TEXT arguments");
	}
	rn.c = cli_classifier(ctx);
	if (!rn.c) {
		free(evals);
		return CLI_CONFIG;
	}
	rn.x = heed_classify_ctx_new(rn.c);
	if (n_evals) {
		for (size_t i = 0; i < n_evals; i++)
			if (eval_file(&rn, evals[i]) != CLI_OK)
				rc = CLI_FAIL;
	} else if (optind < argc) {
		for (int i = optind; i < argc; i++)
			one_line(&rn, argv[i], strlen(argv[i]));
	} else {
		read_lines(&rn, stdin, line_cb, NULL);
	}
	heed_classify_ctx_free(rn.x);
	heed_classifier_free(rn.c);
	free(evals);
	return rc;
}
