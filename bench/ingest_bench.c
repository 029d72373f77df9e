/* ingest_bench.c: the collectors' throughput and detection latency, each
 * beside a baseline from the same run (bench/ingest.sh starts PostgreSQL
 * and the fake platform server, then runs this).
 *
 *   ingest_bench rate CONFIG EXPECTED
 *     poll every source (--once cycles) until EXPECTED mentions are stored:
 *     fetched from the fake server, classified and committed; then insert
 *     the same rows (every column) again into a copy of the table with
 *     plain multi-row INSERTs of 100 rows. Prints ingest_rate vs raw_insert,
 *     and copy_bound: the same rows in one COPY into a copy of the table
 *     with its indexes and foreign keys, the most storing them can go.
 *   ingest_bench detect CONFIG EXPECTED SECONDS
 *     run the poll loop (interval from CONFIG) while posts appear on the
 *     fake over time; then the time from each post's appearance to its case
 *     existing (both on the fake's timeline and the database clock).
 * The database is libpq's default (PGHOST etc.). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "heed/cfg.h"
#include "heed/classify.h"
#include "heed/db.h"
#include "heed/http.h"
#include "heed/poll.h"
#include "heed/xalloc.h"

extern char **environ;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long count(PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);
	long n = PQresultStatus(r) == PGRES_TUPLES_OK ? strtol(PQgetvalue(r, 0, 0), NULL, 10) : -1;

	PQclear(r);
	return n;
}

static void classify_cb(void *arg, struct heed_mention *m)
{
	heed_classify_mention(arg, m);
}

struct env {
	struct heed_cfg *cfg;
	struct heed_source **srcs;
	size_t n;
	struct heed_db *db;
	struct heed_http *http;
	struct heed_classifier *cls;
	struct heed_classify_ctx *cctx;
	struct heed_poll_opts po;
};

static void env_open(struct env *e, const char *cfgpath)
{
	struct heed_err err;

	heed_err_clear(&err);
	e->cfg = heed_cfg_load(heed_cfg_keys, cfgpath, environ, &err);
	if (!e->cfg || !(e->srcs = heed_sources_from_cfg(e->cfg, NULL, &e->n, &err)) ||
	    !(e->cls = heed_classifier_new_cfg(e->cfg, getenv("HEED_DATA_DIR"), NULL, &err)) ||
	    !(e->db = heed_db_open_cfg(e->cfg, &err)) || heed_http_global_init() ||
	    !(e->http = heed_http_new(NULL, &err))) {
		fprintf(stderr, "ingest_bench: %s\n", heed_err_msg(&err));
		exit(1);
	}
	e->cctx = heed_classify_ctx_new(e->cls);
	heed_poll_opts_from_cfg(&e->po, e->cfg);
	e->po.classify = classify_cb;
	e->po.classify_arg = e->cctx;
}

/* Plain multi-row INSERTs, 100 rows a statement, of the rows ingest
 * stored, every column it writes (raw items and reasons included, as text
 * the server parses), into a copy of mentions with the same indexes but no
 * foreign keys: the floor of what storing those rows costs here. */
