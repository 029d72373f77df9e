/* reddit.c: the fake Reddit API (oauth.reddit.com plus the token endpoint
 * of www.reddit.com). Listings page by after/before fullnames; text is
 * entity-escaped unless the request says raw_json=1; /api/comment reports
 * its errors inside a 200 body. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "heed/xalloc.h"

#include "fake.h"

#define PAGE_MAX 100

static void error_body(struct fake_server *s, struct fake_req *rq,
		       unsigned status, struct fake_resp *rs)
{
	const char *msg;

	(void)s;
	(void)rq;
	switch (status) {
	case 401: msg = "Unauthorized"; break;
	case 403: msg = "Forbidden"; break;
	case 404: msg = "Not Found"; break;
	case 429: msg = "Too Many Requests"; break;
	case 502:
	case 503:
		fake_resp_text(rs, status, "text/html; charset=UTF-8",
			       "<!doctype html><html><head><title>Reddit - Dive into "
			       "anything</title></head><body><h1>Our servers are busy</h1>"
			       "<p>Please try again in a minute.</p></body></html>");
		return;
	default: msg = "Internal Server Error"; break;
	}
	fake_resp_json(rs, status, json_pack("{s:s, s:i}", "message", msg,
					     "error", (int)status));
	if (status == 401)
		fake_resp_header(rs, "www-authenticate",
				 "Bearer realm=\"reddit\", error=\"invalid_token\"");
}

static bool authed(struct fake_server *s, struct fake_req *rq,
		   struct fake_resp *rs)
{
	struct fake_token *t = fake_token_find(s, fake_bearer(rq));

	if (t && t->platform == FAKE_REDDIT && t->expires > rq->now)
		return true;
	error_body(s, rq, 401, rs);
	return false;
}

/* ---- things ---- */

struct view {
	bool raw;		/* raw_json=1 */
	bool search;		/* permalinks carry ?ref=search_posts */
	bool message;		/* inbox item fields */
};

static char *fullname(const struct fake_post *p)
{
	return xasprintf("%s_%s", p->comment ? "t1" : "t3", p->native);
}

/* Escape & < > unless raw_json=1 (Reddit's legacy default). */
static json_t *text_val(const struct view *v, const char *s)
{
	char *e;
	json_t *j;

	if (!s)
		return json_null();
	if (v->raw)
		return json_string(s);
	e = fake_escape_amp_lt_gt(s);
	j = json_string(e);
	free(e);
	return j;
}

static json_t *html_val(const struct view *v, const char *text, bool sc)
{
	struct heed_buf b;
	json_t *j;

	heed_buf_init(&b, 0);
	if (sc)
		fake_buf_adds(&b, "<!-- SC_OFF -->");
	fake_buf_adds(&b, "<div class=\"md\"><p>");
	fake_html_escape(&b, text, strlen(text), "&#39;");
	fake_buf_adds(&b, "</p>\n</div>");
	if (sc)
		fake_buf_adds(&b, "<!-- SC_ON -->");
	j = text_val(v, heed_buf_str(&b));
	heed_buf_release(&b);
	return j;
}

static char *slug(const char *title)
{
	struct heed_buf b;
	bool sep = false;

	heed_buf_init(&b, 0);
	for (const char *p = title ? title : "post"; *p && heed_buf_len(&b) < 50; p++) {
		if (isalnum((unsigned char)*p)) {
			if (sep && heed_buf_len(&b))
				fake_buf_adds(&b, "_");
			sep = false;
			fake_buf_addf(&b, "%c", tolower((unsigned char)*p));
		} else {
			sep = true;
		}
	}
	if (!heed_buf_len(&b))
		fake_buf_adds(&b, "post");
	return heed_buf_detach(&b, NULL);
}

/* The post (t3) a comment belongs to, or NULL when the timeline does not
 * have it. */
static const struct fake_post *link_of(struct fake_server *s,
				       const struct fake_post *p)
{
	const struct fake_post *up = p, *next;
	size_t depth = 0;

	if (p->thread) {
		next = fake_store_find(&s->store, FAKE_REDDIT, p->thread);
		if (next && !next->comment)
			return next;
	}
	while (up->comment && up->reply_to && depth++ < 100) {
		next = fake_store_find(&s->store, FAKE_REDDIT, up->reply_to);
		if (!next)
			return NULL;
		up = next;
	}
	return up->comment ? NULL : up;
}

