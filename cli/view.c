/* view.c: helpers shared by the agent commands (see view.h). Outside text
 * (posts, handles, names, URLs, template bodies, error messages quoting
 * them) only reaches the terminal through heed_term_clean here. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>
#include <utf8proc.h>

#include "cli.h"
#include "heed/cfg.h"
#include "heed/term.h"
#include "heed/xalloc.h"
#include "view.h"

/* Buffers here have no cap, so appending cannot fail. */
static void put(struct heed_buf *b, const char *s, size_t n)
{
	if (heed_buf_add(b, s, n))
		abort();
}

static void put_s(struct heed_buf *b, const char *s)
{
	put(b, s, strlen(s));
}

static void putf(struct heed_buf *b, const char *fmt, ...) HEED_PRINTF(2, 3);
static void putf(struct heed_buf *b, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = heed_buf_vaddf(b, fmt, ap);
	va_end(ap);
	if (rc)
		abort();
}

bool view_colour(int fd)
{
	return isatty(fd) && !getenv("NO_COLOR");
}

void view_sgr(struct heed_buf *b, bool colour, const char *sgr)
{
	if (colour)
		putf(b, "\x1b[%sm", sgr ? sgr : "0");
}

static int cell_width(utf8proc_int32_t c)
{
	int w = utf8proc_charwidth(c);

	return w > 0 ? w : 0;
}

size_t view_width(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strlen(s), i = 0, w = 0;

	while (i < len) {
		utf8proc_int32_t c;
		utf8proc_ssize_t k = utf8proc_iterate(p + i, (utf8proc_ssize_t)(len - i), &c);

		if (k < 0) {
			k = 1;
			c = 0xfffd;
		}
		w += (size_t)cell_width(c);
		i += (size_t)k;
	}
	return w;
}

void view_cell(struct heed_buf *b, const char *raw, size_t width, bool pad)
{
	char *clean = heed_term_clean(raw ? raw : "", raw ? strlen(raw) : 0, 0);
	const unsigned char *p = (const unsigned char *)clean;
	size_t len = strlen(clean), used = view_width(clean), i = 0;

	if (!width || used <= width) {
		put(b, clean, len);
	} else {
		used = 0;
		while (i < len) {
			utf8proc_int32_t c;
			utf8proc_ssize_t k = utf8proc_iterate(p + i, (utf8proc_ssize_t)(len - i), &c);
			size_t w;

			if (k < 0) {
				k = 1;
				c = 0xfffd;
			}
			w = (size_t)cell_width(c);
			if (used + w + 1 > width)
				break;
			put(b, clean + i, (size_t)k);
			used += w;
			i += (size_t)k;
		}
		put_s(b, "\xe2\x80\xa6");	/* U+2026, one cell */
		used++;
	}
	while (pad && used < width) {
		put(b, " ", 1);
		used++;
	}
	free(clean);
}

void view_block(struct heed_buf *b, const char *raw, const char *indent)
{
	char *clean = heed_term_clean(raw ? raw : "", raw ? strlen(raw) : 0,
				      HEED_TERM_KEEP_NEWLINES);

	for (const char *p = clean; *p; p++) {
		put(b, p, 1);
		if (*p == '\n')
			put_s(b, indent);
	}
	free(clean);
}

void view_left(struct heed_buf *b, int64_t secs, size_t width, bool colour)
{
	static const char *const sgr[] = { NULL, VIEW_YELLOW, VIEW_RED };
	char s[32];
	int level = heed_queue_left_level(secs);
	size_t n;

	heed_queue_fmt_left(secs, s, sizeof(s));
	for (n = strlen(s); n < width; n++)
		put(b, " ", 1);
	if (level)
		view_sgr(b, colour, sgr[level]);
	put_s(b, s);
	if (level)
		view_sgr(b, colour, NULL);
}

int view_exit_code(int code)
{
	switch (code) {
	case HEED_OK:
		return CLI_OK;
	case HEED_EDB:
	case HEED_EDBCONN:
	case HEED_EPERM:
		return CLI_DB;
	default:
		return CLI_FAIL;
	}
}

int view_fail(const struct heed_err *err)
{
	char msg[512];

	heed_term_sanitize(msg, sizeof(msg), heed_err_msg(err));
	fprintf(stderr, "heed: %s\n", msg);
	if (err->code == HEED_EPERM)
		fprintf(stderr, "heed: changing cases needs a login role that is a member"
			" of heed_agent\n");
	return view_exit_code(err->code);
}

