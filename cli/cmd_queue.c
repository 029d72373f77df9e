/* cmd_queue.c: `heed queue`: live cases, most urgent first, then by
 * deadline, as a table for people (optionally refreshed live on LISTEN
 * heed_cases), or TSV and JSON for scripts. Reads through heed/queue.h. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"
#include "heed/db.h"
#include "heed/queue.h"
#include "heed/term.h"
#include "heed/xalloc.h"
#include "view.h"

const char cmd_queue_usage[] =
	"usage: heed queue [--mine | --unassigned | --all] [--platform P] [--brand B]\n"
	"                  [--limit N] [--format table|tsv|json] [--watch]\n"
	"\n"
	"List live cases, most urgent first, then by deadline: time left, priority,\n"
	"platform, customer, sentiment, topics, who holds it, and the first line of\n"
	"the customer's post. Time left turns yellow under 10 minutes and goes\n"
	"negative (red) once the deadline has passed; colour only on a terminal\n"
	"and only while NO_COLOR is unset.\n"
	"\n"
	"  (default)       new, open and claimed cases, not snoozed\n"
	"  --mine          cases you hold\n"
	"  --unassigned    cases nobody holds, not snoozed: what 'heed next' takes\n"
	"  --all           every live case, waiting and snoozed ones too\n"
	"  --platform P    only mastodon, bluesky, reddit, x or hn\n"
	"  --brand B       only this brand\n"
	"  --limit N       at most N rows ([queue] list_limit, 100); 0 for all\n"
	"  --format F      table (default), tsv or json\n"
	"  --watch         keep the table on screen, redrawn when cases change\n"
	"                  (LISTEN heed_cases, and at least every second); Ctrl-C\n"
	"                  quits\n"
	"\n"
	"tsv: one case per line, fields separated by tabs, no header: id, due_at\n"
	"(RFC 3339, UTC), seconds_left, priority, state, platform, brand, author,\n"
	"sentiment, urgency, topics (comma-separated), claimed_by, text. Text\n"
	"fields are made inert (no control characters, tabs or newlines).\n"
	"\n"
	"json: one array of objects, ASCII only (other characters \\u-escaped):\n"
	"  id (number), brand, platform, state (new|open|claimed|waiting),\n"
	"  priority (0-100), due_at (RFC 3339, UTC), seconds_left (number,\n"
	"  negative once late), breached (bool), snoozed (bool), claimed_by\n"
	"  (string or null), author (handle), sentiment and urgency (labels or\n"
	"  null), topics (array of strings), text (first line of the customer's\n"
	"  first post, control characters removed). New fields may be added;\n"
	"  existing ones keep their names and types.\n";

enum format { FMT_TABLE, FMT_TSV, FMT_JSON };

struct opts {
	struct heed_queue_filter f;
	enum format format;
	bool watch;
};

/* Written by the signal handler only; the watch loop reads them. */
static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void put(struct heed_buf *b, const char *s)
{
	if (heed_buf_adds(b, s))
		abort();
}

/* Columns: ID LEFT PRI PLATFORM AUTHOR SENT TOPICS HOLDER TEXT */
#define FIXED_WIDTH 76

static void render_header(struct heed_buf *b, size_t textw, bool colour,
			  const char *eol)
{
	char line[160];

	view_sgr(b, colour, VIEW_BOLD);
	snprintf(line, sizeof(line), "%6s %7s %3s %-8s %-14s %-8s %-12s %-10s %s",
		 "ID", "LEFT", "PRI", "PLATFORM", "AUTHOR", "SENT", "TOPICS",
		 "HOLDER", textw ? "TEXT" : "");
	put(b, line);
	view_sgr(b, colour, NULL);
	put(b, eol);
}

