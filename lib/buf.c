/* buf.c: bounded growable buffer (see heed/buf.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heed/buf.h"
#include "heed/xalloc.h"

void heed_buf_init(struct heed_buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->alloc = 0;
	b->cap = max;
}

void heed_buf_release(struct heed_buf *b)
{
	free(b->data);
	heed_buf_init(b, b->cap);
}

void heed_buf_reset(struct heed_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

/* Make room for extra more bytes plus the NUL, within the cap. */
static int grow(struct heed_buf *b, size_t extra)
{
	size_t need, n;

	if (extra > (size_t)-1 - b->len - 1)
		return HEED_ETOOBIG;
	need = b->len + extra;
	if (b->cap && need > b->cap)
		return HEED_ETOOBIG;
	if (need + 1 <= b->alloc)
		return HEED_OK;
	n = b->alloc ? b->alloc : 64;
	while (n < need + 1)
		n = n > (size_t)-1 / 2 ? need + 1 : n * 2;
	if (b->cap && n > b->cap + 1)
		n = b->cap + 1;
	b->data = xrealloc(b->data, n);
	b->alloc = n;
	return HEED_OK;
}

int heed_buf_add(struct heed_buf *b, const void *p, size_t len)
{
	int rc = grow(b, len);

	if (rc)
		return rc;
	if (len)
		memcpy(b->data + b->len, p, len);
	b->len += len;
	b->data[b->len] = '\0';
	return HEED_OK;
}

int heed_buf_adds(struct heed_buf *b, const char *s)
{
	return heed_buf_add(b, s, strlen(s));
}

int heed_buf_addc(struct heed_buf *b, char c)
{
	return heed_buf_add(b, &c, 1);
}

int heed_buf_vaddf(struct heed_buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n, rc;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return HEED_EINVAL;
	rc = grow(b, (size_t)n);
	if (rc)
		return rc;
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return HEED_OK;
}

int heed_buf_addf(struct heed_buf *b, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = heed_buf_vaddf(b, fmt, ap);
	va_end(ap);
	return rc;
}

const char *heed_buf_str(const struct heed_buf *b)
{
	return b->data ? b->data : "";
}

size_t heed_buf_len(const struct heed_buf *b)
{
	return b->len;
}

char *heed_buf_detach(struct heed_buf *b, size_t *lenp)
{
	char *p = b->data ? b->data : xstrdup("");

	if (lenp)
		*lenp = b->len;
	heed_buf_init(b, b->cap);
	return p;
}

void heed_buf_truncate(struct heed_buf *b, size_t len)
{
	if (len >= b->len)
		return;
	b->len = len;
	b->data[len] = '\0';
}
