/* prefilter.c: why a hundred rules cost little. For each pattern we prove
 * literals that must occur in any match (the idea of RE2's prefilters, on a
 * conservative subset of PCRE2 syntax: anything unclear proves nothing, and
 * the pattern then runs on every mention): up to eight sets, one literal of
 * each set in every match. Alternations of plain words multiply out into
 * whole phrases ("cancel my", "close my") so that the literals are rare; a
 * literal after \b can only start a word, so the scan of the folded text
 * looks for most literals at word starts only. Only patterns with a literal
 * of every set present run. */
#include <stdlib.h>
#include <string.h>

#include "classify_int.h"
#include "heed/xalloc.h"

#define MAX_LIT 64	/* longest literal kept, bytes */
#define MAX_SET 64	/* most strings in an exact set before giving up */
#define MAX_CONJ 8	/* most sets proved for one pattern */
#define WB '\x01'	/* leads a string that can only start where a word does */

/* ---- literal extraction ---- */

/* exact: the node matches exactly one of the strings (all enumerated);
 * else: one of the strings occurs in every match (none: nothing known),
 * and so does one of each set in and[] (a conjunction). A string may start
 * with WB: a \b stood right before it.
 * Where a match of the node ends, the byte before is not a word byte (or
 * there is none) when nw, or when pass and it was so where it began; for
 * exact nodes this follows from the strings (see end_of). */
struct lset {
	char **s;
	size_t n;
	bool exact;
	bool none;
	bool nw, pass;
	struct lset *and;
	size_t n_and;
};

struct parser {
	const char *p, *end;
	bool bail;
};

static struct lset none_set(void)
{
	struct lset l = { NULL, 0, false, true, false, false, NULL, 0 };

	return l;
}

static struct lset exact1(const char *s, size_t len)
{
	struct lset l = { xmalloc(sizeof(char *)), 1, true, false, false, false,
			  NULL, 0 };

	l.s[0] = xstrndup(s, len);
	return l;
}

static void set_free(struct lset *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->s[i]);
	free(l->s);
	for (size_t i = 0; i < l->n_and; i++)
		set_free(&l->and[i]);
	free(l->and);
	*l = none_set();
}

/* The string without its WB mark. */
static const char *body(const char *s)
{
	return s + (*s == WB);
}

static bool has_empty(const struct lset *l)
{
	for (size_t i = 0; i < l->n; i++)
		if (!body(l->s[i])[0])
			return true;
	return false;
}

static bool word_byte(unsigned char b)
{
	return (b >= '0' && b <= '9') || ((b | 0x20) >= 'a' && (b | 0x20) <= 'z') ||
	       b == '_';
}

/* How a node's matches end (the nw and pass of struct lset). */
static void end_of(const struct lset *l, bool *nw, bool *pass)
{
	if (!l->exact) {
		*nw = l->nw;
		*pass = l->pass;
		return;
	}
	*nw = *pass = true;
	for (size_t i = 0; i < l->n; i++) {
		const char *b = body(l->s[i]);
		size_t k = strlen(b);

		if (!k)
			*nw = false;	/* the empty match ends where it began */
		else if (word_byte((unsigned char)b[k - 1]))
			*nw = *pass = false;
	}
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

	s = body(s);
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
	for (s = body(s); *s; s++)
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
	end_of(&l, &l.nw, &l.pass);
	l.exact = false;
	return l;
}

/* Where in s (len bytes) a word starts that is worth looking for on its
 * own: two word bytes after a non-word byte ("dm" of "st dm", not "s" of
 * "/s " or "t" of "'t"); 0 if nowhere. */
static size_t inner_start(const char *s, size_t len)
{
	for (size_t j = 1; j + 1 < len; j++)
		if (!word_byte((unsigned char)s[j - 1]) &&
		    word_byte((unsigned char)s[j]) && word_byte((unsigned char)s[j + 1]))
			return j;
	return 0;
}

/* What a literal costs the scan: 0 when it starts a word (looked for at
 * word starts only), 1 when its first byte is rare (not a word byte), 2
 * when it must be looked for everywhere. */
static unsigned lit_cost(const char *lit)
{
	const char *b = body(lit);

	if ((*lit == WB && word_byte((unsigned char)b[0])) ||
	    inner_start(b, strlen(b)))
		return 0;
	return word_byte((unsigned char)b[0]) ? 2 : 1;
}

static unsigned set_cost(const struct lset *l)
{
	unsigned c = 0;

	for (size_t i = 0; i < l->n; i++)
		if (lit_cost(l->s[i]) > c)
			c = lit_cost(l->s[i]);
	return c;
}

/* Is a a better requirement than b? The cheaper to look for, then the
 * rarer. */
static bool better(const struct lset *a, const struct lset *b)
{
	size_t as = score(a), bs = score(b);
	unsigned ac = set_cost(a), bc = set_cost(b);

	if (ac != bc)
		return ac < bc;
	return as > bs || (as == bs && a->n < b->n);
}

/* *all and cand both hold: add cand's sets to the conjunction *all. */
static void conjoin(struct lset *all, struct lset cand)
{
	struct lset *more;
	size_t n_more;

	cand = required(cand);
	if (cand.none)
		return;
	more = cand.and;
	n_more = cand.n_and;
	cand.and = NULL;
	cand.n_and = 0;
	if (all->none) {
		*all = cand;
	} else {
		all->and = xreallocarray(all->and, all->n_and + 1, sizeof(*all->and));
		all->and[all->n_and++] = cand;
	}
	for (size_t i = 0; i < n_more; i++)
		conjoin(all, more[i]);
	free(more);
}

