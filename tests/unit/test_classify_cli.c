/* test_classify_cli.c: `heed classify` as a user meets it: the explanation
 * adds up to the scores it shows, JSON and TSV come out one line per
 * mention, --eval scores a ground-truth file, hostile text cannot reach the
 * terminal, and bad configuration exits 3 with file:line. Runs the heed
 * binary ($HEED_BIN) with its data; no network, no database. */
#include <fcntl.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "heed/xalloc.h"
#include "support.h"

struct result {
	char *out, *err;
	int status;
};

static char *tmpdir;
static char *conf;	/* an empty configuration: nothing from this machine */

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	size_t n = 0, alloc = 4096, got;
	char *buf = xmalloc(alloc);

	assert_non_null(f);
	while ((got = fread(buf + n, 1, alloc - n - 1, f)) > 0) {
		n += got;
		if (n + 1 == alloc)
			buf = xrealloc(buf, alloc *= 2);
	}
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void spew(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	fclose(f);
}

/* Run heed with args (NULL-terminated), stdin from in (len bytes). */
static struct result run(const char *in, size_t len, const char *cfg, ...)
{
	char *ip = xasprintf("%s/in", tmpdir), *op = xasprintf("%s/out", tmpdir);
	char *ep = xasprintf("%s/err", tmpdir), *argv[16];
	struct result r;
	va_list ap;
	int n = 0, st;
	pid_t pid;

