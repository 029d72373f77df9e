/* poll.c: the one generic poll loop (see heed/poll.h). Per source and
 * cycle: own it, honour its stored rate limit, fetch pages through the
 * adapter, classify, apply each page with its cursor in one transaction,
 * then schedule the next cycle (sooner when busy, later when quiet, never
 * faster than the budget allows). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "heed/db.h"
#include "heed/log.h"
#include "heed/poll.h"
#include "heed/ratelimit.h"
#include "heed/secret.h"
#include "heed/xalloc.h"
#include "collect_int.h"
#include "store.h"

/* A platform's rate limit belongs to the account, which several sources
 * may share: they share one budget (keyed by platform, server and login). */
struct budget {
	char *key;
	struct heed_ratelimit rl;
};

/* What the loop keeps per source between cycles. */
struct polled {
	struct budget *budget;
	struct heed_source *src;
	int id;			/* sources.id, 0 until ensured */
	bool owned;
	int64_t due_ms;		/* next cycle */
	int64_t interval_ms;	/* adaptive */
	bool since_applied;
	bool failed;
	unsigned page_size;	/* 0, or what is left after oversized pages */
};

struct loop {
	struct heed_db *db;
	struct heed_http *http;
	const struct heed_poll_opts *o;
	unsigned seed;
	struct budget *budgets;
	size_t nbudgets;
};

/* The shared budget of src's account, created on first use. */
static struct budget *budget_for(struct loop *l, const struct heed_source *src)
{
	char *key = xasprintf("%s|%s|%s|%s", src->ops->platform, src->base_url,
			      src->user ? src->user : "",
			      src->client_id ? src->client_id : "");

	for (size_t i = 0; i < l->nbudgets; i++)
		if (!strcmp(l->budgets[i].key, key)) {
			free(key);
			return &l->budgets[i];
		}
	/* a fixed array: pointers into it stay valid (at most one per source) */
	l->budgets[l->nbudgets].key = key;
	heed_ratelimit_init(&l->budgets[l->nbudgets].rl);
	return &l->budgets[l->nbudgets++];
}

static int64_t now_ms(const struct loop *l)
{
	return heed_clock_now_ms(l->o->clock ? l->o->clock : heed_clock_system());
}

static bool stopping(const struct loop *l)
{
	return l->o->stop && *l->o->stop;
}

static void emit(const struct loop *l, const struct heed_source *src,
		 const char *what, const struct store_counts *c, unsigned bad,
		 int64_t wait_ms, const char *detail)
{
	struct heed_poll_event ev = { src, what, 0, 0, 0, 0, bad, wait_ms, detail };

	if (c) {
		ev.inserted = c->inserted;
		ev.duplicates = c->duplicates;
		ev.opened = c->opened;
		ev.joined = c->joined;
	}
	if (l->o->progress)
		l->o->progress(l->o->progress_arg, &ev);
}

/* Sleep ms, in parts of at most max_sleep, waking early on stop. */
static void nap(const struct loop *l, int64_t ms)
{
	while (ms > 0 && !stopping(l)) {
		int64_t part = ms < 1000 ? ms : 1000;
		struct timespec ts = { part / 1000, (long)(part % 1000) * 1000000L };

		nanosleep(&ts, NULL);	/* EINTR: a signal; loop checks stop */
		ms -= part;
	}
}

/* Exponential backoff with jitter after streak consecutive errors. */
static int64_t backoff(struct loop *l, unsigned streak)
{
	int64_t ms = 5000;

	for (unsigned i = 0; i < streak && ms < l->o->backoff_max_ms; i++)
		ms *= 2;
	if (ms > l->o->backoff_max_ms)
		ms = l->o->backoff_max_ms;
	return ms / 2 + (int64_t)(rand_r(&l->seed) % (unsigned)(ms / 2 + 1));
}

/* Budget pacing: with a known window and limit, space requests so that a
 * steady poller stays within its share. */
static int64_t pace_ms(const struct heed_ratelimit *rl, double share)
{
	if (rl->limit <= 0 || rl->window_ms <= 0 || share <= 0)
		return 0;
	return (int64_t)((double)rl->window_ms / (rl->limit * share));
}

static bool contains_ci(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	if (!n)
		return false;
	for (; *hay; hay++)
		if (!strncasecmp(hay, needle, n))
			return true;
	return false;
}

/* Drop excluded posts and classify the rest, in place (adapters already
 * marked the brand's own posts). */
