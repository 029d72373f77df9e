/* control.c: the /_fake/ endpoints through which tests script the fake
 * server (add posts, inject faults, set budgets and shapes, move the clock,
 * expire tokens) and read back what happened (request log, stats, replies).
 * These requests are neither rate limited nor logged. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "heed/xalloc.h"

#include "fake.h"

static void bad_request(struct fake_resp *rs, const char *msg)
{
	fake_resp_json(rs, 400, json_pack("{s:s}", "error", msg));
}

static void ok(struct fake_resp *rs)
{
	fake_resp_json(rs, 200, json_pack("{s:b}", "ok", 1));
}

static void get_log(struct fake_server *s, struct fake_req *rq,
		    struct fake_resp *rs)
{
	long from = fake_arg_long(rq, "from", 0, 0, 1L << 40);
	char line[1 << 16];
	FILE *f;
	long n = 0;

	if (!s->log_path) {
		fake_resp_text(rs, 200, "application/x-ndjson", "");
		return;
	}
	fflush(s->log);
	f = fopen(s->log_path, "r");
	if (!f) {
		fake_resp_json(rs, 500, json_pack("{s:s}", "error", "cannot read log"));
		return;
	}
	heed_buf_reset(&rs->body);
	/* Lines are capped well below 64 KiB (bodies are capped), so one
	 * fgets() is one line. */
	while (fgets(line, sizeof(line), f)) {
		if (n++ >= from)
			fake_buf_adds(&rs->body, line);
	}
	fclose(f);
	rs->status = 200;
	rs->ctype = "application/x-ndjson";
}

static void get_stats(struct fake_server *s, struct fake_resp *rs)
{
	json_t *platforms = json_deep_copy(s->stats);
	const char *pname;
	json_t *pv;

	/* add per-endpoint and per-platform request totals */
	json_object_foreach(platforms, pname, pv) {
		const char *ename;
		json_t *ev;
		json_int_t ptotal = 0;

		json_object_foreach(pv, ename, ev) {
			const char *st;
			json_t *n;
			json_int_t total = 0;

			json_object_foreach(ev, st, n)
				total += json_integer_value(n);
			json_object_set_new(ev, "requests", json_integer(total));
			ptotal += total;
		}
		json_object_set_new(pv, "requests", json_integer(ptotal));
	}
	fake_resp_json(rs, 200, json_pack("{s:o, s:I, s:I, s:I, s:I}",
					  "platforms", platforms,
					  "early", (json_int_t)s->early_count,
					  "create_session", (json_int_t)s->create_sessions,
					  "replies", (json_int_t)json_array_size(s->replies),
					  "requests", (json_int_t)s->nlog));
}

static void get_posts(struct fake_server *s, struct fake_req *rq,
		      struct fake_resp *rs)
{
	const char *pf = fake_arg(rq, "platform");
	double tl = fake_timeline_now(s, rq->now);
	json_t *out = json_array();

	for (int p = 0; p < FAKE_NPLATFORMS; p++) {
		struct fake_list *l = &s->store.lists[p];

		if (pf && fake_platform_parse(pf) != p)
			continue;
		for (size_t i = 0; i < l->n; i++) {
			struct fake_post *post = l->v[i];
			char *dk = fake_post_dedupe_key(&s->store, post);
			char created[40];

			fake_iso_ms(created, sizeof(created), post->created_ms);
			json_array_append_new(out, json_pack(
				"{s:s, s:s, s:s, s:s, s:f, s:s, s:b, s:b, s:s?}",
				"platform", fake_platforms[p]->name, "id", post->key,
				"native", post->native, "dedupe", dk, "at", post->at,
				"created_at", created, "visible", fake_post_visible(post, tl),
				"brand", post->brand, "edit_of", post->edit_of));
			free(dk);
		}
	}
	fake_resp_json(rs, 200, out);
}

static void post_posts(struct fake_server *s, struct fake_req *rq,
		       struct fake_resp *rs)
{
	struct heed_err err;
	size_t before = 0, after = 0;