/* The best single set of a conjunction (for an alternation, where only
 * one branch's requirement holds). */
static struct lset single(struct lset l)
{
	size_t best = l.n_and;	/* n_and: l itself */

	for (size_t i = 0; i < l.n_and; i++)
		if (better(&l.and[i], best == l.n_and ? &l : &l.and[best]))
			best = i;
	if (best < l.n_and) {
		struct lset b = l.and[best];

		l.and[best] = none_set();
		set_free(&l);
		return b;
	}
	for (size_t i = 0; i < l.n_and; i++)
		set_free(&l.and[i]);
	free(l.and);
	l.and = NULL;
	l.n_and = 0;
	return l;
}

/* x then y: a string that is only a mark passes it on; a mark inside a
 * string (zero width) is dropped. */
static char *concat(const char *x, const char *y)
{
	if (!body(x)[0])
		return xasprintf("%s%s", *x == WB || *y == WB ? "\x01" : "",
				 body(y));
	return xasprintf("%s%s", x, body(y));
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
			if (strlen(body(a->s[i])) + strlen(body(b->s[j])) > MAX_LIT)
				return false;
	out = xcalloc(a->n * b->n + 1, sizeof(*out));
	for (size_t i = 0; i < a->n; i++)
		for (size_t j = 0; j < b->n; j++)
			out[n++] = concat(a->s[i], b->s[j]);
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

/* An escape: "\s" is the one space of folded text; \b and \A mark where
 * a word may start (WB), other zero-width escapes match ""; "\d", "\w",
 * ... prove nothing; an escaped punctuation character is itself. */
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
	if (d == 'b')
		return exact1("\x01", 1);	/* WB */
	if (d == 'A') {
		struct lset l = none_set();

		l.nw = true;	/* the start of the text is a word start */
		return l;
	}
	if (strchr("BzZGK", d))
		return exact1("", 0);
	return none_set();
}

static struct lset parse_alt(struct parser *ps, unsigned depth, bool wb);

/* The head of the group at ps->p ('('): plain, atomic, named and
 * lookaround groups are understood. Returns where its body starts, *look
 * set for a lookaround; NULL, ps->bail set, for anything else (verbs,
 * options, comments, conditionals). */
static const char *group_head(struct parser *ps, bool *look)
{
	const char *p = ps->p + 1;

	*look = false;
	if (p < ps->end && *p == '*') {
		ps->bail = true;	/* verbs */
		return NULL;
	}
	if (p >= ps->end || *p != '?')
		return p;
	p++;
	if (p < ps->end && (*p == ':' || *p == '>'))
		return p + 1;
	if (p < ps->end && (*p == '=' || *p == '!')) {
		*look = true;
		return p + 1;
	}
	if (p + 1 < ps->end && *p == '<' && (p[1] == '=' || p[1] == '!')) {
		*look = true;
		return p + 2;
	}
	if (p + 1 < ps->end && (*p == '<' || *p == '\'' || (*p == 'P' && p[1] == '<'))) {
		char close = *p == '\'' ? '\'' : '>';

		/* past the opening quote, which is its own close */
		for (p++; p < ps->end && *p != close; p++)
			;
		if (p < ps->end)
			return p + 1;
	}
	ps->bail = true;
	return NULL;
}

/* A group; lookarounds match "" (they consume nothing). wb: a word
 * starts here if the group starts with a word byte. */
static struct lset group(struct parser *ps, unsigned depth, bool wb)
{
	bool look;
	const char *p = group_head(ps, &look);
	struct lset g;

	if (!p)
		return none_set();
	ps->p = p;
	g = parse_alt(ps, depth + 1, wb && !look);
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

/* One atom with its quantifier applied (wb: as for group). */
static struct lset element(struct parser *ps, unsigned depth, bool wb)
{
	char c = *ps->p;
	struct lset e;
	enum quant q;
	bool nw, pass;

	if (c == '(') {
		e = group(ps, depth, wb);
	} else if (c == '[') {
		e = char_class(ps);
	} else if (c == '\\') {
		if (ps->p + 1 >= ps->end) {
			ps->bail = true;
			return none_set();
		}
		e = escape(ps);
	} else if (c == '^') {
		ps->p++;
		e = none_set();
		e.nw = true;	/* the start of the text is a word start */
	} else if (c == '$') {
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
	end_of(&e, &nw, &pass);
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
	if (!e.exact) {
		/* the last copy ends it, or (? and *) none at all */
		e.nw = q != Q_OPT && q != Q_STAR && nw;
		e.pass = q == Q_OPT || q == Q_STAR ? nw || pass : pass;
	}
	return e;
}

/* Is every string of the exact set l just a WB mark? */
static bool only_wb(const struct lset *l)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->s[i], "\x01"))
			return false;
	return l->exact && l->n;
}

/* A sequence: exact elements multiply out while the product stays small;
 * every run of them, and every element that is not exact, is required.
 * wb: as for group. */
static struct lset parse_seq(struct parser *ps, unsigned depth, bool wb)
{
	struct lset all = none_set(), acc = exact1("\x01", wb), e;
	bool all_exact = true, nw = false, pass = true, enw, epass, before;

