/* post_mastodon.c: a reply on Mastodon is POST /api/v1/statuses with
 * in_reply_to_id, the text addressed to the customer's @acct (only a mention
 * notifies them) and the outbox's key as Idempotency-Key (the server keeps
 * it an hour; some answer a repeat with 500). The check reads the status's
 * context for a descendant with our text. */
#include <string.h>

#include "heed/html.h"
#include "heed/json.h"
#include "heed/reply.h"
#include "heed/xalloc.h"
#include "post.h"

static int build_post(const struct heed_post_ctx *c, const struct heed_outgoing *o,
		      struct heed_req *req, struct heed_err *err)
{
	char *text = heed_reply_addressed("mastodon", o->text, o->target_author);
	json_t *body = json_pack("{s:s, s:s, s:s}", "status", text,
				 "in_reply_to_id", o->target_id, "visibility", "public");

	free(text);
	if (!body)
		return heed_err_set(err, HEED_EINVAL, "mastodon: reply %lld has no text or target",
				    (long long)o->reply_id);
	heed_post_json_req(req, xasprintf("%s/api/v1/statuses", c->acct->base_url), body,
			   c->bearer);
	heed_req_header(req, "Idempotency-Key: %s", o->idem_key);
	return HEED_OK;
}

/* id and url of a status object. */
static int status_ids(const json_t *st, char **id, char **url, struct heed_err *err)
{
	const char *i = heed_json_str(st, "id"), *u = heed_json_str(st, "url");

	if (!i || !*i)
		return heed_err_set(err, HEED_EPARSE, "mastodon: the new status has no id");
	*id = xstrdup(i);
	*url = u ? xstrdup(u) : NULL;
	return HEED_OK;
}

static int parse_post(const struct heed_post_ctx *c, const struct heed_outgoing *o,
		      const struct heed_http_resp *resp, char **id, char **url,
		      struct heed_err *err)
{
	json_t *j;
	int rc;

	(void)c;
	(void)o;
	rc = heed_post_status("mastodon", resp, err);
	if (rc)
		return rc;
	j = heed_post_json("mastodon", resp, err);
	if (!j)
		return HEED_EHTTP5;
	rc = status_ids(j, id, url, err);
	json_decref(j);
	return rc ? HEED_EHTTP5 : HEED_OK;
}

static int build_check(const struct heed_post_ctx *c, const struct heed_outgoing *o,
		       struct heed_req *req, struct heed_err *err)
{
	char *id = heed_http_escape(o->target_id, strlen(o->target_id));

	(void)err;
	req->method = HEED_HTTP_GET;
	req->url = xasprintf("%s/api/v1/statuses/%s/context", c->acct->base_url, id);
	free(id);
	heed_req_header(req, "Authorization: Bearer %s", c->bearer ? c->bearer : "");
	return HEED_OK;
}

/* s after its leading @mentions: the server renders a remote "@ann@host"
 * as "@ann", so the check compares what follows them. */
static const char *after_mentions(const char *s)
{
	s += strspn(s, " \t\r\n");
	while (*s == '@') {
		s += strcspn(s, " \t\r\n");
		s += strspn(s, " \t\r\n");
	}
	return s;
}

static int parse_check(const struct heed_post_ctx *c, const struct heed_outgoing *o,
		       const struct heed_http_resp *resp, bool *found, char **id,
		       char **url, struct heed_err *err)
{
	json_t *j, *d;
	size_t i;
	int rc;

	(void)c;
	*found = false;
	rc = heed_post_status("mastodon", resp, err);
	if (rc)
		return rc;
	j = heed_post_json("mastodon", resp, err);
	if (!j)
		return HEED_EPARSE;
	json_array_foreach(heed_json_arr(j, "descendants"), i, d) {
		const char *parent = heed_json_str(d, "in_reply_to_id");
		const char *html = heed_json_str(d, "content");
		char *text;
		bool same;

		if (!parent || strcmp(parent, o->target_id) || !html)
			continue;
		text = heed_html_to_text(html, strlen(html), 1u << 20);
		same = heed_post_same_text(after_mentions(text), after_mentions(o->text));
		free(text);
		if (same) {
			rc = status_ids(d, id, url, err);
			*found = rc == HEED_OK;
			break;
		}
	}
	json_decref(j);
	return rc;
}

const struct heed_poster_ops heed_poster_mastodon = {
	.platform = "mastodon",
	.build_post = build_post,
	.parse_post = parse_post,
	.build_check = build_check,
	.parse_check = parse_check,
};
