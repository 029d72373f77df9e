/* test_poll.c: the collectors end to end against the fake platform server
 * and the private PostgreSQL: a scripted timeline of 10,000 posts across the
 * five platforms (bursts, paging, threads, X edits, injected faults) must end
 * as exactly the expected mentions and cases; the same with the poller
 * SIGKILLed at 20+ random moments, and with PostgreSQL restarted under it;
 * and no request may go out before an announced reset, for every shape of
 * rate-limit header. The poller runs in a child process (so it can be
 * killed) with a deterministic stand-in classifier. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <execinfo.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "fakeserver.h"
#include "heed/cfg.h"
#include "heed/db.h"
#include "heed/http.h"
#include "heed/migrate.h"
#include "heed/poll.h"
#include "heed/xalloc.h"
#include "support.h"

extern char **environ;

static const char *const platforms[] = { "mastodon", "bluesky", "reddit", "x", "hn" };
#define NPLAT 5

struct world {
	struct fakesrv fake;
	char *dir;
	char *conninfo;
	char *cfgpath;
	char *timeline;
	unsigned nposts;
	size_t max_body;	/* the poller's [http] max_body; 0: default */
};

/* Characters of filler after each post's text (write_timeline), for the
 * test of pages bigger than max_body; 0 elsewhere. */
static unsigned timeline_pad;

/* ---- the stand-in classifier --------------------------------------------
 * Deterministic and independent of the real classifier: a post needs a
 * reply when it asks something or says "help"; urgency follows "!". */
static void test_classify(void *arg, struct heed_mention *m)
{
	const char *t = m->text ? m->text : "";
	(void)arg;

	m->classified = true;
	m->needs_reply = strchr(t, '?') || strstr(t, "help");
	m->urgency = strchr(t, '!') ? 80 : 40;
	m->urgency_level = m->urgency >= 80 ? "high" : "normal";
	m->sentiment = strstr(t, "broken") ? -0.6 : 0.1;
	m->sentiment_label = m->sentiment < 0 ? "negative" : "positive";
}

/* ---- the timeline -------------------------------------------------------- */

static const char *const texts[] = {
	"acme is great today",
	"is acme down? help",
	"my acme order is broken!",
	"thanks acme",
	"why does acme charge twice?",
	"acme & friends <3 \\\"quotes\\\"",
};

/* Each platform gets n posts: roots and replies in threads, several
 * authors, bursts of posts in the same second, all visible at start (at <
 * 0) except a tail that appears while the pollers run. */
static unsigned write_timeline(const char *path, unsigned per_platform)
{
	FILE *f = fopen(path, "w");
	unsigned total = 0;

	assert_non_null(f);
	for (int p = 0; p < NPLAT; p++) {
		const char *pl = platforms[p];

		for (unsigned i = 0; i < per_platform; i++) {
			/* bursts: 20 posts share each second */
			double at = -3600.0 + (double)(i / 20) * 7 + (i % 20) * 0.01;
			unsigned author = i % 97, thread = i / 3;
			const char *ch;

			if (i >= per_platform - per_platform / 20)
				at = (double)(i - (per_platform - per_platform / 20)) * 0.01;
			switch (p) {
			case 0: ch = i % 4 ? "\"tag:acme\"" : "\"mention\""; break;
			case 1: ch = i % 4 ? "\"search\"" : "\"mention\""; break;
			case 2: ch = i % 3 ? "\"sub:acmesupport\"" : i % 4 ? "\"search\"" : "\"inbox\", \"mention\""; break;
			case 3: ch = i % 4 ? "\"search\"" : "\"mention\""; break;
			default: ch = "\"search\""; break;
			}
			fprintf(f, "{\"platform\":\"%s\",\"id\":\"p%u\",\"at\":%.3f,"
				"\"author\":{\"id\":\"a%u\",\"handle\":\"user%u\",\"name\":\"User %u\",\"followers\":%u},"
				"\"text\":\"%s %u%*s\",\"lang\":\"en\",\"channels\":[%s]",
				pl, i, at, author, author, author, author * 10,
				texts[i % 6], i, (int)timeline_pad, "", ch);
			if (i % 3)	/* replies in threads of three */
				fprintf(f, ",\"reply_to\":\"p%u\",\"thread\":\"p%u\",\"kind\":\"comment\"",
					thread * 3, thread * 3);
			if (p == 2)
				fputs(",\"subreddit\":\"acmesupport\"", f);
			fputs("}\n", f);
			total++;
		}
	}
	/* X edits: a later version of a post dedupes to its first id */
	for (unsigned i = 0; i < 10; i++) {
		fprintf(f, "{\"platform\":\"x\",\"id\":\"e%u\",\"at\":-10,\"edit_of\":\"p%u\","
			"\"author\":{\"id\":\"a%u\",\"handle\":\"user%u\"},"
			"\"text\":\"edited acme post %u?\",\"channels\":[\"search\"]}\n",
			i, 30 + i * 3, (30 + i * 3) % 97, (30 + i * 3) % 97, i);
		total++;
	}
	fclose(f);
	return total;
}

