/* core.c: the fake server's request path. Every platform request goes
 * through fake_serve(): route lookup, the platform's rate-limit bucket (fixed
 * windows aligned to the epoch, headers in the platform's shape), fault
 * injection, the platform handler, and one JSONL line in the request log. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "heed/xalloc.h"

#include "fake.h"

const struct fake_platform_ops *const fake_platforms[FAKE_NPLATFORMS] = {
	&fake_mastodon_ops, &fake_bluesky_ops, &fake_reddit_ops, &fake_x_ops,
	&fake_hn_ops,
};

static const char *const shape_names[] = {
	"default", "none", "iso", "epoch", "delta", "float", "comma-pair",
};

/* Owner platform of each bucket (header names and bodies follow it). */
static const int bucket_platform[FAKE_NBUCKETS] = {
	FAKE_MASTODON, FAKE_BLUESKY, FAKE_REDDIT, FAKE_X, FAKE_HN, FAKE_BLUESKY,
	FAKE_BLUESKY,
};

int fake_shape_parse(const char *s)
{
	if (!strcmp(s, "comma"))
		return FAKE_SHAPE_COMMA;
	for (size_t i = 0; i < sizeof(shape_names) / sizeof(*shape_names); i++)
		if (!strcmp(s, shape_names[i]))
			return (int)i;
	return -1;
}

const char *fake_shape_name(int shape)
{
	if (shape < 0 || (size_t)shape >= sizeof(shape_names) / sizeof(*shape_names))
		return "?";
	return shape_names[shape];
}

int fake_platform_parse(const char *s)
{
	for (int i = 0; i < FAKE_NPLATFORMS; i++)
		if (!strcmp(s, fake_platforms[i]->name))
			return i;
	if (!strcmp(s, "twitter"))
		return FAKE_X;
	return FAKE_NOPLATFORM;
}

static void rate_init(struct fake_rate *r, unsigned budget, unsigned window)
{
	memset(r, 0, sizeof(*r));
	r->budget = budget;
	r->window = window;
	r->shape = FAKE_SHAPE_DEFAULT;
}

void fake_server_init(struct fake_server *s, double now)
{
	memset(s, 0, sizeof(*s));
	pthread_mutex_init(&s->lock, NULL);
	fake_store_init(&s->store, (int64_t)llround(now * 1000));
	/* Real budgets (reference section 0); tests lower or lift them. */
	rate_init(&s->rate[FAKE_B_MASTODON], 300, 300);
	rate_init(&s->rate[FAKE_B_BLUESKY], 3000, 300);
	rate_init(&s->rate[FAKE_B_REDDIT], 600, 600);
	rate_init(&s->rate[FAKE_B_X], 450, 900);
	rate_init(&s->rate[FAKE_B_HN], 0, 3600);
	rate_init(&s->rate[FAKE_B_BSKY_SESSION], 30, 300);
	rate_init(&s->rate[FAKE_B_BSKY_SESSION_DAY], 300, 86400);
	snprintf(s->cfg.brand, sizeof(s->cfg.brand), "%s", "acme");
	s->cfg.bsky_access_ttl = 7200;
	s->cfg.bsky_refresh_ttl = 60 * 86400;
	s->cfg.bsky_expired_status = 400;
	s->cfg.reddit_token_ttl = 3600;
	s->cfg.log_body_cap = 1024;
	s->start = now;
	s->time_scale = 1;
	s->rng = 0x9e3779b97f4a7c15ULL;
	s->stats = json_object();
	s->replies = json_array();
	s->next_fault_id = 1;
	fake_map_init(&s->tokens);
	fake_map_init(&s->idem);
}

int fake_server_open_log(struct fake_server *s, const char *path,
			 struct heed_err *err)
{
	s->log = fopen(path, "w");
	if (!s->log)
		return heed_err_set(err, HEED_EIO, "cannot open log '%s'", path);
	s->log_path = xstrdup(path);
	return HEED_OK;
}