	while (!ps->bail && ps->p < ps->end && *ps->p != '|' && *ps->p != ')') {
		e = element(ps, depth, nw || only_wb(&acc));
		if (ps->bail) {
			set_free(&e);
			break;
		}
		before = nw;
		end_of(&e, &enw, &epass);
		nw = enw || (epass && nw);
		pass = epass && pass;
		if (e.exact && !e.none && cross(&acc, &e)) {
			set_free(&e);
			continue;
		}
		all_exact = false;
		conjoin(&all, acc);
		/* start again; where a word start is known, say so */
		if (e.exact && !e.none) {
			acc = exact1(before ? "\x01" : "", before);
			if (!cross(&acc, &e)) {
				set_free(&acc);
				acc = e;
				e = none_set();
			}
			set_free(&e);
		} else {
			conjoin(&all, e);
			acc = exact1(nw ? "\x01" : "", nw);
		}
	}
	if (ps->bail) {
		set_free(&acc);
		set_free(&all);
		return none_set();
	}
	if (all_exact) {
		set_free(&all);
		return acc;
	}
	conjoin(&all, acc);
	all.nw = nw;
	all.pass = pass;
	return all;
}

static struct lset parse_alt(struct parser *ps, unsigned depth, bool wb)
{
	struct lset all, b;
	bool nw, pass, bnw, bpass;

	if (depth > 64) {
		ps->bail = true;
		return none_set();
	}
	all = parse_seq(ps, depth, wb);
	end_of(&all, &nw, &pass);
	pass |= nw;
	while (!ps->bail && ps->p < ps->end && *ps->p == '|') {
		ps->p++;
		b = parse_seq(ps, depth, wb);
		end_of(&b, &bnw, &bpass);
		nw &= bnw;
		pass &= bnw || bpass;
		if (all.exact && b.exact && !all.none && !b.none &&
		    all.n + b.n <= MAX_SET) {
			add_all(&all, &b);
			continue;
		}
		all = single(required(all));
		b = single(required(b));
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
	if (!all.exact) {
		all.nw = nw;
		all.pass = pass;
	}
	return all;
}

/* What the scan looks for, from one proved literal (WB-marked or not):
 * a literal that need not start a word, but holds a word start (" days",
 * "'t work"), is as good from there on, and then needs looking for at word
 * starts only. A prefix of a required literal is required too: cut to at
 * most 8 bytes (never inside a UTF-8 character), one 64-bit compare. */
static void scan_form(const char *lit, struct cls_req_lit *out)
{
	const char *s = body(lit);
	size_t len = strlen(s), j;

	out->word_start = *lit == WB && word_byte((unsigned char)s[0]);
	if (!out->word_start && (j = inner_start(s, len))) {
		s += j;
		len -= j;
		out->word_start = true;
	}
	if (len > 8)
		for (len = 8; len > 0 && ((unsigned char)s[len] & 0xc0) == 0x80; len--)
			;
	out->s = xstrndup(s, len);
}

/* Does every occurrence of b bring one of a with it (both scan forms)? */
static bool implies(const struct cls_req_lit *b, const struct cls_req_lit *a)
{
	size_t lb = strlen(b->s), la = strlen(a->s);

	for (size_t o = 0; o + la <= lb; o++) {
		if (memcmp(b->s + o, a->s, la))
			continue;
		if (!a->word_start || (o == 0 && b->word_start) ||
		    (o > 0 && !word_byte((unsigned char)b->s[o - 1])))
			return true;
	}
	return false;
}

/* One set in scan form. */
struct form {
	struct cls_req_lit *l;
	size_t n;
	size_t score;
	unsigned cost;		/* the highest lit_cost of its literals */
};

static void form_free(struct form *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->l[i].s);
	free(f->l);
	memset(f, 0, sizeof(*f));
}

/* Drop from l the strings that imply another: whenever one occurs, so
 * does the other ("completely down" beside "down"). */
static void drop_implied(struct lset *l)
{
	for (size_t i = 0; i < l->n; i++)
		for (size_t j = 0; j < l->n;) {
			const char *a = l->s[i], *b = l->s[j];

			if (j != i && strstr(body(b), body(a)) &&
			    (*a != WB || (*b == WB && !strncmp(body(b), body(a),
							       strlen(body(a)))))) {
				free(l->s[j]);
				l->s[j] = l->s[--l->n];
				if (i == l->n)
					i = j;
				continue;
			}
			j++;
		}
}

/* The scan form of a required set; false when it proves nothing. */
static bool to_form(struct lset *l, struct form *f)
{
	drop_implied(l);
	memset(f, 0, sizeof(*f));
	f->l = xcalloc(l->n + 1, sizeof(*f->l));
	f->score = (size_t)-1;
	f->cost = set_cost(l);
	for (size_t i = 0; i < l->n; i++) {
		struct cls_req_lit *r = &f->l[f->n++];

		scan_form(l->s[i], r);
		if (!r->s[0]) {
			form_free(f);
			return false;
		}
		f->score = score1(r->s) < f->score ? score1(r->s) : f->score;
	}
	if (!f->n) {
		form_free(f);
		return false;
	}
	/* a literal implying another adds nothing: whenever it occurs, so
	 * does the other ("completely down" beside "down") */
	for (size_t i = 0; i < f->n; i++)
		for (size_t j = 0; j < f->n;) {
			if (j != i && implies(&f->l[j], &f->l[i])) {
				free(f->l[j].s);
				f->l[j] = f->l[--f->n];
				if (i == f->n)
					i = j;
				continue;
			}
			j++;
		}
	return true;
}

/* Is set a a better choice than b? Sets found at word starts cost little
 * to look for; then the rarer the better. */
static bool form_better(const struct form *a, const struct form *b)
{
	if (a->cost != b->cost)
		return a->cost < b->cost;
	return a->score > b->score || (a->score == b->score && a->n < b->n);
}