static void render_row(struct heed_buf *b, const struct heed_queue_item *it,
		       size_t textw, bool colour, const char *eol)
{
	char num[64];
	const char *holder = it->claimed_by ? it->claimed_by
		: it->snoozed ? "(snoozed)"
		: !strcmp(it->state, "waiting") ? "(waiting)" : "";

	snprintf(num, sizeof(num), "%6lld ", (long long)it->id);
	put(b, num);
	view_left(b, it->secs_left, 7, colour);
	snprintf(num, sizeof(num), " %3d %-8s ", it->priority, it->platform);
	put(b, num);
	view_cell(b, it->author, 14, true);
	put(b, " ");
	view_cell(b, it->sentiment, 8, true);
	put(b, " ");
	view_cell(b, it->topics, 12, true);
	put(b, " ");
	view_cell(b, holder, 10, true);
	if (textw) {
		put(b, " ");
		view_cell(b, it->text, textw, false);
	}
	put(b, eol);
}

static size_t text_width(size_t width)
{
	return width > FIXED_WIDTH + 8 ? width - FIXED_WIDTH : 0;
}

static void render_table(struct heed_buf *b, const struct heed_queue_list *l,
			 size_t width, bool colour, const char *eol)
{
	size_t textw = text_width(width);

	render_header(b, textw, colour, eol);
	for (size_t i = 0; i < l->n; i++)
		render_row(b, &l->items[i], textw, colour, eol);
	if (!l->n) {
		put(b, "no cases");
		put(b, eol);
	} else if (l->more) {
		char s[96];

		snprintf(s, sizeof(s), "(%zu shown; more with --limit 0)", l->n);
		put(b, s);
		put(b, eol);
	}
}

static void render_tsv(struct heed_buf *b, const struct heed_queue_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct heed_queue_item *it = &l->items[i];
		const char *cells[] = { it->brand, it->author, it->sentiment,
					it->urgency, it->topics,
					it->claimed_by ? it->claimed_by : "",
					it->text };
		char s[160];

		snprintf(s, sizeof(s), "%lld\t%s\t%lld\t%d\t%s\t%s", (long long)it->id,
			 it->due_at, (long long)it->secs_left, it->priority,
			 it->state, it->platform);
		put(b, s);
		for (size_t k = 0; k < sizeof(cells) / sizeof(cells[0]); k++) {
			put(b, "\t");
			view_cell(b, cells[k], 0, false);
		}
		put(b, "\n");
	}
}

/* A JSON string of outside text, control characters removed. */
static json_t *jclean(const char *s)
{
	char *c = heed_term_clean(s ? s : "", s ? strlen(s) : 0, 0);
	json_t *v = json_string(c);

	free(c);
	return v ? v : json_string("");
}

static json_t *jlabel(const char *s)
{
	return s && *s ? jclean(s) : json_null();
}

static json_t *jtopics(const char *s)
{
	json_t *a = json_array();
	char *copy = xstrdup(s ? s : ""), *save = NULL;

	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
		json_array_append_new(a, jclean(t));
	free(copy);
	return a;
}

static int print_json(const struct heed_queue_list *l)
{
	json_t *arr = json_array();
	int rc;

	for (size_t i = 0; i < l->n; i++) {
		const struct heed_queue_item *it = &l->items[i];
		json_t *o = json_object();

		json_object_set_new(o, "id", json_integer(it->id));
		json_object_set_new(o, "brand", jclean(it->brand));
		json_object_set_new(o, "platform", json_string(it->platform));
		json_object_set_new(o, "state", json_string(it->state));
		json_object_set_new(o, "priority", json_integer(it->priority));
		json_object_set_new(o, "due_at", json_string(it->due_at));
		json_object_set_new(o, "seconds_left", json_integer(it->secs_left));
		json_object_set_new(o, "breached", json_boolean(it->breached));
		json_object_set_new(o, "snoozed", json_boolean(it->snoozed));
		json_object_set_new(o, "claimed_by", jlabel(it->claimed_by));
		json_object_set_new(o, "author", jclean(it->author));
		json_object_set_new(o, "sentiment", jlabel(it->sentiment));
		json_object_set_new(o, "urgency", jlabel(it->urgency));
		json_object_set_new(o, "topics", jtopics(it->topics));
		json_object_set_new(o, "text", jclean(it->text));
		json_array_append_new(arr, o);
	}
	rc = json_dumpf(arr, stdout, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(arr);
	fputc('\n', stdout);
	return rc ? CLI_FAIL : CLI_OK;
}

static void term_size(size_t *width, size_t *height)
{
	struct winsize ws;
	const char *cols = getenv("COLUMNS");
	int64_t n;

	*width = 120;
	*height = 24;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) {
		*width = ws.ws_col;
		*height = ws.ws_row;
	} else if (cols && !heed_parse_int(cols, &n) && n > 20 && n < 10000) {
		*width = (size_t)n;
	}
}

