/* test_cfg.c: the configuration parser (types, bounds, named sections,
 * file:line errors, precedence), the example file kept in step with the
 * key table, and secret loading (0600 accepted, 0644 refused). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "heed/cfg.h"
#include "heed/secret.h"
#include "heed/xalloc.h"
#include "support.h"

static const struct heed_cfg_key keys[] = {
	{ "log", "level", HEED_CFG_ENUM, "info", 0, 0, "error|warn|info|debug", 0, "level" },
	{ "poll", "interval", HEED_CFG_DURATION, "30s", 1, 3600, NULL, 0, "interval" },
	{ "poll", "workers", HEED_CFG_INT, "2", 1, 64, NULL, 0, "workers" },
	{ "poll", "share", HEED_CFG_DOUBLE, "0.5", 0, 1, NULL, 0, "budget share" },
	{ "poll", "enabled", HEED_CFG_BOOL, "yes", 0, 0, NULL, 0, "enabled" },
	{ "poll", "max_body", HEED_CFG_SIZE, "8M", 1024, 1e9, NULL, 0, "cap" },
	{ "poll", "name", HEED_CFG_STR, NULL, 0, 0, NULL, 0, "name" },
	{ "source.*", "platform", HEED_CFG_ENUM, NULL, 0, 0, "reddit|x", HEED_CFG_REQUIRED, "platform" },
	{ "source.*", "query", HEED_CFG_LIST, NULL, 0, 0, NULL, 0, "queries" },
	{ NULL, NULL, 0, NULL, 0, 0, NULL, 0, NULL },
};

static struct heed_cfg *parse(const char *text, struct heed_err *err)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	struct heed_cfg *cfg;

	assert_non_null(f);
	heed_err_clear(err);
	cfg = heed_cfg_parse(keys, "t.conf", f, err);
	fclose(f);
	return cfg;
}

static void parses_every_type_and_defaults(void **state)
{
	struct heed_err err;
	struct heed_cfg *cfg;
	const char *const *q;
	size_t n;
	(void)state;

	cfg = parse("; comment\n"
		    "# another\n"
		    "[poll]\n"
		    "interval = 5m\n"
		    "workers = 8   ; inline comment\n"
		    "share = 0.25\n"
		    "enabled = off\n"
		    "max_body = 512k\n"
		    "\n"
		    "[source.reddit-acme]\n"
		    "platform = reddit\n"
		    "query = acme, \"acme coffee\"\n"
		    "query = acmecorp\n"
		    "[source.x_acme]\n"
		    "platform = x\n", &err);
	assert_non_null(cfg);
	assert_int_equal(heed_cfg_duration_ms(cfg, "poll", "interval"), 300000);
	assert_int_equal(heed_cfg_int(cfg, "poll", "workers"), 8);
	assert_true(heed_cfg_double(cfg, "poll", "share") == 0.25);
	assert_false(heed_cfg_bool(cfg, "poll", "enabled"));
	assert_int_equal(heed_cfg_size(cfg, "poll", "max_body"), 512 * 1024);
	assert_string_equal(heed_cfg_str(cfg, "log", "level"), "info");
	assert_false(heed_cfg_is_set(cfg, "log", "level"));
	assert_true(heed_cfg_is_set(cfg, "poll", "workers"));
	assert_null(heed_cfg_str(cfg, "poll", "name"));
	q = heed_cfg_list(cfg, "source.reddit-acme", "query", &n);
	assert_int_equal(n, 3);
	assert_string_equal(q[0], "acme");
	assert_string_equal(q[1], "\"acme coffee\"");
	assert_string_equal(q[2], "acmecorp");
	q = heed_cfg_sections(cfg, "source", &n);
	assert_int_equal(n, 2);
	assert_string_equal(q[0], "reddit-acme");
	assert_string_equal(q[1], "x_acme");
	assert_string_equal(heed_cfg_str(cfg, "source.x_acme", "platform"), "x");
	heed_cfg_free(cfg);
}

/* Each bad file must fail with the file and line and the reason. */
static void errors_name_file_and_line(void **state)
{
	static const struct { const char *text, *want; } cases[] = {
		{ "[poll]\nworkers = 8\nworkerz = 2\n",
		  "t.conf:3: unknown key 'workerz' in section '[poll]'" },
		{ "[pol]\nworkers = 8\n", "t.conf:2: unknown section '[pol]'" },
		{ "[poll]\n\nworkers = 65\n",
		  "t.conf:3: bad value for 'workers': out of range [1, 64]" },
		{ "[poll]\nworkers = eight\n",
		  "t.conf:2: bad value for 'workers': not a integer" },
		{ "[poll]\ninterval = 5 minutes\n",
		  "t.conf:2: bad value for 'interval': not a duration" },
		{ "[poll]\ninterval = 2h\n",
		  "t.conf:2: bad value for 'interval': out of range [1, 3600]" },
		{ "[poll]\nenabled = maybe\n",
		  "t.conf:2: bad value for 'enabled': not a boolean" },
		{ "[log]\nlevel = loud\n",
		  "t.conf:2: bad value for 'level': not one of error|warn|info|debug" },
		{ "[poll]\nworkers = 2\nworkers = 3\n",
		  "t.conf:3: 'workers' is set twice (first at t.conf:2)" },
		{ "workers = 2\n", "t.conf:1: key 'workers' is outside any [section]" },
		{ "[poll]\nthis line has no equals sign\n",
		  "t.conf:2: cannot parse line" },
		{ "[source.a b]\nplatform = x\n", "t.conf:2: unknown section '[source.a b]'" },
		{ "[source.acme]\nquery = x\n", "section '[source.acme]' needs 'platform'" },
	};
	struct heed_err err;
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct heed_cfg *cfg = parse(cases[i].text, &err);

		if (cfg || !strstr(err.msg, cases[i].want))
			fail_msg("case %zu: got '%s', want '%s'", i,
				 cfg ? "(parsed)" : err.msg, cases[i].want);
		assert_int_equal(err.code, HEED_ECONFIG);
	}
}

