/* x.c: the fake X API v2. Recent search and user timelines, newest first,
 * paged by since_id/until_id and next_token/pagination_token; posts carry
 * edit_history_tweet_ids (first version first); fields and expansions are
 * served only when requested; data is absent on an empty page. POST
 * /2/tweets enforces the 2026 reply rule and the duplicate-content 403. */
#include <stdlib.h>
#include <string.h>

#include "heed/xalloc.h"

#include "fake.h"

#define PAGE_MAX 100
#define TWITTER_EPOCH_MS 1288834974657LL
#define WEEK_MS (7LL * 86400 * 1000)

static const char reply_forbidden[] =
	"Reply to this conversation is not allowed because you have not been "
	"mentioned or otherwise engaged by the author of the post you are "
	"replying to.";

static void problem(struct fake_resp *rs, unsigned status, const char *title,
		    const char *detail, const char *type)
{
	fake_resp_json(rs, status, json_pack("{s:s, s:s, s:s, s:i}", "title", title,
					     "detail", detail, "type", type,
					     "status", (int)status));
}

static void invalid(struct fake_resp *rs, const char *param, const char *value,
		    const char *msg)
{
	fake_resp_json(rs, 400, json_pack(
		"{s:[{s:{s:[s]}, s:s}], s:s, s:s, s:s}", "errors", "parameters",
		param, value ? value : "", "message", msg, "title", "Invalid Request",
		"detail", "One or more parameters to your request was invalid.",
		"type", "https://api.twitter.com/2/problems/invalid-request"));
}

static void error_body(struct fake_server *s, struct fake_req *rq,
		       unsigned status, struct fake_resp *rs)
{
	(void)s;
	(void)rq;
	switch (status) {
	case 401:
		problem(rs, 401, "Unauthorized", "Unauthorized", "about:blank");
		break;
	case 403:
		problem(rs, 403, "Forbidden", "Forbidden", "about:blank");
		break;
	case 429:
		/* the documented body is the v1 shape */
		fake_resp_json(rs, 429, json_pack("{s:[{s:i, s:s}]}", "errors", "code",
						  88, "message", "Rate limit exceeded"));
		break;
	case 503:
		problem(rs, 503, "Service Unavailable", "Service Unavailable",
			"https://api.twitter.com/2/problems/service-unavailable");
		break;
	default:
		problem(rs, status, "Internal Server Error", "Internal Server Error",
			"about:blank");
		break;
	}
}

static bool authed(struct fake_req *rq, struct fake_resp *rs)
{
	if (fake_bearer(rq))
		return true;
	error_body(NULL, rq, 401, rs);
	return false;
}

/* Is name in the comma-separated list arg? */
static bool wants(struct fake_req *rq, const char *arg, const char *name)
{
	const char *list = fake_arg(rq, arg);
	size_t n = strlen(name);

	for (const char *p = list; p && *p;) {
		const char *c = strchr(p, ',');
		size_t len = c ? (size_t)(c - p) : strlen(p);

		if (len == n && !strncmp(p, name, n))
			return true;
		p = c ? c + 1 : NULL;
	}
	return false;
}

