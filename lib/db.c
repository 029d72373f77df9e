/* db.c: PostgreSQL connection with retry, lazily prepared statements that
 * survive reconnects, and a retrying transaction helper (see heed/db.h). */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "heed/db.h"
#include "heed/log.h"
#include "heed/xalloc.h"

struct heed_db {
	PGconn *conn;
	struct heed_db_opts opts;
	char *conninfo;
	char *appname;
	const struct heed_stmt **prepared;	/* on the current connection */
	size_t nprepared;
	unsigned connects;
	unsigned seed;
	bool in_tx;
	bool sent;	/* heed_db_send's statement awaits heed_db_collect */
	bool broken;	/* a client-side failure: reconnect before reuse */
	char sqlstate[6];
};

static void sleep_ms(int64_t ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1)
		;
}

/* Exponential backoff with jitter: 100 ms, 200 ms, ... capped, times a
 * random factor in [0.5, 1) so that restarted fleets do not stampede. */
static int64_t backoff_ms(struct heed_db *db, unsigned attempt)
{
	int64_t ms = 100;

	for (unsigned i = 0; i < attempt && ms < db->opts.retry_max_wait_ms; i++)
		ms *= 2;
	if (ms > db->opts.retry_max_wait_ms)
		ms = db->opts.retry_max_wait_ms;
	return ms / 2 + (int64_t)(rand_r(&db->seed) % (unsigned)(ms / 2 + 1));
}

static PGconn *connect_once(struct heed_db *db)
{
	char timeout[32];
	const char *keys[] = { "dbname", "connect_timeout",
			       "fallback_application_name", "options", NULL };
	const char *vals[] = { db->conninfo, timeout, db->appname,
			       /* a forgotten open transaction must not pin
				* the queue's xmin horizon (queue study T10) */
			       "-c idle_in_transaction_session_timeout=60s",
			       NULL };
	int64_t s = (db->opts.connect_timeout_ms + 999) / 1000;

	snprintf(timeout, sizeof(timeout), "%lld", (long long)(s > 0 ? s : 0));
	if (!db->opts.connect_timeout_ms)
		keys[1] = NULL;	/* libpq default */
	return PQconnectdbParams(keys, vals, 1);
}

/* Server NOTICEs ("relation already exists, skipping") are debug detail,
 * not output: route them to the log instead of libpq's stderr default. */
static void notice(void *arg, const char *msg)
{
	(void)arg;
	heed_log_debug("db=notice msg=\"%.*s\"", (int)strcspn(msg, "\n"), msg);
}

static int do_connect(struct heed_db *db, struct heed_err *err)
{
	for (unsigned attempt = 0;; attempt++) {
		PGconn *c = connect_once(db);

		if (PQstatus(c) == CONNECTION_OK) {
			PQsetNoticeProcessor(c, notice, NULL);
			db->conn = c;
			db->broken = false;
			db->nprepared = 0;
			db->sent = false;
			db->connects++;
			db->in_tx = false;
			return HEED_OK;
		}
		if (attempt >= db->opts.retries) {
			char msg[200];

			snprintf(msg, sizeof(msg), "%s", PQerrorMessage(c));
			msg[strcspn(msg, "\n")] = '\0';
			PQfinish(c);
			return heed_err_set(err, HEED_EDBCONN,
					    "cannot connect to the database: %s",
					    msg);
		}
		PQfinish(c);
		heed_log_warn("db=connect attempt=%u status=failed retry_in_ms=%lld",
			      attempt + 1, (long long)backoff_ms(db, attempt));
		sleep_ms(backoff_ms(db, attempt));
	}
}

struct heed_db *heed_db_open(const struct heed_db_opts *opts,
			     struct heed_err *err)
{
	struct heed_db *db = xcalloc(1, sizeof(*db));

	db->opts = *opts;
	db->conninfo = xstrdup(opts->conninfo ? opts->conninfo : "");
	db->appname = xstrdup(opts->application_name ? opts->application_name
						     : "heed");
	db->opts.conninfo = db->conninfo;
	db->opts.application_name = db->appname;
	if (db->opts.retry_max_wait_ms <= 0)
		db->opts.retry_max_wait_ms = 30000;
	db->seed = (unsigned)time(NULL) ^ (unsigned)getpid();
	if (do_connect(db, err)) {
		heed_db_free(db);
		return NULL;
	}
	return db;
}

struct heed_db *heed_db_open_cfg(const struct heed_cfg *cfg,
				 struct heed_err *err)
{
	struct heed_db_opts o = {
		.conninfo = heed_cfg_str(cfg, "database", "conninfo"),
		.connect_timeout_ms = heed_cfg_duration_ms(cfg, "database",
							   "connect_timeout"),
		.retries = (unsigned)heed_cfg_int(cfg, "database",
						  "connect_retries"),
		.retry_max_wait_ms = heed_cfg_duration_ms(cfg, "database",
							  "retry_max_wait"),
		.application_name = "heed",
	};

