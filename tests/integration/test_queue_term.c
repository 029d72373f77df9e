/* test_queue_term.c: acceptance 5. A mention whose text, author name and
 * URL carry an OSC 52 clipboard write, a window-title sequence, cursor
 * movement and a bidirectional override must reach the agent's terminal
 * inert. `heed show` and `heed queue` run on a pty (every byte checked: only
 * heed's own colour sequences may remain) and inside tmux (the screen, the
 * pane title and the paste buffers checked, against a control pane that
 * prints the same text raw). Without tmux that part skips. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "heed/buf.h"
#include "queue_fixture.h"

/* The hostile post: OSC 52 (clipboard), OSC 0 (title), CSI 2J and CUP
 * (clear, move), RLO ... PDF (bidi override), BEL. */
#define HOSTILE_SQL \
	"E'hello \\x1b]52;c;ZXZpbA==\\x07 world \\x1b]0;pwned-title\\x07moved" \
	"\\x1b[2J\\x1b[10;10H here \\u202eevil\\u202c end'"

static int setup(void **state)
{
	(void)state;
	if (!ht_pg_available())
		skip();
	return 0;
}

static long hostile_case(struct qf *q)
{
	long id = qf_cases(q, 1, "mastodon");
	PGconn *c = ht_pg_connect(q->ci);

	ht_pg_exec(c, "UPDATE mentions SET text = " HOSTILE_SQL ","
		      " url = E'https://example.com/\\x1b]0;pwned-title\\x07p',"
		      " topics = ARRAY[E'del\\x1b[31mivery'], reasons = '[\"\\u001b]52;c;eA==\\u0007\"]'"
		      " WHERE case_id = $1", ht_num(id), NULL);
	ht_pg_exec(c, "UPDATE authors SET handle = E'bad\\x1b]0;pwned-title\\x07guy',"
		      " display_name = E'Mal \\u202eyrolla\\u202c \\x1b[6n'"
		      " WHERE id = (SELECT author_id FROM cases WHERE id = $1)", ht_num(id), NULL);
	PQfinish(c);
	return id;
}

/* Run heed with args on a new pty; return every byte it wrote. */
static char *on_pty(const struct qf *q, const char *const *args, const char *no_color)
{
	struct heed_buf b;
	char chunk[4096];
	int fd, st;
	pid_t pid;

	heed_buf_init(&b, 1 << 20);
	pid = forkpty(&fd, NULL, NULL, NULL);
	assert_true(pid >= 0);
	if (pid == 0) {
		const char *argv[8] = { "heed" };

		for (int i = 0; args[i] && i < 6; i++)
			argv[i + 1] = args[i];
		setenv("PGDATABASE", q->dbname, 1);
		setenv("PGUSER", q->agent[0], 1);
		setenv("HEED_CONFIG", q->conf, 1);
		setenv("TERM", "xterm-256color", 1);
		setenv("COLUMNS", "160", 1);
		if (no_color)
			setenv("NO_COLOR", no_color, 1);
		else
			unsetenv("NO_COLOR");
		execv(ht_heed_bin(), (char *const *)argv);
		_exit(127);
	}
	for (;;) {
		struct pollfd p = { fd, POLLIN, 0 };
		ssize_t n;

		if (poll(&p, 1, 30000) <= 0)
			break;
		n = read(fd, chunk, sizeof(chunk));
		if (n <= 0)
			break;	/* EIO once the child is gone */
		if (heed_buf_add(&b, chunk, (size_t)n))
			break;
	}
	close(fd);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		fail_msg("heed %s exited %d:\n%s", args[0], st, heed_buf_str(&b));
	return heed_buf_detach(&b, NULL);
}

/* Every ESC must start an SGR sequence (ESC [ digits/; m): heed's colour. */
static int only_colour(const char *s)
{
	int sgr = 0;

	for (const char *p = strchr(s, 0x1b); p; p = strchr(p + 1, 0x1b)) {
		size_t n = 2;

		if (p[1] != '[')
			fail_msg("escape other than CSI at byte %zu", (size_t)(p - s));
		while (strchr("0123456789;", p[n]) && p[n])
			n++;
		if (p[n] != 'm')
			fail_msg("CSI other than SGR at byte %zu: '%.12s'", (size_t)(p - s), p + 1);
		sgr++;
	}
	return sgr;
}

static void inert(const char *out, const char *what)
{
	static const char *const never[] = {
		"\x1b]", "\x07", "\x1b[2J", "\x1b[10;10H", "\x1b[6n", "\x1b[31m",
		"\xe2\x80\xae", "\xe2\x80\xac", "pwned-title", "ZXZpbA==", "\xc2\x9b",
	};

	for (size_t i = 0; i < sizeof(never) / sizeof(never[0]); i++)
		if (strstr(out, never[i]))
			fail_msg("%s: output holds forbidden sequence #%zu:\n%s", what, i, out);
}

