/* mastodon.c: the Mastodon adapter (heed_ops_mastodon): hashtag timelines,
 * mention notifications of the brand account and v2 status search on one
 * server, with a static bearer token. See heed/source.h for the contract. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "heed/clock.h"
#include "heed/html.h"
#include "heed/json.h"
#include "heed/xalloc.h"
#include "collect_int.h"

/* Choices.
 * Dedupe key: the status's server-local `id`, not its `uri`: replies need
 * that id (in_reply_to_id), in_reply_to and thread_key are in the same id
 * space, and one source reads one server. thread_key: the parent's id (the
 * root is not in the status), or the status's own. A boost is unwrapped:
 * the mention is the boosted status, so boost and original are one.
 * Cursors:
 *   tag, mentions: {"min_id": W} forward paging (min_id returns the items
 *     just above W; `more` while a page is full; the Link header's
 *     rel="prev" min_id is preferred when present);
 *   search (newest first even with min_id) and every first poll: a sweep
 *     down with max_id, {"min_id": W | "since_ms": S, "max_id": X,
 *     "newest": N}, ending in {"min_id": N}.
 * Ids are compared by length, then bytes, never as integers. */
enum kind { TAG, MENTIONS, SEARCH };

static const char *const kinds[] = { "tag", "mentions", "search", NULL };

static int kind_of(const struct heed_source *src, enum kind *k,
		   struct heed_err *err)
{
	for (int i = 0; kinds[i]; i++)
		if (src->kind && !strcmp(src->kind, kinds[i])) {
			*k = (enum kind)i;
			return HEED_OK;
		}
	return heed_err_set(err, HEED_ECONFIG, "mastodon has no kind '%s'",
			    src->kind ? src->kind : "");
}

static unsigned limit_of(const struct heed_source *src, enum kind k)
{
	return heed_collect_limit(src, 1, k == MENTIONS ? 80 : 40);
}

/* The path and fixed parameters of kind k into url; HEED_ECONFIG when the
 * source cannot be asked for. */
static int base_url(const struct heed_source *src, enum kind k,
		    struct heed_buf *url, struct heed_err *err)
{
	char *q;
	int rc;

	if (k == MENTIONS)
		return heed_buf_addf(url, "%s/api/v1/notifications?types%%5B%%5D=mention",
				     src->base_url);
	if (src->nqueries != 1 || !*src->queries[0])
		return heed_err_set(err, HEED_ECONFIG, "mastodon %s takes exactly one query",
				    kinds[k]);
	if (k == SEARCH) {
		q = heed_http_escape(src->queries[0], strlen(src->queries[0]));
		rc = heed_buf_addf(url, "%s/api/v2/search?type=statuses&q=%s",
				   src->base_url, q);
	} else {
		q = src->queries[0][0] == '#' ? src->queries[0] + 1 : src->queries[0];
		q = heed_http_escape(q, strlen(q));
		rc = heed_buf_addf(url, "%s/api/v1/timelines/tag/%s", src->base_url, q);
	}
	free(q);
	return rc;
}

static int build(const struct heed_source *src, const char *cursor,
		 const char *bearer, int64_t now_ms, struct heed_req *req,
		 struct heed_err *err)
{
	char limit[16], *base = NULL;
	struct heed_buf url;
	json_t *c;
	enum kind k;
	int rc;

	(void)now_ms;
	if ((rc = kind_of(src, &k, err)))
		return rc;
	c = heed_collect_cursor_load(cursor, err);
	if (!c)
		return HEED_EINVAL;
	heed_buf_init(&url, 0);
	snprintf(limit, sizeof(limit), "%u", limit_of(src, k));
	rc = base_url(src, k, &url, err);
	if (!rc) {
		struct heed_http_param params[] = {
			{ "limit", limit },
			{ "min_id", heed_json_str(c, "min_id") },
			{ "max_id", heed_json_str(c, "max_id") },
			{ NULL, NULL },
		};

		base = heed_buf_detach(&url, NULL);
		rc = heed_http_url_build(&url, base, params);
		if (rc)
			heed_err_set(err, rc, "mastodon: bad base URL");
	}
	if (!rc) {
		memset(req, 0, sizeof(*req));
		req->method = HEED_HTTP_GET;
		req->url = heed_buf_detach(&url, NULL);
		if (bearer)
			heed_req_header(req, "Authorization: Bearer %s", bearer);
	}
	free(base);
	heed_buf_release(&url);
	json_decref(c);
	return rc;
}

/* Does status s @-mention the brand account? */
static bool mentions_brand(const struct heed_source *src, const json_t *s)
{
	const char *acct = src->account;
	size_t i, ulen;
	json_t *m;

	if (!acct || !*acct)
		return false;
	if (*acct == '@')
		acct++;
	ulen = strcspn(acct, "@");
	json_array_foreach(heed_json_arr(s, "mentions"), i, m) {
		const char *ma = heed_json_str(m, "acct"), *id = heed_json_str(m, "id");

		if ((id && !strcmp(id, acct)) || (ma && !strcasecmp(ma, acct)))
			return true;
		/* "acme@our.server" is "acme" on our server */
		if (ma && !strchr(ma, '@') && strlen(ma) == ulen &&
		    !strncasecmp(ma, acct, ulen))
			return true;
	}
	return false;
}