	return heed_db_open(&o, err);
}

void heed_db_free(struct heed_db *db)
{
	if (!db)
		return;
	if (db->conn)
		PQfinish(db->conn);
	free(db->prepared);
	free(db->conninfo);
	free(db->appname);
	free(db);
}

PGconn *heed_db_conn(struct heed_db *db)
{
	return db->conn;
}

unsigned heed_db_connects(const struct heed_db *db)
{
	return db->connects;
}

const char *heed_db_sqlstate(const struct heed_db *db)
{
	return db->sqlstate;
}

bool heed_db_in_tx(const struct heed_db *db)
{
	PGTransactionStatusType t;

	if (db->in_tx)
		return true;
	t = db->conn ? PQtransactionStatus(db->conn) : PQTRANS_UNKNOWN;
	return t == PQTRANS_INTRANS || t == PQTRANS_INERROR;
}

int heed_db_reconnect(struct heed_db *db, struct heed_err *err)
{
	if (db->conn)
		PQfinish(db->conn);
	db->conn = NULL;
	return do_connect(db, err);
}

static bool conn_lost(struct heed_db *db)
{
	return !db->conn || db->broken || PQstatus(db->conn) != CONNECTION_OK;
}

/* Turn a failed result into err; frees res. */
static int result_error(struct heed_db *db, PGresult *res, const char *what,
			struct heed_err *err)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY)
			      : NULL;
	int code;

	snprintf(db->sqlstate, sizeof(db->sqlstate), "%s", state ? state : "");
	if (!msg)
		msg = db->conn ? PQerrorMessage(db->conn) : "no connection";
	/* class 08 (connection exception) and 57P0x (shutdown, terminated)
	 * mean the session is gone, whatever PQstatus says yet; so does an
	 * error with no SQLSTATE at all, which libpq made up itself ("server
	 * closed the connection unexpectedly") while PQstatus may still say
	 * OK. Such a handle is marked broken and reconnects before reuse. */
	if (!*db->sqlstate || !strncmp(db->sqlstate, "08", 2) ||
	    !strncmp(db->sqlstate, "57P0", 4))
		db->broken = true;
	code = conn_lost(db) ? HEED_EDBCONN : HEED_EDB;
	heed_err_set(err, code, "%s: %s%s%.*s", what, db->sqlstate,
		     *db->sqlstate ? ": " : "", (int)strcspn(msg, "\n"), msg);
	PQclear(res);
	return code;
}

static bool is_prepared(struct heed_db *db, const struct heed_stmt *st)
{
	for (size_t i = 0; i < db->nprepared; i++)
		if (db->prepared[i] == st)
			return true;
	return false;
}

static int prepare(struct heed_db *db, const struct heed_stmt *st,
		   struct heed_err *err)
{
	PGresult *res;

	if (is_prepared(db, st))
		return HEED_OK;
	res = PQprepare(db->conn, st->name, st->sql, st->nparams, NULL);
	if (!res || PQresultStatus(res) != PGRES_COMMAND_OK)
		return result_error(db, res, st->name, err);
	PQclear(res);
	db->prepared = xreallocarray(db->prepared, db->nprepared + 1,
				     sizeof(*db->prepared));
	db->prepared[db->nprepared++] = st;
	return HEED_OK;
}

static PGresult *exec_once(struct heed_db *db, const struct heed_stmt *st,
			   const struct heed_db_params *p, struct heed_err *err)
{
	PGresult *res;
	ExecStatusType s;

	assert(!db->sent);
	if (conn_lost(db))
		return heed_err_set(err, HEED_EDBCONN, "%s: not connected",
				    st->name), NULL;
	if (prepare(db, st, err))
		return NULL;
	res = PQexecPrepared(db->conn, st->name, st->nparams, p->values,
			     p->lengths, p->formats, 0);
	s = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	if (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK) {
		db->sqlstate[0] = '\0';
		return res;
	}
	result_error(db, res, st->name, err);
	return NULL;
}

PGresult *heed_db_exec(struct heed_db *db, const struct heed_stmt *st,
		       const char *const *params, struct heed_err *err)
{
	struct heed_db_params p = { params, NULL, NULL };

	return heed_db_exec_params(db, st, &p, err);
}

PGresult *heed_db_exec_params(struct heed_db *db, const struct heed_stmt *st,
			      const struct heed_db_params *params,
			      struct heed_err *err)
{
	bool outside = !heed_db_in_tx(db);
	struct heed_err e2;
	PGresult *res;

