/* queue_bench.c: the case queue's figures, each beside its baseline measured
 * in the same run (bench/queue.sh starts a private, durable cluster and runs
 * this with PG* set). A cycle is what an agent does to a case: claim it
 * (heed_queue_next), queue a reply, resolve it, through heed/queue.h and the
 * database functions, each its own transaction, by N agent threads, each
 * logged in as its own role. The baseline is a bare SKIP LOCKED claim and
 * update on a plain table of the same depth (the queue study's cycle). Then
 * `heed queue` is timed with 100,000 open cases.
 *
 * The cycle is two transactions, as the baseline's is: the claim, then the
 * reply queued and the case resolved together (heed reply --resolve). The
 * three-transaction form (reply, then resolve) is reported on stderr. Each
 * cycle figure is the median of ROUNDS runs, each on queues filled back to
 * DEPTH and vacuumed; stderr lists every run.
 *
 *   queue_bench HEED_BIN [SECONDS]
 *
 * On stderr, beside each figure: the agents' backends' CPU per cycle (what
 * other work on a noisy machine disturbs least), the WAL written per cycle
 * (flushes, bytes, full-page images) and how idle the machine was. QUEUE_BENCH_PROFILE=N runs only the
 * cycle with N agents (default 4) after the fill, for perf or auto_explain.
 *
 * The SQL here is fixture and baseline only; heed's queue SQL lives in
 * responder/queue.c. */
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "heed/db.h"
#include "heed/migrate.h"
#include "heed/queue.h"
#include "heed/xalloc.h"

#define DEPTH 100000
#define MAX_AGENTS 16
#define DBNAME "heedbench"
#define ROUNDS 3		/* runs per figure; the median is printed */

static int64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void die(const char *what, const char *msg)
{
	fprintf(stderr, "queue_bench: %s: %s\n", what, msg);
	exit(1);
}

