/* bluesky.c: the Bluesky adapter (heed_ops_bluesky): searchPosts and the
 * brand account's notifications through the account's PDS, with a session
 * that is stored and refreshed, never created on every run (createSession
 * is limited to 30 per 5 minutes and 300 a day). See heed/source.h. */
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
 * Dedupe key: the post's at:// uri (the cid changes with the content);
 * authors are keyed by DID. posted_at is indexedAt, the AppView's clock:
 * createdAt is whatever the client said. thread_key is record.reply.root.
 * Both listings come newest first with an opaque cursor, swept down to a
 * watermark in ms, {"wm", "ids"} (see collect_int.h), plus "cursor" while
 * sweeping. Search filters and sorts on sortAt, the earlier of createdAt
 * and indexedAt, so that is its watermark and its `since` (a watermark on
 * indexedAt would skip a post created just before it but indexed after);
 * notifications use indexedAt. NEEDSWORK: a post back-dated by its client
 * sorts below the watermark and is only seen through notifications. */
#define TOKEN_MARGIN_MS 60000
#define EMPTY_PAGES 3		/* empty pages in a row a sweep goes on through */

enum kind { SEARCH, MENTIONS };

static const char *const kinds[] = { "search", "mentions", NULL };

static int kind_of(const struct heed_source *src, enum kind *k,
		   struct heed_err *err)
{
	for (int i = 0; kinds[i]; i++)
		if (src->kind && !strcmp(src->kind, kinds[i])) {
			*k = (enum kind)i;
			return HEED_OK;
		}
	return heed_err_set(err, HEED_ECONFIG, "bluesky has no kind '%s'",
			    src->kind ? src->kind : "");
}

static int build(const struct heed_source *src, const char *cursor,
		 const char *bearer, int64_t now_ms, struct heed_req *req,
		 struct heed_err *err)
{
	char limit[16], since[HEED_TIME_ISO8601_SIZE], *base;
	struct heed_sweep sw;
	struct heed_buf url;
	enum kind k;
	json_t *c;
	int rc;

	if ((rc = kind_of(src, &k, err)))
		return rc;
	if (k == SEARCH && (src->nqueries != 1 || !*src->queries[0]))
		return heed_err_set(err, HEED_ECONFIG, "bluesky search takes exactly one query");
	c = heed_collect_cursor_load(cursor, err);
	if (!c)
		return HEED_EINVAL;
	heed_sweep_load(&sw, c, heed_collect_cursor_from(c, now_ms));
	heed_time_format_iso8601(sw.wm, since, sizeof(since));
	snprintf(limit, sizeof(limit), "%u", heed_collect_limit(src, 1, 100));
	heed_buf_init(&url, 0);
	base = xasprintf("%s/xrpc/%s", src->base_url, k == SEARCH
			 ? "app.bsky.feed.searchPosts" : "app.bsky.notification.listNotifications");
	if (k == SEARCH) {
		struct heed_http_param params[] = {
			{ "q", src->queries[0] }, { "sort", "latest" },
			{ "since", since }, { "limit", limit },
			{ "cursor", heed_json_str(c, "cursor") }, { NULL, NULL },
		};

		rc = heed_http_url_build(&url, base, params);
	} else {
		struct heed_http_param params[] = {
			{ "reasons", "mention" }, { "reasons", "reply" },
			{ "reasons", "quote" }, { "limit", limit },
			{ "cursor", heed_json_str(c, "cursor") }, { NULL, NULL },
		};

		rc = heed_http_url_build(&url, base, params);
	}
	if (rc) {
		heed_err_set(err, rc, "bluesky: bad base URL");
	} else {
		memset(req, 0, sizeof(*req));
		req->method = HEED_HTTP_GET;
		req->url = heed_buf_detach(&url, NULL);
		if (bearer)
			heed_req_header(req, "Authorization: Bearer %s", bearer);
	}
	free(base);
	heed_buf_release(&url);
	heed_sweep_release(&sw);
	json_decref(c);
	return rc;
}

/* Does the record @-mention the brand account? By a mention facet whose
 * DID is the account, or whose bytes (UTF-8 offsets, end exclusive) read
 * "@handle". */
