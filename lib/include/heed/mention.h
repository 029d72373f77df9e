/* mention.h: one post from any platform, normalised: the unit that the
 * collectors produce, the classifier judges and the ingest step stores.
 * All strings are owned by the struct (allocated with xmalloc and friends)
 * and freed by heed_mention_release; platform is a static string. */
#ifndef HEED_MENTION_H
#define HEED_MENTION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct heed_mention {
	const char *platform;	/* "mastodon", "bluesky", "reddit", "x", "hn" */
	char *external_id;	/* the dedupe key the reference names */
	char *url;		/* permalink, or NULL */
	char *author_id;	/* stable id (Bluesky DID, Reddit name, ...) */
	char *author_handle;	/* @handle as shown; never NULL once parsed */
	char *author_name;	/* display name, or NULL */
	int64_t author_followers;	/* -1 when the platform does not say */
	char *text;		/* plain UTF-8: HTML and entities decoded */
	char *raw;		/* the item's JSON as received, or NULL */
	int64_t posted_at_ms;	/* the platform's timestamp, Unix ms */
	char *in_reply_to;	/* parent post id, or NULL */
	char *thread_key;	/* conversation root id (own id for a root) */
	char *lang;		/* ISO 639-1 when the platform says, or NULL */
	bool mentions_account;	/* @-mentions the brand account itself */
	bool is_share;		/* a bare boost/repost with no text of its own */
	bool is_own;		/* posted by one of the brand's own accounts */

	/* Filled by the classifier (heed_classify_mention in heed/classify.h). */
	bool classified;
	double sentiment;		/* compound, -1..1 */
	const char *sentiment_label;	/* static: positive/neutral/negative */
	int urgency;			/* 0..100 */
	const char *urgency_level;	/* static: low/normal/high/critical */
	char **topics;			/* NULL-terminated, owned */
	char *reasons_json;		/* JSON array of contributions, owned */
	bool needs_reply;
	char *needs_reply_reason;	/* owned */
	bool is_spam;
};

/* Zero every field (authors' followers to -1). */
void heed_mention_init(struct heed_mention *m);

/* Free every owned string; m is back to its initialised state. */
void heed_mention_release(struct heed_mention *m);

#endif
