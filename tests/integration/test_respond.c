/* test_respond.c: heed respond against the fake platforms and the private
 * cluster. Replies reach each platform exactly once, also when the platform
 * applied a post and then failed (commit-then-fail), and when the responder
 * is SIGKILLed at random moments and right between the platform's answer
 * and the commit (acceptance 2); a permanent refusal sends the case back to
 * its agent; automatic acknowledgements go out once per case, only where
 * configured, and count as first acknowledgement, not first response. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "respond_fixture.h"

static int setup(void **state)
{
	(void)state;
	if (!ht_pg_available())
		skip();
	return 0;
}

static void plain_replies_reach_each_platform_once(void **state)
{
	struct rw w;
	struct qf_run r;
	PGconn *c;
	(void)state;

	rw_init(&w, "resp", 1, 5, NULL, NULL, NULL);
	assert_int_equal(w.cases, 5 * RW_NPLAT);
	assert_int_equal(rw_answer(&w, w.q.agent[0], 0, NULL), w.cases);
	r = rw_heed(&w, w.q.responder, "respond --once");
	if (r.status)
		fail_msg("heed respond: exit %d\n%s", r.status, r.out);
	free(r.out);
	rw_assert_exactly_once(&w, w.cases);
	c = ht_pg_connect(w.q.ci);
	/* first response recorded, by the event log too, with the agent */
	assert_int_equal(ht_pg_count(c, "SELECT count(*) FROM cases WHERE first_response_at IS NOT NULL"
				     " AND first_ack_at IS NULL", NULL), w.cases);
	assert_int_equal(ht_pg_count(c, "SELECT count(*) FROM case_events e JOIN replies r"
				     " ON (e.detail->>'reply_id')::bigint = r.id"
				     " WHERE e.kind = 'reply_sent' AND e.actor = $1"
				     " AND e.detail->>'agent' = $2", w.q.responder, w.q.agent[0], NULL),
			 w.cases);
	/* each reply went out once: one POST per reply in the request log */
	assert_int_equal(ht_pg_count(c, "SELECT count(*) FROM replies WHERE attempts = 1", NULL),
			 w.cases);
	/* a second run finds nothing to do */
	r = rw_heed(&w, w.q.responder, "respond --once");
	assert_int_equal(r.status, 0);
	free(r.out);
	rw_assert_exactly_once(&w, w.cases);
	/* the poller may not post, an agent may not take the outbox */
	{
		PGconn *p = qf_as(&w.q, w.q.poller), *a = qf_as(&w.q, w.q.agent[0]);
		PGconn *m = qf_as(&w.q, w.q.manager);

		assert_string_equal(ht_pg_try(p, "SELECT * FROM heed_outbox_take('1 minute', 1)"), "42501");
		assert_string_equal(ht_pg_try(a, "SELECT * FROM heed_outbox_take('1 minute', 1)"), "42501");
		assert_string_equal(ht_pg_try(m, "SELECT heed_outbox_sent(1, 'x', NULL)"), "42501");
		assert_string_equal(ht_pg_try(a, "UPDATE replies SET state = 'sent'"), "42501");
		PQfinish(p);
		PQfinish(a);
		PQfinish(m);
	}
	PQfinish(c);
	rw_release(&w);
}

/* The platform applies the post and then answers 500 (its commit went
 * through, its answer did not): the next attempt finds the reply there and
 * does not post again. Mastodon's repeat also answers 500 (its bug). */
static void applied_then_failed_is_found_not_reposted(void **state)
{
	struct rw w;
	struct qf_run r;
	PGconn *c;
	long mark;
	json_t *log, *e;
	size_t i;
	unsigned posts = 0;
	(void)state;

	rw_init(&w, "respf", 1, 3, NULL, NULL, NULL);
	rw_answer(&w, w.q.agent[0], 0, NULL);
	assert_int_equal(fakesrv_control(&w.fake, "/_fake/config",
					 "{\"mastodon_idempotency_bug\": true}"), 200);
	assert_int_equal(fakesrv_control(&w.fake, "/_fake/faults",
		"[{\"kind\":\"commit-then-fail\",\"method\":\"POST\",\"path_prefix\":\"/api/v1/statuses\",\"count\":2},"
		" {\"kind\":\"commit-then-fail\",\"method\":\"POST\",\"path_prefix\":\"/xrpc/com.atproto.repo.createRecord\",\"count\":2},"
		" {\"kind\":\"commit-then-fail\",\"method\":\"POST\",\"path_prefix\":\"/api/comment\",\"count\":2},"
		" {\"kind\":\"commit-then-fail\",\"method\":\"POST\",\"path_prefix\":\"/2/tweets\",\"count\":2}]"),
		200);
	mark = fakesrv_log_mark(&w.fake);
	for (int k = 0; k < 20; k++) {
		r = rw_heed(&w, w.q.responder, "respond --once");
		free(r.out);
		if (r.status == 0)
			break;
		usleep(100 * 1000);
	}
	rw_assert_exactly_once(&w, w.cases);
	c = ht_pg_connect(w.q.ci);
	/* eight replies were posted once and then found by a check */
	assert_int_equal(ht_pg_count(c, "SELECT count(*) FROM replies WHERE attempts = 2", NULL), 8);
	PQfinish(c);
	log = fakesrv_log_since(&w.fake, mark);
	json_array_foreach(log, i, e) {
		const char *m = json_string_value(json_object_get(e, "method"));

		posts += m && !strcmp(m, "POST") &&
			 !strstr(json_string_value(json_object_get(e, "path")), "/_fake/") &&
			 !strstr(json_string_value(json_object_get(e, "path")), "access_token") &&
			 !strstr(json_string_value(json_object_get(e, "path")), "Session");
	}
	assert_int_equal(posts, w.cases);
	json_decref(log);
	rw_release(&w);
}

