/* test_queue_load.c: acceptance 1: 10,000 customer posts on the fake
 * platforms (2,500 on each that takes replies) are ingested by heed poll;
 * 16 agent processes, each logged in as its own role, take `heed next` and
 * reply until every case is answered; then two `heed respond` processes
 * post the outbox side by side. Every case must be claimed by exactly one
 * agent and get exactly one reply, queued by that agent, and every reply
 * must appear exactly once in the fake server's log. Each agent process
 * first runs the heed binary itself (heed next, heed reply -m) a few times,
 * then goes on through the same library calls those commands make, so that
 * 20,000 process starts do not dominate the run. */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "heed/db.h"
#include "heed/queue.h"
#include "respond_fixture.h"

#define AGENTS 16
#define PER_PLATFORM 2500
#define CASES (PER_PLATFORM * RW_NPLAT)
#define RESPONDERS 2
#define CLI_CYCLES 4	/* per agent, through the heed binary */

static int setup(void **state)
{
	(void)state;
	if (!ht_pg_available())
		skip();
	return 0;
}

/* One cycle through the binary: `heed next`, then `heed reply ID -m`.
 * Returns 1 when a case was answered, 0 when none was waiting, -1 on error. */
static int cli_cycle(const struct qf *q, const char *role)
{
	char *cmd = xasprintf("PGDATABASE=%s PGUSER=%s HEED_CONFIG='%s' '%s' next 2>&1",
			      q->dbname, role, q->conf, ht_heed_bin());
	char line[512];
	long long id = 0;
	FILE *p = popen(cmd, "r");
	int st;

	free(cmd);
	if (!p)
		return -1;
	while (fgets(line, sizeof(line), p))
		if (!id && sscanf(line, "claimed case %lld", &id) != 1)
			id = 0;
	st = pclose(p);
	if (!WIFEXITED(st) || (WEXITSTATUS(st) && id))
		return -1;
	if (WEXITSTATUS(st) == 1 && !id)
		return 0;	/* no case is waiting */
	cmd = xasprintf("PGDATABASE=%s PGUSER=%s HEED_CONFIG='%s' '%s' reply %lld"
			" -m 'Sorry about that (case %lld), we are on it.' >/dev/null 2>&1",
			q->dbname, role, q->conf, ht_heed_bin(), id, id);
	st = system(cmd);
	free(cmd);
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 1 : -1;
}

/* The agent process: answer cases until none is left; write how many to
 * fd. Exits 0, or 1 with a message on any failure. */
static void agent(const struct qf *q, int i, int fd)
{
	const char *role = q->agent[i];
	struct heed_db *db = qf_open(q, role);
	struct heed_err err;
	unsigned long n = 0;
	char out[32];
	int64_t id;
	int len;

	for (int k = 0; k < CLI_CYCLES; k++) {
		int rc = cli_cycle(q, role);

		if (rc < 0) {
			fprintf(stderr, "%s: heed next/reply failed\n", role);
			_exit(1);
		}
		n += (unsigned long)rc;
	}
	for (;;) {
		char key[HEED_QUEUE_KEY_SIZE], text[80];
		int rc;

		heed_err_clear(&err);
		rc = heed_queue_next(db, 300000, &id, &err);
		if (rc == HEED_ENOTFOUND)
			break;
		heed_queue_reply_key(key);
		/* X refuses a second post with the same text */
		snprintf(text, sizeof(text), "Sorry about that (case %lld), we are on it.",
			 (long long)id);
		if (rc || heed_queue_reply(db, id, text, NULL, key, 0, NULL, &err)) {
			fprintf(stderr, "%s: %s\n", role, heed_err_msg(&err));
			_exit(1);
		}
		n++;
	}
	heed_db_free(db);
	len = snprintf(out, sizeof(out), "%d %lu\n", i, n);
	if (write(fd, out, (size_t)len) != len)
		_exit(1);
	_exit(0);
}

/* Two responders side by side until the outbox is empty. */
static void post_outbox(struct rw *w)
{
	PGconn *c = ht_pg_connect(w->q.ci);

	for (int round = 0; ht_pg_count(c, "SELECT count(*) FROM replies WHERE state <> 'sent'",
					 NULL) > 0; round++) {
		pid_t pids[RESPONDERS];

		assert_true(round < 50);
		fflush(NULL);
		for (int i = 0; i < RESPONDERS; i++) {
			pids[i] = fork();
			assert_true(pids[i] >= 0);
			if (pids[i] == 0) {
				struct qf_run r = rw_heed(w, w->q.responder, "respond --once");

				if (r.status)
					fprintf(stderr, "respond: exit %d\n%s", r.status, r.out);
				_exit(r.status == 0 || r.status == 5 ? 0 : 1);
			}
		}
		for (int i = 0; i < RESPONDERS; i++) {
			int st;

			assert_int_equal(waitpid(pids[i], &st, 0), pids[i]);
			assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
		}
	}
	PQfinish(c);
}

