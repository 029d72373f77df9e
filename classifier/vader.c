/* vader.c: sentiment by the heuristics of the VADER paper (Hutto & Gilbert,
 * ICWSM 2014) with the constants of its reference implementations: rated
 * words, negation within three words (x -0.74), boosters and dampeners
 * (+-0.293, less with distance), ALL-CAPS emphasis (+0.733) when only some
 * words are in caps, "never so" emphasis, idioms, "least", "kind of",
 * contrastive 'but' (x0.5 before, x1.5 after), '!' and '?' emphasis, and
 * the normalisation x / sqrt(x^2 + 15). Every step that changes a valence
 * is recorded as a reason with its raw effect. Our additions: phrases from
 * the lexicon ("can't stand"), elongated words, sarcasm flips by rules. */
#include <math.h>
#include <string.h>

#include "classify_int.h"
#include "heed/xalloc.h"

#define B_INCR 0.293
#define B_DECR (-0.293)
#define C_INCR 0.733
#define N_SCALAR (-0.74)

static const char *const negate_words[] = {
	"aint", "arent", "cannot", "cant", "couldnt", "darent", "didnt",
	"doesnt", "ain't", "aren't", "can't", "couldn't", "daren't", "didn't",
	"doesn't", "dont", "hadnt", "hasnt", "havent", "isnt", "mightnt",
	"mustnt", "neither", "don't", "hadn't", "hasn't", "haven't", "isn't",
	"mightn't", "mustn't", "neednt", "needn't", "never", "none", "nope",
	"nor", "not", "nothing", "nowhere", "oughtnt", "shant", "shouldnt",
	"uhuh", "wasnt", "werent", "oughtn't", "shan't", "shouldn't", "uh-uh",
	"wasn't", "weren't", "without", "wont", "wouldnt", "won't", "wouldn't",
	"rarely", "seldom", "despite",
};

/* Degree adverbs: boosters raise, dampeners lower, a following valence. */
static const char *const boosters[] = {
	"absolutely", "amazingly", "awfully", "completely", "considerably",
	"decidedly", "deeply", "effing", "enormously", "entirely",
	"especially", "exceptionally", "extremely", "fabulously", "flipping",
	"flippin", "frackin", "fracking", "fricking", "frickin", "frigging",
	"friggin", "fully", "fuckin", "fucking", "fuggin", "fugging",
	"greatly", "hella", "highly", "hugely", "incredibly", "intensely",
	"majorly", "more", "most", "particularly", "purely", "quite",
	"really", "remarkably", "so", "substantially", "thoroughly",
	"totally", "tremendously", "uber", "unbelievably", "unusually",
	"utterly", "very",
};
static const char *const dampeners[] = {
	"almost", "barely", "hardly", "kinda", "kindof", "kind-of", "less",
	"little", "marginally", "occasionally", "partly", "scarcely",
	"slightly", "somewhat", "sorta", "sortof", "sort-of",
};

static const struct {
	const char *words;
	double valence;
} idioms[] = {
	{ "the shit", 3 }, { "the bomb", 3 }, { "bad ass", 1.5 },
	{ "badass", 1.5 }, { "bus stop", 0 }, { "yeah right", -2 },
	{ "cut the mustard", 2 }, { "kiss of death", -1.5 },
	{ "hand to mouth", -2 }, { "to die for", 3 },
	{ "beating heart", 3.1 }, { "broken heart", -2.9 },
};

static int32_t intern(struct heed_classifier *c, const char *w)
{
	return lex_intern(&c->lex, w, strlen(w));
}