static void quiet(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

/* Run sql as the superuser on dbname: with n parameters as one statement,
 * without as a script. Dies on an error. */
static void admin_with(const char *dbname, const char *sql, int n,
		       const char *const *params)
{
	char ci[128];
	PGconn *c;
	PGresult *r;

	snprintf(ci, sizeof(ci), "dbname=%s user=postgres", dbname);
	c = PQconnectdb(ci);
	if (PQstatus(c) != CONNECTION_OK)
		die("connect", PQerrorMessage(c));
	PQsetNoticeProcessor(c, quiet, NULL);
	r = n ? PQexecParams(c, sql, n, NULL, params, NULL, NULL, 0) : PQexec(c, sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
		die(sql, PQerrorMessage(c));
	PQclear(r);
	PQfinish(c);
}

static void admin(const char *dbname, const char *sql)
{
	admin_with(dbname, sql, 0, NULL);
}

static struct heed_db *open_as(const char *user)
{
	char ci[128];
	struct heed_db_opts o = { .conninfo = ci, .retries = 3, .retry_max_wait_ms = 500,
				  .application_name = "queue_bench" };
	struct heed_err err;
	struct heed_db *db;

	snprintf(ci, sizeof(ci), "dbname=" DBNAME " user=%s", user);
	heed_err_clear(&err);
	db = heed_db_open(&o, &err);
	if (!db)
		die("open", heed_err_msg(&err));
	return db;
}

/* Statistics of every table the cycle reads, fresh, as autovacuum keeps
 * them in a database in use. */
static void analyze(void)
{
	admin(DBNAME, "VACUUM ANALYZE cases, mentions, replies, case_events, bench_bare");
}

/* Both queues back to DEPTH open items: the baseline's table (of the same
 * partial index shape) made again, and new open cases (one post each) for
 * those claimed since. Called before every run's pair (then analyze()), as
 * the queue study re-made its queue before every run: later runs would
 * otherwise meet a shallower queue, and the baseline's ran it dry at 16
 * agents. */
static void refill(void)
{
	char run[24], depth[16];
	const char *params[] = { run, depth };

	snprintf(run, sizeof(run), "%lld", (long long)now_us());
	snprintf(depth, sizeof(depth), "%d", DEPTH);
	admin(DBNAME, "TRUNCATE bench_bare");
	admin_with(DBNAME,
		   "INSERT INTO bench_bare (priority, due_at)"
		   " SELECT (i % 100)::smallint, now() + (i % 1800) * interval '1 second'"
		   " FROM generate_series(1, $1::integer) i", 1, params + 1);
	admin_with(DBNAME,
		   "INSERT INTO cases (brand, platform, author_id, thread_key, priority,"
		   " customer_posted_at, due_at)"
		   " SELECT 'acme', 'mastodon', 1 + i % 1000, 'b' || i || '-' || $1,"
		   " (i % 100)::smallint, now(), now() + (i % 1800) * interval '1 second'"
		   " FROM generate_series(1, $2::integer - (SELECT count(*) FROM cases"
		   "  WHERE state IN ('new', 'open'))::integer) i", 2, params);
	admin(DBNAME,
	      "INSERT INTO mentions (platform, external_id, brand, author_id, text,"
	      " posted_at, thread_key, case_id, sentiment, sentiment_label, topics, needs_reply)"
	      " SELECT 'mastodon', 'm' || c.id, 'acme', c.author_id,"
	      " 'my order never arrived, case ' || c.id, now(), c.thread_key, c.id,"
	      " -0.5, 'negative', '{delivery}', true"
	      " FROM cases c WHERE c.state IN ('new', 'open')"
	      " AND NOT EXISTS (SELECT 1 FROM mentions m WHERE m.case_id = c.id)");
}

/* Fixture: the open queues (refill), and beside them a history of DEPTH
 * closed cases, each with its sent reply and its events, as a team's
 * database holds after its first weeks. Without it, replies starts empty,
 * and the agents' long-lived sessions keep the sequential-scan plans made
 * while it was (heed reply, a new session each time, never would). */
static void fill(void)
{
	char run[24], depth[16];
	const char *params[] = { run, depth };

	snprintf(run, sizeof(run), "%lld", (long long)now_us());
	snprintf(depth, sizeof(depth), "%d", DEPTH);
	refill();
	admin_with(DBNAME,
		   "WITH c AS ("
		   " INSERT INTO cases (brand, platform, author_id, thread_key, priority, state,"
		   " customer_posted_at, opened_at, due_at, first_response_at, resolved_at)"
		   " SELECT 'acme', 'mastodon', 1 + i % 1000, 'h' || i || '-' || $1, 50, 'resolved',"
		   " now() - interval '2 days', now() - interval '2 days',"
		   " now() - interval '2 days' + interval '30 minutes',"
		   " now() - interval '1 day', now() - interval '1 day'"
		   " FROM generate_series(1, $2::integer) i RETURNING id),"
		   " r AS (INSERT INTO replies (case_id, platform, text, agent, idempotency_key,"
		   " state, platform_reply_id, sent_at)"
		   " SELECT id, 'mastodon', 'Sorry about that, we are on it.', 'bench_a1',"
		   " 'hist-' || id, 'sent', 'r' || id, now() - interval '1 day' FROM c)"
		   " INSERT INTO case_events (case_id, actor, kind, at)"
		   " SELECT id, 'bench_a1', k, now() - interval '1 day' FROM c,"
		   " unnest('{opened,claimed,reply_queued,reply_sent,resolved}'::text[]) k",
		   2, params);
	analyze();
	admin(DBNAME, "CHECKPOINT");
}

static void setup(void)
{
	struct heed_db_opts o = { .conninfo = "dbname=" DBNAME " user=postgres" };
	struct heed_err err;
	struct heed_db *db;
	unsigned n;
	char sql[256];

	admin("postgres", "DROP DATABASE IF EXISTS " DBNAME);
	admin("postgres", "CREATE DATABASE " DBNAME);
	heed_err_clear(&err);
	db = heed_db_open(&o, &err);
	if (!db || heed_migrate_apply(db, heed_migrations, NULL, NULL, &n, &err))
		die("migrate", heed_err_msg(&err));
	heed_db_free(db);
	for (int i = 1; i <= MAX_AGENTS; i++) {
		snprintf(sql, sizeof(sql),
			 "DROP ROLE IF EXISTS bench_a%d; CREATE ROLE bench_a%d LOGIN IN ROLE heed_agent",
			 i, i);
		admin("postgres", sql);
	}
	admin(DBNAME,
	      "INSERT INTO authors (platform, external_id, handle)"
	      " SELECT 'mastodon', 'a' || i, 'customer' || i FROM generate_series(1, 1000) i;"
	      "CREATE TABLE bench_bare (id bigserial PRIMARY KEY, priority smallint NOT NULL,"
	      " due_at timestamptz NOT NULL, state text NOT NULL DEFAULT 'open',"
	      " claimed_by text, claimed_at timestamptz, done_at timestamptz);"
	      "CREATE INDEX bench_bare_open_idx ON bench_bare (priority DESC, due_at)"
	      " WHERE state = 'open';"
	      "GRANT SELECT, UPDATE ON bench_bare TO heed_agent;");
}

enum mode {
	BARE,		/* the baseline: claim; complete */
	QUEUE,		/* claim; reply and resolve (heed reply --resolve) */
	QUEUE3,		/* claim; reply; resolve: three transactions */
};

struct agent {
	pthread_t thread;
	int n;
	enum mode mode;
	uint64_t cycles, errors;
	int64_t *claim_us;	/* latency of each claim, in microseconds */
	size_t nclaims, cap;
	double cpu_s;		/* its backend's CPU time over the run */
};

/* CPU time (user + system) of process pid so far, in seconds; 0 when
 * /proc cannot tell. The backends' CPU per cycle is the figure that noise
 * from other work on the machine disturbs least. */
static double proc_cpu(int pid)
{
	char path[64], buf[1024], *p;
	unsigned long long ut = 0, st = 0;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (!(f = fopen(path, "r")))
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* fields 14 and 15, counted after the parenthesised command name */
	if (!(p = strrchr(buf, ')')) ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
		return 0;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* Every agent connects, then all start together at the barrier and run
 * until the deadline main sets right after it. */
static pthread_barrier_t start_line;
static atomic_llong deadline_us;

/* The baseline cycle: the queue study's claim_complete.sql, two
 * autocommit statements on the plain table. */
static const struct heed_stmt st_bare_claim = {
	"bare_claim",
	"UPDATE bench_bare SET state = 'claimed', claimed_by = $1, claimed_at = now()"
	" WHERE id = (SELECT id FROM bench_bare WHERE state = 'open'"
	" ORDER BY priority DESC, due_at LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING id",
	1, false,
};
static const struct heed_stmt st_bare_done = {
	"bare_done",
	"UPDATE bench_bare SET state = 'done', done_at = now() WHERE id = $1 AND state = 'claimed'",
	1, false,
};

static bool bare_cycle(struct heed_db *db, const char *me, struct heed_err *err)
{
	const char *p1[] = { me };
	PGresult *r = heed_db_exec(db, &st_bare_claim, p1, err);
	char id[24];

	if (!r || PQntuples(r) != 1) {
		if (r)
			heed_err_set(err, HEED_ESTATE, "the baseline's queue is empty");
		PQclear(r);
		return false;
	}
	snprintf(id, sizeof(id), "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	const char *p2[] = { id };
	r = heed_db_exec(db, &st_bare_done, p2, err);
	PQclear(r);
	return r != NULL;
}

static bool queue_cycle(struct heed_db *db, struct agent *a, struct heed_err *err)

{
	char key[HEED_QUEUE_KEY_SIZE];
	int64_t id, t0 = now_us();

	if (heed_queue_next(db, 300000, &id, err))
		return false;
	if (a->nclaims == a->cap) {
		a->cap = a->cap ? 2 * a->cap : 4096;
		a->claim_us = xreallocarray(a->claim_us, a->cap, sizeof(*a->claim_us));
	}
	a->claim_us[a->nclaims++] = now_us() - t0;
	heed_queue_reply_key(key);
	if (a->mode == QUEUE3)
		return !heed_queue_reply(db, id, "Sorry about that, we are on it.", NULL,
					 key, 0, NULL, err) &&
		       !heed_queue_resolve(db, id, false, err);
	return !heed_queue_reply(db, id, "Sorry about that, we are on it.", NULL, key,
				 HEED_QUEUE_RESOLVE, NULL, err);
}

static void *agent_main(void *arg)
{
	struct agent *a = arg;
	char me[32];
	struct heed_db *db;
	struct heed_err err;

	snprintf(me, sizeof(me), "bench_a%d", a->n);
	db = open_as(me);
	int backend = PQbackendPID(heed_db_conn(db));
	pthread_barrier_wait(&start_line);
	a->cpu_s = -proc_cpu(backend);
	while (now_us() < atomic_load(&deadline_us)) {
		bool ok;

		heed_err_clear(&err);
		ok = a->mode == BARE ? bare_cycle(db, me, &err) : queue_cycle(db, a, &err);
		if (ok) {
			a->cycles++;
		} else if (++a->errors < 3) {
			fprintf(stderr, "queue_bench: %s: %s\n", me, heed_err_msg(&err));
		}
	}
	a->cpu_s += proc_cpu(backend);
	heed_db_free(db);
	return NULL;
}

static int cmp64(const void *x, const void *y)
{
	int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;

	return (a > b) - (a < b);
}

static int cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return (a > b) - (a < b);
}

/* The median of n figures (n odd); sorts v. */
static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return v[n / 2];
}

/* Idle and total CPU time of the machine so far, in clock ticks. */
static void machine_cpu(double *idle, double *total)
{
	unsigned long long v[10] = { 0 };
	FILE *f = fopen("/proc/stat", "r");

	*idle = *total = 0;
	if (!f)
		return;
	if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1],
		   &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9]) >= 5) {
		for (int i = 0; i < 8; i++)	/* guest time is counted in user */
			*total += (double)v[i];
		*idle = (double)(v[3] + v[4]);
	}
	fclose(f);
}

