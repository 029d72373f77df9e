/* x.c: the X API v2 adapter (heed_ops_x): recent search and the brand
 * account's mention timeline, with an app-only bearer token. See
 * heed/source.h for the contract. */
#include <errno.h>
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
 * Dedupe key: edit_history_tweet_ids[0], so every edit of a post is the
 * post it edits; within a page the newest version's text wins. thread_key
 * is conversation_id; a retweet is kept with is_share set. Cursor, after
 * the docs' polling recipe:
 *   {"since_id": W} -> sweeping {"since_id": W, "next_token": T,
 *   "newest": N} -> after the last page {"since_id": N};
 * a first poll uses start_time ({"since_ms": S} in place of since_id).
 * Search refuses a since_id older than 7 days: an older one is replaced by
 * start_time one hour inside the window. Several queries are OR-ed. */
#define TWITTER_EPOCH_MS 1288834974657LL
#define WINDOW_MS (7 * 86400000LL - 3600000LL)	/* search's reach, less a margin */
#define SNOWFLAKE_MS 1325376000000LL	/* 2012: smaller ids are no snowflakes */

enum kind { SEARCH, MENTIONS };

static const char *const kinds[] = { "search", "mentions", NULL };

static const char tweet_fields[] =
	"created_at,author_id,conversation_id,in_reply_to_user_id,"
	"referenced_tweets,lang,entities,edit_history_tweet_ids";

static int kind_of(const struct heed_source *src, enum kind *k,
		   struct heed_err *err)
{
	for (int i = 0; kinds[i]; i++)
		if (src->kind && !strcmp(src->kind, kinds[i])) {
			*k = (enum kind)i;
			return HEED_OK;
		}
	return heed_err_set(err, HEED_ECONFIG, "x has no kind '%s'",
			    src->kind ? src->kind : "");
}

int64_t heed_x_snowflake_ms(const char *id)
{
	unsigned long long v;
	char *end;

	if (!id || *id < '0' || *id > '9')
		return -1;
	errno = 0;
	v = strtoull(id, &end, 10);
	if (errno || *end || v > INT64_MAX)
		return -1;
	return (int64_t)(v >> 22) + TWITTER_EPOCH_MS;
}