	argv[n++] = (char *)ht_heed_bin();
	argv[n++] = "classify";
	va_start(ap, cfg);
	for (char *a; n < 15 && (a = va_arg(ap, char *));)
		argv[n++] = a;
	va_end(ap);
	argv[n] = NULL;
	spew(ip, in ? in : "", in ? len : 0);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int i = open(ip, O_RDONLY), o = open(op, O_WRONLY | O_CREAT | O_TRUNC, 0600),
		    e = open(ep, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		dup2(i, 0);
		dup2(o, 1);
		dup2(e, 2);
		setenv("HEED_CONFIG", cfg ? cfg : conf, 1);
		unsetenv("HEED_DATA_DIR");
		execv(argv[0], argv);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	r.out = slurp(op);
	r.err = slurp(ep);
	free(ip);
	free(op);
	free(ep);
	return r;
}

static void done(struct result *r)
{
	free(r->out);
	free(r->err);
}

static int setup(void **state)
{
	(void)state;
	tmpdir = ht_mkdtemp("heed-clscli");
	conf = xasprintf("%s/heed.conf", tmpdir);
	spew(conf, "", 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	ht_rmtree(tmpdir);
	free(tmpdir);
	free(conf);
	return 0;
}

/* Sum the printed shares under "sentiment" and the points under
 * "urgency" and compare them with the printed scores. */
static void check_explanation(const char *out)
{
	const char *p = strstr(out, "\n  sentiment "), *u = strstr(out, "\n  urgency ");
	long want, sum = 0, upts = 0, uwant;
	double d;

	assert_non_null(p);
	assert_non_null(u);
	assert_int_equal(sscanf(p, "\n  sentiment %lf", &d), 1);
	want = lround(d * 1e4);
	for (const char *l = strchr(p + 1, '\n') + 1; l < u + 1; l = strchr(l, '\n') + 1) {
		double v;

		assert_int_equal(sscanf(l, " %lf", &v), 1);
		sum += lround(v * 1e4);
	}
	assert_int_equal(sum, want);
	assert_int_equal(sscanf(u, "\n  urgency %ld", &uwant), 1);
	for (const char *l = strchr(u + 1, '\n') + 1; !strncmp(l, "    ", 4);
	     l = strchr(l, '\n') + 1) {
		long v;

		assert_int_equal(sscanf(l, " %ld", &v), 1);
		upts += v;
	}
	assert_int_equal(upts, uwant);
}

static void explain_adds_up(void **state)
{
	static const char *texts[] = {
		"Great, another outage!! Still waiting on my refund, 3rd time asking @AcmeHelp",
		"I'm not very happy, but the staff were AMAZING :)",
		"My phone caught fire and burned my hand. Calling my lawyer.",
		"thanks",
	};
	(void)state;

	for (size_t i = 0; i < sizeof(texts) / sizeof(*texts); i++) {
		struct result r = run(NULL, 0, NULL, "--explain", texts[i], NULL);

		assert_int_equal(r.status, 0);
		check_explanation(r.out);
		done(&r);
	}
}

static void json_lines_with_metadata(void **state)
{
	const char *in =
		"{\"id\":\"m1\",\"text\":\"my order never arrived\",\"followers\":250000}\n"
		"{\"id\":42,\"text\":\"We're aware of an outage\",\"is_own\":true}\n"
		"plain text line, great stuff\n";
	struct result r = run(in, strlen(in), NULL, "--json", "--explain", NULL);
	char *line, *save;
	int n = 0;
	(void)state;

	assert_int_equal(r.status, 0);
	for (line = strtok_r(r.out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		json_t *j = json_loads(line, 0, NULL);

		assert_non_null(j);
		assert_non_null(json_object_get(j, "reasons"));
		if (n == 0) {
			assert_string_equal(json_string_value(json_object_get(j, "id")), "m1");
			assert_true(json_is_true(json_object_get(j, "needs_reply")));
		} else if (n == 1) {
			assert_string_equal(json_string_value(json_object_get(j, "id")), "42");
			assert_true(json_is_false(json_object_get(j, "needs_reply")));
		} else {
			assert_null(json_object_get(j, "id"));
		}
		json_decref(j);
		n++;
	}
	assert_int_equal(n, 3);
	done(&r);
}

static void tsv_in_and_out(void **state)
{
	const char *in = "a1\tyour app is down\nb2\t0.5\tlove it\nc3\n";
	struct result r = run(in, strlen(in), NULL, "--tsv", NULL);
	(void)state;

	assert_int_equal(r.status, 0);
	assert_string_equal(r.out,
		"a1\t-0.2500\tnegative\thigh\toutage\n"
		"b2\t0.6369\tpositive\tlow\tpraise\n"
		"c3\t0.0000\tneutral\tlow\t\n");
	done(&r);
}

static void eval_scores_a_file(void **state)
{
	char *gt = xasprintf("%s/gt.txt", tmpdir);
	const char *text = "1\t2.5\tI love it\r\n2\t-3.1\tThis is awful\r\n"
			   "3\t0.0\tIt is a chair\r\n4\t1.2\tpretty good";
	struct result r;
	(void)state;

	spew(gt, text, strlen(text));
	r = run(NULL, 0, NULL, "--eval", gt, NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "4 items, Pearson r 0."));
	assert_non_null(strstr(r.out, "neutral cut 0.05 (paper): accuracy 1.0000, macro-F1 1.0000"));
	assert_non_null(strstr(r.out, "neutral cut 0.20 (strict)"));
	done(&r);
	r = run(NULL, 0, NULL, "--eval", "/nonexistent/gt.txt", NULL);
	assert_int_equal(r.status, 1);
	done(&r);
	free(gt);
}

static void hostile_text_stays_off_the_terminal(void **state)
{
	const char in[] = "terrible \x1b]52;c;cHduZWQ=\x07 service \x1b[2J\xc2\x9b" "31m "
			  "\xe2\x80\xae" "gnorw \xff\xfe refund\0now\n";
	struct result r = run(in, sizeof(in) - 1, NULL, "--explain", NULL);
	(void)state;

	assert_int_equal(r.status, 0);
	assert_null(memchr(r.out, 0x1b, strlen(r.out)));
	assert_null(strstr(r.out, "\xc2\x9b"));
	assert_null(strstr(r.out, "\xe2\x80\xae"));
	assert_null(memchr(r.out, 0x07, strlen(r.out)));
	assert_non_null(strstr(r.out, "negative"));
	done(&r);
}

static void huge_input_is_cut_not_fatal(void **state)
{
	size_t len = 6u << 20;
	char *big = xmalloc(len + 2);
	struct result r;
	(void)state;

	for (size_t i = 0; i < len; i++)
		big[i] = "refund now "[i % 11];
	big[len] = '\n';
	memcpy(big + len + 1, "x", 1);
	r = run(big, len + 2, NULL, "--explain", NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "only the first 32768 bytes were read"));
	done(&r);
	free(big);
}

static void bad_configuration_exits_3(void **state)
{
	char *rules = xasprintf("%s/bad.rules", tmpdir);
	char *c1 = xasprintf("%s/c1.conf", tmpdir), *c2 = xasprintf("%s/c2.conf", tmpdir);
	const char *rt = "topic x y\nrule ok topic=x\n  match fine\nrule bad\n  match [oops\n";
	char *text;
	struct result r;
	(void)state;

	spew(rules, rt, strlen(rt));
	text = xasprintf("[classifier]\nextra_rules = %s\n", rules);
	spew(c1, text, strlen(text));
	free(text);
	r = run(NULL, 0, c1, "hello", NULL);
	assert_int_equal(r.status, 3);
	assert_non_null(strstr(r.err, "bad.rules:5: rule 'bad': bad pattern: missing terminating ]"));
	done(&r);
	text = xasprintf("[classifier]\ndata_dir = %s/nowhere\n", tmpdir);
	spew(c2, text, strlen(text));
	free(text);
	r = run(NULL, 0, c2, "hello", NULL);
	assert_int_equal(r.status, 3);
	assert_non_null(strstr(r.err, "cannot read"));
	done(&r);
	r = run(NULL, 0, NULL, "--json", "--tsv", NULL);
	assert_int_equal(r.status, 2);
	done(&r);
	r = run(NULL, 0, NULL, "--help", NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "usage: heed classify"));
	done(&r);
	free(rules);
	free(c1);
	free(c2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(explain_adds_up),
		cmocka_unit_test(json_lines_with_metadata),
		cmocka_unit_test(tsv_in_and_out),
		cmocka_unit_test(eval_scores_a_file),
		cmocka_unit_test(hostile_text_stays_off_the_terminal),
		cmocka_unit_test(huge_input_is_cut_not_fatal),
		cmocka_unit_test(bad_configuration_exits_3),
	};
	return cmocka_run_group_tests_name("classify_cli", tests, setup, teardown);
}