static void add_author(json_t *o, const struct fake_author *a)
{
	if (a->deleted) {
		json_object_set_new(o, "author", json_string("[deleted]"));
		return;
	}
	json_object_set_new(o, "author", json_string(a->handle));
	json_object_set_new(o, "author_fullname", json_string(a->id));
}

static void add_times(json_t *o, const struct fake_post *p)
{
	double created = (double)(p->created_ms / 1000);

	/* the recorded response has created - created_utc = 28800 (legacy) */
	json_object_set_new(o, "created", json_real(created + 28800));
	json_object_set_new(o, "created_utc", json_real(created));
	json_object_set_new(o, "edited", p->edited_ms ?
			    json_real((double)(p->edited_ms / 1000)) : json_false());
}

static json_t *t3_json(struct fake_server *s, const struct view *v,
		       const struct fake_post *p)
{
	char *sl = slug(p->title ? p->title : p->text);
	char *permalink = xasprintf("/r/%s/comments/%s/%s/%s", p->subreddit,
				    p->native, sl, v->search ? "?ref=search_posts" : "");
	char *url = xasprintf("https://www.reddit.com/r/%s/comments/%s/%s/",
			      p->subreddit, p->native, sl);
	char *name = fullname(p);
	char *prefixed = xasprintf("r/%s", p->subreddit);
	json_t *o = json_object();

	(void)s;
	json_object_set_new(o, "subreddit", json_string(p->subreddit));
	json_object_set_new(o, "selftext", text_val(v, p->text));
	json_object_set_new(o, "title", text_val(v, p->title ? p->title : p->text));
	json_object_set_new(o, "subreddit_name_prefixed", json_string(prefixed));
	json_object_set_new(o, "name", json_string(name));
	json_object_set_new(o, "id", json_string(p->native));
	add_author(o, p->author);
	add_times(o, p);
	json_object_set_new(o, "selftext_html", *p->text ? html_val(v, p->text, true)
							 : json_null());
	json_object_set_new(o, "downs", json_integer(0));
	json_object_set_new(o, "ups", json_integer(1));
	json_object_set_new(o, "score", json_integer(1));
	json_object_set_new(o, "upvote_ratio", json_real(1.0));
	json_object_set_new(o, "num_comments", json_integer(0));
	json_object_set_new(o, "is_self", json_true());
	json_object_set_new(o, "over_18", json_false());
	json_object_set_new(o, "locked", json_false());
	json_object_set_new(o, "stickied", json_false());
	json_object_set_new(o, "distinguished", json_null());
	json_object_set_new(o, "link_flair_text", json_null());
	json_object_set_new(o, "permalink", text_val(v, permalink));
	json_object_set_new(o, "url", text_val(v, url));
	json_object_set_new(o, "subreddit_id", json_string("t5_2qh1i"));
	json_object_set_new(o, "subreddit_type", json_string("public"));
	json_object_set_new(o, "send_replies", json_true());
	free(sl);
	free(permalink);
	free(url);
	free(name);
	free(prefixed);
	return o;
}

