/* eval.c: scoring the classifier against human ratings, as in the VADER
 * paper: Pearson r of the compound score with the mean rating, and the
 * 3-class accuracy, macro-F1 and support-weighted F1 under two neutral cuts
 * of the ratings (see the README of the sentiment corpora). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "heed/classify.h"

const double heed_classify_eval_cut[HEED_EVAL_CUTS] = { 0.05, 0.2 };

int heed_classify_eval_line(const char *line, size_t len,
			    const char **id, size_t *id_len, double *rating,
			    const char **text, size_t *text_len)
{
	const char *t1, *t2, *end = line + len;
	char num[64], *e;

	if (len && end[-1] == '\n')
		end--;
	if (end > line && end[-1] == '\r')
		end--;
	t1 = memchr(line, '\t', (size_t)(end - line));
	if (!t1)
		return HEED_EPARSE;
	t2 = memchr(t1 + 1, '\t', (size_t)(end - t1 - 1));
	if (!t2 || (size_t)(t2 - t1 - 1) >= sizeof(num) || t2 == t1 + 1)
		return HEED_EPARSE;
	memcpy(num, t1 + 1, (size_t)(t2 - t1 - 1));
	num[t2 - t1 - 1] = '\0';
	errno = 0;
	*rating = strtod(num, &e);
	if (errno || *e || !isfinite(*rating))
		return HEED_EPARSE;
	*id = line;
	*id_len = (size_t)(t1 - line);
	*text = t2 + 1;
	*text_len = (size_t)(end - t2 - 1);
	return HEED_OK;
}

void heed_classify_eval_init(struct heed_classify_eval *e)
{
	memset(e, 0, sizeof(*e));
}

static int cls(double x, double cut)
{
	return x >= cut ? 2 : x <= -cut ? 0 : 1;
}

void heed_classify_eval_add(struct heed_classify_eval *e, double compound,
			    double rating)
{
	e->n++;
	e->sx += compound;
	e->sy += rating;
	e->sxx += compound * compound;
	e->syy += rating * rating;
	e->sxy += compound * rating;
	for (int k = 0; k < HEED_EVAL_CUTS; k++)
		e->conf[k][cls(rating, heed_classify_eval_cut[k])][cls(compound, 0.05)]++;
}

void heed_classify_eval_result(const struct heed_classify_eval *e,
			       struct heed_classify_eval_result *r)
{
	double n = (double)e->n;
	double cov = e->sxy - e->sx * e->sy / (n ? n : 1);
	double vx = e->sxx - e->sx * e->sx / (n ? n : 1);
	double vy = e->syy - e->sy * e->sy / (n ? n : 1);

	memset(r, 0, sizeof(*r));
	r->pearson_r = vx > 0 && vy > 0 ? cov / sqrt(vx * vy) : 0;
	for (int k = 0; k < HEED_EVAL_CUTS; k++) {
		size_t right = 0, classes = 0;
		double macro = 0, weighted = 0;

		for (int c = 0; c < 3; c++) {
			size_t tp = e->conf[k][c][c], truth = 0, pred = 0;
			double p, rc, f1;

			for (int o = 0; o < 3; o++) {
				truth += e->conf[k][c][o];
				pred += e->conf[k][o][c];
			}
			right += tp;
			if (!truth && !pred)
				continue;
			classes++;
			p = pred ? (double)tp / (double)pred : 0;
			rc = truth ? (double)tp / (double)truth : 0;
			f1 = p + rc > 0 ? 2 * p * rc / (p + rc) : 0;
			macro += f1;
			weighted += f1 * (double)truth;
		}
		r->neutral[k] = e->conf[k][1][0] + e->conf[k][1][1] + e->conf[k][1][2];
		r->accuracy[k] = n ? (double)right / n : 0;
		r->macro_f1[k] = classes ? macro / (double)classes : 0;
		r->weighted_f1[k] = n ? weighted / n : 0;
	}
}
