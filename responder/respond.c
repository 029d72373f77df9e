/* respond.c: heed respond's loop (see heed/respond.h). Per pass: end expired
 * claims, queue due acknowledgements, then take due replies and give each
 * one attempt: look for it on the platform first when an earlier attempt
 * may have posted it, else post it, and record what happened. Between
 * passes it waits for a notification (a reply queued, a case opened) or the
 * next retry, whichever comes first. */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heed/clock.h"
#include "heed/log.h"
#include "heed/ratelimit.h"
#include "heed/respond.h"
#include "heed/template.h"
#include "heed/xalloc.h"
#include "outbox.h"
#include "post.h"

/* A platform account replies are posted from, with its session. */
struct account {
	const struct heed_source *src;
	char *key;		/* responder_auth.account */
	char *session;		/* JSON or NULL */
	bool loaded;		/* session read from the database */
	char *bearer;
	struct heed_ratelimit rl;
};

struct loop {
	struct heed_db *db;
	struct heed_http *http;
	const struct heed_respond_opts *o;
	struct heed_respond_counts *counts;
	struct account *accts;
	size_t naccts;
	unsigned listen_gen;	/* heed_db_connects() when LISTEN was sent */
	int64_t last_expire_ms;
};

/* ---- test failpoint ----
 * HEED_FAILPOINT=respond-after-post:N kills the process (SIGKILL) right
 * after the platform's answer to the Nth post of this process arrives and
 * before anything is recorded: the crash the outbox must survive. Tests
 * only; unset, it costs a getenv at start. */
static long failpoint_after_post = -1;

static void failpoint_init(void)
{
	const char *v = getenv("HEED_FAILPOINT");

	if (v && !strncmp(v, "respond-after-post:", 19))
		failpoint_after_post = strtol(v + 19, NULL, 10);
}

static void failpoint_post(void)
{
	static long posts;

	if (failpoint_after_post > 0 && ++posts == failpoint_after_post)
		raise(SIGKILL);
}

/* ---- options ---- */

void heed_respond_opts_from_cfg(struct heed_respond_opts *o, const struct heed_cfg *cfg)
{
	const char *const *names;
	size_t n = 0;
	int64_t http_ms = heed_cfg_duration_ms(cfg, "http", "timeout") +
			  heed_cfg_duration_ms(cfg, "http", "connect_timeout");

	memset(o, 0, sizeof(*o));
	o->interval_ms = heed_cfg_duration_ms(cfg, "respond", "interval");
	o->lease_ms = heed_cfg_duration_ms(cfg, "respond", "lease");
	/* an attempt is a check and a post: both must end inside the lease */
	if (o->lease_ms < 3 * http_ms)
		o->lease_ms = 3 * http_ms;
	o->max_attempts = (unsigned)heed_cfg_int(cfg, "respond", "max_attempts");
	o->backoff_max_ms = heed_cfg_duration_ms(cfg, "respond", "backoff_max");
	o->batch = (unsigned)heed_cfg_int(cfg, "respond", "batch");
	o->return_lease_ms = heed_cfg_duration_ms(cfg, "respond", "return_lease");
	o->budget_share = heed_cfg_double(cfg, "poll", "budget_share");
	o->limits.bluesky = heed_cfg_int(cfg, "reply", "max_len_bluesky");
	o->limits.mastodon = heed_cfg_int(cfg, "reply", "max_len_mastodon");
	o->limits.reddit = heed_cfg_int(cfg, "reply", "max_len_reddit");
	o->limits.x = heed_cfg_int(cfg, "reply", "max_len_x");
	names = heed_cfg_sections(cfg, "brand", &n);
	o->acks = xcalloc(n ? n : 1, sizeof(*o->acks));
	for (size_t i = 0; i < n; i++) {
		char *sec = xasprintf("brand.%s", names[i]);
		struct heed_ack_rule *a = &o->acks[o->nacks];
		const char *const *v;
		struct heed_buf b;
		size_t nv = 0;

		heed_buf_init(&b, 0);
		v = heed_cfg_list(cfg, sec, "auto_ack", &nv);
		for (size_t k = 0; k < nv; k++)
			if (heed_buf_addf(&b, "%s%s", k ? "," : "", v[k]))
				abort();
		if (!nv) {
			heed_buf_release(&b);
			free(sec);
			continue;
		}
		a->brand = xstrdup(names[i]);
		a->platforms = heed_buf_detach(&b, NULL);
		heed_buf_init(&b, 0);
		v = heed_cfg_list(cfg, sec, "auto_ack_levels", &nv);
		for (size_t k = 0; k < nv; k++)
			if (heed_buf_addf(&b, "%s%s", k ? "," : "", v[k]))
				abort();
		a->levels = heed_buf_detach(&b, NULL);
		a->negative = heed_cfg_bool(cfg, sec, "auto_ack_negative");
		a->template_name = xstrdup(heed_cfg_str(cfg, sec, "auto_ack_template"));
		a->max_age_ms = heed_cfg_duration_ms(cfg, sec, "auto_ack_max_age");
		o->nacks++;
		free(sec);
	}
}

