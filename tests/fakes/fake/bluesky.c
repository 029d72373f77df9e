/* bluesky.c: the fake AT Protocol PDS/AppView. Sessions (createSession,
 * refreshSession with the refresh JWT as Bearer, expiring access tokens),
 * searchPosts and listNotifications with opaque cursors, getProfile for
 * follower counts, and createRecord/getRecord for replies, where a repeated
 * rkey fails with HTTP 500 like the reference PDS. */
#include <stdlib.h>
#include <string.h>

#include "heed/xalloc.h"

#include "fake.h"

#define PAGE_MAX 100

static void xrpc_error(struct fake_resp *rs, unsigned status, const char *err,
		       const char *msg)
{
	fake_resp_json(rs, status, json_pack("{s:s, s:s}", "error", err,
					     "message", msg));
}

static void error_body(struct fake_server *s, struct fake_req *rq,
		       unsigned status, struct fake_resp *rs)
{
	(void)s;
	(void)rq;
	switch (status) {
	case 400:
		xrpc_error(rs, 400, "ExpiredToken", "Token has expired");
		break;
	case 401:
		/* injected 401s stand for an expired session */
		xrpc_error(rs, 401, "ExpiredToken", "Token has expired");
		break;
	case 403:
		xrpc_error(rs, 403, "Forbidden",
			   "Request forbidden by administrative rules");
		break;
	case 429:
		xrpc_error(rs, 429, "RateLimitExceeded", "Rate Limit Exceeded");
		break;
	case 502:
		xrpc_error(rs, 502, "UpstreamFailure", "Upstream Failure");
		break;
	case 503:
		xrpc_error(rs, 503, "NotEnoughResources", "Service Unavailable");
		break;
	default:
		xrpc_error(rs, status, "InternalServerError", "Internal Server Error");
		break;
	}
}

/* Check the access JWT; answers the request itself when it fails. */
static bool authed(struct fake_server *s, struct fake_req *rq,
		   struct fake_resp *rs, bool search)
{
	const char *tok = fake_bearer(rq);
	struct fake_token *t;

	if (!tok) {
		if (search)
			error_body(s, rq, 403, rs);
		else
			xrpc_error(rs, 401, "AuthMissing", "Authentication Required");
		return false;
	}
	t = fake_token_find(s, tok);
	if (!t || t->platform != FAKE_BLUESKY || t->revoked) {
		xrpc_error(rs, 400, "InvalidToken", "Token could not be verified");
		return false;
	}
	if (t->refresh) {
		xrpc_error(rs, 400, "InvalidToken", "Invalid token type");
		return false;
	}
	if (t->expires <= rq->now) {
		xrpc_error(rs, s->cfg.bsky_expired_status, "ExpiredToken",
			   "Token has expired");
		return false;
	}
	return true;
}

static const char *handle_of(const struct fake_author *a)
{
	return a->handle ? a->handle : "handle.invalid";
}

static json_t *profile_basic(const struct fake_author *a)
{
	char *avatar = xasprintf("https://cdn.bsky.app/img/avatar/plain/%s/"
				 "bafkreiavatar@jpeg", a->id);
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:{s:{s:s}}, s:{s:b, s:b}, "
			      "s:[], s:s}",
			      "did", a->id, "handle", handle_of(a),
			      "displayName", a->name ? a->name : "",
			      "avatar", avatar, "associated", "chat", "allowIncoming",
			      "following", "viewer", "muted", 0, "blockedBy", 0,
			      "labels", "createdAt", "2023-04-12T18:03:11.000Z");

	free(avatar);
	return o;
}

static json_t *profile_view(const struct fake_author *a, bool detailed)
{
	json_t *o = profile_basic(a);

	json_object_set_new(o, "description", json_string(""));
	json_object_set_new(o, "indexedAt", json_string("2024-01-05T10:00:00.000Z"));
	if (detailed) {
		json_object_set_new(o, "followersCount", json_integer(a->followers));
		json_object_set_new(o, "followsCount", json_integer(180));
		json_object_set_new(o, "postsCount", json_integer(311));
		json_object_set_new(o, "banner", json_string(
			"https://cdn.bsky.app/img/banner/plain/fake/bafkreibanner@jpeg"));
	}
	return o;
}