static void output_on_a_pty_is_inert(void **state)
{
	static const char *const show[] = { "show", NULL, NULL };
	static const char *const queue[] = { "queue", NULL };
	struct qf q;
	char id[24], *out;
	const char *args[3];
	(void)state;

	qf_init(&q, "pty", 1);
	snprintf(id, sizeof(id), "%ld", hostile_case(&q));
	args[0] = show[0];
	args[1] = id;
	args[2] = NULL;

	out = on_pty(&q, args, NULL);
	inert(out, "heed show");
	assert_true(only_colour(out) > 0);	/* a terminal, NO_COLOR unset */
	assert_non_null(strstr(out, "hello  world moved here evil end"));
	assert_non_null(strstr(out, "badguy"));
	assert_non_null(strstr(out, "Mal yrolla"));
	free(out);

	out = on_pty(&q, queue, NULL);
	inert(out, "heed queue");
	assert_true(only_colour(out) > 0);
	assert_non_null(strstr(out, "hello  world moved here evil end"));
	free(out);

	/* NO_COLOR (any value): not a single escape */
	out = on_pty(&q, args, "1");
	inert(out, "heed show, NO_COLOR");
	assert_null(strchr(out, 0x1b));
	free(out);
	out = on_pty(&q, queue, "");
	assert_null(strchr(out, 0x1b));
	free(out);

	/* not a terminal: no colour either, and still inert */
	{
		char *a = xasprintf("show %s", id);
		struct qf_run r = qf_heed(&q, q.agent[0], NULL, a);

		free(a);

		assert_int_equal(r.status, 0);
		inert(r.out, "heed show | cat");
		assert_null(strchr(r.out, 0x1b));
		free(r.out);
		r = qf_heed(&q, q.agent[0], NULL, "queue --format json");
		assert_int_equal(r.status, 0);
		inert(r.out, "heed queue --format json");
		free(r.out);
		r = qf_heed(&q, q.agent[0], NULL, "queue --format tsv");
		inert(r.out, "heed queue --format tsv");
		free(r.out);
	}
	qf_release(&q);
}

/* ---- tmux ---- */

struct tmux {
	char *dir, *sock, *conf;
};