static size_t cp_offset(const char *s, size_t bytes)
{
	size_t n = 0;

	for (size_t i = 0; i < bytes && s[i]; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			n++;
	return n;
}

static json_t *user_json(struct fake_req *rq, const struct fake_author *a)
{
	json_t *o = json_pack("{s:s, s:s, s:s}", "id", a->id,
			      "name", a->name ? a->name : a->handle ? a->handle : "",
			      "username", a->handle ? a->handle : "deleted");

	if (wants(rq, "user.fields", "public_metrics"))
		json_object_set_new(o, "public_metrics", json_pack(
			"{s:I, s:I, s:I, s:I}", "followers_count", (json_int_t)a->followers,
			"following_count", (json_int_t)210, "tweet_count", (json_int_t)1500,
			"listed_count", (json_int_t)3));
	if (wants(rq, "user.fields", "created_at"))
		json_object_set_new(o, "created_at", json_string("2015-06-01T12:00:00.000Z"));
	if (wants(rq, "user.fields", "verified"))
		json_object_set_new(o, "verified", json_false());
	if (wants(rq, "user.fields", "description"))
		json_object_set_new(o, "description", json_string(""));
	if (wants(rq, "user.fields", "protected"))
		json_object_set_new(o, "protected", json_false());
	return o;
}

static const struct fake_post *chain_head(const struct fake_post *p)
{
	return p->orig ? p->orig : p;
}

static json_t *entities(struct fake_server *s, const char *text)
{
	struct fake_span sp[32];
	size_t n = fake_spans(text, sp, 32);
	json_t *m = json_array(), *h = json_array(), *u = json_array(), *o;

	for (size_t i = 0; i < n; i++) {
		size_t a = cp_offset(text, sp[i].start), b = cp_offset(text, sp[i].end);
		char *w = xstrndup(text + sp[i].start, sp[i].end - sp[i].start);

		if (sp[i].kind == FAKE_SPAN_MENTION) {
			struct fake_author *au = fake_store_author_by_handle(&s->store,
									     FAKE_X, w + 1);
			json_t *e = json_pack("{s:I, s:I, s:s}", "start", (json_int_t)a,
					      "end", (json_int_t)b, "username", w + 1);

			if (au)
				json_object_set_new(e, "id", json_string(au->id));
			json_array_append_new(m, e);
		} else if (sp[i].kind == FAKE_SPAN_TAG) {
			json_array_append_new(h, json_pack("{s:I, s:I, s:s}", "start",
							   (json_int_t)a, "end", (json_int_t)b,
							   "tag", w + 1));
		} else {
			char *tco = xasprintf("https://t.co/%08llx", (unsigned long long)
					      (fake_hash(w, strlen(w)) & 0xffffffffULL));

			json_array_append_new(u, json_pack(
				"{s:I, s:I, s:s, s:s, s:s}", "start", (json_int_t)a,
				"end", (json_int_t)b, "url", tco, "expanded_url", w,
				"display_url", strstr(w, "://") ? strstr(w, "://") + 3 : w));
			free(tco);
		}
		free(w);
	}
	o = json_object();
	if (json_array_size(m))
		json_object_set(o, "mentions", m);
	if (json_array_size(h))
		json_object_set(o, "hashtags", h);
	if (json_array_size(u))
		json_object_set(o, "urls", u);
	json_decref(m);
	json_decref(h);
	json_decref(u);
	return o;
}

static json_t *tweet_json(struct fake_server *s, struct fake_req *rq,
			  const struct fake_post *p, double tl)
{
	const struct fake_post *head = chain_head(p);
	const struct fake_post *parent = p->reply_to ?
		fake_store_find(&s->store, FAKE_X, p->reply_to) : NULL;
	const struct fake_post *root = p->thread ?
		fake_store_find(&s->store, FAKE_X, p->thread) : NULL;
	json_t *hist = json_pack("[s]", head->native), *o;
	char created[40];

	for (size_t i = 0; i < head->nedits; i++)
		if (fake_post_visible(head->edits[i], tl))
			json_array_append_new(hist, json_string(head->edits[i]->native));
	o = json_pack("{s:s, s:s, s:o}", "id", p->native, "text", p->text,
		      "edit_history_tweet_ids", hist);
	if (!root && parent)
		root = parent->thread ? fake_store_find(&s->store, FAKE_X, parent->thread)
				      : parent;
	fake_iso_ms(created, sizeof(created), p->created_ms);
	if (wants(rq, "tweet.fields", "created_at"))
		json_object_set_new(o, "created_at", json_string(created));
	if (wants(rq, "tweet.fields", "author_id"))
		json_object_set_new(o, "author_id", json_string(p->author->id));
	if (wants(rq, "tweet.fields", "conversation_id"))
		json_object_set_new(o, "conversation_id",
				    json_string(root ? root->native :
						p->reply_to ? p->reply_to : p->native));
	if (wants(rq, "tweet.fields", "in_reply_to_user_id") && parent)
		json_object_set_new(o, "in_reply_to_user_id",
				    json_string(parent->author->id));
	if (wants(rq, "tweet.fields", "referenced_tweets") && p->reply_to)
		json_object_set_new(o, "referenced_tweets", json_pack(
			"[{s:s, s:s}]", "type", "replied_to", "id",
			parent ? parent->native : p->reply_to));
	if (wants(rq, "tweet.fields", "lang") && p->lang)
		json_object_set_new(o, "lang", json_string(p->lang));
	if (wants(rq, "tweet.fields", "public_metrics"))
		json_object_set_new(o, "public_metrics", json_pack(
			"{s:i, s:i, s:i, s:i, s:i, s:i}", "retweet_count", 0,
			"reply_count", 0, "like_count", 0, "quote_count", 0,
			"bookmark_count", 0, "impression_count", 12));
	if (wants(rq, "tweet.fields", "entities")) {
		json_t *e = entities(s, p->text);

		if (json_object_size(e))
			json_object_set_new(o, "entities", e);
		else
			json_decref(e);
	}
	if (wants(rq, "tweet.fields", "reply_settings"))
		json_object_set_new(o, "reply_settings", json_string("everyone"));
	if (wants(rq, "tweet.fields", "possibly_sensitive"))
		json_object_set_new(o, "possibly_sensitive", json_false());
	if (wants(rq, "tweet.fields", "edit_controls")) {
		char until[40];

		fake_iso_ms(until, sizeof(until), head->created_ms + 3600 * 1000);
		json_object_set_new(o, "edit_controls", json_pack(
			"{s:i, s:b, s:s}", "edits_remaining", 5 - (int)head->nedits,
			"is_edit_eligible", 1, "editable_until", until));
	}
	return o;
}

/* What tweet_json's text depends on besides the post and the store: the
 * fields asked for and which of its edits are visible. */
static uint64_t tweet_tag(struct fake_req *rq, const struct fake_post *p,
			  double tl)
{
	const struct fake_post *head = chain_head(p);
	const char *f = fake_arg(rq, "tweet.fields");
	uint64_t tag = f ? fake_hash(f, strlen(f)) : 1;

	for (size_t i = 0; i < head->nedits; i++)
		tag = tag * 31 + (fake_post_visible(head->edits[i], tl) ? 2 : 1);
	return tag;
}

/* tweet_json as served, built and serialized once per post and tag while
 * the store stays the same (fake_post_cached). */
static const char *tweet_text(struct fake_server *s, struct fake_req *rq,
			      struct fake_post *p, double tl)
{
	uint64_t tag = tweet_tag(rq, p, tl);
	const char *t = fake_post_cached(s, p, tag);

	return t ? t : fake_post_cache(s, p, tag, tweet_json(s, rq, p, tl));
}

/* includes and meta for a page of posts; data, each post's text, goes into
 * items (see serve_page). */
static json_t *page_json(struct fake_server *s, struct fake_req *rq,
			 struct fake_post **out, size_t n, double tl,
			 const char **items)
{
	json_t *o = json_object(), *users = json_array();
	json_t *tweets = json_array(), *meta;
	struct fake_map seen;

	fake_map_init(&seen);
	for (size_t i = 0; i < n; i++) {
		const struct fake_post *parent;

		items[i] = tweet_text(s, rq, out[i], tl);
		if (wants(rq, "expansions", "author_id") &&
		    !fake_map_get(&seen, out[i]->author->id)) {
			fake_map_put(&seen, out[i]->author->id, out[i]);
			json_array_append_new(users, user_json(rq, out[i]->author));
		}
		parent = out[i]->reply_to ?
			fake_store_find(&s->store, FAKE_X, out[i]->reply_to) : NULL;
		if (parent && wants(rq, "expansions", "referenced_tweets.id") &&
		    fake_post_visible(parent, tl))
			json_array_append_new(tweets, tweet_json(s, rq, parent, tl));
	}
	fake_map_release(&seen);
	if (json_array_size(users) || json_array_size(tweets)) {
		json_t *inc = json_object();

		if (json_array_size(users))
			json_object_set(inc, "users", users);
		if (json_array_size(tweets))
			json_object_set(inc, "tweets", tweets);
		json_object_set_new(o, "includes", inc);
	}
	json_decref(users);
	json_decref(tweets);
	meta = json_object();
	if (n) {
		json_object_set_new(meta, "newest_id", json_string(out[0]->native));
		json_object_set_new(meta, "oldest_id", json_string(out[n - 1]->native));
	}
	json_object_set_new(meta, "result_count", json_integer((json_int_t)n));
	json_object_set_new(o, "meta", meta);
	return o;
}

/* ---- reads ---- */

struct match {
	double tl;
	int64_t now_ms;
	bool search;
	const char *q;
	int64_t start_ms, end_ms;	/* -1 = unbounded */
	const char *channel;
	const char *author_id;
};

static bool pred(const struct fake_post *p, void *ctx)
{
	const struct match *m = ctx;

	if (!fake_post_visible(p, m->tl))
		return false;
	if (m->start_ms >= 0 && p->created_ms < m->start_ms)
		return false;
	if (m->end_ms >= 0 && p->created_ms > m->end_ms)
		return false;
	if (m->author_id)
		return !strcmp(p->author->id, m->author_id);
	if (p->brand)
		return false;
	if (m->channel && !fake_post_has_channel(p, m->channel))
		return false;
	return !m->search || fake_post_matches_search(p, m->q);
}

struct bounds {
	bool has_lo, has_hi, from_low;
	struct fake_key lo, hi;
};

/* since_id/until_id/start_time/end_time/token; false when answered 400. */
static bool parse_bounds(struct fake_req *rq, struct fake_resp *rs,
			 const char *token_arg, struct match *m, struct bounds *b)
{
	const char *since = fake_arg(rq, "since_id"), *until = fake_arg(rq, "until_id");
	const char *st = fake_arg(rq, "start_time"), *et = fake_arg(rq, "end_time");
	const char *tok = fake_arg(rq, token_arg);
	int64_t v;

	memset(b, 0, sizeof(*b));
	if (since) {
		int64_t ms;

		if (!fake_parse_u63(since, &v)) {
			invalid(rs, "since_id", since, "The `since_id` query parameter "
				"value is not a valid id");
			return false;
		}
		ms = (v >> 22) + TWITTER_EPOCH_MS;
		if (m->search && ms >= 1577836800000LL && ms < m->now_ms - WEEK_MS) {
			invalid(rs, "since_id", since, "Invalid 'since_id'. 'since_id' "
				"must be a tweet id created within the last 7 days");
			return false;
		}
		b->has_lo = true;
		b->lo = (struct fake_key){ v, UINT64_MAX };
	}
	if (until) {
		if (!fake_parse_u63(until, &v)) {
			invalid(rs, "until_id", until, "The `until_id` query parameter "
				"value is not a valid id");
			return false;
		}
		b->has_hi = true;
		b->hi = (struct fake_key){ v, 0 };
	}
	if ((st && (m->start_ms = fake_parse_iso(st)) < 0) ||
	    (et && (m->end_ms = fake_parse_iso(et)) < 0)) {
		invalid(rs, st && m->start_ms < 0 ? "start_time" : "end_time",
			st && m->start_ms < 0 ? st : et, "Invalid date time");
		return false;
	}
	if (tok && *tok) {
		struct fake_key k;

		if (fake_cursor_decode("xn", tok, &k)) {
			if (!b->has_hi || k.k1 < b->hi.k1 ||
			    (k.k1 == b->hi.k1 && k.k2 < b->hi.k2))
				b->hi = k;
			b->has_hi = true;
		} else if (fake_cursor_decode("xp", tok, &k)) {
			b->lo = k;
			b->has_lo = true;
			b->from_low = true;
		} else {
			invalid(rs, token_arg, tok, "The pagination token is invalid");
			return false;
		}
	}
	return true;
}

static long results_arg(struct fake_req *rq, struct fake_resp *rs, long lo)
{
	const char *v = fake_arg(rq, "max_results");
	char *end, msg[128];
	long n;

	if (!v)
		return 10;
	n = strtol(v, &end, 10);
	if (*end || n < lo || n > 100) {
		snprintf(msg, sizeof(msg), "The `max_results` query parameter value "
			 "[%s] is not between %ld and 100", v, lo);
		invalid(rs, "max_results", v, msg);
		return 0;
	}
	return n;
}

static void serve_page(struct fake_server *s, struct fake_req *rq,
		       struct fake_resp *rs, struct match *m, const char *token_arg,
		       long min_results, bool prev_token)
{
	struct fake_post *out[PAGE_MAX];
	const char *items[PAGE_MAX];
	struct bounds b;
	long limit = results_arg(rq, rs, min_results);
	bool more;
	size_t n;
	json_t *o, *meta;
	char *rest, *tail;

	if (!limit || !parse_bounds(rq, rs, token_arg, m, &b))
		return;
	n = fake_page(&s->store.lists[FAKE_X], b.has_lo ? &b.lo : NULL,
		      b.has_hi ? &b.hi : NULL, b.from_low, (size_t)limit, pred, m,
		      out, &more);
	o = page_json(s, rq, out, n, m->tl, items);
	meta = json_object_get(o, "meta");
	if (n && (b.from_low || more)) {
		struct fake_key k = { out[n - 1]->k1, out[n - 1]->k2 };
		char *t = fake_cursor_encode("xn", &k);

		json_object_set_new(meta, "next_token", json_string(t));
		free(t);
	}
	if (n && prev_token && fake_arg(rq, token_arg)) {
		struct fake_key k = { out[0]->k1, out[0]->k2 };
		char *t = fake_cursor_encode("xp", &k);

		json_object_set_new(meta, "previous_token", json_string(t));
		free(t);
	}
	if (!n) {	/* no data member at all */
		fake_resp_json(rs, 200, o);
		return;
	}
	/* {"data":[...], then the rest of o's members, in that order */
	rest = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	tail = xasprintf("%s%s", rest && strcmp(rest, "{}") ? "," : "",
			 rest && strcmp(rest, "{}") ? rest + 1 : "}");
	fake_resp_items(rs, 200, "{\"data\":", items, n, tail);
	free(tail);
	free(rest);
}

static int search_recent(struct fake_server *s, struct fake_req *rq,
			 struct fake_resp *rs)
{
	int64_t now_ms = fake_now_ms(s, rq->now);
	struct match m = { fake_timeline_now(s, rq->now), now_ms, true,
			   fake_arg(rq, "query"), now_ms - WEEK_MS,
			   now_ms - (int64_t)(s->cfg.x_search_lag * 1000), NULL, NULL };

	if (!authed(rq, rs))
		return 0;
	if (!m.q || !*m.q) {
		invalid(rs, "query", "", "The `query` query parameter can not be empty");
		return 0;
	}
	if (s->cfg.x_search_lag <= 0)
		m.end_ms = -1;
	serve_page(s, rq, rs, &m, "next_token", 10, false);
	return 0;
}

static int mentions(struct fake_server *s, struct fake_req *rq,
		    struct fake_resp *rs)
{
	struct fake_author *me = fake_store_brand(&s->store, FAKE_X, s->cfg.brand);
	struct match m = { fake_timeline_now(s, rq->now), fake_now_ms(s, rq->now),
			   false, NULL, -1, -1, "mention", NULL };

	if (!authed(rq, rs))
		return 0;
	if (strcmp(rq->params[0], me->id))
		m.channel = "\x01none";	/* only the brand is ever mentioned */
	serve_page(s, rq, rs, &m, "pagination_token", 5, true);
	return 0;
}

static int user_tweets(struct fake_server *s, struct fake_req *rq,
		       struct fake_resp *rs)
{
	struct match m = { fake_timeline_now(s, rq->now), fake_now_ms(s, rq->now),
			   false, NULL, -1, -1, NULL, rq->params[0] };

	if (!authed(rq, rs))
		return 0;
	fake_store_brand(&s->store, FAKE_X, s->cfg.brand);
	serve_page(s, rq, rs, &m, "pagination_token", 5, true);
	return 0;
}

static int get_tweet(struct fake_server *s, struct fake_req *rq,
		     struct fake_resp *rs)
{
	double tl = fake_timeline_now(s, rq->now);
	struct fake_post *p = fake_store_find(&s->store, FAKE_X, rq->params[0]);
	json_t *o;

	if (!authed(rq, rs))
		return 0;
	if (!p || strcmp(p->native, rq->params[0]) || !fake_post_visible(p, tl)) {
		char *detail = xasprintf("Could not find tweet with id: [%s].",
					 rq->params[0]);

		fake_resp_json(rs, 200, json_pack(
			"{s:[{s:s, s:s, s:s, s:s, s:s, s:s, s:s}]}", "errors",
			"value", rq->params[0], "detail", detail, "title", "Not Found Error",
			"resource_type", "tweet", "parameter", "id",
			"resource_id", rq->params[0],
			"type", "https://api.twitter.com/2/problems/resource-not-found"));
		free(detail);
		return 0;
	}
	o = json_pack("{s:o}", "data", tweet_json(s, rq, p, tl));
	if (wants(rq, "expansions", "author_id"))
		json_object_set_new(o, "includes", json_pack("{s:[o]}", "users",
							     user_json(rq, p->author)));
	fake_resp_json(rs, 200, o);
	return 0;
}

static int user_by_username(struct fake_server *s, struct fake_req *rq,
			    struct fake_resp *rs)
{
	struct fake_author *a;

	if (!authed(rq, rs))
		return 0;
	fake_store_brand(&s->store, FAKE_X, s->cfg.brand);
	a = fake_store_author_by_handle(&s->store, FAKE_X, rq->params[0]);
	if (!a) {
		char *detail = xasprintf("Could not find user with username: [%s].",
					 rq->params[0]);

		fake_resp_json(rs, 200, json_pack(
			"{s:[{s:s, s:s, s:s, s:s, s:s, s:s, s:s}]}", "errors",
			"value", rq->params[0], "detail", detail, "title", "Not Found Error",
			"resource_type", "user", "parameter", "username",
			"resource_id", rq->params[0],
			"type", "https://api.twitter.com/2/problems/resource-not-found"));
		free(detail);
		return 0;
	}
	fake_resp_json(rs, 200, json_pack("{s:o}", "data", user_json(rq, a)));
	return 0;
}

static int users_me(struct fake_server *s, struct fake_req *rq,
		    struct fake_resp *rs)
{
	if (authed(rq, rs))
		fake_resp_json(rs, 200, json_pack("{s:o}", "data", user_json(rq,
			fake_store_brand(&s->store, FAKE_X, s->cfg.brand))));
	return 0;
}

/* ---- replies ---- */

static int post_tweet(struct fake_server *s, struct fake_req *rq,
		      struct fake_resp *rs)
{
	struct fake_author *me = fake_store_brand(&s->store, FAKE_X, s->cfg.brand);
	const char *text = json_string_value(json_object_get(rq->json, "text"));
	json_t *reply = json_object_get(rq->json, "reply");
	const char *pid = json_string_value(json_object_get(reply,
							    "in_reply_to_tweet_id"));
	struct fake_post *parent = NULL, *p;
	char *dkey;

	if (!authed(rq, rs))
		return 0;
	if (!json_is_object(rq->json) || !text) {
		invalid(rs, "text", NULL, "$.text is required");
		return 0;
	}
	if (fake_codepoints(text) > 280) {
		invalid(rs, "text", NULL, "Your Tweet text is too long.");
		return 0;
	}
	if (reply && !pid) {
		invalid(rs, "reply.in_reply_to_tweet_id", NULL,
			"$.reply.in_reply_to_tweet_id is required");
		return 0;
	}
	if (pid) {
		parent = fake_store_find(&s->store, FAKE_X, pid);
		if (!parent || strcmp(parent->native, pid) ||
		    !fake_post_visible(parent, fake_timeline_now(s, rq->now))) {
			invalid(rs, "reply.in_reply_to_tweet_id", pid,
				"The tweet you are replying to does not exist or is "
				"not visible to you.");
			return 0;
		}
		/* self-serve tiers: only when the author summoned the brand */
		if (!fake_post_has_channel(parent, "mention") && parent->author != me) {
			problem(rs, 403, "Forbidden", reply_forbidden, "about:blank");
			return 0;
		}
	}
	dkey = xasprintf("x-text|%s", text);
	if (fake_map_get(&s->idem, dkey)) {
		free(dkey);
		problem(rs, 403, "Forbidden",
			"You are not allowed to create a Tweet with duplicate content.",
			"about:blank");
		return 0;
	}
	p = xcalloc(1, sizeof(*p));
	p->platform = FAKE_X;
	p->author = me;
	p->text = xstrdup(text);
	p->lang = xstrdup("en");
	p->native = fake_new_id(&s->store, FAKE_X, false, fake_now_ms(s, rq->now),
				&p->num);
	if (parent) {
		p->reply_to = xstrdup(parent->native);
		p->thread = xstrdup(parent->thread ? parent->thread : parent->native);
	}
	fake_store_add_brand(&s->store, p, fake_now_ms(s, rq->now));
	fake_map_put(&s->idem, dkey, p);
	free(dkey);
	fake_record_reply(s, p, parent ? parent->native : NULL,
			  parent ? parent->key : NULL, NULL);
	fake_resp_json(rs, 201, json_pack("{s:{s:s, s:s, s:[s]}}", "data", "id",
					  p->native, "text", p->text,
					  "edit_history_tweet_ids", p->native));
	return 0;
}

static const struct fake_route routes[] = {
	{ "GET", "/2/tweets/search/recent", "x.search_recent", FAKE_B_X,
	  search_recent },
	{ "GET", "/2/users/me", "x.users_me", FAKE_B_X, users_me },
	{ "GET", "/2/users/by/username/:username", "x.user_by_username", FAKE_B_X,
	  user_by_username },
	{ "GET", "/2/users/:id/mentions", "x.mentions", FAKE_B_X, mentions },
	{ "GET", "/2/users/:id/tweets", "x.user_tweets", FAKE_B_X, user_tweets },
	{ "GET", "/2/tweets/:id", "x.tweet", FAKE_B_X, get_tweet },
	{ "POST", "/2/tweets", "x.post_tweet", FAKE_B_X, post_tweet },
	{ NULL, NULL, NULL, 0, NULL },
};

const struct fake_platform_ops fake_x_ops = {
	.name = "x",
	.bucket = FAKE_B_X,
	.routes = routes,
	.error_body = error_body,
};
