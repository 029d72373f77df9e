/* classify.h: the classifier. It judges one mention: sentiment (VADER's
 * compound score and label), urgency (0-100 and a level), topics, whether it
 * needs a reply and why, and the reasons: every lexicon hit and rule that
 * moved a score, with its span in the text and its contribution, so that the
 * contributions add up to the scores. Pollers call it inline; `heed
 * classify` exposes it.
 *
 * A struct heed_classifier is the loaded model (lexicons, compiled rules):
 * built once, immutable, shared by any number of threads. Each thread
 * classifies through its own struct heed_classify_ctx, which holds the
 * scratch memory, so a steady stream of mentions allocates nothing after
 * the first few. No I/O happens after loading. */
#ifndef HEED_CLASSIFY_H
#define HEED_CLASSIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "heed/cfg.h"
#include "heed/err.h"

struct heed_classifier;
struct heed_classify_ctx;
struct heed_mention;

enum heed_sentiment {
	HEED_SENT_NEGATIVE = -1,	/* compound <= -0.05 */
	HEED_SENT_NEUTRAL = 0,
	HEED_SENT_POSITIVE = 1,		/* compound >= 0.05 */
};

enum heed_urgency {
	HEED_URG_LOW = 0,
	HEED_URG_NORMAL = 1,
	HEED_URG_HIGH = 2,
	HEED_URG_CRITICAL = 3,
};

/* What a reason moved. */
enum heed_reason_target {
	HEED_TARGET_SENTIMENT,	/* value is a share of the compound score */
	HEED_TARGET_URGENCY,	/* value is urgency points */
	HEED_TARGET_TOPIC,	/* value is 0: the rule only set a topic */
};

enum heed_reason_kind {
	HEED_R_LEXICON,		/* a word, emoticon or emoji with a valence */
	HEED_R_CAPS,		/* ALL-CAPS emphasis of a word */
	HEED_R_BOOSTER,		/* a booster or dampener ("very", "barely") */
	HEED_R_NEGATION,	/* a negation within three words ("not") */
	HEED_R_NEVER_SO,	/* "never so good": negation as emphasis */
	HEED_R_IDIOM,		/* an idiom replaced the word's valence */
	HEED_R_LEAST,		/* "least" as negation */
	HEED_R_KIND_OF,		/* "kind of", "sort of" dampening */
	HEED_R_BUT,		/* contrastive 'but': before x0.5, after x1.5 */
	HEED_R_ELONGATED,	/* "sooo goood": emphasis */
	HEED_R_PUNCT,		/* '!' and '?' amplification */
	HEED_R_SARCASM,		/* a sarcasm rule flipped a positive word */
	HEED_R_RULE,		/* a rule of the rule files fired */
	HEED_R_NEGATIVITY,	/* negative sentiment raised urgency */
	HEED_R_REACH,		/* the author's followers raised urgency */
	HEED_R_GROUP,		/* a rule whose group already counted */
	HEED_R_CLAMP,		/* urgency kept within 0-100, or zeroed */
};

/* One contribution. start/end are byte offsets into the text that was
 * classified ([start, end); start == end for the whole mention, as for
 * reach). name is the word, rule or modifier (borrowed from the model or
 * static); note says what happened in a few words (static). raw is the
 * effect before normalisation (VADER valence units for sentiment); value is
 * what it adds to the final score: the values of one target sum to the
 * compound score or to the urgency. */
struct heed_reason {
	enum heed_reason_kind kind;
	enum heed_reason_target target;
	size_t start, end;
	const char *name;
	const char *note;
	const char *topic;	/* rules: the topic it set, or NULL */
	double raw;
	double value;
};

/* The classifier's judgement of one mention. Borrowed from the context:
 * valid until the next heed_classify() on it or its free. */
struct heed_verdict {
	double compound;		/* [-1, 1] */
	double pos, neu, neg;		/* proportions, summing to 1 (or all 0) */
	enum heed_sentiment label;
	int urgency;			/* 0-100 */
	enum heed_urgency level;
	uint64_t topics;		/* bit i: heed_classifier_topic(c, i) */
	bool needs_reply;
	const char *reply_reason;	/* always set; borrowed */
	bool spam;
	bool scored;			/* false: language not scored, compound 0 */
	char lang[8];			/* language judged by, "" when unknown */
	bool lang_guessed;		/* lang comes from the text, not the platform */
	bool truncated;			/* only the first used_len bytes were read */
	size_t used_len;
	const struct heed_reason *reasons;
	size_t n_reasons;
};

