/* pagejson.c: a page as the JSON heed_ingest_page() takes (see store.h),
 * written straight into one buffer. Building it through jansson, re-parsing
 * each raw item to nest it and dumping the lot again cost more per page
 * than the database's work on it. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heed/buf.h"
#include "heed/clock.h"
#include "store.h"

/* The buffers below have no cap, so an append cannot fail (allocation
 * failure aborts in xrealloc). */
static void put(struct heed_buf *b, const char *s, size_t n)
{
	if (heed_buf_add(b, s, n))
		abort();
}

static void puts_(struct heed_buf *b, const char *s)
{
	put(b, s, strlen(s));
}

size_t store_utf8_seq(const unsigned char *s)
{
	unsigned c = s[0];

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 ||
		    (c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] >= 0xa0))
			return 0;
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 ||
		    (s[3] & 0xc0) != 0x80 || (c == 0xf0 && s[1] < 0x90) ||
		    (c == 0xf4 && s[1] >= 0x90))
			return 0;
		return 4;
	}
	return 0;
}

void store_put_repaired(struct heed_buf *b, const char *s, enum store_escape how)
{
	const unsigned char *p = (const unsigned char *)s, *run;

	while (*p) {
		size_t n;

		for (run = p; *p && *p < 0x80 &&
			      !(how != STORE_ESC_NONE && (*p == '"' || *p == '\\')) &&
			      !(how == STORE_ESC_JSON && *p < 0x20); p++)
			;
		put(b, (const char *)run, (size_t)(p - run));
		if (!*p)
			break;
		if (*p == '"' || *p == '\\') {
			char esc[2] = { '\\', (char)*p };

			put(b, esc, 2);
			p++;
		} else if (*p < 0x20) {
			char esc[8];

			snprintf(esc, sizeof(esc), "\\u%04x", *p);
			puts_(b, esc);
			p++;
		} else if ((n = store_utf8_seq(p))) {
			put(b, (const char *)p, n);
			p += n;
		} else {
			puts_(b, "\xef\xbf\xbd");
			p++;
		}
	}
}

/* s as a JSON string, or null. */
static void put_str(struct heed_buf *b, const char *s)
{
	if (!s) {
		puts_(b, "null");
		return;
	}
	put(b, "\"", 1);
	store_put_repaired(b, s, STORE_ESC_JSON);
	put(b, "\"", 1);
}

/* ---- checking JSON text that is nested as it is ------------------------ */

#define JSON_DEPTH_MAX 512

static const unsigned char *ws(const unsigned char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

static int hex4(const unsigned char *p)
{
	int v = 0;

	for (int i = 0; i < 4; i++) {
		int c = p[i], d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return -1;
		v = v * 16 + d;
	}
	return v;
}

/* A string starting at its opening quote; the end, or NULL. PostgreSQL's
 * jsonb refuses \u0000 and unpaired surrogate escapes, so they fail too. */
static const unsigned char *check_str(const unsigned char *p)
{
	for (p++; *p != '"'; ) {
		size_t n;

		if (*p == '\\') {
			int u;

			p++;
			if (*p && strchr("\"\\/bfnrt", *p)) {
				p++;
				continue;
			}
			if (*p != 'u' || (u = hex4(p + 1)) <= 0)
				return NULL;
			p += 5;
			if (u >= 0xdc00 && u <= 0xdfff)
				return NULL;
			if (u >= 0xd800 && u <= 0xdbff) {
				int lo;

				if (p[0] != '\\' || p[1] != 'u' ||
				    (lo = hex4(p + 2)) < 0xdc00 || lo > 0xdfff)
					return NULL;
				p += 6;
			}
			continue;
		}
		if (*p < 0x20 || !(n = store_utf8_seq(p)))
			return NULL;
		p += n;
	}
	return p + 1;
}

static const unsigned char *digits(const unsigned char *p)
{
	if (*p < '0' || *p > '9')
		return NULL;
	while (*p >= '0' && *p <= '9')
		p++;
	return p;
}

static const unsigned char *check_num(const unsigned char *p)
{
	if (*p == '-')
		p++;
	if (*p == '0')
		p++;
	else if (!(p = digits(p)))
		return NULL;
	if (*p == '.' && !(p = digits(p + 1)))
		return NULL;
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		p = digits(p);
	}
	return p;
}

static const unsigned char *check_value(const unsigned char *p, unsigned depth)
{
	char close;

	p = ws(p);
	switch (*p) {
	case '"':
		return check_str(p);
	case 't':
		return !strncmp((const char *)p, "true", 4) ? p + 4 : NULL;
	case 'f':
		return !strncmp((const char *)p, "false", 5) ? p + 5 : NULL;
	case 'n':
		return !strncmp((const char *)p, "null", 4) ? p + 4 : NULL;
	case '[':
	case '{':
		break;
	default:
		return check_num(p);
	}
	if (depth >= JSON_DEPTH_MAX)
		return NULL;
	close = *p == '[' ? ']' : '}';
	p = ws(p + 1);
	if (*p == close)
		return p + 1;
	for (;;) {
		if (close == '}') {
			if (*p != '"' || !(p = check_str(p)))
				return NULL;
			p = ws(p);
			if (*p++ != ':')
				return NULL;
		}
		if (!(p = check_value(p, depth + 1)))
			return NULL;
		p = ws(p);
		if (*p == close)
			return p + 1;
		if (*p++ != ',')
			return NULL;
		p = ws(p);
	}
}

