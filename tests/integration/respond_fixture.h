/* respond_fixture.h: what the responder tests share: the queue fixture
 * (queue_fixture.h) plus the fake platform server holding customers' posts
 * on the four platforms that take replies, ingested by `heed poll --once` as
 * the poller role, so that every case answers a post the fake knows; agents
 * that claim and answer cases; running `heed respond`; and reading back the
 * replies the fake received. Header-only, like queue_fixture.h. */
#ifndef HEED_TEST_RESPOND_FIXTURE_H
#define HEED_TEST_RESPOND_FIXTURE_H

#include <jansson.h>

#include "fakeserver.h"
#include "heed/queue.h"
#include "queue_fixture.h"

static const char *const rw_platforms[] = { "mastodon", "bluesky", "reddit", "x" };
#define RW_NPLAT 4

struct rw {
	struct qf q;
	struct fakesrv fake;
	unsigned per;		/* posts per platform */
	unsigned cases;		/* cases the poll opened */
};

/* Text of customer post i: a question, so it needs a reply. */
#define RW_TEXT "@acme my order %u never arrived, can you help?"

/* Write the configuration: the four mention sources on the fake, quick
 * retries, short HTTP timeouts (the lease follows from them), and extra. */
static inline void rw_config(struct rw *w, const char *extra)
{
	FILE *f = fopen(w->q.conf, "w");
	const char *b = w->fake.base;

	if (!f)
		abort();
	fprintf(f,
		"[poll]\nbackfill = 2h\nbudget_share = 1\nmax_pages = 100000\n"
		"[cases]\njoin_window = 0\n"
		"[http]\ntimeout = 0.5s\nconnect_timeout = 0.2s\n"
		"[respond]\ninterval = 200ms\nlease = 1s\nbackoff_max = 50ms\nmax_attempts = 40\n"
		"[brand.acme]\nown_accounts = acme\n"
		"[source.m]\nplatform = mastodon\nkind = mentions\nbrand = acme\nbase_url = %s\n"
		"secret_env = HEED_TEST_TOKEN\naccount = 109000000000000001\n"
		"[source.b]\nplatform = bluesky\nkind = mentions\nbrand = acme\nbase_url = %s\n"
		"user = acme.bsky.social\nsecret_env = HEED_TEST_TOKEN\n"
		"[source.r]\nplatform = reddit\nkind = mentions\nbrand = acme\nbase_url = %s\n"
		"user = acme\nsecret_env = HEED_TEST_TOKEN\nclient_id = app\n"
		"client_secret_env = HEED_TEST_TOKEN\n"
		"[source.x]\nplatform = x\nkind = mentions\nbrand = acme\nbase_url = %s\n"
		"secret_env = HEED_TEST_TOKEN\naccount = 1600000000000000001\n"
		"%s",
		b, b, b, b, extra ? extra : "");
	if (fclose(f))
		abort();
}

/* Run heed as role with the test token in the environment. */
static inline struct qf_run rw_heed(struct rw *w, const char *role, const char *args)
{
	return qf_heed(&w->q, role, "HEED_TEST_TOKEN=test-token", args);
}

/* A world: database, roles (nagents agents), the fake with per posts on
 * each platform (texts from text_fmt, which takes the post's number; NULL
 * for RW_TEXT), all ingested. Aborts on any failure. */
static inline void rw_init(struct rw *w, const char *prefix, int nagents, unsigned per,
			   const char *text_fmt, const char *const *fake_args,
			   const char *cfg_extra)
{
	struct heed_buf tl;
	struct qf_run r;
	PGconn *c;

	memset(w, 0, sizeof(*w));
	qf_init(&w->q, prefix, nagents);
	w->per = per;
	heed_buf_init(&tl, 0);
	for (int p = 0; p < RW_NPLAT; p++)
		for (unsigned i = 0; i < per; i++) {
			char text[300];

			snprintf(text, sizeof(text), text_fmt ? text_fmt : RW_TEXT, i);
			if (heed_buf_addf(&tl,
					  "{\"platform\":\"%s\",\"id\":\"c%u\",\"at\":%.3f,"
					  "\"author\":{\"id\":\"u%u\",\"handle\":\"cust%u\",\"name\":\"Customer %u\",\"followers\":5},"
					  "\"text\":\"%s\",\"lang\":\"en\",\"channels\":[%s]%s}\n",
					  rw_platforms[p], i, -1200.0 + i * 0.001, i, i, i, text,
					  p == 2 ? "\"inbox\",\"mention\"" : "\"mention\"",
					  p == 2 ? ",\"subreddit\":\"acmesupport\"" : ""))
				abort();
		}
	if (fakesrv_start(&w->fake, heed_buf_str(&tl), fake_args)) {
		fprintf(stderr, "fake server did not start\n");
		abort();
	}
	heed_buf_release(&tl);
	rw_config(w, cfg_extra);
	r = rw_heed(w, w->q.poller, "poll --once");
	if (r.status) {
		fprintf(stderr, "heed poll: exit %d\n%s", r.status, r.out);
		abort();
	}
	free(r.out);
	c = ht_pg_connect(w->q.ci);
	w->cases = (unsigned)qf_long(c, "SELECT count(*) FROM cases");
	PQfinish(c);
}

