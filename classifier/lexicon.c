/* lexicon.c: the word table of the classifier. One open-addressing hash of
 * folded keys holds every word the scorer looks at: VADER's rated words and
 * emoticons, ours (emoji, support slang), the booster and negation lists and
 * the stopwords of the language guess, so one lookup per token finds all
 * that is known about it. Also the parser of VADER-format lexicon files. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "classify_int.h"
#include "heed/xalloc.h"

void lex_init(struct cls_lexicon *lx)
{
	memset(lx, 0, sizeof(*lx));
}

void lex_release(struct cls_lexicon *lx)
{
	free(lx->e);
	free(lx->keys);
	free(lx->slots);
	free(lx->bloom);
	lex_init(lx);
}

/* The first eight bytes of s (len of them), zero padded, in one value:
 * loads of fixed size, as keys are short and rarely 8 bytes or more. */
static inline uint64_t head8(const char *s, size_t len)
{
	uint64_t v = 0;
	size_t o = 0;

	if (len >= 8) {
		memcpy(&v, s, 8);
		return v;
	}
	if (len & 4) {
		uint32_t w;

		memcpy(&w, s, 4);
		v = w;
		o = 4;
	}
	if (len & 2) {
		uint16_t w;

		memcpy(&w, s + o, 2);
		v |= (uint64_t)w << (8 * o);
		o += 2;
	}
	if (len & 1)
		v |= (uint64_t)(unsigned char)s[o] << (8 * o);
	return v;
}

static inline uint64_t mix(uint64_t h, uint64_t w)
{
	h = (h ^ w) * 0xff51afd7ed558ccdull;
	return h ^ (h >> 32);
}

/* A hash of eight bytes at a time; head is head8(s, len). The low half
 * places keys in the table, the high half in the filter. */
static inline uint64_t hash_with(const char *s, size_t len, uint64_t head)
{
	uint64_t h = mix(len * 0x9e3779b97f4a7c15ull, head);

	for (size_t i = 8; i < len; i += 8)
		h = mix(h, head8(s + i, len - i));
	h *= 0xc4ceb9fe1a85ec53ull;
	return h ^ (h >> 29);
}

uint32_t lex_hash(const char *s, size_t len)
{
	return (uint32_t)hash_with(s, len, head8(s, len));
}

/* The filter's word for hash h, and the two bits of it that a key with
 * this hash sets: half the tokens of a mention are in no lexicon, and the
 * filter (16 KiB) answers for them without a walk to the big table. */
static inline size_t bloom_word(uint64_t h)
{
	return (size_t)(h >> 53) & (LEX_BLOOM_WORDS - 1);
}

static inline uint64_t bloom_bits(uint64_t h)
{
	return (1ull << ((h >> 40) & 63)) | (1ull << ((h >> 46) & 63));
}

/* The lookup of s (len bytes) whose head8 is head; inline in both
 * lookups, as a call per token shows. */
static inline __attribute__((always_inline)) int32_t
find(const struct cls_lexicon *lx, const char *s, size_t len, uint64_t head,
     uint16_t *info)
{
	uint64_t h64, bits;
	uint16_t slen = len < 0xffff ? (uint16_t)len : 0xffff;
	size_t i;

	*info = 0;
	if (!lx->slots)
		return -1;
	h64 = hash_with(s, len, head);
	bits = bloom_bits(h64);
	if ((lx->bloom[bloom_word(h64)] & bits) != bits)
		return -1;
	for (i = (uint32_t)h64 & lx->mask;; i = (i + 1) & lx->mask) {
		const struct lex_slot *slot = &lx->slots[i];
		const struct lex_entry *e;

		if (!slot->idx)
			return -1;
		if (slot->head != head || slot->len != slen)
			continue;
		/* head and length are the whole key up to eight bytes */
		e = &lx->e[slot->idx - 1];
		if (len <= 8 || (e->key_len == len &&
				 !memcmp(lx->keys + e->key + 8, s + 8, len - 8))) {
			*info = slot->info;
			return (int32_t)(slot->idx - 1);
		}
	}
}

/* find() out of line, for keys of more than eight bytes: lex_find_pad's
 * short path then keeps its few registers. */
static __attribute__((noinline)) int32_t
find_long(const struct cls_lexicon *lx, const char *s, size_t len,
	  uint64_t head, uint16_t *info)
{
	return find(lx, s, len, head, info);
}

int32_t lex_find_info(const struct cls_lexicon *lx, const char *s, size_t len,
		      uint16_t *info)
{
	return find(lx, s, len, head8(s, len), info);
}

