/* heed.c: the `heed` program: global flags, the command table, help and
 * dispatch. Commands live in cmd_<name>.c; this file owns the only process
 * state (the context built here and passed down). */
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "heed/db.h"
#include "heed/http.h"
#include "heed/log.h"

extern char **environ;

static int cmd_help(struct cli_ctx *ctx, int argc, char **argv);
static int cmd_version(struct cli_ctx *ctx, int argc, char **argv);

static const char cmd_help_usage[] =
	"usage: heed help [COMMAND]\n"
	"\n"
	"Without COMMAND, list the commands; with it, show its usage.\n";
static const char cmd_version_usage[] =
	"usage: heed version\n"
	"\n"
	"Print heed's version.\n";

static const struct cli_cmd commands[] = {
	{ "assign", cmd_assign, "hand a case to another agent", cmd_assign_usage },
	{ "claim", cmd_claim, "claim a case, renew your claim, or take one over with --steal", cmd_claim_usage },
	{ "classify", cmd_classify, "judge mentions: sentiment, urgency, topics, needs-reply, with --explain", cmd_classify_usage },
	{ "config", cmd_config, "show, check or print the default configuration", cmd_config_usage },
	{ "db", cmd_db, "apply schema migrations, show their status", cmd_db_usage },
	{ "doctor", cmd_doctor, "check configuration, database and credentials", cmd_doctor_usage },
	{ "help", cmd_help, "show help for heed or a command", cmd_help_usage },
	{ "history", cmd_history, "show the event log of a case", cmd_history_usage },
	{ "next", cmd_next, "claim the most urgent waiting case and show it", cmd_next_usage },
	{ "note", cmd_note, "add a note to a case", cmd_note_usage },
	{ "poll", cmd_poll, "fetch, classify and store new mentions (--once for cron)", cmd_poll_usage },
	{ "queue", cmd_queue, "list open cases, most urgent first", cmd_queue_usage },
	{ "record-reply", cmd_record_reply, "record a reply posted by hand, with its URL", cmd_record_reply_usage },
	{ "release", cmd_release, "give a claimed case back to the queue", cmd_release_usage },
	{ "reopen", cmd_reopen, "open a closed case again", cmd_reopen_usage },
	{ "reply", cmd_reply, "answer a case: queue a reply for posting", cmd_reply_usage },
	{ "respond", cmd_respond, "post queued replies exactly once, send acknowledgements", cmd_respond_usage },
	{ "resolve", cmd_resolve, "close a case", cmd_resolve_usage },
	{ "show", cmd_show, "show a case: thread, history, templates, deadline", cmd_show_usage },
	{ "snooze", cmd_snooze, "hide a case for a while (its deadline stays)", cmd_snooze_usage },
	{ "sources", cmd_sources, "list sources and their health", cmd_sources_usage },
	{ "tag", cmd_tag, "add or remove tags on a case", cmd_tag_usage },
	{ "templates", cmd_templates, "list, show, add or edit saved replies", cmd_templates_usage },
	{ "version", cmd_version, "print the version", cmd_version_usage },
	{ NULL, NULL, NULL, NULL },
};

static const char main_usage[] =
	"usage: heed [--config FILE] [--log-level LEVEL] COMMAND [ARGS]\n"
	"       heed --help | --version | help COMMAND | COMMAND --help\n"
	"\n"
	"heed answers every customer who mentions your brand within 30 minutes:\n"
	"pollers fetch mentions, a classifier judges them, a PostgreSQL queue\n"
	"drives replies under a deadline.\n"
	"\n"
	"Options:\n"
	"  -c, --config FILE     configuration file (default: $HEED_CONFIG,\n"
	"                        ./heed.conf, /etc/heed/heed.conf)\n"
	"  -l, --log-level LEVEL error, warn, info or debug (overrides [log] level)\n"
	"  -h, --help            this help\n"
	"  -V, --version         print the version\n"
	"\n"
	"The database connection follows libpq: PGHOST, PGDATABASE, PGUSER, ...,\n"
	"pg_service.conf, or [database] conninfo in the configuration.\n"
	"\n"
	"Exit codes: 0 success, 1 failure or problem found, 2 usage error,\n"
	"3 configuration error, 4 database error, 5 temporary failure.\n";