/* WAL of the cluster so far (pg_stat_wal): flushes, bytes, full-page
 * images. */
struct wal {
	double syncs, bytes, fpi;
};

static struct wal wal_now(void)
{
	PGconn *c = PQconnectdb("dbname=" DBNAME);
	PGresult *r = PQexec(c, "SELECT wal_sync, wal_bytes, wal_fpi FROM pg_stat_wal");
	struct wal w = { 0, 0, 0 };

	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) {
		w.syncs = strtod(PQgetvalue(r, 0, 0), NULL);
		w.bytes = strtod(PQgetvalue(r, 0, 1), NULL);
		w.fpi = strtod(PQgetvalue(r, 0, 2), NULL);
	}
	PQclear(r);
	PQfinish(c);
	return w;
}

/* Run n agents for secs; returns cycles per second. With lat, the claim
 * latencies of all agents are sorted into it (caller frees). */
static double run(int n, enum mode mode, double secs, int64_t **lat, size_t *nlat)
{
	struct agent ag[MAX_AGENTS] = { 0 };
	uint64_t total = 0, errors = 0;
	int64_t start;
	double cpu = 0, idle0, total0, idle1, total1;
	struct wal w0 = wal_now(), w1;

	atomic_store(&deadline_us, INT64_MAX);
	pthread_barrier_init(&start_line, NULL, (unsigned)n + 1);
	for (int i = 0; i < n; i++) {
		ag[i].n = i + 1;
		ag[i].mode = mode;
		if (pthread_create(&ag[i].thread, NULL, agent_main, &ag[i]))
			die("pthread_create", "failed");
	}
	pthread_barrier_wait(&start_line);
	machine_cpu(&idle0, &total0);
	start = now_us();
	atomic_store(&deadline_us, start + (int64_t)(secs * 1e6));
	for (int i = 0; i < n; i++)
		pthread_join(ag[i].thread, NULL);
	machine_cpu(&idle1, &total1);
	pthread_barrier_destroy(&start_line);
	if (lat) {
		*nlat = 0;
		for (int i = 0; i < n; i++)
			*nlat += ag[i].nclaims;
		*lat = xcalloc(*nlat ? *nlat : 1, sizeof(**lat));
		*nlat = 0;
		for (int i = 0; i < n; i++) {
			memcpy(*lat + *nlat, ag[i].claim_us, ag[i].nclaims * sizeof(int64_t));
			*nlat += ag[i].nclaims;
		}
		qsort(*lat, *nlat, sizeof(**lat), cmp64);
	}
	for (int i = 0; i < n; i++) {
		total += ag[i].cycles;
		errors += ag[i].errors;
		cpu += ag[i].cpu_s;
		free(ag[i].claim_us);
	}
	if (errors)
		fprintf(stderr, "queue_bench: %d agents, %s: %" PRIu64 " failed cycles\n",
			n, mode == BARE ? "bare" : "queue", errors);
	w1 = wal_now();
	if (total)
		fprintf(stderr, "queue_bench: %d agents, %s: backend CPU %.0f us/cycle,"
			" WAL %.2f flushes, %.0f bytes, %.2f full pages per cycle,"
			" machine %.0f%% idle\n", n, mode == BARE ? "bare" :
			mode == QUEUE ? "queue" : "queue3", cpu / (double)total * 1e6,
			(w1.syncs - w0.syncs) / (double)total, (w1.bytes - w0.bytes) / (double)total,
			(w1.fpi - w0.fpi) / (double)total, total1 > total0 ?
			100.0 * (idle1 - idle0) / (total1 - total0) : 0.0);
	return (double)total / (double)(now_us() - start) * 1e6;
}