void fake_server_release(struct fake_server *s)
{
	for (size_t i = 0; i < s->nfaults; i++)
		fake_fault_free(s->faults[i]);
	free(s->faults);
	for (size_t i = 0; i < s->ntokens; i++) {
		free(s->all_tokens[i]->token);
		free(s->all_tokens[i]);
	}
	free(s->all_tokens);
	fake_map_release(&s->tokens);
	fake_map_release(&s->idem);
	fake_store_release(&s->store);
	json_decref(s->stats);
	json_decref(s->replies);
	if (s->log)
		fclose(s->log);
	free(s->log_path);
	pthread_mutex_destroy(&s->lock);
}

double fake_timeline_now(const struct fake_server *s, double now)
{
	return (now - s->start) * s->time_scale + s->time_offset;
}

int64_t fake_now_ms(const struct fake_server *s, double now)
{
	return s->store.epoch_ms + llround(fake_timeline_now(s, now) * 1000);
}

double fake_random(struct fake_server *s)
{
	uint64_t x = s->rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	s->rng = x;
	return (double)((x * 0x2545f4914f6cdd1dULL) >> 11) / 9007199254740992.0;
}

/* ---- requests and responses ---- */

void fake_resp_init(struct fake_resp *rs)
{
	memset(rs, 0, sizeof(*rs));
	heed_buf_init(&rs->body, 0);
	rs->status = 200;
	rs->ctype = "application/json; charset=utf-8";
	rs->rate_headers = true;
}

void fake_resp_release(struct fake_resp *rs)
{
	json_decref(rs->json);
	rs->json = NULL;
	heed_buf_release(&rs->body);
	for (size_t i = 0; i < rs->nhdrs; i++) {
		free(rs->hdr_names[i]);
		free(rs->hdr_vals[i]);
	}
	rs->nhdrs = 0;
}

void fake_resp_header(struct fake_resp *rs, const char *name,
		      const char *fmt, ...)
{
	struct heed_buf b;
	va_list ap;
	int rc;

	if (rs->nhdrs == FAKE_MAX_HDRS)
		abort();	/* BUG: raise FAKE_MAX_HDRS */
	heed_buf_init(&b, 0);
	va_start(ap, fmt);
	rc = heed_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	if (rc)
		abort();
	rs->hdr_names[rs->nhdrs] = xstrdup(name);
	rs->hdr_vals[rs->nhdrs] = heed_buf_detach(&b, NULL);
	rs->nhdrs++;
}

void fake_resp_json(struct fake_resp *rs, unsigned status, json_t *body)
{
	heed_buf_reset(&rs->body);
	json_decref(rs->json);
	rs->json = body;
	rs->status = status;
	rs->ctype = "application/json; charset=utf-8";
}

void fake_resp_flush(struct fake_resp *rs)
{
	char *s;

	if (!rs->json)
		return;
	s = json_dumps(rs->json, JSON_COMPACT);
	heed_buf_reset(&rs->body);
	fake_buf_adds(&rs->body, s ? s : "null");
	free(s);
	json_decref(rs->json);
	rs->json = NULL;
}

void fake_resp_text(struct fake_resp *rs, unsigned status, const char *ctype,
		    const char *text)
{
	json_decref(rs->json);
	rs->json = NULL;
	heed_buf_reset(&rs->body);
	fake_buf_adds(&rs->body, text);
	rs->status = status;
	rs->ctype = ctype;
}

void fake_resp_items(struct fake_resp *rs, unsigned status, const char *head,
		     const char *const *items, size_t n, const char *tail)
{
	json_decref(rs->json);
	rs->json = NULL;
	heed_buf_reset(&rs->body);
	fake_buf_adds(&rs->body, head);
	fake_buf_adds(&rs->body, "[");
	for (size_t i = 0; i < n; i++) {
		if (i)
			fake_buf_adds(&rs->body, ",");
		fake_buf_adds(&rs->body, items[i]);
	}
	fake_buf_adds(&rs->body, "]");
	fake_buf_adds(&rs->body, tail);
	rs->status = status;
	rs->ctype = "application/json; charset=utf-8";
}

