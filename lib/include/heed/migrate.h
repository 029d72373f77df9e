/* migrate.h: forward-only schema migrations. The numbered files of schema/
 * are compiled into the binary; `heed db migrate` applies the pending ones
 * in order, each in its own transaction, recorded in schema_migrations with
 * a checksum so that a file edited after it was applied is detected. An
 * advisory lock makes concurrent migrators wait for each other. */
#ifndef HEED_MIGRATE_H
#define HEED_MIGRATE_H

#include <stdbool.h>
#include <stddef.h>

#include "heed/err.h"

struct heed_db;

struct heed_migration {
	unsigned version;	/* NNNN of the file name */
	const char *name;	/* file name */
	const char *sql;	/* its text */
};

/* Every migration of this build, in order, ended by a {0} row. */
extern const struct heed_migration heed_migrations[];

struct heed_migrate_row {
	unsigned version;
	char name[96];
	bool applied;
	bool edited;		/* applied, but the file's text changed since */
	bool unknown;		/* applied in the database, not in this build */
	char applied_at[40];	/* database time, "" when pending */
};

/* List applied and pending migrations, in version order. *rows is
 * allocated (free() it); *n gets the count. Reads only. */
int heed_migrate_status(struct heed_db *db, const struct heed_migration *m,
			struct heed_migrate_row **rows, size_t *n,
			struct heed_err *err) HEED_MUSTCHECK;

/* Progress callback: called before each migration is applied. */
typedef void heed_migrate_progress_fn(void *arg,
				      const struct heed_migration *mig);

/* Apply every pending migration of m in order under the migration advisory
 * lock. *applied (may be NULL) gets how many were applied. Stops at the
 * first failure (that file's transaction rolled back, earlier ones kept)
 * with err naming the file. Refuses, applying nothing, when an applied file
 * was edited. Running it again when nothing is pending does nothing. */
int heed_migrate_apply(struct heed_db *db, const struct heed_migration *m,
		       heed_migrate_progress_fn *progress, void *arg,
		       unsigned *applied, struct heed_err *err) HEED_MUSTCHECK;

/* FNV-1a 64-bit of the text, as 16 hex digits into out[17]. */
void heed_migrate_checksum(const char *sql, char out[17]);

#endif