static bool mentions_brand(const struct heed_source *src, const json_t *record)
{
	const json_t *tv = json_object_get(record, "text");
	const char *acct = src->account, *text = json_string_value(tv);
	size_t len = json_string_length(tv), i, j;
	json_t *f, *feat;

	if (!acct || !*acct || !text)
		return false;
	if (*acct == '@')
		acct++;
	json_array_foreach(heed_json_arr(record, "facets"), i, f) {
		const json_t *ix = heed_json_obj(f, "index");
		int64_t start = heed_json_int(ix, "byteStart", -1, NULL);
		int64_t end = heed_json_int(ix, "byteEnd", -1, NULL);

		json_array_foreach(heed_json_arr(f, "features"), j, feat) {
			const char *type = heed_json_str(feat, "$type");
			const char *did = heed_json_str(feat, "did");

			if (!type || strcmp(type, "app.bsky.richtext.facet#mention"))
				continue;
			if (did && !strcmp(did, acct))
				return true;
			if (start >= 0 && end > start && (size_t)end <= len &&
			    (size_t)(end - start) == strlen(acct) + 1 &&
			    text[start] == '@' &&
			    !strncasecmp(text + start + 1, acct, strlen(acct)))
				return true;
		}
	}
	return false;
}

/* https://bsky.app/profile/DID/post/RKEY for at://DID/app.bsky.feed.post/RKEY */
static char *web_url(const char *uri, const char *did)
{
	const char *rkey = strrchr(uri, '/');

	if (!rkey || !rkey[1] || strncmp(uri, "at://", 5))
		return NULL;
	return xasprintf("https://bsky.app/profile/%s/post/%s", did, rkey + 1);
}

/* The time key of an item: indexedAt, or for search the earlier of it and
 * createdAt (sortAt). false when indexedAt is missing or malformed. */
static bool item_time(enum kind k, const json_t *item, const json_t *record,
		      int64_t *indexed, int64_t *key)
{
	const char *ia = heed_json_str(item, "indexedAt");
	const char *ca = heed_json_str(record, "createdAt");
	int64_t created;

	if (!ia || heed_time_parse_iso8601(ia, indexed))
		return false;
	*key = *indexed;
	if (k == SEARCH && ca && !heed_time_parse_iso8601(ca, &created) &&
	    created < *indexed)
		*key = created;
	return true;
}

static const char *from_item(const struct heed_source *src, enum kind k,
			     const json_t *item, const json_t *record,
			     int64_t indexed, struct heed_mention *m)
{
	const json_t *au = heed_json_obj(item, "author");
	const char *uri = heed_json_str(item, "uri"), *did = heed_json_str(au, "did");
	const char *handle = heed_json_str(au, "handle"), *name = heed_json_str(au, "displayName");
	const char *reason = heed_json_str(item, "reason");
	const json_t *reply = heed_json_obj(record, "reply");
	const char *parent = heed_json_str(heed_json_obj(reply, "parent"), "uri");
	const char *root = heed_json_str(heed_json_obj(reply, "root"), "uri");

	if (!did || !*did)
		return "post without an author DID";
	if (!json_is_string(json_object_get(record, "text")))
		return "post without a record text";
	m->external_id = heed_collect_str(uri, HEED_COLLECT_ID_MAX);
	m->url = web_url(uri, did);
	m->author_id = heed_collect_str(did, HEED_COLLECT_ID_MAX);
	m->author_handle = heed_collect_str(handle && *handle ? handle : did,
					    HEED_COLLECT_NAME_MAX);
	if (name && *name)
		m->author_name = heed_collect_str(name, HEED_COLLECT_NAME_MAX);
	m->text = heed_collect_json_text(json_object_get(record, "text"), HEED_HTML_TEXT_MAX);
	m->posted_at_ms = indexed;
	if (parent && *parent)
		m->in_reply_to = heed_collect_str(parent, HEED_COLLECT_ID_MAX);
	m->thread_key = heed_collect_str(root && *root ? root : uri, HEED_COLLECT_ID_MAX);
	m->lang = heed_collect_lang(heed_json_str(json_array_get(heed_json_arr(record, "langs"),
								 0), NULL));
	m->mentions_account = (k == MENTIONS && reason && !strcmp(reason, "mention")) ||
			      mentions_brand(src, record);
	m->is_own = heed_collect_is_own(src, did, handle);
	m->raw = heed_collect_raw(item);
	return NULL;
}

static bool wanted_reason(const char *r)
{
	return r && (!strcmp(r, "mention") || !strcmp(r, "reply") || !strcmp(r, "quote"));
}

static void one_item(const struct heed_source *src, enum kind k,
		     const json_t *item, struct heed_sweep *sw,
		     struct heed_page *page)
{
	const char *uri = heed_json_str(item, "uri"), *why = NULL;
	const json_t *record = heed_json_obj(item, "record");
	struct heed_mention m;
	int64_t indexed, key;

