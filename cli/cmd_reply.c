/* cmd_reply.c: `heed reply` and `heed record-reply`: answer a case. A reply
 * is written (-m, a template, or $EDITOR with the thread quoted), checked
 * against the platform's length limit, and queued in the outbox for
 * `heed respond` to post exactly once (heed/queue.h); a reply posted by hand
 * is recorded with its URL. Both claim the case first, so nobody else
 * answers it meanwhile. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "heed/db.h"
#include "heed/queue.h"
#include "heed/reply.h"
#include "heed/template.h"
#include "heed/term.h"
#include "heed/xalloc.h"
#include "view.h"

const char cmd_reply_usage[] =
	"usage: heed reply [--steal] [--resolve] [-m TEXT | -t NAME [--var KEY=VALUE]...]\n"
	"                  [-e] ID\n"
	"\n"
	"Answer case ID. The reply goes to the outbox, and 'heed respond' posts it\n"
	"to the platform exactly once, as an answer to the customer's latest post.\n"
	"The case then waits for the customer, unclaimed; a new post from them\n"
	"puts it back in the queue.\n"
	"\n"
	"  -m, --message TEXT    the reply\n"
	"  -t, --template NAME   fill a saved reply: {{author}} (the customer's\n"
	"                        handle), {{agent}} (your display name or role),\n"
	"                        {{brand}} and {{case}} are known; give any other\n"
	"                        variable with --var. A variable without a value is\n"
	"                        an error, never an empty hole.\n"
	"      --var KEY=VALUE   a template variable (repeatable; overrides the\n"
	"                        ones heed knows)\n"
	"  -e, --edit            open $EDITOR on the text before queueing it\n"
	"      --resolve         close the case as resolved with the same step\n"
	"      --steal           take the case over from the agent holding it\n"
	"\n"
	"With neither -m nor -t, $VISUAL or $EDITOR (else vi) opens on a file with\n"
	"the thread quoted as '#' lines, as git commit does: lines starting with\n"
	"'#' are dropped, and an empty message aborts.\n"
	"\n"
	"Limits, in the unit each platform counts ([reply] max_len_*): Bluesky\n"
	"300 graphemes (and 3000 bytes), X 280 weighted characters, Mastodon 500\n"
	"(a link counts 23, @user@server counts as @user), Reddit 10000. On\n"
	"Mastodon the reply starts with the customer's @handle unless it names them.\n"
	"heed never posts on Hacker News, and on X only to a post that mentions\n"
	"the brand's account: answer there by hand, then use 'heed record-reply'.\n"
	"\n"
	"Exits 1 when the case is held by someone else, closed, too long, not\n"
	"postable or already has a reply on its way; 4 on database errors.\n";

const char cmd_record_reply_usage[] =
	"usage: heed record-reply [--steal] --url URL [-m TEXT] ID\n"
	"\n"
	"Record a reply you posted by hand (on Hacker News, on X where heed may\n"
	"not post, or anywhere outside heed): it counts as the case's first\n"
	"response now, and the case waits for the customer. URL is the link to\n"
	"your reply; -m keeps its text. Recording the same URL again changes\n"
	"nothing. Exits 1 when the case is held by someone else.\n";

struct reply_opts {
	const char *message, *tmpl;
	struct heed_template_var vars[32];
	size_t nvars;
	bool edit, steal, resolve;
};

static int parse_reply(struct cli_ctx *ctx, int argc, char **argv,
		       struct reply_opts *o, int64_t *id)
{
	static const struct option opts[] = {
		{ "message", required_argument, NULL, 'm' },
		{ "template", required_argument, NULL, 't' },
		{ "var", required_argument, NULL, 'v' },
		{ "edit", no_argument, NULL, 'e' },
		{ "steal", no_argument, NULL, 's' },
		{ "resolve", no_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	char *eq;
	int c;

	while ((c = getopt_long(argc, argv, "m:t:e", opts, NULL)) != -1) {
		switch (c) {
		case 'm': o->message = optarg; break;
		case 't': o->tmpl = optarg; break;
		case 'e': o->edit = true; break;
		case 's': o->steal = true; break;
		case 'r': o->resolve = true; break;
		case 'v':
			eq = strchr(optarg, '=');
			if (!eq || eq == optarg)
				return cli_bad_usage(ctx, "--var wants KEY=VALUE, not '%s'", optarg);
			if (o->nvars == sizeof(o->vars) / sizeof(o->vars[0]))
				return cli_bad_usage(ctx, "too many --var");
			*eq = '\0';
			o->vars[o->nvars].name = optarg;
			o->vars[o->nvars++].value = eq + 1;
			break;
		default:
			return cli_bad_usage(ctx, "bad option");
		}
	}
	if (argc - optind != 1)
		return cli_bad_usage(ctx, "reply takes one case id");
	if (!view_parse_id(argv[optind], id))
		return cli_bad_usage(ctx, "bad case id '%s'", argv[optind]);
	if (o->message && o->tmpl)
		return cli_bad_usage(ctx, "give -m or --template, not both");
	if (o->nvars && !o->tmpl)
		return cli_bad_usage(ctx, "--var needs --template");
	return CLI_OK;
}

/* How the customer is addressed on their platform. */
static char *author_var(const char *platform, const char *handle)
{
	char *clean = heed_term_clean(handle, strlen(handle), 0), *s;

	if (!strcmp(platform, "reddit"))
		s = xasprintf("u/%s", clean);
	else if (!strcmp(platform, "hn") || clean[0] == '@')
		s = xstrdup(clean);
	else
		s = xasprintf("@%s", clean);
	free(clean);
	return s;
}