bool cls_literals(const char *pattern, size_t len, struct cls_req_lit **lits,
		  size_t *n)
{
	struct parser ps = { pattern, pattern + len, false };
	struct lset s = parse_alt(&ps, 0, false);
	struct cls_req_lit *out = NULL;
	struct form *f;
	size_t n_f = 0, n_out = 0, kept = 0;

	s = required(s);
	if (ps.bail || ps.p != ps.end || s.none || !s.n) {
		set_free(&s);
		return false;
	}
	f = xcalloc(s.n_and + 1, sizeof(*f));
	n_f += to_form(&s, &f[n_f]);
	for (size_t i = 0; i < s.n_and; i++)
		n_f += to_form(&s.and[i], &f[n_f]);
	set_free(&s);
	/* the best set first, then the others: the more sets a pattern
	 * needs, the less often it runs. Sets of common words ("the") or
	 * found anywhere would cost the scan more than they save: they are
	 * late, searched for only when all the others are there. */
	while (kept < MAX_CONJ) {
		size_t best = n_f;
		bool late;

		for (size_t i = 0; i < n_f; i++)
			if (f[i].n && (best == n_f || form_better(&f[i], &f[best])))
				best = i;
		if (best == n_f)
			break;
		late = kept && (f[best].cost || f[best].score < 3);
		out = xreallocarray(out, n_out + f[best].n, sizeof(*out));
		for (size_t i = 0; i < f[best].n; i++) {
			out[n_out] = f[best].l[i];
			out[n_out].late = late;
			out[n_out++].conj = (uint8_t)kept;
		}
		f[best].n = 0;
		kept++;
	}
	for (size_t i = 0; i < n_f; i++)
		form_free(&f[i]);
	free(f);
	if (!kept)
		return false;
	*lits = out;
	*n = n_out;
	return true;
}

void cls_literals_free(struct cls_req_lit *lits, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(lits[i].s);
	free(lits);
}

/* ---- where matches start ---- */

/* The other question asked of a pattern: with what does every match
 * begin? If the answer is a few literals, each right after \b and starting
 * with a word byte, a match can only start at a word start that begins
 * with one of them, and rules.c tries the pattern there alone (anchored)
 * instead of scanning the whole text for it. A set of items: the match
 * begins with one of the strings; done, when the node matches exactly
 * that string (so what follows may be appended); wb, when a \b (or ^)
 * stands before the string's first byte. */

#define MAX_PRE 256	/* most items in a set before giving up on growing it */

struct pitem {
	char s[PF_MAXLEN];
	uint8_t len;
	bool done, wb;
};

struct pset {
	struct pitem *it;
	size_t n;
};

static void pset_add(struct pset *p, const char *s, size_t len, bool done,
		     bool wb)
{
	struct pitem it = { { 0 }, 0, done, wb };

	if (len > PF_MAXLEN) {
		len = PF_MAXLEN;	/* its prefix is a prefix too */
		it.done = false;
	}
	memcpy(it.s, s, len);
	it.len = (uint8_t)len;
	for (size_t i = 0; i < p->n; i++)
		if (!memcmp(&p->it[i], &it, sizeof(it)))
			return;
	p->it = xreallocarray(p->it, p->n + 1, sizeof(*p->it));
	p->it[p->n++] = it;
}

/* A node of which nothing is known: every match begins with "". */
static struct pset pset_unknown(void)
{
	struct pset p = { NULL, 0 };

	pset_add(&p, "", 0, false, false);
	return p;
}

static void pset_open(struct pset *p)
{
	for (size_t i = 0; i < p->n; i++)
		p->it[i].done = false;
}

/* a then e (e freed). When the product would be too big, a's items stay as
 * they are, no longer done: they still begin every match. */
static void pset_cat(struct pset *a, struct pset e)
{
	struct pset out = { NULL, 0 };

	if (a->n * e.n > MAX_PRE) {
		pset_open(a);
		free(e.it);
		return;
	}
	for (size_t i = 0; i < a->n; i++) {
		const struct pitem *x = &a->it[i];
		char buf[2 * PF_MAXLEN];

		if (!x->done) {
			pset_add(&out, x->s, x->len, false, x->wb);
			continue;
		}
		for (size_t j = 0; j < e.n; j++) {
			const struct pitem *y = &e.it[j];

			memcpy(buf, x->s, x->len);
			memcpy(buf + x->len, y->s, y->len);
			pset_add(&out, buf, (size_t)x->len + y->len, y->done,
				 x->wb || (!x->len && y->wb));
		}
	}
	free(a->it);
	free(e.it);
	*a = out;
}

/* From an exact set of the literal parser (e freed); a string that is just
 * the WB mark is a \b. */
static struct pset pset_of(struct lset e)
{
	struct pset p = { NULL, 0 };

	if (!e.exact || e.none || !e.n) {
		set_free(&e);
		return pset_unknown();
	}
	for (size_t i = 0; i < e.n; i++) {
		const char *b = body(e.s[i]);

		pset_add(&p, b, strlen(b), true, *e.s[i] == WB);
	}
	set_free(&e);
	return p;
}

static struct pset pre_alt(struct parser *ps, unsigned depth);

static struct pset pre_group(struct parser *ps, unsigned depth)
{
	bool look;
	const char *p = group_head(ps, &look);
	struct pset g;

