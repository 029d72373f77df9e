/* test_ingest_same.c: the two ways to apply a page store the same thing.
 * The same random page sequences (repeated posts and authors, hostile
 * strings, bad JSON, unclassified posts, cases resolved or waiting between
 * pages) go through heed_ingest_page() with the page as jsonb (0006, the
 * JSON of collectors/pagejson.c) into one fresh database and through
 * store_ingest() (heed_ingest_columns() of 0008) into another; every
 * page's counts and then every table must match, times of ingest aside. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "heed/db.h"
#include "heed/migrate.h"
#include "heed/source.h"
#include "heed/xalloc.h"
#include "support.h"
#include "../../collectors/store.h"

/* The 0006 call as store.c made it before 0008. */
static const char old_sql[] =
	"SELECT inserted, duplicates, opened, joined FROM heed_ingest_page("
	"$1::int, $2::jsonb, $3::jsonb, $4::jsonb,"
	" make_interval(secs => $5::double precision / 1000),"
	" make_interval(secs => $6::double precision / 1000), $7::jsonb)";

static unsigned rnd(unsigned *seed, unsigned n)
{
	*seed = *seed * 1103515245u + 12345u;
	return (*seed >> 8) % n;
}

static const char *const texts[] = {
	"acme help? my order is late", "thanks acme", "",
	"quote \" and backslash \\ and {braces,} NULL", "tab\there\nnewline\x01",
	"bad utf8 \xff\xfe end", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
	"overlong \xc0\xaf and surrogate \xed\xa0\x80", "\"NULL\"",
};
static const char *const raws[] = {
	"{\"id\":\"1\",\"n\":1.5e3,\"f\":0.1,\"u\":\"\\u00e9\\n\"}",
	"{\"a\":[1,2,{\"b\":null}],\"a\":\"dup key, last wins\"}",
	"null", "[]", "{\"bad\":", "{\"nul\":\"\\u0000\"}", "  {\"ws\" : true }  ",
	"{\"big\":123456789012345678901234567890}", "{\"s\":\"\\ud83d\\ude00\"}",
};
static const char *const reasons[] = {
	"[{\"raw\":1.700000048,\"kind\":\"lexicon\",\"span\":[0,4],\"text\":\"help\"}]",
	"[]", "null", "not json", "[{\"value\":5.0,\"note\":\"q \\\" b \\\\\"}]",
};
static const char *const topics[] = { "delivery", "billing", "a \"quoted\" one", "back\\slash", "", "NULL", "{x,y}" };
static const char *const langs[] = { "en", "pt", NULL };

/* A random item; authors and posts come from small pools so that pages
 * repeat them. Author data varies between pages, not within one. */
