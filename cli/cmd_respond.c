/* cmd_respond.c: `heed respond`: the outbox sender. Loads the sources (whose
 * credentials post the replies) and the [respond] settings, then runs the
 * sending loop until stopped, or once for cron. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "heed/db.h"
#include "heed/http.h"
#include "heed/log.h"
#include "heed/poll.h"
#include "heed/respond.h"

const char cmd_respond_usage[] =
	"usage: heed respond [--once] [--no-ack]\n"
	"\n"
	"Post the replies agents queued, each exactly once, and the automatic\n"
	"acknowledgements brands ask for ([brand.NAME] auto_ack). The intent is\n"
	"recorded before each call and the outcome after it; a reply whose fate\n"
	"is unknown (a crash, a timeout, a 5xx) is looked for on the platform\n"
	"before it is sent again. Temporary failures are retried with backoff;\n"
	"a permanent one (post deleted, not allowed, too long) sends the case\n"
	"back to its agent with the platform's words. Log in as a member of\n"
	"heed_responder.\n"
	"\n"
	"Each reply goes out from its brand's account on the platform: the first\n"
	"[source.NAME] of that brand and platform that has credentials.\n"
	"\n"
	"  --once     send what is due now, then exit (for cron); exits 1 when a\n"
	"             reply failed for good, 5 when some wait for a retry\n"
	"  --no-ack   do not queue automatic acknowledgements in this run\n"
	"\n"
	"Without --once it runs until SIGINT or SIGTERM, woken at once when a\n"
	"reply is queued. Any number may run: a reply is sent by one at a time.\n";

int cmd_respond(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "once", no_argument, NULL, 'o' },
		{ "no-ack", no_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	struct heed_respond_counts counts = { 0 };
	struct heed_respond_opts ro;
	struct heed_source **srcs;
	struct heed_http *http;
	struct heed_err err;
	bool once = false, ack = true;
	size_t n = 0;
	int c, rc = CLI_OK;
	struct heed_cfg *cfg;
	struct heed_db *db;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'o': once = true; break;
		case 'n': ack = false; break;
		default: return cli_bad_usage(ctx, "bad option");
		}
	}
	if (optind < argc)
		return cli_bad_usage(ctx, "unexpected argument '%s'", argv[optind]);
	cfg = cli_config(ctx);
	if (!cfg)
		return CLI_CONFIG;
	heed_log_set_prefix("prog=respond");
	heed_err_clear(&err);
	srcs = heed_sources_from_cfg(cfg, NULL, &n, &err);
	if (!srcs) {
		fprintf(stderr, "heed: %s\n", heed_err_msg(&err));
		return CLI_CONFIG;
	}
	db = cli_db(ctx);
	if (!db) {
		rc = CLI_DB;
		goto out_free_sources;
	}
	http = cli_http(ctx);
	if (!http) {
		rc = CLI_FAIL;
		goto out_free_sources;
	}
	srand((unsigned)time(NULL) ^ (unsigned)getpid());
	heed_respond_opts_from_cfg(&ro, cfg);
	ro.once = once;
	ro.stop = cli_stop_on_signals();
	if (!ack)
		heed_respond_opts_release(&ro);
	if (heed_respond_run(db, http, srcs, n, &ro, &counts, &err)) {
		fprintf(stderr, "heed: %s\n", heed_err_msg(&err));
		rc = CLI_DB;
	} else if (once) {
		if (counts.sent || counts.failed || counts.retried || counts.acks_queued)
			fprintf(stderr, "%u sent (%u found already posted), %u to retry, %u failed, %u acknowledgement(s) queued\n",
				counts.sent, counts.checked_found, counts.retried, counts.failed,
				counts.acks_queued);
		rc = counts.failed ? CLI_FAIL : counts.retried ? CLI_TEMP : CLI_OK;
	}
	heed_respond_opts_release(&ro);
	cli_http_free(http);
out_free_sources:
	for (size_t i = 0; i < n; i++)
		heed_source_free(srcs[i]);
	free(srcs);
	return rc;
}
