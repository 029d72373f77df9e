/* collect_int.h: internals shared by the platform adapters in collectors/
 * (not for use elsewhere): cursor JSON, id order, string hygiene, the
 * bookkeeping of newest-first sweeps, and the pure halves of logging in
 * (JWT expiry, session and token state) so that unit tests reach them
 * without sockets. Everything here is thread-safe on its own arguments. */
#ifndef HEED_COLLECT_INT_H
#define HEED_COLLECT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "heed/err.h"
#include "heed/source.h"

/* A new source ("{}" cursor) starts this far back, unless its cursor holds
 * {"since_ms": X} (heed poll --since), an absolute time in Unix ms. */
#define HEED_COLLECT_BACKFILL_MS (3600 * 1000LL)

/* Caps on what a mention keeps, in bytes (text: HEED_HTML_TEXT_MAX). */
#define HEED_COLLECT_ID_MAX 512
#define HEED_COLLECT_NAME_MAX 1024
#define HEED_COLLECT_URL_MAX 4096
#define HEED_COLLECT_RAW_MAX (1u << 20)	/* larger raw JSON is not kept */
#define HEED_COLLECT_TIES_MAX 200	/* ids remembered at one watermark */

/* ---- cursors ----------------------------------------------------------- */

/* Parse a cursor (JSON object text; NULL or "" count as "{}"). Returns a
 * new reference, or NULL with err set (HEED_EINVAL) when it is not a JSON
 * object: a stored cursor is never silently replaced. */
json_t *heed_collect_cursor_load(const char *cursor, struct heed_err *err);

/* Compact JSON text of c with sorted keys (owned by the caller). */
char *heed_collect_cursor_dump(const json_t *c);

/* Where a backfill starts: c's "since_ms", else now_ms minus
 * HEED_COLLECT_BACKFILL_MS. */
int64_t heed_collect_cursor_from(const json_t *c, int64_t now_ms);

/* ---- ids and strings ---------------------------------------------------- */

/* Order of two decimal ids sent as strings (Mastodon, X): by length, then
 * by bytes; never converted to integers. NULL sorts first. */
int heed_collect_id_cmp(const char *a, const char *b);

/* A copy of s cleaned as by heed_html_clean and capped at max bytes, or
 * NULL when s is NULL. */
char *heed_collect_str(const char *s, size_t max);

/* A JSON string's value cleaned and capped (NULs inside are dropped, not
 * cut at), or NULL when v is not a string. */
char *heed_collect_json_text(const json_t *v, size_t max);

/* The item as compact JSON text, for heed_mention.raw; "\u0000" escapes
 * become "\ufffd" (PostgreSQL jsonb refuses them). NULL when the text would
 * exceed HEED_COLLECT_RAW_MAX. */
char *heed_collect_raw(const json_t *item);

/* True when text contains word, ignoring ASCII case, with no letter, digit
 * or '_' right before or after it ("acme" is in "Acme's", not "acmeist"). */
bool heed_collect_has_word(const char *text, const char *word);

/* True when (author_id, handle) is src->account or one of
 * src->own_accounts; a leading '@' is ignored, handles compare without
 * case. Either may be NULL. */
bool heed_collect_is_own(const struct heed_source *src, const char *author_id,
			 const char *handle);

/* An ISO 639-1 code from a language tag ("en", "pt-BR" -> "pt"; "und",
 * "zxx", "qme" -> NULL), lowercased and owned by the caller; NULL when
 * there is none. */
char *heed_collect_lang(const char *tag);

/* Items per request: src->page_size clamped to [lo, hi]; 0 gives hi. */
unsigned heed_collect_limit(const struct heed_source *src, unsigned lo,
			    unsigned hi);

/* ---- newest-first sweeps ------------------------------------------------ */

/* A listing served newest first is read in a sweep of pages down to the
 * committed watermark: items older than "wm" are done, and so are the
 * "ids" at exactly wm. The newest item of the sweep ("new_wm" and its
 * "new_ids") becomes the watermark only when the sweep ends, so an item
 * that arrives during a sweep is caught by the next one. Time keys are
 * integers in the platform's own unit. */
