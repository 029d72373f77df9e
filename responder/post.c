/* post.c: the table of platforms that take replies and what their
 * post_<platform>.c files share: reading an answer's status and body, and
 * telling whether a reply found on a platform is ours. */
#include <string.h>

#include "heed/json.h"
#include "heed/term.h"
#include "heed/xalloc.h"
#include "post.h"

#define ANSWER_MAX (4u << 20)	/* a reply's answer is small */
#define MESSAGE_MAX 300

static const struct heed_poster_ops *const posters[] = {
	&heed_poster_mastodon, &heed_poster_bluesky, &heed_poster_reddit,
	&heed_poster_x, NULL,
};

const struct heed_poster_ops *heed_poster_find(const char *platform)
{
	for (size_t i = 0; platform && posters[i]; i++)
		if (!strcmp(posters[i]->platform, platform))
			return posters[i];
	return NULL;
}

/* The platform's own words from an error body, cleaned and capped, into
 * out; "" when there are none. */
static void error_words(const struct heed_http_resp *resp, char *out, size_t n)
{
	static const char *const keys[] = { "error_description", "detail", "message",
					    "error", "title", NULL };
	struct heed_err e;
	json_t *j = heed_json_parse(heed_buf_str(&resp->body), heed_buf_len(&resp->body),
				    ANSWER_MAX, &e);
	const char *w = NULL;
	char clean[MESSAGE_MAX];

	out[0] = '\0';
	for (size_t i = 0; j && keys[i] && !w; i++)
		w = heed_json_str(j, keys[i]);
	if (!w && j) {	/* X: {"errors":[{"message":...}]} */
		json_t *first = json_array_get(heed_json_arr(j, "errors"), 0);

		w = heed_json_str(first, "message");
		if (!w)
			w = heed_json_str(first, "detail");
	}
	if (w) {
		heed_term_sanitize(clean, sizeof(clean), w);
		snprintf(out, n, "%s", clean);
	}
	json_decref(j);
}

int heed_post_status(const char *platform, const struct heed_http_resp *resp,
		     struct heed_err *err)
{
	int code = heed_http_status_code(resp->status);
	char words[MESSAGE_MAX + 8];

	if (code == HEED_OK)
		return HEED_OK;
	if (resp->status == 403)
		code = HEED_EHTTP;	/* forbidden: not a login problem */
	error_words(resp, words, sizeof(words));
	return heed_err_set(err, code, "%s answered %ld%s%s", platform, resp->status,
			    *words ? ": " : "", words);
}

json_t *heed_post_json(const char *platform, const struct heed_http_resp *resp,
		       struct heed_err *err)
{
	json_t *j = heed_json_parse(heed_buf_str(&resp->body), heed_buf_len(&resp->body),
				    ANSWER_MAX, err);

	if (!j)
		heed_err_set(err, HEED_EPARSE, "%s answered %ld with a body that is not JSON",
			     platform, resp->status);
	return j;
}

void heed_post_json_req(struct heed_req *req, char *url, json_t *body, const char *bearer)
{
	req->method = HEED_HTTP_POST;
	req->url = url;
	req->body = json_dumps(body, JSON_COMPACT);
	req->body_len = strlen(req->body);
	json_decref(body);
	heed_req_header(req, "Content-Type: application/json");
	heed_req_header(req, "Authorization: Bearer %s", bearer ? bearer : "");
}

static const char *skip_blank(const char *s)
{
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	return s;
}

bool heed_post_same_text(const char *a, const char *b)
{
	if (!a || !b)
		return false;
	a = skip_blank(a);
	b = skip_blank(b);
	while (*a && *b) {
		bool ba = *a == ' ' || *a == '\t' || *a == '\n' || *a == '\r';
		bool bb = *b == ' ' || *b == '\t' || *b == '\n' || *b == '\r';

		if (ba && bb) {
			a = skip_blank(a);
			b = skip_blank(b);
			if (!*a || !*b)
				break;
			continue;
		}
		if (*a != *b)
			return false;
		a++;
		b++;
	}
	return !*skip_blank(a) && !*skip_blank(b);
}
