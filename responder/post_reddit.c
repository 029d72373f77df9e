/* post_reddit.c: a reply on Reddit is POST /api/comment (form: thing_id,
 * text, api_type=json). Reddit has no idempotency and reports refusals
 * inside a 200 ({"json":{"errors":[[CODE, message, field]]}}); the check
 * reads the account's newest comments for one under the same parent with
 * the same text. */
#include <string.h>

#include "heed/json.h"
#include "heed/xalloc.h"
#include "post.h"

#define CHECK_DEPTH "100"	/* comments looked through */

static int build_post(const struct heed_post_ctx *c, const struct heed_outgoing *o,
		      struct heed_req *req, struct heed_err *err)
{
	char *thing, *text;

	if (!o->target_id || (strncmp(o->target_id, "t1_", 3) && strncmp(o->target_id, "t3_", 3)))
		return heed_err_set(err, HEED_EINVAL, "reddit: '%s' is not a post or comment fullname",
				    o->target_id ? o->target_id : "");
	thing = heed_http_escape(o->target_id, strlen(o->target_id));
	text = heed_http_escape(o->text, strlen(o->text));
	req->method = HEED_HTTP_POST;
	req->url = xasprintf("%s/api/comment", c->acct->base_url);
	req->body = xasprintf("api_type=json&raw_json=1&thing_id=%s&text=%s", thing, text);
	req->body_len = strlen(req->body);
	free(thing);
	free(text);
	heed_req_header(req, "Content-Type: application/x-www-form-urlencoded");
	heed_req_header(req, "Authorization: Bearer %s", c->bearer ? c->bearer : "");
	return HEED_OK;
}

static char *permalink_url(const json_t *d)
{
	const char *p = heed_json_str(d, "permalink");

	return p && *p == '/' ? xasprintf("https://www.reddit.com%s", p) : NULL;
}

static int parse_post(const struct heed_post_ctx *c, const struct heed_outgoing *o,
		      const struct heed_http_resp *resp, char **id, char **url,
		      struct heed_err *err)
{
	json_t *j, *errs, *e0, *d;
	const char *name;
	int rc;

	(void)c;
	(void)o;
	rc = heed_post_status("reddit", resp, err);
	if (rc)
		return rc;
	j = heed_post_json("reddit", resp, err);
	if (!j)
		return HEED_EHTTP5;
	errs = heed_json_arr(heed_json_obj(j, "json"), "errors");
	e0 = json_array_get(errs, 0);
	if (e0) {
		const char *code = json_string_value(json_array_get(e0, 0));
		const char *msg = json_string_value(json_array_get(e0, 1));

		rc = heed_err_set(err, code && !strcmp(code, "RATELIMIT") ? HEED_ERATELIMIT : HEED_EHTTP,
				  "reddit refused the comment: %s%s%.200s", code ? code : "error",
				  msg ? ": " : "", msg ? msg : "");
		json_decref(j);
		return rc;
	}
	d = heed_json_obj(json_array_get(heed_json_arr(heed_json_obj(heed_json_obj(j, "json"),
								      "data"), "things"), 0),
			  "data");
	name = heed_json_str(d, "name");
	if (!name || !*name) {
		json_decref(j);
		return heed_err_set(err, HEED_EHTTP5, "reddit: the answer names no comment");
	}
	*id = xstrdup(name);
	*url = permalink_url(d);
	json_decref(j);
	return HEED_OK;
}

static int build_check(const struct heed_post_ctx *c, const struct heed_outgoing *o,
		       struct heed_req *req, struct heed_err *err)
{
	char *user;

	(void)o;
	if (!c->acct->user || !*c->acct->user)
		return heed_err_set(err, HEED_ECONFIG,
				    "reddit: [source.%s] has no user: cannot look for an earlier reply",
				    c->acct->name);
	user = heed_http_escape(c->acct->user, strlen(c->acct->user));
	req->method = HEED_HTTP_GET;
	req->url = xasprintf("%s/user/%s/comments?sort=new&limit=" CHECK_DEPTH "&raw_json=1",
			     c->acct->base_url, user);
	free(user);
	heed_req_header(req, "Authorization: Bearer %s", c->bearer ? c->bearer : "");
	return HEED_OK;
}

static int parse_check(const struct heed_post_ctx *c, const struct heed_outgoing *o,
		       const struct heed_http_resp *resp, bool *found, char **id,
		       char **url, struct heed_err *err)
{
	json_t *j, *ch;
	size_t i;
	int rc;

	(void)c;
	*found = false;
	rc = heed_post_status("reddit", resp, err);
	if (rc)
		return rc;
	j = heed_post_json("reddit", resp, err);
	if (!j)
		return HEED_EPARSE;
	json_array_foreach(heed_json_arr(heed_json_obj(j, "data"), "children"), i, ch) {
		const json_t *d = heed_json_obj(ch, "data");
		const char *parent = heed_json_str(d, "parent_id"), *name = heed_json_str(d, "name");

		if (parent && name && !strcmp(parent, o->target_id) &&
		    heed_post_same_text(heed_json_str(d, "body"), o->text)) {
			*id = xstrdup(name);
			*url = permalink_url(d);
			*found = true;
			break;
		}
	}
	json_decref(j);
	return HEED_OK;
}

const struct heed_poster_ops heed_poster_reddit = {
	.platform = "reddit",
	.build_post = build_post,
	.parse_post = parse_post,
	.build_check = build_check,
	.parse_check = parse_check,
};
