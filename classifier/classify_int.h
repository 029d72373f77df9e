/* classify_int.h: what the classifier's files share and nobody else needs:
 * the model (lexicon hash, rules, prefilter), the per-thread scratch, and
 * the steps of one classification: text.c reads the mention into folded
 * segments and VADER tokens, lang.c guesses its language, rules.c runs the
 * brand-care rules, vader.c scores sentiment, classify.c puts it together.
 * Fuzz targets and unit tests include it to reach the parsers directly. */
#ifndef HEED_CLASSIFY_INT_H
#define HEED_CLASSIFY_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <pcre2.h>

#include "heed/classify.h"
#include "heed/err.h"

#define CLS_MAX_TOPICS 64
#define CLS_DEFAULT_MAX_TEXT (32u * 1024)
#define CLS_MAX_KEY 255		/* longest lexicon key, bytes */

/* ---- lexicon (lexicon.c) ---- */

/* Word classes the VADER rules and the language guess look at. */
enum {
	W_VALENCE = 1u << 0,	/* has a rated valence */
	W_NEGATE = 1u << 1,	/* VADER's NEGATE list */
	W_BOOSTER = 1u << 2,	/* booster/dampener: see booster */
	W_PHRASE = 1u << 3,	/* first word of a multi-word entry */
	W_IDIOM = 1u << 4,	/* first word of an idiom (vader.c) */
};

/* Languages of the stopword lists (lang.c), as bits of lex_entry.langs. */
enum cls_lang {
	LANG_EN, LANG_ES, LANG_FR, LANG_DE, LANG_PT, LANG_IT, LANG_NL,
	LANG_N
};

struct lex_entry {
	uint64_t head;		/* first 8 key bytes, zero padded (lex_head) */
	uint32_t key;		/* offset of the NUL-terminated key in keys */
	uint32_t key_len;
	uint32_t hash;
	uint32_t flags;		/* W_* */
	float valence;
	float booster;		/* B_INCR or B_DECR when W_BOOSTER */
	uint16_t langs;		/* stopword of these languages (1 << LANG_*) */
	uint8_t words;		/* words in the key (phrases: 2 or 3) */
	uint8_t folded_src;	/* the valence came from an already folded key */
	uint64_t second;	/* W_PHRASE: bit (entry % 64) of each second word */
};

/* A slot holds what a lookup compares (the key's first eight bytes and
 * its length) and what the scorer asks of a token's entry (its info), so
 * that most tokens never touch their entry: a lookup per token is the
 * classifier's most frequent step, and the entries do not fit the cache. */
struct lex_slot {
	uint64_t head;		/* as lex_entry.head */
	uint32_t idx;		/* entry index + 1; 0: empty */
	uint16_t len;		/* key length, 0xffff for that or more */
	uint16_t info;		/* lex_info of the entry (see lex_sync) */
};

/* An entry's info: its W_* flags, its stopword languages above them. */
#define LEX_LANGS_SHIFT 5
static inline uint16_t lex_info(uint32_t flags, uint16_t langs)
{
	return (uint16_t)(flags | (uint32_t)langs << LEX_LANGS_SHIFT);
}
_Static_assert(W_IDIOM < 1u << LEX_LANGS_SHIFT && LANG_N + LEX_LANGS_SHIFT <= 16,
	       "lex_info packs the flags and languages in 16 bits");

#define LEX_BLOOM_WORDS 2048u

struct cls_lexicon {
	struct lex_entry *e;
	size_t n, alloc;
	char *keys;
	size_t keys_len, keys_alloc;
	struct lex_slot *slots;	/* open addressing; idx 0 is empty */
	uint64_t *bloom;	/* LEX_BLOOM_WORDS: a filter of all keys */
	size_t mask;		/* slots - 1, a power of two minus one */
	size_t rated;		/* entries with a valence */
};

void lex_init(struct cls_lexicon *lx);
void lex_release(struct cls_lexicon *lx);
uint32_t lex_hash(const char *s, size_t len);
/* Index of the entry for the folded key, or -1. */
int32_t lex_find(const struct cls_lexicon *lx, const char *s, size_t len);
/* The same, and its lex_info in *info (0 when not found); the info is
 * that of the last lex_sync. */
int32_t lex_find_info(const struct cls_lexicon *lx, const char *s, size_t len,
		      uint16_t *info);
/* The same for s with at least eight bytes readable (it may read past
 * len): the scanner's keys, in rt or ctx->key. */