/* Fill m from status s (already unwrapped); the reason when it is not a
 * usable status. */
static const char *from_status(const struct heed_source *src, enum kind k,
			       const json_t *s, struct heed_mention *m)
{
	const char *id = heed_json_str(s, "id"), *created = heed_json_str(s, "created_at");
	const json_t *acc = heed_json_obj(s, "account");
	const char *acct = heed_json_str(acc, "acct"), *aid = heed_json_str(acc, "id");
	const char *cw = heed_json_str(s, "spoiler_text"), *url = heed_json_str(s, "url");
	const char *reply = heed_json_str(s, "in_reply_to_id"), *html;
	bool found;

	if (!id || !*id)
		return "status without an id";
	if (!created || heed_time_parse_iso8601(created, &m->posted_at_ms))
		return "status without a valid created_at";
	if (!aid || !*aid || !acct || !*acct)
		return "status without an account id and acct";
	m->external_id = heed_collect_str(id, HEED_COLLECT_ID_MAX);
	m->url = heed_collect_str(url ? url : heed_json_str(s, "uri"), HEED_COLLECT_URL_MAX);
	m->author_id = heed_collect_str(aid, HEED_COLLECT_ID_MAX);
	m->author_handle = heed_collect_str(acct, HEED_COLLECT_NAME_MAX);
	if (heed_json_str(acc, "display_name") && *heed_json_str(acc, "display_name"))
		m->author_name = heed_collect_str(heed_json_str(acc, "display_name"),
						  HEED_COLLECT_NAME_MAX);
	m->author_followers = heed_json_int(acc, "followers_count", -1, &found);
	html = heed_json_str(s, "content");
	if (cw && *cw) {
		char *all = xasprintf("%s<p>%s</p>", cw, html ? html : "");

		m->text = heed_html_to_text(all, strlen(all), HEED_HTML_TEXT_MAX);
		free(all);
	} else {
		m->text = heed_html_to_text(html ? html : "", html ? strlen(html) : 0,
					    HEED_HTML_TEXT_MAX);
	}
	if (reply && *reply)
		m->in_reply_to = heed_collect_str(reply, HEED_COLLECT_ID_MAX);
	/* the root is not in the status; the parent stands in for it */
	m->thread_key = heed_collect_str(reply && *reply ? reply : id, HEED_COLLECT_ID_MAX);
	m->lang = heed_collect_lang(heed_json_str(s, "language"));
	m->mentions_account = k == MENTIONS || mentions_brand(src, s);
	m->is_own = heed_collect_is_own(src, aid, acct);
	return NULL;
}

/* Per-page paging facts. */
struct paging {
	size_t n;		/* elements on the page */
	char *lo, *hi;		/* smallest and largest paging id */
	bool reached;		/* a backfill met an item older than since */
};

static void note_id(struct paging *pg, const char *id)
{
	if (!id)
		return;
	if (!pg->lo || heed_collect_id_cmp(id, pg->lo) < 0) {
		free(pg->lo);
		pg->lo = xstrdup(id);
	}
	if (!pg->hi || heed_collect_id_cmp(id, pg->hi) > 0) {
		free(pg->hi);
		pg->hi = xstrdup(id);
	}
}

static void one_item(const struct heed_source *src, enum kind k,
		     const json_t *el, bool backfill, int64_t since_ms,
		     struct paging *pg, struct heed_page *page)
{
	const char *pid = heed_json_str(el, "id"), *why;
	const json_t *s = k == MENTIONS ? heed_json_obj(el, "status") : el;
	struct heed_mention m;
	int64_t at;

	pg->n++;
	note_id(pg, pid);
	if (!json_is_object(el)) {
		heed_page_bad(page, NULL, "mastodon: item is not an object");
		return;
	}
	if (k == MENTIONS && (!heed_json_str(el, "type") ||
			      strcmp(heed_json_str(el, "type"), "mention")))
		return;	/* not asked for; nothing to keep */
	if (backfill && heed_json_str(el, "created_at") &&
	    !heed_time_parse_iso8601(heed_json_str(el, "created_at"), &at) &&
	    at < since_ms) {
		pg->reached = true;
		return;
	}
	if (heed_json_obj(s, "reblog"))
		s = heed_json_obj(s, "reblog");
	if (!s) {
		heed_page_bad(page, pid, "mastodon: notification without a status");
		return;
	}
	heed_mention_init(&m);
	m.platform = "mastodon";
	why = from_status(src, k, s, &m);
	if (why) {
		heed_page_bad(page, heed_json_str(s, "id") ? heed_json_str(s, "id") : pid,
			      "mastodon: %s", why);
		heed_mention_release(&m);
		return;
	}
	m.raw = heed_collect_raw(el);
	*heed_page_add(page) = m;
}