static int render(struct heed_db *db, const struct heed_case *c,
		  struct reply_opts *o, char **out)
{
	struct heed_template_list tl;
	struct heed_template_var vars[36];
	struct heed_err err;
	char id[24], *author, *agent, *brand;
	size_t n = 0;
	int rc;

	heed_err_clear(&err);
	rc = heed_queue_templates(db, o->tmpl, &tl, &err);
	if (!rc && !tl.n)
		rc = heed_err_set(&err, HEED_ENOTFOUND, "no template '%s'", o->tmpl);
	if (rc) {
		heed_template_list_release(&tl);
		return view_fail(&err);
	}
	snprintf(id, sizeof(id), "%lld", (long long)c->id);
	author = author_var(c->platform, c->author);
	agent = heed_term_clean(c->me_name, strlen(c->me_name), 0);
	brand = heed_term_clean(c->brand, strlen(c->brand), 0);
	vars[n++] = (struct heed_template_var){ "author", author };
	vars[n++] = (struct heed_template_var){ "agent", agent };
	vars[n++] = (struct heed_template_var){ "brand", brand };
	vars[n++] = (struct heed_template_var){ "case", id };
	for (size_t i = 0; i < o->nvars; i++)
		vars[n++] = o->vars[i];
	rc = heed_template_render(tl.t[0].body, vars, n, out, &err);
	free(author);
	free(agent);
	free(brand);
	heed_template_list_release(&tl);
	if (rc) {
		char msg[300];

		heed_term_sanitize(msg, sizeof(msg), heed_err_msg(&err));
		fprintf(stderr, "heed: template '%s': %s%s\n", o->tmpl, msg,
			err.code == HEED_EINVAL ? " (give it with --var NAME=VALUE)" : "");
		return CLI_FAIL;
	}
	return CLI_OK;
}

