/* test_migrate.c: schema migrations on a real PostgreSQL (private cluster):
 * from zero, twice (no-op), concurrent `heed db migrate` processes, edited
 * and failing files, the constraints that reject impossible states, and
 * each role refused what its job does not need. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "heed/db.h"
#include "heed/migrate.h"
#include "heed/xalloc.h"
#include "support.h"

static size_t nmigrations(void)
{
	size_t n = 0;

	while (heed_migrations[n].name)
		n++;
	return n;
}

static struct heed_db *open_db(const char *conninfo)
{
	struct heed_db_opts o = { .conninfo = conninfo, .retries = 2,
				  .retry_max_wait_ms = 500 };
	struct heed_err err;
	struct heed_db *db;

	heed_err_clear(&err);
	db = heed_db_open(&o, &err);
	if (!db)
		fail_msg("open %s: %s", conninfo, heed_err_msg(&err));
	return db;
}

static long count_rows(PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);
	long n;

	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		fail_msg("%s: %s", sql, PQerrorMessage(c));
	n = strtol(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	return n;
}

static int setup(void **state)
{
	(void)state;
	if (!ht_pg_available())
		skip();
	return 0;
}

static void migrate_from_zero_then_noop(void **state)
{
	char *ci = ht_pg_fresh_db("zero");
	struct heed_db *db = open_db(ci);
	struct heed_migrate_row *rows;
	struct heed_err err;
	unsigned applied = 99;
	size_t n;
	PGconn *c;
	(void)state;

	heed_err_clear(&err);
	/* before: every migration pending, nothing created */
	assert_int_equal(heed_migrate_status(db, heed_migrations, &rows, &n, &err), HEED_OK);
	assert_int_equal(n, nmigrations());
	for (size_t i = 0; i < n; i++)
		assert_false(rows[i].applied);
	free(rows);

	assert_int_equal(heed_migrate_apply(db, heed_migrations, NULL, NULL,
					    &applied, &err), HEED_OK);
	assert_int_equal(applied, nmigrations());
	c = ht_pg_connect(ci);
	static const char *const tables[] = {
		"sources", "authors", "mentions", "cases", "case_events",
		"replies", "alerts", "templates", "agents", "schema_migrations",
	};
	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++)
		if (ht_pg_count(c, "SELECT count(*) FROM pg_tables WHERE tablename = $1",
				tables[i], NULL) != 1)
			fail_msg("table %s missing", tables[i]);
	assert_int_equal(count_rows(c, "SELECT count(*) FROM schema_migrations"),
			 (long)nmigrations());

	/* second run: nothing applied, nothing changed */
	PGresult *before = PQexec(c, "SELECT string_agg(version || ':' || applied_at, ',' ORDER BY version) FROM schema_migrations");
	assert_int_equal(heed_migrate_apply(db, heed_migrations, NULL, NULL,
					    &applied, &err), HEED_OK);
	assert_int_equal(applied, 0);
	PGresult *after = PQexec(c, "SELECT string_agg(version || ':' || applied_at, ',' ORDER BY version) FROM schema_migrations");
	assert_string_equal(PQgetvalue(before, 0, 0), PQgetvalue(after, 0, 0));
	PQclear(before);
	PQclear(after);

	assert_int_equal(heed_migrate_status(db, heed_migrations, &rows, &n, &err), HEED_OK);
	for (size_t i = 0; i < n; i++) {
		assert_true(rows[i].applied);
		assert_false(rows[i].edited);
		assert_true(strlen(rows[i].applied_at) > 0);
	}
	free(rows);
	PQfinish(c);
	heed_db_free(db);
	free(ci);
}

/* Four `heed db migrate` processes at once on a fresh database: all
 * succeed, and every migration is applied exactly once. */
