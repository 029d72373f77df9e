/* rules.c: the brand-care rules: the parser of rule files (format in
 * classifier/data/brandcare.rules), their compilation with pcre2 and JIT,
 * and running them on a mention's folded text behind the prefilter.
 * A rule sets topics and urgency, adds valence, flips sarcastic praise,
 * marks spam, or says a mention needs no reply. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "classify_int.h"
#include "heed/xalloc.h"

/* Folded text is lower case, so patterns are matched as written (checked
 * to be lower case); Unicode \b and \w only for patterns that need them. */
#define PCRE_OPTS PCRE2_UTF

struct rparse {
	struct heed_classifier *c;
	const char *name;
	uint32_t file_no;
	unsigned line;
	struct heed_err *err;
	struct cls_rule *cur;	/* rule taking match/unless lines */
	unsigned cur_line;
};

static int fail(struct rparse *rp, const char *fmt, const char *a,
		const char *b)
{
	return heed_err_set(rp->err, HEED_EPARSE, "%s:%u: %s%s%s", rp->name,
			    rp->line, fmt, a ? a : "", b ? b : "");
}

static bool name_ok(const char *s, size_t n, const char *extra)
{
	if (!n || n > 64)
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
		      ch == '_' || strchr(extra, ch)) || !ch)
			return false;
	}
	return true;
}

int rules_topic(const struct heed_classifier *c, const char *name, size_t len)
{
	for (size_t i = 0; i < c->n_topics; i++)
		if (strlen(c->topic[i]) == len && !memcmp(c->topic[i], name, len))
			return (int)i;
	return -1;
}

static uint32_t group_of(struct heed_classifier *c, const char *name,
			 size_t len)
{
	for (size_t i = 0; i < c->n_groups; i++)
		if (strlen(c->groups[i]) == len && !memcmp(c->groups[i], name, len))
			return (uint32_t)i;
	c->groups = xreallocarray(c->groups, c->n_groups + 1, sizeof(*c->groups));
	c->groups[c->n_groups] = xstrndup(name, len);
	return (uint32_t)c->n_groups++;
}

static struct cls_rule *find_rule(struct heed_classifier *c, const char *name,
				  size_t len)
{
	for (size_t i = c->n_rules; i-- > 0;) {
		struct cls_rule *r = &c->rules[i];

		if (!r->disabled && strlen(r->name) == len &&
		    !memcmp(r->name, name, len))
			return r;
	}
	return NULL;
}

/* Next whitespace-separated word of [*p, end). */
static bool next_word(const char **p, const char *end, const char **w,
		      size_t *n)
{
	const char *s = *p;

	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	if (s >= end)
		return false;
	*w = s;
	while (s < end && *s != ' ' && *s != '\t')
		s++;
	*n = (size_t)(s - *w);
	*p = s;
	return true;
}

static int check_done(struct rparse *rp)
{
	unsigned line = rp->line;
	int rc = HEED_OK;

	if (rp->cur && !rp->cur->n_match) {
		rp->line = rp->cur_line;
		rc = fail(rp, "rule '", rp->cur->name, "' has no match line");
		rp->line = line;
	}
	rp->cur = NULL;
	return rc;
}

static int topic_line(struct rparse *rp, const char *p, const char *end)
{
	struct heed_classifier *c = rp->c;
	const char *w;
	size_t n;
	int t;

	if (!next_word(&p, end, &w, &n) || !name_ok(w, n, "-"))
		return fail(rp, "topic needs a name of a-z, 0-9, '_' or '-'", NULL, NULL);
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	t = rules_topic(c, w, n);
	if (t >= 0 && c->topic_file[t] == rp->file_no)
		return fail(rp, "topic '", c->topic[t], "' declared twice");
	if (t < 0) {
		if (c->n_topics == CLS_MAX_TOPICS)
			return fail(rp, "more than 64 topics", NULL, NULL);
		t = (int)c->n_topics++;
		c->topic[t] = xstrndup(w, n);
	}
	free(c->topic_help[t]);
	c->topic_help[t] = xstrndup(p, (size_t)(end - p));
	c->topic_file[t] = rp->file_no;
	return HEED_OK;
}

