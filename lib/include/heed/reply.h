/* reply.h: what a reply's text must satisfy before it is queued: valid
 * UTF-8 without control characters, and each platform's length limit in the
 * unit that platform counts (responder/reply.c). Bluesky counts graphemes
 * (and at most 3000 bytes); Mastodon graphemes with every link as 23; X
 * weighted characters after NFC (most scripts 1, CJK and emoji 2, a link
 * 23); Reddit characters. Whether heed may post on the platform at all is
 * the database's rule (heed_case_reply_target). Pure functions, no I/O. */
#ifndef HEED_REPLY_H
#define HEED_REPLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "heed/err.h"

/* Configured limits ([reply] max_len_*), in each platform's unit. */
struct heed_reply_limits {
	int64_t bluesky, mastodon, reddit, x;
};

#define HEED_REPLY_BLUESKY_MAX_BYTES 3000
#define HEED_REPLY_URL_LENGTH 23	/* what a link counts on Mastodon and X */

/* The number of extended grapheme clusters in len bytes of UTF-8 s (what a
 * reader sees as characters). Invalid bytes count one each. */
size_t heed_utf8_graphemes(const char *s, size_t len);

/* The length of text (len bytes) as platform counts it; see above. An
 * unknown platform, or Hacker News, counts characters. */
size_t heed_reply_length(const char *platform, const char *text, size_t len);

/* The unit heed_reply_length counts in for platform, e.g. "graphemes".
 * Static string. */
const char *heed_reply_unit(const char *platform);

/* The configured limit for platform, or 0 for none. */
int64_t heed_reply_limit(const char *platform,
			 const struct heed_reply_limits *lim);

/* Check text for platform: HEED_EINVAL when empty, not UTF-8 or holding
 * control characters (newline and tab are fine) or bidirectional overrides;
 * HEED_ETOOBIG with "312 graphemes; bluesky allows 300" when too long. *n
 * (may be NULL) gets the length. Thread-safe. */
int heed_reply_check(const char *platform, const char *text,
		     const struct heed_reply_limits *lim, size_t *n,
		     struct heed_err *err) HEED_MUSTCHECK;

/* The text as it goes out on platform to the customer with handle (may be
 * NULL): on Mastodon, where only a mention notifies them, "@handle " comes
 * first unless the text mentions them already; elsewhere the reply's
 * target notifies them and the text is unchanged. Returns a new string. */
char *heed_reply_addressed(const char *platform, const char *text, const char *handle);

/* heed_reply_check on the text as it goes out (heed_reply_addressed). */
int heed_reply_check_to(const char *platform, const char *text, const char *handle,
			const struct heed_reply_limits *lim, size_t *n,
			struct heed_err *err) HEED_MUSTCHECK;

/* Tidy len bytes an agent typed in an editor, as git commit does: drop
 * '\r', lines starting with '#' (when strip_comments), trailing blanks on
 * each line and blank lines at both ends. Returns an allocated string (free
 * it), "" when nothing is left. */
char *heed_reply_tidy(const char *text, size_t len, bool strip_comments);

#endif