static int list_once(struct heed_db *db, const struct opts *o)
{
	struct heed_queue_list l;
	struct heed_err err;
	struct heed_buf b;
	size_t width, height;
	int rc;

	heed_err_clear(&err);
	rc = heed_queue_list(db, &o->f, &l, &err);
	if (rc) {
		heed_queue_list_release(&l);
		return view_fail(&err);
	}
	if (o->format == FMT_JSON) {
		rc = print_json(&l);
		heed_queue_list_release(&l);
		return rc;
	}
	heed_buf_init(&b, 0);
	if (o->format == FMT_TSV) {
		render_tsv(&b, &l);
	} else {
		term_size(&width, &height);
		render_table(&b, &l, width, view_colour(STDOUT_FILENO), "\n");
	}
	fwrite(heed_buf_str(&b), 1, heed_buf_len(&b), stdout);
	heed_buf_release(&b);
	heed_queue_list_release(&l);
	return CLI_OK;
}

/* Wait up to a second for a NOTIFY (or a signal); drain what came. */
static void wait_change(struct heed_db *db)
{
	PGconn *conn = heed_db_conn(db);
	int fd = conn ? PQsocket(conn) : -1;
	struct timeval tv = { 1, 0 };
	fd_set rd;
	PGnotify *n;

	FD_ZERO(&rd);
	if (fd >= 0)
		FD_SET(fd, &rd);
	if (select(fd >= 0 ? fd + 1 : 0, &rd, NULL, NULL, &tv) <= 0 || fd < 0)
		return;
	if (!PQconsumeInput(conn))
		return;	/* lost: the next listing reconnects */
	while ((n = PQnotifies(conn)) != NULL)
		PQfreemem(n);
}

/* One frame: cursor home, each line cleared to its end, then everything
 * below cleared; written at once so the screen never flickers. */
static void draw(struct heed_db *db, struct opts *o, bool colour)
{
	static const char *const views[] = { "open", "mine", "unassigned", "all" };
	struct heed_queue_list l;
	struct heed_err err;
	struct heed_buf b;
	size_t width, height;
	char title[160], clock[16];
	time_t now = time(NULL);
	struct tm tm;

	term_size(&width, &height);
	o->f.limit = height > 4 ? height - 3 : 1;
	heed_err_clear(&err);
	heed_buf_init(&b, 0);
	put(&b, "\x1b[H");
	strftime(clock, sizeof(clock), "%H:%M:%S", localtime_r(&now, &tm));
	if (heed_queue_list(db, &o->f, &l, &err)) {
		char msg[256];

		heed_term_sanitize(msg, sizeof(msg), heed_err_msg(&err));
		snprintf(title, sizeof(title), "heed queue  %s  error: ", clock);
		put(&b, title);
		put(&b, msg);
		put(&b, "\x1b[K\n");
	} else {
		snprintf(title, sizeof(title), "heed queue (%s)  %s  Ctrl-C quits",
			 views[o->f.view], clock);
		put(&b, title);
		put(&b, "\x1b[K\n");
		render_table(&b, &l, width, colour, "\x1b[K\n");
	}
	put(&b, "\x1b[J");
	heed_queue_list_release(&l);
	if (write(STDOUT_FILENO, heed_buf_str(&b), heed_buf_len(&b)) < 0)
		stop_flag = 1;
	heed_buf_release(&b);
}

