/* store.c: the collectors' SQL (see store.h). Values always travel as
 * parameters; a page is one call of heed_ingest_columns() (schema/0008;
 * heed_ingest_page() of 0003 and 0006 takes the same page as jsonb). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#include "heed/clock.h"
#include "heed/xalloc.h"
#include "store.h"

static const struct heed_stmt st_ensure = {
	"src_ensure",
	"WITH ins AS (INSERT INTO sources (name, platform, brand)"
	" VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING RETURNING id, platform, brand)"
	" SELECT id, platform, brand FROM ins"
	" UNION ALL SELECT id, platform, brand FROM sources WHERE name = $1"
	" LIMIT 1", 3, true,
};
static const struct heed_stmt st_lock = {
	"src_lock", "SELECT pg_try_advisory_lock(heed_source_lock_class(), $1::int)",
	1, false,
};
static const struct heed_stmt st_unlock = {
	"src_unlock", "SELECT pg_advisory_unlock(heed_source_lock_class(), $1::int)",
	1, false,
};
static const struct heed_stmt st_load = {
	"src_load",
	"SELECT s.cursor::text, s.ratelimit::text, a.state::text,"
	" (extract(epoch FROM s.next_poll_at) * 1000)::bigint, s.error_streak"
	" FROM sources s LEFT JOIN source_auth a ON a.source_id = s.id"
	" WHERE s.id = $1::int", 1, true,
};
static const struct heed_stmt st_ingest = {
	"src_ingest_cols",
	"SELECT inserted, duplicates, opened, joined FROM heed_ingest_columns("
	"$1::int, $2::jsonb, $3::jsonb,"
	" make_interval(secs => $4::double precision / 1000),"
	" make_interval(secs => $5::double precision / 1000), $6::jsonb,"
	" $7::text[], $8::text[], $9::text[], $10::text[], $11::bigint[],"
	" $12::text[], $13::text[], $14::text[], $15::timestamptz[], $16::text[],"
	" $17::text[], $18::text[], $19::real[], $20::text[], $21::smallint[],"
	" $22::text[], $23::text[], $24::text[], $25::boolean[], $26::text[],"
	" $27::boolean[], $28::boolean[], $29::boolean[])", 6 + STORE_NCOLS, false,
};
static const struct heed_stmt st_health = {
	"src_health",
	"UPDATE sources SET last_poll_at = now(),"
	" error_streak = CASE WHEN $2 IN ('error', 'auth') THEN error_streak + 1"
	"   WHEN $2 = 'ok' THEN 0 ELSE error_streak END,"
	" last_error = CASE WHEN $2 = 'ok' THEN last_error ELSE $3 END,"
	" last_error_at = CASE WHEN $2 = 'ok' THEN last_error_at ELSE now() END,"
	" last_success_at = CASE WHEN $2 = 'ok' THEN now() ELSE last_success_at END,"
	" ratelimit_waits = ratelimit_waits + (CASE WHEN $2 = 'ratelimited' THEN 1 ELSE 0 END),"
	" auth_failures = auth_failures + (CASE WHEN $2 = 'auth' THEN 1 ELSE 0 END),"
	" ratelimit = coalesce($4::jsonb, ratelimit),"
	" next_poll_at = to_timestamp($5::double precision / 1000)"
	" WHERE id = $1::int", 5, true,
};
static const struct heed_stmt st_auth_put = {
	"src_auth_put",
	"INSERT INTO source_auth (source_id, state) VALUES ($1::int, $2::jsonb)"
	" ON CONFLICT (source_id) DO UPDATE SET state = EXCLUDED.state, updated_at = now()",
	2, true,
};
static const struct heed_stmt st_auth_forget = {
	"src_auth_forget",
	"UPDATE source_auth SET state = '{}', updated_at = now() WHERE source_id = $1::int",
	1, true,
};

/* An integer column of row 0 (the server sends canonical digits). */
static int int_col(const PGresult *res, int col)
{
	return (int)strtol(PQgetvalue(res, 0, col), NULL, 10);
}

static int db_code(struct heed_err *err)
{
	return err && err->code ? err->code : HEED_EDB;
}