struct heed_sweep {
	int64_t wm;
	json_t *ids;		/* owned */
	bool any;		/* a new item was seen in this sweep */
	int64_t top;		/* its newest time key */
	json_t *top_ids;	/* owned: ids at top */
	bool reached;		/* an item older than wm - overlap was seen */
	int64_t overlap;	/* 0, or how far below wm items are taken
				 * again (sent to the database, which keeps
				 * one copy): for listings that show posts
				 * late, so that none falls below the mark */
};

enum heed_sweep_seen {
	HEED_SWEEP_NEW,		/* keep it */
	HEED_SWEEP_SEEN,	/* at the watermark, already stored */
	HEED_SWEEP_OLD,		/* older than the watermark (less the overlap):
				 * the sweep is done */
};

/* Read the sweep from cursor c; a cursor without "wm" starts at from. */
void heed_sweep_load(struct heed_sweep *s, const json_t *c, int64_t from);

/* Classify one item of the listing and remember it if new. */
enum heed_sweep_seen heed_sweep_check(struct heed_sweep *s, int64_t t,
				      const char *id);

/* Write the sweep into cursor c: when done, the new watermark; otherwise
 * the old one plus the sweep's newest so far. */
void heed_sweep_save(const struct heed_sweep *s, json_t *c, bool done);

void heed_sweep_release(struct heed_sweep *s);

/* A JSON array of strings: does it hold id; append id unless it is there
 * or the array has HEED_COLLECT_TIES_MAX entries. */
bool heed_collect_ids_has(const json_t *arr, const char *id);
void heed_collect_ids_add(json_t *arr, const char *id);

/* ---- logging in ---------------------------------------------------------- */

/* The "exp" claim of a JWT (base64url JSON payload, not verified) in Unix
 * ms, or -1 when it cannot be read. */
int64_t heed_collect_jwt_exp_ms(const char *jwt);

/* Standard base64 (with padding) of len bytes; owned by the caller. */
char *heed_collect_base64(const void *p, size_t len);

/* Bluesky (bluesky.c). What auth() does with a stored state at now_ms:
 * log in (no usable state, or the refresh token is expired), refresh (the
 * access token expires within a minute, cannot be read, or the state is
 * marked expired), or reuse the access token. */
enum heed_bluesky_step {
	HEED_BLUESKY_CREATE,
	HEED_BLUESKY_REFRESH,
	HEED_BLUESKY_REUSE,
};
enum heed_bluesky_step heed_bluesky_auth_step(const char *state,
					      int64_t now_ms);

/* State JSON {"accessJwt","refreshJwt","did","handle"} from a
 * createSession or refreshSession response body, or NULL with err
 * (HEED_EPARSE: not JSON or a token missing). */
char *heed_bluesky_session_state(const char *body, size_t len,
				 struct heed_err *err);

/* A string member of a state JSON text, copied, or NULL. */
char *heed_collect_state_get(const char *state, const char *key);

/* Reddit (reddit.c). True when state holds a token valid for more than a
 * minute after now_ms and is not marked expired. */
bool heed_reddit_token_fresh(const char *state, int64_t now_ms);

/* State {"access_token","expires_at_ms"} from an access_token response
 * received at now_ms, or NULL with err: HEED_EAUTH when Reddit says why
 * not inside the 200 body ({"error":"invalid_grant"}), HEED_EPARSE else. */
char *heed_reddit_token_state(const char *body, size_t len, int64_t now_ms,
			      struct heed_err *err);

/* The URL of Reddit's token endpoint for src: oauth.reddit.com serves the
 * API and www.reddit.com the tokens; any other base (a test server) serves
 * both. NEEDSWORK: an auth_url source key would say it outright. */
char *heed_reddit_token_url(const struct heed_source *src);

/* X (x.c). The time in Unix ms that an X snowflake id encodes, or -1 when
 * id is not a number. */
int64_t heed_x_snowflake_ms(const char *id);

/* Mastodon (mastodon.c). The min_id of the rel="prev" URL of a Link
 * header, copied, or NULL. */
char *heed_mastodon_link_min_id(const char *link);

#endif
