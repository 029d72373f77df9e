/* test_queue_cli.c: the agent commands as an agent meets them, run as the
 * heed binary logged in as an agent role: help texts, the queue's three
 * formats and filters, next and show, claims, leases and steals, replies by
 * -m, template and $EDITOR, platform limits and posting rules, recorded
 * replies, the rest of a case's life, and the documented exit codes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "queue_fixture.h"

static struct qf q;

static int group_setup(void **state)
{
	(void)state;
	if (ht_pg_available())
		qf_init(&q, "cli", 3);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	if (ht_pg_available())
		qf_release(&q);
	return 0;
}

static int setup(void **state)
{
	(void)state;
	if (!ht_pg_available())
		skip();
	/* every test starts from an empty queue */
	ht_pg_admin(q.dbname, "ALTER TABLE case_events DISABLE TRIGGER case_events_no_truncate;"
		    "TRUNCATE replies, case_events, mentions, cases, templates CASCADE;"
		    "ALTER TABLE case_events ENABLE TRIGGER case_events_no_truncate");
	return 0;
}

/* Run heed as agent i (or another role); fail unless it exits code and its
 * output holds text (NULL: anything). Returns the output (free it). */
static char *run_as(const char *role, const char *envs, const char *args, int code,
		    const char *text)
{
	struct qf_run r = qf_heed(&q, role, envs, args);

	if (r.status != code || (text && !strstr(r.out, text)))
		fail_msg("heed %s: exit %d (want %d), output lacks '%s':\n%s", args, r.status,
			 code, text ? text : "", r.out);
	return r.out;
}

static void run(int agent, const char *args, int code, const char *text)
{
	free(run_as(q.agent[agent], NULL, args, code, text));
}

static long one(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static long one(const char *fmt, ...)
{
	PGconn *c = ht_pg_connect(q.ci);
	va_list ap;
	char *sql;
	long v;

	va_start(ap, fmt);
	if (vasprintf(&sql, fmt, ap) < 0)
		abort();
	va_end(ap);
	v = qf_long(c, sql);
	free(sql);
	PQfinish(c);
	return v;
}

static void every_command_has_help(void **state)
{
	static const char *const cmds[] = {
		"queue", "next", "show", "claim", "release", "assign", "reply",
		"record-reply", "note", "tag", "resolve", "reopen", "snooze", "history",
		"templates",
	};
	(void)state;

	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		char *args = xasprintf("help %s", cmds[i]), *want = xasprintf("usage: heed %s", cmds[i]);

		run(0, args, 0, want);
		free(args);
		args = xasprintf("%s --help", cmds[i]);
		run(0, args, 0, want);
		free(args);
		free(want);
	}
	run(0, "--help", 0, "record-reply");
	run(0, "queue --format xml", 2, "unknown format 'xml'");
	run(0, "queue --mine --all", 2, "exclude each other");
	run(0, "queue --watch", 2, "--watch needs a terminal");
	run(0, "show", 2, "show takes one case id");
	run(0, "show abc", 2, "bad case id 'abc'");
	run(0, "reply 1 -m a -t b", 2, "not both");
	run(0, "snooze 1 forever", 2, "bad duration");
	run(0, "record-reply 1", 2, "needs --url");
	run(0, "claim --lease 0s 1", 2, "bad lease");
	run(0, "templates frob", 2, "unknown templates subcommand");
}