static json_t *strong_ref(struct fake_server *s, const char *id)
{
	struct fake_post *p = fake_store_find(&s->store, FAKE_BLUESKY, id);
	char *cid;
	json_t *o;

	if (p)
		return json_pack("{s:s, s:s}", "uri", p->native, "cid", p->cid);
	cid = fake_new_cid(id, "");
	o = json_pack("{s:s, s:s}", "uri", id, "cid", cid);
	free(cid);
	return o;
}

static const struct fake_post *root_of(struct fake_server *s,
				       const struct fake_post *p)
{
	const struct fake_post *up = p, *next;
	size_t depth = 0;

	if (p->thread) {
		next = fake_store_find(&s->store, FAKE_BLUESKY, p->thread);
		if (next)
			return next;
	}
	while (up->reply_to && depth++ < 100) {
		next = fake_store_find(&s->store, FAKE_BLUESKY, up->reply_to);
		if (!next)
			break;
		up = next;
	}
	return up;
}

/* Facets with UTF-8 byte offsets (the lexicon's rule; not UTF-16). */
static json_t *facets(struct fake_server *s, const char *text)
{
	struct fake_span sp[32];
	size_t n = fake_spans(text, sp, 32);
	json_t *arr = json_array();

	for (size_t i = 0; i < n; i++) {
		char *word = xstrndup(text + sp[i].start, sp[i].end - sp[i].start);
		json_t *feat;

		if (sp[i].kind == FAKE_SPAN_MENTION) {
			const char *h = word + 1;
			struct fake_author *a = fake_store_author_by_handle(&s->store,
									    FAKE_BLUESKY, h);
			char *did = a ? xstrdup(a->id) :
				xasprintf("did:plc:%016llx", (unsigned long long)
					  fake_hash(h, strlen(h)));

			feat = json_pack("{s:s, s:s}", "$type",
					 "app.bsky.richtext.facet#mention", "did", did);
			free(did);
		} else if (sp[i].kind == FAKE_SPAN_TAG) {
			feat = json_pack("{s:s, s:s}", "$type", "app.bsky.richtext.facet#tag",
					 "tag", word + 1);
		} else {
			feat = json_pack("{s:s, s:s}", "$type",
					 "app.bsky.richtext.facet#link", "uri", word);
		}
		json_array_append_new(arr, json_pack(
			"{s:s, s:{s:I, s:I}, s:[o]}", "$type", "app.bsky.richtext.facet",
			"index", "byteStart", (json_int_t)sp[i].start,
			"byteEnd", (json_int_t)sp[i].end, "features", feat));
		free(word);
	}
	return arr;
}

static json_t *post_record(struct fake_server *s, const struct fake_post *p)
{
	char created[40];
	json_t *rec, *fc;

	if (p->raw) {
		rec = json_loads(p->raw, 0, NULL);
		if (rec)
			return rec;
	}
	/* createdAt is what the client declared: a little before indexedAt */
	fake_iso_ms(created, sizeof(created), p->created_ms -
		    (int64_t)(fake_hash(p->native, strlen(p->native)) % 2000));
	rec = json_pack("{s:s, s:s, s:s}", "$type", "app.bsky.feed.post",
			"createdAt", created, "text", p->text);
	if (p->lang)
		json_object_set_new(rec, "langs", json_pack("[s]", p->lang));
	fc = facets(s, p->text);
	if (json_array_size(fc))
		json_object_set_new(rec, "facets", fc);
	else
		json_decref(fc);
	if (p->reply_to) {
		const struct fake_post *root = root_of(s, p);

		json_object_set_new(rec, "reply", json_pack(
			"{s:o, s:o}", "root",
			root != p ? json_pack("{s:s, s:s}", "uri", root->native,
					      "cid", root->cid)
				  : strong_ref(s, p->thread ? p->thread : p->reply_to),
			"parent", strong_ref(s, p->reply_to)));
	}
	return rec;
}

