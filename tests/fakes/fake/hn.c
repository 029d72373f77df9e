/* hn.c: the fake Hacker News search (Algolia). search_by_date pages with
 * page/hitsPerPage, filters on tags and numericFilters, and, like the real
 * service, never reaches past the first 1000 hits of a query. Comment text
 * is HTML. There is no write endpoint. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "heed/xalloc.h"

#include "fake.h"

#define MAX_REACHABLE 1000

static void error_body(struct fake_server *s, struct fake_req *rq,
		       unsigned status, struct fake_resp *rs)
{
	(void)s;
	(void)rq;
	fake_resp_json(rs, status, json_pack("{s:s, s:i}", "message",
					     status == 429 ? "Too many requests" :
					     status >= 500 ? "Internal error" :
					     "Forbidden", "status", (int)status));
}

static int64_t story_of(struct fake_server *s, const struct fake_post *p)
{
	const struct fake_post *up = p, *next;
	size_t depth = 0;
	int64_t v;

	if (!p->comment)
		return p->num;
	if (p->thread) {
		next = fake_store_find(&s->store, FAKE_HN, p->thread);
		if (next)
			return next->num;
		if (fake_parse_u63(p->thread, &v))
			return v;
	}
	while (up->comment && up->reply_to && depth++ < 100) {
		next = fake_store_find(&s->store, FAKE_HN, up->reply_to);
		if (!next)
			return fake_parse_u63(up->reply_to, &v) ? v : 0;
		up = next;
	}
	return up->num;
}

/* Does tag term t ("story", "author_pg", "story_123") hold for p? */
static bool has_tag(struct fake_server *s, const struct fake_post *p,
		    const char *t, size_t len)
{
	char buf[128];

	snprintf(buf, sizeof(buf), "%.*s", (int)len, t);
	if (!strcmp(buf, "comment"))
		return p->comment;
	if (!strcmp(buf, "story"))
		return !p->comment;
	if (!strncmp(buf, "author_", 7))
		return !p->author->deleted && !strcasecmp(buf + 7, p->author->handle);
	if (!strncmp(buf, "story_", 6)) {
		int64_t v;

		return fake_parse_u63(buf + 6, &v) && story_of(s, p) == v;
	}
	if (!strcmp(buf, "ask_hn") || !strcmp(buf, "show_hn"))
		return !p->comment && p->title &&
		       fake_strcaseprefix(p->title, buf[0] == 'a' ? "Ask HN" : "Show HN");
	return false;	/* poll, pollopt, front_page: the fake has none */
}

/* tags: comma = AND, parentheses = OR. */
static bool tags_match(struct fake_server *s, const struct fake_post *p,
		       const char *tags)
{
	const char *c = tags;

	while (c && *c) {
		bool ok = false;

		if (*c == '(') {
			const char *close = strchr(c, ')');
			const char *t = c + 1;

			if (!close)
				return false;
			while (t < close) {
				const char *comma = memchr(t, ',', (size_t)(close - t));
				const char *end = comma ? comma : close;

				ok = ok || has_tag(s, p, t, (size_t)(end - t));
				t = end + 1;
			}
			c = close + 1;
		} else {
			const char *comma = strchr(c, ',');
			size_t len = comma ? (size_t)(comma - c) : strlen(c);

			ok = has_tag(s, p, c, len);
			c += len;
		}
		if (!ok)
			return false;
		if (*c == ',')
			c++;
	}
	return true;
}

struct numfilter {
	char attr[32];
	char op[3];
	double value;
};