static json_t *t1_json(struct fake_server *s, const struct view *v,
		       const struct fake_post *p)
{
	const struct fake_post *link = link_of(s, p);
	const struct fake_post *parent = p->reply_to ?
		fake_store_find(&s->store, FAKE_REDDIT, p->reply_to) : NULL;
	char *link_id, *parent_id, *sl, *permalink, *name = fullname(p);
	char *prefixed = xasprintf("r/%s", p->subreddit);
	json_t *o = json_object();

	if (link) {
		link_id = fullname(link);
	} else {
		const char *seed = p->thread ? p->thread : p->key;
		char *b = fake_base36(2200000000ULL + fake_hash(seed, strlen(seed)) %
				      1000000000ULL);

		link_id = xasprintf("t3_%s", b);
		free(b);
	}
	if (parent)
		parent_id = fullname(parent);
	else if (p->reply_to && (!strncmp(p->reply_to, "t1_", 3) ||
				 !strncmp(p->reply_to, "t3_", 3)))
		parent_id = xstrdup(p->reply_to);
	else
		parent_id = xstrdup(link_id);
	sl = slug(link && link->title ? link->title : link ? link->text : NULL);
	permalink = xasprintf("/r/%s/comments/%s/%s/%s/", p->subreddit, link_id + 3,
			      sl, p->native);
	json_object_set_new(o, "subreddit", json_string(p->subreddit));
	json_object_set_new(o, "subreddit_id", json_string("t5_2qh1i"));
	json_object_set_new(o, "subreddit_name_prefixed", json_string(prefixed));
	json_object_set_new(o, "link_id", json_string(link_id));
	json_object_set_new(o, "parent_id", json_string(parent_id));
	add_author(o, p->author);
	json_object_set_new(o, "body", text_val(v, p->text));
	json_object_set_new(o, "body_html", html_val(v, p->text, false));
	json_object_set_new(o, "name", json_string(name));
	json_object_set_new(o, "id", json_string(p->native));
	add_times(o, p);
	json_object_set_new(o, "score", json_integer(1));
	json_object_set_new(o, "ups", json_integer(1));
	json_object_set_new(o, "downs", json_integer(0));
	json_object_set_new(o, "replies", json_string(""));
	json_object_set_new(o, "distinguished", json_null());
	json_object_set_new(o, "stickied", json_false());
	json_object_set_new(o, "is_submitter", json_false());
	json_object_set_new(o, "link_title", text_val(v, link ? (link->title ? link->title
									   : link->text)
							  : "a post"));
	if (v->message) {
		/* inbox items have their own field set: no link_id, a context */
		char *ctx = xasprintf("%s?context=3", permalink);
		json_t *m = json_object();
		static const char *const keep[] = {
			"subreddit", "replies", "author_fullname", "id", "score", "author",
			"parent_id", "subreddit_name_prefixed", "body", "link_title",
			"body_html", "name", "created", "created_utc", "distinguished",
		};

		for (size_t i = 0; i < sizeof(keep) / sizeof(*keep); i++) {
			json_t *x = json_object_get(o, keep[i]);

			if (x)
				json_object_set(m, keep[i], x);
		}
		json_object_set_new(m, "first_message", json_null());
		json_object_set_new(m, "first_message_name", json_null());
		json_object_set_new(m, "likes", json_null());
		json_object_set_new(m, "subject", json_string("username mention"));
		json_object_set_new(m, "associated_awarding_id", json_null());
		json_object_set_new(m, "num_comments", json_null());
		json_object_set_new(m, "new", json_true());
		json_object_set_new(m, "type", json_string("username_mention"));
		json_object_set_new(m, "dest", json_string(s->cfg.brand));
		json_object_set_new(m, "was_comment", json_true());
		json_object_set_new(m, "context", json_string(ctx));
		json_decref(o);
		o = m;
		free(ctx);
	} else {
		char *lp = xasprintf("https://www.reddit.com/r/%s/comments/%s/%s/",
				     p->subreddit, link_id + 3, sl);

		json_object_set_new(o, "permalink", text_val(v, permalink));
		json_object_set_new(o, "link_permalink", text_val(v, lp));
		free(lp);
	}
	free(link_id);
	free(parent_id);
	free(sl);
	free(permalink);
	free(name);
	free(prefixed);
	return o;
}

static json_t *thing_json(struct fake_server *s, const struct view *v,
			  const struct fake_post *p)
{
	return json_pack("{s:s, s:o}", "kind", p->comment ? "t1" : "t3",
			 "data", p->comment ? t1_json(s, v, p) : t3_json(s, v, p));
}

/* ---- listings ---- */

enum { WANT_POSTS, WANT_COMMENTS, WANT_MENTIONS, WANT_USER };

struct match {
	double tl;
	int want;
	const char *q;
	const char *subs;	/* "a+b+c" or NULL */
	const char *user;
};

static bool in_subs(const char *subs, const char *sub)
{
	size_t n = strlen(sub);

	for (const char *p = subs; p && *p;) {
		const char *plus = strchr(p, '+');
		size_t len = plus ? (size_t)(plus - p) : strlen(p);

		if ((len == n && !strncasecmp(p, sub, n)) ||
		    (len == 3 && !strncasecmp(p, "all", 3)))
			return true;
		p = plus ? plus + 1 : NULL;
	}
	return false;
}

