/* text.c: reading a mention. Any bytes come in; out come the folded "rule
 * text" (NFKC, case folded, accents of Latin/Greek/Cyrillic letters and
 * look-alike letters folded, URLs replaced by <url>, hashtags split at
 * camelCase, whitespace collapsed) with a map from each of its bytes back to
 * the input, and the VADER tokens: words, emoticons, emoji and punctuation,
 * each with its span in the input and its lexicon entry. Invalid UTF-8 reads
 * as U+FFFD; controls and escape sequences separate words. */
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "classify_int.h"
#include "heed/xalloc.h"

#define FOLD_OPTS (UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT | UTF8PROC_CASEFOLD | \
		   UTF8PROC_LUMP | UTF8PROC_IGNORE)
#define MAX_FOLD 32	/* code points one code point can fold into */

/* Decode one character at p (n > 0 bytes left); invalid sequences read as
 * U+FFFD one byte at a time. Returns the bytes used. */
static size_t decode(const unsigned char *p, size_t n, uint32_t *cp)
{
	size_t len;
	uint32_t c, min;

	if (p[0] < 0x80)
		return *cp = p[0], 1;
	if ((p[0] & 0xe0) == 0xc0)
		len = 2, c = p[0] & 0x1f, min = 0x80;
	else if ((p[0] & 0xf0) == 0xe0)
		len = 3, c = p[0] & 0x0f, min = 0x800;
	else if ((p[0] & 0xf8) == 0xf0)
		len = 4, c = p[0] & 0x07, min = 0x10000;
	else
		return *cp = 0xfffd, 1;
	if (len > n)
		return *cp = 0xfffd, 1;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return *cp = 0xfffd, 1;
		c = (c << 6) | (p[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return *cp = 0xfffd, 1;
	*cp = c;
	return len;
}

static size_t encode(uint32_t c, char *out)
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

/* Separators: whitespace of any script, and controls (C0, DEL, C1). */
static bool is_space(uint32_t c)
{
	if (c < 0x80)
		return c <= 0x20 || c == 0x7f;
	return (c >= 0x80 && c <= 0xa0) || c == 0x1680 ||
	       (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 ||
	       c == 0x202f || c == 0x205f || c == 0x3000;
}

static bool is_ascii_punct(uint32_t c)
{
	return (c >= 33 && c <= 47) || (c >= 58 && c <= 64) ||
	       (c >= 91 && c <= 96) || (c >= 123 && c <= 126);
}

static bool is_emoji(uint32_t c)
{
	return (c >= 0x1f000 && c <= 0x1faff) || (c >= 0x2600 && c <= 0x27bf) ||
	       (c >= 0x2300 && c <= 0x23ff) || (c >= 0x2b00 && c <= 0x2bff) ||
	       (c >= 0x2190 && c <= 0x21ff) || (c >= 0x25a0 && c <= 0x25ff) ||
	       c == 0x3030 || c == 0x303d || c == 0x3297 || c == 0x3299 ||
	       c == 0x203c || c == 0x2049 || c == 0x00a9 || c == 0x00ae;
}

/* Punctuation and symbols other than emoji (in folded text). */
static bool is_punct(uint32_t c)
{
	if (c < 0x80)
		return is_ascii_punct(c);
	if (c == 0xfffd)
		return true;
	if (is_emoji(c))
		return false;
	switch (utf8proc_category((utf8proc_int32_t)c)) {
	case UTF8PROC_CATEGORY_PC: case UTF8PROC_CATEGORY_PD:
	case UTF8PROC_CATEGORY_PS: case UTF8PROC_CATEGORY_PE:
	case UTF8PROC_CATEGORY_PI: case UTF8PROC_CATEGORY_PF:
	case UTF8PROC_CATEGORY_PO: case UTF8PROC_CATEGORY_SM:
	case UTF8PROC_CATEGORY_SC: case UTF8PROC_CATEGORY_SK:
		return true;
	default:
		return false;
	}
}

static bool is_letter(uint32_t c)
{
	if (c < 0x80)
		return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
	switch (utf8proc_category((utf8proc_int32_t)c)) {
	case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL:
	case UTF8PROC_CATEGORY_LT: case UTF8PROC_CATEGORY_LM:
	case UTF8PROC_CATEGORY_LO:
		return true;
	default:
		return false;
	}
}

static bool is_alnum(uint32_t c)
{
	return (c >= '0' && c <= '9') || is_letter(c);
}

static enum cls_script script_of(uint32_t c)
{
	if (c < 0x250 || (c >= 0x1e00 && c <= 0x1eff))
		return SCRIPT_LATIN;
	if (c >= 0x370 && c <= 0x3ff)
		return SCRIPT_GREEK;
	if (c >= 0x400 && c <= 0x52f)
		return SCRIPT_CYRILLIC;
	if (c >= 0x590 && c <= 0x5ff)
		return SCRIPT_HEBREW;
	if ((c >= 0x600 && c <= 0x6ff) || (c >= 0x750 && c <= 0x77f) ||
	    (c >= 0xfb50 && c <= 0xfdff) || (c >= 0xfe70 && c <= 0xfeff))
		return SCRIPT_ARABIC;
	if (c >= 0x900 && c <= 0x97f)
		return SCRIPT_DEVANAGARI;
	if (c >= 0xe00 && c <= 0xe7f)
		return SCRIPT_THAI;
	if ((c >= 0x1100 && c <= 0x11ff) || (c >= 0x3130 && c <= 0x318f) ||
	    (c >= 0xac00 && c <= 0xd7af))
		return SCRIPT_HANGUL;
	if (c >= 0x3040 && c <= 0x30ff)
		return SCRIPT_KANA;
	if ((c >= 0x4e00 && c <= 0x9fff) || (c >= 0x3400 && c <= 0x4dbf) ||
	    (c >= 0x20000 && c <= 0x2ffff))
		return SCRIPT_HAN;
	return SCRIPT_OTHER;
}

/* Cyrillic and Greek letters that pass for Latin ones, folded. Used only
 * in words that mix them with Latin letters ("pаypal" with a Cyrillic a). */
static uint32_t confusable(uint32_t c)
{
	switch (c) {
	case 0x430: return 'a';	case 0x435: return 'e';	case 0x451: return 'e';
	case 0x43e: return 'o';	case 0x440: return 'p';	case 0x441: return 'c';
	case 0x443: return 'y';	case 0x445: return 'x';	case 0x456: return 'i';
	case 0x458: return 'j';	case 0x455: return 's';	case 0x501: return 'd';
	case 0x43a: return 'k';	case 0x3b1: return 'a';	case 0x3b5: return 'e';
	case 0x3b9: return 'i';	case 0x3ba: return 'k';	case 0x3bd: return 'v';
	case 0x3bf: return 'o';	case 0x3c1: return 'p';	case 0x3c4: return 't';
	case 0x3c5: return 'u';	case 0x3c7: return 'x';
	default: return c;
	}
}

void text_init_classes(uint8_t *cc)
{
	for (unsigned b = 0; b < 256; b++) {
		uint8_t k = 0;

		if (b < 0x80) {
			k |= is_space(b) ? CC_SPACE : 0;
			k |= is_ascii_punct(b) ? CC_PUNCT : 0;
			k |= (b >= '0' && b <= '9') || ((b | 0x20) >= 'a' && (b | 0x20) <= 'z')
			     ? CC_ALNUM : 0;
			k |= b && strchr(",;!?.", (int)b) ? CC_SPLIT : 0;
			k |= b && strchr(";:.!?", (int)b) ? CC_CLAUSE : 0;
			k |= b >= 'A' && b <= 'Z' ? CC_UPPER : 0;
			k |= b >= 'a' && b <= 'z' ? CC_LOWER : 0;
			k |= b && strchr("(\"'<[", (int)b) ? CC_OPEN : 0;
		}
		cc[b] = k;
	}
}

/* ---- the folded text and its map ---- */

static void rt_grow(struct heed_classify_ctx *x, size_t need)
{
	x->rt_alloc = x->rt_alloc ? x->rt_alloc : 256;
	while (x->rt_alloc < need)
		x->rt_alloc *= 2;
	x->rt = xrealloc(x->rt, x->rt_alloc);
	x->src = xreallocarray(x->src, x->rt_alloc, sizeof(*x->src));
	x->src_end = xreallocarray(x->src_end, x->rt_alloc, sizeof(*x->src_end));
}

/* Room for more bytes, the NUL and LEX_PAD after them. Inline, as it is
 * asked for a few times per word and rarely has to grow. */
static inline void rt_reserve(struct heed_classify_ctx *x, size_t more)
{
	size_t need = x->rt_len + more + 1 + LEX_PAD;

	if (__builtin_expect(need > x->rt_alloc, 0))
		rt_grow(x, need);
}

static void rt_put(struct heed_classify_ctx *x, const char *s, size_t n,
		   size_t from, size_t to)
{
	rt_reserve(x, n);
	for (size_t i = 0; i < n; i++) {
		x->rt[x->rt_len] = s[i];
		x->src[x->rt_len] = (uint32_t)from;
		x->src_end[x->rt_len] = (uint32_t)to;
		x->rt_len++;
	}
	x->rt[x->rt_len] = '\0';
}

/* Fold one non-ASCII code point into out[]; *latin says whether the last
 * base letter was Latin, Greek or Cyrillic (their accents are dropped). */
static size_t fold_cp(uint32_t c, bool *latin, bool mixed, int32_t *out)
{
	utf8proc_ssize_t n;
	int bound = 0;
	size_t k = 0;

	if (c == 0x2122 || c == 0x2120 || (c >= 0x1f3fb && c <= 0x1f3ff))
		return 0;	/* trade marks, skin tones: keep words whole */
	n = utf8proc_decompose_char((utf8proc_int32_t)c, out, MAX_FOLD,
				    FOLD_OPTS, &bound);
	if (n < 0 || n > MAX_FOLD) {
		out[0] = 0xfffd;
		return 1;
	}
	for (utf8proc_ssize_t i = 0; i < n; i++) {
		int32_t d = out[i];
		const utf8proc_property_t *p = utf8proc_get_property(d);
		bool mark = p->category == UTF8PROC_CATEGORY_MN ||
			    p->category == UTF8PROC_CATEGORY_MC ||
			    p->category == UTF8PROC_CATEGORY_ME;

		if (mark && *latin)
			continue;
		if (!mark)
			*latin = d < 0x530 || (d >= 0x1e00 && d <= 0x1eff);
		out[k++] = mixed ? (int32_t)confusable((uint32_t)d) : d;
	}
	if (k > 1)
		k = (size_t)utf8proc_normalize_utf32(out, (utf8proc_ssize_t)k,
						     UTF8PROC_COMPOSE);
	return k;
}

/* Does input[s, e) mix Latin letters with Cyrillic or Greek ones? */
static bool mixed_script(const unsigned char *in, size_t s, size_t e)
{
	bool latin = false, other = false;
	uint32_t c;

	for (size_t i = s, n; i < e; i += n) {
		n = decode(in + i, e - i, &c);
		if (!is_letter(c))
			continue;
		switch (script_of(c)) {
		case SCRIPT_LATIN: latin = true; break;
		case SCRIPT_CYRILLIC: case SCRIPT_GREEK: other = true; break;
		default: break;
		}
	}
	return latin && other;
}

/* Append input[s, e) folded; counts letters by script. True when the
 * segment was plain ASCII (no emoji, no multi-byte punctuation). */
static bool fold_append(struct heed_classify_ctx *x, const unsigned char *in,
			size_t s, size_t e)
{
	bool latin = true, mixed = false, ascii = true;
	char enc[4];
	uint32_t c;

	for (size_t i = s; !x->ascii && i < e; i++)
		if (in[i] >= 0x80) {
			ascii = false;
			break;
		}
	if (ascii) {
		unsigned letters = 0;

		rt_reserve(x, e - s);
		/* counted in a local: stores through x would alias rt */
		for (size_t i = s; i < e; i++) {
			unsigned char b = in[i];

			if ((b | 0x20) >= 'a' && (b | 0x20) <= 'z') {
				b |= 0x20;
				letters++;
			}
			x->rt[x->rt_len] = (char)b;
			x->src[x->rt_len] = (uint32_t)i;
			x->src_end[x->rt_len] = (uint32_t)i + 1;
			x->rt_len++;
		}
		x->rt[x->rt_len] = '\0';
		x->n_letters += letters;
		x->n_script[SCRIPT_LATIN] += letters;
		return true;
	}
	mixed = mixed_script(in, s, e);
	for (size_t i = s, n; i < e; i += n) {
		n = decode(in + i, e - i, &c);
		if (c < 0x80) {
			if (is_letter(c)) {
				c |= 0x20;
				x->n_letters++;
				x->n_script[SCRIPT_LATIN]++;
			}
			latin = true;
			enc[0] = (char)c;
			rt_put(x, enc, 1, i, i + n);
			continue;
		}
		if ((size_t)MAX_FOLD > x->ubuf_alloc) {
			x->ubuf_alloc = MAX_FOLD;
			x->ubuf = xreallocarray(x->ubuf, x->ubuf_alloc,
						sizeof(*x->ubuf));
		}
		size_t k = fold_cp(c, &latin, mixed, x->ubuf);

		/* scripts after folding: fullwidth and math letters are Latin */
		if (is_letter(c)) {
			x->n_letters++;
			x->n_script[script_of(k ? (uint32_t)x->ubuf[0] : c)]++;
		}
		for (size_t j = 0; j < k; j++) {
			uint32_t d = (uint32_t)x->ubuf[j];
			size_t len;

			/* folded text keeps its promise to rules: every space
			 * is one ' ' between two other characters */
			if (is_space(d) || d == ' ') {
				if (!x->rt_len || x->rt[x->rt_len - 1] == ' ')
					continue;
				d = ' ';
			}
			len = encode(d, enc);
			rt_put(x, enc, len, i, i + n);
		}
	}
	return false;
}

char *cls_fold_string(const char *s, size_t len, size_t *outlen)
{
	struct heed_classify_ctx x;
	char *out;

	memset(&x, 0, sizeof(x));
	fold_append(&x, (const unsigned char *)s, 0, len);
	out = xmalloc(x.rt_len + 1);
	if (x.rt_len)
		memcpy(out, x.rt, x.rt_len);
	out[x.rt_len] = '\0';
	*outlen = x.rt_len;
	free(x.rt);
	free(x.src);
	free(x.src_end);
	free(x.ubuf);
	return out;
}

/* ---- word starts ---- */

static inline unsigned starts_word(unsigned char b)
{
	return ((unsigned)(b - '0') < 10) | ((unsigned)((b | 0x20) - 'a') < 26) |
	       (b == '_');
}

static void starts_grow(struct heed_classify_ctx *x, size_t need)
{
	x->starts_alloc = x->starts_alloc ? x->starts_alloc : 64;
	while (x->starts_alloc < need)
		x->starts_alloc *= 2;
	x->starts = xreallocarray(x->starts, x->starts_alloc, sizeof(*x->starts));
}

/* Room for more word starts, and one spare entry. */
static inline void starts_reserve(struct heed_classify_ctx *x, size_t more)
{
	if (x->n_starts + more + 1 > x->starts_alloc)
		starts_grow(x, x->n_starts + more + 1);
}

/* The word starts of rt[a, rt_len), folded just now; without a branch
 * per byte (the spare store lands past the count). */
static void starts_of(struct heed_classify_ctx *x, size_t a)
{
	unsigned prev = a ? starts_word((unsigned char)x->rt[a - 1]) : 0;
	uint32_t *st;
	size_t k;

	starts_reserve(x, (x->rt_len - a) / 2 + 1);
	st = x->starts;
	k = x->n_starts;
	for (size_t i = a; i < x->rt_len; i++) {
		unsigned w = starts_word((unsigned char)x->rt[i]);

		st[k] = (uint32_t)i;
		k += w & ~prev;
		prev = w;
	}
	x->n_starts = k;
}

/* ---- tokens ---- */

static void toks_grow(struct heed_classify_ctx *x)
{
	x->toks_alloc = x->toks_alloc ? x->toks_alloc * 2 : 64;
	x->toks = xreallocarray(x->toks, x->toks_alloc, sizeof(*x->toks));
}

/* A token for rt[a, b), input[start, end). Inline, with its growth out
 * of line: once per token, from several places. */
static inline struct cls_tok *tok_add(struct heed_classify_ctx *x, size_t a,
				      size_t b, uint8_t kind, size_t start,
				      size_t end)
{
	struct cls_tok *t;

	if (__builtin_expect(x->n_toks == x->toks_alloc, 0))
		toks_grow(x);
	t = &x->toks[x->n_toks++];
	t->start = (uint32_t)start;
	t->end = (uint32_t)end;
	t->key = (uint32_t)a;
	t->klen = (uint32_t)(b - a);
	t->entry = -1;
	t->info = 0;
	t->phrase = -1;
	t->phrase_len = 0;
	t->kind = kind;
	t->flags = 0;
	return t;
}

/* A token for rt[a, b) in a segment that keeps its map. */
static struct cls_tok *tok_new(struct heed_classify_ctx *x, size_t a,
			       size_t b, uint8_t kind)
{
	return tok_add(x, a, b, kind, x->src[a], x->src_end[b - 1]);
}

/* Python's str.isupper() on the token's original characters. */
static bool orig_upper(const uint8_t *cc, const unsigned char *in, size_t s,
		       size_t e)
{
	bool upper = false;
	uint32_t c;

	for (size_t i = s, n; i < e; i += n) {
		if (in[i] < 0x80) {
			if (cc[in[i]] & CC_LOWER)
				return false;
			upper |= (cc[in[i]] & CC_UPPER) != 0;
			n = 1;
			continue;
		}
		n = decode(in + i, e - i, &c);
		if (c < 0x80) {
			if (c >= 'a' && c <= 'z')
				return false;
			upper |= c >= 'A' && c <= 'Z';
		} else if (utf8proc_islower((utf8proc_int32_t)c)) {
			return false;
		} else {
			upper |= utf8proc_isupper((utf8proc_int32_t)c) != 0;
		}
	}
	return upper;
}

/* Squeeze runs of three or more equal letters to keep letters (1 or 2). */
static size_t squeeze(const char *s, size_t n, char *out, unsigned keep)
{
	size_t o = 0, run = 0;

	for (size_t i = 0; i < n; i++) {
		run = i && s[i] == s[i - 1] ? run + 1 : 1;
		if (run <= keep || !((s[i] | 0x20) >= 'a' && (s[i] | 0x20) <= 'z'))
			out[o++] = s[i];
	}
	return o;
}

static bool has_run3(const char *s, size_t n)
{
	for (size_t i = 2; i < n; i++)
		if (s[i] == s[i - 1] && s[i] == s[i - 2] && s[i] >= 'a' && s[i] <= 'z')
			return true;
	return false;
}

/* The entry of an elongated word k (n bytes), squeezed ("goooood" ->
 * "good"). Out of line: rare, and its loops would cost every lookup
 * saved registers. */
static __attribute__((noinline)) void
find_elongated(struct heed_classify_ctx *x, struct cls_tok *t, const char *k,
	       size_t n)
{
	const struct cls_lexicon *lx = &x->c->lex;

	for (unsigned keep = 2; keep >= 1 && t->entry < 0; keep--) {
		size_t m = squeeze(k, n, x->key, keep);

		t->entry = lex_find_pad(lx, x->key, m, &t->info);
	}
	if (t->entry >= 0)
		t->flags |= TF_ELONG;
}

/* Find the word's entry (klen <= CLS_MAX_KEY), elongated forms too.
 * Inline: once per word, and small now that find_elongated is apart. */
static inline void tok_find(struct heed_classify_ctx *x, struct cls_tok *t)
{
	const struct cls_lexicon *lx = &x->c->lex;
	const char *k = x->rt + t->key;
	size_t n = t->klen;

	t->entry = lex_find_pad(lx, k, n, &t->info);
	/* vader_score reads a rated word's valence and key long after this:
	 * the entries do not fit the cache, so fetch its line now */
	if (t->info & W_VALENCE)
		__builtin_prefetch(&lx->e[t->entry].valence);
	if (t->entry < 0 && n > 3 && has_run3(k, n))
		find_elongated(x, t, k, n);
}

/* Look the word up and set its flags from its text. */
static void tok_lookup(struct heed_classify_ctx *x, struct cls_tok *t,
		       const unsigned char *in)
{
	const char *k = x->rt + t->key;
	size_t n = t->klen;

	if (n > CLS_MAX_KEY)
		return;
	tok_find(x, t);
	for (size_t i = 1; i + 1 < n; i++)
		if (k[i] == '\'' && k[i - 1] == 'n' && k[i + 1] == 't') {
			t->flags |= TF_NT;
			break;
		}
	if (orig_upper(x->c->cc, in, t->start, t->end)) {
		t->flags |= TF_UPPER;
		x->n_upper++;
	}
}

/* Is the character at rt[i] (before b) punctuation? *n gets its length. */
static bool punct_at(const struct heed_classify_ctx *x, size_t i, size_t b,
		     size_t *n)
{
	unsigned char ch = (unsigned char)x->rt[i];
	uint32_t c;

	if (ch < 0x80) {
		*n = 1;
		return x->c->cc[ch] & CC_PUNCT;
	}
	*n = decode((const unsigned char *)x->rt + i, b - i, &c);
	return is_punct(c);
}

/* The same for the character ending at rt[b] (after a). */
static bool punct_before(const struct heed_classify_ctx *x, size_t a,
			 size_t b, size_t *n)
{
	size_t i = b - 1;
	uint32_t c;

	if ((unsigned char)x->rt[i] < 0x80) {
		*n = 1;
		return x->c->cc[(unsigned char)x->rt[i]] & CC_PUNCT;
	}
	while (i > a && ((unsigned char)x->rt[i] & 0xc0) == 0x80)
		i--;
	decode((const unsigned char *)x->rt + i, b - i, &c);
	*n = b - i;
	return is_punct(c);
}

static size_t next_cp(const struct heed_classify_ctx *x, size_t i, size_t b,
		      uint32_t *c)
{
	return decode((const unsigned char *)x->rt + i, b - i, c);
}

/* A letter or digit, or part of a non-ASCII character. */
static bool word_byte(char ch)
{
	unsigned char b = (unsigned char)ch;

	return b >= 0x80 || (b >= '0' && b <= '9') || ((b | 0x20) >= 'a' && (b | 0x20) <= 'z');
}

static bool is_emoticon(const struct heed_classify_ctx *x, size_t a, size_t b)
{
	uint16_t info;

	if (b - a < 2 || b - a > CLS_MAX_KEY)
		return false;
	lex_find_pad(&x->c->lex, x->rt + a, b - a, &info);
	return info & W_VALENCE;
}

static void word(struct heed_classify_ctx *x, const unsigned char *in,
		 size_t a, size_t b)
{
	tok_lookup(x, tok_new(x, a, b, TK_WORD), in);
}

/* Where a word glued to the next by ",", ";", "!", "?" or ".." splits
 * ("great...the", "fine,but"): the run [*ra, *rb) between two letters. */
static bool inner_split(const struct heed_classify_ctx *x, size_t a, size_t b,
			size_t *ra, size_t *rb)
{
	for (size_t i = a + 1; i + 1 < b; i++) {
		size_t j = i;
		bool dots = true;

		while (j < b && (x->c->cc[(unsigned char)x->rt[j]] & CC_SPLIT)) {
			dots &= x->rt[j] == '.';
			j++;
		}
		if (j == i)
			continue;
		if (j < b && !(dots && j - i < 2) &&
		    word_byte(x->rt[i - 1]) && word_byte(x->rt[j])) {
			*ra = i;
			*rb = j;
			return true;
		}
		i = j;
	}
	return false;
}

/* A run without emoji: strip punctuation around the word, keep emoticons
 * stuck to it as tokens of their own, split glued words. */
static void text_piece(struct heed_classify_ctx *x, const unsigned char *in,
		       size_t a, size_t b)
{
	size_t ca = a, cb = b, ra, rb, n;

	if (a >= b)
		return;
	while (ca < cb && punct_at(x, ca, cb, &n))
		ca += n;
	while (cb > ca && punct_before(x, ca, cb, &n))
		cb -= n;
	if ((ca > a || cb < b) && is_emoticon(x, a, b)) {
		word(x, in, a, b);	/* ":)", "(-:", "j/k" */
		return;
	}
	if (ca == cb) {
		struct cls_tok *t = tok_new(x, a, b, TK_PUNCT);

		tok_lookup(x, t, in);
		for (size_t k = a; k < b; k++)
			if (x->c->cc[(unsigned char)x->rt[k]] & CC_CLAUSE)
				t->flags |= TF_CLAUSE;
		return;
	}
	if (ca > a && is_emoticon(x, a, ca))
		word(x, in, a, ca);
	if (inner_split(x, ca, cb, &ra, &rb)) {
		text_piece(x, in, ca, ra);
		x->toks[x->n_toks - 1].flags |= TF_CLAUSE;
		text_piece(x, in, rb, cb);
	} else {
		word(x, in, ca, cb);
	}
	for (size_t k = cb; k < b; k++)
		if (x->c->cc[(unsigned char)x->rt[k]] & CC_CLAUSE) {
			x->toks[x->n_toks - 1].flags |= TF_CLAUSE;
			break;
		}
	if (cb < b) {
		size_t s = cb;

		/* "thanks:)" and "great!!:(" keep their emoticon */
		while (s < b && (x->rt[s] == '!' || x->rt[s] == '.' ||
				 x->rt[s] == '?' || x->rt[s] == ','))
			s++;
		if (is_emoticon(x, s, b))
			word(x, in, s, b);
	}
}

/* A folded text segment rt[a, b): emoji are tokens of their own. */
static void text_tokens(struct heed_classify_ctx *x, const unsigned char *in,
			size_t a, size_t b, bool ascii)
{
	size_t run = a, i = a, n;
	uint32_t c;

	if (ascii) {
		text_piece(x, in, a, b);
		return;
	}
	while (i < b) {
		size_t e;

		n = next_cp(x, i, b, &c);
		if (!is_emoji(c)) {
			i += n;
			continue;
		}
		text_piece(x, in, run, i);
		e = i + n;
		/* a flag is two regional indicators */
		if (c >= 0x1f1e6 && c <= 0x1f1ff && e < b) {
			uint32_t d;
			size_t m = next_cp(x, e, b, &d);

			if (d >= 0x1f1e6 && d <= 0x1f1ff)
				e += m;
		}
		tok_lookup(x, tok_new(x, i, e, TK_EMOJI), in);
		i = run = e;
	}
	text_piece(x, in, run, b);
}

/* ---- segments ---- */

static bool prefix_ci(const unsigned char *s, size_t n, const char *p)
{
	size_t k = strlen(p);

	if (n < k)
		return false;
	for (size_t i = 0; i < k; i++)
		if ((s[i] | 0x20) != (unsigned char)p[i] && s[i] != (unsigned char)p[i])
			return false;
	return true;
}

static bool opens(unsigned char b)
{
	return b == '(' || b == '"' || b == '\'' || b == '<' || b == '[';
}

static enum seg_kind seg_kind(const unsigned char *s, size_t n)
{
	size_t lead = 0, colon = n, at = n;
	uint32_t c;

	/* segments are short: one pass for both, not a call for each */
	for (size_t i = n; i-- > 0;) {
		colon = s[i] == ':' ? i : colon;
		at = s[i] == '@' ? i : at;
	}
	while (lead < n && opens(s[lead]))
		lead++;
	if (lead < n && ((s[lead] | 0x20) == 'h' || (s[lead] | 0x20) == 'w') &&
	    (prefix_ci(s + lead, n - lead, "http://") ||
	     prefix_ci(s + lead, n - lead, "https://") ||
	     prefix_ci(s + lead, n - lead, "www.")))
		return SEG_URL;
	if (n > 3 && colon < n && memmem(s + colon, n - colon, "://", 3))
		return SEG_URL;
	if (n >= 2 && s[0] == '@' && (s[1] == '_' || (s[1] < 0x80 && is_alnum(s[1]))))
		return SEG_HANDLE;
	if (n >= 2 && s[0] == '#') {
		for (size_t i = 1, k; i < n; i += k) {
			k = decode(s + i, n - i, &c);
			if (is_letter(c))
				return SEG_HASHTAG;
			if (!(c >= '0' && c <= '9') && c != '_')
				break;
		}
	}
	if (at < n && at > 0 && memchr(s + at, '.', n - at))
		return SEG_URL;	/* an e-mail address */
	return SEG_TEXT;
}

/* One part of a hashtag: folded into rt after a space, and a word. */
static void hashtag_part(struct heed_classify_ctx *x, const unsigned char *in,
			 size_t a, size_t b, bool first)
{
	size_t at;

	if (b <= a)
		return;
	if (!first && x->rt_len && x->rt[x->rt_len - 1] != ' ')
		rt_put(x, " ", 1, a, a);
	at = x->rt_len;
	fold_append(x, in, a, b);
	if (x->rt_len > at)
		word(x, in, at, x->rt_len);
}

static bool digit(uint32_t c)
{
	return c >= '0' && c <= '9';
}

/* Split a hashtag's body at camelCase ("#NotHappy"), at changes between
 * letters and digits and at '_'; what follows the body ("!!") is text. */
static void hashtag(struct heed_classify_ctx *x, const unsigned char *in,
		    size_t s, size_t e)
{
	size_t body_end = s + 1, part = s + 1, n, at;
	uint32_t c, prev = 0, next;
	bool first = true;

	while (body_end < e) {
		n = decode(in + body_end, e - body_end, &c);
		if (!is_alnum(c) && c != '_')
			break;
		body_end += n;
	}
	rt_put(x, "#", 1, s, s + 1);
	for (size_t i = s + 1; i < body_end; i += n) {
		bool cut = false;

		n = decode(in + i, body_end - i, &c);
		if (c == '_') {
			hashtag_part(x, in, part, i, first);
			first &= part == i;
			part = i + n;
			prev = 0;
			continue;
		}
		if (i > part && prev) {
			next = 0;
			if (i + n < body_end)
				decode(in + i + n, body_end - i - n, &next);
			cut = (utf8proc_islower((utf8proc_int32_t)prev) &&
			       utf8proc_isupper((utf8proc_int32_t)c)) ||
			      digit(prev) != digit(c) ||
			      (utf8proc_isupper((utf8proc_int32_t)prev) &&
			       utf8proc_isupper((utf8proc_int32_t)c) &&
			       utf8proc_islower((utf8proc_int32_t)next));
		}
		if (cut) {
			hashtag_part(x, in, part, i, first);
			first = false;
			part = i;
		}
		prev = c;
	}
	hashtag_part(x, in, part, body_end, first);
	/* a hashtag is a phrase of its own: negation does not leave it */
	if (x->n_toks)
		x->toks[x->n_toks - 1].flags |= TF_CLAUSE;
	if (body_end < e) {
		bool ascii;

		at = x->rt_len;
		ascii = fold_append(x, in, body_end, e);
		text_tokens(x, in, at, x->rt_len, ascii);
	}
}

static void segs_grow(struct heed_classify_ctx *x)
{
	x->segs_alloc = x->segs_alloc ? x->segs_alloc * 2 : 32;
	x->segs = xreallocarray(x->segs, x->segs_alloc, sizeof(*x->segs));
}

/* A new segment for input[s, e), its folded form to start at rt_len (a
 * space before it when it is not the first); rt is not terminated after
 * the space, as plain_word's text is there already. Inline: once per
 * word. */
static inline struct cls_seg *seg_open(struct heed_classify_ctx *x, size_t s,
				       size_t e)
{
	struct cls_seg *g;

	if (x->n_segs == x->segs_alloc)
		segs_grow(x);
	if (x->rt_len && x->rt[x->rt_len - 1] != ' ') {
		rt_reserve(x, 1);
		x->rt[x->rt_len] = ' ';
		x->src[x->rt_len] = (uint32_t)s;
		x->src_end[x->rt_len] = (uint32_t)s;
		x->rt_len++;
	}
	g = &x->segs[x->n_segs++];
	g->start = (uint32_t)s;
	g->end = (uint32_t)e;
	g->plain = false;
	return g;
}

/* The same, rt terminated. */
static inline struct cls_seg *seg_new(struct heed_classify_ctx *x, size_t s,
				      size_t e)
{
	struct cls_seg *g = seg_open(x, s, e);

	x->rt[x->rt_len] = '\0';
	return g;
}

static void segment(struct heed_classify_ctx *x, const unsigned char *in,
		    size_t s, size_t e)
{
	struct cls_seg *g = seg_new(x, s, e);
	size_t a = x->rt_len;

	g->kind = seg_kind(in + s, e - s);
	switch (g->kind) {
	case SEG_URL:
		x->n_urls++;
		rt_put(x, "<url>", 5, s, e);
		break;
	case SEG_HANDLE:
		x->n_handles++;
		fold_append(x, in, s, e);
		break;
	case SEG_HASHTAG:
		x->n_hashtags++;
		hashtag(x, in, s, e);
		break;
	default:
		text_tokens(x, in, a, x->rt_len, fold_append(x, in, s, e));
		break;
	}
	g->fold = (uint32_t)a;
	g->flen = (uint32_t)(x->rt_len - a);
	starts_of(x, a);
}

/* Length of an escape sequence starting at in[i] == ESC (CSI, OSC and
 * string controls, two-byte escapes), so that "\e[31m" leaves no "[31m". */
static size_t escape_len(const unsigned char *in, size_t i, size_t len)
{
	size_t j = i + 1;

	if (j >= len)
		return 1;
	if (in[j] == '[') {
		for (j++; j < len; j++)
			if (in[j] >= 0x40 && in[j] <= 0x7e)
				return j + 1 - i;
		return len - i;
	}
	if (in[j] == ']' || in[j] == 'P' || in[j] == 'X' || in[j] == '^' ||
	    in[j] == '_') {
		for (j++; j < len; j++) {
			if (in[j] == 0x07)
				return j + 1 - i;
			if (in[j] == 0x1b && j + 1 < len && in[j + 1] == '\\')
				return j + 2 - i;
		}
		return len - i;
	}
	return 2;
}

/* A segment of ASCII letters and digits only, already stored in lower
 * case where seg_new puts it (scan_ascii did, as it read it): what
 * segment() makes of it, one word whose folded form is its bytes in lower
 * case, without the general path's tests, nor a map kept byte by byte.
 * upper: Python's isupper() on its bytes; letters: how many are. */
static void plain_word(struct heed_classify_ctx *x, size_t s, size_t e,
		       bool upper, unsigned letters)
{
	struct cls_seg *g = seg_open(x, s, e);
	size_t a = x->rt_len, n = e - s;
	struct cls_tok *t;

	x->rt_len += n;
	x->rt[x->rt_len] = '\0';
	x->n_letters += letters;
	x->n_script[SCRIPT_LATIN] += letters;
	g->kind = SEG_TEXT;
	g->plain = true;
	g->fold = (uint32_t)a;
	g->flen = (uint32_t)n;
	starts_reserve(x, 1);
	x->starts[x->n_starts++] = (uint32_t)a;	/* after a space, or first */
	t = tok_add(x, a, x->rt_len, TK_WORD, s, e);
	if (n > CLS_MAX_KEY)
		return;	/* as tok_lookup: no entry, no flags */
	tok_find(x, t);
	/* no apostrophe, so no "n't" */
	if (upper) {
		t->flags |= TF_UPPER;
		x->n_upper++;
	}
}

/* Is input[s, e) ASCII letters and digits, then only stops (, ; ! ? .
 * :), the commonest word with punctuation? The length of its letters and
 * digits if so, else 0. "www." is a link (seg_kind), not such a word. */
static size_t word_then_stops(const uint8_t *cc, const unsigned char *in,
			      size_t s, size_t e)
{
	size_t m = s;

	while (m < e && (cc[in[m]] & CC_ALNUM))
		m++;
	if (m == s || (m - s == 3 && prefix_ci(in + s, e - s, "www.")))
		return 0;
	for (size_t i = m; i < e; i++)
		if (!(cc[in[i]] & (CC_SPLIT | CC_CLAUSE)))
			return 0;
	return m - s;
}

/* A segment that word_then_stops passed, input[s, m) its word, up to e
 * its stops, already stored in lower case like plain_word's (the stops
 * have the 0x20 bit): what segment() and text_piece() make of it, taken
 * the short way. Its bytes map one to one, so it is plain too. */
static void stopped_word(struct heed_classify_ctx *x, const unsigned char *in,
			 size_t s, size_t m, size_t e, bool upper,
			 unsigned letters)
{
	const uint8_t *cc = x->c->cc;
	struct cls_seg *g = seg_open(x, s, e);
	size_t a = x->rt_len, b = a + (e - s), cb = a + (m - s), p;
	struct cls_tok *t;

	x->rt_len = b;
	x->rt[b] = '\0';
	x->n_letters += letters;
	x->n_script[SCRIPT_LATIN] += letters;
	g->kind = SEG_TEXT;
	g->plain = true;
	g->fold = (uint32_t)a;
	g->flen = (uint32_t)(b - a);
	starts_reserve(x, 1);
	x->starts[x->n_starts++] = (uint32_t)a;	/* the stops start none */
	/* the whole may be an emoticon, as text_piece asks first */
	if (is_emoticon(x, a, b)) {
		tok_lookup(x, tok_add(x, a, b, TK_WORD, s, e), in);
		return;
	}
	t = tok_add(x, a, cb, TK_WORD, s, m);
	if (m - s <= CLS_MAX_KEY) {
		tok_find(x, t);
		/* no apostrophe, so no "n't"; the stops have no case */
		if (upper) {
			t->flags |= TF_UPPER;
			x->n_upper++;
		}
	}
	for (p = cb; p < b; p++)
		if (cc[(unsigned char)x->rt[p]] & CC_CLAUSE) {
			t->flags |= TF_CLAUSE;
			break;
		}
	/* "great!!:(" keeps its emoticon; here it can only be of stops */
	for (p = cb; p < b && (x->rt[p] == '!' || x->rt[p] == '.' ||
			       x->rt[p] == '?' || x->rt[p] == ','); p++)
		;
	if (is_emoticon(x, p, b))
		tok_lookup(x, tok_add(x, p, b, TK_WORD, s + (p - a), e), in);
}

/* Is every byte ASCII, and none ESC? Eight at a time. */
static bool plain_ascii(const unsigned char *in, size_t len)
{
	const uint64_t ones = 0x0101010101010101ull, high = ones * 0x80;
	uint64_t acc = 0;
	size_t i = 0;

	for (; i + 8 <= len; i += 8) {
		uint64_t w, esc;

		memcpy(&w, in + i, 8);
		esc = w ^ (ones * 0x1b);
		acc |= w | ((esc - ones) & ~esc);	/* high bit: a zero byte */
	}
	for (; i < len; i++)
		acc |= in[i] | (in[i] == 0x1b ? 0x80u : 0);
	return !(acc & high);
}

/* ---- ASCII text, eight bytes at a time ----
 * Byte k of a value is in[i + k] (little-endian order on any machine);
 * a test on the bytes sets the high bit of each byte that passes. Words
 * are short and of random length: a loop per byte costs a mispredicted
 * exit per word, where a word mostly fits one load. */

#define ONES 0x0101010101010101ull
#define HIGH (ONES * 0x80)

static inline uint64_t swap_le(uint64_t w)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	return __builtin_bswap64(w);
#else
	return w;
#endif
}

/* The eight bytes at in[i] (len in all); past len, spaces. */
static inline uint64_t load_le(const unsigned char *in, size_t i, size_t len)
{
	uint64_t w = ONES * ' ';

	if (len - i >= 8)
		memcpy(&w, in + i, 8);
	else
		memcpy(&w, in + i, len - i);
	return swap_le(w);
}

/* lo <= b <= hi, for bytes b below 0x80: no sum carries out of a byte */
static inline uint64_t bytes_in(uint64_t w, unsigned lo, unsigned hi)
{
	return (w + ONES * (0x80 - lo)) & ~(w + ONES * (0x7f - hi)) & HIGH;
}

/* CC_SPACE of ASCII bytes: controls, ' ' and DEL */
static inline uint64_t bytes_space(uint64_t w)
{
	return (~(w + ONES * 0x5f) | (w + ONES)) & HIGH;
}

/* text_scan for plain_ascii text: the same segments, found without
 * decoding; words of letters and digits take the short way. Each word is
 * stored in lower case where plain_word wants it as it is read (for the
 * others, segment() writes over it). */
static void scan_ascii(struct heed_classify_ctx *x, const unsigned char *in,
		       size_t len)
{
	const uint8_t *cc = x->c->cc;
	size_t i = 0;

	while (i < len) {
		uint64_t punct = 0, upper = 0, lower = 0;
		unsigned letters = 0;
		size_t s, m;
		char *dst;

		while (i < len && (cc[in[i]] & CC_SPACE))
			i++;
		if (i == len)
			break;
		s = i;
		/* room for the word, a space before it, and a whole last
		 * store past its end */
		rt_reserve(x, len - s + 1 + 8);
		dst = x->rt + x->rt_len +
		      (x->rt_len && x->rt[x->rt_len - 1] != ' ');
		for (;;) {
			uint64_t w = load_le(in, i, len), sp = bytes_space(w);
			/* the bytes before the first space */
			uint64_t in_word = ((sp & -sp) - 1) & HIGH;
			/* '|' 0x20 lowers letters; digits have that bit */
			uint64_t low = w | ONES * 0x20;
			uint64_t letter = bytes_in(low, 'a', 'z') & in_word;
			uint64_t digit = bytes_in(w, '0', '9') & in_word;

			punct |= in_word & ~(letter | digit);
			upper |= letter & ~(w << 2);	/* 0x20 clear */
			lower |= letter & w << 2;
			letters += (unsigned)(((letter >> 7) * ONES) >> 56);
			low = swap_le(low);
			memcpy(dst + (i - s), &low, 8);
			if (sp) {
				i += (unsigned)__builtin_ctzll(sp) / 8;
				break;
			}
			i += 8;
		}
		if (!punct)
			plain_word(x, s, i, upper && !lower, letters);
		else if ((m = word_then_stops(cc, in, s, i)))
			stopped_word(x, in, s, s + m, i, upper && !lower, letters);
		else
			segment(x, in, s, i);
	}
}

void text_scan(struct heed_classify_ctx *x, const char *text, size_t len)
{
	const unsigned char *in = (const unsigned char *)text;
	size_t i = 0, s = 0, n;
	uint32_t c;
	bool in_seg = false;

	x->rt_len = 0;
	x->n_segs = x->n_toks = x->n_starts = 0;
	x->n_urls = x->n_handles = x->n_hashtags = x->n_letters = x->n_upper = 0;
	memset(x->n_script, 0, sizeof(x->n_script));
	rt_reserve(x, len + 16);
	x->rt[0] = '\0';
	x->ascii = plain_ascii(in, len);
	if (x->ascii) {
		scan_ascii(x, in, len);
		return;
	}
	while (i < len) {
		if (in[i] == 0x1b) {
			if (in_seg)
				segment(x, in, s, i);
			in_seg = false;
			i += escape_len(in, i, len);
			continue;
		}
		if (in[i] < 0x80) {
			bool sp = x->c->cc[in[i]] & CC_SPACE;

			if (sp && in_seg)
				segment(x, in, s, i);
			else if (!sp && !in_seg)
				s = i;
			in_seg = !sp;
			i++;
			continue;
		}
		n = decode(in + i, len - i, &c);
		/* a broken byte separates words, like a control */
		if (is_space(c) || (c == 0xfffd && n == 1)) {
			if (in_seg)
				segment(x, in, s, i);
			in_seg = false;
		} else if (!in_seg) {
			in_seg = true;
			s = i;
		}
		i += n;
	}
	if (in_seg)
		segment(x, in, s, len);
}

/* Where rt[i] came from in the input: [*from, *to). */
static void map_at(const struct heed_classify_ctx *x, size_t i, size_t *from,
		   size_t *to)
{
	size_t lo = 0, hi = x->n_segs;

	/* the last segment folded at or before i */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (x->segs[mid].fold <= i)
			lo = mid;
		else
			hi = mid;
	}
	if (lo < x->n_segs && x->segs[lo].plain && x->segs[lo].fold <= i &&
	    i < x->segs[lo].fold + x->segs[lo].flen) {
		*from = x->segs[lo].start + (i - x->segs[lo].fold);
		*to = *from + 1;
		return;
	}
	*from = x->src[i];
	*to = x->src_end[i];
}

void text_span(const struct heed_classify_ctx *x, size_t a, size_t b,
	       size_t *start, size_t *end)
{
	size_t ignore;

	if (!x->rt_len) {
		*start = *end = 0;
		return;
	}
	if (a >= x->rt_len)
		a = x->rt_len - 1;
	if (b <= a)
		b = a + 1;
	if (b > x->rt_len)
		b = x->rt_len;
	map_at(x, a, start, &ignore);
	map_at(x, b - 1, &ignore, end);
	if (*end < *start)
		*end = *start;
}
