/* hn.c: the Hacker News adapter (heed_ops_hn), on Algolia's search_by_date:
 * stories and comments, newest first, no auth, read only. See heed/source.h
 * for the contract. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heed/clock.h"
#include "heed/html.h"
#include "heed/json.h"
#include "heed/xalloc.h"
#include "collect_int.h"

/* Choices.
 * Dedupe key: objectID (the HN item id); thread_key is story_id. Cursor:
 * the watermark {"wm": created_at_i, "ids": [objectIDs at wm]}, swept with
 * numericFilters=created_at_i>=wm. Algolia serves only the first 1000 hits
 * of a query, and offsets shift when items are deleted, so the sweep never
 * pages deep: each next request narrows the window's upper bound to the
 * oldest second already read ("hi", inclusive; "seen" are the ids at hi
 * already kept), which is page 0 again. Only when a whole page shares one
 * second does "page" count up within it. One query per source: Algolia has
 * no OR. */
static const char *const kinds[] = { "search", NULL };

static unsigned limit_of(const struct heed_source *src)
{
	return heed_collect_limit(src, 1, 1000);
}

static int check_source(const struct heed_source *src, struct heed_err *err)
{
	if (!src->kind || strcmp(src->kind, "search"))
		return heed_err_set(err, HEED_ECONFIG, "hn has no kind '%s'",
				    src->kind ? src->kind : "");
	if (src->nqueries != 1 || !*src->queries[0])
		return heed_err_set(err, HEED_ECONFIG,
				    "hn search takes exactly one query (Algolia has no OR)");
	return HEED_OK;
}

/* Unix seconds, rounded down. */
static int64_t seconds(int64_t ms)
{
	return ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
}

static int build(const struct heed_source *src, const char *cursor,
		 const char *bearer, int64_t now_ms, struct heed_req *req,
		 struct heed_err *err)
{
	char filters[80], limit[16], page[16];
	struct heed_buf url;
	struct heed_sweep sw;
	int64_t hi, pg;
	bool has_hi;
	json_t *c;
	char *base;
	int rc;

	(void)bearer;
	if ((rc = check_source(src, err)))
		return rc;
	c = heed_collect_cursor_load(cursor, err);
	if (!c)
		return HEED_EINVAL;
	heed_sweep_load(&sw, c, seconds(heed_collect_cursor_from(c, now_ms)));
	hi = heed_json_int(c, "hi", 0, &has_hi);
	pg = heed_json_int(c, "page", 0, NULL);
	if (has_hi)
		snprintf(filters, sizeof(filters), "created_at_i>=%lld,created_at_i<=%lld",
			 (long long)sw.wm, (long long)hi);
	else
		snprintf(filters, sizeof(filters), "created_at_i>=%lld", (long long)sw.wm);
	snprintf(limit, sizeof(limit), "%u", limit_of(src));
	snprintf(page, sizeof(page), "%lld", (long long)pg);
	heed_buf_init(&url, 0);
	base = xasprintf("%s/api/v1/search_by_date", src->base_url);
	{
		struct heed_http_param params[] = {
			{ "query", src->queries[0] },
			{ "tags", "(story,comment)" },
			{ "numericFilters", filters },
			{ "hitsPerPage", limit },
			{ "page", pg > 0 ? page : NULL },
			{ NULL, NULL },
		};

		rc = heed_http_url_build(&url, base, params);
	}
	if (rc) {
		heed_err_set(err, rc, "hn: bad base URL");
	} else {
		memset(req, 0, sizeof(*req));
		req->method = HEED_HTTP_GET;
		req->url = heed_buf_detach(&url, NULL);
	}
	free(base);
	heed_buf_release(&url);
	heed_sweep_release(&sw);
	json_decref(c);
	return rc;
}

/* The hit's created_at_i, from created_at when missing; false if neither. */
static bool hit_time(const json_t *h, int64_t *t)
{
	const char *iso = heed_json_str(h, "created_at");
	bool found;
	int64_t ms;

	*t = heed_json_int(h, "created_at_i", 0, &found);
	if (found)
		return true;
	if (iso && !heed_time_parse_iso8601(iso, &ms)) {
		*t = seconds(ms);
		return true;
	}
	return false;
}

static char *num_or_str(const json_t *h, const char *key)
{
	char buf[32];

	return heed_json_str_or_num(h, key, buf, sizeof(buf)) && *buf
	       ? xstrdup(buf) : NULL;
}

/* Title and story_text of a story, or the comment's text. */
static char *hit_text(const json_t *h)
{
	const char *html = heed_json_str(h, "comment_text"), *title;
	char *body, *t, *all;

	if (html)
		return heed_html_to_text(html, strlen(html), HEED_HTML_TEXT_MAX);
	title = heed_json_str(h, "title");
	html = heed_json_str(h, "story_text");
	t = heed_collect_str(title ? title : "", HEED_HTML_TEXT_MAX);
	if (!html || !*html)
		return t;
	body = heed_html_to_text(html, strlen(html), HEED_HTML_TEXT_MAX);
	all = xasprintf("%s%s%s", t, *t && *body ? "\n\n" : "", body);
	free(t);
	free(body);
	t = heed_collect_str(all, HEED_HTML_TEXT_MAX);
	free(all);
	return t;
}

