/* test_queue.c: the case queue's database functions (schema/0004_queue.sql)
 * through heed/queue.h and plain libpq, logged in as each role on the
 * private cluster: the claim plan (no Sort node), leases that expire
 * (acceptance 3), steals logged with both agents, each role refused what it
 * may not do (acceptance 4), the outbox rows part B reads, the platforms'
 * posting rules, and the state machine against the CHECKs of 0001. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "heed/buf.h"
#include "heed/db.h"
#include "heed/queue.h"
#include "queue_fixture.h"

#define DENIED "42501"

static int setup(void **state)
{
	(void)state;
	if (!ht_pg_available())
		skip();
	return 0;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1)
		;
}

static void must(int rc, const struct heed_err *err, const char *what)
{
	if (rc)
		fail_msg("%s: %s (%d)", what, heed_err_msg(err), rc);
}

/* SQLSTATE of sql as role ("" when it worked). */
static void expect_state(PGconn *c, const char *role, const char *sql,
			 const char *state)
{
	const char *got = ht_pg_try(c, sql);

	if (strcmp(got, state))
		fail_msg("%s: '%s' gave SQLSTATE '%s', want '%s'", role, sql, got, state);
}

/* The same for sql about case id: $1 is the case, $2 is name (parameters). */
static void expect_case(PGconn *c, const char *role, const char *sql, long id,
			const char *name, const char *state)
{
	const char *got = ht_pg_try_case(c, sql, id, name);

	if (strcmp(got, state))
		fail_msg("%s: '%s' ($1 = %ld, $2 = %s) gave SQLSTATE '%s', want '%s'",
			 role, sql, id, name ? name : "NULL", got, state);
}

/* ---- the claim statement's plan ---- */

static void collect(void *arg, const PGresult *res)
{
	struct heed_buf *b = arg;

	if (heed_buf_adds(b, PQresultErrorMessage(res)) || heed_buf_adds(b, "\n----\n"))
		abort();
}

/* The plan of the UPDATE inside heed_claim_next, as the server ran it
 * (auto_explain of nested statements, sent back as NOTICEs): the partial
 * index in claim order feeds LockRows and Limit; nothing is sorted. */
static void claim_plan_has_no_sort(void **state)
{
	struct qf q;
	struct heed_buf b;
	PGconn *c;
	const char *plan, *end;
	char *one;
	(void)state;

	qf_init(&q, "plan", 1);
	for (int i = 0; i < 4; i++)
		qf_cases(&q, 5000, "mastodon");
	c = ht_pg_connect(q.ci);	/* the superuser may LOAD auto_explain */
	heed_buf_init(&b, 0);
	PQsetNoticeReceiver(c, collect, &b);
	expect_state(c, "owner", "VACUUM ANALYZE cases", "");
	expect_state(c, "owner", "LOAD 'auto_explain'", "");
	expect_state(c, "owner", "SET auto_explain.log_min_duration = 0", "");
	expect_state(c, "owner", "SET auto_explain.log_nested_statements = on", "");
	expect_state(c, "owner", "SET auto_explain.log_level = 'notice'", "");
	expect_state(c, "owner", "SELECT * FROM heed_claim_next('5 minutes')", "");
	plan = strstr(heed_buf_str(&b), "ORDER BY q.priority DESC");
	if (!plan)
		fail_msg("no claim plan among the notices:\n%s", heed_buf_str(&b));
	while (plan > heed_buf_str(&b) && strncmp(plan, "----", 4))
		plan--;
	end = strstr(plan + 4, "----");
	one = xstrndup(plan, end ? (size_t)(end - plan) : strlen(plan));
	if (!strstr(one, "Index Scan using cases_queue_idx") || !strstr(one, "Limit") ||
	    strstr(one, "Sort"))
		fail_msg("the claim must read cases_queue_idx in order, unsorted:\n%s", one);
	fprintf(stderr, "claim plan:\n%s\n", one);
	free(one);
	heed_buf_release(&b);
	PQfinish(c);
	qf_release(&q);
}

/* ---- leases (acceptance 3) ---- */

static void an_unrenewed_claim_expires(void **state)
{
	struct qf q;
	struct heed_db *a, *b, *w;
	struct heed_err err;
	int64_t id, id2;
	unsigned n;
	PGconn *c;
	long first;
	(void)state;

	qf_init(&q, "lease", 2);
	first = qf_cases(&q, 1, "mastodon");
	a = qf_open(&q, q.agent[0]);
	b = qf_open(&q, q.agent[1]);
	heed_err_clear(&err);
	must(heed_queue_next(a, 1000, &id, &err), &err, "a claims");
	assert_int_equal(id, first);
	/* while the lease runs nobody else gets it */
	assert_int_equal(heed_queue_next(b, 60000, &id2, &err), HEED_ENOTFOUND);
	sleep_ms(1200);		/* past the 1 s lease: nothing to wait for */
	heed_err_clear(&err);
	must(heed_queue_next(b, 60000, &id2, &err), &err, "b claims after expiry");
	assert_int_equal(id2, first);
	c = ht_pg_connect(q.ci);
	assert_int_equal(ht_pg_count(c, "SELECT count(*) FROM case_events WHERE case_id = $1"
				     " AND kind = 'lease_expired' AND actor = $2 AND detail->>'agent' = $3",
				     ht_num(first), q.agent[1], q.agent[0], NULL), 1);
	assert_int_equal(ht_pg_count(c, "SELECT count(*) FROM cases WHERE id = $1 AND claimed_by = $2",
				     ht_num(first), q.agent[1], NULL), 1);
	/* the first holder can no longer answer it */
	assert_int_equal(heed_queue_reply(a, first, "hello", NULL, NULL, 0, NULL, &err),
			 HEED_ECONFLICT);

	/* a watcher (the responder role) ends lapsed claims without any agent */
	heed_err_clear(&err);
	must(heed_queue_renew(b, first, 1000, &err), &err, "b renews for 1 s");
	sleep_ms(1200);
	w = qf_open(&q, q.responder);
	must(heed_queue_expire(w, &n, &err), &err, "responder expires");
	assert_int_equal(n, 1);
	assert_int_equal(ht_pg_count(c, "SELECT count(*) FROM cases WHERE id = $1 AND state = 'open'"
				     " AND claimed_by IS NULL AND lease_until IS NULL", ht_num(first), NULL),
			 1);
	assert_int_equal(ht_pg_count(c, "SELECT count(*) FROM case_events WHERE case_id = $1"
				     " AND kind = 'lease_expired' AND actor = $2", ht_num(first),
				     q.responder, NULL), 1);
	/* a renewed claim does not expire */
	must(heed_queue_claim(a, first, false, 60000, &err), &err, "a claims again");
	must(heed_queue_renew(a, first, 60000, &err), &err, "a renews");
	must(heed_queue_expire(w, &n, &err), &err, "expire");
	assert_int_equal(n, 0);
	PQfinish(c);
	heed_db_free(a);
	heed_db_free(b);
	heed_db_free(w);
	qf_release(&q);
}

