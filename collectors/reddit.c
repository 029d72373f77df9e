/* reddit.c: the Reddit adapter (heed_ops_reddit): post search, the newest
 * comments of subreddits matched locally against terms, and the brand
 * account's inbox mentions, with an OAuth "script" app token refreshed
 * before it expires. See heed/source.h for the contract. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "heed/html.h"
#include "heed/json.h"
#include "heed/xalloc.h"
#include "collect_int.h"

/* Choices.
 * src->queries: entries "r/NAME" (or "r/a+b") name subreddits, the others
 * are terms. search: terms OR-ed, on /r/SUBS/search?restrict_sr=1 when
 * subreddits are named, else site-wide /search. comments: /r/SUBS/comments,
 * kept when the body holds a term as a word (no terms: every comment); with
 * no "r/" entry, queries[0] is taken as the subreddits and the rest as
 * terms. NEEDSWORK: a `terms` source key would say this plainly.
 * Dedupe key: the fullname (`name`); thread_key the post's fullname
 * (link_id for comments, or read from the permalink). raw_json=1 is always
 * sent; a page that still arrives HTML-escaped is decoded. Listings are
 * newest first and keyed by `after`: a sweep walks down to the watermark,
 * {"wm": created_utc in ms, "ids": [fullnames at wm]}, and while sweeping
 * keeps "after": the last few fullnames of the page, so that a vanished
 * anchor (Reddit then answers an empty page) falls back to the one before. */
#define ANCHORS 4		/* fallback anchors kept while sweeping */
#define RESTARTS 2		/* sweeps restarted from the top, at most */
#define TOKEN_MARGIN_MS 60000
/* Search lags real time (a post can show up after newer ones were read):
 * each search sweep reads this far below its watermark again, and the
 * database keeps one copy of what it had. */
#define SEARCH_LAG_MS (15 * 60000LL)

enum kind { SEARCH, COMMENTS, MENTIONS };

static const char *const kinds[] = { "search", "comments", "mentions", NULL };

static int kind_of(const struct heed_source *src, enum kind *k,
		   struct heed_err *err)
{
	for (int i = 0; kinds[i]; i++)
		if (src->kind && !strcmp(src->kind, kinds[i])) {
			*k = (enum kind)i;
			return HEED_OK;
		}
	return heed_err_set(err, HEED_ECONFIG, "reddit has no kind '%s'",
			    src->kind ? src->kind : "");
}

static bool is_sub(const char *q)
{
	return q && (q[0] == 'r' || q[0] == 'R') && q[1] == '/';
}

static bool any_sub(const struct heed_source *src)
{
	for (size_t i = 0; i < src->nqueries; i++)
		if (is_sub(src->queries[i]))
			return true;
	return false;
}

/* Is query i a term (not subreddits) for kind k? */
static bool is_term(const struct heed_source *src, enum kind k, size_t i)
{
	if (is_sub(src->queries[i]))
		return false;
	return !(k == COMMENTS && i == 0 && !any_sub(src));
}

/* "a+b+c" from the subreddit entries into *out ("" when none); HEED_ECONFIG
 * when a name is not [A-Za-z0-9_] (it goes into the path). */
static int subreddits(const struct heed_source *src, enum kind k, char **out,
		      struct heed_err *err)
{
	struct heed_buf b;
	int rc = HEED_OK;

	heed_buf_init(&b, 0);
	for (size_t i = 0; i < src->nqueries && !rc; i++) {
		const char *q = src->queries[i];

		if (is_term(src, k, i))
			continue;
		if (is_sub(q))
			q += 2;
		for (const char *p = q; *p && !rc; p++)
			if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			      (*p >= '0' && *p <= '9') || *p == '_' || *p == '+'))
				rc = heed_err_set(err, HEED_ECONFIG,
						  "reddit: '%s' is not a subreddit name", q);
		if (!rc && *q)
			rc = heed_buf_addf(&b, "%s%s", heed_buf_len(&b) ? "+" : "", q);
	}
	if (!rc && !heed_buf_len(&b) && k == COMMENTS)
		rc = heed_err_set(err, HEED_ECONFIG, "reddit comments needs subreddits");
	*out = rc ? NULL : heed_buf_detach(&b, NULL);
	heed_buf_release(&b);
	return rc;
}

static char *search_terms(const struct heed_source *src)
{
	struct heed_buf q;
	size_t n = 0;
	int rc = HEED_OK;

	heed_buf_init(&q, 0);
	for (size_t i = 0; i < src->nqueries; i++)
		n += is_term(src, SEARCH, i);
	for (size_t i = 0; i < src->nqueries && !rc; i++)
		if (is_term(src, SEARCH, i))
			rc = heed_buf_addf(&q, n > 1 ? "%s(%s)" : "%s%s",
					   heed_buf_len(&q) ? " OR " : "", src->queries[i]);
	return heed_buf_detach(&q, NULL);
}

