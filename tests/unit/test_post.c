/* test_post.c: the platforms' reply callbacks (responder/post_*.c) on
 * answers shaped as each platform documents them: what is a success, what
 * may be retried, what is permanent, and how the check recognises a reply
 * an earlier attempt posted. No sockets: responses are built here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "heed/source.h"
#include "heed/xalloc.h"
#include "../../responder/post.h"

static struct heed_source acct = {
	.name = "m", .brand = "acme", .base_url = "https://api.example",
	.account = "1600000000000000001", .user = "acme",
};

static const struct heed_post_ctx ctx = { &acct, "tok", "{\"did\":\"did:plc:acme\"}" };

static struct heed_outgoing reply(const char *platform, const char *target,
				  const char *raw, const char *text)
{
	return (struct heed_outgoing){
		.reply_id = 7, .case_id = 3, .platform = platform, .brand = "acme",
		.kind = "human", .text = text, .idem_key = "heed-0123456789abcdef",
		.platform_key = "3kslwqzbdeq2a", .attempt = 1, .target_id = target,
		.target_raw = raw, .target_author = "carol",
	};
}

/* A response with status and body (headers none). */
static void resp_set(struct heed_http_resp *r, long status, const char *body)
{
	heed_http_resp_init(r);
	r->status = status;
	assert_int_equal(heed_buf_adds(&r->body, body), HEED_OK);
}

static int parse_post(const struct heed_poster_ops *ops, const struct heed_outgoing *o,
		      long status, const char *body, char **id, char **url,
		      struct heed_err *err)
{
	struct heed_http_resp r;
	int rc;

	*id = *url = NULL;
	resp_set(&r, status, body);
	heed_err_clear(err);
	rc = ops->parse_post(&ctx, o, &r, id, url, err);
	heed_http_resp_release(&r);
	return rc;
}

static int parse_check(const struct heed_poster_ops *ops, const struct heed_outgoing *o,
		       long status, const char *body, bool *found, char **id, char **url)
{
	struct heed_http_resp r;
	struct heed_err err;
	int rc;

	*id = *url = NULL;
	resp_set(&r, status, body);
	heed_err_clear(&err);
	rc = ops->parse_check(&ctx, o, &r, found, id, url, &err);
	heed_http_resp_release(&r);
	return rc;
}

static void same_text_ignores_wrapping_only(void **state)
{
	(void)state;
	assert_true(heed_post_same_text("Sorry  about\nthat ", " Sorry about that"));
	assert_true(heed_post_same_text("a", "a"));
	assert_false(heed_post_same_text("Sorry about that", "Sorry about this"));
	assert_false(heed_post_same_text("Sorry", "Sorry about that"));
	assert_false(heed_post_same_text("", "x"));
	assert_false(heed_post_same_text(NULL, "x"));
	assert_non_null(heed_poster_find("x"));
	assert_null(heed_poster_find("hn"));
}

