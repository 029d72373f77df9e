/* post_x.c: a reply on X is POST /2/tweets with reply.in_reply_to_tweet_id
 * (the newest version of an edited post). X has no idempotency key; it
 * refuses an exact duplicate with 403, which only tells the responder to
 * check. The check reads the account's newest posts (/2/users/:id/tweets)
 * for one replying to the same post with the same text. */
#include <string.h>

#include "heed/json.h"
#include "heed/xalloc.h"
#include "post.h"

#define CHECK_DEPTH "100"

/* The id to answer: the raw post's own id (the newest edit), else the
 * stored one (the first id, which is the dedupe key). Borrowed from raw or o. */
static const char *parent_id(const struct heed_outgoing *o, json_t *raw)
{
	const char *id = heed_json_str(raw, "id");

	return id && *id ? id : o->target_id;
}

static int build_post(const struct heed_post_ctx *c, const struct heed_outgoing *o,
		      struct heed_req *req, struct heed_err *err)
{
	json_t *raw = o->target_raw ? json_loads(o->target_raw, 0, NULL) : NULL;
	json_t *body = json_pack("{s:s, s:{s:s}}", "text", o->text, "reply",
				 "in_reply_to_tweet_id", parent_id(o, raw));

	json_decref(raw);
	if (!body)
		return heed_err_set(err, HEED_EINVAL, "x: reply %lld cannot be encoded",
				    (long long)o->reply_id);
	heed_post_json_req(req, xasprintf("%s/2/tweets", c->acct->base_url), body, c->bearer);
	return HEED_OK;
}

static char *web_url(const char *id)
{
	return xasprintf("https://x.com/i/web/status/%s", id);
}

static int parse_post(const struct heed_post_ctx *c, const struct heed_outgoing *o,
		      const struct heed_http_resp *resp, char **id, char **url,
		      struct heed_err *err)
{
	json_t *j;
	const char *i;
	int rc;

	(void)c;
	(void)o;
	rc = heed_post_status("x", resp, err);
	if (rc == HEED_EHTTP && resp->status == 403 && strstr(heed_err_msg(err), "duplicate content"))
		return HEED_ECONFLICT;
	if (rc)
		return rc;
	j = heed_post_json("x", resp, err);
	if (!j)
		return HEED_EHTTP5;
	i = heed_json_str(heed_json_obj(j, "data"), "id");
	if (!i || !*i) {
		json_decref(j);
		return heed_err_set(err, HEED_EHTTP5, "x: the answer has no post id");
	}
	*id = xstrdup(i);
	*url = web_url(i);
	json_decref(j);
	return HEED_OK;
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

static int build_check(const struct heed_post_ctx *c, const struct heed_outgoing *o,
		       struct heed_req *req, struct heed_err *err)
{
	(void)o;
	if (!all_digits(c->acct->account))
		return heed_err_set(err, HEED_ECONFIG,
				    "x: [source.%s] account must be the brand's numeric user id to look for an earlier reply",
				    c->acct->name);
	req->method = HEED_HTTP_GET;
	req->url = xasprintf("%s/2/users/%s/tweets?max_results=" CHECK_DEPTH
			     "&tweet.fields=referenced_tweets", c->acct->base_url,
			     c->acct->account);
	heed_req_header(req, "Authorization: Bearer %s", c->bearer ? c->bearer : "");
	return HEED_OK;
}

/* Does post t reply to id? */
static bool replies_to(const json_t *t, const char *id)
{
	json_t *r;
	size_t i;

	json_array_foreach(heed_json_arr(t, "referenced_tweets"), i, r) {
		const char *type = heed_json_str(r, "type"), *rid = heed_json_str(r, "id");

		if (type && rid && !strcmp(type, "replied_to") && !strcmp(rid, id))
			return true;
	}
	return false;
}

static int parse_check(const struct heed_post_ctx *c, const struct heed_outgoing *o,
		       const struct heed_http_resp *resp, bool *found, char **id,
		       char **url, struct heed_err *err)
{
	json_t *raw = o->target_raw ? json_loads(o->target_raw, 0, NULL) : NULL;
	const char *parent = parent_id(o, raw);
	json_t *j, *t;
	size_t i;
	int rc;

	(void)c;
	*found = false;
	rc = heed_post_status("x", resp, err);
	j = rc ? NULL : heed_post_json("x", resp, err);
	if (!rc && !j)
		rc = HEED_EPARSE;
	json_array_foreach(heed_json_arr(j, "data"), i, t) {
		const char *tid = heed_json_str(t, "id");

		if (tid && (replies_to(t, parent) || replies_to(t, o->target_id)) &&
		    heed_post_same_text(heed_json_str(t, "text"), o->text)) {
			*id = xstrdup(tid);
			*url = web_url(tid);
			*found = true;
			break;
		}
	}
	json_decref(j);
	json_decref(raw);
	return rc;
}

const struct heed_poster_ops heed_poster_x = {
	.platform = "x",
	.build_post = build_post,
	.parse_post = parse_post,
	.build_check = build_check,
	.parse_check = parse_check,
};
