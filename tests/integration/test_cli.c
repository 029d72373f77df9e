/* test_cli.c: the heed binary as a user meets it: every help form, the
 * documented exit codes, configuration errors with file:line, and doctor
 * failing then passing against the private cluster. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "heed/buf.h"
#include "heed/xalloc.h"
#include "support.h"

struct run {
	int status;
	char *out;	/* stdout and stderr together */
};

/* Run the heed binary with a shell-quoted argument string and environment
 * prefix; capture its output. */
static struct run heed(const char *envs, const char *args)
{
	struct run r = { -1, NULL };
	struct heed_buf b;
	char *cmd, chunk[4096];
	size_t n;
	FILE *p;
	int st;

	heed_buf_init(&b, 1 << 20);
	cmd = xasprintf("%s '%s' %s 2>&1 </dev/null", envs ? envs : "",
			ht_heed_bin(), args);
	p = popen(cmd, "r");
	assert_non_null(p);
	while ((n = fread(chunk, 1, sizeof(chunk), p)) > 0)
		assert_int_equal(heed_buf_add(&b, chunk, n), HEED_OK);
	st = pclose(p);
	r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	r.out = heed_buf_detach(&b, NULL);
	free(cmd);
	return r;
}

/* Fail unless the run exited with code and printed text. */
static void expect(struct run r, int code, const char *text)
{
	bool ok = r.status == code && strstr(r.out, text);

	if (!ok)
		fprintf(stderr, "exit %d (want %d), output lacks '%s':\n%s\n",
			r.status, code, text, r.out);
	free(r.out);
	assert_true(ok);
}
#define EXPECT(r, code, text) expect((r), (code), (text))

static void help_in_every_form(void **state)
{
	(void)state;
	EXPECT(heed(NULL, "--help"), 0, "Commands:");
	EXPECT(heed(NULL, "help"), 0, "doctor");
	EXPECT(heed(NULL, "help db"), 0, "usage: heed db migrate");
	EXPECT(heed(NULL, "db --help"), 0, "usage: heed db migrate");
	EXPECT(heed(NULL, "doctor -h"), 0, "usage: heed doctor");
	EXPECT(heed(NULL, "config --help"), 0, "--defaults");
	EXPECT(heed(NULL, "--version"), 0, "heed 0.");
	EXPECT(heed(NULL, "version"), 0, "heed 0.");
	EXPECT(heed(NULL, "--help"), 0, "Exit codes");
}

static void usage_errors_exit_2(void **state)
{
	(void)state;
	EXPECT(heed(NULL, ""), 2, "no command given");
	EXPECT(heed(NULL, "frobnicate"), 2, "'frobnicate' is not a heed command");
	EXPECT(heed(NULL, "--bogus"), 2, "usage: heed");
	EXPECT(heed(NULL, "config --bogus"), 2, "usage: heed config");
	EXPECT(heed(NULL, "db"), 2, "db needs a subcommand");
	EXPECT(heed(NULL, "db sideways"), 2, "unknown db subcommand 'sideways'");
	EXPECT(heed(NULL, "help nope"), 2, "'nope' is not a heed command");
	EXPECT(heed(NULL, "--log-level loud doctor"), 2, "unknown log level 'loud'");
	EXPECT(heed(NULL, "doctor --config"), 2, "need a value");
}

static void config_errors_name_file_and_line(void **state)
{
	char *dir = ht_mkdtemp("heed-cli");
	char *path = xasprintf("%s/heed.conf", dir);
	char *args;
	FILE *f = fopen(path, "w");
	(void)state;

	assert_non_null(f);
	fputs("[log]\nlevel = info\n\n[http]\ntimeout = forever\n", f);
	fclose(f);
	args = xasprintf("--config '%s' config --check", path);
	EXPECT(heed(NULL, args), 3, "heed.conf:5: bad value for 'timeout': not a duration");
	free(args);
	/* the same file through $HEED_CONFIG, and --config after the command */
	args = xasprintf("HEED_CONFIG='%s'", path);
	EXPECT(heed(args, "config --check"), 3, "heed.conf:5:");
	free(args);
	args = xasprintf("doctor --config='%s'", path);
	EXPECT(heed(NULL, args), 1, "FAIL config");
	free(args);
	EXPECT(heed(NULL, "--config /nonexistent/heed.conf config"), 3,
	       "cannot open '/nonexistent/heed.conf'");
	/* a good file; an environment override shows its origin */
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("[http]\ntimeout = 20s\n", f);
	fclose(f);
	args = xasprintf("--config '%s' config --show", path);
	EXPECT(heed("HEED_LOG_LEVEL=debug", args), 0, "log.level = debug\t; HEED_LOG_LEVEL");
	EXPECT(heed(NULL, args), 0, "http.timeout = 20s\t; ");
	free(args);
	/* --defaults needs no file at all */
	EXPECT(heed(NULL, "config --defaults"), 0, "#max_body = 8M");
	unlink(path);
	free(path);
	ht_rmtree(dir);
	free(dir);
}