static void concurrent_migrates_apply_once(void **state)
{
	char *ci = ht_pg_fresh_db("conc");
	const char *dbname = ci + strlen("dbname=");
	pid_t pids[4];
	PGconn *c;
	(void)state;

	for (int i = 0; i < 4; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0) {
			setenv("PGDATABASE", dbname, 1);
			if (!freopen("/dev/null", "w", stdout) ||
			    !freopen("/dev/null", "w", stderr))
				_exit(126);
			execl(ht_heed_bin(), "heed", "db", "migrate", (char *)NULL);
			_exit(127);
		}
	}
	for (int i = 0; i < 4; i++) {
		int st;

		assert_int_equal(waitpid(pids[i], &st, 0), pids[i]);
		assert_true(WIFEXITED(st));
		assert_int_equal(WEXITSTATUS(st), 0);
	}
	c = ht_pg_connect(ci);
	assert_int_equal(count_rows(c, "SELECT count(*) FROM schema_migrations"),
			 (long)nmigrations());
	assert_int_equal(count_rows(c, "SELECT count(DISTINCT version) FROM schema_migrations"),
			 (long)nmigrations());
	PQfinish(c);
	free(ci);
}

/* A migration edited after it was applied is refused; a failing one rolls
 * back alone and names its file. */
static void edited_and_failing_migrations(void **state)
{
	char *ci = ht_pg_fresh_db("bad");
	struct heed_db *db = open_db(ci);
	struct heed_err err;
	unsigned applied;
	PGconn *c;
	const struct heed_migration good[] = {
		{ 1, "0001_a.sql", "CREATE TABLE a (x int);" },
		{ 0, NULL, NULL },
	};
	const struct heed_migration edited[] = {
		{ 1, "0001_a.sql", "CREATE TABLE a (x int, y int);" },
		{ 2, "0002_b.sql", "CREATE TABLE b (x int);" },
		{ 0, NULL, NULL },
	};
	const struct heed_migration failing[] = {
		{ 1, "0001_a.sql", "CREATE TABLE a (x int);" },
		{ 2, "0002_b.sql", "CREATE TABLE b (x int);" },
		{ 3, "0003_c.sql", "CREATE TABLE c (x int); SELECT no_such_function();" },
		{ 4, "0004_d.sql", "CREATE TABLE d (x int);" },
		{ 0, NULL, NULL },
	};
	(void)state;

	heed_err_clear(&err);
	assert_int_equal(heed_migrate_apply(db, good, NULL, NULL, &applied, &err), HEED_OK);
	assert_int_equal(heed_migrate_apply(db, edited, NULL, NULL, &applied, &err),
			 HEED_ESTATE);
	assert_int_equal(applied, 0);
	assert_non_null(strstr(err.msg, "0001_a.sql"));
	assert_non_null(strstr(err.msg, "edited"));

	assert_int_not_equal(heed_migrate_apply(db, failing, NULL, NULL, &applied, &err),
			     HEED_OK);
	assert_int_equal(applied, 1);	/* 0002 applied, then 0003 failed */
	assert_non_null(strstr(err.msg, "0003_c.sql"));
	c = ht_pg_connect(ci);
	assert_int_equal(count_rows(c, "SELECT count(*) FROM pg_tables WHERE tablename = 'b'"), 1);
	assert_int_equal(count_rows(c, "SELECT count(*) FROM pg_tables WHERE tablename = 'c'"), 0);
	assert_int_equal(count_rows(c, "SELECT count(*) FROM pg_tables WHERE tablename = 'd'"), 0);
	assert_int_equal(count_rows(c, "SELECT max(version) FROM schema_migrations"), 2);
	PQfinish(c);
	heed_db_free(db);
	free(ci);
}

/* A migrated database with login roles for each group role. */
struct rolesdb {
	char *ci;
	char *dbname;
	char names[4][64];
};

static const char *const groups[4] = {
	"heed_poller", "heed_agent", "heed_responder", "heed_manager",
};

/* Run DDL whose one or two %s are identifiers, quoted by the server's own
 * rules (PQescapeIdentifier): names never go into SQL unquoted. */
