/* pagecols.c: a page as the parallel column arrays heed_ingest_columns()
 * takes (schema/0008, see store.h), one per column, holding what
 * collectors/pagejson.c writes as one JSON document, value for value, so
 * that both ways store the same rows. The text columns, most of a page's
 * bytes, go in PostgreSQL's binary array format, which the server copies
 * instead of parsing; numbers, times and booleans go as array literals, so
 * that the server's input functions read them as they read the JSON's. */
#include <arpa/inet.h>
#include <math.h>
#include <stdint.h>
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

/* s as a quoted array element, or NULL. */
static void put_str(struct heed_buf *b, const char *s)
{
	if (!s) {
		put(b, "NULL", 4);
		return;
	}
	put(b, "\"", 1);
	store_put_repaired(b, s, STORE_ESC_ARRAY);
	put(b, "\"", 1);
}

/* ---- binary text[] (array_recv's format) ---- */

#define TEXTOID 25	/* pg_type.h, stable across releases */

static void put_u32(struct heed_buf *b, uint32_t v)
{
	uint32_t be = htonl(v);

	put(b, (const char *)&be, 4);
}

/* The header of a one-dimensional text[] of n elements. */
static void bin_start(struct heed_buf *b, size_t n)
{
	put_u32(b, n ? 1 : 0);		/* dimensions */
	put_u32(b, 0);			/* flags: nulls are marked per element */
	put_u32(b, TEXTOID);
	if (n) {
		put_u32(b, (uint32_t)n);
		put_u32(b, 1);		/* lower bound */
	}
}

/* The length of s once each byte that is not UTF-8 becomes U+FFFD. */
static size_t repaired_len(const unsigned char *p)
{
	size_t len = 0, n;

	while (*p) {
		n = *p < 0x80 ? 1 : store_utf8_seq(p);
		len += n ? n : 3;
		p += n ? n : 1;
	}
	return len;
}

/* s as one element: its length, then its bytes with each byte that is not
 * UTF-8 turned into U+FFFD; NULL is length -1. */
static void bin_str(struct heed_buf *b, const char *s)
{
	if (!s) {
		put_u32(b, UINT32_MAX);
		return;
	}
	put_u32(b, (uint32_t)repaired_len((const unsigned char *)s));
	store_put_repaired(b, s, STORE_ESC_NONE);
}

/* JSON text (raw item, reasons) when jsonb will take it, else NULL. */
static void bin_json(struct heed_buf *b, const char *text)
{
	bin_str(b, store_json_ok(text) ? text : NULL);
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
	bin_str(b, heed_buf_str(tmp));
}

/* Item m's element of every column (store.h lists their order). */
static void put_mention(struct heed_buf *c, struct heed_buf *tmp,
			const struct heed_mention *m)
{
	char when[HEED_TIME_ISO8601_SIZE];
	bool cl = m->classified;

	bin_str(&c[0], m->external_id);
	bin_str(&c[1], m->author_id);
	bin_str(&c[2], m->author_handle);
	bin_str(&c[3], m->author_name);
	put_int(&c[4], m->author_followers);
	bin_str(&c[5], m->url);
	bin_str(&c[6], m->text ? m->text : "");
	bin_json(&c[7], m->raw);
	put_str(&c[8], heed_time_format_iso8601(m->posted_at_ms, when, sizeof(when)));
	bin_str(&c[9], m->in_reply_to);
	bin_str(&c[10], m->thread_key ? m->thread_key : m->external_id);
	bin_str(&c[11], m->lang);
	if (cl)
		put_real(&c[12], m->sentiment);
	else
		put(&c[12], "NULL", 4);
	bin_str(&c[13], cl ? m->sentiment_label : NULL);
	if (cl)
		put_int(&c[14], m->urgency);
	else
		put(&c[14], "NULL", 4);
	bin_str(&c[15], cl ? m->urgency_level : NULL);
	put_topics(&c[16], tmp, m);
	bin_json(&c[17], cl ? m->reasons_json : NULL);
	/* the schema forbids spam or own posts needing a reply */
	put_bool(&c[18], m->needs_reply && !m->is_own && !m->is_spam);
	bin_str(&c[19], cl ? m->needs_reply_reason : NULL);
	if (cl)
		put_bool(&c[20], m->is_spam);
	else
		put(&c[20], "NULL", 4);
	put_bool(&c[21], m->is_own);
	put_bool(&c[22], m->mentions_account);
}

/* Which columns are text[] and go in binary form. */
static const bool binary[STORE_NCOLS] = {
	[0] = true, [1] = true, [2] = true, [3] = true, [5] = true, [6] = true,
	[7] = true, [9] = true, [10] = true, [11] = true, [13] = true,
	[15] = true, [16] = true, [17] = true, [19] = true,
};

void store_page_columns(const struct heed_page *page, struct store_cols *cols)
{
	struct heed_buf c[STORE_NCOLS], tmp;

	heed_buf_init(&tmp, 0);
	for (size_t k = 0; k < STORE_NCOLS; k++) {
		heed_buf_init(&c[k], 0);
		if (binary[k])
			bin_start(&c[k], page->n);
		else
			put(&c[k], "{", 1);
	}
	for (size_t i = 0; i < page->n; i++) {
		if (i)
			for (size_t k = 0; k < STORE_NCOLS; k++)
				if (!binary[k])
					put(&c[k], ",", 1);
		put_mention(c, &tmp, &page->items[i]);
	}
	for (size_t k = 0; k < STORE_NCOLS; k++) {
		size_t len;

		if (!binary[k])
			put(&c[k], "}", 1);
		cols->data[k] = heed_buf_detach(&c[k], &len);
		cols->len[k] = (int)len;
		cols->binary[k] = binary[k];
	}
	heed_buf_release(&tmp);
}

void store_cols_release(struct store_cols *cols)
{
	for (size_t k = 0; k < STORE_NCOLS; k++)
		free(cols->data[k]);
	memset(cols, 0, sizeof(*cols));
}
