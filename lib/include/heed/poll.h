/* poll.h: the one poll loop that drives every source, whatever its
 * platform: it owns a source through an advisory lock, honours the
 * platform's rate limits (stored, so a restarted poller honours them too),
 * fetches pages through the adapter, classifies each mention inline and
 * applies each page in one transaction with its cursor. Errors back off
 * exponentially with jitter; health goes to the sources row. */
#ifndef HEED_POLL_H
#define HEED_POLL_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "heed/cfg.h"
#include "heed/clock.h"
#include "heed/err.h"
#include "heed/http.h"
#include "heed/source.h"

struct heed_db;

/* Judge one mention: fill its classifier fields. */
typedef void heed_classify_fn(void *arg, struct heed_mention *m);

/* Told after each page and each decision, for progress output. */
struct heed_poll_event {
	const struct heed_source *src;
	const char *what;	/* "page", "ratelimited", "error", "skipped" */
	unsigned inserted, duplicates, opened, joined, bad;
	int64_t wait_ms;	/* for "ratelimited" and "error" */
	const char *detail;	/* error text, or NULL */
};
typedef void heed_poll_progress_fn(void *arg, const struct heed_poll_event *ev);

struct heed_poll_opts {
	bool once;			/* one cycle per source, then return */
	int64_t since_ms;		/* > 0: backfill from now minus this */
	double budget_share;		/* (0, 1]: our part of each rate limit */
	int64_t interval_ms;		/* starting interval between cycles */
	int64_t min_interval_ms;	/* adaptive schedule bounds */
	int64_t max_interval_ms;
	int64_t max_sleep_ms;		/* longest single sleep */
	int64_t backoff_max_ms;		/* longest error backoff */
	unsigned max_pages;		/* per source per cycle */
	int64_t backfill_ms;		/* where a new source starts */
	int64_t sla_ms;			/* first reply due after the post */
	int64_t join_window_ms;		/* a new thread joins a recent case */
	heed_classify_fn *classify;
	void *classify_arg;
	heed_poll_progress_fn *progress;
	void *progress_arg;
	const struct heed_clock *clock;
	const volatile sig_atomic_t *stop;	/* set by a signal handler */
};

/* Fill opts from the [poll], [sla] and [cases] sections of cfg. The
 * classify, progress, clock and stop members are left for the caller. */
void heed_poll_opts_from_cfg(struct heed_poll_opts *o,
			     const struct heed_cfg *cfg);

/* Build the sources named in cfg ([source.NAME]); only the one called only
 * when not NULL. Loads their secrets (environment or 0600 files). *n gets the
 * count; free each with heed_source_free and the array with free(). NULL
 * with err on a bad section or an unreadable secret. */
struct heed_source **heed_sources_from_cfg(const struct heed_cfg *cfg,
					   const char *only, size_t *n,
					   struct heed_err *err);

/* Poll srcs until *opts->stop is set (or one cycle each with opts->once).
 * The sources' rows are created on first use. Returns HEED_OK, or the first
 * error that stops the whole loop (a lost database past its retries).
 * Errors of one source are recorded in its row and logged; the others go
 * on. With once, *failed (may be NULL) counts sources whose cycle failed. */
int heed_poll_run(struct heed_db *db, struct heed_http *http,
		  struct heed_source *const *srcs, size_t n,
		  const struct heed_poll_opts *opts, unsigned *failed,
		  struct heed_err *err) HEED_MUSTCHECK;

#endif