/* The editor's starting text: the draft, then the thread as '#' lines. */
static char *editor_text(const struct heed_case *c, const char *draft,
			 const struct heed_reply_limits *lim)
{
	struct heed_buf b;
	int64_t max = heed_reply_limit(c->platform, lim);

	heed_buf_init(&b, 0);
	if (heed_buf_addf(&b, "%s\n\n# Reply to case %lld on %s", draft,
			  (long long)c->id, c->platform))
		abort();
	if (max && heed_buf_addf(&b, " (at most %lld %s)", (long long)max,
				 heed_reply_unit(c->platform)))
		abort();
	if (heed_buf_adds(&b, ". Lines starting with '#'\n"
			  "# are dropped; an empty message aborts the reply.\n#\n"))
		abort();
	for (size_t i = 0; i < c->nposts; i++) {
		const struct heed_case_post *p = &c->posts[i];
		char *text = heed_term_clean(p->text, strlen(p->text),
					     HEED_TERM_KEEP_NEWLINES);
		char who[128];

		heed_term_sanitize(who, sizeof(who), p->author);
		if (heed_buf_addf(&b, "# %s @%s%s:\n#   ", p->posted_at, who,
				  p->is_own ? " (brand)" : ""))
			abort();
		for (const char *q = text; *q; q++) {
			int e = *q == '\n' ? heed_buf_adds(&b, "\n#   ")
					   : heed_buf_addc(&b, *q);

			if (e)
				abort();
		}
		if (heed_buf_adds(&b, "\n"))
			abort();
		free(text);
	}
	return heed_buf_detach(&b, NULL);
}

/* Queue text; when the claim lapsed and the case went back to the queue,
 * claim it again (never stealing) and retry once. The key makes a retry
 * after a lost answer return the first reply instead of a second one. */
static int queue_it(struct heed_db *db, const struct heed_case *c,
		    const char *text, const struct reply_opts *o, int64_t lease_ms,
		    int64_t *reply_id, struct heed_err *err)
{
	unsigned flags = o->resolve ? HEED_QUEUE_RESOLVE : 0;
	char key[HEED_QUEUE_KEY_SIZE];
	int rc;

	heed_queue_reply_key(key);
	rc = heed_queue_reply(db, c->id, text, o->tmpl, key, flags, reply_id, err);
	if (rc != HEED_ESTATE)
		return rc;
	heed_err_clear(err);
	rc = heed_queue_claim(db, c->id, false, lease_ms, err);
	if (rc)
		return rc;
	return heed_queue_reply(db, c->id, text, o->tmpl, key, flags, reply_id, err);
}

static int write_reply(struct cli_ctx *ctx, struct heed_db *db,
		       const struct heed_case *c, struct reply_opts *o,
		       int64_t lease_ms)
{
	struct heed_reply_limits lim;
	struct heed_err err;
	char *draft = NULL, *text = NULL, *kept = NULL;
	bool keep = false;
	int64_t reply_id;
	size_t n;
	int rc = CLI_OK;

	view_limits(ctx->cfg, &lim);
	heed_err_clear(&err);
	if (o->tmpl)
		rc = render(db, c, o, &draft);
	else if (o->message)
		draft = heed_reply_tidy(o->message, strlen(o->message), false);
	if (rc)
		return rc;
	/* a finished text is checked before the case is claimed; then hold
	 * the case while the reply is written, so nobody else answers it */
	if ((draft && !o->edit && heed_reply_check_to(c->platform, draft, c->author, &lim, &n, &err)) ||
	    heed_queue_claim(db, c->id, o->steal, lease_ms, &err)) {
		free(draft);
		return view_fail(&err);
	}
	if (!draft || o->edit) {
		char *start = editor_text(c, draft ? draft : "", &lim);

		rc = view_edit(start, &text, &kept, &err);
		free(start);
		free(draft);
		if (rc) {
			rc = view_fail(&err);
			goto out_free;
		}
		if (!*text) {
			fprintf(stderr, "heed: aborting the reply: empty message\n");
			rc = CLI_FAIL;
			goto out_free;
		}
	} else {
		text = draft;
	}
	if (heed_reply_check_to(c->platform, text, c->author, &lim, &n, &err) ||
	    queue_it(db, c, text, o, lease_ms, &reply_id, &err)) {
		rc = view_fail(&err);
		if (kept) {
			fprintf(stderr, "heed: your text is kept in %s\n", kept);
			keep = true;
		}
		goto out_free;
	}
	printf("queued reply %lld to case %lld (%zu %s)%s; heed respond posts it\n",
	       (long long)reply_id, (long long)c->id, n, heed_reply_unit(c->platform),
	       o->resolve ? " and resolved the case" : "");
out_free:
	if (kept && !keep)
		remove(kept);
	free(kept);
	free(text);
	return rc;
}