static void a_steal_is_logged_with_both_agents(void **state)
{
	struct qf q;
	struct heed_db *a, *b;
	struct heed_err err;
	PGconn *c;
	long id;
	(void)state;

	qf_init(&q, "steal", 2);
	id = qf_cases(&q, 1, "mastodon");
	a = qf_open(&q, q.agent[0]);
	b = qf_open(&q, q.agent[1]);
	heed_err_clear(&err);
	must(heed_queue_claim(a, id, false, 300000, &err), &err, "a claims");
	assert_int_equal(heed_queue_claim(b, id, false, 300000, &err), HEED_ECONFLICT);
	assert_non_null(strstr(err.msg, q.agent[0]));
	assert_non_null(strstr(err.msg, "--steal"));
	assert_null(strstr(err.msg, "queue_claim"));	/* no statement names */
	assert_int_equal(heed_queue_reply(b, id, "hi", NULL, NULL, 0, NULL, &err), HEED_ECONFLICT);
	assert_int_equal(heed_queue_resolve(b, id, true, &err), HEED_ECONFLICT);
	assert_int_equal(heed_queue_release(b, id, &err), HEED_ECONFLICT);
	assert_int_equal(heed_queue_snooze(b, id, 60000, &err), HEED_ECONFLICT);
	heed_err_clear(&err);
	must(heed_queue_claim(b, id, true, 300000, &err), &err, "b steals");
	c = ht_pg_connect(q.ci);
	assert_int_equal(ht_pg_count(c, "SELECT count(*) FROM case_events WHERE case_id = $1"
				     " AND kind = 'stolen' AND actor = $2 AND detail->>'from' = $3"
				     " AND detail->>'to' = $2", ht_num(id), q.agent[1], q.agent[0], NULL), 1);
	/* now a is the one refused */
	assert_int_equal(heed_queue_reply(a, id, "hi", NULL, NULL, 0, NULL, &err), HEED_ECONFLICT);
	heed_err_clear(&err);
	must(heed_queue_reply(b, id, "Sorry about that!", NULL, NULL, 0, NULL, &err), &err,
	     "b replies");
	PQfinish(c);
	heed_db_free(a);
	heed_db_free(b);
	qf_release(&q);
}

/* ---- each role refused (acceptance 4) ---- */