static void queue_formats_and_filters(void **state)
{
	json_t *arr, *o;
	json_error_t jerr;
	char *out;
	(void)state;

	qf_cases(&q, 3, "mastodon");
	qf_cases(&q, 2, "bluesky");
	out = run_as(q.agent[0], NULL, "queue", 0, "PLATFORM");
	assert_null(strchr(out, 0x1b));		/* not a terminal: no colour */
	assert_non_null(strstr(out, "my order"));
	free(out);

	out = run_as(q.agent[0], NULL, "queue --format json", 0, NULL);
	arr = json_loads(out, 0, &jerr);
	if (!arr)
		fail_msg("not JSON: %s\n%s", jerr.text, out);
	assert_int_equal(json_array_size(arr), 5);
	o = json_array_get(arr, 0);
	assert_true(json_is_integer(json_object_get(o, "id")));
	assert_true(json_is_integer(json_object_get(o, "seconds_left")));
	assert_true(json_is_integer(json_object_get(o, "priority")));
	assert_true(json_is_boolean(json_object_get(o, "breached")));
	assert_true(json_is_null(json_object_get(o, "claimed_by")));
	assert_true(json_is_array(json_object_get(o, "topics")));
	assert_string_equal(json_string_value(json_array_get(json_object_get(o, "topics"), 0)),
			    "delivery");
	assert_string_equal(json_string_value(json_object_get(o, "sentiment")), "negative");
	assert_non_null(strstr(json_string_value(json_object_get(o, "text")), "never arrived"));
	assert_true(json_is_string(json_object_get(o, "due_at")));
	/* most urgent first, then by deadline */
	for (size_t i = 1; i < json_array_size(arr); i++) {
		json_t *p = json_array_get(arr, i - 1), *n = json_array_get(arr, i);
		json_int_t pp = json_integer_value(json_object_get(p, "priority"));
		json_int_t np = json_integer_value(json_object_get(n, "priority"));

		assert_true(pp > np || (pp == np && json_integer_value(json_object_get(p, "seconds_left"))
					<= json_integer_value(json_object_get(n, "seconds_left"))));
	}
	json_decref(arr);
	free(out);

	out = run_as(q.agent[0], NULL, "queue --format tsv --platform bluesky", 0, "\tbluesky\t");
	assert_null(strstr(out, "mastodon"));
	assert_int_equal(strchr(strchr(out, '\n') + 1, '\n') - out + 1, (long)strlen(out));
	free(out);
	run(0, "queue --limit 2", 0, "(2 shown; more with --limit 0)");
	run(0, "queue --brand nosuch", 0, "no cases");

	/* mine / unassigned / all */
	run(1, "next", 0, "claimed case");
	out = run_as(q.agent[1], NULL, "queue --mine --format tsv", 0, q.agent[1]);
	assert_int_equal(strchr(out, '\n') - out + 1, (long)strlen(out));	/* one row */
	free(out);
	out = run_as(q.agent[0], NULL, "queue --unassigned --format tsv", 0, NULL);
	assert_null(strstr(out, q.agent[1]));
	free(out);
	run(0, "queue --mine", 0, "no cases");
	/* a manager may read the queue */
	free(run_as(q.manager, NULL, "queue", 0, "PLATFORM"));
}

static void next_show_claim_release_assign(void **state)
{
	char *args;
	long id;
	(void)state;

	id = qf_cases(&q, 1, "reddit");
	args = xasprintf("show %ld", id);
	run(0, args, 0, "thread (1 post)");
	free(args);
	run(0, "show 999999", 1, "no case 999999");
	run(0, "next", 0, "claimed case");
	run(1, "next", 1, "no case is waiting");
	args = xasprintf("claim %ld", id);
	run(1, args, 1, "take it over with --steal");
	run(0, args, 0, "you hold case");		/* renewal */
	free(args);
	args = xasprintf("release %ld", id);
	run(1, args, 1, "held by");
	run(0, args, 0, "released case");
	run(0, args, 1, "not claimed by you");
	free(args);
	args = xasprintf("assign %ld %s", id, q.agent[2]);
	run(0, args, 0, "assigned");
	free(args);
	assert_int_equal(one("SELECT count(*) FROM cases WHERE claimed_by = '%s'", q.agent[2]), 1);
	args = xasprintf("claim --steal %ld", id);
	run(1, args, 0, "you hold case");
	free(args);
	assert_int_equal(one("SELECT count(*) FROM case_events WHERE kind = 'stolen' AND actor = '%s'"
			     " AND detail->>'from' = '%s'", q.agent[1], q.agent[2]), 1);
	/* the manager role may not claim: the database refuses, exit 4 */
	free(run_as(q.manager, NULL, "next", 4, "member of heed_agent"));
}

/* Acceptance 3 through the binary: a 1 s lease, not renewed, runs out and
 * the next agent's `heed next` takes the case. */
static void an_unrenewed_lease_returns_the_case(void **state)
{
	struct timespec ts = { 1, 200000000L };
	char *out, *args;
	long id;
	(void)state;

	id = qf_cases(&q, 1, "mastodon");
	free(run_as(q.agent[0], "HEED_QUEUE_LEASE=1s", "next", 0, "claimed case"));
	run(1, "next", 1, "no case is waiting");
	while (nanosleep(&ts, &ts) == -1)
		;
	args = xasprintf("claimed case %ld", id);
	out = run_as(q.agent[1], NULL, "next", 0, args);
	free(out);
	free(args);
	args = xasprintf("history %ld", id);
	out = run_as(q.agent[1], NULL, args, 0, "lease_expired");
	assert_non_null(strstr(out, q.agent[0]));
	free(out);
	free(args);
}

