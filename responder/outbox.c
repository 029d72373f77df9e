/* outbox.c: the responder's SQL (see outbox.h): calls of the functions of
 * schema/0005_respond.sql and two plain reads. Statements marked retry are
 * safe to run again after a lost connection: each records a fact that a
 * second run leaves as it is. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heed/xalloc.h"
#include "outbox.h"

static const struct heed_stmt st_take = {
	"outbox_take",
	"SELECT reply_id, case_id, platform, brand, kind, body, idempotency_key,"
	" platform_key, attempt, check_first, target_id, target_raw, target_author"
	" FROM heed_outbox_take(($1 || ' milliseconds')::interval, $2::integer)", 2, false,
};
static const struct heed_stmt st_sent = {
	"outbox_sent", "SELECT heed_outbox_sent($1::bigint, $2, $3)", 3, true,
};
static const struct heed_stmt st_retry = {
	"outbox_retry",
	"SELECT heed_outbox_retry($1::bigint, $2, ($3 || ' milliseconds')::interval, $4::boolean)",
	4, true,
};
static const struct heed_stmt st_failed = {
	"outbox_failed",
	"SELECT heed_outbox_failed($1::bigint, $2, ($3 || ' milliseconds')::interval)", 3, true,
};
static const struct heed_stmt st_next_due = {
	"outbox_next_due",
	"SELECT CASE WHEN min(next_attempt_at) IS NOT NULL THEN"
	" greatest(0, ceil(extract(epoch FROM min(next_attempt_at) - now()) * 1000))::bigint END"
	" FROM replies WHERE state IN ('queued', 'sending', 'unknown')", 0, true,
};
static const struct heed_stmt st_expire = {
	"outbox_expire", "SELECT heed_expire_leases()", 0, true,
};
static const struct heed_stmt st_ack_due = {
	"outbox_ack_due",
	"SELECT case_id, platform, author_handle, coalesce(author_name, ''),"
	" coalesce(sentiment_label, ''), coalesce(urgency_level, '')"
	" FROM heed_auto_ack_due($1, string_to_array($2, ','), string_to_array($3, ','),"
	" $4::boolean, ($5 || ' milliseconds')::interval, $6::integer)", 6, true,
};
static const struct heed_stmt st_ack_queue = {
	"outbox_ack_queue", "SELECT heed_auto_ack_queue($1::bigint, $2, $3)", 3, true,
};
static const struct heed_stmt st_template = {
	"outbox_template", "SELECT body FROM templates WHERE name = $1", 1, true,
};
static const struct heed_stmt st_auth_load = {
	"outbox_auth_load", "SELECT state FROM responder_auth WHERE account = $1", 1, true,
};
static const struct heed_stmt st_auth_save = {
	"outbox_auth_save",
	"INSERT INTO responder_auth (account, state) VALUES ($1, $2)"
	" ON CONFLICT (account) DO UPDATE SET state = EXCLUDED.state, updated_at = now()",
	2, true,
};

static const char *val(const PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? NULL : PQgetvalue(r, row, col);
}

/* Run st and keep nothing of its result. */
static int run(struct heed_db *db, const struct heed_stmt *st, const char *const *p,
	       struct heed_err *err)
{
	PGresult *r = heed_db_exec(db, st, p, err);

	if (!r)
		return err->code;
	PQclear(r);
	return HEED_OK;
}

int outbox_take(struct heed_db *db, int64_t lease_ms, unsigned limit,
		struct outbox_batch *b, struct heed_err *err)
{
	char lease[24], lim[16];
	const char *p[] = { lease, lim };
	int n;

	memset(b, 0, sizeof(*b));
	snprintf(lease, sizeof(lease), "%" PRId64, lease_ms);
	snprintf(lim, sizeof(lim), "%u", limit);
	b->res = heed_db_exec(db, &st_take, p, err);
	if (!b->res)
		return err->code;
	n = PQntuples(b->res);
	b->o = xcalloc(n ? (size_t)n : 1, sizeof(*b->o));
	for (int i = 0; i < n; i++) {
		struct heed_outgoing *o = &b->o[i];

		o->reply_id = strtoll(PQgetvalue(b->res, i, 0), NULL, 10);
		o->case_id = strtoll(PQgetvalue(b->res, i, 1), NULL, 10);
		o->platform = val(b->res, i, 2);
		o->brand = val(b->res, i, 3);
		o->kind = val(b->res, i, 4);
		o->text = val(b->res, i, 5);
		o->idem_key = val(b->res, i, 6);
		o->platform_key = val(b->res, i, 7);
		o->attempt = atoi(PQgetvalue(b->res, i, 8));
		o->check_first = PQgetvalue(b->res, i, 9)[0] == 't';
		o->target_id = val(b->res, i, 10);
		o->target_raw = val(b->res, i, 11);
		o->target_author = val(b->res, i, 12);
	}
	b->n = (size_t)n;
	return HEED_OK;
}