/* Every case's state and holder, and the row counts of what agents write. */
static void snapshot(PGconn *c, char *out, size_t n)
{
	PGresult *r = PQexec(c, "SELECT string_agg(id || state || coalesce(claimed_by, '-'), ','"
			     " ORDER BY id) || (SELECT count(*) FROM replies) || ':'"
			     " || (SELECT count(*) FROM case_events) || ':'"
			     " || (SELECT count(*) FROM templates) FROM cases");

	assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
	snprintf(out, n, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
}

static void each_role_is_refused_by_the_database(void **state)
{
	struct qf q;
	struct heed_db *b;
	struct heed_err err;
	PGconn *c, *owner;
	long id, free_id;
	char before[512], after[512];
	(void)state;

	qf_init(&q, "roles", 2);
	id = qf_cases(&q, 2, "mastodon");
	free_id = id + 1;
	b = qf_open(&q, q.agent[1]);
	heed_err_clear(&err);
	must(heed_queue_claim(b, id, false, 300000, &err), &err, "b claims");
	owner = ht_pg_connect(q.ci);
	snapshot(owner, before, sizeof(before));

	/* agent a: cannot act as b, nor on b's case, nor write around the functions */
	c = qf_as(&q, q.agent[0]);
	const char *agent_denied[] = {
		"UPDATE cases SET claimed_by = $2 WHERE id = $1",
		"UPDATE cases SET state = 'resolved', resolved_at = now() WHERE id = $1",
		"INSERT INTO replies (case_id, platform, text, idempotency_key, agent)"
		" VALUES ($1, 'mastodon', 'x', 'k-forged', $2)",
		"INSERT INTO case_events (case_id, kind, actor) VALUES ($1, 'noted', $2)",
		"UPDATE case_events SET actor = $2 WHERE case_id = $1",
		"DELETE FROM replies WHERE case_id = $1",
		"INSERT INTO templates (name, body) VALUES ('t' || $1, $2)",
		"SELECT heed_q_event($1, $2, 'noted', '{}')",
		"SELECT heed_q_move(c, 'claim', $2, '1 hour', $2, 'claimed', NULL)"
		" FROM cases c WHERE id = $1",
		"SELECT heed_q_expire($2)",
		"SELECT set_config('role', $2, false)",
		"SELECT set_config('session_authorization', $2, false)",
	};
	for (size_t i = 0; i < sizeof(agent_denied) / sizeof(agent_denied[0]); i++)
		expect_case(c, "agent", agent_denied[i], id, q.agent[1], DENIED);
	expect_case(c, "agent", "SELECT heed_queue_reply($1, 'answering for b')", id, NULL, "HQ001");
	expect_case(c, "agent", "SELECT heed_resolve($1, true)", id, NULL, "HQ001");
	expect_case(c, "agent", "SELECT heed_release($1)", id, NULL, "HQ001");
	expect_case(c, "agent", "SELECT heed_renew($1)", id, NULL, "HQ001");
	expect_case(c, "agent", "SELECT heed_snooze($1, '1 hour')", id, NULL, "HQ001");
	expect_case(c, "agent", "SELECT heed_record_reply($1, 'https://example.com/r/1')", id, NULL, "HQ001");
	PQfinish(c);

	/* the poller cannot post replies (nor claim) */
	c = qf_as(&q, q.poller);
	const char *poller_denied[] = {
		"SELECT heed_queue_reply($1, 'hi')",
		"SELECT heed_record_reply($1, 'https://example.com/1')",
		"SELECT * FROM heed_claim_next()",
		"SELECT heed_claim($1)",
		"INSERT INTO replies (case_id, platform, text, idempotency_key)"
		" VALUES ($1, 'mastodon', 'x', 'k-poller')",
	};
	for (size_t i = 0; i < sizeof(poller_denied) / sizeof(poller_denied[0]); i++)
		expect_case(c, "poller", poller_denied[i], free_id, NULL, DENIED);
	PQfinish(c);

	/* the manager reads everything and changes nothing */
	c = qf_as(&q, q.manager);
	const char *manager_denied[] = {
		"SELECT * FROM heed_claim_next()", "SELECT heed_claim($1)",
		"SELECT heed_renew($1)", "SELECT heed_release($1)",
		"SELECT heed_assign($1, 'nobody')", "SELECT heed_queue_reply($1, 'hi')",
		"SELECT heed_record_reply($1, 'https://example.com/1')",
		"SELECT heed_resolve($1)", "SELECT heed_reopen($1)",
		"SELECT heed_snooze($1, '1 hour')", "SELECT heed_note($1, 'n')",
		"SELECT heed_tag($1, '{a}')", "SELECT heed_expire_leases()",
		"SELECT heed_template_add('t', 'b')", "SELECT heed_template_edit('t', 'b')",
		"UPDATE cases SET priority = 1 WHERE id = $1", "DELETE FROM case_events",
		"INSERT INTO case_events (case_id, kind) VALUES ($1, 'noted')",
		"UPDATE templates SET body = 'x'",
	};
	for (size_t i = 0; i < sizeof(manager_denied) / sizeof(manager_denied[0]); i++)
		expect_case(c, "manager", manager_denied[i], free_id, NULL, DENIED);
	expect_state(c, "manager", "SELECT count(*) FROM cases", "");
	expect_state(c, "manager", "SELECT count(*) FROM case_events", "");
	expect_case(c, "manager", "SELECT * FROM heed_case_reply_target($1)", free_id, NULL, "");
	PQfinish(c);

	/* the responder may end lapsed leases, and nothing an agent does */
	c = qf_as(&q, q.responder);
	expect_state(c, "responder", "SELECT heed_expire_leases()", "");
	expect_case(c, "responder", "SELECT heed_queue_reply($1, 'hi')", free_id, NULL, DENIED);
	expect_state(c, "responder", "SELECT * FROM heed_claim_next()", DENIED);
	PQfinish(c);

	/* nothing changed */
	snapshot(owner, after, sizeof(after));
	assert_string_equal(before, after);
	PQfinish(owner);
	heed_db_free(b);
	qf_release(&q);
}

/* No function an agent may call takes the acting agent as an argument:
 * only heed_assign names an agent, the one it hands the case to. */
static void no_function_takes_the_acting_agent(void **state)
{
	struct qf q;
	PGconn *c;
	PGresult *r;
	(void)state;

	qf_init(&q, "args", 1);
	c = ht_pg_connect(q.ci);
	r = PQexec(c, "SELECT p.proname, a.name FROM pg_proc p,"
		      " unnest(p.proargnames) a(name)"
		      " WHERE has_function_privilege('heed_agent', p.oid, 'EXECUTE')"
		      "  AND p.pronamespace = 'public'::regnamespace"
		      "  AND a.name ~ '(agent|actor|user|role|who|by)'"
		      "  AND NOT (p.proname = 'heed_assign' AND a.name = 'p_agent')");
	assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
	if (PQntuples(r))
		fail_msg("%s takes %s", PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1));
	PQclear(r);
	/* and every agent function is SECURITY DEFINER with a pinned search_path */
	r = PQexec(c, "SELECT p.proname FROM pg_proc p"
		      " WHERE has_function_privilege('heed_agent', p.oid, 'EXECUTE')"
		      "  AND p.pronamespace = 'public'::regnamespace AND p.proname LIKE 'heed\\_%'"
		      "  AND p.proname <> 'heed_source_lock_class'"
		      "  AND NOT (p.prosecdef AND 'search_path=public, pg_temp' = ANY (p.proconfig))");
	assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
	if (PQntuples(r))
		fail_msg("%s is not SECURITY DEFINER with search_path pinned", PQgetvalue(r, 0, 0));
	PQclear(r);
	PQfinish(c);
	qf_release(&q);
}