static void prepare_page(struct loop *l, const struct heed_source *src,
			 struct heed_page *page)
{
	size_t out = 0;

	for (size_t i = 0; i < page->n; i++) {
		struct heed_mention *m = &page->items[i];
		bool drop = false;

		for (size_t k = 0; src->exclude && src->exclude[k]; k++)
			if (m->text && contains_ci(m->text, src->exclude[k]))
				drop = true;
		if (drop) {
			heed_mention_release(m);
			continue;
		}
		if (l->o->classify)
			l->o->classify(l->o->classify_arg, m);
		if (out != i)
			page->items[out] = *m;
		out++;
	}
	page->n = out;
}

/* Cursor for --since: start again from now - since (adapters read
 * "since_ms"); the stored cursor moves with the first page committed. */
static char *since_cursor(int64_t from_ms)
{
	return xasprintf("{\"since_ms\":%lld}", (long long)from_ms);
}

enum outcome { OUT_DONE, OUT_MORE, OUT_WAIT, OUT_FAIL };

/* One cycle of one source. Pages are pipelined: while the database applies
 * one page (sent, not yet confirmed), the next is fetched and classified,
 * so that the poller and the server work at the same time. The cursor a
 * request starts from is the newest page's; the committed one (st) moves
 * only when the database confirms, and a page fetched after one that
 * failed is dropped. */
struct pass {
	struct store_state st;
	struct heed_ratelimit *rl;
	struct store_counts total;
	bool busy;			/* a page is in flight */
	struct store_ingest job;	/* its parameters */
	struct heed_page sent;		/* its cursor, bad items and more */
};

/* The cursor the next request starts from. */
static const char *ahead(const struct pass *ps)
{
	return ps->busy ? ps->sent.cursor : ps->st.cursor;
}

/* Record a failed or held-back cycle and schedule the next. */
static enum outcome hold(struct loop *l, struct polled *p,
			 enum store_failure kind, const char *msg,
			 const struct heed_ratelimit *rl, int64_t wait_ms)
{
	char *rlj = rl && rl->known ? heed_ratelimit_to_json(rl) : NULL;
	struct heed_err err;

	heed_err_clear(&err);
	p->due_ms = now_ms(l) + wait_ms;
	if (store_source_health(l->db, p->id, kind, msg, rlj, p->due_ms, &err))
		heed_log_warn("src=%s health=save status=failed err=\"%s\"",
			      p->src->name, heed_err_msg(&err));
	free(rlj);
	if (kind == STORE_RATELIMITED) {
		heed_log_info("src=%s ratelimited wait_ms=%lld", p->src->name,
			      (long long)wait_ms);
		emit(l, p->src, "ratelimited", NULL, 0, wait_ms, msg);
		return OUT_WAIT;
	}
	heed_log_warn("src=%s poll=failed retry_in_ms=%lld err=\"%s\"",
		      p->src->name, (long long)wait_ms, msg);
	emit(l, p->src, "error", NULL, 0, wait_ms, msg);
	p->failed = true;
	return OUT_FAIL;
}

/* Wait for the page in flight, if any, and account for it: the committed
 * cursor moves and the counts add up, or the source is held back. Returns
 * OUT_MORE or OUT_DONE (the page's "more"; OUT_MORE when nothing was in
 * flight), or the failure. Must run before anything else uses the
 * database, and before a failure of a later page is recorded. */
static enum outcome settle(struct loop *l, struct polled *p, struct pass *ps)
{
	struct store_counts c;
	struct heed_err err;
	enum outcome out;
	int rc;