int32_t lex_find_pad(const struct cls_lexicon *lx, const char *s, size_t len,
		     uint16_t *info);
#define LEX_PAD 8
/* Copy every entry's flags and languages into its slot: after the last
 * change to them (rules_finish does it). */
void lex_sync(struct cls_lexicon *lx);
/* Find or add (with no flags); returns its index. */
int32_t lex_intern(struct cls_lexicon *lx, const char *s, size_t len);
static inline const char *lex_key(const struct cls_lexicon *lx, int32_t i)
{
	return lx->keys + lx->e[i].key;
}
/* Parse a VADER-format lexicon held in memory (name is for messages):
 * "TOKEN<TAB>MEAN[<TAB>...]" per line, '#'-space comments, blank lines.
 * Keys are folded like text; a later line wins, except that a key written
 * in folded form beats one that only folds to it (VADER's own lookup never
 * reaches ":-D", only ":-d"). HEED_EPARSE with "name:line: ..." on error;
 * entries before the bad line stay. */
int lex_parse(struct cls_lexicon *lx, const char *name, const char *text,
	      size_t len, struct heed_err *err) HEED_MUSTCHECK;

/* ---- text folding (text.c) ---- */

/* Fold s (len bytes, any bytes) as mention text is folded: invalid UTF-8
 * to U+FFFD, NFKC, case folding, look-alike punctuation lumped, default
 * ignorables dropped, accents of Latin, Greek and Cyrillic letters dropped.
 * Returns an allocated NUL-terminated string, *outlen its length. */
char *cls_fold_string(const char *s, size_t len, size_t *outlen);

/* ---- rules and prefilter (rules.c, prefilter.c) ---- */

enum {
	RULE_FLIP = 1u << 0,		/* positive words in the match turn negative */
	RULE_FLIP_ALL = 1u << 1,	/* ... anywhere in the mention */
	RULE_SPAM = 1u << 2,		/* the mention is spam */
	RULE_NO_REPLY = 1u << 3,	/* the mention needs no reply */
};

/* Where the matches of a pattern can start: at word starts that begin
 * with one of n literals (cls_prefixes), kept by their first byte. */
struct cls_starts {
	uint64_t pair[8];	/* their first two bytes (any second byte for
				 * one of one byte), hashed: see starts_maybe */
	uint64_t first[4];	/* the literals' first bytes, a bitset */
	uint16_t below[4];	/* bits of first[] in the words before */
	uint16_t *at;		/* by rank of the first byte in first[]: lit[at[r] .. at[r + 1]) */
	struct { uint64_t v, mask; uint8_t len; } *lit;	/* as load8 sees them */
	size_t n;
};

struct cls_pattern {
	pcre2_code *code;
	pcre2_code *anchored;	/* the same compiled PCRE2_ANCHORED, when starts */
	struct cls_starts *starts;	/* NULL: matches may start anywhere */
	char *src;		/* the pattern as written */
	uint32_t rule;
	bool unless;
	bool always;		/* no required literal: runs on every mention */
};

struct cls_rule {
	char *name;
	char *file;		/* for messages; shared string owned by the model */
	unsigned line;
	uint64_t topics;
	int urgency;
	int min_urgency;	/* raise the total to at least this */
	double valence;
	unsigned flags;		/* RULE_* */
	uint32_t group;		/* index into groups */
	uint32_t *match, *unless;	/* indices into pats */
	size_t n_match, n_unless;
	bool disabled;		/* replaced or disabled by a later file */
	uint32_t file_no;	/* which file defined it */
};

/* A literal that occurs in every match of a pattern, as the prefilter
 * looks for it: folded, 1-8 bytes (a longer one is cut, as its prefix is
 * required too). A pattern may have several sets of them (conj): one
 * literal of each set is in every match. */
struct cls_req_lit {
	char *s;
	uint8_t conj;		/* which set, 0-7 */
	bool word_start;	/* occurs only where a word starts (\b before) */
	bool late;		/* searched for once all other sets are found */
};

#define PF_MAXLEN 8
#define PF_PREFIX (PF_MAXLEN + 1)	/* bits[]: first 4 bytes of longer ones */

struct cls_pf_lit {
	uint64_t v;		/* its bytes, as an unaligned 64-bit load */
	uint32_t first;		/* first of its patterns in pats, or UINT32_MAX */
	uint8_t len;
	uint8_t start;		/* word_start */
};

