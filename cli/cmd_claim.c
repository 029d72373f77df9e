/* cmd_claim.c: `heed claim`, `heed release` and `heed assign`: who holds a
 * case. Claims are leases that run out unless renewed; taking over another
 * agent's claim needs --steal, which the database logs with both agents. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "heed/queue.h"
#include "view.h"

const char cmd_claim_usage[] =
	"usage: heed claim [--steal] [--lease DURATION] ID\n"
	"\n"
	"Claim case ID for yourself, or renew your claim when you hold it already.\n"
	"A claim is a lease of [queue] lease (5m by default) or --lease; unless\n"
	"renewed it ends and the case returns to the queue. A closed case must be\n"
	"reopened first ('heed reopen ID').\n"
	"\n"
	"  --steal   take the case over from the agent who holds it; the event\n"
	"            log records the steal with both agents\n"
	"\n"
	"Exits 1 when another agent holds the case (without --steal) or it is\n"
	"closed, 4 when the database fails or refuses your role.\n";

const char cmd_release_usage[] =
	"usage: heed release ID\n"
	"\n"
	"Give your claim on case ID up: it returns to the queue for the next agent.\n"
	"Exits 1 when you do not hold it.\n";

const char cmd_assign_usage[] =
	"usage: heed assign [--steal] [--lease DURATION] ID AGENT\n"
	"\n"
	"Hand case ID to AGENT (a PostgreSQL login role in heed_agent): AGENT now\n"
	"holds it for [queue] assign_lease (30m by default) or --lease. The event\n"
	"log records who assigned it to whom. A case a third agent holds needs\n"
	"--steal. Exits 1 when refused.\n";

static int claim_flags(struct cli_ctx *ctx, int argc, char **argv,
		       bool *steal, const char **lease)
{
	static const struct option opts[] = {
		{ "steal", no_argument, NULL, 's' },
		{ "lease", required_argument, NULL, 'l' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 's')
			*steal = true;
		else if (c == 'l')
			*lease = optarg;
		else
			return cli_bad_usage(ctx, "bad option");
	}
	return CLI_OK;
}

int cmd_claim(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *lease = NULL;
	bool steal = false;
	struct heed_err err;
	struct heed_db *db;
	int64_t id, ms;
	int rc = claim_flags(ctx, argc, argv, &steal, &lease);

	if (rc)
		return rc;
	if (argc - optind != 1)
		return cli_bad_usage(ctx, "claim takes one case id");
	if (!view_parse_id(argv[optind], &id))
		return cli_bad_usage(ctx, "bad case id '%s'", argv[optind]);
	rc = view_lease(ctx, lease, "lease", &ms);
	if (rc)
		return rc;
	db = cli_db(ctx);
	if (!db)
		return CLI_DB;
	heed_err_clear(&err);
	if (heed_queue_claim(db, id, steal, ms, &err))
		return view_fail(&err);
	printf("you hold case %lld for %lld s\n", (long long)id, (long long)(ms / 1000));
	return CLI_OK;
}

int cmd_release(struct cli_ctx *ctx, int argc, char **argv)
{
	struct heed_err err;
	struct heed_db *db;
	int64_t id;

	if (argc != 2)
		return cli_bad_usage(ctx, "release takes one case id");
	if (!view_parse_id(argv[1], &id))
		return cli_bad_usage(ctx, "bad case id '%s'", argv[1]);
	db = cli_db(ctx);
	if (!db)
		return CLI_DB;
	heed_err_clear(&err);
	if (heed_queue_release(db, id, &err))
		return view_fail(&err);
	printf("released case %lld\n", (long long)id);
	return CLI_OK;
}

int cmd_assign(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *lease = NULL;
	bool steal = false;
	struct heed_err err;
	struct heed_db *db;
	int64_t id, ms;
	int rc = claim_flags(ctx, argc, argv, &steal, &lease);

	if (rc)
		return rc;
	if (argc - optind != 2)
		return cli_bad_usage(ctx, "assign takes a case id and an agent");
	if (!view_parse_id(argv[optind], &id))
		return cli_bad_usage(ctx, "bad case id '%s'", argv[optind]);
	rc = view_lease(ctx, lease, "assign_lease", &ms);
	if (rc)
		return rc;
	db = cli_db(ctx);
	if (!db)
		return CLI_DB;
	heed_err_clear(&err);
	if (heed_queue_assign(db, id, argv[optind + 1], steal, ms, &err))
		return view_fail(&err);
	printf("case %lld assigned\n", (long long)id);
	return CLI_OK;
}