static int watch(struct heed_db *db, struct opts *o)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct heed_err err;
	unsigned listening = 0;
	bool colour = view_colour(STDOUT_FILENO);
	static const char enter[] = "\x1b[?1049h\x1b[?25l\x1b[2J";
	static const char leave[] = "\x1b[?25h\x1b[?1049l";

	sigemptyset(&sa.sa_mask);	/* no SA_RESTART: select wakes up */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	if (write(STDOUT_FILENO, enter, sizeof(enter) - 1) < 0)
		return CLI_FAIL;
	while (!stop_flag) {
		/* a reconnect drops LISTEN: listen again on the new session */
		if (listening != heed_db_connects(db)) {
			heed_err_clear(&err);
			if (!heed_queue_listen(db, &err))
				listening = heed_db_connects(db);
		}
		draw(db, o, colour);
		if (!stop_flag)
			wait_change(db);
	}
	if (write(STDOUT_FILENO, leave, sizeof(leave) - 1) < 0)
		return CLI_FAIL;
	return CLI_OK;
}

static int parse(struct cli_ctx *ctx, int argc, char **argv, struct opts *o,
		 bool *limit_set)
{
	static const struct option opts[] = {
		{ "mine", no_argument, NULL, 'm' },
		{ "unassigned", no_argument, NULL, 'u' },
		{ "all", no_argument, NULL, 'a' },
		{ "platform", required_argument, NULL, 'p' },
		{ "brand", required_argument, NULL, 'b' },
		{ "limit", required_argument, NULL, 'n' },
		{ "format", required_argument, NULL, 'f' },
		{ "watch", no_argument, NULL, 'w' },
		{ NULL, 0, NULL, 0 },
	};
	int c, views = 0;
	int64_t n;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'm': o->f.view = HEED_QUEUE_MINE; views++; break;
		case 'u': o->f.view = HEED_QUEUE_UNASSIGNED; views++; break;
		case 'a': o->f.view = HEED_QUEUE_ALL; views++; break;
		case 'p': o->f.platform = optarg; break;
		case 'b': o->f.brand = optarg; break;
		case 'w': o->watch = true; break;
		case 'n':
			if (heed_parse_int(optarg, &n) || n < 0)
				return cli_bad_usage(ctx, "bad --limit '%s'", optarg);
			o->f.limit = (size_t)n;
			*limit_set = true;
			break;
		case 'f':
			if (!strcmp(optarg, "table"))
				o->format = FMT_TABLE;
			else if (!strcmp(optarg, "tsv"))
				o->format = FMT_TSV;
			else if (!strcmp(optarg, "json"))
				o->format = FMT_JSON;
			else
				return cli_bad_usage(ctx, "unknown format '%s'", optarg);
			break;
		default:
			return cli_bad_usage(ctx, "bad option");
		}
	}
	if (optind < argc)
		return cli_bad_usage(ctx, "unexpected argument '%s'", argv[optind]);
	if (views > 1)
		return cli_bad_usage(ctx, "--mine, --unassigned and --all exclude each other");
	if (o->watch && o->format != FMT_TABLE)
		return cli_bad_usage(ctx, "--watch shows a table");
	if (o->watch && !isatty(STDOUT_FILENO))
		return cli_bad_usage(ctx, "--watch needs a terminal");
	return CLI_OK;
}

int cmd_queue(struct cli_ctx *ctx, int argc, char **argv)
{
	struct opts o = { .f = { .view = HEED_QUEUE_OPEN } };
	bool limit_set = false;
	struct heed_db *db;
	int rc = parse(ctx, argc, argv, &o, &limit_set);

	if (rc)
		return rc;
	if (!cli_config(ctx))
		return CLI_CONFIG;
	if (!limit_set)
		o.f.limit = (size_t)heed_cfg_int(ctx->cfg, "queue", "list_limit");
	db = cli_db(ctx);
	if (!db)
		return CLI_DB;
	return o.watch ? watch(db, &o) : list_once(db, &o);
}