static bool pred(const struct fake_post *p, void *ctx)
{
	const struct match *m = ctx;

	if (!fake_post_visible(p, m->tl))
		return false;
	switch (m->want) {
	case WANT_POSTS:
		return !p->comment && !p->brand &&
		       (!m->subs || in_subs(m->subs, p->subreddit)) &&
		       (m->q ? fake_post_matches_search(p, m->q) : true);
	case WANT_COMMENTS:
		return p->comment && in_subs(m->subs, p->subreddit);
	case WANT_MENTIONS:
		return !p->brand && (fake_post_has_channel(p, "mention") ||
				     fake_post_has_channel(p, "inbox"));
	default:
		return p->comment && !p->author->deleted &&
		       !strcasecmp(p->author->handle, m->user);
	}
}

static void listing(struct fake_server *s, struct fake_req *rq,
		    struct fake_resp *rs, struct match *m, const struct view *v)
{
	const char *after = fake_arg(rq, "after"), *before = fake_arg(rq, "before");
	long limit = fake_arg_long(rq, "limit", 25, 1, 100);
	struct fake_list *l = &s->store.lists[FAKE_REDDIT];
	struct fake_post *out[PAGE_MAX], *anchor = NULL;
	struct fake_key k;
	size_t n = 0;
	bool more = false;
	char *a = NULL, *b = NULL;
	json_t *children = json_array();

	if (limit < 0)
		limit = 25;
	if (after && *after)
		anchor = fake_store_find(&s->store, FAKE_REDDIT, after);
	else if (before && *before)
		anchor = fake_store_find(&s->store, FAKE_REDDIT, before);
	if (anchor)
		k = (struct fake_key){ anchor->k1, anchor->k2 };
	if ((after && *after) || (before && *before)) {
		/* an unknown or vanished anchor gives an empty page, as on Reddit */
		if (anchor)
			n = fake_page(l, before && !(after && *after) ? &k : NULL,
				      after && *after ? &k : NULL,
				      !(after && *after), (size_t)limit, pred, m, out,
				      &more);
	} else {
		n = fake_page(l, NULL, NULL, false, (size_t)limit, pred, m, out, &more);
	}
	for (size_t i = 0; i < n; i++)
		json_array_append_new(children, thing_json(s, v, out[i]));
	if (n) {
		bool going_back = before && *before && !(after && *after);

		if (going_back ? true : more)
			a = fullname(out[n - 1]);
		if (going_back ? more : anchor != NULL)
			b = fullname(out[0]);
	}
	fake_resp_json(rs, 200, json_pack("{s:s, s:{s:s?, s:I, s:s, s:s, s:o, s:s?}}",
					  "kind", "Listing", "data", "after", a,
					  "dist", (json_int_t)n, "modhash", "",
					  "geo_filter", "", "children", children,
					  "before", b));
	free(a);
	free(b);
}

static int search(struct fake_server *s, struct fake_req *rq,
		  struct fake_resp *rs)
{
	const char *raw = fake_arg(rq, "raw_json");
	const char *restrict_sr = fake_arg(rq, "restrict_sr");
	struct view v = { raw && !strcmp(raw, "1"), true, false };
	struct match m = { fake_timeline_now(s, rq->now), WANT_POSTS,
			   fake_arg(rq, "q"), NULL, NULL };

	if (!authed(s, rq, rs))
		return 0;
	if (rq->params[0] && restrict_sr && (!strcmp(restrict_sr, "1") ||
					     !strcmp(restrict_sr, "on") ||
					     !strcmp(restrict_sr, "true")))
		m.subs = rq->params[0];
	if (!m.q)
		m.q = "";
	listing(s, rq, rs, &m, &v);
	return 0;
}

static int sub_new(struct fake_server *s, struct fake_req *rq,
		   struct fake_resp *rs)
{
	const char *raw = fake_arg(rq, "raw_json");
	struct view v = { raw && !strcmp(raw, "1"), false, false };
	struct match m = { fake_timeline_now(s, rq->now), WANT_POSTS, NULL,
			   rq->params[0], NULL };

