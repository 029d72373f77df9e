/* cmd_next.c: `heed next`: claim the most urgent unclaimed case for the
 * agent logged in and show it (heed/queue.h; the database picks the case
 * with FOR UPDATE SKIP LOCKED, so two agents never get the same one). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "heed/queue.h"
#include "view.h"

const char cmd_next_usage[] =
	"usage: heed next [--lease DURATION]\n"
	"\n"
	"Claim the most urgent case nobody holds (then the one due first) and show\n"
	"it as 'heed show' does. Snoozed cases are skipped, and so are cases another\n"
	"agent is claiming at the same moment: each case goes to exactly one agent.\n"
	"\n"
	"The claim is a lease of [queue] lease (5m by default) or --lease: renew\n"
	"it with 'heed claim ID', give it back with 'heed release ID'; unless\n"
	"renewed, the case returns to the queue when it runs out (logged as\n"
	"lease_expired). Replying ('heed reply ID') ends the claim.\n"
	"\n"
	"You act as your PostgreSQL login role, which must be a member of\n"
	"heed_agent. Exits 1 when no case is waiting, 4 when the database fails\n"
	"or refuses the role.\n";

int cmd_next(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "lease", required_argument, NULL, 'l' },
		{ NULL, 0, NULL, 0 },
	};
	const char *lease = NULL;
	struct heed_case c;
	struct heed_err err;
	struct heed_db *db;
	int64_t ms, id;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch != 'l')
			return cli_bad_usage(ctx, "bad option");
		lease = optarg;
	}
	if (optind < argc)
		return cli_bad_usage(ctx, "unexpected argument '%s'", argv[optind]);
	rc = view_lease(ctx, lease, "lease", &ms);
	if (rc)
		return rc;
	db = cli_db(ctx);
	if (!db)
		return CLI_DB;
	heed_err_clear(&err);
	if (heed_queue_next(db, ms, &id, &err)) {
		if (err.code == HEED_ENOTFOUND) {
			fprintf(stderr, "heed: no case is waiting\n");
			return CLI_FAIL;
		}
		return view_fail(&err);
	}
	printf("claimed case %lld\n\n", (long long)id);
	rc = heed_queue_case(db, id, HEED_CASE_ALL, &c, &err);
	if (!rc)
		view_case(stdout, &c, view_colour(STDOUT_FILENO));
	heed_case_release(&c);
	return rc ? view_fail(&err) : CLI_OK;
}