void heed_respond_opts_release(struct heed_respond_opts *o)
{
	for (size_t i = 0; i < o->nacks; i++) {
		free(o->acks[i].brand);
		free(o->acks[i].platforms);
		free(o->acks[i].levels);
		free(o->acks[i].template_name);
	}
	free(o->acks);
	o->acks = NULL;
	o->nacks = 0;
}

/* ---- accounts ---- */

/* The account that posts for brand on platform: the first source of that
 * brand and platform with credentials; NULL when there is none. */
static struct account *account_for(struct loop *l, const char *brand, const char *platform)
{
	for (size_t i = 0; i < l->naccts; i++)
		if (!strcmp(l->accts[i].src->brand, brand) &&
		    !strcmp(l->accts[i].src->ops->platform, platform))
			return &l->accts[i];
	return NULL;
}

bool heed_respond_can_post(const char *platform)
{
	return heed_poster_find(platform) != NULL;
}

const struct heed_source *heed_respond_poster(struct heed_source *const *srcs, size_t n,
					      const char *brand, const char *platform)
{
	if (!heed_respond_can_post(platform))
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (srcs[i]->secret && !strcmp(srcs[i]->brand, brand) &&
		    !strcmp(srcs[i]->ops->platform, platform))
			return srcs[i];
	return NULL;
}

const char *heed_respond_poster_name(const struct heed_source *s)
{
	return s->user ? s->user : s->account ? s->account : s->name;
}

static void accounts_init(struct loop *l, struct heed_source *const *srcs, size_t n)
{
	l->accts = xcalloc(n ? n : 1, sizeof(*l->accts));
	for (size_t i = 0; i < n; i++) {
		const struct heed_source *s = srcs[i];
		struct account *a;

		if (heed_respond_poster(srcs, n, s->brand, s->ops->platform) != s)
			continue;
		a = &l->accts[l->naccts++];
		a->src = s;
		a->key = xasprintf("%s %s %s", s->ops->platform, s->base_url,
				   heed_respond_poster_name(s));
		heed_ratelimit_init(&a->rl);
	}
}

static void accounts_free(struct loop *l)
{
	for (size_t i = 0; i < l->naccts; i++) {
		free(l->accts[i].key);
		free(l->accts[i].session);
		free(l->accts[i].bearer);
	}
	free(l->accts);
}

