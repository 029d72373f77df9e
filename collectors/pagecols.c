/* pagecols.c: a page as the parallel column arrays heed_ingest_columns()
 * takes (schema/0008, see store.h): PostgreSQL text array literals, one per
 * column, holding what collectors/pagejson.c writes as one JSON document,
 * value for value, so that both ways store the same rows. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heed/buf.h"
#include "heed/clock.h"
#include "store.h"

/* The buffers have no cap, so an append cannot fail (allocation failure
 * aborts in xrealloc). */
static void put(struct heed_buf *b, const char *s, size_t n)
{
	if (heed_buf_add(b, s, n))
		abort();
}

/* s as a quoted array element, or NULL: '"' and '\' escaped, and a byte
 * that is not UTF-8 turned into U+FFFD (as pagejson.c's put_str does). */
static void put_str(struct heed_buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s, *run;

	if (!s) {
		put(b, "NULL", 4);
		return;
	}
	put(b, "\"", 1);
	while (*p) {
		size_t n;

		for (run = p; *p && *p != '"' && *p != '\\' && *p < 0x80; p++)
			;
		put(b, (const char *)run, (size_t)(p - run));
		if (!*p)
			break;
		if (*p == '"' || *p == '\\') {
			char esc[2] = { '\\', (char)*p };

			put(b, esc, 2);
			p++;
		} else if ((n = store_utf8_seq(p))) {
			put(b, (const char *)p, n);
			p += n;
		} else {
			put(b, "\xef\xbf\xbd", 3);
			p++;
		}
	}
	put(b, "\"", 1);
}

/* JSON text (raw item, reasons) when jsonb will take it, else NULL. */
static void put_json(struct heed_buf *b, const char *text)
{
	put_str(b, store_json_ok(text) ? text : NULL);
}

static void put_bool(struct heed_buf *b, bool v)
{
	put(b, v ? "t" : "f", 1);
}

static void put_int(struct heed_buf *b, long long v)
{
	char n[24];

	put(b, n, (size_t)snprintf(n, sizeof(n), "%lld", v));
}

/* The JSON way sent "%.17g" through numeric, which has no -0 and no
 * infinities (those went as null). */
static void put_real(struct heed_buf *b, double v)
{
	char n[40];

	if (!isfinite(v)) {
		put(b, "NULL", 4);
		return;
	}
	put(b, n, (size_t)snprintf(n, sizeof(n), "%.17g", v == 0 ? 0.0 : v));
}

/* topics as a text[] literal, itself one element of the topics column. */
static void put_topics(struct heed_buf *b, struct heed_buf *tmp,
		       const struct heed_mention *m)
{
	heed_buf_reset(tmp);
	put(tmp, "{", 1);
	for (size_t i = 0; m->classified && m->topics && m->topics[i]; i++) {
		if (i)
			put(tmp, ",", 1);
		put_str(tmp, m->topics[i]);
	}
	put(tmp, "}", 1);
	put_str(b, heed_buf_str(tmp));
}

/* Item m's element of every column (store.h lists their order). */
static void put_mention(struct heed_buf *c, struct heed_buf *tmp,
			const struct heed_mention *m)
{
	char when[HEED_TIME_ISO8601_SIZE];
	bool cl = m->classified;

	put_str(&c[0], m->external_id);
	put_str(&c[1], m->author_id);
	put_str(&c[2], m->author_handle);
	put_str(&c[3], m->author_name);
	put_int(&c[4], m->author_followers);
	put_str(&c[5], m->url);
	put_str(&c[6], m->text ? m->text : "");
	put_json(&c[7], m->raw);
	put_str(&c[8], heed_time_format_iso8601(m->posted_at_ms, when, sizeof(when)));
	put_str(&c[9], m->in_reply_to);
	put_str(&c[10], m->thread_key ? m->thread_key : m->external_id);
	put_str(&c[11], m->lang);
	if (cl)
		put_real(&c[12], m->sentiment);
	else
		put(&c[12], "NULL", 4);
	put_str(&c[13], cl ? m->sentiment_label : NULL);
	if (cl)
		put_int(&c[14], m->urgency);
	else
		put(&c[14], "NULL", 4);
	put_str(&c[15], cl ? m->urgency_level : NULL);
	put_topics(&c[16], tmp, m);
	put_json(&c[17], cl ? m->reasons_json : NULL);
	/* the schema forbids spam or own posts needing a reply */
	put_bool(&c[18], m->needs_reply && !m->is_own && !m->is_spam);
	put_str(&c[19], cl ? m->needs_reply_reason : NULL);
	if (cl)
		put_bool(&c[20], m->is_spam);
	else
		put(&c[20], "NULL", 4);
	put_bool(&c[21], m->is_own);
	put_bool(&c[22], m->mentions_account);
}

void store_page_columns(const struct heed_page *page, char *cols[STORE_NCOLS])
{
	struct heed_buf c[STORE_NCOLS], tmp;

	heed_buf_init(&tmp, 0);
	for (size_t k = 0; k < STORE_NCOLS; k++) {
		heed_buf_init(&c[k], 0);
		put(&c[k], "{", 1);
	}
	for (size_t i = 0; i < page->n; i++) {
		if (i)
			for (size_t k = 0; k < STORE_NCOLS; k++)
				put(&c[k], ",", 1);
		put_mention(c, &tmp, &page->items[i]);
	}
	for (size_t k = 0; k < STORE_NCOLS; k++) {
		put(&c[k], "}", 1);
		cols[k] = heed_buf_detach(&c[k], NULL);
	}
	heed_buf_release(&tmp);
}