static int number(const char *s, size_t n, double lo, double hi, double *out)
{
	char buf[32], *e;
	double d;

	if (!n || n >= sizeof(buf))
		return HEED_EPARSE;
	memcpy(buf, s, n);
	buf[n] = '\0';
	errno = 0;
	d = strtod(buf, &e);
	if (errno || *e || e == buf || !isfinite(d) || d < lo || d > hi)
		return HEED_EPARSE;
	*out = d;
	return HEED_OK;
}

static int attribute(struct rparse *rp, struct cls_rule *r, const char *w,
		     size_t n, bool *group_set)
{
	const char *eq = memchr(w, '=', n), *v;
	size_t kn = eq ? (size_t)(eq - w) : n, vn;
	double d;

	v = eq ? eq + 1 : w + n;
	vn = (size_t)(w + n - v);
#define KEY(s) (kn == strlen(s) && !memcmp(w, s, kn))
	if (KEY("topic") && vn) {
		while (vn) {
			const char *comma = memchr(v, ',', vn);
			size_t tn = comma ? (size_t)(comma - v) : vn;
			int t;

			t = rules_topic(rp->c, v, tn);
			if (t < 0) {
				char tmp[72];

				snprintf(tmp, sizeof(tmp), "%.*s", (int)(tn > 64 ? 64 : tn), v);
				return fail(rp, "unknown topic '", tmp,
					    "' (declare it with a 'topic' line first)");
			}
			r->topics |= 1ull << t;
			if (!*group_set) {
				r->group = group_of(rp->c, v, tn);
				*group_set = true;
			}
			v += tn;
			vn -= tn;
			if (vn) {
				v++;
				vn--;
			}
		}
	} else if (KEY("urgency") && !number(v, vn, -100, 100, &d) && d == floor(d)) {
		r->urgency = (int)d;
	} else if (KEY("min_urgency") && !number(v, vn, 0, 100, &d) && d == floor(d)) {
		r->min_urgency = (int)d;
	} else if (KEY("valence") && !number(v, vn, -4, 4, &d)) {
		r->valence = d;
	} else if (KEY("group") && name_ok(v, vn, "-.")) {
		r->group = group_of(rp->c, v, vn);
		*group_set = true;
	} else if (KEY("flip") && !eq) {
		r->flags |= RULE_FLIP;
	} else if (KEY("flip") && vn == 3 && !memcmp(v, "all", 3)) {
		r->flags |= RULE_FLIP_ALL;
	} else if (KEY("spam") && !eq) {
		r->flags |= RULE_SPAM;
	} else if (KEY("reply") && vn == 2 && !memcmp(v, "no", 2)) {
		r->flags |= RULE_NO_REPLY;
	} else {
		char tmp[72];

		snprintf(tmp, sizeof(tmp), "%.*s", (int)(n > 64 ? 64 : n), w);
		return fail(rp, "bad attribute '", tmp,
			    "' (topic=, urgency=-100..100, min_urgency=0..100, valence=-4..4, group=, flip, flip=all, spam, reply=no)");
	}
#undef KEY
	return HEED_OK;
}

static int rule_line(struct rparse *rp, const char *p, const char *end)
{
	struct heed_classifier *c = rp->c;
	struct cls_rule *r, *old;
	bool group_set = false;
	const char *w;
	size_t n;
	int rc;

	if (!next_word(&p, end, &w, &n) || !name_ok(w, n, "-."))
		return fail(rp, "rule needs a name of a-z, 0-9, '_', '-' or '.'", NULL, NULL);
	old = find_rule(c, w, n);
	if (old && old->file_no == rp->file_no)
		return fail(rp, "rule '", old->name, "' defined twice in this file");
	if (old)
		old->disabled = true;	/* a later file replaces it */
	c->rules = xreallocarray(c->rules, c->n_rules + 1, sizeof(*c->rules));
	r = &c->rules[c->n_rules++];
	memset(r, 0, sizeof(*r));
	r->name = xstrndup(w, n);
	r->file = c->files[rp->file_no];
	r->file_no = rp->file_no;
	r->line = rp->line;
	rp->cur = r;
	rp->cur_line = rp->line;
	while (next_word(&p, end, &w, &n)) {
		rc = attribute(rp, r, w, n, &group_set);
		if (rc)
			return rc;
	}
	if (!group_set)
		r->group = group_of(c, r->name, strlen(r->name));
	return HEED_OK;
}