/* ---- replies: the rows heed respond (part B) reads ---- */

static void replies_are_queued_once_per_key(void **state)
{
	struct qf q;
	struct heed_db *a;
	struct heed_err err;
	char key[HEED_QUEUE_KEY_SIZE];
	int64_t cid, r1, r2;
	PGconn *c;
	PGresult *r;
	const char *sql;
	(void)state;

	qf_init(&q, "reply", 1);
	qf_cases(&q, 2, "bluesky");
	a = qf_open(&q, q.agent[0]);
	c = ht_pg_connect(q.ci);
	heed_err_clear(&err);
	must(heed_queue_next(a, 300000, &cid, &err), &err, "next");
	heed_queue_reply_key(key);
	assert_int_equal(strlen(key), 37);
	assert_memory_equal(key, "heed-", 5);
	must(heed_queue_reply(a, cid, "Sorry, we are on it.", NULL, key, 0, &r1, &err), &err,
	     "reply");
	/* a retry with the same key (a lost answer) returns the same reply */
	must(heed_queue_reply(a, cid, "Sorry, we are on it.", NULL, key, 0, &r2, &err), &err,
	     "retry");
	assert_int_equal(r1, r2);
	assert_int_equal(heed_queue_reply(a, cid, "Something else", NULL, key, 0, &r2, &err),
			 HEED_ECONFLICT);
	sql = "SELECT r.case_id, r.mention_id = (SELECT max(id) FROM mentions"
			" WHERE case_id = r.case_id), r.platform, r.kind, r.state, r.agent,"
			" r.idempotency_key, r.attempts, r.sent_at IS NULL, c.state,"
			" c.claimed_by IS NULL, (SELECT count(*) FROM case_events e"
			"  WHERE e.case_id = r.case_id AND e.kind = 'reply_queued'"
			"  AND e.actor = r.agent AND (e.detail->>'reply_id')::bigint = r.id)"
			" FROM replies r JOIN cases c ON c.id = r.case_id WHERE r.id = $1::bigint";
	{
		const char *p[] = { ht_num(r1) };

		r = PQexecParams(c, sql, 1, NULL, p, NULL, NULL, 0);
	}
	assert_int_equal(PQntuples(r), 1);
	assert_int_equal(strtoll(PQgetvalue(r, 0, 0), NULL, 10), cid);
	assert_string_equal(PQgetvalue(r, 0, 1), "t");
	assert_string_equal(PQgetvalue(r, 0, 2), "bluesky");
	assert_string_equal(PQgetvalue(r, 0, 3), "human");
	assert_string_equal(PQgetvalue(r, 0, 4), "queued");
	assert_string_equal(PQgetvalue(r, 0, 5), q.agent[0]);
	assert_string_equal(PQgetvalue(r, 0, 6), key);
	assert_string_equal(PQgetvalue(r, 0, 7), "0");
	assert_string_equal(PQgetvalue(r, 0, 8), "t");
	assert_string_equal(PQgetvalue(r, 0, 9), "waiting");
	assert_string_equal(PQgetvalue(r, 0, 10), "t");
	assert_string_equal(PQgetvalue(r, 0, 11), "1");
	PQclear(r);
	/* a second reply while the first is on its way: refused */
	must(heed_queue_claim(a, cid, false, 300000, &err), &err, "claim again");
	assert_int_equal(heed_queue_reply(a, cid, "And another thing", NULL, NULL, 0, NULL, &err),
			 HEED_ECONFLICT);
	assert_non_null(strstr(err.msg, "already has a reply on its way"));
	/* text the platform would show as garbage, or a hole, is refused */
	assert_int_equal(heed_queue_reply(a, cid, "Hi {{author}}", NULL, NULL, 0, NULL, &err),
			 HEED_EINVAL);
	assert_int_equal(heed_queue_reply(a, cid, "bell\a", NULL, NULL, 0, NULL, &err),
			 HEED_EINVAL);
	assert_int_equal(heed_queue_reply(a, cid, "   ", NULL, NULL, 0, NULL, &err), HEED_EINVAL);
	/* on its way means queued, sending or unknown; a sent or failed reply
	 * is not (0009 says it as NOT IN sent, failed) */
	ht_pg_exec(c, "UPDATE replies SET state = 'sending' WHERE id = $1::bigint", ht_num(r1), NULL);
	assert_int_equal(heed_queue_reply(a, cid, "And another thing", NULL, NULL, 0, NULL, &err),
			 HEED_ECONFLICT);
	assert_non_null(strstr(err.msg, "already has a reply on its way"));
	ht_pg_exec(c, "UPDATE replies SET state = 'unknown' WHERE id = $1::bigint", ht_num(r1), NULL);
	assert_int_equal(heed_queue_reply(a, cid, "And another thing", NULL, NULL, 0, NULL, &err),
			 HEED_ECONFLICT);
	ht_pg_exec(c, "UPDATE replies SET state = 'failed' WHERE id = $1::bigint", ht_num(r1), NULL);
	must(heed_queue_reply(a, cid, "And another thing", NULL, NULL, 0, &r2, &err), &err,
	     "reply after a failed one");
	assert_true(r2 != r1);
	/* without a key, one is made */
	must(heed_queue_next(a, 300000, &cid, &err), &err, "next");
	must(heed_queue_reply(a, cid, "Thanks!", NULL, NULL, HEED_QUEUE_RESOLVE, &r2, &err), &err,
	     "reply and resolve");
	assert_int_equal(ht_pg_count(c, "SELECT count(*) FROM replies r JOIN cases c ON c.id = r.case_id"
				     " WHERE r.id = $1 AND r.idempotency_key ~ '^heed-[0-9a-f]{32}$'"
				     " AND c.state = 'resolved' AND c.resolved_at IS NOT NULL",
				     ht_num(r2), NULL), 1);
	PQfinish(c);
	heed_db_free(a);
	qf_release(&q);
}

