/* test_db.c: the db layer on a real PostgreSQL: parameters (never spliced
 * SQL), errors with SQLSTATE, transactions, and recovery when the session is
 * killed (pg_terminate_backend) or the whole server crashes and restarts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "heed/db.h"
#include "heed/xalloc.h"
#include "support.h"

static char *conninfo;

static int group_setup(void **state)
{
	(void)state;
	if (!ht_pg_available())
		return 0;
	conninfo = ht_pg_fresh_db("db");
	ht_pg_admin(conninfo + strlen("dbname="),
		    "CREATE TABLE t (id int PRIMARY KEY, v text)");
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	free(conninfo);
	return 0;
}

static int setup(void **state)
{
	(void)state;
	if (!ht_pg_available())
		skip();
	return 0;
}

static struct heed_db *open_db(unsigned retries)
{
	struct heed_db_opts o = { .conninfo = conninfo, .retries = retries,
				  .retry_max_wait_ms = 1000,
				  .application_name = "test_db" };
	struct heed_err err;
	struct heed_db *db;

	heed_err_clear(&err);
	db = heed_db_open(&o, &err);
	if (!db)
		fail_msg("open: %s", heed_err_msg(&err));
	return db;
}

static const struct heed_stmt st_put = {
	"t_put", "INSERT INTO t (id, v) VALUES ($1::int, $2)"
	" ON CONFLICT (id) DO UPDATE SET v = EXCLUDED.v", 2, true,
};
static const struct heed_stmt st_get = {
	"t_get", "SELECT v FROM t WHERE id = $1::int", 1, true,
};
static const struct heed_stmt st_count = {
	"t_count", "SELECT count(*) FROM t WHERE id BETWEEN $1::int AND $2::int", 2, true,
};
static const struct heed_stmt st_pid = {
	"t_pid", "SELECT pg_backend_pid()", 0, true,
};
static const struct heed_stmt st_pid_noretry = {
	"t_pid_noretry", "SELECT pg_backend_pid()", 0, false,
};

static char *get(struct heed_db *db, int id)
{
	char idbuf[16];
	const char *p[1] = { idbuf };
	struct heed_err err;
	PGresult *res;
	char *v;

	snprintf(idbuf, sizeof(idbuf), "%d", id);
	heed_err_clear(&err);
	res = heed_db_exec(db, &st_get, p, &err);
	if (!res)
		fail_msg("get: %s", heed_err_msg(&err));
	v = heed_db_value(res) ? xstrdup(heed_db_value(res)) : NULL;
	PQclear(res);
	return v;
}

static int put(struct heed_db *db, int id, const char *v, struct heed_err *err)
{
	char idbuf[16];
	const char *p[2] = { idbuf, v };
	PGresult *res;

	snprintf(idbuf, sizeof(idbuf), "%d", id);
	res = heed_db_exec(db, &st_put, p, err);
	PQclear(res);
	return res ? HEED_OK : err->code;
}

/* Hostile text is data, not SQL; NULL is NULL. */
static void parameters_carry_hostile_text(void **state)
{
	struct heed_db *db = open_db(0);
	const char *evil = "x'); DROP TABLE t; --\\ \xe2\x80\xae";
	struct heed_err err;
	char *v;
	(void)state;

	heed_err_clear(&err);
	assert_int_equal(put(db, 1, evil, &err), HEED_OK);
	v = get(db, 1);
	assert_string_equal(v, evil);
	free(v);
	assert_int_equal(put(db, 2, NULL, &err), HEED_OK);
	assert_null(get(db, 2));
	heed_db_free(db);
}

static void sql_errors_carry_sqlstate(void **state)
{
	struct heed_db *db = open_db(0);
	const char *p[1] = { "not-a-number" };
	struct heed_err err;
	(void)state;

	heed_err_clear(&err);
	assert_null(heed_db_exec(db, &st_get, p, &err));
	assert_int_equal(err.code, HEED_EDB);
	assert_string_equal(heed_db_sqlstate(db), "22P02");
	assert_non_null(strstr(err.msg, "22P02"));
	assert_false(heed_err_is_retryable(err.code));
	/* the handle stays usable */
	assert_int_equal(put(db, 3, "ok", &err), HEED_OK);
	assert_string_equal(heed_db_sqlstate(db), "");
	heed_db_free(db);
}

static void cannot_connect_is_retryable_and_hides_password(void **state)
{
	struct heed_db_opts o = {
		.conninfo = "host=/nonexistent-heed-socket-dir dbname=x password=hunter2",
		.retries = 1, .retry_max_wait_ms = 50,
	};
	struct heed_err err;
	(void)state;

	heed_err_clear(&err);
	assert_null(heed_db_open(&o, &err));
	assert_int_equal(err.code, HEED_EDBCONN);
	assert_true(heed_err_is_retryable(err.code));
	assert_null(strstr(err.msg, "hunter2"));
}

/* Another session kills the backend with this pid. */
static void terminate(const char *pid)
{
	PGconn *adm = ht_pg_connect("dbname=postgres user=postgres");

	ht_pg_exec(adm, "SELECT pg_terminate_backend($1::int)", pid, NULL);
	PQfinish(adm);
}

struct txarg {
	int calls;
	int fail_with;		/* return this from fn (after writing) */
	bool kill_first;	/* terminate our own session on call 1 */
	int base;
};