static void write_config(struct world *w, unsigned page, const char *extra)
{
	FILE *f = fopen(w->cfgpath, "w");
	const char *b = w->fake.base;

	assert_non_null(f);
	fprintf(f,
		"[poll]\ninterval = 1s\nmin_interval = 1s\nmax_interval = 2s\n"
		"max_sleep = 1s\nbackoff_max = 2s\nbackfill = 2h\nbudget_share = 1\n"
		"[cases]\njoin_window = 0\n"
		"[brand.acme]\nown_accounts = acme\n"
		"[source.m-tag]\nplatform = mastodon\nkind = tag\nbrand = acme\nqueries = acme\nbase_url = %s\npage_size = %u\nsecret_env = HEED_TEST_TOKEN\n"
		"[source.m-mentions]\nplatform = mastodon\nkind = mentions\nbrand = acme\nbase_url = %s\npage_size = %u\nsecret_env = HEED_TEST_TOKEN\naccount = 109000000000000001\n"
		"[source.b-search]\nplatform = bluesky\nkind = search\nbrand = acme\nqueries = acme\nbase_url = %s\npage_size = %u\nuser = acme.bsky.social\nsecret_env = HEED_TEST_TOKEN\n"
		"[source.b-mentions]\nplatform = bluesky\nkind = mentions\nbrand = acme\nbase_url = %s\npage_size = %u\nuser = acme.bsky.social\nsecret_env = HEED_TEST_TOKEN\n"
		"[source.r-search]\nplatform = reddit\nkind = search\nbrand = acme\nqueries = acme\nbase_url = %s\npage_size = %u\nuser = acme\nsecret_env = HEED_TEST_TOKEN\nclient_id = app\nclient_secret_env = HEED_TEST_TOKEN\n"
		"[source.r-comments]\nplatform = reddit\nkind = comments\nbrand = acme\nqueries = r/acmesupport, acme\nbase_url = %s\npage_size = %u\nuser = acme\nsecret_env = HEED_TEST_TOKEN\nclient_id = app\nclient_secret_env = HEED_TEST_TOKEN\n"
		"[source.r-mentions]\nplatform = reddit\nkind = mentions\nbrand = acme\nbase_url = %s\npage_size = %u\nuser = acme\nsecret_env = HEED_TEST_TOKEN\nclient_id = app\nclient_secret_env = HEED_TEST_TOKEN\n"
		"[source.x-search]\nplatform = x\nkind = search\nbrand = acme\nqueries = acme\nbase_url = %s\npage_size = %u\nsecret_env = HEED_TEST_TOKEN\n"
		"[source.x-mentions]\nplatform = x\nkind = mentions\nbrand = acme\nbase_url = %s\npage_size = %u\nsecret_env = HEED_TEST_TOKEN\naccount = 1600000000000000001\n"
		"[source.hn]\nplatform = hn\nkind = search\nbrand = acme\nqueries = acme\nbase_url = %s\npage_size = %u\n"
		"%s",
		b, page, b, page, b, page, b, page, b, page, b, page, b, page, b, page,
		b, page, b, page, extra ? extra : "");
	fclose(f);
}