bool view_parse_id(const char *s, int64_t *id)
{
	int64_t v;

	if (!s || !*s || strspn(s, "0123456789") != strlen(s) ||
	    heed_parse_int(s, &v) || v <= 0)
		return false;
	*id = v;
	return true;
}

void view_limits(const struct heed_cfg *cfg, struct heed_reply_limits *lim)
{
	lim->bluesky = heed_cfg_int(cfg, "reply", "max_len_bluesky");
	lim->mastodon = heed_cfg_int(cfg, "reply", "max_len_mastodon");
	lim->reddit = heed_cfg_int(cfg, "reply", "max_len_reddit");
	lim->x = heed_cfg_int(cfg, "reply", "max_len_x");
}

int view_lease(struct cli_ctx *ctx, const char *flag, const char *key,
	       int64_t *ms)
{
	if (!cli_config(ctx))
		return CLI_CONFIG;
	if (!flag) {
		*ms = heed_cfg_duration_ms(ctx->cfg, "queue", key);
		return CLI_OK;
	}
	if (heed_parse_duration_ms(flag, ms) || *ms < 1000 || *ms > 43200000)
		return cli_bad_usage(ctx, "bad lease '%s': give a duration from 1s to 12h",
				     flag);
	return CLI_OK;
}

/* ---- the case view ---- */

static void put_json_item(struct heed_buf *b, json_t *v)
{
	const char *key;
	json_t *m;
	bool first = true;
	char *s;

	if (json_is_string(v)) {
		view_cell(b, json_string_value(v), 0, false);
		return;
	}
	if (!json_is_object(v)) {
		s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(4));
		view_cell(b, s ? s : "", 0, false);
		free(s);
		return;
	}
	json_object_foreach(v, key, m) {
		putf(b, "%s", first ? "" : " ");
		first = false;
		view_cell(b, key, 0, false);
		put(b, "=", 1);
		if (json_is_string(m)) {
			view_cell(b, json_string_value(m), 0, false);
		} else {
			s = json_dumps(m, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(4));
			view_cell(b, s ? s : "", 0, false);
			free(s);
		}
	}
}

void view_json_line(struct heed_buf *b, const char *text)
{
	json_t *root = *text ? json_loads(text, 0, NULL) : NULL;
	size_t i;
	json_t *v;

	if (!root) {
		view_cell(b, text, 0, false);
		return;
	}
	if (json_is_array(root)) {
		json_array_foreach(root, i, v) {
			if (i)
				put_s(b, "; ");
			put_json_item(b, v);
		}
	} else {
		put_json_item(b, root);
	}
	json_decref(root);
}

static void put_header(struct heed_buf *b, const struct heed_case *c, bool colour)
{
	view_sgr(b, colour, VIEW_BOLD);
	putf(b, "case %lld", (long long)c->id);
	view_sgr(b, colour, NULL);
	put_s(b, "  ");
	view_cell(b, c->brand, 0, false);
	putf(b, " on %s  %s", c->platform, c->state);
	if (c->claimed_by) {
		put_s(b, " by ");
		view_cell(b, c->claimed_by, 0, false);
		put_s(b, " (lease ");
		view_left(b, c->lease_secs_left, 0, colour);
		put_s(b, ")");
	}
	putf(b, "  priority %d\n", c->priority);
	putf(b, "due %s  (", c->due_at);
	view_left(b, c->secs_left, 0, colour);
	putf(b, " left%s)  posted %s  opened %s\n", c->breached ? ", BREACHED" : "",
	     c->customer_posted_at, c->opened_at);
	if (*c->first_response_at || *c->resolved_at || *c->snoozed_until) {
		if (*c->first_response_at)
			putf(b, "first response %s  ", c->first_response_at);
		if (*c->resolved_at)
			putf(b, "closed %s  ", c->resolved_at);
		if (*c->snoozed_until)
			putf(b, "snoozed until %s", c->snoozed_until);
		put_s(b, "\n");
	}
	put_s(b, "customer @");
	view_cell(b, c->author, 0, false);
	if (*c->author_name) {
		put_s(b, " (");
		view_cell(b, c->author_name, 60, false);
		put_s(b, ")");
	}
	if (*c->followers)
		putf(b, ", %s followers", c->followers);
	putf(b, ", %lld post(s) seen\n", (long long)c->author_posts);
	if (*c->tags) {
		put_s(b, "tags: ");
		view_cell(b, c->tags, 0, false);
		put_s(b, "\n");
	}
	if (!c->can_post) {
		view_sgr(b, colour, VIEW_YELLOW);
		put_s(b, "heed cannot post here: ");
		view_cell(b, c->cannot_post, 0, false);
		view_sgr(b, colour, NULL);
		put_s(b, "\n");
	}
}