/* A mention to judge. text need not be NUL-terminated and may be any bytes
 * (invalid UTF-8 is read as U+FFFD, controls as spaces). */
struct heed_classify_in {
	const char *text;
	size_t len;
	const char *lang;	/* the platform's language code, or NULL */
	int64_t followers;	/* the author's followers, -1 when unknown */
	bool is_own;		/* posted by one of the brand's own accounts */
	bool is_share;		/* a bare share/boost: text is the original's */
	bool mentions_account;	/* addressed to the brand account (@brand) */
};

/* What to load and how to judge. Fill with heed_classifier_opts_init (the
 * defaults of the [classifier] configuration keys) or from a configuration
 * with heed_classifier_opts_from_cfg. Arrays and strings are borrowed: they
 * must outlive heed_classifier_new, not the classifier. */
struct heed_classifier_opts {
	const char *data_dir;		/* relative file names resolve here */
	const char *const *lexicons;	/* VADER-format files, later ones win */
	size_t n_lexicons;
	const char *const *extra_lexicons;	/* the user's, after those */
	size_t n_extra_lexicons;
	const char *const *rules;	/* rule files (format: brandcare.rules) */
	size_t n_rules;
	const char *const *extra_rules;
	size_t n_extra_rules;
	const char *const *topics;	/* topics reported; none: all declared */
	size_t n_topics;
	const char *const *languages;	/* languages scored; none: "en" */
	size_t n_languages;
	size_t max_text;		/* bytes read from a mention (0: 32 KiB) */
	int urgency_normal;		/* level thresholds on the 0-100 score */
	int urgency_high;
	int urgency_critical;
	int negativity_urgency;		/* points at compound -1 (2/3 at -0.05) */
	int64_t reach_followers;	/* an author this big is high-reach */
	int reach_urgency;		/* points for that (twice at 10x) */
	unsigned flags;			/* HEED_CLASSIFY_* */
};

/* Run every rule's patterns on every mention instead of only those whose
 * required words occur: slower, the same verdicts. Tests and fuzzing use it
 * to check the prefilter. */
#define HEED_CLASSIFY_NO_PREFILTER 0x1u

/* The file names of the default data set, in the data directory. */
#define HEED_CLASSIFY_VADER_LEXICON "vader_lexicon.txt"
#define HEED_CLASSIFY_OWN_LEXICON "brandcare.lex"
#define HEED_CLASSIFY_OWN_RULES "brandcare.rules"

/* Fill o with the defaults (data_dir NULL). */
void heed_classifier_opts_init(struct heed_classifier_opts *o);

/* Fill o from the [classifier] section of cfg. The data directory is
 * [classifier] data_dir, else env_data_dir ($HEED_DATA_DIR, may be NULL),
 * else <dir of exe_path>/share/heed (a build tree), else <dir of
 * exe_path>/../share/heed (an install); exe_path may be NULL. The path is
 * written to dir (size dirsz) and o->data_dir points there. Returns
 * HEED_ECONFIG with err when no directory holds the VADER lexicon. */
int heed_classifier_opts_from_cfg(struct heed_classifier_opts *o,
				  const struct heed_cfg *cfg,
				  const char *env_data_dir, const char *exe_path,
				  char *dir, size_t dirsz, struct heed_err *err)
	HEED_MUSTCHECK;

/* Load the lexicons and rule files and compile the rules (pcre2 with JIT).
 * Returns the model, or NULL with err: HEED_EIO for an unreadable file,
 * HEED_EPARSE with "file:line: problem" for a bad lexicon line, rule or
 * pattern, HEED_ECONFIG for a topic named in o->topics that no rule file
 * declares. */
struct heed_classifier *heed_classifier_new(const struct heed_classifier_opts *o,
					    struct heed_err *err);

/* The same from cfg (see heed_classifier_opts_from_cfg). */
struct heed_classifier *heed_classifier_new_cfg(const struct heed_cfg *cfg,
						const char *env_data_dir,
						const char *exe_path,
						struct heed_err *err);

/* Free the model; NULL is a no-op. Every context made from it must be
 * freed first. */
