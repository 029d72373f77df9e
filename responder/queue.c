/* queue.c: the case queue over libpq (see heed/queue.h). The only C file
 * with queue SQL: prepared statements that call the functions of
 * schema/0004_queue.sql (which decide who may do what, as session_user), the
 * queue listing, and the case, thread, history and template reads. Every
 * value travels as a parameter. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "heed/buf.h"
#include "heed/db.h"
#include "heed/queue.h"
#include "heed/xalloc.h"

/* Statements marked retry are safe to re-run after a lost connection: reads,
 * and calls whose second run changes nothing (a renewal, a keyed reply). */
static const struct heed_stmt st_next = {
	"queue_next", "SELECT claimed_case FROM heed_claim_next($1::interval)", 1, false,
};
static const struct heed_stmt st_claim = {
	"queue_claim", "SELECT heed_claim($1, $2, $3::interval)", 3, true,
};
static const struct heed_stmt st_renew = {
	"queue_renew", "SELECT heed_renew($1, $2::interval)", 2, true,
};
static const struct heed_stmt st_release = {
	"queue_release", "SELECT heed_release($1)", 1, false,
};
static const struct heed_stmt st_assign = {
	"queue_assign", "SELECT heed_assign($1, $2, $3, $4::interval)", 4, false,
};
static const struct heed_stmt st_reply = {
	"queue_reply", "SELECT heed_queue_reply($1, $2, $3, $4, $5)", 5, true,
};
static const struct heed_stmt st_record = {
	"queue_record", "SELECT heed_record_reply($1, $2, $3)", 3, true,
};
static const struct heed_stmt st_resolve = {
	"queue_resolve", "SELECT heed_resolve($1, $2)", 2, false,
};
static const struct heed_stmt st_reopen = {
	"queue_reopen", "SELECT heed_reopen($1)", 1, false,
};
static const struct heed_stmt st_snooze = {
	"queue_snooze", "SELECT heed_snooze($1, $2::interval)", 2, false,
};
static const struct heed_stmt st_note = {
	"queue_note", "SELECT heed_note($1, $2)", 2, false,
};
static const struct heed_stmt st_tag = {
	"queue_tag",
	"SELECT heed_tag($1, coalesce(string_to_array(nullif($2, ''), ','), '{}'),"
	" coalesce(string_to_array(nullif($3, ''), ','), '{}'))", 3, false,
};
static const struct heed_stmt st_expire = {
	"queue_expire", "SELECT heed_expire_leases()", 0, true,
};
static const struct heed_stmt st_tmpl_add = {
	"queue_tmpl_add",
	"SELECT heed_template_add($1, $2,"
	" ARRAY(SELECT btrim(t) FROM unnest(string_to_array($3, ',')) t WHERE btrim(t) <> ''),"
	" $4)", 4, false,
};
static const struct heed_stmt st_tmpl_edit = {
	"queue_tmpl_edit",
	"SELECT heed_template_edit($1, $2,"
	" CASE WHEN $3::text IS NOT NULL THEN"
	"  ARRAY(SELECT btrim(t) FROM unnest(string_to_array($3, ',')) t WHERE btrim(t) <> '')"
	" END, $4)", 4, true,
};

/* First non-blank line of a post, cut for a one-line view. */
#define FIRST_LINE(col, n) \
	"left(substring(btrim(" col ", E' \\t\\r\\n') FROM '^[^\\n]*'), " #n ")"
#define LOCAL_TIME(col) "to_char(" col ", 'YYYY-MM-DD HH24:MI')"

/* The listing reads the unclaimed cases through cases_queue_idx in claim
 * order up to the limit, adds the claimed ones (cases_lease_idx: a handful)
 * and, for --all, the waiting ones, then sorts that short list; the lateral
 * read of each case's first post runs only for the rows shown. */
#define LIST_FILTER \
	" AND ($2::text IS NULL OR c.platform = $2) AND ($3::text IS NULL OR c.brand = $3)"