/* Log in if needed: a->bearer is set on HEED_OK. */
static int account_bearer(struct loop *l, struct account *a, struct heed_err *err)
{
	char *bearer = NULL, *state = NULL;
	int rc;

	if (a->bearer)
		return HEED_OK;
	if (!a->src->ops->auth) {
		a->bearer = xstrdup(a->src->secret);
		return HEED_OK;
	}
	if (!a->loaded) {
		rc = outbox_auth_load(l->db, a->key, &a->session, err);
		if (rc)
			return rc;
		a->loaded = true;
	}
	rc = a->src->ops->auth(a->src, l->http, a->session, heed_time_real_ms(), &bearer,
			       &state, err);
	if (rc)
		return rc;
	if (state) {
		struct heed_err e2;

		free(a->session);
		a->session = state;
		if (outbox_auth_save(l->db, a->key, state, &e2))
			heed_log_warn("account=%s auth=save status=failed", a->src->name);
	}
	a->bearer = bearer;
	return HEED_OK;
}

/* The platform said the token is no good: refresh next time. */
static void account_expire(struct loop *l, struct account *a)
{
	char *expired = a->session ? heed_collect_state_expire(a->session) : NULL;
	struct heed_err e;

	free(a->bearer);
	a->bearer = NULL;
	if (a->src->ops->auth) {
		free(a->session);
		a->session = expired;
		if (outbox_auth_save(l->db, a->key, expired, &e))
			heed_log_warn("account=%s auth=expire status=failed", a->src->name);
	} else {
		free(expired);
	}
}

/* ---- one reply ---- */

static int64_t backoff_ms(const struct loop *l, int attempt)
{
	int64_t ms = 1000;

	for (int i = 1; i < attempt && ms < l->o->backoff_max_ms; i++)
		ms *= 2;
	if (ms > l->o->backoff_max_ms)
		ms = l->o->backoff_max_ms;
	/* full jitter in the upper half: replies of one outage spread out */
	return ms / 2 + (int64_t)((double)rand() / RAND_MAX * (double)(ms / 2));
}

/* RETRY: not posted; RETRY_MAYBE: perhaps posted (check first next time);
 * WAIT: held back by a rate limit, which does not count as an attempt. */
enum outcome { SENT, RETRY, RETRY_MAYBE, WAIT, FAILED };

/* Record the outcome of o's attempt. A retry past max_attempts fails. */
static int record(struct loop *l, const struct heed_outgoing *o, enum outcome what,
		  const char *id, const char *url, const char *why, int64_t wait_ms,
		  struct heed_err *err)
{
	char v[200];

	if ((what == RETRY || what == RETRY_MAYBE) && (unsigned)o->attempt >= l->o->max_attempts) {
		char *msg = xasprintf("gave up after %d attempts: %s", o->attempt, why);
		int rc;

		heed_log_warn("reply=%" PRId64 " case=%" PRId64 " status=failed err=\"%s\"",
			      o->reply_id, o->case_id, heed_log_value(v, sizeof(v), msg));
		rc = outbox_failed(l->db, o->reply_id, msg, l->o->return_lease_ms, err);
		free(msg);
		l->counts->failed++;
		return rc;
	}
	switch (what) {
	case SENT:
		heed_log_info("reply=%" PRId64 " case=%" PRId64 " platform=%s status=sent id=%s attempt=%d",
			      o->reply_id, o->case_id, o->platform,
			      heed_log_value(v, sizeof(v), id ? id : url), o->attempt);
		l->counts->sent++;
		return outbox_sent(l->db, o->reply_id, id, url, err);
	case WAIT:
		heed_log_info("reply=%" PRId64 " case=%" PRId64 " status=waiting wait_ms=%" PRId64
			      " err=\"%s\"", o->reply_id, o->case_id, wait_ms,
			      heed_log_value(v, sizeof(v), why));
		l->counts->retried++;
		return outbox_retry(l->db, o->reply_id, why, wait_ms, o->check_first, err);
	case RETRY:
	case RETRY_MAYBE:
		heed_log_info("reply=%" PRId64 " case=%" PRId64 " status=retry wait_ms=%" PRId64
			      " maybe_posted=%d err=\"%s\"", o->reply_id, o->case_id, wait_ms,
			      what == RETRY_MAYBE, heed_log_value(v, sizeof(v), why));
		l->counts->retried++;
		return outbox_retry(l->db, o->reply_id, why, wait_ms, what == RETRY_MAYBE, err);
	case FAILED:
		heed_log_warn("reply=%" PRId64 " case=%" PRId64 " status=failed err=\"%s\"",
			      o->reply_id, o->case_id, heed_log_value(v, sizeof(v), why));
		l->counts->failed++;
		return outbox_failed(l->db, o->reply_id, why, l->o->return_lease_ms, err);
	}
	return HEED_OK;
}