/* Say why no reply can be queued, before claiming the case or opening an
 * editor (the database would refuse it anyway). */
static bool refuse_early(const struct heed_case *c)
{
	char why[300];

	if (!c->can_post) {
		heed_term_sanitize(why, sizeof(why), c->cannot_post);
		fprintf(stderr, "heed: case %lld: %s\n", (long long)c->id, why);
		return true;
	}
	for (size_t i = 0; i < c->nreplies; i++) {
		const struct heed_case_reply *r = &c->replies[i];

		if (!strcmp(r->kind, "human") && (!strcmp(r->state, "queued") ||
		    !strcmp(r->state, "sending") || !strcmp(r->state, "unknown"))) {
			heed_term_sanitize(why, sizeof(why), r->agent);
			fprintf(stderr, "heed: case %lld already has a reply on its way"
				" (reply %lld by %s)\n", (long long)c->id, (long long)r->id, why);
			return true;
		}
	}
	return false;
}

int cmd_reply(struct cli_ctx *ctx, int argc, char **argv)
{
	struct reply_opts o = { 0 };
	struct heed_case c;
	struct heed_err err;
	struct heed_db *db;
	int64_t id, lease_ms;
	int rc = parse_reply(ctx, argc, argv, &o, &id);

	if (rc)
		return rc;
	rc = view_lease(ctx, NULL, "lease", &lease_ms);
	if (rc)
		return rc;
	db = cli_db(ctx);
	if (!db)
		return CLI_DB;
	heed_err_clear(&err);
	rc = heed_queue_case(db, id, HEED_CASE_THREAD | HEED_CASE_REPLIES, &c, &err);
	if (!rc && refuse_early(&c)) {
		heed_case_release(&c);
		return CLI_FAIL;
	}
	if (rc) {
		heed_case_release(&c);
		return view_fail(&err);
	}
	rc = write_reply(ctx, db, &c, &o, lease_ms);
	heed_case_release(&c);
	return rc;
}

int cmd_record_reply(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "url", required_argument, NULL, 'u' },
		{ "message", required_argument, NULL, 'm' },
		{ "steal", no_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	const char *url = NULL, *text = NULL;
	bool steal = false;
	struct heed_err err;
	struct heed_db *db;
	int64_t id, lease_ms, reply_id;
	int c, rc;

	while ((c = getopt_long(argc, argv, "m:", opts, NULL)) != -1) {
		switch (c) {
		case 'u': url = optarg; break;
		case 'm': text = optarg; break;
		case 's': steal = true; break;
		default: return cli_bad_usage(ctx, "bad option");
		}
	}
	if (argc - optind != 1)
		return cli_bad_usage(ctx, "record-reply takes one case id");
	if (!view_parse_id(argv[optind], &id))
		return cli_bad_usage(ctx, "bad case id '%s'", argv[optind]);
	if (!url)
		return cli_bad_usage(ctx, "record-reply needs --url URL");
	if (strncmp(url, "https://", 8) && strncmp(url, "http://", 7))
		return cli_bad_usage(ctx, "--url wants an http(s) link");
	rc = view_lease(ctx, NULL, "lease", &lease_ms);
	if (rc)
		return rc;
	db = cli_db(ctx);
	if (!db)
		return CLI_DB;
	heed_err_clear(&err);
	/* recording first makes a second run with the same URL a no-op; a
	 * case not held by this agent is claimed, then recorded */
	rc = heed_queue_record_reply(db, id, url, text, &reply_id, &err);
	if (rc == HEED_ESTATE || (rc == HEED_ECONFLICT && steal)) {
		heed_err_clear(&err);
		rc = heed_queue_claim(db, id, steal, lease_ms, &err);
		if (!rc)
			rc = heed_queue_record_reply(db, id, url, text, &reply_id, &err);
	}
	if (rc)
		return view_fail(&err);
	printf("recorded reply %lld on case %lld\n", (long long)reply_id, (long long)id);
	return CLI_OK;
}