	if (authed(s, rq, rs))
		listing(s, rq, rs, &m, &v);
	return 0;
}

static int sub_comments(struct fake_server *s, struct fake_req *rq,
			struct fake_resp *rs)
{
	const char *raw = fake_arg(rq, "raw_json");
	struct view v = { raw && !strcmp(raw, "1"), false, false };
	struct match m = { fake_timeline_now(s, rq->now), WANT_COMMENTS, NULL,
			   rq->params[0], NULL };

	if (authed(s, rq, rs))
		listing(s, rq, rs, &m, &v);
	return 0;
}

static int mentions(struct fake_server *s, struct fake_req *rq,
		    struct fake_resp *rs)
{
	const char *raw = fake_arg(rq, "raw_json");
	struct view v = { raw && !strcmp(raw, "1"), false, true };
	struct match m = { fake_timeline_now(s, rq->now), WANT_MENTIONS, NULL, NULL,
			   NULL };

	if (authed(s, rq, rs))
		listing(s, rq, rs, &m, &v);
	return 0;
}

static int user_comments(struct fake_server *s, struct fake_req *rq,
			 struct fake_resp *rs)
{
	const char *raw = fake_arg(rq, "raw_json");
	struct view v = { raw && !strcmp(raw, "1"), false, false };
	struct match m = { fake_timeline_now(s, rq->now), WANT_USER, NULL, NULL,
			   rq->params[0] };

	if (authed(s, rq, rs))
		listing(s, rq, rs, &m, &v);
	return 0;
}

static int info(struct fake_server *s, struct fake_req *rq,
		struct fake_resp *rs)
{
	const char *ids = fake_arg(rq, "id"), *raw = fake_arg(rq, "raw_json");
	struct view v = { raw && !strcmp(raw, "1"), false, false };
	double tl = fake_timeline_now(s, rq->now);
	json_t *children;

	if (!authed(s, rq, rs))
		return 0;
	children = json_array();
	for (const char *p = ids; p && *p;) {
		const char *comma = strchr(p, ',');
		char *one = xstrndup(p, comma ? (size_t)(comma - p) : strlen(p));
		struct fake_post *post = fake_store_find(&s->store, FAKE_REDDIT, one);

		if (post && fake_post_visible(post, tl))
			json_array_append_new(children, thing_json(s, &v, post));
		free(one);
		p = comma ? comma + 1 : NULL;
	}
	fake_resp_json(rs, 200, json_pack("{s:s, s:{s:n, s:I, s:s, s:o, s:n}}",
					  "kind", "Listing", "data", "after",
					  "dist", (json_int_t)json_array_size(children),
					  "modhash", "", "children", children, "before"));
	return 0;
}

/* ---- auth and replies ---- */

static int access_token(struct fake_server *s, struct fake_req *rq,
			struct fake_resp *rs)
{
	const char *grant = fake_field(rq, "grant_type");
	struct fake_token *t;

	if (!rq->auth || strncasecmp(rq->auth, "basic ", 6)) {
		error_body(s, rq, 401, rs);
		return 0;
	}
	if (!grant || (strcmp(grant, "password") &&
		       strcmp(grant, "client_credentials"))) {
		fake_resp_json(rs, 200, json_pack("{s:s}", "error",
						  "unsupported_grant_type"));
		return 0;
	}
	if (!strcmp(grant, "password")) {
		const char *pw = fake_field(rq, "password");

		if (!fake_field(rq, "username") || !pw || !*pw || !strcmp(pw, "wrong")) {
			fake_resp_json(rs, 200, json_pack("{s:s}", "error",
							  "invalid_grant"));
			return 0;
		}
	}
	t = fake_token_new(s, FAKE_REDDIT, false, s->cfg.reddit_token_ttl, rq->now);
	fake_resp_json(rs, 200, json_pack("{s:s, s:s, s:I, s:s}",
					  "access_token", t->token,
					  "token_type", "bearer",
					  "expires_in", (json_int_t)s->cfg.reddit_token_ttl,
					  "scope", "*"));
	return 0;
}