/* The listing's URL before paging: *base, the search terms *q (search
 * only) and whether the search stays in the named subreddits. */
static int base_of(const struct heed_source *src, enum kind k, char **base,
		   char **q, bool *restrict_sr, struct heed_err *err)
{
	char *subs = NULL;
	int rc;

	*q = NULL;
	*restrict_sr = false;
	if (k == MENTIONS) {
		*base = xasprintf("%s/message/mentions", src->base_url);
		return HEED_OK;
	}
	if ((rc = subreddits(src, k, &subs, err)))
		return rc;
	if (k == COMMENTS) {
		*base = xasprintf("%s/r/%s/comments", src->base_url, subs);
	} else {
		*q = search_terms(src);
		*restrict_sr = *subs != '\0';
		*base = *subs ? xasprintf("%s/r/%s/search", src->base_url, subs)
			      : xasprintf("%s/search", src->base_url);
		if (!**q)
			rc = heed_err_set(err, HEED_ECONFIG, "reddit search needs a term");
	}
	free(subs);
	return rc;
}

static int build(const struct heed_source *src, const char *cursor,
		 const char *bearer, int64_t now_ms, struct heed_req *req,
		 struct heed_err *err)
{
	char limit[16], *base = NULL, *q = NULL;
	const json_t *anchors;
	struct heed_buf url;
	bool restrict_sr;
	enum kind k;
	json_t *c;
	int rc;

	(void)now_ms;
	if ((rc = kind_of(src, &k, err)))
		return rc;
	c = heed_collect_cursor_load(cursor, err);
	if (!c)
		return HEED_EINVAL;
	heed_buf_init(&url, 0);
	rc = base_of(src, k, &base, &q, &restrict_sr, err);
	if (rc)
		goto out_release;
	anchors = heed_json_arr(c, "after");
	snprintf(limit, sizeof(limit), "%u", heed_collect_limit(src, 1, 100));
	{
		struct heed_http_param params[] = {
			{ "q", q },
			{ "restrict_sr", restrict_sr ? "1" : NULL },
			{ "sort", k == SEARCH ? "new" : NULL },
			{ "type", k == SEARCH ? "link" : NULL },
			{ "limit", limit },
			{ "raw_json", "1" },
			{ "after", json_array_size(anchors) ? heed_json_str(
				json_array_get(anchors, json_array_size(anchors) - 1), NULL)
							    : NULL },
			{ NULL, NULL },
		};

		rc = heed_http_url_build(&url, base, params);
	}
	if (rc) {
		heed_err_set(err, rc, "reddit: bad base URL");
		goto out_release;
	}
	memset(req, 0, sizeof(*req));
	req->method = HEED_HTTP_GET;
	req->url = heed_buf_detach(&url, NULL);
	if (bearer)
		heed_req_header(req, "Authorization: bearer %s", bearer);
out_release:
	free(base);
	free(q);
	heed_buf_release(&url);
	json_decref(c);
	return rc;
}

/* ---- parsing ------------------------------------------------------------ */

/* A string field, entity-decoded when the page came HTML-escaped. */
static char *field(const json_t *d, const char *key, bool escaped, size_t max)
{
	const json_t *v = json_object_get(d, key);

	if (!json_is_string(v))
		return NULL;
	if (escaped)
		return heed_html_decode_entities(json_string_value(v),
						 json_string_length(v), max);
	return heed_collect_json_text(v, max);
}

/* Did the page come without raw_json=1? Its *_html fields then start
 * with "&lt;" instead of "<". */
static bool page_escaped(const json_t *children)
{
	static const char *const keys[] = { "selftext_html", "body_html", NULL };
	size_t i;
	json_t *ch;

	json_array_foreach(children, i, ch)
		for (int k = 0; keys[k]; k++) {
			const char *h = heed_json_str(heed_json_obj(ch, "data"), keys[k]);

			if (h && *h)
				return !strncmp(h, "&lt;", 4);
		}
	return false;
}

/* "/r/x/comments/ID/slug/..." -> "t3_ID", for items without link_id. */
static char *link_from_path(const char *path)
{
	const char *p = path ? strstr(path, "/comments/") : NULL;
	size_t n;

	if (!p)
		return NULL;
	p += 10;
	n = strcspn(p, "/?#");
	return n && n < 32 ? xasprintf("t3_%.*s", (int)n, p) : NULL;
}