static void role_sql(const char *fmt, const char *a, const char *b)
{
	PGconn *adm = ht_pg_connect("dbname=postgres user=postgres");
	char *qa = PQescapeIdentifier(adm, a, strlen(a));
	char *qb = b ? PQescapeIdentifier(adm, b, strlen(b)) : NULL;
	char *sql = xasprintf(fmt, qa, qb ? qb : "");

	ht_pg_exec(adm, sql, NULL);
	free(sql);
	PQfreemem(qa);
	PQfreemem(qb);
	PQfinish(adm);
}

static void rolesdb_init(struct rolesdb *r)
{
	struct heed_err err;
	struct heed_db *db;
	unsigned applied;

	r->ci = ht_pg_fresh_db("roles");
	r->dbname = r->ci + strlen("dbname=");
	db = open_db(r->ci);
	heed_err_clear(&err);
	assert_int_equal(heed_migrate_apply(db, heed_migrations, NULL, NULL, &applied, &err),
			 HEED_OK);
	heed_db_free(db);
	/* fixtures, written by the owner */
	ht_pg_admin(r->dbname,
		    "INSERT INTO sources (name, platform, brand) VALUES ('s1', 'reddit', 'acme');"
		    "INSERT INTO authors (platform, external_id, handle) VALUES ('reddit', 't2_a', 'alice');"
		    "INSERT INTO cases (brand, platform, author_id, thread_key, customer_posted_at, due_at)"
		    " VALUES ('acme', 'reddit', 1, 't3_x', now(), now() + interval '30 minutes');"
		    "INSERT INTO case_events (case_id, kind) VALUES (1, 'opened');"
		    "INSERT INTO replies (case_id, platform, text, idempotency_key)"
		    " VALUES (1, 'reddit', 'hello', 'k1');");
	for (int i = 0; i < 4; i++) {
		snprintf(r->names[i], sizeof(r->names[i]), "heedt_%s_%d",
			 groups[i] + 5, (int)getpid());
		role_sql("DROP ROLE IF EXISTS %s", r->names[i], NULL);
		role_sql("CREATE ROLE %s LOGIN IN ROLE %s", r->names[i], groups[i]);
	}
}

static void rolesdb_release(struct rolesdb *r)
{
	role_sql("DROP DATABASE %s", r->dbname, NULL);
	for (int i = 0; i < 4; i++)
		role_sql("DROP ROLE %s", r->names[i], NULL);
	free(r->ci);
}

static PGconn *as_role(struct rolesdb *r, int i)
{
	char ci[256];

	snprintf(ci, sizeof(ci), "%s user=%s", r->ci, r->names[i]);
	return ht_pg_connect(ci);
}

struct expect {
	const char *sql;
	const char *state;	/* "" allowed, else the SQLSTATE wanted */
};

static void check_all(PGconn *c, const char *role, const struct expect *e,
		      size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *got = ht_pg_try(c, e[i].sql);

		if (strcmp(got, e[i].state))
			fail_msg("%s: '%s' gave SQLSTATE '%s', want '%s'", role,
				 e[i].sql, got, e[i].state);
	}
}

#define DENIED "42501"