static void replies_by_message_template_and_editor(void **state)
{
	char *args, *out, *ed, *log;
	long id;
	FILE *f;
	(void)state;

	id = qf_cases(&q, 3, "mastodon");
	args = xasprintf("reply %ld -m 'Sorry about that, we are on it.'", id);
	run(0, args, 0, "queued reply");
	run(1, args, 1, "already has a reply on its way");
	free(args);
	assert_int_equal(one("SELECT count(*) FROM replies WHERE case_id = %ld AND agent = '%s'"
			     " AND text = 'Sorry about that, we are on it.'", id, q.agent[0]), 1);
	/* agent 1 took no claim it keeps: the case is free again */
	assert_int_equal(one("SELECT count(*) FROM cases WHERE id = %ld AND state = 'waiting'", id), 1);

	/* templates: a missing variable is an error, never a hole */
	run(0, "templates add sorry --topics delivery -m 'Hi {{author}}, {{agent}} of {{brand}}:"
	       " order {{order}} is on its way (case {{case}}).'", 0, "added template sorry");
	run(0, "templates add bad -m 'Hi {{author'", 1, "bad placeholder");
	run(0, "templates list", 0, "author, agent, brand, order, case");
	run(0, "templates show sorry", 0, "variables: author, agent, brand, order, case");
	args = xasprintf("show %ld", id + 1);
	run(0, args, 0, "suggested templates");
	free(args);
	args = xasprintf("reply %ld -t sorry", id + 1);
	run(0, args, 1, "no value for {{order}}");
	free(args);
	assert_int_equal(one("SELECT count(*) FROM replies WHERE case_id = %ld", id + 1), 0);
	/* and no claim was left behind */
	assert_int_equal(one("SELECT count(*) FROM cases WHERE id = %ld AND state = 'claimed'",
			     id + 1), 0);
	args = xasprintf("reply %ld -t sorry --var order=A-17 --resolve", id + 1);
	run(0, args, 0, "and resolved the case");
	free(args);
	assert_int_equal(one("SELECT count(*) FROM replies r JOIN cases c ON c.id = r.case_id"
			     " WHERE r.case_id = %ld AND r.template = 'sorry' AND c.state = 'resolved'"
			     " AND r.text = 'Hi @' || (SELECT a.handle FROM authors a"
			     "  WHERE a.id = c.author_id) || ', %s of acme: order A-17 is on its way"
			     " (case %ld).'", id + 1, q.agent[0], id + 1), 1);
	/* $EDITOR: the thread quoted as '#' lines; what is kept is queued */
	ed = xasprintf("%s/editor.sh", q.dir);
	log = xasprintf("%s/editor.log", q.dir);
	f = fopen(ed, "w");
	assert_non_null(f);
	fprintf(f, "#!/bin/sh\ncp \"$1\" '%s'\n{ echo 'Thanks, fixing it now.'; cat '%s'; } > \"$1\"\n",
		log, log);
	fclose(f);
	chmod(ed, 0700);
	args = xasprintf("EDITOR='%s'", ed);
	out = xasprintf("reply %ld", id + 2);
	free(run_as(q.agent[0], args, out, 0, "queued reply"));
	assert_int_equal(one("SELECT count(*) FROM replies WHERE case_id = %ld"
			     " AND text = 'Thanks, fixing it now.'", id + 2), 1);
	free(out);
	free(args);
	f = fopen(log, "r");
	assert_non_null(f);
	{
		char buf[4096];
		size_t n = fread(buf, 1, sizeof(buf) - 1, f);

		buf[n] = '\0';
		assert_non_null(strstr(buf, "# Reply to case"));
		assert_non_null(strstr(buf, "never arrived"));
		assert_non_null(strstr(buf, "at most 500 graphemes"));
	}
	fclose(f);
	/* an editor that leaves nothing aborts the reply */
	id = qf_cases(&q, 1, "mastodon");
	f = fopen(ed, "w");
	assert_non_null(f);
	fputs("#!/bin/sh\n: > \"$1\"\n", f);
	fclose(f);
	args = xasprintf("VISUAL='%s'", ed);
	out = xasprintf("reply %ld", id);
	free(run_as(q.agent[0], args, out, 1, "empty message"));
	free(out);
	free(args);
	assert_int_equal(one("SELECT count(*) FROM replies WHERE case_id = %ld", id), 0);
	/* a text the database refuses is kept for the agent */
	f = fopen(ed, "w");
	assert_non_null(f);
	fputs("#!/bin/sh\necho 'Hi {{name}}' > \"$1\"\n", f);
	fclose(f);
	args = xasprintf("EDITOR='%s'", ed);
	out = xasprintf("reply %ld", id);
	{
		char *o2 = run_as(q.agent[0], args, out, 1, "your text is kept in "), *path;
		struct stat st;

		path = strstr(o2, "kept in ") + strlen("kept in ");
		path[strcspn(path, "\n")] = '\0';
		assert_int_equal(stat(path, &st), 0);
		unlink(path);
		free(o2);
	}
	free(out);
	free(args);
	free(ed);
	free(log);
}