static json_t *post_view(struct fake_server *s, const struct fake_post *p)
{
	char indexed[40];

	fake_iso_ms(indexed, sizeof(indexed), p->created_ms);
	return json_pack("{s:s, s:s, s:o, s:o, s:i, s:i, s:i, s:i, s:i, s:s, "
			 "s:{s:b, s:b, s:b}, s:[]}",
			 "uri", p->native, "cid", p->cid,
			 "author", profile_basic(p->author),
			 "record", post_record(s, p),
			 "bookmarkCount", 0, "replyCount", 0, "repostCount", 0,
			 "likeCount", 0, "quoteCount", 0, "indexedAt", indexed,
			 "viewer", "bookmarked", 0, "threadMuted", 0,
			 "embeddingDisabled", 0, "labels");
}

/* ---- sessions ---- */

static json_t *session_json(struct fake_server *s, struct fake_token *access,
			    struct fake_token *refresh)
{
	struct fake_author *me = fake_store_brand(&s->store, FAKE_BLUESKY,
						  s->cfg.brand);
	char *email = xasprintf("social@%s.example", s->cfg.brand);
	json_t *o = json_pack("{s:s, s:s, s:s, s:b, s:b, s:b, s:s, s:s}",
			      "did", me->id, "handle", me->handle, "email", email,
			      "emailConfirmed", 1, "emailAuthFactor", 0,
			      "active", 1, "accessJwt", access ? access->token : "",
			      "refreshJwt", refresh ? refresh->token : "");

	if (!access) {
		json_object_del(o, "accessJwt");
		json_object_del(o, "refreshJwt");
	}
	free(email);
	return o;
}

static int create_session(struct fake_server *s, struct fake_req *rq,
			  struct fake_resp *rs)
{
	const char *id = fake_field(rq, "identifier");
	const char *pw = fake_field(rq, "password");
	struct fake_token *a, *r;

	s->create_sessions++;
	if (!id || !pw) {
		xrpc_error(rs, 400, "InvalidRequest",
			   !id ? "Input must have the property \"identifier\""
			       : "Input must have the property \"password\"");
		return 0;
	}
	if (!*pw || !strcmp(pw, "wrong")) {
		xrpc_error(rs, 401, "AuthenticationRequired",
			   "Invalid identifier or password");
		return 0;
	}
	a = fake_token_new(s, FAKE_BLUESKY, false, s->cfg.bsky_access_ttl, rq->now);
	r = fake_token_new(s, FAKE_BLUESKY, true, s->cfg.bsky_refresh_ttl, rq->now);
	fake_resp_json(rs, 200, session_json(s, a, r));
	return 0;
}

static int refresh_session(struct fake_server *s, struct fake_req *rq,
			   struct fake_resp *rs)
{
	struct fake_token *t = fake_token_find(s, fake_bearer(rq)), *a, *r;

	if (!fake_bearer(rq)) {
		xrpc_error(rs, 401, "AuthMissing", "Authentication Required");
		return 0;
	}
	if (!t || t->platform != FAKE_BLUESKY) {
		xrpc_error(rs, 400, "InvalidToken", "Token could not be verified");
		return 0;
	}
	if (!t->refresh) {
		xrpc_error(rs, 400, "InvalidToken", "Invalid token type");
		return 0;
	}
	if (t->revoked) {
		xrpc_error(rs, 400, "ExpiredToken", "Token has been revoked");
		return 0;
	}
	if (t->expires <= rq->now) {
		xrpc_error(rs, 400, "ExpiredToken", "Token has expired");
		return 0;
	}
	t->revoked = true;	/* refresh tokens rotate */
	a = fake_token_new(s, FAKE_BLUESKY, false, s->cfg.bsky_access_ttl, rq->now);
	r = fake_token_new(s, FAKE_BLUESKY, true, s->cfg.bsky_refresh_ttl, rq->now);
	fake_resp_json(rs, 200, session_json(s, a, r));
	return 0;
}

