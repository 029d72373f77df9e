/* cmd_case.c: the rest of a case's life: `heed note`, `heed tag`,
 * `heed resolve`, `heed reopen`, `heed snooze` and `heed history` (its
 * event log). Every change goes through the database's queue functions
 * (heed/queue.h), which record the agent on each event. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"
#include "heed/db.h"
#include "heed/queue.h"
#include "heed/term.h"
#include "heed/xalloc.h"
#include "view.h"

const char cmd_note_usage[] =
	"usage: heed note ID TEXT...\n"
	"\n"
	"Add a note (the words of TEXT joined by spaces) to the event log of case\n"
	"ID, for the next agent and for the record. Any agent may note any case.\n";

const char cmd_tag_usage[] =
	"usage: heed tag ID [TAG...] [--remove TAG]...\n"
	"\n"
	"Add TAGs to case ID and remove the --remove ones. Tags are lowercase\n"
	"letters, digits and _.:- (at most 40). Any agent may tag any case.\n";

const char cmd_resolve_usage[] =
	"usage: heed resolve [--no-reply-needed] [--steal] ID\n"
	"\n"
	"Close case ID. It needs a reply (queued, sent or recorded) unless\n"
	"--no-reply-needed says none was due; such a case is closed as ignored.\n"
	"A case another agent holds needs --steal (logged with both agents).\n"
	"Exits 1 when refused.\n";

const char cmd_reopen_usage[] =
	"usage: heed reopen ID\n"
	"\n"
	"Open closed case ID again: it goes back to the queue with its deadline.\n";

const char cmd_snooze_usage[] =
	"usage: heed snooze [--steal] ID DURATION\n"
	"\n"
	"Hide case ID from 'heed next' and the default queue for DURATION (15m,\n"
	"2h; at most 7d). The SLA clock keeps running: the deadline does not move,\n"
	"and escalations still fire. Your claim on it, if any, ends.\n";

const char cmd_history_usage[] =
	"usage: heed history [--format table|json] ID\n"
	"\n"
	"The event log of case ID, oldest first: when, who (the agent's role or\n"
	"the daemon's), what, and the details. The log is append-only.\n"
	"json: an array of {id, at, actor, kind, detail (object)}.\n";

static int one_id(struct cli_ctx *ctx, int argc, char **argv, int64_t *id)
{
	if (argc - optind != 1)
		return cli_bad_usage(ctx, "%s takes one case id", argv[0]);
	if (!view_parse_id(argv[optind], id))
		return cli_bad_usage(ctx, "bad case id '%s'", argv[optind]);
	return CLI_OK;
}

static int done(struct heed_err *err, int rc, const char *fmt, int64_t id)
{
	if (rc)
		return view_fail(err);
	printf(fmt, (long long)id);
	return CLI_OK;
}

int cmd_note(struct cli_ctx *ctx, int argc, char **argv)
{
	struct heed_err err;
	struct heed_buf b;
	struct heed_db *db;
	int64_t id;
	int rc;

	if (argc < 3)
		return cli_bad_usage(ctx, "note takes a case id and some text");
	if (!view_parse_id(argv[1], &id))
		return cli_bad_usage(ctx, "bad case id '%s'", argv[1]);
	db = cli_db(ctx);
	if (!db)
		return CLI_DB;
	heed_buf_init(&b, 0);
	for (int i = 2; i < argc; i++)
		if (heed_buf_addf(&b, "%s%s", i > 2 ? " " : "", argv[i]))
			abort();
	heed_err_clear(&err);
	rc = heed_queue_note(db, id, heed_buf_str(&b), &err);
	heed_buf_release(&b);
	return done(&err, rc, "noted on case %lld\n", id);
}

int cmd_tag(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "remove", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	const char **rm = xcalloc((size_t)argc, sizeof(*rm));
	struct heed_err err;
	struct heed_db *db;
	size_t nrm = 0;
	int64_t id;
	int c, rc;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'r') {
			free(rm);
			return cli_bad_usage(ctx, "bad option");
		}
		rm[nrm++] = optarg;
	}
	if (argc - optind < 1 || !view_parse_id(argv[optind], &id) ||
	    (argc - optind < 2 && !nrm)) {
		free(rm);
		return cli_bad_usage(ctx, "tag takes a case id and tags");
	}
	db = cli_db(ctx);
	if (!db) {
		free(rm);
		return CLI_DB;
	}
	heed_err_clear(&err);
	rc = heed_queue_tag(db, id, (const char *const *)argv + optind + 1,
			    (size_t)(argc - optind - 1), rm, nrm, &err);
	free(rm);
	return done(&err, rc, "tagged case %lld\n", id);
}

struct steal_arg {
	int64_t id, lease_ms;
	bool no_reply;
	int64_t snooze_ms;	/* 0: resolve */
};

/* Take the case over, then act, in one transaction: either both happen or
 * neither does. */
static int steal_then(struct heed_db *db, void *arg, struct heed_err *err)
{
	struct steal_arg *a = arg;
	int rc = heed_queue_claim(db, a->id, true, a->lease_ms, err);

	if (rc)
		return rc;
	if (a->snooze_ms)
		return heed_queue_snooze(db, a->id, a->snooze_ms, err);
	return heed_queue_resolve(db, a->id, a->no_reply, err);
}

static int act(struct cli_ctx *ctx, struct steal_arg *a, bool steal,
	       struct heed_err *err)
{
	struct heed_db *db = cli_db(ctx);