const char *fake_post_cached(const struct fake_server *s,
			     const struct fake_post *p, uint64_t tag)
{
	if (!p->json || p->json_gen != s->store.gen || p->json_tag != tag)
		return NULL;
	return p->json;
}

const char *fake_post_cache(struct fake_server *s, struct fake_post *p,
			    uint64_t tag, json_t *o)
{
	char *text = json_dumps(o, JSON_COMPACT);

	json_decref(o);
	free(p->json);
	p->json = xstrdup(text ? text : "null");
	free(text);
	p->json_gen = s->store.gen;
	p->json_tag = tag;
	return p->json;
}

const char *fake_arg(const struct fake_req *rq, const char *name)
{
	for (size_t i = 0; i < rq->nargs; i++)
		if (!strcmp(rq->args[i].key, name))
			return rq->args[i].val ? rq->args[i].val : "";
	return NULL;
}

const char *fake_field(const struct fake_req *rq, const char *name)
{
	json_t *v;

	for (size_t i = 0; i < rq->nform; i++)
		if (!strcmp(rq->form[i].key, name))
			return rq->form[i].val ? rq->form[i].val : "";
	v = json_object_get(rq->json, name);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

long fake_arg_long(const struct fake_req *rq, const char *name, long def,
		   long lo, long hi)
{
	const char *s = fake_arg(rq, name);
	char *end;
	long v;

	if (!s || !*s)
		return def;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end)
		return -1;
	if (v < lo)
		v = lo;
	if (v > hi)
		v = hi;
	return v;
}

const char *fake_bearer(const struct fake_req *rq)
{
	if (!rq->auth || strncasecmp(rq->auth, "bearer ", 7))
		return NULL;
	return rq->auth[7] ? rq->auth + 7 : NULL;
}

/* ---- tokens and replies ---- */

struct fake_token *fake_token_new(struct fake_server *s, int platform,
				  bool refresh, double ttl, double now)
{
	struct fake_token *t = xcalloc(1, sizeof(*t));
	unsigned long long n = (unsigned long long)s->ntokens + 1;
	uint64_t h = fake_hash((const char *)&now, sizeof(now)) ^ n * 0x9e3779b9ULL;

	if (platform == FAKE_BLUESKY) {
		struct fake_author *me = fake_store_brand(&s->store, FAKE_BLUESKY,
							  s->cfg.brand);
		static const char hdr[] = "{\"typ\":\"at+jwt\",\"alg\":\"ES256K\"}";
		char *payload = xasprintf("{\"scope\":\"com.atproto.%s\",\"sub\":\"%s\","
					  "\"iat\":%lld,\"exp\":%lld,\"jti\":\"%llu\"}",
					  refresh ? "refresh" : "access", me->id,
					  (long long)now, (long long)(now + ttl), n);
		char *h64 = fake_base64url(hdr, strlen(hdr));
		char *p64 = fake_base64url(payload, strlen(payload));
		char *s64 = fake_base64url(&h, sizeof(h));

		t->token = xasprintf("%s.%s.%s%s", h64, p64, s64, s64);
		free(h64);
		free(p64);
		free(s64);
		free(payload);
	} else {
		t->token = xasprintf("%llu-fake%016llx", n, (unsigned long long)h);
	}
	t->platform = platform;
	t->refresh = refresh;
	t->expires = now + ttl;
	fake_map_put(&s->tokens, t->token, t);
	s->all_tokens = xreallocarray(s->all_tokens, s->ntokens + 1,
				      sizeof(*s->all_tokens));
	s->all_tokens[s->ntokens++] = t;
	return t;
}

