/* cmd_poll.c: `heed poll`: run the collectors. Loads the sources and the
 * classifier, then hands them to the poll loop; --once for cron, a loop
 * otherwise, --since for a backfill after downtime. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "heed/classify.h"
#include "heed/db.h"
#include "heed/http.h"
#include "heed/log.h"
#include "heed/poll.h"

const char cmd_poll_usage[] =
	"usage: heed poll [--once] [--source NAME] [--since DURATION] [--progress]\n"
	"\n"
	"Fetch new posts from every configured source (or one), classify each,\n"
	"and store them with their cases, one transaction per page.\n"
	"\n"
	"  --once            one cycle per source, then exit (for cron); exits 1\n"
	"                    when a source failed, 5 when one is rate-limited\n"
	"  --source NAME     only the source [source.NAME]\n"
	"  --since DURATION  start from this long ago (e.g. 2h) instead of the\n"
	"                    stored cursor: a backfill after downtime; posts\n"
	"                    already stored are not stored twice\n"
	"  --progress        a line per page on stderr (default with --since)\n"
	"\n"
	"Without --once it runs until SIGINT or SIGTERM, polling busy sources\n"
	"sooner and quiet ones later within each platform's rate limit. Any\n"
	"number of pollers may run: a source is polled by one at a time.\n";

struct run_state {
	unsigned pages, inserted, opened, ratelimited, errors;
	bool verbose;
};

static void progress(void *arg, const struct heed_poll_event *ev)
{
	struct run_state *r = arg;

	if (!strcmp(ev->what, "page")) {
		r->pages++;
		r->inserted += ev->inserted;
		r->opened += ev->opened;
		if (r->verbose)
			fprintf(stderr, "%s: page %u: %u new, %u already stored, %u cases opened, %u joined%s\n",
				ev->src->name, r->pages, ev->inserted,
				ev->duplicates, ev->opened, ev->joined,
				ev->bad ? ", some items unusable (see log)" : "");
	} else if (!strcmp(ev->what, "ratelimited")) {
		r->ratelimited++;
		if (r->verbose)
			fprintf(stderr, "%s: rate-limited, next request in %llds\n",
				ev->src->name, (long long)(ev->wait_ms / 1000));
	} else if (!strcmp(ev->what, "error")) {
		r->errors++;
	}
}

static void classify_cb(void *arg, struct heed_mention *m)
{
	heed_classify_mention(arg, m);
}

int cmd_poll(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "once", no_argument, NULL, 'o' },
		{ "source", required_argument, NULL, 's' },
		{ "since", required_argument, NULL, 'S' },
		{ "progress", no_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	struct run_state run = { 0 };
	struct heed_poll_opts po;
	struct heed_source **srcs = NULL;
	struct heed_classifier *cls = NULL;
	struct heed_classify_ctx *cctx = NULL;
	struct heed_http *http = NULL;
	const char *only = NULL;
	struct heed_err err;
	int64_t since = 0;
	unsigned failed = 0;
	bool once = false;
	size_t n = 0;
	int c, rc = CLI_OK;
	struct heed_cfg *cfg;
	struct heed_db *db;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'o': once = true; break;
		case 's': only = optarg; break;
		case 'S':
			if (heed_parse_duration_ms(optarg, &since) || since <= 0)
				return cli_bad_usage(ctx, "--since needs a duration like 90m or 2h, not '%s'",
						     optarg);
			run.verbose = true;
			break;
		case 'p': run.verbose = true; break;
		default: return cli_bad_usage(ctx, "bad option");
		}
	}
	if (optind < argc)
		return cli_bad_usage(ctx, "unexpected argument '%s'", argv[optind]);
	cfg = cli_config(ctx);
	if (!cfg)
		return CLI_CONFIG;
	heed_log_set_prefix("prog=poll");
	heed_err_clear(&err);
	srcs = heed_sources_from_cfg(cfg, only, &n, &err);
	if (!srcs) {
		fprintf(stderr, "heed: %s\n", heed_err_msg(&err));
		return CLI_CONFIG;
	}
	if (!n) {
		fprintf(stderr, "heed: no [source.NAME] sections in the configuration; see etc/heed.conf.example\n");
		rc = CLI_CONFIG;
		goto out_free_sources;
	}
	cls = cli_classifier(ctx);
	if (!cls) {
		rc = CLI_CONFIG;
		goto out_free_sources;
	}
	cctx = heed_classify_ctx_new(cls);
	db = cli_db(ctx);
	if (!db) {
		rc = CLI_DB;
		goto out_free_classifier;
	}
	http = cli_http(ctx);
	if (!http) {
		rc = CLI_FAIL;
		goto out_free_classifier;
	}
	heed_poll_opts_from_cfg(&po, cfg);
	po.once = once;
	po.since_ms = since;
	po.classify = classify_cb;
	po.classify_arg = cctx;
	po.progress = progress;
	po.progress_arg = &run;
	po.stop = cli_stop_on_signals();
	if (heed_poll_run(db, http, srcs, n, &po, &failed, &err)) {
		fprintf(stderr, "heed: %s\n", heed_err_msg(&err));
		rc = CLI_DB;
	} else if (once) {
		if (run.verbose || failed || run.ratelimited)
			fprintf(stderr, "%zu source(s): %u page(s), %u new mention(s), %u case(s) opened, %u rate-limited, %u failed\n",
				n, run.pages, run.inserted, run.opened,
				run.ratelimited, failed);
		rc = failed ? CLI_FAIL : run.ratelimited ? CLI_TEMP : CLI_OK;
	}
	cli_http_free(http);
out_free_classifier:
	heed_classify_ctx_free(cctx);
	heed_classifier_free(cls);
out_free_sources:
	for (size_t i = 0; i < n; i++)
		heed_source_free(srcs[i]);
	free(srcs);
	return rc;
}