static char *slurp(const char *path)
{
	struct heed_buf b;
	char chunk[65536];
	FILE *f = fopen(path, "r");
	size_t n;

	assert_non_null(f);
	heed_buf_init(&b, 0);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		assert_int_equal(heed_buf_add(&b, chunk, n), HEED_OK);
	fclose(f);
	return heed_buf_detach(&b, NULL);
}

static void world_init(struct world *w, unsigned per_platform, unsigned page,
		       const char *const *fake_args, const char *cfg_extra)
{
	struct heed_db_opts o = { .retries = 2, .retry_max_wait_ms = 200 };
	struct heed_err err;
	struct heed_db *db;
	unsigned applied;
	char *text;

	memset(w, 0, sizeof(*w));
	w->dir = ht_mkdtemp("heed-poll");
	w->cfgpath = xasprintf("%s/heed.conf", w->dir);
	w->timeline = xasprintf("%s/timeline.jsonl", w->dir);
	w->nposts = write_timeline(w->timeline, per_platform);
	text = slurp(w->timeline);
	assert_int_equal(fakesrv_start(&w->fake, text, fake_args), 0);
	free(text);
	w->conninfo = ht_pg_fresh_db("poll");
	o.conninfo = w->conninfo;
	heed_err_clear(&err);
	db = heed_db_open(&o, &err);
	assert_non_null(db);
	assert_int_equal(heed_migrate_apply(db, heed_migrations, NULL, NULL, &applied, &err),
			 HEED_OK);
	heed_db_free(db);
	write_config(w, page, cfg_extra);
	setenv("HEED_TEST_TOKEN", "test-token", 1);
}

static void world_release(struct world *w)
{
	fakesrv_stop(&w->fake);
	ht_rmtree(w->dir);
	free(w->dir);
	free(w->cfgpath);
	free(w->timeline);
	free(w->conninfo);
}

/* ---- the poller, in a child ---------------------------------------------- */

static volatile sig_atomic_t child_stop;

static void child_on_term(int sig)
{
	(void)sig;
	child_stop = 1;
}

/* Runs in the child: poll until SIGTERM (or one cycle with once). */
static void child_poll(const struct world *w, bool once)
{
	struct heed_poll_opts po;
	struct heed_source **srcs;
	struct heed_http *http;
	struct heed_cfg *cfg;
	struct heed_db *db;
	struct heed_err err;
	unsigned failed;
	size_t n;
	struct heed_db_opts o = { .conninfo = w->conninfo, .retries = 60,
				  .retry_max_wait_ms = 500, .application_name = "test_poll" };

	/* first: a SIGTERM that comes while it starts up (all stored
	 * already) must still end it cleanly */
	signal(SIGTERM, child_on_term);
	heed_err_clear(&err);
	cfg = heed_cfg_load(heed_cfg_keys, w->cfgpath, environ, &err);
	if (!cfg || !(srcs = heed_sources_from_cfg(cfg, NULL, &n, &err))) {
		fprintf(stderr, "child: %s\n", heed_err_msg(&err));
		_exit(3);
	}
	db = heed_db_open(&o, &err);
	if (!db || heed_http_global_init() ||
	    !(http = heed_http_new(&(struct heed_http_opts){ .timeout_ms = 3000,
							     .connect_timeout_ms = 1000,
							     .max_body = w->max_body }, &err))) {
		fprintf(stderr, "child: %s\n", heed_err_msg(&err));
		_exit(4);
	}
	heed_poll_opts_from_cfg(&po, cfg);
	po.once = once;
	po.classify = test_classify;
	po.stop = &child_stop;
	if (heed_poll_run(db, http, srcs, n, &po, &failed, &err))
		_exit(5);
	heed_http_free(http);
	heed_http_global_cleanup();
	for (size_t i = 0; i < n; i++)
		heed_source_free(srcs[i]);
	free(srcs);
	heed_db_free(db);
	heed_cfg_free(cfg);
	_exit(0);
}