static const struct heed_stmt st_list = {
	"queue_list",
	"SELECT c.id, c.brand, c.platform, c.state, c.priority,"
	" floor(extract(epoch FROM c.due_at - now()))::bigint,"
	" to_char(c.due_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
	" c.breached OR c.due_at < now(), coalesce(c.snoozed_until > now(), false),"
	" c.claimed_by, a.handle, coalesce(m.sentiment_label, ''),"
	" coalesce(m.urgency_level, ''), coalesce(array_to_string(m.topics, ','), ''),"
	" coalesce(m.line, '')"
	" FROM ("
	"  (SELECT * FROM cases c WHERE c.state IN ('new', 'open') AND $1::text <> 'mine'"
	"   AND ($1::text = 'all' OR c.snoozed_until IS NULL OR c.snoozed_until <= now())"
	LIST_FILTER
	"   ORDER BY c.priority DESC, c.due_at LIMIT $4::bigint)"
	"  UNION ALL"
	"  (SELECT * FROM cases c WHERE c.state = 'claimed' AND $1::text <> 'unassigned'"
	"   AND ($1::text <> 'mine' OR c.claimed_by = session_user)" LIST_FILTER ")"
	"  UNION ALL"
	"  (SELECT * FROM cases c WHERE c.state = 'waiting' AND $1::text = 'all'" LIST_FILTER ")"
	" ) c JOIN authors a ON a.id = c.author_id"
	" LEFT JOIN LATERAL (SELECT sentiment_label, urgency_level, topics, "
	FIRST_LINE("text", 300) " AS line"
	"  FROM mentions WHERE case_id = c.id ORDER BY posted_at, id LIMIT 1) m ON true"
	" ORDER BY c.priority DESC, c.due_at, c.id"
	" LIMIT $4::bigint", 4, true,
};

static const struct heed_stmt st_case = {
	"queue_case",
	"SELECT c.id, c.brand, c.platform, c.state, c.thread_key, c.priority, "
	LOCAL_TIME("c.due_at") ", floor(extract(epoch FROM c.due_at - now()))::bigint,"
	" c.breached OR c.due_at < now(), c.escalation_level, "
	LOCAL_TIME("c.opened_at") ", " LOCAL_TIME("c.customer_posted_at") ","
	" coalesce(" LOCAL_TIME("c.first_response_at") ", ''),"
	" coalesce(" LOCAL_TIME("c.resolved_at") ", ''),"
	" CASE WHEN c.snoozed_until > now() THEN " LOCAL_TIME("c.snoozed_until") " ELSE '' END,"
	" c.claimed_by, coalesce(floor(extract(epoch FROM c.lease_until - now()))::bigint, 0),"
	" array_to_string(c.tags, ','), a.handle, coalesce(a.display_name, ''),"
	" coalesce(a.followers::text, ''),"
	" (SELECT count(*) FROM mentions x WHERE x.author_id = c.author_id),"
	" t.can_post, coalesce(t.reason, ''), session_user,"
	" coalesce((SELECT g.display_name FROM agents g WHERE g.name = session_user), session_user)"
	" FROM cases c JOIN authors a ON a.id = c.author_id"
	" CROSS JOIN LATERAL heed_case_reply_target(c.id) t"
	" WHERE c.id = $1", 1, true,
};

/* Every post of the thread and every post attached to the case, in order. */
static const struct heed_stmt st_posts = {
	"queue_posts",
	"SELECT m.id, " LOCAL_TIME("m.posted_at") ", coalesce(a.handle, ''),"
	" coalesce(a.display_name, ''), coalesce(m.url, ''), m.text,"
	" coalesce(m.sentiment_label, ''), coalesce(m.urgency_level, ''),"
	" array_to_string(m.topics, ','), coalesce(m.reasons::text, ''),"
	" coalesce(m.needs_reply_reason, ''),"
	" m.author_id IS NOT DISTINCT FROM c.author_id, m.is_own,"
	" m.case_id IS NOT DISTINCT FROM c.id"
	" FROM cases c JOIN mentions m"
	"  ON (m.platform = c.platform AND m.thread_key = c.thread_key) OR m.case_id = c.id"
	" LEFT JOIN authors a ON a.id = m.author_id"
	" WHERE c.id = $1 ORDER BY m.posted_at, m.id LIMIT 200", 1, true,
};