	if (!ps->busy)
		return OUT_MORE;
	ps->busy = false;
	heed_err_clear(&err);
	rc = store_ingest_finish(l->db, &ps->job, &c, &err);
	if (rc == HEED_ECONFLICT) {
		p->owned = false;	/* a reconnect dropped our lock */
		out = OUT_FAIL;
		goto out_release;
	}
	if (rc) {
		out = hold(l, p, STORE_ERROR, heed_err_msg(&err), ps->rl,
			   heed_err_is_retryable(rc) ? backoff(l, 1) : l->o->backoff_max_ms);
		goto out_release;
	}
	ps->st.error_streak = 0;
	free(ps->st.cursor);
	ps->st.cursor = xstrdup(ps->sent.cursor);
	ps->total.inserted += c.inserted;
	ps->total.duplicates += c.duplicates;
	ps->total.opened += c.opened;
	ps->total.joined += c.joined;
	for (size_t i = 0; i < ps->sent.nbad; i++)
		heed_log_warn("src=%s bad_item id=%s reason=\"%s\"", p->src->name,
			      ps->sent.bad[i].id ? ps->sent.bad[i].id : "?",
			      ps->sent.bad[i].reason);
	heed_log_debug("src=%s page inserted=%u duplicates=%u opened=%u joined=%u bad=%zu",
		       p->src->name, c.inserted, c.duplicates, c.opened, c.joined,
		       ps->sent.nbad);
	emit(l, p->src, "page", &c, (unsigned)ps->sent.nbad, 0, NULL);
	out = ps->sent.more ? OUT_MORE : OUT_DONE;
out_release:
	store_ingest_release(&ps->job);
	heed_page_release(&ps->sent);
	return out;
}

static bool failed(enum outcome out)
{
	return out == OUT_WAIT || out == OUT_FAIL;
}

/* The token for the next request. A changed session is stored, after the
 * page in flight is settled (*prev: how that went, OUT_MORE if nothing was
 * in flight). */
static int get_bearer(struct loop *l, struct polled *p, struct pass *ps,
		      char **bearer, enum outcome *prev, struct heed_err *err)
{
	char *state = NULL;
	int rc;

	*bearer = NULL;
	*prev = OUT_MORE;
	if (!p->src->ops->auth) {
		if (p->src->secret)
			*bearer = xstrdup(p->src->secret);
		return HEED_OK;
	}
	rc = p->src->ops->auth(p->src, l->http, ps->st.auth, now_ms(l), bearer,
			       &state, err);
	if (!rc && state) {
		struct heed_err e2;

		heed_err_clear(&e2);
		*prev = settle(l, p, ps);
		if (store_auth_save(l->db, p->id, state, &e2))
			heed_log_warn("src=%s auth=save status=failed err=\"%s\"",
				      p->src->name, heed_err_msg(&e2));
		/* the next page of this cycle reuses the session: without
		 * this it logged in again per page (Bluesky allows 300 a day) */
		free(ps->st.auth);
		ps->st.auth = state;
		state = NULL;
	}
	free(state);
	return rc;
}

/* A page bigger than [http] max_body: ask for half as many items from now
 * on (down to one). False when there is nothing left to halve. */
static bool shrink_pages(struct polled *p)
{
	unsigned now = p->page_size ? p->page_size
		       : p->src->page_size ? p->src->page_size : 100;

	if (now <= 1)
		return false;
	p->page_size = now / 2;
	heed_log_warn("src=%s page_size=%u reason=oversized", p->src->name, p->page_size);
	return true;
}

/* Fetch the next page and send it to the database; the page before it is
 * settled first (see struct pass). */
static enum outcome one_page(struct loop *l, struct polled *p, struct pass *ps)
{
	struct heed_req req = { 0 };
	struct heed_http_resp resp;
	struct heed_page page;
	struct store_ingest job;
	struct heed_ratelimit *rl = ps->rl;
	struct heed_source view;
	struct heed_err err;
	char *bearer = NULL, *rlj, msg[300];
	enum outcome out, prev;
	int64_t wait, t;
	int rc, code;

