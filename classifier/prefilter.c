/* prefilter.c: why a hundred rules cost little. For each pattern we prove a
 * set of literals one of which must occur in any match (the idea of RE2's
 * prefilters, on a conservative subset of PCRE2 syntax: anything unclear
 * proves nothing, and the pattern then runs on every mention). Alternations
 * of plain words multiply out into whole phrases ("cancel my", "close my")
 * so that the literals are rare. One pass over the folded text with small
 * bit tables of literal prefixes then says which patterns can match; only
 * those run. */
#include <stdlib.h>
#include <string.h>

#include "classify_int.h"
#include "heed/xalloc.h"

#define MAX_LIT 64	/* longest literal kept, bytes */
#define MAX_SET 64	/* most strings in an exact set before giving up */

/* ---- literal extraction ---- */

/* exact: the node matches exactly one of the strings (all enumerated);
 * else: one of the strings occurs in every match (none: nothing known). */
struct lset {
	char **s;
	size_t n;
	bool exact;
	bool none;
};

struct parser {
	const char *p, *end;
	bool bail;
};

static struct lset none_set(void)
{
	struct lset l = { NULL, 0, false, true };

	return l;
}

static struct lset exact1(const char *s, size_t len)
{
	struct lset l = { xmalloc(sizeof(char *)), 1, true, false };

	l.s[0] = xstrndup(s, len);
	return l;
}

static void set_free(struct lset *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->s[i]);
	free(l->s);
	*l = none_set();
}

static bool has_empty(const struct lset *l)
{
	for (size_t i = 0; i < l->n; i++)
		if (!l->s[i][0])
			return true;
	return false;
}

/* Words so common that a literal made of one proves little. */
static bool common(const char *s)
{
	static const char *const words[] = {
		"a", "an", "and", "are", "as", "at", "be", "but", "by", "can",
		"do", "for", "from", "get", "go", "have", "he", "i", "if", "in",
		"is", "it", "just", "me", "more", "my", "no", "not", "of", "off",
		"on", "one", "or", "out", "so", "that", "the", "they", "this",
		"time", "to", "up", "was", "we", "will", "with", "you", "your",
		"here", "come", "came", "make", "all", "what", "when", "now",
		"been", "how", "again", "end", "like", "there", "would", "very",
		"about", "any", "some", "that", "then", "than", "its", "it's",
	};
	char w[16];
	size_t n = 0;

	while (*s == ' ')
		s++;
	while (*s && *s != ' ' && n < sizeof(w) - 1)
		w[n++] = *s++;
	w[n] = '\0';
	while (*s == ' ')
		s++;
	if (*s)
		return false;	/* more than one word */
	for (size_t i = 0; i < sizeof(words) / sizeof(*words); i++)
		if (!strcmp(w, words[i]))
			return true;
	return false;
}

/* How much a required literal narrows things down: its length without
 * spaces, but a lone common word counts as one character. */
static size_t score1(const char *s)
{
	size_t k = 0;

	if (common(s))
		return 1;
	for (; *s; s++)
		k += *s != ' ';
	return k <= 2 ? 1 : k;	/* "ty" is in "pretty", "st" in "first" */
}

static size_t score(const struct lset *l)
{
	size_t m = (size_t)-1;

	for (size_t i = 0; i < l->n; i++) {
		size_t k = score1(l->s[i]);

		if (k < m)
			m = k;
	}
	return l->n ? m : 0;
}

/* An exact set used as a requirement (it proves nothing if it may match
 * the empty string). */
static struct lset required(struct lset l)
{
	if (l.none || (l.exact && (has_empty(&l) || !l.n))) {
		set_free(&l);
		return none_set();
	}
	l.exact = false;
	return l;
}

/* Keep the better requirement of *best and cand; frees the other. */
static void consider(struct lset *best, struct lset cand)
{
	size_t bs, cs;

	cand = required(cand);
	if (cand.none)
		return;
	if (best->none) {
		*best = cand;
		return;
	}
	bs = score(best);
	cs = score(&cand);
	if (cs > bs || (cs == bs && cand.n < best->n)) {
		set_free(best);
		*best = cand;
	} else {
		set_free(&cand);
	}
}

/* a x b for exact sets; false (and nothing done) when it grows too big. */
static bool cross(struct lset *a, const struct lset *b)
{
	char **out;
	size_t n = 0;

	if (a->n * b->n > MAX_SET)
		return false;
	for (size_t i = 0; i < a->n; i++)
		for (size_t j = 0; j < b->n; j++)
			if (strlen(a->s[i]) + strlen(b->s[j]) > MAX_LIT)
				return false;
	out = xcalloc(a->n * b->n + 1, sizeof(*out));
	for (size_t i = 0; i < a->n; i++)
		for (size_t j = 0; j < b->n; j++)
			out[n++] = xasprintf("%s%s", a->s[i], b->s[j]);
	for (size_t i = 0; i < a->n; i++)
		free(a->s[i]);
	free(a->s);
	a->s = out;
	a->n = n;
	return true;
}