static int tmux(const struct tmux *t, char **out, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int tmux(const struct tmux *t, char **out, const char *fmt, ...)
{
	struct heed_buf b;
	char *args, *cmd, chunk[4096];
	va_list ap;
	size_t n;
	FILE *p;
	int st;

	va_start(ap, fmt);
	if (vasprintf(&args, fmt, ap) < 0)
		abort();
	va_end(ap);
	cmd = xasprintf("timeout 30 tmux -S '%s' -f '%s' %s 2>/dev/null", t->sock, t->conf, args);
	free(args);
	heed_buf_init(&b, 1 << 20);
	p = popen(cmd, "r");
	assert_non_null(p);
	while ((n = fread(chunk, 1, sizeof(chunk), p)) > 0)
		if (heed_buf_add(&b, chunk, n))
			break;
	st = pclose(p);
	free(cmd);
	if (out)
		*out = heed_buf_detach(&b, NULL);
	else
		heed_buf_release(&b);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Start a session running cmd, then block until cmd has finished (it
 * signals a tmux channel); the pane stays for capture-pane. */
static void run_in_pane(const struct tmux *t, const char *name, const char *cmd)
{
	assert_int_equal(tmux(t, NULL, "new-session -d -x 200 -y 60 -s %s \"%s;"
			      " tmux -S '%s' wait-for -S %s-done; sleep 60\"",
			      name, cmd, t->sock, name), 0);
	assert_int_equal(tmux(t, NULL, "wait-for %s-done", name), 0);
}

/* Poll the pane (bounded) until its screen holds text; returns it. */
static char *screen_with(const struct tmux *t, const char *pane, const char *text)
{
	char *out = NULL;

	for (int i = 0; i < 200; i++) {
		struct timespec ts = { 0, 50000000L };

		free(out);
		assert_int_equal(tmux(t, &out, "capture-pane -p -t %s", pane), 0);
		if (strstr(out, text))
			return out;
		nanosleep(&ts, NULL);
	}
	fail_msg("pane %s never showed '%s':\n%s", pane, text, out);
	return NULL;
}

/* heed queue --watch: the hostile case inert on the live screen, a new
 * case shown once it is opened (NOTIFY heed_cases), Ctrl-C restores the
 * screen and the cursor. */
static void watch_in_tmux(const struct tmux *t, struct qf *q, const char *env)
{
	char *out, *cmd, *sql;
	long id;

	cmd = xasprintf("%s '%s' queue --watch", env, ht_heed_bin());
	assert_int_equal(tmux(t, NULL, "new-session -d -x 200 -y 40 -s watch \"%s;"
			      " echo watch-exit=\\$?; tmux -S '%s' wait-for -S watch-done; sleep 60\"",
			      cmd, t->sock), 0);
	free(cmd);
	out = screen_with(t, "watch", "hello  world moved here evil end");
	if (strstr(out, "pwned-title") || strstr(out, "\xe2\x80\xae"))
		fail_msg("watch: a control sequence reached the screen:\n%s", out);
	assert_non_null(strstr(out, "heed queue (open)"));
	free(out);
	/* a case opened meanwhile appears: ingest notifies heed_cases */
	id = qf_cases(q, 1, "bluesky");
	sql = xasprintf("brand new complaint %ld", id);
	PGconn *c = ht_pg_connect(q->ci);
	ht_pg_exec(c, "UPDATE mentions SET text = $2 WHERE case_id = $1", ht_num(id), sql, NULL);
	ht_pg_exec(c, "SELECT pg_notify('heed_cases', 'acme')", NULL);
	PQfinish(c);
	free(screen_with(t, "watch", sql));
	free(sql);
	assert_int_equal(tmux(t, NULL, "send-keys -t watch C-c"), 0);
	assert_int_equal(tmux(t, NULL, "wait-for watch-done"), 0);
	out = screen_with(t, "watch", "watch-exit=0");
	/* back on the normal screen: the table is gone with the alternate one */
	assert_null(strstr(out, "heed queue (open)"));
	free(out);
	assert_int_equal(tmux(t, &out, "display -p -t watch '#{cursor_flag}'"), 0);
	assert_non_null(strstr(out, "1"));
	free(out);
}

static void screen_in_tmux_is_inert(void **state)
{
	struct qf q;
	struct tmux t;
	char *out, *env, *cmd, *raw;
	long id;
	FILE *f;
	(void)state;

	if (system("tmux -V >/dev/null 2>&1") != 0) {
		fprintf(stderr, "SKIP: tmux is not installed (apt-get install tmux)\n");
		skip();
	}
	qf_init(&q, "tmux", 1);
	id = hostile_case(&q);
	t.dir = ht_mkdtemp("heedtmux");
	t.sock = xasprintf("%s/sock", t.dir);
	t.conf = xasprintf("%s/tmux.conf", t.dir);
	f = fopen(t.conf, "w");
	assert_non_null(f);
	fputs("set -g set-clipboard on\nset -g history-limit 5000\n", f);
	fclose(f);
	env = xasprintf("env PGHOST='%s' PGPORT='%s' PGDATABASE=%s PGUSER=%s HEED_CONFIG='%s'"
			" TERM=tmux-256color", getenv("PGHOST"), getenv("PGPORT") ? getenv("PGPORT") : "5432",
			q.dbname, q.agent[0], q.conf);

	/* control: the same text printed raw does change the title and the
	 * clipboard, so the checks below can see an attack */
	raw = xasprintf("%s/raw", t.dir);
	f = fopen(raw, "w");
	assert_non_null(f);
	fputs("hello \x1b]52;c;ZXZpbA==\x07 world \x1b]0;pwned-title\x07moved\n", f);
	fclose(f);
	cmd = xasprintf("cat '%s'", raw);
	run_in_pane(&t, "ctl", cmd);
	free(cmd);
	assert_int_equal(tmux(&t, &out, "display -p -t ctl '#{pane_title}'"), 0);
	assert_non_null(strstr(out, "pwned-title"));
	free(out);
	assert_int_equal(tmux(&t, &out, "show-buffer"), 0);
	assert_non_null(strstr(out, "evil"));
	free(out);
	assert_int_equal(tmux(&t, NULL, "delete-buffer"), 0);

	/* heed show and heed queue: the text is there, the attack is not */
	cmd = xasprintf("%s '%s' show %ld", env, ht_heed_bin(), id);
	run_in_pane(&t, "show", cmd);
	free(cmd);
	cmd = xasprintf("%s '%s' queue", env, ht_heed_bin());
	run_in_pane(&t, "queue", cmd);
	free(cmd);
	for (int i = 0; i < 2; i++) {
		const char *s = i ? "queue" : "show";

		assert_int_equal(tmux(&t, &out, "capture-pane -p -J -t %s", s), 0);
		fprintf(stderr, "---- screen of heed %s in tmux:\n%s", s, out);
		if (!strstr(out, "hello  world moved here evil end"))
			fail_msg("%s: the post is not on one line as text:\n%s", s, out);
		if (strstr(out, "\xe2\x80\xae") || strstr(out, "pwned-title"))
			fail_msg("%s: a control sequence reached the screen:\n%s", s, out);
		if (!i && !strstr(out, "case "))
			fail_msg("show: the screen was cleared or overwritten:\n%s", out);
		free(out);
		assert_int_equal(tmux(&t, &out, "display -p -t %s '#{pane_title}'", s), 0);
		if (strstr(out, "pwned-title"))
			fail_msg("%s: the window title was changed", s);
		free(out);
	}
	tmux(&t, &out, "list-buffers");
	if (*out)
		fail_msg("the clipboard was written: %s", out);
	free(out);

	watch_in_tmux(&t, &q, env);
	tmux(&t, NULL, "kill-server");
	free(env);
	free(raw);
	ht_rmtree(t.dir);
	free(t.dir);
	free(t.sock);
	free(t.conf);
	qf_release(&q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(output_on_a_pty_is_inert, setup),
		cmocka_unit_test_setup(screen_in_tmux_is_inert, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