struct fake_token *fake_token_find(struct fake_server *s, const char *tok)
{
	return tok ? fake_map_get(&s->tokens, tok) : NULL;
}

void fake_record_reply(struct fake_server *s, const struct fake_post *reply,
		       const char *parent, const char *parent_key,
		       const char *key)
{
	json_array_append_new(s->replies,
			      json_pack("{s:s, s:s?, s:s?, s:s, s:s, s:s?, s:I}",
					"platform", fake_platforms[reply->platform]->name,
					"parent", parent, "parent_key", parent_key,
					"reply_id", reply->native, "text", reply->text,
					"key", key, "t", (json_int_t)reply->created_ms));
}

/* ---- rate limits ---- */

static void rate_roll(struct fake_rate *r, double now);
static long long rate_left(const struct fake_rate *r);
static double rate_reset(const struct fake_rate *r);
static int effective_shape(const struct fake_rate *r, int platform);

void fake_rate_set_bucket(struct fake_server *s, int b, long budget,
			  long window, int shape, bool reset)
{
	struct fake_rate *r = &s->rate[b];

	if (shape >= 0)
		r->shape = shape;
	if (budget >= 0)
		r->budget = (unsigned)budget;
	if (window > 0)
		r->window = (unsigned)window;
	if (reset) {
		r->used = 0;
		r->blackout_until = 0;
	}
}

void fake_rate_set(struct fake_server *s, int platform, long budget,
		   long window, int shape, bool reset)
{
	for (int b = 0; b < FAKE_NBUCKETS; b++) {
		if (platform != FAKE_NOPLATFORM && bucket_platform[b] != platform)
			continue;
		if (b == FAKE_B_BSKY_SESSION || b == FAKE_B_BSKY_SESSION_DAY)
			fake_rate_set_bucket(s, b, -1, -1, shape, reset);
		else
			fake_rate_set_bucket(s, b, budget, window, shape, reset);
	}
}

json_t *fake_rate_json(struct fake_server *s, double now)
{
	static const char *const names[FAKE_NBUCKETS] = {
		"mastodon", "bluesky", "reddit", "x", "hn", "bluesky-session",
		"bluesky-session-day",
	};
	json_t *o = json_object();

	for (int b = 0; b < FAKE_NBUCKETS; b++) {
		struct fake_rate *r = &s->rate[b];

		rate_roll(r, now);
		json_object_set_new(o, names[b], json_pack(
			"{s:I, s:I, s:s, s:I, s:I, s:f, s:f}",
			"budget", (json_int_t)r->budget, "window", (json_int_t)r->window,
			"shape", fake_shape_name(effective_shape(r, bucket_platform[b])),
			"used", (json_int_t)r->used,
			"remaining", (json_int_t)(r->budget ? rate_left(r) : -1),
			"reset", rate_reset(r), "blackout_until", r->blackout_until));
	}
	return o;
}

int fake_bucket_parse(const char *s)
{
	if (!strcmp(s, "bluesky-session"))
		return FAKE_B_BSKY_SESSION;
	if (!strcmp(s, "bluesky-session-day"))
		return FAKE_B_BSKY_SESSION_DAY;
	return FAKE_B_NONE;
}

static void rate_roll(struct fake_rate *r, double now)
{
	int64_t ws = (int64_t)floor(now / r->window) * (int64_t)r->window;

	if (ws != r->window_start) {
		r->window_start = ws;
		r->used = 0;
	}
}

static long long rate_limit(const struct fake_rate *r)
{
	return r->budget ? (long long)r->budget : 1000000;
}

static long long rate_left(const struct fake_rate *r)
{
	long long left = rate_limit(r) - (long long)r->used;

	return left < 0 ? 0 : left;
}

static double rate_reset(const struct fake_rate *r)
{
	return (double)(r->window_start + (int64_t)r->window);
}