void vader_setup(struct heed_classifier *c)
{
	struct cls_lexicon *lx = &c->lex;
	size_t i;

	for (i = 0; i < sizeof(negate_words) / sizeof(*negate_words); i++) {
		int32_t k = intern(c, negate_words[i]);

		lx->e[k].flags |= W_NEGATE;
	}
	for (i = 0; i < sizeof(boosters) / sizeof(*boosters); i++) {
		int32_t k = intern(c, boosters[i]);

		lx->e[k].flags |= W_BOOSTER;
		lx->e[k].booster = (float)B_INCR;
	}
	for (i = 0; i < sizeof(dampeners) / sizeof(*dampeners); i++) {
		int32_t k = intern(c, dampeners[i]);

		lx->e[k].flags |= W_BOOSTER;
		lx->e[k].booster = (float)B_DECR;
	}
	c->w_but = intern(c, "but");
	c->w_kind = intern(c, "kind");
	c->w_sort = intern(c, "sort");
	c->w_of = intern(c, "of");
	c->w_least = intern(c, "least");
	c->w_at = intern(c, "at");
	c->w_very = intern(c, "very");
	c->w_never = intern(c, "never");
	c->w_so = intern(c, "so");
	c->w_this = intern(c, "this");
	c->w_without = intern(c, "without");
	c->w_doubt = intern(c, "doubt");
	c->w_no = intern(c, "no");
	c->w_or = intern(c, "or");
	c->w_nor = intern(c, "nor");
	c->w_just = intern(c, "just");
	c->w_enough = intern(c, "enough");
	_Static_assert(sizeof(idioms) / sizeof(*idioms) <= 16, "idioms fit cls_tok.idioms");
	c->n_idioms = sizeof(idioms) / sizeof(*idioms);
	c->idioms = xcalloc(c->n_idioms, sizeof(*c->idioms));
	for (i = 0; i < c->n_idioms; i++) {
		const char *p = idioms[i].words;
		struct cls_idiom *d = &c->idioms[i];
		unsigned k = 0;

		d->w[0] = d->w[1] = d->w[2] = -1;
		d->valence = idioms[i].valence;
		while (*p && k < 3) {
			size_t n = strcspn(p, " ");

			d->w[k++] = lex_intern(lx, p, n);
			p += n + (p[n] == ' ');
		}
		lx->e[d->w[0]].flags |= W_IDIOM;
		if (k == 3)
			c->idiom3 |= (uint16_t)(1u << i);
	}
}

/* ---- scoring ---- */

struct vctx {
	struct heed_classify_ctx *x;
	const struct heed_classifier *c;
	const struct cls_tok *t;
	size_t n;
	bool cap_diff;
};

static int32_t ent(const struct vctx *v, size_t i)
{
	return v->t[i].entry;
}

static bool rated(const struct vctx *v, size_t i)
{
	return v->t[i].info & W_VALENCE;
}

static bool negated(const struct vctx *v, size_t i)
{
	if (v->t[i].flags & TF_INPHRASE)
		return false;
	return (v->t[i].flags & TF_NT) || (v->t[i].info & W_NEGATE);
}

static const char *name_of(const struct vctx *v, size_t i, const char *def)
{
	int32_t e = v->t[i].entry;

	return e >= 0 ? lex_key(&v->c->lex, e) : def;
}

/* Record a change of token i's valence caused by token j (the modifier). */
static void change(struct vctx *v, enum heed_reason_kind kind, size_t j,
		   const char *name, const char *note, double before,
		   double after)
{
	if (after == before)
		return;
	reason_add(v->x, kind, HEED_TARGET_SENTIMENT, v->t[j].start,
		   v->t[j].end, name, note, after - before);
}

static double scalar_inc_dec(const struct vctx *v, size_t j, double valence)
{
	int32_t e = ent(v, j);
	double s;

	if (!(v->t[j].info & W_BOOSTER) ||
	    (v->t[j].flags & TF_INPHRASE))
		return 0;
	s = v->c->lex.e[e].booster;
	if (valence < 0)
		s = -s;
	if (v->cap_diff && (v->t[j].flags & TF_UPPER))
		s += valence > 0 ? C_INCR : -C_INCR;
	return s;
}

static bool is_w(const struct vctx *v, size_t i, int32_t w)
{
	return ent(v, i) == w;
}