static void put_post(struct heed_buf *b, const struct heed_case_post *p, bool colour)
{
	putf(b, "\n  %s  @", p->posted_at);
	view_cell(b, p->author, 40, false);
	if (*p->author_name) {
		put_s(b, " (");
		view_cell(b, p->author_name, 40, false);
		put_s(b, ")");
	}
	view_sgr(b, colour, VIEW_DIM);
	put_s(b, p->is_own ? "  [brand]" : p->by_customer ? "  [customer]" : "");
	put_s(b, p->in_case ? "" : "  [thread]");
	view_sgr(b, colour, NULL);
	if (*p->sentiment || *p->urgency || *p->topics) {
		put_s(b, "  ");
		view_cell(b, p->sentiment, 0, false);
		putf(b, "%s", *p->urgency ? " / " : "");
		view_cell(b, p->urgency, 0, false);
		putf(b, "%s", *p->topics ? " / " : "");
		view_cell(b, p->topics, 0, false);
	}
	put_s(b, "\n    ");
	view_block(b, p->text, "    ");
	put_s(b, "\n");
	if (*p->url) {
		view_sgr(b, colour, VIEW_DIM);
		put_s(b, "    ");
		view_cell(b, p->url, 0, false);
		view_sgr(b, colour, NULL);
		put_s(b, "\n");
	}
	if (*p->reasons || *p->needs_reply_reason) {
		view_sgr(b, colour, VIEW_CYAN);
		put_s(b, "    why: ");
		if (*p->needs_reply_reason) {
			view_cell(b, p->needs_reply_reason, 0, false);
			put_s(b, *p->reasons ? "; " : "");
		}
		view_json_line(b, p->reasons);
		view_sgr(b, colour, NULL);
		put_s(b, "\n");
	}
}

static void put_history(struct heed_buf *b, const struct heed_case *c)
{
	char left[32];

	put_s(b, "\nhistory of this customer\n");
	if (!c->npast && !c->nothers)
		put_s(b, "  nothing earlier\n");
	for (size_t i = 0; i < c->npast; i++) {
		const struct heed_case_past *p = &c->past[i];

		putf(b, "  case %lld  %-8s opened %s", (long long)p->id, p->state,
		     p->opened_at);
		if (p->response_secs >= 0)
			putf(b, ", answered in %s",
			     heed_queue_fmt_left(p->response_secs, left, sizeof(left)));
		else
			put_s(b, ", never answered");
		if (*p->resolved_at)
			putf(b, ", closed %s", p->resolved_at);
		if (*p->tags) {
			put_s(b, " [");
			view_cell(b, p->tags, 40, false);
			put_s(b, "]");
		}
		put_s(b, "\n    ");
		view_cell(b, p->text, 100, false);
		put_s(b, "\n");
	}
	for (size_t i = 0; i < c->nothers; i++) {
		const struct heed_case_other *o = &c->others[i];

		putf(b, "  post %s  %-8s  ", o->posted_at,
		     *o->sentiment ? o->sentiment : "-");
		view_cell(b, o->text, 80, false);
		put_s(b, "\n");
	}
}