/* The bucket that reports for a request: for createSession the tighter of
 * its two limiters. */
static int report_bucket(const struct fake_server *s, int b)
{
	if (b == FAKE_B_BSKY_SESSION) {
		const struct fake_rate *m = &s->rate[FAKE_B_BSKY_SESSION];
		const struct fake_rate *d = &s->rate[FAKE_B_BSKY_SESSION_DAY];

		if (rate_left(d) < rate_left(m))
			return FAKE_B_BSKY_SESSION_DAY;
	}
	return b;
}

static int effective_shape(const struct fake_rate *r, int platform)
{
	static const int defaults[FAKE_NPLATFORMS] = {
		FAKE_SHAPE_ISO, FAKE_SHAPE_EPOCH, FAKE_SHAPE_FLOAT, FAKE_SHAPE_EPOCH,
		FAKE_SHAPE_NONE,
	};

	return r->shape == FAKE_SHAPE_DEFAULT ? defaults[platform] : r->shape;
}

/* Write limit/remaining/reset the way platform and shape say. */
static void emit_rate(struct fake_resp *rs, int platform, int shape,
		      long long limit, long long left, long long used,
		      double reset, unsigned window, double now)
{
	const char *nl, *nr, *nx, *nu = NULL;
	long long delta = (long long)ceil(reset - now);
	char v[64];

	if (shape == FAKE_SHAPE_NONE)
		return;
	if (delta < 0)
		delta = 0;
	switch (platform) {
	case FAKE_BLUESKY:
		nl = "RateLimit-Limit"; nr = "RateLimit-Remaining";
		nx = "RateLimit-Reset";
		break;
	case FAKE_REDDIT:
		nl = NULL; nr = "X-Ratelimit-Remaining"; nx = "X-Ratelimit-Reset";
		nu = "X-Ratelimit-Used";
		break;
	case FAKE_X:
		nl = "x-rate-limit-limit"; nr = "x-rate-limit-remaining";
		nx = "x-rate-limit-reset";
		break;
	default:
		nl = "X-RateLimit-Limit"; nr = "X-RateLimit-Remaining";
		nx = "X-RateLimit-Reset";
		break;
	}
	switch (shape) {
	case FAKE_SHAPE_ISO:
		fake_iso_us(v, sizeof(v), reset);
		break;
	case FAKE_SHAPE_EPOCH:
		snprintf(v, sizeof(v), "%lld", (long long)ceil(reset));
		break;
	case FAKE_SHAPE_COMMA:
		snprintf(v, sizeof(v), "%lld, %lld", delta / 2, delta);
		break;
	default:
		snprintf(v, sizeof(v), "%lld", delta);
		break;
	}
	if (shape == FAKE_SHAPE_COMMA) {
		if (nl)
			fake_resp_header(rs, nl, "%lld, %lld", limit * 2, limit);
		fake_resp_header(rs, nr, "%lld, %lld", left + limit, left);
		if (nu)
			fake_resp_header(rs, nu, "%lld, %lld", used, used);
	} else if (shape == FAKE_SHAPE_FLOAT) {
		if (nl)
			fake_resp_header(rs, nl, "%lld.0", limit);
		fake_resp_header(rs, nr, "%lld.0", left);
		if (nu)
			fake_resp_header(rs, nu, "%lld", used);
	} else {
		if (nl)
			fake_resp_header(rs, nl, "%lld", limit);
		fake_resp_header(rs, nr, "%lld", left);
		if (nu)
			fake_resp_header(rs, nu, "%lld", used);
	}
	fake_resp_header(rs, nx, "%s", v);
	if (platform == FAKE_BLUESKY)
		fake_resp_header(rs, "RateLimit-Policy", "%lld;w=%u", limit, window);
}

static void announce_zero(struct fake_rate *r, double until, double now)
{
	if (until > r->blackout_until) {
		r->blackout_until = until;
		r->blackout_since = now;
	}
}

