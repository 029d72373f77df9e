/* cmd_doctor.c: `heed doctor`: check each thing heed needs and say, for each,
 * OK or FAIL with what to do. Later components add their checks here. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "heed/db.h"
#include "heed/migrate.h"

const char cmd_doctor_usage[] =
	"usage: heed doctor\n"
	"\n"
	"Check the configuration, the database (reachable, schema migrated, the\n"
	"role's rights) and, as they are configured, sources' credentials and\n"
	"mail settings. Prints one OK or FAIL line per check with what to do;\n"
	"exits 1 when any check fails.\n";

struct doctor {
	unsigned fails;
};

static void line(struct doctor *d, bool ok, const char *what,
		 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void line(struct doctor *d, bool ok, const char *what,
		 const char *fmt, ...)
{
	va_list ap;

	printf("%-4s %-10s ", ok ? "OK" : "FAIL", what);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (!ok)
		d->fails++;
}

static const struct heed_stmt st_whoami = {
	"doctor_whoami",
	"SELECT current_user, current_database(),"
	" current_setting('server_version'),"
	" (SELECT string_agg(b.rolname, ',' ORDER BY b.rolname)"
	"  FROM pg_roles b WHERE b.rolname LIKE 'heed\\_%'"
	"  AND pg_has_role(current_user, b.oid, 'member'))",
	0, true,
};

static void check_db(struct doctor *d, struct heed_cfg *cfg)
{
	struct heed_migrate_row *rows = NULL;
	struct heed_err err;
	struct heed_db *db;
	size_t n = 0, pending = 0, edited = 0;
	PGresult *res;
	struct heed_db_opts o = {
		.conninfo = heed_cfg_str(cfg, "database", "conninfo"),
		.connect_timeout_ms = heed_cfg_duration_ms(cfg, "database",
							   "connect_timeout"),
		.retries = 0,	/* a doctor reports, it does not wait */
		.application_name = "heed doctor",
	};

	heed_err_clear(&err);
	db = heed_db_open(&o, &err);
	if (!db) {
		line(d, false, "database", "%s; set PGHOST/PGDATABASE/PGUSER or [database] conninfo",
		     heed_err_msg(&err));
		return;
	}
	res = heed_db_exec(db, &st_whoami, NULL, &err);
	if (res) {
		const char *roles = PQgetisnull(res, 0, 3) ? "" : PQgetvalue(res, 0, 3);

		line(d, true, "database", "connected to '%s' as '%s' (PostgreSQL %s)%s%s",
		     PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 0),
		     PQgetvalue(res, 0, 2), *roles ? "; member of " : "", roles);
		PQclear(res);
	} else {
		line(d, false, "database", "%s", heed_err_msg(&err));
	}
	if (heed_migrate_status(db, heed_migrations, &rows, &n, &err)) {
		line(d, false, "schema", "%s", heed_err_msg(&err));
		goto out_free_db;
	}
	for (size_t i = 0; i < n; i++) {
		pending += !rows[i].applied;
		edited += rows[i].edited;
	}
	if (edited)
		line(d, false, "schema", "%zu applied migration(s) were edited since; restore them from the release", edited);
	else if (pending)
		line(d, false, "schema", "%zu of %zu migration(s) pending; run 'heed db migrate'",
		     pending, n);
	else
		line(d, true, "schema", "%zu migration(s) applied, none pending", n);
	free(rows);
out_free_db:
	heed_db_free(db);
}

int cmd_doctor(struct cli_ctx *ctx, int argc, char **argv)
{
	struct doctor d = { 0 };
	struct heed_cfg *cfg;

	(void)argv;
	if (argc > 1)
		return cli_bad_usage(ctx, "doctor takes no arguments");
	cfg = cli_config(ctx);
	if (!cfg) {
		line(&d, false, "config", "fix the file named above; 'heed config --defaults' lists every key");
		return CLI_FAIL;
	}
	line(&d, true, "config", "%s", heed_cfg_path(cfg) ? heed_cfg_path(cfg)
			: "no file found ($HEED_CONFIG, ./heed.conf, /etc/heed/heed.conf); using defaults");
	check_db(&d, cfg);
	if (d.fails)
		printf("%u check(s) failed\n", d.fails);
	else
		printf("all checks passed\n");
	return d.fails ? CLI_FAIL : CLI_OK;
}