	heed_err_clear(&err);
	heed_http_resp_init(&resp);
	heed_page_init(&page);
	t = now_ms(l);
	wait = heed_ratelimit_wait_ms(rl, t, l->o->budget_share);
	if (wait > 0) {
		if (failed(out = settle(l, p, ps)))
			return out;
		return hold(l, p, STORE_RATELIMITED, "waiting for the rate-limit window",
			    rl, wait);
	}
	rc = get_bearer(l, p, ps, &bearer, &prev, &err);
	if (failed(prev)) {
		out = prev;
		goto out_release;
	}
	if (rc) {
		if (failed(out = settle(l, p, ps)))
			goto out_release;
		out = hold(l, p, rc == HEED_EAUTH ? STORE_AUTH : STORE_ERROR,
			   heed_err_msg(&err), rl,
			   heed_err_is_retryable(rc) ? backoff(l, ps->st.error_streak)
						     : l->o->backoff_max_ms);
		goto out_release;
	}
	/* the source as configured, with fewer items a page after oversized
	 * ones (sources are immutable; this copy shares its strings) */
	view = *p->src;
	if (p->page_size)
		view.page_size = p->page_size;
	rc = p->src->ops->build(&view, ahead(ps), bearer, t, &req, &err);
	if (rc) {
		if (failed(out = settle(l, p, ps)))
			goto out_release;
		out = hold(l, p, STORE_ERROR, heed_err_msg(&err), rl, l->o->backoff_max_ms);
		goto out_release;
	}
	rc = heed_http_perform(l->http, &(struct heed_http_req){
			.method = req.method, .url = req.url,
			.headers = (const char *const *)req.headers,
			.body = req.body, .body_len = req.body_len }, &resp, &err);
	if (rc) {
		if (failed(out = settle(l, p, ps)))
			goto out_release;
		ps->st.error_streak++;
		if (rc == HEED_ETOOBIG && shrink_pages(p)) {
			/* asked for again at once, smaller: the cursor has not
			 * moved, so nothing is skipped */
			(void)hold(l, p, STORE_ERROR, heed_err_msg(&err), rl, 0);
			p->failed = false;
			out = OUT_MORE;
			goto out_release;
		}
		out = hold(l, p, STORE_ERROR, heed_err_msg(&err), rl,
			   backoff(l, ps->st.error_streak));
		goto out_release;
	}
	heed_ratelimit_from_resp(rl, &resp, now_ms(l));
	code = heed_http_status_code(resp.status);
	if (code == HEED_ERATELIMIT) {
		if (failed(out = settle(l, p, ps)))
			goto out_release;
		wait = heed_ratelimit_wait_ms(rl, now_ms(l), l->o->budget_share);
		out = hold(l, p, STORE_RATELIMITED, "HTTP 429", rl, wait > 0 ? wait : 60000);
		goto out_release;
	}
	if (code == HEED_EAUTH || (resp.status == 400 &&
				   (strstr(heed_buf_str(&resp.body), "ExpiredToken") ||
				    strstr(heed_buf_str(&resp.body), "InvalidToken")))) {
		/* mark the session expired rather than forget it, so that the
		 * next auth() refreshes instead of logging in from scratch
		 * (Bluesky allows 300 logins a day) */
		char *expired;

		if (failed(out = settle(l, p, ps)))
			goto out_release;
		expired = ps->st.auth ? heed_collect_state_expire(ps->st.auth) : NULL;
		snprintf(msg, sizeof(msg), "HTTP %ld: credentials refused or expired", resp.status);
		if (p->src->ops->auth && store_auth_save(l->db, p->id, expired, &err))
			heed_log_warn("src=%s auth=expire status=failed", p->src->name);
		free(ps->st.auth);
		ps->st.auth = expired;
		ps->st.error_streak++;
		out = hold(l, p, STORE_AUTH, msg, rl,
			   ps->st.error_streak <= 1 ? 0 : backoff(l, ps->st.error_streak));
		if (ps->st.error_streak <= 1 && p->src->ops->auth) {
			/* the first refusal of a session (the server forgot
			 * it, say after a restart) is retried at once: the
			 * next page refreshes or logs in again. A second
			 * refusal in a row waits as above. */
			p->failed = false;
			out = OUT_MORE;
		}
		goto out_release;
	}
	if (code) {
		if (failed(out = settle(l, p, ps)))
			goto out_release;
		snprintf(msg, sizeof(msg), "HTTP %ld from %s", resp.status,
			 p->src->ops->platform);
		ps->st.error_streak++;
		out = hold(l, p, STORE_ERROR, msg, rl, code == HEED_EHTTP5
			   ? backoff(l, ps->st.error_streak) : l->o->backoff_max_ms);
		goto out_release;
	}
	rc = p->src->ops->parse(&view, ahead(ps), &resp, now_ms(l), &page, &err);
	if (rc) {
		if (failed(out = settle(l, p, ps)))
			goto out_release;
		ps->st.error_streak++;
		out = hold(l, p, STORE_ERROR, heed_err_msg(&err), rl,
			   backoff(l, ps->st.error_streak));
		goto out_release;
	}
	prepare_page(l, p->src, &page);
	rlj = rl->known ? heed_ratelimit_to_json(rl) : NULL;
	/* built before the page in flight is settled: the server, which is
	 * usually what the poller waits for, then waits only for the send */
	store_ingest_init(&job, p->id, &page, rlj, l->o->sla_ms,
			  l->o->join_window_ms);
	free(rlj);
	prev = settle(l, p, ps);
	if (failed(prev)) {
		store_ingest_release(&job);
		out = prev;
		goto out_release;
	}
	ps->job = job;
	store_ingest_send(l->db, &ps->job);
	ps->sent = page;
	heed_page_init(&page);
	ps->busy = true;
	out = ps->sent.more ? OUT_MORE : OUT_DONE;
out_release:
	heed_secret_free(bearer);
	heed_req_release(&req);
	heed_page_release(&page);
	heed_http_resp_release(&resp);
	return out;
}