static bool so_this(const struct vctx *v, size_t i)
{
	return is_w(v, i, v->c->w_so) || is_w(v, i, v->c->w_this);
}

/* VADER's negation check for the word dist+1 places before item i. */
static double negation_check(struct vctx *v, size_t i, unsigned dist,
			     double val)
{
	size_t j = i - dist - 1;
	double out = val;

	if (dist == 0) {
		if (negated(v, j))
			out = val * N_SCALAR;
	} else if (dist == 1) {
		if (is_w(v, i - 2, v->c->w_never) && so_this(v, i - 1)) {
			out = val * 1.25;
			change(v, HEED_R_NEVER_SO, i - 2, "never", "'never so/this' emphasis", val, out);
			return out;
		}
		if (is_w(v, i - 2, v->c->w_without) && is_w(v, i - 1, v->c->w_doubt))
			return val;
		if (negated(v, j))
			out = val * N_SCALAR;
	} else {
		if ((is_w(v, i - 3, v->c->w_never) && so_this(v, i - 2)) ||
		    so_this(v, i - 1)) {
			out = val * 1.25;
			change(v, HEED_R_NEVER_SO, so_this(v, i - 1) ? i - 1 : i - 3,
			       name_of(v, so_this(v, i - 1) ? i - 1 : i - 3, "never"),
			       "emphasis", val, out);
			return out;
		}
		if (is_w(v, i - 3, v->c->w_without) &&
		    (is_w(v, i - 2, v->c->w_doubt) || is_w(v, i - 1, v->c->w_doubt)))
			return val;
		if (negated(v, j))
			out = val * N_SCALAR;
	}
	change(v, HEED_R_NEGATION, j, name_of(v, j, "n't"), "negation", val, out);
	return out;
}

/* Do tokens from i on spell the idiom's first k words? */
static bool seq(const struct vctx *v, long i, const int32_t *w, unsigned k)
{
	if (i < 0 || (size_t)i + k > v->n)
		return false;
	for (unsigned m = 0; m < k; m++)
		if (v->t[i + m].entry != w[m])
			return false;
	return true;
}

static unsigned idiom_len(const struct cls_idiom *d)
{
	return d->w[2] >= 0 ? 3 : 2;
}

/* The idioms (of len words; 0: any) that start at token j. */
static unsigned idioms_at(const struct vctx *v, long j, unsigned len)
{
	unsigned m;

	if (j < 0 || (size_t)j >= v->n)
		return 0;
	m = v->t[j].idioms;
	return len == 3 ? m & v->c->idiom3 : len == 2 ? m & ~v->c->idiom3 : m;
}

/* VADER's idiom check around item i: an idiom ending at i or just before
 * it, or starting at i, replaces the valence; "kind of" dampens it. Which
 * idioms start where is known (vader_score), so this is VADER's order of
 * sequences and idioms on bitsets: the first idiom of the table for a
 * sequence before i, the last one at i or around it. */