/* The wake-ups on heed_outbox that c (LISTENing) has received, up to the
 * sentinel payload another connection sends after them: notifications
 * arrive in commit order, so everything committed before the sentinel is
 * counted, without guessing how long to wait. */
static int wakes_before_sentinel(PGconn *c, PGconn *other)
{
	int wakes = 0;

	ht_pg_exec(other, "SELECT pg_notify('heed_outbox', 'sentinel')", NULL);
	for (;;) {
		PGnotify *n;

		while ((n = PQnotifies(c))) {
			bool end = strcmp(n->extra, "sentinel") == 0;

			wakes += !end && strcmp(n->relname, "heed_outbox") == 0;
			PQfreemem(n);
			if (end)
				return wakes;
		}
		/* waits for the server; the sentinel always comes */
		PQclear(PQexec(c, "SELECT 1"));
	}
}

/* An idempotency key is 8 to 100 characters, each a letter, a digit or one
 * of . _ : ~ - (0009 checks length and alphabet apart): the bounds pass,
 * one past them and any other character are refused before anything is
 * written. */
static void reply_keys_are_checked(void **state)
{
	struct qf q;
	struct heed_db *a;
	struct heed_err err;
	int64_t cid, rid;
	char k100[101], k101[102];
	PGconn *c;
	static const char *const bad[] = {
		"heed-12",		/* 7 */
		"heed-key with space",
		"heed-k\xc3\xa9y-accent",	/* é: a letter, but not ASCII */
		"heed-key/slash",
		"heed-key\nnewline",
	};
	(void)state;

	memset(k100, 'k', 100);
	k100[100] = '\0';
	memset(k101, 'k', 101);
	k101[101] = '\0';
	qf_init(&q, "keys", 1);
	qf_cases(&q, 3, "mastodon");
	a = qf_open(&q, q.agent[0]);
	c = ht_pg_connect(q.ci);
	heed_err_clear(&err);
	must(heed_queue_next(a, 300000, &cid, &err), &err, "next");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(heed_queue_reply(a, cid, "Sorry, we are on it.", NULL, bad[i], 0,
						  NULL, &err), HEED_EINVAL);
		assert_non_null(strstr(err.msg, "bad idempotency key"));
		heed_err_clear(&err);
	}
	assert_int_equal(heed_queue_reply(a, cid, "Sorry, we are on it.", NULL, k101, 0, NULL,
					  &err), HEED_EINVAL);
	heed_err_clear(&err);
	assert_int_equal(ht_pg_count(c, "SELECT count(*) FROM replies", NULL), 0);
	must(heed_queue_reply(a, cid, "Sorry, we are on it.", NULL, "a.b_c:d~", 0, &rid, &err),
	     &err, "8 characters");
	must(heed_queue_next(a, 300000, &cid, &err), &err, "next");
	must(heed_queue_reply(a, cid, "Sorry, we are on it.", NULL, k100, 0, &rid, &err), &err,
	     "100 characters");
	assert_int_equal(ht_pg_count(c, "SELECT count(*) FROM replies", NULL), 2);
	PQfinish(c);
	heed_db_free(a);
	qf_release(&q);
}

/* Taking or renewing a claim commits without waiting for the disk (0009):
 * synchronous_commit is off inside its transaction, and on again after it,
 * so the reply that follows on the same session waits for the disk. */
static void claims_commit_without_waiting(void **state)
{
	struct qf q;
	struct heed_db *a;
	struct heed_err err;
	int64_t cid;
	PGconn *ac;
	static const char *const sync_off =
		"SELECT (current_setting('synchronous_commit') = 'off')::int";
	static const char *const claims[] = {
		"SELECT heed_claim_next('5 minutes')",
		"SELECT heed_claim($1, false, '5 minutes')",
		"SELECT heed_renew($1, '5 minutes')",
	};
	(void)state;

	qf_init(&q, "lease", 1);
	qf_cases(&q, 2, "mastodon");
	a = qf_open(&q, q.agent[0]);
	ac = heed_db_conn(a);
	assert_int_equal(ht_pg_count(ac, sync_off, NULL), 0);
	for (size_t i = 0; i < sizeof(claims) / sizeof(claims[0]); i++) {
		long open_case = ht_pg_count(ac, "SELECT coalesce((SELECT id FROM cases"
					     " WHERE claimed_by = session_user LIMIT 1),"
					     " (SELECT min(id) FROM cases))", NULL);

		ht_pg_exec(ac, "BEGIN", NULL);
		if (i == 0)
			ht_pg_exec(ac, claims[i], NULL);
		else
			ht_pg_exec(ac, claims[i], ht_num(open_case), NULL);
		assert_int_equal(ht_pg_count(ac, sync_off, NULL), 1);
		ht_pg_exec(ac, "COMMIT", NULL);
		assert_int_equal(ht_pg_count(ac, sync_off, NULL), 0);
	}
	/* a failed claim leaves the session as it was, too */
	assert_string_equal(ht_pg_try(ac, "SELECT heed_claim_next('1 year')"), "22023");
	assert_int_equal(ht_pg_count(ac, sync_off, NULL), 0);
	/* the cycle through the library: the reply's session is synchronous */
	heed_err_clear(&err);
	must(heed_queue_next(a, 300000, &cid, &err), &err, "next");
	assert_int_equal(ht_pg_count(ac, sync_off, NULL), 0);
	must(heed_queue_reply(a, cid, "Sorry, we are on it.", NULL, NULL, HEED_QUEUE_RESOLVE,
			      NULL, &err), &err, "reply");
	heed_db_free(a);
	qf_release(&q);
}