static const struct heed_stmt st_past = {
	"queue_past",
	"SELECT p.id, p.state, " LOCAL_TIME("p.opened_at") ","
	" coalesce(" LOCAL_TIME("p.resolved_at") ", ''),"
	" coalesce(floor(extract(epoch FROM p.first_response_at - p.customer_posted_at))::bigint, -1),"
	" array_to_string(p.tags, ','),"
	" coalesce((SELECT " FIRST_LINE("m.text", 200) " FROM mentions m"
	"  WHERE m.case_id = p.id ORDER BY m.posted_at, m.id LIMIT 1), '')"
	" FROM cases c JOIN cases p ON p.author_id = c.author_id AND p.id <> c.id"
	" WHERE c.id = $1 ORDER BY p.opened_at DESC, p.id DESC LIMIT 10", 1, true,
};

static const struct heed_stmt st_others = {
	"queue_others",
	"SELECT m.id, " LOCAL_TIME("m.posted_at") ", coalesce(m.sentiment_label, ''), "
	FIRST_LINE("m.text", 200)
	" FROM cases c JOIN mentions m ON m.author_id = c.author_id"
	" WHERE c.id = $1 AND m.case_id IS NULL"
	"  AND NOT (m.platform = c.platform AND m.thread_key = c.thread_key)"
	" ORDER BY m.posted_at DESC, m.id DESC LIMIT 5", 1, true,
};

static const struct heed_stmt st_hints = {
	"queue_hints",
	"SELECT t.name, array_to_string(t.topics, ','), t.body"
	" FROM cases c JOIN templates t ON t.brand IS NULL OR t.brand = c.brand"
	" WHERE c.id = $1 AND t.topics && ARRAY(SELECT DISTINCT unnest(m.topics)"
	"  FROM mentions m WHERE m.case_id = c.id)"
	" ORDER BY t.name LIMIT 5", 1, true,
};

static const struct heed_stmt st_replies = {
	"queue_replies",
	"SELECT r.id, r.kind, r.state, r.agent, " LOCAL_TIME("r.created_at") ", r.text,"
	" coalesce(r.platform_url, ''), coalesce(r.last_error, ''), coalesce(r.template, '')"
	" FROM replies r WHERE r.case_id = $1 ORDER BY r.id", 1, true,
};

static const struct heed_stmt st_history = {
	"queue_history",
	"SELECT e.id, to_char(e.at, 'YYYY-MM-DD HH24:MI:SS'), e.actor, e.kind, e.detail::text"
	" FROM case_events e WHERE e.case_id = $1 ORDER BY e.at, e.id", 1, true,
};

static const struct heed_stmt st_exists = {
	"queue_exists", "SELECT 1 FROM cases WHERE id = $1", 1, true,
};

static const struct heed_stmt st_templates = {
	"queue_templates",
	"SELECT name, coalesce(brand, ''), array_to_string(topics, ','), body,"
	" created_by, coalesce(updated_by, created_by), " LOCAL_TIME("updated_at")
	" FROM templates WHERE $1::text IS NULL OR name = $1 ORDER BY name", 1, true,
};

/* ---- plumbing ---- */

static int map_sqlstate(const char *s)
{
	static const struct { const char *state; int code; } map[] = {
		{ "HQ001", HEED_ECONFLICT }, { "HQ002", HEED_ENOTFOUND },
		{ "HQ003", HEED_ESTATE }, { "HQ004", HEED_ESTATE },
		{ "HQ005", HEED_ECONFLICT }, { "22023", HEED_EINVAL },
		{ "22P02", HEED_EINVAL }, { "22007", HEED_EINVAL },
		{ "22008", HEED_EINVAL }, { "22003", HEED_EINVAL },
		{ "23514", HEED_EINVAL }, { "42501", HEED_EPERM },
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(s, map[i].state))
			return map[i].code;
	return HEED_EDB;
}

/* Run st. On failure the database's error is mapped to a heed code and
 * its message freed of db.c's "statement: SQLSTATE: " prefix. */