/* A refusal that will not change (text over Mastodon's limit) fails the
 * reply and hands the case back to the agent who wrote it. */
static void permanent_refusal_goes_back_to_the_agent(void **state)
{
	struct rw w;
	struct heed_db *db;
	struct heed_err err;
	struct qf_run r;
	char text[700], key[HEED_QUEUE_KEY_SIZE];
	PGconn *c;
	int64_t id;
	(void)state;

	rw_init(&w, "respp", 1, 1, NULL, NULL, NULL);
	c = ht_pg_connect(w.q.ci);
	ht_pg_exec(c, "UPDATE cases SET priority = 100 WHERE platform = 'mastodon'", NULL);
	db = qf_open(&w.q, w.q.agent[0]);
	heed_err_clear(&err);
	assert_int_equal(heed_queue_next(db, 300000, &id, &err), HEED_OK);
	memset(text, 'a', 600);
	text[600] = '\0';
	heed_queue_reply_key(key);
	assert_int_equal(heed_queue_reply(db, id, text, NULL, key, HEED_QUEUE_RESOLVE, NULL, &err),
			 HEED_OK);
	heed_db_free(db);
	r = rw_heed(&w, w.q.responder, "respond --once");
	assert_int_equal(r.status, 1);
	free(r.out);
	assert_int_equal(ht_pg_count(c, "SELECT count(*) FROM replies WHERE state = 'failed'"
				     " AND last_error LIKE '%500 exceeded%'", NULL), 1);
	/* reopened (it was closed with the reply) and claimed for the agent */
	assert_int_equal(ht_pg_count(c, "SELECT count(*) FROM cases WHERE id = $1 AND state = 'claimed'"
				     " AND claimed_by = $2 AND first_response_at IS NULL",
				     ht_num(id), w.q.agent[0], NULL), 1);
	assert_int_equal(ht_pg_count(c, "SELECT count(*) FROM case_events WHERE case_id = $1"
				     " AND kind = 'reply_failed' AND (detail->>'back_to_agent')::boolean"
				     " AND detail->>'error' LIKE '%500 exceeded%'", ht_num(id), NULL), 1);
	assert_int_equal(ht_pg_count(c, "SELECT count(*) FROM case_events WHERE case_id = $1"
				     " AND kind = 'reopened'", ht_num(id), NULL), 1);
	PQfinish(c);
	{
		json_t *all = rw_fake_replies(&w);

		assert_int_equal(json_array_size(all), 0);
		json_decref(all);
	}
	rw_release(&w);
}

/* Acknowledgements: only on the configured platforms, only for negative or
 * urgent cases, once per case however often respond runs, counted as first
 * acknowledgement; the agent's later reply still goes out. */
static void auto_ack_once_per_case(void **state)
{
	struct rw w;
	struct qf_run r;
	PGconn *c;
	json_t *all, *e;
	size_t i;
	unsigned acks = 0;
	(void)state;

	rw_init(&w, "respa", 1, 4,
		"@acme this is terrible, my order %u never arrived and nobody answers!",
		NULL, "[brand.acme]\nauto_ack = mastodon, bluesky\n");
	r = qf_heed(&w.q, w.q.agent[0], NULL,
		    "templates add auto-ack -m 'Hi {{author}}, we are sorry: {{brand}} is on it (case {{case}}).'");
	if (r.status)
		fail_msg("templates add: %s", r.out);
	free(r.out);
	c = ht_pg_connect(w.q.ci);
	/* one mastodon case is calm: it gets no acknowledgement */
	ht_pg_exec(c, "UPDATE mentions SET sentiment = 0.5, sentiment_label = 'positive',"
		      " urgency = 10, urgency_level = 'low'"
		      " WHERE id = (SELECT min(id) FROM mentions WHERE platform = 'mastodon')", NULL);
	for (int k = 0; k < 3; k++) {
		r = rw_heed(&w, w.q.responder, "respond --once");
		if (r.status)
			fail_msg("respond: exit %d\n%s", r.status, r.out);
		free(r.out);
	}
	assert_int_equal(ht_pg_count(c, "SELECT count(*) FROM replies WHERE kind = 'auto_ack'"
				     " AND state = 'sent'", NULL), 7);
	assert_int_equal(ht_pg_count(c, "SELECT count(*) FROM replies WHERE kind = 'auto_ack'"
				     " AND platform NOT IN ('mastodon', 'bluesky')", NULL), 0);
	assert_int_equal(ht_pg_count(c, "SELECT count(*) FROM cases WHERE first_ack_at IS NOT NULL"
				     " AND first_response_at IS NULL", NULL), 7);
	assert_int_equal(ht_pg_count(c, "SELECT count(*) FROM case_events WHERE kind = 'acknowledged'",
				     NULL), 7);
	all = rw_fake_replies(&w);
	json_array_foreach(all, i, e) {
		const char *t = json_string_value(json_object_get(e, "text"));

		assert_non_null(strstr(t, "we are sorry: acme is on it (case "));
		assert_null(strstr(t, "{{"));
		acks++;
	}
	assert_int_equal(acks, 7);
	json_decref(all);
	/* the agents' replies still go out, and count as first response */
	rw_answer(&w, w.q.agent[0], 0, NULL);
	r = rw_heed(&w, w.q.responder, "respond --once");
	assert_int_equal(r.status, 0);
	free(r.out);
	assert_int_equal(ht_pg_count(c, "SELECT count(*) FROM replies WHERE kind = 'human'"
				     " AND state = 'sent'", NULL), w.cases);
	assert_int_equal(ht_pg_count(c, "SELECT count(*) FROM cases WHERE first_response_at IS NOT NULL",
				     NULL), w.cases);
	assert_int_equal(ht_pg_count(c, "SELECT count(*) FROM replies WHERE kind = 'auto_ack'", NULL), 7);
	PQfinish(c);
	rw_release(&w);
}