#define RAW_COLS 24
static double raw_insert(PGconn *c, long *rows)
{
	static const char *const casts[RAW_COLS] = {
		"", "", "::int", "", "::bigint", "", "", "::jsonb", "::timestamptz",
		"", "", "", "::real", "", "::smallint", "", "::text[]", "::jsonb",
		"::boolean", "", "::boolean", "::boolean", "::boolean", "::bigint",
	};
	PGresult *r;
	double t0, t;
	long n, done = 0;

	r = PQexec(c, "DROP TABLE IF EXISTS bench_raw;"
		      "CREATE TABLE bench_raw (LIKE mentions INCLUDING ALL)");
	PQclear(r);
	r = PQexec(c, "SELECT platform, external_id || 'r', source_id, brand, author_id,"
		      " url, text, raw, posted_at, in_reply_to, thread_key, language,"
		      " sentiment, sentiment_label, urgency, urgency_level, topics,"
		      " reasons, needs_reply, needs_reply_reason, is_spam, is_own,"
		      " mentions_account, case_id FROM mentions");
	n = PQntuples(r);
	t0 = now_s();
	for (long i = 0; i < n; i += 100) {
		const char *vals[100 * RAW_COLS];
		char sql[65536];
		size_t off = 0;
		int k = 0;

		off += (size_t)snprintf(sql + off, sizeof(sql) - off,
					"INSERT INTO bench_raw (platform, external_id, source_id,"
					" brand, author_id, url, text, raw, posted_at, in_reply_to,"
					" thread_key, language, sentiment, sentiment_label, urgency,"
					" urgency_level, topics, reasons, needs_reply,"
					" needs_reply_reason, is_spam, is_own, mentions_account,"
					" case_id) VALUES ");
		for (long j = i; j < n && j < i + 100; j++) {
			for (int col = 0; col < RAW_COLS; col++) {
				off += (size_t)snprintf(sql + off, sizeof(sql) - off,
							"%s$%d%s", col ? "," : j > i ? ",(" : "(",
							k + 1, casts[col]);
				vals[k++] = PQgetisnull(r, (int)j, col) ? NULL
					    : PQgetvalue(r, (int)j, col);
			}
			off += (size_t)snprintf(sql + off, sizeof(sql) - off, ")");
		}
		PGresult *ins = PQexecParams(c, sql, k, NULL, vals, NULL, NULL, 0);

		if (PQresultStatus(ins) != PGRES_COMMAND_OK)
			fprintf(stderr, "raw insert: %s", PQerrorMessage(c));
		PQclear(ins);
		done += (i + 100 < n ? 100 : n - i);
	}
	t = now_s() - t0;
	PQclear(r);
	*rows = done;
	return t;
}

/* The rows ingest stored, every column, in one COPY (one transaction) into
 * a copy of mentions with its indexes and its foreign keys: a bound on what
 * any way of storing them can reach here, timed from the COPY's start to
 * its commit. The rows are read out (COPY TO) before the clock starts. */
static double copy_bound(PGconn *c, long *rows)
{
	char **lines = NULL, *line;
	size_t n = 0, cap = 0;
	PGresult *r;
	double t0, t;
	int len;

	r = PQexec(c, "DROP TABLE IF EXISTS bench_copy;"
		      "CREATE TABLE bench_copy (LIKE mentions INCLUDING ALL);"
		      "ALTER TABLE bench_copy ADD FOREIGN KEY (source_id) REFERENCES sources (id),"
		      " ADD FOREIGN KEY (author_id) REFERENCES authors (id),"
		      " ADD FOREIGN KEY (case_id) REFERENCES cases (id)");
	PQclear(r);
	r = PQexec(c, "COPY (SELECT platform, external_id || 'c', source_id, brand, author_id,"
		      " url, text, raw, posted_at, in_reply_to, thread_key, language,"
		      " sentiment, sentiment_label, urgency, urgency_level, topics,"
		      " reasons, needs_reply, needs_reply_reason, is_spam, is_own,"
		      " mentions_account, case_id FROM mentions) TO STDOUT");
	PQclear(r);
	while ((len = PQgetCopyData(c, &line, 0)) > 0) {
		if (n == cap) {
			cap = cap ? 2 * cap : 1024;
			lines = xreallocarray(lines, cap, sizeof(*lines));
		}
		lines[n++] = line;
	}
	PQclear(PQgetResult(c));
	t0 = now_s();
	r = PQexec(c, "COPY bench_copy (platform, external_id, source_id, brand, author_id,"
		      " url, text, raw, posted_at, in_reply_to, thread_key, language,"
		      " sentiment, sentiment_label, urgency, urgency_level, topics,"
		      " reasons, needs_reply, needs_reply_reason, is_spam, is_own,"
		      " mentions_account, case_id) FROM STDIN");
	PQclear(r);
	for (size_t i = 0; i < n; i++)
		if (PQputCopyData(c, lines[i], (int)strlen(lines[i])) != 1)
			fprintf(stderr, "copy bound: %s", PQerrorMessage(c));
	PQputCopyEnd(c, NULL);
	while ((r = PQgetResult(c))) {
		if (PQresultStatus(r) != PGRES_COMMAND_OK)
			fprintf(stderr, "copy bound: %s", PQerrorMessage(c));
		PQclear(r);
	}
	t = now_s() - t0;
	for (size_t i = 0; i < n; i++)
		PQfreemem(lines[i]);
	free(lines);
	*rows = (long)n;
	return t;
}