/* https://www.reddit.com + path without its query ("?ref=search_posts"). */
static char *permalink(const char *path)
{
	size_t n;

	if (!path || !*path)
		return NULL;
	n = strcspn(path, "?#");
	if (!strncmp(path, "http", 4))
		return xstrndup(path, n);
	return xasprintf("https://www.reddit.com%.*s", (int)n, path);
}

static bool matches_terms(const struct heed_source *src, const char *text)
{
	bool any = false;

	for (size_t i = 0; i < src->nqueries; i++) {
		if (!is_term(src, COMMENTS, i))
			continue;
		any = true;
		if (heed_collect_has_word(text, src->queries[i]))
			return true;
	}
	return !any;
}

static bool mentions_brand(const struct heed_source *src, const char *text)
{
	const char *acct = src->account;
	char *w;
	bool hit;

	if (!acct || !*acct)
		return false;
	if (!strncasecmp(acct, "u/", 2))
		acct += 2;
	w = xasprintf("u/%s", acct);
	hit = heed_collect_has_word(text, w);
	free(w);
	return hit;
}

static char *post_text(const json_t *d, bool escaped)
{
	char *title = field(d, "title", escaped, HEED_HTML_TEXT_MAX);
	char *body = field(d, "selftext", escaped, HEED_HTML_TEXT_MAX), *all;

	if (!title)
		title = xstrdup("");
	if (!body || !*body || !strcmp(body, "[deleted]") || !strcmp(body, "[removed]")) {
		free(body);
		return title;
	}
	all = xasprintf("%s\n\n%s", title, body);
	free(title);
	free(body);
	title = heed_collect_str(all, HEED_HTML_TEXT_MAX);
	free(all);
	return title;
}

/* Fill m from a t1/t3 thing; the reason when it is not usable. */
static const char *from_thing(const struct heed_source *src, enum kind k,
			      const json_t *ch, bool escaped, struct heed_mention *m)
{
	const json_t *d = heed_json_obj(ch, "data");
	const char *kind = heed_json_str(ch, "kind"), *name = heed_json_str(d, "name");
	const char *author = heed_json_str(d, "author"), *link = heed_json_str(d, "link_id");
	const char *path = heed_json_str(d, "permalink");
	bool post = kind && !strcmp(kind, "t3");
	double utc;
	bool found;

	utc = heed_json_number(d, "created_utc", 0, &found);
	if (!name || !*name)
		return "thing without a name";
	if (!found || !isfinite(utc))
		return "thing without created_utc";
	if (!author || !*author)
		author = "[deleted]";	/* absent or null: as deleted */
	m->external_id = heed_collect_str(name, HEED_COLLECT_ID_MAX);
	m->posted_at_ms = llround(utc * 1000);
	m->author_id = heed_collect_str(author, HEED_COLLECT_NAME_MAX);
	m->author_handle = xstrdup(m->author_id);
	m->text = post ? post_text(d, escaped) : field(d, "body", escaped, HEED_HTML_TEXT_MAX);
	if (!m->text)
		m->text = xstrdup("");
	m->url = permalink(path ? path : heed_json_str(d, "context"));
	if (!post) {
		m->in_reply_to = heed_collect_str(heed_json_str(d, "parent_id"),
						  HEED_COLLECT_ID_MAX);
		m->thread_key = link ? heed_collect_str(link, HEED_COLLECT_ID_MAX)
				     : link_from_path(path ? path : heed_json_str(d, "context"));
	}
	if (!m->thread_key)
		m->thread_key = xstrdup(m->external_id);
	m->mentions_account = k == MENTIONS || mentions_brand(src, m->text);
	m->is_own = heed_collect_is_own(src, author, author);
	m->raw = heed_collect_raw(ch);
	return NULL;
}

/* Per-page facts for the cursor. */
struct listing {
	json_t *anchors;	/* fullnames, oldest last */
	size_t n;
};

static void note_anchor(struct listing *ls, const char *name)
{
	size_t n = json_array_size(ls->anchors);

	if (!name || (n && !strcmp(json_string_value(json_array_get(ls->anchors, n - 1)),
				   name)))
		return;
	if (n == ANCHORS)
		json_array_remove(ls->anchors, 0);
	json_array_append_new(ls->anchors, json_string(name));
}

static void one_thing(const struct heed_source *src, enum kind k,
		      const json_t *ch, bool escaped, struct heed_sweep *sw,
		      struct listing *ls, struct heed_page *page)
{
	const json_t *d = heed_json_obj(ch, "data");
	const char *name = heed_json_str(d, "name"), *why;
	struct heed_mention m;
	bool found;
	double utc = heed_json_number(d, "created_utc", 0, &found);