/* Make sure we own p's source; false when another poller does. */
static bool own(struct loop *l, struct polled *p)
{
	struct heed_err err;

	heed_err_clear(&err);
	if (!p->id && store_source_ensure(l->db, p->src, &p->id, &err)) {
		heed_log_error("src=%s %s", p->src->name, heed_err_msg(&err));
		p->failed = true;
		return false;
	}
	if (!p->owned && store_source_lock(l->db, p->id, &p->owned, &err))
		heed_log_warn("src=%s lock=failed err=\"%s\"", p->src->name,
			      heed_err_msg(&err));
	if (!p->owned) {
		heed_log_debug("src=%s owned_elsewhere", p->src->name);
		emit(l, p->src, "skipped", NULL, 0, 0, "owned by another poller");
	}
	return p->owned;
}

/* One cycle of one source: pages until caught up, held back or failed. */
static void cycle(struct loop *l, struct polled *p)
{
	struct pass ps = { 0 };
	struct heed_ratelimit stored;
	struct heed_err err;
	enum outcome out = OUT_MORE, last;
	unsigned connects = heed_db_connects(l->db);
	bool capped = false;

	heed_err_clear(&err);
	if (!own(l, p))
		return;
	if (store_source_load(l->db, p->id, &ps.st, &err)) {
		heed_log_warn("src=%s load=failed err=\"%s\"", p->src->name,
			      heed_err_msg(&err));
		p->failed = true;
		return;
	}
	/* the stored state (another process may have written it) counts when
	 * it holds us back longer than what this process knows */
	heed_ratelimit_from_json(&stored, ps.st.ratelimit);
	ps.rl = &p->budget->rl;
	if (heed_ratelimit_wait_ms(&stored, now_ms(l), l->o->budget_share) >
	    heed_ratelimit_wait_ms(ps.rl, now_ms(l), l->o->budget_share) || !ps.rl->known)
		*ps.rl = stored;
	if (l->o->since_ms > 0 && !p->since_applied) {
		free(ps.st.cursor);
		ps.st.cursor = since_cursor(now_ms(l) - l->o->since_ms);
		p->since_applied = true;
	} else if ((!ps.st.cursor || !strcmp(ps.st.cursor, "{}")) && l->o->backfill_ms > 0) {
		/* a new source starts [poll] backfill ago */
		free(ps.st.cursor);
		ps.st.cursor = since_cursor(now_ms(l) - l->o->backfill_ms);
	}
	heed_page_init(&ps.sent);
	for (unsigned n = 0; out == OUT_MORE && !stopping(l); n++) {
		if (n >= l->o->max_pages) {
			capped = true;	/* let the other sources have a turn */
			break;
		}
		out = one_page(l, p, &ps);
		if (heed_db_connects(l->db) != connects)
			p->owned = false;	/* session locks died with it */
	}
	/* the last page sent is the cycle's outcome too */
	last = settle(l, p, &ps);
	if (heed_db_connects(l->db) != connects)
		p->owned = false;
	if (failed(last)) {
		out = last;
		capped = false;
	}
	if (capped) {
		p->due_ms = now_ms(l);	/* more is waiting: come straight back */
		out = OUT_DONE;
	} else if (out == OUT_DONE) {
		/* adaptive schedule within the budget */
		int64_t iv = ps.total.inserted ? p->interval_ms / 2 : p->interval_ms * 3 / 2;
		int64_t pace = pace_ms(ps.rl, l->o->budget_share);

		if (iv < l->o->min_interval_ms)
			iv = l->o->min_interval_ms;
		if (iv > l->o->max_interval_ms)
			iv = l->o->max_interval_ms;
		if (iv < pace)
			iv = pace;
		p->interval_ms = iv;
		p->due_ms = now_ms(l) + iv;
		if (store_source_health(l->db, p->id, STORE_OK_ONLY, NULL, NULL,
					p->due_ms, &err))
			heed_log_warn("src=%s schedule=failed err=\"%s\"",
				      p->src->name, heed_err_msg(&err));
	}
	if (out == OUT_DONE || ps.total.inserted)
		heed_log_info("src=%s cycle inserted=%u duplicates=%u opened=%u joined=%u next_in_ms=%lld",
			      p->src->name, ps.total.inserted, ps.total.duplicates,
			      ps.total.opened, ps.total.joined,
			      (long long)(p->due_ms - now_ms(l)));
	store_state_release(&ps.st);
}