static void overlong_line_is_an_error_not_a_split(void **state)
{
	char text[600];
	struct heed_err err;
	(void)state;

	snprintf(text, sizeof(text), "[poll]\nname = %0400d\nworkers = 2\n", 7);
	assert_null(parse(text, &err));
	assert_non_null(strstr(err.msg, "too long"));
}

static void environment_and_flags_override_the_file(void **state)
{
	char *dir = ht_mkdtemp("heed-cfg");
	char *path = xasprintf("%s/heed.conf", dir);
	char *missing = xasprintf("HEED_CONFIG=%s/missing.conf", dir);
	char *env[] = { "HEED_POLL_WORKERS=12", missing, "OTHER=1", NULL };
	char *direnv[] = { NULL, NULL };
	char *badenv[] = { "HEED_POLL_WORKERS=0", NULL };
	struct heed_err err;
	struct heed_cfg *cfg;
	FILE *f;
	(void)state;

	f = fopen(path, "w");
	assert_non_null(f);
	fputs("[poll]\nworkers = 4\ninterval = 10s\n", f);
	fclose(f);
	heed_err_clear(&err);
	/* an explicit path beats $HEED_CONFIG; env beats file */
	cfg = heed_cfg_load(keys, path, env, &err);
	assert_non_null(cfg);
	assert_int_equal(heed_cfg_int(cfg, "poll", "workers"), 12);
	assert_int_equal(heed_cfg_duration_ms(cfg, "poll", "interval"), 10000);
	/* a flag beats the environment, with the same validation */
	assert_int_equal(heed_cfg_set(cfg, "poll", "workers", "3", "--workers", &err), HEED_OK);
	assert_int_equal(heed_cfg_int(cfg, "poll", "workers"), 3);
	assert_int_equal(heed_cfg_set(cfg, "poll", "workers", "99", "--workers", &err),
			 HEED_ECONFIG);
	assert_non_null(strstr(err.msg, "--workers: bad value for 'workers'"));
	heed_cfg_free(cfg);
	/* a bad environment value is reported with the variable's name */
	assert_null(heed_cfg_load(keys, path, badenv, &err));
	assert_non_null(strstr(err.msg, "HEED_POLL_WORKERS"));
	/* $HEED_CONFIG naming a missing file is an error, not defaults */
	assert_null(heed_cfg_load(keys, NULL, env, &err));
	assert_non_null(strstr(err.msg, "missing.conf"));
	/* so is one naming a directory, which fopen() would happily open */
	direnv[0] = xasprintf("HEED_CONFIG=%s", dir);
	assert_null(heed_cfg_load(keys, NULL, direnv, &err));
	assert_non_null(strstr(err.msg, "not a regular file"));
	free(direnv[0]);
	free(missing);
	unlink(path);
	free(path);
	ht_rmtree(dir);
	free(dir);
}

static void value_parsers(void **state)
{
	int64_t ms, i;
	uint64_t sz;
	bool b;
	(void)state;

	assert_int_equal(heed_parse_duration_ms("500ms", &ms), HEED_OK);
	assert_int_equal(ms, 500);
	assert_int_equal(heed_parse_duration_ms("1.5h", &ms), HEED_OK);
	assert_int_equal(ms, 5400000);
	assert_int_equal(heed_parse_duration_ms("2d", &ms), HEED_OK);
	assert_int_equal(ms, 172800000);
	assert_int_equal(heed_parse_duration_ms("45", &ms), HEED_OK);
	assert_int_equal(ms, 45000);
	assert_int_equal(heed_parse_duration_ms("-5s", &ms), HEED_EINVAL);
	assert_int_equal(heed_parse_duration_ms("5 s", &ms), HEED_EINVAL);
	assert_int_equal(heed_parse_duration_ms("", &ms), HEED_EINVAL);
	assert_int_equal(heed_parse_size("8M", &sz), HEED_OK);
	assert_int_equal(sz, 8 * 1048576);
	assert_int_equal(heed_parse_size("12q", &sz), HEED_EINVAL);
	assert_int_equal(heed_parse_int("-7", &i), HEED_OK);
	assert_int_equal(i, -7);
	assert_int_equal(heed_parse_int("7x", &i), HEED_EINVAL);
	assert_int_equal(heed_parse_int("99999999999999999999", &i), HEED_EINVAL);
	assert_int_equal(heed_parse_bool("On", &b), HEED_OK);
	assert_true(b);
}

