/* cmd_sources.c: `heed sources`: each configured source with its health as
 * the pollers recorded it: last success, error streak and last error,
 * rate-limit waits, auth failures, next poll. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "heed/db.h"
#include "heed/term.h"

const char cmd_sources_usage[] =
	"usage: heed sources [--format table|tsv]\n"
	"\n"
	"List every source: platform, brand, last success, error streak, last\n"
	"error, rate-limit waits, auth failures and the next poll. Sources in the\n"
	"configuration that never ran are shown as 'never'. Exits 1 when any\n"
	"source is failing (an error streak of 3 or more, or auth failures since\n"
	"its last success).\n";

static const struct heed_stmt st_list = {
	"sources_list",
	"SELECT name, platform, brand,"
	" coalesce(to_char(last_success_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'), 'never'),"
	" error_streak, ratelimit_waits, auth_failures,"
	" coalesce(to_char(next_poll_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'), ''),"
	" coalesce(last_error, ''),"
	" (error_streak >= 3 OR (auth_failures > 0 AND last_error_at > coalesce(last_success_at, '-infinity')))"
	" FROM sources ORDER BY name", 0, true,
};

int cmd_sources(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	bool tsv = false, failing = false;
	struct heed_err err;
	struct heed_db *db;
	PGresult *res;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'f')
			return cli_bad_usage(ctx, "bad option");
		if (strcmp(optarg, "tsv") && strcmp(optarg, "table"))
			return cli_bad_usage(ctx, "unknown format '%s'", optarg);
		tsv = !strcmp(optarg, "tsv");
	}
	if (optind < argc)
		return cli_bad_usage(ctx, "unexpected argument '%s'", argv[optind]);
	db = cli_db(ctx);
	if (!db)
		return CLI_DB;
	heed_err_clear(&err);
	res = heed_db_exec(db, &st_list, NULL, &err);
	if (!res) {
		fprintf(stderr, "heed: %s\n", heed_err_msg(&err));
		return CLI_DB;
	}
	if (!tsv)
		printf("%-20s %-9s %-12s %-19s %6s %6s %5s %-19s %s\n", "SOURCE",
		       "PLATFORM", "BRAND", "LAST SUCCESS (UTC)", "ERRORS",
		       "WAITS", "AUTH", "NEXT POLL (UTC)", "LAST ERROR");
	for (int i = 0; i < PQntuples(res); i++) {
		char errtext[160];

		/* error text may quote a platform's words: make it inert */
		heed_term_sanitize(errtext, sizeof(errtext), PQgetvalue(res, i, 8));
		failing |= PQgetvalue(res, i, 9)[0] == 't';
		printf(tsv ? "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n"
			   : "%-20s %-9s %-12s %-19s %6s %6s %5s %-19s %s\n",
		       PQgetvalue(res, i, 0), PQgetvalue(res, i, 1),
		       PQgetvalue(res, i, 2), PQgetvalue(res, i, 3),
		       PQgetvalue(res, i, 4), PQgetvalue(res, i, 5),
		       PQgetvalue(res, i, 6), PQgetvalue(res, i, 7), errtext);
	}
	PQclear(res);
	return failing ? CLI_FAIL : CLI_OK;
}