int heed_poll_run(struct heed_db *db, struct heed_http *http,
		  struct heed_source *const *srcs, size_t n,
		  const struct heed_poll_opts *opts, unsigned *failed,
		  struct heed_err *err)
{
	struct loop l = { db, http, opts, (unsigned)time(NULL) ^ (unsigned)getpid() };
	struct polled *ps = xcalloc(n ? n : 1, sizeof(*ps));
	unsigned nfailed = 0;

	(void)err;
	l.budgets = xcalloc(n ? n : 1, sizeof(*l.budgets));
	for (size_t i = 0; i < n; i++) {
		ps[i].src = srcs[i];
		ps[i].interval_ms = opts->interval_ms;
		ps[i].budget = budget_for(&l, srcs[i]);
	}
	do {
		int64_t next = INT64_MAX, t;

		for (size_t i = 0; i < n && !stopping(&l); i++) {
			if (!opts->once && ps[i].due_ms > now_ms(&l))
				continue;
			ps[i].failed = false;
			cycle(&l, &ps[i]);
			if (!ps[i].owned)
				ps[i].due_ms = now_ms(&l) + opts->interval_ms;
		}
		if (opts->once)
			break;
		for (size_t i = 0; i < n; i++)
			if (ps[i].due_ms < next)
				next = ps[i].due_ms;
		t = now_ms(&l);
		if (next > t)
			nap(&l, next - t < opts->max_sleep_ms ? next - t
							      : opts->max_sleep_ms);
	} while (!stopping(&l));
	for (size_t i = 0; i < n; i++) {
		nfailed += ps[i].failed;
		if (ps[i].owned)
			store_source_unlock(db, ps[i].id);
	}
	if (failed)
		*failed = nfailed;
	for (size_t i = 0; i < l.nbudgets; i++)
		free(l.budgets[i].key);
	free(l.budgets);
	free(ps);
	return HEED_OK;
}

void heed_poll_opts_from_cfg(struct heed_poll_opts *o,
			     const struct heed_cfg *cfg)
{
	memset(o, 0, sizeof(*o));
	o->budget_share = heed_cfg_double(cfg, "poll", "budget_share");
	o->interval_ms = heed_cfg_duration_ms(cfg, "poll", "interval");
	o->min_interval_ms = heed_cfg_duration_ms(cfg, "poll", "min_interval");
	o->max_interval_ms = heed_cfg_duration_ms(cfg, "poll", "max_interval");
	o->max_sleep_ms = heed_cfg_duration_ms(cfg, "poll", "max_sleep");
	o->backoff_max_ms = heed_cfg_duration_ms(cfg, "poll", "backoff_max");
	o->max_pages = (unsigned)heed_cfg_int(cfg, "poll", "max_pages");
	o->backfill_ms = heed_cfg_duration_ms(cfg, "poll", "backfill");
	o->sla_ms = heed_cfg_duration_ms(cfg, "sla", "first_response");
	o->join_window_ms = heed_cfg_duration_ms(cfg, "cases", "join_window");
}

static char **strv_dup(const char *const *v, size_t n)
{
	char **out = xcalloc(n + 1, sizeof(*out));

	for (size_t i = 0; i < n; i++)
		out[i] = xstrdup(v[i]);
	return out;
}

/* A secret named by NAME_env / NAME_file keys; NULL when neither is set. */
static int load_secret(const struct heed_cfg *cfg, const char *sec,
		       const char *envkey, const char *filekey, char **out,
		       struct heed_err *err)
{
	const char *env = heed_cfg_str(cfg, sec, envkey);
	const char *file = heed_cfg_str(cfg, sec, filekey);

	*out = NULL;
	if (!(env && *env) && !(file && *file))
		return HEED_OK;
	return heed_secret_load(env, file, NULL, out, err);
}