/* A 429 with Remaining 0, Retry-After and the platform's body. */
static void answer_429(struct fake_server *s, struct fake_req *rq, int b,
		       int platform, int shape, double reset,
		       struct fake_resp *rs)
{
	struct fake_rate *r = &s->rate[b];

	if (shape == FAKE_SHAPE_DEFAULT)
		shape = effective_shape(r, platform);
	long long retry = (long long)ceil(reset - rq->now);

	if (retry < 1)
		retry = 1;
	fake_platforms[platform]->error_body(s, rq, 429, rs);
	emit_rate(rs, bucket_platform[b], shape, rate_limit(r), 0, r->used,
		  reset, r->window, rq->now);
	fake_resp_header(rs, "Retry-After", "%lld", retry);
	rs->rate_headers = false;
	announce_zero(r, reset, rq->now);
}

void fake_rate_answer_429(struct fake_server *s, struct fake_req *rq,
			  int bucket, int platform, int shape, double reset,
			  struct fake_resp *rs)
{
	if (bucket < 0)
		bucket = fake_platforms[platform]->bucket;
	answer_429(s, rq, bucket, platform, shape, reset, rs);
}

/* ---- routing ---- */

static bool match_route(const char *pattern, const char *path,
			char **caps, size_t *ncaps)
{
	size_t n = 0;

	while (*pattern && *path) {
		if (*pattern == ':') {
			const char *pend = strchr(pattern, '/');
			const char *send = strchr(path, '/');
			size_t len = send ? (size_t)(send - path) : strlen(path);

			if (!len || n == 4)
				goto out_nomatch;
			caps[n++] = xstrndup(path, len);
			pattern = pend ? pend : pattern + strlen(pattern);
			path += len;
			continue;
		}
		if (*pattern != *path)
			goto out_nomatch;
		pattern++;
		path++;
	}
	if (*pattern || *path)
		goto out_nomatch;
	*ncaps = n;
	return true;

out_nomatch:
	for (size_t i = 0; i < n; i++)
		free(caps[i]);
	return false;
}

static const struct fake_route *find_route(const char *method, const char *path,
					   int *platform, char **caps,
					   size_t *ncaps)
{
	for (int p = 0; p < FAKE_NPLATFORMS; p++) {
		for (const struct fake_route *r = fake_platforms[p]->routes; r->pattern; r++) {
			if (strcmp(r->method, method))
				continue;
			if (match_route(r->pattern, path, caps, ncaps)) {
				*platform = p;
				return r;
			}
		}
	}
	return NULL;
}

/* ---- the log ---- */

static char *query_string(const struct fake_req *rq)
{
	struct heed_buf b;

	heed_buf_init(&b, 0);
	for (size_t i = 0; i < rq->nargs; i++) {
		char *v = fake_url_encode(rq->args[i].val ? rq->args[i].val : "");

		fake_buf_addf(&b, "%s%s=%s", i ? "&" : "", rq->args[i].key, v);
		free(v);
	}
	return heed_buf_detach(&b, NULL);
}

static void count_stat(struct fake_server *s, const char *platform,
		       const char *endpoint, unsigned status)
{
	json_t *p = json_object_get(s->stats, platform);
	json_t *e;
	char st[16];

	if (!p) {
		p = json_object();
		json_object_set_new(s->stats, platform, p);
	}
	e = json_object_get(p, endpoint);
	if (!e) {
		e = json_object();
		json_object_set_new(p, endpoint, e);
	}
	snprintf(st, sizeof(st), "%u", status);
	json_object_set_new(e, st, json_integer(json_integer_value(
						   json_object_get(e, st)) + 1));
}