static void add_all(struct lset *a, struct lset *b)
{
	a->s = xreallocarray(a->s, a->n + b->n + 1, sizeof(*a->s));
	memcpy(a->s + a->n, b->s, b->n * sizeof(*b->s));
	a->n += b->n;
	free(b->s);
	b->s = NULL;
	b->n = 0;
}

enum quant { Q_ONE, Q_OPT, Q_STAR, Q_PLUS };

static enum quant quantifier(struct parser *ps)
{
	const char *p = ps->p;
	enum quant q;

	if (p >= ps->end)
		return Q_ONE;
	if (*p == '?') {
		q = Q_OPT;
		p++;
	} else if (*p == '*') {
		q = Q_STAR;
		p++;
	} else if (*p == '+') {
		q = Q_PLUS;
		p++;
	} else if (*p == '{') {
		const char *d = p + 1;
		unsigned long lo = 0;
		bool digits = false;

		while (d < ps->end && *d >= '0' && *d <= '9') {
			lo = lo * 10 + (unsigned long)(*d - '0');
			if (lo > 100000)
				lo = 100000;
			d++;
			digits = true;
		}
		if (!digits)
			return Q_ONE;	/* a literal '{' */
		if (d < ps->end && *d == ',') {
			d++;
			while (d < ps->end && *d >= '0' && *d <= '9')
				d++;
		}
		if (d >= ps->end || *d != '}')
			return Q_ONE;
		q = lo ? Q_PLUS : Q_STAR;
		p = d + 1;
	} else {
		return Q_ONE;
	}
	if (p < ps->end && (*p == '?' || *p == '+'))
		p++;	/* lazy or possessive */
	ps->p = p;
	return q;
}

static size_t utf8_len(unsigned char b)
{
	return b < 0x80 ? 1 : b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
}

static char lower(char ch)
{
	return ch >= 'A' && ch <= 'Z' ? (char)(ch | 0x20) : ch;
}

/* A character class: a few plain characters make an exact set; anything
 * else (ranges, negation, escapes) proves nothing. */
static struct lset char_class(struct parser *ps)
{
	const char *p = ps->p + 1, *start;
	struct lset l = { NULL, 0, true, false };
	bool plain = true;

	if (p < ps->end && *p == '^')
		plain = false;
	start = p;
	if (p < ps->end && *p == ']')
		p++;
	while (p < ps->end && *p != ']') {
		if (*p == '\\' || *p == '[' || (*p == '-' && p > start && p + 1 < ps->end && p[1] != ']'))
			plain = false;
		if (*p == '\\' && p + 1 < ps->end)
			p++;
		else if (*p == '[' && p + 1 < ps->end && p[1] == ':') {
			const char *q = memmem(p + 2, (size_t)(ps->end - p - 2), ":]", 2);

			if (q)
				p = q + 1;
		}
		p++;
	}
	if (p >= ps->end) {
		ps->bail = true;
		return none_set();
	}
	ps->p = p + 1;
	if (!plain || p - start > 16)
		return none_set();
	for (const char *c = start; c < p; c += utf8_len((unsigned char)*c)) {
		char one[5];
		size_t k = utf8_len((unsigned char)*c);

		if (c + k > p)
			break;
		memcpy(one, c, k);
		one[0] = lower(one[0]);
		l.s = xreallocarray(l.s, l.n + 1, sizeof(*l.s));
		l.s[l.n++] = xstrndup(one, k);
	}
	return l;
}

/* An escape: "\s" is the one space of folded text; anchors and other
 * zero-width escapes match ""; "\d", "\w", ... prove nothing; an escaped
 * punctuation character is itself. */
static struct lset escape(struct parser *ps)
{
	const char *p = ps->p + 1;
	char d = *p++;