/* A crash in the child must end the child with a backtrace, never return
 * into cmocka's handler (which would run the test suite in the child). */
static void child_on_crash(int sig)
{
	void *frames[64];
	int n = backtrace(frames, 64);

	backtrace_symbols_fd(frames, n, 2);
	_exit(128 + sig);
}

/* A poller in a child, logging to poller.log: a loop, or one cycle with
 * once (as heed poll --once). */
static pid_t spawn(const struct world *w, bool once)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		char *log = xasprintf("%s/poller.log", w->dir);

		if (!freopen(log, "a", stderr))
			_exit(126);
		signal(SIGSEGV, child_on_crash);
		signal(SIGABRT, child_on_crash);
		signal(SIGBUS, child_on_crash);
		child_poll(w, once);
	}
	return pid;
}

static pid_t spawn_poller(const struct world *w)
{
	return spawn(w, false);
}

static void stop_poller(pid_t pid, int sig)
{
	int st;

	kill(pid, sig);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	if (sig == SIGTERM && !(WIFEXITED(st) && WEXITSTATUS(st) == 0))
		fail_msg("poller ended badly (status %d)", st);
}

/* ---- expectations -------------------------------------------------------- */

/* One count from the database; -1 while it cannot be reached (the restart
 * test reads while the server is coming back). */