	for (int p = 0; p < FAKE_NPLATFORMS; p++)
		before += s->store.lists[p].n;
	heed_err_clear(&err);
	if (fake_store_add_jsonl(&s->store, rq->body ? rq->body : "", rq->body_len,
				 fake_timeline_now(s, rq->now), &err)) {
		bad_request(rs, heed_err_msg(&err));
		return;
	}
	for (int p = 0; p < FAKE_NPLATFORMS; p++)
		after += s->store.lists[p].n;
	fake_resp_json(rs, 200, json_pack("{s:I}", "added", (json_int_t)(after - before)));
}

static void post_faults(struct fake_server *s, struct fake_req *rq,
			struct fake_resp *rs)
{
	json_t *rules = rq->json, *ids;
	struct fake_fault **parsed;
	size_t n;
	struct heed_err err;

	if (json_is_object(rules) && json_object_get(rules, "faults"))
		rules = json_object_get(rules, "faults");
	if (!json_is_array(rules) && !json_is_object(rules)) {
		bad_request(rs, "body must be a JSON fault rule or list of rules");
		return;
	}
	n = json_is_array(rules) ? json_array_size(rules) : 1;
	parsed = xcalloc(n, sizeof(*parsed));
	for (size_t i = 0; i < n; i++) {
		json_t *r = json_is_array(rules) ? json_array_get(rules, i) : rules;

		parsed[i] = fake_fault_parse(r, &err);
		if (!parsed[i]) {
			for (size_t j = 0; j < i; j++)
				fake_fault_free(parsed[j]);
			free(parsed);
			bad_request(rs, heed_err_msg(&err));
			return;
		}
	}
	ids = json_array();
	s->faults = xreallocarray(s->faults, s->nfaults + n, sizeof(*s->faults));
	for (size_t i = 0; i < n; i++) {
		parsed[i]->id = s->next_fault_id++;
		s->faults[s->nfaults++] = parsed[i];
		json_array_append_new(ids, json_integer(parsed[i]->id));
	}
	free(parsed);
	fake_resp_json(rs, 200, json_pack("{s:o}", "ids", ids));
}

static void get_faults(struct fake_server *s, struct fake_resp *rs)
{
	json_t *out = json_array();

	for (size_t i = 0; i < s->nfaults; i++)
		json_array_append_new(out, fake_fault_json(s->faults[i]));
	fake_resp_json(rs, 200, out);
}

static void clear_faults(struct fake_server *s, struct fake_resp *rs)
{
	for (size_t i = 0; i < s->nfaults; i++)
		fake_fault_free(s->faults[i]);
	s->nfaults = 0;
	ok(rs);
}

static long jlong(json_t *o, const char *k, long def)
{
	json_t *v = json_object_get(o, k);

	if (json_is_integer(v))
		return (long)json_integer_value(v);
	if (json_is_real(v))
		return (long)json_real_value(v);
	return def;
}

static void post_ratelimit(struct fake_server *s, struct fake_req *rq,
			   struct fake_resp *rs)
{
	json_t *o = rq->json;
	const char *pf = json_string_value(json_object_get(o, "platform"));
	const char *sh = json_string_value(json_object_get(o, "shape"));
	long budget = jlong(o, "budget", -1), window = jlong(o, "window", -1);
	bool reset = json_is_true(json_object_get(o, "reset"));
	int shape = -1, platform = FAKE_NOPLATFORM, bucket = FAKE_B_NONE;

	if (!json_is_object(o)) {
		bad_request(rs, "body must be a JSON object");
		return;
	}
	if (sh && (shape = fake_shape_parse(sh)) < 0) {
		bad_request(rs, "unknown shape");
		return;
	}
	if (pf && strcmp(pf, "all")) {
		bucket = fake_bucket_parse(pf);
		platform = fake_platform_parse(pf);
		if (bucket == FAKE_B_NONE && platform == FAKE_NOPLATFORM) {
			bad_request(rs, "unknown platform");
			return;
		}
	}
	if (bucket != FAKE_B_NONE)
		fake_rate_set_bucket(s, bucket, budget, window, shape, reset);
	else
		fake_rate_set(s, platform, budget, window, shape, reset);
	fake_resp_json(rs, 200, fake_rate_json(s, rq->now));
}