static void from_hit(const struct heed_source *src, const json_t *h,
		     const char *id, int64_t t, struct heed_mention *m)
{
	const char *author = heed_json_str(h, "author");
	json_t *raw = json_copy((json_t *)h);

	if (!author || !*author)
		author = "[deleted]";	/* deleted items have a null author */
	m->platform = "hn";
	m->external_id = heed_collect_str(id, HEED_COLLECT_ID_MAX);
	m->url = xasprintf("https://news.ycombinator.com/item?id=%s", m->external_id);
	m->author_id = heed_collect_str(author, HEED_COLLECT_NAME_MAX);
	m->author_handle = xstrdup(m->author_id);
	m->text = hit_text(h);
	m->posted_at_ms = t * 1000;
	if (heed_json_str(h, "comment_text"))
		m->in_reply_to = num_or_str(h, "parent_id");
	m->thread_key = num_or_str(h, "story_id");
	if (!m->thread_key)
		m->thread_key = xstrdup(m->external_id);
	m->is_own = heed_collect_is_own(src, author, author);
	json_object_del(raw, "_highlightResult");	/* a second copy of the text */
	m->raw = heed_collect_raw(raw);
	json_decref(raw);
}

/* Where the sweep goes after a page. */
struct keyset {
	bool has_hi;
	int64_t hi;		/* the request's upper bound */
	int64_t page;
	json_t *seen;		/* ids at hi kept earlier in this sweep */
	size_t hits;		/* hits on the page */
	bool any;
	int64_t oldest;		/* oldest second on the page */
	json_t *at_oldest;	/* ids at that second */
};

static void one_hit(const struct heed_source *src, const json_t *h,
		    struct heed_sweep *sw, struct keyset *ks,
		    struct heed_page *page)
{
	char idbuf[32];
	const char *id = heed_json_str_or_num(h, "objectID", idbuf, sizeof(idbuf));
	struct heed_mention m;
	int64_t t;

	ks->hits++;
	if (!json_is_object(h) || !id || !*id || !hit_time(h, &t)) {
		heed_page_bad(page, id && *id ? id : NULL, "hn: %s",
			      json_is_object(h) ? "hit without objectID or created_at_i"
						: "hit is not an object");
		return;
	}
	if (!ks->any || t < ks->oldest) {
		ks->any = true;
		ks->oldest = t;
		json_array_clear(ks->at_oldest);
	}
	if (t == ks->oldest)
		heed_collect_ids_add(ks->at_oldest, id);
	if (ks->has_hi && t == ks->hi && heed_collect_ids_has(ks->seen, id))
		return;
	if (heed_sweep_check(sw, t, id) != HEED_SWEEP_NEW)
		return;
	heed_mention_init(&m);
	from_hit(src, h, id, t, &m);
	*heed_page_add(page) = m;
}

static void next_cursor(const struct heed_source *src, struct heed_sweep *sw,
			struct keyset *ks, struct heed_page *page)
{
	json_t *out = json_object();
	size_t i;
	json_t *v;

	page->more = ks->hits >= limit_of(src) && ks->any && !sw->reached;
	heed_sweep_save(sw, out, !page->more);
	if (page->more && ks->has_hi && ks->oldest >= ks->hi) {
		/* a whole page in one second: page within it */
		json_array_foreach(ks->at_oldest, i, v)
			heed_collect_ids_add(ks->seen, json_string_value(v));
		json_object_set_new(out, "hi", json_integer(ks->hi));
		json_object_set_new(out, "page", json_integer(ks->page + 1));
		json_object_set(out, "seen", ks->seen);
	} else if (page->more) {
		json_object_set_new(out, "hi", json_integer(ks->oldest));
		json_object_set(out, "seen", ks->at_oldest);
	}
	page->cursor = heed_collect_cursor_dump(out);
	json_decref(out);
}

static int parse(const struct heed_source *src, const char *cursor,
		 const struct heed_http_resp *resp, int64_t now_ms,
		 struct heed_page *page, struct heed_err *err)
{
	struct keyset ks = { 0 };
	struct heed_sweep sw;
	json_t *root, *c, *hits, *h;
	size_t i;
	int rc;

	if ((rc = check_source(src, err)))
		return rc;
	c = heed_collect_cursor_load(cursor, err);
	if (!c)
		return HEED_EINVAL;
	heed_sweep_load(&sw, c, seconds(heed_collect_cursor_from(c, now_ms)));
	ks.hi = heed_json_int(c, "hi", 0, &ks.has_hi);
	ks.page = heed_json_int(c, "page", 0, NULL);
	ks.seen = json_array();
	ks.at_oldest = json_array();
	json_array_foreach(heed_json_arr(c, "seen"), i, h)
		heed_collect_ids_add(ks.seen, json_string_value(h));
	root = heed_json_parse(heed_buf_str(&resp->body), heed_buf_len(&resp->body),
			       HEED_HTTP_MAX_BODY, err);
	hits = heed_json_arr(root, "hits");
	if (!hits) {
		rc = root ? heed_err_set(err, HEED_EPARSE, "hn: no hits array on the page")
			  : HEED_EPARSE;
		goto out_decref;
	}
	json_array_foreach(hits, i, h)
		one_hit(src, h, &sw, &ks, page);
	next_cursor(src, &sw, &ks, page);
out_decref:
	json_decref(ks.seen);
	json_decref(ks.at_oldest);
	json_decref(root);
	json_decref(c);
	heed_sweep_release(&sw);
	if (rc)
		heed_page_release(page);
	return rc;
}

const struct heed_source_ops heed_ops_hn = {
	.platform = "hn",
	.kinds = kinds,
	.default_base_url = "https://hn.algolia.com",
	.build = build,
	.parse = parse,
	.auth = NULL,
};
