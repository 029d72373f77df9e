/* mastodon.c: the fake Mastodon API. Hashtag timelines, mention
 * notifications and v2 search page by string ids (max_id, since_id, min_id)
 * with a Link header; statuses carry sanitized HTML content; replies honour
 * Idempotency-Key (with the 500-on-repeat bug as an option). */
#include <stdlib.h>
#include <string.h>

#include "heed/xalloc.h"

#include "fake.h"

#define PAGE_MAX 80

struct match {
	double tl;
	const char *channel;		/* required channel, or NULL */
	bool search;
	const char *q;
	const char *author_id;		/* only this account's statuses */
	bool exclude_replies;
};

static bool pred(const struct fake_post *p, void *ctx)
{
	const struct match *m = ctx;

	if (!fake_post_visible(p, m->tl))
		return false;
	if (m->author_id)
		return !strcmp(p->author->id, m->author_id) &&
		       !(m->exclude_replies && p->reply_to);
	if (p->brand)
		return false;
	if (m->channel && !fake_post_has_channel(p, m->channel))
		return false;
	return !m->search || fake_post_matches_search(p, m->q);
}

static void error_body(struct fake_server *s, struct fake_req *rq,
		       unsigned status, struct fake_resp *rs)
{
	const char *msg;

	(void)s;
	(void)rq;
	switch (status) {
	case 401: msg = "The access token is invalid"; break;
	case 403: msg = "This action is not allowed"; break;
	case 404: msg = "Record not found"; break;
	case 422: msg = "Validation failed"; break;
	case 429: msg = "Too many requests"; break;
	case 502:
	case 503:
		fake_resp_text(rs, status, "text/html",
			       status == 502 ? "<html><head><title>502 Bad Gateway</title>"
			       "</head><body><center><h1>502 Bad Gateway</h1></center>"
			       "<hr><center>nginx</center></body></html>\r\n" :
			       "<html><head><title>503 Service Unavailable</title></head>"
			       "<body><center><h1>503 Service Temporarily Unavailable"
			       "</h1></center><hr><center>nginx</center></body></html>\r\n");
		return;
	default: msg = "We're sorry, but something went wrong on our end."; break;
	}
	fake_resp_json(rs, status, json_pack("{s:s}", "error", msg));
}

static bool authed(struct fake_req *rq, struct fake_resp *rs)
{
	if (fake_bearer(rq))
		return true;
	error_body(NULL, rq, 401, rs);
	return false;
}

/* ---- entities ---- */

static void acct_parts(const struct fake_author *a, char *user, size_t un,
		       char *domain, size_t dn)
{
	const char *h = a->handle ? a->handle : "deleted";
	const char *at = strchr(h, '@');

	snprintf(user, un, "%.*s", at ? (int)(at - h) : (int)strlen(h), h);
	snprintf(domain, dn, "%s", at ? at + 1 : FAKE_MASTODON_DOMAIN);
}

static json_t *account_json(const struct fake_author *a)
{
	char user[128], domain[128], *url, *uri;
	json_t *o;

	acct_parts(a, user, sizeof(user), domain, sizeof(domain));
	url = xasprintf("https://%s/@%s", domain, user);
	uri = xasprintf("https://%s/users/%s", domain, user);
	o = json_pack("{s:s, s:s, s:s, s:s, s:b, s:b, s:b, s:b, s:b, s:s, s:s, "
		      "s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:s, s:[], s:[]}",
		      "id", a->id, "username", user,
		      "acct", a->handle ? a->handle : user,
		      "display_name", a->name ? a->name : "",
		      "locked", 0, "bot", 0, "discoverable", 1, "indexable", 1,
		      "group", 0, "created_at", "2022-11-01T00:00:00.000Z",
		      "note", "<p></p>", "url", url, "uri", uri,
		      "avatar", "https://" FAKE_MASTODON_DOMAIN "/avatars/original/missing.png",
		      "avatar_static", "https://" FAKE_MASTODON_DOMAIN "/avatars/original/missing.png",
		      "header", "https://" FAKE_MASTODON_DOMAIN "/headers/original/missing.png",
		      "header_static", "https://" FAKE_MASTODON_DOMAIN "/headers/original/missing.png",
		      "followers_count", (json_int_t)a->followers,
		      "following_count", (json_int_t)120,
		      "statuses_count", (json_int_t)42,
		      "last_status_at", "2024-05-01",
		      "emojis", "fields");
	json_object_set_new(o, "hide_collections", json_null());
	free(url);
	free(uri);
	return o;
}