	if (d == 'Q' || d == 'E' || d == 'h' || d == 'v' || d == 'R') {
		ps->bail = true;
		return none_set();
	}
	if (!((d | 0x20) >= 'a' && (d | 0x20) <= 'z') && !(d >= '0' && d <= '9')) {
		size_t k = utf8_len((unsigned char)d);

		ps->p = p - 1 + k;
		return exact1(p - 1, k);
	}
	if (d == 'c' && p < ps->end) {
		p++;
	} else if (strchr("xopPgkN", d) && p < ps->end &&
		   (*p == '{' || *p == '<' || *p == '\'')) {
		char close = *p == '{' ? '}' : *p == '<' ? '>' : '\'';

		while (p < ps->end && *p != close)
			p++;
		if (p < ps->end)
			p++;
	} else if (d == 'x') {
		for (int k = 0; k < 2 && p < ps->end && *p &&
		     strchr("0123456789abcdefABCDEF", *p); k++)
			p++;
	} else if (d == 'p' || d == 'P') {
		if (p < ps->end)
			p++;
	} else if (d >= '0' && d <= '9') {
		while (p < ps->end && *p >= '0' && *p <= '9')
			p++;
	}
	ps->p = p;
	if (d == 's')
		return exact1(" ", 1);
	if (strchr("bBAzZGK", d))
		return exact1("", 0);
	return none_set();
}

static struct lset parse_alt(struct parser *ps, unsigned depth);

/* A group; lookarounds match "" (they consume nothing). */
static struct lset group(struct parser *ps, unsigned depth)
{
	const char *p = ps->p + 1;
	bool look = false;
	struct lset g;

	if (p < ps->end && *p == '*') {
		ps->bail = true;
		return none_set();
	}
	if (p < ps->end && *p == '?') {
		p++;
		if (p < ps->end && (*p == ':' || *p == '>')) {
			p++;
		} else if (p < ps->end && (*p == '=' || *p == '!')) {
			look = true;
			p++;
		} else if (p + 1 < ps->end && *p == '<' && (p[1] == '=' || p[1] == '!')) {
			look = true;
			p += 2;
		} else if (p < ps->end && (*p == '<' || *p == '\'' || *p == 'P')) {
			char close = *p == '\'' ? '\'' : '>';

			if (*p == 'P' && (p + 1 >= ps->end || p[1] != '<')) {
				ps->bail = true;
				return none_set();
			}
			while (p < ps->end && *p != close)
				p++;
			if (p >= ps->end) {
				ps->bail = true;
				return none_set();
			}
			p++;
		} else {
			ps->bail = true;	/* options, comments, conditionals */
			return none_set();
		}
	}
	ps->p = p;
	g = parse_alt(ps, depth + 1);
	if (ps->bail || ps->p >= ps->end || *ps->p != ')') {
		ps->bail = true;
		set_free(&g);
		return none_set();
	}
	ps->p++;
	if (look) {
		set_free(&g);
		return exact1("", 0);
	}
	return g;
}

/* One atom with its quantifier applied. */
static struct lset element(struct parser *ps, unsigned depth)
{
	char c = *ps->p;
	struct lset e;
	enum quant q;

	if (c == '(') {
		e = group(ps, depth);
	} else if (c == '[') {
		e = char_class(ps);
	} else if (c == '\\') {
		if (ps->p + 1 >= ps->end) {
			ps->bail = true;
			return none_set();
		}
		e = escape(ps);
	} else if (c == '^' || c == '$') {
		ps->p++;
		e = exact1("", 0);
	} else if (c == '.') {
		ps->p++;
		e = none_set();
	} else if (c == '*' || c == '+' || c == '?') {
		ps->bail = true;	/* a quantifier with nothing before */
		return none_set();
	} else {
		size_t k = utf8_len((unsigned char)c);
		char one[5];

		if (ps->p + k > ps->end) {
			ps->bail = true;
			return none_set();
		}
		memcpy(one, ps->p, k);
		one[0] = lower(one[0]);
		ps->p += k;
		e = exact1(one, k);
	}
	if (ps->bail)
		return e;
	q = quantifier(ps);
	/* folded text has single spaces, so " +" and "\s+" match one */
	if (e.exact && e.n == 1 && !strcmp(e.s[0], " ") &&
	    (q == Q_PLUS || q == Q_STAR)) {
		if (q == Q_STAR) {
			struct lset empty = exact1("", 0);

			add_all(&e, &empty);
		}
		return e;
	}
	if (q == Q_OPT && e.exact && !e.none && e.n + 1 <= MAX_SET) {
		struct lset empty = exact1("", 0);

		add_all(&e, &empty);
	} else if (q == Q_OPT || q == Q_STAR) {
		set_free(&e);
	} else if (q == Q_PLUS) {
		e = required(e);	/* at least one copy */
	}
	return e;
}

static struct lset parse_seq(struct parser *ps, unsigned depth)
{
	struct lset best = none_set(), acc = exact1("", 0), e;
	bool all_exact = true;