static struct heed_source *source_from_cfg(const struct heed_cfg *cfg,
					   const char *name,
					   struct heed_err *err)
{
	struct heed_source *src = xcalloc(1, sizeof(*src));
	char *sec = xasprintf("source.%s", name), *brandsec;
	const char *const *v;
	size_t nv;
	bool kind_ok = false;

	src->name = xstrdup(name);
	src->ops = heed_source_ops_find(heed_cfg_str(cfg, sec, "platform"));
	src->kind = xstrdup(heed_cfg_str(cfg, sec, "kind"));
	src->brand = xstrdup(heed_cfg_str(cfg, sec, "brand"));
	for (size_t i = 0; src->ops && src->ops->kinds[i]; i++)
		kind_ok |= !strcmp(src->ops->kinds[i], src->kind);
	if (!kind_ok) {
		heed_err_set(err, HEED_ECONFIG, "[%s]: platform '%s' has no kind '%s'",
			     sec, heed_cfg_str(cfg, sec, "platform"), src->kind);
		goto fail;
	}
	brandsec = xasprintf("brand.%s", src->brand);
	v = heed_cfg_sections(cfg, "brand", &nv);
	{
		bool found = false;

		for (size_t i = 0; i < nv; i++)
			found |= !strcmp(v[i], src->brand);
		if (!found) {
			heed_err_set(err, HEED_ECONFIG, "[%s]: no [brand.%s] section",
				     sec, src->brand);
			free(brandsec);
			goto fail;
		}
	}
	v = heed_cfg_list(cfg, brandsec, "own_accounts", &nv);
	src->own_accounts = strv_dup(v, nv);
	v = heed_cfg_list(cfg, brandsec, "exclude", &nv);
	src->exclude = strv_dup(v, nv);
	free(brandsec);
	v = heed_cfg_list(cfg, sec, "queries", &nv);
	src->queries = strv_dup(v, nv);
	src->nqueries = nv;
	src->base_url = xstrdup(heed_cfg_str(cfg, sec, "base_url") &&
				*heed_cfg_str(cfg, sec, "base_url")
				? heed_cfg_str(cfg, sec, "base_url")
				: src->ops->default_base_url);
	if (*src->base_url && src->base_url[strlen(src->base_url) - 1] == '/')
		src->base_url[strlen(src->base_url) - 1] = '\0';
	if (heed_cfg_str(cfg, sec, "account"))
		src->account = xstrdup(heed_cfg_str(cfg, sec, "account"));
	if (heed_cfg_str(cfg, sec, "user"))
		src->user = xstrdup(heed_cfg_str(cfg, sec, "user"));
	if (heed_cfg_str(cfg, sec, "client_id"))
		src->client_id = xstrdup(heed_cfg_str(cfg, sec, "client_id"));
	src->page_size = (unsigned)heed_cfg_int(cfg, sec, "page_size");
	if (load_secret(cfg, sec, "secret_env", "secret_file", &src->secret, err) ||
	    load_secret(cfg, sec, "client_secret_env", "client_secret_file",
			&src->client_secret, err)) {
		char msg[sizeof(err->msg)];

		snprintf(msg, sizeof(msg), "%s", err->msg);
		heed_err_set(err, HEED_ECONFIG, "[%s]: %s", sec, msg);
		goto fail;
	}
	free(sec);
	return src;
fail:
	free(sec);
	heed_source_free(src);
	return NULL;
}

static void free_names(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

struct heed_source **heed_sources_from_cfg(const struct heed_cfg *cfg,
					   const char *only, size_t *n,
					   struct heed_err *err)
{
	const char *const *names_b;
	char **names;
	struct heed_source **out;
	size_t nn, k = 0;

	/* copied: heed_cfg_sections reuses its result, and source_from_cfg
	 * asks it again for the brands */
	names_b = heed_cfg_sections(cfg, "source", &nn);
	names = strv_dup(names_b, nn);
	out = xcalloc(nn + 1, sizeof(*out));
	for (size_t i = 0; i < nn; i++) {
		if (only && strcmp(only, names[i]))
			continue;
		out[k] = source_from_cfg(cfg, names[i], err);
		if (!out[k]) {
			for (size_t j = 0; j < k; j++)
				heed_source_free(out[j]);
			free(out);
			free_names(names);
			return NULL;
		}
		k++;
	}
	free_names(names);
	if (only && !k) {
		heed_err_set(err, HEED_ECONFIG, "no [source.%s] in the configuration", only);
		free(out);
		return NULL;
	}
	*n = k;
	return out;
}
