/* classify.c: the classifier as callers see it: loading the model from its
 * data files (from the configuration), the per-thread context, and one
 * classification: read the text, guess the language, run the rules, score
 * sentiment, then weigh urgency, settle topics and decide whether the
 * mention needs a reply, keeping every contribution as a reason. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "classify_int.h"
#include "heed/xalloc.h"

#define MAX_FILE (64u * 1024 * 1024)
#define MATCH_LIMIT 200000

static const char *const default_lexicons[] = {
	HEED_CLASSIFY_VADER_LEXICON, HEED_CLASSIFY_OWN_LEXICON,
};
static const char *const default_rules[] = { HEED_CLASSIFY_OWN_RULES };

void heed_classifier_opts_init(struct heed_classifier_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->lexicons = default_lexicons;
	o->n_lexicons = 2;
	o->rules = default_rules;
	o->n_rules = 1;
	o->max_text = CLS_DEFAULT_MAX_TEXT;
	o->urgency_normal = 15;
	o->urgency_high = 50;
	o->urgency_critical = 85;
	o->negativity_urgency = 24;
	o->reach_followers = 10000;
	o->reach_urgency = 10;
}

static bool readable(const char *dir, const char *rel, char *out, size_t outsz)
{
	int n = snprintf(out, outsz, "%s%s", dir, rel);
	char probe[4096];

	if (n < 0 || (size_t)n >= outsz)
		return false;
	n = snprintf(probe, sizeof(probe), "%s/%s", out, HEED_CLASSIFY_VADER_LEXICON);
	return n > 0 && (size_t)n < sizeof(probe) && access(probe, R_OK) == 0;
}

int heed_classifier_opts_from_cfg(struct heed_classifier_opts *o,
				  const struct heed_cfg *cfg,
				  const char *env_data_dir, const char *exe_path,
				  char *dir, size_t dirsz, struct heed_err *err)
{
	const char *d = heed_cfg_str(cfg, "classifier", "data_dir");

	heed_classifier_opts_init(o);
	if (d && *d) {
		snprintf(dir, dirsz, "%s", d);
	} else if (env_data_dir && *env_data_dir) {
		snprintf(dir, dirsz, "%s", env_data_dir);
	} else {
		char bin[4096];
		const char *slash = exe_path ? strrchr(exe_path, '/') : NULL;

		if (!slash || (size_t)(slash - exe_path) >= sizeof(bin))
			return heed_err_set(err, HEED_ECONFIG,
					    "no classifier data: set [classifier] data_dir or HEED_DATA_DIR");
		snprintf(bin, sizeof(bin), "%.*s", (int)(slash - exe_path), exe_path);
		if (!readable(bin, "/share/heed", dir, dirsz) &&
		    !readable(bin, "/../share/heed", dir, dirsz))
			return heed_err_set(err, HEED_ECONFIG,
					    "no classifier data in '%s/share/heed' or '%s/../share/heed': "
					    "run 'make', or set [classifier] data_dir or HEED_DATA_DIR",
					    bin, bin);
	}
	o->data_dir = dir;
	o->lexicons = heed_cfg_list(cfg, "classifier", "lexicons", &o->n_lexicons);
	o->extra_lexicons = heed_cfg_list(cfg, "classifier", "extra_lexicons",
					  &o->n_extra_lexicons);
	o->rules = heed_cfg_list(cfg, "classifier", "rules", &o->n_rules);
	o->extra_rules = heed_cfg_list(cfg, "classifier", "extra_rules",
				       &o->n_extra_rules);
	o->topics = heed_cfg_list(cfg, "classifier", "topics", &o->n_topics);
	o->languages = heed_cfg_list(cfg, "classifier", "languages",
				     &o->n_languages);
	o->max_text = (size_t)heed_cfg_size(cfg, "classifier", "max_text");
	o->urgency_normal = (int)heed_cfg_int(cfg, "classifier", "urgency_normal");
	o->urgency_high = (int)heed_cfg_int(cfg, "classifier", "urgency_high");
	o->urgency_critical = (int)heed_cfg_int(cfg, "classifier", "urgency_critical");
	o->negativity_urgency = (int)heed_cfg_int(cfg, "classifier",
						  "negativity_urgency");
	o->reach_followers = heed_cfg_int(cfg, "classifier", "reach_followers");
	o->reach_urgency = (int)heed_cfg_int(cfg, "classifier", "reach_urgency");
	return HEED_OK;
}

struct heed_classifier *cls_model_new_empty(void)
{
	struct heed_classifier *c = xcalloc(1, sizeof(*c));
	struct heed_classifier_opts o;

	heed_classifier_opts_init(&o);
	lex_init(&c->lex);
	text_init_classes(c->cc);
	vader_setup(c);
	lang_setup(c);
	c->max_text = o.max_text;
	c->urg_normal = o.urgency_normal;
	c->urg_high = o.urgency_high;
	c->urg_critical = o.urgency_critical;
	c->negativity_urgency = o.negativity_urgency;
	c->reach_followers = o.reach_followers;
	c->reach_urgency = o.reach_urgency;
	c->scored_codes = xcalloc(1, sizeof(*c->scored_codes));
	c->scored_codes[0] = xstrdup("en");
	c->n_scored_codes = 1;
	c->report_topics = ~0ull;
	rules_finish(c);
	return c;
}

/* Read a whole data file. */
static char *slurp(const char *path, size_t *len, struct heed_err *err)
{
	FILE *f = fopen(path, "rb");
	size_t n = 0, alloc = 65536, got;
	char *buf;

	if (!f) {
		heed_err_set(err, HEED_EIO, "cannot read '%s': %s", path,
			     strerror(errno));
		return NULL;
	}
	buf = xmalloc(alloc);
	while ((got = fread(buf + n, 1, alloc - n, f)) > 0) {
		n += got;
		if (n == alloc) {
			if (alloc >= MAX_FILE) {
				fclose(f);
				free(buf);
				heed_err_set(err, HEED_ETOOBIG, "'%s' is larger than 64 MiB", path);
				return NULL;
			}
			alloc *= 2;
			buf = xrealloc(buf, alloc);
		}
	}
	if (ferror(f)) {
		heed_err_set(err, HEED_EIO, "cannot read '%s': %s", path,
			     strerror(errno));
		fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	*len = n;
	return buf;
}

enum file_kind { LEXICON, RULES };

static int load(struct heed_classifier *c, const char *data_dir,
		const char *name, enum file_kind kind, struct heed_err *err)
{
	char *path, *text;
	size_t len = 0;
	int rc;

	if (name[0] == '/' || !data_dir)
		path = xstrdup(name);
	else
		path = xasprintf("%s/%s", data_dir, name);
	text = slurp(path, &len, err);
	if (!text) {
		free(path);
		return err ? err->code : HEED_EIO;
	}
	if (kind == LEXICON)
		rc = lex_parse(&c->lex, path, text, len, err);
	else
		rc = rules_parse(c, path, text, len, err);
	free(text);
	free(path);
	return rc;
}

static int apply_opts(struct heed_classifier *c,
		      const struct heed_classifier_opts *o, struct heed_err *err)
{
	if (!(o->urgency_normal < o->urgency_high &&
	      o->urgency_high < o->urgency_critical))
		return heed_err_set(err, HEED_ECONFIG,
				    "urgency levels must rise: urgency_normal < urgency_high < urgency_critical");
	c->max_text = o->max_text ? o->max_text : CLS_DEFAULT_MAX_TEXT;
	c->urg_normal = o->urgency_normal;
	c->urg_high = o->urgency_high;
	c->urg_critical = o->urgency_critical;
	c->negativity_urgency = o->negativity_urgency;
	c->reach_followers = o->reach_followers > 0 ? o->reach_followers : 1;
	c->reach_urgency = o->reach_urgency;
	c->flags = o->flags;
	if (o->n_languages) {
		for (size_t i = 0; i < c->n_scored_codes; i++)
			free(c->scored_codes[i]);
		c->scored_codes = xreallocarray(c->scored_codes, o->n_languages,
						sizeof(*c->scored_codes));
		for (size_t i = 0; i < o->n_languages; i++)
			c->scored_codes[i] = xstrdup(o->languages[i]);
		c->n_scored_codes = o->n_languages;
	}
	return HEED_OK;
}

static int topics_reported(struct heed_classifier *c,
			   const struct heed_classifier_opts *o,
			   struct heed_err *err)
{
	int t;

	c->report_topics = o->n_topics ? 0 : ~0ull;
	for (size_t i = 0; i < o->n_topics; i++) {
		t = rules_topic(c, o->topics[i], strlen(o->topics[i]));
		if (t < 0)
			return heed_err_set(err, HEED_ECONFIG,
					    "[classifier] topics: no rule file declares topic '%s'",
					    o->topics[i]);
		c->report_topics |= 1ull << t;
	}
	t = rules_topic(c, "praise", 6);
	c->t_praise = t >= 0 ? 1ull << t : 0;
	t = rules_topic(c, "question", 8);
	c->t_question = t >= 0 ? 1ull << t : 0;
	return HEED_OK;
}

struct heed_classifier *heed_classifier_new(const struct heed_classifier_opts *o,
					    struct heed_err *err)
{
	struct heed_classifier *c = cls_model_new_empty();
	int rc = apply_opts(c, o, err);

	for (size_t i = 0; !rc && i < o->n_lexicons; i++)
		rc = load(c, o->data_dir, o->lexicons[i], LEXICON, err);
	for (size_t i = 0; !rc && i < o->n_extra_lexicons; i++)
		rc = load(c, o->data_dir, o->extra_lexicons[i], LEXICON, err);
	for (size_t i = 0; !rc && i < o->n_rules; i++)
		rc = load(c, o->data_dir, o->rules[i], RULES, err);
	for (size_t i = 0; !rc && i < o->n_extra_rules; i++)
		rc = load(c, o->data_dir, o->extra_rules[i], RULES, err);
	if (!rc)
		rc = topics_reported(c, o, err);
	if (rc) {
		heed_classifier_free(c);
		return NULL;
	}
	rules_finish(c);
	return c;
}

struct heed_classifier *heed_classifier_new_cfg(const struct heed_cfg *cfg,
						const char *env_data_dir,
						const char *exe_path,
						struct heed_err *err)
{
	struct heed_classifier_opts o;
	char dir[4096];

	if (heed_classifier_opts_from_cfg(&o, cfg, env_data_dir, exe_path, dir,
					  sizeof(dir), err))
		return NULL;
	return heed_classifier_new(&o, err);
}

void heed_classifier_free(struct heed_classifier *c)
{
	if (!c)
		return;
	lex_release(&c->lex);
	rules_release(c);
	free(c->idioms);
	for (size_t i = 0; i < c->n_scored_codes; i++)
		free(c->scored_codes[i]);
	free(c->scored_codes);
	free(c);
}

size_t heed_classifier_topic_count(const struct heed_classifier *c)
{
	return c->n_topics;
}

const char *heed_classifier_topic(const struct heed_classifier *c, size_t i)
{
	return i < c->n_topics ? c->topic[i] : NULL;
}

const char *heed_classifier_topic_help(const struct heed_classifier *c,
				       size_t i)
{
	return i < c->n_topics ? c->topic_help[i] : NULL;
}

void heed_classifier_stats(const struct heed_classifier *c, size_t *words,
			   size_t *rules, size_t *patterns)
{
	size_t r = 0, p = 0;

	for (size_t i = 0; i < c->n_rules; i++) {
		if (c->rules[i].disabled)
			continue;
		r++;
		p += c->rules[i].n_match + c->rules[i].n_unless;
	}
	if (words)
		*words = c->lex.rated;
	if (rules)
		*rules = r;
	if (patterns)
		*patterns = p;
}

/* ---- contexts ---- */

struct heed_classify_ctx *heed_classify_ctx_new(const struct heed_classifier *c)
{
	struct heed_classify_ctx *x = xcalloc(1, sizeof(*x));

	x->c = c;
	x->md = pcre2_match_data_create(1, NULL);
	x->mctx = pcre2_match_context_create(NULL);
	if (!x->md || !x->mctx)
		abort();	/* only fails when out of memory */
	pcre2_set_match_limit(x->mctx, MATCH_LIMIT);
	pcre2_set_depth_limit(x->mctx, 10000);
	x->jit_stack = pcre2_jit_stack_create(32 * 1024, 512 * 1024, NULL);
	if (x->jit_stack)
		pcre2_jit_stack_assign(x->mctx, NULL, x->jit_stack);
	x->cand_words = c->n_pats / 64 + 1;
	x->cand = xcalloc(x->cand_words, sizeof(*x->cand));
	x->got = xcalloc(c->n_pats + 1, sizeof(*x->got));
	x->done_words = c->n_rules / 64 + 1;
	x->done = xcalloc(x->done_words, sizeof(*x->done));
	return x;
}

void heed_classify_ctx_free(struct heed_classify_ctx *x)
{
	if (!x)
		return;
	pcre2_match_data_free(x->md);
	pcre2_match_context_free(x->mctx);
	pcre2_jit_stack_free(x->jit_stack);
	free(x->rt);
	free(x->src);
	free(x->src_end);
	free(x->segs);
	free(x->toks);
	free(x->ubuf);
	free(x->cand);
	free(x->got);
	free(x->starts);
	free(x->done);
	free(x->hits);
	free(x->sent);
	free(x->reasons);
	free(x);
}

struct heed_reason *reason_add(struct heed_classify_ctx *x,
			       enum heed_reason_kind kind,
			       enum heed_reason_target target, size_t start,
			       size_t end, const char *name, const char *note,
			       double raw)
{
	struct heed_reason *r;

	if (x->n_reasons == x->reasons_alloc) {
		x->reasons_alloc = x->reasons_alloc ? x->reasons_alloc * 2 : 32;
		x->reasons = xreallocarray(x->reasons, x->reasons_alloc,
					   sizeof(*x->reasons));
	}
	r = &x->reasons[x->n_reasons++];
	r->kind = kind;
	r->target = target;
	r->start = start;
	r->end = end;
	r->name = name;
	r->note = note;
	r->topic = NULL;
	r->raw = raw;
	r->value = target == HEED_TARGET_URGENCY ? raw : 0;
	return r;
}

/* ---- one mention ---- */

static const char *first_topic(const struct heed_classifier *c, uint64_t t)
{
	return t ? c->topic[__builtin_ctzll(t)] : NULL;
}

/* Is hit i beaten within its group by another hit, on |value| (ties: the
 * first one counts)? value picks urgency or valence. */
static bool beaten(const struct heed_classify_ctx *x, size_t i, bool valence)
{
	const struct heed_classifier *c = x->c;
	const struct cls_rule *r = &c->rules[x->hits[i].rule];
	double b = valence ? fabs(r->valence) : abs(r->urgency);

	for (size_t k = 0; k < x->n_hits; k++) {
		const struct cls_rule *o = &c->rules[x->hits[k].rule];
		double a = valence ? fabs(o->valence) : abs(o->urgency);

		if (k != i && o->group == r->group && (a > b || (a == b && k < i)))
			return true;
	}
	return false;
}

/* Rule effects: topics, flags, valence items for the scorer (within a
 * group only the strongest valence counts, as for urgency). */
static size_t apply_hits(struct heed_classify_ctx *x, uint64_t *topics,
			 unsigned *flags)
{
	const struct heed_classifier *c = x->c;
	size_t n_extra = 0;

	for (size_t i = 0; i < x->n_hits; i++) {
		const struct cls_hit *h = &x->hits[i];
		const struct cls_rule *r = &c->rules[h->rule];
		const char *topic = first_topic(c, r->topics & c->report_topics);
		size_t s, e;
		struct heed_reason *rs;

		*topics |= r->topics;
		*flags |= r->flags;
		text_span(x, h->start, h->end, &s, &e);
		if (r->valence != 0 && x->v.scored && !beaten(x, i, true)) {
			x->sent[x->n_toks + n_extra++] = r->valence;
			rs = reason_add(x, HEED_R_RULE, HEED_TARGET_SENTIMENT, s, e,
					r->name, "rule", r->valence);
			rs->topic = topic;
		}
		if (r->valence == 0 && r->urgency == 0 && !r->min_urgency) {
			rs = reason_add(x, HEED_R_RULE, HEED_TARGET_TOPIC, s, e,
					r->name,
					r->flags & RULE_SPAM ? "spam" :
					r->flags & RULE_NO_REPLY ? "needs no reply" :
					r->flags & (RULE_FLIP | RULE_FLIP_ALL) ? "sarcasm" :
					"topic", 0);
			rs->topic = topic;
		}
	}
	return n_extra;
}

/* Urgency from rules: within a group only the strongest counts. */
static int rule_urgency(struct heed_classify_ctx *x)
{
	const struct heed_classifier *c = x->c;
	int sum = 0;

	for (size_t i = 0; i < x->n_hits; i++) {
		const struct cls_rule *r = &c->rules[x->hits[i].rule];
		bool lost;
		struct heed_reason *rs;
		size_t s, e;

		if (!r->urgency)
			continue;
		lost = beaten(x, i, false);
		text_span(x, x->hits[i].start, x->hits[i].end, &s, &e);
		rs = reason_add(x, lost ? HEED_R_GROUP : HEED_R_RULE,
				HEED_TARGET_URGENCY, s, e, r->name,
				lost ? "same group as a stronger rule" : "rule",
				lost ? 0 : r->urgency);
		rs->topic = first_topic(c, r->topics & c->report_topics);
		if (lost)
			rs->raw = r->urgency;
		else
			sum += r->urgency;
	}
	return sum;
}

/* Rules with min_urgency raise the total to at least that ("a question
 * is at least normal"); the strongest such rule does it. */
static int urgency_floor(struct heed_classify_ctx *x, int sum)
{
	const struct heed_classifier *c = x->c;
	const struct cls_hit *best = NULL;

	for (size_t i = 0; i < x->n_hits; i++) {
		const struct cls_rule *r = &c->rules[x->hits[i].rule];

		if (r->min_urgency && (!best || r->min_urgency >
				       c->rules[best->rule].min_urgency))
			best = &x->hits[i];
	}
	if (best && sum < c->rules[best->rule].min_urgency) {
		const struct cls_rule *r = &c->rules[best->rule];
		struct heed_reason *rs;
		size_t s, e;

		text_span(x, best->start, best->end, &s, &e);
		rs = reason_add(x, HEED_R_RULE, HEED_TARGET_URGENCY, s, e, r->name,
				"raises urgency to its minimum", r->min_urgency - sum);
		rs->topic = first_topic(c, r->topics & c->report_topics);
		sum = r->min_urgency;
	}
	return sum;
}

static int urgency(struct heed_classify_ctx *x, const struct heed_classify_in *in,
		   bool not_a_case, const char *why_not)
{
	const struct heed_classifier *c = x->c;
	int sum = rule_urgency(x);

	if (x->v.scored && x->v.label == HEED_SENT_NEGATIVE && c->negativity_urgency) {
		/* two thirds for any negative mention, the rest in proportion */
		int pts = (int)lround(c->negativity_urgency * (2 - x->v.compound) / 3);

		if (pts) {
			reason_add(x, HEED_R_NEGATIVITY, HEED_TARGET_URGENCY, 0, 0,
				   "negative", "negative sentiment", pts);
			sum += pts;
		}
	}
	if (in->followers >= c->reach_followers && c->reach_urgency) {
		int pts = c->reach_urgency;

		if (in->followers / 10 >= c->reach_followers)
			pts *= 2;
		reason_add(x, HEED_R_REACH, HEED_TARGET_URGENCY, 0, 0, "followers",
			   "high-reach author", pts);
		sum += pts;
	}
	sum = urgency_floor(x, sum);
	if (sum < 0) {
		reason_add(x, HEED_R_CLAMP, HEED_TARGET_URGENCY, 0, 0, "floor",
			   "urgency cannot go below 0", -sum);
		sum = 0;
	} else if (sum > 100) {
		reason_add(x, HEED_R_CLAMP, HEED_TARGET_URGENCY, 0, 0, "cap",
			   "urgency cannot go above 100", 100 - sum);
		sum = 100;
	}
	if (not_a_case && sum) {
		reason_add(x, HEED_R_CLAMP, HEED_TARGET_URGENCY, 0, 0, "not a case",
			   why_not, -sum);
		sum = 0;
	}
	return sum;
}

static enum heed_urgency level_of(const struct heed_classifier *c, int u)
{
	if (u >= c->urg_critical)
		return HEED_URG_CRITICAL;
	if (u >= c->urg_high)
		return HEED_URG_HIGH;
	if (u >= c->urg_normal)
		return HEED_URG_NORMAL;
	return HEED_URG_LOW;
}

/* "a, b and c" of the topics in mask. */
static void topic_list(const struct heed_classifier *c, uint64_t mask,
		       char *out, size_t outsz)
{
	size_t len = 0;

	out[0] = '\0';
	for (size_t i = 0; i < c->n_topics && len < outsz; i++) {
		if (!(mask >> i & 1))
			continue;
		len += (size_t)snprintf(out + len, outsz - len, "%s%s",
					len ? ", " : "", c->topic[i]);
	}
}

static void needs_reply(struct heed_classify_ctx *x,
			const struct heed_classify_in *in, unsigned flags,
			bool empty)
{
	const struct heed_classifier *c = x->c;
	struct heed_verdict *v = &x->v;
	uint64_t other = v->topics & ~(c->t_praise | c->t_question);
	char list[120];

	v->needs_reply = false;
	if (in->is_own) {
		v->reply_reason = "no: the brand's own post";
	} else if (in->is_share) {
		v->reply_reason = "no: a bare share with no text of its own";
	} else if (v->spam) {
		v->reply_reason = "no: spam";
	} else if (empty) {
		v->reply_reason = "no: no text to answer";
	} else if (flags & RULE_NO_REPLY) {
		v->reply_reason = "no: says it needs no answer";
	} else if (!v->scored) {
		v->needs_reply = true;
		snprintf(x->reply_reason, sizeof(x->reply_reason),
			 "yes: written in '%s', which is not scored: a person who reads it should judge",
			 v->lang);
		v->reply_reason = x->reply_reason;
	} else if (other) {
		v->needs_reply = true;
		topic_list(c, other, list, sizeof(list));
		snprintf(x->reply_reason, sizeof(x->reply_reason), "yes: %s%s",
			 list, v->topics & c->t_question ? ", with a question" : "");
		v->reply_reason = x->reply_reason;
	} else if (v->topics & c->t_question) {
		v->needs_reply = true;
		v->reply_reason = "yes: asks a question";
	} else if (v->label == HEED_SENT_NEGATIVE) {
		v->needs_reply = true;
		v->reply_reason = "yes: a negative mention";
	} else if ((v->topics & c->t_praise) || v->label == HEED_SENT_POSITIVE) {
		v->needs_reply = true;
		v->reply_reason = "yes, at low priority: praise to acknowledge";
	} else if (v->urgency >= c->urg_normal) {
		v->needs_reply = true;
		v->reply_reason = "yes: urgent enough to answer";
	} else if (in->mentions_account) {
		v->needs_reply = true;
		v->reply_reason = "yes: addressed to the brand";
	} else {
		v->reply_reason = "no: a neutral mention with nothing to answer";
	}
}

static void language(struct heed_classify_ctx *x,
		     const struct heed_classify_in *in)
{
	struct heed_verdict *v = &x->v;
	const char *l = in->lang;
	size_t k = 0;

	if (l && *l && strcmp(l, "und") && strcmp(l, "zxx")) {
		v->lang_guessed = false;
	} else {
		l = lang_guess(x);
		v->lang_guessed = *l != '\0';
	}
	for (; l[k] && k + 1 < sizeof(v->lang); k++)
		v->lang[k] = l[k] >= 'A' && l[k] <= 'Z' ? (char)(l[k] | 0x20) : l[k];
	v->lang[k] = '\0';
	v->scored = !v->lang[0] || lang_scored(x->c, v->lang);
}

/* Spam by its shape: a wall of links, hashtags or handles. */
static bool spam_shape(struct heed_classify_ctx *x)
{
	const char *why = x->n_urls >= 3 ? "three or more links" :
			  x->n_hashtags >= 8 ? "eight or more hashtags" :
			  x->n_handles >= 10 ? "ten or more handles" : NULL;

	if (why)
		reason_add(x, HEED_R_RULE, HEED_TARGET_TOPIC, 0, 0, "spam.shape",
			   why, 0);
	return why != NULL;
}

/* Reasons in reading order: by target, then by where they start (stable,
 * so a word's modifiers stay in the order they were applied). */
static void sort_reasons(struct heed_classify_ctx *x)
{
	struct heed_reason *r = x->reasons, tmp;

	for (size_t i = 1; i < x->n_reasons; i++) {
		size_t j = i;

		tmp = r[i];
		while (j > 0 && (r[j - 1].target > tmp.target ||
				 (r[j - 1].target == tmp.target &&
				  r[j - 1].start > tmp.start))) {
			r[j] = r[j - 1];
			j--;
		}
		r[j] = tmp;
	}
}

static size_t cut_utf8(const char *s, size_t len, size_t max)
{
	size_t n = max;

	if (len <= max)
		return len;
	while (n > 0 && max - n < 3 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	return n;
}

int heed_classify(struct heed_classify_ctx *x, const struct heed_classify_in *in,
		  const struct heed_verdict **out)
{
	const struct heed_classifier *c = x->c;
	struct heed_verdict *v = &x->v;
	const char *text = in->text ? in->text : "";
	size_t len = in->text ? in->len : 0, n_extra, need;
	uint64_t topics = 0;
	unsigned flags = 0;
	double sum = 0, factor;
	bool not_a_case;

	if (!in->text && in->len)
		return HEED_EINVAL;
	memset(v, 0, sizeof(*v));
	x->n_reasons = 0;
	v->used_len = cut_utf8(text, len, c->max_text);
	v->truncated = v->used_len < len;
	text_scan(x, text, v->used_len);
	language(x, in);
	rules_run(x);
	need = x->n_toks + x->n_hits + 1;
	if (need > x->sent_alloc) {
		x->sent_alloc = need * 2;
		x->sent = xreallocarray(x->sent, x->sent_alloc, sizeof(*x->sent));
	}
	n_extra = apply_hits(x, &topics, &flags);
	if (v->scored)
		sum = vader_score(x, n_extra);
	factor = 1 / sqrt(sum * sum + 15);
	v->compound = sum * factor;
	for (size_t i = 0; i < x->n_reasons; i++)
		if (x->reasons[i].target == HEED_TARGET_SENTIMENT)
			x->reasons[i].value = x->reasons[i].raw * factor;
	v->label = v->compound >= 0.05 ? HEED_SENT_POSITIVE :
		   v->compound <= -0.05 ? HEED_SENT_NEGATIVE : HEED_SENT_NEUTRAL;
	v->spam = (flags & RULE_SPAM) != 0 || spam_shape(x);
	topics &= c->report_topics;
	if ((topics & c->t_praise) && v->label != HEED_SENT_POSITIVE) {
		topics &= ~c->t_praise;
		reason_add(x, HEED_R_RULE, HEED_TARGET_TOPIC, 0, 0, "not praise",
			   "praise words, but not positive overall", 0);
	}
	if (c->t_praise && v->compound >= 0.3 && !topics && !v->spam &&
	    (c->report_topics & c->t_praise)) {
		topics |= c->t_praise;
		reason_add(x, HEED_R_RULE, HEED_TARGET_TOPIC, 0, 0, "positive",
			   "clearly positive: praise", 0)->topic = "praise";
	}
	v->topics = topics;
	not_a_case = in->is_own || in->is_share || v->spam;
	v->urgency = urgency(x, in, not_a_case,
			     in->is_own ? "the brand's own post" :
			     in->is_share ? "a bare share" : "spam");
	v->level = level_of(c, v->urgency);
	needs_reply(x, in, flags, x->n_toks == 0 && x->n_hits == 0);
	sort_reasons(x);
	v->reasons = x->reasons;
	v->n_reasons = x->n_reasons;
	*out = v;
	return HEED_OK;
}

const char *heed_sentiment_name(enum heed_sentiment s)
{
	return s == HEED_SENT_POSITIVE ? "positive" :
	       s == HEED_SENT_NEGATIVE ? "negative" : "neutral";
}

const char *heed_urgency_name(enum heed_urgency u)
{
	static const char *const names[] = { "low", "normal", "high", "critical" };

	return (unsigned)u < 4 ? names[u] : "low";
}

const char *heed_reason_kind_name(enum heed_reason_kind k)
{
	static const char *const names[] = {
		"lexicon", "caps", "booster", "negation", "never_so", "idiom",
		"least", "kind_of", "but", "elongated", "punctuation", "sarcasm",
		"rule", "negativity", "reach", "group", "clamp",
	};

	return (unsigned)k < sizeof(names) / sizeof(*names) ? names[k] : "?";
}

const char *heed_reason_target_name(enum heed_reason_target t)
{
	return t == HEED_TARGET_SENTIMENT ? "sentiment" :
	       t == HEED_TARGET_URGENCY ? "urgency" : "topic";
}