	/* a connection lost earlier is re-made only between transactions:
	 * inside one, the caller must learn that its transaction is gone */
	if (conn_lost(db) && outside && heed_db_reconnect(db, err))
		return NULL;
	res = exec_once(db, st, params, err);
	if (res || !outside || !st->retry || !err || err->code != HEED_EDBCONN)
		return res;
	heed_err_clear(&e2);
	if (heed_db_reconnect(db, &e2)) {
		*err = e2;
		return NULL;
	}
	heed_log_info("db=reconnected stmt=%s", st->name);
	return exec_once(db, st, params, err);
}

int heed_db_send(struct heed_db *db, const struct heed_stmt *st,
		 const char *const *params, struct heed_err *err)
{
	struct heed_db_params p = { params, NULL, NULL };

	return heed_db_send_params(db, st, &p, err);
}

int heed_db_send_params(struct heed_db *db, const struct heed_stmt *st,
			const struct heed_db_params *params,
			struct heed_err *err)
{
	assert(!db->sent);
	if (conn_lost(db) && !heed_db_in_tx(db) && heed_db_reconnect(db, err))
		return err ? err->code : HEED_EDBCONN;
	if (conn_lost(db))
		return heed_err_set(err, HEED_EDBCONN, "%s: not connected", st->name);
	if (prepare(db, st, err))
		return err ? err->code : HEED_EDB;
	if (!PQsendQueryPrepared(db->conn, st->name, st->nparams, params->values,
				 params->lengths, params->formats, 0)) {
		db->broken = true;	/* a failed send leaves libpq's state unknown */
		return heed_err_set(err, HEED_EDBCONN, "%s: %s", st->name,
				    PQerrorMessage(db->conn));
	}
	db->sent = true;
	return HEED_OK;
}

PGresult *heed_db_collect(struct heed_db *db, struct heed_err *err)
{
	PGresult *res = NULL, *more;
	ExecStatusType s;

	assert(db->sent);
	db->sent = false;
	/* read to the end (NULL), so that the connection is idle again and
	 * an implicit transaction has committed; an error after the rows
	 * (the commit failed) is the outcome */
	while ((more = PQgetResult(db->conn))) {
		ExecStatusType ms = PQresultStatus(more);

		if (!res || (ms != PGRES_COMMAND_OK && ms != PGRES_TUPLES_OK)) {
			PQclear(res);
			res = more;
		} else {
			PQclear(more);
		}
	}
	s = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	if (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK) {
		db->sqlstate[0] = '\0';
		return res;
	}
	result_error(db, res, "query", err);
	return NULL;
}

int heed_db_run(struct heed_db *db, const char *sql, struct heed_err *err)
{
	PGresult *res;
	ExecStatusType s;

	assert(!db->sent);
	if (conn_lost(db) && !heed_db_in_tx(db) && heed_db_reconnect(db, err))
		return err ? err->code : HEED_EDBCONN;
	if (conn_lost(db))
		return heed_err_set(err, HEED_EDBCONN, "not connected");
	res = PQexec(db->conn, sql);
	s = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	if (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK) {
		PQclear(res);
		db->sqlstate[0] = '\0';
		return HEED_OK;
	}
	return result_error(db, res, "query", err);
}

static bool tx_retryable(struct heed_db *db, int rc)
{
	return rc == HEED_EDBCONN || !strcmp(db->sqlstate, "40001") ||
	       !strcmp(db->sqlstate, "40P01");
}

int heed_db_tx(struct heed_db *db, heed_db_tx_fn *fn, void *arg,
	       struct heed_err *err)
{
	for (unsigned attempt = 0;; attempt++) {
		struct heed_err ignore;
		int rc;

		if (conn_lost(db) && heed_db_reconnect(db, err))
			return HEED_EDBCONN;
		rc = heed_db_run(db, "BEGIN", err);
		if (!rc) {
			/* in_tx stays set through COMMIT: were the connection
			 * lost, heed_db_run must fail, not reconnect and
			 * "commit" on a fresh session with nothing in it */
			db->in_tx = true;
			rc = fn(db, arg, err);
			if (!rc)
				rc = heed_db_run(db, "COMMIT", err);
			db->in_tx = false;
		}
		if (!rc)
			return HEED_OK;
		if (!conn_lost(db) && heed_db_run(db, "ROLLBACK", &ignore))
			heed_log_warn("db=rollback status=failed");
		if (!tx_retryable(db, rc) || attempt >= db->opts.retries)
			return rc;
		heed_log_info("db=tx retry=%u reason=\"%s\"", attempt + 1,
			      err ? heed_err_msg(err) : heed_strerror(rc));
		if (!conn_lost(db))
			sleep_ms(backoff_ms(db, attempt) / 4);
	}
}

const char *heed_db_value(const PGresult *res)
{
	if (!res || PQntuples(res) < 1 || PQnfields(res) < 1 ||
	    PQgetisnull(res, 0, 0))
		return NULL;
	return PQgetvalue(res, 0, 0);
}