static void random_item(unsigned *seed, unsigned page, struct heed_mention *m)
{
	unsigned a = rnd(seed, 12), p = rnd(seed, 300), t = rnd(seed, 20);

	m->platform = "x";
	m->external_id = xasprintf("%u", 1000 + p);
	m->url = rnd(seed, 4) ? xasprintf("https://x.test/%u", p) : NULL;
	m->author_id = xasprintf("a%u", a);
	m->author_handle = rnd(seed, 5) ? xasprintf("user%u_%u", a, page % 3) : NULL;
	m->author_name = (a + page) % 3 ? xasprintf("Name \"%u\"", a) : NULL;
	m->author_followers = (a + page) % 4 ? (int64_t)(a * 10 + page % 2) : -1;
	m->text = xstrdup(texts[rnd(seed, sizeof(texts) / sizeof(*texts))]);
	m->raw = rnd(seed, 6) ? xstrdup(raws[rnd(seed, sizeof(raws) / sizeof(*raws))]) : NULL;
	m->posted_at_ms = 1790000000000LL + (int64_t)p * 1000 + rnd(seed, 999);
	m->in_reply_to = t < 10 ? xasprintf("%u", 1000 + t) : NULL;
	m->thread_key = t < 15 ? xasprintf("%u", 1000 + t) : NULL;
	m->lang = langs[rnd(seed, 3)] ? xstrdup(langs[rnd(seed, 2)]) : NULL;
	m->mentions_account = rnd(seed, 2);
	m->is_own = rnd(seed, 15) == 0;
	m->classified = rnd(seed, 8) != 0;
	if (m->classified) {
		static const double sent[] = { 0.4019238352775573, -0.0, 0.0, 1e-7,
					       -1.0, 1.0, 0.33333333333333331 };
		size_t nt = rnd(seed, 3);

		m->sentiment = sent[rnd(seed, sizeof(sent) / sizeof(*sent))];
		m->sentiment_label = m->sentiment < 0 ? "negative" : "positive";
		m->urgency = (int)rnd(seed, 101);
		m->urgency_level = m->urgency > 60 ? "high" : "normal";
		m->topics = xcalloc(nt + 1, sizeof(*m->topics));
		for (size_t i = 0; i < nt; i++)
			m->topics[i] = xstrdup(topics[rnd(seed, sizeof(topics) / sizeof(*topics))]);
		m->reasons_json = rnd(seed, 5) ? xstrdup(reasons[rnd(seed, sizeof(reasons) / sizeof(*reasons))]) : NULL;
		m->needs_reply = rnd(seed, 3) != 0;
		m->needs_reply_reason = m->needs_reply ? xstrdup("asks \"why\"") : NULL;
		m->is_spam = rnd(seed, 12) == 0;
	}
}

/* Copy every owned string of src into dst (a repeated post, as received
 * twice in one page). */
static void copy_item(struct heed_mention *dst, const struct heed_mention *src)
{
#define DUP(f) dst->f = src->f ? xstrdup(src->f) : NULL
	*dst = *src;
	DUP(external_id);
	DUP(url);
	DUP(author_id);
	DUP(author_handle);
	DUP(author_name);
	DUP(text);
	DUP(raw);
	DUP(in_reply_to);
	DUP(thread_key);
	DUP(lang);
	DUP(reasons_json);
	DUP(needs_reply_reason);
#undef DUP
	if (src->topics) {
		size_t n = 0;

		while (src->topics[n])
			n++;
		dst->topics = xcalloc(n + 1, sizeof(*dst->topics));
		for (size_t i = 0; i < n; i++)
			dst->topics[i] = xstrdup(src->topics[i]);
	}
}

static void random_page(unsigned *seed, unsigned page, struct heed_page *pg)
{
	unsigned n = rnd(seed, 40), nbad = rnd(seed, 4) ? 0 : 1 + rnd(seed, 2);

	heed_page_init(pg);
	free(pg->cursor);
	pg->cursor = xasprintf("{\"wm\":%u,\"ids\":[\"%u\"]}", page, page);
	for (unsigned i = 0; i < n; i++) {
		struct heed_mention *m = heed_page_add(pg);
		struct heed_mention *twin = NULL;

		random_item(seed, page, m);
		/* a post repeated in the page is the same post; an author
		 * seen twice in one page says the same about themselves */
		for (unsigned k = 0; k + 1 < pg->n && !twin; k++)
			if (!strcmp(pg->items[k].external_id, m->external_id))
				twin = &pg->items[k];
		if (twin) {
			heed_mention_release(m);
			copy_item(m, twin);
			continue;
		}
		for (unsigned k = 0; k + 1 < pg->n; k++) {
			const struct heed_mention *o = &pg->items[k];

			if (strcmp(o->author_id, m->author_id))
				continue;
			free(m->author_handle);
			free(m->author_name);
			m->author_handle = o->author_handle ? xstrdup(o->author_handle) : NULL;
			m->author_name = o->author_name ? xstrdup(o->author_name) : NULL;
			m->author_followers = o->author_followers;
			break;
		}
	}
	for (unsigned i = 0; i < nbad; i++)
		heed_page_bad(pg, rnd(seed, 2) ? "b1" : NULL, "bad \"%u\" \xff", i);
}

struct side {
	struct heed_db *db;
	char *ci;
	int src;
};

