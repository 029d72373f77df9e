/* fault.c: fault injection. Rules pick requests by platform, path prefix
 * and method; fire after N, every N or with a seeded probability, up to a
 * count; and either answer instead of the platform (status, garbage, drop,
 * oversize, api-error: no effect) or alter its answer (slow, truncate,
 * invalid-utf8; commit-then-fail applies the request, then fails). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "heed/xalloc.h"

#include "fake.h"

static const char *const fault_names[] = {
	NULL, "status", "slow", "truncate", "oversize", "garbage", "invalid-utf8",
	"drop", "commit-then-fail", "api-error",
};

const char *fake_fault_name(int kind)
{
	if (kind < 1 || (size_t)kind >= sizeof(fault_names) / sizeof(*fault_names))
		return "?";
	return fault_names[kind];
}

void fake_fault_free(struct fake_fault *f)
{
	if (!f)
		return;
	free(f->path_prefix);
	free(f->method);
	free(f->error);
	free(f->body);
	free(f);
}

static unsigned juint(json_t *o, const char *k, unsigned def)
{
	json_t *v = json_object_get(o, k);

	if (json_is_integer(v) && json_integer_value(v) >= 0)
		return (unsigned)json_integer_value(v);
	if (json_is_real(v) && json_real_value(v) >= 0)
		return (unsigned)json_real_value(v);
	return def;
}

struct fake_fault *fake_fault_parse(json_t *rule, struct heed_err *err)
{
	struct fake_fault *f;
	const char *kind, *s;
	json_t *v;

	if (!json_is_object(rule)) {
		heed_err_set(err, HEED_EINVAL, "fault rule is not an object");
		return NULL;
	}
	kind = json_string_value(json_object_get(rule, "kind"));
	f = xcalloc(1, sizeof(*f));
	for (size_t i = 1; kind && i < sizeof(fault_names) / sizeof(*fault_names); i++)
		if (!strcmp(kind, fault_names[i]))
			f->kind = (int)i;
	if (kind && !strcmp(kind, "invalid_utf8"))
		f->kind = FAKE_F_BADUTF8;
	if (!f->kind) {
		heed_err_set(err, HEED_EINVAL, "unknown fault kind '%s'",
			     kind ? kind : "(none)");
		goto out_free;
	}
	f->platform = FAKE_NOPLATFORM;
	s = json_string_value(json_object_get(rule, "platform"));
	if (s) {
		f->platform = fake_platform_parse(s);
		if (f->platform < 0) {
			heed_err_set(err, HEED_EINVAL, "unknown platform '%s'", s);
			goto out_free;
		}
	}
	s = json_string_value(json_object_get(rule, "path_prefix"));
	f->path_prefix = s ? xstrdup(s) : NULL;
	s = json_string_value(json_object_get(rule, "method"));
	f->method = s ? xstrdup(s) : NULL;
	f->after_n = juint(rule, "after_n", 0);
	f->every_n = juint(rule, "every_n", 0);
	f->count = juint(rule, "count", 0);
	v = json_object_get(rule, "probability");
	f->probability = json_is_number(v) ? json_number_value(v) : 0;
	f->status = juint(rule, "status", f->kind == FAKE_F_GARBAGE ? 200 : 500);
	if (f->kind == FAKE_F_STATUS && (f->status < 100 || f->status > 599)) {
		heed_err_set(err, HEED_EINVAL, "bad status %u", f->status);
		goto out_free;
	}
	f->shape = FAKE_SHAPE_DEFAULT;
	s = json_string_value(json_object_get(rule, "shape"));
	if (s && (f->shape = fake_shape_parse(s)) < 0) {
		heed_err_set(err, HEED_EINVAL, "unknown shape '%s'", s);
		goto out_free;
	}
	f->retry_after = juint(rule, "retry_after", 2);
	f->delay_ms = juint(rule, "delay_ms", 0);
	f->trickle_ms = juint(rule, "trickle_ms", 0);
	f->trickle_bytes = juint(rule, "trickle_bytes", 16);
	if (!f->trickle_bytes)
		f->trickle_bytes = 1;
	v = json_object_get(rule, "mb");
	f->mb = json_is_number(v) ? json_number_value(v) : 20;
	if (f->mb <= 0 || f->mb > 2048) {
		heed_err_set(err, HEED_EINVAL, "'mb' must be in (0, 2048]");
		goto out_free;
	}
	f->drop = json_is_true(json_object_get(rule, "drop"));
	s = json_string_value(json_object_get(rule, "mode"));
	f->cut_connection = s && !strcmp(s, "connection");
	s = json_string_value(json_object_get(rule, "error"));
	f->error = xstrdup(s ? s : "RATELIMIT");
	s = json_string_value(json_object_get(rule, "body"));
	f->body = s ? xstrdup(s) : NULL;
	return f;

out_free:
	fake_fault_free(f);
	return NULL;
}

json_t *fake_fault_json(const struct fake_fault *f)
{
	return json_pack("{s:I, s:s, s:s?, s:s?, s:s?, s:I, s:I, s:f, s:I, s:I, s:I}",
			 "id", (json_int_t)f->id, "kind", fault_names[f->kind],
			 "platform", f->platform >= 0 ? fake_platforms[f->platform]->name
						     : NULL,
			 "path_prefix", f->path_prefix, "method", f->method,
			 "after_n", (json_int_t)f->after_n,
			 "every_n", (json_int_t)f->every_n,
			 "probability", f->probability, "count", (json_int_t)f->count,
			 "seen", (json_int_t)f->seen, "fired", (json_int_t)f->fired);
}

/* Every rule counts the requests it matches; the first one that fires on
 * this request is applied. */