static void mastodon_sends_the_key_and_finds_its_reply(void **state)
{
	struct heed_outgoing o = reply("mastodon", "111", NULL, "Sorry about that");
	const struct heed_poster_ops *ops = &heed_poster_mastodon;
	struct heed_req req = { 0 };
	struct heed_err err;
	char *id, *url;
	bool found, key = false;
	(void)state;

	assert_int_equal(ops->build_post(&ctx, &o, &req, &err), HEED_OK);
	assert_string_equal(req.url, "https://api.example/api/v1/statuses");
	for (int i = 0; req.headers[i]; i++)
		key |= !strcmp(req.headers[i], "Idempotency-Key: heed-0123456789abcdef");
	assert_true(key);
	assert_non_null(strstr(req.body, "\"in_reply_to_id\":\"111\""));
	/* addressed to the customer: only a mention notifies them */
	assert_non_null(strstr(req.body, "\"status\":\"@carol Sorry about that\""));
	heed_req_release(&req);

	assert_int_equal(parse_post(ops, &o, 200, "{\"id\":\"222\",\"url\":\"https://m.example/@acme/222\"}",
				    &id, &url, &err), HEED_OK);
	assert_string_equal(id, "222");
	assert_string_equal(url, "https://m.example/@acme/222");
	free(id);
	free(url);
	/* the repeat-key bug and real outages: maybe posted */
	assert_int_equal(parse_post(ops, &o, 500, "{\"error\":\"oops\"}", &id, &url, &err),
			 HEED_EHTTP5);
	assert_int_equal(parse_post(ops, &o, 422,
				    "{\"error\":\"Validation failed: Text character limit of 500 exceeded\"}",
				    &id, &url, &err), HEED_EHTTP);
	assert_non_null(strstr(heed_err_msg(&err), "500 exceeded"));
	assert_int_equal(parse_post(ops, &o, 429, "{\"error\":\"Too many requests\"}", &id, &url, &err),
			 HEED_ERATELIMIT);
	assert_int_equal(parse_post(ops, &o, 401, "{\"error\":\"The access token is invalid\"}",
				    &id, &url, &err), HEED_EAUTH);

	/* the check: a descendant answering 111 with our text (as HTML) */
	assert_int_equal(parse_check(ops, &o, 200,
		"{\"ancestors\":[],\"descendants\":["
		"{\"id\":\"300\",\"in_reply_to_id\":\"111\",\"content\":\"<p>Something else</p>\"},"
		"{\"id\":\"301\",\"in_reply_to_id\":\"999\",\"content\":\"<p>Sorry about that</p>\"},"
		"{\"id\":\"302\",\"in_reply_to_id\":\"111\",\"content\":\"<p><span class=\\\"h-card\\\">"
		"<a href=\\\"https://o.example/@carol\\\" class=\\\"u-url mention\\\">@<span>carol</span></a>"
		"</span> Sorry about   that</p>\",\"url\":\"u\"}]}",
		&found, &id, &url), HEED_OK);
	assert_true(found);
	assert_string_equal(id, "302");
	free(id);
	free(url);
	assert_int_equal(parse_check(ops, &o, 200, "{\"ancestors\":[],\"descendants\":[]}",
				     &found, &id, &url), HEED_OK);
	assert_false(found);
	assert_int_not_equal(parse_check(ops, &o, 502, "bad gateway", &found, &id, &url), HEED_OK);
}

#define BSKY_RAW "{\"uri\":\"at://did:plc:carol/app.bsky.feed.post/3kaaa\",\"cid\":\"bafyparent\"," \
	"\"record\":{\"text\":\"hi\",\"reply\":{\"root\":{\"uri\":\"at://did:plc:dan/app.bsky.feed.post/3kroot\"," \
	"\"cid\":\"bafyroot\"},\"parent\":{\"uri\":\"x\",\"cid\":\"y\"}}}}"