static int run(struct heed_db *db, const struct heed_stmt *st,
	       const char *const *params, PGresult **resp, struct heed_err *err)
{
	struct heed_err e;
	PGresult *res;
	size_t n = strlen(st->name);
	const char *state;
	char *m;

	heed_err_clear(&e);
	res = heed_db_exec(db, st, params, &e);
	if (res) {
		if (resp)
			*resp = res;
		else
			PQclear(res);
		return HEED_OK;
	}
	if (e.code == HEED_EDB) {
		state = heed_db_sqlstate(db);
		e.code = map_sqlstate(state);
		m = e.msg;
		if (!strncmp(m, st->name, n) && !strncmp(m + n, ": ", 2)) {
			m += n + 2;
			if (*state && !strncmp(m, state, 5) && !strncmp(m + 5, ": ", 2))
				m += 7;
			memmove(e.msg, m, strlen(m) + 1);
		}
	}
	if (err)
		*err = e;
	return e.code;
}

static const char *val(const PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? NULL : PQgetvalue(r, row, col);
}

static int64_t num(const PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? 0
		: strtoll(PQgetvalue(r, row, col), NULL, 10);
}

static bool flag(const PGresult *r, int row, int col)
{
	return PQgetvalue(r, row, col)[0] == 't';
}

struct params {
	char id[24], ms[48];
};

static void fmt_id(struct params *p, int64_t id)
{
	snprintf(p->id, sizeof(p->id), "%" PRId64, id);
}

static void fmt_ms(struct params *p, int64_t ms)
{
	snprintf(p->ms, sizeof(p->ms), "%" PRId64 " milliseconds", ms);
}

/* Run a statement whose only result is one int8 value. */
static int run_id(struct heed_db *db, const struct heed_stmt *st,
		  const char *const *params, int64_t *out, struct heed_err *err)
{
	PGresult *res;
	int rc = run(db, st, params, &res, err);

	if (rc)
		return rc;
	if (out)
		*out = PQntuples(res) > 0 ? num(res, 0, 0) : 0;
	PQclear(res);
	return HEED_OK;
}

/* ---- operations ---- */

int heed_queue_next(struct heed_db *db, int64_t lease_ms, int64_t *case_id,
		    struct heed_err *err)
{
	struct params p;
	const char *params[] = { p.ms };
	PGresult *res;
	int rc;

	fmt_ms(&p, lease_ms);
	*case_id = 0;
	rc = run(db, &st_next, params, &res, err);
	if (rc)
		return rc;
	if (PQntuples(res) > 0 && !PQgetisnull(res, 0, 0))
		*case_id = num(res, 0, 0);
	PQclear(res);
	if (!*case_id)
		return heed_err_set(err, HEED_ENOTFOUND, "no case is waiting");
	return HEED_OK;
}

int heed_queue_claim(struct heed_db *db, int64_t case_id, bool steal,
		     int64_t lease_ms, struct heed_err *err)
{
	struct params p;
	const char *params[] = { p.id, steal ? "t" : "f", p.ms };

	fmt_id(&p, case_id);
	fmt_ms(&p, lease_ms);
	return run(db, &st_claim, params, NULL, err);
}

int heed_queue_renew(struct heed_db *db, int64_t case_id, int64_t lease_ms,
		     struct heed_err *err)
{
	struct params p;
	const char *params[] = { p.id, p.ms };

	fmt_id(&p, case_id);
	fmt_ms(&p, lease_ms);
	return run(db, &st_renew, params, NULL, err);
}

int heed_queue_release(struct heed_db *db, int64_t case_id,
		       struct heed_err *err)
{
	struct params p;
	const char *params[] = { p.id };

	fmt_id(&p, case_id);
	return run(db, &st_release, params, NULL, err);
}

int heed_queue_assign(struct heed_db *db, int64_t case_id, const char *agent,
		      bool steal, int64_t lease_ms, struct heed_err *err)
{
	struct params p;
	const char *params[] = { p.id, agent, steal ? "t" : "f", p.ms };

	fmt_id(&p, case_id);
	fmt_ms(&p, lease_ms);
	return run(db, &st_assign, params, NULL, err);
}