/* find() for a key of at most eight bytes, all in head: no loop over
 * the key, nor a compare of its rest, so few registers and no spills for
 * the words that are mostly this short. */
static inline int32_t find_short(const struct cls_lexicon *lx, size_t len,
				 uint64_t head, uint16_t *info)
{
	uint64_t h64, bits;
	size_t i;

	*info = 0;
	if (!lx->slots)
		return -1;
	h64 = hash_with(NULL, len, head);	/* len <= 8: s is not read */
	bits = bloom_bits(h64);
	if ((lx->bloom[bloom_word(h64)] & bits) != bits)
		return -1;
	for (i = (uint32_t)h64 & lx->mask;; i = (i + 1) & lx->mask) {
		const struct lex_slot *slot = &lx->slots[i];

		if (!slot->idx)
			return -1;
		if (slot->head == head && slot->len == len) {
			*info = slot->info;
			return (int32_t)(slot->idx - 1);
		}
	}
}

int32_t lex_find_pad(const struct cls_lexicon *lx, const char *s, size_t len,
		     uint16_t *info)
{
	uint64_t head, keep;

	/* one load, its first len bytes kept: no branch on the length,
	 * which is as random as the words */
	memcpy(&head, s, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	keep = len >= 8 ? ~0ull : ~(~0ull >> (8 * len));
#else
	keep = len >= 8 ? ~0ull : (1ull << (8 * len)) - 1;
#endif
	if (len <= 8)
		return find_short(lx, len, head & keep, info);
	return find_long(lx, s, len, head, info);
}

int32_t lex_find(const struct cls_lexicon *lx, const char *s, size_t len)
{
	uint16_t info;

	return lex_find_info(lx, s, len, &info);
}

static void place(struct cls_lexicon *lx, uint32_t idx)
{
	const struct lex_entry *e = &lx->e[idx];
	size_t i;

	for (i = e->hash & lx->mask; lx->slots[i].idx; i = (i + 1) & lx->mask)
		;
	lx->slots[i].head = e->head;
	lx->slots[i].idx = idx + 1;
	lx->slots[i].len = e->key_len < 0xffff ? (uint16_t)e->key_len : 0xffff;
	lx->slots[i].info = lex_info(e->flags, e->langs);
}

void lex_sync(struct cls_lexicon *lx)
{
	if (!lx->slots)
		return;
	for (size_t i = 0; i <= lx->mask; i++) {
		struct lex_slot *slot = &lx->slots[i];

		if (slot->idx)
			slot->info = lex_info(lx->e[slot->idx - 1].flags,
					      lx->e[slot->idx - 1].langs);
	}
}

/* Keep the table at most 5/8 full: short probes, a small table. */
static void grow_slots(struct cls_lexicon *lx)
{
	size_t nslots = lx->slots ? (lx->mask + 1) * 2 : 1024;

	free(lx->slots);
	lx->slots = xcalloc(nslots, sizeof(*lx->slots));
	if (!lx->bloom)
		lx->bloom = xcalloc(LEX_BLOOM_WORDS, sizeof(*lx->bloom));
	lx->mask = nslots - 1;
	for (size_t i = 0; i < lx->n; i++)
		place(lx, (uint32_t)i);
}

int32_t lex_intern(struct cls_lexicon *lx, const char *s, size_t len)
{
	int32_t found = lex_find(lx, s, len);
	struct lex_entry *e;
	uint64_t h64;

	if (found >= 0)
		return found;
	if (lx->n + 1 > (lx->slots ? (lx->mask + 1) / 8 * 5 : 0))
		grow_slots(lx);
	if (lx->n == lx->alloc) {
		lx->alloc = lx->alloc ? lx->alloc * 2 : 1024;
		lx->e = xreallocarray(lx->e, lx->alloc, sizeof(*lx->e));
	}
	while (lx->keys_len + len + 1 > lx->keys_alloc) {
		lx->keys_alloc = lx->keys_alloc ? lx->keys_alloc * 2 : 16384;
		lx->keys = xrealloc(lx->keys, lx->keys_alloc);
	}
	e = &lx->e[lx->n];
	memset(e, 0, sizeof(*e));
	e->key = (uint32_t)lx->keys_len;
	e->key_len = (uint32_t)len;
	e->head = head8(s, len);
	h64 = hash_with(s, len, e->head);
	e->hash = (uint32_t)h64;
	lx->bloom[bloom_word(h64)] |= bloom_bits(h64);
	e->words = 1;
	memcpy(lx->keys + lx->keys_len, s, len);
	lx->keys[lx->keys_len + len] = '\0';
	lx->keys_len += len + 1;
	place(lx, (uint32_t)lx->n);
	return (int32_t)lx->n++;
}

/* Parse a valence field: a finite number within VADER's -4..4 scale. */
static int parse_valence(const char *s, size_t len, double *out)
{
	char num[64], *end;
	double d;

	if (!len || len >= sizeof(num))
		return HEED_EPARSE;
	memcpy(num, s, len);
	num[len] = '\0';
	errno = 0;
	d = strtod(num, &end);
	if (errno || end == num || *end || !isfinite(d) || d < -4 || d > 4)
		return HEED_EPARSE;
	*out = d;
	return HEED_OK;
}

/* Add one entry: key already folded (klen bytes, up to 3 words). */
static void add_entry(struct cls_lexicon *lx, const char *key, size_t klen,
		      double valence, bool folded_src)
{
	int32_t idx = lex_intern(lx, key, klen);
	struct lex_entry *e = &lx->e[idx];
	unsigned words = 1;
	const char *sp;

	if ((e->flags & W_VALENCE) && e->folded_src && !folded_src)
		return;
	if (!(e->flags & W_VALENCE))
		lx->rated++;
	e->flags |= W_VALENCE;
	e->valence = (float)valence;
	e->folded_src = folded_src;
	for (size_t i = 0; i < klen; i++)
		words += key[i] == ' ';
	e->words = (uint8_t)words;
	if (words > 1) {
		const char *w2 = memchr(key, ' ', klen) + 1, *end2;
		int32_t second;

		sp = w2 - 1;
		end2 = memchr(w2, ' ', klen - (size_t)(w2 - key));
		if (!end2)
			end2 = key + klen;
		/* every word of a phrase is in the table, so that a phrase can
		 * be ruled out by its second word's entry alone */
		second = lex_intern(lx, w2, (size_t)(end2 - w2));
		idx = lex_intern(lx, key, (size_t)(sp - key));
		lx->e[idx].flags |= W_PHRASE;
		lx->e[idx].second |= 1ull << (second % 64);
		if (end2 < key + klen)
			lex_intern(lx, end2 + 1, klen - (size_t)(end2 + 1 - key));
	}
}

/* Check a folded key: not empty, at most 3 words, single spaces. */
static const char *bad_key(const char *k, size_t len)
{
	unsigned spaces = 0;

	if (!len)
		return "empty token";
	if (len > CLS_MAX_KEY)
		return "token longer than 255 bytes";
	if (k[0] == ' ' || k[len - 1] == ' ')
		return "token starts or ends with a space";
	for (size_t i = 0; i < len; i++) {
		if (k[i] != ' ')
			continue;
		if (k[i + 1] == ' ')
			return "two spaces in a row";
		spaces++;
	}
	return spaces > 2 ? "phrases have at most three words" : NULL;
}

static bool blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t')
			return false;
	return true;
}