static void each_role_is_refused_what_it_does_not_need(void **state)
{
	struct rolesdb r;
	(void)state;

	rolesdb_init(&r);
	const struct expect poller[] = {
		{ "INSERT INTO authors (platform, external_id, handle) VALUES ('reddit', 't2_b', 'bob')", "" },
		{ "INSERT INTO mentions (platform, external_id, brand, text, posted_at, thread_key)"
		  " VALUES ('reddit', 't1_m', 'acme', 'hi', now(), 't3_x')", "" },
		{ "UPDATE sources SET cursor = '{\"after\":\"t3_x\"}' WHERE name = 's1'", "" },
		{ "INSERT INTO replies (case_id, platform, text, idempotency_key) VALUES (1, 'reddit', 'x', 'k2')", DENIED },
		{ "UPDATE mentions SET text = 'changed'", DENIED },
		{ "DELETE FROM mentions", DENIED },
		{ "UPDATE sources SET platform = 'x'", DENIED },
		{ "SELECT * FROM replies", DENIED },
		{ "INSERT INTO alerts (kind, brand, channel, dedupe_key) VALUES ('spike', 'acme', 'c', 'd')", DENIED },
	};
	const struct expect agent[] = {
		{ "SELECT count(*) FROM cases", "" },
		/* since 0004 agents write only through the queue functions */
		{ "INSERT INTO case_events (case_id, kind) VALUES (1, 'noted')", DENIED },
		{ "UPDATE sources SET cursor = '{}'", DENIED },
		{ "INSERT INTO mentions (platform, external_id, brand, text, posted_at, thread_key)"
		  " VALUES ('reddit', 't1_z', 'acme', 'hi', now(), 't3_x')", DENIED },
		{ "UPDATE cases SET breached = true", DENIED },
		{ "UPDATE replies SET state = 'sent'", DENIED },
		{ "DELETE FROM cases", DENIED },
		{ "SELECT * FROM alerts", DENIED },
	};
	const struct expect responder[] = {
		{ "UPDATE replies SET attempts = attempts + 1 WHERE id = 1", "" },
		{ "INSERT INTO alerts (kind, case_id, channel, dedupe_key) VALUES ('sla_warn', 1, 'team', 'c1:1')", "" },
		{ "UPDATE replies SET text = 'rewritten'", DENIED },
		{ "INSERT INTO mentions (platform, external_id, brand, text, posted_at, thread_key)"
		  " VALUES ('reddit', 't1_y', 'acme', 'hi', now(), 't3_x')", DENIED },
		{ "DELETE FROM cases", DENIED },
		{ "UPDATE cases SET claimed_by = 'someone'", DENIED },
	};
	const struct expect manager[] = {
		{ "SELECT count(*) FROM mentions", "" },
		{ "SELECT count(*) FROM alerts", "" },
		{ "SELECT count(*) FROM case_events", "" },
		{ "UPDATE cases SET priority = 1", DENIED },
		{ "INSERT INTO templates (name, body) VALUES ('t', 'b')", DENIED },
		{ "DELETE FROM replies", DENIED },
		{ "UPDATE sources SET cursor = '{}'", DENIED },
	};
	const struct { const struct expect *e; size_t n; } all[4] = {
		{ poller, sizeof(poller) / sizeof(poller[0]) },
		{ agent, sizeof(agent) / sizeof(agent[0]) },
		{ responder, sizeof(responder) / sizeof(responder[0]) },
		{ manager, sizeof(manager) / sizeof(manager[0]) },
	};
	for (int i = 0; i < 4; i++) {
		PGconn *c = as_role(&r, i);

		check_all(c, groups[i], all[i].e, all[i].n);
		PQfinish(c);
	}
	rolesdb_release(&r);
}

/* Constraints that reject impossible states, checked as the owner (so it
 * is the schema, not a grant, that refuses). */