void heed_queue_reply_key(char out[HEED_QUEUE_KEY_SIZE])
{
	unsigned char r[16];
	size_t got = 0;

	while (got < sizeof(r)) {
		ssize_t n = getrandom(r + got, sizeof(r) - got, 0);

		if (n < 0)
			abort();	/* the kernel's CSPRNG cannot fail here */
		got += (size_t)n;
	}
	memcpy(out, "heed-", 5);
	for (size_t i = 0; i < sizeof(r); i++)
		snprintf(out + 5 + 2 * i, 3, "%02x", r[i]);
}

int heed_queue_reply(struct heed_db *db, int64_t case_id, const char *text,
		     const char *tmpl, const char *key, unsigned flags,
		     int64_t *reply_id, struct heed_err *err)
{
	struct params p;
	const char *params[] = { p.id, text, tmpl, key,
				 flags & HEED_QUEUE_RESOLVE ? "t" : "f" };

	/* heed_queue_reply() wakes the responder itself when it has to (0009) */
	fmt_id(&p, case_id);
	return run_id(db, &st_reply, params, reply_id, err);
}

int heed_queue_record_reply(struct heed_db *db, int64_t case_id,
			    const char *url, const char *text,
			    int64_t *reply_id, struct heed_err *err)
{
	struct params p;
	const char *params[] = { p.id, url, text };

	fmt_id(&p, case_id);
	return run_id(db, &st_record, params, reply_id, err);
}

int heed_queue_resolve(struct heed_db *db, int64_t case_id,
		       bool no_reply_needed, struct heed_err *err)
{
	struct params p;
	const char *params[] = { p.id, no_reply_needed ? "t" : "f" };

	fmt_id(&p, case_id);
	return run(db, &st_resolve, params, NULL, err);
}

int heed_queue_reopen(struct heed_db *db, int64_t case_id,
		      struct heed_err *err)
{
	struct params p;
	const char *params[] = { p.id };

	fmt_id(&p, case_id);
	return run(db, &st_reopen, params, NULL, err);
}

int heed_queue_snooze(struct heed_db *db, int64_t case_id, int64_t ms,
		      struct heed_err *err)
{
	struct params p;
	const char *params[] = { p.id, p.ms };

	fmt_id(&p, case_id);
	fmt_ms(&p, ms);
	return run(db, &st_snooze, params, NULL, err);
}

int heed_queue_note(struct heed_db *db, int64_t case_id, const char *text,
		    struct heed_err *err)
{
	struct params p;
	const char *params[] = { p.id, text };

	fmt_id(&p, case_id);
	return run(db, &st_note, params, NULL, err);
}

/* Join words with ',' for string_to_array; a word holding ',' would split. */
static int join_words(struct heed_buf *b, const char *const *w, size_t n,
		      struct heed_err *err)
{
	for (size_t i = 0; i < n; i++) {
		if (!*w[i] || strchr(w[i], ','))
			return heed_err_set(err, HEED_EINVAL, "bad tag '%s'", w[i]);
		if (heed_buf_addf(b, "%s%s", i ? "," : "", w[i]))
			return heed_err_set(err, HEED_ETOOBIG, "too many tags");
	}
	return HEED_OK;
}

int heed_queue_tag(struct heed_db *db, int64_t case_id,
		   const char *const *add, size_t nadd,
		   const char *const *rm, size_t nrm, struct heed_err *err)
{
	struct heed_buf a, r;
	struct params p;
	int rc;

	heed_buf_init(&a, 65536);
	heed_buf_init(&r, 65536);
	fmt_id(&p, case_id);
	rc = join_words(&a, add, nadd, err);
	if (!rc)
		rc = join_words(&r, rm, nrm, err);
	if (!rc) {
		const char *params[] = { p.id, heed_buf_str(&a), heed_buf_str(&r) };

		rc = run(db, &st_tag, params, NULL, err);
	}
	heed_buf_release(&a);
	heed_buf_release(&r);
	return rc;
}