	while (!ps->bail && ps->p < ps->end && *ps->p != '|' && *ps->p != ')') {
		e = element(ps, depth);
		if (ps->bail) {
			set_free(&e);
			break;
		}
		if (e.exact && !e.none && cross(&acc, &e)) {
			set_free(&e);
			continue;
		}
		all_exact = false;
		consider(&best, acc);
		if (e.exact && !e.none) {
			acc = e;	/* the product grew too big: start again */
		} else {
			consider(&best, e);
			acc = exact1("", 0);
		}
	}
	if (ps->bail) {
		set_free(&acc);
		set_free(&best);
		return none_set();
	}
	if (all_exact) {
		set_free(&best);
		return acc;
	}
	consider(&best, acc);
	return best;
}

static struct lset parse_alt(struct parser *ps, unsigned depth)
{
	struct lset all, b;

	if (depth > 64) {
		ps->bail = true;
		return none_set();
	}
	all = parse_seq(ps, depth);
	while (!ps->bail && ps->p < ps->end && *ps->p == '|') {
		ps->p++;
		b = parse_seq(ps, depth);
		if (all.exact && b.exact && !all.none && !b.none &&
		    all.n + b.n <= MAX_SET) {
			add_all(&all, &b);
			continue;
		}
		all = required(all);
		b = required(b);
		if (all.none || b.none) {
			set_free(&all);
			set_free(&b);
			all = none_set();
			continue;
		}
		add_all(&all, &b);
	}
	if (ps->bail)
		set_free(&all);
	return all;
}

/* A prefix of a required literal is required too: cut every literal to
 * at most 8 bytes (never inside a UTF-8 character), so that the filter
 * confirms one with a single 64-bit compare. Eight bytes keep them rare. */
static void truncate(struct lset *s)
{
	size_t n = 0;

	for (size_t i = 0; i < s->n; i++) {
		char *l = s->s[i];
		size_t j = strlen(l);

		if (j > 8) {
			for (j = 8; j > 0 && ((unsigned char)l[j] & 0xc0) == 0x80; j--)
				;
			l[j] = '\0';
		}
		if (!l[0]) {
			free(l);
			continue;
		}
		s->s[n++] = l;
	}
	s->n = n;
}

bool cls_literals(const char *pattern, size_t len, char ***lits, size_t *n)
{
	struct parser ps = { pattern, pattern + len, false };
	struct lset s = parse_alt(&ps, 0);

	s = required(s);
	if (ps.bail || ps.p != ps.end || s.none || !s.n) {
		set_free(&s);
		return false;
	}
	truncate(&s);
	/* a literal holding another one adds nothing: whenever it occurs,
	 * so does the shorter one ("completely down" beside "down") */
	for (size_t i = 0; i < s.n; i++)
		for (size_t j = 0; j < s.n;) {
			if (j != i && strstr(s.s[j], s.s[i])) {
				free(s.s[j]);
				s.s[j] = s.s[--s.n];
				if (i == s.n)
					i = j;
				continue;
			}
			j++;
		}
	*lits = s.s;
	*n = s.n;
	return true;
}

void cls_literals_free(char **lits, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(lits[i]);
	free(lits);
}

/* ---- the filter: bit tables of literal prefixes ---- */

static inline uint32_t pfx_hash(uint64_t v, unsigned k)
{
	if (k <= 2)
		return (uint32_t)v;	/* one or two bytes index directly */
	return (uint32_t)((v * 0x9e3779b97f4a7c15ull) >> (k == 8 ? 64 - PF_BITS8 : 48));
}

/* The big-endian value of k bytes, as the scan's window holds them. */
static uint64_t pfx(const unsigned char *s, unsigned k)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < k; i++)
		v = (v << 8) | s[i];
	return v;
}

void pf_release(struct cls_prefilter *pf)
{
	for (size_t i = 0; i < pf->n; i++)
		free(pf->lit[i].s);
	free(pf->lit);
	free(pf->pats);
	free(pf->slot);
	memset(pf, 0, sizeof(*pf));
}

static size_t slot_hash(uint64_t v, unsigned k, size_t mask)
{
	return (size_t)(((v ^ ((uint64_t)k << 59)) * 0xff51afd7ed558ccdull) >> 40) & mask;
}

/* The bucket of literals with this prefix (k bytes of value v). */
static uint32_t *slot_of(struct cls_prefilter *pf, unsigned k, uint64_t v)
{
	for (size_t i = slot_hash(v, k, pf->mask);; i = (i + 1) & pf->mask) {
		if (!pf->slot[i].head || (pf->slot[i].v == v && pf->slot[i].k == k)) {
			pf->slot[i].v = v;
			pf->slot[i].k = k;
			return &pf->slot[i].head;
		}
	}
}

