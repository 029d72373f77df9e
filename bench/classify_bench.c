/* classify_bench.c: figures for bench/classify.sh. Loads the classifier with
 * its shipped data and all rules on, then, by mode:
 *   rate N FILE...     classify N mentions (the texts of the ground-truth
 *                      FILEs, round and round) on this thread, three times;
 *                      prints the median rate in mentions per second (each
 *                      run's on stderr: single runs on this VM spread ~8%)
 *   eval GT [SCORES]   Pearson r (and accuracy, macro-F1) of heed's compound
 *                      against GT's ratings; with SCORES (one compound per
 *                      line, same order: vader-sentiment JS in the same
 *                      run) the same for them, as one bench line each
 *   rss N FILE...      classify N mentions, print the resident set size
 *                      before (after a warm-up) and after: memory stays flat
 * The data directory is $HEED_DATA_DIR, else $HEED_BUILD/share/heed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "heed/classify.h"
#include "heed/xalloc.h"

struct corpus {
	char **text;
	size_t *len;
	double *rating;
	size_t n;
};

#define RATE_ROUNDS 3

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void die(const char *what)
{
	fprintf(stderr, "classify_bench: %s\n", what);
	exit(1);
}

static void load_corpus(struct corpus *c, const char *path)
{
	FILE *f = fopen(path, "rb");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	if (!f) {
		perror(path);
		exit(1);
	}
	while ((n = getline(&line, &cap, f)) > 0) {
		const char *id, *text;
		size_t id_len, text_len;
		double rating;

		if (heed_classify_eval_line(line, (size_t)n, &id, &id_len, &rating,
					    &text, &text_len))
			continue;
		c->text = xreallocarray(c->text, c->n + 1, sizeof(*c->text));
		c->len = xreallocarray(c->len, c->n + 1, sizeof(*c->len));
		c->rating = xreallocarray(c->rating, c->n + 1, sizeof(*c->rating));
		c->text[c->n] = xstrndup(text, text_len);
		c->len[c->n] = text_len;
		c->rating[c->n] = rating;
		c->n++;
	}
	free(line);
	fclose(f);
}

static struct heed_classifier *model(void)
{
	struct heed_classifier_opts o;
	struct heed_classifier *c;
	struct heed_err err;
	const char *d = getenv("HEED_DATA_DIR"), *b = getenv("HEED_BUILD");
	char dir[4096];

	if (d && *d)
		snprintf(dir, sizeof(dir), "%s", d);
	else
		snprintf(dir, sizeof(dir), "%s/share/heed", b && *b ? b : "build");
	heed_classifier_opts_init(&o);
	o.data_dir = dir;
	heed_err_clear(&err);
	c = heed_classifier_new(&o, &err);
	if (!c)
		die(heed_err_msg(&err));
	return c;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Classify n mentions; returns a checksum so that nothing is optimised
 * away. */
static double run(struct heed_classify_ctx *x, const struct corpus *c,
		  size_t n)
{
	const struct heed_verdict *v;
	struct heed_classify_in in;
	double sum = 0;

	memset(&in, 0, sizeof(in));
	in.followers = -1;
	for (size_t i = 0; i < n; i++) {
		in.text = c->text[i % c->n];
		in.len = c->len[i % c->n];
		if (heed_classify(x, &in, &v))
			die("classify failed");
		sum += v->compound + v->urgency;
	}
	return sum;
}

static long rss_kib(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kib = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "VmRSS:", 6))
			kib = strtol(line + 6, NULL, 10);
	fclose(f);
	return kib;
}

static void eval_line(const char *name, const char *who,
		      const struct heed_classify_eval_result *r)
{
	fprintf(stderr, "  %s %s: r %.4f, accuracy %.4f / %.4f, macro-F1 %.4f / %.4f "
		"(neutral cut 0.05 / 0.2)\n", name, who, r->pearson_r,
		r->accuracy[0], r->accuracy[1], r->macro_f1[0], r->macro_f1[1]);
}