/* Wall time of `heed queue` (table to /dev/null) as agent bench_a1, ms. */
static double time_list(const char *heed)
{
	double best[7];
	int runs = (int)(sizeof(best) / sizeof(best[0]));

	for (int i = -1; i < runs; i++) {	/* one warm-up */
		int64_t t0 = now_us();
		pid_t pid = fork();
		int st;

		if (pid == 0) {
			setenv("PGUSER", "bench_a1", 1);
			setenv("PGDATABASE", DBNAME, 1);
			if (!freopen("/dev/null", "w", stdout))
				_exit(126);
			execl(heed, "heed", "queue", (char *)NULL);
			_exit(127);
		}
		if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) ||
		    WEXITSTATUS(st))
			die("heed queue", "failed");
		if (i >= 0)
			best[i] = (double)(now_us() - t0) / 1000.0;
	}
	qsort(best, (size_t)runs, sizeof(best[0]), cmp_double);
	return best[runs / 2];
}

int main(int argc, char **argv)
{
	static const int agents[] = { 1, 4, 16 };
	double secs = argc > 2 ? strtod(argv[2], NULL) : 4.0;
	int64_t *lat = NULL;
	size_t nlat = 0;
	double q, b, p99 = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: queue_bench HEED_BIN [SECONDS]\n");
		return 2;
	}
	if (secs <= 0)
		secs = 4.0;
	setup();
	fill();
	if (getenv("QUEUE_BENCH_PROFILE")) {	/* one cycle count alone, for perf */
		int n = atoi(getenv("QUEUE_BENCH_PROFILE"));

		n = n >= 1 && n <= MAX_AGENTS ? n : 4;
		fprintf(stderr, "queue_bench: profiling from now\n");
		printf("queue cycles at %d agents: %.0f/s\n", n, run(n, QUEUE, secs, NULL, NULL));
		return 0;
	}
	printf("bench queue_list_100k: %.1f ms\n", time_list(argv[1]));
	fflush(stdout);
	for (size_t i = 0; i < sizeof(agents) / sizeof(agents[0]); i++) {
		int n = agents[i];
		double bs[ROUNDS], qs[ROUNDS];

		/* ROUNDS pairs, each run on freshly vacuumed tables (as the queue
		 * study re-made its queue before every run); the figure is the
		 * median, since single runs on this VM spread by 40% and more */
		for (int r = 0; r < ROUNDS; r++) {
			int64_t *l = NULL;
			size_t nl = 0;

			refill();
			analyze();
			bs[r] = run(n, BARE, secs, NULL, NULL);
			analyze();
			qs[r] = run(n, QUEUE, secs, n == 4 ? &l : NULL, &nl);
			if (l) {
				lat = xreallocarray(lat, nlat + nl + 1, sizeof(*lat));
				memcpy(lat + nlat, l, nl * sizeof(*lat));
				nlat += nl;
				free(l);
			}
		}
		fprintf(stderr, "queue_bench: %d agents: queue runs", n);
		for (int r = 0; r < ROUNDS; r++)
			fprintf(stderr, " %.0f", qs[r]);
		fprintf(stderr, ", bare runs");
		for (int r = 0; r < ROUNDS; r++)
			fprintf(stderr, " %.0f", bs[r]);
		fprintf(stderr, " cycles/s\n");
		q = median(qs, ROUNDS);
		b = median(bs, ROUNDS);
		printf("bench queue_cycles_%d: %.0f cycles/s vs bare_claim %.0f cycles/s, ratio %.2f\n",
		       n, q, b, b > 0 ? q / b : 0);
		if (n == 4 && nlat) {
			qsort(lat, nlat, sizeof(*lat), cmp64);
			p99 = (double)lat[(nlat * 99) / 100] / 1000.0;
			fprintf(stderr, "queue_bench: claim latency at 4 agents: p50 %.2f ms,"
				" p99 %.2f ms, max %.2f ms over %zu claims\n",
				(double)lat[nlat / 2] / 1000.0, p99,
				(double)lat[nlat - 1] / 1000.0, nlat);
		}
		if (n == 4) {
			refill();
			analyze();
			fprintf(stderr, "queue_bench: 4 agents, claim; reply; resolve as three"
				" transactions: %.0f cycles/s\n", run(n, QUEUE3, secs, NULL, NULL));
		}
		fflush(stdout);
	}
	printf("bench claim_p99_4: %.2f ms\n", p99);
	free(lat);
	return 0;
}