static json_t *status_json(struct fake_server *s, const struct fake_post *p)
{
	struct fake_span sp[32];
	size_t n = fake_spans(p->text, sp, 32);
	const struct fake_post *parent = p->reply_to ?
		fake_store_find(&s->store, FAKE_MASTODON, p->reply_to) : NULL;
	char created[40], user[128], domain[128];
	char *html = fake_mastodon_html(p->text, FAKE_MASTODON_DOMAIN);
	char *uri, *url;
	json_t *mentions = json_array(), *tags = json_array(), *o;

	acct_parts(p->author, user, sizeof(user), domain, sizeof(domain));
	uri = xasprintf("https://%s/users/%s/statuses/%s", domain, user, p->native);
	url = xasprintf("https://%s/@%s/%s", domain, user, p->native);
	fake_iso_ms(created, sizeof(created), p->created_ms);
	for (size_t i = 0; i < n; i++) {
		char *word = xstrndup(p->text + sp[i].start + 1,
				      sp[i].end - sp[i].start - 1);

		if (sp[i].kind == FAKE_SPAN_MENTION) {
			struct fake_author *a = fake_store_author_by_handle(&s->store,
									    FAKE_MASTODON,
									    word);
			char *mu, *at = strchr(word, '@');
			char *id = a ? xstrdup(a->id) :
				xasprintf("%llu", (unsigned long long)
					  (100000000000000000ULL +
					   fake_hash(word, strlen(word)) % 900000000000000000ULL));

			mu = xasprintf("https://%s/@%.*s", at ? at + 1 : FAKE_MASTODON_DOMAIN,
				       at ? (int)(at - word) : (int)strlen(word), word);
			json_array_append_new(mentions, json_pack(
				"{s:s, s:s%, s:s, s:s}", "id", id, "username", word,
				at ? (size_t)(at - word) : strlen(word), "url", mu,
				"acct", word));
			free(id);
			free(mu);
		} else if (sp[i].kind == FAKE_SPAN_TAG) {
			char *tu;

			for (char *c = word; *c; c++)
				*c = (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
			tu = xasprintf("https://" FAKE_MASTODON_DOMAIN "/tags/%s", word);
			json_array_append_new(tags, json_pack("{s:s, s:s}", "name", word,
							      "url", tu));
			free(tu);
		}
		free(word);
	}
	o = json_pack("{s:s, s:s, s:s?, s:s?, s:b, s:s, s:s, s:s?, s:s, s:s, "
		      "s:i, s:i, s:i, s:n, s:b, s:b, s:b, s:b, s:s, s:[], s:n, "
		      "s:o, s:[], s:o, s:o, s:[], s:n, s:n}",
		      "id", p->native, "created_at", created,
		      "in_reply_to_id", parent ? parent->native : p->reply_to,
		      "in_reply_to_account_id", parent ? parent->author->id : NULL,
		      "sensitive", 0, "spoiler_text", "", "visibility", "public",
		      "language", p->lang, "uri", uri, "url", url,
		      "replies_count", 0, "reblogs_count", 0, "favourites_count", 0,
		      "edited_at", "favourited", 0, "reblogged", 0, "muted", 0,
		      "bookmarked", 0, "content", html, "filtered", "reblog",
		      "account", account_json(p->author), "media_attachments",
		      "mentions", mentions, "tags", tags, "emojis", "card", "poll");
	if (p->brand)
		json_object_set_new(o, "application",
				    json_pack("{s:s, s:n}", "name", "heed", "website"));
	free(html);
	free(uri);
	free(url);
	return o;
}

/* status_json as served: built and serialized once per post while the
 * store stays the same (fake_post_cached). */
static const char *status_text(struct fake_server *s, struct fake_post *p)
{
	const char *t = fake_post_cached(s, p, 0);

	return t ? t : fake_post_cache(s, p, 0, status_json(s, p));
}

/* ---- paging ---- */

/* A Mastodon id bound; false when absent or not an id. */
static bool id_arg(struct fake_req *rq, const char *name, int64_t *v)
{
	const char *s = fake_arg(rq, name);

	return s && fake_parse_u63(s, v);
}

/* Page newest first with max_id / since_id / min_id; shift maps a
 * notification id onto its status id. */
static size_t id_page(struct fake_server *s, struct fake_req *rq, size_t limit,
		      int64_t shift, struct match *m, struct fake_post **out)
{
	struct fake_key lo, hi;
	int64_t max_id = 0, since_id = 0, min_id = 0;
	bool has_max = id_arg(rq, "max_id", &max_id);
	bool has_since = id_arg(rq, "since_id", &since_id);
	bool has_min = id_arg(rq, "min_id", &min_id);
	bool more;

	hi = (struct fake_key){ max_id - shift, 0 };
	if (has_min)
		lo = (struct fake_key){ min_id - shift, UINT64_MAX };
	else
		lo = (struct fake_key){ since_id - shift, UINT64_MAX };
	return fake_page(&s->store.lists[FAKE_MASTODON],
			 has_min || has_since ? &lo : NULL, has_max ? &hi : NULL,
			 has_min, limit, pred, m, out, &more);
}

/* Link: <...?max_id=oldest>; rel="next", <...?min_id=newest>; rel="prev" */
static void link_header(struct fake_req *rq, struct fake_resp *rs,
			const char *path, const char *newest,
			const char *oldest, bool full)
{
	const char *limit = fake_arg(rq, "limit");
	char extra[64] = "";

	if (!newest)
		return;
	if (limit)
		snprintf(extra, sizeof(extra), "limit=%ld&",
			 strtol(limit, NULL, 10));
	if (full)
		fake_resp_header(rs, "Link", "<http://%s%s?%smax_id=%s>; rel=\"next\", "
				 "<http://%s%s?%smin_id=%s>; rel=\"prev\"",
				 rq->host, path, extra, oldest, rq->host, path, extra,
				 newest);
	else
		fake_resp_header(rs, "Link", "<http://%s%s?%smin_id=%s>; rel=\"prev\"",
				 rq->host, path, extra, newest);
}

static long limit_arg(struct fake_req *rq, long def, long max)
{
	long v = fake_arg_long(rq, "limit", def, 1, max);

	return v < 0 ? def : v;
}

/* ---- read endpoints ---- */

static int tag_timeline(struct fake_server *s, struct fake_req *rq,
			struct fake_resp *rs)
{
	char *chan = xasprintf("tag:%s", rq->params[0]);
	struct match m = { fake_timeline_now(s, rq->now), chan, false, NULL, NULL,
			   false };
	struct fake_post *out[PAGE_MAX];
	size_t limit = (size_t)limit_arg(rq, 20, 40);
	size_t n = id_page(s, rq, limit, 0, &m, out);
	const char *items[PAGE_MAX];

	for (size_t i = 0; i < n; i++)
		items[i] = status_text(s, out[i]);
	if (n)
		link_header(rq, rs, rq->path, out[0]->native, out[n - 1]->native,
			    n == limit);
	fake_resp_items(rs, 200, "", items, n, "");
	free(chan);
	return 0;
}

static bool type_wanted(struct fake_req *rq)
{
	bool any = false, mention = false;

	for (size_t i = 0; i < rq->nargs; i++) {
		const char *k = rq->args[i].key, *v = rq->args[i].val;

		if (!strcmp(k, "types[]") || !strcmp(k, "types")) {
			any = true;
			mention = mention || (v && !strcmp(v, "mention"));
		}
		if ((!strcmp(k, "exclude_types[]") || !strcmp(k, "exclude_types")) &&
		    v && !strcmp(v, "mention"))
			return false;
	}
	return !any || mention;
}

static int notifications(struct fake_server *s, struct fake_req *rq,
			 struct fake_resp *rs)
{
	struct match m = { fake_timeline_now(s, rq->now), "mention", false, NULL,
			   NULL, false };
	struct fake_post *out[PAGE_MAX];
	size_t limit = (size_t)limit_arg(rq, 40, 80), n;
	json_t *arr = json_array();

	if (!authed(rq, rs)) {
		json_decref(arr);
		return 0;
	}
	/* notification ids are status ids + 1: ordered the same way, distinct */
	n = type_wanted(rq) ? id_page(s, rq, limit, 1, &m, out) : 0;
	for (size_t i = 0; i < n; i++) {
		char created[40], *nid = xasprintf("%lld", (long long)out[i]->num + 1);

		fake_iso_ms(created, sizeof(created), out[i]->created_ms);
		json_array_append_new(arr, json_pack(
			"{s:s, s:s, s:s, s:s+, s:o, s:o}", "id", nid, "type", "mention",
			"created_at", created, "group_key", "ungrouped-", nid,
			"account", account_json(out[i]->author),
			"status", status_json(s, out[i])));
		free(nid);
	}
	if (n) {
		char *first = xasprintf("%lld", (long long)out[0]->num + 1);
		char *last = xasprintf("%lld", (long long)out[n - 1]->num + 1);

		link_header(rq, rs, rq->path, first, last, n == limit);
		free(first);
		free(last);
	}
	fake_resp_json(rs, 200, arr);
	return 0;
}

/* v2 search: statuses only for a signed-in user, never for a lone #tag or
 * @user term, offset/limit paging (as in search_service.rb). */
static int search(struct fake_server *s, struct fake_req *rq,
		  struct fake_resp *rs)
{
	const char *q = fake_arg(rq, "q"), *type = fake_arg(rq, "type");
	struct match m = { fake_timeline_now(s, rq->now), NULL, true, q, NULL,
			   false };
	long limit = limit_arg(rq, 20, 40);
	long offset = fake_arg_long(rq, "offset", 0, 0, 1000000);
	json_t *statuses = json_array();
	struct fake_list *l = &s->store.lists[FAKE_MASTODON];
	int64_t max_id = 0, min_id = 0;
	bool has_max = id_arg(rq, "max_id", &max_id);
	bool has_min = id_arg(rq, "min_id", &min_id);

	if (!q || !*q) {
		json_decref(statuses);
		fake_resp_json(rs, 400, json_pack("{s:s}", "error",
						  "Validation failed: q is missing"));
		return 0;
	}
	if (offset > 0 && !fake_bearer(rq)) {
		json_decref(statuses);
		error_body(s, rq, 401, rs);
		return 0;
	}
	if (offset < 0)
		offset = 0;
	if (fake_bearer(rq) && (!type || !strcmp(type, "statuses")) &&
	    (strchr(q, ' ') || (q[0] != '#' && q[0] != '@'))) {
		long skipped = 0;

		for (size_t i = l->n; i-- > 0 && (long)json_array_size(statuses) < limit;) {
			struct fake_post *p = l->v[i];

			if ((has_max && p->num >= max_id) || (has_min && p->num <= min_id) ||
			    !pred(p, &m))
				continue;
			if (skipped++ < offset)
				continue;
			json_array_append_new(statuses, status_json(s, p));
		}
	}
	fake_resp_json(rs, 200, json_pack("{s:[], s:o, s:[]}", "accounts",
					  "statuses", statuses, "hashtags"));
	return 0;
}

static int account_statuses(struct fake_server *s, struct fake_req *rq,
			    struct fake_resp *rs)
{
	const char *ex = fake_arg(rq, "exclude_replies");
	struct match m = { fake_timeline_now(s, rq->now), NULL, false, NULL,
			   rq->params[0], ex && (!strcmp(ex, "true") || !strcmp(ex, "1")) };
	struct fake_post *out[PAGE_MAX];
	size_t limit = (size_t)limit_arg(rq, 20, 40);
	size_t n = id_page(s, rq, limit, 0, &m, out);
	json_t *arr = json_array();

	fake_store_brand(&s->store, FAKE_MASTODON, s->cfg.brand);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, status_json(s, out[i]));
	if (n)
		link_header(rq, rs, rq->path, out[0]->native, out[n - 1]->native,
			    n == limit);
	fake_resp_json(rs, 200, arr);
	return 0;
}

