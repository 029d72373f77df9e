/* cli.h: what every `heed` subcommand shares: the exit codes, the context
 * built by main() (config, environment, lazily opened database), and the
 * command table entry. Each cmd_<name>.c parses its flags and calls a
 * component; none of them holds state of its own. */
#ifndef HEED_CLI_H
#define HEED_CLI_H

#include <signal.h>

#include <stdbool.h>
#include <stdio.h>

#include "heed/cfg.h"

/* Documented exit codes (README and `heed --help`). */
enum cli_exit {
	CLI_OK = 0,		/* success */
	CLI_FAIL = 1,		/* the operation failed or found a problem */
	CLI_USAGE = 2,		/* unknown command, bad flag or argument */
	CLI_CONFIG = 3,		/* configuration file or value is wrong */
	CLI_DB = 4,		/* database unreachable or refused the request */
	CLI_TEMP = 5,		/* temporary failure: try again later */
};

struct heed_db;

struct cli_ctx {
	const char *config_path;	/* --config, or NULL */
	char **env;			/* environ */
	struct heed_cfg *cfg;		/* loaded by cli_config() */
	struct heed_db *db;		/* opened by cli_db() */
	const struct cli_cmd *cmd;	/* the running command */
};

struct cli_cmd {
	const char *name;
	int (*fn)(struct cli_ctx *ctx, int argc, char **argv);
	const char *summary;	/* one line for `heed help` */
	const char *usage;	/* full text for `heed help CMD` */
};

/* The configuration, loaded on first use. On failure prints the reason
 * (file:line) and returns NULL; the caller exits CLI_CONFIG. */
struct heed_cfg *cli_config(struct cli_ctx *ctx);

/* The database connection, opened on first use with the configured retry
 * policy. On failure prints the reason and returns NULL; exit CLI_DB. */
struct heed_db *cli_db(struct cli_ctx *ctx);

struct heed_classifier;
struct heed_http;

/* An HTTP handle with the [http] settings (libcurl initialised). On failure
 * prints the reason and returns NULL; exit CLI_FAIL. Free it with
 * cli_http_free (NULL is fine). */
struct heed_http *cli_http(struct cli_ctx *ctx);
void cli_http_free(struct heed_http *http);

/* The classifier with its data (lexicons, rules) as configured ([classifier]
 * keys, $HEED_DATA_DIR, or beside the binary). On failure prints the reason
 * and returns NULL; exit CLI_CONFIG. The caller frees it. */
struct heed_classifier *cli_classifier(struct cli_ctx *ctx);

/* For daemons (poll, respond): SIGINT and SIGTERM set the returned flag,
 * which the loop polls; SIGPIPE is ignored. */
const volatile sig_atomic_t *cli_stop_on_signals(void);

/* Print the command's usage to out. */
void cli_usage(const struct cli_cmd *cmd, FILE *out);

/* Report a bad invocation: message, then usage, on stderr. Returns
 * CLI_USAGE for `return cli_bad_usage(...)`. */
int cli_bad_usage(struct cli_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Commands (one file each). */
int cmd_assign(struct cli_ctx *ctx, int argc, char **argv);
int cmd_claim(struct cli_ctx *ctx, int argc, char **argv);
int cmd_classify(struct cli_ctx *ctx, int argc, char **argv);
int cmd_poll(struct cli_ctx *ctx, int argc, char **argv);
int cmd_config(struct cli_ctx *ctx, int argc, char **argv);
int cmd_db(struct cli_ctx *ctx, int argc, char **argv);
int cmd_doctor(struct cli_ctx *ctx, int argc, char **argv);
int cmd_history(struct cli_ctx *ctx, int argc, char **argv);
int cmd_next(struct cli_ctx *ctx, int argc, char **argv);
int cmd_note(struct cli_ctx *ctx, int argc, char **argv);
int cmd_queue(struct cli_ctx *ctx, int argc, char **argv);
int cmd_record_reply(struct cli_ctx *ctx, int argc, char **argv);
int cmd_release(struct cli_ctx *ctx, int argc, char **argv);
int cmd_reopen(struct cli_ctx *ctx, int argc, char **argv);
int cmd_reply(struct cli_ctx *ctx, int argc, char **argv);
int cmd_resolve(struct cli_ctx *ctx, int argc, char **argv);
int cmd_respond(struct cli_ctx *ctx, int argc, char **argv);
int cmd_show(struct cli_ctx *ctx, int argc, char **argv);
int cmd_snooze(struct cli_ctx *ctx, int argc, char **argv);
int cmd_sources(struct cli_ctx *ctx, int argc, char **argv);
int cmd_tag(struct cli_ctx *ctx, int argc, char **argv);
int cmd_templates(struct cli_ctx *ctx, int argc, char **argv);

extern const char cmd_assign_usage[];
extern const char cmd_claim_usage[];
extern const char cmd_classify_usage[];
extern const char cmd_poll_usage[];
extern const char cmd_config_usage[];
extern const char cmd_db_usage[];
extern const char cmd_doctor_usage[];
extern const char cmd_history_usage[];
extern const char cmd_next_usage[];
extern const char cmd_note_usage[];
extern const char cmd_queue_usage[];
extern const char cmd_record_reply_usage[];
extern const char cmd_release_usage[];
extern const char cmd_reopen_usage[];
extern const char cmd_reply_usage[];
extern const char cmd_respond_usage[];
extern const char cmd_resolve_usage[];
extern const char cmd_show_usage[];
extern const char cmd_snooze_usage[];
extern const char cmd_sources_usage[];
extern const char cmd_tag_usage[];
extern const char cmd_templates_usage[];

#endif