static void every_case_claimed_once_and_answered_once(void **state)
{
	struct rw w;
	struct qf *qp = &w.q;
	pid_t pids[AGENTS];
	int fds[2];
	unsigned long total = 0, got[AGENTS] = { 0 };
	char buf[AGENTS * 40] = "";
	size_t used = 0;
	ssize_t r;
	PGconn *c;
	(void)state;

	/* no rate limits: this is about concurrency, not budgets */
	static const char *const fake_args[] = { "--budget", "0", NULL };

	rw_init(&w, "load", AGENTS, PER_PLATFORM, NULL, fake_args, NULL);
	assert_int_equal(w.cases, CASES);
	ht_pg_admin(qp->dbname, "VACUUM ANALYZE cases");
	assert_int_equal(pipe(fds), 0);
	fflush(NULL);
	for (int i = 0; i < AGENTS; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0) {
			close(fds[0]);
			agent(qp, i, fds[1]);
		}
	}
	close(fds[1]);
	while ((r = read(fds[0], buf + used, sizeof(buf) - 1 - used)) > 0)
		used += (size_t)r;
	close(fds[0]);
	buf[used] = '\0';
	for (int i = 0; i < AGENTS; i++) {
		int st;

		assert_int_equal(waitpid(pids[i], &st, 0), pids[i]);
		if (!WIFEXITED(st) || WEXITSTATUS(st))
			fail_msg("agent %d failed", i);
	}
	{
		char *p = buf;

		for (int k = 0; k < AGENTS && *p; k++) {
			unsigned long i = strtoul(p, &p, 10), n = strtoul(p, &p, 10);

			assert_true(i < AGENTS);
			got[i] = n;
			total += n;
		}
	}
	fprintf(stderr, "cases answered per agent process:");
	for (int i = 0; i < AGENTS; i++)
		fprintf(stderr, " %lu", got[i]);
	fprintf(stderr, "\n");
	assert_int_equal(total, CASES);

	c = ht_pg_connect(qp->ci);
	/* each case: one claim, one reply, one reply_queued, all by one agent */
	assert_int_equal(qf_long(c, "SELECT count(*) FROM cases"), CASES);
	assert_int_equal(qf_long(c, "SELECT count(*) FROM cases WHERE state = 'waiting'"
				    " AND claimed_by IS NULL"), CASES);
	assert_int_equal(qf_long(c, "SELECT count(*) FROM case_events WHERE kind = 'claimed'"), CASES);
	assert_int_equal(qf_long(c, "SELECT count(DISTINCT case_id) FROM case_events"
				    " WHERE kind = 'claimed'"), CASES);
	assert_int_equal(qf_long(c, "SELECT count(*) FROM replies"), CASES);
	assert_int_equal(qf_long(c, "SELECT count(DISTINCT case_id) FROM replies"), CASES);
	assert_int_equal(qf_long(c, "SELECT count(DISTINCT idempotency_key) FROM replies"), CASES);
	assert_int_equal(qf_long(c, "SELECT count(*) FROM replies WHERE kind = 'human'"
				    " AND state = 'queued' AND attempts = 0 AND sent_at IS NULL"
				    " AND mention_id IS NOT NULL"), CASES);
	assert_int_equal(qf_long(c, "SELECT count(*) FROM case_events WHERE kind = 'reply_queued'"), CASES);
	assert_int_equal(qf_long(c, "SELECT count(*) FROM case_events WHERE kind IN"
				    " ('stolen', 'lease_expired', 'assigned', 'released')"), 0);
	/* the agent who claimed a case is the one who answered it */
	assert_int_equal(qf_long(c, "SELECT count(*) FROM cases k"
				    " JOIN case_events cl ON cl.case_id = k.id AND cl.kind = 'claimed'"
				    " JOIN replies r ON r.case_id = k.id"
				    " JOIN case_events rq ON rq.case_id = k.id AND rq.kind = 'reply_queued'"
				    " WHERE cl.actor = r.agent AND rq.actor = r.agent"
				    "  AND (rq.detail->>'reply_id')::bigint = r.id"), CASES);
	/* and each agent's share in the database equals what it reported */
	for (int i = 0; i < AGENTS; i++) {
		long n = ht_pg_count(c, "SELECT count(*) FROM replies WHERE agent = $1",
				     qp->agent[i], NULL);

		if ((unsigned long)n != got[i])
			fail_msg("%s: %ld replies in the database, %lu reported", qp->agent[i], n, got[i]);
	}
	post_outbox(&w);
	rw_assert_exactly_once(&w, CASES);
	assert_int_equal(qf_long(c, "SELECT count(*) FROM cases WHERE first_response_at IS NULL"), 0);
	PQfinish(c);
	rw_release(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(every_case_claimed_once_and_answered_once, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