/* Send req for account a; resp filled. Transport errors come back as
 * heed_http_perform's codes; rate-limit headers are noted. */
static int exchange(struct loop *l, struct account *a, struct heed_req *req,
		    struct heed_http_resp *resp, struct heed_err *err)
{
	struct heed_http_req hr = {
		.method = req->method, .url = req->url,
		.headers = (const char *const *)req->headers,
		.body = req->body, .body_len = req->body_len,
	};
	int rc = heed_http_perform(l->http, &hr, resp, err);

	if (rc == HEED_OK)
		heed_ratelimit_from_resp(&a->rl, resp, heed_time_real_ms());
	return rc;
}

/* Look for o on the platform. *found on HEED_OK; otherwise the fate stays
 * unknown and the error says why. */
static int check(struct loop *l, struct account *a, const struct heed_post_ctx *c,
		 const struct heed_poster_ops *ops, const struct heed_outgoing *o,
		 bool *found, char **id, char **url, struct heed_err *err)
{
	struct heed_req req = { 0 };
	struct heed_http_resp resp;
	int rc;

	heed_http_resp_init(&resp);
	rc = ops->build_check(c, o, &req, err);
	if (!rc)
		rc = exchange(l, a, &req, &resp, err);
	if (!rc)
		rc = ops->parse_check(c, o, &resp, found, id, url, err);
	if (rc == HEED_EAUTH)
		account_expire(l, a);
	heed_http_resp_release(&resp);
	heed_req_release(&req);
	return rc;
}

/* One attempt at o. Returns a database error only; the platform's answer
 * is recorded in the outbox. */