/* Skip what may hold upper case in a pattern: the letter after a
 * backslash, the braces of \p{..}, \x{..}, \g{..}, group names, verbs. */
static size_t skip_syntax(const char *pat, size_t len, size_t i)
{
	const char *close = NULL;

	if (pat[i] == '\\' && i + 1 < len) {
		if (i + 2 < len && strchr("pPxoNgk", pat[i + 1]) && pat[i + 1] &&
		    (pat[i + 2] == '{' || pat[i + 2] == '<' || pat[i + 2] == '\''))
			close = pat[i + 2] == '{' ? "}" : pat[i + 2] == '<' ? ">" : "'";
		else
			return i + 2;
	} else if (pat[i] == '(' && i + 2 < len &&
		   ((pat[i + 1] == '?' && strchr("<P'", pat[i + 2]) && pat[i + 2]) ||
		    pat[i + 1] == '*')) {
		close = pat[i + 1] == '*' ? ")" : pat[i + 2] == '\'' ? "'" : ">";
	} else {
		return i;
	}
	for (i += 2; i < len && pat[i] != close[0]; i++)
		;
	return i < len ? i + 1 : len;
}

/* Folded text never holds upper case or accents: a pattern that does can
 * never match there, so say so. */
static int check_folded(struct rparse *rp, const char *pat, size_t len)
{
	for (size_t i = 0; i < len;) {
		unsigned char b = (unsigned char)pat[i];
		size_t n = b < 0xc0 ? 1 : b < 0xe0 ? 2 : b < 0xf0 ? 3 : 4, flen;
		size_t k = skip_syntax(pat, len, i);
		char *f;

		if (k != i) {
			i = k;
			continue;
		}
		if (b >= 'A' && b <= 'Z') {
			char tmp[2] = { (char)b, '\0' };

			return fail(rp, "pattern has '", tmp,
				    "', which folded text never has (write patterns in lower case)");
		}
		if (b < 0x80 || i + n > len) {
			i += 1;
			continue;
		}
		f = cls_fold_string(pat + i, n, &flen);
		if (flen != n || memcmp(f, pat + i, n)) {
			char tmp[8];

			snprintf(tmp, sizeof(tmp), "%.*s", (int)n, pat + i);
			free(f);
			return fail(rp, "pattern has '", tmp,
				    "', which folded text never has (write it without accents, in lower case)");
		}
		free(f);
		i += n;
	}
	return HEED_OK;
}

/* Where the matches of the pattern can only start at a few word starts,
 * a copy compiled anchored tries it at each of those alone: most texts
 * that hold a literal of a pattern do not match it, and finding that out
 * at one place costs far less than scanning the whole text. */
static void anchor(struct cls_pattern *pat, const char *p, size_t len,
		   uint32_t opts)
{
	struct cls_req_lit *lits;
	PCRE2_SIZE off;
	size_t n;
	int ec;

	pat->anchored = NULL;
	pat->starts = NULL;
	if (!cls_prefixes(p, len, &lits, &n))
		return;
	pat->anchored = pcre2_compile((PCRE2_SPTR)p, len, opts | PCRE2_ANCHORED,
				      &ec, &off, NULL);
	if (pat->anchored) {
		pcre2_jit_compile(pat->anchored, PCRE2_JIT_COMPLETE);
		pat->starts = xcalloc(1, sizeof(*pat->starts));
		pf_starts_build(pat->starts, lits, n);
	}
	cls_literals_free(lits, n);
}