static long db_count(const struct world *w, const char *sql)
{
	PGconn *c = PQconnectdb(w->conninfo);
	PGresult *r;
	long n = -1;

	if (PQstatus(c) != CONNECTION_OK) {
		PQfinish(c);
		return -1;
	}
	r = PQexec(c, sql);

	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
		n = strtol(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	PQfinish(c);
	return n;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every dedupe key the fake holds for platform p, sorted, one per line. */
static char *fake_keys(const struct world *w)
{
	struct fakesrv_resp r;
	struct heed_buf b;
	json_t *list;
	size_t i;
	json_t *post;
	char **keys;
	size_t n = 0;

	fakesrv_get(&w->fake, &r, NULL, "/_fake/posts");
	assert_int_equal(r.status, 200);
	list = json_is_array(r.json) ? r.json : json_object_get(r.json, "posts");
	assert_true(json_is_array(list));
	keys = xcalloc(json_array_size(list) + 1, sizeof(*keys));
	json_array_foreach(list, i, post) {
		const char *pl = json_string_value(json_object_get(post, "platform"));
		const char *dk = json_string_value(json_object_get(post, "dedupe"));

		if (pl && dk && !json_is_true(json_object_get(post, "brand")))
			keys[n++] = xasprintf("%s|%s", pl, dk);
	}
	fakesrv_resp_release(&r);
	qsort(keys, n, sizeof(*keys), cmp_str);
	heed_buf_init(&b, 0);
	for (size_t k = 0; k < n; k++)
		if (!k || strcmp(keys[k], keys[k - 1]))
			assert_int_equal(heed_buf_addf(&b, "%s\n", keys[k]), HEED_OK);
	for (size_t k = 0; k < n; k++)
		free(keys[k]);
	free(keys);
	return heed_buf_detach(&b, NULL);
}

static char *db_keys(const struct world *w)
{
	PGconn *c = ht_pg_connect(w->conninfo);
	PGresult *r = PQexec(c, "SELECT platform || '|' || external_id FROM mentions");
	struct heed_buf b;
	char **v;
	int n;

	assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
	n = PQntuples(r);
	v = xcalloc((size_t)n + 1, sizeof(*v));
	for (int i = 0; i < n; i++)
		v[i] = PQgetvalue(r, i, 0);
	/* C-locale order, as fake_keys sorts */
	qsort(v, (size_t)n, sizeof(*v), cmp_str);
	heed_buf_init(&b, 0);
	for (int i = 0; i < n; i++)
		assert_int_equal(heed_buf_addf(&b, "%s\n", v[i]), HEED_OK);
	free(v);
	PQclear(r);
	PQfinish(c);
	return heed_buf_detach(&b, NULL);
}

/* Wait (polling the database, with a deadline) until every post the fake
 * holds is stored; the tail of the timeline appears over time. */
static bool wait_all_stored(const struct world *w, unsigned expected, int seconds)
{
	for (int i = 0; i < seconds * 10; i++) {
		if (db_count(w, "SELECT count(*) FROM mentions") >= expected)
			return true;
		usleep(100000);
	}
	return false;
}

/* The exact set of (platform, external_id), no duplicates, and the cases
 * the stand-in classifier implies: one per platform, author and thread with
 * a post that needs a reply, each such post attached to it. */
static void check_world(const struct world *w, unsigned expected)
{
	char *want = fake_keys(w), *got = db_keys(w);
	unsigned lines = 0;

	for (const char *p = want; *p; p++)
		lines += *p == '\n';
	assert_int_equal(lines, expected);
	if (strcmp(want, got)) {
		fprintf(stderr, "mention sets differ: want %u keys, have %ld rows\n",
			lines, db_count(w, "SELECT count(*) FROM mentions"));
		free(want);
		free(got);
		fail();
	}
	free(want);
	free(got);
	assert_int_equal(db_count(w,
		"SELECT count(*) FROM (SELECT platform, external_id FROM mentions"
		" GROUP BY 1, 2 HAVING count(*) > 1) d"), 0);
	assert_int_equal(db_count(w,
		"SELECT count(*) FROM mentions WHERE needs_reply AND case_id IS NULL"), 0);
	assert_int_equal(db_count(w,
		"SELECT count(*) FROM (SELECT DISTINCT platform, author_id, thread_key"
		" FROM mentions WHERE needs_reply) x"),
		db_count(w, "SELECT count(*) FROM cases"));
	/* each case opened exactly once, each post attached at most once */
	assert_int_equal(db_count(w, "SELECT count(*) FROM case_events WHERE kind = 'opened'"),
			 db_count(w, "SELECT count(*) FROM cases"));
	assert_int_equal(db_count(w,
		"SELECT count(*) FROM (SELECT detail->>'mention_id' FROM case_events"
		" GROUP BY 1 HAVING count(*) > 1) d"), 0);
	/* the deadline is the platform's post time plus the SLA */
	assert_int_equal(db_count(w,
		"SELECT count(*) FROM cases WHERE due_at <> customer_posted_at + interval '30 minutes'"), 0);
}

static int setup(void **state)
{
	(void)state;
	if (!ht_pg_available())
		skip();
	return 0;
}

/* Acceptance 2: 10,000 posts with faults injected along the way. */
static void ten_thousand_posts_exactly(void **state)
{
	const char *args[] = { "--budget", "0", "--time-scale", "20", NULL };
	struct world w;
	pid_t pid;
	(void)state;

	world_init(&w, 2000, 0, args, NULL);
	assert_int_equal(fakesrv_control(&w.fake, "/_fake/faults",
		"[{\"platform\":\"mastodon\",\"every_n\":7,\"count\":5,\"kind\":\"status\",\"status\":503},"
		" {\"platform\":\"x\",\"after_n\":3,\"count\":2,\"kind\":\"truncate\"},"
		" {\"platform\":\"reddit\",\"after_n\":5,\"count\":2,\"kind\":\"status\",\"status\":429,\"retry_after\":1},"
		" {\"platform\":\"bluesky\",\"after_n\":4,\"count\":1,\"kind\":\"garbage\",\"status\":502},"
		" {\"platform\":\"hn\",\"after_n\":2,\"count\":1,\"kind\":\"drop\"},"
		" {\"platform\":\"x\",\"after_n\":9,\"count\":1,\"kind\":\"invalid-utf8\"}]"), 200);
	pid = spawn_poller(&w);
	if (!wait_all_stored(&w, w.nposts - 10, 120))
		fprintf(stderr, "timed out with %ld of %u stored\n",
			db_count(&w, "SELECT count(*) FROM mentions"), w.nposts - 10);
	stop_poller(pid, SIGTERM);
	check_world(&w, w.nposts - 10);	/* 10 X edits fold into originals */
	world_release(&w);
}

/* Acceptance 3: SIGKILL at 20+ random moments, restart each time. */
static void sigkill_twenty_times(void **state)
{
	const char *args[] = { "--budget", "0", "--time-scale", "20", NULL };
	unsigned seed = (unsigned)time(NULL);
	struct world w;
	pid_t pid;
	(void)state;

	world_init(&w, 2000, 0, args, NULL);
	fprintf(stderr, "kill seed %u\n", seed);
	for (int k = 0; k < 24; k++) {
		pid = spawn_poller(&w);
		usleep(50000 + (useconds_t)(rand_r(&seed) % 400000));
		stop_poller(pid, SIGKILL);
	}
	pid = spawn_poller(&w);
	assert_true(wait_all_stored(&w, w.nposts - 10, 120));
	stop_poller(pid, SIGTERM);
	check_world(&w, w.nposts - 10);
	world_release(&w);
}

/* Acceptance 4: PostgreSQL restarts during the run. */
static void postgres_restart_mid_run(void **state)
{
	const char *args[] = { "--budget", "0", "--time-scale", "20", NULL };
	struct world w;
	pid_t pid;
	(void)state;

	world_init(&w, 600, 0, args, NULL);
	pid = spawn_poller(&w);
	usleep(300000);
	assert_int_equal(ht_pg_cluster("restart", false), 0);
	usleep(300000);
	assert_int_equal(ht_pg_cluster("crash", false), 0);
	assert_int_equal(ht_pg_cluster("start", true), 0);
	assert_true(wait_all_stored(&w, w.nposts - 10, 90));
	stop_poller(pid, SIGTERM);
	check_world(&w, w.nposts - 10);
	world_release(&w);
}

/* One poll cycle in a child, as heed poll --once; it must exit 0. */
static void poll_once(const struct world *w)
{
	pid_t pid = spawn(w, true);
	int st;

	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/* Requests in the fake's log to a path containing what, answered status. */
static size_t logged(const struct world *w, const char *what, long status)
{
	json_t *log = fakesrv_log_since(&w->fake, 0), *e;
	size_t i, n = 0;

	assert_non_null(log);
	json_array_foreach(log, i, e) {
		const char *path = json_string_value(json_object_get(e, "path"));

		n += path && strstr(path, what) &&
		     json_integer_value(json_object_get(e, "status")) == status;
	}
	json_decref(log);
	return n;
}

/* A Bluesky session the server no longer knows (400 InvalidToken, as after
 * the server restarted) is renewed in the same cycle: its refresh token is
 * refused too, so the poller logs in afresh, and the source goes on. */
static void forgotten_session_is_renewed(void **state)
{
	const char *args[] = { "--budget", "0", NULL };
	struct world w;
	char *text;
	(void)state;

	world_init(&w, 100, 0, args, NULL);
	poll_once(&w);
	assert_int_equal(db_count(&w, "SELECT count(*) FROM source_auth a JOIN sources s"
				      " ON s.id = a.source_id WHERE s.platform = 'bluesky'"), 2);
	/* the server restarts on a new port and forgets every session */
	text = slurp(w.timeline);
	assert_int_equal(fakesrv_stop(&w.fake), 0);
	assert_int_equal(fakesrv_start(&w.fake, text, args), 0);
	free(text);
	write_config(&w, 0, NULL);
	poll_once(&w);
	/* both sources met the forgotten session, the refresh was refused,
	 * and each logged in again once */
	assert_true(logged(&w, "searchPosts", 400) + logged(&w, "listNotifications", 400) >= 2);
	assert_int_equal(logged(&w, "refreshSession", 400), 2);
	assert_int_equal(logged(&w, "createSession", 200), 2);
	assert_true(logged(&w, "searchPosts", 200) >= 1);
	assert_true(logged(&w, "listNotifications", 200) >= 1);
	assert_int_equal(db_count(&w, "SELECT count(*) FROM sources WHERE platform = 'bluesky'"
				      " AND error_streak = 0 AND auth_failures = 1"
				      " AND last_success_at > last_error_at"), 2);
	/* (no set check here: the restarted fake numbers its posts anew) */
	world_release(&w);
}

/* Pages bigger than [http] max_body (long posts): the poller asks for fewer
 * items a page until they fit, and loses nothing. */
static void oversized_pages_shrink(void **state)
{
	const char *args[] = { "--budget", "0", NULL };
	struct world w;
	char *log, *text;
	pid_t pid;
	(void)state;

	timeline_pad = 3000;
	world_init(&w, 100, 0, args, NULL);
	timeline_pad = 0;
	w.max_body = 64 * 1024;	/* about 15 padded posts */
	pid = spawn_poller(&w);
	assert_true(wait_all_stored(&w, w.nposts - 10, 60));
	stop_poller(pid, SIGTERM);
	check_world(&w, w.nposts - 10);
	log = xasprintf("%s/poller.log", w.dir);
	text = slurp(log);
	assert_non_null(strstr(text, "reason=oversized"));	/* it did shrink */
	free(text);
	free(log);
	world_release(&w);
}

/* Acceptance 5: for each header shape, tight budgets, and no request is
 * ever sent while none remain before the announced reset. */
static void no_request_before_reset_any_shape(void **state)
{
	static const char *const shapes[] = { "iso", "epoch", "delta", "float", "comma-pair" };
	(void)state;

	for (size_t s = 0; s < sizeof(shapes) / sizeof(shapes[0]); s++) {
		char shape[64];
		const char *args[] = { "--budget", "4", "--window", "2",
				       "--ratelimit-shape", shape, NULL };
		struct world w;
		json_t *log, *line;
		size_t i, early = 0, limited = 0, exhausted = 0;
		pid_t pid;

		snprintf(shape, sizeof(shape), "%s", shapes[s]);
		world_init(&w, 60, 10, args, NULL);
		pid = spawn_poller(&w);
		if (!wait_all_stored(&w, w.nposts - 10, 60))
			fprintf(stderr, "shape %s: %ld of %u stored\n", shapes[s],
				db_count(&w, "SELECT count(*) FROM mentions"), w.nposts - 10);
		stop_poller(pid, SIGTERM);
		log = fakesrv_log_since(&w.fake, 0);
		json_array_foreach(log, i, line) {
			if (json_is_true(json_object_get(line, "early")))
				early++;
			if (json_integer_value(json_object_get(line, "status")) == 429)
				limited++;
			if (json_is_integer(json_object_get(line, "remaining")) &&
			    json_integer_value(json_object_get(line, "remaining")) <= 1)
				exhausted++;
		}
		fprintf(stderr, "shape %s: %zu requests, %zu with the budget spent, %zu answered 429, %zu early\n",
			shapes[s], json_array_size(log), exhausted, limited, early);
		/* the budget must really have run out, or this proves nothing */
		if (exhausted < 5)
			fail_msg("shape %s: the budget ran out only %zu times", shapes[s], exhausted);
		json_decref(log);
		if (early)
			fail_msg("shape %s: %zu request(s) sent before the announced reset",
				 shapes[s], early);
		check_world(&w, w.nposts - 10);
		world_release(&w);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(ten_thousand_posts_exactly, setup),
		cmocka_unit_test_setup(sigkill_twenty_times, setup),
		cmocka_unit_test_setup(postgres_restart_mid_run, setup),
		cmocka_unit_test_setup(no_request_before_reset_any_shape, setup),
		cmocka_unit_test_setup(forgotten_session_is_renewed, setup),
		cmocka_unit_test_setup(oversized_pages_shrink, setup),
	};
	return cmocka_run_group_tests_name("poll", tests, NULL, NULL);
}