static int get_session(struct fake_server *s, struct fake_req *rq,
		       struct fake_resp *rs)
{
	if (authed(s, rq, rs, false))
		fake_resp_json(rs, 200, session_json(s, NULL, NULL));
	return 0;
}

/* ---- reads ---- */

struct match {
	double tl;
	const char *q;
	int64_t since_ms, until_ms;	/* -1 = unbounded */
	const char *lang;
	bool notifications;
	bool reasons[3];		/* mention, reply, quote */
	bool any_reason;
};

static const char *const reason_names[3] = { "mention", "reply", "quote" };

static int reason_of(const struct fake_post *p)
{
	for (int i = 2; i >= 0; i--)
		if (fake_post_has_channel(p, reason_names[i]))
			return i;
	return -1;
}

static bool pred(const struct fake_post *p, void *ctx)
{
	const struct match *m = ctx;

	if (p->brand || !fake_post_visible(p, m->tl))
		return false;
	if (m->notifications) {
		int r = reason_of(p);

		return r >= 0 && (!m->any_reason || m->reasons[r]);
	}
	if (m->since_ms >= 0 && p->created_ms < m->since_ms)
		return false;
	if (m->until_ms >= 0 && p->created_ms >= m->until_ms)
		return false;
	if (m->lang && (!p->lang || strcmp(p->lang, m->lang)))
		return false;
	return fake_post_matches_search(p, m->q);
}

/* limit within 1..100 or a 400 answer; returns 0 when answered. */
static size_t limit_arg(struct fake_req *rq, struct fake_resp *rs, long def)
{
	const char *v = fake_arg(rq, "limit");
	char *end;
	long n;

	if (!v)
		return (size_t)def;
	n = strtol(v, &end, 10);
	if (*end || n < 1 || n > 100) {
		xrpc_error(rs, 400, "InvalidRequest",
			   n > 100 ? "limit can not be greater than 100"
				   : "limit can not be less than 1");
		return 0;
	}
	return (size_t)n;
}

static bool cursor_arg(struct fake_req *rq, struct fake_resp *rs,
		       struct fake_key *k, bool *has)
{
	const char *c = fake_arg(rq, "cursor");

	*has = c && *c;
	if (*has && !fake_cursor_decode("bsky", c, k)) {
		xrpc_error(rs, 400, "InvalidRequest", "Malformed cursor");
		return false;
	}
	return true;
}

static int search_posts(struct fake_server *s, struct fake_req *rq,
			struct fake_resp *rs)
{
	struct match m = { fake_timeline_now(s, rq->now), fake_arg(rq, "q"), -1, -1,
			   fake_arg(rq, "lang"), false, { false }, false };
	const char *since = fake_arg(rq, "since"), *until = fake_arg(rq, "until");
	struct fake_post *out[PAGE_MAX];
	struct fake_key cur;
	bool has_cur, more;
	size_t limit, n, total = 0;
	struct fake_list *l = &s->store.lists[FAKE_BLUESKY];
	json_t *posts, *o;

	if (!authed(s, rq, rs, true))
		return 0;
	if (!m.q) {
		xrpc_error(rs, 400, "InvalidRequest",
			   "Error: Params must have the property \"q\"");
		return 0;
	}
	if ((since && (m.since_ms = fake_parse_iso(since)) < 0) ||
	    (until && (m.until_ms = fake_parse_iso(until)) < 0)) {
		xrpc_error(rs, 400, "InvalidRequest",
			   "since/until must be a datetime or YYYY-MM-DD");
		return 0;
	}
	limit = limit_arg(rq, rs, 25);
	if (!limit || !cursor_arg(rq, rs, &cur, &has_cur))
		return 0;
	n = fake_page(l, NULL, has_cur ? &cur : NULL, false, limit, pred, &m, out,
		      &more);
	for (size_t i = 0; i < l->n; i++)
		total += pred(l->v[i], &m);
	posts = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(posts, post_view(s, out[i]));
	o = json_pack("{s:I, s:o}", "hitsTotal", (json_int_t)total, "posts", posts);
	if (more) {
		struct fake_key k = { out[n - 1]->k1, out[n - 1]->k2 };
		char *c = fake_cursor_encode("bsky", &k);

		json_object_set_new(o, "cursor", json_string(c));
		free(c);
	}
	fake_resp_json(rs, 200, o);
	return 0;
}