/* A reply wakes the responder when the outbox had nothing due, and only
 * then: with a reply due already, the responder is busy and takes the new
 * one in its next pass (0009). An automatic acknowledgement wakes it each
 * time one is queued (0010). */
static void a_reply_wakes_an_idle_responder(void **state)
{
	struct qf q;
	struct heed_db *a;
	struct heed_err err;
	int64_t cid, rid;
	PGconn *listener, *c;
	(void)state;

	qf_init(&q, "wake", 1);
	qf_cases(&q, 4, "mastodon");
	a = qf_open(&q, q.agent[0]);
	c = ht_pg_connect(q.ci);
	listener = ht_pg_connect(q.ci);
	ht_pg_exec(listener, "LISTEN heed_outbox", NULL);
	heed_err_clear(&err);
	/* an empty outbox: one wake-up */
	must(heed_queue_next(a, 300000, &cid, &err), &err, "next");
	must(heed_queue_reply(a, cid, "Sorry, we are on it.", NULL, NULL, HEED_QUEUE_RESOLVE,
			      &rid, &err), &err, "reply");
	assert_int_equal(wakes_before_sentinel(listener, c), 1);
	/* that reply is due: the next one wakes nobody */
	must(heed_queue_next(a, 300000, &cid, &err), &err, "next");
	must(heed_queue_reply(a, cid, "Sorry, we are on it.", NULL, NULL, HEED_QUEUE_RESOLVE,
			      NULL, &err), &err, "reply");
	assert_int_equal(wakes_before_sentinel(listener, c), 0);
	/* replies waiting out a backoff are not due work: a wake-up again */
	ht_pg_exec(c, "UPDATE replies SET next_attempt_at = now() + interval '10 minutes'", NULL);
	must(heed_queue_next(a, 300000, &cid, &err), &err, "next");
	must(heed_queue_reply(a, cid, "Sorry, we are on it.", NULL, NULL, HEED_QUEUE_RESOLVE,
			      NULL, &err), &err, "reply");
	assert_int_equal(wakes_before_sentinel(listener, c), 1);
	/* an automatic acknowledgement wakes it each time one is queued
	 * (c is the owner, so it may act as the responder) */
	long open_case = ht_pg_count(c, "SELECT id FROM cases WHERE state IN ('new', 'open')", NULL);
	assert_true(open_case > 0);
	ht_pg_exec(c, "SELECT heed_auto_ack_queue($1, 'We saw this and are on it.', NULL)",
		   ht_num(open_case), NULL);
	assert_int_equal(wakes_before_sentinel(listener, c), 1);
	/* the case has its acknowledgement: none again, and no wake-up */
	ht_pg_exec(c, "SELECT heed_auto_ack_queue($1, 'We saw this and are on it.', NULL)",
		   ht_num(open_case), NULL);
	assert_int_equal(wakes_before_sentinel(listener, c), 0);
	assert_int_equal(ht_pg_count(c, "SELECT count(*) FROM replies WHERE case_id = $1"
				     " AND kind = 'auto_ack'", ht_num(open_case), NULL), 1);
	PQfinish(listener);
	PQfinish(c);
	heed_db_free(a);
	qf_release(&q);
}

static void platforms_that_heed_cannot_post_to(void **state)
{
	struct qf q;
	struct heed_db *a;
	struct heed_err err;
	long hn, x;
	int64_t rid, rid2;
	PGconn *c;
	(void)state;

	qf_init(&q, "platf", 1);
	hn = qf_cases(&q, 1, "hn");
	x = qf_cases(&q, 2, "x");
	a = qf_open(&q, q.agent[0]);
	c = ht_pg_connect(q.ci);
	/* X: only a post that mentions the brand's account; unknown is no */
	ht_pg_exec(c, "UPDATE mentions SET mentions_account = false WHERE case_id = $1", ht_num(x), NULL);
	ht_pg_exec(c, "UPDATE mentions SET mentions_account = NULL WHERE case_id = $1", ht_num(x + 1),
		   NULL);
	heed_err_clear(&err);
	must(heed_queue_claim(a, hn, false, 300000, &err), &err, "claim hn");
	assert_int_equal(heed_queue_reply(a, hn, "hi", NULL, NULL, 0, NULL, &err), HEED_ESTATE);
	assert_non_null(strstr(err.msg, "Hacker News"));
	assert_non_null(strstr(err.msg, "record-reply"));
	must(heed_queue_claim(a, x, false, 300000, &err), &err, "claim x");
	assert_int_equal(heed_queue_reply(a, x, "hi", NULL, NULL, 0, NULL, &err), HEED_ESTATE);
	assert_non_null(strstr(err.msg, "mention the brand"));
	must(heed_queue_claim(a, x + 1, false, 300000, &err), &err, "claim x+1");
	assert_int_equal(heed_queue_reply(a, x + 1, "hi", NULL, NULL, 0, NULL, &err), HEED_ESTATE);
	ht_pg_exec(c, "UPDATE mentions SET mentions_account = true WHERE case_id = $1", ht_num(x + 1),
		   NULL);
	heed_err_clear(&err);
	must(heed_queue_reply(a, x + 1, "hi", NULL, NULL, 0, NULL, &err), &err, "x reply");

	/* recorded by hand instead: sent, with the URL, first response now */
	assert_int_equal(heed_queue_record_reply(a, hn, "javascript:alert(1)", NULL, &rid, &err),
			 HEED_EINVAL);
	heed_err_clear(&err);
	must(heed_queue_record_reply(a, hn, "https://news.ycombinator.com/item?id=1", NULL, &rid,
				     &err), &err, "record");
	must(heed_queue_record_reply(a, hn, "https://news.ycombinator.com/item?id=1", NULL, &rid2,
				     &err), &err, "record again");
	assert_int_equal(rid, rid2);
	assert_int_equal(ht_pg_count(c, "SELECT count(*) FROM replies r JOIN cases c ON c.id = r.case_id"
				     " WHERE r.id = $1 AND r.kind = 'recorded' AND r.state = 'sent'"
				     " AND r.sent_at IS NOT NULL AND r.platform_url LIKE 'https://news.%'"
				     " AND c.first_response_at IS NOT NULL AND c.state = 'waiting'"
				     " AND r.agent = $2", ht_num(rid), q.agent[0], NULL), 1);
	PQfinish(c);
	heed_db_free(a);
	qf_release(&q);
}