static void platform_limits_and_rules(void **state)
{
	char *args, *text;
	long bs, hn, x;
	(void)state;

	bs = qf_cases(&q, 1, "bluesky");
	hn = qf_cases(&q, 1, "hn");
	x = qf_cases(&q, 1, "x");
	ht_pg_admin(q.dbname, "UPDATE mentions SET mentions_account = false WHERE platform = 'x'");
	/* 301 graphemes, each a letter with a combining accent: too long */
	text = xmalloc(301 * 3 + 1);
	for (int i = 0; i < 301; i++)
		memcpy(text + 3 * i, "e\xcc\x81", 3);
	text[301 * 3] = '\0';
	args = xasprintf("reply %ld -m '%s'", bs, text);
	run(0, args, 1, "301 graphemes; bluesky allows 300");
	assert_int_equal(one("SELECT count(*) FROM cases WHERE id = %ld AND state = 'claimed'", bs), 0);
	/* the limit is configurable */
	free(run_as(q.agent[0], "HEED_REPLY_MAX_LEN_BLUESKY=400", args, 0, "301 graphemes"));
	free(args);
	free(text);
	/* heed never posts on Hacker News; on X only to a post that mentions the brand */
	args = xasprintf("reply %ld -m hi", hn);
	run(0, args, 1, "record-reply");
	free(args);
	args = xasprintf("reply %ld -m hi", x);
	run(0, args, 1, "mention the brand");
	free(args);
	args = xasprintf("record-reply %ld --url https://news.ycombinator.com/item?id=7 -m 'answered'", hn);
	run(0, args, 0, "recorded reply");
	run(0, args, 0, "recorded reply");		/* the same URL again: no-op */
	free(args);
	assert_int_equal(one("SELECT count(*) FROM replies r JOIN cases c ON c.id = r.case_id"
			     " WHERE r.case_id = %ld AND r.kind = 'recorded' AND r.text = 'answered'"
			     " AND c.first_response_at IS NOT NULL", hn), 1);
	args = xasprintf("record-reply %ld --url ftp://x", x);
	run(0, args, 2, "http(s) link");
	free(args);
}

static void the_rest_of_a_case(void **state)
{
	char *args, *out;
	json_t *arr;
	long id;
	(void)state;

	id = qf_cases(&q, 1, "reddit");
	args = xasprintf("resolve %ld", id);
	run(0, args, 1, "has no reply");
	free(args);
	args = xasprintf("note %ld called the customer back", id);
	run(0, args, 0, "noted");
	free(args);
	args = xasprintf("tag %ld vip billing", id);
	run(0, args, 0, "tagged");
	free(args);
	args = xasprintf("tag %ld 'Bad Tag'", id);
	run(0, args, 1, "bad tag");
	free(args);
	args = xasprintf("snooze %ld 15m", id);
	run(0, args, 0, "its deadline stays");
	free(args);
	run(1, "next", 1, "no case is waiting");	/* snoozed */
	run(1, "queue --all", 0, "(snoozed)");
	args = xasprintf("claim %ld", id);
	run(1, args, 0, "you hold");
	free(args);
	args = xasprintf("resolve --no-reply-needed %ld", id);
	run(0, args, 1, "held by");
	free(args);
	args = xasprintf("resolve --no-reply-needed --steal %ld", id);
	run(0, args, 0, "no reply needed");
	free(args);
	args = xasprintf("reopen %ld", id);
	run(2, args, 0, "reopened");
	free(args);
	args = xasprintf("history --format json %ld", id);
	out = run_as(q.agent[0], NULL, args, 0, NULL);
	free(args);
	arr = json_loads(out, 0, NULL);
	assert_non_null(arr);
	{
		static const char *const kinds[] = {
			"noted", "tagged", "snoozed", "claimed", "stolen", "ignored", "reopened",
		};
		size_t k = 0;

		for (size_t i = 0; i < json_array_size(arr) && k < 7; i++)
			if (!strcmp(json_string_value(json_object_get(json_array_get(arr, i), "kind")),
				    kinds[k]))
				k++;
		if (k != 7)
			fail_msg("history lacks %s:\n%s", kinds[k], out);
	}
	json_decref(arr);
	free(out);
	args = xasprintf("history %ld", id);
	out = run_as(q.agent[0], NULL, args, 0, "text=called the customer back");
	assert_non_null(strstr(out, "from="));
	free(out);
	free(args);
	run(0, "history 999999", 1, "no case");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(every_command_has_help, setup),
		cmocka_unit_test_setup(queue_formats_and_filters, setup),
		cmocka_unit_test_setup(next_show_claim_release_assign, setup),
		cmocka_unit_test_setup(an_unrenewed_lease_returns_the_case, setup),
		cmocka_unit_test_setup(replies_by_message_template_and_editor, setup),
		cmocka_unit_test_setup(platform_limits_and_rules, setup),
		cmocka_unit_test_setup(the_rest_of_a_case, setup),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