static int list_notifications(struct fake_server *s, struct fake_req *rq,
			      struct fake_resp *rs)
{
	struct match m = { fake_timeline_now(s, rq->now), NULL, -1, -1, NULL, true,
			   { false }, false };
	struct fake_post *out[PAGE_MAX];
	struct fake_key cur;
	bool has_cur, more;
	size_t limit, n;
	json_t *arr, *o;

	if (!authed(s, rq, rs, false))
		return 0;
	for (size_t i = 0; i < rq->nargs; i++) {
		if (strcmp(rq->args[i].key, "reasons") &&
		    strcmp(rq->args[i].key, "reasons[]"))
			continue;
		m.any_reason = true;
		for (int r = 0; r < 3; r++)
			if (rq->args[i].val && !strcmp(rq->args[i].val, reason_names[r]))
				m.reasons[r] = true;
	}
	limit = limit_arg(rq, rs, 50);
	if (!limit || !cursor_arg(rq, rs, &cur, &has_cur))
		return 0;
	n = fake_page(&s->store.lists[FAKE_BLUESKY], NULL, has_cur ? &cur : NULL,
		      false, limit, pred, &m, out, &more);
	arr = json_array();
	for (size_t i = 0; i < n; i++) {
		const struct fake_post *p = out[i];
		char indexed[40];
		json_t *note;
		int r = reason_of(p);

		fake_iso_ms(indexed, sizeof(indexed), p->created_ms);
		note = json_pack("{s:s, s:s, s:o, s:s, s:o, s:b, s:s, s:[]}",
				 "uri", p->native, "cid", p->cid,
				 "author", profile_view(p->author, false),
				 "reason", reason_names[r], "record", post_record(s, p),
				 "isRead", 0, "indexedAt", indexed, "labels");
		if (r == 1 && p->reply_to) {
			json_t *ref = strong_ref(s, p->reply_to);

			json_object_set(note, "reasonSubject", json_object_get(ref, "uri"));
			json_decref(ref);
		}
		json_array_append_new(arr, note);
	}
	o = json_pack("{s:o, s:b}", "notifications", arr, "priority", 0);
	if (more) {
		struct fake_key k = { out[n - 1]->k1, out[n - 1]->k2 };
		char *c = fake_cursor_encode("bsky", &k);

		json_object_set_new(o, "cursor", json_string(c));
		free(c);
	}
	fake_resp_json(rs, 200, o);
	return 0;
}

static struct fake_author *actor(struct fake_server *s, const char *a)
{
	struct fake_author *au;
	char *k;

	if (!a)
		return NULL;
	if (strncmp(a, "did:", 4))
		return fake_store_author_by_handle(&s->store, FAKE_BLUESKY, a);
	k = xasprintf("bluesky|%s", a);
	au = fake_map_get(&s->store.authors, k);
	free(k);
	return au;
}

static int get_profile(struct fake_server *s, struct fake_req *rq,
		       struct fake_resp *rs)
{
	struct fake_author *a;

	if (!authed(s, rq, rs, false))
		return 0;
	fake_store_brand(&s->store, FAKE_BLUESKY, s->cfg.brand);
	a = actor(s, fake_arg(rq, "actor"));
	if (!fake_arg(rq, "actor"))
		xrpc_error(rs, 400, "InvalidRequest",
			   "Error: Params must have the property \"actor\"");
	else if (!a)
		xrpc_error(rs, 400, "InvalidRequest", "Profile not found");
	else
		fake_resp_json(rs, 200, profile_view(a, true));
	return 0;
}