static inline void rw_release(struct rw *w)
{
	fakesrv_stop(&w->fake);
	qf_release(&w->q);
}

/* Agent role claims with heed next and answers up to max cases (0: all
 * waiting) through the library; returns how many. text_fmt gets the case
 * id. */
static inline unsigned rw_answer(struct rw *w, const char *role, unsigned max,
				 const char *text_fmt)
{
	struct heed_db *db = qf_open(&w->q, role);
	struct heed_err err;
	unsigned n = 0;

	heed_err_clear(&err);
	while (!max || n < max) {
		int64_t id;
		char text[600], key[HEED_QUEUE_KEY_SIZE];
		int rc = heed_queue_next(db, 300000, &id, &err);

		if (rc == HEED_ENOTFOUND)
			break;
		if (rc) {
			fprintf(stderr, "heed next as %s: %s\n", role, heed_err_msg(&err));
			abort();
		}
		snprintf(text, sizeof(text), text_fmt ? text_fmt : "Sorry about that! Case %lld is on it.",
			 (long long)id);
		heed_queue_reply_key(key);
		if (heed_queue_reply(db, id, text, NULL, key, 0, NULL, &err)) {
			fprintf(stderr, "reply as %s: %s\n", role, heed_err_msg(&err));
			abort();
		}
		n++;
	}
	heed_db_free(db);
	return n;
}

/* The replies the fake received, as a JSON array (new reference) of
 * {platform, parent, parent_key, reply_id, text, key, t}. */
static inline json_t *rw_fake_replies(struct rw *w)
{
	struct fakesrv_resp r;
	json_t *out;

	fakesrv_get(&w->fake, &r, NULL, "/_fake/replies");
	if (r.status != 200 || !r.json) {
		fprintf(stderr, "GET /_fake/replies: %ld\n", r.status);
		abort();
	}
	out = json_is_array(r.json) ? json_incref(r.json)
				    : json_incref(json_object_get(r.json, "replies"));
	fakesrv_resp_release(&r);
	return out;
}

/* Check that the fake holds exactly one reply to each case's post and
 * nothing else, and that the outbox agrees: every reply sent, with the
 * platform's id. Returns the number of replies; fails the test otherwise. */
static inline long rw_assert_exactly_once(struct rw *w, long want)
{
	json_t *all = rw_fake_replies(w), *r;
	PGconn *c = ht_pg_connect(w->q.ci);
	json_t *seen = json_object();
	size_t i;
	long n = (long)json_array_size(all);

	json_array_foreach(all, i, r) {
		const char *parent = json_string_value(json_object_get(r, "parent"));
		const char *pl = json_string_value(json_object_get(r, "platform"));
		char *k;

		assert_non_null(parent);
		k = xasprintf("%s %s", pl, parent);
		if (json_object_get(seen, k))
			fail_msg("%s received two replies to %s", pl, parent);
		json_object_set_new(seen, k, json_true());
		free(k);
	}
	if (n != want)
		fail_msg("the fake received %ld replies, want %ld", n, want);
	assert_int_equal(ht_pg_count(c, "SELECT count(*) FROM replies WHERE state = 'sent'"
				     " AND platform_reply_id IS NOT NULL", NULL), want);
	assert_int_equal(ht_pg_count(c, "SELECT count(*) FROM replies WHERE state <> 'sent'",
				     NULL), 0);
	/* each sent reply's id is one the fake gave out */
	json_array_foreach(all, i, r) {
		const char *id = json_string_value(json_object_get(r, "reply_id"));
		const char *pl = json_string_value(json_object_get(r, "platform"));
		char *want_id = xasprintf("%s%s", !strcmp(pl, "reddit") ? "t1_" : "", id);

		if (ht_pg_count(c, "SELECT count(*) FROM replies WHERE platform_reply_id = $1",
				want_id, NULL) != 1)
			fail_msg("%s reply %s is not in the outbox once", pl, want_id);
		free(want_id);
	}
	json_decref(seen);
	json_decref(all);
	PQfinish(c);
	return n;
}

#endif
