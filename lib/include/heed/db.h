/* db.h: heed's PostgreSQL connection: connect with retry and backoff,
 * named prepared statements (re-prepared transparently after a reconnect),
 * a transaction helper that retries on connection loss and serialization
 * failures, and reconnect after a server restart. Every SQL value goes
 * through parameters; there is no API that splices text into SQL.
 *
 * One handle is one connection; it is not thread-safe. */
#ifndef HEED_DB_H
#define HEED_DB_H

#include <stdbool.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "heed/cfg.h"
#include "heed/err.h"

struct heed_db;

struct heed_db_opts {
	const char *conninfo;		/* libpq string or URI; NULL/"" = PG* env */
	int64_t connect_timeout_ms;	/* per attempt; 0 = libpq default */
	unsigned retries;		/* attempts after the first, with backoff */
	int64_t retry_max_wait_ms;	/* cap of one backoff wait */
	const char *application_name;	/* shown in pg_stat_activity */
};

/* A statement with its parameter count. Modules keep theirs in static const
 * tables (SQL in one place); the handle prepares each on first use on the
 * current connection. name must be unique per SQL text. */
struct heed_stmt {
	const char *name;
	const char *sql;
	int nparams;
	bool retry;	/* safe to re-run after a lost connection outside a
			 * transaction (reads, or writes made idempotent) */
};

/* Connect, retrying with exponential backoff and jitter up to opts->retries
 * times. NULL on failure with err set (HEED_EDBCONN; the message is libpq's,
 * which never contains the password). */
struct heed_db *heed_db_open(const struct heed_db_opts *opts,
			     struct heed_err *err);

/* Same, with options from the [database] section of cfg. */
struct heed_db *heed_db_open_cfg(const struct heed_cfg *cfg,
				 struct heed_err *err);

/* Close and free. NULL is a no-op. */
void heed_db_free(struct heed_db *db);

/* The live connection, borrowed (for LISTEN and COPY). It may be replaced
 * by any later call that reconnects; do not keep it across calls. */
PGconn *heed_db_conn(struct heed_db *db);

/* Run a prepared statement with text parameters (NULL entries are SQL NULL).
 * Returns the result (status COMMAND_OK or TUPLES_OK), owned by the caller
 * (PQclear it), or NULL with err set: HEED_EDB for an SQL error (message
 * "SQLSTATE: text"; heed_db_sqlstate() gives the code) or HEED_EDBCONN when
 * the connection was lost. Outside a transaction, a statement marked retry
 * is re-run once after reconnecting. */
PGresult *heed_db_exec(struct heed_db *db, const struct heed_stmt *st,
		       const char *const *params, struct heed_err *err);

/* Parameters that may be in binary form: values as for heed_db_exec, but
 * where formats[i] is 1, values[i] is lengths[i] bytes of PostgreSQL's
 * binary send format for the parameter's type (a large array then costs
 * the server no parsing). lengths and formats may be NULL: all text. */
struct heed_db_params {
	const char *const *values;
	const int *lengths;
	const int *formats;
};

/* heed_db_exec and heed_db_send with such parameters; borrowed. */
PGresult *heed_db_exec_params(struct heed_db *db, const struct heed_stmt *st,
			      const struct heed_db_params *p,
			      struct heed_err *err);
int heed_db_send_params(struct heed_db *db, const struct heed_stmt *st,
			const struct heed_db_params *p,
			struct heed_err *err) HEED_MUSTCHECK;

/* Send a prepared statement like heed_db_exec but without waiting for it,
 * so that the caller can work while the server does; outside a transaction
 * the statement is its own transaction. Collect the outcome with
 * heed_db_collect before any other call on db. Never retried: a statement
 * whose answer is lost may have committed, so the caller decides.
 * HEED_EDBCONN when it could not be sent (nothing is then in flight). */
int heed_db_send(struct heed_db *db, const struct heed_stmt *st,
		 const char *const *params, struct heed_err *err) HEED_MUSTCHECK;

/* Wait for the statement heed_db_send sent; its result as heed_db_exec
 * gives it (owned by the caller), or NULL with err set. */
PGresult *heed_db_collect(struct heed_db *db, struct heed_err *err);

/* Run fixed SQL text that has no parameters (BEGIN, migration files, which
 * may hold several statements). Same result and error rules; never retried. */
int heed_db_run(struct heed_db *db, const char *sql, struct heed_err *err)
	HEED_MUSTCHECK;

/* The SQLSTATE of the last SQL error on this handle, or "" if none. */
const char *heed_db_sqlstate(const struct heed_db *db);

/* Run fn inside BEGIN ... COMMIT. If fn fails the transaction is rolled back
 * and fn's status returned. On a lost connection, serialization failure
 * (40001) or deadlock (40P01) the whole transaction is retried, up to the
 * handle's retry count, after reconnecting if needed; so fn must only touch
 * the database and be safe to run again (it is, if it only writes through
 * the transaction). A COMMIT whose answer was lost may have committed: fn's
 * writes must therefore be idempotent (ON CONFLICT, unique keys). */
typedef int heed_db_tx_fn(struct heed_db *db, void *arg, struct heed_err *err);
int heed_db_tx(struct heed_db *db, heed_db_tx_fn *fn, void *arg,
	       struct heed_err *err) HEED_MUSTCHECK;

/* True while inside heed_db_tx or an explicit BEGIN. */
bool heed_db_in_tx(const struct heed_db *db);

/* Drop the connection and connect again (with the retry policy). */
int heed_db_reconnect(struct heed_db *db, struct heed_err *err) HEED_MUSTCHECK;

/* How many times this handle has (re)connected: 1 after open. */
unsigned heed_db_connects(const struct heed_db *db);

/* Convenience for single-value results: the text of row 0, column 0, or
 * NULL when there is no row or it is NULL. Borrowed from res. */
const char *heed_db_value(const PGresult *res);

#endif