/* ---- records ---- */

static bool valid_tid(const char *s)
{
	if (strlen(s) != 13 || !strchr("234567abcdefghij", s[0]))
		return false;
	for (; *s; s++)
		if (!strchr("234567abcdefghijklmnopqrstuvwxyz", *s))
			return false;
	return true;
}

static struct fake_post *find_record(struct fake_server *s, const char *did,
				     const char *rkey)
{
	char *k = xasprintf("bluesky|rkey|%s|%s", did, rkey);
	struct fake_post *p = fake_map_get(&s->store.by_native, k);

	free(k);
	return p;
}

static int create_record(struct fake_server *s, struct fake_req *rq,
			 struct fake_resp *rs)
{
	struct fake_author *me = fake_store_brand(&s->store, FAKE_BLUESKY,
						  s->cfg.brand);
	const char *repo = fake_field(rq, "repo");
	const char *coll = fake_field(rq, "collection");
	const char *rkey = fake_field(rq, "rkey");
	json_t *rec = json_object_get(rq->json, "record"), *reply;
	const char *text = json_string_value(json_object_get(rec, "text"));
	const char *parent_uri, *root_uri;
	struct fake_post *p, *parent;
	char *rev;
	json_t *langs;

	if (!authed(s, rq, rs, false))
		return 0;
	if (!repo || !coll || !json_is_object(rec)) {
		xrpc_error(rs, 400, "InvalidRequest",
			   "Input must have the properties \"repo\", \"collection\" "
			   "and \"record\"");
		return 0;
	}
	if (strcmp(repo, me->id) && strcasecmp(repo, me->handle)) {
		xrpc_error(rs, 400, "InvalidRequest", "Invalid repo: not the session's");
		return 0;
	}
	if (strcmp(coll, "app.bsky.feed.post")) {
		xrpc_error(rs, 400, "InvalidRequest",
			   "the fake only stores app.bsky.feed.post records");
		return 0;
	}
	if (!text || !json_is_string(json_object_get(rec, "createdAt"))) {
		xrpc_error(rs, 400, "InvalidRequest",
			   "Invalid app.bsky.feed.post record: Record must have the "
			   "properties \"text\" and \"createdAt\"");
		return 0;
	}
	if (fake_graphemes(text) > 300 || strlen(text) > 3000) {
		xrpc_error(rs, 400, "InvalidRequest",
			   "Invalid app.bsky.feed.post record: Record/text must not be "
			   "longer than 300 graphemes");
		return 0;
	}
	if (rkey && !valid_tid(rkey)) {
		xrpc_error(rs, 400, "InvalidRequest", "Invalid record key: not a TID");
		return 0;
	}
	if (rkey && find_record(s, me->id, rkey)) {
		/* the reference PDS: "There is already a value at key" -> 500 */
		error_body(s, rq, 500, rs);
		return 0;
	}
	reply = json_object_get(rec, "reply");
	parent_uri = json_string_value(json_object_get(json_object_get(reply, "parent"),
						       "uri"));
	root_uri = json_string_value(json_object_get(json_object_get(reply, "root"),
						     "uri"));
	if (reply && (!parent_uri || !root_uri)) {
		xrpc_error(rs, 400, "InvalidRequest",
			   "Invalid app.bsky.feed.post record: Record/reply must have "
			   "the properties \"root\" and \"parent\"");
		return 0;
	}
	parent = parent_uri ? fake_store_find(&s->store, FAKE_BLUESKY, parent_uri)
			    : NULL;
	p = xcalloc(1, sizeof(*p));
	p->platform = FAKE_BLUESKY;
	p->author = me;
	p->text = xstrdup(text);
	langs = json_object_get(rec, "langs");
	p->lang = json_is_string(json_array_get(langs, 0)) ?
		  xstrdup(json_string_value(json_array_get(langs, 0))) : NULL;
	p->rkey = rkey ? xstrdup(rkey) : fake_new_tid(&s->store, fake_now_ms(s, rq->now));
	p->native = xasprintf("at://%s/app.bsky.feed.post/%s", me->id, p->rkey);
	p->cid = fake_new_cid(p->native, text);
	p->raw = json_dumps(rec, JSON_COMPACT);
	p->reply_to = parent_uri ? xstrdup(parent_uri) : NULL;
	p->thread = root_uri ? xstrdup(root_uri) : NULL;
	p->idem_key = xstrdup(p->rkey);
	fake_store_add_brand(&s->store, p, fake_now_ms(s, rq->now));
	fake_record_reply(s, p, parent_uri, parent ? parent->key : NULL, p->rkey);
	rev = fake_new_tid(&s->store, fake_now_ms(s, rq->now));
	fake_resp_json(rs, 200, json_pack("{s:s, s:s, s:{s:s, s:s}, s:s}",
					  "uri", p->native, "cid", p->cid,
					  "commit", "cid", p->cid, "rev", rev,
					  "validationStatus", "valid"));
	free(rev);
	return 0;
}