static int verify_credentials(struct fake_server *s, struct fake_req *rq,
			      struct fake_resp *rs)
{
	if (authed(rq, rs))
		fake_resp_json(rs, 200, account_json(fake_store_brand(
			&s->store, FAKE_MASTODON, s->cfg.brand)));
	return 0;
}

static struct fake_post *visible_status(struct fake_server *s,
					struct fake_req *rq, const char *id)
{
	struct fake_post *p = fake_store_find(&s->store, FAKE_MASTODON, id);

	if (p && strcmp(p->native, id))
		p = NULL;	/* only native ids address statuses */
	if (p && !fake_post_visible(p, fake_timeline_now(s, rq->now)))
		p = NULL;
	return p;
}

static int get_status(struct fake_server *s, struct fake_req *rq,
		      struct fake_resp *rs)
{
	struct fake_post *p = visible_status(s, rq, rq->params[0]);

	if (!p)
		error_body(s, rq, 404, rs);
	else
		fake_resp_json(rs, 200, status_json(s, p));
	return 0;
}

static int context(struct fake_server *s, struct fake_req *rq,
		   struct fake_resp *rs)
{
	struct fake_post *p = visible_status(s, rq, rq->params[0]);
	struct fake_list *l = &s->store.lists[FAKE_MASTODON];
	double tl = fake_timeline_now(s, rq->now);
	json_t *anc, *desc;
	struct fake_post *up;
	size_t depth = 0;