static double idioms_check(struct vctx *v, size_t i, double val)
{
	const struct heed_classifier *c = v->c;
	/* where a sequence starts, and how long it is, in VADER's order */
	static const int before[][2] = {
		{ -1, 2 }, { -2, 3 }, { -2, 2 }, { -3, 3 }, { -3, 2 },
	};
	double out = val;
	long hit = -1;
	unsigned hit_len = 0, around, at;

	for (size_t s = 0; s < 5 && hit < 0; s++) {
		unsigned m = idioms_at(v, (long)i + before[s][0],
				       (unsigned)before[s][1]);

		if (m) {
			out = c->idioms[__builtin_ctz(m)].valence;
			hit = (long)i + before[s][0];
			hit_len = (unsigned)before[s][1];
		}
	}
	/* "to die for": the rated word in the middle (VADER's own
	 * sequences never look there) */
	around = idioms_at(v, (long)i - 1, 3);
	at = idioms_at(v, (long)i, 0);
	if (around | at) {
		unsigned k = 31 - (unsigned)__builtin_clz(around | at);

		out = c->idioms[k].valence;
		hit = at >> k & 1 ? (long)i : (long)i - 1;
		hit_len = at >> k & 1 ? idiom_len(&c->idioms[k]) : 3;
	}
	if (hit >= 0 && out != val)
		reason_add(v->x, HEED_R_IDIOM, HEED_TARGET_SENTIMENT,
			   v->t[hit].start, v->t[hit + hit_len - 1].end,
			   name_of(v, (size_t)hit, "idiom"), "idiom", out - val);
	/* "kind of", "sort of", "just enough" two or three words before */
	for (unsigned back = 3; back >= 2; back--) {
		size_t a = i - back;

		if (i < back)
			continue;
		if ((is_w(v, a, c->w_kind) || is_w(v, a, c->w_sort)) &&
		    is_w(v, a + 1, c->w_of)) {
			reason_add(v->x, HEED_R_KIND_OF, HEED_TARGET_SENTIMENT,
				   v->t[a].start, v->t[a + 1].end,
				   name_of(v, a, "kind"), "'kind of' dampens",
				   B_DECR);
			return out + B_DECR;
		}
		if (is_w(v, a, c->w_just) && is_w(v, a + 1, c->w_enough)) {
			reason_add(v->x, HEED_R_KIND_OF, HEED_TARGET_SENTIMENT,
				   v->t[a].start, v->t[a + 1].end, "just enough",
				   "'just enough' dampens", B_DECR);
			return out + B_DECR;
		}
	}
	return out;
}

static double least_check(struct vctx *v, size_t i, unsigned back, double val)
{
	double out = val;

	if (back > 1 && is_w(v, i - 1, v->c->w_least)) {
		if (!is_w(v, i - 2, v->c->w_at) && !is_w(v, i - 2, v->c->w_very))
			out = val * N_SCALAR;
	} else if (i > 0 && is_w(v, i - 1, v->c->w_least)) {
		out = val * N_SCALAR;
	}
	if (out != val)
		change(v, HEED_R_LEAST, i - 1, "least", "'least' negates", val, out);
	return out;
}

/* A multi-word lexicon entry starting at token i ("can't stand")? Sets
 * its length in *k. */
static int32_t phrase_at(struct vctx *v, size_t i, unsigned *k)
{
	const struct cls_lexicon *lx = &v->c->lex;
	char *buf = v->x->key;

	if (!(v->t[i].info & W_PHRASE) ||
	    i + 1 >= v->n || ent(v, i + 1) < 0 ||
	    !(lx->e[ent(v, i)].second >> (ent(v, i + 1) % 64) & 1))
		return -1;
	for (unsigned words = 3; words >= 2; words--) {
		size_t len = 0;
		int32_t e;

		if (i + words > v->n)
			continue;
		for (unsigned m = 0; m < words; m++) {
			const struct cls_tok *t = &v->t[i + m];

			if (t->klen > CLS_MAX_KEY)
				return -1;
			if (m)
				buf[len++] = ' ';
			memcpy(buf + len, v->x->rt + t->key, t->klen);
			len += t->klen;
		}
		e = lex_find(lx, buf, len);
		if (e >= 0 && (lx->e[e].flags & W_VALENCE)) {
			*k = words;
			return e;
		}
	}
	return -1;
}

/* How many of the (up to three) words before i are in its clause. */
static unsigned reach(const struct vctx *v, size_t i)
{
	unsigned k = 0;

	while (k < 3 && k < i && !(v->t[i - k - 1].flags & TF_CLAUSE))
		k++;
	return k;
}