/* The required literals of all patterns, found in one pass over the
 * folded text (prefilter.c). Word-start literals: a hashed bit table of
 * values per length, and for those of more than 4 bytes a table of their
 * first four bytes in front (bits[PF_PREFIX]), so that most word starts
 * are ruled out by a few tests. The others, found anywhere, by their
 * first byte. */
struct cls_prefilter {
	/* one bit table for all lengths, each hashed with its own
	 * multiplier: a probe needs no per-length base or size */
	uint64_t *bits;
	uint64_t mul[PF_PREFIX + 1];
	unsigned shift;			/* 64 - log2 of the table's bits */
	unsigned lens;			/* lengths present, a bitset */
	uint16_t any_first[256];	/* lengths of the others, by first byte */
	size_t n_any;
	uint8_t any_byte[4];		/* the first bytes of the others ... */
	unsigned n_any_bytes;		/* ... if at most 4, else 0 */
	uint8_t word[256];		/* word bytes: [0-9A-Za-z_] */
	uint64_t lenmask[PF_MAXLEN + 1];	/* keeps the first k bytes of a load */
	struct { uint32_t lit; } *slot;	/* open addressing: literal + 1 */
	size_t mask;
	struct cls_pf_lit *lit;
	size_t n;
	struct { uint32_t pat, next; uint8_t bit; } *pats;	/* while building */
	size_t npats;
	/* what the scan looks up where a literal may be: each literal with
	 * its patterns, pat[at .. at + n), in one place */
	struct cls_pf_found {
		uint64_t v;
		uint32_t at;
		uint16_t n;
		uint8_t len, start;	/* len 0: empty */
	} *found;
	size_t found_mask;
	struct { uint32_t pat; uint8_t bit; } *pat;
	uint8_t *need;		/* per pattern: the bits of its scanned sets */
	size_t n_pats;
	/* late literals, by pattern: those of pattern p are
	 * late[late_at[p] .. late_at[p + 1]) */
	struct cls_pf_late { uint64_t v; uint8_t len, conj, start; } *late;
	uint32_t *late_at;
	/* at the first late literal of each set: the first bytes of the
	 * set's literals, a bitset, to pass over most places at once */
	struct cls_pf_first { uint64_t b[4]; } *late_first;
};

/* The literals of pattern (len bytes, folded syntax as in rule files).
 * Returns false when none can be proven (the pattern then always runs). On
 * true, *lits (allocated, free with cls_literals_free) and *n are set. */
bool cls_literals(const char *pattern, size_t len, struct cls_req_lit **lits,
		  size_t *n);
void cls_literals_free(struct cls_req_lit *lits, size_t n);
/* The literals that every match of pattern begins with, each where a word
 * starts (after \b) and with a word byte ([0-9a-z_]); 1-8 bytes, cut like
 * those of cls_literals. False when none can be proven; on true, *lits
 * (free with cls_literals_free) and *n are set. */
bool cls_prefixes(const char *pattern, size_t len, struct cls_req_lit **lits,
		  size_t *n);
/* Build (release) the table of n such literals. */
void pf_starts_build(struct cls_starts *s, const struct cls_req_lit *lits,
		     size_t n);
void pf_starts_release(struct cls_starts *s);
/* Does one of the literals of s begin t (left bytes)? */
bool pf_starts_at(const struct cls_starts *s, const char *t, size_t left);

static inline unsigned starts_pair(unsigned char a, unsigned char b)
{
	return ((a | (unsigned)b << 8) * 0x9e37u >> 7) & 511;
}

/* Might one of them begin t? A test of its first two bytes, which must
 * be readable (t[1] may be the NUL after the text): most word starts
 * fail it, so it is inline. */
static inline bool starts_maybe(const struct cls_starts *s, const char *t)
{
	unsigned h = starts_pair((unsigned char)t[0], (unsigned char)t[1]);

	return s->pair[h / 64] >> (h % 64) & 1;
}

/* Build the filter from n literals, ids[i] the pattern (< n_pats) of
 * lits[i]; borrowed. */
void pf_build(struct cls_prefilter *pf, const struct cls_req_lit *lits,
	      const uint32_t *ids, size_t n, size_t n_pats);
void pf_release(struct cls_prefilter *pf);
/* Set the bit in cand of every pattern a literal of each of whose sets
 * occurs in text (ascii: it has no byte of 0x80 or more); starts: its n
 * word starts (as heed_classify_ctx's); got (n_pats bytes) is scratch. */