static void clock_json(struct fake_server *s, struct fake_req *rq,
		       struct fake_resp *rs)
{
	fake_resp_json(rs, 200, json_pack("{s:f, s:f, s:f, s:f, s:I}",
					  "now", rq->now,
					  "timeline_now", fake_timeline_now(s, rq->now),
					  "scale", s->time_scale, "offset", s->time_offset,
					  "epoch_ms", (json_int_t)s->store.epoch_ms));
}

/* Changing the scale keeps the timeline clock continuous. */
static void post_clock(struct fake_server *s, struct fake_req *rq,
		       struct fake_resp *rs)
{
	json_t *o = rq->json, *v;

	if (!json_is_object(o)) {
		bad_request(rs, "body must be a JSON object");
		return;
	}
	v = json_object_get(o, "scale");
	if (json_is_number(v)) {
		double tl = fake_timeline_now(s, rq->now);

		if (json_number_value(v) < 0) {
			bad_request(rs, "scale must be >= 0");
			return;
		}
		s->time_scale = json_number_value(v);
		s->time_offset = tl - (rq->now - s->start) * s->time_scale;
	}
	v = json_object_get(o, "offset");
	if (json_is_number(v))
		s->time_offset = json_number_value(v);
	v = json_object_get(o, "advance");
	if (json_is_number(v))
		s->time_offset += json_number_value(v);
	clock_json(s, rq, rs);
}

static json_t *config_json(const struct fake_server *s)
{
	return json_pack("{s:s, s:f, s:f, s:i, s:f, s:b, s:f, s:I}",
			 "brand", s->cfg.brand,
			 "bluesky_access_ttl", s->cfg.bsky_access_ttl,
			 "bluesky_refresh_ttl", s->cfg.bsky_refresh_ttl,
			 "bluesky_expired_status", (int)s->cfg.bsky_expired_status,
			 "reddit_token_ttl", s->cfg.reddit_token_ttl,
			 "mastodon_idempotency_bug", s->cfg.mastodon_idem_bug,
			 "x_search_lag", s->cfg.x_search_lag,
			 "log_body_cap", (json_int_t)s->cfg.log_body_cap);
}

static void post_config(struct fake_server *s, struct fake_req *rq,
			struct fake_resp *rs)
{
	json_t *o = rq->json, *v;
	const char *k;

	if (!json_is_object(o)) {
		bad_request(rs, "body must be a JSON object");
		return;
	}
	/* validate everything first so that a bad key changes nothing */
	json_object_foreach(o, k, v) {
		bool num = json_is_number(v) && json_number_value(v) >= 0;

		if (!strcmp(k, "mastodon_idempotency_bug") ? !json_is_boolean(v) :
		    !strcmp(k, "bluesky_expired_status") ?
		    !(json_is_integer(v) && (json_integer_value(v) == 400 ||
					     json_integer_value(v) == 401)) :
		    (!strcmp(k, "bluesky_access_ttl") || !strcmp(k, "reddit_token_ttl") ||
		     !strcmp(k, "bluesky_refresh_ttl") || !strcmp(k, "x_search_lag") ||
		     !strcmp(k, "log_body_cap")) ? !num : true) {
			char *msg = xasprintf("bad or unknown config key '%s'", k);

			bad_request(rs, msg);
			free(msg);
			return;
		}
	}
	json_object_foreach(o, k, v) {
		if (!strcmp(k, "mastodon_idempotency_bug"))
			s->cfg.mastodon_idem_bug = json_is_true(v);
		else if (!strcmp(k, "bluesky_expired_status"))
			s->cfg.bsky_expired_status = (unsigned)json_integer_value(v);
		else if (!strcmp(k, "bluesky_access_ttl"))
			s->cfg.bsky_access_ttl = json_number_value(v);
		else if (!strcmp(k, "bluesky_refresh_ttl"))
			s->cfg.bsky_refresh_ttl = json_number_value(v);
		else if (!strcmp(k, "reddit_token_ttl"))
			s->cfg.reddit_token_ttl = json_number_value(v);
		else if (!strcmp(k, "x_search_lag"))
			s->cfg.x_search_lag = json_number_value(v);
		else if (!strcmp(k, "log_body_cap"))
			s->cfg.log_body_cap = (size_t)json_number_value(v);
	}
	fake_resp_json(rs, 200, config_json(s));
}