/* The valence of item i (a rated word, or a phrase starting there). */
static double valence_of(struct vctx *v, size_t i)
{
	const struct heed_classifier *c = v->c;
	const struct cls_tok *t = &v->t[i];
	int32_t e = t->phrase >= 0 ? t->phrase : t->entry;
	size_t end_tok = t->phrase >= 0 ? i + t->phrase_len - 1 : i;
	double base = c->lex.e[e].valence, val = base, before;

	reason_add(v->x, HEED_R_LEXICON, HEED_TARGET_SENTIMENT, t->start,
		   v->t[end_tok].end, lex_key(&c->lex, e),
		   t->kind == TK_EMOJI ? "emoji" : t->phrase >= 0 ? "phrase" : "word",
		   base);
	unsigned back = reach(v, i);

	/* "no" before a rated word negates it rather than scoring itself */
	/* ("no, no, no" is emphasis: no "no" negates another) */
	if (e == c->w_no && i + 1 < v->n && rated(v, i + 1) &&
	    !(t->flags & TF_CLAUSE) && ent(v, i + 1) != c->w_no) {
		change(v, HEED_R_NEGATION, i, "no", "'no' before a rated word", val, 0);
		val = 0;
	} else if (e != c->w_no && ((back > 0 && is_w(v, i - 1, c->w_no)) ||
		   (back > 1 && is_w(v, i - 2, c->w_no)) ||
		   (back > 2 && is_w(v, i - 3, c->w_no) &&
		    (is_w(v, i - 1, c->w_or) || is_w(v, i - 1, c->w_nor))))) {
		size_t j = is_w(v, i - 1, c->w_no) ? i - 1 :
			   is_w(v, i - 2, c->w_no) ? i - 2 : i - 3;

		change(v, HEED_R_NEGATION, j, "no", "negation", val, base * N_SCALAR);
		val = base * N_SCALAR;
	}
	if ((t->flags & TF_UPPER) && v->cap_diff && val != 0) {
		before = val;
		val += val > 0 ? C_INCR : -C_INCR;
		change(v, HEED_R_CAPS, i, lex_key(&c->lex, e), "ALL CAPS", before, val);
	}
	if ((t->flags & TF_ELONG) && val != 0) {
		before = val;
		val += val > 0 ? B_INCR : -B_INCR;
		change(v, HEED_R_ELONGATED, i, lex_key(&c->lex, e),
		       "elongated", before, val);
	}
	for (unsigned dist = 0; dist < back; dist++) {
		size_t j = i - dist - 1;
		double s;

		if (rated(v, j))
			continue;
		s = scalar_inc_dec(v, j, val);
		if (dist == 1)
			s *= 0.95;
		else if (dist == 2)
			s *= 0.9;
		if (s != 0) {
			change(v, HEED_R_BOOSTER, j, name_of(v, j, "booster"),
			       s * (val < 0 ? -1 : 1) > 0 ? "booster" : "dampener",
			       val, val + s);
			val += s;
		}
		val = negation_check(v, i, dist, val);
	}
	val = idioms_check(v, i, val);
	if (back > 0)
		val = least_check(v, i, back, val);
	if ((t->flags & TF_FLIP) && val > 0) {
		reason_add(v->x, HEED_R_SARCASM, HEED_TARGET_SENTIMENT, t->start,
			   v->t[end_tok].end, lex_key(&c->lex, e),
			   "sarcasm turns it negative", -2 * val);
		val = -val;
	}
	return val;
}

static void but_check(struct vctx *v, double *sent)
{
	size_t bi;

	for (bi = 0; bi < v->n; bi++)
		if (is_w(v, bi, v->c->w_but))
			break;
	if (bi == v->n)
		return;
	for (size_t i = 0; i < v->n; i++) {
		double f = i < bi ? 0.5 : 1.5;

		if (i == bi || sent[i] == 0)
			continue;
		reason_add(v->x, HEED_R_BUT, HEED_TARGET_SENTIMENT, v->t[bi].start,
			   v->t[bi].end, "but",
			   i < bi ? "before 'but': x0.5" : "after 'but': x1.5",
			   sent[i] * (f - 1));
		sent[i] *= f;
	}
}