static void set_bit(struct cls_prefilter *pf, unsigned k, uint64_t v)
{
	uint32_t h = pfx_hash(v, k);

	if (k == 8) {
		pf->bits8[h / 64] |= 1ull << (h % 64);
		pf->used |= 1u << 4;
	} else {
		pf->bits[k - 1][h / 64] |= 1ull << (h % 64);
		pf->used |= 1u << (k - 1);
	}
}

void pf_build(struct cls_prefilter *pf, char *const *lits, const uint32_t *ids,
	      size_t n)
{
	size_t nslots = 64;

	memset(pf, 0, sizeof(*pf));
	while (nslots < n * 2)
		nslots *= 2;
	pf->slot = xcalloc(nslots, sizeof(*pf->slot));
	pf->mask = nslots - 1;
	pf->lit = xcalloc(n + 1, sizeof(*pf->lit));
	pf->pats = xcalloc(n + 1, sizeof(*pf->pats));
	for (size_t i = 0; i < n; i++) {
		const unsigned char *s = (const unsigned char *)lits[i];
		size_t len = strlen(lits[i]);
		unsigned k = len >= 8 ? 8 : len >= 4 ? 4 : (unsigned)len;
		uint64_t v = pfx(s, k);
		uint32_t *head, l;

		if (!len || len > 8)
			continue;	/* cls_literals never gives these */
		/* one entry per distinct literal, with the patterns needing it */
		for (l = 0; l < pf->n; l++)
			if (!strcmp(pf->lit[l].s, lits[i]))
				break;
		if (l == pf->n) {
			head = slot_of(pf, k, v);
			pf->lit[l].s = xstrdup(lits[i]);
			pf->lit[l].len = (uint32_t)len;
			pf->lit[l].next = *head;
			pf->lit[l].first_pat = UINT32_MAX;
			*head = l + 1;
			pf->n++;
			set_bit(pf, k, v);
		}
		pf->pats[pf->npats].pat = ids[i];
		pf->pats[pf->npats].next = pf->lit[l].first_pat;
		pf->lit[l].first_pat = (uint32_t)pf->npats++;
	}
}

/* A prefix hit ending at i: mark the patterns of every literal of the
 * bucket that is really there. */
static void confirm(const struct cls_prefilter *pf, const unsigned char *t,
		    size_t len, size_t start, unsigned k, uint64_t v,
		    uint64_t *cand)
{
	size_t s = slot_hash(v, k, pf->mask);

	for (; pf->slot[s].head; s = (s + 1) & pf->mask) {
		if (pf->slot[s].v != v || pf->slot[s].k != k)
			continue;
		for (uint32_t l = pf->slot[s].head; l; l = pf->lit[l - 1].next) {
			const struct cls_literal *lit = &pf->lit[l - 1];
			bool ok = start + lit->len <= len;

			for (size_t j = k; ok && j < lit->len; j++)
				ok = t[start + j] == (unsigned char)lit->s[j];
			if (!ok)
				continue;
			for (uint32_t p = lit->first_pat; p != UINT32_MAX;
			     p = pf->pats[p].next)
				cand[pf->pats[p].pat / 64] |= 1ull << (pf->pats[p].pat % 64);
		}
		return;
	}
}

void pf_scan(const struct cls_prefilter *pf, const char *text, size_t len,
	     uint64_t *cand)
{
	const unsigned char *t = (const unsigned char *)text;
	const bool short_lits = pf->used & 7u, four = pf->used & 8u,
		   eight = pf->used & 16u;
	uint64_t w = 0;

	if (!pf->n)
		return;
	for (size_t i = 0; i < len; i++) {
		uint32_t h;

		w = (w << 8) | t[i];
		if (eight && i >= 7) {
			h = pfx_hash(w, 8);
			if (pf->bits8[h / 64] >> (h % 64) & 1)
				confirm(pf, t, len, i - 7, 8, w, cand);
		}
		if (four && i >= 3) {
			uint64_t v = w & 0xffffffffu;

			h = pfx_hash(v, 4);
			if (pf->bits[3][h / 64] >> (h % 64) & 1)
				confirm(pf, t, len, i - 3, 4, v, cand);
		}
		if (!short_lits)
			continue;
		for (unsigned k = 1; k <= 3; k++) {
			uint64_t v;

			if (!(pf->used >> (k - 1) & 1) || i + 1 < k)
				continue;
			v = w & ((1ull << (8 * k)) - 1);
			h = pfx_hash(v, k);
			if (pf->bits[k - 1][h / 64] >> (h % 64) & 1)
				confirm(pf, t, len, i + 1 - k, k, v, cand);
		}
	}
}
