/* migrate.c: apply and list the embedded schema migrations (see
 * heed/migrate.h). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heed/db.h"
#include "heed/log.h"
#include "heed/migrate.h"
#include "heed/xalloc.h"

/* 'heed' 'migr' as a bigint: the advisory lock key of migrations */
#define MIGRATE_LOCK "7522531954937545074"

static const char create_table_sql[] =
	"CREATE TABLE IF NOT EXISTS schema_migrations ("
	" version integer PRIMARY KEY CHECK (version > 0),"
	" name text NOT NULL,"
	" checksum text NOT NULL,"
	" applied_at timestamptz NOT NULL DEFAULT now())";

static const struct heed_stmt st_lock = {
	"migrate_lock", "SELECT pg_advisory_lock(" MIGRATE_LOCK ")", 0, false,
};
static const struct heed_stmt st_unlock = {
	"migrate_unlock", "SELECT pg_advisory_unlock(" MIGRATE_LOCK ")", 0, false,
};
static const struct heed_stmt st_exists = {
	"migrate_exists",
	"SELECT to_regclass('schema_migrations') IS NOT NULL", 0, true,
};
static const struct heed_stmt st_applied = {
	"migrate_applied",
	"SELECT version, name, checksum,"
	" to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
	" FROM schema_migrations ORDER BY version", 0, true,
};
static const struct heed_stmt st_record = {
	"migrate_record",
	"INSERT INTO schema_migrations (version, name, checksum)"
	" VALUES ($1::integer, $2, $3)", 3, false,
};

void heed_migrate_checksum(const char *sql, char out[17])
{
	uint64_t h = 14695981039346656037ULL;

	for (const unsigned char *p = (const unsigned char *)sql; *p; p++) {
		h ^= *p;
		h *= 1099511628211ULL;
	}
	snprintf(out, 17, "%016" PRIx64, h);
}

static size_t count(const struct heed_migration *m)
{
	size_t n = 0;

	while (m[n].name)
		n++;
	return n;
}

static struct heed_migrate_row *row_for(struct heed_migrate_row *rows,
					size_t *n, unsigned version)
{
	for (size_t i = 0; i < *n; i++)
		if (rows[i].version == version)
			return &rows[i];
	return NULL;
}

static int cmp_rows(const void *a, const void *b)
{
	const struct heed_migrate_row *x = a, *y = b;

	return x->version < y->version ? -1 : x->version > y->version;
}

int heed_migrate_status(struct heed_db *db, const struct heed_migration *m,
			struct heed_migrate_row **rowsp, size_t *np,
			struct heed_err *err)
{
	size_t nm = count(m), n = 0;
	struct heed_migrate_row *rows;
	PGresult *res;
	const char *v;
	int rc = HEED_OK;

	res = heed_db_exec(db, &st_exists, NULL, err);
	if (!res)
		return err ? err->code : HEED_EDB;
	v = heed_db_value(res);
	if (v && !strcmp(v, "t")) {
		PQclear(res);
		res = heed_db_exec(db, &st_applied, NULL, err);
		if (!res)
			return err ? err->code : HEED_EDB;
	} else {
		PQclear(res);
		res = NULL;
	}
	rows = xcalloc(nm + (res ? (size_t)PQntuples(res) : 0) + 1,
		       sizeof(*rows));
	for (size_t i = 0; i < nm; i++) {
		rows[n].version = m[i].version;
		snprintf(rows[n].name, sizeof(rows[n].name), "%s", m[i].name);
		n++;
	}
	for (int i = 0; res && i < PQntuples(res); i++) {
		unsigned version = (unsigned)strtoul(PQgetvalue(res, i, 0), NULL, 10);
		struct heed_migrate_row *r = row_for(rows, &n, version);
		char sum[17];

		if (!r) {
			r = &rows[n++];
			r->version = version;
			r->unknown = true;
			snprintf(r->name, sizeof(r->name), "%s",
				 PQgetvalue(res, i, 1));
		} else {
			for (size_t k = 0; k < nm; k++)
				if (m[k].version == version) {
					heed_migrate_checksum(m[k].sql, sum);
					r->edited = strcmp(sum, PQgetvalue(res, i, 2)) != 0;
				}
		}
		r->applied = true;
		snprintf(r->applied_at, sizeof(r->applied_at), "%s",
			 PQgetvalue(res, i, 3));
	}
	PQclear(res);
	qsort(rows, n, sizeof(*rows), cmp_rows);
	*rowsp = rows;
	*np = n;
	return rc;
}

static int apply_one(struct heed_db *db, const struct heed_migration *mig,
		     struct heed_err *err)
{
	char version[16], sum[17];
	const char *params[3] = { version, mig->name, sum };
	struct heed_err ignore;
	PGresult *res;
	int rc;

	snprintf(version, sizeof(version), "%u", mig->version);
	heed_migrate_checksum(mig->sql, sum);
	rc = heed_db_run(db, "BEGIN", err);
	if (rc)
		return rc;
	rc = heed_db_run(db, mig->sql, err);
	if (!rc) {
		res = heed_db_exec(db, &st_record, params, err);
		rc = res ? HEED_OK : (err ? err->code : HEED_EDB);
		PQclear(res);
	}
	if (!rc)
		rc = heed_db_run(db, "COMMIT", err);
	if (rc) {
		if (heed_db_run(db, "ROLLBACK", &ignore))
			heed_log_debug("migrate=rollback status=failed");
		if (err) {
			char msg[sizeof(err->msg)];

			snprintf(msg, sizeof(msg), "%s", err->msg);
			heed_err_set(err, rc, "migration '%s' failed: %s",
				     mig->name, msg);
		}
	}
	return rc;
}

int heed_migrate_apply(struct heed_db *db, const struct heed_migration *m,
		       heed_migrate_progress_fn *progress, void *arg,
		       unsigned *applied, struct heed_err *err)
{
	struct heed_migrate_row *rows = NULL;
	struct heed_err ignore;
	unsigned done = 0;
	size_t n = 0;
	PGresult *res;
	int rc;

	if (applied)
		*applied = 0;
	res = heed_db_exec(db, &st_lock, NULL, err);
	if (!res)
		return err ? err->code : HEED_EDB;
	PQclear(res);
	rc = heed_db_run(db, create_table_sql, err);
	if (rc)
		goto out_unlock;
	rc = heed_migrate_status(db, m, &rows, &n, err);
	if (rc)
		goto out_unlock;
	for (size_t i = 0; i < n; i++) {
		if (rows[i].edited) {
			rc = heed_err_set(err, HEED_ESTATE,
					  "migration '%s' was edited after it was applied; migrations are forward-only: restore it and add a new file",
					  rows[i].name);
			goto out_free_rows;
		}
	}
	for (size_t i = 0; m[i].name; i++) {
		bool pending = false;

		for (size_t k = 0; k < n; k++)
			if (rows[k].version == m[i].version)
				pending = !rows[k].applied;
		if (!pending)
			continue;
		if (progress)
			progress(arg, &m[i]);
		rc = apply_one(db, &m[i], err);
		if (rc)
			break;
		done++;
		heed_log_debug("migrate=applied file=%s", m[i].name);
	}
out_free_rows:
	free(rows);
out_unlock:
	res = heed_db_exec(db, &st_unlock, NULL, &ignore);
	PQclear(res);
	if (applied)
		*applied = done;
	return rc;
}
