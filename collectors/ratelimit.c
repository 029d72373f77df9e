/* ratelimit.c: rate-limit headers of every shape to one state, and the
 * wait before the next request (see heed/ratelimit.h). */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "heed/clock.h"
#include "heed/ratelimit.h"
#include "heed/xalloc.h"

void heed_ratelimit_init(struct heed_ratelimit *rl)
{
	memset(rl, 0, sizeof(*rl));
	rl->limit = -1;
	rl->remaining = -1;
}

/* Each number of a comma list, in order; returns how many (at most max). */
static int numbers(const char *v, double *out, int max)
{
	int n = 0;

	while (v && *v && n < max) {
		char *end;
		double d;

		while (isspace((unsigned char)*v) || *v == ',')
			v++;
		if (!*v)
			break;
		errno = 0;
		d = strtod(v, &end);
		if (end == v || errno || !isfinite(d) || d < 0)
			return n;
		out[n++] = d;
		v = end;
		while (isspace((unsigned char)*v))
			v++;
		if (*v && *v != ',')
			return n;
	}
	return n;
}

double heed_ratelimit_parse_count(const char *v)
{
	double d[8], min = -1;
	int n = numbers(v, d, 8);

	for (int i = 0; i < n; i++)
		if (min < 0 || d[i] < min)
			min = d[i];
	return min;
}

/* An ISO 8601 date-time has a '-' after its year and a 'T' or a space. */
static bool looks_iso(const char *v)
{
	return strlen(v) >= 19 && isdigit((unsigned char)v[0]) && v[4] == '-';
}