int store_source_ensure(struct heed_db *db, const struct heed_source *src,
			int *id, struct heed_err *err)
{
	const char *p[3] = { src->name, src->ops->platform, src->brand };
	PGresult *res = heed_db_exec(db, &st_ensure, p, err);
	int rc = HEED_OK;

	if (!res)
		return db_code(err);
	if (PQntuples(res) != 1) {
		rc = heed_err_set(err, HEED_EDB, "source '%s': no row", src->name);
	} else if (strcmp(PQgetvalue(res, 0, 1), src->ops->platform) ||
		   strcmp(PQgetvalue(res, 0, 2), src->brand)) {
		rc = heed_err_set(err, HEED_ECONFIG,
				  "source '%s' is stored for platform '%s' and brand '%s'; give the changed source a new name",
				  src->name, PQgetvalue(res, 0, 1),
				  PQgetvalue(res, 0, 2));
	} else {
		*id = int_col(res, 0);
	}
	PQclear(res);
	return rc;
}

static void itoa_buf(int id, char buf[16])
{
	snprintf(buf, 16, "%d", id);
}

int store_source_lock(struct heed_db *db, int id, bool *owned,
		      struct heed_err *err)
{
	char ids[16];
	const char *p[1] = { ids };
	PGresult *res;

	itoa_buf(id, ids);
	res = heed_db_exec(db, &st_lock, p, err);
	if (!res)
		return db_code(err);
	*owned = heed_db_value(res) && !strcmp(heed_db_value(res), "t");
	PQclear(res);
	return HEED_OK;
}

void store_source_unlock(struct heed_db *db, int id)
{
	char ids[16];
	const char *p[1] = { ids };
	struct heed_err ignore;

	itoa_buf(id, ids);
	PQclear(heed_db_exec(db, &st_unlock, p, &ignore));
}

static char *dup_or_null(const PGresult *res, int col)
{
	return PQgetisnull(res, 0, col) ? NULL : xstrdup(PQgetvalue(res, 0, col));
}

int store_source_load(struct heed_db *db, int id, struct store_state *st,
		      struct heed_err *err)
{
	char ids[16];
	const char *p[1] = { ids };
	PGresult *res;

	memset(st, 0, sizeof(*st));
	itoa_buf(id, ids);
	res = heed_db_exec(db, &st_load, p, err);
	if (!res)
		return db_code(err);
	if (PQntuples(res) != 1) {
		PQclear(res);
		return heed_err_set(err, HEED_ENOTFOUND, "source %d vanished", id);
	}
	st->cursor = dup_or_null(res, 0);
	st->ratelimit = dup_or_null(res, 1);
	st->auth = dup_or_null(res, 2);
	if (st->auth && !strcmp(st->auth, "{}")) {
		free(st->auth);
		st->auth = NULL;
	}
	st->next_poll_ms = strtoll(PQgetvalue(res, 0, 3), NULL, 10);
	st->error_streak = (unsigned)strtoul(PQgetvalue(res, 0, 4), NULL, 10);
	PQclear(res);
	return HEED_OK;
}

void store_state_release(struct store_state *st)
{
	free(st->cursor);
	free(st->ratelimit);
	free(st->auth);
	memset(st, 0, sizeof(*st));
}

struct ingest_arg {
	const struct heed_db_params *params;
	struct store_counts *counts;
};

static int ingest_counts(struct heed_db *db, PGresult *res,
			 struct store_counts *counts, struct heed_err *err)
{
	if (!res)
		return !strcmp(heed_db_sqlstate(db), "55P03")
			? heed_err_set(err, HEED_ECONFLICT, "lost ownership of the source")
			: db_code(err);
	counts->inserted = (unsigned)int_col(res, 0);
	counts->duplicates = (unsigned)int_col(res, 1);
	counts->opened = (unsigned)int_col(res, 2);
	counts->joined = (unsigned)int_col(res, 3);
	PQclear(res);
	return HEED_OK;
}

static int ingest_tx(struct heed_db *db, void *arg, struct heed_err *err)
{
	struct ingest_arg *a = arg;

	return ingest_counts(db, heed_db_exec_params(db, &st_ingest, a->params, err),
			     a->counts, err);
}

void store_ingest_init(struct store_ingest *job, int id,
		       const struct heed_page *page, const char *ratelimit,
		       int64_t sla_ms, int64_t join_ms)
{
	memset(job, 0, sizeof(*job));
	itoa_buf(id, job->id);
	snprintf(job->sla, sizeof(job->sla), "%lld", (long long)sla_ms);
	snprintf(job->join, sizeof(job->join), "%lld", (long long)join_ms);
	job->cursor = xstrdup(page->cursor);
	job->bad = store_page_bad_json(page);
	job->ratelimit = ratelimit ? xstrdup(ratelimit) : NULL;
	store_page_columns(page, &job->cols);
}