void outbox_batch_release(struct outbox_batch *b)
{
	PQclear(b->res);
	free(b->o);
	memset(b, 0, sizeof(*b));
}

int outbox_sent(struct heed_db *db, int64_t reply_id, const char *platform_id,
		const char *url, struct heed_err *err)
{
	char id[24];
	const char *p[] = { id, platform_id, url };

	snprintf(id, sizeof(id), "%" PRId64, reply_id);
	return run(db, &st_sent, p, err);
}

int outbox_retry(struct heed_db *db, int64_t reply_id, const char *error,
		 int64_t wait_ms, bool maybe_posted, struct heed_err *err)
{
	char id[24], wait[24];
	const char *p[] = { id, error, wait, maybe_posted ? "t" : "f" };

	snprintf(id, sizeof(id), "%" PRId64, reply_id);
	snprintf(wait, sizeof(wait), "%" PRId64, wait_ms);
	return run(db, &st_retry, p, err);
}

int outbox_failed(struct heed_db *db, int64_t reply_id, const char *error,
		  int64_t lease_ms, struct heed_err *err)
{
	char id[24], lease[24];
	const char *p[] = { id, error, lease };

	snprintf(id, sizeof(id), "%" PRId64, reply_id);
	snprintf(lease, sizeof(lease), "%" PRId64, lease_ms);
	return run(db, &st_failed, p, err);
}

int outbox_next_due_ms(struct heed_db *db, int64_t *ms, struct heed_err *err)
{
	PGresult *r = heed_db_exec(db, &st_next_due, NULL, err);
	const char *v;

	if (!r)
		return err->code;
	v = heed_db_value(r);
	*ms = v ? strtoll(v, NULL, 10) : -1;
	PQclear(r);
	return HEED_OK;
}

int outbox_expire_leases(struct heed_db *db, struct heed_err *err)
{
	return run(db, &st_expire, NULL, err);
}

PGresult *outbox_ack_due(struct heed_db *db, const char *brand, const char *platforms,
			 const char *levels, bool negative, int64_t max_age_ms,
			 unsigned limit, struct heed_err *err)
{
	char age[24], lim[16];
	const char *p[] = { brand, platforms, levels, negative ? "t" : "f", age, lim };

	snprintf(age, sizeof(age), "%" PRId64, max_age_ms);
	snprintf(lim, sizeof(lim), "%u", limit);
	return heed_db_exec(db, &st_ack_due, p, err);
}

int outbox_ack_queue(struct heed_db *db, int64_t case_id, const char *text,
		     const char *template_name, bool *queued, struct heed_err *err)
{
	char id[24];
	const char *p[] = { id, text, template_name };
	PGresult *r;

	snprintf(id, sizeof(id), "%" PRId64, case_id);
	r = heed_db_exec(db, &st_ack_queue, p, err);
	if (!r)
		return err->code;
	*queued = heed_db_value(r) != NULL;
	PQclear(r);
	return HEED_OK;
}

char *outbox_template(struct heed_db *db, const char *name, struct heed_err *err)
{
	const char *p[] = { name };
	PGresult *r = heed_db_exec(db, &st_template, p, err);
	const char *v;
	char *body;

	if (!r)
		return NULL;
	v = heed_db_value(r);
	body = v ? xstrdup(v) : NULL;
	PQclear(r);
	if (!body)
		heed_err_set(err, HEED_ENOTFOUND, "no template \"%s\"", name);
	return body;
}

int outbox_auth_load(struct heed_db *db, const char *account, char **state,
		     struct heed_err *err)
{
	const char *p[] = { account };
	PGresult *r = heed_db_exec(db, &st_auth_load, p, err);
	const char *v;

	*state = NULL;
	if (!r)
		return err->code;
	v = heed_db_value(r);
	*state = v ? xstrdup(v) : NULL;
	PQclear(r);
	return HEED_OK;
}

int outbox_auth_save(struct heed_db *db, const char *account, const char *state,
		     struct heed_err *err)
{
	const char *p[] = { account, state };

	return run(db, &st_auth_save, p, err);
}