	if (!p)
		return pset_unknown();
	ps->p = p;
	g = pre_alt(ps, depth + 1);
	if (ps->bail || ps->p >= ps->end || *ps->p != ')') {
		ps->bail = true;
		return g;
	}
	ps->p++;
	if (look) {
		/* consumes nothing, and what it asserts is not needed */
		free(g.it);
		g.it = NULL;
		g.n = 0;
		pset_add(&g, "", 0, true, false);
	}
	return g;
}

static struct pset pre_element(struct parser *ps, unsigned depth)
{
	char c = *ps->p;
	struct pset e = { NULL, 0 };
	enum quant q;

	if (c == '(') {
		e = pre_group(ps, depth);
	} else if (c == '[') {
		e = pset_of(char_class(ps));
	} else if (c == '\\') {
		if (ps->p + 1 >= ps->end) {
			ps->bail = true;
			return pset_unknown();
		}
		e = pset_of(escape(ps));
	} else if (c == '^') {
		ps->p++;
		pset_add(&e, "", 0, true, true);	/* the text's start is a word's */
	} else if (c == '$') {
		ps->p++;
		pset_add(&e, "", 0, true, false);
	} else if (c == '.') {
		ps->p++;
		e = pset_unknown();
	} else if (c == '*' || c == '+' || c == '?') {
		ps->bail = true;
		return pset_unknown();
	} else {
		size_t k = utf8_len((unsigned char)c);
		char one[4];

		if (ps->p + k > ps->end) {
			ps->bail = true;
			return pset_unknown();
		}
		memcpy(one, ps->p, k);
		one[0] = lower(one[0]);
		ps->p += k;
		pset_add(&e, one, k, true, false);
	}
	if (ps->bail)
		return e;
	q = quantifier(ps);
	/* folded text has single spaces, so " +" and "\s+" match one */
	if (e.n == 1 && e.it[0].len == 1 && e.it[0].s[0] == ' ' && e.it[0].done &&
	    (q == Q_PLUS || q == Q_STAR))
		q = q == Q_PLUS ? Q_ONE : Q_OPT;
	if (q == Q_STAR || q == Q_PLUS)
		pset_open(&e);
	if (q == Q_STAR || q == Q_OPT)
		pset_add(&e, "", 0, true, false);
	return e;
}

static struct pset pre_seq(struct parser *ps, unsigned depth)
{
	struct pset all = { NULL, 0 };

	pset_add(&all, "", 0, true, false);
	while (!ps->bail && ps->p < ps->end && *ps->p != '|' && *ps->p != ')')
		pset_cat(&all, pre_element(ps, depth));
	return all;
}

static struct pset pre_alt(struct parser *ps, unsigned depth)
{
	struct pset all;
	bool big = false;

	if (depth > 64) {
		ps->bail = true;
		return pset_unknown();
	}
	all = pre_seq(ps, depth);
	while (!ps->bail && ps->p < ps->end && *ps->p == '|') {
		struct pset b;

		ps->p++;
		b = pre_seq(ps, depth);
		for (size_t i = 0; !big && i < b.n; i++)
			pset_add(&all, b.it[i].s, b.it[i].len, b.it[i].done,
				 b.it[i].wb);
		big |= all.n > MAX_PRE;
		free(b.it);
	}
	if (big) {
		free(all.it);
		return pset_unknown();
	}
	return all;
}

bool cls_prefixes(const char *pattern, size_t len, struct cls_req_lit **lits,
		  size_t *n)
{
	struct parser ps = { pattern, pattern + len, false };
	struct pset p = pre_alt(&ps, 0);
	bool ok = !ps.bail && ps.p == ps.end && p.n;

	for (size_t i = 0; ok && i < p.n; i++)
		ok = p.it[i].wb && p.it[i].len &&
		     word_byte((unsigned char)p.it[i].s[0]);
	if (ok) {
		*lits = xcalloc(p.n, sizeof(**lits));
		*n = 0;
		for (size_t i = 0; i < p.n; i++) {
			bool longer = false;

			/* "is compl" adds nothing to "is " */
			for (size_t j = 0; j < p.n && !longer; j++)
				longer = j != i && p.it[j].len <= p.it[i].len &&
					 !memcmp(p.it[j].s, p.it[i].s, p.it[j].len) &&
					 (p.it[j].len < p.it[i].len || j < i);
			if (longer)
				continue;
			(*lits)[*n].s = xstrndup(p.it[i].s, p.it[i].len);
			(*lits)[(*n)++].word_start = true;
		}
	}
	free(p.it);
	return ok;
}

/* ---- the filter ---- */

/* Values are the literal's bytes as a 64-bit load sees them, so the scan
 * compares without copying; masks keep the first k bytes on any byte
 * order. Length PF_PREFIX (its own multiplier) holds the first four
 * bytes of every literal of more than 4 bytes, apart from length 4, so
 * that a word start that merely begins a longer literal is not looked up
 * as one of 4 bytes. */

static inline uint64_t load8(const unsigned char *t, size_t left)
{
	uint64_t w = 0;

	if (left >= 8)
		memcpy(&w, t, 8);	/* one load */
	else
		memcpy(&w, t, left);
	return w;
}

static inline uint32_t bit_hash(const struct cls_prefilter *pf, unsigned k,
				uint64_t v)
{
	return (uint32_t)((v * pf->mul[k]) >> pf->shift);
}

static inline bool has_bit(const struct cls_prefilter *pf, unsigned k,
			   uint64_t v)
{
	uint32_t h = bit_hash(pf, k, v);

	return pf->bits[h / 64] >> (h % 64) & 1;
}

static size_t slot_hash(uint64_t v, unsigned len, bool start, size_t mask)
{
	return (size_t)(((v ^ ((uint64_t)(len * 2 + start) << 56)) *
			 0xff51afd7ed558ccdull) >> 40) & mask;
}