/* The cursor after this page. */
static void next_cursor(const struct heed_source *src, enum kind k,
			json_t *c, const struct heed_http_resp *resp,
			const struct paging *pg, int64_t since_ms,
			struct heed_page *page)
{
	const char *w = heed_json_str(c, "min_id");
	bool full = pg->n >= limit_of(src, k);
	json_t *out = json_object();
	char *newest;

	if (w && k != SEARCH) {
		char *link = heed_mastodon_link_min_id(heed_http_resp_header(resp, "link"));
		const char *best = w;

		if (pg->hi && heed_collect_id_cmp(pg->hi, best) > 0)
			best = pg->hi;
		if (pg->n && link && heed_collect_id_cmp(link, best) > 0)
			best = link;
		json_object_set_new(out, "min_id", json_string(best));
		page->more = full;
		free(link);
		goto out_dump;
	}
	/* a sweep down: search, or a first poll */
	newest = xstrdup(heed_json_str(c, "newest") ? heed_json_str(c, "newest") : "");
	if (pg->hi && heed_collect_id_cmp(pg->hi, newest) > 0) {
		free(newest);
		newest = xstrdup(pg->hi);
	}
	page->more = full && !pg->reached && pg->lo;
	if (!page->more) {
		if (*newest)
			json_object_set_new(out, "min_id", json_string(newest));
		else if (w)
			json_object_set_new(out, "min_id", json_string(w));
		else
			json_object_set_new(out, "since_ms", json_integer(since_ms));
	} else {
		if (w)
			json_object_set_new(out, "min_id", json_string(w));
		else
			json_object_set_new(out, "since_ms", json_integer(since_ms));
		json_object_set_new(out, "max_id", json_string(pg->lo));
		if (*newest)
			json_object_set_new(out, "newest", json_string(newest));
	}
	free(newest);
out_dump:
	page->cursor = heed_collect_cursor_dump(out);
	json_decref(out);
}

static int parse(const struct heed_source *src, const char *cursor,
		 const struct heed_http_resp *resp, int64_t now_ms,
		 struct heed_page *page, struct heed_err *err)
{
	struct paging pg = { 0, NULL, NULL, false };
	json_t *root = NULL, *c, *arr, *el;
	bool backfill;
	int64_t since_ms;
	enum kind k;
	size_t i;
	int rc;

	if ((rc = kind_of(src, &k, err)))
		return rc;
	c = heed_collect_cursor_load(cursor, err);
	if (!c)
		return HEED_EINVAL;
	backfill = !heed_json_str(c, "min_id");
	since_ms = heed_collect_cursor_from(c, now_ms);
	root = heed_json_parse(heed_buf_str(&resp->body), heed_buf_len(&resp->body),
			       HEED_HTTP_MAX_BODY, err);
	arr = k == SEARCH ? heed_json_arr(root, "statuses") : heed_json_arr(root, NULL);
	if (!arr) {
		rc = root ? heed_err_set(err, HEED_EPARSE, "mastodon: %s",
					 k == SEARCH ? "no statuses array in the search result"
						     : "page is not a JSON array")
			  : HEED_EPARSE;
		goto out_decref;
	}
	json_array_foreach(arr, i, el)
		one_item(src, k, el, backfill, since_ms, &pg, page);
	next_cursor(src, k, c, resp, &pg, since_ms, page);
out_decref:
	free(pg.lo);
	free(pg.hi);
	json_decref(root);
	json_decref(c);
	if (rc)
		heed_page_release(page);
	return rc;
}

char *heed_mastodon_link_min_id(const char *link)
{
	const char *p = link;

	while (p && *p) {
		const char *lt = strchr(p, '<'), *gt, *next, *q;

		if (!lt || !(gt = strchr(lt, '>')))
			return NULL;
		next = strchr(gt, '<');
		q = strstr(gt, "rel=\"prev\"");
		if (!q || (next && q > next)) {
			p = next;
			continue;
		}
		for (q = lt; q < gt; q++) {
			size_t n;

			if ((*q != '?' && *q != '&') || strncmp(q + 1, "min_id=", 7))
				continue;
			q += 8;
			n = strcspn(q, "&>#");
			return n && q + n <= gt ? xstrndup(q, n) : NULL;
		}
		return NULL;
	}
	return NULL;
}

/* Hashtag timelines are public; mentions and status search need a token. */
static const char *lacks(const struct heed_source *src)
{
	if (!strcmp(src->kind, "tag") || src->secret)
		return NULL;
	return "an access token (secret_env or secret_file)";
}

const struct heed_source_ops heed_ops_mastodon = {
	.platform = "mastodon",
	.kinds = kinds,
	.default_base_url = "https://mastodon.social",
	.build = build,
	.parse = parse,
	.auth = NULL,
	.lacks = lacks,
};