/* RFC 7231 HTTP-date, as Retry-After may carry it. */
static int64_t parse_http_date(const char *v)
{
	struct tm tm;
	const char *end;

	memset(&tm, 0, sizeof(tm));
	end = strptime(v, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	if (!end || *end)
		return 0;
	return (int64_t)timegm(&tm) * 1000;
}

int64_t heed_ratelimit_parse_reset(const char *v, int64_t now_ms)
{
	double d[8], best = -1;
	int64_t ms;
	int n;

	if (!v)
		return 0;
	while (isspace((unsigned char)*v))
		v++;
	if (looks_iso(v))
		return heed_time_parse_iso8601(v, &ms) ? 0 : ms;
	n = numbers(v, d, 8);
	for (int i = 0; i < n; i++)
		if (d[i] > best)
			best = d[i];
	if (best < 0)
		return 0;
	if (best > 1e12)
		return (int64_t)best;			/* epoch ms */
	if (best > 1e9)
		return (int64_t)llround(best * 1000);	/* epoch seconds */
	return now_ms + (int64_t)llround(best * 1000);	/* seconds from now */
}

static const char *header(const struct heed_http_resp *resp,
			  const char *const *names)
{
	for (; *names; names++) {
		const char *v = heed_http_resp_header(resp, *names);

		if (v && *v)
			return v;
	}
	return NULL;
}

void heed_ratelimit_from_resp(struct heed_ratelimit *rl,
			      const struct heed_http_resp *resp,
			      int64_t now_ms)
{
	static const char *const limit[] = {
		"x-ratelimit-limit", "ratelimit-limit", "x-rate-limit-limit", NULL,
	};
	static const char *const remaining[] = {
		"x-ratelimit-remaining", "ratelimit-remaining",
		"x-rate-limit-remaining", NULL,
	};
	static const char *const reset[] = {
		"x-ratelimit-reset", "ratelimit-reset", "x-rate-limit-reset", NULL,
	};
	static const char *const used[] = { "x-ratelimit-used", NULL };
	static const char *const policy[] = { "ratelimit-policy", NULL };
	static const char *const retry[] = { "retry-after", NULL };
	const char *v;

	heed_ratelimit_init(rl);
	if ((v = header(resp, limit)))
		rl->limit = heed_ratelimit_parse_count(v);
	if ((v = header(resp, remaining)))
		rl->remaining = heed_ratelimit_parse_count(v);
	if ((v = header(resp, reset)))
		rl->reset_at_ms = heed_ratelimit_parse_reset(v, now_ms);
	/* Reddit gives used + remaining rather than a limit */
	if (rl->limit < 0 && rl->remaining >= 0 && (v = header(resp, used))) {
		double u = heed_ratelimit_parse_count(v);

		if (u >= 0)
			rl->limit = u + rl->remaining;
	}
	if ((v = header(resp, policy))) {
		const char *w = strstr(v, "w=");
		double d[1];

		if (w && numbers(w + 2, d, 1) == 1)
			rl->window_ms = (int64_t)llround(d[0] * 1000);
		if (rl->limit < 0)
			rl->limit = heed_ratelimit_parse_count(v);
	}
	if ((v = header(resp, retry))) {
		double d[1];

		if (numbers(v, d, 1) == 1 && !strpbrk(v, ":"))
			rl->retry_at_ms = now_ms + (int64_t)llround(d[0] * 1000);
		else
			rl->retry_at_ms = parse_http_date(v);
	}
	/* a 429 means none remain, whatever the headers forgot to say */
	if (resp->status == 429 && rl->remaining < 0)
		rl->remaining = 0;
	rl->known = rl->limit >= 0 || rl->remaining >= 0 || rl->reset_at_ms ||
		    rl->retry_at_ms;
}

int64_t heed_ratelimit_wait_ms(const struct heed_ratelimit *rl,
			       int64_t now_ms, double share)
{
	int64_t until = 0;
	double reserve = 0;

	if (rl->retry_at_ms > now_ms)
		until = rl->retry_at_ms;
	if (share > 0 && share < 1 && rl->limit > 0)
		reserve = floor(rl->limit * (1 - share));
	if (rl->remaining >= 0 && rl->remaining <= reserve) {
		if (rl->reset_at_ms > now_ms) {
			if (rl->reset_at_ms + 1000 > until)
				until = rl->reset_at_ms + 1000;
		} else if (!rl->reset_at_ms && rl->remaining <= 0 && !until) {
			/* none left and no reset given: a minute, then look */
			until = now_ms + 60000;
		}
	}
	return until > now_ms ? until - now_ms : 0;
}

char *heed_ratelimit_to_json(const struct heed_ratelimit *rl)
{
	json_t *o = json_object();
	char *s, *copy;

	json_object_set_new(o, "limit", json_real(rl->limit));
	json_object_set_new(o, "remaining", json_real(rl->remaining));
	json_object_set_new(o, "reset_at_ms", json_integer(rl->reset_at_ms));
	json_object_set_new(o, "retry_at_ms", json_integer(rl->retry_at_ms));
	json_object_set_new(o, "window_ms", json_integer(rl->window_ms));
	s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	if (!s)
		return xstrdup("{}");
	copy = xstrdup(s);
	free(s);
	return copy;
}

void heed_ratelimit_from_json(struct heed_ratelimit *rl, const char *text)
{
	json_t *o = text ? json_loads(text, 0, NULL) : NULL;
	json_t *v;

	heed_ratelimit_init(rl);
	if (!json_is_object(o))
		goto out_decref;
	if ((v = json_object_get(o, "limit")) && json_is_number(v))
		rl->limit = json_number_value(v);
	if ((v = json_object_get(o, "remaining")) && json_is_number(v))
		rl->remaining = json_number_value(v);
	if ((v = json_object_get(o, "reset_at_ms")) && json_is_integer(v))
		rl->reset_at_ms = json_integer_value(v);
	if ((v = json_object_get(o, "retry_at_ms")) && json_is_integer(v))
		rl->retry_at_ms = json_integer_value(v);
	if ((v = json_object_get(o, "window_ms")) && json_is_integer(v))
		rl->window_ms = json_integer_value(v);
	rl->known = rl->limit >= 0 || rl->remaining >= 0 || rl->reset_at_ms ||
		    rl->retry_at_ms;
out_decref:
	json_decref(o);
}