/* Every default in heed's real table must be valid for its own key. */
static void real_table_defaults_are_valid(void **state)
{
	struct heed_err err;
	(void)state;

	for (const struct heed_cfg_key *k = heed_cfg_keys; k->name; k++) {
		struct heed_cfg *cfg;
		char text[512];

		if (!k->def || strchr(k->section, '*'))
			continue;
		snprintf(text, sizeof(text), "[%s]\n%s = %s\n", k->section,
			 k->name, k->def);
		FILE *f = fmemopen(text, strlen(text), "r");
		heed_err_clear(&err);
		cfg = heed_cfg_parse(heed_cfg_keys, "defaults", f, &err);
		fclose(f);
		if (!cfg)
			fail_msg("default of [%s] %s: %s", k->section, k->name,
				 err.msg);
		heed_cfg_free(cfg);
		assert_non_null(k->help);
	}
}

/* etc/heed.conf.example is exactly what `heed config --defaults` prints. */
static void example_file_matches_the_table(void **state)
{
	const char *src = getenv("HEED_SRCDIR");
	char path[1024], *want = NULL, *got = NULL;
	size_t wantlen = 0, gotlen = 0;
	FILE *f, *mem;
	(void)state;

	snprintf(path, sizeof(path), "%s/etc/heed.conf.example", src ? src : ".");
	f = fopen(path, "r");
	if (!f)
		fail_msg("cannot open %s", path);
	mem = open_memstream(&want, &wantlen);
	for (int c; (c = fgetc(f)) != EOF;)
		fputc(c, mem);
	fclose(f);
	fclose(mem);
	mem = open_memstream(&got, &gotlen);
	heed_cfg_write_defaults(heed_cfg_keys, mem);
	fclose(mem);
	int differ = strcmp(want, got);

	free(want);
	free(got);
	if (differ)
		fail_msg("etc/heed.conf.example is out of date: run 'build/heed config --defaults > etc/heed.conf.example'");
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

static void secrets_from_env_or_private_file(void **state)
{
	char *dir = ht_mkdtemp("heed-secret"), path[1024];
	char *env[] = { "HEED_TOKEN=from-env", "EMPTY=", NULL };
	struct heed_err err;
	char *s = NULL;
	(void)state;

	snprintf(path, sizeof(path), "%s/token", dir);
	write_file(path, "s3cret-value\n", 0600);
	heed_err_clear(&err);
	assert_int_equal(heed_secret_load("HEED_TOKEN", path, env, &s, &err), HEED_OK);
	assert_string_equal(s, "from-env");
	heed_secret_free(s);
	/* an empty variable falls through to the file; newline dropped */
	assert_int_equal(heed_secret_load("EMPTY", path, env, &s, &err), HEED_OK);
	assert_string_equal(s, "s3cret-value");
	heed_secret_free(s);
	/* 0644: refused, and the message names the file but not the value */
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(heed_secret_load("EMPTY", path, env, &s, &err), HEED_EPERM);
	assert_null(s);
	assert_non_null(strstr(err.msg, "chmod 600"));
	assert_null(strstr(err.msg, "s3cret"));
	assert_int_equal(chmod(path, 0640), 0);
	assert_int_equal(heed_secret_load(NULL, path, env, &s, &err), HEED_EPERM);
	assert_int_equal(chmod(path, 0400), 0);
	assert_int_equal(heed_secret_load(NULL, path, env, &s, &err), HEED_OK);
	heed_secret_free(s);
	/* neither source */
	assert_int_equal(heed_secret_load("UNSET_VAR", NULL, env, &s, &err),
			 HEED_ENOTFOUND);
	assert_non_null(strstr(err.msg, "UNSET_VAR"));
	/* a symlink is not followed */
	snprintf(path + strlen(dir), sizeof(path) - strlen(dir), "/link");
	{
		char target[1024];

		snprintf(target, sizeof(target), "%s/token", dir);
		assert_int_equal(symlink(target, path), 0);
		assert_int_not_equal(heed_secret_load(NULL, path, env, &s, &err), HEED_OK);
		unlink(path);
		unlink(target);
	}
	ht_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parses_every_type_and_defaults),
		cmocka_unit_test(errors_name_file_and_line),
		cmocka_unit_test(overlong_line_is_an_error_not_a_split),
		cmocka_unit_test(environment_and_flags_override_the_file),
		cmocka_unit_test(value_parsers),
		cmocka_unit_test(real_table_defaults_are_valid),
		cmocka_unit_test(example_file_matches_the_table),
		cmocka_unit_test(secrets_from_env_or_private_file),
	};
	return cmocka_run_group_tests_name("cfg", tests, NULL, NULL);
}