static int pattern_line(struct rparse *rp, const char *p, const char *end,
			bool unless)
{
	struct heed_classifier *c = rp->c;
	struct cls_rule *r = rp->cur;
	PCRE2_UCHAR msg[160];
	PCRE2_SIZE off;
	pcre2_match_data *md;
	pcre2_code *code;
	uint32_t ucp = 0;
	int ec, rc;

	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (!r)
		return fail(rp, unless ? "'unless'" : "'match'",
			    " before any 'rule' line", NULL);
	if (p == end)
		return fail(rp, "empty pattern", NULL, NULL);
	rc = check_folded(rp, p, (size_t)(end - p));
	if (rc)
		return rc;
	for (const char *q = p; q < end; q++)
		if ((unsigned char)*q >= 0x80)
			ucp = PCRE2_UCP;
	code = pcre2_compile((PCRE2_SPTR)p, (size_t)(end - p), PCRE_OPTS | ucp, &ec,
			     &off, NULL);
	if (!code) {
		pcre2_get_error_message(ec, msg, sizeof(msg));
		return heed_err_set(rp->err, HEED_EPARSE,
				    "%s:%u: rule '%s': bad pattern: %s at offset %zu",
				    rp->name, rp->line, r->name,
				    (const char *)msg, (size_t)off);
	}
	md = pcre2_match_data_create(1, NULL);
	rc = pcre2_match(code, (PCRE2_SPTR)"", 0, 0, 0, md, NULL);
	pcre2_match_data_free(md);
	if (rc >= 0) {
		pcre2_code_free(code);
		return fail(rp, "pattern matches empty text, so it would fire on every mention", NULL, NULL);
	}
	pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
	c->pats = xreallocarray(c->pats, c->n_pats + 1, sizeof(*c->pats));
	anchor(&c->pats[c->n_pats], p, (size_t)(end - p), PCRE_OPTS | ucp);
	c->pats[c->n_pats].code = code;
	c->pats[c->n_pats].rule = (uint32_t)(r - c->rules);
	c->pats[c->n_pats].unless = unless;
	c->pats[c->n_pats].always = false;
	c->pats[c->n_pats].src = xstrndup(p, (size_t)(end - p));
	if (unless) {
		r->unless = xreallocarray(r->unless, r->n_unless + 1, sizeof(*r->unless));
		r->unless[r->n_unless++] = (uint32_t)c->n_pats;
	} else {
		r->match = xreallocarray(r->match, r->n_match + 1, sizeof(*r->match));
		r->match[r->n_match++] = (uint32_t)c->n_pats;
	}
	c->n_pats++;
	return HEED_OK;
}

static int disable_line(struct rparse *rp, const char *p, const char *end)
{
	struct cls_rule *r;
	const char *w;
	size_t n;

	if (!next_word(&p, end, &w, &n))
		return fail(rp, "disable needs a rule name", NULL, NULL);
	r = find_rule(rp->c, w, n);
	if (!r) {
		char tmp[72];

		snprintf(tmp, sizeof(tmp), "%.*s", (int)(n > 64 ? 64 : n), w);
		return fail(rp, "no rule '", tmp, "' to disable");
	}
	r->disabled = true;
	return HEED_OK;
}

int rules_parse(struct heed_classifier *c, const char *name, const char *text,
		size_t len, struct heed_err *err)
{
	struct rparse rp = { c, name, 0, 0, err, NULL, 0 };
	const char *p = text, *end = text + len;
	/* the first NUL byte, if any: the line holding it is refused (it
	 * cannot be in the blanks cut from a line's end) */
	const char *nul = len ? memchr(text, '\0', len) : NULL;
	int rc = HEED_OK;

	c->files = xreallocarray(c->files, c->n_files + 1, sizeof(*c->files));
	c->files[c->n_files] = xstrdup(name);
	rp.file_no = (uint32_t)c->n_files++;
	while (p < end && !rc) {
		const char *eol = memchr(p, '\n', (size_t)(end - p)), *line = p;
		const char *le, *w;
		size_t n;

		if (!eol)
			eol = end;
		p = eol < end ? eol + 1 : end;
		rp.line++;
		le = eol;
		while (le > line && (le[-1] == '\r' || le[-1] == ' ' || le[-1] == '\t'))
			le--;
		if (nul && nul < eol) {
			rc = fail(&rp, "NUL byte in line", NULL, NULL);
			break;
		}
		if (!next_word(&line, le, &w, &n) || w[0] == '#')
			continue;
#define IS(s) (n == strlen(s) && !memcmp(w, s, n))
		if (IS("topic"))
			rc = check_done(&rp) ? HEED_EPARSE : topic_line(&rp, line, le);
		else if (IS("rule"))
			rc = check_done(&rp) ? HEED_EPARSE : rule_line(&rp, line, le);
		else if (IS("match"))
			rc = pattern_line(&rp, line, le, false);
		else if (IS("unless"))
			rc = pattern_line(&rp, line, le, true);
		else if (IS("disable"))
			rc = check_done(&rp) ? HEED_EPARSE : disable_line(&rp, line, le);
		else
			rc = fail(&rp, "unknown keyword (expected topic, rule, match, unless or disable)",
				  NULL, NULL);
#undef IS
	}
	if (!rc)
		rc = check_done(&rp);
	return rc;
}