static int eval(const char *gt, const char *scores, const char *name)
{
	struct heed_classifier *m = model();
	struct heed_classify_ctx *x = heed_classify_ctx_new(m);
	struct heed_classify_eval e, ej;
	struct heed_classify_eval_result r, rj;
	struct corpus c = { 0 };
	const struct heed_verdict *v;
	struct heed_classify_in in;
	FILE *f = NULL;

	load_corpus(&c, gt);
	heed_classify_eval_init(&e);
	heed_classify_eval_init(&ej);
	memset(&in, 0, sizeof(in));
	in.followers = -1;
	in.lang = "en";
	if (scores && !(f = fopen(scores, "r")))
		die("cannot read the vaderjs scores");
	for (size_t i = 0; i < c.n; i++) {
		double js;

		in.text = c.text[i];
		in.len = c.len[i];
		if (heed_classify(x, &in, &v))
			die("classify failed");
		heed_classify_eval_add(&e, v->compound, c.rating[i]);
		if (f) {
			if (fscanf(f, "%lf", &js) != 1)
				die("vaderjs gave fewer scores than items");
			heed_classify_eval_add(&ej, js, c.rating[i]);
		}
	}
	heed_classify_eval_result(&e, &r);
	eval_line(name, "heed", &r);
	if (f) {
		heed_classify_eval_result(&ej, &rj);
		eval_line(name, "vaderjs", &rj);
		printf("bench classify_pearson_%s: %.4f r vs vaderjs %.4f r, ratio %.3f\n",
		       name, r.pearson_r, rj.pearson_r, r.pearson_r / rj.pearson_r);
		printf("bench classify_macro_f1_%s: %.4f vs vaderjs %.4f, ratio %.3f\n",
		       name, r.macro_f1[0], rj.macro_f1[0], r.macro_f1[0] / rj.macro_f1[0]);
		fclose(f);
	} else {
		printf("bench classify_pearson_%s: %.4f r\n", name, r.pearson_r);
	}
	heed_classify_ctx_free(x);
	heed_classifier_free(m);
	return 0;
}

int main(int argc, char **argv)
{
	struct heed_classifier *m;
	struct heed_classify_ctx *x;
	struct corpus c = { 0 };
	size_t n;
	double t0, t1, sum;

	if (argc >= 3 && !strcmp(argv[1], "eval"))
		return eval(argv[2], argc > 3 && *argv[3] ? argv[3] : NULL,
			    argc > 4 ? argv[4] : "corpus");
	if (argc < 4 || (strcmp(argv[1], "rate") && strcmp(argv[1], "rss")))
		die("usage: classify_bench rate|rss N FILE... | eval GT [SCORES [NAME]]");
	n = strtoul(argv[2], NULL, 10);
	for (int i = 3; i < argc; i++)
		load_corpus(&c, argv[i]);
	if (!c.n || !n)
		die("no mentions");
	m = model();
	x = heed_classify_ctx_new(m);
	sum = run(x, &c, c.n);	/* warm up: scratch grows to its size */
	if (!strcmp(argv[1], "rss")) {
		long before = rss_kib(), after;

		sum += run(x, &c, n);
		after = rss_kib();
		printf("bench classify_rss_%zu: %ld KiB after vs before %ld KiB, ratio %.3f\n",
		       n, after, before, before > 0 ? (double)after / (double)before : 0);
	} else {
		double r[RATE_ROUNDS];

		for (int i = 0; i < RATE_ROUNDS; i++) {
			t0 = now();
			sum += run(x, &c, n);
			t1 = now();
			r[i] = (double)n / (t1 - t0);
			fprintf(stderr, "  (run %d: %.0f mentions/s)\n", i + 1, r[i]);
		}
		qsort(r, RATE_ROUNDS, sizeof(r[0]), cmp_double);
		printf("%.0f\n", r[RATE_ROUNDS / 2]);
	}
	fprintf(stderr, "  (checksum %.1f)\n", sum);
	heed_classify_ctx_free(x);
	heed_classifier_free(m);
	return 0;
}