void pf_release(struct cls_prefilter *pf)
{
	free(pf->bits);
	free(pf->lit);
	free(pf->pats);
	free(pf->slot);
	free(pf->found);
	free(pf->pat);
	free(pf->need);
	free(pf->late);
	free(pf->late_at);
	free(pf->late_first);
	memset(pf, 0, sizeof(*pf));
}

/* The literal (value v of len bytes), added if new; returns its index. */
static uint32_t lit_of(struct cls_prefilter *pf, uint64_t v, unsigned len,
		       bool start)
{
	size_t i;

	for (i = slot_hash(v, len, start, pf->mask); pf->slot[i].lit;
	     i = (i + 1) & pf->mask) {
		const struct cls_pf_lit *l = &pf->lit[pf->slot[i].lit - 1];

		if (l->v == v && l->len == len && l->start == start)
			return pf->slot[i].lit - 1;
	}
	pf->lit[pf->n].v = v;
	pf->lit[pf->n].len = (uint8_t)len;
	pf->lit[pf->n].start = start;
	pf->lit[pf->n].first = UINT32_MAX;
	pf->slot[i].lit = (uint32_t)++pf->n;
	return (uint32_t)(pf->n - 1);
}

static void set_bit(struct cls_prefilter *pf, unsigned k, uint64_t v)
{
	uint32_t h = bit_hash(pf, k, v);

	pf->bits[h / 64] |= 1ull << (h % 64);
}

/* The literals again, for confirm: each in one slot with all it needs,
 * its patterns after one another, so that a literal found costs two
 * loads that miss the cache, not a chain of them. */
static void found_build(struct cls_prefilter *pf)
{
	size_t nslots = 64;
	uint32_t at = 0;

	while (nslots < pf->n + pf->n / 2)
		nslots *= 2;
	pf->found = xcalloc(nslots, sizeof(*pf->found));
	pf->found_mask = nslots - 1;
	pf->pat = xcalloc(pf->npats + 1, sizeof(*pf->pat));
	for (size_t l = 0; l < pf->n; l++) {
		const struct cls_pf_lit *lit = &pf->lit[l];
		struct cls_pf_found *f;
		size_t i;

		for (i = slot_hash(lit->v, lit->len, lit->start, pf->found_mask);
		     pf->found[i].len; i = (i + 1) & pf->found_mask)
			;
		f = &pf->found[i];
		f->v = lit->v;
		f->len = lit->len;
		f->start = lit->start;
		f->at = at;
		for (uint32_t p = lit->first; p != UINT32_MAX; p = pf->pats[p].next) {
			pf->pat[at].pat = pf->pats[p].pat;
			pf->pat[at++].bit = pf->pats[p].bit;
		}
		f->n = (uint16_t)(at - f->at);
	}
}

void pf_build(struct cls_prefilter *pf, const struct cls_req_lit *lits,
	      const uint32_t *ids, size_t n, size_t n_pats)
{
	size_t nslots = 64, count = 0;
	unsigned lg = 6;	/* one word of zeros when none */

	memset(pf, 0, sizeof(*pf));
	for (unsigned k = 1; k <= PF_MAXLEN; k++) {
		unsigned char ones[8] = { 0 };

		memset(ones, 0xff, k);
		memcpy(&pf->lenmask[k], ones, 8);
	}
	for (unsigned b = 0; b < 256; b++)
		pf->word[b] = word_byte((unsigned char)b);
	while (nslots < n * 2)
		nslots *= 2;
	pf->slot = xcalloc(nslots, sizeof(*pf->slot));
	pf->mask = nslots - 1;
	pf->lit = xcalloc(n + 1, sizeof(*pf->lit));
	pf->pats = xcalloc(n + 1, sizeof(*pf->pats));
	pf->need = xcalloc(n_pats + 1, sizeof(*pf->need));
	pf->n_pats = n_pats;
	pf->late_at = xcalloc(n_pats + 2, sizeof(*pf->late_at));
	for (size_t i = 0; i < n; i++)
		if (lits[i].late && ids[i] < n_pats)
			pf->late_at[ids[i] + 2]++;
	for (size_t p = 2; p < n_pats + 2; p++)
		pf->late_at[p] += pf->late_at[p - 1];
	pf->late = xcalloc(pf->late_at[n_pats + 1] + 1, sizeof(*pf->late));
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(lits[i].s);
		uint32_t l;

		if (!len || len > PF_MAXLEN || ids[i] >= n_pats)
			continue;	/* cls_literals never gives these */
		if (lits[i].late) {
			struct cls_pf_late *lt = &pf->late[pf->late_at[ids[i] + 1]++];

			lt->v = load8((const unsigned char *)lits[i].s, len);
			lt->len = (uint8_t)len;
			lt->conj = lits[i].conj;
			lt->start = lits[i].word_start;
			continue;
		}
		l = lit_of(pf, load8((const unsigned char *)lits[i].s, len),
			   (unsigned)len, lits[i].word_start);
		pf->pats[pf->npats].pat = ids[i];
		pf->pats[pf->npats].bit = (uint8_t)(1u << lits[i].conj);
		pf->pats[pf->npats].next = pf->lit[l].first;
		pf->lit[l].first = (uint32_t)pf->npats++;
		pf->need[ids[i]] |= (uint8_t)(1u << lits[i].conj);
	}
	for (size_t l = 0; l < pf->n; l++) {
		const struct cls_pf_lit *lit = &pf->lit[l];

		if (!lit->start) {
			unsigned char first;

			memcpy(&first, &lit->v, 1);	/* on any byte order */
			pf->any_first[first] |= (uint16_t)(1u << lit->len);
			pf->n_any++;
			continue;
		}
		count++;
		if (lit->len > 4)
			count++;	/* its first four bytes */
		pf->lens |= 1u << lit->len;
	}
	pf->late_first = xcalloc(pf->late_at[n_pats + 1] + 1, sizeof(*pf->late_first));
	for (size_t p = 0; p < n_pats; p++)
		for (uint32_t a = pf->late_at[p], i = a; i < pf->late_at[p + 1]; i++) {
			unsigned char first;

			if (pf->late[i].conj != pf->late[a].conj)
				a = i;	/* the next set */
			memcpy(&first, &pf->late[i].v, 1);	/* any byte order */
			pf->late_first[a].b[first / 64] |= 1ull << (first % 64);
		}
	for (unsigned b = 0; b < 256; b++) {
		if (!pf->any_first[b])
			continue;
		if (pf->n_any_bytes == sizeof(pf->any_byte)) {
			pf->n_any_bytes = 0;	/* too many: byte by byte */
			break;
		}
		pf->any_byte[pf->n_any_bytes++] = (uint8_t)b;
	}
	/* 32 bits per value, as many as nine tables of at most 2^18 had */
	while (count && lg < 21 && (1ull << lg) < count * 32)
		lg++;
	pf->bits = xcalloc((1ull << lg) / 64, sizeof(uint64_t));
	pf->shift = 64 - lg;
	for (unsigned k = 0; k <= PF_PREFIX; k++)	/* odd, and apart */
		pf->mul[k] = 0x9e3779b97f4a7c15ull + 0x5851f42d4c957f2eull * k;
	for (size_t l = 0; l < pf->n; l++) {
		const struct cls_pf_lit *lit = &pf->lit[l];

		if (!lit->start)
			continue;
		set_bit(pf, lit->len, lit->v);
		if (lit->len > 4)
			set_bit(pf, PF_PREFIX, lit->v & pf->lenmask[4]);
	}
	found_build(pf);
}