/* ---- the rest of a case's life ---- */

static void resolve_reopen_snooze_note_tag_assign(void **state)
{
	struct qf q;
	struct heed_db *a, *b;
	struct heed_err err;
	const char *add[] = { "vip", "billing" }, *rm[] = { "vip" }, *bad[] = { "Bad Tag" };
	int64_t id, next;
	PGconn *c;
	(void)state;

	qf_init(&q, "life", 2);
	id = qf_cases(&q, 1, "reddit");
	a = qf_open(&q, q.agent[0]);
	b = qf_open(&q, q.agent[1]);
	c = ht_pg_connect(q.ci);
	heed_err_clear(&err);
	/* no reply yet: resolving needs --no-reply-needed */
	assert_int_equal(heed_queue_resolve(a, id, false, &err), HEED_ESTATE);
	must(heed_queue_resolve(a, id, true, &err), &err, "ignore");
	assert_int_equal(ht_pg_count(c, "SELECT count(*) FROM cases WHERE id = $1"
				     " AND state = 'ignored' AND resolved_at IS NOT NULL", ht_num(id), NULL),
			 1);
	assert_int_equal(heed_queue_claim(a, id, false, 60000, &err), HEED_ESTATE);
	assert_int_equal(heed_queue_resolve(a, id, true, &err), HEED_ESTATE);
	heed_err_clear(&err);
	must(heed_queue_reopen(a, id, &err), &err, "reopen");
	assert_int_equal(heed_queue_reopen(a, id, &err), HEED_ESTATE);

	/* snooze: hidden from next, and the deadline does not move */
	const char *due_sql = "SELECT extract(epoch FROM due_at)::bigint FROM cases WHERE id = $1";
	long due = ht_pg_count(c, due_sql, ht_num(id), NULL);
	heed_err_clear(&err);
	must(heed_queue_snooze(a, id, 3600000, &err), &err, "snooze");
	assert_int_equal(ht_pg_count(c, due_sql, ht_num(id), NULL), due);
	assert_int_equal(heed_queue_next(b, 60000, &next, &err), HEED_ENOTFOUND);

	/* notes and tags: any agent, recorded with the actor */
	heed_err_clear(&err);
	must(heed_queue_note(b, id, "customer called back", &err), &err, "note");
	must(heed_queue_tag(b, id, add, 2, NULL, 0, &err), &err, "tag");
	must(heed_queue_tag(a, id, NULL, 0, rm, 1, &err), &err, "untag");
	assert_int_equal(heed_queue_tag(a, id, bad, 1, NULL, 0, &err), HEED_EINVAL);
	assert_int_equal(heed_queue_note(a, 999999, "x", &err), HEED_ENOTFOUND);
	assert_int_equal(ht_pg_count(c, "SELECT count(*) FROM cases c WHERE id = $1"
				     " AND array_to_string(tags, ',') || ':' || (SELECT string_agg(kind || '/'"
				     " || (actor = $2)::text, ',' ORDER BY id) FROM case_events"
				     " WHERE case_id = c.id AND kind IN ('noted', 'tagged'))"
				     " = 'billing:noted/true,tagged/true,tagged/false'",
				     ht_num(id), q.agent[1], NULL), 1);

	/* assign: a hands the case to b; a manager is no agent */
	heed_err_clear(&err);
	must(heed_queue_assign(a, id, q.agent[1], false, 600000, &err), &err, "assign");
	assert_int_equal(heed_queue_assign(a, id, q.manager, false, 600000, &err), HEED_EINVAL);
	assert_int_equal(heed_queue_assign(a, id, q.agent[0], false, 600000, &err), HEED_ECONFLICT);
	assert_int_equal(ht_pg_count(c, "SELECT count(*) FROM case_events e JOIN cases c ON c.id = e.case_id"
				     " WHERE e.case_id = $1 AND e.kind = 'assigned' AND e.actor = $2"
				     " AND e.detail->>'to' = $3 AND c.claimed_by = $3", ht_num(id),
				     q.agent[0], q.agent[1], NULL), 1);
	PQfinish(c);
	heed_db_free(a);
	heed_db_free(b);
	qf_release(&q);
}