static int attempt(struct loop *l, const struct heed_outgoing *o, struct heed_err *err)
{
	const struct heed_poster_ops *ops = heed_poster_find(o->platform);
	struct account *a = account_for(l, o->brand, o->platform);
	enum outcome maybe = o->check_first ? RETRY_MAYBE : RETRY;
	struct heed_post_ctx c;
	struct heed_req req = { 0 };
	struct heed_http_resp resp;
	char *id = NULL, *url = NULL;
	struct heed_err e;
	bool found = false;
	int64_t wait;
	int rc, prc;

	heed_err_clear(&e);
	if (!ops)
		return record(l, o, FAILED, NULL, NULL,
			      "heed cannot post on this platform: answer there, then heed record-reply",
			      0, err);
	if (!o->target_id)
		return record(l, o, FAILED, NULL, NULL, "the reply has no post to answer", 0, err);
	if (!a) {
		char *why = xasprintf("no [source.NAME] of brand %s on %s has credentials to post with",
				      o->brand, o->platform);

		rc = record(l, o, maybe, NULL, NULL, why, l->o->backoff_max_ms, err);
		free(why);
		return rc;
	}
	wait = heed_ratelimit_wait_ms(&a->rl, heed_time_real_ms(), l->o->budget_share);
	if (wait > 0)
		return record(l, o, WAIT, NULL, NULL, "rate-limited: waiting for the reset",
			      wait, err);
	if (account_bearer(l, a, &e))
		return record(l, o, maybe, NULL, NULL, heed_err_msg(&e), backoff_ms(l, o->attempt),
			      err);
	c = (struct heed_post_ctx){ a->src, a->bearer, a->session };
	if (o->check_first) {
		rc = check(l, a, &c, ops, o, &found, &id, &url, &e);
		if (rc)
			return record(l, o, RETRY_MAYBE, NULL, NULL, heed_err_msg(&e),
				      rc == HEED_EAUTH ? 0 : backoff_ms(l, o->attempt), err);
		if (found) {
			l->counts->checked_found++;
			rc = record(l, o, SENT, id, url, NULL, 0, err);
			free(id);
			free(url);
			return rc;
		}
	}
	heed_http_resp_init(&resp);
	prc = ops->build_post(&c, o, &req, &e);
	if (prc) {
		rc = record(l, o, FAILED, NULL, NULL, heed_err_msg(&e), 0, err);
		goto out;
	}
	prc = exchange(l, a, &req, &resp, &e);
	if (prc) {
		/* refused before sending: certainly not posted */
		rc = record(l, o, prc == HEED_ECONNECT ? maybe : RETRY_MAYBE, NULL, NULL,
			    heed_err_msg(&e), backoff_ms(l, o->attempt), err);
		goto out;
	}
	failpoint_post();
	prc = ops->parse_post(&c, o, &resp, &id, &url, &e);
	switch (prc) {
	case HEED_OK:
		rc = record(l, o, SENT, id, url, NULL, 0, err);
		break;
	case HEED_ERATELIMIT:
		wait = heed_ratelimit_wait_ms(&a->rl, heed_time_real_ms(), l->o->budget_share);
		rc = record(l, o, wait > 0 ? WAIT : maybe, NULL, NULL, heed_err_msg(&e),
			    wait > 0 ? wait : backoff_ms(l, o->attempt), err);
		break;
	case HEED_EAUTH:
		account_expire(l, a);
		rc = record(l, o, maybe, NULL, NULL, heed_err_msg(&e), 0, err);
		break;
	case HEED_ECONFLICT:
		/* "duplicate": posted by an earlier attempt, or refused */
		rc = check(l, a, &c, ops, o, &found, &id, &url, &e);
		if (rc)
			rc = record(l, o, RETRY_MAYBE, NULL, NULL, heed_err_msg(&e),
				    backoff_ms(l, o->attempt), err);
		else if (found)
			rc = record(l, o, SENT, id, url, NULL, 0, err);
		else
			rc = record(l, o, FAILED, NULL, NULL,
				    "the platform refused the reply as a duplicate of an earlier post",
				    0, err);
		break;
	case HEED_EHTTP5:
	case HEED_EPARSE:
		rc = record(l, o, RETRY_MAYBE, NULL, NULL, heed_err_msg(&e),
			    backoff_ms(l, o->attempt), err);
		break;
	default:
		rc = record(l, o, FAILED, NULL, NULL, heed_err_msg(&e), 0, err);
		break;
	}
out:
	free(id);
	free(url);
	heed_http_resp_release(&resp);
	heed_req_release(&req);
	return rc;
}

/* ---- acknowledgements ---- */

static int ack_rule(struct loop *l, const struct heed_ack_rule *r, struct heed_err *err)
{
	PGresult *due = outbox_ack_due(l->db, r->brand, r->platforms, r->levels, r->negative,
				       r->max_age_ms, 100, err);
	char *body = NULL;
	struct heed_err e;
	char v[200];
	int rc = HEED_OK;

	if (!due)
		return err->code;
	for (int i = 0; i < PQntuples(due) && !rc; i++) {
		int64_t case_id = strtoll(PQgetvalue(due, i, 0), NULL, 10);
		const char *platform = PQgetvalue(due, i, 1);
		char cs[24], *text = NULL;
		bool queued = false;
		struct heed_template_var vars[] = {
			{ "author", PQgetvalue(due, i, 2) }, { "brand", r->brand },
			{ "case", cs },
		};

		snprintf(cs, sizeof(cs), "%" PRId64, case_id);
		if (!body) {
			body = outbox_template(l->db, r->template_name, &e);
			if (!body) {
				heed_log_warn("brand=%s auto_ack=off err=\"%s\"", r->brand,
					      heed_log_value(v, sizeof(v), heed_err_msg(&e)));
				break;
			}
		}
		if (heed_template_render(body, vars, 3, &text, &e) ||
		    heed_reply_check_to(platform, text, PQgetvalue(due, i, 2), &l->o->limits,
						NULL, &e)) {
			heed_log_warn("brand=%s case=%" PRId64 " auto_ack=skipped template=%s err=\"%s\"",
				      r->brand, case_id, r->template_name,
				      heed_log_value(v, sizeof(v), heed_err_msg(&e)));
			free(text);
			continue;
		}
		rc = outbox_ack_queue(l->db, case_id, text, r->template_name, &queued, err);
		if (rc && !strncmp(heed_db_sqlstate(l->db), "HQ", 2)) {
			heed_log_warn("case=%" PRId64 " auto_ack=skipped err=\"%s\"", case_id,
				      heed_log_value(v, sizeof(v), heed_err_msg(err)));
			rc = HEED_OK;
		}
		if (queued)
			l->counts->acks_queued++;
		free(text);
	}
	free(body);
	PQclear(due);
	return rc;
}