void rules_finish(struct heed_classifier *c)
{
	struct cls_req_lit *lits = NULL;
	uint32_t *ids = NULL;
	size_t n = 0;

	free(c->always);
	c->always = NULL;
	c->n_always = 0;
	for (size_t p = 0; p < c->n_pats; p++) {
		struct cls_pattern *pat = &c->pats[p];
		struct cls_req_lit *l;
		size_t k;

		if (pat->unless || c->rules[pat->rule].disabled)
			continue;
		if (!cls_literals(pat->src, strlen(pat->src), &l, &k)) {
			pat->always = true;
			c->always = xreallocarray(c->always, c->n_always + 1,
						  sizeof(*c->always));
			c->always[c->n_always++] = (uint32_t)p;
			continue;
		}
		lits = xreallocarray(lits, n + k, sizeof(*lits));
		ids = xreallocarray(ids, n + k, sizeof(*ids));
		for (size_t i = 0; i < k; i++) {
			/* a late set costs a pass over the word starts,
			 * as much as the anchored tries it would spare */
			if (l[i].late && pat->starts) {
				free(l[i].s);
				continue;
			}
			lits[n] = l[i];
			ids[n++] = (uint32_t)p;
		}
		free(l);
	}
	if (!c->pf)
		c->pf = xcalloc(1, sizeof(*c->pf));
	pf_release(c->pf);
	pf_build(c->pf, lits, ids, n, c->n_pats);
	cls_literals_free(lits, n);
	free(ids);
	lex_sync(&c->lex);
}

void rules_release(struct heed_classifier *c)
{
	for (size_t i = 0; i < c->n_pats; i++) {
		pcre2_code_free(c->pats[i].code);
		pcre2_code_free(c->pats[i].anchored);
		if (c->pats[i].starts)
			pf_starts_release(c->pats[i].starts);
		free(c->pats[i].starts);
		free(c->pats[i].src);
	}
	for (size_t i = 0; i < c->n_rules; i++) {
		free(c->rules[i].name);
		free(c->rules[i].match);
		free(c->rules[i].unless);
	}
	for (size_t i = 0; i < c->n_files; i++)
		free(c->files[i]);
	for (size_t i = 0; i < c->n_groups; i++)
		free(c->groups[i]);
	for (size_t i = 0; i < c->n_topics; i++) {
		free(c->topic[i]);
		free(c->topic_help[i]);
	}
	free(c->pats);
	free(c->rules);
	free(c->files);
	free(c->groups);
	free(c->always);
	if (c->pf)
		pf_release(c->pf);
	free(c->pf);
}

/* ---- running ---- */

/* The first match of pat at or after from, tried at the word starts
 * where it can start: pcre2_match does the same when scanning, position
 * by position, so the match is the same. PCRE2_ERROR_NOMATCH when there
 * is none; any other error (a limit hit at one place) as it comes. */
static int match_starts(struct heed_classify_ctx *x,
			const struct cls_pattern *pat, size_t from)
{
	const uint32_t *st = x->starts;
	size_t k = 0;
	int rc;

	while (k < x->n_starts && st[k] < from)
		k++;
	for (; k < x->n_starts; k++) {
		if (!starts_maybe(pat->starts, x->rt + st[k]) ||
		    !pf_starts_at(pat->starts, x->rt + st[k], x->rt_len - st[k]))
			continue;
		rc = pcre2_match(pat->anchored, (PCRE2_SPTR)x->rt, x->rt_len, st[k],
				 PCRE2_NO_UTF_CHECK, x->md, x->mctx);
		if (rc != PCRE2_ERROR_NOMATCH)
			return rc;
	}
	return PCRE2_ERROR_NOMATCH;
}

