/* support.c: helpers shared by the test programs (see support.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "heed/xalloc.h"
#include "support.h"

static void quiet_notice(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

char *ht_mkdtemp(const char *prefix)
{
	const char *tmp = getenv("TMPDIR");
	char *path = xasprintf("%s/%s-XXXXXX", tmp && *tmp ? tmp : "/tmp",
			       prefix);

	if (!mkdtemp(path)) {
		perror(path);
		abort();
	}
	return path;
}

void ht_rmtree(const char *dir)
{
	char *cmd;

	if (!dir || !*dir || !strcmp(dir, "/"))
		return;
	cmd = xasprintf("rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "warning: could not remove %s\n", dir);
	free(cmd);
}

const char *ht_srcdir(void)
{
	const char *s = getenv("HEED_SRCDIR");

	return s && *s ? s : ".";
}

const char *ht_builddir(void)
{
	const char *s = getenv("HEED_BUILD");

	return s && *s ? s : "build";
}

const char *ht_heed_bin(void)
{
	static char path[1024];
	const char *s = getenv("HEED_BIN");

	if (s && *s)
		return s;
	snprintf(path, sizeof(path), "%s/heed", ht_builddir());
	return path;
}

bool ht_pg_available(void)
{
	const char *d = getenv("HEED_TEST_PGDATA");

	return d && *d && getenv("PGHOST");
}

PGconn *ht_pg_connect(const char *conninfo)
{
	PGconn *c = PQconnectdb(conninfo);

	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "cannot connect (%s): %s", conninfo,
			PQerrorMessage(c));
		abort();
	}
	PQsetNoticeProcessor(c, quiet_notice, NULL);
	return c;
}

void ht_pg_admin(const char *dbname, const char *sql)
{
	char *ci = xasprintf("dbname=%s user=postgres", dbname ? dbname : "postgres");
	PGconn *c = ht_pg_connect(ci);
	PGresult *r = PQexec(c, sql);

	if (PQresultStatus(r) != PGRES_COMMAND_OK &&
	    PQresultStatus(r) != PGRES_TUPLES_OK) {
		fprintf(stderr, "admin SQL failed: %s\n%s", sql,
			PQerrorMessage(c));
		abort();
	}
	PQclear(r);
	PQfinish(c);
	free(ci);
}

char *ht_pg_fresh_db(const char *prefix)
{
	static unsigned n;
	char *name = xasprintf("heedt_%s_%d_%u", prefix, (int)getpid(), n++);
	PGconn *c = ht_pg_connect("dbname=postgres user=postgres");
	char *id = PQescapeIdentifier(c, name, strlen(name));
	char *sql = xasprintf("CREATE DATABASE %s", id);
	char *ci = xasprintf("dbname=%s", name);

	ht_pg_exec(c, sql, NULL);
	PQfreemem(id);
	PQfinish(c);
	free(sql);
	free(name);
	return ci;
}

static PGresult *run_params(PGconn *c, const char *sql, va_list ap)
{
	const char *params[16];
	int n = 0;
	const char *p;

	while ((p = va_arg(ap, const char *)) && n < 16)
		params[n++] = p;
	return PQexecParams(c, sql, n, NULL, params, NULL, NULL, 0);
}

void ht_pg_exec(PGconn *c, const char *sql, ...)
{
	va_list ap;
	PGresult *r;

	va_start(ap, sql);
	r = run_params(c, sql, ap);
	va_end(ap);
	if (PQresultStatus(r) != PGRES_COMMAND_OK &&
	    PQresultStatus(r) != PGRES_TUPLES_OK) {
		fprintf(stderr, "SQL failed: %s\n%s", sql, PQerrorMessage(c));
		abort();
	}
	PQclear(r);
}

long ht_pg_count(PGconn *c, const char *sql, ...)
{
	va_list ap;
	PGresult *r;
	long n = -1;

	va_start(ap, sql);
	r = run_params(c, sql, ap);
	va_end(ap);
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0 &&
	    !PQgetisnull(r, 0, 0))
		n = strtol(PQgetvalue(r, 0, 0), NULL, 10);
	else if (PQresultStatus(r) != PGRES_TUPLES_OK)
		fprintf(stderr, "SQL failed: %s\n%s", sql, PQerrorMessage(c));
	PQclear(r);
	return n;
}

const char *ht_num(long long v)
{
	static char bufs[16][24];
	static unsigned next;
	char *b = bufs[next++ % 16];

	snprintf(b, sizeof(bufs[0]), "%lld", v);
	return b;
}

/* The SQLSTATE of r's error, "" when it succeeded; clears r. */
static const char *state_of(PGresult *r)
{
	static char state[6];
	ExecStatusType s = PQresultStatus(r);
	const char *e;

	state[0] = '\0';
	if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) {
		e = PQresultErrorField(r, PG_DIAG_SQLSTATE);
		snprintf(state, sizeof(state), "%s", e ? e : "?????");
	}
	PQclear(r);
	return state;
}

const char *ht_pg_try(PGconn *c, const char *sql)
{
	return state_of(PQexec(c, sql));
}

const char *ht_pg_try_case(PGconn *c, const char *sql, long long case_id,
			   const char *name)
{
	/* typed, so that a statement may leave either unused */
	const Oid types[] = { 20 /* int8 */, 25 /* text */ };
	const char *params[] = { ht_num(case_id), name };

	return state_of(PQexecParams(c, sql, 2, types, params, NULL, NULL, 0));
}

int ht_pg_cluster(const char *verb, bool background)
{
	const char *ctl = getenv("HEED_TEST_PGCLUSTER");
	char *cmd;
	int rc;

	if (!ctl)
		return -1;
	cmd = xasprintf("%s %s >/dev/null%s", ctl, verb, background ? " &" : "");
	rc = system(cmd);
	free(cmd);
	return rc;
}