/* ---- the loop ---- */

static int listen_again(struct loop *l, struct heed_err *err)
{
	int rc;

	if (l->listen_gen == heed_db_connects(l->db))
		return HEED_OK;
	rc = heed_db_run(l->db, "LISTEN heed_outbox; LISTEN heed_cases", err);
	if (!rc)
		l->listen_gen = heed_db_connects(l->db);
	return rc;
}

/* Wait up to ms for a notification on the connection. */
static void wait_notified(struct loop *l, int64_t ms)
{
	PGconn *conn = heed_db_conn(l->db);
	struct pollfd pfd = { .fd = conn ? PQsocket(conn) : -1, .events = POLLIN };
	PGnotify *nf;

	if (ms <= 0)
		return;
	if (pfd.fd < 0 || poll(&pfd, 1, (int)(ms > 60000 ? 60000 : ms)) < 0)
		return;
	if (PQconsumeInput(conn))
		while ((nf = PQnotifies(conn)))
			PQfreemem(nf);
}

static int pass(struct loop *l, unsigned *taken, struct heed_err *err)
{
	struct outbox_batch b;
	int64_t now = heed_time_real_ms();
	int rc;

	*taken = 0;
	if (now - l->last_expire_ms >= 1000) {
		rc = outbox_expire_leases(l->db, err);
		if (rc)
			return rc;
		l->last_expire_ms = now;
	}
	for (size_t i = 0; i < l->o->nacks; i++) {
		rc = ack_rule(l, &l->o->acks[i], err);
		if (rc)
			return rc;
	}
	rc = outbox_take(l->db, l->o->lease_ms, l->o->batch, &b, err);
	if (rc)
		return rc;
	for (size_t i = 0; i < b.n && !rc; i++) {
		rc = attempt(l, &b.o[i], err);
		(*taken)++;
	}
	outbox_batch_release(&b);
	return rc;
}

int heed_respond_run(struct heed_db *db, struct heed_http *http,
		     struct heed_source *const *srcs, size_t n,
		     const struct heed_respond_opts *o, struct heed_respond_counts *counts,
		     struct heed_err *err)
{
	struct heed_respond_counts dummy = { 0 };
	struct loop l = { .db = db, .http = http, .o = o, .counts = counts ? counts : &dummy };
	int rc = HEED_OK;

	failpoint_init();
	accounts_init(&l, srcs, n);
	while (!(o->stop && *o->stop)) {
		unsigned taken;
		int64_t due;

		if (!o->once) {
			rc = listen_again(&l, err);
			if (rc)
				break;
		}
		rc = pass(&l, &taken, err);
		if (rc)
			break;
		if (taken == o->batch)
			continue;	/* more may be due right now */
		rc = outbox_next_due_ms(db, &due, err);
		if (rc)
			break;
		if (o->once && due != 0)
			break;
		if (due < 0 || due > o->interval_ms)
			due = o->interval_ms;
		if (due > 0)
			wait_notified(&l, due);
	}
	accounts_free(&l);
	return rc;
}