static void log_request(struct fake_server *s, const struct fake_req *rq,
			const struct fake_resp *rs, int platform,
			const char *endpoint, const struct fake_rate_view *rv,
			const struct fake_fault *f)
{
	char *q = query_string(rq);
	json_t *line = json_pack("{s:I, s:s, s:s, s:s, s:i, s:s?, s:s?}",
				 "t", (json_int_t)llround(rq->now * 1000),
				 "method", rq->method, "path", rq->path, "query", q,
				 "status", rs->drop ? 0 : (int)rs->status,
				 "platform", platform >= 0 ? fake_platforms[platform]->name
							   : NULL,
				 "endpoint", endpoint);
	char *text;

	free(q);
	if (rv && rv->remaining >= 0) {
		json_object_set_new(line, "remaining", json_integer(rv->remaining));
		json_object_set_new(line, "reset",
				    json_integer((json_int_t)llround(rv->reset * 1000)));
	} else {
		json_object_set_new(line, "remaining", json_null());
		json_object_set_new(line, "reset", json_null());
	}
	json_object_set_new(line, "early", json_boolean(rv && rv->early));
	if (rv && rv->early)
		json_object_set_new(line, "announced_ago_ms",
				    json_integer((json_int_t)llround(rv->announced_ago * 1000)));
	if (rq->idem_key)
		json_object_set_new(line, "idempotency_key",
				    json_string(rq->idem_key));
	if (rs->drop)
		json_object_set_new(line, "dropped", json_true());
	if (f) {
		json_object_set_new(line, "fault", json_string(fake_fault_name(f->kind)));
		json_object_set_new(line, "fault_id", json_integer(f->id));
	}
	if (!strcmp(rq->method, "POST") || !strcmp(rq->method, "PUT")) {
		size_t n = rq->body_len < s->cfg.log_body_cap ? rq->body_len
							       : s->cfg.log_body_cap;
		char *b = fake_utf8_sanitize(rq->body ? rq->body : "", n);

		json_object_set_new(line, "body", json_string(b));
		free(b);
	}
	text = json_dumps(line, JSON_COMPACT);
	if (s->log && text) {
		fputs(text, s->log);
		fputc('\n', s->log);
		fflush(s->log);
	}
	s->nlog++;
	free(text);
	json_decref(line);
}

/* ---- the request path ---- */

static void rate_arrive(struct fake_server *s, int b, double now,
			struct fake_rate_view *rv)
{
	struct fake_rate *r;
	int rb;

	rv->bucket = b;
	rv->remaining = -1;
	rv->early = false;
	if (b < 0)
		return;
	rate_roll(&s->rate[b], now);
	if (b == FAKE_B_BSKY_SESSION)
		rate_roll(&s->rate[FAKE_B_BSKY_SESSION_DAY], now);
	rb = report_bucket(s, b);
	r = &s->rate[rb];
	rv->bucket = rb;
	rv->remaining = r->budget ? rate_left(r) : -1;
	rv->reset = rate_reset(r);
	if (now < s->rate[b].blackout_until) {
		rv->early = true;
		rv->announced_ago = now - s->rate[b].blackout_since;
	}
	if (b == FAKE_B_BSKY_SESSION &&
	    now < s->rate[FAKE_B_BSKY_SESSION_DAY].blackout_until) {
		rv->early = true;
		rv->announced_ago = now - s->rate[FAKE_B_BSKY_SESSION_DAY].blackout_since;
	}
	if (rv->early)
		s->early_count++;
}

static bool rate_exhausted(const struct fake_server *s, int b)
{
	if (b < 0)
		return false;
	if (b == FAKE_B_BSKY_SESSION) {
		const struct fake_rate *d = &s->rate[FAKE_B_BSKY_SESSION_DAY];

		if (d->budget && rate_left(d) == 0)
			return true;
	}
	return s->rate[b].budget && rate_left(&s->rate[b]) == 0;
}

static void rate_consume(struct fake_server *s, int b)
{
	if (b < 0)
		return;
	s->rate[b].used++;
	if (b == FAKE_B_BSKY_SESSION)
		s->rate[FAKE_B_BSKY_SESSION_DAY].used++;
}