	if (!db)
		return heed_err_set(err, HEED_EDBCONN, "no database");
	if (steal) {
		a->lease_ms = heed_cfg_duration_ms(ctx->cfg, "queue", "lease");
		return heed_db_tx(db, steal_then, a, err);
	}
	if (a->snooze_ms)
		return heed_queue_snooze(db, a->id, a->snooze_ms, err);
	return heed_queue_resolve(db, a->id, a->no_reply, err);
}

int cmd_resolve(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "no-reply-needed", no_argument, NULL, 'n' },
		{ "steal", no_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	struct steal_arg a = { 0 };
	struct heed_err err;
	bool steal = false;
	int c, rc;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'n')
			a.no_reply = true;
		else if (c == 's')
			steal = true;
		else
			return cli_bad_usage(ctx, "bad option");
	}
	rc = one_id(ctx, argc, argv, &a.id);
	if (rc)
		return rc;
	if (!cli_db(ctx))
		return CLI_DB;
	heed_err_clear(&err);
	rc = act(ctx, &a, steal, &err);
	return done(&err, rc, a.no_reply ? "closed case %lld (no reply needed)\n"
					 : "resolved case %lld\n", a.id);
}

int cmd_reopen(struct cli_ctx *ctx, int argc, char **argv)
{
	struct heed_err err;
	struct heed_db *db;
	int64_t id;
	int rc;

	if (argc != 2)
		return cli_bad_usage(ctx, "reopen takes one case id");
	if (!view_parse_id(argv[1], &id))
		return cli_bad_usage(ctx, "bad case id '%s'", argv[1]);
	db = cli_db(ctx);
	if (!db)
		return CLI_DB;
	heed_err_clear(&err);
	rc = heed_queue_reopen(db, id, &err);
	return done(&err, rc, "reopened case %lld\n", id);
}

int cmd_snooze(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "steal", no_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	struct steal_arg a = { 0 };
	struct heed_err err;
	struct heed_case c;
	bool steal = false;
	char left[32];
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch != 's')
			return cli_bad_usage(ctx, "bad option");
		steal = true;
	}
	if (argc - optind != 2 || !view_parse_id(argv[optind], &a.id))
		return cli_bad_usage(ctx, "snooze takes a case id and a duration");
	if (heed_parse_duration_ms(argv[optind + 1], &a.snooze_ms) ||
	    a.snooze_ms < 1000 || a.snooze_ms > 7 * 86400000LL)
		return cli_bad_usage(ctx, "bad duration '%s': give 1s to 7d, e.g. 15m",
				     argv[optind + 1]);
	if (!cli_db(ctx))
		return CLI_DB;
	heed_err_clear(&err);
	rc = act(ctx, &a, steal, &err);
	if (rc)
		return view_fail(&err);
	rc = heed_queue_case(ctx->db, a.id, 0, &c, &err);
	if (!rc)
		printf("snoozed case %lld until %s; its deadline stays %s (%s left)\n",
		       (long long)a.id, c.snoozed_until, c.due_at,
		       heed_queue_fmt_left(c.secs_left, left, sizeof(left)));
	heed_case_release(&c);
	return rc ? view_fail(&err) : CLI_OK;
}

static int history_json(const struct heed_case_events *e)
{
	json_t *arr = json_array();
	int rc;

	for (size_t i = 0; i < e->n; i++) {
		const struct heed_case_event *ev = &e->ev[i];
		json_t *o = json_object(), *d = json_loads(ev->detail, 0, NULL);
		char *actor = heed_term_clean(ev->actor, strlen(ev->actor), 0);

		json_object_set_new(o, "id", json_integer(ev->id));
		json_object_set_new(o, "at", json_string(ev->at));
		json_object_set_new(o, "actor", json_string(actor));
		json_object_set_new(o, "kind", json_string(ev->kind));
		json_object_set_new(o, "detail", d ? d : json_object());
		json_array_append_new(arr, o);
		free(actor);
	}
	rc = json_dumpf(arr, stdout, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(arr);
	fputc('\n', stdout);
	return rc ? CLI_FAIL : CLI_OK;
}

static void history_table(const struct heed_case_events *e)
{
	struct heed_buf b;

	heed_buf_init(&b, 0);
	for (size_t i = 0; i < e->n; i++) {
		const struct heed_case_event *ev = &e->ev[i];

		if (heed_buf_addf(&b, "%s  ", ev->at))
			abort();
		view_cell(&b, ev->actor, 16, true);
		if (heed_buf_addf(&b, "  %-14s ", ev->kind))
			abort();
		if (strcmp(ev->detail, "{}"))
			view_json_line(&b, ev->detail);
		if (heed_buf_addc(&b, '\n'))
			abort();
	}
	fwrite(heed_buf_str(&b), 1, heed_buf_len(&b), stdout);
	heed_buf_release(&b);
}

int cmd_history(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	struct heed_case_events e;
	struct heed_err err;
	struct heed_db *db;
	bool json = false;
	int64_t id;
	int c, rc;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'f' || (strcmp(optarg, "table") && strcmp(optarg, "json")))
			return cli_bad_usage(ctx, "bad option");
		json = !strcmp(optarg, "json");
	}
	rc = one_id(ctx, argc, argv, &id);
	if (rc)
		return rc;
	db = cli_db(ctx);
	if (!db)
		return CLI_DB;
	heed_err_clear(&err);
	rc = heed_queue_history(db, id, &e, &err);
	if (rc) {
		heed_case_events_release(&e);
		return view_fail(&err);
	}
	if (json) {
		rc = history_json(&e);
	} else {
		history_table(&e);
		rc = CLI_OK;
	}
	heed_case_events_release(&e);
	return rc;
}