static int me(struct fake_server *s, struct fake_req *rq, struct fake_resp *rs)
{
	struct fake_author *a = fake_store_brand(&s->store, FAKE_REDDIT, s->cfg.brand);

	if (authed(s, rq, rs))
		fake_resp_json(rs, 200, json_pack("{s:s, s:s, s:I, s:I}",
						  "name", a->handle, "id", a->id + 3,
						  "comment_karma", (json_int_t)1200,
						  "link_karma", (json_int_t)300));
	return 0;
}

static void comment_error(struct fake_resp *rs, const char *code,
			  const char *msg, const char *field)
{
	fake_resp_json(rs, 200, json_pack("{s:{s:[[s,s,s]]}}", "json", "errors",
					  code, msg, field));
}

static int post_comment(struct fake_server *s, struct fake_req *rq,
			struct fake_resp *rs)
{
	const char *thing = fake_field(rq, "thing_id");
	const char *text = fake_field(rq, "text");
	struct fake_post *parent, *p;
	const struct fake_post *link;
	struct view v = { true, false, false };

	if (!authed(s, rq, rs))
		return 0;
	if (!text || !*text) {
		comment_error(rs, "NO_TEXT", "we need something here", "text");
		return 0;
	}
	if (strlen(text) > 10000) {
		comment_error(rs, "TOO_LONG", "this is too long (max: 10000)", "text");
		return 0;
	}
	parent = thing ? fake_store_find(&s->store, FAKE_REDDIT, thing) : NULL;
	if (parent && !fake_post_visible(parent, fake_timeline_now(s, rq->now)))
		parent = NULL;
	if (!parent || (strncmp(thing, "t1_", 3) && strncmp(thing, "t3_", 3))) {
		if (thing && !strncmp(thing, "t1_", 3))
			comment_error(rs, "DELETED_COMMENT",
				      "that comment has been deleted", "parent");
		else
			comment_error(rs, "DELETED_LINK", "that link has been deleted",
				      "parent");
		return 0;
	}
	link = link_of(s, parent);
	p = xcalloc(1, sizeof(*p));
	p->platform = FAKE_REDDIT;
	p->comment = true;
	p->author = fake_store_brand(&s->store, FAKE_REDDIT, s->cfg.brand);
	p->text = xstrdup(text);
	p->lang = xstrdup("en");
	p->subreddit = xstrdup(parent->subreddit);
	p->native = fake_new_id(&s->store, FAKE_REDDIT, true,
				fake_now_ms(s, rq->now), &p->num);
	p->reply_to = fullname(parent);
	p->thread = link ? fullname(link) : NULL;
	fake_store_add_brand(&s->store, p, fake_now_ms(s, rq->now));
	fake_record_reply(s, p, p->reply_to, parent->key, NULL);
	fake_resp_json(rs, 200, json_pack("{s:{s:[], s:{s:[{s:s, s:o}]}}}",
					  "json", "errors", "data", "things",
					  "kind", "t1", "data", t1_json(s, &v, p)));
	return 0;
}

static const struct fake_route routes[] = {
	{ "POST", "/api/v1/access_token", "reddit.access_token", FAKE_B_NONE,
	  access_token },
	{ "GET", "/api/v1/me", "reddit.me", FAKE_B_REDDIT, me },
	{ "GET", "/search", "reddit.search", FAKE_B_REDDIT, search },
	{ "GET", "/r/:sub/search", "reddit.search", FAKE_B_REDDIT, search },
	{ "GET", "/r/:sub/new", "reddit.new", FAKE_B_REDDIT, sub_new },
	{ "GET", "/r/:sub/comments", "reddit.comments", FAKE_B_REDDIT,
	  sub_comments },
	{ "GET", "/message/mentions", "reddit.mentions", FAKE_B_REDDIT, mentions },
	{ "GET", "/user/:name/comments", "reddit.user_comments", FAKE_B_REDDIT,
	  user_comments },
	{ "GET", "/api/info", "reddit.info", FAKE_B_REDDIT, info },
	{ "POST", "/api/comment", "reddit.comment", FAKE_B_REDDIT, post_comment },
	{ NULL, NULL, NULL, 0, NULL },
};

const struct fake_platform_ops fake_reddit_ops = {
	.name = "reddit",
	.bucket = FAKE_B_REDDIT,
	.routes = routes,
	.error_body = error_body,
};