	if (!p) {
		error_body(s, rq, 404, rs);
		return 0;
	}
	anc = json_array();
	desc = json_array();
	for (up = p; up->reply_to && depth++ < 100;) {
		up = fake_store_find(&s->store, FAKE_MASTODON, up->reply_to);
		if (!up || !fake_post_visible(up, tl))
			break;
		json_array_insert_new(anc, 0, status_json(s, up));
	}
	for (size_t i = 0; i < l->n; i++) {
		struct fake_post *c = l->v[i];
		struct fake_post *par = c->reply_to ?
			fake_store_find(&s->store, FAKE_MASTODON, c->reply_to) : NULL;

		if (par == p && fake_post_visible(c, tl))
			json_array_append_new(desc, status_json(s, c));
	}
	fake_resp_json(rs, 200, json_pack("{s:o, s:o}", "ancestors", anc,
					  "descendants", desc));
	return 0;
}

/* ---- replies ---- */

static int post_status(struct fake_server *s, struct fake_req *rq,
		       struct fake_resp *rs)
{
	const char *text = fake_field(rq, "status");
	const char *parent_id = fake_field(rq, "in_reply_to_id");
	const char *lang = fake_field(rq, "language");
	struct fake_post *parent = NULL, *p, *prev;
	char *ikey = NULL;