/* "created_at_i>1700000000,created_at_i<1700086400"; false if malformed. */
static bool parse_filters(const char *s, struct numfilter *f, size_t max,
			  size_t *n)
{
	*n = 0;
	while (s && *s) {
		const char *comma = strchr(s, ',');
		size_t len = comma ? (size_t)(comma - s) : strlen(s);
		char term[96], *op, *end;

		if (*n == max || len >= sizeof(term))
			return false;
		snprintf(term, sizeof(term), "%.*s", (int)len, s);
		op = strpbrk(term, "<>=!");
		if (!op || op == term || (size_t)(op - term) >= sizeof(f->attr))
			return false;
		snprintf(f[*n].attr, sizeof(f[*n].attr), "%.*s", (int)(op - term), term);
		f[*n].op[0] = op[0];
		f[*n].op[1] = op[1] == '=' ? '=' : '\0';
		f[*n].op[2] = '\0';
		f[*n].value = strtod(op + (op[1] == '=' ? 2 : 1), &end);
		if (*end)
			return false;
		(*n)++;
		s = comma ? comma + 1 : NULL;
	}
	return true;
}

static bool filter_ok(const struct numfilter *f, const struct fake_post *p)
{
	double v;

	if (!strcmp(f->attr, "created_at_i"))
		v = (double)(p->created_ms / 1000);
	else if (!strcmp(f->attr, "points") || !strcmp(f->attr, "num_comments"))
	{
		if (p->comment)
			return false;	/* null on comments */
		v = !strcmp(f->attr, "points") ? 1 : 0;
	} else {
		return false;
	}
	if (!strcmp(f->op, ">"))
		return v > f->value;
	if (!strcmp(f->op, ">="))
		return v >= f->value;
	if (!strcmp(f->op, "<"))
		return v < f->value;
	if (!strcmp(f->op, "<="))
		return v <= f->value;
	if (!strcmp(f->op, "!="))
		return v != f->value;
	return v == f->value;
}

static json_t *hl(const char *v)
{
	return json_pack("{s:s, s:[], s:s}", "matchLevel", "none", "matchedWords",
			 "value", v ? v : "");
}

static json_t *hit_json(struct fake_server *s, const struct fake_post *p)
{
	char created[40], updated[40], *tag_author = NULL, *tag_story;
	int64_t story = story_of(s, p);
	const struct fake_post *sp = fake_store_find(&s->store, FAKE_HN,
						     p->thread ? p->thread : "");
	const char *author = p->author->deleted ? NULL : p->author->handle;
	json_t *o, *tags, *h;

	if (!sp && p->comment) {
		char *num = xasprintf("%lld", (long long)story);

		sp = fake_store_find(&s->store, FAKE_HN, num);
		free(num);
	}
	fake_iso_s(created, sizeof(created), p->created_ms);
	fake_iso_s(updated, sizeof(updated), p->created_ms + 600000);
	tag_story = xasprintf("story_%lld", (long long)story);
	tags = json_pack("[s]", p->comment ? "comment" : "story");
	if (author) {
		tag_author = xasprintf("author_%s", author);
		json_array_append_new(tags, json_string(tag_author));
	}
	json_array_append_new(tags, json_string(tag_story));
	o = json_pack("{s:o, s:s?, s:[], s:s, s:I, s:s, s:I, s:s}",
		      "_tags", tags, "author", author, "children",
		      "created_at", created,
		      "created_at_i", (json_int_t)(p->created_ms / 1000),
		      "objectID", p->native, "story_id", (json_int_t)story,
		      "updated_at", updated);
	h = json_pack("{s:o}", "author", hl(author));
	if (p->comment) {
		char *html = fake_hn_html(p->text);
		const struct fake_post *parent = p->reply_to ?
			fake_store_find(&s->store, FAKE_HN, p->reply_to) : NULL;
		int64_t pid = parent ? parent->num : story;

		if (!parent && p->reply_to)
			fake_parse_u63(p->reply_to, &pid);
		json_object_set_new(o, "comment_text", json_string(html));
		json_object_set_new(o, "parent_id", json_integer(pid));
		json_object_set_new(o, "story_title",
				    sp && sp->title ? json_string(sp->title) : json_null());
		json_object_set_new(o, "story_url", json_null());
		json_object_set_new(h, "comment_text", hl(html));
		free(html);
	} else {
		json_object_set_new(o, "title", json_string(p->title ? p->title : p->text));
		json_object_set_new(o, "points", json_integer(1));
		json_object_set_new(o, "num_comments", json_integer(0));
		if (p->title) {
			char *html = fake_hn_html(p->text);

			json_object_set_new(o, "story_text", json_string(html));
			free(html);
		}
		json_object_set_new(h, "title", hl(p->title ? p->title : p->text));
	}
	json_object_set_new(o, "_highlightResult", h);
	free(tag_author);
	free(tag_story);
	return o;
}