/* '!' adds 0.292 each (up to 4), two or three '?' 0.18 each, more 0.96. */
static double punct_emphasis(struct heed_classify_ctx *x, size_t *a, size_t *b)
{
	unsigned ep = 0, qm = 0;
	double amp;

	*a = x->rt_len;
	*b = 0;
	for (const char *mark = "!?"; *mark; mark++) {
		const char *p = x->rt, *end = x->rt + x->rt_len;

		while ((p = memchr(p, *mark, (size_t)(end - p)))) {
			size_t i = (size_t)(p - x->rt);

			*a = i < *a ? i : *a;
			*b = i + 1 > *b ? i + 1 : *b;
			if (*mark == '!')
				ep++;
			else
				qm++;
			p++;
		}
	}
	if (!ep && !qm)
		*a = 0;
	amp = (ep > 4 ? 4 : ep) * 0.292;
	if (qm > 1)
		amp += qm <= 3 ? qm * 0.18 : 0.96;
	return amp;
}

double vader_score(struct heed_classify_ctx *x, size_t n_extra)
{
	struct vctx v = { x, x->c, x->toks, x->n_toks, false };
	double *sent = x->sent, sum = 0, pos = 0, neg = 0, amp, total;
	size_t upper = x->n_upper, neu = 0, n = x->n_toks, pa, pb, ps, pe;

	/* ALL CAPS words count only beside others (upper: text.c counted) */
	v.cap_diff = upper > 0 && upper < n;
	/* one pass: what a word's valence depends on is known by then,
	 * idioms included (those starting here or before) */
	for (size_t i = 0; i < n; i++) {
		struct cls_tok *t = &x->toks[i];
		unsigned k = 0;
		int32_t e = t->entry;

		t->idioms = 0;
		/* "the" and "to" begin idioms: most tries end at once */
		for (size_t m = 0; (t->info & W_IDIOM) && m < x->c->n_idioms; m++) {
			const struct cls_idiom *d = &x->c->idioms[m];

			if (d->w[0] == e && seq(&v, (long)i, d->w, idiom_len(d)))
				t->idioms |= (uint16_t)(1u << m);
		}
		sent[i] = 0;
		if (t->flags & TF_SKIP)
			continue;
		t->phrase = phrase_at(&v, i, &k);
		if (t->phrase >= 0) {
			t->phrase_len = (uint8_t)k;
			for (unsigned m = 0; m < k; m++)
				x->toks[i + m].flags |= m ? TF_SKIP | TF_INPHRASE : TF_INPHRASE;
		} else if (t->info & W_BOOSTER) {
			continue;
		}
		if (t->phrase < 0 && e == x->c->w_kind && i + 1 < n &&
		    is_w(&v, i + 1, x->c->w_of))
			continue;
		if (t->phrase >= 0 || rated(&v, i))
			sent[i] = valence_of(&v, i);
	}
	but_check(&v, sent);
	/* every sum adds the items in their order: the floats depend on it */
	for (size_t i = 0; i < n + n_extra; i++) {
		sum += sent[i];
		if (sent[i] > 0)
			pos += sent[i] + 1;
		else if (sent[i] < 0)
			neg += sent[i] - 1;
		else if (i < n)
			neu++;
	}
	amp = punct_emphasis(x, &pa, &pb);
	if (sum != 0 && amp > 0) {
		text_span(x, pa, pb, &ps, &pe);
		reason_add(x, HEED_R_PUNCT, HEED_TARGET_SENTIMENT, ps, pe, "!?",
			   "'!' and '?' emphasis", sum > 0 ? amp : -amp);
		sum += sum > 0 ? amp : -amp;
	}
	if (pos > fabs(neg))
		pos += amp;
	else if (pos < fabs(neg))
		neg -= amp;
	total = pos + fabs(neg) + (double)neu;
	x->v.pos = total > 0 ? fabs(pos / total) : 0;
	x->v.neg = total > 0 ? fabs(neg / total) : 0;
	x->v.neu = total > 0 ? fabs((double)neu / total) : 0;
	return sum;
}
