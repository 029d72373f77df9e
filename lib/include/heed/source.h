/* source.h: what a platform adapter is. One generic poll loop
 * (collectors/poll.c) drives every source; each platform contributes one
 * const struct heed_source_ops (collectors/<platform>.c) whose build and
 * parse callbacks are pure functions of their inputs, so they are unit
 * tested on recorded pages. Adding a platform means one file and one row of
 * heed_source_ops_all[].
 *
 * Cursors are JSON objects (text) owned by the adapter's logic and stored
 * opaquely by the loop; a cursor is committed in the same transaction as the
 * page it follows, so a crash never skips data that was not stored. For
 * newest-first APIs (X, Reddit, Bluesky search, HN) the adapter keeps a
 * "sweep" in the cursor: the committed watermark stays put until the last
 * page of a sweep is stored, then moves to the newest item seen. */
#ifndef HEED_SOURCE_H
#define HEED_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "heed/err.h"
#include "heed/http.h"
#include "heed/mention.h"

/* A configured source: one [source.NAME] section. Immutable once built;
 * strings owned (heed_source_free). */
struct heed_source {
	char *name;
	const struct heed_source_ops *ops;
	char *kind;		/* endpoint: "tag", "search", "mentions", ... */
	char *brand;
	char *base_url;		/* no trailing slash */
	char **queries;		/* NULL-terminated: terms, tags, subreddits */
	size_t nqueries;
	char *account;		/* the brand's account on the platform */
	char **own_accounts;	/* NULL-terminated: posts never become cases */
	char **exclude;		/* NULL-terminated: posts with these terms
				 * are not the brand's (dropped) */
	unsigned page_size;	/* items per request, clamped by the adapter */
	/* credentials, loaded from environment or 0600 files; never logged */
	char *user;		/* Bluesky handle, Reddit username */
	char *secret;		/* bearer token, app password, Reddit password */
	char *client_id;	/* Reddit script app */
	char *client_secret;
};

/* A request the adapter built; every string is owned (heed_req_release). */
struct heed_req {
	enum heed_http_method method;
	char *url;
	char *headers[8];	/* "Name: value"; NULL-terminated */
	char *body;
	size_t body_len;
};

void heed_req_release(struct heed_req *req);
/* Append a header line (formatted); at most 7. Aborts past that: a bug. */
void heed_req_header(struct heed_req *req, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* An item the adapter could not turn into a mention; the rest go on. */
struct heed_bad_item {
	char *id;	/* the platform's id if it could be read, else NULL */
	char *reason;
};

/* One parsed page; owned strings (heed_page_release). */
struct heed_page {
	struct heed_mention *items;
	size_t n;
	struct heed_bad_item *bad;
	size_t nbad;
	char *cursor;	/* cursor to commit with this page; never NULL */
	bool more;	/* a further page is available now */
};

void heed_page_init(struct heed_page *p);
void heed_page_release(struct heed_page *p);
/* Append a fresh initialised mention and return it (owned by the page). */
struct heed_mention *heed_page_add(struct heed_page *p);
/* Record a bad item (id may be NULL). */
void heed_page_bad(struct heed_page *p, const char *id, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

struct heed_source_ops {
	const char *platform;		/* as stored: "mastodon", ... */
	const char *const *kinds;	/* NULL-terminated endpoint names */
	const char *default_base_url;

	/* Build the request for the next page of src from cursor (JSON
	 * object text; "{}" for a new source). bearer is the token from
	 * auth() or src->secret, or NULL. now_ms is the current time (for
	 * time windows). Pure. */
	int (*build)(const struct heed_source *src, const char *cursor,
		     const char *bearer, int64_t now_ms, struct heed_req *req,
		     struct heed_err *err);

	/* Parse a 2xx response to the request built from cursor. Fills page:
	 * every good item as a mention, every bad one with its reason, the
	 * next cursor, and whether more is available now. Returns HEED_EPARSE
	 * only when the page as a whole is unusable (not JSON, wrong shape):
	 * then nothing of it is applied and the cursor does not move. Pure. */
	int (*parse)(const struct heed_source *src, const char *cursor,
		     const struct heed_http_resp *resp, int64_t now_ms,
		     struct heed_page *page, struct heed_err *err);

	/* Obtain a bearer token, using and refreshing a stored session
	 * (state: JSON text or NULL). On success *bearer is set (owned by
	 * caller) and, if the session changed, *new_state (owned) must be
	 * stored. NULL when the platform needs no login step (static token
	 * or none). Does HTTP through h. */
	int (*auth)(const struct heed_source *src, struct heed_http *h,
		    const char *state, int64_t now_ms, char **bearer,
		    char **new_state, struct heed_err *err);

	/* What src lacks to be let in for its kind, in words for the user
	 * ("a bearer token (secret_env or secret_file)"), or NULL when it has
	 * it. NULL callback: the platform needs no credentials. Pure. */
	const char *(*lacks)(const struct heed_source *src);
};

/* Every adapter, NULL-terminated. */
extern const struct heed_source_ops *const heed_source_ops_all[];

/* The adapter for a platform name, or NULL. */
const struct heed_source_ops *heed_source_ops_find(const char *platform);

void heed_source_free(struct heed_source *src);

/* After a 401 or an ExpiredToken error (the poll loop, heed respond): the
 * session state (JSON object text) with "expired": true added, so that the
 * next auth() call refreshes the session instead of logging in from
 * scratch. NULL when state is NULL or not an object. Owned by the caller. */
char *heed_collect_state_expire(const char *state);

#endif