static int search(struct fake_server *s, struct fake_req *rq,
		  struct fake_resp *rs)
{
	const char *q = fake_arg(rq, "query"), *tags = fake_arg(rq, "tags");
	const char *nf = fake_arg(rq, "numericFilters");
	long page = fake_arg_long(rq, "page", 0, 0, 1000000);
	long hpp = fake_arg_long(rq, "hitsPerPage", 20, 0, 1000);
	struct fake_list *l = &s->store.lists[FAKE_HN];
	double tl = fake_timeline_now(s, rq->now);
	struct numfilter filters[8];
	size_t nfilters, total = 0, first, last;
	json_t *hits = json_array(), *o;
	struct heed_buf params;
	long pages, reachable_pages;

	if (page < 0 || hpp < 0 || !parse_filters(nf, filters, 8, &nfilters)) {
		json_decref(hits);
		fake_resp_json(rs, 400, json_pack("{s:s, s:i}", "message",
						  "invalid numericFilters, page or "
						  "hitsPerPage", "status", 400));
		return 0;
	}
	first = (size_t)page * (size_t)hpp;
	last = first + (size_t)hpp;
	if (last > MAX_REACHABLE)
		last = MAX_REACHABLE;
	for (size_t i = l->n; i-- > 0;) {
		struct fake_post *p = l->v[i];
		bool ok = !p->brand && fake_post_visible(p, tl) &&
			  fake_post_matches_search(p, q ? q : "") &&
			  (!tags || tags_match(s, p, tags));

		for (size_t f = 0; ok && f < nfilters; f++)
			ok = filter_ok(&filters[f], p);
		if (!ok)
			continue;
		if (total >= first && total < last)
			json_array_append_new(hits, hit_json(s, p));
		total++;
	}
	pages = hpp ? (long)((total + (size_t)hpp - 1) / (size_t)hpp) : 0;
	reachable_pages = hpp ? (MAX_REACHABLE + hpp - 1) / hpp : 0;
	heed_buf_init(&params, 0);
	for (size_t i = 0; i < rq->nargs; i++) {
		char *v = fake_url_encode(rq->args[i].val ? rq->args[i].val : "");

		fake_buf_addf(&params, "%s%s=%s", i ? "&" : "", rq->args[i].key, v);
		free(v);
	}
	o = json_pack("{s:o, s:I, s:I, s:I, s:I, s:s, s:i, s:{s:b, s:b}, s:b, "
		      "s:b, s:s}",
		      "hits", hits, "hitsPerPage", (json_int_t)hpp,
		      "nbHits", (json_int_t)total,
		      "nbPages", (json_int_t)(pages < reachable_pages ? pages
								: reachable_pages),
		      "page", (json_int_t)page, "params", heed_buf_str(&params),
		      "processingTimeMS", 1, "exhaustive", "nbHits", 1, "typo", 1,
		      "exhaustiveNbHits", 1, "exhaustiveTypo", 1,
		      "query", q ? q : "");
	if (first >= MAX_REACHABLE && total > 0)
		json_object_set_new(o, "message", json_string(
			"you can only fetch the 1000 hits for this query, please "
			"refine your query"));
	heed_buf_release(&params);
	fake_resp_json(rs, 200, o);
	return 0;
}

static const struct fake_route routes[] = {
	{ "GET", "/api/v1/search_by_date", "hn.search_by_date", FAKE_B_HN, search },
	{ "GET", "/api/v1/search", "hn.search", FAKE_B_HN, search },
	{ NULL, NULL, NULL, 0, NULL },
};

const struct fake_platform_ops fake_hn_ops = {
	.name = "hn",
	.bucket = FAKE_B_HN,
	.routes = routes,
	.error_body = error_body,
};