bool store_json_ok(const char *text)
{
	const unsigned char *end;

	if (!text)
		return false;
	end = check_value((const unsigned char *)text, 0);
	return end && !*ws(end);
}

/* JSON text (raw item, classifier reasons) nested as it is, or null when
 * it is missing or would not survive the database's jsonb input. */
static void put_json(struct heed_buf *b, const char *text)
{
	puts_(b, store_json_ok(text) ? text : "null");
}

static void put_bool(struct heed_buf *b, bool v)
{
	puts_(b, v ? "true" : "false");
}

static void put_num(struct heed_buf *b, const char *fmt, double v)
{
	char n[40];

	if (!isfinite(v)) {
		puts_(b, "null");
		return;
	}
	snprintf(n, sizeof(n), fmt, v);
	puts_(b, n);
}

static void put_int(struct heed_buf *b, long long v)
{
	char n[24];

	snprintf(n, sizeof(n), "%lld", v);
	puts_(b, n);
}

/* One item in the shape 0003_ingest.sql documents for p_items. */
static void put_mention(struct heed_buf *b, const struct heed_mention *m)
{
	char when[HEED_TIME_ISO8601_SIZE];

	puts_(b, "{\"author\":{\"id\":");
	put_str(b, m->author_id);
	puts_(b, ",\"handle\":");
	put_str(b, m->author_handle);
	puts_(b, ",\"name\":");
	put_str(b, m->author_name);
	puts_(b, ",\"followers\":");
	put_int(b, m->author_followers);
	puts_(b, "},\"external_id\":");
	put_str(b, m->external_id);
	puts_(b, ",\"url\":");
	put_str(b, m->url);
	puts_(b, ",\"text\":");
	put_str(b, m->text ? m->text : "");
	puts_(b, ",\"raw\":");
	put_json(b, m->raw);
	puts_(b, ",\"posted_at\":");
	put_str(b, heed_time_format_iso8601(m->posted_at_ms, when, sizeof(when)));
	puts_(b, ",\"in_reply_to\":");
	put_str(b, m->in_reply_to);
	puts_(b, ",\"thread_key\":");
	put_str(b, m->thread_key ? m->thread_key : m->external_id);
	puts_(b, ",\"lang\":");
	put_str(b, m->lang);
	puts_(b, ",\"is_own\":");
	put_bool(b, m->is_own);
	puts_(b, ",\"mentions_account\":");
	put_bool(b, m->mentions_account);
	if (m->classified) {
		puts_(b, ",\"sentiment\":");
		put_num(b, "%.17g", m->sentiment);
		puts_(b, ",\"sentiment_label\":");
		put_str(b, m->sentiment_label);
		puts_(b, ",\"urgency\":");
		put_int(b, m->urgency);
		puts_(b, ",\"urgency_level\":");
		put_str(b, m->urgency_level);
		puts_(b, ",\"reasons\":");
		put_json(b, m->reasons_json);
		puts_(b, ",\"needs_reply_reason\":");
		put_str(b, m->needs_reply_reason);
		puts_(b, ",\"is_spam\":");
		put_bool(b, m->is_spam);
	}
	puts_(b, ",\"topics\":[");
	for (size_t i = 0; m->classified && m->topics && m->topics[i]; i++) {
		if (i)
			put(b, ",", 1);
		put_str(b, m->topics[i]);
	}
	/* the schema forbids spam or own posts needing a reply */
	puts_(b, "],\"needs_reply\":");
	put_bool(b, m->needs_reply && !m->is_own && !m->is_spam);
	put(b, "}", 1);
}

char *store_page_items_json(const struct heed_page *page)
{
	struct heed_buf b;

	heed_buf_init(&b, 0);
	put(&b, "[", 1);
	for (size_t i = 0; i < page->n; i++) {
		if (i)
			put(&b, ",", 1);
		put_mention(&b, &page->items[i]);
	}
	put(&b, "]", 1);
	return heed_buf_detach(&b, NULL);
}

char *store_page_bad_json(const struct heed_page *page)
{
	struct heed_buf b;

	heed_buf_init(&b, 0);
	put(&b, "[", 1);
	for (size_t i = 0; i < page->nbad; i++) {
		puts_(&b, i ? ",{\"id\":" : "{\"id\":");
		put_str(&b, page->bad[i].id);
		puts_(&b, ",\"reason\":");
		put_str(&b, page->bad[i].reason ? page->bad[i].reason : "");
		put(&b, "}", 1);
	}
	put(&b, "]", 1);
	return heed_buf_detach(&b, NULL);
}