static void bluesky_keeps_its_record_key_and_asks_for_it(void **state)
{
	struct heed_outgoing o = reply("bluesky", "at://did:plc:carol/app.bsky.feed.post/3kaaa",
				       BSKY_RAW, "Sorry about that");
	const struct heed_poster_ops *ops = &heed_poster_bluesky;
	struct heed_req req = { 0 };
	struct heed_err err;
	char *id, *url;
	bool found;
	(void)state;

	assert_int_equal(ops->build_post(&ctx, &o, &req, &err), HEED_OK);
	assert_non_null(strstr(req.body, "\"rkey\":\"3kslwqzbdeq2a\""));
	assert_non_null(strstr(req.body, "\"repo\":\"did:plc:acme\""));
	/* root from the parent's own reply refs; parent is the customer's post */
	assert_non_null(strstr(req.body, "\"root\":{\"uri\":\"at://did:plc:dan/app.bsky.feed.post/3kroot\",\"cid\":\"bafyroot\"}"));
	assert_non_null(strstr(req.body, "\"parent\":{\"uri\":\"at://did:plc:carol/app.bsky.feed.post/3kaaa\",\"cid\":\"bafyparent\"}"));
	heed_req_release(&req);
	assert_int_equal(ops->build_check(&ctx, &o, &req, &err), HEED_OK);
	assert_string_equal(req.url, "https://api.example/xrpc/com.atproto.repo.getRecord?repo=did%3Aplc%3Aacme"
			    "&collection=app.bsky.feed.post&rkey=3kslwqzbdeq2a");
	heed_req_release(&req);

	assert_int_equal(parse_post(ops, &o, 200,
				    "{\"uri\":\"at://did:plc:acme/app.bsky.feed.post/3kslwqzbdeq2a\",\"cid\":\"bafy\"}",
				    &id, &url, &err), HEED_OK);
	assert_string_equal(url, "https://bsky.app/profile/did:plc:acme/post/3kslwqzbdeq2a");
	free(id);
	free(url);
	assert_int_equal(parse_post(ops, &o, 400, "{\"error\":\"ExpiredToken\",\"message\":\"Token has expired\"}",
				    &id, &url, &err), HEED_EAUTH);
	/* a session the server no longer knows is renewed, not a refusal */
	assert_int_equal(parse_post(ops, &o, 400, "{\"error\":\"InvalidToken\",\"message\":\"Token could not be verified\"}",
				    &id, &url, &err), HEED_EAUTH);
	assert_int_equal(parse_check(ops, &o, 400, "{\"error\":\"InvalidToken\",\"message\":\"Token could not be verified\"}",
				     &found, &id, &url), HEED_EAUTH);
	assert_int_equal(parse_post(ops, &o, 400, "{\"error\":\"InvalidRequest\",\"message\":\"Record/text must not be longer than 300 graphemes\"}",
				    &id, &url, &err), HEED_EHTTP);
	/* a repeated key: the reference PDS answers 500; the check decides */
	assert_int_equal(parse_post(ops, &o, 500, "{\"error\":\"InternalServerError\"}", &id, &url, &err),
			 HEED_EHTTP5);
	assert_int_equal(parse_check(ops, &o, 400, "{\"error\":\"RecordNotFound\",\"message\":\"Could not locate record\"}",
				     &found, &id, &url), HEED_OK);
	assert_false(found);
	assert_int_equal(parse_check(ops, &o, 200,
				     "{\"uri\":\"at://did:plc:acme/app.bsky.feed.post/3kslwqzbdeq2a\",\"cid\":\"b\",\"value\":{}}",
				     &found, &id, &url), HEED_OK);
	assert_true(found);
	free(id);
	free(url);
	/* a post with no cid on record cannot be answered: permanent */
	o.target_raw = "{\"uri\":\"x\"}";
	assert_int_equal(ops->build_post(&ctx, &o, &req, &err), HEED_EINVAL);
	heed_req_release(&req);
}

static void reddit_reads_refusals_inside_200(void **state)
{
	struct heed_outgoing o = reply("reddit", "t1_abc", NULL, "Sorry about that");
	const struct heed_poster_ops *ops = &heed_poster_reddit;
	struct heed_req req = { 0 };
	struct heed_err err;
	char *id, *url;
	bool found;
	(void)state;

	assert_int_equal(ops->build_post(&ctx, &o, &req, &err), HEED_OK);
	assert_string_equal(req.body, "api_type=json&raw_json=1&thing_id=t1_abc&text=Sorry%20about%20that");
	heed_req_release(&req);
	assert_int_equal(parse_post(ops, &o, 200,
		"{\"json\":{\"errors\":[],\"data\":{\"things\":[{\"kind\":\"t1\",\"data\":{\"name\":\"t1_new\","
		"\"permalink\":\"/r/acme/comments/x/y/new/\"}}]}}}", &id, &url, &err), HEED_OK);
	assert_string_equal(id, "t1_new");
	assert_string_equal(url, "https://www.reddit.com/r/acme/comments/x/y/new/");
	free(id);
	free(url);
	assert_int_equal(parse_post(ops, &o, 200,
		"{\"json\":{\"errors\":[[\"DELETED_COMMENT\",\"that comment has been deleted\",\"parent\"]]}}",
		&id, &url, &err), HEED_EHTTP);
	assert_non_null(strstr(heed_err_msg(&err), "DELETED_COMMENT"));
	assert_int_equal(parse_post(ops, &o, 200,
		"{\"json\":{\"errors\":[[\"RATELIMIT\",\"you are doing that too much\",\"ratelimit\"]]}}",
		&id, &url, &err), HEED_ERATELIMIT);
	assert_int_equal(parse_check(ops, &o, 200,
		"{\"kind\":\"Listing\",\"data\":{\"children\":["
		"{\"kind\":\"t1\",\"data\":{\"name\":\"t1_old\",\"parent_id\":\"t1_abc\",\"body\":\"Earlier words\"}},"
		"{\"kind\":\"t1\",\"data\":{\"name\":\"t1_mine\",\"parent_id\":\"t1_abc\",\"body\":\"Sorry about that\"}}]}}",
		&found, &id, &url), HEED_OK);
	assert_true(found);
	assert_string_equal(id, "t1_mine");
	free(id);
	free(url);
	o.target_id = "abc";	/* not a fullname: refused before any call */
	assert_int_equal(ops->build_post(&ctx, &o, &req, &err), HEED_EINVAL);
	heed_req_release(&req);
}