	ls->n++;
	note_anchor(ls, name);
	if (name && found && isfinite(utc) &&
	    heed_sweep_check(sw, llround(utc * 1000), name) != HEED_SWEEP_NEW)
		return;
	heed_mention_init(&m);
	m.platform = "reddit";
	why = d ? from_thing(src, k, ch, escaped, &m) : "thing without data";
	if (why)
		heed_page_bad(page, name, "reddit: %s", why);
	if (why || (k == COMMENTS && !matches_terms(src, m.text))) {
		heed_mention_release(&m);	/* bad, or not about the brand */
		return;
	}
	*heed_page_add(page) = m;
}

/* Where the sweep goes next. An empty page after an anchor means that the
 * anchor vanished: the anchor before it is tried, then the listing's top
 * again (RESTARTS times); what is read twice is a duplicate, never a gap. */
static void next_cursor(const json_t *c, const json_t *data,
			struct heed_sweep *sw, struct listing *ls,
			struct heed_page *page)
{
	const char *after = heed_json_str(data, "after");
	json_t *out = json_object(), *old = heed_json_arr(c, "after");
	int64_t restarts = heed_json_int(c, "restarts", 0, NULL);

	page->more = false;
	if (sw->reached) {
		/* down to the watermark: done */
	} else if (ls->n) {
		if (after && *after) {
			note_anchor(ls, after);
			page->more = true;
			json_object_set(out, "after", ls->anchors);
		}
	} else if (json_array_size(old) > 1) {
		json_t *rest = json_copy(old);

		json_array_remove(rest, json_array_size(rest) - 1);
		page->more = true;
		json_object_set_new(out, "after", rest);
	} else if (json_array_size(old) == 1 && restarts < RESTARTS) {
		page->more = true;
		restarts++;
	}
	if (page->more && restarts)
		json_object_set_new(out, "restarts", json_integer(restarts));
	heed_sweep_save(sw, out, !page->more);
	page->cursor = heed_collect_cursor_dump(out);
	json_decref(out);
}

static int parse(const struct heed_source *src, const char *cursor,
		 const struct heed_http_resp *resp, int64_t now_ms,
		 struct heed_page *page, struct heed_err *err)
{
	struct listing ls = { NULL, 0 };
	struct heed_sweep sw;
	json_t *root, *c, *data, *children, *ch;
	bool escaped;
	enum kind k;
	size_t i;
	int rc;

	if ((rc = kind_of(src, &k, err)))
		return rc;
	c = heed_collect_cursor_load(cursor, err);
	if (!c)
		return HEED_EINVAL;
	heed_sweep_load(&sw, c, heed_collect_cursor_from(c, now_ms));
	if (k == SEARCH)
		sw.overlap = SEARCH_LAG_MS;
	root = heed_json_parse(heed_buf_str(&resp->body), heed_buf_len(&resp->body),
			       HEED_HTTP_MAX_BODY, err);
	data = heed_json_obj(root, "data");
	children = heed_json_arr(data, "children");
	if (!children) {
		rc = root ? heed_err_set(err, HEED_EPARSE, "reddit: page is not a Listing")
			  : HEED_EPARSE;
		goto out_decref;
	}
	ls.anchors = json_array();
	escaped = page_escaped(children);
	json_array_foreach(children, i, ch)
		one_thing(src, k, ch, escaped, &sw, &ls, page);
	next_cursor(c, data, &sw, &ls, page);
out_decref:
	json_decref(ls.anchors);
	json_decref(root);
	json_decref(c);
	heed_sweep_release(&sw);
	if (rc)
		heed_page_release(page);
	return rc;
}

/* ---- the OAuth token ------------------------------------------------------ */

bool heed_reddit_token_fresh(const char *state, int64_t now_ms)
{
	json_t *s = state ? json_loads(state, 0, NULL) : NULL;
	bool found, fresh;
	int64_t exp = heed_json_int(s, "expires_at_ms", 0, &found);

	fresh = found && heed_json_str(s, "access_token") &&
		*heed_json_str(s, "access_token") &&
		!heed_json_bool(s, "expired", false, NULL) &&
		exp - TOKEN_MARGIN_MS > now_ms;
	json_decref(s);
	return fresh;
}