static const struct cli_cmd *find_cmd(const char *name)
{
	for (const struct cli_cmd *c = commands; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

static void list_commands(FILE *out)
{
	fputs(main_usage, out);
	fputs("\nCommands:\n", out);
	for (const struct cli_cmd *c = commands; c->name; c++)
		fprintf(out, "  %-13s %s\n", c->name, c->summary);
	fputs("\nSee 'heed help COMMAND' for one command's options.\n", out);
}

void cli_usage(const struct cli_cmd *cmd, FILE *out)
{
	fputs(cmd->usage, out);
}

int cli_bad_usage(struct cli_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	fputs("heed: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (ctx->cmd)
		cli_usage(ctx->cmd, stderr);
	else
		fputs(main_usage, stderr);
	return CLI_USAGE;
}

struct heed_cfg *cli_config(struct cli_ctx *ctx)
{
	struct heed_err err;
	const char *level;

	if (ctx->cfg)
		return ctx->cfg;
	heed_err_clear(&err);
	ctx->cfg = heed_cfg_load(heed_cfg_keys, ctx->config_path, ctx->env,
				 &err);
	if (!ctx->cfg) {
		fprintf(stderr, "heed: %s\n", heed_err_msg(&err));
		return NULL;
	}
	level = heed_cfg_str(ctx->cfg, "log", "level");
	heed_log_set_level(heed_log_level_parse(level));
	return ctx->cfg;
}

struct heed_db *cli_db(struct cli_ctx *ctx)
{
	struct heed_err err;

	if (ctx->db)
		return ctx->db;
	if (!cli_config(ctx))
		return NULL;
	heed_err_clear(&err);
	ctx->db = heed_db_open_cfg(ctx->cfg, &err);
	if (!ctx->db)
		fprintf(stderr, "heed: %s\n", heed_err_msg(&err));
	return ctx->db;
}

static volatile sig_atomic_t stop_flag;

static void on_stop_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

const volatile sig_atomic_t *cli_stop_on_signals(void)
{
	signal(SIGINT, on_stop_signal);
	signal(SIGTERM, on_stop_signal);
	signal(SIGPIPE, SIG_IGN);
	return &stop_flag;
}

struct heed_http *cli_http(struct cli_ctx *ctx)
{
	struct heed_http *http;
	struct heed_err err;

	if (!cli_config(ctx))
		return NULL;
	if (heed_http_global_init()) {
		fprintf(stderr, "heed: cannot initialise libcurl\n");
		return NULL;
	}
	heed_err_clear(&err);
	http = heed_http_new(&(struct heed_http_opts){
		.connect_timeout_ms = heed_cfg_duration_ms(ctx->cfg, "http", "connect_timeout"),
		.timeout_ms = heed_cfg_duration_ms(ctx->cfg, "http", "timeout"),
		.max_body = heed_cfg_size(ctx->cfg, "http", "max_body"),
		.user_agent = heed_cfg_str(ctx->cfg, "http", "user_agent"),
	}, &err);
	if (!http) {
		fprintf(stderr, "heed: %s\n", heed_err_msg(&err));
		heed_http_global_cleanup();
	}
	return http;
}

void cli_http_free(struct heed_http *http)
{
	if (!http)
		return;
	heed_http_free(http);
	heed_http_global_cleanup();
}

static int cmd_help(struct cli_ctx *ctx, int argc, char **argv)
{
	const struct cli_cmd *c;

	if (argc < 2) {
		list_commands(stdout);
		return CLI_OK;
	}
	if (argc > 2)
		return cli_bad_usage(ctx, "help takes one command name");
	c = find_cmd(argv[1]);
	if (!c)
		return cli_bad_usage(ctx, "'%s' is not a heed command", argv[1]);
	cli_usage(c, stdout);
	return CLI_OK;
}

static int cmd_version(struct cli_ctx *ctx, int argc, char **argv)
{
	(void)argv;
	if (argc > 1)
		return cli_bad_usage(ctx, "version takes no arguments");
	printf("heed %s\n", HEED_VERSION);
	return CLI_OK;
}

/* Pull --config and --log-level out of a command's own arguments, so that
 * `heed doctor --config f` works like `heed --config f doctor`. Returns the
 * new argc, or -1 when a flag lacks its value. */
static int take_global_flags(struct cli_ctx *ctx, int argc, char **argv,
			     const char **level)
{
	int out = 1;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--")) {
			while (i < argc)
				argv[out++] = argv[i++];
			break;
		}
		if (!strcmp(a, "--config") || !strcmp(a, "--log-level")) {
			if (i + 1 >= argc)
				return -1;
			if (a[2] == 'c')
				ctx->config_path = argv[++i];
			else
				*level = argv[++i];
		} else if (!strncmp(a, "--config=", 9)) {
			ctx->config_path = a + 9;
		} else if (!strncmp(a, "--log-level=", 12)) {
			*level = a + 12;
		} else {
			argv[out++] = argv[i];
		}
	}
	argv[out] = NULL;
	return out;
}

static bool wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			return false;
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return true;
	}
	return false;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_ctx ctx = { .env = environ };
	const char *level = NULL;
	const struct cli_cmd *cmd;
	int c, rc;

	/* '+' stops at the first non-option: the command name */
	while ((c = getopt_long(argc, argv, "+c:l:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'c': ctx.config_path = optarg; break;
		case 'l': level = optarg; break;
		case 'h': list_commands(stdout); return CLI_OK;
		case 'V': printf("heed %s\n", HEED_VERSION); return CLI_OK;
		default: fputs(main_usage, stderr); return CLI_USAGE;
		}
	}
	if (optind >= argc)
		return cli_bad_usage(&ctx, "no command given");
	argc -= optind;
	argv += optind;
	cmd = find_cmd(argv[0]);
	if (!cmd)
		return cli_bad_usage(&ctx, "'%s' is not a heed command; see 'heed --help'",
				     argv[0]);
	ctx.cmd = cmd;
	if (wants_help(argc, argv)) {
		cli_usage(cmd, stdout);
		return CLI_OK;
	}
	argc = take_global_flags(&ctx, argc, argv, &level);
	if (argc < 0)
		return cli_bad_usage(&ctx, "--config and --log-level need a value");
	if (level) {
		if (heed_log_level_parse(level) < 0)
			return cli_bad_usage(&ctx, "unknown log level '%s'", level);
		/* the flag beats the file: record it as an override */
		if (!cli_config(&ctx))
			return CLI_CONFIG;
		if (heed_cfg_set(ctx.cfg, "log", "level", level, "--log-level",
				 NULL))
			return CLI_USAGE;
		heed_log_set_level(heed_log_level_parse(level));
	}
	optind = 0;	/* commands run getopt again on their own argv */
	rc = cmd->fn(&ctx, argc, argv);
	heed_db_free(ctx.db);
	heed_cfg_free(ctx.cfg);
	heed_log_set_prefix(NULL);
	return rc;
}