static void rate_emit(struct fake_server *s, int b, int platform,
		      struct fake_resp *rs, double now)
{
	struct fake_rate *r;
	int rb;

	if (b < 0)
		return;
	rb = report_bucket(s, b);
	r = &s->rate[rb];
	emit_rate(rs, bucket_platform[rb], effective_shape(r, platform),
		  rate_limit(r), rate_left(r), r->used, rate_reset(r), r->window,
		  now);
	if (r->budget && rate_left(r) == 0 &&
	    effective_shape(r, platform) != FAKE_SHAPE_NONE)
		announce_zero(r, rate_reset(r), now);
}

void fake_server_warm(struct fake_server *s)
{
	pthread_mutex_lock(&s->lock);
	for (int i = 0; i < FAKE_NPLATFORMS; i++)
		if (fake_platforms[i]->warm)
			fake_platforms[i]->warm(s);
	pthread_mutex_unlock(&s->lock);
}

void fake_serve(struct fake_server *s, struct fake_req *rq,
		struct fake_resp *rs)
{
	const struct fake_route *route;
	const struct fake_fault *f = NULL;
	struct fake_rate_view rv;
	char *caps[4] = { NULL };
	size_t ncaps = 0;
	int platform = FAKE_NOPLATFORM;

	pthread_mutex_lock(&s->lock);
	if (!strncmp(rq->path, "/_fake/", 7)) {
		fake_control(s, rq, rs);
		fake_resp_flush(rs);	/* may share the server's objects */
		goto out_unlock;
	}
	route = find_route(rq->method, rq->path, &platform, caps, &ncaps);
	if (!route && strlen(rq->path) > 5 &&
	    !strcmp(rq->path + strlen(rq->path) - 5, ".json")) {
		char *bare = xstrndup(rq->path, strlen(rq->path) - 5);

		route = find_route(rq->method, bare, &platform, caps, &ncaps);
		free(bare);
		if (route && platform != FAKE_REDDIT) {	/* only Reddit has .json */
			for (size_t i = 0; i < ncaps; i++)
				free(caps[i]);
			ncaps = 0;
			route = NULL;
		}
	}
	if (!route) {
		fake_resp_json(rs, 404, json_pack("{s:s}", "error", "Not Found"));
		log_request(s, rq, rs, FAKE_NOPLATFORM, NULL, NULL, NULL);
		count_stat(s, "none", "unknown", 404);
		goto out_unlock;
	}
	for (size_t i = 0; i < ncaps; i++)
		rq->params[i] = caps[i];
	rate_arrive(s, route->bucket, rq->now, &rv);
	if (rate_exhausted(s, route->bucket)) {
		int rb = report_bucket(s, route->bucket);

		answer_429(s, rq, rb, platform,
			   effective_shape(&s->rate[rb], platform),
			   rate_reset(&s->rate[rb]), rs);
		goto out_log;
	}
	rate_consume(s, route->bucket);
	f = fake_fault_pick(s, platform, rq);
	if (f && !fake_fault_runs_handler(f)) {
		fake_fault_before(s, rq, platform, route->bucket, f, rs);
	} else {
		route->fn(s, rq, rs);
		if (f)
			fake_fault_after(s, rq, platform, f, rs);
	}
	if (rs->rate_headers)
		rate_emit(s, route->bucket, platform, rs, rq->now);
out_log:
	log_request(s, rq, rs, platform, route->endpoint, &rv, f);
	count_stat(s, fake_platforms[platform]->name, route->endpoint,
		   rs->drop ? 0 : rs->status);
out_unlock:
	pthread_mutex_unlock(&s->lock);
	fake_resp_flush(rs);
	for (size_t i = 0; i < ncaps; i++)
		free(caps[i]);
	for (size_t i = 0; i < ncaps; i++)
		rq->params[i] = NULL;
}
