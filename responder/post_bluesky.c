/* post_bluesky.c: a reply on Bluesky is com.atproto.repo.createRecord of an
 * app.bsky.feed.post whose reply refs name the customer's post (parent) and
 * its thread's root, under a record key (TID) the outbox chose and kept
 * before the first call. createRecord has no idempotency, and a repeat of
 * the key fails with 500; so the check is getRecord of that key. */
#include <string.h>

#include "heed/clock.h"
#include "heed/json.h"
#include "heed/xalloc.h"
#include "post.h"

/* The repo to write to: the session's DID, else the login handle. */
static const char *repo_of(const struct heed_post_ctx *c, char **own)
{
	json_t *s = c->session ? json_loads(c->session, 0, NULL) : NULL;
	const char *did = heed_json_str(s, "did");

	*own = did && *did ? xstrdup(did) : NULL;
	json_decref(s);
	return *own ? *own : c->acct->user ? c->acct->user : "";
}

static char *web_url(const char *uri)
{
	/* at://DID/app.bsky.feed.post/RKEY */
	const char *did, *rkey;

	if (!uri || strncmp(uri, "at://", 5))
		return NULL;
	did = uri + 5;
	rkey = strrchr(did, '/');
	if (!rkey || !strchr(did, '/'))
		return NULL;
	return xasprintf("https://bsky.app/profile/%.*s/post/%s",
			 (int)(strchr(did, '/') - did), did, rkey + 1);
}

static int build_post(const struct heed_post_ctx *c, const struct heed_outgoing *o,
		      struct heed_req *req, struct heed_err *err)
{
	json_t *raw = o->target_raw ? json_loads(o->target_raw, 0, NULL) : NULL;
	json_t *rec = heed_json_obj(raw, "record");
	const char *cid = heed_json_str(raw, "cid");
	json_t *root = heed_json_obj(heed_json_obj(rec, "reply"), "root");
	const char *root_uri = heed_json_str(root, "uri"), *root_cid = heed_json_str(root, "cid");
	char when[40], *own;
	const char *repo;
	json_t *body;

	if (!cid || !o->platform_key) {
		json_decref(raw);
		return heed_err_set(err, HEED_EINVAL,
				    "bluesky: the post answered has no content id (cid) on record");
	}
	if (!root_uri || !root_cid) {
		root_uri = o->target_id;
		root_cid = cid;
	}
	heed_time_format_iso8601(heed_time_real_ms(), when, sizeof(when));
	repo = repo_of(c, &own);
	body = json_pack("{s:s, s:s, s:s, s:{s:s, s:s, s:s, s:{s:{s:s, s:s}, s:{s:s, s:s}}}}",
			 "repo", repo, "collection", "app.bsky.feed.post",
			 "rkey", o->platform_key,
			 "record", "$type", "app.bsky.feed.post", "text", o->text,
			 "createdAt", when,
			 "reply", "root", "uri", root_uri, "cid", root_cid,
			 "parent", "uri", o->target_id, "cid", cid);
	free(own);
	json_decref(raw);
	if (!body)
		return heed_err_set(err, HEED_EINVAL, "bluesky: reply %lld cannot be encoded",
				    (long long)o->reply_id);
	heed_post_json_req(req, xasprintf("%s/xrpc/com.atproto.repo.createRecord",
					  c->acct->base_url), body, c->bearer);
	return HEED_OK;
}

/* An XRPC error name from the body ("ExpiredToken", "RecordNotFound"). */
static bool xrpc_error_is(const struct heed_http_resp *resp, const char *name)
{
	struct heed_err e;
	json_t *j = heed_post_json("bluesky", resp, &e);
	const char *got = heed_json_str(j, "error");
	bool is = got && !strcmp(got, name);

	json_decref(j);
	return is;
}

/* The session was refused: expired, or unknown to the server (InvalidToken,
 * e.g. after its restart). Either way it is renewed and the call retried,
 * never counted against the reply. */
static bool session_refused(const struct heed_http_resp *resp)
{
	return resp->status == 400 && (xrpc_error_is(resp, "ExpiredToken") ||
				       xrpc_error_is(resp, "InvalidToken"));
}

static int record_ids(const struct heed_http_resp *resp, char **id, char **url,
		      struct heed_err *err)
{
	json_t *j = heed_post_json("bluesky", resp, err);
	const char *uri = heed_json_str(j, "uri");

	if (!uri || strncmp(uri, "at://", 5)) {
		json_decref(j);
		return heed_err_set(err, HEED_EPARSE, "bluesky: the answer has no record uri");
	}
	*id = xstrdup(uri);
	*url = web_url(uri);
	json_decref(j);
	return HEED_OK;
}

static int parse_post(const struct heed_post_ctx *c, const struct heed_outgoing *o,
		      const struct heed_http_resp *resp, char **id, char **url,
		      struct heed_err *err)
{
	int rc;

	(void)c;
	(void)o;
	rc = heed_post_status("bluesky", resp, err);
	if (rc == HEED_EHTTP && session_refused(resp))
		return HEED_EAUTH;
	if (rc)
		return rc;
	return record_ids(resp, id, url, err) ? HEED_EHTTP5 : HEED_OK;
}

static int build_check(const struct heed_post_ctx *c, const struct heed_outgoing *o,
		       struct heed_req *req, struct heed_err *err)
{
	struct heed_http_param q[] = {
		{ "repo", NULL }, { "collection", "app.bsky.feed.post" },
		{ "rkey", o->platform_key }, { NULL, NULL },
	};
	struct heed_buf url;
	char *own;
	int rc;

	q[0].value = repo_of(c, &own);
	heed_buf_init(&url, 0);
	rc = heed_buf_addf(&url, "%s/xrpc/com.atproto.repo.getRecord", c->acct->base_url);
	if (!rc)
		rc = heed_http_url_build(&url, "", q);
	free(own);
	if (rc) {
		heed_buf_release(&url);
		return heed_err_set(err, rc, "bluesky: cannot build the check's URL");
	}
	req->method = HEED_HTTP_GET;
	req->url = heed_buf_detach(&url, NULL);
	heed_req_header(req, "Authorization: Bearer %s", c->bearer ? c->bearer : "");
	return HEED_OK;
}

static int parse_check(const struct heed_post_ctx *c, const struct heed_outgoing *o,
		       const struct heed_http_resp *resp, bool *found, char **id,
		       char **url, struct heed_err *err)
{
	int rc;

	(void)c;
	(void)o;
	*found = false;
	if (resp->status == 400 && xrpc_error_is(resp, "RecordNotFound"))
		return HEED_OK;
	rc = heed_post_status("bluesky", resp, err);
	if (rc == HEED_EHTTP && session_refused(resp))
		return HEED_EAUTH;
	if (rc)
		return rc;
	rc = record_ids(resp, id, url, err);
	*found = rc == HEED_OK;
	return rc;
}

const struct heed_poster_ops heed_poster_bluesky = {
	.platform = "bluesky",
	.build_post = build_post,
	.parse_post = parse_post,
	.build_check = build_check,
	.parse_check = parse_check,
};