int heed_queue_expire(struct heed_db *db, unsigned *n, struct heed_err *err)
{
	int64_t v = 0;
	int rc = run_id(db, &st_expire, NULL, &v, err);

	if (n)
		*n = rc ? 0 : (unsigned)v;
	return rc;
}

int heed_queue_listen(struct heed_db *db, struct heed_err *err)
{
	return heed_db_run(db, "LISTEN " HEED_QUEUE_CHANNEL, err);
}

/* ---- reads ---- */

int heed_queue_list(struct heed_db *db, const struct heed_queue_filter *f,
		    struct heed_queue_list *out, struct heed_err *err)
{
	static const char *const views[] = { "open", "mine", "unassigned", "all" };
	char limit[24];
	const char *params[] = { views[f->view], f->platform, f->brand,
				 f->limit ? limit : NULL };
	PGresult *res;
	int rc;

	memset(out, 0, sizeof(*out));
	snprintf(limit, sizeof(limit), "%zu", f->limit + 1);	/* one more: "more" */
	rc = run(db, &st_list, params, &res, err);
	if (rc)
		return rc;
	out->res = res;
	out->n = (size_t)PQntuples(res);
	if (f->limit && out->n > f->limit) {
		out->n = f->limit;
		out->more = true;
	}
	out->items = xcalloc(out->n ? out->n : 1, sizeof(*out->items));
	for (size_t i = 0; i < out->n; i++) {
		struct heed_queue_item *it = &out->items[i];
		int r = (int)i, k = 0;

		it->id = num(res, r, k++);
		it->brand = val(res, r, k++);
		it->platform = val(res, r, k++);
		it->state = val(res, r, k++);
		it->priority = (int)num(res, r, k++);
		it->secs_left = num(res, r, k++);
		it->due_at = val(res, r, k++);
		it->breached = flag(res, r, k++);
		it->snoozed = flag(res, r, k++);
		it->claimed_by = val(res, r, k++);
		it->author = val(res, r, k++);
		it->sentiment = val(res, r, k++);
		it->urgency = val(res, r, k++);
		it->topics = val(res, r, k++);
		it->text = val(res, r, k++);
	}
	return HEED_OK;
}

void heed_queue_list_release(struct heed_queue_list *l)
{
	free(l->items);
	PQclear(l->res);
	memset(l, 0, sizeof(*l));
}

static int fetch_header(struct heed_db *db, const char *const *params,
			struct heed_case *c, struct heed_err *err)
{
	PGresult *res;
	int rc = run(db, &st_case, params, &res, err), k = 0;

	if (rc)
		return rc;
	c->res[0] = res;
	if (PQntuples(res) < 1)
		return heed_err_set(err, HEED_ENOTFOUND, "no case %s", params[0]);
	c->id = num(res, 0, k++);
	c->brand = val(res, 0, k++);
	c->platform = val(res, 0, k++);
	c->state = val(res, 0, k++);
	c->thread_key = val(res, 0, k++);
	c->priority = (int)num(res, 0, k++);
	c->due_at = val(res, 0, k++);
	c->secs_left = num(res, 0, k++);
	c->breached = flag(res, 0, k++);
	c->escalation_level = (int)num(res, 0, k++);
	c->opened_at = val(res, 0, k++);
	c->customer_posted_at = val(res, 0, k++);
	c->first_response_at = val(res, 0, k++);
	c->resolved_at = val(res, 0, k++);
	c->snoozed_until = val(res, 0, k++);
	c->claimed_by = val(res, 0, k++);
	c->lease_secs_left = num(res, 0, k++);
	c->tags = val(res, 0, k++);
	c->author = val(res, 0, k++);
	c->author_name = val(res, 0, k++);
	c->followers = val(res, 0, k++);
	c->author_posts = num(res, 0, k++);
	c->can_post = flag(res, 0, k++);
	c->cannot_post = val(res, 0, k++);
	c->me = val(res, 0, k++);
	c->me_name = val(res, 0, k++);
	return HEED_OK;
}

static int fetch_posts(struct heed_db *db, const char *const *params,
		       struct heed_case *c, struct heed_err *err)
{
	PGresult *res;
	int rc = run(db, &st_posts, params, &res, err);

