/* queue_fixture.h: what the case-queue tests (test_queue*.c) share: a fresh
 * migrated database on the private cluster with login roles for agents, a
 * poller, a responder and a manager (cluster-wide, so named after the test's
 * pid), fixture cases, and running the heed binary as one of those roles.
 * Header-only: each test program is one file plus the support library. */
#ifndef HEED_TEST_QUEUE_FIXTURE_H
#define HEED_TEST_QUEUE_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "heed/buf.h"
#include "heed/db.h"
#include "heed/migrate.h"
#include "heed/xalloc.h"
#include "support.h"

#define QF_MAX_AGENTS 16

struct qf {
	char *ci;		/* "dbname=..." */
	const char *dbname;
	int nagents;
	char agent[QF_MAX_AGENTS][48];
	char poller[48], responder[48], manager[48];
	char *dir;		/* private temporary directory */
	char *conf;		/* an empty configuration file in it */
};

static inline void qf_quiet(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

/* A fresh database with every migration applied and the roles created. */
static inline void qf_init(struct qf *q, const char *prefix, int nagents)
{
	struct heed_db_opts o = { .retries = 2, .retry_max_wait_ms = 500 };
	struct heed_err err;
	struct heed_db *db;
	unsigned applied;
	char sql[512];
	int pid = (int)getpid();

	memset(q, 0, sizeof(*q));
	q->dir = ht_mkdtemp("heedq");
	q->conf = xasprintf("%s/heed.conf", q->dir);
	{
		FILE *f = fopen(q->conf, "w");

		if (!f || fclose(f))
			abort();
	}
	q->ci = ht_pg_fresh_db(prefix);
	q->dbname = q->ci + strlen("dbname=");
	o.conninfo = q->ci;
	heed_err_clear(&err);
	db = heed_db_open(&o, &err);
	if (!db || heed_migrate_apply(db, heed_migrations, NULL, NULL, &applied, &err)) {
		fprintf(stderr, "migrate: %s\n", heed_err_msg(&err));
		abort();
	}
	heed_db_free(db);
	q->nagents = nagents;
	for (int i = 0; i < nagents; i++) {
		snprintf(q->agent[i], sizeof(q->agent[i]), "hq%d_agent%d", pid, i);
		snprintf(sql, sizeof(sql),
			 "DROP ROLE IF EXISTS %s; CREATE ROLE %s LOGIN IN ROLE heed_agent",
			 q->agent[i], q->agent[i]);
		ht_pg_admin(NULL, sql);
	}
	snprintf(q->poller, sizeof(q->poller), "hq%d_poller", pid);
	snprintf(q->responder, sizeof(q->responder), "hq%d_responder", pid);
	snprintf(q->manager, sizeof(q->manager), "hq%d_manager", pid);
	snprintf(sql, sizeof(sql),
		 "DROP ROLE IF EXISTS %s; CREATE ROLE %s LOGIN IN ROLE heed_poller;"
		 "DROP ROLE IF EXISTS %s; CREATE ROLE %s LOGIN IN ROLE heed_responder;"
		 "DROP ROLE IF EXISTS %s; CREATE ROLE %s LOGIN IN ROLE heed_manager;",
		 q->poller, q->poller, q->responder, q->responder, q->manager, q->manager);
	ht_pg_admin(NULL, sql);
	ht_pg_admin(q->dbname,
		    "INSERT INTO authors (platform, external_id, handle, display_name)"
		    " SELECT p, p || '-a' || i, 'customer' || i, 'Customer ' || i"
		    " FROM unnest(ARRAY['mastodon','bluesky','reddit','x','hn']) p,"
		    " generate_series(1, 50) i");
}

static inline void qf_release(struct qf *q)
{
	char sql[256];

	snprintf(sql, sizeof(sql), "DROP DATABASE %s", q->dbname);
	ht_pg_admin(NULL, sql);
	for (int i = 0; i < q->nagents; i++) {
		snprintf(sql, sizeof(sql), "DROP ROLE %s", q->agent[i]);
		ht_pg_admin(NULL, sql);
	}
	snprintf(sql, sizeof(sql), "DROP ROLE %s; DROP ROLE %s; DROP ROLE %s",
		 q->poller, q->responder, q->manager);
	ht_pg_admin(NULL, sql);
	free(q->ci);
	ht_rmtree(q->dir);
	free(q->dir);
	free(q->conf);
}

/* n open cases on platform, each with one post by the customer; returns the
 * id of the first. Priorities and deadlines vary with the index. */
static inline long qf_cases(struct qf *q, int n, const char *platform)
{
	static const char sql[] =
		"WITH a AS (SELECT id, row_number() OVER (ORDER BY id) AS k FROM authors"
		"  WHERE platform = $1),"
		" c AS (INSERT INTO cases (brand, platform, author_id, thread_key, priority,"
		"  customer_posted_at, due_at)"
		"  SELECT 'acme', $1, a.id, 'th-' || i || '-' || md5(random()::text),"
		"  (i % 90)::smallint, now() - interval '5 minutes',"
		"  now() + ((i % 50) - 5) * interval '1 minute'"
		"  FROM generate_series(1, $2::integer) i JOIN a ON a.k = 1 + i % 50"
		"  RETURNING id, author_id, thread_key, platform),"
		" m AS (INSERT INTO mentions (platform, external_id, brand, author_id, text,"
		"  posted_at, thread_key, case_id, needs_reply, sentiment, sentiment_label,"
		"  topics, mentions_account)"
		"  SELECT c.platform, 'post-' || c.id, 'acme', c.author_id,"
		"  'my order ' || c.id || ' never arrived', now() - interval '5 minutes',"
		"  c.thread_key, c.id, true, -0.5, 'negative', '{delivery}', true FROM c)"
		" SELECT min(id) FROM c";
	PGconn *c = ht_pg_connect(q->ci);
	long first = ht_pg_count(c, sql, platform, ht_num(n), NULL);

	PQfinish(c);
	if (first < 0)
		abort();	/* ht_pg_count said why */
	return first;
}

/* A libpq connection logged in as role. */
static inline PGconn *qf_as(const struct qf *q, const char *role)
{
	char ci[256];
	PGconn *c;

	snprintf(ci, sizeof(ci), "%s user=%s", q->ci, role);
	c = ht_pg_connect(ci);
	PQsetNoticeProcessor(c, qf_quiet, NULL);
	return c;
}

/* A heed_db handle logged in as role. */
static inline struct heed_db *qf_open(const struct qf *q, const char *role)
{
	char ci[256];
	struct heed_db_opts o = { .conninfo = ci, .retries = 2, .retry_max_wait_ms = 500 };
	struct heed_err err;
	struct heed_db *db;

	snprintf(ci, sizeof(ci), "%s user=%s", q->ci, role);
	heed_err_clear(&err);
	db = heed_db_open(&o, &err);
	if (!db) {
		fprintf(stderr, "open as %s: %s\n", role, heed_err_msg(&err));
		abort();
	}
	return db;
}

/* The first column of the first row of sql, as a number (-1 when NULL). */
static inline long qf_long(PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);
	long v;

	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) < 1) {
		fprintf(stderr, "%s: %s", sql, PQerrorMessage(c));
		abort();
	}
	v = PQgetisnull(r, 0, 0) ? -1 : strtol(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	return v;
}

struct qf_run {
	int status;
	char *out;	/* stdout and stderr together */
};

/* Run the heed binary as role with a shell-quoted argument string and an
 * environment prefix; capture its output (stdin from /dev/null). */
static inline struct qf_run qf_heed(const struct qf *q, const char *role,
			     const char *envs, const char *args)
{
	struct qf_run r = { -1, NULL };
	struct heed_buf b;
	char *cmd, chunk[4096];
	size_t n;
	FILE *p;
	int st;

	heed_buf_init(&b, 1 << 22);
	cmd = xasprintf("PGDATABASE=%s PGUSER=%s PGTZ=UTC HEED_CONFIG='%s' %s '%s' %s"
			" 2>&1 </dev/null", q->dbname, role, q->conf, envs ? envs : "",
			ht_heed_bin(), args);
	p = popen(cmd, "r");
	if (!p)
		abort();
	while ((n = fread(chunk, 1, sizeof(chunk), p)) > 0)
		if (heed_buf_add(&b, chunk, n))
			break;
	st = pclose(p);
	r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	r.out = heed_buf_detach(&b, NULL);
	free(cmd);
	return r;
}

#endif