/* Where this side's literal of length k is in the text (value v), mark
 * the patterns it proves. */
static void confirm(const struct cls_prefilter *pf, bool start, unsigned k,
		    uint64_t v, uint8_t *got, uint64_t *cand)
{
	for (size_t i = slot_hash(v, k, start, pf->found_mask); pf->found[i].len;
	     i = (i + 1) & pf->found_mask) {
		const struct cls_pf_found *f = &pf->found[i];

		if (f->v != v || f->len != k || f->start != start)
			continue;
		for (uint32_t p = f->at; p < f->at + f->n; p++) {
			uint32_t pat = pf->pat[p].pat;

			got[pat] |= pf->pat[p].bit;
			if (got[pat] == pf->need[pat])
				cand[pat / 64] |= 1ull << (pat % 64);
		}
		return;
	}
}

/* The word-start literals at t (left bytes on). Every length is tested,
 * without branches: their outcomes are too random to predict (four in ten
 * word starts begin some longer literal, "the " of "the worl"), while all
 * of them together usually fail. Lengths 5-8 count only where the first
 * four bytes begin such a literal. */
static void probe_start(const struct cls_prefilter *pf, const unsigned char *t,
			size_t left, uint8_t *got, uint64_t *cand)
{
	uint64_t w = load8(t, left);
	unsigned pre = has_bit(pf, PF_PREFIX, w & pf->lenmask[4]), hit = 0;

	/* the lengths no literal has are left out: the same for every start,
	 * so those branches are always foreseen */
#pragma GCC unroll 4
	for (unsigned k = 1; k <= 4; k++)
		if (pf->lens >> k & 1)
			hit |= (unsigned)has_bit(pf, k, w & pf->lenmask[k]) << k;
#pragma GCC unroll 4
	for (unsigned k = 5; k <= PF_MAXLEN; k++)
		if (pf->lens >> k & 1)
			hit |= ((unsigned)has_bit(pf, k, w & pf->lenmask[k]) & pre) << k;
	if (__builtin_expect(!hit, 1))
		return;
	for (; hit; hit &= hit - 1) {
		unsigned k = (unsigned)__builtin_ctz(hit);

		confirm(pf, true, k, w & pf->lenmask[k], got, cand);
	}
}

/* The literals found anywhere that may start at t[i]. */
static void any_at(const struct cls_prefilter *pf, const unsigned char *t,
		   size_t len, size_t i, uint8_t *got, uint64_t *cand)
{
	for (unsigned any = pf->any_first[t[i]]; any; any &= any - 1) {
		unsigned k = (unsigned)__builtin_ctz(any);

		if (k <= len - i)
			confirm(pf, false, k,
				load8(t + i, len - i) & pf->lenmask[k], got, cand);
	}
}

/* Is a literal of late[a, b) (one set) at t (left bytes on)? */
static bool late_at(const struct cls_prefilter *pf, uint32_t a, uint32_t b,
		    bool start, const unsigned char *t, size_t left)
{
	uint64_t w = load8(t, left);

	for (uint32_t i = a; i < b; i++) {
		const struct cls_pf_late *lt = &pf->late[i];

		if (lt->start == start && lt->len <= left &&
		    (w & pf->lenmask[lt->len]) == lt->v)
			return true;
	}
	return false;
}

/* Are the late sets of pattern p in t too? starts: the n word starts.
 * Set by set, so that the first one missing ends it. */