	if (!json_is_object(item) || !uri || !*uri) {
		heed_page_bad(page, NULL, "bluesky: %s without a uri",
			      k == SEARCH ? "post" : "notification");
		return;
	}
	if (!item_time(k, item, record, &indexed, &key)) {
		heed_page_bad(page, uri, "bluesky: no valid indexedAt");
		return;
	}
	if (heed_sweep_check(sw, key, uri) != HEED_SWEEP_NEW)
		return;
	if (k == MENTIONS && !wanted_reason(heed_json_str(item, "reason")))
		return;	/* a like or a follow: not asked for */
	heed_mention_init(&m);
	m.platform = "bluesky";
	why = from_item(src, k, item, record, indexed, &m);
	if (why) {
		heed_page_bad(page, uri, "bluesky: %s", why);
		heed_mention_release(&m);
		return;
	}
	*heed_page_add(page) = m;
}

static int parse(const struct heed_source *src, const char *cursor,
		 const struct heed_http_resp *resp, int64_t now_ms,
		 struct heed_page *page, struct heed_err *err)
{
	json_t *root, *c, *arr, *item, *out;
	const char *next, *sent;
	struct heed_sweep sw;
	int64_t empty;
	enum kind k;
	size_t i;
	int rc;

	if ((rc = kind_of(src, &k, err)))
		return rc;
	c = heed_collect_cursor_load(cursor, err);
	if (!c)
		return HEED_EINVAL;
	heed_sweep_load(&sw, c, heed_collect_cursor_from(c, now_ms));
	root = heed_json_parse(heed_buf_str(&resp->body), heed_buf_len(&resp->body),
			       HEED_HTTP_MAX_BODY, err);
	arr = heed_json_arr(root, k == SEARCH ? "posts" : "notifications");
	if (!arr) {
		rc = root ? heed_err_set(err, HEED_EPARSE, "bluesky: no %s array on the page",
					 k == SEARCH ? "posts" : "notifications")
			  : HEED_EPARSE;
		goto out_decref;
	}
	json_array_foreach(arr, i, item)
		one_item(src, k, item, &sw, page);
	next = heed_json_str(root, "cursor");
	sent = heed_json_str(c, "cursor");
	empty = json_array_size(arr) ? 0 : heed_json_int(c, "empty", 0, NULL) + 1;
	/* on down while the server has more and the watermark is not met. A
	 * page can come back empty (moderation filters it) with a cursor
	 * that still moves: go on, but not forever, and never on a cursor
	 * that stands still */
	page->more = !sw.reached && next && *next && (!sent || strcmp(next, sent)) &&
		     empty <= EMPTY_PAGES;
	out = json_object();
	heed_sweep_save(&sw, out, !page->more);
	if (page->more)
		json_object_set_new(out, "cursor", json_string(next));
	if (page->more && empty)
		json_object_set_new(out, "empty", json_integer(empty));
	page->cursor = heed_collect_cursor_dump(out);
	json_decref(out);
out_decref:
	json_decref(root);
	json_decref(c);
	heed_sweep_release(&sw);
	if (rc)
		heed_page_release(page);
	return rc;
}

/* ---- the session ----------------------------------------------------------- */

enum heed_bluesky_step heed_bluesky_auth_step(const char *state, int64_t now_ms)
{
	json_t *s = state ? json_loads(state, 0, NULL) : NULL;
	const char *access = heed_json_str(s, "accessJwt");
	const char *refresh = heed_json_str(s, "refreshJwt");
	enum heed_bluesky_step step;
	int64_t exp;

	if (!access || !*access || !refresh || !*refresh) {
		step = HEED_BLUESKY_CREATE;
	} else if ((exp = heed_collect_jwt_exp_ms(refresh)) > 0 &&
		   exp <= now_ms + TOKEN_MARGIN_MS) {
		step = HEED_BLUESKY_CREATE;	/* the refresh token is spent */
	} else if (heed_json_bool(s, "expired", false, NULL)) {
		step = HEED_BLUESKY_REFRESH;
	} else {
		exp = heed_collect_jwt_exp_ms(access);
		step = exp > now_ms + TOKEN_MARGIN_MS ? HEED_BLUESKY_REUSE
						      : HEED_BLUESKY_REFRESH;
	}
	json_decref(s);
	return step;
}

char *heed_bluesky_session_state(const char *body, size_t len,
				 struct heed_err *err)
{
	json_t *r = heed_json_parse(body, len, 1u << 20, err), *s;
	const char *access = heed_json_str(r, "accessJwt");
	const char *refresh = heed_json_str(r, "refreshJwt");
	char *out = NULL;

	if (!r)
		return NULL;
	if (!access || !*access || !refresh || !*refresh) {
		heed_err_set(err, HEED_EPARSE, "bluesky session without accessJwt and refreshJwt");
		goto out_decref;
	}
	s = json_pack("{s:s, s:s, s:s?, s:s?}", "accessJwt", access, "refreshJwt", refresh,
		      "did", heed_json_str(r, "did"), "handle", heed_json_str(r, "handle"));
	out = heed_collect_cursor_dump(s);
	json_decref(s);
out_decref:
	json_decref(r);
	return out;
}

