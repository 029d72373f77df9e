/* buf.h: a growable byte buffer with a size cap set at init, after curl's
 * dynbuf and git's strbuf. Text filled from the network goes through one of
 * these so that a hostile peer cannot grow a daemon without limit.
 *
 * The struct lives on the caller's stack; touch its fields only through this
 * API. The content is always NUL-terminated (the NUL is not counted in len). */
#ifndef HEED_BUF_H
#define HEED_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "heed/err.h"

struct heed_buf {
	char *data;	/* NULL until the first append */
	size_t len;
	size_t alloc;
	size_t cap;	/* largest len allowed */
};

/* Start empty with a cap of max bytes (0 means no cap). No allocation. */
void heed_buf_init(struct heed_buf *b, size_t max);

/* Free the storage; the buffer is back to its freshly initialised state
 * (same cap). Safe on a buffer that never grew. */
void heed_buf_release(struct heed_buf *b);

/* Forget the content but keep storage and cap. */
void heed_buf_reset(struct heed_buf *b);

/* Append len bytes. Returns HEED_ETOOBIG, and appends nothing, when the
 * result would exceed the cap. */
int heed_buf_add(struct heed_buf *b, const void *p, size_t len) HEED_MUSTCHECK;
int heed_buf_adds(struct heed_buf *b, const char *s) HEED_MUSTCHECK;
int heed_buf_addc(struct heed_buf *b, char c) HEED_MUSTCHECK;
int heed_buf_addf(struct heed_buf *b, const char *fmt, ...)
	HEED_PRINTF(2, 3) HEED_MUSTCHECK;
int heed_buf_vaddf(struct heed_buf *b, const char *fmt, va_list ap)
	HEED_MUSTCHECK;

/* The content: never NULL (an empty buffer gives ""). Borrowed, valid until
 * the next call that changes b. */
const char *heed_buf_str(const struct heed_buf *b);
size_t heed_buf_len(const struct heed_buf *b);

/* Hand the content over: the caller owns and frees the returned string
 * (never NULL); b is left empty and reusable. If lenp is not NULL it gets
 * the length. */
char *heed_buf_detach(struct heed_buf *b, size_t *lenp);

/* Shorten to len bytes (no-op if len >= current length). */
void heed_buf_truncate(struct heed_buf *b, size_t len);

#endif