/* Acceptance 2: 200 replies across the four platforms, the responder
 * SIGKILLed at random moments and, every few runs, exactly between the
 * platform's answer and the commit; the platforms also fail now and then
 * (503 before applying, 500 after applying). At the end each reply is on
 * its platform exactly once and recorded as sent. */
static void killed_responder_loses_and_duplicates_nothing(void **state)
{
	struct rw w;
	int kills = 0, failpoints = 0, runs = 0;
	unsigned seed = (unsigned)time(NULL);
	PGconn *c;
	(void)state;

	fprintf(stderr, "seed %u\n", seed);
	srand(seed);
	rw_init(&w, "respk", 1, 50, NULL, NULL, NULL);
	assert_int_equal(w.cases, 200);
	assert_int_equal(rw_answer(&w, w.q.agent[0], 0, NULL), 200);
	assert_int_equal(fakesrv_control(&w.fake, "/_fake/faults",
		"[{\"kind\":\"commit-then-fail\",\"method\":\"POST\",\"probability\":0.08},"
		" {\"kind\":\"status\",\"status\":503,\"method\":\"POST\",\"probability\":0.05},"
		/* slow enough that the kills land in the middle of the work */
		" {\"kind\":\"slow\",\"method\":\"POST\",\"delay_ms\":20,\"every_n\":1}]"),
		200);
	c = ht_pg_connect(w.q.ci);
	while (ht_pg_count(c, "SELECT count(*) FROM replies WHERE state <> 'sent'", NULL) > 0) {
		char *cmd;
		pid_t pid;
		int st;
		bool fp = runs % 3 == 1;

		assert_true(++runs < 400);
		cmd = xasprintf("exec env PGDATABASE=%s PGUSER=%s HEED_CONFIG='%s' HEED_TEST_TOKEN=t"
				" HEED_LOG_LEVEL=warn %s '%s' respond%s 2>/dev/null",
				w.q.dbname, w.q.responder, w.q.conf,
				fp ? "HEED_FAILPOINT=respond-after-post:3" : "", ht_heed_bin(),
				fp ? " --once" : "");
		fflush(NULL);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
			_exit(127);
		}
		free(cmd);
		if (fp) {
			assert_int_equal(waitpid(pid, &st, 0), pid);
			if (WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL)
				failpoints++;
		} else {
			usleep(20000 + (useconds_t)(rand() % 300000));
			kill(pid, SIGKILL);
			assert_int_equal(waitpid(pid, &st, 0), pid);
			kills++;
		}
	}
	fprintf(stderr, "%d runs: %d random SIGKILLs, %d between the answer and the commit\n",
		runs, kills, failpoints);
	assert_true(kills >= 20);
	assert_true(failpoints >= 5);
	rw_assert_exactly_once(&w, 200);
	assert_int_equal(ht_pg_count(c, "SELECT count(*) FROM case_events WHERE kind = 'reply_sent'",
				     NULL), 200);
	PQfinish(c);
	rw_release(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(plain_replies_reach_each_platform_once, setup),
		cmocka_unit_test_setup(applied_then_failed_is_found_not_reposted, setup),
		cmocka_unit_test_setup(permanent_refusal_goes_back_to_the_agent, setup),
		cmocka_unit_test_setup(auto_ack_once_per_case, setup),
		cmocka_unit_test_setup(killed_responder_loses_and_duplicates_nothing, setup),
	};

	return cmocka_run_group_tests_name("respond", tests, NULL, NULL);
}