static bool match(struct heed_classify_ctx *x, uint32_t p, size_t from,
		  size_t *s, size_t *e)
{
	const struct cls_pattern *pat = &x->c->pats[p];
	int rc = PCRE2_ERROR_NOMATCH;
	PCRE2_SIZE *ov;

	if (pat->starts && x->anchor)
		rc = match_starts(x, pat, from);
	/* a limit hit in one place: the whole scan decides, as it would */
	if (!pat->starts || !x->anchor ||
	    (rc < 0 && rc != PCRE2_ERROR_NOMATCH))
		rc = pcre2_match(pat->code, (PCRE2_SPTR)x->rt, x->rt_len, from,
				 PCRE2_NO_UTF_CHECK, x->md, x->mctx);
	if (rc < 0)
		return false;	/* no match, or a limit hit: no match either */
	ov = pcre2_get_ovector_pointer(x->md);
	*s = ov[0];
	*e = ov[1] > ov[0] ? ov[1] : ov[0];
	return true;
}

/* Mark the tokens inside every match of pattern p for a sarcasm flip. */
static void flip_matches(struct heed_classify_ctx *x, uint32_t p)
{
	size_t from = 0, s, e;

	while (from < x->rt_len && match(x, p, from, &s, &e)) {
		for (size_t i = 0; i < x->n_toks; i++) {
			struct cls_tok *t = &x->toks[i];

			if (t->key < e && t->key + t->klen > s)
				t->flags |= TF_FLIP;
		}
		from = e > s ? e : s + 1;
		while (from < x->rt_len && ((unsigned char)x->rt[from] & 0xc0) == 0x80)
			from++;
	}
}

static void try_rule(struct heed_classify_ctx *x, uint32_t ri)
{
	const struct cls_rule *r = &x->c->rules[ri];
	size_t s = 0, e = 0;
	uint32_t hit = UINT32_MAX;
	struct cls_hit *h;

	for (size_t k = 0; k < r->n_match; k++) {
		uint32_t p = r->match[k];

		if (!(x->cand[p / 64] >> (p % 64) & 1))
			continue;
		if (match(x, p, 0, &s, &e)) {
			hit = p;
			break;
		}
	}
	if (hit == UINT32_MAX)
		return;
	for (size_t k = 0; k < r->n_unless; k++) {
		size_t us, ue;

		if (match(x, r->unless[k], 0, &us, &ue))
			return;
	}
	if (r->flags & RULE_FLIP_ALL) {
		for (size_t i = 0; i < x->n_toks; i++)
			x->toks[i].flags |= TF_FLIP;
	} else if (r->flags & RULE_FLIP) {
		for (size_t k = 0; k < r->n_match; k++)
			if (x->cand[r->match[k] / 64] >> (r->match[k] % 64) & 1)
				flip_matches(x, r->match[k]);
	}
	if (x->n_hits == x->hits_alloc) {
		x->hits_alloc = x->hits_alloc ? x->hits_alloc * 2 : 16;
		x->hits = xreallocarray(x->hits, x->hits_alloc, sizeof(*x->hits));
	}
	h = &x->hits[x->n_hits++];
	h->rule = ri;
	h->start = (uint32_t)s;
	h->end = (uint32_t)e;
}

void rules_run(struct heed_classify_ctx *x)
{
	const struct heed_classifier *c = x->c;

	x->n_hits = 0;
	memset(x->cand, 0, x->cand_words * sizeof(*x->cand));
	memset(x->done, 0, x->done_words * sizeof(*x->done));
	x->anchor = !(c->flags & HEED_CLASSIFY_NO_PREFILTER);
	if (c->flags & HEED_CLASSIFY_NO_PREFILTER) {
		for (size_t p = 0; p < c->n_pats; p++)
			x->cand[p / 64] |= 1ull << (p % 64);
	} else {
		pf_scan(c->pf, x->rt, x->rt_len, x->ascii, x->starts, x->n_starts,
			x->got, x->cand);
		for (size_t k = 0; k < c->n_always; k++)
			x->cand[c->always[k] / 64] |= 1ull << (c->always[k] % 64);
	}
	/* rules in file order, so that reasons come out in a stable order */
	for (size_t w = 0; w < x->cand_words; w++) {
		uint64_t bits = x->cand[w];

		while (bits) {
			uint32_t p = (uint32_t)(w * 64 + (size_t)__builtin_ctzll(bits));
			uint32_t ri = c->pats[p].rule;

			bits &= bits - 1;
			if (c->pats[p].unless || c->rules[ri].disabled ||
			    (x->done[ri / 64] >> (ri % 64) & 1))
				continue;
			x->done[ri / 64] |= 1ull << (ri % 64);
			try_rule(x, ri);
		}
	}
}
