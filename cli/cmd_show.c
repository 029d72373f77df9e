/* cmd_show.c: `heed show ID`: everything an agent needs to answer a case:
 * the thread in order with the classifier's reasons, the customer's history,
 * templates suggested by topic, the replies so far, and the deadline. */
#include <stdio.h>
#include <unistd.h>

#include "cli.h"
#include "heed/queue.h"
#include "view.h"

const char cmd_show_usage[] =
	"usage: heed show ID\n"
	"\n"
	"Show case ID: its state, who holds it and the time left on the lease, the\n"
	"deadline and the time left (yellow under 10 minutes, negative and red once\n"
	"late), the customer, every post of the thread in order with sentiment,\n"
	"urgency, topics and the classifier's reasons, the customer's earlier cases\n"
	"(and how they ended) and other posts, templates whose topics match, the\n"
	"replies so far, and whether heed may post a reply on that platform.\n"
	"\n"
	"Text from the platforms is shown with control and escape sequences\n"
	"removed. Colour only on a terminal and only while NO_COLOR is unset.\n"
	"Exits 1 when there is no such case.\n";

int cmd_show(struct cli_ctx *ctx, int argc, char **argv)
{
	struct heed_case c;
	struct heed_err err;
	struct heed_db *db;
	int64_t id;
	int rc;

	if (argc != 2)
		return cli_bad_usage(ctx, "show takes one case id");
	if (!view_parse_id(argv[1], &id))
		return cli_bad_usage(ctx, "bad case id '%s'", argv[1]);
	db = cli_db(ctx);
	if (!db)
		return CLI_DB;
	heed_err_clear(&err);
	rc = heed_queue_case(db, id, HEED_CASE_ALL, &c, &err);
	if (!rc)
		view_case(stdout, &c, view_colour(STDOUT_FILENO));
	heed_case_release(&c);
	return rc ? view_fail(&err) : CLI_OK;
}