static bool late_ok(const struct cls_prefilter *pf, size_t p,
		    const unsigned char *t, size_t len, const uint32_t *starts,
		    size_t n)
{
	for (uint32_t a = pf->late_at[p], b; a < pf->late_at[p + 1]; a = b) {
		const uint64_t *first = pf->late_first[a].b;
		bool found = false, anywhere = false;

		for (b = a; b < pf->late_at[p + 1] &&
			    pf->late[b].conj == pf->late[a].conj; b++)
			anywhere |= !pf->late[b].start;
		for (size_t k = 0; k < n && !found; k++) {
			unsigned char c = t[starts[k]];

			if (first[c / 64] >> (c % 64) & 1)
				found = late_at(pf, a, b, true, t + starts[k],
						len - starts[k]);
		}
		for (size_t j = 0; anywhere && j < len && !found; j++)
			if (first[t[j] / 64] >> (t[j] % 64) & 1)
				found = late_at(pf, a, b, false, t + j, len - j);
		if (!found)
			return false;
	}
	return true;
}

void pf_scan(const struct cls_prefilter *pf, const char *text, size_t len,
	     bool ascii, const uint32_t *starts, size_t n, uint8_t *got,
	     uint64_t *cand)
{
	const unsigned char *t = (const unsigned char *)text;
	size_t i;

	if (!pf->n)
		return;
	memset(got, 0, pf->n_pats);
	for (size_t k = 0; k < n; k++)
		probe_start(pf, t + starts[k], len - starts[k], got, cand);
	if (pf->n_any_bytes) {
		/* few first bytes, usually absent: memchr skips to them */
		for (unsigned b = 0; b < pf->n_any_bytes; b++) {
			const unsigned char *p = t, *end = t + len;

			if (ascii && pf->any_byte[b] >= 0x80)
				continue;	/* an emoji's first byte, say */
			while ((p = memchr(p, pf->any_byte[b], (size_t)(end - p)))) {
				any_at(pf, t, len, (size_t)(p - t), got, cand);
				p++;
			}
		}
	} else if (pf->n_any) {
		for (i = 0; i < len; i++)
			if (pf->any_first[t[i]])
				any_at(pf, t, len, i, got, cand);
	}
	for (size_t w = 0; w <= pf->n_pats / 64; w++)
		for (uint64_t bits = cand[w]; bits; bits &= bits - 1) {
			size_t p = w * 64 + (size_t)__builtin_ctzll(bits);

			if (pf->late_at[p] != pf->late_at[p + 1] &&
			    !late_ok(pf, p, t, len, starts, n))
				cand[w] &= ~(1ull << (p % 64));
		}
}

/* ---- the starts of one pattern ---- */

static int by_first(const void *a, const void *b)
{
	const struct cls_req_lit *x = a, *y = b;

	return (int)(unsigned char)x->s[0] - (int)(unsigned char)y->s[0];
}

/* Bits set in x: SWAR, as the build has no popcount instruction. */
static inline unsigned bits_in(uint64_t x)
{
	x -= (x >> 1) & 0x5555555555555555ull;
	x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
	x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
	return (unsigned)((x * 0x0101010101010101ull) >> 56);
}

void pf_starts_build(struct cls_starts *s, const struct cls_req_lit *lits,
		     size_t n)
{
	struct cls_req_lit *l = xcalloc(n + 1, sizeof(*l));
	unsigned char ones[8];
	unsigned r = 0;

	memset(s, 0, sizeof(*s));
	memcpy(l, lits, n * sizeof(*l));
	qsort(l, n, sizeof(*l), by_first);
	s->lit = xcalloc(n + 1, sizeof(*s->lit));
	s->at = xcalloc(n + 2, sizeof(*s->at));
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)l[i].s[0];
		size_t len = strlen(l[i].s);

		if (!(s->first[c / 64] >> (c % 64) & 1)) {
			s->first[c / 64] |= 1ull << (c % 64);
			s->at[r++] = (uint16_t)i;
		}
		for (unsigned b = 0; b < 256; b++) {
			unsigned h = starts_pair(c, len > 1 ? (unsigned char)l[i].s[1] :
						 (unsigned char)b);

			s->pair[h / 64] |= 1ull << (h % 64);
			if (len > 1)
				break;
		}
		memset(ones, 0, sizeof(ones));
		memset(ones, 0xff, len);
		memcpy(&s->lit[i].mask, ones, 8);	/* on any byte order */
		s->lit[i].v = load8((const unsigned char *)l[i].s, len);
		s->lit[i].len = (uint8_t)len;
	}
	s->at[r] = (uint16_t)n;
	s->n = n;
	for (unsigned w = 1; w < 4; w++)
		s->below[w] = (uint16_t)(s->below[w - 1] + bits_in(s->first[w - 1]));
	free(l);
}

void pf_starts_release(struct cls_starts *s)
{
	free(s->lit);
	free(s->at);
	memset(s, 0, sizeof(*s));
}

bool pf_starts_at(const struct cls_starts *s, const char *t, size_t left)
{
	unsigned char c = (unsigned char)t[0];
	uint64_t w;
	unsigned r;

	if (!(s->first[c / 64] >> (c % 64) & 1))
		return false;
	w = load8((const unsigned char *)t, left);
	r = s->below[c / 64] + bits_in(s->first[c / 64] & ((1ull << (c % 64)) - 1));
	for (unsigned i = s->at[r]; i < s->at[r + 1]; i++)
		if (s->lit[i].len <= left && (w & s->lit[i].mask) == s->lit[i].v)
			return true;
	return false;
}