	if (!authed(rq, rs))
		return 0;
	if (rq->idem_key) {
		ikey = xasprintf("mastodon|%s", rq->idem_key);
		prev = fake_map_get(&s->idem, ikey);
		if (prev) {
			free(ikey);
			if (s->cfg.mastodon_idem_bug)
				error_body(s, rq, 500, rs);
			else
				fake_resp_json(rs, 200, status_json(s, prev));
			return 0;
		}
	}
	if (!text || !*text) {
		fake_resp_json(rs, 422, json_pack("{s:s}", "error",
						  "Validation failed: Text can't be blank"));
		goto out_free;
	}
	if (fake_codepoints(text) > 500) {
		fake_resp_json(rs, 422, json_pack("{s:s}", "error",
			"Validation failed: Text character limit of 500 exceeded"));
		goto out_free;
	}
	if (parent_id && *parent_id) {
		parent = visible_status(s, rq, parent_id);
		if (!parent) {
			error_body(s, rq, 404, rs);
			goto out_free;
		}
	}
	p = xcalloc(1, sizeof(*p));
	p->platform = FAKE_MASTODON;
	p->author = fake_store_brand(&s->store, FAKE_MASTODON, s->cfg.brand);
	p->text = xstrdup(text);
	p->lang = xstrdup(lang ? lang : "en");
	p->native = fake_new_id(&s->store, FAKE_MASTODON, false,
				fake_now_ms(s, rq->now), &p->num);
	if (parent) {
		p->reply_to = xstrdup(parent->native);
		p->thread = xstrdup(parent->thread ? parent->thread : parent->key);
	}
	p->idem_key = rq->idem_key ? xstrdup(rq->idem_key) : NULL;
	fake_store_add_brand(&s->store, p, fake_now_ms(s, rq->now));
	if (ikey)
		fake_map_put(&s->idem, ikey, p);
	fake_record_reply(s, p, parent ? parent->native : NULL,
			  parent ? parent->key : NULL, rq->idem_key);
	fake_resp_json(rs, 200, status_json(s, p));
out_free:
	free(ikey);
	return 0;
}

static const struct fake_route routes[] = {
	{ "GET", "/api/v1/timelines/tag/:tag", "mastodon.tag_timeline",
	  FAKE_B_MASTODON, tag_timeline },
	{ "GET", "/api/v1/notifications", "mastodon.notifications",
	  FAKE_B_MASTODON, notifications },
	{ "GET", "/api/v2/search", "mastodon.search", FAKE_B_MASTODON, search },
	{ "POST", "/api/v1/statuses", "mastodon.post_status", FAKE_B_MASTODON,
	  post_status },
	{ "GET", "/api/v1/statuses/:id", "mastodon.status", FAKE_B_MASTODON,
	  get_status },
	{ "GET", "/api/v1/statuses/:id/context", "mastodon.context",
	  FAKE_B_MASTODON, context },
	{ "GET", "/api/v1/accounts/verify_credentials",
	  "mastodon.verify_credentials", FAKE_B_MASTODON, verify_credentials },
	{ "GET", "/api/v1/accounts/:id/statuses", "mastodon.account_statuses",
	  FAKE_B_MASTODON, account_statuses },
	{ NULL, NULL, NULL, 0, NULL },
};

/* A status's JSON depends on the store only, not on the request. */
static void warm(struct fake_server *s)
{
	const struct fake_list *l = &s->store.lists[FAKE_MASTODON];

	for (size_t i = 0; i < l->n; i++)
		status_text(s, l->v[i]);
}

const struct fake_platform_ops fake_mastodon_ops = {
	.name = "mastodon",
	.bucket = FAKE_B_MASTODON,
	.routes = routes,
	.error_body = error_body,
	.warm = warm,
};