static void schema_rejects_impossible_states(void **state)
{
	struct rolesdb r;
	PGconn *c;
	(void)state;

	rolesdb_init(&r);
	c = ht_pg_connect(r.ci);
	const struct expect owner[] = {
		/* claimed without a claimant or lease */
		{ "UPDATE cases SET state = 'claimed' WHERE id = 1", "23514" },
		/* resolved without resolved_at */
		{ "UPDATE cases SET state = 'resolved' WHERE id = 1", "23514" },
		/* a deadline before the customer's post */
		{ "UPDATE cases SET due_at = customer_posted_at - interval '1 minute'", "23514" },
		/* a claim (claimant and lease) outside state claimed, a claimant
		 * without a claim time, closing marks on an open case, times before
		 * the case was opened (the rules of heed_case_rules, 0010) */
		{ "UPDATE cases SET claimed_by = 'alice', claimed_at = now(),"
		  " lease_until = now() + interval '5 minutes' WHERE id = 1", "23514" },
		{ "UPDATE cases SET state = 'claimed', claimed_by = 'alice',"
		  " lease_until = now() + interval '5 minutes' WHERE id = 1", "23514" },
		{ "UPDATE cases SET resolved_at = now() WHERE id = 1", "23514" },
		{ "UPDATE cases SET state = 'resolved', resolved_at = opened_at - interval '1 minute'"
		  " WHERE id = 1", "23514" },
		{ "UPDATE cases SET first_response_at = opened_at - interval '1 minute' WHERE id = 1",
		  "23514" },
		{ "UPDATE cases SET priority = 101", "23514" },
		{ "UPDATE cases SET state = 'lost'", "23514" },
		/* a second live case for the same customer and thread */
		{ "INSERT INTO cases (brand, platform, author_id, thread_key, customer_posted_at, due_at)"
		  " VALUES ('acme', 'reddit', 1, 't3_x', now(), now() + interval '30 minutes')", "23505" },
		/* the same platform post twice */
		{ "INSERT INTO mentions (platform, external_id, brand, text, posted_at, thread_key)"
		  " VALUES ('reddit', 't1_dup', 'acme', 'a', now(), 't3_x'),"
		  " ('reddit', 't1_dup', 'acme', 'b', now(), 't3_x')", "23505" },
		/* spam or the brand's own post needing a reply */
		{ "INSERT INTO mentions (platform, external_id, brand, text, posted_at, thread_key, is_spam, needs_reply)"
		  " VALUES ('reddit', 't1_s', 'acme', 'buy', now(), 't3_x', true, true)", "23514" },
		{ "INSERT INTO mentions (platform, external_id, brand, text, posted_at, thread_key)"
		  " VALUES ('tiktok', 't1_t', 'acme', 'x', now(), 't3_x')", "23514" },
		/* a sent reply without any proof of where it went */
		{ "UPDATE replies SET state = 'sent', sent_at = now() WHERE id = 1", "23514" },
		{ "UPDATE replies SET sent_at = now() WHERE id = 1", "23514" },
		/* a reply recorded from outside heed that is not sent */
		{ "INSERT INTO replies (case_id, platform, kind, text, idempotency_key)"
		  " VALUES (1, 'reddit', 'recorded', 'by hand', 'k8')", "23514" },
		{ "INSERT INTO replies (case_id, platform, text, idempotency_key) VALUES (1, 'reddit', '', 'k9')", "23514" },
		{ "INSERT INTO replies (case_id, platform, text, idempotency_key) VALUES (1, 'reddit', 'again', 'k1')", "23505" },
		/* the event log is append-only, even for the owner */
		{ "UPDATE case_events SET kind = 'resolved'", DENIED },
		{ "DELETE FROM case_events", DENIED },
		/* legal changes still work */
		{ "UPDATE replies SET state = 'sent', sent_at = now(),"
		  " platform_url = 'https://reddit.com/r/x/comments/1' WHERE id = 1", "" },
		{ "UPDATE cases SET state = 'claimed', claimed_by = 'alice', claimed_at = now(),"
		  " lease_until = now() + interval '5 minutes' WHERE id = 1", "" },
	};
	check_all(c, "owner", owner, sizeof(owner) / sizeof(owner[0]));
	PQfinish(c);
	rolesdb_release(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(migrate_from_zero_then_noop, setup),
		cmocka_unit_test_setup(concurrent_migrates_apply_once, setup),
		cmocka_unit_test_setup(edited_and_failing_migrations, setup),
		cmocka_unit_test_setup(each_role_is_refused_what_it_does_not_need, setup),
		cmocka_unit_test_setup(schema_rejects_impossible_states, setup),
	};
	return cmocka_run_group_tests_name("migrate", tests, NULL, NULL);
}