/* A job's parameters for libpq, pointing into job (which must not move or
 * change while they are in use). */
struct job_params {
	const char *values[6 + STORE_NCOLS];
	int lengths[6 + STORE_NCOLS], formats[6 + STORE_NCOLS];
	struct heed_db_params p;
};

static const struct heed_db_params *job_params(const struct store_ingest *job,
					       struct job_params *jp)
{
	memset(jp, 0, sizeof(*jp));
	jp->values[0] = job->id;
	jp->values[1] = job->cursor;
	jp->values[2] = job->bad;
	jp->values[3] = job->sla;
	jp->values[4] = job->join;
	jp->values[5] = job->ratelimit;
	for (size_t k = 0; k < STORE_NCOLS; k++) {
		jp->values[6 + k] = job->cols.data[k];
		jp->lengths[6 + k] = job->cols.len[k];
		jp->formats[6 + k] = job->cols.binary[k];
	}
	jp->p = (struct heed_db_params){ jp->values, jp->lengths, jp->formats };
	return &jp->p;
}

void store_ingest_release(struct store_ingest *job)
{
	free(job->cursor);
	free(job->bad);
	free(job->ratelimit);
	store_cols_release(&job->cols);
	memset(job, 0, sizeof(*job));
}

void store_ingest_send(struct heed_db *db, struct store_ingest *job)
{
	struct heed_err ignore;
	struct job_params jp;

	/* one statement is one transaction; a failed send is retried by
	 * store_ingest_finish */
	job->sent = !heed_db_send_params(db, &st_ingest, job_params(job, &jp),
					 &ignore);
}

int store_ingest_finish(struct heed_db *db, struct store_ingest *job,
			struct store_counts *counts, struct heed_err *err)
{
	struct job_params jp;
	struct ingest_arg a = { job_params(job, &jp), counts };
	int rc;

	memset(counts, 0, sizeof(*counts));
	if (job->sent) {
		job->sent = false;
		rc = ingest_counts(db, heed_db_collect(db, err), counts, err);
		/* the rest are as heed_db_tx would retry them; a lost answer
		 * may have committed, which the page's writes allow */
		if (rc != HEED_EDBCONN && strcmp(heed_db_sqlstate(db), "40001") &&
		    strcmp(heed_db_sqlstate(db), "40P01"))
			return rc;
		heed_err_clear(err);
	}
	return heed_db_tx(db, ingest_tx, &a, err);
}

int store_ingest(struct heed_db *db, int id, const struct heed_page *page,
		 const char *ratelimit, int64_t sla_ms, int64_t join_ms,
		 struct store_counts *counts, struct heed_err *err)
{
	struct store_ingest job;
	int rc;

	store_ingest_init(&job, id, page, ratelimit, sla_ms, join_ms);
	rc = store_ingest_finish(db, &job, counts, err);
	store_ingest_release(&job);
	return rc;
}

int store_source_health(struct heed_db *db, int id, enum store_failure kind,
			const char *msg, const char *ratelimit,
			int64_t next_poll_ms, struct heed_err *err)
{
	static const char *const kinds[] = { "ok", "error", "ratelimited", "auth" };
	char ids[16], next[32], cut[500];
	const char *p[5] = { ids, kinds[kind], NULL, ratelimit, next };
	PGresult *res;

	itoa_buf(id, ids);
	snprintf(next, sizeof(next), "%lld", (long long)next_poll_ms);
	if (msg) {
		snprintf(cut, sizeof(cut), "%s", msg);
		p[2] = cut;
	}
	res = heed_db_exec(db, &st_health, p, err);
	if (!res)
		return db_code(err);
	PQclear(res);
	return HEED_OK;
}

int store_auth_save(struct heed_db *db, int id, const char *state,
		    struct heed_err *err)
{
	char ids[16];
	const char *p[2] = { ids, state };
	PGresult *res;

	itoa_buf(id, ids);
	res = heed_db_exec(db, state ? &st_auth_put : &st_auth_forget, p, err);
	if (!res)
		return db_code(err);
	PQclear(res);
	return HEED_OK;
}