static void doctor_fails_then_passes(void **state)
{
	char *ci, *env;
	(void)state;

	/* no server there: FAIL database, exit 1, and what to do */
	EXPECT(heed("PGHOST=/nonexistent-heed-dir HEED_DATABASE_CONNECT_RETRIES=0", "doctor"),
	       1, "FAIL database");
	if (!ht_pg_available())
		skip();
	ci = ht_pg_fresh_db("cli");
	env = xasprintf("PGDATABASE=%s", ci + strlen("dbname="));
	EXPECT(heed(env, "doctor"), 1, "migration(s) pending; run 'heed db migrate'");
	EXPECT(heed(env, "db status"), 1, "pending");
	EXPECT(heed(env, "db migrate"), 0, "applying 0001_core.sql");
	EXPECT(heed(env, "db migrate"), 0, "schema is up to date");
	EXPECT(heed(env, "db status"), 0, "0001  0001_core.sql");
	EXPECT(heed(env, "doctor"), 0, "all checks passed");
	free(env);
	free(ci);
}

/* The doctor names each source's missing credentials and, per brand and
 * platform, the account replies go out from or that there is none. */
static void doctor_checks_sources_and_posters(void **state)
{
	char *dir = ht_mkdtemp("heed-cli");
	char *path = xasprintf("%s/heed.conf", dir);
	char *args = xasprintf("--config '%s' doctor", path);
	const char *env = "PGHOST=/nonexistent-heed-dir HEED_DATABASE_CONNECT_RETRIES=0"
			  " HEED_TEST_TOKEN=t0ken";
	struct run r;
	FILE *f = fopen(path, "w");
	(void)state;

	assert_non_null(f);
	fputs("[brand.acme]\nauto_ack = mastodon, x\n"
	      "[source.m-tag]\nplatform = mastodon\nkind = tag\nbrand = acme\nqueries = acme\n"
	      "[source.m-men]\nplatform = mastodon\nkind = mentions\nbrand = acme\n"
	      "secret_env = HEED_TEST_TOKEN\naccount = 1090\n"
	      "[source.x-men]\nplatform = x\nkind = mentions\nbrand = acme\naccount = 16\n"
	      "[source.b]\nplatform = bluesky\nkind = search\nbrand = acme\nqueries = acme\n"
	      "user = acme.bsky.social\nsecret_env = HEED_TEST_UNSET_TOKEN\n"
	      "[source.hn]\nplatform = hn\nkind = search\nbrand = acme\nqueries = acme\n", f);
	fclose(f);
	r = heed(env, args);
	/* one line per source */
	assert_non_null(strstr(r.out, "OK   source     m-tag (mastodon tag, brand acme): no credentials needed"));
	assert_non_null(strstr(r.out, "OK   source     m-men (mastodon mentions, brand acme): credentials present"));
	assert_non_null(strstr(r.out, "FAIL source     x-men (x mentions): needs a bearer token"));
	assert_non_null(strstr(r.out, "FAIL source     [source.b]: "));
	assert_non_null(strstr(r.out, "HEED_TEST_UNSET_TOKEN"));
	assert_non_null(strstr(r.out, "OK   source     hn (hn search, brand acme): no credentials needed"));
	/* and who posts: Mastodon has an account, X has none (and acknowledges
	 * there), Bluesky's source did not load, Hacker News is by hand */
	assert_non_null(strstr(r.out, "OK   replies    acme on mastodon: posted as 1090 ([source.m-men])"));
	assert_non_null(strstr(r.out, "FAIL replies    acme on x: no [source.*] of this brand and platform"
				      " has credentials to post with, so replies and auto_ack stay queued"));
	assert_null(strstr(r.out, "acme on bluesky"));
	assert_non_null(strstr(r.out, "OK   replies    acme on hn: heed cannot post there; agents answer on the"
				      " platform, then run heed record-reply"));
	assert_null(strstr(r.out, "t0ken"));	/* secrets never printed */
	assert_int_equal(r.status, 1);
	free(r.out);
	unlink(path);
	free(args);
	free(path);
	ht_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(help_in_every_form),
		cmocka_unit_test(usage_errors_exit_2),
		cmocka_unit_test(config_errors_name_file_and_line),
		cmocka_unit_test(doctor_fails_then_passes),
		cmocka_unit_test(doctor_checks_sources_and_posters),
	};
	return cmocka_run_group_tests_name("cli", tests, NULL, NULL);
}