/* POST com.atproto.server.NAME; on success *state is the new session.
 * A refresh token the server no longer takes is HEED_EAUTH. */
static int session_call(const struct heed_source *src, struct heed_http *h,
			const char *name, const char *bearer, const char *body,
			char **state, struct heed_err *err)
{
	char *url = xasprintf("%s/xrpc/com.atproto.server.%s", src->base_url, name);
	char *hdr[3] = { NULL };
	struct heed_http_resp resp;
	json_t *e;
	int rc;

	*state = NULL;
	heed_http_resp_init(&resp);
	hdr[0] = body ? xstrdup("Content-Type: application/json")
		      : xasprintf("Authorization: Bearer %s", bearer);
	rc = heed_http_perform(h, &(struct heed_http_req){
			.method = HEED_HTTP_POST, .url = url,
			.headers = (const char *const *)hdr, .body = body,
			.body_len = body ? strlen(body) : 0 }, &resp, err);
	if (rc)
		goto out_release;
	rc = heed_http_status_code(resp.status);
	if (rc) {
		const char *why;
		char *clean;

		e = heed_json_parse(heed_buf_str(&resp.body), heed_buf_len(&resp.body),
				    1u << 16, NULL);
		why = heed_json_str(e, "error");
		if (rc == HEED_EHTTP && why && (!strcmp(why, "ExpiredToken") ||
						!strcmp(why, "InvalidToken")))
			rc = HEED_EAUTH;
		clean = heed_collect_str(why ? why : "no error name", 64);
		heed_err_set(err, rc, "bluesky %s: HTTP %ld (%s)", name, resp.status, clean);
		free(clean);
		json_decref(e);
		goto out_release;
	}
	*state = heed_bluesky_session_state(heed_buf_str(&resp.body),
					    heed_buf_len(&resp.body), err);
	if (!*state)
		rc = HEED_EPARSE;
out_release:
	explicit_bzero(hdr[0], strlen(hdr[0]));
	free(hdr[0]);
	free(url);
	heed_http_resp_release(&resp);
	return rc;
}

static int create_session(const struct heed_source *src, struct heed_http *h,
			  char **state, struct heed_err *err)
{
	json_t *in;
	char *body;
	int rc;

	if (!src->user || !*src->user || !src->secret)
		return heed_err_set(err, HEED_ECONFIG,
				    "bluesky needs user (handle) and an app password");
	in = json_pack("{s:s, s:s}", "identifier", src->user, "password", src->secret);
	body = json_dumps(in, JSON_COMPACT);
	json_decref(in);
	if (!body)
		return heed_err_set(err, HEED_EINVAL, "bluesky: user or password is not UTF-8");
	rc = session_call(src, h, "createSession", NULL, body, state, err);
	explicit_bzero(body, strlen(body));
	free(body);
	return rc;
}

static int auth(const struct heed_source *src, struct heed_http *h,
		const char *state, int64_t now_ms, char **bearer,
		char **new_state, struct heed_err *err)
{
	enum heed_bluesky_step step = heed_bluesky_auth_step(state, now_ms);
	char *refresh;
	int rc;

	*bearer = NULL;
	*new_state = NULL;
	if (step == HEED_BLUESKY_REUSE) {
		*bearer = heed_collect_state_get(state, "accessJwt");
		return HEED_OK;
	}
	rc = HEED_EAUTH;
	if (step == HEED_BLUESKY_REFRESH) {
		refresh = heed_collect_state_get(state, "refreshJwt");
		rc = session_call(src, h, "refreshSession", refresh, NULL, new_state, err);
		explicit_bzero(refresh, strlen(refresh));
		free(refresh);
	}
	/* log in afresh only when there is no session or the server refused
	 * the refresh token; any other failure is retried later as it is */
	if (rc == HEED_EAUTH) {
		heed_err_clear(err);
		rc = create_session(src, h, new_state, err);
	}
	if (!rc)
		*bearer = heed_collect_state_get(*new_state, "accessJwt");
	return rc;
}

static const char *lacks(const struct heed_source *src)
{
	if (src->user && *src->user && src->secret)
		return NULL;
	return "user (the account's handle) and an app password (secret_env or secret_file)";
}

const struct heed_source_ops heed_ops_bluesky = {
	.platform = "bluesky",
	.kinds = kinds,
	.default_base_url = "https://bsky.social",
	.build = build,
	.parse = parse,
	.auth = auth,
	.lacks = lacks,
};