int lex_parse(struct cls_lexicon *lx, const char *name, const char *text,
	      size_t len, struct heed_err *err)
{
	const char *p = text, *end = text + len;
	unsigned lineno = 0;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *line = p, *tab, *f2, *f2end, *why;
		size_t n, klen;
		char *key;
		double val;

		if (!eol)
			eol = end;
		p = eol < end ? eol + 1 : end;
		lineno++;
		n = (size_t)(eol - line);
		if (n && line[n - 1] == '\r')
			n--;
		if (blank(line, n))
			continue;
		if (line[0] == '#' && (n == 1 || line[1] == ' ' || line[1] == '\t'))
			continue;
		tab = memchr(line, '\t', n);
		if (!tab)
			return heed_err_set(err, HEED_EPARSE,
					    "%s:%u: expected TOKEN<TAB>VALENCE",
					    name, lineno);
		f2 = tab + 1;
		f2end = memchr(f2, '\t', (size_t)(line + n - f2));
		if (!f2end)
			f2end = line + n;
		if (parse_valence(f2, (size_t)(f2end - f2), &val))
			return heed_err_set(err, HEED_EPARSE,
					    "%s:%u: valence is not a number from -4 to 4",
					    name, lineno);
		key = cls_fold_string(line, (size_t)(tab - line), &klen);
		why = bad_key(key, klen);
		if (why) {
			free(key);
			return heed_err_set(err, HEED_EPARSE, "%s:%u: %s",
					    name, lineno, why);
		}
		add_entry(lx, key, klen, val,
			  klen == (size_t)(tab - line) &&
			  !memcmp(key, line, klen));
		free(key);
	}
	return HEED_OK;
}