void heed_classifier_free(struct heed_classifier *c);

/* Topics the model knows (declared by its rule files), by bit number.
 * Names and help are borrowed from the model. NULL past the end. */
size_t heed_classifier_topic_count(const struct heed_classifier *c);
const char *heed_classifier_topic(const struct heed_classifier *c, size_t i);
const char *heed_classifier_topic_help(const struct heed_classifier *c,
				       size_t i);

/* Counts for `heed doctor` and logs: lexicon entries, rules, patterns. */
void heed_classifier_stats(const struct heed_classifier *c, size_t *words,
			   size_t *rules, size_t *patterns);

/* A context for one thread. c is borrowed and must outlive it. */
struct heed_classify_ctx *heed_classify_ctx_new(const struct heed_classifier *c);
void heed_classify_ctx_free(struct heed_classify_ctx *ctx);

/* Judge one mention. *out gets the verdict, borrowed from ctx until the next
 * call on ctx. Never fails on content: any bytes give a verdict. Returns
 * HEED_EINVAL only when in->text is NULL with a length. Thread-safe for
 * distinct contexts. */
int heed_classify(struct heed_classify_ctx *ctx,
		  const struct heed_classify_in *in,
		  const struct heed_verdict **out) HEED_MUSTCHECK;

/* Classify m in place: fill its classifier fields (sentiment, label,
 * urgency and level, topics, reasons as JSON, needs_reply and its reason,
 * is_spam), freeing what they held. The way pollers call the classifier. */
void heed_classify_mention(struct heed_classify_ctx *ctx,
			   struct heed_mention *m);

/* Static names: "negative", "neutral", "positive"; "low", "normal",
 * "high", "critical"; "lexicon", "caps", ... for reason kinds;
 * "sentiment", "urgency", "topic" for targets. */
const char *heed_sentiment_name(enum heed_sentiment s);
const char *heed_urgency_name(enum heed_urgency u);
const char *heed_reason_kind_name(enum heed_reason_kind k);
const char *heed_reason_target_name(enum heed_reason_target t);

/* The verdict as one line of compact JSON (caller frees): sentiment,
 * urgency, topics, needs_reply, spam, language and, with reasons, every
 * reason with its span, the text it covers (text, len: what was
 * classified) and its contribution. */
char *heed_verdict_json(const struct heed_classifier *c,
			const struct heed_verdict *v, const char *text,
			size_t len, bool reasons);

/* Just the reasons, as a JSON array (caller frees). */
char *heed_verdict_reasons_json(const struct heed_verdict *v,
				const char *text, size_t len);

/* ---- evaluation against human ratings (heed classify --eval, bench) ---- */

/* One line of the ground-truth format of the VADER corpora: "id TAB mean
 * rating TAB text" (text is everything after the second tab; a trailing CR
 * is dropped). Points into line. Returns HEED_EPARSE on a malformed line. */
int heed_classify_eval_line(const char *line, size_t len,
			    const char **id, size_t *id_len, double *rating,
			    const char **text, size_t *text_len)
	HEED_MUSTCHECK;

/* Accumulates predictions against human ratings. Caller-owned. */
struct heed_classify_eval {
	size_t n;
	double sx, sy, sxx, syy, sxy;	/* for Pearson r */
	size_t conf[2][3][3];		/* [cut][truth][prediction] */
};

/* The two neutral cuts of the ratings: the paper's (|mean| < 0.05) and
 * the stricter one (|mean| < 0.2). Predictions are cut at 0.05. */
#define HEED_EVAL_CUTS 2
extern const double heed_classify_eval_cut[HEED_EVAL_CUTS];

void heed_classify_eval_init(struct heed_classify_eval *e);
void heed_classify_eval_add(struct heed_classify_eval *e, double compound,
			    double rating);

struct heed_classify_eval_result {
	double pearson_r;
	double accuracy[HEED_EVAL_CUTS];
	double macro_f1[HEED_EVAL_CUTS];
	double weighted_f1[HEED_EVAL_CUTS];	/* the paper's "F1" */
	size_t neutral[HEED_EVAL_CUTS];		/* neutral items by that cut */
};

void heed_classify_eval_result(const struct heed_classify_eval *e,
			       struct heed_classify_eval_result *r);

#endif
