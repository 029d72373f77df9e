/* cmd_db.c: `heed db migrate` and `heed db status`: apply the schema
 * migrations compiled into this binary, or list applied and pending ones. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "heed/db.h"
#include "heed/migrate.h"

const char cmd_db_usage[] =
	"usage: heed db migrate\n"
	"       heed db status\n"
	"\n"
	"  migrate   apply pending schema migrations in order, each in its own\n"
	"            transaction; a second run does nothing; concurrent runs wait\n"
	"            for each other. Needs a role that owns the tables and may\n"
	"            create roles (the first run creates heed_poller, heed_agent,\n"
	"            heed_responder and heed_manager).\n"
	"  status    list every migration, applied (with its time) or pending;\n"
	"            exits 1 when any is pending or was edited after applying\n";

static void progress(void *arg, const struct heed_migration *mig)
{
	(void)arg;
	printf("applying %s\n", mig->name);
	fflush(stdout);
}

static int do_migrate(struct heed_db *db)
{
	struct heed_err err;
	unsigned n;

	heed_err_clear(&err);
	if (heed_migrate_apply(db, heed_migrations, progress, NULL, &n, &err)) {
		fprintf(stderr, "heed: %s\n", heed_err_msg(&err));
		if (n)
			fprintf(stderr, "heed: %u migration(s) were applied before the failure\n", n);
		return err.code == HEED_EDBCONN ? CLI_DB : CLI_FAIL;
	}
	if (n)
		printf("applied %u migration(s)\n", n);
	else
		printf("schema is up to date\n");
	return CLI_OK;
}

static int do_status(struct heed_db *db)
{
	struct heed_migrate_row *rows = NULL;
	struct heed_err err;
	size_t n = 0;
	int rc = CLI_OK;

	heed_err_clear(&err);
	if (heed_migrate_status(db, heed_migrations, &rows, &n, &err)) {
		fprintf(stderr, "heed: %s\n", heed_err_msg(&err));
		return CLI_DB;
	}
	for (size_t i = 0; i < n; i++) {
		const struct heed_migrate_row *r = &rows[i];
		const char *what = r->unknown ? "applied (not in this build)"
				 : r->edited ? "applied, EDITED since"
				 : r->applied ? "applied" : "pending";

		printf("%04u  %-28s %-26s %s\n", r->version, r->name, what,
		       r->applied_at);
		if (!r->applied || r->edited)
			rc = CLI_FAIL;
	}
	free(rows);
	return rc;
}

int cmd_db(struct cli_ctx *ctx, int argc, char **argv)
{
	struct heed_db *db;

	if (argc != 2)
		return cli_bad_usage(ctx, argc < 2 ? "db needs a subcommand"
						   : "too many arguments");
	if (strcmp(argv[1], "migrate") && strcmp(argv[1], "status"))
		return cli_bad_usage(ctx, "unknown db subcommand '%s'", argv[1]);
	if (!cli_config(ctx))
		return CLI_CONFIG;
	db = cli_db(ctx);
	if (!db)
		return CLI_DB;
	return !strcmp(argv[1], "migrate") ? do_migrate(db) : do_status(db);
}