	if (rc)
		return rc;
	c->res[1] = res;
	c->nposts = (size_t)PQntuples(res);
	c->posts = xcalloc(c->nposts ? c->nposts : 1, sizeof(*c->posts));
	for (int r = 0; r < (int)c->nposts; r++) {
		struct heed_case_post *p = &c->posts[r];
		int k = 0;

		p->id = num(res, r, k++);
		p->posted_at = val(res, r, k++);
		p->author = val(res, r, k++);
		p->author_name = val(res, r, k++);
		p->url = val(res, r, k++);
		p->text = val(res, r, k++);
		p->sentiment = val(res, r, k++);
		p->urgency = val(res, r, k++);
		p->topics = val(res, r, k++);
		p->reasons = val(res, r, k++);
		p->needs_reply_reason = val(res, r, k++);
		p->by_customer = flag(res, r, k++);
		p->is_own = flag(res, r, k++);
		p->in_case = flag(res, r, k++);
	}
	return HEED_OK;
}

static int fetch_history(struct heed_db *db, const char *const *params,
			 struct heed_case *c, struct heed_err *err)
{
	PGresult *res;
	int rc = run(db, &st_past, params, &res, err);

	if (rc)
		return rc;
	c->res[2] = res;
	c->npast = (size_t)PQntuples(res);
	c->past = xcalloc(c->npast ? c->npast : 1, sizeof(*c->past));
	for (int r = 0; r < (int)c->npast; r++) {
		struct heed_case_past *p = &c->past[r];
		int k = 0;

		p->id = num(res, r, k++);
		p->state = val(res, r, k++);
		p->opened_at = val(res, r, k++);
		p->resolved_at = val(res, r, k++);
		p->response_secs = num(res, r, k++);
		p->tags = val(res, r, k++);
		p->text = val(res, r, k++);
	}
	rc = run(db, &st_others, params, &res, err);
	if (rc)
		return rc;
	c->res[3] = res;
	c->nothers = (size_t)PQntuples(res);
	c->others = xcalloc(c->nothers ? c->nothers : 1, sizeof(*c->others));
	for (int r = 0; r < (int)c->nothers; r++) {
		struct heed_case_other *o = &c->others[r];

		o->id = num(res, r, 0);
		o->posted_at = val(res, r, 1);
		o->sentiment = val(res, r, 2);
		o->text = val(res, r, 3);
	}
	return HEED_OK;
}

static int fetch_hints(struct heed_db *db, const char *const *params,
		       struct heed_case *c, struct heed_err *err)
{
	PGresult *res;
	int rc = run(db, &st_hints, params, &res, err);

	if (rc)
		return rc;
	c->res[4] = res;
	c->nhints = (size_t)PQntuples(res);
	c->hints = xcalloc(c->nhints ? c->nhints : 1, sizeof(*c->hints));
	for (int r = 0; r < (int)c->nhints; r++) {
		c->hints[r].name = val(res, r, 0);
		c->hints[r].topics = val(res, r, 1);
		c->hints[r].body = val(res, r, 2);
	}
	return HEED_OK;
}

static int fetch_replies(struct heed_db *db, const char *const *params,
			 struct heed_case *c, struct heed_err *err)
{
	PGresult *res;
	int rc = run(db, &st_replies, params, &res, err);

	if (rc)
		return rc;
	c->res[5] = res;
	c->nreplies = (size_t)PQntuples(res);
	c->replies = xcalloc(c->nreplies ? c->nreplies : 1, sizeof(*c->replies));
	for (int r = 0; r < (int)c->nreplies; r++) {
		struct heed_case_reply *p = &c->replies[r];
		int k = 0;

		p->id = num(res, r, k++);
		p->kind = val(res, r, k++);
		p->state = val(res, r, k++);
		p->agent = val(res, r, k++);
		p->created_at = val(res, r, k++);
		p->text = val(res, r, k++);
		p->url = val(res, r, k++);
		p->last_error = val(res, r, k++);
		p->tmpl = val(res, r, k++);
	}
	return HEED_OK;
}