struct fake_fault *fake_fault_pick(struct fake_server *s, int platform,
				   const struct fake_req *rq)
{
	struct fake_fault *hit = NULL;

	for (size_t i = 0; i < s->nfaults; i++) {
		struct fake_fault *f = s->faults[i];
		bool fire = true;

		if (f->platform >= 0 && f->platform != platform)
			continue;
		if (f->path_prefix && strncmp(rq->path, f->path_prefix,
					      strlen(f->path_prefix)))
			continue;
		if (f->method && strcasecmp(f->method, rq->method))
			continue;
		if (f->count && f->fired >= f->count)
			continue;
		f->seen++;
		if (f->after_n)
			fire = f->seen > f->after_n;
		if (f->every_n)
			fire = fire && f->seen % f->every_n == 0;
		if (f->probability > 0)
			fire = fire && fake_random(s) < f->probability;
		if (fire && !hit) {
			f->fired++;
			hit = f;
		}
	}
	return hit;
}

bool fake_fault_runs_handler(const struct fake_fault *f)
{
	return f->kind == FAKE_F_SLOW || f->kind == FAKE_F_TRUNCATE ||
	       f->kind == FAKE_F_BADUTF8 || f->kind == FAKE_F_COMMIT_FAIL;
}

static const char html_403[] =
	"<html>\r\n<head><title>403 Forbidden</title></head>\r\n<body>\r\n"
	"<center><h1>403 Forbidden</h1></center>\r\n"
	"<p>Request forbidden by administrative rules.</p>\r\n</body>\r\n</html>\r\n";

void fake_fault_before(struct fake_server *s, struct fake_req *rq,
		       int platform, int b, const struct fake_fault *f,
		       struct fake_resp *rs)
{
	switch (f->kind) {
	case FAKE_F_STATUS:
		if (f->status == 429) {
			fake_rate_answer_429(s, rq, b, platform, f->shape,
					     rq->now + f->retry_after, rs);
		} else {
			fake_platforms[platform]->error_body(s, rq, f->status, rs);
		}
		break;
	case FAKE_F_GARBAGE:
		if (f->body)
			fake_resp_text(rs, f->status, "text/html", f->body);
		else if (f->status == 403)
			fake_resp_text(rs, 403, "text/html", html_403);
		else
			fake_resp_text(rs, f->status, "text/html; charset=utf-8",
				       "<!DOCTYPE html><html><head><title>Oops</title>"
				       "</head><body><p>upstream said: \x01\x02 not "
				       "json {\"at all</p></body></html>");
		rs->rate_headers = false;
		break;
	case FAKE_F_DROP:
		rs->drop = true;
		rs->rate_headers = false;
		break;
	case FAKE_F_OVERSIZE:
		rs->status = 200;
		rs->oversize = (size_t)(f->mb * 1024 * 1024);
		break;
	case FAKE_F_API_ERROR:
		if (platform == FAKE_REDDIT) {
			const char *msg = !strcmp(f->error, "RATELIMIT") ?
				"Looks like you've been doing that a lot. Take a break "
				"for 2 minutes before trying again." :
				"something went wrong";

			fake_resp_json(rs, 200, json_pack("{s:{s:[[s,s,s]]}}", "json",
							  "errors", f->error, msg,
							  !strcmp(f->error, "RATELIMIT") ?
							  "ratelimit" : "text"));
		} else {
			fake_platforms[platform]->error_body(s, rq, 500, rs);
		}
		break;
	default:
		break;
	}
}

/* Put invalid UTF-8 inside the first text-like string value. */
static void inject_bad_utf8(struct heed_buf *body)
{
	static const char *const keys[] = {
		"\"content\":\"", "\"text\":\"", "\"body\":\"", "\"comment_text\":\"",
		"\"selftext\":\"", "\"title\":\"", "\":\"",
	};
	const char *s = heed_buf_str(body);
	const char *at = NULL;
	struct heed_buf out;

	for (size_t i = 0; i < sizeof(keys) / sizeof(*keys) && !at; i++) {
		at = strstr(s, keys[i]);
		if (at)
			at += strlen(keys[i]);
	}
	if (!at)
		return;
	heed_buf_init(&out, 0);
	fake_buf_add(&out, s, (size_t)(at - s));
	fake_buf_add(&out, "\xff\xfe\xc3\x28", 4);
	fake_buf_adds(&out, at);
	heed_buf_release(body);
	*body = out;
}

void fake_fault_after(struct fake_server *s, struct fake_req *rq,
		      int platform, const struct fake_fault *f,
		      struct fake_resp *rs)
{
	size_t len;

	fake_resp_flush(rs);
	len = heed_buf_len(&rs->body);
	switch (f->kind) {
	case FAKE_F_SLOW:
		rs->delay_ms = f->delay_ms;
		rs->trickle_ms = f->trickle_ms;
		rs->trickle_bytes = f->trickle_bytes;
		break;
	case FAKE_F_TRUNCATE:
		if (len < 2)
			break;
		if (f->cut_connection)
			rs->cut_at = len / 2;
		else
			heed_buf_truncate(&rs->body, len / 2);
		break;
	case FAKE_F_BADUTF8:
		inject_bad_utf8(&rs->body);
		break;
	case FAKE_F_COMMIT_FAIL:
		if (f->drop) {
			rs->drop = true;
			rs->rate_headers = false;
		} else {
			for (size_t i = 0; i < rs->nhdrs; i++) {
				free(rs->hdr_names[i]);
				free(rs->hdr_vals[i]);
			}
			rs->nhdrs = 0;
			fake_platforms[platform]->error_body(s, rq, f->status, rs);
		}
		break;
	default:
		break;
	}
}

