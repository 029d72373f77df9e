/* cmd_templates.c: `heed templates list|show|add|edit`: the team's saved
 * replies, with {{variables}} filled in by `heed reply --template`. Syntax is
 * checked here (heed/template.h) and again by the database. */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "heed/queue.h"
#include "heed/reply.h"
#include "heed/template.h"
#include "heed/xalloc.h"
#include "view.h"

const char cmd_templates_usage[] =
	"usage: heed templates list\n"
	"       heed templates show NAME\n"
	"       heed templates add NAME [--topics T,...] [--brand B] [-m BODY | --file F]\n"
	"       heed templates edit NAME [--topics T,...] [--brand B] [-m BODY | --file F]\n"
	"\n"
	"Saved replies. A body may use {{author}} (the customer's handle),\n"
	"{{agent}} (your display name or role), {{brand}} and {{case}}, and any\n"
	"other {{name}} given at reply time with --var name=VALUE; a variable\n"
	"without a value makes 'heed reply' fail rather than post a hole.\n"
	"\n"
	"  list    every template: name, brand, topics, variables\n"
	"  show    one template in full\n"
	"  add     a new template; NAME is lowercase letters, digits and _.-\n"
	"  edit    change a template (without -m, --file, --topics or --brand,\n"
	"          $EDITOR opens on its body)\n"
	"\n"
	"  --topics T,...  topics the template answers: 'heed show' suggests it for\n"
	"                  cases with those topics\n"
	"  --brand B       only for brand B ('' for every brand)\n"
	"  -m BODY         the body; --file F reads it from F ('-' for stdin);\n"
	"                  without either, add opens $EDITOR\n";

struct tmpl_opts {
	const char *topics, *brand, *body, *file;
};

static int parse(struct cli_ctx *ctx, int argc, char **argv, struct tmpl_opts *o)
{
	static const struct option opts[] = {
		{ "topics", required_argument, NULL, 'T' },
		{ "brand", required_argument, NULL, 'b' },
		{ "message", required_argument, NULL, 'm' },
		{ "file", required_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "m:", opts, NULL)) != -1) {
		switch (c) {
		case 'T': o->topics = optarg; break;
		case 'b': o->brand = optarg; break;
		case 'm': o->body = optarg; break;
		case 'f': o->file = optarg; break;
		default: return cli_bad_usage(ctx, "bad option");
		}
	}
	if (o->body && o->file)
		return cli_bad_usage(ctx, "give -m or --file, not both");
	return CLI_OK;
}

static int read_body(const char *file, char **out, struct heed_err *err)
{
	int fd = strcmp(file, "-") ? open(file, O_RDONLY | O_CLOEXEC) : STDIN_FILENO;
	struct heed_buf b;
	char chunk[4096];
	ssize_t n;

	if (fd < 0)
		return heed_err_set(err, HEED_EIO, "cannot open '%s'", file);
	heed_buf_init(&b, 64 * 1024);
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		if (heed_buf_add(&b, chunk, (size_t)n))
			break;
	if (fd != STDIN_FILENO)
		close(fd);
	if (n != 0) {
		heed_buf_release(&b);
		return heed_err_set(err, HEED_EIO, "cannot read '%s' (or it is over 64k)", file);
	}
	*out = heed_reply_tidy(heed_buf_str(&b), heed_buf_len(&b), false);
	heed_buf_release(&b);
	return HEED_OK;
}

/* The body from -m, --file or $EDITOR (starting from current). NULL in
 * *out when none was asked for and no editor is wanted. */
static int get_body(const struct tmpl_opts *o, const char *current, bool editor,
		    char **out, struct heed_err *err)
{
	char *start;
	int rc;

	*out = NULL;
	if (o->body) {
		*out = heed_reply_tidy(o->body, strlen(o->body), false);
		return HEED_OK;
	}
	if (o->file)
		return read_body(o->file, out, err);
	if (!editor)
		return HEED_OK;
	start = xasprintf("%s\n\n# Template body. Variables: {{author}} {{agent}} {{brand}}\n"
			  "# {{case}}, and any {{name}} given with --var at reply time.\n"
			  "# Lines starting with '#' are dropped; empty aborts.\n",
			  current);
	rc = view_edit(start, out, NULL, err);
	free(start);
	return rc;
}

static int check_body(const char *body)
{
	struct heed_err err;

	heed_err_clear(&err);
	if (!*body) {
		fprintf(stderr, "heed: empty template body; nothing saved\n");
		return CLI_FAIL;
	}
	if (heed_template_check(body, &err))
		return view_fail(&err);
	return CLI_OK;
}