void pf_scan(const struct cls_prefilter *pf, const char *text, size_t len,
	     bool ascii, const uint32_t *starts, size_t n, uint8_t *got,
	     uint64_t *cand);

/* ---- the model ---- */

struct cls_idiom {
	int32_t w[3];		/* entry indices; w[2] == -1 for two words */
	double valence;
};

struct heed_classifier {
	struct cls_lexicon lex;
	struct cls_rule *rules;
	size_t n_rules;
	struct cls_pattern *pats;
	size_t n_pats;
	uint32_t *always;	/* patterns with no literal */
	size_t n_always;
	struct cls_prefilter *pf;
	char **files;		/* file names for messages */
	size_t n_files;
	char *topic[CLS_MAX_TOPICS];
	char *topic_help[CLS_MAX_TOPICS];
	uint32_t topic_file[CLS_MAX_TOPICS];	/* file that declared it */
	size_t n_topics;
	uint64_t report_topics;	/* topics reported in verdicts */
	char **groups;
	size_t n_groups;
	struct cls_idiom *idioms;	/* at most 16 */
	size_t n_idioms;
	uint16_t idiom3;	/* the idioms of three words, a bitset */
	/* entries the VADER rules compare against */
	int32_t w_but, w_kind, w_sort, w_of, w_least, w_at, w_very, w_never,
		w_so, w_this, w_without, w_doubt, w_no, w_or, w_nor, w_just,
		w_enough;
	char **scored_codes;	/* languages scored, as codes */
	size_t n_scored_codes;
	size_t max_text;
	int urg_normal, urg_high, urg_critical;
	int negativity_urgency;
	int64_t reach_followers;
	int reach_urgency;
	unsigned flags;
	uint8_t cc[256];	/* CC_* of each byte (ASCII only) */
	/* topic bits the needs-reply logic looks at (0 when not declared) */
	uint64_t t_praise, t_question;
};

/* Load one rule file held in memory into c (name is for messages). */
int rules_parse(struct heed_classifier *c, const char *name, const char *text,
		size_t len, struct heed_err *err) HEED_MUSTCHECK;
/* After all files: drop disabled rules, build the prefilter, lex_sync. */
void rules_finish(struct heed_classifier *c);
void rules_release(struct heed_classifier *c);
/* Find a topic by name; -1 if not declared. */
int rules_topic(const struct heed_classifier *c, const char *name, size_t len);

/* Intern the VADER word lists and idioms (vader.c) and the stopwords
 * (lang.c) into the lexicon. */
void vader_setup(struct heed_classifier *c);
void lang_setup(struct heed_classifier *c);
/* A classifier with only the built-in word lists (tests, fuzzing). */
struct heed_classifier *cls_model_new_empty(void);

/* ---- one classification ---- */

enum tok_kind {
	TK_WORD,
	TK_PUNCT,	/* punctuation only: neutral, but takes a place */
	TK_EMOJI,
};

enum {
	TF_UPPER = 1u << 0,	/* Python's str.isupper() on the original */
	TF_ELONG = 1u << 1,	/* found only with repeated letters squeezed */
	TF_NT = 1u << 2,	/* contains "n't" */
	TF_FLIP = 1u << 3,	/* inside a sarcasm match */
	TF_SKIP = 1u << 4,	/* inside a phrase scored on its first word */
	TF_CLAUSE = 1u << 5,	/* ends a clause: ; : . ! ? after it */
	TF_INPHRASE = 1u << 6,	/* part of a phrase: modifies nothing */
};

struct cls_tok {
	uint32_t start, end;	/* span in the input */
	uint32_t key, klen;	/* folded form: offset in rt */
	int32_t entry;		/* lexicon entry, -1 if none */
	int32_t phrase;		/* phrase entry starting here, -1 if none */
	uint8_t phrase_len;	/* tokens it covers */
	uint8_t kind;
	uint16_t flags;
	uint16_t idioms;	/* idioms starting here, a bitset (vader.c) */
	uint16_t info;		/* lex_info of entry; 0 if none */
};

enum seg_kind { SEG_TEXT, SEG_URL, SEG_HANDLE, SEG_HASHTAG };

