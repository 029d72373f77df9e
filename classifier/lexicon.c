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
	lex_init(lx);
}

/* FNV-1a; keys are short words, so a simple byte loop is as fast as any. */
uint32_t lex_hash(const char *s, size_t len)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h;
}

static uint64_t head8(const char *s, size_t len)
{
	uint64_t v = 0;

	memcpy(&v, s, len < 8 ? len : 8);
	return v;
}

int32_t lex_find(const struct cls_lexicon *lx, const char *s, size_t len)
{
	uint64_t head;
	uint32_t h;
	size_t i;

	if (!lx->slots)
		return -1;
	h = lex_hash(s, len);
	head = head8(s, len);
	for (i = h & lx->mask;; i = (i + 1) & lx->mask) {
		const struct lex_slot *slot = &lx->slots[i];
		const struct lex_entry *e;

		if (!slot->idx)
			return -1;
		if (slot->hash != h || slot->head != head)
			continue;
		e = &lx->e[slot->idx - 1];
		if (e->key_len == len &&
		    (len <= 8 || !memcmp(lx->keys + e->key + 8, s + 8, len - 8)))
			return (int32_t)(slot->idx - 1);
	}
}

static void place(struct cls_lexicon *lx, uint32_t idx)
{
	size_t i;

	for (i = lx->e[idx].hash & lx->mask; lx->slots[i].idx;
	     i = (i + 1) & lx->mask)
		;
	lx->slots[i].hash = lx->e[idx].hash;
	lx->slots[i].head = head8(lx->keys + lx->e[idx].key, lx->e[idx].key_len);
	lx->slots[i].idx = idx + 1;
}

/* Keep the table at most half full. */
static void grow_slots(struct cls_lexicon *lx)
{
	size_t nslots = lx->slots ? (lx->mask + 1) * 2 : 1024;

	free(lx->slots);
	lx->slots = xcalloc(nslots, sizeof(*lx->slots));
	lx->mask = nslots - 1;
	for (size_t i = 0; i < lx->n; i++)
		place(lx, (uint32_t)i);
}

int32_t lex_intern(struct cls_lexicon *lx, const char *s, size_t len)
{
	int32_t found = lex_find(lx, s, len);
	struct lex_entry *e;

	if (found >= 0)
		return found;
	if (lx->n + 1 > (lx->slots ? (lx->mask + 1) / 2 : 0))
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
	e->hash = lex_hash(s, len);
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