static int get_record(struct fake_server *s, struct fake_req *rq,
		      struct fake_resp *rs)
{
	const char *repo = fake_arg(rq, "repo"), *rkey = fake_arg(rq, "rkey");
	const char *coll = fake_arg(rq, "collection");
	struct fake_author *a;
	struct fake_post *p = NULL;

	fake_store_brand(&s->store, FAKE_BLUESKY, s->cfg.brand);
	if (!repo || !rkey || !coll) {
		xrpc_error(rs, 400, "InvalidRequest",
			   "Params must have the properties \"repo\", \"collection\" "
			   "and \"rkey\"");
		return 0;
	}
	a = actor(s, repo);
	if (a && !strcmp(coll, "app.bsky.feed.post"))
		p = find_record(s, a->id, rkey);
	if (p && !fake_post_visible(p, fake_timeline_now(s, rq->now)))
		p = NULL;
	if (!p) {
		char *msg = xasprintf("Could not locate record: at://%s/%s/%s",
				      a ? a->id : repo, coll, rkey);

		xrpc_error(rs, 400, "RecordNotFound", msg);
		free(msg);
		return 0;
	}
	fake_resp_json(rs, 200, json_pack("{s:s, s:s, s:o}", "uri", p->native,
					  "cid", p->cid, "value", post_record(s, p)));
	return 0;
}

static const struct fake_route routes[] = {
	{ "POST", "/xrpc/com.atproto.server.createSession",
	  "bluesky.createSession", FAKE_B_BSKY_SESSION, create_session },
	{ "POST", "/xrpc/com.atproto.server.refreshSession",
	  "bluesky.refreshSession", FAKE_B_BLUESKY, refresh_session },
	{ "GET", "/xrpc/com.atproto.server.getSession", "bluesky.getSession",
	  FAKE_B_BLUESKY, get_session },
	{ "GET", "/xrpc/app.bsky.feed.searchPosts", "bluesky.searchPosts",
	  FAKE_B_BLUESKY, search_posts },
	{ "GET", "/xrpc/app.bsky.notification.listNotifications",
	  "bluesky.listNotifications", FAKE_B_BLUESKY, list_notifications },
	{ "GET", "/xrpc/app.bsky.actor.getProfile", "bluesky.getProfile",
	  FAKE_B_BLUESKY, get_profile },
	{ "POST", "/xrpc/com.atproto.repo.createRecord", "bluesky.createRecord",
	  FAKE_B_BLUESKY, create_record },
	{ "GET", "/xrpc/com.atproto.repo.getRecord", "bluesky.getRecord",
	  FAKE_B_BLUESKY, get_record },
	{ NULL, NULL, NULL, 0, NULL },
};

const struct fake_platform_ops fake_bluesky_ops = {
	.name = "bluesky",
	.bucket = FAKE_B_BLUESKY,
	.routes = routes,
	.error_body = error_body,
};