int heed_queue_case(struct heed_db *db, int64_t id, unsigned what,
		    struct heed_case *c, struct heed_err *err)
{
	struct params p;
	const char *params[] = { p.id };
	int rc;

	memset(c, 0, sizeof(*c));
	fmt_id(&p, id);
	rc = fetch_header(db, params, c, err);
	if (!rc && (what & HEED_CASE_THREAD))
		rc = fetch_posts(db, params, c, err);
	if (!rc && (what & HEED_CASE_HISTORY))
		rc = fetch_history(db, params, c, err);
	if (!rc && (what & HEED_CASE_HINTS))
		rc = fetch_hints(db, params, c, err);
	if (!rc && (what & HEED_CASE_REPLIES))
		rc = fetch_replies(db, params, c, err);
	return rc;
}

void heed_case_release(struct heed_case *c)
{
	free(c->posts);
	free(c->past);
	free(c->others);
	free(c->hints);
	free(c->replies);
	for (size_t i = 0; i < sizeof(c->res) / sizeof(c->res[0]); i++)
		PQclear(c->res[i]);
	memset(c, 0, sizeof(*c));
}

int heed_queue_history(struct heed_db *db, int64_t id,
		       struct heed_case_events *out, struct heed_err *err)
{
	struct params p;
	const char *params[] = { p.id };
	PGresult *res;
	int rc;

	memset(out, 0, sizeof(*out));
	fmt_id(&p, id);
	rc = run(db, &st_history, params, &res, err);
	if (rc)
		return rc;
	out->res = res;
	out->n = (size_t)PQntuples(res);
	if (!out->n) {
		PGresult *ex;

		rc = run(db, &st_exists, params, &ex, err);
		if (rc)
			return rc;
		rc = PQntuples(ex) ? HEED_OK
			: heed_err_set(err, HEED_ENOTFOUND, "no case %s", p.id);
		PQclear(ex);
		if (rc)
			return rc;
	}
	out->ev = xcalloc(out->n ? out->n : 1, sizeof(*out->ev));
	for (int r = 0; r < (int)out->n; r++) {
		out->ev[r].id = num(res, r, 0);
		out->ev[r].at = val(res, r, 1);
		out->ev[r].actor = val(res, r, 2);
		out->ev[r].kind = val(res, r, 3);
		out->ev[r].detail = val(res, r, 4);
	}
	return HEED_OK;
}

void heed_case_events_release(struct heed_case_events *e)
{
	free(e->ev);
	PQclear(e->res);
	memset(e, 0, sizeof(*e));
}

int heed_queue_templates(struct heed_db *db, const char *name,
			 struct heed_template_list *out, struct heed_err *err)
{
	const char *params[] = { name };
	PGresult *res;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = run(db, &st_templates, params, &res, err);
	if (rc)
		return rc;
	out->res = res;
	out->n = (size_t)PQntuples(res);
	out->t = xcalloc(out->n ? out->n : 1, sizeof(*out->t));
	for (int r = 0; r < (int)out->n; r++) {
		struct heed_template *t = &out->t[r];

		t->name = val(res, r, 0);
		t->brand = val(res, r, 1);
		t->topics = val(res, r, 2);
		t->body = val(res, r, 3);
		t->created_by = val(res, r, 4);
		t->updated_by = val(res, r, 5);
		t->updated_at = val(res, r, 6);
	}
	return HEED_OK;
}

void heed_template_list_release(struct heed_template_list *l)
{
	free(l->t);
	PQclear(l->res);
	memset(l, 0, sizeof(*l));
}

int heed_queue_template_add(struct heed_db *db, const char *name,
			    const char *body, const char *topics,
			    const char *brand, struct heed_err *err)
{
	const char *params[] = { name, body, topics ? topics : "", brand };

	return run(db, &st_tmpl_add, params, NULL, err);
}

int heed_queue_template_edit(struct heed_db *db, const char *name,
			     const char *body, const char *topics,
			     const char *brand, struct heed_err *err)
{
	const char *params[] = { name, body, topics, brand };

	return run(db, &st_tmpl_edit, params, NULL, err);
}