/* Expire every token issued so far (optionally of one platform): the next
 * call with one gets the platform's expired-token answer. */
static void post_expire(struct fake_server *s, struct fake_req *rq,
			struct fake_resp *rs)
{
	const char *pf = json_string_value(json_object_get(rq->json, "platform"));
	bool refresh = json_is_true(json_object_get(rq->json, "refresh"));
	int platform = pf && strcmp(pf, "all") ? fake_platform_parse(pf)
					       : FAKE_NOPLATFORM;
	json_int_t n = 0;

	for (size_t i = 0; i < s->ntokens; i++) {
		struct fake_token *t = s->all_tokens[i];

		if (platform != FAKE_NOPLATFORM && t->platform != platform)
			continue;
		if (t->refresh && !refresh)
			continue;
		if (t->expires > rq->now - 1) {
			t->expires = rq->now - 1;
			n++;
		}
	}
	fake_resp_json(rs, 200, json_pack("{s:I}", "expired", n));
}

static void get_replies(struct fake_server *s, struct fake_req *rq,
			struct fake_resp *rs)
{
	const char *pf = fake_arg(rq, "platform");
	json_t *out = json_array(), *r;
	size_t i;

	json_array_foreach(s->replies, i, r) {
		if (pf && strcmp(pf, json_string_value(json_object_get(r, "platform"))))
			continue;
		json_array_append(out, r);
	}
	fake_resp_json(rs, 200, out);
}

void fake_control(struct fake_server *s, struct fake_req *rq,
		  struct fake_resp *rs)
{
	const char *p = rq->path + strlen("/_fake/");
	bool get = !strcmp(rq->method, "GET");
	bool post = !strcmp(rq->method, "POST");

	rs->rate_headers = false;
	if (get && !strcmp(p, "health"))
		ok(rs);
	else if (get && !strcmp(p, "log"))
		get_log(s, rq, rs);
	else if (get && !strcmp(p, "stats"))
		get_stats(s, rs);
	else if (get && !strcmp(p, "replies"))
		get_replies(s, rq, rs);
	else if (get && !strcmp(p, "posts"))
		get_posts(s, rq, rs);
	else if (post && !strcmp(p, "posts"))
		post_posts(s, rq, rs);
	else if (post && !strcmp(p, "faults"))
		post_faults(s, rq, rs);
	else if (get && !strcmp(p, "faults"))
		get_faults(s, rs);
	else if ((!strcmp(rq->method, "DELETE") && !strcmp(p, "faults")) ||
		 (post && !strcmp(p, "faults/clear")))
		clear_faults(s, rs);
	else if (post && !strcmp(p, "ratelimit"))
		post_ratelimit(s, rq, rs);
	else if (get && !strcmp(p, "ratelimit"))
		fake_resp_json(rs, 200, fake_rate_json(s, rq->now));
	else if (post && !strcmp(p, "clock"))
		post_clock(s, rq, rs);
	else if (get && !strcmp(p, "clock"))
		clock_json(s, rq, rs);
	else if (post && !strcmp(p, "config"))
		post_config(s, rq, rs);
	else if (get && !strcmp(p, "config"))
		fake_resp_json(rs, 200, config_json(s));
	else if (post && !strcmp(p, "expire"))
		post_expire(s, rq, rs);
	else
		fake_resp_json(rs, 404, json_pack("{s:s}", "error",
						  "unknown control endpoint"));
}