/* Every transition of case_transitions, applied by heed_q_move from a row
 * in its start state, lands in its end state without breaking a CHECK of
 * 0001: the state machine and the constraints agree. */
static void transitions_agree_with_the_checks(void **state)
{
	struct qf q;
	PGconn *c;
	PGresult *t;
	long id;
	(void)state;

	qf_init(&q, "fsm", 1);
	id = qf_cases(&q, 1, "mastodon");
	c = ht_pg_connect(q.ci);
	t = PQexec(c, "SELECT op, from_state, to_state FROM case_transitions ORDER BY op, from_state");
	assert_int_equal(PQresultStatus(t), PGRES_TUPLES_OK);
	assert_true(PQntuples(t) >= 20);
	for (int i = 0; i < PQntuples(t); i++) {
		const char *op = PQgetvalue(t, i, 0), *from = PQgetvalue(t, i, 1);
		const char *to = PQgetvalue(t, i, 2);
		PGresult *r;

		ht_pg_exec(c, "BEGIN", NULL);
		ht_pg_exec(c, "UPDATE cases SET state = $2::text,"
			      " claimed_by = CASE WHEN $2 = 'claimed' THEN 'someone' END,"
			      " claimed_at = CASE WHEN $2 = 'claimed' THEN now() END,"
			      " lease_until = CASE WHEN $2 = 'claimed' THEN now() + interval '1 hour' END,"
			      " resolved_at = CASE WHEN $2 IN ('resolved', 'ignored') THEN now() END"
			      " WHERE id = $1", ht_num(id), from, NULL);
		ht_pg_exec(c, "SELECT heed_q_move(c, $2, 'agent', '5 minutes', 'tester', 'noted', NULL)"
			      " FROM cases c WHERE id = $1", ht_num(id), op, NULL);
		if (ht_pg_count(c, "SELECT count(*) FROM cases WHERE id = $1 AND state = $2",
				ht_num(id), to, NULL) != 1)
			fail_msg("%s from %s did not end in %s", op, from, to);
		r = PQexec(c, "ROLLBACK");
		PQclear(r);
	}
	PQclear(t);
	/* and an operation from a state it does not start from is refused */
	{
		const char *p[] = { ht_num(id) };
		PGresult *r = PQexecParams(c, "SELECT heed_q_move(c, 'release', NULL, NULL, 't', NULL, NULL)"
					   " FROM cases c WHERE id = $1::bigint", 1, NULL, p, NULL, NULL, 0);
		const char *st = PQresultErrorField(r, PG_DIAG_SQLSTATE);

		assert_string_equal(st ? st : "", "HQ003");
		PQclear(r);
	}
	PQfinish(c);
	qf_release(&q);
}

static void templates_through_the_functions(void **state)
{
	struct qf q;
	struct heed_db *a;
	struct heed_template_list l;
	struct heed_err err;
	PGconn *c;
	(void)state;

	qf_init(&q, "tmpl", 1);
	a = qf_open(&q, q.agent[0]);
	heed_err_clear(&err);
	must(heed_queue_template_add(a, "sorry", "Hi {{author}}, {{agent}} here.",
				     "delivery, refund", NULL, &err), &err, "add");
	assert_int_equal(heed_queue_template_add(a, "sorry", "again", "", NULL, &err),
			 HEED_ECONFLICT);
	/* the database refuses a stray brace too */
	assert_int_equal(heed_queue_template_add(a, "broken", "Hi {{author", "", NULL, &err),
			 HEED_EINVAL);
	heed_err_clear(&err);
	must(heed_queue_template_edit(a, "sorry", NULL, NULL, "acme", &err), &err, "edit brand");
	assert_int_equal(heed_queue_template_edit(a, "nope", "x", NULL, NULL, &err),
			 HEED_ENOTFOUND);
	heed_err_clear(&err);
	must(heed_queue_templates(a, "sorry", &l, &err), &err, "read");
	assert_int_equal(l.n, 1);
	assert_string_equal(l.t[0].topics, "delivery,refund");
	assert_string_equal(l.t[0].brand, "acme");
	assert_string_equal(l.t[0].created_by, q.agent[0]);
	assert_string_equal(l.t[0].updated_by, q.agent[0]);
	heed_template_list_release(&l);
	c = qf_as(&q, q.agent[0]);
	expect_state(c, "agent", "UPDATE templates SET body = 'x'", DENIED);
	PQfinish(c);
	heed_db_free(a);
	qf_release(&q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(claim_plan_has_no_sort, setup),
		cmocka_unit_test_setup(an_unrenewed_claim_expires, setup),
		cmocka_unit_test_setup(a_steal_is_logged_with_both_agents, setup),
		cmocka_unit_test_setup(each_role_is_refused_by_the_database, setup),
		cmocka_unit_test_setup(no_function_takes_the_acting_agent, setup),
		cmocka_unit_test_setup(replies_are_queued_once_per_key, setup),
		cmocka_unit_test_setup(reply_keys_are_checked, setup),
		cmocka_unit_test_setup(claims_commit_without_waiting, setup),
		cmocka_unit_test_setup(a_reply_wakes_an_idle_responder, setup),
		cmocka_unit_test_setup(platforms_that_heed_cannot_post_to, setup),
		cmocka_unit_test_setup(resolve_reopen_snooze_note_tag_assign, setup),
		cmocka_unit_test_setup(transitions_agree_with_the_checks, setup),
		cmocka_unit_test_setup(templates_through_the_functions, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
