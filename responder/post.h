/* post.h: how each platform takes a reply (responder/post_<platform>.c),
 * for heed respond (respond.c). Like the collectors' adapters, each platform
 * is one const table of pure callbacks: build the POST, read its answer,
 * build the check that looks for a reply an earlier attempt may have
 * posted, and read that. The sending loop does the HTTP and the outbox. */
#ifndef HEED_RESPONDER_POST_H
#define HEED_RESPONDER_POST_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "heed/err.h"
#include "heed/http.h"
#include "heed/source.h"

/* One reply on its way, as heed_outbox_take() hands it out; strings are
 * borrowed from the caller's result and may be NULL where noted. */
struct heed_outgoing {
	int64_t reply_id, case_id;
	const char *platform, *brand;
	const char *kind;		/* "human" or "auto_ack" */
	const char *text;
	const char *idem_key;		/* Mastodon's Idempotency-Key */
	const char *platform_key;	/* Bluesky's record key (TID), else NULL */
	int attempt;			/* 1 for the first */
	bool check_first;		/* an earlier attempt may have posted it */
	const char *target_id;		/* the customer's post: external id */
	const char *target_raw;		/* its raw JSON, or NULL */
	const char *target_author;	/* its author's handle, or NULL */
};

/* Who posts: the brand's account (a configured source with credentials),
 * the bearer token from its login, and the session JSON (Bluesky: "did"). */
struct heed_post_ctx {
	const struct heed_source *acct;
	const char *bearer;
	const char *session;
};

struct heed_poster_ops {
	const char *platform;

	/* The request that posts o. HEED_EINVAL (permanent) when o cannot be
	 * posted at all (the target's raw JSON lacks what the platform needs). */
	int (*build_post)(const struct heed_post_ctx *c, const struct heed_outgoing *o,
			  struct heed_req *req, struct heed_err *err);

	/* Read the answer to build_post's request, whatever its status.
	 * HEED_OK: posted, *id (and *url, or NULL) set, owned by the caller.
	 * Otherwise err holds the platform's words and the code says what to
	 * do: HEED_EHTTP5 (may have been posted: check, then retry),
	 * HEED_ERATELIMIT (not posted: wait), HEED_EAUTH (session expired: log
	 * in again, retry), HEED_ECONFLICT (the platform says it is a
	 * duplicate: check), anything else permanent (HEED_EHTTP). */
	int (*parse_post)(const struct heed_post_ctx *c, const struct heed_outgoing *o,
			  const struct heed_http_resp *resp, char **id, char **url,
			  struct heed_err *err);

	/* The request that looks for o on the platform. */
	int (*build_check)(const struct heed_post_ctx *c, const struct heed_outgoing *o,
			   struct heed_req *req, struct heed_err *err);

	/* Read the check's answer: HEED_OK with *found (and then *id, *url
	 * as for parse_post), or an error when the answer says nothing (the
	 * reply's fate stays unknown). */
	int (*parse_check)(const struct heed_post_ctx *c, const struct heed_outgoing *o,
			   const struct heed_http_resp *resp, bool *found, char **id,
			   char **url, struct heed_err *err);
};

extern const struct heed_poster_ops heed_poster_mastodon, heed_poster_bluesky,
	heed_poster_reddit, heed_poster_x;

/* The poster for platform, or NULL (Hacker News has none). */
const struct heed_poster_ops *heed_poster_find(const char *platform);

/* ---- shared by the post_<platform>.c files ---- */

/* The generic reading of an answer's status: 2xx HEED_OK; 429
 * HEED_ERATELIMIT; 5xx HEED_EHTTP5; 401 HEED_EAUTH; other statuses
 * HEED_EHTTP. On error, err says "PLATFORM answered STATUS: MESSAGE" with
 * the message from the JSON body's usual fields (error, message, detail,
 * title, error_description), cleaned for logs. */
int heed_post_status(const char *platform, const struct heed_http_resp *resp,
		     struct heed_err *err);

/* resp's body as JSON (an object or array), or NULL with err (HEED_EPARSE,
 * which callers treat like a 5xx: the answer is not understood). */
json_t *heed_post_json(const char *platform, const struct heed_http_resp *resp,
		       struct heed_err *err);

/* Make req a POST of JSON body (consumed) to url (taken over) with the
 * bearer token. */
void heed_post_json_req(struct heed_req *req, char *url, json_t *body, const char *bearer);

/* True when two texts are the same reply: equal once runs of blanks are
 * one space and the ends are trimmed (platforms re-wrap text). */
bool heed_post_same_text(const char *a, const char *b);

#endif