static int tx_body(struct heed_db *db, void *arg, struct heed_err *err)
{
	struct txarg *a = arg;
	int rc;

	a->calls++;
	for (int i = 0; i < 5; i++) {
		rc = put(db, a->base + i, "tx", err);
		if (rc)
			return rc;
		if (a->kill_first && a->calls == 1 && i == 2) {
			/* another session kills ours mid-transaction */
			PGresult *res = heed_db_exec(db, &st_pid, NULL, err);

			assert_non_null(res);
			terminate(heed_db_value(res));
			PQclear(res);
		}
	}
	return a->fail_with ? heed_err_set(err, a->fail_with, "asked to fail") : HEED_OK;
}

static long count(struct heed_db *db, int from, int to)
{
	char a[16], b[16];
	const char *p[2] = { a, b };
	struct heed_err err;
	PGresult *res;
	long n;

	snprintf(a, sizeof(a), "%d", from);
	snprintf(b, sizeof(b), "%d", to);
	heed_err_clear(&err);
	res = heed_db_exec(db, &st_count, p, &err);
	if (!res)
		fail_msg("count: %s", heed_err_msg(&err));
	n = strtol(heed_db_value(res), NULL, 10);
	PQclear(res);
	return n;
}

static void transaction_commits_or_rolls_back_whole(void **state)
{
	struct heed_db *db = open_db(2);
	struct txarg ok = { .base = 100 }, bad = { .base = 200, .fail_with = HEED_EINVAL };
	struct heed_err err;
	(void)state;

	heed_err_clear(&err);
	assert_int_equal(heed_db_tx(db, tx_body, &ok, &err), HEED_OK);
	assert_int_equal(count(db, 100, 104), 5);
	/* fn's own failure: rolled back, not retried */
	assert_int_equal(heed_db_tx(db, tx_body, &bad, &err), HEED_EINVAL);
	assert_int_equal(bad.calls, 1);
	assert_int_equal(count(db, 200, 204), 0);
	assert_false(heed_db_in_tx(db));
	heed_db_free(db);
}

/* The session is killed in the middle of a transaction: the transaction is
 * retried whole on a new connection and committed once. */
static void killed_session_mid_transaction_is_retried(void **state)
{
	struct heed_db *db = open_db(3);
	struct txarg a = { .base = 300, .kill_first = true };
	struct heed_err err;
	(void)state;

	heed_err_clear(&err);
	assert_int_equal(heed_db_tx(db, tx_body, &a, &err), HEED_OK);
	assert_int_equal(a.calls, 2);
	assert_int_equal(heed_db_connects(db), 2);
	assert_int_equal(count(db, 300, 304), 5);
	heed_db_free(db);
}

/* Outside a transaction, a statement marked retry reconnects and runs again;
 * one not marked reports the loss and the next call reconnects. */
static void killed_session_between_statements(void **state)
{
	struct heed_db *db = open_db(3);
	struct heed_err err;
	PGresult *res;
	(void)state;

	heed_err_clear(&err);
	res = heed_db_exec(db, &st_pid, NULL, &err);
	assert_non_null(res);
	terminate(heed_db_value(res));
	PQclear(res);
	res = heed_db_exec(db, &st_pid, NULL, &err);	/* retry-safe */
	assert_non_null(res);
	assert_int_equal(heed_db_connects(db), 2);

	terminate(heed_db_value(res));
	PQclear(res);
	assert_null(heed_db_exec(db, &st_pid_noretry, NULL, &err));
	assert_int_equal(err.code, HEED_EDBCONN);
	res = heed_db_exec(db, &st_pid_noretry, NULL, &err);
	assert_non_null(res);
	assert_int_equal(heed_db_connects(db), 3);
	PQclear(res);
	heed_db_free(db);
}

/* The server dies (immediate shutdown) and comes back while the handle is
 * reconnecting with backoff: committed data is there and work goes on. */
static void server_crash_and_restart(void **state)
{
	struct heed_db *db = open_db(20);
	struct heed_err err;
	char *v;
	(void)state;

	heed_err_clear(&err);
	assert_int_equal(put(db, 400, "before crash", &err), HEED_OK);
	assert_int_equal(ht_pg_cluster("crash", false), 0);
	/* start again in the background: the handle's first attempts fail
	 * and it keeps trying with backoff until the server is up */
	assert_int_equal(ht_pg_cluster("start", true), 0);
	if (put(db, 401, "after restart", &err))
		fail_msg("put after restart: %s", heed_err_msg(&err));
	assert_true(heed_db_connects(db) >= 2);
	v = get(db, 400);
	assert_string_equal(v, "before crash");
	free(v);
	v = get(db, 401);
	assert_string_equal(v, "after restart");
	free(v);
	heed_db_free(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(parameters_carry_hostile_text, setup),
		cmocka_unit_test_setup(sql_errors_carry_sqlstate, setup),
		cmocka_unit_test(cannot_connect_is_retryable_and_hides_password),
		cmocka_unit_test_setup(transaction_commits_or_rolls_back_whole, setup),
		cmocka_unit_test_setup(killed_session_mid_transaction_is_retried, setup),
		cmocka_unit_test_setup(killed_session_between_statements, setup),
		cmocka_unit_test_setup(server_crash_and_restart, setup),
	};
	return cmocka_run_group_tests_name("db", tests, group_setup, group_teardown);
}