static int rate(const char *cfgpath, long expected)
{
	struct env e = { 0 };
	struct heed_err err;
	double t0, t, traw, tcopy;
	long stored = 0, rows, crows;
	unsigned failed;

	env_open(&e, cfgpath);
	e.po.once = true;
	t0 = now_s();
	for (int cycle = 0; cycle < 1000 && stored < expected; cycle++) {
		if (heed_poll_run(e.db, e.http, e.srcs, e.n, &e.po, &failed, &err))
			break;
		stored = count(heed_db_conn(e.db), "SELECT count(*) FROM mentions");
	}
	t = now_s() - t0;
	if (stored < expected)
		fprintf(stderr, "ingest_bench: only %ld of %ld stored\n", stored, expected);
	traw = raw_insert(heed_db_conn(e.db), &rows);
	printf("bench ingest_rate: %.0f mentions/s vs raw_insert %.0f rows/s, ratio %.2f\n",
	       (double)stored / t, (double)rows / traw,
	       ((double)stored / t) / ((double)rows / traw));
	tcopy = copy_bound(heed_db_conn(e.db), &crows);
	printf("bench ingest_copy_bound: %.0f rows/s (the same rows in one COPY into mentions'"
	       " indexes and foreign keys; ingest_rate at most this)\n", (double)crows / tcopy);
	return stored < expected;
}

static volatile sig_atomic_t stop;

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Seconds from each case's first post appearing on the fake (its posted_at:
 * the fake stamps posts with the time they become visible) to the case's
 * opened_at. */
static int detect(const char *cfgpath, long expected, int seconds)
{
	struct env e = { 0 };
	struct heed_err err;
	double t0 = now_s(), *d;
	unsigned failed;
	PGresult *r;
	int n;

	env_open(&e, cfgpath);
	e.po.stop = &stop;
	e.po.once = true;
	/* the loop's own schedule, driven from here so the run ends on time */
	while (now_s() - t0 < seconds) {
		if (heed_poll_run(e.db, e.http, e.srcs, e.n, &e.po, &failed, &err))
			break;
		struct timespec ts = { e.po.interval_ms / 1000, 0 };
		nanosleep(&ts, NULL);
	}
	r = PQexec(heed_db_conn(e.db),
		   "SELECT extract(epoch FROM c.opened_at - c.customer_posted_at)"
		   " FROM cases c ORDER BY 1");
	n = PQntuples(r);
	d = xcalloc((size_t)n + 1, sizeof(*d));
	for (int i = 0; i < n; i++)
		d[i] = strtod(PQgetvalue(r, i, 0), NULL);
	qsort(d, (size_t)n, sizeof(*d), cmp_d);
	PQclear(r);
	if (n < expected / 2)
		fprintf(stderr, "ingest_bench: only %d cases for %ld posts\n", n, expected);
	printf("bench detect_p95: %.1f s (%d cases, poll interval %lld s, median %.1f s)\n",
	       n ? d[(int)(0.95 * (n - 1))] : -1.0, n,
	       (long long)(e.po.interval_ms / 1000), n ? d[n / 2] : -1.0);
	free(d);
	return n == 0;
}

int main(int argc, char **argv)
{
	if (argc >= 4 && !strcmp(argv[1], "rate"))
		return rate(argv[2], strtol(argv[3], NULL, 10));
	if (argc >= 5 && !strcmp(argv[1], "detect"))
		return detect(argv[2], strtol(argv[3], NULL, 10), (int)strtol(argv[4], NULL, 10));
	fprintf(stderr, "usage: ingest_bench rate CONFIG EXPECTED | detect CONFIG EXPECTED SECONDS\n");
	return 2;
}
