/* support.h: helpers shared by the test programs: temporary directories
 * under $TMPDIR, the paths of the build and source trees. */
#ifndef HEED_TEST_SUPPORT_H
#define HEED_TEST_SUPPORT_H

/* A new private directory under $TMPDIR (or /tmp); the caller frees the
 * returned path and removes the directory (ht_rmtree). Aborts on failure. */
char *ht_mkdtemp(const char *prefix);

/* Remove a directory tree made by ht_mkdtemp. */
void ht_rmtree(const char *dir);

/* $HEED_SRCDIR or "."; $HEED_BUILD or "build". Borrowed. */
const char *ht_srcdir(void);
const char *ht_builddir(void);

/* The heed binary: $HEED_BIN or <build>/heed. Borrowed. */
const char *ht_heed_bin(void);

/* ---- the private PostgreSQL cluster (tests/pgcluster.sh) ---- */
#include <stdbool.h>

#include <libpq-fe.h>

/* True when tests/run.sh started a private cluster (PGHOST etc. exported).
 * Integration tests skip() without it. */
bool ht_pg_available(void);

/* Create a fresh, empty database named heedt_<prefix>_<pid>_<n> on the
 * private cluster; returns its conninfo ("dbname=..."), caller frees. */
char *ht_pg_fresh_db(const char *prefix);

/* Run SQL as the cluster's superuser in database dbname (NULL: postgres);
 * fails the test on error. */
void ht_pg_admin(const char *dbname, const char *sql);

/* Connect with a libpq conninfo; fails the test if it cannot. */
PGconn *ht_pg_connect(const char *conninfo);

/* Run sql on c; return the SQLSTATE of its error, "" on success. The
 * result is cleared. Borrowed static string. */
const char *ht_pg_try(PGconn *c, const char *sql);

/* Run sql on c with text parameters $1, $2, ... given as a NULL-terminated
 * list (values never go into the SQL text). ht_pg_exec fails the test on an
 * error; ht_pg_count returns the first column of the first row as a number
 * (-1 on error or no row). */
void ht_pg_exec(PGconn *c, const char *sql, ...);
long ht_pg_count(PGconn *c, const char *sql, ...);

/* ht_pg_try for sql about one case: $1 is case_id (bigint) and $2 is name
 * (text, may be NULL), as parameters; either may go unused. */
const char *ht_pg_try_case(PGconn *c, const char *sql, long long case_id,
			   const char *name);

/* A number as text for a parameter; one of 16 rotating static buffers. */
const char *ht_num(long long v);

/* Run the cluster control script: "$HEED_TEST_PGCLUSTER <verb>" (crash,
 * start, restart, stop), in the background if asked; returns the shell's
 * exit status. */
int ht_pg_cluster(const char *verb, bool background);

#endif