static int do_list(struct heed_db *db)
{
	struct heed_template_list l;
	struct heed_err err;
	struct heed_buf b;

	heed_err_clear(&err);
	if (heed_queue_templates(db, NULL, &l, &err)) {
		heed_template_list_release(&l);
		return view_fail(&err);
	}
	heed_buf_init(&b, 0);
	if (heed_buf_addf(&b, "%-24s %-12s %-24s %s\n", "NAME", "BRAND", "TOPICS", "VARIABLES"))
		abort();
	for (size_t i = 0; i < l.n; i++) {
		char *vars = heed_template_names(l.t[i].body);

		view_cell(&b, l.t[i].name, 24, true);
		if (heed_buf_addc(&b, ' '))
			abort();
		view_cell(&b, *l.t[i].brand ? l.t[i].brand : "(any)", 12, true);
		if (heed_buf_addc(&b, ' '))
			abort();
		view_cell(&b, l.t[i].topics, 24, true);
		if (heed_buf_addc(&b, ' '))
			abort();
		view_cell(&b, vars, 0, false);
		if (heed_buf_addc(&b, '\n'))
			abort();
		free(vars);
	}
	fwrite(heed_buf_str(&b), 1, heed_buf_len(&b), stdout);
	heed_buf_release(&b);
	heed_template_list_release(&l);
	return CLI_OK;
}

static int do_show(struct heed_db *db, const char *name)
{
	struct heed_template_list l;
	struct heed_err err;
	struct heed_buf b;
	char *vars;

	heed_err_clear(&err);
	if (heed_queue_templates(db, name, &l, &err) ||
	    (!l.n && heed_err_set(&err, HEED_ENOTFOUND, "no template '%s'", name))) {
		heed_template_list_release(&l);
		return view_fail(&err);
	}
	heed_buf_init(&b, 0);
	vars = heed_template_names(l.t[0].body);
	if (heed_buf_adds(&b, "template "))
		abort();
	view_cell(&b, l.t[0].name, 0, false);
	if (heed_buf_adds(&b, "\nbrand: "))
		abort();
	view_cell(&b, *l.t[0].brand ? l.t[0].brand : "(any)", 0, false);
	if (heed_buf_adds(&b, "\ntopics: "))
		abort();
	view_cell(&b, l.t[0].topics, 0, false);
	if (heed_buf_adds(&b, "\nvariables: "))
		abort();
	view_cell(&b, vars, 0, false);
	if (heed_buf_adds(&b, "\nchanged "))
		abort();
	view_cell(&b, l.t[0].updated_at, 0, false);
	if (heed_buf_adds(&b, " by "))
		abort();
	view_cell(&b, l.t[0].updated_by, 0, false);
	if (heed_buf_adds(&b, "\n\n"))
		abort();
	view_block(&b, l.t[0].body, "");
	if (heed_buf_adds(&b, "\n"))
		abort();
	fwrite(heed_buf_str(&b), 1, heed_buf_len(&b), stdout);
	heed_buf_release(&b);
	free(vars);
	heed_template_list_release(&l);
	return CLI_OK;
}

static int do_add(struct heed_db *db, const char *name, const struct tmpl_opts *o)
{
	struct heed_err err;
	char *body = NULL;
	int rc;

	heed_err_clear(&err);
	if (get_body(o, "", true, &body, &err))
		return view_fail(&err);
	rc = check_body(body);
	if (!rc && heed_queue_template_add(db, name, body, o->topics, o->brand, &err))
		rc = view_fail(&err);
	if (!rc)
		printf("added template %s\n", name);
	free(body);
	return rc;
}

static int do_edit(struct heed_db *db, const char *name, const struct tmpl_opts *o)
{
	struct heed_template_list l;
	struct heed_err err;
	bool editor = !o->topics && !o->brand;
	char *body = NULL;
	int rc = CLI_OK;

	heed_err_clear(&err);
	if (heed_queue_templates(db, name, &l, &err) ||
	    (!l.n && heed_err_set(&err, HEED_ENOTFOUND, "no template '%s'", name))) {
		heed_template_list_release(&l);
		return view_fail(&err);
	}
	if (get_body(o, l.t[0].body, editor, &body, &err))
		rc = view_fail(&err);
	heed_template_list_release(&l);
	if (!rc && body)
		rc = check_body(body);
	if (!rc && heed_queue_template_edit(db, name, body, o->topics, o->brand, &err))
		rc = view_fail(&err);
	if (!rc)
		printf("changed template %s\n", name);
	free(body);
	return rc;
}

int cmd_templates(struct cli_ctx *ctx, int argc, char **argv)
{
	struct tmpl_opts o = { 0 };
	struct heed_db *db;
	const char *verb, *name;
	int rc;

	if (argc < 2)
		return cli_bad_usage(ctx, "templates needs list, show, add or edit");
	verb = argv[1];
	rc = parse(ctx, argc - 1, argv + 1, &o);
	if (rc)
		return rc;
	name = optind + 1 < argc ? argv[optind + 1] : NULL;
	if (strcmp(verb, "list") && strcmp(verb, "show") && strcmp(verb, "add") &&
	    strcmp(verb, "edit"))
		return cli_bad_usage(ctx, "unknown templates subcommand '%s'", verb);
	if (!strcmp(verb, "list") ? optind + 1 != argc : optind + 2 != argc)
		return cli_bad_usage(ctx, "templates %s takes %s", verb,
				     strcmp(verb, "list") ? "one name" : "no arguments");
	db = cli_db(ctx);
	if (!db)
		return CLI_DB;
	if (!strcmp(verb, "list"))
		return do_list(db);
	if (!strcmp(verb, "show"))
		return do_show(db, name);
	if (!strcmp(verb, "add"))
		return do_add(db, name, &o);
	return do_edit(db, name, &o);
}