/* Classes of ASCII bytes (heed_classifier.cc), for the fast paths. */
enum {
	CC_SPACE = 1u << 0,	/* separates words */
	CC_PUNCT = 1u << 1,	/* Python's string.punctuation */
	CC_ALNUM = 1u << 2,
	CC_SPLIT = 1u << 3,	/* , ; ! ? . : glued words split there */
	CC_CLAUSE = 1u << 4,	/* ; : . ! ? end a clause (a comma may list) */
	CC_UPPER = 1u << 5,
	CC_LOWER = 1u << 6,
	CC_OPEN = 1u << 7,	/* ( " ' < [ may come before a link */
};
void text_init_classes(uint8_t *cc);

/* Scripts of letters, counted for the language guess. */
enum cls_script {
	SCRIPT_LATIN, SCRIPT_CYRILLIC, SCRIPT_GREEK, SCRIPT_ARABIC,
	SCRIPT_HEBREW, SCRIPT_HAN, SCRIPT_KANA, SCRIPT_HANGUL,
	SCRIPT_DEVANAGARI, SCRIPT_THAI, SCRIPT_OTHER, SCRIPT_N
};

struct cls_seg {
	uint32_t start, end;	/* span in the input */
	uint32_t fold, flen;	/* folded form in rt */
	uint8_t kind;
	bool plain;		/* rt byte fold + i is input byte start + i, and
				 * src[] is not kept for them */
};

struct cls_hit {
	uint32_t rule;
	uint32_t start, end;	/* first match, rt offsets */
};

struct heed_classify_ctx {
	const struct heed_classifier *c;
	/* folded text ("rule text"): segments folded, joined by one space,
	 * with LEX_PAD bytes of room after the NUL at its end;
	 * src[i] and src_end[i] give the input bytes rt[i] came from, but
	 * for plain segments (text_span knows) */
	char *rt;
	uint32_t *src, *src_end;
	size_t rt_len, rt_alloc;
	bool ascii;		/* the text is ASCII, and no ESC (text_scan) */
	struct cls_seg *segs;
	size_t n_segs, segs_alloc;
	struct cls_tok *toks;
	size_t n_toks, toks_alloc;
	int32_t *ubuf;		/* code point scratch for folding */
	size_t ubuf_alloc;
	char key[CLS_MAX_KEY * 3 + 4 + LEX_PAD];	/* squeezed words, phrases */
	/* counts from the scan; n_upper: tokens with TF_UPPER */
	unsigned n_urls, n_handles, n_hashtags, n_letters, n_upper,
		n_script[SCRIPT_N];
	/* rules */
	pcre2_match_data *md;
	pcre2_match_context *mctx;
	uint64_t *cand;		/* candidate patterns, a bitset */
	uint8_t *got;		/* per pattern: its literal sets found */
	/* where words start in rt: [0-9a-z_] after another byte or at 0
	 * (text.c finds them as it folds the text) */
	uint32_t *starts;
	size_t n_starts, starts_alloc;
	bool anchor;		/* try patterns with starts at those only */
	uint64_t *done;		/* rules already tried, a bitset */
	size_t cand_words, done_words;
	pcre2_jit_stack *jit_stack;
	struct cls_hit *hits;
	size_t n_hits, hits_alloc;
	/* sentiment */
	double *sent;
	size_t sent_alloc;
	struct heed_reason *reasons;
	size_t n_reasons, reasons_alloc;
	struct heed_verdict v;
	char reply_reason[160];
};

/* text.c: read len bytes of text into segments, tokens and rt. */
void text_scan(struct heed_classify_ctx *x, const char *text, size_t len);
/* The input span of rt bytes [a, b). */
void text_span(const struct heed_classify_ctx *x, size_t a, size_t b,
	       size_t *start, size_t *end);

/* lang.c: guess the language from the tokens; "" when it looks English or
 * there is too little to tell. */
const char *lang_guess(const struct heed_classify_ctx *x);
/* Is code (ISO 639-1, maybe with a region) one the model scores? */
bool lang_scored(const struct heed_classifier *c, const char *code);

/* rules.c: run the rules on rt; fills x->hits. */
void rules_run(struct heed_classify_ctx *x);

/* vader.c: score the tokens (plus extra valences from rules, already in
 * x->sent[n_toks ..]); adds sentiment reasons with raw values; returns the
 * raw sum (with punctuation emphasis) and fills pos/neu/neg. */
double vader_score(struct heed_classify_ctx *x, size_t n_extra);

/* classify.c: append a reason (raw and value as given). */
struct heed_reason *reason_add(struct heed_classify_ctx *x,
			       enum heed_reason_kind kind,
			       enum heed_reason_target target, size_t start,
			       size_t end, const char *name, const char *note,
			       double raw);

#endif