static void put_tail(struct heed_buf *b, const struct heed_case *c)
{
	if (c->nhints) {
		put_s(b, "\nsuggested templates (heed reply --template NAME)\n");
		for (size_t i = 0; i < c->nhints; i++) {
			put_s(b, "  ");
			view_cell(b, c->hints[i].name, 24, true);
			put_s(b, " ");
			view_cell(b, c->hints[i].body, 70, false);
			put_s(b, "\n");
		}
	}
	if (c->nreplies) {
		put_s(b, "\nreplies\n");
		for (size_t i = 0; i < c->nreplies; i++) {
			const struct heed_case_reply *r = &c->replies[i];

			putf(b, "  #%lld %s %s by ", (long long)r->id, r->kind, r->state);
			view_cell(b, r->agent, 32, false);
			putf(b, " %s: ", r->created_at);
			view_cell(b, r->text, 70, false);
			if (*r->url) {
				put_s(b, " ");
				view_cell(b, r->url, 0, false);
			}
			if (*r->last_error) {
				put_s(b, " (error: ");
				view_cell(b, r->last_error, 80, false);
				put_s(b, ")");
			}
			put_s(b, "\n");
		}
	}
}

void view_case(FILE *out, const struct heed_case *c, bool colour)
{
	struct heed_buf b;

	heed_buf_init(&b, 0);
	put_header(&b, c, colour);
	putf(&b, "\nthread (%zu post%s)\n", c->nposts, c->nposts == 1 ? "" : "s");
	for (size_t i = 0; i < c->nposts; i++)
		put_post(&b, &c->posts[i], colour);
	put_history(&b, c);
	put_tail(&b, c);
	fwrite(heed_buf_str(&b), 1, heed_buf_len(&b), out);
	heed_buf_release(&b);
}

/* ---- $EDITOR ---- */

static int run_editor(const char *path, struct heed_err *err)
{
	const char *ed = getenv("VISUAL");
	struct sigaction ign = { .sa_handler = SIG_IGN }, oint, oquit;
	char *script;
	pid_t pid;
	int st;

	if (!ed || !*ed)
		ed = getenv("EDITOR");
	if (!ed || !*ed)
		ed = "vi";
	/* as git does: the editor string may carry arguments */
	script = xasprintf("%s \"$@\"", ed);
	sigemptyset(&ign.sa_mask);
	sigaction(SIGINT, &ign, &oint);
	sigaction(SIGQUIT, &ign, &oquit);
	pid = fork();
	if (pid == 0) {
		sigaction(SIGINT, &oint, NULL);
		sigaction(SIGQUIT, &oquit, NULL);
		execl("/bin/sh", "sh", "-c", script, ed, path, (char *)NULL);
		_exit(127);
	}
	while (pid > 0 && waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	sigaction(SIGINT, &oint, NULL);
	sigaction(SIGQUIT, &oquit, NULL);
	free(script);
	if (pid < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
		return heed_err_set(err, HEED_EIO, "the editor '%s' failed", ed);
	return HEED_OK;
}

static int read_file(const char *path, struct heed_buf *b, struct heed_err *err)
{
	char chunk[4096];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return heed_err_set(err, HEED_EIO, "cannot read '%s': %s", path,
				    strerror(errno));
	while ((n = read(fd, chunk, sizeof(chunk))) > 0) {
		if (heed_buf_add(b, chunk, (size_t)n)) {
			close(fd);
			return heed_err_set(err, HEED_ETOOBIG, "'%s' is too big", path);
		}
	}
	close(fd);
	if (n < 0)
		return heed_err_set(err, HEED_EIO, "cannot read '%s'", path);
	return HEED_OK;
}

int view_edit(const char *initial, char **out, char **keep_path,
	      struct heed_err *err)
{
	const char *tmp = getenv("TMPDIR");
	char *path = xasprintf("%s/heed-edit-XXXXXX.txt", tmp && *tmp ? tmp : "/tmp");
	size_t len = strlen(initial);
	struct heed_buf b;
	int fd = mkstemps(path, 4), rc;

	*out = NULL;
	if (fd < 0) {
		rc = heed_err_set(err, HEED_EIO, "cannot create '%s': %s", path,
				  strerror(errno));
		free(path);
		return rc;
	}
	rc = write(fd, initial, len) == (ssize_t)len ? HEED_OK
		: heed_err_set(err, HEED_EIO, "cannot write '%s'", path);
	close(fd);
	heed_buf_init(&b, 1 << 20);
	if (!rc)
		rc = run_editor(path, err);
	if (!rc)
		rc = read_file(path, &b, err);
	if (!rc)
		*out = heed_reply_tidy(heed_buf_str(&b), heed_buf_len(&b), true);
	heed_buf_release(&b);
	if (keep_path) {
		*keep_path = path;
	} else {
		unlink(path);
		free(path);
	}
	return rc;
}