static int token_state(const char *body, size_t len, int64_t now_ms,
		       char **out, struct heed_err *err)
{
	json_t *r = heed_json_parse(body, len, 1u << 20, err), *s;
	const char *tok = heed_json_str(r, "access_token"), *why = heed_json_str(r, "error");
	int64_t in = heed_json_int(r, "expires_in", 3600, NULL);
	char *clean;
	int rc = HEED_OK;

	*out = NULL;
	if (!r)
		return HEED_EPARSE;
	if (!tok || !*tok) {
		clean = heed_collect_str(why ? why : "no access_token in the answer", 80);
		rc = heed_err_set(err, why ? HEED_EAUTH : HEED_EPARSE,
				  "reddit token refused: %s", clean);
		free(clean);
	} else {
		s = json_pack("{s:s, s:I}", "access_token", tok, "expires_at_ms",
			      (json_int_t)(now_ms + (in > 0 ? in : 3600) * 1000));
		*out = heed_collect_cursor_dump(s);
		json_decref(s);
	}
	json_decref(r);
	return rc;
}

char *heed_reddit_token_state(const char *body, size_t len, int64_t now_ms,
			      struct heed_err *err)
{
	char *out;

	(void)token_state(body, len, now_ms, &out, err);
	return out;
}

char *heed_reddit_token_url(const struct heed_source *src)
{
	const char *host = strstr(src->base_url, "://oauth.reddit.com");

	if (host)
		return xasprintf("%.*s://www.reddit.com%s/api/v1/access_token",
				 (int)(host - src->base_url), src->base_url, host + 19);
	return xasprintf("%s/api/v1/access_token", src->base_url);
}

/* The form body of the token request: the password grant for a user, else
 * app-only client credentials (enough for search and comments). */
static char *token_form(const struct heed_source *src)
{
	char *u, *p, *form;

	if (!src->user || !src->secret)
		return xstrdup("grant_type=client_credentials");
	u = heed_http_escape(src->user, strlen(src->user));
	p = heed_http_escape(src->secret, strlen(src->secret));
	form = xasprintf("grant_type=password&username=%s&password=%s", u, p);
	explicit_bzero(p, strlen(p));
	free(u);
	free(p);
	return form;
}

static int auth(const struct heed_source *src, struct heed_http *h,
		const char *state, int64_t now_ms, char **bearer,
		char **new_state, struct heed_err *err)
{
	char *url = NULL, *form = NULL, *pair, *basic, *hdr[3] = { NULL };
	struct heed_http_resp resp;
	int rc;

	*bearer = NULL;
	*new_state = NULL;
	if (heed_reddit_token_fresh(state, now_ms)) {
		*bearer = heed_collect_state_get(state, "access_token");
		return HEED_OK;
	}
	if (!src->client_id || !src->client_secret)
		return heed_err_set(err, HEED_ECONFIG,
				    "reddit needs client_id and a client secret");
	heed_http_resp_init(&resp);
	url = heed_reddit_token_url(src);
	form = token_form(src);
	pair = xasprintf("%s:%s", src->client_id, src->client_secret);
	basic = heed_collect_base64(pair, strlen(pair));
	hdr[0] = xasprintf("Authorization: Basic %s", basic);
	hdr[1] = xstrdup("Content-Type: application/x-www-form-urlencoded");
	explicit_bzero(pair, strlen(pair));
	explicit_bzero(basic, strlen(basic));
	free(pair);
	free(basic);
	rc = heed_http_perform(h, &(struct heed_http_req){
			.method = HEED_HTTP_POST, .url = url,
			.headers = (const char *const *)hdr, .body = form,
			.body_len = strlen(form) }, &resp, err);
	if (!rc && (rc = heed_http_status_code(resp.status)))
		heed_err_set(err, rc, "reddit token request: HTTP %ld", resp.status);
	if (!rc)
		rc = token_state(heed_buf_str(&resp.body), heed_buf_len(&resp.body),
				 now_ms, new_state, err);
	if (!rc)
		*bearer = heed_collect_state_get(*new_state, "access_token");
	explicit_bzero(hdr[0], strlen(hdr[0]));
	explicit_bzero(form, strlen(form));
	free(hdr[0]);
	free(hdr[1]);
	free(form);
	free(url);
	heed_http_resp_release(&resp);
	return rc;
}

/* An app's client credentials suffice for search and comments; the inbox
 * (and posting replies) needs the account's own login too. */
static const char *lacks(const struct heed_source *src)
{
	if (!src->client_id || !src->client_secret)
		return "client_id and a client secret (client_secret_env or client_secret_file)";
	if (!strcmp(src->kind, "mentions") && (!src->user || !src->secret))
		return "user and the account's password (secret_env or secret_file)";
	return NULL;
}

const struct heed_source_ops heed_ops_reddit = {
	.platform = "reddit",
	.kinds = kinds,
	.default_base_url = "https://oauth.reddit.com",
	.build = build,
	.parse = parse,
	.auth = auth,
	.lacks = lacks,
};