static void x_answers_the_newest_edit_and_treats_duplicates_as_a_check(void **state)
{
	struct heed_outgoing o = reply("x", "100", "{\"id\":\"105\",\"text\":\"edited\"}", "Sorry about that");
	const struct heed_poster_ops *ops = &heed_poster_x;
	struct heed_req req = { 0 };
	struct heed_err err;
	char *id, *url;
	bool found;
	(void)state;

	assert_int_equal(ops->build_post(&ctx, &o, &req, &err), HEED_OK);
	assert_non_null(strstr(req.body, "\"in_reply_to_tweet_id\":\"105\""));
	heed_req_release(&req);
	assert_int_equal(parse_post(ops, &o, 201, "{\"data\":{\"id\":\"200\",\"text\":\"Sorry about that\"}}",
				    &id, &url, &err), HEED_OK);
	assert_string_equal(url, "https://x.com/i/web/status/200");
	free(id);
	free(url);
	assert_int_equal(parse_post(ops, &o, 403,
		"{\"detail\":\"You are not allowed to create a Tweet with duplicate content.\",\"type\":\"about:blank\",\"title\":\"Forbidden\",\"status\":403}",
		&id, &url, &err), HEED_ECONFLICT);
	assert_int_equal(parse_post(ops, &o, 403,
		"{\"detail\":\"Reply to this conversation is not allowed because you have not been mentioned or otherwise engaged by the author of the post you are replying to.\",\"title\":\"Forbidden\",\"status\":403}",
		&id, &url, &err), HEED_EHTTP);
	assert_int_equal(parse_check(ops, &o, 200,
		"{\"data\":[{\"id\":\"199\",\"text\":\"Sorry about that\",\"referenced_tweets\":[{\"type\":\"quoted\",\"id\":\"105\"}]},"
		"{\"id\":\"201\",\"text\":\"Sorry about that\",\"referenced_tweets\":[{\"type\":\"replied_to\",\"id\":\"105\"}]}]}",
		&found, &id, &url), HEED_OK);
	assert_true(found);
	assert_string_equal(id, "201");
	free(id);
	free(url);
	acct.account = "acme";	/* not numeric: the check cannot be built */
	assert_int_equal(ops->build_check(&ctx, &o, &req, &err), HEED_ECONFIG);
	heed_req_release(&req);
	acct.account = "1600000000000000001";
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(same_text_ignores_wrapping_only),
		cmocka_unit_test(mastodon_sends_the_key_and_finds_its_reply),
		cmocka_unit_test(bluesky_keeps_its_record_key_and_asks_for_it),
		cmocka_unit_test(reddit_reads_refusals_inside_200),
		cmocka_unit_test(x_answers_the_newest_edit_and_treats_duplicates_as_a_check),
	};

	return cmocka_run_group_tests_name("post", tests, NULL, NULL);
}
