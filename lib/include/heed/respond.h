/* respond.h: heed respond, the outbox sender (responder/respond.c). It posts
 * each queued reply exactly once: the intent is committed before the call
 * and the outcome after it, and a reply whose fate is unknown (a crash, a
 * timeout, a 5xx) is looked for on the platform before any retry. It also
 * queues the automatic acknowledgements brands ask for, and ends expired
 * claims. Each reply is posted from its brand's account on the platform:
 * the first [source.NAME] of that brand and platform with credentials. */
#ifndef HEED_RESPOND_H
#define HEED_RESPOND_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "heed/cfg.h"
#include "heed/db.h"
#include "heed/err.h"
#include "heed/http.h"
#include "heed/reply.h"
#include "heed/source.h"

/* Automatic acknowledgement for one brand ([brand.NAME] auto_ack*). */
struct heed_ack_rule {
	char *brand;
	char *platforms;	/* comma-separated; "" means off */
	char *levels;		/* urgency levels that get one, comma-separated */
	bool negative;		/* negative mentions get one */
	char *template_name;
	int64_t max_age_ms;	/* cases opened longer ago are left alone */
};

struct heed_respond_counts {
	unsigned sent, checked_found, retried, failed, acks_queued;
};

struct heed_respond_opts {
	bool once;			/* send what is due now, then return */
	int64_t interval_ms;		/* longest wait between two passes */
	int64_t lease_ms;		/* how long one attempt may take */
	unsigned max_attempts;		/* then the reply fails */
	int64_t backoff_max_ms;
	unsigned batch;			/* replies taken per transaction */
	int64_t return_lease_ms;	/* a failed reply's case is the agent's for this long */
	double budget_share;		/* of each platform's rate limit */
	struct heed_reply_limits limits;
	struct heed_ack_rule *acks;	/* borrowed */
	size_t nacks;
	const volatile sig_atomic_t *stop;
};

/* Can heed post replies on platform at all (Hacker News: no)? */
bool heed_respond_can_post(const char *platform);

/* The source whose credentials post replies for brand on platform: the
 * first of srcs (n) of that brand and platform with credentials, where heed
 * can post at all; NULL when there is none. Borrowed from srcs. */
const struct heed_source *heed_respond_poster(struct heed_source *const *srcs, size_t n,
					      const char *brand, const char *platform);

/* The name an account posts as: its user, account id or source name. */
const char *heed_respond_poster_name(const struct heed_source *s);

/* Options from the [respond] section, the brands' auto_ack keys (owned by
 * o: heed_respond_opts_release) and [reply] limits. */
void heed_respond_opts_from_cfg(struct heed_respond_opts *o, const struct heed_cfg *cfg);
void heed_respond_opts_release(struct heed_respond_opts *o);

/* Send until *o->stop is set, or with o->once until nothing is due. srcs
 * (n of them) are the configured sources, whose credentials post. Returns
 * HEED_OK or the error that stopped the loop (the database lost past its
 * retries); the outcome of each reply is in the outbox and its case's
 * events, and added up in *counts (may be NULL). */
int heed_respond_run(struct heed_db *db, struct heed_http *http,
		     struct heed_source *const *srcs, size_t n,
		     const struct heed_respond_opts *o, struct heed_respond_counts *counts,
		     struct heed_err *err) HEED_MUSTCHECK;

#endif