static bool all_digits(const char *s)
{
	if (!s || !*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* Several queries are OR-ed, each in parentheses. */
static char *search_query(const struct heed_source *src)
{
	struct heed_buf q;
	int rc = HEED_OK;

	if (src->nqueries == 1)
		return xstrdup(src->queries[0]);
	heed_buf_init(&q, 0);
	for (size_t i = 0; i < src->nqueries && !rc; i++)
		rc = heed_buf_addf(&q, "%s(%s)", i ? " OR " : "", src->queries[i]);
	return heed_buf_detach(&q, NULL);
}

/* "2024-05-14T09:20:44Z": X wants whole seconds. */
static void iso_seconds(int64_t ms, char *buf, size_t bufsz)
{
	char *dot;

	heed_time_format_iso8601(ms - (ms % 1000 + 1000) % 1000, buf, bufsz);
	dot = strchr(buf, '.');
	if (dot)
		memcpy(dot, "Z", 2);
}

static int build(const struct heed_source *src, const char *cursor,
		 const char *bearer, int64_t now_ms, struct heed_req *req,
		 struct heed_err *err)
{
	char limit[16], start[HEED_TIME_ISO8601_SIZE], *query = NULL, *base = NULL;
	const char *since_id, *start_time = NULL;
	struct heed_buf url;
	enum kind k;
	json_t *c;
	int rc;

	if ((rc = kind_of(src, &k, err)))
		return rc;
	if (k == SEARCH && !src->nqueries)
		return heed_err_set(err, HEED_ECONFIG, "x search needs a query");
	if (k == MENTIONS && !all_digits(src->account))
		return heed_err_set(err, HEED_ECONFIG,
				    "x mentions needs the account's numeric user id");
	c = heed_collect_cursor_load(cursor, err);
	if (!c)
		return HEED_EINVAL;
	since_id = heed_json_str(c, "since_id");
	if (!since_id || (k == SEARCH && heed_x_snowflake_ms(since_id) >= SNOWFLAKE_MS &&
			  heed_x_snowflake_ms(since_id) < now_ms - WINDOW_MS)) {
		/* a first poll; or a since_id X would answer 400 to: from
		 * as far back as search reaches */
		int64_t from = since_id ? now_ms - WINDOW_MS
					: heed_collect_cursor_from(c, now_ms);

		since_id = NULL;
		if (k == SEARCH && from < now_ms - WINDOW_MS)
			from = now_ms - WINDOW_MS;
		iso_seconds(from, start, sizeof(start));
		start_time = start;
	}
	snprintf(limit, sizeof(limit), "%u",
		 heed_collect_limit(src, k == SEARCH ? 10 : 5, 100));
	heed_buf_init(&url, 0);
	if (k == SEARCH) {
		query = search_query(src);
		base = xasprintf("%s/2/tweets/search/recent", src->base_url);
	} else {
		base = xasprintf("%s/2/users/%s/mentions", src->base_url, src->account);
	}
	{
		struct heed_http_param params[] = {
			{ "query", query },
			{ "max_results", limit },
			{ "tweet.fields", tweet_fields },
			{ "expansions", "author_id" },
			{ "user.fields", "public_metrics" },
			{ "since_id", since_id },
			{ "start_time", start_time },
			{ k == SEARCH ? "next_token" : "pagination_token",
			  heed_json_str(c, "next_token") },
			{ NULL, NULL },
		};

		rc = heed_http_url_build(&url, base, params);
	}
	if (rc) {
		heed_err_set(err, rc, "x: bad base URL");
	} else {
		memset(req, 0, sizeof(*req));
		req->method = HEED_HTTP_GET;
		req->url = heed_buf_detach(&url, NULL);
		if (bearer)
			heed_req_header(req, "Authorization: Bearer %s", bearer);
	}
	free(query);
	free(base);
	heed_buf_release(&url);
	json_decref(c);
	return rc;
}

static const json_t *find_user(const json_t *users, const char *id)
{
	size_t i;
	json_t *u;

	json_array_foreach(users, i, u) {
		const char *uid = heed_json_str(u, "id");

		if (uid && id && !strcmp(uid, id))
			return u;
	}
	return NULL;
}

static bool mentions_brand(const struct heed_source *src, const json_t *t)
{
	const char *acct = src->account;
	size_t i;
	json_t *m;

	if (!acct || !*acct)
		return false;
	if (*acct == '@')
		acct++;
	json_array_foreach(heed_json_arr(heed_json_obj(t, "entities"), "mentions"), i, m) {
		const char *id = heed_json_str(m, "id"), *u = heed_json_str(m, "username");

		if ((id && !strcmp(id, acct)) || (u && !strcasecmp(u, acct)))
			return true;
	}
	return false;
}

static void references(const json_t *t, struct heed_mention *m)
{
	size_t i;
	json_t *r;

	json_array_foreach(heed_json_arr(t, "referenced_tweets"), i, r) {
		const char *type = heed_json_str(r, "type"), *id = heed_json_str(r, "id");

		if (!type)
			continue;
		if (!strcmp(type, "retweeted"))
			m->is_share = true;
		else if (!strcmp(type, "replied_to") && id && !m->in_reply_to)
			m->in_reply_to = heed_collect_str(id, HEED_COLLECT_ID_MAX);
	}
}

/* Fill m from post t; the reason when it is not usable. */
static const char *from_post(const struct heed_source *src, enum kind k,
			     const json_t *t, const json_t *users,
			     struct heed_mention *m)
{
	const char *id = heed_json_str(t, "id"), *author = heed_json_str(t, "author_id");
	const char *created = heed_json_str(t, "created_at"), *orig, *conv, *uname;
	const json_t *u = find_user(users, author);
	bool found;

	orig = heed_json_str(json_array_get(heed_json_arr(t, "edit_history_tweet_ids"), 0), NULL);
	if (!id || !*id)
		return "post without an id";
	if (!json_is_string(json_object_get(t, "text")))
		return "post without text";
	if (!author || !*author)
		return "post without author_id";
	if (!created || heed_time_parse_iso8601(created, &m->posted_at_ms))
		return "post without a valid created_at";
	m->external_id = heed_collect_str(orig && *orig ? orig : id, HEED_COLLECT_ID_MAX);
	m->text = heed_collect_json_text(json_object_get(t, "text"), HEED_HTML_TEXT_MAX);
	m->author_id = heed_collect_str(author, HEED_COLLECT_ID_MAX);
	uname = heed_json_str(u, "username");
	m->author_handle = heed_collect_str(uname ? uname : author, HEED_COLLECT_NAME_MAX);
	if (heed_json_str(u, "name") && *heed_json_str(u, "name"))
		m->author_name = heed_collect_str(heed_json_str(u, "name"), HEED_COLLECT_NAME_MAX);
	m->author_followers = heed_json_int(heed_json_obj(u, "public_metrics"),
					    "followers_count", -1, &found);
	m->url = uname ? xasprintf("https://x.com/%s/status/%s", uname, id)
		       : xasprintf("https://x.com/i/web/status/%s", id);
	references(t, m);
	conv = heed_json_str(t, "conversation_id");
	m->thread_key = heed_collect_str(conv && *conv ? conv : m->external_id,
					 HEED_COLLECT_ID_MAX);
	m->lang = heed_collect_lang(heed_json_str(t, "lang"));
	m->mentions_account = k == MENTIONS || mentions_brand(src, t);
	m->is_own = heed_collect_is_own(src, author, uname);
	m->raw = heed_collect_raw(t);
	return NULL;
}

/* Add m to page unless an item with its dedupe key is there: then the
 * newer version (larger current id) stays. versions[] parallels items. */
static void add_deduped(struct heed_page *page, char ***versions,
			struct heed_mention *m, const char *id)
{
	for (size_t i = 0; i < page->n; i++) {
		if (strcmp(page->items[i].external_id, m->external_id))
			continue;
		if (heed_collect_id_cmp(id, (*versions)[i]) > 0) {
			heed_mention_release(&page->items[i]);
			page->items[i] = *m;
			free((*versions)[i]);
			(*versions)[i] = xstrdup(id);
		} else {
			heed_mention_release(m);
		}
		return;
	}
	*heed_page_add(page) = *m;
	*versions = xreallocarray(*versions, page->n, sizeof(**versions));
	(*versions)[page->n - 1] = xstrdup(id);
}

/* A 2xx body that holds no page: a problem object or v1-style errors. */
static int problem(const json_t *root, struct heed_err *err)
{
	const char *title = heed_json_str(root, "title"), *detail = heed_json_str(root, "detail");
	const char *msg = heed_json_str(json_array_get(heed_json_arr(root, "errors"), 0),
					"message");
	char *clean = heed_collect_str(detail ? detail : msg ? msg : "no data or meta", 160);
	int rc = heed_err_set(err, HEED_EPARSE, "x: %s%s%s", title ? title : "",
			      title ? ": " : "", clean);

	free(clean);
	return rc;
}

static void next_cursor(json_t *c, const json_t *root, const char *newest,
			int64_t since_ms, struct heed_page *page)
{
	const char *tok = heed_json_str(heed_json_obj(root, "meta"), "next_token");
	const char *w = heed_json_str(c, "since_id");
	json_t *out = json_object();

	page->more = tok && *tok;
	if (page->more) {
		if (w)
			json_object_set_new(out, "since_id", json_string(w));
		else
			json_object_set_new(out, "since_ms", json_integer(since_ms));
		json_object_set_new(out, "next_token", json_string(tok));
		if (*newest)
			json_object_set_new(out, "newest", json_string(newest));
	} else if (*newest || w) {
		json_object_set_new(out, "since_id", json_string(*newest ? newest : w));
	} else {
		json_object_set_new(out, "since_ms", json_integer(since_ms));
	}
	page->cursor = heed_collect_cursor_dump(out);
	json_decref(out);
}

static int parse(const struct heed_source *src, const char *cursor,
		 const struct heed_http_resp *resp, int64_t now_ms,
		 struct heed_page *page, struct heed_err *err)
{
	json_t *root, *c, *data, *t, *users;
	char **versions = NULL, *newest;
	enum kind k;
	size_t i;
	int rc;

	if ((rc = kind_of(src, &k, err)))
		return rc;
	c = heed_collect_cursor_load(cursor, err);
	if (!c)
		return HEED_EINVAL;
	root = heed_json_parse(heed_buf_str(&resp->body), heed_buf_len(&resp->body),
			       HEED_HTTP_MAX_BODY, err);
	data = json_object_get(root, "data");
	if (!json_is_object(root)) {
		rc = root ? heed_err_set(err, HEED_EPARSE, "x: page is not a JSON object")
			  : HEED_EPARSE;
		goto out_decref;
	}
	if (data ? !json_is_array(data) : !heed_json_obj(root, "meta")) {
		rc = data ? heed_err_set(err, HEED_EPARSE, "x: data is not an array")
			  : problem(root, err);
		goto out_decref;
	}
	users = heed_json_arr(heed_json_obj(root, "includes"), "users");
	newest = xstrdup(heed_json_str(c, "newest") ? heed_json_str(c, "newest") : "");
	json_array_foreach(data, i, t) {
		const char *id = heed_json_str(t, "id"), *why;
		struct heed_mention m;

		if (id && heed_collect_id_cmp(id, newest) > 0) {
			free(newest);
			newest = xstrdup(id);
		}
		heed_mention_init(&m);
		m.platform = "x";
		why = json_is_object(t) ? from_post(src, k, t, users, &m) : "post is not an object";
		if (why) {
			heed_page_bad(page, id, "x: %s", why);
			heed_mention_release(&m);
			continue;
		}
		add_deduped(page, &versions, &m, id);
	}
	next_cursor(c, root, newest, heed_collect_cursor_from(c, now_ms), page);
	free(newest);
	for (i = 0; i < page->n; i++)
		free(versions[i]);
	free(versions);
out_decref:
	json_decref(root);
	json_decref(c);
	if (rc)
		heed_page_release(page);
	return rc;
}

static const char *lacks(const struct heed_source *src)
{
	return src->secret ? NULL : "a bearer token (secret_env or secret_file)";
}

const struct heed_source_ops heed_ops_x = {
	.platform = "x",
	.kinds = kinds,
	.default_base_url = "https://api.x.com",
	.build = build,
	.parse = parse,
	.auth = NULL,
	.lacks = lacks,
};
