/* ratelimit.h: read a platform's rate-limit state from response headers,
 * whatever shape they come in, and decide when the next request may go.
 * Shapes (reference/social-apis.md §0): X-RateLimit-* (Mastodon; reset is
 * ISO 8601 with microseconds, or epoch on GoToSocial), RateLimit-* (Bluesky;
 * reset in epoch seconds, RateLimit-Policy "N;w=S"), X-Ratelimit-* (Reddit;
 * remaining a float string, reset in seconds from now, sometimes two values
 * joined by a comma), x-rate-limit-* (X; epoch seconds), and Retry-After
 * (seconds or an HTTP date). Pure functions: time is passed in. */
#ifndef HEED_RATELIMIT_H
#define HEED_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

#include "heed/http.h"

struct heed_ratelimit {
	bool known;		/* some rate-limit header was present */
	double limit;		/* requests per window; < 0 unknown */
	double remaining;	/* < 0 unknown */
	int64_t reset_at_ms;	/* when the window resets; 0 unknown */
	int64_t retry_at_ms;	/* Retry-After as an absolute time; 0 none */
	int64_t window_ms;	/* from a policy header; 0 unknown */
};

/* Start with nothing known. */
void heed_ratelimit_init(struct heed_ratelimit *rl);

/* Read every rate-limit header of resp, received at now_ms, into rl
 * (replacing what it held). Malformed values are ignored, never fatal. */
void heed_ratelimit_from_resp(struct heed_ratelimit *rl,
			      const struct heed_http_resp *resp,
			      int64_t now_ms);

/* Lower-level: parse one reset value (any shape) to an absolute Unix time
 * in ms; 0 when it cannot be read. Values above 1e9 are epoch seconds (above
 * 1e12, epoch ms), smaller ones seconds from now. Comma pairs take the
 * latest reset. */
int64_t heed_ratelimit_parse_reset(const char *v, int64_t now_ms);

/* Parse a count (remaining or limit): "599.0", "42", "991, 98" (the
 * smallest of a comma list). Returns < 0 when it cannot be read. */
double heed_ratelimit_parse_count(const char *v);

/* How long to wait, from now_ms, before the next request. Zero when one may
 * go now. Waits until Retry-After if it is in the future; until the reset
 * (plus one second, since windows measured by the server end a little late)
 * when the remaining count is at or below the reserve, which is the part of
 * the budget not ours: limit * (1 - share). share is in (0, 1]. The result
 * is never capped here: callers cap how long they sleep at a time, never
 * how long they hold back. */
int64_t heed_ratelimit_wait_ms(const struct heed_ratelimit *rl,
			       int64_t now_ms, double share);

/* Serialise to a JSON object text, and back (for the sources.ratelimit
 * column, so that a restarted poller still honours a window). The returned
 * string is allocated. heed_ratelimit_from_json ignores what it cannot
 * read. */
char *heed_ratelimit_to_json(const struct heed_ratelimit *rl);
void heed_ratelimit_from_json(struct heed_ratelimit *rl, const char *json);

#endif