static void side_open(struct side *s, const char *prefix)
{
	struct heed_db_opts o = { .retries = 2, .retry_max_wait_ms = 500 };
	struct heed_err err;
	unsigned applied;
	bool owned = false;
	PGresult *r;

	heed_err_clear(&err);
	s->ci = ht_pg_fresh_db(prefix);
	o.conninfo = s->ci;
	s->db = heed_db_open(&o, &err);
	assert_non_null(s->db);
	if (heed_migrate_apply(s->db, heed_migrations, NULL, NULL, &applied, &err))
		fail_msg("migrate: %s", heed_err_msg(&err));
	r = PQexec(heed_db_conn(s->db), "INSERT INTO sources (name, platform, brand)"
		   " VALUES ('t', 'x', 'acme') RETURNING id");
	assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
	s->src = (int)strtol(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	assert_int_equal(store_source_lock(s->db, s->src, &owned, &err), HEED_OK);
	assert_true(owned);
}

static void side_close(struct side *s)
{
	heed_db_free(s->db);
	free(s->ci);
}

/* The page through 0006 as the poller sent it before 0008. */
static void old_ingest(struct side *s, const struct heed_page *pg, int64_t join_ms,
		       struct store_counts *c)
{
	char id[16], join[32];
	char *items = store_page_items_json(pg), *bad = store_page_bad_json(pg);
	const char *p[7] = { id, pg->cursor, items, bad, "1800000", join, "{\"r\":1}" };
	PGresult *r;

	snprintf(id, sizeof(id), "%d", s->src);
	snprintf(join, sizeof(join), "%lld", (long long)join_ms);
	r = PQexecParams(heed_db_conn(s->db), old_sql, 7, NULL, p, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		fail_msg("old ingest: %s", PQerrorMessage(heed_db_conn(s->db)));
	c->inserted = (unsigned)strtoul(PQgetvalue(r, 0, 0), NULL, 10);
	c->duplicates = (unsigned)strtoul(PQgetvalue(r, 0, 1), NULL, 10);
	c->opened = (unsigned)strtoul(PQgetvalue(r, 0, 2), NULL, 10);
	c->joined = (unsigned)strtoul(PQgetvalue(r, 0, 3), NULL, 10);
	PQclear(r);
	free(items);
	free(bad);
}

static void run_sql(struct side *s, const char *sql)
{
	PGresult *r = PQexec(heed_db_conn(s->db), sql);

	if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
		fail_msg("%s: %s", sql, PQerrorMessage(heed_db_conn(s->db)));
	PQclear(r);
}

/* Every table the ingest writes, as text, without the times it sets. */
static const char *const dumps[] = {
	"SELECT id, platform, external_id, source_id, brand, author_id, url, text,"
	" raw, posted_at, in_reply_to, thread_key, language, sentiment,"
	" sentiment_label, urgency, urgency_level, topics, reasons, needs_reply,"
	" needs_reply_reason, is_spam, is_own, mentions_account, case_id,"
	" (raw IS NULL) AS raw_null, (reasons IS NULL) AS reasons_null,"
	" sentiment::text AS sentiment_text FROM mentions ORDER BY id",
	"SELECT id, platform, external_id, handle, display_name, followers FROM authors ORDER BY id",
	"SELECT id, brand, platform, author_id, thread_key, state, priority,"
	" customer_posted_at, due_at, tags FROM cases ORDER BY id",
	"SELECT id, case_id, actor, kind, detail FROM case_events ORDER BY id",
	"SELECT id, source_id, external_id, reason FROM bad_items ORDER BY id",
	"SELECT id, name, cursor, ratelimit, error_streak, last_error FROM sources ORDER BY id",
};

static size_t compare_tables(struct side *a, struct side *b)
{
	size_t rows = 0;

	for (size_t t = 0; t < sizeof(dumps) / sizeof(*dumps); t++) {
		PGresult *ra = PQexec(heed_db_conn(a->db), dumps[t]);
		PGresult *rb = PQexec(heed_db_conn(b->db), dumps[t]);

		assert_int_equal(PQresultStatus(ra), PGRES_TUPLES_OK);
		assert_int_equal(PQresultStatus(rb), PGRES_TUPLES_OK);
		if (PQntuples(ra) != PQntuples(rb))
			fail_msg("%s: %d rows vs %d", dumps[t], PQntuples(ra), PQntuples(rb));
		for (int i = 0; i < PQntuples(ra); i++)
			for (int k = 0; k < PQnfields(ra); k++) {
				const char *va = PQgetisnull(ra, i, k) ? "(null)" : PQgetvalue(ra, i, k);
				const char *vb = PQgetisnull(rb, i, k) ? "(null)" : PQgetvalue(rb, i, k);

				if (strcmp(va, vb))
					fail_msg("%s\nrow %d column %s: '%s' vs '%s'", dumps[t], i,
						 PQfname(ra, k), va, vb);
			}
		rows += (size_t)PQntuples(ra);
		PQclear(ra);
		PQclear(rb);
	}
	return rows;
}

/* Cases change between pages as agents would change them, the same on
 * both sides (ids match, which the comparison checks). */
static const char *const between[] = {
	"UPDATE cases SET state = 'resolved', resolved_at = now() WHERE id % 5 = 1 AND state = 'new'",
	"UPDATE cases SET state = 'waiting' WHERE id % 3 = 0 AND state = 'new'",
	NULL,
};

static int setup(void **state)
{
	(void)state;
	if (!ht_pg_available())
		skip();
	return 0;
}

static void same_tables(void **state)
{
	(void)state;
	for (unsigned run = 0; run < 3; run++) {
		struct side o, n;
		unsigned seed = 7 + run * 1000;
		size_t rows;

		side_open(&o, "ingold");
		side_open(&n, "ingnew");
		for (unsigned page = 0; page < 60; page++) {
			struct heed_page pg;
			struct store_counts co, cn;
			struct heed_err err;
			int64_t join_ms = rnd(&seed, 2) ? 3600 * 1000 : 0;
			const char *sql = between[rnd(&seed, 3)];

			random_page(&seed, page, &pg);
			heed_err_clear(&err);
			old_ingest(&o, &pg, join_ms, &co);
			if (store_ingest(n.db, n.src, &pg, "{\"r\":1}", 1800000, join_ms, &cn, &err))
				fail_msg("new ingest: %s", heed_err_msg(&err));
			if (co.inserted != cn.inserted || co.duplicates != cn.duplicates ||
			    co.opened != cn.opened || co.joined != cn.joined)
				fail_msg("run %u page %u: counts %u/%u/%u/%u vs %u/%u/%u/%u", run, page,
					 co.inserted, co.duplicates, co.opened, co.joined,
					 cn.inserted, cn.duplicates, cn.opened, cn.joined);
			heed_page_release(&pg);
			if (sql) {
				run_sql(&o, sql);
				run_sql(&n, sql);
			}
		}
		rows = compare_tables(&o, &n);
		assert_true(rows > 300);
		/* the sequence exercised what it is for */
		{
			PGresult *r = PQexec(heed_db_conn(n.db),
				"SELECT (SELECT count(*) FROM case_events WHERE kind = 'opened'),"
				" (SELECT count(*) FROM case_events WHERE kind = 'mention_added'),"
				" (SELECT count(*) FROM mentions WHERE case_id IS NULL),"
				" (SELECT count(*) FROM cases WHERE state = 'open'),"
				" (SELECT count(*) FROM bad_items)");

			assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
			for (int k = 0; k < 5; k++)
				if (strtol(PQgetvalue(r, 0, k), NULL, 10) < 3)
					fail_msg("run %u: check %d has only %s rows", run, k,
						 PQgetvalue(r, 0, k));
			PQclear(r);
		}
		side_close(&o);
		side_close(&n);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(same_tables, setup),
	};
	return cmocka_run_group_tests_name("ingest_same", tests, NULL, NULL);
}
